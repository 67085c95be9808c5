#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Swap to remote memory in one guest: the lender and the borrower are the
# same kernel, over rxe loopback.  A workload confined to half its working
# set writes a distinct pattern into every page and verifies every page,
# sequentially and in random order, over several passes.  Then swapoff
# while a stopped workload's pages are out: it resumes and verifies them.
#
#   +-----------------------------------------------------------+
#   | g1 (10.77.0.1, host a4d:1)                                 |
#   |   lender:   pool 256 MiB, granted rw to a4d:1              |
#   |   borrower: /dev/ipmem0 --RDMA, rxe0 loopback--> the pool  |
#   |   swapon /dev/ipmem0; memtouch 64 MiB in memory.max 32    |
#   +-----------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/swap-scenario.sh"

plan 14
h_init
g_boot g1 --cpus 2 --mem 1024 || bail "guest g1 did not boot"
swap_setup g1 g1 256
swap_workload g1 64
swap_paused_swapoff g1 48
g_dmesg_clean g1
ok $? "nothing at warning level or above in dmesg"
h_done
