#!/usr/bin/env bash
# A Debian trixie root in the cache, made with mmdebstrap: Debian's 7.3
# kernel comes from trixie-backports, and its headers need trixie's gcc-14
# and linux-kbuild, which bookworm lacks. The host's own apt sources stay
# bookworm; the archive URI is the one setup-host.sh took from them.
# Prints the root's path. Cached: rebuilt only when this script changes.
set -euo pipefail
. "$(dirname "$0")/common.sh"

root=$XFERBLK_CACHE/trixie/$(hash_files "$0")
if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi
uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/xferblk-backports.sources)
[ -n "$uri" ] || die "no archive URI: run scripts/setup-host.sh"
command -v mmdebstrap >/dev/null ||
	apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null

log "making a trixie root for the 7.3 headers (once; a few minutes)"
# One root at a time: an older one (another version of this script) goes.
rm -rf "$(dirname "$root")"
mkdir -p "$(dirname "$root")"
mmdebstrap --quiet --variant=apt --include=make,gcc-14,libc6-dev,kmod,xz-utils,zstd \
	trixie "$root" "deb $uri trixie main" "deb $uri trixie-backports main" >&2
# Its apt reaches the archive the host's does; mmdebstrap leaves no lists.
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" apt-get update -qq >&2
touch "$root/.done"
echo "$root"
