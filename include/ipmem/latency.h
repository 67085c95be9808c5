/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The buckets of ipmem's read latency histogram (debugfs "latency"),
 * shared with the tools that read it.
 *
 * Log-linear: below 8 us one bucket per microsecond; from there 8 buckets
 * per power of two, each an eighth of it wide (12.5 % resolution), up to
 * 2^24 us (16.8 s); the last bucket also takes every slower read.
 */
#ifndef _IPMEM_LATENCY_H
#define _IPMEM_LATENCY_H

#include <linux/types.h>

#define IPMEM_LAT_SUB_BITS	3
#define IPMEM_LAT_SUB		8	/* 2^IPMEM_LAT_SUB_BITS */
#define IPMEM_LAT_BUCKETS	(IPMEM_LAT_SUB * (24 - IPMEM_LAT_SUB_BITS + 1))
/*
 * In DISK_GET's LATENCY nest: attribute b + 1 is bucket b's count (only
 * buckets with reads are sent), IPMEM_LAT_SUM_ATTR the sum of all the
 * reads' latencies in microseconds.
 */
#define IPMEM_LAT_SUM_ATTR	(IPMEM_LAT_BUCKETS + 1)

/* the bucket of a latency of @us microseconds */
static inline unsigned int ipmem_lat_bucket(__u64 us)
{
	unsigned int msb = 63, b;

	if (us < IPMEM_LAT_SUB)
		return us;
	while (!(us >> msb))
		msb--;
	b = IPMEM_LAT_SUB * (msb - IPMEM_LAT_SUB_BITS + 1) +
	    ((us >> (msb - IPMEM_LAT_SUB_BITS)) & (IPMEM_LAT_SUB - 1));
	return b < IPMEM_LAT_BUCKETS ? b : IPMEM_LAT_BUCKETS - 1;
}

/* the exclusive upper bound of bucket @b, in microseconds */
static inline __u64 ipmem_lat_bound(unsigned int b)
{
	unsigned int msb;

	if (b < IPMEM_LAT_SUB)
		return b + 1;
	msb = b / IPMEM_LAT_SUB + IPMEM_LAT_SUB_BITS - 1;
	return (__u64)(IPMEM_LAT_SUB + b % IPMEM_LAT_SUB + 1) <<
	       (msb - IPMEM_LAT_SUB_BITS);
}

#endif /* _IPMEM_LATENCY_H */
