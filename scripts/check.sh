#!/usr/bin/env bash
# `make check`: host unit tests, static checks and the in-guest kselftests.
# Ends with "N passed, N failed"; fails if anything failed or nothing ran.
#
# `make check-sanitize` (XFERBLK_QEMU_VARIANT=sanitize): the same host tests
# and guest boots on QEMU built with ASan and UBSan, without the static
# checks, plus one test per QEMU run: no sanitizer report in its output.
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$XFERBLK_TOP" || exit 1

pass=0
fail=0
if [ "${XFERBLK_QEMU_VARIANT:-}" = sanitize ]; then
	# A report ends QEMU, so a host test sees it fail as well.
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export ASAN_OPTIONS=detect_leaks=1
fi
count() { pass=$((pass + $1)); fail=$((fail + $2)); }

# Building is not a test, but a build that fails fails the check.
if ! make --no-print-directory deps module selftests tools qemu; then
	echo "build failed"
	echo "$pass passed, 1 failed"
	exit 1
fi

log "host unit tests"
out=$(make --no-print-directory host-tests 2>&1)
echo "$out"
summary=$(echo "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1 \2/p')
if [ -n "$summary" ]; then
	read -r f total <<<"$summary"
	count $((total - f)) "$f"
else
	count 0 1
fi

# What ASan, UBSan and LeakSanitizer print first in a report.
sanitizer_report='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer'
sanitize=
if [ "${XFERBLK_QEMU_VARIANT:-}" = sanitize ]; then
	sanitize=1
	if echo "$out" | grep -Eq "$sanitizer_report"; then count 0 1; else count 1 0; fi
else
	log "static checks"
	out=$(make --no-print-directory static 2>&1)
	echo "$out"
	summary=$(echo "$out" | sed -n 's/^# Static totals: pass:\([0-9]*\) fail:\([0-9]*\)/\1 \2/p')
	if [ -n "$summary" ]; then count $summary; else count 0 1; fi
fi

log "in-guest kselftests"
logs=build/guest${sanitize:+/sanitize}
rm -f "$logs"/check.log "$logs"/check-mq.log "$logs"/check-hostile.log
make --no-print-directory guest-tests GUEST_LOGS="$XFERBLK_TOP/$logs"
for boot in check check-mq check-hostile; do
	summary=$(tr -d '\r' <"$logs/$boot.log" 2>/dev/null |
		sed -n 's/^# Guest totals: pass:\([0-9]*\) fail:\([0-9]*\)/\1 \2/p' | tail -n1)
	if [ -n "$summary" ]; then count $summary; else count 0 1; fi
	if [ -n "$sanitize" ]; then
		if grep -Eq "$sanitizer_report" "$logs/$boot.log"; then
			grep -E -A20 "$sanitizer_report" "$logs/$boot.log" | head -n 40
			log "sanitizer report in $logs/$boot.log"
			count 0 1
		else
			count 1 0
		fi
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
