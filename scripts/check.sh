#!/usr/bin/env bash
# `make check`: host unit tests, static checks and the in-guest kselftests.
# Ends with "N passed, N failed"; fails if anything failed or nothing ran.
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$XFERBLK_TOP" || exit 1

pass=0
fail=0
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

log "static checks"
out=$(make --no-print-directory static 2>&1)
echo "$out"
summary=$(echo "$out" | sed -n 's/^# Static totals: pass:\([0-9]*\) fail:\([0-9]*\)/\1 \2/p')
if [ -n "$summary" ]; then count $summary; else count 0 1; fi

log "in-guest kselftests"
rm -f build/guest/check.log build/guest/check-mq.log build/guest/check-hostile.log
make --no-print-directory guest-tests
for boot in check check-mq check-hostile; do
	summary=$(tr -d '\r' <"build/guest/$boot.log" 2>/dev/null |
		sed -n 's/^# Guest totals: pass:\([0-9]*\) fail:\([0-9]*\)/\1 \2/p' | tail -n1)
	if [ -n "$summary" ]; then count $summary; else count 0 1; fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
