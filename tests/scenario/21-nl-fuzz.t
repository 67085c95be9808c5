#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Random netlink requests (tests/tools/nlfuzz.c, seeded; the seed is
# printed, FUZZ_SEED repeats a run).  First FUZZ_MESSAGES (2000; 10000
# outside make check) requests of every command with random attributes,
# each that would change state made invalid: every one is refused and the
# module's state (status, grants, routes, disks, keys, the table) is exactly
# what it was.  Then as many with well-formed attributes and values near
# the limits: whatever they did, everything can be taken down and the
# module unloaded, and the kernel log stays clean.
#
#   +-----------------------------------------------------------+
#   | g1 (host a4d:1, rxe0 loopback)                             |
#   |   pool 64 MiB, two grants, a route, ipmem0 mapped          |
#   |   nlfuzz -m safe, then nlfuzz -m valid                     |
#   +-----------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

N=${FUZZ_MESSAGES:-2000}
SEED=${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

plan 7
h_init
g_boot g1 --cpus 2 --mem 768 || bail "guest g1 did not boot"

ID=$(g_run g1 'ipmem_load && host_id') || bail "cannot load ipmem.ko"
g_keys g1 || bail "cannot provision host keys"
g_run g1 "ipmemctl lend 64M dev eth0 &&
	ipmemctl grant add \$(block_prefix $ID 256) borrower $ID rights rw &&
	ipmemctl grant add fd69:706d:656d:$ID::100/120 borrower a4d:9 rights ro &&
	ipmemctl route add fd69:706d:656d:$ID::/80 via \$(my_ip6) &&
	ipmemctl disk create 16M && ipmemctl map add \$(block_prefix $ID 256) disk ipmem0 &&
	echo 1 > /sys/module/ipmem/parameters/connect_tmo" >/dev/null
ok $? "a pool, two grants, a route and a mapped disk to start from"

snapshot='{ ipmemctl status; ipmemctl grant list; ipmemctl route list;
	ipmemctl disk list | sed "s/ reads .*//"; ipmemctl map list;
	ipmemctl key show; ipmemctl host-key list;
	cat /sys/kernel/debug/ipmem/table /sys/kernel/debug/ipmem/grants; }'
g_run g1 "$snapshot > /run/share/before"
out=$(g_run g1 -t 1200 "nlfuzz -m safe -s $SEED -n $N -h $ID")
rc=$?
diag "$out"
ok $rc "$N random requests (seed $SEED): none that changes state succeeds"
g_run g1 "$snapshot > /run/share/after"
diff=$(diff "$(g_share g1)/before" "$(g_share g1)/after")
[ -z "$diff" ] || diag "$diff"
[ -s "$(g_share g1)/before" ] && [ -z "$diff" ]
ok $? "the module's state is exactly what it was"

out=$(g_run g1 -t 1200 "nlfuzz -m valid -s $SEED -n $N -h $ID")
rc=$?
diag "$out"
ok $rc "$N well-formed random requests with values near the limits"
g_run g1 'ipmemctl status >/dev/null && ipmemctl map list >/dev/null &&
	ipmemctl lender list >/dev/null'
ok $? "the module still answers"
g_run g1 -t 300 'ipmemctl -j disk list | jq -r ".[].name" | while read d; do ipmemctl disk del $d || exit 1; done &&
	ipmemctl -j route list | jq -r ".[].prefix" | while read r; do ipmemctl route del $r || exit 1; done &&
	ipmemctl -j grant list | jq -r ".[].prefix" | while read g; do ipmemctl grant del $g || exit 1; done &&
	{ ! ipmemctl lend destroy 2>&1 | grep -v "no pool" | grep -q .; } &&
	wait_until 60 sh -c "! grep -q . /sys/kernel/debug/ipmem/lenders" &&
	rmmod ipmem'
ok $? "everything it made can be taken down, and the module unloads"
g_dmesg_sane g1
ok $? "no BUG, oops, warning splat or memory debugging report"
h_done
