// SPDX-License-Identifier: GPL-2.0
/*
 * ipmemd - the ipmem control plane: BGP (through a local gobgpd) to
 * announce lent memory and to borrow it, netlink to ipmem.ko.
 *
 *   ipmemd [-f] [-v] [-c CONFIG]       run (-f: foreground, log to stderr)
 *   ipmemd ctl [-s SOCKET] COMMAND...  talk to a running ipmemd, as
 *                                      ipmemctl does (status, borrow,
 *                                      release)
 *
 * See Documentation/ipmemd.rst.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ipmem/version.h>
#include <ipmem/wire.h>

#include "ipmemctl_daemon.h"
#include "ipmemd.h"
#include "parse.h"
#include "secret.h"

#define CONF_DEFAULT	"/etc/ipmem/ipmemd.conf"
#define TICK_MS		200
#define MAX_POLL	256

static void usage(FILE *f)
{
	fprintf(f,
"usage: ipmemd [-f] [-v] [-c CONFIG]\n"
"       ipmemd -t [-c CONFIG]\n"
"       ipmemd --version\n"
"       ipmemd ctl [-s SOCKET] status | borrow SIZE [rights ro|rw] [replicas N]\n"
"                              | release all|ipmemN|PREFIX\n"
"\n"
"  -c CONFIG   configuration file (default " CONF_DEFAULT ")\n"
"  -f          stay in the foreground and log to stderr\n"
"  -t          check the configuration (and the files it names), then exit\n"
"  -v          log debug messages too\n");
}

/* ------------------------------------------------------------ setup */

int ipmemd_read_file(const char *path, char **out)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 8192;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			n = -errno;
			free(buf);
			close(fd);
			return n;
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	buf[len] = 0;
	*out = buf;
	return 0;
}

/* host id from the IPv4 address, data-plane address from the IPv6 one */
static int resolve_dev(struct ipmemd *d)
{
	struct ipmemd_conf *c = &d->conf;
	struct ifaddrs *ifa, *i;
	bool v4 = false, v6 = false;

	if (!c->dev[0])
		return 0;
	if (!if_nametoindex(c->dev)) {
		log_err("no interface '%s' (dev)", c->dev);
		return -ENODEV;
	}
	if (getifaddrs(&ifa)) {
		log_err("getifaddrs: %m");
		return -errno;
	}
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, c->dev))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && !v4 &&
		    !c->have_host_id) {
			c->host_id = ntohl(((struct sockaddr_in *)
					    i->ifa_addr)->sin_addr.s_addr);
			v4 = true;
		} else if (i->ifa_addr->sa_family == AF_INET6 && !v6 &&
			   !c->have_addr) {
			struct in6_addr *a =
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			/* nor a block address (a lender's endpoint) */
			if (IN6_IS_ADDR_LINKLOCAL(a) ||
			    ipmem_addr_prefix_eq(a->s6_addr, c->net,
						 IPMEM_NET_PLEN))
				continue;
			memcpy(c->addr, a, 16);
			v6 = true;
		}
	}
	freeifaddrs(ifa);
	if (v4)
		c->have_host_id = true;
	if (v6)
		c->have_addr = true;
	return 0;
}

/*
 * host-key: this host's private key (a file only root may read);
 * host-keys: a "HOSTID KEY" line per public key of another host (public:
 * any mode).  Documentation/security.rst.
 */
static int load_keys(struct ipmemd *d)
{
	char buf[2 * IPMEM_KEY_LEN + 2], err[300], line[512], id[64], key[128];
	struct peer_key *pk;
	unsigned int no = 0;
	FILE *f;
	int ret;

	if (d->conf.host_key[0]) {
		if (ipmem_read_secret(d->conf.host_key, buf, sizeof(buf), err,
				      sizeof(err))) {
			log_err("host-key %s", err);
			return -1;
		}
		ret = ipmem_parse_key(buf, d->host_key);
		memset(buf, 0, sizeof(buf));
		if (ret) {
			log_err("host-key %s does not hold a key (64 hex digits)",
				d->conf.host_key);
			return -1;
		}
		d->have_host_key = true;
	}
	if (!d->conf.host_keys[0])
		return 0;
	f = fopen(d->conf.host_keys, "re");
	if (!f) {
		log_err("host-keys %s: %m", d->conf.host_keys);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		no++;
		ret = sscanf(line, "%63s %127s", id, key);
		if (ret <= 0 || id[0] == '#')
			continue;
		pk = realloc(d->peer_keys, (d->npeer_keys + 1) * sizeof(*pk));
		if (!pk) {
			fclose(f);
			log_err("out of memory");
			return -1;
		}
		d->peer_keys = pk;
		pk += d->npeer_keys;
		if (ret != 2 || ipmem_parse_host_id(id, &pk->host) ||
		    ipmem_parse_key(key, pk->pub)) {
			fclose(f);
			log_err("host-keys %s line %u: give HOSTID KEY (64 hex digits)",
				d->conf.host_keys, no);
			return -1;
		}
		d->npeer_keys++;
	}
	fclose(f);
	return 0;
}

/* Does the module refuse connections while this host has no key? */
static bool require_auth(void)
{
	FILE *f = fopen("/sys/module/ipmem/parameters/require_auth", "r");
	int c = 'Y';

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c != 'N';
}

/* Give the module our key and the other hosts' public keys. */
static int push_keys(struct ipmemd *d)
{
	size_t i;

	if (d->have_host_key && mod_key_set(d->mod, d->host_key)) {
		log_err("setting the host key: %s", mod_err(d->mod));
		return -1;
	}
	for (i = 0; i < d->npeer_keys; i++)
		if (mod_peer_key_add(d->mod, d->peer_keys[i].host,
				     d->peer_keys[i].pub)) {
			log_err("the key of host %s: %s",
				fmt_host(d->peer_keys[i].host, (char[16]){ 0 }),
				mod_err(d->mod));
			return -1;
		}
	d->route_auth = d->have_host_key && !d->conf.fake_module;
	if (d->have_host_key)
		log_info("host authentication on: our key set, %zu keys of other hosts; routes between hosts %s",
			 d->npeer_keys, d->route_auth ? "signed and checked" :
			 "not signed (simulated module)");
	else if (!d->conf.fake_module && require_auth())
		log_warn("no host-key: the module connects to no lender and serves no borrower until this host has a key (Documentation/security.rst)");
	else
		log_warn("no host-key: connections are not authenticated (any host can claim any host id)");
	return 0;
}

/*
 * The secrets the configuration names, from files only root may read:
 * the peers' TCP-MD5 passwords, our private key.  Never logged.
 */
static int load_secrets(struct ipmemd *d)
{
	char buf[sizeof(d->conf.peers[0].password) + 1], err[300];
	struct conf_peer *p;
	unsigned int i;

	for (i = 0; i < d->conf.npeers; i++) {
		p = &d->conf.peers[i];
		if (!p->password_file[0])
			continue;
		if (ipmem_read_secret(p->password_file, buf, sizeof(buf), err,
				      sizeof(err))) {
			log_err("peer %s: password-file %s", p->addr, err);
			return -1;
		}
		if (strlen(buf) >= sizeof(p->password)) {
			log_err("peer %s: password-file %s: the password is longer than %zu bytes",
				p->addr, p->password_file,
				sizeof(p->password) - 1);
			memset(buf, 0, sizeof(buf));
			return -1;
		}
		memcpy(p->password, buf, strlen(buf) + 1);
		memset(buf, 0, sizeof(buf));
	}
	return load_keys(d);
}

static int setup_identity(struct ipmemd *d)
{
	struct ipmemd_conf *c = &d->conf;
	struct in_addr a;

	if (resolve_dev(d))
		return -1;
	if (!c->have_host_id) {
		log_err("no host id: set 'host-id' or a 'dev' with an IPv4 address");
		return -1;
	}
	if (!c->have_addr) {
		log_err("no data-plane address: set 'address' or a 'dev' with a global IPv6 address");
		return -1;
	}
	d->host = c->host_id;
	memcpy(d->addr, c->addr, 16);
	if (c->router_id[0]) {
		snprintf(d->router_id, sizeof(d->router_id), "%s", c->router_id);
	} else {
		a.s_addr = htonl(d->host);
		inet_ntop(AF_INET, &a, d->router_id, sizeof(d->router_id));
	}
	d->ctx.asn = c->asn;
	memcpy(d->ctx.net, c->net, 16);
	return 0;
}

/*
 * The module's events: a write waiting for a copy is the borrower's, the
 * rest the lender's.  @arg is the module's lender, NULL before it exists
 * or for a module no lender of ours uses.
 */
static void mod_event(void *arg, const struct mod_event *ev)
{
	struct lender *l = arg;

	if (!l)
		return;
	if (ev->type == MOD_EV_MAP_WANTED)
		borrower_wanted(l->d, ev->disk, ev->extent);
	else
		lender_event(l, ev);
}

static int setup_lenders(struct ipmemd *d)
{
	struct ipmemd_conf *c = &d->conf;
	uint8_t addr[16];
	uint32_t i, n = c->sim_lenders;
	struct mod *m;
	uint16_t low;
	int ret;

	if (!n) {
		d->lenders = calloc(1, sizeof(*d->lenders));
		if (!d->lenders)
			return -ENOMEM;
		d->nlenders = 1;
		return lender_init(d, &d->lenders[0], d->mod, d->host, d->addr,
				   c->lend);
	}

	/* simulation: n lenders in this process, each with its own module */
	d->lenders = calloc(n, sizeof(*d->lenders));
	if (!d->lenders)
		return -ENOMEM;
	d->nlenders = n;
	for (i = 0; i < n; i++) {
		memcpy(addr, d->addr, 16);
		low = (addr[14] << 8 | addr[15]) + i;
		addr[14] = low >> 8;
		addr[15] = low;
		m = mod_open(true, mod_event, &d->lenders[i]);
		if (!m)
			return -ENOMEM;
		mod_set_host(m, d->ctx.net, d->host + i);
		ret = lender_init(d, &d->lenders[i], m, d->host + i, addr,
				  c->sim_lend);
		if (ret)
			return ret;
	}
	log_info("simulating %u lenders of %llu bytes each", n,
		 (unsigned long long)c->sim_lend);
	return 0;
}

static void sd_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	if (path[0] == '@')
		sa.sun_path[0] = 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa,
	       offsetof(struct sockaddr_un, sun_path) + strlen(path));
	close(fd);
}

/*
 * Go into the background.  The parent stays until the daemon is ready
 * (daemon_ready() writes to *@ready_fd) and exits 0, or until it gives up
 * and exits with the daemon's status: a daemon that cannot start makes
 * the command that started it fail.
 */
static int daemonize(int *ready_fd)
{
	int fd, p[2], st;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid) {
		close(p[1]);
		if (read(p[0], &c, 1) == 1)
			_exit(0);
		/* no word: it stopped; its status is ours */
		st = waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		     WEXITSTATUS(st) ? WEXITSTATUS(st) : 1;
		fprintf(stderr, "ipmemd: could not start (exit status %d); the reason is in the system log\n",
			st);
		_exit(st);
	}
	close(p[0]);
	*ready_fd = p[1];
	setsid();
	if (chdir("/"))
		return -errno;
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

static void daemon_ready(int *ready_fd)
{
	if (*ready_fd < 0)
		return;
	if (write(*ready_fd, "", 1) != 1)
		log_warn("telling the parent that ipmemd is ready: %m");
	close(*ready_fd);
	*ready_fd = -1;
}

/* ------------------------------------------------------------- loop */

static void reconcile(struct ipmemd *d)
{
	size_t i;

	d->dirty = false;
	for (i = 0; i < d->nlenders; i++)
		lender_reconcile(&d->lenders[i]);
	borrower_reconcile(d);
}

/*
 * SIGHUP: read the configuration file again.  The time-outs and
 * intervals, the rights and replicas of later borrows, borrow-from-self
 * and auto-swapon take effect at once; every other option that changed is
 * named, with "restart ipmemd to apply it", and keeps its running value.
 * A file that does not parse changes nothing.
 */
static void reload(struct ipmemd *d)
{
	struct ipmemd_conf *n = calloc(1, sizeof(*n)), *o = d->conf_file;
	unsigned int applied = 0, pending = 0;
	char *text = NULL, err[300];
	int ret;

	if (!n || !o) {
		free(n);
		log_err("SIGHUP: out of memory; the configuration is unchanged");
		return;
	}
	conf_defaults(n);
	ret = ipmemd_read_file(d->conf_path, &text);
	if (ret && ret != -ENOENT) {
		log_err("SIGHUP: cannot read %s: %s; the configuration is unchanged",
			d->conf_path, strerror(-ret));
		goto out;
	}
	if (!ret && conf_parse(n, text, err, sizeof(err))) {
		log_err("SIGHUP: %s: %s; the configuration is unchanged",
			d->conf_path, err);
		goto out;
	}
#define LIVE(field, name)						\
	do {								\
		if (n->field != o->field) {				\
			log_info("SIGHUP: %s is now %llu (was %llu)", name,	\
				 (unsigned long long)n->field,		\
				 (unsigned long long)o->field);		\
			d->conf.field = o->field = n->field;		\
			applied++;					\
		}							\
	} while (0)
#define RESTART(same, name)						\
	do {								\
		if (!(same)) {						\
			log_warn("SIGHUP: %s changed: restart ipmemd to apply it", \
				 name);					\
			pending++;					\
		}							\
	} while (0)
#define SAME(field)	(!memcmp(&n->field, &o->field, sizeof(n->field)))
	LIVE(reserve_timeout, "reserve-timeout (ms)");
	LIVE(request_timeout, "request-timeout (ms)");
	LIVE(grant_hold, "grant-hold (ms)");
	LIVE(release_timeout, "release-timeout (ms)");
	LIVE(probe_interval, "probe-interval (ms)");
	LIVE(disk_poll, "disk-poll (ms)");
	LIVE(ignored_log_interval, "ignored-log-interval (ms)");
	LIVE(rights, "rights (1 ro, 2 rw)");
	LIVE(replicas, "replicas");
	LIVE(exclude_self, "borrow-from-self (0 yes, 1 no)");
	LIVE(auto_swapon, "auto-swapon (1 yes)");
	LIVE(elastic.max, "elastic-max (bytes)");
	LIVE(elastic.step, "elastic-step (bytes)");
	LIVE(elastic.high, "elastic-high (%)");
	LIVE(elastic.low, "elastic-low (%)");
	LIVE(elastic.psi, "elastic-psi (hundredths of a %)");
	LIVE(elastic.hold, "elastic-hold (ms)");
	LIVE(elastic.priority, "swap-priority");
	LIVE(drain_psi, "drain-psi (hundredths of a %)");
	LIVE(drain_hold, "drain-hold (ms)");
	LIVE(move_stall, "move-stall (ms)");
	RESTART(SAME(asn), "asn");
	RESTART(!strcmp(n->router_id, o->router_id), "router-id");
	RESTART(SAME(net), "network");
	RESTART(SAME(host_id) && SAME(have_host_id), "host-id");
	RESTART(!strcmp(n->dev, o->dev), "dev");
	RESTART(SAME(addr) && SAME(have_addr), "address");
	RESTART(SAME(port), "port");
	RESTART(SAME(block_size), "block-size");
	RESTART(SAME(lend), "lend");
	RESTART(n->npeers == o->npeers &&
		!memcmp(n->peers, o->peers, n->npeers * sizeof(n->peers[0])),
		"peer");
	RESTART(SAME(bgp_port), "bgp-port");
	RESTART(!strcmp(n->bgp_listen, o->bgp_listen), "bgp-listen");
	RESTART(!strcmp(n->gobgpd, o->gobgpd), "gobgpd");
	RESTART(!strcmp(n->gobgpd_api, o->gobgpd_api), "gobgpd-api");
	RESTART(!strcmp(n->gobgpd_log, o->gobgpd_log), "gobgpd-log");
	RESTART(!strcmp(n->socket, o->socket), "socket");
	RESTART(!strcmp(n->status_socket, o->status_socket) &&
		!strcmp(n->status_group, o->status_group), "status-socket");
	RESTART(!strcmp(n->state_dir, o->state_dir), "state-dir");
	RESTART(!strcmp(n->host_key, o->host_key), "host-key");
	RESTART(!strcmp(n->host_keys, o->host_keys), "host-keys");
	RESTART(SAME(max_routes), "max-routes");
	RESTART(!strcmp(n->metrics_listen, o->metrics_listen), "metrics-listen");
	RESTART(SAME(auto_borrow), "auto-borrow");
	RESTART(SAME(endpoint_nexthop), "endpoint");
	RESTART(!strcmp(n->proc, o->proc), "proc-dir");
	RESTART(SAME(fake_module) && SAME(sim_lenders) && SAME(sim_lend) &&
		SAME(sim_refill), "module");
#undef SAME
#undef RESTART
#undef LIVE
	log_info("SIGHUP: %s read again: %u change%s applied, %u waiting for a restart",
		 d->conf_path, applied, applied == 1 ? "" : "s", pending);
	if (applied)
		d->dirty = true;
out:
	free(text);
	free(n);
}

static void handle_signals(struct ipmemd *d, int sfd)
{
	struct signalfd_siginfo si;
	pid_t pid;
	int st;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("signal %d: stopping", si.ssi_signo);
			d->quit = true;
			break;
		case SIGHUP:
			reload(d);
			break;
		case SIGCHLD:
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
				bgpd_child_exit(d, pid, st);
				borrower_child_exit(d, pid, st);
			}
			break;
		}
	}
}

static int loop(struct ipmemd *d, int sfd, int tfd)
{
	struct pollfd pfd[MAX_POLL];
	size_t n, nctl, nmet, i;
	int mfd, bfd;
	uint64_t ticks;

	while (!d->quit) {
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = tfd, .events = POLLIN };
		mfd = mod_event_fd(d->mod);
		pfd[n++] = (struct pollfd){ .fd = mfd, .events = POLLIN };
		bfd = bgpd_fd(d);
		pfd[n++] = (struct pollfd){ .fd = bfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = d->probe.fd, .events = POLLIN };
		nmet = n;
		n = metrics_pollfds(d, pfd, n, MAX_POLL);
		nctl = n;
		n = ctl_pollfds(d, pfd, n, MAX_POLL);

		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %m");
			return 1;
		}
		d->now = now_ms();
		if (pfd[0].revents)
			handle_signals(d, sfd);
		if (pfd[1].revents) {
			if (read(tfd, &ticks, sizeof(ticks)) < 0)
				ticks = 0;
			bgpd_tick(d);
			probe_tick(d);
			borrower_tick(d);
			for (i = 0; i < d->nlenders; i++)
				lender_tick(&d->lenders[i]);
			d->dirty = true;	/* deadlines and hold timers */
		}
		if (pfd[2].revents)
			mod_event_read(d->mod);
		if (pfd[3].revents && d->bgp.up)
			bgpd_dispatch(d);
		if (pfd[4].revents)
			probe_read(d);
		metrics_handle(d, pfd + nmet, nctl - nmet);
		ctl_handle(d, pfd + nctl, n - nctl);
		/* a simulated module's timers and events */
		mod_tick(d->mod, d->now);
		for (i = 0; i < d->nlenders; i++)
			if (d->lenders[i].mod != d->mod)
				mod_tick(d->lenders[i].mod, d->now);
		if (d->dirty)
			reconcile(d);
		ctl_handle(d, pfd + nctl, 0);
	}
	return 0;
}

/* ------------------------------------------------------------- main */

static int ctl_main(int argc, char **argv)
{
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "-s")) {
		ipmemctl_daemon_socket(argv[2]);
		i = 3;
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "status"))
		return ipmemctl_bgp_status();
	if (!strcmp(argv[i], "borrow"))
		return ipmemctl_borrow(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "release"))
		return ipmemctl_release(argc - i - 1, argv + i + 1);
	usage(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *conf_path = CONF_DEFAULT;
	bool fg = false, explicit_conf = false, check = false, ready = false;
	struct itimerspec its = { { 0, TICK_MS * 1000000 },
				  { 0, TICK_MS * 1000000 } };
	static struct ipmemd dd;
	struct ipmemd *d = &dd;
	char *text = NULL, err[300];
	int opt, verbose = 0, ret = 1, sfd = -1, tfd = -1, ready_fd = -1;
	sigset_t mask;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("ipmemd %s (wire protocol %d, BGP encoding version %d)\n",
		       IPMEM_VERSION, IPMEM_WIRE_VERSION, IPMEM_BGP_VERSION);
		return 0;
	}
	while ((opt = getopt(argc, argv, "c:fvth")) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			explicit_conf = true;
			break;
		case 'f':
			fg = true;
			break;
		case 'v':
			verbose++;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	log_init(true, verbose);
	conf_defaults(&d->conf);
	ret = ipmemd_read_file(conf_path, &text);
	if (ret && (explicit_conf || ret != -ENOENT)) {
		log_err("cannot read %s: %s", conf_path, strerror(-ret));
		return 1;
	}
	if (!ret && conf_parse(&d->conf, text, err, sizeof(err))) {
		log_err("%s: %s", conf_path, err);
		free(text);
		return 1;
	}
	free(text);
	d->conf_path = conf_path;
	d->conf_file = malloc(sizeof(*d->conf_file));
	if (!d->conf_file) {
		log_err("out of memory");
		return 1;
	}
	*d->conf_file = d->conf;
	if (load_secrets(d) || setup_identity(d))
		return 1;
	if (check) {
		printf("%s: the configuration is valid\n", conf_path);
		return 0;
	}

	/* from here on, every way out that is not a clean stop is a failure */
	ret = 1;
	if (!fg) {
		if (daemonize(&ready_fd)) {
			log_err("cannot become a daemon: %m");
			return 1;
		}
		log_init(false, verbose);
	}
	d->now = d->started = now_ms();
	d->ctl_fd = d->status_fd = d->metrics_fd = -1;
	d->probe.fd = -1;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		log_err("signalfd/timerfd: %m");
		goto out;
	}

	if (mkdir(d->conf.state_dir, 0700) && errno != EEXIST) {
		log_err("cannot create %s: %m", d->conf.state_dir);
		goto out;
	}
	if (rib_init(&d->rib))
		goto out;
	d->mod = mod_open(d->conf.fake_module, mod_event, NULL);
	if (!d->mod) {
		log_err("out of memory");
		goto out;
	}
	mod_sim_set_refill(d->mod, d->conf.sim_refill);
	if (mod_set_host(d->mod, d->ctx.net, d->host)) {
		log_err("setting the host id: %s", mod_err(d->mod));
		goto out;
	}
	if (push_keys(d))
		goto out;
	log_info("ipmemd %s; host %s, data plane %s, network %s, AS %u%s",
		 IPMEM_VERSION, fmt_host(d->host, (char[16]){ 0 }),
		 fmt_addr(d->addr, (char[46]){ 0 }),
		 pfx_str(d->ctx.net, IPMEM_NET_PLEN), d->conf.asn,
		 d->conf.fake_module ? " (simulated module)" : "");
	borrower_init(d);
	if (ctl_init(d) || metrics_init(d))
		goto out;
	/* gRPC core starts threads: only now, after any fork */
	if (bgpd_init(d))
		goto out;
	if (setup_lenders(d))
		goto out;
	/* the module's events are its (single) lender's */
	if (!d->conf.sim_lenders)
		mod_set_handler(d->mod, mod_event, &d->lenders[0]);
	probe_init(d);
	sd_notify_ready();
	log_info("ready; control socket %s", d->conf.socket);
	daemon_ready(&ready_fd);
	ready = true;

	ret = loop(d, sfd, tfd);
out:
	bgpd_stop(d);
	ctl_close(d);
	metrics_close(d);
	probe_close(d);
	borrower_free(d);
	while (d->nlenders--) {
		if (d->lenders[d->nlenders].mod != d->mod)
			mod_close(d->lenders[d->nlenders].mod);
		lender_free(&d->lenders[d->nlenders]);
	}
	free(d->lenders);
	mod_close(d->mod);
	rib_free(&d->rib);
	free(d->peer_keys);
	free(d->conf_file);
	memset(d->host_key, 0, sizeof(d->host_key));
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (ret && !ready)
		log_err("could not start (see above); stopped");
	else if (ret)
		log_err("stopped with an error (exit status %d)", ret);
	else
		log_info("stopped");
	if (ready_fd >= 0)
		close(ready_fd);
	return ret;
}
