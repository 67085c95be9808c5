// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of ipmemd's pure logic: the BGP encoding (<ipmem/bgp.h>,
 * helper/ipmemd/codec.c), the choice of lenders (plan.c) and the
 * configuration file (config.c).  Built with ASan/UBSan.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <stdlib.h>

#include "tap.h"
#include "ipmemd/codec.h"

static struct ibgp_ctx ctx;

static void pton(const char *s, void *a)
{
	if (inet_pton(AF_INET6, s, a) != 1)
		abort();
}

static void set_nh(struct ibgp_route *m)
{
	pton("fd00:77::1", m->nexthop);
}

/* encode @m, decode it again into @out; 0 if that worked */
static int roundtrip(struct ibgp_route *m, struct ibgp_route *out)
{
	struct gbgp_route r;
	char why[256];

	if (ibgp_encode(&ctx, m, &r))
		return -2;
	if (ibgp_decode(&ctx, &r, out, why, sizeof(why))) {
		printf("#   %s\n", why);
		return -1;
	}
	return 0;
}

/* a valid pool path to break in various ways */
static void pool_path(struct gbgp_route *r)
{
	struct ibgp_route m;

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_POOL;
	m.host = 0x0a4d0001;
	set_nh(&m);
	m.pool.total = 1024;
	m.pool.free = 1000;
	m.pool.block_size = 65536;
	m.pool.port = 7471;
	ibgp_encode(&ctx, &m, r);
}

static struct gbgp_large *find_fn(struct gbgp_route *r, uint32_t fn)
{
	uint32_t i;

	for (i = 0; i < r->nlarge; i++)
		if (r->large[i].local1 == fn)
			return &r->large[i];
	abort();
}

/* @m: lender a4d:1's pool of 64 blocks of 64 KiB, at port 7471; @r: its path */
static void pool_route(struct ibgp_route *m, struct gbgp_route *r)
{
	memset(m, 0, sizeof(*m));
	m->kind = IPMEM_BGP_KIND_POOL;
	m->host = 0x0a4d0001;
	set_nh(m);
	m->pool.total = m->pool.free = 64;
	m->pool.block_size = 65536;
	m->pool.port = IPMEM_PORT;
	ibgp_encode(&ctx, m, r);
}

/* decode @r; 0 if valid; @why gets the reason and must contain @want */
static int rejects(struct gbgp_route *r, const char *want, const char *what)
{
	struct ibgp_route out;
	char why[256] = "";
	int ret = ibgp_decode(&ctx, r, &out, why, sizeof(why));

	if (!ok(ret && strstr(why, want), "rejects %s", what))
		printf("#   ret %d, why '%s', want '%s'\n", ret, why, want);
	return ret;
}

static void test_layout(void)
{
	uint8_t a[16], b[16];

	is_u64(ipmem_bgp_space(ipmem_bgp_request_block(5, 0x0a4d0001)),
	       IPMEM_BGP_SPACE_REQUEST, "request block is in the request space");
	is_u64(ipmem_bgp_block_disk(ipmem_bgp_request_block(5, 0x0a4d0001)), 5,
	       "request block carries the disk");
	is_u64(ipmem_bgp_block_peer(ipmem_bgp_request_block(5, 0x0a4d0001)),
	       0x0a4d0001, "request block carries the lender");
	is_u64(ipmem_bgp_space(ipmem_bgp_reply_block(16383, 7)),
	       IPMEM_BGP_SPACE_REPLY, "reply block is in the reply space");
	is_u64(ipmem_bgp_block_disk(ipmem_bgp_reply_block(16384 + 3, 7)), 3,
	       "disk numbers wrap at 14 bits (callers check the limit)");
	is_u64(IPMEM_BGP_BORROW_PLEN, 96, "a borrow is a /96");
	is_u64(IPMEM_BGP_BLOCK_LIMIT, 1ULL << IPMEM_BGP_SPACE_SHIFT,
	       "the blocks space holds 2^46 blocks");
	is_u64(IPMEM_BGP_DISK_LIMIT, 1U << IPMEM_BGP_DISK_BITS,
	       "a borrower names 2^14 disks");
	is_u64(IPMEM_BGP_GRANT_PLEN_MIN, 82, "a grant is at least a /82");

	/* the request for disk 0 of a4d:3 to a4d:1, as the docs show it */
	ipmem_addr_make(a, ctx.net, 0x0a4d0003,
			ipmem_bgp_request_block(0, 0x0a4d0001));
	pton("fd69:706d:656d:a4d:3:8000:a4d:1", b);
	ok(!memcmp(a, b, 16), "request prefix fd69:706d:656d:a4d:3:8000:a4d:1");
	ipmem_addr_make(a, ctx.net, 0x0a4d0001,
			ipmem_bgp_reply_block(0, 0x0a4d0003));
	pton("fd69:706d:656d:a4d:1:c000:a4d:3", b);
	ok(!memcmp(a, b, 16), "refusal prefix fd69:706d:656d:a4d:1:c000:a4d:3");
}

static void test_roundtrip(void)
{
	struct ibgp_route m, o;
	char s[64];

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_POOL;
	m.host = 0x0a4d0001;
	set_nh(&m);
	m.pool.total = 0x300000000ULL;		/* past 32 bits */
	m.pool.free = 0x200000001ULL;
	m.pool.block_size = 4096;
	m.pool.port = 7471;
	ok(!roundtrip(&m, &o) && o.kind == IPMEM_BGP_KIND_POOL &&
	   o.host == m.host && o.pool.total == m.pool.total &&
	   o.pool.free == m.pool.free && o.pool.block_size == 4096 &&
	   o.pool.port == 7471 && !memcmp(o.nexthop, m.nexthop, 16),
	   "pool route round-trips, 64-bit counts included");
	ibgp_fmt_prefix(o.prefix, o.plen, s, sizeof(s));
	is_str(s, "fd69:706d:656d:a4d:1::/80", "pool prefix is the lender's /80");

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_REQUEST;
	m.host = 0x0a4d0003;
	set_nh(&m);
	m.req.disk = 12;
	m.req.lender = 0x0a4d0002;
	m.req.count = 1536;
	m.req.block_size = 65536;
	m.req.rights = IPMEM_RIGHTS_RO;
	m.req.state = IPMEM_BGP_REQ_CONFIRMED;
	m.req.serial = 0x00062a1b2c3d4e5fULL;
	ok(!roundtrip(&m, &o) && o.kind == IPMEM_BGP_KIND_REQUEST &&
	   o.req.serial == 0x00062a1b2c3d4e5fULL &&
	   o.host == 0x0a4d0003 && o.req.disk == 12 &&
	   o.req.lender == 0x0a4d0002 && o.req.count == 1536 &&
	   o.req.rights == IPMEM_RIGHTS_RO &&
	   o.req.state == IPMEM_BGP_REQ_CONFIRMED && o.plen == 128,
	   "request round-trips");

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_GRANT;
	m.host = 0x0a4d0001;
	set_nh(&m);
	m.grant.borrower = 0x0a4d0003;
	m.grant.disk = 12;
	m.grant.first = 512;
	m.grant.count = 256;
	m.grant.rights = IPMEM_RIGHTS_RW;
	m.grant.state = IPMEM_GRANT_RESERVED;
	m.grant.serial = 7;
	ok(!roundtrip(&m, &o) && o.kind == IPMEM_BGP_KIND_GRANT &&
	   o.grant.serial == 7 &&
	   o.grant.first == 512 && o.grant.count == 256 && o.plen == 120 &&
	   o.grant.borrower == 0x0a4d0003 && o.grant.disk == 12 &&
	   o.grant.state == IPMEM_GRANT_RESERVED,
	   "grant round-trips; its blocks come from the prefix");
	m.grant.first = 100;
	ok(roundtrip(&m, &o) == -2, "a misaligned grant cannot be encoded");
	m.grant.first = 0;
	m.grant.count = 3;
	ok(roundtrip(&m, &o) == -2, "a grant of 3 blocks cannot be encoded");

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_REFUSAL;
	m.host = 0x0a4d0001;
	set_nh(&m);
	m.ref.borrower = 0x0a4d0003;
	m.ref.disk = 4;
	m.ref.reason = IPMEM_BGP_REASON_NOSPACE;
	m.ref.serial = 1ULL << 32;
	ok(!roundtrip(&m, &o) && o.kind == IPMEM_BGP_KIND_REFUSAL &&
	   o.ref.serial == 1ULL << 32 &&
	   o.ref.borrower == 0x0a4d0003 && o.ref.disk == 4 &&
	   o.ref.reason == IPMEM_BGP_REASON_NOSPACE,
	   "refusal round-trips");

	m.ref.disk = IPMEM_BGP_DISK_LIMIT;
	ok(roundtrip(&m, &o) == -2, "disk 16384 cannot be encoded");
}

static void test_reject(void)
{
	struct gbgp_route r, r2;
	struct ibgp_route out;
	char why[256];

	pool_path(&r);
	ok(!ibgp_decode(&ctx, &r, &out, why, sizeof(why)), "the base pool path is valid");

	/* someone else's communities next to ours are fine */
	r2 = r;
	r2.large[r2.nlarge].global_admin = 64999;
	r2.large[r2.nlarge].local1 = 99;
	r2.large[r2.nlarge++].local2 = 99;
	ok(!ibgp_decode(&ctx, &r2, &out, why, sizeof(why)),
	   "communities of another AS are ignored");

	r2 = r;
	r2.nlarge = 0;
	rejects(&r2, "foreign", "a route without communities (foreign)");
	r2 = r;
	for (uint32_t i = 0; i < r2.nlarge; i++)
		r2.large[i].global_admin = 64999;
	rejects(&r2, "foreign", "a route with another AS's communities only");

	r2 = r;
	r2.large[r2.nlarge].global_admin = ctx.asn;
	r2.large[r2.nlarge].local1 = 99;
	r2.large[r2.nlarge++].local2 = 7;
	rejects(&r2, "unknown community function", "an unknown function");
	r2 = r;
	r2.large[r2.nlarge] = r2.large[0];
	r2.nlarge++;
	rejects(&r2, "repeated", "a repeated function");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_FREE)->local1 = IPMEM_BGP_FN_COUNT;
	rejects(&r2, "lacks", "a pool without V_i");
	r2 = r;
	r2.large[r2.nlarge].global_admin = ctx.asn;
	r2.large[r2.nlarge].local1 = IPMEM_BGP_FN_BORROWER;
	r2.large[r2.nlarge++].local2 = 1;
	rejects(&r2, "not valid in a pool", "a grant community on a pool");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_KIND)->local2 = 9;
	rejects(&r2, "unknown kind", "kind 9");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_VERSION)->local2 = 2;
	rejects(&r2, "version", "a newer encoding version");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_FREE)->local2 = 2000;
	rejects(&r2, "more free", "V_i above M_i");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_BLOCK_SIZE)->local2 = 1000;
	rejects(&r2, "block size", "block size 1000");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_PORT)->local2 = 70000;
	rejects(&r2, "port", "port 70000");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_TOTAL)->local2 = 0;
	find_fn(&r2, IPMEM_BGP_FN_FREE)->local2 = 0;
	rejects(&r2, "pool of 0", "an empty pool");

	r2 = r;
	pton("2001:db8:2:0:1::", &r2.prefix);
	rejects(&r2, "outside the network", "a prefix outside the network prefix");
	r2 = r;
	r2.plen = 64;
	rejects(&r2, "shorter than /80", "a prefix shorter than /80");
	r2 = r;
	r2.plen = 96;
	rejects(&r2, "not a /80", "a pool that is not a /80");
	r2 = r;
	r2.prefix.s6_addr[15] = 1;
	rejects(&r2, "bits set", "host bits past the length");
	r2 = r;
	pton("::", &r2.nexthop);
	rejects(&r2, "next hop", "next hop ::");
	r2 = r;
	pton("fe80::1", &r2.nexthop);
	rejects(&r2, "next hop", "a link-local next hop");
	r2 = r;
	pton("::1", &r2.nexthop);
	rejects(&r2, "next hop", "a loopback next hop");
	r2 = r;
	r2.error = "undecodable";
	rejects(&r2, "undecodable", "what the gobgp client could not decode");
}

/* a request of a4d:3 to a4d:2 for 16 blocks, in @state, and its path */
static void make_request(struct ibgp_route *m, uint8_t state,
			 struct gbgp_route *r)
{
	memset(m, 0, sizeof(*m));
	m->kind = IPMEM_BGP_KIND_REQUEST;
	m->host = 0x0a4d0003;
	set_nh(m);
	m->req.lender = 0x0a4d0002;
	m->req.count = 16;
	m->req.block_size = 65536;
	m->req.rights = IPMEM_RIGHTS_RW;
	m->req.state = state;
	m->req.serial = 0x00062a1b2c3d4e5fULL;
	ibgp_encode(&ctx, m, r);
}

static void test_reject_kinds(void)
{
	struct ibgp_route m, m2;
	struct gbgp_route r, r2;
	char why[256];

	make_request(&m, IPMEM_BGP_REQ_PENDING, &r);

	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_COUNT)->local2 = 0;
	rejects(&r2, "request for 0 blocks", "a request for 0 blocks");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_LENDER)->local2 = 0x0a4d0009;
	rejects(&r2, "names lender", "a request whose prefix names another lender");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_RIGHTS)->local2 = 3;
	rejects(&r2, "rights", "rights 3");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_REQ_STATE)->local2 = 5;
	rejects(&r2, "request state", "request state 5");
	r2 = r;
	r2.prefix.s6_addr[10] &= 0x3f;	/* into the blocks space */
	rejects(&r2, "request space", "a request in the blocks space");
	r2 = r;
	r2.plen = 120;
	r2.prefix.s6_addr[15] = 0;
	rejects(&r2, "request space", "a request that is not a /128");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_SERIAL)->local2 = 0;
	find_fn(&r2, IPMEM_BGP_FN_SERIAL_HI)->local2 = 0;
	rejects(&r2, "serial 0", "a request with serial 0");
	r2 = r;
	r2.nlarge--;			/* SERIAL_HI, the last */
	rejects(&r2, "lacks community function 26", "a request without the high half of its serial");

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_GRANT;
	m.host = 0x0a4d0001;
	set_nh(&m);
	m.grant.borrower = 0x0a4d0003;
	m.grant.count = 16;
	m.grant.rights = IPMEM_RIGHTS_RW;
	m.grant.state = IPMEM_GRANT_CONFIRMED;
	m.grant.serial = 1;
	ibgp_encode(&ctx, &m, &r);
	r2 = r;
	r2.prefix.s6_addr[10] = 0x80;	/* the request space */
	rejects(&r2, "blocks space", "a grant in the request space");
	r2 = r;
	r2.plen = 81;
	rejects(&r2, "blocks space", "a grant shorter than /82");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_DISK)->local2 = IPMEM_BGP_DISK_LIMIT;
	rejects(&r2, "disk", "a grant for disk 16384");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_GRANT_STATE)->local2 = 4;
	rejects(&r2, "grant state", "grant state 4");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_GRANT_STATE)->local2 = 0;
	rejects(&r2, "grant state", "grant state 0");
	m.grant.state = IPMEM_BGP_GRANT_DRAINING;
	ibgp_encode(&ctx, &m, &r2);
	ok(ibgp_decode(&ctx, &r2, &m2, why, sizeof(why)) == 0 &&
	   m2.grant.state == IPMEM_BGP_GRANT_DRAINING,
	   "a draining grant (state 3) decodes as such");

	memset(&m, 0, sizeof(m));
	m.kind = IPMEM_BGP_KIND_REFUSAL;
	m.host = 0x0a4d0001;
	set_nh(&m);
	m.ref.borrower = 0x0a4d0003;
	m.ref.reason = IPMEM_BGP_REASON_EXPIRED;
	m.ref.serial = 1;
	ibgp_encode(&ctx, &m, &r);
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_BORROWER)->local2 = 0x0a4d0004;
	rejects(&r2, "disagrees", "a refusal naming another borrower");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_REASON)->local2 = 77;
	rejects(&r2, "reason", "refusal reason 77");
}

/* a confirmed request's changes: a run given back, a revision */
static void test_request_changes(void)
{
	struct ibgp_route m, o;
	struct gbgp_route r, r2;

	make_request(&m, IPMEM_BGP_REQ_CONFIRMED, &r);
	ok(!roundtrip(&m, &o) && !o.req.ret_count && !o.req.revision &&
	   r.nlarge == 9, "a request without changes carries no RETURN or REVISION");

	m.req.ret_first = 0x123400000200ULL;	/* past 32 bits */
	m.req.ret_count = 512;
	m.req.revision = 0x00062a1b2c3d4e60ULL;
	m.req.count = 1024;
	ok(!roundtrip(&m, &o) && o.req.ret_first == 0x123400000200ULL &&
	   o.req.ret_count == 512 && o.req.revision == 0x00062a1b2c3d4e60ULL &&
	   o.req.count == 1024 && o.req.state == IPMEM_BGP_REQ_CONFIRMED,
	   "a return and a revision round-trip, 64-bit values included");
	m.req.ret_count = 1ULL << 32;
	ok(roundtrip(&m, &o) == -2, "a return of 2^32 blocks cannot be encoded");

	m.req.ret_first = 4096;
	m.req.ret_count = 256;
	m.req.revision = 9;
	ibgp_encode(&ctx, &m, &r);
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_RETURN_COUNT)->local2 = 0;
	rejects(&r2, "return of blocks", "a return of 0 blocks");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_RETURN)->local1 = IPMEM_BGP_FN_RETURN_HI;
	find_fn(&r2, IPMEM_BGP_FN_RETURN_HI)->local2 = 0x4000;
	rejects(&r2, "needs RETURN and RETURN_COUNT", "RETURN_HI without RETURN");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_RETURN_COUNT)->local1 = IPMEM_BGP_FN_RETURN_HI;
	rejects(&r2, "needs RETURN and RETURN_COUNT", "a return without its count");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_RETURN)->local2 = 0xffffffff;
	find_fn(&r2, IPMEM_BGP_FN_RETURN_COUNT)->local2 = 0xffffffff;
	r2.large[r2.nlarge].global_admin = ctx.asn;
	r2.large[r2.nlarge].local1 = IPMEM_BGP_FN_RETURN_HI;
	r2.large[r2.nlarge++].local2 = 0x3fff;
	rejects(&r2, "return of blocks", "a return past the blocks space");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_REQ_STATE)->local2 = IPMEM_BGP_REQ_RELEASED;
	rejects(&r2, "a return in a request in state released",
		"a return in a released request");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_REQ_STATE)->local2 = IPMEM_BGP_REQ_PENDING;
	rejects(&r2, "state pending", "a return in a pending request");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_REVISION)->local1 = IPMEM_BGP_FN_REVISION_HI;
	rejects(&r2, "REVISION_HI without REVISION", "REVISION_HI alone");
	r2 = r;
	find_fn(&r2, IPMEM_BGP_FN_REVISION)->local1 = 47;
	rejects(&r2, "community function 47 is not valid", "an unknown function past REVISION_HI");

	m.kind = IPMEM_BGP_KIND_GRANT;
	memset(&m.grant, 0, sizeof(m.grant));
	m.host = 0x0a4d0002;
	m.grant.borrower = 0x0a4d0003;
	m.grant.count = 16;
	m.grant.rights = IPMEM_RIGHTS_RW;
	m.grant.state = IPMEM_GRANT_CONFIRMED;
	m.grant.serial = 1;
	ibgp_encode(&ctx, &m, &r);
	r.large[r.nlarge].global_admin = ctx.asn;
	r.large[r.nlarge].local1 = IPMEM_BGP_FN_REVISION;
	r.large[r.nlarge++].local2 = 1;
	rejects(&r, "function 45 is not valid in a grant", "a grant with a revision");
}

/* the MACs of routes between two hosts: carried, read back, checked */
static void test_macs(void)
{
	uint8_t macs[IPMEM_BGP_MACS][IPMEM_ROUTE_MAC_LEN], back[IPMEM_BGP_MACS][IPMEM_ROUTE_MAC_LEN];
	uint8_t d1[IPMEM_ROUTE_DATA_MAX], d2[IPMEM_ROUTE_DATA_MAX];
	struct gbgp_route r, r2, pool;
	struct ibgp_route m, out;
	char why[256];
	size_t n1, n2;
	int i;

	make_request(&m, IPMEM_BGP_REQ_RELEASED, &r);
	ok(ibgp_route_peer(&m) == 0x0a4d0002, "a request is for its lender");
	for (i = 0; i < IPMEM_BGP_MACS; i++)
		memset(macs[i], 0x11 * (i + 1), IPMEM_ROUTE_MAC_LEN);
	n1 = ibgp_mac_data(&ctx, &r, d1);
	r2 = r;
	ok(!ibgp_put_macs(&ctx, &r2, (const uint8_t (*)[IPMEM_ROUTE_MAC_LEN])macs, 2) &&
	   !ibgp_decode(&ctx, &r2, &out, why, sizeof(why)) &&
	   ibgp_get_macs(&ctx, &r2, back) == 2 && !memcmp(back, macs, 2 * sizeof(macs[0])),
	   "a request with two MACs decodes, and gives them back");
	n2 = ibgp_mac_data(&ctx, &r2, d2);
	/*
	 * AS, prefix, length, next hop; VERSION KIND BLOCK_SIZE LENDER COUNT
	 * RIGHTS REQ_STATE SERIAL SERIAL_HI
	 */
	ok(n1 == 37 + 9 * 5 && n1 == n2 && !memcmp(d1, d2, n1) &&
	   d1[37] == IPMEM_BGP_FN_VERSION && d1[n1 - 15] == IPMEM_BGP_FN_REQ_STATE &&
	   d1[n1 - 11] == IPMEM_BGP_REQ_RELEASED && d1[n1 - 5] == IPMEM_BGP_FN_SERIAL_HI &&
	   d1[n1 - 1] == 0x1b,
	   "what MACs cover: the route's other contents, by function, not the MACs");
	find_fn(&r2, IPMEM_BGP_FN_REQ_STATE)->local2 = IPMEM_BGP_REQ_CONFIRMED;
	n2 = ibgp_mac_data(&ctx, &r2, d2);
	ok(n1 == n2 && memcmp(d1, d2, n1), "and the state is covered");
	find_fn(&r2, IPMEM_BGP_FN_REQ_STATE)->local2 = IPMEM_BGP_REQ_RELEASED;
	find_fn(&r2, IPMEM_BGP_FN_SERIAL)->local2--;
	n2 = ibgp_mac_data(&ctx, &r2, d2);
	ok(n1 == n2 && memcmp(d1, d2, n1), "and so is the serial");
	r2 = r;
	ibgp_put_macs(&ctx, &r2, (const uint8_t (*)[IPMEM_ROUTE_MAC_LEN])macs, 2);
	r2.nlarge--;			/* the last word of MAC 1 */
	rejects(&r2, "MAC 1 is incomplete", "a MAC with a word missing");
	r2.nlarge = GBGP_MAX_LARGE - 2;
	ok(ibgp_put_macs(&ctx, &r2, (const uint8_t (*)[IPMEM_ROUTE_MAC_LEN])macs, 1) == -ENOSPC &&
	   r2.nlarge == GBGP_MAX_LARGE - 2, "MACs that do not fit in the path are refused");

	pool_route(&m, &pool);
	ibgp_put_macs(&ctx, &pool, (const uint8_t (*)[IPMEM_ROUTE_MAC_LEN])macs, 1);
	rejects(&pool, "not valid in a pool route", "a pool route carries no MAC");

	/* the endpoint: absent means the next hop, 1 the /80's first address */
	pool_route(&m, &pool);
	ok(pool.nlarge == 6 && !ibgp_decode(&ctx, &pool, &out, why, sizeof(why)) &&
	   out.pool.endpoint == IPMEM_BGP_ENDPOINT_NEXTHOP,
	   "a pool at its next hop carries no endpoint community and decodes as such");
	m.pool.endpoint = IPMEM_BGP_ENDPOINT_PREFIX;
	ibgp_encode(&ctx, &m, &pool);
	ok(find_fn(&pool, IPMEM_BGP_FN_ENDPOINT)->local2 == 1 &&
	   !ibgp_decode(&ctx, &pool, &out, why, sizeof(why)) &&
	   out.pool.endpoint == IPMEM_BGP_ENDPOINT_PREFIX,
	   "a pool at its /80's first address says so (endpoint 1) and decodes as such");
	find_fn(&pool, IPMEM_BGP_FN_ENDPOINT)->local2 = 2;
	rejects(&pool, "malformed: endpoint 2", "endpoint 2");
}

static void test_overlap(void)
{
	uint8_t a[16], b[16];

	pton("fd69:706d:656d:a4d:1::", a);
	pton("fd69:706d:656d:a4d:1::100", b);
	ok(ibgp_prefix_overlap(a, 118, b, 128), "/118 contains a /128 inside it");
	ok(ibgp_prefix_overlap(b, 128, a, 118), "and the other way round");
	ok(!ibgp_prefix_overlap(a, 120, b, 120), "adjacent /120s do not overlap");
}

/* ----------------------------------------------------------- plan.c */

static uint64_t seq_state;

static uint64_t seq_rnd(void *arg)
{
	return seq_state++;
}

static void test_plan(void)
{
	struct plan_lender c[4];
	struct plan_pick p[8];
	uint64_t left, sum;
	size_t n, i;
	int trial, dup;

	memset(c, 0, sizeof(c));
	c[0] = (struct plan_lender){ .host = 1, .free = 1024, .latency_us = 1000 };
	c[1] = (struct plan_lender){ .host = 2, .free = 1024, .latency_us = 1000 };
	seq_state = 0;
	n = plan_pick(c, 2, 1536, seq_rnd, NULL, p, 8, &left);
	ok(n == 2 && !left && p[0].count + p[1].count == 1536 &&
	   p[0].host != p[1].host && (p[0].count == 1024 || p[1].count == 1024),
	   "1536 blocks from two lenders of 1024: all of one, half of the other");

	c[0] = (struct plan_lender){ .host = 1, .free = 100 };
	c[1] = (struct plan_lender){ .host = 2, .free = 100 };
	n = plan_pick(c, 2, 500, seq_rnd, NULL, p, 8, &left);
	ok(n == 2 && left == 300, "more than V: 300 blocks left over");

	c[0] = (struct plan_lender){ .host = 1, .free = 1000, .latency_us = 5000 };
	c[1] = (struct plan_lender){ .host = 2, .free = 1000, .latency_us = 500 };
	n = plan_pick(c, 2, 100, seq_rnd, NULL, p, 8, &left);
	ok(n == 1 && p[0].host == 2 && p[0].count == 100,
	   "of two that can serve it all, the nearer one");

	c[0] = (struct plan_lender){ .host = 1, .free = 1000, .latency_us = 900 };
	c[1] = (struct plan_lender){ .host = 2, .free = 10, .latency_us = 500 };
	n = plan_pick(c, 2, 500, seq_rnd, NULL, p, 8, &left);
	ok(n == 1 && p[0].host == 1, "a slightly farther one that can serve it all beats a near one that cannot");

	c[0] = (struct plan_lender){ .host = 1, .free = 1000, .excluded = true };
	c[1] = (struct plan_lender){ .host = 2, .free = 0 };
	n = plan_pick(c, 2, 10, seq_rnd, NULL, p, 8, &left);
	ok(n == 0 && left == 10, "excluded and empty lenders are never picked");

	/* random draws: never a lender twice, the sum is right */
	dup = 0;
	for (trial = 0; trial < 200; trial++) {
		for (i = 0; i < 4; i++)
			c[i] = (struct plan_lender){ .host = i + 1,
				.free = 100 + 37 * i, .latency_us = 100 * (i + 1) };
		seq_state = trial * 7919;
		n = plan_pick(c, 4, 400, seq_rnd, NULL, p, 8, &left);
		sum = left;
		for (i = 0; i < n; i++) {
			sum += p[i].count;
			for (size_t j = 0; j < i; j++)
				dup += p[i].host == p[j].host;
		}
		if (sum != 400)
			dup++;
	}
	ok(!dup, "200 random plans: no lender picked twice, counts add up");
}

static void test_plan_cands(void)
{
	struct plan_cands c = { 0 };
	char err[256];
	int i, bad = 0;

	for (i = 0; i < 200; i++)
		bad |= plan_cand_add(&c, i + 1, 10, 100);
	ok(!bad && c.n == 200 && c.free_total == 2000 && c.v[199].host == 200 &&
	   !c.v[199].excluded, "200 candidates added, their free blocks summed");
	c.n = 0;
	c.free_total = 0;
	plan_cand_add(&c, 7, 256, 0);
	plan_shortfall(err, sizeof(err), &c, 512, 1536, 65536, 1, "");
	is_str(err, "cannot borrow 96MiB: 32MiB short; the 1 lender not asked yet has only 16MiB free",
	       "a shortfall says how much is missing and what the others have");
	plan_cand_add(&c, 8, 256, 0);
	plan_shortfall(err, sizeof(err), &c, 1024, 1536, 65536, 2,
		       "refused by 0a4d:0002: pool exhausted");
	is_str(err, "cannot borrow 96MiB: 64MiB short for a copy (refused by 0a4d:0002: pool exhausted); the 2 lenders not asked yet have only 32MiB free",
	       "... for a copy, with the last refusal's reason");
	plan_cands_free(&c);
	plan_shortfall(err, sizeof(err), &c, 1536, 1536, 65536, 1, NULL);
	is_str(err, "cannot borrow 96MiB: 96MiB short; no other lender has free blocks",
	       "... or that nobody has free blocks");
}

/* -------------------------------------------------------- elastic.c */

static void test_elastic(void)
{
	struct elastic_conf c = { .max = 1024ULL << 20, .step = 256ULL << 20,
				  .high = 80, .low = 25, .psi = 1000,
				  .hold = 60000 };
	struct elastic_view v = { .swap_size = 1000, .swap_used = 850,
				  .now = 100000, .mem_available = 1 << 30 };
	uint64_t size = 0, used = 0;
	uint32_t avg = 0;
	char why[200];

	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_GROW,
	       "grow: swap on ipmem 85%% used, high 80%%");
	is_str(why, "swap on ipmem 85% used (high 80%)", "... and it says why");
	v.swap_used = 790;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "79%% used: no step");
	v.psi_avg10 = 1250;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_GROW,
	       "grow: pressure 12.50%% past the 10%% threshold");
	is_str(why, "memory pressure 12.50% (threshold 10%)", "... and it says so");
	v.elastic = 1024ULL << 20;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "never past the ceiling");
	ok(strstr(why, "at the ceiling") != NULL, "... and says it is at the ceiling");
	v.elastic = 0;
	v.have_last = true;
	v.last_step = 50000;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "held down 60 s after the last step");
	v.now = 110000;
	v.busy = true;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "nothing while a step is under way");
	v.busy = false;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_GROW,
	       "and a step once the hold-down has passed");

	/* giving back */
	v.psi_avg10 = 0;
	v.swap_size = 4000;
	v.swap_used = 700;
	v.have_victim = true;
	snprintf(v.victim, sizeof(v.victim), "ipmem3");
	v.victim_size = 1000;
	v.victim_used = 100;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_SHRINK,
	       "give back: 700 used fits in 25%% of the other 3000");
	is_str(why, "swap on ipmem 17% used; without ipmem3 23% (low 25%)",
	       "... and it says why");
	v.swap_used = 751;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "751 of 3000 is past the low watermark: kept");
	v.swap_used = 700;
	v.psi_avg10 = 500;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "kept while pressure is at half its threshold");
	v.psi_avg10 = 0;
	v.mem_available = 150;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "kept when its pages would not fit in half the available memory");
	v.mem_available = 1 << 30;
	v.swap_used = 3900;
	v.psi_avg10 = 2000;
	v.elastic = 1024ULL << 20;
	v.victim_unswapped = true;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_SHRINK,
	       "a disk that is not swap goes back, under pressure and at the ceiling");
	is_str(why, "ipmem3 is not swap", "... and it says why");
	v.busy = true;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "... but not while a step is under way");
	v.busy = false;
	v.now = v.last_step + 1000;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "... nor inside the hold-down");
	v.now = 110000;
	v.victim_unswapped = false;
	v.elastic = 0;
	v.swap_used = 700;
	v.psi_avg10 = 0;
	v.have_victim = false;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "nothing to give back without an elastic disk");

	/* giving back part of what swap freed, and mapping it again */
	v.swap_size = 4000;
	v.swap_used = 500;
	v.trim_unit = 100;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_TRIM,
	       "no disk goes back whole: part of what swap freed does");
	/* keep 500 * 100 / 25 = 2000 of 4000: 2000 could go, a step is 256 MiB */
	is_u64(elastic_trim_bytes(&c, &v), 2000,
	       "... as much as keeps swap at the low watermark of what stays");
	is_str(why, "swap on ipmem 12% used; 0 MiB given back leaves 25% (low 25%)",
	       "... and it says why");
	v.swap_used = 501;
	is_u64(elastic_trim_bytes(&c, &v), 1900,
	       "... by whole units (2004 needed, 1996 free: 1900)");
	v.trim_unit = 0;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "no elastic disk that can give a part back: nothing");
	v.trim_unit = 100;
	v.swap_used = 990;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "less than a unit above the watermark: nothing");
	v.swap_used = 0;
	is_u64(elastic_trim_bytes(&c, &v), 3900,
	       "swap empty: all but the last unit goes back");
	v.psi_avg10 = 500;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "nothing goes back while pressure is at half its threshold");
	v.psi_avg10 = 0;
	c.step = 1000;
	is_u64(elastic_trim_bytes(&c, &v), 1000, "at most one step at a time");
	c.step = 256ULL << 20;
	v.holes = 3000;
	v.swap_used = 800;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_REFILL,
	       "80%% of what is mapped (1000 of 4000) is used: map the holes again");
	ok(strstr(why, "swap on ipmem 80% used (high 80%)") == why,
	   "... the watermarks are of what is mapped");
	v.elastic = 1024ULL << 20;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_REFILL,
	       "... even at the ceiling (nothing new is borrowed)");
	v.elastic = 0;
	v.holes = 0;
	v.trim_unit = 0;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "without holes, 800 of 4000 is no reason to grow");
	v.have_victim = true;
	v.victim_size = 1000;
	v.victim_used = 0;
	v.holes = 1000;
	v.swap_used = 400;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_SHRINK,
	       "a whole disk goes back before a part (400 fits 25%% of 3000 - 1000)");
	v.have_victim = false;
	v.holes = 0;
	v.trim_unit = 0;

	c.max = 0;
	v.swap_used = 4000;
	is_u64(elastic_decide(&c, &v, why, sizeof(why)), ELASTIC_NONE,
	       "elastic-max 0: the policy is off");

	ok(!elastic_parse_swaps(
		"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		"/dev/ipmem10                            partition\t524284\t\t0\t\t-2\n"
		"/dev/ipmem1                             partition\t262140\t\t1024\t\t5\n",
		"ipmem1", &size, &used) && size == 262140ULL * 1024 &&
	   used == 1024 * 1024,
	   "/proc/swaps: ipmem1's size and use (not ipmem10's)");
	ok(elastic_parse_swaps("Filename Type Size Used Priority\n", "ipmem1",
			       &size, &used),
	   "/proc/swaps: a disk that is not swap is absent");
	ok(!elastic_parse_psi("some avg10=3.07 avg60=1.00 avg300=0.20 total=1\n"
			      "full avg10=0.50 avg60=0.00 avg300=0.00 total=1\n",
			      &avg) && avg == 307,
	   "pressure/memory: some avg10 3.07%% is 307");
	ok(elastic_parse_psi("full avg10=0.50\n", &avg) &&
	   elastic_parse_psi("some avg10=x\n", &avg),
	   "pressure/memory without a some line, or garbled, is refused");
	ok(!elastic_parse_meminfo("MemTotal: 2000 kB\nMemFree: 10 kB\nMemAvailable:    1500 kB\n",
				  &size) && size == 1500 * 1024,
	   "meminfo: MemAvailable in bytes");
}

/* --------------------------------------------------------- config.c */

static void test_config(void)
{
	struct ipmemd_conf c;
	char err[256];
	uint32_t ms;

	conf_defaults(&c);
	ok(c.asn == IPMEM_BGP_ASN_DEFAULT && c.block_size == 65536 &&
	   c.reserve_timeout == 10000 && c.bgp_port == 179 && !c.lend &&
	   c.replicas == 1 && c.rights == IPMEM_RIGHTS_RW,
	   "defaults: AS 65077, 64 KiB blocks, 10 s reservations, borrower only");
	ok(!conf_parse(&c,
		"# a lender\n"
		"asn 65100\n"
		"dev eth0\n"
		"lend 256M   # a quarter GiB\n"
		"peer fd00:77::2\n"
		"peer 10.0.0.9 as 65200 passive rr-client port 1179\n"
		"reserve-timeout 1500ms\n"
		"grant-hold 2m\n"
		"gobgpd external\n"
		"bgp-port none\n", err, sizeof(err)),
	   "a full configuration parses");
	ok(c.asn == 65100 && c.lend == 256ULL << 20 && c.npeers == 2 &&
	   !strcmp(c.peers[1].addr, "10.0.0.9") && c.peers[1].asn == 65200 &&
	   c.peers[1].passive && c.peers[1].rr_client &&
	   c.peers[1].port == 1179 && c.reserve_timeout == 1500 &&
	   c.grant_hold == 120000 && !c.gobgpd[0] && c.bgp_port == -1,
	   "and says what it says");

	conf_defaults(&c);
	ok(conf_parse(&c, "lend 100K\n", err, sizeof(err)) &&
	   strstr(err, "multiple"), "lend must be whole blocks");
	ok(conf_parse(&c, "\n\nfrobnicate 1\n", err, sizeof(err)) &&
	   strstr(err, "line 3") && strstr(err, "unknown option"),
	   "an unknown option names its line");
	ok(conf_parse(&c, "peer banana\n", err, sizeof(err)),
	   "a peer must be an address");
	ok(conf_parse(&c, "network fd69::/64\n", err, sizeof(err)),
	   "the network must be a /48");
	ok(conf_parse(&c, "block-size 3K\n", err, sizeof(err)),
	   "block sizes are powers of two");
	conf_defaults(&c);
	ok(!c.endpoint_nexthop &&
	   !conf_parse(&c, "endpoint address\n", err, sizeof(err)) &&
	   c.endpoint_nexthop &&
	   !conf_parse(&c, "endpoint prefix\n", err, sizeof(err)) &&
	   !c.endpoint_nexthop &&
	   conf_parse(&c, "endpoint eth0\n", err, sizeof(err)) &&
	   strstr(err, "endpoint: prefix or address, not 'eth0'"),
	   "endpoint: prefix by default, or address; nothing else");
	conf_defaults(&c);
	ok(!strcmp(c.gobgpd_api, "unix:///run/ipmemd/gobgpd.sock") &&
	   !conf_parse(&c, "gobgpd-api /run/x/api.sock\n", err, sizeof(err)) &&
	   !strcmp(c.gobgpd_api, "unix:///run/x/api.sock") &&
	   !conf_parse(&c, "gobgpd-api unix:///run/y.sock\n", err, sizeof(err)) &&
	   !strcmp(c.gobgpd_api, "unix:///run/y.sock") &&
	   !conf_parse(&c, "gobgpd-api 127.0.0.1:50051\n", err, sizeof(err)) &&
	   !strcmp(c.gobgpd_api, "127.0.0.1:50051"),
	   "gobgpd's API: a socket path by default, as a path, a unix URL or HOST:PORT");
	ok(conf_parse(&c, "gobgpd-api /run/dir/\n", err, sizeof(err)) &&
	   conf_parse(&c, "gobgpd-api api.sock\n", err, sizeof(err)),
	   "a directory or a relative name is not a socket");
	ok(!conf_parse(&c, "peer ::1 password-file /etc/ipmem/bgp.pw\n"
			   "host-key /etc/ipmem/host.key\nhost-keys /etc/ipmem/hosts\n",
		       err, sizeof(err)) &&
	   !strcmp(c.peers[0].password_file, "/etc/ipmem/bgp.pw") &&
	   !c.peers[0].password[0] && !strcmp(c.host_key, "/etc/ipmem/host.key") &&
	   !strcmp(c.host_keys, "/etc/ipmem/hosts"),
	   "secret files are named, not read, by the parser");
	ok(conf_parse(&c, "peer ::1 password-file bgp.pw\n", err, sizeof(err)) &&
	   strstr(err, "absolute") &&
	   conf_parse(&c, "host-key host.key\n", err, sizeof(err)) &&
	   strstr(err, "absolute"),
	   "secret files are absolute paths");
	conf_defaults(&c);
	ok(c.max_routes == 100000 &&
	   !conf_parse(&c, "max-routes 50\n", err, sizeof(err)) &&
	   c.max_routes == 50 &&
	   conf_parse(&c, "max-routes 0\n", err, sizeof(err)) &&
	   strstr(err, "max-routes") && c.max_routes == 50,
	   "max-routes: 100000 by default, a positive number");
	conf_defaults(&c);
	ok(!c.elastic.max && c.elastic.step == 256ULL << 20 &&
	   c.elastic.high == 80 && c.elastic.low == 25 && !c.elastic.psi &&
	   c.elastic.hold == 60000 && c.elastic.priority == UINT32_MAX &&
	   !c.elastic.parts,
	   "elastic defaults: off, 256 MiB steps, 80/25 %%, no PSI, 60 s, whole disks");
	ok(!conf_parse(&c, "elastic-max 2G\nelastic-step 512M\nelastic-high 70\n"
		       "elastic-low 20\nelastic-psi 15\nelastic-hold 5m\n"
		       "swap-priority 10\nelastic-parts yes\n", err, sizeof(err)) &&
	   c.elastic.max == 2ULL << 30 && c.elastic.step == 512ULL << 20 &&
	   c.elastic.high == 70 && c.elastic.low == 20 &&
	   c.elastic.psi == 1500 && c.elastic.hold == 300000 &&
	   c.elastic.priority == 10 && c.elastic.parts,
	   "the elastic options parse");
	ok(conf_parse(&c, "elastic-parts maybe\n", err, sizeof(err)) &&
	   strstr(err, "elastic-parts: yes or no, not 'maybe'"),
	   "elastic-parts is yes or no");
	conf_defaults(&c);
	ok(conf_parse(&c, "elastic-max 1G\nelastic-high 30\nelastic-low 40\n",
		      err, sizeof(err)) && strstr(err, "must be below"),
	   "elastic-low must be below elastic-high");
	conf_defaults(&c);
	ok(conf_parse(&c, "elastic-high 101\n", err, sizeof(err)) &&
	   strstr(err, "per cent") &&
	   conf_parse(&c, "swap-priority 40000\n", err, sizeof(err)) &&
	   conf_parse(&c, "elastic-max 128M\n", err, sizeof(err)) &&
	   strstr(err, "less than one elastic-step"),
	   "bad elastic values are refused, each with its reason");
	conf_defaults(&c);
	ok(!c.drain_psi && c.drain_hold == 60000 &&
	   !conf_parse(&c, "drain-psi 40\ndrain-hold 10s\n", err, sizeof(err)) &&
	   c.drain_psi == 4000 && c.drain_hold == 10000 &&
	   conf_parse(&c, "drain-psi 120\n", err, sizeof(err)) &&
	   strstr(err, "drain-psi: a per cent"),
	   "drain-psi (off by default, a per cent) and drain-hold (60 s) parse");
	conf_defaults(&c);
	ok(c.move_stall == 120000 && c.sim_refill == 1000 &&
	   !conf_parse(&c, "move-stall 3s\nsim-refill 1h\n", err, sizeof(err)) &&
	   c.move_stall == 3000 && c.sim_refill == 3600000 &&
	   conf_parse(&c, "move-stall soon\n", err, sizeof(err)) &&
	   conf_parse(&c, "move-stall 2s\n", err, sizeof(err)) &&
	   strstr(err, "at least 3s"),
	   "move-stall (120 s) and sim-refill (1 s) parse");
	ok(!conf_parse_duration("90", &ms) && ms == 90000 &&
	   !conf_parse_duration("250ms", &ms) && ms == 250 &&
	   conf_parse_duration("5 s", &ms) && conf_parse_duration("-1", &ms),
	   "durations: seconds by default, ms/s/m/h suffixes");
}

int main(void)
{
	plan(155);
	ctx.asn = IPMEM_BGP_ASN_DEFAULT;
	pton("fd69:706d:656d::", ctx.net);
	test_layout();
	test_roundtrip();
	test_reject();
	test_reject_kinds();
	test_request_changes();
	test_macs();
	test_overlap();
	test_plan();
	test_plan_cands();
	test_elastic();
	test_config();
	return done();
}
