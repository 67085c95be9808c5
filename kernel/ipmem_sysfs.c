// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem sysfs: read-only views (Documentation/ABI/testing/sysfs-*-ipmem).
 *
 *   /sys/block/ipmemN/ipmem/   one borrower disk
 *   /sys/module/ipmem/pool/    this host's lender pool
 *   /sys/module/ipmem/auth/    host authentication
 *
 * Configuration goes through netlink, never through these files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/module.h>

#include "ipmem_blk.h"

static struct ipmem_disk *dev_to_ipmem(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", ipmem_disk_state(dev_to_ipmem(dev)));
}
static DEVICE_ATTR_RO(state);

#define IPMEM_DISK_ATTR(_name, _fmt, _expr)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct ipmem_disk *d = dev_to_ipmem(dev);			\
									\
	return sysfs_emit(buf, _fmt "\n", _expr);			\
}									\
static DEVICE_ATTR_RO(_name)

IPMEM_DISK_ATTR(size, "%llu", d->size);
IPMEM_DISK_ATTR(block_size, "%u", d->block_size);
IPMEM_DISK_ATTR(replicas, "%u", d->replicas);
IPMEM_DISK_ATTR(extents, "%llu", d->nr_extents);
IPMEM_DISK_ATTR(mapped_copies, "%llu", READ_ONCE(d->nr_mapped));
IPMEM_DISK_ATTR(encryption, "%s",
		d->crypt ? ipmem_crypt_driver(d->crypt) : "off");

#define IPMEM_STAT_ATTR(_name, _idx)					\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct ipmem_disk_stats s;					\
									\
	ipmem_disk_stats_sum(dev_to_ipmem(dev), &s);			\
	return sysfs_emit(buf, "%llu\n", s.v[_idx]);			\
}									\
static DEVICE_ATTR_RO(_name)

IPMEM_STAT_ATTR(reads, IPMEM_STAT_READS);
IPMEM_STAT_ATTR(writes, IPMEM_STAT_WRITES);
IPMEM_STAT_ATTR(read_bytes, IPMEM_STAT_READ_BYTES);
IPMEM_STAT_ATTR(write_bytes, IPMEM_STAT_WRITE_BYTES);
IPMEM_STAT_ATTR(discards, IPMEM_STAT_DISCARDS);
IPMEM_STAT_ATTR(errors, IPMEM_STAT_ERRORS);
IPMEM_STAT_ATTR(failovers, IPMEM_STAT_FAILOVERS);
IPMEM_STAT_ATTR(refills, IPMEM_STAT_REFILLS);
IPMEM_STAT_ATTR(inflight, IPMEM_STAT_INFLIGHT);
IPMEM_STAT_ATTR(lost_pages, IPMEM_STAT_LOST_PAGES);
IPMEM_STAT_ATTR(integrity_errors, IPMEM_STAT_INTEGRITY_ERRORS);
IPMEM_STAT_ATTR(unmapped_waits, IPMEM_STAT_UNMAPPED_WAITS);

static struct attribute *ipmem_disk_attrs[] = {
	&dev_attr_state.attr,
	&dev_attr_size.attr,
	&dev_attr_block_size.attr,
	&dev_attr_replicas.attr,
	&dev_attr_extents.attr,
	&dev_attr_mapped_copies.attr,
	&dev_attr_encryption.attr,
	&dev_attr_reads.attr,
	&dev_attr_writes.attr,
	&dev_attr_read_bytes.attr,
	&dev_attr_write_bytes.attr,
	&dev_attr_discards.attr,
	&dev_attr_errors.attr,
	&dev_attr_failovers.attr,
	&dev_attr_refills.attr,
	&dev_attr_inflight.attr,
	&dev_attr_lost_pages.attr,
	&dev_attr_integrity_errors.attr,
	&dev_attr_unmapped_waits.attr,
	NULL,
};

static const struct attribute_group ipmem_disk_group = {
	.name = "ipmem",
	.attrs = ipmem_disk_attrs,
};

const struct attribute_group *ipmem_disk_groups[] = {
	&ipmem_disk_group,
	NULL,
};

/* ------------------------------------------------------------ the pool */

static struct kobject *ipmem_pool_kobj;

/* Each pool file shows 0 (or "none") while this host lends nothing. */
#define IPMEM_POOL_ATTR(_name, _fmt, _expr, _none)			\
static ssize_t pool_##_name##_show(struct kobject *kobj,		\
				 struct kobj_attribute *attr, char *buf)\
{									\
	struct ipmem_pool *pool;					\
	ssize_t ret;							\
									\
	mutex_lock(&ipmem_lnd_lock);					\
	pool = ipmem_pool;						\
	if (pool)							\
		ret = sysfs_emit(buf, _fmt "\n", _expr);		\
	else								\
		ret = sysfs_emit(buf, "%s\n", _none);			\
	mutex_unlock(&ipmem_lnd_lock);					\
	return ret;							\
}									\
static struct kobj_attribute ipmem_pool_##_name =			\
	__ATTR(_name, 0444, pool_##_name##_show, NULL)

static unsigned int ipmem_pool_count_grants(struct ipmem_pool *pool)
{
	struct ipmem_grant *g;
	unsigned int n = 0;

	list_for_each_entry(g, &pool->grants, node)
		n++;
	return n;
}

static unsigned int ipmem_pool_count_sessions(struct ipmem_pool *pool)
{
	struct ipmem_lnd_sess *s;
	unsigned int n = 0;

	list_for_each_entry(s, &pool->sessions, node)
		n++;
	return n;
}

IPMEM_POOL_ATTR(block_size, "%u", pool->block_size, "0");
IPMEM_POOL_ATTR(blocks_total, "%llu", pool->nr_blocks, "0");
IPMEM_POOL_ATTR(blocks_free, "%llu", pool->nr_free, "0");
IPMEM_POOL_ATTR(address, "%pI6c", &pool->addr.sin6_addr, "none");
IPMEM_POOL_ATTR(port, "%u", ntohs(pool->addr.sin6_port), "0");
IPMEM_POOL_ATTR(epoch, "%016llx", pool->epoch, "0");
IPMEM_POOL_ATTR(grants, "%u", ipmem_pool_count_grants(pool), "0");
IPMEM_POOL_ATTR(borrowers, "%u", ipmem_pool_count_sessions(pool), "0");
IPMEM_POOL_ATTR(listening, "%d", !!pool->listen_id, "0");

static struct attribute *ipmem_pool_attrs[] = {
	&ipmem_pool_block_size.attr,
	&ipmem_pool_blocks_total.attr,
	&ipmem_pool_blocks_free.attr,
	&ipmem_pool_address.attr,
	&ipmem_pool_port.attr,
	&ipmem_pool_epoch.attr,
	&ipmem_pool_grants.attr,
	&ipmem_pool_borrowers.attr,
	&ipmem_pool_listening.attr,
	NULL,
};

static const struct attribute_group ipmem_pool_group = {
	.attrs = ipmem_pool_attrs,
};

/* ---------------------------------------------------- authentication */

static struct kobject *ipmem_auth_kobj;

static ssize_t auth_host_keys_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	u8 pub[IPMEM_KEY_SIZE];
	int slot, n = 0;

	for (slot = 0; slot < IPMEM_AUTH_SLOTS; slot++)
		n += ipmem_auth_key_get(slot, pub);
	return sysfs_emit(buf, "%d\n", n);
}

static ssize_t auth_refused_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(&ipmem_auth_refused));
}

static ssize_t auth_lender_failures_show(struct kobject *kobj,
					 struct kobj_attribute *attr,
					 char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&ipmem_auth_lender_failed));
}

static struct kobj_attribute ipmem_auth_host_keys =
	__ATTR(host_keys, 0444, auth_host_keys_show, NULL);
static struct kobj_attribute ipmem_auth_refused_attr =
	__ATTR(refused, 0444, auth_refused_show, NULL);
static struct kobj_attribute ipmem_auth_lender_failures =
	__ATTR(lender_failures, 0444, auth_lender_failures_show, NULL);

static struct attribute *ipmem_auth_attrs[] = {
	&ipmem_auth_host_keys.attr,
	&ipmem_auth_refused_attr.attr,
	&ipmem_auth_lender_failures.attr,
	NULL,
};

static const struct attribute_group ipmem_auth_group = {
	.attrs = ipmem_auth_attrs,
};

static struct kobject *ipmem_sysfs_dir(const char *name,
				       const struct attribute_group *grp)
{
	struct kobject *kobj;

	kobj = kobject_create_and_add(name, &THIS_MODULE->mkobj.kobj);
	if (kobj && sysfs_create_group(kobj, grp)) {
		kobject_put(kobj);
		kobj = NULL;
	}
	return kobj;
}

int ipmem_sysfs_init(void)
{
	ipmem_pool_kobj = ipmem_sysfs_dir("pool", &ipmem_pool_group);
	if (!ipmem_pool_kobj)
		return -ENOMEM;
	ipmem_auth_kobj = ipmem_sysfs_dir("auth", &ipmem_auth_group);
	if (!ipmem_auth_kobj) {
		sysfs_remove_group(ipmem_pool_kobj, &ipmem_pool_group);
		kobject_put(ipmem_pool_kobj);
		return -ENOMEM;
	}
	return 0;
}

void ipmem_sysfs_exit(void)
{
	sysfs_remove_group(ipmem_auth_kobj, &ipmem_auth_group);
	kobject_put(ipmem_auth_kobj);
	sysfs_remove_group(ipmem_pool_kobj, &ipmem_pool_group);
	kobject_put(ipmem_pool_kobj);
}
