// SPDX-License-Identifier: GPL-2.0
/*
 * bgpd.c - the local gobgpd: started (or found), configured over gRPC,
 * watched, and fed with our paths.
 *
 * ipmemd keeps the list of the paths it originates.  Whenever it finds
 * gobgpd anew (at start, after gobgpd restarted or the watch broke) it
 * configures it if it is blank (StartBgp, AddPeer), adds every path of
 * that list again (AddPath replaces a path of the same prefix, so this
 * is idempotent), and starts a new watch, whose initial dump rebuilds the
 * RIB.  The first time, the paths gobgpd already holds from an earlier
 * ipmemd are handed to the lender and borrower to adopt.
 *
 * gobgpd is polled with short calls from the tick while it is not up, so
 * that the daemon never blocks long on it.
 */
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipmemd.h"

#define BGPD_CALL_MS		3000
#define BGPD_PROBE_MS		1000
#define BGPD_RETRY_MS		500
#define BGPD_SPAWN_WAIT_MS	15000

/* --------------------------------------------------------- our paths */

static size_t lp_hash(const struct bgpd *b, const struct in6_addr *p,
		      uint8_t plen)
{
	uint64_t h = 1469598103934665603ULL;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ p->s6_addr[i]) * 1099511628211ULL;
	h = (h ^ plen) * 1099511628211ULL;
	return (h ^ (h >> 29)) % b->nbuckets;
}

static struct lpath **lp_find(struct bgpd *b, const uint8_t prefix[16],
			      uint8_t plen)
{
	struct lpath **pp;

	pp = &b->hash[lp_hash(b, (const struct in6_addr *)prefix, plen)];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->r.plen == plen &&
		    !memcmp(&(*pp)->r.prefix, prefix, 16))
			return pp;
	return pp;
}

bool bgpd_has(struct ipmemd *d, const uint8_t prefix[16], uint8_t plen)
{
	return *lp_find(&d->bgp, prefix, plen) != NULL;
}

/*
 * Sign a route for the host it is for (<ipmem/bgp.h>, IPMEM_BGP_FN_MAC):
 * with host keys, that host acts only on routes it can check.  Without a
 * key of that host it goes out unsigned, and is ignored there.
 */
static void sign(struct ipmemd *d, const struct ibgp_route *m,
		 struct gbgp_route *r)
{
	uint8_t data[IPMEM_ROUTE_DATA_MAX];
	uint8_t macs[IPMEM_BGP_MACS][IPMEM_ROUTE_MAC_LEN];
	uint32_t peer = ibgp_route_peer(m);
	int n;

	if (!d->route_auth)
		return;
	n = mod_route_macs(d->mod, peer, data, ibgp_mac_data(&d->ctx, r, data),
			   macs);
	if (n <= 0 || ibgp_put_macs(&d->ctx, r, macs, n))
		log_warn("%s %s goes out unsigned: %s; host %s will ignore it",
			 ibgp_kind_name(m->kind), pfx_str(m->prefix, m->plen),
			 n < 0 ? mod_err(d->mod) : "no room for its MACs",
			 fmt_host(peer, (char[16]){ 0 }));
}

int bgpd_announce(struct ipmemd *d, struct ibgp_route *m)
{
	struct bgpd *b = &d->bgp;
	struct gbgp_route r;
	struct lpath **pp, *lp;
	int ret;

	if (ibgp_encode(&d->ctx, m, &r)) {
		log_err("cannot encode a %s route", ibgp_kind_name(m->kind));
		return -EINVAL;
	}
	pp = lp_find(b, m->prefix, m->plen);
	lp = *pp;
	if (lp && !memcmp(&lp->plain, &r, sizeof(r)))
		return 0;		/* unchanged */
	if (!lp) {
		lp = calloc(1, sizeof(*lp));
		if (!lp)
			return -ENOMEM;
		*pp = lp;
		b->npaths++;
	}
	lp->plain = r;
	if (m->kind != IPMEM_BGP_KIND_POOL)
		sign(d, m, &r);
	lp->r = r;
	log_dbg("announce %s %s", ibgp_kind_name(m->kind),
		pfx_str(m->prefix, m->plen));
	if (!b->up)
		return 0;		/* added when gobgpd is back */
	ret = gbgp_add_path(b->g, &r);
	if (ret) {
		log_warn("gobgpd: announcing %s: %s (will retry)",
			 pfx_str(m->prefix, m->plen), gbgp_strerror(b->g));
		b->resync = true;
	}
	return ret;
}

int bgpd_withdraw(struct ipmemd *d, const uint8_t prefix[16], uint8_t plen)
{
	struct bgpd *b = &d->bgp;
	struct lpath **pp = lp_find(b, prefix, plen), *lp = *pp;
	int ret = 0;

	if (!lp)
		return 0;
	*pp = lp->next;
	b->npaths--;
	log_dbg("withdraw %s", pfx_str(prefix, plen));
	if (b->up) {
		ret = gbgp_del_path(b->g, &lp->r);
		if (ret)
			log_warn("gobgpd: withdrawing %s: %s",
				 pfx_str(prefix, plen), gbgp_strerror(b->g));
	}
	free(lp);
	return ret;
}

/* ----------------------------------------------------------- gobgpd */

int bgpd_init(struct ipmemd *d)
{
	struct bgpd *b = &d->bgp;

	memset(b, 0, sizeof(*b));
	b->nbuckets = 1024;
	b->hash = calloc(b->nbuckets, sizeof(*b->hash));
	if (!b->hash)
		return -ENOMEM;
	b->g = gbgp_open(d->conf.gobgpd_api);
	if (!b->g) {
		log_err("gRPC channel to %s: %s", d->conf.gobgpd_api,
			strerror(errno));
		return -errno;
	}
	gbgp_set_timeout(b->g, BGPD_CALL_MS);
	if (strncmp(d->conf.gobgpd_api, "unix://", 7))
		log_warn("gobgpd-api %s is a TCP port: every local user can drive BGP through it; give a socket path",
			 d->conf.gobgpd_api);
	return 0;
}

/* The socket path of a unix:///PATH API; NULL for HOST:PORT. */
static const char *api_path(const char *target)
{
	return strncmp(target, "unix://", 7) ? NULL : target + 7;
}

/*
 * The directory of gobgpd's API socket must be ours and closed to
 * everyone else: then nobody else can connect to gobgpd, or have put a
 * socket of theirs there first.  Made if missing.
 */
static bool api_dir_ok(struct ipmemd *d, const char *path)
{
	char dir[sizeof(d->conf.gobgpd_api)];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash++;	/* "/" itself: it will not do */
	*slash = 0;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		log_err("cannot create %s for gobgpd's API socket: %m", dir);
		return false;
	}
	if (lstat(dir, &st)) {
		log_err("%s: %m", dir);
		return false;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		log_err("%s, the directory of gobgpd's API socket, must be a directory of uid %u that nobody else may enter (mode 0700): not using gobgpd",
			dir, geteuid());
		return false;
	}
	return true;
}

static void spawn_gobgpd(struct ipmemd *d)
{
	struct bgpd *b = &d->bgp;
	const char *path = api_path(d->conf.gobgpd_api);
	char api[160];
	char *argv[] = { d->conf.gobgpd, api, "--pprof-disable", "-p",
			 "-l", "warn", NULL };

	snprintf(api, sizeof(api), "--api-hosts=%s", d->conf.gobgpd_api);
	/* a socket left by an earlier gobgpd of ours (the directory is ours) */
	if (path && unlink(path) && errno != ENOENT)
		log_warn("cannot remove %s: %m", path);
	b->child = ipmemd_spawn(argv, d->conf.gobgpd_log);
	if (b->child > 0) {
		b->spawned_at = d->now;
		log_info("started gobgpd (pid %d), API on %s", b->child,
			 d->conf.gobgpd_api);
	}
}

/* gobgpd answers: set it up, push our paths, watch; true when up */
static bool configure(struct ipmemd *d, uint32_t asn)
{
	struct bgpd *b = &d->bgp;
	struct gbgp_peer peer;
	const char *listen;
	unsigned int i;
	int ret;

	if (!asn) {
		listen = d->conf.bgp_listen[0] ? d->conf.bgp_listen : NULL;
		ret = gbgp_start_bgp(b->g, d->conf.asn, d->router_id, listen,
				     d->conf.bgp_port);
		if (ret) {
			log_err("gobgpd: %s", gbgp_strerror(b->g));
			return false;
		}
		log_info("BGP started: AS %u, router id %s", d->conf.asn,
			 d->router_id);
	} else if (asn != d->conf.asn) {
		log_err("the gobgpd at %s runs AS %u, not AS %u: not using it",
			d->conf.gobgpd_api, asn, d->conf.asn);
		return false;
	}

	for (i = 0; i < d->conf.npeers; i++) {
		const struct conf_peer *cp = &d->conf.peers[i];

		memset(&peer, 0, sizeof(peer));
		peer.addr = cp->addr;
		peer.asn = cp->asn ? cp->asn : d->conf.asn;
		peer.local_addr = cp->local_addr[0] ? cp->local_addr : NULL;
		peer.remote_port = cp->port;
		peer.passive = cp->passive;
		peer.rr_client = cp->rr_client;
		peer.password = cp->password[0] ? cp->password : NULL;
		ret = gbgp_add_peer(b->g, &peer);
		if (ret && !strstr(gbgp_strerror(b->g), "exist"))
			log_warn("gobgpd: peer %s: %s", cp->addr,
				 gbgp_strerror(b->g));
		if (b->npeers < CONF_MAX_PEERS && i >= b->npeers) {
			snprintf(b->peers[i].addr, sizeof(b->peers[i].addr),
				 "%s", cp->addr);
			b->npeers = i + 1;
		}
	}
	return true;
}

struct adopt_ctx {
	struct ipmemd *d;
	unsigned int n;
};

/* a path in gobgpd's RIB; the local ones are ours from before */
static int adopt_cb(const struct gbgp_route *r, void *arg)
{
	struct adopt_ctx *a = arg;
	struct ipmemd *d = a->d;
	struct ibgp_route m;
	struct lender *l;
	char why[256];

	if (r->neighbor[0] || r->error)
		return 0;
	if (ibgp_decode(&d->ctx, r, &m, why, sizeof(why))) {
		log_info("gobgpd has a local path %s that is not ours (%s): left alone",
			 pfx_str(r->prefix.s6_addr, r->plen), why);
		return 0;
	}
	a->n++;
	switch (m.kind) {
	case IPMEM_BGP_KIND_REQUEST:
		if (m.host == d->host)
			borrower_adopt_path(d, &m);
		break;
	case IPMEM_BGP_KIND_GRANT:
	case IPMEM_BGP_KIND_REFUSAL:
		l = lender_find(d, m.host);
		if (l)
			lender_adopt_path(l, &m);
		break;
	default:
		break;		/* pools are announced from the module */
	}
	/* gobgpd keeps it; it goes unless someone announces it again */
	return 0;
}

/* local paths gobgpd has that we no longer want */
struct stale_ctx {
	struct ipmemd *d;
	struct gbgp_route *v;
	size_t n, cap;
};

static int stale_cb(const struct gbgp_route *r, void *arg)
{
	struct stale_ctx *s = arg;
	struct ibgp_route m;
	char why[64];
	void *nv;

	if (r->neighbor[0] || r->error ||
	    ibgp_decode(&s->d->ctx, r, &m, why, sizeof(why)) ||
	    bgpd_has(s->d, r->prefix.s6_addr, r->plen))
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		nv = realloc(s->v, s->cap * sizeof(*s->v));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
	}
	s->v[s->n++] = *r;
	return 0;
}

static void go_up(struct ipmemd *d)
{
	struct bgpd *b = &d->bgp;
	struct adopt_ctx a = { d, 0 };
	struct stale_ctx s = { d, NULL, 0, 0 };
	struct lpath *lp;
	unsigned int fails = 0;
	size_t i, h;
	int ret;

	if (!b->ever_up) {
		ret = gbgp_list_paths(b->g, adopt_cb, &a);
		if (ret < 0)
			log_warn("gobgpd: listing its paths: %s",
				 gbgp_strerror(b->g));
		else if (a.n)
			log_info("gobgpd still holds %u paths of ours: adopting them",
				 a.n);
		for (i = 0; i < d->nlenders; i++)
			lender_adopt_done(&d->lenders[i]);
		/* what was not adopted goes */
		if (gbgp_list_paths(b->g, stale_cb, &s) >= 0) {
			for (i = 0; i < s.n; i++) {
				log_info("withdrawing stale path %s",
					 pfx_str(s.v[i].prefix.s6_addr,
						 s.v[i].plen));
				gbgp_del_path(b->g, &s.v[i]);
			}
		}
		free(s.v);
	}
	for (h = 0; h < b->nbuckets; h++)
		for (lp = b->hash[h]; lp; lp = lp->next)
			if (gbgp_add_path(b->g, &lp->r))
				fails++;
	if (fails)
		log_warn("gobgpd: %u of our %zu paths not added: %s (will retry)",
			 fails, b->npaths, gbgp_strerror(b->g));
	b->resync = fails > 0;
	ret = gbgp_watch_start(b->g);
	if (ret) {
		log_err("gobgpd: watch: %s", gbgp_strerror(b->g));
		b->next_try = d->now + BGPD_RETRY_MS * 4;
		return;
	}
	b->up = true;
	b->ever_up = true;
	b->failures = 0;
	log_info("gobgpd ready: %zu paths announced, watching the RIB",
		 b->npaths);
	d->dirty = true;
}

/*
 * Is our gobgpd listening on a socket path?  Its listener must be a
 * process of our uid (root), and the gobgpd we started if we did.
 */
static bool api_unix_listening(struct ipmemd *d, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct bgpd *b = &d->bgp;
	socklen_t n = sizeof(struct ucred);
	struct ucred cr;
	bool ok;
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	     !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n);
	close(fd);
	if (ok && (cr.uid != geteuid() || (b->child > 0 && cr.pid != b->child))) {
		if (!(b->failures % 20))
			log_err("what listens on %s (pid %d, uid %u) is not our gobgpd: not using it",
				path, (int)cr.pid, (unsigned int)cr.uid);
		ok = false;
	}
	return ok;
}

/*
 * Does anything listen on the API address?  A plain connect, so that
 * the gRPC channel is only used once gobgpd is there: a channel that
 * failed to connect backs off for seconds before it tries again.
 */
static bool api_listening(struct ipmemd *d)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	const char *target = d->conf.gobgpd_api;
	char host[sizeof(d->conf.gobgpd_api)], *port;
	bool ok = false;
	int fd;

	if (api_path(target))
		return api_unix_listening(d, api_path(target));
	snprintf(host, sizeof(host), "%s", target);
	port = strrchr(host, ':');
	if (!port)
		return true;
	*port++ = 0;
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	if (getaddrinfo(host, port, &hints, &ai))
		return true;	/* let gRPC say what is wrong */
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		ok = !connect(fd, ai->ai_addr, ai->ai_addrlen);
		close(fd);
	}
	freeaddrinfo(ai);
	return ok;
}

/* an AddPath failed while gobgpd was up: add every path again */
static void resync(struct ipmemd *d)
{
	struct bgpd *b = &d->bgp;
	struct lpath *lp;
	unsigned int fails = 0;
	size_t h;

	for (h = 0; h < b->nbuckets; h++)
		for (lp = b->hash[h]; lp; lp = lp->next)
			if (gbgp_add_path(b->g, &lp->r))
				fails++;
	b->resync = fails > 0;
	b->next_try = d->now + 2000;
	if (!fails)
		log_info("gobgpd: all %zu paths announced again", b->npaths);
}

void bgpd_tick(struct ipmemd *d)
{
	struct bgpd *b = &d->bgp;
	char rid[32];
	uint32_t asn = 0;
	int ret = -ECONNREFUSED;

	if (b->up && b->resync && d->now >= b->next_try) {
		resync(d);
		return;
	}
	if (b->up || d->now < b->next_try)
		return;
	if (b->reopen) {
		/* a fresh channel, without the old one's back-off */
		gbgp_close(b->g);
		b->g = gbgp_open(d->conf.gobgpd_api);
		if (!b->g) {
			log_err("gRPC channel to %s: %m", d->conf.gobgpd_api);
			b->next_try = d->now + 5000;
			return;
		}
		b->reopen = false;
	}
	if (api_path(d->conf.gobgpd_api) &&
	    !api_dir_ok(d, api_path(d->conf.gobgpd_api))) {
		b->next_try = d->now + 30000;
		return;
	}
	if (api_listening(d)) {
		gbgp_set_timeout(b->g, BGPD_PROBE_MS);
		ret = gbgp_get_bgp(b->g, &asn, rid, sizeof(rid));
		gbgp_set_timeout(b->g, BGPD_CALL_MS);
	}
	if (ret) {
		b->next_try = d->now + BGPD_RETRY_MS;
		if (!d->conf.gobgpd[0]) {
			if (!(b->failures++ % 20))
				log_warn("no gobgpd at %s; waiting for it",
					 d->conf.gobgpd_api);
			return;
		}
		if (b->child <= 0) {
			spawn_gobgpd(d);
			if (b->child <= 0)
				b->next_try = d->now + 5000;
		} else if (d->now - b->spawned_at > BGPD_SPAWN_WAIT_MS &&
			   !(b->failures++ % 20)) {
			log_warn("gobgpd (pid %d) does not answer on %s",
				 b->child, d->conf.gobgpd_api);
		}
		return;
	}
	if (!configure(d, asn)) {
		b->next_try = d->now + 5000;
		return;
	}
	go_up(d);
}

int bgpd_fd(struct ipmemd *d)
{
	return d->bgp.up ? gbgp_watch_fd(d->bgp.g) : -1;
}

static const char *state_name(int s)
{
	static const char *const n[] = { "unknown", "idle", "connect",
		"active", "opensent", "openconfirm", "established" };

	return s >= 0 && s <= GBGP_PEER_ESTABLISHED ? n[s] : "?";
}

static void went_down(struct ipmemd *d, const char *why)
{
	struct bgpd *b = &d->bgp;
	unsigned int i;

	if (!b->up)
		return;
	log_warn("lost gobgpd: %s", why);
	b->up = false;
	b->reopen = true;
	b->next_try = d->now + BGPD_RETRY_MS;
	for (i = 0; i < b->npeers; i++)
		b->peers[i].state = GBGP_PEER_UNKNOWN;
	rib_flush(d);
}

static int event_cb(const struct gbgp_event *ev, void *arg)
{
	struct ipmemd *d = arg;
	struct bgpd *b = &d->bgp;
	unsigned int i;

	switch (ev->type) {
	case GBGP_EV_PATH:
		rib_update(d, &ev->route);
		break;
	case GBGP_EV_PEER:
		for (i = 0; i < b->npeers; i++)
			if (!strcmp(b->peers[i].addr, ev->peer.addr))
				break;
		if (i == b->npeers) {
			if (b->npeers == CONF_MAX_PEERS)
				break;
			snprintf(b->peers[i].addr, sizeof(b->peers[i].addr),
				 "%s", ev->peer.addr);
			b->npeers++;
		}
		if (b->peers[i].state != (int)ev->peer.state)
			logm(ev->peer.state == GBGP_PEER_ESTABLISHED ||
			     b->peers[i].state == GBGP_PEER_ESTABLISHED ?
			     LOG_INFO : LOG_DEBUG,
			     "BGP peer %s: %s", ev->peer.addr,
			     state_name(ev->peer.state));
		b->peers[i].state = ev->peer.state;
		break;
	case GBGP_EV_STREAM_END:
		went_down(d, ev->end.msg && *ev->end.msg ? ev->end.msg :
			  "watch ended");
		return 1;
	}
	return 0;
}

void bgpd_dispatch(struct ipmemd *d)
{
	if (d->bgp.up)
		gbgp_watch_dispatch(d->bgp.g, event_cb, d);
}

void bgpd_child_exit(struct ipmemd *d, pid_t pid, int status)
{
	struct bgpd *b = &d->bgp;

	if (pid != b->child)
		return;
	b->child = 0;
	if (WIFSIGNALED(status))
		log_warn("gobgpd (pid %d) killed by signal %d", pid,
			 WTERMSIG(status));
	else
		log_warn("gobgpd (pid %d) exited with status %d", pid,
			 WEXITSTATUS(status));
	went_down(d, "gobgpd exited");
	b->next_try = d->now + 1000;	/* then respawn */
}

unsigned int bgpd_established(struct ipmemd *d)
{
	unsigned int i, n = 0;

	for (i = 0; i < d->bgp.npeers; i++)
		n += d->bgp.peers[i].state == GBGP_PEER_ESTABLISHED;
	return n;
}

void bgpd_stop(struct ipmemd *d)
{
	struct bgpd *b = &d->bgp;
	struct lpath *lp;
	int status, i;
	size_t h;

	if (b->g) {
		gbgp_close(b->g);
		b->g = NULL;
	}
	if (b->child > 0) {
		kill(b->child, SIGTERM);
		for (i = 0; i < 30; i++) {
			if (waitpid(b->child, &status, WNOHANG) == b->child)
				break;
			usleep(100000);
		}
		if (i == 30) {
			kill(b->child, SIGKILL);
			waitpid(b->child, &status, 0);
		}
		log_info("stopped gobgpd (pid %d)", b->child);
		b->child = 0;
	}
	for (h = 0; b->hash && h < b->nbuckets; h++) {
		while ((lp = b->hash[h])) {
			b->hash[h] = lp->next;
			free(lp);
		}
	}
	free(b->hash);
	b->hash = NULL;
}
