#!/bin/bash
# fio writes random blocks of 512 B to 4 MiB (io_uring, O_DIRECT, iodepth 16),
# and verifies every one with crc32c, on each xferblk disk; the driver must
# have split (more children than parents) and the device rejected nothing.
. "$(dirname "$0")/ktap.sh"

read -ra addrs <<<"$XFERBLK_DISKS"
ktap_header $((${#addrs[@]} * 2))
for i in "${!addrs[@]}"; do
	disk=$(xferblk_disk "$i")
	lbs=$(cat "/sys/block/$disk/queue/logical_block_size")
	p0=$(xferblk_stat "$disk" parents) c0=$(xferblk_stat "$disk" children)
	r0=$(xferblk_stat "$disk" dev_rejected)
	xferblk_fio_verify "$disk" 48m
	rc=$?
	ktap_result $rc "$disk fio io_uring verify=crc32c bs $lbs-4M iodepth 16"
	p=$(($(xferblk_stat "$disk" parents) - p0)) c=$(($(xferblk_stat "$disk" children) - c0))
	r=$(($(xferblk_stat "$disk" dev_rejected) - r0))
	[ "$c" -gt "$p" ] && [ "$r" -eq 0 ]
	ktap_result $? "$disk split $p parents into $c children, $r rejected"
done
ktap_finish
