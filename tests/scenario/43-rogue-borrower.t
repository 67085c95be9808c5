#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A borrower the lender serves cannot stall it.  g3 is a rogue borrower
# (ipmem-probe) that the lender knows and serves: it proves its host id
# with its host key.  On eight queues at once it connects, posts no receive,
# sends key requests and waits; the lender's answers can never be
# delivered (RNR, retried for ever), and as soon as the lender gives up on
# a queue g3 connects it again.  Meanwhile g2 keeps swapping-style I/O on
# its disk, and the lender's control plane keeps answering.
#
#   +------------------+   +--------------------+   +--------------------+
#   | g1 lender        |   | g2 borrower        |   | g3 rogue borrower  |
#   |  pool 64 MiB     |<--|  /dev/ipmem0 32 MiB|   |  8 queues, no recv |
#   |  grant -> g2     |<--+--------------------+---|  reconnects        |
#   +------------------+                            +--------------------+
#
# g2 writes and reads back its disk alternately without and with the
# rogue (two rounds each): every round completes with what it wrote, the
# lender is never lost and no I/O fails.  Its rates are printed (a rate
# is no pass/fail criterion here: the benchmark measures speed).
. "$(dirname "$0")/../lib/harness.sh"

ROGUE=a4d:99
QUEUES=8
MIB=32

plan 10
h_init
g_boot_all g1 g2 g3 || bail "the guests did not boot"
I1=$(g_run g1 'ipmem_load && host_id') && I2=$(g_run g2 'ipmem_load && host_id') ||
	bail "cannot load ipmem.ko"
g_run g3 'modprobe rdma_ucm && modprobe ib_uverbs' || bail "g3: no rdma_ucm"
L=$(g_ip6 g1)
# g1 and g2 have host keys; the rogue makes its own, and g1 knows it
g_keys g1 g2 || bail "cannot provision host keys"
PUB1=$(g_run g1 'ipmem-probe -k /run/host.key public') &&
	PUB_ROGUE=$(g_run g3 'ipmemctl key generate /run/rogue.key && ipmem-probe -k /run/rogue.key public') &&
	g_run g1 "ipmemctl host-key add $ROGUE $PUB_ROGUE" || bail "cannot provision the rogue's key"

g_run g1 "ipmemctl lend 64M dev eth0 && ipmemctl grant add \$(block_prefix $I1 512) borrower $I2 rights rw" >/dev/null &&
	g_run g2 "ipmemctl host set dev eth0 && ipmemctl route add \$IPMEM_NET:$I1::/80 via $L &&
		ipmemctl disk create ${MIB}M >/dev/null && ipmemctl map add \$(block_prefix $I1 512) disk ipmem0 &&
		head -c ${MIB}M /dev/urandom > /tmp/pat"
ok $? "g1 lends 32 MiB to g2, mapped into /dev/ipmem0"

# one round on g2: twice, write the disk and read it back, direct (long
# enough for the lender to give up on a stalled queue meanwhile); prints
# pages/s
round() {
	g_run g2 -t 900 "t0=\$(date +%s%N) && for i in 1 2; do
		dd if=/tmp/pat of=/dev/ipmem0 bs=256k oflag=direct status=none &&
		dd if=/dev/ipmem0 of=/tmp/back bs=256k iflag=direct status=none &&
		cmp /tmp/pat /tmp/back || exit 1; done &&
		echo \$(( 4 * $MIB * 256 * 1000000000 / (\$(date +%s%N) - t0) ))"
}

rogue_on() {
	STALLS=$(g_run g1 'dmesg | grep -c "of host 0a4d:0099 stalled"')
	g_start g3 "for q in \$(seq 0 $((QUEUES - 1))); do
			ipmem-probe -t 30 -q \$q -k /run/rogue.key -l $I1:$PUB1 $L $ROGUE stall 3600 & done; wait"
	ROGUE_JOB=$JOB
	# every rogue queue is connected (and so stalled) before we measure
	g_run g1 "wait_until 120 grep -q 'borrower 0a4d:0099 .*: $QUEUES queues' /sys/kernel/debug/ipmem/borrowers" ||
		diag "$(g_run g1 'cat /sys/kernel/debug/ipmem/borrowers')"
}
rogue_off() {
	# not before the lender gave up on one of them in this round
	g_run g1 "wait_until 120 sh -c 'test \$(dmesg | grep -c \"of host 0a4d:0099 stalled\") -gt $STALLS'"
	g_run g3 'pkill -TERM -x ipmem-probe'
	ROGUE_OUT+=$(g_wait g3 "$ROGUE_JOB" -t 120)$'\n'
	g_run g1 "wait_until 120 sh -c 'test \$(cat /sys/module/ipmem/pool/borrowers) = 1'"
}

base=() with=() ROGUE_OUT= nl_ok=1 errors=0
for i in 1 2; do
	r=$(round) || errors=$((errors + 1))
	base+=("$r")
	rogue_on
	r=$(round) || errors=$((errors + 1))
	with+=("$r")
	# the lender's control plane, while the rogue stalls its queues
	out=$(g_run g1 -t 120 "s=\$(date +%s%N)
		timeout 30 ipmemctl grant add \$IPMEM_NET:$I1::300/120 borrower $I2 rights rw &&
		timeout 30 ipmemctl grant list >/dev/null &&
		timeout 30 ipmemctl grant del \$IPMEM_NET:$I1::300/120 &&
		echo \$(( (\$(date +%s%N) - s) / 1000000 )) ms")
	[ $? -eq 0 ] || nl_ok=0
	diag "round $i: g2 ${base[-1]} pages/s alone, ${with[-1]} with the rogue; lender grant add/list/del: $out"
	rogue_off
done
ok $((errors)) "every round on g2 read back what it wrote (4 rounds)"
diag "pages/s: alone ${base[*]}, with the rogue ${with[*]}"
ok $((!nl_ok)) "the lender's grant add, list and del answered (within 30 s each) while the rogue stalled"

diag "$ROGUE_OUT"
connected=$(echo "$ROGUE_OUT" | awk '/^stall/ { n += $3 } END { print n + 0 }')
cut=$(echo "$ROGUE_OUT" | awk '/^stall/ { n += $5 } END { print n + 0 }')
[ "$(echo "$ROGUE_OUT" | grep -c '^stall connected')" = $((2 * QUEUES)) ] && [ "$connected" -ge $((2 * QUEUES)) ]
ok $? "the rogue ran on $QUEUES queues in each of two rounds ($connected connections)"
[ "$cut" -ge 1 ]
ok $? "the lender cut rogue queues it could not answer ($cut times)"
out=$(g_run g1 'dmesg | grep -c "of host 0a4d:0099 stalled: disconnecting it"')
diag "lender log: $out stalled queues"
[ "${out:-0}" -ge "$cut" ]
ok $? "and logged each: queue N of host 0a4d:0099 stalled: disconnecting it"
is "$(g_run g1 'cat /sys/module/ipmem/pool/borrowers')" 1 "the rogue's sessions are gone; g2's stays"
g_run g2 'grep -q " live," /sys/kernel/debug/ipmem/lenders && test $(ipmem_stat ipmem0 errors) -eq 0 &&
	test "$(grep -o "lost [0-9]* times" /sys/kernel/debug/ipmem/lenders)" = "lost 0 times"'
ok $? "g2's lender stayed live, never lost, and no I/O error"
g_dmesg_clean g2
ok $? "g2: nothing at warning level or above in dmesg"
warn=$(g_run g1 "dmesg --level=emerg,alert,crit,err,warn | grep ipmem | grep -vE 'of host 0a4d:0099 stalled: disconnecting it|out-of-tree module taints|module verification failed'")
[ -z "$warn" ] || diag "$warn"
g_dmesg_sane g1 && [ -z "$warn" ]
ok $? "g1: no BUG or splat, and no ipmem warning but the rogue's stalls"
h_done
