// SPDX-License-Identifier: GPL-2.0-only
/*
 * Recovery, in one place: the timeout work finds commands past their
 * deadline and aborts them one at a time per queue; an abort that goes
 * unanswered (or a device that cannot abort, or one that lost a command)
 * makes it reset the controller, which fails everything the device held
 * (docs/design.md, "Timeouts and resets").
 */
#include <linux/delay.h>

#include "xferblk.h"

#define XFERBLK_RESET_TIMEOUT_MS 5000

/*
 * Resets the device; 0 once it says so. A reset clears every queue's
 * ENABLE too, so a queue still enabled means the reset did not happen,
 * whatever STATUS said (a device that lies must not get its buffers back
 * under bus mastering).
 */
int xferblk_reset(struct xferblk_dev *xd)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(XFERBLK_RESET_TIMEOUT_MS);
	unsigned int qid;
	u32 status;

	xferblk_write32(xd, XFERBLK_REG_CTRL, XFERBLK_CTRL_RESET);
	for (;;) {
		status = xferblk_read32(xd, XFERBLK_REG_STATUS);
		/* All ones: the device is gone and will not touch memory again. */
		if (status == U32_MAX)
			return 0;
		if (!(status & XFERBLK_STATUS_READY))
			break;
		if (time_after(jiffies, timeout))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
	for (qid = 0; qid < xd->nr_queues; qid++)
		if (xferblk_read32(xd, XFERBLK_REG_QUEUE(qid) + XFERBLK_QREG_CTRL) &
		    XFERBLK_QCTRL_ENABLE)
			return -EIO;
	return 0;
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

	/* A completion whose interrupt went missing is not a timeout. */
	xferblk_port_reap(q);
	spin_lock_irq(&q->cq_lock);
	if (q->reset_wanted) {
		reset = true;
		goto out;
	}
	if (q->abort_target >= 0) {
		reset = time_after(now, q->abort_deadline);
		goto out;
	}
	for (tag = 0; tag < q->nr_tags; tag++) {
		struct xferblk_cmd *cmd = &q->cmds[tag];

		/*
		 * Rung publishes the owner's deadline, generation and seq: a
		 * slot being filled may still hold the last owner's deadline.
		 */
		if (!smp_load_acquire(&cmd->rung) || !xferblk_cmd_busy(cmd) ||
		    !time_after(now, cmd->deadline))
			continue;
		dev_warn_ratelimited(&xd->pdev->dev, "queue %u: command %u timed out\n",
				     q->qid, tag);
		if (!(xd->features & XFERBLK_FEAT_ABORT)) {
			reset = true;
			break;
		}
		xferblk_port_abort(q, tag);
		break;
	}
out:
	spin_unlock_irq(&q->cq_lock);
	return reset;
}

/*
 * The last resort: reset the device, fail everything it held, bring the
 * queues back. New commands fail with EIO while this runs, and for as long
 * as the controller stays broken (a reset that does not take, queues that
 * will not enable): the timeout work then tries again each period.
 *
 * Bus mastering goes off before any command is failed, whatever the reset
 * did (as NVMe disables the device before it cancels requests): a device
 * that ignored the reset can then no longer DMA into a buffer whose
 * command has been completed, and its owner reused. Only a reset that
 * took turns it back on.
 */
static void xferblk_reset_controller(struct xferblk_dev *xd)
{
	struct device *dev = &xd->pdev->dev;
	bool was_broken = xd->broken;
	unsigned int qid;
	int ret;

	if (!was_broken)
		dev_warn(dev, "resetting the controller\n");
	this_cpu_inc(xd->stats->resets);
	xferblk_set_stopped(xd, true);
	ret = xferblk_reset(xd);
	/* A device that is gone "resets" (all ones) but never comes back. */
	if (!ret && !pci_device_is_present(xd->pdev))
		ret = -ENODEV;
	pci_clear_master(xd->pdev);
	for (qid = 0; qid < xd->nr_queues; qid++) {
		xferblk_port_sync_reaping(&xd->queues[qid]);
		/* What the device finished before the reset ends as it said. */
		if (!ret)
			xferblk_port_reap(&xd->queues[qid]);
	}
	xferblk_port_fail_all(xd, BLK_STS_IOERR);

	xd->broken = true;
	if (ret) {
		if (!was_broken)
			dev_err(dev, "device did not reset; I/O fails until it does\n");
		return;
	}
	/* Enabling moves no data: bus mastering waits until all is back. */
	xferblk_write32(xd, XFERBLK_REG_CTRL, XFERBLK_CTRL_ENABLE);
	/* A reset cleared it. */
	xferblk_port_set_coalescing(xd);
	for (qid = 0; qid < xd->nr_queues; qid++) {
		if (xferblk_queue_enable(xd, &xd->queues[qid])) {
			if (!was_broken)
				dev_err(dev, "controller did not come back; I/O fails until it does\n");
			return;
		}
	}
	pci_set_master(xd->pdev);
	xd->broken = false;
	if (was_broken)
		dev_info(dev, "controller recovered\n");
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
	if (reset || xd->broken)
		xferblk_reset_controller(xd);
	queue_delayed_work(xd->wq, &xd->timeout_work, msecs_to_jiffies(period));
}

