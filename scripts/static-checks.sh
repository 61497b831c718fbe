#!/usr/bin/env bash
# Static checks, one KTAP line each: checkpatch --strict, W=1 and sparse on
# the kernel module, the uapi header in C and C++, clang-format on all C++,
# every shell script through shellcheck, QEMU's checkpatch on the device
# model.
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$XFERBLK_TOP" || exit 1

# W=1 and sparse on the default kernel, whatever KERNEL the run is for:
# kmake.sh rebuilds the module for that kernel when it is next needed.
kmake=(env XFERBLK_SERIES=6.12 scripts/kmake.sh M="$XFERBLK_TOP")
# Lines a clean kbuild prints; anything else is a diagnostic.
quiet='^(make|  (CC|LD|AR|CHECK|MODPOST|BTF|CLEAN)( \[M\])? |Skipping BTF)'
n=0 pass=0 fail=0
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then pass=$((pass + 1)); echo "ok $n $2"
	else fail=$((fail + 1)); echo "not ok $n $2"; fi
}
show() { [ -n "$1" ] && echo "$1" | head -n 30 | sed 's/^/# /'; }
echo "TAP version 13"

checkpatch() { perl "$XFERBLK_CACHE/linux-source/scripts/checkpatch.pl" --no-tree --strict \
	--terse --show-types "$@" 2>&1 | grep -E 'ERROR|WARNING|CHECK'; }
kfiles=(kmod/*.c kmod/[!c]*.h uapi/*.h selftests/biotest/xferblk_biotest.c)
# kmod/compat.h is where an out-of-tree driver tests kernel versions, so
# the warnings about doing that are its purpose; everything else applies.
out=$(checkpatch -f "${kfiles[@]}"
	checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,NEW_TYPEDEFS,MACRO_ARG_UNUSED \
		-f kmod/compat.h)
show "$out"
result "$([ -z "$out" ]; echo $?)" "checkpatch --strict: kmod/ uapi/ selftests/biotest/"

"${kmake[@]}" clean >/dev/null 2>&1
out=$("${kmake[@]}" W=1 modules 2>&1 | grep -Ev "$quiet")
show "$out"
result "$([ -z "$out" ]; echo $?)" "W=1 build warning-free"

out=$("${kmake[@]}" C=2 W=1 modules 2>&1 | grep -Ev "$quiet")
show "$out"
result "$([ -z "$out" ]; echo $?)" "sparse (C=2) clean"

out=$(for h in uapi/*.h; do
	gcc -Wall -Wextra -Werror -fsyntax-only -x c -include "$h" /dev/null
	g++ -std=c++20 -Wall -Wextra -Werror -fsyntax-only -x c++ -include "$h" /dev/null
done 2>&1)
show "$out"
result "$([ -z "$out" ]; echo $?)" "uapi headers compile alone in C and C++"

mapfile -t cxx < <(git ls-files '*.cc' '*.hh' '*.cpp' '*.hpp' 2>/dev/null)
out=$(clang-format --dry-run -Werror "${cxx[@]}" 2>&1)
show "$out"
result "$([ -z "$out" ]; echo $?)" "clang-format: ${#cxx[@]} C++ files"

mapfile -t shells < <(git ls-files '*.sh' .ci/run 2>/dev/null)
out=$(shellcheck -S warning "${shells[@]}" 2>&1)
show "$out"
result "$([ -z "$out" ]; echo $?)" "shellcheck: ${#shells[@]} shell scripts"

qcp=$(ls -d "$XFERBLK_CACHE"/qemu/src/*/scripts/checkpatch.pl 2>/dev/null | head -n1)
if [ -n "$qcp" ]; then
	out=$(perl "$qcp" --no-tree --terse -f qemu/hw/xferblk/*.[ch] 2>&1 | grep -E 'ERROR|WARNING')
	show "$out"
	result "$([ -z "$out" ]; echo $?)" "QEMU checkpatch: qemu/hw/xferblk/"
else
	result 1 "QEMU checkpatch: QEMU source not found in the cache"
fi

echo "1..$n"
echo "# Static totals: pass:$pass fail:$fail"
[ "$fail" -eq 0 ]
