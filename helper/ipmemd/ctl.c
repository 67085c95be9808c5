// SPDX-License-Identifier: GPL-2.0
/*
 * ctl.c - the control socket (default /run/ipmemd.sock) that ipmemctl
 * talks to.  A line protocol: the client sends one command line
 *
 *   status [json]
 *   borrow SIZE [rights ro|rw] [replicas N]
 *   release all|ipmemN|PREFIX
 *   lend drain|resume
 *
 * and gets lines back, each tagged by its first two characters:
 *
 *   "- text"   a line of output
 *   "+ text"   the end: success
 *   "! text"   the end: failure, text says why
 *
 * Commands that wait for BGP (borrow, release) answer when done; the
 * daemon goes on meanwhile.  The socket is root's only (mode 0600).  An
 * optional second socket (status-socket, mode 0660, group status-group)
 * answers "status" and "ping" only, for monitoring without root.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "parse.h"
#include "ipmemd.h"
#include "out.h"

/*
 * A listening socket at @path with @mode; @gid its group (-1: root's).
 * Another ipmemd answering there is an error.
 */
static int ctl_listen(const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* another ipmemd answering there? */
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		log_err("another ipmemd is running (it answers on %s)", path);
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* never reachable by others, not even between bind and chmod */
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (gid != (gid_t)-1 && chown(path, -1, gid)) || chmod(path, mode) ||
	    listen(fd, 16)) {
		err = -errno;
		umask(old);
		log_err("control socket %s: %m", path);
		close(fd);
		unlink(path);
		return err;
	}
	umask(old);
	return fd;
}

int ctl_init(struct ipmemd *d)
{
	struct group *g;
	gid_t gid = -1;
	int fd;

	d->ctl_fd = d->status_fd = -1;
	fd = ctl_listen(d->conf.socket, 0600, -1);
	if (fd < 0)
		return fd;
	d->ctl_fd = fd;
	if (!d->conf.status_socket[0])
		return 0;
	/* the read-only one: status for a group, nothing else */
	if (d->conf.status_group[0]) {
		g = getgrnam(d->conf.status_group);
		if (!g) {
			log_err("status-group %s: no such group",
				d->conf.status_group);
			return -ENOENT;
		}
		gid = g->gr_gid;
	}
	fd = ctl_listen(d->conf.status_socket, 0660, gid);
	if (fd < 0)
		return fd;
	d->status_fd = fd;
	return 0;
}

static void client_free(struct ipmemd *d, struct ctl_client *c)
{
	struct ctl_client **pp;

	borrower_client_gone(d, c);
	for (pp = &d->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	close(c->fd);
	free(c->out);
	free(c);
}

void ctl_close(struct ipmemd *d)
{
	while (d->clients)
		client_free(d, d->clients);
	if (d->ctl_fd >= 0) {
		close(d->ctl_fd);
		unlink(d->conf.socket);
		d->ctl_fd = -1;
	}
	if (d->status_fd >= 0) {
		close(d->status_fd);
		unlink(d->conf.status_socket);
		d->status_fd = -1;
	}
}

static void put_line(struct ctl_client *c, char tag, const char *text)
{
	size_t n = strlen(text) + 3;
	char *nb;

	if (c->dead)
		return;
	if (c->outlen + n > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;

		while (cap < c->outlen + n)
			cap *= 2;
		nb = realloc(c->out, cap);
		if (!nb) {
			c->dead = true;
			return;
		}
		c->out = nb;
		c->outcap = cap;
	}
	c->out[c->outlen++] = tag;
	c->out[c->outlen++] = ' ';
	memcpy(c->out + c->outlen, text, n - 3);
	c->outlen += n - 3;
	c->out[c->outlen++] = '\n';
}

void ctl_printf(struct ctl_client *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!c) {
		log_info("%s", buf);
		return;
	}
	put_line(c, '-', buf);
}

/*
 * "status" (text) or "status json" (one JSON object, over as many lines
 * as it takes): what borrower_status() and lender_status() print.
 */
static void ctl_status(struct ipmemd *d, struct ctl_client *c, bool json)
{
	char *buf = NULL, *line, *save;
	size_t len = 0, k;
	FILE *f = open_memstream(&buf, &len);

	if (!f) {
		ctl_end(c, -ENOMEM, "status: out of memory");
		return;
	}
	/* pretty: the lines stay short; ipmemctl joins them */
	out_init_file(f, json, true);
	out_obj_open(NULL);
	borrower_status(d);
	out_arr_open("pools");
	for (k = 0; k < d->nlenders && k < 4; k++)
		lender_status(&d->lenders[k]);
	out_arr_close();
	if (d->nlenders > 4)
		out_text("(and %zu more simulated lenders)\n",
			 d->nlenders - 4);
	out_u64(OUT_JSON, "pools_not_shown",  NULL,
		d->nlenders > 4 ? d->nlenders - 4 : 0);
	out_obj_close();
	out_finish();
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		ctl_printf(c, "%s", line);
	free(buf);
	ctl_end(c, 0, "ok");
}

void ctl_end(struct ctl_client *c, int err, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!c) {
		logm(err ? LOG_WARNING : LOG_INFO, "%s", buf);
		return;
	}
	put_line(c, err ? '!' : '+', buf);
	c->busy = false;
}

static void command(struct ipmemd *d, struct ctl_client *c, char *line)
{
	char *w[8], *p;
	int n = 0, i;
	uint64_t size;
	uint32_t rep;
	uint8_t rights = d->conf.rights, replicas = d->conf.replicas;

	for (p = strtok(line, " \t\r"); p && n < 8; p = strtok(NULL, " \t\r"))
		w[n++] = p;
	if (!n)
		return;
	c->busy = true;
	if (c->status_only && strcmp(w[0], "status") && strcmp(w[0], "ping")) {
		ctl_end(c, -EPERM, "%s: this socket answers status only; ask root (%s)",
			w[0], d->conf.socket);
		return;
	}
	if (!strcmp(w[0], "status") &&
	    (n == 1 || (n == 2 && !strcmp(w[1], "json")))) {
		ctl_status(d, c, n == 2);
	} else if (!strcmp(w[0], "borrow") && n >= 2) {
		if (ipmem_parse_size(w[1], &size) || !size) {
			ctl_end(c, -EINVAL, "borrow: '%s' is not a size", w[1]);
			return;
		}
		for (i = 2; i + 1 < n; i += 2) {
			if (!strcmp(w[i], "rights") && !strcmp(w[i + 1], "ro")) {
				rights = IPMEM_RIGHTS_RO;
			} else if (!strcmp(w[i], "rights") &&
				   !strcmp(w[i + 1], "rw")) {
				rights = IPMEM_RIGHTS_RW;
			} else if (!strcmp(w[i], "replicas") &&
				   !ipmem_parse_u32(w[i + 1], &rep) && rep &&
				   rep <= IPMEM_MAX_REPLICAS) {
				replicas = rep;
			} else {
				ctl_end(c, -EINVAL, "borrow: bad argument '%s %s'",
					w[i], w[i + 1]);
				return;
			}
		}
		if (i != n) {
			ctl_end(c, -EINVAL, "borrow: '%s' needs a value", w[i]);
			return;
		}
		borrower_borrow(d, c, size, rights, replicas);
	} else if (!strcmp(w[0], "lend") && n == 2 &&
		   (!strcmp(w[1], "drain") || !strcmp(w[1], "resume"))) {
		char msg[200];
		int ret = lender_drain(d, !strcmp(w[1], "drain"), msg,
				       sizeof(msg));

		ctl_end(c, ret, "%s", msg);
	} else if (!strcmp(w[0], "release") && n == 2) {
		borrower_release(d, c, w[1]);
	} else if (!strcmp(w[0], "ping") && n == 1) {
		ctl_end(c, 0, "pong");
	} else {
		ctl_end(c, -EINVAL, "unknown command '%s'", w[0]);
	}
}

size_t ctl_pollfds(struct ipmemd *d, struct pollfd *pfd, size_t n,
		   size_t max)
{
	struct ctl_client *c;

	if (d->ctl_fd >= 0 && n < max) {
		pfd[n].fd = d->ctl_fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	if (d->status_fd >= 0 && n < max) {
		pfd[n].fd = d->status_fd;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	for (c = d->clients; c && n < max; c = c->next) {
		pfd[n].fd = c->fd;
		pfd[n].events = (c->busy ? 0 : POLLIN) |
				(c->outlen ? POLLOUT : 0);
		pfd[n++].revents = 0;
	}
	return n;
}

static void client_read(struct ipmemd *d, struct ctl_client *c)
{
	char *nl;
	ssize_t r;

	r = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		c->dead = true;
		return;
	}
	if (r < 0)
		return;
	c->inlen += r;
	c->in[c->inlen] = 0;
	while (!c->busy && (nl = strchr(c->in, '\n'))) {
		*nl = 0;
		command(d, c, c->in);
		memmove(c->in, nl + 1, c->inlen - (nl + 1 - c->in) + 1);
		c->inlen -= nl + 1 - c->in;
	}
	if (c->inlen == sizeof(c->in) - 1) {
		ctl_end(c, -EINVAL, "line too long");
		c->inlen = 0;
	}
}

static void client_write(struct ctl_client *c)
{
	ssize_t w = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			c->dead = true;
		return;
	}
	memmove(c->out, c->out + w, c->outlen - w);
	c->outlen -= w;
}

void ctl_handle(struct ipmemd *d, struct pollfd *pfd, size_t n)
{
	struct ctl_client *c, *next;
	size_t i;
	int fd;

	for (i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == d->ctl_fd || pfd[i].fd == d->status_fd) {
			fd = accept4(pfd[i].fd, NULL, NULL,
				     SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				continue;
			c = calloc(1, sizeof(*c));
			if (!c) {
				close(fd);
				continue;
			}
			c->fd = fd;
			c->status_only = pfd[i].fd == d->status_fd;
			c->next = d->clients;
			d->clients = c;
			continue;
		}
		for (c = d->clients; c; c = c->next) {
			if (c->fd != pfd[i].fd)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				if (c->busy && (pfd[i].revents & (POLLHUP | POLLERR)))
					c->dead = true;
				else if (!c->busy)
					client_read(d, c);
			}
			if (pfd[i].revents & POLLOUT)
				client_write(c);
			break;
		}
	}
	/* answers made while handling other fds go out now */
	for (c = d->clients; c; c = next) {
		next = c->next;
		if (c->outlen && !c->dead)
			client_write(c);
		if (c->dead)
			client_free(d, c);
	}
}
