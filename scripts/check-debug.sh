#!/usr/bin/env bash
# `make check-debug`: the boots of `make guest-tests` on the debug kernel
# (KASAN, lockdep, kmemleak, debug objects, DMA-API debugging;
# scripts/build-debug-kernel.sh) with xferblk.ko and the biotest module built
# against it, each boot ending with a kmemleak scan
# (scripts/check-debug-run.sh, scripts/check-debug-guest.sh). Fails on any
# test failure and on any report of the kernel's checkers in the console
# logs (build/guest/debug). Ends with "N passed, N failed" like `make check`.
# With the argument "chaos" (`make chaos-debug`) the boot is `make chaos`'s
# instead: the lying device at length, CHAOS_IOS and CHAOS_PPM from the
# environment, console log in build/guest/debug-chaos.
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$XFERBLK_TOP" || exit 1

pass=0
fail=0
result() { # result <0|1> <description>
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1))
		echo "ok: $2"
	else
		fail=$((fail + 1))
		echo "FAILED: $2"
	fi
}
build_failed() {
	echo "build failed: $1"
	echo "$pass passed, 1 failed"
	exit 1
}

# The tree's own module and selftests first: the userspace tests are shared,
# and the guest binds the debug modules over the tree's .ko files.
make --no-print-directory deps module selftests qemu || build_failed "make"

start=$SECONDS
kernel=$(scripts/build-debug-kernel.sh) || build_failed "debug kernel"
eval "$kernel"
log "debug kernel $KVER ready after $((SECONDS - start)) s"

# The modules against the debug kernel, in build/debug/xferblk: a copy of
# the tree's layout in symlinks (the biotest module includes
# ../../kmod/compat.h), so objects land there and the tree's own build is
# left alone.
dbg=$XFERBLK_TOP/build/debug
link() { # link <dir> <file>...: symlink each file into dir
	local d=$1 f
	shift
	mkdir -p "$d"
	for f in "$@"; do ln -sfr "$f" "$d/"; done
	find "$d" -maxdepth 1 -xtype l -delete
}
rm -rf "$dbg/biotest"
link "$dbg/xferblk" Kbuild VERSION
link "$dbg/xferblk/kmod" kmod/*.c kmod/*.h
link "$dbg/xferblk/uapi" uapi/*.h
link "$dbg/xferblk/selftests/biotest" selftests/biotest/Kbuild selftests/biotest/*.c
for m in xferblk xferblk/selftests/biotest; do
	make --no-print-directory -s -C "$KDIR" M="$dbg/$m" W=1 modules ||
		build_failed "$m module against $KVER"
done

target=guest-tests
logs=$XFERBLK_TOP/build/guest/debug
if [ "${1:-}" = chaos ]; then
	target=chaos
	logs+=-chaos
fi
log "the $target boots on $KVER (TCG; KASAN, lockdep and kmemleak make it slower)"
rm -rf "$logs"
start=$SECONDS
make --no-print-directory "$target" RUN_GUEST=scripts/check-debug-run.sh GUEST_LOGS="$logs"
log "$target on $KVER took $((SECONDS - start)) s; console logs in ${logs#"$XFERBLK_TOP"/}"

# The checkers' reports, by kind; a line counts for the first kind it
# matches. Lines run.sh echoes from dmesg start with "# " and are the same
# reports again; DMA-API debugging announces itself at boot.
kinds=(
	"KASAN reports|KASAN"
	"lockdep reports|possible circular locking|inconsistent lock state|possible recursive locking|WARNING: .*lock|suspicious RCU usage|bad unlock balance"
	"kmemleak reports|unreferenced object"
	"DMA-API reports|DMA-API:"
	"debug-objects reports|ODEBUG:"
	"other warnings, bugs, oopses|WARNING:|BUG:|Oops|kernel BUG at|general protection fault|Kernel panic|UBSAN:|blocked for more than|detected stalls"
)
benign='^# |DMA-API: (preallocated [0-9]+ debug entries|debugging enabled by kernel config)$'
declare -A hits
boots=0
for clog in "$logs"/*.log; do
	[ -f "$clog" ] || continue
	boots=$((boots + 1))
	name=$(basename "$clog" .log)
	console=$(tr -d '\r' <"$clog")
	summary=$(sed -n 's/^# Guest totals: pass:\([0-9]*\) fail:\([0-9]*\)/\1 \2/p' <<<"$console" | tail -n1)
	if [ -n "$summary" ]; then
		read -r p f <<<"$summary"
		pass=$((pass + p))
		fail=$((fail + f))
	else
		result 1 "$name: the suite reported no totals ($(grep -E '^XFERBLK_GUEST_EXIT=' <<<"$console" || echo "no exit status"))"
	fi
	if grep -q '^check-debug-guest: kmemleak scan done' <<<"$console"; then
		result 0 "$name: kmemleak scan ran"
	else
		result 1 "$name: kmemleak scan did not run"
	fi
	console=$(grep -vE -- "$benign" <<<"$console")
	seen='^$'
	for k in "${kinds[@]}"; do
		hits[${k%%|*}]+=$(grep -E -- "${k#*|}" <<<"$console" | grep -vE -- "$seen" |
			sed "s|^|$name: |")$'\n'
		seen+="|${k#*|}"
	done
done
[ "$boots" -gt 0 ] || result 1 "no console logs in $logs"

for k in "${kinds[@]}"; do
	k=${k%%|*}
	lines=$(grep -v '^$' <<<"${hits[$k]:-}")
	if [ -n "$lines" ]; then
		sort <<<"$lines" | uniq -c | sort -rn | head -n 20
		result 1 "$k: $(wc -l <<<"$lines") line(s)"
	else
		result 0 "$k: none"
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
