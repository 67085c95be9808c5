// SPDX-License-Identifier: GPL-2.0
/*
 * plan.c - which lenders a borrow asks, and for how much.
 *
 * The power of two choices: of two candidates drawn at random, ask the
 * better one for as much as it has (or as much as is left).  "Better" is
 * more blocks of what is left served per unit of round-trip latency, so
 * a near lender wins over a far one unless the far one can serve much
 * more of the request.  Drawing two at random, rather than always taking
 * the best, keeps many borrowers that see the same view from all
 * stampeding to the same lender; it costs O(1) per pick however many
 * lenders there are (O(n) to build the candidate list).
 */
#include "codec.h"

static uint64_t score(const struct plan_lender *l, uint64_t want)
{
	uint64_t serve = l->free < want ? l->free : want;
	uint64_t lat = l->latency_us ? l->latency_us : PLAN_DEFAULT_LATENCY_US;

	/* blocks per second of latency; saturates far beyond real sizes */
	return serve * 1000000 / lat;
}

/* is @a better than @b for @want blocks? */
static bool better(const struct plan_lender *a, const struct plan_lender *b,
		   uint64_t want)
{
	uint64_t sa = score(a, want), sb = score(b, want);

	if (sa != sb)
		return sa > sb;
	if (a->free != b->free)
		return a->free > b->free;
	return a->host < b->host;
}

size_t plan_pick(struct plan_lender *c, size_t n, uint64_t want,
		 uint64_t (*rnd)(void *arg), void *arg,
		 struct plan_pick *out, size_t max, uint64_t *left)
{
	size_t npicks = 0, i, avail, a, b, rank;
	struct plan_lender *best;

	while (want && npicks < max) {
		/* the candidates left, counted, then two drawn by rank */
		avail = 0;
		for (i = 0; i < n; i++)
			if (!c[i].excluded && c[i].free)
				avail++;
		if (!avail)
			break;
		a = rnd(arg) % avail;
		b = avail > 1 ? rnd(arg) % (avail - 1) : a;
		if (avail > 1 && b >= a)
			b++;
		best = NULL;
		for (i = 0, rank = 0; i < n; i++) {
			if (c[i].excluded || !c[i].free)
				continue;
			if ((rank == a || rank == b) &&
			    (!best || better(&c[i], best, want)))
				best = &c[i];
			rank++;
		}
		out[npicks].host = best->host;
		out[npicks].count = best->free < want ? best->free : want;
		want -= out[npicks].count;
		best->excluded = true;
		npicks++;
	}
	*left = want;
	return npicks;
}
