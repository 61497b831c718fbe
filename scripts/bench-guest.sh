#!/bin/bash
# The guest half of `make bench` (scripts/bench.sh): loads xferblk, puts one
# disk in blk-mq mode when the driver has it, loads virtio_blk, nvme and
# null_blk, runs every job on its devices (repetitions interleaved, the
# device order rotated every repetition), runs the jobs whose targets are
# still undecided again, one repetition at a time, up to $BENCH_MAX_REPS
# repetitions, measures the scaling curves (unless BENCH_CURVES=0) and then
# memory. The jobs are the fio job files of bench/ (see bench/common.fio):
# NN-*.fio in their order, then curve-*.fio, then memory-*.fio. Writes fio's
# JSON outputs and the manifest xferbench reads to $BENCH_RAW, and a
# progress line per run to the console.
set -euo pipefail
cd "$XFERBLK_TOP"

raw=$BENCH_RAW
reps=$BENCH_REPS
max_reps=${BENCH_MAX_REPS:-$((3 * reps > 5 ? 3 * reps : 5))}
[ "$max_reps" -ge "$reps" ] || max_reps=$reps
runtime=$BENCH_RUNTIME
ramp=$BENCH_RAMP
only=${BENCH_ONLY:-}
xb=$BENCH_XFERBENCH
man=$raw/manifest.tsv
size=$XFERBLK_IMAGE_BYTES
mem_runtime=4
t0=$(date +%s)

clock() {
	local s=$(($(date +%s) - t0))
	printf '%d:%02d' $((s / 60)) $((s % 60))
}
say() { printf '[bench %s] %s\n' "$(clock)" "$*"; }
# One manifest record: fields joined by tabs (no field may hold a tab).
rec() {
	local IFS=$'\t'
	printf '%s\n' "$*" >>"$man"
}
missing() {
	rec missing "$1" "$2"
	say "missing: $1: $2"
}
blk_of() { ls "/sys/bus/pci/devices/$1/block" 2>/dev/null | head -n1; }
limits_of() {
	local q=/sys/block/$1/queue
	echo "/dev/$1 max_hw_sectors_kb=$(cat "$q/max_hw_sectors_kb") max_segments=$(cat "$q/max_segments")" \
		"hw_queues=$(ls -d /sys/block/"$1"/mq/* 2>/dev/null | wc -l)"
}

mkdir -p "$raw/fio" "$raw/memory"
: >"$man"
rec meta reps "$reps"
rec meta max_reps "$max_reps"
rec meta runtime "$runtime"
rec meta ramp "$ramp"
rec meta cpus "$(nproc)"
rec meta guest "Linux $(uname -r), $(nproc) vCPUs under QEMU TCG, $(fio --version), io_uring, direct=1"
rec meta started "$(date -u '+%Y-%m-%d %H:%M UTC')"

# Block device (name in /dev) of each device id, its PCI address (for its
# interrupts; the caller's $addr, empty for null_blk) and its send mode.
declare -A dev send_mode pci
add_device() { # id name label [send mode]
	dev[$1]=$2
	send_mode[$1]=${4:-}
	pci[$1]=${addr:-}
	rec device "$1" "$3"
	rec meta "limits.$1" "$(limits_of "$2")"
}

# The peers first: the guest has no udev, so their drivers are loaded by
# hand, and the block layer's own caches (the split bioset of the first
# disk) then exist before xferblk comes, whose new caches are its own.
say "loading virtio_blk, nvme and null_blk"
modprobe -d "$XFERBLK_KROOT" virtio_blk || say "modprobe virtio_blk failed"
# One poll queue beside the interrupt queues, for the polled job (P6).
modprobe -d "$XFERBLK_KROOT" nvme poll_queues=1 || say "modprobe nvme failed"
# null_blk: blk-mq, completion in the submitter's context (no timer, no
# softirq: the ceiling), at most 128 KiB per request like the xferblk disks.
modprobe -d "$XFERBLK_KROOT" null_blk queue_mode=2 irqmode=0 nr_devices=1 gb=1 bs=512 \
	hw_queue_depth=128 submit_queues="$(nproc)" max_sectors=256 || say "modprobe null_blk failed"
# xferblk: loaded in bio mode (the driver's default) where the parameter
# exists.
say "loading $BENCH_MODULE"
params=()
modinfo -F parm "$BENCH_MODULE" 2>/dev/null | grep -q '^queue_mode:' && params+=(queue_mode=bio)
ls /sys/kernel/slab >"$raw/slab-before.txt"
insmod "$BENCH_MODULE" "${params[@]}"
ls /sys/kernel/slab | comm -13 "$raw/slab-before.txt" - >"$raw/slab-driver.txt"
rm -f "$raw/slab-before.txt"

# Probes $addr again with the module parameter $1 set to $2 (then back to
# $3, for the disks probed after), as parameters like queue_mode and
# poll_queues apply to disks probed afterwards. Prints the new disk's name
# if its xferblk/$4 then reads $5; else fails with the reason in
# $raw/rebind.err.
rebind_with() {
	local p=/sys/module/xferblk/parameters/$1 name got
	if ! { [ -w "$p" ] && echo "$2" >"$p" && echo "$addr" >/sys/bus/pci/drivers/xferblk/unbind &&
		echo "$addr" >/sys/bus/pci/drivers/xferblk/bind; } 2>"$raw/rebind.err"; then
		echo "rebinding $addr with $1=$2 failed: $(tr '\n' ' ' <"$raw/rebind.err")" >"$raw/rebind.err"
		echo "$3" >"$p" 2>/dev/null || true
		return 1
	fi
	echo "$3" >"$p"
	name=$(blk_of "$addr")
	got=$(cat "/sys/block/$name/xferblk/$4" 2>/dev/null || echo none)
	if [ -z "$name" ] || [ "$got" != "$5" ]; then
		echo "after rebinding, $addr has disk '${name:-none}' with $4 '$got'" >"$raw/rebind.err"
		return 1
	fi
	echo "$name"
}

read -ra roles <<<"$BENCH_ROLES"
read -ra addrs <<<"$XFERBLK_DISKS"
for i in "${!roles[@]}"; do
	role=${roles[$i]}
	addr=${addrs[$i]}
	name=$(blk_of "$addr")
	if [ -z "$name" ]; then
		missing "$role" "no block device under PCI $addr"
		continue
	fi
	kb=$(cat "/sys/block/$name/queue/max_hw_sectors_kb")
	case $role in
	xferblk) add_device xferblk "$name" "xferblk bio, $kb KiB" ;;
	xferblk64) add_device xferblk64 "$name" "xferblk bio split, $kb KiB" ;;
	xferblk64-mq)
		# The blk-mq comparison mode applies to disks probed after the
		# parameter changes: rebind this one.
		name=$(rebind_with queue_mode mq bio queue_mode mq) || {
			missing xferblk64-mq "$(cat "$raw/rebind.err")"
			continue
		}
		add_device xferblk64-mq "$name" "xferblk blk-mq split, $(cat "/sys/block/$name/queue/max_hw_sectors_kb") KiB"
		;;
	xferblk-lat)
		add_device xferblk-async "$name" "xferblk async send, 200 us" async
		add_device xferblk-sync "$name" "xferblk sync send, 200 us" sync
		;;
	xferblk-null) add_device xferblk-null "$name" "xferblk null device, $kb KiB" ;;
	xferblk-poll)
		name=$(rebind_with poll_queues 1 0 poll_queues 1) || {
			missing xferblk-poll "$(cat "$raw/rebind.err")"
			continue
		}
		add_device xferblk-poll "$name" "xferblk bio, 1 poll queue, $kb KiB"
		;;
	vol-a) vol_a=$name ;;
	vol-b) vol_b=$name ;;
	esac
done
rm -f "$raw/rebind.err"
for id in xferblk xferblk64; do
	[ -n "${dev[$id]:-}" ] || continue
	m=$(cat "/sys/block/${dev[$id]}/xferblk/queue_mode" 2>/dev/null || true)
	[ -z "$m" ] || [ "$m" = bio ] || say "warning: $id is in queue_mode $m, not bio"
done

# The peers' disks appear below, once they are probed.
for peer in $BENCH_PEERS; do
	id=${peer%%=*}
	addr=${peer#*=}
	name=
	for _ in $(seq 50); do
		case $id in
		virtio-blk) name=$(ls "/sys/bus/pci/devices/$addr"/virtio*/block 2>/dev/null | head -n1) ;;
		# The namespace (one NVMe disk here), not its path node nvme0c0n1.
		nvme) for b in /sys/block/nvme*n1; do [[ ${b##*/} =~ ^nvme[0-9]+n1$ ]] && name=$b; done ;;
		esac
		name=${name##*/}
		[ -n "$name" ] && [ -b "/dev/$name" ] && break
		sleep 0.2
	done
	if [ -z "$name" ]; then
		missing "$id" "no block device under PCI $addr"
		continue
	fi
	case $id in
	virtio-blk) add_device virtio-blk "$name" "virtio-blk, no split" ;;
	nvme) add_device nvme "$name" "nvme mdts=5, $(cat "/sys/block/$name/queue/max_hw_sectors_kb") KiB" ;;
	esac
done
addr=
if [ -b /dev/nullb0 ]; then
	add_device null_blk nullb0 "null_blk, $(cat /sys/block/nullb0/queue/max_hw_sectors_kb) KiB"
else
	missing null_blk "null_blk did not load"
fi

# P7, P8: an xferblk volume and an md array over the same two disks, one at
# a time (each claims both): prepare() builds the one a run needs. Each is
# built once here for its limits, and to learn whether it can be.
cfg=/sys/kernel/config/xferblk/bench
stack_down() {
	if [ -d "$cfg" ]; then echo 0 >"$cfg/power" && rmdir "$cfg"; fi
	if [ -b /dev/md0 ]; then
		mdadm --stop /dev/md0 >/dev/null 2>&1 || true
		mdadm --zero-superblock "/dev/$vol_a" "/dev/$vol_b" >/dev/null 2>&1 || true
	fi
}
stack_up() { # stack_up <id>: prints its block device's name
	stack_down
	case $1 in
	xferblk-stripe | xferblk-mirror)
		mkdir "$cfg" && echo "${1#xferblk-}" >"$cfg/layout" && echo 65536 >"$cfg/chunk_size" &&
			echo "/dev/$vol_a /dev/$vol_b" >"$cfg/targets" && echo 1 >"$cfg/power" && cat "$cfg/disk"
		;;
	md-raid0)
		mdadm --create /dev/md0 --run --force --level=0 --chunk=64 --raid-devices=2 \
			"/dev/$vol_a" "/dev/$vol_b" >/dev/null 2>&1 && echo md0
		;;
	md-raid1)
		# Both legs start equal (zeroed images): no resync to wait for.
		mdadm --create /dev/md0 --run --force --level=1 --assume-clean --raid-devices=2 \
			"/dev/$vol_a" "/dev/$vol_b" >/dev/null 2>&1 && echo md0
		;;
	esac
}
stacks=()
if [ -n "${vol_a:-}" ] && [ -n "${vol_b:-}" ]; then
	modprobe -d "$XFERBLK_KROOT" raid0 || say "modprobe raid0 failed"
	modprobe -d "$XFERBLK_KROOT" raid1 || say "modprobe raid1 failed"
	for id in xferblk-stripe md-raid0 xferblk-mirror md-raid1; do
		if ! command -v mdadm >/dev/null && [[ $id == md-* ]]; then
			missing "$id" "mdadm is not installed"
		elif name=$(stack_up "$id") && [ -n "$name" ]; then
			addr=
			add_device "$id" "$name" "$id over two 128 KiB disks$([[ $id == *stripe || $id == *raid0 ]] && echo ", chunk 64 KiB")"
			stacks+=("$id")
		else
			missing "$id" "could not be built over $vol_a and $vol_b"
		fi
	done
	stack_down
fi
is_stack() { [[ " ${stacks[*]} " == *" $1 "* ]]; }

# id|job|subject|target|peers (the best one counts)|title
compares=(
	"P1-read/nvme|P1-read|xferblk|1.2|nvme|xferblk / nvme mdts=5, read"
	"P1-read/virtio|P1-read|xferblk|1.0|virtio-blk|xferblk / virtio-blk, read"
	"P1-write/nvme|P1-write|xferblk|1.2|nvme|xferblk / nvme mdts=5, write"
	"P1-write/virtio|P1-write|xferblk|1.0|virtio-blk|xferblk / virtio-blk, write"
	"P2|P2|xferblk64|1.1|xferblk64-mq|driver split / blk-mq split"
	"P3|P3|xferblk|1.1|nvme,virtio-blk|xferblk IOPS / best of nvme, virtio-blk"
	"P4|P4|xferblk-async|4|xferblk-sync|async send / sync send"
	"P5-4k|P5-4k|xferblk-null|0.5|null_blk|xferblk null / null_blk, 4 KiB IOPS"
	"P5-1m|P5-1m|xferblk-null|0.5|null_blk|xferblk null / null_blk, 1 MiB"
	"P6|P6|xferblk-poll|1.0|nvme|xferblk polled / nvme polled, 4 KiB IOPS"
	"P7-1m|P7-1m|xferblk-stripe|1.0|md-raid0|xferblk stripe / md raid0, 1 MiB read"
	"P7-4k|P7-4k|xferblk-stripe|1.0|md-raid0|xferblk stripe / md raid0, 4 KiB IOPS"
	"P8-1m|P8-1m|xferblk-mirror|1.0|md-raid1|xferblk mirror / md raid1, 1 MiB read"
	"P8-4k|P8-4k|xferblk-mirror|1.0|md-raid1|xferblk mirror / md raid1, 4 KiB IOPS"
)
selected() { [ -z "$only" ] || [[ $1 =~ ^($only)$ ]]; }

# A job file's "; KEY: value" comment, and its job's name (its section).
jobmeta() { sed -n "s/^; $2: //p" "$1"; }
jobname() { sed -n -e '/^\[global\]$/d' -e 's/^\[\(.*\)\]$/\1/p' "$1"; }
runfio() { # job-file device runtime ramp output
	BENCH_DEV=/dev/$2 BENCH_SIZE=$size BENCH_RUNTIME=$3 BENCH_RAMP=$4 \
		fio --output-format=json --output="$5" "$1"
}

prepare() {
	local id=$1
	if is_stack "$id"; then
		dev[$id]=$(stack_up "$id")
		[ -n "${dev[$id]}" ] || say "warning: $id could not be built again"
	fi
	[ -z "${send_mode[$id]}" ] || echo "${send_mode[$id]}" >"/sys/block/${dev[$id]}/xferblk/send_mode"
}

total=0
ids=()
declare -A job_file
for f in bench/[0-9]*.fio; do
	id=$(jobname "$f")
	selected "$id" || continue
	ids+=("$id")
	job_file[$id]=$f
	rec job "$id" "$(jobmeta "$f" metric)" "$(jobmeta "$f" title)"
	for d in $(jobmeta "$f" devices); do [ -n "${dev[$d]:-}" ] && total=$((total + reps)); done
done
for spec in "${compares[@]}"; do
	IFS='|' read -r cid job subject target peers title <<<"$spec"
	selected "$job" && rec compare "$cid" "$job" "$subject" "$target" "$peers" "$title"
done
more=
if [ "$max_reps" -gt "$reps" ]; then
	more="; jobs with undecided targets: up to $max_reps repetitions, at most about"
	more+=" $(((max_reps - reps) * total * (runtime + ramp + 1) / reps / 60 + 1)) min more"
fi
say "$total runs of ${runtime} s (+${ramp} s ramp): about $((total * (runtime + ramp + 1) / 60 + 1)) min$more"

# The devices of a job that are present, in its job file's order, on one
# line (read with a here-string: the guest has no /dev/fd for "< <(...)").
present_of() {
	local d
	for d in $(jobmeta "${job_file[$1]}" devices); do
		[ -z "${dev[$d]:-}" ] || printf '%s ' "$d"
	done
}

# One repetition of a job: one run on each device, the order rotated every
# repetition so no device always runs first. The first $reps repetitions and
# the extra ones of undecided jobs come through here alike, and so leave the
# same files and manifest records.
run_rep() { # job-id rep of-reps device...
	local id=$1 rep=$2 of=$3 f=${job_file[$1]} d file status k
	shift 3
	local -a devs=("$@")
	k=$(((rep - 1) % ${#devs[@]}))
	for d in "${devs[@]:k}" "${devs[@]:0:k}"; do
		prepare "$d"
		file=fio/$id.$d.$rep.json
		status=0
		runfio "$f" "${dev[$d]}" "$runtime" "$ramp" "$raw/$file" >/dev/null 2>"$raw/$file.err" ||
			status=$?
		[ -s "$raw/$file.err" ] || rm -f "$raw/$file.err"
		rec run "$id" "$d" "$rep" "$file" "$status"
		n=$((n + 1))
		say "$id rep $rep/$of $d: $("$xb" line "$raw/$file" 2>&1 || true) [$n/$total]"
	done
}

n=0
for id in "${ids[@]}"; do
	read -ra present <<<"$(present_of "$id")"
	[ ${#present[@]} -gt 0 ] || continue
	say "$id: $(jobmeta "${job_file[$id]}" title) on ${present[*]}"
	for rep in $(seq "$reps"); do
		run_rep "$id" "$rep" "$reps" "${present[@]}"
	done
done

# A target is undecided while the 95% interval of its ratio straddles it, or
# too few repetitions succeeded on both devices (xferbench --help). Each
# round runs one more repetition of every job with an undecided target, on
# all the job's devices (so every comparison of the job keeps whole pairs),
# and asks again, until none is undecided or $max_reps repetitions ran.
rep=$reps
while [ "$rep" -lt "$max_reps" ]; do
	if ! listed=$("$xb" undecided --raw "$raw" 2>"$raw/undecided.err"); then
		say "xferbench undecided failed, no more repetitions: $(tr '\n' ' ' <"$raw/undecided.err")"
		break
	fi
	rm -f "$raw/undecided.err"
	todo=()
	while read -r id; do
		[ -n "$id" ] && [ -n "${job_file[$id]:-}" ] && todo+=("$id")
	done <<<"$listed"
	[ ${#todo[@]} -gt 0 ] || break
	rep=$((rep + 1))
	say "undecided: ${todo[*]}: repetition $rep of at most $max_reps"
	for id in "${todo[@]}"; do
		read -ra present <<<"$(present_of "$id")"
		[ ${#present[@]} -gt 0 ] || continue
		total=$((total + ${#present[@]}))
		run_rep "$id" "$rep" "$max_reps" "${present[@]}"
	done
done
if [ "$rep" -gt "$reps" ] && listed=$("$xb" undecided --raw "$raw" 2>/dev/null); then
	listed=${listed//$'\n'/ }
	say "after up to $rep repetitions, undecided: ${listed:-none}"
fi
rm -f "$raw/undecided.err"

# The scaling curves (bench/curve-*.fio): IOPS of a 4 KiB random read
# against one fio option (the file's "; vary:", iodepth or numjobs) at each
# of its "; points:", on each of its devices that is present. Runs are short
# (BENCH_CURVE_RUNTIME, default 2 s, after BENCH_CURVE_RAMP, 1 s) and each
# point runs once unless BENCH_CURVE_REPS says more: a curve's shape shows
# in its many points, while the repetitions above are what the targets'
# verdicts need. Each repetition goes through every point of every curve;
# the device order rotates from one point to the next, so no device always
# runs first. The numjobs curve pins its jobs round-robin to the guest's
# online CPUs (BENCH_CPUS), as many as the guest has (bench.sh: 2): past
# that, jobs share vCPUs, which its "; note:" says and the report repeats.
# Records: "sweep ID VARY DEVICES TITLE NOTE" once per curve file (DEVICES
# comma-separated, present or not), then "curve ID DEVICE X REP FILE STATUS"
# per run; the outputs go to $BENCH_RAW/curves.
curve_runs=0
cn=0
if [ "${BENCH_CURVES:-1}" = 1 ]; then
	curve_runtime=${BENCH_CURVE_RUNTIME:-2}
	curve_ramp=${BENCH_CURVE_RAMP:-1}
	curve_reps=${BENCH_CURVE_REPS:-1}
	cpus=$(cat /sys/devices/system/cpu/online 2>/dev/null || echo "0-$(($(nproc) - 1))")
	mkdir -p "$raw/curves"
	rec meta curve_runtime "$curve_runtime"
	rec meta curve_ramp "$curve_ramp"
	rec meta curve_reps "$curve_reps"
	rec meta curve_cpus "$cpus"
	declare -A curve_file curve_vary curve_points curve_devs
	sweeps=()
	for f in bench/curve-*.fio; do
		[ -f "$f" ] || continue
		sid=$(jobname "$f")
		vary=$(jobmeta "$f" vary)
		case $vary in
		iodepth | numjobs) ;;
		*)
			say "curves: $f varies '$vary', not iodepth or numjobs: skipped"
			continue
			;;
		esac
		named=$(jobmeta "$f" devices)
		rec sweep "$sid" "$vary" "${named// /,}" "$(jobmeta "$f" title)" "$(jobmeta "$f" note)"
		here=
		for d in $named; do [ -z "${dev[$d]:-}" ] || here+="$d "; done
		points=$(jobmeta "$f" points)
		sweeps+=("$sid")
		curve_file[$sid]=$f
		curve_vary[$sid]=$vary
		curve_points[$sid]=$points
		curve_devs[$sid]=$here
		read -ra xs <<<"$points"
		read -ra ds <<<"$here"
		curve_runs=$((curve_runs + ${#xs[@]} * ${#ds[@]} * curve_reps))
	done
	say "curves ${sweeps[*]}: $curve_runs runs of ${curve_runtime} s (+${curve_ramp} s ramp):" \
		"about $((curve_runs * (curve_runtime + curve_ramp + 1) / 60 + 1)) min"
	for rep in $(seq "$curve_reps"); do
		for sid in "${sweeps[@]}"; do
			read -ra points <<<"${curve_points[$sid]}"
			read -ra present <<<"${curve_devs[$sid]}"
			[ ${#present[@]} -gt 0 ] || continue
			for i in "${!points[@]}"; do
				x=${points[$i]}
				iodepth=1
				numjobs=1
				if [ "${curve_vary[$sid]}" = iodepth ]; then iodepth=$x; else numjobs=$x; fi
				k=$(((i + rep - 1) % ${#present[@]}))
				for d in "${present[@]:k}" "${present[@]:0:k}"; do
					file=curves/$sid.$d.$x.$rep.json
					status=0
					BENCH_IODEPTH=$iodepth BENCH_NUMJOBS=$numjobs BENCH_CPUS=$cpus \
						runfio "${curve_file[$sid]}" "${dev[$d]}" "$curve_runtime" "$curve_ramp" \
						"$raw/$file" >/dev/null 2>"$raw/$file.err" || status=$?
					[ -s "$raw/$file.err" ] || rm -f "$raw/$file.err"
					rec curve "$sid" "$d" "$x" "$rep" "$file" "$status"
					cn=$((cn + 1))
					say "curve $sid ${curve_vary[$sid]}=$x rep $rep/$curve_reps $d:" \
						"$("$xb" line "$raw/$file" 2>&1 || true) [$cn/$curve_runs]"
				done
			done
		done
	done
fi

# Memory and interrupts: while a job of known iodepth runs, where the I/O
# path allocates (hist triggers on the kmem tracepoints, keyed by kernel
# stack), how much the bio and driver slabs grow (/proc/slabinfo snapshots,
# each cache shrunk first so per-CPU slabs hide less) and how many
# interrupts the device raises. Files are collected in the guest's tmpfs
# and copied out after each run.
T=/sys/kernel/tracing
key=common_stacktrace
trigger() { # +|- event vals
	local bang=
	[ "$1" = + ] || bang='!'
	echo "${bang}hist:keys=$key:vals=$3:sort=hitcount.descending:size=16384" \
		>"$T/events/kmem/$2/trigger"
}
counter() { cat "/sys/block/$1/xferblk/$2" 2>/dev/null || echo 0; }
# I/Os completed on a disk: its block statistics, plus the parents a
# bio-mode xferblk disk counts itself.
io_count() {
	local -a s
	read -ra s <"/sys/block/$1/stat"
	echo $((s[0] + s[4] + $(counter "$1" parents)))
}
shrink=()
shrink_slabs() {
	local c
	for c in "${shrink[@]}"; do echo 1 >"$c/shrink" 2>/dev/null || true; done
}
memory_run() { # id module tag iodepth title job-file
	local id=$1 module=$2 tag=$3 depth=$4 title=$5 job=$6
	local name=${dev[$id]} d=$raw/memory/$id-$tag tmp=/tmp/xferbench-memory
	local pid k p0 c0 traced=1
	rm -rf "$tmp"
	mkdir -p "$tmp" "$d"
	p0=$(counter "$name" parents)
	c0=$(counter "$name" children)
	shrink_slabs
	cat /proc/slabinfo >"$tmp/slab-idle.txt"
	if ! { trigger + kmem_cache_alloc hitcount,bytes_alloc && trigger + kmalloc hitcount,bytes_alloc &&
		trigger + mm_page_alloc hitcount; } 2>/dev/null; then
		traced=0
		say "memory: hist triggers unavailable; slab snapshots only"
	fi
	cat /proc/interrupts >"$tmp/interrupts-before.txt"
	runfio "$job" "$name" "$mem_runtime" 0 "$tmp/fio.json" >/dev/null 2>&1 &
	pid=$!
	# Snapshots only once I/O flows: fio starts slowly while every allocation
	# is traced.
	k=$(io_count "$name")
	for _ in $(seq 60); do
		[ "$(io_count "$name")" -lt $((k + 2 * depth)) ] || break
		sleep 0.1
	done
	for k in 1 2 3 4 5; do
		shrink_slabs
		cat /proc/slabinfo >"$tmp/slab-busy-$k.txt"
		sleep 0.2
	done
	wait "$pid" || say "memory: fio on $id failed"
	cat /proc/interrupts >"$tmp/interrupts-after.txt"
	if [ "$traced" = 1 ]; then
		for ev in kmem_cache_alloc kmalloc mm_page_alloc; do
			cat "$T/events/kmem/$ev/hist" >"$tmp/hist-$ev.txt"
		done
	fi
	trigger - kmem_cache_alloc hitcount,bytes_alloc 2>/dev/null || true
	trigger - kmalloc hitcount,bytes_alloc 2>/dev/null || true
	trigger - mm_page_alloc hitcount 2>/dev/null || true
	{
		echo "dev=$name"
		echo "module=$module"
		echo "irqs=$(ls "/sys/bus/pci/devices/${pci[$id]}/msi_irqs" 2>/dev/null | tr '\n' ' ')"
		if [ -d "/sys/block/$name/xferblk" ]; then
			echo "parents=$(($(counter "$name" parents) - p0))"
			echo "children=$(($(counter "$name" children) - c0))"
		fi
	} >"$tmp/info.txt"
	cp "$tmp"/* "$raw/slab-aliases.txt" "$raw/slab-driver.txt" "$d/"
	rm -rf "$tmp"
	rec memory "$id" "memory/$id-$tag" "$depth" "$module" "$title"
	say "memory $title, $id: $("$xb" line "$d/fio.json" 2>&1 || true)"
}
if [ "${BENCH_MEMORY:-1}" = 1 ]; then
	key=
	for k in common_stacktrace stacktrace; do
		if echo "hist:keys=$k" >"$T/events/kmem/kmalloc/trigger" 2>/dev/null; then
			echo "!hist:keys=$k" >"$T/events/kmem/kmalloc/trigger"
			key=$k
			break
		fi
	done
	[ -n "$key" ] || key=common_stacktrace
	# Merged caches share a target; a cache of its own is its own target.
	find /sys/kernel/slab -mindepth 1 -maxdepth 1 \( -type l -printf '%f %l\n' \) -o \
		\( -type d -printf '%f %f\n' \) >"$raw/slab-aliases.txt"
	shrink=(/sys/kernel/slab/bio-* /sys/kernel/slab/biovec-*)
	while read -r c; do shrink+=("/sys/kernel/slab/$c"); done <"$raw/slab-driver.txt"
	say "memory and interrupts: ${mem_runtime} s per device and job, every allocation traced"
	for f in bench/memory-*.fio; do
		tag=${f#bench/memory-}
		tag=${tag%.fio}
		depth=$(sed -n 's/^iodepth=//p' "$f")
		for pair in $(jobmeta "$f" devices); do
			id=${pair%%:*}
			[ -n "${dev[$id]:-}" ] || continue
			# The 64 KiB bio disk only as the pair of the blk-mq one.
			[ "$id" != xferblk64 ] || [ -n "${dev[xferblk64-mq]:-}" ] || continue
			memory_run "$id" "${pair#*:}" "$tag" "$depth" "$(jobmeta "$f" title)" "$f"
		done
	done
fi

say "done: $n runs, $cn curve runs"
