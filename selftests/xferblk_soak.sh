#!/bin/bash
# `make soak`: xferblk_faults' random fault run (reads and writes under 1%
# injected failures and jittered completions, a fresh seed and nonce each
# run) again and again on the first disk, alternating the send mode and,
# every other pair of runs, single-bio and multi-bio runs, for
# XFERBLK_SOAK_RUNS runs (default 200) or XFERBLK_SOAK_MINUTES minutes,
# whichever ends first. Ends with one line of totals: runs, I/Os, faults
# injected, failed I/Os, wrong blocks; exits non-zero if any run failed.
top=${XFERBLK_TOP:?run inside qemu/run-guest.sh}
bin=$top/build/selftests
. "$bin/ktap.sh"
runs=${XFERBLK_SOAK_RUNS:-200}
minutes=${XFERBLK_SOAK_MINUTES:-0}
log=$(mktemp)

insmod "$top/xferblk.ko" || exit 1
disk=$(xferblk_disk 0)
n=0
bad=0
while [ "$n" -lt "$runs" ]; do
	[ "$minutes" -gt 0 ] && [ "$SECONDS" -ge $((minutes * 60)) ] && break
	mode=async
	[ $((n % 2)) -eq 1 ] && mode=sync
	multi=$((n / 2 % 2))
	echo "$mode" >"/sys/block/$disk/xferblk/send_mode"
	out=$(XFERBLK_FAULT_RUNS=1 XFERBLK_FAULT_MULTI_BIO=$multi "$bin/xferblk_faults" --soak 2>&1) ||
		bad=$((bad + 1))
	echo "$out" >>"$log"
	n=$((n + 1))
	echo "# run $n ($mode): $(echo "$out" | grep -E '^(ok|not ok) ' | cut -c1-200)"
done
rmmod xferblk
# "# seed S: I I/Os, F failed (driver counted D), J faults injected, C blocks checked, W wrong"
awk -v runs="$n" -v bad="$bad" '/^# seed [0-9]+: / {
	ios += $4; failed += $6; faults += $11; checked += $14; wrong += $17 }
	END { printf "# soak: %d runs (%d failed), %d I/Os, %d faults injected, %d I/Os failed, %d blocks checked, %d wrong\n",
		runs, bad, ios, faults, failed, checked, wrong }' "$log"
rm -f "$log"
[ "$bad" -eq 0 ]
