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
 * usage: memtouch [-p PASSES] [-s SEED] [-n NONCE] [-u STOPFILE] [-j JOBS]
 *                 SIZE_MIB
 * With -u, passes go on after PASSES until STOPFILE exists.  -n fixes the
 * nonce (otherwise random).  -j runs JOBS processes that fault at once,
 * each with its share of SIZE (its own pages, numbered apart, so that one
 * process's page can never pass for another's), in lock step: a pass
 * starts in all of them together and ends when the last one is done.
 * Prints "nonce X" first, then, per pass (of all the processes together):
 * "pass N seq|rand pages P mismatches M pages/s R".
 * Exit status: 0 when every byte matched, 1 on a mismatch, 2 on usage or
 * allocation errors.  A page that cannot be swapped in kills the process
 * (with -j, one of the processes, and then the others and memtouch itself)
 * with SIGBUS, which the caller sees as such.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
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

/* One process's pages: npages of them, numbered from base. */
struct share {
	char *mem;
	uint64_t *order;
	uint64_t npages, base;
	size_t psz, words;
};

static int share_alloc(struct share *sh, uint64_t npages, uint64_t base)
{
	sh->psz = sysconf(_SC_PAGESIZE);
	sh->words = sh->psz / 8;
	sh->npages = npages;
	sh->base = base;
	sh->mem = mmap(NULL, npages * sh->psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sh->order = malloc(npages * sizeof(*sh->order));
	if (sh->mem == MAP_FAILED || !sh->order) {
		fprintf(stderr, "memtouch: cannot allocate %" PRIu64 " pages\n",
			npages);
		return -1;
	}
	return 0;
}

/*
 * Pass 0 writes every page; pass N (odd: in order, even: in a random
 * permutation) checks what pass N-1 wrote and writes its own.  Returns
 * the pages that differed.
 */
static uint64_t do_pass(struct share *sh, uint64_t pass, uint64_t *reported)
{
	uint64_t i, j, p, bad = 0;
	int random = pass && !(pass & 1);

	for (i = 0; i < sh->npages; i++)
		sh->order[i] = i;
	if (random) {
		for (i = sh->npages - 1; i > 0; i--) {
			j = rng() % (i + 1);
			p = sh->order[i];
			sh->order[i] = sh->order[j];
			sh->order[j] = p;
		}
	}
	for (i = 0; i < sh->npages; i++) {
		uint64_t *page = (uint64_t *)(sh->mem + sh->order[i] * sh->psz);
		uint64_t g = sh->base + sh->order[i];

		if (pass && check(page, sh->words, g, pass - 1)) {
			if ((*reported)++ < 5)
				fprintf(stderr, "memtouch: page %" PRIu64
					" differs in pass %" PRIu64 "\n", g, pass);
			bad++;
		}
		fill(page, sh->words, g, pass);
	}
	return bad;
}

struct worker {
	pid_t pid;
	int go;		/* parent writes a byte: run the next pass */
	int done;	/* the worker writes its mismatch count */
};

static void worker_main(struct share *sh, int go, int done)
{
	uint64_t pass = 0, bad, reported = 0;
	char c;

	while (read(go, &c, 1) == 1) {
		bad = do_pass(sh, pass++, &reported);
		if (write(done, &bad, sizeof(bad)) != sizeof(bad))
			_exit(2);
	}
	_exit(0);
}

/*
 * Start JOBS workers, each with its share of npages.  Returns 0, or -1
 * when one could not be started (those that were are told to end).
 */
static int workers_start(struct worker *w, int jobs, uint64_t npages)
{
	uint64_t base = 0, n;
	int i, go[2], done[2];

	for (i = 0; i < jobs; i++) {
		n = npages / jobs + (i < (int)(npages % jobs));
		if (pipe(go) || pipe(done)) {
			perror("memtouch: pipe");
			return -1;
		}
		fflush(stdout);
		w[i].pid = fork();
		if (w[i].pid < 0) {
			perror("memtouch: fork");
			return -1;
		}
		if (!w[i].pid) {
			struct share sh;
			int k;

			/* only this worker's own ends stay open */
			for (k = 0; k < i; k++) {
				close(w[k].go);
				close(w[k].done);
			}
			close(go[1]);
			close(done[0]);
			/* a different order of pages in each worker */
			rng_state = (rng_state + 0x9e3779b97f4a7c15ULL * i) | 1;
			if (share_alloc(&sh, n, base))
				_exit(2);
			worker_main(&sh, go[0], done[1]);
		}
		close(go[0]);
		close(done[1]);
		w[i].go = go[1];
		w[i].done = done[0];
		base += n;
	}
	return 0;
}

/*
 * A worker ended without answering: end the others and leave the way it
 * did (a signal is raised again, so that SIGBUS reaches the caller).
 */
static void workers_fail(struct worker *w, int jobs, int dead, int status)
{
	int i;

	if (status < 0)
		waitpid(w[dead].pid, &status, 0);
	for (i = 0; i < jobs; i++) {
		if (i == dead || w[i].pid <= 0)
			continue;
		kill(w[i].pid, SIGKILL);
		waitpid(w[i].pid, NULL, 0);
	}
	fflush(stdout);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "memtouch: worker %d killed by signal %d\n",
			dead, WTERMSIG(status));
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
	}
	fprintf(stderr, "memtouch: worker %d exited with status %d\n", dead,
		WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	exit(WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 2);
}

/* One pass in every worker at once; the mismatches of all of them. */
static uint64_t workers_pass(struct worker *w, int jobs)
{
	uint64_t bad, sum = 0;
	ssize_t r;
	int i;

	for (i = 0; i < jobs; i++) {
		if (write(w[i].go, "g", 1) != 1)
			workers_fail(w, jobs, i, -1);
	}
	for (i = 0; i < jobs; i++) {
		do {
			r = read(w[i].done, &bad, sizeof(bad));
		} while (r < 0 && errno == EINTR);
		if (r != sizeof(bad))
			workers_fail(w, jobs, i, -1);
		sum += bad;
	}
	return sum;
}

int main(int argc, char **argv)
{
	uint64_t npages, pass, passes = 4, bad, bad_pages = 0, reported = 0;
	uint64_t seed = 1;
	const char *stopfile = NULL;
	struct worker *w = NULL;
	struct share sh;
	unsigned long mib;
	char *end;
	int opt, have_nonce = 0, jobs = 1, i;
	double t;

	while ((opt = getopt(argc, argv, "p:s:n:u:j:")) != -1) {
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
		case 'j':
			jobs = strtol(optarg, &end, 0);
			if (*end || jobs < 1 || jobs > 64)
				goto usage;
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

	npages = (uint64_t)mib * 1024 * 1024 / sysconf(_SC_PAGESIZE);
	if ((uint64_t)jobs > npages)
		goto usage;
	if (jobs > 1) {
		w = calloc(jobs, sizeof(*w));
		if (!w || workers_start(w, jobs, npages)) {
			fprintf(stderr, "memtouch: cannot start %d workers\n", jobs);
			return 2;
		}
	} else if (share_alloc(&sh, npages, 0)) {
		return 2;
	}

	for (pass = 0; !pass || pass <= passes ||
		       (stopfile && access(stopfile, F_OK)); pass++) {
		t = now();
		bad = w ? workers_pass(w, jobs) : do_pass(&sh, pass, &reported);
		printf("pass %" PRIu64 " %s pages %" PRIu64 " mismatches %"
		       PRIu64 " pages/s %.0f\n", pass,
		       !pass ? "write" : (pass & 1) ? "seq" : "rand",
		       npages, bad, npages / (now() - t));
		fflush(stdout);
		bad_pages += bad;
	}
	for (i = 0; w && i < jobs; i++) {
		int status = 0;

		close(w[i].go);
		if (waitpid(w[i].pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			workers_fail(w, jobs, i, status);
	}
	printf("total mismatches %" PRIu64 "\n", bad_pages);
	return bad_pages ? 1 : 0;

usage:
	fprintf(stderr, "usage: memtouch [-p PASSES] [-s SEED] [-n NONCE] [-u STOPFILE] [-j JOBS] SIZE_MIB\n");
	return 2;
}
