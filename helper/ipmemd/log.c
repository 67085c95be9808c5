// SPDX-License-Identifier: GPL-2.0
/*
 * log.c - ipmemd's log and small helpers.
 *
 * In the foreground (-f) every line goes to stderr with a timestamp and
 * its level, for a person to read.  Under systemd (JOURNAL_STREAM set)
 * the timestamp is left to the journal and the level travels as the
 * "<N>" prefix that journald understands.  As a daemon, syslog.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipmemd.h"

extern char **environ;

static bool log_fg = true;
static bool log_journal;
static int log_level = LOG_INFO;

void log_init(bool foreground, int verbose)
{
	log_fg = foreground;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	log_level = verbose ? LOG_DEBUG : LOG_INFO;
	if (!foreground)
		openlog("ipmemd", LOG_PID, LOG_DAEMON);
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

void logm(int level, const char *fmt, ...)
{
	char msg[1024], ts[32];
	struct timespec t;
	struct tm tm;
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!log_fg) {
		syslog(level, "%s", msg);
		return;
	}
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", level, msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &t);
	localtime_r(&t.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld ipmemd %s: %s\n", ts, t.tv_nsec / 1000000,
		level_name(level), msg);
}

FILE *state_begin(const char *path, char *tmp, size_t len)
{
	FILE *f;

	snprintf(tmp, len, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		log_err("cannot write %s: %m", tmp);
	return f;
}

void state_commit(FILE *f, const char *tmp, const char *path)
{
	if (fflush(f) || fsync(fileno(f)) || fclose(f)) {
		log_err("cannot write %s: %m", tmp);
		unlink(tmp);
		return;
	}
	if (rename(tmp, path))
		log_err("cannot rename %s: %m", tmp);
}

uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

const char *fmt_host(uint32_t host, char buf[16])
{
	snprintf(buf, 16, "%04x:%04x", host >> 16, host & 0xffff);
	return buf;
}

const char *fmt_addr(const uint8_t a[16], char buf[46])
{
	inet_ntop(AF_INET6, a, buf, 46);
	return buf;
}

const char *pfx_str(const uint8_t prefix[16], uint8_t plen)
{
	static char ring[8][INET6_ADDRSTRLEN + 4];
	static unsigned int i;
	char *b = ring[i++ % 8];

	ibgp_fmt_prefix(prefix, plen, b, sizeof(ring[0]));
	return b;
}

pid_t ipmemd_spawn(char *const argv[], const char *log)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int ret;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (log && *log) {
		posix_spawn_file_actions_addopen(&fa, 1, log,
						 O_WRONLY | O_CREAT | O_APPEND,
						 0644);
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	}
	ret = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret) {
		log_err("cannot run %s: %s", argv[0], strerror(ret));
		return -1;
	}
	return pid;
}
