#!/bin/bash
# The in-guest selftest suite, once per send mode: loads xferblk.ko, runs every
# test, unloads the module and checks the kernel log stayed clean. Prints KTAP, then one line
# "# Guest totals: pass:N fail:N" that `make check` adds to its summary.
top=${XFERBLK_TOP:?run inside qemu/run-guest.sh}
bin=$top/build/selftests
read -ra tests <<<"${XFERBLK_TESTS:-xferblk_limits xferblk_io xferblk_nosplit xferblk_ops xferblk_faults xferblk_integrity xferblk_busmaster xferblk_fio.sh xferblk_fs.sh xferblk_badinput.sh xferblk_ioctl xferblk_xferio xferblk_xferctl xferblk_queue_mode.sh}"
pass=0
fail=0
n=0

line() { # line <rc> <description>: a KTAP line that counts nothing
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}
result() { # result <rc> <description>: a check of this script's own
	if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	line "$@"
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

	for t in "${tests[@]}"; do
		out=$("$bin/$t" 2>&1)
		rc=$?
		echo "$out" | sed 's/^/# /'
		totals=$(echo "$out" | sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*error:\([0-9]*\).*/\1 \2 \3/p')
		if [ -z "$totals" ]; then
			result 1 "[$mode] $t (exit $rc, no totals: crashed?)"
			continue
		fi
		# The program's own test cases count, plus one failure if it
		# failed without saying which case did.
		read -r p f e <<<"$totals"
		pass=$((pass + p))
		fail=$((fail + f + e))
		[ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ] && fail=$((fail + 1))
		line "$rc" "[$mode] $t"
	done

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
