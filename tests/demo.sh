#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo-static: swap to another host's memory, configured by hand.
#
#   +---------------------------+            +---------------------------+
#   | lender (10.77.0.1)        |  RoCEv2    | borrower (10.77.0.2)      |
#   |  ipmemctl lend 512M       |<---------->|  /dev/ipmem0 = the 512 MiB|
#   |  grant it all to borrower |  rxe0      |  swapon; memtouch 192 MiB |
#   +---------------------------+            |  in a 96 MiB cgroup       |
#                                            +---------------------------+
#
# Boots two QEMU/TCG guests of the Debian kernel (see
# Documentation/testing.rst), sets them up with ipmemctl, runs the
# verifying workload and prints what both sides see.
. "$(dirname "$0")/lib/harness.sh"

say() { printf '\n== %s\n' "$*"; }
# run GUEST CMD [SECONDS]: show CMD and its output (time limit 300 s)
run() {
	printf '%s$ %s\n' "$1" "$2"
	g_run "$1" -t "${3:-300}" "$2" | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}
die() { echo "demo: $*" >&2; exit 1; }

h_init
say "booting the lender and the borrower (QEMU/TCG, about 20 s each)"
g_boot lender --mem 1024 || die "the lender guest did not boot"
g_boot borrower --mem 768 || die "the borrower guest did not boot"
L=$(g_run lender 'ipmem_load && host_id') || die "cannot load ipmem.ko on the lender"
B=$(g_run borrower 'ipmem_load && host_id') || die "cannot load ipmem.ko on the borrower"
NET=fd69:706d:656d
say "the ipmemctl and the module in use"
run borrower 'command -v ipmemctl; modinfo -n ipmem 2>/dev/null || echo "$IPMEM_KO"; ipmemctl --version'

say "each host makes its host key; each learns the other's public key (Documentation/security.rst)"
for h in lender borrower; do
	run $h "ipmemctl key generate /run/host.key && ipmemctl key set /run/host.key" || die "key set on $h"
done
PUB_L=$(g_run lender "ipmemctl key show | awk '/^slot 0 / { print \$3 }'")
PUB_B=$(g_run borrower "ipmemctl key show | awk '/^slot 0 / { print \$3 }'")
run lender "ipmemctl host-key add $B $PUB_B" || die "host-key add on the lender"
run borrower "ipmemctl host-key add $L $PUB_L" || die "host-key add on the borrower"

say "the lender lends 512 MiB (8192 blocks of 64 KiB) and grants them to the borrower"
run lender "ipmemctl lend 512M dev eth0" || die "lend"
run lender "ipmemctl grant add $NET:$L::/115 borrower $B rights rw" || die "grant"

say "the borrower routes the lender's /80, makes /dev/ipmem0 and maps the blocks"
run borrower "ipmemctl host set dev eth0" || die "host set"
run borrower "ipmemctl route add $NET:$L::/80 via $(g_ip6 lender)" || die "route"
run borrower "ipmemctl disk create 512M" || die "disk create"
run borrower "ipmemctl map add $NET:$L::/115 disk ipmem0" || die "map"
run borrower "mkswap /dev/ipmem0 >/dev/null && swapon /dev/ipmem0 && cat /proc/swaps" || die "swapon"

say "the workload: 192 MiB, every page verified, in a cgroup limited to 96 MiB"
run borrower "run_limited 96 memtouch -p 2 192" 1800 || die "the workload failed"

say "the lender's view"
run lender "ipmemctl status"
say "the borrower's view"
run borrower "ipmemctl status"
run borrower 'grep -E "^(pswpin|pswpout) " /proc/vmstat'
run borrower 'cd /sys/block/ipmem0/ipmem && for f in state reads writes read_bytes write_bytes errors; do printf "%-12s %s\n" $f $(cat $f); done'
say "done: every page read back was the page written"
