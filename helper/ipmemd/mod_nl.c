// SPDX-License-Identifier: GPL-2.0
/*
 * mod_nl.c - ipmem.ko over generic netlink (helper/nl.c): a socket for
 * requests and one subscribed to the "events" group (mod.h, mod_impl.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ipmem/bgp.h>
#include <ipmem/netlink.h>

#include "nl.h"
#include "kroute.h"
#include "mod_impl.h"

struct mod_nl {
	struct mod m;
	struct ipmem_nl nl;		/* requests */
	struct ipmem_nl ev;		/* events */
};

static struct mod_nl *to_nl(struct mod *m)
{
	return (struct mod_nl *)m;
}

static int nl_err(struct mod *m, int ret)
{
	struct mod_nl *n = to_nl(m);

	if (ret < 0 && !n->nl.err[0])
		snprintf(n->nl.err, sizeof(n->nl.err), "%s", strerror(-ret));
	snprintf(m->err, sizeof(m->err), "%s", n->nl.err);
	return ret;
}

static struct nl_msg *msg_new(struct mod *m, uint8_t cmd, bool dump)
{
	struct nl_msg *msg = ipmem_nl_msg(&to_nl(m)->nl, cmd, dump);

	if (!msg)
		mod_seterr(m, -ENOMEM, "out of memory");
	return msg;
}

static int send_msg(struct mod *m, struct nl_msg *msg, ipmem_nl_cb cb,
		    void *arg)
{
	if (!msg)
		return -ENOMEM;
	m->err[0] = 0;
	return nl_err(m, ipmem_nl_send(&to_nl(m)->nl, msg, cb, arg));
}

/* a dump of @cmd, each reply through @cb into @v, given to *@out */
static int dump(struct mod *m, uint8_t cmd, ipmem_nl_cb cb,
		struct mod_vec *v, void **out, size_t *n)
{
	return mod_vec_give(v, send_msg(m, msg_new(m, cmd, true), cb, v), out,
			    n);
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
	if (p->block_size)
		p->shrink_to = get64(tb, IPMEM_A_SHRINK_TO) / p->block_size;
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

/* ============================================================== events */

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
	case IPMEM_CMD_MAP_WANTED:
		if (!tb[IPMEM_A_DISK] || !tb[IPMEM_A_EXTENT])
			return 0;
		ev.type = MOD_EV_MAP_WANTED;
		ev.disk = nla_get_u32(tb[IPMEM_A_DISK]);
		ev.extent = nla_get_u64(tb[IPMEM_A_EXTENT]);
		break;
	default:
		return 0;		/* lender connection changes: not ours */
	}
	m->fn(m->arg, &ev);
	return 0;
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

static int nl_event_fd(struct mod *m)
{
	return nl_socket_get_fd(to_nl(m)->ev.sk);
}

static void nl_event_read(struct mod *m)
{
	struct mod_event ev;
	struct nl_cb *cb;
	int ret;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, ev_valid, m);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, ev_seq, NULL);
	ret = nl_recvmsgs(to_nl(m)->ev.sk, cb);
	nl_cb_put(cb);
	if (ret < 0 && ret != -NLE_AGAIN) {
		/* ENOBUFS: the socket overran and events are lost */
		snprintf(m->err, sizeof(m->err), "%s", nl_geterror(ret));
		memset(&ev, 0, sizeof(ev));
		ev.type = MOD_EV_RESYNC;
		m->fn(m->arg, &ev);
	}
}

/* ================================================================ host */

static int nl_set_host(struct mod *m, const uint8_t net[16], uint32_t host)
{
	struct nl_msg *msg = msg_new(m, IPMEM_CMD_SET_HOST_ID, false);

	if (!msg)
		return -ENOMEM;
	nla_put(msg, IPMEM_A_NET_PREFIX, 16, net);
	nla_put_u32(msg, IPMEM_A_HOST_ID, host);
	return send_msg(m, msg, NULL, NULL);
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

static int nl_get_host(struct mod *m, uint8_t net[16], uint32_t *host)
{
	struct host_out o = { net, host };

	return send_msg(m, msg_new(m, IPMEM_CMD_GET_HOST_ID, false), host_cb,
			&o);
}

static int nl_key_set(struct mod *m, const uint8_t key[32])
{
	struct nl_msg *msg = msg_new(m, IPMEM_CMD_HOST_KEY_SET, false);

	if (!msg)
		return -ENOMEM;
	nla_put(msg, IPMEM_A_PRIVATE_KEY, 32, key);
	return send_msg(m, msg, NULL, NULL);
}

static int nl_peer_key_add(struct mod *m, uint32_t host,
			   const uint8_t pub[32])
{
	struct nl_msg *msg = msg_new(m, IPMEM_CMD_PEER_KEY_NEW, false);
	int ret;

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

static int nl_route_macs(struct mod *m, uint32_t peer, const uint8_t *data,
			 size_t len, uint8_t macs[][IPMEM_ROUTE_MAC_LEN])
{
	struct macs_out o = { macs, 0 };
	struct nl_msg *msg = msg_new(m, IPMEM_CMD_ROUTE_MAC, false);
	int ret;

	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, IPMEM_A_HOST_ID, peer);
	nla_put(msg, IPMEM_A_ROUTE, len, data);
	ret = send_msg(m, msg, macs_cb, &o);
	return ret ? ret : o.n;
}

/* ========================================================= pool, grants */

static int nl_pool_new(struct mod *m, uint64_t size, uint32_t block_size,
		       const uint8_t addr[16], uint16_t port)
{
	struct nl_msg *msg = msg_new(m, IPMEM_CMD_POOL_NEW, false);

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

static int nl_pool_get(struct mod *m, struct mod_pool *p)
{
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
		g = mod_vec_add(arg);
		if (!g)
			return -ENOMEM;
		if (!fill_grant(tbg, g))
			((struct mod_vec *)arg)->n--;
	}
	return 0;
}

static int nl_grant_reserve(struct mod *m, uint64_t count, uint32_t borrower,
			    uint8_t rights, uint32_t timeout_ms,
			    struct mod_grant **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_grant) };
	struct nl_msg *msg = msg_new(m, IPMEM_CMD_GRANT_RESERVE, false);

	if (!msg)
		return -ENOMEM;
	nla_put_u64(msg, IPMEM_A_BLOCK_COUNT, count);
	nla_put_u32(msg, IPMEM_A_BORROWER, borrower);
	nla_put_u8(msg, IPMEM_A_RIGHTS, rights);
	nla_put_u32(msg, IPMEM_A_TIMEOUT_MS, timeout_ms);
	return mod_vec_give(&v, send_msg(m, msg, reserve_cb, &v),
			    (void **)out, n);
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

static int nl_grant_confirm(struct mod *m, const uint8_t prefix[16],
			    uint8_t plen)
{
	return send_msg(m, prefix_msg(m, IPMEM_CMD_GRANT_CONFIRM, prefix, plen),
			NULL, NULL);
}

static int nl_grant_del(struct mod *m, const uint8_t prefix[16], uint8_t plen,
			bool force)
{
	return send_msg(m, force ? prefix_del_msg(m, IPMEM_CMD_GRANT_DEL,
						  prefix, plen) :
			prefix_msg(m, IPMEM_CMD_GRANT_DEL, prefix, plen),
			NULL, NULL);
}

static int grant_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod_grant *g = mod_vec_add(arg);

	if (!g)
		return -ENOMEM;
	if (!fill_grant(tb, g))
		((struct mod_vec *)arg)->n--;
	return 0;
}

static int nl_grant_list(struct mod *m, struct mod_grant **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_grant) };

	return dump(m, IPMEM_CMD_GRANT_GET, grant_cb, &v, (void **)out, n);
}

/* ============================================================== routes */

static int nl_route_new(struct mod *m, const uint8_t prefix[16], uint8_t plen,
			const uint8_t nexthop[16], uint16_t port)
{
	struct nl_msg *msg = prefix_msg(m, IPMEM_CMD_ROUTE_NEW, prefix, plen);

	if (!msg)
		return -ENOMEM;
	nla_put(msg, IPMEM_A_NEXTHOP, 16, nexthop);
	nla_put_u16(msg, IPMEM_A_PORT, port);
	return send_msg(m, msg, NULL, NULL);
}

static int nl_route_del(struct mod *m, const uint8_t prefix[16], uint8_t plen)
{
	return send_msg(m, prefix_msg(m, IPMEM_CMD_ROUTE_DEL, prefix, plen),
			NULL, NULL);
}

/* the host's route beside the module's (kroute.c) */
static int nl_host_route(struct mod *m, bool add, const uint8_t prefix[16],
			 uint8_t plen, const uint8_t *via)
{
	return kroute_set(add, prefix, plen, via, m->err, sizeof(m->err));
}

static int nl_host_addr(struct mod *m, bool add, const uint8_t addr[16],
			const uint8_t on[16])
{
	return kroute_addr(add, addr, on, m->err, sizeof(m->err));
}

static int route_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod_route *r;

	if (!tb[IPMEM_A_PREFIX] || !tb[IPMEM_A_PREFIX_LEN] ||
	    !tb[IPMEM_A_NEXTHOP])
		return 0;
	r = mod_vec_add(arg);
	if (!r)
		return -ENOMEM;
	memcpy(r->prefix, nla_data(tb[IPMEM_A_PREFIX]), 16);
	r->plen = nla_get_u8(tb[IPMEM_A_PREFIX_LEN]);
	memcpy(r->nexthop, nla_data(tb[IPMEM_A_NEXTHOP]), 16);
	if (tb[IPMEM_A_PORT])
		r->port = nla_get_u16(tb[IPMEM_A_PORT]);
	return 0;
}

static int nl_route_list(struct mod *m, struct mod_route **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_route) };

	return dump(m, IPMEM_CMD_ROUTE_GET, route_cb, &v, (void **)out, n);
}

/* ===================================================== disks, lenders */

static void fill_latency(struct nlattr *lat, struct mod_disk *d)
{
	struct nlattr *a;
	int rem, t;

	d->has_lat = true;
	nla_for_each_nested(a, lat, rem) {
		t = nla_type(a);
		if (nla_len(a) != 8)
			continue;
		if (t >= 1 && t <= IPMEM_LAT_BUCKETS)
			d->lat[t - 1] = nla_get_u64(a);
		else if (t == IPMEM_LAT_SUM_ATTR)
			d->lat_sum_us = nla_get_u64(a);
	}
}

static int disk_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *st[IPMEM_STAT_MAX + 1];
	struct mod_disk *d;
	int i;

	if (!tb[IPMEM_A_DISK])
		return 0;
	d = mod_vec_add(arg);
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
	if (tb[IPMEM_A_STATS] &&
	    !nla_parse_nested(st, IPMEM_STAT_MAX, tb[IPMEM_A_STATS], NULL)) {
		d->has_stats = true;
		for (i = 1; i <= IPMEM_STAT_MAX; i++)
			if (st[i] && nla_len(st[i]) == 8)
				d->stats[i] = nla_get_u64(st[i]);
	}
	if (tb[IPMEM_A_LATENCY])
		fill_latency(tb[IPMEM_A_LATENCY], d);
	return 0;
}

static int nl_disk_new(struct mod *m, uint64_t size, uint32_t block_size,
		       uint8_t replicas, struct mod_disk *out)
{
	struct mod_vec v = { .size = sizeof(struct mod_disk) };
	struct nl_msg *msg = msg_new(m, IPMEM_CMD_DISK_NEW, false);
	int ret;

	if (!msg)
		return -ENOMEM;
	nla_put_u64(msg, IPMEM_A_SIZE, size);
	nla_put_u32(msg, IPMEM_A_BLOCK_SIZE, block_size);
	nla_put_u8(msg, IPMEM_A_REPLICAS, replicas);
	ret = send_msg(m, msg, disk_cb, &v);
	if (!ret && v.n != 1)
		ret = mod_seterr(m, -EPROTO, "no disk in the reply");
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

static int nl_disk_del(struct mod *m, uint32_t id)
{
	struct nl_msg *msg = msg_new(m, IPMEM_CMD_DISK_DEL, false);

	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, IPMEM_A_DISK, id);
	return send_msg(m, msg, NULL, NULL);
}

static int nl_disk_list(struct mod *m, struct mod_disk **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_disk) };

	return dump(m, IPMEM_CMD_DISK_GET, disk_cb, &v, (void **)out, n);
}

static int lender_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod_lender *l;

	if (!tb[IPMEM_A_LENDER] || !tb[IPMEM_A_CONN_STATE])
		return 0;
	l = mod_vec_add(arg);
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

static int nl_lender_list(struct mod *m, struct mod_lender **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_lender) };

	return dump(m, IPMEM_CMD_LENDER_GET, lender_cb, &v, (void **)out, n);
}

/* ================================================================ maps */

static int nl_map_new(struct mod *m, uint32_t disk, const uint8_t prefix[16],
		      uint8_t plen, uint8_t replica, int64_t extent)
{
	struct nl_msg *msg = prefix_msg(m, IPMEM_CMD_MAP_NEW, prefix, plen);

	if (!msg)
		return -ENOMEM;
	nla_put_u32(msg, IPMEM_A_DISK, disk);
	nla_put_u8(msg, IPMEM_A_REPLICA, replica);
	if (extent >= 0)
		nla_put_u64(msg, IPMEM_A_EXTENT, extent);
	return send_msg(m, msg, NULL, NULL);
}

static int nl_map_del(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		      bool force, bool free_only)
{
	struct nl_msg *msg;

	msg = force ? prefix_del_msg(m, IPMEM_CMD_MAP_DEL, prefix, plen) :
	      prefix_msg(m, IPMEM_CMD_MAP_DEL, prefix, plen);
	if (msg && free_only)
		nla_put_flag(msg, IPMEM_A_FREE_ONLY);
	return send_msg(m, msg, NULL, NULL);
}

static int map_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct mod_map *mp;

	if (!tb[IPMEM_A_DISK] || !tb[IPMEM_A_PREFIX])
		return 0;
	mp = mod_vec_add(arg);
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

static int nl_map_list(struct mod *m, int64_t free_disk,
		       struct mod_map **out, size_t *n)
{
	struct mod_vec v = { .size = sizeof(struct mod_map) };
	struct nl_msg *msg;

	if (free_disk < 0)
		return dump(m, IPMEM_CMD_MAP_GET, map_cb, &v, (void **)out, n);
	msg = msg_new(m, IPMEM_CMD_MAP_GET, true);
	if (msg) {
		nla_put_u32(msg, IPMEM_A_DISK, free_disk);
		nla_put_flag(msg, IPMEM_A_FREE_ONLY);
	}
	return mod_vec_give(&v, send_msg(m, msg, map_cb, &v), (void **)out, n);
}

/* ================================================================ open */

static void nl_free(struct mod *m)
{
	struct mod_nl *n = to_nl(m);

	ipmem_nl_close(&n->nl);
	ipmem_nl_close(&n->ev);
	free(n);
}

static const struct mod_ops nl_ops = {
	.free		= nl_free,
	.event_fd	= nl_event_fd,
	.event_read	= nl_event_read,
	.set_host	= nl_set_host,
	.get_host	= nl_get_host,
	.key_set	= nl_key_set,
	.peer_key_add	= nl_peer_key_add,
	.route_macs	= nl_route_macs,
	.pool_new	= nl_pool_new,
	.pool_get	= nl_pool_get,
	.grant_reserve	= nl_grant_reserve,
	.grant_confirm	= nl_grant_confirm,
	.grant_del	= nl_grant_del,
	.grant_list	= nl_grant_list,
	.route_new	= nl_route_new,
	.route_del	= nl_route_del,
	.route_list	= nl_route_list,
	.host_route	= nl_host_route,
	.host_addr	= nl_host_addr,
	.disk_new	= nl_disk_new,
	.disk_del	= nl_disk_del,
	.disk_list	= nl_disk_list,
	.lender_list	= nl_lender_list,
	.map_new	= nl_map_new,
	.map_del	= nl_map_del,
	.map_list	= nl_map_list,
};

/*
 * Open both sockets.  When the module is not there (or the events group
 * cannot be joined) the mod is still returned, failed: the caller's first
 * request gets -ENOENT and mod_err() says why.
 */
struct mod *mod_nl_open(void)
{
	struct mod_nl *n = calloc(1, sizeof(*n));
	struct mod *m;

	if (!n)
		return NULL;
	m = &n->m;
	m->ops = &nl_ops;
	if (ipmem_nl_open(&n->nl)) {
		m->failed = true;
		mod_seterr(m, -ENOENT, "%s", n->nl.err);
		return m;
	}
	if (ipmem_nl_open(&n->ev) || ipmem_nl_subscribe(&n->ev)) {
		m->failed = true;
		mod_seterr(m, -EIO, "events: %s", n->ev.err);
		return m;
	}
	/* a burst of events must not be lost (each is a grant or V_i) */
	nl_socket_set_buffer_size(n->ev.sk, 4 << 20, 0);
	return m;
}
