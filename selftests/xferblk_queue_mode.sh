#!/bin/bash
# The blk-mq comparison mode (queue_mode=mq, kmod/mq.c): every disk is
# rebound as a blk-mq disk; fio writes random blocks of the logical block to
# 4 MiB and verifies them, and the block layer's split must have met the
# device's limits (nothing rejected, one command per request); write zeroes
# reads back as zeroes; send_mode is refused. Then every disk is rebound in
# bio mode, as the rest of the suite expects.
. "$(dirname "$0")/ktap.sh"

param=/sys/module/xferblk/parameters/queue_mode
drv=/sys/bus/pci/drivers/xferblk
read -ra addrs <<<"$XFERBLK_DISKS"

rebind_all() { # rebind_all <bio|mq>: every disk probed again in that mode
	local a
	echo "$1" >"$param" || return 1
	for a in "${addrs[@]}"; do
		echo "$a" >"$drv/unbind" && echo "$a" >"$drv/bind" || return 1
	done
	udevadm settle 2>/dev/null
	for a in "${!addrs[@]}"; do
		[ "$(cat "/sys/block/$(xferblk_disk "$a")/xferblk/queue_mode")" = "$1" ] || return 1
	done
}

ktap_header $((2 + ${#addrs[@]} * 4 + 1 + 2))
saved=$(cat "$param")
! echo sideways 2>/dev/null >"$param" && [ "$(cat "$param")" = "$saved" ]
ktap_result $? "queue_mode refuses \"sideways\" and keeps \"$saved\""

rebind_all mq
ktap_result $? "every disk rebound in mq mode"

for i in "${!addrs[@]}"; do
	disk=$(xferblk_disk "$i")
	lbs=$(cat "/sys/block/$disk/queue/logical_block_size")
	p0=$(xferblk_stat "$disk" parents) c0=$(xferblk_stat "$disk" children)
	d0=$(xferblk_stat "$disk" dev_commands) r0=$(xferblk_stat "$disk" dev_rejected)
	xferblk_fio_verify "$disk" 24m
	rc=$?
	ktap_result $rc "$disk (mq) fio io_uring verify=crc32c bs $lbs-4M iodepth 16"

	p=$(($(xferblk_stat "$disk" parents) - p0)) c=$(($(xferblk_stat "$disk" children) - c0))
	d=$(($(xferblk_stat "$disk" dev_commands) - d0))
	r=$(($(xferblk_stat "$disk" dev_rejected) - r0))
	# blk-mq split the 4 MiB writes: far more requests than fio's I/Os.
	[ "$p" -eq "$c" ] && [ "$c" -eq "$d" ] && [ "$r" -eq 0 ] && [ "$d" -gt 0 ]
	ktap_result $? "$disk (mq) $p requests, $c commands, $d on the device, $r rejected"

	# Write zeroes over 1 MiB of fio's data, split by blk-mq too.
	blkdiscard -z -o 0 -l 1048576 "/dev/$disk" &&
		cmp -n 1048576 "/dev/$disk" /dev/zero
	ktap_result $? "$disk (mq) write zeroes reads back as zeroes"

	mode=$(xferblk_stat "$disk" send_mode)
	! echo sync 2>/dev/null >"/sys/block/$disk/xferblk/send_mode" &&
		[ "$(xferblk_stat "$disk" send_mode)" = "$mode" ]
	ktap_result $? "$disk (mq) send_mode is refused and stays $mode"
done

# No error lost when blk-mq ends requests: multi-bio and chained I/O failing
# in one bio (its own KTAP, indented).
"$(dirname "$0")/xferblk_integrity" --mq 2>&1 | sed 's/^/# /'
ktap_result "${PIPESTATUS[0]}" "(mq) xferblk_integrity --mq: every failure reaches the caller"

rebind_all bio
ktap_result $? "every disk rebound in bio mode"
[ "$(cat "$param")" = bio ]
ktap_result $? "queue_mode is bio again"
ktap_finish
