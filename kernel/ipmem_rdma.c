// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem: RDMA helpers shared by the lender and the borrower: control
 * message buffers (information units), posting them, and whether a
 * queue's packets can leave.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <net/ip6_route.h>
#include <net/route.h>

#include "ipmem.h"

/**
 * ipmem_iu_alloc() - a DMA-mapped buffer for one control message
 * @dev: the device it is used on
 * @dir: DMA_FROM_DEVICE for receives, DMA_TO_DEVICE for sends
 * @done: completion handler
 *
 * Return: the buffer or NULL.
 */
struct ipmem_iu *ipmem_iu_alloc(struct ib_device *dev,
				enum dma_data_direction dir,
				void (*done)(struct ib_cq *cq, struct ib_wc *wc))
{
	struct ipmem_iu *iu;

	iu = kzalloc(sizeof(*iu), GFP_KERNEL);
	if (!iu)
		return NULL;
	iu->dma = ib_dma_map_single(dev, &iu->msg, sizeof(iu->msg), dir);
	if (ib_dma_mapping_error(dev, iu->dma)) {
		kfree(iu);
		return NULL;
	}
	iu->dir = dir;
	iu->cqe.done = done;
	return iu;
}

void ipmem_iu_free(struct ib_device *dev, struct ipmem_iu *iu)
{
	if (!iu)
		return;
	ib_dma_unmap_single(dev, iu->dma, sizeof(iu->msg), iu->dir);
	kfree(iu);
}

int ipmem_iu_post_recv(struct ib_qp *qp, struct ipmem_iu *iu)
{
	struct ib_sge sge = {
		.addr = iu->dma,
		.length = sizeof(iu->msg),
		.lkey = qp->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &iu->cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};

	ib_dma_sync_single_for_device(qp->device, iu->dma, sizeof(iu->msg),
				      DMA_FROM_DEVICE);
	return ib_post_recv(qp, &wr, NULL);
}

/* Post @iu's message, signaled: its handler runs when the send is done. */
int ipmem_iu_post_send(struct ib_qp *qp, struct ipmem_iu *iu)
{
	struct ib_sge sge = {
		.addr = iu->dma,
		.length = sizeof(iu->msg),
		.lkey = qp->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.wr_cqe = &iu->cqe,
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IB_WR_SEND,
		.send_flags = IB_SEND_SIGNALED,
	};

	ib_dma_sync_single_for_device(qp->device, iu->dma, sizeof(iu->msg),
				      DMA_TO_DEVICE);
	return ib_post_send(qp, &wr, NULL);
}

/* The message of a completed receive, made visible to the CPU. */
struct ipmem_msg *ipmem_iu_recvd(struct ib_cq *cq, struct ipmem_iu *iu)
{
	ib_dma_sync_single_for_cpu(cq->device, iu->dma, sizeof(iu->msg),
				   DMA_FROM_DEVICE);
	return &iu->msg;
}

/*
 * Would Soft-RoCE find a route for a packet of @id, as it looks one up
 * for each packet it sends (rxe_find_route(): from the source address,
 * out of the bound device)?
 */
static bool ipmem_cm_routed(struct rdma_cm_id *id, int ifindex)
{
	const struct sockaddr_storage *src = &id->route.addr.src_addr;
	const struct sockaddr_storage *dst = &id->route.addr.dst_addr;
	bool routed = true;

	if (dst->ss_family == AF_INET6 && src->ss_family == AF_INET6) {
		struct flowi6 fl6 = {
			.flowi6_oif = ifindex,
			.flowi6_proto = IPPROTO_UDP,
			.saddr = ((const struct sockaddr_in6 *)src)->sin6_addr,
			.daddr = ((const struct sockaddr_in6 *)dst)->sin6_addr,
		};
		struct dst_entry *d = ip6_route_output(&init_net, NULL, &fl6);

		routed = !d->error;
		dst_release(d);
	} else if (dst->ss_family == AF_INET && src->ss_family == AF_INET) {
		struct flowi4 fl4 = {
			.flowi4_oif = ifindex,
			.flowi4_proto = IPPROTO_UDP,
			.saddr = ((const struct sockaddr_in *)src)->sin_addr.s_addr,
			.daddr = ((const struct sockaddr_in *)dst)->sin_addr.s_addr,
		};
		struct rtable *rt = ip_route_output_key(&init_net, &fl4);

		routed = !IS_ERR(rt);
		if (routed)
			ip_rt_put(rt);
	}
	return routed;
}

/**
 * ipmem_cm_no_path() - why a packet of @id could not leave now, if it could not
 * @id: a connected (or connecting) rdma_cm id
 *
 * Its RDMA port must be active and, on RoCE, its netdev running with
 * carrier, and the kernel must route its peer's address.  The netdev goes
 * down first: Soft-RoCE marks its port down only when the netdev's
 * notifier gets to it.  A packet that cannot go out puts the Soft-RoCE
 * (rxe, 6.1) queue pair that sends it in the error state, and for
 * rdma_cm's DREQ that is the GSI QP, for good: no connection on that
 * device works any more.  So no teardown while this says why not.
 *
 * Return: NULL if it can tell of no reason, or the reason.
 */
const char *ipmem_cm_no_path(struct rdma_cm_id *id)
{
	int ifindex = id->route.addr.dev_addr.bound_dev_if;
	struct ib_port_attr attr;
	struct net_device *ndev;
	bool up = true;

	if (id->device && !ib_query_port(id->device, id->port_num, &attr))
		up = attr.state == IB_PORT_ACTIVE;
	if (up && ifindex) {
		ndev = dev_get_by_index(&init_net, ifindex);
		if (ndev) {
			up = netif_running(ndev) && netif_carrier_ok(ndev);
			dev_put(ndev);
		}
	}
	if (!up)
		return "our port is down";
	if (!ipmem_cm_routed(id, ifindex))
		return "no route to it";
	return NULL;
}
