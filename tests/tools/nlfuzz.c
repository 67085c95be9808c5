// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: a seeded random generator of requests to the ipmem netlink
 * family, to check that bad input gets an error and changes nothing, and
 * that no input hurts the kernel.
 *
 * usage: nlfuzz [-s SEED] [-n COUNT] [-m safe|valid] [-h HOSTID] [-v]
 *
 *   safe   (default) every command, known or not, as a request or a
 *          dump, with random attributes: random types (known and not),
 *          random lengths, random bytes.  Every request that would change
 *          something also carries an attribute of a type the family does
 *          not have, so the kernel must refuse it: state must not change
 *          (the caller compares before and after) and no request that
 *          changes state may succeed (nlfuzz fails if one does).
 *   valid  commands with attributes of the right types and sizes and
 *          values drawn from what matters (this host's prefixes and host
 *          id, small block numbers, the limits of each field), so that
 *          the kernel's checks past the netlink policy are exercised and
 *          some requests succeed.  State changes; the caller checks that
 *          everything can still be taken down.
 *
 * HOSTID is this host's id (block prefixes of it are drawn more often).
 * Prints "seed S" first, then a summary; -v one line per request.  Exit
 * status 0, 1 if a request that changes state succeeded in safe mode, 2
 * on usage or set-up errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "nl.h"
#include "parse.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* commands that change state (GENL_ADMIN_PERM) */
static const int mutating[] = {
	IPMEM_CMD_SET_HOST_ID, IPMEM_CMD_POOL_NEW, IPMEM_CMD_POOL_DEL,
	IPMEM_CMD_GRANT_NEW, IPMEM_CMD_GRANT_RESERVE, IPMEM_CMD_GRANT_CONFIRM,
	IPMEM_CMD_GRANT_DEL, IPMEM_CMD_ROUTE_NEW, IPMEM_CMD_ROUTE_DEL,
	IPMEM_CMD_DISK_NEW, IPMEM_CMD_DISK_DEL, IPMEM_CMD_MAP_NEW,
	IPMEM_CMD_MAP_DEL, IPMEM_CMD_POOL_SHRINK, IPMEM_CMD_HOST_KEY_SET,
	IPMEM_CMD_HOST_KEY_DEL, IPMEM_CMD_PEER_KEY_NEW, IPMEM_CMD_PEER_KEY_DEL,
};

static int is_mutating(int cmd)
{
	size_t i;

	for (i = 0; i < sizeof(mutating) / sizeof(mutating[0]); i++)
		if (mutating[i] == cmd)
			return 1;
	return 0;
}

/* the size of each attribute type, 0 for variable (string, nest) */
static int attr_size(int type)
{
	switch (type) {
	case IPMEM_A_NET_PREFIX: case IPMEM_A_ADDR: case IPMEM_A_PREFIX:
	case IPMEM_A_NEXTHOP:
		return 16;
	case IPMEM_A_PREFIX_LEN: case IPMEM_A_RIGHTS: case IPMEM_A_STATE:
	case IPMEM_A_REPLICAS: case IPMEM_A_REPLICA: case IPMEM_A_CONN_STATE:
		return 1;
	case IPMEM_A_PORT:
		return 2;
	case IPMEM_A_HOST_ID: case IPMEM_A_BLOCK_SIZE: case IPMEM_A_BORROWER:
	case IPMEM_A_TIMEOUT_MS: case IPMEM_A_DISK: case IPMEM_A_LENDER:
		return 4;
	case IPMEM_A_SIZE: case IPMEM_A_BLOCKS_TOTAL: case IPMEM_A_BLOCKS_FREE:
	case IPMEM_A_EPOCH: case IPMEM_A_GEN: case IPMEM_A_BLOCK_COUNT:
	case IPMEM_A_EXTENT: case IPMEM_A_EXTENT_COUNT:
	case IPMEM_A_COPIES_MAPPED:
		return 8;
	}
	return 0;
}

static uint8_t net[16];		/* this deployment's /48 */
static uint32_t host_id;	/* this host's id */

/* A number a field would get wrong: limits, powers of two, small. */
static uint64_t interesting(int bytes)
{
	uint64_t max = bytes >= 8 ? UINT64_MAX : (1ULL << (8 * bytes)) - 1;

	switch (below(8)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return max;
	case 3: return max - below(2);
	case 4: return (1ULL << below(8 * bytes)) & max;
	case 5: return below(130);
	case 6: return ((1ULL << below(8 * bytes)) - 1) & max;
	default: return rnd() & max;
	}
}

/* An address near what matters: our net, our host, a block. */
static void interesting_addr(uint8_t a[16])
{
	int i;

	for (i = 0; i < 16; i++)
		a[i] = rnd();
	switch (below(4)) {
	case 0:
		return;		/* anything */
	case 1:
		memcpy(a, net, 6);	/* our net, any host */
		return;
	default:
		memcpy(a, net, 6);	/* our host, a small block number */
		a[6] = host_id >> 24;
		a[7] = host_id >> 16;
		a[8] = host_id >> 8;
		a[9] = host_id;
		memset(a + 10, 0, 6);
		a[15] = below(4) ? 0 : rnd();
		a[14] = below(2) ? 0 : below(16);
		return;
	}
}

static void put_le(uint8_t *buf, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		buf[i] = v >> (8 * i);	/* netlink is host order: x86 */
}

/* the attributes each command takes (its netlink policy) */
static const int cmd_attrs[IPMEM_CMD_MAX + 1][6] = {
	[IPMEM_CMD_SET_HOST_ID] = { IPMEM_A_NET_PREFIX, IPMEM_A_HOST_ID },
	[IPMEM_CMD_POOL_NEW] = { IPMEM_A_SIZE, IPMEM_A_BLOCK_SIZE,
				 IPMEM_A_ADDR, IPMEM_A_PORT },
	[IPMEM_CMD_POOL_SHRINK] = { IPMEM_A_SIZE },
	[IPMEM_CMD_GRANT_NEW] = { IPMEM_A_PREFIX, IPMEM_A_PREFIX_LEN,
				  IPMEM_A_BORROWER, IPMEM_A_RIGHTS },
	[IPMEM_CMD_GRANT_RESERVE] = { IPMEM_A_BLOCK_COUNT, IPMEM_A_BORROWER,
				      IPMEM_A_RIGHTS, IPMEM_A_TIMEOUT_MS },
	[IPMEM_CMD_GRANT_CONFIRM] = { IPMEM_A_PREFIX, IPMEM_A_PREFIX_LEN },
	[IPMEM_CMD_GRANT_DEL] = { IPMEM_A_PREFIX, IPMEM_A_PREFIX_LEN },
	[IPMEM_CMD_ROUTE_NEW] = { IPMEM_A_PREFIX, IPMEM_A_PREFIX_LEN,
				  IPMEM_A_NEXTHOP, IPMEM_A_PORT },
	[IPMEM_CMD_ROUTE_DEL] = { IPMEM_A_PREFIX, IPMEM_A_PREFIX_LEN },
	[IPMEM_CMD_DISK_NEW] = { IPMEM_A_SIZE, IPMEM_A_BLOCK_SIZE,
				 IPMEM_A_REPLICAS, IPMEM_A_DISK },
	[IPMEM_CMD_DISK_DEL] = { IPMEM_A_DISK },
	[IPMEM_CMD_DISK_GET] = { IPMEM_A_DISK },
	[IPMEM_CMD_MAP_NEW] = { IPMEM_A_DISK, IPMEM_A_PREFIX,
				IPMEM_A_PREFIX_LEN, IPMEM_A_EXTENT,
				IPMEM_A_REPLICA },
	[IPMEM_CMD_MAP_DEL] = { IPMEM_A_PREFIX, IPMEM_A_PREFIX_LEN },
	[IPMEM_CMD_MAP_GET] = { IPMEM_A_DISK },
};

/*
 * Add one attribute; safe mode: anything goes.  Valid mode: mostly one
 * of those @cmd takes, with its type's size.
 */
static void put_random(struct nl_msg *msg, int cmd, int valid)
{
	const int *mine = cmd >= 0 && cmd <= IPMEM_CMD_MAX ? cmd_attrs[cmd] :
							      NULL;
	uint8_t buf[80];
	int type, len, size, i, n = 0;

	while (mine && n < 6 && mine[n])
		n++;
	if (valid && n && below(8))
		type = mine[below(n)];
	else
		type = valid ? 1 + below(IPMEM_A_MAX) : below(IPMEM_A_MAX + 3);
	size = attr_size(type);
	if (valid && size == 16) {
		interesting_addr(buf);
		len = 16;
	} else if (valid && size) {
		put_le(buf, interesting(size), size);
		len = size;
	} else {
		switch (below(4)) {
		case 0: len = size; break;
		case 1: len = below(3); break;
		case 2: len = 1 << below(5); break;
		default: len = below(sizeof(buf)); break;
		}
		for (i = 0; i < len; i++)
			buf[i] = rnd();
	}
	nla_put(msg, type, len, buf);
}

int main(int argc, char **argv)
{
	unsigned long count = 1000, n, ok = 0, refused = 0, bad = 0;
	unsigned long by_errno[160] = { 0 };
	int opt, valid = 0, verbose = 0, cmd, dump, nattrs, i, ret;
	uint64_t seed = 0;
	struct ipmem_nl nl;
	struct nl_msg *msg;

	while ((opt = getopt(argc, argv, "s:n:m:h:v")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			if (!strcmp(optarg, "valid"))
				valid = 1;
			else if (strcmp(optarg, "safe"))
				goto usage;
			break;
		case 'h':
			if (ipmem_parse_host_id(optarg, &host_id))
				goto usage;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		return 2;
	rng_state = seed | 1;
	printf("seed %#llx mode %s count %lu\n", (unsigned long long)seed,
	       valid ? "valid" : "safe", count);
	fflush(stdout);

	inet_pton(AF_INET6, "fd69:706d:656d::", net);
	if (ipmem_nl_open(&nl)) {
		fprintf(stderr, "nlfuzz: %s\n", nl.err);
		return 2;
	}

	for (n = 0; n < count; n++) {
		/* every command in turn, now and then any number at all */
		cmd = below(8) ? (int)(n % (IPMEM_CMD_MAX + 1)) :
				 (int)below(256);
		if (valid && !below(4))
			cmd = 1 + below(IPMEM_CMD_MAX);
		dump = valid ? !is_mutating(cmd) && below(2) : below(2);
		msg = ipmem_nl_msg(&nl, cmd, dump);
		nattrs = below(valid ? 6 : 9);
		for (i = 0; i < nattrs; i++)
			put_random(msg, cmd, valid);
		/* safe: whatever would change state must be refused */
		if (!valid && is_mutating(cmd))
			nla_put_u32(msg, IPMEM_A_MAX + 1, rnd());
		ret = ipmem_nl_send(&nl, msg, NULL, NULL);
		if (verbose)
			printf("%lu cmd %d%s attrs %d: %d %s\n", n, cmd,
			       dump ? " dump" : "", nattrs, ret,
			       ret ? nl.err : "");
		if (!ret) {
			ok++;
			if (!valid && is_mutating(cmd)) {
				printf("BUG: request %lu, command %d, changing state, succeeded\n",
				       n, cmd);
				bad++;
			}
		} else {
			refused++;
			by_errno[-ret < 160 && ret < 0 ? -ret : 0]++;
		}
	}
	ipmem_nl_close(&nl);

	printf("sent %lu: %lu ok, %lu refused (", count, ok, refused);
	for (i = 0, n = 0; i < 160; i++)
		if (by_errno[i])
			printf("%s%s %lu", n++ ? ", " : "",
			       i ? strerrorname_np(i) ?: "?" : "other",
			       by_errno[i]);
	printf(")\n");
	return bad ? 1 : 0;

usage:
	fprintf(stderr, "usage: nlfuzz [-s SEED] [-n COUNT] [-m safe|valid] [-h HOSTID] [-v]\n");
	return 2;
}
