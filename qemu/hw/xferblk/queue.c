/*
 * xferblk: queues: rings, doorbells, completion posting, interrupts, queue stop
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "block/aio-wait.h"
#include "xferblk.h"
#include "trace.h"

/* Fibonacci hashing of a tag onto the max_depth chains of a queue. */
static XferblkTagChain *xferblk_tag_chain(XferblkQueue *q, uint16_t tag)
{
    unsigned bits = ctz32(q->s->max_depth);

    return &q->tag_table[((uint32_t)tag * 0x9e3779b1u) >> (32 - bits)];
}

/* The request that owns @tag on @q, if the tag is in flight. */
XferblkRequest *xferblk_tag_owner(XferblkQueue *q, uint16_t tag)
{
    XferblkRequest *req;

    QLIST_FOREACH(req, xferblk_tag_chain(q, tag), tag_link) {
        if (req->tag == tag) {
            return req;
        }
    }
    return NULL;
}

/* Makes the command the owner of its tag if no other command has it. */
bool xferblk_take_tag(XferblkQueue *q, XferblkRequest *req)
{
    if (xferblk_tag_owner(q, req->tag)) {
        return false;
    }
    QLIST_INSERT_HEAD(xferblk_tag_chain(q, req->tag), req, tag_link);
    req->owns_tag = true;
    return true;
}

static bool xferblk_cq_full(XferblkQueue *q)
{
    return ((q->cq_tail + 1) & (q->depth - 1)) == q->cq_head;
}

/*
 * Interrupt coalescing (spec 1.4): whether @q's pending entries may wait
 * for more, arming the queue's timer for the time limit if so. Never while
 * nothing else is in flight, nor with a full CQ: no more could come.
 */
static bool xferblk_irq_may_wait(XferblkQueue *q)
{
    XferblkState *s = q->s;
    uint32_t threshold = s->coalesce & XFERBLK_COALESCE_THRESHOLD;
    int64_t time_ns = (int64_t)(s->coalesce >> XFERBLK_COALESCE_TIME_SHIFT) *
                      SCALE_US;
    int64_t deadline = q->irq_first_ns + time_ns;

    if (threshold < 2 || !time_ns || q->irq_entries >= threshold ||
        !q->outstanding || xferblk_cq_full(q) ||
        qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) >= deadline) {
        return false;
    }
    timer_mod_anticipate_ns(q->coalesce_timer, deadline);
    return true;
}

void xferblk_irq_flush(XferblkQueue *q)
{
    PCIDevice *pdev = PCI_DEVICE(q->s);

    if (q->polled) {
        /* Its driver reads the CQ when it likes: nothing to signal. */
        q->irq_pending = false;
        q->irq_entries = 0;
        return;
    }
    if (!q->irq_pending || xferblk_irq_may_wait(q)) {
        return;
    }
    q->irq_pending = false;
    q->irq_entries = 0;
    timer_del(q->coalesce_timer);
    if (xferblk_chaos(q->s, XFERBLK_CHAOS_NO_IRQ)) {
        trace_xferblk_fault(xferblk_qid(q), 0,
                            xferblk_chaos_name(XFERBLK_CHAOS_NO_IRQ));
        return;
    }
    if (msix_enabled(pdev)) {
        q->s->counters[XFERBLK_CNT_INTERRUPTS]++;
        msix_notify(pdev, q->vector);
    }
}

void xferblk_coalesce_timer_cb(void *opaque)
{
    XferblkQueue *q = opaque;

    if (q->enabled) {
        xferblk_irq_flush(q);
    }
}

/* Forgets a request (and an ABORT waiting for it) without posting it. */
void xferblk_release(XferblkRequest *req)
{
    XferblkQueue *q = req->q;

    if (req->abort) {
        xferblk_release(req->abort);
    }
    if (req->owns_tag) {
        QLIST_REMOVE(req, tag_link);
    }
    if (req->accepted) {
        q->s->inflight--;
    }
    if (req->fake == XFERBLK_FAKE_NONE) {
        q->outstanding--;
    }
    if (req->has_qsg) {
        qemu_sglist_destroy(&req->qsg);
    }
    g_free(req->hung_sqe);
    g_free(req->scratch);
    g_free(req);
}

static void xferblk_count_completion(XferblkState *s, XferblkRequest *req)
{
    uint64_t *c = s->counters;

    c[XFERBLK_CNT_COMPLETED]++;
    /* A made-up status may be anything: only 0 to 15 have a counter. */
    if (req->status < XFERBLK_CNT_STATUS_NR) {
        c[XFERBLK_CNT_STATUS_BASE + req->status]++;
    }
    if (req->fake != XFERBLK_FAKE_NONE) {
        /* A completion, but no command. */
        return;
    }
    if (req->status >= XFERBLK_STS_FIRST_REJECT &&
        req->status <= XFERBLK_STS_LAST_REJECT) {
        c[XFERBLK_CNT_REJECTED]++;
    }
    if (req->status == XFERBLK_STS_ABORTED) {
        c[XFERBLK_CNT_ABORTS]++;
    }
    if (req->status != XFERBLK_STS_OK) {
        return;
    }
    switch (req->opcode) {
    case XFERBLK_OP_READ:
        c[XFERBLK_CNT_READS]++;
        c[XFERBLK_CNT_BYTES_READ] += req->result;
        break;
    case XFERBLK_OP_WRITE:
        c[XFERBLK_CNT_WRITES]++;
        c[XFERBLK_CNT_BYTES_WRITTEN] += req->result;
        if (req->fua) {
            c[XFERBLK_CNT_FUA_WRITES]++;
        }
        break;
    case XFERBLK_OP_FLUSH:
        c[XFERBLK_CNT_FLUSHES]++;
        break;
    case XFERBLK_OP_DISCARD:
        c[XFERBLK_CNT_DISCARDS]++;
        break;
    case XFERBLK_OP_WRITE_ZEROES:
        c[XFERBLK_CNT_WRITE_ZEROES]++;
        break;
    }
}

/*
 * Writes the completion entry at the CQ tail; the caller has checked that
 * the slot is free. The entry is first written with the stale phase and
 * only then given the current one, so a driver never sees the new phase
 * next to old contents.
 */
static void xferblk_post(XferblkRequest *req)
{
    XferblkQueue *q = req->q;
    XferblkState *s = q->s;
    PCIDevice *pdev = PCI_DEVICE(s);
    dma_addr_t addr = q->cq_addr + (dma_addr_t)q->cq_tail * XFERBLK_CQE_SIZE;
    struct xferblk_cqe cqe = { 0 };
    uint16_t phase = q->phase ? XFERBLK_CQE_PHASE : 0;
    MemTxResult res;

    if (req->fake == XFERBLK_FAKE_LIE &&
        req->lie_kind == XFERBLK_CHAOS_DUPLICATE &&
        xferblk_tag_owner(q, req->tag)) {
        /* Its tag is held again: that would be a real command's twin. */
        xferblk_release(req);
        return;
    }
    /* Picked now: no command may hold it when the entry appears. */
    if (req->fake == XFERBLK_FAKE_STRAY) {
        req->tag = xferblk_stray_tag(q);
    } else if (req->fake == XFERBLK_FAKE_LIE &&
               req->lie_kind == XFERBLK_CHAOS_STRAY) {
        req->tag = xferblk_chaos_stray_tag(q);
    }
    cqe.tag = cpu_to_le16(req->tag);
    cqe.status = cpu_to_le16(req->status);
    cqe.flags = cpu_to_le16(phase ^ XFERBLK_CQE_PHASE);
    cqe.sq_fetched = cpu_to_le32(req->early ? req->early_fetched :
                                 q->sq_fetched);
    if (req->status == XFERBLK_STS_OK) {
        cqe.result = cpu_to_le32(req->result - (req->short_xfer ?
                                 s->conf.logical_block_size : 0));
    }
    if (req->fake == XFERBLK_FAKE_NONE) {
        xferblk_chaos_lie(req, &cqe);
    } else if (req->fake == XFERBLK_FAKE_LIE) {
        xferblk_chaos_count(s, req->lie_kind);
        trace_xferblk_fault(xferblk_qid(q), req->tag,
                            xferblk_chaos_name(req->lie_kind));
    }
    /*
     * Into RAM only: a CQ aimed at MMIO (another device's registers, a
     * PCIe port's config window) could reset or unplug this very device
     * in the middle of posting. Such a completion is lost, as the spec
     * says of a CQ slot the device cannot write.
     */
    res = MEMTX_DECODE_ERROR;
    if (xferblk_dma_range_ok(pci_get_address_space(pdev), addr, sizeof(cqe),
                             DMA_DIRECTION_FROM_DEVICE)) {
        res = pci_dma_write(pdev, addr, &cqe, sizeof(cqe));
        cqe.flags = cpu_to_le16(phase);
        res |= pci_dma_write(pdev, addr + offsetof(struct xferblk_cqe, flags),
                             &cqe.flags, sizeof(cqe.flags));
    }
    trace_xferblk_complete(xferblk_qid(q), req->tag, req->status,
                           le32_to_cpu(cqe.result));
    if (res != MEMTX_OK) {
        trace_xferblk_cq_write_failed(xferblk_qid(q), (uint64_t)addr);
        qemu_log_mask(LOG_GUEST_ERROR,
                      "xferblk: queue %d: cannot write CQ entry at 0x%"
                      PRIx64 "\n", xferblk_qid(q), (uint64_t)addr);
    }

    q->cq_tail = (q->cq_tail + 1) & (q->depth - 1);
    if (q->cq_tail == 0) {
        q->phase = !q->phase;
    }
    if (!q->irq_pending) {
        q->irq_first_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    }
    q->irq_pending = true;
    q->irq_entries++;
    xferblk_count_completion(s, req);
    if (req->fake == XFERBLK_FAKE_NONE && s->hostile_armed) {
        xferblk_hostile(req);
    }
    if (req->fake == XFERBLK_FAKE_NONE && s->fault.chaos_ppm) {
        xferblk_chaos_posted(q, &cqe);
    }
    xferblk_release(req);
}

/*
 * Posts finished requests in order while the first one is due and the CQ
 * has room; arms the delay timer for one that is not due yet.
 */
void xferblk_post_ready(XferblkQueue *q)
{
    XferblkRequest *req;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    while ((req = QTAILQ_FIRST(&q->done)) && !xferblk_cq_full(q)) {
        if (req->ready_ns > now) {
            timer_mod_anticipate_ns(q->s->delay_timer, req->ready_ns);
            break;
        }
        QTAILQ_REMOVE(&q->done, req, entry);
        xferblk_post(req);
    }
}

void xferblk_post_bh(void *opaque)
{
    XferblkState *s = opaque;
    uint32_t i;

    for (i = 0; i < s->num_queues; i++) {
        XferblkQueue *q = &s->queues[i];

        if (q->enabled) {
            xferblk_post_ready(q);
            xferblk_irq_flush(q);
        }
    }
}

void xferblk_delay_timer_cb(void *opaque)
{
    XferblkState *s = opaque;

    qemu_bh_schedule(s->post_bh);
}

/*
 * A request has finished with req->status: queue its completion (and that
 * of an ABORT waiting for it, which must be written after it). It is held
 * FAULT_DELAY_US plus a draw of FAULT_JITTER_US, and not before
 * @not_before. The done list stays sorted by due time, finishing order
 * among equals, so an ABORT due no earlier than its target follows it. The
 * caller posts, from MMIO context, or schedules the bottom half.
 */
void xferblk_finish(XferblkRequest *req, int64_t not_before)
{
    XferblkQueue *q = req->q;
    XferblkState *s = q->s;
    XferblkRequest *abort = req->abort;
    XferblkRequest *prev;
    int64_t hold_us = s->fault.delay_us;

    if (s->fault.jitter_us) {
        hold_us += xferblk_rng_below(&s->jitter_rng,
                                     (uint64_t)s->fault.jitter_us + 1);
    }
    if (xferblk_chaos(s, XFERBLK_CHAOS_DELAY)) {
        hold_us += xferblk_rng_below(&s->chaos_rng, XFERBLK_CHAOS_DELAY_US + 1);
    }
    req->ready_ns = 0;
    if (hold_us) {
        req->ready_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                        hold_us * SCALE_US;
    }
    req->ready_ns = MAX(req->ready_ns, not_before);
    req->state = XFERBLK_REQ_DONE;
    QTAILQ_FOREACH_REVERSE(prev, &q->done, entry) {
        if (prev->ready_ns <= req->ready_ns) {
            break;
        }
    }
    if (prev) {
        QTAILQ_INSERT_AFTER(&q->done, prev, req, entry);
    } else {
        QTAILQ_INSERT_HEAD(&q->done, req, entry);
    }

    if (abort) {
        req->abort = NULL;
        abort->status = XFERBLK_STS_OK;
        abort->result = 1;
        xferblk_finish(abort, req->ready_ns);
    }
}

void xferblk_sq_doorbell(XferblkQueue *q, uint32_t tail)
{
    PCIDevice *pdev = PCI_DEVICE(q->s);
    struct xferblk_sqe sqe;
    dma_addr_t addr;

    if (!q->enabled) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "xferblk: SQ doorbell of disabled queue %d\n",
                      xferblk_qid(q));
        return;
    }
    if (tail >= q->depth) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "xferblk: queue %d: SQ tail %u beyond depth %u\n",
                      xferblk_qid(q), tail, q->depth);
        return;
    }

    while (q->sq_head != tail) {
        if (q->outstanding >= q->depth) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "xferblk: queue %d: more than %u commands in "
                          "flight, fetching stalls\n",
                          xferblk_qid(q), q->depth);
            break;
        }
        addr = q->sq_addr + (dma_addr_t)q->sq_head * XFERBLK_SQE_SIZE;
        /* From RAM only, as for the CQ (xferblk_post()). */
        if (!xferblk_dma_range_ok(pci_get_address_space(pdev), addr,
                                  sizeof(sqe), DMA_DIRECTION_TO_DEVICE) ||
            pci_dma_read(pdev, addr, &sqe, sizeof(sqe)) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "xferblk: queue %d: cannot read SQ entry at 0x%"
                          PRIx64 "\n", xferblk_qid(q), (uint64_t)addr);
            break;
        }
        xferblk_chaos_early(q, &sqe);
        q->sq_head = (q->sq_head + 1) & (q->depth - 1);
        q->sq_fetched++;
        xferblk_process_sqe(q, &sqe);
    }
    xferblk_batch_submit(q);
    xferblk_post_ready(q);
    xferblk_irq_flush(q);
}

void xferblk_cq_doorbell(XferblkQueue *q, uint32_t head)
{
    if (!q->enabled) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "xferblk: CQ doorbell of disabled queue %d\n",
                      xferblk_qid(q));
        return;
    }
    if (head >= q->depth) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "xferblk: queue %d: CQ head %u beyond depth %u\n",
                      xferblk_qid(q), head, q->depth);
        return;
    }

    q->cq_head = head;
    xferblk_post_ready(q);
    xferblk_irq_flush(q);
}

/* Whether a disabled queue still has commands in the block layer. */
static bool xferblk_disabled_busy(XferblkState *s)
{
    uint32_t i;

    for (i = 0; i < s->num_queues; i++) {
        if (!s->queues[i].enabled && !QTAILQ_EMPTY(&s->queues[i].backend)) {
            return true;
        }
    }
    return false;
}

/* Cancels what the disabled queues hold; see xferblk_drain_disabled(). */
static void xferblk_cancel_disabled(XferblkState *s)
{
    g_autoptr(GPtrArray) acbs = g_ptr_array_new();
    XferblkRequest *req;
    uint32_t i;

    for (i = 0; i < s->num_queues; i++) {
        XferblkQueue *q = &s->queues[i];

        if (q->enabled) {
            continue;
        }
        QTAILQ_FOREACH(req, &q->backend, entry) {
            if (!req->merge) {
                g_ptr_array_add(acbs, req->aiocb);
            } else if (req == req->merge->reqs[0]) {
                g_ptr_array_add(acbs, req->merge->aiocb);
            }
        }
    }
    for (i = 0; i < acbs->len; i++) {
        blk_aio_cancel_async(g_ptr_array_index(acbs, i));
    }
}

/*
 * Waits until no disabled queue has a command in the block layer; their
 * completions are discarded as they arrive (xferblk_io_cb()), so that once
 * this returns nothing more moves to or from guest memory for them.
 *
 * The whole BlockBackend is drained, which also finishes the commands of
 * the queues still enabled: those complete normally and are posted to
 * their queues as usual (completion order is not part of the interface).
 * Waiting for the disabled queues' commands alone is not offered by the
 * block layer: a submitted request cannot be cancelled (the AIOCBs of
 * blk_aio_preadv() and friends just run to their end), and a request held
 * back, by a throttle group for example, runs at once only inside a drain.
 * Polling for a subset would hold the vCPU in this MMIO write for as long
 * as a throttle keeps the requests (seconds), where the drain takes as long
 * as the I/O the device has in flight, at most queues x (depth - 1)
 * commands of at most max-transfer bytes. And nothing is drained unless
 * some disabled queue has a command in the block layer: disabling an idle
 * queue, or any queue of a null backend, never waits.
 */
static void xferblk_drain_disabled(XferblkState *s)
{
    /*
     * A request still here after a drain either never reached the block
     * layer (dma_blk_io() is waiting for a bounce buffer: cancelling it
     * completes it at once, and with it every command merged into it; the
     * AIOCBs are collected first, as the list changes under a cancel), or
     * moves in rounds (through a bounce buffer once bus mastering is off),
     * each issued from the last one's callback: a round issued inside a
     * drain is queued and restarted when the drain ends, and then moves
     * while the main loop runs. xferfuzz found the second case:
     * tools/xferfuzz/regressions/drain-disabled-*.txt.
     */
    while (xferblk_disabled_busy(s)) {
        blk_drain(s->conf.blk);
        if (!xferblk_disabled_busy(s)) {
            break;
        }
        xferblk_cancel_disabled(s);
        /*
         * What is left is either moving on its own, or held by a drained
         * section that is not ours (a block job's, which this vCPU would
         * otherwise keep from ever ending): let the main loop run.
         */
        AIO_WAIT_WHILE(NULL, xferblk_disabled_busy(s));
    }
}

/*
 * Drops every command a disabled queue still holds; xferblk_drain_disabled()
 * has already ended those in the block layer.
 */
static void xferblk_queue_quiesce(XferblkQueue *q)
{
    XferblkRequest *req;

    assert(!q->enabled);
    assert(QTAILQ_EMPTY(&q->backend));

    while ((req = QTAILQ_FIRST(&q->hung))) {
        QTAILQ_REMOVE(&q->hung, req, entry);
        xferblk_release(req);
    }
    while ((req = QTAILQ_FIRST(&q->done))) {
        QTAILQ_REMOVE(&q->done, req, entry);
        xferblk_release(req);
    }
    assert(q->outstanding == 0);
    q->irq_pending = false;
    q->irq_entries = 0;
    timer_del(q->coalesce_timer);
}

void xferblk_queue_enable(XferblkQueue *q, bool polled)
{
    XferblkState *s = q->s;

    if (q->enabled) {
        return;
    }
    if (!(s->ctrl & XFERBLK_CTRL_ENABLE)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "xferblk: queue %d enabled while device not ready\n",
                      xferblk_qid(q));
        return;
    }
    if (q->depth < 2 || q->depth > s->max_depth || !is_power_of_2(q->depth) ||
        !q->sq_addr || q->sq_addr % XFERBLK_SQE_SIZE ||
        !q->cq_addr || q->cq_addr % XFERBLK_CQE_SIZE ||
        (!polled && q->vector >= s->num_queues)) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "xferblk: queue %d: invalid configuration (sq 0x%"
                      PRIx64 " cq 0x%" PRIx64 " depth %u vector %u)\n",
                      xferblk_qid(q), q->sq_addr, q->cq_addr, q->depth,
                      q->vector);
        return;
    }

    q->sq_head = 0;
    q->cq_head = 0;
    q->cq_tail = 0;
    q->phase = true;
    q->irq_pending = false;
    q->irq_entries = 0;
    bitmap_zero(q->seen_tags, XFERBLK_TAG_SPACE);
    q->stray_next = XFERBLK_TAG_SPACE - 1;
    q->sq_fetched = 0;
    q->recent_n = 0;
    q->polled = polled;
    q->enabled = true;
}

void xferblk_queue_disable(XferblkQueue *q)
{
    if (!q->enabled) {
        return;
    }
    q->enabled = false;
    xferblk_drain_disabled(q->s);
    xferblk_queue_quiesce(q);
}

/*
 * CTRL.RESET, clearing CTRL.ENABLE, device reset and unrealize: finish the
 * backend I/O (one drain for all queues, if any has some), discard every
 * completion, disable and clear every queue. Counters and fault injection
 * settings survive.
 */
void xferblk_stop(XferblkState *s)
{
    uint32_t i;

    trace_xferblk_stop();
    s->ctrl = 0;
    for (i = 0; i < s->num_queues; i++) {
        s->queues[i].enabled = false;
    }
    xferblk_drain_disabled(s);
    for (i = 0; i < s->num_queues; i++) {
        XferblkQueue *q = &s->queues[i];

        xferblk_queue_quiesce(q);
        q->sq_addr = 0;
        q->cq_addr = 0;
        q->depth = 0;
        q->vector = 0;
        q->sq_head = 0;
        q->cq_head = 0;
        q->cq_tail = 0;
        q->phase = true;
    }
    timer_del(s->delay_timer);
    s->coalesce = 0;
    assert(s->inflight == 0);
}
