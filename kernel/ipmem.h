/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipmem: swap to memory lent by other hosts, over RDMA.
 *
 * One module, two roles:
 *
 *  lender   (ipmem_lnd*.c)  a pool of equal blocks; grants of blocks to
 *           borrower host ids; an rdma_cm listener; per borrower a
 *           protection domain holding only that borrower's grants.
 *  borrower (ipmem_clt.c, ipmem_blk.c)  routes from block prefixes to
 *           lenders, a connection per lender, and /dev/ipmemN whose
 *           extents map to lent blocks (the mem-to-ip table).
 *
 * Control is generic netlink (ipmem_nl.c); inspection is sysfs and
 * debugfs (ipmem_sysfs.c, ipmem_debugfs.c).
 */
#ifndef _IPMEM_H
#define _IPMEM_H

#include <linux/blk-mq.h>
#include <linux/in6.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/percpu.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include <ipmem/addr.h>
#include <ipmem/latency.h>
#include <ipmem/netlink.h>
#include <ipmem/wire.h>

struct dentry;
struct genl_info;
struct seq_file;
struct sk_buff;

/* ------------------------------------------------------------ ipmem_main.c */

/**
 * struct ipmem_host - who this host is
 * @net: the network prefix (first 48 bits; the rest zero)
 * @host_id: this host's id, as lender and as borrower
 * @set: @net and @host_id have been set
 *
 * Protected by ipmem_cfg_lock; changes are refused while a pool or a
 * mapping depends on them.
 */
struct ipmem_host {
	u8 net[16];
	u32 host_id;
	bool set;
};

/*
 * ipmem_cfg_lock serialises every configuration change (netlink requests,
 * module teardown), like the RTNL does for networking.  The I/O path never
 * takes it.  It nests outside every other ipmem lock.
 */
extern struct mutex ipmem_cfg_lock;
extern struct ipmem_host ipmem_host;
extern struct workqueue_struct *ipmem_wq;
extern struct dentry *ipmem_debugfs_root;

/* module parameters */
extern unsigned int ipmem_queue_depth;
extern unsigned int ipmem_max_queues;
extern unsigned int ipmem_io_fail_tmo;
extern unsigned int ipmem_connect_tmo;
extern bool ipmem_direct_read;

/* ----------------------------------------------------------- ipmem_rdma.c */

/**
 * struct ipmem_iu - a DMA-mapped buffer for one control message
 * @cqe: completion
 * @dma: DMA address of @msg
 * @dir: DMA direction
 * @msg: the message (its own cache lines: the device writes it)
 */
struct ipmem_iu {
	struct ib_cqe cqe;
	u64 dma;
	enum dma_data_direction dir;
	struct ipmem_msg msg ____cacheline_aligned;
};

struct ipmem_iu *ipmem_iu_alloc(struct ib_device *dev,
				enum dma_data_direction dir,
				void (*done)(struct ib_cq *cq, struct ib_wc *wc));
void ipmem_iu_free(struct ib_device *dev, struct ipmem_iu *iu);
int ipmem_iu_post_recv(struct ib_qp *qp, struct ipmem_iu *iu);
int ipmem_iu_post_send(struct ib_qp *qp, struct ipmem_iu *iu);
struct ipmem_msg *ipmem_iu_recvd(struct ib_cq *cq, struct ipmem_iu *iu);

/* ------------------------------------------------------------ ipmem_lnd.c */

/**
 * struct ipmem_grant - blocks of the pool lent to one borrower
 * @node: in ipmem_pool.grants, ordered by @first
 * @batch: in the list of one reservation request, while it is made
 * @first: first block
 * @count: number of blocks, a power of two, @first aligned to it
 * @borrower: borrower host id
 * @rights: enum ipmem_rights
 * @state: enum ipmem_grant_state
 * @gen: generation, unique among the pool's grants over its life
 * @expires: jiffies at which a reservation lapses
 */
struct ipmem_grant {
	struct list_head node;
	struct list_head batch;
	u64 first;
	u64 count;
	u32 borrower;
	u8 rights;
	u8 state;
	u64 gen;
	unsigned long expires;
};

/**
 * struct ipmem_pool - the memory this host lends
 * @block_size: bytes per block
 * @block_shift: log2(@block_size)
 * @nr_blocks: M_i
 * @nr_free: V_i, blocks in no grant
 * @blocks: @nr_blocks pointers to the first page of each block (a block
 *	is one physically contiguous allocation)
 * @used: bitmap, bit set = block in a grant
 * @epoch: random, chosen at creation
 * @next_gen: next grant generation
 * @addr: data-plane address the lender listens on
 * @port: rdma_cm port
 * @listen_id: rdma_cm listener
 * @grants: struct ipmem_grant, ordered by first block
 * @sessions: struct ipmem_lnd_sess, one per (borrower, RDMA device)
 * @expire_work: lapses reservations
 *
 * Everything is protected by ipmem_lnd_lock.
 */
struct ipmem_pool {
	u32 block_size;
	u8 block_shift;
	u64 nr_blocks;
	u64 nr_free;
	struct page **blocks;
	unsigned long *used;
	u64 epoch;
	u64 next_gen;
	struct sockaddr_in6 addr;
	struct rdma_cm_id *listen_id;
	struct list_head grants;
	struct list_head sessions;
	struct delayed_work expire_work;
};

extern struct mutex ipmem_lnd_lock;
extern struct ipmem_pool *ipmem_pool;

int ipmem_pool_create(u64 size, u32 block_size, const struct in6_addr *addr,
		      u16 port, struct netlink_ext_ack *extack);
int ipmem_pool_destroy(struct netlink_ext_ack *extack);
int ipmem_grant_add(const u8 *prefix, u8 plen, u32 borrower, u8 rights,
		    struct netlink_ext_ack *extack);
int ipmem_grant_reserve(u64 count, u32 borrower, u8 rights,
			unsigned int timeout_ms, struct sk_buff *reply,
			struct netlink_ext_ack *extack);
int ipmem_grant_confirm(const u8 *prefix, u8 plen,
			struct netlink_ext_ack *extack);
int ipmem_grant_del(const u8 *prefix, u8 plen, struct netlink_ext_ack *extack);
struct ipmem_grant *ipmem_grant_find(u64 block);
int ipmem_grant_fill(struct sk_buff *skb, const struct ipmem_grant *g);
ssize_t ipmem_lnd_pool_read(char __user *buf, size_t len, loff_t *ppos);
void ipmem_lnd_exit(void);

/* ------------------------------------------------------- ipmem_lnd_rdma.c */

/**
 * struct ipmem_lnd_sess - a borrower connected to this lender
 * @node: in ipmem_pool.sessions
 * @borrower: the borrower's host id
 * @dev: the RDMA device its queues are on
 * @pd: its protection domain: only its grants are registered here
 * @conns: its queues (struct ipmem_lnd_conn)
 * @mrs: registrations (struct ipmem_lnd_mr)
 * @nr_registered: blocks registered in @pd
 * @peer: the borrower's address
 * @seg_shift: log2 of the largest segment, in blocks
 * @page_size: registration page size
 *
 * Protected by ipmem_lnd_lock.
 */
struct ipmem_lnd_sess {
	struct list_head node;
	u32 borrower;
	struct ib_device *dev;
	struct ib_pd *pd;
	struct list_head conns;
	struct list_head mrs;
	u64 nr_registered;
	struct sockaddr_in6 peer;
	u8 seg_shift;
	u32 page_size;
};

int ipmem_lnd_listen(struct ipmem_pool *pool, struct netlink_ext_ack *extack);
void ipmem_lnd_stop(struct ipmem_pool *pool);
void ipmem_lnd_revoke(struct ipmem_pool *pool, struct ipmem_grant *g);
void ipmem_lnd_dev_add(struct ib_device *dev);
void ipmem_lnd_dev_remove(struct ib_device *dev);
void ipmem_lnd_show_grants(struct seq_file *m);
void ipmem_lnd_show_borrowers(struct seq_file *m);

/* ------------------------------------------------------------ ipmem_clt.c */

/**
 * struct ipmem_route - a block prefix and the lender that holds it
 * @node: in the route list (RCU)
 * @prefix: the prefix
 * @plen: its length
 * @nexthop: the lender's data-plane address and port
 */
struct ipmem_route {
	struct list_head node;
	u8 prefix[16];
	u8 plen;
	struct sockaddr_in6 nexthop;
	struct rcu_head rcu;
};

/**
 * struct ipmem_key - how to reach a segment of a lender's blocks
 * @first: first block
 * @count: blocks
 * @iova: address of @first under @rkey
 * @rkey: remote key
 * @rights: enum ipmem_rights
 * @gen: generation of the grant the segment belongs to
 * @dead: the lender revoked it or lost it; never use
 *
 * Published in ipmem_lender.keys under RCU and never modified: a new key
 * replaces an old one.
 */
struct ipmem_key {
	u64 first;
	u64 count;
	u64 iova;
	u32 rkey;
	u8 rights;
	bool dead;
	u64 gen;
	struct rcu_head rcu;
};

#define IPMEM_CLT_RX	4	/* control receive buffers on queue 0 */

/**
 * struct ipmem_clt_conn - one queue (RC QP) to a lender
 * @lender: owner
 * @idx: queue index
 * @cm_id: rdma_cm id
 * @qp: the queue pair
 * @cq: its completion queue (both directions)
 * @cm_done: completed by the cm handler when set-up ends
 * @cm_error: 0 or why set-up failed
 * @rej_reason: the lender's reason when it rejected us
 * @rep: the lender's connection reply
 * @rx: control receive buffers (queue 0 only)
 */
struct ipmem_clt_conn {
	struct ipmem_lender *lender;
	int idx;
	struct rdma_cm_id *cm_id;
	struct ib_qp *qp;
	struct ib_cq *cq;
	struct completion cm_done;
	int cm_error;
	int rej_reason;
	struct ipmem_conn_rep rep;
	struct ipmem_iu *rx[IPMEM_CLT_RX];
};

/**
 * struct ipmem_lender - a lender this host borrows from
 * @node: in the lender list (ipmem_clt_lock)
 * @rm_node: in the list of lenders on a device being removed
 * @ref: one per mapped extent copy, one per user in flight
 * @addr: its data-plane address and port
 * @expect_host: the host id its prefixes name
 * @host_id: the host id it says it is
 * @epoch: its pool epoch when we mapped from it
 * @cur_epoch: its pool epoch on the current connection
 * @block_size: its block size
 * @seg_shift: log2 of its largest segment
 * @state: enum ipmem_conn_state; see ipmem_lender_change_state()
 * @lost_at: jiffies when it was lost (valid while RECONNECTING)
 * @nr_conns: number of queues
 * @conns: the queues
 * @dev: the local RDMA device the queues are on
 * @pd: our protection domain on @dev
 * @keys: struct ipmem_key by block number (multi-index entries; RCU
 *	readers, writers under ipmem_clt_lock)
 * @segs: segments with mapped blocks (ipmem_clt_lock)
 * @nr_mapped: extent copies mapped to it (ipmem_clt_lock)
 * @ctl_lock: one control exchange at a time; held to destroy the queues
 * @ctl_done: completed when the reply arrives or the request failed
 * @ctl_rep: the reply
 * @ctl_status: 0 or why the exchange failed
 * @ctl_tag: tag of the request outstanding (@state_lock)
 * @tx: control send buffer (@ctl_lock)
 * @tx_done: completed when the SEND of @tx ended
 * @tx_status: its work completion status
 * @tx_broken: a SEND of @tx did not complete in time: @tx is not used
 *	again until the queues are rebuilt (@ctl_lock)
 * @recover_work: reconnects after a loss
 * @fail_work: runs when I/O waiting for it must fail
 * @revoke_work: forgets the keys of revoked grants
 * @ping_work: checks every few seconds that an idle lender answers
 * @lost_work: tells userspace that the lender was lost
 * @revoked: grants revoked, waiting for @revoke_work (@state_lock)
 * @revoke_count: entries in @revoked
 * @state_lock: protects @state, @lost_at, @ctl_tag and @revoked
 * @nr_errors: times it was lost
 * @nr_reconnects: times it came back
 */
struct ipmem_lender {
	struct list_head node;
	struct list_head rm_node;
	struct kref ref;
	struct sockaddr_in6 addr;
	u32 expect_host;
	u32 host_id;
	u64 epoch;
	u64 cur_epoch;
	u32 block_size;
	u8 seg_shift;
	int state;
	unsigned long lost_at;
	int nr_conns;
	struct ipmem_clt_conn *conns;
	struct ib_device *dev;
	struct ib_pd *pd;
	struct xarray keys;
	struct list_head segs;
	u64 nr_mapped;
	struct mutex ctl_lock;	/* one control exchange; queue teardown */
	struct completion ctl_done;
	struct ipmem_msg ctl_rep;
	int ctl_status;
	u32 ctl_tag;
	struct ipmem_iu *tx;
	struct completion tx_done;
	int tx_status;
	bool tx_broken;
	struct delayed_work recover_work;
	struct delayed_work fail_work;
	struct work_struct revoke_work;
	struct delayed_work ping_work;
	struct work_struct lost_work;
	struct {
		u64 first;
		u64 count;
	} revoked[8];
	unsigned int revoke_count;
	spinlock_t state_lock;	/* @state, @lost_at, @ctl_tag, @revoked */
	atomic64_t nr_errors;
	atomic64_t nr_reconnects;
};

/*
 * ipmem_clt_lock protects the route list (writers; readers use RCU), the
 * lender list, and each lender's @keys writers and @nr_mapped.
 */
extern struct mutex ipmem_clt_lock;

int ipmem_route_add(const u8 *prefix, u8 plen, const struct in6_addr *nh,
		    u16 port, struct netlink_ext_ack *extack);
int ipmem_route_del(const u8 *prefix, u8 plen, struct netlink_ext_ack *extack);
int ipmem_route_dump(struct sk_buff *skb, struct netlink_callback *cb);
struct ipmem_lender *ipmem_lender_get_for(const u8 *block_addr,
					  struct netlink_ext_ack *extack);
void ipmem_lender_put(struct ipmem_lender *l);
int ipmem_lender_fetch_keys(struct ipmem_lender *l, u64 first, u64 count,
			    struct netlink_ext_ack *extack);
void ipmem_lender_unmap(struct ipmem_lender *l, u64 first, u64 count);
struct ipmem_key *ipmem_lender_key(struct ipmem_lender *l, u64 block);
int ipmem_lender_dump(struct sk_buff *skb, struct netlink_callback *cb);
int ipmem_lender_fill(struct sk_buff *skb, struct ipmem_lender *l);
void ipmem_lender_conn_error(struct ipmem_lender *l);
bool ipmem_lender_waitable(struct ipmem_lender *l);
int ipmem_clt_post(struct ipmem_lender *l, unsigned int queue,
		   const struct ib_send_wr *wr);
void ipmem_clt_dev_remove(struct ib_device *dev);
void ipmem_clt_show_lenders(struct seq_file *m);
void ipmem_clt_init(void);
void ipmem_clt_exit(void);

extern unsigned int ipmem_nr_queues;

/* ------------------------------------------------------------ ipmem_blk.c */

#define IPMEM_MAX_SEGS	16	/* pages per request: a 64 KiB extent */

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
 *
 * @rep changes only with the disk's queue frozen and its refill lock
 * held; @stale, @flags and @lost are changed by the I/O path with atomic
 * bit operations.  A refill may clear a stale bit only if no write was
 * in flight when it started copying and none started since (@wstart and
 * @wdone), and only under IPMEM_EXT_LOCK.  An extent that holds data is
 * kept while it has no copy, so that its lost pages are remembered.
 */
struct ipmem_ext {
	struct ipmem_rep rep[IPMEM_MAX_REPLICAS];
	unsigned long stale;
	unsigned long flags;
	unsigned long lost;
	atomic_t wstart;
	atomic_t wdone;
	struct rcu_head rcu;
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
 * @refill_cqe: completion of the refill's RDMA operation
 * @refill_done: completed with it
 * @refill_status: its status
 * @state_lock: one walk of the table for the state file at a time
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
	struct ib_cqe refill_cqe;
	struct completion refill_done;
	int refill_status;
	struct mutex state_lock;	/* ipmem_disk_state() */
};

/* read latency histogram buckets: <ipmem/latency.h> */

extern struct mutex ipmem_blk_lock;
extern struct list_head ipmem_disks;

int ipmem_disk_create(u64 size, u32 block_size, u8 replicas, int id,
		      struct ipmem_disk **out, struct netlink_ext_ack *extack);
int ipmem_disk_remove(int id, struct netlink_ext_ack *extack);
struct ipmem_disk *ipmem_disk_find(int id);
int ipmem_disk_fill(struct sk_buff *skb, struct ipmem_disk *d);
int ipmem_map_add(struct ipmem_disk *d, const u8 *prefix, u8 plen,
		  s64 extent, int replica, u64 *ext_out, int *rep_out,
		  struct netlink_ext_ack *extack);
int ipmem_map_del(const u8 *prefix, u8 plen, struct netlink_ext_ack *extack);
int ipmem_map_dump(struct sk_buff *skb, struct netlink_callback *cb);
void ipmem_disk_stats_sum(struct ipmem_disk *d, struct ipmem_disk_stats *s);
const char *ipmem_disk_state(struct ipmem_disk *d);
void ipmem_blk_lender_changed(struct ipmem_lender *l);
void ipmem_blk_show_table(struct seq_file *m);
void ipmem_blk_show_latency(struct seq_file *m);
int ipmem_blk_init(void);
void ipmem_blk_exit(void);

/* ------------------------------------------------------------- ipmem_nl.c */

int ipmem_nl_init(void);
void ipmem_nl_exit(void);
void ipmem_nl_notify_pool(void);
void ipmem_nl_notify_grant_del(const struct ipmem_grant *g);
void ipmem_nl_notify_lender(struct ipmem_lender *l);
int ipmem_nl_put_addr(struct sk_buff *skb, int attr, const void *addr);
void *ipmem_nl_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb,
			u8 cmd);
int ipmem_nl_put_block(struct sk_buff *skb, u32 host, u64 block, u8 plen);

/* ------------------------------------------------------ sysfs and debugfs */

int ipmem_sysfs_init(void);
void ipmem_sysfs_exit(void);
extern const struct attribute_group *ipmem_disk_groups[];
void ipmem_debugfs_init(void);
void ipmem_debugfs_exit(void);

/* ------------------------------------------------------------- helpers */

/* the block prefix @prefix/@plen as a run of blocks of host @host */
int ipmem_prefix_check(const u8 *prefix, u8 plen, u32 *host, u64 *first,
		       u64 *count, struct netlink_ext_ack *extack);

static inline const char *ipmem_state_name(int state)
{
	switch (state) {
	case IPMEM_CONN_CONNECTING: return "connecting";
	case IPMEM_CONN_LIVE: return "live";
	case IPMEM_CONN_RECONNECTING: return "reconnecting";
	case IPMEM_CONN_DELETING: return "deleting";
	}
	return "unknown";
}

#endif /* _IPMEM_H */
