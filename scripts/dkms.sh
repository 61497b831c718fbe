#!/usr/bin/env bash
# The module through DKMS, for real hosts: the driver's sources go to
# /usr/src/xferblk-VERSION with a dkms.conf, and DKMS builds them for a
# kernel whose headers are installed, and again for every kernel installed
# later.
#   dkms.sh install [KVER]  add, build and install for KVER (default: the
#                           running kernel)
#   dkms.sh check [KVER]    add and build for KVER (default: the project's
#                           kernel), then remove it all again: the CI test
set -euo pipefail
. "$(dirname "$0")/common.sh"

command -v dkms >/dev/null ||
	apt-get install -y -qq --no-install-recommends dkms >/dev/null
version=$(cat "$XFERBLK_TOP/VERSION")
src=/usr/src/xferblk-$version
case ${1:-} in
install) kver=${2:-$(uname -r)} ;;
check) kver=${2:-$("$XFERBLK_TOP/scripts/fetch-kernel.sh" | sed -n 's/^KVER=//p')} ;;
*) die "usage: dkms.sh install|check [KVER]" ;;
esac
[ -d "/lib/modules/$kver/build" ] ||
	die "no headers for $kver: install linux-headers-$kver"

dkms remove -m xferblk -v "$version" --all >/dev/null 2>&1 || true
rm -rf "$src"
mkdir -p "$src"
cp -r "$XFERBLK_TOP/Kbuild" "$XFERBLK_TOP/VERSION" "$XFERBLK_TOP/kmod" "$XFERBLK_TOP/uapi" "$src"/
sed "s/@VERSION@/$version/" "$XFERBLK_TOP/dkms/dkms.conf.in" >"$src/dkms.conf"
dkms add -m xferblk -v "$version" >/dev/null
dlog=$(mktemp)
if ! dkms build -m xferblk -v "$version" -k "$kver" >"$dlog" 2>&1; then
	cat "$dlog" "/var/lib/dkms/xferblk/$version/build/make.log" 2>/dev/null
	die "dkms build failed for $kver"
fi
rm -f "$dlog"
if [ "$1" = install ]; then
	dkms install -m xferblk -v "$version" -k "$kver"
	exit 0
fi
# The check: the module DKMS built is ours, for that kernel, then it all goes.
built=$(find "/var/lib/dkms/xferblk/$version/$kver" -name 'xferblk.ko*' | head -n1)
ok=0
[ -n "$built" ] && [ "$(modinfo -F version "$built")" = "$version" ] &&
	modinfo -F vermagic "$built" | grep -q "^$kver " && ok=1
dkms remove -m xferblk -v "$version" --all >/dev/null
rm -rf "$src"
[ "$ok" = 1 ] || die "DKMS built no xferblk $version for $kver"
log "DKMS built xferblk $version for $kver"
