// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem borrower: the mem-to-ip table of a disk.  Each extent of a disk
 * has up to IPMEM_COPY_SLOTS copies, each a block of some lender: the
 * table maps (disk, extent, copy) to (lender, block, grant generation).
 * Here it changes (IPMEM_CMD_MAP_NEW/DEL, a disk going away) and is shown
 * (the MAP_GET dump, the disk's state, debugfs).  It changes only with
 * the disk held (ipmem_disk_hold(): no request in flight) and its refill
 * lock held, under ipmem_cfg_lock; the I/O path (ipmem_blk.c) reads it
 * under RCU.  Lenders are reached
 * through the transport's API (ipmem_clt.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "ipmem_blk.h"

static void ipmem_disk_drop_empty(struct ipmem_disk *d);

/*
 * Blocks given back to the transport, gathered into runs of consecutive
 * blocks of one lender: one call per run rather than per block.
 */
struct ipmem_unmap_run {
	struct ipmem_lender *lender;
	u64 first;
	u64 count;
};

static void ipmem_unmap_flush(struct ipmem_unmap_run *run)
{
	if (run->count)
		ipmem_clt_unmap(run->lender, run->first, run->count);
	run->count = 0;
}

static void ipmem_unmap_add(struct ipmem_unmap_run *run,
			    struct ipmem_lender *l, u64 block)
{
	if (run->count && run->lender == l &&
	    block == run->first + run->count) {
		run->count++;
		return;
	}
	ipmem_unmap_flush(run);
	run->lender = l;
	run->first = block;
	run->count = 1;
}

/* Unmap every copy of @d (its queue is gone). */
void ipmem_disk_unmap_all(struct ipmem_disk *d)
{
	struct ipmem_unmap_run run[IPMEM_COPY_SLOTS] = {};
	struct ipmem_lender *l;
	struct ipmem_ext *e;
	unsigned long idx;
	int r;

	xa_for_each(&d->extents, idx, e) {
		for (r = 0; r < IPMEM_COPY_SLOTS; r++) {
			l = e->rep[r].lender;
			if (!l)
				continue;
			e->rep[r].lender = NULL;
			ipmem_unmap_add(&run[r], l, e->rep[r].block);
		}
		xa_erase(&d->extents, idx);
		kfree_rcu(e, rcu);
	}
	for (r = 0; r < IPMEM_COPY_SLOTS; r++)
		ipmem_unmap_flush(&run[r]);
	d->nr_mapped = 0;
}

/* ---------------------------------------------------------------- state */

/* Can copy @r of @e serve a read now?  Under rcu_read_lock(). */
static bool ipmem_rep_usable(struct ipmem_ext *e, int r)
{
	/* read once: MAP_DEL may clear it under us (no freeze for readers) */
	struct ipmem_lender *l = READ_ONCE(e->rep[r].lender);

	return l && !test_bit(r, &e->stale) &&
	       ipmem_clt_copy_state(l, e->rep[r].block, e->rep[r].gen,
				    false) == IPMEM_COPY_OK;
}

/*
 * The disk's state (Documentation/ABI/testing/sysfs-block-ipmem):
 *
 * ready       every extent has all its copies, current and reachable
 * degraded    every extent has a usable copy, some fewer than configured
 * failed      some mapped extent has no usable copy, or lost pages: some
 *             of its reads fail
 * incomplete  some extent is not mapped at all
 *
 * Anyone may read it, so the walk yields every few thousand extents and
 * only one runs per disk at a time.
 */
const char *ipmem_disk_state(struct ipmem_disk *d)
{
	bool degraded = false, failed = false, incomplete = false;
	struct ipmem_ext *e;
	int r, good, mapped;
	u64 i;

	mutex_lock(&d->state_lock);
	rcu_read_lock();
	for (i = 0; i < d->nr_extents; i++) {
		if (!(i & 4095) && i) {
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
		e = xa_load(&d->extents, i);
		if (!e) {
			incomplete = true;
			continue;
		}
		good = 0;
		mapped = 0;
		/* a spare copy (a move under way) counts as one more */
		for (r = 0; r < IPMEM_COPY_SLOTS; r++) {
			if (!READ_ONCE(e->rep[r].lender))
				continue;
			mapped++;
			good += ipmem_rep_usable(e, r);
		}
		if (!mapped)
			incomplete = true;
		else if (!good || READ_ONCE(e->lost))
			failed = true;
		else if (good < d->replicas)
			degraded = true;
	}
	rcu_read_unlock();
	mutex_unlock(&d->state_lock);
	if (incomplete)
		return "incomplete";
	if (failed)
		return "failed";
	return degraded ? "degraded" : "ready";
}

/* ------------------------------------------------------------- mappings */

/* First extent of a run of @count with copy @r free, or -1. */
static s64 ipmem_find_free_run(struct ipmem_disk *d, int r, u64 count)
{
	struct ipmem_ext *e;
	u64 start = 0, i;

	for (i = 0; i < d->nr_extents; i++) {
		e = xa_load(&d->extents, i);
		if (e && e->rep[r].lender) {
			start = i + 1;
			continue;
		}
		if (i + 1 - start == count)
			return start;
	}
	return -1;
}

/* Is any of blocks @first..@first+@count-1 of @l mapped anywhere? */
static bool ipmem_blocks_mapped(struct ipmem_lender *l, u64 first, u64 count)
{
	struct ipmem_disk *d;
	struct ipmem_ext *e;
	unsigned long i;
	int r;

	lockdep_assert_held(&ipmem_cfg_lock);

	list_for_each_entry(d, &ipmem_disks, node)
		xa_for_each(&d->extents, i, e)
			for (r = 0; r < IPMEM_COPY_SLOTS; r++)
				if (e->rep[r].lender == l &&
				    e->rep[r].block >= first &&
				    e->rep[r].block < first + count)
					return true;
	return false;
}

/*
 * The lender of @prefix, connected, with the keys of its blocks, which
 * must be writable and mapped nowhere yet; the blocks count as mapped.
 * Only the transport's locks are taken, never across the others'.
 */
static struct ipmem_lender *ipmem_map_take(struct ipmem_disk *d,
					   const u8 *prefix, u64 first,
					   u64 count,
					   struct netlink_ext_ack *extack)
{
	struct ipmem_lender *l;
	int ret;

	l = ipmem_clt_get(prefix, d->block_size, extack);
	if (IS_ERR(l))
		return l;
	ret = -EEXIST;
	if (ipmem_blocks_mapped(l, first, count)) {
		/* two extents on one block would overwrite each other */
		NL_SET_ERR_MSG(extack, "some of those blocks are already mapped");
		goto out_put;
	}
	ret = ipmem_clt_map(l, first, count, extack);
out_put:
	/* the mapping holds the lender now, if it was made */
	ipmem_clt_put(l);
	return ret ? ERR_PTR(ret) : l;
}

int ipmem_map_add(struct ipmem_disk *d, const u8 *prefix, u8 plen,
		  s64 extent, int replica, u64 *ext_out, int *rep_out,
		  struct netlink_ext_ack *extack)
{
	struct ipmem_lender *l;
	struct ipmem_ext *e;
	u64 first, count, i;
	u32 host;
	int r, ret;

	lockdep_assert_held(&ipmem_cfg_lock);

	ret = ipmem_prefix_check(prefix, plen, &host, &first, &count, extack);
	if (ret)
		return ret;
	/*
	 * Copies past the disk's replicas are spares: mapped at an extent
	 * that has its copies already, to move one of them (fill the spare,
	 * then unmap the old copy).  Placement without an extent only uses
	 * the disk's own copies.
	 */
	if (replica >= IPMEM_COPY_SLOTS) {
		NL_SET_ERR_MSG(extack, "the disk has fewer copies");
		return -EINVAL;
	}
	if (replica >= d->replicas && extent < 0) {
		NL_SET_ERR_MSG(extack, "a spare copy needs an extent");
		return -EINVAL;
	}
	if (count > d->nr_extents) {
		NL_SET_ERR_MSG(extack, "more blocks than the disk has extents");
		return -ERANGE;
	}
	if (extent >= 0 && (extent >= d->nr_extents ||
			    count > d->nr_extents - extent)) {
		NL_SET_ERR_MSG(extack, "the blocks reach past the end of the disk");
		return -ERANGE;
	}

	/* Where: the given slots, or the first free run, copy 0 first. */
	if (extent < 0) {
		for (r = replica < 0 ? 0 : replica; r < d->replicas; r++) {
			extent = ipmem_find_free_run(d, r, count);
			if (extent >= 0 || replica >= 0)
				break;
		}
		if (extent < 0) {
			NL_SET_ERR_MSG(extack,
				       "no run of free extents that long on the disk");
			return -ENOSPC;
		}
		replica = r;
	} else if (replica < 0) {
		replica = 0;
	}
	for (i = 0; i < count; i++) {
		e = xa_load(&d->extents, extent + i);
		if (e && e->rep[replica].lender) {
			NL_SET_ERR_MSG(extack, "an extent copy is already mapped");
			return -EEXIST;
		}
	}

	/*
	 * Locks: refill_lock, then the transport's for the lender and its
	 * keys, released before the disk is held: requests that wait
	 * for a lender to come back need its recovery, which takes them.
	 */
	mutex_lock(&d->refill_lock);
	l = ipmem_map_take(d, prefix, first, count, extack);
	if (IS_ERR(l)) {
		ret = PTR_ERR(l);
		goto out_unlock;
	}

	/* All or nothing: the extents are there before anything changes. */
	for (i = 0; i < count; i++) {
		if (xa_load(&d->extents, extent + i))
			continue;
		e = kzalloc(ipmem_ext_size(d), GFP_KERNEL);
		/* an extent without copies reads as unmapped: harmless */
		if (!e || xa_err(xa_store(&d->extents, extent + i, e,
					  GFP_KERNEL))) {
			kfree(e);
			NL_SET_ERR_MSG(extack, "out of memory for the mapping table");
			ret = -ENOMEM;
			goto out_untake;
		}
	}

	/* No request may see an extent half changed. */
	ipmem_disk_hold(d);
	rcu_read_lock();
	for (i = 0; i < count; i++) {
		e = xa_load(&d->extents, extent + i);
		/*
		 * A new copy of an extent that holds data has to be filled
		 * from a current copy.  With none left, the data is gone:
		 * its pages are lost (ipmem_map_del()) and read as errors,
		 * and the new copy takes what is written from now on.
		 */
		if (test_bit(IPMEM_EXT_WRITTEN, &e->flags) &&
		    ipmem_ext_has_current(e))
			set_bit(replica, &e->stale);
		e->rep[replica].block = first + i;
		/* a key lost meanwhile: the copy starts lost, never wrong */
		e->rep[replica].gen = ipmem_clt_gen(l, first + i);
		smp_wmb();	/* pairs with ipmem_rw_page() */
		WRITE_ONCE(e->rep[replica].lender, l);
	}
	rcu_read_unlock();
	d->nr_mapped += count;
	ipmem_disk_unhold(d);
	mutex_unlock(&d->refill_lock);
	ipmem_refill_kick(d, 0);
	*ext_out = extent;
	*rep_out = replica;
	return 0;

out_untake:
	ipmem_disk_drop_empty(d);
	ipmem_clt_unmap(l, first, count);
out_unlock:
	mutex_unlock(&d->refill_lock);
	return ret;
}

/*
 * Remove extents without copies that hold no data (one that does keeps
 * its lost pages); no request may be in flight on them.
 */
static void ipmem_disk_drop_empty(struct ipmem_disk *d)
{
	struct ipmem_ext *e;
	unsigned long i;
	int r;

	xa_for_each(&d->extents, i, e) {
		if (test_bit(IPMEM_EXT_WRITTEN, &e->flags))
			continue;
		for (r = 0; r < IPMEM_COPY_SLOTS; r++)
			if (e->rep[r].lender)
				break;
		if (r == IPMEM_COPY_SLOTS) {
			xa_erase(&d->extents, i);
			kfree_rcu(e, rcu);
		}
	}
}

struct ipmem_unmapped {
	struct ipmem_lender *lender;
	u64 block;
};

static bool ipmem_rep_in(struct ipmem_rep *rep, u32 host, u64 first,
			 u64 count)
{
	return rep->lender && ipmem_clt_host_id(rep->lender) == host &&
	       rep->block >= first && rep->block < first + count;
}

/*
 * Would unmapping @e's copies in @first..@count of @host lose data: some
 * copy is there, @e holds data that is not lost already, and no current
 * copy elsewhere has it?  A copy elsewhere is current if it is not stale
 * and its key is not lost (its lender may be away: it comes back).
 */
static bool ipmem_unmap_loses(struct ipmem_disk *d, struct ipmem_ext *e,
			      u32 host, u64 first, u64 count)
{
	bool hit = false, other = false;
	struct ipmem_rep *rep;
	int r;

	if (!test_bit(IPMEM_EXT_WRITTEN, &e->flags) ||
	    READ_ONCE(e->lost) == ipmem_page_mask(0, d->block_size))
		return false;
	rcu_read_lock();
	for (r = 0; r < IPMEM_COPY_SLOTS; r++) {
		rep = &e->rep[r];
		if (ipmem_rep_in(rep, host, first, count))
			hit = true;
		else if (rep->lender && !test_bit(r, &e->stale) &&
			 ipmem_clt_copy_state(rep->lender, rep->block, rep->gen,
					      false) != IPMEM_COPY_LOST)
			other = true;
	}
	rcu_read_unlock();
	return hit && !other;
}

/* Would unmapping the copies in those blocks lose data of @d? */
static bool ipmem_disk_unmap_loses(struct ipmem_disk *d, u32 host, u64 first,
				   u64 count)
{
	struct ipmem_ext *e;
	unsigned long i;

	xa_for_each(&d->extents, i, e)
		if (ipmem_unmap_loses(d, e, host, first, count))
			return true;
	return false;
}

/* Does an extent with a copy in those blocks hold data? */
static bool ipmem_disk_unmap_written(struct ipmem_disk *d, u32 host,
				     u64 first, u64 count)
{
	struct ipmem_ext *e;
	unsigned long i;
	int r;

	xa_for_each(&d->extents, i, e) {
		if (!test_bit(IPMEM_EXT_WRITTEN, &e->flags))
			continue;
		for (r = 0; r < IPMEM_COPY_SLOTS; r++)
			if (ipmem_rep_in(&e->rep[r], host, first, count))
				return true;
	}
	return false;
}

/*
 * Unmap the copies in the blocks of @prefix from every disk.  Unless
 * @force, not if the only copy of some swapped data is among them; with
 * @free_only, not if any of their extents holds data at all (what swap
 * discarded, and its blocks can go back to their lender).  That is
 * decided with the disk held (ipmem_disk_hold(): no write in flight, none
 * can start), so a write that a copy being unmapped missed is seen; and
 * such an unmap takes the blocks of one disk only, so that a refusal
 * changes nothing.
 */
int ipmem_map_del(const u8 *prefix, u8 plen, bool force, bool free_only,
		  struct netlink_ext_ack *extack)
{
	struct ipmem_unmap_run run = {};
	struct ipmem_unmapped **gone;
	u64 first, count, *n, j;
	struct ipmem_disk *d;
	struct ipmem_ext *e;
	int r, k, nd = 0, nhit = 0, ret;
	unsigned long i;
	u32 host;

	lockdep_assert_held(&ipmem_cfg_lock);

	ret = ipmem_prefix_check(prefix, plen, &host, &first, &count, extack);
	if (ret)
		return ret;

	/* All or nothing: the memory for every disk before any change. */
	list_for_each_entry(d, &ipmem_disks, node)
		nd++;
	n = kcalloc(nd, sizeof(*n), GFP_KERNEL);
	gone = kcalloc(nd, sizeof(*gone), GFP_KERNEL);
	ret = -ENOMEM;
	if (!n || !gone)
		goto out_free;
	k = 0;
	list_for_each_entry(d, &ipmem_disks, node) {
		xa_for_each(&d->extents, i, e) {
			for (r = 0; r < IPMEM_COPY_SLOTS; r++)
				n[k] += ipmem_rep_in(&e->rep[r], host, first,
						     count);
		}
		if (n[k]) {
			nhit++;
			gone[k] = kvmalloc_array(n[k], sizeof(**gone),
						 GFP_KERNEL);
			if (!gone[k])
				goto out_free;
		}
		k++;
	}
	if (!nhit) {
		NL_SET_ERR_MSG(extack, "none of those blocks is mapped");
		ret = -ENOENT;
		goto out_free;
	}
	if ((!force || free_only) && nhit > 1) {
		if (free_only)
			NL_SET_ERR_MSG(extack,
				       "those blocks are mapped in more than one disk: unmap each disk's part (a longer prefix)");
		else
			NL_SET_ERR_MSG(extack,
				       "those blocks are mapped in more than one disk: unmap each disk's part (a longer prefix), or force");
		ret = -EBUSY;
		goto out_free;
	}
	/*
	 * Refused at once if it would lose data now (holding the disk waits
	 * for the I/O in flight); if not, decided again below with the disk
	 * held.
	 */
	k = 0;
	list_for_each_entry(d, &ipmem_disks, node) {
		if (n[k] && free_only &&
		    ipmem_disk_unmap_written(d, host, first, count))
			goto out_written;
		if (n[k++] && !force &&
		    ipmem_disk_unmap_loses(d, host, first, count))
			goto out_loses;
	}

	k = 0;
	list_for_each_entry(d, &ipmem_disks, node) {
		if (!n[k++])
			continue;
		/* drains in-flight I/O: nothing uses the copies after this */
		mutex_lock(&d->refill_lock);
		ipmem_disk_hold(d);
		if (free_only &&
		    ipmem_disk_unmap_written(d, host, first, count)) {
			/* the only disk: nothing has changed */
			ipmem_disk_unhold(d);
			mutex_unlock(&d->refill_lock);
			goto out_written;
		}
		if (!force && ipmem_disk_unmap_loses(d, host, first, count)) {
			/* the only disk: nothing has changed */
			ipmem_disk_unhold(d);
			mutex_unlock(&d->refill_lock);
			goto out_loses;
		}
		j = 0;
		xa_for_each(&d->extents, i, e) {
			bool hit = false;

			for (r = 0; r < IPMEM_COPY_SLOTS; r++) {
				if (!ipmem_rep_in(&e->rep[r], host, first, count))
					continue;
				gone[k - 1][j].lender = e->rep[r].lender;
				gone[k - 1][j].block = e->rep[r].block;
				j++;
				WRITE_ONCE(e->rep[r].lender, NULL);
				clear_bit(r, &e->stale);
				hit = true;
			}
			/*
			 * The last current copy of data went: that data is
			 * lost.  Its pages fail reads until they are written
			 * again; the stale copies left (if any) take those
			 * writes like any current copy.
			 */
			if (hit && test_bit(IPMEM_EXT_WRITTEN, &e->flags) &&
			    !ipmem_ext_has_current(e)) {
				ipmem_ext_lose(d, e, ipmem_page_mask(0, d->block_size));
				e->stale = 0;
			}
		}
		ipmem_disk_drop_empty(d);
		d->nr_mapped -= n[k - 1];
		ipmem_disk_unhold(d);

		for (j = 0; j < n[k - 1]; j++)
			ipmem_unmap_add(&run, gone[k - 1][j].lender,
					gone[k - 1][j].block);
		ipmem_unmap_flush(&run);
		mutex_unlock(&d->refill_lock);
	}
	ret = 0;
	goto out_free;
out_loses:
	NL_SET_ERR_MSG(extack,
		       "data swapped to those blocks has no other copy: it would be lost (force unmaps anyway)");
	ret = -EBUSY;
	goto out_free;
out_written:
	NL_SET_ERR_MSG(extack,
		       "some of those extents hold data: only extents that swap discarded are unmapped");
	ret = -EBUSY;
out_free:
	for (k = 0; gone && k < nd; k++)
		kvfree(gone[k]);
	kfree(gone);
	kfree(n);
	return ret;
}

/* State of copy @r as the dump reports it; under rcu_read_lock(). */
static u8 ipmem_rep_state(struct ipmem_ext *e, int r)
{
	if (ipmem_clt_copy_state(e->rep[r].lender, e->rep[r].block,
				 e->rep[r].gen, false) == IPMEM_COPY_LOST)
		return IPMEM_MAP_LOST;
	return test_bit(r, &e->stale) ? IPMEM_MAP_STALE : IPMEM_MAP_OK;
}

/* Is @e left out of a dump that lists only extents without data? */
static bool ipmem_dump_skips(struct ipmem_ext *e, bool free_only)
{
	return free_only && test_bit(IPMEM_EXT_WRITTEN, &e->flags);
}

static bool ipmem_rep_follows(struct ipmem_ext *prev, struct ipmem_ext *e,
			      int r, bool free_only)
{
	return e && e->rep[r].lender == prev->rep[r].lender &&
	       e->rep[r].block == prev->rep[r].block + 1 &&
	       ipmem_rep_state(e, r) == ipmem_rep_state(prev, r) &&
	       !ipmem_dump_skips(e, free_only);
}

static int ipmem_map_put_run(struct sk_buff *skb, struct netlink_callback *cb,
			     struct ipmem_disk *d, u64 first, u64 n,
			     struct ipmem_ext *e, int r)
{
	struct ipmem_lender *l = e->rep[r].lender;
	u8 state = ipmem_rep_state(e, r);
	void *hdr;

	hdr = ipmem_nl_dump_hdr(skb, cb, IPMEM_CMD_MAP_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, IPMEM_A_DISK, d->id) ||
	    nla_put_u64_64bit(skb, IPMEM_A_EXTENT, first, IPMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, IPMEM_A_EXTENT_COUNT, n, IPMEM_A_PAD) ||
	    nla_put_u8(skb, IPMEM_A_REPLICA, r) ||
	    ipmem_nl_put_block(skb, ipmem_clt_host_id(l), e->rep[r].block,
			       128) ||
	    ipmem_nl_put_addr(skb, IPMEM_A_NEXTHOP, ipmem_clt_nexthop(l)) ||
	    nla_put_u8(skb, IPMEM_A_RIGHTS, state == IPMEM_MAP_LOST ? 0 :
		       ipmem_clt_rights(l, e->rep[r].block)) ||
	    nla_put_u8(skb, IPMEM_A_STATE, state)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * Anyone may dump the table, so the work of one dump call is bounded: it
 * yields the CPU every IPMEM_DUMP_YIELD extents it looks at, returns what
 * it has once it looked at IPMEM_DUMP_BUDGET, and a run in one message
 * covers at most IPMEM_DUMP_RUN extents (a longer one continues in the
 * next message).
 */
#define IPMEM_DUMP_YIELD	4096
#define IPMEM_DUMP_BUDGET	65536
#define IPMEM_DUMP_RUN		65536

/*
 * Dump the table as runs.  Cursor: args[0] disk id + 1 to resume at,
 * args[1] copy, args[2] extent; args[3] the disk filter + 1 (0 = all);
 * args[4] only extents that hold no data (FREE_ONLY).
 */
int ipmem_map_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned long i, start, steps = 0, yield = IPMEM_DUMP_YIELD;
	struct ipmem_ext *e, *prev, *next;
	bool free_only = cb->args[4];
	struct ipmem_disk *d;
	int r, ret = 0;

	mutex_lock(&ipmem_cfg_lock);
	rcu_read_lock();
	list_for_each_entry(d, &ipmem_disks, node) {
		if (cb->args[3] && d->id != cb->args[3] - 1)
			continue;
		if (d->id + 1 < cb->args[0])
			continue;
		if (d->id + 1 > cb->args[0]) {
			cb->args[0] = d->id + 1;
			cb->args[1] = 0;
			cb->args[2] = 0;
		}
		for (r = cb->args[1]; r < IPMEM_COPY_SLOTS; r++) {
			i = cb->args[2];
			/* holes (extents never mapped) cost nothing */
			while ((e = xa_find(&d->extents, &i, d->nr_extents - 1,
					    XA_PRESENT))) {
				if (++steps >= yield) {
					yield = steps + IPMEM_DUMP_YIELD;
					cb->args[1] = r;
					cb->args[2] = i;
					if (skb->len && steps >= IPMEM_DUMP_BUDGET)
						goto out;
					/* @e goes with the read-side section */
					rcu_read_unlock();
					cond_resched();
					rcu_read_lock();
					continue;
				}
				if (!e->rep[r].lender ||
				    ipmem_dump_skips(e, free_only)) {
					i++;
					continue;
				}
				start = i;
				prev = e;
				while (i + 1 < d->nr_extents &&
				       i + 1 - start < IPMEM_DUMP_RUN) {
					next = xa_load(&d->extents, i + 1);
					if (!ipmem_rep_follows(prev, next, r,
							       free_only))
						break;
					prev = next;
					i++;
				}
				steps += i - start;
				ret = ipmem_map_put_run(skb, cb, d, start,
							i - start + 1, e, r);
				if (ret) {
					cb->args[1] = r;
					cb->args[2] = start;
					goto out;
				}
				i++;
			}
			cb->args[2] = 0;
		}
		cb->args[1] = 0;
		cb->args[0] = d->id + 2;
	}
out:
	rcu_read_unlock();
	mutex_unlock(&ipmem_cfg_lock);
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

static const char * const ipmem_map_state_names[] = {
	[IPMEM_MAP_OK] = "ok",
	[IPMEM_MAP_STALE] = "stale",
	[IPMEM_MAP_LOST] = "lost",
};

/* The mem-to-ip table, one line per extent copy.  Under cfg_lock. */
void ipmem_blk_show_table(struct seq_file *m)
{
	struct ipmem_lender *l;
	struct ipmem_disk *d;
	struct ipmem_ext *e;
	unsigned long i;
	u8 a[16], state;
	int r;

	seq_puts(m, "disk extent copy block-address next-hop rights state\n");
	rcu_read_lock();
	list_for_each_entry(d, &ipmem_disks, node) {
		xa_for_each(&d->extents, i, e) {
			for (r = 0; r < IPMEM_COPY_SLOTS; r++) {
				l = e->rep[r].lender;
				if (!l)
					continue;
				state = ipmem_rep_state(e, r);
				ipmem_addr_make(a, ipmem_host.net,
						ipmem_clt_host_id(l),
						e->rep[r].block);
				seq_printf(m, "%s %lu %d %pI6c %pI6c %s %s\n",
					   d->gd->disk_name, i, r, a,
					   ipmem_clt_nexthop(l),
					   state == IPMEM_MAP_LOST ? "-" :
					   ipmem_clt_rights(l, e->rep[r].block) ==
					   IPMEM_RIGHTS_RW ? "rw" : "ro",
					   ipmem_map_state_names[state]);
			}
		}
	}
	rcu_read_unlock();
}
