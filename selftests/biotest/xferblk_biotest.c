// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test helper for the xferblk selftests: submits exactly the bio a test
 * asks for, with flags userspace cannot set itself (REQ_PREFLUSH with data)
 * or of a size the block layer would have cut (discard, write-zeroes).
 *
 * Write one line to /sys/kernel/debug/xferblk_biotest/submit:
 *   <device> <op> <none|preflush|fua|preflush,fua> <sector> <bytes> <seed>
 * with op one of read, write, discard, zeroes (the last two carry no data
 * and may be up to 4 GiB).
 * e.g. "/dev/xferblk0 write preflush,fua 2048 1048576 7". The write() returns
 * the line's length when the bio succeeded, else the bio's errno. Written
 * data byte i is (seed + i * 7) & 0xff, so the test can check it back.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>

#include "../../kmod/compat.h"

#define BIOTEST_MAX_BYTES	(BIO_MAX_VECS * PAGE_SIZE)

static struct dentry *biotest_dir;

static int biotest_run(const char *path, blk_opf_t opf, sector_t sector,
		       unsigned int bytes, unsigned int seed)
{
	unsigned int npages = op_is_discard(opf) ||
			      (opf & REQ_OP_MASK) == REQ_OP_WRITE_ZEROES ?
			      0 : DIV_ROUND_UP(bytes, PAGE_SIZE);
	struct xferblk_bdev_handle bdev;
	struct page **pages;
	struct bio *bio;
	unsigned int i, j;
	int ret;

	ret = xferblk_bdev_open(path, 0, NULL, &bdev);
	if (ret)
		return ret;
	pages = kcalloc(max(npages, 1U), sizeof(*pages), GFP_KERNEL);
	bio = bio_alloc(bdev.bdev, npages, opf, GFP_KERNEL);
	ret = -ENOMEM;
	if (!pages || !bio)
		goto out;
	bio->bi_iter.bi_sector = sector;
	if (!npages)
		bio->bi_iter.bi_size = bytes;

	for (i = 0; i < npages; i++) {
		unsigned int len = min_t(unsigned int, PAGE_SIZE, bytes - i * PAGE_SIZE);
		u8 *p;

		pages[i] = alloc_page(GFP_KERNEL);
		if (!pages[i])
			goto out;
		p = page_address(pages[i]);
		for (j = 0; j < len; j++)
			p[j] = (u8)(seed + (i * PAGE_SIZE + j) * 7);
		__bio_add_page(bio, pages[i], len, 0);
	}
	ret = submit_bio_wait(bio);
out:
	if (bio)
		bio_put(bio);
	for (i = 0; pages && i < npages; i++)
		if (pages[i])
			__free_page(pages[i]);
	kfree(pages);
	xferblk_bdev_close(&bdev);
	return ret;
}

static ssize_t biotest_submit(struct file *f, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char line[256], path[128], op[8], flags[32];
	unsigned long long sector;
	unsigned int bytes, seed;
	blk_opf_t opf;
	int ret;

	if (count >= sizeof(line))
		return -EINVAL;
	if (copy_from_user(line, ubuf, count))
		return -EFAULT;
	line[count] = '\0';
	if (sscanf(line, "%127s %7s %31s %llu %u %u", path, op, flags, &sector,
		   &bytes, &seed) != 6)
		return -EINVAL;

	if (!strcmp(op, "write"))
		opf = REQ_OP_WRITE;
	else if (!strcmp(op, "read"))
		opf = REQ_OP_READ;
	else if (!strcmp(op, "discard"))
		opf = REQ_OP_DISCARD;
	else if (!strcmp(op, "zeroes"))
		opf = REQ_OP_WRITE_ZEROES;
	else
		return -EINVAL;
	if (strstr(flags, "preflush"))
		opf |= REQ_PREFLUSH;
	if (strstr(flags, "fua"))
		opf |= REQ_FUA;
	if (!bytes || bytes % SECTOR_SIZE ||
	    (bytes > BIOTEST_MAX_BYTES && !op_is_discard(opf) &&
	     (opf & REQ_OP_MASK) != REQ_OP_WRITE_ZEROES))
		return -EINVAL;

	ret = biotest_run(path, opf, sector, bytes, seed);
	return ret ? ret : count;
}

static const struct file_operations biotest_fops = {
	.owner = THIS_MODULE,
	.write = biotest_submit,
};

static int __init biotest_init(void)
{
	biotest_dir = debugfs_create_dir("xferblk_biotest", NULL);
	debugfs_create_file("submit", 0200, biotest_dir, NULL, &biotest_fops);
	return 0;
}

static void __exit biotest_exit(void)
{
	debugfs_remove_recursive(biotest_dir);
}

module_init(biotest_init);
module_exit(biotest_exit);
MODULE_DESCRIPTION("xferblk selftest helper: submit a bio with given flags");
MODULE_LICENSE("GPL");
