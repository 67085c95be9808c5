/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ipmem over BGP: how ipmemd carries pools, requests, grants and refusals
 * in IPv6 unicast routes with BGP large communities (RFC 8092).  This is
 * the one definition of the encoding; Documentation/bgp.rst explains the
 * protocol that uses it.
 *
 * Every ipmem route lies inside the deployment's /48 (<ipmem/addr.h>) and
 * inside the /80 of the host that originates it.  The 48-bit block field
 * of that /80 is split into four spaces by its top two bits:
 *
 *   00  blocks    block numbers, below IPMEM_BGP_BLOCK_LIMIT (2^46).  The
 *                 pool route is the /80 itself; grants are the aggregated
 *                 prefixes (ipmem_aggr_step()) of the blocks they lend.
 *   01  reserved  nothing may be announced here.
 *   10  request   a borrower's requests: | 10 | disk (14) | lender (32) |,
 *                 one /128 per (disk, lender).  The /96 that covers one
 *                 disk's requests names the borrow (`ipmemctl release`).
 *   11  reply     a lender's refusals: | 11 | disk (14) | borrower (32) |,
 *                 one /128 per refused request.
 *
 * Each route carries large communities (AS, function, value) where AS is
 * the deployment's AS number, function is enum ipmem_bgp_fn and value its
 * argument.  Every route carries IPMEM_BGP_FN_VERSION and _KIND; each kind
 * then carries exactly the functions listed for it below, each once.
 * Large communities of any other AS are not ipmem's and are ignored; a
 * route of ours with an unknown function or value, a missing or repeated
 * function, a prefix that does not agree with its communities, or a prefix
 * outside the network prefix is malformed: ipmemd logs and ignores it.
 *
 * Counts of blocks that can exceed 32 bits travel as two communities, the
 * low 32 bits in the function itself and the high bits in its _HI
 * companion, which is omitted when zero.
 */
#ifndef _IPMEM_BGP_H
#define _IPMEM_BGP_H

#include <linux/types.h>

#include <ipmem/addr.h>

/* version of this encoding; routes of a newer version are ignored */
#define IPMEM_BGP_VERSION	1

/* AS number (and so the large communities' global administrator) */
#define IPMEM_BGP_ASN_DEFAULT	65077

/* the block field's spaces, see above */
#define IPMEM_BGP_SPACE_SHIFT	46
#define IPMEM_BGP_SPACE_BLOCKS	0
#define IPMEM_BGP_SPACE_RESERVED 1
#define IPMEM_BGP_SPACE_REQUEST	2
#define IPMEM_BGP_SPACE_REPLY	3

/* a pool has fewer blocks than this; grants lie below it */
#define IPMEM_BGP_BLOCK_LIMIT	0x400000000000ULL	/* 2^46 */
/* a grant prefix is at least this long (it stays in the blocks space) */
#define IPMEM_BGP_GRANT_PLEN_MIN (IPMEM_HOST_PLEN + 2)

/* disks a borrower can name in requests: /dev/ipmem0 .. ipmem16383 */
#define IPMEM_BGP_DISK_BITS	14
#define IPMEM_BGP_DISK_LIMIT	16384U		/* 2^14 */

/* length of the prefix covering all requests of one disk (a borrow) */
#define IPMEM_BGP_BORROW_PLEN	(IPMEM_HOST_PLEN + 2 + IPMEM_BGP_DISK_BITS)

/**
 * enum ipmem_bgp_fn - large community functions (the "local data 1" part)
 * @IPMEM_BGP_FN_VERSION: all routes; IPMEM_BGP_VERSION
 * @IPMEM_BGP_FN_KIND: all routes; enum ipmem_bgp_kind
 * @IPMEM_BGP_FN_BLOCK_SIZE: pool and request; the block size in bytes (a
 *	power of two, 4 KiB to 64 KiB).  A borrower only asks lenders whose
 *	block size is its own.
 * @IPMEM_BGP_FN_TOTAL: pool; M_i, blocks in the pool (low 32 bits)
 * @IPMEM_BGP_FN_TOTAL_HI: pool; M_i, bits 32 and up (omitted when zero)
 * @IPMEM_BGP_FN_FREE: pool; V_i, blocks neither granted nor reserved
 * @IPMEM_BGP_FN_FREE_HI: pool; V_i, bits 32 and up (omitted when zero)
 * @IPMEM_BGP_FN_PORT: pool; the lender's rdma_cm port (1..65535)
 * @IPMEM_BGP_FN_ENDPOINT: pool, optional; IPMEM_BGP_ENDPOINT_PREFIX: the
 *	lender's rdma_cm endpoint is the first address of its /80 (an
 *	address of its RDMA interface), reached through a route to the /80;
 *	absent or IPMEM_BGP_ENDPOINT_NEXTHOP: it is the route's next hop
 * @IPMEM_BGP_FN_LENDER: request; the lender asked, which is also the low
 *	32 bits of the request prefix
 * @IPMEM_BGP_FN_COUNT: request; blocks asked for (low 32 bits)
 * @IPMEM_BGP_FN_COUNT_HI: request; bits 32 and up (omitted when zero)
 * @IPMEM_BGP_FN_RIGHTS: request and grant; enum ipmem_rights
 * @IPMEM_BGP_FN_REQ_STATE: request; enum ipmem_bgp_req_state
 * @IPMEM_BGP_FN_SERIAL: request, grant and refusal; the request's serial
 *	(low 32 bits): a number its borrower gives each new request, larger
 *	than any it gave before (microseconds since the epoch, or more), kept
 *	through the request's states and repeated by the grants and refusal
 *	that answer it.  A lender acts on a request only with the serial its
 *	grants answer (a newer one replaces them, an older one is ignored); a
 *	borrower takes only grants and refusals of its request's serial.  So
 *	an old route, recorded and replayed, changes nothing.
 * @IPMEM_BGP_FN_SERIAL_HI: with SERIAL; bits 32 and up
 * @IPMEM_BGP_FN_RETURN: request, optional, only in state confirmed: the
 *	first of a run of the lender's blocks that the borrower gives back
 *	(low 32 bits), with RETURN_COUNT.  The lender takes the run out of
 *	the request's grants (splitting them) and frees it.  The run is made
 *	of whole segments (IPMEM_SEG_SHIFT_MAX, <ipmem/wire.h>) or whole
 *	grants: blocks of a segment the borrower still has registered are
 *	not freed.
 * @IPMEM_BGP_FN_RETURN_HI: with RETURN; bits 32 and up (omitted when zero)
 * @IPMEM_BGP_FN_RETURN_COUNT: with RETURN; blocks in the run, at least 1
 * @IPMEM_BGP_FN_REVISION: request, optional: the request's revision (low
 *	32 bits).  A confirmed request changes without a new serial: a
 *	return, or a COUNT larger than what its grants hold (the lender
 *	reserves and confirms the difference: the request grows).  Each such
 *	change has a revision larger than the request had before (absent:
 *	0); a lender acts on a return or growth only with a revision at least
 *	the last it acted on, so that a recorded route, replayed, changes
 *	nothing.
 * @IPMEM_BGP_FN_REVISION_HI: with REVISION; bits 32 and up (omitted when
 *	zero)
 * @IPMEM_BGP_FN_BORROWER: grant and refusal; the borrower's host id
 * @IPMEM_BGP_FN_DISK: grant and refusal; the disk of the request answered
 *	(with the lender, which owns the route, it names the request)
 * @IPMEM_BGP_FN_GRANT_STATE: grant; enum ipmem_grant_state (reserved or
 *	confirmed, as in <ipmem/netlink.h>), or IPMEM_BGP_GRANT_DRAINING
 * @IPMEM_BGP_FN_REASON: refusal; enum ipmem_bgp_reason
 * @IPMEM_BGP_FN_MAC: request, grant and refusal, optional: up to
 *	IPMEM_BGP_MACS message authentication codes of IPMEM_ROUTE_MAC_LEN
 *	(12) bytes, MAC i in functions MAC + 3i .. MAC + 3i + 2, four bytes
 *	each, big-endian.  Each is the MAC (IPMEM_CMD_ROUTE_MAC) of the
 *	route's other contents (see ipmem_bgp_mac_data) under one key the
 *	originator shares with the host the route is for (the lender of a
 *	request, the borrower of a grant or refusal).  That host acts on the
 *	route only if one checks, when it has host keys.
 */
enum ipmem_bgp_fn {
	IPMEM_BGP_FN_VERSION = 1,
	IPMEM_BGP_FN_KIND = 2,
	IPMEM_BGP_FN_BLOCK_SIZE = 3,

	IPMEM_BGP_FN_TOTAL = 10,
	IPMEM_BGP_FN_TOTAL_HI = 11,
	IPMEM_BGP_FN_FREE = 12,
	IPMEM_BGP_FN_FREE_HI = 13,
	IPMEM_BGP_FN_PORT = 14,
	IPMEM_BGP_FN_ENDPOINT = 15,

	IPMEM_BGP_FN_LENDER = 20,
	IPMEM_BGP_FN_COUNT = 21,
	IPMEM_BGP_FN_COUNT_HI = 22,
	IPMEM_BGP_FN_RIGHTS = 23,
	IPMEM_BGP_FN_REQ_STATE = 24,
	IPMEM_BGP_FN_SERIAL = 25,
	IPMEM_BGP_FN_SERIAL_HI = 26,
	IPMEM_BGP_FN_RETURN = 27,
	IPMEM_BGP_FN_RETURN_HI = 28,
	IPMEM_BGP_FN_RETURN_COUNT = 29,

	IPMEM_BGP_FN_BORROWER = 30,
	IPMEM_BGP_FN_DISK = 31,
	IPMEM_BGP_FN_GRANT_STATE = 32,

	IPMEM_BGP_FN_REASON = 40,

	IPMEM_BGP_FN_REVISION = 45,
	IPMEM_BGP_FN_REVISION_HI = 46,

	IPMEM_BGP_FN_MAC = 50,		/* .. 61 */
};

/* MACs a route carries at most (two keys at each end, in a rollover) */
#define IPMEM_BGP_MACS		4

/*
 * ipmem_bgp_mac_data - what a route's MACs cover, in this order: the AS
 * number (4 bytes, big-endian), the prefix (16), its length (1), the next
 * hop (16), then for each of the route's large communities of that AS
 * other than MACs, by ascending function: the function (1) and the value
 * (4, big-endian).  At most IPMEM_ROUTE_DATA_MAX bytes.
 */

/**
 * enum ipmem_bgp_kind - what a route is (IPMEM_BGP_FN_KIND)
 * @IPMEM_BGP_KIND_POOL: a lender's /80, next hop its data-plane address;
 *	VERSION KIND BLOCK_SIZE TOTAL [TOTAL_HI] FREE [FREE_HI] PORT
 * @IPMEM_BGP_KIND_REQUEST: a /128 in the borrower's request space, next
 *	hop the borrower's data-plane address; VERSION KIND BLOCK_SIZE LENDER
 *	COUNT [COUNT_HI] RIGHTS REQ_STATE SERIAL SERIAL_HI [RETURN [RETURN_HI]
 *	RETURN_COUNT] [REVISION [REVISION_HI]]
 * @IPMEM_BGP_KIND_GRANT: an aggregated block prefix of the lender, next
 *	hop the lender's data-plane address; VERSION KIND BORROWER DISK RIGHTS
 *	GRANT_STATE
 * @IPMEM_BGP_KIND_REFUSAL: a /128 in the lender's reply space, next hop
 *	the lender's data-plane address; VERSION KIND BORROWER DISK REASON
 */
enum ipmem_bgp_kind {
	IPMEM_BGP_KIND_POOL = 1,
	IPMEM_BGP_KIND_REQUEST = 2,
	IPMEM_BGP_KIND_GRANT = 3,
	IPMEM_BGP_KIND_REFUSAL = 4,
};

/**
 * enum ipmem_bgp_req_state - where a request is (IPMEM_BGP_FN_REQ_STATE)
 * @IPMEM_BGP_REQ_PENDING: asked; the lender reserves and answers with
 *	grants (state reserved) or a refusal
 * @IPMEM_BGP_REQ_CONFIRMED: the borrower takes every grant of the
 *	request; the lender confirms them (state confirmed).  COUNT is then
 *	what the borrower keeps: less what it gives back (RETURN), more when
 *	it grows the request (see IPMEM_BGP_FN_REVISION).
 * @IPMEM_BGP_REQ_RELEASED: the borrower gives the blocks back; the lender
 *	withdraws the grants, zeroes and frees the blocks.  The borrower
 *	withdraws the request once the grants are gone.
 *
 * @IPMEM_BGP_REQ_UNMOVABLE: confirmed, as CONFIRMED; and the lender's
 *	grants drain (IPMEM_BGP_GRANT_DRAINING) but the borrower cannot move
 *	the blocks now (no other lender has room): the lender keeps them.
 *	The borrower tries again, and says CONFIRMED again when it moves
 *	them or the drain ends.  Only sent to a lender that drains.
 *
 * A request withdrawn while its grants are confirmed, without passing
 * through RELEASED, is taken as a failure of the borrower or of BGP, not
 * as a release: the lender keeps the grants for a hold time (ipmemd's
 * grant-hold) and frees them only if the request does not come back.
 */
enum ipmem_bgp_req_state {
	IPMEM_BGP_REQ_PENDING = 1,
	IPMEM_BGP_REQ_CONFIRMED = 2,
	IPMEM_BGP_REQ_RELEASED = 3,
	IPMEM_BGP_REQ_UNMOVABLE = 4,
};

/*
 * IPMEM_BGP_GRANT_DRAINING - a grant's state (IPMEM_BGP_FN_GRANT_STATE)
 * besides reserved and confirmed: confirmed, and its lender is draining.
 * The borrower should move what it keeps there to blocks of another
 * lender and release these; they stay valid until it does.
 */
#define IPMEM_BGP_GRANT_DRAINING	3

/*
 * Where a pool's rdma_cm endpoint is (IPMEM_BGP_FN_ENDPOINT): at the
 * route's next hop, or at the first address of the lender's /80, so that
 * a borrower reaches it through its route to the /80 (the kernel's).
 */
#define IPMEM_BGP_ENDPOINT_NEXTHOP	0
#define IPMEM_BGP_ENDPOINT_PREFIX	1

/**
 * enum ipmem_bgp_reason - why a lender refused (IPMEM_BGP_FN_REASON)
 * @IPMEM_BGP_REASON_NOSPACE: fewer free blocks than asked for
 * @IPMEM_BGP_REASON_BLOCK_SIZE: the request's block size is not the pool's
 * @IPMEM_BGP_REASON_NO_POOL: this host lends nothing (now)
 * @IPMEM_BGP_REASON_EXPIRED: the reservation lapsed before it was confirmed
 * @IPMEM_BGP_REASON_ERROR: the lender's module failed otherwise
 * @IPMEM_BGP_REASON_DRAINING: the lender is being drained: it grants
 *	nothing new (its pool route says FREE 0 meanwhile)
 */
enum ipmem_bgp_reason {
	IPMEM_BGP_REASON_NOSPACE = 1,
	IPMEM_BGP_REASON_BLOCK_SIZE = 2,
	IPMEM_BGP_REASON_NO_POOL = 3,
	IPMEM_BGP_REASON_EXPIRED = 4,
	IPMEM_BGP_REASON_ERROR = 5,
	IPMEM_BGP_REASON_DRAINING = 6,

	IPMEM_BGP_REASON_MAX = IPMEM_BGP_REASON_DRAINING
};

/**
 * ipmem_bgp_space() - the space (IPMEM_BGP_SPACE_*) of a block field
 * @block: the low 48 bits of an address (ipmem_addr_block())
 */
static inline unsigned int ipmem_bgp_space(__u64 block)
{
	return (block >> IPMEM_BGP_SPACE_SHIFT) & 3;
}

/**
 * ipmem_bgp_request_block() - block field of a request's /128
 * @disk: the borrower's disk, below IPMEM_BGP_DISK_LIMIT
 * @lender: the lender asked
 */
static inline __u64 ipmem_bgp_request_block(__u32 disk, __u32 lender)
{
	return (__u64)IPMEM_BGP_SPACE_REQUEST << IPMEM_BGP_SPACE_SHIFT |
	       (__u64)(disk & (IPMEM_BGP_DISK_LIMIT - 1)) << 32 | lender;
}

/**
 * ipmem_bgp_reply_block() - block field of a refusal's /128
 * @disk: the disk of the request refused
 * @borrower: the borrower that asked
 */
static inline __u64 ipmem_bgp_reply_block(__u32 disk, __u32 borrower)
{
	return (__u64)IPMEM_BGP_SPACE_REPLY << IPMEM_BGP_SPACE_SHIFT |
	       (__u64)(disk & (IPMEM_BGP_DISK_LIMIT - 1)) << 32 | borrower;
}

/* the disk and the other host named by a request or reply block field */
static inline __u32 ipmem_bgp_block_disk(__u64 block)
{
	return (block >> 32) & (IPMEM_BGP_DISK_LIMIT - 1);
}

static inline __u32 ipmem_bgp_block_peer(__u64 block)
{
	return (__u32)block;
}

#endif /* _IPMEM_BGP_H */
