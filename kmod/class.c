// SPDX-License-Identifier: GPL-2.0-only
/*
 * The class layer: DispatchReadWrite and IoCompletion for xferblk.
 *
 * submit_bio never waits for I/O. It cuts the parent bio into children, each
 * small enough for ONE device command, and hands each child to the port
 * layer as soon as it is cut (async send), or one at a time, the next only
 * once the previous has completed (sync send). Every child ends in
 * xferblk_child_end_io(); the last one to end completes the parent with the
 * first error any child saw.
 *
 * Why the bioset's mempool cannot deadlock: a child is allocated only to be
 * handed straight to the hardware (never to current->bio_list), and a
 * sender never sleeps while it holds a child the device cannot see: one
 * not yet sent, or sent without its doorbell (the children of one parent
 * share one doorbell write, struct xferblk_plug), which it rings before
 * any allocation or tag wait that may sleep. So every child taken from the
 * pool comes back when the device completes it, and a sender waiting on
 * the pool waits only on the device. No rescuer needed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/sched/clock.h>
#include <trace/events/block.h>

#include "xferblk.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

#define XFERBLK_NO_ERROR	(-1)

static void xferblk_child_end_io(struct bio *bio);

/* Records the first failure; later ones lose the race and are dropped. */
static void xferblk_parent_fail(struct xferblk_parent *parent,
				unsigned int index, blk_status_t status)
{
	atomic_cmpxchg(&parent->first_err, XFERBLK_NO_ERROR,
		       (int)(index << 8 | (__force u8)status));
}

static blk_status_t xferblk_parent_status(struct xferblk_parent *parent)
{
	int err = atomic_read(&parent->first_err);

	return err == XFERBLK_NO_ERROR ? BLK_STS_OK : (__force blk_status_t)(err & 0xff);
}

/*
 * Ends a bio handed to submit_bio: the one place the driver writes a
 * caller's bi_status. Only a failure is written, never success: the bio
 * may already carry an error the block layer stored there while it was in
 * flight (direct I/O keeps its siblings' first error in the first bio of
 * the I/O, bio_chain() a chained child's in its parent), and writing OK
 * over it would report a failed write as done. A would-block EAGAIN is
 * not an I/O error: parent_errors leaves it out.
 */
static void xferblk_end_bio(struct xferblk_dev *xd, struct bio *bio, blk_status_t status)
{
	if (status != BLK_STS_OK) {
		if (status != BLK_STS_AGAIN)
			this_cpu_inc(xd->stats->parent_errors);
		bio->bi_status = status;
	}
	bio_endio(bio);
}

static void xferblk_parent_put(struct xferblk_parent *parent)
{
	struct xferblk_dev *xd = parent->xd;
	struct bio *bio = parent->bio;
	int err = atomic_read(&parent->first_err);
	blk_status_t status;
	unsigned int bucket;

	if (!atomic_dec_and_test(&parent->pending))
		return;

	/* Children per parent, in power-of-two buckets: 1, 2, 3-4, 5-8, ... */
	bucket = parent->nr_children > 1 ? ilog2(parent->nr_children - 1) + 1 : 0;
	bucket = min(bucket, XFERBLK_HIST_BUCKETS - 1);
	this_cpu_inc(xd->stats->hist[bucket]);

	status = xferblk_parent_status(parent);
	trace_xferblk_parent_complete(parent, err == XFERBLK_NO_ERROR ? -1 : err >> 8,
				      status, local_clock() - parent->dispatch_ns);
	/* The parent's iterator has moved with each split: account the whole. */
	bdev_end_io_acct(bio->bi_bdev, bio_op(bio), parent->sectors, parent->acct_start);
	mempool_free(parent, &xd->parent_pool);
	xferblk_end_bio(xd, bio, status);
}

/*
 * A child whose parent has already failed must not reach the device: the
 * port layer asks before it takes the child to the hardware.
 */
blk_status_t xferblk_child_cancelled(struct xferblk_child *child)
{
	return xferblk_parent_status(child->parent);
}

/* Sectors of @bio that one device command can carry. */
static unsigned int xferblk_plan_sectors(struct xferblk_dev *xd, struct bio *bio)
{
	unsigned int shift = ilog2(xd->lim.block_size) - SECTOR_SHIFT;
	struct xferblk_plan plan;
	struct bvec_iter iter;
	struct bio_vec bv;

	if (!xferblk_split)
		return bio_sectors(bio);

	switch (bio_op(bio)) {
	case REQ_OP_DISCARD:
		return xferblk_plan_span(bio->bi_iter.bi_sector >> shift, bio_sectors(bio) >> shift,
					 xd->max_discard, xd->discard_gran) << shift;
	case REQ_OP_WRITE_ZEROES:
		return xferblk_plan_span(bio->bi_iter.bi_sector >> shift, bio_sectors(bio) >> shift,
					 xd->max_wzeroes, xd->discard_gran) << shift;
	default:
		break;
	}

	xferblk_plan_init(&plan, &xd->lim);
	bio_for_each_bvec(bv, bio, iter) {
		if (xferblk_plan_add(&plan, bvec_phys(&bv), bv.bv_len) < bv.bv_len)
			break;
	}
	return xferblk_plan_bytes(&plan) >> SECTOR_SHIFT;
}

enum xferblk_send_state {
	XFERBLK_SEND_MORE,	/* send the next child now */
	XFERBLK_SEND_WAIT,	/* the next child waits for this one to complete */
	XFERBLK_SEND_DONE,	/* all sent, or the parent failed */
};

/* The first command of a REQ_PREFLUSH parent: a FLUSH, alone. */
static struct bio *xferblk_cut_flush(struct xferblk_parent *parent, gfp_t gfp)
{
	struct bio *bio = parent->bio;
	struct bio *cbio;

	parent->preflush = false;
	cbio = bio_alloc_bioset(bio->bi_bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH, gfp,
				&parent->xd->bioset);
	if (cbio && !bio_sectors(bio))
		parent->all_sent = true;
	return cbio;
}

/* The next piece of the parent's data (or range) for one command. */
static struct bio *xferblk_cut_data(struct xferblk_parent *parent, gfp_t gfp)
{
	struct xferblk_dev *xd = parent->xd;
	struct bio *bio = parent->bio;
	unsigned int sectors = xferblk_plan_sectors(xd, bio);
	struct bio *cbio;

	if (!sectors) {
		pr_warn_ratelimited("%s: bio at sector %llu cannot be split to the device's limits\n",
				    xd->disk->disk_name,
				    (unsigned long long)bio->bi_iter.bi_sector);
		xferblk_parent_fail(parent, parent->nr_children, BLK_STS_IOERR);
		return NULL;
	}
	if (sectors < bio_sectors(bio)) {
		cbio = bio_split(bio, sectors, gfp, &xd->bioset);
		/* NULL before 6.13, an ERR_PTR since: either way, no child. */
		if (IS_ERR(cbio))
			cbio = NULL;
		if (cbio)
			trace_block_split(cbio, bio->bi_iter.bi_sector);
	} else {
		cbio = bio_alloc_clone(bio->bi_bdev, bio, gfp, &xd->bioset);
		if (cbio)
			parent->all_sent = true;
	}
	/* The parent's flush went first; each child keeps REQ_FUA. */
	if (cbio)
		cbio->bi_opf &= ~REQ_PREFLUSH;
	return cbio;
}

/*
 * The next child: first without sleeping while the sender owes a doorbell,
 * since the pool may be waiting for exactly those commands.
 */
static struct bio *xferblk_cut(struct xferblk_parent *parent, gfp_t gfp,
			       struct xferblk_plug *plug)
{
	bool flush = parent->preflush;
	struct bio *cbio;

	if (plug->q && gfpflags_allow_blocking(gfp)) {
		cbio = flush ? xferblk_cut_flush(parent, gfp & ~__GFP_DIRECT_RECLAIM) :
		       xferblk_cut_data(parent, gfp & ~__GFP_DIRECT_RECLAIM);
		if (cbio || xferblk_parent_status(parent) != BLK_STS_OK)
			return cbio;
		xferblk_port_unplug(plug);
		/* A failed try at the flush has consumed the flag. */
		parent->preflush = flush;
	}
	return flush ? xferblk_cut_flush(parent, gfp) : xferblk_cut_data(parent, gfp);
}

/* The parent adopts a child it has cut: it counts it and waits for its end. */
static struct xferblk_child *xferblk_adopt(struct xferblk_parent *parent,
					   struct bio *cbio, bool kick_sender)
{
	struct xferblk_child *child = to_child(cbio);

	child->parent = parent;
	child->index = parent->nr_children++;
	child->kick_sender = kick_sender;
	cbio->bi_end_io = xferblk_child_end_io;
	atomic_inc(&parent->pending);
	this_cpu_inc(parent->xd->stats->children);
	trace_xferblk_child_submit(child);
	return child;
}

/* Cuts the next child off the parent and sends it. */
static enum xferblk_send_state xferblk_send_next(struct xferblk_parent *parent,
						 struct xferblk_plug *plug)
{
	struct xferblk_dev *xd = parent->xd;
	gfp_t gfp = parent->bio->bi_opf & REQ_NOWAIT ? GFP_NOWAIT : GFP_NOIO;
	enum xferblk_send_state state;
	struct xferblk_child *child;
	bool flush = parent->preflush;
	struct bio *cbio;

	if (xferblk_parent_status(parent) != BLK_STS_OK)
		goto done;

	/* The child is born here. */
	cbio = xferblk_cut(parent, gfp, plug);
	if (!cbio) {
		/* Only a REQ_NOWAIT allocation fails; the caller retries. */
		xferblk_parent_fail(parent, parent->nr_children, BLK_STS_AGAIN);
		goto done;
	}

	/*
	 * Decided before the child is sent, since it may complete at once:
	 * data waits for the preflush; in sync mode each child for the last.
	 */
	child = xferblk_adopt(parent, cbio, !parent->all_sent && (flush || parent->sync));

	/*
	 * Once submitted, the child may be gone, and after a WAIT so may the
	 * parent (the kicked sender can finish it): decide first, touch
	 * neither afterwards.
	 */
	if (parent->all_sent)
		state = XFERBLK_SEND_DONE;
	else
		state = child->kick_sender ? XFERBLK_SEND_WAIT : XFERBLK_SEND_MORE;
	xferblk_port_submit(xd, child, plug);
	return state;

done:
	parent->all_sent = true;
	return XFERBLK_SEND_DONE;
}

/*
 * Sends what may be sent now, with one doorbell write for all of it; drops
 * the sender reference when all is sent.
 */
static void xferblk_send(struct xferblk_parent *parent)
{
	struct xferblk_plug plug = {};
	enum xferblk_send_state state;

	do {
		state = xferblk_send_next(parent, &plug);
	} while (state == XFERBLK_SEND_MORE);
	/* Touches the queue only: the parent may be gone after a WAIT. */
	xferblk_port_unplug(&plug);

	if (state == XFERBLK_SEND_DONE)
		xferblk_parent_put(parent);
}

/* Children one REQ_NOWAIT parent may be cut into at once; more go to io-wq. */
#define XFERBLK_NOWAIT_MAX_CHILDREN	64

/*
 * REQ_NOWAIT promises all or nothing, and the caller retries only an EAGAIN
 * it sees before submit_bio returns. So a parent that needs several
 * commands is cut whole, and a tag reserved for every child, before the
 * first is sent, none of it waiting. Returns the queue of the tags, or NULL
 * with every cut undone: the parent's bio is as it came.
 */
static struct xferblk_queue *xferblk_cut_all_nowait(struct xferblk_parent *parent,
						    struct bio_list *children)
{
	struct bio *bio = parent->bio;
	struct bvec_iter start = bio->bi_iter;
	struct xferblk_queue *q = NULL;
	unsigned int n = 0;
	struct bio *cbio;

	while (!parent->all_sent && n < XFERBLK_NOWAIT_MAX_CHILDREN) {
		cbio = xferblk_cut_data(parent, GFP_NOWAIT);
		if (!cbio)
			break;
		bio_list_add(children, cbio);
		n++;
	}
	if (parent->all_sent)
		q = xferblk_port_reserve(parent->xd, children);
	if (!q) {
		while ((cbio = bio_list_pop(children)))
			bio_put(cbio);
		bio->bi_iter = start;
	}
	return q;
}

/* Sends what xferblk_cut_all_nowait() prepared: nothing can wait any more. */
static void xferblk_send_reserved(struct xferblk_parent *parent, struct xferblk_queue *q,
				  struct bio_list *children)
{
	struct xferblk_plug plug = {};
	struct bio *cbio;

	while ((cbio = bio_list_pop(children)))
		xferblk_port_submit_reserved(q, xferblk_adopt(parent, cbio, false), &plug);
	xferblk_port_unplug(&plug);
	xferblk_parent_put(parent);
}

static void xferblk_parent_send_work(struct work_struct *work)
{
	xferblk_send(container_of(work, struct xferblk_parent, send_work));
}

static void xferblk_child_end_io(struct bio *bio)
{
	struct xferblk_child *child = to_child(bio);
	struct xferblk_parent *parent = child->parent;
	struct xferblk_dev *xd = parent->xd;

	trace_xferblk_child_complete(child);
	if (bio->bi_status) {
		this_cpu_inc(xd->stats->errors);
		xferblk_parent_fail(parent, child->index, bio->bi_status);
	} else {
		atomic64_add(bio->bi_iter.bi_size, &parent->bytes_done);
	}
	/*
	 * The sender waits for this child: the next one goes out only now,
	 * from process context (cutting may sleep). The sender reference
	 * keeps the parent alive meanwhile.
	 */
	if (child->kick_sender)
		queue_work(xd->wq, &parent->send_work);
	bio_put(bio);
	xferblk_parent_put(parent);
}

/* Called by the port layer when the device (or the driver) is done. */
void xferblk_child_end(struct xferblk_child *child, blk_status_t status)
{
	if (status != BLK_STS_OK)
		child->bio.bi_status = status;
	bio_endio(&child->bio);
}

static blk_status_t xferblk_check_bio(struct xferblk_dev *xd, struct bio *bio)
{
	unsigned int lbs_sectors = xd->lim.block_size >> SECTOR_SHIFT;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		break;
	case REQ_OP_DISCARD:
		if (!xd->max_discard)
			return BLK_STS_NOTSUPP;
		break;
	case REQ_OP_WRITE_ZEROES:
		if (!xd->max_wzeroes)
			return BLK_STS_NOTSUPP;
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
	gfp_t gfp = bio->bi_opf & REQ_NOWAIT ? GFP_NOWAIT : GFP_NOIO;
	struct bio_list children = BIO_EMPTY_LIST;
	struct xferblk_queue *reserved = NULL;
	struct xferblk_parent *parent;
	blk_status_t status;
	bool preflush, nowait_split;

	status = xferblk_check_bio(xd, bio);
	if (status != BLK_STS_OK) {
		xferblk_end_bio(xd, bio, status);
		return;
	}
	/* The block layer strips flags a disk without a write cache cannot use. */
	preflush = (bio->bi_opf & REQ_PREFLUSH) && xd->write_cache;
	if (!bio_sectors(bio) && !preflush) {
		xferblk_end_bio(xd, bio, BLK_STS_OK);
		return;
	}
	/*
	 * REQ_NOWAIT promises all or nothing: once one child is on the device a
	 * later one may not fail with EAGAIN. A bio that needs several commands
	 * is sent only if all of them can be prepared without waiting
	 * (xferblk_cut_all_nowait()); not with a preflush first, nor in sync
	 * mode, where later children must wait for earlier ones.
	 */
	nowait_split = (bio->bi_opf & REQ_NOWAIT) &&
		       xferblk_plan_sectors(xd, bio) < bio_sectors(bio);
	if ((bio->bi_opf & REQ_NOWAIT) && ((preflush && bio_sectors(bio)) ||
					   (nowait_split && READ_ONCE(xd->send_sync)))) {
		xferblk_end_bio(xd, bio, BLK_STS_AGAIN);
		return;
	}

	parent = mempool_alloc(&xd->parent_pool, gfp);
	if (!parent) {
		xferblk_end_bio(xd, bio, BLK_STS_AGAIN);
		return;
	}
	parent->bio = bio;
	parent->xd = xd;
	atomic_set(&parent->pending, 1);	/* the sender's reference */
	atomic_set(&parent->first_err, XFERBLK_NO_ERROR);
	atomic64_set(&parent->bytes_done, 0);
	parent->nr_children = 0;
	parent->sectors = bio_sectors(bio);
	parent->sync = READ_ONCE(xd->send_sync);
	parent->all_sent = false;
	parent->preflush = preflush;
	INIT_WORK(&parent->send_work, xferblk_parent_send_work);
	if (nowait_split) {
		reserved = xferblk_cut_all_nowait(parent, &children);
		if (!reserved) {
			/* EAGAIN, or the error that made a cut impossible. */
			status = xferblk_parent_status(parent);
			mempool_free(parent, &xd->parent_pool);
			xferblk_end_bio(xd, bio, status != BLK_STS_OK ? status : BLK_STS_AGAIN);
			return;
		}
	}
	parent->dispatch_ns = local_clock();
	parent->acct_start = bio_start_io_acct(bio);
	this_cpu_inc(xd->stats->parents);
	trace_xferblk_parent_dispatch(parent);

	if (reserved)
		xferblk_send_reserved(parent, reserved, &children);
	else
		xferblk_send(parent);
}
