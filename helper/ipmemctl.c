// SPDX-License-Identifier: GPL-2.0
/*
 * ipmemctl: what a person types to lend, borrow and inspect ipmem memory.
 * Every command is one netlink request to ipmem.ko; errors print the
 * kernel's own message (see Documentation/ipmemctl.rst).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <ipmem/addr.h>
#include <ipmem/version.h>
#include <ipmem/wire.h>

#include "ipmemctl_daemon.h"
#include "nl.h"
#include "out.h"
#include "parse.h"
#include "secret.h"

static const char *prog = "ipmemctl";
static struct ipmem_nl nl;

static void usage(FILE *f)
{
	fprintf(f,
"usage: ipmemctl [-j [-p]] COMMAND [ARGUMENTS]\n"
"\n"
"This host\n"
"  host set [prefix NET/48] [id HOSTID | dev IFACE]\n"
"  host show\n"
"\n"
"Lender\n"
"  lend SIZE (dev IFACE | addr ADDR) [block-size BYTES] [port PORT]\n"
"            [prefix NET/48] [host-id HOSTID]\n"
"  lend shrink SIZE\n"
"  lend destroy\n"
"  lend drain | lend resume       (through ipmemd)\n"
"  grant add PREFIX borrower HOSTID rights ro|rw\n"
"  grant reserve COUNT borrower HOSTID rights ro|rw [timeout MS]\n"
"  grant confirm PREFIX\n"
"  grant del PREFIX [force]\n"
"  grant list\n"
"  peer list\n"
"\n"
"Borrower\n"
"  route add PREFIX via NEXTHOP [port PORT]\n"
"  route del PREFIX\n"
"  route list\n"
"  disk create SIZE [replicas N] [block-size BYTES] [disk ipmemN]\n"
"              [encrypt on|off]\n"
"              [prefix NET/48] [host-id HOSTID] [dev IFACE]\n"
"  disk del ipmemN\n"
"  disk list\n"
"  map add PREFIX disk ipmemN [extent E] [replica R]\n"
"  map del PREFIX [force] [free]\n"
"  map list [disk ipmemN] [free]\n"
"  lender list\n"
"  monitor [lender|grant|pool|map]...     the module's events, as they come\n"
"  borrow SIZE [rights ro|rw] [replicas N]   through ipmemd, over BGP\n"
"  release all|ipmemN|PREFIX                 through ipmemd\n"
"\n"
"Authentication (Documentation/security.rst)\n"
"  key generate FILE          a new private key for this host, into FILE\n"
"  key set FILE [slot 0|1]    give it to the module; prints the public key\n"
"  key del [slot 0|1]\n"
"  key show                   this host's public keys\n"
"  host-key add HOSTID KEY    the public key of another host\n"
"  host-key del HOSTID [KEY]\n"
"  host-key list\n"
"\n"
"Both\n"
"  status\n"
"  --version                  this ipmemctl's release, and the module's\n"
"\n"
"-j (--json) prints what a list, show, status or --version prints as JSON;\n"
"-p (--pretty) indents it.  Commands and subcommands may be shortened\n"
"(ipmemctl ma l), but not del and destroy.\n"
"\n"
"SIZE takes K, M, G, T suffixes (powers of 1024).  HOSTID is written\n"
"c0a8:a010, 0xc0a8a010 or as an IPv4 address (192.168.160.16).  The\n"
"network prefix defaults to " IPMEM_DEFAULT_NET "/48.\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/*
 * The netlink family is opened at the first request, so that every
 * argument is checked before anything is asked of the module; without the
 * module a request fails with -ENOPKG and nl.err says how to load it.
 */
static int request(struct nl_msg *msg, ipmem_nl_cb cb, void *arg)
{
	if (!nl.sk && ipmem_nl_open(&nl)) {
		nlmsg_free(msg);
		return -ENOPKG;
	}
	return ipmem_nl_send(&nl, msg, cb, arg);
}

/* A request failed in the kernel: say what it said. */
static int nl_fail(const char *what, int err)
{
	if (err == -EPERM)
		return fail("%s: operation not permitted (needs CAP_NET_ADMIN)",
			    what);
	return fail("%s: %s", what, nl.err[0] ? nl.err : strerror(-err));
}

/* ----------------------------------------------------------- arguments */

struct args {
	int argc;
	char **argv;
};

static const char *next_arg(struct args *a)
{
	if (!a->argc)
		return NULL;
	a->argc--;
	return *a->argv++;
}

/* The value after keyword @kw; a message and NULL if it is missing. */
static const char *kw_value(struct args *a, const char *kw)
{
	const char *v = next_arg(a);

	if (!v)
		fail("'%s' needs a value", kw);
	return v;
}

/*
 * The value after keyword @kw, if @kw is one of @known (NULL-terminated);
 * a message and NULL if it is not, or if its value is missing.
 */
static const char *kw_known(struct args *a, const char *kw, const char *what,
			    const char *const *known)
{
	for (; *known; known++)
		if (!strcmp(kw, *known))
			return kw_value(a, kw);
	fail("%s: unknown argument '%s'", what, kw);
	return NULL;
}

#define KW_VALUE(a, kw, what, ...)					\
	kw_known(a, kw, what, (const char *const []){ __VA_ARGS__, NULL })

/*
 * The subcommand of @obj that the next argument names among @words
 * (NULL-terminated): the word itself, or a prefix of exactly one ("map l"
 * for "map list"); a word marked '!' (one that takes something away) only
 * spelled out.  @dflt if there is no next argument; NULL, with a message,
 * if it names none of them (the caller exits 2).
 */
static const char *subcommand(struct args *a, const char *obj,
			      const char *dflt, const char *const *words)
{
	const char *sub = next_arg(a), *found = NULL, *w;
	size_t len;
	int n = 0;

	if (!sub)
		return dflt;
	len = strlen(sub);
	for (; *words; words++) {
		w = **words == '!' ? *words + 1 : *words;
		if (!strcmp(sub, w))
			return w;
		if (len && w == *words && !strncmp(sub, w, len)) {
			found = w;
			n++;
		}
	}
	if (n == 1)
		return found;
	fail("%s: %s command '%s' (try 'ipmemctl %s help')", obj,
	     n ? "ambiguous" : "unknown", sub, obj);
	return NULL;
}

#define SUBCOMMAND(a, obj, dflt, ...)					\
	subcommand(a, obj, dflt, (const char *const []){ __VA_ARGS__, NULL })

/* a command that takes no (more) arguments */
static int no_more(struct args *a, const char *what)
{
	const char *extra = next_arg(a);

	if (extra)
		return fail("%s: unexpected argument '%s'%s", what, extra,
			    *extra == '-' ?
			    " (options go first: ipmemctl -j COMMAND)" : "");
	return 0;
}

static void fmt_addr(const void *a, char *buf)
{
	inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

static const char *rights_name(int r)
{
	return r == IPMEM_RIGHTS_RW ? "rw" : r == IPMEM_RIGHTS_RO ? "ro" : "-";
}

static int parse_rights(const char *s, uint8_t *r)
{
	if (!strcmp(s, "ro"))
		*r = IPMEM_RIGHTS_RO;
	else if (!strcmp(s, "rw"))
		*r = IPMEM_RIGHTS_RW;
	else
		return fail("rights must be ro or rw, not '%s'", s);
	return 0;
}

static int parse_disk(const char *s, uint32_t *id)
{
	if (!strncmp(s, "/dev/", 5))
		s += 5;
	if (!strncmp(s, "ipmem", 5))
		s += 5;
	if (ipmem_parse_u32(s, id))
		return fail("'%s' is not a disk (ipmemN)", s);
	return 0;
}

/* The first IPv4 and global IPv6 addresses of @ifname. */
static int iface_addrs(const char *ifname, uint32_t *v4, bool *has_v4,
		       uint8_t v6[16], bool *has_v6)
{
	struct ifaddrs *ifa, *i;

	*has_v4 = *has_v6 = false;
	if (!if_nametoindex(ifname))
		return fail("no interface '%s'", ifname);
	if (getifaddrs(&ifa))
		return fail("getifaddrs: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && !*has_v4) {
			*v4 = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
			*has_v4 = true;
		} else if (i->ifa_addr->sa_family == AF_INET6 && !*has_v6) {
			struct in6_addr *a =
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(a))
				continue;
			memcpy(v6, a, 16);
			*has_v6 = true;
		}
	}
	freeifaddrs(ifa);
	return 0;
}

/* ------------------------------------------------------------ host id */

struct host_opts {
	const char *prefix;
	const char *id;
	const char *dev;
	bool id_ok;	/* "id" is accepted for "host-id" */
};

struct host_out {
	uint8_t *net;
	uint32_t *id;
};

static int host_get_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct host_out *out = arg;

	if (tb[IPMEM_A_NET_PREFIX])
		memcpy(out->net, nla_data(tb[IPMEM_A_NET_PREFIX]), 16);
	if (tb[IPMEM_A_HOST_ID])
		*out->id = nla_get_u32(tb[IPMEM_A_HOST_ID]);
	return 0;
}

static int host_get(uint8_t net[16], uint32_t *id)
{
	struct nl_msg *msg = ipmem_nl_msg(&nl, IPMEM_CMD_GET_HOST_ID, false);
	struct host_out out = { net, id };

	if (!msg)
		return -ENOMEM;
	return request(msg, host_get_cb, &out);
}

/*
 * Set the host id from @o.  With @only_if_unset, an identity already set
 * stays unless @o names one.
 */
static int host_apply(const struct host_opts *o, bool only_if_unset)
{
	uint8_t net[16] = {}, cur_net[16], v6[16], plen = 0;
	uint32_t id = 0, cur_id, v4 = 0;
	bool has_v4 = false, has_v6;
	const char *prefix = o->prefix ? o->prefix : IPMEM_DEFAULT_NET "/48";
	struct nl_msg *msg;
	bool has_id;
	int ret;

	/* every argument is checked before the module is asked anything */
	if (ipmem_parse_prefix(prefix, net, &plen) || plen != 48)
		return fail("network prefix must be an IPv6 /48, not '%s'",
			    prefix);
	if (o->id && ipmem_parse_host_id(o->id, &id))
		return fail("'%s' is not a host id", o->id);
	ret = host_get(cur_net, &cur_id);
	if (ret && ret != -ENOENT)
		return nl_fail("reading the host id", ret);
	has_id = !ret;
	if (only_if_unset && !o->prefix && !o->id && has_id)
		return 0;
	if (o->id) {
		;	/* parsed above */
	} else if (!o->dev && has_id) {
		id = cur_id;	/* a new prefix, the same host */
	} else if (o->dev) {
		if (iface_addrs(o->dev, &v4, &has_v4, v6, &has_v6))
			return 1;
		if (!has_v4)
			return fail("%s has no IPv4 address to take the host id from: give '%s HOSTID'",
				    o->dev, o->id_ok ? "id" : "host-id");
		id = v4;
	} else {
		return fail("this host has no host id yet: give '%s HOSTID' or 'dev IFACE'",
			    o->id_ok ? "id" : "host-id");
	}

	msg = ipmem_nl_msg(&nl, IPMEM_CMD_SET_HOST_ID, false);
	if (!msg)
		return 1;
	nla_put(msg, IPMEM_A_NET_PREFIX, 16, net);
	nla_put_u32(msg, IPMEM_A_HOST_ID, id);
	ret = request(msg, NULL, NULL);
	if (ret)
		return nl_fail("setting the host id", ret);
	return 0;
}

/*
 * If @kw is a host option, take its value from @a: returns 1 (and sets
 * *@err when the value is missing); 0 if @kw is something else.
 */
static int host_opt(struct args *a, const char *kw, struct host_opts *o,
		    int *err)
{
	const char **slot;

	/* plain "id" only where nothing else could be meant: host set */
	if (!strcmp(kw, "prefix"))
		slot = &o->prefix;
	else if (!strcmp(kw, "host-id") || (o->id_ok && !strcmp(kw, "id")))
		slot = &o->id;
	else if (!strcmp(kw, "dev"))
		slot = &o->dev;
	else
		return 0;
	*slot = kw_value(a, kw);
	if (!*slot)
		*err = 1;
	return 1;
}

/* "host ID network NET/48", or {"host_id": ..., "network": ...} */
static void host_print(const uint8_t net[16], uint32_t id)
{
	char buf[INET6_ADDRSTRLEN + 4], idb[16];

	fmt_addr(net, buf);
	strcat(buf, "/48");
	ipmem_format_host_id(id, idb, sizeof(idb));
	out_obj_open("host");
	out_str(OUT_ANY, "host_id", "host %s", idb);
	out_str(OUT_ANY, "network", " network %s\n", buf);
	out_obj_close();
}

static int cmd_host(struct args *a)
{
	const char *sub = SUBCOMMAND(a, "host", "show", "set", "show"), *kw;
	struct host_opts o = { .id_ok = true };
	uint8_t net[16];
	int err = 0, ret;
	uint32_t id;

	if (!sub)
		return 2;
	if (!strcmp(sub, "set")) {
		while ((kw = next_arg(a))) {
			if (!host_opt(a, kw, &o, &err))
				return fail("host set: unknown argument '%s'", kw);
			if (err)
				return 1;
		}
		return host_apply(&o, false);
	}
	if (no_more(a, "host show"))
		return 1;
	ret = host_get(net, &id);
	if (ret)
		return nl_fail("host", ret);
	out_obj_open(NULL);
	host_print(net, id);
	out_obj_close();
	return 0;
}

/* Send @msg (built for @what) that expects no reply. */
static int simple(struct nl_msg *msg, const char *what)
{
	int ret;

	if (!msg)
		return fail("%s: out of memory", what);
	ret = request(msg, NULL, NULL);
	return ret ? nl_fail(what, ret) : 0;
}

/*
 * A dump request: every reply through @cb, as the JSON array @key (NULL:
 * the whole output of a list command).
 */
static int dump(const char *key, uint8_t cmd, ipmem_nl_cb cb, void *arg,
		const char *what)
{
	struct nl_msg *msg = ipmem_nl_msg(&nl, cmd, true);
	int ret;

	if (!msg)
		return fail("%s: out of memory", what);
	out_arr_open(key);
	ret = request(msg, cb, arg);
	out_arr_close();
	return ret ? nl_fail(what, ret) : 0;
}

static int put_prefix(struct nl_msg *msg, const char *s, const char *what)
{
	uint8_t a[16], plen;

	if (ipmem_parse_prefix(s, a, &plen))
		return fail("%s: '%s' is not an IPv6 prefix", what, s);
	nla_put(msg, IPMEM_A_PREFIX, 16, a);
	nla_put_u8(msg, IPMEM_A_PREFIX_LEN, plen);
	return 0;
}

static void print_prefix(struct nlattr **tb)
{
	char buf[INET6_ADDRSTRLEN + 4];

	fmt_addr(nla_data(tb[IPMEM_A_PREFIX]), buf);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%u",
		 nla_get_u8(tb[IPMEM_A_PREFIX_LEN]));
	out_str(OUT_ANY, "prefix", "%s", buf);
}

static uint64_t get_u64(struct nlattr **tb, int type)
{
	return tb[type] ? nla_get_u64(tb[type]) : 0;
}

/* after lend shrink: the pool's size, and the one it waits to shrink to */
static int shrink_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	uint64_t to = get_u64(tb, IPMEM_A_SHRINK_TO);
	char sz[32];

	out_obj_open(NULL);
	out_u64(OUT_JSON, "size", NULL, get_u64(tb, IPMEM_A_SIZE));
	if (!to) {
		out_null("shrink_to");
		out_obj_close();
		return 0;
	}
	ipmem_format_size(to, sz, sizeof(sz));
	out_u64(OUT_JSON, "shrink_to", NULL, to);
	out_text("shrinking to %s: blocks past it are still granted or reserved; it shrinks once they are free (ipmemd asks their borrowers to move)\n",
		 sz);
	out_obj_close();
	return 0;
}

/* --------------------------------------------------------------- lender */

static int cmd_lend(struct args *a)
{
	const char *sz = next_arg(a), *kw, *v;
	bool has_addr = false, has_v4, has_v6;
	uint32_t bs = 0, port = 0, v4;
	struct host_opts o = {};
	struct nl_msg *msg;
	uint8_t addr[16];
	uint64_t size, b;
	int err = 0;

	if (!sz)
		return fail("lend: give a SIZE (or 'shrink SIZE', 'destroy', 'drain', 'resume')");
	if (!strcmp(sz, "drain") || !strcmp(sz, "resume")) {
		if (no_more(a, !strcmp(sz, "drain") ? "lend drain" :
			    "lend resume"))
			return 1;
		return ipmemctl_lend_drain(!strcmp(sz, "drain"));
	}
	if (!strcmp(sz, "destroy")) {
		if (no_more(a, "lend destroy"))
			return 1;
		return simple(ipmem_nl_msg(&nl, IPMEM_CMD_POOL_DEL, false),
			      "lend destroy");
	}
	if (!strcmp(sz, "shrink")) {
		sz = next_arg(a);
		if (!sz)
			return fail("lend shrink: give the pool's new SIZE");
		if (ipmem_parse_size(sz, &size) || !size)
			return fail("lend shrink: '%s' is not a size", sz);
		if (no_more(a, "lend shrink"))
			return 1;
		msg = ipmem_nl_msg(&nl, IPMEM_CMD_POOL_SHRINK, false);
		if (msg)
			nla_put_u64(msg, IPMEM_A_SIZE, size);
		if (simple(msg, "lend shrink"))
			return 1;
		/* done, or waiting for blocks past the new size: which? */
		msg = ipmem_nl_msg(&nl, IPMEM_CMD_POOL_GET, false);
		if (!msg)
			return fail("lend shrink: out of memory");
		err = request(msg, shrink_print, NULL);
		return err ? nl_fail("lend shrink", err) : 0;
	}
	if (ipmem_parse_size(sz, &size) || !size)
		return fail("lend: '%s' is not a size", sz);
	while ((kw = next_arg(a))) {
		if (host_opt(a, kw, &o, &err)) {
			if (err)
				return 1;
			continue;
		}
		v = KW_VALUE(a, kw, "lend", "addr", "block-size", "port");
		if (!v)
			return 1;
		if (!strcmp(kw, "addr")) {
			if (ipmem_parse_addr(v, addr))
				return fail("lend: '%s' is not an IPv6 address", v);
			has_addr = true;
		} else if (!strcmp(kw, "block-size")) {
			if (ipmem_parse_size(v, &b) || b > UINT32_MAX)
				return fail("lend: '%s' is not a block size", v);
			bs = b;
		} else if (!strcmp(kw, "port")) {
			if (ipmem_parse_u32(v, &port) || !port || port > 65535)
				return fail("lend: '%s' is not a port", v);
		} else {
			return fail("lend: unknown argument '%s'", kw);
		}
	}
	if (!has_addr) {
		if (!o.dev)
			return fail("lend: give the data-plane 'dev IFACE' or 'addr ADDR'");
		if (iface_addrs(o.dev, &v4, &has_v4, addr, &has_v6))
			return 1;
		if (!has_v6)
			return fail("lend: %s has no global IPv6 address", o.dev);
	}
	if (host_apply(&o, true))
		return 1;

	msg = ipmem_nl_msg(&nl, IPMEM_CMD_POOL_NEW, false);
	if (!msg)
		return 1;
	nla_put_u64(msg, IPMEM_A_SIZE, size);
	nla_put(msg, IPMEM_A_ADDR, 16, addr);
	if (bs)
		nla_put_u32(msg, IPMEM_A_BLOCK_SIZE, bs);
	if (port)
		nla_put_u16(msg, IPMEM_A_PORT, port);
	return simple(msg, "lend");
}

/* a grant's fields (text: "PREFIX borrower ID rights R STATE blocks N") */
static bool grant_fields(struct nlattr **tb)
{
	char idb[16];

	if (!tb[IPMEM_A_PREFIX] || !tb[IPMEM_A_PREFIX_LEN] ||
	    !tb[IPMEM_A_BORROWER] || !tb[IPMEM_A_RIGHTS] || !tb[IPMEM_A_STATE])
		return false;
	ipmem_format_host_id(nla_get_u32(tb[IPMEM_A_BORROWER]), idb,
			     sizeof(idb));
	print_prefix(tb);
	out_str(OUT_ANY, "borrower", " borrower %s", idb);
	out_str(OUT_ANY, "rights", " rights %s",
		rights_name(nla_get_u8(tb[IPMEM_A_RIGHTS])));
	out_str(OUT_ANY, "state", " %s",
		nla_get_u8(tb[IPMEM_A_STATE]) == IPMEM_GRANT_CONFIRMED ?
		"confirmed" : "reserved");
	out_u64(OUT_ANY, "blocks", " blocks %" PRIu64,
		get_u64(tb, IPMEM_A_BLOCK_COUNT));
	return true;
}

static int grant_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	if (!tb[IPMEM_A_PREFIX] || !tb[IPMEM_A_PREFIX_LEN] ||
	    !tb[IPMEM_A_BORROWER] || !tb[IPMEM_A_RIGHTS] || !tb[IPMEM_A_STATE])
		return 0;
	out_obj_open(NULL);
	out_text("%s", arg ? (const char *)arg : "");
	grant_fields(tb);
	out_text("\n");
	out_obj_close();
	return 0;
}

/* A reservation's reply: one IPMEM_A_GRANT nest per prefix. */
static int reserve_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tbg[IPMEM_A_MAX + 1], *n;
	int rem;

	ipmem_nl_for_each(n, nlh, IPMEM_A_GRANT, rem)
		if (!ipmem_nl_parse(n, tbg))
			grant_print(tbg, nlh, NULL);
	return 0;
}

static int cmd_grant(struct args *a)
{
	const char *sub = SUBCOMMAND(a, "grant", "list", "list", "add",
				     "reserve", "confirm", "!del");
	const char *p, *kw, *v;
	uint32_t borrower = 0, tmo;
	struct nl_msg *msg;
	uint8_t rights = 0;
	bool add, has_b = false;
	uint64_t count;

	if (!sub)
		return 2;
	if (!strcmp(sub, "list"))
		return no_more(a, "grant list") ?:
		       dump(NULL, IPMEM_CMD_GRANT_GET, grant_print, NULL, "grant list");
	if (!strcmp(sub, "del") || !strcmp(sub, "confirm")) {
		bool del = !strcmp(sub, "del"), force = false;

		p = next_arg(a);
		if (!p)
			return fail("grant %s: give a PREFIX", sub);
		if (del && a->argc && !strcmp(a->argv[0], "force"))
			force = !!next_arg(a);
		if (next_arg(a))
			return fail("grant %s: give one PREFIX%s", sub,
				    del ? " (and force)" : "");
		msg = ipmem_nl_msg(&nl, del ? IPMEM_CMD_GRANT_DEL :
				   IPMEM_CMD_GRANT_CONFIRM, false);
		if (!msg || put_prefix(msg, p, sub))
			return 1;
		if (force)
			nla_put_flag(msg, IPMEM_A_FORCE);
		return simple(msg, del ? "grant del" : "grant confirm");
	}
	add = !strcmp(sub, "add");
	p = next_arg(a);
	if (!p)
		return fail("grant %s: give a %s", sub, add ? "PREFIX" : "COUNT");
	msg = ipmem_nl_msg(&nl, add ? IPMEM_CMD_GRANT_NEW :
				      IPMEM_CMD_GRANT_RESERVE, false);
	if (!msg)
		return 1;
	if (add) {
		if (put_prefix(msg, p, "grant add"))
			return 1;
	} else {
		if (ipmem_parse_size(p, &count) || !count)
			return fail("grant reserve: '%s' is not a block count", p);
		nla_put_u64(msg, IPMEM_A_BLOCK_COUNT, count);
	}
	while ((kw = next_arg(a))) {
		v = add ? KW_VALUE(a, kw, "grant add", "borrower", "rights") :
			  KW_VALUE(a, kw, "grant reserve", "borrower", "rights",
				   "timeout");
		if (!v)
			return 1;
		if (!strcmp(kw, "borrower")) {
			if (ipmem_parse_host_id(v, &borrower))
				return fail("grant: '%s' is not a host id", v);
			has_b = true;
		} else if (!strcmp(kw, "rights")) {
			if (parse_rights(v, &rights))
				return 1;
		} else if (!add && !strcmp(kw, "timeout")) {
			if (ipmem_parse_u32(v, &tmo) || !tmo)
				return fail("grant: '%s' is not a timeout in ms", v);
			nla_put_u32(msg, IPMEM_A_TIMEOUT_MS, tmo);
		} else {
			return fail("grant %s: unknown argument '%s'", sub, kw);
		}
	}
	if (!has_b || !rights)
		return fail("grant %s: give 'borrower HOSTID' and 'rights ro|rw'",
			    sub);
	nla_put_u32(msg, IPMEM_A_BORROWER, borrower);
	nla_put_u8(msg, IPMEM_A_RIGHTS, rights);
	if (add)
		return simple(msg, "grant add");
	out_arr_open(NULL);
	count = request(msg, reserve_print, NULL);
	out_arr_close();
	return count ? nl_fail("grant reserve", (int)count) : 0;
}

static int peer_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	char idb[16], buf[INET6_ADDRSTRLEN];

	ipmem_format_host_id(nla_get_u32(tb[IPMEM_A_BORROWER]), idb,
			     sizeof(idb));
	fmt_addr(nla_data(tb[IPMEM_A_NEXTHOP]), buf);
	out_obj_open(NULL);
	out_text("%s", arg ? (const char *)arg : "");
	out_str(OUT_ANY, "borrower", "borrower %s", idb);
	out_str(OUT_ANY, "from", " from %s", buf);
	out_u64(OUT_ANY, "blocks_registered", " blocks-registered %" PRIu64 "\n",
		get_u64(tb, IPMEM_A_BLOCK_COUNT));
	out_obj_close();
	return 0;
}

/* A command whose only subcommand is "list" (the default). */
static int list_only(struct args *a, const char *name, uint8_t cmd,
		     ipmem_nl_cb cb)
{
	const char *sub = SUBCOMMAND(a, name, "list", "list");
	char what[32];

	if (!sub)
		return 2;
	snprintf(what, sizeof(what), "%s list", name);
	return no_more(a, what) ?: dump(NULL, cmd, cb, NULL, what);
}

static int cmd_peer(struct args *a)
{
	return list_only(a, "peer", IPMEM_CMD_PEER_GET, peer_print);
}

/* ------------------------------------------------------------- borrower */

static int route_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	char buf[INET6_ADDRSTRLEN];

	out_obj_open(NULL);
	print_prefix(tb);
	fmt_addr(nla_data(tb[IPMEM_A_NEXTHOP]), buf);
	out_str(OUT_ANY, "via", " via %s", buf);
	out_u64(OUT_ANY, "port", " port %" PRIu64 "\n",
		nla_get_u16(tb[IPMEM_A_PORT]));
	out_obj_close();
	return 0;
}

static int cmd_route(struct args *a)
{
	const char *sub = SUBCOMMAND(a, "route", "list", "list", "add", "!del");
	const char *p, *kw, *v;
	bool has_nh = false;
	struct nl_msg *msg;
	uint8_t nh[16];
	uint32_t port;

	if (!sub)
		return 2;
	if (!strcmp(sub, "list"))
		return no_more(a, "route list") ?:
		       dump(NULL, IPMEM_CMD_ROUTE_GET, route_print, NULL, "route list");
	p = next_arg(a);
	if (!p)
		return fail("route %s: give a PREFIX", sub);
	msg = ipmem_nl_msg(&nl, !strcmp(sub, "add") ? IPMEM_CMD_ROUTE_NEW :
						     IPMEM_CMD_ROUTE_DEL, false);
	if (!msg || put_prefix(msg, p, "route"))
		return 1;
	if (!strcmp(sub, "del")) {
		if (next_arg(a))
			return fail("route del: give only the PREFIX");
		return simple(msg, "route del");
	}
	while ((kw = next_arg(a))) {
		v = KW_VALUE(a, kw, "route add", "via", "port");
		if (!v)
			return 1;
		if (!strcmp(kw, "via")) {
			if (ipmem_parse_addr(v, nh))
				return fail("route add: '%s' is not an IPv6 address", v);
			nla_put(msg, IPMEM_A_NEXTHOP, 16, nh);
			has_nh = true;
		} else if (!strcmp(kw, "port")) {
			if (ipmem_parse_u32(v, &port) || !port || port > 65535)
				return fail("route add: '%s' is not a port", v);
			nla_put_u16(msg, IPMEM_A_PORT, port);
		} else {
			return fail("route add: unknown argument '%s'", kw);
		}
	}
	if (!has_nh)
		return fail("route add: give 'via NEXTHOP'");
	return simple(msg, "route add");
}

static int disk_created(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	char dev[64];

	if (!tb[IPMEM_A_NAME])
		return 0;
	snprintf(dev, sizeof(dev), "/dev/%s", nla_get_string(tb[IPMEM_A_NAME]));
	out_obj_open(NULL);
	out_str(OUT_JSON, "name", NULL, nla_get_string(tb[IPMEM_A_NAME]));
	out_str(OUT_ANY, "device", "%s\n", dev);
	out_obj_close();
	return 0;
}

static const char *const stat_names[IPMEM_STAT_MAX + 1] = {
	[IPMEM_STAT_READS] = "reads",
	[IPMEM_STAT_WRITES] = "writes",
	[IPMEM_STAT_READ_BYTES] = "read-bytes",
	[IPMEM_STAT_WRITE_BYTES] = "write-bytes",
	[IPMEM_STAT_DISCARDS] = "discards",
	[IPMEM_STAT_ERRORS] = "errors",
	[IPMEM_STAT_FAILOVERS] = "failovers",
	[IPMEM_STAT_INFLIGHT] = "inflight",
	[IPMEM_STAT_REFILLS] = "refills",
	[IPMEM_STAT_LOST_PAGES] = "lost-pages",
	[IPMEM_STAT_INTEGRITY_ERRORS] = "integrity-errors",
	[IPMEM_STAT_UNMAPPED_WAITS] = "unmapped-waits",
};

static int disk_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *st[IPMEM_STAT_MAX + 1];
	const char *ind = arg ? (const char *)arg : "";
	uint32_t bsz = nla_get_u32(tb[IPMEM_A_BLOCK_SIZE]);
	uint64_t size = get_u64(tb, IPMEM_A_SIZE);
	char sz[32], bs[32], key[32], *c;
	int i;

	ipmem_format_size(size, sz, sizeof(sz));
	ipmem_format_size(bsz, bs, sizeof(bs));
	out_obj_open(NULL);
	out_text("%s", ind);
	out_str(OUT_ANY, "name", "%s", nla_get_string(tb[IPMEM_A_NAME]));
	out_str(OUT_TEXT, NULL, " size %s", sz);
	out_u64(OUT_JSON, "size", NULL, size);
	out_str(OUT_TEXT, NULL, " block-size %s", bs);
	out_u64(OUT_JSON, "block_size", NULL, bsz);
	out_u64(OUT_ANY, "replicas", " replicas %" PRIu64,
		nla_get_u8(tb[IPMEM_A_REPLICAS]));
	out_u64(OUT_ANY, "extents", " extents %" PRIu64,
		get_u64(tb, IPMEM_A_EXTENT_COUNT));
	out_u64(OUT_ANY, "copies_mapped", " copies-mapped %" PRIu64,
		get_u64(tb, IPMEM_A_COPIES_MAPPED));
	out_bool(OUT_ANY, "encrypt", " encrypt %s\n",
		 tb[IPMEM_A_ENCRYPT] && nla_get_u8(tb[IPMEM_A_ENCRYPT]));
	if (tb[IPMEM_A_STATS] &&
	    !nla_parse_nested(st, IPMEM_STAT_MAX, tb[IPMEM_A_STATS], NULL)) {
		out_obj_open("stats");
		out_text("%s ", ind);
		for (i = 1; i <= IPMEM_STAT_MAX; i++) {
			if (!st[i] || !stat_names[i])
				continue;
			/* "read-bytes" in text, "read_bytes" in JSON */
			snprintf(key, sizeof(key), "%s", stat_names[i]);
			for (c = key; *c; c++)
				if (*c == '-')
					*c = '_';
			out_str(OUT_TEXT, NULL, " %s", stat_names[i]);
			out_u64(OUT_ANY, key, " %" PRIu64,
				(uint64_t)nla_get_u64(st[i]));
		}
		out_text("\n");
		out_obj_close();
	}
	out_obj_close();
	return 0;
}

static int cmd_disk(struct args *a)
{
	const char *sub = SUBCOMMAND(a, "disk", "list", "list", "create", "!del");
	const char *p, *kw, *v;
	struct host_opts o = {};
	uint32_t id, n;
	struct nl_msg *msg;
	uint64_t size, b;
	int err = 0, ret;

	if (!sub)
		return 2;
	if (!strcmp(sub, "list"))
		return no_more(a, "disk list") ?:
		       dump(NULL, IPMEM_CMD_DISK_GET, disk_print, NULL, "disk list");
	if (!strcmp(sub, "del")) {
		p = next_arg(a);
		if (!p || next_arg(a))
			return fail("disk del: give one disk (ipmemN)");
		if (parse_disk(p, &id))
			return 1;
		msg = ipmem_nl_msg(&nl, IPMEM_CMD_DISK_DEL, false);
		if (!msg)
			return 1;
		nla_put_u32(msg, IPMEM_A_DISK, id);
		return simple(msg, "disk del");
	}
	p = next_arg(a);
	if (!p)
		return fail("disk create: give a SIZE");
	if (ipmem_parse_size(p, &size) || !size)
		return fail("disk create: '%s' is not a size", p);
	msg = ipmem_nl_msg(&nl, IPMEM_CMD_DISK_NEW, false);
	if (!msg)
		return 1;
	nla_put_u64(msg, IPMEM_A_SIZE, size);
	while ((kw = next_arg(a))) {
		if (host_opt(a, kw, &o, &err)) {
			if (err)
				return 1;
			continue;
		}
		v = KW_VALUE(a, kw, "disk create", "replicas", "block-size",
			     "disk", "encrypt");
		if (!v)
			return 1;
		if (!strcmp(kw, "replicas")) {
			if (ipmem_parse_u32(v, &n) || !n || n > 255)
				return fail("disk create: '%s' is not a number of replicas", v);
			nla_put_u8(msg, IPMEM_A_REPLICAS, n);
		} else if (!strcmp(kw, "block-size")) {
			if (ipmem_parse_size(v, &b) || b > UINT32_MAX)
				return fail("disk create: '%s' is not a block size", v);
			nla_put_u32(msg, IPMEM_A_BLOCK_SIZE, b);
		} else if (!strcmp(kw, "disk")) {
			if (parse_disk(v, &id))
				return 1;
			nla_put_u32(msg, IPMEM_A_DISK, id);
		} else if (!strcmp(kw, "encrypt")) {
			if (strcmp(v, "on") && strcmp(v, "off"))
				return fail("disk create: encrypt is 'on' or 'off', not '%s'", v);
			nla_put_u8(msg, IPMEM_A_ENCRYPT, !strcmp(v, "on"));
		} else {
			return fail("disk create: unknown argument '%s'", kw);
		}
	}
	if (host_apply(&o, true))
		return 1;
	ret = request(msg, disk_created, NULL);
	return ret ? nl_fail("disk create", ret) : 0;
}

static const char *map_state_name(int s)
{
	switch (s) {
	case IPMEM_MAP_OK: return "ok";
	case IPMEM_MAP_STALE: return "stale";
	case IPMEM_MAP_LOST: return "lost";
	}
	return "?";
}

static int map_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	char buf[INET6_ADDRSTRLEN], disk[32];
	uint64_t n = get_u64(tb, IPMEM_A_EXTENT_COUNT);
	uint64_t e = get_u64(tb, IPMEM_A_EXTENT);

	snprintf(disk, sizeof(disk), "ipmem%u", nla_get_u32(tb[IPMEM_A_DISK]));
	out_obj_open(NULL);
	out_text("%s", arg ? (const char *)arg : "");
	out_str(OUT_ANY, "disk", "%s", disk);
	out_u64(OUT_ANY, "extent", " extents %" PRIu64, e);
	out_u64(OUT_TEXT, NULL, "-%" PRIu64, e + n - 1);
	out_u64(OUT_JSON, "extents", NULL, n);
	out_u64(OUT_ANY, "copy", " copy %" PRIu64,
		nla_get_u8(tb[IPMEM_A_REPLICA]));
	fmt_addr(nla_data(tb[IPMEM_A_PREFIX]), buf);
	out_str(OUT_ANY, "blocks", " blocks %s", buf);
	out_u64(OUT_TEXT, NULL, " +%" PRIu64, n);
	fmt_addr(nla_data(tb[IPMEM_A_NEXTHOP]), buf);
	out_str(OUT_ANY, "via", " via %s", buf);
	out_str(OUT_ANY, "rights", " %s",
		rights_name(nla_get_u8(tb[IPMEM_A_RIGHTS])));
	out_str(OUT_ANY, "state", " %s\n",
		map_state_name(nla_get_u8(tb[IPMEM_A_STATE])));
	out_obj_close();
	return 0;
}

static int map_added(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	if (!tb[IPMEM_A_EXTENT] || !tb[IPMEM_A_REPLICA])
		return 0;
	out_obj_open(NULL);
	out_u64(OUT_ANY, "extent", "mapped at extent %" PRIu64,
		(uint64_t)nla_get_u64(tb[IPMEM_A_EXTENT]));
	out_u64(OUT_ANY, "copy", " copy %" PRIu64 "\n",
		nla_get_u8(tb[IPMEM_A_REPLICA]));
	out_obj_close();
	return 0;
}

static int cmd_map(struct args *a)
{
	const char *sub = SUBCOMMAND(a, "map", "list", "list", "add", "!del");
	const char *p = NULL, *kw, *v;
	bool list, has_disk = false;
	uint32_t id = 0, n;
	struct nl_msg *msg;
	uint64_t e;
	int ret;

	if (!sub)
		return 2;
	list = !strcmp(sub, "list");
	if (!list) {
		p = next_arg(a);
		if (!p)
			return fail("map %s: give a PREFIX", sub);
	}
	msg = ipmem_nl_msg(&nl, list ? IPMEM_CMD_MAP_GET :
			   !strcmp(sub, "add") ? IPMEM_CMD_MAP_NEW :
			   IPMEM_CMD_MAP_DEL, list);
	if (!msg || (p && put_prefix(msg, p, "map")))
		return 1;
	while ((kw = next_arg(a))) {
		/* keywords without a value: del's force, del's and list's free */
		if (!strcmp(sub, "del") && !strcmp(kw, "force")) {
			nla_put_flag(msg, IPMEM_A_FORCE);
			continue;
		}
		if (strcmp(sub, "add") && !strcmp(kw, "free")) {
			nla_put_flag(msg, IPMEM_A_FREE_ONLY);
			continue;
		}
		v = !strcmp(sub, "add") ?
			KW_VALUE(a, kw, "map add", "disk", "extent", "replica") :
			list ? KW_VALUE(a, kw, "map list", "disk") :
			KW_VALUE(a, kw, "map del", "");
		if (!v)
			return 1;
		if (!strcmp(kw, "disk") && strcmp(sub, "del")) {
			if (parse_disk(v, &id))
				return 1;
			has_disk = true;
		} else if (!strcmp(kw, "extent") && !strcmp(sub, "add")) {
			if (ipmem_parse_size(v, &e))
				return fail("map add: '%s' is not an extent", v);
			nla_put_u64(msg, IPMEM_A_EXTENT, e);
		} else if (!strcmp(kw, "replica") && !strcmp(sub, "add")) {
			if (ipmem_parse_u32(v, &n) || n > 255)
				return fail("map add: '%s' is not a replica", v);
			nla_put_u8(msg, IPMEM_A_REPLICA, n);
		} else {
			return fail("map %s: unknown argument '%s'", sub, kw);
		}
	}
	/* which disk is never guessed: map add names it */
	if (!has_disk && !strcmp(sub, "add"))
		return fail("map add: give the 'disk ipmemN' to map into");
	if (has_disk)
		nla_put_u32(msg, IPMEM_A_DISK, id);
	if (list)
		out_arr_open(NULL);
	ret = request(msg, list ? map_print :
		      !strcmp(sub, "add") ? map_added : NULL, NULL);
	if (list)
		out_arr_close();
	return ret ? nl_fail(list ? "map list" : !strcmp(sub, "add") ?
			     "map add" : "map del", ret) : 0;
}

static const char *conn_state_name(int s)
{
	switch (s) {
	case IPMEM_CONN_CONNECTING: return "connecting";
	case IPMEM_CONN_LIVE: return "live";
	case IPMEM_CONN_RECONNECTING: return "reconnecting";
	case IPMEM_CONN_DELETING: return "deleting";
	}
	return "?";
}

/* a lender's fields (text: "lender ID at ADDR port P STATE mapped N epoch E") */
static void lender_fields(struct nlattr **tb)
{
	char idb[16], buf[INET6_ADDRSTRLEN], epoch[20];

	ipmem_format_host_id(nla_get_u32(tb[IPMEM_A_LENDER]), idb, sizeof(idb));
	fmt_addr(nla_data(tb[IPMEM_A_NEXTHOP]), buf);
	/* a string in JSON too: 64 bits do not fit a JSON number */
	snprintf(epoch, sizeof(epoch), "%016" PRIx64,
		 get_u64(tb, IPMEM_A_EPOCH));
	out_str(OUT_ANY, "lender", "lender %s", idb);
	out_str(OUT_ANY, "address", " at %s", buf);
	out_u64(OUT_ANY, "port", " port %" PRIu64,
		nla_get_u16(tb[IPMEM_A_PORT]));
	out_str(OUT_ANY, "state", " %s",
		conn_state_name(nla_get_u8(tb[IPMEM_A_CONN_STATE])));
	out_u64(OUT_ANY, "mapped", " mapped %" PRIu64,
		get_u64(tb, IPMEM_A_BLOCK_COUNT));
	out_str(OUT_ANY, "epoch", " epoch %s", epoch);
	if (tb[IPMEM_A_LOSSES]) {
		out_u64(OUT_ANY, "losses", " lost %" PRIu64,
			get_u64(tb, IPMEM_A_LOSSES));
		out_u64(OUT_ANY, "returns", " back %" PRIu64,
			get_u64(tb, IPMEM_A_RETURNS));
	}
}

static int lender_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	out_obj_open(NULL);
	out_text("%s", arg ? (const char *)arg : "");
	lender_fields(tb);
	out_text("\n");
	out_obj_close();
	return 0;
}

static int cmd_lender(struct args *a)
{
	return list_only(a, "lender", IPMEM_CMD_LENDER_GET, lender_print);
}

/* -------------------------------------------------------------- monitor */

#define MON_LENDER	1
#define MON_GRANT	2
#define MON_POOL	4
#define MON_MAP		8

/* now, as ip -ts monitor prints it: 2026-11-29T20:45:01.123+0000 */
static void mon_time(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char z[8];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(z, sizeof(z), "%z", &tm);
	snprintf(buf + n, len - n, ".%03ld%s", ts.tv_nsec / 1000000, z);
}

/* an event's line or object: its time and kind (text shows @text) */
static void mon_begin(const char *ts, const char *event, const char *text)
{
	out_obj_open(NULL);
	out_str(OUT_ANY, "time", "%s ", ts);
	out_str(OUT_JSON, "event", NULL, event);
	out_text("%s", text);
}

static int mon_event(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	uint8_t cmd = ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
	unsigned int want = *(unsigned int *)arg;
	char ts[48], disk[32];

	mon_time(ts, sizeof(ts));
	if (cmd == IPMEM_CMD_LENDER_GET && (want & MON_LENDER)) {
		if (!tb[IPMEM_A_LENDER] || !tb[IPMEM_A_NEXTHOP] ||
		    !tb[IPMEM_A_PORT] || !tb[IPMEM_A_CONN_STATE])
			return 0;
		mon_begin(ts, "lender", "");
		lender_fields(tb);
	} else if (cmd == IPMEM_CMD_GRANT_DEL && (want & MON_GRANT)) {
		mon_begin(ts, "grant-deleted", "grant-deleted ");
		if (!grant_fields(tb))
			out_text("(incomplete)");
	} else if (cmd == IPMEM_CMD_MAP_WANTED && (want & MON_MAP)) {
		if (!tb[IPMEM_A_DISK] || !tb[IPMEM_A_EXTENT])
			return 0;
		snprintf(disk, sizeof(disk), "ipmem%u",
			 nla_get_u32(tb[IPMEM_A_DISK]));
		mon_begin(ts, "map-wanted", "map-wanted");
		out_str(OUT_ANY, "disk", " %s", disk);
		out_u64(OUT_ANY, "extent", " extent %" PRIu64,
			get_u64(tb, IPMEM_A_EXTENT));
	} else if (cmd == IPMEM_CMD_POOL_GET && (want & MON_POOL)) {
		if (!tb[IPMEM_A_BLOCKS_TOTAL]) {
			mon_begin(ts, "pool-destroyed", "pool-destroyed");
		} else {
			mon_begin(ts, "pool", "pool");
			out_u64(OUT_ANY, "blocks_total", " M %" PRIu64,
				get_u64(tb, IPMEM_A_BLOCKS_TOTAL));
			out_u64(OUT_ANY, "blocks_free", " V %" PRIu64,
				get_u64(tb, IPMEM_A_BLOCKS_FREE));
		}
	} else {
		return 0;
	}
	out_text("\n");
	out_obj_close();
	/* one event a line (JSON: one object a line), as it happens */
	out_finish();
	return 0;
}

/* monitor [lender|grant|pool|map]...: the module's events as they come */
static int cmd_monitor(struct args *a)
{
	static const char *const objs[] = { "lender", "grant", "pool", "map" };
	unsigned int want = 0;
	const char *o;
	size_t i;
	int ret;

	while ((o = next_arg(a))) {
		for (i = 0; i < 4 && strcmp(o, objs[i]); i++)
			;
		if (i == 4)
			return fail("monitor: '%s' is not one of lender, grant, pool, map",
				    o);
		want |= 1U << i;
	}
	if (!want)
		want = MON_LENDER | MON_GRANT | MON_POOL | MON_MAP;
	if (ipmem_nl_open(&nl))
		return fail("monitor: %s", nl.err);
	ret = ipmem_nl_subscribe(&nl);
	if (ret)
		return fail("monitor: %s", nl.err);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		ret = ipmem_nl_recv_events(&nl, mon_event, &want);
		if (ret)
			return fail("monitor: %s", ret == -EIO ?
				    "receiving events failed" : strerror(-ret));
	}
}

/* -------------------------------------------------------------- version */

struct version_out {
	char release[32];
	unsigned int wire;
};

static int version_cb(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	struct version_out *out = arg;

	if (tb[IPMEM_A_VERSION])
		snprintf(out->release, sizeof(out->release), "%s",
			 nla_get_string(tb[IPMEM_A_VERSION]));
	if (tb[IPMEM_A_WIRE_VERSION])
		out->wire = nla_get_u16(tb[IPMEM_A_WIRE_VERSION]);
	return 0;
}

/*
 * The loaded module's release and wire protocol into @out; a module too
 * old to have VERSION_GET leaves "(older than 0.9.0)".
 */
static int module_version(struct version_out *out)
{
	struct nl_msg *msg = ipmem_nl_msg(&nl, IPMEM_CMD_VERSION_GET, false);
	int ret;

	snprintf(out->release, sizeof(out->release), "(older than 0.9.0)");
	out->wire = 0;
	if (!msg)
		return -ENOMEM;
	ret = request(msg, version_cb, out);
	return ret == -EOPNOTSUPP ? 0 : ret;
}

/* the module's version line; a warning if this ipmemctl is another release */
static int module_version_print(void)
{
	struct version_out v;
	int ret = module_version(&v);

	if (ret)
		return ret;
	out_obj_open("module");
	out_str(OUT_ANY, "version", "module ipmem %s", v.release);
	out_u64(OUT_ANY, "wire_protocol", " (wire protocol %" PRIu64 ")\n",
		v.wire);
	out_obj_close();
	if (strcmp(v.release, IPMEM_VERSION))
		fprintf(stderr,
			"ipmemctl: warning: this ipmemctl is %s, the loaded module %s: install one release of both\n",
			IPMEM_VERSION, v.release);
	return 0;
}

/* --version: this program, and the module if it is loaded */
static int cmd_version(void)
{
	int ret;

	out_obj_open(NULL);
	out_obj_open("ipmemctl");
	out_str(OUT_ANY, "version", "ipmemctl %s", IPMEM_VERSION);
	out_str(OUT_ANY, "netlink_family", " (netlink family %s", IPMEM_GENL_NAME);
	out_u64(OUT_ANY, "netlink_version", " version %" PRIu64,
		IPMEM_GENL_VERSION);
	out_u64(OUT_ANY, "wire_protocol", ", wire protocol %" PRIu64 ")\n",
		IPMEM_WIRE_VERSION);
	out_obj_close();
	ret = module_version_print();
	if (ret == -ENOPKG) {
		out_null("module");
		out_text("module ipmem not loaded\n");
		ret = 0;
	}
	out_obj_close();
	return ret ? nl_fail("version", ret) : 0;
}

/* --------------------------------------------------------------- status */

static int pool_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	char buf[INET6_ADDRSTRLEN], sz[32], bs[32], fr[32];
	uint64_t total = get_u64(tb, IPMEM_A_BLOCKS_TOTAL);
	uint64_t free = get_u64(tb, IPMEM_A_BLOCKS_FREE);
	uint64_t size = get_u64(tb, IPMEM_A_SIZE);
	uint32_t bsz = nla_get_u32(tb[IPMEM_A_BLOCK_SIZE]);

	ipmem_format_size(size, sz, sizeof(sz));
	ipmem_format_size(bsz, bs, sizeof(bs));
	ipmem_format_size(free * bsz, fr, sizeof(fr));
	fmt_addr(nla_data(tb[IPMEM_A_ADDR]), buf);
	out_obj_open("pool");
	out_str(OUT_TEXT, NULL, "lender: pool %s", sz);
	out_u64(OUT_JSON, "size", NULL, size);
	out_str(OUT_TEXT, NULL, " of %s blocks", bs);
	out_u64(OUT_JSON, "block_size", NULL, bsz);
	out_str(OUT_ANY, "address", " at [%s]", buf);
	out_u64(OUT_ANY, "port", ":%" PRIu64 "\n",
		nla_get_u16(tb[IPMEM_A_PORT]));
	out_u64(OUT_ANY, "blocks_total", "  M %" PRIu64 " blocks", total);
	out_u64(OUT_ANY, "blocks_free", ", V %" PRIu64 " free", free);
	out_str(OUT_TEXT, NULL, " (%s)\n", fr);
	if (tb[IPMEM_A_SHRINK_TO]) {
		ipmem_format_size(get_u64(tb, IPMEM_A_SHRINK_TO), sz, sizeof(sz));
		out_u64(OUT_JSON, "shrink_to", NULL,
			get_u64(tb, IPMEM_A_SHRINK_TO));
		out_str(OUT_TEXT, NULL,
			"  shrinking to %s (waits for the blocks past it)\n", sz);
	} else {
		out_null("shrink_to");
	}
	out_obj_close();
	return 0;
}

static int cmd_status(struct args *a)
{
	struct nl_msg *msg;
	uint8_t net[16];
	uint32_t id;
	int ret;

	if (no_more(a, "status"))
		return 1;
	out_obj_open(NULL);
	ret = module_version_print();
	if (ret == -ENOPKG) {
		/* what ipmemd knows is still worth showing */
		out_null("module");
		out_text("module ipmem not loaded: load it with 'modprobe ipmem'\n");
		ipmemctl_bgp_status();
		out_obj_close();
		return 1;
	}
	if (ret)
		return nl_fail("status", ret);
	ret = host_get(net, &id);
	if (ret == -ENOENT) {
		out_null("host");
		out_text("host: no host id set\n");
	} else if (ret) {
		return nl_fail("status", ret);
	} else {
		host_print(net, id);
	}

	msg = ipmem_nl_msg(&nl, IPMEM_CMD_POOL_GET, false);
	if (!msg)
		return 1;
	out_obj_open("lender");
	ret = request(msg, pool_print, NULL);
	if (ret == -ENOENT) {
		out_null("pool");
		out_text("lender: no pool\n");
	} else if (ret) {
		return nl_fail("status", ret);
	} else {
		out_text("  grants:\n");
		if (dump("grants", IPMEM_CMD_GRANT_GET, grant_print, "    ",
			 "status"))
			return 1;
		out_text("  borrowers connected:\n");
		if (dump("borrowers", IPMEM_CMD_PEER_GET, peer_print, "    ",
			 "status"))
			return 1;
	}
	out_obj_close();

	out_obj_open("borrower");
	out_text("borrower:\n  disks:\n");
	if (dump("disks", IPMEM_CMD_DISK_GET, disk_print, "    ", "status"))
		return 1;
	out_text("  lenders:\n");
	if (dump("lenders", IPMEM_CMD_LENDER_GET, lender_print, "    ",
		 "status"))
		return 1;
	out_text("  mem-to-ip table:\n");
	if (dump("map", IPMEM_CMD_MAP_GET, map_print, "    ", "status"))
		return 1;
	out_obj_close();
	ret = ipmemctl_bgp_status();
	out_obj_close();
	return ret;
}

/* borrow and release go through ipmemd (helper/ipmemctl_daemon.c) */
static int cmd_borrow(struct args *a)
{
	return ipmemctl_borrow(a->argc, a->argv);
}

static int cmd_release(struct args *a)
{
	return ipmemctl_release(a->argc, a->argv);
}

/* ------------------------------------------------------- authentication */

#define KEY_LEN IPMEM_KEY_LEN

/* A private key file (64 hex digits), of ours and only we may read. */
static int key_read(const char *path, uint8_t *k, const char *what)
{
	char buf[2 * KEY_LEN + 2], err[300];
	int ret;

	if (ipmem_read_secret(path, buf, sizeof(buf), err, sizeof(err)))
		return fail("%s: %s", what, err);
	ret = ipmem_parse_key(buf, k);
	memset(buf, 0, sizeof(buf));
	if (ret)
		return fail("%s: %s does not hold a key (64 hex digits)", what,
			    path);
	return 0;
}

static int key_generate(const char *path)
{
	uint8_t k[KEY_LEN];
	char hex[2 * KEY_LEN + 1];
	FILE *f;
	int fd;

	if (getrandom(k, sizeof(k), 0) != sizeof(k))
		return fail("key generate: no random bytes: %s", strerror(errno));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail("key generate: %s: %s", path, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return fail("key generate: %s: %s", path, strerror(errno));
	}
	ipmem_format_key(k, hex);
	fprintf(f, "%s\n", hex);
	memset(k, 0, sizeof(k));
	memset(hex, 0, sizeof(hex));
	if (fclose(f))
		return fail("key generate: %s: %s", path, strerror(errno));
	return 0;
}

static int key_print(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	char hex[2 * KEY_LEN + 1], idb[16];

	if (!tb[IPMEM_A_PUBLIC_KEY] ||
	    nla_len(tb[IPMEM_A_PUBLIC_KEY]) != KEY_LEN)
		return 0;
	ipmem_format_key(nla_data(tb[IPMEM_A_PUBLIC_KEY]), hex);
	out_obj_open(NULL);
	if (tb[IPMEM_A_HOST_ID]) {
		ipmem_format_host_id(nla_get_u32(tb[IPMEM_A_HOST_ID]), idb,
				     sizeof(idb));
		out_str(OUT_ANY, "host_id", "%s", idb);
	} else {
		out_u64(OUT_ANY, "slot", "slot %" PRIu64,
			tb[IPMEM_A_KEY_SLOT] ?
			nla_get_u8(tb[IPMEM_A_KEY_SLOT]) : 0);
	}
	out_str(OUT_ANY, "public_key", " %s\n", hex);
	out_obj_close();
	return 0;
}

static int key_slot(struct args *a, struct nl_msg *msg, const char *what)
{
	const char *kw, *v;
	uint32_t slot;

	while ((kw = next_arg(a))) {
		if (strcmp(kw, "slot"))
			return fail("%s: unknown argument '%s'", what, kw);
		v = kw_value(a, kw);
		if (!v)
			return 1;
		if (ipmem_parse_u32(v, &slot) || slot > 1)
			return fail("%s: slot is 0 or 1, not '%s'", what, v);
		nla_put_u8(msg, IPMEM_A_KEY_SLOT, slot);
	}
	return 0;
}

static int cmd_key(struct args *a)
{
	const char *sub = SUBCOMMAND(a, "key", "show", "show", "generate",
				     "set", "!del");
	const char *p;
	struct nl_msg *msg;
	uint8_t k[KEY_LEN];
	int ret;

	if (!sub)
		return 2;
	if (!strcmp(sub, "show"))
		return no_more(a, "key show") ?:
		       dump(NULL, IPMEM_CMD_HOST_KEY_GET, key_print, NULL, "key show");
	if (!strcmp(sub, "generate")) {
		p = next_arg(a);
		if (!p || next_arg(a))
			return fail("key generate: give one FILE");
		return key_generate(p);
	}
	if (!strcmp(sub, "del")) {
		msg = ipmem_nl_msg(&nl, IPMEM_CMD_HOST_KEY_DEL, false);
		if (!msg)
			return 1;
		if (key_slot(a, msg, "key del"))
			return 1;
		return simple(msg, "key del");
	}
	p = next_arg(a);
	if (!p)
		return fail("key set: give the FILE of the private key");
	if (key_read(p, k, "key set"))
		return 1;
	msg = ipmem_nl_msg(&nl, IPMEM_CMD_HOST_KEY_SET, false);
	if (!msg)
		return 1;
	nla_put(msg, IPMEM_A_PRIVATE_KEY, KEY_LEN, k);
	memset(k, 0, sizeof(k));
	if (key_slot(a, msg, "key set"))
		return 1;
	ret = request(msg, key_print, NULL);
	return ret ? nl_fail("key set", ret) : 0;
}

static int cmd_host_key(struct args *a)
{
	const char *sub = SUBCOMMAND(a, "host-key", "list", "list", "add",
				     "!del");
	const char *p;
	struct nl_msg *msg;
	uint8_t k[KEY_LEN];
	uint32_t id;
	bool add;

	if (!sub)
		return 2;
	if (!strcmp(sub, "list"))
		return no_more(a, "host-key list") ?:
		       dump(NULL, IPMEM_CMD_PEER_KEY_GET, key_print, NULL,
			    "host-key list");
	add = !strcmp(sub, "add");
	p = next_arg(a);
	if (!p || ipmem_parse_host_id(p, &id))
		return fail("host-key %s: give a HOSTID%s%s%s", sub,
			    p ? " ('" : "", p ? p : "", p ? "' is not one)" : "");
	msg = ipmem_nl_msg(&nl, add ? IPMEM_CMD_PEER_KEY_NEW :
			   IPMEM_CMD_PEER_KEY_DEL, false);
	if (!msg)
		return 1;
	nla_put_u32(msg, IPMEM_A_HOST_ID, id);
	p = next_arg(a);
	if (!p && add)
		return fail("host-key add: give the host's public KEY");
	if (p) {
		if (ipmem_parse_key(p, k))
			return fail("host-key %s: '%s' is not a key (64 hex digits)",
				    sub, p);
		nla_put(msg, IPMEM_A_PUBLIC_KEY, KEY_LEN, k);
	}
	if (next_arg(a))
		return fail("host-key %s: too many arguments", sub);
	return simple(msg, add ? "host-key add" : "host-key del");
}

/* ----------------------------------------------------------------- main */

static const struct {
	const char *name;
	int (*fn)(struct args *a);
} cmds[] = {
	{ "host", cmd_host },
	{ "lend", cmd_lend },
	{ "grant", cmd_grant },
	{ "peer", cmd_peer },
	{ "route", cmd_route },
	{ "disk", cmd_disk },
	{ "map", cmd_map },
	{ "lender", cmd_lender },
	{ "monitor", cmd_monitor },
	{ "status", cmd_status },
	{ "borrow", cmd_borrow },
	{ "release", cmd_release },
	{ "key", cmd_key },
	{ "host-key", cmd_host_key },
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/*
 * The command @word names: its full name, or a prefix of exactly one
 * (iproute2's "ip r l"); -1 if it names none, -2 if several.
 */
static int find_cmd(const char *word)
{
	size_t i, len = strlen(word);
	int found = -1;

	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(word, cmds[i].name))
			return i;
	for (i = 0; i < NR_CMDS && len; i++) {
		if (strncmp(word, cmds[i].name, len))
			continue;
		if (found >= 0)
			return -2;
		found = i;
	}
	return found;
}

/* the lines of the usage that are about @name, with what follows them */
static void usage_of(const char *name, FILE *f)
{
	char *text = NULL, *line, *save;
	size_t len = strlen(name), size = 0;
	bool in = false;
	FILE *m = open_memstream(&text, &size);

	if (!m)
		return;
	usage(m);
	fclose(m);
	fprintf(f, "usage:\n");
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "  ", 2) && !strncmp(line + 2, name, len) &&
		    (line[2 + len] == ' ' || !line[2 + len]))
			in = true;
		else if (strncmp(line, "   ", 3))
			in = false;
		if (in)
			fprintf(f, "  ipmemctl%s\n", line + 1);
	}
	free(text);
}

static bool is_help(const char *s)
{
	return !strcmp(s, "help") || !strcmp(s, "-h") || !strcmp(s, "--help");
}

int main(int argc, char **argv)
{
	struct args a = { argc - 1, argv + 1 };
	bool json = false, pretty = false;
	const char *cmd;
	int i, ret;

	/* options come before the command, as with ip(8) */
	while (a.argc && a.argv[0][0] == '-' && !is_help(a.argv[0]) &&
	       strcmp(a.argv[0], "--version")) {
		cmd = next_arg(&a);
		if (!strcmp(cmd, "-j") || !strcmp(cmd, "--json")) {
			json = true;
		} else if (!strcmp(cmd, "-p") || !strcmp(cmd, "--pretty")) {
			pretty = true;
		} else if (!strcmp(cmd, "-jp") || !strcmp(cmd, "-pj")) {
			json = pretty = true;
		} else {
			fail("unknown option '%s' (try 'ipmemctl help')", cmd);
			return 2;
		}
	}
	out_init(json, pretty);
	cmd = next_arg(&a);

	if (!cmd || is_help(cmd)) {
		/* ipmemctl help OBJECT */
		if (cmd && a.argc == 1 && find_cmd(a.argv[0]) >= 0) {
			usage_of(cmds[find_cmd(a.argv[0])].name, stdout);
			return 0;
		}
		usage(cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		if (next_arg(&a))
			return fail("%s takes no arguments", cmd);
		ret = cmd_version();
		out_finish();
		return ret;
	}
	i = find_cmd(cmd);
	if (i == -2) {
		fail("'%s' is short for more than one command (try 'ipmemctl help')",
		     cmd);
		return 2;
	}
	if (i < 0) {
		fail("unknown command '%s' (try 'ipmemctl help')", cmd);
		return 2;
	}
	/* ipmemctl OBJECT help */
	if (a.argc && is_help(a.argv[0])) {
		usage_of(cmds[i].name, stdout);
		return 0;
	}
	ret = cmds[i].fn(&a);
	out_finish();
	ipmem_nl_close(&nl);
	return ret;
}
