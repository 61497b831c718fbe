// SPDX-License-Identifier: GPL-2.0-only
/*
 * The class layer: DispatchReadWrite and IoCompletion for xferblk.
 *
 * submit_bio never waits for I/O. It cuts the parent bio into children, each
 * small enough for ONE device command, and hands each child to the port
 * layer as soon as it is cut. Every child ends in xferblk_child_end_io();
 * the last one to end completes the parent with the first error any child
 * saw.
 *
 * Why the bioset's mempool cannot deadlock: a child is allocated only to be
 * handed straight to the hardware (never to current->bio_list), and each
 * submitter holds at most one child that is not yet on the device. So every
 * child taken from the pool comes back when the device completes it, and a
 * submitter waiting on the pool waits only on the device. No rescuer needed.
 */
#include <linux/log2.h>

#include "xferblk.h"

static void xferblk_parent_put(struct xferblk_parent *parent)
{
	struct xferblk_dev *xd = parent->xd;
	struct bio *bio = parent->bio;
	unsigned int bucket;

	if (!atomic_dec_and_test(&parent->pending))
		return;

	/* Children per parent, in power-of-two buckets: 1, 2, 3-4, 5-8, ... */
	bucket = parent->nr_children > 1 ? ilog2(parent->nr_children - 1) + 1 : 0;
	bucket = min(bucket, XFERBLK_HIST_BUCKETS - 1);
	this_cpu_inc(xd->stats->hist[bucket]);

	if (atomic_read(&parent->first_err_child) >= 0)
		bio->bi_status = parent->status;
	mempool_free(parent, &xd->parent_pool);
	bio_endio(bio);
}

static void xferblk_child_end_io(struct bio *bio)
{
	struct xferblk_child *child = to_child(bio);
	struct xferblk_parent *parent = child->parent;

	/* First error wins: only the child that claims the slot writes it. */
	if (bio->bi_status) {
		this_cpu_inc(parent->xd->stats->errors);
		if (atomic_cmpxchg(&parent->first_err_child, -1, child->index) == -1)
			parent->status = bio->bi_status;
	}
	bio_put(bio);
	xferblk_parent_put(parent);
}

/* Called by the port layer when the device (or the driver) is done. */
void xferblk_child_end(struct xferblk_child *child, blk_status_t status)
{
	child->bio.bi_status = status;
	bio_endio(&child->bio);
}

/* Sectors of @bio that one device command can carry. */
static unsigned int xferblk_plan_sectors(struct xferblk_dev *xd, struct bio *bio)
{
	struct xferblk_plan plan;
	struct bvec_iter iter;
	struct bio_vec bv;

	if (!xferblk_split)
		return bio_sectors(bio);

	xferblk_plan_init(&plan, &xd->lim);
	bio_for_each_bvec(bv, bio, iter) {
		if (xferblk_plan_add(&plan, bvec_phys(&bv), bv.bv_len) < bv.bv_len)
			break;
	}
	return xferblk_plan_bytes(&plan) >> SECTOR_SHIFT;
}

static blk_status_t xferblk_check_bio(struct xferblk_dev *xd, struct bio *bio)
{
	unsigned int lbs_sectors = xd->lim.block_size >> SECTOR_SHIFT;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		break;
	default:
		return BLK_STS_NOTSUPP;
	}
	if (bio_end_sector(bio) > get_capacity(xd->disk) ||
	    bio_end_sector(bio) < bio->bi_iter.bi_sector)
		return BLK_STS_IOERR;
	if ((bio->bi_iter.bi_sector | bio_sectors(bio)) & (lbs_sectors - 1))
		return BLK_STS_INVAL;
	return BLK_STS_OK;
}

void xferblk_submit_bio(struct bio *bio)
{
	struct xferblk_dev *xd = bio->bi_bdev->bd_disk->private_data;
	struct xferblk_parent *parent;
	blk_status_t status;
	bool last = false;

	status = xferblk_check_bio(xd, bio);
	if (status != BLK_STS_OK) {
		bio->bi_status = status;
		bio_endio(bio);
		return;
	}
	if (!bio_sectors(bio)) {
		bio_endio(bio);
		return;
	}

	parent = mempool_alloc(&xd->parent_pool, GFP_NOIO);
	parent->bio = bio;
	parent->xd = xd;
	atomic_set(&parent->pending, 1);
	atomic_set(&parent->first_err_child, -1);
	parent->status = BLK_STS_OK;
	parent->nr_children = 0;
	this_cpu_inc(xd->stats->parents);

	do {
		unsigned int sectors = xferblk_plan_sectors(xd, bio);
		struct xferblk_child *child;
		struct bio *cbio;

		/*
		 * Once a child has failed the parent is lost: cut no more
		 * children. Not one block fits only if a bvec breaks the DMA
		 * alignment we advertise.
		 */
		if (atomic_read(&parent->first_err_child) >= 0)
			break;
		if (!sectors) {
			pr_warn_ratelimited("%s: bio at sector %llu cannot be split to the device's limits\n",
					    xd->disk->disk_name,
					    (unsigned long long)bio->bi_iter.bi_sector);
			if (atomic_cmpxchg(&parent->first_err_child, -1,
					   parent->nr_children) == -1)
				parent->status = BLK_STS_IOERR;
			break;
		}

		/* The child is born here: the front of the parent, or all the rest. */
		if (sectors < bio_sectors(bio)) {
			cbio = bio_split(bio, sectors, GFP_NOIO, &xd->bioset);
		} else {
			cbio = bio_alloc_clone(bio->bi_bdev, bio, GFP_NOIO, &xd->bioset);
			last = true;
		}
		child = to_child(cbio);
		child->parent = parent;
		child->index = parent->nr_children++;
		cbio->bi_end_io = xferblk_child_end_io;
		atomic_inc(&parent->pending);
		this_cpu_inc(xd->stats->children);

		xferblk_port_submit(xd, child);
	} while (!last);

	xferblk_parent_put(parent);
}
