// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ioctls of uapi/xferblk.h: the sysfs counters and settings as one
 * snapshot per call. Every argument is checked before anything changes; a
 * refused call leaves the disk exactly as it was.
 */
#include <linux/capability.h>
#include <linux/uaccess.h>

#include "xferblk.h"

static_assert(XFERBLK_INFO_MAX_QUEUES >= XFERBLK_MAX_QUEUES);

static int xferblk_ioc_info(struct xferblk_dev *xd, void __user *argp)
{
	struct xferblk_info info;

	/* Zeroed whole: padding and reserved words carry no kernel memory out. */
	memset(&info, 0, sizeof(info));
	info.capacity = xd->capacity;
	info.seg_boundary = xd->lim.seg_boundary;
	info.block_size = xd->lim.block_size;
	info.max_transfer = xd->lim.max_xfer;
	info.max_segments = xd->lim.max_segs;
	info.max_segment_size = xd->lim.max_seg_size;
	info.max_discard = xd->max_discard;
	info.max_write_zeroes = xd->max_wzeroes;
	info.features = xd->features;
	info.version = XFERBLK_VERSION_MAJOR << 16 | xd->version_minor;
	info.nr_queues = xd->nr_queues;
	info.queue_depth = xd->queues[0].depth;
	info.send_mode = READ_ONCE(xd->send_sync) ? XFERBLK_SEND_SYNC : XFERBLK_SEND_ASYNC;
	info.queue_mode = xd->mq ? XFERBLK_QUEUE_MQ : XFERBLK_QUEUE_BIO;
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static int xferblk_ioc_stats(struct xferblk_dev *xd, void __user *argp)
{
	struct xferblk_ioc_stats *st;
	unsigned int i;
	int ret = 0;

	/* Too big for the stack; this is not the I/O path. */
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	for (i = 0; i < xferblk_nr_counters; i++)
		*(__u64 *)((char *)st + xferblk_counters[i].ioc) =
			xferblk_stat_sum(xd, xferblk_counters[i].stat);
	for (i = 0; i < XFERBLK_HIST_BUCKETS; i++)
		st->hist[i] = xferblk_stat_sum(xd, offsetof(struct xferblk_stats, hist[i]));
	st->nr_queues = xd->nr_queues;
	for (i = 0; i < xd->nr_queues; i++)
		st->queue_commands[i] = READ_ONCE(xd->queues[i].submitted);
	if (copy_to_user(argp, st, sizeof(*st)))
		ret = -EFAULT;
	kfree(st);
	return ret;
}

static int xferblk_ioc_set_send_mode(struct xferblk_dev *xd, void __user *argp)
{
	struct xferblk_ioc_send_mode req;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	/* A blk-mq disk sends each request whole: there is nothing to pace. */
	if (xd->mq)
		return -EOPNOTSUPP;
	if (req.flags || (req.mode != XFERBLK_SEND_ASYNC && req.mode != XFERBLK_SEND_SYNC))
		return -EINVAL;
	WRITE_ONCE(xd->send_sync, req.mode == XFERBLK_SEND_SYNC);
	return 0;
}

int xferblk_ioctl(struct block_device *bdev, blk_mode_t mode, unsigned int cmd,
		  unsigned long arg)
{
	struct xferblk_dev *xd = bdev->bd_disk->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case XFERBLK_IOC_INFO:
		return xferblk_ioc_info(xd, argp);
	case XFERBLK_IOC_STATS:
		return xferblk_ioc_stats(xd, argp);
	case XFERBLK_IOC_RESET_STATS:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		/* It takes no argument: one that is given is a mistake. */
		if (arg)
			return -EINVAL;
		xferblk_reset_counters(xd);
		return 0;
	case XFERBLK_IOC_SET_SEND_MODE:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return xferblk_ioc_set_send_mode(xd, argp);
	default:
		return -ENOTTY;
	}
}
