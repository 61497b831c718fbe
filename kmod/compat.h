/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xferblk: what differs between the kernels it builds for, Debian's 6.1,
 * 6.12 and 7.3 (README, "Kernels"). Every version test of the driver is
 * here; the driver files call these names and never test a version
 * themselves. The thresholds are the kernel releases that made each
 * change; only the three kernels above are built and tested.
 */
#ifndef XFERBLK_COMPAT_H
#define XFERBLK_COMPAT_H

#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pci.h>
#include <linux/version.h>

/* 6.5 gave open modes their own type. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
typedef fmode_t blk_mode_t;
#endif

/* 6.10 named a bvec's physical address. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
static inline phys_addr_t bvec_phys(const struct bio_vec *bvec)
{
	return page_to_phys(bvec->bv_page) + bvec->bv_offset;
}
#endif

/* Misaligned I/O: BLK_STS_INVAL (EINVAL) from 6.11, plain EIO before. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
#define XFERBLK_STS_MISALIGNED	BLK_STS_IOERR
#else
#define XFERBLK_STS_MISALIGNED	BLK_STS_INVAL
#endif

/* I/O accounting: before 6.3 the sectors were counted at the start. */
static inline void xferblk_end_io_acct(struct bio *bio, unsigned int sectors,
				       unsigned long start)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	bdev_end_io_acct(bio->bi_bdev, bio_op(bio), start);
#else
	bdev_end_io_acct(bio->bi_bdev, bio_op(bio), sectors, start);
#endif
}

/* BAR @bar, requested and mapped for the device's life (managed). */
static inline void __iomem *xferblk_iomap_bar(struct pci_dev *pdev, int bar,
					      const char *name)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
	int ret = pcim_iomap_regions(pdev, BIT(bar), name);

	return ret ? IOMEM_ERR_PTR(ret) : pcim_iomap_table(pdev)[bar];
#else
	return pcim_iomap_region(pdev, bar, name);
#endif
}

/*
 * A bio-based disk (@set NULL) or a blk-mq one, with the limits @lim and
 * I/O statistics, REQ_NOWAIT, a volatile write cache with FUA if @wc, and
 * polled I/O (REQ_POLLED) if @poll.
 * From 6.11 limits and features are given at allocation; 6.1 sets them on
 * the queue afterwards (and returns NULL, not an ERR_PTR, on failure).
 */
static inline struct gendisk *xferblk_alloc_disk(struct blk_mq_tag_set *set,
						 struct queue_limits *lim, bool wc, bool poll,
						 int node, void *queuedata)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
	struct gendisk *disk = set ? blk_mq_alloc_disk(set, queuedata) : blk_alloc_disk(node);
	struct request_queue *q;

	if (IS_ERR_OR_NULL(disk))
		return disk ?: ERR_PTR(-ENOMEM);
	q = disk->queue;
	blk_queue_logical_block_size(q, lim->logical_block_size);
	blk_queue_physical_block_size(q, lim->physical_block_size);
	blk_queue_max_hw_sectors(q, lim->max_hw_sectors);
	blk_queue_max_segments(q, lim->max_segments);
	blk_queue_max_segment_size(q, lim->max_segment_size);
	blk_queue_segment_boundary(q, lim->seg_boundary_mask);
	blk_queue_dma_alignment(q, lim->dma_alignment);
	blk_queue_max_discard_sectors(q, lim->max_hw_discard_sectors);
	q->limits.discard_granularity = lim->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, lim->max_write_zeroes_sectors);
	blk_queue_flag_set(QUEUE_FLAG_IO_STAT, q);
	blk_queue_flag_set(QUEUE_FLAG_NOWAIT, q);
	blk_queue_write_cache(q, wc, wc);
	if (poll)
		blk_queue_flag_set(QUEUE_FLAG_POLL, q);
	return disk;
#else
	lim->features = BLK_FEAT_IO_STAT | BLK_FEAT_NOWAIT |
			(wc ? BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA : 0) |
			(poll ? BLK_FEAT_POLL : 0);
	return set ? blk_mq_alloc_disk(set, lim, queuedata) : blk_alloc_disk(lim, node);
#endif
}

/* 6.14 made merging the default and dropped the flag that asked for it. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 14, 0)
#define XFERBLK_MQ_FLAGS	BLK_MQ_F_SHOULD_MERGE
#else
#define XFERBLK_MQ_FLAGS	0
#endif

/* The hardware queue of each CPU: its MSI-X vector's (6.14 made it generic). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 14, 0)
#include <linux/blk-mq-pci.h>
#endif

static inline void xferblk_map_hw_queues(struct blk_mq_queue_map *map, struct pci_dev *pdev)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 14, 0)
	blk_mq_pci_map_queues(map, pdev, 0);
#else
	blk_mq_map_hw_queues(map, &pdev->dev, 0);
#endif
}

/* 6.10 dropped the source argument of __assign_str(): it is in __string(). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
#define xferblk_assign_str(field, src)	__assign_str(field, src)
#else
#define xferblk_assign_str(field, src)	__assign_str(field)
#endif

/*
 * A block device opened for reading and writing, by @path or, when @path is
 * NULL, by number; claimed (exclusive) by @holder unless it is NULL: the
 * test module opens, a volume claims its targets.
 */
struct xferblk_bdev_handle {
	struct block_device *bdev;
	struct file *file;		/* from 6.9 */
	bool claimed;			/* before 6.9: blkdev_put() wants the mode */
};

static inline int xferblk_bdev_open(const char *path, dev_t devt, void *holder,
				    struct xferblk_bdev_handle *h)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
	fmode_t mode = FMODE_READ | FMODE_WRITE | (holder ? FMODE_EXCL : 0);

	h->claimed = !!holder;
	h->bdev = path ? blkdev_get_by_path(path, mode, holder) :
			 blkdev_get_by_dev(devt, mode, holder);
	return PTR_ERR_OR_ZERO(h->bdev);
#else
	blk_mode_t mode = BLK_OPEN_READ | BLK_OPEN_WRITE;

	h->file = path ? bdev_file_open_by_path(path, mode, holder, NULL) :
			 bdev_file_open_by_dev(devt, mode, holder, NULL);
	if (IS_ERR(h->file))
		return PTR_ERR(h->file);
	h->bdev = file_bdev(h->file);
	return 0;
#endif
}

/* Closes it now (a claim too), not at the caller's return to userspace. */
static inline void xferblk_bdev_close(struct xferblk_bdev_handle *h)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 9, 0)
	blkdev_put(h->bdev, FMODE_READ | FMODE_WRITE | (h->claimed ? FMODE_EXCL : 0));
#else
	bdev_fput(h->file);
#endif
}

/*
 * A volume's bio-based disk with the limits its targets stacked into @lim
 * (blk_set_stacking_limits(), then blk_stack_limits() for each) and I/O
 * statistics; a write cache and FUA if some target has them (from 6.11 the
 * stacking carries those features itself).
 */
static inline struct gendisk *xferblk_alloc_stacked_disk(struct queue_limits *lim, bool wc,
							 bool fua)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE);

	if (!disk)
		return ERR_PTR(-ENOMEM);
	disk->queue->limits = *lim;
	blk_queue_flag_set(QUEUE_FLAG_IO_STAT, disk->queue);
	blk_queue_write_cache(disk->queue, wc, fua);
	return disk;
#else
	/* Not stacked (docs/design.md, "Volumes"), whatever the targets have. */
	lim->features &= ~(BLK_FEAT_NOWAIT | BLK_FEAT_POLL);
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
	/* 6.17 stacks this too, and it must agree with max_write_zeroes_sectors. */
	lim->max_hw_wzeroes_unmap_sectors = 0;
#endif
	lim->features |= BLK_FEAT_IO_STAT;
	return blk_alloc_disk(lim, NUMA_NO_NODE);
#endif
}

/* 6.5 gave open() the disk and release() no mode. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
#define XFERBLK_OPEN_PROTO(name)	int name(struct block_device *bdev, fmode_t mode)
#define XFERBLK_OPEN_DISK		(bdev->bd_disk)
#define XFERBLK_RELEASE_PROTO(name)	void name(struct gendisk *disk, fmode_t mode)
#else
#define XFERBLK_OPEN_PROTO(name)	int name(struct gendisk *disk, blk_mode_t mode)
#define XFERBLK_OPEN_DISK		(disk)
#define XFERBLK_RELEASE_PROTO(name)	void name(struct gendisk *disk)
#endif

#endif /* XFERBLK_COMPAT_H */
