#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Giving back part of a borrow (Documentation/ipmemd.rst, "Elastic
# memory", elastic-parts; Documentation/bgp.rst, "Giving part back, and
# growing again"), over BGP, with 4 KiB blocks so that a segment (512
# blocks, the unit that goes back) is 2 MiB:
#
#   g1 lender a4d:1 (64 MiB)             g2 borrower a4d:2
#                                         ipmem0: auto-borrow 32 MiB
#                                         ipmem1: elastic, 32 MiB
#
# A verifying workload C swaps about 18 MiB out to the first disk and is
# paused; a second one, A (24 MiB more out), takes g2's swap past 60 %
# and ipmemd borrows one elastic step; A stops and its pages go (swap
# discards them).  What C holds (more than 40 %, elastic-low, of the first
# disk alone) keeps the elastic disk from going back whole, but ipmemd gives back the
# parts of it swap freed, by whole segments: g1 takes them out of its grants, and V grows back on
# both hosts.  C goes on and verifies.  A third workload, D, then needs
# more swap than what stays mapped: the holes are mapped again (a growth
# of the same request) before anything new is borrowed, and D and C
# verify.  Last, the swap empties and the elastic disk goes back whole.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/bgp-lib.sh"

BGP_GUESTS="g1 g2"
BGP_KEYS=1
M=16384			# 64 MiB of 4 KiB blocks
G2_CONF="block-size 4096
auto-borrow 32M
auto-swapon yes
swap-priority 10
elastic-max 32M
elastic-step 32M
elastic-high 60
elastic-low 40
elastic-hold 30s
elastic-parts yes"

# g2's V as it sees it, and the same on every host
v_of() { bgp_mv "$1" | sed -n 's/^M [0-9]* V \([0-9]*\)$/\1/p'; }
agree() {
	local v

	v=$(v_of g2)
	[ -n "$v" ] && bgp_wait_mv $M "$v" 120 && echo "$v"
}

# stop_job NAME JOB STOPFILE: the workload stops and verified every page
stop_job() {
	local out rc

	g_run g2 "touch $3" >/dev/null
	out=$(g_wait g2 "$2" -t 900)
	rc=$?
	diag "$1: $(echo "$out" | tail -n 2 | xargs)"
	[ $rc -eq 0 ] && echo "$out" | grep -q '^total mismatches 0$'
}

plan 11
h_init
bgp_boot

bgp_start g1 "block-size 4096
lend 64M" && bgp_start g2 "$G2_CONF" &&
	g_run g2 -t 200 "wait_until 180 sh -c 'grep -q \"^/dev/ipmem0 \" /proc/swaps'" &&
	bgp_wait_mv $M 8192
ok $? "g2 borrows 32 MiB of 4 KiB blocks at start and swaps on it; V = 8192 on both"

# C: 34 MiB in 16: about 18 MiB out, to ipmem0 (56 %); paused after its
# first pass (its memtouch is the one whose command line names
# /run/stop.c)
c_signal() {
	g_run g2 "for p in \$(pgrep -x memtouch); do
		tr '\\0' ' ' </proc/\$p/cmdline | grep -q stop.c && kill -$1 \$p; done; true"
}
g_start g2 'rm -f /run/stop.*; run_limited 16 memtouch -p 1 -u /run/stop.c 34 >/run/c.out; rc=$?; cat /run/c.out; exit $rc'
work_c=$JOB
g_run g2 -t 400 "wait_until 360 grep -q '^pass 1 ' /run/c.out" && c_signal STOP
ok $? "workload C swaps about 18 MiB out to the first disk and is paused"

# A: 40 MiB in 16: about 24 MiB more out, past 60 % of ipmem0
g_start g2 'run_limited 16 memtouch -p 2 -u /run/stop.a 40'
work_a=$JOB
elastic='[.ipmemd.borrows[] | select(.elastic and .state == "ready")] | length'
g_run g2 -t 400 "wait_until 360 ctl_is '($elastic) == 1' status &&
	wait_until 60 sh -c 'grep -q \"^/dev/ipmem1 \" /proc/swaps'" &&
	bgp_wait_mv $M 0
ok $? "past 60 % used, ipmemd borrows a 32 MiB elastic disk and swaps on it; V = 0 on both"

stop_job A "$work_a" /run/stop.a
ok $? "workload A stops and verifies; swap discards its pages"

# the elastic disk stays (C's pages would not fit in 40 % of the first
# disk alone), but once the hold-down (30 s, so that nothing goes back
# while A still swaps) has passed, parts of it go back
g_run g2 -t 300 "wait_until 240 sh -c 'grep -q \"took back\" /run/share/ipmemd.log' &&
	wait_until 60 ctl_is '[.ipmemd.borrows[] | select(.elastic)] | .[0].unmapped_bytes > 0' status &&
	test \"\$(awk '\$1 == \"/dev/ipmem1\"' /proc/swaps)\" != ''"
rc=$?
out=$(g_run g2 'grep -E "elastic: giving back|giving back [0-9]* blocks|took back" /run/share/ipmemd.log')
diag "$out"
[ $rc -eq 0 ] || diag "$(g_run g2 'cat /proc/swaps; ipmemctl status | grep -E "now:|elastic|given"')"
v=$(agree)
[ $rc -eq 0 ] && [ "${v:-0}" -ge 512 ] &&
	echo "$out" | grep -q 'elastic: giving back [0-9]* MiB that swap freed: swap on ipmem [0-9]*% used;'
ok $? "ipmemd gives back segments of the elastic disk that swap freed, with its reason; V = ${v:-?} on both"
g_run g1 "ctl_is '.ipmemd.pools[0].V_i == ${v:-0} and .ipmemd.pools[0].blocks_granted == $((M - ${v:-0}))' status"
ok $? "g1 holds ${v:-?} blocks free again and grants the rest"

c_signal CONT >/dev/null
# D: 40 MiB in 16, until told to stop: with C, more than what stays
# mapped holds below 60 %; it runs while the holes are mapped again
g_start g2 'run_limited 16 memtouch -p 2 -u /run/stop.d 40'
work_d=$JOB
g_run g2 -t 400 "wait_until 360 ctl_is '[.ipmemd.borrows[] | select(.elastic)] | .[0].unmapped_bytes == 0' status &&
	grep -q 'blocks to map where blocks were given back' /run/share/ipmemd.log" &&
	bgp_wait_mv $M 0
ok $? "under D the holes are mapped again; V = 0 on both"
diag "$(g_run g2 'grep -E "write waits|more blocks|mapped into|blocks to map" /run/share/ipmemd.log; echo unmapped_waits $(cat /sys/block/ipmem1/ipmem/unmapped_waits)')"
stop_job D "$work_d" /run/stop.d &&
	g_run g2 'test "$(cat /sys/block/ipmem1/ipmem/errors)" = 0'
ok $? "workload D verifies, and ipmem1 had no I/O error"

stop_job C "$work_c" /run/stop.c
ok $? "workload C goes on after all that and verifies"

g_run g2 -t 300 "wait_until 240 ctl_is '($elastic) == 0' status" &&
	bgp_wait_mv $M 8192
ok $? "the swap empties: the elastic disk goes back whole; V = 8192 on both"

bgp_end
