// SPDX-License-Identifier: GPL-2.0
/*
 * elastic.c - when a host borrows more memory, and when it gives some back.
 *
 * The policy of elastic borrowing (Documentation/ipmemd.rst, "Elastic
 * memory"), as a pure function of what the host sees: its swap on ipmem
 * (/proc/swaps), its memory pressure (/proc/pressure/memory) and its
 * available memory (/proc/meminfo).  borrower.c reads those files,
 * gathers the elastic disks and acts on the decision; the parsers of the
 * files are here too, so that all of it is unit tested.
 *
 * Grow by one step when the swap on ipmem is used past the high
 * watermark, or when the pressure (the share of time some task waited
 * for memory, over 10 s) is past its threshold - up to the ceiling.
 * An elastic disk that is not swap (its swapon failed, or someone swapped
 * it off) serves nothing and holds part of the ceiling: it goes back
 * before anything else is looked at.
 * Give back the least used elastic disk when what all ipmem swap holds
 * would fit in what is left below the low watermark, the pressure is
 * under half its threshold, and the disk's pages fit in half the
 * available memory (swapoff brings them back in).  Failing that, give
 * back part of what swap freed (discarded) in the elastic disks, as much
 * as keeps the swap used below the low watermark of what stays, at most
 * one step, by whole segments: the disks stay swap, with holes.  A write
 * that comes to a hole, or pressure past the high watermark while there
 * are holes, maps them again before anything new is borrowed.  Swap
 * counts holes in its size: the watermarks are of what is mapped.  No
 * step comes sooner than the hold-down time after the last one, and none
 * while one is still under way, so that the policy cannot flap.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

enum elastic_act elastic_decide(const struct elastic_conf *c,
				const struct elastic_view *v, char *why,
				size_t len)
{
	uint64_t pct = 0, rest, cap, trim;
	bool hot = false;

	if (why && len)
		why[0] = 0;
	if (!c->max || !c->step)
		return ELASTIC_NONE;
	if (v->busy) {
		snprintf(why, len, "a step is under way");
		return ELASTIC_NONE;
	}
	if (v->have_last && v->now < v->last_step + c->hold) {
		snprintf(why, len, "holding down until %" PRIu64 " s after the last step",
			 (uint64_t)c->hold / 1000);
		return ELASTIC_NONE;
	}
	if (v->have_victim && v->victim_unswapped) {
		snprintf(why, len, "%s is not swap", v->victim);
		return ELASTIC_SHRINK;
	}
	cap = v->swap_size > v->holes ? v->swap_size - v->holes : 0;
	if (cap)
		pct = v->swap_used * 100 / cap;

	if (cap && pct >= c->high) {
		snprintf(why, len, "swap on ipmem %" PRIu64 "%% used (high %u%%)",
			 pct, c->high);
		hot = true;
	} else if (c->psi && v->psi_avg10 >= c->psi) {
		snprintf(why, len, "memory pressure %u.%02u%% (threshold %u%%)",
			 v->psi_avg10 / 100, v->psi_avg10 % 100, c->psi / 100);
		hot = true;
	}
	if (hot && v->holes) {
		size_t n = strlen(why);

		snprintf(why + n, len - n, "; mapping the %" PRIu64 " MiB given back again",
			 v->holes >> 20);
		return ELASTIC_REFILL;
	}
	if (hot) {
		if (v->elastic + c->step > c->max) {
			size_t n = strlen(why);

			snprintf(why + n, len - n, ", but at the ceiling");
			return ELASTIC_NONE;
		}
		return ELASTIC_GROW;
	}

	if (c->psi && v->psi_avg10 >= c->psi / 2)
		return ELASTIC_NONE;
	rest = cap > v->victim_size ? cap - v->victim_size : 0;
	if (v->have_victim && v->swap_used * 100 <= rest * c->low &&
	    v->victim_used <= v->mem_available / 2) {
		snprintf(why, len, "swap on ipmem %" PRIu64 "%% used; without %s %" PRIu64
			 "%% (low %u%%)", pct, v->victim,
			 rest ? v->swap_used * 100 / rest : 0, c->low);
		return ELASTIC_SHRINK;
	}
	trim = elastic_trim_bytes(c, v);
	if (!trim) {
		snprintf(why, len, "swap on ipmem %" PRIu64 "%% used (low %u%%, high %u%%)",
			 pct, c->low, c->high);
		return ELASTIC_NONE;
	}
	snprintf(why, len, "swap on ipmem %" PRIu64 "%% used; %" PRIu64
		 " MiB given back leaves %" PRIu64 "%% (low %u%%)", pct,
		 trim >> 20, v->swap_used * 100 / (cap - trim), c->low);
	return ELASTIC_TRIM;
}

uint64_t elastic_trim_bytes(const struct elastic_conf *c,
			    const struct elastic_view *v)
{
	uint64_t cap = v->swap_size > v->holes ? v->swap_size - v->holes : 0;
	uint64_t keep, give;

	if (!v->trim_unit || !c->low || !cap)
		return 0;
	/* what keeps swap_used at or below low per cent of what stays */
	keep = (v->swap_used * 100 + c->low - 1) / c->low;
	if (keep >= cap)
		return 0;
	give = cap - keep;
	if (give > c->step)
		give = c->step;
	give -= give % v->trim_unit;
	/* never the last unit: a disk with nothing mapped goes back whole */
	if (give >= cap)
		give = cap > v->trim_unit ? cap - v->trim_unit : 0;
	return give;
}

int elastic_parse_swaps(const char *text, const char *dev, uint64_t *size,
			uint64_t *used)
{
	const char *p = text;
	char name[128], type[32];
	unsigned long long sz, us;
	size_t dl = strlen(dev);

	/* Filename Type Size Used Priority (KiB) */
	while (p && *p) {
		if (sscanf(p, "%127s %31s %llu %llu", name, type, &sz, &us) == 4 &&
		    !strncmp(name, "/dev/", 5) && strlen(name + 5) == dl &&
		    !strcmp(name + 5, dev)) {
			*size = (uint64_t)sz * 1024;
			*used = (uint64_t)us * 1024;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

int elastic_parse_psi(const char *text, uint32_t *avg10)
{
	unsigned int whole, frac;
	const char *p = strstr(text, "some avg10=");

	/* "some avg10=1.23 avg60=..." - hundredths of a per cent */
	if (!p || (p != text && p[-1] != '\n'))
		return -1;
	if (sscanf(p, "some avg10=%u.%2u", &whole, &frac) != 2 || whole > 100)
		return -1;
	*avg10 = whole * 100 + frac;
	return 0;
}

int elastic_parse_meminfo(const char *text, uint64_t *available)
{
	const char *p = strstr(text, "MemAvailable:");
	unsigned long long kb;

	if (!p || (p != text && p[-1] != '\n') ||
	    sscanf(p, "MemAvailable: %llu kB", &kb) != 1)
		return -1;
	*available = (uint64_t)kb * 1024;
	return 0;
}
