// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem borrower: /dev/ipmemN, the swap device, and its I/O path.  The
 * mem-to-ip table's changes and views are in ipmem_map.c; the RDMA
 * transport is used through ipmem_clt.h.
 *
 * A disk is divided into extents of one block each (64 KiB by default).
 * Each extent has up to IPMEM_COPY_SLOTS copies, each a block of some
 * lender: the table maps (disk, extent, copy) to (lender, block).  A
 * request never crosses an extent (chunk_sectors), so it is one RDMA
 * operation per copy, straight between the request's pages and the
 * lender's block: no bounce buffer.
 *
 * Reads go to the first copy that is current (not stale), whose key is
 * valid and whose lender is live; on an error they fall over to the next
 * copy.  Writes go to every current copy on a live lender; a copy that
 * misses a write that another copy took is marked stale and never read
 * again until it is refilled or the extent is discarded.  When no copy
 * can serve a request it waits, up to io_fail_tmo, for a lender being
 * reconnected, and then fails with BLK_STS_IOERR: never with data from a
 * copy that may be out of date.  When the last current copy of an extent
 * that holds data is unmapped, its pages are marked lost: reads of them
 * fail until each is written again or discarded, whatever copy is mapped
 * there later (a new grant reads as zeros, which is not the data).
 *
 * The I/O path takes no lock: the table (an xarray) and the keys are read
 * under RCU.  The table changes only while the disk is held (no request
 * in flight: ipmem_disk_hold()), so a request in flight always sees the
 * extent it started with; a direct read sees a copy whole or not at all.
 * A write to an extent that has no copy waits for one (ipmem_unmapped()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/bit_spinlock.h>
#include <linux/crypto.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "ipmem_blk.h"

/* how often requests waiting for a lender or a copy look again */
#define IPMEM_WAIT_RECHECK	(HZ / 2)
#define IPMEM_RQ_TIMEOUT	(30 * HZ)
/* pages kept per encrypted disk for the ciphertext of writes, at least */
#define IPMEM_BOUNCE_PAGES	256

/* protects the disk list; taken briefly, never around I/O */
DEFINE_MUTEX(ipmem_blk_lock);
LIST_HEAD(ipmem_disks);
static struct blk_mq_tag_set ipmem_tag_set;
static DEFINE_IDA(ipmem_ida);
static int ipmem_major;

/**
 * struct ipmem_req_op - the operation on one copy
 * @op: the transport's operation
 * @idx: which copy
 */
struct ipmem_req_op {
	struct ipmem_clt_op op;
	u8 idx;
};

/**
 * struct ipmem_req_map - the request's pages, DMA-mapped for one device
 * @dev: the device, NULL if unused
 * @nents: mapped entries
 * @sg: the entries
 */
struct ipmem_req_map {
	struct ib_device *dev;
	int nents;
	struct scatterlist sg[IPMEM_MAX_SEGS];
};

/**
 * struct ipmem_req - per-request driver data (preallocated by blk-mq)
 * @op: one operation per copy
 * @map: mappings of the pages, one per distinct device
 * @nsg: entries of the request (in @map[0].sg before mapping)
 * @ext: the extent
 * @off: byte offset in the extent
 * @pending: operations outstanding (writes)
 * @posted: bit r: an operation was posted to copy r
 * @ok: bit r: copy r took the write
 * @skipped: bit r: copy r was current but could not take the write
 * @tried: bit r: a read of copy r failed
 * @bad: bit r: copy r sent back pages that fail verification
 * @bounce: the ciphertext of a write to an encrypted disk
 * @nbounce: pages in @bounce
 * @start: when the request was started, for the latency histogram
 * @deadline: when it must have been served, or fail (io_fail_tmo after
 *	it first arrived: however often it is requeued, it never waits
 *	longer)
 * @requeued: it waits in the requeue list; @deadline stays
 */
struct ipmem_req {
	struct ipmem_req_op op[IPMEM_COPY_SLOTS];
	struct ipmem_req_map map[IPMEM_COPY_SLOTS];
	int nsg;
	struct ipmem_ext *ext;
	u32 off;
	atomic_t pending;
	unsigned long posted;
	unsigned long ok;
	unsigned long skipped;
	unsigned long tried;
	unsigned long bad;
	struct page *bounce[IPMEM_MAX_SEGS];
	u8 nbounce;
	ktime_t start;
	unsigned long deadline;
	bool requeued;
};

static struct ipmem_disk *to_ipmem_disk(struct request *rq)
{
	return rq->q->queuedata;
}

/* ----------------------------------------------------------- statistics */

void ipmem_disk_stats_sum(struct ipmem_disk *d, struct ipmem_disk_stats *s)
{
	int cpu, i;

	memset(s, 0, sizeof(*s));
	for_each_possible_cpu(cpu)
		for (i = 0; i < __IPMEM_STAT_MAX; i++)
			s->v[i] += per_cpu_ptr(d->stats, cpu)->v[i];
	s->v[IPMEM_STAT_INFLIGHT] = atomic_read(&d->inflight);
	s->v[IPMEM_STAT_LOST_PAGES] = atomic64_read(&d->lost_pages);
}

/* d->lat: the buckets, then the sum of the latencies (microseconds) */
static void ipmem_lat_record(struct ipmem_disk *d, ktime_t start)
{
	s64 us = ktime_us_delta(ktime_get(), start);

	this_cpu_inc(d->lat[ipmem_lat_bucket(us)]);
	this_cpu_add(d->lat[IPMEM_LAT_BUCKETS], us);
}

/* @sum[IPMEM_LAT_BUCKETS + 1]: d->lat over every CPU */
static void ipmem_lat_sum(struct ipmem_disk *d, u64 *sum)
{
	int cpu, b;

	memset(sum, 0, sizeof(*sum) * (IPMEM_LAT_BUCKETS + 1));
	for_each_possible_cpu(cpu)
		for (b = 0; b <= IPMEM_LAT_BUCKETS; b++)
			sum[b] += per_cpu_ptr(d->lat, cpu)[b];
}

/* --------------------------------------------------------------- copies */

/* Can copy @r of @e serve a read (or a write) now?  Under RCU. */
static enum ipmem_copy_state ipmem_rep_state(struct ipmem_ext *e, int r,
					     bool write)
{
	/* once: MAP_DEL may clear it under readers that do not freeze */
	struct ipmem_lender *l = READ_ONCE(e->rep[r].lender);

	if (!l)
		return IPMEM_COPY_LOST;
	return ipmem_clt_copy_state(l, e->rep[r].block, e->rep[r].gen, write);
}

/* The pages of an extent that bytes @off..@off+@len-1 of it cover. */
unsigned long ipmem_page_mask(u32 off, u32 len)
{
	return GENMASK((off + len - 1) >> PAGE_SHIFT, off >> PAGE_SHIFT);
}

/*
 * The extent's lock: a bit spinlock in @flags, held for a few
 * instructions.  Bottom halves off, so that the I/O path may take it
 * wherever blk-mq calls it.
 */
static void ipmem_ext_lock(struct ipmem_ext *e)
{
	local_bh_disable();
	bit_spin_lock(IPMEM_EXT_LOCK, &e->flags);
}

static void ipmem_ext_unlock(struct ipmem_ext *e)
{
	bit_spin_unlock(IPMEM_EXT_LOCK, &e->flags);
	local_bh_enable();
}

/* Has @e a copy mapped, current or not? */
bool ipmem_ext_has_copy(struct ipmem_ext *e)
{
	int r;

	for (r = 0; r < IPMEM_COPY_SLOTS; r++)
		if (READ_ONCE(e->rep[r].lender))
			return true;
	return false;
}

/* Is some copy of @e mapped and current (not stale)? */
bool ipmem_ext_has_current(struct ipmem_ext *e)
{
	int r;

	for (r = 0; r < IPMEM_COPY_SLOTS; r++)
		if (e->rep[r].lender && !test_bit(r, &e->stale))
			return true;
	return false;
}

/* Pages @mask of @e have no copy left: their reads fail from now on. */
void ipmem_ext_lose(struct ipmem_disk *d, struct ipmem_ext *e,
		    unsigned long mask)
{
	int p;

	for_each_set_bit(p, &mask, BITS_PER_LONG)
		if (!test_and_set_bit(p, &e->lost))
			atomic64_inc(&d->lost_pages);
}

/* Pages @mask of @e were written again or discarded: not lost any more. */
static void ipmem_ext_found(struct ipmem_disk *d, struct ipmem_ext *e,
			    unsigned long mask)
{
	int p;

	mask &= READ_ONCE(e->lost);
	for_each_set_bit(p, &mask, BITS_PER_LONG)
		if (test_and_clear_bit(p, &e->lost))
			atomic64_dec(&d->lost_pages);
}

static void ipmem_req_unmap(struct ipmem_req *req)
{
	int i;

	for (i = 0; i < IPMEM_COPY_SLOTS && req->map[i].dev; i++) {
		if (req->map[i].nents)
			ib_dma_unmap_sg(req->map[i].dev, req->map[i].sg,
					req->nsg, DMA_BIDIRECTIONAL);
		req->map[i].nents = 0;
		req->map[i].dev = NULL;
	}
}

/* The request's pages mapped for @dev (mapped now if need be). */
static struct ipmem_req_map *ipmem_req_map(struct ipmem_req *req,
					   struct ib_device *dev)
{
	struct ipmem_req_map *m;
	struct scatterlist *src, *dst;
	int i, j;

	for (i = 0; i < IPMEM_COPY_SLOTS; i++) {
		m = &req->map[i];
		if (m->dev == dev)
			return m;
		if (m->dev)
			continue;
		if (i) {
			/* another device: its own copy of the page list */
			sg_init_table(m->sg, req->nsg);
			src = req->map[0].sg;
			dst = m->sg;
			for (j = 0; j < req->nsg; j++) {
				sg_set_page(dst, sg_page(src), src->length,
					    src->offset);
				src = sg_next(src);
				dst = sg_next(dst);
			}
		}
		m->nents = ib_dma_map_sg(dev, m->sg, req->nsg,
					 DMA_BIDIRECTIONAL);
		if (!m->nents)
			return NULL;
		m->dev = dev;
		return m;
	}
	return NULL;
}

static void ipmem_read_done(struct ipmem_clt_op *op, int status);
static void ipmem_write_done(struct ipmem_clt_op *op, int status);

/*
 * Post the read or write of copy @r through the transport.  Under
 * rcu_read_lock().  Once it returns 0 the operation may have completed
 * already (the transport may run it to the end inside the post): a
 * read's request may have ended.
 */
static int ipmem_post(struct request *rq, struct ipmem_req *req, int r,
		      bool write)
{
	struct ipmem_rep *rep = &req->ext->rep[r];
	struct ipmem_req_map *m;
	struct ib_device *dev;

	dev = ipmem_clt_dma_device(rep->lender);
	if (!dev)
		return -ENOTCONN;
	m = ipmem_req_map(req, dev);
	if (!m)
		return -EIO;
	req->op[r].op.done = write ? ipmem_write_done : ipmem_read_done;
	set_bit(r, &req->posted);
	return ipmem_clt_rw(rep->lender, rq->mq_hctx->queue_num, rep->block,
			    rep->gen, req->off, m->sg, m->nents, write,
			    &req->op[r].op);
}

/*
 * Can the request wait for a copy?  One that is current, whose key is
 * valid and whose lender is live or being reconnected within io_fail_tmo
 * of its loss, while the request is within io_fail_tmo of its arrival.
 */
static bool ipmem_may_wait(struct ipmem_req *req, bool write)
{
	struct ipmem_ext *e = req->ext;
	int r;

	if (time_after_eq(jiffies, req->deadline))
		return false;
	for (r = 0; r < IPMEM_COPY_SLOTS; r++) {
		/* a copy that sent back other data will not send this one */
		if (test_bit(r, &e->stale) || test_bit(r, &req->bad) ||
		    ipmem_rep_state(e, r, write) == IPMEM_COPY_LOST)
			continue;
		if (ipmem_clt_waitable(e->rep[r].lender))
			return true;
	}
	return false;
}

/* --------------------------------------------------------- encryption */

static void ipmem_req_free_bounce(struct ipmem_disk *d, struct ipmem_req *req)
{
	while (req->nbounce)
		mempool_free(req->bounce[--req->nbounce], d->bounce);
}

/* Encrypted disks take whole, page-aligned pages only (dma_alignment). */
static bool ipmem_req_whole_pages(struct request *rq)
{
	struct req_iterator iter;
	struct bio_vec bv;

	rq_for_each_segment(bv, rq, iter)
		if (bv.bv_offset || bv.bv_len != PAGE_SIZE)
			return false;
	return true;
}

/*
 * Seal the pages of a write into bounce pages, which are what is sent.
 * BLK_STS_RESOURCE if no bounce page can be had now: blk-mq tries again
 * once a request ends, and the disk's reserve is refilled by then.
 */
static blk_status_t ipmem_req_seal(struct ipmem_disk *d, struct request *rq,
				   struct ipmem_req *req)
{
	u64 pageno = blk_rq_pos(rq) >> (PAGE_SHIFT - SECTOR_SHIFT);
	struct ipmem_page_auth *auth = &req->ext->auth[req->off >> PAGE_SHIFT];
	unsigned int n = blk_rq_bytes(rq) >> PAGE_SHIFT, i = 0;
	struct scatterlist *sg = req->map[0].sg;
	struct req_iterator iter;
	struct bio_vec bv;
	struct page *page;

	/* every page first: sealing changes the tags */
	while (req->nbounce < n) {
		page = mempool_alloc(d->bounce, GFP_NOWAIT | __GFP_NOWARN);
		if (!page) {
			ipmem_req_free_bounce(d, req);
			return BLK_STS_RESOURCE;
		}
		req->bounce[req->nbounce++] = page;
	}
	sg_init_table(sg, n);
	rq_for_each_segment(bv, rq, iter) {
		if (ipmem_crypt_seal(d->crypt, pageno + i, bv.bv_page,
				     req->bounce[i], &auth[i])) {
			pr_err_ratelimited("%s: cannot encrypt a page: I/O error\n",
					   d->gd->disk_name);
			ipmem_req_free_bounce(d, req);
			return BLK_STS_IOERR;
		}
		sg_set_page(&sg[i], req->bounce[i], PAGE_SIZE, 0);
		i++;
	}
	req->nsg = n;
	return BLK_STS_OK;
}

/*
 * Decrypt and verify the pages a read brought, in place.  Returns how
 * many are not what was written there last (those are zeroed).
 */
static int ipmem_req_open(struct ipmem_disk *d, struct request *rq,
			  struct ipmem_req *req)
{
	u64 pageno = blk_rq_pos(rq) >> (PAGE_SHIFT - SECTOR_SHIFT);
	struct ipmem_page_auth *auth = &req->ext->auth[req->off >> PAGE_SHIFT];
	struct req_iterator iter;
	struct bio_vec bv;
	int i = 0, bad = 0;

	rq_for_each_segment(bv, rq, iter) {
		if (ipmem_crypt_open(d->crypt, pageno + i, &auth[i],
				     bv.bv_page))
			bad++;
		i++;
	}
	return bad;
}

/*
 * @bad pages that copy @r sent for the read at byte @pos failed
 * verification: count them and say so.
 */
static void ipmem_integrity_error(struct ipmem_disk *d, struct ipmem_ext *e,
				  int r, u64 pos, int bad)
{
	u32 host = ipmem_clt_host_id(e->rep[r].lender);

	this_cpu_add(d->stats->v[IPMEM_STAT_INTEGRITY_ERRORS], bad);
	pr_err_ratelimited("%s: data at byte %llu from copy %d (lender %04x:%04x, block %llu) fails verification in %d page(s): altered, stale or zeroed at the lender; not used\n",
			   d->gd->disk_name, pos, r, host >> 16, host & 0xffff,
			   e->rep[r].block, bad);
}

/*
 * A request the table may not change under ends or steps back into the
 * requeue list: ipmem_disk_hold() waits for the last one.
 */
static void ipmem_rq_idle(struct ipmem_disk *d)
{
	if (atomic_dec_and_test(&d->rq_active))
		wake_up_var(&d->rq_active);
}

/*
 * Run the requeue list in IPMEM_WAIT_RECHECK, unless that is due already:
 * requeues that keep coming never put the look off.
 */
static void ipmem_recheck(struct ipmem_disk *d)
{
	queue_delayed_work(ipmem_wq, &d->recheck_work, IPMEM_WAIT_RECHECK);
}

static void ipmem_recheck_work(struct work_struct *work)
{
	struct ipmem_disk *d = container_of(to_delayed_work(work),
					    struct ipmem_disk, recheck_work);

	blk_mq_kick_requeue_list(d->gd->queue);
}

/*
 * Hold off the requests of @d while its table changes.  Not a freeze: that
 * would also wait for the writes that wait in the requeue list for a copy
 * of an extent that has none (ipmem_unmapped()), until they fail, and the
 * change may be the very one they wait for.  Quiescing stops
 * ->queue_rq(); then the requests already started end or step back into
 * the requeue list (@d->rq_active).  Direct reads (->rw_page) go on: they
 * read the table under RCU, see a copy only whole (its lender is written
 * last), and one whose copy is unmapped under them fails (its key goes
 * after the change), so the request path retries it.
 */
void ipmem_disk_hold(struct ipmem_disk *d)
{
	blk_mq_quiesce_queue(d->gd->queue);
	wait_var_event(&d->rq_active, !atomic_read(&d->rq_active));
}

void ipmem_disk_unhold(struct ipmem_disk *d)
{
	blk_mq_unquiesce_queue(d->gd->queue);
	/* the requests waiting for a copy that may be there now */
	blk_mq_kick_requeue_list(d->gd->queue);
}

static void ipmem_req_end(struct request *rq, blk_status_t status)
{
	struct ipmem_disk *d = to_ipmem_disk(rq);
	struct ipmem_req *req = blk_mq_rq_to_pdu(rq);
	struct ipmem_disk_stats *s;

	ipmem_req_unmap(req);
	ipmem_req_free_bounce(d, req);
	req->requeued = false;
	s = get_cpu_ptr(d->stats);
	if (status) {
		s->v[IPMEM_STAT_ERRORS]++;
	} else if (req_op(rq) == REQ_OP_READ) {
		s->v[IPMEM_STAT_READS]++;
		s->v[IPMEM_STAT_READ_BYTES] += blk_rq_bytes(rq);
	} else if (req_op(rq) == REQ_OP_WRITE) {
		s->v[IPMEM_STAT_WRITES]++;
		s->v[IPMEM_STAT_WRITE_BYTES] += blk_rq_bytes(rq);
	}
	put_cpu_ptr(d->stats);
	if (!status && req_op(rq) == REQ_OP_READ)
		ipmem_lat_record(d, req->start);
	atomic_dec(&d->inflight);
	ipmem_rq_idle(d);
	blk_mq_end_request(rq, status);
}

/*
 * No copy can serve @rq now: wait for a lender, or fail.  Whatever keeps
 * it from being served (a lender that reconnects again and again, a post
 * or a DMA mapping that keeps failing), it waits io_fail_tmo at most.
 */
static void ipmem_req_retry(struct request *rq, bool write)
{
	struct ipmem_disk *d = to_ipmem_disk(rq);
	struct ipmem_req *req = blk_mq_rq_to_pdu(rq);
	bool wait;

	rcu_read_lock();
	wait = ipmem_may_wait(req, write);
	rcu_read_unlock();
	if (!wait) {
		pr_err_ratelimited("%s: no copy of extent %llu can serve the %s: I/O error\n",
				   d->gd->disk_name,
				   blk_rq_pos(rq) >> (d->block_shift - SECTOR_SHIFT),
				   write ? "write" : "read");
		ipmem_req_end(rq, BLK_STS_IOERR);
		return;
	}
	ipmem_req_unmap(req);
	ipmem_req_free_bounce(d, req);
	atomic_dec(&d->inflight);
	req->requeued = true;
	/* kicked when a lender comes back or gives up; and now and then */
	blk_mq_requeue_request(rq, false);
	ipmem_rq_idle(d);
	ipmem_recheck(d);
}

/* Start (or restart after a failure) the read on the next good copy. */
static void ipmem_read_next(struct request *rq)
{
	/* the request may have ended once posted: nothing of it after */
	struct ipmem_disk *d = to_ipmem_disk(rq);
	struct ipmem_req *req = blk_mq_rq_to_pdu(rq);
	struct ipmem_ext *e = req->ext;
	bool passed_over = false;
	int r;

	rcu_read_lock();
	for (r = 0; r < IPMEM_COPY_SLOTS; r++) {
		if (!e->rep[r].lender || test_bit(r, &e->stale))
			continue;
		if (test_bit(r, &req->tried) ||
		    ipmem_rep_state(e, r, false) != IPMEM_COPY_OK) {
			passed_over = true;
			continue;
		}
		if (!ipmem_post(rq, req, r, false)) {
			/* a copy that should have served it could not */
			if (passed_over)
				this_cpu_inc(d->stats->v[IPMEM_STAT_FAILOVERS]);
			rcu_read_unlock();
			return;
		}
		set_bit(r, &req->tried);
		passed_over = true;
	}
	rcu_read_unlock();
	ipmem_req_retry(rq, false);
}

static void ipmem_read_done(struct ipmem_clt_op *op, int status)
{
	struct ipmem_req_op *o = container_of(op, struct ipmem_req_op, op);
	struct ipmem_req *req = container_of(o - o->idx, struct ipmem_req,
					     op[0]);
	struct request *rq = blk_mq_rq_from_pdu(req);
	struct ipmem_disk *d = to_ipmem_disk(rq);
	int bad;

	if (likely(status == IB_WC_SUCCESS)) {
		if (!d->crypt) {
			ipmem_req_end(rq, BLK_STS_OK);
			return;
		}
		/* the CPU reads the pages now */
		ipmem_req_unmap(req);
		bad = ipmem_req_open(d, rq, req);
		if (!bad) {
			ipmem_req_end(rq, BLK_STS_OK);
			return;
		}
		ipmem_integrity_error(d, req->ext, o->idx,
				      blk_rq_pos(rq) << SECTOR_SHIFT, bad);
		set_bit(o->idx, &req->bad);
	}
	set_bit(o->idx, &req->tried);
	ipmem_read_next(rq);
}

/* Every operation of a write has ended. */
static void ipmem_write_finish(struct request *rq)
{
	struct ipmem_disk *d = to_ipmem_disk(rq);
	struct ipmem_req *req = blk_mq_rq_to_pdu(rq);
	struct ipmem_ext *e = req->ext;
	unsigned long missed;
	int r;

	if (!req->ok) {
		/* no copy took it: nothing diverged; try again or fail */
		atomic_inc(&e->wdone);
		ipmem_req_retry(rq, true);
		return;
	}
	/*
	 * Copies that missed a write another copy took now hold old data.
	 * Marked before the write counts as done: a refill that sees it
	 * done must see them stale (ipmem_refill_one()).
	 */
	missed = (req->posted & ~req->ok) | req->skipped;
	for_each_set_bit(r, &missed, IPMEM_COPY_SLOTS)
		set_bit(r, &e->stale);
	smp_mb__before_atomic();	/* pairs with ipmem_refill_one() */
	atomic_inc(&e->wdone);
	/* the pages hold this data now, whatever was lost before */
	if (unlikely(READ_ONCE(e->lost)))
		ipmem_ext_found(d, e, ipmem_page_mask(req->off,
						      blk_rq_bytes(rq)));
	ipmem_req_end(rq, BLK_STS_OK);
	if (missed)
		ipmem_refill_kick(d, 0);
}

static void ipmem_write_done(struct ipmem_clt_op *op, int status)
{
	struct ipmem_req_op *o = container_of(op, struct ipmem_req_op, op);
	struct ipmem_req *req = container_of(o - o->idx, struct ipmem_req,
					     op[0]);

	if (likely(status == IB_WC_SUCCESS))
		set_bit(o->idx, &req->ok);
	if (atomic_dec_and_test(&req->pending))
		ipmem_write_finish(blk_mq_rq_from_pdu(req));
}

static void ipmem_write_start(struct request *rq)
{
	struct ipmem_req *req = blk_mq_rq_to_pdu(rq);
	struct ipmem_ext *e = req->ext;
	unsigned long live = 0, stale;
	int r;

	/*
	 * Count the write and take the stale bits in one step: a refill
	 * makes a copy current only if no write started meanwhile
	 * (ipmem_refill_one()).
	 */
	ipmem_ext_lock(e);
	atomic_inc(&e->wstart);
	stale = READ_ONCE(e->stale);
	ipmem_ext_unlock(e);

	rcu_read_lock();
	for (r = 0; r < IPMEM_COPY_SLOTS; r++) {
		if (!e->rep[r].lender || test_bit(r, &stale))
			continue;
		/*
		 * A copy that does not take this write (its lender is away,
		 * its key is lost or not writable) is stale once another
		 * copy takes it: it must never be read again before a refill.
		 */
		if (ipmem_rep_state(e, r, true) == IPMEM_COPY_OK)
			__set_bit(r, &live);
		else
			__set_bit(r, &req->skipped);
	}
	if (!live) {
		rcu_read_unlock();
		atomic_inc(&e->wdone);
		ipmem_req_retry(rq, true);
		return;
	}

	set_bit(IPMEM_EXT_WRITTEN, &e->flags);
	/* One extra count so that no completion ends the request early. */
	atomic_set(&req->pending, 1);
	for_each_set_bit(r, &live, IPMEM_COPY_SLOTS) {
		atomic_inc(&req->pending);
		if (ipmem_post(rq, req, r, true)) {
			clear_bit(r, &req->posted);
			__set_bit(r, &req->skipped);
			atomic_dec(&req->pending);
		}
	}
	rcu_read_unlock();

	/* Drop the extra count: as if one more operation completed. */
	if (atomic_dec_and_test(&req->pending))
		ipmem_write_finish(rq);
}

/*
 * A discard frees whole extents: nothing in them needs keeping, so no
 * copy of them is stale any more.
 */
static blk_status_t ipmem_discard(struct ipmem_disk *d, struct request *rq)
{
	u64 start = blk_rq_pos(rq) << SECTOR_SHIFT;
	u64 end = start + blk_rq_bytes(rq);
	u64 first = DIV_ROUND_UP_ULL(start, d->block_size);
	u64 last = end >> d->block_shift;	/* exclusive */
	struct ipmem_ext *e;
	u32 p;
	u64 i;

	rcu_read_lock();
	for (i = first; i < last; i++) {
		e = xa_load(&d->extents, i);
		if (!e)
			continue;
		clear_bit(IPMEM_EXT_WRITTEN, &e->flags);
		xchg(&e->stale, 0);
		if (d->crypt)
			for (p = 0; p < d->block_size >> PAGE_SHIFT; p++)
				WRITE_ONCE(e->auth[p].gen, 0);
		ipmem_ext_found(d, e, ~0UL);
	}
	rcu_read_unlock();
	this_cpu_inc(d->stats->v[IPMEM_STAT_DISCARDS]);
	return BLK_STS_OK;
}

/*
 * @rq is for extent @ext, which has no copy: never mapped, or given back
 * (MAP_DEL), or its last copy went.  A read fails: nothing there holds
 * data (swap reads only what it wrote).  A write waits, up to io_fail_tmo,
 * for a block to be mapped there, and the extent is announced as wanted
 * (IPMEM_CMD_MAP_WANTED) so that ipmemd maps one; then it fails.
 */
static blk_status_t ipmem_unmapped(struct ipmem_disk *d, struct request *rq,
				   u64 ext, bool again)
{
	struct ipmem_req *req = blk_mq_rq_to_pdu(rq);

	/* without a listener, nobody would map a block there */
	if (req_op(rq) == REQ_OP_WRITE && !READ_ONCE(d->removing) &&
	    time_before(jiffies, req->deadline) && ipmem_nl_has_listeners()) {
		if (!again)
			this_cpu_inc(d->stats->v[IPMEM_STAT_UNMAPPED_WAITS]);
		atomic64_set(&d->wanted, ext);
		queue_work(ipmem_wq, &d->wanted_work);
		req->requeued = true;
		/* kicked by MAP_NEW; and now and then */
		blk_mq_requeue_request(rq, false);
		ipmem_recheck(d);
		return BLK_STS_OK;
	}
	pr_err_ratelimited("%s: extent %llu is not mapped: I/O error\n",
			   d->gd->disk_name, ext);
	this_cpu_inc(d->stats->v[IPMEM_STAT_ERRORS]);
	return BLK_STS_IOERR;
}

/*
 * Tell the events group that a write waits for a copy (the extent the
 * last one asked for: the listener maps the disk's extents that have
 * none).  Swap writes wait for it: no allocation here may write them.
 */
static void ipmem_wanted_work(struct work_struct *work)
{
	struct ipmem_disk *d = container_of(work, struct ipmem_disk,
					    wanted_work);
	unsigned int noio = memalloc_noio_save();

	ipmem_nl_notify_map_wanted(d->id, atomic64_read(&d->wanted));
	memalloc_noio_restore(noio);
}

static blk_status_t ipmem_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct ipmem_disk *d = to_ipmem_disk(rq);
	struct ipmem_req *req = blk_mq_rq_to_pdu(rq);
	u64 pos = blk_rq_pos(rq) << SECTOR_SHIFT;
	u64 ext = pos >> d->block_shift;
	bool again;

	blk_mq_start_request(rq);
	switch (req_op(rq)) {
	case REQ_OP_FLUSH:
		/* a completed RDMA WRITE is in the lender's memory already */
		blk_mq_end_request(rq, BLK_STS_OK);
		return BLK_STS_OK;
	case REQ_OP_DISCARD:
		blk_mq_end_request(rq, ipmem_discard(d, rq));
		return BLK_STS_OK;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		break;
	default:
		return BLK_STS_NOTSUPP;
	}

	/* the deadline stays while it waits in the requeue list */
	again = req->requeued;
	req->requeued = false;
	if (!again)
		req->deadline = jiffies + ipmem_io_fail_tmo * HZ;
	/* xa_load() is safe without RCU here: the disk is not held */
	req->ext = xa_load(&d->extents, ext);
	req->off = pos & (d->block_size - 1);
	if (req->ext && unlikely(READ_ONCE(req->ext->lost)) &&
	    req_op(rq) == REQ_OP_READ &&
	    (READ_ONCE(req->ext->lost) &
	     ipmem_page_mask(req->off, blk_rq_bytes(rq)))) {
		pr_err_ratelimited("%s: extent %llu lost its data with its last copy: I/O error\n",
				   d->gd->disk_name, ext);
		this_cpu_inc(d->stats->v[IPMEM_STAT_ERRORS]);
		return BLK_STS_IOERR;
	}
	if (!req->ext || !ipmem_ext_has_copy(req->ext))
		return ipmem_unmapped(d, rq, ext, again);
	if (d->crypt && unlikely(!ipmem_req_whole_pages(rq))) {
		pr_err_ratelimited("%s: an encrypted disk reads and writes whole, page-aligned pages only\n",
				   d->gd->disk_name);
		this_cpu_inc(d->stats->v[IPMEM_STAT_ERRORS]);
		return BLK_STS_IOERR;
	}
	if (d->crypt && rq_data_dir(rq) == WRITE) {
		blk_status_t st = ipmem_req_seal(d, rq, req);

		if (st) {
			if (st != BLK_STS_RESOURCE)
				this_cpu_inc(d->stats->v[IPMEM_STAT_ERRORS]);
			else
				req->requeued = again;	/* tried again */
			return st;
		}
	} else {
		req->nsg = blk_rq_map_sg(rq->q, rq, req->map[0].sg);
	}
	req->posted = 0;
	req->ok = 0;
	req->skipped = 0;
	req->tried = 0;
	req->bad = 0;
	req->start = ktime_get();
	atomic_inc(&d->inflight);
	atomic_inc(&d->rq_active);

	if (rq_data_dir(rq) == WRITE)
		ipmem_write_start(rq);
	else
		ipmem_read_next(rq);
	return BLK_STS_OK;
}

/*
 * A request took too long: the queue pairs it is on are suspect.  Reset
 * them; the request then completes as flushed and is retried elsewhere,
 * waits, or fails.
 */
static enum blk_eh_timer_return ipmem_timeout(struct request *rq)
{
	struct ipmem_req *req = blk_mq_rq_to_pdu(rq);
	unsigned long pending = req->posted & ~req->ok;
	int r;

	pr_warn_ratelimited("%s: request at sector %llu timed out\n",
			    to_ipmem_disk(rq)->gd->disk_name, blk_rq_pos(rq));
	for_each_set_bit(r, &pending, IPMEM_COPY_SLOTS)
		ipmem_clt_error(req->ext->rep[r].lender);
	return BLK_EH_RESET_TIMER;
}

static int ipmem_init_request(struct blk_mq_tag_set *set, struct request *rq,
			      unsigned int hctx_idx, unsigned int numa_node)
{
	struct ipmem_req *req = blk_mq_rq_to_pdu(rq);
	int i;

	for (i = 0; i < IPMEM_COPY_SLOTS; i++) {
		req->op[i].idx = i;
		sg_init_table(req->map[i].sg, IPMEM_MAX_SEGS);
	}
	req->requeued = false;
	req->nbounce = 0;
	return 0;
}

static const struct blk_mq_ops ipmem_mq_ops = {
	.queue_rq = ipmem_queue_rq,
	.timeout = ipmem_timeout,
	.init_request = ipmem_init_request,
};

/* --------------------------------------------------------------- refill */

static void ipmem_refill_done(struct ipmem_clt_op *op, int status)
{
	struct ipmem_disk *d = container_of(op, struct ipmem_disk, refill_op);

	d->refill_status = status;
	complete(&d->refill_done);
}

/* RDMA READ (or WRITE) copy @r of extent @e whole, into (from) the buffer. */
static int ipmem_refill_rdma(struct ipmem_disk *d, struct ipmem_ext *e, int r,
			     bool write)
{
	enum dma_data_direction dir = write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	struct ipmem_rep *rep = &e->rep[r];
	struct scatterlist sg;
	struct ib_device *dev;
	int ret;

	sg_init_one(&sg, d->refill_buf, d->block_size);
	rcu_read_lock();
	dev = ipmem_clt_dma_device(rep->lender);
	if (!dev || ipmem_rep_state(e, r, write) != IPMEM_COPY_OK) {
		rcu_read_unlock();
		return -ENOTCONN;
	}
	if (!ib_dma_map_sg(dev, &sg, 1, dir)) {
		rcu_read_unlock();
		return -ENOMEM;
	}
	d->refill_op.done = ipmem_refill_done;
	reinit_completion(&d->refill_done);
	ret = ipmem_clt_rw(rep->lender, 0, rep->block, rep->gen, 0, &sg, 1,
			   write, &d->refill_op);
	rcu_read_unlock();
	/* Posted, it completes: successfully, in error, or flushed. */
	if (!ret) {
		wait_for_completion(&d->refill_done);
		if (d->refill_status != IB_WC_SUCCESS)
			ret = -EIO;
	}
	ib_dma_unmap_sg(dev, &sg, 1, dir);
	return ret;
}

/* A copy that may be read now: current, key valid, lender live. */
static int ipmem_refill_source(struct ipmem_ext *e, int r)
{
	int s;

	for (s = 0; s < IPMEM_COPY_SLOTS; s++)
		if (s != r && e->rep[s].lender && !test_bit(s, &e->stale) &&
		    ipmem_rep_state(e, s, false) == IPMEM_COPY_OK)
			return s;
	return -1;
}

/*
 * Copy a current copy of @e over its stale copy @r.  0 when done or not
 * possible now (a lender is away: its return kicks the refill again);
 * -EAGAIN when a write got in the way and it should be tried again.
 */
static int ipmem_refill_one(struct ipmem_disk *d, struct ipmem_ext *e, int r)
{
	int s, start, ret;

	/*
	 * No write may be in flight while we copy ...  A write sets the
	 * stale bits of the copies it missed before it counts as done
	 * (ipmem_write_finish()), so once none is in flight the stale bits
	 * read below are those of every write so far: the source is
	 * chosen only now.
	 */
	start = atomic_read(&e->wstart);
	smp_rmb();	/* wstart before wdone: a write bumps them in that order */
	if (start != atomic_read(&e->wdone))
		return -EAGAIN;
	smp_rmb();	/* wdone before the stale bits; pairs with write_finish */

	rcu_read_lock();
	s = ipmem_refill_source(e, r);
	if (s < 0 || ipmem_rep_state(e, r, true) != IPMEM_COPY_OK) {
		rcu_read_unlock();
		return 0;
	}
	rcu_read_unlock();

	ret = ipmem_refill_rdma(d, e, s, false);
	if (!ret)
		ret = ipmem_refill_rdma(d, e, r, true);
	if (ret)
		return ret == -EIO ? -EAGAIN : 0;

	/*
	 * ... nor start before the copy is current again.  A write counts
	 * itself in wstart and reads the stale bits in one step under the
	 * extent's lock, and we clear the bit under it only if no write
	 * started since we began: so a write either started before (we see
	 * it and give up) or sees the copy current and writes it too.  No
	 * reader can find the copy current while it is not.  Nothing but a
	 * write (which we would see) makes the source stale, but check it
	 * anyway: a copy from a source that is not current must never make
	 * its target current.
	 */
	ipmem_ext_lock(e);
	ret = atomic_read(&e->wstart) == start && !test_bit(s, &e->stale);
	if (ret)
		clear_bit(r, &e->stale);
	ipmem_ext_unlock(e);
	if (!ret)
		return -EAGAIN;
	this_cpu_inc(d->stats->v[IPMEM_STAT_REFILLS]);
	return 0;
}

static void ipmem_refill_work(struct work_struct *work)
{
	struct ipmem_disk *d = container_of(to_delayed_work(work),
					    struct ipmem_disk, refill_work);
	unsigned long i, stale;
	bool again = false;
	struct ipmem_ext *e;
	unsigned int noio;
	int r;

	/* no reclaim into the disk whose copies this makes whole again */
	noio = memalloc_noio_save();
	mutex_lock(&d->refill_lock);
	if (!d->refill_buf)
		d->refill_buf = kmalloc(d->block_size, GFP_KERNEL);
	if (!d->refill_buf) {
		again = true;
		goto out_unlock;
	}
	xa_for_each(&d->extents, i, e) {
		if (READ_ONCE(d->removing))
			break;
		stale = READ_ONCE(e->stale);
		for_each_set_bit(r, &stale, IPMEM_COPY_SLOTS)
			if (e->rep[r].lender && ipmem_refill_one(d, e, r))
				again = true;
		cond_resched();
	}
out_unlock:
	mutex_unlock(&d->refill_lock);
	memalloc_noio_restore(noio);
	if (again && !READ_ONCE(d->removing))
		ipmem_refill_kick(d, HZ);
}

/* Look for stale copies to refill, after @delay. */
void ipmem_refill_kick(struct ipmem_disk *d, unsigned long delay)
{
	queue_delayed_work(ipmem_wq, &d->refill_work, delay);
}

/* ---------------------------------------------------------- direct read */

#ifdef IPMEM_HAVE_RW_PAGE
/*
 * A faulting task's swap-in, read straight into its page (->rw_page).
 * Having rw_page makes swap treat the disk as synchronous
 * (SWP_SYNCHRONOUS_IO): a page mapped once is read without the swap
 * cache, the block layer or readahead: one RDMA READ and a wake-up.
 * Anything this fast path cannot do now (no copy it may read at once, a
 * failed read) it leaves to the request path, which knows how to fail
 * over, wait for a lender and fail: it returns an error without touching
 * the page, and the caller submits a bio instead.
 */
struct ipmem_sync_read {
	struct ipmem_clt_op op;
	struct completion done;
	int status;
};

static void ipmem_sync_read_done(struct ipmem_clt_op *op, int status)
{
	struct ipmem_sync_read *sr = container_of(op, struct ipmem_sync_read,
						  op);

	sr->status = status;
	complete(&sr->done);
}

static int ipmem_rw_page(struct block_device *bdev, sector_t sector,
			 struct page *page, enum req_op op)
{
	struct ipmem_disk *d = bdev->bd_disk->private_data;
	u64 pos = (u64)sector << SECTOR_SHIFT;
	struct ipmem_page_auth auth = {};
	struct ipmem_lender *l = NULL;
	struct ipmem_sync_read sr;
	struct scatterlist sg;
	struct ib_device *dev;
	struct ipmem_ext *e;
	ktime_t start;
	int r, ret;

	if (op != REQ_OP_READ || PageTransHuge(page))
		return -EOPNOTSUPP;	/* writes take the request path */

	start = ktime_get();
	rcu_read_lock();
	e = xa_load(&d->extents, pos >> d->block_shift);
	/* a lost page: the request path fails it */
	if (e && unlikely(READ_ONCE(e->lost) &
			  ipmem_page_mask(pos & (d->block_size - 1), PAGE_SIZE)))
		e = NULL;
	for (r = 0; e && r < IPMEM_COPY_SLOTS; r++) {
		/*
		 * Read once: the table changes under direct reads (MAP_DEL
		 * clears it, MAP_NEW sets it last; ipmem_disk_hold()).
		 */
		l = READ_ONCE(e->rep[r].lender);
		if (!l)
			continue;
		/* its stale bit, block and generation: ipmem_map_add() */
		smp_rmb();
		if (test_bit(r, &e->stale))
			continue;
		if (ipmem_clt_copy_state(l, e->rep[r].block, e->rep[r].gen,
					 false) == IPMEM_COPY_OK)
			break;
		/* the preferred copy cannot serve: the request path decides */
		r = IPMEM_COPY_SLOTS;
	}
	if (!e || r >= IPMEM_COPY_SLOTS) {
		rcu_read_unlock();
		return -EAGAIN;
	}
	if (d->crypt)	/* the extent may go once we leave RCU */
		auth = e->auth[(pos & (d->block_size - 1)) >> PAGE_SHIFT];
	dev = ipmem_clt_dma_device(l);
	sg_init_table(&sg, 1);
	sg_set_page(&sg, page, PAGE_SIZE, 0);
	if (!dev || !ib_dma_map_sg(dev, &sg, 1, DMA_FROM_DEVICE)) {
		rcu_read_unlock();
		return -ENOMEM;
	}
	sr.op.done = ipmem_sync_read_done;
	init_completion(&sr.done);
	atomic_inc(&d->inflight);
	ret = ipmem_clt_rw(l, raw_smp_processor_id(),
			   e->rep[r].block, e->rep[r].gen,
			   pos & (d->block_size - 1), &sg, 1, false, &sr.op);
	rcu_read_unlock();
	/* Posted, it completes: successfully, in error, or flushed. */
	if (!ret)
		wait_for_completion(&sr.done);
	ib_dma_unmap_sg(dev, &sg, 1, DMA_FROM_DEVICE);
	atomic_dec(&d->inflight);
	if (ret)
		return ret;
	if (sr.status != IB_WC_SUCCESS)
		return -EIO;	/* the transport made the lender lost, if need be */
	if (d->crypt &&
	    ipmem_crypt_open(d->crypt, pos >> PAGE_SHIFT, &auth, page)) {
		/* counted here; the request path tries the other copies */
		this_cpu_inc(d->stats->v[IPMEM_STAT_INTEGRITY_ERRORS]);
		pr_err_ratelimited("%s: data at byte %llu from copy %d fails verification in 1 page(s): altered, stale or zeroed at the lender; not used\n",
				   d->gd->disk_name, pos, r);
		return -EIO;
	}

	this_cpu_inc(d->stats->v[IPMEM_STAT_READS]);
	this_cpu_add(d->stats->v[IPMEM_STAT_READ_BYTES], PAGE_SIZE);
	ipmem_lat_record(d, start);
	page_endio(page, false, 0);
	return 0;
}
#endif /* IPMEM_HAVE_RW_PAGE */

/* ---------------------------------------------------------------- disks */

static int ipmem_disk_open(struct gendisk *gd)
{
	struct ipmem_disk *d = gd->private_data;

	/* being removed: nobody may open it again */
	return d->removing ? -ENODEV : 0;
}

IPMEM_BDEV_OPEN(ipmem_open, ipmem_disk_open)

static const struct block_device_operations ipmem_fops = {
	.owner = THIS_MODULE,
	.open = ipmem_open,
#ifdef IPMEM_HAVE_RW_PAGE
	.rw_page = ipmem_rw_page,
#endif
};

#ifdef IPMEM_HAVE_RW_PAGE
/* without ->rw_page: swap reads through the swap cache, with readahead */
static const struct block_device_operations ipmem_fops_queued = {
	.owner = THIS_MODULE,
	.open = ipmem_open,
};
#else
/* from 6.3 on, the queue's BLK_FEAT_SYNCHRONOUS makes the difference */
#define ipmem_fops_queued	ipmem_fops
#endif

struct ipmem_disk *ipmem_disk_find(int id)
{
	struct ipmem_disk *d;

	lockdep_assert_held(&ipmem_cfg_lock);

	list_for_each_entry(d, &ipmem_disks, node)
		if (d->id == id)
			return d;
	return NULL;
}

static void ipmem_disk_free(struct ipmem_disk *d)
{
	mempool_destroy(d->bounce);
	ipmem_crypt_free(d->crypt);
	kfree(d->refill_buf);
	free_percpu(d->lat);
	free_percpu(d->stats);
	xa_destroy(&d->extents);
	kfree(d);
}

int ipmem_disk_create(u64 size, u32 block_size, u8 replicas, int id,
		      bool encrypt, struct ipmem_disk **out,
		      struct netlink_ext_ack *extack)
{
	char cipher[CRYPTO_MAX_ALG_NAME];
	struct queue_limits lim = {};
	struct ipmem_disk *d, *pos;
	struct gendisk *gd;
	int shift, ret;

	lockdep_assert_held(&ipmem_cfg_lock);

	shift = ipmem_block_shift(block_size);
	if (shift < 0) {
		NL_SET_ERR_MSG(extack,
			       "block size must be a power of two from 4 KiB to 64 KiB");
		return -EINVAL;
	}
	if (!size || size & (block_size - 1)) {
		NL_SET_ERR_MSG(extack,
			       "disk size must be a non-zero multiple of the block size");
		return -EINVAL;
	}
	if (!replicas || replicas > IPMEM_MAX_REPLICAS) {
		NL_SET_ERR_MSG(extack, "replicas must be 1 to 3");
		return -EINVAL;
	}

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->size = size;
	d->block_size = block_size;
	d->block_shift = shift;
	d->replicas = replicas;
	d->nr_extents = size >> shift;
	xa_init(&d->extents);
	mutex_init(&d->refill_lock);
	mutex_init(&d->state_lock);
	INIT_DELAYED_WORK(&d->refill_work, ipmem_refill_work);
	INIT_WORK(&d->wanted_work, ipmem_wanted_work);
	INIT_DELAYED_WORK(&d->recheck_work, ipmem_recheck_work);
	init_completion(&d->refill_done);
	d->stats = alloc_percpu(struct ipmem_disk_stats);
	d->lat = __alloc_percpu(sizeof(u64) * (IPMEM_LAT_BUCKETS + 1),
				sizeof(u64));
	if (!d->stats || !d->lat) {
		ret = -ENOMEM;
		goto out_free;
	}
	if (encrypt) {
		kernel_param_lock(THIS_MODULE);
		strscpy(cipher, ipmem_cipher, sizeof(cipher));
		kernel_param_unlock(THIS_MODULE);
		/* as written to the parameter, with echo's newline */
		d->crypt = ipmem_crypt_alloc(strim(cipher), extack);
		if (IS_ERR(d->crypt)) {
			ret = PTR_ERR(d->crypt);
			d->crypt = NULL;
			goto out_free;
		}
		d->bounce = mempool_create_page_pool(IPMEM_BOUNCE_PAGES, 0);
		if (!d->bounce) {
			ret = -ENOMEM;
			goto out_free;
		}
	}

	if (id >= 0)
		ret = ida_alloc_range(&ipmem_ida, id, id, GFP_KERNEL);
	else
		ret = ida_alloc_max(&ipmem_ida, MINORMASK, GFP_KERNEL);
	if (ret < 0) {
		if (ret == -ENOSPC)
			NL_SET_ERR_MSG(extack, "that disk number is in use");
		goto out_free;
	}
	d->id = ret;

	/* a request is at most one extent and never crosses one */
	lim.logical_block_size = PAGE_SIZE;
	lim.physical_block_size = PAGE_SIZE;
	lim.io_min = PAGE_SIZE;
	lim.max_hw_sectors = block_size >> SECTOR_SHIFT;
	lim.chunk_sectors = block_size >> SECTOR_SHIFT;
	lim.max_segments = IPMEM_MAX_SEGS;
	lim.max_segment_size = block_size;
	lim.max_hw_discard_sectors = UINT_MAX >> SECTOR_SHIFT;
	lim.discard_granularity = block_size;
	/* pages are sealed one by one: direct I/O must bring whole pages */
	if (d->crypt)
		lim.dma_alignment = PAGE_SIZE - 1;
	gd = ipmem_alloc_disk(&ipmem_tag_set, &lim, ipmem_direct_read, d);
	if (IS_ERR(gd)) {
		ret = PTR_ERR(gd);
		goto out_free_id;
	}
	d->gd = gd;
	gd->major = ipmem_major;
	gd->first_minor = d->id;
	gd->minors = 1;
	gd->fops = ipmem_direct_read ? &ipmem_fops : &ipmem_fops_queued;
	gd->private_data = d;
	gd->flags |= GENHD_FL_NO_PART;
	snprintf(gd->disk_name, DISK_NAME_LEN, "ipmem%d", d->id);
	set_capacity(gd, size >> SECTOR_SHIFT);
	blk_queue_rq_timeout(gd->queue, IPMEM_RQ_TIMEOUT);

	ret = device_add_disk(NULL, gd, ipmem_disk_groups);
	if (ret)
		goto out_put_disk;

	/* ordered by id: the table dump resumes by id */
	mutex_lock(&ipmem_blk_lock);
	list_for_each_entry(pos, &ipmem_disks, node)
		if (pos->id > d->id)
			break;
	list_add_tail(&d->node, &pos->node);
	mutex_unlock(&ipmem_blk_lock);
	pr_info("%s: %llu bytes, %llu extents of %u bytes, %u copies, %s%s\n",
		gd->disk_name, size, d->nr_extents, block_size, replicas,
		d->crypt ? "encrypted with " : "not encrypted",
		d->crypt ? ipmem_crypt_driver(d->crypt) : "");
	*out = d;
	return 0;

out_put_disk:
	put_disk(gd);
out_free_id:
	ida_free(&ipmem_ida, d->id);
out_free:
	ipmem_disk_free(d);
	return ret;
}

static void ipmem_disk_destroy(struct ipmem_disk *d)
{
	pr_info("%s: removed\n", d->gd->disk_name);
	mutex_lock(&ipmem_blk_lock);
	list_del(&d->node);
	mutex_unlock(&ipmem_blk_lock);
	/* waits for every request to end */
	del_gendisk(d->gd);
	WRITE_ONCE(d->removing, true);
	cancel_delayed_work_sync(&d->refill_work);
	cancel_work_sync(&d->wanted_work);
	cancel_delayed_work_sync(&d->recheck_work);
	ipmem_disk_unmap_all(d);
	put_disk(d->gd);
	ida_free(&ipmem_ida, d->id);
	ipmem_disk_free(d);
}

int ipmem_disk_remove(int id, struct netlink_ext_ack *extack)
{
	struct ipmem_disk *d;

	lockdep_assert_held(&ipmem_cfg_lock);

	d = ipmem_disk_find(id);
	if (!d) {
		NL_SET_ERR_MSG(extack, "no such disk");
		return -ENOENT;
	}
	mutex_lock(&d->gd->open_mutex);
	if (disk_openers(d->gd)) {
		mutex_unlock(&d->gd->open_mutex);
		NL_SET_ERR_MSG(extack, "the disk is in use (swapoff first)");
		return -EBUSY;
	}
	d->removing = true;
	mutex_unlock(&d->gd->open_mutex);
	ipmem_disk_destroy(d);
	return 0;
}

/* DISK_GET's LATENCY: the buckets with reads, and the sum */
static int ipmem_disk_fill_latency(struct sk_buff *skb, struct ipmem_disk *d)
{
	struct nlattr *nest;
	u64 *sum;
	int b, ret = -EMSGSIZE;

	sum = kmalloc_array(IPMEM_LAT_BUCKETS + 1, sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	ipmem_lat_sum(d, sum);
	nest = nla_nest_start(skb, IPMEM_A_LATENCY);
	if (!nest)
		goto out;
	for (b = 0; b < IPMEM_LAT_BUCKETS; b++)
		if (sum[b] && nla_put_u64_64bit(skb, b + 1, sum[b],
						IPMEM_LAT_SUM_ATTR + 1))
			goto out;
	if (nla_put_u64_64bit(skb, IPMEM_LAT_SUM_ATTR, sum[IPMEM_LAT_BUCKETS],
			      IPMEM_LAT_SUM_ATTR + 1))
		goto out;
	nla_nest_end(skb, nest);
	ret = 0;
out:
	kfree(sum);
	return ret;
}

int ipmem_disk_fill(struct sk_buff *skb, struct ipmem_disk *d)
{
	struct ipmem_disk_stats s;
	struct nlattr *nest;
	int i;

	ipmem_disk_stats_sum(d, &s);
	if (nla_put_u32(skb, IPMEM_A_DISK, d->id) ||
	    nla_put_string(skb, IPMEM_A_NAME, d->gd->disk_name) ||
	    nla_put_u64_64bit(skb, IPMEM_A_SIZE, d->size, IPMEM_A_PAD) ||
	    nla_put_u32(skb, IPMEM_A_BLOCK_SIZE, d->block_size) ||
	    nla_put_u8(skb, IPMEM_A_REPLICAS, d->replicas) ||
	    nla_put_u64_64bit(skb, IPMEM_A_EXTENT_COUNT, d->nr_extents,
			      IPMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, IPMEM_A_COPIES_MAPPED, d->nr_mapped,
			      IPMEM_A_PAD) ||
	    nla_put_u8(skb, IPMEM_A_ENCRYPT, !!d->crypt))
		return -EMSGSIZE;
	nest = nla_nest_start(skb, IPMEM_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = IPMEM_STAT_PAD + 1; i < __IPMEM_STAT_MAX; i++)
		if (nla_put_u64_64bit(skb, i, s.v[i], IPMEM_STAT_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return ipmem_disk_fill_latency(skb, d);
}

/* Read latency histograms: "disk <us count" per bucket. */
void ipmem_blk_show_latency(struct seq_file *m)
{
	u64 sum[IPMEM_LAT_BUCKETS + 1];
	struct ipmem_disk *d;
	int b;

	mutex_lock(&ipmem_blk_lock);
	list_for_each_entry(d, &ipmem_disks, node) {
		ipmem_lat_sum(d, sum);
		seq_printf(m, "%s read latency (us): reads from the previous bound up to each bound\n",
			   d->gd->disk_name);
		for (b = 0; b < IPMEM_LAT_BUCKETS; b++)
			seq_printf(m, "%s <%llu %llu\n", d->gd->disk_name,
				   ipmem_lat_bound(b), sum[b]);
	}
	mutex_unlock(&ipmem_blk_lock);
}

/*
 * The transport's events: a lender came back, gave up, or lost keys.
 * Requests waiting for it look again, and so does the refill.
 */
static void ipmem_blk_lender_event(struct ipmem_lender *l,
				   enum ipmem_clt_event ev)
{
	struct ipmem_disk *d;

	mutex_lock(&ipmem_blk_lock);
	list_for_each_entry(d, &ipmem_disks, node) {
		blk_mq_kick_requeue_list(d->gd->queue);
		ipmem_refill_kick(d, 0);
	}
	mutex_unlock(&ipmem_blk_lock);
}

int ipmem_blk_init(void)
{
	int ret;

	ipmem_clt_init(ipmem_blk_lender_event);
	ipmem_major = register_blkdev(0, "ipmem");
	if (ipmem_major < 0)
		return ipmem_major;

	ipmem_tag_set.ops = &ipmem_mq_ops;
	ipmem_tag_set.nr_hw_queues = ipmem_nr_queues;
	ipmem_tag_set.queue_depth = ipmem_queue_depth;
	ipmem_tag_set.numa_node = NUMA_NO_NODE;
	ipmem_tag_set.cmd_size = sizeof(struct ipmem_req);
	ipmem_tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	ret = blk_mq_alloc_tag_set(&ipmem_tag_set);
	if (ret) {
		unregister_blkdev(ipmem_major, "ipmem");
		return ret;
	}
	return 0;
}

/* Module unload: no disk is open (the module would be in use). */
void ipmem_blk_exit(void)
{
	struct ipmem_disk *d, *tmp;

	list_for_each_entry_safe(d, tmp, &ipmem_disks, node) {
		d->removing = true;
		ipmem_disk_destroy(d);
	}
	blk_mq_free_tag_set(&ipmem_tag_set);
	unregister_blkdev(ipmem_major, "ipmem");
	ida_destroy(&ipmem_ida);
}
