#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipmemd at scale, simulated on this machine (no guests): 500 lenders
# announced by 4 gobgpd instances on loopback behind a route reflector,
# and a borrower that must see every one of them and still borrow.  The
# module is simulated (ipmemd "module simulated"); the BGP side, the RIB,
# the planning and the reservation-confirmation exchange are the real
# ones.  See helper/ipmemd/scale-sim.sh and Documentation/ipmemd.rst.
#
#   farm1..farm4 (125 sim lenders each) --+
#                                         +-- RR (ipmemd+gobgpd) -- borrower
#
# Timing is reported, never asserted.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

echo "1..3"
# root and gobgpd are what every scenario needs (scripts/setup): a
# missing one is a failure, not a skip
[ "$(id -u)" -eq 0 ] || { echo "Bail out! needs root"; exit 1; }
command -v gobgpd >/dev/null || { echo "Bail out! gobgpd is not installed (scripts/setup)"; exit 1; }
out=$(FARMS=4 BORROWS=3 timeout 400 "$top/helper/ipmemd/scale-sim.sh" 500 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
row=$(printf '%s\n' "$out" | awk '$1 == 500')
[ $rc -eq 0 ] && echo "ok 1 - the simulation with 500 lenders runs to the end" ||
	echo "not ok 1 - the simulation with 500 lenders runs to the end"
[ "$(echo "$row" | awk '{ print $2 }')" = 500 ] &&
	echo "ok 2 - the borrower's ipmemd holds all 500 pool routes" ||
	echo "not ok 2 - the borrower's ipmemd holds all 500 pool routes"
[ -n "$(echo "$row" | awk '$4 > 0')" ] &&
	echo "ok 3 - it borrowed 192 MiB from three of them, three times, and gave it back" ||
	echo "not ok 3 - it borrowed 192 MiB from three of them, three times, and gave it back"
