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
 *
 * borrower.c gathers the candidates (its view of the RIB and of this
 * host's own pools, less what it has asked and not been answered yet)
 * and acts on the picks; what to pick, and how to say that nothing can
 * be, is decided here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>

#include "parse.h"
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

int plan_cand_add(struct plan_cands *c, uint32_t host, uint64_t free,
		  uint32_t latency_us)
{
	struct plan_lender *n;

	if (c->n == c->cap) {
		n = realloc(c->v, (c->cap ? 2 * c->cap : 64) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->v = n;
		c->cap = c->cap ? 2 * c->cap : 64;
	}
	c->v[c->n].host = host;
	c->v[c->n].free = free;
	c->v[c->n].latency_us = latency_us;
	c->v[c->n].excluded = false;
	c->n++;
	c->free_total += free;
	return 0;
}

void plan_cands_free(struct plan_cands *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
	c->free_total = 0;
}

void plan_shortfall(char *err, size_t len, const struct plan_cands *c,
		    uint64_t want, uint64_t blocks, uint32_t block_size,
		    int copies, const char *why)
{
	char have[32], short_[32], size[32], reason[200] = "";

	ipmem_format_size(c->free_total * block_size, have, sizeof(have));
	ipmem_format_size(want * block_size, short_, sizeof(short_));
	ipmem_format_size(blocks * block_size, size, sizeof(size));
	if (why && why[0])
		snprintf(reason, sizeof(reason), " (%s)", why);
	if (c->n)
		snprintf(err, len,
			 "cannot borrow %s: %s short%s%s; the %zu lender%s not asked yet ha%s only %s free",
			 size, short_, copies > 1 ? " for a copy" : "", reason,
			 c->n, c->n == 1 ? "" : "s", c->n == 1 ? "s" : "ve",
			 have);
	else
		snprintf(err, len,
			 "cannot borrow %s: %s short%s%s; no other lender has free blocks",
			 size, short_, copies > 1 ? " for a copy" : "", reason);
}

uint64_t plan_rnd(void *arg)
{
	static uint64_t s;

	if (!s)
		s = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)(uintptr_t)arg;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	return s * 0x2545f4914f6cdd1dULL;
}
