// SPDX-License-Identifier: GPL-2.0
/*
 * transport.c - gRPC core plumbing for the GoBGP client.
 *
 * Every call runs three kinds of batch: the send half (initial metadata,
 * the request, half-close), the status, both started at once, and one
 * receive at a time.  Initial metadata is received with the first message:
 * a streaming gobgpd sends none before it.
 *
 * Synchronous calls use one pluck completion queue per handle and pluck
 * each batch by tag; the call deadline guarantees every pluck returns.
 *
 * The watch stream has its own "next" queue drained by a thread: gRPC
 * core has no fd to poll, so the thread copies each message into a
 * mutex-protected list and bumps an eventfd that the caller polls.  Once
 * no batch is outstanding the thread queues a last message with the
 * status and exits, so cancelling the call is enough to stop it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "gobgp-int.h"

enum { TAG_SEND = 1, TAG_RECV, TAG_STATUS };

#define TAG(t)		((void *)(uintptr_t)(t))
#define FOREVER		gpr_inf_future(GPR_CLOCK_REALTIME)

/* One call and what its batches write into. */
struct rpc {
	grpc_call *call;
	grpc_byte_buffer *sbuf, *rbuf;
	grpc_metadata_array imd, tmd;
	grpc_status_code status;
	grpc_slice details;
	bool recv_started;
};

struct gbgp_stream {
	struct rpc rpc;
	grpc_completion_queue *cq;
	pthread_t thread;
	int pending;			/* batches not completed yet */
	int efd;
	char method[64];

	pthread_mutex_t lock;		/* protects the queue */
	struct gbgp_msg *head, **tail;
};

static const char *const status_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
	"DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
	"PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
	"UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

/* gobgpd reports its own errors as UNKNOWN, hence -EIO for those. */
static int status_errno(grpc_status_code st)
{
	switch (st) {
	case GRPC_STATUS_OK:			return 0;
	case GRPC_STATUS_CANCELLED:		return -ECANCELED;
	case GRPC_STATUS_INVALID_ARGUMENT:	return -EINVAL;
	case GRPC_STATUS_DEADLINE_EXCEEDED:	return -ETIMEDOUT;
	case GRPC_STATUS_NOT_FOUND:		return -ENOENT;
	case GRPC_STATUS_ALREADY_EXISTS:	return -EEXIST;
	case GRPC_STATUS_PERMISSION_DENIED:
	case GRPC_STATUS_UNAUTHENTICATED:	return -EACCES;
	case GRPC_STATUS_RESOURCE_EXHAUSTED:	return -ENOBUFS;
	case GRPC_STATUS_OUT_OF_RANGE:		return -ERANGE;
	case GRPC_STATUS_UNIMPLEMENTED:		return -EOPNOTSUPP;
	case GRPC_STATUS_INTERNAL:		return -EPROTO;
	case GRPC_STATUS_UNAVAILABLE:		return -ECONNREFUSED;
	default:				return -EIO;
	}
}

/* "AddPath: UNKNOWN (2): can't find ..." into @buf; returns the errno. */
static int status_text(char *buf, size_t size, const char *name,
		       const struct rpc *c)
{
	unsigned int st = c->status;

	snprintf(buf, size, "%s: %s (%u): %.*s", name,
		 st < sizeof(status_names) / sizeof(*status_names) ?
		 status_names[st] : "?", st,
		 (int)GRPC_SLICE_LENGTH(c->details),
		 (const char *)GRPC_SLICE_START_PTR(c->details));
	return status_errno(c->status);
}

int gbgp_seterr(struct gbgp *g, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	va_end(ap);
	return err;
}

/*
 * Create the call and start its send and status batches.  Returns how
 * many batches were started: 2 unless something is badly wrong (then
 * cancel the call, and still collect those started), or -1 without call.
 */
static int rpc_start(struct rpc *c, grpc_channel *chan,
		     grpc_completion_queue *cq, const char *method,
		     gpr_timespec deadline, const void *req, size_t len)
{
	grpc_slice s = grpc_slice_from_copied_buffer(req, len);
	grpc_op ops[3] = { 0 };

	memset(c, 0, sizeof(*c));
	c->status = GRPC_STATUS_UNKNOWN;
	c->details = grpc_empty_slice();
	grpc_metadata_array_init(&c->imd);
	grpc_metadata_array_init(&c->tmd);
	c->sbuf = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	c->call = grpc_channel_create_call(chan, NULL, GRPC_PROPAGATE_DEFAULTS,
			cq, grpc_slice_from_static_string(method), NULL,
			deadline, NULL);
	if (!c->call)
		return -1;

	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = c->sbuf;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	if (grpc_call_start_batch(c->call, ops, 3, TAG(TAG_SEND), NULL) !=
	    GRPC_CALL_OK)
		return 0;

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata = &c->tmd;
	ops[0].data.recv_status_on_client.status = &c->status;
	ops[0].data.recv_status_on_client.status_details = &c->details;
	if (grpc_call_start_batch(c->call, ops, 1, TAG(TAG_STATUS), NULL) !=
	    GRPC_CALL_OK)
		return 1;
	return 2;
}

/* Start receiving the next message into c->rbuf. */
static bool rpc_recv(struct rpc *c)
{
	grpc_op ops[2] = { 0 }, *op = ops;

	if (!c->recv_started) {
		op->op = GRPC_OP_RECV_INITIAL_METADATA;
		op->data.recv_initial_metadata.recv_initial_metadata = &c->imd;
		op++;
	}
	c->rbuf = NULL;
	op->op = GRPC_OP_RECV_MESSAGE;
	op->data.recv_message.recv_message = &c->rbuf;
	op++;
	c->recv_started = true;
	return grpc_call_start_batch(c->call, ops, op - ops, TAG(TAG_RECV),
				     NULL) == GRPC_CALL_OK;
}

/*
 * Flatten the received message (decompressing it) and hand it to @fn.
 * -EILSEQ if it cannot be read, else what @fn returns.
 */
static int rpc_deliver(struct rpc *c, gbgp_msg_fn fn, void *arg)
{
	grpc_byte_buffer_reader r;
	grpc_slice s;
	int ret = -EILSEQ;

	if (grpc_byte_buffer_reader_init(&r, c->rbuf)) {
		s = grpc_byte_buffer_reader_readall(&r);
		grpc_byte_buffer_reader_destroy(&r);
		ret = fn(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), arg);
		grpc_slice_unref(s);
	}
	grpc_byte_buffer_destroy(c->rbuf);
	c->rbuf = NULL;
	return ret;
}

/* Once no batch is outstanding. */
static void rpc_free(struct rpc *c)
{
	if (c->call)
		grpc_call_unref(c->call);
	grpc_byte_buffer_destroy(c->sbuf);
	grpc_byte_buffer_destroy(c->rbuf);
	grpc_metadata_array_destroy(&c->imd);
	grpc_metadata_array_destroy(&c->tmd);
	grpc_slice_unref(c->details);
}

int gbgp_transport_open(struct gbgp *g, const char *target)
{
	/*
	 * gobgpd is local: never go through an http_proxy from the
	 * environment, and retry a restarted gobgpd quickly instead of
	 * backing off for up to two minutes.
	 */
	grpc_arg args[] = {
		{ GRPC_ARG_INTEGER, GRPC_ARG_ENABLE_HTTP_PROXY,
		  { .integer = 0 } },
		{ GRPC_ARG_INTEGER, GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
		  { .integer = 100 } },
		{ GRPC_ARG_INTEGER, GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
		  { .integer = 100 } },
		{ GRPC_ARG_INTEGER, GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
		  { .integer = 2000 } },
	};
	grpc_channel_args ca = { sizeof(args) / sizeof(*args), args };
	grpc_channel_credentials *creds;

	grpc_init();
	creds = grpc_insecure_credentials_create();
	g->chan = grpc_channel_create(target, creds, &ca);
	grpc_channel_credentials_release(creds);
	g->cq = grpc_completion_queue_create_for_pluck(NULL);
	if (!g->chan || !g->cq) {
		gbgp_transport_close(g);
		return -ENOMEM;
	}
	return 0;
}

void gbgp_transport_close(struct gbgp *g)
{
	gbgp_stream_stop(g);
	if (g->cq) {
		/* Synchronous calls are over: only the shutdown is left. */
		grpc_completion_queue_shutdown(g->cq);
		grpc_completion_queue_pluck(g->cq, NULL, FOREVER, NULL);
		grpc_completion_queue_destroy(g->cq);
	}
	if (g->chan)
		grpc_channel_destroy(g->chan);
	g->cq = NULL;
	g->chan = NULL;
	grpc_shutdown();
}

static bool pluck(struct gbgp *g, int tag)
{
	grpc_event ev = grpc_completion_queue_pluck(g->cq, TAG(tag), FOREVER,
						    NULL);

	return ev.type == GRPC_OP_COMPLETE && ev.success;
}

int gbgp_call(struct gbgp *g, const char *method, const void *req,
	      size_t len, gbgp_msg_fn fn, void *arg)
{
	const char *name = gbgp_method_name(method);
	gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			gpr_time_from_millis(g->timeout_ms, GPR_TIMESPAN));
	struct rpc c;
	int started, ret = 0;

	started = rpc_start(&c, g->chan, g->cq, method, deadline, req, len);
	if (started < 2) {
		ret = gbgp_seterr(g, -EIO, "%s: cannot start call", name);
		if (c.call)
			grpc_call_cancel(c.call, NULL);
	}
	/* Receive until the server closes (or @fn objects). */
	while (!ret) {
		if (!rpc_recv(&c)) {
			grpc_call_cancel(c.call, NULL);
			break;
		}
		if (!pluck(g, TAG_RECV) || !c.rbuf)
			break;
		ret = rpc_deliver(&c, fn, arg);
		if (ret == -EILSEQ)
			gbgp_seterr(g, ret, "%s: unreadable message", name);
		if (ret)
			grpc_call_cancel(c.call, NULL);
	}
	if (started > 0)
		pluck(g, TAG_SEND);
	if (started > 1)
		pluck(g, TAG_STATUS);
	if (!ret && c.status != GRPC_STATUS_OK)
		ret = status_text(g->err, sizeof(g->err), name, &c);
	rpc_free(&c);
	return ret;
}

/* ------------------------------------------------------------ watch */

static void stream_push(struct gbgp_stream *s, struct gbgp_msg *m)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->lock);
	*s->tail = m;
	s->tail = &m->next;
	pthread_mutex_unlock(&s->lock);
	/* Only fails if the counter would overflow: it is readable then. */
	if (write(s->efd, &one, sizeof(one)) < 0)
		return;
}

static struct gbgp_msg *msg_new(const void *data, size_t len)
{
	struct gbgp_msg *m = malloc(sizeof(*m) + len + 1);

	if (m) {
		memset(m, 0, sizeof(*m));
		m->len = len;
		memcpy(m->data, data, len);
		m->data[len] = '\0';
	}
	return m;
}

static int stream_copy(const uint8_t *buf, size_t len, void *arg)
{
	struct gbgp_msg *m = msg_new(buf, len);

	if (!m)
		return -ENOMEM;
	stream_push(arg, m);
	return 0;
}

static void *stream_thread(void *arg)
{
	struct gbgp_stream *s = arg;
	struct gbgp_msg *end;
	char text[512];
	grpc_event ev;
	int err = 0;

	for (;;) {
		ev = grpc_completion_queue_next(s->cq, FOREVER, NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		if (ev.tag == TAG(TAG_RECV) && ev.success && s->rpc.rbuf) {
			err = rpc_deliver(&s->rpc, stream_copy, s);
			if (!err && rpc_recv(&s->rpc))
				continue;	/* still pending */
			/* Without a receive the call would never end. */
			grpc_call_cancel(s->rpc.call, NULL);
		}
		if (--s->pending == 0)
			grpc_completion_queue_shutdown(s->cq);
	}

	/* Every batch is done: the status is final, queue it last. */
	if (err)
		snprintf(text, sizeof(text), "%s: %s", s->method,
			 strerror(-err));
	else
		err = status_text(text, sizeof(text), s->method, &s->rpc);
	end = msg_new(text, strlen(text));
	if (end) {
		end->end = 1;
		end->err = err;
		stream_push(s, end);
	}
	return NULL;
}

static void stream_free(struct gbgp_stream *s)
{
	struct gbgp_msg *m;

	while ((m = s->head)) {
		s->head = m->next;
		free(m);
	}
	rpc_free(&s->rpc);
	grpc_completion_queue_destroy(s->cq);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int gbgp_stream_start(struct gbgp *g, const char *method, const void *req,
		      size_t len)
{
	const char *name = gbgp_method_name(method);
	struct gbgp_stream *s;
	int err;

	if (g->watch)
		return gbgp_seterr(g, -EBUSY, "%s: already running", name);
	if (g->efd < 0) {
		g->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (g->efd < 0)
			return gbgp_seterr(g, -errno, "eventfd: %s",
					   strerror(errno));
	}
	s = calloc(1, sizeof(*s));
	if (s)
		s->cq = grpc_completion_queue_create_for_next(NULL);
	if (!s || !s->cq) {
		free(s);
		return gbgp_seterr(g, -ENOMEM, "%s: out of memory", name);
	}
	pthread_mutex_init(&s->lock, NULL);
	s->tail = &s->head;
	s->efd = g->efd;
	snprintf(s->method, sizeof(s->method), "%s", name);

	/*
	 * No deadline: the stream lasts until cancelled.  Whatever fails
	 * from here on is reported by the thread as the end of the stream.
	 */
	s->pending = rpc_start(&s->rpc, g->chan, s->cq, method, FOREVER,
			       req, len);
	if (s->pending == 2 && rpc_recv(&s->rpc))
		s->pending++;
	else if (s->rpc.call)
		grpc_call_cancel(s->rpc.call, NULL);
	if (s->pending <= 0) {
		s->pending = 0;
		grpc_completion_queue_shutdown(s->cq);
	}

	err = pthread_create(&s->thread, NULL, stream_thread, s);
	if (err) {
		/* Collect the batches here instead, then drop it all. */
		if (s->rpc.call)
			grpc_call_cancel(s->rpc.call, NULL);
		stream_thread(s);
		stream_free(s);
		return gbgp_seterr(g, -err, "%s: cannot start thread: %s",
				   name, strerror(err));
	}
	g->watch = s;
	return 0;
}

struct gbgp_msg *gbgp_stream_pop(struct gbgp *g)
{
	struct gbgp_stream *s = g->watch;
	struct gbgp_msg *m;

	if (!s)
		return NULL;
	pthread_mutex_lock(&s->lock);
	m = s->head;
	if (m) {
		s->head = m->next;
		if (!s->head)
			s->tail = &s->head;
		m->next = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	return m;
}

void gbgp_stream_stop(struct gbgp *g)
{
	struct gbgp_stream *s = g->watch;
	uint64_t n;

	if (!s)
		return;
	grpc_call_cancel(s->rpc.call, NULL);
	pthread_join(s->thread, NULL);
	g->watch = NULL;
	stream_free(s);
	/* Nothing is queued any more: do not leave the fd readable. */
	if (read(g->efd, &n, sizeof(n)) < 0)
		return;
}
