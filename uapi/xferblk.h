/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * xferblk ioctls, issued on /dev/xferblkN or one of its partitions.
 * Everything here is also in
 * sysfs (/sys/block/xferblkN/xferblk/); the ioctls give one consistent
 * snapshot in one call, and are what xferctl uses when it can open the disk.
 *
 * Rules the driver enforces (docs/design.md, "ioctls"):
 *   - an unknown command fails with ENOTTY;
 *   - a pointer the kernel cannot read or write fails with EFAULT;
 *   - a reserved field or flag that is not zero fails with EINVAL, and so
 *     does a value out of range; a failed call changes nothing;
 *   - the commands that change state need CAP_SYS_ADMIN (else EPERM);
 *   - SET_SEND_MODE on a blk-mq disk (queue_mode=mq) fails with EOPNOTSUPP:
 *     it sends each request whole.
 * RESET_STATS zeroes the device's own counters too, as sysfs reset_counters.
 */
#ifndef _UAPI_XFERBLK_H
#define _UAPI_XFERBLK_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define XFERBLK_IOC_MAGIC		0xb7

/* Buckets of the children-per-parent histogram: 1, 2, 3-4, ..., 257+. */
#define XFERBLK_HIST_BUCKETS		10
#define XFERBLK_INFO_MAX_QUEUES		64

enum xferblk_send_mode {
	XFERBLK_SEND_ASYNC = 0,		/* each child as soon as it is cut */
	XFERBLK_SEND_SYNC = 1,		/* one child at a time */
};

enum xferblk_queue_mode {
	XFERBLK_QUEUE_BIO = 0,		/* the driver splits (submit_bio) */
	XFERBLK_QUEUE_MQ = 1,		/* blk-mq splits; one request, one command */
};

/* XFERBLK_IOC_INFO: what the disk is and what one command may carry. */
struct xferblk_info {
	__u64 capacity;			/* logical blocks */
	__u64 seg_boundary;		/* mask */
	__u32 block_size;		/* logical block, bytes */
	__u32 max_transfer;		/* bytes per command */
	__u32 max_segments;		/* SG entries per command */
	__u32 max_segment_size;		/* bytes per SG entry */
	__u32 max_discard;		/* blocks per DISCARD, 0: none */
	__u32 max_write_zeroes;		/* blocks per WRITE_ZEROES, 0: none */
	__u32 features;			/* XFERBLK_FEAT_* of xferblk_hw.h */
	__u32 version;			/* the device's: major << 16 | minor */
	__u32 nr_queues;
	__u32 queue_depth;		/* ring entries per queue */
	__u32 send_mode;		/* enum xferblk_send_mode */
	__u32 queue_mode;		/* enum xferblk_queue_mode */
	__u32 reserved[4];		/* zero */
};

/* XFERBLK_IOC_STATS: the driver's counters (sysfs has the same). */
struct xferblk_ioc_stats {
	__u64 parents;
	__u64 children;
	__u64 errors;			/* children that ended with an error */
	__u64 parent_errors;
	__u64 cancelled;		/* children ended before the device saw them */
	__u64 rejected;			/* completions with a reject status */
	__u64 bogus;			/* completions refused (tag, generation, fetch count) */
	__u64 unsendable;		/* children the driver could not map */
	__u64 timeouts;			/* commands ended by an abort */
	__u64 resets;			/* controller resets */
	__u64 hist[XFERBLK_HIST_BUCKETS];
	__u32 nr_queues;		/* entries of queue_commands in use */
	__u32 reserved;			/* zero */
	__u64 queue_commands[XFERBLK_INFO_MAX_QUEUES];
};

/* XFERBLK_IOC_SET_SEND_MODE: how the children of new parents are sent. */
struct xferblk_ioc_send_mode {
	__u32 mode;			/* enum xferblk_send_mode */
	__u32 flags;			/* none defined: zero */
};

#define XFERBLK_IOC_INFO		_IOR(XFERBLK_IOC_MAGIC, 0x00, struct xferblk_info)
#define XFERBLK_IOC_STATS		_IOR(XFERBLK_IOC_MAGIC, 0x01, struct xferblk_ioc_stats)
#define XFERBLK_IOC_RESET_STATS		_IO(XFERBLK_IOC_MAGIC, 0x02)
#define XFERBLK_IOC_SET_SEND_MODE	_IOW(XFERBLK_IOC_MAGIC, 0x03, struct xferblk_ioc_send_mode)

#endif /* _UAPI_XFERBLK_H */
