#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Swap to the memory of another host over the virtual network, its block
# addresses routed by the kernel, with no route of the module's own
# (Documentation/admin-guide.rst, "Routing block addresses").  The
# lender's RDMA endpoint is the first address of its /80, an address of
# its eth0 (so a RoCEv2 GID), and its whole /80 is local (every block
# address answers).  The borrower has no `ipmemctl route`: a kernel route
# of the lender's /80 via the lender's address is what makes its blocks
# reachable, for ping and for RDMA.  Without it, mapping fails with "no
# route to the lender" and changes nothing; so it does without a host key
# (the borrower loads ipmem with require_auth=N to try): nothing would
# prove who answers at the kernel's route.
#
# The borrower loads ipmem with max_sge=1, so that every request of several
# pages goes out as a chain of one-page RDMA work requests: the path a
# device with few SGEs per work request takes (10-swap-loopback takes the
# default, one work request per request).
#
#   +-----------------------------+            +-------------------------------+
#   | g1 lender (a4d:1)           |  RoCEv2    | g2 borrower (a4d:2)           |
#   |  eth0 fd00:77::1            |<---------->|  ip -6 route add              |
#   |       fd69:706d:656d:a4d:1::|            |   fd69:706d:656d:a4d:1::/80   |
#   |  local ...:a4d:1::/80 on lo |            |   via fd00:77::1              |
#   |  pool 256 MiB at the /80's  |            |  /dev/ipmem0 -> g1            |
#   |  first address              |            |  memtouch 64 MiB / 32         |
#   +-----------------------------+            +-------------------------------+
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/swap-scenario.sh"

NET=fd69:706d:656d
EP=$NET:a4d:1::			# g1's endpoint: the first address of its /80
BLOCKS=$((256 * 16))

plan 21
h_init
g_boot_all "g1 --mem 768" "g2 --mem 768" || bail "the guests did not boot"
g_run g1 ipmem_load && g_run g2 'ipmem_load max_sge=1 require_auth=N' && g_keys g1 g2 ||
	bail "cannot load ipmem.ko (max_sge=1 require_auth=N on g2) and provision host keys"

# the lender: its endpoint on eth0 (a GID of rxe0 once the RDMA core saw
# it), its /80 local, its pool listening at the endpoint
g_run g1 "ipmemctl host set dev eth0 &&
	ip -6 addr add $EP/128 dev eth0 nodad &&
	ip -6 route add local $NET:a4d:1::/80 dev lo table local &&
	wait_until 60 sh -c 'grep -qx fd69:706d:656d:0a4d:0001:0000:0000:0000 /sys/class/infiniband/rxe0/ports/1/gids/*' &&
	ipmemctl lend 256M addr $EP &&
	ipmemctl grant add \$(block_prefix a4d:1 $BLOCKS) borrower 0a4d:0002 rights rw"
ok $? "g1 lends 256 MiB at $EP, an address of its eth0 inside its /80"

g_run g2 "ipmemctl host set dev eth0 && ipmemctl disk create 256M" >/dev/null ||
	bail "cannot create the disk on g2"
out=$(g_run g2 "ipmemctl map add \$(block_prefix a4d:1 $BLOCKS) disk ipmem0 2>&1")
rc=$?
diag "$out"
[ $rc -ne 0 ] && echo "$out" | grep -q "no route to the lender of these blocks"
ok $? "without a route, map add fails: 'no route to the lender of these blocks'"
is "$(g_run g2 'cat /sys/block/ipmem0/ipmem/mapped_copies; ipmemctl route list | wc -l' | xargs)" "0 0" \
	"... and changes nothing: no extent mapped, no module route"

g_run g2 "ip -6 route add $NET:a4d:1::/80 via $(g_ip6 g1)"
ok $? "g2 routes g1's /80 via fd00:77::1 in the kernel (no ipmemctl route)"
out=$(g_run g2 "busybox ping -c 1 -W 10 $NET:a4d:1::7ab 2>&1")
rc=$?
diag "$out"
ok $rc "a ping from g2 to a block address of g1 gets g1's answer"

# without a host key (allowed by require_auth=N) nothing proves who
# answers at a kernel route, so the borrower does not use one
out=$(g_run g2 "ipmemctl key del && ipmemctl map add \$(block_prefix a4d:1 $BLOCKS) disk ipmem0 2>&1")
rc=$?
diag "$out"
[ $rc -ne 0 ] && echo "$out" | grep -q "without a host key, kernel routes are not used" &&
	g_run g2 'test "$(cat /sys/block/ipmem0/ipmem/mapped_copies)" = 0 && test -z "$(ipmemctl lender list)"'
ok $? "without a host key (require_auth=N), map add through the kernel route is refused, nothing connected"

g_run g2 "ipmem_keys_apply && ipmemctl map add \$(block_prefix a4d:1 $BLOCKS) disk ipmem0"
ok $? "with its key set again, map add of g1's $BLOCKS blocks succeeds through the kernel's route"
is "$(g_run g2 'cat /sys/block/ipmem0/ipmem/state /sys/block/ipmem0/ipmem/mapped_copies | xargs')" \
	"ready $BLOCKS" "ipmem0 is ready with $BLOCKS extent copies mapped"
g_run g2 "grep -q 'lender 0a4d:0001 at \[$EP\]:7471: live' /sys/kernel/debug/ipmem/lenders && test -z \"\$(ipmemctl route list)\""
ok $? "the borrower's lender is g1's endpoint [$EP]:7471, live; the module has no route"

swap_workload g2 64
g_run g1 'grep -q "borrower 0a4d:0002 from fd00:77::2" /sys/kernel/debug/ipmem/borrowers'
ok $? "the lender sees the borrower connected from g2"
is "$(g_run g2 'cat /sys/module/ipmem/parameters/max_sge')" 1 "the borrower ran with max_sge=1"
g_dmesg_clean g1
ok $? "lender: nothing at warning level or above in dmesg"
g_dmesg_clean g2
ok $? "borrower: nothing at warning level or above in dmesg"
h_done
