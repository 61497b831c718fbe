#!/usr/bin/env bash
# The runner `make check-debug` puts in place of qemu/run-guest.sh when it
# runs the boots of `make guest-tests` (RUN_GUEST in the Makefile): the same
# options and command, on the debug kernel with 2048 MiB, every --timeout
# times 3 (KASAN, lockdep and kmemleak make the guest about 4x slower), the
# command run by scripts/check-debug-guest.sh (debug modules, kmemleak scan).
# usage: check-debug-run.sh [run-guest.sh options] -- command [args...]
set -euo pipefail
. "$(dirname "$0")/common.sh"

opts=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	case $1 in
	--timeout) opts+=(--timeout $(($2 * 3))); shift 2 ;;
	--kernel | --mem) shift 2 ;;
	*) opts+=("$1"); shift ;;
	esac
done
[ "${1:-}" = -- ] || die "usage: $0 [options] -- command"
shift
exec "$XFERBLK_TOP/qemu/run-guest.sh" --kernel debug --mem 2048 "${opts[@]}" \
	-- scripts/check-debug-guest.sh "$@"
