#!/bin/bash
# Polled I/O (io_uring IOPOLL, kmod/port.c xferblk_poll_bio): disk 0 is
# probed again with one poll queue (a device queue that never interrupts);
# xferio writes stamped data through an IOPOLL ring and reads it back. In
# async mode every command must go to the poll queue and the device must
# signal no interrupt at all, also with more children in flight than the
# ring has tags (the submitter then reaps the ring itself); in sync mode
# polling is dropped and the interrupt queues carry it all. Non-polled I/O
# never uses the poll queue; the blk-mq mode has none. Seeds are printed.
. "$(dirname "$0")/ktap.sh"

xferio=$(dirname "$0")/xferio
param=/sys/module/xferblk/parameters
drv=/sys/bus/pci/drivers/xferblk
read -ra addrs <<<"$XFERBLK_DISKS"
pci=${addrs[0]}
mode=$(cat "$param/send_mode")
seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
echo "# seed $seed, $mode mode"

rebind() { # rebind <poll_queues>: disk 0 probed again with that many
	echo "$1" >"$param/poll_queues" || return 1
	echo "$pci" >"$drv/unbind" && echo "$pci" >"$drv/bind" || return 1
	for _ in $(seq 50); do
		disk=$(xferblk_disk 0)
		[ -n "$disk" ] && [ -b "/dev/$disk" ] && return 0
		sleep 0.1
	done
	return 1
}
xio() { # xio <args...>: xferio on disk 0, its summary as comments
	local out rc
	out=$("$xferio" --seed "$seed" --size 32m "$@" "/dev/$disk" 2>&1)
	rc=$?
	echo "$out" | grep -E "result|verified|error|blocks|cannot" | sed 's/^/# /'
	return $rc
}
# Commands per queue since the counters were reset: "<irq queues> <poll queue>"
split_counts() {
	local q sum=0 i
	read -ra q <<<"$(xferblk_table "$disk" queue_commands)"
	for ((i = 0; i < ${#q[@]} - 1; i++)); do sum=$((sum + q[i])); done
	echo "$sum ${q[-1]}"
}
# check_counts <label> <polled: 1|0>: where the commands went, and interrupts
check_counts() {
	local irq poll cmds ints
	read -r irq poll <<<"$(split_counts)"
	cmds=$(xferblk_stat "$disk" dev_commands)
	ints=$(xferblk_stat "$disk" dev_interrupts)
	echo "# $1: $irq commands on interrupt queues, $poll on the poll queue, $ints interrupts"
	if [ "$2" = 1 ]; then
		[ "$irq" -eq 0 ] && [ "$poll" -eq "$cmds" ] && [ "$cmds" -gt 0 ] && [ "$ints" -eq 0 ]
	else
		[ "$poll" -eq 0 ] && [ "$irq" -eq "$cmds" ] && [ "$cmds" -gt 0 ] && [ "$ints" -gt 0 ]
	fi
}
reset() { echo 1 >"/sys/block/$disk/xferblk/reset_counters"; }

ktap_header 9
saved=$(cat "$param/poll_queues")
! echo 64 2>/dev/null >"$param/poll_queues" && [ "$(cat "$param/poll_queues")" = "$saved" ]
ktap_result $? "poll_queues refuses 64 and keeps $saved"

rebind 1 && [ "$(xferblk_stat "$disk" poll_queues)" = 1 ]
ktap_result $? "$pci probed again as $disk with 1 poll queue"

polled=1 where="the poll queue only and no interrupt"
[ "$mode" = sync ] && polled=0 where="the interrupt queues (sync mode does not poll)"
reset
xio --iopoll --mode verify --pattern random --bs 4k,8k-1m --qd 32
ktap_result $? "IOPOLL verify, 4 KiB-1 MiB, qd 32: every block read back as written"
check_counts "IOPOLL" "$polled"
ktap_result $? "IOPOLL: commands on $where"

# 1 MiB at qd 64 wants more commands than the ring's tags.
reset
xio --iopoll --mode verify --bs 1m --qd 64
ktap_result $? "IOPOLL verify, 1 MiB, qd 64: more children than tags, every block as written"
check_counts "IOPOLL, full ring" "$polled"
ktap_result $? "IOPOLL with a full ring: commands on $where"

reset
xio --mode verify --pattern random --bs 4k,8k-1m --qd 32 && check_counts "interrupts" 0
ktap_result $? "I/O without IOPOLL verifies and never uses the poll queue"

# Without a poll queue the disk does not offer polling: the block layer
# either refuses IOPOLL I/O before the driver sees it (6.12) or runs it on
# interrupts (6.1); either way nothing is lost. 4 KiB only: on 6.1 an
# IOPOLL bio that blk-mq must split fails with EAGAIN (REQ_NOWAIT), and
# io-wq retries it forever, on any blk-mq disk (a kernel limit, not ours).
mq_iopoll() {
	local rc
	echo mq >"$param/queue_mode" && rebind 1 && [ "$(xferblk_stat "$disk" poll_queues)" = 0 ] ||
		return 1
	reset
	xio --iopoll --mode verify --pattern random --bs 4k --qd 32
	rc=$?
	[ $rc -eq 0 ] || { [ $rc -eq 2 ] && [ "$(xferblk_stat "$disk" dev_commands)" -eq 0 ]; }
}
mq_iopoll
ktap_result $? "blk-mq mode: no poll queue; IOPOLL I/O verifies or is refused before the device"

echo bio >"$param/queue_mode" && rebind "$saved" &&
	[ "$(xferblk_stat "$disk" poll_queues)" = "$saved" ]
ktap_result $? "$disk probed again as before ($saved poll queues, bio mode)"
ktap_finish
