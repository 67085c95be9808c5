// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem generic netlink family (see include/ipmem/netlink.h).
 *
 * Every command has its own policy listing exactly the attributes it
 * takes, so that anything else is refused by the core with the offending
 * attribute named; required attributes are checked with
 * GENL_REQ_ATTR_CHECK() and every other rejection carries a message.
 * Requests that change state need CAP_NET_ADMIN and run under
 * ipmem_cfg_lock (pre_doit/post_doit).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>

#include "ipmem_blk.h"

static struct genl_family ipmem_family;

enum ipmem_mcgrp {
	IPMEM_MCGRP_EVENTS_IDX,
};

static const struct genl_multicast_group ipmem_mcgrps[] = {
	[IPMEM_MCGRP_EVENTS_IDX] = { .name = IPMEM_MCGRP_EVENTS },
};

/* ------------------------------------------------------------- policies */

static struct netlink_range_validation ipmem_tmo_range = {
	.min = 1,
	.max = 3600 * 1000,
};

static struct netlink_range_validation ipmem_disk_range = {
	.min = 0,
	.max = MINORMASK,
};

#define IPMEM_POL_ADDR		NLA_POLICY_EXACT_LEN(16)
#define IPMEM_POL_DISK		NLA_POLICY_FULL_RANGE(NLA_U32, &ipmem_disk_range)
#define IPMEM_POL_BLOCK_PLEN	NLA_POLICY_RANGE(NLA_U8, IPMEM_HOST_PLEN, 128)

static const struct nla_policy ipmem_pol_none[IPMEM_A_MAX + 1] = {
};

static const struct nla_policy ipmem_pol_host[IPMEM_A_MAX + 1] = {
	[IPMEM_A_NET_PREFIX] = IPMEM_POL_ADDR,
	[IPMEM_A_HOST_ID] = { .type = NLA_U32 },
};

static const struct nla_policy ipmem_pol_pool_new[IPMEM_A_MAX + 1] = {
	[IPMEM_A_SIZE] = NLA_POLICY_MIN(NLA_U64, 1),
	[IPMEM_A_BLOCK_SIZE] = { .type = NLA_U32 },
	[IPMEM_A_ADDR] = IPMEM_POL_ADDR,
	[IPMEM_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy ipmem_pol_pool_shrink[IPMEM_A_MAX + 1] = {
	[IPMEM_A_SIZE] = NLA_POLICY_MIN(NLA_U64, 1),
};

static const struct nla_policy ipmem_pol_grant_new[IPMEM_A_MAX + 1] = {
	[IPMEM_A_PREFIX] = IPMEM_POL_ADDR,
	[IPMEM_A_PREFIX_LEN] = IPMEM_POL_BLOCK_PLEN,
	[IPMEM_A_BORROWER] = { .type = NLA_U32 },
	[IPMEM_A_RIGHTS] = NLA_POLICY_RANGE(NLA_U8, IPMEM_RIGHTS_RO,
					    IPMEM_RIGHTS_RW),
};

static const struct nla_policy ipmem_pol_grant_reserve[IPMEM_A_MAX + 1] = {
	[IPMEM_A_BLOCK_COUNT] = NLA_POLICY_MIN(NLA_U64, 1),
	[IPMEM_A_BORROWER] = { .type = NLA_U32 },
	[IPMEM_A_RIGHTS] = NLA_POLICY_RANGE(NLA_U8, IPMEM_RIGHTS_RO,
					    IPMEM_RIGHTS_RW),
	[IPMEM_A_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &ipmem_tmo_range),
};

/* a block prefix, and nothing else */
static const struct nla_policy ipmem_pol_prefix[IPMEM_A_MAX + 1] = {
	[IPMEM_A_PREFIX] = IPMEM_POL_ADDR,
	[IPMEM_A_PREFIX_LEN] = IPMEM_POL_BLOCK_PLEN,
};

/* GRANT_DEL, MAP_DEL: a prefix, and FORCE to go on although data is lost */
static const struct nla_policy ipmem_pol_prefix_del[IPMEM_A_MAX + 1] = {
	[IPMEM_A_PREFIX] = IPMEM_POL_ADDR,
	[IPMEM_A_PREFIX_LEN] = IPMEM_POL_BLOCK_PLEN,
	[IPMEM_A_FORCE] = { .type = NLA_FLAG },
};

/* MAP_DEL: and FREE_ONLY, to unmap only what swap discarded */
static const struct nla_policy ipmem_pol_map_del[IPMEM_A_MAX + 1] = {
	[IPMEM_A_PREFIX] = IPMEM_POL_ADDR,
	[IPMEM_A_PREFIX_LEN] = IPMEM_POL_BLOCK_PLEN,
	[IPMEM_A_FORCE] = { .type = NLA_FLAG },
	[IPMEM_A_FREE_ONLY] = { .type = NLA_FLAG },
};

static const struct nla_policy ipmem_pol_route_new[IPMEM_A_MAX + 1] = {
	[IPMEM_A_PREFIX] = IPMEM_POL_ADDR,
	[IPMEM_A_PREFIX_LEN] = NLA_POLICY_RANGE(NLA_U8, IPMEM_NET_PLEN, 128),
	[IPMEM_A_NEXTHOP] = IPMEM_POL_ADDR,
	[IPMEM_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy ipmem_pol_route_del[IPMEM_A_MAX + 1] = {
	[IPMEM_A_PREFIX] = IPMEM_POL_ADDR,
	[IPMEM_A_PREFIX_LEN] = NLA_POLICY_RANGE(NLA_U8, IPMEM_NET_PLEN, 128),
};

static const struct nla_policy ipmem_pol_disk_new[IPMEM_A_MAX + 1] = {
	[IPMEM_A_SIZE] = NLA_POLICY_MIN(NLA_U64, 1),
	[IPMEM_A_BLOCK_SIZE] = { .type = NLA_U32 },
	[IPMEM_A_REPLICAS] = NLA_POLICY_RANGE(NLA_U8, 1, IPMEM_MAX_REPLICAS),
	[IPMEM_A_ENCRYPT] = NLA_POLICY_MAX(NLA_U8, 1),
	[IPMEM_A_DISK] = IPMEM_POL_DISK,
};

static const struct nla_policy ipmem_pol_host_key[IPMEM_A_MAX + 1] = {
	[IPMEM_A_KEY_SLOT] = NLA_POLICY_MAX(NLA_U8, IPMEM_AUTH_SLOTS - 1),
	[IPMEM_A_PRIVATE_KEY] = NLA_POLICY_EXACT_LEN(IPMEM_KEY_SIZE),
};

static const struct nla_policy ipmem_pol_peer_key[IPMEM_A_MAX + 1] = {
	[IPMEM_A_HOST_ID] = { .type = NLA_U32 },
	[IPMEM_A_PUBLIC_KEY] = NLA_POLICY_EXACT_LEN(IPMEM_KEY_SIZE),
};

static const struct nla_policy ipmem_pol_route_mac[IPMEM_A_MAX + 1] = {
	[IPMEM_A_HOST_ID] = { .type = NLA_U32 },
	[IPMEM_A_ROUTE] = { .type = NLA_BINARY, .len = IPMEM_ROUTE_DATA_MAX },
};

static const struct nla_policy ipmem_pol_disk[IPMEM_A_MAX + 1] = {
	[IPMEM_A_DISK] = IPMEM_POL_DISK,
};

/* MAP_GET: a disk, and FREE_ONLY for the extents that hold no data */
static const struct nla_policy ipmem_pol_map_get[IPMEM_A_MAX + 1] = {
	[IPMEM_A_DISK] = IPMEM_POL_DISK,
	[IPMEM_A_FREE_ONLY] = { .type = NLA_FLAG },
};

static const struct nla_policy ipmem_pol_map_new[IPMEM_A_MAX + 1] = {
	[IPMEM_A_DISK] = IPMEM_POL_DISK,
	[IPMEM_A_PREFIX] = IPMEM_POL_ADDR,
	[IPMEM_A_PREFIX_LEN] = IPMEM_POL_BLOCK_PLEN,
	[IPMEM_A_EXTENT] = { .type = NLA_U64 },
	[IPMEM_A_REPLICA] = NLA_POLICY_MAX(NLA_U8, IPMEM_COPY_SLOTS - 1),
};

/* -------------------------------------------------------------- helpers */

int ipmem_nl_put_addr(struct sk_buff *skb, int attr, const void *addr)
{
	return nla_put(skb, attr, 16, addr);
}

/* PREFIX and PREFIX_LEN of block @block of host @host. */
int ipmem_nl_put_block(struct sk_buff *skb, u32 host, u64 block, u8 plen)
{
	u8 a[16];

	ipmem_addr_make(a, ipmem_host.net, host, block);
	if (ipmem_nl_put_addr(skb, IPMEM_A_PREFIX, a) ||
	    nla_put_u8(skb, IPMEM_A_PREFIX_LEN, plen))
		return -EMSGSIZE;
	return 0;
}

void *ipmem_nl_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb,
			u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			   &ipmem_family, NLM_F_MULTI, cmd);
}

static struct sk_buff *ipmem_nl_reply_new(struct genl_info *info, u8 cmd,
					  size_t size, void **hdr)
{
	struct sk_buff *skb;

	skb = genlmsg_new(size, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put_reply(skb, info, &ipmem_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static int ipmem_nl_reply_send(struct sk_buff *skb, void *hdr,
			       struct genl_info *info)
{
	genlmsg_end(skb, hdr);
	return genlmsg_reply(skb, info);
}

static bool ipmem_nl_missing(struct genl_info *info, int attr);

/* The request's PREFIX and PREFIX_LEN, both required: NULL if missing. */
static const u8 *ipmem_nl_prefix(struct genl_info *info, u8 *plen)
{
	if (ipmem_nl_missing(info, IPMEM_A_PREFIX) ||
	    ipmem_nl_missing(info, IPMEM_A_PREFIX_LEN))
		return NULL;
	*plen = nla_get_u8(info->attrs[IPMEM_A_PREFIX_LEN]);
	return nla_data(info->attrs[IPMEM_A_PREFIX]);
}

/* Is @attr missing?  Then the extack says so, naming it. */
static bool ipmem_nl_missing(struct genl_info *info, int attr)
{
	return GENL_REQ_ATTR_CHECK(info, attr);
}

static u32 ipmem_nl_block_size(struct genl_info *info, int *err)
{
	struct nlattr *a = info->attrs[IPMEM_A_BLOCK_SIZE];
	u32 bs;

	*err = 0;
	if (!a)
		return IPMEM_BLOCK_SIZE_DEFAULT;
	bs = nla_get_u32(a);
	if (ipmem_block_shift(bs) < 0) {
		NL_SET_ERR_MSG_ATTR(info->extack, a,
				    "block size must be a power of two from 4 KiB to 64 KiB");
		*err = -EINVAL;
	}
	return bs;
}

/* ----------------------------------------------------------- host id */

static int ipmem_nl_set_host_id(struct sk_buff *skb, struct genl_info *info)
{
	const u8 *net;

	if (ipmem_nl_missing(info, IPMEM_A_NET_PREFIX) ||
	    ipmem_nl_missing(info, IPMEM_A_HOST_ID))
		return -EINVAL;
	net = nla_data(info->attrs[IPMEM_A_NET_PREFIX]);
	if (!ipmem_addr_bits_clear(net, IPMEM_NET_PLEN)) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[IPMEM_A_NET_PREFIX],
				    "network prefix must be a /48 (bits past 48 clear)");
		return -EINVAL;
	}
	if (ipmem_host.set &&
	    (memcmp(ipmem_host.net, net, 16) ||
	     ipmem_host.host_id != nla_get_u32(info->attrs[IPMEM_A_HOST_ID])) &&
	    (ipmem_pool || !list_empty(&ipmem_disks))) {
		NL_SET_ERR_MSG(info->extack,
			       "cannot change the host id while lending or borrowing");
		return -EBUSY;
	}
	memcpy(ipmem_host.net, net, 16);
	ipmem_host.host_id = nla_get_u32(info->attrs[IPMEM_A_HOST_ID]);
	ipmem_host.set = true;
	return 0;
}

static int ipmem_nl_get_host_id(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	if (!ipmem_host.set) {
		NL_SET_ERR_MSG(info->extack, "the host id is not set");
		return -ENOENT;
	}
	msg = ipmem_nl_reply_new(info, IPMEM_CMD_GET_HOST_ID, NLMSG_GOODSIZE,
				 &hdr);
	if (!msg)
		return -ENOMEM;
	if (ipmem_nl_put_addr(msg, IPMEM_A_NET_PREFIX, ipmem_host.net) ||
	    nla_put_u32(msg, IPMEM_A_HOST_ID, ipmem_host.host_id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ipmem_nl_reply_send(msg, hdr, info);
}

static int ipmem_nl_version_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = ipmem_nl_reply_new(info, IPMEM_CMD_VERSION_GET, NLMSG_GOODSIZE,
				 &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_string(msg, IPMEM_A_VERSION, IPMEM_VERSION) ||
	    nla_put_u16(msg, IPMEM_A_WIRE_VERSION, IPMEM_WIRE_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ipmem_nl_reply_send(msg, hdr, info);
}

/* ---------------------------------------------------------- host keys */

static u8 ipmem_nl_slot(struct genl_info *info)
{
	return info->attrs[IPMEM_A_KEY_SLOT] ?
	       nla_get_u8(info->attrs[IPMEM_A_KEY_SLOT]) : 0;
}

static int ipmem_nl_host_key_set(struct sk_buff *skb, struct genl_info *info)
{
	u8 pub[IPMEM_KEY_SIZE], slot = ipmem_nl_slot(info);
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (ipmem_nl_missing(info, IPMEM_A_PRIVATE_KEY))
		return -EINVAL;
	msg = ipmem_nl_reply_new(info, IPMEM_CMD_HOST_KEY_SET, NLMSG_GOODSIZE,
				 &hdr);
	if (!msg)
		return -ENOMEM;
	err = ipmem_auth_key_set(slot, nla_data(info->attrs[IPMEM_A_PRIVATE_KEY]),
				 pub, info->extack);
	/* the request's copy of the key goes with its buffer: wipe it */
	memzero_explicit(nla_data(info->attrs[IPMEM_A_PRIVATE_KEY]),
			 IPMEM_KEY_SIZE);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	if (nla_put_u8(msg, IPMEM_A_KEY_SLOT, slot) ||
	    nla_put(msg, IPMEM_A_PUBLIC_KEY, IPMEM_KEY_SIZE, pub)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ipmem_nl_reply_send(msg, hdr, info);
}

static int ipmem_nl_route_mac(struct sk_buff *skb, struct genl_info *info)
{
	u8 macs[IPMEM_AUTH_SLOTS * IPMEM_AUTH_SLOTS][IPMEM_ROUTE_MAC_LEN];
	struct sk_buff *msg;
	void *hdr;
	int n;

	if (ipmem_nl_missing(info, IPMEM_A_HOST_ID) ||
	    ipmem_nl_missing(info, IPMEM_A_ROUTE))
		return -EINVAL;
	n = ipmem_auth_route_macs(nla_get_u32(info->attrs[IPMEM_A_HOST_ID]),
				  nla_data(info->attrs[IPMEM_A_ROUTE]),
				  nla_len(info->attrs[IPMEM_A_ROUTE]), macs,
				  info->extack);
	if (n < 0)
		return n;
	msg = ipmem_nl_reply_new(info, IPMEM_CMD_ROUTE_MAC, NLMSG_GOODSIZE,
				 &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, IPMEM_A_ROUTE_MAC, n * IPMEM_ROUTE_MAC_LEN, macs)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ipmem_nl_reply_send(msg, hdr, info);
}

static int ipmem_nl_host_key_del(struct sk_buff *skb, struct genl_info *info)
{
	return ipmem_auth_key_del(ipmem_nl_slot(info), info->extack);
}

static int ipmem_nl_host_key_dump(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	u8 pub[IPMEM_KEY_SIZE];
	long slot;
	void *hdr;

	for (slot = cb->args[0]; slot < IPMEM_AUTH_SLOTS; slot++) {
		if (!ipmem_auth_key_get(slot, pub))
			continue;
		hdr = ipmem_nl_dump_hdr(skb, cb, IPMEM_CMD_HOST_KEY_GET);
		if (!hdr ||
		    nla_put_u8(skb, IPMEM_A_KEY_SLOT, slot) ||
		    nla_put(skb, IPMEM_A_PUBLIC_KEY, IPMEM_KEY_SIZE, pub)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = slot;
	return skb->len;
}

static int ipmem_nl_peer_key_new(struct sk_buff *skb, struct genl_info *info)
{
	if (ipmem_nl_missing(info, IPMEM_A_HOST_ID) ||
	    ipmem_nl_missing(info, IPMEM_A_PUBLIC_KEY))
		return -EINVAL;
	return ipmem_auth_peer_add(nla_get_u32(info->attrs[IPMEM_A_HOST_ID]),
				   nla_data(info->attrs[IPMEM_A_PUBLIC_KEY]),
				   info->extack);
}

static int ipmem_nl_peer_key_del(struct sk_buff *skb, struct genl_info *info)
{
	if (ipmem_nl_missing(info, IPMEM_A_HOST_ID))
		return -EINVAL;
	return ipmem_auth_peer_del(nla_get_u32(info->attrs[IPMEM_A_HOST_ID]),
				   info->attrs[IPMEM_A_PUBLIC_KEY] ?
				   nla_data(info->attrs[IPMEM_A_PUBLIC_KEY]) :
				   NULL, info->extack);
}

static int ipmem_nl_peer_key_fill(struct sk_buff *skb, u32 host,
				  const u8 *pub, void *arg)
{
	struct netlink_callback *cb = arg;
	void *hdr;

	hdr = ipmem_nl_dump_hdr(skb, cb, IPMEM_CMD_PEER_KEY_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, IPMEM_A_HOST_ID, host) ||
	    nla_put(skb, IPMEM_A_PUBLIC_KEY, IPMEM_KEY_SIZE, pub)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int ipmem_nl_peer_key_dump(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	ipmem_auth_peer_dump(skb, ipmem_nl_peer_key_fill, cb,
			     (long *)&cb->args[0]);
	return skb->len;
}

/* ---------------------------------------------------------------- lender */

static int ipmem_nl_pool_new(struct sk_buff *skb, struct genl_info *info)
{
	u16 port = IPMEM_PORT;
	u32 bs;
	int err;

	if (ipmem_nl_missing(info, IPMEM_A_SIZE) ||
	    ipmem_nl_missing(info, IPMEM_A_ADDR))
		return -EINVAL;
	bs = ipmem_nl_block_size(info, &err);
	if (err)
		return err;
	if (info->attrs[IPMEM_A_PORT])
		port = nla_get_u16(info->attrs[IPMEM_A_PORT]);
	return ipmem_pool_create(nla_get_u64(info->attrs[IPMEM_A_SIZE]), bs,
				 nla_data(info->attrs[IPMEM_A_ADDR]), port,
				 info->extack);
}

static int ipmem_nl_pool_del(struct sk_buff *skb, struct genl_info *info)
{
	return ipmem_pool_destroy(info->extack);
}

static int ipmem_nl_pool_shrink(struct sk_buff *skb, struct genl_info *info)
{
	if (ipmem_nl_missing(info, IPMEM_A_SIZE))
		return -EINVAL;
	return ipmem_pool_shrink(nla_get_u64(info->attrs[IPMEM_A_SIZE]),
				 info->extack);
}

static int ipmem_nl_fill_pool(struct sk_buff *msg)
{
	struct ipmem_pool *pool = ipmem_pool;

	lockdep_assert_held(&ipmem_lnd_lock);

	if (nla_put_u64_64bit(msg, IPMEM_A_SIZE,
			      pool->nr_blocks << pool->block_shift,
			      IPMEM_A_PAD) ||
	    nla_put_u32(msg, IPMEM_A_BLOCK_SIZE, pool->block_size) ||
	    ipmem_nl_put_addr(msg, IPMEM_A_NET_PREFIX, ipmem_host.net) ||
	    nla_put_u32(msg, IPMEM_A_HOST_ID, ipmem_host.host_id) ||
	    ipmem_nl_put_addr(msg, IPMEM_A_ADDR, &pool->addr.sin6_addr) ||
	    nla_put_u16(msg, IPMEM_A_PORT, ntohs(pool->addr.sin6_port)) ||
	    nla_put_u64_64bit(msg, IPMEM_A_BLOCKS_TOTAL, pool->nr_blocks,
			      IPMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, IPMEM_A_BLOCKS_FREE, pool->nr_free,
			      IPMEM_A_PAD) ||
	    nla_put_u64_64bit(msg, IPMEM_A_EPOCH, pool->epoch, IPMEM_A_PAD))
		return -EMSGSIZE;
	if (pool->limit < pool->nr_blocks &&
	    nla_put_u64_64bit(msg, IPMEM_A_SHRINK_TO,
			      pool->limit << pool->block_shift, IPMEM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int ipmem_nl_pool_get(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = ipmem_nl_reply_new(info, IPMEM_CMD_POOL_GET, NLMSG_GOODSIZE,
				 &hdr);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&ipmem_lnd_lock);
	if (!ipmem_pool) {
		NL_SET_ERR_MSG(info->extack, "this host lends no pool");
		ret = -ENOENT;
	} else {
		ret = ipmem_nl_fill_pool(msg);
	}
	mutex_unlock(&ipmem_lnd_lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return ipmem_nl_reply_send(msg, hdr, info);
}

static int ipmem_nl_grant_new(struct sk_buff *skb, struct genl_info *info)
{
	const u8 *prefix;
	u8 plen;

	prefix = ipmem_nl_prefix(info, &plen);
	if (!prefix || ipmem_nl_missing(info, IPMEM_A_BORROWER) ||
	    ipmem_nl_missing(info, IPMEM_A_RIGHTS))
		return -EINVAL;
	return ipmem_grant_add(prefix, plen,
			       nla_get_u32(info->attrs[IPMEM_A_BORROWER]),
			       nla_get_u8(info->attrs[IPMEM_A_RIGHTS]),
			       info->extack);
}

static int ipmem_nl_grant_reserve(struct sk_buff *skb, struct genl_info *info)
{
	u32 tmo = IPMEM_RESERVE_TIMEOUT_MS;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (ipmem_nl_missing(info, IPMEM_A_BLOCK_COUNT) ||
	    ipmem_nl_missing(info, IPMEM_A_BORROWER) ||
	    ipmem_nl_missing(info, IPMEM_A_RIGHTS))
		return -EINVAL;
	if (info->attrs[IPMEM_A_TIMEOUT_MS])
		tmo = nla_get_u32(info->attrs[IPMEM_A_TIMEOUT_MS]);

	/* room for a few hundred prefixes */
	msg = ipmem_nl_reply_new(info, IPMEM_CMD_GRANT_RESERVE, 32768, &hdr);
	if (!msg)
		return -ENOMEM;
	ret = ipmem_grant_reserve(nla_get_u64(info->attrs[IPMEM_A_BLOCK_COUNT]),
				  nla_get_u32(info->attrs[IPMEM_A_BORROWER]),
				  nla_get_u8(info->attrs[IPMEM_A_RIGHTS]), tmo,
				  msg, info->extack);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return ipmem_nl_reply_send(msg, hdr, info);
}

static int ipmem_nl_grant_confirm(struct sk_buff *skb, struct genl_info *info)
{
	const u8 *prefix;
	u8 plen;

	prefix = ipmem_nl_prefix(info, &plen);
	if (!prefix)
		return -EINVAL;
	return ipmem_grant_confirm(prefix, plen, info->extack);
}

static int ipmem_nl_grant_del(struct sk_buff *skb, struct genl_info *info)
{
	const u8 *prefix;
	u8 plen;

	prefix = ipmem_nl_prefix(info, &plen);
	if (!prefix)
		return -EINVAL;
	return ipmem_grant_del(prefix, plen,
			       nla_get_flag(info->attrs[IPMEM_A_FORCE]),
			       info->extack);
}

static int ipmem_nl_grant_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	long idx = 0, start = cb->args[0];
	struct ipmem_grant *g;
	void *hdr;

	mutex_lock(&ipmem_lnd_lock);
	if (!ipmem_pool)
		goto out;
	list_for_each_entry(g, &ipmem_pool->grants, node) {
		if (idx++ < start)
			continue;
		hdr = ipmem_nl_dump_hdr(skb, cb, IPMEM_CMD_GRANT_GET);
		if (!hdr || ipmem_grant_fill(skb, g)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			idx--;
			break;
		}
		genlmsg_end(skb, hdr);
	}
out:
	mutex_unlock(&ipmem_lnd_lock);
	cb->args[0] = idx;
	return skb->len;
}

static int ipmem_nl_peer_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	long idx = 0, start = cb->args[0];
	struct ipmem_lnd_sess *sess;
	void *hdr;

	mutex_lock(&ipmem_lnd_lock);
	if (!ipmem_pool)
		goto out;
	list_for_each_entry(sess, &ipmem_pool->sessions, node) {
		if (idx++ < start)
			continue;
		hdr = ipmem_nl_dump_hdr(skb, cb, IPMEM_CMD_PEER_GET);
		if (!hdr ||
		    nla_put_u32(skb, IPMEM_A_BORROWER, sess->borrower) ||
		    ipmem_nl_put_addr(skb, IPMEM_A_NEXTHOP,
				      &sess->peer.sin6_addr) ||
		    nla_put_u64_64bit(skb, IPMEM_A_BLOCK_COUNT,
				      sess->nr_registered, IPMEM_A_PAD)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			idx--;
			break;
		}
		genlmsg_end(skb, hdr);
	}
out:
	mutex_unlock(&ipmem_lnd_lock);
	cb->args[0] = idx;
	return skb->len;
}

/* -------------------------------------------------------------- borrower */

static int ipmem_nl_route_new(struct sk_buff *skb, struct genl_info *info)
{
	u16 port = IPMEM_PORT;
	const u8 *prefix;
	u8 plen;

	prefix = ipmem_nl_prefix(info, &plen);
	if (!prefix || ipmem_nl_missing(info, IPMEM_A_NEXTHOP))
		return -EINVAL;
	if (info->attrs[IPMEM_A_PORT])
		port = nla_get_u16(info->attrs[IPMEM_A_PORT]);
	return ipmem_route_add(prefix, plen,
			       nla_data(info->attrs[IPMEM_A_NEXTHOP]), port,
			       info->extack);
}

static int ipmem_nl_route_del(struct sk_buff *skb, struct genl_info *info)
{
	const u8 *prefix;
	u8 plen;

	prefix = ipmem_nl_prefix(info, &plen);
	if (!prefix)
		return -EINVAL;
	return ipmem_route_del(prefix, plen, info->extack);
}

static int ipmem_nl_disk_new(struct sk_buff *skb, struct genl_info *info)
{
	struct ipmem_disk *d;
	struct sk_buff *msg;
	u8 replicas = 1, encrypt = 1;
	int id = -1, err;
	void *hdr;
	u32 bs;

	if (ipmem_nl_missing(info, IPMEM_A_SIZE))
		return -EINVAL;
	bs = ipmem_nl_block_size(info, &err);
	if (err)
		return err;
	if (info->attrs[IPMEM_A_REPLICAS])
		replicas = nla_get_u8(info->attrs[IPMEM_A_REPLICAS]);
	if (info->attrs[IPMEM_A_DISK])
		id = nla_get_u32(info->attrs[IPMEM_A_DISK]);
	if (info->attrs[IPMEM_A_ENCRYPT])
		encrypt = nla_get_u8(info->attrs[IPMEM_A_ENCRYPT]);

	msg = ipmem_nl_reply_new(info, IPMEM_CMD_DISK_NEW, NLMSG_GOODSIZE,
				 &hdr);
	if (!msg)
		return -ENOMEM;
	err = ipmem_disk_create(nla_get_u64(info->attrs[IPMEM_A_SIZE]), bs,
				replicas, id, encrypt, &d, info->extack);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	if (nla_put_u32(msg, IPMEM_A_DISK, d->id) ||
	    nla_put_string(msg, IPMEM_A_NAME, d->gd->disk_name)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ipmem_nl_reply_send(msg, hdr, info);
}

static int ipmem_nl_disk_del(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	if (ipmem_nl_missing(info, IPMEM_A_DISK))
		return -EINVAL;
	ret = ipmem_disk_remove(nla_get_u32(info->attrs[IPMEM_A_DISK]),
				info->extack);
	if (!ret)
		ipmem_clt_reap_sync();
	return ret;
}

static int ipmem_nl_disk_get(struct sk_buff *skb, struct genl_info *info)
{
	struct ipmem_disk *d;
	struct sk_buff *msg;
	void *hdr;

	if (ipmem_nl_missing(info, IPMEM_A_DISK))
		return -EINVAL;
	d = ipmem_disk_find(nla_get_u32(info->attrs[IPMEM_A_DISK]));
	if (!d) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[IPMEM_A_DISK],
				    "no such disk");
		return -ENOENT;
	}
	msg = ipmem_nl_reply_new(info, IPMEM_CMD_DISK_GET, NLMSG_GOODSIZE,
				 &hdr);
	if (!msg)
		return -ENOMEM;
	if (ipmem_disk_fill(msg, d)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ipmem_nl_reply_send(msg, hdr, info);
}

static int ipmem_nl_disk_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	long idx = 0, start = cb->args[0];
	struct ipmem_disk *d;
	void *hdr;

	mutex_lock(&ipmem_blk_lock);
	list_for_each_entry(d, &ipmem_disks, node) {
		if (idx++ < start)
			continue;
		hdr = ipmem_nl_dump_hdr(skb, cb, IPMEM_CMD_DISK_GET);
		if (!hdr || ipmem_disk_fill(skb, d)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			idx--;
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&ipmem_blk_lock);
	cb->args[0] = idx;
	return skb->len;
}

static int ipmem_nl_map_new(struct sk_buff *skb, struct genl_info *info)
{
	s64 extent = -1;
	int replica = -1, rep_out, ret;
	struct ipmem_disk *d;
	struct sk_buff *msg;
	const u8 *prefix;
	u64 ext_out;
	void *hdr;
	u8 plen;

	prefix = ipmem_nl_prefix(info, &plen);
	if (!prefix || ipmem_nl_missing(info, IPMEM_A_DISK))
		return -EINVAL;
	d = ipmem_disk_find(nla_get_u32(info->attrs[IPMEM_A_DISK]));
	if (!d) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[IPMEM_A_DISK],
				    "no such disk");
		return -ENOENT;
	}
	if (info->attrs[IPMEM_A_EXTENT]) {
		u64 e = nla_get_u64(info->attrs[IPMEM_A_EXTENT]);

		if (e >= d->nr_extents) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[IPMEM_A_EXTENT],
					    "extent is past the end of the disk");
			return -ERANGE;
		}
		extent = e;
	}
	if (info->attrs[IPMEM_A_REPLICA])
		replica = nla_get_u8(info->attrs[IPMEM_A_REPLICA]);

	msg = ipmem_nl_reply_new(info, IPMEM_CMD_MAP_NEW, NLMSG_GOODSIZE,
				 &hdr);
	if (!msg)
		return -ENOMEM;
	ret = ipmem_map_add(d, prefix, plen, extent, replica, &ext_out,
			    &rep_out, info->extack);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	if (nla_put_u64_64bit(msg, IPMEM_A_EXTENT, ext_out, IPMEM_A_PAD) ||
	    nla_put_u8(msg, IPMEM_A_REPLICA, rep_out)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return ipmem_nl_reply_send(msg, hdr, info);
}

static int ipmem_nl_map_del(struct sk_buff *skb, struct genl_info *info)
{
	const u8 *prefix;
	u8 plen;
	int ret;

	prefix = ipmem_nl_prefix(info, &plen);
	if (!prefix)
		return -EINVAL;
	ret = ipmem_map_del(prefix, plen,
			    nla_get_flag(info->attrs[IPMEM_A_FORCE]),
			    nla_get_flag(info->attrs[IPMEM_A_FREE_ONLY]),
			    info->extack);
	if (!ret)
		ipmem_clt_reap_sync();
	return ret;
}

static int ipmem_nl_map_dump_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = ipmem_genl_dump_attrs(cb);
	struct nlattr *a = attrs[IPMEM_A_DISK];

	cb->args[3] = a ? nla_get_u32(a) + 1 : 0;
	cb->args[4] = nla_get_flag(attrs[IPMEM_A_FREE_ONLY]);
	return 0;
}

/* ---------------------------------------------------------------- family */

static int ipmem_nl_pre_doit(const struct ipmem_genl_doit_ops *ops,
			     struct sk_buff *skb, struct genl_info *info)
{
	mutex_lock(&ipmem_cfg_lock);
	return 0;
}

static void ipmem_nl_post_doit(const struct ipmem_genl_doit_ops *ops,
			       struct sk_buff *skb, struct genl_info *info)
{
	mutex_unlock(&ipmem_cfg_lock);
}

#define IPMEM_OP(_cmd, _doit, _pol)					\
	{								\
		.cmd = _cmd,						\
		.doit = _doit,						\
		.policy = _pol,						\
		.maxattr = IPMEM_A_MAX,					\
		.flags = GENL_ADMIN_PERM,				\
	}

#define IPMEM_GET(_cmd, _doit, _dumpit, _pol)				\
	{								\
		.cmd = _cmd,						\
		.doit = _doit,						\
		.dumpit = _dumpit,					\
		.policy = _pol,						\
		.maxattr = IPMEM_A_MAX,					\
	}

static const struct genl_ops ipmem_ops[] = {
	IPMEM_OP(IPMEM_CMD_SET_HOST_ID, ipmem_nl_set_host_id, ipmem_pol_host),
	IPMEM_GET(IPMEM_CMD_GET_HOST_ID, ipmem_nl_get_host_id, NULL,
		  ipmem_pol_none),
	IPMEM_OP(IPMEM_CMD_POOL_NEW, ipmem_nl_pool_new, ipmem_pol_pool_new),
	IPMEM_OP(IPMEM_CMD_POOL_DEL, ipmem_nl_pool_del, ipmem_pol_none),
	IPMEM_GET(IPMEM_CMD_POOL_GET, ipmem_nl_pool_get, NULL, ipmem_pol_none),
	IPMEM_OP(IPMEM_CMD_GRANT_NEW, ipmem_nl_grant_new,
		 ipmem_pol_grant_new),
	IPMEM_OP(IPMEM_CMD_GRANT_RESERVE, ipmem_nl_grant_reserve,
		 ipmem_pol_grant_reserve),
	IPMEM_OP(IPMEM_CMD_GRANT_CONFIRM, ipmem_nl_grant_confirm,
		 ipmem_pol_prefix),
	IPMEM_OP(IPMEM_CMD_GRANT_DEL, ipmem_nl_grant_del, ipmem_pol_prefix_del),
	IPMEM_GET(IPMEM_CMD_GRANT_GET, NULL, ipmem_nl_grant_dump,
		  ipmem_pol_none),
	IPMEM_GET(IPMEM_CMD_PEER_GET, NULL, ipmem_nl_peer_dump,
		  ipmem_pol_none),
	IPMEM_OP(IPMEM_CMD_ROUTE_NEW, ipmem_nl_route_new,
		 ipmem_pol_route_new),
	IPMEM_OP(IPMEM_CMD_ROUTE_DEL, ipmem_nl_route_del,
		 ipmem_pol_route_del),
	IPMEM_GET(IPMEM_CMD_ROUTE_GET, NULL, ipmem_route_dump, ipmem_pol_none),
	IPMEM_OP(IPMEM_CMD_DISK_NEW, ipmem_nl_disk_new, ipmem_pol_disk_new),
	IPMEM_OP(IPMEM_CMD_DISK_DEL, ipmem_nl_disk_del, ipmem_pol_disk),
	IPMEM_GET(IPMEM_CMD_DISK_GET, ipmem_nl_disk_get, ipmem_nl_disk_dump,
		  ipmem_pol_disk),
	IPMEM_OP(IPMEM_CMD_MAP_NEW, ipmem_nl_map_new, ipmem_pol_map_new),
	IPMEM_OP(IPMEM_CMD_MAP_DEL, ipmem_nl_map_del, ipmem_pol_map_del),
	{
		.cmd = IPMEM_CMD_MAP_GET,
		.start = ipmem_nl_map_dump_start,
		.dumpit = ipmem_map_dump,
		.policy = ipmem_pol_map_get,
		.maxattr = IPMEM_A_MAX,
	},
	IPMEM_GET(IPMEM_CMD_LENDER_GET, NULL, ipmem_lender_dump,
		  ipmem_pol_none),
	IPMEM_OP(IPMEM_CMD_HOST_KEY_SET, ipmem_nl_host_key_set,
		 ipmem_pol_host_key),
	IPMEM_OP(IPMEM_CMD_HOST_KEY_DEL, ipmem_nl_host_key_del,
		 ipmem_pol_host_key),
	IPMEM_GET(IPMEM_CMD_HOST_KEY_GET, NULL, ipmem_nl_host_key_dump,
		  ipmem_pol_none),
	IPMEM_OP(IPMEM_CMD_PEER_KEY_NEW, ipmem_nl_peer_key_new,
		 ipmem_pol_peer_key),
	IPMEM_OP(IPMEM_CMD_PEER_KEY_DEL, ipmem_nl_peer_key_del,
		 ipmem_pol_peer_key),
	IPMEM_GET(IPMEM_CMD_PEER_KEY_GET, NULL, ipmem_nl_peer_key_dump,
		  ipmem_pol_none),
	IPMEM_OP(IPMEM_CMD_ROUTE_MAC, ipmem_nl_route_mac, ipmem_pol_route_mac),
	IPMEM_GET(IPMEM_CMD_VERSION_GET, ipmem_nl_version_get, NULL,
		  ipmem_pol_none),
	IPMEM_OP(IPMEM_CMD_POOL_SHRINK, ipmem_nl_pool_shrink,
		 ipmem_pol_pool_shrink),
};

static struct genl_family ipmem_family __ro_after_init = {
	.name = IPMEM_GENL_NAME,
	.version = IPMEM_GENL_VERSION,
	.maxattr = IPMEM_A_MAX,
	.module = THIS_MODULE,
	/*
	 * ipmem_cfg_lock serialises our requests; without this the genl
	 * mutex would, for every family, while a map waits for a lender.
	 */
	.parallel_ops = true,
	.ops = ipmem_ops,
	.n_ops = ARRAY_SIZE(ipmem_ops),
	.resv_start_op = IPMEM_CMD_POOL_NEW,
	.mcgrps = ipmem_mcgrps,
	.n_mcgrps = ARRAY_SIZE(ipmem_mcgrps),
	.pre_doit = ipmem_nl_pre_doit,
	.post_doit = ipmem_nl_post_doit,
};

/* ---------------------------------------------------------------- events */

static void ipmem_nl_multicast(struct sk_buff *msg, void *hdr)
{
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&ipmem_family, msg, 0, IPMEM_MCGRP_EVENTS_IDX,
			  GFP_KERNEL);
}

static struct sk_buff *ipmem_nl_event_new(u8 cmd, void **hdr)
{
	struct sk_buff *msg;

	if (!genl_has_listeners(&ipmem_family, &init_net,
				IPMEM_MCGRP_EVENTS_IDX))
		return NULL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &ipmem_family, 0, cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* The pool changed (V_i above all); without a pool, an empty message. */
void ipmem_nl_notify_pool(void)
{
	struct sk_buff *msg;
	void *hdr;
	int ret = 0;

	msg = ipmem_nl_event_new(IPMEM_CMD_POOL_GET, &hdr);
	if (!msg)
		return;
	/*
	 * Sent under the lock that the state is read under: two events go
	 * out in the order of the states they carry (a stale one last would
	 * undo a shrink that waits, say, in the listener's view).
	 */
	mutex_lock(&ipmem_lnd_lock);
	if (ipmem_pool)
		ret = ipmem_nl_fill_pool(msg);
	if (ret)
		nlmsg_free(msg);
	else
		ipmem_nl_multicast(msg, hdr);
	mutex_unlock(&ipmem_lnd_lock);
}

void ipmem_nl_notify_grant_del(const struct ipmem_grant *g)
{
	struct sk_buff *msg;
	void *hdr;

	msg = ipmem_nl_event_new(IPMEM_CMD_GRANT_DEL, &hdr);
	if (!msg)
		return;
	if (ipmem_grant_fill(msg, g)) {
		nlmsg_free(msg);
		return;
	}
	ipmem_nl_multicast(msg, hdr);
}

void ipmem_nl_notify_lender(struct ipmem_lender *l)
{
	struct sk_buff *msg;
	void *hdr;

	msg = ipmem_nl_event_new(IPMEM_CMD_LENDER_GET, &hdr);
	if (!msg)
		return;
	if (ipmem_lender_fill(msg, l)) {
		nlmsg_free(msg);
		return;
	}
	ipmem_nl_multicast(msg, hdr);
}

/* Does somebody listen to the events group (who could map a block)? */
bool ipmem_nl_has_listeners(void)
{
	return genl_has_listeners(&ipmem_family, &init_net,
				  IPMEM_MCGRP_EVENTS_IDX);
}

/* A write waits for a copy of @extent of disk @disk: map a block there. */
void ipmem_nl_notify_map_wanted(int disk, u64 extent)
{
	struct sk_buff *msg;
	void *hdr;

	msg = ipmem_nl_event_new(IPMEM_CMD_MAP_WANTED, &hdr);
	if (!msg)
		return;
	if (nla_put_u32(msg, IPMEM_A_DISK, disk) ||
	    nla_put_u64_64bit(msg, IPMEM_A_EXTENT, extent, IPMEM_A_PAD)) {
		nlmsg_free(msg);
		return;
	}
	ipmem_nl_multicast(msg, hdr);
}

int ipmem_nl_init(void)
{
	return genl_register_family(&ipmem_family);
}

void ipmem_nl_exit(void)
{
	genl_unregister_family(&ipmem_family);
}
