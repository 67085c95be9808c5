/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ipmem block addresses (the patent's FIG. 2), shared by the kernel module
 * and userspace so that there is exactly one definition.
 *
 * Every lent block of memory has its own IPv6 address:
 *
 *   bits 0..47    network prefix        (the deployment's /48)
 *   bits 48..79   lender host id        (32 bits; a lender owns a /80)
 *   bits 80..127  block number          (48 bits)
 *
 * The block number is the block's offset inside the lender's pool divided
 * by the block size.  It is never a kernel virtual or physical address.
 *
 * 2^k aligned contiguous blocks aggregate into one prefix of length
 * 128 - k; announcements and grants use the shortest such set of prefixes
 * (ipmem_aggr_step()).
 *
 * Everything here is pure arithmetic on 16-byte arrays in network byte
 * order, with no allocation and no locking.
 */
#ifndef _IPMEM_ADDR_H
#define _IPMEM_ADDR_H

#include <linux/types.h>

#define IPMEM_NET_PLEN		48	/* network prefix length */
#define IPMEM_HOST_PLEN		80	/* a lender's /80 */
#define IPMEM_BLOCK_BITS	48
#define IPMEM_BLOCK_LIMIT	0x1000000000000ULL	/* 2^48, exclusive */

#define IPMEM_BLOCK_SHIFT_MIN	12	/* 4 KiB */
#define IPMEM_BLOCK_SHIFT_MAX	16	/* 64 KiB */
#define IPMEM_BLOCK_SIZE_DEFAULT 65536U		/* 2^IPMEM_BLOCK_SHIFT_MAX */

/**
 * ipmem_block_shift() - log2 of a valid block size
 * @size: block size in bytes
 *
 * Return: the shift, or -1 if @size is not a power of two between 4 KiB
 * and 64 KiB.
 */
static inline int ipmem_block_shift(__u32 size)
{
	int shift;

	for (shift = IPMEM_BLOCK_SHIFT_MIN; shift <= IPMEM_BLOCK_SHIFT_MAX;
	     shift++)
		if (size == 1U << shift)
			return shift;
	return -1;
}

/**
 * ipmem_addr_make() - compose a block's IPv6 address
 * @a: result, 16 bytes, network order
 * @net: network prefix; only its first 48 bits are used
 * @host: lender host id
 * @block: block number, below IPMEM_BLOCK_LIMIT
 */
static inline void ipmem_addr_make(__u8 a[16], const __u8 net[16], __u32 host,
				   __u64 block)
{
	int i;

	for (i = 0; i < 6; i++)
		a[i] = net[i];
	for (i = 0; i < 4; i++)
		a[6 + i] = host >> (24 - 8 * i);
	for (i = 0; i < 6; i++)
		a[10 + i] = block >> (40 - 8 * i);
}

static inline __u32 ipmem_addr_host(const __u8 a[16])
{
	return (__u32)a[6] << 24 | (__u32)a[7] << 16 | (__u32)a[8] << 8 | a[9];
}

static inline __u64 ipmem_addr_block(const __u8 a[16])
{
	__u64 b = 0;
	int i;

	for (i = 10; i < 16; i++)
		b = b << 8 | a[i];
	return b;
}

/**
 * ipmem_addr_bits_clear() - are all bits of @a from bit @from on zero?
 * @a: address
 * @from: first bit (0 = most significant) that must be zero
 */
static inline int ipmem_addr_bits_clear(const __u8 a[16], unsigned int from)
{
	unsigned int i;

	for (i = from; i < 128; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

/**
 * ipmem_addr_prefix_eq() - do @a and @b agree on their first @plen bits?
 */
static inline int ipmem_addr_prefix_eq(const __u8 a[16], const __u8 b[16],
				       unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < plen; i++)
		if ((a[i / 8] ^ b[i / 8]) & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

/**
 * ipmem_prefix_range() - the blocks a block prefix covers
 * @a: prefix address (host bits must be zero)
 * @plen: prefix length, 80..128
 * @first: first block number
 * @count: number of blocks (a power of two)
 *
 * Return: 0, or -1 if @plen is out of range or @a has bits set past @plen.
 */
static inline int ipmem_prefix_range(const __u8 a[16], unsigned int plen,
				     __u64 *first, __u64 *count)
{
	if (plen < IPMEM_HOST_PLEN || plen > 128 ||
	    !ipmem_addr_bits_clear(a, plen))
		return -1;
	*first = ipmem_addr_block(a);
	*count = 1ULL << (128 - plen);
	return 0;
}

/**
 * ipmem_aggr_step() - size of the next prefix covering a block run
 * @first: first block of the run
 * @count: blocks left in the run, at least 1
 *
 * Return: k such that the 2^k blocks from @first are aligned to 2^k, fit
 * in @count, and k is the largest such (at most 48).  The prefix is then
 * the address of @first with length 128 - k.  Calling this repeatedly,
 * advancing @first by 2^k, covers any run with the fewest prefixes.
 */
static inline unsigned int ipmem_aggr_step(__u64 first, __u64 count)
{
	unsigned int k = 0;

	while (k < IPMEM_BLOCK_BITS && !(first & (1ULL << k)) &&
	       (2ULL << k) <= count)
		k++;
	return k;
}

#endif /* _IPMEM_ADDR_H */
