// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem: RDMA helpers shared by the lender and the borrower: control
 * message buffers (information units) and posting them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

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
 * Is the port of @id up: its RDMA port active and, on RoCE, its netdev
 * running with carrier?  The netdev goes down first: Soft-RoCE marks its
 * port down only when the netdev's notifier gets to it, and sending a
 * MAD (rdma_cm's DREQ) in between puts its GSI QP in the error state for
 * good.  True if it cannot tell.
 */
bool ipmem_cm_port_up(struct rdma_cm_id *id)
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
	return up;
}
