// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of fuzz-route (tests/fuzz/corpus/route/): one
 * valid route of each kind, as ipmemd encodes it, in the target's input
 * format (prefix, length, next hop, count, then the large communities).
 * The seeds are checked in; run this again (make fuzz-seeds) when the
 * encoding changes.
 *
 * usage: mkseeds DIR
 */
#include <stdio.h>
#include <string.h>

#include "ipmemd/codec.h"

static const struct ibgp_ctx ctx = {
	.asn = 65077,
	.net = { 0xfd, 0x69, 0x70, 0x6d, 0x65, 0x6d },
};

static void put32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	fwrite(b, 1, 4, f);
}

static int seed(const char *dir, const char *name, struct ibgp_route *m)
{
	struct gbgp_route r;
	char path[512];
	uint8_t n;
	uint32_t i;
	FILE *f;

	m->nexthop[0] = 0xfd;
	m->nexthop[15] = 1;
	if ((m->kind != IPMEM_BGP_KIND_GRANT && ibgp_make_prefix(&ctx, m)) ||
	    ibgp_encode(&ctx, m, &r))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	fwrite(&r.prefix, 1, 16, f);
	fwrite(&r.plen, 1, 1, f);
	fwrite(&r.nexthop, 1, 16, f);
	n = r.nlarge;
	fwrite(&n, 1, 1, f);
	for (i = 0; i < r.nlarge; i++) {
		put32(f, r.large[i].global_admin);
		put32(f, r.large[i].local1);
		put32(f, r.large[i].local2);
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct ibgp_route m;
	int ret = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds DIR\n");
		return 2;
	}
	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_POOL;
	m.host = 0x0a4d0001;
	m.pool.total = 8192;
	m.pool.free = 4096;
	m.pool.block_size = 65536;
	m.pool.port = 7471;
	ret |= seed(argv[1], "pool", &m);

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_REQUEST;
	m.host = 0x0a4d0003;
	m.req.disk = 1;
	m.req.lender = 0x0a4d0001;
	m.req.count = 2048;
	m.req.block_size = 65536;
	m.req.rights = IPMEM_RIGHTS_RW;
	m.req.state = IPMEM_BGP_REQ_PENDING;
	m.req.serial = 1792000000000000ULL;
	ret |= seed(argv[1], "request", &m);

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_GRANT;
	m.host = 0x0a4d0001;
	m.grant.borrower = 0x0a4d0003;
	m.grant.disk = 1;
	m.grant.first = 2048;
	m.grant.count = 2048;
	m.grant.rights = IPMEM_RIGHTS_RW;
	m.grant.state = IPMEM_GRANT_CONFIRMED;
	m.grant.serial = 1792000000000000ULL;
	ret |= ibgp_make_prefix(&ctx, &m);
	ret |= seed(argv[1], "grant", &m);

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_REFUSAL;
	m.host = 0x0a4d0001;
	m.ref.borrower = 0x0a4d0003;
	m.ref.disk = 1;
	m.ref.reason = 1;
	m.ref.serial = 1792000000000000ULL;
	ret |= seed(argv[1], "refusal", &m);
	if (ret)
		fprintf(stderr, "mkseeds: a seed could not be made\n");
	return ret ? 1 : 0;
}
