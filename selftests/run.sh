#!/bin/bash
# The in-guest selftest suite, once per send mode: loads xferblk.ko, runs the
# tests with the kernel's runner (build/kselftest/run_kselftest.sh, each test
# under the timeout of selftests/settings), unloads the module and checks the
# kernel log stayed clean. Prints KTAP, then one line
# "# Guest totals: pass:N fail:N" that `make check` adds to its summary.
top=${XFERBLK_TOP:?run inside qemu/run-guest.sh}
bin=$top/build/selftests
ksft=$top/build/kselftest
read -ra tests <<<"${XFERBLK_TESTS:-xferblk_limits xferblk_io xferblk_nosplit xferblk_ops xferblk_faults xferblk_integrity xferblk_busmaster xferblk_fio.sh xferblk_fs.sh xferblk_badinput.sh xferblk_ioctl xferblk_xferio xferblk_xferctl xferblk_queue_mode.sh xferblk_poll.sh}"
pass=0
fail=0
n=0
shopt -s lastpipe

line() { # line <rc> <description>: a KTAP line that counts nothing
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
result() { # result <rc> <description>: a check of this script's own
	if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	line "$@"
}

# Reads the runner's KTAP: each test's own cases count (its "# Totals"
# line), plus one failure if it failed without saying which case did, or
# ended without totals (crashed, timed out, skipped). run_tests <mode>
run_tests() {
	local args=() t l totals="" p f e seen=0
	for t in "${tests[@]}"; do args+=(-t "xferblk:$t"); done
	# lastpipe: the loop's counts outlive the pipe (the guest has no /dev/fd).
	"$ksft/run_kselftest.sh" "${args[@]}" 2>&1 | while IFS= read -r l; do
		echo "# $l"
		if [[ $l =~ ^#\ \#\ Totals:\ pass:([0-9]+)\ fail:([0-9]+).*error:([0-9]+) ]]; then
			totals="${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
		elif [[ $l =~ ^(not\ )?ok\ [0-9]+\ selftests:\ xferblk:\ ([^ ]+)(.*)$ ]]; then
			t=${BASH_REMATCH[2]}
			seen=$((seen + 1))
			if [ -z "$totals" ]; then
				result 1 "[$1] $t (no totals: crashed?${BASH_REMATCH[3]})"
				continue
			fi
			read -r p f e <<<"$totals"
			totals=""
			pass=$((pass + p))
			fail=$((fail + f + e))
			[ -n "${BASH_REMATCH[1]}" ] && [ $((f + e)) -eq 0 ] && fail=$((fail + 1))
			line "$([ -z "${BASH_REMATCH[1]}" ]; echo $?)" "[$1] $t"
		fi
	done
	[ "$seen" -eq "${#tests[@]}" ] ||
		result 1 "[$1] the runner reported $seen of ${#tests[@]} tests"
}

read -ra modes <<<"${XFERBLK_SEND_MODES:-async sync}"
echo "TAP version 13"
echo "1..$(((${#tests[@]} + 2) * ${#modes[@]}))"
# Submits bios userspace cannot (xferblk_ops); stays loaded for all modes.
insmod "$bin/xferblk_biotest.ko" 2>/dev/null
for mode in "${modes[@]}"; do
	dmesg -C
	insmod "$top/xferblk.ko" send_mode="$mode"
	result $? "[$mode] insmod xferblk.ko send_mode=$mode"

	run_tests "$mode"

	rmmod xferblk
	rc=$?
	# The kernel log must hold no warning, oops or leak report.
	bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t|list_(add|del) corruption|kmemleak|KASAN' || true)
	[ -n "$bad" ] && echo "$bad" | sed 's/^/# /'
	[ $rc -eq 0 ] && [ -z "$bad" ]
	result $? "[$mode] rmmod after I/O, kernel log clean"
done

echo "# Guest totals: pass:$pass fail:$fail"
[ "$fail" -eq 0 ]
