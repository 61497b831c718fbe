#!/bin/bash
# The guest half of `make check-debug`, on the debug kernel: runs the
# command (a guest-tests boot: build/selftests/run.sh) with the modules built
# against this kernel, then a kmemleak scan whose report goes to the
# console. Exits with the command's status.
# usage: check-debug-guest.sh command [args...]
top=${XFERBLK_TOP:?run inside qemu/run-guest.sh}
[ "${XFERBLK_KERNEL:-}" = debug ] || { echo "check-debug-guest: not the debug kernel"; exit 1; }
cd "$top" || exit 1

# The tests load $top/xferblk.ko and build/selftests/xferblk_biotest.ko,
# both built for Debian's kernel. Bind mounts, in this guest only, put the
# debug builds (build/debug) in their place; the host's files stay as they
# are.
bind() { mount --bind "$top/$1" "$top/$2" || { echo "check-debug-guest: cannot bind $1"; exit 1; }; }
bind build/debug/xferblk/xferblk.ko xferblk.ko
bind build/debug/xferblk/selftests/biotest/xferblk_biotest.ko build/selftests/xferblk_biotest.ko
if ! modinfo -F vermagic "$top/xferblk.ko" | grep -q "^$(uname -r) "; then
	echo "check-debug-guest: xferblk.ko is not built for $(uname -r)"
	exit 1
fi

kmemleak=/sys/kernel/debug/kmemleak
[ -w "$kmemleak" ] || { echo "check-debug-guest: kmemleak is not available"; exit 1; }

"$@"
rc=$?

# Two scans a few seconds apart (kmemleak reports an object only once it
# has been seen unreferenced and is older than 5 s), then the report.
echo "check-debug-guest: kmemleak scan"
echo scan >"$kmemleak"
sleep 5
echo scan >"$kmemleak"
cat "$kmemleak"
echo "check-debug-guest: kmemleak scan done"
exit $rc
