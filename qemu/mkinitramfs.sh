#!/usr/bin/env bash
# Builds the guest initramfs: static busybox, the virtio PCI, 9p and configfs
# modules of the guest kernel and guest-init.sh as /init. Cached by content; prints its path.
# A module the kernel has built in (modules.builtin; the debug kernel of
# scripts/build-debug-kernel.sh has all of 9p built in) is left out.
# Usage: mkinitramfs.sh <kernel-version> <kernel-root>
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

kver=$1
kroot=$2
moddir=$kroot/lib/modules/$kver
busybox=/bin/busybox
[ -x "$busybox" ] || die "busybox-static is not installed"
want=(9pnet_virtio 9p)
# Built into 6.12 and 7.3 (whose packages list no modules.builtin), a module
# in 6.1: taken when modules.dep has it. configfs: xferblk.ko needs it (volumes),
# and the guest loads modules with insmod, which knows no dependencies.
maybe=(virtio_pci configfs)

builtin=$moddir/modules.builtin
[ -f "$builtin" ] || builtin=/dev/null
key=$(hash_files "$XFERBLK_TOP/qemu/guest-init.sh" "$0" "$busybox" "$moddir/modules.dep" "$builtin")
out=$XFERBLK_CACHE/initramfs/$kver-$key.cpio.gz
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

# Each wanted module after its dependencies, each once.
order=()
add() {
	local m=$1 deps d path
	grep -q "/$m\.ko\$" "$builtin" && return 0
	path=$(awk -F: -v m="/$1.ko" 'index($1, m) && substr($1, length($1) - length(m) + 1) == m { print $1 }' "$moddir/modules.dep")
	[ -n "$path" ] || die "module $m not in $moddir"
	deps=$(awk -F': *' -v p="$path" '$1 == p { print $2 }' "$moddir/modules.dep")
	for d in $deps; do add "$(basename "$d" .ko)"; done
	for d in "${order[@]}"; do [ "$d" = "$path" ] && return 0; done
	order+=("$path")
}
for m in "${maybe[@]}"; do grep -q "/$m\.ko:" "$moddir/modules.dep" && add "$m"; done
for m in "${want[@]}"; do add "$m"; done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,proc,sys,dev,newroot,lib/modules}
cp "$busybox" "$stage/bin/busybox"
for app in sh mount insmod sed mkdir chroot poweroff sync echo cat; do
	ln -s busybox "$stage/bin/$app"
done
: >"$stage/lib/modules/load-order"
for p in "${order[@]}"; do
	cp "$moddir/$p" "$stage/lib/modules/"
	basename "$p" >>"$stage/lib/modules/load-order"
done
install -m 0755 "$XFERBLK_TOP/qemu/guest-init.sh" "$stage/init"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
