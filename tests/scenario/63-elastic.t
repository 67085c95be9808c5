#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Elastic memory over BGP (Documentation/ipmemd.rst, "Elastic memory"):
# two lenders of 64 MiB and a borrower whose ipmemd borrows 96 MiB at
# start (auto-borrow, swapped on) and more as its swap fills, 16 MiB at a
# time up to 32 MiB, and gives those back as the swap empties.
#
#   g1 lender a4d:1 (64 MiB)   g2 lender a4d:2 (64 MiB)   g3 borrower a4d:3
#
# In order: the first borrow is swap at swap-priority; a verifying
# workload swaps more than half of it out and ipmemd grows twice, to the
# ceiling (every new disk swapped on at the same priority); a second
# workload takes the host past its first borrow (pages on the elastic
# disks) and verifies; both end, the swap empties, and ipmemd gives both
# elastic disks back (swapoff, then release); ipmemd is restarted while
# A runs, and adopts the elastic disks as elastic.  M and V agree on all
# three hosts after every step.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/bgp-lib.sh"

BGP_GUESTS="g1 g2 g3"
BGP_KEYS=1
M=2048
G3_CONF="auto-borrow 96M
auto-swapon yes
swap-priority 10
elastic-max 32M
elastic-step 16M
elastic-high 50
elastic-low 25
elastic-hold 2s"

plan 11
h_init
bgp_boot

bgp_start g1 "lend 64M" && bgp_start g2 "lend 64M" && bgp_start g3 "$G3_CONF" &&
	bgp_wait_mv $M $M
ok $? "ipmemd starts on all three; every host sees M = V = $M"

# /proc/swaps: Filename Type Size Used Priority
swaps='awk "NR > 1 { print \$1, \$5 }" /proc/swaps | sort | xargs'
g_run g3 -t 200 "wait_until 180 sh -c '$swaps | grep -qx \"/dev/ipmem0 10\"'" &&
	bgp_wait_mv $M 512
ok $? "auto-borrow: /dev/ipmem0 (96 MiB) is swap at priority 10; V = 512 everywhere"

# workload A: 100 MiB in 32 MiB, passes until told to stop: about 68 MiB
# of the 96 MiB swapped out, past elastic-high (50 %)
g_start g3 'rm -f /run/stop.a; run_limited 32 memtouch -p 2 -u /run/stop.a 100'
work_a=$JOB
elastic='[.ipmemd.borrows[] | select(.elastic and .state == "ready")] | length'
g_run g3 -t 400 "wait_until 360 ctl_is '($elastic) == 2' status &&
	wait_until 60 sh -c '$swaps | grep -q \"/dev/ipmem0 10 /dev/ipmem1 10 /dev/ipmem2 10\"'" &&
	bgp_wait_mv $M 0
ok $? "past 50 % used, ipmemd borrows 16 MiB twice and swaps on both at priority 10; V = 0 everywhere"
out=$(g_run g3 'grep "elastic: borrowing" /run/share/ipmemd.log')
diag "$out"
[ "$(echo "$out" | grep -c 'elastic: borrowing 16MiB more: swap on ipmem [0-9]*% used (high 50%)')" = 2 ] &&
	g_run g3 "ctl_is '.ipmemd.elastic.borrowed_bytes == 33554432 and .ipmemd.elastic.grows == 2 and (.ipmemd.elastic.now // \"\" | test(\"at the ceiling|holding down\"))' status"
ok $? "each step is logged with its reason, and status counts both (32 MiB of 32 MiB)"

# workload B, while A runs: 48 MiB more in 16 MiB, about 32 MiB more
# swapped out than A alone - more than the first borrow holds free
out=$(g_run g3 -t 900 'run_limited 16 memtouch -p 2 48; echo "rc $?";
	awk "\$1 == \"/dev/ipmem1\" || \$1 == \"/dev/ipmem2\" { u += \$4 } END { print \"elastic used\", u }" /proc/swaps')
diag "$out"
echo "$out" | grep -q '^rc 0$' && echo "$out" | grep -q '^total mismatches 0$'
ok $? "workload B swaps past the first borrow and verifies"
used=$(echo "$out" | awk '/^elastic used/ { print $3 }')
[ "${used:-0}" -gt 0 ]
ok $? "pages went to the elastic disks (${used:-0} KiB on them)"

# ipmemd (and its gobgpd) killed and restarted while A runs: it adopts
# both elastic disks as elastic again (state-dir/elastic), so that it
# neither grows past its ceiling nor keeps them for ever (below)
bgp_kill g3
bgp_start g3 "$G3_CONF" &&
	g_run g3 -t 200 "wait_until 180 ctl_is '[.ipmemd.borrows[] | select(.elastic)] | length == 2' status &&
		test \$(grep -c 'adopted as elastic (state-dir)' /run/share/ipmemd.log) = 2"
ok $? "ipmemd killed and restarted during the workload: it adopts ipmem1 and ipmem2 as elastic again"

g_run g3 'touch /run/stop.a' >/dev/null
out=$(g_wait g3 "$work_a" -t 900)
rc=$?
diag "$(echo "$out" | tail -n 3)"
echo "$out" | grep -q '^total mismatches 0$'
ok $(( rc || $? )) "workload A stops and verifies"

# the swap empties: both elastic disks go back, one step each
g_run g3 -t 300 "wait_until 240 ctl_is '($elastic) == 0 and .ipmemd.elastic.shrinks == 2' status &&
	test \"\$($swaps)\" = '/dev/ipmem0 10'" &&
	bgp_wait_mv $M 512
ok $? "the swap empties: ipmemd swaps both elastic disks off and gives them back; V = 512 everywhere"
out=$(g_run g3 'grep -E "elastic: (giving|ipmem)" /run/share/ipmemd.log')
diag "$out"
[ "$(echo "$out" | grep -c 'elastic: giving ipmem[12] back: swap on ipmem [0-9]*% used; without ipmem[12] [0-9]*% (low 25%)')" = 2 ]
ok $? "each give-back is logged with its reason"

bgp_end
