// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem-probe: a userspace borrower that speaks ipmem's wire protocol
 * (<ipmem/wire.h>) with a host id of its choosing, to test what a lender
 * lets a borrower do.  librdmacm + libibverbs; one RC connection per
 * invocation (a QP that saw a remote access error is dead).
 *
 * usage: ipmem-probe [-t SECONDS] [-q QUEUE] [-o FILE] [-v] [-a AUTH]
 *                    [-k KEYFILE -l LENDERID:PUBKEY] ADDR HOSTID COMMAND [ARGS]
 *
 *   ADDR     the lender: IPv4 "10.77.0.1[:PORT]", IPv6 "fd00:77::1" or
 *            "[fd00:77::1]:PORT"; port IPMEM_PORT (7471) by default
 *   HOSTID   the host id to claim in CONNECT: "a4d:1" (hi:lo, hex),
 *            "0x0a4d0001", decimal, or an IPv4 address
 *
 * Commands:
 *   key BLOCK                  KEY_REQ for BLOCK (index in the lender's
 *                              pool); prints
 *                              "status N first F count C rkey 0xR iova 0xI
 *                               rights R gen 0xG NAME"
 *   read RKEY IOVA LEN         one RDMA READ of LEN bytes at IOVA under RKEY
 *   write RKEY IOVA LEN BYTE   one RDMA WRITE of LEN bytes, each BYTE
 *   read-block BLOCK LEN       KEY_REQ for BLOCK, then one RDMA READ of LEN
 *                              bytes at BLOCK's address under the key (the
 *                              key dies with the connection, so a borrower
 *                              uses its own key in the same connection)
 *   write-block BLOCK LEN BYTE KEY_REQ for BLOCK, then one RDMA WRITE
 *   hold BLOCK SECONDS         KEY_REQ for BLOCK, print the key line, then
 *                              keep the connection (and so the lender's
 *                              registration) for SECONDS or until SIGTERM
 *                              or SIGINT
 *   stall SECONDS              a borrower that stops posting receives: for
 *                              SECONDS (or until SIGTERM/SIGINT), connect
 *                              with no receive posted, send KEY_REQs, wait
 *                              for the lender to give up on the queue, and
 *                              connect again; prints "stall connected N
 *                              cut C" (C: connections the lender cut)
 *   hellos N                   N HELLOs (queues QUEUE..QUEUE+N-1, one
 *                              connection each); prints "hellos N
 *                              challenges C refused R" and the reasons
 *
 * RKEY, IOVA and BYTE are hexadecimal, with or without 0x (as the lender's
 * debugfs prints them); BLOCK, LEN and SECONDS are decimal (or 0x hex).
 *
 * Output (stdout, one line per step):
 *   key:    the line above (read-block, write-block, hold print it too)
 *   read:   "ok first16 <hex> crc32 <hex> allbyte <XX|mixed>"
 *           or "error <ibv_wc_status_str> (wc N) buffer untouched|changed"
 *   write:  "ok wrote LEN bytes of 0xXX" or "error <ibv_wc_status_str> (wc N)"
 * The read buffer is filled with 0xee before the READ; "buffer untouched"
 * means no byte of it was overwritten.  -o FILE saves the read buffer to
 * FILE after the READ, failed or not, so a test can search it.
 *
 * Exit status: 0 success; 1 usage, connection or setup error (also a
 * rejected connection); 2 the lender refused the key (status != OK);
 * 3 the RDMA operation completed with an error; 4 no completion within the
 * time limit.
 *
 * Options: -t SECONDS bounds every wait (connection events, completions;
 * default 10); -q QUEUE the queue index claimed in CONNECT (default 0);
 * -v says what happens on stderr.  -a AUTH, as an attacker that has no
 * key of the host it claims would authenticate: "hello" sends a HELLO
 * (a lender with a host key answers with a CHALLENGE: printed as
 * "challenge"); "proof" sends a PROOF of random bytes that answers no
 * challenge; "forge" sends a HELLO, then answers the lender's challenge
 * with random bytes.  Without -a the CONNECT does not authenticate.
 *
 * "ipmem-probe -k KEYFILE public" prints the public key of KEYFILE (as
 * "ipmemctl key set" does, computed by OpenSSL instead of the module).
 *
 * -k KEYFILE -l LENDERID:PUBKEY authenticate as a host that holds a key
 * would: KEYFILE is the private key of HOSTID (as "ipmemctl key generate"
 * writes it), LENDERID and PUBKEY (64 hex digits, what "ipmemctl key set"
 * printed on the lender) the id and public key the lender must prove.
 * Every connection then sends a HELLO, checks the lender's proof (one that
 * does not check: "the lender did not prove ...", exit 1, nothing sent)
 * and connects again with this host's proof, as the module does
 * (kernel/ipmem_auth.c).
 *
 * Build: gcc -O2 -g -Wall -Wextra -Iinclude -o build/ipmem-probe \
 *            tests/tools/ipmem-probe.c -lrdmacm -libverbs -lcrypto
 * In a guest it needs the rdma_ucm and ib_uverbs modules loaded.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rdma/rdma_cma.h>

#include <ipmem/netlink.h>
#include <ipmem/wire.h>

#define EXIT_SETUP	1
#define EXIT_REFUSED	2
#define EXIT_RDMA	3
#define EXIT_TIMEOUT	4

#define NR_RX		4
#define SENTINEL	0xee
#define MAX_LEN		(64u << 20)

/* work request ids */
enum { WR_SEND = 1, WR_RECV = 2, WR_RDMA = 100 };

static const char *prog = "ipmem-probe";
static int timeout_ms = 10000;
static int verbose;
/* -a: the flags of the next CONNECT, and the challenge it answers */
static uint16_t auth_flags;
static int got_challenge;
static uint8_t challenge[IPMEM_NONCE_LEN];
static uint8_t lender_proof[IPMEM_AUTH_PROOFS][IPMEM_PROOF_LEN];
/* -k, -l: our private key, the lender's id and public key; a handshake's */
#define KEY_LEN		32
static int have_key;
static uint8_t my_priv[KEY_LEN], lender_pub[KEY_LEN];
static uint32_t lender_id;
static uint8_t nonce_b[IPMEM_NONCE_LEN], my_proof[IPMEM_PROOF_LEN];
/* the reason of the last ipmem REJECT, or 0 */
static unsigned int last_rej;
static volatile sig_atomic_t stop;

struct probe {
	struct rdma_event_channel *ch;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_comp_channel *cch;
	struct ibv_cq *cq;
	struct ibv_mr *msg_mr;
	struct ibv_mr *data_mr;
	struct ipmem_msg msgs[NR_RX + 1];	/* NR_RX receive, one send */
	uint8_t *data;
	size_t len;
	int connected;
	int no_recv;		/* stall: post no receive */
	struct ipmem_conn_rep rep;
	/* a completion polled while waiting for another one */
	struct ibv_wc pending[NR_RX + 2];
	int nr_pending;
};

/* a KEY_REP, host order */
struct key {
	uint16_t status;
	uint64_t first, count, iova, gen;
	uint32_t rkey;
	uint8_t rights;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static void usage(void)
{
	fprintf(stderr,
"usage: %s [-t SECONDS] [-q QUEUE] [-o FILE] [-v] [-a hello|proof|forge]\n"
"       [-k KEYFILE -l LENDERID:PUBKEY] ADDR[:PORT] HOSTID COMMAND\n"
"       -k KEYFILE public\n"
"  key BLOCK\n"
"  read RKEY IOVA LEN\n"
"  write RKEY IOVA LEN BYTE\n"
"  read-block BLOCK LEN\n"
"  write-block BLOCK LEN BYTE\n"
"  hold BLOCK SECONDS\n"
"  stall SECONDS\n"
"  hellos N\n"
"RKEY, IOVA, BYTE hexadecimal; BLOCK, LEN, SECONDS decimal.\n", prog);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- parsing */

static int parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno || *end ? -1 : 0;
}

/* hexadecimal, "0x" optional */
static int parse_hex(const char *s, uint64_t *out)
{
	return parse_u64(s, 16, out);
}

static int parse_dec(const char *s, uint64_t *out)
{
	return parse_u64(s, 0, out);
}

/* the formats ipmemctl takes: "a4d:1", an IPv4 address, or a number */
static int parse_host_id(const char *s, uint32_t *out)
{
	unsigned int hi, lo;
	struct in_addr a4;
	uint64_t v;
	int n = 0;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		*out = ntohl(a4.s_addr);
		return 0;
	}
	if (sscanf(s, "%4x:%4x%n", &hi, &lo, &n) == 2 && !s[n]) {
		*out = hi << 16 | lo;
		return 0;
	}
	if (parse_dec(s, &v) || v > UINT32_MAX)
		return -1;
	*out = v;
	return 0;
}

/* "v4[:port]", "v6" or "[v6][:port]" */
static int parse_addr(const char *arg, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *p;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	uint64_t portnum = IPMEM_PORT;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (arg[0] == '[') {
		p = strchr(arg, ']');
		if (!p)
			return -1;
		n = p - arg - 1;
		if (p[1] == ':')
			port = p + 2;
		else if (p[1])
			return -1;
		arg++;
	} else if ((p = strchr(arg, ':')) && !strchr(p + 1, ':')) {
		n = p - arg;		/* IPv4:port */
		port = p + 1;
	} else {
		n = strlen(arg);
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, arg, n);
	host[n] = 0;
	if (port && (parse_dec(port, &portnum) || !portnum || portnum > 65535))
		return -1;
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(portnum);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(portnum);
		return 0;
	}
	return -1;
}

/* ------------------------------------------------------------ rdma_cm */

static const char *rej_reason_str(unsigned int r)
{
	switch (r) {
	case IPMEM_REJ_BAD_REQUEST: return "BAD_REQUEST";
	case IPMEM_REJ_VERSION: return "VERSION";
	case IPMEM_REJ_NO_POOL: return "NO_POOL";
	case IPMEM_REJ_NO_RESOURCES: return "NO_RESOURCES";
	case IPMEM_REJ_CHALLENGE: return "CHALLENGE";
	case IPMEM_REJ_AUTH: return "AUTH";
	default: return "?";
	}
}

static const char *msg_status_str(unsigned int s)
{
	switch (s) {
	case IPMEM_MSG_OK: return "OK";
	case IPMEM_MSG_NOT_GRANTED: return "NOT_GRANTED";
	case IPMEM_MSG_NO_RESOURCES: return "NO_RESOURCES";
	case IPMEM_MSG_BAD_REQUEST: return "BAD_REQUEST";
	default: return "?";
	}
}

/*
 * Wait for the next event on the channel and check it is @want.  On
 * ESTABLISHED the ACCEPT private data is checked and kept.  Returns 0 or
 * an exit code (message printed).
 */
static int cm_wait(struct probe *p, enum rdma_cm_event_type want)
{
	struct pollfd pfd = { .fd = p->ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	const struct ipmem_conn_rej *rej;
	int ret, status;

	for (;;) {
		ret = poll(&pfd, 1, timeout_ms);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return fail(EXIT_SETUP, "poll: %s", strerror(errno));
		if (!ret)
			return fail(EXIT_SETUP, "no %s within %d s",
				    rdma_event_str(want), timeout_ms / 1000);
		if (rdma_get_cm_event(p->ch, &ev)) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return fail(EXIT_SETUP, "rdma_get_cm_event: %s",
				    strerror(errno));
		}
		break;
	}
	say("cm event %s status %d", rdma_event_str(ev->event), ev->status);
	status = ev->status;
	if (ev->event == want) {
		ret = 0;
		if (want == RDMA_CM_EVENT_ESTABLISHED) {
			if (ev->param.conn.private_data_len < sizeof(p->rep) ||
			    !ev->param.conn.private_data) {
				ret = fail(EXIT_SETUP, "ACCEPT without ipmem private data");
			} else {
				memcpy(&p->rep, ev->param.conn.private_data,
				       sizeof(p->rep));
				if (le32toh(p->rep.magic) != IPMEM_WIRE_MAGIC ||
				    le16toh(p->rep.version) != IPMEM_WIRE_VERSION)
					ret = fail(EXIT_SETUP,
						   "ACCEPT: magic %08x version %u, not ipmem's",
						   le32toh(p->rep.magic),
						   le16toh(p->rep.version));
			}
		}
		rdma_ack_cm_event(ev);
		return ret;
	}
	if (ev->event == RDMA_CM_EVENT_REJECTED) {
		rej = ev->param.conn.private_data;
		if (rej && ev->param.conn.private_data_len >= sizeof(*rej) &&
		    le32toh(rej->magic) == IPMEM_WIRE_MAGIC &&
		    le16toh(rej->reason) == IPMEM_REJ_CHALLENGE) {
			last_rej = IPMEM_REJ_CHALLENGE;
			memcpy(challenge, rej->nonce, sizeof(challenge));
			memcpy(lender_proof, rej->proof, sizeof(lender_proof));
			got_challenge = 1;
			printf("challenge\n");
			ret = EXIT_SETUP;
		} else if (rej && ev->param.conn.private_data_len >= 8 &&
		    le32toh(rej->magic) == IPMEM_WIRE_MAGIC) {
			last_rej = le16toh(rej->reason);
			ret = fail(EXIT_SETUP,
				   "the lender rejected the connection: %s (%u)",
				   rej_reason_str(le16toh(rej->reason)),
				   le16toh(rej->reason));
		} else
			ret = fail(EXIT_SETUP,
				   "connection rejected without an ipmem reason (cm status %d: %s)",
				   status, status == 8 ?
				   "nobody listens on that port" :
				   "no listener for this address or family?");
	} else {
		ret = fail(EXIT_SETUP, "waiting for %s: got %s (status %d%s%s)",
			   rdma_event_str(want), rdma_event_str(ev->event),
			   status, status < 0 ? ", " : "",
			   status < 0 ? strerror(-status) : "");
	}
	rdma_ack_cm_event(ev);
	return ret;
}

/* ----------------------------------------------------------- completions */

/*
 * Wait for a completion whose wr_id & @mask is @want; completions of
 * others that arrive first are kept for later.  Returns 0 with *wc
 * filled, or EXIT_TIMEOUT / EXIT_SETUP.
 */
static int cq_wait(struct probe *p, uint64_t mask, uint64_t want,
		   struct ibv_wc *wc)
{
	struct pollfd pfd = { .fd = p->cch->fd, .events = POLLIN };
	int64_t deadline = now_ms() + timeout_ms;
	struct ibv_cq *ev_cq;
	void *ev_ctx;
	int i, n, left;

	for (;;) {
		for (i = 0; i < p->nr_pending; i++) {
			if ((p->pending[i].wr_id & mask) != want)
				continue;
			*wc = p->pending[i];
			p->pending[i] = p->pending[--p->nr_pending];
			return 0;
		}
		n = ibv_poll_cq(p->cq, 1, wc);
		if (n < 0)
			return fail(EXIT_SETUP, "ibv_poll_cq failed");
		if (n) {
			say("completion wr %" PRIu64 " %s", wc->wr_id,
			    ibv_wc_status_str(wc->status));
			if ((wc->wr_id & mask) == want)
				return 0;
			if (p->nr_pending < (int)(sizeof(p->pending) /
						  sizeof(p->pending[0])))
				p->pending[p->nr_pending++] = *wc;
			continue;
		}
		/* empty: arm, re-check, then sleep on the channel */
		if (ibv_req_notify_cq(p->cq, 0))
			return fail(EXIT_SETUP, "ibv_req_notify_cq failed");
		n = ibv_poll_cq(p->cq, 1, wc);
		if (n < 0)
			return fail(EXIT_SETUP, "ibv_poll_cq failed");
		if (n) {
			say("completion wr %" PRIu64 " %s", wc->wr_id,
			    ibv_wc_status_str(wc->status));
			if ((wc->wr_id & mask) == want)
				return 0;
			if (p->nr_pending < (int)(sizeof(p->pending) /
						  sizeof(p->pending[0])))
				p->pending[p->nr_pending++] = *wc;
			continue;
		}
		left = deadline - now_ms();
		if (left <= 0)
			return EXIT_TIMEOUT;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno != EINTR)
			return fail(EXIT_SETUP, "poll: %s", strerror(errno));
		if (n > 0 && !ibv_get_cq_event(p->cch, &ev_cq, &ev_ctx))
			ibv_ack_cq_events(ev_cq, 1);
	}
}

/* ---------------------------------------------------------------- setup */

static int post_recv(struct probe *p, int i)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)&p->msgs[i],
		.length = sizeof(p->msgs[i]),
		.lkey = p->msg_mr->lkey,
	};
	struct ibv_recv_wr wr = {
		.wr_id = WR_RECV + ((uint64_t)i << 8),
		.sg_list = &sge,
		.num_sge = 1,
	}, *bad;

	return ibv_post_recv(p->id->qp, &wr, &bad);
}

static int probe_connect(struct probe *p, const struct sockaddr_storage *dst,
			 uint32_t host_id, uint16_t queue)
{
	struct ibv_qp_init_attr qpa = {};
	struct rdma_conn_param param = {};
	struct ipmem_conn_req req = {};
	struct ibv_device_attr da;
	char buf[INET6_ADDRSTRLEN];
	int flags, ret, i;

	p->ch = rdma_create_event_channel();
	if (!p->ch)
		return fail(EXIT_SETUP,
			    "rdma_create_event_channel: %s (are rdma_ucm and ib_uverbs loaded?)",
			    strerror(errno));
	flags = fcntl(p->ch->fd, F_GETFL);
	if (fcntl(p->ch->fd, F_SETFL, flags | O_NONBLOCK))
		return fail(EXIT_SETUP, "fcntl: %s", strerror(errno));
	if (rdma_create_id(p->ch, &p->id, p, RDMA_PS_TCP))
		return fail(EXIT_SETUP, "rdma_create_id: %s", strerror(errno));

	if (rdma_resolve_addr(p->id, NULL, (struct sockaddr *)dst, timeout_ms))
		return fail(EXIT_SETUP, "rdma_resolve_addr: %s", strerror(errno));
	ret = cm_wait(p, RDMA_CM_EVENT_ADDR_RESOLVED);
	if (ret)
		return ret;
	if (rdma_resolve_route(p->id, timeout_ms))
		return fail(EXIT_SETUP, "rdma_resolve_route: %s", strerror(errno));
	ret = cm_wait(p, RDMA_CM_EVENT_ROUTE_RESOLVED);
	if (ret)
		return ret;
	if (verbose) {
		const struct sockaddr *src = rdma_get_local_addr(p->id);
		const void *a = src->sa_family == AF_INET6 ?
			(const void *)&((const struct sockaddr_in6 *)src)->sin6_addr :
			(const void *)&((const struct sockaddr_in *)src)->sin_addr;

		say("route resolved: device %s port %u, from %s",
		    ibv_get_device_name(p->id->verbs->device), p->id->port_num,
		    inet_ntop(src->sa_family, a, buf, sizeof(buf)) ?: "?");
	}

	p->pd = ibv_alloc_pd(p->id->verbs);
	if (!p->pd)
		return fail(EXIT_SETUP, "ibv_alloc_pd: %s", strerror(errno));
	p->cch = ibv_create_comp_channel(p->id->verbs);
	if (!p->cch)
		return fail(EXIT_SETUP, "ibv_create_comp_channel: %s",
			    strerror(errno));
	flags = fcntl(p->cch->fd, F_GETFL);
	if (fcntl(p->cch->fd, F_SETFL, flags | O_NONBLOCK))
		return fail(EXIT_SETUP, "fcntl: %s", strerror(errno));
	p->cq = ibv_create_cq(p->id->verbs, 2 * NR_RX + 8, NULL, p->cch, 0);
	if (!p->cq)
		return fail(EXIT_SETUP, "ibv_create_cq: %s", strerror(errno));

	qpa.send_cq = p->cq;
	qpa.recv_cq = p->cq;
	qpa.qp_type = IBV_QPT_RC;
	qpa.cap.max_send_wr = 4;
	qpa.cap.max_recv_wr = NR_RX;
	qpa.cap.max_send_sge = 1;
	qpa.cap.max_recv_sge = 1;
	if (rdma_create_qp(p->id, p->pd, &qpa))
		return fail(EXIT_SETUP, "rdma_create_qp: %s", strerror(errno));

	p->msg_mr = ibv_reg_mr(p->pd, p->msgs, sizeof(p->msgs),
			       IBV_ACCESS_LOCAL_WRITE);
	if (!p->msg_mr)
		return fail(EXIT_SETUP, "ibv_reg_mr: %s", strerror(errno));
	if (p->len) {
		p->data = aligned_alloc(4096, (p->len + 4095) & ~(size_t)4095);
		if (!p->data)
			return fail(EXIT_SETUP, "out of memory");
		p->data_mr = ibv_reg_mr(p->pd, p->data, p->len,
					IBV_ACCESS_LOCAL_WRITE);
		if (!p->data_mr)
			return fail(EXIT_SETUP, "ibv_reg_mr: %s", strerror(errno));
	}
	for (i = 0; i < NR_RX && !p->no_recv; i++)
		if (post_recv(p, i))
			return fail(EXIT_SETUP, "ibv_post_recv failed");

	req.magic = htole32(IPMEM_WIRE_MAGIC);
	req.version = htole16(IPMEM_WIRE_VERSION);
	req.queue = htole16(queue);
	req.host_id = htole32(host_id);
	req.nr_queues = htole16(queue + 1);
	req.flags = htole16(auth_flags);
	if (auth_flags && have_key) {
		/* our nonce, or the lender's and our proof */
		if (auth_flags == IPMEM_REQ_HELLO) {
			memcpy(req.nonce, nonce_b, sizeof(req.nonce));
		} else {
			memcpy(req.nonce, challenge, sizeof(req.nonce));
			memcpy(req.proof, my_proof, sizeof(req.proof));
		}
	} else if (auth_flags) {
		/* a nonce, or a challenge, and a proof nobody could check */
		if (getrandom(req.nonce, sizeof(req.nonce), 0) < 0 ||
		    getrandom(req.proof, sizeof(req.proof), 0) < 0)
			return fail(EXIT_SETUP, "getrandom: %s", strerror(errno));
		if (auth_flags == IPMEM_REQ_PROOF && got_challenge)
			memcpy(req.nonce, challenge, sizeof(req.nonce));
	}
	param.private_data = &req;
	param.private_data_len = sizeof(req);
	/* RDMA READs in flight towards the lender; it answers with as many */
	param.initiator_depth = 1;
	if (!ibv_query_device(p->id->verbs, &da) && da.max_qp_init_rd_atom > 1)
		param.initiator_depth = da.max_qp_init_rd_atom < 16 ?
					da.max_qp_init_rd_atom : 16;
	param.responder_resources = 0;
	param.retry_count = 7;
	param.rnr_retry_count = 7;
	say("connecting as host %08x queue %u", host_id, queue);
	if (rdma_connect(p->id, &param))
		return fail(EXIT_SETUP, "rdma_connect: %s", strerror(errno));
	ret = cm_wait(p, RDMA_CM_EVENT_ESTABLISHED);
	if (ret)
		return ret;
	p->connected = 1;
	say("connected: lender host %08x block size %u seg_shift %u epoch %016" PRIx64,
	    le32toh(p->rep.host_id), le32toh(p->rep.block_size),
	    p->rep.seg_shift, le64toh(p->rep.epoch));
	return 0;
}

static void probe_close(struct probe *p)
{
	if (p->id) {
		if (p->connected)
			rdma_disconnect(p->id);
		if (p->id->qp)
			rdma_destroy_qp(p->id);
	}
	if (p->data_mr)
		ibv_dereg_mr(p->data_mr);
	if (p->msg_mr)
		ibv_dereg_mr(p->msg_mr);
	if (p->cq)
		ibv_destroy_cq(p->cq);
	if (p->cch)
		ibv_destroy_comp_channel(p->cch);
	if (p->pd)
		ibv_dealloc_pd(p->pd);
	if (p->id)
		rdma_destroy_id(p->id);
	if (p->ch)
		rdma_destroy_event_channel(p->ch);
	free(p->data);
}

/* ------------------------------------------------------- authentication */

/* 64 hex digits */
static int parse_key(const char *s, uint8_t key[KEY_LEN])
{
	unsigned int i, v;

	if (strlen(s) != 2 * KEY_LEN)
		return -1;
	for (i = 0; i < KEY_LEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		key[i] = v;
	}
	return 0;
}

static int read_key(const char *path, uint8_t key[KEY_LEN])
{
	char line[2 * KEY_LEN + 2] = "";
	FILE *f = fopen(path, "r");
	int ret;

	if (!f)
		return fail(EXIT_SETUP, "%s: %s", path, strerror(errno));
	ret = fgets(line, sizeof(line), f) ? 0 : -1;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	if (ret || parse_key(line, key))
		return fail(EXIT_SETUP, "%s does not hold a key (64 hex digits)",
			    path);
	return 0;
}

/* the pair key of host @self and the lender, as ipmem_auth_pair_key() */
static int pair_key(uint32_t self, uint8_t key[KEY_LEN])
{
	static const char label[] = "ipmem pair key 1";
	uint32_t lo = htole32(self < lender_id ? self : lender_id);
	uint32_t hi = htole32(self < lender_id ? lender_id : self);
	EVP_PKEY *priv, *pub;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t z[KEY_LEN] = {};
	size_t zlen = sizeof(z);
	int ret = -1;

	priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, my_priv,
					    KEY_LEN);
	pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, lender_pub,
					  KEY_LEN);
	if (priv && pub)
		ctx = EVP_PKEY_CTX_new(priv, NULL);
	/* a low-order public key derives nothing: zeros, as the module */
	if (ctx && (EVP_PKEY_derive_init(ctx) != 1 ||
		    EVP_PKEY_derive_set_peer(ctx, pub) != 1 ||
		    EVP_PKEY_derive(ctx, z, &zlen) != 1))
		memset(z, 0, sizeof(z));
	md = EVP_MD_CTX_new();
	if (ctx && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, label, sizeof(label)) == 1 &&
	    EVP_DigestUpdate(md, z, sizeof(z)) == 1 &&
	    EVP_DigestUpdate(md, &lo, sizeof(lo)) == 1 &&
	    EVP_DigestUpdate(md, &hi, sizeof(hi)) == 1 &&
	    EVP_DigestFinal_ex(md, key, NULL) == 1)
		ret = 0;
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
	memset(z, 0, sizeof(z));
	return ret;
}

/* HMAC-SHA-256(@key, @label || B || L || queue || nonce_B || nonce_L), cut */
static void auth_mac(const uint8_t key[KEY_LEN], const char *label,
		     uint32_t b, uint32_t l, uint16_t queue,
		     uint8_t mac[IPMEM_PROOF_LEN])
{
	uint8_t m[64], out[EVP_MAX_MD_SIZE];
	unsigned int outlen;
	size_t n = strlen(label) + 1;

	memcpy(m, label, n);
	b = htole32(b);
	l = htole32(l);
	queue = htole16(queue);
	memcpy(m + n, &b, 4);
	memcpy(m + n + 4, &l, 4);
	memcpy(m + n + 8, &queue, 2);
	memcpy(m + n + 10, nonce_b, IPMEM_NONCE_LEN);
	memcpy(m + n + 10 + IPMEM_NONCE_LEN, challenge, IPMEM_NONCE_LEN);
	HMAC(EVP_sha256(), key, KEY_LEN, m, n + 10 + 2 * IPMEM_NONCE_LEN,
	     out, &outlen);
	memcpy(mac, out, IPMEM_PROOF_LEN);
}

/* "ipmem-probe -k KEYFILE public": the public key of KEYFILE */
static int print_public(void)
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
						   my_priv, KEY_LEN);
	uint8_t pub[KEY_LEN];
	size_t len = sizeof(pub), i;

	if (!k || EVP_PKEY_get_raw_public_key(k, pub, &len) != 1 ||
	    len != KEY_LEN) {
		EVP_PKEY_free(k);
		return fail(EXIT_SETUP, "cannot compute the public key (OpenSSL)");
	}
	EVP_PKEY_free(k);
	for (i = 0; i < KEY_LEN; i++)
		printf("%02x", pub[i]);
	printf("\n");
	return 0;
}

/*
 * The lender's challenge: does one of its proofs check with our pair key?
 * If so, our proof into my_proof.
 */
static int auth_answer(uint32_t self, uint16_t queue)
{
	uint8_t key[KEY_LEN], mac[IPMEM_PROOF_LEN];
	int i, ret = -1;

	if (pair_key(self, key))
		return fail(EXIT_SETUP, "cannot compute the pair key (OpenSSL)");
	auth_mac(key, "ipmem lender", self, lender_id, queue, mac);
	for (i = 0; i < IPMEM_AUTH_PROOFS; i++)
		if (!memcmp(mac, lender_proof[i], IPMEM_PROOF_LEN))
			ret = 0;
	if (!ret)
		auth_mac(key, "ipmem borrower", self, lender_id, queue, my_proof);
	memset(key, 0, sizeof(key));
	return ret;
}

/*
 * Connect: with -k, HELLO, check the lender's proof, then PROOF, each on
 * a connection of its own (as the module does); otherwise one CONNECT.
 */
static int probe_open(struct probe *p, const struct sockaddr_storage *dst,
		      uint32_t host_id, uint16_t queue)
{
	size_t len = p->len;
	int no_recv = p->no_recv, ret;

	if (!have_key)
		return probe_connect(p, dst, host_id, queue);
	auth_flags = IPMEM_REQ_HELLO;
	got_challenge = 0;
	if (getrandom(nonce_b, sizeof(nonce_b), 0) != sizeof(nonce_b))
		return fail(EXIT_SETUP, "getrandom: %s", strerror(errno));
	ret = probe_connect(p, dst, host_id, queue);
	if (!ret)
		return fail(EXIT_SETUP,
			    "the lender accepted a HELLO without proving that it is host %08x",
			    lender_id);
	if (!got_challenge)
		return ret;
	probe_close(p);
	memset(p, 0, sizeof(*p));
	p->len = len;
	p->no_recv = no_recv;
	if (auth_answer(host_id, queue))
		return fail(EXIT_SETUP,
			    "the lender did not prove that it is host %08x: nothing sent to it",
			    lender_id);
	auth_flags = IPMEM_REQ_PROOF;
	return probe_connect(p, dst, host_id, queue);
}

/* ------------------------------------------------------------- commands */

/* post a KEY_REQ for @block; signalled or not */
static int post_key_req(struct probe *p, uint64_t block, uint32_t tag,
			int signaled)
{
	struct ipmem_msg *m = &p->msgs[NR_RX];
	struct ibv_sge sge = {
		.addr = (uintptr_t)m,
		.length = sizeof(*m),
		.lkey = p->msg_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = WR_SEND,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IBV_WR_SEND,
		.send_flags = signaled ? IBV_SEND_SIGNALED : 0,
	}, *bad;

	memset(m, 0, sizeof(*m));
	m->type = htole16(IPMEM_MSG_KEY_REQ);
	m->tag = htole32(tag);
	m->block = htole64(block);
	if (ibv_post_send(p->id->qp, &wr, &bad))
		return fail(EXIT_SETUP, "ibv_post_send: %s", strerror(errno));
	return 0;
}

static int key_req(struct probe *p, uint64_t block, struct key *k)
{
	uint32_t tag = (uint32_t)getpid() ^ (uint32_t)now_ms();
	struct ibv_wc wc;
	const struct ipmem_msg *r;
	int ret, slot;

	ret = post_key_req(p, block, tag, 1);
	if (ret)
		return ret;
	ret = cq_wait(p, ~0ULL, WR_SEND, &wc);
	if (ret == EXIT_TIMEOUT)
		return fail(EXIT_SETUP, "KEY_REQ: send not completed in %d s",
			    timeout_ms / 1000);
	if (ret)
		return ret;
	if (wc.status != IBV_WC_SUCCESS)
		return fail(EXIT_SETUP, "KEY_REQ: send failed: %s",
			    ibv_wc_status_str(wc.status));

	/* the reply: any receive slot; skip what is not our KEY_REP */
	for (;;) {
		ret = cq_wait(p, 0xff, WR_RECV, &wc);
		if (ret == EXIT_TIMEOUT)
			return fail(EXIT_SETUP, "no KEY_REP within %d s",
				    timeout_ms / 1000);
		if (ret)
			return ret;
		if (wc.status != IBV_WC_SUCCESS)
			return fail(EXIT_SETUP, "receive failed: %s",
				    ibv_wc_status_str(wc.status));
		slot = wc.wr_id >> 8;
		r = &p->msgs[slot];
		if (wc.byte_len >= sizeof(*r) &&
		    le16toh(r->type) == IPMEM_MSG_KEY_REP &&
		    le32toh(r->tag) == tag)
			break;
		fprintf(stderr, "%s: ignoring message type %u tag %08x\n",
			prog, le16toh(r->type), le32toh(r->tag));
		if (post_recv(p, slot))
			return fail(EXIT_SETUP, "ibv_post_recv failed");
	}
	k->status = le16toh(r->status);
	k->first = le64toh(r->block);
	k->count = le64toh(r->count);
	k->iova = le64toh(r->iova);
	k->gen = le64toh(r->gen);
	k->rkey = le32toh(r->rkey);
	k->rights = r->rights;
	post_recv(p, slot);
	printf("status %u first %" PRIu64 " count %" PRIu64 " rkey 0x%08x iova 0x%" PRIx64
	       " rights %u gen 0x%" PRIx64 " %s\n", k->status, k->first,
	       k->count, k->rkey, k->iova, k->rights, k->gen,
	       msg_status_str(k->status));
	fflush(stdout);
	return k->status == IPMEM_MSG_OK ? 0 : EXIT_REFUSED;
}

static uint32_t crc32(const uint8_t *d, size_t n)
{
	uint32_t c = 0xffffffff;
	int k;

	while (n--) {
		c ^= *d++;
		for (k = 0; k < 8; k++)
			c = c >> 1 ^ (0xedb88320 & -(c & 1));
	}
	return ~c;
}

static int save(struct probe *p, const char *file)
{
	FILE *f;

	if (!file)
		return 0;
	f = fopen(file, "w");
	if (!f || fwrite(p->data, 1, p->len, f) != p->len || fclose(f))
		return fail(EXIT_SETUP, "cannot write %s: %s", file,
			    strerror(errno));
	return 0;
}

static int rdma_op(struct probe *p, int write, uint32_t rkey, uint64_t iova,
		   unsigned int byte, const char *file)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)p->data,
		.length = p->len,
		.lkey = p->data_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.wr_id = WR_RDMA,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
		.send_flags = IBV_SEND_SIGNALED,
	}, *bad;
	struct ibv_wc wc;
	size_t i, changed = 0;
	int ret, same = 1;

	memset(p->data, write ? byte : SENTINEL, p->len);
	wr.wr.rdma.remote_addr = iova;
	wr.wr.rdma.rkey = rkey;
	say("RDMA %s of %zu bytes at iova 0x%" PRIx64 " rkey 0x%08x",
	    write ? "WRITE" : "READ", p->len, iova, rkey);
	if (ibv_post_send(p->id->qp, &wr, &bad))
		return fail(EXIT_SETUP, "ibv_post_send: %s", strerror(errno));
	ret = cq_wait(p, ~0ULL, WR_RDMA, &wc);
	if (ret == EXIT_TIMEOUT) {
		printf("timeout no completion in %d s\n", timeout_ms / 1000);
		return ret;
	}
	if (ret)
		return ret;

	if (write) {
		if (wc.status != IBV_WC_SUCCESS) {
			printf("error %s (wc %d)\n", ibv_wc_status_str(wc.status),
			       wc.status);
			return EXIT_RDMA;
		}
		printf("ok wrote %zu bytes of 0x%02x\n", p->len, byte);
		return 0;
	}

	ret = save(p, file);
	if (ret)
		return ret;
	if (wc.status != IBV_WC_SUCCESS) {
		for (i = 0; i < p->len; i++)
			changed += p->data[i] != SENTINEL;
		if (changed)
			printf("error %s (wc %d) buffer changed %zu bytes\n",
			       ibv_wc_status_str(wc.status), wc.status, changed);
		else
			printf("error %s (wc %d) buffer untouched\n",
			       ibv_wc_status_str(wc.status), wc.status);
		return EXIT_RDMA;
	}
	printf("ok first16 ");
	for (i = 0; i < 16 && i < p->len; i++)
		printf("%02x", p->data[i]);
	for (i = 1; i < p->len; i++)
		if (p->data[i] != p->data[0]) {
			same = 0;
			break;
		}
	printf(" crc32 %08x allbyte ", crc32(p->data, p->len));
	if (same)
		printf("%02x\n", p->data[0]);
	else
		printf("mixed\n");
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* keep the connection until @seconds pass, a signal, or a disconnect */
static int hold(struct probe *p, uint64_t seconds)
{
	int64_t end = now_ms() + (int64_t)seconds * 1000;
	struct pollfd pfd = { .fd = p->ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("holding\n");
	fflush(stdout);
	while (!stop && now_ms() < end) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if (rdma_get_cm_event(p->ch, &ev))
			continue;
		say("cm event %s while holding", rdma_event_str(ev->event));
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED) {
			rdma_ack_cm_event(ev);
			p->connected = 0;
			return fail(EXIT_SETUP, "the lender disconnected");
		}
		rdma_ack_cm_event(ev);
	}
	printf("released\n");
	return 0;
}

/* wait for the lender to disconnect, until @end; 1 if it did */
static int wait_cut(struct probe *p, int64_t end)
{
	struct pollfd pfd = { .fd = p->ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	int cut = 0;

	while (!stop && !cut && now_ms() < end) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if (rdma_get_cm_event(p->ch, &ev))
			continue;
		say("cm event %s while stalling", rdma_event_str(ev->event));
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED) {
			p->connected = 0;
			cut = 1;
		}
		rdma_ack_cm_event(ev);
	}
	return cut;
}

/*
 * post @n KEY_REQs for block 0 without waiting for anything; the last one
 * signalled (it completes the ones before; the buffer is the same, and
 * the lender reads each on arrival)
 */
static int send_reqs(struct probe *p, int n)
{
	int ret = 0;

	while (n-- && !ret)
		ret = post_key_req(p, 0, 0, !n);
	return ret;
}

static int stall(const struct sockaddr_storage *dst, uint32_t host_id,
		 uint16_t queue, uint64_t seconds)
{
	int64_t end = now_ms() + (int64_t)seconds * 1000;
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned int connected = 0, cut = 0, failed = 0;
	struct probe p;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop && now_ms() < end) {
		memset(&p, 0, sizeof(p));
		p.no_recv = 1;
		if (probe_open(&p, dst, host_id, queue) ||
		    send_reqs(&p, 4)) {
			probe_close(&p);
			/* refused or unreachable: try again, not in a spin */
			if (++failed > 100)
				break;
			poll(NULL, 0, 500);
			continue;
		}
		connected++;
		cut += wait_cut(&p, end);
		probe_close(&p);
	}
	printf("stall connected %u cut %u\n", connected, cut);
	return connected ? 0 : EXIT_SETUP;
}

static int hellos(const struct sockaddr_storage *dst, uint32_t host_id,
		  uint16_t queue, uint64_t n)
{
	unsigned int ch = 0, refused = 0, counts[8] = {};
	struct probe p;
	uint64_t i;

	auth_flags = IPMEM_REQ_HELLO;
	for (i = 0; i < n; i++) {
		memset(&p, 0, sizeof(p));
		last_rej = 0;
		if (!probe_connect(&p, dst, host_id, queue + i))
			fprintf(stderr, "%s: a HELLO was accepted\n", prog);
		probe_close(&p);
		if (last_rej == IPMEM_REJ_CHALLENGE) {
			ch++;
		} else {
			refused++;
			counts[last_rej < 8 ? last_rej : 0]++;
		}
	}
	printf("hellos %" PRIu64 " challenges %u refused %u", n, ch, refused);
	for (i = 0; i < 8; i++)
		if (counts[i])
			printf(" %s %u", i ? rej_reason_str(i) : "other",
			       counts[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage dst;
	struct probe p = {};
	const char *file = NULL, *cmd;
	uint64_t block = 0, rkey = 0, iova = 0, len = 0, byte = 0, v;
	uint32_t host_id;
	uint16_t queue = 0;
	struct key k;
	int opt, ret, nargs, forge = 0, have_lender = 0;
	const char *lpub;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "t:q:o:a:k:l:vh")) != -1) {
		switch (opt) {
		case 'k':
			if (read_key(optarg, my_priv))
				return EXIT_SETUP;
			have_key = 1;
			break;
		case 'l':
			lpub = strrchr(optarg, ':');
			if (!lpub || parse_key(lpub + 1, lender_pub))
				return fail(EXIT_SETUP, "bad -l '%s' (LENDERID:PUBKEY)",
					    optarg);
			*(char *)lpub = 0;
			if (parse_host_id(optarg, &lender_id))
				return fail(EXIT_SETUP, "bad -l host id '%s'", optarg);
			have_lender = 1;
			break;
		case 'a':
			if (!strcmp(optarg, "hello") || !strcmp(optarg, "forge"))
				auth_flags = IPMEM_REQ_HELLO;
			else if (!strcmp(optarg, "proof"))
				auth_flags = IPMEM_REQ_PROOF;
			else
				return fail(EXIT_SETUP, "bad -a '%s'", optarg);
			forge = !strcmp(optarg, "forge");
			break;
		case 't':
			if (parse_dec(optarg, &v) || !v || v > 3600)
				return fail(EXIT_SETUP, "bad -t '%s'", optarg);
			timeout_ms = v * 1000;
			break;
		case 'q':
			if (parse_dec(optarg, &v) || v > 65535)
				return fail(EXIT_SETUP, "bad -q '%s'", optarg);
			queue = v;
			break;
		case 'o':
			file = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
			return EXIT_SETUP;
		}
	}
	argv += optind;
	argc -= optind;
	if (argc == 1 && !strcmp(argv[0], "public")) {
		if (!have_key)
			return fail(EXIT_SETUP, "public: give -k KEYFILE");
		return print_public();
	}
	if (have_key != have_lender || (have_key && auth_flags))
		return fail(EXIT_SETUP, "-k and -l go together, and not with -a");
	if (argc < 3) {
		usage();
		return EXIT_SETUP;
	}
	if (parse_addr(argv[0], &dst))
		return fail(EXIT_SETUP, "'%s' is not an address[:port]", argv[0]);
	if (parse_host_id(argv[1], &host_id))
		return fail(EXIT_SETUP, "'%s' is not a host id", argv[1]);
	cmd = argv[2];
	argv += 3;
	argc -= 3;

	if (!strcmp(cmd, "key") || !strcmp(cmd, "hold"))
		nargs = !strcmp(cmd, "key") ? 1 : 2;
	else if (!strcmp(cmd, "stall") || !strcmp(cmd, "hellos"))
		nargs = 1;
	else if (!strcmp(cmd, "read"))
		nargs = 3;
	else if (!strcmp(cmd, "write"))
		nargs = 4;
	else if (!strcmp(cmd, "read-block"))
		nargs = 2;
	else if (!strcmp(cmd, "write-block"))
		nargs = 3;
	else {
		usage();
		return fail(EXIT_SETUP, "unknown command '%s'", cmd);
	}
	if (argc != nargs) {
		usage();
		return fail(EXIT_SETUP, "%s takes %d arguments", cmd, nargs);
	}

	if (!strcmp(cmd, "stall") || !strcmp(cmd, "hellos")) {
		if (parse_dec(argv[0], &v) || !v ||
		    (!strcmp(cmd, "hellos") && v > IPMEM_MAX_QUEUES))
			return fail(EXIT_SETUP, "bad %s '%s'", !strcmp(cmd, "stall") ?
				    "SECONDS" : "N", argv[0]);
		if (!strcmp(cmd, "stall"))
			return stall(&dst, host_id, queue, v);
		return hellos(&dst, host_id, queue, v);
	}
	if (!strcmp(cmd, "read") || !strcmp(cmd, "write")) {
		if (parse_hex(argv[0], &rkey) || rkey > UINT32_MAX)
			return fail(EXIT_SETUP, "bad RKEY '%s'", argv[0]);
		if (parse_hex(argv[1], &iova))
			return fail(EXIT_SETUP, "bad IOVA '%s'", argv[1]);
		if (parse_dec(argv[2], &len))
			return fail(EXIT_SETUP, "bad LEN '%s'", argv[2]);
		if (argc == 4 && (parse_hex(argv[3], &byte) || byte > 255))
			return fail(EXIT_SETUP, "bad BYTE '%s'", argv[3]);
	} else {
		if (parse_dec(argv[0], &block))
			return fail(EXIT_SETUP, "bad BLOCK '%s'", argv[0]);
		if (!strcmp(cmd, "hold") && parse_dec(argv[1], &v))
			return fail(EXIT_SETUP, "bad SECONDS '%s'", argv[1]);
		if (strstr(cmd, "-block")) {
			if (parse_dec(argv[1], &len))
				return fail(EXIT_SETUP, "bad LEN '%s'", argv[1]);
			if (argc == 3 && (parse_hex(argv[2], &byte) || byte > 255))
				return fail(EXIT_SETUP, "bad BYTE '%s'", argv[2]);
		}
	}
	if (strcmp(cmd, "key") && strcmp(cmd, "hold") &&
	    (!len || len > MAX_LEN))
		return fail(EXIT_SETUP, "LEN must be 1..%u", MAX_LEN);
	p.len = len;

	ret = probe_open(&p, &dst, host_id, queue);
	if (ret && forge && got_challenge) {
		/* answer the challenge, on a connection of its own */
		probe_close(&p);
		memset(&p, 0, sizeof(p));
		p.len = len;
		auth_flags = IPMEM_REQ_PROOF;
		ret = probe_connect(&p, &dst, host_id, queue);
	}
	if (ret)
		goto out;

	if (!strcmp(cmd, "key")) {
		ret = key_req(&p, block, &k);
	} else if (!strcmp(cmd, "hold")) {
		ret = key_req(&p, block, &k);
		if (!ret)
			ret = hold(&p, v);
	} else if (!strcmp(cmd, "read") || !strcmp(cmd, "write")) {
		ret = rdma_op(&p, !strcmp(cmd, "write"), rkey, iova, byte, file);
	} else {
		ret = key_req(&p, block, &k);
		if (ret)
			goto out;
		if (len > (k.first + k.count - block) * le32toh(p.rep.block_size))
			fprintf(stderr, "%s: note: LEN goes past the segment\n", prog);
		iova = k.iova + (block - k.first) * le32toh(p.rep.block_size);
		ret = rdma_op(&p, !strcmp(cmd, "write-block"), k.rkey, iova,
			      byte, file);
	}
out:
	fflush(stdout);
	probe_close(&p);
	return ret;
}
