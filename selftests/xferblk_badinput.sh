#!/bin/bash
# Bad input changes nothing: every module parameter and sysfs attribute
# refuses out-of-range values with an error and a message, keeping its
# value; rmmod is refused while the disk is open.
. "$(dirname "$0")/ktap.sh"

disk=$(xferblk_disk 0)
params=/sys/module/xferblk/parameters
attrs=/sys/block/$disk/xferblk
ktap_header 13

# rejects <file> <value>: the write fails and the value stays as it was.
rejects() {
	local before after
	before=$(cat "$1" 2>/dev/null)
	dmesg -C
	if echo "$2" >"$1" 2>/dev/null; then
		echo "# '$2' > $1 was accepted"
		return 1
	fi
	after=$(cat "$1" 2>/dev/null)
	[ "$before" = "$after" ] || { echo "# $1 changed: '$before' -> '$after'"; return 1; }
}

for v in 99 -5 0x100000000 abc ""; do
	rejects "$params/timeout_ms" "$v"
	ktap_result $? "timeout_ms rejects '$v'"
done
rejects "$params/split" maybe
ktap_result $? "split rejects 'maybe'"
rejects "$attrs/send_mode" fast
ktap_result $? "sysfs send_mode rejects 'fast'"
rejects "$attrs/reset_counters" 0
ktap_result $? "sysfs reset_counters rejects 0"
rejects "$attrs/reset_counters" yes-please
ktap_result $? "sysfs reset_counters rejects 'yes-please'"

# Load-time parameters, with the module unloaded (a second insmod would
# fail with EEXIST before parsing anything): each bad load is refused, then
# the module comes back as it was.
mode=$(cat "$params/send_mode")
rmmod xferblk
dmesg -C
insmod "$XFERBLK_TOP/xferblk.ko" queue_depth=6 2>/dev/null
rc=$?
[ $rc -ne 0 ] && dmesg | grep -q "queue_depth must be a power of two"
ktap_result $? "insmod queue_depth=6 refused with a message"
insmod "$XFERBLK_TOP/xferblk.ko" send_mode=often 2>/dev/null
[ $? -ne 0 ] && dmesg | grep -q 'send_mode must be'
ktap_result $? "insmod send_mode=often refused with a message"
insmod "$XFERBLK_TOP/xferblk.ko" send_mode="$mode" || echo "# reloading failed"
for _ in $(seq 50); do [ -e "/dev/$disk" ] && break; sleep 0.1; done

# rmmod while the disk is open is refused; the disk keeps working.
exec 9<"/dev/$disk"
rmmod xferblk 2>/dev/null
rc=$?
exec 9<&-
[ $rc -ne 0 ] && [ -e "/sys/block/$disk" ]
ktap_result $? "rmmod refused while /dev/$disk is open"

dd if="/dev/$disk" of=/dev/null bs=64k count=16 iflag=direct status=none
ktap_result $? "/dev/$disk still reads after the refused rmmod"
ktap_finish
