#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle: what is in use cannot be pulled away (rmmod, disk removal and
# pool destruction are refused while swap or grants depend on them), and
# swapoff, disk removal, revocation, pool destruction and rmmod give
# everything back: the pool's memory returns to MemFree, revoked blocks
# are zeroed.
#
#   +-----------------------------------------------------------+
#   | g1 (host a4d:1, rxe0 loopback)                             |
#   |   pool 128 MiB -> grant -> /dev/ipmem0 -> swapon, memtouch  |
#   |   then take it all down again, in order                    |
#   +-----------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/swap-scenario.sh"

plan 19
h_init
g_boot g1 --cpus 2 --mem 1024 || bail "guest g1 did not boot"

g_run g1 'ipmem_load && sync && echo 3 > /proc/sys/vm/drop_caches &&
	memfree_kb > /run/share/free.0' >/dev/null || bail "cannot load ipmem.ko"
swap_setup g1 g1 128
g_run g1 'test $(( $(cat /run/share/free.0) - $(memfree_kb) )) -ge $((124 * 1024))'
ok $? "the 128 MiB pool is taken from MemFree"

g_run g1 'swap_on ipmem0 && vmstat_get pswpout > /run/share/pswpout.0 &&
	ipmem_stat ipmem0 writes > /run/share/writes.0 &&
	run_limited 32 memtouch -p 2 64 > /run/share/memtouch.out &&
	grep -q "^total mismatches 0$" /run/share/memtouch.out &&
	test $(vmstat_get pswpout) -gt $(( $(cat /run/share/pswpout.0) + 4096 )) &&
	test $(ipmem_stat ipmem0 writes) -gt $(cat /run/share/writes.0)'
ok $? "swap is on /dev/ipmem0 and a workload swapped more than 16 MiB through it, verified"

out=$(g_run g1 'rmmod ipmem 2>&1'); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "in use"
ok $? "rmmod is refused while swap is on the disk ($out)"
g_run g1 'test -d /sys/module/ipmem && swapon --show=NAME --noheadings | grep -qx /dev/ipmem0'
ok $? "the module and the swap are still there"
out=$(g_run g1 'ipmemctl disk del ipmem0 2>&1'); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "swapoff first"
ok $? "removing the disk is refused while swap is on it"
out=$(g_run g1 'ipmemctl lend destroy 2>&1'); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "the pool has grants"
ok $? "destroying the pool is refused while it has grants"

g_run g1 'swapoff /dev/ipmem0 && ! grep -q ipmem0 /proc/swaps'
ok $? "swapoff"
g_run g1 'ipmemctl disk del ipmem0 && ! test -e /dev/ipmem0 && ! test -e /sys/block/ipmem0'
ok $? "the disk is removed"
g_run g1 'wait_until 30 sh -c "! grep -q borrower /sys/kernel/debug/ipmem/borrowers" &&
	test -z "$(ipmemctl lender list)"'
ok $? "the borrower disconnected from the lender it no longer uses"

# The blocks held swap data (the workload's pages, not only mkswap's
# header); revoked, they must be zero again.
n=$(g_run g1 'nonzero_mib /sys/kernel/debug/ipmem/pool 128')
[ "${n:-0}" -ge 16 ]
ok $? "before revocation the lent blocks hold the swapped pages (${n:-?} MiB not zero)"
g_run g1 'id=$(host_id); ipmemctl grant del $(block_prefix $id 2048) &&
	test $(cat /sys/module/ipmem/pool/blocks_free) -eq 2048'
ok $? "revoking the grant frees all 2048 blocks"
g_run g1 'dd if=/sys/kernel/debug/ipmem/pool bs=1M count=128 status=none | cmp -s - /dev/zero -n $((128 << 20))'
ok $? "revoked blocks are zeroed"

g_run g1 'memfree_kb > /run/share/free.1 && ipmemctl lend destroy &&
	test $(( $(memfree_kb) - $(cat /run/share/free.1) )) -ge $((124 * 1024))'
ok $? "destroying the pool gives its 128 MiB back to MemFree"
g_run g1 'test "$(cat /sys/module/ipmem/pool/blocks_total)" = 0 && ctl_is ".lender.pool == null" status'
ok $? "no pool is left"

g_run g1 'rmmod ipmem && ! test -e /sys/module/ipmem'
ok $? "rmmod now succeeds"
g_run g1 'ipmem_load && ctl_is ".lender.pool == null" status && rmmod ipmem'
ok $? "a fresh load starts from nothing"
g_dmesg_clean g1
ok $? "nothing at warning level or above in dmesg"
h_done
