#!/bin/bash
# A filesystem can rely on xferblk: mkfs.ext4, mount, write a tree of files,
# sync, unmount, fsck clean, remount and compare every file's checksum.
. "$(dirname "$0")/ktap.sh"

disk=$(xferblk_disk 0)
mnt=$(mktemp -d)
ktap_header 4
modprobe -d "$XFERBLK_KROOT" ext4 2>/dev/null
mkfs.ext4 -q -F "/dev/$disk" && mount "/dev/$disk" "$mnt"
ktap_result $? "mkfs.ext4 and mount /dev/$disk"

# 120 files of 1 KiB to 2 MiB in nested directories, random content.
for i in $(seq 1 120); do
	d="$mnt/d$((i % 7))/e$((i % 3))"
	mkdir -p "$d"
	head -c $(((RANDOM % 2048 + 1) * 1024)) /dev/urandom >"$d/f$i"
done
(cd "$mnt" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >/tmp/fs.sums
sync && umount "$mnt"
ktap_result $? "write 120 files, sync, umount"

fsck.ext4 -fn "/dev/$disk" >/tmp/fsck.out 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' /tmp/fsck.out
ktap_result $rc "fsck.ext4 -fn reports a clean filesystem"

mount "/dev/$disk" "$mnt" && (cd "$mnt" && sha256sum --quiet -c /tmp/fs.sums)
rc=$?
umount "$mnt"
ktap_result $rc "after remount all $(wc -l </tmp/fs.sums) files match their checksums"
rmdir "$mnt"
ktap_finish
