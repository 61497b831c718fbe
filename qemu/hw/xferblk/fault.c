/*
 * xferblk: fault injection and the hostile modes (test only;
 * docs/device-spec.md, "Fault injection")
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "xferblk.h"
#include "trace.h"

static uint64_t xferblk_rng_next(XferblkRng *rng)
{
    uint64_t z;

    rng->state += 0x9e3779b97f4a7c15ULL;
    z = rng->state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A draw in [0, n), n at most 2^32, without a division. */
uint64_t xferblk_rng_below(XferblkRng *rng, uint64_t n)
{
    return ((xferblk_rng_next(rng) >> 32) * n) >> 32;
}

/* FAULT_SEED: every generator restarts, each on its own stream. */
void xferblk_seed(XferblkState *s, uint32_t seed)
{
    s->fault.seed = seed;
    s->prob_rng.state = (uint64_t)seed << 1;
    s->jitter_rng.state = (uint64_t)seed << 1 | 1;
    s->chaos_rng.state = ((uint64_t)seed << 32) ^ 0x6a09e667f3bcc908ULL;
}

/*
 * A tag for a completion that belongs to no command: not in flight, and if
 * possible never fetched on the queue since it was enabled. The search
 * runs down from the top of the tag space, away from where drivers start
 * numbering, and each pick moves on so that strays differ.
 */
uint16_t xferblk_stray_tag(XferblkQueue *q)
{
    uint32_t i, tag;
    int pass;

    for (pass = 0; pass < 2; pass++) {
        for (i = 0; i < XFERBLK_TAG_SPACE; i++) {
            tag = (q->stray_next - i) & (XFERBLK_TAG_SPACE - 1);
            if ((pass || !test_bit(tag, q->seen_tags)) &&
                !xferblk_tag_owner(q, tag)) {
                q->stray_next = tag - 1;
                return tag;
            }
        }
    }
    /* At most DEPTH (4096) of the 65536 tags are ever owned. */
    g_assert_not_reached();
}

/* Queues a made-up completion after @prev, or first if @prev is NULL. */
static XferblkRequest *xferblk_fake_new(XferblkQueue *q, XferblkFake kind,
                                        XferblkRequest *prev);

static const char *const xferblk_chaos_names[XFERBLK_CHAOS_NR] = {
    [XFERBLK_CHAOS_STRAY] = "chaos: stray",
    [XFERBLK_CHAOS_DUPLICATE] = "chaos: duplicate",
    [XFERBLK_CHAOS_EARLY] = "chaos: early",
    [XFERBLK_CHAOS_STATUS] = "chaos: status",
    [XFERBLK_CHAOS_RESULT] = "chaos: result",
    [XFERBLK_CHAOS_NO_IRQ] = "chaos: no interrupt",
    [XFERBLK_CHAOS_DELAY] = "chaos: delay",
    [XFERBLK_CHAOS_REGISTER] = "chaos: register",
};

/*
 * The chaos mode (FAULT_CHAOS_*): at each chance of a lie of an armed kind
 * one draw from its own seeded stream decides. A lie is counted once the
 * guest can see it (xferblk_chaos_count()).
 */
bool xferblk_chaos_draw(XferblkState *s, enum xferblk_chaos kind)
{
    XferblkFaults *f = &s->fault;

    if (!f->chaos_ppm || !(f->chaos_kinds & BIT(kind))) {
        return false;
    }
    return xferblk_rng_below(&s->chaos_rng, XFERBLK_PPM) < f->chaos_ppm;
}

void xferblk_chaos_count(XferblkState *s, enum xferblk_chaos kind)
{
    s->chaos_lies[kind]++;
}

/* Draws, and counts a lie told at once. */
bool xferblk_chaos(XferblkState *s, enum xferblk_chaos kind)
{
    if (!xferblk_chaos_draw(s, kind)) {
        return false;
    }
    xferblk_chaos_count(s, kind);
    return true;
}

static XferblkRequest *xferblk_lie_new(XferblkQueue *q,
                                       enum xferblk_chaos kind)
{
    XferblkRequest *lie = xferblk_fake_new(q, XFERBLK_FAKE_LIE, NULL);

    lie->lie_kind = kind;
    return lie;
}

/*
 * An SQ entry is about to be fetched: a completion for it, perfect but for
 * the fetch count, which says it was not fetched yet. It is posted before
 * anything else the doorbell finishes.
 */
void xferblk_chaos_early(XferblkQueue *q, const struct xferblk_sqe *sqe)
{
    XferblkState *s = q->s;
    XferblkRequest *lie;

    if (!xferblk_chaos_draw(s, XFERBLK_CHAOS_EARLY)) {
        return;
    }
    lie = xferblk_lie_new(q, XFERBLK_CHAOS_EARLY);
    lie->opcode = sqe->opcode;
    lie->tag = le16_to_cpu(sqe->tag);
    if (sqe->opcode == XFERBLK_OP_READ || sqe->opcode == XFERBLK_OP_WRITE) {
        lie->result = MIN((uint64_t)le32_to_cpu(sqe->nblocks) *
                          s->conf.logical_block_size, UINT32_MAX);
    }
    lie->early = true;
    lie->early_fetched = q->sq_fetched;
}

/*
 * A real completion is about to be written: a random failing status, or
 * for a READ or WRITE that succeeded, a byte count it did not move. The
 * command did finish; only its report lies.
 */
void xferblk_chaos_lie(XferblkRequest *req, struct xferblk_cqe *cqe)
{
    XferblkState *s = req->q->s;
    uint32_t result = le32_to_cpu(cqe->result);

    if (xferblk_chaos(s, XFERBLK_CHAOS_STATUS)) {
        cqe->status = cpu_to_le16(1 + xferblk_rng_below(&s->chaos_rng,
                                                        UINT16_MAX));
        cqe->result = 0;
        trace_xferblk_fault(xferblk_qid(req->q), req->tag,
                            xferblk_chaos_names[XFERBLK_CHAOS_STATUS]);
        return;
    }
    if (req->status == XFERBLK_STS_OK &&
        (req->opcode == XFERBLK_OP_READ || req->opcode == XFERBLK_OP_WRITE) &&
        xferblk_chaos(s, XFERBLK_CHAOS_RESULT)) {
        result ^= 1 + xferblk_rng_below(&s->chaos_rng, UINT32_MAX);
        cqe->result = cpu_to_le32(result);
        trace_xferblk_fault(xferblk_qid(req->q), req->tag,
                            xferblk_chaos_names[XFERBLK_CHAOS_RESULT]);
    }
}

/*
 * A real completion has been written: kept for duplicates, then maybe a
 * stray and a duplicate follow it. A duplicate whose tag a command holds
 * again when it is due would be a real completion's twin, not a lie: it
 * is dropped then (xferblk_post()).
 */
void xferblk_chaos_posted(XferblkQueue *q, const struct xferblk_cqe *cqe)
{
    XferblkState *s = q->s;
    const struct xferblk_cqe *old;
    XferblkRequest *lie;

    q->recent[q->recent_n++ % XFERBLK_CHAOS_RECENT] = *cqe;
    if (xferblk_chaos_draw(s, XFERBLK_CHAOS_DUPLICATE)) {
        old = &q->recent[xferblk_rng_below(&s->chaos_rng,
                         MIN(q->recent_n, XFERBLK_CHAOS_RECENT))];
        lie = xferblk_lie_new(q, XFERBLK_CHAOS_DUPLICATE);
        lie->tag = le16_to_cpu(old->tag);
        lie->status = le16_to_cpu(old->status);
        lie->result = le32_to_cpu(old->result);
    }
    if (xferblk_chaos_draw(s, XFERBLK_CHAOS_STRAY)) {
        lie = xferblk_lie_new(q, XFERBLK_CHAOS_STRAY);
        if (xferblk_rng_below(&s->chaos_rng, 2)) {
            lie->status = 1 + xferblk_rng_below(&s->chaos_rng, UINT16_MAX);
        } else {
            /* A plausible success: whole blocks, within MAX_XFER. */
            lie->result = (1 + xferblk_rng_below(&s->chaos_rng,
                           s->max_xfer / s->conf.logical_block_size)) *
                          s->conf.logical_block_size;
        }
    }
}

/* A tag for a stray lie: random, and held by no command of the device. */
uint16_t xferblk_chaos_stray_tag(XferblkQueue *q)
{
    uint16_t tag;
    int i;

    for (i = 0; i < 16; i++) {
        tag = xferblk_rng_below(&q->s->chaos_rng, XFERBLK_TAG_SPACE);
        if (!xferblk_tag_owner(q, tag)) {
            return tag;
        }
    }
    return xferblk_stray_tag(q);
}

/* CTRL, STATUS and queue register reads: maybe random bits instead. */
uint32_t xferblk_chaos_register(XferblkState *s, uint32_t val)
{
    if (!xferblk_chaos(s, XFERBLK_CHAOS_REGISTER)) {
        return val;
    }
    trace_xferblk_fault(-1, 0, xferblk_chaos_names[XFERBLK_CHAOS_REGISTER]);
    return xferblk_rng_below(&s->chaos_rng, 1ULL << 32);
}

const char *xferblk_chaos_name(enum xferblk_chaos kind)
{
    return xferblk_chaos_names[kind];
}

static XferblkRequest *xferblk_fake_new(XferblkQueue *q, XferblkFake kind,
                                        XferblkRequest *prev)
{
    XferblkRequest *fake = g_new0(XferblkRequest, 1);

    fake->q = q;
    fake->fake = kind;
    fake->state = XFERBLK_REQ_DONE;
    fake->status = XFERBLK_STS_OK;
    if (prev) {
        QTAILQ_INSERT_AFTER(&q->done, prev, fake, entry);
    } else {
        QTAILQ_INSERT_HEAD(&q->done, fake, entry);
    }
    return fake;
}

/*
 * FAULT_HOSTILE: the completion of @req has just been written. Whatever is
 * armed goes first in the done list, due at once, so it is written right
 * after (or waits for CQ room like any completion): the copy, then the
 * stray, then the extras.
 */
void xferblk_hostile(XferblkRequest *req)
{
    XferblkQueue *q = req->q;
    XferblkState *s = q->s;
    XferblkRequest *prev = NULL;
    int i;

    trace_xferblk_fault(xferblk_qid(q), req->tag, "hostile");
    if (s->hostile_armed & XFERBLK_HOSTILE_DUPLICATE) {
        prev = xferblk_fake_new(q, XFERBLK_FAKE_COPY, prev);
        prev->opcode = req->opcode;
        prev->tag = req->tag;
        prev->status = req->status;
        prev->result = req->result;
    }
    if (s->hostile_armed & XFERBLK_HOSTILE_UNKNOWN_TAG) {
        prev = xferblk_fake_new(q, XFERBLK_FAKE_STRAY, prev);
    }
    if (s->hostile_armed & XFERBLK_HOSTILE_EXTRA) {
        for (i = 0; i < XFERBLK_HOSTILE_EXTRA_N; i++) {
            prev = xferblk_fake_new(q, XFERBLK_FAKE_STRAY, prev);
        }
    }
    s->hostile_armed = 0;
}

/* Whether [lba, lba + nblocks) meets [start, start + count), overflow-safe */
static bool xferblk_overlaps(uint64_t lba, uint32_t nblocks, uint64_t start,
                             uint64_t count)
{
    if (!nblocks || !count) {
        return false;
    }
    return lba >= start ? lba - start < count : start - lba < nblocks;
}

/*
 * Fault injection for a fetched command, ABORTs excepted, taken as it is,
 * valid or not. Every armed fault counts (or draws for) every command it
 * concerns, so its course does not depend on the others; of those that
 * apply the first in the spec's order wins: HANG, FAIL_NTH, LBA range,
 * EVERY_N, PROB_PPM, DMA_NTH, SHORT_NTH. A countdown that reaches its command
 * disarms even when another fault takes that command.
 */
XferblkFaultKind xferblk_pick_fault(XferblkState *s,
                                    const struct xferblk_sqe *sqe)
{
    XferblkFaults *f = &s->fault;
    uint8_t op = sqe->opcode;
    bool data = op == XFERBLK_OP_READ || op == XFERBLK_OP_WRITE;
    bool hang, fail, lba = false, every = false, prob = false, dma = false;
    bool short_xfer = false;

    if (op == XFERBLK_OP_ABORT) {
        return XFERBLK_FAULT_NONE;
    }
    hang = f->hang_nth && --f->hang_nth == 0;
    fail = f->fail_nth && --f->fail_nth == 0;
    if (data || op == XFERBLK_OP_DISCARD || op == XFERBLK_OP_WRITE_ZEROES) {
        lba = xferblk_overlaps(le64_to_cpu(sqe->lba),
                               le32_to_cpu(sqe->nblocks),
                               f->lba_start, f->lba_count);
    }
    if (f->every_n && ++s->every_count >= f->every_n) {
        s->every_count = 0;
        every = true;
    }
    if (f->prob_ppm) {
        prob = xferblk_rng_below(&s->prob_rng, XFERBLK_PPM) < f->prob_ppm;
    }
    if (data && f->dma_nth) {
        dma = --f->dma_nth == 0;
    }
    if (data && f->short_nth) {
        short_xfer = --f->short_nth == 0;
    }

    if (hang) {
        return XFERBLK_FAULT_HANG;
    }
    if (fail || lba || every || prob) {
        return XFERBLK_FAULT_FAIL;
    }
    if (dma) {
        return XFERBLK_FAULT_DMA;
    }
    return short_xfer ? XFERBLK_FAULT_SHORT : XFERBLK_FAULT_NONE;
}

/*
 * FAULT_RELEASE: every hung command goes on as if it had never hung,
 * validated and executed now, with whatever memory access the bus master
 * enable bit allows at this moment (the late DMA a driver must prevent).
 */
void xferblk_release_hung(XferblkState *s)
{
    XferblkRequest *req;
    uint32_t i;

    for (i = 0; i < s->num_queues; i++) {
        XferblkQueue *q = &s->queues[i];

        while ((req = QTAILQ_FIRST(&q->hung))) {
            g_autofree struct xferblk_sqe *sqe = req->hung_sqe;

            QTAILQ_REMOVE(&q->hung, req, entry);
            trace_xferblk_release_hung(i, req->tag);
            req->hung_sqe = NULL;
            /* Validation takes the tag and accepts it again. */
            QLIST_REMOVE(req, tag_link);
            req->owns_tag = false;
            req->accepted = false;
            s->inflight--;
            req->state = XFERBLK_REQ_NEW;
            xferblk_execute(q, req, sqe, XFERBLK_FAULT_NONE);
        }
        xferblk_batch_submit(q);
        xferblk_post_ready(q);
        xferblk_irq_flush(q);
    }
}
