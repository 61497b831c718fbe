#!/usr/bin/env bash
# Resolves the guest kernel of the series XFERBLK_SERIES (make's KERNEL):
# 6.12 (default, bookworm-backports), 6.1 (bookworm) or 7.3
# (trixie-backports). Unpacks its image and modules into the cache (not into
# the host's /boot) and installs the exactly matching headers: on the host,
# or for 7.3 inside the trixie root of scripts/trixie-root.sh (its headers
# need gcc-14). Also unpacks the pieces of linux-source-6.12 the project
# uses (checkpatch, the kselftest framework).
# Prints KVER=, KROOT= (image and modules), KDIR= (headers, a host path) and
# KCHROOT= (where to run make for KDIR; empty: the host) for eval.
set -euo pipefail
. "$(dirname "$0")/common.sh"

export DEBIAN_FRONTEND=noninteractive
series=${XFERBLK_SERIES:-6.12}
chroot_root=
inroot() { if [ -n "$chroot_root" ]; then chroot "$chroot_root" "$@"; else "$@"; fi; }

# The linux-image package the amd64 meta package of @1 (a suite or a
# version prefix) depends on.
image_of() {
	inroot apt-cache show "linux-image-amd64${2:-}" 2>/dev/null | awk -v want="$1" '
		/^Version:/ { v = $2 }
		/^Depends:/ && index(v, want) == 1 {
			if (match($0, /linux-image-[0-9][^ ,]*-amd64/)) print substr($0, RSTART, RLENGTH)
		}' | sort -V | tail -n1
}

case $series in
6.12) meta=$(image_of 6.12. /bookworm-backports) ;;
6.1) meta=$(image_of 6.1.) ;;
7.3)
	chroot_root=$("$(dirname "$0")/trixie-root.sh")
	meta=$(image_of 7.3. /trixie-backports)
	;;
*) die "unknown kernel series '$series': KERNEL must be 6.1, 6.12 or 7.3" ;;
esac
[ -n "$meta" ] || die "no $series linux-image found (apt sources set up?)"
kver=${meta#linux-image-}
kroot=$XFERBLK_CACHE/kernel/$kver

if [ ! -f "$kroot/.done" ]; then
	log "fetching $meta"
	rm -rf "$kroot"
	mkdir -p "$kroot"
	# From 7.x the image package only depends on the kernel binary and
	# the modules, each a package of its own.
	pkgs=("$meta")
	for p in "linux-binary-$kver" "linux-modules-$kver"; do
		inroot apt-cache show "$p" >/dev/null 2>&1 && pkgs+=("$p")
	done
	# Downloaded and unpacked where its apt and dpkg are (7.3: trixie's).
	stage=$(inroot mktemp -d)
	inroot sh -c "cd $stage && apt-get download -q -o APT::Sandbox::User=root ${pkgs[*]} >/dev/null &&
		for d in ./*.deb; do dpkg -x \$d root; done && rm ./*.deb"
	mv "$chroot_root$stage/root"/* "$kroot"/
	rm -rf "$chroot_root$stage"
	# A merged-/usr package (trixie) keeps its modules in /usr/lib.
	if [ -d "$kroot/usr/lib/modules" ] && [ ! -d "$kroot/lib/modules" ]; then
		mkdir -p "$kroot/lib"
		mv "$kroot/usr/lib/modules" "$kroot/lib/modules"
	fi
	# ... and from 7.x its kernel beside them, not in /boot.
	if [ ! -f "$kroot/boot/vmlinuz-$kver" ] && [ -f "$kroot/lib/modules/$kver/vmlinuz" ]; then
		mkdir -p "$kroot/boot"
		mv "$kroot/lib/modules/$kver/vmlinuz" "$kroot/boot/vmlinuz-$kver"
	fi
	# Modules come compressed; busybox insmod cannot load those, and
	# depmod needs a tree it can index.
	find "$kroot/lib/modules/$kver" -name '*.ko.xz' -exec xz -d -f {} +
	find "$kroot/lib/modules/$kver" -name '*.ko.zst' -exec zstd -q -d --rm {} +
	depmod -b "$kroot" "$kver"
	touch "$kroot/.done"
fi

if ! inroot dpkg-query -W -f='${Status}' "linux-headers-$kver" 2>/dev/null | grep -q 'ok installed'; then
	log "installing linux-headers-$kver"
	inroot apt-get install -y -qq --no-install-recommends "linux-headers-$kver" >/dev/null
fi

# checkpatch.pl and the kselftest framework (headers, lib.mk, the runner),
# from Debian's linux-source-6.12.
lsrc=$XFERBLK_CACHE/linux-source
if [ ! -f "$lsrc/.done-2" ]; then
	if ! dpkg-query -W -f='${Status}' linux-source-6.12 2>/dev/null | grep -q 'ok installed'; then
		log "installing linux-source-6.12"
		apt-get install -y -qq --no-install-recommends linux-source-6.12 >/dev/null
	fi
	tarball=$(ls /usr/src/linux-source-6.12.tar.* | head -n1)
	rm -rf "$lsrc"
	mkdir -p "$lsrc"
	tar -xf "$tarball" -C "$lsrc" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/lib.mk' \
		'*/tools/testing/selftests/run_kselftest.sh' \
		'*/tools/testing/selftests/kselftest/*'
	touch "$lsrc/.done-2"
fi

echo "KVER=$kver"
echo "KROOT=$kroot"
echo "KDIR=$chroot_root/usr/src/linux-headers-$kver"
echo "KCHROOT=$chroot_root"
