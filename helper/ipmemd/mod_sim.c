// SPDX-License-Identifier: GPL-2.0
/*
 * mod_sim.c - the simulated module (mod.h, mod_impl.h): pools, grants,
 * routes, disks and mappings kept in memory, with the module's rules for
 * them (first-fit aggregated grants, reservations that lapse, a mapping
 * needs a route), and its events queued until the next mod_tick().  It
 * moves no data; it lets the control plane run at scale on one machine
 * ("module simulated", Documentation/ipmemd.rst).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipmem/addr.h>
#include <ipmem/netlink.h>

#include "mod_impl.h"

#define SIM_REPLICAS_MAX IPMEM_MAX_REPLICAS

struct sim_grant {
	struct sim_grant *next;
	struct mod_grant g;
	uint64_t first;
	uint64_t expires;		/* ms, reservations */
};

struct sim_map {
	struct sim_map *next;
	struct mod_map m;
	uint64_t ok_at;			/* stale until then (ms) */
};

struct sim_disk {
	struct sim_disk *next;
	struct mod_disk d;
	uint8_t *used[IPMEM_COPY_SLOTS];	/* per copy, per extent */
};

struct sim_route {
	struct sim_route *next;
	struct mod_route r;
};

struct sim_event {
	struct sim_event *next;
	struct mod_event ev;
};

struct mod_sim {
	struct mod m;
	uint8_t net[16];
	uint32_t host;
	bool host_set;
	bool has_pool;
	struct mod_pool pool;
	uint8_t *used;			/* per block */
	struct sim_grant *grants;
	struct sim_disk *disks;
	struct sim_map *maps;
	struct sim_route *routes;
	struct sim_event *evq, **evtail;
	uint64_t now;
	uint32_t refill;		/* ms to fill a new copy */
};

static struct mod_sim *to_sim(struct mod *m)
{
	return (struct mod_sim *)m;
}

/* ============================================================== events */

static void sim_event(struct mod_sim *s, const struct mod_event *ev)
{
	struct sim_event *e = calloc(1, sizeof(*e));

	if (!e)
		return;
	e->ev = *ev;
	*s->evtail = e;
	s->evtail = &e->next;
}

static void sim_pool_event(struct mod_sim *s)
{
	struct mod_event ev = { .type = MOD_EV_POOL, .has_pool = s->has_pool,
				.pool = s->pool };

	sim_event(s, &ev);
}

static void sim_grant_free(struct mod_sim *s, struct sim_grant **pp,
			   bool notify)
{
	struct sim_grant *g = *pp;
	struct mod_event ev = { .type = MOD_EV_GRANT_DEL };

	memset(s->used + g->first, 0, g->g.count);
	s->pool.free += g->g.count;
	*pp = g->next;
	if (notify) {
		ev.grant = g->g;
		sim_event(s, &ev);
	}
	free(g);
}

/* reservations lapse; then the events queued since the last tick go out */
static void sim_tick(struct mod *m, uint64_t now)
{
	struct mod_sim *s = to_sim(m);
	struct sim_grant **pp;
	struct sim_event *e;
	bool changed = false;

	s->now = now;
	for (pp = &s->grants; *pp;) {
		if ((*pp)->g.state == IPMEM_GRANT_RESERVED &&
		    now >= (*pp)->expires) {
			sim_grant_free(s, pp, true);
			changed = true;
		} else {
			pp = &(*pp)->next;
		}
	}
	if (changed)
		sim_pool_event(s);
	while ((e = s->evq)) {
		s->evq = e->next;
		if (!s->evq)
			s->evtail = &s->evq;
		m->fn(m->arg, &e->ev);
		free(e);
	}
}

/* ================================================================ host */

static int sim_set_host(struct mod *m, const uint8_t net[16], uint32_t host)
{
	struct mod_sim *s = to_sim(m);

	memcpy(s->net, net, 16);
	s->host = host;
	s->host_set = true;
	return 0;
}

static int sim_get_host(struct mod *m, uint8_t net[16], uint32_t *host)
{
	struct mod_sim *s = to_sim(m);

	if (!s->host_set)
		return mod_seterr(m, -ENOENT, "the host id is not set");
	memcpy(net, s->net, 16);
	*host = s->host;
	return 0;
}

/* ========================================================= pool, grants */

static int sim_pool_new(struct mod *m, uint64_t size, uint32_t block_size,
			const uint8_t addr[16], uint16_t port)
{
	struct mod_sim *s = to_sim(m);

	if (s->has_pool)
		return mod_seterr(m, -EEXIST, "this host already lends a pool");
	memset(&s->pool, 0, sizeof(s->pool));
	s->pool.size = size;
	s->pool.block_size = block_size;
	memcpy(s->pool.addr, addr, 16);
	s->pool.port = port;
	s->pool.total = s->pool.free = size / block_size;
	s->used = calloc(s->pool.total, 1);
	if (!s->used)
		return mod_seterr(m, -ENOMEM, "out of memory");
	s->has_pool = true;
	sim_pool_event(s);
	return 0;
}

static int sim_pool_get(struct mod *m, struct mod_pool *p)
{
	struct mod_sim *s = to_sim(m);

	if (!s->has_pool)
		return mod_seterr(m, -ENOENT, "this host lends no pool");
	*p = s->pool;
	return 0;
}

static int sim_grant_reserve(struct mod *m, uint64_t count, uint32_t borrower,
			     uint8_t rights, uint32_t tmo,
			     struct mod_grant **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_grant) };
	struct mod_sim *s = to_sim(m);
	uint64_t pos, run, k;
	struct sim_grant *g;
	struct mod_grant *vg;

	if (!s->has_pool)
		return mod_seterr(m, -ENOENT, "this host lends no pool");
	if (count > s->pool.free)
		return mod_seterr(m, -ENOSPC,
				  "not enough free blocks in the pool");
	/* first fit, each run cut into aligned power-of-two prefixes */
	for (pos = 0; count && pos < s->pool.total;) {
		if (s->used[pos]) {
			pos++;
			continue;
		}
		for (run = 0; pos + run < s->pool.total && !s->used[pos + run] &&
		     run < count; run++)
			;
		while (run) {
			k = ipmem_aggr_step(pos, run);
			g = calloc(1, sizeof(*g));
			vg = g ? mod_vec_add(&v) : NULL;
			if (!vg) {
				free(g);
				free(v.v);
				return mod_seterr(m, -ENOMEM, "out of memory");
			}
			g->first = pos;
			g->g.count = 1ULL << k;
			g->g.plen = 128 - k;
			ipmem_addr_make(g->g.prefix, s->net, s->host, pos);
			g->g.borrower = borrower;
			g->g.rights = rights;
			g->g.state = IPMEM_GRANT_RESERVED;
			g->expires = s->now + tmo;
			memset(s->used + pos, 1, g->g.count);
			s->pool.free -= g->g.count;
			g->next = s->grants;
			s->grants = g;
			*vg = g->g;
			pos += g->g.count;
			run -= g->g.count;
			count -= g->g.count;
		}
	}
	sim_pool_event(s);
	return mod_vec_give(&v, 0, (void **)out, n);
}

static struct sim_grant **sim_grant_find(struct mod_sim *s,
					 const uint8_t *prefix, uint8_t plen)
{
	struct sim_grant **pp;

	for (pp = &s->grants; *pp; pp = &(*pp)->next)
		if ((*pp)->g.plen == plen && !memcmp((*pp)->g.prefix, prefix, 16))
			return pp;
	return NULL;
}

static int sim_grant_confirm(struct mod *m, const uint8_t prefix[16],
			     uint8_t plen)
{
	struct sim_grant **pp = sim_grant_find(to_sim(m), prefix, plen);

	if (!pp)
		return mod_seterr(m, -ENOENT, "no grant with that prefix");
	if ((*pp)->g.state != IPMEM_GRANT_RESERVED)
		return mod_seterr(m, -EALREADY, "grant is already confirmed");
	(*pp)->g.state = IPMEM_GRANT_CONFIRMED;
	return 0;
}

/* the grant that holds blocks @first..@count, if one holds them all */
static struct sim_grant **sim_grant_holding(struct mod_sim *s, uint64_t first,
					    uint64_t count)
{
	struct sim_grant **pp;

	for (pp = &s->grants; *pp; pp = &(*pp)->next)
		if ((*pp)->first <= first &&
		    first + count <= (*pp)->first + (*pp)->g.count)
			return pp;
	return NULL;
}

/*
 * A prefix inside a confirmed grant gives back only those blocks: the
 * grant is split into the buddies of the run and of its ancestors, as
 * the module does (ipmem_grant_trim()).  A simulated borrower registers
 * nothing, so nothing is ever in use (-EBUSY).
 */
static int sim_grant_trim(struct mod_sim *s, struct sim_grant **pp,
			  uint64_t first, uint64_t count)
{
	struct sim_grant *g = *pp, *piece;
	struct mod_event ev = { .type = MOD_EV_GRANT_DEL };
	uint64_t size;

	if (g->g.state != IPMEM_GRANT_CONFIRMED)
		return mod_seterr(&s->m, -EINVAL,
				  "a reservation goes back whole: give its own prefix");
	for (size = count; size < g->g.count; size <<= 1) {
		piece = calloc(1, sizeof(*piece));
		if (!piece)
			return mod_seterr(&s->m, -ENOMEM, "out of memory");
		*piece = *g;
		piece->first = (first & ~(size - 1)) ^ size;
		piece->g.count = size;
		piece->g.plen = 128 - __builtin_ctzll(size);
		ipmem_addr_make(piece->g.prefix, s->net, s->host, piece->first);
		piece->next = g->next;
		g->next = piece;
	}
	*pp = g->next;
	memset(s->used + first, 0, count);
	s->pool.free += count;
	ev.grant = g->g;
	ev.grant.count = count;
	ev.grant.plen = 128 - __builtin_ctzll(count);
	ipmem_addr_make(ev.grant.prefix, s->net, s->host, first);
	sim_event(s, &ev);
	free(g);
	return 0;
}

static int sim_grant_del(struct mod *m, const uint8_t prefix[16],
			 uint8_t plen, bool force)
{
	struct mod_sim *s = to_sim(m);
	struct sim_grant **pp = sim_grant_find(s, prefix, plen);
	uint64_t first, count;
	int ret;

	(void)force;
	if (!pp && plen >= IPMEM_HOST_PLEN && plen > 128 - IPMEM_BLOCK_BITS &&
	    ipmem_addr_host(prefix) == s->host) {
		first = ipmem_addr_block(prefix);
		count = 1ULL << (128 - plen);
		pp = sim_grant_holding(s, first, count);
		if (pp) {
			ret = sim_grant_trim(s, pp, first, count);
			if (!ret)
				sim_pool_event(s);
			return ret;
		}
	}
	if (!pp)
		return mod_seterr(m, -ENOENT, "no grant with that prefix");
	sim_grant_free(s, pp, true);
	sim_pool_event(s);
	return 0;
}

static int sim_grant_list(struct mod *m, struct mod_grant **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_grant) };
	struct sim_grant *g;
	struct mod_grant *vg;

	for (g = to_sim(m)->grants; g; g = g->next) {
		vg = mod_vec_add(&v);
		if (!vg)
			return mod_vec_give(&v, -ENOMEM, (void **)out, n);
		*vg = g->g;
	}
	return mod_vec_give(&v, 0, (void **)out, n);
}

/* ============================================================== routes */

static struct sim_route **sim_route_find(struct mod_sim *s,
					 const uint8_t *prefix, uint8_t plen)
{
	struct sim_route **pp;

	for (pp = &s->routes; *pp; pp = &(*pp)->next)
		if ((*pp)->r.plen == plen && !memcmp((*pp)->r.prefix, prefix, 16))
			return pp;
	return NULL;
}

static int sim_route_new(struct mod *m, const uint8_t prefix[16],
			 uint8_t plen, const uint8_t nexthop[16],
			 uint16_t port)
{
	struct mod_sim *s = to_sim(m);
	struct sim_route *r;

	if (sim_route_find(s, prefix, plen))
		return mod_seterr(m, -EEXIST, "that prefix is already routed");
	r = calloc(1, sizeof(*r));
	if (!r)
		return mod_seterr(m, -ENOMEM, "out of memory");
	memcpy(r->r.prefix, prefix, 16);
	r->r.plen = plen;
	memcpy(r->r.nexthop, nexthop, 16);
	r->r.port = port;
	r->next = s->routes;
	s->routes = r;
	return 0;
}

static int sim_route_del(struct mod *m, const uint8_t prefix[16],
			 uint8_t plen)
{
	struct sim_route **pp = sim_route_find(to_sim(m), prefix, plen), *r;

	if (!pp)
		return mod_seterr(m, -ENOENT, "no such route");
	r = *pp;
	*pp = r->next;
	free(r);
	return 0;
}

static int sim_route_list(struct mod *m, struct mod_route **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_route) };
	struct sim_route *r;
	struct mod_route *vr;

	for (r = to_sim(m)->routes; r; r = r->next) {
		vr = mod_vec_add(&v);
		if (!vr)
			return mod_vec_give(&v, -ENOMEM, (void **)out, n);
		*vr = r->r;
	}
	return mod_vec_give(&v, 0, (void **)out, n);
}

/* =============================================================== disks */

static struct sim_disk *sim_disk_find(struct mod_sim *s, uint32_t id)
{
	struct sim_disk *d;

	for (d = s->disks; d; d = d->next)
		if (d->d.id == id)
			return d;
	return NULL;
}

static void sim_disk_free(struct sim_disk *d)
{
	int i;

	for (i = 0; i < IPMEM_COPY_SLOTS; i++)
		free(d->used[i]);
	free(d);
}

static int sim_disk_new(struct mod *m, uint64_t size, uint32_t bs,
			uint8_t replicas, struct mod_disk *out)
{
	struct mod_sim *s = to_sim(m);
	struct sim_disk *d;
	uint32_t id = 0;
	int i;

	if (replicas < 1 || replicas > SIM_REPLICAS_MAX)
		return mod_seterr(m, -EINVAL, "1 to %d copies",
				  SIM_REPLICAS_MAX);
	/* the lowest free number, as the module does */
	while (sim_disk_find(s, id))
		id++;
	d = calloc(1, sizeof(*d));
	if (!d)
		return mod_seterr(m, -ENOMEM, "out of memory");
	d->d.id = id;
	snprintf(d->d.name, sizeof(d->d.name), "ipmem%u", id);
	d->d.size = size;
	d->d.block_size = bs;
	d->d.replicas = replicas;
	d->d.extents = size / bs;
	/* spare copies too: a move maps one past the disk's replicas */
	for (i = 0; i < IPMEM_COPY_SLOTS; i++) {
		d->used[i] = calloc(d->d.extents ? d->d.extents : 1, 1);
		if (!d->used[i]) {
			sim_disk_free(d);
			return mod_seterr(m, -ENOMEM, "out of memory");
		}
	}
	d->next = s->disks;
	s->disks = d;
	*out = d->d;
	return 0;
}

static void sim_map_drop(struct mod_sim *s, struct sim_map **pp)
{
	struct sim_map *mp = *pp;
	struct sim_disk *d = sim_disk_find(s, mp->m.disk);

	if (d) {
		memset(d->used[mp->m.replica] + mp->m.extent, 0, mp->m.count);
		d->d.mapped -= mp->m.count;
	}
	*pp = mp->next;
	free(mp);
}

static int sim_disk_del(struct mod *m, uint32_t id)
{
	struct mod_sim *s = to_sim(m);
	struct sim_disk **pp, *d;
	struct sim_map **mp;

	for (pp = &s->disks; *pp && (*pp)->d.id != id; pp = &(*pp)->next)
		;
	if (!*pp)
		return mod_seterr(m, -ENOENT, "no such disk");
	for (mp = &s->maps; *mp;) {
		if ((*mp)->m.disk == id)
			sim_map_drop(s, mp);
		else
			mp = &(*mp)->next;
	}
	d = *pp;
	*pp = d->next;
	sim_disk_free(d);
	return 0;
}

static int sim_disk_list(struct mod *m, struct mod_disk **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_disk) };
	struct sim_disk *d;
	struct mod_disk *vd;

	for (d = to_sim(m)->disks; d; d = d->next) {
		vd = mod_vec_add(&v);
		if (!vd)
			return mod_vec_give(&v, -ENOMEM, (void **)out, n);
		*vd = d->d;
	}
	return mod_vec_give(&v, 0, (void **)out, n);
}

/* ================================================================ maps */

/*
 * A new copy of extents that have a copy already starts stale and is
 * "refilled" s->refill ms after (the real module copies the data): ipmemd
 * must wait for it before it unmaps the old copy.
 */
static const struct mod_ops sim_ops;

void mod_sim_set_refill(struct mod *m, uint32_t ms)
{
	if (m->ops == &sim_ops)
		to_sim(m)->refill = ms;
}

static int sim_map_new(struct mod *m, uint32_t disk, const uint8_t prefix[16],
		       uint8_t plen, uint8_t replica, int64_t extent)
{
	struct mod_sim *s = to_sim(m);
	struct sim_disk *d = sim_disk_find(s, disk);
	uint64_t count = 1ULL << (128 - plen), e, i;
	struct sim_route *rt, *best = NULL;
	struct sim_map *mp;
	bool other;
	int r;

	if (!d)
		return mod_seterr(m, -ENOENT, "no such disk");
	if (replica >= IPMEM_COPY_SLOTS)
		return mod_seterr(m, -EINVAL, "the disk has fewer copies");
	if (replica >= d->d.replicas && extent < 0)
		return mod_seterr(m, -EINVAL, "a spare copy needs an extent");
	for (rt = s->routes; rt; rt = rt->next)
		if (ipmem_addr_prefix_eq(prefix, rt->r.prefix, rt->r.plen) &&
		    (!best || rt->r.plen > best->r.plen))
			best = rt;
	if (!best)
		return mod_seterr(m, -EHOSTUNREACH, "no route to the blocks");
	if (extent >= 0) {
		e = extent;
		if (e >= d->d.extents || count > d->d.extents - e)
			return mod_seterr(m, -ERANGE,
					  "the blocks reach past the end of the disk");
		for (i = 0; i < count; i++)
			if (d->used[replica][e + i])
				return mod_seterr(m, -EEXIST,
						  "an extent copy is already mapped");
	} else {
		for (e = 0; e + count <= d->d.extents; e++) {
			for (i = 0; i < count && !d->used[replica][e + i]; i++)
				;
			if (i == count)
				break;
		}
		if (e + count > d->d.extents)
			return mod_seterr(m, -ENOSPC,
					  "no run of free extents that long on the disk");
	}
	for (r = 0, other = false; r < IPMEM_COPY_SLOTS; r++)
		for (i = 0; r != replica && i < count && !other; i++)
			other = d->used[r][e + i];
	mp = calloc(1, sizeof(*mp));
	if (!mp)
		return mod_seterr(m, -ENOMEM, "out of memory");
	memset(d->used[replica] + e, 1, count);
	d->d.mapped += count;
	mp->m.disk = disk;
	mp->m.replica = replica;
	mp->m.extent = e;
	mp->m.count = count;
	memcpy(mp->m.prefix, prefix, 16);
	memcpy(mp->m.nexthop, best->r.nexthop, 16);
	mp->m.rights = IPMEM_RIGHTS_RW;
	mp->m.state = IPMEM_MAP_OK;
	mp->ok_at = other ? s->now + s->refill : 0;
	mp->next = s->maps;
	s->maps = mp;
	return 0;
}

/* does run @mp map some of blocks @first..@count of @host? */
static bool sim_map_in(const struct sim_map *mp, uint32_t host,
		       uint64_t first, uint64_t count)
{
	uint64_t b = ipmem_addr_block(mp->m.prefix);

	return ipmem_addr_host(mp->m.prefix) == host && b < first + count &&
	       b + mp->m.count > first;
}

/*
 * Unmap the blocks @first..@count of run *@pp (which maps some of
 * them): what it maps before and after them stays, as one or two runs.
 */
static int sim_map_cut(struct mod_sim *s, struct sim_map **pp,
		       uint64_t first, uint64_t count)
{
	struct sim_map *mp = *pp, *tail;
	uint64_t b = ipmem_addr_block(mp->m.prefix);
	uint64_t lo = first > b ? first - b : 0;
	uint64_t hi = first + count < b + mp->m.count ?
		      first + count - b : mp->m.count;
	struct sim_disk *d = sim_disk_find(s, mp->m.disk);

	if (!lo && hi == mp->m.count) {
		sim_map_drop(s, pp);
		return 0;
	}
	if (hi < mp->m.count) {
		tail = malloc(sizeof(*tail));
		if (!tail)
			return -ENOMEM;
		*tail = *mp;
		tail->m.extent += hi;
		tail->m.count -= hi;
		ipmem_addr_make(tail->m.prefix, s->net,
				ipmem_addr_host(mp->m.prefix), b + hi);
		tail->next = mp->next;
		mp->next = tail;
	}
	if (d) {
		memset(d->used[mp->m.replica] + mp->m.extent + lo, 0, hi - lo);
		d->d.mapped -= hi - lo;
	}
	mp->m.count = lo;
	if (!lo) {
		/* only the tail stays */
		*pp = mp->next;
		free(mp);
	}
	return 0;
}

/*
 * Would unmapping the copies in @first..@count of @host leave some extent
 * they hold without a current copy?  Every extent counts as holding data
 * (the simulated module sees no writes); a copy is current once filled.
 */
static bool sim_unmap_loses(struct mod_sim *s, uint32_t host, uint64_t first,
			    uint64_t count)
{
	const struct sim_map *mp, *o;
	uint64_t e, lo, hi;
	bool other;

	for (mp = s->maps; mp; mp = mp->next) {
		if (!sim_map_in(mp, host, first, count))
			continue;
		for (e = mp->m.extent; e < mp->m.extent + mp->m.count; e++) {
			other = false;
			for (o = s->maps; o && !other; o = o->next) {
				lo = o->m.extent;
				hi = lo + o->m.count;
				other = o->m.disk == mp->m.disk &&
					!sim_map_in(o, host, first, count) &&
					e >= lo && e < hi && s->now >= o->ok_at;
			}
			if (!other)
				return true;
		}
	}
	return false;
}

/*
 * With FREE_ONLY: the simulated module sees no writes, so every extent is
 * free for it (while a move's unforced unmap counts every extent as
 * holding data, the safe side of that question).
 */
static int sim_map_del(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		       bool force, bool free_only)
{
	uint64_t first = ipmem_addr_block(prefix), count = 1ULL << (128 - plen);
	uint32_t host = ipmem_addr_host(prefix);
	struct mod_sim *s = to_sim(m);
	struct sim_map **pp, *mp, *one = NULL;
	bool found = false;

	/* as the module: without force, the blocks of one disk only */
	for (mp = s->maps; mp && !force; mp = mp->next) {
		if (!sim_map_in(mp, host, first, count))
			continue;
		if (one && mp->m.disk != one->m.disk)
			return mod_seterr(m, -EBUSY,
					  "those blocks are mapped in more than one disk: unmap each disk's part (a longer prefix), or force");
		one = mp;
	}
	if (!force && !free_only && sim_unmap_loses(s, host, first, count))
		return mod_seterr(m, -EBUSY,
				  "data swapped to those blocks has no other copy: it would be lost (force unmaps anyway)");
	for (pp = &s->maps; *pp;) {
		if (sim_map_in(*pp, host, first, count)) {
			mp = *pp;
			if (sim_map_cut(s, pp, first, count))
				return mod_seterr(m, -ENOMEM, "out of memory");
			found = true;
			if (*pp == mp)
				pp = &mp->next;	/* its head stays */
		} else {
			pp = &(*pp)->next;
		}
	}
	return found ? 0 : mod_seterr(m, -ENOENT,
				      "none of those blocks is mapped");
}

static int sim_map_list(struct mod *m, int64_t free_disk,
			struct mod_map **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_map) };
	struct sim_map *mp;
	struct mod_map *vm;

	for (mp = to_sim(m)->maps; mp; mp = mp->next) {
		if (free_disk >= 0 && mp->m.disk != free_disk)
			continue;
		vm = mod_vec_add(&v);
		if (!vm)
			return mod_vec_give(&v, -ENOMEM, (void **)out, n);
		*vm = mp->m;
		if (to_sim(m)->now < mp->ok_at)
			vm->state = IPMEM_MAP_STALE;
	}
	return mod_vec_give(&v, 0, (void **)out, n);
}

/* ================================================================ open */

static void sim_free(struct mod *m)
{
	struct mod_sim *s = to_sim(m);
	struct sim_grant *g;
	struct sim_disk *d;
	struct sim_map *mp;
	struct sim_route *r;
	struct sim_event *e;

	while ((g = s->grants)) {
		s->grants = g->next;
		free(g);
	}
	while ((d = s->disks)) {
		s->disks = d->next;
		sim_disk_free(d);
	}
	while ((mp = s->maps)) {
		s->maps = mp->next;
		free(mp);
	}
	while ((r = s->routes)) {
		s->routes = r->next;
		free(r);
	}
	while ((e = s->evq)) {
		s->evq = e->next;
		free(e);
	}
	free(s->used);
	free(s);
}

/* no keys, no MACs (route_macs: -EOPNOTSUPP), no lenders: see mod_impl.h */
static const struct mod_ops sim_ops = {
	.free		= sim_free,
	.tick		= sim_tick,
	.set_host	= sim_set_host,
	.get_host	= sim_get_host,
	.pool_new	= sim_pool_new,
	.pool_get	= sim_pool_get,
	.grant_reserve	= sim_grant_reserve,
	.grant_confirm	= sim_grant_confirm,
	.grant_del	= sim_grant_del,
	.grant_list	= sim_grant_list,
	.route_new	= sim_route_new,
	.route_del	= sim_route_del,
	.route_list	= sim_route_list,
	.disk_new	= sim_disk_new,
	.disk_del	= sim_disk_del,
	.disk_list	= sim_disk_list,
	.map_new	= sim_map_new,
	.map_del	= sim_map_del,
	.map_list	= sim_map_list,
};

struct mod *mod_sim_open(void)
{
	struct mod_sim *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->m.ops = &sim_ops;
	s->evtail = &s->evq;
	s->refill = 1000;
	return &s->m;
}
