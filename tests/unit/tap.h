/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal TAP producer for the userspace unit tests (run by prove).
 *
 *   plan(n); ok(cond, "what"); is_u64(got, want, "what"); return done();
 */
#ifndef IPMEM_TAP_H
#define IPMEM_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void plan(int n)
{
	printf("1..%d\n", n);
}

static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

#define is_u64(got, want, ...)						\
	do {								\
		uint64_t g_ = (got), w_ = (want);			\
		if (!ok(g_ == w_, __VA_ARGS__))				\
			printf("#   got 0x%" PRIx64 ", want 0x%" PRIx64 "\n", \
			       g_, w_);					\
	} while (0)

#define is_str(got, want, ...)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		if (!ok(!strcmp(g_, w_), __VA_ARGS__))			\
			printf("#   got '%s', want '%s'\n", g_, w_);	\
	} while (0)

static inline int done(void)
{
	return tap_failed ? 1 : 0;
}

#endif
