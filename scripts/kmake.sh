#!/usr/bin/env bash
# The kernel's make for the selected kernel (XFERBLK_SERIES, make's KERNEL):
# `kmake.sh M=DIR [args...]` runs make -C <headers> M=DIR on the host, or for
# 7.3 inside the trixie root, with the project tree mounted at the same path.
# Kbuild keeps objects next to the sources, so a directory last built for
# another kernel is cleaned first (its kernel is in DIR/.xferblk-kver).
#
# `kmake.sh --cache NAME.ko M=DIR [args...]` keeps the module it builds in
# the cache, keyed by the kernel, the arguments and the sources (DIR's
# Kbuild and C files, kmod/, uapi/, VERSION), and on a hit copies it in
# instead of building: a fresh clone does not rebuild what an earlier one
# built for the same kernel. The static checks build without --cache, so
# their compiler and sparse always run.
set -euo pipefail
. "$(dirname "$0")/common.sh"
eval "$("$XFERBLK_TOP/scripts/fetch-kernel.sh")"

cached_ko=
if [ "${1:-}" = --cache ]; then
	cached_ko=$2
	shift 2
fi
mdir=
for a in "$@"; do [[ $a == M=* ]] && mdir=${a#M=}; done
[ -n "$mdir" ] || die "usage: kmake.sh M=DIR [make arguments]"

# On the host the compiler runs under ccache (the Makefile's CCACHE_* make
# its entries shareable between clones); W=1 warnings come back from it too.
cc=()
if [ -z "$KCHROOT" ] && command -v ccache >/dev/null; then
	cc=(CC="ccache gcc")
fi

kmake() {
	if [ -z "$KCHROOT" ]; then
		make -C "$KDIR" "${cc[@]}" "$@"
	else
		mkdir -p "$KCHROOT$XFERBLK_TOP"
		# A private mount namespace: the tree and /proc (objtool reads it)
		# are mounted for this make only.
		unshare -m sh -c 'mount --bind "$1" "$2$1" && mount -t proc proc "$2/proc" &&
			shift 2 && exec chroot "$@"' sh \
			"$XFERBLK_TOP" "$KCHROOT" "$KCHROOT" make -C "${KDIR#"$KCHROOT"}" "$@"
	fi
}

# Kbuild's clean of an external module deletes objects anywhere under M=,
# the tools' and selftests' objects in build/ included, which then all
# rebuild. This one deletes only what Kbuild makes for a module: in DIR and
# its source folders, never under build/, tools/ or selftests/.
kclean() {
	find "$1" -maxdepth 2 \( -path "$1/build" -o -path "$1/tools" -o -path "$1/selftests" \) \
		-prune -o -type f \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '.*.d' -o -name 'Module.symvers' -o -name 'modules.order' \) \
		-exec rm -f {} +
}
if [ "${*: -1}" = clean ]; then
	kclean "$mdir"
	exit 0
fi

stamp=$mdir/.xferblk-kver
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$KVER" ]; then
	kclean "$mdir"
fi
echo "$KVER" >"$stamp"
[ -n "$cached_ko" ] || { kmake "$@"; exit; }

shopt -s nullglob
sources=()
for f in "$mdir"/Kbuild "$mdir"/*.[ch] "$mdir"/kmod/*.[ch] "$XFERBLK_TOP"/uapi/*.h \
	"$XFERBLK_TOP"/VERSION "$0"; do
	[[ $f == *.mod.c ]] || sources+=("$f")
done
# The key holds no path of this clone: M= is left out of the arguments.
args=("${@/#M=*/}")
key=$( (echo "$KVER ${KCHROOT:+chroot} ${args[*]}"; hash_files "${sources[@]}") |
	sha256sum | cut -c1-16)
store=$XFERBLK_CACHE/modules/$KVER
if [ -f "$store/$key/$cached_ko" ]; then
	cmp -s "$store/$key/$cached_ko" "$mdir/$cached_ko" ||
		cp "$store/$key/$cached_ko" "$mdir/$cached_ko"
	exit 0
fi
kmake "$@"
mkdir -p "$store/$key"
cp "$mdir/$cached_ko" "$store/$key/$cached_ko.tmp"
mv "$store/$key/$cached_ko.tmp" "$store/$key/$cached_ko"
# Keep the eight newest builds of each module.
ls -dt "$store"/*/"$cached_ko" | tail -n +9 | xargs -r -n1 dirname | xargs -r rm -rf
