// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem debugfs (/sys/kernel/debug/ipmem/, Documentation/ABI/testing/
 * debugfs-ipmem): text views for people debugging a host.  Their format
 * may change; tools use netlink.
 *
 *   table      the mem-to-ip table: every extent copy of every disk
 *   latency    RDMA read latency histogram of every disk
 *   lenders    the lenders this host borrows from, and their keys
 *   grants     this lender's grants
 *   borrowers  the borrowers connected to this lender, and what is
 *              registered for each
 *   pool       the lender's memory, block after block (root may write
 *              it: to see what a borrower does with altered data)
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "ipmem.h"

struct dentry *ipmem_debugfs_root;

static int ipmem_debugfs_table_show(struct seq_file *m, void *v)
{
	mutex_lock(&ipmem_cfg_lock);
	ipmem_blk_show_table(m);
	mutex_unlock(&ipmem_cfg_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ipmem_debugfs_table);

static int ipmem_debugfs_latency_show(struct seq_file *m, void *v)
{
	ipmem_blk_show_latency(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ipmem_debugfs_latency);

static int ipmem_debugfs_lenders_show(struct seq_file *m, void *v)
{
	ipmem_clt_show_lenders(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ipmem_debugfs_lenders);

static int ipmem_debugfs_grants_show(struct seq_file *m, void *v)
{
	ipmem_lnd_show_grants(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ipmem_debugfs_grants);

static int ipmem_debugfs_borrowers_show(struct seq_file *m, void *v)
{
	ipmem_lnd_show_borrowers(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ipmem_debugfs_borrowers);

static ssize_t ipmem_debugfs_pool_read(struct file *file, char __user *buf,
				       size_t len, loff_t *ppos)
{
	return ipmem_lnd_pool_rw(buf, len, ppos, false);
}

static ssize_t ipmem_debugfs_pool_write(struct file *file,
					const char __user *buf, size_t len,
					loff_t *ppos)
{
	return ipmem_lnd_pool_rw((char __user *)buf, len, ppos, true);
}

static const struct file_operations ipmem_debugfs_pool_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ipmem_debugfs_pool_read,
	.write = ipmem_debugfs_pool_write,
	.llseek = default_llseek,
};

void ipmem_debugfs_init(void)
{
	/* debugfs is for debugging: failures here are not the module's */
	ipmem_debugfs_root = debugfs_create_dir("ipmem", NULL);
	debugfs_create_file("table", 0400, ipmem_debugfs_root, NULL,
			    &ipmem_debugfs_table_fops);
	debugfs_create_file("latency", 0400, ipmem_debugfs_root, NULL,
			    &ipmem_debugfs_latency_fops);
	debugfs_create_file("lenders", 0400, ipmem_debugfs_root, NULL,
			    &ipmem_debugfs_lenders_fops);
	debugfs_create_file("grants", 0400, ipmem_debugfs_root, NULL,
			    &ipmem_debugfs_grants_fops);
	debugfs_create_file("borrowers", 0400, ipmem_debugfs_root, NULL,
			    &ipmem_debugfs_borrowers_fops);
	debugfs_create_file("pool", 0600, ipmem_debugfs_root, NULL,
			    &ipmem_debugfs_pool_fops);
}

void ipmem_debugfs_exit(void)
{
	debugfs_remove_recursive(ipmem_debugfs_root);
}
