// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem lender: the rdma_cm listener, one session per borrower, and the
 * registration of granted blocks in that borrower's protection domain.
 *
 * A borrower connects with its host id in the private data.  All its
 * queues on one RDMA device share one session, and the session owns a
 * protection domain of its own.  Nothing is registered in it until the
 * borrower asks for the key of a block (KEY_REQ); the lender then checks
 * that a confirmed grant of that borrower holds the block, registers the
 * grant's segment around it (with remote write only for read-write
 * grants) and answers with the key.  Registrations go when the borrower
 * says it is done with them (UNMAP), when the grant is revoked, or with
 * the session.  The memory of other borrowers is never registered in a
 * borrower's PD, so no key it can guess names it.
 *
 * Locking: ipmem_lnd_lock protects sessions, their queue lists and their
 * registrations.  rdma_destroy_id() is never called with it held: the cm
 * handler takes it, and rdma_destroy_id() waits for running handlers.
 * Nothing waits for the network with it held: a queue's messages go out
 * from that queue's own work (@req_work), after the lock is dropped, and
 * every wait for a completion has a time-out after which the queue is
 * torn down.  A queue is on its session's list only once everything it
 * owns exists, and is torn down once (IPMEM_LND_CONN_TEARDOWN).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/scatterlist.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <rdma/ib_cm.h>

#include "ipmem.h"

#define IPMEM_LND_RX		8	/* receive buffers per queue */
#define IPMEM_LND_SQ		16	/* replies, registrations, drain */
#define IPMEM_LND_REVOKES	8	/* REVOKE notices waiting to be sent */
/*
 * Bounds on what one borrower holds (its registrations are bounded by
 * its grants, its requests by IPMEM_LND_RX per queue): queues, counting
 * those still being torn down after a reconnection, per session; and
 * sessions (each a PD) per pool, which without host keys is what bounds
 * borrowers that claim host ids at will.
 */
#define IPMEM_LND_MAX_CONNS	(2 * IPMEM_MAX_QUEUES)
#define IPMEM_LND_MAX_SESSIONS	1024
/*
 * How long a SEND or a registration may take before the queue is deemed
 * broken (a borrower that posts no receive, a stuck device): the RC
 * transport's own retries give up within a few seconds.
 */
#define IPMEM_LND_WR_TMO	(10 * HZ)

/**
 * struct ipmem_lnd_mr - a segment registered for a borrower
 * @node: in ipmem_lnd_sess.mrs
 * @first: first block
 * @count: blocks
 * @gen: generation of the grant it belongs to
 * @rights: enum ipmem_rights
 * @mr: the memory region
 * @sgt: its pages, DMA-mapped
 */
struct ipmem_lnd_mr {
	struct list_head node;
	u64 first;
	u64 count;
	u64 gen;
	u8 rights;
	struct ib_mr *mr;
	struct sg_table sgt;
};

/**
 * struct ipmem_lnd_conn - one queue of a borrower
 * @node: in ipmem_lnd_sess.conns
 * @sess: the session
 * @cm_id: its rdma_cm id
 * @cq: completion queue
 * @qp: queue pair, in the session's PD
 * @queue: the borrower's index for it; 0 carries control messages
 * @rx: receive buffers
 * @tx: the send buffer (one message at a time: requests are serialised
 *	by @req_work and by ipmem_lnd_lock)
 * @tx_done: the send completed
 * @reg_cqe: completion of a memory registration
 * @reg_done: the registration completed
 * @wr_status: status of the last send or registration
 * @req_lock: protects @reqs, @req_head, @req_tail, @revokes and
 *	@nr_revokes
 * @reqs: receive buffers holding requests that wait for @req_work, a
 *	ring; a buffer is posted again only once its request was taken, so
 *	a borrower that sends faster than we handle meets RNR flow control
 *	instead of a dropped message
 * @req_head: next free slot of @reqs (free-running)
 * @req_tail: next request to handle (free-running)
 * @revokes: REVOKE notices waiting for @req_work to send them
 * @nr_revokes: entries in @revokes
 * @req_work: handles requests and sends notices; the only user of @tx
 * @path_work: waits, without holding a worker, while the borrower has
 *	no path from us (unless IPMEM_LND_CONN_FORCE), then tears the queue
 *	down
 * @release_work: tears the queue down at once (the pool or device goes)
 * @flags: IPMEM_LND_CONN_*
 */
struct ipmem_lnd_conn {
	struct list_head node;
	struct ipmem_lnd_sess *sess;
	struct rdma_cm_id *cm_id;
	struct ib_cq *cq;
	struct ib_qp *qp;
	u16 queue;
	struct ipmem_iu *rx[IPMEM_LND_RX];
	struct ipmem_iu *tx;
	struct completion tx_done;
	struct ib_cqe reg_cqe;
	struct completion reg_done;
	int wr_status;
	spinlock_t req_lock;	/* @reqs, @req_head, @req_tail, @revokes */
	struct ipmem_iu *reqs[IPMEM_LND_RX];
	unsigned int req_head;
	unsigned int req_tail;
	struct {
		u64 first;
		u64 count;
	} revokes[IPMEM_LND_REVOKES];
	unsigned int nr_revokes;
	struct work_struct req_work;
	struct delayed_work path_work;
	struct work_struct release_work;
	unsigned long flags;
};

/* the queue is dead: nothing new is posted on it, and its teardown follows */
#define IPMEM_LND_CONN_RELEASING	0
/* tear it down now, even without a path to the borrower (pool or device goes) */
#define IPMEM_LND_CONN_FORCE		1
/*
 * Taken by whoever tears the queue down and frees it: @path_work,
 * @release_work (forced) or the cm handler (device removal); once.
 */
#define IPMEM_LND_CONN_TEARDOWN		2

static struct ipmem_lnd_conn *to_lnd_conn(struct ib_cq *cq)
{
	return cq->cq_context;
}

/* ---------------------------------------------------------- registration */

static void ipmem_lnd_mr_free(struct ipmem_lnd_sess *sess,
			      struct ipmem_lnd_mr *m)
{
	list_del(&m->node);
	sess->nr_registered -= m->count;
	/* Deregistering invalidates the rkey: remote access fails now. */
	ib_dereg_mr(m->mr);
	ib_dma_unmap_sg(sess->dev, m->sgt.sgl, m->sgt.orig_nents,
			DMA_BIDIRECTIONAL);
	sg_free_table(&m->sgt);
	kfree(m);
}

static void ipmem_lnd_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct ipmem_lnd_conn *conn = to_lnd_conn(cq);

	conn->wr_status = wc->status;
	complete(&conn->reg_done);
}

static void ipmem_lnd_queue_release(struct ipmem_lnd_conn *conn);

/*
 * Wait for the work request @done completes, for IPMEM_LND_WR_TMO at
 * most.  A time-out means the queue is broken: it is torn down (which
 * flushes the request, so its buffers are free once the teardown has
 * drained the queue), and nothing more is posted on it.
 */
static int ipmem_lnd_wait(struct ipmem_lnd_conn *conn, struct completion *done)
{
	if (!wait_for_completion_timeout(done, IPMEM_LND_WR_TMO)) {
		pr_warn_ratelimited("queue %u of host %04x:%04x stalled: disconnecting it\n",
				    conn->queue, conn->sess->borrower >> 16,
				    conn->sess->borrower & 0xffff);
		ipmem_lnd_queue_release(conn);
		return -ETIMEDOUT;
	}
	return conn->wr_status == IB_WC_SUCCESS ? 0 : -EIO;
}

/*
 * Register blocks @first..@first+@count-1 of the pool in the session's
 * PD through @conn's send queue, and wait for it.
 */
static struct ipmem_lnd_mr *ipmem_lnd_mr_reg(struct ipmem_lnd_conn *conn,
					     struct ipmem_grant *g, u64 first,
					     u64 count)
{
	struct ipmem_lnd_sess *sess = conn->sess;
	struct ipmem_pool *pool = ipmem_pool;
	struct ib_reg_wr wr = {};
	struct ipmem_lnd_mr *m;
	struct scatterlist *sg;
	int nents, n, ret;
	u64 i;

	lockdep_assert_held(&ipmem_lnd_lock);

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->first = first;
	m->count = count;
	m->gen = g->gen;
	m->rights = g->rights;

	ret = sg_alloc_table(&m->sgt, count, GFP_KERNEL);
	if (ret)
		goto out_free;
	for_each_sg(m->sgt.sgl, sg, count, i)
		sg_set_page(sg, pool->blocks[first + i], pool->block_size, 0);

	nents = ib_dma_map_sg(sess->dev, m->sgt.sgl, count, DMA_BIDIRECTIONAL);
	if (!nents) {
		ret = -EIO;
		goto out_free_table;
	}

	/*
	 * One page more than is registered: rxe in 6.1 (rxe_mr_copy()) reads
	 * the pointer to the next 256-page map after an access that ends a
	 * full map, past its array when that map is the last (KASAN reports
	 * it).  The spare page is allocated, never mapped or accessible.
	 */
	m->mr = ib_alloc_mr(sess->pd, IB_MR_TYPE_MEM_REG,
			    count * (pool->block_size / sess->page_size) + 1);
	if (IS_ERR(m->mr)) {
		ret = PTR_ERR(m->mr);
		goto out_unmap;
	}
	n = ib_map_mr_sg(m->mr, m->sgt.sgl, nents, NULL, sess->page_size);
	if (n != nents) {
		ret = n < 0 ? n : -EINVAL;
		goto out_dereg;
	}
	/*
	 * The borrower addresses the segment by its offset in the pool, not
	 * by where it is in our memory: no kernel address leaves this host.
	 * The offset is block aligned, so the page offset stays 0.
	 */
	m->mr->iova = first << pool->block_shift;
	/* A fresh key byte: an old key for this MR slot must not work. */
	ib_update_fast_reg_key(m->mr, ib_inc_rkey(m->mr->rkey));

	conn->reg_cqe.done = ipmem_lnd_reg_done;
	wr.wr.opcode = IB_WR_REG_MR;
	wr.wr.wr_cqe = &conn->reg_cqe;
	wr.wr.send_flags = IB_SEND_SIGNALED;
	wr.mr = m->mr;
	wr.key = m->mr->rkey;
	wr.access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_READ;
	if (g->rights == IPMEM_RIGHTS_RW)
		wr.access |= IB_ACCESS_REMOTE_WRITE;

	reinit_completion(&conn->reg_done);
	ret = ib_post_send(conn->qp, &wr.wr, NULL);
	if (ret)
		goto out_dereg;
	ret = ipmem_lnd_wait(conn, &conn->reg_done);
	if (ret)
		goto out_dereg;

	list_add_tail(&m->node, &sess->mrs);
	sess->nr_registered += count;
	return m;

out_dereg:
	ib_dereg_mr(m->mr);
out_unmap:
	ib_dma_unmap_sg(sess->dev, m->sgt.sgl, count, DMA_BIDIRECTIONAL);
out_free_table:
	sg_free_table(&m->sgt);
out_free:
	kfree(m);
	return ERR_PTR(ret);
}

static struct ipmem_lnd_mr *ipmem_lnd_mr_find(struct ipmem_lnd_sess *sess,
					      u64 block)
{
	struct ipmem_lnd_mr *m;

	list_for_each_entry(m, &sess->mrs, node)
		if (block >= m->first && block < m->first + m->count)
			return m;
	return NULL;
}

/* ------------------------------------------------------------- messages */

static void ipmem_lnd_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct ipmem_lnd_conn *conn = to_lnd_conn(cq);

	conn->wr_status = wc->status;
	complete(&conn->tx_done);
}

/* Send @conn->tx; from @req_work only, without ipmem_lnd_lock. */
static int ipmem_lnd_send(struct ipmem_lnd_conn *conn)
{
	int ret;

	if (test_bit(IPMEM_LND_CONN_RELEASING, &conn->flags))
		return -ENOTCONN;
	reinit_completion(&conn->tx_done);
	ret = ipmem_iu_post_send(conn->qp, conn->tx);
	if (ret) {
		ipmem_lnd_queue_release(conn);
		return ret;
	}
	return ipmem_lnd_wait(conn, &conn->tx_done);
}

/* KEY_REQ: find the borrower's grant, register its segment; the answer. */
static void ipmem_lnd_key_req(struct ipmem_lnd_conn *conn,
			      const struct ipmem_msg *req)
{
	struct ipmem_lnd_sess *sess = conn->sess;
	struct ipmem_msg *rep = &conn->tx->msg;
	u64 block = le64_to_cpu(req->block);
	struct ipmem_lnd_mr *m = NULL;
	struct ipmem_grant *g = NULL;
	unsigned int shift;
	u16 status;

	lockdep_assert_held(&ipmem_lnd_lock);

	if (ipmem_pool && block < ipmem_pool->nr_blocks)
		g = ipmem_grant_find(block);
	if (!g || g->borrower != sess->borrower ||
	    g->state != IPMEM_GRANT_CONFIRMED) {
		status = IPMEM_MSG_NOT_GRANTED;
		goto reply;
	}

	m = ipmem_lnd_mr_find(sess, block);
	if (m && m->gen != g->gen) {
		/* left over from a revoked grant: never hand it out */
		ipmem_lnd_mr_free(sess, m);
		m = NULL;
	}
	if (!m) {
		/* The segment: the grant cut at multiples of 2^seg_shift. */
		shift = min_t(unsigned int, sess->seg_shift, ilog2(g->count));
		m = ipmem_lnd_mr_reg(conn, g, round_down(block, 1ULL << shift),
				     1ULL << shift);
		if (IS_ERR(m)) {
			pr_warn_ratelimited("registering blocks for host %04x:%04x failed: %ld\n",
					    sess->borrower >> 16,
					    sess->borrower & 0xffff,
					    PTR_ERR(m));
			m = NULL;
			status = IPMEM_MSG_NO_RESOURCES;
			goto reply;
		}
	}
	status = IPMEM_MSG_OK;

reply:
	memset(rep, 0, sizeof(*rep));
	rep->type = cpu_to_le16(IPMEM_MSG_KEY_REP);
	rep->status = cpu_to_le16(status);
	rep->tag = req->tag;
	rep->block = req->block;
	if (m) {
		rep->block = cpu_to_le64(m->first);
		rep->count = cpu_to_le64(m->count);
		rep->iova = cpu_to_le64(m->mr->iova);
		rep->gen = cpu_to_le64(m->gen);
		rep->rkey = cpu_to_le32(m->mr->rkey);
		rep->rights = m->rights;
	}
}

static void ipmem_lnd_unmap(struct ipmem_lnd_conn *conn,
			    const struct ipmem_msg *req)
{
	struct ipmem_lnd_mr *m;

	m = ipmem_lnd_mr_find(conn->sess, le64_to_cpu(req->block));
	if (m)
		ipmem_lnd_mr_free(conn->sess, m);
}

/*
 * The next thing for @req_work to do: a REVOKE notice to send (first, so
 * that no key is handed out of a grant the borrower should already know
 * is gone), or a request.  False when there is none.
 */
static bool ipmem_lnd_next(struct ipmem_lnd_conn *conn, struct ipmem_msg *req,
			   struct ipmem_msg *notice, struct ipmem_iu **iu)
{
	bool any = true;

	*iu = NULL;
	spin_lock_bh(&conn->req_lock);
	if (conn->nr_revokes) {
		conn->nr_revokes--;
		memset(notice, 0, sizeof(*notice));
		notice->type = cpu_to_le16(IPMEM_MSG_REVOKE);
		notice->block = cpu_to_le64(conn->revokes[conn->nr_revokes].first);
		notice->count = cpu_to_le64(conn->revokes[conn->nr_revokes].count);
		req->type = 0;
	} else if (conn->req_head != conn->req_tail) {
		*iu = conn->reqs[conn->req_tail++ % IPMEM_LND_RX];
		*req = (*iu)->msg;
		notice->type = 0;
	} else {
		any = false;
	}
	spin_unlock_bh(&conn->req_lock);
	return any;
}

/*
 * A queue's requests and notices, one at a time: the answer (or notice)
 * is made under ipmem_lnd_lock and sent after it is dropped.
 */
static void ipmem_lnd_req_work(struct work_struct *work)
{
	struct ipmem_lnd_conn *conn = container_of(work, struct ipmem_lnd_conn,
						   req_work);
	struct ipmem_msg *out = &conn->tx->msg;
	struct ipmem_msg req, notice;
	struct ipmem_iu *iu;
	unsigned int noio;
	bool reply;

	/*
	 * A host may lend and swap at once (even to itself, in loopback):
	 * reclaim from an allocation here must not swap out to a disk whose
	 * I/O waits for this answer.
	 */
	noio = memalloc_noio_save();
	while (ipmem_lnd_next(conn, &req, &notice, &iu)) {
		mutex_lock(&ipmem_lnd_lock);
		/* checked under the lock: see ipmem_lnd_conn_teardown() */
		if (test_bit(IPMEM_LND_CONN_RELEASING, &conn->flags)) {
			mutex_unlock(&ipmem_lnd_lock);
			continue;
		}
		/* the request is copied out: its buffer may take the next */
		if (iu && ipmem_iu_post_recv(conn->qp, iu))
			ipmem_lnd_queue_release(conn);
		reply = true;
		switch (notice.type ? IPMEM_MSG_REVOKE : le16_to_cpu(req.type)) {
		case IPMEM_MSG_REVOKE:
			*out = notice;
			break;
		case IPMEM_MSG_KEY_REQ:
			ipmem_lnd_key_req(conn, &req);
			break;
		case IPMEM_MSG_UNMAP:
			ipmem_lnd_unmap(conn, &req);
			reply = false;
			break;
		case IPMEM_MSG_PING:
			memset(out, 0, sizeof(*out));
			out->type = cpu_to_le16(IPMEM_MSG_PONG);
			out->tag = req.tag;
			break;
		default:
			pr_warn_ratelimited("host %04x:%04x sent message type %u\n",
					    conn->sess->borrower >> 16,
					    conn->sess->borrower & 0xffff,
					    le16_to_cpu(req.type));
			reply = false;
		}
		mutex_unlock(&ipmem_lnd_lock);
		if (reply && ipmem_lnd_send(conn))
			pr_debug("message to host %04x:%04x not sent\n",
				 conn->sess->borrower >> 16, conn->sess->borrower & 0xffff);
	}
	memalloc_noio_restore(noio);
}

static void ipmem_lnd_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct ipmem_lnd_conn *conn = to_lnd_conn(cq);
	struct ipmem_iu *iu = container_of(wc->wr_cqe, struct ipmem_iu, cqe);
	struct ipmem_msg *msg;
	bool queued = false;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			ipmem_lnd_queue_release(conn);
		return;
	}
	msg = ipmem_iu_recvd(cq, iu);
	/*
	 * The ring has a slot for every receive buffer, so it cannot be
	 * full; the buffer is posted again when @req_work takes it.
	 */
	spin_lock_bh(&conn->req_lock);
	if (wc->byte_len >= sizeof(*msg) &&
	    !WARN_ON_ONCE(conn->req_head - conn->req_tail >= IPMEM_LND_RX)) {
		conn->reqs[conn->req_head++ % IPMEM_LND_RX] = iu;
		queued = true;
	}
	spin_unlock_bh(&conn->req_lock);
	if (queued) {
		queue_work(ipmem_wq, &conn->req_work);
		return;
	}
	pr_warn_ratelimited("dropped a short message from host %04x:%04x\n",
			    conn->sess->borrower >> 16, conn->sess->borrower & 0xffff);
	if (ipmem_iu_post_recv(conn->qp, iu))
		ipmem_lnd_queue_release(conn);
}

/* --------------------------------------------------------------- queues */

static void ipmem_lnd_sess_free(struct ipmem_lnd_sess *sess)
{
	struct ipmem_lnd_mr *m, *tmp;

	list_for_each_entry_safe(m, tmp, &sess->mrs, node)
		ipmem_lnd_mr_free(sess, m);
	ib_dealloc_pd(sess->pd);
	kfree(sess);
}

static struct ipmem_lnd_sess *ipmem_lnd_sess_get(struct ipmem_pool *pool,
						 u32 borrower,
						 struct rdma_cm_id *cm_id)
{
	struct ib_device *dev = cm_id->device;
	struct ipmem_lnd_sess *sess;
	unsigned int per_block, seg, fr, n = 0;

	lockdep_assert_held(&ipmem_lnd_lock);

	list_for_each_entry(sess, &pool->sessions, node) {
		if (sess->borrower == borrower && sess->dev == dev)
			return sess;
		n++;
	}
	if (n >= IPMEM_LND_MAX_SESSIONS) {
		pr_warn_ratelimited("refused host %04x:%04x: %u borrowers already connected\n",
				    borrower >> 16, borrower & 0xffff, n);
		return ERR_PTR(-EUSERS);
	}

	sess = kzalloc(sizeof(*sess), GFP_KERNEL);
	if (!sess)
		return ERR_PTR(-ENOMEM);
	sess->borrower = borrower;
	sess->dev = dev;
	INIT_LIST_HEAD(&sess->conns);
	INIT_LIST_HEAD(&sess->mrs);
	memcpy(&sess->peer, &cm_id->route.addr.dst_addr, sizeof(sess->peer));

	/* Register whole blocks as pages when the device can. */
	sess->page_size = dev->attrs.page_size_cap & pool->block_size ?
			  pool->block_size : PAGE_SIZE;
	per_block = pool->block_size / sess->page_size;
	/* less the spare page of ipmem_lnd_mr_reg() */
	fr = dev->attrs.max_fast_reg_page_list_len;
	seg = fr > per_block ? min_t(u32, (fr - 1) / per_block,
				     1U << IPMEM_SEG_SHIFT_MAX) : 0;
	if (!seg) {
		kfree(sess);
		return ERR_PTR(-EOPNOTSUPP);
	}
	sess->seg_shift = ilog2(seg);

	sess->pd = ib_alloc_pd(dev, 0);
	if (IS_ERR(sess->pd)) {
		long err = PTR_ERR(sess->pd);

		kfree(sess);
		return ERR_PTR(err);
	}
	list_add_tail(&sess->node, &pool->sessions);
	pr_info("host %04x:%04x connected from %pISc\n",
		borrower >> 16, borrower & 0xffff, &sess->peer);
	return sess;
}

static void ipmem_lnd_conn_free_ib(struct ipmem_lnd_conn *conn)
{
	struct ib_device *dev = conn->cm_id->device;
	int i;

	if (conn->qp)
		rdma_destroy_qp(conn->cm_id);
	if (conn->cq)
		ib_free_cq(conn->cq);
	for (i = 0; i < IPMEM_LND_RX; i++)
		ipmem_iu_free(dev, conn->rx[i]);
	ipmem_iu_free(dev, conn->tx);
}

/*
 * Tear down @conn but for its cm_id; unlink it, and free its session when
 * it was the last queue.  The caller destroys the cm_id (or makes the cm
 * destroy it).
 */
static void ipmem_lnd_conn_teardown(struct ipmem_lnd_conn *conn)
{
	struct ipmem_lnd_sess *sess = conn->sess;
	bool last, shrunk;

	/*
	 * RELEASING is set.  Whoever posts on the queue (@req_work, under
	 * ipmem_lnd_lock) checks it under the lock: once we have had the
	 * lock, nothing new is posted.  Then move the QP to error and drain
	 * it: what is outstanding flushes, and no completion (none can queue
	 * @req_work again) comes after the drain.  Only then stop the work.
	 */
	mutex_lock(&ipmem_lnd_lock);
	mutex_unlock(&ipmem_lnd_lock);
	rdma_disconnect(conn->cm_id);
	ib_drain_qp(conn->qp);
	cancel_work_sync(&conn->req_work);

	/*
	 * The QP (in the session's PD) goes while the queue is still on the
	 * session's list: the session, and its PD, go with the last queue
	 * to leave the list, so no queue torn down at the same time on
	 * another CPU may still be destroying its QP then.  (Whoever walks
	 * the list skips a queue that is RELEASING.)
	 */
	ipmem_lnd_conn_free_ib(conn);
	mutex_lock(&ipmem_lnd_lock);
	list_del(&conn->node);
	last = list_empty(&sess->conns);
	if (last) {
		list_del(&sess->node);
		/*
		 * Off the list, a revocation no longer finds its registrations
		 * until they are gone: blocks past a shrinking pool's end are
		 * not freed meanwhile (ipmem_pool_shrink_end()).
		 */
		ipmem_lnd_sessions_leaving++;
	}
	mutex_unlock(&ipmem_lnd_lock);

	if (last) {
		pr_info("host %04x:%04x disconnected\n",
			sess->borrower >> 16, sess->borrower & 0xffff);
		ipmem_lnd_sess_free(sess);
		mutex_lock(&ipmem_lnd_lock);
		ipmem_lnd_sessions_leaving--;
		shrunk = ipmem_pool && ipmem_pool_shrink_end(ipmem_pool);
		mutex_unlock(&ipmem_lnd_lock);
		if (shrunk)
			ipmem_nl_notify_pool();
	}
}

/* Tear @conn down and free it; the caller took IPMEM_LND_CONN_TEARDOWN. */
static void ipmem_lnd_conn_destroy(struct ipmem_lnd_conn *conn)
{
	ipmem_lnd_conn_teardown(conn);
	rdma_destroy_id(conn->cm_id);
	kfree(conn);
}

static void ipmem_lnd_release_work(struct work_struct *work)
{
	struct ipmem_lnd_conn *conn = container_of(work, struct ipmem_lnd_conn,
						   release_work);

	/* @path_work re-arms itself; after this it is neither queued nor runs */
	cancel_delayed_work_sync(&conn->path_work);
	ipmem_lnd_conn_destroy(conn);
}

static void ipmem_lnd_path_work(struct work_struct *work)
{
	struct ipmem_lnd_conn *conn = container_of(to_delayed_work(work),
						   struct ipmem_lnd_conn,
						   path_work);

	/*
	 * Not while our own port is down or the borrower's address has no
	 * route: teardown sends rdma_cm's DREQ, and Soft-RoCE (rxe, 6.1)
	 * puts its GSI QP in the error state for good when a packet cannot
	 * go out, after which it accepts no connection any more.  The queue
	 * is dead meanwhile (its work checks RELEASING); it goes when the
	 * path is back, or at once when the pool or the device goes (FORCE).
	 * Looked at again each second, holding no worker of ipmem_wq (which
	 * reclaim may need) in between.
	 */
	if (!test_bit(IPMEM_LND_CONN_FORCE, &conn->flags) &&
	    ipmem_cm_no_path(conn->cm_id)) {
		queue_delayed_work(ipmem_wq, &conn->path_work, HZ);
		return;
	}
	/*
	 * Here and not in @release_work: a flush_workqueue() that began
	 * while this runs waits for this teardown, not for work queued later.
	 */
	if (!test_and_set_bit(IPMEM_LND_CONN_TEARDOWN, &conn->flags))
		ipmem_lnd_conn_destroy(conn);
}

/* Never tear down in the completion or cm context: queue it. */
static void ipmem_lnd_queue_release(struct ipmem_lnd_conn *conn)
{
	if (!test_and_set_bit(IPMEM_LND_CONN_RELEASING, &conn->flags))
		queue_delayed_work(ipmem_wq, &conn->path_work, 0);
}

/*
 * The same, and without waiting for a path (the pool or device goes): the
 * caller's flush_workqueue() then waits for the teardown.
 */
static void ipmem_lnd_force_release(struct ipmem_lnd_conn *conn)
{
	set_bit(IPMEM_LND_CONN_FORCE, &conn->flags);
	set_bit(IPMEM_LND_CONN_RELEASING, &conn->flags);
	if (!test_and_set_bit(IPMEM_LND_CONN_TEARDOWN, &conn->flags))
		queue_work(ipmem_wq, &conn->release_work);
}

static int ipmem_lnd_conn_create_ib(struct ipmem_lnd_conn *conn)
{
	struct ib_device *dev = conn->cm_id->device;
	struct ib_qp_init_attr attr = {};
	int i, ret;

	conn->cq = ib_alloc_cq_any(dev, conn, IPMEM_LND_SQ + IPMEM_LND_RX + 2,
				   IB_POLL_WORKQUEUE);
	if (IS_ERR(conn->cq)) {
		ret = PTR_ERR(conn->cq);
		conn->cq = NULL;
		return ret;
	}

	attr.event_handler = NULL;
	attr.qp_context = conn;
	attr.send_cq = conn->cq;
	attr.recv_cq = conn->cq;
	attr.qp_type = IB_QPT_RC;
	attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	attr.cap.max_send_wr = IPMEM_LND_SQ;
	attr.cap.max_recv_wr = IPMEM_LND_RX + 1;
	attr.cap.max_send_sge = 1;
	attr.cap.max_recv_sge = 1;
	ret = rdma_create_qp(conn->cm_id, conn->sess->pd, &attr);
	if (ret)
		return ret;
	conn->qp = conn->cm_id->qp;

	conn->tx = ipmem_iu_alloc(dev, DMA_TO_DEVICE, ipmem_lnd_send_done);
	if (!conn->tx)
		return -ENOMEM;
	for (i = 0; i < IPMEM_LND_RX; i++) {
		conn->rx[i] = ipmem_iu_alloc(dev, DMA_FROM_DEVICE,
					     ipmem_lnd_recv_done);
		if (!conn->rx[i])
			return -ENOMEM;
		ret = ipmem_iu_post_recv(conn->qp, conn->rx[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int ipmem_lnd_reject(struct rdma_cm_id *cm_id, u16 reason)
{
	struct ipmem_conn_rej rej = {
		.magic = cpu_to_le32(IPMEM_WIRE_MAGIC),
		.version = cpu_to_le16(IPMEM_WIRE_VERSION),
		.reason = cpu_to_le16(reason),
	};

	rdma_reject(cm_id, &rej, sizeof(rej), IB_CM_REJ_CONSUMER_DEFINED);
	/* non-zero: the cm destroys the id */
	return -ECONNREFUSED;
}

/* The borrower's address, IPv4 as v4-mapped: what challenges are bound to. */
static void ipmem_lnd_src(struct rdma_cm_id *cm_id, struct in6_addr *src)
{
	struct sockaddr *sa = (struct sockaddr *)&cm_id->route.addr.dst_addr;

	if (sa->sa_family == AF_INET6)
		*src = ((struct sockaddr_in6 *)sa)->sin6_addr;
	else if (sa->sa_family == AF_INET)
		ipv6_addr_set_v4mapped(((struct sockaddr_in *)sa)->sin_addr.s_addr,
				       src);
	else
		*src = in6addr_any;
}

/*
 * A lender with a host key serves only borrowers that prove the host id
 * they claim (kernel/ipmem_auth.c): a HELLO gets a challenge, a PROOF
 * must answer one of ours, from the address we sent it to.  Nothing is
 * made for the borrower before.  Returns 0 to go on, or the rejection's
 * return.
 */
static int ipmem_lnd_authenticate(struct rdma_cm_id *cm_id,
				  const struct ipmem_conn_req *req)
{
	u16 flags = le16_to_cpu(req->flags), queue = le16_to_cpu(req->queue);
	u32 host = le32_to_cpu(req->host_id);
	struct ipmem_conn_rej rej = {
		.magic = cpu_to_le32(IPMEM_WIRE_MAGIC),
		.version = cpu_to_le16(IPMEM_WIRE_VERSION),
		.reason = cpu_to_le16(IPMEM_REJ_CHALLENGE),
	};
	struct in6_addr src;
	const char *why;
	u16 reason = IPMEM_REJ_AUTH;
	int ret;

	ipmem_lnd_src(cm_id, &src);
	if (!ipmem_auth_active()) {
		if (!ipmem_require_auth && !flags)
			return 0;
		why = ipmem_require_auth ?
		      "this lender has no host key yet (ipmemctl key set)" :
		      "it wants this lender, which has no host key, to prove its id";
	} else if (flags == IPMEM_REQ_HELLO) {
		ret = ipmem_auth_challenge(host, queue, &src, req->nonce, &rej);
		if (!ret) {
			rdma_reject(cm_id, &rej, sizeof(rej),
				    IB_CM_REJ_CONSUMER_DEFINED);
			return -ECONNREFUSED;
		}
		if (ret == -EBUSY) {
			why = "its address has as many challenges outstanding as it may";
			reason = IPMEM_REJ_NO_RESOURCES;
		} else {
			why = "no key is known for that host id";
		}
	} else if (flags == IPMEM_REQ_PROOF) {
		if (!ipmem_auth_check(host, queue, &src, req->nonce, req->proof))
			return 0;
		why = "its proof does not check (a wrong key, or a stale or replayed answer)";
	} else {
		why = "it did not authenticate";
	}
	atomic64_inc(&ipmem_auth_refused);
	pr_warn_ratelimited("refused host %04x:%04x from %pISc: %s\n", host >> 16, host & 0xffff,
			    &cm_id->route.addr.dst_addr, why);
	return ipmem_lnd_reject(cm_id, reason);
}

static int ipmem_lnd_connect(struct rdma_cm_id *cm_id,
			     struct rdma_cm_event *ev)
{
	const struct ipmem_conn_req *req = ev->param.conn.private_data;
	struct ipmem_conn_rep rep = {};
	struct rdma_conn_param param = {};
	struct ipmem_lnd_conn *conn, *old;
	struct ipmem_lnd_sess *sess;
	struct ipmem_pool *pool;
	int ret;

	if (ev->param.conn.private_data_len < sizeof(*req) ||
	    le32_to_cpu(req->magic) != IPMEM_WIRE_MAGIC) {
		pr_warn_ratelimited("malformed connection request from %pISc\n",
				    &cm_id->route.addr.dst_addr);
		return ipmem_lnd_reject(cm_id, IPMEM_REJ_BAD_REQUEST);
	}
	if (le16_to_cpu(req->version) != IPMEM_WIRE_VERSION) {
		pr_warn_ratelimited("%pISc speaks wire protocol %u, this host %u (ipmem %s): refused; run the same ipmem release on both\n",
				    &cm_id->route.addr.dst_addr,
				    le16_to_cpu(req->version), IPMEM_WIRE_VERSION,
				    IPMEM_VERSION);
		return ipmem_lnd_reject(cm_id, IPMEM_REJ_VERSION);
	}
	if (le16_to_cpu(req->nr_queues) < 1 ||
	    le16_to_cpu(req->nr_queues) > IPMEM_MAX_QUEUES ||
	    le16_to_cpu(req->queue) >= le16_to_cpu(req->nr_queues)) {
		pr_warn_ratelimited("connection request from %pISc with queue %u of %u\n",
				    &cm_id->route.addr.dst_addr,
				    le16_to_cpu(req->queue),
				    le16_to_cpu(req->nr_queues));
		return ipmem_lnd_reject(cm_id, IPMEM_REJ_BAD_REQUEST);
	}
	ret = ipmem_lnd_authenticate(cm_id, req);
	if (ret)
		return ret;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return ipmem_lnd_reject(cm_id, IPMEM_REJ_NO_RESOURCES);
	conn->cm_id = cm_id;
	conn->queue = le16_to_cpu(req->queue);
	init_completion(&conn->tx_done);
	init_completion(&conn->reg_done);
	spin_lock_init(&conn->req_lock);
	INIT_WORK(&conn->req_work, ipmem_lnd_req_work);
	INIT_DELAYED_WORK(&conn->path_work, ipmem_lnd_path_work);
	INIT_WORK(&conn->release_work, ipmem_lnd_release_work);

	/*
	 * Everything the queue owns is made before it goes on the session's
	 * list, under the lock (so that the session cannot go meanwhile):
	 * whoever finds it there (a revocation, a device removal, a queue
	 * replacing it) finds it whole.
	 */
	mutex_lock(&ipmem_lnd_lock);
	pool = ipmem_pool;
	if (!pool) {
		mutex_unlock(&ipmem_lnd_lock);
		kfree(conn);
		return ipmem_lnd_reject(cm_id, IPMEM_REJ_NO_POOL);
	}
	sess = ipmem_lnd_sess_get(pool, le32_to_cpu(req->host_id), cm_id);
	if (IS_ERR(sess)) {
		mutex_unlock(&ipmem_lnd_lock);
		kfree(conn);
		return ipmem_lnd_reject(cm_id, IPMEM_REJ_NO_RESOURCES);
	}
	conn->sess = sess;
	if (list_count_nodes(&sess->conns) >= IPMEM_LND_MAX_CONNS) {
		pr_warn_ratelimited("refused queue %u of host %04x:%04x: it has %u queues already\n",
				    conn->queue, sess->borrower >> 16, sess->borrower & 0xffff,
				    IPMEM_LND_MAX_CONNS);
		mutex_unlock(&ipmem_lnd_lock);
		kfree(conn);
		return ipmem_lnd_reject(cm_id, IPMEM_REJ_NO_RESOURCES);
	}
	ret = ipmem_lnd_conn_create_ib(conn);
	if (ret)
		goto out_free_ib;

	rep.seg_shift = sess->seg_shift;
	rep.epoch = cpu_to_le64(pool->epoch);
	rep.block_size = cpu_to_le32(pool->block_size);
	rep.magic = cpu_to_le32(IPMEM_WIRE_MAGIC);
	rep.version = cpu_to_le16(IPMEM_WIRE_VERSION);
	rep.host_id = cpu_to_le32(ipmem_host.host_id);
	param.private_data = &rep;
	param.private_data_len = sizeof(rep);
	/*
	 * The event names the fields from our side: its responder_resources
	 * is the borrower's initiator depth, the RDMA READs it may have in
	 * flight.  Zero here would stall its reads forever.
	 */
	param.responder_resources = min_t(u8, ev->param.conn.responder_resources,
					  cm_id->device->attrs.max_qp_rd_atom);
	param.initiator_depth = 0;
	param.rnr_retry_count = 7;
	cm_id->context = conn;
	ret = rdma_accept(cm_id, &param);
	if (ret) {
		cm_id->context = NULL;
		goto out_free_ib;
	}

	/*
	 * A borrower has one queue pair per queue index: one that connects
	 * a queue again lost the old one (an outage, a reboot) without our
	 * hearing of it.  The old one goes; the session and what is
	 * registered in it stay.
	 */
	list_for_each_entry(old, &sess->conns, node)
		if (old->queue == conn->queue)
			ipmem_lnd_queue_release(old);
	list_add_tail(&conn->node, &sess->conns);
	mutex_unlock(&ipmem_lnd_lock);
	return 0;

out_free_ib:
	/* nobody has seen the queue: it goes here, once */
	ipmem_lnd_conn_free_ib(conn);
	if (list_empty(&sess->conns)) {
		list_del(&sess->node);
		ipmem_lnd_sess_free(sess);
	}
	mutex_unlock(&ipmem_lnd_lock);
	kfree(conn);
	return ipmem_lnd_reject(cm_id, IPMEM_REJ_NO_RESOURCES);
}

static int ipmem_lnd_cm_handler(struct rdma_cm_id *cm_id,
				struct rdma_cm_event *ev)
{
	struct ipmem_lnd_conn *conn = cm_id->context;

	pr_debug("cm event %s (%d) status %d id %p\n",
		 rdma_event_msg(ev->event), ev->event, ev->status, cm_id);

	switch (ev->event) {
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		return ipmem_lnd_connect(cm_id, ev);
	case RDMA_CM_EVENT_ESTABLISHED:
		return 0;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		if (!conn) {
			/* the listener: the pool stops listening */
			mutex_lock(&ipmem_lnd_lock);
			if (ipmem_pool && ipmem_pool->listen_id == cm_id)
				ipmem_pool->listen_id = NULL;
			mutex_unlock(&ipmem_lnd_lock);
			pr_warn("RDMA device of the lender address removed: not listening\n");
			return 1;
		}
		/*
		 * The device waits for this id: tear down now (whatever path
		 * there is), cm destroys it.  Unless a work does already.
		 */
		if (!test_and_set_bit(IPMEM_LND_CONN_TEARDOWN, &conn->flags)) {
			set_bit(IPMEM_LND_CONN_RELEASING, &conn->flags);
			cancel_delayed_work_sync(&conn->path_work);
			ipmem_lnd_conn_teardown(conn);
			kfree(conn);
			return 1;
		}
		return 0;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
		if (conn)
			ipmem_lnd_queue_release(conn);
		return 0;
	default:
		return 0;
	}
}

/* ----------------------------------------------------------- the listener */

int ipmem_lnd_listen(struct ipmem_pool *pool, struct netlink_ext_ack *extack)
{
	struct rdma_cm_id *id;
	int ret;

	id = rdma_create_id(&init_net, ipmem_lnd_cm_handler, NULL, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	ret = rdma_set_afonly(id, 1);
	if (ret)
		goto out_destroy;
	ret = rdma_bind_addr(id, (struct sockaddr *)&pool->addr);
	if (ret) {
		NL_SET_ERR_MSG(extack,
			       "cannot bind the lender address: not a local address of an RDMA (RoCE) device");
		goto out_destroy;
	}
	ret = rdma_listen(id, 128);
	if (ret) {
		NL_SET_ERR_MSG(extack, "cannot listen on the lender address and port");
		goto out_destroy;
	}
	pool->listen_id = id;
	return 0;

out_destroy:
	rdma_destroy_id(id);
	return ret;
}

/* Stop listening and disconnect every borrower; the pool is unpublished. */
void ipmem_lnd_stop(struct ipmem_pool *pool)
{
	struct ipmem_lnd_sess *sess;
	struct ipmem_lnd_conn *conn;
	struct rdma_cm_id *id;

	mutex_lock(&ipmem_lnd_lock);
	id = pool->listen_id;
	pool->listen_id = NULL;
	mutex_unlock(&ipmem_lnd_lock);
	if (id)
		rdma_destroy_id(id);

	mutex_lock(&ipmem_lnd_lock);
	list_for_each_entry(sess, &pool->sessions, node)
		list_for_each_entry(conn, &sess->conns, node)
			ipmem_lnd_force_release(conn);
	mutex_unlock(&ipmem_lnd_lock);
	flush_workqueue(ipmem_wq);
	WARN_ON(!list_empty(&pool->sessions));
}

static bool ipmem_lnd_mr_overlaps(const struct ipmem_lnd_mr *m, u64 first,
				  u64 count)
{
	return m->first < first + count && m->first + m->count > first;
}

/*
 * Has @g's borrower registered (mapped) some of blocks @first..+@count of
 * @g?  With @straddling, only a registration that covers blocks outside
 * them too counts.
 */
bool ipmem_lnd_grant_in_use(struct ipmem_pool *pool, struct ipmem_grant *g,
			    u64 first, u64 count, bool straddling)
{
	struct ipmem_lnd_sess *sess;
	struct ipmem_lnd_mr *m;

	lockdep_assert_held(&ipmem_lnd_lock);

	list_for_each_entry(sess, &pool->sessions, node) {
		if (sess->borrower != g->borrower)
			continue;
		list_for_each_entry(m, &sess->mrs, node) {
			if (!ipmem_lnd_mr_overlaps(m, first, count))
				continue;
			if (!straddling || m->first < first ||
			    m->first + m->count > first + count)
				return true;
		}
	}
	return false;
}

/*
 * Blocks @first..+@count of @g are going away (all of @g, or the part a
 * trim gives back): remove the registrations of @g's borrower that cover
 * any of them (their keys stop working at once) and tell the borrower.
 */
void ipmem_lnd_revoke(struct ipmem_pool *pool, struct ipmem_grant *g,
		      u64 first, u64 count)
{
	struct ipmem_lnd_sess *sess;
	struct ipmem_lnd_conn *conn;
	struct ipmem_lnd_mr *m, *tmp;
	u64 lo, hi;
	bool had, full;

	lockdep_assert_held(&ipmem_lnd_lock);

	list_for_each_entry(sess, &pool->sessions, node) {
		if (sess->borrower != g->borrower)
			continue;
		had = false;
		/* the notice names every block whose key goes */
		lo = first;
		hi = first + count;
		list_for_each_entry_safe(m, tmp, &sess->mrs, node) {
			if (ipmem_lnd_mr_overlaps(m, first, count)) {
				lo = min(lo, m->first);
				hi = max(hi, m->first + m->count);
				ipmem_lnd_mr_free(sess, m);
				had = true;
			}
		}
		if (!had)
			continue;
		list_for_each_entry(conn, &sess->conns, node) {
			if (conn->queue ||
			    test_bit(IPMEM_LND_CONN_RELEASING, &conn->flags))
				continue;
			/* sent by the queue's work, never under our lock */
			spin_lock_bh(&conn->req_lock);
			full = conn->nr_revokes == IPMEM_LND_REVOKES;
			if (!full) {
				conn->revokes[conn->nr_revokes].first = lo;
				conn->revokes[conn->nr_revokes].count = hi - lo;
				conn->nr_revokes++;
			}
			spin_unlock_bh(&conn->req_lock);
			/*
			 * No room: drop the queue instead.  The borrower then
			 * reconnects and refetches every key, and learns of
			 * this revocation that way.
			 */
			if (full)
				ipmem_lnd_queue_release(conn);
			else
				queue_work(ipmem_wq, &conn->req_work);
		}
	}
}

/*
 * An RDMA device is going away: the queues on it go now (the device waits
 * for them).  If the pool listened on it, it stops; it listens again when
 * a device with its address appears (ipmem_lnd_dev_add()).
 */
void ipmem_lnd_dev_remove(struct ib_device *dev)
{
	struct ipmem_lnd_sess *sess;
	struct ipmem_lnd_conn *conn;
	struct rdma_cm_id *id = NULL;

	mutex_lock(&ipmem_lnd_lock);
	if (!ipmem_pool) {
		mutex_unlock(&ipmem_lnd_lock);
		return;
	}
	if (ipmem_pool->listen_id && ipmem_pool->listen_id->device == dev) {
		id = ipmem_pool->listen_id;
		ipmem_pool->listen_id = NULL;
	}
	list_for_each_entry(sess, &ipmem_pool->sessions, node)
		if (sess->dev == dev)
			list_for_each_entry(conn, &sess->conns, node)
				ipmem_lnd_force_release(conn);
	mutex_unlock(&ipmem_lnd_lock);
	if (id) {
		pr_warn("RDMA device %s removed: not listening any more\n",
			dev_name(&dev->dev));
		rdma_destroy_id(id);
	}
	flush_workqueue(ipmem_wq);
}

void ipmem_lnd_dev_add(struct ib_device *dev)
{
	mutex_lock(&ipmem_lnd_lock);
	if (ipmem_pool && !ipmem_pool->listen_id &&
	    !ipmem_lnd_listen(ipmem_pool, NULL))
		pr_info("listening again on [%pI6c]:%u\n",
			&ipmem_pool->addr.sin6_addr,
			ntohs(ipmem_pool->addr.sin6_port));
	mutex_unlock(&ipmem_lnd_lock);
}

static const char *ipmem_rights_str(u8 rights)
{
	return rights == IPMEM_RIGHTS_RW ? "rw" : "ro";
}

void ipmem_lnd_show_grants(struct seq_file *m)
{
	struct ipmem_grant *g;
	u8 a[16];

	mutex_lock(&ipmem_lnd_lock);
	if (ipmem_pool) {
		list_for_each_entry(g, &ipmem_pool->grants, node) {
			ipmem_addr_make(a, ipmem_host.net, ipmem_host.host_id,
					g->first);
			seq_printf(m, "%pI6c/%u blocks %llu-%llu borrower %04x:%04x %s %s gen %016llx\n",
				   a, 128 - ilog2(g->count), g->first,
				   g->first + g->count - 1, g->borrower >> 16, g->borrower & 0xffff,
				   ipmem_rights_str(g->rights),
				   g->state == IPMEM_GRANT_CONFIRMED ?
				   "confirmed" : "reserved", g->gen);
		}
	}
	mutex_unlock(&ipmem_lnd_lock);
}

void ipmem_lnd_show_borrowers(struct seq_file *m)
{
	struct ipmem_lnd_sess *sess;
	struct ipmem_lnd_conn *conn;
	struct ipmem_lnd_mr *mr;
	int n;

	mutex_lock(&ipmem_lnd_lock);
	if (ipmem_pool) {
		list_for_each_entry(sess, &ipmem_pool->sessions, node) {
			n = 0;
			list_for_each_entry(conn, &sess->conns, node)
				n++;
			seq_printf(m, "borrower %04x:%04x from %pISc on %s: %d queues, %llu blocks registered\n",
				   sess->borrower >> 16, sess->borrower & 0xffff, &sess->peer,
				   dev_name(&sess->dev->dev), n,
				   sess->nr_registered);
			list_for_each_entry(mr, &sess->mrs, node)
				seq_printf(m, "  blocks %llu-%llu rkey %08x iova %llx %s gen %016llx\n",
					   mr->first, mr->first + mr->count - 1,
					   mr->mr->rkey, mr->mr->iova,
					   ipmem_rights_str(mr->rights),
					   mr->gen);
		}
	}
	mutex_unlock(&ipmem_lnd_lock);
}
