// SPDX-License-Identifier: GPL-2.0
/*
 * Talking to ipmem.ko over generic netlink, the way iw does: one request
 * at a time, every reply message handed to a callback, and the kernel's
 * extended ack (message and offending attribute) kept for the caller to
 * print.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static const char *const ipmem_attr_names[IPMEM_A_MAX + 1] = {
	[IPMEM_A_NET_PREFIX] = "network prefix",
	[IPMEM_A_HOST_ID] = "host id",
	[IPMEM_A_BLOCK_SIZE] = "block size",
	[IPMEM_A_SIZE] = "size",
	[IPMEM_A_ADDR] = "address",
	[IPMEM_A_PORT] = "port",
	[IPMEM_A_BLOCKS_TOTAL] = "total blocks",
	[IPMEM_A_BLOCKS_FREE] = "free blocks",
	[IPMEM_A_SHRINK_TO] = "size to shrink to",
	[IPMEM_A_EPOCH] = "epoch",
	[IPMEM_A_PREFIX] = "prefix",
	[IPMEM_A_PREFIX_LEN] = "prefix length",
	[IPMEM_A_BORROWER] = "borrower",
	[IPMEM_A_RIGHTS] = "rights",
	[IPMEM_A_STATE] = "state",
	[IPMEM_A_GEN] = "generation",
	[IPMEM_A_TIMEOUT_MS] = "timeout",
	[IPMEM_A_BLOCK_COUNT] = "block count",
	[IPMEM_A_GRANT] = "grant",
	[IPMEM_A_NEXTHOP] = "next hop",
	[IPMEM_A_DISK] = "disk",
	[IPMEM_A_NAME] = "name",
	[IPMEM_A_REPLICAS] = "replicas",
	[IPMEM_A_REPLICA] = "replica",
	[IPMEM_A_EXTENT] = "extent",
	[IPMEM_A_EXTENT_COUNT] = "extent count",
	[IPMEM_A_COPIES_MAPPED] = "extent copies mapped",
	[IPMEM_A_LENDER] = "lender",
	[IPMEM_A_CONN_STATE] = "connection state",
	[IPMEM_A_STATS] = "statistics",
	[IPMEM_A_ENCRYPT] = "encrypt",
	[IPMEM_A_KEY_SLOT] = "key slot",
	[IPMEM_A_PRIVATE_KEY] = "private key",
	[IPMEM_A_PUBLIC_KEY] = "public key",
	[IPMEM_A_ROUTE] = "route",
	[IPMEM_A_ROUTE_MAC] = "route MAC",
};

const char *ipmem_attr_name(int type)
{
	if (type > 0 && type <= IPMEM_A_MAX && ipmem_attr_names[type])
		return ipmem_attr_names[type];
	return "unknown attribute";
}

int ipmem_nl_open(struct ipmem_nl *nl)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		snprintf(nl->err, sizeof(nl->err), "out of memory");
		return -ENOMEM;
	}
	if (genl_connect(nl->sk)) {
		snprintf(nl->err, sizeof(nl->err),
			 "cannot open a generic netlink socket");
		goto out_free;
	}
	/* Errors come with the kernel's message and the attribute it names. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	nl->family = genl_ctrl_resolve(nl->sk, IPMEM_GENL_NAME);
	if (nl->family < 0) {
		snprintf(nl->err, sizeof(nl->err),
			 "the ipmem module is not loaded (no netlink family \"%s\"): load it with 'modprobe ipmem'",
			 IPMEM_GENL_NAME);
		goto out_free;
	}
	nl->mcgrp = genl_ctrl_resolve_grp(nl->sk, IPMEM_GENL_NAME,
					  IPMEM_MCGRP_EVENTS);
	return 0;

out_free:
	nl_socket_free(nl->sk);
	nl->sk = NULL;
	return -ENOENT;
}

void ipmem_nl_close(struct ipmem_nl *nl)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
}

/* A request; @nl need not be open yet (ipmem_nl_send sets the family). */
struct nl_msg *ipmem_nl_msg(struct ipmem_nl *nl, uint8_t cmd, bool dump)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 dump ? NLM_F_DUMP : 0, cmd, IPMEM_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int ipmem_nl_parse(struct nlattr *nest, struct nlattr **tb)
{
	return nla_parse_nested(tb, IPMEM_A_MAX, nest, NULL);
}

struct ipmem_nl_req {
	struct ipmem_nl *nl;
	ipmem_nl_cb cb;
	void *arg;
	int done;
	int error;
};

static int ipmem_nl_valid(struct nl_msg *msg, void *arg)
{
	struct ipmem_nl_req *req = arg;
	struct nlattr *tb[IPMEM_A_MAX + 1];
	int ret;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, IPMEM_A_MAX, NULL)) {
		snprintf(req->nl->err, sizeof(req->nl->err),
			 "malformed reply from the kernel");
		req->error = -EPROTO;
		return NL_STOP;
	}
	if (!req->cb)
		return NL_OK;
	ret = req->cb(tb, nlmsg_hdr(msg), req->arg);
	if (ret) {
		req->error = ret;
		return NL_STOP;
	}
	return NL_OK;
}

static int ipmem_nl_finish(struct nl_msg *msg, void *arg)
{
	struct ipmem_nl_req *req = arg;

	req->done = 1;
	return NL_STOP;
}

/*
 * The error: errno, the extended ack message, and the attribute it names
 * (by its offset in our request, or as a missing type).
 */
static int ipmem_nl_error(struct sockaddr_nl *nla, struct nlmsgerr *e,
			  void *arg)
{
	struct ipmem_nl_req *req = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
	const char *msg = NULL, *attr = NULL;
	char what[64] = "";
	size_t off;

	req->done = 1;
	req->error = e->error;
	if (!e->error)
		return NL_STOP;

	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (nlh->nlmsg_len > NLMSG_HDRLEN + off)
			nla_parse(tb, NLMSGERR_ATTR_MAX,
				  (struct nlattr *)((char *)e + off),
				  nlh->nlmsg_len - NLMSG_HDRLEN - off, NULL);
		if (tb[NLMSGERR_ATTR_MSG])
			msg = nla_get_string(tb[NLMSGERR_ATTR_MSG]);
		if (tb[NLMSGERR_ATTR_OFFS] && !(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			uint32_t o = nla_get_u32(tb[NLMSGERR_ATTR_OFFS]);

			if (o + sizeof(struct nlattr) <= e->msg.nlmsg_len) {
				struct nlattr *bad =
					(struct nlattr *)((char *)&e->msg + o);

				attr = ipmem_attr_name(nla_type(bad));
			}
		}
		if (tb[NLMSGERR_ATTR_MISS_TYPE])
			snprintf(what, sizeof(what), "missing %s",
				 ipmem_attr_name(nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE])));
		else if (attr)
			snprintf(what, sizeof(what), "%s", attr);
	}
	if (msg && *what)
		snprintf(req->nl->err, sizeof(req->nl->err), "%s (%s)", msg,
			 what);
	else if (msg)
		snprintf(req->nl->err, sizeof(req->nl->err), "%s", msg);
	else if (*what)
		snprintf(req->nl->err, sizeof(req->nl->err), "%s: %s",
			 strerror(-e->error), what);
	else
		snprintf(req->nl->err, sizeof(req->nl->err), "%s",
			 strerror(-e->error));
	return NL_STOP;
}

/**
 * ipmem_nl_send() - send a request, collect its replies
 * @nl: the socket
 * @msg: the request (freed here)
 * @cb: called for every reply message (NULL: none expected)
 * @arg: for @cb
 *
 * Return: 0, a negative errno from the kernel (the reason in @nl->err),
 * or what @cb returned.
 */
int ipmem_nl_send(struct ipmem_nl *nl, struct nl_msg *msg, ipmem_nl_cb cb,
		  void *arg)
{
	struct ipmem_nl_req req = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_cb *nlcb;
	int ret;

	nl->err[0] = 0;
	nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nlcb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, ipmem_nl_valid, &req);
	nl_cb_set(nlcb, NL_CB_FINISH, NL_CB_CUSTOM, ipmem_nl_finish, &req);
	nl_cb_set(nlcb, NL_CB_ACK, NL_CB_CUSTOM, ipmem_nl_finish, &req);
	nl_cb_err(nlcb, NL_CB_CUSTOM, ipmem_nl_error, &req);

	/* a request may be built before the family was resolved */
	nlmsg_hdr(msg)->nlmsg_type = nl->family;
	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		snprintf(nl->err, sizeof(nl->err), "sending: %s",
			 nl_geterror(ret));
		nl_cb_put(nlcb);
		return -EIO;
	}
	while (!req.done && !req.error) {
		ret = nl_recvmsgs(nl->sk, nlcb);
		if (ret < 0 && !req.error) {
			snprintf(nl->err, sizeof(nl->err), "receiving: %s",
				 nl_geterror(ret));
			req.error = -EIO;
		}
	}
	nl_cb_put(nlcb);
	return req.error;
}

/* Join the events group on @nl (use a socket of its own for events). */
int ipmem_nl_subscribe(struct ipmem_nl *nl)
{
	if (nl->mcgrp < 0) {
		snprintf(nl->err, sizeof(nl->err), "no events group");
		return -ENOENT;
	}
	nl_socket_disable_seq_check(nl->sk);
	if (nl_socket_add_membership(nl->sk, nl->mcgrp)) {
		snprintf(nl->err, sizeof(nl->err), "cannot join the events group");
		return -EIO;
	}
	return 0;
}

static int ipmem_nl_no_seq_check(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

/* Read what is pending on an events socket; @cb per event. */
int ipmem_nl_recv_events(struct ipmem_nl *nl, ipmem_nl_cb cb, void *arg)
{
	struct ipmem_nl_req req = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_cb *nlcb;
	int ret;

	nlcb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!nlcb)
		return -ENOMEM;
	/* events are not answers to a request: their sequence is 0 */
	nl_cb_set(nlcb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, ipmem_nl_no_seq_check,
		  NULL);
	nl_cb_set(nlcb, NL_CB_VALID, NL_CB_CUSTOM, ipmem_nl_valid, &req);
	ret = nl_recvmsgs(nl->sk, nlcb);
	nl_cb_put(nlcb);
	if (ret < 0)
		return -EIO;
	return req.error;
}
