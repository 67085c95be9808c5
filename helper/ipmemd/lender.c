// SPDX-License-Identifier: GPL-2.0
/*
 * lender.c - the lender's half of the reservation-confirmation protocol.
 *
 * For every request in the RIB that names this lender, keyed by
 * (borrower, disk), it keeps an lreq: the grants the module reserved for
 * it, or the reason it was refused.  reconcile() walks the requests and
 * moves each one along:
 *
 *   request pending,   nothing yet   -> GRANT_RESERVE; announce the grants
 *                                       (state reserved) or a refusal
 *   request confirmed, grants        -> GRANT_CONFIRM each; re-announce
 *                                       them confirmed
 *   request released,  grants        -> GRANT_DEL each (the module zeroes
 *                                       and frees); withdraw them
 *   request gone,      only reserved -> the module lets them lapse
 *   request gone,      confirmed     -> hold them for grant-hold, then
 *                                       GRANT_DEL, unless it comes back
 *
 * The pool route is announced again whenever the module says V_i
 * changed.  Which request a grant answers is not something the module
 * records, so it is kept in a small state file (state-dir/grants), which
 * with the module's grant dump rebuilds everything after a restart.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"
#include "ipmemd.h"
#include "out.h"

/* ----------------------------------------------------------- helpers */

struct lender *lender_find(struct ipmemd *d, uint32_t host)
{
	size_t i;

	/* the simulated lenders are numbered from the first one */
	if (d->nlenders > 1 && host >= d->lenders[0].host &&
	    host - d->lenders[0].host < d->nlenders)
		return &d->lenders[host - d->lenders[0].host];
	for (i = 0; i < d->nlenders; i++)
		if (d->lenders[i].host == host)
			return &d->lenders[i];
	return NULL;
}

static struct lreq *lreq_find(struct lender *l, uint32_t borrower,
			      uint32_t disk)
{
	struct lreq *r;

	for (r = l->reqs; r; r = r->next)
		if (r->borrower == borrower && r->disk == disk)
			return r;
	return NULL;
}

static struct lreq *lreq_new(struct lender *l, uint32_t borrower,
			     uint32_t disk, uint8_t rights)
{
	struct lreq *r = calloc(1, sizeof(*r));

	if (!r) {
		log_err("out of memory");
		return NULL;
	}
	r->borrower = borrower;
	r->disk = disk;
	r->rights = rights;
	r->next = l->reqs;
	l->reqs = r;
	return r;
}

static int lgrant_add(struct lreq *r, const struct mod_grant *g)
{
	struct lgrant *ng;

	ng = realloc(r->grants, (r->ngrants + 1) * sizeof(*ng));
	if (!ng)
		return -ENOMEM;
	r->grants = ng;
	memset(&ng[r->ngrants], 0, sizeof(*ng));
	memcpy(ng[r->ngrants].prefix, g->prefix, 16);
	ng[r->ngrants].plen = g->plen;
	ng[r->ngrants].count = 1ULL << (128 - g->plen);
	ng[r->ngrants].state = g->state;
	r->ngrants++;
	return 0;
}

static uint64_t lreq_blocks(const struct lreq *r)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < r->ngrants; i++)
		n += r->grants[i].count;
	return n;
}

/* the blocks @l has granted or reserved, and the requests they serve */
void lender_held(struct lender *l, uint64_t *blocks, uint64_t *reqs)
{
	struct lreq *r;

	*blocks = *reqs = 0;
	for (r = l->reqs; r; r = r->next) {
		(*reqs)++;
		*blocks += lreq_blocks(r);
	}
}

uint64_t lender_announced_free(const struct lender *l)
{
	return l->draining ? 0 : l->pool.free;
}

/* --------------------------------------------------------- announce */

/* the first address of our /80: the pool's endpoint with "endpoint prefix" */
static void endpoint_addr(const struct lender *l, uint8_t ep[16])
{
	ipmem_addr_make(ep, l->d->ctx.net, l->host, 0);
}

static bool endpoint_in_prefix(const struct lender *l)
{
	uint8_t ep[16];

	endpoint_addr(l, ep);
	return !memcmp(l->pool.addr, ep, 16);
}

static void announce_pool(struct lender *l)
{
	struct ibgp_route m;

	l->announce_pool = false;
	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_POOL;
	m.host = l->host;
	memcpy(m.nexthop, l->addr, 16);
	if (!l->has_pool) {
		ibgp_make_prefix(&l->d->ctx, &m);
		bgpd_withdraw(l->d, m.prefix, m.plen);
		return;
	}
	m.pool.total = l->pool.total;
	m.pool.free = lender_announced_free(l);
	m.pool.block_size = l->pool.block_size;
	m.pool.port = l->pool.port ? l->pool.port : IPMEM_PORT;
	m.pool.endpoint = endpoint_in_prefix(l) ? IPMEM_BGP_ENDPOINT_PREFIX :
			  IPMEM_BGP_ENDPOINT_NEXTHOP;
	bgpd_announce(l->d, &m);
}

/* does the pool shrink past (some of) @g's blocks? */
static bool grant_past_shrink(const struct lender *l, const struct lgrant *g)
{
	return l->pool.shrink_to &&
	       ipmem_addr_block(g->prefix) + g->count > l->pool.shrink_to;
}

static void announce_grant(struct lender *l, const struct lreq *r,
			   const struct lgrant *g)
{
	struct ibgp_route m;

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_GRANT;
	m.host = l->host;
	memcpy(m.nexthop, l->addr, 16);
	m.grant.borrower = r->borrower;
	m.grant.disk = r->disk;
	m.grant.first = ipmem_addr_block(g->prefix);
	m.grant.count = g->count;
	m.grant.rights = r->rights;
	/*
	 * A draining lender asks the borrower to move confirmed blocks, and
	 * so does a pool that shrinks past them.
	 */
	m.grant.state = g->state == IPMEM_GRANT_CONFIRMED &&
			(l->draining || grant_past_shrink(l, g)) ?
			IPMEM_BGP_GRANT_DRAINING : g->state;
	m.grant.serial = r->serial;
	bgpd_announce(l->d, &m);
}

static void refusal_prefix(struct lender *l, const struct lreq *r,
			   struct ibgp_route *m)
{
	memset(m, 0, sizeof(*m));
	m->kind = IPMEM_BGP_KIND_REFUSAL;
	m->host = l->host;
	memcpy(m->nexthop, l->addr, 16);
	m->ref.borrower = r->borrower;
	m->ref.disk = r->disk;
	m->ref.reason = r->refused;
	m->ref.serial = r->serial;
	ibgp_make_prefix(&l->d->ctx, m);
}

static void refuse(struct lender *l, struct lreq *r, uint32_t reason)
{
	struct ibgp_route m;
	char b[16];

	r->refused = reason;
	log_info("refused host %s disk %u: %s", fmt_host(r->borrower, b),
		 r->disk, ibgp_reason_name(reason));
	refusal_prefix(l, r, &m);
	bgpd_announce(l->d, &m);
}

/* ------------------------------------------------------- state file */

static void state_save(struct lender *l)
{
	char tmp[300];
	struct lreq *r;
	size_t i;
	FILE *f;

	if (!l->state_path[0])
		return;
	f = state_begin(l->state_path, tmp, sizeof(tmp));
	if (!f)
		return;
	fprintf(f, "# ipmemd: which request each grant of this lender answers\n");
	for (r = l->reqs; r; r = r->next)
		for (i = 0; i < r->ngrants; i++)
			fprintf(f, "grant %s borrower %08x disk %u rights %u serial %" PRIu64 " revision %" PRIu64 " grown %" PRIu64 "\n",
				pfx_str(r->grants[i].prefix, r->grants[i].plen),
				r->borrower, r->disk, r->rights, r->serial,
				r->revision, r->grow_tried);
	state_commit(f, tmp, l->state_path);
}

/* the grants of the module, each given to its request from the file */
static void state_load(struct lender *l, struct mod_grant *g, size_t n,
		       bool *taken)
{
	char line[256], pfx[64];
	unsigned int borrower, disk, rights;
	uint64_t serial, revision, grown;
	uint8_t prefix[16], plen;
	struct lreq *r;
	size_t i;
	FILE *f;

	if (!l->state_path[0])
		return;
	f = fopen(l->state_path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		/* not in files of older versions */
		serial = revision = grown = 0;
		if (sscanf(line, "grant %63s borrower %x disk %u rights %u serial %" SCNu64 " revision %" SCNu64 " grown %" SCNu64,
			   pfx, &borrower, &disk, &rights, &serial, &revision,
			   &grown) < 4 ||
		    ipmem_parse_prefix(pfx, prefix, &plen))
			continue;
		for (i = 0; i < n; i++)
			if (!taken[i] && g[i].plen == plen &&
			    !memcmp(g[i].prefix, prefix, 16) &&
			    g[i].borrower == borrower)
				break;
		if (i == n)
			continue;	/* gone while we were away */
		r = lreq_find(l, borrower, disk);
		if (!r)
			r = lreq_new(l, borrower, disk, g[i].rights);
		if (!r || lgrant_add(r, &g[i]))
			break;
		r->serial = serial;
		/* the changes acted on: a replay of an older one does nothing */
		r->revision = revision;
		r->grow_tried = grown;
		taken[i] = true;
	}
	fclose(f);
}

/* ------------------------------------------------------------- init */

/* every block address answers: a ping to one reaches this host */
static void route_local(struct lender *l)
{
	uint8_t p[16];
	int ret;

	ipmem_addr_make(p, l->d->ctx.net, l->host, 0);
	ret = mod_host_route(l->mod, true, p, IPMEM_HOST_PLEN, NULL);
	if (!ret)
		log_info("%s is local: its block addresses answer",
			 pfx_str(p, IPMEM_HOST_PLEN));
	else if (ret != -EOPNOTSUPP)
		log_warn("cannot make %s local: %s",
			 pfx_str(p, IPMEM_HOST_PLEN), mod_err(l->mod));
}

/*
 * Put the endpoint on the interface of our data-plane address: 0 when it
 * is there, -EOPNOTSUPP when the module is simulated (no interface).
 */
static int endpoint_add(struct lender *l)
{
	uint8_t ep[16];
	int ret;

	endpoint_addr(l, ep);
	ret = mod_host_addr(l->mod, true, ep, l->addr);
	if (ret && ret != -EOPNOTSUPP)
		log_warn("cannot add the endpoint %s to the interface of %s: %s",
			 fmt_addr(ep, (char[46]){ 0 }),
			 fmt_addr(l->addr, (char[46]){ 0 }), mod_err(l->mod));
	return ret;
}

/* does an RDMA device have @a as a GID (what rdma_cm binds to)? */
static bool have_gid(const uint8_t a[16])
{
	char line[64], *nl;
	struct in6_addr g;
	bool found = false;
	glob_t gl;
	size_t i;
	FILE *f;

	if (glob("/sys/class/infiniband/*/ports/*/gids/*", 0, NULL, &gl))
		return false;
	for (i = 0; i < gl.gl_pathc && !found; i++) {
		f = fopen(gl.gl_pathv[i], "re");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			found = inet_pton(AF_INET6, line, &g) == 1 &&
				!memcmp(&g, a, 16);
		}
		fclose(f);
	}
	globfree(&gl);
	return found;
}

/*
 * The RDMA core learns a new address (a GID) a moment after the IP
 * stack, from a work item; the module cannot listen at it before.  Wait
 * up to 10 s for it.
 */
static bool gid_wait(const uint8_t a[16])
{
	uint64_t end = now_ms() + 10000;

	while (!have_gid(a)) {
		if (now_ms() >= end) {
			log_warn("no RDMA device has %s as a GID after 10 s",
				 fmt_addr(a, (char[46]){ 0 }));
			return false;
		}
		usleep(50000);
	}
	return true;
}

/*
 * The pool, listening at the first address of our /80 (endpoint prefix,
 * the default), so that a route to the /80 reaches it, or at our
 * data-plane address (endpoint address, or when the other cannot be had).
 */
static int pool_create(struct lender *l, uint64_t lend)
{
	struct ipmemd *d = l->d;
	const uint8_t *at = l->addr;
	uint8_t ep[16];
	int ret;

	endpoint_addr(l, ep);
	if (!d->conf.endpoint_nexthop) {
		ret = endpoint_add(l);
		if (ret == -EOPNOTSUPP || (!ret && gid_wait(ep)))
			at = ep;
	}
	ret = mod_pool_new(l->mod, lend, d->conf.block_size, at, d->conf.port);
	if (ret && at != l->addr && (ret == -ENODEV || ret == -EADDRNOTAVAIL)) {
		log_warn("cannot create the pool at %s: %s; creating it at %s",
			 fmt_addr(ep, (char[46]){ 0 }), mod_err(l->mod),
			 fmt_addr(l->addr, (char[46]){ 0 }));
		at = l->addr;
		ret = mod_pool_new(l->mod, lend, d->conf.block_size, at,
				   d->conf.port);
	}
	if (ret)
		log_err("cannot create the pool: %s", mod_err(l->mod));
	else if (at == l->addr && !d->conf.endpoint_nexthop)
		log_warn("lending at %s: borrowers reach the pool through the module's routes only",
			 fmt_addr(l->addr, (char[46]){ 0 }));
	return ret;
}

int lender_init(struct ipmemd *d, struct lender *l, struct mod *mod,
		uint32_t host, const uint8_t addr[16], uint64_t lend)
{
	struct mod_grant *g = NULL;
	size_t n = 0, i, assigned = 0;
	bool *taken;
	struct lreq *r;
	char hb[16];
	int ret;

	memset(l, 0, sizeof(*l));
	l->d = d;
	l->mod = mod;
	l->host = host;
	memcpy(l->addr, addr, 16);
	if (!d->conf.fake_module) {
		snprintf(l->state_path, sizeof(l->state_path), "%s/grants",
			 d->conf.state_dir);
		snprintf(l->drain_path, sizeof(l->drain_path), "%s/draining",
			 d->conf.state_dir);
		l->drain_manual = !access(l->drain_path, F_OK);
		l->draining = l->drain_manual;
		if (l->draining)
			log_info("draining (%s): granting nothing new",
				 l->drain_path);
	}

	ret = mod_pool_get(mod, &l->pool);
	if (ret == -ENOENT && lend) {
		ret = pool_create(l, lend);
		if (ret)
			return ret;
		ret = mod_pool_get(mod, &l->pool);
		if (!ret && d->nlenders <= 1)
			log_info("lending %" PRIu64 " blocks of %u bytes at %s",
				 l->pool.total, l->pool.block_size,
				 fmt_addr(l->pool.addr, (char[46]){ 0 }));
	} else if (!ret) {
		log_info("adopting the module's pool: %" PRIu64 " blocks of %u bytes, %" PRIu64 " free, at %s",
			 l->pool.total, l->pool.block_size, l->pool.free,
			 fmt_addr(l->pool.addr, (char[46]){ 0 }));
		if (lend && lend != l->pool.total * l->pool.block_size)
			log_warn("the pool is not the configured size (lend): 'ipmemctl lend shrink' makes it smaller, destroying it lets ipmemd make it anew");
		/* its endpoint address, should someone have deleted it */
		if (endpoint_in_prefix(l))
			endpoint_add(l);
	}
	if (ret == -ENOENT)
		return 0;		/* not a lender */
	if (ret) {
		log_err("reading the pool: %s", mod_err(mod));
		return ret;
	}
	l->has_pool = true;
	l->announce_pool = true;
	route_local(l);

	/* grants made before we (re)started */
	ret = mod_grant_list(mod, &g, &n);
	if (ret) {
		log_err("reading the grants: %s", mod_err(mod));
		return ret;
	}
	taken = calloc(n ? n : 1, sizeof(*taken));
	if (!taken) {
		free(g);
		return -ENOMEM;
	}
	state_load(l, g, n, taken);
	for (i = 0; i < n; i++) {
		if (taken[i]) {
			assigned++;
			continue;
		}
		log_warn("grant %s to host %s is not ipmemd's (or its record was lost): left alone",
			 pfx_str(g[i].prefix, g[i].plen),
			 fmt_host(g[i].borrower, hb));
	}
	for (r = l->reqs; r; r = r->next) {
		r->absent_since = d->now;
		for (i = 0; i < r->ngrants; i++)
			announce_grant(l, r, &r->grants[i]);
	}
	if (assigned)
		log_info("%zu grants in the module answer %s requests; waiting for them in BGP",
			 assigned, "earlier");
	free(taken);
	free(g);
	return 0;
}

void lender_free(struct lender *l)
{
	struct lreq *r;

	while ((r = l->reqs)) {
		l->reqs = r->next;
		free(r->grants);
		free(r);
	}
}

/* a grant or refusal route gobgpd still had from the ipmemd before us */
void lender_adopt_path(struct lender *l, const struct ibgp_route *m)
{
	struct mod_grant *g = NULL;
	struct lreq *r;
	size_t n = 0, i, j;

	if (m->kind == IPMEM_BGP_KIND_REFUSAL) {
		if (lreq_find(l, m->ref.borrower, m->ref.disk))
			return;
		r = lreq_new(l, m->ref.borrower, m->ref.disk, IPMEM_RIGHTS_RW);
		if (!r)
			return;
		r->refused = m->ref.reason;
		r->serial = m->ref.serial;
		r->absent_since = l->d->now;
		refuse(l, r, m->ref.reason);
		return;
	}
	/* a grant: already known from the state file? */
	for (r = l->reqs; r; r = r->next)
		for (j = 0; j < r->ngrants; j++)
			if (r->grants[j].plen == m->plen &&
			    !memcmp(r->grants[j].prefix, m->prefix, 16))
				return;
	if (mod_grant_list(l->mod, &g, &n))
		return;
	for (i = 0; i < n; i++) {
		if (g[i].plen != m->plen || memcmp(g[i].prefix, m->prefix, 16) ||
		    g[i].borrower != m->grant.borrower)
			continue;
		r = lreq_find(l, m->grant.borrower, m->grant.disk);
		if (!r)
			r = lreq_new(l, m->grant.borrower, m->grant.disk,
				     g[i].rights);
		if (r && !lgrant_add(r, &g[i])) {
			if (!r->serial)
				r->serial = m->grant.serial;
			r->absent_since = l->d->now;
			announce_grant(l, r, &r->grants[r->ngrants - 1]);
		}
		break;
	}
	free(g);
}

void lender_adopt_done(struct lender *l)
{
	state_save(l);
}

static int drain_save(struct lender *l);

/* ----------------------------------------------------------- events */

/* we deleted @prefix: its GRANT_DEL event is ours (grant_gone()) */
static void deleted_note(struct lender *l, const uint8_t prefix[16],
			 uint8_t plen)
{
	struct lender_deleted *e = &l->deleted[l->deleted_next];

	memcpy(e->prefix, prefix, 16);
	e->plen = plen;
	l->deleted_next = (l->deleted_next + 1) % LENDER_DELETED;
	if (l->ndeleted < LENDER_DELETED)
		l->ndeleted++;
}

/* the event of a prefix we deleted: taken off the list */
static bool deleted_event(struct lender *l, const uint8_t prefix[16],
			  uint8_t plen)
{
	unsigned int i;

	for (i = 0; i < l->ndeleted; i++) {
		if (l->deleted[i].plen != plen ||
		    memcmp(l->deleted[i].prefix, prefix, 16))
			continue;
		l->deleted[i] = l->deleted[--l->ndeleted];
		l->deleted_next = l->ndeleted;
		return true;
	}
	return false;
}

static void grant_gone(struct lender *l, const uint8_t prefix[16],
		       uint8_t plen, bool expired)
{
	struct lreq *r;
	size_t i;

	if (deleted_event(l, prefix, plen))
		return;

	for (r = l->reqs; r; r = r->next) {
		for (i = 0; i < r->ngrants; i++) {
			if (r->grants[i].plen != plen ||
			    memcmp(r->grants[i].prefix, prefix, 16))
				continue;
			bgpd_withdraw(l->d, prefix, plen);
			if (expired)
				log_info("reservation %s lapsed unconfirmed",
					 pfx_str(prefix, plen));
			r->grants[i] = r->grants[--r->ngrants];
			if (!r->ngrants && !r->released && !r->refused)
				refuse(l, r, IPMEM_BGP_REASON_EXPIRED);
			state_save(l);
			l->d->dirty = true;
			return;
		}
	}
}

static void reannounce_grants(struct lender *l);

/* the module's pool waits to shrink (lend shrink), or no longer does */
static void shrink_note(struct lender *l, const struct mod_pool *p)
{
	if (p->shrink_to)
		log_info("the pool shrinks to %" PRIu64 " blocks once those past it are free: asking their borrowers to move",
			 p->shrink_to);
	else if (p->total < l->pool.total)
		log_info("the pool shrank from %" PRIu64 " to %" PRIu64 " blocks",
			 l->pool.total, p->total);
	else
		log_info("the pool's shrink was called off");
}

/*
 * The module's pool as it is now: a shrink that begins, ends or is called
 * off changes which grants we ask their borrowers to move.
 */
static void pool_update(struct lender *l, const struct mod_pool *p)
{
	bool moving = l->has_pool && p->shrink_to != l->pool.shrink_to;

	if (moving || (l->has_pool && p->total < l->pool.total))
		shrink_note(l, p);
	l->pool = *p;
	if (moving)
		reannounce_grants(l);
}

static void resync(struct lender *l)
{
	struct mod_grant *g = NULL;
	size_t n = 0, i, k;
	struct mod_pool p;
	struct lreq *r;
	bool found;

	log_warn("reading the module's events: %s; reading the pool and grants again",
		 mod_err(l->mod));
	if (mod_pool_get(l->mod, &p) == 0) {
		pool_update(l, &p);
		l->has_pool = true;
		l->announce_pool = true;
	}
	if (mod_grant_list(l->mod, &g, &n))
		return;
	for (r = l->reqs; r; r = r->next) {
		for (k = 0; k < r->ngrants;) {
			found = false;
			for (i = 0; i < n && !found; i++)
				found = g[i].plen == r->grants[k].plen &&
					!memcmp(g[i].prefix,
						r->grants[k].prefix, 16);
			if (found) {
				k++;
				continue;
			}
			grant_gone(l, r->grants[k].prefix, r->grants[k].plen,
				   false);
			k = 0;		/* the array changed */
		}
	}
	free(g);
}

void lender_event(struct lender *l, const struct mod_event *ev)
{
	if (ev->type == MOD_EV_POOL)
		log_dbg("module: pool changed, V_i %" PRIu64, ev->pool.free);
	else if (ev->type == MOD_EV_GRANT_DEL)
		log_dbg("module: grant %s gone",
			pfx_str(ev->grant.prefix, ev->grant.plen));
	switch (ev->type) {
	case MOD_EV_POOL:
		if (!ev->has_pool) {
			if (l->has_pool)
				log_warn("the pool was destroyed");
			l->has_pool = false;
			/* what was drained is gone: a new pool lends */
			if (l->drain_manual) {
				int ret;

				l->drain_manual = false;
				l->draining = l->drain_auto;
				ret = drain_save(l);
				if (ret)
					log_warn("cannot remove %s: %s",
						 l->drain_path, strerror(-ret));
				else
					log_info("drain ended with the pool");
			}
		} else {
			if (!l->has_pool)
				log_info("a pool appeared: %" PRIu64 " blocks",
					 ev->pool.total);
			pool_update(l, &ev->pool);
			l->has_pool = true;
		}
		l->announce_pool = true;
		break;
	case MOD_EV_GRANT_DEL:
		grant_gone(l, ev->grant.prefix, ev->grant.plen,
			   ev->grant.state == IPMEM_GRANT_RESERVED);
		break;
	case MOD_EV_RESYNC:
		resync(l);
		break;
	case MOD_EV_MAP_WANTED:
		return;			/* the borrower's (main.c) */
	}
	l->d->dirty = true;
}

/* -------------------------------------------------------- reconcile */

static void lreq_drop(struct lender *l, struct lreq *r)
{
	struct lreq **pp;
	struct ibgp_route m;
	size_t i;

	for (i = 0; i < r->ngrants; i++)
		bgpd_withdraw(l->d, r->grants[i].prefix, r->grants[i].plen);
	if (r->refused) {
		refusal_prefix(l, r, &m);
		bgpd_withdraw(l->d, m.prefix, m.plen);
	}
	for (pp = &l->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	free(r->grants);
	free(r);
}

/* give every grant of @r back to the pool */
static void release_grants(struct lender *l, struct lreq *r, const char *why)
{
	char b[16];
	size_t i;
	int ret;

	if (r->ngrants)
		log_info("freeing %" PRIu64 " blocks of host %s disk %u: %s",
			 lreq_blocks(r), fmt_host(r->borrower, b), r->disk,
			 why);
	for (i = 0; i < r->ngrants; i++) {
		ret = mod_grant_del(l->mod, r->grants[i].prefix,
				    r->grants[i].plen, true);
		if (!ret)
			deleted_note(l, r->grants[i].prefix, r->grants[i].plen);
		if (ret && ret != -ENOENT)
			log_err("GRANT_DEL %s: %s",
				pfx_str(r->grants[i].prefix, r->grants[i].plen),
				mod_err(l->mod));
		bgpd_withdraw(l->d, r->grants[i].prefix, r->grants[i].plen);
	}
	r->ngrants = 0;
	state_save(l);
}

/*
 * Reserve @count blocks for @r: its grants get them (recorded before they
 * are announced: a crash must not lose the link).  0 or -errno.
 */
static int lreq_reserve(struct lender *l, struct lreq *r, uint64_t count)
{
	struct mod_grant *g = NULL;
	size_t n = 0, i;
	int ret;

	ret = mod_grant_reserve(l->mod, count, r->borrower, r->rights,
				l->d->conf.reserve_timeout, &g, &n);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		if (lgrant_add(r, &g[i]))
			log_err("out of memory");
	free(g);
	state_save(l);
	return 0;
}

static void reserve(struct lender *l, const struct ibgp_route *q)
{
	struct lreq *r;
	size_t i;
	char b[16];
	int ret;

	r = lreq_new(l, q->host, q->req.disk, q->req.rights);
	if (!r)
		return;
	r->serial = q->req.serial;
	r->seen = r->seen_ever = true;
	if (!l->has_pool) {
		refuse(l, r, IPMEM_BGP_REASON_NO_POOL);
		return;
	}
	if (q->req.block_size != l->pool.block_size) {
		refuse(l, r, IPMEM_BGP_REASON_BLOCK_SIZE);
		return;
	}
	if (l->draining) {
		refuse(l, r, IPMEM_BGP_REASON_DRAINING);
		return;
	}
	ret = lreq_reserve(l, r, q->req.count);
	if (ret) {
		if (ret != -ENOSPC)
			log_warn("GRANT_RESERVE for host %s: %s",
				 fmt_host(q->host, b), mod_err(l->mod));
		refuse(l, r, ret == -ENOSPC ? IPMEM_BGP_REASON_NOSPACE :
			     IPMEM_BGP_REASON_ERROR);
		return;
	}
	log_info("reserved %" PRIu64 " blocks in %zu prefixes for host %s disk %u (%s)",
		 q->req.count, r->ngrants, fmt_host(q->host, b), q->req.disk,
		 q->req.rights == IPMEM_RIGHTS_RO ? "ro" : "rw");
	for (i = 0; i < r->ngrants; i++)
		announce_grant(l, r, &r->grants[i]);
}

static void confirm(struct lender *l, struct lreq *r)
{
	bool changed = false;
	size_t i;
	char b[16];
	int ret;

	for (i = 0; i < r->ngrants;) {
		struct lgrant *g = &r->grants[i];

		if (g->state == IPMEM_GRANT_CONFIRMED) {
			i++;
			continue;
		}
		ret = mod_grant_confirm(l->mod, g->prefix, g->plen);
		if (ret && ret != -EALREADY) {
			log_warn("GRANT_CONFIRM %s: %s",
				 pfx_str(g->prefix, g->plen), mod_err(l->mod));
			bgpd_withdraw(l->d, g->prefix, g->plen);
			*g = r->grants[--r->ngrants];
			changed = true;
			continue;
		}
		g->state = IPMEM_GRANT_CONFIRMED;
		announce_grant(l, r, g);
		changed = true;
		i++;
	}
	if (!changed)
		return;
	if (!r->ngrants) {
		refuse(l, r, IPMEM_BGP_REASON_EXPIRED);
	} else {
		log_info("confirmed %" PRIu64 " blocks for host %s disk %u",
			 lreq_blocks(r), fmt_host(r->borrower, b), r->disk);
	}
	state_save(l);
}

/* replace grant @i of @r by @n grants from @g (its pieces) */
static int lgrant_replace(struct lreq *r, size_t i, const struct lgrant *g,
			  size_t n)
{
	struct lgrant *ng;

	if (n > 1) {
		ng = realloc(r->grants, (r->ngrants + n - 1) * sizeof(*ng));
		if (!ng)
			return -ENOMEM;
		r->grants = ng;
	}
	r->grants[i] = r->grants[--r->ngrants];
	memcpy(&r->grants[r->ngrants], g, n * sizeof(*g));
	r->ngrants += n;
	return 0;
}

/*
 * What stays of grant @g when the aligned run @first/@count inside it
 * goes: the buddies of the run and of its ancestors inside @g, as the
 * module splits it (ipmem_grant_trim()).  Returns how many, at most 47.
 */
static size_t lgrant_pieces(struct lender *l, const struct lgrant *g,
			    uint64_t first, uint64_t count, struct lgrant *out)
{
	uint64_t size;
	size_t n = 0;

	for (size = count; size < g->count; size <<= 1) {
		memset(&out[n], 0, sizeof(out[n]));
		ipmem_addr_make(out[n].prefix, l->d->ctx.net, l->host,
				(first & ~(size - 1)) ^ size);
		out[n].plen = 128 - __builtin_ctzll(size);
		out[n].count = size;
		out[n].state = g->state;
		n++;
	}
	return n;
}

/*
 * The borrower gives back the run of a confirmed request named by its
 * route @q (RETURN, RETURN_COUNT): take it out of the request's grants,
 * prefix by prefix (the module splits a grant), withdraw what went and
 * announce what stays of each grant.  The module refuses while the
 * borrower still has a segment of the run registered (its UNMAP is on
 * the way): the next look tries again.
 */
static void give_back(struct lender *l, struct lreq *r,
		      const struct ibgp_route *q)
{
	uint64_t lo = q->req.ret_first, hi = lo + q->req.ret_count;
	uint64_t gf, a, b, size, freed = 0;
	struct lgrant pieces[IPMEM_BLOCK_BITS], g;
	uint8_t p[16];
	size_t i, n;
	char hb[16];
	int ret;

	for (;;) {
		for (i = 0; i < r->ngrants; i++) {
			gf = ipmem_addr_block(r->grants[i].prefix);
			if (gf < hi && gf + r->grants[i].count > lo)
				break;
		}
		if (i == r->ngrants)
			break;
		g = r->grants[i];
		a = lo > gf ? lo : gf;
		b = hi < gf + g.count ? hi : gf + g.count;
		size = 1ULL << ipmem_aggr_step(a, b - a);
		ipmem_addr_make(p, l->d->ctx.net, l->host, a);
		ret = mod_grant_del(l->mod, p, 128 - __builtin_ctzll(size),
				    false);
		if (ret) {
			if (r->busy_noted != r->revision)
				log_info("host %s disk %u gives back %s: %s%s",
					 fmt_host(r->borrower, hb), r->disk,
					 pfx_str(p, 128 - __builtin_ctzll(size)),
					 mod_err(l->mod),
					 ret == -EBUSY ? " (waiting for the borrower to let go)" : "");
			r->busy_noted = r->revision;
			break;
		}
		deleted_note(l, p, 128 - __builtin_ctzll(size));
		bgpd_withdraw(l->d, g.prefix, g.plen);
		n = lgrant_pieces(l, &g, a, size, pieces);
		if (lgrant_replace(r, i, pieces, n)) {
			log_err("out of memory: reading the grants again");
			resync(l);
			break;
		}
		for (i = r->ngrants - n; i < r->ngrants; i++)
			announce_grant(l, r, &r->grants[i]);
		freed += size;
	}
	if (!freed)
		return;
	log_info("host %s disk %u gave back %" PRIu64 " blocks; %" PRIu64 " in %zu prefixes stay",
		 fmt_host(r->borrower, hb), r->disk, freed, lreq_blocks(r),
		 r->ngrants);
	state_save(l);
}

/*
 * A confirmed request whose COUNT is more than its grants hold grows:
 * reserve the difference (confirm() confirms it, the request being
 * confirmed).  Once per revision: with too few blocks the borrower sees
 * nothing come and asks elsewhere.
 */
static void grow(struct lender *l, struct lreq *r, const struct ibgp_route *q)
{
	uint64_t have = lreq_blocks(r), want;
	size_t i, first = r->ngrants;
	char hb[16];
	int ret;

	/* only a change with a revision: older routes never grow */
	if (!r->revision || q->req.count <= have ||
	    r->grow_tried == r->revision)
		return;
	r->grow_tried = r->revision;
	want = q->req.count - have;
	if (l->draining || !l->has_pool) {
		log_info("host %s disk %u asks for %" PRIu64 " more blocks: not while %s",
			 fmt_host(r->borrower, hb), r->disk, want,
			 l->draining ? "draining" : "lending no pool");
		return;
	}
	ret = lreq_reserve(l, r, want);
	if (ret) {
		log_info("host %s disk %u asks for %" PRIu64 " more blocks: %s",
			 fmt_host(r->borrower, hb), r->disk, want,
			 mod_err(l->mod));
		return;
	}
	log_info("host %s disk %u grows by %" PRIu64 " blocks in %zu prefixes",
		 fmt_host(r->borrower, hb), r->disk, want, r->ngrants - first);
	for (i = first; i < r->ngrants; i++)
		announce_grant(l, r, &r->grants[i]);
}

/*
 * A confirmed request's changes (a return, a growth), each once its
 * revision is not older than the last one acted on (a replay).
 */
static void request_changes(struct lender *l, struct lreq *r,
			    const struct ibgp_route *q)
{
	char hb[16];

	if (q->req.state != IPMEM_BGP_REQ_CONFIRMED)
		return;
	if (q->req.revision < r->revision) {
		if (r->stale_noted != q->req.revision)
			log_warn("ignored request of host %s disk %u: its revision %" PRIu64 " is older than one we acted on (%" PRIu64 ")",
				 fmt_host(r->borrower, hb), r->disk,
				 q->req.revision, r->revision);
		r->stale_noted = q->req.revision;
		return;
	}
	if (q->req.revision > r->revision) {
		r->revision = q->req.revision;
		state_save(l);
	}
	if (q->req.ret_count)
		give_back(l, r, q);
	else
		grow(l, r, q);
}

static bool has_confirmed(const struct lreq *r)
{
	size_t i;

	for (i = 0; i < r->ngrants; i++)
		if (r->grants[i].state == IPMEM_GRANT_CONFIRMED)
			return true;
	return false;
}

void lender_reconcile(struct lender *l)
{
	struct ipmemd *d = l->d;
	const struct ibgp_route *q;
	struct rib_entry *e;
	struct lreq *r, *next;
	char b[16];

	if (l->announce_pool)
		announce_pool(l);

	for (r = l->reqs; r; r = r->next)
		r->seen = false;

	rib_for_each(&d->rib, IPMEM_BGP_KIND_REQUEST, e) {
		q = e->eff;
		if (q->req.lender != l->host)
			continue;
		r = lreq_find(l, q->host, q->req.disk);
		if (r && !r->serial)
			r->serial = q->req.serial;	/* state of an older ipmemd */
		if (r && q->req.serial < r->serial) {
			/* an older request's route, replayed: as if absent */
			if (r->stale_noted != q->req.serial)
				log_warn("ignored request of host %s disk %u in state %s: its serial %" PRIu64 " is older than that of the request we answer (%" PRIu64 ")",
					 fmt_host(r->borrower, b), r->disk,
					 ibgp_req_state_name(q->req.state),
					 q->req.serial, r->serial);
			r->stale_noted = q->req.serial;
			continue;
		}
		if (r && q->req.serial > r->serial) {
			/* a new request of the same disk replaces the old */
			if (r->ngrants)
				release_grants(l, r, "replaced by a newer request of the same disk");
			lreq_drop(l, r);
			state_save(l);
			r = NULL;
		}
		if (!r) {
			if (q->req.state == IPMEM_BGP_REQ_PENDING) {
				reserve(l, q);
			} else if (q->req.state == IPMEM_BGP_REQ_CONFIRMED ||
				   q->req.state == IPMEM_BGP_REQ_UNMOVABLE) {
				r = lreq_new(l, q->host, q->req.disk,
					     q->req.rights);
				if (r) {
					r->serial = q->req.serial;
					r->seen = r->seen_ever = true;
					refuse(l, r, IPMEM_BGP_REASON_EXPIRED);
				}
			}
			continue;
		}
		r->seen = r->seen_ever = true;
		if (r->absent_since) {
			if (has_confirmed(r))
				log_info("request of host %s disk %u is back: keeping its blocks",
					 fmt_host(r->borrower, b), r->disk);
			r->absent_since = 0;
		}
		if (r->refused)
			continue;
		r->unmovable = q->req.state == IPMEM_BGP_REQ_UNMOVABLE;
		switch (q->req.state) {
		case IPMEM_BGP_REQ_CONFIRMED:
		case IPMEM_BGP_REQ_UNMOVABLE:
			request_changes(l, r, q);
			confirm(l, r);
			break;
		case IPMEM_BGP_REQ_RELEASED:
			if (!r->released) {
				release_grants(l, r, "released");
				r->released = true;
			}
			break;
		default:
			break;
		}
	}

	for (r = l->reqs; r; r = next) {
		next = r->next;
		if (r->seen)
			continue;
		if (!r->ngrants) {
			lreq_drop(l, r);
			continue;
		}
		if (!has_confirmed(r) && r->seen_ever)
			continue;	/* the module lets them lapse */
		if (!r->absent_since) {
			r->absent_since = d->now;
			log_warn("request of host %s disk %u withdrawn without a release: holding its %" PRIu64 " blocks for %u s",
				 fmt_host(r->borrower, b), r->disk,
				 lreq_blocks(r), d->conf.grant_hold / 1000);
		} else if (d->now - r->absent_since >= d->conf.grant_hold) {
			release_grants(l, r, "its request did not come back");
			lreq_drop(l, r);
			state_save(l);
		}
	}
}

/* draining survives a restart: state-dir/draining exists meanwhile */
static int drain_save(struct lender *l)
{
	int fd;

	if (!l->drain_path[0])
		return 0;
	if (!l->drain_manual) {
		if (unlink(l->drain_path) && errno != ENOENT)
			return -errno;
		return 0;
	}
	fd = open(l->drain_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fsync(fd)) {
		close(fd);
		return -errno;
	}
	close(fd);
	return 0;
}

/* the confirmed grants again, in the state that says whether we drain */
static void reannounce_grants(struct lender *l)
{
	struct lreq *r;
	size_t i;

	for (r = l->reqs; r; r = r->next)
		for (i = 0; i < r->ngrants; i++)
			if (r->grants[i].state == IPMEM_GRANT_CONFIRMED)
				announce_grant(l, r, &r->grants[i]);
}

/*
 * Draining is the operator's (lend drain, kept in state-dir) or the
 * memory pressure's (drain-psi); either makes the lender drain.
 */
static void drain_apply(struct lender *l, const char *why)
{
	bool drain = l->drain_manual || l->drain_auto;

	if (drain == l->draining)
		return;
	l->draining = drain;
	l->announce_pool = true;
	l->d->dirty = true;
	log_info("%s (%s)", drain ? "draining: granting nothing new, announcing FREE 0, asking borrowers to move" :
		 "drain ended: granting again", why);
	reannounce_grants(l);
}

void lender_tick(struct lender *l)
{
	struct ipmemd *d = l->d;
	uint32_t psi, on = d->conf.drain_psi;
	char path[128], *text = NULL, why[160];

	if (!l->has_pool || d->now < l->drain_look)
		return;
	l->drain_look = d->now + 2000;
	if (!on && !l->drain_auto)
		return;
	snprintf(path, sizeof(path), "%s/pressure/memory", d->conf.proc);
	if (ipmemd_read_file(path, &text) || elastic_parse_psi(text, &psi)) {
		free(text);
		return;
	}
	free(text);
	l->psi = psi;
	if (on && psi >= on) {
		l->drain_calm = 0;
		if (!l->drain_auto) {
			l->drain_auto = true;
			snprintf(why, sizeof(why), "memory pressure %u.%02u%% reached drain-psi %u%%",
				 psi / 100, psi % 100, on / 100);
			drain_apply(l, why);
		}
	} else if (l->drain_auto && (!on || psi < on / 2)) {
		if (!l->drain_calm)
			l->drain_calm = d->now;
		if (d->now - l->drain_calm >= d->conf.drain_hold) {
			l->drain_auto = false;
			snprintf(why, sizeof(why), "memory pressure %u.%02u%% below half of drain-psi for %u s",
				 psi / 100, psi % 100, d->conf.drain_hold / 1000);
			drain_apply(l, why);
		}
	} else {
		l->drain_calm = 0;
	}
}

int lender_drain(struct ipmemd *d, bool drain, char *msg, size_t len)
{
	uint64_t blocks = 0, reqs = 0, b, q;
	bool still = false;
	struct lender *l;
	size_t i, n = 0;
	int ret;

	for (i = 0; i < d->nlenders; i++) {
		l = &d->lenders[i];
		if (!l->has_pool)
			continue;
		n++;
		if (l->drain_manual != drain) {
			l->drain_manual = drain;
			ret = drain_save(l);
			if (ret) {
				l->drain_manual = !drain;
				snprintf(msg, len, "cannot %s %s: %s",
					 drain ? "create" : "remove",
					 l->drain_path, strerror(-ret));
				return ret;
			}
			drain_apply(l, drain ? "lend drain" : "lend resume");
		}
		still |= l->drain_auto;
		lender_held(l, &b, &q);
		blocks += b;
		reqs += q;
	}
	if (!n) {
		snprintf(msg, len, "this host lends no pool");
		return -ENOENT;
	}
	if (drain)
		snprintf(msg, len, "draining: %" PRIu64 " blocks still granted to %" PRIu64 " requests",
			 blocks, reqs);
	else if (still)
		snprintf(msg, len, "still draining: memory pressure is past drain-psi");
	else
		snprintf(msg, len, "granting again");
	return 0;
}

/* this lender's part of `ipmemctl status`, in text or JSON (out.h) */
void lender_status(struct lender *l)
{
	struct lreq *r;
	uint64_t held = 0;
	size_t nreq = 0;
	char b[16];

	out_obj_open(NULL);
	if (!l->has_pool) {
		out_null("pool");
		out_text("lender: no pool\n");
		out_obj_close();
		return;
	}
	for (r = l->reqs; r; r = r->next) {
		nreq++;
		held += lreq_blocks(r);
	}
	out_str(OUT_ANY, "lender", "lender %s", fmt_host(l->host, b));
	out_u64(OUT_ANY, "M_i", ": M_i %" PRIu64, l->pool.total);
	out_u64(OUT_ANY, "V_i", " V_i %" PRIu64, l->pool.free);
	out_u64(OUT_ANY, "blocks_granted", ", %" PRIu64 " blocks granted", held);
	out_u64(OUT_TEXT, NULL, " to %" PRIu64 " requests", nreq);
	out_bool(OUT_JSON, "draining", NULL, l->draining);
	out_bool(OUT_JSON, "drain_pressure", NULL, l->drain_auto);
	out_bool(OUT_JSON, "drained", NULL, l->draining && !held);
	out_text("%s", !l->draining ? "" : held ?
		 ", draining (announced V_i 0; borrowers asked to move)" :
		 ", drained (announced V_i 0; nothing granted)");
	out_u64(OUT_JSON, "shrink_to", NULL, l->pool.shrink_to);
	if (l->pool.shrink_to)
		out_u64(OUT_TEXT, NULL,
			", shrinking to %" PRIu64 " blocks (borrowers past it asked to move)",
			l->pool.shrink_to);
	if (l->drain_auto)
		out_text("; memory pressure %u.%02u%% (drain-psi %u%%)",
			 l->psi / 100, l->psi % 100, l->d->conf.drain_psi / 100);
	out_text("\n");
	out_arr_open("requests");
	for (r = l->reqs; r; r = r->next) {
		out_obj_open(NULL);
		out_str(OUT_ANY, "borrower", "  host %s", fmt_host(r->borrower, b));
		out_u64(OUT_ANY, "disk", " disk %" PRIu64, r->disk);
		out_u64(OUT_ANY, "blocks", ": %" PRIu64 " blocks", lreq_blocks(r));
		out_u64(OUT_ANY, "grants", " in %" PRIu64 " grants", r->ngrants);
		out_str(OUT_TEXT, NULL, "%s", has_confirmed(r) ? ", confirmed" :
			r->ngrants ? ", reserved" : "");
		out_str(OUT_JSON, "state", NULL, has_confirmed(r) ? "confirmed" :
			r->ngrants ? "reserved" : "pending");
		if (r->refused)
			out_str(OUT_ANY, "refused", ", refused: %s",
				ibgp_reason_name(r->refused));
		out_bool(OUT_JSON, "unmovable", NULL, r->unmovable);
		out_text("%s", r->unmovable ?
			 ", its borrower cannot move them (no other lender has room)" :
			 "");
		out_bool(OUT_JSON, "held", NULL,
			 r->absent_since && r->ngrants);
		out_text("%s\n", r->absent_since && r->ngrants ?
			 ", held (request gone)" : "");
		out_obj_close();
	}
	out_arr_close();
	out_obj_close();
}
