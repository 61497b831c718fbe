// SPDX-License-Identifier: GPL-2.0-only
/*
 * A volume's I/O path: one parent bio, children on several targets.
 *
 * The IRP model's "send one request to several I/O targets": the parent's
 * range is mapped onto the targets by the layout (linear, stripe, mirror),
 * each piece is cut into children within its target's limits (a child to a
 * PCI xferblk disk is one device command there), and each child is sent as
 * a bio to its target's block device, as device-mapper sends clones. The
 * parent completes when its last child ends, with the first error, except
 * where a mirror can do without the leg that failed.
 *
 * A volume child has one birth and one death:
 *   xferblk_vchild_new()     the only place one is allocated;
 *   xferblk_vchild_end_io()  its bi_end_io, the only place one is freed
 *                            (or handed to xferblk_vchild_retry(), which
 *                            frees it once its range is on another leg).
 *
 * Children are clones of the parent (they share its pages), trimmed to
 * their range. They are taken from a bioset with a rescuer: submit_bio
 * only queues a child on current->bio_list, so a sender blocked on the
 * pool has its own children submitted by the rescuer.
 *
 * Mirror semantics (docs/design.md, "Mirror failures"): a write goes to
 * every live leg and succeeds when at least one live leg wrote all of it;
 * each leg that failed it is then marked failed (no longer read or
 * written) unless it is the last live leg. A write that no live leg
 * completed fails with the first leg's error and marks no leg. A read goes
 * to one live leg; a failed child is retried on each other live leg in
 * turn before the parent fails. Read errors do not mark legs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "volume.h"
#include "trace.h"

#define XFERBLK_VOL_NO_ERROR	(-1)

struct kmem_cache *xferblk_vparent_cache;
/* Sends a preflush parent's data and a mirror's read retries. */
static struct workqueue_struct *xferblk_vol_wq;

static bool xferblk_vol_mirror_write(struct xferblk_vparent *parent)
{
	return parent->vol->layout == XFERBLK_LAYOUT_MIRROR && op_is_write(bio_op(parent->bio));
}

static void xferblk_vparent_fail(struct xferblk_vparent *parent, unsigned int target,
				 blk_status_t status)
{
	atomic_cmpxchg(&parent->first_err, XFERBLK_VOL_NO_ERROR,
		       (int)(target << 8 | (__force u8)status));
	if (xferblk_vol_mirror_write(parent))
		set_bit(target, &parent->failed_legs);
}

static blk_status_t xferblk_vparent_first_status(struct xferblk_vparent *parent)
{
	int err = atomic_read(&parent->first_err);

	return err == XFERBLK_VOL_NO_ERROR ? BLK_STS_OK : (__force blk_status_t)(err & 0xff);
}

/*
 * A mirror write's outcome: legs that failed it are marked failed, unless
 * that would leave no live leg; it succeeded if a leg that wrote all of it
 * is still live.
 */
static blk_status_t xferblk_vparent_mirror_status(struct xferblk_vparent *parent)
{
	struct xferblk_volume *vol = parent->vol;
	unsigned long marked = 0, flags;
	unsigned int t;
	bool ok;

	/* Children end in hard interrupt context (the PCI disk's, blk-mq's). */
	spin_lock_irqsave(&vol->state_lock, flags);
	for_each_set_bit(t, &parent->failed_legs, vol->nr_targets) {
		if (!test_bit(t, &vol->live_legs) || hweight_long(vol->live_legs) < 2)
			continue;
		if (!(parent->sent_legs & ~parent->failed_legs & vol->live_legs))
			continue;
		clear_bit(t, &vol->live_legs);
		marked |= BIT(t);
	}
	ok = parent->sent_legs & ~parent->failed_legs & vol->live_legs;
	spin_unlock_irqrestore(&vol->state_lock, flags);

	for_each_set_bit(t, &marked, vol->nr_targets) {
		atomic64_inc(&vol->legs_failed);
		pr_err("%s: leg %u (%s) failed a write: marked failed, no longer read or written\n",
		       vol->disk->disk_name, t, vol->targets[t].spec);
	}
	return ok ? BLK_STS_OK : xferblk_vparent_first_status(parent);
}

/* Drops a reference; the last one completes the parent's bio. */
static void xferblk_vparent_put(struct xferblk_vparent *parent)
{
	struct xferblk_volume *vol = parent->vol;
	struct bio *bio = parent->bio;
	blk_status_t status;

	if (!refcount_dec_and_test(&parent->pending))
		return;

	if (xferblk_vol_mirror_write(parent) && parent->failed_legs)
		status = xferblk_vparent_mirror_status(parent);
	else
		status = xferblk_vparent_first_status(parent);
	trace_xferblk_vol_parent_complete(parent, status);
	xferblk_end_io_acct(bio, bio_sectors(bio), parent->acct_start);
	mempool_free(parent, &vol->parent_pool);
	/* Only a failure is written: see xferblk_set_status() in class.c. */
	if (status != BLK_STS_OK) {
		atomic64_inc(&vol->parent_errors);
		bio->bi_status = status;
	}
	bio_endio(bio);
	/* Power-off waits for this: the bioset and pool stay until then. */
	if (atomic_dec_and_test(&vol->inflight))
		wake_up_var(&vol->inflight);
}

static void xferblk_vchild_end_io(struct bio *bio);
static void xferblk_vchild_retry_work(struct work_struct *work);

/*
 * A child is born: @sectors of the parent from @offset (none for a flush),
 * for target @t at its sector @tsector.
 */
static struct xferblk_vchild *xferblk_vchild_new(struct xferblk_vparent *parent, unsigned int t,
						 u32 offset, u32 sectors, sector_t tsector)
{
	struct xferblk_volume *vol = parent->vol;
	struct xferblk_target *target = &vol->targets[t];
	struct xferblk_vchild *child;
	struct bio *cbio;

	if (sectors) {
		cbio = bio_alloc_clone(target->h.bdev, parent->bio, GFP_NOIO, &vol->bioset);
		bio_trim(cbio, offset, sectors);
		/* The flush went first; the volume takes neither NOWAIT nor polling. */
		cbio->bi_opf &= ~(REQ_PREFLUSH | REQ_NOWAIT | REQ_POLLED);
	} else {
		cbio = bio_alloc_bioset(target->h.bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH, GFP_NOIO,
					&vol->bioset);
	}
	cbio->bi_iter.bi_sector = tsector;
	cbio->bi_end_io = xferblk_vchild_end_io;

	child = container_of(cbio, struct xferblk_vchild, bio);
	child->parent = parent;
	child->target = t;
	child->offset = offset;
	child->sectors = sectors;
	child->tried = BIT(t);
	child->flush = !sectors;
	INIT_WORK(&child->retry_work, xferblk_vchild_retry_work);
	refcount_inc(&parent->pending);
	atomic_inc(&parent->children[t]);
	atomic64_inc(&target->children);
	trace_xferblk_vol_child_submit(parent, child);
	return child;
}

static bool xferblk_vchild_retry(struct xferblk_vchild *child);

/* The child's death, whatever ended it. */
static void xferblk_vchild_end_io(struct bio *bio)
{
	struct xferblk_vchild *child = container_of(bio, struct xferblk_vchild, bio);
	struct xferblk_vparent *parent = child->parent;
	struct xferblk_target *target = &parent->vol->targets[child->target];

	trace_xferblk_vol_child_complete(parent, child);
	if (bio->bi_status) {
		atomic64_inc(&target->errors);
		if (xferblk_vchild_retry(child))
			return;
		xferblk_vparent_fail(parent, child->target, bio->bi_status);
	}
	/* The data after a preflush goes once every flush has ended. */
	if (child->flush && atomic_dec_and_test(&parent->flushes))
		queue_work(xferblk_vol_wq, &parent->data_work);
	bio_put(bio);
	xferblk_vparent_put(parent);
}

/*
 * Sends @sectors of the parent from @offset to target @t at @tsector, cut
 * into children within the target's limits. @tried: a mirror read's legs
 * already tried for this range. False if some part cannot be cut to the
 * target's limits: the parent has failed.
 */
static bool xferblk_vol_send_range(struct xferblk_vparent *parent, unsigned int t, u32 offset,
				   u32 sectors, sector_t tsector, unsigned long tried)
{
	struct xferblk_target *target = &parent->vol->targets[t];
	struct bio *bio = parent->bio;
	struct xferblk_vchild *child;
	struct bvec_iter iter;
	u32 n;

	while (sectors) {
		iter = bio->bi_iter;
		bio_advance_iter(bio, &iter, (unsigned int)offset << SECTOR_SHIFT);
		iter.bi_size = sectors << SECTOR_SHIFT;
		n = xferblk_plan_bio(&target->lim, bio, iter);
		if (!n) {
			pr_warn_ratelimited("%s: bio at sector %llu cannot be cut to the limits of %s\n",
					    parent->vol->disk->disk_name,
					    (unsigned long long)bio->bi_iter.bi_sector + offset,
					    target->spec);
			xferblk_vparent_fail(parent, t, BLK_STS_IOERR);
			return false;
		}
		child = xferblk_vchild_new(parent, t, offset, n, tsector);
		child->tried |= tried;
		submit_bio_noacct(&child->bio);
		offset += n;
		sectors -= n;
		tsector += n;
	}
	return true;
}

/* A mirror's next live leg for reading, not in @tried; -1 if none is left. */
static int xferblk_vol_pick_leg(struct xferblk_volume *vol, unsigned long tried)
{
	unsigned int n = vol->nr_targets, first = (unsigned int)atomic_inc_return(&vol->read_rr);
	unsigned int i, t;

	for (i = 0; i < n; i++) {
		t = (first + i) % n;
		if (!(tried & BIT(t)) && xferblk_vol_leg_live(vol, t))
			return t;
	}
	return -1;
}

/*
 * Where the volume's sector @sector lies: its target, the sector there, and
 * how many sectors from it stay on that target contiguously.
 */
static unsigned int xferblk_vol_map(struct xferblk_volume *vol, sector_t sector,
				    sector_t *tsector, sector_t *run)
{
	struct xferblk_target *t;
	unsigned int i;
	u64 chunk;
	u32 within;

	switch (vol->layout) {
	case XFERBLK_LAYOUT_STRIPE:
		within = sector & (vol->chunk_sectors - 1);
		chunk = sector >> ilog2(vol->chunk_sectors);
		i = do_div(chunk, vol->nr_targets);
		*tsector = (chunk << ilog2(vol->chunk_sectors)) + within;
		*run = vol->chunk_sectors - within;
		return i;
	default:
		for (i = 0; i + 1 < vol->nr_targets; i++) {
			t = &vol->targets[i];
			if (sector < t->start + t->sectors)
				break;
		}
		t = &vol->targets[i];
		*tsector = sector - t->start;
		*run = t->sectors - *tsector;
		return i;
	}
}

/* A mirror's data: a write to every live leg, a read to one. */
static void xferblk_vol_send_mirror(struct xferblk_vparent *parent, u32 sectors)
{
	struct xferblk_volume *vol = parent->vol;
	sector_t sector = parent->bio->bi_iter.bi_sector;
	unsigned long legs;
	unsigned int t;
	int leg;

	if (!op_is_write(bio_op(parent->bio))) {
		leg = xferblk_vol_pick_leg(vol, 0);
		if (leg < 0)
			xferblk_vparent_fail(parent, 0, BLK_STS_IOERR);
		else
			xferblk_vol_send_range(parent, leg, 0, sectors, sector, 0);
		return;
	}
	/* Not to a leg that failed the preflush: it is out already. */
	legs = READ_ONCE(vol->live_legs) & ~READ_ONCE(parent->failed_legs);
	if (parent->sent_legs)
		legs &= parent->sent_legs;
	parent->sent_legs = legs;
	for_each_set_bit(t, &legs, vol->nr_targets)
		xferblk_vol_send_range(parent, t, 0, sectors, sector, 0);
}

/* The parent's data (after its preflush, if any), then the sender's reference. */
static void xferblk_vol_send_data(struct xferblk_vparent *parent)
{
	struct xferblk_volume *vol = parent->vol;
	struct bio *bio = parent->bio;
	u32 sectors = bio_sectors(bio), offset = 0, len;
	sector_t tsector, run;
	unsigned int t;

	if (!sectors)
		goto out;
	if (vol->layout == XFERBLK_LAYOUT_MIRROR) {
		xferblk_vol_send_mirror(parent, sectors);
		goto out;
	}
	if (xferblk_vparent_first_status(parent) != BLK_STS_OK)
		goto out;
	while (offset < sectors) {
		t = xferblk_vol_map(vol, bio->bi_iter.bi_sector + offset, &tsector, &run);
		len = min_t(sector_t, sectors - offset, run);
		if (!xferblk_vol_send_range(parent, t, offset, len, tsector, 0))
			break;
		offset += len;
	}
out:
	xferblk_vparent_put(parent);
}

static void xferblk_vol_data_work(struct work_struct *work)
{
	xferblk_vol_send_data(container_of(work, struct xferblk_vparent, data_work));
}

/*
 * A mirror read child that failed: its range goes to the next live leg it
 * has not tried, from the work queue (cutting may sleep; this runs where the
 * child ended). False if there is none: the child's error stands.
 */
static bool xferblk_vchild_retry(struct xferblk_vchild *child)
{
	struct xferblk_vparent *parent = child->parent;
	struct xferblk_volume *vol = parent->vol;

	if (vol->layout != XFERBLK_LAYOUT_MIRROR || op_is_write(bio_op(&child->bio)))
		return false;
	if (xferblk_vol_pick_leg(vol, child->tried) < 0)
		return false;
	queue_work(xferblk_vol_wq, &child->retry_work);
	return true;
}

static void xferblk_vchild_retry_work(struct work_struct *work)
{
	struct xferblk_vchild *child = container_of(work, struct xferblk_vchild, retry_work);
	struct xferblk_vparent *parent = child->parent;
	struct xferblk_volume *vol = parent->vol;
	unsigned long tried = child->tried;
	u32 offset = child->offset, sectors = child->sectors;
	unsigned int target = child->target;
	blk_status_t status = child->bio.bi_status;
	int leg;

	/*
	 * The failed child goes back to the pool before its replacements are
	 * taken from it: other retries may be waiting for exactly that element.
	 * The parent's reference it held is dropped only at the end.
	 */
	bio_put(&child->bio);
	leg = xferblk_vol_pick_leg(vol, tried);
	if (leg < 0) {
		/* The leg chosen meanwhile failed a write: nothing left. */
		xferblk_vparent_fail(parent, target, status);
	} else {
		atomic64_inc(&vol->read_retries);
		xferblk_vol_send_range(parent, leg, offset, sectors,
				       parent->bio->bi_iter.bi_sector + offset, tried);
	}
	xferblk_vparent_put(parent);
}

static blk_status_t xferblk_vol_check_bio(struct xferblk_volume *vol, struct bio *bio)
{
	/* Data-less commands are not stacked (the volume advertises none). */
	if (bio_op(bio) != REQ_OP_READ && bio_op(bio) != REQ_OP_WRITE)
		return BLK_STS_NOTSUPP;
	return xferblk_check_range(bio, get_capacity(vol->disk), vol->targets[0].lim.block_size);
}

void xferblk_vol_submit_bio(struct bio *bio)
{
	struct xferblk_volume *vol = bio->bi_bdev->bd_disk->private_data;
	struct xferblk_vparent *parent;
	blk_status_t status;
	unsigned int t;

	status = xferblk_vol_check_bio(vol, bio);
	if (status != BLK_STS_OK || (!bio_sectors(bio) && !(bio->bi_opf & REQ_PREFLUSH))) {
		if (status != BLK_STS_OK) {
			atomic64_inc(&vol->parent_errors);
			bio->bi_status = status;
		}
		bio_endio(bio);
		return;
	}

	parent = mempool_alloc(&vol->parent_pool, GFP_NOIO);
	parent->bio = bio;
	parent->vol = vol;
	refcount_set(&parent->pending, 1);	/* the sender's */
	atomic_set(&parent->first_err, XFERBLK_VOL_NO_ERROR);
	parent->sent_legs = 0;
	parent->failed_legs = 0;
	for (t = 0; t < XFERBLK_VOL_MAX_TARGETS; t++)
		atomic_set(&parent->children[t], 0);
	parent->acct_start = bio_start_io_acct(bio);
	atomic_inc(&vol->inflight);
	atomic64_inc(&vol->parents);
	trace_xferblk_vol_parent_dispatch(parent);

	if (!(bio->bi_opf & REQ_PREFLUSH)) {
		xferblk_vol_send_data(parent);
		return;
	}
	/*
	 * A preflush empties every target's cache before the data: an empty
	 * flush to each (each live leg of a mirror), the data once all ended.
	 */
	INIT_WORK(&parent->data_work, xferblk_vol_data_work);
	atomic_set(&parent->flushes, 1);
	if (vol->layout == XFERBLK_LAYOUT_MIRROR)
		parent->sent_legs = READ_ONCE(vol->live_legs);
	for (t = 0; t < vol->nr_targets; t++) {
		if (vol->layout == XFERBLK_LAYOUT_MIRROR && !(parent->sent_legs & BIT(t)))
			continue;
		atomic_inc(&parent->flushes);
		submit_bio_noacct(&xferblk_vchild_new(parent, t, 0, 0, 0)->bio);
	}
	if (atomic_dec_and_test(&parent->flushes))
		queue_work(xferblk_vol_wq, &parent->data_work);
}

int xferblk_vol_io_init(void)
{
	xferblk_vparent_cache = KMEM_CACHE(xferblk_vparent, 0);
	if (!xferblk_vparent_cache)
		return -ENOMEM;
	xferblk_vol_wq = alloc_workqueue("xferblk_vol", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!xferblk_vol_wq) {
		kmem_cache_destroy(xferblk_vparent_cache);
		return -ENOMEM;
	}
	return 0;
}

void xferblk_vol_io_exit(void)
{
	destroy_workqueue(xferblk_vol_wq);
	kmem_cache_destroy(xferblk_vparent_cache);
}
