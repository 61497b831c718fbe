/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xferblk volumes: one disk over several I/O targets (docs/design.md,
 * "Volumes and targets").
 *
 *   volume.c      submit_bio of a volume: map the parent onto its targets,
 *                 cut children within each target's limits, send each as
 *                 a bio to its target (WdfRequestChangeTarget + Send), and
 *                 complete the parent when the last child ends.
 *   volume_cfg.c  configfs (/sys/kernel/config/xferblk/<volume>/): targets,
 *                 layout, chunk; power on opens the targets and adds the
 *                 disk; its sysfs attributes.
 *
 * A PCI xferblk disk is not a volume: it keeps its own submit_bio (class.c).
 * A volume reaches a PCI device through that disk, with children cut to the
 * device's command limits, so each is one command there.
 */
#ifndef XFERBLK_VOLUME_H
#define XFERBLK_VOLUME_H

#include <linux/configfs.h>

#include "xferblk.h"

#define XFERBLK_VOL_MAX_TARGETS	8
#define XFERBLK_TARGET_SPEC_LEN	64

enum xferblk_layout {
	XFERBLK_LAYOUT_SINGLE,		/* one target, as it is */
	XFERBLK_LAYOUT_LINEAR,		/* targets end to end */
	XFERBLK_LAYOUT_STRIPE,		/* chunks round robin over the targets */
	XFERBLK_LAYOUT_MIRROR,		/* every target (leg) holds all the data */
};

struct xferblk_target {
	char spec[XFERBLK_TARGET_SPEC_LEN];	/* pci:<address> or a path */
	struct xferblk_bdev_handle h;		/* open and claimed while powered */
	struct xferblk_limits lim;		/* what one child to it may carry */
	sector_t sectors;			/* of it the volume uses */
	sector_t start;				/* linear: its first sector in the volume */
	atomic64_t children;			/* sent to it */
	atomic64_t errors;			/* of those, ended with an error */
};

struct xferblk_volume {
	struct config_group group;		/* /sys/kernel/config/xferblk/<name> */
	struct mutex cfg_lock;			/* configuration, power */

	/* Configuration: changed only while powered off. */
	enum xferblk_layout layout;
	u32 chunk_sectors;			/* stripe */
	unsigned int nr_targets;
	struct xferblk_target targets[XFERBLK_VOL_MAX_TARGETS];

	/* While powered. */
	struct gendisk *disk;
	int index;				/* xferblk<index>, from the PCI disks' pool */
	spinlock_t state_lock;			/* live_legs, openers, dying */
	unsigned long live_legs;		/* mirror: legs still read and written */
	unsigned int openers;
	bool dying;				/* powering off: no new opener */
	struct bio_set bioset;			/* children, xferblk_vchild in front */
	mempool_t parent_pool;
	atomic_t read_rr;			/* mirror: the next leg to read */
	atomic_t inflight;			/* parents not yet completed */

	atomic64_t parents;
	atomic64_t parent_errors;		/* = errors callers saw */
	atomic64_t read_retries;		/* mirror: reads sent again to another leg */
	atomic64_t legs_failed;			/* mirror: legs marked failed */
};

/*
 * The completion context of one bio sent to a volume. pending counts the
 * children alive plus one sender reference; the last one completes the bio.
 * first_err packs the first failing target and its status.
 */
struct xferblk_vparent {
	struct bio *bio;
	struct xferblk_volume *vol;
	refcount_t pending;
	atomic_t first_err;			/* target << 8 | blk_status_t, or -1 */
	atomic_t flushes;			/* preflush children left, + 1 */
	unsigned long sent_legs;		/* mirror write: legs sent to */
	unsigned long failed_legs;		/* mirror write: legs that failed (bitops) */
	atomic_t children[XFERBLK_VOL_MAX_TARGETS];
	unsigned long acct_start;
	struct work_struct data_work;		/* the data, after the preflush */
};

/* A volume's child: the bioset's front_pad. Born and dies in volume.c. */
struct xferblk_vchild {
	struct xferblk_vparent *parent;
	unsigned int target;
	unsigned long tried;			/* mirror read: legs tried for this range */
	u32 offset;				/* sectors into the parent */
	/* Its own count: a blk-mq target advances bi_iter as it completes. */
	u32 sectors;
	bool flush;				/* a preflush's empty flush */
	struct work_struct retry_work;		/* mirror read: another leg */
	struct bio bio;				/* must be last */
};

static inline bool xferblk_vol_leg_live(struct xferblk_volume *vol, unsigned int t)
{
	return test_bit(t, &vol->live_legs);
}

/* For the trace: children per target, and the target that failed first (or -1). */
static inline void xferblk_vparent_children(struct xferblk_vparent *parent, unsigned int *out)
{
	unsigned int i;

	for (i = 0; i < XFERBLK_VOL_MAX_TARGETS; i++)
		out[i] = atomic_read(&parent->children[i]);
}

static inline int xferblk_vparent_first_target(struct xferblk_vparent *parent)
{
	int err = atomic_read(&parent->first_err);

	return err < 0 ? -1 : err >> 8;
}

/* volume.c */
void xferblk_vol_submit_bio(struct bio *bio);
int xferblk_vol_io_init(void);
void xferblk_vol_io_exit(void);
extern struct kmem_cache *xferblk_vparent_cache;

/* volume_cfg.c (and xferblk_volume_init/exit, in xferblk.h) */
const char *xferblk_layout_name(enum xferblk_layout layout);

#endif /* XFERBLK_VOLUME_H */
