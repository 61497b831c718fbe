/*
 * xferblk: a PCI block device with a deliberately small DMA engine
 *
 * Each command moves at most max-transfer bytes through at most
 * max-segments scatter-gather entries; a command beyond any limit is
 * completed with an error status before the backing image is touched.
 * The register map, ring layouts and status codes are the project's
 * docs/device-spec.md (version 1.2), rendered in C as xferblk_hw.h.
 *
 * Life of a command: the SQ doorbell fetches and validates it; a rejected
 * one is finished at once, an accepted one goes to the block layer (or,
 * with an injected fault, is failed or left hanging). A finished command
 * joins its queue's "done" list, kept in the order of the time each may be
 * posted (injected delay and jitter), from which completions are posted
 * once due while the CQ has room.
 *
 * Merging: the READs, or the WRITEs with one FUA flag, that one SQ doorbell
 * fetches and that each start at the block after the one before, go to the
 * block layer as one request (XFERBLK_MERGE_MAX_CMDS commands and
 * XFERBLK_MERGE_MAX_BYTES at most). Each command is still validated,
 * counted, owns its tag and gets its completion as alone; a command with a
 * fault injected is never merged. If the merged request fails, its
 * commands are sent again one by one, so that each has a status of its own.
 *
 * With the null property the block layer is never called: an accepted
 * command is finished as soon as it is validated, so without an injected
 * delay its completion is posted before the doorbell write returns, one
 * MSI-X message for all the commands that doorbell fetched.
 *
 * Tags are opaque 16-bit values: a command owns its tag from its fetch to
 * the write of its completion, and the queue finds owners through a small
 * hash table that compares the full tag.
 *
 * Threading: every entry point (MMIO, block layer callbacks, timer,
 * bottom half, reset) runs with the BQL held in the main loop's
 * AioContext, so the device state needs no further locking. Completions
 * from the block layer and the delay timer are posted from a bottom half
 * guarded like the MMIO handlers, so a ring or MSI-X address aimed at the
 * device's own BAR cannot re-enter it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/queue.h"
#include "qemu/rcu.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/boards.h"
#include "hw/block/block.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci_device.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "migration/vmstate.h"
#include "system/block-backend.h"
#include "system/dma.h"
#include "hw/block/xferblk_hw.h"

#define TYPE_XFERBLK "xferblk"
OBJECT_DECLARE_SIMPLE_TYPE(XferblkState, XFERBLK)

#define XFERBLK_MSIX_BAR        2
#define XFERBLK_SQE_SIZE        sizeof(struct xferblk_sqe)
#define XFERBLK_CQE_SIZE        sizeof(struct xferblk_cqe)
#define XFERBLK_SGE_SIZE        sizeof(struct xferblk_sge)
#define XFERBLK_MAX_DEPTH_LIMIT 4096
#define XFERBLK_MAX_SEGS_LIMIT  4096
#define XFERBLK_MIN_SEG_SIZE    512
#define XFERBLK_QUEUES_AUTO     UINT32_MAX
#define XFERBLK_TAG_SPACE       (1 << 16)
#define XFERBLK_HOSTILE_ALL     (XFERBLK_HOSTILE_UNKNOWN_TAG | \
                                 XFERBLK_HOSTILE_DUPLICATE | \
                                 XFERBLK_HOSTILE_EXTRA)
#define XFERBLK_HOSTILE_EXTRA_N 8
#define XFERBLK_PPM             1000000
#define XFERBLK_DEFAULT_SEED    0x58fb
#define XFERBLK_NULL_DEFAULT_SIZE (1 * GiB)
#define XFERBLK_MERGE_MAX_CMDS  32
#define XFERBLK_MERGE_MAX_BYTES (4 * MiB)

QEMU_BUILD_BUG_ON(XFERBLK_SQE_SIZE != 64);
QEMU_BUILD_BUG_ON(XFERBLK_CQE_SIZE != 16);
QEMU_BUILD_BUG_ON(XFERBLK_SGE_SIZE != 16);
QEMU_BUILD_BUG_ON(XFERBLK_STS_NR > 16);

typedef struct XferblkQueue XferblkQueue;
typedef struct XferblkRequest XferblkRequest;
typedef struct XferblkMerge XferblkMerge;

/* What the hostile-limits property makes the device claim. */
typedef enum XferblkHostile {
    XFERBLK_HL_NONE,
    XFERBLK_HL_BAD_MAGIC,
    XFERBLK_HL_BAD_VERSION,
    XFERBLK_HL_ZERO_CAPACITY,
    XFERBLK_HL_HUGE_CAPACITY,
    XFERBLK_HL_BAD_BLOCK_SIZE,
    XFERBLK_HL_ZERO_MAX_TRANSFER,
    XFERBLK_HL_TINY_MAX_TRANSFER,
    XFERBLK_HL_ZERO_SEGMENTS,
    XFERBLK_HL_TINY_SEGMENT_SIZE,
    XFERBLK_HL_BAD_BOUNDARY,
    XFERBLK_HL_ZERO_QUEUES,
    XFERBLK_HL_MANY_QUEUES,
    XFERBLK_HL_BAD_DEPTH,
    XFERBLK_HL_NR,
} XferblkHostile;

static const char *const xferblk_hostile_names[XFERBLK_HL_NR] = {
    [XFERBLK_HL_NONE] = "none",
    [XFERBLK_HL_BAD_MAGIC] = "bad-magic",
    [XFERBLK_HL_BAD_VERSION] = "bad-version",
    [XFERBLK_HL_ZERO_CAPACITY] = "zero-capacity",
    [XFERBLK_HL_HUGE_CAPACITY] = "huge-capacity",
    [XFERBLK_HL_BAD_BLOCK_SIZE] = "bad-block-size",
    [XFERBLK_HL_ZERO_MAX_TRANSFER] = "zero-max-transfer",
    [XFERBLK_HL_TINY_MAX_TRANSFER] = "tiny-max-transfer",
    [XFERBLK_HL_ZERO_SEGMENTS] = "zero-segments",
    [XFERBLK_HL_TINY_SEGMENT_SIZE] = "tiny-segment-size",
    [XFERBLK_HL_BAD_BOUNDARY] = "bad-boundary",
    [XFERBLK_HL_ZERO_QUEUES] = "zero-queues",
    [XFERBLK_HL_MANY_QUEUES] = "many-queues",
    [XFERBLK_HL_BAD_DEPTH] = "bad-depth",
};

/*
 * Fault settings: the fault-* properties fill one copy, realize copies it
 * to the live one the FAULT_* registers read and write.
 */
typedef struct XferblkFaults {
    uint32_t fail_nth;
    uint32_t status;
    uint32_t hang_nth;
    uint32_t delay_us;
    uint32_t jitter_us;
    uint32_t every_n;
    uint32_t prob_ppm;
    uint32_t seed;
    uint64_t lba_start;
    uint64_t lba_count;
    uint32_t dma_nth;
    uint32_t short_nth;
    uint32_t stuck;     /* XFERBLK_STUCK_* */
} XferblkFaults;

/*
 * What the identity and limit registers report: the real configuration,
 * unless hostile-limits replaces one value.
 */
typedef struct XferblkIdentity {
    uint32_t magic;
    uint32_t version;
    uint64_t capacity;
    uint32_t block_size;
    uint32_t max_xfer;
    uint32_t max_segs;
    uint32_t max_seg_size;
    uint64_t seg_boundary;
    uint32_t num_queues;
    uint32_t max_depth;
} XferblkIdentity;

/* A splitmix64 generator: one stream per use keeps each reproducible. */
typedef struct XferblkRng {
    uint64_t state;
} XferblkRng;

typedef enum XferblkReqState {
    XFERBLK_REQ_NEW,        /* being validated */
    XFERBLK_REQ_BACKEND,    /* on q->backend, the block layer has it */
    XFERBLK_REQ_HUNG,       /* on q->hung: an injected hang */
    XFERBLK_REQ_DONE,       /* on q->done: finished, not yet posted */
    XFERBLK_REQ_ABORTING,   /* an ABORT waiting for its target */
} XferblkReqState;

/* A completion the device makes up (FAULT_HOSTILE), not a command's. */
typedef enum XferblkFake {
    XFERBLK_FAKE_NONE,      /* a real command */
    XFERBLK_FAKE_COPY,      /* a second completion of a posted command */
    XFERBLK_FAKE_STRAY,     /* for a tag not in flight, picked when posted */
} XferblkFake;

/* One fetched command, from its fetch until its completion is written. */
struct XferblkRequest {
    XferblkQueue *q;
    QTAILQ_ENTRY(XferblkRequest) entry;
    QLIST_ENTRY(XferblkRequest) tag_link;       /* while owns_tag */
    XferblkReqState state;
    XferblkFake fake;
    BlockAIOCB *aiocb;  /* not while merged: then merge->aiocb */
    XferblkMerge *merge;        /* the merged request it is part of */
    BlockAcctCookie acct;
    QEMUSGList qsg;
    bool has_qsg;
    bool owns_tag;      /* in the tag table until the completion */
    bool accepted;      /* accepted for execution: counts as in flight */
    bool fua;
    bool aborted;       /* ends with ABORTED whatever the backend says */
    bool dma_fault;     /* FAULT_DMA_NTH: the data transfer fails */
    bool short_xfer;    /* FAULT_SHORT_NTH: reports a block less moved */
    struct xferblk_sqe *hung_sqe;       /* a hung command, for FAULT_RELEASE */
    void *scratch;      /* a READ's data that a DMA fault never delivers */
    QEMUIOVector scratch_iov;
    XferblkRequest *abort;      /* the ABORT waiting for this one */
    uint8_t opcode;
    uint16_t tag;
    uint16_t status;
    uint64_t lba;       /* READ and WRITE, once validated */
    uint32_t nblocks;
    uint32_t result;    /* reported only with status OK */
    int64_t ready_ns;   /* QEMU_CLOCK_VIRTUAL time it may be posted */
};

typedef QLIST_HEAD(, XferblkRequest) XferblkTagChain;

/*
 * Merging: READs, or WRITEs with the same FUA flag, that one SQ doorbell
 * fetched, each starting at the block after the previous one's last. They
 * wait here, already in the backend state, until one that does not fit
 * or the end of the doorbell sends them to the block layer.
 */
typedef struct XferblkBatch {
    XferblkRequest *reqs[XFERBLK_MERGE_MAX_CMDS];
    unsigned n;
    uint64_t end_lba;   /* the block after the last command's */
    uint64_t bytes;
    int nsg;
} XferblkBatch;

/* Two or more commands of a batch as one request in the block layer. */
struct XferblkMerge {
    XferblkQueue *q;
    QEMUSGList qsg;     /* the commands' SG lists, one after the other */
    BlockAIOCB *aiocb;
    unsigned n;
    XferblkRequest *reqs[XFERBLK_MERGE_MAX_CMDS];
};

struct XferblkQueue {
    XferblkState *s;

    /* Guest-visible registers. */
    uint64_t sq_addr;
    uint64_t cq_addr;
    uint32_t depth;
    uint32_t vector;
    bool enabled;

    /* Ring state, valid while enabled. */
    uint32_t sq_head;
    uint32_t cq_head;
    uint32_t cq_tail;
    bool phase;
    bool irq_pending;
    uint32_t outstanding;       /* fetched, completion not yet written */

    /* Owners of in-flight tags: max_depth chains, full-tag compare. */
    XferblkTagChain *tag_table;
    unsigned long *seen_tags;   /* tags fetched since the queue was enabled */
    uint32_t stray_next;        /* where the next stray tag search starts */
    QTAILQ_HEAD(, XferblkRequest) backend;
    QTAILQ_HEAD(, XferblkRequest) hung;
    QTAILQ_HEAD(, XferblkRequest) done;
    XferblkBatch batch;         /* empty outside the SQ doorbell handler */
};

struct XferblkState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    QEMUBH *post_bh;
    QEMUTimer *delay_timer;

    /* Properties. */
    BlockConf conf;
    uint32_t max_xfer;
    uint32_t max_segs;
    uint32_t max_seg_size;
    uint64_t seg_boundary;
    uint32_t num_queues;
    uint32_t max_depth;
    bool write_cache;
    bool discard;
    bool abort;
    uint32_t max_discard;
    uint32_t discard_gran;
    uint32_t max_wzeroes;
    bool null_backend;          /* "null": no data path */
    uint64_t null_size;         /* bytes, with null and no drive; 0: 1 GiB */
    char *hostile_limits;
    XferblkFaults fault_props;

    XferblkHostile hostile;
    XferblkIdentity id;         /* as reported */
    uint64_t capacity;          /* logical blocks */
    uint32_t features;
    uint32_t ctrl;              /* XFERBLK_CTRL_ENABLE or 0 */
    uint32_t inflight;          /* accepted commands, all queues */
    uint64_t counters[XFERBLK_CNT_NR];
    XferblkQueue *queues;

    /* Fault injection (test only). */
    XferblkFaults fault;
    uint32_t every_count;       /* commands since the last EVERY_N failure */
    uint32_t hostile_armed;     /* XFERBLK_HOSTILE_* still to do */
    XferblkRng prob_rng;        /* FAULT_PROB_PPM draws, one per command */
    XferblkRng jitter_rng;      /* FAULT_JITTER_US draws, one per completion */
};

static BlockAcctStats *xferblk_stats(XferblkState *s)
{
    return blk_get_stats(s->conf.blk);
}

static int xferblk_qid(XferblkQueue *q)
{
    return q - q->s->queues;
}

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
static uint64_t xferblk_rng_below(XferblkRng *rng, uint64_t n)
{
    return ((xferblk_rng_next(rng) >> 32) * n) >> 32;
}

/* FAULT_SEED: both generators restart, each on its own stream. */
static void xferblk_seed(XferblkState *s, uint32_t seed)
{
    s->fault.seed = seed;
    s->prob_rng.state = (uint64_t)seed << 1;
    s->jitter_rng.state = (uint64_t)seed << 1 | 1;
}

/* Fibonacci hashing of a tag onto the max_depth chains of a queue. */
static XferblkTagChain *xferblk_tag_chain(XferblkQueue *q, uint16_t tag)
{
    unsigned bits = ctz32(q->s->max_depth);

    return &q->tag_table[((uint32_t)tag * 0x9e3779b1u) >> (32 - bits)];
}

/* The request that owns @tag on @q, if the tag is in flight. */
static XferblkRequest *xferblk_tag_owner(XferblkQueue *q, uint16_t tag)
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
static bool xferblk_take_tag(XferblkQueue *q, XferblkRequest *req)
{
    if (xferblk_tag_owner(q, req->tag)) {
        return false;
    }
    QLIST_INSERT_HEAD(xferblk_tag_chain(q, req->tag), req, tag_link);
    req->owns_tag = true;
    return true;
}

static void xferblk_irq_flush(XferblkQueue *q)
{
    PCIDevice *pdev = PCI_DEVICE(q->s);

    if (!q->irq_pending) {
        return;
    }
    q->irq_pending = false;
    if (msix_enabled(pdev)) {
        msix_notify(pdev, q->vector);
    }
}

/* Forgets a request (and an ABORT waiting for it) without posting it. */
static void xferblk_release(XferblkRequest *req)
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
    if (req->status < XFERBLK_CNT_NR - XFERBLK_CNT_STATUS_BASE) {
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

static bool xferblk_cq_full(XferblkQueue *q)
{
    return ((q->cq_tail + 1) & (q->depth - 1)) == q->cq_head;
}

/*
 * A tag for a completion that belongs to no command: not in flight, and if
 * possible never fetched on the queue since it was enabled. The search
 * runs down from the top of the tag space, away from where drivers start
 * numbering, and each pick moves on so that strays differ.
 */
static uint16_t xferblk_stray_tag(XferblkQueue *q)
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
static void xferblk_hostile(XferblkRequest *req)
{
    XferblkQueue *q = req->q;
    XferblkState *s = q->s;
    XferblkRequest *prev = NULL;
    int i;

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

    if (req->fake == XFERBLK_FAKE_STRAY) {
        /* Picked now: no command may hold it when the entry appears. */
        req->tag = xferblk_stray_tag(q);
    }
    cqe.tag = cpu_to_le16(req->tag);
    cqe.status = cpu_to_le16(req->status);
    cqe.flags = cpu_to_le16(phase ^ XFERBLK_CQE_PHASE);
    if (req->status == XFERBLK_STS_OK) {
        cqe.result = cpu_to_le32(req->result - (req->short_xfer ?
                                 s->conf.logical_block_size : 0));
    }
    res = pci_dma_write(pdev, addr, &cqe, sizeof(cqe));
    cqe.flags = cpu_to_le16(phase);
    res |= pci_dma_write(pdev, addr + offsetof(struct xferblk_cqe, flags),
                         &cqe.flags, sizeof(cqe.flags));
    if (res != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "xferblk: queue %d: cannot write CQ entry at 0x%"
                      PRIx64 "\n", xferblk_qid(q), (uint64_t)addr);
    }

    q->cq_tail = (q->cq_tail + 1) & (q->depth - 1);
    if (q->cq_tail == 0) {
        q->phase = !q->phase;
    }
    q->irq_pending = true;
    xferblk_count_completion(s, req);
    if (req->fake == XFERBLK_FAKE_NONE && s->hostile_armed) {
        xferblk_hostile(req);
    }
    xferblk_release(req);
}

/*
 * Posts finished requests in order while the first one is due and the CQ
 * has room; arms the delay timer for one that is not due yet.
 */
static void xferblk_post_ready(XferblkQueue *q)
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

static void xferblk_post_bh(void *opaque)
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

static void xferblk_delay_timer_cb(void *opaque)
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
static void xferblk_finish(XferblkRequest *req, int64_t not_before)
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

static void xferblk_io_cb(void *opaque, int ret)
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
static bool xferblk_dma_range_ok(AddressSpace *as, dma_addr_t addr,
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

    /* 6 */
    if (sgl + sgl_len - 1 < sgl ||
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
 * The end of a merged request. On success its commands end with it. On
 * failure each is sent again alone, so that each ends with a status of
 * its own, but for an aborted one, which ends now (with ABORTED). With its
 * queue disabled, every completion is discarded anyway.
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
        if (retry && !req->aborted) {
            xferblk_submit_rw(req);
        } else {
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
static void xferblk_batch_submit(XferblkQueue *q)
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
        xferblk_finish(req, 0);
        return;
    }

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

/* Whether [lba, lba + nblocks) meets [start, start + count), overflow-safe */
static bool xferblk_overlaps(uint64_t lba, uint32_t nblocks, uint64_t start,
                             uint64_t count)
{
    if (!nblocks || !count) {
        return false;
    }
    return lba >= start ? lba - start < count : start - lba < nblocks;
}

typedef enum XferblkFaultKind {
    XFERBLK_FAULT_NONE,
    XFERBLK_FAULT_HANG,     /* accepted, never completes */
    XFERBLK_FAULT_FAIL,     /* completes with FAULT_STATUS, nothing moves */
    XFERBLK_FAULT_DMA,      /* if valid, its data transfer fails */
    XFERBLK_FAULT_SHORT,    /* if valid, it reports one block less moved */
} XferblkFaultKind;

/*
 * Fault injection for a fetched command, ABORTs excepted, taken as it is,
 * valid or not. Every armed fault counts (or draws for) every command it
 * concerns, so its course does not depend on the others; of those that
 * apply the first in the spec's order wins: HANG, FAIL_NTH, LBA range,
 * EVERY_N, PROB_PPM, DMA_NTH, SHORT_NTH. A countdown that reaches its command
 * disarms even when another fault takes that command.
 */
static XferblkFaultKind xferblk_pick_fault(XferblkState *s,
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
 * Whether an accepted command without a fault may be merged: READ and
 * WRITE, unless completions are held (FAULT_DELAY_US, FAULT_JITTER_US).
 */
static bool xferblk_may_merge(XferblkState *s, XferblkRequest *req)
{
    return (req->opcode == XFERBLK_OP_READ ||
            req->opcode == XFERBLK_OP_WRITE) &&
           !s->fault.delay_us && !s->fault.jitter_us;
}

static void xferblk_execute(XferblkQueue *q, XferblkRequest *req,
                            const struct xferblk_sqe *sqe,
                            XferblkFaultKind fault);

static void xferblk_process_sqe(XferblkQueue *q, const struct xferblk_sqe *sqe)
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
        xferblk_accept(req);
        req->state = XFERBLK_REQ_HUNG;
        req->hung_sqe = g_memdup2(sqe, sizeof(*sqe));
        QTAILQ_INSERT_TAIL(&q->hung, req, entry);
        return;
    case XFERBLK_FAULT_FAIL:
        s->counters[XFERBLK_CNT_FAULTS]++;
        req->status = s->fault.status;
        xferblk_finish(req, 0);
        return;
    default:
        break;
    }
    xferblk_execute(q, req, sqe, fault);
}

/*
 * FAULT_RELEASE: every hung command goes on as if it had never hung,
 * validated and executed now, with whatever memory access the bus master
 * enable bit allows at this moment (the late DMA a driver must prevent).
 */
static void xferblk_release_hung(XferblkState *s)
{
    XferblkRequest *req;
    uint32_t i;

    for (i = 0; i < s->num_queues; i++) {
        XferblkQueue *q = &s->queues[i];

        while ((req = QTAILQ_FIRST(&q->hung))) {
            g_autofree struct xferblk_sqe *sqe = req->hung_sqe;

            QTAILQ_REMOVE(&q->hung, req, entry);
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

/* A fetched command past fault injection: validate and execute it. */
static void xferblk_execute(XferblkQueue *q, XferblkRequest *req,
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
        req->short_xfer = true;
    }
    if (fault == XFERBLK_FAULT_DMA) {
        s->counters[XFERBLK_CNT_FAULTS]++;
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

static void xferblk_sq_doorbell(XferblkQueue *q, uint32_t tail)
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
        if (pci_dma_read(pdev, addr, &sqe, sizeof(sqe)) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "xferblk: queue %d: cannot read SQ entry at 0x%"
                          PRIx64 "\n", xferblk_qid(q), (uint64_t)addr);
            break;
        }
        q->sq_head = (q->sq_head + 1) & (q->depth - 1);
        xferblk_process_sqe(q, &sqe);
    }
    xferblk_batch_submit(q);
    xferblk_post_ready(q);
    xferblk_irq_flush(q);
}

static void xferblk_cq_doorbell(XferblkQueue *q, uint32_t head)
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
    BlockBackend *blk = s->conf.blk;
    g_autoptr(GPtrArray) acbs = NULL;
    XferblkRequest *req;
    uint32_t i;

    if (!xferblk_disabled_busy(s)) {
        return;
    }
    blk_drain(blk);

    /*
     * A request still here never reached the block layer: dma_blk_io()
     * is waiting for a bounce buffer. Cancelling it completes it at once,
     * and with it every command merged into it: the AIOCBs are collected
     * first, one per merged request, as the list changes under a cancel.
     */
    acbs = g_ptr_array_new();
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
    if (xferblk_disabled_busy(s)) {
        blk_drain(blk);
    }
    assert(!xferblk_disabled_busy(s));
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
}

static void xferblk_queue_enable(XferblkQueue *q)
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
        q->vector >= s->num_queues) {
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
    bitmap_zero(q->seen_tags, XFERBLK_TAG_SPACE);
    q->stray_next = XFERBLK_TAG_SPACE - 1;
    q->enabled = true;
}

static void xferblk_queue_disable(XferblkQueue *q)
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
static void xferblk_stop(XferblkState *s)
{
    uint32_t i;

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
    assert(s->inflight == 0);
}

static void xferblk_ctrl_write(XferblkState *s, uint32_t val)
{
    bool stops = (val & XFERBLK_CTRL_RESET) || !(val & XFERBLK_CTRL_ENABLE);

    if (stops && (s->fault.stuck & XFERBLK_STUCK_RESET)) {
        /* FAULT_STUCK: the device goes on as if nothing was written. */
        return;
    }
    if (val & XFERBLK_CTRL_RESET) {
        xferblk_stop(s);
    } else if (val & XFERBLK_CTRL_ENABLE) {
        s->ctrl = XFERBLK_CTRL_ENABLE;
    } else if (s->ctrl & XFERBLK_CTRL_ENABLE) {
        xferblk_stop(s);
    }
}

static uint32_t xferblk_queue_read(XferblkQueue *q, hwaddr off)
{
    switch (off) {
    case XFERBLK_QREG_SQ_ADDR:
        return q->sq_addr;
    case XFERBLK_QREG_SQ_ADDR + 4:
        return q->sq_addr >> 32;
    case XFERBLK_QREG_CQ_ADDR:
        return q->cq_addr;
    case XFERBLK_QREG_CQ_ADDR + 4:
        return q->cq_addr >> 32;
    case XFERBLK_QREG_DEPTH:
        return q->depth;
    case XFERBLK_QREG_VECTOR:
        return q->vector;
    case XFERBLK_QREG_CTRL:
        return q->enabled ? XFERBLK_QCTRL_ENABLE : 0;
    }
    return 0;
}

static void xferblk_queue_write(XferblkQueue *q, hwaddr off, uint32_t val)
{
    if (off == XFERBLK_QREG_CTRL) {
        if (val & XFERBLK_QCTRL_ENABLE) {
            xferblk_queue_enable(q);
        } else {
            xferblk_queue_disable(q);
        }
        return;
    }
    if (q->enabled) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "xferblk: queue %d: register 0x%" HWADDR_PRIx
                      " written while enabled\n", xferblk_qid(q), off);
        return;
    }

    switch (off) {
    case XFERBLK_QREG_SQ_ADDR:
        q->sq_addr = deposit64(q->sq_addr, 0, 32, val);
        break;
    case XFERBLK_QREG_SQ_ADDR + 4:
        q->sq_addr = deposit64(q->sq_addr, 32, 32, val);
        break;
    case XFERBLK_QREG_CQ_ADDR:
        q->cq_addr = deposit64(q->cq_addr, 0, 32, val);
        break;
    case XFERBLK_QREG_CQ_ADDR + 4:
        q->cq_addr = deposit64(q->cq_addr, 32, 32, val);
        break;
    case XFERBLK_QREG_DEPTH:
        q->depth = val;
        break;
    case XFERBLK_QREG_VECTOR:
        q->vector = val;
        break;
    }
}

/* Every access is split into aligned 32-bit halves, low half first. */
static uint32_t xferblk_read32(XferblkState *s, hwaddr addr)
{
    hwaddr cnt_end = XFERBLK_REG_COUNTERS + 8 * XFERBLK_CNT_NR;
    hwaddr q_end = XFERBLK_REG_QUEUE(s->num_queues);
    uint64_t val;

    if (addr >= XFERBLK_REG_COUNTERS && addr < cnt_end) {
        val = s->counters[(addr - XFERBLK_REG_COUNTERS) / 8];
        return addr & 4 ? val >> 32 : val;
    }
    if (addr >= XFERBLK_REG_QUEUE_BASE && addr < q_end) {
        addr -= XFERBLK_REG_QUEUE_BASE;
        return xferblk_queue_read(&s->queues[addr / XFERBLK_REG_QUEUE_STRIDE],
                                  addr % XFERBLK_REG_QUEUE_STRIDE);
    }

    switch (addr) {
    case XFERBLK_REG_MAGIC:
        return s->id.magic;
    case XFERBLK_REG_VERSION:
        return s->id.version;
    case XFERBLK_REG_CAPACITY:
        return s->id.capacity;
    case XFERBLK_REG_CAPACITY + 4:
        return s->id.capacity >> 32;
    case XFERBLK_REG_BLOCK_SIZE:
        return s->id.block_size;
    case XFERBLK_REG_MAX_XFER:
        return s->id.max_xfer;
    case XFERBLK_REG_MAX_SEGS:
        return s->id.max_segs;
    case XFERBLK_REG_MAX_SEG_SIZE:
        return s->id.max_seg_size;
    case XFERBLK_REG_SEG_BOUNDARY:
        return s->id.seg_boundary;
    case XFERBLK_REG_SEG_BOUNDARY + 4:
        return s->id.seg_boundary >> 32;
    case XFERBLK_REG_NUM_QUEUES:
        return s->id.num_queues;
    case XFERBLK_REG_MAX_DEPTH:
        return s->id.max_depth;
    case XFERBLK_REG_FEATURES:
        return s->features;
    case XFERBLK_REG_MAX_DISCARD:
        return s->features & XFERBLK_FEAT_DISCARD ? s->max_discard : 0;
    case XFERBLK_REG_DISCARD_GRAN:
        return s->discard_gran;
    case XFERBLK_REG_MAX_WZEROES:
        return s->features & XFERBLK_FEAT_WRITE_ZEROES ? s->max_wzeroes : 0;
    case XFERBLK_REG_CTRL:
        return s->ctrl;
    case XFERBLK_REG_STATUS:
        return s->ctrl & XFERBLK_CTRL_ENABLE ? XFERBLK_STATUS_READY : 0;
    case XFERBLK_REG_FAULT_FAIL_NTH:
        return s->fault.fail_nth;
    case XFERBLK_REG_FAULT_STATUS:
        return s->fault.status;
    case XFERBLK_REG_FAULT_HANG_NTH:
        return s->fault.hang_nth;
    case XFERBLK_REG_FAULT_DELAY_US:
        return s->fault.delay_us;
    case XFERBLK_REG_FAULT_JITTER_US:
        return s->fault.jitter_us;
    case XFERBLK_REG_FAULT_EVERY_N:
        return s->fault.every_n;
    case XFERBLK_REG_FAULT_PROB_PPM:
        return s->fault.prob_ppm;
    case XFERBLK_REG_FAULT_SEED:
        return s->fault.seed;
    case XFERBLK_REG_FAULT_LBA_START:
        return s->fault.lba_start;
    case XFERBLK_REG_FAULT_LBA_START + 4:
        return s->fault.lba_start >> 32;
    case XFERBLK_REG_FAULT_LBA_COUNT:
        return s->fault.lba_count;
    case XFERBLK_REG_FAULT_LBA_COUNT + 4:
        return s->fault.lba_count >> 32;
    case XFERBLK_REG_FAULT_DMA_NTH:
        return s->fault.dma_nth;
    case XFERBLK_REG_FAULT_HOSTILE:
        return s->hostile_armed;
    case XFERBLK_REG_FAULT_SHORT_NTH:
        return s->fault.short_nth;
    case XFERBLK_REG_FAULT_STUCK:
        return s->fault.stuck;
    }
    return 0;
}

static void xferblk_write32(XferblkState *s, hwaddr addr, uint32_t val)
{
    hwaddr q_end = XFERBLK_REG_QUEUE(s->num_queues);
    hwaddr db_end = XFERBLK_REG_DOORBELL(s->num_queues);
    XferblkQueue *q;

    if (addr >= XFERBLK_REG_DOORBELL_BASE && addr < db_end) {
        q = &s->queues[(addr - XFERBLK_REG_DOORBELL_BASE) / 8];
        if (addr & XFERBLK_DB_CQ_HEAD) {
            xferblk_cq_doorbell(q, val);
        } else {
            xferblk_sq_doorbell(q, val);
        }
        return;
    }
    if (addr >= XFERBLK_REG_QUEUE_BASE && addr < q_end) {
        addr -= XFERBLK_REG_QUEUE_BASE;
        xferblk_queue_write(&s->queues[addr / XFERBLK_REG_QUEUE_STRIDE],
                            addr % XFERBLK_REG_QUEUE_STRIDE, val);
        return;
    }

    switch (addr) {
    case XFERBLK_REG_CTRL:
        xferblk_ctrl_write(s, val);
        break;
    case XFERBLK_REG_COUNTER_RESET:
        memset(s->counters, 0, sizeof(s->counters));
        break;
    case XFERBLK_REG_FAULT_FAIL_NTH:
        s->fault.fail_nth = val;
        break;
    case XFERBLK_REG_FAULT_STATUS:
        if (val == XFERBLK_STS_OK || val >= XFERBLK_STS_NR) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "xferblk: FAULT_STATUS %u is no failure status, "
                          "ignored\n", val);
            break;
        }
        s->fault.status = val;
        break;
    case XFERBLK_REG_FAULT_HANG_NTH:
        s->fault.hang_nth = val;
        break;
    case XFERBLK_REG_FAULT_DELAY_US:
        s->fault.delay_us = val;
        break;
    case XFERBLK_REG_FAULT_JITTER_US:
        s->fault.jitter_us = val;
        break;
    case XFERBLK_REG_FAULT_EVERY_N:
        s->fault.every_n = val;
        s->every_count = 0;
        break;
    case XFERBLK_REG_FAULT_PROB_PPM:
        s->fault.prob_ppm = MIN(val, XFERBLK_PPM);
        break;
    case XFERBLK_REG_FAULT_SEED:
        xferblk_seed(s, val);
        break;
    case XFERBLK_REG_FAULT_LBA_START:
        s->fault.lba_start = deposit64(s->fault.lba_start, 0, 32, val);
        break;
    case XFERBLK_REG_FAULT_LBA_START + 4:
        s->fault.lba_start = deposit64(s->fault.lba_start, 32, 32, val);
        break;
    case XFERBLK_REG_FAULT_LBA_COUNT:
        s->fault.lba_count = deposit64(s->fault.lba_count, 0, 32, val);
        break;
    case XFERBLK_REG_FAULT_LBA_COUNT + 4:
        s->fault.lba_count = deposit64(s->fault.lba_count, 32, 32, val);
        break;
    case XFERBLK_REG_FAULT_DMA_NTH:
        s->fault.dma_nth = val;
        break;
    case XFERBLK_REG_FAULT_HOSTILE:
        s->hostile_armed = val & XFERBLK_HOSTILE_ALL;
        break;
    case XFERBLK_REG_FAULT_SHORT_NTH:
        s->fault.short_nth = val;
        break;
    case XFERBLK_REG_FAULT_STUCK:
        s->fault.stuck = val & (XFERBLK_STUCK_RESET | XFERBLK_STUCK_ABORT);
        break;
    case XFERBLK_REG_FAULT_RELEASE:
        xferblk_release_hung(s);
        break;
    default:
        /* Read-only or undefined: ignored. */
        break;
    }
}

static uint64_t xferblk_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    XferblkState *s = opaque;
    uint64_t val = xferblk_read32(s, addr);

    if (size == 8) {
        val |= (uint64_t)xferblk_read32(s, addr + 4) << 32;
    }
    return val;
}

static void xferblk_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    XferblkState *s = opaque;

    xferblk_write32(s, addr, val);
    if (size == 8) {
        xferblk_write32(s, addr + 4, val >> 32);
    }
}

static const MemoryRegionOps xferblk_mmio_ops = {
    .read = xferblk_mmio_read,
    .write = xferblk_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 8,
    },
};

static bool xferblk_parse_hostile(XferblkState *s, Error **errp)
{
    g_autoptr(GString) names = g_string_new(NULL);
    int i;

    s->hostile = XFERBLK_HL_NONE;
    if (!s->hostile_limits) {
        return true;
    }
    for (i = 0; i < XFERBLK_HL_NR; i++) {
        if (!strcmp(s->hostile_limits, xferblk_hostile_names[i])) {
            s->hostile = i;
            return true;
        }
        g_string_append_printf(names, "%s%s", i ? ", " : "",
                               xferblk_hostile_names[i]);
    }
    error_setg(errp, "hostile-limits must be one of %s, not '%s'",
               names->str, s->hostile_limits);
    return false;
}

static bool xferblk_check_fault_props(XferblkState *s, Error **errp)
{
    XferblkFaults *f = &s->fault_props;

    if (f->status == XFERBLK_STS_OK || f->status >= XFERBLK_STS_NR) {
        error_setg(errp, "fault-status must be a status from %u to %u, "
                   "not %u", XFERBLK_STS_INVALID_OPCODE, XFERBLK_STS_NR - 1,
                   f->status);
        return false;
    }
    if (f->prob_ppm > XFERBLK_PPM) {
        error_setg(errp, "fault-prob-ppm must be at most %u, not %u",
                   XFERBLK_PPM, f->prob_ppm);
        return false;
    }
    return xferblk_parse_hostile(s, errp);
}

static bool xferblk_check_props(XferblkState *s, Error **errp)
{
    uint32_t bs = s->conf.logical_block_size;

    if (!s->conf.blk && !s->null_backend) {
        error_setg(errp, "drive property not set");
        return false;
    }
    if (bs != 512 && bs != 4096) {
        error_setg(errp, "logical_block_size must be 512 or 4096, not %u", bs);
        return false;
    }
    if (s->null_size && (s->conf.blk || !s->null_backend)) {
        error_setg(errp, "null-size is for null=on without a drive; with a "
                   "drive the capacity is the drive's");
        return false;
    }
    if (s->null_size % bs) {
        error_setg(errp, "null-size must be a multiple of logical_block_size "
                   "(%u), not %" PRIu64, bs, s->null_size);
        return false;
    }
    if (!s->max_xfer || s->max_xfer % bs) {
        error_setg(errp, "max-transfer must be a nonzero multiple of "
                   "logical_block_size (%u), not %u", bs, s->max_xfer);
        return false;
    }
    if (s->max_segs < 1 || s->max_segs > XFERBLK_MAX_SEGS_LIMIT) {
        error_setg(errp, "max-segments must be between 1 and %u, not %u",
                   XFERBLK_MAX_SEGS_LIMIT, s->max_segs);
        return false;
    }
    if (s->max_seg_size < XFERBLK_MIN_SEG_SIZE) {
        error_setg(errp, "max-segment-size must be at least %u, not %u",
                   XFERBLK_MIN_SEG_SIZE, s->max_seg_size);
        return false;
    }
    /* mask + 1 a power of two; an all-ones mask (2^64) means no boundary */
    if (s->seg_boundary & (s->seg_boundary + 1)) {
        error_setg(errp, "seg-boundary must be a power of two minus one, "
                   "not 0x%" PRIx64, s->seg_boundary);
        return false;
    }
    if (s->num_queues == XFERBLK_QUEUES_AUTO) {
        s->num_queues = MIN(current_machine->smp.cpus, XFERBLK_MAX_QUEUES);
    }
    if (s->num_queues < 1 || s->num_queues > XFERBLK_MAX_QUEUES) {
        error_setg(errp, "queues must be between 1 and %u, not %u",
                   XFERBLK_MAX_QUEUES, s->num_queues);
        return false;
    }
    if (s->max_depth < 2 || s->max_depth > XFERBLK_MAX_DEPTH_LIMIT ||
        !is_power_of_2(s->max_depth)) {
        error_setg(errp, "queue-depth must be a power of two between 2 and "
                   "%u, not %u", XFERBLK_MAX_DEPTH_LIMIT, s->max_depth);
        return false;
    }
    if (!s->max_discard || !s->max_wzeroes) {
        error_setg(errp, "max-discard-blocks and max-write-zeroes-blocks "
                   "must be at least 1");
        return false;
    }
    if (!is_power_of_2(s->discard_gran)) {
        error_setg(errp, "discard-granularity must be a power of two, "
                   "not %u", s->discard_gran);
        return false;
    }
    return xferblk_check_fault_props(s, errp);
}

/* The identity registers: the truth, but for one lie if asked for. */
static void xferblk_init_identity(XferblkState *s)
{
    XferblkIdentity *id = &s->id;

    id->magic = XFERBLK_MAGIC;
    id->version = XFERBLK_VERSION_MAJOR << 16 | XFERBLK_VERSION_MINOR;
    id->capacity = s->capacity;
    id->block_size = s->conf.logical_block_size;
    id->max_xfer = s->max_xfer;
    id->max_segs = s->max_segs;
    id->max_seg_size = s->max_seg_size;
    id->seg_boundary = s->seg_boundary;
    id->num_queues = s->num_queues;
    id->max_depth = s->max_depth;

    switch (s->hostile) {
    case XFERBLK_HL_NONE:
        break;
    case XFERBLK_HL_BAD_MAGIC:
        id->magic = bswap32(XFERBLK_MAGIC);
        break;
    case XFERBLK_HL_BAD_VERSION:
        id->version = (XFERBLK_VERSION_MAJOR + 1) << 16;
        break;
    case XFERBLK_HL_ZERO_CAPACITY:
        id->capacity = 0;
        break;
    case XFERBLK_HL_HUGE_CAPACITY:
        id->capacity = UINT64_MAX;
        break;
    case XFERBLK_HL_BAD_BLOCK_SIZE:
        id->block_size = 1000;
        break;
    case XFERBLK_HL_ZERO_MAX_TRANSFER:
        id->max_xfer = 0;
        break;
    case XFERBLK_HL_TINY_MAX_TRANSFER:
        id->max_xfer = 512;
        break;
    case XFERBLK_HL_ZERO_SEGMENTS:
        id->max_segs = 0;
        break;
    case XFERBLK_HL_TINY_SEGMENT_SIZE:
        id->max_seg_size = 512;
        break;
    case XFERBLK_HL_BAD_BOUNDARY:
        id->seg_boundary = 0x1234;
        break;
    case XFERBLK_HL_ZERO_QUEUES:
        id->num_queues = 0;
        break;
    case XFERBLK_HL_MANY_QUEUES:
        /* Only the register lies: there are still num_queues queues. */
        id->num_queues = 1000;
        break;
    case XFERBLK_HL_BAD_DEPTH:
        id->max_depth = 3;
        break;
    default:
        g_assert_not_reached();
    }
}

static void xferblk_realize(PCIDevice *pdev, Error **errp)
{
    XferblkState *s = XFERBLK(pdev);
    int64_t len;
    uint32_t i;

    if (!xferblk_check_props(s, errp)) {
        return;
    }
    if (s->conf.blk) {
        /* A null backend only asks the drive for its size. */
        if (!s->null_backend && !blk_supports_write_perm(s->conf.blk)) {
            error_setg(errp, "drive is read-only; xferblk has no read-only "
                       "mode");
            return;
        }
        /* Without the cache every write is durable when it completes. */
        s->conf.wce = s->write_cache ? ON_OFF_AUTO_ON : ON_OFF_AUTO_OFF;
        if (!blkconf_apply_backend_options(&s->conf, s->null_backend, false,
                                           errp)) {
            return;
        }
        len = blk_getlength(s->conf.blk);
        if (len < 0) {
            error_setg_errno(errp, -len, "cannot get the size of the drive");
            return;
        }
        s->capacity = len / s->conf.logical_block_size;
    } else {
        s->capacity = (s->null_size ? s->null_size :
                       XFERBLK_NULL_DEFAULT_SIZE) / s->conf.logical_block_size;
    }

    s->features = s->abort ? XFERBLK_FEAT_ABORT : 0;
    if (s->null_backend) {
        s->features |= XFERBLK_FEAT_NULL;
    }
    if (s->write_cache) {
        s->features |= XFERBLK_FEAT_WRITE_CACHE | XFERBLK_FEAT_FUA;
    }
    if (s->discard) {
        s->features |= XFERBLK_FEAT_DISCARD | XFERBLK_FEAT_WRITE_ZEROES;
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &xferblk_mmio_ops, s,
                          "xferblk-mmio", XFERBLK_BAR0_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->mmio);

    if (msix_init_exclusive_bar(pdev, s->num_queues, XFERBLK_MSIX_BAR,
                                errp)) {
        return;
    }
    for (i = 0; i < s->num_queues; i++) {
        msix_vector_use(pdev, i);
    }

    s->post_bh = qemu_bh_new_guarded(xferblk_post_bh, s,
                                     &DEVICE(s)->mem_reentrancy_guard);
    s->delay_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, xferblk_delay_timer_cb,
                                  s);
    s->queues = g_new0(XferblkQueue, s->num_queues);
    for (i = 0; i < s->num_queues; i++) {
        XferblkQueue *q = &s->queues[i];

        q->s = s;
        q->phase = true;
        q->tag_table = g_new0(XferblkTagChain, s->max_depth);
        q->seen_tags = bitmap_new(XFERBLK_TAG_SPACE);
        q->stray_next = XFERBLK_TAG_SPACE - 1;
        QTAILQ_INIT(&q->backend);
        QTAILQ_INIT(&q->hung);
        QTAILQ_INIT(&q->done);
    }
    s->ctrl = 0;
    s->inflight = 0;
    xferblk_init_identity(s);
    s->fault = s->fault_props;
    xferblk_seed(s, s->fault.seed);
    s->every_count = 0;
    s->hostile_armed = 0;
}

static void xferblk_exit(PCIDevice *pdev)
{
    XferblkState *s = XFERBLK(pdev);
    uint32_t i;

    xferblk_stop(s);
    qemu_bh_delete(s->post_bh);
    s->post_bh = NULL;
    timer_free(s->delay_timer);
    s->delay_timer = NULL;
    for (i = 0; i < s->num_queues; i++) {
        g_free(s->queues[i].tag_table);
        g_free(s->queues[i].seen_tags);
    }
    g_free(s->queues);
    s->queues = NULL;
    msix_uninit_exclusive_bar(pdev);
}

static void xferblk_reset(DeviceState *dev)
{
    xferblk_stop(XFERBLK(dev));
}

static const Property xferblk_props[] = {
    DEFINE_PROP_DRIVE("drive", XferblkState, conf.blk),
    DEFINE_PROP_UINT32("logical_block_size", XferblkState,
                       conf.logical_block_size, 512),
    DEFINE_PROP_UINT32("max-transfer", XferblkState, max_xfer, 128 * KiB),
    DEFINE_PROP_UINT32("max-segments", XferblkState, max_segs, 32),
    DEFINE_PROP_UINT32("max-segment-size", XferblkState, max_seg_size,
                       64 * KiB),
    DEFINE_PROP_UINT64("seg-boundary", XferblkState, seg_boundary,
                       0xffffffffULL),
    DEFINE_PROP_UINT32("queues", XferblkState, num_queues,
                       XFERBLK_QUEUES_AUTO),
    DEFINE_PROP_UINT32("queue-depth", XferblkState, max_depth, 256),
    DEFINE_PROP_BOOL("write-cache", XferblkState, write_cache, true),
    DEFINE_PROP_BOOL("discard", XferblkState, discard, true),
    DEFINE_PROP_BOOL("abort", XferblkState, abort, true),
    DEFINE_PROP_UINT32("max-discard-blocks", XferblkState, max_discard,
                       65536),
    DEFINE_PROP_UINT32("discard-granularity", XferblkState, discard_gran, 8),
    DEFINE_PROP_UINT32("max-write-zeroes-blocks", XferblkState, max_wzeroes,
                       65536),
    DEFINE_PROP_BOOL("null", XferblkState, null_backend, false),
    DEFINE_PROP_SIZE("null-size", XferblkState, null_size, 0),
    DEFINE_PROP_STRING("hostile-limits", XferblkState, hostile_limits),
    DEFINE_PROP_UINT32("fault-fail-nth", XferblkState, fault_props.fail_nth,
                       0),
    DEFINE_PROP_UINT32("fault-status", XferblkState, fault_props.status,
                       XFERBLK_STS_MEDIA_ERROR),
    DEFINE_PROP_UINT32("fault-hang-nth", XferblkState, fault_props.hang_nth,
                       0),
    DEFINE_PROP_UINT32("fault-delay-us", XferblkState, fault_props.delay_us,
                       0),
    DEFINE_PROP_UINT32("fault-jitter-us", XferblkState,
                       fault_props.jitter_us, 0),
    DEFINE_PROP_UINT32("fault-every-n", XferblkState, fault_props.every_n, 0),
    DEFINE_PROP_UINT32("fault-prob-ppm", XferblkState, fault_props.prob_ppm,
                       0),
    DEFINE_PROP_UINT32("fault-seed", XferblkState, fault_props.seed,
                       XFERBLK_DEFAULT_SEED),
    DEFINE_PROP_UINT64("fault-lba-start", XferblkState,
                       fault_props.lba_start, 0),
    DEFINE_PROP_UINT64("fault-lba-count", XferblkState,
                       fault_props.lba_count, 0),
    DEFINE_PROP_UINT32("fault-dma-nth", XferblkState, fault_props.dma_nth, 0),
};

static const VMStateDescription vmstate_xferblk = {
    .name = TYPE_XFERBLK,
    .unmigratable = 1,
};

static void xferblk_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(klass);

    pc->realize = xferblk_realize;
    pc->exit = xferblk_exit;
    pc->vendor_id = XFERBLK_PCI_VENDOR_ID;
    pc->device_id = XFERBLK_PCI_DEVICE_ID;
    pc->class_id = PCI_CLASS_STORAGE_OTHER;

    dc->desc = "xferblk block device with a small DMA engine";
    dc->vmsd = &vmstate_xferblk;
    device_class_set_props(dc, xferblk_props);
    object_class_property_set_description(klass, "queues",
        "Queue pairs, 1 to 64 (default: one per guest CPU, at most 64)");
    object_class_property_set_description(klass, "null",
        "Null backend: commands are validated and completed with no data "
        "moved and no access to the drive, which may be absent");
    object_class_property_set_description(klass, "null-size",
        "Capacity in bytes of a null backend without a drive (default 1G)");
    object_class_property_set_description(klass, "hostile-limits",
        "Report one absurd identity or limit register (test only): none, "
        "bad-magic, bad-version, zero-capacity, huge-capacity, "
        "bad-block-size, zero-max-transfer, tiny-max-transfer, "
        "zero-segments, tiny-segment-size, bad-boundary, zero-queues, "
        "many-queues, bad-depth");
    device_class_set_legacy_reset(dc, xferblk_reset);
    set_bit(DEVICE_CATEGORY_STORAGE, dc->categories);
}

static const TypeInfo xferblk_info = {
    .name          = TYPE_XFERBLK,
    .parent        = TYPE_PCI_DEVICE,
    .instance_size = sizeof(XferblkState),
    .class_init    = xferblk_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { }
    },
};

static void xferblk_register_types(void)
{
    type_register_static(&xferblk_info);
}

type_init(xferblk_register_types)
