/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gobgp.h - program a local gobgpd over its gRPC API.
 *
 * A thin client for the few GoBGP calls ipmem needs: start the BGP
 * instance, add/remove neighbors, originate/withdraw IPv6 unicast paths
 * carrying large communities, list the global RIB and watch it change.
 *
 * Threading: a handle is used from one thread.  gRPC core runs its own
 * threads; gbgp_open() therefore belongs after any fork()/daemon().
 * The watch stream is bridged to the caller's event loop with an eventfd
 * (gbgp_watch_fd()), and its events are delivered by gbgp_watch_dispatch()
 * on the caller's thread.
 *
 * Errors: functions returning int give 0 (or a count) on success and a
 * negative errno value on failure; gbgp_strerror() then describes the last
 * failure, including the gRPC status and gobgpd's message.
 */
#ifndef IPMEM_GOBGP_H
#define IPMEM_GOBGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <arpa/inet.h>

/* Large communities per path; a received path with more is malformed. */
#define GBGP_MAX_LARGE 32

/* Default deadline of every unary call, in milliseconds. */
#define GBGP_DEFAULT_TIMEOUT_MS 5000

/*
 * Default connect retry towards a neighbor, in seconds (gobgpd: 120).
 * gobgpd waits a random [r, 2r) s between attempts, with r clamped to at
 * least 5 s, and 5-10 s before the first: lower values change nothing.
 */
#define GBGP_DEFAULT_CONNECT_RETRY 5

struct gbgp;

struct gbgp_large {
	uint32_t global_admin;
	uint32_t local1;
	uint32_t local2;
};

/*
 * One IPv6 unicast path.  To originate one, fill prefix, plen, nexthop and
 * large[]; the other fields are ignored.  Decoded paths fill everything.
 */
struct gbgp_route {
	struct in6_addr prefix;
	uint8_t plen;
	struct in6_addr nexthop;
	uint32_t nlarge;
	struct gbgp_large large[GBGP_MAX_LARGE];

	bool withdraw;		/* watch: the path is gone */
	bool best;		/* list: best path of its prefix */
	uint8_t origin;		/* 0 IGP, 1 EGP, 2 INCOMPLETE */
	uint32_t local_pref;	/* 0 when absent */
	uint32_t identifier;	/* ADD-PATH path id, 0 without ADD-PATH */
	uint32_t source_asn;	/* AS of the neighbor, 0 for local paths */
	char neighbor[INET6_ADDRSTRLEN]; /* learned from, "" when local */

	/*
	 * Decoded paths only: NULL, or why this path could not be decoded
	 * (the other fields are then partial).  Valid during the callback.
	 */
	const char *error;
};

/* Neighbor configuration for gbgp_add_peer(). */
struct gbgp_peer {
	const char *addr;	/* neighbor address (IPv4 or IPv6 literal) */
	uint32_t asn;		/* its AS; equal to ours for iBGP */
	const char *local_addr;	/* source address, NULL: the kernel's */
	uint16_t remote_port;	/* 0: 179 */
	bool passive;		/* only accept, never connect */
	bool rr_client;		/* we reflect routes to it */
	unsigned int connect_retry; /* s, 0: GBGP_DEFAULT_CONNECT_RETRY */
	unsigned int hold_time;	/* s, 0: gobgpd default (90) */
	const char *password;	/* TCP-MD5 (RFC 2385) key, NULL: none */
};

/* BGP FSM states, as gobgpd numbers them. */
enum gbgp_peer_state {
	GBGP_PEER_UNKNOWN,
	GBGP_PEER_IDLE,
	GBGP_PEER_CONNECT,
	GBGP_PEER_ACTIVE,
	GBGP_PEER_OPENSENT,
	GBGP_PEER_OPENCONFIRM,
	GBGP_PEER_ESTABLISHED,
};

enum gbgp_ev_type {
	GBGP_EV_PATH,		/* route: a path came, changed or went */
	GBGP_EV_PEER,		/* peer: a neighbor changed state */
	GBGP_EV_STREAM_END,	/* end: the watch stream is over */
};

struct gbgp_event {
	enum gbgp_ev_type type;
	union {
		struct gbgp_route route;
		struct {
			char addr[INET6_ADDRSTRLEN];
			uint32_t asn;
			enum gbgp_peer_state state;
			bool admin_down;
		} peer;
		struct {
			int err;	 /* 0 or negative errno */
			const char *msg; /* gRPC status and details */
		} end;
	};
};

/*
 * Connect to gobgpd's API at @target ("127.0.0.1:50051").  The channel is
 * lazy: this only fails on allocation errors, and an unreachable gobgpd
 * shows up as -ECONNREFUSED from the first call.  NULL on failure, errno
 * set.
 */
struct gbgp *gbgp_open(const char *target);
void gbgp_close(struct gbgp *g);

/* Description of the last failure on @g ("" if none). */
const char *gbgp_strerror(const struct gbgp *g);

/* Deadline of each unary call (and of the whole of gbgp_list_paths()). */
void gbgp_set_timeout(struct gbgp *g, unsigned int ms);

/*
 * StartBgp: AS @asn, router id @router_id (dotted quad).  Listen for BGP
 * on @listen_addr (NULL: all addresses) port @listen_port (0: 179), or
 * not at all if @listen_port is -1.
 */
int gbgp_start_bgp(struct gbgp *g, uint32_t asn, const char *router_id,
		   const char *listen_addr, int32_t listen_port);

/* GetBgp: @asn is 0 until gbgp_start_bgp(); @router_id gets @len bytes. */
int gbgp_get_bgp(struct gbgp *g, uint32_t *asn, char *router_id, size_t len);

/* AddPeer with only IPv6 unicast enabled. */
int gbgp_add_peer(struct gbgp *g, const struct gbgp_peer *p);
int gbgp_del_peer(struct gbgp *g, const char *addr);

/*
 * Originate @r (IPv6 unicast, origin IGP, next hop, large communities).
 * The prefix is checked here (plen <= 128, no host bits) and refused with
 * -EINVAL before anything is sent: gobgpd would accept and mangle it.
 * Adding a path for a prefix that already has a local path replaces it.
 */
int gbgp_add_path(struct gbgp *g, const struct gbgp_route *r);

/*
 * Withdraw the local path for r->prefix/r->plen.  gobgpd keeps at most one
 * local path per prefix and matches the withdrawal on the prefix alone,
 * so this removes exactly what gbgp_add_path(r) installed; withdrawing a
 * prefix that has no local path is not an error.
 */
int gbgp_del_path(struct gbgp *g, const struct gbgp_route *r);

/*
 * Call @cb for every IPv6 unicast path in the global RIB, best or not,
 * local or learned.  Paths that fail to decode are passed with
 * route->error set.  A nonzero return from @cb stops the listing and is
 * returned; otherwise the number of paths is returned.
 */
int gbgp_list_paths(struct gbgp *g,
		    int (*cb)(const struct gbgp_route *r, void *arg),
		    void *arg);

/*
 * Start watching.  The stream reports, in order:
 *  - GBGP_EV_PEER for every configured neighbor, then for each state
 *    change;
 *  - GBGP_EV_PATH for every IPv6 unicast path currently learned from a
 *    neighbor (post import policy), then for each such path learned,
 *    replaced or withdrawn (route.withdraw), including withdrawals when a
 *    neighbor goes down.  A path is identified by (neighbor, prefix,
 *    identifier); a new event for the same key replaces the old path.
 *    Local paths (gbgp_add_path()) are not reported: the caller made them.
 *  - GBGP_EV_STREAM_END once, when the stream stops for any reason (gobgpd
 *    went away, ...).  Start a new watch to resume: the initial dump then
 *    resynchronises the caller.
 * -EBUSY if a watch is already running.
 */
int gbgp_watch_start(struct gbgp *g);

/* Stop the watch and drop its undelivered events.  No STREAM_END event. */
void gbgp_watch_stop(struct gbgp *g);

/*
 * An eventfd, readable while events are queued.  It stays the same for the
 * life of @g, across watch restarts.  Negative errno before the first
 * gbgp_watch_start().
 */
int gbgp_watch_fd(struct gbgp *g);

/*
 * Deliver the queued events to @cb without blocking.  A nonzero return
 * from @cb stops the delivery and is returned; the remaining events stay
 * queued (and the fd readable).  0 once the queue is empty.
 */
int gbgp_watch_dispatch(struct gbgp *g,
			int (*cb)(const struct gbgp_event *ev, void *arg),
			void *arg);

/*
 * Parse "2001:db8::/48" into @r->prefix/@r->plen; -EINVAL if it is not an
 * IPv6 prefix.  Host bits are left for gbgp_add_path() to refuse.
 */
int gbgp_parse_prefix(const char *s, struct gbgp_route *r);

#endif /* IPMEM_GOBGP_H */
