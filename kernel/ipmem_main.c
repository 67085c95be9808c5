// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem: module set-up and teardown, the host's identity, and parameters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <net/netlink.h>

#include "ipmem.h"

/* serialises configuration; see ipmem.h */
DEFINE_MUTEX(ipmem_cfg_lock);
struct ipmem_host ipmem_host;
struct workqueue_struct *ipmem_wq;

unsigned int ipmem_queue_depth = 64;
unsigned int ipmem_max_queues = 4;
unsigned int ipmem_io_fail_tmo = 15;
unsigned int ipmem_connect_tmo = 10;
bool ipmem_direct_read = IPMEM_DIRECT_READ_DEFAULT;
bool ipmem_require_auth = true;
unsigned int ipmem_max_sge = 16;
unsigned int ipmem_ack_timeout = 17;

static int ipmem_param_set_range(const char *val, const struct kernel_param *kp,
				 unsigned int min, unsigned int max)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v < min || v > max)
		return -EINVAL;
	*(unsigned int *)kp->arg = v;
	return 0;
}

static int ipmem_qd_set(const char *val, const struct kernel_param *kp)
{
	return ipmem_param_set_range(val, kp, 4, 1024);
}

static int ipmem_queues_set(const char *val, const struct kernel_param *kp)
{
	return ipmem_param_set_range(val, kp, 1, 64);
}

static int ipmem_sge_set(const char *val, const struct kernel_param *kp)
{
	return ipmem_param_set_range(val, kp, 1, 16);
}

static int ipmem_ack_set(const char *val, const struct kernel_param *kp)
{
	return ipmem_param_set_range(val, kp, 12, 24);
}

static int ipmem_tmo_set(const char *val, const struct kernel_param *kp)
{
	return ipmem_param_set_range(val, kp, 1, 3600);
}

static const struct kernel_param_ops ipmem_qd_ops = {
	.set = ipmem_qd_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops ipmem_queues_ops = {
	.set = ipmem_queues_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops ipmem_sge_ops = {
	.set = ipmem_sge_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops ipmem_ack_ops = {
	.set = ipmem_ack_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops ipmem_tmo_ops = {
	.set = ipmem_tmo_set,
	.get = param_get_uint,
};

module_param_cb(queue_depth, &ipmem_qd_ops, &ipmem_queue_depth, 0444);
MODULE_PARM_DESC(queue_depth,
		 "requests in flight per hardware queue of a disk (4-1024, default 64)");
module_param_cb(max_queues, &ipmem_queues_ops, &ipmem_max_queues, 0444);
MODULE_PARM_DESC(max_queues,
		 "queue pairs per lender and hardware queues per disk, at most one per CPU (1-64, default 4)");
module_param_cb(io_fail_tmo, &ipmem_tmo_ops, &ipmem_io_fail_tmo, 0644);
MODULE_PARM_DESC(io_fail_tmo,
		 "seconds I/O waits for a lost lender to come back before it fails with an I/O error (1-3600, default 15)");
module_param_cb(connect_tmo, &ipmem_tmo_ops, &ipmem_connect_tmo, 0644);
MODULE_PARM_DESC(connect_tmo,
		 "seconds a connection attempt to a lender may take (1-3600, default 10)");
module_param_cb(ack_timeout, &ipmem_ack_ops, &ipmem_ack_timeout, 0644);
MODULE_PARM_DESC(ack_timeout,
		 "how long a borrower's queue pair waits for the lender's acknowledgment before it sends again, as N in 4.096 us * 2^N; after 6 such retries the lender is lost (12-24, default 17: 0.5 s; for queue pairs connected from now on)");
module_param_cb(max_sge, &ipmem_sge_ops, &ipmem_max_sge, 0444);
MODULE_PARM_DESC(max_sge,
		 "pages one RDMA work request of a borrower carries at most; more go out as a chain of work requests (1-16, default 16, lowered further to what the device supports)");
module_param_string(cipher, ipmem_cipher, CRYPTO_MAX_ALG_NAME, 0644);
MODULE_PARM_DESC(cipher,
		 "the AEAD that encrypted disks created from now on seal their pages with: a synchronous one with a 12-byte nonce and a 256-bit key (default rfc7539(chacha20,poly1305); or gcm(aes))");
module_param_named(direct_read, ipmem_direct_read, bool, 0644);
MODULE_PARM_DESC(direct_read,
		 "disks created from now on are synchronous to swap: a swap-in is read straight into the faulting task's page, without swap cache or readahead (->rw_page before 6.3, BLK_FEAT_SYNCHRONOUS after; default Y before 6.3, N after)");
module_param_named(require_auth, ipmem_require_auth, bool, 0444);
MODULE_PARM_DESC(require_auth,
		 "while this host has no host key, refuse every data-plane connection, as lender and as borrower (default Y; N serves and trusts any host that claims an id)");

/**
 * ipmem_prefix_check() - validate a block prefix of this deployment
 * @prefix: the prefix address
 * @plen: its length
 * @host: the lender host id in it
 * @first: first block
 * @count: number of blocks
 * @extack: where to say what is wrong
 *
 * A block prefix lies inside one lender's /80 of our network prefix, has
 * a length of 80 to 128 and no bits set past its length.
 */
int ipmem_prefix_check(const u8 *prefix, u8 plen, u32 *host, u64 *first,
		       u64 *count, struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&ipmem_cfg_lock);

	if (!ipmem_host.set) {
		NL_SET_ERR_MSG(extack, "set the network prefix and host id first");
		return -EINVAL;
	}
	if (plen < IPMEM_HOST_PLEN) {
		NL_SET_ERR_MSG(extack,
			       "block prefix must be /80 or longer (inside one lender's /80)");
		return -EINVAL;
	}
	if (!ipmem_addr_prefix_eq(prefix, ipmem_host.net, IPMEM_NET_PLEN)) {
		NL_SET_ERR_MSG(extack, "prefix is outside the network prefix");
		return -EINVAL;
	}
	if (ipmem_prefix_range(prefix, plen, first, count)) {
		NL_SET_ERR_MSG(extack, "prefix has bits set past its length");
		return -EINVAL;
	}
	*host = ipmem_addr_host(prefix);
	return 0;
}

/*
 * RDMA devices come and go (rdma link add/delete, driver load/unload).
 * Clients are removed in the reverse order of registration, so this one
 * runs before rdma_cm's: everything ipmem has on a device is gone when
 * rdma_cm looks, and no DEVICE_REMOVAL event is left to handle.
 */
static int ipmem_ib_add(struct ib_device *dev)
{
	ipmem_lnd_dev_add(dev);
	return 0;
}

static void ipmem_ib_remove(struct ib_device *dev, void *client_data)
{
	ipmem_lnd_dev_remove(dev);
	ipmem_clt_dev_remove(dev);
}

static struct ib_client ipmem_ib_client = {
	.name = "ipmem",
	.add = ipmem_ib_add,
	.remove = ipmem_ib_remove,
};

static int __init ipmem_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct ipmem_conn_req) != IPMEM_CONN_REQ_SIZE);
	BUILD_BUG_ON(sizeof(struct ipmem_conn_rep) != IPMEM_CONN_REP_SIZE);
	BUILD_BUG_ON(sizeof(struct ipmem_conn_rej) != IPMEM_CONN_REJ_SIZE);
	BUILD_BUG_ON(sizeof(struct ipmem_msg) != IPMEM_MSG_SIZE);

	ipmem_wq = alloc_workqueue("ipmem", WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	if (!ipmem_wq)
		return -ENOMEM;

	ret = ipmem_auth_init();
	if (ret)
		goto out_destroy_wq;

	ret = ib_register_client(&ipmem_ib_client);
	if (ret)
		goto out_auth_exit;

	ret = ipmem_blk_init();
	if (ret)
		goto out_unregister_client;

	ret = ipmem_sysfs_init();
	if (ret)
		goto out_blk_exit;

	ipmem_debugfs_init();

	ret = ipmem_nl_init();
	if (ret)
		goto out_debugfs_exit;

	pr_info("%s loaded (wire protocol %u)\n", IPMEM_VERSION,
		IPMEM_WIRE_VERSION);
	return 0;

out_debugfs_exit:
	ipmem_debugfs_exit();
	ipmem_sysfs_exit();
out_blk_exit:
	ipmem_blk_exit();
out_unregister_client:
	ib_unregister_client(&ipmem_ib_client);
out_auth_exit:
	ipmem_auth_exit();
out_destroy_wq:
	destroy_workqueue(ipmem_wq);
	return ret;
}

static void __exit ipmem_exit(void)
{
	/* No new requests: everything below may assume a quiet world. */
	ipmem_nl_exit();
	ipmem_debugfs_exit();

	mutex_lock(&ipmem_cfg_lock);
	ipmem_blk_exit();
	ipmem_clt_exit();
	ipmem_lnd_exit();
	mutex_unlock(&ipmem_cfg_lock);

	ipmem_sysfs_exit();
	ib_unregister_client(&ipmem_ib_client);
	ipmem_auth_exit();
	destroy_workqueue(ipmem_wq);
	pr_info("unloaded\n");
}

module_init(ipmem_init);
module_exit(ipmem_exit);

MODULE_AUTHOR("The ipmem authors");
MODULE_DESCRIPTION("Swap to memory lent by other hosts, over RDMA");
MODULE_LICENSE("GPL");
MODULE_VERSION(IPMEM_VERSION);
