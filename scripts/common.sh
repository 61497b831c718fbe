# Sourced by the project's scripts: cache location and small helpers.
# shellcheck shell=bash
XFERBLK_CACHE=${XFERBLK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xferblk}
XFERBLK_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$XFERBLK_CACHE"

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Content hash of files (names and bytes), for cache keys.
hash_files() {
	local f
	for f in "$@"; do
		printf '%s\n' "${f#"$XFERBLK_TOP"/}"
		cat "$f"
	done | sha256sum | cut -c1-16
}
