#!/bin/bash
# A device that reports absurd identity or limits (hostile-limits=...) is
# refused at probe with a message naming the value, and gets no disk; a
# sane device next to it still binds.
. "$(dirname "$0")/ktap.sh"

read -ra addrs <<<"$XFERBLK_DISKS"
ktap_header ${#addrs[@]}
for i in "${!addrs[@]}"; do
	var=XFERBLK_DISK_PROPS_$i
	kind=
	case ${!var} in hostile-limits=*) kind=${!var#hostile-limits=} ;; esac
	disk=$(xferblk_disk "$i")
	if [ -z "$kind" ] || [ "$kind" = none ]; then
		[ -n "$disk" ] && [ -b "/dev/$disk" ]
		ktap_result $? "${addrs[$i]} (sane) binds as ${disk:-nothing}"
		continue
	fi
	msg=$(dmesg | grep "xferblk ${addrs[$i]}: " | grep -E "bad|invalid|unsupported" | head -n1)
	[ -z "$disk" ] && [ -n "$msg" ]
	ktap_result $? "${addrs[$i]} hostile-limits=$kind refused: ${msg#*: }"
done
ktap_finish
