/*
 * xferblk: the QEMU device model's private header: its state, and what the
 * parts of the model call in each other.
 *
 *   ctrl.c   registers, properties, realize and reset
 *   queue.c  rings, doorbells, completion posting, interrupts, queue stop
 *   cmd.c    a command: validation, the backend, merging, ABORT
 *   fault.c  fault injection and the hostile modes (test only)
 *
 * The register map, ring layouts, validation order and status codes are
 * the project's docs/device-spec.md (version 1.5), rendered in C as
 * xferblk_hw.h; merging is its section "Merging", faults "Fault injection".
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

#ifndef HW_XFERBLK_H
#define HW_XFERBLK_H

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
#define XFERBLK_CHAOS_ALL       ((1u << XFERBLK_CHAOS_NR) - 1)
#define XFERBLK_CHAOS_RECENT    8       /* what a duplicate is taken from */
#define XFERBLK_CHAOS_DELAY_US  2000
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
    uint32_t chaos_ppm;         /* each chance of a lie, in ppm */
    uint32_t chaos_kinds;       /* BIT(enum xferblk_chaos) */
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
    XFERBLK_FAKE_LIE,       /* chaos: posted as made, counted as lie_kind */
} XferblkFake;

/* One fetched command, from its fetch until its completion is written. */
struct XferblkRequest {
    XferblkQueue *q;
    QTAILQ_ENTRY(XferblkRequest) entry;
    QLIST_ENTRY(XferblkRequest) tag_link;       /* while owns_tag */
    XferblkReqState state;
    XferblkFake fake;
    enum xferblk_chaos lie_kind;        /* XFERBLK_FAKE_LIE */
    bool early;         /* reports early_fetched, not the queue's count */
    uint32_t early_fetched;
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
    bool polled;                /* QCTRL.POLLED (1.5): no interrupts */

    /* Ring state, valid while enabled. */
    uint32_t sq_head;
    uint32_t cq_head;
    uint32_t cq_tail;
    bool phase;
    bool irq_pending;
    uint32_t irq_entries;       /* posted since the last interrupt */
    int64_t irq_first_ns;       /* when the first of them was posted */
    QEMUTimer *coalesce_timer;  /* INTR_COALESCE's time limit */
    uint32_t outstanding;       /* fetched, completion not yet written */

    /* Owners of in-flight tags: max_depth chains, full-tag compare. */
    XferblkTagChain *tag_table;
    unsigned long *seen_tags;   /* tags fetched since the queue was enabled */
    uint32_t stray_next;        /* where the next stray tag search starts */
    uint32_t sq_fetched;        /* entries fetched since enabled (spec 1.3) */
    /* The last completions posted, for the chaos mode's duplicates. */
    struct xferblk_cqe recent[XFERBLK_CHAOS_RECENT];
    unsigned recent_n;
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
    uint32_t coalesce;          /* INTR_COALESCE */
    uint32_t inflight;          /* accepted commands, all queues */
    uint64_t counters[XFERBLK_CNT_NR];
    XferblkQueue *queues;

    /* Fault injection (test only). */
    XferblkFaults fault;
    uint32_t every_count;       /* commands since the last EVERY_N failure */
    uint32_t hostile_armed;     /* XFERBLK_HOSTILE_* still to do */
    XferblkRng prob_rng;        /* FAULT_PROB_PPM draws, one per command */
    XferblkRng jitter_rng;      /* FAULT_JITTER_US draws, one per completion */
    XferblkRng chaos_rng;       /* FAULT_CHAOS_* draws */
    uint64_t chaos_lies[XFERBLK_CHAOS_NR];
};

static inline BlockAcctStats *xferblk_stats(XferblkState *s)
{
    return blk_get_stats(s->conf.blk);
}

static inline int xferblk_qid(XferblkQueue *q)
{
    return q - q->s->queues;
}

typedef enum XferblkFaultKind {
    XFERBLK_FAULT_NONE,
    XFERBLK_FAULT_HANG,     /* accepted, never completes */
    XFERBLK_FAULT_FAIL,     /* completes with FAULT_STATUS, nothing moves */
    XFERBLK_FAULT_DMA,      /* if valid, its data transfer fails */
    XFERBLK_FAULT_SHORT,    /* if valid, it reports one block less moved */
} XferblkFaultKind;

/* queue.c */
void xferblk_coalesce_timer_cb(void *opaque);
void xferblk_cq_doorbell(XferblkQueue *q, uint32_t head);
void xferblk_delay_timer_cb(void *opaque);
void xferblk_finish(XferblkRequest *req, int64_t not_before);
void xferblk_irq_flush(XferblkQueue *q);
void xferblk_post_bh(void *opaque);
void xferblk_post_ready(XferblkQueue *q);
void xferblk_queue_disable(XferblkQueue *q);
void xferblk_queue_enable(XferblkQueue *q, bool polled);
void xferblk_release(XferblkRequest *req);
void xferblk_sq_doorbell(XferblkQueue *q, uint32_t tail);
void xferblk_stop(XferblkState *s);
XferblkRequest *xferblk_tag_owner(XferblkQueue *q, uint16_t tag);
bool xferblk_take_tag(XferblkQueue *q, XferblkRequest *req);

/* cmd.c */
bool xferblk_dma_range_ok(AddressSpace *as, dma_addr_t addr,
                          dma_addr_t len, DMADirection dir);
void xferblk_batch_submit(XferblkQueue *q);
void xferblk_execute(XferblkQueue *q, XferblkRequest *req,
                     const struct xferblk_sqe *sqe,
                     XferblkFaultKind fault);
void xferblk_io_cb(void *opaque, int ret);
void xferblk_process_sqe(XferblkQueue *q, const struct xferblk_sqe *sqe);

/* fault.c */
bool xferblk_chaos(XferblkState *s, enum xferblk_chaos kind);
bool xferblk_chaos_draw(XferblkState *s, enum xferblk_chaos kind);
void xferblk_chaos_count(XferblkState *s, enum xferblk_chaos kind);
void xferblk_chaos_early(XferblkQueue *q, const struct xferblk_sqe *sqe);
void xferblk_chaos_posted(XferblkQueue *q, const struct xferblk_cqe *cqe);
void xferblk_chaos_lie(XferblkRequest *req, struct xferblk_cqe *cqe);
uint32_t xferblk_chaos_register(XferblkState *s, uint32_t val);
const char *xferblk_chaos_name(enum xferblk_chaos kind);
uint16_t xferblk_chaos_stray_tag(XferblkQueue *q);
void xferblk_hostile(XferblkRequest *req);
XferblkFaultKind xferblk_pick_fault(XferblkState *s,
                                    const struct xferblk_sqe *sqe);
void xferblk_release_hung(XferblkState *s);
uint64_t xferblk_rng_below(XferblkRng *rng, uint64_t n);
void xferblk_seed(XferblkState *s, uint32_t seed);
uint16_t xferblk_stray_tag(XferblkQueue *q);

#endif
