/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mod_impl.h - the inside of mod.h: a struct mod is ipmem.ko over
 * generic netlink (mod_nl.c) or the simulated module (mod_sim.c), and
 * mod.c passes every mod_*() call to the ops of the one opened.  Callers
 * of mod.h never see which: the borrower, lender and planner logic reads
 * the same against both.
 */
#ifndef IPMEMD_MOD_IMPL_H
#define IPMEMD_MOD_IMPL_H

#include "mod.h"

/*
 * One implementation.  Optional members (NULL) mean: event_fd -1,
 * event_read and tick nothing, key_set and peer_key_add succeed with
 * nothing to do, host_route, host_addr and route_macs -EOPNOTSUPP,
 * lender_list an empty list.
 * Every request returns 0 or a negative errno and then says why with
 * mod_seterr() (or the kernel's extended ack).
 */
struct mod_ops {
	void (*free)(struct mod *m);
	int (*event_fd)(struct mod *m);
	void (*event_read)(struct mod *m);
	void (*tick)(struct mod *m, uint64_t now_ms);
	int (*set_host)(struct mod *m, const uint8_t net[16], uint32_t host);
	int (*get_host)(struct mod *m, uint8_t net[16], uint32_t *host);
	int (*key_set)(struct mod *m, const uint8_t key[32]);
	int (*peer_key_add)(struct mod *m, uint32_t host,
			    const uint8_t pub[32]);
	int (*route_macs)(struct mod *m, uint32_t peer, const uint8_t *data,
			  size_t len, uint8_t macs[][IPMEM_ROUTE_MAC_LEN]);
	int (*pool_new)(struct mod *m, uint64_t size, uint32_t block_size,
			const uint8_t addr[16], uint16_t port);
	int (*pool_get)(struct mod *m, struct mod_pool *p);
	int (*grant_reserve)(struct mod *m, uint64_t count, uint32_t borrower,
			     uint8_t rights, uint32_t timeout_ms,
			     struct mod_grant **out, size_t *n);
	int (*grant_confirm)(struct mod *m, const uint8_t prefix[16],
			     uint8_t plen);
	int (*grant_del)(struct mod *m, const uint8_t prefix[16],
			 uint8_t plen, bool force);
	int (*grant_list)(struct mod *m, struct mod_grant **out, size_t *n);
	int (*route_new)(struct mod *m, const uint8_t prefix[16], uint8_t plen,
			 const uint8_t nexthop[16], uint16_t port);
	int (*route_del)(struct mod *m, const uint8_t prefix[16],
			 uint8_t plen);
	int (*route_list)(struct mod *m, struct mod_route **out, size_t *n);
	int (*host_route)(struct mod *m, bool add, const uint8_t prefix[16],
			  uint8_t plen, const uint8_t *via);
	int (*host_addr)(struct mod *m, bool add, const uint8_t addr[16],
			 const uint8_t on[16]);
	int (*disk_new)(struct mod *m, uint64_t size, uint32_t block_size,
			uint8_t replicas, struct mod_disk *out);
	int (*disk_del)(struct mod *m, uint32_t id);
	int (*disk_list)(struct mod *m, struct mod_disk **out, size_t *n);
	int (*lender_list)(struct mod *m, struct mod_lender **out, size_t *n);
	int (*map_new)(struct mod *m, uint32_t disk, const uint8_t prefix[16],
		       uint8_t plen, uint8_t replica, int64_t extent);
	int (*map_del)(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		       bool force, bool free_only);
	/* @free_disk < 0: the whole table; else FREE_ONLY of that disk */
	int (*map_list)(struct mod *m, int64_t free_disk, struct mod_map **out,
			size_t *n);
};

/* embedded first in each implementation's own struct */
struct mod {
	const struct mod_ops *ops;
	bool failed;			/* opening failed: err says why */
	mod_event_fn fn;		/* events go here */
	void *arg;
	char err[256];			/* mod_err() */
};

int mod_seterr(struct mod *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* a growing array of @size-byte elements, for the list requests */
struct mod_vec {
	void *v;
	size_t n, cap, size;
};

void *mod_vec_add(struct mod_vec *v);	/* zeroed; NULL: out of memory */
/* hand the array to the caller (@ret 0) or free it; returns @ret */
int mod_vec_give(struct mod_vec *v, int ret, void **out, size_t *n);

/* each returns NULL only when out of memory (then nothing to close) */
struct mod *mod_nl_open(void);
struct mod *mod_sim_open(void);

#endif /* IPMEMD_MOD_IMPL_H */
