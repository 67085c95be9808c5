// SPDX-License-Identifier: GPL-2.0
/*
 * kroute.c - the host's own routes to block addresses, through rtnetlink
 * (libnl-route-3).
 *
 * A lender makes its /80 local (an "AnyIP" route of type local in table
 * local, on lo): every block address it lends answers, so that a ping to
 * a block's address reaches the host that holds the block.  A borrower
 * routes each lender's /80 it maps from via the lender's data-plane
 * address (the next hop of its BGP route), in the main table.  Both
 * carry protocol IPMEM_RTPROT ("ipmem", 77), so that `ip -6 route show
 * proto 77` lists them, and metric IPMEM_RTMETRIC, so that ipmemd
 * replaces and deletes only its own.  A lender's rdma_cm endpoint is the
 * first address of its /80, added to the interface of its data-plane
 * address (kroute_addr).
 * (Documentation/ipmemd.rst, "Routes in the kernel".)
 */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

#include "kroute.h"

/* rtnetlink said @ret (a libnl error): as an errno, and @err says it */
static int kroute_err(int ret, char *err, size_t len)
{
	snprintf(err, len, "%s", nl_geterror(ret));
	switch (-ret) {
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_NOADDR:
	case NLE_INVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int kroute_set(bool add, const uint8_t prefix[16], uint8_t plen,
	       const uint8_t *via, char *err, size_t len)
{
	struct nl_addr *dst = NULL, *gw = NULL;
	struct rtnl_nexthop *nh = NULL;
	struct rtnl_route *r = NULL;
	struct nl_sock *sk = NULL;
	unsigned int lo = 0;
	int ret = -NLE_NOMEM;

	err[0] = 0;
	if (!via) {
		lo = if_nametoindex("lo");
		if (!lo) {
			snprintf(err, len, "no loopback interface");
			return -ENODEV;
		}
	}
	sk = nl_socket_alloc();
	r = rtnl_route_alloc();
	dst = nl_addr_build(AF_INET6, prefix, 16);
	if (!sk || !r || !dst)
		goto out;
	nl_addr_set_prefixlen(dst, plen);
	rtnl_route_set_family(r, AF_INET6);
	ret = rtnl_route_set_dst(r, dst);
	if (ret)
		goto out;
	rtnl_route_set_protocol(r, IPMEM_RTPROT);
	rtnl_route_set_priority(r, IPMEM_RTMETRIC);
	if (via) {
		rtnl_route_set_table(r, RT_TABLE_MAIN);
		rtnl_route_set_type(r, RTN_UNICAST);
		rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	} else {
		rtnl_route_set_table(r, RT_TABLE_LOCAL);
		rtnl_route_set_type(r, RTN_LOCAL);
		rtnl_route_set_scope(r, RT_SCOPE_HOST);
	}
	/* a deletion names no next hop: ours is the one of this prefix */
	if (add) {
		ret = -NLE_NOMEM;
		nh = rtnl_route_nh_alloc();
		if (!nh)
			goto out;
		if (via) {
			gw = nl_addr_build(AF_INET6, via, 16);
			if (!gw)
				goto out;
			rtnl_route_nh_set_gateway(nh, gw);
		} else {
			rtnl_route_nh_set_ifindex(nh, lo);
		}
		rtnl_route_add_nexthop(r, nh);	/* the route owns it now */
		nh = NULL;
	}
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (ret)
		goto out;
	if (add)
		ret = rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_REPLACE);
	else
		ret = rtnl_route_delete(sk, r, 0);
out:
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(gw);
	nl_addr_put(dst);
	rtnl_route_put(r);
	nl_socket_free(sk);
	return ret ? kroute_err(ret, err, len) : 0;
}

/* the interface that holds the IPv6 address @addr, or 0 */
static unsigned int addr_ifindex(const uint8_t addr[16])
{
	struct ifaddrs *ifa, *i;
	unsigned int idx = 0;

	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i && !idx; i = i->ifa_next) {
		const struct sockaddr_in6 *s6 = (void *)i->ifa_addr;

		if (s6 && s6->sin6_family == AF_INET6 &&
		    !memcmp(&s6->sin6_addr, addr, 16))
			idx = if_nametoindex(i->ifa_name);
	}
	freeifaddrs(ifa);
	return idx;
}

int kroute_addr(bool add, const uint8_t addr[16], const uint8_t on[16],
		char *err, size_t len)
{
	struct rtnl_addr *a = NULL;
	struct nl_addr *local = NULL;
	struct nl_sock *sk = NULL;
	unsigned int idx;
	int ret = -NLE_NOMEM;

	err[0] = 0;
	idx = addr_ifindex(on);
	if (!idx) {
		snprintf(err, len, "no interface holds the data-plane address");
		return -ENODEV;
	}
	sk = nl_socket_alloc();
	a = rtnl_addr_alloc();
	local = nl_addr_build(AF_INET6, addr, 16);
	if (!sk || !a || !local)
		goto out;
	nl_addr_set_prefixlen(local, 128);
	rtnl_addr_set_family(a, AF_INET6);
	rtnl_addr_set_ifindex(a, idx);
	ret = rtnl_addr_set_local(a, local);
	if (ret)
		goto out;
	/*
	 * Ours alone: duplicate address detection would only delay it.
	 * Deprecated (preferred lifetime 0, valid for ever), so that the
	 * host never picks it as the source of its own connections (a
	 * borrower's to another lender's endpoint would otherwise come
	 * from here, the longest match): it only answers.
	 */
	rtnl_addr_set_flags(a, IFA_F_NODAD);
	rtnl_addr_set_preferred_lifetime(a, 0);
	rtnl_addr_set_valid_lifetime(a, 0xffffffff);
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (ret)
		goto out;
	if (add)
		ret = rtnl_addr_add(sk, a, NLM_F_REPLACE);
	else
		ret = rtnl_addr_delete(sk, a, 0);
out:
	nl_addr_put(local);
	rtnl_addr_put(a);
	nl_socket_free(sk);
	return ret ? kroute_err(ret, err, len) : 0;
}
