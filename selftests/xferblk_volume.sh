#!/bin/bash
# Volumes over several targets (configfs, kmod/volume.c). Needs the disks of
# `make check`'s volume boot: five xferblk devices (0 default limits, 1 a
# 4 KiB command, 2 256 KiB in 8 segments, 3 16 KiB in 4 segments, 4 with
# 4 KiB blocks) and a virtio-blk disk (XFERBLK_VIRTIO_PCI); loads null_blk.
# Stripes over 2 and 4 devices with different limits (children per target
# exactly as planned, each one command on its device, fio verify), linear
# across unequal targets (data lands where the layout says), a mirror with
# an LBA fault on one leg and on both, stacked volumes over virtio-blk and
# null_blk, configuration errors, hot-unplug under a mirror and a stripe,
# rmmod while a volume is open; then the stripe and mirror again with the
# PCI disks in the blk-mq comparison mode.
. "$(dirname "$0")/ktap.sh"
bin=$(dirname "$0")
cfg=/sys/kernel/config/xferblk
read -ra addrs <<<"$XFERBLK_DISKS"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${#addrs[@]}" -lt 5 ] || [ ! -d "$cfg" ]; then
	ktap_header 1
	ktap_result skip "needs the volume boot's five disks and configfs"
	ktap_finish
	exit 4
fi
ktap_header 70

d=()
for i in 0 1 2 3 4; do d[i]=$(xferblk_disk "$i"); done
modprobe -d "$XFERBLK_KROOT" virtio_blk 2>/dev/null
for _ in $(seq 1 50); do ls "/sys/bus/pci/devices/$XFERBLK_VIRTIO_PCI"/virtio*/block >/dev/null 2>&1 && break; sleep 0.1; done
vd=$(ls "/sys/bus/pci/devices/$XFERBLK_VIRTIO_PCI"/virtio*/block 2>/dev/null | head -n1)
modprobe -d "$XFERBLK_KROOT" null_blk nr_devices=1 gb=1 bs=4096 memory_backed=1 2>/dev/null
nb=$([ -b /dev/nullb0 ] && echo nullb0)

vol_make() { # vol_make <name> <layout> <chunk> <target>...: configured and powered
	mkdir "$cfg/$1" && echo "$2" >"$cfg/$1/layout" && echo "$3" >"$cfg/$1/chunk_size" &&
		echo "${*:4}" >"$cfg/$1/targets" && echo 1 2>/dev/null >"$cfg/$1/power"
}
vol_drop() { echo 0 >"$cfg/$1/power" && rmdir "$cfg/$1"; }
vol_disk() { cat "$cfg/$1/disk"; }
vstat() { cat "/sys/block/$1/volume/$2"; }
# Children sent to each target, in order: target_children <volume disk>
target_children() { awk '{ printf "%s%s", sep, $5; sep = " " }' "/sys/block/$1/volume/targets"; }
# The blocks of [offset, offset + bytes) of <dev>, by direct I/O, in <file>.
read_range() { dd if="/dev/$1" of="$4" bs=64k skip="$2" count="$3" iflag=direct,skip_bytes,count_bytes status=none; }
write_range() { dd if="$4" of="/dev/$1" bs=1M seek="$2" count="$3" oflag=direct,seek_bytes iflag=count_bytes status=none; }
# The kernel log since mark_log (not cleared: run.sh checks all of it at the end).
mark_log() { log_mark=$(dmesg | wc -l); }
new_log() { dmesg | tail -n +$((log_mark + 1)); }
sum_parents() { local s=0 x; for x in "$@"; do s=$((s + $(xferblk_stat "$x" parents))); done; echo $s; }
head -c 4M /dev/urandom >"$tmp/a"
head -c 4M /dev/urandom >"$tmp/b"
mode=$(cat /sys/module/xferblk/parameters/send_mode)

# stripe_case <name> <chunk> <expected children per target> <pci disk>...:
# a 1 MiB direct write at 0, children per target as planned, one command
# per child on the PCI disks (the mq mode counts requests, not checked).
stripe_case() {
	local name=$1 chunk=$2 want=$3 targets=() x before after v
	shift 3
	for x in "$@"; do targets+=("pci:${addrs[x]}"); done
	vol_make "$name" stripe "$chunk" "${targets[@]}"
	ktap_result $? "[$name] stripe over ${#targets[@]}, chunk $chunk, powered on"
	v=$(vol_disk "$name")
	local lower=() got c0 c1 i
	for x in "$@"; do lower+=("${d[x]}"); done
	# The disk's partition scan may have read already: count from here.
	read -ra c0 <<<"$(target_children "$v")"
	before=$(sum_parents "${lower[@]}")
	write_range "$v" 0 1048576 "$tmp/a"
	read -ra c1 <<<"$(target_children "$v")"
	read_range "$v" 0 1048576 "$tmp/back" && cmp -s "$tmp/back" <(head -c 1M "$tmp/a")
	ktap_result $? "[$name] 1 MiB written and read back"
	after=$(sum_parents "${lower[@]}")
	got=$(for i in "${!c1[@]}"; do echo $((c1[i] - c0[i])); done | xargs)
	[ "$got" = "$want" ]
	ktap_result $? "[$name] children per target of the write: $got (planned $want)"
	if [ "$(cat /sys/module/xferblk/parameters/queue_mode)" = bio ]; then
		local total=0
		for x in $want; do total=$((total + x)); done
		# The read went as the write did: twice the planned children.
		[ $((after - before)) -eq $((2 * total)) ]
		ktap_result $? "[$name] each child was one command on its device ($((after - before)) for $((2 * total)) children)"
	else
		ktap_result 0 "[$name] blk-mq targets: commands are requests (not counted)"
	fi
	xferblk_fio_verify "$v" 48m
	ktap_result $? "[$name] fio verify"
	[ "$(vstat "$v" parent_errors)" -eq 0 ] && vol_drop "$name"
	ktap_result $? "[$name] no error, powered off and removed"
}

# mirror_case <name>: legs 0 and 2; an LBA fault on leg 0 under reads, then
# a write that fails there (the leg is marked failed), then the data.
mirror_case() {
	local name=$1 v
	vol_make "$name" mirror 65536 "pci:${addrs[0]}" "pci:${addrs[2]}"
	v=$(vol_disk "$name")
	write_range "$v" 0 1048576 "$tmp/a"
	ktap_result $? "[$name] mirror over 2 legs, 1 MiB written"
	"$bin/xferblk_fault" "${addrs[0]}" 0 2048
	local ok=0 i
	for i in 1 2 3 4; do
		read_range "$v" 0 1048576 "$tmp/back" && cmp -s "$tmp/back" <(head -c 1M "$tmp/a") || ok=1
	done
	[ $ok -eq 0 ] && [ "$(vstat "$v" read_retries)" -gt 0 ] && [ "$(vstat "$v" degraded)" -eq 0 ]
	ktap_result $? "[$name] reads recover from the faulty leg (data $([ $ok -eq 0 ] && echo right || echo WRONG), $(vstat "$v" read_retries) retried on the other, $(vstat "$v" degraded) legs marked)"
	mark_log
	write_range "$v" 0 1048576 "$tmp/b"
	ok=$?
	[ $ok -eq 0 ] && [ "$(vstat "$v" degraded)" -eq 1 ] && [ "$(vstat "$v" legs_failed)" -eq 1 ] &&
		grep -q "^0 .* failed " "/sys/block/$v/volume/targets" && new_log | grep -q "leg 0 .* marked failed"
	ktap_result $? "[$name] the write succeeds, leg 0 failed it: marked failed, counted, logged"
	"$bin/xferblk_fault" "${addrs[0]}" 0 0
	read_range "$v" 0 1048576 "$tmp/back" && cmp -s "$tmp/back" <(head -c 1M "$tmp/b") &&
		read_range "${d[2]}" 0 1048576 "$tmp/back" && cmp -s "$tmp/back" <(head -c 1M "$tmp/b")
	ktap_result $? "[$name] the data reads back from the live leg (leg 0 no longer read)"
	[ "$(vstat "$v" parent_errors)" -eq 0 ] && vol_drop "$name"
	ktap_result $? "[$name] callers saw no error (parent_errors 0), removed"
}

ktap_result 0 "[$mode] disks ${d[*]}, virtio ${vd:-none}, null_blk ${nb:-none}"

stripe_case s2 65536 "8 128" 0 1
stripe_case s4 32768 "8 64 8 16" 0 1 2 3

# Linear across unequal targets: xferblk, virtio-blk (a smaller image),
# xferblk. A write over each boundary lands at the ends of the targets.
if [ -n "$vd" ]; then
	vol_make lin linear 65536 "pci:${addrs[0]}" "/dev/$vd" "pci:${addrs[2]}"
	ktap_result $? "[lin] linear over ${d[0]}, $vd, ${d[2]}"
	v=$(vol_disk lin)
	s0=$(blockdev --getsize64 "/dev/${d[0]}")
	s1=$(blockdev --getsize64 "/dev/$vd")
	s2=$(blockdev --getsize64 "/dev/${d[2]}")
	[ "$(blockdev --getsize64 "/dev/$v")" -eq $((s0 + s1 + s2)) ]
	ktap_result $? "[lin] size is the sum of the targets' ($s0 + $s1 + $s2)"
	write_range "$v" $((s0 - 65536)) 131072 "$tmp/a" &&
		write_range "$v" $((s0 + s1 - 65536)) 131072 "$tmp/b" &&
		read_range "${d[0]}" $((s0 - 65536)) 65536 "$tmp/x0" && read_range "$vd" 0 65536 "$tmp/x1" &&
		read_range "$vd" $((s1 - 65536)) 65536 "$tmp/x2" && read_range "${d[2]}" 0 65536 "$tmp/x3" &&
		cmp -s <(cat "$tmp/x0" "$tmp/x1") <(head -c 128k "$tmp/a") &&
		cmp -s <(cat "$tmp/x2" "$tmp/x3") <(head -c 128k "$tmp/b")
	ktap_result $? "[lin] writes across both boundaries land at the targets' ends and starts"
	[ "$(target_children "$v" | awk '{ print ($1 > 0 && $2 > 0 && $3 > 0) }')" = 1 ]
	ktap_result $? "[lin] children on every target: $(target_children "$v")"
	xferblk_fio_verify "$v" 32m && vol_drop lin
	ktap_result $? "[lin] fio verify, removed"
else
	for i in 1 2 3 4 5; do ktap_result skip "[lin] no virtio-blk disk"; done
fi

mirror_case m2

# A REQ_PREFLUSH|REQ_FUA write with data (xferblk_biotest): an empty flush
# to every target first, then the data. Polled I/O is not stacked: refused
# or completed by interrupts, never left waiting.
biotest=/sys/kernel/debug/xferblk_biotest/submit
vol_make fl stripe 65536 "pci:${addrs[0]}" "pci:${addrs[1]}"
v=$(vol_disk fl)
if [ -w "$biotest" ]; then
	f0=$(xferblk_stat "${d[0]}" dev_flushes)
	f1=$(xferblk_stat "${d[1]}" dev_flushes)
	echo "/dev/$v write preflush,fua 256 262144 5" >"$biotest" &&
		read_range "$v" 131072 262144 "$tmp/back" &&
		cmp -s "$tmp/back" <(python3 -c 'import sys; sys.stdout.buffer.write(bytes((5 + i * 7) & 255 for i in range(262144)))') &&
		[ "$(xferblk_stat "${d[0]}" dev_flushes)" -gt "$f0" ] && [ "$(xferblk_stat "${d[1]}" dev_flushes)" -gt "$f1" ]
	ktap_result $? "[fl] a preflush+FUA write: both targets flushed, the data reads back"
else
	ktap_result skip "[fl] xferblk_biotest is not loaded"
fi
timeout 60 fio --name=poll --filename="/dev/$v" --direct=1 --ioengine=io_uring --hipri \
	--rw=randread --bs=4k --size=4m --time_based --runtime=2 >"$tmp/fio.poll" 2>&1
rc=$?
[ $rc -ne 124 ] && [ "$(cat "/sys/block/$v/queue/io_poll")" = 0 ] && vol_drop fl
ktap_result $? "[fl] polled reads on a volume (io_poll 0): fio exit $rc, no hang; removed"

# A write no leg completes: the caller sees the error, no leg is marked.
vol_make mboth mirror 65536 "pci:${addrs[0]}" "pci:${addrs[2]}"
v=$(vol_disk mboth)
"$bin/xferblk_fault" "${addrs[0]}" 0 8
"$bin/xferblk_fault" "${addrs[2]}" 0 8
! write_range "$v" 0 4096 "$tmp/a" 2>/dev/null
ktap_result $? "[mboth] a write that fails on every leg fails"
[ "$(vstat "$v" degraded)" -eq 0 ] && [ "$(vstat "$v" parent_errors)" -ge 1 ]
ktap_result $? "[mboth] no leg marked failed, parent_errors $(vstat "$v" parent_errors)"
"$bin/xferblk_fault" "${addrs[0]}" 0 0
"$bin/xferblk_fault" "${addrs[2]}" 0 0
vol_drop mboth
ktap_result $? "[mboth] removed"

# Stacked volumes over block devices the driver did not make.
for lower in "$vd" "$nb"; do
	if [ -z "$lower" ] || { [ "$lower" = "$nb" ] && [ "$(cat /sys/module/null_blk/parameters/memory_backed 2>/dev/null)" != Y ]; }; then
		for i in 1 2; do ktap_result skip "[stacked] ${lower:-device} missing or keeps no data"; done
		continue
	fi
	vol_make "st-$lower" single 65536 "/dev/$lower"
	ktap_result $? "[stacked] single volume over /dev/$lower"
	v=$(vol_disk "st-$lower")
	xferblk_fio_verify "$v" 32m && [ "$(target_children "$v")" -gt 0 ] && vol_drop "st-$lower"
	ktap_result $? "[stacked] fio verify over $lower, removed"
done

# Configuration errors: an errno, a message, nothing changed (the volume
# stays off and its targets free: a good volume claims them right after).
mkdir "$cfg/bad"
bad_power() { # bad_power <description> <layout> <chunk> <target>...
	local desc=$1
	shift
	echo "$1" >"$cfg/bad/layout"
	echo "$2" >"$cfg/bad/chunk_size"
	echo "${*:3}" >"$cfg/bad/targets"
	mark_log
	! echo 1 2>/dev/null >"$cfg/bad/power" && [ "$(cat "$cfg/bad/power")" = 0 ] &&
		[ -z "$(vol_disk bad)" ] && new_log | grep -q "volume bad:"
	ktap_result $? "[config] refused: $desc ($(new_log | grep -o 'volume bad:.*' | head -n1))"
}
bad_power "a missing path" single 65536 /dev/xferblk-none
bad_power "mixed block sizes" stripe 65536 "pci:${addrs[0]}" "pci:${addrs[4]}"
bad_power "the same device twice" mirror 65536 "pci:${addrs[0]}" "/dev/${d[0]}"
bad_power "single with two targets" single 65536 "pci:${addrs[0]}" "pci:${addrs[1]}"
bad_power "a stripe of one" stripe 65536 "pci:${addrs[0]}"
bad_power "no PCI disk at the address" single 65536 "pci:0000:00:1f.7"
if [ -n "$nb" ]; then
	bad_power "a chunk smaller than a 4 KiB block" stripe 2048 "pci:${addrs[4]}" "/dev/$nb"
else
	ktap_result skip "[config] chunk below the block size: no null_blk"
fi
chunk=$(cat "$cfg/bad/chunk_size")
! echo 3000 2>/dev/null >"$cfg/bad/chunk_size" && [ "$(cat "$cfg/bad/chunk_size")" = "$chunk" ]
ktap_result $? "[config] chunk_size 3000 (not a power of two) refused, $chunk kept"
! echo "vdb" 2>/dev/null >"$cfg/bad/targets" && ! echo striped 2>/dev/null >"$cfg/bad/layout"
ktap_result $? "[config] a relative target and an unknown layout refused"
vol_make inuse single 65536 "pci:${addrs[1]}"
bad_power "a target in use by another volume" single 65536 "pci:${addrs[1]}"
v=$(vol_disk inuse)
! echo mirror 2>/dev/null >"$cfg/inuse/layout" && ! echo "/dev/null" 2>/dev/null >"$cfg/inuse/targets"
ktap_result $? "[config] a powered volume's layout and targets cannot change"
exec 3<>"/dev/$v"
! echo 0 2>/dev/null >"$cfg/inuse/power" && ! rmdir "$cfg/inuse" 2>/dev/null && [ -b "/dev/$v" ]
ktap_result $? "[config] an open volume is neither powered off nor removed"
! rmmod xferblk 2>/dev/null && [ -d /sys/module/xferblk ]
ktap_result $? "[config] rmmod refused while a volume is open"
exec 3>&-
! rmdir "$cfg/inuse" 2>/dev/null && vol_drop inuse && rmdir "$cfg/bad"
ktap_result $? "[config] a powered volume is not removed, once off it is"
vol_make again mirror 65536 "pci:${addrs[0]}" "pci:${addrs[1]}" && vol_drop again
ktap_result $? "[config] after all that, every target is free"

# xferctl: creates, lists (its counts are the driver's) and removes volumes;
# a refused one leaves nothing behind.
xc=$bin/xferctl
v=$("$xc" volume-create xc --layout mirror "pci:${addrs[0]}" "pci:${addrs[2]}")
[ -n "$v" ] && [ "$(vol_disk xc)" = "$v" ] && write_range "$v" 0 65536 "$tmp/a"
ktap_result $? "[xferctl] volume-create made a mirror ($v)"
"$xc" --json volumes | python3 -c '
import json, sys
want = [l.split() for l in open(sys.argv[1])]
v = [x for x in json.load(sys.stdin)["volumes"] if x["name"] == "xc"][0]
assert v["powered"] and v["layout"] == "mirror" and len(v["targets"]) == 2, v
for t, w in zip(v["targets"], want):
    assert t["spec"] == w[1] and t["state"] == w[3] and t["children"] == int(w[4]), (t, w)
' "/sys/block/$v/volume/targets"
ktap_result $? "[xferctl] volumes --json: its targets and children are the driver's"
! "$xc" volume-create xbad --layout stripe "pci:${addrs[0]}" "pci:${addrs[4]}" >/dev/null 2>&1 &&
	[ ! -e "$cfg/xbad" ]
ktap_result $? "[xferctl] a refused volume-create (mixed block sizes) leaves nothing"
"$xc" volume-remove xc && [ ! -e "$cfg/xc" ]
ktap_result $? "[xferctl] volume-remove"

# Hot-unplug: of one leg under a mirror (degraded, I/O goes on), of one
# target under a stripe (its I/O fails, nothing hangs). The device comes
# back as it was.
qmp=$bin/qmp.sh
unplug() { # unplug <index>
	"$qmp" "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"xferblk$1\"}}" >/dev/null
	for _ in $(seq 1 100); do [ -e "/sys/bus/pci/devices/${addrs[$1]}" ] || return 0; sleep 0.2; done
	return 1
}
replug() { # replug <index>: with its properties (JSON numbers), as the runner made it
	local props="XFERBLK_DISK_PROPS_$1" kv p val json=""
	IFS=, read -ra kv <<<"${!props}"
	for p in "${kv[@]}"; do
		val=${p#*=}
		[[ $val =~ ^(0x[0-9a-fA-F]+|[0-9]+)$ ]] && val=$((val)) || val="\"$val\""
		json+=",\"${p%%=*}\":$val"
	done
	"$qmp" "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"xferblk\",\"drive\":\"xd$1\",\"id\":\"xferblk$1\",\"addr\":\"$(printf '%#x' $((0x10 + $1)))\"$json}}" >/dev/null
	for _ in $(seq 1 100); do [ -n "$(xferblk_disk "$1")" ] && return 0; sleep 0.2; done
	return 1
}
vol_make mu mirror 65536 "pci:${addrs[0]}" "pci:${addrs[2]}"
v=$(vol_disk mu)
timeout 120 fio --name=mu --filename="/dev/$v" --direct=1 --ioengine=io_uring --iodepth=8 \
	--rw=randwrite --bs=64k --size=32m --verify=crc32c --verify_fatal=1 --do_verify=1 \
	--verify_state_save=0 --loops=4 >"$tmp/fio.mu" 2>&1 &
fio_pid=$!
sleep 2
unplug 2
gone=$?
wait $fio_pid
rc=$?
# Should fio have ended before the unplug, this write finds the leg gone.
write_range "$v" 0 1048576 "$tmp/a" && read_range "$v" 0 1048576 "$tmp/back" &&
	cmp -s "$tmp/back" <(head -c 1M "$tmp/a")
ok=$?
[ $gone -eq 0 ] && [ $rc -eq 0 ] && [ $ok -eq 0 ] && [ "$(vstat "$v" degraded)" -eq 1 ] &&
	[ "$(vstat "$v" parent_errors)" -eq 0 ]
ktap_result $? "[unplug] a leg unplugged under fio verify (exit $rc): degraded $(vstat "$v" degraded), I/O goes on, no error (parent_errors $(vstat "$v" parent_errors))"
vol_drop mu && replug 2
ktap_result $? "[unplug] the mirror removed, the device back"
d[2]=$(xferblk_disk 2)
vol_make su stripe 65536 "pci:${addrs[0]}" "pci:${addrs[2]}"
v=$(vol_disk su)
unplug 2
! timeout 60 dd if=/dev/zero of="/dev/$v" bs=1M count=4 oflag=direct status=none 2>/dev/null
rc=$?
[ $rc -eq 0 ] && [ "$(vstat "$v" parent_errors)" -ge 1 ]
ktap_result $? "[unplug] a stripe target unplugged: its I/O fails (no hang), parent_errors $(vstat "$v" parent_errors)"
vol_drop su && replug 2
ktap_result $? "[unplug] the stripe removed, the device back"
d[2]=$(xferblk_disk 2)
# A stacked volume whose lower disk goes away (virtio-blk unplugged): the
# same, its I/O fails, nothing hangs; the disk comes back.
if [ -n "$vd" ]; then
	vol_make vu single 65536 "/dev/$vd"
	v=$(vol_disk vu)
	"$qmp" '{"execute":"device_del","arguments":{"id":"bvirtio"}}' >/dev/null
	for _ in $(seq 1 100); do [ -e "/sys/bus/pci/devices/$XFERBLK_VIRTIO_PCI" ] || break; sleep 0.2; done
	! timeout 60 dd if=/dev/zero of="/dev/$v" bs=1M count=4 oflag=direct status=none 2>/dev/null
	rc=$?
	[ $rc -eq 0 ] && [ "$(vstat "$v" parent_errors)" -ge 1 ] && vol_drop vu
	ktap_result $? "[unplug] the virtio-blk disk under a stacked volume unplugged: its I/O fails, no hang, removed"
	"$qmp" '{"execute":"device_add","arguments":{"driver":"virtio-blk-pci","drive":"bvirtio","id":"bvirtio","addr":"0x1a"}}' >/dev/null
	for _ in $(seq 1 100); do vd=$(ls "/sys/bus/pci/devices/$XFERBLK_VIRTIO_PCI"/virtio*/block 2>/dev/null | head -n1) && [ -n "$vd" ] && break; sleep 0.2; done
	[ -n "$vd" ] && [ -b "/dev/$vd" ]
	ktap_result $? "[unplug] the virtio-blk disk is back ($vd)"
else
	for i in 1 2; do ktap_result skip "[unplug] no virtio-blk disk"; done
fi

# The blk-mq comparison mode under the same volumes.
param=/sys/module/xferblk/parameters/queue_mode
rebind_all() {
	local a
	echo "$1" >"$param" || return 1
	for a in "${addrs[@]}"; do
		echo "$a" >/sys/bus/pci/drivers/xferblk/unbind && echo "$a" >/sys/bus/pci/drivers/xferblk/bind || return 1
	done
	for i in 0 1 2 3 4; do d[i]=$(xferblk_disk "$i"); done
}
rebind_all mq
ktap_result $? "[mq] the PCI disks rebound in blk-mq mode"
stripe_case mq-s2 65536 "8 128" 0 1
mirror_case mq-m2
rebind_all bio
ktap_result $? "[mq] back in bio mode"
ktap_finish
