/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipmem_compat.h - the kernel interfaces that differ between the kernels
 * ipmem builds for.
 *
 * One source tree builds against Debian 12's two kernel series, 6.1 and
 * 6.12 (and is tested on both).  Every difference in the interfaces the
 * module uses is here, keyed on the release that made it, so that the
 * rest of the module is written once:
 *
 *   6.2   genetlink split ops: pre_doit/post_doit take a genl_split_ops,
 *         a dump's attributes are in genl_dumpit_info.info
 *   6.3   ->rw_page is gone: swap learns that a disk is synchronous from
 *         a queue feature instead, and reads through a bio
 *   6.5   ->open takes the gendisk and a blk_mode_t
 *   6.9   blk_mq_alloc_disk() takes the queue's limits, and (6.11) the
 *         limit setters and queue flags became queue_limits fields and
 *         BLK_FEAT_* features
 *   6.12  <asm/unaligned.h> moved to <linux/unaligned.h>
 *
 * The block layer changed in steps between 6.3 and 6.11; ipmem supports
 * the two ends of that (up to 6.2, and 6.11 onwards) and refuses to build
 * in between rather than guess.
 */
#ifndef IPMEM_COMPAT_H
#define IPMEM_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/version.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
#error "ipmem builds for Linux 6.1-6.2 and 6.11 onwards (tested: 6.1, 6.12)"
#endif

/* ------------------------------------------------------------ genetlink */

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
/* what a family's pre_doit and post_doit are given */
#define ipmem_genl_doit_ops	genl_split_ops

static inline struct nlattr **
ipmem_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->info.attrs;
}
#else
#define ipmem_genl_doit_ops	genl_ops

static inline struct nlattr **
ipmem_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}
#endif

/* ---------------------------------------------------------- block layer */

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
/*
 * The disk reads a swap-in straight into the faulting task's page; having
 * ->rw_page is what makes swap treat the disk as synchronous.
 */
#define IPMEM_HAVE_RW_PAGE	1
/* the default of direct_read: the fast path pays off */
#define IPMEM_DIRECT_READ_DEFAULT	true
#else
/*
 * Without ->rw_page a synchronous disk gets nothing but the loss of the
 * swap cache's readahead and of asynchronous swap-out (the kernel then
 * writes one folio at a time and waits): on 6.12 swap is faster without
 * (Documentation/benchmark.rst, "6.1 and 6.12").
 */
#define IPMEM_DIRECT_READ_DEFAULT	false
#endif

/*
 * IPMEM_BDEV_OPEN(name, fn) defines @name, a block_device_operations
 * ->open for this kernel, that calls int fn(struct gendisk *).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define IPMEM_BDEV_OPEN(name, fn)					\
static int name(struct gendisk *gd, blk_mode_t mode)			\
{									\
	return fn(gd);							\
}
#else
#define IPMEM_BDEV_OPEN(name, fn)					\
static int name(struct block_device *bdev, fmode_t mode)		\
{									\
	return fn(bdev->bd_disk);					\
}
#endif

/**
 * ipmem_alloc_disk - a blk-mq disk with the given limits
 * @set: its tag set
 * @lim: its queue limits (the fields of struct queue_limits both series
 *	have; the kernel fills in the rest)
 * @synchronous: swap may read it synchronously, without the swap cache
 *	(before 6.3 the caller's ->rw_page says so instead)
 * @data: the queue's queuedata
 *
 * The disk is non-rotational and adds no entropy.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
static inline struct gendisk *ipmem_alloc_disk(struct blk_mq_tag_set *set,
					       struct queue_limits *lim,
					       bool synchronous, void *data)
{
	/* non-rotational and no entropy are the defaults */
	if (synchronous)
		lim->features |= BLK_FEAT_SYNCHRONOUS;
	return blk_mq_alloc_disk(set, lim, data);
}
#else
static inline struct gendisk *ipmem_alloc_disk(struct blk_mq_tag_set *set,
					       struct queue_limits *lim,
					       bool synchronous, void *data)
{
	struct request_queue *q;
	struct gendisk *gd;

	gd = blk_mq_alloc_disk(set, data);
	if (IS_ERR(gd))
		return gd;
	q = gd->queue;
	blk_queue_logical_block_size(q, lim->logical_block_size);
	blk_queue_physical_block_size(q, lim->physical_block_size);
	blk_queue_io_min(q, lim->io_min);
	blk_queue_max_hw_sectors(q, lim->max_hw_sectors);
	blk_queue_chunk_sectors(q, lim->chunk_sectors);
	blk_queue_max_segments(q, lim->max_segments);
	blk_queue_max_segment_size(q, lim->max_segment_size);
	blk_queue_max_discard_sectors(q, lim->max_hw_discard_sectors);
	q->limits.discard_granularity = lim->discard_granularity;
	if (lim->dma_alignment)
		blk_queue_dma_alignment(q, lim->dma_alignment);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);
	return gd;
}
#endif

#endif /* IPMEM_COMPAT_H */
