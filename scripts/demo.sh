#!/usr/bin/env bash
# `make demo`: build what is missing, boot the guest with one xferblk disk
# whose DMA engine takes at most 64 KiB in 16 segments per command, load the
# driver, push a verified workload through it and print what happened.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$XFERBLK_TOP"

make --no-print-directory deps module qemu
log "booting the guest (TCG; takes about a minute with the workload)"
qemu/run-guest.sh --smp 2 --timeout 900 --log build/guest/demo.log \
	--disk "max-transfer=65536,max-segments=16,max-segment-size=65536" \
	-- scripts/demo-guest.sh
