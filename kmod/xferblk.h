/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * xferblk: what the three layers of the driver share.
 *
 *   class.c  submit_bio: cut a parent bio into children, one per device
 *            command, and complete the parent when its last child ends.
 *   mq.c     the blk-mq comparison mode: the block layer splits instead,
 *            and each request becomes one command.
 *   port.c   one bio (a child) or request -> one descriptor on a ring;
 *            interrupts (or poll_bio, on poll queues) reap completions
 *            and end them with bio_endio().
 *   reset.c  timeouts, aborts and controller resets.
 *   pci.c    probe/remove: validate the device, rings, vectors, the disk.
 *   sysfs.c  counters and settings in /sys/block/xferblkN/xferblk/, and
 *            the counters that are tables in debugfs.
 *   ioctl.c  the same through ioctls (uapi/xferblk.h).
 *   plan.c   the split planner (pure C, also built by the host tests).
 *   volume.c, volume_cfg.c  volumes over several targets (volume.h).
 */
#ifndef XFERBLK_H
#define XFERBLK_H

#include <linux/bio.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/mempool.h>
#include <linux/pci.h>
#include <linux/refcount.h>
#include <linux/wait.h>

#include "compat.h"
#include "plan.h"
#include "../uapi/xferblk.h"
#include "../uapi/xferblk_hw.h"

/* SG entries one command's table holds: one page of struct xferblk_sge. */
#define XFERBLK_SGL_ENTRIES	(PAGE_SIZE / sizeof(struct xferblk_sge))

/*
 * The completion context of one parent bio (the IRP's IoStatus): lives from
 * submit_bio until its last child ends.
 *
 * Made by xferblk_parent_new(); pending counts the children alive plus one
 * "sender" reference, held by whoever will cut the next child, until the
 * whole parent has been sent. The last reference completes the parent.
 * first_err packs the index of the first failing child and its status, so
 * both are claimed together: -1 while every child has succeeded.
 */
struct xferblk_parent {
	struct bio *bio;		/* advanced as children are cut */
	struct xferblk_dev *xd;
	refcount_t pending;
	atomic_t first_err;		/* child index << 8 | blk_status_t */
	atomic64_t bytes_done;		/* by children that succeeded */
	unsigned int nr_children;	/* cut so far */
	unsigned int sectors;		/* of the whole parent */
	bool sync;			/* one child at a time */
	bool preflush;			/* a FLUSH must go before any data */
	bool all_sent;
	bool nowait;			/* its sender may not wait (REQ_NOWAIT, in submit_bio) */
	unsigned long acct_start;	/* jiffies, for I/O accounting */
	u64 dispatch_ns;
	struct work_struct send_work;	/* sync mode: cut the next child */
};

/*
 * A child bio and what the driver keeps for it: the bioset's front_pad.
 * Born in xferblk_child_new(), dies in xferblk_child_end_io() (class.c).
 */
struct xferblk_child {
	struct xferblk_parent *parent;
	unsigned int index;		/* position within the parent */
	bool kick_sender;		/* its end sends the parent's next child */
	struct bio bio;			/* must be last */
};

static inline struct xferblk_child *to_child(struct bio *bio)
{
	return container_of(bio, struct xferblk_child, bio);
}

struct xferblk_dma_map {
	dma_addr_t addr;
	u32 len;
};

/*
 * What a command slot keeps for a whole bio, in place of a parent's
 * completion context (class.c, "the small-I/O path").
 */
struct xferblk_whole {
	unsigned long acct_start;	/* jiffies, for I/O accounting */
	u64 dispatch_ns;
};

/*
 * One device command slot; its index is the command's tag. It carries a
 * bio (bio mode: a child, or with @whole a caller's bio that fits one
 * command) or a request (mq mode); neither while it is free.
 */
struct xferblk_cmd {
	struct bio *bio;
	bool whole;			/* @bio is the caller's: see @wctx */
	struct xferblk_whole wctx;
	struct request *rq;
	struct xferblk_sge *sgl;	/* XFERBLK_SGL_ENTRIES, coherent */
	dma_addr_t sgl_dma;
	struct xferblk_dma_map *maps;	/* one per mapped bvec */
	unsigned int nr_maps;
	enum dma_data_direction dir;
	unsigned long deadline;		/* jiffies: then it is aborted */
	u64 seq;			/* the queue's seq when it was put on */
	u32 sq_pos;			/* the queue's sq_puts when it was put on */
	u32 bytes;			/* READ/WRITE: what the completion must report */
	u16 gen;			/* bumped each time the slot is reused */
	bool rung;			/* the device has been told of it */
};

static inline bool xferblk_cmd_busy(const struct xferblk_cmd *cmd)
{
	return cmd->bio || cmd->rq;
}

/* mq mode: what blk-mq keeps for the driver in each request. */
struct xferblk_rq {
	blk_status_t status;		/* set on completion, ended outside locks */
};

struct xferblk_queue {
	struct xferblk_dev *xd;
	unsigned int qid;
	unsigned int depth;		/* ring entries */
	unsigned int nr_tags;		/* I/O tags: depth - 2; tag nr_tags aborts */
	unsigned int gen_shift;		/* wire tag = gen << gen_shift | slot */
	bool polled;			/* no interrupt: reaped by poll_bio */

	spinlock_t sq_lock;		/* sq_tail, the SQ ring, stopped, submitted */
	bool stopped;			/* a controller reset is running */
	u64 submitted;			/* commands put on this ring (reset by users) */
	u64 seq;			/* the same, never reset: names a command */
	struct xferblk_sqe *sq;
	dma_addr_t sq_dma;
	u32 sq_tail;
	u32 sq_rung;			/* the tail last written to the doorbell */
	u16 *sq_slot_tag;		/* per SQ entry: its command's tag */
	/*
	 * Spec 1.3 fetch counts: entries put on the ring since it was set up,
	 * and their number at the last doorbell; a completion's own count of
	 * entries fetched is checked against them.
	 */
	bool fetch_counts;		/* the device reports them (1.3) */
	u32 sq_puts;
	u32 sq_rung_puts;		/* written under sq_lock, read in reaping */
	u32 abort_pos;			/* sq_puts of the abort entry */

	spinlock_t cq_lock;		/* cq_head, cq_phase, reaping */
	struct xferblk_cqe *cq;
	dma_addr_t cq_dma;
	u32 cq_head;
	u16 cq_phase;
	int abort_target;		/* tag being aborted, or -1; cq_lock */
	u16 abort_gen;			/* the abort's generation; cq_lock and sq_lock */
	u64 abort_seq;			/* its seq: the same command, not the slot */
	unsigned long abort_deadline;
	bool reset_wanted;		/* an abort found the target lost; cq_lock */

	unsigned long *tag_map;		/* bit set: tag in use */
	wait_queue_head_t tag_wait;	/* submitters waiting for a tag */
	struct xferblk_cmd *cmds;	/* nr_tags */

	void __iomem *sq_doorbell;
	void __iomem *cq_doorbell;
	int irq;
};

/*
 * Driver-side counters, per CPU; sysfs and the ioctl sum them. Each scalar
 * has its entry in xferblk_counters[] (sysfs.c); hist comes last.
 */
struct xferblk_stats {
	u64 parents;
	u64 children;
	u64 errors;			/* children that ended with an error */
	u64 parent_errors;		/* parents that ended with an error */
	u64 cancelled;			/* children ended before reaching the device */
	u64 rejected;			/* device completions with a reject status */
	u64 bogus;			/* completions refused: tag, generation, fetch count */
	u64 unsendable;			/* children the port layer could not map */
	u64 timeouts;			/* commands ended by an abort */
	u64 resets;			/* controller resets */
	u64 hist[XFERBLK_HIST_BUCKETS];	/* parents per children bucket */
};

struct xferblk_dev {
	struct pci_dev *pdev;
	struct workqueue_struct *wq;	/* sync mode senders, timeouts */
	struct delayed_work timeout_work;
	bool broken;			/* the last reset failed: I/O fails, retried */
	bool send_sync;			/* new parents use sync send */
	bool mq;			/* blk-mq splits; one request, one command */
	struct blk_mq_tag_set tag_set;	/* mq mode */
	void __iomem *regs;
	struct gendisk *disk;
	int index;			/* xferblk<index> */

	struct xferblk_limits lim;	/* what one command may carry */
	u64 capacity;			/* logical blocks */
	u32 features;			/* XFERBLK_FEAT_* */
	u32 version_minor;
	bool write_cache;		/* volatile cache: FLUSH and FUA matter */
	u32 coalesce;			/* INTR_COALESCE: entries | us << 16 */
	struct mutex coalesce_lock;	/* coalesce and its register write */
	u32 max_discard;		/* blocks per DISCARD, 0: none */
	u32 max_wzeroes;		/* blocks per WRITE_ZEROES, 0: none */
	u32 discard_gran;		/* blocks */

	struct bio_set bioset;		/* children, with xferblk_child in front */
	mempool_t parent_pool;

	unsigned int nr_vectors;	/* MSI-X vectors allocated */
	unsigned int nr_queues;		/* with interrupts, then polled */
	unsigned int nr_poll_queues;	/* the last ones of @queues */
	struct xferblk_queue *queues;
	unsigned int *cpu_queue;	/* nr_cpu_ids entries: queue of each CPU */

	struct xferblk_stats __percpu *stats;
	struct dentry *debugfs;		/* xferblk/xferblkN/ */
};

/* Minors per disk: the disk and its partitions. */
#define XFERBLK_MINORS		16

/* pci.c */
extern int xferblk_major;
int xferblk_index_alloc(void);
void xferblk_index_free(int index);
bool xferblk_is_pci_disk(struct gendisk *disk);
int xferblk_pci_disk_devt(const char *addr, dev_t *devt);
int xferblk_volume_init(void);
void xferblk_volume_exit(void);

/* Module parameters (pci.c). */
extern bool xferblk_split;
extern bool xferblk_whole;
extern unsigned int xferblk_timeout_ms;
extern unsigned int xferblk_coalesce_entries;
extern unsigned int xferblk_coalesce_us;
extern unsigned int xferblk_poll_queues;

/* The INTR_COALESCE value of @entries (0-255) and @us (0-65535). */
static inline u32 xferblk_coalesce_value(unsigned int entries, unsigned int us)
{
	return (entries & XFERBLK_COALESCE_THRESHOLD) |
	       (us & U16_MAX) << XFERBLK_COALESCE_TIME_SHIFT;
}

/* class.c */
void xferblk_submit_bio(struct bio *bio);
blk_status_t xferblk_check_range(struct bio *bio, sector_t capacity, u32 block_size);
/*
 * Sectors from @iter of @bio that one command within @lim carries, in whole
 * blocks; 0 if not even one block fits.
 */
unsigned int xferblk_plan_bio(const struct xferblk_limits *lim, struct bio *bio,
			      struct bvec_iter iter);
void xferblk_whole_done(struct xferblk_dev *xd, struct bio *bio,
			const struct xferblk_whole *wctx, blk_status_t status);

/* port.c */
int xferblk_queue_init(struct xferblk_dev *xd, struct xferblk_queue *q,
		       unsigned int qid, unsigned int depth);
void xferblk_queue_free(struct xferblk_dev *xd, struct xferblk_queue *q);
int xferblk_queue_enable(struct xferblk_dev *xd, struct xferblk_queue *q);
void xferblk_port_set_coalescing(struct xferblk_dev *xd);
irqreturn_t xferblk_irq(int irq, void *data);
unsigned int xferblk_port_reap(struct xferblk_queue *q);
int xferblk_poll_bio(struct bio *bio, struct io_comp_batch *iob, unsigned int flags);
unsigned int xferblk_port_poll(struct xferblk_dev *xd);
void xferblk_port_sync_reaping(struct xferblk_queue *q);

/*
 * A sender's owed doorbell: the queue whose ring it has put commands on
 * without ringing, so the children cut from one parent in one go cost one
 * doorbell write. Rung before the sender can sleep: until then the device
 * cannot see those commands.
 */
struct xferblk_plug {
	struct xferblk_queue *q;
};

struct xferblk_queue *xferblk_port_get_tag(struct xferblk_dev *xd, bool nowait, bool polled,
					   struct xferblk_plug *plug, unsigned int *tag);
void xferblk_port_put_tag(struct xferblk_queue *q, unsigned int tag);
struct xferblk_queue *xferblk_port_reserve(struct xferblk_dev *xd, unsigned int n,
					   bool polled, u16 *tags);
blk_status_t xferblk_port_send(struct xferblk_queue *q, unsigned int tag, struct bio *bio,
			       const struct xferblk_whole *wctx, struct xferblk_plug *plug);
void xferblk_port_unplug(struct xferblk_plug *plug);
void xferblk_port_abort(struct xferblk_queue *q, unsigned int tag);
unsigned int xferblk_port_fail_all(struct xferblk_dev *xd, blk_status_t status);
void xferblk_set_stopped(struct xferblk_dev *xd, bool stopped);
blk_status_t xferblk_port_queue_rq(struct xferblk_queue *q, struct request *rq,
				   bool defer);
void xferblk_port_kick(struct xferblk_queue *q);

/* mq.c: the blk-mq comparison mode */
int xferblk_mq_init(struct xferblk_dev *xd);
void xferblk_mq_exit(struct xferblk_dev *xd);
extern const struct block_device_operations xferblk_mq_fops;

/* reset.c */
int xferblk_reset(struct xferblk_dev *xd);
void xferblk_timeout_work(struct work_struct *work);

/* sysfs.c */
/* "async" or "sync", the names of send modes everywhere: 0, or -EINVAL. */
int xferblk_parse_send_mode(const char *buf, bool *sync);
const char *xferblk_send_mode_name(bool sync);
extern const struct attribute_group *xferblk_disk_groups[];
void xferblk_sysfs_init(void);
void xferblk_debugfs_init(void);
void xferblk_debugfs_exit(void);
void xferblk_debugfs_add(struct xferblk_dev *xd);
void xferblk_debugfs_remove(struct xferblk_dev *xd);

/* One driver counter: sysfs file, per-CPU field, XFERBLK_IOC_STATS field. */
struct xferblk_counter_desc {
	struct device_attribute attr;
	size_t stat;			/* offsetof(struct xferblk_stats, ...) */
	size_t ioc;			/* offsetof(struct xferblk_ioc_stats, ...) */
};

extern struct xferblk_counter_desc xferblk_counters[];
extern const unsigned int xferblk_nr_counters;
u64 xferblk_stat_sum(struct xferblk_dev *xd, size_t offset);
void xferblk_reset_counters(struct xferblk_dev *xd);

/* ioctl.c */
int xferblk_ioctl(struct block_device *bdev, blk_mode_t mode, unsigned int cmd,
		  unsigned long arg);

static inline u32 xferblk_read32(struct xferblk_dev *xd, u32 reg)
{
	return readl(xd->regs + reg);
}

static inline u64 xferblk_read64(struct xferblk_dev *xd, u32 reg)
{
	return lo_hi_readq(xd->regs + reg);
}

static inline void xferblk_write32(struct xferblk_dev *xd, u32 reg, u32 val)
{
	writel(val, xd->regs + reg);
}

static inline void xferblk_write64(struct xferblk_dev *xd, u32 reg, u64 val)
{
	lo_hi_writeq(val, xd->regs + reg);
}

#endif /* XFERBLK_H */
