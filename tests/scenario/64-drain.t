#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lender drain over BGP (Documentation/ipmemd.rst, "Draining a lender"):
# the lender that holds a borrower's swap is drained while a verifying
# workload swaps to it at full rate, with one copy.  The borrower's
# ipmemd moves the copy to the other lender (a spare copy of the same
# extents, filled by the module, then the old copy unmapped and its
# grants released), and finishes the move after being killed and
# restarted in the middle of it: no I/O error, no wrong page, the drained
# lender has nothing granted and its whole pool free, and the borrower no
# longer routes the drained lender's /80.  Then the drained pool is
# destroyed and a new one made.  Last, the lender the copy moved to
# shrinks its pool by half (ipmemctl lend shrink) past blocks the
# borrower has: the borrower moves that copy again (back to the new
# pool) with its workload running, the pool then shrinks, and every host
# sees the smaller M.
#
#   g1 lender a4d:1 (64 MiB)   g2 lender a4d:2 (64 MiB)   g3 borrower a4d:3
#
# g3 borrows 48 MiB at start; one lender serves all of it (each has 64),
# the planner chooses which: that one, L, is drained, and the other, N,
# is where the copy goes.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/bgp-lib.sh"

BGP_GUESTS="g1 g2 g3"
BGP_KEYS=1
M=2048
NET=fd69:706d:656d

# work_verified: the workload ($work on g3) stops and verified every page,
# and ipmem0 had no I/O error
work_verified() {
	local out rc

	g_run g3 'touch /run/stop.d' >/dev/null
	out=$(g_wait g3 "$work" -t 900)
	rc=$?
	diag "$(echo "$out" | tail -n 3)"
	[ $rc -eq 0 ] && echo "$out" | grep -q '^total mismatches 0$' &&
		g_run g3 'test "$(cat /sys/block/ipmem0/ipmem/errors)" = 0'
}

plan 15
h_init
bgp_boot

bgp_start g1 "lend 64M" && bgp_start g2 "lend 64M" &&
	bgp_start g3 "auto-borrow 48M
auto-swapon yes" &&
	g_run g3 -t 200 "wait_until 180 sh -c 'grep -q \"^/dev/ipmem0 \" /proc/swaps'" &&
	bgp_wait_mv $M 1280
ok $? "g3 borrows 48 MiB at start and swaps on it; V = 1280 everywhere"

# which lender serves the borrow (one request, one lender)
from=$(g_run g3 "ipmemctl -j status | jq -r '.ipmemd.borrows[0].copies_from[] | .lender'")
diag "g3 borrows from: $from"
case $from in
0a4d:0001) L=g1 LA=a4d:1 N=g2 NH=0a4d:0002 NA=a4d:2 ;;
0a4d:0002) L=g2 LA=a4d:2 N=g1 NH=0a4d:0001 NA=a4d:1 ;;
*) L= ;;
esac
[ -n "$L" ] || bail "g3's borrow is not from exactly one lender: '$from'"
out=$(g_run g3 "ip -6 route show proto 77; busybox ping -c 1 -W 10 $NET:$LA::2a5 2>&1")
rc=$?
diag "$out"
[ $rc -eq 0 ] && echo "$out" | grep -q "^$NET:$LA::/80 via $(g_ip6 $L) "
ok $? "g3 routes $L's /80 via $L, and a ping to one of its block addresses gets an answer"

# a verifying workload: 64 MiB in 24 MiB, about 40 MiB swapped out
g_start g3 'rm -f /run/stop.d; run_limited 24 memtouch -p 2 -u /run/stop.d 64'
work=$JOB
g_run g3 -t 400 'wait_until 360 pswpout_above 4096'
ok $? "the workload swaps more than 16 MiB out"

out=$(g_run $L 'ipmemctl lend drain')
rc=$?
diag "$L: $out"
[ $rc -eq 0 ] && [ "$out" = "draining: 768 blocks still granted to 1 requests" ]
ok $? "ipmemctl lend drain on $L: its 768 blocks are still granted"

# g3 moves the copy to N while the workload runs.  Its ipmemd is stopped
# once the spare copy is mapped, killed once the module has filled it,
# and started again: it finds the old copy's extents covered by the
# filled spare and finishes the move.  It gets its requests back one
# grant at a time (its gobgpd went with it): it must not release the old
# copy before it knows all of it (the route to L would go while the
# module still maps blocks there).
spare_ok='ipmemctl -j map list | jq -e "[.[] | select(.copy == 1)] | length > 0 and all(.state == \"ok\")"'
g_run g3 -t 400 'wait_until 360 grep -q "as spare copy 1; filling" /run/share/ipmemd.log &&
	pkill -STOP -x ipmemd' &&
	g_run g3 -t 400 "wait_until 360 sh -c '$spare_ok >/dev/null'" &&
	bgp_kill g3 && bgp_start g3 "auto-borrow 48M
auto-swapon yes"
ok $? "g3's ipmemd is stopped while the spare copy fills, killed once it is filled, and started again"
moved="[.ipmemd.borrows[0].copies_from // [] | .[] | .lender] == [\"$NH\"] and .ipmemd.borrows[0].copies_from[0].state == \"mapped\""
g_run g3 -t 900 "wait_until 840 ctl_is '$moved' status" &&
	g_run $L -t 200 "wait_until 180 ctl_is '.ipmemd.pools[0].drained and .ipmemd.pools[0].V_i == 1024 and .ipmemd.pools[0].blocks_granted == 0' status"
rc=$?
out=$(g_run g3 'grep -E "draining|spare|moved|moving" /run/share/ipmemd.log; ipmemctl map list')
diag "$out"
ok $rc "g3's copy moves to $N; $L has nothing granted and its whole pool (1024 blocks) free"
l_map=$(grep -n "ipmem0: mapped 768 blocks of lender $NH as spare copy 1; filling" "$(bgp_log g3)" | cut -d: -f1)
l_moved=$(grep -n "ipmem0: moved 768 blocks off draining lender $from" "$(bgp_log g3)" | cut -d: -f1)
[ -n "$l_map" ] && [ -n "$l_moved" ] && [ "$l_map" -lt "$l_moved" ] &&
	! grep -q -e "after its move" -e "route to lender .* kept" "$(bgp_log g3)"
ok $? "the spare copy was filled before the old one was unmapped (log)"

out=$(g_run g3 "wait_until 60 sh -c '! ip -6 route show proto 77 | grep -q \"^$NET:$LA::/80 \"'; ip -6 route show proto 77")
diag "$out"
! echo "$out" | grep -q "^$NET:$LA::/80 " && echo "$out" | grep -q "^$NET:$NA::/80 via $(g_ip6 $N) "
ok $? "ip -6 route on g3 no longer lists $L's /80"

work_verified
ok $? "the workload verifies every page: zero mismatches, zero I/O errors"

# the drained pool is destroyed, and a new one made: the drain ended
# with the old pool (state-dir/draining is gone), the new one lends
out=$(g_run $L 'ipmemctl lend destroy &&
	wait_until 30 grep -q "drain ended with the pool" /run/share/ipmemd.log &&
	ipmemctl lend 64M dev eth0 &&
	wait_until 60 ctl_is ".ipmemd.pools[0].V_i == 1024 and (.ipmemd.pools[0].draining | not)" status' 2>&1)
rc=$?
diag "$out"
[ $rc -eq 0 ] && bgp_wait_mv $M 1280
ok $? "lend destroy on $L ends its drain; a new pool there is announced with its 1024 free blocks (V = 1280)"

# N, which now holds g3's 768 blocks (0-767), gives back half of its
# pool while g3 swaps to it again: blocks 512-767 lie past the new size,
# so g3 is asked to move that copy (to L's new pool), and N's pool
# shrinks once they are free.  Every host then sees the smaller M.
base=$(g_run g3 'vmstat_get pswpout')
g_start g3 'rm -f /run/stop.d; run_limited 24 memtouch -p 2 -u /run/stop.d 64'
work=$JOB
g_run g3 -t 400 "wait_until 360 pswpout_above $((base + 4096))"
ok $? "the workload runs again and swaps out 16 MiB more"

out=$(g_run $N 'ipmemctl lend shrink 32M && ipmemctl status | grep shrinking' 2>&1)
rc=$?
diag "$N: $out"
[ $rc -eq 0 ] && echo "$out" | grep -q "^shrinking to 32MiB: blocks past it are still granted"
ok $? "lend shrink 32M on $N waits for the blocks g3 has past 32 MiB"
moved="[.ipmemd.borrows[0].copies_from // [] | .[] | .lender] == [\"$from\"] and .ipmemd.borrows[0].copies_from[0].state == \"mapped\""
g_run g3 -t 900 "wait_until 840 ctl_is '$moved' status" &&
	g_run $N -t 200 "wait_until 180 ctl_is '.lender.pool.blocks_total == 512 and .lender.pool.shrink_to == null' status" &&
	bgp_wait_mv $((M - 512)) $((1280 - 512))
rc=$?
diag "$(g_run $N 'grep -E "shrink" /run/share/ipmemd.log; ipmemctl status | head -n 4')"
ok $rc "g3's copy moves to $L, $N's pool shrinks to 512 blocks: every host sees M = $((M - 512)), V = $((1280 - 512))"

work_verified
ok $? "the workload verifies every page again: zero mismatches, zero I/O errors"

bgp_end
