#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Swap to the memory of another host over the virtual network.  The
# borrower loads ipmem with max_sge=1, so that every request of several
# pages goes out as a chain of one-page RDMA work requests: the path a
# device with few SGEs per work request takes (10-swap-loopback takes the
# default, one work request per request).
#
#   +------------------------+            +-------------------------+
#   | g1 lender (a4d:1)      |  RoCEv2    | g2 borrower (a4d:2)     |
#   |  pool 256 MiB          |<---------->|  /dev/ipmem0 -> g1      |
#   |  fd00:77::1  rxe0      |  eth0      |  fd00:77::2  rxe0       |
#   +------------------------+            |  memtouch 96 MiB / 48   |
#                                         +-------------------------+
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/swap-scenario.sh"

plan 14
h_init
g_boot g1 --mem 768 || bail "guest g1 did not boot"
g_boot g2 --mem 768 || bail "guest g2 did not boot"
g_run g2 'ipmem_load max_sge=1' >/dev/null || bail "cannot load ipmem.ko max_sge=1 on g2"
swap_setup g1 g2 256
swap_workload g2 96
g_run g1 'grep -q "borrower 0a4d:0002 from fd00:77::2" /sys/kernel/debug/ipmem/borrowers'
ok $? "the lender sees the borrower connected from g2"
is "$(g_run g2 'cat /sys/module/ipmem/parameters/max_sge')" 1 "the borrower ran with max_sge=1"
g_dmesg_clean g1
ok $? "lender: nothing at warning level or above in dmesg"
g_dmesg_clean g2
ok $? "borrower: nothing at warning level or above in dmesg"
h_done
