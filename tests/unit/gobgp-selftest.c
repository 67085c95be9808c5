// SPDX-License-Identifier: GPL-2.0
/*
 * gobgp-selftest.c - the GoBGP client against two real gobgpd.
 *
 * Starts gobgpd A (127.0.0.1) and B (127.0.0.2) on free loopback ports,
 * peers them over iBGP (AS 65000; A connects, B is passive), originates a
 * path with large communities on A and checks that B's watch stream and
 * RIB see it come and go.  Also checks the local refusal of bad prefixes,
 * the decoding of malformed paths, and the end of the watch stream when
 * gobgpd goes away.  Prints TAP; fails if gobgpd is not installed.
 *
 * Every wait is on an event (the watch eventfd, or a TCP connect while
 * gobgpd starts) under a deadline; a watchdog alarm bounds the whole run.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "gobgp/gobgp.h"
#include "gobgp/gobgp-int.h"
#include "gobgp.pb-c.h"
#include "attribute.pb-c.h"

#define PLAN		49
#define ASN		65000
#define WATCHDOG_S	30	/* the whole run, failures included */
#define START_MS	5000	/* gobgpd listening on its API */
#define SESSION_MS	15000	/* gobgpd's first connect waits 5-10 s */
#define EVENT_MS	5000

/* ------------------------------------------------------------- TAP */

/* The last error of @g, but only if @ret says there was one. */
#define WHY(g, ret)	((ret) ? gbgp_strerror(g) : "ok")

static int tap_n, tap_fails;

static bool __attribute__((format(printf, 2, 3)))
ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		tap_fails++;
	return cond;
}

static void __attribute__((format(printf, 1, 2))) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* --------------------------------------------------------- gobgpd */

struct speaker {
	const char *name;
	const char *addr;	/* router id, BGP listen and source address */
	int api_port, bgp_port;
	pid_t pid;
	char log[64];
	struct gbgp *g;
};

static char tmpdir[] = "/tmp/gobgp-selftest.XXXXXX";
static struct speaker spk[2] = {
	{ .name = "A", .addr = "127.0.0.1" },
	{ .name = "B", .addr = "127.0.0.2" },
};
static struct speaker *const A = &spk[0], *const B = &spk[1];

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void stop_speaker(struct speaker *s)
{
	long end = now_ms() + 3000;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	/* Polling is the only portable way to wait with a timeout. */
	while (waitpid(s->pid, NULL, WNOHANG) == 0) {
		if (now_ms() > end) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			break;
		}
		usleep(10000);
	}
	s->pid = 0;
}

static void dump_log(const struct speaker *s)
{
	char line[512];
	long lines = 0, skip;
	FILE *f = fopen(s->log, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		lines++;
	rewind(f);
	skip = lines > 25 ? lines - 25 : 0;
	diag("--- gobgpd %s log (last %ld lines) ---", s->name, lines - skip);
	while (fgets(line, sizeof(line), f)) {
		if (skip-- > 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		diag("%s", line);
	}
	fclose(f);
}

static void cleanup(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (spk[i].g)
			gbgp_close(spk[i].g);
		spk[i].g = NULL;
		stop_speaker(&spk[i]);
		if (tap_fails)
			dump_log(&spk[i]);
		if (spk[i].log[0])
			unlink(spk[i].log);
	}
	rmdir(tmpdir);
}

static void on_signal(int sig)
{
	static const char msg[] = "Bail out! killed by a signal (watchdog?)\n";
	int i;

	/* Only async-signal-safe calls here. */
	for (i = 0; i < 2; i++) {
		if (spk[i].pid > 0)
			kill(spk[i].pid, SIGKILL);
		if (spk[i].log[0])
			unlink(spk[i].log);
	}
	rmdir(tmpdir);
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(128 + sig);
	_exit(128 + sig);
}

static void __attribute__((noreturn)) bail(const char *why)
{
	tap_fails++;
	printf("Bail out! %s\n", why);
	fflush(stdout);
	exit(1);	/* cleanup() runs */
}

/* A port free on @addr right now; sockets stay open so ports differ. */
static int free_port(const char *addr, int *fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(*fd, (struct sockaddr *)&sin, &len))
		bail("cannot find a free port");
	return ntohs(sin.sin_port);
}

static bool start_speaker(struct speaker *s, const char *gobgpd)
{
	char api[64];
	pid_t parent = getpid();
	int fd;

	snprintf(s->log, sizeof(s->log), "%s/gobgpd-%s.log", tmpdir,
		 s->name);
	snprintf(api, sizeof(api), "--api-hosts=127.0.0.1:%d", s->api_port);
	s->pid = fork();
	if (s->pid < 0)
		return false;
	if (s->pid == 0) {
		/* Die with the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(1);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		execl(gobgpd, "gobgpd", api, "--pprof-disable", "-p",
		      "-l", "debug", (char *)NULL);
		_exit(127);
	}
	return true;
}

/* gobgpd gives no readiness signal: try its API port until it answers. */
static bool wait_listening(struct speaker *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(s->api_port) };
	long end = now_ms() + START_MS;
	int fd, ret;

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	do {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			return false;
		}
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ret = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
		close(fd);
		if (!ret)
			return true;
		usleep(20000);
	} while (now_ms() < end);
	return false;
}

/* ------------------------------------------------------ watch waits */

struct waiter {
	const struct speaker *s;
	bool (*match)(const struct gbgp_event *ev, const void *arg);
	const void *arg;
	struct gbgp_event ev;	/* the matching event */
};

static const char *const state_names[] = {
	"unknown", "idle", "connect", "active", "opensent", "openconfirm",
	"established",
};

static void show_event(const struct speaker *s, const struct gbgp_event *ev)
{
	char p[INET6_ADDRSTRLEN];

	switch (ev->type) {
	case GBGP_EV_PEER:
		diag("%s: peer %s AS %u %s%s", s->name, ev->peer.addr,
		     ev->peer.asn, state_names[ev->peer.state],
		     ev->peer.admin_down ? " (admin down)" : "");
		break;
	case GBGP_EV_PATH:
		if (ev->route.error) {
			diag("%s: bad path: %s", s->name, ev->route.error);
			break;
		}
		inet_ntop(AF_INET6, &ev->route.prefix, p, sizeof(p));
		diag("%s: %s %s/%u from %s, %u large communities", s->name,
		     ev->route.withdraw ? "withdraw" : "path", p,
		     ev->route.plen, ev->route.neighbor, ev->route.nlarge);
		break;
	case GBGP_EV_STREAM_END:
		diag("%s: stream end (%d): %s", s->name, ev->end.err,
		     ev->end.msg);
		break;
	}
}

static int wait_cb(const struct gbgp_event *ev, void *arg)
{
	struct waiter *w = arg;

	show_event(w->s, ev);
	if (!w->match(ev, w->arg))
		return 0;
	w->ev = *ev;
	return 1;		/* stop: leave later events queued */
}

/* Dispatch @s's events until one matches, for at most @ms. */
static bool wait_event(struct speaker *s,
		       bool (*match)(const struct gbgp_event *, const void *),
		       const void *arg, struct gbgp_event *out, int ms)
{
	struct waiter w = { .s = s, .match = match, .arg = arg };
	struct pollfd pfd = { gbgp_watch_fd(s->g), POLLIN, 0 };
	long end = now_ms() + ms;
	int ret;

	for (;;) {
		ret = gbgp_watch_dispatch(s->g, wait_cb, &w);
		if (ret == 1) {
			if (out)
				*out = w.ev;
			return true;
		}
		if (ret < 0) {
			diag("%s: dispatch: %s", s->name,
			     gbgp_strerror(s->g));
			return false;
		}
		ms = end - now_ms();
		if (ms <= 0)
			return false;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return false;
	}
}

static bool is_peer_state(const struct gbgp_event *ev, const void *arg)
{
	const struct gbgp_event *want = arg;

	return ev->type == GBGP_EV_PEER &&
	       !strcmp(ev->peer.addr, want->peer.addr) &&
	       (want->peer.state == GBGP_PEER_ESTABLISHED) ==
	       (ev->peer.state == GBGP_PEER_ESTABLISHED);
}

static bool is_path(const struct gbgp_event *ev, const void *arg)
{
	const struct gbgp_route *want = arg;

	return ev->type == GBGP_EV_PATH && !ev->route.error &&
	       ev->route.withdraw == want->withdraw &&
	       ev->route.plen == want->plen &&
	       !memcmp(&ev->route.prefix, &want->prefix,
		       sizeof(want->prefix));
}

static bool is_end(const struct gbgp_event *ev, const void *arg)
{
	(void)arg;
	return ev->type == GBGP_EV_STREAM_END;
}

/* ---------------------------------------------------------- routes */

static bool same_large(const struct gbgp_route *a,
		       const struct gbgp_route *b)
{
	return a->nlarge == b->nlarge &&
	       !memcmp(a->large, b->large, a->nlarge * sizeof(*a->large));
}

struct finder {
	const struct gbgp_route *want;
	struct gbgp_route found;
	int hits, bad;
};

static int find_cb(const struct gbgp_route *r, void *arg)
{
	struct finder *f = arg;

	if (r->error) {
		f->bad++;
		return 0;
	}
	if (r->plen == f->want->plen &&
	    !memcmp(&r->prefix, &f->want->prefix, sizeof(r->prefix))) {
		f->found = *r;
		f->hits++;
	}
	return 0;
}

/* How many paths for @want's prefix @s's RIB holds (< 0 on error). */
static int rib_find(struct speaker *s, const struct gbgp_route *want,
		    struct gbgp_route *found)
{
	struct finder f = { .want = want };
	int ret = gbgp_list_paths(s->g, find_cb, &f);

	if (ret < 0) {
		diag("%s: ListPath: %s", s->name, gbgp_strerror(s->g));
		return ret;
	}
	if (found)
		*found = f.found;
	return f.bad ? -EBADMSG : f.hits;
}

/* -------------------------------------------------- decoding tests */

static void *pack(const ProtobufCMessage *m, size_t *len)
{
	void *buf = malloc(protobuf_c_message_get_packed_size(m) + 1);

	*len = protobuf_c_message_pack(m, buf);
	return buf;
}

static void set_any(Google__Protobuf__Any *a, const char *type,
		    const ProtobufCMessage *m, void **buf)
{
	google__protobuf__any__init(a);
	a->type_url = (char *)type;
	*buf = pack(m, &a->value.len);
	a->value.data = *buf;
}

enum mangle { M_NONE, M_UNKNOWN, M_BAD_LC, M_BAD_PREFIX, M_IPV4, M_MANY_LC,
	      M_NO_NH };

/* Decode a Path built like gobgpd would, spoilt by @how. */
static int decode_mangled(struct gbgp *g, enum mangle how,
			  struct gbgp_route *r)
{
	Apipb__Path p = APIPB__PATH__INIT;
	Apipb__Family fam = APIPB__FAMILY__INIT;
	Apipb__IPAddressPrefix pfx = APIPB__IPADDRESS_PREFIX__INIT;
	Apipb__MpReachNLRIAttribute mp = APIPB__MP_REACH_NLRIATTRIBUTE__INIT;
	Apipb__LargeCommunitiesAttribute lcs =
		APIPB__LARGE_COMMUNITIES_ATTRIBUTE__INIT;
	Apipb__LargeCommunity lc[GBGP_MAX_LARGE + 1],
		*lcp[GBGP_MAX_LARGE + 1];
	Google__Protobuf__Any nlri, attrs[3], *attrp[3];
	static uint8_t garbage[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f };
	char *nh = "2001:db8::1";
	void *bufs[4] = { NULL };
	size_t len, i, n = 0;
	void *buf;
	int ret;

	fam.afi = how == M_IPV4 ? APIPB__FAMILY__AFI__AFI_IP :
				  APIPB__FAMILY__AFI__AFI_IP6;
	fam.safi = APIPB__FAMILY__SAFI__SAFI_UNICAST;
	p.family = &fam;
	p.neighbor_ip = "2001:db8::99";
	pfx.prefix = how == M_BAD_PREFIX ? "2001:zz8::" : "2001:db8:7::";
	pfx.prefix_len = 48;
	set_any(&nlri, "type.googleapis.com/apipb.IPAddressPrefix",
		&pfx.base, &bufs[0]);
	p.nlri = &nlri;

	mp.n_next_hops = 1;
	mp.next_hops = &nh;
	if (how != M_NO_NH) {
		set_any(&attrs[n], "type.googleapis.com/apipb."
			"MpReachNLRIAttribute", &mp.base, &bufs[1]);
		n++;
	}
	for (i = 0; i <= GBGP_MAX_LARGE; i++) {
		apipb__large_community__init(&lc[i]);
		lc[i].global_admin = ASN;
		lc[i].local_data1 = i;
		lcp[i] = &lc[i];
	}
	lcs.n_communities = how == M_MANY_LC ? GBGP_MAX_LARGE + 1 : 2;
	lcs.communities = lcp;
	set_any(&attrs[n], "type.googleapis.com/apipb."
		"LargeCommunitiesAttribute", &lcs.base, &bufs[2]);
	if (how == M_BAD_LC) {
		attrs[n].value.data = garbage;
		attrs[n].value.len = sizeof(garbage);
	}
	n++;
	if (how == M_UNKNOWN) {
		google__protobuf__any__init(&attrs[n]);
		attrs[n].type_url = "type.googleapis.com/apipb.NoSuchAttribute";
		attrs[n].value.data = garbage;
		attrs[n].value.len = sizeof(garbage);
		n++;
	}
	for (i = 0; i < n; i++)
		attrp[i] = &attrs[i];
	p.n_pattrs = n;
	p.pattrs = attrp;

	buf = pack(&p.base, &len);
	ret = gbgp_decode_path(g, buf, len, r);
	free(buf);
	for (i = 0; i < 4; i++)
		free(bufs[i]);
	return ret;
}

static void test_decoding(struct gbgp *g)
{
	static const struct {
		enum mangle how;
		int ret;
		bool error;
		const char *what;
	} cases[] = {
		{ M_NONE, 1, false, "a well-formed path" },
		{ M_UNKNOWN, 1, false, "an unknown attribute is ignored" },
		{ M_BAD_LC, 1, true, "a malformed attribute" },
		{ M_BAD_PREFIX, 1, true, "an unparsable prefix" },
		{ M_MANY_LC, 1, true, "too many large communities" },
		{ M_NO_NH, 1, true, "no next hop" },
		{ M_IPV4, 0, false, "an IPv4 path is skipped" },
	};
	struct gbgp_route r;
	unsigned int i, seed = 1, crashes = 0, decoded = 0;
	uint8_t junk[256];
	size_t j, len;
	int ret;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		ret = decode_mangled(g, cases[i].how, &r);
		ok(ret == cases[i].ret && !!r.error == cases[i].error &&
		   (ret != 1 || !strcmp(r.neighbor, "2001:db8::99")),
		   "decode: %s%s%s", cases[i].what,
		   r.error ? ": " : "", r.error ? r.error : "");
	}
	ret = decode_mangled(g, M_NONE, &r);
	ok(ret == 1 && r.nlarge == 2 && r.large[1].local1 == 1 &&
	   r.plen == 48, "decode: fields of a well-formed path");

	/* Random bytes must never crash the decoder (ASan is watching). */
	for (i = 0; i < 5000; i++) {
		len = rand_r(&seed) % sizeof(junk);
		for (j = 0; j < len; j++)
			junk[j] = rand_r(&seed);
		ret = gbgp_decode_path(g, junk, len, &r);
		if (ret == 1)
			decoded++;
		else if (ret != 0 && ret != -EBADMSG)
			crashes++;
	}
	ok(!crashes, "decode: 5000 random buffers handled (%u parsed)",
	   decoded);
}

/* ------------------------------------------------------------ main */

int main(void)
{
	const char *gobgpd = getenv("GOBGPD") ? getenv("GOBGPD") :
			     "/usr/bin/gobgpd";
	struct gbgp_route bad, route, found;
	struct gbgp_event want, ev;
	struct waiter w = { 0 };
	struct gbgp_peer peer;
	char rid[32], target[64];
	int fds[4], i, ret;
	uint32_t asn;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(gobgpd, X_OK)) {
		/* a required package (scripts/setup installs it): a failure */
		printf("1..1\nnot ok 1 - %s not found (install gobgpd: scripts/setup)\n",
		       gobgpd);
		return 1;
	}
	printf("1..%d\n", PLAN);
	if (!mkdtemp(tmpdir))
		bail("mkdtemp failed");
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_signal);
	alarm(WATCHDOG_S);

	A->api_port = free_port("127.0.0.1", &fds[0]);
	B->api_port = free_port("127.0.0.1", &fds[1]);
	A->bgp_port = free_port(A->addr, &fds[2]);
	B->bgp_port = free_port(B->addr, &fds[3]);
	for (i = 0; i < 4; i++)
		close(fds[i]);

	for (i = 0; i < 2; i++)
		if (!start_speaker(&spk[i], gobgpd))
			bail("fork failed");
	for (i = 0; i < 2; i++) {
		if (!ok(wait_listening(&spk[i]), "gobgpd %s serves its API",
			spk[i].name))
			bail("gobgpd did not start");
		snprintf(target, sizeof(target), "127.0.0.1:%d",
			 spk[i].api_port);
		spk[i].g = gbgp_open(target);
		if (!spk[i].g)
			bail("gbgp_open failed");
	}

	/* ----- the BGP instances */
	ret = gbgp_get_bgp(A->g, &asn, rid, sizeof(rid));
	ok(!ret && asn == 0, "A: GetBgp before StartBgp reports AS 0 (%s)",
	   WHY(A->g, ret));
	for (i = 0; i < 2; i++) {
		ret = gbgp_start_bgp(spk[i].g, ASN, spk[i].addr, spk[i].addr,
				     spk[i].bgp_port);
		if (!ok(!ret, "%s: StartBgp AS %d id %s port %d (%s)",
			spk[i].name, ASN, spk[i].addr, spk[i].bgp_port,
			WHY(spk[i].g, ret)))
			bail("StartBgp failed");
	}
	ret = gbgp_get_bgp(B->g, &asn, rid, sizeof(rid));
	ok(!ret && asn == ASN && !strcmp(rid, B->addr),
	   "B: GetBgp reports AS %u id %s", asn, ret ? "?" : rid);
	ret = gbgp_start_bgp(A->g, 0, "x", NULL, 179);
	ok(ret == -EINVAL, "StartBgp refuses AS 0: %s", gbgp_strerror(A->g));

	/* ----- prefixes refused locally */
	memset(&bad, 0, sizeof(bad));
	ok(gbgp_parse_prefix("2001:db8:1::1/48", &bad) == 0 &&
	   bad.plen == 48, "parse_prefix accepts 2001:db8:1::1/48");
	inet_pton(AF_INET6, "2001:db8::a", &bad.nexthop);
	ret = gbgp_add_path(A->g, &bad);
	ok(ret == -EINVAL && strstr(gbgp_strerror(A->g), "host bits"),
	   "AddPath refuses 2001:db8:1::1/48: %s", gbgp_strerror(A->g));
	bad.plen = 129;
	memset(&bad.prefix, 0, sizeof(bad.prefix));
	ret = gbgp_add_path(A->g, &bad);
	ok(ret == -EINVAL && strstr(gbgp_strerror(A->g), "> 128"),
	   "AddPath refuses ::/129: %s", gbgp_strerror(A->g));
	ok(gbgp_parse_prefix("2001:db8::/129", &bad) == -EINVAL &&
	   gbgp_parse_prefix("10.0.0.0/8", &bad) == -EINVAL &&
	   gbgp_parse_prefix("2001:db8::/-1", &bad) == -EINVAL &&
	   gbgp_parse_prefix("2001:db8::", &bad) == -EINVAL,
	   "parse_prefix refuses /129, IPv4, /-1 and no length");
	ret = gbgp_list_paths(A->g, find_cb, &(struct finder){ .want = &bad });
	ok(ret == 0, "A: nothing reached the RIB (%d paths)", ret);

	/* ----- malformed input */
	test_decoding(A->g);

	/* ----- peering */
	ok(gbgp_watch_fd(B->g) < 0, "B: no watch fd before the watch");
	ret = gbgp_watch_start(B->g);
	if (!ok(!ret && gbgp_watch_fd(B->g) >= 0, "B: watch started (%s)",
		WHY(B->g, ret)))
		bail("no watch");
	ok(gbgp_watch_start(B->g) == -EBUSY, "B: a second watch is refused");

	memset(&peer, 0, sizeof(peer));
	peer.addr = B->addr;
	peer.asn = ASN;
	peer.local_addr = A->addr;
	peer.remote_port = B->bgp_port;
	ret = gbgp_add_peer(A->g, &peer);
	ok(!ret, "A: AddPeer %s (%s)", peer.addr, WHY(A->g, ret));
	ret = gbgp_add_peer(A->g, &peer);
	ok(ret < 0 && strstr(gbgp_strerror(A->g), "AddPeer: UNKNOWN"),
	   "A: AddPeer again fails with gobgpd's reason: %s",
	   gbgp_strerror(A->g));

	memset(&peer, 0, sizeof(peer));
	peer.addr = A->addr;
	peer.asn = ASN;
	peer.local_addr = B->addr;
	peer.remote_port = A->bgp_port;
	peer.passive = true;
	peer.rr_client = true;
	ret = gbgp_add_peer(B->g, &peer);
	ok(!ret, "B: AddPeer %s passive (%s)", peer.addr, WHY(B->g, ret));

	memset(&want, 0, sizeof(want));
	snprintf(want.peer.addr, sizeof(want.peer.addr), "%s", A->addr);
	want.peer.state = GBGP_PEER_ESTABLISHED;
	if (!ok(wait_event(B, is_peer_state, &want, &ev, SESSION_MS) &&
		ev.peer.asn == ASN, "B: watch reports %s established",
		A->addr))
		bail("no BGP session");

	/* ----- a path comes */
	memset(&route, 0, sizeof(route));
	gbgp_parse_prefix("2001:db8:1::/48", &route);
	inet_pton(AF_INET6, "2001:db8::a", &route.nexthop);
	route.large[0] = (struct gbgp_large){ ASN, 1, 2 };
	route.large[1] = (struct gbgp_large){ ASN, 3, 4 };
	route.large[2] = (struct gbgp_large){ 4200000000u, 0, 0xffffffffu };
	route.nlarge = 3;
	ret = gbgp_add_path(A->g, &route);
	ok(!ret, "A: AddPath 2001:db8:1::/48 (%s)", WHY(A->g, ret));

	ret = wait_event(B, is_path, &route, &ev, EVENT_MS);
	ok(ret, "B: watch delivers 2001:db8:1::/48");
	ok(ret && !strcmp(ev.route.neighbor, A->addr) &&
	   ev.route.source_asn == ASN,
	   "B: ... learned from %s AS %u", ev.route.neighbor,
	   ev.route.source_asn);
	ok(ret && !memcmp(&ev.route.nexthop, &route.nexthop,
			  sizeof(route.nexthop)),
	   "B: ... with next hop 2001:db8::a");
	ok(ret && same_large(&ev.route, &route),
	   "B: ... with the 3 large communities");
	ok(ret && ev.route.origin == 0 && ev.route.local_pref == 100,
	   "B: ... origin IGP, local pref %u", ev.route.local_pref);

	ret = rib_find(A, &route, &found);
	ok(ret == 1 && !found.neighbor[0] && found.best &&
	   same_large(&found, &route),
	   "A: ListPath shows the local path as best (%d)", ret);
	ret = rib_find(B, &route, &found);
	ok(ret == 1 && !strcmp(found.neighbor, A->addr) &&
	   same_large(&found, &route) &&
	   !memcmp(&found.nexthop, &route.nexthop, sizeof(route.nexthop)),
	   "B: ListPath shows it from %s (%d)", A->addr, ret);

	/* ----- a new watch starts with what is already there */
	gbgp_watch_stop(B->g);
	ret = gbgp_watch_start(B->g);
	want.peer.state = GBGP_PEER_ESTABLISHED;
	ok(!ret && wait_event(B, is_peer_state, &want, &ev, EVENT_MS),
	   "B: a restarted watch reports %s established", A->addr);
	ret = wait_event(B, is_path, &route, &ev, EVENT_MS);
	ok(ret && same_large(&ev.route, &route) &&
	   !strcmp(ev.route.neighbor, A->addr),
	   "B: ... and dumps 2001:db8:1::/48 from %s", A->addr);

	/* ----- and goes */
	ret = gbgp_del_path(A->g, &route);
	ok(!ret, "A: DeletePath 2001:db8:1::/48 (%s)", WHY(A->g, ret));
	route.withdraw = true;
	ret = wait_event(B, is_path, &route, &ev, EVENT_MS);
	ok(ret && !strcmp(ev.route.neighbor, A->addr),
	   "B: watch delivers the withdrawal from %s", ev.route.neighbor);
	ok(rib_find(B, &route, NULL) == 0, "B: ListPath no longer shows it");
	ok(rib_find(A, &route, NULL) == 0, "A: ListPath no longer shows it");
	ok(gbgp_del_path(A->g, &route) == 0,
	   "A: DeletePath of an absent path is harmless");

	/* ----- the session goes */
	ret = gbgp_del_peer(A->g, B->addr);
	ok(!ret, "A: DeletePeer %s (%s)", B->addr, WHY(A->g, ret));
	want.peer.state = GBGP_PEER_IDLE;
	ret = wait_event(B, is_peer_state, &want, &ev, EVENT_MS);
	ok(ret, "B: watch reports %s down (%s)", A->addr,
	   ret ? state_names[ev.peer.state] : "no event");

	/* ----- gobgpd goes */
	stop_speaker(B);
	ret = wait_event(B, is_end, NULL, &ev, EVENT_MS);
	ok(ret && ev.end.err < 0, "B: watch ends when gobgpd exits: %s",
	   ret ? ev.end.msg : "nothing");
	w.s = B;
	w.match = is_end;
	ok(gbgp_watch_dispatch(B->g, wait_cb, &w) == 0,
	   "B: nothing is left to dispatch");
	gbgp_set_timeout(B->g, 2000);
	ret = gbgp_get_bgp(B->g, &asn, NULL, 0);
	ok(ret == -ECONNREFUSED || ret == -ETIMEDOUT,
	   "B: calls fail once gobgpd is gone: %s", gbgp_strerror(B->g));
	ret = gbgp_watch_start(B->g);
	if (!ret)
		ret = wait_event(B, is_end, NULL, &ev, EVENT_MS) ? 0 : -1;
	ok(ret == 0 || ret == -ECONNREFUSED,
	   "B: a new watch ends at once too");

	if (tap_n != PLAN)
		diag("ran %d tests, planned %d", tap_n, PLAN);
	return tap_fails || tap_n != PLAN;
}
