# KTAP output for the shell selftests, in the format kselftest.h prints.
# shellcheck shell=bash
ktap_pass=0
ktap_fail=0
ktap_skip=0
ktap_n=0
ktap_header() { echo "TAP version 13"; echo "1..$1"; }
ktap_result() { # ktap_result <0|1|skip> <description>
	ktap_n=$((ktap_n + 1))
	case $1 in
	0) ktap_pass=$((ktap_pass + 1)); echo "ok $ktap_n $2" ;;
	skip) ktap_skip=$((ktap_skip + 1)); echo "ok $ktap_n # SKIP $2" ;;
	*) ktap_fail=$((ktap_fail + 1)); echo "not ok $ktap_n $2" ;;
	esac
}
ktap_finish() {
	echo "# Totals: pass:$ktap_pass fail:$ktap_fail xfail:0 xpass:0 skip:$ktap_skip error:0"
	[ "$ktap_fail" -eq 0 ]
}
# The n-th xferblk disk the runner started (by PCI address), e.g. xferblk0.
xferblk_disk() {
	local addrs
	read -ra addrs <<<"$XFERBLK_DISKS"
	ls "/sys/bus/pci/devices/${addrs[$1]}/block" 2>/dev/null | head -n1
}
xferblk_stat() { cat "/sys/block/$1/xferblk/$2"; }
# The counters that are tables live in debugfs: xferblk_table <disk> <name>
xferblk_table() { cat "/sys/kernel/debug/xferblk/$1/$2"; }
# fio writes random blocks of the logical block size to 4 MiB (io_uring,
# O_DIRECT, iodepth 16) over <size> of the disk and verifies each with
# crc32c; prints fio's complaint on failure. xferblk_fio_verify <disk> <size>
xferblk_fio_verify() {
	local lbs split out rc
	lbs=$(cat "/sys/block/$1/queue/logical_block_size")
	# Small sizes most often; 4 KiB-block disks start at 4 KiB.
	split="$lbs/10:4k/20:16k/10:64k/15:128k/10:256k/10:1m/10:2m/5:4m/10"
	[ "$lbs" -ge 4096 ] && split="4k/30:16k/10:64k/15:128k/10:256k/10:1m/10:2m/5:4m/10"
	out=$(fio --name=verify --filename="/dev/$1" --direct=1 --ioengine=io_uring \
		--iodepth=16 --rw=randwrite --bssplit="$split" --blockalign="$lbs" \
		--size="$2" --verify=crc32c --verify_fatal=1 --do_verify=1 \
		--randrepeat=1 --verify_state_save=0 2>&1)
	rc=$?
	[ $rc -eq 0 ] || echo "$out" | grep -Ev "^ +(clat|lat|slat|\||bw|iops|cpu|IO depths|submit|complete|issued|latency)" | sed "s/^/# /"
	return $rc
}
