// SPDX-License-Identifier: GPL-2.0
/*
 * memtouch: the verifying swap workload.
 *
 * Allocates SIZE of anonymous memory and writes a distinct pattern into
 * every page (the pattern names the run, the page and the pass: a random
 * nonce per run, printed first, so that data left in swap or in a
 * lender's memory by an earlier run can never pass for this one's).  Each pass then
 * visits every page, in sequential order or in a random permutation,
 * checks all of its bytes against what the previous pass wrote, and
 * rewrites it with this pass's pattern.  Run it in a cgroup whose
 * memory.max is below SIZE and the pages go through swap.
 *
 * usage: memtouch [-p PASSES] [-s SEED] [-n NONCE] [-u STOPFILE] SIZE_MIB
 * With -u, passes go on after PASSES until STOPFILE exists.  -n fixes the
 * nonce (otherwise random).
 * Prints "nonce X" first, then, per pass:
 * "pass N seq|rand pages P mismatches M pages/s R".
 * Exit status: 0 when every byte matched, 1 on a mismatch, 2 on usage or
 * allocation errors.  A page that cannot be swapped in kills the process
 * with SIGBUS, which the caller sees as such.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state;
static uint64_t nonce;

static uint64_t rng(void)
{
	/* xorshift64*: good enough to shuffle pages */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* The word at position w of page p in pass n of this run: unique. */
static inline uint64_t pattern(uint64_t p, uint64_t n, uint64_t w)
{
	uint64_t x = (p << 20) ^ (n << 52) ^ w ^ 0x9e3779b97f4a7c15ULL;

	x ^= nonce;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

static void fill(uint64_t *page, size_t words, uint64_t p, uint64_t n)
{
	size_t w;

	for (w = 0; w < words; w++)
		page[w] = pattern(p, n, w);
}

/* Number of words of page p that are not what pass n wrote. */
static size_t check(const uint64_t *page, size_t words, uint64_t p,
		    uint64_t n)
{
	size_t w, bad = 0;

	for (w = 0; w < words; w++)
		bad += page[w] != pattern(p, n, w);
	return bad;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t psz = sysconf(_SC_PAGESIZE), words = psz / 8;
	uint64_t npages, i, j, p, pass, passes = 4, bad_pages = 0;
	uint64_t *order, seed = 1;
	const char *stopfile = NULL;
	unsigned long mib;
	char *mem, *end;
	int opt, have_nonce = 0;
	double t;

	while ((opt = getopt(argc, argv, "p:s:n:u:")) != -1) {
		switch (opt) {
		case 'p':
			passes = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nonce = strtoull(optarg, NULL, 0);
			have_nonce = 1;
			break;
		case 'u':
			stopfile = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	mib = strtoul(argv[optind], &end, 0);
	if (*end || !mib || !passes)
		goto usage;
	rng_state = seed | 1;
	if (!have_nonce && getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce)) {
		perror("memtouch: getrandom");
		return 2;
	}
	printf("nonce %#" PRIx64 "\n", nonce);

	npages = (uint64_t)mib * 1024 * 1024 / psz;
	mem = mmap(NULL, npages * psz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	order = malloc(npages * sizeof(*order));
	if (mem == MAP_FAILED || !order) {
		fprintf(stderr, "memtouch: cannot allocate %lu MiB\n", mib);
		return 2;
	}

	t = now();
	for (p = 0; p < npages; p++)
		fill((uint64_t *)(mem + p * psz), words, p, 0);
	printf("pass 0 write pages %" PRIu64 " mismatches 0 pages/s %.0f\n",
	       npages, npages / (now() - t));
	fflush(stdout);

	for (pass = 1; pass <= passes ||
		       (stopfile && access(stopfile, F_OK)); pass++) {
		int random = !(pass & 1);
		uint64_t bad = 0;

		for (i = 0; i < npages; i++)
			order[i] = i;
		if (random) {
			for (i = npages - 1; i > 0; i--) {
				j = rng() % (i + 1);
				p = order[i];
				order[i] = order[j];
				order[j] = p;
			}
		}
		t = now();
		for (i = 0; i < npages; i++) {
			uint64_t *page = (uint64_t *)(mem + order[i] * psz);

			if (check(page, words, order[i], pass - 1)) {
				if (bad < 5)
					fprintf(stderr, "memtouch: page %" PRIu64
						" differs in pass %" PRIu64 "\n",
						order[i], pass);
				bad++;
			}
			fill(page, words, order[i], pass);
		}
		printf("pass %" PRIu64 " %s pages %" PRIu64 " mismatches %"
		       PRIu64 " pages/s %.0f\n", pass, random ? "rand" : "seq",
		       npages, bad, npages / (now() - t));
		fflush(stdout);
		bad_pages += bad;
	}
	printf("total mismatches %" PRIu64 "\n", bad_pages);
	return bad_pages ? 1 : 0;

usage:
	fprintf(stderr, "usage: memtouch [-p PASSES] [-s SEED] [-n NONCE] [-u STOPFILE] SIZE_MIB\n");
	return 2;
}
