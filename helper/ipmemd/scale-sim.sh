#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The scale simulation of Documentation/ipmemd.rst ("Scaling"): many
# lenders behind a route reflector, on this machine's loopback, with the
# simulated module (no ipmem.ko, no data moved).
#
#            +---------------------------+
#            | RR: ipmemd + gobgpd       |  route reflector, lends nothing
#            | 127.0.1.1                 |
#            +-+--------+--------+-----+-+
#              |        |        |     |        iBGP, AS 65077
#   +----------+-+  +---+-----+  ...   +---------------------+
#   | farm 1     |  | farm 2  |        | borrower: ipmemd +  |
#   | N/K sim    |  | N/K sim |        | gobgpd, simulated   |
#   | lenders    |  | lenders |        | module; borrows     |
#   +------------+  +---------+        +---------------------+
#
# Each farm is one ipmemd ("sim-lenders") with its own gobgpd that
# announces N/K pool routes and answers requests for all of them with the
# real lender logic.  For each N the borrower's view is timed (until it
# sees all N lenders), then B borrows spanning three lenders each are
# timed end to end (request, reserve, grants, confirm, map), then
# released; the resident memory of the borrower's ipmemd and gobgpd is
# read from /proc.
#
# usage: helper/ipmemd/scale-sim.sh [N...]     (default: 50 100 250 500 1000)
# env:   FARMS (default 4), BORROWS (default 5), BUILD (default ./build)
# Needs root (BGP port 179 on 127.0.1.x) and gobgpd.  Prints a table.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
ipmemd=${BUILD:-$top/build}/ipmemd
farms=${FARMS:-4}
borrows=${BORROWS:-5}
dir=$(mktemp -d /tmp/ipmemd-scale.XXXXXX)
. "$top/helper/ipmemd/sim-lib.sh"

[ -x "$ipmemd" ] || { echo "no $ipmemd: run make" >&2; exit 1; }
command -v gobgpd >/dev/null || { echo "no gobgpd" >&2; exit 1; }

rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

printf '%-8s %-10s %-14s %-14s %-14s %-16s %s\n' lenders routes \
	"converge(s)" "borrow(ms)" "plan(us)" "ipmemd RSS(KiB)" "gobgpd RSS(KiB)"

for n in ${@:-50 100 250 500 1000}; do
	per=$(( (n + farms - 1) / farms ))
	rr_peers=()
	for k in $(seq 1 "$farms"); do
		rr_peers+=("peer 127.0.1.$((10 + k)) rr-client local-address 127.0.1.1")
	done
	rr_peers+=("peer 127.0.1.200 rr-client local-address 127.0.1.1")
	node rr 10.98.0.1 fd00:98::1 50201 127.0.1.1 "${rr_peers[@]}"
	t0=$(ms)
	left=$n
	for k in $(seq 1 "$farms"); do
		c=$(( left < per ? left : per ))
		left=$((left - c))
		[ "$c" -gt 0 ] || continue
		node farm$k "10.$((100 + k)).0.1" "fd00:98:$k::1" $((50210 + k)) \
			"127.0.1.$((10 + k))" "sim-lenders $c" "sim-lend 64M" \
			"peer 127.0.1.1 local-address 127.0.1.$((10 + k))"
	done
	node bor 10.98.200.1 fd00:98:200::1 50250 127.0.1.200 \
		"peer 127.0.1.1 local-address 127.0.1.200"
	bor_pid=${pids[-1]}

	# converged: the borrower sees every lender
	until ctl bor status 2>/dev/null | grep -q " blocks in $n lenders"; do
		if [ $(( $(ms) - t0 )) -gt 300000 ]; then
			echo "N=$n: no convergence in 300 s" >&2
			ctl bor status >&2
			exit 1
		fi
		sleep 0.2
	done
	conv=$(( $(ms) - t0 ))
	routes=$(ctl bor status | sed -n 's/.*, \([0-9]*\) routes received.*/\1/p')

	# borrows of 192 MiB: 3 lenders' worth each
	total=0
	plan=0
	for b in $(seq 1 "$borrows"); do
		t1=$(ms)
		out=$(ctl bor borrow 192M) || { echo "borrow failed: $out" >&2; exit 1; }
		total=$(( total + $(ms) - t1 ))
		p=$(echo "$out" | sed -n 's/.*planned in \([0-9]*\) us.*/\1/p')
		plan=$(( plan + ${p:-0} ))
		ctl bor release all >/dev/null || exit 1
	done
	gob=$(pgrep -f "api-hosts=127.0.0.1:50250")
	printf '%-8s %-10s %-14s %-14s %-14s %-16s %s\n' "$n" "$routes" \
		"$(awk "BEGIN { printf \"%.1f\", $conv / 1000 }")" \
		$(( total / borrows )) $(( plan / borrows )) \
		"$(rss_kb "$bor_pid")" "$(rss_kb "$gob")"
	stop_all
done
