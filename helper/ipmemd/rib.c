// SPDX-License-Identifier: GPL-2.0
/*
 * rib.c - the ipmem routes ipmemd has received, by prefix.
 *
 * Every path from the gobgpd watch lands here first.  It is decoded and
 * checked (codec.c, then the checks that need other routes: a grant that
 * overlaps another grant of the same lender, a route that claims one of
 * our own /80s); a path that fails is logged once, kept so that its
 * withdrawal is recognised, and otherwise ignored: only valid paths are
 * ever seen by the lender and borrower logic, and so by the module.
 *
 * A prefix can arrive from several neighbors (redundant route
 * reflectors).  The first valid path is the one used; a different
 * version from another neighbor only logs a warning until the first one
 * goes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipmemd.h"

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

/* put @e in the list of its effective path's kind */
static void entry_relink(struct rib *rib, struct rib_entry *e)
{
	struct ibgp_route *eff = NULL;
	struct rib_path *p;
	uint8_t kind;

	for (p = e->paths; p && !eff; p = p->next)
		if (p->valid)
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

static bool same_route(const struct ibgp_route *a, const struct ibgp_route *b)
{
	return !memcmp(a, b, sizeof(*a));
}

void rib_update(struct ipmemd *d, const struct gbgp_route *r)
{
	struct rib *rib = &d->rib;
	const uint8_t *prefix = r->prefix.s6_addr;
	struct rib_path *p, **pp;
	struct rib_entry *e;
	char why[256];
	bool valid;

	e = entry_find(rib, prefix, r->plen);
	if (r->withdraw) {
		if (!e)
			return;
		for (pp = &e->paths; *pp; pp = &(*pp)->next) {
			p = *pp;
			if (p->id == r->identifier &&
			    !strcmp(p->neighbor, r->neighbor)) {
				*pp = p->next;
				if (p->valid)
					log_dbg("withdrawn: %s %s from %s",
						ibgp_kind_name(p->r.kind),
						pfx_str(prefix, r->plen),
						p->neighbor);
				free(p);
				break;
			}
		}
		entry_relink(rib, e);
		if (!e->paths) {
			entry_unlink(rib, e);
			free(e);
		}
		d->dirty = true;
		return;
	}

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			log_err("out of memory: path %s dropped",
				pfx_str(prefix, r->plen));
			return;
		}
		memcpy(e->prefix, prefix, 16);
		e->plen = r->plen;
		if (rib->nentries >= rib->nbuckets)
			rib_grow(rib);
		e->hnext = rib->hash[hash_key(prefix, r->plen) % rib->nbuckets];
		rib->hash[hash_key(prefix, r->plen) % rib->nbuckets] = e;
		rib->nentries++;
	}
	for (p = e->paths; p; p = p->next)
		if (p->id == r->identifier && !strcmp(p->neighbor, r->neighbor))
			break;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			log_err("out of memory: path %s dropped",
				pfx_str(prefix, r->plen));
			if (!e->paths) {
				entry_unlink(rib, e);
				free(e);
			}
			return;
		}
		snprintf(p->neighbor, sizeof(p->neighbor), "%s", r->neighbor);
		p->id = r->identifier;
		/* arrival order: append */
		for (pp = &e->paths; *pp; pp = &(*pp)->next)
			;
		*pp = p;
	}

	valid = !ibgp_decode(&d->ctx, r, &p->r, why, sizeof(why)) &&
		context_ok(d, e, &p->r, why, sizeof(why));
	if (!valid) {
		rib->ignored++;
		logm(!strncmp(why, "foreign", 7) ? LOG_INFO : LOG_WARNING,
		     "ignored route %s from %s: %s", pfx_str(prefix, r->plen),
		     r->neighbor[0] ? r->neighbor : "local", why);
	} else if (e->eff && &p->r != e->eff && !same_route(e->eff, &p->r)) {
		log_warn("route %s from %s differs from the one in use; ignored while that one lasts",
			 pfx_str(prefix, r->plen), r->neighbor);
	} else {
		log_dbg("received: %s %s from %s", ibgp_kind_name(p->r.kind),
			pfx_str(prefix, r->plen), r->neighbor);
	}
	p->valid = valid;
	e->noted = false;
	entry_relink(rib, e);
	d->dirty = true;
}

void rib_flush(struct ipmemd *d)
{
	if (d->rib.nentries)
		log_info("forgetting %zu received routes", d->rib.nentries);
	rib_clear(&d->rib);
	d->dirty = true;
}
