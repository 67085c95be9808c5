/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mod.h - ipmemd's view of ipmem.ko: the netlink requests it makes and
 * the events it hears, over libnl-genl-3 (a request socket and a separate
 * socket for the "events" multicast group).
 *
 * A simulated module with the same interface keeps pools, grants, disks
 * and mappings in memory.  It moves no data; it exists so that the
 * control plane can be run at scale on one machine without ipmem.ko
 * ("module simulated" in the configuration, see Documentation/ipmemd.rst).
 * The two are mod_nl.c and mod_sim.c behind one ops table (mod_impl.h).
 *
 * Functions return 0 or a negative errno; mod_err() then says why in
 * words (the kernel's extended ack when there is one).
 */
#ifndef IPMEMD_MOD_H
#define IPMEMD_MOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ipmem/latency.h>
#include <ipmem/netlink.h>

struct mod;

struct mod_pool {
	uint64_t size;
	uint32_t block_size;
	uint8_t addr[16];
	uint16_t port;
	uint64_t total;			/* M_i */
	uint64_t free;			/* V_i */
	uint64_t shrink_to;		/* a shrink waits: blocks kept, or 0 */
};

struct mod_grant {
	uint8_t prefix[16];
	uint8_t plen;
	uint32_t borrower;
	uint8_t rights;
	uint8_t state;			/* enum ipmem_grant_state */
	uint64_t count;
};

struct mod_disk {
	uint32_t id;
	char name[32];
	uint64_t size;
	uint32_t block_size;
	uint8_t replicas;
	uint64_t extents;
	uint64_t mapped;
	bool has_stats;
	uint64_t stats[IPMEM_STAT_MAX + 1];	/* by enum ipmem_stat */
	bool has_lat;
	uint64_t lat[IPMEM_LAT_BUCKETS];	/* reads per bucket */
	uint64_t lat_sum_us;			/* their latencies' sum */
};

/* one run of consecutive extents mapped to consecutive blocks */
struct mod_map {
	uint32_t disk;
	uint8_t replica;
	uint64_t extent;
	uint64_t count;
	uint8_t prefix[16];		/* first block's address */
	uint8_t nexthop[16];
	uint8_t rights;
	uint8_t state;			/* enum ipmem_map_state */
};

/* a lender this host borrows from, as the module sees it */
struct mod_lender {
	uint32_t host;
	uint8_t nexthop[16];
	uint8_t state;			/* enum ipmem_conn_state */
	uint64_t mapped;		/* extent copies */
	uint64_t losses, returns;
};

struct mod_route {
	uint8_t prefix[16];
	uint8_t plen;
	uint8_t nexthop[16];
	uint16_t port;
};

enum mod_ev_type {
	MOD_EV_POOL,			/* the pool changed (or went) */
	MOD_EV_GRANT_DEL,		/* a grant went (expired, revoked) */
	MOD_EV_RESYNC,			/* events were lost: re-read state */
	MOD_EV_MAP_WANTED,		/* a write waits for a copy */
};

struct mod_event {
	enum mod_ev_type type;
	bool has_pool;			/* POOL: false if the pool went */
	struct mod_pool pool;
	struct mod_grant grant;		/* GRANT_DEL */
	uint32_t disk;			/* MAP_WANTED: the disk, */
	uint64_t extent;		/* and the extent written */
};

typedef void (*mod_event_fn)(void *arg, const struct mod_event *ev);

/* Open the real module (@simulated false) or a simulated one. */
struct mod *mod_open(bool simulated, mod_event_fn fn, void *arg);
/*
 * How long a simulated module takes to fill a new copy of extents that
 * have one (ms; "sim-refill"); no-op for the real one.
 */
void mod_sim_set_refill(struct mod *m, uint32_t ms);
void mod_close(struct mod *m);
void mod_set_handler(struct mod *m, mod_event_fn fn, void *arg);
const char *mod_err(const struct mod *m);

/* events: the fd to poll (-1 for a simulated module), and its handler */
int mod_event_fd(struct mod *m);
void mod_event_read(struct mod *m);
/* timers and queued events of a simulated module; no-op for the real */
void mod_tick(struct mod *m, uint64_t now_ms);

int mod_set_host(struct mod *m, const uint8_t net[16], uint32_t host);
/* host authentication keys (slot 0; a key the module has already is fine) */
int mod_key_set(struct mod *m, const uint8_t key[32]);
int mod_peer_key_add(struct mod *m, uint32_t host, const uint8_t pub[32]);
/*
 * The MACs of @data under every key we share with @peer
 * (IPMEM_CMD_ROUTE_MAC): how many, or -errno (-ENOKEY: no key of ours or
 * of @peer; -EOPNOTSUPP: simulated module).
 */
int mod_route_macs(struct mod *m, uint32_t peer, const uint8_t *data,
		   size_t len, uint8_t macs[][IPMEM_ROUTE_MAC_LEN]);
int mod_get_host(struct mod *m, uint8_t net[16], uint32_t *host);

int mod_pool_new(struct mod *m, uint64_t size, uint32_t block_size,
		 const uint8_t addr[16], uint16_t port);
int mod_pool_get(struct mod *m, struct mod_pool *p);	/* -ENOENT: none */

/* Reserve: *@out (malloc'ed, free() it) gets *@n grants. */
int mod_grant_reserve(struct mod *m, uint64_t count, uint32_t borrower,
		      uint8_t rights, uint32_t timeout_ms,
		      struct mod_grant **out, size_t *n);
int mod_grant_confirm(struct mod *m, const uint8_t prefix[16], uint8_t plen);
/*
 * Delete a grant, or (a prefix inside a confirmed grant) only those of its
 * blocks: the grant splits.  Unless @force, -EBUSY while the borrower has
 * those blocks registered.
 */
int mod_grant_del(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		  bool force);
int mod_grant_list(struct mod *m, struct mod_grant **out, size_t *n);

int mod_route_new(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		  const uint8_t nexthop[16], uint16_t port);
int mod_route_del(struct mod *m, const uint8_t prefix[16], uint8_t plen);
int mod_route_list(struct mod *m, struct mod_route **out, size_t *n);
/*
 * The host's own route (kroute.h) that goes with the module's: a
 * borrower's to a lender's /80 via @via, or (@via NULL) a lender's local
 * route of its own /80.  -EOPNOTSUPP with a simulated module, which
 * touches no route of the host.
 */
int mod_host_route(struct mod *m, bool add, const uint8_t prefix[16],
		   uint8_t plen, const uint8_t *via);
/*
 * The host's address @addr (a lender's endpoint in its /80) added to or
 * deleted from the interface that holds @on (kroute_addr).  -EOPNOTSUPP
 * with a simulated module.
 */
int mod_host_addr(struct mod *m, bool add, const uint8_t addr[16],
		  const uint8_t on[16]);

int mod_disk_new(struct mod *m, uint64_t size, uint32_t block_size,
		 uint8_t replicas, struct mod_disk *out);
int mod_disk_del(struct mod *m, uint32_t id);
int mod_disk_list(struct mod *m, struct mod_disk **out, size_t *n);
/* the module's lenders (none with a simulated module) */
int mod_lender_list(struct mod *m, struct mod_lender **out, size_t *n);

/*
 * Map @prefix as copy @replica of disk @disk from extent @extent on, or
 * (@extent < 0) at the first run of free extents of that copy.  A copy
 * past the disk's replicas is a spare, for a move: @extent is then given,
 * and the new copy is stale until the module has filled it.
 */
int mod_map_new(struct mod *m, uint32_t disk, const uint8_t prefix[16],
		uint8_t plen, uint8_t replica, int64_t extent);
/*
 * Unmap the copies in @prefix.  Unless @force, -EBUSY (and nothing
 * unmapped) if some of them is the only current copy of data.
 */
int mod_map_del(struct mod *m, const uint8_t prefix[16], uint8_t plen,
		bool force);
int mod_map_list(struct mod *m, struct mod_map **out, size_t *n);
/*
 * What swap gave back: the runs of disk @disk whose extents hold no data
 * (FREE_ONLY), and unmapping such blocks (-EBUSY, and nothing unmapped,
 * if an extent with a copy in them holds data).  The extents stay in the
 * disk without a copy; a write to one waits (MOD_EV_MAP_WANTED).
 */
int mod_map_list_free(struct mod *m, uint32_t disk, struct mod_map **out,
		      size_t *n);
int mod_map_del_free(struct mod *m, const uint8_t prefix[16], uint8_t plen);

#endif /* IPMEMD_MOD_H */
