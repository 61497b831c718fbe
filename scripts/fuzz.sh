#!/usr/bin/env bash
# `make fuzz`: xferfuzz against the device model in the QEMU built with ASan
# and UBSan (FUZZ_SANITIZE=0: the normal build), for FUZZ_SECONDS (default
# 3600) or FUZZ_OPS operations, from FUZZ_SEED (default: a fresh seed, which
# xferfuzz prints). A failure is minimized into a replay file in build/fuzz.
# FUZZ_COVERAGE=1 runs the gcov build of QEMU instead and ends with the line
# coverage of each file of the model.
set -euo pipefail
. "$(dirname "$0")/common.sh"
cd "$XFERBLK_TOP"

variant=sanitize
[ "${FUZZ_SANITIZE:-1}" = 0 ] && variant=
[ "${FUZZ_COVERAGE:-0}" = 1 ] && variant=coverage
qemu=$(XFERBLK_QEMU_VARIANT=$variant qemu/build-qemu.sh)
args=(--qemu "$qemu" --out-dir build/fuzz)
if [ -n "${FUZZ_OPS:-}" ]; then
	args+=(--ops "$FUZZ_OPS")
else
	args+=(--seconds "${FUZZ_SECONDS:-3600}")
fi
[ -n "${FUZZ_SEED:-}" ] && args+=(--seed "$FUZZ_SEED")
mkdir -p build/fuzz
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1

objdir=
if [ "$variant" = coverage ]; then
	objdir=$(dirname "$(find "$XFERBLK_CACHE/qemu/build-coverage" -name 'hw_xferblk_ctrl.c.o' | head -n1)")
	find "$objdir" -name 'hw_xferblk_*.gcda' -delete
fi
rc=0
build/tools/xferfuzz/xferfuzz "${args[@]}" || rc=$?

if [ -n "$objdir" ]; then
	# "File '.../hw/xferblk/cmd.c'" then "Lines executed:87.50% of 480"
	(cd "$objdir" && gcov -n hw_xferblk_*.c.gcda 2>/dev/null) | awk '
		/^File .*hw\/xferblk\/.*\.c/ { f = $2; gsub(/\x27/, "", f); sub(/.*\//, "", f); next }
		f && /^Lines executed:/ { split($2, p, ":"); pct = p[2] + 0; n = $4
			hit += pct * n / 100; all += n
			printf "coverage: hw/xferblk/%s %.1f%% of %d lines\n", f, pct, n; f = "" }
		END { if (all) printf "coverage: hw/xferblk total %.1f%% of %d lines\n", 100 * hit / all, all }'
fi
exit "$rc"
