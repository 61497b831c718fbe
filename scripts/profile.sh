#!/usr/bin/env bash
# `make profile`: where a 1 MiB read goes. Boots one guest with an xferblk
# disk limited to 128 KiB per command (so each read is a parent of 8
# children) and a virtio-blk disk (one request per read), runs the same fio
# sequential 1 MiB read on each under `perf record -a -g` (cpu-clock: TCG
# has no PMU) and writes to build/profile/ the profile by symbol, self time
# (<disk>-self.txt) and time including callees (<disk>-children.txt).
# docs/performance.md reads them. PROFILE_RUNTIME=SECONDS (default 8).
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$XFERBLK_TOP"
out=$XFERBLK_TOP/build/profile

if [ "${1:-}" = guest ]; then
	read -ra addrs <<<"$XFERBLK_DISKS"
	modprobe -d "$XFERBLK_KROOT" virtio_blk
	insmod xferblk.ko
	# Kernel and module symbols come from kallsyms: no vmlinux in the guest.
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	sleep 1
	xd=$(ls "/sys/bus/pci/devices/${addrs[0]}/block")
	vd=$(ls /sys/bus/pci/devices/0000:00:1a.0/virtio*/block)
	for disk in "$xd" "$vd"; do
		# perf's own output goes to the guest's tmpfs, not the shared tree.
		data=/tmp/profile-$disk.data
		perf record -q -e cpu-clock -a -g -o "$data" -- \
			fio --name=profile --filename="/dev/$disk" --direct=1 --ioengine=io_uring \
			--rw=read --bs=1m --iodepth=8 --eta=never --time_based \
			--runtime="$PROFILE_RUNTIME" --output="$out/$disk-fio.txt"
		# Self time per symbol, then time including callees.
		for kind in self children; do
			perf report -q -i "$data" --kallsyms=/proc/kallsyms --stdio --sort sym -g none \
				"--$([ $kind = self ] && echo no-)children" --percent-limit 0.3 \
				>"$out/$disk-$kind.txt" 2>/dev/null
		done
		rm -f "$data"
		grep -E "READ:" "$out/$disk-fio.txt" | sed "s|^ *|$disk: |"
	done
	[ -d "/sys/block/$xd/xferblk" ] && for c in parents children dev_commands dev_interrupts; do
		echo "$xd $c $(cat "/sys/block/$xd/xferblk/$c")"
	done
	rmmod xferblk
	exit 0
fi

rm -rf "$out"
mkdir -p "$out"
img=$out/virtio.img
truncate -s 256M "$img"
aio=$(sed -n 's/.*\(file\.aio=[a-z_]*\).*/\1/p' qemu/run-guest.sh | head -n1)
qemu/run-guest.sh --smp 2 --timeout 600 --log "$out/console.log" --disk "max-transfer=131072" \
	--qemu-arg -blockdev --qemu-arg "driver=raw,node-name=bvirtio,file.driver=file,${aio:+$aio,}file.filename=$img" \
	--qemu-arg -device --qemu-arg "virtio-blk-pci,drive=bvirtio,id=bvirtio,addr=0x1a" -- \
	env PROFILE_RUNTIME="${PROFILE_RUNTIME:-8}" scripts/profile.sh guest
rm -f "$img"
log "profiles in $out: $(cd "$out" && echo ./*.txt)"
