#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Elastic borrowing (Documentation/ipmemd.rst, "Elastic memory"),
# simulated on this machine (no guests): a borrower's ipmemd with the
# simulated module reads its swap use, memory pressure and available
# memory from a directory of its own ("proc-dir") that this test writes,
# and borrows from four simulated lenders of one farm (another ipmemd,
# over BGP on loopback) as the pressure rises, up to its ceiling, then
# gives everything back as its swap empties.  The lenders' free blocks
# (V) are back to their whole pools at the end.  What the policy decides
# from the numbers is unit tested (tests/unit/bgp.c); this is the daemon
# acting on it, over the real BGP exchange.
#
# Beside it, on BGP sessions of their own, the other policy: a borrower
# with auto-borrow 96M that sees only one lender of 64 MiB at its start
# fails its first borrow, and borrows again (every 30 s) once a second
# lender appears.  Then that lender is drained (ipmemctl lend drain): it
# announces no free blocks and grants nothing new, and asks the borrower
# to move what it granted.  With no other lender free the blocks stay
# where they are; once a fourth lender is up the borrower moves them there
# (a spare copy, filled before the old one goes) and the drained lender
# has nothing granted.  After lend resume it grants again.  Last, the
# fourth lender's own memory pressure passes its drain-psi: it drains
# itself, the borrower moves off it, and it lends again once the
# pressure has stayed low for drain-hold.  And a move whose new copy
# fills nothing (a third borrower whose simulated module never fills) is
# given up after move-stall: the new lender's blocks are released, the
# old copy stays.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ipmemd=${BUILD:-$top/build}/ipmemd

echo "1..26"
[ "$(id -u)" -eq 0 ] || { echo "Bail out! needs root"; exit 1; }
command -v gobgpd >/dev/null || { echo "Bail out! gobgpd is not installed (scripts/setup)"; exit 1; }
[ -x "$ipmemd" ] || { echo "Bail out! no $ipmemd (make)"; exit 1; }

dir=$(mktemp -d /tmp/ipmem-elastic.XXXXXX)
. "$top/helper/ipmemd/sim-lib.sh"

# wait_for SECONDS CMD...: until CMD succeeds (polled), or fail
wait_for() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ $SECONDS -lt "$end" ] || return 1
		sleep 0.2
	done
}

# the fake /proc of the borrower
proc=$dir/proc
mkdir -p "$proc/pressure"
pressure() {
	printf 'some avg10=%s avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' \
		"$1" >"$proc/pressure/memory.tmp" && mv "$proc/pressure/memory.tmp" "$proc/pressure/memory"
}
# swaps USED_KIB [NOT]: every elastic disk the borrower has is swap
# (but NOT), each 131072 KiB, each using USED_KIB
swaps() {
	{
		printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n'
		ctl bor status | sed -n 's|^borrow .* /dev/\(ipmem[0-9]*\) .*: ready (elastic).*|\1|p' |
			while read -r d; do
				[ "$d" != "${2:-}" ] || continue
				printf '/dev/%s                             partition\t131072\t\t%s\t\t5\n' "$d" "$1"
			done
	} >"$proc/swaps.tmp" && mv "$proc/swaps.tmp" "$proc/swaps"
}
printf 'MemTotal:        4000000 kB\nMemAvailable:    2000000 kB\n' >"$proc/meminfo"
pressure 0.00
swaps 0

node farm 10.99.1.1 fd00:99:1::1 50311 127.0.2.11 "sim-lenders 4" "sim-lend 256M" \
	"peer 127.0.2.200 local-address 127.0.2.11"
mport=$((40000 + $$ % 20000))
node bor 10.99.200.1 fd00:99:200::1 50350 127.0.2.200 \
	"peer 127.0.2.11 local-address 127.0.2.200" "proc-dir $proc" \
	"metrics-listen 127.0.0.1:$mport" \
	"elastic-max 512M" "elastic-step 128M" "elastic-psi 10" \
	"elastic-high 80" "elastic-low 25" "elastic-hold 1s"

# auto-borrow: one lender of 64 MiB now, a second one (farm3) later
node farm2 10.99.2.1 fd00:99:2::1 50312 127.0.2.12 "sim-lenders 1" "sim-lend 64M" \
	"peer 127.0.2.201 local-address 127.0.2.12"
node bor2 10.99.201.1 fd00:99:201::1 50351 127.0.2.201 \
	"peer 127.0.2.12 local-address 127.0.2.201" \
	"peer 127.0.2.13 local-address 127.0.2.201" \
	"peer 127.0.2.14 local-address 127.0.2.201" "auto-borrow 96M"

# 4 lenders of 256 MiB: 16384 blocks of 64 KiB
full() { ctl bor status 2>/dev/null | grep -q 'V 16384 blocks in 4 lenders'; }
wait_for 120 full
ok=$?
[ $ok -eq 0 ] && echo "ok 1 - the borrower sees the 4 lenders, all of their blocks free" ||
	echo "not ok 1 - the borrower sees the 4 lenders, all of their blocks free"

elastic() { ctl bor status | sed -n 's/^elastic: \([^ ]*\) of .*/\1/p'; }
nready() { ctl bor status | grep -c ': ready (elastic)'; }
grew() { ctl bor status | sed -n 's/^  steps: \([0-9]*\) grew.*/\1/p'; }

# how many times the policy has looked; three more than N
looks() { ctl bor status | sed -n 's/.*; \([0-9]*\) looks$/\1/p'; }
more_looks() { [ "$(looks)" -ge $(($1 + 3)) ]; }

# no pressure, no swap: nothing is borrowed (in three looks)
wait_for 30 more_looks 0
out=$(ctl bor status)
printf '%s\n' "$out" | sed 's/^/# /'
[ "$(elastic)" = 0B ] && [ "$(grew)" = 0 ] &&
	echo "ok 2 - without pressure nothing is borrowed (elastic 0B, 0 steps)" ||
	echo "not ok 2 - without pressure nothing is borrowed (elastic 0B, 0 steps)"

# pressure past the threshold: one step, then more, up to the ceiling
pressure 42.50
two_ready() { [ "$(nready)" -ge 2 ]; }
wait_for 60 two_ready
rc=$?
[ $rc -eq 0 ] && grep -q 'elastic: borrowing 128MiB more: memory pressure 42.50% (threshold 10%)' "$dir/bor.log" &&
	echo "ok 3 - pressure 42.5 % past 10 %: borrows 128 MiB steps, and logs why" ||
	echo "not ok 3 - pressure 42.5 % past 10 %: borrows 128 MiB steps, and logs why"
four_ready() { [ "$(nready)" -eq 4 ]; }
wait_for 60 four_ready
# the policy looks every 2 s, the hold-down is 1 s: three more looks
# would have made a fifth step
wait_for 30 more_looks "$(looks)"
out=$(ctl bor status)
printf '%s\n' "$out" | sed 's/^/# /'
[ "$(nready)" -eq 4 ] && [ "$(elastic)" = 512MiB ] && [ "$(grew)" = 4 ] &&
	printf '%s\n' "$out" | grep -q '^  now: no step: memory pressure 42.50% (threshold 10%), but at the ceiling$' &&
	echo "ok 4 - it stops at elastic-max: 4 steps, 512 MiB, 4 ready elastic disks, 'at the ceiling'" ||
	echo "not ok 4 - it stops at elastic-max: 4 steps, 512 MiB, 4 ready elastic disks, 'at the ceiling'"
# the same in ipmemctl's JSON (no module here: it says so, exits 1,
# and still gives ipmemd's part)
json=$(IPMEMD_SOCKET=$dir/bor.sock "${BUILD:-$top/build}/ipmemctl" -j status 2>/dev/null)
printf '%s\n' "$json" | jq -e '.ipmemd.elastic.grows == 4 and .ipmemd.elastic.borrowed_bytes == 536870912 and
	.ipmemd.elastic.max_bytes == 536870912 and ([.ipmemd.borrows[] | select(.elastic)] | length) == 4 and
	(.ipmemd.elastic.now | test("at the ceiling"))' >/dev/null &&
	echo "ok 5 - ipmemctl -j status: 4 elastic borrows, grows 4, 512 MiB of 512 MiB, at the ceiling" ||
	echo "not ok 5 - ipmemctl -j status: 4 elastic borrows, grows 4, 512 MiB of 512 MiB, at the ceiling"
# and in the metrics (bash's /dev/tcp: no client program needed)
metrics() {
	exec 3<>"/dev/tcp/127.0.0.1/$mport" || return 1
	printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
	sed '1,/^\r$/d' <&3
	exec 3<&-
}
met=$(metrics)
printf '%s\n' "$met" | grep '^ipmem_elastic' | sed 's/^/# /'
perr=$(printf '%s\n' "$met" | promtool check metrics 2>&1)
[ -z "$perr" ] && printf '%s\n' "$met" | grep -qx 'ipmem_elastic_grows_total 4' &&
	printf '%s\n' "$met" | grep -qx 'ipmem_elastic_borrowed_bytes 536870912' &&
	printf '%s\n' "$met" | grep -qx 'ipmem_elastic_max_bytes 536870912' &&
	printf '%s\n' "$met" | grep -qx 'ipmem_elastic_memory_pressure 0.4250' &&
	printf '%s\n' "$met" | grep -qx 'ipmem_elastic_give_backs_total 0' &&
	echo "ok 6 - the metrics say it too: 4 grows, 512 MiB of 512 MiB, pressure 0.425; promtool accepts them" ||
	echo "not ok 6 - the metrics say it too: 4 grows, 512 MiB of 512 MiB, pressure 0.425; promtool accepts them${perr:+ ($perr)}"
V=$(printf '%s\n' "$out" | sed -n 's/.* V \([0-9]*\) blocks in 4 lenders.*/\1/p')
[ "$V" = $((16384 - 8192)) ] &&
	echo "ok 7 - the lenders' free blocks dropped by 512 MiB in the borrower's view (V $V)" ||
	echo "not ok 7 - the lenders' free blocks dropped by 512 MiB in the borrower's view (V $V)"

# the swap fills but pressure is gone: 90 % used is past the high
# watermark, so nothing is given back (and it is at the ceiling)
pressure 0.00
swaps 117965
wait_for 30 more_looks "$(looks)"
out=$(ctl bor status)
[ "$(nready)" -eq 4 ] &&
	printf '%s\n' "$out" | grep -q '^  now: no step: swap on ipmem 90% used (high 80%), but at the ceiling$' &&
	echo "ok 8 - with its swap 90 % used nothing is given back" ||
	echo "not ok 8 - with its swap 90 % used nothing is given back"
swaps 40000
wait_for 30 more_looks "$(looks)"
[ "$(nready)" -eq 4 ] &&
	echo "ok 9 - 30 % used (past the 25 % low watermark) keeps every disk" ||
	echo "not ok 9 - 30 % used (past the 25 % low watermark) keeps every disk"

# one disk is swapped off from outside (its swapon could have failed
# too): it is not swap, so it goes back although 30 % stays above the
# low watermark; the other three stay
gone=$(ctl bor status | sed -n 's|^borrow .* /dev/\(ipmem[0-9]*\) .*: ready (elastic).*|\1|p' | head -n 1)
swaps 40000 "$gone"
three() { [ "$(nready)" -eq 3 ]; }
wait_for 30 three
rc=$?
wait_for 30 more_looks "$(looks)"
[ $rc -eq 0 ] && [ "$(nready)" -eq 3 ] && [ "$(elastic)" = 384MiB ] &&
	grep -q "elastic: giving $gone back: $gone is not swap" "$dir/bor.log" &&
	echo "ok 10 - a disk swapped off from outside goes back ($gone), the other three stay" ||
	echo "not ok 10 - a disk swapped off from outside goes back ($gone), the other three stay"

# the swap empties: every elastic disk goes back, one step at a time
swaps 0
none() { swaps 0; [ "$(nready)" -eq 0 ] && [ "$(elastic)" = 0B ]; }
wait_for 90 none
rc=$?
out=$(ctl bor status)
printf '%s\n' "$out" | sed 's/^/# /'
shrinks=$(printf '%s\n' "$out" | sed -n 's/^  steps: [0-9]* grew, \([0-9]*\) gave back.*/\1/p')
[ $rc -eq 0 ] && [ "$shrinks" = 4 ] &&
	echo "ok 11 - an empty swap gives all 4 disks back, one step each" ||
	echo "not ok 11 - an empty swap gives all 4 disks back, one step each"
grep -q 'elastic: giving ipmem[0-9]* back: swap on ipmem 0% used; without ipmem[0-9]* 0% (low 25%)' "$dir/bor.log" &&
	echo "ok 12 - each give-back is logged with its reason" ||
	echo "not ok 12 - each give-back is logged with its reason"
wait_for 60 full
[ $? -eq 0 ] && echo "ok 13 - the lenders' blocks are all free again (V 16384)" ||
	echo "not ok 13 - the lenders' blocks are all free again (V 16384)"
met=$(metrics)
printf '%s\n' "$met" | grep -qx 'ipmem_elastic_give_backs_total 4' &&
	printf '%s\n' "$met" | grep -qx 'ipmem_elastic_borrowed_bytes 0' &&
	printf '%s\n' "$met" | grep -qx 'ipmem_elastic_grows_total 4' &&
	printf '%s\n' "$met" | grep -qx 'ipmem_elastic_failures_total 0' &&
	echo "ok 14 - the metrics count 4 give-backs and 0 B borrowed" ||
	echo "not ok 14 - the metrics count 4 give-backs and 0 B borrowed"
grep -E 'elastic|ready|releas' "$dir/bor.log" | sed 's/^/# /' | tail -n 30

# auto-borrow: the first borrow failed (one lender of 64 MiB for 96 MiB);
# with farm3 up, the next try (30 s later) borrows from both
failed1() { grep -q 'borrow failed' "$dir/bor2.log"; }
wait_for 90 failed1
rc=$?
[ $rc -eq 0 ] && ! ctl bor2 status | grep -q ': ready' &&
	echo "ok 15 - auto-borrow of 96 MiB with one lender of 64 MiB fails, and nothing is ready" ||
	echo "not ok 15 - auto-borrow of 96 MiB with one lender of 64 MiB fails, and nothing is ready"
grep -E 'policy|borrow failed' "$dir/bor2.log" | sed 's/^/# /'
node farm3 10.99.3.1 fd00:99:3::1 50313 127.0.2.13 "sim-lenders 1" "sim-lend 64M" \
	"peer 127.0.2.201 local-address 127.0.2.13"
ready2() { ctl bor2 status | grep -q '^borrow .* 96MiB .*: ready$'; }
wait_for 120 ready2
rc=$?
ctl bor2 status | sed 's/^/# /'
[ $rc -eq 0 ] && [ "$(grep -c 'policy: borrowing .* (auto-borrow)' "$dir/bor2.log")" -ge 2 ] &&
	echo "ok 16 - with a second lender up, auto-borrow tries again and its 96 MiB are ready" ||
	echo "not ok 16 - with a second lender up, auto-borrow tries again and its 96 MiB are ready"

# lend drain on farm3 (32 of its 64 MiB are free): it announces V_i 0,
# so a new borrow of 16 MiB finds nothing (farm2 is full); the 96 MiB
# borrow stays ready
ipmemctl=${BUILD:-$top/build}/ipmemctl
out=$(IPMEMD_SOCKET=$dir/farm3.sock "$ipmemctl" lend drain 2>&1)
rc=$?
echo "# $out"
v0() { ctl bor2 status | grep -q 'lender 0a63:0301 .* V_i 0'; }
wait_for 30 v0
w=$?
[ $rc -eq 0 ] && [ $w -eq 0 ] && [ "$out" = "draining: 512 blocks still granted to 1 requests" ] &&
	ctl farm3 status | grep -q ', draining (announced V_i 0; borrowers asked to move)$' &&
	echo "ok 17 - ipmemctl lend drain: 512 blocks still granted; the borrower sees V_i 0" ||
	echo "not ok 17 - ipmemctl lend drain: 512 blocks still granted; the borrower sees V_i 0"
out=$(ctl bor2 borrow 16M 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
[ $rc -ne 0 ] && echo "$out" | grep -q 'short' && ready2 &&
	echo "ok 18 - while it drains, a new borrow finds no free blocks; the old one stays ready" ||
	echo "not ok 18 - while it drains, a new borrow finds no free blocks; the old one stays ready"

# the borrower is asked to move its 32 MiB off farm3, but no lender it
# does not use already has blocks (farm2 is full and in the borrow): it
# says so, in its log and to farm3 (its request: unmovable), and the
# blocks stay granted and mapped
nomove() {
	grep -q 'cannot move 512 blocks off draining lender 0a63:0301 (they stay there)' "$dir/bor2.log" &&
		ctl farm3 status | grep -q '^  host 0a63:c901 disk 0: 512 blocks in .* grants, confirmed, its borrower cannot move them (no other lender has room)$'
}
wait_for 30 nomove
rc=$?
{ grep 'move' "$dir/bor2.log"; ctl farm3 status; } | sed 's/^/# /'
[ $rc -eq 0 ] && ready2 && ctl bor2 status | grep -q '^  copy 0 lender 0a63:0301: 512 blocks, mapped, lender draining$' &&
	ctl farm3 status | grep -q ' 512 blocks granted to 1 requests, draining' &&
	echo "ok 19 - with no lender to move to, the borrower says so (log, and to the lender) and the 512 blocks stay on the draining lender" ||
	echo "not ok 19 - with no lender to move to, the borrower says so (log, and to the lender) and the 512 blocks stay on the draining lender"

# a fourth lender (farm4, 64 MiB): the borrower moves the 32 MiB there,
# as a spare copy (1) of the same extents, filled (the simulated module
# takes 1 s, and refuses to unmap the only current copy of an extent)
# before the old copy is unmapped and released
mkdir -p "$dir/proc4/pressure"
pressure4() {
	printf 'some avg10=%s avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' \
		"$1" >"$dir/proc4/pressure/memory.tmp" && mv "$dir/proc4/pressure/memory.tmp" "$dir/proc4/pressure/memory"
}
pressure4 0.00
node farm4 10.99.4.1 fd00:99:4::1 50314 127.0.2.14 "sim-lenders 1" "sim-lend 64M" \
	"peer 127.0.2.201 local-address 127.0.2.14" "proc-dir $dir/proc4" \
	"drain-psi 50" "drain-hold 2s"
# drained_off FARM HOST [TAIL]: FARM is drained (its whole pool free, its
# status line ending in TAIL) and bor2 maps nothing of HOST
drained_off() {
	ctl "$1" status | grep -q ": M_i 1024 V_i 1024, 0 blocks granted to 0 requests, drained (announced V_i 0; nothing granted)${3:-}\$" &&
		! ctl bor2 status | grep -q "lender $2:"
}
wait_for 120 drained_off farm3 0a63:0301
rc=$?
{ ctl bor2 status; ctl farm3 status; } | sed 's/^/# /'
grep -E 'move|spare|releas' "$dir/bor2.log" | sed 's/^/# /'
l_map=$(grep -n 'mapped 512 blocks of lender 0a63:0401 as spare copy 1; filling' "$dir/bor2.log" | cut -d: -f1)
l_fill=$(grep -n 'spare copy 1 from lender 0a63:0401 filled' "$dir/bor2.log" | cut -d: -f1)
l_moved=$(grep -n 'moved 512 blocks off draining lender 0a63:0301' "$dir/bor2.log" | cut -d: -f1)
[ $rc -eq 0 ] && [ -n "$l_map" ] && [ -n "$l_fill" ] && [ -n "$l_moved" ] &&
	[ "$l_map" -lt "$l_fill" ] && [ "$l_fill" -lt "$l_moved" ] && ready2 &&
	! grep -q 'after its move' "$dir/bor2.log" &&
	ctl bor2 status | grep -q '^  copy 1 lender 0a63:0401: 512 blocks, mapped$' &&
	ctl bor2 status | grep -q '^drain moves: 1 done (512 blocks)' &&
	echo "ok 20 - with farm4 up the 32 MiB move there (spare copy filled, then the old one released); farm3 is drained" ||
	echo "not ok 20 - with farm4 up the 32 MiB move there (spare copy filled, then the old one released); farm3 is drained"

out=$(IPMEMD_SOCKET=$dir/farm3.sock "$ipmemctl" lend resume 2>&1)
rc=$?
v1024() { ctl bor2 status | grep -q 'lender 0a63:0301 .* V_i 1024'; }
wait_for 30 v1024 && [ $rc -eq 0 ] && ctl bor2 borrow 16M >/dev/null &&
	! ctl farm3 status | grep -q -e draining -e drained &&
	echo "ok 21 - after lend resume it announces its free blocks again and grants 16 MiB" ||
	echo "not ok 21 - after lend resume it announces its free blocks again and grants 16 MiB ($out)"

# farm4's memory pressure passes its drain-psi (50 %): it drains itself
# and says why; the borrower moves what it has there to farm3
pressure4 80.00
wait_for 120 drained_off farm4 0a63:0401 '; memory pressure 80.00% (drain-psi 50%)'
rc=$?
{ ctl bor2 status; ctl farm4 status; grep drain "$dir/farm4.log"; grep -E 'move|spare' "$dir/bor2.log" | tail -n 6; } | sed 's/^/# /'
[ $rc -eq 0 ] && grep -q 'draining: granting nothing new, announcing FREE 0, asking borrowers to move (memory pressure 80.00% reached drain-psi 50%)' "$dir/farm4.log" &&
	grep -q 'moved 512 blocks off draining lender 0a63:0401' "$dir/bor2.log" && ready2 &&
	! grep -q 'after its move' "$dir/bor2.log" &&
	echo "ok 22 - farm4's memory pressure 80 % passes drain-psi 50 %: it drains itself, the borrower moves off it" ||
	echo "not ok 22 - farm4's memory pressure 80 % passes drain-psi 50 %: it drains itself, the borrower moves off it"

# the pressure falls: after drain-hold (2 s) below 25 % it lends again
pressure4 10.00
back4() { ctl bor2 status | grep -q 'lender 0a63:0401 .* V_i 1024'; }
wait_for 60 back4
rc=$?
[ $rc -eq 0 ] && ! ctl farm4 status | grep -q -e draining -e drained &&
	grep -q 'drain ended: granting again (memory pressure 10.00% below half of drain-psi for 2 s)' "$dir/farm4.log" &&
	echo "ok 23 - with the pressure at 10 % for drain-hold, farm4 lends again (V_i 1024 announced)" ||
	echo "not ok 23 - with the pressure at 10 % for drain-hold, farm4 lends again (V_i 1024 announced)"

# a move that never fills: bor3's simulated module takes an hour to fill
# a copy and its move-stall is 3 s.  It borrows 16 MiB of farm5 (farm6
# is not up yet); farm6 comes up with 16 MiB and farm5 is drained.
node farm5 10.99.5.1 fd00:99:5::1 50315 127.0.2.15 "sim-lenders 1" "sim-lend 16M" \
	"peer 127.0.2.202 local-address 127.0.2.15"
node bor3 10.99.202.1 fd00:99:202::1 50352 127.0.2.202 \
	"peer 127.0.2.15 local-address 127.0.2.202" \
	"peer 127.0.2.16 local-address 127.0.2.202" \
	"sim-refill 1h" "move-stall 3s"
sees() { ctl bor3 status | grep -q "lender $1 .* V_i $2\\b"; }
ready3() { ctl bor3 status | grep -q '^borrow .* 16MiB .*: ready$'; }
wait_for 60 sees 0a63:0501 256 && ctl bor3 borrow 16M >/dev/null && wait_for 60 ready3 &&
	ctl bor3 status | grep -q '^  copy 0 lender 0a63:0501: 256 blocks, mapped$'
rc=$?
node farm6 10.99.6.1 fd00:99:6::1 50316 127.0.2.16 "sim-lenders 1" "sim-lend 16M" \
	"peer 127.0.2.202 local-address 127.0.2.16"
wait_for 60 sees 0a63:0601 256 && IPMEMD_SOCKET=$dir/farm5.sock "$ipmemctl" lend drain >/dev/null
rc2=$?
[ $rc -eq 0 ] && [ $rc2 -eq 0 ] &&
	echo "ok 24 - bor3 borrows 16 MiB of farm5; farm6 comes up and farm5 is drained" ||
	echo "not ok 24 - bor3 borrows 16 MiB of farm5; farm6 comes up and farm5 is drained"

stalled() {
	grep -q 'moving the copy off lender 0a63:0501 failed: its new copy on lender 0a63:0601 filled no more extents in 3 s (0 of 256); trying again in 30 s' "$dir/bor3.log" &&
		sees 0a63:0601 256
}
wait_for 60 stalled
rc=$?
{ ctl bor3 status; ctl farm6 status; grep -E 'move|spare|fill' "$dir/bor3.log"; } | sed 's/^/# /'
l_map=$(grep -n 'mapped 256 blocks of lender 0a63:0601 as spare copy 1; filling' "$dir/bor3.log" | cut -d: -f1)
[ $rc -eq 0 ] && [ -n "$l_map" ] && ready3 &&
	ctl bor3 status | grep -q '^  copy 0 lender 0a63:0501: 256 blocks, mapped, lender draining$' &&
	! ctl bor3 status | grep -q 'lender 0a63:0601:' &&
	ctl bor3 status | grep -q '^drain moves: 0 done (0 blocks), 1 failed or could not start$' &&
	ctl farm6 status | grep -q ': M_i 256 V_i 256, 0 blocks granted to 0 requests' &&
	echo "ok 25 - the new copy on farm6 fills nothing: after move-stall (3 s) the move is given up, farm6's blocks released, the copy stays on farm5" ||
	echo "not ok 25 - the new copy on farm6 fills nothing: after move-stall (3 s) the move is given up, farm6's blocks released, the copy stays on farm5"

# a disk of three copies moves too (its spare is copy 3): bor4 borrows
# 4 MiB with 3 copies from farm7-farm10 (one lender each); the lender of
# its copy 0 is drained and the copy moves to the lender it does not use
for f in 7 8 9 10; do
	node farm$f 10.99.$f.1 fd00:99:$f::1 $((50310 + f)) 127.0.2.$((10 + f)) "sim-lenders 1" "sim-lend 16M" \
		"peer 127.0.2.203 local-address 127.0.2.$((10 + f))"
done
node bor4 10.99.203.1 fd00:99:203::1 50353 127.0.2.203 \
	"peer 127.0.2.17 local-address 127.0.2.203" "peer 127.0.2.18 local-address 127.0.2.203" \
	"peer 127.0.2.19 local-address 127.0.2.203" "peer 127.0.2.20 local-address 127.0.2.203"
four4() { ctl bor4 status | grep -q 'V 1024 blocks in 4 lenders'; }
ready4() { ctl bor4 status | grep -q '^borrow .* 4MiB .*: ready$'; }
wait_for 60 four4 && ctl bor4 borrow 4M replicas 3 >/dev/null && wait_for 60 ready4
rc=$?
from=$(ctl bor4 status | sed -n 's/^  copy 0 lender \(0a63:[0-9a-f]*\): 64 blocks, mapped$/\1/p')
f=$(printf '%d' "0x${from:5:2}" 2>/dev/null)
[ $rc -eq 0 ] && [ -n "$from" ] && IPMEMD_SOCKET=$dir/farm$f.sock "$ipmemctl" lend drain >/dev/null
rc=$?
moved4() {
	grep -q "moved 64 blocks off draining lender $from" "$dir/bor4.log" &&
		[ "$(ctl bor4 status | grep -c '^  copy [0-9] lender 0a63:[0-9a-f]*: 64 blocks, mapped$')" = 3 ] &&
		! ctl bor4 status | grep -q "lender $from:"
}
[ $rc -eq 0 ] && wait_for 120 moved4
rc=$?
{ ctl bor4 status; grep -E 'move|spare' "$dir/bor4.log"; } | sed 's/^/# /'
[ $rc -eq 0 ] && grep -q "mapped 64 blocks of lender .* as spare copy 3; filling" "$dir/bor4.log" && ready4 &&
	echo "ok 26 - a borrow of 3 copies moves its copy 0 off drained farm$f (${from:-?}) through spare copy 3; 3 copies mapped, none there" ||
	echo "not ok 26 - a borrow of 3 copies moves its copy 0 off drained farm$f (${from:-?}) through spare copy 3; 3 copies mapped, none there"
