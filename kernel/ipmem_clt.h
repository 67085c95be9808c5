/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipmem borrower transport: what the block layer (ipmem_blk.c,
 * ipmem_map.c) may use of it, the way rnbd uses rtrs.
 *
 * The block layer names a copy of an extent by (lender, block, grant
 * generation) and knows nothing else of a lender: the transport owns the
 * connections, the keys of the lenders' blocks and the recovery after a
 * loss, and moves data with ipmem_clt_rw().  What changes on its side
 * (a lender lost, back, given up on, keys revoked) it tells through the
 * one event handler the block layer registers; it never calls into the
 * block layer otherwise.
 */
#ifndef _IPMEM_CLT_H
#define _IPMEM_CLT_H

#include <linux/in6.h>
#include <linux/types.h>
#include <rdma/ib_verbs.h>

struct ipmem_lender;
struct netlink_ext_ack;
struct scatterlist;

/**
 * enum ipmem_clt_event - what the transport tells the block layer
 * @IPMEM_CLT_EV_LIVE: a lender is connected again
 * @IPMEM_CLT_EV_FAILED: I/O waiting for a lost lender may fail now
 * @IPMEM_CLT_EV_KEYS: keys of a lender were revoked or lost
 *
 * Each means: requests waiting for that lender and stale copies are
 * worth looking at again.  Delivered in process context, with no lock
 * of the transport held.
 */
enum ipmem_clt_event {
	IPMEM_CLT_EV_LIVE,
	IPMEM_CLT_EV_FAILED,
	IPMEM_CLT_EV_KEYS,
};

/**
 * enum ipmem_copy_state - whether a copy can serve I/O now
 * @IPMEM_COPY_OK: its lender is live and its key valid
 * @IPMEM_COPY_AWAY: its key is valid but its lender is not live (lost,
 *	reconnecting): it may come back
 * @IPMEM_COPY_LOST: its key is gone, dead, of another grant, or (for a
 *	write) read-only: never usable again
 */
enum ipmem_copy_state {
	IPMEM_COPY_OK,
	IPMEM_COPY_AWAY,
	IPMEM_COPY_LOST,
};

/**
 * struct ipmem_clt_op - one data operation: a read or write of one copy
 * @done: called once, when every work request of the operation has
 *	ended (in completion context, or in the poster's), with IB_WC_SUCCESS
 *	or the status of its first failure; a failure other than a flush
 *	has already made the lender lost
 * @cqe: the transport's
 * @parts: the transport's: work requests outstanding
 * @status: the transport's: the first failure
 * @lender: the transport's: where it went
 *
 * The caller owns the memory until @done runs.
 */
struct ipmem_clt_op {
	void (*done)(struct ipmem_clt_op *op, int status);
	struct ib_cqe cqe;
	atomic_t parts;
	int status;
	struct ipmem_lender *lender;
};

/* The most pages one operation moves (a 64 KiB extent). */
#define IPMEM_MAX_SEGS	16

/*
 * Configuration: process context, under ipmem_cfg_lock.  A mapping holds
 * a reference on its lender per block; the lender is disconnected when
 * its last reference goes.
 */
struct ipmem_lender *ipmem_clt_get(const u8 *block_addr, u32 block_size,
				   struct netlink_ext_ack *extack);
void ipmem_clt_put(struct ipmem_lender *l);
void ipmem_clt_reap_sync(void);
int ipmem_clt_map(struct ipmem_lender *l, u64 first, u64 count,
		  struct netlink_ext_ack *extack);
void ipmem_clt_unmap(struct ipmem_lender *l, u64 first, u64 count);
u64 ipmem_clt_gen(struct ipmem_lender *l, u64 block);

/* The I/O path: any context, under rcu_read_lock(). */
enum ipmem_copy_state ipmem_clt_copy_state(struct ipmem_lender *l, u64 block,
					   u64 gen, bool write);
bool ipmem_clt_waitable(struct ipmem_lender *l);
struct ib_device *ipmem_clt_dma_device(struct ipmem_lender *l);
int ipmem_clt_rw(struct ipmem_lender *l, unsigned int queue, u64 block,
		 u64 gen, u32 off, struct scatterlist *sgl, int nents,
		 bool write, struct ipmem_clt_op *op);
void ipmem_clt_error(struct ipmem_lender *l);

/* For messages and dumps. */
u32 ipmem_clt_host_id(const struct ipmem_lender *l);
const struct in6_addr *ipmem_clt_nexthop(const struct ipmem_lender *l);
u8 ipmem_clt_rights(struct ipmem_lender *l, u64 block);

void ipmem_clt_init(void (*event)(struct ipmem_lender *l,
				  enum ipmem_clt_event ev));

#endif /* _IPMEM_CLT_H */
