#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Versions: the module, ipmemctl and ipmemd say which release they are,
# and hosts of two wire protocol versions refuse each other at connect,
# each naming both versions, instead of reconnecting in a loop.
#
#   +--------------------------------+          +------------------------+
#   | g1 lender                      |  RoCEv2  | g2 borrower            |
#   |  first a module that speaks    |<-------->|  ipmem.ko (protocol 3) |
#   |  protocol 99 (make check's     |          |  map add: refused, and |
#   |  build/kmod/R-wire99), then    |          |  then, after g1's      |
#   |  the module under test         |          |  reload, mapped        |
#   +--------------------------------+          +------------------------+
. "$(dirname "$0")/../lib/harness.sh"

RELEASE=$(sed -n 's/^#define IPMEM_VERSION[[:space:]]*"\(.*\)"/\1/p' "$H_TOP/include/ipmem/version.h")
WIRE=$(sed -n 's/^#define IPMEM_WIRE_VERSION[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$H_TOP/include/ipmem/wire.h")
OTHER_KO=$H_BUILD/kmod/$H_KVER-wire99/ipmem.ko

plan 13
[ -n "$RELEASE" ] && [ -n "$WIRE" ] || bail "cannot read the release and wire version from include/ipmem"
[ -r "$OTHER_KO" ] || bail "no $OTHER_KO (make wire-test-module; make check builds it)"
h_init

is "$(modinfo -F version "$IPMEM_KO") $(modinfo -F version "$OTHER_KO")" "$RELEASE $RELEASE" \
	"modinfo: both modules are release $RELEASE"

g_boot_all g1 g2 || bail "the guests did not boot"
g_run g1 "IPMEM_KO=$OTHER_KO ipmem_load" >/dev/null || bail "cannot load $OTHER_KO on g1"
g_run g2 'ipmem_load' >/dev/null || bail "cannot load ipmem.ko on g2"
g_keys g1 g2 || bail "cannot provision host keys"

is "$(g_run g2 'cat /sys/module/ipmem/version')" "$RELEASE" \
	"/sys/module/ipmem/version is $RELEASE"
g_run g2 "dmesg | grep -q 'ipmem: $RELEASE loaded (wire protocol $WIRE)'"
ok $? "the module's load message names its release and wire protocol"
is "$(g_run g2 'ipmemctl --version')" \
	"ipmemctl $RELEASE (netlink family ipmem version 1, wire protocol $WIRE)
module ipmem $RELEASE (wire protocol $WIRE)" \
	"ipmemctl --version: its own release and the module's"
is "$(g_run g1 'ipmemctl status | head -n 1')" "module ipmem $RELEASE (wire protocol 99)" \
	"ipmemctl status starts with the module's release and protocol (99 on g1)"
is "$(g_run g2 'ipmemd --version')" \
	"ipmemd $RELEASE (wire protocol $WIRE, BGP encoding version 1)" "ipmemd --version"

LID=$(g_run g1 host_id)
BID=$(g_run g2 host_id)
lend() {
	g_run g1 "ipmemctl lend 16M dev eth0 &&
		ipmemctl grant add \$(block_prefix $LID 256) borrower $BID rights rw"
}
lend >/dev/null &&
g_run g2 "ipmemctl host set dev eth0 &&
	ipmemctl route add \$IPMEM_NET:$LID::/80 via $(g_ip6 g1) &&
	ipmemctl disk create 16M" >/dev/null
ok $? "g1 (protocol 99) lends 16 MiB to g2 (protocol $WIRE), g2 has a disk and a route"

err=$(g_run g2 "ipmemctl map add \$(block_prefix $LID 256) disk ipmem0 2>&1; echo rc=\$?")
diag "$err"
case $err in
*"speaks another version of the wire protocol"*"rc=1") rc=0 ;;
*) rc=1 ;;
esac
ok $rc "map add fails: the lender speaks another version of the wire protocol"
g_run g2 "dmesg | grep -q 'lender \[$(g_ip6 g1)\]:7471 speaks wire protocol 99, this host $WIRE (ipmem $RELEASE): no connection; run the same ipmem release on both'"
ok $? "g2's log names both versions"
g_run g1 "dmesg | grep -q '$(g_ip6 g2) speaks wire protocol $WIRE, this host 99 (ipmem $RELEASE): refused; run the same ipmem release on both'"
ok $? "g1's log names both versions"
g_run g2 'test -z "$(ipmemctl map list)" && test -z "$(cat /sys/kernel/debug/ipmem/lenders)"' &&
	g_run g1 'test -z "$(cat /sys/kernel/debug/ipmem/borrowers)"'
ok $? "nothing mapped on g2, no lender kept; no borrower session on g1"

# control: the same release on both ends connects
g_run g1 "ipmemctl grant del \$(block_prefix $LID 256) && ipmemctl lend destroy &&
	rmmod ipmem && ipmem_load" >/dev/null && lend >/dev/null &&
g_run g2 "ipmemctl map add \$(block_prefix $LID 256) disk ipmem0 &&
	head -c 1M /dev/urandom > /tmp/d &&
	dd if=/tmp/d of=/dev/ipmem0 bs=1M oflag=direct status=none &&
	dd if=/dev/ipmem0 bs=1M count=1 iflag=direct status=none | cmp - /tmp/d"
ok $? "with the module under test on g1 too, g2 maps the grant and 1 MiB reads back"

g_dmesg_sane g1 && g_dmesg_sane g2
ok $? "no BUG, oops or warning splat"
h_done
