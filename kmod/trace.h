/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xferblk tracepoints: a parent's dispatch, each child's submission and
 * completion, and the parent's completion with its completion context;
 * a whole bio's dispatch and completion (the small-I/O path); the same
 * for a volume's parents and children, with each child's target.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xferblk

#if !defined(XFERBLK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define XFERBLK_TRACE_H

#include <linux/tracepoint.h>

#include "volume.h"

TRACE_EVENT(xferblk_parent_dispatch,
	    TP_PROTO(struct xferblk_parent *parent),
	    TP_ARGS(parent),
	    TP_STRUCT__entry(__string(disk, parent->xd->disk->disk_name)
			     __field(void *, parent)
			     __field(sector_t, sector)
			     __field(unsigned int, sectors)
			     __field(unsigned int, opf)
			     __field(bool, sync)),
	    TP_fast_assign(xferblk_assign_str(disk, parent->xd->disk->disk_name);
			   __entry->parent = parent;
			   __entry->sector = parent->bio->bi_iter.bi_sector;
			   __entry->sectors = parent->sectors;
			   __entry->opf = (__force unsigned int)parent->bio->bi_opf;
			   __entry->sync = parent->sync;),
	    TP_printk("%s parent=%p sector=%llu sectors=%u opf=%#x send=%s",
		      __get_str(disk), __entry->parent,
		      (unsigned long long)__entry->sector, __entry->sectors,
		      __entry->opf, __entry->sync ? "sync" : "async")
);

DECLARE_EVENT_CLASS(xferblk_child,
		    TP_PROTO(struct xferblk_child *child),
		    TP_ARGS(child),
		    TP_STRUCT__entry(__field(void *, parent)
				     __field(unsigned int, index)
				     __field(sector_t, sector)
				     __field(unsigned int, sectors)
				     __field(int, status)),
		    TP_fast_assign(__entry->parent = child->parent;
				   __entry->index = child->index;
				   __entry->sector = child->bio.bi_iter.bi_sector;
				   __entry->sectors = bio_sectors(&child->bio);
				   __entry->status = blk_status_to_errno(child->bio.bi_status);),
		    TP_printk("parent=%p child=%u sector=%llu sectors=%u status=%d",
			      __entry->parent, __entry->index,
			      (unsigned long long)__entry->sector, __entry->sectors,
			      __entry->status)
);

DEFINE_EVENT(xferblk_child, xferblk_child_submit,
	     TP_PROTO(struct xferblk_child *child),
	     TP_ARGS(child)
);

DEFINE_EVENT(xferblk_child, xferblk_child_complete,
	     TP_PROTO(struct xferblk_child *child),
	     TP_ARGS(child)
);

TRACE_EVENT(xferblk_parent_complete,
	    TP_PROTO(struct xferblk_parent *parent, int first_err_child,
		     blk_status_t status, u64 latency_ns),
	    TP_ARGS(parent, first_err_child, status, latency_ns),
	    TP_STRUCT__entry(__field(void *, parent)
			     __field(unsigned int, children)
			     __field(u64, bytes_done)
			     __field(int, first_err_child)
			     __field(int, status)
			     __field(u64, latency_ns)),
	    TP_fast_assign(__entry->parent = parent;
			   __entry->children = parent->nr_children;
			   __entry->bytes_done = atomic64_read(&parent->bytes_done);
			   __entry->first_err_child = first_err_child;
			   __entry->status = blk_status_to_errno(status);
			   __entry->latency_ns = latency_ns;),
	    TP_printk("parent=%p children=%u bytes_done=%llu first_err_child=%d status=%d latency_ns=%llu",
		      __entry->parent, __entry->children,
		      (unsigned long long)__entry->bytes_done,
		      __entry->first_err_child, __entry->status,
		      (unsigned long long)__entry->latency_ns)
);

/* The small-I/O path: a bio that one command carries whole. */
TRACE_EVENT(xferblk_whole_dispatch,
	    TP_PROTO(struct xferblk_dev *xd, struct bio *bio),
	    TP_ARGS(xd, bio),
	    TP_STRUCT__entry(__string(disk, xd->disk->disk_name)
			     __field(void *, bio)
			     __field(sector_t, sector)
			     __field(unsigned int, sectors)
			     __field(unsigned int, opf)),
	    TP_fast_assign(xferblk_assign_str(disk, xd->disk->disk_name);
			   __entry->bio = bio;
			   __entry->sector = bio->bi_iter.bi_sector;
			   __entry->sectors = bio_sectors(bio);
			   __entry->opf = (__force unsigned int)bio->bi_opf;),
	    TP_printk("%s bio=%p sector=%llu sectors=%u opf=%#x",
		      __get_str(disk), __entry->bio,
		      (unsigned long long)__entry->sector, __entry->sectors,
		      __entry->opf)
);

TRACE_EVENT(xferblk_whole_complete,
	    TP_PROTO(struct xferblk_dev *xd, struct bio *bio, blk_status_t status,
		     u64 latency_ns),
	    TP_ARGS(xd, bio, status, latency_ns),
	    TP_STRUCT__entry(__field(void *, bio)
			     __field(int, status)
			     __field(u64, latency_ns)),
	    TP_fast_assign(__entry->bio = bio;
			   __entry->status = blk_status_to_errno(status);
			   __entry->latency_ns = latency_ns;),
	    TP_printk("bio=%p status=%d latency_ns=%llu",
		      __entry->bio, __entry->status,
		      (unsigned long long)__entry->latency_ns)
);

/* Volumes (volume.c): a parent over several targets. */
TRACE_EVENT(xferblk_vol_parent_dispatch,
	    TP_PROTO(struct xferblk_vparent *parent),
	    TP_ARGS(parent),
	    TP_STRUCT__entry(__string(disk, parent->vol->disk->disk_name)
			     __field(void *, parent)
			     __field(sector_t, sector)
			     __field(unsigned int, sectors)
			     __field(unsigned int, opf)),
	    TP_fast_assign(xferblk_assign_str(disk, parent->vol->disk->disk_name);
			   __entry->parent = parent;
			   __entry->sector = parent->bio->bi_iter.bi_sector;
			   __entry->sectors = bio_sectors(parent->bio);
			   __entry->opf = (__force unsigned int)parent->bio->bi_opf;),
	    TP_printk("%s parent=%p sector=%llu sectors=%u opf=%#x",
		      __get_str(disk), __entry->parent,
		      (unsigned long long)__entry->sector, __entry->sectors, __entry->opf)
);

DECLARE_EVENT_CLASS(xferblk_vol_child,
		    TP_PROTO(struct xferblk_vparent *parent, struct xferblk_vchild *child),
		    TP_ARGS(parent, child),
		    TP_STRUCT__entry(__field(void *, parent)
				     __field(unsigned int, target)
				     __field(u32, offset)
				     __field(sector_t, sector)
				     __field(unsigned int, sectors)
				     __field(int, status)),
		    TP_fast_assign(__entry->parent = parent;
				   __entry->target = child->target;
				   __entry->offset = child->offset;
				   __entry->sector = child->bio.bi_iter.bi_sector;
				   __entry->sectors = child->sectors;
				   __entry->status = blk_status_to_errno(child->bio.bi_status);),
		    TP_printk("parent=%p target=%u offset=%u sector=%llu sectors=%u status=%d",
			      __entry->parent, __entry->target, __entry->offset,
			      (unsigned long long)__entry->sector, __entry->sectors,
			      __entry->status)
);

DEFINE_EVENT(xferblk_vol_child, xferblk_vol_child_submit,
	     TP_PROTO(struct xferblk_vparent *parent, struct xferblk_vchild *child),
	     TP_ARGS(parent, child)
);

DEFINE_EVENT(xferblk_vol_child, xferblk_vol_child_complete,
	     TP_PROTO(struct xferblk_vparent *parent, struct xferblk_vchild *child),
	     TP_ARGS(parent, child)
);

TRACE_EVENT(xferblk_vol_parent_complete,
	    TP_PROTO(struct xferblk_vparent *parent, blk_status_t status),
	    TP_ARGS(parent, status),
	    TP_STRUCT__entry(__field(void *, parent)
			     __array(unsigned int, children, XFERBLK_VOL_MAX_TARGETS)
			     __field(int, first_err_target)
			     __field(int, status)),
	    TP_fast_assign(__entry->parent = parent;
			   xferblk_vparent_children(parent, __entry->children);
			   __entry->first_err_target = xferblk_vparent_first_target(parent);
			   __entry->status = blk_status_to_errno(status);),
	    TP_printk("parent=%p children_per_target=%s first_err_target=%d status=%d",
		      __entry->parent,
		      __print_array(__entry->children, XFERBLK_VOL_MAX_TARGETS,
				    sizeof(unsigned int)),
		      __entry->first_err_target, __entry->status)
);

#endif /* XFERBLK_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
