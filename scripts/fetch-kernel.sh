#!/usr/bin/env bash
# Resolves the guest kernel (Debian's 6.12 from bookworm-backports), unpacks
# its image and modules into the cache (not into the host's /boot), installs
# the exactly matching headers package, and unpacks the pieces of
# linux-source-6.12 the project uses (checkpatch, kselftest headers).
# Prints "KVER=<ver>" and "KROOT=<dir>" for eval.
set -euo pipefail
. "$(dirname "$0")/common.sh"

export DEBIAN_FRONTEND=noninteractive
meta=$(apt-cache show linux-image-amd64/bookworm-backports 2>/dev/null |
	sed -n 's/^Depends: .*\(linux-image-6\.12\.[^ ,]*-amd64\).*/\1/p' | head -n1)
[ -n "$meta" ] || die "no 6.12 linux-image in bookworm-backports (apt sources set up?)"
kver=${meta#linux-image-}
kroot=$XFERBLK_CACHE/kernel/$kver

if [ ! -f "$kroot/.done" ]; then
	log "fetching $meta"
	rm -rf "$kroot"
	mkdir -p "$kroot/deb"
	(cd "$kroot/deb" && apt-get download -q -o APT::Sandbox::User=root "$meta" >/dev/null)
	dpkg -x "$kroot"/deb/*.deb "$kroot"
	rm -rf "$kroot/deb"
	# Modules come xz-compressed; busybox insmod cannot load those, and
	# depmod needs a tree it can index.
	find "$kroot/lib/modules/$kver" -name '*.ko.xz' -exec xz -d -f {} +
	depmod -b "$kroot" "$kver"
	touch "$kroot/.done"
fi

if ! dpkg-query -W -f='${Status}' "linux-headers-$kver" 2>/dev/null | grep -q 'ok installed'; then
	log "installing linux-headers-$kver"
	apt-get install -y -qq --no-install-recommends "linux-headers-$kver" >/dev/null
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
