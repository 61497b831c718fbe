#!/usr/bin/env bash
# Boots the Debian 6.12 guest under TCG with our QEMU and one or more xferblk
# disks, runs one command in it and exits with that command's status.
# With --kernel debug it boots the debug kernel instead.
#
# usage: run-guest.sh [options] [--] command [args...]
#   --disk PROPS     add an xferblk disk on a fresh sparse image; PROPS are
#                    extra device properties ("max-transfer=4096,max-segments=2").
#                    Repeatable; default: one disk with the device defaults.
#   --image-size SZ  size of each scratch image (default 256M)
#   --smp N          guest CPUs (default 2)
#   --mem MIB        guest memory (default 1024; 2048 with --kernel debug)
#   --timeout SEC    hard limit for the whole run (default 600)
#   --log FILE       console log (default build/guest/console.log)
#   --qemu-arg ARG   extra QEMU argument, repeatable
#   --no-disk        no xferblk disk at all
#   --kvm            use KVM instead of TCG (opt-in: nested KVM fails here)
#   --single-thread  one TCG thread for all vCPUs (see below)
#   --kernel K       debian (default): Debian's 6.12 kernel (fetch-kernel.sh);
#                    debug: the KASAN/lockdep/kmemleak kernel built by
#                    scripts/build-debug-kernel.sh (built on first use, cached),
#                    with the whole kernel log on the console
#
# QMP: QEMU listens on $run/qmp.sock, and a guest command can have the host
# run a QMP command through the shared run directory (selftests/qmp.sh):
# it writes $XFERBLK_RUN/qmp/<name>.req, the host answers in <name>.rsp.
# Disks are -blockdev nodes xd<i> behind devices with id xferblk<i>, so a
# device_del'ed disk can be plugged back with device_add.
#
# In the guest the host's / is the read-only root, the project tree is
# read-write at its host path and the command runs from there with
# XFERBLK_TOP, XFERBLK_KERNEL (debian or debug), XFERBLK_KVER, XFERBLK_KROOT
# and XFERBLK_DISKS (PCI addresses of the disks, in --disk order) set;
# XFERBLK_DISK_PROPS_<i> holds each disk's properties. Exit status: the
# command's, 124 on timeout, 125 if the guest died without reporting one.
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

disks=()
image_size=256M
smp=2
mem=
kernel=debian
timeout_s=600
log=$XFERBLK_TOP/build/guest/console.log
qemu_args=()
accel=tcg
single=0
no_disk=0
while [ $# -gt 0 ]; do
	case $1 in
	--disk) disks+=("$2"); shift 2 ;;
	--image-size) image_size=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--qemu-arg) qemu_args+=("$2"); shift 2 ;;
	--kvm) accel=kvm; shift ;;
	--single-thread) single=1; shift ;;
	--no-disk) no_disk=1; shift ;;
	--kernel) kernel=$2; shift 2 ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || die "no command given"
[ ${#disks[@]} -gt 0 ] || [ "$no_disk" = 1 ] || disks=("")

# klog: how much of the kernel log reaches the console. The debug kernel's
# reports (lockdep, DMA-API, WARN) are KERN_WARNING, which quiet hides.
case $kernel in
debian)
	eval "$("$XFERBLK_TOP/scripts/fetch-kernel.sh")"
	klog=quiet
	: "${mem:=1024}"
	;;
debug)
	eval "$("$XFERBLK_TOP/scripts/build-debug-kernel.sh")"
	klog="loglevel=7 printk.time=1 kasan_multi_shot"
	: "${mem:=2048}"
	;;
*) die "unknown kernel $kernel (debian or debug)" ;;
esac
qemu=${QEMU:-$("$XFERBLK_TOP/qemu/build-qemu.sh")}
initrd=$("$XFERBLK_TOP/qemu/mkinitramfs.sh" "$KVER" "$KROOT")

# The run directory is inside the project tree: the guest sees it over 9p.
mkdir -p "$XFERBLK_TOP/build/guest" "$(dirname "$log")"
run=$(mktemp -d "$XFERBLK_TOP/build/guest/run.XXXXXX")
trap 'rm -rf "$run"' EXIT

dev_args=()
addrs=()
{
	echo "export XFERBLK_TOP=$(printf %q "$XFERBLK_TOP") XFERBLK_RUN=$(printf %q "$run")"
	echo "export XFERBLK_KERNEL=$kernel XFERBLK_KVER=$KVER XFERBLK_KROOT=$(printf %q "$KROOT")"
	for i in "${!disks[@]}"; do
		slot=$((0x10 + i))
		addr=$(printf '0000:00:%02x.0' "$slot")
		addrs+=("$addr")
		truncate -s "$image_size" "$run/disk$i.img"
		# aio=io_uring: no hand-off to a worker thread per request.
		dev_args+=(-blockdev "driver=raw,node-name=xd$i,file.driver=file,file.aio=io_uring,file.filename=$run/disk$i.img"
			-device "xferblk,drive=xd$i,id=xferblk$i,addr=$(printf '%#x' "$slot")${disks[$i]:+,${disks[$i]}}")
		echo "export XFERBLK_DISK_PROPS_$i=$(printf %q "${disks[$i]}")"
	done
	echo "export XFERBLK_DISKS=\"${addrs[*]}\" XFERBLK_IMAGE_BYTES=$(stat -c %s "$run/disk0.img" 2>/dev/null)"
	echo "cd \"\$XFERBLK_TOP\""
	printf '%q ' "$@"
	echo
} >"$run/cmd.sh"

cpu=max
accel_opts=$accel
[ "$accel" = kvm ] && cpu=host
# More vCPUs than host cores, or --single-thread: one TCG thread for all of
# them. Multi-threaded TCG oversubscribed like that crashed QEMU 10.0.2 in
# its softmmu TLB fill (use of a freed memory-map section,
# memory_region_section_get_iotlb()) in about 1 of 20 boots here, and once
# at 2 vCPUs on 2 busy cores in a boot that resets the controller dozens
# of times: each reset turns bus mastering off and on, and each of those
# rebuilds the memory map under the other vCPU. The guest still sees
# every vCPU.
if [ "$accel" = tcg ] && { [ "$smp" -gt "$(nproc)" ] || [ "$single" = 1 ]; }; then
	accel_opts=tcg,thread=single
fi
# iomem=relaxed: tests reach the device's fault registers through the PCI
# resource file while the driver holds BAR0 (Debian's kernel is built with
# IO_STRICT_DEVMEM). tsc=reliable: under TCG the guest's TSC is the host's,
# but the kernel distrusts it and falls back to acpi_pm, each read of which
# is a port I/O exit: a fifth of the guest's time in an I/O benchmark went
# there (fio and the block layer read the clock per I/O).
# XFERBLK_GUEST_APPEND: more kernel parameters, for experiments.
# The QMP mailbox: answer each request file the guest leaves, in order.
mkdir -p "$run/qmp"
qmp_mailbox() {
	local req rsp
	while [ -d "$run/qmp" ]; do
		for req in "$run"/qmp/*.req; do
			[ -f "$req" ] || continue
			rsp=${req%.req}.rsp
			{ echo '{"execute":"qmp_capabilities"}'; cat "$req"; } |
				socat -t 5 - "UNIX-CONNECT:$run/qmp.sock" 2>&1 |
				grep -E '"(return|error)"' | tail -n1 >"$rsp.tmp"
			rm -f "$req"
			mv "$rsp.tmp" "$rsp"
		done
		sleep 0.2
	done
}
qmp_mailbox &
mailbox=$!
trap 'kill $mailbox 2>/dev/null; rm -rf "$run"' EXIT

log "booting $KVER ($accel, ${smp} CPUs, ${mem} MiB, ${#disks[@]} xferblk disk(s)); console: $log"
set +e
timeout -k 10 "$timeout_s" "$qemu" \
	-M pc -accel "$accel_opts" -cpu "$cpu" -smp "$smp" -m "$mem" \
	-nodefaults -display none -serial stdio -no-reboot \
	-L /usr/share/seabios -L /usr/share/qemu \
	-kernel "$KROOT/boot/vmlinuz-$KVER" -initrd "$initrd" \
	-append "console=ttyS0 $klog panic=-1 iomem=relaxed tsc=reliable ${XFERBLK_GUEST_APPEND:-} xferblk.top=$XFERBLK_TOP xferblk.kroot=$KROOT xferblk.run=$run/cmd.sh" \
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$XFERBLK_TOP,mount_tag=project,security_model=none,multidevs=remap" \
	-virtfs "local,path=$KROOT,mount_tag=kroot,security_model=none,readonly=on,multidevs=remap" \
	-qmp "unix:$run/qmp.sock,server=on,wait=off" \
	"${dev_args[@]}" "${qemu_args[@]}" </dev/null 2>&1 | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e

if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	log "timed out after ${timeout_s}s"
	exit 124
fi
rc=$(sed -n 's/^XFERBLK_GUEST_EXIT=\([0-9]*\).*/\1/p' "$log" | tail -n1)
if [ -z "$rc" ]; then
	log "guest ended without reporting a status (QEMU exit $qemu_rc)"
	exit 125
fi
exit "$rc"
