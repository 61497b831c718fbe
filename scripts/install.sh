#!/usr/bin/env bash
# `make install`, for a real host: the module built for the running kernel
# (or KVER=...) against its installed headers and installed with the
# kernel's modules_install (then depmod), and the tools with their man pages
# through cmake --install under PREFIX (default /usr/local). The module is
# built from a copy, so the tree's own build is left alone.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kver=${KVER:-$(uname -r)}
kdir=/lib/modules/$kver/build
[ -d "$kdir" ] || die "no headers for $kver: install linux-headers-$kver (or set KVER=)"
work=$XFERBLK_TOP/build/install/$kver
rm -rf "$work"
mkdir -p "$work"
cp -r "$XFERBLK_TOP/Kbuild" "$XFERBLK_TOP/VERSION" "$XFERBLK_TOP/kmod" "$XFERBLK_TOP/uapi" "$work"/
make -s -C "$kdir" M="$work" modules
make -s -C "$kdir" M="$work" modules_install
depmod "$kver"
log "installed xferblk $(cat "$XFERBLK_TOP/VERSION") for $kver; load it with: modprobe xferblk"
cmake --install "$XFERBLK_TOP/build/tools" --prefix "${PREFIX:-/usr/local}"
