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
#include <linux/crypto.h>
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
#include <ipmem/version.h>
#include <ipmem/wire.h>

#include "ipmem_compat.h"

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
extern bool ipmem_require_auth;
extern char ipmem_cipher[CRYPTO_MAX_ALG_NAME];
extern unsigned int ipmem_max_sge;
extern unsigned int ipmem_ack_timeout;

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
const char *ipmem_cm_no_path(struct rdma_cm_id *id);

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
 * @limit: @nr_blocks, or less while a shrink waits for the blocks past it
 *	(nothing is reserved or confirmed past it)
 * @nr_free: V_i, blocks in no grant below @limit
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
	u64 limit;
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
extern unsigned int ipmem_lnd_sessions_leaving;
extern struct ipmem_pool *ipmem_pool;

int ipmem_pool_create(u64 size, u32 block_size, const struct in6_addr *addr,
		      u16 port, struct netlink_ext_ack *extack);
int ipmem_pool_destroy(struct netlink_ext_ack *extack);
int ipmem_pool_shrink(u64 size, struct netlink_ext_ack *extack);
bool ipmem_pool_shrink_end(struct ipmem_pool *pool);
int ipmem_grant_add(const u8 *prefix, u8 plen, u32 borrower, u8 rights,
		    struct netlink_ext_ack *extack);
int ipmem_grant_reserve(u64 count, u32 borrower, u8 rights,
			unsigned int timeout_ms, struct sk_buff *reply,
			struct netlink_ext_ack *extack);
int ipmem_grant_confirm(const u8 *prefix, u8 plen,
			struct netlink_ext_ack *extack);
int ipmem_grant_del(const u8 *prefix, u8 plen, bool force,
		    struct netlink_ext_ack *extack);
struct ipmem_grant *ipmem_grant_find(u64 block);
int ipmem_grant_fill(struct sk_buff *skb, const struct ipmem_grant *g);
ssize_t ipmem_lnd_pool_rw(char __user *buf, size_t len, loff_t *ppos,
			  bool write);
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
void ipmem_lnd_revoke(struct ipmem_pool *pool, struct ipmem_grant *g,
		      u64 first, u64 count);
bool ipmem_lnd_grant_in_use(struct ipmem_pool *pool, struct ipmem_grant *g,
			    u64 first, u64 count, bool straddling);
void ipmem_lnd_dev_add(struct ib_device *dev);
void ipmem_lnd_dev_remove(struct ib_device *dev);
void ipmem_lnd_show_grants(struct seq_file *m);
void ipmem_lnd_show_borrowers(struct seq_file *m);

/* ------------------------------------------------------------ ipmem_clt.c */

/*
 * The borrower's transport.  The block layer uses it through
 * ipmem_clt.h only; these are for netlink, debugfs and module set-up.
 */
struct ipmem_lender;

extern unsigned int ipmem_nr_queues;

int ipmem_route_add(const u8 *prefix, u8 plen, const struct in6_addr *nh,
		    u16 port, struct netlink_ext_ack *extack);
int ipmem_route_del(const u8 *prefix, u8 plen, struct netlink_ext_ack *extack);
int ipmem_route_dump(struct sk_buff *skb, struct netlink_callback *cb);
int ipmem_lender_dump(struct sk_buff *skb, struct netlink_callback *cb);
int ipmem_lender_fill(struct sk_buff *skb, struct ipmem_lender *l);
void ipmem_clt_dev_remove(struct ib_device *dev);
void ipmem_clt_show_lenders(struct seq_file *m);
void ipmem_clt_exit(void);

/* ------------------------------------------------- ipmem_blk.c, ipmem_map.c */

/* The swap disks and their mem-to-ip tables; the structures: ipmem_blk.h. */
struct ipmem_disk;

extern struct mutex ipmem_blk_lock;
extern struct list_head ipmem_disks;

int ipmem_disk_create(u64 size, u32 block_size, u8 replicas, int id,
		      bool encrypt, struct ipmem_disk **out,
		      struct netlink_ext_ack *extack);
int ipmem_disk_remove(int id, struct netlink_ext_ack *extack);
struct ipmem_disk *ipmem_disk_find(int id);
int ipmem_disk_fill(struct sk_buff *skb, struct ipmem_disk *d);
const char *ipmem_disk_state(struct ipmem_disk *d);
int ipmem_map_add(struct ipmem_disk *d, const u8 *prefix, u8 plen,
		  s64 extent, int replica, u64 *ext_out, int *rep_out,
		  struct netlink_ext_ack *extack);
int ipmem_map_del(const u8 *prefix, u8 plen, bool force, bool free_only,
		  struct netlink_ext_ack *extack);
int ipmem_map_dump(struct sk_buff *skb, struct netlink_callback *cb);
void ipmem_blk_show_table(struct seq_file *m);
void ipmem_blk_show_latency(struct seq_file *m);
int ipmem_blk_init(void);
void ipmem_blk_exit(void);

/* ----------------------------------------------------------- ipmem_auth.c */

#define IPMEM_AUTH_SLOTS	2	/* host keys, and keys per peer */
#define IPMEM_KEY_SIZE		32	/* Curve25519 */

extern atomic64_t ipmem_auth_refused;
extern atomic64_t ipmem_auth_lender_failed;
bool ipmem_auth_active(void);
int ipmem_auth_key_set(u8 slot, const u8 *priv, u8 *pub,
		       struct netlink_ext_ack *extack);
int ipmem_auth_key_del(u8 slot, struct netlink_ext_ack *extack);
bool ipmem_auth_key_get(u8 slot, u8 *pub);
int ipmem_auth_peer_add(u32 host, const u8 *pub,
			struct netlink_ext_ack *extack);
int ipmem_auth_peer_del(u32 host, const u8 *pub,
			struct netlink_ext_ack *extack);
int ipmem_auth_peer_dump(struct sk_buff *skb,
			 int (*fill)(struct sk_buff *, u32, const u8 *, void *),
			 void *arg, long *pos);
int ipmem_auth_challenge(u32 borrower, u16 queue, const struct in6_addr *src,
			 const u8 *nonce_b, struct ipmem_conn_rej *rej);
int ipmem_auth_check(u32 borrower, u16 queue, const struct in6_addr *src,
		     const u8 *nonce_l, const u8 *proof);
int ipmem_auth_answer(u32 lender, u16 queue, const u8 *nonce_b,
		      const struct ipmem_conn_rej *rej, u8 *proof);
int ipmem_auth_route_macs(u32 peer, const u8 *data, size_t len,
			  u8 macs[][IPMEM_ROUTE_MAC_LEN],
			  struct netlink_ext_ack *extack);
int ipmem_auth_init(void);
void ipmem_auth_exit(void);

/* ------------------------------------------------------------- ipmem_nl.c */

int ipmem_nl_init(void);
void ipmem_nl_exit(void);
void ipmem_nl_notify_pool(void);
void ipmem_nl_notify_grant_del(const struct ipmem_grant *g);
void ipmem_nl_notify_lender(struct ipmem_lender *l);
void ipmem_nl_notify_map_wanted(int disk, u64 extent);
bool ipmem_nl_has_listeners(void);
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
