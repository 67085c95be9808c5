#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipmemd at scale, simulated on this machine (no guests): 100 borrowers
# grow and shrink at once, by their elastic policy, against 1000 lenders
# announced by 4 gobgpd instances on loopback behind two route
# reflectors.  The module is simulated (ipmemd "module simulated"); the
# BGP side, the RIB, the planning, the elastic policy and the
# reservation-confirmation exchange are the real ones.  Each check is a
# line of helper/ipmemd/elastic-scale-sim.sh (see it, and
# Documentation/ipmemd.rst, "Scaling"): every agent agrees on M and V
# after each phase, no block is granted twice, every step is taken.
#
# Timing is reported, never asserted.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

echo "1..8"
# root, gobgpd and gobgp are what every scenario needs (scripts/setup): a
# missing one is a failure, not a skip
[ "$(id -u)" -eq 0 ] || { echo "Bail out! needs root"; exit 1; }
for c in gobgpd gobgp python3; do
	command -v $c >/dev/null || { echo "Bail out! $c is not installed (scripts/setup)"; exit 1; }
done
out=$(SETTLE=600 timeout 1200 "$top/helper/ipmemd/elastic-scale-sim.sh" 100 1000 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
n=0
while IFS= read -r line; do
	n=$((n + 1))
	case "$line" in
	ok:*) echo "ok $n - ${line#ok: }" ;;
	*) echo "not ok $n - ${line#FAIL: }" ;;
	esac
done < <(printf '%s\n' "$out" | grep -E '^(ok|FAIL): ')
n=$((n + 1))
[ $rc -eq 0 ] && echo "ok $n - the simulation of 100 borrowers and 1000 lenders runs to the end" ||
	echo "not ok $n - the simulation of 100 borrowers and 1000 lenders runs to the end (exit $rc)"
