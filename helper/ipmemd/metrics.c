// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - ipmemd's and the module's counters for Prometheus.
 *
 * With metrics-listen ADDR:PORT in ipmemd.conf, ipmemd answers
 * "GET /metrics" on that TCP address with the text exposition format
 * (version 0.0.4), one request per connection.  Everything is read when
 * the request comes: ipmemd's own state (BGP, the pool view M and V, the
 * lenders it knows, its pool, its borrows) and, from the module, each
 * disk's counters.  The names and labels are in Documentation/ipmemd.rst,
 * "Metrics".  It is off by default; bind it to loopback or a management
 * address (nothing here checks who asks).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ipmem/version.h>

#include "ipmemd.h"

#define METRICS_CLIENTS	8
#define METRICS_REQ_MAX	2048

struct metrics_client {
	int fd;
	char in[METRICS_REQ_MAX];
	size_t inlen;
	char *out;
	size_t outlen, sent;
};

static struct metrics_client clients[METRICS_CLIENTS];

/* "ADDR:PORT", "[ADDR6]:PORT" -> a listening socket */
int metrics_init(struct ipmemd *d)
{
	char host[128], *port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int fd, one = 1, ret, i;

	d->metrics_fd = -1;
	for (i = 0; i < METRICS_CLIENTS; i++)
		clients[i].fd = -1;
	if (!d->conf.metrics_listen[0])
		return 0;
	snprintf(host, sizeof(host), "%s", d->conf.metrics_listen);
	port = strrchr(host, ':');
	if (!port)
		return -EINVAL;	/* the configuration parser checked it */
	*port++ = 0;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret) {
		log_err("metrics-listen %s: %s", d->conf.metrics_listen,
			gai_strerror(ret));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 8)) {
		ret = -errno;
		log_err("metrics-listen %s: %m", d->conf.metrics_listen);
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return ret;
	}
	freeaddrinfo(ai);
	d->metrics_fd = fd;
	log_info("metrics on http://%s/metrics", d->conf.metrics_listen);
	return 0;
}

static void client_close(struct metrics_client *c)
{
	close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void metrics_close(struct ipmemd *d)
{
	int i;

	for (i = 0; i < METRICS_CLIENTS; i++)
		if (clients[i].fd >= 0)
			client_close(&clients[i]);
	if (d->metrics_fd >= 0)
		close(d->metrics_fd);
	d->metrics_fd = -1;
}

size_t metrics_pollfds(struct ipmemd *d, struct pollfd *pfd, size_t n,
		       size_t max)
{
	int i;

	if (d->metrics_fd >= 0 && n < max) {
		pfd[n].fd = d->metrics_fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	for (i = 0; i < METRICS_CLIENTS && n < max; i++) {
		if (clients[i].fd < 0)
			continue;
		pfd[n].fd = clients[i].fd;
		pfd[n].events = clients[i].out ? POLLOUT : POLLIN;
		pfd[n++].revents = 0;
	}
	return n;
}

/* ------------------------------------------------------------ the text */

static void help(FILE *f, const char *name, const char *type,
		 const char *text)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

static void metric(FILE *f, const char *name, const char *type,
		   const char *text, uint64_t v)
{
	help(f, name, type, text);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

/* the module's disks: their counters, by enum ipmem_stat */
static const struct {
	int stat;
	const char *name;
	const char *type;
	const char *help;
} disk_stats[] = {
	{ IPMEM_STAT_READS, "ipmem_disk_reads_total", "counter",
	  "Read requests completed." },
	{ IPMEM_STAT_WRITES, "ipmem_disk_writes_total", "counter",
	  "Write requests completed." },
	{ IPMEM_STAT_READ_BYTES, "ipmem_disk_read_bytes_total", "counter",
	  "Bytes read." },
	{ IPMEM_STAT_WRITE_BYTES, "ipmem_disk_written_bytes_total", "counter",
	  "Bytes written." },
	{ IPMEM_STAT_DISCARDS, "ipmem_disk_discards_total", "counter",
	  "Discard requests." },
	{ IPMEM_STAT_ERRORS, "ipmem_disk_errors_total", "counter",
	  "Requests that failed with an I/O error." },
	{ IPMEM_STAT_FAILOVERS, "ipmem_disk_failovers_total", "counter",
	  "Reads served by another copy than the first choice." },
	{ IPMEM_STAT_INFLIGHT, "ipmem_disk_inflight_requests", "gauge",
	  "Requests in flight now." },
	{ IPMEM_STAT_REFILLS, "ipmem_disk_refills_total", "counter",
	  "Extent copies refilled from a current copy." },
	{ IPMEM_STAT_LOST_PAGES, "ipmem_disk_lost_pages", "gauge",
	  "Pages whose data has no copy left (their reads fail)." },
	{ IPMEM_STAT_INTEGRITY_ERRORS, "ipmem_disk_integrity_errors_total",
	  "counter", "Pages a lender returned altered, stale or zeroed." },
	{ IPMEM_STAT_UNMAPPED_WAITS, "ipmem_disk_unmapped_waits_total",
	  "counter", "Writes that waited for a copy of their extent." },
};

/*
 * The read latency histogram: the module's buckets are log-linear, eight
 * per power of two; the powers of two (1 us to 16.8 s) are exact bounds
 * of it, and enough buckets for a graph or a quantile.
 */
static void write_latency(FILE *f, const struct mod_disk *dk, size_t n)
{
	uint64_t cum, bound;
	size_t i;
	int b;

	help(f, "ipmem_disk_read_latency_seconds", "histogram",
	     "Read (swap-in) latency, from the request to its data.");
	for (i = 0; i < n; i++) {
		if (!dk[i].has_lat)
			continue;
		cum = 0;
		for (b = 0; b < IPMEM_LAT_BUCKETS; b++) {
			cum += dk[i].lat[b];
			bound = ipmem_lat_bound(b);
			/* the last bucket also holds every slower read */
			if (b == IPMEM_LAT_BUCKETS - 1 || (bound & (bound - 1)))
				continue;
			fprintf(f, "ipmem_disk_read_latency_seconds_bucket{disk=\"%s\",le=\"%" PRIu64 ".%06" PRIu64 "\"} %" PRIu64 "\n",
				dk[i].name, bound / 1000000, bound % 1000000,
				cum);
		}
		fprintf(f, "ipmem_disk_read_latency_seconds_bucket{disk=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
			dk[i].name, cum);
		fprintf(f, "ipmem_disk_read_latency_seconds_sum{disk=\"%s\"} %" PRIu64 ".%06" PRIu64 "\n",
			dk[i].name, dk[i].lat_sum_us / 1000000,
			dk[i].lat_sum_us % 1000000);
		fprintf(f, "ipmem_disk_read_latency_seconds_count{disk=\"%s\"} %" PRIu64 "\n",
			dk[i].name, cum);
	}
}

static void write_disks(struct ipmemd *d, FILE *f)
{
	struct mod_disk *dk = NULL;
	size_t n = 0, i, s;

	if (mod_disk_list(d->mod, &dk, &n))
		return;		/* no module: no disks to tell of */
	help(f, "ipmem_disk_bytes", "gauge", "The size of each ipmem disk.");
	for (i = 0; i < n; i++)
		fprintf(f, "ipmem_disk_bytes{disk=\"%s\"} %" PRIu64 "\n",
			dk[i].name, dk[i].size);
	help(f, "ipmem_disk_copies_mapped", "gauge",
	     "Extent copies mapped (extents times replicas when complete).");
	for (i = 0; i < n; i++)
		fprintf(f, "ipmem_disk_copies_mapped{disk=\"%s\"} %" PRIu64 "\n",
			dk[i].name, dk[i].mapped);
	write_latency(f, dk, n);
	for (s = 0; s < sizeof(disk_stats) / sizeof(disk_stats[0]); s++) {
		help(f, disk_stats[s].name, disk_stats[s].type,
		     disk_stats[s].help);
		for (i = 0; i < n; i++)
			if (dk[i].has_stats)
				fprintf(f, "%s{disk=\"%s\"} %" PRIu64 "\n",
					disk_stats[s].name, dk[i].name,
					dk[i].stats[disk_stats[s].stat]);
	}
	free(dk);
}

/* one gauge per lender in the pool view: M_i (@free false) or V_i */
static void write_lenders(struct ipmemd *d, FILE *f, const char *name,
			  bool free)
{
	struct rib_entry *e;
	char hb[16];
	size_t i;

	for (i = 0; i < d->nlenders; i++)
		if (d->lenders[i].has_pool)
			fprintf(f, "%s{lender=\"%s\"} %" PRIu64 "\n", name,
				fmt_host(d->lenders[i].host, hb),
				free ? lender_announced_free(&d->lenders[i]) :
				d->lenders[i].pool.total);
	rib_for_each(&d->rib, IPMEM_BGP_KIND_POOL, e)
		fprintf(f, "%s{lender=\"%s\"} %" PRIu64 "\n", name,
			fmt_host(e->eff->host, hb),
			free ? e->eff->pool.free : e->eff->pool.total);
}

/* the BGP pool view, and the lenders in it */
static void write_cluster(struct ipmemd *d, FILE *f)
{
	struct rib_entry *e;
	uint64_t M, V, nl;
	char hb[16];
	uint32_t us;

	pool_view(d, &M, &V, &nl);
	metric(f, "ipmem_cluster_blocks", "gauge",
	       "M: blocks all lenders announce.", M);
	metric(f, "ipmem_cluster_free_blocks", "gauge",
	       "V: blocks the lenders have free.", V);
	metric(f, "ipmem_cluster_lenders", "gauge",
	       "Lenders announcing a pool.", nl);
	help(f, "ipmem_lender_blocks", "gauge", "M_i of each lender.");
	write_lenders(d, f, "ipmem_lender_blocks", false);
	help(f, "ipmem_lender_free_blocks", "gauge", "V_i of each lender.");
	write_lenders(d, f, "ipmem_lender_free_blocks", true);
	help(f, "ipmem_lender_latency_seconds", "gauge",
	     "The last measured round trip to each remote lender.");
	rib_for_each(&d->rib, IPMEM_BGP_KIND_POOL, e) {
		us = probe_latency(d, e->eff->host);
		if (us)
			fprintf(f, "ipmem_lender_latency_seconds{lender=\"%s\"} %u.%06u\n",
				fmt_host(e->eff->host, hb), us / 1000000,
				us % 1000000);
	}
}

/* the lenders the module borrows from: connection state and losses */
static void write_module_lenders(struct ipmemd *d, FILE *f)
{
	static const char *const names[] = {
		[IPMEM_CONN_CONNECTING] = "connecting",
		[IPMEM_CONN_LIVE] = "live",
		[IPMEM_CONN_RECONNECTING] = "reconnecting",
		[IPMEM_CONN_DELETING] = "deleting",
	};
	struct mod_lender *l = NULL;
	size_t n = 0, i;
	unsigned int s;
	char hb[16];

	if (mod_lender_list(d->mod, &l, &n))
		return;
	help(f, "ipmem_borrower_lender_state", "gauge",
	     "1 for the state each lender this host borrows from is in.");
	for (i = 0; i < n; i++)
		for (s = 0; s < sizeof(names) / sizeof(names[0]); s++)
			if (names[s])
				fprintf(f, "ipmem_borrower_lender_state{lender=\"%s\",state=\"%s\"} %d\n",
					fmt_host(l[i].host, hb), names[s],
					l[i].state == s);
	help(f, "ipmem_borrower_lender_copies_mapped", "gauge",
	     "Extent copies mapped to each lender.");
	for (i = 0; i < n; i++)
		fprintf(f, "ipmem_borrower_lender_copies_mapped{lender=\"%s\"} %" PRIu64 "\n",
			fmt_host(l[i].host, hb), l[i].mapped);
	help(f, "ipmem_borrower_lender_losses_total", "counter",
	     "Times each lender was lost.");
	for (i = 0; i < n; i++)
		fprintf(f, "ipmem_borrower_lender_losses_total{lender=\"%s\"} %" PRIu64 "\n",
			fmt_host(l[i].host, hb), l[i].losses);
	free(l);
}

/* elastic borrowing (with elastic-max): what it holds and has done */
static void write_elastic(struct ipmemd *d, FILE *f)
{
	const struct elastic_view *v = &d->bor.elastic_view;
	const struct borrower *br = &d->bor;

	if (!d->conf.elastic.max)
		return;
	metric(f, "ipmem_elastic_max_bytes", "gauge",
	       "elastic-max: what the policy may borrow.", d->conf.elastic.max);
	metric(f, "ipmem_elastic_borrowed_bytes", "gauge",
	       "What the policy has borrowed.", v->elastic);
	metric(f, "ipmem_elastic_swap_bytes", "gauge",
	       "Swap on ipmem disks, at the last look.", v->swap_size);
	metric(f, "ipmem_elastic_swap_used_bytes", "gauge",
	       "Swap on ipmem disks in use, at the last look.", v->swap_used);
	help(f, "ipmem_elastic_memory_pressure", "gauge",
	     "Memory pressure (some avg10, 0 to 1) at the last look.");
	fprintf(f, "ipmem_elastic_memory_pressure %u.%04u\n",
		v->psi_avg10 / 10000, v->psi_avg10 % 10000);
	metric(f, "ipmem_elastic_grows_total", "counter",
	       "Steps that borrowed one more disk.", br->elastic_grows);
	metric(f, "ipmem_elastic_give_backs_total", "counter",
	       "Elastic disks given back.", br->elastic_shrinks);
	metric(f, "ipmem_elastic_failures_total", "counter",
	       "Steps that failed (a borrow, a swapoff or a release).",
	       br->elastic_fails);
}

static void write_metrics(struct ipmemd *d, FILE *f)
{
	static const char *const states[] = { "acquiring", "ready",
					      "releasing" };
	uint64_t nb[3] = {}, held, nreq;
	struct borrow *b;
	char hb[16];
	size_t i;

	help(f, "ipmem_info", "gauge", "This ipmemd: its release and host id.");
	fprintf(f, "ipmem_info{version=\"%s\",host_id=\"%s\"} 1\n",
		IPMEM_VERSION, fmt_host(d->host, hb));
	metric(f, "ipmem_bgp_peers", "gauge", "BGP neighbors configured.",
	       d->bgp.npeers);
	metric(f, "ipmem_bgp_peers_established", "gauge",
	       "BGP neighbors in state established.", bgpd_established(d));
	metric(f, "ipmem_bgp_routes", "gauge",
	       "ipmem routes received and kept.", d->rib.nentries);
	metric(f, "ipmem_bgp_route_updates_total", "counter",
	       "ipmem route updates received (announcements and withdrawals).",
	       d->rib.updates);
	metric(f, "ipmem_bgp_routes_ignored_total", "counter",
	       "Routes ignored (malformed, foreign or unsigned).",
	       d->rib.ignored);
	metric(f, "ipmem_bgp_routes_dropped_total", "counter",
	       "Routes dropped because a neighbor passed max-routes.",
	       d->rib.dropped);
	write_cluster(d, f);

	/* this host's pool, as its lender side sees it */
	for (i = 0; i < d->nlenders && i < 1; i++) {
		if (!d->lenders[i].has_pool)
			continue;
		lender_held(&d->lenders[i], &held, &nreq);
		metric(f, "ipmem_pool_blocks", "gauge",
		       "Blocks in this host's pool.", d->lenders[i].pool.total);
		metric(f, "ipmem_pool_free_blocks", "gauge",
		       "Blocks of this host's pool neither granted nor reserved.",
		       d->lenders[i].pool.free);
		metric(f, "ipmem_pool_granted_blocks", "gauge",
		       "Blocks of this host's pool granted or reserved.", held);
		metric(f, "ipmem_pool_requests", "gauge",
		       "Borrowers' requests this host's pool serves.", nreq);
		metric(f, "ipmem_pool_draining", "gauge",
		       "1 while this host's pool is drained (grants nothing new).",
		       d->lenders[i].draining);
		metric(f, "ipmem_pool_shrink_to_blocks", "gauge",
		       "Blocks a waiting lend shrink keeps (0: none waits).",
		       d->lenders[i].pool.shrink_to);
	}

	for (b = d->bor.borrows; b; b = b->next)
		nb[b->state == BORROW_ACQUIRING ? 0 :
		   b->state == BORROW_READY ? 1 : 2]++;
	help(f, "ipmem_borrows", "gauge", "This host's borrows, by state.");
	for (i = 0; i < 3; i++)
		fprintf(f, "ipmem_borrows{state=\"%s\"} %" PRIu64 "\n",
			states[i], nb[i]);
	metric(f, "ipmem_drain_moves_total", "counter",
	       "Copies moved off a draining lender.", d->bor.moves);
	metric(f, "ipmem_drain_moved_blocks_total", "counter",
	       "Blocks moved off draining lenders.", d->bor.moved_blocks);
	metric(f, "ipmem_drain_move_failures_total", "counter",
	       "Moves that could not start or were given up (tried again later).",
	       d->bor.move_fails);
	write_elastic(d, f);
	write_disks(d, f);
	write_module_lenders(d, f);
}

/* ------------------------------------------------------------- serving */

static void respond(struct ipmemd *d, struct metrics_client *c)
{
	char *body = NULL, *head;
	size_t blen = 0;
	FILE *f;
	int n;

	if (strncmp(c->in, "GET /metrics ", 13) &&
	    strncmp(c->in, "GET /metrics?", 13)) {
		c->out = strdup("HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nonly /metrics is here\n");
		c->outlen = c->out ? strlen(c->out) : 0;
		return;
	}
	f = open_memstream(&body, &blen);
	if (!f)
		return;
	write_metrics(d, f);
	fclose(f);
	n = asprintf(&head, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     blen, body);
	free(body);
	if (n < 0)
		return;
	c->out = head;
	c->outlen = n;
}

void metrics_handle(struct ipmemd *d, struct pollfd *pfd, size_t n)
{
	struct metrics_client *c;
	size_t i;
	ssize_t r;
	int fd, k;

	for (i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == d->metrics_fd) {
			fd = accept4(d->metrics_fd, NULL, NULL,
				     SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				continue;
			for (k = 0; k < METRICS_CLIENTS && clients[k].fd >= 0; k++)
				;
			if (k == METRICS_CLIENTS) {
				close(fd);	/* busy: the scraper retries */
				continue;
			}
			clients[k].fd = fd;
			continue;
		}
		for (k = 0; k < METRICS_CLIENTS; k++)
			if (clients[k].fd == pfd[i].fd)
				break;
		if (k == METRICS_CLIENTS)
			continue;
		c = &clients[k];
		if (!c->out) {
			r = read(c->fd, c->in + c->inlen,
				 sizeof(c->in) - 1 - c->inlen);
			if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
				client_close(c);
				continue;
			}
			if (r < 0)
				continue;
			c->inlen += r;
			c->in[c->inlen] = 0;
			if (!strstr(c->in, "\r\n\r\n") && !strstr(c->in, "\n\n")) {
				if (c->inlen == sizeof(c->in) - 1)
					client_close(c);	/* too long */
				continue;
			}
			respond(d, c);
			if (!c->out) {
				client_close(c);
				continue;
			}
		}
		r = send(c->fd, c->out + c->sent, c->outlen - c->sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN)
			continue;
		if (r <= 0) {
			client_close(c);
			continue;
		}
		c->sent += r;
		if (c->sent == c->outlen)
			client_close(c);
	}
}
