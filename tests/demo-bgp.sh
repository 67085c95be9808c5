#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The BGP demo: three guests, each running ipmemd and gobgpd, iBGP over
# the guests' segment.  g1 and g2 lend 64 MiB each; g3 borrows 96 MiB
# through ipmemd, which takes blocks from both, swaps on them, and gives
# them back.  Prints M and V as every host sees them, and the borrower's
# mem-to-ip table.
#
#   g1 lender a4d:1 ---+
#   g2 lender a4d:2 ---+--- iBGP + RoCEv2 (soft-RoCE) on one segment
#   g3 borrower a4d:3 -+
#
# usage: tests/demo-bgp.sh      (as root, after make; takes 2-4 minutes)
. "$(dirname "$0")/lib/harness.sh"
. "$(dirname "$0")/lib/bgp-lib.sh"

BGP_GUESTS="g1 g2 g3"

say() {
	printf '\n==> %s\n' "$*"
}

show() {
	local g=$1

	shift
	g_run "$g" "$@" | sed "s/^/    $g| /"
}

step() {
	"$@" || { echo "demo: '$*' failed" >&2; bgp_diag $BGP_GUESTS; exit 1; }
}

h_init
say "booting g1, g2 (lenders) and g3 (borrower) under QEMU/TCG"
step g_boot g1 --mem 768
step g_boot g2 --mem 768
step g_boot g3 --mem 1024
for g in $BGP_GUESTS; do
	step g_run "$g" 'ipmem_load' >/dev/null
done

say "starting ipmemd (and its gobgpd) everywhere; g1 and g2 lend 64 MiB"
step bgp_start g1 "lend 64M"
step bgp_start g2 "lend 64M"
step bgp_start g3
say "waiting for the BGP sessions and the pool routes (gobgpd connects after 5-10 s)"
step bgp_wait_mv 2048 2048
for g in $BGP_GUESTS; do
	show "$g" 'ipmemctl status | sed -n "/^bgp:/,\$p" | grep -E "^(bgp:|M |  lender )"'
done

say "g3: ipmemctl borrow 96M (more than one lender has)"
show g3 'ipmemctl borrow 96M'
step bgp_wait_mv 2048 512
say "M and V on every host"
for g in $BGP_GUESTS; do
	show "$g" 'ipmemctl status | grep -E "^M "'
done
say "the routes in g3's gobgpd (pools, requests, grants)"
show g3 'gobgp global rib -a ipv6'
say "g3's mem-to-ip table (ipmemctl map list)"
show g3 'ipmemctl map list'

say "g3 swaps on /dev/ipmem0: memtouch 80 MiB in a 40 MiB cgroup"
show g3 -t 900 'swap_on ipmem0 && run_limited 40 memtouch -p 2 80; swapoff /dev/ipmem0'

say "g3: ipmemctl release all"
show g3 'ipmemctl release all'
step bgp_wait_mv 2048 2048
for g in $BGP_GUESTS; do
	show "$g" 'ipmemctl status | grep -E "^M "'
done
say "done"
