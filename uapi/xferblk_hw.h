/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * xferblk device interface: BAR0 registers, ring entries, status codes.
 *
 * Shared unchanged by the QEMU device model, the Linux driver and the
 * userspace tools, so the three cannot drift apart. The prose version is
 * docs/device-spec.md; when the two disagree, fix both.
 *
 * All registers and ring entries are little-endian.
 */
#ifndef _UAPI_XFERBLK_HW_H
#define _UAPI_XFERBLK_HW_H

#include <linux/const.h>
#include <linux/types.h>

#define XFERBLK_PCI_VENDOR_ID		0x1234
#define XFERBLK_PCI_DEVICE_ID		0x58fb

#define XFERBLK_MAGIC			0x4b4c4258	/* "XBLK" */
#define XFERBLK_VERSION_MAJOR		1
#define XFERBLK_VERSION_MINOR		5

/* BAR0: registers; BAR2: MSI-X table and PBA. */
#define XFERBLK_BAR0_SIZE		0x4000

/* Identity and limits: read-only, 32 bit unless noted. */
#define XFERBLK_REG_MAGIC		0x000
#define XFERBLK_REG_VERSION		0x004	/* major << 16 | minor */
#define XFERBLK_REG_CAPACITY		0x008	/* 64 bit, logical blocks */
#define XFERBLK_REG_BLOCK_SIZE		0x010	/* logical block, bytes */
#define XFERBLK_REG_MAX_XFER		0x014	/* bytes per command */
#define XFERBLK_REG_MAX_SEGS		0x018	/* SG entries per command */
#define XFERBLK_REG_MAX_SEG_SIZE	0x01c	/* bytes per SG entry */
#define XFERBLK_REG_SEG_BOUNDARY	0x020	/* 64 bit mask */
#define XFERBLK_REG_NUM_QUEUES		0x028	/* queue pairs offered */
#define XFERBLK_REG_MAX_DEPTH		0x02c	/* entries per ring, max */
#define XFERBLK_REG_FEATURES		0x030	/* XFERBLK_FEAT_* */
#define XFERBLK_REG_MAX_DISCARD		0x034	/* blocks per DISCARD */
#define XFERBLK_REG_DISCARD_GRAN	0x038	/* blocks */
#define XFERBLK_REG_MAX_WZEROES		0x03c	/* blocks per WRITE_ZEROES */

/* Control. */
#define XFERBLK_REG_CTRL		0x040	/* read/write */
#define XFERBLK_REG_STATUS		0x044	/* read-only */
#define XFERBLK_REG_COUNTER_RESET	0x048	/* write-only: zero counters */
#define XFERBLK_REG_INTR_COALESCE	0x04c	/* 1.4, with FEAT_COALESCE */

/*
 * INTR_COALESCE: an interrupt waits for THRESHOLD completion entries, or
 * TIME microseconds after the first of them, whichever comes first; never
 * while nothing else is in flight on the queue. THRESHOLD < 2 or TIME 0:
 * every batch of completions interrupts at once. Zero after a reset.
 */
#define XFERBLK_COALESCE_THRESHOLD	0x000000ffU
#define XFERBLK_COALESCE_TIME_SHIFT	16

/*
 * Fault injection, for tests only; a driver never touches these. Each
 * countdown register arms one fault: N means "the Nth command fetched from
 * now on", 0 disarms. Reads return what is left of the countdown.
 */
#define XFERBLK_REG_FAULT_FAIL_NTH	0x050	/* complete it with FAULT_STATUS */
#define XFERBLK_REG_FAULT_STATUS	0x054	/* enum xferblk_status */
#define XFERBLK_REG_FAULT_HANG_NTH	0x058	/* never complete it */
#define XFERBLK_REG_FAULT_DELAY_US	0x05c	/* delay every completion */
#define XFERBLK_REG_FAULT_JITTER_US	0x060	/* + random 0..N us each */
#define XFERBLK_REG_FAULT_EVERY_N	0x064	/* fail every Nth command */
#define XFERBLK_REG_FAULT_PROB_PPM	0x068	/* fail with this probability */
#define XFERBLK_REG_FAULT_SEED		0x06c	/* write: restart the PRNG */
#define XFERBLK_REG_FAULT_LBA_START	0x070	/* 64 bit */
#define XFERBLK_REG_FAULT_LBA_COUNT	0x078	/* 64 bit; 0: off */
#define XFERBLK_REG_FAULT_DMA_NTH	0x080	/* its data transfer fails */
#define XFERBLK_REG_FAULT_HOSTILE	0x084	/* XFERBLK_HOSTILE_*, one-shot */
#define XFERBLK_REG_FAULT_SHORT_NTH	0x088	/* OK, but a block short */
#define XFERBLK_REG_FAULT_STUCK		0x08c	/* XFERBLK_STUCK_* */
#define XFERBLK_REG_FAULT_RELEASE	0x090	/* write: hung commands go on */
#define XFERBLK_REG_FAULT_CHAOS_PPM	0x094	/* lie with this probability */
#define XFERBLK_REG_FAULT_CHAOS_KINDS	0x098	/* BIT(enum xferblk_chaos) */
/* 64 bit each, read-only: the lies told, per kind, since the device started. */
#define XFERBLK_REG_FAULT_CHAOS_LIES	0x0c0

/* The lies of the chaos mode (docs/device-spec.md, "A lying device"). */
enum xferblk_chaos {
	XFERBLK_CHAOS_STRAY = 0,	/* a completion for a tag the device does not hold */
	XFERBLK_CHAOS_DUPLICATE,	/* a recent completion, again */
	XFERBLK_CHAOS_EARLY,		/* a completion for an entry before it is fetched */
	XFERBLK_CHAOS_STATUS,		/* a real completion with a random failing status */
	XFERBLK_CHAOS_RESULT,		/* a real OK completion with a wrong byte count */
	XFERBLK_CHAOS_NO_IRQ,		/* completions posted, the interrupt not sent */
	XFERBLK_CHAOS_DELAY,		/* a completion held up to 2 ms more */
	XFERBLK_CHAOS_REGISTER,		/* CTRL, STATUS or a queue register read random */
	XFERBLK_CHAOS_NR,
};

/* Hostile completions, armed by writing the bit; each clears once done. */
#define XFERBLK_HOSTILE_UNKNOWN_TAG	_BITUL(0)	/* a CQE for a tag never sent */
#define XFERBLK_HOSTILE_DUPLICATE	_BITUL(1)	/* the next CQE, twice */
#define XFERBLK_HOSTILE_EXTRA		_BITUL(2)	/* 8 CQEs for no command */

/* A device that ignores what should stop it (FAULT_STUCK). */
#define XFERBLK_STUCK_RESET		_BITUL(0)	/* RESET, ENABLE cleared: ignored */
#define XFERBLK_STUCK_ABORT		_BITUL(1)	/* ABORT ends nothing */

#define XFERBLK_CTRL_ENABLE		_BITUL(0)
#define XFERBLK_CTRL_RESET		_BITUL(1)	/* self-clearing */

#define XFERBLK_STATUS_READY		_BITUL(0)

/* Counters: 64 bit each, read-only, at XFERBLK_REG_COUNTERS + 8 * index. */
#define XFERBLK_REG_COUNTERS		0x100

enum xferblk_counter {
	XFERBLK_CNT_COMMANDS = 0,	/* fetched from a submission ring */
	XFERBLK_CNT_COMPLETED,		/* completions posted, any status */
	XFERBLK_CNT_READS,		/* successful read commands */
	XFERBLK_CNT_WRITES,		/* successful write commands */
	XFERBLK_CNT_FLUSHES,		/* successful flush commands */
	XFERBLK_CNT_BYTES_READ,
	XFERBLK_CNT_BYTES_WRITTEN,
	XFERBLK_CNT_SEGMENTS,		/* SG entries of accepted commands */
	XFERBLK_CNT_MAX_INFLIGHT,	/* high-water mark, all queues */
	XFERBLK_CNT_REJECTED,		/* commands failing validation */
	XFERBLK_CNT_FUA_WRITES,		/* successful WRITEs with FUA */
	XFERBLK_CNT_DISCARDS,		/* successful DISCARD commands */
	XFERBLK_CNT_WRITE_ZEROES,	/* successful WRITE_ZEROES commands */
	XFERBLK_CNT_ABORTS,		/* commands ended by an ABORT */
	XFERBLK_CNT_FAULTS,		/* faults injected */
	XFERBLK_CNT_BACKEND_REQS,	/* requests sent to the backing drive */
	XFERBLK_CNT_STATUS_BASE = 16,	/* + status: completions per status */
	XFERBLK_CNT_STATUS_NR = 16,	/* statuses with a counter: 0 to 15 */
	XFERBLK_CNT_INTERRUPTS = 32,	/* 1.4: MSI-X messages signalled */
	XFERBLK_CNT_NR,
};

/* Per-queue configuration, at XFERBLK_REG_QUEUE(q) + offset. */
#define XFERBLK_REG_QUEUE_BASE		0x1000
#define XFERBLK_REG_QUEUE_STRIDE	0x20
#define XFERBLK_REG_QUEUE(q)	(XFERBLK_REG_QUEUE_BASE + (q) * XFERBLK_REG_QUEUE_STRIDE)
#define XFERBLK_QREG_SQ_ADDR		0x00	/* 64 bit */
#define XFERBLK_QREG_CQ_ADDR		0x08	/* 64 bit */
#define XFERBLK_QREG_DEPTH		0x10	/* entries, power of two */
#define XFERBLK_QREG_VECTOR		0x14	/* MSI-X vector */
#define XFERBLK_QREG_CTRL		0x18	/* XFERBLK_QCTRL_* */

#define XFERBLK_QCTRL_ENABLE		_BITUL(0)
#define XFERBLK_QCTRL_POLLED		_BITUL(1)	/* 1.5: never interrupts */

#define XFERBLK_MAX_QUEUES		64

/* Doorbells, at XFERBLK_REG_DOORBELL(q) + offset, write-only. */
#define XFERBLK_REG_DOORBELL_BASE	0x2000
#define XFERBLK_REG_DOORBELL(q)		(XFERBLK_REG_DOORBELL_BASE + (q) * 8)
#define XFERBLK_DB_SQ_TAIL		0x0
#define XFERBLK_DB_CQ_HEAD		0x4

#define XFERBLK_FEAT_WRITE_CACHE	_BITUL(0)	/* volatile cache: FLUSH */
#define XFERBLK_FEAT_FUA		_BITUL(1)
#define XFERBLK_FEAT_DISCARD		_BITUL(2)
#define XFERBLK_FEAT_WRITE_ZEROES	_BITUL(3)
#define XFERBLK_FEAT_ABORT		_BITUL(4)
#define XFERBLK_FEAT_NULL		_BITUL(5)	/* null backend: no data moves */
#define XFERBLK_FEAT_COALESCE		_BITUL(6)	/* 1.4: INTR_COALESCE */
#define XFERBLK_FEAT_POLLED		_BITUL(7)	/* 1.5: QCTRL.POLLED */

enum xferblk_opcode {
	XFERBLK_OP_READ = 1,
	XFERBLK_OP_WRITE = 2,
	XFERBLK_OP_FLUSH = 3,
	XFERBLK_OP_DISCARD = 4,
	XFERBLK_OP_WRITE_ZEROES = 5,
	XFERBLK_OP_ABORT = 6,		/* lba: tag to abort, same queue */
};

#define XFERBLK_CMD_FUA			_BITUL(0)	/* WRITE */
#define XFERBLK_CMD_UNMAP		_BITUL(1)	/* WRITE_ZEROES may deallocate */

/* Submission queue entry: one command. */
struct xferblk_sqe {
	__u8 opcode;
	__u8 flags;
	__le16 tag;		/* opaque, unique among the queue's in flight */
	__le16 nsge;		/* entries in the SG list */
	__le16 rsvd0;
	__le64 lba;		/* first logical block */
	__le32 nblocks;		/* logical blocks to move */
	__le32 rsvd1;
	__le64 sgl;		/* bus address of nsge struct xferblk_sge */
	__le64 rsvd2[4];
};

/* Scatter-gather entry: one physically contiguous piece of the buffer. */
struct xferblk_sge {
	__le64 addr;
	__le32 len;
	__le32 rsvd;
};

/* Completion queue entry. */
struct xferblk_cqe {
	__le16 tag;
	__le16 status;		/* enum xferblk_status */
	__le16 flags;		/* XFERBLK_CQE_PHASE */
	__le16 rsvd0;
	__le32 result;		/* bytes moved; ABORT: 1 if it ended the target */
	__le32 sq_fetched;	/* 1.3: SQ entries fetched since the queue was enabled */
};

#define XFERBLK_CQE_PHASE		_BITUL(0)

enum xferblk_status {
	XFERBLK_STS_OK = 0,
	XFERBLK_STS_INVALID_OPCODE = 1,
	XFERBLK_STS_INVALID_FIELD = 2,	/* tag, nsge, lengths, reserved */
	XFERBLK_STS_LBA_RANGE = 3,
	XFERBLK_STS_XFER_TOO_LARGE = 4,
	XFERBLK_STS_TOO_MANY_SEGS = 5,
	XFERBLK_STS_SEG_TOO_LARGE = 6,
	XFERBLK_STS_SEG_BOUNDARY = 7,
	XFERBLK_STS_DMA_ERROR = 8,
	XFERBLK_STS_MEDIA_ERROR = 9,
	XFERBLK_STS_ABORTED = 10,
	XFERBLK_STS_NR,
};

/* Statuses in [first, last] are rejections: the backing image is untouched. */
#define XFERBLK_STS_FIRST_REJECT	XFERBLK_STS_INVALID_OPCODE
#define XFERBLK_STS_LAST_REJECT		XFERBLK_STS_SEG_BOUNDARY

#endif /* _UAPI_XFERBLK_HW_H */
