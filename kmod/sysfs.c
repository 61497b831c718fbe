// SPDX-License-Identifier: GPL-2.0-only
/*
 * Counters and settings in /sys/block/xferblkN/xferblk/, one value per
 * file (docs/ABI/testing/sysfs-block-xferblk), and the counters that are
 * tables in debugfs, xferblk/xferblkN/ (docs/ABI/testing/debugfs-xferblk).
 * Driver counters are per CPU and summed on read; dev_* are the device's
 * own counters, read from BAR0, so a test can hold the two against each
 * other.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "xferblk.h"

int xferblk_parse_send_mode(const char *buf, bool *sync)
{
	if (sysfs_streq(buf, "async"))
		*sync = false;
	else if (sysfs_streq(buf, "sync"))
		*sync = true;
	else
		return -EINVAL;
	return 0;
}

const char *xferblk_send_mode_name(bool sync)
{
	return sync ? "sync" : "async";
}

static struct xferblk_dev *to_xd(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

u64 xferblk_stat_sum(struct xferblk_dev *xd, size_t offset)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *(u64 *)((char *)per_cpu_ptr(xd->stats, cpu) + offset);
	return sum;
}

/*
 * The driver's counters, declared once: each names its sysfs file, its
 * per-CPU field and its field in XFERBLK_IOC_STATS. sysfs, the ioctl and
 * the counter reset all walk this table.
 */
#define XFERBLK_STAT(field)	offsetof(struct xferblk_stats, field)
#define XFERBLK_IOC(field)	offsetof(struct xferblk_ioc_stats, field)
#define XFERBLK_COUNTER_ATTR(name) __ATTR(name, 0444, xferblk_counter_show, NULL)

static ssize_t xferblk_counter_show(struct device *dev, struct device_attribute *attr,
				    char *buf);

struct xferblk_counter_desc xferblk_counters[] = {
	{ XFERBLK_COUNTER_ATTR(parents), XFERBLK_STAT(parents), XFERBLK_IOC(parents) },
	{ XFERBLK_COUNTER_ATTR(children), XFERBLK_STAT(children), XFERBLK_IOC(children) },
	{ XFERBLK_COUNTER_ATTR(errors), XFERBLK_STAT(errors), XFERBLK_IOC(errors) },
	{ XFERBLK_COUNTER_ATTR(parent_errors), XFERBLK_STAT(parent_errors),
	  XFERBLK_IOC(parent_errors) },
	{ XFERBLK_COUNTER_ATTR(cancelled), XFERBLK_STAT(cancelled), XFERBLK_IOC(cancelled) },
	{ XFERBLK_COUNTER_ATTR(rejected), XFERBLK_STAT(rejected), XFERBLK_IOC(rejected) },
	{ XFERBLK_COUNTER_ATTR(bogus_completions), XFERBLK_STAT(bogus), XFERBLK_IOC(bogus) },
	{ XFERBLK_COUNTER_ATTR(unsendable), XFERBLK_STAT(unsendable), XFERBLK_IOC(unsendable) },
	{ XFERBLK_COUNTER_ATTR(timeouts), XFERBLK_STAT(timeouts), XFERBLK_IOC(timeouts) },
	{ XFERBLK_COUNTER_ATTR(resets), XFERBLK_STAT(resets), XFERBLK_IOC(resets) },
};

/* Every scalar of struct xferblk_stats is in the table. */
static_assert(ARRAY_SIZE(xferblk_counters) ==
	      offsetof(struct xferblk_stats, hist) / sizeof(u64));
const unsigned int xferblk_nr_counters = ARRAY_SIZE(xferblk_counters);

static ssize_t xferblk_counter_show(struct device *dev, struct device_attribute *attr,
				    char *buf)
{
	const struct xferblk_counter_desc *c =
		container_of(attr, struct xferblk_counter_desc, attr);

	return sysfs_emit(buf, "%llu\n", xferblk_stat_sum(to_xd(dev), c->stat));
}

/* "async" or "sync": how this disk sends the children of new parents. */
static ssize_t send_mode_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%s\n", xferblk_send_mode_name(READ_ONCE(to_xd(dev)->send_sync)));
}

static ssize_t send_mode_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct xferblk_dev *xd = to_xd(dev);

	/* A blk-mq disk sends each request whole: there is nothing to pace. */
	bool sync;

	if (xd->mq)
		return -EOPNOTSUPP;
	if (xferblk_parse_send_mode(buf, &sync))
		return -EINVAL;
	WRITE_ONCE(xd->send_sync, sync);
	return count;
}
static DEVICE_ATTR_RW(send_mode);

/*
 * Interrupt coalescing, "ENTRIES US" (0-255, 0-65535; either 0: off): an
 * interrupt may wait for ENTRIES completions, or US after the first.
 */
static ssize_t irq_coalesce_show(struct device *dev, struct device_attribute *attr,
				 char *buf)
{
	u32 v = READ_ONCE(to_xd(dev)->coalesce);

	return sysfs_emit(buf, "%u %u\n", v & XFERBLK_COALESCE_THRESHOLD,
			  v >> XFERBLK_COALESCE_TIME_SHIFT);
}

static ssize_t irq_coalesce_store(struct device *dev, struct device_attribute *attr,
				  const char *buf, size_t count)
{
	struct xferblk_dev *xd = to_xd(dev);
	char words[32], *rest = words, *first;
	u8 entries;
	u16 us;

	if (!(xd->features & XFERBLK_FEAT_COALESCE))
		return -EOPNOTSUPP;
	if (count >= sizeof(words))
		return -EINVAL;
	/* Exactly two numbers, each in its range: kstrto* refuses overflow. */
	strscpy(words, buf, sizeof(words));
	rest = strim(rest);
	first = strsep(&rest, " ");
	if (!rest || kstrtou8(first, 10, &entries) || kstrtou16(strim(rest), 10, &us))
		return -EINVAL;
	mutex_lock(&xd->coalesce_lock);
	WRITE_ONCE(xd->coalesce, xferblk_coalesce_value(entries, us));
	mutex_unlock(&xd->coalesce_lock);
	xferblk_port_set_coalescing(xd);
	return count;
}
static DEVICE_ATTR_RW(irq_coalesce);

/* "bio" or "mq": who splits, the driver or the block layer (mq.c). */
static ssize_t queue_mode_show(struct device *dev, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%s\n", to_xd(dev)->mq ? "mq" : "bio");
}
static DEVICE_ATTR_RO(queue_mode);

/* The last this many of the disk's queues are polled ones (poll_bio). */
static ssize_t poll_queues_show(struct device *dev, struct device_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf, "%u\n", to_xd(dev)->nr_poll_queues);
}
static DEVICE_ATTR_RO(poll_queues);

#define XFERBLK_DEV_ATTR(name, counter)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n",				\
			  xferblk_read64(to_xd(dev),			\
				XFERBLK_REG_COUNTERS + 8 * (counter)));	\
}									\
static DEVICE_ATTR_RO(name)

XFERBLK_DEV_ATTR(dev_commands, XFERBLK_CNT_COMMANDS);
XFERBLK_DEV_ATTR(dev_completed, XFERBLK_CNT_COMPLETED);
XFERBLK_DEV_ATTR(dev_reads, XFERBLK_CNT_READS);
XFERBLK_DEV_ATTR(dev_writes, XFERBLK_CNT_WRITES);
XFERBLK_DEV_ATTR(dev_bytes_read, XFERBLK_CNT_BYTES_READ);
XFERBLK_DEV_ATTR(dev_bytes_written, XFERBLK_CNT_BYTES_WRITTEN);
XFERBLK_DEV_ATTR(dev_segments, XFERBLK_CNT_SEGMENTS);
XFERBLK_DEV_ATTR(dev_max_inflight, XFERBLK_CNT_MAX_INFLIGHT);
XFERBLK_DEV_ATTR(dev_rejected, XFERBLK_CNT_REJECTED);
XFERBLK_DEV_ATTR(dev_flushes, XFERBLK_CNT_FLUSHES);
XFERBLK_DEV_ATTR(dev_fua_writes, XFERBLK_CNT_FUA_WRITES);
XFERBLK_DEV_ATTR(dev_discards, XFERBLK_CNT_DISCARDS);
XFERBLK_DEV_ATTR(dev_write_zeroes, XFERBLK_CNT_WRITE_ZEROES);
XFERBLK_DEV_ATTR(dev_aborts, XFERBLK_CNT_ABORTS);
XFERBLK_DEV_ATTR(dev_faults, XFERBLK_CNT_FAULTS);
XFERBLK_DEV_ATTR(dev_backend_reqs, XFERBLK_CNT_BACKEND_REQS);
XFERBLK_DEV_ATTR(dev_interrupts, XFERBLK_CNT_INTERRUPTS);

/* Zeroes the driver's and the device's counters (sysfs and ioctl). */
void xferblk_reset_counters(struct xferblk_dev *xd)
{
	unsigned int i;
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(xd->stats, cpu), 0, sizeof(struct xferblk_stats));
	for (i = 0; i < xd->nr_queues; i++)
		WRITE_ONCE(xd->queues[i].submitted, 0);
	xferblk_write32(xd, XFERBLK_REG_COUNTER_RESET, 1);
}

/* Writing 1 zeroes the driver's and the device's counters. */
static ssize_t reset_counters_store(struct device *dev,
				    struct device_attribute *attr,
				    const char *buf, size_t count)
{
	unsigned int reset;
	int ret;

	/* Only "1": kstrtobool() would take anything starting with y or 1. */
	ret = kstrtouint(buf, 10, &reset);
	if (ret)
		return ret;
	if (reset != 1)
		return -EINVAL;
	xferblk_reset_counters(to_xd(dev));
	return count;
}
static DEVICE_ATTR_WO(reset_counters);

/* The attributes that are not plain driver counters. */
static struct attribute *xferblk_other_attrs[] = {
	&dev_attr_send_mode.attr,
	&dev_attr_irq_coalesce.attr,
	&dev_attr_queue_mode.attr,
	&dev_attr_poll_queues.attr,
	&dev_attr_dev_commands.attr,
	&dev_attr_dev_completed.attr,
	&dev_attr_dev_reads.attr,
	&dev_attr_dev_writes.attr,
	&dev_attr_dev_bytes_read.attr,
	&dev_attr_dev_bytes_written.attr,
	&dev_attr_dev_segments.attr,
	&dev_attr_dev_max_inflight.attr,
	&dev_attr_dev_rejected.attr,
	&dev_attr_dev_flushes.attr,
	&dev_attr_dev_fua_writes.attr,
	&dev_attr_dev_discards.attr,
	&dev_attr_dev_write_zeroes.attr,
	&dev_attr_dev_aborts.attr,
	&dev_attr_dev_faults.attr,
	&dev_attr_dev_backend_reqs.attr,
	&dev_attr_dev_interrupts.attr,
	&dev_attr_reset_counters.attr,
};

/* The counters' then the others; filled in by xferblk_sysfs_init(). */
static struct attribute *xferblk_attrs[ARRAY_SIZE(xferblk_counters) +
				       ARRAY_SIZE(xferblk_other_attrs) + 1];

void xferblk_sysfs_init(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xferblk_counters); i++)
		xferblk_attrs[i] = &xferblk_counters[i].attr.attr;
	memcpy(&xferblk_attrs[i], xferblk_other_attrs, sizeof(xferblk_other_attrs));
}

static const struct attribute_group xferblk_attr_group = {
	.name = "xferblk",
	.attrs = xferblk_attrs,
};

const struct attribute_group *xferblk_disk_groups[] = {
	&xferblk_attr_group,
	NULL
};

/* debugfs: the counters that are tables, one line of numbers each. */
static struct dentry *xferblk_debugfs_root;

static void xferblk_seq_u64s(struct seq_file *m, const u64 *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		seq_printf(m, "%s%llu", i ? " " : "", v[i]);
	seq_putc(m, '\n');
}

/* Parents with 1, 2, 3-4, 5-8, ..., 257+ children. */
static int children_hist_show(struct seq_file *m, void *unused)
{
	struct xferblk_dev *xd = m->private;
	u64 v[XFERBLK_HIST_BUCKETS];
	unsigned int i;

	for (i = 0; i < XFERBLK_HIST_BUCKETS; i++)
		v[i] = xferblk_stat_sum(xd, offsetof(struct xferblk_stats, hist[i]));
	xferblk_seq_u64s(m, v, XFERBLK_HIST_BUCKETS);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(children_hist);

/* Commands each queue has put on its ring. */
static int queue_commands_show(struct seq_file *m, void *unused)
{
	struct xferblk_dev *xd = m->private;
	u64 v[XFERBLK_MAX_QUEUES];
	unsigned int i;

	for (i = 0; i < xd->nr_queues; i++)
		v[i] = READ_ONCE(xd->queues[i].submitted);
	xferblk_seq_u64s(m, v, xd->nr_queues);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(queue_commands);

/* Device completions per status code, 0 to XFERBLK_STS_NR - 1. */
static int dev_status_show(struct seq_file *m, void *unused)
{
	struct xferblk_dev *xd = m->private;
	u64 v[XFERBLK_STS_NR];
	unsigned int s;

	for (s = 0; s < XFERBLK_STS_NR; s++)
		v[s] = xferblk_read64(xd, XFERBLK_REG_COUNTERS + 8 * (XFERBLK_CNT_STATUS_BASE + s));
	xferblk_seq_u64s(m, v, XFERBLK_STS_NR);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dev_status);

void xferblk_debugfs_init(void)
{
	xferblk_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

void xferblk_debugfs_exit(void)
{
	debugfs_remove_recursive(xferblk_debugfs_root);
}

/* Errors are not checked: debugfs is for debugging, and may be off. */
void xferblk_debugfs_add(struct xferblk_dev *xd)
{
	xd->debugfs = debugfs_create_dir(xd->disk->disk_name, xferblk_debugfs_root);
	debugfs_create_file("children_hist", 0444, xd->debugfs, xd, &children_hist_fops);
	debugfs_create_file("queue_commands", 0444, xd->debugfs, xd, &queue_commands_fops);
	debugfs_create_file("dev_status", 0444, xd->debugfs, xd, &dev_status_fops);
}

void xferblk_debugfs_remove(struct xferblk_dev *xd)
{
	debugfs_remove_recursive(xd->debugfs);
	xd->debugfs = NULL;
}
