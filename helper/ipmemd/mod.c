// SPDX-License-Identifier: GPL-2.0
/*
 * mod.c - ipmem.ko over generic netlink (helper/nl.c), and the simulated
 * module used for the scale simulation (see mod.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipmem/addr.h>
#include <ipmem/bgp.h>
#include <ipmem/netlink.h>

#include "nl.h"
#include "mod.h"

struct sim_grant {
	struct sim_grant *next;
	struct mod_grant g;
	uint64_t first;
	uint64_t expires;		/* ms, reservations */
};

struct sim_map {
	struct sim_map *next;
	struct mod_map m;
	uint64_t count;
};

struct sim_disk {
	struct sim_disk *next;
	struct mod_disk d;
	uint8_t *used[3];		/* per replica, per extent */
};

struct sim_route {
	struct sim_route *next;
	struct mod_route r;
};

struct sim_event {
	struct sim_event *next;
	struct mod_event ev;
};

struct mod {
	bool sim;
	mod_event_fn fn;
	void *arg;
	char err[256];

	/* real */
	struct ipmem_nl nl;		/* requests */
	struct ipmem_nl ev;		/* events */

	/* simulated */
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
};

static int __attribute__((format(printf, 3, 4)))
seterr(struct mod *m, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return err;
}

const char *mod_err(const struct mod *m)
{
	return m->err;
}

/* ================================================================ real */

static int nl_err(struct mod *m, int ret)
{
	if (ret < 0 && !m->nl.err[0])
		snprintf(m->nl.err, sizeof(m->nl.err), "%s", strerror(-ret));
	snprintf(m->err, sizeof(m->err), "%s", m->nl.err);
	return ret;
}

static struct nl_msg *msg_new(struct mod *m, uint8_t cmd, bool dump)
{
	struct nl_msg *msg = ipmem_nl_msg(&m->nl, cmd, dump);

	if (!msg)
		seterr(m, -ENOMEM, "out of memory");
	return msg;
}

static int send_msg(struct mod *m, struct nl_msg *msg, ipmem_nl_cb cb,
		    void *arg)
{
	if (!msg)
		return -ENOMEM;
	m->err[0] = 0;
	return nl_err(m, ipmem_nl_send(&m->nl, msg, cb, arg));
}

static uint64_t get64(struct nlattr **tb, int t)
{
	return tb[t] ? nla_get_u64(tb[t]) : 0;
}

static void fill_pool(struct nlattr **tb, struct mod_pool *p)
{
	memset(p, 0, sizeof(*p));
	p->size = get64(tb, IPMEM_A_SIZE);
	if (tb[IPMEM_A_BLOCK_SIZE])
		p->block_size = nla_get_u32(tb[IPMEM_A_BLOCK_SIZE]);
	if (tb[IPMEM_A_ADDR])
		memcpy(p->addr, nla_data(tb[IPMEM_A_ADDR]), 16);
	if (tb[IPMEM_A_PORT])
		p->port = nla_get_u16(tb[IPMEM_A_PORT]);
	p->total = get64(tb, IPMEM_A_BLOCKS_TOTAL);
	p->free = get64(tb, IPMEM_A_BLOCKS_FREE);
}

static bool fill_grant(struct nlattr **tb, struct mod_grant *g)
{
	if (!tb[IPMEM_A_PREFIX] || !tb[IPMEM_A_PREFIX_LEN] ||
	    !tb[IPMEM_A_BORROWER])
		return false;
	memset(g, 0, sizeof(*g));
	memcpy(g->prefix, nla_data(tb[IPMEM_A_PREFIX]), 16);
	g->plen = nla_get_u8(tb[IPMEM_A_PREFIX_LEN]);
	g->borrower = nla_get_u32(tb[IPMEM_A_BORROWER]);
	if (tb[IPMEM_A_RIGHTS])
		g->rights = nla_get_u8(tb[IPMEM_A_RIGHTS]);
	if (tb[IPMEM_A_STATE])
		g->state = nla_get_u8(tb[IPMEM_A_STATE]);
	g->count = tb[IPMEM_A_BLOCK_COUNT] ? get64(tb, IPMEM_A_BLOCK_COUNT) :
		   1ULL << (128 - g->plen);
	return true;
}

/* a growing array of @size-byte elements for dump callbacks */
struct vec {
	void *v;
	size_t n, cap, size;
};

static void *vec_add(struct vec *v)
{
	void *nv;

	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		nv = realloc(v->v, v->cap * v->size);
		if (!nv)
			return NULL;
		v->v = nv;
	}
	return memset((char *)v->v + v->n++ * v->size, 0, v->size);
}

static int ev_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod *m = arg;
	struct genlmsghdr *gh = nlmsg_data(nlh);
	struct mod_event ev;

	memset(&ev, 0, sizeof(ev));
	switch (gh->cmd) {
	case IPMEM_CMD_POOL_GET:
		ev.type = MOD_EV_POOL;
		ev.has_pool = tb[IPMEM_A_BLOCKS_TOTAL] != NULL;
		if (ev.has_pool)
			fill_pool(tb, &ev.pool);
		break;
	case IPMEM_CMD_GRANT_DEL:
		ev.type = MOD_EV_GRANT_DEL;
		if (!fill_grant(tb, &ev.grant))
			return 0;
		break;
	default:
		return 0;		/* lender connection changes: not ours */
	}
	m->fn(m->arg, &ev);
	return 0;
}

/* ============================================================= common */

struct mod *mod_open(bool simulated, mod_event_fn fn, void *arg)
{
	struct mod *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->sim = simulated;
	m->fn = fn;
	m->arg = arg;
	m->evtail = &m->evq;
	if (simulated)
		return m;
	if (ipmem_nl_open(&m->nl)) {
		seterr(m, -ENOENT, "%s", m->nl.err);
		return m;		/* the caller reports mod_err() */
	}
	if (ipmem_nl_open(&m->ev) || ipmem_nl_subscribe(&m->ev)) {
		seterr(m, -EIO, "events: %s", m->ev.err);
		return m;
	}
	/* a burst of events must not be lost (each is a grant or V_i) */
	nl_socket_set_buffer_size(m->ev.sk, 4 << 20, 0);
	return m;
}

void mod_set_handler(struct mod *m, mod_event_fn fn, void *arg)
{
	m->fn = fn;
	m->arg = arg;
}

static bool mod_ok(struct mod *m)
{
	return m->sim || (m->nl.sk && m->ev.sk);
}

void mod_close(struct mod *m)
{
	struct sim_grant *g;
	struct sim_disk *d;
	struct sim_map *mp;
	struct sim_route *r;
	struct sim_event *e;
	int i;

	if (!m)
		return;
	ipmem_nl_close(&m->nl);
	ipmem_nl_close(&m->ev);
	while ((g = m->grants)) {
		m->grants = g->next;
		free(g);
	}
	while ((d = m->disks)) {
		m->disks = d->next;
		for (i = 0; i < 3; i++)
			free(d->used[i]);
		free(d);
	}
	while ((mp = m->maps)) {
		m->maps = mp->next;
		free(mp);
	}
	while ((r = m->routes)) {
		m->routes = r->next;
		free(r);
	}
	while ((e = m->evq)) {
		m->evq = e->next;
		free(e);
	}
	free(m->used);
	free(m);
}

int mod_event_fd(struct mod *m)
{
	return m->sim || !m->ev.sk ? -1 : nl_socket_get_fd(m->ev.sk);
}

/* events carry sequence number 0: accept every one */
static int ev_seq(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static int ev_valid(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[IPMEM_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, IPMEM_A_MAX, NULL))
		return NL_SKIP;
	ev_cb(tb, nlmsg_hdr(msg), arg);
	return NL_OK;
}

void mod_event_read(struct mod *m)
{
	struct mod_event ev;
	struct nl_cb *cb;
	int ret;

	if (m->sim || !m->ev.sk)
		return;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, ev_valid, m);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, ev_seq, NULL);
	ret = nl_recvmsgs(m->ev.sk, cb);
	nl_cb_put(cb);
	if (ret < 0 && ret != -NLE_AGAIN) {
		/* ENOBUFS: the socket overran and events are lost */
		snprintf(m->err, sizeof(m->err), "%s", nl_geterror(ret));
		memset(&ev, 0, sizeof(ev));
		ev.type = MOD_EV_RESYNC;
		m->fn(m->arg, &ev);
	}
}

/* ========================================================= simulated */

static void sim_event(struct mod *m, const struct mod_event *ev)
{
	struct sim_event *e = calloc(1, sizeof(*e));

	if (!e)
		return;
	e->ev = *ev;
	*m->evtail = e;
	m->evtail = &e->next;
}

static void sim_pool_event(struct mod *m)
{
	struct mod_event ev = { .type = MOD_EV_POOL, .has_pool = m->has_pool,
				.pool = m->pool };

	sim_event(m, &ev);
}

static void sim_grant_free(struct mod *m, struct sim_grant **pp, bool notify)
{
	struct sim_grant *g = *pp;
	struct mod_event ev = { .type = MOD_EV_GRANT_DEL };

	memset(m->used + g->first, 0, g->g.count);
	m->pool.free += g->g.count;
	*pp = g->next;
	if (notify) {
		ev.grant = g->g;
		sim_event(m, &ev);
	}
	free(g);
}

void mod_tick(struct mod *m, uint64_t now)
{
	struct sim_grant **pp;
	struct sim_event *e;
	bool changed = false;

	if (!m->sim)
		return;
	m->now = now;
	for (pp = &m->grants; *pp;) {
		if ((*pp)->g.state == IPMEM_GRANT_RESERVED &&
		    now >= (*pp)->expires) {
			sim_grant_free(m, pp, true);
			changed = true;
		} else {
			pp = &(*pp)->next;
		}
	}
	if (changed)
		sim_pool_event(m);
	while ((e = m->evq)) {
		m->evq = e->next;
		if (!m->evq)
			m->evtail = &m->evq;
		m->fn(m->arg, &e->ev);
		free(e);
	}
}

static struct sim_grant **sim_grant_find(struct mod *m, const uint8_t *prefix,
					 uint8_t plen)
{
	struct sim_grant **pp;

	for (pp = &m->grants; *pp; pp = &(*pp)->next)
		if ((*pp)->g.plen == plen && !memcmp((*pp)->g.prefix, prefix, 16))
			return pp;
	return NULL;
}

static int sim_reserve(struct mod *m, uint64_t count, uint32_t borrower,
		       uint8_t rights, uint32_t tmo, struct mod_grant **out,
		       size_t *n)
{
	struct vec v = { .size = sizeof(struct mod_grant) };
	uint64_t pos, run, k;
	struct sim_grant *g;

	if (!m->has_pool)
		return seterr(m, -ENOENT, "this host lends no pool");
	if (count > m->pool.free)
		return seterr(m, -ENOSPC, "not enough free blocks in the pool");
	/* first fit, each run cut into aligned power-of-two prefixes */
	for (pos = 0; count && pos < m->pool.total;) {
		if (m->used[pos]) {
			pos++;
			continue;
		}
		for (run = 0; pos + run < m->pool.total && !m->used[pos + run] &&
		     run < count; run++)
			;
		while (run) {
			k = ipmem_aggr_step(pos, run);
			g = calloc(1, sizeof(*g));
			if (!g || !vec_add(&v)) {
				free(g);
				free(v.v);
				return seterr(m, -ENOMEM, "out of memory");
			}
			g->first = pos;
			g->g.count = 1ULL << k;
			g->g.plen = 128 - k;
			ipmem_addr_make(g->g.prefix, m->net, m->host, pos);
			g->g.borrower = borrower;
			g->g.rights = rights;
			g->g.state = IPMEM_GRANT_RESERVED;
			g->expires = m->now + tmo;
			memset(m->used + pos, 1, g->g.count);
			m->pool.free -= g->g.count;
			g->next = m->grants;
			m->grants = g;
			((struct mod_grant *)v.v)[v.n - 1] = g->g;
			pos += g->g.count;
			run -= g->g.count;
			count -= g->g.count;
		}
	}
	*out = v.v;
	*n = v.n;
	sim_pool_event(m);
	return 0;
}

static int sim_disk_new(struct mod *m, uint64_t size, uint32_t bs,
			uint8_t replicas, struct mod_disk *out)
{
	struct sim_disk *d;
	uint32_t id = 0;
	int i;

	/* the lowest free number, as the module does */
	for (d = m->disks; d;) {
		if (d->d.id == id) {
			id++;
			d = m->disks;
		} else {
			d = d->next;
		}
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return seterr(m, -ENOMEM, "out of memory");
	d->d.id = id;
	snprintf(d->d.name, sizeof(d->d.name), "ipmem%u", id);
	d->d.size = size;
	d->d.block_size = bs;
	d->d.replicas = replicas;
	d->d.extents = size / bs;
	for (i = 0; i < replicas; i++) {
		d->used[i] = calloc(d->d.extents ? d->d.extents : 1, 1);
		if (!d->used[i]) {
			while (i--)
				free(d->used[i]);
			free(d);
			return seterr(m, -ENOMEM, "out of memory");
		}
	}
	d->next = m->disks;
	m->disks = d;
	*out = d->d;
	return 0;
}

static struct sim_disk *sim_disk_find(struct mod *m, uint32_t id)
{
	struct sim_disk *d;

	for (d = m->disks; d; d = d->next)
		if (d->d.id == id)
			return d;
	return NULL;
}

static int sim_map_new(struct mod *m, uint32_t disk, const uint8_t *prefix,
		       uint8_t plen, uint8_t replica)
{
	struct sim_disk *d = sim_disk_find(m, disk);
	uint64_t count = 1ULL << (128 - plen), e, i;
	struct sim_route *r, *best = NULL;
	struct sim_map *mp;

	if (!d)
		return seterr(m, -ENOENT, "no such disk");
	if (replica >= d->d.replicas)
		return seterr(m, -EINVAL, "the disk has fewer copies");
	for (r = m->routes; r; r = r->next)
		if (ipmem_addr_prefix_eq(prefix, r->r.prefix, r->r.plen) &&
		    (!best || r->r.plen > best->r.plen))
			best = r;
	if (!best)
		return seterr(m, -EHOSTUNREACH, "no route to the blocks");
	for (e = 0; e + count <= d->d.extents; e++) {
		for (i = 0; i < count && !d->used[replica][e + i]; i++)
			;
		if (i == count)
			break;
	}
	if (e + count > d->d.extents)
		return seterr(m, -ENOSPC, "no run of free extents that long on the disk");
	mp = calloc(1, sizeof(*mp));
	if (!mp)
		return seterr(m, -ENOMEM, "out of memory");
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
	mp->next = m->maps;
	m->maps = mp;
	return 0;
}

static void sim_map_drop(struct mod *m, struct sim_map **pp)
{
	struct sim_map *mp = *pp;
	struct sim_disk *d = sim_disk_find(m, mp->m.disk);

	if (d) {
		memset(d->used[mp->m.replica] + mp->m.extent, 0, mp->m.count);
		d->d.mapped -= mp->m.count;
	}
	*pp = mp->next;
	free(mp);
}

/* ============================================================ requests */

int mod_set_host(struct mod *m, const uint8_t net[16], uint32_t host)
{
	struct nl_msg *msg;

	if (m->sim) {
		memcpy(m->net, net, 16);
		m->host = host;
		m->host_set = true;
		return 0;
	}
	if (!mod_ok(m))
		return -ENOENT;
	msg = msg_new(m, IPMEM_CMD_SET_HOST_ID, false);
	if (!msg)
		return -ENOMEM;
	nla_put(msg, IPMEM_A_NET_PREFIX, 16, net);
	nla_put_u32(msg, IPMEM_A_HOST_ID, host);
	return send_msg(m, msg, NULL, NULL);
}

int mod_key_set(struct mod *m, const uint8_t key[32])
{
	struct nl_msg *msg;

	if (m->sim)
		return 0;
	if (!mod_ok(m))
		return -ENOENT;
	msg = msg_new(m, IPMEM_CMD_HOST_KEY_SET, false);
	if (!msg)
		return -ENOMEM;
	nla_put(msg, IPMEM_A_PRIVATE_KEY, 32, key);
	return send_msg(m, msg, NULL, NULL);
}

int mod_peer_key_add(struct mod *m, uint32_t host, const uint8_t pub[32])
{
	struct nl_msg *msg;
	int ret;

	if (m->sim)
		return 0;
	if (!mod_ok(m))
		return -ENOENT;
	msg = msg_new(m, IPMEM_CMD_PEER_KEY_NEW, false);
	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, IPMEM_A_HOST_ID, host);
	nla_put(msg, IPMEM_A_PUBLIC_KEY, 32, pub);
	ret = send_msg(m, msg, NULL, NULL);
	return ret == -EEXIST ? 0 : ret;
}

struct macs_out {
	uint8_t (*macs)[IPMEM_ROUTE_MAC_LEN];
	int n;
};

static int macs_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct macs_out *o = arg;
	int len;

	if (!tb[IPMEM_A_ROUTE_MAC])
		return 0;
	len = nla_len(tb[IPMEM_A_ROUTE_MAC]);
	o->n = len / IPMEM_ROUTE_MAC_LEN;
	if (o->n > IPMEM_BGP_MACS)
		o->n = IPMEM_BGP_MACS;
	memcpy(o->macs, nla_data(tb[IPMEM_A_ROUTE_MAC]),
	       o->n * IPMEM_ROUTE_MAC_LEN);
	return 0;
}

int mod_route_macs(struct mod *m, uint32_t peer, const uint8_t *data,
		   size_t len, uint8_t macs[][IPMEM_ROUTE_MAC_LEN])
{
	struct macs_out o = { macs, 0 };
	struct nl_msg *msg;
	int ret;

	if (m->sim)
		return -EOPNOTSUPP;
	if (!mod_ok(m))
		return -ENOENT;
	msg = msg_new(m, IPMEM_CMD_ROUTE_MAC, false);
	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, IPMEM_A_HOST_ID, peer);
	nla_put(msg, IPMEM_A_ROUTE, len, data);
	ret = send_msg(m, msg, macs_cb, &o);
	return ret ? ret : o.n;
}

struct host_out {
	uint8_t *net;
	uint32_t *host;
};

static int host_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct host_out *o = arg;

	if (tb[IPMEM_A_NET_PREFIX])
		memcpy(o->net, nla_data(tb[IPMEM_A_NET_PREFIX]), 16);
	if (tb[IPMEM_A_HOST_ID])
		*o->host = nla_get_u32(tb[IPMEM_A_HOST_ID]);
	return 0;
}

int mod_get_host(struct mod *m, uint8_t net[16], uint32_t *host)
{
	struct host_out o = { net, host };

	if (m->sim) {
		if (!m->host_set)
			return seterr(m, -ENOENT, "the host id is not set");
		memcpy(net, m->net, 16);
		*host = m->host;
		return 0;
	}
	if (!mod_ok(m))
		return -ENOENT;
	return send_msg(m, msg_new(m, IPMEM_CMD_GET_HOST_ID, false), host_cb,
			&o);
}

int mod_pool_new(struct mod *m, uint64_t size, uint32_t block_size,
		 const uint8_t addr[16], uint16_t port)
{
	struct nl_msg *msg;

	if (m->sim) {
		if (m->has_pool)
			return seterr(m, -EEXIST, "this host already lends a pool");
		memset(&m->pool, 0, sizeof(m->pool));
		m->pool.size = size;
		m->pool.block_size = block_size;
		memcpy(m->pool.addr, addr, 16);
		m->pool.port = port;
		m->pool.total = m->pool.free = size / block_size;
		m->used = calloc(m->pool.total, 1);
		if (!m->used)
			return seterr(m, -ENOMEM, "out of memory");
		m->has_pool = true;
		sim_pool_event(m);
		return 0;
	}
	if (!mod_ok(m))
		return -ENOENT;
	msg = msg_new(m, IPMEM_CMD_POOL_NEW, false);
	if (!msg)
		return -ENOMEM;
	nla_put_u64(msg, IPMEM_A_SIZE, size);
	nla_put(msg, IPMEM_A_ADDR, 16, addr);
	nla_put_u32(msg, IPMEM_A_BLOCK_SIZE, block_size);
	nla_put_u16(msg, IPMEM_A_PORT, port);
	return send_msg(m, msg, NULL, NULL);
}

static int pool_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	fill_pool(tb, arg);
	return 0;
}

int mod_pool_get(struct mod *m, struct mod_pool *p)
{
	if (m->sim) {
		if (!m->has_pool)
			return seterr(m, -ENOENT, "this host lends no pool");
		*p = m->pool;
		return 0;
	}
	if (!mod_ok(m))
		return -ENOENT;
	return send_msg(m, msg_new(m, IPMEM_CMD_POOL_GET, false), pool_cb, p);
}

static int reserve_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tbg[IPMEM_A_MAX + 1], *n;
	struct mod_grant *g;
	int rem;

	ipmem_nl_for_each(n, nlh, IPMEM_A_GRANT, rem) {
		if (ipmem_nl_parse(n, tbg))
			continue;
		g = vec_add(arg);
		if (!g)
			return -ENOMEM;
		if (!fill_grant(tbg, g))
			((struct vec *)arg)->n--;
	}
	return 0;
}

int mod_grant_reserve(struct mod *m, uint64_t count, uint32_t borrower,
		      uint8_t rights, uint32_t timeout_ms,
		      struct mod_grant **out, size_t *n)
{
	struct vec v = { .size = sizeof(struct mod_grant) };
	struct nl_msg *msg;
	int ret;

	if (m->sim)
		return sim_reserve(m, count, borrower, rights, timeout_ms, out,
				   n);
	if (!mod_ok(m))
		return -ENOENT;
	msg = msg_new(m, IPMEM_CMD_GRANT_RESERVE, false);
	if (!msg)
		return -ENOMEM;
	nla_put_u64(msg, IPMEM_A_BLOCK_COUNT, count);
	nla_put_u32(msg, IPMEM_A_BORROWER, borrower);
	nla_put_u8(msg, IPMEM_A_RIGHTS, rights);
	nla_put_u32(msg, IPMEM_A_TIMEOUT_MS, timeout_ms);
	ret = send_msg(m, msg, reserve_cb, &v);
	if (ret) {
		free(v.v);
		return ret;
	}
	*out = v.v;
	*n = v.n;
	return 0;
}

static struct nl_msg *prefix_msg(struct mod *m, uint8_t cmd,
				 const uint8_t prefix[16], uint8_t plen)
{
	struct nl_msg *msg = msg_new(m, cmd, false);

	if (msg) {
		nla_put(msg, IPMEM_A_PREFIX, 16, prefix);
		nla_put_u8(msg, IPMEM_A_PREFIX_LEN, plen);
	}
	return msg;
}

/*
 * GRANT_DEL and MAP_DEL with FORCE: ipmemd deletes by the protocol (a
 * release, a lapsed hold, a lender that stopped serving), when the data
 * is meant to go or is gone already; the guard is for people.
 */
static struct nl_msg *prefix_del_msg(struct mod *m, uint8_t cmd,
				     const uint8_t prefix[16], uint8_t plen)
{
	struct nl_msg *msg = prefix_msg(m, cmd, prefix, plen);

	if (msg)
		nla_put_flag(msg, IPMEM_A_FORCE);
	return msg;
}

int mod_grant_confirm(struct mod *m, const uint8_t prefix[16], uint8_t plen)
{
	struct sim_grant **pp;

	if (m->sim) {
		pp = sim_grant_find(m, prefix, plen);
		if (!pp)
			return seterr(m, -ENOENT, "no grant with that prefix");
		if ((*pp)->g.state != IPMEM_GRANT_RESERVED)
			return seterr(m, -EALREADY, "grant is already confirmed");
		(*pp)->g.state = IPMEM_GRANT_CONFIRMED;
		return 0;
	}
	if (!mod_ok(m))
		return -ENOENT;
	return send_msg(m, prefix_msg(m, IPMEM_CMD_GRANT_CONFIRM, prefix, plen),
			NULL, NULL);
}

int mod_grant_del(struct mod *m, const uint8_t prefix[16], uint8_t plen)
{
	struct sim_grant **pp;

	if (m->sim) {
		pp = sim_grant_find(m, prefix, plen);
		if (!pp)
			return seterr(m, -ENOENT, "no grant with that prefix");
		sim_grant_free(m, pp, true);
		sim_pool_event(m);
		return 0;
	}
	if (!mod_ok(m))
		return -ENOENT;
	return send_msg(m, prefix_del_msg(m, IPMEM_CMD_GRANT_DEL, prefix, plen),
			NULL, NULL);
}

static int grant_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod_grant *g = vec_add(arg);

	if (!g)
		return -ENOMEM;
	if (!fill_grant(tb, g))
		((struct vec *)arg)->n--;
	return 0;
}

int mod_grant_list(struct mod *m, struct mod_grant **out, size_t *n)
{
	struct vec v = { .size = sizeof(struct mod_grant) };
	struct sim_grant *g;
	int ret = 0;

	if (m->sim) {
		for (g = m->grants; g; g = g->next) {
			if (!vec_add(&v)) {
				ret = -ENOMEM;
				break;
			}
			((struct mod_grant *)v.v)[v.n - 1] = g->g;
		}
	} else if (!mod_ok(m)) {
		ret = -ENOENT;
	} else {
		ret = send_msg(m, msg_new(m, IPMEM_CMD_GRANT_GET, true),
			       grant_cb, &v);
	}
	if (ret) {
		free(v.v);
		return ret;
	}
	*out = v.v;
	*n = v.n;
	return 0;
}

int mod_route_new(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		  const uint8_t nexthop[16], uint16_t port)
{
	struct sim_route *r;
	struct nl_msg *msg;

	if (m->sim) {
		for (r = m->routes; r; r = r->next)
			if (r->r.plen == plen && !memcmp(r->r.prefix, prefix, 16))
				return seterr(m, -EEXIST, "that prefix is already routed");
		r = calloc(1, sizeof(*r));
		if (!r)
			return seterr(m, -ENOMEM, "out of memory");
		memcpy(r->r.prefix, prefix, 16);
		r->r.plen = plen;
		memcpy(r->r.nexthop, nexthop, 16);
		r->r.port = port;
		r->next = m->routes;
		m->routes = r;
		return 0;
	}
	if (!mod_ok(m))
		return -ENOENT;
	msg = prefix_msg(m, IPMEM_CMD_ROUTE_NEW, prefix, plen);
	if (!msg)
		return -ENOMEM;
	nla_put(msg, IPMEM_A_NEXTHOP, 16, nexthop);
	nla_put_u16(msg, IPMEM_A_PORT, port);
	return send_msg(m, msg, NULL, NULL);
}

int mod_route_del(struct mod *m, const uint8_t prefix[16], uint8_t plen)
{
	struct sim_route **pp, *r;

	if (m->sim) {
		for (pp = &m->routes; *pp; pp = &(*pp)->next) {
			r = *pp;
			if (r->r.plen == plen && !memcmp(r->r.prefix, prefix, 16)) {
				*pp = r->next;
				free(r);
				return 0;
			}
		}
		return seterr(m, -ENOENT, "no such route");
	}
	if (!mod_ok(m))
		return -ENOENT;
	return send_msg(m, prefix_msg(m, IPMEM_CMD_ROUTE_DEL, prefix, plen),
			NULL, NULL);
}

static int route_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod_route *r;

	if (!tb[IPMEM_A_PREFIX] || !tb[IPMEM_A_PREFIX_LEN] ||
	    !tb[IPMEM_A_NEXTHOP])
		return 0;
	r = vec_add(arg);
	if (!r)
		return -ENOMEM;
	memcpy(r->prefix, nla_data(tb[IPMEM_A_PREFIX]), 16);
	r->plen = nla_get_u8(tb[IPMEM_A_PREFIX_LEN]);
	memcpy(r->nexthop, nla_data(tb[IPMEM_A_NEXTHOP]), 16);
	if (tb[IPMEM_A_PORT])
		r->port = nla_get_u16(tb[IPMEM_A_PORT]);
	return 0;
}

int mod_route_list(struct mod *m, struct mod_route **out, size_t *n)
{
	struct vec v = { .size = sizeof(struct mod_route) };
	struct sim_route *r;
	int ret = 0;

	if (m->sim) {
		for (r = m->routes; r; r = r->next) {
			if (!vec_add(&v)) {
				ret = -ENOMEM;
				break;
			}
			((struct mod_route *)v.v)[v.n - 1] = r->r;
		}
	} else if (!mod_ok(m)) {
		ret = -ENOENT;
	} else {
		ret = send_msg(m, msg_new(m, IPMEM_CMD_ROUTE_GET, true),
			       route_cb, &v);
	}
	if (ret) {
		free(v.v);
		return ret;
	}
	*out = v.v;
	*n = v.n;
	return 0;
}

static int disk_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod_disk *d;

	if (!tb[IPMEM_A_DISK])
		return 0;
	d = vec_add(arg);
	if (!d)
		return -ENOMEM;
	d->id = nla_get_u32(tb[IPMEM_A_DISK]);
	if (tb[IPMEM_A_NAME])
		snprintf(d->name, sizeof(d->name), "%s",
			 nla_get_string(tb[IPMEM_A_NAME]));
	else
		snprintf(d->name, sizeof(d->name), "ipmem%u", d->id);
	d->size = get64(tb, IPMEM_A_SIZE);
	if (tb[IPMEM_A_BLOCK_SIZE])
		d->block_size = nla_get_u32(tb[IPMEM_A_BLOCK_SIZE]);
	if (tb[IPMEM_A_REPLICAS])
		d->replicas = nla_get_u8(tb[IPMEM_A_REPLICAS]);
	d->extents = get64(tb, IPMEM_A_EXTENT_COUNT);
	d->mapped = get64(tb, IPMEM_A_COPIES_MAPPED);
	if (tb[IPMEM_A_STATS]) {
		struct nlattr *st[IPMEM_STAT_MAX + 1];
		int i;

		if (!nla_parse_nested(st, IPMEM_STAT_MAX, tb[IPMEM_A_STATS],
				      NULL)) {
			d->has_stats = true;
			for (i = 1; i <= IPMEM_STAT_MAX; i++)
				if (st[i] && nla_len(st[i]) == 8)
					d->stats[i] = nla_get_u64(st[i]);
		}
	}
	if (tb[IPMEM_A_LATENCY]) {
		struct nlattr *a;
		int rem, t;

		d->has_lat = true;
		nla_for_each_nested(a, tb[IPMEM_A_LATENCY], rem) {
			t = nla_type(a);
			if (nla_len(a) != 8)
				continue;
			if (t >= 1 && t <= IPMEM_LAT_BUCKETS)
				d->lat[t - 1] = nla_get_u64(a);
			else if (t == IPMEM_LAT_SUM_ATTR)
				d->lat_sum_us = nla_get_u64(a);
		}
	}
	return 0;
}

int mod_disk_new(struct mod *m, uint64_t size, uint32_t block_size,
		 uint8_t replicas, struct mod_disk *out)
{
	struct vec v = { .size = sizeof(struct mod_disk) };
	struct nl_msg *msg;
	int ret;

	if (m->sim)
		return sim_disk_new(m, size, block_size, replicas, out);
	if (!mod_ok(m))
		return -ENOENT;
	msg = msg_new(m, IPMEM_CMD_DISK_NEW, false);
	if (!msg)
		return -ENOMEM;
	nla_put_u64(msg, IPMEM_A_SIZE, size);
	nla_put_u32(msg, IPMEM_A_BLOCK_SIZE, block_size);
	nla_put_u8(msg, IPMEM_A_REPLICAS, replicas);
	ret = send_msg(m, msg, disk_cb, &v);
	if (!ret && v.n != 1)
		ret = seterr(m, -EPROTO, "no disk in the reply");
	if (!ret) {
		*out = *(struct mod_disk *)v.v;
		out->size = size;
		out->block_size = block_size;
		out->replicas = replicas;
		out->extents = size / block_size;
	}
	free(v.v);
	return ret;
}

int mod_disk_del(struct mod *m, uint32_t id)
{
	struct sim_disk **pp, *d;
	struct sim_map **mp;
	struct nl_msg *msg;
	int i;

	if (m->sim) {
		for (pp = &m->disks; *pp; pp = &(*pp)->next) {
			d = *pp;
			if (d->d.id != id)
				continue;
			for (mp = &m->maps; *mp;) {
				if ((*mp)->m.disk == id)
					sim_map_drop(m, mp);
				else
					mp = &(*mp)->next;
			}
			*pp = d->next;
			for (i = 0; i < 3; i++)
				free(d->used[i]);
			free(d);
			return 0;
		}
		return seterr(m, -ENOENT, "no such disk");
	}
	if (!mod_ok(m))
		return -ENOENT;
	msg = msg_new(m, IPMEM_CMD_DISK_DEL, false);
	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, IPMEM_A_DISK, id);
	return send_msg(m, msg, NULL, NULL);
}

int mod_disk_list(struct mod *m, struct mod_disk **out, size_t *n)
{
	struct vec v = { .size = sizeof(struct mod_disk) };
	struct sim_disk *d;
	int ret = 0;

	if (m->sim) {
		for (d = m->disks; d; d = d->next) {
			if (!vec_add(&v)) {
				ret = -ENOMEM;
				break;
			}
			((struct mod_disk *)v.v)[v.n - 1] = d->d;
		}
	} else if (!mod_ok(m)) {
		ret = -ENOENT;
	} else {
		ret = send_msg(m, msg_new(m, IPMEM_CMD_DISK_GET, true), disk_cb,
			       &v);
	}
	if (ret) {
		free(v.v);
		return ret;
	}
	*out = v.v;
	*n = v.n;
	return 0;
}

static int lender_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod_lender *l;

	if (!tb[IPMEM_A_LENDER] || !tb[IPMEM_A_CONN_STATE])
		return 0;
	l = vec_add(arg);
	if (!l)
		return -ENOMEM;
	l->host = nla_get_u32(tb[IPMEM_A_LENDER]);
	if (tb[IPMEM_A_NEXTHOP] && nla_len(tb[IPMEM_A_NEXTHOP]) == 16)
		memcpy(l->nexthop, nla_data(tb[IPMEM_A_NEXTHOP]), 16);
	l->state = nla_get_u8(tb[IPMEM_A_CONN_STATE]);
	l->mapped = get64(tb, IPMEM_A_BLOCK_COUNT);
	l->losses = get64(tb, IPMEM_A_LOSSES);
	l->returns = get64(tb, IPMEM_A_RETURNS);
	return 0;
}

int mod_lender_list(struct mod *m, struct mod_lender **out, size_t *n)
{
	struct vec v = { .size = sizeof(struct mod_lender) };
	int ret = 0;

	if (!m->sim) {
		if (!mod_ok(m))
			return -ENOENT;
		ret = send_msg(m, msg_new(m, IPMEM_CMD_LENDER_GET, true),
			       lender_cb, &v);
	}
	if (ret) {
		free(v.v);
		return ret;
	}
	*out = v.v;
	*n = v.n;
	return 0;
}

int mod_map_new(struct mod *m, uint32_t disk, const uint8_t prefix[16],
		uint8_t plen, uint8_t replica)
{
	struct nl_msg *msg;

	if (m->sim)
		return sim_map_new(m, disk, prefix, plen, replica);
	if (!mod_ok(m))
		return -ENOENT;
	msg = prefix_msg(m, IPMEM_CMD_MAP_NEW, prefix, plen);
	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, IPMEM_A_DISK, disk);
	nla_put_u8(msg, IPMEM_A_REPLICA, replica);
	return send_msg(m, msg, NULL, NULL);
}

int mod_map_del(struct mod *m, const uint8_t prefix[16], uint8_t plen)
{
	uint64_t first = ipmem_addr_block(prefix), count = 1ULL << (128 - plen);
	uint32_t host = ipmem_addr_host(prefix);
	struct sim_map **pp;
	bool found = false;

	if (m->sim) {
		for (pp = &m->maps; *pp;) {
			uint64_t b = ipmem_addr_block((*pp)->m.prefix);

			if (ipmem_addr_host((*pp)->m.prefix) == host &&
			    b >= first && b < first + count) {
				sim_map_drop(m, pp);
				found = true;
			} else {
				pp = &(*pp)->next;
			}
		}
		return found ? 0 : seterr(m, -ENOENT,
					  "none of those blocks is mapped");
	}
	if (!mod_ok(m))
		return -ENOENT;
	return send_msg(m, prefix_del_msg(m, IPMEM_CMD_MAP_DEL, prefix, plen),
			NULL, NULL);
}

static int map_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod_map *mp;

	if (!tb[IPMEM_A_DISK] || !tb[IPMEM_A_PREFIX])
		return 0;
	mp = vec_add(arg);
	if (!mp)
		return -ENOMEM;
	mp->disk = nla_get_u32(tb[IPMEM_A_DISK]);
	if (tb[IPMEM_A_REPLICA])
		mp->replica = nla_get_u8(tb[IPMEM_A_REPLICA]);
	mp->extent = get64(tb, IPMEM_A_EXTENT);
	mp->count = get64(tb, IPMEM_A_EXTENT_COUNT);
	memcpy(mp->prefix, nla_data(tb[IPMEM_A_PREFIX]), 16);
	if (tb[IPMEM_A_NEXTHOP])
		memcpy(mp->nexthop, nla_data(tb[IPMEM_A_NEXTHOP]), 16);
	if (tb[IPMEM_A_RIGHTS])
		mp->rights = nla_get_u8(tb[IPMEM_A_RIGHTS]);
	if (tb[IPMEM_A_STATE])
		mp->state = nla_get_u8(tb[IPMEM_A_STATE]);
	return 0;
}

int mod_map_list(struct mod *m, struct mod_map **out, size_t *n)
{
	struct vec v = { .size = sizeof(struct mod_map) };
	struct sim_map *mp;
	int ret = 0;

	if (m->sim) {
		for (mp = m->maps; mp; mp = mp->next) {
			if (!vec_add(&v)) {
				ret = -ENOMEM;
				break;
			}
			((struct mod_map *)v.v)[v.n - 1] = mp->m;
		}
	} else if (!mod_ok(m)) {
		ret = -ENOENT;
	} else {
		ret = send_msg(m, msg_new(m, IPMEM_CMD_MAP_GET, true), map_cb,
			       &v);
	}
	if (ret) {
		free(v.v);
		return ret;
	}
	*out = v.v;
	*n = v.n;
	return 0;
}
