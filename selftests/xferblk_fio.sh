#!/bin/bash
# fio writes random blocks of 512 B to 4 MiB (io_uring, O_DIRECT, iodepth 16),
# and verifies every one with crc32c, on each xferblk disk; the driver must
# have split (more children than parents) and the device rejected nothing.
. "$(dirname "$0")/ktap.sh"

addrs=($XFERBLK_DISKS)
ktap_header $((${#addrs[@]} * 2))
for i in "${!addrs[@]}"; do
	disk=$(xferblk_disk "$i")
	lbs=$(cat "/sys/block/$disk/queue/logical_block_size")
	# Sizes from the logical block to 4 MiB, small ones most often.
	split="$lbs/10:4k/20:16k/10:64k/15:128k/10:256k/10:1m/10:2m/5:4m/10"
	[ "$lbs" -ge 4096 ] && split="4k/30:16k/10:64k/15:128k/10:256k/10:1m/10:2m/5:4m/10"
	p0=$(xferblk_stat "$disk" parents) c0=$(xferblk_stat "$disk" children)
	r0=$(xferblk_stat "$disk" dev_rejected)
	out=$(fio --name=verify --filename="/dev/$disk" --direct=1 --ioengine=io_uring \
		--iodepth=16 --rw=randwrite --bssplit="$split" --blockalign="$lbs" \
		--size=48m --verify=crc32c --verify_fatal=1 --do_verify=1 \
		--randrepeat=1 --verify_state_save=0 2>&1)
	rc=$?
	[ $rc -eq 0 ] || echo "$out" | grep -Ev "^ +(clat|lat|slat|\||bw|iops|cpu|IO depths|submit|complete|issued|latency)" | sed "s/^/# /"
	ktap_result $rc "$disk fio io_uring verify=crc32c bs $lbs-4M iodepth 16"
	p=$(($(xferblk_stat "$disk" parents) - p0)) c=$(($(xferblk_stat "$disk" children) - c0))
	r=$(($(xferblk_stat "$disk" dev_rejected) - r0))
	[ "$c" -gt "$p" ] && [ "$r" -eq 0 ]
	ktap_result $? "$disk split $p parents into $c children, $r rejected"
done
ktap_finish
