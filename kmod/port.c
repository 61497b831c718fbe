// SPDX-License-Identifier: GPL-2.0-only
/*
 * The port layer: one child bio becomes one descriptor on a submission ring;
 * the queue's interrupt reaps completions and ends the children.
 *
 * A queue of depth D has D - 2 I/O tags and one abort slot, so at most
 * D - 1 commands are ever in flight and the submission ring cannot
 * overflow. From device version 1.2 the tag on the wire also carries a
 * generation number in its upper bits, so a stale or duplicated completion
 * can never complete the command that reuses its slot.
 *
 * cmd->child is set under sq_lock, in the same critical section that puts
 * the command on the ring: "has a child" means "is on the ring", which is
 * what a controller reset relies on.
 */
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>

#include "xferblk.h"

static blk_status_t xferblk_status_to_blk(u16 status)
{
	switch (status) {
	case XFERBLK_STS_OK:
		return BLK_STS_OK;
	case XFERBLK_STS_DMA_ERROR:
		return BLK_STS_TRANSPORT;
	case XFERBLK_STS_MEDIA_ERROR:
		return BLK_STS_MEDIUM;
	case XFERBLK_STS_ABORTED:
		/* The driver aborts only commands that timed out. */
		return BLK_STS_TIMEOUT;
	default:
		return BLK_STS_IOERR;
	}
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
 * Maps the child's bvecs and writes its SG list, cut by the same rule the
 * planner counted with. Returns the number of SG entries, or 0 when the
 * child cannot be expressed as one command.
 */
static unsigned int xferblk_map(struct xferblk_dev *xd, struct xferblk_cmd *cmd,
				struct bio *bio)
{
	struct device *dev = &xd->pdev->dev;
	unsigned int max_sge = xferblk_split ? xd->lim.max_segs : XFERBLK_SGL_ENTRIES;
	unsigned int nsge = 0;
	struct bvec_iter iter;
	struct bio_vec bv;

	cmd->dir = op_is_write(bio_op(bio)) ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	cmd->nr_maps = 0;

	bio_for_each_bvec(bv, bio, iter) {
		/* A multi-page bvec may carry an offset beyond its first page. */
		struct page *page = bv.bv_page + (bv.bv_offset >> PAGE_SHIFT);
		unsigned int offset = offset_in_page(bv.bv_offset);
		dma_addr_t addr;
		u32 done = 0;

		if (cmd->nr_maps == XFERBLK_SGL_ENTRIES)
			goto fail;
		addr = dma_map_page(dev, page, offset, bv.bv_len, cmd->dir);
		if (dma_mapping_error(dev, addr))
			goto fail;
		cmd->maps[cmd->nr_maps].addr = addr;
		cmd->maps[cmd->nr_maps].len = bv.bv_len;
		cmd->nr_maps++;

		while (done < bv.bv_len) {
			u32 len = xferblk_sge_len(&xd->lim, addr + done,
						  bv.bv_len - done);

			if (nsge == max_sge)
				goto fail;
			cmd->sgl[nsge].addr = cpu_to_le64(addr + done);
			cmd->sgl[nsge].len = cpu_to_le32(len);
			cmd->sgl[nsge].rsvd = 0;
			nsge++;
			done += len;
		}
	}
	return nsge;

fail:
	xferblk_unmap(xd, cmd);
	return 0;
}

/* The command a child becomes, but for its tag and SG list. */
static void xferblk_build_sqe(struct xferblk_dev *xd, struct bio *bio,
			      struct xferblk_sqe *sqe)
{
	unsigned int shift = ilog2(xd->lim.block_size) - SECTOR_SHIFT;

	sqe->lba = cpu_to_le64(bio->bi_iter.bi_sector >> shift);
	sqe->nblocks = cpu_to_le32(bio_sectors(bio) >> shift);
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		sqe->opcode = XFERBLK_OP_READ;
		break;
	case REQ_OP_WRITE:
		if (!bio_has_data(bio)) {
			/* The child that carries a parent's REQ_PREFLUSH. */
			sqe->opcode = XFERBLK_OP_FLUSH;
			sqe->lba = 0;
			sqe->nblocks = 0;
			break;
		}
		sqe->opcode = XFERBLK_OP_WRITE;
		if (bio->bi_opf & REQ_FUA)
			sqe->flags |= XFERBLK_CMD_FUA;
		break;
	case REQ_OP_DISCARD:
		sqe->opcode = XFERBLK_OP_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		sqe->opcode = XFERBLK_OP_WRITE_ZEROES;
		if (!(bio->bi_opf & REQ_NOUNMAP))
			sqe->flags |= XFERBLK_CMD_UNMAP;
		break;
	default:
		/* class.c lets no other operation through. */
		WARN_ON_ONCE(1);
	}
}

/* Puts one entry on the ring; false if the queue is stopped for a reset. */
static bool xferblk_ring(struct xferblk_queue *q, struct xferblk_sqe *sqe,
			 struct xferblk_cmd *cmd, struct xferblk_child *child)
{
	unsigned long flags;

	spin_lock_irqsave(&q->sq_lock, flags);
	if (q->stopped) {
		spin_unlock_irqrestore(&q->sq_lock, flags);
		return false;
	}
	cmd->child = child;
	cmd->deadline = jiffies + msecs_to_jiffies(READ_ONCE(xferblk_timeout_ms));
	cmd->gen = (cmd->gen + 1) & (U16_MAX >> q->gen_shift);
	sqe->tag = cpu_to_le16(cmd->gen << q->gen_shift | (cmd - q->cmds));
	q->submitted++;
	memcpy(&q->sq[q->sq_tail], sqe, sizeof(*sqe));
	q->sq_tail = (q->sq_tail + 1) & (q->depth - 1);
	/* writel orders the descriptor and SG list before the doorbell. */
	writel(q->sq_tail, q->sq_doorbell);
	spin_unlock_irqrestore(&q->sq_lock, flags);
	return true;
}

void xferblk_port_submit(struct xferblk_dev *xd, struct xferblk_child *child)
{
	/* The queue of the submitting CPU: no lock is shared across queues. */
	struct xferblk_queue *q = &xd->queues[xd->cpu_queue[raw_smp_processor_id()]];
	struct bio *bio = &child->bio;
	struct xferblk_sqe sqe = {};
	struct xferblk_cmd *cmd;
	blk_status_t status;
	unsigned int nsge = 0;
	int tag;

	/*
	 * A full ring makes the submitter sleep until a completion frees a tag,
	 * unless it asked not to wait.
	 */
	if (bio->bi_opf & REQ_NOWAIT) {
		tag = xferblk_tag_try_get(q);
		if (tag < 0) {
			xferblk_child_end(child, BLK_STS_AGAIN);
			return;
		}
	} else {
		io_wait_event(q->tag_wait, (tag = xferblk_tag_try_get(q)) >= 0);
	}

	/* A sibling failed while this child waited: it never reaches the device. */
	status = xferblk_child_cancelled(child);
	if (status != BLK_STS_OK) {
		this_cpu_inc(xd->stats->cancelled);
		goto end;
	}
	cmd = &q->cmds[tag];

	if (bio_has_data(bio)) {
		nsge = xferblk_map(xd, cmd, bio);
		if (!nsge) {
			this_cpu_inc(xd->stats->unsendable);
			status = BLK_STS_IOERR;
			goto end;
		}
	}
	xferblk_build_sqe(xd, bio, &sqe);
	sqe.nsge = cpu_to_le16(nsge);
	sqe.sgl = cpu_to_le64(nsge ? cmd->sgl_dma : 0);
	if (xferblk_ring(q, &sqe, cmd, child))
		return;

	xferblk_unmap(xd, cmd);
	status = BLK_STS_IOERR;
end:
	xferblk_tag_put(q, tag);
	xferblk_child_end(child, status);
}

/* Takes the command off its tag; the caller ends the child. */
static struct xferblk_child *xferblk_cmd_finish(struct xferblk_queue *q,
						unsigned int tag)
{
	struct xferblk_cmd *cmd = &q->cmds[tag];
	struct xferblk_child *child = cmd->child;

	cmd->child = NULL;
	xferblk_unmap(q->xd, cmd);
	xferblk_tag_put(q, tag);
	return child;
}

irqreturn_t xferblk_irq(int irq, void *data)
{
	struct xferblk_queue *q = data;
	struct xferblk_dev *xd = q->xd;
	struct bio_list done = BIO_EMPTY_LIST;
	unsigned int reaped = 0;
	struct bio *bio;

	spin_lock(&q->cq_lock);
	for (;;) {
		struct xferblk_cqe *cqe = &q->cq[q->cq_head];
		struct xferblk_child *child;
		u16 wire_tag, tag, status;

		if ((le16_to_cpu(READ_ONCE(cqe->flags)) & XFERBLK_CQE_PHASE) != q->cq_phase)
			break;
		/* Read the entry only after seeing its phase flip. */
		dma_rmb();
		wire_tag = le16_to_cpu(cqe->tag);
		tag = wire_tag & ((1U << q->gen_shift) - 1);
		status = le16_to_cpu(cqe->status);

		if (++q->cq_head == q->depth) {
			q->cq_head = 0;
			q->cq_phase ^= XFERBLK_CQE_PHASE;
		}
		reaped++;

		if (wire_tag == q->nr_tags && q->abort_target >= 0) {
			/* The abort slot: the target completes on its own entry. */
			q->abort_target = -1;
			continue;
		}
		/*
		 * The device is not trusted: a tag we did not issue, or issued
		 * before its slot was reused, is counted and ignored.
		 */
		if (tag >= q->nr_tags || !q->cmds[tag].child ||
		    wire_tag >> q->gen_shift != q->cmds[tag].gen) {
			this_cpu_inc(xd->stats->bogus);
			dev_warn_ratelimited(&xd->pdev->dev,
					     "queue %u: completion for unknown tag %#x\n",
					     q->qid, wire_tag);
			continue;
		}
		if (status >= XFERBLK_STS_FIRST_REJECT && status <= XFERBLK_STS_LAST_REJECT)
			this_cpu_inc(xd->stats->rejected);
		if (status == XFERBLK_STS_ABORTED)
			this_cpu_inc(xd->stats->timeouts);

		child = xferblk_cmd_finish(q, tag);
		child->bio.bi_status = xferblk_status_to_blk(status);
		bio_list_add(&done, &child->bio);
	}
	if (reaped)
		writel(q->cq_head, q->cq_doorbell);
	spin_unlock(&q->cq_lock);

	/* End children outside the lock: their end_io may complete parents. */
	while ((bio = bio_list_pop(&done)))
		bio_endio(bio);

	return reaped ? IRQ_HANDLED : IRQ_NONE;
}

/* Asks the device to end the command holding @tag. Under cq_lock. */
static void xferblk_send_abort(struct xferblk_queue *q, unsigned int tag)
{
	struct xferblk_sqe sqe = {
		.opcode = XFERBLK_OP_ABORT,
		.tag = cpu_to_le16(q->nr_tags),
		.lba = cpu_to_le64(q->cmds[tag].gen << q->gen_shift | tag),
	};
	unsigned long flags;

	spin_lock_irqsave(&q->sq_lock, flags);
	if (!q->stopped) {
		q->abort_target = tag;
		q->abort_deadline = jiffies + msecs_to_jiffies(READ_ONCE(xferblk_timeout_ms));
		memcpy(&q->sq[q->sq_tail], &sqe, sizeof(sqe));
		q->sq_tail = (q->sq_tail + 1) & (q->depth - 1);
		writel(q->sq_tail, q->sq_doorbell);
	}
	spin_unlock_irqrestore(&q->sq_lock, flags);
}

/*
 * Looks for commands past their deadline: the oldest gets an abort (one at
 * a time per queue). Returns true if the controller must be reset: an abort
 * went unanswered, or the device cannot abort.
 */
static bool xferblk_queue_check_timeouts(struct xferblk_dev *xd, struct xferblk_queue *q)
{
	unsigned long now = jiffies;
	bool reset = false;
	unsigned int tag;

	spin_lock_irq(&q->cq_lock);
	if (q->abort_target >= 0) {
		reset = time_after(now, q->abort_deadline);
		goto out;
	}
	for (tag = 0; tag < q->nr_tags; tag++) {
		struct xferblk_cmd *cmd = &q->cmds[tag];

		if (!cmd->child || !time_after(now, cmd->deadline))
			continue;
		dev_warn_ratelimited(&xd->pdev->dev, "queue %u: command %u timed out\n",
				     q->qid, tag);
		if (!(xd->features & XFERBLK_FEAT_ABORT)) {
			reset = true;
			break;
		}
		xferblk_send_abort(q, tag);
		break;
	}
out:
	spin_unlock_irq(&q->cq_lock);
	return reset;
}

/* Program one queue's registers and enable it. */
int xferblk_queue_enable(struct xferblk_dev *xd, struct xferblk_queue *q)
{
	u32 base = XFERBLK_REG_QUEUE(q->qid);

	xferblk_write64(xd, base + XFERBLK_QREG_SQ_ADDR, q->sq_dma);
	xferblk_write64(xd, base + XFERBLK_QREG_CQ_ADDR, q->cq_dma);
	xferblk_write32(xd, base + XFERBLK_QREG_DEPTH, q->depth);
	xferblk_write32(xd, base + XFERBLK_QREG_VECTOR, q->qid);
	xferblk_write32(xd, base + XFERBLK_QREG_CTRL, XFERBLK_QCTRL_ENABLE);
	if (!(xferblk_read32(xd, base + XFERBLK_QREG_CTRL) & XFERBLK_QCTRL_ENABLE)) {
		dev_err(&xd->pdev->dev, "device refused to enable queue %u\n", q->qid);
		return -EIO;
	}
	return 0;
}

/*
 * Ends every command on the rings with @status (BLK_STS_TIMEOUT for those
 * past their deadline) and empties the rings. Only for a device that was
 * reset (it posts nothing more) with no interrupt handler running.
 */
unsigned int xferblk_port_fail_all(struct xferblk_dev *xd, blk_status_t status)
{
	struct bio_list done = BIO_EMPTY_LIST;
	unsigned int qid, tag, failed = 0;
	struct bio *bio;

	for (qid = 0; qid < xd->nr_queues; qid++) {
		struct xferblk_queue *q = &xd->queues[qid];

		spin_lock_irq(&q->cq_lock);
		for (tag = 0; tag < q->nr_tags; tag++) {
			struct xferblk_cmd *cmd = &q->cmds[tag];
			struct xferblk_child *child;

			if (!cmd->child)
				continue;
			/* Commands that ran out of time say so. */
			bool expired = time_after_eq(jiffies, cmd->deadline);

			child = xferblk_cmd_finish(q, tag);
			child->bio.bi_status = expired ? BLK_STS_TIMEOUT : status;
			bio_list_add(&done, &child->bio);
			failed++;
		}
		q->abort_target = -1;
		q->sq_tail = 0;
		q->cq_head = 0;
		q->cq_phase = XFERBLK_CQE_PHASE;
		memset(q->sq, 0, q->depth * sizeof(*q->sq));
		memset(q->cq, 0, q->depth * sizeof(*q->cq));
		spin_unlock_irq(&q->cq_lock);
	}
	while ((bio = bio_list_pop(&done)))
		bio_endio(bio);
	return failed;
}

void xferblk_set_stopped(struct xferblk_dev *xd, bool stopped)
{
	unsigned int qid;

	for (qid = 0; qid < xd->nr_queues; qid++) {
		struct xferblk_queue *q = &xd->queues[qid];

		spin_lock_irq(&q->sq_lock);
		q->stopped = stopped;
		spin_unlock_irq(&q->sq_lock);
	}
}

/*
 * The last resort: reset the device, fail everything it held, bring the
 * queues back. New commands fail with EIO while this runs.
 */
static void xferblk_reset_controller(struct xferblk_dev *xd)
{
	unsigned int qid;

	dev_warn(&xd->pdev->dev, "resetting the controller\n");
	this_cpu_inc(xd->stats->resets);
	xferblk_set_stopped(xd, true);
	if (xferblk_reset(xd))
		dev_err(&xd->pdev->dev, "device did not reset\n");
	for (qid = 0; qid < xd->nr_queues; qid++)
		synchronize_irq(xd->queues[qid].irq);
	xferblk_port_fail_all(xd, BLK_STS_IOERR);

	xferblk_write32(xd, XFERBLK_REG_CTRL, XFERBLK_CTRL_ENABLE);
	for (qid = 0; qid < xd->nr_queues; qid++) {
		if (xferblk_queue_enable(xd, &xd->queues[qid])) {
			dev_err(&xd->pdev->dev, "controller did not come back; failing all I/O\n");
			return;
		}
	}
	xferblk_set_stopped(xd, false);
}

void xferblk_timeout_work(struct work_struct *work)
{
	struct xferblk_dev *xd = container_of(to_delayed_work(work), struct xferblk_dev,
					      timeout_work);
	/* At most a second: a shortened timeout_ms takes effect at once. */
	unsigned int period = clamp(READ_ONCE(xferblk_timeout_ms) / 4, 10U, 1000U);
	bool reset = false;
	unsigned int qid;

	for (qid = 0; qid < xd->nr_queues; qid++)
		reset |= xferblk_queue_check_timeouts(xd, &xd->queues[qid]);
	if (reset)
		xferblk_reset_controller(xd);
	queue_delayed_work(xd->wq, &xd->timeout_work, msecs_to_jiffies(period));
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
	/* Before 1.2 the device wants tags below the depth: no generations. */
	q->gen_shift = xd->version_minor >= 2 ? ilog2(depth) : 16;
	q->abort_target = -1;
	q->cq_phase = XFERBLK_CQE_PHASE;
	spin_lock_init(&q->sq_lock);
	spin_lock_init(&q->cq_lock);
	init_waitqueue_head(&q->tag_wait);
	q->sq_doorbell = xd->regs + XFERBLK_REG_DOORBELL(qid) + XFERBLK_DB_SQ_TAIL;
	q->cq_doorbell = xd->regs + XFERBLK_REG_DOORBELL(qid) + XFERBLK_DB_CQ_HEAD;

	q->sq = dma_alloc_coherent(dev, depth * sizeof(*q->sq), &q->sq_dma, GFP_KERNEL);
	q->cq = dma_alloc_coherent(dev, depth * sizeof(*q->cq), &q->cq_dma, GFP_KERNEL);
	q->tag_map = bitmap_zalloc(q->nr_tags, GFP_KERNEL);
	q->cmds = kcalloc(q->nr_tags, sizeof(*q->cmds), GFP_KERNEL);
	if (!q->sq || !q->cq || !q->tag_map || !q->cmds)
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
	if (q->sq)
		dma_free_coherent(dev, q->depth * sizeof(*q->sq), q->sq, q->sq_dma);
	if (q->cq)
		dma_free_coherent(dev, q->depth * sizeof(*q->cq), q->cq, q->cq_dma);
	q->sq = NULL;
	q->cq = NULL;
}
