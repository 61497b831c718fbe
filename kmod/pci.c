// SPDX-License-Identifier: GPL-2.0-only
/*
 * xferblk PCI glue: probe validates everything the device reports before
 * believing it, builds the rings and vectors, and registers the disk whose
 * queue_limits are the device's real DMA limits. Remove fails what is in
 * flight and frees everything.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/module.h>

#include "xferblk.h"

#define XFERBLK_MAX_DEPTH	4096
/* One abort slot and at least two I/O tags, with the SQ never full. */
#define XFERBLK_MIN_DEPTH	4
/* Largest command the driver will describe; bigger device limits are capped. */
#define XFERBLK_MAX_XFER	(64U << 20)
#define XFERBLK_PARENT_POOL	64

int xferblk_major;
static DEFINE_IDA(xferblk_ida);
static struct kmem_cache *xferblk_parent_cache;

bool xferblk_split = true;
module_param_named(split, xferblk_split, bool, 0644);
MODULE_PARM_DESC(split,
		 "Cut bios to the device's limits (default Y). N is for tests only: large bios then reach the device whole and are rejected.");

bool xferblk_whole = true;
module_param_named(whole_bios, xferblk_whole, bool, 0644);
MODULE_PARM_DESC(whole_bios,
		 "Send a bio that fits one command as it is, with no parent context or child bio (default Y). N cuts every bio into children, for comparison.");

static bool xferblk_send_sync;
static bool xferblk_queue_mq;

static int xferblk_set_queue_mode(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "bio")) {
		WRITE_ONCE(xferblk_queue_mq, false);
	} else if (sysfs_streq(val, "mq")) {
		WRITE_ONCE(xferblk_queue_mq, true);
	} else {
		pr_err("queue_mode must be \"bio\" or \"mq\"\n");
		return -EINVAL;
	}
	return 0;
}

static int xferblk_get_queue_mode(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", READ_ONCE(xferblk_queue_mq) ? "mq" : "bio");
}

static const struct kernel_param_ops xferblk_queue_mode_ops = {
	.set = xferblk_set_queue_mode,
	.get = xferblk_get_queue_mode,
};

module_param_cb(queue_mode, &xferblk_queue_mode_ops, NULL, 0644);
__MODULE_PARM_TYPE(queue_mode, "charp");
MODULE_PARM_DESC(queue_mode,
		 "\"bio\" (default): the driver splits bios into chained children; \"mq\": a blk-mq disk, the block layer splits, for comparison. Applies to devices probed afterwards");

static int xferblk_set_send_mode(const char *val, const struct kernel_param *kp)
{
	if (xferblk_parse_send_mode(val, &xferblk_send_sync)) {
		pr_err("send_mode must be \"async\" or \"sync\"\n");
		return -EINVAL;
	}
	return 0;
}

static int xferblk_get_send_mode(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", xferblk_send_mode_name(xferblk_send_sync));
}

static const struct kernel_param_ops xferblk_send_mode_ops = {
	.set = xferblk_set_send_mode,
	.get = xferblk_get_send_mode,
};

module_param_cb(send_mode, &xferblk_send_mode_ops, NULL, 0444);
__MODULE_PARM_TYPE(send_mode, "charp");
MODULE_PARM_DESC(send_mode,
		 "How a parent's children are sent: \"async\" (default, each as soon as it is cut) or \"sync\" (one at a time); per disk in sysfs xferblk/send_mode");

/*
 * Parses an unsigned module parameter, refusing (with a message naming it)
 * anything outside [min, max] or, if @pow2, not a power of two.
 */
static int xferblk_param_uint(const char *val, const struct kernel_param *kp,
			      unsigned int min, unsigned int max, bool pow2)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (!ret && (v < min || v > max || (pow2 && !is_power_of_2(v))))
		ret = -EINVAL;
	if (ret) {
		pr_err("%s must be %sfrom %u to %u\n", kp->name,
		       pow2 ? "a power of two " : "", min, max);
		return ret;
	}
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

unsigned int xferblk_timeout_ms = 30000;

static int xferblk_set_timeout(const char *val, const struct kernel_param *kp)
{
	return xferblk_param_uint(val, kp, 100, 3600000, false);
}

static const struct kernel_param_ops xferblk_timeout_ops = {
	.set = xferblk_set_timeout,
	.get = param_get_uint,
};

module_param_cb(timeout_ms, &xferblk_timeout_ops, &xferblk_timeout_ms, 0644);
__MODULE_PARM_TYPE(timeout_ms, "uint");
MODULE_PARM_DESC(timeout_ms,
		 "Command timeout in ms, 100 to 3600000 (default 30000): then the command is aborted, and the controller reset if the abort is not answered");

/*
 * Interrupt coalescing (device 1.4): an interrupt waits for this many
 * completions, or this long after the first; the device never makes the
 * last command in flight wait. Small enough that a single waiter loses at
 * most a few tens of microseconds.
 */
unsigned int xferblk_coalesce_entries = 8;
unsigned int xferblk_coalesce_us = 20;

static int xferblk_set_coalesce_entries(const char *val, const struct kernel_param *kp)
{
	return xferblk_param_uint(val, kp, 0, XFERBLK_COALESCE_THRESHOLD, false);
}

static int xferblk_set_coalesce_us(const char *val, const struct kernel_param *kp)
{
	return xferblk_param_uint(val, kp, 0, U16_MAX, false);
}

static const struct kernel_param_ops xferblk_coalesce_entries_ops = {
	.set = xferblk_set_coalesce_entries,
	.get = param_get_uint,
};

static const struct kernel_param_ops xferblk_coalesce_us_ops = {
	.set = xferblk_set_coalesce_us,
	.get = param_get_uint,
};

module_param_cb(irq_coalesce_entries, &xferblk_coalesce_entries_ops,
		&xferblk_coalesce_entries, 0644);
__MODULE_PARM_TYPE(irq_coalesce_entries, "uint");
MODULE_PARM_DESC(irq_coalesce_entries,
		 "Completions an interrupt may wait for, 0 to 255 (default 8; 0 or 1: no coalescing). For devices probed afterwards; per disk in sysfs xferblk/irq_coalesce");
module_param_cb(irq_coalesce_us, &xferblk_coalesce_us_ops, &xferblk_coalesce_us, 0644);
__MODULE_PARM_TYPE(irq_coalesce_us, "uint");
MODULE_PARM_DESC(irq_coalesce_us,
		 "Microseconds an interrupt may wait after the first completion, 0 to 65535 (default 20; 0: no coalescing). For devices probed afterwards; per disk in sysfs xferblk/irq_coalesce");

static unsigned int xferblk_queue_depth = 128;

static int xferblk_set_queue_depth(const char *val, const struct kernel_param *kp)
{
	return xferblk_param_uint(val, kp, XFERBLK_MIN_DEPTH, XFERBLK_MAX_DEPTH, true);
}

static const struct kernel_param_ops xferblk_queue_depth_ops = {
	.set = xferblk_set_queue_depth,
	.get = param_get_uint,
};

module_param_cb(queue_depth, &xferblk_queue_depth_ops, &xferblk_queue_depth, 0444);
__MODULE_PARM_TYPE(queue_depth, "uint");
MODULE_PARM_DESC(queue_depth,
		 "Ring entries per queue, a power of two from 4 to 4096 (default 128; capped by the device)");

unsigned int xferblk_poll_queues;

static int xferblk_set_poll_queues(const char *val, const struct kernel_param *kp)
{
	return xferblk_param_uint(val, kp, 0, XFERBLK_MAX_QUEUES - 1, false);
}

static const struct kernel_param_ops xferblk_poll_queues_ops = {
	.set = xferblk_set_poll_queues,
	.get = param_get_uint,
};

module_param_cb(poll_queues, &xferblk_poll_queues_ops, &xferblk_poll_queues, 0644);
__MODULE_PARM_TYPE(poll_queues, "uint");
MODULE_PARM_DESC(poll_queues,
		 "Device queues without interrupts, for polled I/O (io_uring IOPOLL), 0 to 63 (default 0; for devices probed afterwards), taken from the device's queues, at least one of which keeps interrupts; none in the blk-mq comparison mode");

static const struct block_device_operations xferblk_fops = {
	.owner = THIS_MODULE,
	.submit_bio = xferblk_submit_bio,
	.poll_bio = xferblk_poll_bio,
	.ioctl = xferblk_ioctl,
	.compat_ioctl = blkdev_compat_ptr_ioctl,
};

/* Blocks per data-less command, capped so its sectors fit an unsigned int. */
static u32 xferblk_span_limit(struct xferblk_dev *xd, u32 blocks)
{
	return min_t(u32, blocks, (UINT_MAX >> 1) / (xd->lim.block_size >> SECTOR_SHIFT));
}

static int xferblk_read_features(struct xferblk_dev *xd)
{
	struct device *dev = &xd->pdev->dev;
	u32 feat = xferblk_read32(xd, XFERBLK_REG_FEATURES);
	u32 gran = 1;

	xd->features = feat;
	xd->write_cache = feat & XFERBLK_FEAT_WRITE_CACHE;
	/* FUA per child is how a split parent keeps its promise. */
	if (xd->write_cache && !(feat & XFERBLK_FEAT_FUA)) {
		dev_err(dev, "write cache without FUA is not supported\n");
		return -EINVAL;
	}
	if (feat & (XFERBLK_FEAT_DISCARD | XFERBLK_FEAT_WRITE_ZEROES)) {
		gran = xferblk_read32(xd, XFERBLK_REG_DISCARD_GRAN);
		if (!gran || !is_power_of_2(gran) || gran > SZ_1G / xd->lim.block_size) {
			dev_err(dev, "invalid discard granularity %u blocks\n", gran);
			return -EINVAL;
		}
	}
	xd->discard_gran = gran;
	if (feat & XFERBLK_FEAT_DISCARD) {
		xd->max_discard = xferblk_read32(xd, XFERBLK_REG_MAX_DISCARD);
		if (xd->max_discard < gran) {
			dev_err(dev, "invalid max discard %u blocks\n", xd->max_discard);
			return -EINVAL;
		}
		xd->max_discard = xferblk_span_limit(xd, xd->max_discard);
	}
	if (feat & XFERBLK_FEAT_WRITE_ZEROES) {
		xd->max_wzeroes = xferblk_read32(xd, XFERBLK_REG_MAX_WZEROES);
		if (!xd->max_wzeroes) {
			dev_err(dev, "invalid max write-zeroes 0 blocks\n");
			return -EINVAL;
		}
		xd->max_wzeroes = xferblk_span_limit(xd, xd->max_wzeroes);
	}
	return 0;
}

/* Reads and checks what the device claims; refuses what the driver cannot honour. */
static int xferblk_read_limits(struct xferblk_dev *xd)
{
	struct device *dev = &xd->pdev->dev;
	struct xferblk_limits *lim = &xd->lim;
	u32 magic = xferblk_read32(xd, XFERBLK_REG_MAGIC);
	u32 version = xferblk_read32(xd, XFERBLK_REG_VERSION);
	u32 max_xfer;
	int ret;

	if (magic != XFERBLK_MAGIC) {
		dev_err(dev, "bad magic %#x\n", magic);
		return -ENODEV;
	}
	/* 1.2 is the first minor with tag generations (docs/device-spec.md). */
	if (version >> 16 != XFERBLK_VERSION_MAJOR || (version & 0xffff) < 2) {
		dev_err(dev, "unsupported device version %u.%u\n",
			version >> 16, version & 0xffff);
		return -ENODEV;
	}

	xd->version_minor = version & 0xffff;
	xd->capacity = xferblk_read64(xd, XFERBLK_REG_CAPACITY);
	lim->block_size = xferblk_read32(xd, XFERBLK_REG_BLOCK_SIZE);
	max_xfer = xferblk_read32(xd, XFERBLK_REG_MAX_XFER);
	lim->max_segs = xferblk_read32(xd, XFERBLK_REG_MAX_SEGS);
	lim->max_seg_size = xferblk_read32(xd, XFERBLK_REG_MAX_SEG_SIZE);
	lim->seg_boundary = xferblk_read64(xd, XFERBLK_REG_SEG_BOUNDARY);

	if (lim->block_size < SECTOR_SIZE || lim->block_size > PAGE_SIZE ||
	    !is_power_of_2(lim->block_size)) {
		dev_err(dev, "invalid logical block size %u\n", lim->block_size);
		return -EINVAL;
	}
	if (!xd->capacity ||
	    xd->capacity > (U64_MAX >> SECTOR_SHIFT) / lim->block_size) {
		dev_err(dev, "invalid capacity %llu blocks\n", xd->capacity);
		return -EINVAL;
	}
	/* The block layer needs a page per command and per segment. */
	if (max_xfer < PAGE_SIZE || max_xfer % lim->block_size) {
		dev_err(dev, "invalid max transfer %u bytes\n", max_xfer);
		return -EINVAL;
	}
	if (!lim->max_segs) {
		dev_err(dev, "invalid max segments 0\n");
		return -EINVAL;
	}
	if (lim->max_seg_size < PAGE_SIZE) {
		dev_err(dev, "invalid max segment size %u bytes\n", lim->max_seg_size);
		return -EINVAL;
	}
	if (lim->seg_boundary < PAGE_SIZE - 1 ||
	    (lim->seg_boundary & (lim->seg_boundary + 1))) {
		dev_err(dev, "invalid segment boundary mask %#llx\n", lim->seg_boundary);
		return -EINVAL;
	}

	ret = xferblk_read_features(xd);
	if (ret)
		return ret;

	/* Limits the driver itself imposes: still the truth about what it sends. */
	lim->max_xfer = min(max_xfer, XFERBLK_MAX_XFER);
	lim->max_segs = min_t(u32, lim->max_segs, XFERBLK_SGL_ENTRIES);
	/* Whole blocks per segment keep every planned command block-aligned. */
	lim->max_seg_size = round_down(lim->max_seg_size, lim->block_size);
	return 0;
}

static void xferblk_free_irqs(struct xferblk_dev *xd)
{
	unsigned int i;

	for (i = 0; i < xd->nr_queues; i++) {
		struct xferblk_queue *q = &xd->queues[i];

		if (q->irq > 0)
			free_irq(q->irq, q);
		q->irq = 0;
	}
}

static void xferblk_free_queues(struct xferblk_dev *xd)
{
	unsigned int i;

	xferblk_free_irqs(xd);
	for (i = 0; i < xd->nr_queues; i++)
		xferblk_queue_free(xd, &xd->queues[i]);
}

static int xferblk_setup_queues(struct xferblk_dev *xd)
{
	struct pci_dev *pdev = xd->pdev;
	u32 dev_queues = xferblk_read32(xd, XFERBLK_REG_NUM_QUEUES);
	u32 dev_depth = xferblk_read32(xd, XFERBLK_REG_MAX_DEPTH);
	struct irq_affinity affd = {};
	unsigned int want_poll = READ_ONCE(xferblk_poll_queues);
	unsigned int depth, i, cpu, npoll = 0;
	int nvec, ret;

	if (!dev_queues || dev_queues > XFERBLK_MAX_QUEUES) {
		dev_err(&pdev->dev, "invalid queue count %u\n", dev_queues);
		return -EINVAL;
	}
	if (dev_depth < XFERBLK_MIN_DEPTH || !is_power_of_2(dev_depth)) {
		dev_err(&pdev->dev, "invalid max queue depth %u\n", dev_depth);
		return -EINVAL;
	}
	depth = min(xferblk_queue_depth, dev_depth);
	if (want_poll && !xd->mq && (xd->features & XFERBLK_FEAT_POLLED) &&
	    xd->version_minor >= 5)
		npoll = min(want_poll, dev_queues - 1);
	if (npoll != want_poll)
		dev_info(&pdev->dev, "%u poll queues of the %u asked for%s\n", npoll,
			 want_poll, xd->mq ? " (none in mq mode)" :
			 !(xd->features & XFERBLK_FEAT_POLLED) ? " (the device cannot)" : "");

	/* Managed affinity: the vectors, and so the queues, spread over the CPUs. */
	nvec = pci_alloc_irq_vectors_affinity(pdev, 1, min(dev_queues - npoll, num_possible_cpus()),
					      PCI_IRQ_MSIX | PCI_IRQ_AFFINITY, &affd);
	if (nvec < 0) {
		dev_err(&pdev->dev, "no MSI-X vectors: %d\n", nvec);
		return nvec;
	}
	xd->nr_vectors = nvec;

	xd->cpu_queue = devm_kcalloc(&pdev->dev, nr_cpu_ids, sizeof(*xd->cpu_queue), GFP_KERNEL);
	if (!xd->cpu_queue)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		xd->cpu_queue[cpu] = cpu % nvec;
	for (i = 0; i < nvec; i++) {
		const struct cpumask *mask = pci_irq_get_affinity(pdev, i);

		if (!mask)
			continue;
		for_each_cpu(cpu, mask)
			xd->cpu_queue[cpu] = i;
	}

	/* The queues with interrupts, one per vector, then the poll queues. */
	xd->queues = devm_kcalloc(&pdev->dev, nvec + npoll, sizeof(*xd->queues), GFP_KERNEL);
	if (!xd->queues)
		return -ENOMEM;
	for (i = 0; i < nvec + npoll; i++) {
		struct xferblk_queue *q = &xd->queues[i];

		/* A queue that fails to init has freed itself: not counted. */
		ret = xferblk_queue_init(xd, q, i, depth);
		if (ret)
			return ret;
		xd->nr_queues = i + 1;
		if (i >= nvec) {
			q->polled = true;
			xd->nr_poll_queues++;
		} else {
			ret = request_irq(pci_irq_vector(pdev, i), xferblk_irq, 0,
					  dev_name(&pdev->dev), q);
			if (ret)
				return ret;
			q->irq = pci_irq_vector(pdev, i);
		}
		ret = xferblk_queue_enable(xd, q);
		if (ret)
			return ret;
	}
	return 0;
}

static int xferblk_add_disk(struct xferblk_dev *xd)
{
	const struct xferblk_limits *l = &xd->lim;
	struct queue_limits lim = {
		.logical_block_size = l->block_size,
		.physical_block_size = l->block_size,
		.max_hw_sectors = l->max_xfer >> SECTOR_SHIFT,
		.max_segments = l->max_segs,
		.max_segment_size = l->max_seg_size,
		.seg_boundary_mask = l->seg_boundary,
		/* Block-aligned buffers keep every bvec, so every plan, in whole blocks. */
		.dma_alignment = l->block_size - 1,
		.max_hw_discard_sectors = xd->max_discard * (l->block_size >> SECTOR_SHIFT),
		.discard_granularity = xd->discard_gran * l->block_size,
		.max_write_zeroes_sectors = xd->max_wzeroes * (l->block_size >> SECTOR_SHIFT),
	};
	struct gendisk *disk;
	int ret;

	/*
	 * Parent I/O in iostat; REQ_NOWAIT is honoured down to the tags; FLUSH
	 * and FUA matter only with a volatile write cache.
	 */
	disk = xferblk_alloc_disk(xd->mq ? &xd->tag_set : NULL, &lim, xd->write_cache,
				  xd->nr_poll_queues,
				  dev_to_node(&xd->pdev->dev), xd);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	disk->major = xferblk_major;
	disk->first_minor = xd->index * XFERBLK_MINORS;
	disk->minors = XFERBLK_MINORS;
	disk->fops = xd->mq ? &xferblk_mq_fops : &xferblk_fops;
	disk->private_data = xd;
	snprintf(disk->disk_name, DISK_NAME_LEN, "xferblk%d", xd->index);
	set_capacity(disk, xd->capacity * (l->block_size >> SECTOR_SHIFT));
	xd->disk = disk;

	ret = device_add_disk(&xd->pdev->dev, disk, xferblk_disk_groups);
	if (ret) {
		put_disk(disk);
		xd->disk = NULL;
	}
	return ret;
}

/*
 * Undoes whatever probe built, newest first: probe's unwind and remove are
 * this one function. Each step asks whether its piece exists, so it serves
 * a probe that failed anywhere after the work queue was made. @failed:
 * commands already failed by the caller, for the log.
 */
static void xferblk_teardown(struct xferblk_dev *xd, unsigned int failed)
{
	struct pci_dev *pdev = xd->pdev;
	int reset_failed;
	unsigned int qid;

	xferblk_debugfs_remove(xd);
	/* No new bios after this; children already cut may still be on the device. */
	if (xd->disk)
		del_gendisk(xd->disk);
	cancel_delayed_work_sync(&xd->timeout_work);
	if (xd->nr_queues) {
		/* Sync-mode senders may still cut children: from now on they fail. */
		xferblk_set_stopped(xd, true);
		/* After the reset the device posts nothing more: we own every command. */
		reset_failed = xferblk_reset(xd);
		if (reset_failed)
			dev_warn(&pdev->dev, "device did not reset; failing its I/O anyway\n");
		xferblk_write32(xd, XFERBLK_REG_CTRL, 0);
		pci_clear_master(pdev);
		xferblk_free_irqs(xd);
		/*
		 * What the device finished ends as it said: a poll queue's entries
		 * nobody can poll for any more, entries an interrupt still held.
		 */
		for (qid = 0; !reset_failed && qid < xd->nr_queues; qid++)
			xferblk_port_reap(&xd->queues[qid]);
		failed += xferblk_port_fail_all(xd, BLK_STS_IOERR);
	}
	/* Senders kicked by those failures find their parents failed. */
	drain_workqueue(xd->wq);
	if (xd->disk) {
		dev_info(&pdev->dev, "%s removed; %u commands in flight failed\n",
			 xd->disk->disk_name, failed);
		put_disk(xd->disk);
		xd->disk = NULL;
	}
	if (xd->tag_set.ops)
		xferblk_mq_exit(xd);
	xferblk_free_queues(xd);
	xd->nr_queues = 0;
	if (xd->nr_vectors)
		pci_free_irq_vectors(pdev);
	xd->nr_vectors = 0;
	if (xd->index >= 0)
		xferblk_index_free(xd->index);
	mempool_exit(&xd->parent_pool);
	bioset_exit(&xd->bioset);
	free_percpu(xd->stats);
	destroy_workqueue(xd->wq);
}

/* Builds everything the disk needs; on failure xferblk_teardown() undoes it. */
static int xferblk_setup(struct xferblk_dev *xd)
{
	struct device *dev = &xd->pdev->dev;
	int ret;

	xd->stats = alloc_percpu(struct xferblk_stats);
	if (!xd->stats)
		return -ENOMEM;
	ret = bioset_init(&xd->bioset, XFERBLK_PARENT_POOL,
			  offsetof(struct xferblk_child, bio), 0);
	if (ret)
		return ret;
	ret = mempool_init_slab_pool(&xd->parent_pool, XFERBLK_PARENT_POOL,
				     xferblk_parent_cache);
	if (ret)
		return ret;
	ret = xferblk_setup_queues(xd);
	if (ret)
		return ret;
	if (xd->mq) {
		ret = xferblk_mq_init(xd);
		if (ret)
			return ret;
	}
	ret = xferblk_index_alloc();
	if (ret < 0)
		return ret;
	xd->index = ret;

	queue_delayed_work(xd->wq, &xd->timeout_work, HZ);
	ret = xferblk_add_disk(xd);
	if (ret)
		return ret;
	xferblk_debugfs_add(xd);

	dev_info(dev, "%s: %llu blocks of %u bytes; per command %u bytes, %u segments of %u bytes, boundary %#llx; %u queues of %u; %s mode\n",
		 xd->disk->disk_name, xd->capacity, xd->lim.block_size,
		 xd->lim.max_xfer, xd->lim.max_segs, xd->lim.max_seg_size,
		 xd->lim.seg_boundary, xd->nr_queues, xd->queues[0].depth,
		 xd->mq ? "mq" : "bio");
	return 0;
}

static int xferblk_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct xferblk_dev *xd;
	int ret;

	xd = devm_kzalloc(dev, sizeof(*xd), GFP_KERNEL);
	if (!xd)
		return -ENOMEM;
	mutex_init(&xd->coalesce_lock);
	xd->pdev = pdev;
	xd->index = -1;
	pci_set_drvdata(pdev, xd);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	xd->regs = xferblk_iomap_bar(pdev, 0, KBUILD_MODNAME);
	if (IS_ERR(xd->regs))
		return PTR_ERR(xd->regs);
	if (pci_resource_len(pdev, 0) < XFERBLK_BAR0_SIZE) {
		dev_err(dev, "BAR0 too small\n");
		return -ENODEV;
	}
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;

	ret = xferblk_read_limits(xd);
	if (ret)
		return ret;
	/* So a DMA layer that remaps pages keeps to the same limits. */
	dma_set_max_seg_size(dev, xd->lim.max_seg_size);
	dma_set_seg_boundary(dev, xd->lim.seg_boundary);

	ret = xferblk_reset(xd);
	if (ret) {
		dev_err(dev, "device did not reset\n");
		return ret;
	}
	xferblk_write32(xd, XFERBLK_REG_CTRL, XFERBLK_CTRL_ENABLE);
	if (!(xferblk_read32(xd, XFERBLK_REG_STATUS) & XFERBLK_STATUS_READY)) {
		dev_err(dev, "device did not become ready\n");
		return -EIO;
	}
	/* Nothing to show in sysfs on a device that cannot coalesce. */
	if (xd->features & XFERBLK_FEAT_COALESCE)
		xd->coalesce = xferblk_coalesce_value(READ_ONCE(xferblk_coalesce_entries),
						      READ_ONCE(xferblk_coalesce_us));
	xferblk_port_set_coalescing(xd);

	xd->send_sync = xferblk_send_sync;
	xd->mq = READ_ONCE(xferblk_queue_mq);
	/* Sync-mode senders and timeouts; WQ_MEM_RECLAIM: they free memory by finishing I/O. */
	xd->wq = alloc_workqueue("xferblk_%s", WQ_MEM_RECLAIM | WQ_UNBOUND, 0, pci_name(pdev));
	if (!xd->wq)
		return -ENOMEM;
	INIT_DELAYED_WORK(&xd->timeout_work, xferblk_timeout_work);
	ret = xferblk_setup(xd);
	if (ret)
		xferblk_teardown(xd, 0);
	return ret;
}

static void xferblk_remove(struct pci_dev *pdev)
{
	struct xferblk_dev *xd = pci_get_drvdata(pdev);
	unsigned int failed = 0, qid;

	/*
	 * Surprise removal: the device will post nothing more, so what it held
	 * is failed now. del_gendisk() waits for a blk-mq disk's requests,
	 * and writes back a filesystem's dirty data, before it returns.
	 */
	if (!pci_device_is_present(pdev)) {
		xferblk_set_stopped(xd, true);
		for (qid = 0; qid < xd->nr_queues; qid++)
			xferblk_port_sync_reaping(&xd->queues[qid]);
		failed = xferblk_port_fail_all(xd, BLK_STS_IOERR);
	}
	xferblk_teardown(xd, failed);
}

/* The disk numbers PCI disks and volumes share: xferblk<index>. */
int xferblk_index_alloc(void)
{
	return ida_alloc_max(&xferblk_ida, (1 << MINORBITS) / XFERBLK_MINORS - 1, GFP_KERNEL);
}

void xferblk_index_free(int index)
{
	ida_free(&xferblk_ida, index);
}

bool xferblk_is_pci_disk(struct gendisk *disk)
{
	return disk->fops == &xferblk_fops || disk->fops == &xferblk_mq_fops;
}

static const struct pci_device_id xferblk_ids[] = {
	{ PCI_DEVICE(XFERBLK_PCI_VENDOR_ID, XFERBLK_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, xferblk_ids);

static struct pci_driver xferblk_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = xferblk_ids,
	.probe = xferblk_probe,
	.remove = xferblk_remove,
};

/* The disk of the xferblk PCI device at @addr (e.g. "0000:00:10.0"). */
int xferblk_pci_disk_devt(const char *addr, dev_t *devt)
{
	struct device *dev = bus_find_device_by_name(&pci_bus_type, NULL, addr);
	struct xferblk_dev *xd;
	int ret = -ENODEV;

	if (!dev)
		return -ENODEV;
	device_lock(dev);
	if (dev->driver == &xferblk_pci_driver.driver) {
		xd = dev_get_drvdata(dev);
		if (xd && xd->disk) {
			*devt = disk_devt(xd->disk);
			ret = 0;
		}
	}
	device_unlock(dev);
	put_device(dev);
	return ret;
}

static int __init xferblk_init(void)
{
	int ret;

	xferblk_sysfs_init();
	xferblk_parent_cache = KMEM_CACHE(xferblk_parent, 0);
	if (!xferblk_parent_cache)
		return -ENOMEM;
	xferblk_debugfs_init();
	ret = register_blkdev(0, KBUILD_MODNAME);
	if (ret < 0)
		goto free_cache;
	xferblk_major = ret;
	ret = xferblk_volume_init();
	if (ret)
		goto unregister_blkdev;
	ret = pci_register_driver(&xferblk_pci_driver);
	if (ret)
		goto exit_volumes;
	return 0;

exit_volumes:
	xferblk_volume_exit();
unregister_blkdev:
	unregister_blkdev(xferblk_major, KBUILD_MODNAME);
free_cache:
	xferblk_debugfs_exit();
	kmem_cache_destroy(xferblk_parent_cache);
	return ret;
}

static void __exit xferblk_exit(void)
{
	pci_unregister_driver(&xferblk_pci_driver);
	/* None is left: each configured volume holds the module. */
	xferblk_volume_exit();
	unregister_blkdev(xferblk_major, KBUILD_MODNAME);
	xferblk_debugfs_exit();
	kmem_cache_destroy(xferblk_parent_cache);
}

module_init(xferblk_init);
module_exit(xferblk_exit);

MODULE_DESCRIPTION("xferblk: IRP-style split and chained DMA block driver");
MODULE_LICENSE("GPL");
MODULE_VERSION(XFERBLK_VERSION);
