#!/bin/bash
# `make chaos`: xferblk_faults' chaos run alone, at length, on the first
# disk (XFERBLK_CHAOS_IOS I/Os while the device lies at XFERBLK_CHAOS_PPM),
# in each send mode.
top=${XFERBLK_TOP:?run inside qemu/run-guest.sh}
bin=$top/build/selftests
. "$bin/ktap.sh"

insmod "$top/xferblk.ko" || exit 1
disk=$(xferblk_disk 0)
rc=0
for mode in async sync; do
	echo "# send mode $mode"
	echo "$mode" >"/sys/block/$disk/xferblk/send_mode"
	"$bin/xferblk_faults" --chaos || rc=1
done
rmmod xferblk || rc=1
exit "$rc"
