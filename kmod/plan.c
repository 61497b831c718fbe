// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split planner. Greedy: each command takes the longest prefix that fits.
 * The prefixes that fit are closed downwards (a shorter prefix never needs
 * more bytes or SG entries), so greedy cutting yields the fewest commands;
 * the host property test checks this against an exhaustive search.
 */
#include "plan.h"

u32 xferblk_sge_len(const struct xferblk_limits *lim, u64 addr, u32 len)
{
	/* Bytes left before the next boundary window starts. */
	u64 to_boundary = (lim->seg_boundary - (addr & lim->seg_boundary)) + 1;
	u32 n = len;

	if (n > lim->max_seg_size)
		n = lim->max_seg_size;
	/* 0 only when the mask is all ones and addr is 0: no boundary then. */
	if (to_boundary && to_boundary < n)
		n = (u32)to_boundary;
	return n;
}

void xferblk_plan_init(struct xferblk_plan *plan,
		       const struct xferblk_limits *lim)
{
	plan->lim = lim;
	plan->bytes = 0;
	plan->segs = 0;
	plan->full = false;
}

u32 xferblk_plan_add(struct xferblk_plan *plan, u64 addr, u32 len)
{
	const struct xferblk_limits *lim = plan->lim;
	u32 taken = 0;

	while (taken < len && !plan->full) {
		u32 piece = xferblk_sge_len(lim, addr + taken, len - taken);
		u32 room = lim->max_xfer - plan->bytes;

		if (piece >= room) {
			piece = room;
			plan->full = true;
		}
		plan->bytes += piece;
		plan->segs++;
		taken += piece;
		if (plan->segs == lim->max_segs)
			plan->full = true;
	}
	return taken;
}

u32 xferblk_plan_bytes(const struct xferblk_plan *plan)
{
	return plan->bytes & ~(plan->lim->block_size - 1);
}

u32 xferblk_plan_span(u64 first, u64 count, u32 max, u32 granularity)
{
	u64 end;

	if (count <= max)
		return (u32)count;
	end = (first + max) & ~((u64)granularity - 1);
	return end > first ? (u32)(end - first) : max;
}
