#!/usr/bin/env bash
# `make bench`: boots ONE guest with xferblk disks next to a
# virtio-blk and an NVMe disk on raw images of the same size, runs the same
# fio jobs on each (the job files of bench/, run by scripts/bench-guest.sh;
# null_blk is loaded in the guest) and turns the outputs into build/bench/
# table.txt, results.json and the charts (chart.svg/png, latency.svg/png
# and the scaling curves, curves.svg/png, drawn by gnuplot from charts.gp)
# with build/tools/xferbench/xferbench.
# Raw outputs: build/bench/raw; the console: build/bench/console.log.
#
# The scaling curves (bench/curve-*.fio, after the jobs, before the memory
# runs): 4 KiB random read IOPS against iodepth 1..128 (one job) and against
# 1..4 jobs of iodepth 16 pinned round-robin to the vCPUs, on xferblk (the
# default 128 KiB disk), nvme and virtio-blk. The guest keeps its 2 vCPUs,
# so 3 and 4 jobs share them: the jobs curve shows where submission stops
# scaling on this machine, not scaling to 4 CPUs. One short run per point:
# 12 points x 3 devices x (2 s + 1 s ramp + about 1 s of fio start) is
# about 2.5 min.
#
# Environment (defaults are what `make bench` runs):
#   BENCH_REPS=5        repetitions of every job on every device
#   BENCH_MAX_REPS=N    repetitions at most of a job whose target is
#                       undecided (default 3 x BENCH_REPS, at least 5): while
#                       the 95% interval of some ratio straddles its target,
#                       or fewer than 5 repetitions (the least a verdict
#                       needs) succeeded on both devices, the job runs once
#                       more on all its devices, up to N repetitions in all;
#                       N <= BENCH_REPS runs no more
#   BENCH_RUNTIME=3     seconds measured per run, after
#   BENCH_RAMP=1        seconds of ramp (not measured)
#   BENCH_ONLY=REGEX    only the jobs whose id matches (P1-read, P1-write, P2,
#                       P3, P4, P5-4k, P5-1m, P6), e.g. BENCH_ONLY='P3|P4'
#                       (the curves run whatever it says: BENCH_CURVES)
#   BENCH_CURVES=0      skip the scaling curves
#   BENCH_CURVE_RUNTIME=2  seconds measured per point of a curve, after
#   BENCH_CURVE_RAMP=1  seconds of ramp
#   BENCH_CURVE_REPS=1  runs per point and device (the median is plotted;
#                       above 1, the JSON has the min and max too)
#   BENCH_MEMORY=0      skip the memory measurement
#   BENCH_SIZE=256M     size of every disk image (fio uses all of it)
#   BENCH_MODULE=FILE   the xferblk.ko to measure (default: the tree's)
#   QEMU=FILE           the QEMU to run (default: qemu/build-qemu.sh's)
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$XFERBLK_TOP"

reps=${BENCH_REPS:-5}
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS=$reps: not a count of repetitions"
max_reps=${BENCH_MAX_REPS:-$((3 * reps > 5 ? 3 * reps : 5))}
[[ $max_reps =~ ^[0-9]+$ ]] || die "BENCH_MAX_REPS=$max_reps: not a count of repetitions"
max_reps=$((10#$max_reps))
[ "$max_reps" -ge "$reps" ] || max_reps=$reps
runtime=${BENCH_RUNTIME:-3}
ramp=${BENCH_RAMP:-1}
curves=${BENCH_CURVES:-1}
[[ $curves =~ ^[01]$ ]] || die "BENCH_CURVES=$curves: 0 or 1"
curve_runtime=${BENCH_CURVE_RUNTIME:-2}
[[ $curve_runtime =~ ^[1-9][0-9]*$ ]] || die "BENCH_CURVE_RUNTIME=$curve_runtime: not a count of seconds"
curve_ramp=${BENCH_CURVE_RAMP:-1}
[[ $curve_ramp =~ ^[0-9]+$ ]] || die "BENCH_CURVE_RAMP=$curve_ramp: not a count of seconds"
curve_reps=${BENCH_CURVE_REPS:-1}
[[ $curve_reps =~ ^[1-9][0-9]*$ ]] || die "BENCH_CURVE_REPS=$curve_reps: not a count of repetitions"
curve_runtime=$((10#$curve_runtime))
curve_ramp=$((10#$curve_ramp))
curve_reps=$((10#$curve_reps))
size=${BENCH_SIZE:-256M}
out=$XFERBLK_TOP/build/bench
raw=$out/raw
scratch=$out/scratch
xferbench=$XFERBLK_TOP/build/tools/xferbench/xferbench

[ -x "$xferbench" ] || die "$xferbench is missing: run make tools (or make bench)"
module=$(realpath "${BENCH_MODULE:-xferblk.ko}")
[ -f "$module" ] || die "$module is missing: run make module (or make bench)"
# The guest runs the host's fio: what parses here parses there.
BENCH_DEV=/dev/null BENCH_SIZE=1M BENCH_RUNTIME=1 BENCH_RAMP=0 BENCH_IODEPTH=1 BENCH_NUMJOBS=1 BENCH_CPUS=0 \
	fio --parse-only bench/[0-9]*.fio bench/memory-*.fio bench/curve-*.fio ||
	die "a job file of bench/ does not parse"
qemu=${QEMU:-$(qemu/build-qemu.sh)}
start=$(date +%s)

rm -rf "$raw" "$scratch"
mkdir -p "$raw" "$scratch"
trap 'rm -rf "$scratch"' EXIT

# The xferblk disks, in --disk order; the guest learns each one's role from
# BENCH_ROLES in the same order.
#   xferblk        the device defaults: 128 KiB per command (P1, P3)
#   xferblk64      64 KiB per command, bio mode (P2)
#   xferblk64-mq   the same, rebound in the driver's blk-mq mode (P2)
#   xferblk-lat    every completion held 200 us (P4, async and sync send)
#   xferblk-null   the device's null backend, no data moved (P5)
#   xferblk-poll   three queues, rebound with one of them a poll queue (P6)
#   vol-a, vol-b   the two disks under a stripe and a mirror volume, and
#                  under md raid0 and raid1 (P7, P8)
roles=(xferblk xferblk64 xferblk64-mq xferblk-lat xferblk-null xferblk-poll vol-a vol-b)
disks=(--disk "max-transfer=131072"
	--disk "max-transfer=65536"
	--disk "max-transfer=65536"
	--disk "max-transfer=131072,fault-delay-us=200"
	--disk "max-transfer=131072,null=on"
	--disk "max-transfer=131072,queues=3"
	--disk "max-transfer=131072"
	--disk "max-transfer=131072")

# The peers, on images of the same size, at fixed PCI slots the guest knows,
# attached the way qemu/run-guest.sh attaches the xferblk disks (its
# file.aio=..., if it sets one): a comparison is only fair if every disk
# reaches the host the same way.
truncate -s "$size" "$scratch/virtio.img" "$scratch/nvme.img"
aio=$(sed -n 's/.*\(file\.aio=[a-z_]*\).*/\1/p' qemu/run-guest.sh | head -n1)
peers=(
	--qemu-arg -blockdev --qemu-arg "driver=raw,node-name=bvirtio,file.driver=file,${aio:+$aio,}file.filename=$scratch/virtio.img"
	--qemu-arg -device --qemu-arg "virtio-blk-pci,drive=bvirtio,id=bvirtio,addr=0x1a"
	--qemu-arg -blockdev --qemu-arg "driver=raw,node-name=bnvme,file.driver=file,${aio:+$aio,}file.filename=$scratch/nvme.img"
	--qemu-arg -device --qemu-arg "nvme,drive=bnvme,id=bnvme,serial=xferbench,mdts=5,addr=0x1b"
)

# Once QEMU runs, records its -blockdev arguments (build/bench/blockdevs.txt)
# so the AIO modes of all disks can be compared after the run.
record_blockdevs() {
	local pid p
	for _ in $(seq 300); do
		pid=
		for p in $(pgrep -f -- "$scratch/nvme.img" || true); do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$qemu")" ] && pid=$p
		done
		if [ -n "$pid" ]; then
			tr '\0' '\n' <"/proc/$pid/cmdline" | grep -A1 -x -- -blockdev | grep -v -x -e -blockdev -e -- \
				>"$out/blockdevs.txt"
			return 0
		fi
		sleep 1
	done
}

# A generous limit: every job on three devices as many times as the
# undecided ones may run, plus boot and memory runs, plus every point of
# every curve on its three devices (the guest prints its own estimate of
# the curves' time when they start).
curve_points=0
curves_note=
if [ "$curves" = 1 ]; then
	curve_points=$(sed -n 's/^; points: //p' bench/curve-*.fio | wc -w)
	curves_note="; then the scaling curves, $curve_points points per device, ${curve_reps} x ${curve_runtime}s (+${curve_ramp}s ramp) each"
fi
timeout_s=$((300 + max_reps * 7 * 3 * (runtime + ramp + 5) + curve_points * 3 * curve_reps * (curve_runtime + curve_ramp + 5)))
log "booting one guest for the benchmark: $reps repetitions of ${runtime}s (+${ramp}s ramp), up to $max_reps for undecided targets$curves_note; progress below, console in $out/console.log"
rm -f "$out/blockdevs.txt"
record_blockdevs &
recorder=$!
rc=0
qemu/run-guest.sh --smp 2 --timeout "$timeout_s" --log "$out/console.log" \
	--image-size "$size" "${disks[@]}" "${peers[@]}" -- \
	env BENCH_RAW="$raw" BENCH_REPS="$reps" BENCH_MAX_REPS="$max_reps" \
	BENCH_RUNTIME="$runtime" BENCH_RAMP="$ramp" \
	BENCH_ONLY="${BENCH_ONLY:-}" BENCH_MEMORY="${BENCH_MEMORY:-1}" BENCH_ROLES="${roles[*]}" \
	BENCH_CURVES="$curves" BENCH_CURVE_RUNTIME="$curve_runtime" BENCH_CURVE_RAMP="$curve_ramp" \
	BENCH_CURVE_REPS="$curve_reps" \
	BENCH_XFERBENCH="$xferbench" \
	BENCH_MODULE="$module" \
	BENCH_PEERS="virtio-blk=0000:00:1a.0 nvme=0000:00:1b.0" \
	scripts/bench-guest.sh || rc=$?
[ "$rc" = 0 ] || log "the guest ended with status $rc; reporting what it left"
kill "$recorder" 2>/dev/null || true
wait "$recorder" 2>/dev/null || true
if [ -s "$out/blockdevs.txt" ] && [ -f "$raw/manifest.tsv" ]; then
	# QEMU's default AIO mode is threads.
	modes=$(sed -e 's/.*file\.aio=\([a-z_]*\).*/\1/;t' -e 's/.*/threads/' "$out/blockdevs.txt" | sort -u)
	ndisks=$(wc -l <"$out/blockdevs.txt")
	if [ "$(wc -l <<<"$modes")" = 1 ]; then
		disks_note="all $ndisks disks: raw images over file, aio=$modes"
	else
		disks_note="MISMATCH: the disks use different AIO modes ($(echo $modes)); see blockdevs.txt"
		log "warning: $disks_note"
	fi
	printf 'meta\tdisks\t%s\n' "$disks_note" >>"$raw/manifest.tsv"
fi

if [ -f "$raw/manifest.tsv" ]; then
	"$xferbench" report --raw "$raw" --out "$out" || rc=1
	log "wrote in $out: $(cd "$out" && ls table.txt results.json chart.* latency.* curves.* 2>/dev/null | tr '\n' ' ')"
else
	log "no results: the guest wrote no manifest"
	rc=1
fi
end=$(date +%s)
log "bench took $(((end - start) / 60)) min $(((end - start) % 60)) s"
exit "$rc"
