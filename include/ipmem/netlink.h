/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ipmem generic netlink UAPI: the one control interface of ipmem.ko, used
 * by ipmemctl and ipmemd (and by anything else, e.g. `genl ctrl get name
 * ipmem`).
 *
 * Family IPMEM_GENL_NAME, version IPMEM_GENL_VERSION.  All attributes live
 * in one space (enum ipmem_attr); each command lists the ones it takes.
 * Commands that change state need CAP_NET_ADMIN.  Every attribute is
 * checked against a policy; a request that fails any check changes
 * nothing and its extended ack names the attribute and the reason.
 *
 * Addresses (IPMEM_A_NET_PREFIX, _ADDR, _PREFIX, _NEXTHOP) are 16-byte
 * IPv6 addresses in network byte order.  Block prefixes follow the format
 * in <ipmem/addr.h>: 48-bit network, 32-bit lender host id, 48-bit block.
 *
 * Lender commands
 *
 * IPMEM_CMD_POOL_NEW      create this host's pool, its blocks named by the
 *                         host id and network prefix of SET_HOST_ID.
 *                         Takes SIZE (bytes, a multiple of BLOCK_SIZE),
 *                         ADDR (the data-plane address to listen on, an
 *                         address of a RoCE device's netdev) and optional
 *                         BLOCK_SIZE (default 64 KiB; 4 KiB to 64 KiB,
 *                         power of two) and PORT (default IPMEM_PORT).
 *                         -EEXIST if a pool exists.
 * IPMEM_CMD_POOL_DEL      destroy the pool; -EBUSY while any grant exists.
 * IPMEM_CMD_POOL_GET      the pool: SIZE, BLOCK_SIZE, NET_PREFIX, HOST_ID,
 *                         ADDR, PORT, BLOCKS_TOTAL (M_i), BLOCKS_FREE
 *                         (V_i), EPOCH.  -ENOENT without a pool.
 * IPMEM_CMD_POOL_SHRINK   give back the end of the pool: SIZE (bytes, a
 *                         non-zero multiple of the block size, at most
 *                         the pool's) is its new size; the blocks past it
 *                         are freed once none of them is granted or
 *                         reserved (POOL_GET's SHRINK_TO meanwhile; SIZE
 *                         the pool's own calls a waiting shrink off).
 *                         -ENOENT without a pool.
 * IPMEM_CMD_GRANT_NEW     grant the blocks of PREFIX/PREFIX_LEN (inside
 *                         this lender's /80) to BORROWER with RIGHTS, in
 *                         state confirmed.  Overlap with another grant is
 *                         -EEXIST.
 * IPMEM_CMD_GRANT_RESERVE reserve BLOCK_COUNT free blocks for BORROWER
 *                         with RIGHTS; the module chooses them, fewest
 *                         prefixes first.  The reply carries one nested
 *                         IPMEM_A_GRANT per prefix, each state reserved.
 *                         A reservation not confirmed within TIMEOUT_MS
 *                         (default 10000) expires: its blocks are free
 *                         again and IPMEM_CMD_GRANT_DEL is multicast.
 *                         -ENOSPC if fewer blocks are free.
 * IPMEM_CMD_GRANT_CONFIRM confirm the reserved grant PREFIX/PREFIX_LEN.
 * IPMEM_CMD_GRANT_DEL     revoke the grant PREFIX/PREFIX_LEN: its memory
 *                         registrations are removed and the blocks are
 *                         zeroed and free again.  A prefix inside a grant
 *                         gives back those blocks only: the grant is
 *                         split around them.  -EBUSY while the borrower
 *                         has some of them registered, unless FORCE.
 * IPMEM_CMD_GRANT_GET     dump: one message per grant with PREFIX,
 *                         PREFIX_LEN, BORROWER, RIGHTS, STATE,
 *                         BLOCK_COUNT, GEN.
 * IPMEM_CMD_PEER_GET      dump: one message per connected borrower with
 *                         BORROWER, NEXTHOP (its address), and
 *                         BLOCK_COUNT (blocks registered for it).
 *
 * Borrower commands
 *
 * IPMEM_CMD_ROUTE_NEW     route PREFIX/PREFIX_LEN (48..128, inside the
 *                         network prefix) via NEXTHOP, the lender's
 *                         data-plane address (a global unicast address),
 *                         and optional PORT.
 *                         -EEXIST if that exact prefix is routed.
 * IPMEM_CMD_ROUTE_DEL     remove the route PREFIX/PREFIX_LEN.
 * IPMEM_CMD_ROUTE_GET     dump: PREFIX, PREFIX_LEN, NEXTHOP, PORT.
 * IPMEM_CMD_DISK_NEW      create /dev/ipmemN of SIZE bytes (a multiple of
 *                         BLOCK_SIZE, default 64 KiB) with REPLICAS copies
 *                         of every extent (1..IPMEM_MAX_REPLICAS, default
 *                         1).  Optional DISK asks for a given N.  ENCRYPT
 *                         (default 1) seals every page with an AEAD under
 *                         a random key that never leaves this host, and
 *                         verifies it when it comes back: 0 turns that
 *                         off (for comparison only).  The reply carries
 *                         DISK and NAME.
 * IPMEM_CMD_DISK_DEL      remove /dev/ipmemDISK; -EBUSY while it is open
 *                         (e.g. swapped on).  Its mappings go with it.
 * IPMEM_CMD_DISK_GET      DISK given: that disk; dump: every disk.  DISK,
 *                         NAME, SIZE, BLOCK_SIZE, REPLICAS, EXTENT_COUNT,
 *                         COPIES_MAPPED, ENCRYPT, STATS.
 * IPMEM_CMD_MAP_NEW       map the blocks of PREFIX/PREFIX_LEN into DISK:
 *                         block i of the prefix backs extent EXTENT + i as
 *                         copy REPLICA.  Without EXTENT and REPLICA the
 *                         first run of free slots that fits is used
 *                         (replica 0 of every extent first, then 1, ...).
 *                         The route lookup, the connection to the lender
 *                         and the lender's keys for the blocks are all
 *                         checked before anything changes: -EHOSTUNREACH
 *                         no route, -ECONNREFUSED/-ETIMEDOUT lender,
 *                         -EACCES the lender did not grant these blocks to
 *                         this host read-write, -EEXIST a slot or a block
 *                         is already mapped.
 *                         The reply carries EXTENT and REPLICA.
 * IPMEM_CMD_MAP_DEL       unmap the blocks of PREFIX/PREFIX_LEN wherever
 *                         they are mapped; in-flight I/O is drained first.
 *                         -EBUSY if data would be lost, unless FORCE; with
 *                         FREE_ONLY, if any of their extents holds data.
 * IPMEM_CMD_MAP_GET       dump (optional DISK filter): one message per run
 *                         of consecutive extents mapped to consecutive
 *                         blocks: DISK, EXTENT, EXTENT_COUNT, REPLICA,
 *                         PREFIX and PREFIX_LEN 128 (the first block),
 *                         NEXTHOP, RIGHTS, STATE (IPMEM_MAP_*).  FREE_ONLY:
 *                         only extents that hold no data.
 * IPMEM_CMD_LENDER_GET    dump: one message per lender this host is
 *                         connected to: NEXTHOP, PORT, LENDER (host id),
 *                         CONN_STATE, EPOCH, BLOCK_COUNT (mapped).
 *
 * Both roles
 *
 * IPMEM_CMD_SET_HOST_ID   the host id this host presents as a borrower
 *                         (HOST_ID) and the NET_PREFIX used to check
 *                         prefixes; set before mapping.
 * IPMEM_CMD_GET_HOST_ID   the values set.
 * IPMEM_CMD_ROUTE_MAC     the MACs of ROUTE (bytes, at most
 *                         IPMEM_ROUTE_DATA_MAX) under every pair key this
 *                         host shares with HOST_ID (see HOST_KEY_SET and
 *                         PEER_KEY_NEW): ROUTE_MAC, IPMEM_ROUTE_MAC_LEN
 *                         bytes each, up to four.  ipmemd signs and checks
 *                         its BGP routes with them; the keys never leave
 *                         the module.  -ENOKEY without a host key or a
 *                         key of HOST_ID.
 *
 * Multicast group IPMEM_MCGRP_EVENTS carries, without a request:
 *   IPMEM_CMD_POOL_GET    the pool was created, destroyed (no attributes)
 *                         or shrunk, or its BLOCKS_FREE changed (a lender
 *                         re-announces)
 *   IPMEM_CMD_GRANT_DEL   a grant went away, with the attributes of
 *                         GRANT_GET (expired reservations included)
 *   IPMEM_CMD_LENDER_GET  a lender was connected, lost, came back, or is
 *                         being disconnected (CONN_STATE says which)
 *   IPMEM_CMD_MAP_WANTED  a write waits for a copy of EXTENT of DISK,
 *                         which has none: map a block there (it fails
 *                         io_fail_tmo after it came)
 */
#ifndef _IPMEM_NETLINK_H
#define _IPMEM_NETLINK_H

#define IPMEM_GENL_NAME		"ipmem"
#define IPMEM_GENL_VERSION	1
#define IPMEM_MCGRP_EVENTS	"events"

/* rdma_cm port a lender listens on unless told otherwise */
#define IPMEM_PORT		7471
#define IPMEM_MAX_REPLICAS	3
/*
 * Copies an extent can have mapped (IPMEM_A_REPLICA below it): the disk's
 * replicas and a spare, to move one of them (MAP_NEW at an extent).
 */
#define IPMEM_COPY_SLOTS	(IPMEM_MAX_REPLICAS + 1)
#define IPMEM_RESERVE_TIMEOUT_MS 10000
/* IPMEM_CMD_ROUTE_MAC: what it signs, and each MAC (HMAC-SHA-256, cut) */
#define IPMEM_ROUTE_DATA_MAX	256
#define IPMEM_ROUTE_MAC_LEN	12

enum ipmem_cmd {
	IPMEM_CMD_UNSPEC,
	IPMEM_CMD_POOL_NEW,
	IPMEM_CMD_POOL_DEL,
	IPMEM_CMD_POOL_GET,
	IPMEM_CMD_GRANT_NEW,
	IPMEM_CMD_GRANT_RESERVE,
	IPMEM_CMD_GRANT_CONFIRM,
	IPMEM_CMD_GRANT_DEL,
	IPMEM_CMD_GRANT_GET,
	IPMEM_CMD_PEER_GET,
	IPMEM_CMD_ROUTE_NEW,
	IPMEM_CMD_ROUTE_DEL,
	IPMEM_CMD_ROUTE_GET,
	IPMEM_CMD_DISK_NEW,
	IPMEM_CMD_DISK_DEL,
	IPMEM_CMD_DISK_GET,
	IPMEM_CMD_MAP_NEW,
	IPMEM_CMD_MAP_DEL,
	IPMEM_CMD_MAP_GET,
	IPMEM_CMD_LENDER_GET,
	IPMEM_CMD_SET_HOST_ID,
	IPMEM_CMD_GET_HOST_ID,
	IPMEM_CMD_HOST_KEY_SET,
	IPMEM_CMD_HOST_KEY_DEL,
	IPMEM_CMD_HOST_KEY_GET,
	IPMEM_CMD_PEER_KEY_NEW,
	IPMEM_CMD_PEER_KEY_DEL,
	IPMEM_CMD_PEER_KEY_GET,
	IPMEM_CMD_ROUTE_MAC,
	IPMEM_CMD_VERSION_GET,
	IPMEM_CMD_POOL_SHRINK,
	IPMEM_CMD_MAP_WANTED,

	__IPMEM_CMD_MAX,
	IPMEM_CMD_MAX = __IPMEM_CMD_MAX - 1
};

enum ipmem_attr {
	IPMEM_A_UNSPEC,
	IPMEM_A_PAD,
	IPMEM_A_NET_PREFIX,	/* binary[16] */
	IPMEM_A_HOST_ID,	/* u32 */
	IPMEM_A_BLOCK_SIZE,	/* u32, bytes */
	IPMEM_A_SIZE,		/* u64, bytes */
	IPMEM_A_ADDR,		/* binary[16] */
	IPMEM_A_PORT,		/* u16 */
	IPMEM_A_BLOCKS_TOTAL,	/* u64 */
	IPMEM_A_BLOCKS_FREE,	/* u64 */
	IPMEM_A_EPOCH,		/* u64 */
	IPMEM_A_PREFIX,		/* binary[16] */
	IPMEM_A_PREFIX_LEN,	/* u8 */
	IPMEM_A_BORROWER,	/* u32, host id */
	IPMEM_A_RIGHTS,		/* u8, enum ipmem_rights */
	IPMEM_A_STATE,		/* u8, enum ipmem_grant_state/ipmem_map_state */
	IPMEM_A_GEN,		/* u64, grant generation */
	IPMEM_A_TIMEOUT_MS,	/* u32 */
	IPMEM_A_BLOCK_COUNT,	/* u64 */
	IPMEM_A_GRANT,		/* nested: one grant, attributes as above */
	IPMEM_A_NEXTHOP,	/* binary[16] */
	IPMEM_A_DISK,		/* u32, N of /dev/ipmemN */
	IPMEM_A_NAME,		/* string */
	IPMEM_A_REPLICAS,	/* u8 */
	IPMEM_A_REPLICA,	/* u8 */
	IPMEM_A_EXTENT,		/* u64 */
	IPMEM_A_EXTENT_COUNT,	/* u64 */
	IPMEM_A_COPIES_MAPPED,	/* u64, extent copies mapped */
	IPMEM_A_LENDER,		/* u32, host id */
	IPMEM_A_CONN_STATE,	/* u8, enum ipmem_conn_state */
	IPMEM_A_STATS,		/* nested: enum ipmem_stat, each u64 */
	IPMEM_A_ENCRYPT,	/* u8, 0 or 1 */
	IPMEM_A_KEY_SLOT,	/* u8, 0 or 1 */
	IPMEM_A_PRIVATE_KEY,	/* binary[32], write-only: never sent back */
	IPMEM_A_PUBLIC_KEY,	/* binary[32] */
	IPMEM_A_ROUTE,		/* binary, at most IPMEM_ROUTE_DATA_MAX */
	IPMEM_A_ROUTE_MAC,	/* binary, IPMEM_ROUTE_MAC_LEN each */
	IPMEM_A_VERSION,	/* string, the module's release */
	IPMEM_A_WIRE_VERSION,	/* u16, the wire protocol it speaks */
	IPMEM_A_FORCE,		/* flag: GRANT_DEL, MAP_DEL even if data is lost */
	IPMEM_A_LOSSES,		/* u64, LENDER_GET: times the lender was lost */
	IPMEM_A_RETURNS,	/* u64, LENDER_GET: times it came back */
	IPMEM_A_LATENCY,	/* nest, DISK_GET: read latencies (latency.h) */
	IPMEM_A_SHRINK_TO,	/* u64, POOL_GET: bytes a waiting shrink keeps */
	IPMEM_A_FREE_ONLY,	/* flag, MAP_GET, MAP_DEL: only extents that
				 * hold no data (never written, or discarded)
				 */

	__IPMEM_A_MAX,
	IPMEM_A_MAX = __IPMEM_A_MAX - 1
};

enum ipmem_rights {
	IPMEM_RIGHTS_RO = 1,	/* RDMA READ only */
	IPMEM_RIGHTS_RW = 2,	/* RDMA READ and WRITE */
};

enum ipmem_grant_state {
	IPMEM_GRANT_RESERVED = 1,
	IPMEM_GRANT_CONFIRMED = 2,
};

/* state of one mapped extent copy */
enum ipmem_map_state {
	IPMEM_MAP_OK = 1,	/* holds the extent's data (or was never written) */
	IPMEM_MAP_STALE = 2,	/* missed writes; not read until refilled */
	IPMEM_MAP_LOST = 3,	/* the lender lost or revoked the block */
};

enum ipmem_conn_state {
	IPMEM_CONN_CONNECTING = 1,
	IPMEM_CONN_LIVE = 2,
	IPMEM_CONN_RECONNECTING = 3,	/* lost; retrying in the background */
	IPMEM_CONN_DELETING = 4,
};

enum ipmem_stat {
	IPMEM_STAT_UNSPEC,
	IPMEM_STAT_PAD,
	IPMEM_STAT_READS,	/* completed read requests */
	IPMEM_STAT_WRITES,	/* completed write requests */
	IPMEM_STAT_READ_BYTES,
	IPMEM_STAT_WRITE_BYTES,
	IPMEM_STAT_DISCARDS,
	IPMEM_STAT_ERRORS,	/* requests failed with an I/O error */
	/* reads served by another copy than the one that should have: it
	 * failed, or its lender was away or lost it
	 */
	IPMEM_STAT_FAILOVERS,
	IPMEM_STAT_INFLIGHT,	/* requests in flight now */
	IPMEM_STAT_REFILLS,	/* stale extent copies refilled from another */
	/* pages whose data went with the last copy of their extent: reads
	 * of them fail until they are written again or discarded (a gauge)
	 */
	IPMEM_STAT_LOST_PAGES,
	/* pages read back from a copy that failed verification (altered,
	 * stale or zeroed at the lender): never returned as data; a read is
	 * served by another copy, if one is current, or fails
	 */
	IPMEM_STAT_INTEGRITY_ERRORS,
	/* writes that came to an extent without a copy and waited for one
	 * to be mapped there (IPMEM_CMD_MAP_WANTED)
	 */
	IPMEM_STAT_UNMAPPED_WAITS,

	__IPMEM_STAT_MAX,
	IPMEM_STAT_MAX = __IPMEM_STAT_MAX - 1
};

#endif /* _IPMEM_NETLINK_H */
