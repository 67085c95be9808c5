#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Large folios: with transparent huge pages on, the kernel swaps a huge
# page (2 MiB; on 6.12 also 64 KiB "mTHP" folios) out whole, as one bio
# of many pages, which the block layer cuts at ipmem's extent boundaries.
# The verifying workload runs on such memory and every page must come
# back right; the kernel's counters must show that folios did go out
# whole (else this test proved nothing).
#
#   +-----------------------------------------------+
#   | g1 (rxe0 loopback): lender and borrower        |
#   |   THP always (and 64 KiB mTHP where there is) |
#   |   memtouch 96 MiB / memory.max 48 MiB         |
#   +-----------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/swap-scenario.sh"

plan 8
h_init
g_boot g1 --mem 768 || bail "guest g1 did not boot"
swap_setup g1 g1 256

# counters of folios swapped out whole: PMD-sized (thp_swpout) and, on
# kernels with multi-size THP, every size's stats/swpout
g_run g1 'cat > /run/share/large-out <<"EOF"
t=$(awk "\$1 == \"thp_swpout\" { print \$2 }" /proc/vmstat)
for f in /sys/kernel/mm/transparent_hugepage/hugepages-*/stats/swpout; do
	[ -r "$f" ] && t=$((t + $(cat "$f")))
done
echo "$t"
EOF'
g_run g1 'echo always > /sys/kernel/mm/transparent_hugepage/enabled &&
	for d in /sys/kernel/mm/transparent_hugepage/hugepages-64kB; do
		[ -d "$d" ] && echo always > "$d/enabled"; done; true' &&
	g_run g1 'swap_on ipmem0 && sh /run/share/large-out > /run/share/large.0'
ok $? "THP always (64 KiB mTHP too where the kernel has it); swap on ipmem0"

out=$(g_run g1 -t 1500 'run_limited 48 memtouch -p 2 96')
rc=$?
diag "$out"
ok $rc "memtouch 96 MiB under memory.max 48 MiB exits 0"
echo "$out" | grep -q '^pass 2 rand' && echo "$out" | grep -q '^total mismatches 0$'
ok $? "zero mismatches over every pass"

before=$(g_run g1 'cat /run/share/large.0')
after=$(g_run g1 'sh /run/share/large-out')
diag "large folios swapped out whole: $before before, $after after"
[ -n "$after" ] && [ "$after" -gt "${before:-0}" ]
ok $? "large folios were swapped out whole (the kernel's swpout counters moved)"

g_run g1 'test $(ipmem_stat ipmem0 errors) -eq 0 && swapoff /dev/ipmem0'
ok $? "no I/O errors; swapoff"
g_dmesg_clean g1
ok $? "nothing at warning level or above in dmesg"
h_done
