// SPDX-License-Identifier: GPL-2.0
/*
 * nlraw: send one ipmem netlink request with exactly the attributes given,
 * to test how the kernel treats input that ipmemctl would never send.
 *
 * usage: nlraw [-d] CMD [ATTR=KIND:VALUE ...]
 *   CMD    a command name without IPMEM_CMD_ (POOL_NEW) or its number
 *   ATTR   an attribute name without IPMEM_A_ (PREFIX_LEN) or its number
 *   KIND   u8 u16 u32 u64 str addr (IPv6) hex (bytes)
 *   -d     a dump request
 *
 * Prints "ok" (and one line per reply message, and "ROUTE_MAC HEX" for
 * a ROUTE_MAC answer) or "error: MESSAGE" with the kernel's extended ack,
 * and exits 0 or 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"

#define N(x) { #x, IPMEM_CMD_##x }
static const struct { const char *name; int v; } cmds[] = {
	N(POOL_NEW), N(POOL_DEL), N(POOL_GET), N(GRANT_NEW),
	N(GRANT_RESERVE), N(GRANT_CONFIRM), N(GRANT_DEL), N(GRANT_GET),
	N(PEER_GET), N(ROUTE_NEW), N(ROUTE_DEL), N(ROUTE_GET), N(DISK_NEW),
	N(DISK_DEL), N(DISK_GET), N(MAP_NEW), N(MAP_DEL), N(MAP_GET),
	N(LENDER_GET), N(SET_HOST_ID), N(GET_HOST_ID), N(HOST_KEY_SET),
	N(HOST_KEY_DEL), N(HOST_KEY_GET), N(PEER_KEY_NEW), N(PEER_KEY_DEL),
	N(PEER_KEY_GET), N(ROUTE_MAC), N(VERSION_GET), N(POOL_SHRINK),
};
#undef N
#define N(x) { #x, IPMEM_A_##x }
static const struct { const char *name; int v; } attrs[] = {
	N(NET_PREFIX), N(HOST_ID), N(BLOCK_SIZE), N(SIZE), N(ADDR), N(PORT),
	N(PREFIX), N(PREFIX_LEN), N(BORROWER), N(RIGHTS), N(STATE),
	N(TIMEOUT_MS), N(BLOCK_COUNT), N(NEXTHOP), N(DISK), N(NAME),
	N(REPLICAS), N(REPLICA), N(EXTENT), N(GRANT), N(ENCRYPT),
	N(KEY_SLOT), N(PRIVATE_KEY), N(PUBLIC_KEY), N(ROUTE), N(ROUTE_MAC),
};
#undef N

static int lookup(const char *s, int table)
{
	size_t i, n = table ? sizeof(attrs) / sizeof(attrs[0]) :
			      sizeof(cmds) / sizeof(cmds[0]);

	for (i = 0; i < n; i++)
		if (!strcmp(s, table ? attrs[i].name : cmds[i].name))
			return table ? attrs[i].v : cmds[i].v;
	return atoi(s);
}

static int put(struct nl_msg *msg, char *spec)
{
	char *eq = strchr(spec, '='), *colon, *kind, *val;
	unsigned char buf[512];
	unsigned long long v;
	size_t n;
	int type;

	if (!eq || !(colon = strchr(eq, ':')))
		return -1;
	*eq = 0;
	*colon = 0;
	type = lookup(spec, 1);
	kind = eq + 1;
	val = colon + 1;
	v = strtoull(val, NULL, 0);
	if (!strcmp(kind, "u8"))
		return nla_put_u8(msg, type, v);
	if (!strcmp(kind, "u16"))
		return nla_put_u16(msg, type, v);
	if (!strcmp(kind, "u32"))
		return nla_put_u32(msg, type, v);
	if (!strcmp(kind, "u64"))
		return nla_put_u64(msg, type, v);
	if (!strcmp(kind, "str"))
		return nla_put_string(msg, type, val);
	if (!strcmp(kind, "addr")) {
		if (inet_pton(AF_INET6, val, buf) != 1)
			return -1;
		return nla_put(msg, type, 16, buf);
	}
	if (!strcmp(kind, "hex")) {
		for (n = 0; val[2 * n] && val[2 * n + 1] && n < sizeof(buf); n++)
			sscanf(val + 2 * n, "%2hhx", &buf[n]);
		return nla_put(msg, type, n, buf);
	}
	return -1;
}

static int show(struct nlattr **tb, struct nlmsghdr *nlh, void *arg)
{
	int i, n = 0;

	for (i = 1; i <= IPMEM_A_MAX; i++)
		n += !!tb[i];
	printf("reply with %d attributes\n", n);
	/* what ROUTE_MAC answers, for tests that sign routes by hand */
	if (tb[IPMEM_A_ROUTE_MAC]) {
		printf("ROUTE_MAC ");
		for (i = 0; i < nla_len(tb[IPMEM_A_ROUTE_MAC]); i++)
			printf("%02x", ((unsigned char *)nla_data(tb[IPMEM_A_ROUTE_MAC]))[i]);
		printf("\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ipmem_nl nl;
	struct nl_msg *msg;
	int i = 1, dump = 0, ret;

	if (argc > 1 && !strcmp(argv[1], "-d")) {
		dump = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: nlraw [-d] CMD [ATTR=KIND:VALUE ...]\n");
		return 2;
	}
	if (ipmem_nl_open(&nl)) {
		printf("error: %s\n", nl.err);
		return 1;
	}
	msg = ipmem_nl_msg(&nl, lookup(argv[i++], 0), dump);
	for (; i < argc; i++) {
		if (put(msg, argv[i])) {
			fprintf(stderr, "nlraw: bad attribute '%s'\n", argv[i]);
			return 2;
		}
	}
	ret = ipmem_nl_send(&nl, msg, show, NULL);
	if (ret) {
		printf("error: %s\n", nl.err[0] ? nl.err : strerror(-ret));
		return 1;
	}
	printf("ok\n");
	return 0;
}
