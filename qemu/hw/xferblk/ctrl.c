/*
 * xferblk: the controller: registers, properties, realize and reset
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "xferblk.h"

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
        return q->enabled ? XFERBLK_QCTRL_ENABLE |
                            (q->polled ? XFERBLK_QCTRL_POLLED : 0) : 0;
    }
    return 0;
}

static void xferblk_queue_write(XferblkQueue *q, hwaddr off, uint32_t val)
{
    if (off == XFERBLK_QREG_CTRL) {
        if (val & XFERBLK_QCTRL_ENABLE) {
            xferblk_queue_enable(q, val & XFERBLK_QCTRL_POLLED);
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
        val = xferblk_queue_read(&s->queues[addr / XFERBLK_REG_QUEUE_STRIDE],
                                 addr % XFERBLK_REG_QUEUE_STRIDE);
        return xferblk_chaos_register(s, val);
    }
    if (addr >= XFERBLK_REG_FAULT_CHAOS_LIES &&
        addr < XFERBLK_REG_FAULT_CHAOS_LIES + 8 * XFERBLK_CHAOS_NR) {
        val = s->chaos_lies[(addr - XFERBLK_REG_FAULT_CHAOS_LIES) / 8];
        return addr & 4 ? val >> 32 : val;
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
    case XFERBLK_REG_INTR_COALESCE:
        return s->coalesce;
    case XFERBLK_REG_MAX_DISCARD:
        return s->features & XFERBLK_FEAT_DISCARD ? s->max_discard : 0;
    case XFERBLK_REG_DISCARD_GRAN:
        return s->discard_gran;
    case XFERBLK_REG_MAX_WZEROES:
        return s->features & XFERBLK_FEAT_WRITE_ZEROES ? s->max_wzeroes : 0;
    case XFERBLK_REG_CTRL:
        return xferblk_chaos_register(s, s->ctrl);
    case XFERBLK_REG_STATUS:
        return xferblk_chaos_register(s, s->ctrl & XFERBLK_CTRL_ENABLE ?
                                      XFERBLK_STATUS_READY : 0);
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
    case XFERBLK_REG_FAULT_CHAOS_PPM:
        return s->fault.chaos_ppm;
    case XFERBLK_REG_FAULT_CHAOS_KINDS:
        return s->fault.chaos_kinds;
    }
    return 0;
}

static void xferblk_write32(XferblkState *s, hwaddr addr, uint32_t val)
{
    hwaddr q_end = XFERBLK_REG_QUEUE(s->num_queues);
    hwaddr db_end = XFERBLK_REG_DOORBELL(s->num_queues);
    XferblkQueue *q;
    uint32_t i;

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
    case XFERBLK_REG_INTR_COALESCE:
        /* Takes effect at the next completion; bits 8-15 are reserved. */
        s->coalesce = val & (XFERBLK_COALESCE_THRESHOLD |
                             0xffffu << XFERBLK_COALESCE_TIME_SHIFT);
        /* Entries held under the old setting are judged by the new one. */
        for (i = 0; i < s->num_queues; i++) {
            if (s->queues[i].enabled) {
                xferblk_irq_flush(&s->queues[i]);
            }
        }
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
    case XFERBLK_REG_FAULT_CHAOS_PPM:
        s->fault.chaos_ppm = MIN(val, XFERBLK_PPM);
        break;
    case XFERBLK_REG_FAULT_CHAOS_KINDS:
        s->fault.chaos_kinds = val & XFERBLK_CHAOS_ALL;
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
    if (f->chaos_ppm > XFERBLK_PPM) {
        error_setg(errp, "fault-chaos-ppm must be at most %u, not %u",
                   XFERBLK_PPM, f->chaos_ppm);
        return false;
    }
    if (f->chaos_kinds & ~XFERBLK_CHAOS_ALL) {
        error_setg(errp, "fault-chaos-kinds must be a mask within 0x%x, "
                   "not 0x%x", XFERBLK_CHAOS_ALL, f->chaos_kinds);
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

    s->features = XFERBLK_FEAT_COALESCE | XFERBLK_FEAT_POLLED |
                  (s->abort ? XFERBLK_FEAT_ABORT : 0);
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
        q->coalesce_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                         xferblk_coalesce_timer_cb, q);
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
        timer_free(s->queues[i].coalesce_timer);
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
    DEFINE_PROP_UINT32("fault-chaos-ppm", XferblkState, fault_props.chaos_ppm,
                       0),
    DEFINE_PROP_UINT32("fault-chaos-kinds", XferblkState,
                       fault_props.chaos_kinds, 0),
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
