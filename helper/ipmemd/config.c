// SPDX-License-Identifier: GPL-2.0
/*
 * config.c - ipmemd's configuration file: one "key value..." per line,
 * '#' starts a comment.  Every key and its default is in
 * Documentation/ipmemd.rst and in helper/ipmemd/ipmemd.conf.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "parse.h"
#include "codec.h"

void conf_defaults(struct ipmemd_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->asn = IPMEM_BGP_ASN_DEFAULT;
	inet_pton(AF_INET6, IPMEM_DEFAULT_NET, c->net);
	c->port = IPMEM_PORT;
	c->block_size = IPMEM_BLOCK_SIZE_DEFAULT;
	c->bgp_port = 179;
	snprintf(c->gobgpd, sizeof(c->gobgpd), "/usr/bin/gobgpd");
	snprintf(c->gobgpd_api, sizeof(c->gobgpd_api),
		 "unix:///run/ipmemd/gobgpd.sock");
	snprintf(c->socket, sizeof(c->socket), "/run/ipmemd.sock");
	snprintf(c->state_dir, sizeof(c->state_dir), "/run/ipmemd");
	c->reserve_timeout = 10000;
	c->request_timeout = 30000;
	c->grant_hold = 300000;
	c->release_timeout = 20000;
	c->probe_interval = 10000;
	c->disk_poll = 2000;
	c->ignored_log_interval = 60000;
	c->rights = IPMEM_RIGHTS_RW;
	c->replicas = 1;
	c->exclude_self = true;
	c->endpoint_nexthop = false;
	c->max_routes = 100000;
	c->sim_lend = 64ULL << 20;
	c->elastic.step = 256ULL << 20;
	c->elastic.high = 80;
	c->elastic.low = 25;
	c->elastic.hold = 60000;
	c->drain_hold = 60000;
	c->move_stall = 120000;
	c->sim_refill = 1000;
	c->elastic.priority = UINT32_MAX;
	snprintf(c->proc, sizeof(c->proc), "/proc");
}

int conf_parse_duration(const char *s, uint32_t *ms)
{
	unsigned long long v, mul = 1000;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		mul = 1;
	else if (!*end || !strcmp(end, "s"))
		mul = 1000;
	else if (!strcmp(end, "m"))
		mul = 60000;
	else if (!strcmp(end, "h"))
		mul = 3600000;
	else
		return -EINVAL;
	if (v > UINT32_MAX / mul)
		return -ERANGE;
	*ms = v * mul;
	return 0;
}

static int __attribute__((format(printf, 3, 4)))
cerr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int copy_str(char *dst, size_t size, const char *v, const char *key,
		    char *err, size_t len)
{
	if (strlen(v) >= size)
		return cerr(err, len, "%s: '%s' is too long", key, v);
	strcpy(dst, v);
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") ||
	    !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") ||
		 !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static bool is_ip(const char *s)
{
	uint8_t a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/*
 * peer ADDR [as N] [passive] [rr-client] [port P] [local-address A]
 *	[password-file PATH]
 */
static int parse_peer(struct ipmemd_conf *c, char **w, int n, char *err,
		      size_t len)
{
	struct conf_peer *p;
	uint32_t v;
	int i;

	if (n < 2)
		return cerr(err, len, "peer: give an address");
	if (c->npeers >= CONF_MAX_PEERS)
		return cerr(err, len, "peer: at most %d peers", CONF_MAX_PEERS);
	p = &c->peers[c->npeers];
	memset(p, 0, sizeof(*p));
	if (!is_ip(w[1]) || strlen(w[1]) >= sizeof(p->addr))
		return cerr(err, len, "peer: '%s' is not an IP address", w[1]);
	strcpy(p->addr, w[1]);
	for (i = 2; i < n; i++) {
		if (!strcmp(w[i], "passive")) {
			p->passive = true;
		} else if (!strcmp(w[i], "rr-client")) {
			p->rr_client = true;
		} else if (i + 1 < n && !strcmp(w[i], "as")) {
			if (ipmem_parse_u32(w[++i], &p->asn) || !p->asn)
				return cerr(err, len, "peer: bad AS '%s'", w[i]);
		} else if (i + 1 < n && !strcmp(w[i], "port")) {
			if (ipmem_parse_u32(w[++i], &v) || !v || v > 65535)
				return cerr(err, len, "peer: bad port '%s'", w[i]);
			p->port = v;
		} else if (i + 1 < n && !strcmp(w[i], "local-address")) {
			if (!is_ip(w[++i]) || strlen(w[i]) >= sizeof(p->local_addr))
				return cerr(err, len, "peer: bad local address '%s'",
					    w[i]);
			strcpy(p->local_addr, w[i]);
		} else if (i + 1 < n && !strcmp(w[i], "password-file")) {
			/* read at start (ipmemd_load_secrets()): parsing is pure */
			if (w[++i][0] != '/')
				return cerr(err, len, "peer: password-file: give an absolute path");
			if (copy_str(p->password_file, sizeof(p->password_file),
				     w[i], "peer: password-file", err, len))
				return -EINVAL;
		} else {
			return cerr(err, len, "peer: unknown option '%s'", w[i]);
		}
	}
	c->npeers++;
	return 0;
}

#define MAX_WORDS 16

int conf_parse_line(struct ipmemd_conf *c, const char *line, char *err,
		    size_t len)
{
	char buf[512], *w[MAX_WORDS], *p, *k, *v;
	uint8_t plen;
	uint64_t size;
	uint32_t u;
	int n = 0;
	struct {
		const char *key;
		uint32_t *ms;
	} durations[] = {
		{ "reserve-timeout", &c->reserve_timeout },
		{ "request-timeout", &c->request_timeout },
		{ "grant-hold", &c->grant_hold },
		{ "release-timeout", &c->release_timeout },
		{ "probe-interval", &c->probe_interval },
		{ "disk-poll", &c->disk_poll },
		{ "elastic-hold", &c->elastic.hold },
		{ "drain-hold", &c->drain_hold },
		{ "move-stall", &c->move_stall },
		{ "sim-refill", &c->sim_refill },
		{ "ignored-log-interval", &c->ignored_log_interval },
	};
	size_t i;

	if (strlen(line) >= sizeof(buf))
		return cerr(err, len, "line too long");
	strcpy(buf, line);
	p = strchr(buf, '#');
	if (p)
		*p = 0;
	for (p = strtok(buf, " \t\r\n"); p; p = strtok(NULL, " \t\r\n")) {
		if (n == MAX_WORDS)
			return cerr(err, len, "too many words");
		w[n++] = p;
	}
	if (!n)
		return 0;
	k = w[0];
	if (!strcmp(k, "peer"))
		return parse_peer(c, w, n, err, len);
	if (n != 2)
		return cerr(err, len, "%s: takes exactly one value", k);
	v = w[1];

	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		if (strcmp(k, durations[i].key))
			continue;
		if (conf_parse_duration(v, durations[i].ms) ||
		    !*durations[i].ms)
			return cerr(err, len, "%s: '%s' is not a duration", k, v);
		/* the module's table is looked at every 2 s */
		if (durations[i].ms == &c->move_stall && c->move_stall < 3000)
			return cerr(err, len, "move-stall: at least 3s, not '%s'", v);
		return 0;
	}

	if (!strcmp(k, "asn")) {
		if (ipmem_parse_u32(v, &c->asn) || !c->asn)
			return cerr(err, len, "asn: '%s' is not an AS number", v);
	} else if (!strcmp(k, "router-id")) {
		struct in_addr a;

		if (inet_pton(AF_INET, v, &a) != 1)
			return cerr(err, len, "router-id: '%s' is not a dotted quad", v);
		snprintf(c->router_id, sizeof(c->router_id), "%s", v);
	} else if (!strcmp(k, "network")) {
		if (ipmem_parse_prefix(v, c->net, &plen) || plen != 48 ||
		    !ipmem_addr_bits_clear(c->net, 48))
			return cerr(err, len, "network: '%s' is not an IPv6 /48", v);
	} else if (!strcmp(k, "host-id")) {
		if (ipmem_parse_host_id(v, &c->host_id))
			return cerr(err, len, "host-id: '%s' is not a host id", v);
		c->have_host_id = true;
	} else if (!strcmp(k, "dev")) {
		return copy_str(c->dev, sizeof(c->dev), v, k, err, len);
	} else if (!strcmp(k, "address")) {
		if (ipmem_parse_addr(v, c->addr))
			return cerr(err, len, "address: '%s' is not an IPv6 address", v);
		c->have_addr = true;
	} else if (!strcmp(k, "port")) {
		if (ipmem_parse_u32(v, &u) || !u || u > 65535)
			return cerr(err, len, "port: '%s' is not a port", v);
		c->port = u;
	} else if (!strcmp(k, "block-size")) {
		if (ipmem_parse_size(v, &size) || size > UINT32_MAX ||
		    ipmem_block_shift(size) < 0)
			return cerr(err, len, "block-size: '%s' is not 4K, 8K, 16K, 32K or 64K", v);
		c->block_size = size;
	} else if (!strcmp(k, "lend")) {
		if (ipmem_parse_size(v, &c->lend))
			return cerr(err, len, "lend: '%s' is not a size", v);
	} else if (!strcmp(k, "bgp-port")) {
		if (!strcmp(v, "none")) {
			c->bgp_port = -1;
		} else {
			if (ipmem_parse_u32(v, &u) || !u || u > 65535)
				return cerr(err, len, "bgp-port: '%s' is not a port", v);
			c->bgp_port = u;
		}
	} else if (!strcmp(k, "bgp-listen")) {
		if (!is_ip(v))
			return cerr(err, len, "bgp-listen: '%s' is not an IP address", v);
		return copy_str(c->bgp_listen, sizeof(c->bgp_listen), v, k,
				err, len);
	} else if (!strcmp(k, "gobgpd")) {
		if (!strcmp(v, "external")) {
			c->gobgpd[0] = 0;
			return 0;
		}
		if (v[0] != '/')
			return cerr(err, len, "gobgpd: give an absolute path or 'external'");
		return copy_str(c->gobgpd, sizeof(c->gobgpd), v, k, err, len);
	} else if (!strcmp(k, "gobgpd-api")) {
		/* a socket path, as gobgpd and gRPC write it: unix:///PATH */
		if (!strncmp(v, "unix://", 7))
			v += 7;
		if (v[0] == '/') {
			if (strlen(v) >= sizeof(((struct sockaddr_un *)0)->sun_path) ||
			    !strcmp(v, "/") || v[strlen(v) - 1] == '/')
				return cerr(err, len, "gobgpd-api: '%s' is not a socket path", v);
			if ((size_t)snprintf(c->gobgpd_api, sizeof(c->gobgpd_api),
					     "unix://%s", v) >= sizeof(c->gobgpd_api))
				return cerr(err, len, "gobgpd-api: '%s' is too long", v);
			return 0;
		}
		if (!strchr(v, ':'))
			return cerr(err, len, "gobgpd-api: give a socket path or HOST:PORT");
		return copy_str(c->gobgpd_api, sizeof(c->gobgpd_api), v, k,
				err, len);
	} else if (!strcmp(k, "gobgpd-log")) {
		return copy_str(c->gobgpd_log, sizeof(c->gobgpd_log), v, k,
				err, len);
	} else if (!strcmp(k, "host-key") || !strcmp(k, "host-keys")) {
		/* read at start (load_secrets()): parsing is pure */
		if (v[0] != '/')
			return cerr(err, len, "%s: give an absolute path", k);
		if (!strcmp(k, "host-key"))
			return copy_str(c->host_key, sizeof(c->host_key), v, k,
					err, len);
		return copy_str(c->host_keys, sizeof(c->host_keys), v, k, err,
				len);
	} else if (!strcmp(k, "socket")) {
		return copy_str(c->socket, sizeof(c->socket), v, k, err, len);
	} else if (!strcmp(k, "status-socket")) {
		return copy_str(c->status_socket, sizeof(c->status_socket), v,
				k, err, len);
	} else if (!strcmp(k, "metrics-listen")) {
		const char *colon = strrchr(v, ':');
		uint32_t port;

		if (!colon || colon == v ||
		    ipmem_parse_u32(colon + 1, &port) || !port || port > 65535)
			return cerr(err, len, "metrics-listen: ADDR:PORT or [ADDR6]:PORT, not '%s'",
				    v);
		return copy_str(c->metrics_listen, sizeof(c->metrics_listen), v,
				k, err, len);
	} else if (!strcmp(k, "status-group")) {
		return copy_str(c->status_group, sizeof(c->status_group), v, k,
				err, len);
	} else if (!strcmp(k, "state-dir")) {
		return copy_str(c->state_dir, sizeof(c->state_dir), v, k, err,
				len);
	} else if (!strcmp(k, "rights")) {
		if (!strcmp(v, "ro"))
			c->rights = IPMEM_RIGHTS_RO;
		else if (!strcmp(v, "rw"))
			c->rights = IPMEM_RIGHTS_RW;
		else
			return cerr(err, len, "rights: ro or rw, not '%s'", v);
	} else if (!strcmp(k, "max-routes")) {
		if (ipmem_parse_u32(v, &u) || !u)
			return cerr(err, len, "max-routes: '%s' is not a positive number", v);
		c->max_routes = u;
	} else if (!strcmp(k, "replicas")) {
		if (ipmem_parse_u32(v, &u) || !u || u > IPMEM_MAX_REPLICAS)
			return cerr(err, len, "replicas: 1 to %d, not '%s'",
				    IPMEM_MAX_REPLICAS, v);
		c->replicas = u;
	} else if (!strcmp(k, "borrow-from-self")) {
		bool b;

		if (parse_bool(v, &b))
			return cerr(err, len, "%s: yes or no, not '%s'", k, v);
		c->exclude_self = !b;
	} else if (!strcmp(k, "endpoint")) {
		if (!strcmp(v, "prefix"))
			c->endpoint_nexthop = false;
		else if (!strcmp(v, "address"))
			c->endpoint_nexthop = true;
		else
			return cerr(err, len, "endpoint: prefix or address, not '%s'", v);
	} else if (!strcmp(k, "auto-borrow")) {
		if (ipmem_parse_size(v, &c->auto_borrow))
			return cerr(err, len, "auto-borrow: '%s' is not a size", v);
	} else if (!strcmp(k, "auto-swapon")) {
		if (parse_bool(v, &c->auto_swapon))
			return cerr(err, len, "%s: yes or no, not '%s'", k, v);
	} else if (!strcmp(k, "elastic-parts")) {
		if (parse_bool(v, &c->elastic.parts))
			return cerr(err, len, "%s: yes or no, not '%s'", k, v);
	} else if (!strcmp(k, "elastic-max")) {
		if (ipmem_parse_size(v, &c->elastic.max))
			return cerr(err, len, "%s: '%s' is not a size", k, v);
	} else if (!strcmp(k, "elastic-step")) {
		if (ipmem_parse_size(v, &c->elastic.step) || !c->elastic.step)
			return cerr(err, len, "%s: '%s' is not a size", k, v);
	} else if (!strcmp(k, "elastic-high") || !strcmp(k, "elastic-low") ||
		   !strcmp(k, "elastic-psi") || !strcmp(k, "drain-psi")) {
		if (ipmem_parse_u32(v, &u) || u > 100)
			return cerr(err, len, "%s: a per cent, 0 to 100, not '%s'", k, v);
		if (!strcmp(k, "elastic-high"))
			c->elastic.high = u;
		else if (!strcmp(k, "elastic-low"))
			c->elastic.low = u;
		else if (!strcmp(k, "drain-psi"))
			c->drain_psi = u * 100;
		else
			c->elastic.psi = u * 100;
	} else if (!strcmp(k, "proc-dir")) {
		if (v[0] != '/')
			return cerr(err, len, "%s: an absolute path, not '%s'", k, v);
		return copy_str(c->proc, sizeof(c->proc), v, k, err, len);
	} else if (!strcmp(k, "swap-priority")) {
		if (ipmem_parse_u32(v, &u) || u > 32767)
			return cerr(err, len, "%s: 0 to 32767, not '%s'", k, v);
		c->elastic.priority = u;
	} else if (!strcmp(k, "module")) {
		if (!strcmp(v, "simulated"))
			c->fake_module = true;
		else if (!strcmp(v, "ipmem"))
			c->fake_module = false;
		else
			return cerr(err, len, "module: ipmem or simulated, not '%s'", v);
	} else if (!strcmp(k, "sim-lenders")) {
		if (ipmem_parse_u32(v, &c->sim_lenders) || c->sim_lenders > 100000)
			return cerr(err, len, "sim-lenders: '%s' is not a count", v);
	} else if (!strcmp(k, "sim-lend")) {
		if (ipmem_parse_size(v, &c->sim_lend) || !c->sim_lend)
			return cerr(err, len, "sim-lend: '%s' is not a size", v);
	} else {
		return cerr(err, len, "unknown option '%s'", k);
	}
	return 0;
}

int conf_parse(struct ipmemd_conf *c, const char *text, char *err,
	       size_t len)
{
	char line[512], msg[256];
	const char *p = text, *nl;
	unsigned int lineno = 0;
	size_t n;

	while (*p) {
		lineno++;
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n >= sizeof(line))
			return cerr(err, len, "line %u: too long", lineno);
		memcpy(line, p, n);
		line[n] = 0;
		if (conf_parse_line(c, line, msg, sizeof(msg)))
			return cerr(err, len, "line %u: %s", lineno, msg);
		p += n + (nl ? 1 : 0);
	}
	if (c->lend && c->lend % c->block_size)
		return cerr(err, len, "lend: not a multiple of the block size");
	if (c->elastic.max && c->elastic.low >= c->elastic.high)
		return cerr(err, len, "elastic-low (%u%%) must be below elastic-high (%u%%)",
			    c->elastic.low, c->elastic.high);
	if (c->elastic.max && c->elastic.max < c->elastic.step)
		return cerr(err, len, "elastic-max is less than one elastic-step");
	return 0;
}
