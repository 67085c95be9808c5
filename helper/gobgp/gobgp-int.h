/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gobgp-int.h - what transport.c (gRPC core) and gobgp.c (protobuf
 * mapping) share.  Not part of the API.
 *
 * The transport moves opaque serialized messages; only gobgp.c knows
 * protobuf.  Calls are either synchronous (gbgp_call(): unary or server
 * streaming, under a deadline) or the single background stream used by the
 * watch (gbgp_stream_*()), whose messages are queued by a thread and
 * signalled on an eventfd.
 */
#ifndef IPMEM_GOBGP_INT_H
#define IPMEM_GOBGP_INT_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "gobgp.h"

struct gbgp_stream;
struct ProtobufCMessage;

struct gbgp {
	/* transport */
	struct grpc_channel *chan;
	struct grpc_completion_queue *cq; /* pluck queue, synchronous calls */
	unsigned int timeout_ms;
	int efd;			/* eventfd of the watch, or -1 */
	struct gbgp_stream *watch;

	/* mapping: the watch message being delivered */
	struct ProtobufCMessage *cur;
	size_t cur_idx;

	char err[512];			/* gbgp_strerror() */
	char path_err[256];		/* gbgp_route.error */
};

/* "AddPath" for "/apipb.GobgpApi/AddPath", for messages. */
static inline const char *gbgp_method_name(const char *method)
{
	const char *s = strrchr(method, '/');

	return s ? s + 1 : method;
}

/* Record a failure for gbgp_strerror(); returns @err (negative errno). */
int gbgp_seterr(struct gbgp *g, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Called for each received message; nonzero aborts the call. */
typedef int (*gbgp_msg_fn)(const uint8_t *buf, size_t len, void *arg);

int gbgp_transport_open(struct gbgp *g, const char *target);
void gbgp_transport_close(struct gbgp *g);

/*
 * Call @method ("/apipb.GobgpApi/AddPath") with the serialized request
 * @req, passing every response message to @fn, all within the deadline.
 * Returns 0, @fn's nonzero return, or a negative errno from the status.
 */
int gbgp_call(struct gbgp *g, const char *method, const void *req,
	      size_t len, gbgp_msg_fn fn, void *arg);

/* A message queued by the watch stream; the last one has end set. */
struct gbgp_msg {
	struct gbgp_msg *next;
	int end;		/* 1: stream over, err/data describe why */
	int err;		/* end only: 0 or negative errno */
	size_t len;
	uint8_t data[];		/* message or status text, NUL-terminated */
};

/* Start the server stream @method in the background (-EBUSY if one is). */
int gbgp_stream_start(struct gbgp *g, const char *method, const void *req,
		      size_t len);
/* Next queued message (free() it), or NULL; never blocks. */
struct gbgp_msg *gbgp_stream_pop(struct gbgp *g);
/* Cancel the stream (if any), wait for its thread, drop its queue. */
void gbgp_stream_stop(struct gbgp *g);

/*
 * For the self test: decode one serialized apipb.Path as the watch would.
 * 1: decoded (r->error may be set), 0: not IPv6 unicast, -EBADMSG: not a
 * Path at all.
 */
int gbgp_decode_path(struct gbgp *g, const void *buf, size_t len,
		     struct gbgp_route *r);

#endif /* IPMEM_GOBGP_INT_H */
