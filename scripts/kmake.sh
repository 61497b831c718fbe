#!/usr/bin/env bash
# The kernel's make for the selected kernel (XFERBLK_SERIES, make's KERNEL):
# `kmake.sh M=DIR [args...]` runs make -C <headers> M=DIR on the host, or for
# 7.3 inside the trixie root, with the project tree mounted at the same path.
# Kbuild keeps objects next to the sources, so a directory last built for
# another kernel is cleaned first (its kernel is in DIR/.xferblk-kver).
set -euo pipefail
. "$(dirname "$0")/common.sh"
eval "$("$XFERBLK_TOP/scripts/fetch-kernel.sh")"

mdir=
for a in "$@"; do [[ $a == M=* ]] && mdir=${a#M=}; done
[ -n "$mdir" ] || die "usage: kmake.sh M=DIR [make arguments]"

kmake() {
	if [ -z "$KCHROOT" ]; then
		make -C "$KDIR" "$@"
	else
		mkdir -p "$KCHROOT$XFERBLK_TOP"
		# A private mount namespace: the tree and /proc (objtool reads it)
		# are mounted for this make only.
		unshare -m sh -c 'mount --bind "$1" "$2$1" && mount -t proc proc "$2/proc" &&
			shift 2 && exec chroot "$@"' sh \
			"$XFERBLK_TOP" "$KCHROOT" "$KCHROOT" make -C "${KDIR#"$KCHROOT"}" "$@"
	fi
}

stamp=$mdir/.xferblk-kver
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$KVER" ]; then
	kmake M="$mdir" clean >/dev/null 2>&1 || true
fi
echo "$KVER" >"$stamp"
kmake "$@"
