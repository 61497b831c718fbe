#!/bin/bash
# Hot-unplug under load, repeated: QEMU's device_del removes the disk while
# fio runs on it. The driver must remove cleanly (its commands in flight
# failed, none lost), fio must end on its own rather than hang (after the
# removal the block layer answers its I/O with EOF and ENOSPC), device_add
# must bring the disk back working; afterwards the module unloads. Disk 0
# must have the device's default properties (device_add recreates it so).
# XFERBLK_UNPLUG_CYCLES sets the number of cycles (default 20).
. "$(dirname "$0")/ktap.sh"
qmp=$(dirname "$0")/qmp.sh
cycles=${XFERBLK_UNPLUG_CYCLES:-20}
read -ra addrs <<<"$XFERBLK_DISKS"
pci=${addrs[0]}
ktap_header $((cycles + 1))

wait_for() { # wait_for <seconds> <test...>
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
gone() { [ ! -e "/sys/bus/pci/devices/$pci" ]; }
busy() { [ "$(awk '{ print $1 + $2 }' "/sys/block/$disk/inflight")" -gt 0 ]; }
back() { [ -n "$(xferblk_disk 0)" ] && [ -b "/dev/$(xferblk_disk 0)" ]; }

for c in $(seq 1 "$cycles"); do
	disk=$(xferblk_disk 0)
	# The removal ends fio; runtime only bounds it. allow_file_create=0:
	# should the disk be gone before fio opens it, fio must fail rather
	# than create a regular file in its place.
	timeout 30 fio --name=unplug --filename="/dev/$disk" --direct=1 --ioengine=io_uring \
		--iodepth=16 --rw=randrw --bsrange=4k-512k --size=64m --time_based --runtime=10 \
		--allow_file_create=0 >/tmp/unplug.$c 2>&1 &
	fio_pid=$!
	# Unplug under load: once fio has I/O on the disk (fio starts slowly
	# on a debug kernel), after a random moment.
	wait_for 20 busy
	sleep 0.$((RANDOM % 5 + 3))
	dmesg -C
	"$qmp" '{"execute":"device_del","arguments":{"id":"xferblk0"}}' >/dev/null
	wait_for 20 gone && dmesg | grep -q "$disk removed"
	removed=$?
	wait $fio_pid
	fio_rc=$?
	"$qmp" "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"xferblk\",\"drive\":\"xd0\",\"id\":\"xferblk0\",\"addr\":\"0x10\"}}" >/dev/null
	wait_for 20 back
	replugged=$?
	dd if=/dev/urandom of=/tmp/unplug.data bs=64k count=4 status=none
	disk=$(xferblk_disk 0)
	dd if=/tmp/unplug.data of="/dev/$disk" bs=64k oflag=direct status=none &&
		dd if="/dev/$disk" of=/tmp/unplug.back bs=64k count=4 iflag=direct status=none &&
		cmp -s /tmp/unplug.back /tmp/unplug.data
	works=$?
	[ $removed -eq 0 ] && [ $fio_rc -ne 124 ] && [ $replugged -eq 0 ] && [ $works -eq 0 ]
	ktap_result $? "cycle $c: $(dmesg | grep -o 'removed.*failed') under fio (exit $fio_rc), replugged, data verifies"
done

mode=$(cat /sys/module/xferblk/parameters/send_mode)
rmmod xferblk && insmod "$XFERBLK_TOP/xferblk.ko" send_mode="$mode"
ktap_result $? "the module unloads after $cycles unplugs"
wait_for 20 back
ktap_finish
