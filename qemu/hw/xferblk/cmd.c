/*
 * xferblk: commands: validation, the backend, merging, ABORT
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "xferblk.h"
#include "trace.h"

void xferblk_io_cb(void *opaque, int ret)
{
    XferblkRequest *req = opaque;
    XferblkQueue *q = req->q;

    req->aiocb = NULL;
    QTAILQ_REMOVE(&q->backend, req, entry);
    if (req->dma_fault) {
        /* The image was read; the data dies on the bus. */
        block_acct_failed(xferblk_stats(q->s), &req->acct);
        req->status = XFERBLK_STS_DMA_ERROR;
    } else if (ret < 0) {
        block_acct_failed(xferblk_stats(q->s), &req->acct);
        req->status = XFERBLK_STS_MEDIA_ERROR;
    } else {
        block_acct_done(xferblk_stats(q->s), &req->acct);
        req->status = XFERBLK_STS_OK;
    }
    if (req->aborted) {
        req->status = XFERBLK_STS_ABORTED;
    }

    if (!q->enabled) {
        /* The queue is being stopped: the completion is discarded. */
        xferblk_release(req);
        return;
    }
    xferblk_finish(req, 0);
    qemu_bh_schedule(q->s->post_bh);
}

static BlockAIOCB *xferblk_dma_write_fua(int64_t offset, QEMUIOVector *iov,
                                         BlockCompletionFunc *cb,
                                         void *cb_opaque, void *opaque)
{
    BlockBackend *blk = opaque;

    return blk_aio_pwritev(blk, offset, iov, BDRV_REQ_FUA, cb, cb_opaque);
}

/*
 * Step 8 for one SG entry: the range must be guest memory that
 * dma_blk_io() can map in place. Anything else (unassigned space, MMIO
 * needing bounce buffers, ROM as a READ target) is a DMA error, which
 * also keeps a transfer from reaching the device's own registers.
 */
bool xferblk_dma_range_ok(AddressSpace *as, dma_addr_t addr,
                          dma_addr_t len, DMADirection dir)
{
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    bool is_write = dir == DMA_DIRECTION_FROM_DEVICE;

    if (addr + len - 1 < addr || !dma_memory_valid(as, addr, len, dir, attrs)) {
        return false;
    }

    RCU_READ_LOCK_GUARD();
    while (len) {
        hwaddr xlat, l = len;
        MemoryRegion *mr = address_space_translate(as, addr, &xlat, &l,
                                                   is_write, attrs);

        if (!l || !memory_access_is_direct(mr, is_write, attrs)) {
            return false;
        }
        addr += l;
        len -= l;
    }
    return true;
}

static bool xferblk_opcode_offered(XferblkState *s, uint8_t opcode)
{
    switch (opcode) {
    case XFERBLK_OP_READ:
    case XFERBLK_OP_WRITE:
    case XFERBLK_OP_FLUSH:
        return true;
    case XFERBLK_OP_DISCARD:
        return s->features & XFERBLK_FEAT_DISCARD;
    case XFERBLK_OP_WRITE_ZEROES:
        return s->features & XFERBLK_FEAT_WRITE_ZEROES;
    case XFERBLK_OP_ABORT:
        return s->features & XFERBLK_FEAT_ABORT;
    }
    return false;
}

/* Validation steps 1 to 5 of the spec: the entry alone. */
static uint16_t xferblk_check_sqe(XferblkQueue *q,
                                  const struct xferblk_sqe *sqe,
                                  XferblkRequest *req)
{
    XferblkState *s = q->s;
    uint8_t flags = sqe->flags;
    uint16_t nsge = le16_to_cpu(sqe->nsge);
    uint64_t lba = le64_to_cpu(sqe->lba);
    uint32_t nblocks = le32_to_cpu(sqe->nblocks);
    uint64_t nbytes = (uint64_t)nblocks * s->conf.logical_block_size;
    bool rsvd = sqe->rsvd0 || sqe->rsvd1 || sqe->rsvd2[0] ||
                sqe->rsvd2[1] || sqe->rsvd2[2] || sqe->rsvd2[3];
    bool data = false, sized = false, bad;
    uint8_t allowed = 0;

    /* 1 */
    if (!xferblk_opcode_offered(s, req->opcode)) {
        return XFERBLK_STS_INVALID_OPCODE;
    }

    /* 2 */
    switch (req->opcode) {
    case XFERBLK_OP_READ:
        data = true;
        break;
    case XFERBLK_OP_WRITE:
        data = true;
        allowed = XFERBLK_CMD_FUA;
        break;
    case XFERBLK_OP_DISCARD:
        sized = true;
        break;
    case XFERBLK_OP_WRITE_ZEROES:
        sized = true;
        allowed = XFERBLK_CMD_UNMAP;
        break;
    }
    if (rsvd || (flags & ~allowed)) {
        return XFERBLK_STS_INVALID_FIELD;
    }
    if (data) {
        bad = !nblocks || !nsge;
    } else if (sized) {
        bad = !nblocks || nsge;
    } else {
        bad = nblocks || nsge;
    }
    if (bad) {
        return XFERBLK_STS_INVALID_FIELD;
    }
    if (!xferblk_take_tag(q, req)) {
        return XFERBLK_STS_INVALID_FIELD;
    }
    req->fua = flags & XFERBLK_CMD_FUA;

    if (req->opcode == XFERBLK_OP_ABORT) {
        return XFERBLK_STS_OK;
    }

    /* 3 */
    if (lba > s->capacity || nblocks > s->capacity - lba) {
        return XFERBLK_STS_LBA_RANGE;
    }
    /* 4 */
    switch (req->opcode) {
    case XFERBLK_OP_READ:
    case XFERBLK_OP_WRITE:
        if (nbytes > s->max_xfer) {
            return XFERBLK_STS_XFER_TOO_LARGE;
        }
        req->lba = lba;
        req->nblocks = nblocks;
        req->result = nbytes;
        break;
    case XFERBLK_OP_DISCARD:
        if (nblocks > s->max_discard) {
            return XFERBLK_STS_XFER_TOO_LARGE;
        }
        break;
    case XFERBLK_OP_WRITE_ZEROES:
        if (nblocks > s->max_wzeroes) {
            return XFERBLK_STS_XFER_TOO_LARGE;
        }
        break;
    }
    /* 5 */
    if (nsge > s->max_segs) {
        return XFERBLK_STS_TOO_MANY_SEGS;
    }
    return XFERBLK_STS_OK;
}

/* SG entries converted in place: addr and len in host order. */
typedef struct XferblkSeg {
    uint64_t addr;
    uint32_t len;
    uint32_t rsvd;
} XferblkSeg;

QEMU_BUILD_BUG_ON(sizeof(XferblkSeg) != XFERBLK_SGE_SIZE);

/* SG lists up to this long are read onto the stack, longer ones the heap. */
#define XFERBLK_SGL_ON_STACK    32

/*
 * Validation steps 6 to 8: reads the SG list, checks it, and on success
 * leaves it in req->qsg (with the null backend, which moves no data, it
 * is only checked). Step 7 checks its three conditions as three passes
 * over all entries, so the status does not depend on which entry is at
 * fault first.
 */
static uint16_t xferblk_load_sgl(XferblkQueue *q,
                                 const struct xferblk_sqe *sqe,
                                 XferblkRequest *req)
{
    XferblkState *s = q->s;
    PCIDevice *pdev = PCI_DEVICE(s);
    AddressSpace *as = pci_get_address_space(pdev);
    DMADirection dir = req->opcode == XFERBLK_OP_READ ?
                       DMA_DIRECTION_FROM_DEVICE : DMA_DIRECTION_TO_DEVICE;
    uint16_t nsge = le16_to_cpu(sqe->nsge);
    uint64_t sgl = le64_to_cpu(sqe->sgl);
    uint64_t sgl_len = (uint64_t)nsge * XFERBLK_SGE_SIZE;
    uint64_t mask = s->seg_boundary;
    XferblkSeg on_stack[XFERBLK_SGL_ON_STACK];
    g_autofree XferblkSeg *on_heap = NULL;
    XferblkSeg *seg = on_stack;
    uint64_t total = 0;
    int i;

    if (nsge > XFERBLK_SGL_ON_STACK) {
        seg = on_heap = g_new(XferblkSeg, nsge);
    }

    /* 6: from RAM only, so no read has side effects elsewhere */
    if (!xferblk_dma_range_ok(as, sgl, sgl_len, DMA_DIRECTION_TO_DEVICE) ||
        pci_dma_read(pdev, sgl, seg, sgl_len) != MEMTX_OK) {
        return XFERBLK_STS_DMA_ERROR;
    }

    /* 7 */
    for (i = 0; i < nsge; i++) {
        seg[i].addr = le64_to_cpu(seg[i].addr);
        seg[i].len = le32_to_cpu(seg[i].len);
        if (!seg[i].len || seg[i].rsvd) {
            return XFERBLK_STS_INVALID_FIELD;
        }
        total += seg[i].len;
    }
    if (total != req->result) {
        return XFERBLK_STS_INVALID_FIELD;
    }
    for (i = 0; i < nsge; i++) {
        if (seg[i].len > s->max_seg_size) {
            return XFERBLK_STS_SEG_TOO_LARGE;
        }
    }
    for (i = 0; i < nsge; i++) {
        if ((seg[i].addr & ~mask) !=
            ((seg[i].addr + seg[i].len - 1) & ~mask)) {
            return XFERBLK_STS_SEG_BOUNDARY;
        }
    }

    /*
     * 8: dma_blk_io() would wait forever for a range it cannot map, so
     * every range must be known good before the command is accepted.
     */
    for (i = 0; i < nsge; i++) {
        if (!xferblk_dma_range_ok(as, seg[i].addr, seg[i].len, dir)) {
            return XFERBLK_STS_DMA_ERROR;
        }
    }

    if (s->null_backend) {
        return XFERBLK_STS_OK;
    }
    qemu_sglist_init(&req->qsg, DEVICE(s), nsge, as);
    req->has_qsg = true;
    for (i = 0; i < nsge; i++) {
        qemu_sglist_add(&req->qsg, seg[i].addr, seg[i].len);
    }
    return XFERBLK_STS_OK;
}

static void xferblk_accept(XferblkRequest *req)
{
    XferblkState *s = req->q->s;

    req->accepted = true;
    s->inflight++;
    if (s->inflight > s->counters[XFERBLK_CNT_MAX_INFLIGHT]) {
        s->counters[XFERBLK_CNT_MAX_INFLIGHT] = s->inflight;
    }
}

/* The command goes to the block layer: it is in the backend from now on. */
static void xferblk_enter_backend(XferblkRequest *req, int64_t bytes,
                                  enum BlockAcctType type)
{
    XferblkQueue *q = req->q;

    req->state = XFERBLK_REQ_BACKEND;
    QTAILQ_INSERT_TAIL(&q->backend, req, entry);
    block_acct_start(xferblk_stats(q->s), &req->acct, bytes, type);
}

/* The data transfer of a READ or WRITE over @qsg, from byte @offset. */
static BlockAIOCB *xferblk_dma_rw(XferblkState *s, uint8_t opcode, bool fua,
                                  QEMUSGList *qsg, int64_t offset,
                                  BlockCompletionFunc *cb, void *opaque)
{
    BlockBackend *blk = s->conf.blk;

    s->counters[XFERBLK_CNT_BACKEND_REQS]++;
    if (opcode == XFERBLK_OP_READ) {
        return dma_blk_read(blk, qsg, offset, BDRV_SECTOR_SIZE, cb, opaque);
    }
    if (fua) {
        return dma_blk_io(qsg, offset, BDRV_SECTOR_SIZE,
                          xferblk_dma_write_fua, blk, cb, opaque,
                          DMA_DIRECTION_TO_DEVICE);
    }
    return dma_blk_write(blk, qsg, offset, BDRV_SECTOR_SIZE, cb, opaque);
}

/* A READ or WRITE in the backend state goes to the block layer alone. */
static void xferblk_submit_rw(XferblkRequest *req)
{
    XferblkState *s = req->q->s;

    req->aiocb = xferblk_dma_rw(s, req->opcode, req->fua, &req->qsg,
                                req->lba * s->conf.logical_block_size,
                                xferblk_io_cb, req);
}

/*
 * Whether @req's memory is still what step 8 accepted: bus mastering may
 * have gone off since (xferfuzz found a retry that then crawled through
 * bounce buffers past a queue disable).
 */
static bool xferblk_qsg_ok(XferblkRequest *req)
{
    DMADirection dir = req->opcode == XFERBLK_OP_READ ?
                       DMA_DIRECTION_FROM_DEVICE : DMA_DIRECTION_TO_DEVICE;
    int i;

    for (i = 0; i < req->qsg.nsg; i++) {
        if (!xferblk_dma_range_ok(req->qsg.as, req->qsg.sg[i].base,
                                  req->qsg.sg[i].len, dir)) {
            return false;
        }
    }
    return true;
}

/*
 * The end of a merged request. On success its commands end with it. On
 * failure each is sent again alone, so that each ends with a status of
 * its own, but for an aborted one, which ends now (with ABORTED), and one
 * whose memory the device can no longer reach, which ends with DMA_ERROR
 * without touching it. With its queue disabled, every completion is
 * discarded anyway.
 */
static void xferblk_merge_cb(void *opaque, int ret)
{
    XferblkMerge *m = opaque;
    bool retry = ret < 0 && m->q->enabled;
    unsigned i;

    m->aiocb = NULL;
    for (i = 0; i < m->n; i++) {
        XferblkRequest *req = m->reqs[i];

        req->merge = NULL;
        if (retry && !req->aborted && xferblk_qsg_ok(req)) {
            xferblk_submit_rw(req);
        } else {
            req->dma_fault |= retry && !req->aborted;
            xferblk_io_cb(req, ret);
        }
    }
    qemu_sglist_destroy(&m->qsg);
    g_free(m);
}

/*
 * Sends the batch of @q to the block layer: one command as usual, more as
 * one request over their SG lists put end to end.
 */
void xferblk_batch_submit(XferblkQueue *q)
{
    XferblkState *s = q->s;
    XferblkBatch *b = &q->batch;
    XferblkRequest *first = b->reqs[0];
    XferblkMerge *m;
    unsigned i;
    int j;

    if (!b->n) {
        return;
    }
    if (b->n == 1) {
        b->n = 0;
        xferblk_submit_rw(first);
        return;
    }

    m = g_new0(XferblkMerge, 1);
    m->q = q;
    m->n = b->n;
    qemu_sglist_init(&m->qsg, DEVICE(s), b->nsg,
                     pci_get_address_space(PCI_DEVICE(s)));
    for (i = 0; i < b->n; i++) {
        XferblkRequest *req = b->reqs[i];

        for (j = 0; j < req->qsg.nsg; j++) {
            qemu_sglist_add(&m->qsg, req->qsg.sg[j].base, req->qsg.sg[j].len);
        }
        req->merge = m;
        m->reqs[i] = req;
    }
    b->n = 0;
    trace_xferblk_merge(xferblk_qid(q), m->n, (uint64_t)m->qsg.size);
    block_acct_merge_done(xferblk_stats(s),
                          first->opcode == XFERBLK_OP_READ ?
                          BLOCK_ACCT_READ : BLOCK_ACCT_WRITE, m->n - 1);
    m->aiocb = xferblk_dma_rw(s, first->opcode, first->fua, &m->qsg,
                              first->lba * s->conf.logical_block_size,
                              xferblk_merge_cb, m);
}

/*
 * Whether @req, a READ or WRITE the batch does not end in, may join the
 * batch: within the caps, which are also the block layer's limits for one
 * request, the same opcode and FUA flag, and its first block the one
 * after the batch's last.
 */
static bool xferblk_batch_fits(XferblkQueue *q, XferblkRequest *req)
{
    BlockBackend *blk = q->s->conf.blk;
    XferblkBatch *b = &q->batch;
    XferblkRequest *first = b->reqs[0];
    uint64_t max_bytes = MIN(XFERBLK_MERGE_MAX_BYTES,
                             blk_get_max_transfer(blk));
    int max_iov = MIN(IOV_MAX, blk_get_max_iov(blk));

    return b->n < XFERBLK_MERGE_MAX_CMDS &&
           req->opcode == first->opcode && req->fua == first->fua &&
           req->lba == b->end_lba &&
           b->bytes + req->result <= max_bytes &&
           b->nsg + req->qsg.nsg <= max_iov;
}

/* An accepted READ or WRITE without a fault joins the batch of its queue. */
static void xferblk_batch_add(XferblkQueue *q, XferblkRequest *req)
{
    XferblkBatch *b = &q->batch;

    if (b->n && !xferblk_batch_fits(q, req)) {
        xferblk_batch_submit(q);
    }
    if (!b->n) {
        b->bytes = 0;
        b->nsg = 0;
    }
    xferblk_enter_backend(req, req->result,
                          req->opcode == XFERBLK_OP_READ ?
                          BLOCK_ACCT_READ : BLOCK_ACCT_WRITE);
    b->reqs[b->n++] = req;
    b->end_lba = req->lba + req->nblocks;
    b->bytes += req->result;
    b->nsg += req->qsg.nsg;
}

/* Hands an accepted command to the block layer. */
static void xferblk_start_io(XferblkRequest *req, const struct xferblk_sqe *sqe)
{
    XferblkQueue *q = req->q;
    XferblkState *s = q->s;
    BlockBackend *blk = s->conf.blk;
    uint32_t bs = s->conf.logical_block_size;
    int64_t offset = le64_to_cpu(sqe->lba) * bs;
    int64_t bytes = (int64_t)le32_to_cpu(sqe->nblocks) * bs;
    BdrvRequestFlags flags = 0;

    switch (req->opcode) {
    case XFERBLK_OP_READ:
        xferblk_enter_backend(req, bytes, BLOCK_ACCT_READ);
        if (req->dma_fault) {
            /* Read the image into a buffer the guest never sees. */
            req->scratch = g_try_malloc(bytes);
            if (!req->scratch) {
                xferblk_io_cb(req, -ENOMEM);
                return;
            }
            qemu_iovec_init_buf(&req->scratch_iov, req->scratch, bytes);
            req->aiocb = blk_aio_preadv(blk, offset, &req->scratch_iov, 0,
                                        xferblk_io_cb, req);
            break;
        }
        xferblk_submit_rw(req);
        return;
    case XFERBLK_OP_WRITE:
        xferblk_enter_backend(req, bytes, BLOCK_ACCT_WRITE);
        xferblk_submit_rw(req);
        return;
    case XFERBLK_OP_FLUSH:
        xferblk_enter_backend(req, 0, BLOCK_ACCT_FLUSH);
        req->aiocb = blk_aio_flush(blk, xferblk_io_cb, req);
        break;
    case XFERBLK_OP_DISCARD:
    case XFERBLK_OP_WRITE_ZEROES:
        /* Zeroes with MAY_UNMAP deallocates where it can: reads give 0. */
        if (req->opcode == XFERBLK_OP_DISCARD ||
            (sqe->flags & XFERBLK_CMD_UNMAP)) {
            flags = BDRV_REQ_MAY_UNMAP;
        }
        xferblk_enter_backend(req, bytes,
                              req->opcode == XFERBLK_OP_DISCARD ?
                              BLOCK_ACCT_UNMAP : BLOCK_ACCT_WRITE);
        req->aiocb = blk_aio_pwrite_zeroes(blk, offset, bytes, flags,
                                           xferblk_io_cb, req);
        break;
    default:
        g_assert_not_reached();
    }
    s->counters[XFERBLK_CNT_BACKEND_REQS]++;
}

/* Finds the unposted command that holds @tag, ABORTs excepted. */
static XferblkRequest *xferblk_find_tag(XferblkQueue *q, uint64_t tag)
{
    XferblkRequest *req;

    if (tag >= XFERBLK_TAG_SPACE) {
        return NULL;
    }
    req = xferblk_tag_owner(q, tag);
    if (!req || req->opcode == XFERBLK_OP_ABORT) {
        return NULL;
    }
    assert(req->state == XFERBLK_REQ_BACKEND ||
           req->state == XFERBLK_REQ_HUNG || req->state == XFERBLK_REQ_DONE);
    return req;
}

static void xferblk_abort(XferblkRequest *req, uint64_t target_tag)
{
    XferblkQueue *q = req->q;
    XferblkRequest *target = xferblk_find_tag(q, target_tag);

    req->status = XFERBLK_STS_OK;
    req->result = 0;
    if (!target || target->abort || target->aborted ||
        (q->s->fault.stuck & XFERBLK_STUCK_ABORT)) {
        trace_xferblk_abort(xferblk_qid(q), req->tag, target_tag, 0);
        xferblk_finish(req, 0);
        return;
    }
    trace_xferblk_abort(xferblk_qid(q), req->tag, target_tag, 1);

    switch (target->state) {
    case XFERBLK_REQ_BACKEND:
        /*
         * The block layer cannot be stopped midway; the ABORT completes
         * when the target does, so no data moves after it.
         */
        target->aborted = true;
        target->abort = req;
        req->state = XFERBLK_REQ_ABORTING;
        return;
    case XFERBLK_REQ_HUNG:
        QTAILQ_REMOVE(&q->hung, target, entry);
        target->status = XFERBLK_STS_ABORTED;
        target->aborted = true;
        xferblk_finish(target, 0);
        break;
    case XFERBLK_REQ_DONE:
        target->status = XFERBLK_STS_ABORTED;
        target->aborted = true;
        break;
    default:
        g_assert_not_reached();
    }
    req->result = 1;
    xferblk_finish(req, target->ready_ns);
}

/*
 * Whether an accepted command without a fault may be merged: READ and
 * WRITE, unless completions are held (FAULT_DELAY_US, FAULT_JITTER_US).
 */
static bool xferblk_may_merge(XferblkState *s, XferblkRequest *req)
{
    return (req->opcode == XFERBLK_OP_READ ||
            req->opcode == XFERBLK_OP_WRITE) &&
           !s->fault.delay_us && !s->fault.jitter_us;
}

void xferblk_process_sqe(XferblkQueue *q, const struct xferblk_sqe *sqe)
{
    XferblkState *s = q->s;
    XferblkRequest *req = g_new0(XferblkRequest, 1);
    XferblkFaultKind fault;

    req->q = q;
    req->state = XFERBLK_REQ_NEW;
    req->opcode = sqe->opcode;
    req->tag = le16_to_cpu(sqe->tag);
    set_bit(req->tag, q->seen_tags);
    q->outstanding++;
    s->counters[XFERBLK_CNT_COMMANDS]++;
    trace_xferblk_fetch(xferblk_qid(q), req->tag, req->opcode,
                        le64_to_cpu(sqe->lba), le32_to_cpu(sqe->nblocks),
                        le16_to_cpu(sqe->nsge));

    fault = xferblk_pick_fault(s, sqe);
    if ((fault == XFERBLK_FAULT_HANG || fault == XFERBLK_FAULT_FAIL) &&
        !xferblk_take_tag(q, req)) {
        /*
         * The tag belongs to a command in flight. A hung command must own
         * its tag, or no ABORT could ever find it, and a failed one would
         * complete under another command's tag: the fault is dropped and
         * validation rejects the command as it would without it.
         */
        fault = XFERBLK_FAULT_NONE;
    }
    switch (fault) {
    case XFERBLK_FAULT_HANG:
        s->counters[XFERBLK_CNT_FAULTS]++;
        trace_xferblk_fault(xferblk_qid(q), req->tag, "hang");
        xferblk_accept(req);
        req->state = XFERBLK_REQ_HUNG;
        req->hung_sqe = g_memdup2(sqe, sizeof(*sqe));
        QTAILQ_INSERT_TAIL(&q->hung, req, entry);
        return;
    case XFERBLK_FAULT_FAIL:
        s->counters[XFERBLK_CNT_FAULTS]++;
        trace_xferblk_fault(xferblk_qid(q), req->tag, "fail");
        req->status = s->fault.status;
        xferblk_finish(req, 0);
        return;
    default:
        break;
    }
    xferblk_execute(q, req, sqe, fault);
}

/* A fetched command past fault injection: validate and execute it. */
void xferblk_execute(XferblkQueue *q, XferblkRequest *req,
                     const struct xferblk_sqe *sqe,
                     XferblkFaultKind fault)
{
    XferblkState *s = q->s;
    uint16_t status;

    status = xferblk_check_sqe(q, sqe, req);
    if (status == XFERBLK_STS_OK && (req->opcode == XFERBLK_OP_READ ||
                                     req->opcode == XFERBLK_OP_WRITE)) {
        status = xferblk_load_sgl(q, sqe, req);
    }
    if (status != XFERBLK_STS_OK) {
        trace_xferblk_reject(xferblk_qid(q), req->tag, status);
        static const enum BlockAcctType acct_type[] = {
            [XFERBLK_OP_READ] = BLOCK_ACCT_READ,
            [XFERBLK_OP_WRITE] = BLOCK_ACCT_WRITE,
            [XFERBLK_OP_FLUSH] = BLOCK_ACCT_FLUSH,
            [XFERBLK_OP_DISCARD] = BLOCK_ACCT_UNMAP,
            [XFERBLK_OP_WRITE_ZEROES] = BLOCK_ACCT_WRITE,
        };

        if (!s->null_backend && req->opcode < ARRAY_SIZE(acct_type) &&
            req->opcode && req->opcode != XFERBLK_OP_ABORT) {
            block_acct_invalid(xferblk_stats(s), acct_type[req->opcode]);
        }
        req->status = status;
        xferblk_finish(req, 0);
        return;
    }

    switch (req->opcode) {
    case XFERBLK_OP_ABORT:
        xferblk_abort(req, le64_to_cpu(sqe->lba));
        return;
    case XFERBLK_OP_FLUSH:
        if (!s->write_cache) {
            /* Every completed WRITE is durable already. */
            req->status = XFERBLK_STS_OK;
            xferblk_finish(req, 0);
            return;
        }
        break;
    }
    xferblk_accept(req);
    s->counters[XFERBLK_CNT_SEGMENTS] += le16_to_cpu(sqe->nsge);
    if (fault == XFERBLK_FAULT_SHORT) {
        s->counters[XFERBLK_CNT_FAULTS]++;
        trace_xferblk_fault(xferblk_qid(q), req->tag, "short");
        req->short_xfer = true;
    }
    if (fault == XFERBLK_FAULT_DMA) {
        s->counters[XFERBLK_CNT_FAULTS]++;
        trace_xferblk_fault(xferblk_qid(q), req->tag, "dma");
        req->dma_fault = true;
        if (s->null_backend) {
            req->status = XFERBLK_STS_DMA_ERROR;
            xferblk_finish(req, 0);
            return;
        }
        if (req->opcode == XFERBLK_OP_WRITE) {
            /* The data never arrives: nothing reaches the image. */
            block_acct_invalid(xferblk_stats(s), BLOCK_ACCT_WRITE);
            req->status = XFERBLK_STS_DMA_ERROR;
            xferblk_finish(req, 0);
            return;
        }
    }
    if (s->null_backend) {
        /* Done as soon as accepted: no data, no block layer. */
        req->status = XFERBLK_STS_OK;
        xferblk_finish(req, 0);
        return;
    }
    if (fault == XFERBLK_FAULT_NONE && xferblk_may_merge(s, req)) {
        xferblk_batch_add(q, req);
        return;
    }
    /* The batch first: the block layer gets commands in fetch order. */
    xferblk_batch_submit(q);
    xferblk_start_io(req, sqe);
}
