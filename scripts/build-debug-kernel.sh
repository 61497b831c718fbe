#!/usr/bin/env bash
# Builds the debug guest kernel: Debian's linux-source-6.12 configured from
# `make allnoconfig` plus scripts/debug-kernel.config (KASAN, lockdep,
# kmemleak, debug objects, DMA-API debugging, fault injection; 9p, virtio-pci
# and ext4 built in). Cached in $XFERBLK_CACHE/debug-kernel/<key>, the key a
# hash of the fragment, this script and the source package's version; the
# compiler runs under ccache, so a rebuild after a key change is fast.
# Prints "KVER=<release>", "KROOT=<dir with boot/vmlinuz-KVER>" and
# "KDIR=<build dir for make -C KDIR M=...>" for eval.
set -euo pipefail
. "$(dirname "$0")/common.sh"

fragment=$XFERBLK_TOP/scripts/debug-kernel.config
base=$XFERBLK_CACHE/debug-kernel
mkdir -p "$base"

# One builder at a time (make check-debug and run-guest.sh both call us).
exec 9>"$base/.lock"
flock 9

export DEBIAN_FRONTEND=noninteractive
if ! dpkg-query -W -f='${Status}' linux-source-6.12 2>/dev/null | grep -q 'ok installed'; then
	log "installing linux-source-6.12"
	apt-get install -y -qq --no-install-recommends linux-source-6.12 >/dev/null
fi
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
tarballs=(/usr/src/linux-source-6.12.tar.*)
tarball=${tarballs[0]}
[ -f "$tarball" ] || die "no /usr/src/linux-source-6.12.tar.* (linux-source-6.12 $srcver)"

key=$( {
	hash_files "$fragment" "$XFERBLK_TOP/scripts/build-debug-kernel.sh"
	echo "$srcver"
} | sha256sum | cut -c1-16)
out=$base/$key
kdir=$out/build
kroot=$out/root

if [ ! -f "$out/.done" ]; then
	start=$SECONDS
	# The source, unpacked once per package version; builds are out of tree.
	src=$base/src-$srcver
	if [ ! -f "$src/.done" ]; then
		log "unpacking $tarball"
		rm -rf "$src"
		mkdir -p "$src"
		tar -xf "$tarball" -C "$src" --strip-components=1
		touch "$src/.done"
	fi

	rm -rf "$out"
	mkdir -p "$kdir" "$kroot/boot"
	export CCACHE_DIR=$base/ccache CCACHE_MAXSIZE=4G
	export KBUILD_BUILD_USER=xferblk KBUILD_BUILD_HOST=xferblk
	kmake=(make --no-print-directory -C "$src" O="$kdir" ARCH=x86_64 CC="ccache gcc"
		-j"$(nproc)")
	blog=$out/build.log

	log "configuring ($key)"
	"${kmake[@]}" KCONFIG_ALLCONFIG="$fragment" allnoconfig >"$blog" 2>&1 ||
		die "allnoconfig failed, see $blog"
	"${kmake[@]}" olddefconfig >>"$blog" 2>&1 || die "olddefconfig failed, see $blog"

	# Every option the fragment sets must have survived olddefconfig with
	# that value; every option it unsets must be unset.
	bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			if ! grep -qxF -- "$line" "$kdir/.config"; then
				log "config: wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$kdir/.config" || echo absent)"
				bad=1
			fi
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -qE "^$sym=[ym]" "$kdir/.config"; then
				log "config: wanted $sym unset, got: $(grep -E "^$sym=" "$kdir/.config")"
				bad=1
			fi
			;;
		esac
	done <"$fragment"
	[ "$bad" = 0 ] || die "the debug kernel config lost options (see above); fix $fragment"

	ccache -z >/dev/null 2>&1 || true
	log "building (-j$(nproc)); log: $blog"
	if ! "${kmake[@]}" all >>"$blog" 2>&1; then
		tail -n 40 "$blog" >&2
		die "kernel build failed, see $blog"
	fi
	kver=$("${kmake[@]}" -s kernelrelease)
	# No loadable modules: this installs modules.builtin and an empty
	# modules.dep, which tell mkinitramfs.sh that 9p is built in.
	"${kmake[@]}" INSTALL_MOD_PATH="$kroot" modules_install >>"$blog" 2>&1 ||
		die "modules_install failed, see $blog"
	install -m 0644 "$kdir/arch/x86/boot/bzImage" "$kroot/boot/vmlinuz-$kver"
	install -m 0644 "$kdir/.config" "$kroot/boot/config-$kver"
	install -m 0644 "$kdir/System.map" "$kroot/boot/System.map-$kver"
	echo "$kver" >"$out/kver"
	log "built $kver in $((SECONDS - start)) s ($(ccache --print-stats 2>/dev/null | awk '
		/^(direct|preprocessed)_cache_hit\t/ { h += $2 } /^cache_miss\t/ { m = $2 }
		END { printf "ccache: %d hits, %d misses", h, m }'))"
	touch "$out/.done"
fi

kver=$(cat "$out/kver")
echo "KVER=$kver"
echo "KROOT=$kroot"
echo "KDIR=$kdir"
