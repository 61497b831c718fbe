// SPDX-License-Identifier: GPL-2.0-only
/*
 * Volumes configured the kernel way: configfs, as null_blk and nvmet do.
 *
 *   mkdir /sys/kernel/config/xferblk/<name>     a volume, powered off
 *   echo "pci:0000:00:10.0 /dev/vdb" > targets  its targets, in order
 *   echo stripe > layout                        single|linear|stripe|mirror
 *   echo 65536 > chunk_size                     bytes (stripe)
 *   echo 1 > power                              claim the targets, add the disk
 *   cat disk                                    xferblkN
 *   echo 0 > power; rmdir <name>
 *
 * Powering on checks everything before it changes anything; a bad
 * configuration gets an errno and a line in the kernel log naming what is
 * wrong, and leaves the volume off. A powered volume cannot be removed
 * (it depends on its own configfs item) nor powered off while open.
 * The disk's sysfs group volume/ shows the targets and counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>

#include "volume.h"

#define XFERBLK_VOL_POOL	64
#define XFERBLK_VOL_MAX_CHUNK	SZ_1G

static const char *const xferblk_layout_names[] = {
	[XFERBLK_LAYOUT_SINGLE] = "single",
	[XFERBLK_LAYOUT_LINEAR] = "linear",
	[XFERBLK_LAYOUT_STRIPE] = "stripe",
	[XFERBLK_LAYOUT_MIRROR] = "mirror",
};

const char *xferblk_layout_name(enum xferblk_layout layout)
{
	return xferblk_layout_names[layout];
}

static struct xferblk_volume *to_vol(struct config_item *item)
{
	return container_of(to_config_group(item), struct xferblk_volume, group);
}

static struct configfs_subsystem xferblk_vol_subsys;

/* --- targets ------------------------------------------------------------ */

static int xferblk_target_open(struct xferblk_volume *vol, struct xferblk_target *t)
{
	const char *name = config_item_name(&vol->group.cg_item);
	struct block_device *bdev;
	struct request_queue *q;
	dev_t devt = 0;
	bool pci;
	u64 max_bytes;
	u32 lbs;
	int ret;

	if (str_has_prefix(t->spec, "pci:")) {
		ret = xferblk_pci_disk_devt(t->spec + 4, &devt);
		if (ret) {
			pr_err("volume %s: no xferblk PCI disk at %s\n", name, t->spec + 4);
			return ret;
		}
	}
	ret = xferblk_bdev_open(devt ? NULL : t->spec, devt, vol, &t->h);
	if (ret) {
		pr_err("volume %s: target %s cannot be claimed (%d%s)\n", name, t->spec, ret,
		       ret == -EBUSY ? ": in use" : ret == -ENOENT ? ": no such device" : "");
		return ret;
	}
	bdev = t->h.bdev;
	pci = xferblk_is_pci_disk(bdev->bd_disk);
	/* The device may have gone, and its disk's number gone to another, meanwhile. */
	if (devt && (!pci ||
		     strcmp(dev_name(disk_to_dev(bdev->bd_disk)->parent), t->spec + 4))) {
		pr_err("volume %s: no xferblk PCI disk at %s any more\n", name, t->spec + 4);
		ret = -ENODEV;
		goto close;
	}
	q = bdev_get_queue(bdev);
	lbs = bdev_logical_block_size(bdev);
	/* What the split planner handles (plan.h); zones are not stacked. */
	ret = -EINVAL;
	if (lbs > SZ_4K || queue_max_segment_size(q) < SZ_4K) {
		pr_err("volume %s: target %s: block size %u or segment size %u not supported\n",
		       name, t->spec, lbs, queue_max_segment_size(q));
		goto close;
	}
	if (bdev_is_zoned(bdev)) {
		pr_err("volume %s: target %s is zoned\n", name, t->spec);
		goto close;
	}
	/* A PCI disk's child is one device command: the hardware limit. */
	max_bytes = (u64)(pci ? queue_max_hw_sectors(q) : queue_max_sectors(q)) << SECTOR_SHIFT;
	t->lim.block_size = lbs;
	t->lim.max_xfer = round_down(min_t(u64, max_bytes, SZ_1G), lbs);
	t->lim.max_segs = queue_max_segments(q);
	t->lim.max_seg_size = queue_max_segment_size(q);
	t->lim.seg_boundary = queue_segment_boundary(q);
	t->sectors = round_down(bdev_nr_sectors(bdev), lbs >> SECTOR_SHIFT);
	if (!t->sectors) {
		pr_err("volume %s: target %s is empty\n", name, t->spec);
		goto close;
	}
	atomic64_set(&t->children, 0);
	atomic64_set(&t->errors, 0);
	return 0;

close:
	xferblk_bdev_close(&t->h);
	return ret;
}

/*
 * Opens every target and checks they make the layout; on failure closes
 * what it opened. Returns the volume's capacity in sectors through @cap.
 */
static int xferblk_vol_open_targets(struct xferblk_volume *vol, sector_t *cap)
{
	const char *name = config_item_name(&vol->group.cg_item);
	unsigned int i, j, n = vol->nr_targets;
	u32 lbs, min_targets = vol->layout == XFERBLK_LAYOUT_STRIPE ||
			       vol->layout == XFERBLK_LAYOUT_MIRROR ? 2 : 1;
	sector_t smallest = ~(sector_t)0, start = 0;
	int ret;

	if (n < min_targets || (vol->layout == XFERBLK_LAYOUT_SINGLE && n != 1)) {
		pr_err("volume %s: layout %s takes %s%u target%s, has %u\n", name,
		       xferblk_layout_name(vol->layout),
		       vol->layout == XFERBLK_LAYOUT_SINGLE ? "exactly " : "at least ", min_targets,
		       min_targets > 1 ? "s" : "", n);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		ret = xferblk_target_open(vol, &vol->targets[i]);
		if (ret)
			goto close;
	}
	ret = -EINVAL;
	lbs = vol->targets[0].lim.block_size;
	for (i = 0; i < n; i++) {
		struct xferblk_target *t = &vol->targets[i];

		for (j = 0; j < i; j++) {
			if (vol->targets[j].h.bdev == t->h.bdev) {
				pr_err("volume %s: %s and %s are the same device\n", name,
				       vol->targets[j].spec, t->spec);
				goto close_all;
			}
		}
		if (t->lim.block_size != lbs) {
			pr_err("volume %s: mixed block sizes: %s has %u, %s has %u\n", name,
			       vol->targets[0].spec, lbs, t->spec, t->lim.block_size);
			goto close_all;
		}
		if (vol->layout == XFERBLK_LAYOUT_STRIPE && t->sectors < vol->chunk_sectors) {
			pr_err("volume %s: %s is smaller than a chunk\n", name, t->spec);
			goto close_all;
		}
		t->start = start;
		start += t->sectors;
		smallest = min(smallest, t->sectors);
	}
	if (vol->layout == XFERBLK_LAYOUT_STRIPE &&
	    (vol->chunk_sectors << SECTOR_SHIFT) < lbs) {
		pr_err("volume %s: chunk of %u bytes is smaller than a block (%u)\n", name,
		       vol->chunk_sectors << SECTOR_SHIFT, lbs);
		goto close_all;
	}

	switch (vol->layout) {
	case XFERBLK_LAYOUT_STRIPE:
		*cap = round_down(smallest, vol->chunk_sectors) * n;
		break;
	case XFERBLK_LAYOUT_MIRROR:
		*cap = smallest;
		break;
	default:
		*cap = start;
		break;
	}
	return 0;

close_all:
	i = n;
close:
	while (i--)
		xferblk_bdev_close(&vol->targets[i].h);
	return ret;
}

static void xferblk_vol_close_targets(struct xferblk_volume *vol)
{
	unsigned int i;

	for (i = 0; i < vol->nr_targets; i++)
		xferblk_bdev_close(&vol->targets[i].h);
}

/* --- the disk ------------------------------------------------------------ */

static XFERBLK_OPEN_PROTO(xferblk_vol_open)
{
	struct xferblk_volume *vol = XFERBLK_OPEN_DISK->private_data;
	int ret = 0;

	spin_lock_irq(&vol->state_lock);
	if (vol->dying)
		ret = -ENXIO;
	else
		vol->openers++;
	spin_unlock_irq(&vol->state_lock);
	return ret;
}

static XFERBLK_RELEASE_PROTO(xferblk_vol_release)
{
	struct xferblk_volume *vol = disk->private_data;

	spin_lock_irq(&vol->state_lock);
	vol->openers--;
	spin_unlock_irq(&vol->state_lock);
}

static const struct block_device_operations xferblk_vol_fops = {
	.owner = THIS_MODULE,
	.submit_bio = xferblk_vol_submit_bio,
	.open = xferblk_vol_open,
	.release = xferblk_vol_release,
};

static struct xferblk_volume *dev_to_vol(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t layout_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", xferblk_layout_name(dev_to_vol(dev)->layout));
}
static DEVICE_ATTR_RO(layout);

static ssize_t chunk_size_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_to_vol(dev)->chunk_sectors << SECTOR_SHIFT);
}
static DEVICE_ATTR_RO(chunk_size);

/* One line per target: index, spec, block device, state, children, errors. */
static ssize_t targets_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct xferblk_volume *vol = dev_to_vol(dev);
	struct xferblk_target *t;
	unsigned int i;
	int len = 0;

	for (i = 0; i < vol->nr_targets; i++) {
		t = &vol->targets[i];
		len += sysfs_emit_at(buf, len, "%u %s %pg %s %llu %llu\n", i, t->spec, t->h.bdev,
				     vol->layout != XFERBLK_LAYOUT_MIRROR ||
				     xferblk_vol_leg_live(vol, i) ? "live" : "failed",
				     (unsigned long long)atomic64_read(&t->children),
				     (unsigned long long)atomic64_read(&t->errors));
	}
	return len;
}
static DEVICE_ATTR_RO(targets);

static ssize_t degraded_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct xferblk_volume *vol = dev_to_vol(dev);

	return sysfs_emit(buf, "%u\n", vol->layout == XFERBLK_LAYOUT_MIRROR ?
			  vol->nr_targets - (unsigned int)hweight_long(READ_ONCE(vol->live_legs)) :
			  0);
}
static DEVICE_ATTR_RO(degraded);

static ssize_t xferblk_vol_counter_show(atomic64_t *counter, char *buf)
{
	return sysfs_emit(buf, "%llu\n", (unsigned long long)atomic64_read(counter));
}

static ssize_t parents_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return xferblk_vol_counter_show(&dev_to_vol(dev)->parents, buf);
}
static DEVICE_ATTR_RO(parents);

static ssize_t parent_errors_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return xferblk_vol_counter_show(&dev_to_vol(dev)->parent_errors, buf);
}
static DEVICE_ATTR_RO(parent_errors);

static ssize_t read_retries_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return xferblk_vol_counter_show(&dev_to_vol(dev)->read_retries, buf);
}
static DEVICE_ATTR_RO(read_retries);

static ssize_t legs_failed_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return xferblk_vol_counter_show(&dev_to_vol(dev)->legs_failed, buf);
}
static DEVICE_ATTR_RO(legs_failed);

static struct attribute *xferblk_vol_attrs[] = {
	&dev_attr_layout.attr,
	&dev_attr_chunk_size.attr,
	&dev_attr_targets.attr,
	&dev_attr_degraded.attr,
	&dev_attr_parents.attr,
	&dev_attr_parent_errors.attr,
	&dev_attr_read_retries.attr,
	&dev_attr_legs_failed.attr,
	NULL,
};

static const struct attribute_group xferblk_vol_group = {
	.name = "volume",
	.attrs = xferblk_vol_attrs,
};

static const struct attribute_group *xferblk_vol_groups[] = {
	&xferblk_vol_group,
	NULL,
};

static int xferblk_vol_add_disk(struct xferblk_volume *vol, sector_t capacity)
{
	struct queue_limits lim;
	struct gendisk *disk;
	bool wc = false, fua = false;
	unsigned int i;
	int ret;

	blk_set_stacking_limits(&lim);
	for (i = 0; i < vol->nr_targets; i++) {
		struct block_device *bdev = vol->targets[i].h.bdev;

		blk_stack_limits(&lim, &bdev_get_queue(bdev)->limits, 0);
		wc |= bdev_write_cache(bdev);
		fua |= bdev_fua(bdev);
	}
	/* Only reads, writes and flushes are stacked (volume.c). */
	lim.max_hw_discard_sectors = 0;
	lim.max_discard_sectors = 0;
	lim.max_write_zeroes_sectors = 0;
	lim.max_secure_erase_sectors = 0;
	if (vol->layout == XFERBLK_LAYOUT_STRIPE) {
		lim.io_min = vol->chunk_sectors << SECTOR_SHIFT;
		/* A full stripe, if it fits the field (a 1 GiB chunk times 8 does not). */
		if ((u64)lim.io_min * vol->nr_targets <= UINT_MAX)
			lim.io_opt = lim.io_min * vol->nr_targets;
	}
	disk = xferblk_alloc_stacked_disk(&lim, wc, fua);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	disk->major = xferblk_major;
	disk->first_minor = vol->index * XFERBLK_MINORS;
	disk->minors = XFERBLK_MINORS;
	disk->fops = &xferblk_vol_fops;
	disk->private_data = vol;
	snprintf(disk->disk_name, DISK_NAME_LEN, "xferblk%d", vol->index);
	set_capacity(disk, capacity);
	vol->disk = disk;
	ret = device_add_disk(NULL, disk, xferblk_vol_groups);
	if (ret) {
		put_disk(disk);
		vol->disk = NULL;
	}
	return ret;
}

/* --- power --------------------------------------------------------------- */

static int xferblk_vol_power_on(struct xferblk_volume *vol)
{
	const char *name = config_item_name(&vol->group.cg_item);
	sector_t capacity;
	int ret;

	ret = xferblk_vol_open_targets(vol, &capacity);
	if (ret)
		return ret;
	ret = bioset_init(&vol->bioset, XFERBLK_VOL_POOL, offsetof(struct xferblk_vchild, bio),
			  BIOSET_NEED_RESCUER);
	if (ret)
		goto close;
	ret = mempool_init_slab_pool(&vol->parent_pool, XFERBLK_VOL_POOL, xferblk_vparent_cache);
	if (ret)
		goto bioset;
	ret = xferblk_index_alloc();
	if (ret < 0)
		goto pool;
	vol->index = ret;
	vol->live_legs = GENMASK(vol->nr_targets - 1, 0);
	vol->openers = 0;
	vol->dying = false;
	atomic_set(&vol->read_rr, 0);
	atomic_set(&vol->inflight, 0);
	atomic64_set(&vol->parents, 0);
	atomic64_set(&vol->parent_errors, 0);
	atomic64_set(&vol->read_retries, 0);
	atomic64_set(&vol->legs_failed, 0);
	/* Powered, the item cannot be removed: rmdir gets EBUSY. */
	ret = configfs_depend_item_unlocked(&xferblk_vol_subsys, &vol->group.cg_item);
	if (ret)
		goto index;
	ret = xferblk_vol_add_disk(vol, capacity);
	if (ret)
		goto undepend;
	pr_info("volume %s: %s, %s over %u targets, %llu sectors\n", name, vol->disk->disk_name,
		xferblk_layout_name(vol->layout), vol->nr_targets, (unsigned long long)capacity);
	return 0;

undepend:
	configfs_undepend_item(&vol->group.cg_item);
index:
	xferblk_index_free(vol->index);
pool:
	mempool_exit(&vol->parent_pool);
bioset:
	bioset_exit(&vol->bioset);
close:
	xferblk_vol_close_targets(vol);
	return ret;
}

static int xferblk_vol_power_off(struct xferblk_volume *vol)
{
	spin_lock_irq(&vol->state_lock);
	if (vol->openers) {
		spin_unlock_irq(&vol->state_lock);
		pr_err("volume %s: %s is open\n", config_item_name(&vol->group.cg_item),
		       vol->disk->disk_name);
		return -EBUSY;
	}
	vol->dying = true;
	spin_unlock_irq(&vol->state_lock);

	del_gendisk(vol->disk);
	/* Nobody has it open, but bios sent before the last close may be out. */
	wait_var_event(&vol->inflight, !atomic_read(&vol->inflight));
	put_disk(vol->disk);
	vol->disk = NULL;
	xferblk_index_free(vol->index);
	mempool_exit(&vol->parent_pool);
	bioset_exit(&vol->bioset);
	xferblk_vol_close_targets(vol);
	configfs_undepend_item(&vol->group.cg_item);
	return 0;
}

/* --- configfs attributes --------------------------------------------------- */

static ssize_t xferblk_vol_power_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", !!to_vol(item)->disk);
}

static ssize_t xferblk_vol_power_store(struct config_item *item, const char *page, size_t count)
{
	struct xferblk_volume *vol = to_vol(item);
	bool on;
	int ret;

	ret = kstrtobool(page, &on);
	if (ret)
		return ret;
	mutex_lock(&vol->cfg_lock);
	if (on == !!vol->disk)
		ret = 0;
	else
		ret = on ? xferblk_vol_power_on(vol) : xferblk_vol_power_off(vol);
	mutex_unlock(&vol->cfg_lock);
	return ret ?: count;
}

static ssize_t xferblk_vol_disk_show(struct config_item *item, char *page)
{
	struct xferblk_volume *vol = to_vol(item);
	ssize_t len;

	mutex_lock(&vol->cfg_lock);
	len = sysfs_emit(page, "%s\n", vol->disk ? vol->disk->disk_name : "");
	mutex_unlock(&vol->cfg_lock);
	return len;
}

static ssize_t xferblk_vol_layout_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n", xferblk_layout_name(to_vol(item)->layout));
}

/*
 * Configuration changes while powered off only: 0 with cfg_lock held, or
 * -EBUSY without it.
 */
static int xferblk_vol_lock_unpowered(struct xferblk_volume *vol)
{
	mutex_lock(&vol->cfg_lock);
	if (!vol->disk)
		return 0;
	mutex_unlock(&vol->cfg_lock);
	return -EBUSY;
}

static ssize_t xferblk_vol_layout_store(struct config_item *item, const char *page, size_t count)
{
	struct xferblk_volume *vol = to_vol(item);
	int layout = sysfs_match_string(xferblk_layout_names, page);
	int ret;

	if (layout < 0)
		return layout;
	ret = xferblk_vol_lock_unpowered(vol);
	if (ret)
		return ret;
	vol->layout = layout;
	mutex_unlock(&vol->cfg_lock);
	return count;
}

static ssize_t xferblk_vol_chunk_size_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", to_vol(item)->chunk_sectors << SECTOR_SHIFT);
}

static ssize_t xferblk_vol_chunk_size_store(struct config_item *item, const char *page,
					    size_t count)
{
	struct xferblk_volume *vol = to_vol(item);
	u32 bytes;
	int ret;

	ret = kstrtou32(page, 0, &bytes);
	if (ret)
		return ret;
	/* A block's multiple is checked at power on, when the block size is known. */
	if (bytes < SECTOR_SIZE || bytes > XFERBLK_VOL_MAX_CHUNK || !is_power_of_2(bytes)) {
		pr_err("volume %s: chunk_size %u is not a power of two from 512 to %u\n",
		       config_item_name(item), bytes, XFERBLK_VOL_MAX_CHUNK);
		return -EINVAL;
	}
	ret = xferblk_vol_lock_unpowered(vol);
	if (ret)
		return ret;
	vol->chunk_sectors = bytes >> SECTOR_SHIFT;
	mutex_unlock(&vol->cfg_lock);
	return count;
}

static ssize_t xferblk_vol_targets_show(struct config_item *item, char *page)
{
	struct xferblk_volume *vol = to_vol(item);
	unsigned int i;
	int len = 0;

	mutex_lock(&vol->cfg_lock);
	for (i = 0; i < vol->nr_targets; i++)
		len += sysfs_emit_at(page, len, "%s\n", vol->targets[i].spec);
	mutex_unlock(&vol->cfg_lock);
	return len;
}

struct xferblk_target_list {
	unsigned int n;
	char spec[XFERBLK_VOL_MAX_TARGETS][XFERBLK_TARGET_SPEC_LEN];
};

/*
 * The whole list, separated by blanks or newlines, each "pci:<address>" or
 * an absolute path; it replaces the previous one.
 */
static ssize_t xferblk_vol_targets_store(struct config_item *item, const char *page,
					 size_t count)
{
	struct xferblk_volume *vol = to_vol(item);
	struct xferblk_target_list *list;
	const char *p = page, *end = page + count;
	unsigned int i;
	size_t len;
	ssize_t ret;

	list = kzalloc(sizeof(*list), GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	ret = -EINVAL;
	for (;;) {
		p = skip_spaces(p);
		if (p >= end || !*p)
			break;
		len = strcspn(p, " \t\n");
		if (list->n == XFERBLK_VOL_MAX_TARGETS || len >= XFERBLK_TARGET_SPEC_LEN ||
		    (*p != '/' && (len <= 4 || strncmp(p, "pci:", 4)))) {
			pr_err("volume %s: bad targets: at most %u, each pci:<address> or a path, shorter than %u\n",
			       config_item_name(item), XFERBLK_VOL_MAX_TARGETS,
			       XFERBLK_TARGET_SPEC_LEN);
			goto out;
		}
		memcpy(list->spec[list->n++], p, len);
		p += len;
	}
	ret = xferblk_vol_lock_unpowered(vol);
	if (ret)
		goto out;
	for (i = 0; i < list->n; i++)
		strscpy(vol->targets[i].spec, list->spec[i], XFERBLK_TARGET_SPEC_LEN);
	vol->nr_targets = list->n;
	mutex_unlock(&vol->cfg_lock);
	ret = count;
out:
	kfree(list);
	return ret;
}

CONFIGFS_ATTR(xferblk_vol_, power);
CONFIGFS_ATTR_RO(xferblk_vol_, disk);
CONFIGFS_ATTR(xferblk_vol_, layout);
CONFIGFS_ATTR(xferblk_vol_, chunk_size);
CONFIGFS_ATTR(xferblk_vol_, targets);

static struct configfs_attribute *xferblk_vol_cfg_attrs[] = {
	&xferblk_vol_attr_targets,
	&xferblk_vol_attr_layout,
	&xferblk_vol_attr_chunk_size,
	&xferblk_vol_attr_power,
	&xferblk_vol_attr_disk,
	NULL,
};

static void xferblk_vol_item_release(struct config_item *item)
{
	kfree(to_vol(item));
}

static struct configfs_item_operations xferblk_vol_item_ops = {
	.release = xferblk_vol_item_release,
};

static const struct config_item_type xferblk_vol_type = {
	.ct_item_ops = &xferblk_vol_item_ops,
	.ct_attrs = xferblk_vol_cfg_attrs,
	.ct_owner = THIS_MODULE,
};

static struct config_group *xferblk_vol_make_group(struct config_group *group, const char *name)
{
	struct xferblk_volume *vol = kzalloc(sizeof(*vol), GFP_KERNEL);

	if (!vol)
		return ERR_PTR(-ENOMEM);
	mutex_init(&vol->cfg_lock);
	spin_lock_init(&vol->state_lock);
	vol->layout = XFERBLK_LAYOUT_SINGLE;
	vol->chunk_sectors = SZ_64K >> SECTOR_SHIFT;
	vol->index = -1;
	config_group_init_type_name(&vol->group, name, &xferblk_vol_type);
	return &vol->group;
}

/* A powered volume is never dropped: it depends on its own item. */
static void xferblk_vol_drop_item(struct config_group *group, struct config_item *item)
{
	config_item_put(item);
}

static struct configfs_group_operations xferblk_vol_group_ops = {
	.make_group = xferblk_vol_make_group,
	.drop_item = xferblk_vol_drop_item,
};

static const struct config_item_type xferblk_vol_subsys_type = {
	.ct_group_ops = &xferblk_vol_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem xferblk_vol_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "xferblk",
			.ci_type = &xferblk_vol_subsys_type,
		},
	},
};

int xferblk_volume_init(void)
{
	int ret = xferblk_vol_io_init();

	if (ret)
		return ret;
	config_group_init(&xferblk_vol_subsys.su_group);
	mutex_init(&xferblk_vol_subsys.su_mutex);
	ret = configfs_register_subsystem(&xferblk_vol_subsys);
	if (ret)
		xferblk_vol_io_exit();
	return ret;
}

void xferblk_volume_exit(void)
{
	configfs_unregister_subsystem(&xferblk_vol_subsys);
	xferblk_vol_io_exit();
}
