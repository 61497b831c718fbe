#!/usr/bin/env bash
# Builds a qemu-system-x86_64 that has the xferblk device, from Debian's
# QEMU 10.0 source, and prints the binary's absolute path as the only line
# on stdout (progress goes to stderr):
#
#	QEMU=$(qemu/build-qemu.sh)
#
# The result is $XFERBLK_CACHE/qemu/<key>/qemu-system-x86_64, where <key>
# hashes the device model (qemu/hw/xferblk/), the shared register header, the devices .mak
# file, this script and the QEMU source version. A warm run only resolves
# the version and finds the binary. A cold one fetches and unpacks the
# source if needed (apt-get source --tar-only), adds the device to the
# tree, configures once and rebuilds incrementally in one shared build
# directory, with ccache under the cache.
#
# XFERBLK_QEMU_VARIANT picks a build apart from the normal one (its own
# build directory and key): "sanitize" (ASan and UBSan, for make
# check-sanitize and make fuzz) or "coverage" (gcov, for the fuzzer's
# coverage report).
#
# Needs the packages scripts/setup-host.sh installs (and its deb-src lines).
set -euo pipefail
. "$(dirname "$0")/../scripts/common.sh"

dev_dir=$XFERBLK_TOP/qemu/hw/xferblk
dev_h=$XFERBLK_TOP/uapi/xferblk_hw.h
dev_mak=$XFERBLK_TOP/qemu/xferblk.mak
self=$XFERBLK_TOP/qemu/build-qemu.sh
qroot=$XFERBLK_CACHE/qemu
dl=$XFERBLK_CACHE/qemu-src
bin_name=qemu-system-x86_64

# Debian's highest 1:10.0.* source version (the one setup-host.sh's
# bookworm-backports deb-src line offers).
resolve_version() {
	local v best=
	while read -r v; do
		case $v in 1:10.0.*) ;; *) continue ;; esac
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v
		fi
	done < <(apt-cache showsrc qemu 2>/dev/null | sed -n 's/^Version: //p')
	printf '%s\n' "$best"
}

version=$(resolve_version)
[ -n "$version" ] ||
	die "no qemu 1:10.0.* source package known to apt (run scripts/setup-host.sh)"
upstream=${version#*:}		# 10.0.2+ds-2+deb13u1~bpo12+1
upstream=${upstream%-*}		# 10.0.2+ds

variant=${XFERBLK_QEMU_VARIANT:-}
case $variant in
"") variant_cfg=() ;;
sanitize) variant_cfg=(--enable-asan --enable-ubsan) ;;
coverage) variant_cfg=(--enable-gcov) ;;
*) die "XFERBLK_QEMU_VARIANT must be empty, sanitize or coverage, not '$variant'" ;;
esac

key=$({
	hash_files "$dev_dir"/* "$dev_h" "$dev_mak" "$self"
	printf '%s\n' "$version" "$variant"
} | sha256sum | cut -c1-16)
out=$qroot/$key/$bin_name

if [ -x "$out" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$qroot"
exec 9>"$qroot/.lock"
flock 9
if [ -x "$out" ]; then		# built by a concurrent run
	echo "$out"
	exit 0
fi

t0=$(date +%s)
blog=$qroot/build${variant:+-$variant}.log
: >"$blog"
run_logged() {
	if ! "$@" >>"$blog" 2>&1; then
		tail -n 40 "$blog" >&2
		die "failed: $* (full log: $blog)"
	fi
}

# --- source ---------------------------------------------------------------
src=$qroot/src/qemu-$upstream
if [ ! -f "$src/.xferblk-unpacked" ]; then
	mkdir -p "$dl"
	tarball=$(ls "$dl/qemu_$upstream.orig.tar."* 2>/dev/null | head -n1 || true)
	if [ -z "$tarball" ]; then
		log "fetching qemu=$version source tarball"
		(cd "$dl" && apt-get source -q --tar-only "qemu=$version" >&2) ||
			die "apt-get source --tar-only qemu=$version failed"
		tarball=$(ls "$dl/qemu_$upstream.orig.tar."* 2>/dev/null | head -n1 || true)
		[ -n "$tarball" ] || die "no orig tarball for $upstream in $dl"
	fi
	log "unpacking ${tarball##*/}"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp"
	top=("$src.tmp"/*)
	[ ${#top[@]} -eq 1 ] && [ -d "${top[0]}" ] ||
		die "unexpected layout of ${tarball##*/}"
	mv "${top[0]}" "$src"
	rmdir "$src.tmp"
	touch "$src/.xferblk-unpacked"
fi

# --- add the device to the tree (idempotent) ------------------------------
# Copies only when the bytes differ, so an unchanged file keeps its mtime
# and ninja does not recompile it.
install_file() {
	if ! cmp -s "$1" "$2"; then
		cp "$1" "$2"
	fi
}

# Replaces the marked block of $1 with stdin (or appends it).
set_block() {
	local file=$1 want cur
	want=$(sed '/^# xferblk begin$/,/^# xferblk end$/d' "$file"
		printf '# xferblk begin\n'
		cat
		printf '# xferblk end\n')
	cur=$(cat "$file")
	if [ "$want" != "$cur" ]; then
		printf '%s\n' "$want" >"$file"
	fi
}

# The model is its own folder, hw/xferblk, built like hw/nvme: its
# meson.build, Kconfig and trace-events, and a line in each parent list.
mkdir -p "$src/hw/xferblk"
for f in "$dev_dir"/*; do
	install_file "$f" "$src/hw/xferblk/${f##*/}"
done
install_file "$dev_h" "$src/include/hw/block/xferblk_hw.h"
install_file "$dev_mak" "$src/configs/devices/x86_64-softmmu/xferblk.mak"
# A tree from before the model was split: its single file goes.
rm -f "$src/hw/block/xferblk.c"
set_block "$src/hw/block/Kconfig" </dev/null
set_block "$src/hw/block/meson.build" </dev/null

set_block "$src/hw/Kconfig" <<'EOF'
source xferblk/Kconfig
EOF
set_block "$src/hw/meson.build" <<'EOF'
subdir('xferblk')
EOF
if ! grep -q "'hw/xferblk'," "$src/meson.build"; then
	sed -i "s|^    'hw/nvme',$|    'hw/nvme',\n    'hw/xferblk',|" "$src/meson.build"
	grep -q "'hw/xferblk'," "$src/meson.build" ||
		die "cannot add hw/xferblk to the trace event folders of meson.build"
fi

# The +ds tarball has no firmware blobs; with bzip2 installed meson would
# still try to unpack the missing edk2-*.fd.bz2.
if grep -q 'unpack_edk2_blobs = bzip2.found()' "$src/meson.build"; then
	sed -i 's/unpack_edk2_blobs = bzip2.found()/unpack_edk2_blobs = false/' \
		"$src/meson.build"
fi

# --- configure (once per set of options) ----------------------------------
build=$qroot/build${variant:+-$variant}
cc=gcc
if command -v ccache >/dev/null; then
	cc="ccache gcc"
else
	log "ccache not found: building without it"
fi
cfg=(
	--target-list=x86_64-softmmu
	--python=/usr/bin/python3
	--cc="$cc"
	--without-default-features
	--without-default-devices
	--with-devices-x86_64=xferblk
	--enable-tcg
	--enable-attr
	--enable-virtfs
	--enable-linux-io-uring  # aio=io_uring for the guest disks: no thread hop per I/O
	--disable-docs
	--disable-download
	--disable-install-blobs
	--firmwarepath=/usr/share/seabios:/usr/share/qemu:/usr/lib/ipxe/qemu
	"${variant_cfg[@]}"
)
cfg_id=$(printf '%s\n' "$src" "${cfg[@]}")
if [ ! -f "$build/build.ninja" ] ||
	[ "$(cat "$build/.xferblk-configure" 2>/dev/null)" != "$cfg_id" ]; then
	log "configuring QEMU $upstream in $build"
	rm -rf "$build"
	mkdir -p "$build"
	(cd "$build" && run_logged "$src/configure" "${cfg[@]}")
	printf '%s\n' "$cfg_id" >"$build/.xferblk-configure"
fi

# --- build ----------------------------------------------------------------
export CCACHE_DIR=$qroot/ccache
export CCACHE_BASEDIR=$XFERBLK_CACHE
export CCACHE_DEPEND=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}
log "building $bin_name${variant:+ ($variant)} (-j$(nproc)); log: $blog"
run_logged ninja -C "$build" -j"$(nproc)" "$bin_name"

mkdir -p "$qroot/$key"
cp "$build/$bin_name" "$out.tmp"
mv "$out.tmp" "$out"

# Keep the eight most recent results (of every variant).
ls -1dt "$qroot"/????????????????/ 2>/dev/null | tail -n +9 | xargs -r rm -rf

log "built in $(($(date +%s) - t0)) s"
echo "$out"
