#!/bin/sh
# /init of the guest's initramfs (busybox). Mounts the host's root read-only
# and the project tree read-write over 9p, runs the command the host runner
# left in the project tree inside that root, reports its exit status on the
# console and powers off.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev

arg() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
top=$(arg xferblk.top)
kroot=$(arg xferblk.kroot)
run=$(arg xferblk.run)

# Modules for 9p, in dependency order (written by mkinitramfs.sh).
while read -r m; do
	insmod "/lib/modules/$m" || echo "guest-init: insmod $m failed"
done </lib/modules/load-order

r=/newroot
mkdir -p $r
opts=trans=virtio,version=9p2000.L,msize=512000
mount -t 9p -o "$opts,ro,cache=loose" hostroot $r || echo "guest-init: no host root"
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs dev $r/dev
mkdir -p $r/dev/pts $r/dev/shm
# What udev would add: the kselftest runner logs to /dev/stdout.
ln -sf /proc/self/fd $r/dev/fd
ln -sf /proc/self/fd/0 $r/dev/stdin
ln -sf /proc/self/fd/1 $r/dev/stdout
ln -sf /proc/self/fd/2 $r/dev/stderr
mount -t devpts devpts $r/dev/pts
mount -t tmpfs tmpfs $r/dev/shm
mount -t tmpfs tmpfs $r/tmp
mount -t tmpfs tmpfs $r/run
mount -t tmpfs tmpfs $r/var/tmp
mount -t debugfs debugfs $r/sys/kernel/debug
mount -t tracefs tracefs $r/sys/kernel/tracing 2>/dev/null
mount -t configfs configfs $r/sys/kernel/config 2>/dev/null
# The project tree and the kernel's files (modules, in the cache) last:
# either may live under one of the tmpfs mounts above (a CI clone, or
# XDG_CACHE_HOME, in /tmp), where its mount point has to be made first.
mkdir -p "$r$top" "$r$kroot" 2>/dev/null
mount -t 9p -o "$opts" project "$r$top" || echo "guest-init: no project tree"
mount -t 9p -o "$opts,ro,cache=loose" kroot "$r$kroot" || echo "guest-init: no kernel root"

echo "guest-init: running $run"
chroot $r /usr/bin/env -i HOME=/root TERM=dumb \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/bash "$run"
rc=$?
sync
echo "XFERBLK_GUEST_EXIT=$rc"
poweroff -f
