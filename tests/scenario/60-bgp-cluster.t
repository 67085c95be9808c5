#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipmemd end to end over BGP: two lenders and a borrower, each with its
# own ipmemd and gobgpd, iBGP full mesh on the guests' segment.
#
#   +-------------------+   +-------------------+   +-------------------+
#   | g1 lender a4d:1   |   | g2 lender a4d:2   |   | g3 borrower a4d:3 |
#   |  pool 64 MiB      |   |  pool 64 MiB      |   |  borrow 96 MiB:   |
#   |  ipmemd + gobgpd  |   |  ipmemd + gobgpd  |   |  /dev/ipmem0 from |
#   +--------+----------+   +---------+---------+   |  g1 and g2; swap  |
#            |    iBGP (AS 65077) + RoCEv2 over eth0 +---------+---------+
#            +------------------------+-----------------------+
#
# In order: M and V agree everywhere; borrowing more than one lender has
# takes blocks from both; the verifying swap workload runs while ipmemd and
# gobgpd on the borrower and on a lender are killed and restarted, and
# completes (and a forged release meanwhile frees nothing); injected
# malformed or foreign routes change nothing; a flood of routes hits the
# borrower's max-routes and changes nothing either; release gives every block
# back and leaves only the two pool routes in every RIB; two borrowers
# (g2 and g3) race for more than is free and no block is granted twice;
# removing a borrowed disk by hand gives its blocks back; a forged request
# is ignored, and a signed one nobody confirms expires and its blocks
# return to V.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/bgp-lib.sh"

BGP_GUESTS="g1 g2 g3"
# hosts prove their ids to each other (ipmemd sets the keys)
BGP_KEYS=1
# every session is signed (TCP-MD5); the password is this run's
BGP_PASSWORD=pw-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
# the lenders' pools: 64 MiB of 64 KiB blocks each; g1's listens at the
# first address of its /80 (the default: reached by the kernel's route
# to the /80), g2's at its data-plane address (the module's own route)
M=2048
G1_CONF="lend 64M"
G2_CONF="lend 64M
endpoint address"
# the borrower keeps few paths of each neighbor: a flood hits the bound;
# it logs 20 ignored routes each 30 s at most
G3_CONF="max-routes 24
ignored-log-interval 30s
metrics-listen 127.0.0.1:9477"

# addr_hex ADDR: the 32 hex digits of an IPv6 address
addr_hex() {
	local head=${1%%::*} tail= g out= i n
	[[ $1 == *::* ]] && tail=${1##*::}
	local -a H T
	IFS=: read -ra H <<<"$head"
	IFS=: read -ra T <<<"$tail"
	n=$((8 - ${#H[@]} - ${#T[@]}))
	for g in "${H[@]}"; do out+=$(printf %04x $((16#$g))); done
	for ((i = 0; i < n; i++)); do out+=0000; done
	for g in "${T[@]}"; do out+=$(printf %04x $((16#$g))); done
	echo "$out"
}
# signed GUEST PEER PREFIX NEXTHOP COMMUNITIES: COMMUNITIES with the MAC
# that GUEST's module makes for host PEER over the route, as ipmemd
# signs (<ipmem/bgp.h>: ipmem_bgp_mac_data, IPMEM_BGP_FN_MAC)
signed() {
	local hex c mac
	hex=$(printf %08x 65077)$(addr_hex "${3%/*}")$(printf %02x "${3#*/}")$(addr_hex "$4")
	for c in $(echo "$5" | tr , '\n' | sort -t: -k2 -n); do
		hex+=$(printf %02x%08x "$(echo "$c" | cut -d: -f2)" "$(echo "$c" | cut -d: -f3)")
	done
	mac=$(g_run "$1" "nlraw ROUTE_MAC HOST_ID=u32:$2 ROUTE=hex:$hex" | awk '/^ROUTE_MAC/ { print $2 }')
	[ ${#mac} -ge 24 ] || return 1
	echo "$5,65077:50:$((16#${mac:0:8})),65077:51:$((16#${mac:8:8})),65077:52:$((16#${mac:16:8}))"
}
plan 52
h_init
bgp_boot

bgp_start g1 "$G1_CONF" && bgp_start g2 "$G2_CONF" && bgp_start g3 "$G3_CONF"
ok $? "ipmemd starts on all three (lenders g1 and g2, borrower g3)"

bgp_wait_mv $M $M
ok $? "every host sees M = V = $M from the two pool routes"
# only root drives BGP: gobgpd's API is a socket in a root-only directory
out=$(g_run g1 'nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	echo "tcp $(ss -Hltn | grep -c ":50051 ")"
	echo "root $(gobgp global | head -n 1)"
	stat -c "dir %a %U" /run/ipmemd
	nobody ls /run/ipmemd 2>&1 | tail -n 1
	timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups gobgp --target $GOBGP_API global >/dev/null 2>&1
	echo "nobody gobgp $?"
	nobody ipmemctl release all 2>&1; echo "nobody ipmemctl release $?"
	stat -c "socket %a %U" /run/ipmemd.sock' 2>&1)
diag "$out"
echo "$out" | grep -qx "tcp 0" && echo "$out" | grep -q "^root AS: *65077" &&
	echo "$out" | grep -qx "dir 700 root" && echo "$out" | grep -q "Permission denied" &&
	! echo "$out" | grep -qx "nobody gobgp 0" &&
	echo "$out" | grep -q "only root may talk to ipmemd" &&
	echo "$out" | grep -qx "nobody ipmemctl release 1" &&
	echo "$out" | grep -Eqx "socket [67]00 root"
ok $? "gobgpd's API: no TCP port, a socket in a root-only directory; root reaches it, nobody cannot, nor ipmemd's socket (0600)"
# a speaker without the password: g3's address, but no TCP-MD5 signature
out=$(g_run g3 'timeout 5 bash -c "exec 3<>/dev/tcp/fd00:77::1/179" 2>&1; echo "unsigned $?"
	timeout 5 bash -c "exec 3<>/dev/tcp/fd00:77::1/7471" 2>&1; echo "control $?"' 2>&1)
diag "$out"
echo "$out" | grep -qx "unsigned 124" && echo "$out" | grep -qx "control 1" &&
	g_run g1 'gobgp neighbor | grep -c Establ' | grep -qx 2
ok $? "g1 established its two signed sessions; an unsigned connection from g3 to its BGP port gets no answer"
out=$(g_run g3 'ipmemctl status')
echo "$out" | grep -q "lender 0a4d:0001 nexthop fd00:77::1 M_i 1024 V_i 1024 latency" &&
	echo "$out" | grep -q "lender 0a4d:0002 nexthop fd00:77::2 M_i 1024 V_i 1024 latency"
ok $? "ipmemctl status lists both lenders with host id, next hop, M_i, V_i, latency"
g_run g3 -t 90 "wait_until 60 ctl_is 'any(.ipmemd.lenders[]; .lender == \"0a4d:0001\" and (.latency_us | type) == \"number\")' status"
ok $? "the borrower measured the latency to a lender"

# -------------------------------------------------------------- borrow
out=$(g_run g3 -t 240 'ipmemctl borrow 96M')
rc=$?
diag "$out"
ok $rc "ipmemctl borrow 96M (more than either lender has)"
g_run g3 'ctl_is "any(.[]; .via == \"fd69:706d:656d:a4d:1::\") and any(.[]; .via == \"fd00:77::2\")" map list &&
	test "$(cat /sys/block/ipmem0/ipmem/mapped_copies)" = 1536'
ok $? "/dev/ipmem0 maps all 1536 extents, from both lenders"
bgp_wait_mv $M 512
ok $? "M and V agree on all three hosts: V = 512"
# block addresses are routed by the kernel: g3 routes each lender's /80
# via its address (protocol 77, ipmemd's), each lender holds its /80 as
# local, and a ping to a block's address gets that lender's answer
out=$(g_run g3 'ip -6 route show proto 77')
diag "$out"
lroutes=$(g_run g1 'ip -6 route show table local proto 77')
echo "$out" | grep -q "^fd69:706d:656d:a4d:1::/80 via $(g_ip6 g1) " &&
	echo "$out" | grep -q "^fd69:706d:656d:a4d:2::/80 via $(g_ip6 g2) " &&
	[ "$(echo "$out" | wc -l)" -eq 2 ] &&
	echo "$lroutes" | grep -q "^local fd69:706d:656d:a4d:1::/80 dev lo "
ok $? "ip -6 route on g3 lists both lenders' /80 via their addresses (proto 77); g1's /80 is local"
out=$(g_run g3 'busybox ping -c 1 -W 10 fd69:706d:656d:a4d:1::2a5 2>&1 &&
	busybox ping -c 1 -W 10 fd69:706d:656d:a4d:2::7ff 2>&1')
rc=$?
diag "$out"
ok $rc "g3 pings a block address of g1 and one of g2 and gets their answers"
# g1 listens at its /80's first address (on eth0; its pool route says
# so), and g3's module has no route of its own to it: it connects there
# through the kernel's route to the /80.  g2 listens at its address, which
# the module's own route names.
ep=fd69:706d:656d:a4d:1::
out=$(g_run g1 "ip -6 addr show dev eth0 | grep -c ' $ep/128 '
	ipmemctl -j status | jq -r '.ipmemd.lenders[] | select(.local) | .endpoint'" | xargs)
out2=$(g_run g3 "ipmemctl route list
	ipmemctl -j status | jq -r '[.ipmemd.lenders[] | .endpoint] | sort | join(\" \")'
	grep -c 'lender 0a4d:0001 at \[$ep\]:7471: live' /sys/kernel/debug/ipmem/lenders" | xargs)
diag "g1: $out; g3: $out2"
[ "$out" = "1 $ep" ] &&
	[ "$out2" = "fd69:706d:656d:a4d:2::/80 via fd00:77::2 port 7471 fd00:77::2 $ep 1" ]
ok $? "g1 lends at its /80's first address; g3 reaches it through the kernel's route, g2 through the module's"
confirmed='any(.[]; .borrower == "0a4d:0003" and .rights == "rw" and .state == "confirmed")'
g_run g1 "ctl_is '$confirmed' grant list" && g_run g2 "ctl_is '$confirmed' grant list"
ok $? "both lenders' modules hold confirmed grants for g3"
rc=0
for g in $BGP_GUESTS; do
	grep -q "host authentication on: our key set, 3 keys of other hosts" "$(bgp_log $g)" || rc=1
	out=$(g_run $g 'cat /sys/module/ipmem/auth/host_keys /sys/module/ipmem/auth/refused /sys/module/ipmem/auth/lender_failures | xargs')
	[ "$out" = "1 0 0" ] || { rc=1; diag "$g: host keys, refused, lender failures: $out"; }
done
ok $rc "ipmemd set every host's key and the others' public keys; the borrow authenticated both ways, nothing refused"

# ------------------------------------- workload across a control-plane restart
g_run g3 'swap_on ipmem0'
ok $? "swapon /dev/ipmem0"
g_start g3 'run_limited 40 memtouch -p 2 80'
work=$JOB
bgp_kill g3
# someone deletes a route ipmemd made while it is down: the next mapping
# of that lender (the restarted ipmemd's adoption) puts it back.  g2's:
# the module's own route carries its connection to g2 meanwhile
g_run g3 'ip -6 route del fd69:706d:656d:a4d:2::/80 proto 77 &&
	! ip -6 route show proto 77 | grep -q "^fd69:706d:656d:a4d:2::/80 "'
deleted=$?
# g3's requests are gone (g2 holds its grants, waiting for them to come
# back); a rogue speaker (g1's gobgpd) announces g3's request to g2 as
# released: without g3's signature g2 must not free g3's blocks
forged="fd69:706d:656d:a4d:3:8000:a4d:2/128 nexthop fd00:77::3 large-community 65077:1:1,65077:2:2,65077:3:65536,65077:20:172818434,65077:21:1024,65077:23:2,65077:24:3,65077:25:1,65077:26:1"
g_run g1 "gobgp global rib add -a ipv6 $forged" >/dev/null &&
	g_run g2 -t 90 'wait_until 60 grep -q "ignored route fd69:706d:656d:a4d:3:8000:a4d:2/128 from fd00:77::1: unauthenticated: host 0a4d:0003 did not sign it" /run/share/ipmemd.log &&
		ctl_is "any(.[]; .borrower == \"0a4d:0003\")" grant list && ! grep -q "released" /run/share/ipmemd.log'
ok $? "a forged release of g3's request reaches g2 while g3 is down: g2 logs it unauthenticated and keeps g3's grants"
ready=$(g_run g1 'grep -c "gobgpd ready" /run/share/ipmemd.log')
bgp_kill g1
# restarted: its ipmemd withdraws the paths in gobgpd it does not own when
# it first reaches gobgpd ("gobgpd ready"); what is injected below must
# come after that, or it goes as a stale path
bgp_start g1 "$G1_CONF" &&
	g_run g1 -t 90 "wait_until 60 sh -c 'test \$(grep -c \"gobgpd ready\" /run/share/ipmemd.log) -gt ${ready:-0}'"
ok $? "ipmemd and gobgpd on lender g1 killed (-9) and restarted during the workload"
# a replay: g3's own release of an earlier request of its disk 0 from g2
# (signed by g3's module, as recorded then: an older serial than the
# request g2 answers now), announced by g1's gobgpd while g3 is down, and
# still there when g3 comes back
replay=fd69:706d:656d:a4d:3:8000:a4d:2/128
comms=$(signed g3 0x0a4d0002 $replay fd00:77::3 "65077:1:1,65077:2:2,65077:3:65536,65077:20:172818434,65077:21:1024,65077:23:2,65077:24:3,65077:25:1,65077:26:1") &&
	g_run g1 -t 90 "wait_until 60 gobgp global rib add -a ipv6 $replay nexthop fd00:77::3 large-community $comms 2>/dev/null" >/dev/null &&
	g_run g2 -t 90 'wait_until 60 grep -q "ignored request of host 0a4d:0003 disk 0 in state released: its serial 4294967297 is older than that of the request we answer" /run/share/ipmemd.log &&
		ctl_is "any(.[]; .borrower == \"0a4d:0003\")" grant list && ! grep -q "freeing .* blocks of host 0a4d:0003" /run/share/ipmemd.log'
ok $? "a replayed release of an older request of g3 (validly signed) reaches g2 while g3 is down: g2 logs it as older and keeps g3's grants"
bgp_start g3 "$G3_CONF"
ok $? "ipmemd and gobgpd on the borrower restarted during the workload"
g_run g3 -t 200 'wait_until 180 ctl_is "[.ipmemd.borrows[].copies_from[] | select(.copy == 0 and .state == \"mapped\" and .adopted) | .lender] |
	contains([\"0a4d:0001\", \"0a4d:0002\"])" status' &&
	[ $deleted -eq 0 ] &&
	g_run g3 "ip -6 route show proto 77 | grep -q '^fd69:706d:656d:a4d:2::/80 via $(g_ip6 g2) '"
ok $? "the restarted ipmemd rebuilt its borrow from the module and BGP, and the kernel route deleted meanwhile"
none_held='all(.ipmemd.pools[].requests[]?; .held | not)'
g_run g1 -t 120 "wait_until 100 ctl_is '$none_held' status &&
	ctl_is 'any(.ipmemd.pools[].requests[]?; .borrower == \"0a4d:0003\" and .disk == 0 and .state == \"confirmed\" and .blocks > 0)' status" &&
	g_run g2 -t 120 "wait_until 100 ctl_is '$none_held' status"
ok $? "g1 rebuilt its grants from the module; both lenders saw the requests come back (g2 uses g3's, not the older replayed one)"
g_run g1 "gobgp global rib del -a ipv6 $replay" >/dev/null
out=$(g_wait g3 "$work" -t 900)
rc=$?
diag "$out"
echo "$out" | grep -q '^total mismatches 0$'
ok $(( rc || $? )) "the workload completes and verifies"
bgp_wait_mv $M 512
ok $? "M and V still agree on all three hosts"
# The borrower's metrics after the workload: the module's counters as
# ipmemd exports them (bash's /dev/tcp: the guest needs no HTTP client)
g_run g3 "bash -c 'exec 3<>/dev/tcp/127.0.0.1/9477 &&
	printf \"GET /metrics HTTP/1.0\\r\\n\\r\\n\" >&3 && cat <&3' |
	sed '1,/^\r\$/d' >/run/metrics.txt" &&
	out=$(g_run g3 'promtool check metrics </run/metrics.txt 2>&1') && [ -z "$out" ]
ok $? "the borrower's metrics pass promtool check metrics${out:+ ($out)}"
met=$(g_run g3 'cat /run/metrics.txt')
reads=$(echo "$met" | awk '$1 == "ipmem_disk_reads_total{disk=\"ipmem0\"}" { print $2 }')
diag "$(echo "$met" | grep -E '^ipmem_(disk_(reads_total|read_latency_seconds_(count|sum)|copies_mapped)|borrower_lender_)')"
[ "${reads:-0}" -gt 0 ] &&
	echo "$met" | grep -qx "ipmem_disk_read_latency_seconds_count{disk=\"ipmem0\"} $reads" &&
	echo "$met" | grep -qx "ipmem_disk_read_latency_seconds_bucket{disk=\"ipmem0\",le=\"+Inf\"} $reads" &&
	echo "$met" | grep -qx 'ipmem_disk_copies_mapped{disk="ipmem0"} 1536' &&
	[ "$(echo "$met" | grep -cx 'ipmem_borrower_lender_state{lender="0a4d:000[12]",state="live"} 1')" -eq 2 ] &&
	[ "$(echo "$met" | grep -cx 'ipmem_borrower_lender_state{lender="0a4d:000[12]",state="[a-z]*"} 0')" -eq 6 ] &&
	[ "$(echo "$met" | awk '$1 ~ /^ipmem_borrower_lender_copies_mapped/ { n += $2 } END { print n }')" -eq 1536 ]
ok $? "they count every swap-in in the latency histogram ($reads reads), both lenders live, 1536 copies on them"

# ------------------------------------------------- malformed and foreign
before=$(g_run g3 'ipmemctl map list; ipmemctl route list')
g_run g1 '
	a() { gobgp global rib add -a ipv6 "$@"; }
	# foreign: outside the network, no communities
	a 2001:db8:1::/48 nexthop fd00:77::1
	# a pool with an unknown community function
	a fd69:706d:656d:dead:beef::/80 nexthop fd00:77::1 large-community 65077:1:1,65077:2:1,65077:3:65536,65077:10:1000,65077:12:1000,65077:14:7471,65077:99:7
	# a pool outside the network prefix
	a 2001:db8:2:0:1::/80 nexthop fd00:77::1 large-community 65077:1:1,65077:2:1,65077:3:65536,65077:10:1000,65077:12:1000,65077:14:7471
	# a grant for g3 from a lender g3 never asked (disk 0)
	a fd69:706d:656d:a4d:63::/118 nexthop fd00:77::1 large-community 65077:1:1,65077:2:3,65077:30:172818435,65077:31:0,65077:23:2,65077:32:2,65077:25:1,65077:26:1
	# a grant for an unknown borrower
	a fd69:706d:656d:a4d:64::/120 nexthop fd00:77::1 large-community 65077:1:1,65077:2:3,65077:30:3735928559,65077:31:0,65077:23:2,65077:32:2,65077:25:1,65077:26:1
	# a request for 0 blocks
	a fd69:706d:656d:a4d:63:8000:a4d:2/128 nexthop fd00:77::1 large-community 65077:1:1,65077:2:2,65077:3:65536,65077:20:172818434,65077:21:0,65077:23:2,65077:24:1,65077:25:1,65077:26:1' >/dev/null
# a grant overlapping g2'"'"'s real grant to g3, from g1
grant=$(g_run g2 'ipmemctl -j grant list | jq -r "first(.[] | select(.borrower == \"0a4d:0003\")) | .prefix"')
g_run g1 "gobgp global rib add -a ipv6 ${grant%/*}/128 nexthop fd00:77::2 large-community 65077:1:1,65077:2:3,65077:30:172818435,65077:31:0,65077:23:2,65077:32:2,65077:25:1,65077:26:1" >/dev/null
g_run g3 -t 90 'wait_until 60 ctl_is ".ipmemd.bgp.routes_ignored == 7" status &&
	wait_until 30 grep -q "ignored route fd69:706d:656d:a4d:63::/118 from fd00:77::1: unauthenticated: host 0a4d:0063 did not sign it" /run/share/ipmemd.log &&
	date +%s >/run/ignored.last'
ok $? "g3 logged and ignored the 5 malformed and foreign routes, and the grant nobody signed (and the replay of its own request before)"
g_run g2 -t 90 'wait_until 60 ctl_is ".ipmemd.bgp.routes_ignored == 6" status'
ok $? "so did g2 (the 5, and the forged release before)"
after=$(g_run g3 'ipmemctl map list; ipmemctl route list')
is "$after" "$before" "g3's mappings and routes are unchanged"
bgp_wait_mv $M 512 30
ok $? "M and V are unchanged everywhere"
g_run g1 'for p in 2001:db8:1::/48 fd69:706d:656d:dead:beef::/80 2001:db8:2:0:1::/80 \
	fd69:706d:656d:a4d:63::/118 fd69:706d:656d:a4d:64::/120 \
	fd69:706d:656d:a4d:63:8000:a4d:2/128 '"${grant%/*}/128"'; do
		gobgp global rib del -a ipv6 $p; done' >/dev/null

# -------------------------------------------------------------- a flood
# g1 floods 40 well-formed grants (of lenders that do not exist, for a
# borrower that does not) and 30 malformed routes.  g3 logs 20 ignored
# routes each 30 s (ignored-log-interval), the 30 s starting at the first
# one after the last 30 s ended: let the 30 s of the routes above end
# first, so that the malformed routes of the flood (seconds long) have
# an interval of their own.
g_run g3 -t 120 'wait_until 90 sh -c "test \$(date +%s) -ge \$((\$(cat /run/ignored.last) + 31))" &&
	wc -l </run/share/ipmemd.log >/run/flood.from'
g_run g1 -t 600 'for i in $(seq 256 295); do
		gobgp global rib add -a ipv6 fd69:706d:656d:a4d:$(printf %x $i)::/120 nexthop fd00:77::1 large-community 65077:1:1,65077:2:3,65077:30:3735928559,65077:31:0,65077:23:2,65077:32:2,65077:25:1,65077:26:1 || exit 1
	done
	for i in $(seq 512 541); do
		gobgp global rib add -a ipv6 fd69:706d:656d:a4d:$(printf %x $i)::/80 nexthop fd00:77::1 large-community 65077:1:1,65077:2:1,65077:99:7 || exit 1
	done'
ok $? "g1 floods 40 well-formed grants and 30 malformed routes"
g_run g3 -t 150 'wait_until 120 grep -q "neighbor fd00:77::1 has max-routes (24) paths: dropping its new routes until it withdraws some" /run/share/ipmemd.log &&
	wait_until 60 ctl_is ".ipmemd.bgp.routes_ignored == 37 and .ipmemd.bgp.routes_dropped > 0" status &&
	ipmemctl status | grep -q "routes dropped: a neighbor had max-routes (24)"'
ok $? "g3 keeps 24 paths of g1 at most: says so in its log and status; it counted the 30 malformed"
out=$(g_run g3 'tail -n +$(($(cat /run/flood.from) + 1)) /run/share/ipmemd.log | grep -c " ignored route "
	grep -c "more this 30 s are counted, not logged" /run/share/ipmemd.log' | xargs)
diag "g3 logged $(echo $out | cut -d" " -f1) of the 30 malformed routes; it said $(echo $out | cut -d" " -f2) time(s) that it counts the rest"
[ "$out" = "20 1" ]
ok $? "g3 logged 20 ignored routes in 30 s at most (ignored-log-interval), and said it counts the rest"
after=$(g_run g3 'ipmemctl map list; ipmemctl route list')
bgp_wait_mv $M 512 30 && [ "$after" = "$before" ]
ok $? "M, V, g3's mappings and routes are unchanged"
g_run g1 -t 600 'for i in $(seq 256 295); do gobgp global rib del -a ipv6 fd69:706d:656d:a4d:$(printf %x $i)::/120; done
	for i in $(seq 512 541); do gobgp global rib del -a ipv6 fd69:706d:656d:a4d:$(printf %x $i)::/80; done' >/dev/null
g_run g3 -t 150 'wait_until 120 grep -q "neighbor fd00:77::1 is below max-routes (24) again" /run/share/ipmemd.log'
ok $? "g1 withdraws them: g3 says g1 is below max-routes again"

# ------------------------------------------------------------- release
g_run g3 'swapoff /dev/ipmem0'
out=$(g_run g3 -t 120 'ipmemctl release all')
rc=$?
diag "$out"
ok $rc "swapoff and ipmemctl release all"
bgp_wait_mv $M $M
ok $? "V is back to $M on every host"
# the routes go once the module has torn its queues down (its DREQ needs one)
out=$(g_run g3 'wait_until 60 sh -c "test -z \"\$(ip -6 route show proto 77)\""; ip -6 route show proto 77')
diag "$out"
g_run g3 '! busybox ping -c 1 -W 2 fd69:706d:656d:a4d:1::2a5' >/dev/null && [ -z "$out" ]
ok $? "released: g3 routes no lender's /80 any more (a ping to a block address fails)"
# and the teardown went out before the route went (on Soft-RoCE a DREQ
# with no route leaves no rdma_cm connection of g3 working): g3 borrows
# again, a copy on each lender, and gives it back
out=$(g_run g3 -t 300 'ipmemctl borrow 8M replicas 2 && ipmemctl release all' 2>&1) &&
	bgp_wait_mv $M $M
rc=$?
diag "$out"
ok $rc "g3's RDMA device still connects: it borrows 8 MiB with a copy on each lender, and releases it"
rc=0
for g in $BGP_GUESTS; do
	rib=$(g_run "$g" 'wait_until 60 sh -c "test \$($GOBGP global rib -a ipv6 | grep -c \"^\*\") = 2"; gobgp global rib -a ipv6 | awk "NR > 1 { print \$2 }" | sort | xargs')
	[ "$rib" = "fd69:706d:656d:a4d:1::/80 fd69:706d:656d:a4d:2::/80" ] ||
		{ diag "$g: $rib"; rc=1; }
done
ok $rc "only the two pool routes are left in every gobgpd's RIB"

# ---------------------------------------------------------------- race
# g2 (a lender itself, so it asks only g1) wants 768 blocks, g3 1536: more
# than the 2048 free.  Whoever loses at a lender is refused there.
g_start g2 'ipmemctl borrow 48M'
j2=$JOB
g_start g3 'ipmemctl borrow 96M'
j3=$JOB
out2=$(g_wait g2 "$j2" -t 300); rc2=$?
out3=$(g_wait g3 "$j3" -t 300); rc3=$?
diag "g2: $out2" "g3: $out3"
[ $((rc2 == 0)) -ne $((rc3 == 0)) ]
ok $? "two borrowers race for more than is free: exactly one gets its blocks"
if [ $rc2 -eq 0 ]; then win=g2 wid=0a4d:0002 lose=g3 loser_out=$out3; else win=g3 wid=0a4d:0003 lose=g2 loser_out=$out2; fi
echo "$loser_out" | grep -q "cannot borrow"
ok $? "the loser ($lose) gets a clear error"
rc=0
for l in g1 g2; do
	g_run "$l" -t 90 "wait_until 60 ctl_is 'all(.[]; .borrower == \"$wid\")' grant list" >/dev/null ||
		{ diag "$l still holds grants of the loser"; rc=1; }
	g_run "$l" 'ctl_is ".lender.pool.blocks_free + ([.lender.grants[].blocks] | add // 0) == .lender.pool.blocks_total" status' ||
		{ diag "$l: free + granted != total"; rc=1; }
done
granted=$(for l in g1 g2; do g_run "$l" "ipmemctl -j grant list | jq '[.[] | select(.borrower == \"$wid\") | .blocks] | add // 0'"; done | awk '{ n += $1 } END { print n }')
mapped=$(g_run "$win" 'cat /sys/block/ipmem0/ipmem/mapped_copies')
[ "$granted" = "$mapped" ] && [ "$rc" -eq 0 ] || diag "granted $granted, mapped $mapped"
ok $(( rc || granted != mapped )) "no block is granted twice: every lender's free and granted blocks add up, the winner maps exactly what it was granted, the loser holds nothing"
bgp_wait_mv $M $((M - granted))
ok $? "M and V agree on all three hosts: V = $((M - granted))"
g_run "$win" 'ipmemctl disk del ipmem0' && bgp_wait_mv $M $M
ok $? "the winner removes its disk by hand; its ipmemd releases the blocks: V is back to $M everywhere"

# -------------------------------------------------------------- expiry
# a forged request (of a4d:63, that nobody knows, unsigned) to tie up g1's
# pool: ignored
req="fd69:706d:656d:a4d:63:8005:a4d:1/128 nexthop fd00:77::2 large-community 65077:1:1,65077:2:2,65077:3:65536,65077:20:172818433,65077:21:100,65077:23:2,65077:24:1,65077:25:1,65077:26:1"
g_run g2 "gobgp global rib add -a ipv6 $req" >/dev/null
g_run g1 -t 90 'wait_until 60 grep -q "ignored route fd69:706d:656d:a4d:63:8005:a4d:1/128 from fd00:77::2: unauthenticated: host 0a4d:0063 did not sign it" /run/share/ipmemd.log' &&
	bgp_wait_mv $M $M 10
ok $? "g1 ignores a request nobody signed: V = $M everywhere"
g_run g2 "gobgp global rib del -a ipv6 ${req%% *}" >/dev/null

# a request of g2 (signed by g2's module: a host that asks and never
# confirms, disk 5) for 100 blocks of g1, announced from g3
pfx=fd69:706d:656d:a4d:2:8005:a4d:1/128
comms=$(signed g2 0x0a4d0001 $pfx fd00:77::2 "65077:1:1,65077:2:2,65077:3:65536,65077:20:172818433,65077:21:100,65077:23:2,65077:24:1,65077:25:1,65077:26:1") &&
	g_run g3 "gobgp global rib add -a ipv6 $pfx nexthop fd00:77::2 large-community $comms" >/dev/null
ok $? "g2 signs a request for 100 blocks of g1 (nlraw ROUTE_MAC), g3 announces it"
bgp_wait_mv $M $((M - 100)) 60
ok $? "g1 checks the signature and reserves 100 blocks: V = $((M - 100)) everywhere"
bgp_wait_mv $M $M 90
ok $? "the reservation expires (reserve-timeout 10 s): V = $M everywhere"
g_run g1 'grep -q "reservation fd69:706d:656d:a4d:1:.* lapsed unconfirmed" /run/share/ipmemd.log &&
	ctl_is "any(.ipmemd.pools[].requests[]?; .borrower == \"0a4d:0002\" and .disk == 5 and .blocks == 0 and .grants == 0 and .refused == \"reservation expired\")" status'
ok $? "g1 logged the lapse and answers the request with a refusal"
g_run g3 "gobgp global rib del -a ipv6 $pfx" >/dev/null

rc=0
for g in $BGP_GUESTS; do
	grep -qF "$BGP_PASSWORD" "$(bgp_log "$g")" && rc=1
	g_run "$g" "! dmesg | grep -qF '$BGP_PASSWORD'" || rc=1
done
ok $rc "the BGP password is in no ipmemd or gobgpd log and no dmesg"
# the private keys (bytes 1-29: the module clamps bytes 0 and 31)
rc=0
for g in $BGP_GUESTS; do
	k=$(g_run "$g" 'cat /run/host.key')
	[ ${#k} -eq 64 ] || { diag "$g: no key in /run/host.key"; rc=1; }
	for l in $BGP_GUESTS; do
		grep -qiF "${k:2:58}" "$(bgp_log "$l")" && { diag "$g's key in $l's log"; rc=1; }
		g_run "$l" "! dmesg | grep -qiF '${k:2:58}'" || rc=1
	done
done
ok $rc "no host's private key is in any ipmemd or gobgpd log or dmesg"
bgp_end
