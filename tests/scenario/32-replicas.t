#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# With two copies of every extent, losing a lender loses no data: reads
# fall over to the other copy while the workload runs on.  A replacement
# copy is then mapped and refilled in the background from the survivor;
# after that the survivor is unmapped too.  Last, the one copy left is
# moved, as a lender drain moves it: a spare copy (2, past the disk's
# two) is mapped at the same extents and filled, and the old copy is
# unmapped without force (the module refuses that while the old copy is
# the only current one).  The workload, reading only the moved data at
# the end, still verifies every page.  And a disk of three copies moves
# one of them the same way, to its spare copy 3.
#
#   +---------------------+          +--------------------------------+
#   | g1 lender A (a4d:1) |  RoCEv2  | g2 borrower + lender B (a4d:2)  |
#   |  pool 64 MiB        |<-------->|  pool 208 MiB (rxe0 loopback)   |
#   |  killed mid-run     |          |  /dev/ipmem0, 64 MiB, 2 copies: |
#   +---------------------+          |   copy 0 on A, copy 1 on B      |
#                                    |   then copy 0 on B (refilled)   |
#                                    |   then spare copy 2 on B (moved)|
#                                    |  memtouch 48 MiB / 24 MiB       |
#                                    +--------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

plan 17
h_init
g_boot_all "g1 --mem 512" "g2 --mem 1024" || bail "the guests did not boot"

A=$(g_run g1 'ipmem_load && host_id') || bail "cannot load ipmem.ko on g1"
B=$(g_run g2 'ipmem_load && host_id') || bail "cannot load ipmem.ko on g2"
g_keys g1 g2 || bail "cannot provision host keys"
NET=fd69:706d:656d
g_run g1 "ipmemctl lend 64M dev eth0 && ipmemctl grant add $NET:$A::/118 borrower $B rights rw" &&
g_run g2 "ipmemctl lend 208M dev eth0 &&
	ipmemctl grant add $NET:$B::/118 borrower $B rights rw &&
	ipmemctl grant add $NET:$B::400/118 borrower $B rights rw &&
	ipmemctl grant add $NET:$B::800/118 borrower $B rights rw &&
	ipmemctl route add $NET:$A::/80 via $(g_ip6 g1) &&
	ipmemctl route add $NET:$B::/80 via $(g_ip6 g2) &&
	ipmemctl disk create 64M replicas 2 &&
	ipmemctl map add $NET:$A::/118 disk ipmem0 &&
	ipmemctl map add $NET:$B::/118 disk ipmem0 &&
	swap_on ipmem0" >/dev/null
ok $? "ipmem0 has copy 0 on lender A and copy 1 on lender B; swap is on it"
is "$(g_run g2 'cat /sys/block/ipmem0/ipmem/state')" ready "ipmem0 is ready"

g_start g2 'run_limited 24 memtouch -p 4 -u /run/stop 48'
job=$JOB
g_run g2 'wait_until 300 pswpout_above $(( $(vmstat_get pswpout) + 4000 ))' >/dev/null
ok $? "the workload swaps to both copies"

g_kill g1
g_run g2 -t 300 'wait_until 240 sh -c "test \$(cat /sys/block/ipmem0/ipmem/failovers) -gt 0"'
ok $? "lender A is killed; reads fall over to copy 1"
is "$(g_run g2 'cat /sys/block/ipmem0/ipmem/state')" degraded "ipmem0 is degraded, not failed"

# The replacement: copy 0 moves from dead A to B's second grant.
g_run g2 "ipmemctl map del $NET:$A::/118 && ipmemctl map add $NET:$B::400/118 disk ipmem0 extent 0 replica 0" >/dev/null
ok $? "copy 0 is unmapped from A and mapped to B's second grant"
g_run g2 -t 900 'wait_until 800 sh -c "test \$(cat /sys/block/ipmem0/ipmem/state) = ready"'
ok $? "the refill makes ipmem0 ready again"
g_run g2 'test $(cat /sys/block/ipmem0/ipmem/refills) -gt 0'
ok $? "refills were counted ($(g_run g2 'cat /sys/block/ipmem0/ipmem/refills'))"

# Only the refilled copy is left to read from.
g_run g2 "ipmemctl map del $NET:$B::/118" >/dev/null
ok $? "copy 1 is unmapped: only the refilled copy holds the data"

# The move: copy 0 (B::400) to a spare copy 2 (B::800), under the workload.
out=$(g_run g2 "ipmemctl map add $NET:$B::800/118 disk ipmem0 replica 2 2>&1; echo rc \$?")
echo "$out" | grep -qx "ipmemctl: map add: a spare copy needs an extent" &&
	echo "$out" | grep -qx "rc 1"
ok $? "a spare copy without an extent is refused, with the reason" || diag "$out"
out=$(g_run g2 "ipmemctl map add $NET:$B::800/118 disk ipmem0 extent 0 replica 2 &&
	wait_until 600 sh -c 'ipmemctl map list disk ipmem0 > /tmp/ml &&
		grep -q \" copy 2 \" /tmp/ml && ! grep \" copy 2 \" /tmp/ml | grep -qv \" ok\$\"' &&
	ipmemctl map list disk ipmem0" 2>&1)
rc=$?
diag "$out"
[ $rc -eq 0 ] && echo "$out" | grep -q "^ipmem0 extents 0-1023 copy 2 blocks .* +1024 via .* rw ok$"
ok $? "spare copy 2 is mapped at extent 0 and the refill fills it (map list: ok)"
out=$(g_run g2 "ipmemctl map del $NET:$B::400/118 && ipmemctl map list disk ipmem0 && cat /sys/block/ipmem0/ipmem/state" 2>&1)
rc=$?
diag "$out"
[ $rc -eq 0 ] && ! echo "$out" | grep -q "copy 0" && echo "$out" | grep -q "copy 2 .* rw ok$"
ok $? "the old copy 0 is unmapped without force: the moved copy holds the data"
g_run g2 -t 900 'n=$(grep -c "^pass" /run/share/out.'"$job"'); wait_until 800 sh -c "test \$(grep -c ^pass /run/share/out.'"$job"') -ge $((n + 2))"; rc=$?; touch /run/stop; exit $rc'
ok $? "two more passes of the workload end"
out=$(g_wait g2 "$job" -t 900)
rc=$?
diag "$(echo "$out" | tail -4)"
[ $rc -eq 0 ] && echo "$out" | grep -q '^total mismatches 0$'
ok $? "they read the refilled copy: zero mismatches in the whole run"
g_run g2 'test $(cat /sys/block/ipmem0/ipmem/errors) -eq 0'
ok $? "no request failed"

# A disk of three copies has a spare slot too (copy 3): its copy 0 moves.
out=$(g_run g2 "for p in c00 c40 c80 cc0; do ipmemctl grant add $NET:$B::\$p/122 borrower $B rights rw || exit; done &&
	ipmemctl disk create 4M replicas 3 >/dev/null &&
	for p in c00 c40 c80; do ipmemctl map add $NET:$B::\$p/122 disk ipmem1 >/dev/null || exit; done &&
	head -c 4M /dev/urandom > /tmp/p3 && dd if=/tmp/p3 of=/dev/ipmem1 bs=64k oflag=direct status=none &&
	ipmemctl map add $NET:$B::cc0/122 disk ipmem1 extent 0 replica 3 >/dev/null &&
	wait_until 300 sh -c 'ipmemctl map list disk ipmem1 | grep \" copy 3 .* ok\$\"' &&
	ipmemctl map del $NET:$B::c00/122 && ipmemctl map list disk ipmem1 &&
	dd if=/dev/ipmem1 of=/tmp/b3 bs=64k iflag=direct status=none && cmp /tmp/p3 /tmp/b3 &&
	cat /sys/block/ipmem1/ipmem/state" 2>&1)
rc=$?
diag "$out"
[ $rc -eq 0 ] && ! echo "$out" | grep -q " copy 0 " && [ "$(echo "$out" | tail -n 1)" = ready ]
ok $? "ipmem1 (3 copies): spare copy 3 is filled, copy 0 unmapped without force, it is ready and reads back what was written"
g_dmesg_sane g2
ok $? "no BUG, oops or warning splat"
h_done
