#!/bin/bash
# `make chaos`: xferblk_faults' chaos run alone, at length, on the first
# disk (XFERBLK_CHAOS_IOS I/Os while the device lies at XFERBLK_CHAOS_PPM),
# in each send mode. Ends with the "# Guest totals" line of run.sh, one case
# per mode and one for the unload.
top=${XFERBLK_TOP:?run inside qemu/run-guest.sh}
bin=$top/build/selftests
. "$bin/ktap.sh"

pass=0
fail=0
count() { if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi; }

insmod "$top/xferblk.ko" || exit 1
disk=$(xferblk_disk 0)
for mode in async sync; do
	echo "# send mode $mode"
	echo "$mode" >"/sys/block/$disk/xferblk/send_mode"
	"$bin/xferblk_faults" --chaos
	count $?
done
rmmod xferblk
count $?
echo "# Guest totals: pass:$pass fail:$fail"
[ "$fail" -eq 0 ]
