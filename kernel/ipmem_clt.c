// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem borrower transport: routes from block prefixes to lenders, the
 * connections to each lender, the keys of the blocks mapped from it, and
 * recovery when a lender is lost.
 *
 * A lender is found by one longest-prefix match of a block's address in
 * the route table; the route's next hop is the lender's data-plane
 * address.  Each lender gets ipmem_nr_queues RC queue pairs (the disks'
 * hardware queue i posts on queue pair i), and queue 0 carries the
 * control messages too.  Keys are fetched a segment at a time when blocks
 * are mapped and kept in @keys, an xarray of multi-index entries read
 * without locks on the I/O path.
 *
 * Loss: an error completion, a disconnect or an I/O time-out marks the
 * lender RECONNECTING.  I/O then goes to other copies, or waits for the
 * lender up to io_fail_tmo seconds and fails with an I/O error after
 * that.  Recovery tears the queue pairs down (outstanding work flushes),
 * reconnects every two seconds, and refetches every key.  A lender that
 * comes back with another pool epoch lost our data: every key of it dies,
 * and reads of those extents fail rather than return what it holds now.
 *
 * Posting to a queue pair happens under rcu_read_lock() after checking
 * that the lender is LIVE; teardown sets the state and waits for an RCU
 * grace period before touching the queue pairs.
 *
 * The block layer sees none of this: it uses the API of ipmem_clt.h.
 * Data moves through ipmem_clt_rw(), which checks the copy's key and the
 * device's SGE limits in one place; what the block layer must know of a
 * lender's changes it learns from one event handler.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/ip6_route.h>

#include "ipmem.h"
#include "ipmem_clt.h"

/* the keys are multi-index xarray entries (xa_store_range()) */
#if !IS_ENABLED(CONFIG_XARRAY_MULTI)
#error "ipmem needs a kernel with CONFIG_XARRAY_MULTI (CONFIG_TRANSPARENT_HUGEPAGE selects it)"
#endif

#define IPMEM_RECONNECT_DELAY	(2 * HZ)
#define IPMEM_PING_INTERVAL	(5 * HZ)

/**
 * struct ipmem_route - a block prefix and the lender that holds it
 * @node: in the route list (RCU)
 * @prefix: the prefix
 * @plen: its length
 * @nexthop: the lender's data-plane address and port
 * @rcu: frees it after readers are gone
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
 * @rcu: frees it after readers are gone
 *
 * Published in ipmem_lender.keys under RCU and never modified: a new key
 * replaces an old one.  Keys are the transport's: the block layer asks
 * about a copy with ipmem_clt_copy_state().
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
 * @peer_version: the wire protocol the lender said it speaks, when it
 *	rejected us for ours or accepted with another
 * @rep: the lender's connection reply
 * @rx: control receive buffers (queue 0 only)
 * @auth: what this CONNECT is: 0, IPMEM_REQ_HELLO or IPMEM_REQ_PROOF
 * @nonce_b: our nonce for this queue's authentication
 * @challenge: the lender's answer to our HELLO (nonce and proofs)
 * @proof: our answer to it
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
	u16 peer_version;
	struct ipmem_conn_rep rep;
	struct ipmem_iu *rx[IPMEM_CLT_RX];
	u16 auth;
	u8 nonce_b[IPMEM_NONCE_LEN];
	struct ipmem_conn_rej challenge;
	u8 proof[IPMEM_PROOF_LEN];
};

/**
 * struct ipmem_lender - a lender this host borrows from
 * @node: in the lender list (ipmem_clt_lock)
 * @ref: one per mapped extent copy, one per user in flight
 * @addr: its data-plane address and port
 * @expect_host: the host id its prefixes name
 * @host_id: the host id it says it is
 * @epoch: its pool epoch when we mapped from it
 * @cur_epoch: its pool epoch on the current connection
 * @block_size: its block size
 * @block_shift: log2(@block_size)
 * @seg_shift: log2 of its largest segment
 * @state: enum ipmem_conn_state; see ipmem_lender_change_state()
 * @lost_at: jiffies when it was lost (valid while RECONNECTING)
 * @nr_conns: number of queues
 * @conns: the queues
 * @dev: the local RDMA device the queues are on
 * @pd: our protection domain on @dev
 * @max_sge_rd: SGEs an RDMA READ of ours may have on @dev
 * @max_sge_wr: SGEs an RDMA WRITE of ours may have on @dev
 * @lock: protects @keys (writers), @segs and @nr_mapped; held across
 *	key requests, never while the global ipmem_clt_lock is taken
 * @keys: struct ipmem_key by block number (multi-index entries; RCU
 *	readers, writers under @lock)
 * @segs: segments with mapped blocks (@lock)
 * @nr_mapped: extent copies mapped to it (@lock)
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
	struct kref ref;
	struct sockaddr_in6 addr;
	u32 expect_host;
	u32 host_id;
	u64 epoch;
	u64 cur_epoch;
	u32 block_size;
	u8 block_shift;
	u8 seg_shift;
	int state;
	unsigned long lost_at;
	int nr_conns;
	struct ipmem_clt_conn *conns;
	struct ib_device *dev;
	struct ib_pd *pd;
	int max_sge_rd;
	int max_sge_wr;
	struct mutex lock;	/* @keys writers, @segs, @nr_mapped */
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

/**
 * struct ipmem_seg - a segment of a lender with mapped blocks in it
 * @node: in ipmem_lender.segs
 * @first: first block
 * @count: blocks
 * @users: extent copies mapped in it
 */
struct ipmem_seg {
	struct list_head node;
	u64 first;
	u64 count;
	u64 users;
};

/*
 * ipmem_clt_lock protects the route list (writers; readers use RCU), the
 * lender list and the list of dead lenders: it is taken for list walks
 * and changes only, never across a network round trip.  Each lender has
 * its own lock for its keys and segments (ipmem_lender.lock), taken
 * inside ipmem_clt_lock when both are; a lender's reference is never
 * dropped with either held (the last one takes ipmem_clt_lock).
 */
static DEFINE_MUTEX(ipmem_clt_lock);
static LIST_HEAD(ipmem_routes);		/* RCU; written under clt_lock */
static LIST_HEAD(ipmem_lenders);	/* clt_lock */
unsigned int ipmem_nr_queues;

/* the block layer's event handler (ipmem_clt_init()) */
static void (*ipmem_clt_event)(struct ipmem_lender *l,
			       enum ipmem_clt_event ev);

/*
 * Lenders whose last reference went.  They are destroyed by a work item,
 * without ipmem_clt_lock: destroying waits for their works, which take it.
 */
static LIST_HEAD(ipmem_dead_lenders);	/* clt_lock */
static void ipmem_lender_reap(struct work_struct *work);
static DECLARE_WORK(ipmem_reap_work, ipmem_lender_reap);

/* --------------------------------------------------------------- routes */

/* rdma_cm needs a scope for a link-local address; a route has none */
static bool ipmem_addr_is_usable(const struct in6_addr *a)
{
	return !ipv6_addr_any(a) && !ipv6_addr_is_multicast(a) &&
	       !ipv6_addr_loopback(a) &&
	       !(ipv6_addr_type(a) & IPV6_ADDR_LINKLOCAL);
}

int ipmem_route_add(const u8 *prefix, u8 plen, const struct in6_addr *nh,
		    u16 port, struct netlink_ext_ack *extack)
{
	struct ipmem_route *r;

	lockdep_assert_held(&ipmem_cfg_lock);

	if (!ipmem_host.set) {
		NL_SET_ERR_MSG(extack, "set the network prefix and host id first");
		return -EINVAL;
	}
	if (plen < IPMEM_NET_PLEN ||
	    !ipmem_addr_prefix_eq(prefix, ipmem_host.net, IPMEM_NET_PLEN)) {
		NL_SET_ERR_MSG(extack, "route prefix is outside the network prefix");
		return -EINVAL;
	}
	if (!ipmem_addr_bits_clear(prefix, plen)) {
		NL_SET_ERR_MSG(extack, "route prefix has bits set past its length");
		return -EINVAL;
	}
	if (!ipmem_addr_is_usable(nh)) {
		NL_SET_ERR_MSG(extack,
			       "next hop must be a global unicast address");
		return -EINVAL;
	}

	mutex_lock(&ipmem_clt_lock);
	list_for_each_entry(r, &ipmem_routes, node) {
		if (r->plen == plen && !memcmp(r->prefix, prefix, 16)) {
			mutex_unlock(&ipmem_clt_lock);
			NL_SET_ERR_MSG(extack, "that prefix is already routed");
			return -EEXIST;
		}
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r) {
		mutex_unlock(&ipmem_clt_lock);
		return -ENOMEM;
	}
	memcpy(r->prefix, prefix, 16);
	r->plen = plen;
	r->nexthop.sin6_family = AF_INET6;
	r->nexthop.sin6_addr = *nh;
	r->nexthop.sin6_port = htons(port);
	list_add_tail_rcu(&r->node, &ipmem_routes);
	mutex_unlock(&ipmem_clt_lock);
	return 0;
}

int ipmem_route_del(const u8 *prefix, u8 plen, struct netlink_ext_ack *extack)
{
	struct ipmem_route *r;

	lockdep_assert_held(&ipmem_cfg_lock);

	mutex_lock(&ipmem_clt_lock);
	list_for_each_entry(r, &ipmem_routes, node) {
		if (r->plen == plen && !memcmp(r->prefix, prefix, 16)) {
			list_del_rcu(&r->node);
			mutex_unlock(&ipmem_clt_lock);
			kfree_rcu(r, rcu);
			return 0;
		}
	}
	mutex_unlock(&ipmem_clt_lock);
	NL_SET_ERR_MSG(extack, "no such route");
	return -ENOENT;
}

/* Longest prefix match; the caller holds ipmem_clt_lock. */
static struct ipmem_route *ipmem_route_lookup(const u8 *addr)
{
	struct ipmem_route *r, *best = NULL;

	lockdep_assert_held(&ipmem_clt_lock);

	list_for_each_entry(r, &ipmem_routes, node)
		if (ipmem_addr_prefix_eq(addr, r->prefix, r->plen) &&
		    (!best || r->plen > best->plen))
			best = r;
	return best;
}

/*
 * Without a route of ours, a lender is reached at its endpoint: the first
 * address of its /80 (an address of its RDMA interface, so a RoCEv2 GID),
 * at the default port, through the kernel's routing - a route to the /80
 * that ipmemd or the fabric installed.  Whether the kernel routes it at
 * all is asked here, so that a block nobody routes fails at once.
 */
static bool ipmem_endpoint(u32 host, struct sockaddr_in6 *ep)
{
	struct flowi6 fl6 = { };
	struct dst_entry *dst;
	bool routed;

	memset(ep, 0, sizeof(*ep));
	ep->sin6_family = AF_INET6;
	ep->sin6_port = htons(IPMEM_PORT);
	ipmem_addr_make(ep->sin6_addr.s6_addr, ipmem_host.net, host, 0);
	fl6.daddr = ep->sin6_addr;
	dst = ip6_route_output(&init_net, NULL, &fl6);
	routed = !dst->error;
	dst_release(dst);
	return routed;
}

int ipmem_route_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	long idx = 0, start = cb->args[0];
	struct ipmem_route *r;
	void *hdr;
	int ret = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(r, &ipmem_routes, node) {
		if (idx++ < start)
			continue;
		hdr = ipmem_nl_dump_hdr(skb, cb, IPMEM_CMD_ROUTE_GET);
		if (!hdr)
			goto full;
		if (ipmem_nl_put_addr(skb, IPMEM_A_PREFIX, r->prefix) ||
		    nla_put_u8(skb, IPMEM_A_PREFIX_LEN, r->plen) ||
		    ipmem_nl_put_addr(skb, IPMEM_A_NEXTHOP,
				      &r->nexthop.sin6_addr) ||
		    nla_put_u16(skb, IPMEM_A_PORT, ntohs(r->nexthop.sin6_port))) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
	}
	goto out;
full:
	idx--;
	ret = skb->len ? 0 : -EMSGSIZE;
out:
	rcu_read_unlock();
	cb->args[0] = idx;
	return ret ?: skb->len;
}

/* ---------------------------------------------------------- connections */

/*
 * The legal transitions:
 *
 *   CONNECTING   -> LIVE, DELETING
 *   LIVE         -> RECONNECTING, DELETING
 *   RECONNECTING -> LIVE, DELETING
 *   DELETING     -> (none: the end)
 */
static bool __ipmem_lender_change_state(struct ipmem_lender *l, int new)
{
	int old = l->state;
	bool ok;

	lockdep_assert_held(&l->state_lock);

	switch (new) {
	case IPMEM_CONN_LIVE:
		ok = old == IPMEM_CONN_CONNECTING ||
		     old == IPMEM_CONN_RECONNECTING;
		break;
	case IPMEM_CONN_RECONNECTING:
		ok = old == IPMEM_CONN_LIVE;
		if (ok)
			l->lost_at = jiffies;
		break;
	case IPMEM_CONN_DELETING:
		ok = old != IPMEM_CONN_DELETING;
		break;
	default:
		ok = false;
	}
	if (ok)
		WRITE_ONCE(l->state, new);
	return ok;
}

static bool ipmem_lender_change_state(struct ipmem_lender *l, int new)
{
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&l->state_lock, flags);
	ok = __ipmem_lender_change_state(l, new);
	spin_unlock_irqrestore(&l->state_lock, flags);
	return ok;
}

/*
 * Something broke on a queue of @l (any context): stop new I/O to it and
 * let the recovery work rebuild the queues.
 */
void ipmem_clt_error(struct ipmem_lender *l)
{
	bool lost = ipmem_lender_change_state(l, IPMEM_CONN_RECONNECTING);

	if (lost) {
		pr_warn("lender %04x:%04x at %pISpc lost; reconnecting, I/O waits up to %u s\n",
			l->host_id >> 16, l->host_id & 0xffff, &l->addr, ipmem_io_fail_tmo);
		atomic64_inc(&l->nr_errors);
		mod_delayed_work(ipmem_wq, &l->recover_work, 0);
		mod_delayed_work(ipmem_wq, &l->fail_work, ipmem_io_fail_tmo * HZ);
		queue_work(ipmem_wq, &l->lost_work);
	}
}

/* I/O waiting for @l may now fail: let it look again. */
static void ipmem_lender_fail_work(struct work_struct *work)
{
	struct ipmem_lender *l = container_of(to_delayed_work(work),
					      struct ipmem_lender, fail_work);

	ipmem_clt_event(l, IPMEM_CLT_EV_FAILED);
}

/* Is I/O to @l worth waiting for?  Called under rcu_read_lock(). */
bool ipmem_clt_waitable(struct ipmem_lender *l)
{
	int state = READ_ONCE(l->state);

	if (state == IPMEM_CONN_LIVE)
		return true;
	return state == IPMEM_CONN_RECONNECTING &&
	       time_before(jiffies, READ_ONCE(l->lost_at) +
			   ipmem_io_fail_tmo * HZ);
}

/* The control SEND ended: its buffer may be used again. */
static void ipmem_clt_ctl_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct ipmem_clt_conn *conn = cq->cq_context;
	struct ipmem_lender *l = conn->lender;

	if (unlikely(wc->status != IB_WC_SUCCESS) &&
	    wc->status != IB_WC_WR_FLUSH_ERR)
		ipmem_clt_error(l);
	l->tx_status = wc->status;
	complete(&l->tx_done);
}

static void ipmem_clt_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct ipmem_clt_conn *conn = cq->cq_context;
	struct ipmem_lender *l = conn->lender;
	struct ipmem_iu *iu = container_of(wc->wr_cqe, struct ipmem_iu, cqe);
	struct ipmem_msg *msg;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			ipmem_clt_error(l);
		return;
	}
	msg = ipmem_iu_recvd(cq, iu);
	if (wc->byte_len < sizeof(*msg)) {
		pr_warn_ratelimited("short message from lender %04x:%04x\n",
				    l->host_id >> 16, l->host_id & 0xffff);
	} else if (le16_to_cpu(msg->type) == IPMEM_MSG_KEY_REP ||
		   le16_to_cpu(msg->type) == IPMEM_MSG_PONG) {
		spin_lock(&l->state_lock);
		if (le32_to_cpu(msg->tag) == l->ctl_tag) {
			l->ctl_rep = *msg;
			l->ctl_status = 0;
			complete(&l->ctl_done);
		}
		spin_unlock(&l->state_lock);
	} else if (le16_to_cpu(msg->type) == IPMEM_MSG_REVOKE) {
		/*
		 * The keys of the revoked grant already fail at the lender;
		 * forget them so that nothing waits for them to come back.
		 */
		bool full;

		spin_lock(&l->state_lock);
		full = l->revoke_count == ARRAY_SIZE(l->revoked);
		if (!full) {
			l->revoked[l->revoke_count].first = le64_to_cpu(msg->block);
			l->revoked[l->revoke_count].count = le64_to_cpu(msg->count);
			l->revoke_count++;
		}
		spin_unlock(&l->state_lock);
		if (full)	/* reconnecting refetches every key: none is missed */
			ipmem_clt_error(l);
		else
			queue_work(ipmem_wq, &l->revoke_work);
	}
	if (ipmem_iu_post_recv(conn->qp, iu))
		ipmem_clt_error(l);
}

static int ipmem_clt_create_ib(struct ipmem_clt_conn *conn)
{
	struct ipmem_lender *l = conn->lender;
	struct ib_device *dev = conn->cm_id->device;
	struct ib_qp_init_attr attr = {};
	int sge, sge_rd, nr_send, i, ret;

	/*
	 * What one work request may carry on this device: a data operation
	 * with more pages is split (ipmem_clt_rw()), so the send queue must
	 * hold that many work requests per operation: one operation per copy
	 * of every request of a full hardware queue.
	 */
	sge = min3(IPMEM_MAX_SEGS, dev->attrs.max_send_sge, (int)ipmem_max_sge);
	sge = max(sge, 1);
	sge_rd = clamp(dev->attrs.max_sge_rd, 1, sge);
	nr_send = ipmem_queue_depth * IPMEM_MAX_REPLICAS *
		  DIV_ROUND_UP(IPMEM_MAX_SEGS, sge_rd) + 8;
	nr_send = min(nr_send, dev->attrs.max_qp_wr);

	if (l->dev && l->dev != dev)
		return -EXDEV;	/* all queues of a lender on one device */
	if (!l->pd) {
		l->pd = ib_alloc_pd(dev, 0);
		if (IS_ERR(l->pd)) {
			ret = PTR_ERR(l->pd);
			l->pd = NULL;
			return ret;
		}
		l->dev = dev;
	}

	conn->cq = ib_alloc_cq(dev, conn, nr_send + IPMEM_CLT_RX + 1,
			       conn->idx % dev->num_comp_vectors,
			       IB_POLL_SOFTIRQ);
	if (IS_ERR(conn->cq)) {
		ret = PTR_ERR(conn->cq);
		conn->cq = NULL;
		return ret;
	}
	attr.qp_context = conn;
	attr.send_cq = conn->cq;
	attr.recv_cq = conn->cq;
	attr.qp_type = IB_QPT_RC;
	attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	attr.cap.max_send_wr = nr_send;
	attr.cap.max_recv_wr = IPMEM_CLT_RX + 1;
	attr.cap.max_send_sge = sge;
	attr.cap.max_recv_sge = 1;
	ret = rdma_create_qp(conn->cm_id, l->pd, &attr);
	if (ret)
		return ret;
	conn->qp = conn->cm_id->qp;
	l->max_sge_wr = sge;
	l->max_sge_rd = sge_rd;

	if (conn->idx)
		return 0;
	for (i = 0; i < IPMEM_CLT_RX; i++) {
		conn->rx[i] = ipmem_iu_alloc(dev, DMA_FROM_DEVICE,
					     ipmem_clt_recv_done);
		if (!conn->rx[i])
			return -ENOMEM;
		ret = ipmem_iu_post_recv(conn->qp, conn->rx[i]);
		if (ret)
			return ret;
	}
	l->tx = ipmem_iu_alloc(dev, DMA_TO_DEVICE, ipmem_clt_ctl_done);
	return l->tx ? 0 : -ENOMEM;
}

static int ipmem_clt_route_resolved(struct ipmem_clt_conn *conn)
{
	struct ipmem_lender *l = conn->lender;
	struct ipmem_conn_req req = {
		.magic = cpu_to_le32(IPMEM_WIRE_MAGIC),
		.version = cpu_to_le16(IPMEM_WIRE_VERSION),
		.queue = cpu_to_le16(conn->idx),
		.host_id = cpu_to_le32(ipmem_host.host_id),
		.nr_queues = cpu_to_le16(l->nr_conns),
		.flags = cpu_to_le16(conn->auth),
	};
	struct rdma_conn_param param = {
		.private_data = &req,
		.private_data_len = sizeof(req),
		.responder_resources = 0,
		.retry_count = 6,	/* 7 would be "retry forever" */
		.rnr_retry_count = 7,
	};
	int ret;

	if (conn->auth == IPMEM_REQ_HELLO) {
		memcpy(req.nonce, conn->nonce_b, IPMEM_NONCE_LEN);
	} else if (conn->auth == IPMEM_REQ_PROOF) {
		memcpy(req.nonce, conn->challenge.nonce, IPMEM_NONCE_LEN);
		memcpy(req.proof, conn->proof, IPMEM_PROOF_LEN);
	}
	ret = ipmem_clt_create_ib(conn);
	if (ret)
		return ret;
	param.initiator_depth = min_t(u32, conn->cm_id->device->attrs.max_qp_init_rd_atom,
				      16);
	return rdma_connect_locked(conn->cm_id, &param);
}

static int ipmem_clt_established(struct ipmem_clt_conn *conn,
				 struct rdma_cm_event *ev)
{
	const struct ipmem_conn_rep *rep = ev->param.conn.private_data;

	if (ev->param.conn.private_data_len < sizeof(*rep) ||
	    le32_to_cpu(rep->magic) != IPMEM_WIRE_MAGIC)
		return -EPROTO;
	if (le16_to_cpu(rep->version) != IPMEM_WIRE_VERSION) {
		conn->peer_version = le16_to_cpu(rep->version);
		return -EPROTONOSUPPORT;
	}
	/* accepted before it proved who it is: not a lender we trust */
	if (conn->auth == IPMEM_REQ_HELLO)
		return -EKEYREJECTED;
	conn->rep = *rep;
	return 0;
}

static int ipmem_clt_rejected(struct ipmem_clt_conn *conn,
			      struct rdma_cm_event *ev)
{
	const struct ipmem_conn_rej *rej;
	u8 len = 0;

	rej = rdma_consumer_reject_data(conn->cm_id, ev, &len);
	if (rej && len >= offsetof(struct ipmem_conn_rej, nonce) &&
	    le32_to_cpu(rej->magic) == IPMEM_WIRE_MAGIC) {
		conn->rej_reason = le16_to_cpu(rej->reason);
		conn->peer_version = le16_to_cpu(rej->version);
	} else {
		conn->rej_reason = 0;
	}
	if (conn->rej_reason == IPMEM_REJ_VERSION)
		return -EPROTONOSUPPORT;
	if (conn->rej_reason == IPMEM_REJ_CHALLENGE &&
	    conn->auth == IPMEM_REQ_HELLO && len >= sizeof(*rej)) {
		conn->challenge = *rej;
		return -EAGAIN;
	}
	return -ECONNREFUSED;
}

static int ipmem_clt_cm_handler(struct rdma_cm_id *cm_id,
				struct rdma_cm_event *ev)
{
	struct ipmem_clt_conn *conn = cm_id->context;
	int err = 0;

	pr_debug("lender %pISpc queue %d: cm event %s (%d) status %d\n",
		 &conn->lender->addr, conn->idx, rdma_event_msg(ev->event),
		 ev->event, ev->status);

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		err = rdma_resolve_route(cm_id, ipmem_connect_tmo * 1000);
		if (!err)
			return 0;
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		err = ipmem_clt_route_resolved(conn);
		if (!err)
			return 0;
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		err = ipmem_clt_established(conn, ev);
		break;
	case RDMA_CM_EVENT_REJECTED:
		err = ipmem_clt_rejected(conn, ev);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		err = -EHOSTUNREACH;
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* queues are rebuilt by the recovery work (or ib_client) */
		ipmem_clt_error(conn->lender);
		return 0;
	default:
		return 0;
	}
	conn->cm_error = err;
	complete(&conn->cm_done);
	return 0;
}

static void ipmem_clt_conn_destroy(struct ipmem_clt_conn *conn)
{
	struct ipmem_lender *l = conn->lender;
	struct ib_device *dev;
	int i;

	if (!conn->cm_id)
		return;
	/*
	 * The id first, as nvme-rdma does: destroying it waits for a handler
	 * still running and stops new ones.  A connect that timed out may
	 * still see its ROUTE_RESOLVED handler create the CQ and QP; freed
	 * only after, they cannot outlive this (and the QP its PD, which
	 * rxe would wait 50 s for, then warn).  So the QP goes without the
	 * rdma_cm API.
	 */
	dev = conn->cm_id->device;
	rdma_destroy_id(conn->cm_id);
	conn->cm_id = NULL;
	if (conn->qp)
		ib_destroy_qp(conn->qp);
	if (conn->cq)
		ib_free_cq(conn->cq);
	for (i = 0; i < IPMEM_CLT_RX; i++) {
		ipmem_iu_free(dev, conn->rx[i]);
		conn->rx[i] = NULL;
	}
	if (!conn->idx && l->tx) {
		ipmem_iu_free(dev, l->tx);
		l->tx = NULL;
		l->tx_broken = false;
	}
	conn->qp = NULL;
	conn->cq = NULL;
}

/* Disconnect, drain and destroy every queue of @l, and its PD. */
static void ipmem_lender_destroy_queues(struct ipmem_lender *l)
{
	int i;

	for (i = 0; i < l->nr_conns; i++)
		if (l->conns[i].qp)
			rdma_disconnect(l->conns[i].cm_id);
	/* Outstanding work requests complete as flushed: I/O moves on. */
	for (i = 0; i < l->nr_conns; i++)
		if (l->conns[i].qp)
			ib_drain_qp(l->conns[i].qp);
	mutex_lock(&l->ctl_lock);
	for (i = 0; i < l->nr_conns; i++)
		ipmem_clt_conn_destroy(&l->conns[i]);
	if (l->pd) {
		ib_dealloc_pd(l->pd);
		l->pd = NULL;
	}
	l->dev = NULL;
	mutex_unlock(&l->ctl_lock);
}

/* Tear down every queue of @l; no I/O may be posted any more. */
static void ipmem_lender_teardown(struct ipmem_lender *l)
{
	/* Posters check the state under RCU: after this, none is left. */
	synchronize_rcu();
	ipmem_lender_destroy_queues(l);
}

static const char *ipmem_rej_name(int reason)
{
	switch (reason) {
	case IPMEM_REJ_BAD_REQUEST: return "malformed request";
	case IPMEM_REJ_VERSION: return "protocol version";
	case IPMEM_REJ_NO_POOL: return "it lends no pool";
	case IPMEM_REJ_NO_RESOURCES: return "no resources";
	case IPMEM_REJ_CHALLENGE:
		return "it wants this host to prove its id, and this host has no host key";
	case IPMEM_REJ_AUTH:
		return "authentication failed (the lender's log says why)";
	}
	return "not an ipmem lender";
}

static int ipmem_clt_conn_connect_once(struct ipmem_clt_conn *conn)
{
	struct ipmem_lender *l = conn->lender;
	unsigned long tmo = ipmem_connect_tmo * HZ;
	struct rdma_cm_id *id;
	int ret;

	init_completion(&conn->cm_done);
	conn->cm_error = -ETIMEDOUT;
	id = rdma_create_id(&init_net, ipmem_clt_cm_handler, conn, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	conn->cm_id = id;
	/*
	 * A lender that stops answering is lost after about 3 s: 6 retries
	 * of 4.096 us * 2^17 (0.5 s) each, by default.  Shorter, and a
	 * lender that is merely busy looks dead; on a device slower than
	 * that (rxe under emulation), each retry sends the whole window
	 * again while the first copy still waits in its queues.
	 */
	rdma_set_ack_timeout(id, READ_ONCE(ipmem_ack_timeout));

	ret = rdma_resolve_addr(id, NULL, (struct sockaddr *)&l->addr,
				ipmem_connect_tmo * 1000);
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&conn->cm_done, tmo))
		return -ETIMEDOUT;
	if (conn->cm_error == -ECONNREFUSED)
		pr_warn_ratelimited("lender %pISpc refused queue %d: %s\n",
				    &l->addr, conn->idx,
				    ipmem_rej_name(conn->rej_reason));
	else if (conn->cm_error == -EPROTONOSUPPORT)
		pr_warn_ratelimited("lender %pISpc speaks wire protocol %u, this host %u (ipmem %s): no connection; run the same ipmem release on both\n",
				    &l->addr, conn->peer_version,
				    IPMEM_WIRE_VERSION, IPMEM_VERSION);
	return conn->cm_error;
}

/*
 * Connect queue @conn of its lender.  If this host has a host key, the
 * lender first proves its id, then we prove ours (kernel/ipmem_auth.c):
 * nothing is sent to a lender that did not.  Without a key we connect
 * only if require_auth is off.
 */
static int ipmem_clt_conn_connect(struct ipmem_clt_conn *conn)
{
	struct ipmem_lender *l = conn->lender;
	int ret;

	conn->auth = 0;
	if (ipmem_auth_active()) {
		conn->auth = IPMEM_REQ_HELLO;
		get_random_bytes(conn->nonce_b, IPMEM_NONCE_LEN);
	} else if (ipmem_require_auth) {
		pr_warn_ratelimited("not connecting to lender %pISpc: this host has no host key (ipmemctl key set)\n",
				    &l->addr);
		return -ENOKEY;
	}
	ret = ipmem_clt_conn_connect_once(conn);
	if (ret != -EAGAIN)
		goto out;
	/* the lender's challenge: it proves its id, then we prove ours */
	ret = ipmem_auth_answer(l->expect_host, conn->idx, conn->nonce_b,
				&conn->challenge, conn->proof);
	if (ret) {
		atomic64_inc(&ipmem_auth_lender_failed);
		pr_warn_ratelimited("lender %pISpc did not prove that it is host %04x:%04x (%s): refused\n",
				    &l->addr, l->expect_host >> 16, l->expect_host & 0xffff,
				    ret == -ENOKEY ? "no key of that host is known" :
				    "its proof does not check");
		return ret;
	}
	/* the HELLO's id and queue pair go; the PROOF gets its own */
	ipmem_clt_conn_destroy(conn);
	conn->auth = IPMEM_REQ_PROOF;
	ret = ipmem_clt_conn_connect_once(conn);
out:
	if (ret == -EKEYREJECTED) {
		atomic64_inc(&ipmem_auth_lender_failed);
		pr_warn_ratelimited("lender %pISpc accepted without proving that it is host %04x:%04x: refused\n",
				    &l->addr, l->expect_host >> 16, l->expect_host & 0xffff);
	}
	return ret;
}

/* Connect every queue of @l and learn who it is. */
static int ipmem_lender_connect(struct ipmem_lender *l)
{
	struct ipmem_conn_rep *rep;
	int i, shift, ret;
	u32 block_size;

	for (i = 0; i < l->nr_conns; i++) {
		ret = ipmem_clt_conn_connect(&l->conns[i]);
		if (ret)
			goto out_teardown;
	}
	/*
	 * Geometry the data path computes with: only what a lender of ours
	 * could send, and on a reconnect what it sent before (a lender whose
	 * blocks changed size is not the one our copies are on).
	 */
	rep = &l->conns[0].rep;
	block_size = le32_to_cpu(rep->block_size);
	shift = ipmem_block_shift(block_size);
	if (shift < 0 || rep->seg_shift > IPMEM_SEG_SHIFT_MAX) {
		pr_warn_ratelimited("lender %pISpc replied with block size %u, segment shift %u: refused\n",
				    &l->addr, block_size, rep->seg_shift);
		ret = -EPROTO;
		goto out_teardown;
	}
	if (l->block_size && l->block_size != block_size) {
		pr_err("lender %pISpc has %u-byte blocks now, not %u\n",
		       &l->addr, block_size, l->block_size);
		ret = -EPROTO;
		goto out_teardown;
	}
	l->host_id = le32_to_cpu(rep->host_id);
	l->block_size = block_size;
	l->block_shift = shift;
	l->seg_shift = rep->seg_shift;
	l->cur_epoch = le64_to_cpu(rep->epoch);
	return 0;

out_teardown:
	/* the queues were never LIVE: no I/O was posted on them */
	ipmem_lender_destroy_queues(l);
	return ret;
}

/* -------------------------------------------------------------- control */

/*
 * One message on queue 0, and its reply if @want_reply.  Replies are
 * matched by tag, so a late reply to an abandoned request is ignored.
 * The send buffer is reused only once the NIC is done with it: every
 * message waits for its SEND to complete, a reply or not.  A SEND or a
 * reply that does not come in time means the queues are broken: the
 * lender is lost (its recovery drains the queues before the buffer is
 * touched again).
 */
static int ipmem_lender_ctl(struct ipmem_lender *l, struct ipmem_msg *msg,
			    bool want_reply)
{
	unsigned long tmo = ipmem_connect_tmo * HZ, flags;
	int ret;

	lockdep_assert_held(&l->ctl_lock);

	if (READ_ONCE(l->state) == IPMEM_CONN_DELETING || !l->tx ||
	    l->tx_broken)
		return -ENOTCONN;
	spin_lock_irqsave(&l->state_lock, flags);
	l->ctl_tag++;
	msg->tag = cpu_to_le32(l->ctl_tag);
	reinit_completion(&l->ctl_done);
	l->ctl_status = -ETIMEDOUT;
	spin_unlock_irqrestore(&l->state_lock, flags);

	l->tx->msg = *msg;
	l->tx->cqe.done = ipmem_clt_ctl_done;
	reinit_completion(&l->tx_done);
	ret = ipmem_iu_post_send(l->conns[0].qp, l->tx);
	if (ret) {
		ipmem_clt_error(l);
		return ret;
	}
	if (!wait_for_completion_timeout(&l->tx_done, tmo)) {
		/* still posted: nobody may touch the buffer before a drain */
		l->tx_broken = true;
		ipmem_clt_error(l);
		return -ETIMEDOUT;
	}
	if (l->tx_status != IB_WC_SUCCESS)
		return -EIO;
	if (!want_reply)
		return 0;
	if (!wait_for_completion_timeout(&l->ctl_done, tmo)) {
		ipmem_clt_error(l);
		return -ETIMEDOUT;
	}
	*msg = l->ctl_rep;
	return l->ctl_status;
}

/*
 * Publish @k over its range.  Ranges are aligned powers of two, so the
 * store is one multi-index entry: it either happens whole or, when the
 * xarray cannot get memory for it, not at all (and the old key stays).
 */
static int ipmem_key_store(struct ipmem_lender *l, struct ipmem_key *k)
{
	struct ipmem_key *old;
	int ret;

	lockdep_assert_held(&l->lock);

	old = xa_load(&l->keys, k->first);
	ret = xa_err(xa_store_range(&l->keys, k->first,
				    k->first + k->count - 1, k, GFP_KERNEL));
	if (ret)
		return ret;
	if (old && old != k)
		kfree_rcu(old, rcu);
	return 0;
}

/* Fetch the key of the segment holding @block; store it. */
static int ipmem_lender_fetch_one(struct ipmem_lender *l, u64 block,
				  struct ipmem_key **out)
{
	struct ipmem_msg msg = {
		.type = cpu_to_le16(IPMEM_MSG_KEY_REQ),
		.block = cpu_to_le64(block),
	};
	struct ipmem_key *k;
	u64 first, count;
	int ret;

	lockdep_assert_held(&l->lock);

	mutex_lock(&l->ctl_lock);
	ret = ipmem_lender_ctl(l, &msg, true);
	mutex_unlock(&l->ctl_lock);
	if (ret)
		return ret;

	switch (le16_to_cpu(msg.status)) {
	case IPMEM_MSG_OK:
		break;
	case IPMEM_MSG_NOT_GRANTED:
		return -EACCES;
	case IPMEM_MSG_NO_RESOURCES:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
	first = le64_to_cpu(msg.block);
	count = le64_to_cpu(msg.count);
	/*
	 * A lender that answers with another range, rights we do not know,
	 * or an address range that wraps, is broken: don't trust it.
	 */
	if (!count || !is_power_of_2(count) || first & (count - 1) ||
	    block < first || block - first >= count ||
	    count > 1ULL << l->seg_shift ||
	    (msg.rights != IPMEM_RIGHTS_RO && msg.rights != IPMEM_RIGHTS_RW) ||
	    le64_to_cpu(msg.iova) > U64_MAX - (count << l->block_shift)) {
		pr_warn_ratelimited("lender %04x:%04x answered with a bad segment\n",
				    l->host_id >> 16, l->host_id & 0xffff);
		return -EPROTO;
	}

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	k->first = first;
	k->count = count;
	k->iova = le64_to_cpu(msg.iova);
	k->rkey = le32_to_cpu(msg.rkey);
	k->rights = msg.rights;
	k->gen = le64_to_cpu(msg.gen);
	ret = ipmem_key_store(l, k);
	if (ret) {
		kfree(k);
		return ret;
	}
	if (out)
		*out = k;
	return 0;
}

/* A dead key in place of whatever was there: reads of it fail. */
static void ipmem_key_kill(struct ipmem_lender *l, u64 first, u64 count)
{
	struct ipmem_key *k, *old;

	lockdep_assert_held(&l->lock);

	old = xa_load(&l->keys, first);
	if (!old || old->dead)
		return;
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (k) {
		*k = *old;
		k->dead = true;
		if (!ipmem_key_store(l, k))
			return;
		kfree(k);
	}
	/* No memory for a marker: erasing (which needs none) also stops its use. */
	xa_store_range(&l->keys, old->first, old->first + old->count - 1, NULL,
		       GFP_KERNEL);
	kfree_rcu(old, rcu);
}

static struct ipmem_seg *ipmem_seg_find(struct ipmem_lender *l, u64 block)
{
	struct ipmem_seg *s;

	list_for_each_entry(s, &l->segs, node)
		if (block >= s->first && block < s->first + s->count)
			return s;
	return NULL;
}

static void ipmem_key_forget(struct ipmem_lender *l, struct ipmem_key *k)
{
	struct ipmem_msg msg = {
		.type = cpu_to_le16(IPMEM_MSG_UNMAP),
		.block = cpu_to_le64(k->first),
	};

	lockdep_assert_held(&l->lock);

	xa_store_range(&l->keys, k->first, k->first + k->count - 1, NULL,
		       GFP_KERNEL);
	if (READ_ONCE(l->state) == IPMEM_CONN_LIVE) {
		mutex_lock(&l->ctl_lock);
		ipmem_lender_ctl(l, &msg, false);
		mutex_unlock(&l->ctl_lock);
	}
	kfree_rcu(k, rcu);
}

/* Keys fetched for @first..@first+@count-1 that no segment uses go. */
static void ipmem_lender_drop_unused(struct ipmem_lender *l, u64 first,
				     u64 count)
{
	struct ipmem_key *k;
	u64 b;

	for (b = first; b < first + count; b = k->first + k->count) {
		k = xa_load(&l->keys, b);
		if (!k)
			return;
		if (!ipmem_seg_find(l, b))
			ipmem_key_forget(l, k);
	}
}

static void ipmem_lender_unuse(struct ipmem_lender *l, u64 first, u64 count);

/*
 * Fetch the key of every segment of @first..@first+@count-1 not yet known
 * (or known dead), and count the blocks as users of their segments.  On
 * failure nothing is counted.
 */
static int ipmem_lender_fetch_keys(struct ipmem_lender *l, u64 first,
				   u64 count, struct netlink_ext_ack *extack)
{
	struct ipmem_key *k;
	struct ipmem_seg *s;
	u64 b, n;
	int ret;

	lockdep_assert_held(&l->lock);

	if (READ_ONCE(l->state) != IPMEM_CONN_LIVE) {
		NL_SET_ERR_MSG(extack, "the lender is not connected");
		return -ENOTCONN;
	}
	for (b = first; b < first + count; b = k->first + k->count) {
		k = xa_load(&l->keys, b);
		if (k && !k->dead)
			continue;
		ret = ipmem_lender_fetch_one(l, b, &k);
		if (ret) {
			ipmem_lender_drop_unused(l, first, b - first);
			if (ret == -EACCES)
				NL_SET_ERR_MSG(extack,
					       "the lender has not granted these blocks to this host");
			else
				NL_SET_ERR_MSG(extack,
					       "the lender did not answer the key request");
			return ret;
		}
	}

	/* Everything is there: count the users. */
	for (b = first; b < first + count; b += n) {
		k = xa_load(&l->keys, b);
		n = min(count - (b - first), k->first + k->count - b);
		s = ipmem_seg_find(l, b);
		if (!s) {
			s = kzalloc(sizeof(*s), GFP_KERNEL);
			if (!s) {
				ipmem_lender_unuse(l, first, b - first);
				ipmem_lender_drop_unused(l, b, first + count - b);
				NL_SET_ERR_MSG(extack, "out of memory for the keys");
				return -ENOMEM;
			}
			s->first = k->first;
			s->count = k->count;
			list_add_tail(&s->node, &l->segs);
		}
		s->users += n;
	}
	return 0;
}

/*
 * Blocks @first..@first+@count-1 are no longer mapped; a segment left
 * without users is given back to the lender (UNMAP) and forgotten.
 */
static void ipmem_lender_unuse(struct ipmem_lender *l, u64 first, u64 count)
{
	struct ipmem_seg *s;
	struct ipmem_key *k;
	u64 b, n;

	lockdep_assert_held(&l->lock);

	for (b = first; b < first + count; b += n) {
		s = ipmem_seg_find(l, b);
		if (WARN_ON_ONCE(!s))
			return;
		n = min(count - (b - first), s->first + s->count - b);
		s->users -= n;
		if (s->users)
			continue;
		k = xa_load(&l->keys, s->first);
		if (k)
			ipmem_key_forget(l, k);
		list_del(&s->node);
		kfree(s);
	}
}

/**
 * ipmem_clt_map() - map blocks of a lender: their keys, for read-write
 * @l: the lender (ipmem_clt_get())
 * @first: first block
 * @count: number of blocks
 * @extack: where to say what is wrong
 *
 * Fetches the keys of the blocks not yet known, which must be writable (a
 * swap disk writes).  The lender stays while any of its blocks is mapped.
 *
 * Return: 0, or an error with nothing mapped.
 */
int ipmem_clt_map(struct ipmem_lender *l, u64 first, u64 count,
		  struct netlink_ext_ack *extack)
{
	struct ipmem_key *k;
	u64 b;
	int ret;

	mutex_lock(&l->lock);
	ret = ipmem_lender_fetch_keys(l, first, count, extack);
	if (ret)
		goto out_unlock;
	for (b = first; b < first + count; b = k->first + k->count) {
		k = xa_load(&l->keys, b);
		if (k->rights != IPMEM_RIGHTS_RW) {
			ipmem_lender_unuse(l, first, count);
			NL_SET_ERR_MSG(extack,
				       "the lender granted these blocks read-only; a swap disk needs read-write");
			ret = -EACCES;
			goto out_unlock;
		}
	}
	if (!l->nr_mapped)
		kref_get(&l->ref);	/* the mappings' */
	WRITE_ONCE(l->nr_mapped, l->nr_mapped + count);
out_unlock:
	mutex_unlock(&l->lock);
	return ret;
}

/**
 * ipmem_clt_unmap() - blocks of a lender are not mapped any more
 * @l: the lender
 * @first: first block
 * @count: number of blocks
 *
 * Segments without mapped blocks are given back to the lender; the
 * lender is disconnected when nothing of it is mapped any more (and no
 * one else holds it).
 */
void ipmem_clt_unmap(struct ipmem_lender *l, u64 first, u64 count)
{
	bool last;

	mutex_lock(&l->lock);
	ipmem_lender_unuse(l, first, count);
	WRITE_ONCE(l->nr_mapped, l->nr_mapped - count);
	last = !l->nr_mapped;
	mutex_unlock(&l->lock);
	if (last)
		ipmem_clt_put(l);
}

/* The grant generation of @block's key now; 0 if it has none or it died. */
u64 ipmem_clt_gen(struct ipmem_lender *l, u64 block)
{
	struct ipmem_key *k;
	u64 gen;

	rcu_read_lock();
	k = xa_load(&l->keys, block);
	gen = k && !k->dead ? k->gen : 0;
	rcu_read_unlock();
	return gen;
}

static void ipmem_lender_revoke_work(struct work_struct *work)
{
	struct ipmem_lender *l = container_of(work, struct ipmem_lender,
					      revoke_work);
	struct ipmem_seg *s;
	u64 first, count;
	bool in_use;

	unsigned int noio = memalloc_noio_save();

	mutex_lock(&l->lock);
	spin_lock_irq(&l->state_lock);
	while (l->revoke_count) {
		l->revoke_count--;
		first = l->revoked[l->revoke_count].first;
		count = l->revoked[l->revoke_count].count;
		spin_unlock_irq(&l->state_lock);
		in_use = false;
		list_for_each_entry(s, &l->segs, node) {
			if (s->first >= first && s->first < first + count) {
				ipmem_key_kill(l, s->first, s->count);
				in_use = true;
			}
		}
		/*
		 * A revoke of blocks nothing maps any more is the normal end
		 * of a release; only losing mapped blocks deserves a warning.
		 */
		if (in_use)
			pr_warn("lender %04x:%04x revoked blocks %llu-%llu still mapped here\n",
				l->host_id >> 16, l->host_id & 0xffff, first, first + count - 1);
		else
			pr_debug("lender %04x:%04x revoked released blocks %llu-%llu\n",
				 l->host_id >> 16, l->host_id & 0xffff, first, first + count - 1);
		spin_lock_irq(&l->state_lock);
	}
	spin_unlock_irq(&l->state_lock);
	mutex_unlock(&l->lock);
	memalloc_noio_restore(noio);
	ipmem_clt_event(l, IPMEM_CLT_EV_KEYS);
}

/* ------------------------------------------------------------- recovery */

/*
 * Refetch every key after a reconnect.  A key the lender refuses, or
 * answers for with another grant generation or range, dies: that memory
 * is not ours any more.  If the lender restarted (another pool epoch),
 * every key dies.  A transport error only aborts: the caller reconnects
 * and tries again, the keys as they were.
 */
static int ipmem_lender_refetch(struct ipmem_lender *l)
{
	struct ipmem_key *old, *k;
	struct ipmem_seg *s;
	int ret;

	lockdep_assert_held(&l->lock);

	list_for_each_entry(s, &l->segs, node) {
		old = xa_load(&l->keys, s->first);
		if (!old || old->dead)
			continue;
		if (l->cur_epoch != l->epoch) {
			ipmem_key_kill(l, s->first, s->count);
			continue;
		}
		k = NULL;
		ret = ipmem_lender_fetch_one(l, s->first, &k);
		if (ret && ret != -EACCES && ret != -EPROTO)
			return ret;
		/* on success @old was replaced (and is freed after a grace period) */
		if (ret || k->gen != old->gen || k->first != s->first ||
		    k->count != s->count) {
			pr_warn("lender %04x:%04x no longer holds blocks %llu-%llu for us\n",
				l->host_id >> 16, l->host_id & 0xffff, s->first,
				s->first + s->count - 1);
			ipmem_key_kill(l, s->first, s->count);
		}
	}
	return 0;
}

/* Why the queues to @l could not send now, or NULL (or no queues). */
static const char *ipmem_lender_no_path(struct ipmem_lender *l)
{
	const char *why = NULL;
	struct rdma_cm_id *id;

	mutex_lock(&l->ctl_lock);	/* the queues stay while we look */
	id = l->conns[0].cm_id;
	if (l->dev && id)
		why = ipmem_cm_no_path(id);
	mutex_unlock(&l->ctl_lock);
	return why;
}

/*
 * Rebuild the queues of a lost lender and refetch its keys.  Only this
 * lender's lock is taken: a slow lender delays nobody else's recovery.
 * No allocation here may recurse into reclaim and swap out to a disk
 * whose I/O waits for this very recovery.
 */
static void ipmem_lender_recover_work(struct work_struct *work)
{
	struct ipmem_lender *l = container_of(to_delayed_work(work),
					      struct ipmem_lender,
					      recover_work);
	unsigned int noio;
	const char *why;
	int ret;

	if (READ_ONCE(l->state) != IPMEM_CONN_RECONNECTING)
		return;
	/*
	 * Our own port is down (the link of the RDMA device's netdev), or the
	 * kernel no longer routes the lender's address (its route withdrawn):
	 * wait for that before tearing the queues down.  Nothing can connect
	 * before anyway, the queues in error flush what is outstanding by
	 * themselves, and the teardown sends rdma_cm's DREQ, which Soft-RoCE
	 * (rxe, 6.1) cannot send then: it puts its GSI QP in the error state
	 * for good, and no connection on that device would ever work again.
	 */
	why = ipmem_lender_no_path(l);
	if (why) {
		pr_debug("lender %04x:%04x at %pISpc: %s, waiting\n",
			 l->host_id >> 16, l->host_id & 0xffff, &l->addr, why);
		mod_delayed_work(ipmem_wq, &l->recover_work,
				 IPMEM_RECONNECT_DELAY);
		return;
	}

	noio = memalloc_noio_save();
	ipmem_lender_teardown(l);
	ret = ipmem_lender_connect(l);
	if (!ret && l->host_id != l->expect_host) {
		pr_err("lender at %pISpc is now host %04x:%04x, not %04x:%04x\n",
		       &l->addr, l->host_id >> 16, l->host_id & 0xffff,
		       l->expect_host >> 16, l->expect_host & 0xffff);
		ret = -EPROTO;
	}
	if (!ret) {
		/*
		 * The keys first, while I/O still waits: nothing may go out
		 * with a key that the lender no longer honours.
		 */
		mutex_lock(&l->lock);
		if (l->cur_epoch != l->epoch)
			pr_err("lender %04x:%04x restarted: the data it held for us is lost\n",
			       l->host_id >> 16, l->host_id & 0xffff);
		ret = ipmem_lender_refetch(l);
		if (!ret)
			l->epoch = l->cur_epoch;
		mutex_unlock(&l->lock);
	}
	if (ret) {
		pr_debug("reconnecting to %pISpc failed: %d\n", &l->addr, ret);
		/* the path gone again: the next run waits for it, then this */
		if (!ipmem_lender_no_path(l))
			ipmem_lender_teardown(l);
		if (READ_ONCE(l->state) == IPMEM_CONN_RECONNECTING)
			mod_delayed_work(ipmem_wq, &l->recover_work,
					 IPMEM_RECONNECT_DELAY);
		goto out;
	}

	if (!ipmem_lender_change_state(l, IPMEM_CONN_LIVE))
		goto out;	/* being deleted */
	atomic64_inc(&l->nr_reconnects);
	cancel_delayed_work(&l->fail_work);
	pr_info("lender %04x:%04x at %pISpc is back\n",
		l->host_id >> 16, l->host_id & 0xffff, &l->addr);
	ipmem_clt_event(l, IPMEM_CLT_EV_LIVE);
	ipmem_nl_notify_lender(l);
	mod_delayed_work(ipmem_wq, &l->ping_work, IPMEM_PING_INTERVAL);
out:
	memalloc_noio_restore(noio);
}

/*
 * An idle lender's death shows only at the next I/O; a PING every few
 * seconds finds it before, and the disk's state says so.
 */
static void ipmem_lender_ping_work(struct work_struct *work)
{
	struct ipmem_lender *l = container_of(to_delayed_work(work),
					      struct ipmem_lender, ping_work);
	struct ipmem_msg msg = { .type = cpu_to_le16(IPMEM_MSG_PING) };
	unsigned int noio;
	int ret;

	if (READ_ONCE(l->state) != IPMEM_CONN_LIVE)
		return;		/* recovery starts pinging again */
	noio = memalloc_noio_save();
	mutex_lock(&l->ctl_lock);
	ret = ipmem_lender_ctl(l, &msg, true);
	mutex_unlock(&l->ctl_lock);
	memalloc_noio_restore(noio);
	if (ret) {
		pr_debug("lender %04x:%04x did not answer a ping: %d\n",
			 l->host_id >> 16, l->host_id & 0xffff, ret);
		ipmem_clt_error(l);
		return;
	}
	mod_delayed_work(ipmem_wq, &l->ping_work, IPMEM_PING_INTERVAL);
}

/* Tell userspace, from process context, that @l was lost. */
static void ipmem_lender_lost_work(struct work_struct *work)
{
	struct ipmem_lender *l = container_of(work, struct ipmem_lender,
					      lost_work);

	ipmem_nl_notify_lender(l);
}

/* --------------------------------------------------------------- lenders */

static void ipmem_lender_free(struct ipmem_lender *l)
{
	kfree(l->conns);
	kfree(l);
}

static struct ipmem_lender *ipmem_lender_alloc(const struct sockaddr_in6 *addr,
					       u32 host)
{
	struct ipmem_lender *l;
	int i;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return NULL;
	l->nr_conns = ipmem_nr_queues;
	l->conns = kcalloc(l->nr_conns, sizeof(*l->conns), GFP_KERNEL);
	if (!l->conns) {
		kfree(l);
		return NULL;
	}
	for (i = 0; i < l->nr_conns; i++) {
		l->conns[i].lender = l;
		l->conns[i].idx = i;
	}
	kref_init(&l->ref);
	l->addr = *addr;
	l->expect_host = host;
	l->state = IPMEM_CONN_CONNECTING;
	xa_init(&l->keys);
	INIT_LIST_HEAD(&l->segs);
	mutex_init(&l->lock);
	mutex_init(&l->ctl_lock);
	init_completion(&l->ctl_done);
	init_completion(&l->tx_done);
	spin_lock_init(&l->state_lock);
	INIT_DELAYED_WORK(&l->recover_work, ipmem_lender_recover_work);
	INIT_DELAYED_WORK(&l->fail_work, ipmem_lender_fail_work);
	INIT_WORK(&l->revoke_work, ipmem_lender_revoke_work);
	INIT_DELAYED_WORK(&l->ping_work, ipmem_lender_ping_work);
	INIT_WORK(&l->lost_work, ipmem_lender_lost_work);
	return l;
}

/* Stop @l for good: no queue, no work, no key. */
static void ipmem_lender_destroy(struct ipmem_lender *l)
{
	struct ipmem_seg *s, *tmp;
	struct ipmem_key *k;
	unsigned long idx;

	/*
	 * DELETING: no work queues itself or another any more, and nothing
	 * new is posted.  The works that use the queues go first, then the
	 * queues (after the drain no completion, so no REVOKE, can queue
	 * anything), then the works that completions queue.
	 */
	ipmem_lender_change_state(l, IPMEM_CONN_DELETING);
	cancel_delayed_work_sync(&l->recover_work);
	cancel_delayed_work_sync(&l->ping_work);
	ipmem_lender_teardown(l);
	cancel_delayed_work_sync(&l->fail_work);
	cancel_work_sync(&l->revoke_work);
	cancel_work_sync(&l->lost_work);

	list_for_each_entry_safe(s, tmp, &l->segs, node) {
		list_del(&s->node);
		kfree(s);
	}
	xa_for_each(&l->keys, idx, k) {
		xa_store_range(&l->keys, k->first, k->first + k->count - 1,
			       NULL, GFP_KERNEL);
		kfree_rcu(k, rcu);
	}
	xa_destroy(&l->keys);
	/* RCU readers may still look at @l itself */
	synchronize_rcu();
	ipmem_lender_free(l);
}

/**
 * ipmem_clt_get() - the lender that holds a block, connected
 * @block_addr: the block's address
 * @block_size: the block size the caller needs
 * @extack: where to say what is wrong
 *
 * Looks the block up in the route table, and finds or connects the lender
 * at the next hop; without a route there and with a host key, the
 * lender's endpoint in its /80, if the kernel routes it (ipmem_endpoint()).
 * The lender must say it is the host the address names and have blocks of
 * @block_size.
 * Connecting happens without any global lock (ipmem_cfg_lock, which the
 * caller holds, serialises creation).
 *
 * Return: the lender with a reference (ipmem_clt_put()), or an ERR_PTR().
 */
struct ipmem_lender *ipmem_clt_get(const u8 *block_addr, u32 block_size,
				   struct netlink_ext_ack *extack)
{
	u32 host = ipmem_addr_host(block_addr);
	struct sockaddr_in6 nh;
	struct ipmem_route *r;
	struct ipmem_lender *l;
	int ret;

	lockdep_assert_held(&ipmem_cfg_lock);

	mutex_lock(&ipmem_clt_lock);
	r = ipmem_route_lookup(block_addr);
	if (r)
		nh = r->nexthop;
	mutex_unlock(&ipmem_clt_lock);
	/*
	 * Whatever answers at a kernel route (a default route, say) is
	 * believed only because it proves the host id the block address
	 * names; without a host key nothing is proven, so only a route
	 * root gave us explicitly leads to a lender.
	 */
	if (!r && !ipmem_auth_active()) {
		NL_SET_ERR_MSG(extack,
			       "no ipmemctl route to the lender of these blocks (without a host key, kernel routes are not used)");
		return ERR_PTR(-EHOSTUNREACH);
	}
	if (!r && !ipmem_endpoint(host, &nh)) {
		NL_SET_ERR_MSG(extack,
			       "no route to the lender of these blocks (neither ipmemctl route nor a kernel route to its /80)");
		return ERR_PTR(-EHOSTUNREACH);
	}

	mutex_lock(&ipmem_clt_lock);
	list_for_each_entry(l, &ipmem_lenders, node) {
		if (ipv6_addr_equal(&l->addr.sin6_addr, &nh.sin6_addr) &&
		    l->addr.sin6_port == nh.sin6_port) {
			kref_get(&l->ref);
			mutex_unlock(&ipmem_clt_lock);
			goto found;
		}
	}
	mutex_unlock(&ipmem_clt_lock);

	if (ipmem_require_auth && !ipmem_auth_active()) {
		NL_SET_ERR_MSG(extack,
			       "this host has no host key (ipmemctl key set): it connects to no lender without one");
		return ERR_PTR(-ENOKEY);
	}
	l = ipmem_lender_alloc(&nh, host);
	if (!l)
		return ERR_PTR(-ENOMEM);
	ret = ipmem_lender_connect(l);
	if (ret) {
		switch (ret) {
		case -ECONNREFUSED:
			NL_SET_ERR_MSG(extack,
				       "the lender refused the connection (see the kernel log)");
			break;
		case -ETIMEDOUT:
			NL_SET_ERR_MSG(extack, "connecting to the lender timed out");
			break;
		case -EXDEV:
			NL_SET_ERR_MSG(extack,
				       "the lender's queues resolved to different RDMA devices");
			break;
		case -EPROTO:
			NL_SET_ERR_MSG(extack,
				       "the lender answered with a connection reply ipmem cannot use (see the kernel log)");
			break;
		case -EPROTONOSUPPORT:
			NL_SET_ERR_MSG(extack,
				       "the lender speaks another version of the wire protocol: run the same ipmem release on both (the kernel log names both versions)");
			break;
		case -EKEYREJECTED:
			NL_SET_ERR_MSG(extack,
				       "the lender did not prove the host id its prefixes name: nothing sent to it (see the kernel log)");
			break;
		case -ENOKEY:
			NL_SET_ERR_MSG(extack,
				       "no key of the lender's host id is known (ipmemctl host-key add)");
			break;
		default:
			NL_SET_ERR_MSG(extack, "cannot reach the lender over RDMA");
		}
		ipmem_lender_free(l);
		return ERR_PTR(ret);
	}
	if (l->host_id != host) {
		pr_info("lender at %pISpc is host %04x:%04x, the prefix names %04x:%04x\n",
			&nh, l->host_id >> 16, l->host_id & 0xffff, host >> 16, host & 0xffff);
		NL_SET_ERR_MSG(extack,
			       "the lender at the next hop has another host id than the prefix");
		ipmem_lender_destroy(l);
		return ERR_PTR(-EINVAL);
	}
	l->epoch = l->cur_epoch;
	ipmem_lender_change_state(l, IPMEM_CONN_LIVE);
	mutex_lock(&ipmem_clt_lock);
	list_add_tail(&l->node, &ipmem_lenders);
	mutex_unlock(&ipmem_clt_lock);
	pr_info("connected to lender %04x:%04x at %pISpc (%d queues)\n",
		l->host_id >> 16, l->host_id & 0xffff, &l->addr, l->nr_conns);
	ipmem_nl_notify_lender(l);
	mod_delayed_work(ipmem_wq, &l->ping_work, IPMEM_PING_INTERVAL);

found:
	ret = -EINVAL;
	if (l->expect_host != host) {
		NL_SET_ERR_MSG(extack,
			       "the lender at the next hop has another host id than the prefix");
		goto out_put;
	}
	if (l->block_size != block_size) {
		pr_info("lender %04x:%04x has %u-byte blocks, the disk %u-byte extents\n",
			l->host_id >> 16, l->host_id & 0xffff, l->block_size, block_size);
		NL_SET_ERR_MSG(extack,
			       "the lender's block size differs from the disk's");
		goto out_put;
	}
	return l;

out_put:
	ipmem_clt_put(l);
	return ERR_PTR(ret);
}

/*
 * Wait until the lenders let go of so far are torn down, their DREQs
 * sent.  DISK_DEL and MAP_DEL return only then: whoever unmapped the last
 * blocks of a lender may delete its route to it next (ipmemd does), and
 * Soft-RoCE cannot send a DREQ that has no route - its GSI QP would stay
 * in the error state, and no connection on that device work again.  A
 * reconnect of the lender in progress is waited for (connect_tmo per
 * step), as POOL_DEL waits for the lender's works.  A lender someone
 * else holds for a moment (debugfs) goes when they let go, later.
 */
void ipmem_clt_reap_sync(void)
{
	flush_work(&ipmem_reap_work);
}

/* The last reference went; called with ipmem_clt_lock held, drops it. */
static void ipmem_lender_release(struct kref *ref)
	__releases(&ipmem_clt_lock)
{
	struct ipmem_lender *l = container_of(ref, struct ipmem_lender, ref);

	/* No I/O from now on; the queues go in the reaper. */
	ipmem_lender_change_state(l, IPMEM_CONN_DELETING);
	list_move_tail(&l->node, &ipmem_dead_lenders);
	queue_work(ipmem_wq, &ipmem_reap_work);
	mutex_unlock(&ipmem_clt_lock);
}

static void ipmem_lender_reap(struct work_struct *work)
{
	struct ipmem_lender *l, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&ipmem_clt_lock);
	list_splice_init(&ipmem_dead_lenders, &dead);
	mutex_unlock(&ipmem_clt_lock);

	list_for_each_entry_safe(l, tmp, &dead, node) {
		pr_info("disconnecting from lender %04x:%04x at %pISpc\n",
			l->host_id >> 16, l->host_id & 0xffff, &l->addr);
		list_del(&l->node);
		ipmem_nl_notify_lender(l);	/* state DELETING */
		ipmem_lender_destroy(l);
	}
}

/*
 * Drop a reference; the last one disconnects.  Not with ipmem_clt_lock or
 * the lender's lock held: the last one takes ipmem_clt_lock.
 */
void ipmem_clt_put(struct ipmem_lender *l)
{
	kref_put_mutex(&l->ref, ipmem_lender_release, &ipmem_clt_lock);
}

/*
 * Post a data operation on queue @queue.  Not with interrupts disabled.
 *
 * Posted with bottom halves disabled: a provider that does its work in
 * softirq context (rxe's tasklets, a NIC's NAPI poll) then runs it as
 * soon as bottom halves are enabled again, here on this CPU, instead of
 * waking ksoftirqd for it.  In loopback a whole RDMA READ, completion
 * included, can end before this returns.
 */
static int ipmem_clt_post(struct ipmem_lender *l, unsigned int queue,
			  const struct ib_send_wr *wr,
			  const struct ib_send_wr **bad_wr)
{
	int ret;

	local_bh_disable();
	ret = ib_post_send(l->conns[queue % l->nr_conns].qp, wr, bad_wr);
	local_bh_enable();
	return ret;
}

/* ------------------------------------------------------------ data path */

/* The key of a copy if it may serve the operation; under RCU. */
static struct ipmem_key *ipmem_clt_copy_key(struct ipmem_lender *l, u64 block,
					    u64 gen, bool write)
{
	struct ipmem_key *k = xa_load(&l->keys, block);

	if (!k || k->dead || k->gen != gen ||
	    (write && k->rights != IPMEM_RIGHTS_RW))
		return NULL;
	return k;
}

/**
 * ipmem_clt_copy_state() - can a copy serve I/O now
 * @l: its lender
 * @block: its block
 * @gen: the grant generation it was mapped with
 * @write: for a write (a read-only key cannot take one)
 *
 * Under rcu_read_lock().
 */
enum ipmem_copy_state ipmem_clt_copy_state(struct ipmem_lender *l, u64 block,
					   u64 gen, bool write)
{
	if (!ipmem_clt_copy_key(l, block, gen, write))
		return IPMEM_COPY_LOST;
	return READ_ONCE(l->state) == IPMEM_CONN_LIVE ? IPMEM_COPY_OK :
							 IPMEM_COPY_AWAY;
}

/*
 * The device to DMA-map an operation's pages for: valid while the lender
 * is live, which the caller checks in the same RCU read-side section.
 */
struct ib_device *ipmem_clt_dma_device(struct ipmem_lender *l)
{
	return READ_ONCE(l->dev);
}

static void ipmem_clt_op_put(struct ipmem_clt_op *op)
{
	if (atomic_dec_and_test(&op->parts))
		op->done(op, op->status);
}

/*
 * A work request of an operation ended.  Failures other than flushes are
 * the transport's to handle (the lender is lost); the operation reports
 * the first failure of any kind.
 */
static void ipmem_clt_op_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct ipmem_clt_op *op = container_of(wc->wr_cqe, struct ipmem_clt_op,
					       cqe);

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		if (wc->status != IB_WC_WR_FLUSH_ERR) {
			pr_warn_ratelimited("lender %04x:%04x: RDMA %s failed: %s\n",
					    op->lender->host_id >> 16, op->lender->host_id & 0xffff,
					    wc->opcode == IB_WC_RDMA_WRITE ?
					    "WRITE" : "READ",
					    ib_wc_status_msg(wc->status));
			ipmem_clt_error(op->lender);
		}
		cmpxchg(&op->status, IB_WC_SUCCESS, wc->status);
	}
	ipmem_clt_op_put(op);
}

/**
 * ipmem_clt_rw() - read or write a copy with one-sided RDMA
 * @l: the copy's lender
 * @queue: the caller's queue (a hardware context, a CPU)
 * @block: the copy's block
 * @gen: the grant generation it was mapped with
 * @off: byte offset in the block
 * @sgl: the local pages, DMA-mapped for ipmem_clt_dma_device()
 * @nents: mapped entries, at most IPMEM_MAX_SEGS
 * @write: RDMA WRITE (else READ)
 * @op: completion; @op->done set by the caller
 *
 * Under rcu_read_lock().  The SGE limits of the lender's device (and the
 * max_sge module parameter) are checked here, in one place: more entries
 * than one work request may carry go out as a chain of work requests,
 * behind one doorbell, and @op->done runs once they have all ended.
 *
 * Return: 0 when posted (@op->done will run, maybe before this returns);
 * -ENOTCONN when the lender is not live, -ENOKEY when the copy's key is
 * not valid for this, or the provider's error when nothing could be
 * posted (@op->done will not run).
 */
int ipmem_clt_rw(struct ipmem_lender *l, unsigned int queue, u64 block,
		 u64 gen, u32 off, struct scatterlist *sgl, int nents,
		 bool write, struct ipmem_clt_op *op)
{
	int max = write ? l->max_sge_wr : l->max_sge_rd;
	struct ib_rdma_wr wr[IPMEM_MAX_SEGS];
	struct ib_sge sge[IPMEM_MAX_SEGS];
	const struct ib_send_wr *bad;
	struct scatterlist *sg;
	struct ipmem_key *k;
	int i, n = 0, posted, ret;
	u64 raddr;

	if (unlikely(READ_ONCE(l->state) != IPMEM_CONN_LIVE))
		return -ENOTCONN;
	k = ipmem_clt_copy_key(l, block, gen, write);
	if (unlikely(!k))
		return -ENOKEY;
	if (WARN_ON_ONCE(nents < 1 || nents > IPMEM_MAX_SEGS))
		return -EINVAL;

	raddr = k->iova + ((block - k->first) << l->block_shift) + off;
	for_each_sg(sgl, sg, nents, i) {
		sge[i].addr = sg_dma_address(sg);
		sge[i].length = sg_dma_len(sg);
		sge[i].lkey = l->pd->local_dma_lkey;
		if (i % max == 0) {
			memset(&wr[n], 0, sizeof(wr[n]));
			wr[n].wr.wr_cqe = &op->cqe;
			wr[n].wr.opcode = write ? IB_WR_RDMA_WRITE :
						  IB_WR_RDMA_READ;
			wr[n].wr.send_flags = IB_SEND_SIGNALED;
			wr[n].wr.sg_list = &sge[i];
			wr[n].remote_addr = raddr;
			wr[n].rkey = k->rkey;
			if (n)
				wr[n - 1].wr.next = &wr[n].wr;
			n++;
		}
		wr[n - 1].wr.num_sge++;
		raddr += sg_dma_len(sg);
	}

	op->cqe.done = ipmem_clt_op_done;
	op->status = IB_WC_SUCCESS;
	op->lender = l;
	/* one count per work request, and ours until all are posted */
	atomic_set(&op->parts, n + 1);
	/* a provider that fails without saying where posted nothing */
	bad = &wr[0].wr;
	ret = ipmem_clt_post(l, queue, &wr[0].wr, &bad);
	if (unlikely(ret)) {
		for (posted = 0; posted < n && bad != &wr[posted].wr; posted++)
			;
		if (!posted)
			return ret;
		/* part of it is out: it fails once that part has ended */
		pr_warn_ratelimited("lender %04x:%04x: posting failed: %d\n",
				    l->host_id >> 16, l->host_id & 0xffff, ret);
		op->status = IB_WC_LOC_QP_OP_ERR;
		atomic_sub(n - posted, &op->parts);
		ipmem_clt_error(l);
	}
	ipmem_clt_op_put(op);
	return 0;
}

u32 ipmem_clt_host_id(const struct ipmem_lender *l)
{
	return l->host_id;
}

const struct in6_addr *ipmem_clt_nexthop(const struct ipmem_lender *l)
{
	return &l->addr.sin6_addr;
}

/* The rights of @block's key now (0 if it has none); under RCU. */
u8 ipmem_clt_rights(struct ipmem_lender *l, u64 block)
{
	struct ipmem_key *k = xa_load(&l->keys, block);

	return k ? k->rights : 0;
}

int ipmem_lender_fill(struct sk_buff *skb, struct ipmem_lender *l)
{
	if (ipmem_nl_put_addr(skb, IPMEM_A_NEXTHOP, &l->addr.sin6_addr) ||
	    nla_put_u16(skb, IPMEM_A_PORT, ntohs(l->addr.sin6_port)) ||
	    nla_put_u32(skb, IPMEM_A_LENDER, l->host_id) ||
	    nla_put_u8(skb, IPMEM_A_CONN_STATE, READ_ONCE(l->state)) ||
	    nla_put_u64_64bit(skb, IPMEM_A_EPOCH, l->epoch, IPMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, IPMEM_A_BLOCK_COUNT, l->nr_mapped,
			      IPMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, IPMEM_A_LOSSES, atomic64_read(&l->nr_errors),
			      IPMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, IPMEM_A_RETURNS,
			      atomic64_read(&l->nr_reconnects), IPMEM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

int ipmem_lender_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	long idx = 0, start = cb->args[0];
	struct ipmem_lender *l;
	void *hdr;

	mutex_lock(&ipmem_clt_lock);
	list_for_each_entry(l, &ipmem_lenders, node) {
		if (idx++ < start)
			continue;
		hdr = ipmem_nl_dump_hdr(skb, cb, IPMEM_CMD_LENDER_GET);
		if (!hdr || ipmem_lender_fill(skb, l)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			idx--;
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&ipmem_clt_lock);
	cb->args[0] = idx;
	return skb->len;
}

/*
 * The lenders (on @dev, or all if NULL), each with a reference, in an
 * array the caller frees after putting them; so that each can be worked
 * on without the global lock.  *@n is how many; NULL when there is no
 * memory (or none).
 */
static struct ipmem_lender **ipmem_lenders_get(struct ib_device *dev,
					       unsigned int *n)
{
	struct ipmem_lender **all = NULL, *l;
	unsigned int max = 0;

	*n = 0;
	mutex_lock(&ipmem_clt_lock);
	list_for_each_entry(l, &ipmem_lenders, node)
		max++;
	if (max)
		all = kmalloc_array(max, sizeof(*all), GFP_KERNEL);
	list_for_each_entry(l, &ipmem_lenders, node) {
		if (!all || (dev && l->dev != dev))
			continue;
		kref_get(&l->ref);
		all[(*n)++] = l;
	}
	mutex_unlock(&ipmem_clt_lock);
	return all;
}

static void ipmem_lenders_put(struct ipmem_lender **all, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		ipmem_clt_put(all[i]);
	kfree(all);
}

/*
 * An RDMA device is going away: the queues of lenders on it go now (the
 * device waits for them); recovery reconnects later, on whatever device
 * then routes to the lender.
 */
void ipmem_clt_dev_remove(struct ib_device *dev)
{
	struct ipmem_lender **hit, *l;
	unsigned int i, n;

	hit = ipmem_lenders_get(dev, &n);
	for (i = 0; i < n; i++) {
		l = hit[i];
		ipmem_clt_error(l);
		/* the recovery work must not race with us on the queues */
		cancel_delayed_work_sync(&l->recover_work);
		ipmem_lender_teardown(l);
		if (READ_ONCE(l->state) == IPMEM_CONN_RECONNECTING)
			mod_delayed_work(ipmem_wq, &l->recover_work,
					 IPMEM_RECONNECT_DELAY);
	}
	ipmem_lenders_put(hit, n);
}

static const char *ipmem_rights_name(u8 rights)
{
	return rights == IPMEM_RIGHTS_RW ? "rw" : "ro";
}

/*
 * For debugfs.  Each lender's segments are read under its own lock, which
 * a key request may hold for a network round trip: not with the global
 * lock held, but with a reference taken under it.
 */
void ipmem_clt_show_lenders(struct seq_file *m)
{
	struct ipmem_lender **all, *l;
	struct ipmem_seg *s;
	struct ipmem_key *k;
	unsigned int i, n;

	all = ipmem_lenders_get(NULL, &n);
	for (i = 0; i < n; i++) {
		l = all[i];
		mutex_lock(&l->lock);
		seq_printf(m, "lender %04x:%04x at %pISpc: %s, %d queues, epoch %016llx, %llu copies mapped, lost %lld times, back %lld times\n",
			   l->host_id >> 16, l->host_id & 0xffff, &l->addr,
			   ipmem_state_name(READ_ONCE(l->state)), l->nr_conns,
			   l->epoch, l->nr_mapped,
			   atomic64_read(&l->nr_errors),
			   atomic64_read(&l->nr_reconnects));
		list_for_each_entry(s, &l->segs, node) {
			k = xa_load(&l->keys, s->first);
			seq_printf(m, "  blocks %llu-%llu: %llu mapped",
				   s->first, s->first + s->count - 1, s->users);
			if (k)
				seq_printf(m, ", rkey %08x iova %llx %s gen %016llx%s",
					   k->rkey, k->iova,
					   ipmem_rights_name(k->rights), k->gen,
					   k->dead ? " DEAD" : "");
			seq_putc(m, '\n');
		}
		mutex_unlock(&l->lock);
	}
	ipmem_lenders_put(all, n);
}

/* @event: the block layer's handler of what changes here */
void ipmem_clt_init(void (*event)(struct ipmem_lender *l,
				  enum ipmem_clt_event ev))
{
	ipmem_clt_event = event;
	ipmem_nr_queues = min(num_online_cpus(), ipmem_max_queues);
}

/* Module unload: the disks are gone, so are the lenders' users. */
void ipmem_clt_exit(void)
{
	struct ipmem_route *r, *tmp;

	flush_work(&ipmem_reap_work);
	mutex_lock(&ipmem_clt_lock);
	WARN_ON(!list_empty(&ipmem_lenders));
	list_for_each_entry_safe(r, tmp, &ipmem_routes, node) {
		list_del_rcu(&r->node);
		kfree_rcu(r, rcu);
	}
	mutex_unlock(&ipmem_clt_lock);
	rcu_barrier();
}
