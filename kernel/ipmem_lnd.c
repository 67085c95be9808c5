// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem lender: the pool of blocks and the grants made from it.
 *
 * The pool is SIZE / block_size blocks, each one physically contiguous
 * allocation, zeroed.  A grant lends an aligned power-of-two run of blocks
 * (one block prefix) to one borrower host id, read-only or read-write.
 * Grants are made explicitly (IPMEM_CMD_GRANT_NEW) or reserved by the
 * module on request and confirmed later (IPMEM_CMD_GRANT_RESERVE and
 * _CONFIRM, the BGP reservation-confirmation protocol); a reservation not
 * confirmed in time lapses.  Revoking a grant removes its registrations
 * from the borrower's protection domain, then zeroes its blocks, so that
 * the next borrower never sees the last one's data.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/genetlink.h>

#include "ipmem.h"

/* Protects ipmem_pool and everything hanging off it; nests inside cfg. */
DEFINE_MUTEX(ipmem_lnd_lock);
/* sessions off their pool's list whose registrations are being freed */
unsigned int ipmem_lnd_sessions_leaving;
struct ipmem_pool *ipmem_pool;

static unsigned int ipmem_block_order(struct ipmem_pool *pool)
{
	return pool->block_shift - PAGE_SHIFT;
}

static void ipmem_pool_free_blocks(struct ipmem_pool *pool, u64 n)
{
	u64 i;

	for (i = 0; i < n; i++) {
		__free_pages(pool->blocks[i], ipmem_block_order(pool));
		/* Freeing gigabytes takes a while: let others run. */
		cond_resched();
	}
}

static void ipmem_pool_zero(struct ipmem_pool *pool, u64 first, u64 count)
{
	unsigned int pages = 1U << ipmem_block_order(pool);
	unsigned int j;
	u64 b;

	for (b = first; b < first + count; b++) {
		for (j = 0; j < pages; j++)
			clear_highpage(pool->blocks[b] + j);
		cond_resched();
	}
}

static void ipmem_pool_expire(struct work_struct *work);

int ipmem_pool_create(u64 size, u32 block_size, const struct in6_addr *addr,
		      u16 port, struct netlink_ext_ack *extack)
{
	struct ipmem_pool *pool;
	int shift, ret;
	u64 i;

	lockdep_assert_held(&ipmem_cfg_lock);

	if (!ipmem_host.set) {
		NL_SET_ERR_MSG(extack, "set the network prefix and host id first");
		return -EINVAL;
	}
	if (ipmem_pool) {
		NL_SET_ERR_MSG(extack, "this host already lends a pool");
		return -EEXIST;
	}
	shift = ipmem_block_shift(block_size);
	if (shift < 0 || shift < PAGE_SHIFT) {
		NL_SET_ERR_MSG(extack,
			       "block size must be a power of two from 4 KiB to 64 KiB");
		return -EINVAL;
	}
	if (!size || size & (block_size - 1)) {
		NL_SET_ERR_MSG(extack,
			       "pool size must be a non-zero multiple of the block size");
		return -EINVAL;
	}
	if (size >> PAGE_SHIFT >= totalram_pages()) {
		NL_SET_ERR_MSG(extack, "pool size exceeds this host's memory");
		return -ENOMEM;
	}

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	pool->block_size = block_size;
	pool->block_shift = shift;
	pool->nr_blocks = size >> shift;
	pool->limit = pool->nr_blocks;
	pool->nr_free = pool->nr_blocks;
	pool->epoch = get_random_u64();
	pool->next_gen = get_random_u64();
	pool->addr.sin6_family = AF_INET6;
	pool->addr.sin6_addr = *addr;
	pool->addr.sin6_port = htons(port);
	INIT_LIST_HEAD(&pool->grants);
	INIT_LIST_HEAD(&pool->sessions);
	INIT_DELAYED_WORK(&pool->expire_work, ipmem_pool_expire);

	ret = -ENOMEM;
	pool->blocks = kvcalloc(pool->nr_blocks, sizeof(*pool->blocks),
				GFP_KERNEL);
	pool->used = bitmap_zalloc(pool->nr_blocks, GFP_KERNEL);
	if (!pool->blocks || !pool->used)
		goto out_free;

	for (i = 0; i < pool->nr_blocks; i++) {
		pool->blocks[i] = alloc_pages(GFP_KERNEL | __GFP_ZERO |
					      __GFP_NOWARN | __GFP_NORETRY,
					      ipmem_block_order(pool));
		if (!pool->blocks[i]) {
			NL_SET_ERR_MSG(extack,
				       "not enough free memory for the pool");
			goto out_free_blocks;
		}
		cond_resched();
	}

	mutex_lock(&ipmem_lnd_lock);
	ret = ipmem_lnd_listen(pool, extack);
	if (!ret)
		ipmem_pool = pool;
	mutex_unlock(&ipmem_lnd_lock);
	if (ret)
		goto out_free_blocks;

	pr_info("lending %llu blocks of %u bytes at [%pI6c]:%u\n",
		pool->nr_blocks, block_size, addr, port);
	ipmem_nl_notify_pool();
	return 0;

out_free_blocks:
	ipmem_pool_free_blocks(pool, i);
out_free:
	bitmap_free(pool->used);
	kvfree(pool->blocks);
	kfree(pool);
	return ret;
}

static void ipmem_pool_free(struct ipmem_pool *pool)
{
	cancel_delayed_work_sync(&pool->expire_work);
	ipmem_lnd_stop(pool);
	ipmem_pool_free_blocks(pool, pool->nr_blocks);
	bitmap_free(pool->used);
	kvfree(pool->blocks);
	kfree(pool);
}

/* The pool with ipmem_lnd_lock held, or NULL (not held) if there is none. */
static struct ipmem_pool *ipmem_pool_lock(struct netlink_ext_ack *extack)
{
	struct ipmem_pool *pool;

	lockdep_assert_held(&ipmem_cfg_lock);

	mutex_lock(&ipmem_lnd_lock);
	pool = ipmem_pool;
	if (!pool) {
		mutex_unlock(&ipmem_lnd_lock);
		NL_SET_ERR_MSG(extack, "this host lends no pool");
	}
	return pool;
}

int ipmem_pool_destroy(struct netlink_ext_ack *extack)
{
	struct ipmem_pool *pool = ipmem_pool_lock(extack);

	if (!pool)
		return -ENOENT;
	if (!list_empty(&pool->grants)) {
		mutex_unlock(&ipmem_lnd_lock);
		NL_SET_ERR_MSG(extack,
			       "the pool has grants: revoke them first");
		return -EBUSY;
	}
	ipmem_pool = NULL;
	mutex_unlock(&ipmem_lnd_lock);

	ipmem_pool_free(pool);
	pr_info("pool destroyed\n");
	ipmem_nl_notify_pool();
	return 0;
}

/* how many blocks of @first..@first + @count lie below the pool's limit */
static u64 ipmem_pool_below(const struct ipmem_pool *pool, u64 first,
			    u64 count)
{
	return first >= pool->limit ? 0 : min(count, pool->limit - first);
}

/* free blocks of [@lo, @hi) */
static u64 ipmem_pool_free_in(const struct ipmem_pool *pool, u64 lo, u64 hi)
{
	return hi - lo - ((u64)bitmap_weight(pool->used, hi) -
			  bitmap_weight(pool->used, lo));
}

/*
 * A shrink that waited for the blocks past the pool's limit: once none is
 * granted or reserved, they go.  Past nr_blocks nothing finds them.  Not
 * while a borrower's session is being freed: its registrations may still
 * cover them (the session's teardown looks again once they are gone).
 */
bool ipmem_pool_shrink_end(struct ipmem_pool *pool)
{
	u64 i, old = pool->nr_blocks;

	lockdep_assert_held(&ipmem_lnd_lock);

	if (pool->limit == old || ipmem_lnd_sessions_leaving ||
	    find_next_bit(pool->used, old, pool->limit) < old)
		return false;
	pool->nr_blocks = pool->limit;
	for (i = pool->limit; i < old; i++) {
		__free_pages(pool->blocks[i], ipmem_block_order(pool));
		pool->blocks[i] = NULL;
		cond_resched();
	}
	pr_info("pool shrunk from %llu to %llu blocks\n", old, pool->limit);
	return true;
}

/*
 * Give back the blocks past @size.  Those of them that are granted or
 * reserved stay until their grants go: meanwhile nothing new is reserved
 * or granted past @size (the lender's ipmemd asks their borrowers to
 * move), and POOL_GET says IPMEM_A_SHRINK_TO.  The pool's own size asks
 * for a waiting shrink to be called off.  Reservations take the lowest
 * free runs that fit, so the end of a pool tends to be granted last.
 */
int ipmem_pool_shrink(u64 size, struct netlink_ext_ack *extack)
{
	struct ipmem_pool *pool = ipmem_pool_lock(extack);
	u64 keep, old, lo, hi;
	bool done;

	if (!pool)
		return -ENOENT;
	old = pool->nr_blocks;
	keep = size >> pool->block_shift;
	if (size & (pool->block_size - 1) || !keep || keep > old ||
	    (keep == old && pool->limit == old)) {
		mutex_unlock(&ipmem_lnd_lock);
		NL_SET_ERR_MSG(extack,
			       "the new size must be a non-zero multiple of the block size, smaller than the pool");
		return -EINVAL;
	}
	lo = min(keep, pool->limit);
	hi = max(keep, pool->limit);
	if (keep < pool->limit)
		pool->nr_free -= ipmem_pool_free_in(pool, lo, hi);
	else
		pool->nr_free += ipmem_pool_free_in(pool, lo, hi);
	pool->limit = keep;
	done = ipmem_pool_shrink_end(pool);
	if (!done && keep < old)
		pr_info("pool shrinking to %llu blocks: waits for %llu granted or reserved past it\n",
			keep, old - keep - ipmem_pool_free_in(pool, keep, old));
	else if (!done)
		pr_info("pool shrink to %llu blocks called off\n", lo);
	mutex_unlock(&ipmem_lnd_lock);

	ipmem_nl_notify_pool();
	return 0;
}

/*
 * A pool with grants holds other hosts' data: the module stays loaded
 * while one exists (rmmod says "in use").
 */
static void ipmem_grant_insert(struct ipmem_pool *pool, struct ipmem_grant *g)
{
	struct ipmem_grant *pos;

	list_for_each_entry(pos, &pool->grants, node)
		if (pos->first > g->first)
			break;
	list_add_tail(&g->node, &pos->node);
}

static void ipmem_grant_link(struct ipmem_pool *pool, struct ipmem_grant *g)
{
	lockdep_assert_held(&ipmem_lnd_lock);

	if (list_empty(&pool->grants))
		__module_get(THIS_MODULE);
	ipmem_grant_insert(pool, g);
	bitmap_set(pool->used, g->first, g->count);
	pool->nr_free -= ipmem_pool_below(pool, g->first, g->count);
}

static struct ipmem_grant *ipmem_grant_alloc(struct ipmem_pool *pool,
					     u64 first, u64 count, u32 borrower,
					     u8 rights, u8 state)
{
	struct ipmem_grant *g;

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return NULL;
	g->first = first;
	g->count = count;
	g->borrower = borrower;
	g->rights = rights;
	g->state = state;
	g->gen = pool->next_gen++;
	return g;
}

/*
 * Unlink @g, revoke its registrations, zero and free its blocks.  The
 * caller frees @g itself.
 */
static void ipmem_grant_free(struct ipmem_pool *pool, struct ipmem_grant *g)
{
	lockdep_assert_held(&ipmem_lnd_lock);

	list_del(&g->node);
	ipmem_lnd_revoke(pool, g, g->first, g->count);
	ipmem_pool_zero(pool, g->first, g->count);
	bitmap_clear(pool->used, g->first, g->count);
	pool->nr_free += ipmem_pool_below(pool, g->first, g->count);
	ipmem_pool_shrink_end(pool);
	if (list_empty(&pool->grants))
		module_put(THIS_MODULE);
}

struct ipmem_grant *ipmem_grant_find(u64 block)
{
	struct ipmem_grant *g;

	lockdep_assert_held(&ipmem_lnd_lock);

	list_for_each_entry(g, &ipmem_pool->grants, node) {
		if (block < g->first)
			break;
		if (block < g->first + g->count)
			return g;
	}
	return NULL;
}

/* Resolve @prefix/@plen to a block run of our own pool. */
static int ipmem_lnd_prefix(const u8 *prefix, u8 plen, u64 *first,
			    u64 *count, struct netlink_ext_ack *extack)
{
	u32 host;
	int ret;

	ret = ipmem_prefix_check(prefix, plen, &host, first, count, extack);
	if (ret)
		return ret;
	if (!ipmem_pool) {
		NL_SET_ERR_MSG(extack, "this host lends no pool");
		return -ENOENT;
	}
	if (host != ipmem_host.host_id) {
		NL_SET_ERR_MSG(extack, "prefix is not inside this lender's /80");
		return -EINVAL;
	}
	if (*first >= ipmem_pool->nr_blocks ||
	    *count > ipmem_pool->nr_blocks - *first) {
		NL_SET_ERR_MSG(extack, "prefix reaches past the end of the pool");
		return -ERANGE;
	}
	return 0;
}

int ipmem_grant_add(const u8 *prefix, u8 plen, u32 borrower, u8 rights,
		    struct netlink_ext_ack *extack)
{
	struct ipmem_grant *g;
	u64 first, count;
	int ret;

	lockdep_assert_held(&ipmem_cfg_lock);

	mutex_lock(&ipmem_lnd_lock);
	ret = ipmem_lnd_prefix(prefix, plen, &first, &count, extack);
	if (ret)
		goto out_unlock;
	if (find_next_bit(ipmem_pool->used, first + count, first) <
	    first + count) {
		NL_SET_ERR_MSG(extack, "prefix overlaps an existing grant");
		ret = -EEXIST;
		goto out_unlock;
	}
	if (first + count > ipmem_pool->limit) {
		NL_SET_ERR_MSG(extack,
			       "prefix reaches past the size the pool shrinks to");
		ret = -ERANGE;
		goto out_unlock;
	}
	ret = -ENOMEM;
	g = ipmem_grant_alloc(ipmem_pool, first, count, borrower, rights,
			      IPMEM_GRANT_CONFIRMED);
	if (!g)
		goto out_unlock;
	ipmem_grant_link(ipmem_pool, g);
	ret = 0;
out_unlock:
	mutex_unlock(&ipmem_lnd_lock);
	if (!ret)
		ipmem_nl_notify_pool();
	return ret;
}

/* Largest free run of 2^k blocks aligned to 2^k, k <= @maxk; -1 if none. */
static s64 ipmem_pool_find_run(struct ipmem_pool *pool, unsigned int *k,
			       unsigned int maxk)
{
	unsigned int order;
	u64 pos, n;

	for (order = maxk + 1; order-- > 0;) {
		n = 1ULL << order;
		for (pos = 0; pos + n <= pool->limit; pos += n) {
			u64 used = find_next_bit(pool->used, pos + n, pos);

			if (used >= pos + n) {
				*k = order;
				return pos;
			}
			/* skip to the aligned run after the used block */
			pos = round_down(used, n);
		}
	}
	return -1;
}

static int ipmem_nl_put_grant(struct sk_buff *skb, const struct ipmem_grant *g)
{
	u8 plen = 128 - ilog2(g->count);

	if (ipmem_nl_put_block(skb, ipmem_host.host_id, g->first, plen) ||
	    nla_put_u32(skb, IPMEM_A_BORROWER, g->borrower) ||
	    nla_put_u8(skb, IPMEM_A_RIGHTS, g->rights) ||
	    nla_put_u8(skb, IPMEM_A_STATE, g->state) ||
	    nla_put_u64_64bit(skb, IPMEM_A_BLOCK_COUNT, g->count,
			      IPMEM_A_PAD) ||
	    nla_put_u64_64bit(skb, IPMEM_A_GEN, g->gen, IPMEM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

int ipmem_grant_fill(struct sk_buff *skb, const struct ipmem_grant *g)
{
	return ipmem_nl_put_grant(skb, g);
}

int ipmem_grant_reserve(u64 count, u32 borrower, u8 rights,
			unsigned int timeout_ms, struct sk_buff *reply,
			struct netlink_ext_ack *extack)
{
	unsigned long expires = jiffies + msecs_to_jiffies(timeout_ms);
	struct ipmem_pool *pool;
	struct ipmem_grant *g, *tmp;
	struct nlattr *nest;
	LIST_HEAD(batch);
	unsigned int k;
	int ret = 0;
	s64 pos;

	lockdep_assert_held(&ipmem_cfg_lock);

	mutex_lock(&ipmem_lnd_lock);
	pool = ipmem_pool;
	if (!pool) {
		NL_SET_ERR_MSG(extack, "this host lends no pool");
		ret = -ENOENT;
		goto out_unlock;
	}
	if (!count || count > pool->nr_free) {
		NL_SET_ERR_MSG(extack, "not enough free blocks in the pool");
		ret = -ENOSPC;
		goto out_unlock;
	}

	/* Fewest prefixes: the largest aligned free run first. */
	while (count) {
		pos = ipmem_pool_find_run(pool, &k, ilog2(count));
		if (WARN_ON_ONCE(pos < 0)) {	/* nr_free said otherwise */
			ret = -ENOSPC;
			break;
		}
		g = ipmem_grant_alloc(pool, pos, 1ULL << k, borrower, rights,
				      IPMEM_GRANT_RESERVED);
		if (!g) {
			ret = -ENOMEM;
			break;
		}
		g->expires = expires;
		ipmem_grant_link(pool, g);
		list_add_tail(&g->batch, &batch);
		count -= g->count;

		nest = nla_nest_start(reply, IPMEM_A_GRANT);
		if (!nest || ipmem_nl_put_grant(reply, g)) {
			NL_SET_ERR_MSG(extack,
				       "free blocks too fragmented for one request");
			ret = -ENOSPC;
			break;
		}
		nla_nest_end(reply, nest);
	}

	if (ret) {
		list_for_each_entry_safe(g, tmp, &batch, batch) {
			ipmem_grant_free(pool, g);
			kfree(g);
		}
	} else {
		/* Run the expiry no later than this batch's deadline. */
		if (!delayed_work_pending(&pool->expire_work) ||
		    time_before(expires, pool->expire_work.timer.expires))
			mod_delayed_work(ipmem_wq, &pool->expire_work,
					 msecs_to_jiffies(timeout_ms));
	}
out_unlock:
	mutex_unlock(&ipmem_lnd_lock);
	if (!ret)
		ipmem_nl_notify_pool();
	return ret;
}

/* The grant of exactly @prefix/@plen, under ipmem_lnd_lock. */
static struct ipmem_grant *ipmem_grant_get(const u8 *prefix, u8 plen,
					   struct netlink_ext_ack *extack)
{
	struct ipmem_grant *g;
	u64 first, count;
	int ret;

	lockdep_assert_held(&ipmem_lnd_lock);

	ret = ipmem_lnd_prefix(prefix, plen, &first, &count, extack);
	if (ret)
		return ERR_PTR(ret);
	g = ipmem_grant_find(first);
	if (!g || g->first != first || g->count != count) {
		NL_SET_ERR_MSG(extack, "no grant with that prefix");
		return ERR_PTR(-ENOENT);
	}
	return g;
}

int ipmem_grant_confirm(const u8 *prefix, u8 plen,
			struct netlink_ext_ack *extack)
{
	struct ipmem_grant *g;
	int ret = 0;

	lockdep_assert_held(&ipmem_cfg_lock);

	mutex_lock(&ipmem_lnd_lock);
	g = ipmem_grant_get(prefix, plen, extack);
	if (IS_ERR(g)) {
		ret = PTR_ERR(g);
	} else if (g->state != IPMEM_GRANT_RESERVED) {
		NL_SET_ERR_MSG(extack, "grant is already confirmed");
		ret = -EALREADY;
	} else if (g->first + g->count > ipmem_pool->limit) {
		/* reserved before a shrink: it lapses instead */
		NL_SET_ERR_MSG(extack,
			       "prefix reaches past the size the pool shrinks to");
		ret = -ERANGE;
	} else {
		g->state = IPMEM_GRANT_CONFIRMED;
	}
	mutex_unlock(&ipmem_lnd_lock);
	return ret;
}

/*
 * Give back blocks @first..+@count, an aligned power-of-two run strictly
 * inside @g: @g is split into the aligned prefixes that cover the rest
 * (one of each size from @count up to half of @g), each keeping @g's
 * borrower, rights, state and generation (so the borrower's keys of the
 * rest stay valid); the run's registrations go, its blocks are zeroed and
 * free.  Nothing changes on failure.
 */
static int ipmem_grant_trim(struct ipmem_pool *pool, struct ipmem_grant *g,
			    u64 first, u64 count)
{
	struct ipmem_grant *piece, *tmp, gone = *g;
	LIST_HEAD(pieces);
	u64 size;

	lockdep_assert_held(&ipmem_lnd_lock);

	/* the buddies of the run and of its ancestors inside @g */
	for (size = count; size < g->count; size <<= 1) {
		piece = ipmem_grant_alloc(pool, round_down(first, size) ^ size,
					  size, g->borrower, g->rights,
					  g->state);
		if (!piece)
			goto out_free;
		piece->gen = g->gen;
		piece->expires = g->expires;
		list_add_tail(&piece->node, &pieces);
	}

	list_del(&g->node);
	list_for_each_entry_safe(piece, tmp, &pieces, node) {
		list_del(&piece->node);
		ipmem_grant_insert(pool, piece);
	}
	ipmem_lnd_revoke(pool, g, first, count);
	ipmem_pool_zero(pool, first, count);
	bitmap_clear(pool->used, first, count);
	pool->nr_free += ipmem_pool_below(pool, first, count);
	ipmem_pool_shrink_end(pool);
	gone.first = first;
	gone.count = count;
	ipmem_nl_notify_grant_del(&gone);
	kfree(g);
	return 0;

out_free:
	list_for_each_entry_safe(piece, tmp, &pieces, node)
		kfree(piece);
	return -ENOMEM;
}

/*
 * Delete a grant: its borrower's registrations go at once and the blocks
 * are zeroed.  A prefix inside a grant gives back only those blocks (the
 * grant is split).  Unless @force, not while the borrower has blocks of
 * it mapped: what it swapped there would be lost.
 */
int ipmem_grant_del(const u8 *prefix, u8 plen, bool force,
		    struct netlink_ext_ack *extack)
{
	struct ipmem_grant *g;
	u64 first, count;
	int ret;

	lockdep_assert_held(&ipmem_cfg_lock);

	mutex_lock(&ipmem_lnd_lock);
	ret = ipmem_lnd_prefix(prefix, plen, &first, &count, extack);
	if (ret) {
		mutex_unlock(&ipmem_lnd_lock);
		return ret;
	}
	g = ipmem_grant_find(first);
	if (!g || first + count > g->first + g->count) {
		mutex_unlock(&ipmem_lnd_lock);
		NL_SET_ERR_MSG(extack, "no grant with that prefix");
		return -ENOENT;
	}
	if (count < g->count && g->state != IPMEM_GRANT_CONFIRMED) {
		mutex_unlock(&ipmem_lnd_lock);
		NL_SET_ERR_MSG(extack,
			       "a reservation goes back whole: give its own prefix");
		return -EINVAL;
	}
	/* even with force: the keys of blocks it keeps would go */
	if (count < g->count &&
	    ipmem_lnd_grant_in_use(ipmem_pool, g, first, count, true)) {
		mutex_unlock(&ipmem_lnd_lock);
		NL_SET_ERR_MSG(extack,
			       "the borrower's registration of these blocks covers others it keeps: they go back by whole segments");
		return -EBUSY;
	}
	if (!force &&
	    ipmem_lnd_grant_in_use(ipmem_pool, g, first, count, false)) {
		mutex_unlock(&ipmem_lnd_lock);
		NL_SET_ERR_MSG(extack,
			       "the borrower has these blocks mapped: what it keeps there would be lost (force deletes anyway)");
		return -EBUSY;
	}
	if (count < g->count) {
		ret = ipmem_grant_trim(ipmem_pool, g, first, count);
		mutex_unlock(&ipmem_lnd_lock);
		if (!ret)
			ipmem_nl_notify_pool();
		return ret;
	}
	ipmem_grant_free(ipmem_pool, g);
	ipmem_nl_notify_grant_del(g);
	kfree(g);
	mutex_unlock(&ipmem_lnd_lock);
	ipmem_nl_notify_pool();
	return 0;
}

/* Lapse the reservations whose time is up; re-arm for the next one. */
static void ipmem_pool_expire(struct work_struct *work)
{
	struct ipmem_pool *pool = container_of(to_delayed_work(work),
					       struct ipmem_pool, expire_work);
	unsigned long next = 0, now = jiffies;
	struct ipmem_grant *g, *tmp;
	bool changed = false;

	mutex_lock(&ipmem_lnd_lock);
	list_for_each_entry_safe(g, tmp, &pool->grants, node) {
		if (g->state != IPMEM_GRANT_RESERVED)
			continue;
		if (time_after_eq(now, g->expires)) {
			pr_info("reservation of %llu blocks at %llu for host %04x:%04x lapsed\n",
				g->count, g->first, g->borrower >> 16, g->borrower & 0xffff);
			ipmem_grant_free(pool, g);
			ipmem_nl_notify_grant_del(g);
			kfree(g);
			changed = true;
		} else if (!next || time_before(g->expires, next)) {
			next = g->expires;
		}
	}
	if (next)
		mod_delayed_work(ipmem_wq, &pool->expire_work, next - now);
	mutex_unlock(&ipmem_lnd_lock);
	if (changed)
		ipmem_nl_notify_pool();
}

/**
 * ipmem_lnd_pool_rw() - read or change the pool's memory (debugfs "pool")
 * @buf: user buffer
 * @len: bytes
 * @ppos: offset in the pool: block * block_size + offset in the block
 * @write: copy @buf into the pool
 *
 * For debugging and testing: what a lender holds of a borrower's pages
 * (ciphertext, unless the borrower turned encryption off), and what a
 * borrower does when a lender alters it.  Only root opens it, and root
 * can read and change all memory anyway.
 */
ssize_t ipmem_lnd_pool_rw(char __user *buf, size_t len, loff_t *ppos,
			  bool write)
{
	struct ipmem_pool *pool;
	ssize_t done = 0;
	u64 size, pos = *ppos;
	struct page *page;
	size_t off, n;
	void *kaddr;

	mutex_lock(&ipmem_lnd_lock);
	pool = ipmem_pool;
	size = pool ? pool->nr_blocks << pool->block_shift : 0;
	if (pos >= size)
		goto out_unlock;
	len = min_t(u64, len, size - pos);
	while (done < len) {
		off = pos & (pool->block_size - 1);
		page = pool->blocks[pos >> pool->block_shift] +
		       (off >> PAGE_SHIFT);
		off &= ~PAGE_MASK;
		n = min_t(size_t, len - done, PAGE_SIZE - off);
		kaddr = kmap_local_page(page);
		if (write)
			n -= copy_from_user(kaddr + off, buf + done, n);
		else
			n -= copy_to_user(buf + done, kaddr + off, n);
		kunmap_local(kaddr);
		if (!n) {
			if (!done)
				done = -EFAULT;
			break;
		}
		done += n;
		pos += n;
	}
	*ppos = pos;
out_unlock:
	mutex_unlock(&ipmem_lnd_lock);
	return done;
}

/* Module unload: nothing can hold a grant (they pin the module). */
void ipmem_lnd_exit(void)
{
	struct ipmem_pool *pool;

	mutex_lock(&ipmem_lnd_lock);
	pool = ipmem_pool;
	ipmem_pool = NULL;
	mutex_unlock(&ipmem_lnd_lock);
	if (pool) {
		WARN_ON(!list_empty(&pool->grants));
		ipmem_pool_free(pool);
	}
}
