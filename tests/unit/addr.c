// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the block address format and prefix aggregation
 * (include/ipmem/addr.h), the code the kernel module and the helpers
 * share.  Built with ASan and UBSan.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include <ipmem/addr.h>

#include "tap.h"

static void addr_str(const __u8 a[16], char *buf)
{
	inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* Patent FIG. 2, with 64 KiB blocks. */
static void test_fig2(void)
{
	__u8 net[16] = {}, a[16], want[16];
	__u64 offset = 0x0000b8a038640000ULL;
	int shift = ipmem_block_shift(64 * 1024);
	char buf[INET6_ADDRSTRLEN];

	inet_pton(AF_INET6, "2001:db8:8000::", net);
	inet_pton(AF_INET6, "2001:db8:8000:c0a8:a010:0000:b8a0:3864", want);
	ok(shift == 16, "64 KiB blocks have shift 16");
	ipmem_addr_make(a, net, 0xc0a8a010, offset >> shift);
	addr_str(a, buf);
	ok(!memcmp(a, want, 16), "FIG. 2 block address is %s", buf);
	is_u64(ipmem_addr_host(a), 0xc0a8a010, "host id back from the address");
	is_u64(ipmem_addr_block(a) << shift, offset,
	       "block offset back from the address");
	ok(ipmem_addr_prefix_eq(a, net, IPMEM_NET_PLEN),
	   "the address is inside its /48");
}

static void test_block_sizes(void)
{
	ok(ipmem_block_shift(4096) == 12, "4 KiB blocks are allowed");
	ok(ipmem_block_shift(32768) == 15, "32 KiB blocks are allowed");
	ok(ipmem_block_shift(2048) < 0, "2 KiB blocks are refused");
	ok(ipmem_block_shift(128 * 1024) < 0, "128 KiB blocks are refused");
	ok(ipmem_block_shift(3 * 4096) < 0, "12 KiB (not a power of two) refused");
	ok(ipmem_block_shift(0) < 0, "0 refused");
}

static void test_edges(void)
{
	__u8 net[16] = {}, a[16];
	__u64 first, count;

	inet_pton(AF_INET6, "fd69:706d:656d::", net);
	ipmem_addr_make(a, net, 0xffffffff, IPMEM_BLOCK_LIMIT - 1);
	is_u64(ipmem_addr_block(a), IPMEM_BLOCK_LIMIT - 1,
	       "the last block of the 48-bit space survives the round trip");
	is_u64(ipmem_addr_host(a), 0xffffffff, "host id ffff:ffff round trip");
	ok(a[15] == 0xff && a[10] == 0xff, "last block fills the low 48 bits");
	ok(!ipmem_prefix_range(a, 128, &first, &count) &&
	   first == IPMEM_BLOCK_LIMIT - 1 && count == 1,
	   "a /128 of the last block covers exactly it");

	ipmem_addr_make(a, net, 0x01020304, 0);
	ok(!ipmem_prefix_range(a, 80, &first, &count) && first == 0 &&
	   count == IPMEM_BLOCK_LIMIT, "a lender's /80 covers 2^48 blocks");
	ok(!ipmem_prefix_range(a, 128, &first, &count) && first == 0 &&
	   count == 1, "block 0 as a /128");
	ok(ipmem_prefix_range(a, 79, &first, &count),
	   "a /79 spans two lenders and is refused");
	ok(ipmem_prefix_range(a, 129, &first, &count), "a /129 is refused");
	ipmem_addr_make(a, net, 0x01020304, 5);
	ok(ipmem_prefix_range(a, 126, &first, &count),
	   "block 5 as a /126 (bits past the length) is refused");
	ok(!ipmem_prefix_range(a, 128, &first, &count) && first == 5,
	   "block 5 as a /128 is fine");
}

/* The fewest aligned power-of-two pieces covering [first, first+count). */
static int min_cover(__u64 first, __u64 count)
{
	static int memo[130][130];
	int best = 1000, k;

	if (!count)
		return 0;
	if (memo[first][count])
		return memo[first][count];
	for (k = 0; (1ULL << k) <= count; k++)
		if (!(first & ((1ULL << k) - 1))) {
			int c = 1 + min_cover(first + (1ULL << k),
					      count - (1ULL << k));
			if (c < best)
				best = c;
		}
	memo[first][count] = best;
	return best;
}

/* Greedy aggregation is exact and minimal for every run in [0, 128). */
static void test_aggregation_exhaustive(void)
{
	int bad_cover = 0, bad_min = 0, bad_align = 0;
	__u64 first, count, b, n;
	unsigned int k;
	int pieces;

	for (first = 0; first < 64; first++) {
		for (count = 1; first + count <= 128; count++) {
			pieces = 0;
			b = first;
			n = count;
			while (n) {
				k = ipmem_aggr_step(b, n);
				if (b & ((1ULL << k) - 1) || (1ULL << k) > n)
					bad_align++;
				b += 1ULL << k;
				n -= 1ULL << k;
				pieces++;
			}
			if (b != first + count)
				bad_cover++;
			if (pieces != min_cover(first, count))
				bad_min++;
		}
	}
	ok(!bad_align, "every piece is aligned and inside the run (%d bad)",
	   bad_align);
	ok(!bad_cover, "the pieces cover each run exactly (%d bad)", bad_cover);
	ok(!bad_min, "no run takes more pieces than the minimum (%d bad)",
	   bad_min);
}

static void test_aggregation_cases(void)
{
	ok(ipmem_aggr_step(0, 1) == 0, "block 0 alone is a /128");
	ok(ipmem_aggr_step(0, IPMEM_BLOCK_LIMIT) == 48,
	   "the whole space from block 0 is one /80");
	ok(ipmem_aggr_step(0, 8192) == 13, "8192 blocks from 0: one /115");
	ok(ipmem_aggr_step(0, 8191) == 12, "8191 blocks from 0: a /116 first");
	ok(ipmem_aggr_step(1, 1000) == 0, "an odd start takes a /128 first");
	ok(ipmem_aggr_step(4, 3) == 1, "[4,7): a /127 first");
	ok(ipmem_aggr_step(IPMEM_BLOCK_LIMIT - 1, 1) == 0,
	   "the last block is a /128");
	ok(ipmem_aggr_step(IPMEM_BLOCK_LIMIT / 2, IPMEM_BLOCK_LIMIT / 2) == 47,
	   "the upper half of the space is one /81");
}

/* 4 KiB blocks: the same FIG. 2 offset is a different block number. */
static void test_4k_blocks(void)
{
	__u8 net[16] = {}, a[16];
	int shift = ipmem_block_shift(4096);
	__u64 offset = 0x0000b8a038640000ULL;

	inet_pton(AF_INET6, "2001:db8:8000::", net);
	ipmem_addr_make(a, net, 0xc0a8a010, offset >> shift);
	is_u64(ipmem_addr_block(a), 0xb8a03864ULL << 4,
	       "with 4 KiB blocks the offset is block 0xb8a038640");
	is_u64(ipmem_addr_block(a) << shift, offset, "and back to the offset");
}

static void test_roundtrip_random(void)
{
	__u8 net[16] = {}, a[16];
	int i, bad = 0;

	srand(1);
	inet_pton(AF_INET6, "2001:db8:8000::", net);
	for (i = 0; i < 100000; i++) {
		__u32 host = (__u32)rand() ^ ((__u32)rand() << 16);
		__u64 block = (((__u64)rand() << 31) ^ (__u64)rand()) &
			      (IPMEM_BLOCK_LIMIT - 1);

		ipmem_addr_make(a, net, host, block);
		if (ipmem_addr_host(a) != host ||
		    ipmem_addr_block(a) != block ||
		    !ipmem_addr_prefix_eq(a, net, 48))
			bad++;
	}
	ok(!bad, "100000 random (host, block) pairs survive the round trip");
}

int main(void)
{
	plan(35);
	test_fig2();
	test_block_sizes();
	test_edges();
	test_aggregation_exhaustive();
	test_aggregation_cases();
	test_4k_blocks();
	test_roundtrip_random();
	return done();
}
