// SPDX-License-Identifier: GPL-2.0
/*
 * ipmemctl_daemon.c - ipmemctl's client of ipmemd's control socket (the
 * protocol is described in helper/ipmemd/ctl.c): one command line out,
 * tagged lines back until "+ ..." (done) or "! ..." (failed).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "out.h"
#include "parse.h"
#include "ipmemctl_daemon.h"

#define IPMEMD_SOCKET_DEFAULT "/run/ipmemd.sock"
#define IPMEMD_STATUS_SOCKET_DEFAULT "/run/ipmemd-status.sock"

static const char *sock_path;

void ipmemctl_daemon_socket(const char *path)
{
	sock_path = path;
}

static const char *socket_path(void)
{
	const char *env = getenv("IPMEMD_SOCKET");

	if (sock_path)
		return sock_path;
	return env && *env ? env : IPMEMD_SOCKET_DEFAULT;
}

/* the read-only status socket (status-socket in ipmemd.conf), if any */
static const char *status_socket_path(void)
{
	const char *env = getenv("IPMEMD_STATUS_SOCKET");

	return env && *env ? env : IPMEMD_STATUS_SOCKET_DEFAULT;
}

static int connect_path(const char *path, bool quiet);

static int connect_daemon(bool quiet)
{
	return connect_path(socket_path(), quiet);
}

static int connect_path(const char *path, bool quiet)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ipmemctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno == EPERM ? EACCES : errno;

		if (!quiet && err == EACCES)
			fprintf(stderr,
				"ipmemctl: only root may talk to ipmemd (%s: %s)\n",
				path, strerror(err));
		else if (!quiet)
			fprintf(stderr,
				"ipmemctl: ipmemd is not running (cannot connect to %s: %s)\n",
				path, strerror(err));
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * Send @line, print the answer (output lines with @indent before them),
 * or append the output lines to @collect.  Returns 0 on "+", 1 on "!" or
 * a broken connection.
 */
static int call(int fd, const char *line, const char *indent, FILE *collect)
{
	char buf[4096], *nl, *p;
	size_t len = 0;
	ssize_t n;

	if (dprintf(fd, "%s\n", line) < 0) {
		fprintf(stderr, "ipmemctl: writing to ipmemd: %s\n",
			strerror(errno));
		return 1;
	}
	for (;;) {
		while ((nl = memchr(buf, '\n', len))) {
			*nl = 0;
			p = buf;
			if (p[0] && p[1] == ' ') {
				switch (p[0]) {
				case '-':
					if (collect)
						fputs(p + 2, collect);
					else
						printf("%s%s\n", indent, p + 2);
					break;
				case '+':
					if (strcmp(p + 2, "ok"))
						printf("%s%s\n", indent, p + 2);
					fflush(stdout);
					return 0;
				case '!':
					fflush(stdout);
					fprintf(stderr, "ipmemctl: %s\n", p + 2);
					return 1;
				}
			}
			len -= nl + 1 - buf;
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof(buf))
			len = 0;	/* an overlong line: drop it */
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fflush(stdout);
			fprintf(stderr, "ipmemctl: ipmemd closed the connection\n");
			return 1;
		}
		len += n;
	}
}

static int run(const char *line, const char *indent)
{
	int fd = connect_daemon(false), ret;

	if (fd < 0)
		return 1;
	ret = call(fd, line, indent, NULL);
	close(fd);
	return ret;
}

/* "--rights ro", "--rights=ro" and "rights ro" are all fine */
static const char *opt_name(const char *a)
{
	while (*a == '-')
		a++;
	return a;
}

int ipmemctl_borrow(int argc, char **argv)
{
	const char *rights = NULL, *replicas = NULL, *name, *eq;
	char line[256];
	uint64_t size;
	uint32_t n;
	int i;

	if (argc < 1 || ipmem_parse_size(argv[0], &size) || !size) {
		fprintf(stderr, "ipmemctl: borrow: give a SIZE (e.g. 256M)\n");
		return 1;
	}
	for (i = 1; i < argc; i++) {
		const char *v;

		name = opt_name(argv[i]);
		eq = strchr(name, '=');
		if (eq) {
			v = eq + 1;
		} else {
			if (i + 1 >= argc) {
				fprintf(stderr, "ipmemctl: borrow: '%s' needs a value\n",
					argv[i]);
				return 1;
			}
			v = argv[++i];
		}
		if (!strncmp(name, "rights", eq ? (size_t)(eq - name) : 7)) {
			if (strcmp(v, "ro") && strcmp(v, "rw")) {
				fprintf(stderr, "ipmemctl: borrow: rights must be ro or rw, not '%s'\n",
					v);
				return 1;
			}
			rights = v;
		} else if (!strncmp(name, "replicas", eq ? (size_t)(eq - name) : 9)) {
			if (ipmem_parse_u32(v, &n) || !n || n > 3) {
				fprintf(stderr, "ipmemctl: borrow: replicas must be 1 to 3, not '%s'\n",
					v);
				return 1;
			}
			replicas = v;
		} else {
			fprintf(stderr, "ipmemctl: borrow: unknown argument '%s'\n",
				argv[i]);
			return 1;
		}
	}
	snprintf(line, sizeof(line), "borrow %s%s%s%s%s", argv[0],
		 rights ? " rights " : "", rights ? rights : "",
		 replicas ? " replicas " : "", replicas ? replicas : "");
	return run(line, "");
}

int ipmemctl_release(int argc, char **argv)
{
	char line[256];

	/* releasing everything is asked for by name, never by default */
	if (argc != 1) {
		fprintf(stderr, "ipmemctl: release: give one of all, ipmemN or PREFIX\n");
		return 1;
	}
	snprintf(line, sizeof(line), "release %s", argv[0]);
	return run(line, "");
}

int ipmemctl_lend_drain(bool drain)
{
	return run(drain ? "lend drain" : "lend resume", "");
}

int ipmemctl_bgp_status(void)
{
	int fd = connect_daemon(true), ret;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	/* not root: the status socket, if ipmemd has one we may use */
	if (fd < 0 && errno == EACCES) {
		fd = connect_path(status_socket_path(), true);
		if (fd < 0)
			errno = EACCES;
	}
	if (fd < 0) {
		const char *why = errno == EACCES ?
			"only root may talk to ipmemd" : "ipmemd is not running";

		out_null("ipmemd");
		out_str(OUT_ANY, "ipmemd_error", "bgp: %s\n", why);
		return 0;
	}
	if (!out_is_json()) {
		ret = call(fd, "status", "", NULL);
		close(fd);
		return ret;
	}
	/* ipmemd's answer is one JSON object over several lines */
	f = open_memstream(&buf, &len);
	if (!f) {
		close(fd);
		return 1;
	}
	ret = call(fd, "status json", "", f);
	close(fd);
	fclose(f);
	if (!ret)
		out_raw("ipmemd", buf);
	free(buf);
	return ret;
}
