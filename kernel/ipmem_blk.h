/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipmem borrower disks: the structures of the block layer, shared by
 * ipmem_blk.c (the disk and its I/O path), ipmem_map.c (the mem-to-ip
 * table), and the sysfs and netlink views of a disk.  The transport is
 * reached through ipmem_clt.h only.
 */
#ifndef _IPMEM_BLK_H
#define _IPMEM_BLK_H

#include <linux/mempool.h>

#include "ipmem.h"
#include "ipmem_clt.h"

/**
 * struct ipmem_rep - one copy of an extent
 * @lender: where it is; NULL when unmapped
 * @block: block number at the lender
 * @gen: generation of the grant when it was mapped
 */
struct ipmem_rep {
	struct ipmem_lender *lender;
	u64 block;
	u64 gen;
};

#define IPMEM_TAG_SIZE	16

/**
 * struct ipmem_page_auth - what the borrower keeps of a page it encrypted
 * @gen: its write generation (the nonce); 0: never written, reads as zeros
 * @tag: its authentication tag
 */
struct ipmem_page_auth {
	u64 gen;
	u8 tag[IPMEM_TAG_SIZE];
};

/**
 * struct ipmem_ext - an extent of a disk and its copies
 * @rep: the copies
 * @stale: bit r set: copy r missed a write and holds old data
 * @flags: IPMEM_EXT_WRITTEN once anything was written; IPMEM_EXT_LOCK, a
 *	bit spinlock: a write counts itself in @wstart and reads @stale under
 *	it, a refill clears a stale bit under it
 * @lost: bit p set: page p of the extent held data whose every copy was
 *	unmapped; reads of it fail until it is written again or discarded
 * @wstart: writes started (incremented before a write looks at @stale)
 * @wdone: writes ended (successfully or not), incremented after the
 *	stale bits of the copies the write missed are set
 * @auth: per page, on an encrypted disk: its generation and tag (written
 *	by the write that seals the page, read by the reads that open it)
 *
 * @rep changes only with the disk's queue frozen and its refill lock
 * held; @stale, @flags and @lost are changed by the I/O path with atomic
 * bit operations.  A refill may clear a stale bit only if no write was
 * in flight when it started copying and none started since (@wstart and
 * @wdone), and only under IPMEM_EXT_LOCK.  An extent that holds data is
 * kept while it has no copy, so that its lost pages are remembered.
 */
struct ipmem_ext {
	struct ipmem_rep rep[IPMEM_COPY_SLOTS];
	unsigned long stale;
	unsigned long flags;
	unsigned long lost;
	atomic_t wstart;
	atomic_t wdone;
	struct rcu_head rcu;
	struct ipmem_page_auth auth[];
};

#define IPMEM_EXT_WRITTEN	0
#define IPMEM_EXT_LOCK		1

/* per-CPU counters of a disk, indexed by enum ipmem_stat */
struct ipmem_disk_stats {
	u64 v[__IPMEM_STAT_MAX];
};

/**
 * struct ipmem_disk - /dev/ipmemN
 * @node: in the disk list (ipmem_blk_lock)
 * @id: N
 * @gd: the gendisk
 * @size: bytes
 * @block_size: bytes per extent
 * @block_shift: log2(@block_size)
 * @replicas: copies per extent
 * @nr_extents: extents
 * @extents: struct ipmem_ext by extent number (RCU readers)
 * @nr_mapped: extent copies mapped (up to @replicas per extent)
 * @removing: being removed; opens fail (under the disk's open_mutex)
 * @inflight: requests in flight
 * @lost_pages: pages whose data is lost (set bits of every @lost)
 * @stats: per-CPU counters
 * @lat: read latency histogram, per CPU
 * @refill_lock: held by the refill and by every change of the table
 * @refill_work: copies current copies over stale ones
 * @refill_buf: one extent, the refill's bounce buffer
 * @refill_op: the refill's RDMA operation
 * @refill_done: completed with it
 * @refill_status: its status
 * @state_lock: one walk of the table for the state file at a time
 * @crypt: the AEAD that seals its pages; NULL if not encrypted
 * @bounce: pages that hold the ciphertext of writes in flight
 */
struct ipmem_disk {
	struct list_head node;
	int id;
	struct gendisk *gd;
	u64 size;
	u32 block_size;
	u8 block_shift;
	u8 replicas;
	u64 nr_extents;
	struct xarray extents;
	u64 nr_mapped;
	bool removing;
	atomic_t inflight;
	atomic64_t lost_pages;
	struct ipmem_disk_stats __percpu *stats;
	u64 __percpu *lat;
	struct mutex refill_lock;	/* refill vs. changes of the table */
	struct delayed_work refill_work;
	void *refill_buf;
	struct ipmem_clt_op refill_op;
	struct completion refill_done;
	int refill_status;
	struct mutex state_lock;	/* ipmem_disk_state() */
	/* a write waits for a copy of extent @wanted: tell ipmemd */
	struct work_struct wanted_work;
	atomic64_t wanted;
	/* runs the requeue list now and then while requests wait there */
	struct delayed_work recheck_work;
	/* requests started and not ended or requeued (ipmem_disk_hold()) */
	atomic_t rq_active;
	struct ipmem_crypt *crypt;
	mempool_t *bounce;
};

/* Bytes of an extent of @d in memory (with its pages' tags if encrypted). */
static inline size_t ipmem_ext_size(struct ipmem_disk *d)
{
	if (!d->crypt)
		return sizeof(struct ipmem_ext);
	return sizeof(struct ipmem_ext) + (d->block_size >> PAGE_SHIFT) *
	       sizeof(struct ipmem_page_auth);
}

/* ipmem_blk.c, for ipmem_map.c */
void ipmem_disk_stats_sum(struct ipmem_disk *d, struct ipmem_disk_stats *s);
void ipmem_refill_kick(struct ipmem_disk *d, unsigned long delay);
unsigned long ipmem_page_mask(u32 off, u32 len);
bool ipmem_ext_has_copy(struct ipmem_ext *e);
bool ipmem_ext_has_current(struct ipmem_ext *e);
void ipmem_ext_lose(struct ipmem_disk *d, struct ipmem_ext *e,
		    unsigned long mask);

/* ipmem_crypt.c */
struct ipmem_crypt;
struct ipmem_crypt *ipmem_crypt_alloc(const char *name,
				      struct netlink_ext_ack *extack);
void ipmem_crypt_free(struct ipmem_crypt *c);
const char *ipmem_crypt_name(struct ipmem_crypt *c);
const char *ipmem_crypt_driver(struct ipmem_crypt *c);
int ipmem_crypt_seal(struct ipmem_crypt *c, u64 pageno, struct page *src,
		     struct page *dst, struct ipmem_page_auth *auth);
int ipmem_crypt_open(struct ipmem_crypt *c, u64 pageno,
		     const struct ipmem_page_auth *auth, struct page *page);

void ipmem_disk_hold(struct ipmem_disk *d);
void ipmem_disk_unhold(struct ipmem_disk *d);

/* ipmem_map.c, for ipmem_blk.c */
void ipmem_disk_unmap_all(struct ipmem_disk *d);

#endif /* _IPMEM_BLK_H */
