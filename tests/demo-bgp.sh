#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: three guests, each running ipmemd and gobgpd, iBGP over the
# guests' segment.  g1 and g2 lend 256 MiB each; g3 borrows 384 MiB
# through ipmemd, which takes blocks from both, swaps on them under a
# memory limit with the verifying workload, and gives them back.  Prints
# M and V as every host sees them, the borrower's mem-to-ip table, and
# ipmemctl status on both sides (extents, counters, bytes moved).
#
#   g1 lender a4d:1 ---+
#   g2 lender a4d:2 ---+--- iBGP + RoCEv2 (soft-RoCE) on one segment
#   g3 borrower a4d:3 -+
#
# usage: tests/demo-bgp.sh      (as root, after make; takes about 6 minutes)
. "$(dirname "$0")/lib/harness.sh"
. "$(dirname "$0")/lib/bgp-lib.sh"

BGP_GUESTS="g1 g2 g3"
# provisioned as an operator would: every host makes its key pair and gets
# the others' public keys (host-key, host-keys in ipmemd.conf), and every
# BGP session is signed with a password in a root-only file
BGP_KEYS=1
BGP_PASSWORD=demo-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')

say() {
	printf '\n==> %s\n' "$*"
}

show() {
	local g=$1

	shift
	g_run "$g" "$@" | sed "s/^/    $g| /"
	return "${PIPESTATUS[0]}"
}

step() {
	"$@" || { echo "demo: '$*' failed" >&2; bgp_diag $BGP_GUESTS; exit 1; }
}

h_init
say "booting g1, g2 (lenders) and g3 (borrower) under QEMU/TCG"
step g_boot g1 --mem 768
step g_boot g2 --mem 768
step g_boot g3 --mem 768
for g in $BGP_GUESTS; do
	step g_run "$g" 'ipmem_load' >/dev/null
done

say "starting ipmemd (and its gobgpd) everywhere, with host keys and signed BGP sessions; g1 and g2 lend 256 MiB"
step bgp_start g1 "lend 256M"
step bgp_start g2 "lend 256M"
step bgp_start g3
say "waiting for the BGP sessions and the pool routes (gobgpd connects after 5-10 s)"
step bgp_wait_mv 8192 8192
for g in $BGP_GUESTS; do
	show "$g" 'ipmemctl status | sed -n "/^bgp:/,\$p" | grep -E "^(bgp:|M |  lender )"'
done

say "g3: ipmemctl borrow 384M (more than one lender has)"
show g3 'ipmemctl borrow 384M'
step bgp_wait_mv 8192 2048
say "M and V on every host"
for g in $BGP_GUESTS; do
	show "$g" 'ipmemctl status | grep -E "^M "'
done
say "the routes in g3's gobgpd (pools, requests, grants)"
show g3 'gobgp global rib -a ipv6'
say "g3's mem-to-ip table (ipmemctl map list)"
show g3 'ipmemctl map list'
say "g3 reaches the lenders' /80s through kernel routes (protocol 77, ipmemd's), and a block address answers"
show g3 'ip -6 route show proto 77'
show g3 'busybox ping -c 1 -W 10 fd69:706d:656d:a4d:1::2a5'

say "g3 authenticated both lenders, and its pages leave it encrypted"
show g3 'echo "host keys $(cat /sys/module/ipmem/auth/host_keys), lenders refused $(cat /sys/module/ipmem/auth/lender_failures); ipmem0 encryption $(cat /sys/block/ipmem0/ipmem/encryption)"'
say "g3 swaps on /dev/ipmem0: memtouch 192 MiB, every page verified, in a 96 MiB cgroup"
step show g3 -t 1200 'swap_on ipmem0 && run_limited 96 memtouch -p 2 192'

say "the lender's view (g1)"
show g1 'ipmemctl status'
say "the borrower's view (g3)"
show g3 'ipmemctl status'
show g3 'grep -E "^(pswpin|pswpout) " /proc/vmstat'
show g3 'swapoff /dev/ipmem0'

say "g3: ipmemctl release all"
show g3 'ipmemctl release all'
step bgp_wait_mv 8192 8192
for g in $BGP_GUESTS; do
	show "$g" 'ipmemctl status | grep -E "^M "'
done
say "done: every page read back was the page written; V is back on every host"
