/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Split planner: how much of a bio one device command can carry.
 *
 * Pure C with no kernel dependency, so the host unit tests build plan.c
 * unchanged. The class layer feeds it the bio's physically contiguous
 * ranges in order; the port layer cuts DMA segments with the same
 * xferblk_sge_len(), so a plan and the descriptors it becomes always agree.
 */
#ifndef XFERBLK_PLAN_H
#define XFERBLK_PLAN_H

#include <linux/types.h>
#ifndef __KERNEL__
#include <stdbool.h>
typedef __u32 u32;
typedef __u64 u64;
#endif

/* What one device command may carry; validated before the planner runs. */
struct xferblk_limits {
	u32 block_size;		/* logical block, power of two, <= 4096 */
	u32 max_xfer;		/* bytes, a multiple of block_size */
	u32 max_segs;		/* SG entries, >= 1 */
	u32 max_seg_size;	/* bytes per SG entry, >= 4096 */
	u64 seg_boundary;	/* mask; an entry stays within mask + 1 */
};

struct xferblk_plan {
	const struct xferblk_limits *lim;
	u32 bytes;		/* bytes accepted into the command */
	u32 segs;		/* SG entries those bytes need */
	bool full;		/* no further byte fits */
};

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of the first SG entry for the range [addr, addr + len). */
u32 xferblk_sge_len(const struct xferblk_limits *lim, u64 addr, u32 len);

void xferblk_plan_init(struct xferblk_plan *plan,
		       const struct xferblk_limits *lim);

/*
 * Offers the next physically contiguous range of the data. Returns how many
 * of its bytes fit; fewer than @len means the command is full.
 */
u32 xferblk_plan_add(struct xferblk_plan *plan, u64 addr, u32 len);

/*
 * Bytes the command carries: what was accepted, cut back to whole blocks.
 * 0 means not even one block fits: the data cannot be sent as planned.
 */
u32 xferblk_plan_bytes(const struct xferblk_plan *plan);

/*
 * Blocks of a data-less command (DISCARD, WRITE_ZEROES) starting at block
 * @first, of @count left, at most @max per command. A cut that is needed
 * anyway falls on a multiple of @granularity (a power of two, in blocks)
 * when one lies inside the command, so the following commands stay aligned.
 */
u32 xferblk_plan_span(u64 first, u64 count, u32 max, u32 granularity);

#ifdef __cplusplus
}
#endif

#endif /* XFERBLK_PLAN_H */
