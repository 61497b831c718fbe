// SPDX-License-Identifier: GPL-2.0-only
/*
 * Counters in /sys/block/xferblkN/xferblk/, documented in docs/design.md.
 * Driver counters are per CPU and summed on read; dev_* are the device's
 * own counters, read from BAR0, so a test can hold the two against each
 * other.
 */
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

/* One line of space-separated numbers, for the attributes that are tables. */
static ssize_t xferblk_emit_u64s(char *buf, const u64 *v, unsigned int n)
{
	unsigned int i;
	int len = 0;

	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%s%llu", i ? " " : "", v[i]);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

#define XFERBLK_STAT_ATTR(name, field)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n",				\
			  xferblk_stat_sum(to_xd(dev),			\
				offsetof(struct xferblk_stats, field)));	\
}									\
static DEVICE_ATTR_RO(name)

XFERBLK_STAT_ATTR(parents, parents);
XFERBLK_STAT_ATTR(children, children);
XFERBLK_STAT_ATTR(errors, errors);
XFERBLK_STAT_ATTR(rejected, rejected);
XFERBLK_STAT_ATTR(bogus_completions, bogus);
XFERBLK_STAT_ATTR(unsendable, unsendable);
XFERBLK_STAT_ATTR(parent_errors, parent_errors);
XFERBLK_STAT_ATTR(cancelled, cancelled);
XFERBLK_STAT_ATTR(timeouts, timeouts);
XFERBLK_STAT_ATTR(resets, resets);

/* One line: commands each queue has put on its ring. */
static ssize_t queue_commands_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct xferblk_dev *xd = to_xd(dev);
	u64 v[XFERBLK_MAX_QUEUES];
	unsigned int i;

	for (i = 0; i < xd->nr_queues; i++)
		v[i] = READ_ONCE(xd->queues[i].submitted);
	return xferblk_emit_u64s(buf, v, xd->nr_queues);
}
static DEVICE_ATTR_RO(queue_commands);

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

/* "bio" or "mq": who splits, the driver or the block layer (mq.c). */
static ssize_t queue_mode_show(struct device *dev, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%s\n", to_xd(dev)->mq ? "mq" : "bio");
}
static DEVICE_ATTR_RO(queue_mode);

/* One line: parents with 1, 2, 3-4, 5-8, ..., 257+ children. */
static ssize_t children_hist_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct xferblk_dev *xd = to_xd(dev);
	u64 v[XFERBLK_HIST_BUCKETS];
	int i;

	for (i = 0; i < XFERBLK_HIST_BUCKETS; i++)
		v[i] = xferblk_stat_sum(xd, offsetof(struct xferblk_stats, hist[i]));
	return xferblk_emit_u64s(buf, v, XFERBLK_HIST_BUCKETS);
}
static DEVICE_ATTR_RO(children_hist);

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

/* One line: device completions per status code, 0 to XFERBLK_STS_NR - 1. */
static ssize_t dev_status_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct xferblk_dev *xd = to_xd(dev);
	u64 v[XFERBLK_STS_NR];
	int s;

	for (s = 0; s < XFERBLK_STS_NR; s++)
		v[s] = xferblk_read64(xd, XFERBLK_REG_COUNTERS + 8 * (XFERBLK_CNT_STATUS_BASE + s));
	return xferblk_emit_u64s(buf, v, XFERBLK_STS_NR);
}
static DEVICE_ATTR_RO(dev_status);

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

static struct attribute *xferblk_attrs[] = {
	&dev_attr_parents.attr,
	&dev_attr_children.attr,
	&dev_attr_children_hist.attr,
	&dev_attr_errors.attr,
	&dev_attr_rejected.attr,
	&dev_attr_bogus_completions.attr,
	&dev_attr_unsendable.attr,
	&dev_attr_parent_errors.attr,
	&dev_attr_cancelled.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_resets.attr,
	&dev_attr_send_mode.attr,
	&dev_attr_queue_mode.attr,
	&dev_attr_queue_commands.attr,
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
	&dev_attr_dev_status.attr,
	&dev_attr_reset_counters.attr,
	NULL
};

static const struct attribute_group xferblk_attr_group = {
	.name = "xferblk",
	.attrs = xferblk_attrs,
};

const struct attribute_group *xferblk_disk_groups[] = {
	&xferblk_attr_group,
	NULL
};
