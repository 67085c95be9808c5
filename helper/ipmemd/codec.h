/* SPDX-License-Identifier: GPL-2.0 */
/*
 * codec.h - ipmemd's pure logic: the BGP encoding of <ipmem/bgp.h> to and
 * from GoBGP paths (codec.c), the choice of lenders (plan.c) and the
 * configuration file (config.c).  Nothing here talks to gobgpd, the
 * kernel or the clock, so that tests/unit/bgp.c can test all of it.
 */
#ifndef IPMEMD_CODEC_H
#define IPMEMD_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ipmem/bgp.h>
#include <ipmem/netlink.h>

#include "gobgp/gobgp.h"

/* ------------------------------------------------------------ codec.c */

/* the deployment: AS number and network prefix (first 48 bits used) */
struct ibgp_ctx {
	uint32_t asn;
	uint8_t net[16];
};

/**
 * struct ibgp_route - one ipmem route, decoded
 * @kind: enum ipmem_bgp_kind
 * @host: the host whose /80 holds the prefix: the lender of a pool, grant
 *	or refusal, the borrower of a request
 * @prefix: the prefix (computed by ibgp_encode() except for grants)
 * @plen: its length
 * @nexthop: the originator's data-plane address
 */
struct ibgp_route {
	uint8_t kind;
	uint32_t host;
	uint8_t prefix[16];
	uint8_t plen;
	uint8_t nexthop[16];
	union {
		struct {
			uint64_t total;		/* M_i */
			uint64_t free;		/* V_i */
			uint32_t block_size;
			uint16_t port;
			uint8_t endpoint;	/* IPMEM_BGP_ENDPOINT_* */
		} pool;
		struct {
			uint32_t disk;
			uint32_t lender;
			uint64_t count;
			uint32_t block_size;
			uint8_t rights;
			uint8_t state;		/* enum ipmem_bgp_req_state */
			uint64_t serial;
			uint64_t revision;	/* 0: none */
			uint64_t ret_first;	/* a run given back, */
			uint64_t ret_count;	/* or 0 */
		} req;
		struct {
			uint32_t borrower;
			uint32_t disk;
			uint64_t first;		/* from the prefix */
			uint64_t count;		/* from the prefix */
			uint8_t rights;
			uint8_t state;		/* enum ipmem_grant_state */
			uint64_t serial;	/* of the request answered */
		} grant;
		struct {
			uint32_t borrower;
			uint32_t disk;
			uint32_t reason;	/* enum ipmem_bgp_reason */
			uint64_t serial;	/* of the request answered */
		} ref;
	};
};

/*
 * Fill a pool, request or refusal's prefix from its fields; a grant's
 * from first/count (which must be one aligned power-of-two run).
 * -EINVAL if the fields cannot be encoded.
 */
int ibgp_make_prefix(const struct ibgp_ctx *c, struct ibgp_route *m);

/* The GoBGP path for @m (prefix made by ibgp_make_prefix()). */
int ibgp_encode(const struct ibgp_ctx *c, struct ibgp_route *m,
		struct gbgp_route *out);

/*
 * Decode and validate a received path.  0: @out is a valid ipmem route.
 * -1: not one of ours, or malformed; @why says which and why.
 */
int ibgp_decode(const struct ibgp_ctx *c, const struct gbgp_route *in,
		struct ibgp_route *out, char *why, size_t len);

/*
 * The bytes a route's MACs cover (<ipmem/bgp.h>, ipmem_bgp_mac_data), from
 * the path as it goes out or came in: how many, at most
 * IPMEM_ROUTE_DATA_MAX.
 */
size_t ibgp_mac_data(const struct ibgp_ctx *c, const struct gbgp_route *r,
		     uint8_t *buf);
/* Add @n MACs to an encoded path; -ENOSPC if they do not fit. */
int ibgp_put_macs(const struct ibgp_ctx *c, struct gbgp_route *r,
		  const uint8_t macs[][IPMEM_ROUTE_MAC_LEN], int n);
/* The MACs a (decoded, so well-formed) path carries: how many. */
int ibgp_get_macs(const struct ibgp_ctx *c, const struct gbgp_route *r,
		  uint8_t macs[][IPMEM_ROUTE_MAC_LEN]);
/* The host a request, grant or refusal is for (its MACs' other end). */
uint32_t ibgp_route_peer(const struct ibgp_route *m);

/* "fd69:...::/80" */
void ibgp_fmt_prefix(const uint8_t prefix[16], uint8_t plen, char *buf,
		     size_t len);
const char *ibgp_kind_name(unsigned int kind);
const char *ibgp_req_state_name(unsigned int state);
const char *ibgp_reason_name(unsigned int reason);

/* does a/alen overlap b/blen (one contains the other)? */
bool ibgp_prefix_overlap(const uint8_t a[16], uint8_t alen,
			 const uint8_t b[16], uint8_t blen);

/* ------------------------------------------------------------- plan.c */

/**
 * struct plan_lender - a candidate lender for plan_pick()
 * @host: host id
 * @free: V_i, blocks it can still give (after what we already asked)
 * @latency_us: measured round trip, 0 if unknown
 * @excluded: not a candidate (refused us, used by another copy, ...)
 */
struct plan_lender {
	uint32_t host;
	uint64_t free;
	uint32_t latency_us;
	bool excluded;
};

struct plan_pick {
	uint32_t host;
	uint64_t count;
};

/* latency assumed for a lender not measured yet */
#define PLAN_DEFAULT_LATENCY_US 10000

/*
 * Choose lenders for @want blocks by the power of two choices: draw two
 * candidates at random (@rnd), take the one that serves more of what is
 * left per unit of latency, as much as it has; repeat.  Picked lenders are
 * marked excluded.  Returns the number of picks written to @out (at most
 * @max); *@left gets what could not be placed.
 */
size_t plan_pick(struct plan_lender *c, size_t n, uint64_t want,
		 uint64_t (*rnd)(void *arg), void *arg,
		 struct plan_pick *out, size_t max, uint64_t *left);

/* the candidates of one copy's plan, and the free blocks they have */
struct plan_cands {
	struct plan_lender *v;
	size_t n, cap;
	uint64_t free_total;
};

/* add a candidate (0, or -ENOMEM); reset by setting n and free_total 0 */
int plan_cand_add(struct plan_cands *c, uint32_t host, uint64_t free,
		  uint32_t latency_us);
void plan_cands_free(struct plan_cands *c);

/*
 * Why a plan for @want of @blocks blocks (of @block_size bytes) cannot be
 * made from @c, in words for the log and for ipmemctl: "cannot borrow
 * 96MiB: 32MiB short (refused by 0a4d:0002); the 1 lender not asked
 * yet has only 16MiB free".  @copies > 1 says "for a copy"; @why is
 * the last refusal's reason, or "".
 */
void plan_shortfall(char *err, size_t len, const struct plan_cands *c,
		    uint64_t want, uint64_t blocks, uint32_t block_size,
		    int copies, const char *why);

/* a xorshift generator for plan_pick(), seeded from the clock and @arg */
uint64_t plan_rnd(void *arg);

/* ---------------------------------------------------------- elastic.c */

/**
 * struct elastic_conf - the elastic borrowing options (ipmemd.conf)
 * @max: ceiling of what the policy borrows, bytes; 0: no elastic borrowing
 * @step: bytes borrowed (or given back) in one step
 * @high: grow when the swap on ipmem is used this many per cent or more
 * @low: give a disk back when what ipmem swap holds fits in the rest
 *	below this many per cent
 * @psi: grow when memory pressure (some avg10) reaches this, in
 *	hundredths of a per cent; 0: pressure is not looked at
 * @hold: ms from one step to the next, at least
 * @priority: swap priority of the disks ipmemd swaps on
 * @parts: give back parts of elastic disks that swap freed (elastic-parts)
 */
struct elastic_conf {
	uint64_t max;
	uint64_t step;
	uint32_t high;
	uint32_t low;
	uint32_t psi;
	uint32_t hold;
	uint32_t priority;
	bool parts;
};

/**
 * struct elastic_view - what the host sees now
 * @swap_size, @swap_used: bytes, over every ipmem disk that is swap
 * @elastic: bytes borrowed by the policy (its disks, swapped on or not)
 * @have_victim: an elastic disk could be given back: @victim, its size
 *	and what it holds (@victim_size, @victim_used)
 * @victim_unswapped: @victim is not swap (its swapon failed, or it was
 *	swapped off from outside): it is given back first, whatever else
 *	the numbers say
 * @psi_avg10: memory pressure, hundredths of a per cent
 * @mem_available: bytes (MemAvailable)
 * @busy: a step (a borrow, a swapoff or a release) is under way
 * @now, @last_step: ms; @have_last: there was a step
 * @holes: bytes of that swap whose blocks were given back (and not mapped
 *	again): swap counts them in @swap_size, but they hold nothing
 * @trim_unit: bytes of the smallest part of a disk given back (a run of
 *	whole segments); 0: no elastic disk can give back a part
 */
struct elastic_view {
	uint64_t swap_size, swap_used;
	uint64_t elastic;
	bool have_victim;
	bool victim_unswapped;
	char victim[32];
	uint64_t victim_size, victim_used;
	uint32_t psi_avg10;
	uint64_t mem_available;
	bool busy;
	uint64_t now, last_step;
	bool have_last;
	uint64_t holes;
	uint64_t trim_unit;
};

/*
 * GROW: borrow a new disk; REFILL: map the blocks given back again first;
 * SHRINK: give the victim disk back whole; TRIM: give back part of what
 * swap freed in the elastic disks (elastic_trim_bytes()).
 */
enum elastic_act {
	ELASTIC_NONE, ELASTIC_GROW, ELASTIC_SHRINK, ELASTIC_TRIM,
	ELASTIC_REFILL,
};

/* what to do now; @why gets the reason of a step (or of none) */
enum elastic_act elastic_decide(const struct elastic_conf *c,
				const struct elastic_view *v, char *why,
				size_t len);

/* with ELASTIC_TRIM: how many bytes to give back (a multiple of trim_unit) */
uint64_t elastic_trim_bytes(const struct elastic_conf *c,
			    const struct elastic_view *v);

/* the size and use of /dev/@dev in /proc/swaps' @text (0, or -1: absent) */
int elastic_parse_swaps(const char *text, const char *dev, uint64_t *size,
			uint64_t *used);
/* "some avg10=" of /proc/pressure/memory, in hundredths of a per cent */
int elastic_parse_psi(const char *text, uint32_t *avg10);
/* MemAvailable of /proc/meminfo, bytes */
int elastic_parse_meminfo(const char *text, uint64_t *available);

/* ----------------------------------------------------------- config.c */

#define CONF_MAX_PEERS	64

struct conf_peer {
	char addr[64];
	uint32_t asn;			/* 0: ours */
	bool passive;
	bool rr_client;
	uint16_t port;
	char local_addr[64];
	char password_file[256];	/* "" = no TCP-MD5 */
	char password[81];		/* read from it at start */
};

/**
 * struct ipmemd_conf - /etc/ipmem/ipmemd.conf; see Documentation/ipmemd.rst
 *
 * Durations are in milliseconds.  Strings are empty when not set, and
 * have_* flags tell the options whose default comes from elsewhere.
 */
struct ipmemd_conf {
	uint32_t asn;
	char router_id[16];		/* "" = the host id as a dotted quad */
	uint8_t net[16];
	uint32_t host_id;
	bool have_host_id;
	char dev[32];
	uint8_t addr[16];
	bool have_addr;
	uint16_t port;			/* rdma_cm, lender */
	uint32_t block_size;
	uint64_t lend;			/* bytes, 0: borrower only */

	struct conf_peer peers[CONF_MAX_PEERS];
	unsigned int npeers;
	int32_t bgp_port;		/* -1: do not listen */
	char bgp_listen[64];		/* "" = all addresses */

	char gobgpd[256];		/* "" = use a running one (external) */
	char gobgpd_api[128];		/* unix:///PATH or HOST:PORT */
	char gobgpd_log[256];		/* "" = ours (stderr) */

	char socket[108];
	char status_socket[108];	/* "" = none */
	char status_group[64];		/* "" = root's group */
	char metrics_listen[80];	/* "" = no metrics; ADDR:PORT */
	char state_dir[200];
	char host_key[256];		/* this host's private key file */
	char host_keys[256];		/* the other hosts' public keys */

	uint32_t reserve_timeout;	/* ms */
	uint32_t request_timeout;
	uint32_t grant_hold;
	uint32_t release_timeout;
	uint32_t probe_interval;
	uint32_t disk_poll;
	uint32_t ignored_log_interval;	/* RIB_LOG_BURST lines each */

	uint8_t rights;
	uint8_t replicas;
	bool exclude_self;
	bool endpoint_nexthop;		/* endpoint address: pool at addr */
	uint32_t max_routes;		/* paths kept per BGP neighbor */

	uint64_t auto_borrow;		/* bytes, 0: none */
	bool auto_swapon;
	struct elastic_conf elastic;
	char proc[64];			/* where swaps, meminfo and
					 * pressure/memory are read */
	uint32_t drain_psi;		/* the lender drains itself at this
					 * memory pressure (hundredths of a %);
					 * 0: never */
	uint32_t drain_hold;		/* ms below half of it to resume */
	uint32_t move_stall;		/* ms a move's new copy may fill
					 * nothing before it is given up */

	bool fake_module;		/* simulation: no ipmem.ko */
	uint32_t sim_lenders;		/* simulation: fake lenders to serve */
	uint64_t sim_lend;		/* bytes each */
	uint32_t sim_refill;		/* ms the module takes to fill a copy */
};

void conf_defaults(struct ipmemd_conf *c);

/*
 * Parse one line (comments and blank lines are fine).  0, or -1 with a
 * message in @err.
 */
int conf_parse_line(struct ipmemd_conf *c, const char *line, char *err,
		    size_t len);

/* Parse a whole file's text; @err gets "line N: ..." on failure. */
int conf_parse(struct ipmemd_conf *c, const char *text, char *err,
	       size_t len);

/* "30s", "500ms", "2m", "10" (seconds) to milliseconds */
int conf_parse_duration(const char *s, uint32_t *ms);

#endif /* IPMEMD_CODEC_H */
