// SPDX-License-Identifier: GPL-2.0
/*
 * borrower.c - the borrower's half of the reservation-confirmation
 * protocol, and the disks it fills.
 *
 * `ipmemctl borrow SIZE` creates /dev/ipmemN of SIZE (DISK_NEW) and a
 * borrow for it.  Each copy of the disk is planned separately (plan.c):
 * lenders are picked by V_i and latency, and each is asked with one
 * request route for part of the blocks.  reconcile() then moves every
 * request along as the lenders answer:
 *
 *   PENDING     grants covering the count arrive (state reserved): announce
 *               the request confirmed.  A refusal, or no answer within
 *               request-timeout: give the lender up, plan the rest again.
 *   CONFIRMING  the grants turn confirmed: ROUTE_NEW the lender's /80 if
 *               needed, MAP_NEW every grant into the disk.
 *   MAPPED      done; nothing BGP does (withdrawals, flaps, restarts)
 *               changes it.  Only a release does.
 *   RELEASING   announced released; once the lender has withdrawn the
 *               grants (or release-timeout passed) the request goes.
 *
 * When every part of every copy is mapped the borrow is ready and the
 * client gets its answer.  A release deletes the disk first (refused while
 * it is open, e.g. swapped on), which unmaps everything, then releases
 * every request.
 *
 * After a restart the requests are rebuilt from what gobgpd still holds
 * of ours, or else from the lenders' grants for us whose blocks the
 * module shows mapped (MAP_GET); a grant for us that matches neither is
 * logged and ignored, and never reaches the module.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <ipmem/wire.h>

#include "parse.h"
#include "ipmemd.h"
#include "out.h"

/* ----------------------------------------------------------- helpers */

static struct borrow *borrow_by_disk(struct ipmemd *d, uint32_t disk)
{
	struct borrow *b;

	for (b = d->bor.borrows; b; b = b->next)
		if (b->disk == disk)
			return b;
	return NULL;
}

static struct breq *breq_find(struct borrow *b, uint32_t lender)
{
	struct breq *q;

	for (q = b->reqs; q; q = q->next)
		if (q->lender == lender)
			return q;
	return NULL;
}

static bool excluded(const struct borrow *b, uint32_t host)
{
	size_t i;

	for (i = 0; i < b->nexcluded; i++)
		if (b->excluded[i] == host)
			return true;
	return false;
}

static void exclude(struct borrow *b, uint32_t host)
{
	uint32_t *n;

	if (excluded(b, host))
		return;
	n = realloc(b->excluded, (b->nexcluded + 1) * sizeof(*n));
	if (!n)
		return;
	b->excluded = n;
	b->excluded[b->nexcluded++] = host;
}

static void fmt_size(uint64_t bytes, char *buf, size_t len)
{
	ipmem_format_size(bytes, buf, len);
}

static void borrow_prefix(struct ipmemd *d, uint32_t disk, uint8_t p[16])
{
	ipmem_addr_make(p, d->ctx.net, d->host,
			ipmem_bgp_request_block(disk, 0));
}

/* -------------------------------------------------------- announce */

/*
 * A serial for a new request: microseconds since the epoch, and always
 * more than the last one (<ipmem/bgp.h>, IPMEM_BGP_FN_SERIAL).
 */
static uint64_t new_serial(struct ipmemd *d)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	d->bor.last_serial = now > d->bor.last_serial ? now :
			     d->bor.last_serial + 1;
	return d->bor.last_serial;
}

static void request_route(struct ipmemd *d, const struct borrow *b,
			  const struct breq *q, uint8_t state,
			  struct ibgp_route *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = IPMEM_BGP_KIND_REQUEST;
	m->host = d->host;
	memcpy(m->nexthop, d->addr, 16);
	m->req.disk = b->disk;
	m->req.lender = q->lender;
	m->req.count = q->count;
	m->req.block_size = d->conf.block_size;
	m->req.rights = b->rights;
	m->req.state = state;
	m->req.serial = q->serial;
	m->req.revision = q->revision;
	if (state == IPMEM_BGP_REQ_CONFIRMED && q->ret_count) {
		m->req.ret_first = q->ret_first;
		m->req.ret_count = q->ret_count;
	}
	ibgp_make_prefix(&d->ctx, m);
}

static void announce_request(struct ipmemd *d, const struct borrow *b,
			     const struct breq *q, uint8_t state)
{
	struct ibgp_route m;

	request_route(d, b, q, state, &m);
	bgpd_announce(d, &m);
}

static void withdraw_request(struct ipmemd *d, const struct borrow *b,
			     const struct breq *q)
{
	struct ibgp_route m;

	request_route(d, b, q, IPMEM_BGP_REQ_PENDING, &m);
	bgpd_withdraw(d, m.prefix, m.plen);
}

/* the lender's refusal of this request, if any */
static const struct ibgp_route *refusal(struct ipmemd *d,
					const struct borrow *b,
					const struct breq *q)
{
	const struct ibgp_route *r;
	uint8_t p[16];

	ipmem_addr_make(p, d->ctx.net, q->lender,
			ipmem_bgp_reply_block(b->disk, d->host));
	r = rib_lookup(&d->rib, p, 128);
	return r && r->kind == IPMEM_BGP_KIND_REFUSAL &&
	       r->ref.serial == q->serial ? r : NULL;
}

/* is this grant route ours and one that this request may take? */
static bool grant_for(struct ipmemd *d, const struct ibgp_route *g,
		      const struct borrow *b, const struct breq *q)
{
	return g->grant.borrower == d->host && g->grant.disk == b->disk &&
	       g->host == q->lender && g->grant.serial == q->serial;
}

struct grant_sum {
	uint64_t blocks;
	size_t n;
	bool all_confirmed;
	bool bad;
	char why[200];
};

/*
 * Is grant route @e one that request @q may map?  Ours, for this disk and
 * lender, with the rights asked, inside the lender's pool.  If it is ours
 * but not usable, @why says why.  Counting (sum_grants()) and mapping
 * (map_grants()) both ask this, so nothing is mapped that was not counted.
 */
static bool grant_usable(struct ipmemd *d, const struct borrow *b,
			 const struct breq *q, const struct rib_entry *e,
			 char *why, size_t len)
{
	const struct ibgp_route *pool = rib_pool(d, q->lender);
	const struct ibgp_route *g = e->eff;

	why[0] = 0;
	if (!grant_for(d, g, b, q))
		return false;
	if (g->grant.rights != b->rights)
		snprintf(why, len, "grant %s has other rights than asked",
			 pfx_str(e->prefix, e->plen));
	else if (pool && g->grant.first + g->grant.count > pool->pool.total)
		snprintf(why, len,
			 "grant %s lies past the end of the lender's pool",
			 pfx_str(e->prefix, e->plen));
	return !why[0];
}

static void sum_grants(struct ipmemd *d, const struct borrow *b,
		       const struct breq *q, struct grant_sum *s)
{
	const struct ibgp_route *g;
	struct rib_entry *e;

	memset(s, 0, sizeof(*s));
	s->all_confirmed = true;
	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
		g = e->eff;
		if (!grant_usable(d, b, q, e, s->why, sizeof(s->why)) &&
		    !s->why[0])
			continue;
		if (s->why[0]) {
			/* not what we asked for: never mapped, logged once */
			if (!e->noted)
				log_warn("%s: ignored %s", b->name, s->why);
			e->noted = true;
			s->bad = true;
			continue;
		}
		s->blocks += g->grant.count;
		s->n++;
		/* a draining grant is a confirmed one (to be moved) */
		if (g->grant.state != IPMEM_GRANT_CONFIRMED &&
		    g->grant.state != IPMEM_BGP_GRANT_DRAINING)
			s->all_confirmed = false;
	}
}

/* ------------------------------------------------------ map cache */

static void maps_refresh(struct ipmemd *d, bool force)
{
	struct borrower *br = &d->bor;
	struct mod_map *m = NULL;
	size_t n = 0;

	if (!force && br->maps_at && d->now - br->maps_at < 2000)
		return;
	if (mod_map_list(d->mod, &m, &n)) {
		log_warn("MAP_GET: %s", mod_err(d->mod));
		return;
	}
	free(br->maps);
	br->maps = m;
	br->nmaps = n;
	br->maps_at = d->now;
}

/*
 * A run mapping blocks of @first..@count of @lender, if the runs of its
 * disk and copy map all of them (a moved copy's grant can be mapped in
 * pieces, at extents that are not consecutive).
 */
static const struct mod_map *mapped_in(struct ipmemd *d, uint32_t lender,
				       uint64_t first, uint64_t count)
{
	const struct mod_map *m, *one = NULL;
	uint64_t b, lo, hi, have = 0;
	size_t i;

	for (i = 0; i < d->bor.nmaps; i++) {
		m = &d->bor.maps[i];
		b = ipmem_addr_block(m->prefix);
		if (ipmem_addr_host(m->prefix) != lender ||
		    b + m->count <= first || b >= first + count)
			continue;
		if (!one)
			one = m;
		else if (m->disk != one->disk || m->replica != one->replica)
			return NULL;
		lo = b > first ? b : first;
		hi = b + m->count < first + count ? b + m->count :
		     first + count;
		have += hi - lo;
	}
	return have == count ? one : NULL;
}

/* ---------------------------------------------------- module calls */

/* the module's table changes: the next maps_refresh() reads it again */
static int map_new(struct ipmemd *d, uint32_t disk, const uint8_t prefix[16],
		   uint8_t plen, uint8_t replica, int64_t extent)
{
	d->bor.maps_at = 0;
	return mod_map_new(d->mod, disk, prefix, plen, replica, extent);
}

static int map_del(struct ipmemd *d, const uint8_t prefix[16], uint8_t plen,
		   bool force)
{
	d->bor.maps_at = 0;
	return mod_map_del(d->mod, prefix, plen, force);
}

/*
 * Routes to @lender's blocks: the kernel's route to its /80 via its
 * data-plane address, and the module's own route where the module needs
 * one.  It needs none when the lender's endpoint is the first address of
 * its /80 at the default port, the kernel's route is in place and this
 * host has a host key: the module then connects there through the
 * kernel's route (without a key it uses no kernel route,
 * Documentation/admin-guide.rst).  A module route of the /80 that is not
 * the one needed (the lender moved its endpoint) is replaced or deleted.
 * Without the lender's pool route (not received yet, when adopting),
 * whatever route the module has stays, and with a host key none is made
 * (the module tries the /80's first address).
 */
static bool route_for(struct ipmemd *d, uint32_t lender,
		      const struct ibgp_route *g)
{
	const struct ibgp_route *pool = rib_pool(d, lender);
	const uint8_t *nh = pool ? pool->nexthop : g->nexthop;
	uint16_t port = pool ? pool->pool.port : IPMEM_PORT;
	bool in_prefix = pool &&
			 pool->pool.endpoint == IPMEM_BGP_ENDPOINT_PREFIX;
	struct mod_route *r = NULL;
	const uint8_t *to = nh;
	uint8_t p[16];
	size_t n = 0, i;
	int have = 0;		/* 1: the one needed; -1: another */
	bool need;
	char hb[16];
	int ret;

	ipmem_addr_make(p, d->ctx.net, lender, 0);
	/*
	 * The kernel's route first, so that a block address is routed
	 * (kroute.c).  It is replaced every time: one that someone deleted
	 * comes back with the next map.
	 */
	ret = mod_host_route(d->mod, true, p, IPMEM_HOST_PLEN, nh);
	if (ret && ret != -EOPNOTSUPP)
		log_warn("cannot route %s in the kernel: %s",
			 pfx_str(p, IPMEM_HOST_PLEN), mod_err(d->mod));
	if (in_prefix)
		to = p;		/* the /80's first address */
	need = !in_prefix || port != IPMEM_PORT || !d->have_host_key || ret;
	if (!pool && d->have_host_key && !ret)
		need = false;	/* unknown: the module's fallback will do */
	if (!mod_route_list(d->mod, &r, &n)) {
		for (i = 0; i < n && !have; i++)
			if (r[i].plen == IPMEM_HOST_PLEN &&
			    !memcmp(r[i].prefix, p, 16))
				have = need && r[i].port == port &&
				       !memcmp(r[i].nexthop, to, 16) ? 1 : -1;
		free(r);
	}
	if (have == 1 || (have && !pool) || (!need && !have))
		return true;
	if (have == -1) {
		ret = mod_route_del(d->mod, p, IPMEM_HOST_PLEN);
		if (ret && ret != -ENOENT) {
			log_err("ROUTE_DEL for lender %s: %s",
				fmt_host(lender, hb), mod_err(d->mod));
			return false;
		}
		if (!need) {
			log_info("route %s removed from the module: it reaches the lender's endpoint through the kernel's route",
				 pfx_str(p, IPMEM_HOST_PLEN));
			return true;
		}
	}
	ret = mod_route_new(d->mod, p, IPMEM_HOST_PLEN, to, port);
	if (ret && ret != -EEXIST) {
		log_err("ROUTE_NEW for lender %s: %s", fmt_host(lender, hb),
			mod_err(d->mod));
		return false;
	}
	log_info("route %s via %s", pfx_str(p, IPMEM_HOST_PLEN),
		 fmt_addr(to, (char[46]){ 0 }));
	return true;
}

/* unmap whatever of @q is mapped (the disk stays) */
static void unmap(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	size_t i;
	int ret;

	for (i = 0; i < q->ngrants; i++) {
		if (!q->grants[i].mapped)
			continue;
		if (!b->disk_gone) {
			ret = map_del(d, q->grants[i].prefix,
				      q->grants[i].plen, true);
			if (ret && ret != -ENOENT)
				log_err("MAP_DEL %s: %s",
					pfx_str(q->grants[i].prefix,
						q->grants[i].plen),
					mod_err(d->mod));
		}
		q->grants[i].mapped = false;
	}
}

/*
 * Blocks of @lender that the module maps, for disk @disk and copy
 * @replica (-1: any); from the cache, as fresh as the caller made it.
 */
static uint64_t mapped_of(const struct ipmemd *d, int64_t disk,
			  int replica, uint32_t lender)
{
	const struct mod_map *m;
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < d->bor.nmaps; i++) {
		m = &d->bor.maps[i];
		if (ipmem_addr_host(m->prefix) == lender &&
		    (disk < 0 || m->disk == disk) &&
		    (replica < 0 || m->replica == replica))
			n += m->count;
	}
	return n;
}

/*
 * No longer a lender we map from: drop its route.  Not while a request
 * of ours may still map its blocks, nor while the module maps any (an
 * unmap that failed, or a copy adopted in part): those need the route.
 */
static void route_gc(struct ipmemd *d, uint32_t lender)
{
	struct borrow *b;
	struct breq *q;
	uint8_t p[16];

	for (b = d->bor.borrows; b; b = b->next)
		for (q = b->reqs; q; q = q->next)
			if (q->lender == lender &&
			    (q->state == BREQ_MAPPED ||
			     q->state == BREQ_FILLING ||
			     q->state == BREQ_CONFIRMING))
				return;
	maps_refresh(d, true);
	if (mapped_of(d, -1, -1, lender)) {
		log_warn("route to lender %s kept: the module still maps %" PRIu64 " of its blocks",
			 fmt_host(lender, (char[16]){ 0 }),
			 mapped_of(d, -1, -1, lender));
		return;
	}
	ipmem_addr_make(p, d->ctx.net, lender, 0);
	mod_route_del(d->mod, p, IPMEM_HOST_PLEN);
	if (mod_host_route(d->mod, false, p, IPMEM_HOST_PLEN, p) == 0)
		log_info("route %s removed", pfx_str(p, IPMEM_HOST_PLEN));
}

/* ------------------------------------------------------- requests */

static void breq_release(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	if (q->state == BREQ_RELEASING)
		return;
	unmap(d, b, q);
	q->state = BREQ_RELEASING;
	q->deadline = d->now + d->conf.release_timeout;
	announce_request(d, b, q, IPMEM_BGP_REQ_RELEASED);
}

static void breq_free(struct borrow *b, struct breq *q)
{
	struct breq **pp;

	for (pp = &b->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	free(q->grants);
	free(q);
}

static void move_abort(struct ipmemd *d, struct borrow *b, uint32_t from,
		       const char *why);

/* @q did not work out: give the lender up and plan its part again */
static void breq_fail(struct ipmemd *d, struct borrow *b, struct breq *q,
		      const char *why)
{
	char hb[16];

	log_warn("%s: lender %s: %s", b->name, fmt_host(q->lender, hb), why);
	snprintf(b->lastwhy, sizeof(b->lastwhy), "lender %s: %s", hb, why);
	exclude(b, q->lender);
	if (q->is_move) {
		/* the move as a whole is given up, and tried again */
		move_abort(d, b, q->move_from, b->lastwhy);
		return;
	}
	if (b->state == BORROW_ACQUIRING)
		b->need[q->replica] += q->count;
	breq_release(d, b, q);
	route_gc(d, q->lender);
}

static int bgrant_add(struct breq *q, const struct ibgp_route *g, bool mapped)
{
	struct bgrant *n;
	size_t i;

	for (i = 0; i < q->ngrants; i++)
		if (q->grants[i].plen == g->plen &&
		    !memcmp(q->grants[i].prefix, g->prefix, 16))
			return 0;
	n = realloc(q->grants, (q->ngrants + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	q->grants = n;
	memcpy(n[q->ngrants].prefix, g->prefix, 16);
	n[q->ngrants].plen = g->plen;
	n[q->ngrants].count = g->grant.count;
	n[q->ngrants].mapped = mapped;
	q->ngrants++;
	return 0;
}

static void disk_info(struct ipmemd *d, uint32_t id, struct mod_disk *out);
static int map_into_holes(struct ipmemd *d, struct borrow *b, int replica,
			  uint32_t lender, uint64_t first, uint64_t count,
			  uint64_t *done, char *err, size_t len);

/* all grants of @q are confirmed: map them */
static void map_grants(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	const struct ibgp_route *g;
	const struct mod_map *m;
	struct rib_entry *e;
	char why[600], err[256];
	uint64_t done;
	size_t i;
	int ret;

	if (q->adopted)
		maps_refresh(d, true);
	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
		g = e->eff;
		/* what sum_grants() did not count is not mapped either */
		if (!grant_usable(d, b, q, e, why, sizeof(why)))
			continue;
		m = q->adopted ? mapped_in(d, q->lender, g->grant.first,
					   g->grant.count) : NULL;
		if (bgrant_add(q, g, m && m->disk == b->disk)) {
			breq_fail(d, b, q, "out of memory");
			return;
		}
	}
	if (!route_for(d, q->lender, q->ngrants ? (const void *)rib_lookup(
			&d->rib, q->grants[0].prefix, q->grants[0].plen) :
		       NULL)) {
		breq_fail(d, b, q, "no route to the lender");
		return;
	}
	for (i = 0; i < q->ngrants; i++) {
		if (q->grants[i].mapped)
			continue;
		if (b->state == BORROW_READY) {	/* a refill: into the holes */
			ret = map_into_holes(d, b, q->replica, q->lender,
					     ipmem_addr_block(q->grants[i].prefix),
					     q->grants[i].count, &done, err,
					     sizeof(err));
			/* MAP_DEL of the grant's prefix unmaps every piece */
			if (done)
				q->grants[i].mapped = true;
		} else {
			ret = map_new(d, b->disk, q->grants[i].prefix,
				      q->grants[i].plen, q->replica, -1);
			snprintf(err, sizeof(err), "%s", mod_err(d->mod));
		}
		if (ret) {
			snprintf(why, sizeof(why), "mapping %s: %s",
				 pfx_str(q->grants[i].prefix, q->grants[i].plen),
				 err);
			breq_fail(d, b, q, why);
			return;
		}
		q->grants[i].mapped = true;
	}
	q->state = BREQ_MAPPED;
	log_info("%s: mapped %" PRIu64 " blocks of lender %s (copy %u)",
		 b->name, q->count, fmt_host(q->lender, (char[16]){ 0 }),
		 q->replica);
}

/* a new request of @b for copy @r, to @pick's lender (announced by the caller) */
static struct breq *breq_ask(struct ipmemd *d, struct borrow *b,
			     const struct plan_pick *pick, int r)
{
	struct breq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->lender = pick->host;
	q->replica = r;
	q->count = pick->count;
	q->serial = new_serial(d);
	q->state = BREQ_PENDING;
	q->deadline = d->now + d->conf.request_timeout;
	q->next = b->reqs;
	b->reqs = q;
	return q;
}

/*
 * A restarted ipmemd adopts what it had borrowed as the grants come back
 * over BGP; no policy borrows before they had time to (auto-borrow would
 * borrow twice, the elastic policy past its ceiling).
 */
#define ADOPT_GRACE_MS	15000

static bool adopt_grace_over(struct ipmemd *d)
{
	return d->now - d->started > ADOPT_GRACE_MS;
}

/* ------------------------------------------------------ lender drain */

/*
 * A lender that drains announces its confirmed grants in state
 * IPMEM_BGP_GRANT_DRAINING.  For each request of ours whose grants say
 * so, a move: ask other lenders for as many blocks (move requests, one
 * per lender, as the planner picks them), map them as a spare copy of the
 * same extents (a copy slot the borrow does not use), wait until the
 * module has filled that copy from the current one, then unmap the old
 * copy and release the old request.  Swap runs on throughout (the refill
 * copies an extent written meanwhile again).  If no lender has the blocks,
 * the old copy stays and the lender keeps them; we try again later, or
 * as soon as the number of lenders' pools we know changes.
 */
#define MOVE_RETRY_MS	30000

static int plan_candidates(struct ipmemd *d, struct borrow *b,
			   struct plan_cands *c);

static bool grants_draining(struct ipmemd *d, const struct borrow *b,
			    const struct breq *q)
{
	struct rib_entry *e;

	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e)
		if (grant_for(d, e->eff, b, q) &&
		    e->eff->grant.state == IPMEM_BGP_GRANT_DRAINING)
			return true;
	return false;
}

/* the moves of request @from's copy under way (not failed) */
static size_t moves_of(const struct borrow *b, uint32_t from, bool *filled)
{
	const struct breq *n;
	size_t k = 0;

	*filled = true;
	for (n = b->reqs; n; n = n->next) {
		if (!n->is_move || n->move_from != from ||
		    n->state == BREQ_RELEASING)
			continue;
		k++;
		if (n->state != BREQ_MAPPED)
			*filled = false;
	}
	return k;
}

/* a copy slot that no request of @b uses, or -1 */
static int spare_slot(const struct borrow *b)
{
	const struct breq *q;
	int r;

	for (r = 0; r < IPMEM_COPY_SLOTS; r++) {
		for (q = b->reqs; q; q = q->next)
			if (q->replica == r)
				break;
		if (!q)
			return r;
	}
	return -1;
}

/* give up the moves of @from's copy (what is mapped of them goes too) */
/*
 * Unmap what is mapped of @q without force: false (and some of it left
 * mapped) if the module says a part holds the only current copy of data.
 */
static bool unmap_unforced(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	bool all = true;
	size_t i;
	int ret;

	for (i = 0; i < q->ngrants; i++) {
		if (!q->grants[i].mapped)
			continue;
		ret = map_del(d, q->grants[i].prefix, q->grants[i].plen, false);
		if (ret && ret != -ENOENT) {
			log_warn("%s: unmapping %s: %s", b->name,
				 pfx_str(q->grants[i].prefix, q->grants[i].plen),
				 mod_err(d->mod));
			all = false;
			continue;
		}
		q->grants[i].mapped = false;
	}
	return all;
}

static void move_abort(struct ipmemd *d, struct borrow *b, uint32_t from,
		       const char *why)
{
	struct breq *n, *q = breq_find(b, from);
	char hb[16];

	log_warn("%s: moving the copy off lender %s failed: %s; trying again in %d s",
		 b->name, fmt_host(from, hb), why, MOVE_RETRY_MS / 1000);
	d->bor.move_fails++;
	for (n = b->reqs; n; n = n->next)
		if (n->is_move && n->move_from == from) {
			n->is_move = false;
			if (!unmap_unforced(d, b, n)) {
				/* the only current copy of some extents now
				 * (the old one is partly unmapped): it stays */
				log_warn("%s: the new copy on lender %s holds data no other copy has: kept",
					 b->name, fmt_host(n->lender, hb));
				if (n->state == BREQ_FILLING)
					n->state = BREQ_MAPPED;
				continue;
			}
			breq_release(d, b, n);
			route_gc(d, n->lender);
		}
	if (q)
		q->move_retry = d->now + MOVE_RETRY_MS;
}

/* tell @q's lender whether we can move off it now (REQ_UNMOVABLE) */
static void set_unmovable(struct ipmemd *d, struct borrow *b, struct breq *q,
			  bool unmovable)
{
	if (q->unmovable == unmovable || q->state != BREQ_MAPPED)
		return;
	q->unmovable = unmovable;
	announce_request(d, b, q, unmovable ? IPMEM_BGP_REQ_UNMOVABLE :
			 IPMEM_BGP_REQ_CONFIRMED);
}

static void move_start(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	struct plan_pick picks[64];
	struct plan_cands c = { 0 };
	uint64_t left, off = 0;
	char err[512], hb[16];
	struct breq *n;
	size_t k, i;
	int slot;

	q->move_retry = d->now + MOVE_RETRY_MS;
	q->move_pools = d->rib.counts[IPMEM_BGP_KIND_POOL];
	slot = spare_slot(b);
	if (slot < 0) {
		log_warn("%s: cannot move %" PRIu64 " blocks off draining lender %s: every copy slot is in use (%u copies)",
			 b->name, q->count, fmt_host(q->lender, hb),
			 b->replicas);
		d->bor.move_fails++;
		set_unmovable(d, b, q, true);
		return;
	}
	if (plan_candidates(d, b, &c)) {
		plan_cands_free(&c);
		return;
	}
	k = plan_pick(c.v, c.n, q->count, plan_rnd, b, picks,
		      sizeof(picks) / sizeof(picks[0]), &left);
	if (left) {
		plan_shortfall(err, sizeof(err), &c, left, q->count,
			       d->conf.block_size, 1, b->lastwhy);
		log_warn("%s: cannot move %" PRIu64 " blocks off draining lender %s (they stay there): %s",
			 b->name, q->count, fmt_host(q->lender, hb), err);
		d->bor.move_fails++;
		plan_cands_free(&c);
		set_unmovable(d, b, q, true);
		return;
	}
	plan_cands_free(&c);
	set_unmovable(d, b, q, false);
	for (i = 0; i < k; i++) {
		n = breq_ask(d, b, &picks[i], slot);
		if (!n) {
			move_abort(d, b, q->lender, "out of memory");
			return;
		}
		n->is_move = true;
		n->move_from = q->lender;
		n->move_off = off;
		off += n->count;
		log_info("%s: moving %" PRIu64 " blocks off draining lender %s: asking lender %s (copy %d)",
			 b->name, n->count, fmt_host(q->lender, hb),
			 fmt_host(n->lender, (char[16]){ 0 }), slot);
		announce_request(d, b, n, IPMEM_BGP_REQ_PENDING);
	}
}

/* a run of extents of the copy being moved */
struct move_run {
	uint64_t extent, count;
};

static int run_cmp(const void *a, const void *b)
{
	const struct move_run *x = a, *y = b;

	return x->extent < y->extent ? -1 : x->extent > y->extent;
}

/*
 * The extents of @q's copy, in order (from the module's table); how many
 * runs, or -1 if they do not add up to @q's blocks.
 */
static ssize_t copy_runs(struct ipmemd *d, const struct borrow *b,
			 const struct breq *q, struct move_run **out)
{
	const struct mod_map *m;
	struct move_run *v;
	uint64_t sum = 0;
	size_t i, n = 0;

	maps_refresh(d, true);
	v = calloc(d->bor.nmaps ? d->bor.nmaps : 1, sizeof(*v));
	if (!v)
		return -1;
	for (i = 0; i < d->bor.nmaps; i++) {
		m = &d->bor.maps[i];
		if (m->disk != b->disk || m->replica != q->replica ||
		    ipmem_addr_host(m->prefix) != q->lender)
			continue;
		v[n].extent = m->extent;
		v[n].count = m->count;
		sum += m->count;
		n++;
	}
	if (sum != q->count) {
		free(v);
		return -1;
	}
	qsort(v, n, sizeof(*v), run_cmp);
	*out = v;
	return n;
}

/*
 * @n's copy is mapped and the module fills it.  A move whose new copy
 * fills nothing more for move-stall is given up (BREQ_FILLING below).
 */
static void set_filling(struct ipmemd *d, struct breq *n)
{
	n->state = BREQ_FILLING;
	n->fill_ok = 0;
	n->fill_at = d->now;
	n->stall_said = false;
}

/*
 * Map the grants of move @n where the copy it replaces is: the blocks of
 * its grants, in order, onto the extents of that copy from n->move_off on,
 * as aligned pieces (a prefix maps to consecutive extents; the old copy's
 * runs and the new grants need not line up).
 */
static void map_move(struct ipmemd *d, struct borrow *b, struct breq *n)
{
	struct breq *q = breq_find(b, n->move_from);
	uint64_t pos = n->move_off, first, left, piece, chunk, at;
	struct move_run *runs = NULL;
	struct rib_entry *e;
	uint8_t p[16];
	char why[300];
	ssize_t nr;
	size_t i, ri;
	int ret;

	if (!q || q->state != BREQ_MAPPED) {
		move_abort(d, b, n->move_from, "the copy to move is gone");
		return;
	}
	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
		if (!grant_usable(d, b, n, e, why, sizeof(why)))
			continue;
		if (bgrant_add(n, e->eff, false)) {
			move_abort(d, b, n->move_from, "out of memory");
			return;
		}
	}
	if (!route_for(d, n->lender, n->ngrants ? (const void *)rib_lookup(
			&d->rib, n->grants[0].prefix, n->grants[0].plen) :
		       NULL)) {
		move_abort(d, b, n->move_from, "no route to the new lender");
		return;
	}
	nr = copy_runs(d, b, q, &runs);
	if (nr < 0) {
		move_abort(d, b, n->move_from,
			   "the old copy is not wholly in the module's table");
		return;
	}
	for (i = 0; i < n->ngrants; i++) {
		first = ipmem_addr_block(n->grants[i].prefix);
		left = n->grants[i].count;
		while (left) {
			/* the extent at position @pos of the old copy */
			for (ri = 0, at = pos; ri < (size_t)nr &&
			     at >= runs[ri].count; ri++)
				at -= runs[ri].count;
			if (ri == (size_t)nr) {
				free(runs);
				move_abort(d, b, n->move_from,
					   "more blocks granted than the copy has");
				return;
			}
			piece = runs[ri].count - at;
			if (piece > left)
				piece = left;
			/* the largest aligned power of two that fits */
			for (chunk = 1; chunk * 2 <= piece &&
			     !(first & (chunk * 2 - 1)); chunk *= 2)
				;
			ipmem_addr_make(p, d->ctx.net, n->lender, first);
			ret = map_new(d, b->disk, p,
				      128 - __builtin_ctzll(chunk),
				      n->replica, runs[ri].extent + at);
			if (ret) {
				snprintf(why, sizeof(why), "mapping %s at extent %" PRIu64 ": %s",
					 pfx_str(p, 128 - __builtin_ctzll(chunk)),
					 runs[ri].extent + at, mod_err(d->mod));
				free(runs);
				move_abort(d, b, n->move_from, why);
				return;
			}
			n->grants[i].mapped = true;
			first += chunk;
			left -= chunk;
			pos += chunk;
		}
	}
	free(runs);
	set_filling(d, n);
	log_info("%s: mapped %" PRIu64 " blocks of lender %s as spare copy %u; filling",
		 b->name, n->count, fmt_host(n->lender, why), n->replica);
}

/* has the module filled @n's copy? -1: it never will (lost) */
static int move_filled(struct ipmemd *d, const struct borrow *b,
		       struct breq *n)
{
	const struct mod_map *m;
	uint64_t ok = 0;
	size_t i;

	maps_refresh(d, false);
	for (i = 0; i < d->bor.nmaps; i++) {
		m = &d->bor.maps[i];
		if (m->disk != b->disk || m->replica != n->replica ||
		    ipmem_addr_host(m->prefix) != n->lender)
			continue;
		if (m->state == IPMEM_MAP_LOST)
			return -1;
		if (m->state == IPMEM_MAP_OK)
			ok += m->count;
	}
	if (ok > n->fill_ok) {
		n->fill_ok = ok;
		n->fill_at = d->now;
	}
	return ok == n->count;
}

/* every move of @q's copy is filled: the old copy goes */
static void move_finish(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	struct breq *n;
	char hb[16];
	size_t i;
	int ret;

	for (i = 0; i < q->ngrants; i++) {
		if (!q->grants[i].mapped)
			continue;
		/* the module refuses if this were the only current copy */
		ret = map_del(d, q->grants[i].prefix,
			      q->grants[i].plen, false);
		if (ret && ret != -ENOENT) {
			/* a write missed the new copy since: wait for it */
			log_warn("%s: unmapping %s after its move: %s; waiting for the new copy again",
				 b->name, pfx_str(q->grants[i].prefix,
						  q->grants[i].plen),
				 mod_err(d->mod));
			for (n = b->reqs; n; n = n->next)
				if (n->is_move && n->move_from == q->lender &&
				    n->state == BREQ_MAPPED)
					set_filling(d, n);
			return;
		}
		q->grants[i].mapped = false;
		q->move_half_gone = true;
	}
	for (n = b->reqs; n; n = n->next)
		if (n->is_move && n->move_from == q->lender)
			n->is_move = false;
	d->bor.moves++;
	d->bor.moved_blocks += q->count;
	log_info("%s: moved %" PRIu64 " blocks off draining lender %s",
		 b->name, q->count, fmt_host(q->lender, hb));
	breq_release(d, b, q);
	route_gc(d, q->lender);
}

/* the request of @b whose copy run @m is */
static const struct breq *copy_of(const struct borrow *b,
				  const struct mod_map *m)
{
	const struct breq *q;

	for (q = b->reqs; q; q = q->next)
		if (q->replica == m->replica &&
		    q->lender == ipmem_addr_host(m->prefix))
			return q;
	return NULL;
}

/*
 * Do other copies than @q's hold each of its extents, as many as the
 * borrow keeps?  2: yes, and current; 1: yes, some still being filled; 0:
 * no.  After a restart in the middle of a move the spare copy is just
 * another copy: this is how the move is recognised and finished.
 */
static int covered_elsewhere(struct ipmemd *d, const struct borrow *b,
			     const struct breq *q)
{
	uint8_t *mapped, *ok, *mine;
	const struct mod_map *m;
	uint64_t e, n = b->blocks;
	const struct breq *mq;
	bool filled;
	int ret = 2;
	size_t i;

	maps_refresh(d, false);
	mapped = calloc(n ? n : 1, 3);
	if (!mapped)
		return 0;
	ok = mapped + n;
	mine = ok + n;
	for (i = 0; i < d->bor.nmaps; i++) {
		m = &d->bor.maps[i];
		if (m->disk != b->disk || m->extent + m->count > n)
			continue;
		mq = copy_of(b, m);
		/* a copy that is leaving too does not count */
		if (mq != q && (!mq || mq->drain_asked ||
				mq->state == BREQ_RELEASING ||
				moves_of(b, mq->lender, &filled)))
			continue;
		for (e = m->extent; e < m->extent + m->count; e++) {
			if (mq == q) {
				mine[e] = 1;
			} else if (m->state != IPMEM_MAP_LOST) {
				mapped[e]++;
				ok[e] += m->state == IPMEM_MAP_OK;
			}
		}
	}
	for (e = 0; e < n && ret; e++) {
		if (!mine[e])
			continue;
		if (mapped[e] < b->replicas)
			ret = 0;
		else if (ok[e] < b->replicas)
			ret = 1;
	}
	free(mapped);
	return ret;
}

/*
 * Does @q know every block of its lender that the module maps for its
 * copy?  A request adopted after a restart is rebuilt from its grants as
 * they come back over BGP, one at a time: moving or releasing it before
 * it has them all would leave the rest of the copy mapped to blocks the
 * lender then takes back.
 */
static bool adopted_whole(struct ipmemd *d, const struct borrow *b,
			  struct breq *q)
{
	uint64_t n;

	if (!q->adopted)
		return true;
	maps_refresh(d, false);
	n = mapped_of(d, b->disk, q->replica, q->lender);
	if (n <= q->count)
		return true;
	if (adopt_grace_over(d) && !q->partial_said) {
		log_warn("%s: the module maps %" PRIu64 " blocks of lender %s for copy %u, its grants cover %" PRIu64 ": waiting for the others before moving it",
			 b->name, n, fmt_host(q->lender, (char[16]){ 0 }),
			 q->replica, q->count);
		q->partial_said = true;
	}
	return false;
}

/* the drain moves of a ready borrow: start, and finish */
static void moves_reconcile(struct ipmemd *d, struct borrow *b)
{
	struct breq *q, *next;
	bool filled;
	size_t k;
	int c;

	/* a move whose old copy went meanwhile is a copy like any other */
	for (q = b->reqs; q; q = q->next)
		if (q->is_move && !breq_find(b, q->move_from))
			q->is_move = false;
	for (q = b->reqs; q; q = next) {
		next = q->next;
		if (q->state != BREQ_MAPPED || q->is_move ||
		    !adopted_whole(d, b, q))
			continue;
		q->drain_asked = grants_draining(d, b, q);
		k = moves_of(b, q->lender, &filled);
		if (k) {
			if (filled)
				move_finish(d, b, q);
			continue;
		}
		if (!q->drain_asked) {
			set_unmovable(d, b, q, false);
			continue;
		}
		/* a move an earlier ipmemd began: finish it, or wait */
		c = covered_elsewhere(d, b, q);
		if (c == 2)
			move_finish(d, b, q);
		else if (!c && d->bgp.up &&
			 (d->now >= q->move_retry || q->move_pools !=
			  d->rib.counts[IPMEM_BGP_KIND_POOL]))
			move_start(d, b, q);
	}
}

/* ------------------------------------------- giving back, mapping again */

/*
 * What swap freed (discarded) in a disk that stays swap goes back to its
 * lenders by whole segments (<ipmem/wire.h>, IPMEM_SEG_SHIFT_MAX): the
 * module unmaps the extents (MAP_DEL with FREE_ONLY, refused if one holds
 * data), and the request, still confirmed, names the run in RETURN with a
 * new revision and a COUNT that no longer counts it.  The lender takes the
 * run out of its grants and announces what stays; once no grant of the
 * request overlaps the run, the request's grants are what the RIB has.
 * One run per request at a time.  The extents stay in the disk with no
 * copy (holes); a write that comes to one waits in the module, which says
 * so (MAP_WANTED): the disk's holes are then mapped again, by growing a
 * request of the disk (a larger COUNT, a new revision) or by a new one.
 * Only disks with one copy give back parts (with more, an extent would be
 * left with fewer copies than asked); others go back whole.
 */
#define RETURN_ALIGN	(1ULL << IPMEM_SEG_SHIFT_MAX)
#define REFILL_RETRY_MS	10000

static bool grant_known(const struct breq *q, const uint8_t prefix[16],
			uint8_t plen)
{
	size_t i;

	for (i = 0; i < q->ngrants; i++)
		if (q->grants[i].plen == plen &&
		    !memcmp(q->grants[i].prefix, prefix, 16))
			return true;
	return false;
}

/* @q changed (a return, a growth): a new revision, announced */
static void breq_revise(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	q->revision = new_serial(d);
	announce_request(d, b, q, IPMEM_BGP_REQ_CONFIRMED);
}

/* may @q give back or grow now? */
static bool breq_settled(const struct borrow *b, const struct breq *q)
{
	bool filled;

	return q->state == BREQ_MAPPED && !q->ret_count && !q->grow &&
	       !q->is_move && !q->drain_asked && !q->unmovable &&
	       !moves_of(b, q->lender, &filled);
}

/*
 * A run of blocks that @q may give back inside the free run @bf..@cnt,
 * inside one grant of @q: whole RETURN_ALIGN-aligned runs (at most
 * @want blocks rounded up to one, and fewer than 2^32), or else a whole
 * grant of @q smaller than that.  0 if none.
 */
static uint64_t return_unit(const struct breq *q, uint64_t bf, uint64_t cnt,
			    uint64_t want, uint64_t *first)
{
	uint64_t a, lo, hi, n, gf, gc;
	size_t i;

	want = (want + RETURN_ALIGN - 1) & ~(RETURN_ALIGN - 1);
	if (want > (1ULL << 31))
		want = 1ULL << 31;
	for (i = 0; i < q->ngrants; i++) {
		if (!q->grants[i].mapped)
			continue;
		gf = ipmem_addr_block(q->grants[i].prefix);
		gc = q->grants[i].count;
		lo = bf > gf ? bf : gf;
		hi = bf + cnt < gf + gc ? bf + cnt : gf + gc;
		if (lo >= hi)
			continue;
		a = (lo + RETURN_ALIGN - 1) & ~(RETURN_ALIGN - 1);
		if (a + RETURN_ALIGN <= hi) {
			n = (hi - a) & ~(RETURN_ALIGN - 1);
			*first = a;
			return n < want ? n : want;
		}
		if (gc < RETURN_ALIGN && lo == gf && hi == gf + gc) {
			*first = gf;
			return gc;
		}
	}
	return 0;
}

/*
 * Give back up to @want blocks that swap freed in @b; returns how many
 * went (their extents unmapped, the returns announced).
 */
static uint64_t give_back_start(struct ipmemd *d, struct borrow *b,
				uint64_t want)
{
	uint64_t done = 0, first, n, off, k, got;
	struct mod_map *fr = NULL;
	struct breq *q;
	uint8_t p[16];
	size_t nfr = 0, i;
	char hb[16];
	int ret;

	if (b->replicas != 1 || b->state != BORROW_READY || b->disk_gone)
		return 0;
	if (mod_map_list_free(d->mod, b->disk, &fr, &nfr)) {
		log_warn("%s: MAP_GET free: %s", b->name, mod_err(d->mod));
		return 0;
	}
	log_dbg("%s: %zu runs of extents hold no data", b->name, nfr);
	for (i = 0; i < nfr && done < want; i++) {
		q = breq_find(b, ipmem_addr_host(fr[i].prefix));
		if (!q || !breq_settled(b, q) || fr[i].state != IPMEM_MAP_OK ||
		    fr[i].replica != q->replica || !adopted_whole(d, b, q))
			continue;
		n = return_unit(q, ipmem_addr_block(fr[i].prefix), fr[i].count,
				want - done, &first);
		log_dbg("%s: extents %" PRIu64 "+%" PRIu64 " hold no data: %" PRIu64 " blocks of them go back",
			b->name, fr[i].extent, fr[i].count, n);
		if (!n)
			continue;
		/* unmap it prefix by prefix; what went, goes back */
		for (got = 0, off = 0; off < n; off += 1ULL << k) {
			k = ipmem_aggr_step(first + off, n - off);
			ipmem_addr_make(p, d->ctx.net, q->lender, first + off);
			ret = mod_map_del_free(d->mod, p, 128 - k);
			if (ret) {
				log_info("%s: not giving back %s: %s", b->name,
					 pfx_str(p, 128 - k), mod_err(d->mod));
				break;
			}
			got += 1ULL << k;
		}
		d->bor.maps_at = 0;
		if (!got)
			continue;
		b->given_back += got;
		done += got;
		if (got >= q->count) {
			/* all it had: the request goes */
			log_info("%s: giving back all %" PRIu64 " blocks of lender %s: swap freed them",
				 b->name, got, fmt_host(q->lender, hb));
			breq_release(d, b, q);
			continue;
		}
		q->ret_first = first;
		q->ret_count = got;
		q->ret_since = d->now;
		q->count -= got;
		breq_revise(d, b, q);
		log_info("%s: giving back %" PRIu64 " blocks of lender %s from block %" PRIu64 " that swap freed; %" PRIu64 " stay",
			 b->name, got, fmt_host(q->lender, hb), first, q->count);
	}
	free(fr);
	return done;
}

/*
 * A return waits: has the lender taken the run out of its grants?  Then
 * the request's grants are what the RIB has, and true.  A return the
 * lender has not carried out in 3 x release-timeout is given up (but
 * not by a request adopted after a restart, which maps only once its
 * grants add up): the blocks stay granted (and unmapped) until the
 * request goes, and the policy is not held up for ever.
 */
static bool give_back_done(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	uint64_t lo = q->ret_first, hi = lo + q->ret_count, gf, total = 0;
	const struct ibgp_route *g;
	struct rib_entry *e;
	struct bgrant *kept = NULL, *nk;
	size_t n = 0;
	char why[256];

	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
		g = e->eff;
		if (!grant_usable(d, b, q, e, why, sizeof(why)))
			continue;
		gf = g->grant.first;
		if (gf < hi && gf + g->grant.count > lo) {
			free(kept);
			goto wait;
		}
		nk = realloc(kept, (n + 1) * sizeof(*nk));
		if (!nk) {
			free(kept);
			return false;
		}
		kept = nk;
		memcpy(kept[n].prefix, e->prefix, 16);
		kept[n].plen = e->plen;
		kept[n].count = g->grant.count;
		kept[n].mapped = true;
		total += g->grant.count;
		n++;
	}
	/* the pieces that stay may come after the grant they were cut from */
	if (total != q->count) {
		free(kept);
		goto wait;
	}
	log_info("%s: lender %s took back %" PRIu64 " blocks; %" PRIu64 " in %zu grants stay",
		 b->name, fmt_host(q->lender, why), q->ret_count, q->count, n);
	free(q->grants);
	q->grants = kept;
	q->ngrants = n;
	q->ret_count = 0;
	d->dirty = true;
	return true;

wait:
	/* an adopted request waits: its grants must add up before it maps */
	if (q->state != BREQ_MAPPED ||
	    d->now - q->ret_since < 3ULL * d->conf.release_timeout)
		return false;
	log_warn("%s: lender %s has not taken back blocks %" PRIu64 "+%" PRIu64 " in %u s: they stay granted, unmapped",
		 b->name, fmt_host(q->lender, why), lo, q->ret_count,
		 3 * d->conf.release_timeout / 1000);
	q->ret_count = 0;
	d->dirty = true;
	return false;
}

/*
 * Map the blocks @first..@count of @lender into the holes of copy
 * @replica of @b (extents with no copy), piece by piece: a grant need
 * not fit one hole.  *@done gets the blocks mapped.  0, or -errno with
 * nothing more mapped and @err saying why.
 */
static int map_into_holes(struct ipmemd *d, struct borrow *b, int replica,
			  uint32_t lender, uint64_t first, uint64_t count,
			  uint64_t *done, char *err, size_t len)
{
	uint64_t e = 0, hole, k, run, extents;
	const struct mod_map *m;
	struct mod_disk dk;
	uint8_t p[16];
	size_t i;
	int ret;

	*done = 0;
	disk_info(d, b->disk, &dk);
	extents = dk.extents;
	maps_refresh(d, true);
	while (count) {
		/* the next hole from extent e: up to the next mapped run */
		for (;;) {
			hole = extents - e;
			for (i = 0; i < d->bor.nmaps; i++) {
				m = &d->bor.maps[i];
				if (m->disk != b->disk || m->replica != replica ||
				    m->extent + m->count <= e)
					continue;
				if (m->extent <= e) {
					hole = 0;
					e = m->extent + m->count;
					break;
				}
				if (m->extent - e < hole)
					hole = m->extent - e;
			}
			if (hole || e >= extents)
				break;
		}
		if (!hole) {
			snprintf(err, len, "no extent without a copy is left in the disk");
			return -ENOSPC;
		}
		k = ipmem_aggr_step(first, count);
		while ((1ULL << k) > hole)
			k--;
		run = 1ULL << k;
		ipmem_addr_make(p, d->ctx.net, lender, first);
		ret = map_new(d, b->disk, p, 128 - k, replica, e);
		if (ret) {
			snprintf(err, len, "%s", mod_err(d->mod));
			return ret;
		}
		maps_refresh(d, true);
		first += run;
		count -= run;
		*done += run;
	}
	return 0;
}

/* a growth waits: all its new grants confirmed?  Then map them. */
static void grow_check(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	const struct ibgp_route *g;
	struct rib_entry *e;
	uint64_t have = 0, done;
	bool confirmed = true;
	char why[300];

	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
		g = e->eff;
		if (!grant_usable(d, b, q, e, why, sizeof(why)) ||
		    grant_known(q, e->prefix, e->plen))
			continue;
		have += g->grant.count;
		if (g->grant.state != IPMEM_GRANT_CONFIRMED &&
		    g->grant.state != IPMEM_BGP_GRANT_DRAINING)
			confirmed = false;
	}
	if (have != q->grow || !confirmed) {
		if (d->now < q->grow_deadline)
			return;
		log_warn("%s: lender %s did not grant %" PRIu64 " more blocks within %u s",
			 b->name, fmt_host(q->lender, why), q->grow,
			 d->conf.request_timeout / 1000);
		q->count -= q->grow;
		q->grow = 0;
		b->refill_retry = d->now + REFILL_RETRY_MS;
		breq_revise(d, b, q);
		return;
	}
	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
		g = e->eff;
		if (!grant_usable(d, b, q, e, why, sizeof(why)) ||
		    grant_known(q, e->prefix, e->plen))
			continue;
		if (map_into_holes(d, b, q->replica, q->lender, g->grant.first,
				   g->grant.count, &done, why, sizeof(why)))
			/* what is mapped of it stays: it is a grant of ours */
			log_warn("%s: mapping %s: %s (%" PRIu64 " of its blocks mapped)",
				 b->name, pfx_str(e->prefix, e->plen), why,
				 done);
		if (bgrant_add(q, g, done > 0))
			log_err("out of memory");
	}
	log_info("%s: lender %s granted %" PRIu64 " more blocks, mapped into what was given back",
		 b->name, fmt_host(q->lender, why), q->grow);
	b->refilled_at = d->now;
	if (b->given_back >= q->grow)
		b->given_back -= q->grow;
	q->grow = 0;
	d->dirty = true;
}

/* does the module map any of blocks @first..@count of @lender? */
static bool mapped_of_run(const struct ipmemd *d, uint32_t lender,
			  uint64_t first, uint64_t count)
{
	const struct mod_map *m;
	uint64_t b;
	size_t i;

	for (i = 0; i < d->bor.nmaps; i++) {
		m = &d->bor.maps[i];
		b = ipmem_addr_block(m->prefix);
		if (ipmem_addr_host(m->prefix) == lender &&
		    b < first + count && b + m->count > first)
			return true;
	}
	return false;
}

/*
 * Grants of @q beyond what it keeps that it did not ask for (a growth
 * granted after we gave up on it) and that nothing maps: give them back,
 * one at a time.
 */
static void extra_grants(struct ipmemd *d, struct borrow *b, struct breq *q)
{
	const struct ibgp_route *g;
	struct rib_entry *e;
	uint64_t total = 0;
	char why[300];

	if (!d->conf.elastic.parts || !breq_settled(b, q) || q->adopted)
		return;
	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e)
		if (grant_usable(d, b, q, e, why, sizeof(why)))
			total += e->eff->grant.count;
	if (total <= q->count)
		return;
	maps_refresh(d, false);
	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
		g = e->eff;
		if (!grant_usable(d, b, q, e, why, sizeof(why)) ||
		    grant_known(q, e->prefix, e->plen) ||
		    g->grant.state == IPMEM_GRANT_RESERVED ||
		    mapped_of_run(d, q->lender, g->grant.first,
				  g->grant.count))
			continue;
		log_warn("%s: lender %s granted %s, which we did not ask for: giving it back",
			 b->name, fmt_host(q->lender, why),
			 pfx_str(e->prefix, e->plen));
		q->ret_first = g->grant.first;
		q->ret_count = g->grant.count;
		q->ret_since = d->now;
		breq_revise(d, b, q);
		return;
	}
}

static bool plan(struct ipmemd *d, struct borrow *b, char *err, size_t len);

/* is a refill of @b (or a new request of it) under way? */
static bool refill_busy(const struct borrow *b)
{
	const struct breq *q;

	for (q = b->reqs; q; q = q->next)
		if (q->grow || q->state == BREQ_PENDING ||
		    q->state == BREQ_CONFIRMING || q->state == BREQ_FILLING)
			return true;
	return false;
}

/* V_i of lender @host as we know it: its pool route, or our own pool */
static uint64_t known_free(struct ipmemd *d, uint32_t host)
{
	const struct ibgp_route *p = rib_pool(d, host);
	struct lender *l;

	if (p)
		return p->pool.free;
	l = lender_find(d, host);
	return l && l->has_pool ? lender_announced_free(l) : 0;
}

/*
 * Map @b's holes again: grow the request of the disk whose lender has
 * the most free blocks, if one has room for all; else a new request to a
 * lender the disk does not use yet.  Returns whether one started.
 */
static bool refill(struct ipmemd *d, struct borrow *b, const char *why)
{
	struct breq *q, *best = NULL;
	uint64_t n, v, bestv = 0;
	struct mod_disk dk;
	char err[512], hb[16];
	int slot = -1;

	if (!d->conf.elastic.parts || b->state != BORROW_READY ||
	    b->disk_gone || refill_busy(b) || d->now < b->refill_retry ||
	    !d->bgp.up || b->replicas != 1)
		return false;
	/* the slot its one copy is in (a move can have put it in another) */
	for (q = b->reqs; q; q = q->next) {
		if (q->is_move || (slot >= 0 && q->replica != slot))
			return false;	/* a move under way */
		slot = q->replica;
	}
	if (slot < 0)
		slot = 0;
	disk_info(d, b->disk, &dk);
	n = dk.extents * b->replicas > dk.mapped ?
	    dk.extents * b->replicas - dk.mapped : 0;
	b->holes = n;
	if (!n) {
		b->wanted = false;
		return false;
	}
	for (q = b->reqs; q; q = q->next) {
		if (!breq_settled(b, q))
			continue;
		v = known_free(d, q->lender);
		if (v >= n && v > bestv) {
			best = q;
			bestv = v;
		}
	}
	if (best) {
		best->grow = n;
		best->grow_deadline = d->now + d->conf.request_timeout;
		best->count += n;
		breq_revise(d, b, best);
		log_info("%s: asking lender %s for %" PRIu64 " more blocks to map where blocks were given back (%s)",
			 b->name, fmt_host(best->lender, hb), n, why);
		return true;
	}
	if (slot) {
		log_warn("%s: no lender of the disk has room to map the %" PRIu64 " blocks given back again (%s); trying again in %u s",
			 b->name, n, why, REFILL_RETRY_MS / 1000);
		b->refill_retry = d->now + REFILL_RETRY_MS;
		return false;
	}
	b->need[0] = n;
	if (!plan(d, b, err, sizeof(err))) {
		log_warn("%s: cannot map the %" PRIu64 " blocks given back again (%s): %s",
			 b->name, n, why, err);
		b->need[0] = 0;
		b->refill_retry = d->now + REFILL_RETRY_MS;
		return false;
	}
	log_info("%s: asked for %" PRIu64 " blocks to map where blocks were given back (%s)",
		 b->name, n, why);
	return true;
}

void borrower_wanted(struct ipmemd *d, uint32_t disk, uint64_t extent)
{
	struct borrow *b = borrow_by_disk(d, disk);

	if (!b) {
		log_dbg("module: a write waits for extent %" PRIu64 " of ipmem%u, a disk we did not borrow",
			extent, disk);
		return;
	}
	if (!d->conf.elastic.parts) {
		log_dbg("%s: a write waits for extent %" PRIu64 ", which has no copy (elastic-parts is off: not mapped here)",
			b->name, extent);
		return;
	}
	/* the module says it again every half second while a write waits */
	if (!b->wanted && d->now - b->refilled_at >= 2000)
		log_info("%s: a write waits for extent %" PRIu64 ", which has no copy",
			 b->name, extent);
	b->wanted = true;
	b->wanted_extent = extent;
	d->dirty = true;
}

static void breq_reconcile(struct ipmemd *d, struct borrow *b,
			   struct breq *q)
{
	const struct ibgp_route *ref = refusal(d, b, q);
	struct grant_sum s;
	char why[256], hb[16];
	struct breq *from;

	switch (q->state) {
	case BREQ_PENDING:
	case BREQ_CONFIRMING:
		if (ref) {
			breq_fail(d, b, q, ibgp_reason_name(ref->ref.reason));
			return;
		}
		/* adopted with a return under way: the grants follow it */
		if (q->ret_count && !give_back_done(d, b, q) && q->ret_count)
			return;
		sum_grants(d, b, q, &s);
		if (s.blocks > q->count) {
			breq_fail(d, b, q, "granted more blocks than asked");
			return;
		}
		if (s.blocks == q->count) {
			if (q->state == BREQ_PENDING) {
				q->state = BREQ_CONFIRMING;
				q->deadline = d->now + d->conf.request_timeout;
				announce_request(d, b, q,
						 IPMEM_BGP_REQ_CONFIRMED);
			}
			if (s.all_confirmed) {
				if (q->is_move)
					map_move(d, b, q);
				else
					map_grants(d, b, q);
				return;
			}
		}
		if (d->now >= q->deadline && q->adopted && q->revision &&
		    s.blocks && s.blocks < q->count && s.all_confirmed) {
			/*
			 * Adopted while it grew: what the lender granted is
			 * mapped already; never fail a request the module
			 * maps.  A growth granted later goes back.
			 */
			log_warn("%s: lender %s holds %" PRIu64 " of the %" PRIu64 " blocks of our request (it was growing): keeping those",
				 b->name, fmt_host(q->lender, hb), s.blocks,
				 q->count);
			q->count = s.blocks;
			breq_revise(d, b, q);
			map_grants(d, b, q);
			return;
		}
		if (d->now >= q->deadline) {
			snprintf(why, sizeof(why),
				 "no %s within %u s (%" PRIu64 " of %" PRIu64 " blocks granted)",
				 q->state == BREQ_PENDING ? "answer" :
				 "confirmed grants", d->conf.request_timeout / 1000,
				 s.blocks, q->count);
			breq_fail(d, b, q, why);
		}
		return;
	case BREQ_FILLING:
		switch (move_filled(d, b, q)) {
		case 1:
			q->state = BREQ_MAPPED;
			log_info("%s: spare copy %u from lender %s filled",
				 b->name, q->replica, fmt_host(q->lender, why));
			break;
		case -1:
			if (q->is_move)
				move_abort(d, b, q->move_from,
					   "the new copy was lost");
			else
				q->state = BREQ_MAPPED;
			break;
		case 0:
			if (!q->is_move ||
			    d->now - q->fill_at < d->conf.move_stall)
				break;
			from = breq_find(b, q->move_from);
			if (from && from->move_half_gone) {
				/* only the new copy has those extents now */
				if (d->now - q->fill_at >= 2 * d->conf.move_stall &&
				    !q->stall_said) {
					log_warn("%s: the new copy on lender %s fills no more; part of the old one is unmapped already, so the move waits for it",
						 b->name, fmt_host(q->lender, hb));
					q->stall_said = true;
				}
				break;
			}
			snprintf(why, sizeof(why),
				 "its new copy on lender %s filled no more extents in %u s (%" PRIu64 " of %" PRIu64 ")",
				 fmt_host(q->lender, hb), d->conf.move_stall / 1000,
				 q->fill_ok, q->count);
			move_abort(d, b, q->move_from, why);
			break;
		}
		return;
	case BREQ_MAPPED:
		if (q->ret_count)
			give_back_done(d, b, q);
		else if (q->grow)
			grow_check(d, b, q);
		else
			extra_grants(d, b, q);
		return;
	case BREQ_RELEASING:
		/* a refusal stays until the request goes: do not wait for it */
		sum_grants(d, b, q, &s);
		if (!s.n || d->now >= q->deadline) {
			if (s.n)
				log_warn("%s: lender %s has not withdrawn its grants in %u s; withdrawing the request anyway",
					 b->name, fmt_host(q->lender, why),
					 d->conf.release_timeout / 1000);
			withdraw_request(d, b, q);
			breq_free(b, q);
		}
		return;
	}
}

/* ----------------------------------------------------- elastic state */

/*
 * Which disks the elastic policy borrowed is the one thing about a borrow
 * that neither the module nor BGP records: state-dir/elastic keeps it, so
 * that a restarted ipmemd adopts those disks as elastic (and gives them
 * back) rather than as borrows of its own.  Nothing with a simulated
 * module, whose disks do not outlive us.
 */
static bool elastic_path(struct ipmemd *d, char *path, size_t len)
{
	if (d->conf.fake_module)
		return false;
	snprintf(path, len, "%s/elastic", d->conf.state_dir);
	return true;
}

/* the elastic disks that still exist, and those of an earlier run */
static void elastic_save(struct ipmemd *d)
{
	char path[300], tmp[310];
	struct borrow *b;
	size_t i;
	FILE *f;

	if (!elastic_path(d, path, sizeof(path)))
		return;
	f = state_begin(path, tmp, sizeof(tmp));
	if (!f)
		return;
	fprintf(f, "# ipmemd: the disks its elastic policy borrowed\n");
	for (b = d->bor.borrows; b; b = b->next)
		if (b->elastic && !b->disk_gone)
			fprintf(f, "elastic disk %u\n", b->disk);
	for (i = 0; i < d->bor.nelastic_saved; i++)
		fprintf(f, "elastic disk %u\n", d->bor.elastic_saved[i]);
	state_commit(f, tmp, path);
}

/* at start: the elastic disks of the file that the module still has */
static void elastic_load(struct ipmemd *d)
{
	struct borrower *br = &d->bor;
	struct mod_disk *dk = NULL;
	unsigned int disk;
	char path[300], line[128];
	size_t n = 0, i;
	bool known;
	uint32_t *a;
	FILE *f;

	if (!elastic_path(d, path, sizeof(path)))
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	/* without the module's list, keep every entry: none is known gone */
	known = !mod_disk_list(d->mod, &dk, &n);
	if (!known)
		log_warn("DISK_GET: %s; keeping every disk of %s",
			 mod_err(d->mod), path);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "elastic disk %u", &disk) != 1)
			continue;
		for (i = 0; known && i < n && dk[i].id != disk; i++)
			;
		if (known && i == n)
			continue;	/* gone while we were away */
		a = realloc(br->elastic_saved,
			    (br->nelastic_saved + 1) * sizeof(*a));
		if (!a)
			break;
		br->elastic_saved = a;
		br->elastic_saved[br->nelastic_saved++] = disk;
	}
	fclose(f);
	free(dk);
	if (known)
		elastic_save(d);	/* without those that are gone */
}

/* an adopted borrow: was it the elastic policy's?  (Then it is again.) */
static bool elastic_adopt(struct ipmemd *d, uint32_t disk)
{
	struct borrower *br = &d->bor;
	size_t i;

	for (i = 0; i < br->nelastic_saved; i++) {
		if (br->elastic_saved[i] == disk) {
			br->elastic_saved[i] =
				br->elastic_saved[--br->nelastic_saved];
			return true;
		}
	}
	return false;
}

/* --------------------------------------------------------- borrows */

static void borrow_free(struct ipmemd *d, struct borrow *b)
{
	struct borrow **pp;
	struct breq *q;

	for (pp = &d->bor.borrows; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	}
	while ((q = b->reqs)) {
		b->reqs = q->next;
		free(q->grants);
		free(q);
	}
	free(b->excluded);
	free(b);
}

static struct borrow *borrow_new(struct ipmemd *d, const struct mod_disk *dk,
				 uint8_t rights)
{
	struct borrow *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return NULL;
	b->disk = dk->id;
	snprintf(b->name, sizeof(b->name), "%s", dk->name);
	b->blocks = dk->size / d->conf.block_size;
	b->replicas = dk->replicas ? dk->replicas : 1;
	b->rights = rights;
	for (r = 0; r < b->replicas && r < 3; r++)
		b->need[r] = b->blocks;
	b->state = BORROW_ACQUIRING;
	b->started = d->now;
	b->next = d->bor.borrows;
	d->bor.borrows = b;
	return b;
}

/* start giving @b back; false (and @err) if its disk is in use */
static bool borrow_release(struct ipmemd *d, struct borrow *b, char *err,
			   size_t len)
{
	struct breq *q;
	int ret;

	if (b->state == BORROW_RELEASING)
		return true;
	if (!b->disk_gone) {
		ret = mod_disk_del(d->mod, b->disk);
		if (ret == -EBUSY) {
			snprintf(err, len,
				 "%s is in use: swapoff /dev/%s (or close it) first",
				 b->name, b->name);
			return false;
		}
		if (ret && ret != -ENOENT) {
			snprintf(err, len, "removing %s: %s", b->name,
				 mod_err(d->mod));
			return false;
		}
		b->disk_gone = true;
		if (b->elastic)
			elastic_save(d);
	}
	log_info("%s: releasing", b->name);
	b->state = BORROW_RELEASING;
	b->started = d->now;
	for (q = b->reqs; q; q = q->next) {
		q->ngrants = 0;		/* unmapped with the disk */
		breq_release(d, b, q);
		route_gc(d, q->lender);
	}
	d->dirty = true;
	return true;
}

static void reply_ready(struct ipmemd *d, struct borrow *b)
{
	struct ctl_client *c = b->waiter;
	uint8_t p[16];
	struct breq *q;
	char sz[32], hb[16];

	b->waiter = NULL;
	if (!c)
		return;
	fmt_size(b->blocks * d->conf.block_size, sz, sizeof(sz));
	borrow_prefix(d, b->disk, p);
	ctl_printf(c, "borrowed /dev/%s: %s, %s, %u cop%s, id %s", b->name, sz,
		   b->rights == IPMEM_RIGHTS_RO ? "ro" : "rw", b->replicas,
		   b->replicas > 1 ? "ies" : "y",
		   pfx_str(p, IPMEM_BGP_BORROW_PLEN));
	for (q = b->reqs; q; q = q->next)
		if (q->state == BREQ_MAPPED)
			ctl_printf(c, "  copy %u: %" PRIu64 " blocks from lender %s",
				   q->replica, q->count, fmt_host(q->lender, hb));
	ctl_printf(c, "  planned in %" PRIu64 " us among %zu lenders, ready in %" PRIu64 " ms",
		   b->plan_us, b->plan_cands, d->now - b->started);
	ctl_end(c, 0, "ok");
}

static void do_swapon(struct ipmemd *d, struct borrow *b)
{
	char dev[64], prio[16];
	char *mk[] = { "/sbin/mkswap", dev, NULL };
	char *on[] = { "/sbin/swapon", "--discard=pages", dev, NULL, NULL, NULL };
	pid_t pid;
	int st;

	snprintf(dev, sizeof(dev), "/dev/%s", b->name);
	/* every disk ipmemd swaps on at one priority: the kernel spreads
	 * pages over them, and none fills while another stays empty */
	if (d->conf.elastic.priority != UINT32_MAX) {
		snprintf(prio, sizeof(prio), "%u", d->conf.elastic.priority);
		on[2] = "-p";
		on[3] = prio;
		on[4] = dev;
	}
	pid = ipmemd_spawn(mk, "/dev/null");
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		log_err("mkswap %s failed", dev);
		b->swapon_failed = true;
		return;
	}
	pid = ipmemd_spawn(on, NULL);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		log_err("swapon %s failed", dev);
		b->swapon_failed = true;
		return;
	}
	log_info("swapping on %s%s%s", dev,
		 on[3] == prio ? " at priority " : "", on[3] == prio ? prio : "");
}

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static uint64_t pending_to(struct ipmemd *d, uint32_t lender)
{
	struct borrow *b;
	struct breq *q;
	uint64_t n = 0;

	for (b = d->bor.borrows; b; b = b->next)
		for (q = b->reqs; q; q = q->next)
			if (q->lender == lender && q->state == BREQ_PENDING)
				n += q->count;
	return n;
}

/*
 * The candidates for copy @r of @b (plan.c decides among them): every
 * lender in the RIB with blocks of our size, and this host's own pools
 * unless exclude-self, each with V_i less what we asked it and it has not
 * answered; not the lenders that refused @b or that @b asks already.
 */
static int plan_candidates(struct ipmemd *d, struct borrow *b,
			   struct plan_cands *c)
{
	const struct ibgp_route *p;
	struct rib_entry *e;
	uint64_t pend, v;
	size_t i;

	c->n = 0;
	c->free_total = 0;
	rib_for_each(&d->rib, IPMEM_BGP_KIND_POOL, e) {
		p = e->eff;
		if (p->pool.block_size != d->conf.block_size ||
		    excluded(b, p->host) || breq_find(b, p->host))
			continue;
		pend = pending_to(d, p->host);
		if (p->pool.free > pend &&
		    plan_cand_add(c, p->host, p->pool.free - pend,
				  probe_latency(d, p->host)))
			return -ENOMEM;
	}
	for (i = 0; i < d->nlenders && !d->conf.exclude_self; i++) {
		struct lender *l = &d->lenders[i];

		if (!l->has_pool || excluded(b, l->host) ||
		    breq_find(b, l->host) ||
		    l->pool.block_size != d->conf.block_size)
			continue;
		pend = pending_to(d, l->host);
		v = lender_announced_free(l);
		if (v > pend && plan_cand_add(c, l->host, v - pend, 1))
			return -ENOMEM;
	}
	return 0;
}

/* plan the blocks of @b not asked for yet; false if they cannot be */
static bool plan(struct ipmemd *d, struct borrow *b, char *err, size_t len)
{
	struct plan_pick picks[64];
	struct plan_cands c = { 0 };
	uint64_t left, t0;
	size_t n, i;
	struct breq *q;
	int r;

	for (r = 0; r < b->replicas; r++) {
		if (!b->need[r])
			continue;
		t0 = now_us();
		if (plan_candidates(d, b, &c)) {
			snprintf(err, len, "out of memory");
			plan_cands_free(&c);
			return false;
		}
		n = plan_pick(c.v, c.n, b->need[r], plan_rnd, b, picks,
			      sizeof(picks) / sizeof(picks[0]), &left);
		b->plan_us += now_us() - t0;
		b->plan_cands = c.n;
		if (left) {
			plan_shortfall(err, len, &c, b->need[r], b->blocks,
				       d->conf.block_size, b->replicas,
				       b->lastwhy);
			plan_cands_free(&c);
			return false;
		}
		for (i = 0; i < n; i++) {
			q = breq_ask(d, b, &picks[i], r);
			if (!q) {
				snprintf(err, len, "out of memory");
				plan_cands_free(&c);
				return false;
			}
			b->need[r] -= q->count;
			log_info("%s: asking lender %s for %" PRIu64 " blocks (copy %d)",
				 b->name, fmt_host(q->lender, (char[16]){ 0 }),
				 q->count, r);
			announce_request(d, b, q, IPMEM_BGP_REQ_PENDING);
		}
	}
	plan_cands_free(&c);
	return true;
}

static void borrow_fail(struct ipmemd *d, struct borrow *b, const char *why)
{
	char err[512];

	log_warn("%s: borrow failed: %s", b->name, why);
	snprintf(b->failed, sizeof(b->failed), "%s", why);
	if (b->elastic) {
		d->bor.elastic_fails++;
		d->bor.elastic_act = "could not grow";
	}
	if (b->waiter) {
		ctl_end(b->waiter, -ENOSPC, "%s", why);
		b->waiter = NULL;
	}
	if (!borrow_release(d, b, err, sizeof(err))) {
		/* in use (an adopted disk): keep what it has */
		log_err("%s: %s", b->name, err);
		b->state = BORROW_READY;
	}
}

static void borrow_reconcile(struct ipmemd *d, struct borrow *b)
{
	struct breq *q, *next;
	char err[512];
	bool done;
	int r;

	for (q = b->reqs; q; q = next) {
		next = q->next;
		breq_reconcile(d, b, q);
	}
	switch (b->state) {
	case BORROW_ACQUIRING:
		if (!d->bgp.up)
			return;		/* keep asking once BGP is back */
		if (!plan(d, b, err, sizeof(err))) {
			borrow_fail(d, b, err);
			return;
		}
		done = true;
		for (r = 0; r < b->replicas; r++)
			done &= !b->need[r];
		for (q = b->reqs; q; q = q->next)
			if (q->state != BREQ_MAPPED &&
			    q->state != BREQ_RELEASING)
				done = false;
		if (!done)
			return;
		b->state = BORROW_READY;
		log_info("%s ready: %" PRIu64 " blocks x %u in %" PRIu64 " ms",
			 b->name, b->blocks, b->replicas, d->now - b->started);
		if (b->elastic)
			d->bor.elastic_grows++;
		reply_ready(d, b);
		if (b->swapon)
			do_swapon(d, b);
		return;
	case BORROW_READY:
		moves_reconcile(d, b);
		if (b->wanted)
			refill(d, b, "a write waits");
		return;
	case BORROW_RELEASING:
		if (b->reqs)
			return;
		log_info("%s released in %" PRIu64 " ms", b->name,
			 d->now - b->started);
		if (b->waiter) {
			ctl_printf(b->waiter, "released %s", b->name);
			b->waiter->pending--;
			if (!b->waiter->pending)
				ctl_end(b->waiter, b->waiter->errors ? -EBUSY : 0,
					b->waiter->errors ? "some borrows were not released" : "ok");
		}
		borrow_free(d, b);
		return;
	}
}

/* what the module says of disk @id (a blank one if it has none) */
static void disk_info(struct ipmemd *d, uint32_t id, struct mod_disk *out)
{
	struct mod_disk *dk = NULL;
	size_t n = 0, i;

	memset(out, 0, sizeof(*out));
	out->id = id;
	snprintf(out->name, sizeof(out->name), "ipmem%u", id);
	out->replicas = 1;
	if (mod_disk_list(d->mod, &dk, &n))
		return;
	for (i = 0; i < n; i++)
		if (dk[i].id == id)
			*out = dk[i];
	free(dk);
}

/* grants for us that no request of ours matches: adopt or ignore */
static void adopt_grants(struct ipmemd *d)
{
	const struct ibgp_route *g;
	const struct mod_map *m;
	struct rib_entry *e;
	struct borrow *b;
	struct breq *q;
	bool refreshed = false;
	struct mod_disk dk;

	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
		g = e->eff;
		if (g->grant.borrower != d->host)
			continue;
		b = borrow_by_disk(d, g->grant.disk);
		q = b ? breq_find(b, g->host) : NULL;
		if (q && (!q->adopted || q->state != BREQ_MAPPED ||
			  q->serial != g->grant.serial))
			continue;
		if (q) {
			size_t i;

			for (i = 0; i < q->ngrants; i++)
				if (q->grants[i].plen == e->plen &&
				    !memcmp(q->grants[i].prefix, e->prefix, 16))
					break;
			if (i < q->ngrants)
				continue;
		}
		if (!refreshed) {
			maps_refresh(d, false);
			refreshed = true;
		}
		m = mapped_in(d, g->host, g->grant.first, g->grant.count);
		if (!m || m->disk != g->grant.disk ||
		    (b && b->state == BORROW_RELEASING)) {
			if (!e->noted)
				log_warn("ignored grant %s for us: no request of ours (disk %u) asked for it",
					 pfx_str(e->prefix, e->plen),
					 g->grant.disk);
			e->noted = true;
			continue;
		}
		if (!b) {
			disk_info(d, g->grant.disk, &dk);
			b = borrow_new(d, &dk, g->grant.rights);
			if (!b)
				return;
			b->state = BORROW_READY;
			b->need[0] = 0;
			b->elastic = elastic_adopt(d, b->disk);
			if (b->elastic) {
				log_info("%s: adopted as elastic (state-dir)",
					 b->name);
				elastic_save(d);
			}
		}
		if (!q) {
			q = calloc(1, sizeof(*q));
			if (!q)
				return;
			q->lender = g->host;
			q->replica = m->replica;
			q->serial = g->grant.serial;
			q->state = BREQ_MAPPED;
			q->adopted = true;
			q->next = b->reqs;
			b->reqs = q;
			/* its routes, should someone have deleted them */
			route_for(d, q->lender, g);
		}
		if (bgrant_add(q, g, true))
			return;
		q->count += g->grant.count;
		log_info("%s: adopting grant %s of lender %s (mapped before we started)",
			 b->name, pfx_str(e->prefix, e->plen),
			 fmt_host(g->host, (char[16]){ 0 }));
		announce_request(d, b, q, IPMEM_BGP_REQ_CONFIRMED);
	}
}

void borrower_reconcile(struct ipmemd *d)
{
	struct borrow *b, *next;

	adopt_grants(d);
	for (b = d->bor.borrows; b; b = next) {
		next = b->next;
		borrow_reconcile(d, b);
	}
}

/* -------------------------------------------------------- adoption */

/* a request of ours that gobgpd still had when we started */
void borrower_adopt_path(struct ipmemd *d, const struct ibgp_route *m)
{
	struct mod_disk *dk = NULL, *k = NULL;
	const struct mod_map *mp;
	struct borrow *b;
	struct breq *q;
	size_t n = 0, i, r;

	if (mod_disk_list(d->mod, &dk, &n))
		n = 0;
	for (i = 0; i < n; i++)
		if (dk[i].id == m->req.disk)
			k = &dk[i];
	b = borrow_by_disk(d, m->req.disk);
	if (!b) {
		struct mod_disk gone = { .id = m->req.disk, .replicas = 1 };

		if (!k)
			snprintf(gone.name, sizeof(gone.name), "ipmem%u",
				 m->req.disk);
		b = borrow_new(d, k ? k : &gone, m->req.rights);
		if (!b)
			goto out;
		if (!k) {
			b->disk_gone = true;
			b->state = BORROW_RELEASING;
		}
		/* what its requests cover is not needed any more */
	}
	maps_refresh(d, true);
	q = calloc(1, sizeof(*q));
	if (!q)
		goto out;
	q->lender = m->req.lender;
	q->count = m->req.count;
	q->serial = m->req.serial;
	/* a change under way goes on (the lender ignores older revisions) */
	q->revision = m->req.revision;
	q->ret_first = m->req.ret_first;
	q->ret_count = m->req.ret_count;
	q->ret_since = d->now;
	q->adopted = true;
	q->deadline = d->now + d->conf.request_timeout;
	for (i = 0; i < d->bor.nmaps; i++) {
		mp = &d->bor.maps[i];
		if (mp->disk == m->req.disk &&
		    ipmem_addr_host(mp->prefix) == m->req.lender)
			q->replica = mp->replica;
	}
	q->next = b->reqs;
	b->reqs = q;
	/*
	 * What it covers is not needed again.  A copy in a spare slot (it
	 * moved off a draining lender) stands for one of the borrow's
	 * copies: the one that still needs the most.
	 */
	r = q->replica;
	if (r >= b->replicas)
		for (r = 0, i = 1; i < b->replicas; i++)
			if (b->need[i] > b->need[r])
				r = i;
	if (b->need[r] >= q->count)
		b->need[r] -= q->count;
	else
		b->need[r] = 0;
	if (b->state == BORROW_RELEASING || m->req.state == IPMEM_BGP_REQ_RELEASED) {
		q->state = BREQ_RELEASING;
		q->deadline = d->now + d->conf.release_timeout;
		announce_request(d, b, q, IPMEM_BGP_REQ_RELEASED);
	} else if (m->req.state == IPMEM_BGP_REQ_CONFIRMED ||
		   m->req.state == IPMEM_BGP_REQ_UNMOVABLE) {
		/* whether it can move is looked at again (a drain) */
		q->state = BREQ_CONFIRMING;
		announce_request(d, b, q, IPMEM_BGP_REQ_CONFIRMED);
	} else {
		q->state = BREQ_PENDING;
		announce_request(d, b, q, IPMEM_BGP_REQ_PENDING);
	}
	log_info("%s: adopted our request to lender %s (%s, %" PRIu64 " blocks)",
		 b->name, fmt_host(q->lender, (char[16]){ 0 }),
		 ibgp_req_state_name(m->req.state), q->count);
	d->bor.auto_done = true;
out:
	free(dk);
}

/* --------------------------------------------------------- control */

static struct borrow *borrow_start(struct ipmemd *d, struct ctl_client *c,
				   uint64_t bytes, uint8_t rights,
				   uint8_t replicas)
{
	uint32_t bs = d->conf.block_size;
	uint64_t blocks = (bytes + bs - 1) / bs;
	struct mod_disk dk;
	struct borrow *b;
	int ret;

	if (!blocks) {
		ctl_end(c, -EINVAL, "borrow: the size must not be 0");
		return NULL;
	}
	if (!d->bgp.up) {
		ctl_end(c, -EAGAIN, "borrow: gobgpd is not up yet; try again");
		return NULL;
	}
	ret = mod_disk_new(d->mod, blocks * bs, bs, replicas, &dk);
	if (ret) {
		log_warn("borrow: cannot create a disk: %s", mod_err(d->mod));
		ctl_end(c, ret, "borrow: cannot create a disk: %s",
			mod_err(d->mod));
		return NULL;
	}
	if (dk.id >= IPMEM_BGP_DISK_LIMIT) {
		mod_disk_del(d->mod, dk.id);
		ctl_end(c, -ENOSPC, "borrow: disk number %u is too high for BGP (at most %u)",
			dk.id, IPMEM_BGP_DISK_LIMIT - 1);
		return NULL;
	}
	b = borrow_new(d, &dk, rights);
	if (!b) {
		mod_disk_del(d->mod, dk.id);
		ctl_end(c, -ENOMEM, "borrow: out of memory");
		return NULL;
	}
	b->waiter = c;
	b->swapon = !c && d->conf.auto_swapon;
	log_info("%s: borrowing %" PRIu64 " blocks x %u (%s)", b->name, blocks,
		 replicas, rights == IPMEM_RIGHTS_RO ? "ro" : "rw");
	d->dirty = true;
	return b;
}

void borrower_borrow(struct ipmemd *d, struct ctl_client *c, uint64_t bytes,
		     uint8_t rights, uint8_t replicas)
{
	borrow_start(d, c, bytes, rights, replicas);
}

static bool borrow_matches(struct ipmemd *d, struct borrow *b,
			   const uint8_t p[16], uint8_t plen)
{
	const struct ibgp_route *g;
	struct rib_entry *e;
	uint8_t bp[16];
	struct breq *q;
	size_t i;

	borrow_prefix(d, b->disk, bp);
	if (ibgp_prefix_overlap(bp, IPMEM_BGP_BORROW_PLEN, p, plen))
		return true;
	for (q = b->reqs; q; q = q->next) {
		for (i = 0; i < q->ngrants; i++)
			if (ibgp_prefix_overlap(q->grants[i].prefix,
						q->grants[i].plen, p, plen))
				return true;
		rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
			g = e->eff;
			if (grant_for(d, g, b, q) &&
			    ibgp_prefix_overlap(e->prefix, e->plen, p, plen))
				return true;
		}
	}
	return false;
}

void borrower_release(struct ipmemd *d, struct ctl_client *c, const char *what)
{
	struct borrow *b, *next;
	uint8_t p[16], plen = 0;
	bool all = !strcmp(what, "all"), any = false;
	uint32_t disk = 0;
	bool by_disk = false;
	char err[512];
	const char *w = what;

	if (!all) {
		if (!strncmp(w, "/dev/", 5))
			w += 5;
		if (!strncmp(w, "ipmem", 5) && !ipmem_parse_u32(w + 5, &disk))
			by_disk = true;
		else if (ipmem_parse_prefix(what, p, &plen)) {
			ctl_end(c, -EINVAL, "release: '%s' is not 'all', a disk (ipmemN) or a prefix",
				what);
			return;
		}
	}
	c->pending = 0;
	c->errors = 0;
	for (b = d->bor.borrows; b; b = next) {
		next = b->next;
		if (!all && (by_disk ? b->disk != disk :
			     !borrow_matches(d, b, p, plen)))
			continue;
		any = true;
		if (b->state == BORROW_RELEASING) {
			if (!b->waiter) {
				b->waiter = c;
				c->pending++;
			}
			continue;
		}
		if (!borrow_release(d, b, err, sizeof(err))) {
			ctl_printf(c, "%s", err);
			c->errors++;
			continue;
		}
		if (b->waiter) {
			ctl_end(b->waiter, -ECANCELED, "%s was released while borrowing",
				b->name);
		}
		b->waiter = c;
		c->pending++;
	}
	if (!any) {
		if (all)
			ctl_end(c, 0, "ok: nothing borrowed");
		else
			ctl_end(c, -ENOENT, "release: no borrow matches '%s'",
				what);
		return;
	}
	if (!c->pending)
		ctl_end(c, -EBUSY, "nothing was released");
	d->dirty = true;
}

void borrower_client_gone(struct ipmemd *d, struct ctl_client *c)
{
	struct borrow *b;
	char err[512];

	for (b = d->bor.borrows; b; b = b->next) {
		if (b->waiter != c)
			continue;
		b->waiter = NULL;
		/* ipmemctl borrow interrupted: nobody will use the disk */
		if (b->state == BORROW_ACQUIRING) {
			log_info("%s: the client went away while borrowing: giving it back",
				 b->name);
			borrow_release(d, b, err, sizeof(err));
		}
	}
}

static const char *breq_state_name(enum breq_state s)
{
	switch (s) {
	case BREQ_PENDING: return "asked";
	case BREQ_CONFIRMING: return "confirming";
	case BREQ_FILLING: return "filling";
	case BREQ_MAPPED: return "mapped";
	case BREQ_RELEASING: return "releasing";
	}
	return "?";
}

/* one lender of the pool view, as a status line or a JSON object */
static void lender_line(uint32_t host, const uint8_t *nexthop,
			const uint8_t *endpoint, uint64_t total, uint64_t free,
			bool local, uint32_t us)
{
	char hb[16], ab[46], lat[32];

	out_obj_open(NULL);
	out_str(OUT_ANY, "lender", "  lender %s", fmt_host(host, hb));
	out_str(OUT_ANY, "nexthop", " nexthop %s", fmt_addr(nexthop, ab));
	out_str(OUT_JSON, "endpoint", NULL, fmt_addr(endpoint, ab));
	out_u64(OUT_ANY, "M_i", " M_i %" PRIu64, total);
	out_u64(OUT_ANY, "V_i", " V_i %" PRIu64, free);
	out_bool(OUT_JSON, "local", NULL, local);
	if (local) {
		out_text(" latency local\n");
	} else if (us) {
		snprintf(lat, sizeof(lat), "%u.%03u ms", us / 1000, us % 1000);
		out_str(OUT_TEXT, NULL, " latency %s\n", lat);
		out_u64(OUT_JSON, "latency_us", NULL, us);
	} else {
		out_text(" latency -\n");
		out_null("latency_us");
	}
	out_obj_close();
}

/* M and V over every pool this host knows (its own and BGP's), @nl pools */
void pool_view(struct ipmemd *d, uint64_t *M, uint64_t *V, uint64_t *nl)
{
	struct rib_entry *e;
	size_t i;

	*M = *V = *nl = 0;
	rib_for_each(&d->rib, IPMEM_BGP_KIND_POOL, e) {
		*M += e->eff->pool.total;
		*V += e->eff->pool.free;
		(*nl)++;
	}
	for (i = 0; i < d->nlenders; i++) {
		if (!d->lenders[i].has_pool)
			continue;
		*M += d->lenders[i].pool.total;
		*V += lender_announced_free(&d->lenders[i]);
		(*nl)++;
	}
}

/* ipmemd's part of `ipmemctl status`, in text or JSON (out.h) */
/* ------------------------------------------------------ elastic memory */

/* the text of @name under proc-dir, or NULL */
static char *proc_read(struct ipmemd *d, const char *name)
{
	char path[128], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", d->conf.proc, name);
	if (ipmemd_read_file(path, &text))
		return NULL;
	return text;
}

void borrower_child_exit(struct ipmemd *d, pid_t pid, int status)
{
	struct borrow *b;

	for (b = d->bor.borrows; b; b = b->next) {
		if (b->swapoff == pid) {
			b->swapoff_exited = true;
			b->swapoff_status = status;
		}
	}
}

/* a swapoff under way: done yet?  Then give the disk back. */
static bool elastic_swapoff_done(struct ipmemd *d, struct borrow *b)
{
	struct borrower *br = &d->bor;
	char err[512];
	int st;

	if (b->swapoff > 0) {
		if (!b->swapoff_exited)
			return false;
		st = b->swapoff_status;
		b->swapoff = 0;
		b->swapoff_exited = false;
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			log_warn("elastic: swapoff /dev/%s failed: it stays borrowed",
				 b->name);
			br->elastic_fails++;
			br->elastic_act = "could not give back";
			return true;
		}
	}
	b->swapoff = 0;
	log_info("elastic: %s is not swap (any more); giving it back",
		 b->name);
	if (!borrow_release(d, b, err, sizeof(err))) {
		log_warn("elastic: cannot give %s back: %s", b->name, err);
		br->elastic_fails++;
		return true;
	}
	br->elastic_shrinks++;
	return true;
}

/*
 * Elastic borrowing: look at the swap on ipmem, memory pressure and
 * available memory every two seconds; borrow one more step, or give the
 * least used elastic disk back, as elastic_decide() says.
 */
static void elastic_tick(struct ipmemd *d)
{
	const struct elastic_conf *c = &d->conf.elastic;
	struct borrower *br = &d->bor;
	struct elastic_view v = { 0 };
	struct borrow *b, *victim = NULL, *fill = NULL;
	uint64_t size, used, holes, want, got;
	const uint32_t bs = d->conf.block_size;
	struct mod_disk *dk = NULL;
	char *swaps, *text, why[200];
	enum elastic_act act;
	size_t ndk = 0, i;
	struct breq *q;

	if (!c->max || d->now < br->next_elastic)
		return;
	br->next_elastic = d->now + 2000;

	for (b = br->borrows; b; b = b->next)
		if (b->swapoff && !elastic_swapoff_done(d, b))
			v.busy = true;

	if (mod_disk_list(d->mod, &dk, &ndk))
		ndk = 0;
	swaps = proc_read(d, "swaps");
	for (b = br->borrows; b; b = b->next) {
		/* extent copies with no block: given back, not mapped again */
		holes = 0;
		for (i = 0; i < ndk; i++)
			if (dk[i].id == b->disk && b->state == BORROW_READY &&
			    dk[i].extents * b->replicas > dk[i].mapped)
				holes = (dk[i].extents * b->replicas -
					 dk[i].mapped) / b->replicas;
		b->holes = holes;
		if (b->elastic)
			v.elastic += (b->blocks - holes) * bs;
		if (b->elastic && (b->state != BORROW_READY || b->swapoff))
			v.busy = true;
		for (q = b->reqs; q; q = q->next)
			if (b->elastic && (q->ret_count || q->grow))
				v.busy = true;
		if (b->disk_gone || b->state != BORROW_READY || !swaps)
			continue;
		if (elastic_parse_swaps(swaps, b->name, &size, &used)) {
			/*
			 * Ready, and not swap: its swapon failed, or it was
			 * swap and someone swapped it off.  (Neither holds
			 * for a disk between ready and its swapon: that
			 * runs before the next look.)
			 */
			if (b->elastic && !b->swapoff &&
			    (b->swapon_failed || b->was_swap) &&
			    !v.victim_unswapped) {
				victim = b;
				v.victim_unswapped = true;
				v.victim_size = 0;
				v.victim_used = 0;
			}
			continue;
		}
		b->was_swap = true;
		v.swap_size += size;
		v.swap_used += used;
		if (c->parts && b->elastic && b->replicas == 1) {
			v.trim_unit = RETURN_ALIGN * bs;
			/* holes only where refill() can map them again */
			v.holes += holes * bs;
			if (holes && (!fill || holes > fill->holes))
				fill = b;
		}
		if (b->elastic && !v.victim_unswapped &&
		    (!victim || used < v.victim_used)) {
			victim = b;
			/* what it adds to what is mapped */
			v.victim_size = size > holes * bs ? size - holes * bs : 0;
			v.victim_used = used;
		}
	}
	free(swaps);
	free(dk);
	if (victim) {
		v.have_victim = true;
		snprintf(v.victim, sizeof(v.victim), "%s", victim->name);
	}
	text = proc_read(d, "pressure/memory");
	if (text)
		elastic_parse_psi(text, &v.psi_avg10);
	free(text);
	text = proc_read(d, "meminfo");
	if (text)
		elastic_parse_meminfo(text, &v.mem_available);
	free(text);
	v.now = d->now;
	v.last_step = br->elastic_last;
	v.have_last = br->elastic_stepped;
	br->elastic_view = v;

	act = elastic_decide(c, &v, why, sizeof(why));
	br->elastic_looks++;
	/* a step needs BGP: a borrow asks lenders, a release tells them */
	if (act != ELASTIC_NONE && !d->bgp.up)
		snprintf(why, sizeof(why), "BGP is down");
	/* and, after a start, what we had borrowed adopted first */
	else if (act != ELASTIC_NONE && !adopt_grace_over(d))
		snprintf(why, sizeof(why), "starting: adopting what was borrowed");
	if (act == ELASTIC_NONE || !d->bgp.up || !adopt_grace_over(d)) {
		if (strcmp(br->elastic_now, why))
			log_dbg("elastic: no step: %s", why);
		snprintf(br->elastic_now, sizeof(br->elastic_now), "%s", why);
		return;
	}
	br->elastic_now[0] = 0;
	br->elastic_last = d->now;
	br->elastic_stepped = true;
	snprintf(br->elastic_why, sizeof(br->elastic_why), "%s", why);
	if (act == ELASTIC_GROW) {
		char sz[32];

		fmt_size(c->step, sz, sizeof(sz));
		log_info("elastic: borrowing %s more: %s", sz, why);
		b = borrow_start(d, NULL, c->step, d->conf.rights,
				 d->conf.replicas);
		if (!b) {
			br->elastic_fails++;
			br->elastic_act = "could not grow";
			return;
		}
		b->elastic = true;
		b->swapon = !d->conf.fake_module;
		elastic_save(d);
		br->elastic_act = "grew";
		return;
	}
	if (act == ELASTIC_REFILL) {
		if (!fill || !refill(d, fill, why)) {
			/* busy, or no room now: not a step */
			br->elastic_stepped = v.have_last;
			br->elastic_last = v.last_step;
			snprintf(br->elastic_now, sizeof(br->elastic_now),
				 "%.150s, but that cannot start now", why);
			return;
		}
		log_info("elastic: %s", why);
		br->elastic_act = "mapped again";
		return;
	}
	if (act == ELASTIC_TRIM) {
		want = elastic_trim_bytes(c, &v) / bs;
		got = 0;
		for (b = br->borrows; b && got < want; b = b->next)
			if (b->elastic && b->was_swap)
				got += give_back_start(d, b, want - got);
		if (!got) {
			/* nothing freed that goes back whole: not a step */
			br->elastic_stepped = v.have_last;
			br->elastic_last = v.last_step;
			snprintf(br->elastic_now, sizeof(br->elastic_now),
				 "%.150s, but swap freed no whole segment", why);
			return;
		}
		log_info("elastic: giving back %" PRIu64 " MiB that swap freed: %s",
			 got * bs >> 20, why);
		br->elastic_act = "gave back part";
		br->elastic_shrinks++;
		return;
	}
	log_info("elastic: giving %s back: %s", victim->name, why);
	br->elastic_act = "gave back";
	if (d->conf.fake_module || v.victim_unswapped) {
		/* not swap (or simulated): nothing to swap off */
		elastic_swapoff_done(d, victim);
		return;
	}
	{
		char dev[64];
		char *off[] = { "/sbin/swapoff", dev, NULL };

		snprintf(dev, sizeof(dev), "/dev/%s", victim->name);
		victim->swapoff = ipmemd_spawn(off, NULL);
		if (victim->swapoff < 0) {
			victim->swapoff = 0;
			log_warn("elastic: cannot run swapoff for %s", dev);
			br->elastic_fails++;
		}
	}
}

static void elastic_status(struct ipmemd *d)
{
	const struct elastic_conf *c = &d->conf.elastic;
	const struct elastic_view *v = &d->bor.elastic_view;
	struct borrower *br = &d->bor;
	char a[32], b[32], e[32];

	if (!c->max)
		return;
	fmt_size(v->elastic, e, sizeof(e));
	fmt_size(c->max, a, sizeof(a));
	out_obj_open("elastic");
	out_u64(OUT_JSON, "borrowed_bytes", NULL, v->elastic);
	out_u64(OUT_JSON, "max_bytes", NULL, c->max);
	out_text("elastic: %s of %s borrowed", e, a);
	fmt_size(v->swap_used, a, sizeof(a));
	fmt_size(v->swap_size, b, sizeof(b));
	out_u64(OUT_JSON, "swap_used_bytes", NULL, v->swap_used);
	out_u64(OUT_JSON, "swap_bytes", NULL, v->swap_size);
	out_text("; swap on ipmem %s of %s used", a, b);
	out_u64(OUT_JSON, "psi_some_avg10_hundredths", NULL, v->psi_avg10);
	out_text("; pressure %u.%02u%%\n", v->psi_avg10 / 100,
		 v->psi_avg10 % 100);
	out_u64(OUT_ANY, "grows", "  steps: %" PRIu64 " grew", br->elastic_grows);
	out_u64(OUT_ANY, "shrinks", ", %" PRIu64 " gave back", br->elastic_shrinks);
	out_u64(OUT_ANY, "failures", ", %" PRIu64 " failed", br->elastic_fails);
	if (br->elastic_stepped) {
		out_str(OUT_ANY, "last", "; last %s", br->elastic_act);
		out_u64(OUT_ANY, "last_ago_s", " %" PRIu64 " s ago",
			(d->now - br->elastic_last) / 1000);
		out_str(OUT_ANY, "last_why", " (%s)", br->elastic_why);
	}
	out_u64(OUT_ANY, "looks", "; %" PRIu64 " looks\n", br->elastic_looks);
	if (br->elastic_now[0])
		out_str(OUT_ANY, "now", "  now: no step: %s\n", br->elastic_now);
	out_obj_close();
}

void borrower_status(struct ipmemd *d)
{
	const struct ibgp_route *p;
	uint8_t ep[16];
	struct rib_entry *e;
	uint64_t M, V, nl;
	struct borrow *b;
	struct breq *q;
	char hb[16], sz[32];
	uint8_t bp[16];
	size_t i;
	bool any;

	pool_view(d, &M, &V, &nl);
	out_obj_open("bgp");
	out_u64(OUT_ANY, "as", "bgp: AS %" PRIu64, d->conf.asn);
	out_str(OUT_ANY, "router_id", " router-id %s", d->router_id);
	out_u64(OUT_ANY, "peers_established", ", %" PRIu64,
		bgpd_established(d));
	out_u64(OUT_ANY, "peers", " of %" PRIu64 " peers established",
		d->bgp.npeers);
	out_u64(OUT_ANY, "routes", ", %" PRIu64 " routes received",
		d->rib.nentries);
	out_u64(OUT_ANY, "routes_ignored", " (%" PRIu64 " ignored)",
		d->rib.ignored);
	out_u64(OUT_ANY, "route_updates", ", %" PRIu64 " updates",
		d->rib.updates);
	out_u64(OUT_JSON, "routes_dropped", NULL, d->rib.dropped);
	out_text("%s\n", d->rib.dropped ? ", some dropped" : "");
	if (d->rib.dropped)
		out_text("  %" PRIu64 " routes dropped: a neighbor had max-routes (%u)\n",
			 d->rib.dropped, d->conf.max_routes);
	out_obj_close();
	fmt_size(V * d->conf.block_size, sz, sizeof(sz));
	out_u64(OUT_ANY, "M", "M %" PRIu64, M);
	out_u64(OUT_ANY, "V", " V %" PRIu64 " blocks", V);
	out_u64(OUT_ANY, "lenders_count", " in %" PRIu64 " lenders", nl);
	out_u64(OUT_JSON, "free_bytes", NULL, V * d->conf.block_size);
	out_text(" (%s free)\n", sz);
	out_arr_open("lenders");
	for (i = 0; i < d->nlenders; i++) {
		if (!d->lenders[i].has_pool)
			continue;
		lender_line(d->lenders[i].host, d->lenders[i].addr,
			    d->lenders[i].pool.addr, d->lenders[i].pool.total,
			    lender_announced_free(&d->lenders[i]),
			    true, 0);
	}
	rib_for_each(&d->rib, IPMEM_BGP_KIND_POOL, e) {
		p = e->eff;
		ipmem_addr_make(ep, d->ctx.net, p->host, 0);
		lender_line(p->host, p->nexthop,
			    p->pool.endpoint == IPMEM_BGP_ENDPOINT_PREFIX ?
			    ep : p->nexthop, p->pool.total,
			    p->pool.free, false, probe_latency(d, p->host));
	}
	out_arr_close();
	out_arr_open("borrows");
	for (b = d->bor.borrows; b; b = b->next) {
		borrow_prefix(d, b->disk, bp);
		fmt_size(b->blocks * d->conf.block_size, sz, sizeof(sz));
		out_obj_open(NULL);
		out_str(OUT_ANY, "prefix", "borrow %s",
			pfx_str(bp, IPMEM_BGP_BORROW_PLEN));
		out_str(OUT_ANY, "disk", " /dev/%s", b->name);
		out_str(OUT_TEXT, NULL, " %s", sz);
		out_u64(OUT_JSON, "bytes", NULL,
			b->blocks * d->conf.block_size);
		out_str(OUT_ANY, "rights", " %s",
			b->rights == IPMEM_RIGHTS_RO ? "ro" : "rw");
		out_u64(OUT_ANY, "copies", " copies %" PRIu64, b->replicas);
		out_bool(OUT_JSON, "elastic", NULL, b->elastic);
		out_str(OUT_ANY, "state", ": %s",
			b->state == BORROW_READY ? "ready" :
			b->state == BORROW_ACQUIRING ? "acquiring" :
			"releasing");
		out_text("%s%s", b->elastic ? " (elastic)" : "",
			 b->swapoff ? ", swapping off" : "");
		fmt_size(b->holes * d->conf.block_size, sz, sizeof(sz));
		out_u64(OUT_JSON, "unmapped_bytes", NULL,
			b->holes * d->conf.block_size);
		out_text("%s%s%s\n", b->holes ? ", " : "", b->holes ? sz : "",
			 b->holes ? " given back (unmapped)" : "");
		out_arr_open("copies_from");
		for (q = b->reqs; q; q = q->next) {
			out_obj_open(NULL);
			out_u64(OUT_ANY, "copy", "  copy %" PRIu64, q->replica);
			out_str(OUT_ANY, "lender", " lender %s",
				fmt_host(q->lender, hb));
			out_u64(OUT_ANY, "blocks", ": %" PRIu64 " blocks",
				q->count);
			out_str(OUT_ANY, "state", ", %s",
				breq_state_name(q->state));
			if (q->is_move)
				out_str(OUT_ANY, "moving_from",
					", moving the copy off lender %s",
					fmt_host(q->move_from, hb));
			out_bool(OUT_JSON, "lender_draining", NULL,
				 q->drain_asked);
			out_text("%s", q->drain_asked ? ", lender draining" :
				 "");
			if (q->ret_count)
				out_u64(OUT_ANY, "giving_back",
					", giving back %" PRIu64, q->ret_count);
			if (q->grow)
				out_u64(OUT_ANY, "growing",
					", asking for %" PRIu64 " more", q->grow);
			out_bool(OUT_JSON, "adopted", NULL, q->adopted);
			out_text("%s\n", q->adopted ? " (adopted)" : "");
			out_obj_close();
		}
		out_arr_close();
		out_obj_close();
	}
	out_arr_close();
	/* in the text only once a lender has asked us to move */
	any = d->bor.moves || d->bor.move_fails;
	out_obj_open("drain_moves");
	out_u64(any ? OUT_ANY : OUT_JSON, "moves",
		"drain moves: %" PRIu64 " done", d->bor.moves);
	out_u64(any ? OUT_ANY : OUT_JSON, "blocks", " (%" PRIu64 " blocks)",
		d->bor.moved_blocks);
	out_u64(any ? OUT_ANY : OUT_JSON, "failures",
		", %" PRIu64 " failed or could not start\n", d->bor.move_fails);
	out_obj_close();
	elastic_status(d);
}

/* ------------------------------------------------------------ ticks */

void borrower_tick(struct ipmemd *d)
{
	struct borrower *br = &d->bor;
	struct mod_disk *dk = NULL;
	struct borrow *b;
	size_t n = 0, i;
	bool found;
	char err[512];

	if (d->now >= br->next_disk_poll && br->borrows) {
		br->next_disk_poll = d->now + d->conf.disk_poll;
		if (!mod_disk_list(d->mod, &dk, &n)) {
			for (b = br->borrows; b; b = b->next) {
				if (b->disk_gone)
					continue;
				found = false;
				for (i = 0; i < n && !found; i++)
					found = dk[i].id == b->disk;
				if (found)
					continue;
				log_warn("%s was removed: releasing what it borrowed",
					 b->name);
				b->disk_gone = true;
				borrow_release(d, b, err, sizeof(err));
			}
			free(dk);
		}
	}

	elastic_tick(d);

	if (d->conf.auto_borrow && !br->auto_done && d->bgp.up &&
	    d->now >= br->next_auto && adopt_grace_over(d)) {
		br->next_auto = d->now + 30000;
		/*
		 * Done once this host has a borrow (ours, adopted or by
		 * hand); one still acquiring may yet fail.  A failed one is
		 * releasing (and soon gone): borrow again.
		 */
		for (b = br->borrows; b; b = b->next) {
			if (b->state == BORROW_READY) {
				br->auto_done = true;
				return;
			}
			if (b->state == BORROW_ACQUIRING)
				return;
		}
		log_info("policy: borrowing %" PRIu64 " bytes (auto-borrow)",
			 d->conf.auto_borrow);
		borrower_borrow(d, NULL, d->conf.auto_borrow, d->conf.rights,
				d->conf.replicas);
	}
}

void borrower_init(struct ipmemd *d)
{
	memset(&d->bor, 0, sizeof(d->bor));
	elastic_load(d);
}

void borrower_free(struct ipmemd *d)
{
	while (d->bor.borrows)
		borrow_free(d, d->bor.borrows);
	free(d->bor.maps);
	d->bor.maps = NULL;
	free(d->bor.elastic_saved);
	d->bor.elastic_saved = NULL;
	d->bor.nelastic_saved = 0;
}
