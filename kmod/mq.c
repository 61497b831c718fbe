// SPDX-License-Identifier: GPL-2.0-only
/*
 * The blk-mq comparison mode (module parameter queue_mode=mq), the
 * counterpart of null_blk's queue_mode: the block layer splits and merges
 * bios to the device's queue_limits, and each request it hands over becomes
 * exactly one device command on the same rings class.c uses. It exists so a
 * benchmark can hold the driver's own splitting against the block layer's
 * on the same device; bio mode stays the default.
 */
#include "xferblk.h"

static blk_status_t xferblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				     const struct blk_mq_queue_data *bd)
{
	struct xferblk_queue *q = hctx->driver_data;
	struct xferblk_stats __percpu *stats = q->xd->stats;
	struct request *rq = bd->rq;
	blk_status_t status;

	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
	case REQ_OP_FLUSH:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		break;
	default:
		this_cpu_inc(stats->parent_errors);
		return BLK_STS_NOTSUPP;
	}
	blk_mq_start_request(rq);
	/* One request is one parent with one child, in the counters' terms. */
	this_cpu_inc(stats->parents);
	this_cpu_inc(stats->children);
	this_cpu_inc(stats->hist[0]);
	/* Doorbells are batched as blk-mq allows: the last request rings. */
	status = xferblk_port_queue_rq(q, rq, !bd->last);
	/* blk-mq ends the request with the error: it is counted as one. */
	if (status != BLK_STS_OK && status != BLK_STS_RESOURCE) {
		this_cpu_inc(stats->errors);
		this_cpu_inc(stats->parent_errors);
	}
	return status;
}

static void xferblk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	xferblk_port_kick(hctx->driver_data);
}

static int xferblk_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
			     unsigned int hctx_idx)
{
	struct xferblk_dev *xd = data;

	hctx->driver_data = &xd->queues[hctx_idx];
	return 0;
}

/* The hardware queue of each CPU is the one its interrupt vector serves. */
static void xferblk_map_queues(struct blk_mq_tag_set *set)
{
	struct xferblk_dev *xd = set->driver_data;

	xferblk_map_hw_queues(&set->map[HCTX_TYPE_DEFAULT], xd->pdev);
}

/* The driver's own timeout work aborts late commands, in both modes. */
static enum blk_eh_timer_return xferblk_rq_timeout(struct request *rq)
{
	return BLK_EH_RESET_TIMER;
}

static const struct blk_mq_ops xferblk_mq_ops = {
	.queue_rq = xferblk_queue_rq,
	.commit_rqs = xferblk_commit_rqs,
	.init_hctx = xferblk_init_hctx,
	.map_queues = xferblk_map_queues,
	.timeout = xferblk_rq_timeout,
};

const struct block_device_operations xferblk_mq_fops = {
	.owner = THIS_MODULE,
	.ioctl = xferblk_ioctl,
	.compat_ioctl = blkdev_compat_ptr_ioctl,
};

/* After the queues are set up: one hardware context per device queue. */
int xferblk_mq_init(struct xferblk_dev *xd)
{
	struct blk_mq_tag_set *set = &xd->tag_set;
	int ret;

	memset(set, 0, sizeof(*set));
	set->ops = &xferblk_mq_ops;
	set->nr_hw_queues = xd->nr_queues;
	/* Exactly the port's tags: queue_rq then always finds one free. */
	set->queue_depth = xd->queues[0].nr_tags;
	set->numa_node = dev_to_node(&xd->pdev->dev);
	set->cmd_size = sizeof(struct xferblk_rq);
	set->timeout = msecs_to_jiffies(READ_ONCE(xferblk_timeout_ms));
	set->driver_data = xd;
	set->flags = XFERBLK_MQ_FLAGS;
	ret = blk_mq_alloc_tag_set(set);
	/* ops marks a tag set xferblk_mq_exit() must free. */
	if (ret)
		set->ops = NULL;
	return ret;
}

void xferblk_mq_exit(struct xferblk_dev *xd)
{
	blk_mq_free_tag_set(&xd->tag_set);
}
