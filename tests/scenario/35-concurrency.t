#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Many at once: two borrowers swap to one lender at the same time, and one
# of them swaps to two ipmem disks of equal swap priority with four
# verifying processes on two vCPUs (both hardware queues, both disks,
# many requests in flight).  Every page of every process verifies.
#
#   +--------------------+        +-------------------------------------+
#   | g1 lender (a4d:1)  |        | g2 borrower (a4d:2), 2 vCPUs         |
#   |  pool 256 MiB      |<------>|  ipmem0, ipmem1: 64 MiB each, pri 5  |
#   |  grants to g2, g3  |        |  4 x memtouch 16 MiB / 8 MiB         |
#   +--------------------+        +-------------------------------------+
#            ^                    +-------------------------------------+
#            +------------------->| g3 borrower (a4d:3)                  |
#                                 |  ipmem0: 64 MiB; memtouch 32 / 16    |
#                                 +-------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

NET=fd69:706d:656d

plan 9
h_init
g_boot_all "g1 --mem 512" "g2 --mem 1024 --cpus 2" "g3 --mem 768" ||
	bail "the guests did not boot"

for g in g1 g2 g3; do
	g_run $g ipmem_load || bail "cannot load ipmem.ko on $g"
done
g_keys g1 g2 g3 || bail "cannot provision host keys"
g_run g1 "ipmem_load && ipmemctl lend 256M dev eth0 &&
	ipmemctl grant add $NET:a4d:1::/118 borrower a4d:2 rights rw &&
	ipmemctl grant add $NET:a4d:1::400/118 borrower a4d:2 rights rw &&
	ipmemctl grant add $NET:a4d:1::800/118 borrower a4d:3 rights rw" >/dev/null &&
g_run g2 "ipmem_load && ipmemctl host set dev eth0 &&
	ipmemctl route add $NET:a4d:1::/80 via $(g_ip6 g1) &&
	ipmemctl disk create 64M && ipmemctl map add $NET:a4d:1::/118 disk ipmem0 &&
	ipmemctl disk create 64M && ipmemctl map add $NET:a4d:1::400/118 disk ipmem1 &&
	swapoff -a && mkswap /dev/ipmem0 && mkswap /dev/ipmem1 &&
	swapon -p 5 /dev/ipmem0 && swapon -p 5 /dev/ipmem1" >/dev/null &&
g_run g3 "ipmem_load && ipmemctl host set dev eth0 &&
	ipmemctl route add $NET:a4d:1::/80 via $(g_ip6 g1) &&
	ipmemctl disk create 64M && ipmemctl map add $NET:a4d:1::800/118 disk ipmem0 &&
	swap_on ipmem0" >/dev/null
ok $? "g2 swaps on two disks of equal priority, g3 on one, all lent by g1"
is "$(g_run g2 "awk 'NR > 1 { print \$1, \$5 }' /proc/swaps | xargs")" \
	"/dev/ipmem0 5 /dev/ipmem1 5" "g2's two disks are swap at priority 5 both"

g_run g2 'for d in ipmem0 ipmem1; do ipmem_stat $d writes > /run/share/w.$d; done'
g_start g2 'for i in 1 2 3 4; do
		run_limited 8 memtouch -p 2 16 > /run/mt.$i 2>&1 &
	done
	wait
	for i in 1 2 3 4; do echo "proc $i: $(tail -n 1 /run/mt.$i)"; done'
j2=$JOB
g_start g3 'run_limited 16 memtouch -p 2 32'
j3=$JOB
out2=$(g_wait g2 "$j2" -t 1500)
rc2=$?
out3=$(g_wait g3 "$j3" -t 1500)
rc3=$?
diag "g2: $out2" "g3: $(echo "$out3" | tail -2)"
[ $rc2 -eq 0 ] && [ "$(echo "$out2" | grep -c 'total mismatches 0$')" -eq 4 ]
ok $? "all four processes on g2 verify every page"
[ $rc3 -eq 0 ] && echo "$out3" | grep -q '^total mismatches 0$'
ok $? "the process on g3, swapping at the same time, verifies every page"
g_run g2 'for d in ipmem0 ipmem1; do
		test $(ipmem_stat $d writes) -gt $(cat /run/share/w.$d) || exit 1
	done'
ok $? "g2 swapped to both disks"
g_run g2 'for d in ipmem0 ipmem1; do test $(ipmem_stat $d errors) -eq 0 || exit 1; done' &&
	g_run g3 'test $(ipmem_stat ipmem0 errors) -eq 0'
ok $? "no request failed on any disk"
g_run g1 'test $(grep -c "^borrower" /sys/kernel/debug/ipmem/borrowers) -eq 2'
ok $? "the lender served both borrowers at once"
g_run g2 'swapoff -a' && g_run g3 'swapoff -a'
ok $? "swapoff on both borrowers"
rc=0
for g in g1 g2 g3; do
	g_dmesg_clean "$g" || rc=1
done
ok $rc "nothing at warning level or above in any guest's dmesg"
h_done
