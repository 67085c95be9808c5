/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipmemd.h - the ipmem control-plane daemon (see Documentation/ipmemd.rst).
 *
 * One thread, one poll() loop (main.c) over: the gobgpd watch eventfd
 * (bgpd.c), the module's events socket (mod.c), the control socket
 * (ctl.c), the latency probe socket (probe.c), a signalfd and a timerfd
 * tick.  gRPC core runs threads of its own; helper/gobgp bridges them.
 *
 * The design is level-triggered: routes received from BGP go into the RIB
 * (rib.c); after every batch of events the lender (lender.c) and borrower
 * (borrower.c) compare what the RIB and the module say with what they
 * have and act on the difference.  That makes a restart, a flap or a lost
 * event the same case as any other change.
 */
#ifndef IPMEMD_H
#define IPMEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <poll.h>
#include <syslog.h>
#include <sys/types.h>

#include "codec.h"
#include "mod.h"

struct ipmemd;
struct ctl_client;

/* ------------------------------------------------------------- log.c */

void log_init(bool foreground, int verbose);
void logm(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...)	logm(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	logm(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	logm(LOG_INFO, __VA_ARGS__)
#define log_dbg(...)	logm(LOG_DEBUG, __VA_ARGS__)

uint64_t now_ms(void);
/*
 * A state file written whole or not at all: state_begin() opens
 * "@path.tmp" (its name in @tmp), state_commit() syncs and closes it and
 * renames it over @path.  Both log what failed; NULL: nothing to commit.
 */
FILE *state_begin(const char *path, char *tmp, size_t len);
void state_commit(FILE *f, const char *tmp, const char *path);
const char *fmt_host(uint32_t host, char buf[16]);
const char *fmt_addr(const uint8_t a[16], char buf[46]);
/* "fd69:...::/80", in a static ring of buffers (for log lines) */
const char *pfx_str(const uint8_t prefix[16], uint8_t plen);

/* ------------------------------------------------------------- rib.c */

/*
 * A path as received, and the prefix it is for.  A prefix can arrive from
 * several neighbors (route reflectors): the first valid one is used
 * ("effective"); a later one that disagrees is logged and ignored.
 */
struct rib_path {
	struct rib_path *next;
	char neighbor[46];
	uint32_t id;
	struct ibgp_route r;
};

struct rib_entry {
	struct rib_entry *hnext;		/* hash chain */
	struct rib_entry *prev, *next;		/* list of its kind */
	uint8_t prefix[16];
	uint8_t plen;
	uint8_t kind;				/* of the effective path, or 0 */
	struct rib_path *paths;
	struct ibgp_route *eff;			/* NULL: no valid path */
	bool noted;				/* its rejection was logged */
};

/* what one BGP neighbor has in the RIB, against max-routes */
struct rib_nbr {
	char name[46];
	size_t paths;
	bool full;				/* at max-routes: logged */
};

struct rib {
	struct rib_entry **hash;
	size_t nbuckets;
	size_t nentries;
	struct rib_entry *lists[IPMEM_BGP_KIND_REFUSAL + 1]; /* by kind */
	size_t counts[IPMEM_BGP_KIND_REFUSAL + 1];
	uint64_t updates;			/* path events: adds, withdrawals */
	uint64_t ignored;			/* paths logged and ignored */
	uint64_t dropped;			/* not kept: over max-routes */
	struct rib_nbr *nbrs;
	size_t nnbrs;
	/* the log of ignored paths: RIB_LOG_BURST lines a minute at most */
	uint64_t log_since;
	unsigned int log_lines;
	uint64_t log_quiet;
};

int rib_init(struct rib *rib);
void rib_free(struct rib *rib);
/* a path event from the watch; marks the daemon dirty */
void rib_update(struct ipmemd *d, const struct gbgp_route *r);
/* gobgpd went away: every received path is gone */
void rib_flush(struct ipmemd *d);
const struct ibgp_route *rib_lookup(struct rib *rib, const uint8_t prefix[16],
				    uint8_t plen);
/* the pool route of @host, if any */
const struct ibgp_route *rib_pool(struct ipmemd *d, uint32_t host);
#define rib_for_each(rib, kind, e) \
	for ((e) = (rib)->lists[kind]; (e); (e) = (e)->next)

/* ------------------------------------------------------------ bgpd.c */

struct bgp_peer {
	char addr[46];
	int state;				/* enum gbgp_peer_state */
};

struct lpath {
	struct lpath *next;
	struct gbgp_route r;			/* as announced (signed) */
	struct gbgp_route plain;		/* before signing */
};

struct bgpd {
	struct gbgp *g;
	bool up;				/* configured and watching */
	bool reopen;				/* the channel needs renewing */
	bool resync;				/* paths to add again */
	bool ever_up;
	pid_t child;
	uint64_t next_try;
	uint64_t spawned_at;
	unsigned int failures;
	struct lpath **hash;			/* our own paths, by prefix */
	size_t nbuckets;
	size_t npaths;
	struct bgp_peer peers[CONF_MAX_PEERS];
	unsigned int npeers;
	uint32_t asn;
};

int bgpd_init(struct ipmemd *d);
void bgpd_tick(struct ipmemd *d);
int bgpd_fd(struct ipmemd *d);
void bgpd_dispatch(struct ipmemd *d);
void bgpd_child_exit(struct ipmemd *d, pid_t pid, int status);
void bgpd_stop(struct ipmemd *d);
/* originate @m (replacing any path of ours with its prefix) */
int bgpd_announce(struct ipmemd *d, struct ibgp_route *m);
int bgpd_withdraw(struct ipmemd *d, const uint8_t prefix[16], uint8_t plen);
bool bgpd_has(struct ipmemd *d, const uint8_t prefix[16], uint8_t plen);
unsigned int bgpd_established(struct ipmemd *d);

/* ---------------------------------------------------------- lender.c */

/* GRANT_DEL events of our own deletions remembered (struct lender) */
#define LENDER_DELETED	256

struct lgrant {
	uint8_t prefix[16];
	uint8_t plen;
	uint64_t count;
	uint8_t state;				/* enum ipmem_grant_state */
};

/* what this lender gave (or refused) one request: (borrower, disk) */
struct lreq {
	struct lreq *next;
	uint32_t borrower;
	uint32_t disk;
	uint8_t rights;
	struct lgrant *grants;
	size_t ngrants;
	uint32_t refused;			/* enum ipmem_bgp_reason, or 0 */
	bool released;
	bool unmovable;				/* draining: cannot move now */
	bool seen;				/* in the RIB this round */
	bool seen_ever;
	uint64_t absent_since;			/* ms; 0 while requested */
	uint64_t serial;			/* of the request answered */
	uint64_t stale_noted;			/* an older serial, logged */
	/* changes of the confirmed request (<ipmem/bgp.h>, REVISION) */
	uint64_t revision;			/* the newest acted on */
	uint64_t busy_noted;			/* a return waits: logged */
	uint64_t grow_tried;			/* revision of the last growth */
};

struct lender {
	struct ipmemd *d;
	struct mod *mod;
	uint32_t host;
	uint8_t addr[16];
	bool has_pool;
	struct mod_pool pool;
	bool announce_pool;
	struct lreq *reqs;
	char state_path[256];			/* "" = none (simulated) */
	char drain_path[256];			/* "" = none (simulated) */
	uint64_t grants_total;			/* blocks in grants */
	bool draining;				/* grants nothing new: */
	bool drain_manual;			/* lend drain (state-dir) */
	bool drain_auto;			/* or memory pressure */
	uint32_t psi;				/* some avg10, last look */
	uint64_t drain_look;			/* next look, ms */
	uint64_t drain_calm;			/* below half since, ms; 0 */
	/*
	 * Prefixes this lender deleted itself (a release, a return): their
	 * GRANT_DEL events come later, and must not take a grant made since
	 * of the same blocks for one that went.
	 */
	struct lender_deleted {
		uint8_t prefix[16];
		uint8_t plen;
	} deleted[LENDER_DELETED];
	unsigned int ndeleted, deleted_next;
};

int lender_init(struct ipmemd *d, struct lender *l, struct mod *mod,
		uint32_t host, const uint8_t addr[16], uint64_t lend);
void lender_free(struct lender *l);
void lender_event(struct lender *l, const struct mod_event *ev);
void lender_reconcile(struct lender *l);
/* every second or so: the lender's own memory pressure (drain-psi) */
void lender_tick(struct lender *l);
/* a path of ours that gobgpd still had when we (re)started */
void lender_adopt_path(struct lender *l, const struct ibgp_route *m);
void lender_adopt_done(struct lender *l);
struct lender *lender_find(struct ipmemd *d, uint32_t host);
void lender_status(struct lender *l);
void lender_held(struct lender *l, uint64_t *blocks, uint64_t *reqs);
/* V_i as announced: 0 while draining */
uint64_t lender_announced_free(const struct lender *l);
/* `ipmemctl lend drain|resume`: stop or start granting; 0 or -errno */
int lender_drain(struct ipmemd *d, bool drain, char *msg, size_t len);

/* -------------------------------------------------------- borrower.c */

enum breq_state {
	BREQ_PENDING,		/* asked; waiting for grants or a refusal */
	BREQ_CONFIRMING,	/* confirmed; waiting for confirmed grants */
	BREQ_FILLING,		/* a move's spare copy, mapped; until filled */
	BREQ_MAPPED,		/* in the disk */
	BREQ_RELEASING,		/* released; waiting for the grants to go */
};

struct bgrant {
	uint8_t prefix[16];
	uint8_t plen;
	uint64_t count;
	bool mapped;
};

/* one request: a part of one copy of a borrow, from one lender */
struct breq {
	struct breq *next;
	uint32_t lender;
	uint8_t replica;
	uint64_t count;
	enum breq_state state;
	uint64_t deadline;
	struct bgrant *grants;
	size_t ngrants;
	bool adopted;				/* rebuilt after a restart */
	bool partial_said;			/* logged: grants still missing */
	uint64_t serial;			/* IPMEM_BGP_FN_SERIAL */
	/* lender drain: the lender asks us to move this request's copy */
	bool drain_asked;
	bool unmovable;				/* said so: REQ_UNMOVABLE */
	uint64_t move_retry;			/* no new move before, ms */
	size_t move_pools;			/* unless the pools known change */
	/* a move: the new copy of the extents of request @move_from */
	bool is_move;
	uint32_t move_from;			/* its lender (one per borrow) */
	uint64_t move_off;			/* from its move_off-th extent */
	uint64_t fill_ok;			/* filling: extents ok so far */
	uint64_t fill_at;			/* when that last grew, ms */
	/* its copy is moving and part of it is unmapped already: the move
	 * can only be finished, never given up */
	bool move_half_gone;
	bool stall_said;			/* logged that it waits anyway */
	/* changes of the confirmed request (<ipmem/bgp.h>, REVISION) */
	uint64_t revision;
	uint64_t ret_first, ret_count;		/* a run given back, waiting */
	uint64_t ret_since;			/* ms */
	uint64_t grow;				/* blocks asked for more, */
	uint64_t grow_deadline;			/* until then (ms) */
};

enum borrow_state {
	BORROW_ACQUIRING,
	BORROW_READY,
	BORROW_RELEASING,
};

/* one `ipmemctl borrow`: one disk and the requests that fill it */
struct borrow {
	struct borrow *next;
	uint32_t disk;
	char name[32];
	uint64_t blocks;			/* per copy */
	uint8_t replicas;
	uint8_t rights;
	uint64_t need[3];			/* per copy, not yet asked */
	struct breq *reqs;
	enum borrow_state state;
	bool disk_gone;				/* removed; do not delete it */
	uint32_t *excluded;			/* lenders not to ask again */
	size_t nexcluded;
	uint64_t started;			/* acquiring or releasing since */
	struct ctl_client *waiter;		/* borrow or release reply */
	char failed[512];			/* why acquiring failed */
	char lastwhy[160];			/* why the last lender failed */
	bool swapon;				/* auto-swapon once ready */
	bool elastic;				/* borrowed by the elastic policy */
	bool swapon_failed;			/* its mkswap or swapon failed */
	bool was_swap;				/* seen in /proc/swaps */
	pid_t swapoff;				/* its swapoff, under way */
	bool swapoff_exited;			/* and reaped: */
	int swapoff_status;			/* its wait status */
	uint64_t plan_us;			/* time spent planning */
	size_t plan_cands;			/* candidates last time */
	/* giving back what swap freed, and mapping it again */
	uint64_t holes;				/* extent copies unmapped */
	uint64_t given_back;			/* blocks, in all */
	bool wanted;				/* a write waits for a copy */
	uint64_t wanted_extent;
	uint64_t refill_retry;			/* no refill before, ms */
	uint64_t refilled_at;			/* the last one done, ms */
};

struct borrower {
	struct borrow *borrows;
	uint64_t next_disk_poll;
	uint64_t next_auto;
	bool auto_done;
	struct mod_map *maps;			/* cache for adoption */
	size_t nmaps;
	uint64_t maps_at;
	uint64_t last_serial;			/* of our newest request */
	/* elastic borrowing (elastic.c decides) */
	uint64_t next_elastic;			/* the next look, ms */
	uint64_t elastic_last;			/* the last step, ms */
	bool elastic_stepped;			/* there was one */
	char elastic_why[200];			/* and why */
	const char *elastic_act;		/* "grew", "gave back", ... */
	char elastic_now[200];			/* why no step, last look */
	uint64_t elastic_grows, elastic_shrinks, elastic_fails;
	uint64_t elastic_looks;
	/* lender drain: moves finished, and moves that could not start */
	uint64_t moves, moved_blocks, move_fails;
	struct elastic_view elastic_view;	/* as last seen */
	/* elastic disks of an earlier run, until adopted (state-dir) */
	uint32_t *elastic_saved;
	size_t nelastic_saved;
};

void borrower_init(struct ipmemd *d);
void borrower_free(struct ipmemd *d);
void borrower_reconcile(struct ipmemd *d);
void borrower_tick(struct ipmemd *d);
void borrower_adopt_path(struct ipmemd *d, const struct ibgp_route *m);
/* the module: a write to @extent of disk @disk waits for a copy */
void borrower_wanted(struct ipmemd *d, uint32_t disk, uint64_t extent);
/* a child exited (SIGCHLD): a swapoff of ours? */
void borrower_child_exit(struct ipmemd *d, pid_t pid, int status);
/* control requests; they answer @c now or later */
void borrower_borrow(struct ipmemd *d, struct ctl_client *c, uint64_t bytes,
		     uint8_t rights, uint8_t replicas);
void borrower_release(struct ipmemd *d, struct ctl_client *c,
		      const char *what);
void borrower_client_gone(struct ipmemd *d, struct ctl_client *c);
void borrower_status(struct ipmemd *d);
void pool_view(struct ipmemd *d, uint64_t *M, uint64_t *V, uint64_t *nl);

/* ------------------------------------------------------------- ctl.c */

/*
 * A client of the control socket (ipmemctl).  One command at a time; a
 * command that takes a while (borrow, release) keeps the client busy
 * until its last line.
 */
struct ctl_client {
	struct ctl_client *next;
	int fd;
	char in[1024];
	size_t inlen;
	char *out;
	size_t outlen;
	size_t outcap;
	bool busy;
	bool dead;
	bool status_only;			/* from the status socket */
	int pending;				/* release: borrows to go */
	int errors;
};

/* metrics.c: Prometheus text on metrics-listen */
int metrics_init(struct ipmemd *d);
void metrics_close(struct ipmemd *d);
size_t metrics_pollfds(struct ipmemd *d, struct pollfd *pfd, size_t n,
		       size_t max);
void metrics_handle(struct ipmemd *d, struct pollfd *pfd, size_t n);

int ctl_init(struct ipmemd *d);
void ctl_close(struct ipmemd *d);
/* fill @pfd from index @n; returns the new count */
size_t ctl_pollfds(struct ipmemd *d, struct pollfd *pfd, size_t n,
		   size_t max);
void ctl_handle(struct ipmemd *d, struct pollfd *pfd, size_t n);
void ctl_printf(struct ctl_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ctl_end(struct ctl_client *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ----------------------------------------------------------- probe.c */

struct lat_entry {
	uint32_t host;
	bool used;
	uint32_t rtt_us;			/* smoothed; 0 unknown */
	uint32_t last_us;
	uint64_t last_probe;
	uint64_t last_reply;
};

struct probe {
	int fd;
	uint16_t ident;
	uint16_t seq;
	struct lat_entry *tab;
	size_t cap;
	size_t used;
	uint64_t next_round;
};

void probe_init(struct ipmemd *d);
void probe_close(struct ipmemd *d);
void probe_tick(struct ipmemd *d);
void probe_read(struct ipmemd *d);
/* round trip to @host in us, 0 if unknown */
uint32_t probe_latency(struct ipmemd *d, uint32_t host);

/* ------------------------------------------------------------ main.c */

struct ipmemd {
	struct ipmemd_conf conf;
	/* the file as parsed at start (conf gets what dev resolves to) */
	struct ipmemd_conf *conf_file;
	const char *conf_path;
	struct ibgp_ctx ctx;
	uint32_t host;				/* our host id */
	uint8_t addr[16];			/* our data-plane address */
	char router_id[16];
	uint64_t now;				/* ms, CLOCK_MONOTONIC */
	uint64_t started;
	bool dirty;				/* reconcile needed */
	bool quit;

	struct mod *mod;			/* the module */
	struct bgpd bgp;
	struct rib rib;
	struct lender *lenders;			/* ours; more if simulating */
	size_t nlenders;
	struct borrower bor;
	struct probe probe;

	int ctl_fd;
	int status_fd;				/* -1: no status socket */
	int metrics_fd;				/* -1: no metrics-listen */
	struct ctl_client *clients;

	/* host authentication: ours, and the other hosts' public keys */
	bool have_host_key;
	/*
	 * Routes between two hosts (requests, grants, refusals) are signed,
	 * and those for us checked: we have a host key and a real module.
	 */
	bool route_auth;
	uint8_t host_key[32];
	size_t npeer_keys;
	struct peer_key {
		uint32_t host;
		uint8_t pub[32];
	} *peer_keys;
};

/* the whole of file @path, NUL-terminated, in *@out (0 or -errno) */
int ipmemd_read_file(const char *path, char **out);

/* spawn @argv (no shell), output to @log or ours; returns the pid or -1 */
pid_t ipmemd_spawn(char *const argv[], const char *log);

#endif /* IPMEMD_H */
