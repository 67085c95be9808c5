#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults under a verifying swap workload, with one copy and with two.
#
# One copy (ipmem0, on lender A):
#  - the RDMA device of the borrower, then of the lender, is deleted and
#    added again, rmmod and disk removal are tried (and refused), the
#    borrower's link is cut for 5 s, its route to the lender is taken
#    away for 5 s, and the lender is cut for 5 s while a map waits 30 s
#    for another lender that never answers: each outage shorter than
#    io_fail_tmo, so the workload verifies with no error;
#  - the lender is cut off for longer than io_fail_tmo: the workload gets
#    SIGBUS, never wrong data; once healed, the disk serves again.
# Two copies (ipmem1, copy 0 on A, copy 1 on B, a loopback lender in g2):
#  - A is cut off for longer than io_fail_tmo, then healed: the workload
#    verifies, and the refill makes copy 0 current again;
#  - B revokes its grant under I/O: reads fall over to A; a new grant of
#    B is mapped as copy 1 and refilled;
#  - A reboots (a new pool epoch: everything it held is lost): reads fall
#    over to B, and the workload verifies; ipmem0, whose only copy was on
#    A, now reads as an I/O error, never as the new pool's zeros.
#
#   +----------------------+          +-------------------------------+
#   | g1 lender A (a4d:1)  |  RoCEv2  | g2 borrower + lender B (a4d:2) |
#   |  pool 128 MiB        |<-------->|  pool 128 MiB (rxe0 loopback)  |
#   |  device churn, cuts, |          |  ipmem0 64 MiB: A              |
#   |  a reboot            |          |  ipmem1 64 MiB: A + B          |
#   +----------------------+          |  memtouch 32 MiB / 16 MiB      |
#                                     +-------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

NET=fd69:706d:656d
A=0a4d:0001
B=0a4d:0002
PA0=$NET:a4d:1::/118		# A's blocks 0-1023: ipmem0
PA1=$NET:a4d:1::400/118		# A's blocks 1024-2047: ipmem1 copy 0
PB=$NET:a4d:2::/118		# B's blocks 0-1023: ipmem1 copy 1
PB2=$NET:a4d:2::400/118		# B's blocks 1024-2047: the replacement

plan 37
h_init
g_boot_all "g1 --mem 512" "g2 --mem 1024" || bail "the guests did not boot"

lender_a() {
	g_run g1 "ipmem_load && ipmemctl lend 128M dev eth0 &&
		ipmemctl grant add $PA0 borrower $B rights rw &&
		ipmemctl grant add $PA1 borrower $B rights rw"
}
g_run g1 ipmem_load && g_run g2 ipmem_load && g_keys g1 g2 ||
	bail "cannot load ipmem.ko and provision host keys"
lender_a >/dev/null || bail "lender A"
g_run g2 "ipmem_load && ipmemctl lend 128M dev eth0 &&
	ipmemctl grant add $PB borrower $B rights rw &&
	ipmemctl route add $NET:a4d:1::/80 via $(g_ip6 g1) &&
	ipmemctl route add $NET:a4d:2::/80 via $(g_ip6 g2) &&
	ipmemctl disk create 64M && ipmemctl map add $PA0 disk ipmem0 &&
	ipmemctl disk create 64M replicas 2 &&
	ipmemctl map add $PA1 disk ipmem1 replica 0 &&
	ipmemctl map add $PB disk ipmem1 replica 1" >/dev/null
ok $? "ipmem0 has one copy on A; ipmem1 copy 0 on A, copy 1 on B"

# start_work DISK: swap only on DISK, a workload that verifies every page
# on every pass until /run/stop exists; sets WORK (its job)
start_work() {
	g_run g2 "rm -f /run/stop && swap_on $1" >/dev/null || bail "swapon $1"
	g_start g2 'run_limited 16 memtouch -p 2 -u /run/stop 32; echo "exit $?"'
	WORK=$JOB
	g_run g2 -t 600 'wait_until 500 pswpout_above $(( $(vmstat_get pswpout) + 2000 ))' >/dev/null
}

# passes N: wait until the workload has run N more passes
passes() {
	g_run g2 -t 900 "n=\$(grep -c '^pass' /run/share/out.$WORK)
		wait_until 800 sh -c \"test \\\$(grep -c '^pass' /run/share/out.$WORK) -ge \$((n + $1))\""
}

# end_work: stop the workload; its output, and status 0 if it ended well
end_work() {
	local out

	g_run g2 'touch /run/stop' >/dev/null
	out=$(g_wait g2 "$WORK" -t 900)
	diag "$(echo "$out" | tail -3)"
	echo "$out" | grep -q '^exit 0$' && echo "$out" | grep -q '^total mismatches 0$'
}

# live LENDER: the borrower has that lender live again
live() {
	g_run g2 -t 200 "wait_until 180 grep -q 'lender $1 .*: live,' /sys/kernel/debug/ipmem/lenders"
}

# back_count LENDER: how many times the borrower got that lender back
back_count() {
	g_run g2 "sed -n 's/^lender $1 .* back \\([0-9]*\\) times\$/\\1/p' /sys/kernel/debug/ipmem/lenders"
}

# ------------------------------------------------------------ one copy
start_work ipmem0
ok $? "the workload swaps to ipmem0 (one copy, on A)"
g_run g2 'rdma link delete rxe0 && rdma link add rxe0 type rxe netdev eth0'
ok $? "the borrower's RDMA device is deleted and added again"
live $A && passes 1
ok $? "the borrower reconnects to A and the workload goes on"
g_run g1 'rdma link delete rxe0 && rdma link add rxe0 type rxe netdev eth0'
ok $? "the lender's RDMA device is deleted and added again"
live $A && passes 1
ok $? "the lender listens again, the borrower reconnects"
out=$(g_run g2 'rmmod ipmem 2>&1; ipmemctl disk del ipmem0 2>&1')
echo "$out" | grep -q "in use" && echo "$out" | grep -q "swapoff first"
ok $? "rmmod and disk del are refused in the middle of the workload"
g_run g2 'ip link set eth0 down && sleep 5 && ip link set eth0 up'
ok $? "the borrower's own link is down for 5 s"
live $A && passes 1
ok $? "and the workload goes on"

# The borrower's route to A goes away for 5 s (withdrawn, where a fabric
# routes block addresses): A is lost, and the borrower waits for a route
# before it tears the queues down - rxe sending the teardown's DREQ with
# no route would leave no RDMA connection on that device working.
back=$(back_count $A)
g_run g2 "ip -6 route add unreachable $(g_ip6 g1)/128 && sleep 5 &&
	ip -6 route del unreachable $(g_ip6 g1)/128"
ok $? "the borrower has no route to A for 5 s"
live $A && test "$(back_count $A)" -gt "$back" && passes 1
ok $? "A was lost and is back (the borrower connects again), the workload goes on"

# A lender that never answers (its address resolves to a MAC nobody
# has): a map to it waits connect_tmo, 30 s here, longer than io_fail_tmo
# (15 s).  Meanwhile A is lost for 5 s: its recovery takes only A's own
# lock, so it does not wait for that map, and no I/O fails.
g_run g2 "echo 30 > /sys/module/ipmem/parameters/connect_tmo &&
	ip -6 neigh replace fd00:77::99 lladdr 52:54:00:77:00:99 dev eth0 nud permanent &&
	ipmemctl route add $NET:a4d:99::/80 via fd00:77::99 &&
	ipmemctl disk create 16M" >/dev/null
g_start g2 "ipmemctl map add $NET:a4d:99::/120 disk ipmem2 2>&1; echo \"rc \$?\""
slow=$JOB
g_run g2 -t 120 'wait_until 60 sh -c "rdma resource show cm_id | grep -q fd00:77::99"' >/dev/null &&
	g_run g1 'ip link set eth0 down && sleep 5 && ip link set eth0 up'
ok $? "while a map waits 30 s for a lender that never answers, A is cut off for 5 s"
live $A && passes 1
ok $? "A comes back before that map gives up; the workload goes on"
out=$(g_wait g2 "$slow" -t 300)
diag "$out"
echo "$out" | grep -q "timed out" && echo "$out" | grep -q "^rc 1$"
ok $? "the map to the silent lender fails: connecting timed out"
g_run g2 'echo 10 > /sys/module/ipmem/parameters/connect_tmo'
end_work
ok $? "the workload verifies every page across all of it"
g_run g2 'test $(ipmem_stat ipmem0 errors) -eq 0'
ok $? "and no request of ipmem0 failed"

g_run g2 'echo 5 > /sys/module/ipmem/parameters/io_fail_tmo'
start_work ipmem0
g_run g2 -t 600 "wait_until 500 grep -q '^pass 1 ' /run/share/out.$WORK" >/dev/null
ok $? "io_fail_tmo is 5 s; the workload verifies pages it swapped out"
g_run g1 'ip link set eth0 down && sleep 20 && ip link set eth0 up'
ok $? "A is cut off for 20 s, longer than io_fail_tmo"
g_run g2 'touch /run/stop'
out=$(g_wait g2 "$WORK" -t 900)
diag "$(echo "$out" | tail -3)"
echo "$out" | grep -q '^exit 135$' && ! echo "$out" | grep -qE 'differs|mismatches [1-9]'
ok $? "the workload is killed by SIGBUS, and saw no wrong data"
live $A && g_run g2 'test $(ipmem_stat ipmem0 errors) -gt 0 &&
	test "$(ipmem_stat ipmem0 state)" = ready'
ok $? "A is back; ipmem0 counted the errors and is ready again"
start_work ipmem0 && passes 1 && end_work
ok $? "a new workload on ipmem0 verifies"

# ----------------------------------------------------------- two copies
start_work ipmem1
ok $? "the workload swaps to ipmem1 (copy 0 on A, copy 1 on B)"
g_run g1 'ip link set eth0 down && sleep 20 && ip link set eth0 up'
ok $? "A is cut off for 20 s, longer than io_fail_tmo"
passes 1 && g_run g2 'test $(ipmem_stat ipmem1 failovers) -gt 0'
ok $? "reads fall over to B, the workload goes on"
live $A && g_run g2 -t 600 'wait_until 500 disk_state_is ipmem1 ready'
ok $? "A is back and the refill makes ipmem1 ready"

g_run g2 "ipmemctl grant del $PB 2>&1 | grep -q '^ipmemctl: grant del: the borrower has these blocks mapped' &&
	ipmemctl grant del $PB force"
ok $? "B revokes the grant of copy 1, under I/O (refused while mapped, done with force)"
# from the REVOKE message, or (when a read hits the deregistered blocks
# first) from the refetch after the remote access error
g_run g2 -t 120 'wait_until 60 sh -c "dmesg | grep -qE \"lender 0a4d:0002 (revoked blocks 0-1023 still mapped|no longer holds blocks)\""'
ok $? "the borrower learns of it"
passes 1
ok $? "the workload goes on, reading copy 0"
g_run g2 "ipmemctl grant add $PB2 borrower $B rights rw && ipmemctl map del $PB &&
	ipmemctl map add $PB2 disk ipmem1 extent 0 replica 1" >/dev/null &&
	g_run g2 -t 600 'wait_until 500 disk_state_is ipmem1 ready'
ok $? "a new grant of B is mapped as copy 1 and refilled: ready"

g_kill g1
g_boot g1 --mem 512 || bail "guest g1 did not boot again"
lender_a >/dev/null
ok $? "A reboots and lends again, the same prefixes to the same borrower"
g_run g2 -t 200 'wait_until 180 sh -c "dmesg | grep -q \"lender 0a4d:0001 restarted: the data it held for us is lost\""'
ok $? "the borrower sees A's new epoch: what A held is lost"
passes 1
ok $? "the workload goes on, reading copy 1"
is "$(g_run g2 'ipmem_stat ipmem1 state')" degraded "ipmem1 is degraded (copy 0 is lost), not failed"
end_work
ok $? "the workload on two copies verified every page through all of it"
g_run g2 'test $(ipmem_stat ipmem1 errors) -eq 0'
ok $? "and no request of ipmem1 failed"

out=$(g_run g2 'dd if=/dev/ipmem0 of=/dev/null bs=4096 count=1 iflag=direct 2>&1; echo "rc $?"')
echo "$out" | grep -q "Input/output error" && echo "$out" | grep -q '^rc 1$'
ok $? "ipmem0, whose only copy was on A, reads as an I/O error, not as A's new zeros"
g_dmesg_sane g1 && g_dmesg_sane g2
ok $? "no BUG, oops or warning splat on either side"
h_done
