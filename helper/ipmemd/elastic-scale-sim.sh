#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Elastic borrowing at scale (Documentation/ipmemd.rst, "Scaling"): B
# borrowers grow and shrink at once against L lenders, on this machine's
# loopback, with the simulated module (no ipmem.ko, no data moved).
#
#   farm 1..F: one ipmemd + gobgpd each, L/F simulated lenders of 96 MiB
#   rr1: reflector for the farms and borrowers 1..B/2
#   rr2: reflector for the other borrowers; rr1 and rr2 peer
#   borrower 1..B: ipmemd + gobgpd each, elastic, 64 MiB steps up to 192 MiB
#
# All borrowers read one fake /proc (proc-dir) that this script writes:
# first memory pressure and full swap, so each borrows three steps, then
# none and empty swap, so each gives its three disks back.  At each end
# the script waits until every borrower has settled, and checks:
#
#   - every borrower and both reflectors see the same M and V, and V is
#     the lenders' whole pool less what the borrowers hold;
#   - no block is granted twice: the grants in rr1's RIB (every grant
#     passes through it), read with the gobgp CLI, do not overlap, and
#     they add up to what the borrowers hold.
#
# It reports the p50 and p99 of a borrow step (request to ready) and of a
# give-back (release to released), from the borrowers' logs, and the route
# updates a host receives per second while the borrowers grow and while
# they shrink (ipmemd's route_updates counter), against the idle rate.
# Lines "ok"/"FAIL" are the checks; the exit status is 1 if any failed.
#
# usage: helper/ipmemd/elastic-scale-sim.sh [BORROWERS [LENDERS]]
#        (default 100 borrowers, at most 110; 1000 lenders)
# env:   FARMS (default 4), BUILD (default ./build), SETTLE (seconds to
#        wait for each phase, default 900), SIM_KEEP=1 (keep the scratch
#        directory and the nodes' logs), RESERVE_TMO and REQUEST_TMO (the
#        lenders' reserve-timeout and the borrowers' request-timeout,
#        default 120s and 180s; see below)
# Needs root (BGP port 179 on 127.0.3.x and 127.0.4.x), gobgpd, gobgp
# and python3.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
ipmemd=${BUILD:-$top/build}/ipmemd
nb=${1:-100}
nl=${2:-1000}
farms=${FARMS:-4}
settle=${SETTLE:-900}
dir=$(mktemp -d /tmp/ipmemd-escale.XXXXXX)
# probes of 10,000 lenders by 100 borrowers, spread over 10 minutes
SIM_PROBE_INTERVAL=600s
. "$top/helper/ipmemd/sim-lib.sh"
failed=0
step=64		# MiB
steps=3
# Round trips here are those of 200 processes on a few CPUs: a request and
# its grant cross three gobgpd each way, and while all borrowers grow at
# once that took 25 s (p50) on 2 cores.  A reservation that lapses before
# its borrower saw the grant (reserve-timeout, 10 s by default) is
# refused, asked again elsewhere, and lapses again: the churn feeds the
# load that delays it (5349 route updates per borrower instead of ~500,
# 412 s to grow).  So the timeouts are sized as a deployment sizes them:
# past the slowest round trip (Documentation/ipmemd.rst, reserve-timeout).
reserve_tmo=${RESERVE_TMO:-120s}
request_tmo=${REQUEST_TMO:-180s}
lend=96		# MiB: two steps take three lenders' pools (grants split)

[ -x "$ipmemd" ] || { echo "no $ipmemd: run make" >&2; exit 1; }
for c in gobgpd gobgp python3; do
	command -v $c >/dev/null || { echo "no $c (scripts/setup)" >&2; exit 1; }
done
# a reflector has at most 64 peers: the farms, the other reflector and
# half of the borrowers
[ "$nb" -ge 2 ] && [ "$nb" -le 110 ] || { echo "borrowers: 2..110" >&2; exit 1; }

check() {
	if [ "$1" -eq 0 ]; then
		echo "ok: $2"
	else
		echo "FAIL: $2"
		failed=1
	fi
}

# the fake /proc every borrower reads
proc=$dir/proc
mkdir -p "$proc/pressure"
printf 'MemTotal:        4000000 kB\nMemAvailable:    2000000 kB\n' >"$proc/meminfo"
# set PSI_AVG10 USED_KIB: the pressure, and every disk a borrower can
# have (ipmem0..ipmem15) as swap of 128 MiB with USED_KIB used
set_proc() {
	local i

	printf 'some avg10=%s avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' \
		"$1" >"$proc/pressure/memory.tmp"
	{
		printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n'
		for i in $(seq 0 15); do
			printf '/dev/ipmem%d                             partition\t131072\t\t%s\t\t5\n' "$i" "$2"
		done
	} >"$proc/swaps.tmp"
	mv "$proc/pressure/memory.tmp" "$proc/pressure/memory"
	mv "$proc/swaps.tmp" "$proc/swaps"
}
set_proc 0.00 0

half=$(( (nb + 1) / 2 ))
bname() { echo "b$1"; }
baddr() { echo "127.0.3.$1"; }
# borrower i peers with rr1 (i <= half) or rr2
brr() { [ "$1" -le "$half" ] && echo 127.0.4.1 || echo 127.0.4.2; }

rr1=("peer 127.0.4.2 local-address 127.0.4.1")
rr2=("peer 127.0.4.1 local-address 127.0.4.2")
for k in $(seq 1 "$farms"); do
	rr1+=("peer 127.0.4.$((10 + k)) rr-client local-address 127.0.4.1")
done
for i in $(seq 1 "$nb"); do
	if [ "$i" -le "$half" ]; then
		rr1+=("peer $(baddr "$i") rr-client local-address 127.0.4.1")
	else
		rr2+=("peer $(baddr "$i") rr-client local-address 127.0.4.2")
	fi
done
node rr1 10.97.0.1 fd00:97::1 50401 127.0.4.1 "${rr1[@]}"
node rr2 10.97.0.2 fd00:97::2 50402 127.0.4.2 "${rr2[@]}"

t0=$(ms)
per=$(( (nl + farms - 1) / farms ))
left=$nl
for k in $(seq 1 "$farms"); do
	c=$(( left < per ? left : per ))
	left=$((left - c))
	[ "$c" -gt 0 ] || continue
	node "farm$k" "10.$((110 + k)).0.1" "fd00:97:$k::1" $((50410 + k)) \
		"127.0.4.$((10 + k))" "sim-lenders $c" "sim-lend ${lend}M" \
		"reserve-timeout $reserve_tmo" \
		"peer 127.0.4.1 local-address 127.0.4.$((10 + k))"
done
for i in $(seq 1 "$nb"); do
	node "$(bname "$i")" "10.96.$((i / 256)).$((i % 256))" \
		"fd00:96::$(printf %x "$i")" $((51000 + i)) "$(baddr "$i")" \
		"peer $(brr "$i") local-address $(baddr "$i")" "proc-dir $proc" \
		"elastic-max $((step * steps))M" "elastic-step ${step}M" \
		"elastic-psi 10" "elastic-high 80" "elastic-low 25" \
		"elastic-hold 1s" "request-timeout $request_tmo"
done

blocks_per=$((lend * 16))		# 64 KiB blocks of one lender
total=$((nl * blocks_per))
agents() { echo rr1 rr2; for i in $(seq 1 "$nb"); do bname "$i"; done; }

# look AGENT: "M V LENDERS READY UPDATES" as AGENT's ipmemd says (READY:
# its ready elastic disks; UPDATES: route updates it received)
look() {
	ctl "$1" status 2>/dev/null | awk '
		/^M [0-9]+ V [0-9]+ blocks in [0-9]+ lenders/ { m = $2; v = $4; l = $7 }
		/: ready \(elastic\)/ { r++ }
		/, [0-9]+ updates$/ { u = $(NF - 1) }
		END { printf "%s %s %s %d %d\n", m, v, l, r, u }'
}
# updates received, summed over the borrowers
updates() {
	local i s=0 x

	for i in $(seq 1 "$nb"); do
		x=$(look "$(bname "$i")")
		s=$((s + ${x##* }))
	done
	echo "$s"
}

# settle EXPECT_V NREADY WHAT: until every agent sees M, V = EXPECT_V and
# every borrower holds NREADY elastic disks, or $settle seconds.  Each
# look stops at the first agent that is not there yet.
settle() {
	local want="$total $1 $nl" end=$((SECONDS + settle)) bad a x

	while :; do
		bad=
		for a in $(agents); do
			x=$(look "$a")
			if [ "${x% * *}" != "$want" ]; then
				bad="$a sees M V lenders ${x% * *}, not $want"
			elif [ "${a#b}" != "$a" ] && [ "$(echo "$x" | cut -d' ' -f4)" != "$2" ]; then
				bad="$a holds $(echo "$x" | cut -d' ' -f4) elastic disks, not $2"
			fi
			[ -z "$bad" ] || break
		done
		[ -n "$bad" ] || return 0
		if [ $SECONDS -ge "$end" ]; then
			echo "$3: not settled in $settle s: $bad" >&2
			return 1
		fi
		sleep 2
	done
}

# the grants in rr1's RIB: overlapping ones, and the blocks they cover
grants() {
	gobgp -p 50401 -j global rib -a ipv6 2>/dev/null | python3 -c '
import ipaddress, json, sys
rib = json.load(sys.stdin)
spans = {}
for prefix in rib:
	net = ipaddress.ip_network(prefix)
	a = int(net.network_address)
	# a grant: inside a /80, in its blocks space (the top two bits of the
	# 48-bit block field 00), and not the /80 itself (the pool)
	if net.prefixlen <= 80 or (a >> 46) & 3:
		continue
	spans.setdefault(a >> 48, []).append((a, a + net.num_addresses, prefix))
n = 0
bad = 0
for host, s in spans.items():
	s.sort()
	for i, (lo, hi, p) in enumerate(s):
		n += hi - lo
		if i and lo < s[i - 1][1]:
			print("overlap: %s and %s" % (s[i - 1][2], p), file=sys.stderr)
			bad += 1
print(bad, n)
'
}

echo "$nb borrowers, $nl lenders of $lend MiB ($farms farms), 2 reflectors; steps of $step MiB"
settle "$total" 0 "start"
check $? "every agent sees $nl lenders and all $total blocks free ($(( ($(ms) - t0) / 1000 )) s after the start)"

# idle: the route updates a borrower receives with nothing going on
u0=$(updates)
sleep 10
u1=$(updates)
idle=$(awk "BEGIN { printf \"%.1f\", ($u1 - $u0) / $nb / 10 }")

for phase in grow shrink; do
	if [ $phase = grow ]; then
		set_proc 50.00 131072
		want=$((total - nb * steps * step * 16))
		hold=$steps
	else
		set_proc 0.00 0
		want=$total
		hold=0
	fi
	t1=$(ms)
	u0=$(updates)
	settle "$want" "$hold" "$phase"
	rc=$?
	secs=$(( ($(ms) - t1) / 1000 ))
	u1=$(updates)
	check $rc "$phase: every borrower holds $hold elastic disks, and all $((nb + 2)) agents see M $total V $want ($secs s)"
	rate=$(awk "BEGIN { printf \"%.1f\", ($u1 - $u0) / $nb / ($secs ? $secs : 1) }")
	echo "$phase: $rate route updates/s per borrower (idle: $idle), $(( (u1 - u0) / nb )) per borrower in $secs s"
	g=$(grants)
	nover=${g% *}
	gblocks=${g#* }
	check $(( nover != 0 || gblocks != total - want )) \
		"$phase: the grants in rr1's RIB cover $gblocks blocks ($((total - want)) held), $nover overlaps"
done

# the time of each step, from the logs
pct() {
	sort -n | awk -v what="$1" '{ v[NR] = $1 } END {
		if (!NR) { print what ": none"; exit }
		p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
		printf "%s: %d steps, p50 %d ms, p99 %d ms, max %d ms\n", what, NR, p50, p99, v[NR] }'
}
cat "$dir"/b[0-9]*.log | sed -n 's/.* ready: .* in \([0-9]*\) ms$/\1/p' | pct "borrow step (request to ready)"
cat "$dir"/b[0-9]*.log | sed -n 's/.* released in \([0-9]*\) ms$/\1/p' | pct "give-back (release to released)"
grows=$(cat "$dir"/b[0-9]*.log | grep -c 'elastic: borrowing')
check $(( grows != nb * steps )) "$grows elastic steps up in all (${nb} x $steps)"
errs=$(grep -lE 'borrow failed|cannot give|double|overlap' "$dir"/*.log | wc -l)
check $(( errs != 0 )) "no log says a borrow failed or could not be given back ($errs logs do)"
[ $errs -eq 0 ] || grep -hE 'borrow failed|cannot give' "$dir"/*.log | head -n 5 >&2
for a in b1 rr1; do
	rss=$(awk '/^VmRSS:/ { print $2 }' /proc/"$(pgrep -f "$dir/$a.conf" | head -n 1)"/status 2>/dev/null)
	echo "$a ipmemd RSS ${rss:-?} KiB"
done
exit $failed
