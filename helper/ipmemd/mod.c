// SPDX-License-Identifier: GPL-2.0
/*
 * mod.c - mod.h's calls, passed to the module opened: ipmem.ko over
 * generic netlink (mod_nl.c) or the simulated one (mod_sim.c); see
 * mod_impl.h.  What both need (errors, growing arrays) is here too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mod_impl.h"

int mod_seterr(struct mod *m, int err, const char *fmt, ...)
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

void *mod_vec_add(struct mod_vec *v)
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

int mod_vec_give(struct mod_vec *v, int ret, void **out, size_t *n)
{
	if (ret) {
		free(v->v);
		return ret;
	}
	*out = v->v;
	*n = v->n;
	return 0;
}

struct mod *mod_open(bool simulated, mod_event_fn fn, void *arg)
{
	struct mod *m = simulated ? mod_sim_open() : mod_nl_open();

	if (m)
		mod_set_handler(m, fn, arg);
	return m;
}

void mod_set_handler(struct mod *m, mod_event_fn fn, void *arg)
{
	m->fn = fn;
	m->arg = arg;
}

void mod_close(struct mod *m)
{
	if (m)
		m->ops->free(m);
}

int mod_event_fd(struct mod *m)
{
	return m->ops->event_fd && !m->failed ? m->ops->event_fd(m) : -1;
}

void mod_event_read(struct mod *m)
{
	if (m->ops->event_read && !m->failed)
		m->ops->event_read(m);
}

void mod_tick(struct mod *m, uint64_t now_ms)
{
	if (m->ops->tick)
		m->ops->tick(m, now_ms);
}

/*
 * A request to a module that could not be opened fails with -ENOENT and
 * leaves mod_err() saying why it could not.
 */
#define MOD_CALL(m, op, ...) \
	((m)->failed ? -ENOENT : (m)->ops->op((m), __VA_ARGS__))

int mod_set_host(struct mod *m, const uint8_t net[16], uint32_t host)
{
	return MOD_CALL(m, set_host, net, host);
}

int mod_get_host(struct mod *m, uint8_t net[16], uint32_t *host)
{
	return MOD_CALL(m, get_host, net, host);
}

int mod_key_set(struct mod *m, const uint8_t key[32])
{
	if (!m->ops->key_set)
		return 0;
	return MOD_CALL(m, key_set, key);
}

int mod_peer_key_add(struct mod *m, uint32_t host, const uint8_t pub[32])
{
	if (!m->ops->peer_key_add)
		return 0;
	return MOD_CALL(m, peer_key_add, host, pub);
}

int mod_route_macs(struct mod *m, uint32_t peer, const uint8_t *data,
		   size_t len, uint8_t macs[][IPMEM_ROUTE_MAC_LEN])
{
	if (!m->ops->route_macs)
		return -EOPNOTSUPP;
	return MOD_CALL(m, route_macs, peer, data, len, macs);
}

int mod_pool_new(struct mod *m, uint64_t size, uint32_t block_size,
		 const uint8_t addr[16], uint16_t port)
{
	return MOD_CALL(m, pool_new, size, block_size, addr, port);
}

int mod_pool_get(struct mod *m, struct mod_pool *p)
{
	return MOD_CALL(m, pool_get, p);
}

int mod_grant_reserve(struct mod *m, uint64_t count, uint32_t borrower,
		      uint8_t rights, uint32_t timeout_ms,
		      struct mod_grant **out, size_t *n)
{
	return MOD_CALL(m, grant_reserve, count, borrower, rights, timeout_ms,
			out, n);
}

int mod_grant_confirm(struct mod *m, const uint8_t prefix[16], uint8_t plen)
{
	return MOD_CALL(m, grant_confirm, prefix, plen);
}

int mod_grant_del(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		  bool force)
{
	return MOD_CALL(m, grant_del, prefix, plen, force);
}

int mod_grant_list(struct mod *m, struct mod_grant **out, size_t *n)
{
	return MOD_CALL(m, grant_list, out, n);
}

int mod_route_new(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		  const uint8_t nexthop[16], uint16_t port)
{
	return MOD_CALL(m, route_new, prefix, plen, nexthop, port);
}

int mod_route_del(struct mod *m, const uint8_t prefix[16], uint8_t plen)
{
	return MOD_CALL(m, route_del, prefix, plen);
}

int mod_route_list(struct mod *m, struct mod_route **out, size_t *n)
{
	return MOD_CALL(m, route_list, out, n);
}

int mod_host_route(struct mod *m, bool add, const uint8_t prefix[16],
		   uint8_t plen, const uint8_t *via)
{
	if (!m->ops->host_route)
		return -EOPNOTSUPP;
	return MOD_CALL(m, host_route, add, prefix, plen, via);
}

int mod_host_addr(struct mod *m, bool add, const uint8_t addr[16],
		  const uint8_t on[16])
{
	if (!m->ops->host_addr)
		return -EOPNOTSUPP;
	return MOD_CALL(m, host_addr, add, addr, on);
}

int mod_disk_new(struct mod *m, uint64_t size, uint32_t block_size,
		 uint8_t replicas, struct mod_disk *out)
{
	return MOD_CALL(m, disk_new, size, block_size, replicas, out);
}

int mod_disk_del(struct mod *m, uint32_t id)
{
	return MOD_CALL(m, disk_del, id);
}

int mod_disk_list(struct mod *m, struct mod_disk **out, size_t *n)
{
	return MOD_CALL(m, disk_list, out, n);
}

int mod_lender_list(struct mod *m, struct mod_lender **out, size_t *n)
{
	if (!m->ops->lender_list) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	return MOD_CALL(m, lender_list, out, n);
}

int mod_map_new(struct mod *m, uint32_t disk, const uint8_t prefix[16],
		uint8_t plen, uint8_t replica, int64_t extent)
{
	return MOD_CALL(m, map_new, disk, prefix, plen, replica, extent);
}

int mod_map_del(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		bool force)
{
	return MOD_CALL(m, map_del, prefix, plen, force, false);
}

int mod_map_del_free(struct mod *m, const uint8_t prefix[16], uint8_t plen)
{
	return MOD_CALL(m, map_del, prefix, plen, false, true);
}

int mod_map_list(struct mod *m, struct mod_map **out, size_t *n)
{
	return MOD_CALL(m, map_list, -1, out, n);
}

int mod_map_list_free(struct mod *m, uint32_t disk, struct mod_map **out,
		      size_t *n)
{
	return MOD_CALL(m, map_list, disk, out, n);
}
