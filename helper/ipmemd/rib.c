// SPDX-License-Identifier: GPL-2.0
/*
 * rib.c - the ipmem routes ipmemd has received, by prefix.
 *
 * Every path from the gobgpd watch lands here first.  It is decoded and
 * checked (codec.c, then the checks that need other routes: a grant that
 * overlaps another grant of the same lender, a route that claims one of
 * our own /80s); a path that fails is logged (RIB_LOG_BURST lines a
 * minute at most) and dropped: only valid paths are ever kept, and seen
 * by the lender and borrower logic, and so by the module.
 *
 * The RIB is bounded: a BGP neighbor has at most max-routes paths in it
 * (ipmemd.conf).  Past that, its new paths are dropped with one log line
 * until it withdraws some, so that a speaker flooding routes costs a
 * bounded amount of memory and time and ipmemd keeps working.
 *
 * A prefix can arrive from several neighbors (redundant route
 * reflectors).  The first valid path is the one used; a different
 * version from another neighbor only logs a warning until the first one
 * goes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipmemd.h"

#define RIB_LOG_BURST	20		/* ignored paths logged an interval */

static size_t hash_key(const uint8_t prefix[16], uint8_t plen)
{
	uint64_t h = 1469598103934665603ULL;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ prefix[i]) * 1099511628211ULL;
	h = (h ^ plen) * 1099511628211ULL;
	return h ^ (h >> 29);
}

int rib_init(struct rib *rib)
{
	memset(rib, 0, sizeof(*rib));
	rib->nbuckets = 1024;
	rib->hash = calloc(rib->nbuckets, sizeof(*rib->hash));
	return rib->hash ? 0 : -ENOMEM;
}

static void entry_free(struct rib_entry *e)
{
	struct rib_path *p;

	while ((p = e->paths)) {
		e->paths = p->next;
		free(p);
	}
	free(e);
}

static void rib_clear(struct rib *rib)
{
	free(rib->nbrs);
	rib->nbrs = NULL;
	rib->nnbrs = 0;
	struct rib_entry *e;
	size_t i;

	for (i = 0; i < rib->nbuckets; i++) {
		while ((e = rib->hash[i])) {
			rib->hash[i] = e->hnext;
			entry_free(e);
		}
	}
	memset(rib->lists, 0, sizeof(rib->lists));
	memset(rib->counts, 0, sizeof(rib->counts));
	rib->nentries = 0;
}

void rib_free(struct rib *rib)
{
	if (!rib->hash)
		return;
	rib_clear(rib);
	free(rib->hash);
	rib->hash = NULL;
}

static struct rib_entry *entry_find(struct rib *rib, const uint8_t prefix[16],
				    uint8_t plen)
{
	struct rib_entry *e;

	for (e = rib->hash[hash_key(prefix, plen) % rib->nbuckets]; e;
	     e = e->hnext)
		if (e->plen == plen && !memcmp(e->prefix, prefix, 16))
			return e;
	return NULL;
}

static void rib_grow(struct rib *rib)
{
	size_t n = rib->nbuckets * 2, i, b;
	struct rib_entry **h = calloc(n, sizeof(*h)), *e;

	if (!h)
		return;			/* keep the old table: just slower */
	for (i = 0; i < rib->nbuckets; i++) {
		while ((e = rib->hash[i])) {
			rib->hash[i] = e->hnext;
			b = hash_key(e->prefix, e->plen) % n;
			e->hnext = h[b];
			h[b] = e;
		}
	}
	free(rib->hash);
	rib->hash = h;
	rib->nbuckets = n;
}

const struct ibgp_route *rib_lookup(struct rib *rib, const uint8_t prefix[16],
				    uint8_t plen)
{
	struct rib_entry *e = entry_find(rib, prefix, plen);

	return e ? e->eff : NULL;
}

const struct ibgp_route *rib_pool(struct ipmemd *d, uint32_t host)
{
	const struct ibgp_route *r;
	uint8_t p[16];

	ipmem_addr_make(p, d->ctx.net, host, 0);
	r = rib_lookup(&d->rib, p, IPMEM_HOST_PLEN);
	return r && r->kind == IPMEM_BGP_KIND_POOL ? r : NULL;
}

/* a request's serial, or that of the request a grant or refusal answers */
static uint64_t route_serial(const struct ibgp_route *m)
{
	switch (m->kind) {
	case IPMEM_BGP_KIND_REQUEST: return m->req.serial;
	case IPMEM_BGP_KIND_GRANT: return m->grant.serial;
	case IPMEM_BGP_KIND_REFUSAL: return m->ref.serial;
	}
	return 0;
}

/* a request's revision (a change of a confirmed request), else 0 */
static uint64_t route_revision(const struct ibgp_route *m)
{
	return m->kind == IPMEM_BGP_KIND_REQUEST ? m->req.revision : 0;
}

/* is @a of a newer request than @b, or a newer revision of the same? */
static bool route_newer(const struct ibgp_route *a, const struct ibgp_route *b)
{
	if (route_serial(a) != route_serial(b))
		return route_serial(a) > route_serial(b);
	return route_revision(a) > route_revision(b);
}

/* put @e in the list of its effective path's kind */
static void entry_relink(struct rib *rib, struct rib_entry *e)
{
	/*
	 * Every kept path is valid (and, with host keys, signed by its
	 * originator): the one of the newest request (and revision) is in
	 * use, so that an older route, replayed, does not hide the current
	 * one; of equals, the first.
	 */
	struct ibgp_route *eff = e->paths ? &e->paths->r : NULL;
	struct rib_path *p;
	uint8_t kind;

	for (p = e->paths; p; p = p->next)
		if (route_newer(&p->r, eff))
			eff = &p->r;

	kind = eff ? eff->kind : 0;
	if (kind != e->kind) {
		if (e->kind) {
			if (e->prev)
				e->prev->next = e->next;
			else
				rib->lists[e->kind] = e->next;
			if (e->next)
				e->next->prev = e->prev;
			rib->counts[e->kind]--;
		}
		e->prev = e->next = NULL;
		if (kind) {
			e->next = rib->lists[kind];
			if (e->next)
				e->next->prev = e;
			rib->lists[kind] = e;
			rib->counts[kind]++;
		}
		e->kind = kind;
	}
	e->eff = eff;
}

static void entry_unlink(struct rib *rib, struct rib_entry *e)
{
	struct rib_entry **pp;

	for (pp = &rib->hash[hash_key(e->prefix, e->plen) % rib->nbuckets];
	     *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	rib->nentries--;
}

/* is @host one of ours (so no one else may announce in its /80)? */
static bool our_host(struct ipmemd *d, uint32_t host)
{
	return host == d->host || lender_find(d, host);
}

/* checks that need the other routes; false with @why on failure */
static bool context_ok(struct ipmemd *d, struct rib_entry *self,
		       const struct ibgp_route *m, char *why, size_t len)
{
	struct rib_entry *e;

	if (our_host(d, m->host)) {
		snprintf(why, len, "malformed: a %s route in our own /80",
			 ibgp_kind_name(m->kind));
		return false;
	}
	if (m->kind != IPMEM_BGP_KIND_GRANT)
		return true;
	rib_for_each(&d->rib, IPMEM_BGP_KIND_GRANT, e) {
		if (e == self || e->eff->host != m->host)
			continue;
		if (ibgp_prefix_overlap(e->prefix, e->plen, m->prefix,
					m->plen)) {
			snprintf(why, len, "malformed: grant overlaps grant %s",
				 pfx_str(e->prefix, e->plen));
			return false;
		}
	}
	return true;
}

/*
 * With host keys, a request, grant or refusal for us counts only if its
 * originator signed it (<ipmem/bgp.h>, IPMEM_BGP_FN_MAC): a BGP speaker
 * cannot forge a release of our grants, hold our pool with requests, or
 * hand us grants.  False with @why on failure.
 */
static bool signed_ok(struct ipmemd *d, const struct gbgp_route *r,
		      const struct ibgp_route *m, char *why, size_t len)
{
	uint8_t data[IPMEM_ROUTE_DATA_MAX];
	uint8_t got[IPMEM_BGP_MACS][IPMEM_ROUTE_MAC_LEN];
	uint8_t want[IPMEM_BGP_MACS][IPMEM_ROUTE_MAC_LEN];
	uint32_t peer = ibgp_route_peer(m);
	int i, j, ngot, nwant;
	char h[16];

	if (!d->route_auth || m->kind == IPMEM_BGP_KIND_POOL ||
	    (peer != d->host && !lender_find(d, peer)))
		return true;		/* not for us */
	ngot = ibgp_get_macs(&d->ctx, r, got);
	if (!ngot) {
		snprintf(why, len, "unauthenticated: host %s did not sign it",
			 fmt_host(m->host, h));
		return false;
	}
	nwant = mod_route_macs(d->mod, m->host, data,
			       ibgp_mac_data(&d->ctx, r, data), want);
	if (nwant < 0) {
		snprintf(why, len, "unauthenticated: cannot check it: %s",
			 mod_err(d->mod));
		return false;
	}
	for (i = 0; i < ngot; i++)
		for (j = 0; j < nwant; j++)
			if (!memcmp(got[i], want[j], IPMEM_ROUTE_MAC_LEN))
				return true;
	snprintf(why, len, "unauthenticated: no MAC checks with a key of host %s (forged, or altered on the way)",
		 fmt_host(m->host, h));
	return false;
}

static bool same_route(const struct ibgp_route *a, const struct ibgp_route *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* the neighbor's counters; NULL for our own paths (or out of memory) */
static struct rib_nbr *nbr_get(struct rib *rib, const char *name)
{
	struct rib_nbr *n;
	size_t i;

	if (!name[0])
		return NULL;
	for (i = 0; i < rib->nnbrs; i++)
		if (!strcmp(rib->nbrs[i].name, name))
			return &rib->nbrs[i];
	n = realloc(rib->nbrs, (rib->nnbrs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	rib->nbrs = n;
	n = &rib->nbrs[rib->nnbrs++];
	memset(n, 0, sizeof(*n));
	snprintf(n->name, sizeof(n->name), "%s", name);
	return n;
}

/* drop path @p of @e (unlinked by the caller) */
static void path_free(struct ipmemd *d, struct rib_path *p)
{
	struct rib_nbr *n = nbr_get(&d->rib, p->neighbor);

	if (n && n->paths) {
		n->paths--;
		if (n->full && n->paths < d->conf.max_routes) {
			n->full = false;
			log_info("neighbor %s is below max-routes (%u) again",
				 n->name, d->conf.max_routes);
		}
	}
	free(p);
}

/* @e lost a path: relink it, free it if it has none left */
static void entry_changed(struct ipmemd *d, struct rib_entry *e)
{
	entry_relink(&d->rib, e);
	if (!e->paths) {
		entry_unlink(&d->rib, e);
		free(e);
	}
	d->dirty = true;
}

/* log an ignored path, RIB_LOG_BURST lines an ignored-log-interval at most */
static void note_ignored(struct ipmemd *d, int level, const char *pfx,
			 const char *nbr, const char *why)
{
	struct rib *rib = &d->rib;
	uint32_t iv = d->conf.ignored_log_interval;
	char span[32];

	if (iv == 60000)
		snprintf(span, sizeof(span), "minute");
	else
		snprintf(span, sizeof(span), "%u s", iv / 1000);
	if (d->now - rib->log_since >= iv) {
		if (rib->log_quiet)
			log_warn("%" PRIu64 " more routes were ignored in the last %s (not logged one by one)",
				 rib->log_quiet, span);
		rib->log_since = d->now;
		rib->log_lines = 0;
		rib->log_quiet = 0;
	}
	if (rib->log_lines >= RIB_LOG_BURST) {
		rib->log_quiet++;
		return;
	}
	rib->log_lines++;
	logm(level, "ignored route %s from %s: %s%s%s%s", pfx, nbr[0] ? nbr : "local",
	     why, rib->log_lines == RIB_LOG_BURST ? " (more this " : "",
	     rib->log_lines == RIB_LOG_BURST ? span : "",
	     rib->log_lines == RIB_LOG_BURST ? " are counted, not logged)" : "");
}

static struct rib_path *path_find(struct rib_entry *e,
				  const struct gbgp_route *r)
{
	struct rib_path *p;

	for (p = e ? e->paths : NULL; p; p = p->next)
		if (p->id == r->identifier && !strcmp(p->neighbor, r->neighbor))
			return p;
	return NULL;
}

/* remove @p from @e, and @e if it has no path left */
static void path_remove(struct ipmemd *d, struct rib_entry *e,
			struct rib_path *p)
{
	struct rib_path **pp;

	for (pp = &e->paths; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	path_free(d, p);
	entry_changed(d, e);
}

static struct rib_entry *entry_new(struct rib *rib, const uint8_t prefix[16],
				   uint8_t plen)
{
	struct rib_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	memcpy(e->prefix, prefix, 16);
	e->plen = plen;
	if (rib->nentries >= rib->nbuckets)
		rib_grow(rib);
	e->hnext = rib->hash[hash_key(prefix, plen) % rib->nbuckets];
	rib->hash[hash_key(prefix, plen) % rib->nbuckets] = e;
	rib->nentries++;
	return e;
}

void rib_update(struct ipmemd *d, const struct gbgp_route *r)
{
	struct rib *rib = &d->rib;
	const uint8_t *prefix = r->prefix.s6_addr;
	struct rib_path *p, **pp;
	struct rib_entry *e;
	struct ibgp_route m;
	struct rib_nbr *n;
	char why[256];

	rib->updates++;
	e = entry_find(rib, prefix, r->plen);
	p = path_find(e, r);
	if (r->withdraw) {
		if (p) {
			log_dbg("withdrawn: %s %s from %s",
				ibgp_kind_name(p->r.kind),
				pfx_str(prefix, r->plen), p->neighbor);
			path_remove(d, e, p);
		}
		return;
	}

	if (ibgp_decode(&d->ctx, r, &m, why, sizeof(why)) ||
	    !context_ok(d, e, &m, why, sizeof(why)) ||
	    !signed_ok(d, r, &m, why, sizeof(why))) {
		/* not kept; a valid version it replaces goes too */
		rib->ignored++;
		note_ignored(d, !strncmp(why, "foreign", 7) ? LOG_INFO :
			     LOG_WARNING, pfx_str(prefix, r->plen), r->neighbor,
			     why);
		if (p)
			path_remove(d, e, p);
		return;
	}

	if (!p) {
		n = nbr_get(rib, r->neighbor);
		if (n && n->paths >= d->conf.max_routes) {
			rib->dropped++;
			if (!n->full)
				log_warn("neighbor %s has max-routes (%u) paths: dropping its new routes until it withdraws some",
					 n->name, d->conf.max_routes);
			n->full = true;
			return;
		}
		if (!e)
			e = entry_new(rib, prefix, r->plen);
		p = e ? calloc(1, sizeof(*p)) : NULL;
		if (!p) {
			log_err("out of memory: path %s dropped",
				pfx_str(prefix, r->plen));
			if (e && !e->paths)
				entry_changed(d, e);
			return;
		}
		if (n)
			n->paths++;
		snprintf(p->neighbor, sizeof(p->neighbor), "%s", r->neighbor);
		p->id = r->identifier;
		/* arrival order: append */
		for (pp = &e->paths; *pp; pp = &(*pp)->next)
			;
		*pp = p;
	}
	p->r = m;
	e->noted = false;
	entry_relink(rib, e);
	if (&p->r != e->eff && !same_route(e->eff, &p->r)) {
		log_warn("route %s from %s differs from the one in use; ignored while that one lasts%s",
			 pfx_str(prefix, r->plen), r->neighbor,
			 route_newer(e->eff, &p->r) ?
			 " (it answers or is an older request: replayed?)" : "");
	} else {
		log_dbg("received: %s %s from %s", ibgp_kind_name(p->r.kind),
			pfx_str(prefix, r->plen), r->neighbor);
	}
	d->dirty = true;
}

void rib_flush(struct ipmemd *d)
{
	if (d->rib.nentries)
		log_info("forgetting %zu received routes", d->rib.nentries);
	rib_clear(&d->rib);
	d->dirty = true;
}
