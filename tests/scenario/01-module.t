#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module loads and unloads cleanly with Soft-RoCE up; its netlink
# family, sysfs and debugfs entries come and go with it.
#
#   +---------------------------------+
#   | g1                              |
#   |   eth0 fd00:77::1 -- rxe0       |
#   |   insmod ipmem.ko ... rmmod     |
#   +---------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

plan 10
h_init
g_boot g1 || bail "guest g1 did not boot"

g_run g1 'rdma link show rxe0/1 | grep -q ACTIVE'
ok $? "rxe0 is up on eth0"
g_run g1 'ipmem_load'
ok $? "ipmem.ko loads"
g_run g1 'genl ctrl get name ipmem | grep -q "Name: ipmem"'
ok $? "generic netlink family ipmem is registered"
g_run g1 'for f in block_size blocks_total blocks_free address port epoch grants borrowers; do
	test -r /sys/module/ipmem/pool/$f || { echo "no $f"; exit 1; }; done
	test "$(cat /sys/module/ipmem/pool/blocks_total)" = 0'
ok $? "/sys/module/ipmem/pool/ has its files, and no pool yet"
g_run g1 'for f in table latency lenders grants borrowers; do
	test -r /sys/kernel/debug/ipmem/$f || { echo "no $f"; exit 1; }; done'
ok $? "/sys/kernel/debug/ipmem/ has its files"
g_run g1 'ctl_is "(.module.wire_protocol | type) == \"number\" and .lender.pool == null" status'
ok $? "ipmemctl talks to the module: its wire protocol, no pool"

g_run g1 'rmmod ipmem'
ok $? "ipmem.ko unloads"
g_run g1 '! genl ctrl get name ipmem >/dev/null 2>&1 &&
	! test -e /sys/module/ipmem && ! test -e /sys/kernel/debug/ipmem'
ok $? "family, sysfs and debugfs are gone"
g_run g1 'ipmem_load && rmmod ipmem'
ok $? "it loads and unloads again"
g_dmesg_clean g1
ok $? "nothing at warning level or above in dmesg"
h_done
