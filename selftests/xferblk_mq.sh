#!/bin/bash
# Multiqueue: on a device with as many queues as CPUs, fio from one job per
# CPU verifies its data and the children land on several queues.
. "$(dirname "$0")/ktap.sh"

disk=$(xferblk_disk 0)
cpus=$(nproc)
queues=$(xferblk_table "$disk" queue_commands | wc -w)
ktap_header 3
[ "$queues" -eq "$cpus" ]
ktap_result $? "$disk has $queues queues for $cpus CPUs"

read -ra before <<<"$(xferblk_table "$disk" queue_commands)"
out=$(fio --name=mq --filename="/dev/$disk" --direct=1 --ioengine=io_uring --iodepth=16 \
	--numjobs="$cpus" --offset_increment=32m --size=32m --rw=randwrite \
	--bssplit=4k/40:64k/30:256k/20:1m/10 --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --randrepeat=1 --verify_state_save=0 --group_reporting 2>&1)
rc=$?
[ $rc -eq 0 ] || echo "$out" | grep -E "err|fio:" | sed 's/^/# /'
ktap_result $rc "fio, $cpus jobs, io_uring, crc32c verify"

read -ra after <<<"$(xferblk_table "$disk" queue_commands)"
used=0
for i in "${!after[@]}"; do
	echo "# queue $i: $((after[i] - before[i])) commands"
	[ $((after[i] - before[i])) -gt 0 ] && used=$((used + 1))
done
[ "$used" -ge 2 ]
ktap_result $? "children landed on $used of $queues queues"
ktap_finish
