#!/bin/bash
# The guest half of `make demo`.
set -euo pipefail
cd "$XFERBLK_TOP"
counter() { cat "/sys/block/$disk/xferblk/$1"; }
banner() { printf '\n==== %s ====\n' "$*"; }

insmod xferblk.ko
disk=$(ls "/sys/bus/pci/devices/${XFERBLK_DISKS%% *}/block")
banner "xferblk.ko loaded: /dev/$disk"
dmesg | grep -m1 "xferblk.*blocks of" | sed 's/^\[[^]]*\] //'
q=/sys/block/$disk/queue
echo "queue limits: max_hw_sectors_kb=$(cat $q/max_hw_sectors_kb) max_segments=$(cat $q/max_segments)" \
	"max_segment_size=$(cat $q/max_segment_size) logical_block_size=$(cat $q/logical_block_size)"
echo "sysfs device: $(readlink -f /sys/block/$disk/device)"

banner "workload: fio, io_uring, O_DIRECT, random writes of 512 B to 4 MiB, iodepth 16, crc32c verify"
fio --name=demo --filename="/dev/$disk" --direct=1 --ioengine=io_uring --iodepth=16 \
	--rw=randwrite --bssplit=512/10:4k/20:16k/10:64k/15:128k/10:256k/10:1m/10:2m/5:4m/10 \
	--size=64m --verify=crc32c --verify_fatal=1 --do_verify=1 --randrepeat=1 \
	--verify_state_save=0 \
	--output-format=normal | grep -E "^demo|WRITE:|READ:|err="

banner "what happened"
read -ra hist <"/sys/kernel/debug/xferblk/$disk/children_hist"
labels=(1 2 3-4 5-8 9-16 17-32 33-64 65-128 129-256 257+)
printf 'parent bios:           %s\n' "$(counter parents)"
printf 'child bios:            %s  (one device command each)\n' "$(counter children)"
printf 'device commands:       %s\n' "$(counter dev_commands)"
printf 'device rejections:     %s\n' "$(counter dev_rejected)"
printf 'child errors:          %s\n' "$(counter errors)"
printf 'device bytes written:  %s\n' "$(counter dev_bytes_written)"
printf 'device bytes read:     %s\n' "$(counter dev_bytes_read)"
printf 'max commands in flight on the device: %s\n' "$(counter dev_max_inflight)"
echo "children per parent (parents):"
for i in "${!labels[@]}"; do
	[ "${hist[$i]}" -gt 0 ] && printf '  %-8s %s\n' "${labels[$i]}" "${hist[$i]}"
done

rmmod xferblk
echo "xferblk.ko unloaded cleanly"
