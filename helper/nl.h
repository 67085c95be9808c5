/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Talking to ipmem.ko over generic netlink (libnl-genl-3), for ipmemctl
 * and ipmemd.
 */
#ifndef IPMEM_HELPER_NL_H
#define IPMEM_HELPER_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <ipmem/netlink.h>

struct nl_sock;

/**
 * struct ipmem_nl - a netlink socket to the ipmem family
 * @sk: the socket
 * @family: the family id
 * @mcgrp: the id of the events multicast group
 * @err: the last error: the kernel's extended ack message and the
 *	attribute it names, or what went wrong locally
 */
struct ipmem_nl {
	struct nl_sock *sk;
	int family;
	int mcgrp;
	char err[256];
};

/*
 * Called once per reply message with its attributes (tb[IPMEM_A_MAX+1];
 * for an attribute that repeats, the last one) and the message itself.
 */
typedef int (*ipmem_nl_cb)(struct nlattr **tb, struct nlmsghdr *nlh,
			   void *arg);

/* for each attribute of type @type in reply @nlh */
#define ipmem_nl_for_each(pos, nlh, type, rem)				\
	nla_for_each_attr(pos, genlmsg_attrdata(nlmsg_data(nlh), 0),	\
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)	\
		if (nla_type(pos) == (type))

int ipmem_nl_open(struct ipmem_nl *nl);
void ipmem_nl_close(struct ipmem_nl *nl);
struct nl_msg *ipmem_nl_msg(struct ipmem_nl *nl, uint8_t cmd, bool dump);
int ipmem_nl_send(struct ipmem_nl *nl, struct nl_msg *msg, ipmem_nl_cb cb,
		  void *arg);
int ipmem_nl_subscribe(struct ipmem_nl *nl);
int ipmem_nl_recv_events(struct ipmem_nl *nl, ipmem_nl_cb cb, void *arg);
int ipmem_nl_parse(struct nlattr *nest, struct nlattr **tb);
const char *ipmem_attr_name(int type);

#endif
