// SPDX-License-Identifier: GPL-2.0-only
/*
 * The class layer: DispatchReadWrite and IoCompletion for xferblk.
 *
 * submit_bio never waits for I/O. It makes the parent's completion context
 * (xferblk_parent_new()) and cuts the parent bio into children, each small
 * enough for ONE device command, handing each to the port layer as soon as
 * it is cut (async send), or one at a time, the next only once the previous
 * has completed (sync send).
 *
 * A child has one birth and one death:
 *   xferblk_child_new()     the only place a child bio is allocated;
 *   xferblk_child_end_io()  its bi_end_io, the only place one is freed.
 * Every child dies through bio_endio(), whether the device completed it,
 * the driver failed it, or it was never sent; the last one to die
 * completes the parent with the first error any child saw.
 *
 * The small-I/O path: a bio that one command can carry needs neither, and
 * is sent as it came (xferblk_send_whole()), the command slot keeping what
 * a parent would (struct xferblk_whole); xferblk_whole_done() ends it.
 * Its counters are a parent's with one child, so the split's arithmetic
 * holds either way.
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

/* Children one REQ_NOWAIT parent may be cut into at once; more go to io-wq. */
#define XFERBLK_NOWAIT_MAX_CHILDREN	64

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
 * Sets the status of a bio handed to submit_bio: the one place the driver
 * writes a caller's bi_status. Only a failure is written, never success:
 * the bio may already carry an error the block layer stored there while
 * it was in flight (direct I/O keeps its siblings' first error in the
 * first bio of the I/O, bio_chain() a chained child's in its parent), and
 * writing OK over it would report a failed write as done. A would-block
 * EAGAIN is not an I/O error: parent_errors leaves it out.
 */
static void xferblk_set_status(struct xferblk_dev *xd, struct bio *bio, blk_status_t status)
{
	if (status != BLK_STS_OK) {
		if (status != BLK_STS_AGAIN)
			this_cpu_inc(xd->stats->parent_errors);
		bio->bi_status = status;
	}
}

static void xferblk_end_bio(struct xferblk_dev *xd, struct bio *bio, blk_status_t status)
{
	xferblk_set_status(xd, bio, status);
	bio_endio(bio);
}

/* Children per parent, in power-of-two buckets: 1, 2, 3-4, 5-8, ... */
static void xferblk_count_children_hist(struct xferblk_dev *xd, unsigned int nr_children)
{
	unsigned int bucket = nr_children > 1 ? ilog2(nr_children - 1) + 1 : 0;

	this_cpu_inc(xd->stats->hist[min(bucket, XFERBLK_HIST_BUCKETS - 1)]);
}

static void xferblk_parent_send_work(struct work_struct *work);

/*
 * The parent's completion context (the IRP's IoStatus), made once per bio
 * the driver splits: it lives until its last child and its sender are done.
 */
static struct xferblk_parent *xferblk_parent_new(struct xferblk_dev *xd, struct bio *bio,
						 gfp_t gfp, bool preflush, bool sync)
{
	struct xferblk_parent *parent;

	if ((bio->bi_opf & REQ_POLLED) && gfpflags_allow_blocking(gfp)) {
		/* As in xferblk_cut_polled(): reap while the pool is empty. */
		while (!(parent = mempool_alloc(&xd->parent_pool, gfp & ~__GFP_DIRECT_RECLAIM))) {
			xferblk_port_poll(xd);
			cond_resched();
		}
	} else {
		parent = mempool_alloc(&xd->parent_pool, gfp);
	}
	if (!parent)
		return NULL;
	parent->bio = bio;
	parent->xd = xd;
	refcount_set(&parent->pending, 1);	/* the sender's reference */
	atomic_set(&parent->first_err, XFERBLK_NO_ERROR);
	atomic64_set(&parent->bytes_done, 0);
	parent->nr_children = 0;
	parent->sectors = bio_sectors(bio);
	parent->sync = sync;
	parent->all_sent = false;
	parent->nowait = bio->bi_opf & REQ_NOWAIT;
	parent->preflush = preflush;
	INIT_WORK(&parent->send_work, xferblk_parent_send_work);
	parent->dispatch_ns = local_clock();
	parent->acct_start = bio_start_io_acct(bio);
	this_cpu_inc(xd->stats->parents);
	trace_xferblk_parent_dispatch(parent);
	return parent;
}

/* Drops a reference; the last one completes the parent's bio. */
static void xferblk_parent_put(struct xferblk_parent *parent)
{
	struct xferblk_dev *xd = parent->xd;
	struct bio *bio = parent->bio;
	int err = atomic_read(&parent->first_err);
	blk_status_t status;

	if (!refcount_dec_and_test(&parent->pending))
		return;

	xferblk_count_children_hist(xd, parent->nr_children);

	status = xferblk_parent_status(parent);
	trace_xferblk_parent_complete(parent, err == XFERBLK_NO_ERROR ? -1 : err >> 8,
				      status, local_clock() - parent->dispatch_ns);
	/* The parent's iterator has moved with each split: account the whole. */
	xferblk_end_io_acct(bio, parent->sectors, parent->acct_start);
	mempool_free(parent, &xd->parent_pool);
	xferblk_end_bio(xd, bio, status);
}

unsigned int xferblk_plan_bio(const struct xferblk_limits *lim, struct bio *bio,
			      struct bvec_iter iter)
{
	struct xferblk_plan plan;
	struct bvec_iter pos;
	struct bio_vec bv;

	xferblk_plan_init(&plan, lim);
	__bio_for_each_bvec(bv, bio, pos, iter) {
		if (xferblk_plan_add(&plan, bvec_phys(&bv), bv.bv_len) < bv.bv_len)
			break;
	}
	return xferblk_plan_bytes(&plan) >> SECTOR_SHIFT;
}

/* Sectors from @iter of @bio that one device command can carry. */
static unsigned int xferblk_plan_sectors(struct xferblk_dev *xd, struct bio *bio,
					 struct bvec_iter iter)
{
	unsigned int shift = ilog2(xd->lim.block_size) - SECTOR_SHIFT;
	sector_t block = iter.bi_sector >> shift;
	unsigned int blocks = iter.bi_size >> (shift + SECTOR_SHIFT);

	if (!READ_ONCE(xferblk_split))
		return iter.bi_size >> SECTOR_SHIFT;

	switch (bio_op(bio)) {
	case REQ_OP_DISCARD:
		return xferblk_plan_span(block, blocks, xd->max_discard, xd->discard_gran) << shift;
	case REQ_OP_WRITE_ZEROES:
		return xferblk_plan_span(block, blocks, xd->max_wzeroes, xd->discard_gran) << shift;
	default:
		break;
	}

	return xferblk_plan_bio(&xd->lim, bio, iter);
}

/*
 * How many commands the rest of @bio needs, counted without cutting;
 * 0 if some part cannot be planned at all, and more than @max only as
 * max + 1.
 */
static unsigned int xferblk_count_children(struct xferblk_dev *xd, struct bio *bio,
					   unsigned int max)
{
	struct bvec_iter iter = bio->bi_iter;
	unsigned int n = 0, sectors;

	while (iter.bi_size && n <= max) {
		sectors = xferblk_plan_sectors(xd, bio, iter);
		if (!sectors)
			return 0;
		bio_advance_iter(bio, &iter, sectors << SECTOR_SHIFT);
		n++;
	}
	return n;
}

/* The first command of a REQ_PREFLUSH parent: a FLUSH, alone. */
static struct bio *xferblk_cut_flush(struct xferblk_parent *parent, gfp_t gfp)
{
	struct bio *bio = parent->bio;
	struct bio *cbio;

	cbio = bio_alloc_bioset(bio->bi_bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH, gfp,
				&parent->xd->bioset);
	if (cbio) {
		parent->preflush = false;
		parent->all_sent = !bio_sectors(bio);
	}
	return cbio;
}

/* The next piece of the parent's data (or range) for one command. */
static struct bio *xferblk_cut_data(struct xferblk_parent *parent, gfp_t gfp)
{
	struct xferblk_dev *xd = parent->xd;
	struct bio *bio = parent->bio;
	unsigned int sectors = xferblk_plan_sectors(xd, bio, bio->bi_iter);
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

static struct bio *xferblk_cut(struct xferblk_parent *parent, gfp_t gfp)
{
	return parent->preflush ? xferblk_cut_flush(parent, gfp) : xferblk_cut_data(parent, gfp);
}

static void xferblk_child_end_io(struct bio *bio);

/*
 * A child of a polled parent. The bioset's elements in use come back only
 * when their poll queues are reaped, and the submitter may be the only one
 * polling them: rather than sleep in the pool for a completion nobody
 * reaps, it reaps while it waits, as it does for a tag.
 */
static struct bio *xferblk_cut_polled(struct xferblk_parent *parent, gfp_t gfp)
{
	struct bio *cbio;

	while (!(cbio = xferblk_cut(parent, gfp & ~__GFP_DIRECT_RECLAIM)) &&
	       xferblk_parent_status(parent) == BLK_STS_OK) {
		xferblk_port_poll(parent->xd);
		cond_resched();
	}
	return cbio;
}

/*
 * A child is born: cut from the parent and counted by it, or NULL with the
 * parent failed. A sender that owes a doorbell (@plug) first tries without
 * sleeping: the pool may be waiting for exactly those commands, so it
 * rings them before it sleeps.
 */
static struct xferblk_child *xferblk_child_new(struct xferblk_parent *parent, gfp_t gfp,
					       struct xferblk_plug *plug)
{
	struct xferblk_child *child;
	bool flush = parent->preflush;
	struct bio *cbio = NULL;

	if (plug && plug->q && gfpflags_allow_blocking(gfp))
		cbio = xferblk_cut(parent, gfp & ~__GFP_DIRECT_RECLAIM);
	if (!cbio && xferblk_parent_status(parent) == BLK_STS_OK) {
		if (plug)
			xferblk_port_unplug(plug);
		if ((parent->bio->bi_opf & REQ_POLLED) && gfpflags_allow_blocking(gfp))
			cbio = xferblk_cut_polled(parent, gfp);
		else
			cbio = xferblk_cut(parent, gfp);
	}
	if (!cbio) {
		/* Only a REQ_NOWAIT allocation fails; the caller retries. */
		xferblk_parent_fail(parent, parent->nr_children, BLK_STS_AGAIN);
		return NULL;
	}

	child = to_child(cbio);
	child->parent = parent;
	child->index = parent->nr_children++;
	/* Data waits for the preflush; in sync mode each child for the last. */
	child->kick_sender = !parent->all_sent && (flush || parent->sync);
	cbio->bi_end_io = xferblk_child_end_io;
	refcount_inc(&parent->pending);
	this_cpu_inc(parent->xd->stats->children);
	trace_xferblk_child_submit(child);
	return child;
}

/* Ends a child the device never saw; it dies in xferblk_child_end_io(). */
static void xferblk_child_fail(struct xferblk_child *child, blk_status_t status)
{
	child->bio.bi_status = status;
	bio_endio(&child->bio);
}

/*
 * The child's death, whatever ended it: the device's completion, the
 * driver's failure, or never being sent.
 */
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

/*
 * Sends @child on @tag of @q, unless a sibling has failed meanwhile: then
 * it never reaches the device. Neither child nor parent may be touched
 * afterwards: the child may already have completed them both.
 */
static void xferblk_child_send_on(struct xferblk_queue *q, unsigned int tag,
				  struct xferblk_child *child, struct xferblk_plug *plug)
{
	blk_status_t status = xferblk_parent_status(child->parent);

	if (status != BLK_STS_OK) {
		this_cpu_inc(q->xd->stats->cancelled);
		xferblk_port_put_tag(q, tag);
		xferblk_child_fail(child, status);
		return;
	}
	status = xferblk_port_send(q, tag, &child->bio, NULL, plug);
	if (status != BLK_STS_OK)
		xferblk_child_fail(child, status);
}

/*
 * Sends @child on a tag of this CPU's queue, waiting for one unless its
 * sender may not wait. Returns false if there was none: the child has
 * ended with EAGAIN, and since it is the first its sender sends (see
 * xferblk_nowait_reserve()), nothing of the parent is on the device.
 */
static bool xferblk_child_send(struct xferblk_child *child, struct xferblk_plug *plug)
{
	struct xferblk_parent *parent = child->parent;
	struct xferblk_queue *q;
	unsigned int tag;

	q = xferblk_port_get_tag(parent->xd, parent->nowait, parent->bio->bi_opf & REQ_POLLED,
				 plug, &tag);
	if (!q) {
		/* Its sender ends the parent now, before submit_bio returns. */
		child->kick_sender = false;
		xferblk_child_fail(child, BLK_STS_AGAIN);
		return false;
	}
	xferblk_child_send_on(q, tag, child, plug);
	return true;
}

enum xferblk_send_state {
	XFERBLK_SEND_MORE,	/* send the next child now */
	XFERBLK_SEND_WAIT,	/* the next child waits for this one to complete */
	XFERBLK_SEND_DONE,	/* all sent, or the parent failed */
};

/* Cuts the next child off the parent and sends it. */
static enum xferblk_send_state xferblk_send_next(struct xferblk_parent *parent,
						 struct xferblk_plug *plug)
{
	gfp_t gfp = parent->nowait ? GFP_NOWAIT : GFP_NOIO;
	enum xferblk_send_state state;
	struct xferblk_child *child;

	if (xferblk_parent_status(parent) != BLK_STS_OK)
		goto done;
	child = xferblk_child_new(parent, gfp, plug);
	if (!child)
		goto done;

	/* Decided before the child is sent: after a WAIT the parent may be gone. */
	if (parent->all_sent)
		state = XFERBLK_SEND_DONE;
	else
		state = child->kick_sender ? XFERBLK_SEND_WAIT : XFERBLK_SEND_MORE;
	if (!xferblk_child_send(child, plug))
		goto done;
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

/*
 * Sync send: the next child, sent by the parent's work item once the last
 * one has ended. Its end runs in interrupt context, where cutting (which
 * may sleep for memory or a tag) cannot; docs/design.md, "Send modes".
 */
static void xferblk_parent_send_work(struct work_struct *work)
{
	struct xferblk_parent *parent = container_of(work, struct xferblk_parent, send_work);

	/* The caller has long returned: a worker may wait, even for a NOWAIT bio. */
	parent->nowait = false;
	xferblk_send(parent);
}

/*
 * REQ_NOWAIT, several commands: all or nothing. Every tag was reserved
 * before the parent was made, so what is left that can fail is a child's
 * allocation, or a cut that does not match the count (the split module
 * parameter changed in between). Then none is sent: the tags go back, each
 * child dies with EAGAIN, and so does the parent, before submit_bio
 * returns.
 */
static void xferblk_send_reserved(struct xferblk_parent *parent, struct xferblk_queue *q,
				  const u16 *tags, unsigned int n)
{
	struct bio_list children = BIO_EMPTY_LIST;
	struct xferblk_plug plug = {};
	struct xferblk_child *child;
	unsigned int i, cut = 0;
	struct bio *bio;

	while (cut < n && !parent->all_sent) {
		child = xferblk_child_new(parent, GFP_NOWAIT, NULL);
		if (!child)
			break;
		bio_list_add(&children, &child->bio);
		cut++;
	}
	if (cut != n || !parent->all_sent) {
		xferblk_parent_fail(parent, parent->nr_children, BLK_STS_AGAIN);
		for (i = 0; i < n; i++)
			xferblk_port_put_tag(q, tags[i]);
		while ((bio = bio_list_pop(&children)))
			xferblk_child_fail(to_child(bio), BLK_STS_AGAIN);
	} else {
		for (i = 0; (bio = bio_list_pop(&children)); i++)
			xferblk_child_send_on(q, tags[i], to_child(bio), &plug);
	}
	xferblk_port_unplug(&plug);
	xferblk_parent_put(parent);
}

/*
 * Whether @bio goes by the small-I/O path: one command carries all of it
 * (a REQ_PREFLUSH with data needs two: the flush goes first).
 */
static bool xferblk_fits_one(struct xferblk_dev *xd, struct bio *bio, bool preflush)
{
	if (!READ_ONCE(xferblk_whole))
		return false;
	if (!bio_sectors(bio))
		return true;
	return !preflush && xferblk_plan_sectors(xd, bio, bio->bi_iter) == bio_sectors(bio);
}

/*
 * A whole bio's end, from the port layer under its completion lock (or
 * from xferblk_send_whole() if it was never sent): what
 * xferblk_parent_put() does for a parent of one child. The caller then
 * ends the bio with bio_endio(), outside any lock.
 */
void xferblk_whole_done(struct xferblk_dev *xd, struct bio *bio,
			const struct xferblk_whole *wctx, blk_status_t status)
{
	xferblk_count_children_hist(xd, 1);
	if (status != BLK_STS_OK)
		this_cpu_inc(xd->stats->errors);
	xferblk_set_status(xd, bio, status);
	trace_xferblk_whole_complete(xd, bio, status, local_clock() - wctx->dispatch_ns);
	xferblk_end_io_acct(bio, bio_sectors(bio), wctx->acct_start);
}

/* The small-I/O path: @bio as it came, on one command slot. */
static void xferblk_send_whole(struct xferblk_dev *xd, struct bio *bio)
{
	struct xferblk_whole wctx = {
		.acct_start = bio_start_io_acct(bio),
		.dispatch_ns = local_clock(),
	};
	struct xferblk_plug plug = {};
	blk_status_t status = BLK_STS_AGAIN;
	struct xferblk_queue *q;
	unsigned int tag;

	this_cpu_inc(xd->stats->parents);
	this_cpu_inc(xd->stats->children);
	trace_xferblk_whole_dispatch(xd, bio);
	q = xferblk_port_get_tag(xd, bio->bi_opf & REQ_NOWAIT, bio->bi_opf & REQ_POLLED, &plug,
				 &tag);
	if (q)
		status = xferblk_port_send(q, tag, bio, &wctx, &plug);
	xferblk_port_unplug(&plug);
	if (status != BLK_STS_OK) {
		xferblk_whole_done(xd, bio, &wctx, status);
		bio_endio(bio);
	}
}

/* A bio's range: inside the disk's @capacity, in whole blocks of @block_size. */
blk_status_t xferblk_check_range(struct bio *bio, sector_t capacity, u32 block_size)
{
	unsigned int lbs_sectors = block_size >> SECTOR_SHIFT;

	if (bio_end_sector(bio) > capacity || bio_end_sector(bio) < bio->bi_iter.bi_sector)
		return BLK_STS_IOERR;
	if ((bio->bi_iter.bi_sector | bio_sectors(bio)) & (lbs_sectors - 1))
		return XFERBLK_STS_MISALIGNED;
	return BLK_STS_OK;
}

static blk_status_t xferblk_check_bio(struct xferblk_dev *xd, struct bio *bio)
{
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
	return xferblk_check_range(bio, get_capacity(xd->disk), xd->lim.block_size);
}

/*
 * REQ_NOWAIT promises all or nothing, and the caller retries only an EAGAIN
 * it sees before submit_bio returns: once one child is on the device, a
 * later one may not fail with EAGAIN. A bio whose children all go from
 * submit_bio is taken only if a tag for each is free now (they are reserved
 * here). With a preflush first, or in sync mode, submit_bio sends only the
 * first child, without waiting (EAGAIN if it cannot: nothing is on the
 * device yet), and the parent's worker, which may wait, sends the rest.
 * Returns the queue of the @tags (*@n of them), NULL if none need
 * reserving, or an ERR_PTR: -EAGAIN, or -EIO for a bio that cannot be split
 * to the device's limits at all.
 */
static struct xferblk_queue *xferblk_nowait_reserve(struct xferblk_dev *xd, struct bio *bio,
						    bool preflush, bool sync, u16 *tags,
						    unsigned int *n)
{
	struct xferblk_queue *q;

	*n = xferblk_count_children(xd, bio, XFERBLK_NOWAIT_MAX_CHILDREN);
	if (!*n && bio_sectors(bio))
		return ERR_PTR(-EIO);
	if (*n <= 1 || preflush || sync)
		return NULL;
	if (*n > XFERBLK_NOWAIT_MAX_CHILDREN)
		return ERR_PTR(-EAGAIN);
	q = xferblk_port_reserve(xd, *n, bio->bi_opf & REQ_POLLED, tags);
	return q ?: ERR_PTR(-EAGAIN);
}

void xferblk_submit_bio(struct bio *bio)
{
	struct xferblk_dev *xd = bio->bi_bdev->bd_disk->private_data;
	bool nowait = bio->bi_opf & REQ_NOWAIT;
	/* One read: the reservation and the parent must agree on the mode. */
	bool sync = READ_ONCE(xd->send_sync);
	u16 tags[XFERBLK_NOWAIT_MAX_CHILDREN];
	struct xferblk_queue *reserved = NULL;
	struct xferblk_parent *parent;
	unsigned int n = 0, i;
	blk_status_t status;
	bool preflush;

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
	 * Polled (io_uring IOPOLL): every command of it goes to a poll queue,
	 * and a cookie other than BLK_QC_T_NONE sends bio_poll() to
	 * xferblk_poll_bio(). Not in sync mode, where a worker sends the later
	 * children: the interrupts end it, as if it had not asked.
	 */
	if (bio->bi_opf & REQ_POLLED) {
		if (sync || !xd->nr_poll_queues)
			bio_clear_polled(bio);
		else
			bio->bi_cookie = 0;
	}
	if (xferblk_fits_one(xd, bio, preflush)) {
		xferblk_send_whole(xd, bio);
		return;
	}
	if (nowait) {
		reserved = xferblk_nowait_reserve(xd, bio, preflush, sync, tags, &n);
		if (IS_ERR(reserved)) {
			xferblk_end_bio(xd, bio, PTR_ERR(reserved) == -EIO ? BLK_STS_IOERR :
					BLK_STS_AGAIN);
			return;
		}
	}

	parent = xferblk_parent_new(xd, bio, nowait ? GFP_NOWAIT : GFP_NOIO, preflush, sync);
	if (!parent) {
		for (i = 0; reserved && i < n; i++)
			xferblk_port_put_tag(reserved, tags[i]);
		xferblk_end_bio(xd, bio, BLK_STS_AGAIN);
		return;
	}
	if (reserved)
		xferblk_send_reserved(parent, reserved, tags, n);
	else
		xferblk_send(parent);
}
