// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the read latency histogram's buckets (ipmem/latency.h). */
#include <ipmem/latency.h>

#include "tap.h"

int main(void)
{
	__u64 us, lo, hi, prev = 0, worst = 0;
	unsigned int b, bad = 0;

	plan(6);
	for (b = 0; b < IPMEM_LAT_BUCKETS; b++) {
		if (ipmem_lat_bound(b) <= prev)
			bad++;
		prev = ipmem_lat_bound(b);
	}
	ok(!bad, "bucket bounds grow strictly (%u buckets)", IPMEM_LAT_BUCKETS);

	bad = 0;
	for (us = 0; us < (1ULL << 24); us++) {
		b = ipmem_lat_bucket(us);
		lo = b ? ipmem_lat_bound(b - 1) : 0;
		hi = ipmem_lat_bound(b);
		if (us < lo || us >= hi)
			bad++;
		if (us >= 8 && (hi - lo) * 1000 / lo > worst)
			worst = (hi - lo) * 1000 / lo;
	}
	ok(!bad, "every latency below 2^24 us falls between its bucket's bounds");
	ok(worst <= 125, "no bucket from 8 us on is wider than 12.5 %% of its low bound (%llu.%llu %%)",
	   (unsigned long long)worst / 10, (unsigned long long)worst % 10);
	is_u64(ipmem_lat_bucket(0), 0, "0 us is bucket 0");
	is_u64(ipmem_lat_bound(ipmem_lat_bucket(300)), 320,
	       "300 us is in the bucket [288, 320)");
	is_u64(ipmem_lat_bucket(~0ULL), IPMEM_LAT_BUCKETS - 1,
	       "anything slower lands in the last bucket");
	return done();
}
