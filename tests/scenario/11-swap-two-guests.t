#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Swap to the memory of another host over the virtual network.
#
#   +------------------------+            +-------------------------+
#   | g1 lender (a4d:1)      |  RoCEv2    | g2 borrower (a4d:2)     |
#   |  pool 256 MiB          |<---------->|  /dev/ipmem0 -> g1      |
#   |  fd00:77::1  rxe0      |  eth0      |  fd00:77::2  rxe0       |
#   +------------------------+            |  memtouch 96 MiB / 48   |
#                                         +-------------------------+
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/swap-scenario.sh"

plan 13
h_init
g_boot g1 --mem 768 || bail "guest g1 did not boot"
g_boot g2 --mem 768 || bail "guest g2 did not boot"
swap_setup g1 g2 256
swap_workload g2 96
g_run g1 'grep -q "borrower 0a4d0002 from fd00:77::2" /sys/kernel/debug/ipmem/borrowers'
ok $? "the lender sees the borrower connected from g2"
g_dmesg_clean g1
ok $? "lender: nothing at warning level or above in dmesg"
g_dmesg_clean g2
ok $? "borrower: nothing at warning level or above in dmesg"
h_done
