#!/bin/bash
# xferio against real xferblk disks, inside the guest. From the project root:
#
#   make -s module && cmake -S tools -B build/tools && cmake --build build/tools -j2 &&
#   qemu/run-guest.sh --timeout 900 --log build/guest/xferio.log \
#     --disk "max-transfer=65536,max-segments=8" \
#     --disk "logical_block_size=4096,max-transfer=65536,max-segments=4" \
#     --disk "max-transfer=16384,max-segments=2,fault-lba-start=4096,fault-lba-count=8" \
#     -- tools/xferio/guest-check.sh
#
# Disk 0: clean verify runs (random and sequential, every layout, several
# passes) that must split; then corruption made on purpose (a whole region
# read for the wrong generation; dd overwriting 8 KiB and copying one block
# onto another) that must be reported at exactly those offsets. Disk 1: 4 KiB
# blocks. Disk 2: blocks 4096-4103 fail in the device, so a write there must
# come back as an I/O error (exit 2) at that offset.
# Prints "ok N - ..." or "not ok N - ..." per check; exits 1 if any failed.
set -u
X=${XFERIO:-build/tools/xferio/xferio}
tmp=$(mktemp -d)
n=0
failed=0

result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}
# py FILE EXPR: EXPR evaluated with the JSON document in FILE as d.
py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# check FILE EXPR DESCRIPTION: EXPR must be true.
check() { [ "$(py "$1" "$2")" = True ]; result $? "$3"; }
disk() { local a; read -ra a <<<"$XFERBLK_DISKS"; ls "/sys/bus/pci/devices/${a[$1]}/block" | head -n1; }
# run NAME ARGS...: xferio with --json into $tmp/NAME.json, its exit status in $tmp/NAME.rc
run() {
	local name=$1
	shift
	echo "# xferio $*"
	"$X" --json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
	sed 's/^/#   stderr: /' "$tmp/$name.err"
	py "$tmp/$name.json" '"ops %d, bytes %d, %.1f s, %.2f MB/s, verify failures %d, io errors %d, driver %s, exit %d" % (d["ops"]["total"], d["bytes"]["total"], d["elapsed_s"], d["mb_per_s"], d["verify"]["failures"], d["io_errors"], d.get("driver"), d["exit_code"])' |
		sed 's/^/#   /'
}
rc() { cat "$tmp/$1.rc"; }

lsmod | grep -q '^xferblk ' || insmod xferblk.ko || exit 1
for i in 0 1 2; do
	for _ in $(seq 50); do [ -n "$(disk $i)" ] && [ -b "/dev/$(disk $i)" ] && break; sleep 0.1; done
done
d0=/dev/$(disk 0) d1=/dev/$(disk 1) d2=/dev/$(disk 2)
for d in $d0 $d1 $d2; do
	q=/sys/block/${d#/dev/}/queue
	echo "# $d: lbs $(cat $q/logical_block_size) max_hw_sectors_kb $(cat $q/max_hw_sectors_kb)" \
		"max_segments $(cat $q/max_segments) max_segment_size $(cat $q/max_segment_size)"
done

# --- disk 0: clean runs, which must split ---------------------------------
run v1 --mode verify --pattern random --bs auto --layout fragmented --qd 16 --size 64m "$d0"
[ "$(rc v1)" = 0 ]
result $? "$d0 verify random, bs auto, fragmented, qd 16, 64m: exit 0"
check "$tmp/v1.json" 'd["bytes"]["written"] == 64<<20 and d["bytes"]["read"] == 64<<20 and d["verify"]["blocks_checked"] == (64<<20)//512' \
	"$d0 every byte of the 64m region written, read back and checked"
check "$tmp/v1.json" 'd["driver"]["children"] > d["driver"]["parents"] > 0 and d["driver"]["errors"] == 0 and d["driver"]["dev_rejected"] == 0' \
	"$d0 the driver split: more children than parents, no errors, nothing rejected"
echo "# block sizes: $(py "$tmp/v1.json" 'd["block_sizes"]')"
echo "# children_hist: $(cat "/sys/kernel/debug/xferblk/${d0#/dev/}/children_hist")"
echo "# full summary:"
sed 's/^/#   /' "$tmp/v1.json"

run v2 --mode verify --pattern seq --bs auto --layout all --qd 8 --size 32m --total 96m "$d0"
check "$tmp/v2.json" 'd["exit_code"] == 0 and d["passes"] == 3 and d["generation"]["last"] == 3 and d["driver"]["children"] > d["driver"]["parents"]' \
	"$d0 verify seq, every layout, 3 passes (generations 1-3): exit 0, split"

run v3 --mode verify --pattern random --bs 512-1m --layout all --runtime 20 --offset 64m --size 128m --seed 7 "$d0"
check "$tmp/v3.json" 'd["exit_code"] == 0 and d["verify"]["failures"] == 0 and d["bytes"]["written"] > 0 and d["bytes"]["read"] == d["bytes"]["written"]' \
	"$d0 verify random 512-1m, every layout, 20 s: exit 0, all written data read back"

# --- disk 0: corruption made on purpose -------------------------------------
run w5 --mode write --gen 5 --size 4m "$d0"
run r6 --mode read --gen 6 --size 4m "$d0"
[ "$(rc w5)" = 0 ] && [ "$(rc r6)" = 1 ]
result $? "$d0 written as generation 5, read for generation 6: exit 1"
check "$tmp/r6.json" 'd["verify"]["failures"] == 8192 and [(f["offset"], f["kind"], f["expected_gen"], f["found_gen"]) for f in d["verify"]["first_failures"]] == [(i*512, "stale", 6, 5) for i in range(10)]' \
	"$d0 all 8192 blocks stale, the first ten at offsets 0, 512, ... with expected 6, found 5"

run w7 --mode write --gen 7 --size 4m --bs auto --layout fragmented "$d0"
dd if=/dev/urandom of="$d0" bs=4096 seek=100 count=2 oflag=direct conv=notrunc status=none
dd if="$d0" of="$d0" bs=512 skip=1000 seek=3000 count=1 iflag=direct oflag=direct conv=notrunc status=none
run r7 --mode read --gen 7 --size 4m --max-report 20 "$d0"
[ "$(rc w7)" = 0 ] && [ "$(rc r7)" = 1 ]
result $? "$d0 after dd over 409600-417791 and block 512000 copied to 1536000: exit 1"
check "$tmp/r7.json" 'd["verify"]["failures"] == 17 and sorted(f["offset"] for f in d["verify"]["first_failures"]) == list(range(409600, 417792, 512)) + [1536000]' \
	"$d0 exactly the 17 damaged blocks reported, by offset"
check "$tmp/r7.json" '[(f["kind"], f["found_offset"], f["found_gen"]) for f in d["verify"]["first_failures"] if f["offset"] == 1536000] == [("misplaced", 512000, 7)] and all(f["kind"] == "unstamped" for f in d["verify"]["first_failures"] if f["offset"] != 1536000)' \
	"$d0 the copied block is misplaced (holds offset 512000, generation 7), the dd'd ones unstamped"
echo "# the text report of the same read:"
"$X" --mode read --gen 7 --size 4m --max-report 20 "$d0" | sed 's/^/#   /'

# --- usage errors -------------------------------------------------------------
"$X" --mode read /dev/null 2>"$tmp/null.err"
[ $? = 3 ] && grep -q "is not a block device" "$tmp/null.err"
result $? "/dev/null refused: $(head -n1 "$tmp/null.err")"
"$X" --mode read --size 1t "$d0" 2>"$tmp/big.err"
[ $? = 3 ]
result $? "a region past the end refused: $(head -n1 "$tmp/big.err")"

# --- disk 1: 4 KiB logical blocks ---------------------------------------------
run v4 --mode verify --pattern random --bs auto --layout contiguous,fragmented --qd 16 --size 64m "$d1"
check "$tmp/v4.json" 'd["exit_code"] == 0 and d["limits"]["logical_block_size"] == 4096 and d["verify"]["blocks_checked"] == (64<<20)//4096 and d["driver"]["children"] > d["driver"]["parents"]' \
	"$d1 (4k blocks) verify random, contiguous and fragmented, 64m: exit 0, split"
"$X" --mode verify --layout misaligned "$d1" 2>"$tmp/mis.err"
[ $? = 3 ] && grep -q "below the page size" "$tmp/mis.err"
result $? "$d1 misaligned layout refused on 4k blocks: $(head -n1 "$tmp/mis.err")"

# --- disk 2: a failing range ----------------------------------------------------
run e1 --mode verify --pattern seq --bs 64k --size 4m "$d2"
[ "$(rc e1)" = 2 ]
result $? "$d2 write over failing blocks 4096-4103: exit 2"
check "$tmp/e1.json" 'd["io_errors"] == 1 and d["first_io_errors"][0]["offset"] == 2097152 and d["first_io_errors"][0]["op"] == "write" and d["verify"]["failures"] == 0 and d["bytes"]["read"] == (4<<20) - (64<<10)' \
	"$d2 one failed write, at offset 2097152; everything else written and verified"
echo "# $(py "$tmp/e1.json" 'd["first_io_errors"]')"
run v5 --mode verify --pattern random --bs auto --layout all --offset 4m --size 32m "$d2"
check "$tmp/v5.json" 'd["exit_code"] == 0 and d["driver"]["children"] > 2 * d["driver"]["parents"]' \
	"$d2 (16k x 2 segments) verify random, every layout, away from the failing range: exit 0, split"

dmesg | grep -i xferblk | tail -n 8 | sed 's/^/# dmesg: /'
warn=$(dmesg | grep -E 'WARNING|BUG|Oops' | head -n5)
[ -z "$warn" ]
result $? "kernel log free of warnings${warn:+: $warn}"

echo "# $((n - failed)) passed, $failed failed"
rm -rf "$tmp"
[ "$failed" = 0 ]
