// SPDX-License-Identifier: GPL-2.0
/*
 * codec.c - ipmem routes to and from GoBGP paths (<ipmem/bgp.h>).
 *
 * Decoding is where untrusted input enters ipmemd: anyone who can inject
 * a route into BGP can send us anything.  Every check that does not need
 * ipmemd's state (which requests exist, which grants overlap) is made
 * here, and a route that fails one is described in words for the log.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

/* --------------------------------------------------------- helpers */

void ibgp_fmt_prefix(const uint8_t prefix[16], uint8_t plen, char *buf,
		     size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, prefix, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, plen);
}

const char *ibgp_kind_name(unsigned int kind)
{
	switch (kind) {
	case IPMEM_BGP_KIND_POOL: return "pool";
	case IPMEM_BGP_KIND_REQUEST: return "request";
	case IPMEM_BGP_KIND_GRANT: return "grant";
	case IPMEM_BGP_KIND_REFUSAL: return "refusal";
	}
	return "?";
}

const char *ibgp_req_state_name(unsigned int state)
{
	switch (state) {
	case IPMEM_BGP_REQ_PENDING: return "pending";
	case IPMEM_BGP_REQ_CONFIRMED: return "confirmed";
	case IPMEM_BGP_REQ_RELEASED: return "released";
	case IPMEM_BGP_REQ_UNMOVABLE: return "unmovable";
	}
	return "?";
}

const char *ibgp_reason_name(unsigned int reason)
{
	switch (reason) {
	case IPMEM_BGP_REASON_NOSPACE: return "not enough free blocks";
	case IPMEM_BGP_REASON_BLOCK_SIZE: return "different block size";
	case IPMEM_BGP_REASON_NO_POOL: return "lends no pool";
	case IPMEM_BGP_REASON_EXPIRED: return "reservation expired";
	case IPMEM_BGP_REASON_ERROR: return "lender error";
	case IPMEM_BGP_REASON_DRAINING: return "lender draining";
	}
	return "?";
}

bool ibgp_prefix_overlap(const uint8_t a[16], uint8_t alen,
			 const uint8_t b[16], uint8_t blen)
{
	return ipmem_addr_prefix_eq(a, b, alen < blen ? alen : blen);
}

/* an address a data plane can use: not ::, loopback, multicast, fe80:: */
static bool usable_nexthop(const uint8_t a[16])
{
	static const uint8_t zero[16];
	struct in6_addr in;

	/* a copy: @a is a byte array, in6_addr wants 4-byte alignment */
	memcpy(&in, a, sizeof(in));
	return memcmp(a, zero, 16) && !IN6_IS_ADDR_LOOPBACK(&in) &&
	       !IN6_IS_ADDR_MULTICAST(&in) && !IN6_IS_ADDR_LINKLOCAL(&in) &&
	       !IN6_IS_ADDR_V4MAPPED(&in);
}

/* ------------------------------------------------------------ encode */

int ibgp_make_prefix(const struct ibgp_ctx *c, struct ibgp_route *m)
{
	uint64_t block;

	switch (m->kind) {
	case IPMEM_BGP_KIND_POOL:
		ipmem_addr_make(m->prefix, c->net, m->host, 0);
		m->plen = IPMEM_HOST_PLEN;
		return 0;
	case IPMEM_BGP_KIND_REQUEST:
		if (m->req.disk >= IPMEM_BGP_DISK_LIMIT)
			return -EINVAL;
		block = ipmem_bgp_request_block(m->req.disk, m->req.lender);
		break;
	case IPMEM_BGP_KIND_REFUSAL:
		if (m->ref.disk >= IPMEM_BGP_DISK_LIMIT)
			return -EINVAL;
		block = ipmem_bgp_reply_block(m->ref.disk, m->ref.borrower);
		break;
	case IPMEM_BGP_KIND_GRANT:
		if (!m->grant.count || m->grant.count & (m->grant.count - 1) ||
		    m->grant.first & (m->grant.count - 1) ||
		    m->grant.first + m->grant.count > IPMEM_BGP_BLOCK_LIMIT)
			return -EINVAL;
		ipmem_addr_make(m->prefix, c->net, m->host, m->grant.first);
		m->plen = 128 - __builtin_ctzll(m->grant.count);
		return 0;
	default:
		return -EINVAL;
	}
	ipmem_addr_make(m->prefix, c->net, m->host, block);
	m->plen = 128;
	return 0;
}

static void put(struct gbgp_route *r, uint32_t asn, uint32_t fn, uint32_t v)
{
	struct gbgp_large *l = &r->large[r->nlarge++];

	l->global_admin = asn;
	l->local1 = fn;
	l->local2 = v;
}

/* a count as FN (low 32 bits) and FN_HI (the rest, only when nonzero) */
static void put64(struct gbgp_route *r, uint32_t asn, uint32_t fn,
		  uint32_t fn_hi, uint64_t v)
{
	put(r, asn, fn, (uint32_t)v);
	if (v >> 32)
		put(r, asn, fn_hi, v >> 32);
}

/* a request's serial: SERIAL and SERIAL_HI, both always */
static void put_serial(struct gbgp_route *r, uint32_t asn, uint64_t serial)
{
	put(r, asn, IPMEM_BGP_FN_SERIAL, (uint32_t)serial);
	put(r, asn, IPMEM_BGP_FN_SERIAL_HI, serial >> 32);
}

int ibgp_encode(const struct ibgp_ctx *c, struct ibgp_route *m,
		struct gbgp_route *r)
{
	uint32_t a = c->asn;

	if (ibgp_make_prefix(c, m))
		return -EINVAL;
	if (m->kind == IPMEM_BGP_KIND_REQUEST && m->req.ret_count > UINT32_MAX)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	memcpy(&r->prefix, m->prefix, 16);
	r->plen = m->plen;
	memcpy(&r->nexthop, m->nexthop, 16);
	put(r, a, IPMEM_BGP_FN_VERSION, IPMEM_BGP_VERSION);
	put(r, a, IPMEM_BGP_FN_KIND, m->kind);
	switch (m->kind) {
	case IPMEM_BGP_KIND_POOL:
		put(r, a, IPMEM_BGP_FN_BLOCK_SIZE, m->pool.block_size);
		put64(r, a, IPMEM_BGP_FN_TOTAL, IPMEM_BGP_FN_TOTAL_HI,
		      m->pool.total);
		put64(r, a, IPMEM_BGP_FN_FREE, IPMEM_BGP_FN_FREE_HI,
		      m->pool.free);
		put(r, a, IPMEM_BGP_FN_PORT, m->pool.port);
		if (m->pool.endpoint != IPMEM_BGP_ENDPOINT_NEXTHOP)
			put(r, a, IPMEM_BGP_FN_ENDPOINT, m->pool.endpoint);
		break;
	case IPMEM_BGP_KIND_REQUEST:
		put(r, a, IPMEM_BGP_FN_BLOCK_SIZE, m->req.block_size);
		put(r, a, IPMEM_BGP_FN_LENDER, m->req.lender);
		put64(r, a, IPMEM_BGP_FN_COUNT, IPMEM_BGP_FN_COUNT_HI,
		      m->req.count);
		put(r, a, IPMEM_BGP_FN_RIGHTS, m->req.rights);
		put(r, a, IPMEM_BGP_FN_REQ_STATE, m->req.state);
		put_serial(r, a, m->req.serial);
		if (m->req.ret_count) {
			put64(r, a, IPMEM_BGP_FN_RETURN, IPMEM_BGP_FN_RETURN_HI,
			      m->req.ret_first);
			put(r, a, IPMEM_BGP_FN_RETURN_COUNT, m->req.ret_count);
		}
		if (m->req.revision)
			put64(r, a, IPMEM_BGP_FN_REVISION,
			      IPMEM_BGP_FN_REVISION_HI, m->req.revision);
		break;
	case IPMEM_BGP_KIND_GRANT:
		put(r, a, IPMEM_BGP_FN_BORROWER, m->grant.borrower);
		put(r, a, IPMEM_BGP_FN_DISK, m->grant.disk);
		put(r, a, IPMEM_BGP_FN_RIGHTS, m->grant.rights);
		put(r, a, IPMEM_BGP_FN_GRANT_STATE, m->grant.state);
		put_serial(r, a, m->grant.serial);
		break;
	case IPMEM_BGP_KIND_REFUSAL:
		put(r, a, IPMEM_BGP_FN_BORROWER, m->ref.borrower);
		put(r, a, IPMEM_BGP_FN_DISK, m->ref.disk);
		put(r, a, IPMEM_BGP_FN_REASON, m->ref.reason);
		put_serial(r, a, m->ref.serial);
		break;
	}
	return 0;
}

/* ------------------------------------------------------------ decode */

/* functions each kind carries; bit (fn) set = required, see bgp.h */
#define FN_MAX 64
#define B(fn) (1ULL << (fn))
/* the MAC functions, and those of MAC i */
#define B_MACS (((1ULL << (3 * IPMEM_BGP_MACS)) - 1) << IPMEM_BGP_FN_MAC)
#define B_MAC(i) (7ULL << (IPMEM_BGP_FN_MAC + 3 * (i)))
#define B_SERIAL (B(IPMEM_BGP_FN_SERIAL) | B(IPMEM_BGP_FN_SERIAL_HI))
#define B_RETURN (B(IPMEM_BGP_FN_RETURN) | B(IPMEM_BGP_FN_RETURN_HI) | \
		  B(IPMEM_BGP_FN_RETURN_COUNT))
#define B_REVISION (B(IPMEM_BGP_FN_REVISION) | B(IPMEM_BGP_FN_REVISION_HI))

static const struct {
	uint64_t need;
	uint64_t may;
} kind_fns[] = {
	[IPMEM_BGP_KIND_POOL] = {
		B(IPMEM_BGP_FN_VERSION) | B(IPMEM_BGP_FN_KIND) |
		B(IPMEM_BGP_FN_BLOCK_SIZE) | B(IPMEM_BGP_FN_TOTAL) |
		B(IPMEM_BGP_FN_FREE) | B(IPMEM_BGP_FN_PORT),
		B(IPMEM_BGP_FN_TOTAL_HI) | B(IPMEM_BGP_FN_FREE_HI) |
		B(IPMEM_BGP_FN_ENDPOINT),
	},
	[IPMEM_BGP_KIND_REQUEST] = {
		B(IPMEM_BGP_FN_VERSION) | B(IPMEM_BGP_FN_KIND) |
		B(IPMEM_BGP_FN_BLOCK_SIZE) | B(IPMEM_BGP_FN_LENDER) |
		B(IPMEM_BGP_FN_COUNT) | B(IPMEM_BGP_FN_RIGHTS) |
		B(IPMEM_BGP_FN_REQ_STATE) | B_SERIAL,
		B(IPMEM_BGP_FN_COUNT_HI) | B_RETURN | B_REVISION | B_MACS,
	},
	[IPMEM_BGP_KIND_GRANT] = {
		B(IPMEM_BGP_FN_VERSION) | B(IPMEM_BGP_FN_KIND) |
		B(IPMEM_BGP_FN_BORROWER) | B(IPMEM_BGP_FN_DISK) |
		B(IPMEM_BGP_FN_RIGHTS) | B(IPMEM_BGP_FN_GRANT_STATE) |
		B_SERIAL,
		B_MACS,
	},
	[IPMEM_BGP_KIND_REFUSAL] = {
		B(IPMEM_BGP_FN_VERSION) | B(IPMEM_BGP_FN_KIND) |
		B(IPMEM_BGP_FN_BORROWER) | B(IPMEM_BGP_FN_DISK) |
		B(IPMEM_BGP_FN_REASON) | B_SERIAL,
		B_MACS,
	},
};

static int __attribute__((format(printf, 3, 4)))
bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

static bool valid_rights(uint32_t v)
{
	return v == IPMEM_RIGHTS_RO || v == IPMEM_RIGHTS_RW;
}

static bool valid_block_size(uint32_t v)
{
	return ipmem_block_shift(v) >= 0;
}

int ibgp_decode(const struct ibgp_ctx *c, const struct gbgp_route *in,
		struct ibgp_route *m, char *why, size_t len)
{
	uint32_t val[FN_MAX] = { 0 };
	uint64_t have = 0, extra;
	uint64_t block, count64, serial;
	unsigned int i, kind;
	char pfx[INET6_ADDRSTRLEN + 4];

	memset(m, 0, sizeof(*m));
	if (in->error)
		return bad(why, len, "malformed: %s", in->error);
	if (in->plen > 128)
		return bad(why, len, "malformed: prefix length %u", in->plen);
	memcpy(m->prefix, &in->prefix, 16);
	m->plen = in->plen;
	memcpy(m->nexthop, &in->nexthop, 16);

	for (i = 0; i < in->nlarge; i++) {
		const struct gbgp_large *l = &in->large[i];

		if (l->global_admin != c->asn)
			continue;		/* someone else's */
		if (l->local1 >= FN_MAX || !l->local1)
			return bad(why, len,
				   "malformed: unknown community function %u:%u:%u",
				   l->global_admin, l->local1, l->local2);
		if (have & B(l->local1))
			return bad(why, len,
				   "malformed: community function %u repeated",
				   l->local1);
		have |= B(l->local1);
		val[l->local1] = l->local2;
	}

	ibgp_fmt_prefix(m->prefix, m->plen, pfx, sizeof(pfx));
	if (!have)
		return bad(why, len, "foreign: %s has no ipmem community of AS %u",
			   pfx, c->asn);
	if (!(have & B(IPMEM_BGP_FN_VERSION)))
		return bad(why, len, "malformed: no version community");
	if (val[IPMEM_BGP_FN_VERSION] != IPMEM_BGP_VERSION)
		return bad(why, len, "foreign: encoding version %u (we speak %u)",
			   val[IPMEM_BGP_FN_VERSION], IPMEM_BGP_VERSION);
	if (!(have & B(IPMEM_BGP_FN_KIND)))
		return bad(why, len, "malformed: no kind community");
	kind = val[IPMEM_BGP_FN_KIND];
	if (kind < IPMEM_BGP_KIND_POOL || kind > IPMEM_BGP_KIND_REFUSAL)
		return bad(why, len, "malformed: unknown kind %u", kind);
	m->kind = kind;

	if ((have & kind_fns[kind].need) != kind_fns[kind].need) {
		extra = kind_fns[kind].need & ~have;
		return bad(why, len, "malformed: %s route lacks community function %d",
			   ibgp_kind_name(kind), __builtin_ctzll(extra));
	}
	extra = have & ~(kind_fns[kind].need | kind_fns[kind].may);
	if (extra)
		return bad(why, len,
			   "malformed: community function %d is not valid in a %s route",
			   __builtin_ctzll(extra), ibgp_kind_name(kind));

	for (i = 0; i < IPMEM_BGP_MACS; i++)
		if ((have & B_MAC(i)) && (have & B_MAC(i)) != B_MAC(i))
			return bad(why, len, "malformed: MAC %u is incomplete", i);

	/* where the prefix is */
	if (m->plen < IPMEM_HOST_PLEN ||
	    !ipmem_addr_prefix_eq(m->prefix, c->net, IPMEM_NET_PLEN))
		return bad(why, len, "malformed: %s is outside the network prefix or shorter than /80",
			   pfx);
	if (!ipmem_addr_bits_clear(m->prefix, m->plen))
		return bad(why, len, "malformed: %s has bits set past its length",
			   pfx);
	if (!usable_nexthop(m->nexthop))
		return bad(why, len, "malformed: next hop is not a unicast data-plane address");
	m->host = ipmem_addr_host(m->prefix);
	block = ipmem_addr_block(m->prefix);
	serial = (uint64_t)val[IPMEM_BGP_FN_SERIAL_HI] << 32 |
		 val[IPMEM_BGP_FN_SERIAL];
	if (kind != IPMEM_BGP_KIND_POOL && !serial)
		return bad(why, len, "malformed: serial 0");

	switch (kind) {
	case IPMEM_BGP_KIND_POOL:
		if (m->plen != IPMEM_HOST_PLEN)
			return bad(why, len, "malformed: pool route %s is not a /80",
				   pfx);
		m->pool.total = (uint64_t)val[IPMEM_BGP_FN_TOTAL_HI] << 32 |
				val[IPMEM_BGP_FN_TOTAL];
		m->pool.free = (uint64_t)val[IPMEM_BGP_FN_FREE_HI] << 32 |
			       val[IPMEM_BGP_FN_FREE];
		m->pool.block_size = val[IPMEM_BGP_FN_BLOCK_SIZE];
		m->pool.port = val[IPMEM_BGP_FN_PORT];
		if (!m->pool.total || m->pool.total > IPMEM_BGP_BLOCK_LIMIT)
			return bad(why, len, "malformed: pool of %llu blocks",
				   (unsigned long long)m->pool.total);
		if (m->pool.free > m->pool.total)
			return bad(why, len, "malformed: pool has more free blocks than blocks");
		if (!valid_block_size(m->pool.block_size))
			return bad(why, len, "malformed: block size %u",
				   m->pool.block_size);
		if (!m->pool.port || val[IPMEM_BGP_FN_PORT] > 65535)
			return bad(why, len, "malformed: port %u",
				   val[IPMEM_BGP_FN_PORT]);
		if (val[IPMEM_BGP_FN_ENDPOINT] > IPMEM_BGP_ENDPOINT_PREFIX)
			return bad(why, len, "malformed: endpoint %u",
				   val[IPMEM_BGP_FN_ENDPOINT]);
		m->pool.endpoint = val[IPMEM_BGP_FN_ENDPOINT];
		break;

	case IPMEM_BGP_KIND_REQUEST:
		if (m->plen != 128 ||
		    ipmem_bgp_space(block) != IPMEM_BGP_SPACE_REQUEST)
			return bad(why, len, "malformed: request %s is not a /128 in the request space",
				   pfx);
		m->req.disk = ipmem_bgp_block_disk(block);
		m->req.lender = val[IPMEM_BGP_FN_LENDER];
		if (m->req.lender != ipmem_bgp_block_peer(block))
			return bad(why, len, "malformed: request %s names lender %04x:%04x in its communities",
				   pfx, m->req.lender >> 16, m->req.lender & 0xffff);
		count64 = (uint64_t)val[IPMEM_BGP_FN_COUNT_HI] << 32 |
			  val[IPMEM_BGP_FN_COUNT];
		if (!count64 || count64 >= IPMEM_BGP_BLOCK_LIMIT)
			return bad(why, len, "malformed: request for %llu blocks",
				   (unsigned long long)count64);
		m->req.count = count64;
		m->req.block_size = val[IPMEM_BGP_FN_BLOCK_SIZE];
		if (!valid_block_size(m->req.block_size))
			return bad(why, len, "malformed: block size %u",
				   m->req.block_size);
		if (!valid_rights(val[IPMEM_BGP_FN_RIGHTS]))
			return bad(why, len, "malformed: rights %u",
				   val[IPMEM_BGP_FN_RIGHTS]);
		m->req.rights = val[IPMEM_BGP_FN_RIGHTS];
		if (val[IPMEM_BGP_FN_REQ_STATE] < IPMEM_BGP_REQ_PENDING ||
		    val[IPMEM_BGP_FN_REQ_STATE] > IPMEM_BGP_REQ_UNMOVABLE)
			return bad(why, len, "malformed: request state %u",
				   val[IPMEM_BGP_FN_REQ_STATE]);
		m->req.state = val[IPMEM_BGP_FN_REQ_STATE];
		m->req.serial = serial;
		if ((have & B(IPMEM_BGP_FN_REVISION_HI)) &&
		    !(have & B(IPMEM_BGP_FN_REVISION)))
			return bad(why, len, "malformed: REVISION_HI without REVISION");
		m->req.revision = (uint64_t)val[IPMEM_BGP_FN_REVISION_HI] << 32 |
				  val[IPMEM_BGP_FN_REVISION];
		if (!(have & B_RETURN))
			break;
		if (!(have & B(IPMEM_BGP_FN_RETURN)) ||
		    !(have & B(IPMEM_BGP_FN_RETURN_COUNT)))
			return bad(why, len, "malformed: a return needs RETURN and RETURN_COUNT");
		if (m->req.state != IPMEM_BGP_REQ_CONFIRMED)
			return bad(why, len, "malformed: a return in a request in state %s",
				   ibgp_req_state_name(m->req.state));
		m->req.ret_first = (uint64_t)val[IPMEM_BGP_FN_RETURN_HI] << 32 |
				   val[IPMEM_BGP_FN_RETURN];
		m->req.ret_count = val[IPMEM_BGP_FN_RETURN_COUNT];
		if (!m->req.ret_count ||
		    m->req.ret_first >= IPMEM_BGP_BLOCK_LIMIT ||
		    m->req.ret_count > IPMEM_BGP_BLOCK_LIMIT - m->req.ret_first)
			return bad(why, len, "malformed: return of blocks %llu+%llu",
				   (unsigned long long)m->req.ret_first,
				   (unsigned long long)m->req.ret_count);
		break;

	case IPMEM_BGP_KIND_GRANT:
		if (m->plen < IPMEM_BGP_GRANT_PLEN_MIN ||
		    ipmem_bgp_space(block) != IPMEM_BGP_SPACE_BLOCKS)
			return bad(why, len, "malformed: grant %s is not in the blocks space",
				   pfx);
		m->grant.first = block;
		m->grant.count = 1ULL << (128 - m->plen);
		m->grant.borrower = val[IPMEM_BGP_FN_BORROWER];
		m->grant.disk = val[IPMEM_BGP_FN_DISK];
		if (m->grant.disk >= IPMEM_BGP_DISK_LIMIT)
			return bad(why, len, "malformed: disk %u", m->grant.disk);
		if (!valid_rights(val[IPMEM_BGP_FN_RIGHTS]))
			return bad(why, len, "malformed: rights %u",
				   val[IPMEM_BGP_FN_RIGHTS]);
		m->grant.rights = val[IPMEM_BGP_FN_RIGHTS];
		if (val[IPMEM_BGP_FN_GRANT_STATE] != IPMEM_GRANT_RESERVED &&
		    val[IPMEM_BGP_FN_GRANT_STATE] != IPMEM_GRANT_CONFIRMED &&
		    val[IPMEM_BGP_FN_GRANT_STATE] != IPMEM_BGP_GRANT_DRAINING)
			return bad(why, len, "malformed: grant state %u",
				   val[IPMEM_BGP_FN_GRANT_STATE]);
		m->grant.state = val[IPMEM_BGP_FN_GRANT_STATE];
		m->grant.serial = serial;
		break;

	case IPMEM_BGP_KIND_REFUSAL:
		if (m->plen != 128 ||
		    ipmem_bgp_space(block) != IPMEM_BGP_SPACE_REPLY)
			return bad(why, len, "malformed: refusal %s is not a /128 in the reply space",
				   pfx);
		m->ref.borrower = val[IPMEM_BGP_FN_BORROWER];
		m->ref.disk = val[IPMEM_BGP_FN_DISK];
		if (m->ref.borrower != ipmem_bgp_block_peer(block) ||
		    m->ref.disk != ipmem_bgp_block_disk(block))
			return bad(why, len, "malformed: refusal %s disagrees with its communities",
				   pfx);
		m->ref.reason = val[IPMEM_BGP_FN_REASON];
		if (!m->ref.reason || m->ref.reason > IPMEM_BGP_REASON_MAX)
			return bad(why, len, "malformed: refusal reason %u",
				   m->ref.reason);
		m->ref.serial = serial;
		break;
	}
	return 0;
}

/* ------------------------------------------------------------- MACs */

static const struct gbgp_large *find_fn(const struct ibgp_ctx *c,
					const struct gbgp_route *r,
					uint32_t fn)
{
	unsigned int i;

	for (i = 0; i < r->nlarge; i++)
		if (r->large[i].global_admin == c->asn &&
		    r->large[i].local1 == fn)
			return &r->large[i];
	return NULL;
}

static uint8_t *put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
	return p + 4;
}

size_t ibgp_mac_data(const struct ibgp_ctx *c, const struct gbgp_route *r,
		     uint8_t *buf)
{
	const struct gbgp_large *l;
	uint8_t *p = buf;
	uint32_t fn;

	p = put_be32(p, c->asn);
	memcpy(p, &r->prefix, 16);
	p += 16;
	*p++ = r->plen;
	memcpy(p, &r->nexthop, 16);
	p += 16;
	/* 37 bytes, then at most 49 functions of 5: within 256 */
	for (fn = 1; fn < IPMEM_BGP_FN_MAC; fn++) {
		l = find_fn(c, r, fn);
		if (!l)
			continue;
		*p++ = fn;
		p = put_be32(p, l->local2);
	}
	return p - buf;
}

int ibgp_put_macs(const struct ibgp_ctx *c, struct gbgp_route *r,
		  const uint8_t macs[][IPMEM_ROUTE_MAC_LEN], int n)
{
	const uint8_t *m;
	int i, w;

	if (n > IPMEM_BGP_MACS)
		n = IPMEM_BGP_MACS;
	if (r->nlarge + 3 * n > GBGP_MAX_LARGE)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		for (w = 0; w < 3; w++) {
			m = macs[i] + 4 * w;
			put(r, c->asn, IPMEM_BGP_FN_MAC + 3 * i + w,
			    (uint32_t)m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3]);
		}
	return 0;
}

int ibgp_get_macs(const struct ibgp_ctx *c, const struct gbgp_route *r,
		  uint8_t macs[][IPMEM_ROUTE_MAC_LEN])
{
	const struct gbgp_large *l;
	int i, w, n = 0;

	for (i = 0; i < IPMEM_BGP_MACS; i++) {
		for (w = 0; w < 3; w++) {
			l = find_fn(c, r, IPMEM_BGP_FN_MAC + 3 * i + w);
			if (!l)
				break;
			put_be32(macs[n] + 4 * w, l->local2);
		}
		if (w == 3)
			n++;
	}
	return n;
}

uint32_t ibgp_route_peer(const struct ibgp_route *m)
{
	switch (m->kind) {
	case IPMEM_BGP_KIND_REQUEST:
		return m->req.lender;
	case IPMEM_BGP_KIND_GRANT:
		return m->grant.borrower;
	case IPMEM_BGP_KIND_REFUSAL:
		return m->ref.borrower;
	}
	return 0;
}
