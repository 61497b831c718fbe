// SPDX-License-Identifier: GPL-2.0-only
/*
 * The port layer: one bio (a child, or a caller's bio that fits one
 * command), or in mq mode one request, becomes one descriptor on a
 * submission ring; the queue's interrupt reaps completions and ends them.
 *
 * A queue of depth D has D - 2 I/O tags and one abort slot, so at most
 * D - 1 commands are ever in flight and the submission ring cannot
 * overflow. The tag on the wire also carries a generation number in its
 * upper bits, so a stale or duplicated completion can never complete the
 * command that reuses its slot.
 *
 * cmd->bio (cmd->rq) is set under sq_lock, in the same critical section
 * that puts the command on the ring: "busy" means "is on the ring", which
 * is what a controller reset relies on.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>

#include "xferblk.h"

/*
 * What a caller sees (docs/design.md, "Errors"): ENODATA for a media error,
 * which names bad blocks; EIO for every other failure, a DMA error, an
 * abort or a timeout included, so a lost bus or a reset reaches callers
 * as the one errno every program handles.
 */
static blk_status_t xferblk_status_to_blk(u16 status)
{
	switch (status) {
	case XFERBLK_STS_OK:
		return BLK_STS_OK;
	case XFERBLK_STS_MEDIA_ERROR:
		return BLK_STS_MEDIUM;
	default:
		return BLK_STS_IOERR;
	}
}

/* The abort slot's wire tag: its own generation above the slot past the I/O tags. */
static u16 xferblk_abort_tag(const struct xferblk_queue *q)
{
	return q->abort_gen << q->gen_shift | q->nr_tags;
}

static int xferblk_tag_try_get(struct xferblk_queue *q)
{
	unsigned int tag;

	for (;;) {
		tag = find_first_zero_bit(q->tag_map, q->nr_tags);
		if (tag >= q->nr_tags)
			return -1;
		if (!test_and_set_bit_lock(tag, q->tag_map))
			return tag;
	}
}

static void xferblk_tag_put(struct xferblk_queue *q, unsigned int tag)
{
	clear_bit_unlock(tag, q->tag_map);
	/* Order the free bit before wq_has_sleeper(); pairs with the waiter. */
	smp_mb__after_atomic();
	if (wq_has_sleeper(&q->tag_wait))
		wake_up(&q->tag_wait);
}

static void xferblk_unmap(struct xferblk_dev *xd, struct xferblk_cmd *cmd)
{
	unsigned int i;

	for (i = 0; i < cmd->nr_maps; i++)
		dma_unmap_page(&xd->pdev->dev, cmd->maps[i].addr,
			       cmd->maps[i].len, cmd->dir);
	cmd->nr_maps = 0;
}

/*
 * Appends a DMA range to the SG list, cut by the same rule the planner
 * counted with. With @merge the range first extends the last entry if it
 * continues it, as blk-mq does when it counts a request's segments.
 * False if the list would need more than @max_sge entries.
 */
static bool xferblk_sgl_add(struct xferblk_dev *xd, struct xferblk_cmd *cmd,
			    unsigned int *nsge, unsigned int max_sge,
			    dma_addr_t addr, u32 len, bool merge)
{
	struct xferblk_sge *last = *nsge ? &cmd->sgl[*nsge - 1] : NULL;

	if (merge && last && le64_to_cpu(last->addr) + le32_to_cpu(last->len) == addr) {
		u32 had = le32_to_cpu(last->len);
		u32 more = xferblk_sge_len(&xd->lim, le64_to_cpu(last->addr), had + len) - had;

		last->len = cpu_to_le32(had + more);
		addr += more;
		len -= more;
	}
	while (len) {
		u32 sge_len = xferblk_sge_len(&xd->lim, addr, len);

		if (*nsge == max_sge)
			return false;
		cmd->sgl[*nsge].addr = cpu_to_le64(addr);
		cmd->sgl[*nsge].len = cpu_to_le32(sge_len);
		cmd->sgl[*nsge].rsvd = 0;
		(*nsge)++;
		addr += sge_len;
		len -= sge_len;
	}
	return true;
}

/*
 * Maps the bvecs of @bio and of the bios chained after it (a request's;
 * a child has none) and writes the SG list. Returns the number of SG
 * entries, or 0 when the data cannot be expressed as one command.
 */
static unsigned int xferblk_map(struct xferblk_dev *xd, struct xferblk_cmd *cmd,
				struct bio *bio, enum req_op op, bool merge)
{
	struct device *dev = &xd->pdev->dev;
	unsigned int max_sge = xferblk_split ? xd->lim.max_segs : XFERBLK_SGL_ENTRIES;
	unsigned int nsge = 0;
	struct bvec_iter iter;
	struct bio_vec bv;

	cmd->dir = op_is_write(op) ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	cmd->nr_maps = 0;

	for (; bio; bio = bio->bi_next) {
		bio_for_each_bvec(bv, bio, iter) {
			/* A multi-page bvec may carry an offset beyond its first page. */
			struct page *page = bv.bv_page + (bv.bv_offset >> PAGE_SHIFT);
			dma_addr_t addr;

			if (cmd->nr_maps == XFERBLK_SGL_ENTRIES)
				goto fail;
			addr = dma_map_page(dev, page, offset_in_page(bv.bv_offset),
					    bv.bv_len, cmd->dir);
			if (dma_mapping_error(dev, addr))
				goto fail;
			cmd->maps[cmd->nr_maps].addr = addr;
			cmd->maps[cmd->nr_maps].len = bv.bv_len;
			cmd->nr_maps++;
			if (!xferblk_sgl_add(xd, cmd, &nsge, max_sge, addr, bv.bv_len, merge))
				goto fail;
		}
	}
	return nsge;

fail:
	xferblk_unmap(xd, cmd);
	return 0;
}

/* The command for @op on @sectors at @sector, but for its tag and SG list. */
static void xferblk_build_sqe(struct xferblk_dev *xd, enum req_op op, blk_opf_t opf,
			      sector_t sector, unsigned int sectors,
			      struct xferblk_sqe *sqe)
{
	unsigned int shift = ilog2(xd->lim.block_size) - SECTOR_SHIFT;

	sqe->lba = cpu_to_le64(sector >> shift);
	sqe->nblocks = cpu_to_le32(sectors >> shift);
	switch (op) {
	case REQ_OP_READ:
		sqe->opcode = XFERBLK_OP_READ;
		break;
	case REQ_OP_WRITE:
		sqe->opcode = XFERBLK_OP_WRITE;
		if (opf & REQ_FUA)
			sqe->flags |= XFERBLK_CMD_FUA;
		break;
	case REQ_OP_FLUSH:
		sqe->opcode = XFERBLK_OP_FLUSH;
		sqe->lba = 0;
		sqe->nblocks = 0;
		break;
	case REQ_OP_DISCARD:
		sqe->opcode = XFERBLK_OP_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		sqe->opcode = XFERBLK_OP_WRITE_ZEROES;
		if (!(opf & REQ_NOUNMAP))
			sqe->flags |= XFERBLK_CMD_UNMAP;
		break;
	default:
		/* class.c and mq.c let no other operation through. */
		WARN_ON_ONCE(1);
	}
}

/* Copies @sqe to the SQ tail; @tag is its slot, or nr_tags for the abort. */
static void xferblk_sq_put(struct xferblk_queue *q, const struct xferblk_sqe *sqe,
			   unsigned int tag)
{
	memcpy(&q->sq[q->sq_tail], sqe, sizeof(*sqe));
	q->sq_slot_tag[q->sq_tail] = tag;
	q->sq_tail = (q->sq_tail + 1) & (q->depth - 1);
	if (tag < q->nr_tags)
		q->cmds[tag].sq_pos = q->sq_puts;
	else
		q->abort_pos = q->sq_puts;
	q->sq_puts++;
}

/*
 * Tells the device about every entry up to the tail. Under sq_lock. The
 * commands those entries carry become "rung": only now may the device
 * complete them, and a completion for one it was never told about is a
 * lie the interrupt handler refuses.
 */
static void xferblk_sq_ring(struct xferblk_queue *q)
{
	u32 slot;

	for (slot = q->sq_rung; slot != q->sq_tail; slot = (slot + 1) & (q->depth - 1))
		if (q->sq_slot_tag[slot] < q->nr_tags)
			/* After its owner and generation: pairs with xferblk_cqe_valid(). */
			smp_store_release(&q->cmds[q->sq_slot_tag[slot]].rung, true);
	q->sq_rung = q->sq_tail;
	/* Before the doorbell: pairs with xferblk_fetched_before(). */
	smp_store_release(&q->sq_rung_puts, q->sq_puts);
	/* writel orders the descriptors and SG lists before the doorbell. */
	writel(q->sq_tail, q->sq_doorbell);
}

/*
 * Puts one entry on the ring, and rings the doorbell unless @defer; false
 * if the queue is stopped for a reset.
 */
static bool xferblk_ring(struct xferblk_queue *q, struct xferblk_sqe *sqe,
			 struct xferblk_cmd *cmd, struct bio *bio,
			 struct request *rq, bool defer)
{
	unsigned long flags;

	spin_lock_irqsave(&q->sq_lock, flags);
	if (q->stopped) {
		spin_unlock_irqrestore(&q->sq_lock, flags);
		return false;
	}
	cmd->bio = bio;
	cmd->rq = rq;
	cmd->deadline = jiffies + msecs_to_jiffies(READ_ONCE(xferblk_timeout_ms));
	cmd->gen = (cmd->gen + 1) & (U16_MAX >> q->gen_shift);
	cmd->seq = ++q->seq;
	q->submitted++;
	sqe->tag = cpu_to_le16(cmd->gen << q->gen_shift | (cmd - q->cmds));
	xferblk_sq_put(q, sqe, cmd - q->cmds);
	if (!defer)
		xferblk_sq_ring(q);
	spin_unlock_irqrestore(&q->sq_lock, flags);
	return true;
}

/* Rings @q's doorbell: the device sees every entry up to the tail. */
void xferblk_port_kick(struct xferblk_queue *q)
{
	unsigned long flags;

	spin_lock_irqsave(&q->sq_lock, flags);
	/* A reset in between emptied the ring, and failed what was on it. */
	if (!q->stopped)
		xferblk_sq_ring(q);
	spin_unlock_irqrestore(&q->sq_lock, flags);
}

/* Rings the doorbell a sender owes, if any. */
void xferblk_port_unplug(struct xferblk_plug *plug)
{
	if (plug->q)
		xferblk_port_kick(plug->q);
	plug->q = NULL;
}

/*
 * Maps the data of a bio (or of a request) on @tag and puts the command
 * on the ring. On failure nothing is mapped and the tag is the caller's.
 */
static blk_status_t xferblk_issue(struct xferblk_queue *q, unsigned int tag,
				  struct bio *bio, struct request *rq, bool defer)
{
	struct xferblk_dev *xd = q->xd;
	struct xferblk_cmd *cmd = &q->cmds[tag];
	struct xferblk_sqe sqe = {};
	unsigned int nsge = 0;
	enum req_op op;

	if (bio) {
		/* A REQ_PREFLUSH bio with no data is a FLUSH. */
		op = bio_has_data(bio) ? bio_op(bio) : bio_op(bio) == REQ_OP_WRITE ?
		     REQ_OP_FLUSH : bio_op(bio);
		xferblk_build_sqe(xd, op, bio->bi_opf, bio->bi_iter.bi_sector,
				  bio_sectors(bio), &sqe);
	} else {
		bio = rq->bio;
		op = req_op(rq);
		xferblk_build_sqe(xd, op, rq->cmd_flags, blk_rq_pos(rq),
				  blk_rq_sectors(rq), &sqe);
	}
	cmd->bytes = 0;
	if (op == REQ_OP_READ || op == REQ_OP_WRITE) {
		nsge = xferblk_map(xd, cmd, bio, op, !!rq);
		if (!nsge) {
			this_cpu_inc(xd->stats->unsendable);
			return BLK_STS_IOERR;
		}
		cmd->bytes = le32_to_cpu(sqe.nblocks) * xd->lim.block_size;
	}
	sqe.nsge = cpu_to_le16(nsge);
	sqe.sgl = cpu_to_le64(nsge ? cmd->sgl_dma : 0);
	if (xferblk_ring(q, &sqe, cmd, rq ? NULL : bio, rq, defer))
		return BLK_STS_OK;
	xferblk_unmap(xd, cmd);
	return BLK_STS_IOERR;
}

/*
 * The queue of the submitting CPU, no lock being shared across queues: one
 * of the poll queues for a polled bio (the caller checked there are some).
 */
static struct xferblk_queue *xferblk_this_queue(struct xferblk_dev *xd, bool polled)
{
	unsigned int cpu = raw_smp_processor_id();

	if (polled)
		return &xd->queues[xd->nr_queues - xd->nr_poll_queues + cpu % xd->nr_poll_queues];
	return &xd->queues[xd->cpu_queue[cpu]];
}

/*
 * A tag on this CPU's queue. A full ring makes the caller wait until a
 * completion frees one, unless @nowait: then NULL. On a poll queue no
 * interrupt would wake it, and its submitter may be the only poller: it
 * reaps the ring itself while it waits.
 */
struct xferblk_queue *xferblk_port_get_tag(struct xferblk_dev *xd, bool nowait, bool polled,
					   struct xferblk_plug *plug, unsigned int *tag)
{
	struct xferblk_queue *q = xferblk_this_queue(xd, polled);
	int t = xferblk_tag_try_get(q);

	if (t < 0 && nowait)
		return NULL;
	if (t < 0) {
		/* The tags we wait for may be on commands not yet rung. */
		xferblk_port_unplug(plug);
		if (q->polled) {
			while ((t = xferblk_tag_try_get(q)) < 0) {
				/* A reset frees the tags by failing their commands. */
				if (READ_ONCE(q->stopped))
					usleep_range(100, 200);
				else
					xferblk_port_reap(q);
				cond_resched();
			}
		} else {
			io_wait_event(q->tag_wait, (t = xferblk_tag_try_get(q)) >= 0);
		}
	}
	*tag = t;
	return q;
}

void xferblk_port_put_tag(struct xferblk_queue *q, unsigned int tag)
{
	xferblk_tag_put(q, tag);
}

/*
 * REQ_NOWAIT, all or nothing: @n tags on this CPU's queue, into @tags, or
 * none at all.
 */
struct xferblk_queue *xferblk_port_reserve(struct xferblk_dev *xd, unsigned int n,
					   bool polled, u16 *tags)
{
	struct xferblk_queue *q = xferblk_this_queue(xd, polled);
	unsigned int i;
	int tag;

	for (i = 0; i < n; i++) {
		tag = xferblk_tag_try_get(q);
		if (tag < 0)
			goto undo;
		tags[i] = tag;
	}
	return q;

undo:
	while (i--)
		xferblk_tag_put(q, tags[i]);
	return NULL;
}

/*
 * Sends @bio as one command on @tag of @q, its doorbell owed in @plug: the
 * caller rings it with xferblk_port_unplug() once it has sent what it can.
 * @bio is a child, or with @wctx a whole bio of a caller's, which the slot
 * keeps @wctx for. If it cannot be sent, the tag is freed and the error
 * returned: the bio is still the caller's to end.
 */
blk_status_t xferblk_port_send(struct xferblk_queue *q, unsigned int tag, struct bio *bio,
			       const struct xferblk_whole *wctx, struct xferblk_plug *plug)
{
	struct xferblk_cmd *cmd = &q->cmds[tag];
	blk_status_t status;

	/* The sender moved to another CPU: settle the first queue now. */
	if (plug->q != q)
		xferblk_port_unplug(plug);
	/* Set before the command is on the ring, where a completion may read it. */
	cmd->whole = !!wctx;
	if (wctx)
		cmd->wctx = *wctx;
	status = xferblk_issue(q, tag, bio, NULL, true);
	if (status == BLK_STS_OK) {
		plug->q = q;
		return BLK_STS_OK;
	}
	cmd->whole = false;
	xferblk_tag_put(q, tag);
	return status;
}

/*
 * mq mode: @rq, already split to the limits by blk-mq, as one command; with
 * @defer blk-mq promises more, then xferblk_port_kick() (commit_rqs).
 */
blk_status_t xferblk_port_queue_rq(struct xferblk_queue *q, struct request *rq,
				   bool defer)
{
	blk_status_t status;
	int tag;

	/* blk-mq's depth is our tag count: no tag only while a reset runs. */
	tag = xferblk_tag_try_get(q);
	if (tag < 0)
		return BLK_STS_RESOURCE;
	status = xferblk_issue(q, tag, NULL, rq, defer);
	if (status != BLK_STS_OK)
		xferblk_tag_put(q, tag);
	return status;
}

/* Finished commands: collected under a lock, ended outside it. */
struct xferblk_done {
	struct bio_list bios;		/* with bi_status set on failure */
	struct list_head rqs;		/* requests, with xferblk_rq.status set */
};

static void xferblk_done_init(struct xferblk_done *done)
{
	bio_list_init(&done->bios);
	INIT_LIST_HEAD(&done->rqs);
}

/*
 * Ends what was collected with no locks held: a child may complete its
 * parent, and a caller's end_io may submit again.
 */
static void xferblk_done_end(struct xferblk_dev *xd, struct xferblk_done *done)
{
	struct request *rq, *next;
	struct bio *bio;

	while ((bio = bio_list_pop(&done->bios)))
		bio_endio(bio);
	list_for_each_entry_safe(rq, next, &done->rqs, queuelist) {
		struct xferblk_rq *xrq = blk_mq_rq_to_pdu(rq);

		list_del_init(&rq->queuelist);
		/* In mq mode a request is its own parent and only child. */
		if (xrq->status != BLK_STS_OK) {
			this_cpu_inc(xd->stats->errors);
			this_cpu_inc(xd->stats->parent_errors);
		}
		blk_mq_end_request(rq, xrq->status);
	}
}

/* Takes the command off its tag and collects its owner to end with @status. */
static void xferblk_cmd_finish(struct xferblk_queue *q, unsigned int tag,
			       blk_status_t status, struct xferblk_done *done)
{
	struct xferblk_cmd *cmd = &q->cmds[tag];

	if (cmd->whole) {
		/* Read from the slot now: the tag is free once we leave. */
		xferblk_whole_done(q->xd, cmd->bio, &cmd->wctx, status);
		bio_list_add(&done->bios, cmd->bio);
	} else if (cmd->bio) {
		/* A child is the driver's own bio: nothing else writes its status. */
		if (status != BLK_STS_OK)
			cmd->bio->bi_status = status;
		bio_list_add(&done->bios, cmd->bio);
	} else {
		struct xferblk_rq *xrq = blk_mq_rq_to_pdu(cmd->rq);

		xrq->status = status;
		list_add_tail(&cmd->rq->queuelist, &done->rqs);
	}
	cmd->bio = NULL;
	cmd->whole = false;
	cmd->rq = NULL;
	/* Until its next owner is rung, no completion may name the slot. */
	cmd->rung = false;
	xferblk_unmap(q->xd, cmd);
	xferblk_tag_put(q, tag);
}

/*
 * The abort slot's completion. The target, if the device still held it,
 * completes on its own entry, which comes first. If the device says it
 * held nothing (result 0) while the target is still ours, the target's
 * completion was lost (a bus error, say): only a reset settles its fate,
 * and the next timeout check does it rather than wait out the abort's
 * own deadline. Under cq_lock.
 */
static void xferblk_abort_done(struct xferblk_queue *q, u16 status, u32 result)
{
	const struct xferblk_cmd *target = &q->cmds[q->abort_target];

	/* The same command, not a later one on the same slot. */
	if (status == XFERBLK_STS_OK && !result && xferblk_cmd_busy(target) &&
	    target->seq == q->abort_seq)
		q->reset_wanted = true;
	q->abort_target = -1;
}

/*
 * Spec 1.3: whether the entry put at position @pos had been fetched when
 * the device wrote a completion saying it had fetched @fetched entries. A
 * count beyond what we have rung is a lie. Each entry is judged alone: a
 * refused one moves no baseline that could make a genuine one look stale.
 */
static bool xferblk_fetched_before(struct xferblk_queue *q, u32 fetched, u32 pos)
{
	/* Pairs with the release in xferblk_sq_ring(). */
	u32 rung = smp_load_acquire(&q->sq_rung_puts);

	return !q->fetch_counts || ((s32)(rung - fetched) >= 0 && (s32)(fetched - pos) > 0);
}

/*
 * Whether a completion names a command of ours that the device may
 * complete. The device is not trusted: a tag we did not issue, issued
 * before its slot was reused, put on the ring but not yet rung, or (spec
 * 1.3) not yet fetched when the device wrote the completion, is refused.
 */
static bool xferblk_cqe_valid(struct xferblk_queue *q, u16 wire_tag, u16 tag, u32 fetched)
{
	const struct xferblk_cmd *cmd;

	if (tag >= q->nr_tags)
		return false;
	cmd = &q->cmds[tag];
	/* Rung implies this owner's child, generation and position are visible. */
	return smp_load_acquire(&cmd->rung) && xferblk_cmd_busy(cmd) &&
	       wire_tag >> q->gen_shift == cmd->gen &&
	       xferblk_fetched_before(q, fetched, cmd->sq_pos);
}

/* Whether a completion is the answer to the abort now out, and only that. */
static bool xferblk_cqe_is_abort(struct xferblk_queue *q, u16 wire_tag, u32 fetched)
{
	return q->abort_target >= 0 && wire_tag == xferblk_abort_tag(q) &&
	       xferblk_fetched_before(q, fetched, q->abort_pos);
}

/* The status of a completion for @cmd, its byte count checked. */
static blk_status_t xferblk_cqe_status(struct xferblk_queue *q, struct xferblk_cmd *cmd,
				       u16 status, u32 result)
{
	struct xferblk_dev *xd = q->xd;

	if (status >= XFERBLK_STS_FIRST_REJECT && status <= XFERBLK_STS_LAST_REJECT)
		this_cpu_inc(xd->stats->rejected);
	if (status == XFERBLK_STS_ABORTED)
		this_cpu_inc(xd->stats->timeouts);
	/* Success that moved fewer (or more) bytes than asked is a failure. */
	if (status == XFERBLK_STS_OK && result != cmd->bytes) {
		dev_warn_ratelimited(&xd->pdev->dev,
				     "queue %u: command %td moved %u bytes of %u; failing it\n",
				     q->qid, cmd - q->cmds, result, cmd->bytes);
		return BLK_STS_IOERR;
	}
	return xferblk_status_to_blk(status);
}

/*
 * Reaps @q's completion ring: from its interrupt (a poll queue: from
 * poll_bio), and from the timeout work so that a completion whose
 * interrupt never came is found before its command is aborted. With @try,
 * gives up at once if another CPU is reaping: it ends what we would.
 * Returns the entries reaped.
 */
static unsigned int xferblk_reap(struct xferblk_queue *q, bool try)
{
	struct xferblk_dev *xd = q->xd;
	struct xferblk_done done;
	unsigned int reaped = 0;
	unsigned long flags;

	xferblk_done_init(&done);
	if (!try)
		spin_lock_irqsave(&q->cq_lock, flags);
	else if (!spin_trylock_irqsave(&q->cq_lock, flags))
		return 0;
	for (;;) {
		struct xferblk_cqe *cqe = &q->cq[q->cq_head];
		u16 wire_tag, tag, status;
		u32 result, fetched;

		if ((le16_to_cpu(READ_ONCE(cqe->flags)) & XFERBLK_CQE_PHASE) != q->cq_phase)
			break;
		/* Read the entry only after seeing its phase flip. */
		dma_rmb();
		wire_tag = le16_to_cpu(cqe->tag);
		tag = wire_tag & ((1U << q->gen_shift) - 1);
		status = le16_to_cpu(cqe->status);
		result = le32_to_cpu(cqe->result);
		fetched = le32_to_cpu(cqe->sq_fetched);

		if (++q->cq_head == q->depth) {
			q->cq_head = 0;
			q->cq_phase ^= XFERBLK_CQE_PHASE;
		}
		reaped++;

		if (xferblk_cqe_is_abort(q, wire_tag, fetched)) {
			xferblk_abort_done(q, status, result);
			continue;
		}
		if (!xferblk_cqe_valid(q, wire_tag, tag, fetched)) {
			this_cpu_inc(xd->stats->bogus);
			dev_warn_ratelimited(&xd->pdev->dev,
					     "queue %u: completion for unknown tag %#x (%u fetched of %u)\n",
					     q->qid, wire_tag, fetched, READ_ONCE(q->sq_rung_puts));
			continue;
		}
		xferblk_cmd_finish(q, tag, xferblk_cqe_status(q, &q->cmds[tag], status, result),
				   &done);
	}
	/* A queue stopped for a reset is disabled in the device: no doorbell. */
	if (reaped && !READ_ONCE(q->stopped))
		writel(q->cq_head, q->cq_doorbell);
	spin_unlock_irqrestore(&q->cq_lock, flags);

	xferblk_done_end(xd, &done);
	return reaped;
}

unsigned int xferblk_port_reap(struct xferblk_queue *q)
{
	return xferblk_reap(q, false);
}

irqreturn_t xferblk_irq(int irq, void *data)
{
	return xferblk_port_reap(data) ? IRQ_HANDLED : IRQ_NONE;
}

/*
 * bio_poll() for a polled bio of ours (bi_cookie set by submit_bio): reaps
 * every poll queue, since a parent's children may have gone to several
 * when its sender moved between CPUs. Ends what it finds, whoever's it is.
 */
int xferblk_poll_bio(struct bio *bio, struct io_comp_batch *iob, unsigned int flags)
{
	return xferblk_port_poll(bio->bi_bdev->bd_disk->private_data);
}

/* Reaps every poll queue that no other CPU is reaping; returns the entries. */
unsigned int xferblk_port_poll(struct xferblk_dev *xd)
{
	unsigned int qid, found = 0;

	for (qid = xd->nr_queues - xd->nr_poll_queues; qid < xd->nr_queues; qid++)
		found += xferblk_reap(&xd->queues[qid], true);
	return found;
}

/*
 * Waits out @q's interrupt handler. A poll queue has none, and a poller
 * needs no waiting: it takes commands off the ring under cq_lock, as the
 * callers' reaping and failing do.
 */
void xferblk_port_sync_reaping(struct xferblk_queue *q)
{
	if (q->irq > 0)
		synchronize_irq(q->irq);
}

/* Asks the device to end the command holding @tag. Under cq_lock. */
void xferblk_port_abort(struct xferblk_queue *q, unsigned int tag)
{
	struct xferblk_sqe sqe = { .opcode = XFERBLK_OP_ABORT };
	unsigned long flags;

	spin_lock_irqsave(&q->sq_lock, flags);
	if (!q->stopped) {
		/* Under sq_lock, where the sender wrote it with the seq read below. */
		sqe.lba = cpu_to_le64(q->cmds[tag].gen << q->gen_shift | tag);
		/* A generation of its own, so an earlier abort's answer is refused. */
		q->abort_gen = (q->abort_gen + 1) & (U16_MAX >> q->gen_shift);
		sqe.tag = cpu_to_le16(xferblk_abort_tag(q));
		q->abort_target = tag;
		q->abort_seq = q->cmds[tag].seq;
		q->abort_deadline = jiffies + msecs_to_jiffies(READ_ONCE(xferblk_timeout_ms));
		xferblk_sq_put(q, &sqe, q->nr_tags);
		xferblk_sq_ring(q);
	}
	spin_unlock_irqrestore(&q->sq_lock, flags);
}

/*
 * Interrupt coalescing as the disk has it (xd->coalesce: the module
 * parameters at probe, then sysfs), on a device that has it (1.4); after
 * each enable, since a reset clears it. The device makes no interrupt wait
 * while nothing else is in flight, so a lone command is not slowed down.
 */
void xferblk_port_set_coalescing(struct xferblk_dev *xd)
{
	/* With sysfs: the last value stored is the last one written. */
	mutex_lock(&xd->coalesce_lock);
	if (xd->features & XFERBLK_FEAT_COALESCE)
		xferblk_write32(xd, XFERBLK_REG_INTR_COALESCE, xd->coalesce);
	mutex_unlock(&xd->coalesce_lock);
}

/* Program one queue's registers and enable it. */
int xferblk_queue_enable(struct xferblk_dev *xd, struct xferblk_queue *q)
{
	u32 base = XFERBLK_REG_QUEUE(q->qid);
	u32 ctrl = XFERBLK_QCTRL_ENABLE | (q->polled ? XFERBLK_QCTRL_POLLED : 0);

	xferblk_write64(xd, base + XFERBLK_QREG_SQ_ADDR, q->sq_dma);
	xferblk_write64(xd, base + XFERBLK_QREG_CQ_ADDR, q->cq_dma);
	xferblk_write32(xd, base + XFERBLK_QREG_DEPTH, q->depth);
	/* The vectors are the interrupt queues' own; a poll queue's is unused. */
	xferblk_write32(xd, base + XFERBLK_QREG_VECTOR, q->polled ? 0 : q->qid);
	xferblk_write32(xd, base + XFERBLK_QREG_CTRL, ctrl);
	/*
	 * A device that ignored POLLED would interrupt on a vector nobody
	 * handles; one that set it unasked would leave a queue silent.
	 */
	if ((xferblk_read32(xd, base + XFERBLK_QREG_CTRL) &
	     (XFERBLK_QCTRL_ENABLE | XFERBLK_QCTRL_POLLED)) != ctrl) {
		dev_err(&xd->pdev->dev, "device refused to enable queue %u\n", q->qid);
		return -EIO;
	}
	return 0;
}

/*
 * Ends every command on the rings with @status and empties the rings. Only
 * for a device that can no longer touch memory (reset, bus mastering off,
 * or gone) with no interrupt handler running: the buffers go back to
 * their owners.
 */
unsigned int xferblk_port_fail_all(struct xferblk_dev *xd, blk_status_t status)
{
	unsigned int qid, tag, failed = 0;
	struct xferblk_done done;

	xferblk_done_init(&done);
	for (qid = 0; qid < xd->nr_queues; qid++) {
		struct xferblk_queue *q = &xd->queues[qid];

		spin_lock_irq(&q->cq_lock);
		for (tag = 0; tag < q->nr_tags; tag++) {
			struct xferblk_cmd *cmd = &q->cmds[tag];

			if (!xferblk_cmd_busy(cmd))
				continue;
			xferblk_cmd_finish(q, tag, status, &done);
			failed++;
		}
		q->abort_target = -1;
		q->reset_wanted = false;
		q->sq_tail = 0;
		q->sq_rung = 0;
		q->sq_puts = 0;
		q->sq_rung_puts = 0;
		q->cq_head = 0;
		q->cq_phase = XFERBLK_CQE_PHASE;
		memset(q->sq, 0, q->depth * sizeof(*q->sq));
		memset(q->cq, 0, q->depth * sizeof(*q->cq));
		spin_unlock_irq(&q->cq_lock);
	}
	xferblk_done_end(xd, &done);
	return failed;
}

void xferblk_set_stopped(struct xferblk_dev *xd, bool stopped)
{
	unsigned int qid;

	for (qid = 0; qid < xd->nr_queues; qid++) {
		struct xferblk_queue *q = &xd->queues[qid];

		spin_lock_irq(&q->sq_lock);
		WRITE_ONCE(q->stopped, stopped);
		spin_unlock_irq(&q->sq_lock);
	}
}

int xferblk_queue_init(struct xferblk_dev *xd, struct xferblk_queue *q,
		       unsigned int qid, unsigned int depth)
{
	struct device *dev = &xd->pdev->dev;
	unsigned int tag;

	q->xd = xd;
	q->qid = qid;
	q->depth = depth;
	q->nr_tags = depth - 2;
	q->gen_shift = ilog2(depth);
	q->fetch_counts = xd->version_minor >= 3;
	q->abort_target = -1;
	q->cq_phase = XFERBLK_CQE_PHASE;
	spin_lock_init(&q->sq_lock);
	spin_lock_init(&q->cq_lock);
	init_waitqueue_head(&q->tag_wait);
	q->sq_doorbell = xd->regs + XFERBLK_REG_DOORBELL(qid) + XFERBLK_DB_SQ_TAIL;
	q->sq_slot_tag = kcalloc(depth, sizeof(*q->sq_slot_tag), GFP_KERNEL);
	q->cq_doorbell = xd->regs + XFERBLK_REG_DOORBELL(qid) + XFERBLK_DB_CQ_HEAD;

	q->sq = dma_alloc_coherent(dev, depth * sizeof(*q->sq), &q->sq_dma, GFP_KERNEL);
	q->cq = dma_alloc_coherent(dev, depth * sizeof(*q->cq), &q->cq_dma, GFP_KERNEL);
	q->tag_map = bitmap_zalloc(q->nr_tags, GFP_KERNEL);
	q->cmds = kcalloc(q->nr_tags, sizeof(*q->cmds), GFP_KERNEL);
	if (!q->sq || !q->cq || !q->tag_map || !q->cmds || !q->sq_slot_tag)
		goto nomem;

	for (tag = 0; tag < q->nr_tags; tag++) {
		struct xferblk_cmd *cmd = &q->cmds[tag];

		cmd->sgl = dma_alloc_coherent(dev, PAGE_SIZE, &cmd->sgl_dma, GFP_KERNEL);
		cmd->maps = kcalloc(XFERBLK_SGL_ENTRIES, sizeof(*cmd->maps), GFP_KERNEL);
		if (!cmd->sgl || !cmd->maps)
			goto nomem;
	}
	return 0;

nomem:
	xferblk_queue_free(xd, q);
	return -ENOMEM;
}

void xferblk_queue_free(struct xferblk_dev *xd, struct xferblk_queue *q)
{
	struct device *dev = &xd->pdev->dev;
	unsigned int tag;

	if (q->cmds) {
		for (tag = 0; tag < q->nr_tags; tag++) {
			struct xferblk_cmd *cmd = &q->cmds[tag];

			if (cmd->sgl)
				dma_free_coherent(dev, PAGE_SIZE, cmd->sgl, cmd->sgl_dma);
			kfree(cmd->maps);
		}
		kfree(q->cmds);
		q->cmds = NULL;
	}
	bitmap_free(q->tag_map);
	q->tag_map = NULL;
	kfree(q->sq_slot_tag);
	q->sq_slot_tag = NULL;
	if (q->sq)
		dma_free_coherent(dev, q->depth * sizeof(*q->sq), q->sq, q->sq_dma);
	if (q->cq)
		dma_free_coherent(dev, q->depth * sizeof(*q->cq), q->cq, q->cq_dma);
	q->sq = NULL;
	q->cq = NULL;
}
