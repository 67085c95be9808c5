#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hosts prove their host ids.  With host keys set, a lender serves only a
# borrower that proved the id it claims, and a borrower sends nothing to a
# lender that did not prove the id its prefixes name.  g3 attacks both
# ways: as a lender that answers for g1's blocks, and as a borrower that
# claims g2's id with its own valid key, with a wrong key and with none.
#
#   +------------------+   +-------------------+   +-------------------+
#   | g1 lender        |   | g2 borrower       |   | g3 attacker       |
#   |  pool 64 MiB     |   |  /dev/ipmem0 on   |   |  a valid host of  |
#   |  grant A -> g2   |   |  grant A, 1 MiB   |   |  its own (grant C |
#   |  grant C -> g3   |   |  of a secret      |   |  works for it)    |
#   +------------------+   +-------------------+   +-------------------+
. "$(dirname "$0")/../lib/harness.sh"

NET=fd69:706d:656d

plan 23
h_init
g_boot_all g1 g2 g3 || bail "the guests did not boot"
I1=$(g_run g1 'ipmem_load && host_id') && I2=$(g_run g2 'ipmem_load && host_id') &&
	I3=$(g_run g3 'ipmem_load && host_id') || bail "cannot load ipmem.ko"
A=$NET:$I1::/120
C=$NET:$I1::100/120
NONCE=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
# a4d:2 as the kernel logs it (and ipmemctl prints it): 0a4d:0002
hex8() { printf '%04x:%04x' "0x${1%%:*}" "0x${1##*:}"; }

# Before it has a host key, a lender serves nobody (require_auth, the
# default): g2 lends for a moment, and g3 asks it for a key
out=$(g_run g2 "ipmemctl lend 16M dev eth0 && ipmemctl grant add \$IPMEM_NET:$I2::/124 borrower $I3 rights rw" 2>&1) &&
	out=$(g_run g3 "modprobe rdma_ucm && modprobe ib_uverbs && ipmem-probe $(g_ip6 g2) $I3 key 0; echo rc \$?" 2>&1)
echo "$out" | grep -q "rejected the connection: AUTH" && echo "$out" | grep -qx "rc 1" &&
	g_run g2 "test \$(cat /sys/module/ipmem/auth/refused) = 1 && test \$(cat /sys/module/ipmem/pool/borrowers) = 0 &&
		dmesg | grep -q 'refused host $(hex8 $I3) from .*: this lender has no host key yet' &&
		ipmemctl grant del \$IPMEM_NET:$I2::/124 && ipmemctl lend destroy"
ok $? "a lender without a host key refuses a borrower (AUTH), counts and logs it, and makes it no session" ||
	diag "$out" "$(g_run g2 'cat /sys/module/ipmem/auth/refused /sys/module/ipmem/pool/borrowers; dmesg | tail -3')"

# every host makes its key as an operator would, and learns the others'
for g in g1 g2 g3; do
	out=$(g_run $g 'ipmemctl key generate /run/host.key && ipmemctl key set /run/host.key')
	eval "PUB_$g=\$(echo \"\$out\" | awk '/^slot 0 / { print \$3 }')"
	eval "PRIV_$g=\$(g_run $g 'cat /run/host.key')"
done
g_run g1 "ipmemctl host-key add $I2 $PUB_g2 && ipmemctl host-key add $I3 $PUB_g3" &&
	g_run g2 "ipmemctl host-key add $I1 $PUB_g1" && g_run g3 "ipmemctl host-key add $I1 $PUB_g1"
ok $? "three hosts with keys; g1 knows g2 and g3, both know g1"
is "$(g_run g1 'ipmemctl host-key list | wc -l; cat /sys/module/ipmem/auth/host_keys' | xargs)" "2 1" \
	"g1 lists two host keys, and has one of its own"

g_run g1 "ipmemctl lend 64M dev eth0 && ipmemctl grant add $A borrower $I2 rights rw &&
	ipmemctl grant add $C borrower $I3 rights rw" >/dev/null
ok $? "g1 lends: A to g2, C to g3"

# ---------------------------------------------------- a rogue lender
# g3 lends as if it were g1 (g1's host id, g3's own valid key; it knows
# g2's public key, as everybody may), and g2 is routed to it for A
g_run g3 "ipmemctl host-key add $I2 $PUB_g2 && ipmemctl lend 64M dev eth0 host-id $I1 && ipmemctl grant add $A borrower $I2 rights rw" >/dev/null &&
	out=$(g_run g2 "ipmemctl host set dev eth0 && ipmemctl route add $NET:$I1::/80 via $(g_ip6 g3) &&
		ipmemctl disk create 16M >/dev/null &&
		ipmemctl map add $A disk ipmem0 2>&1; echo rc \$?")
diag "$out"
echo "$out" | grep -qx "rc 1" && echo "$out" | grep -q "did not prove the host id"
ok $? "g2, routed to g3 for g1's blocks, cannot map them: the lender did not prove its id"
is "$(g_run g2 'cat /sys/module/ipmem/auth/lender_failures') $(g_run g3 'cat /sys/module/ipmem/pool/borrowers')" "1 0" \
	"g2 counted a lender that failed to prove its id; g3 has no borrower session"
g_run g2 "dmesg | grep -q 'lender .* did not prove that it is host $(hex8 $I1)'"
ok $? "g2 logged why: the lender did not prove that it is g1"
g_run g3 'ipmemctl grant del '"$A"' && ipmemctl lend destroy && ipmemctl host set dev eth0' >/dev/null &&
	g_run g2 "ipmemctl route del $NET:$I1::/80 && ipmemctl route add $NET:$I1::/80 via $(g_ip6 g1)" >/dev/null

# ---------------------------------------------------------- the victim
g_run g2 "ipmemctl map add $A disk ipmem0 >/dev/null &&
	yes SECRET-$NONCE | head -c 1M > /tmp/pat &&
	dd if=/tmp/pat of=/dev/ipmem0 bs=1M oflag=direct status=none &&
	dd if=/dev/ipmem0 of=/tmp/back bs=1M count=1 iflag=direct status=none && cmp /tmp/pat /tmp/back"
ok $? "g2, routed to g1, maps A (both proved their ids) and 1 MiB of a secret reads back"
g_run g3 "ipmemctl route add $NET:$I1::/80 via $(g_ip6 g1) && ipmemctl disk create 16M >/dev/null &&
	ipmemctl map add $C disk ipmem0 >/dev/null && ipmemctl disk del ipmem0"
ok $? "control: g3 maps its own grant C with its own key"
is "$(g_run g1 'cat /sys/module/ipmem/auth/refused')" 0 "g1 refused nobody so far"
lost0=$(g_run g2 'grep -o "lost [0-9]* times" /sys/kernel/debug/ipmem/lenders')

# ------------------------------------------- g3 claims g2's host id
g_run g3 "ipmemctl host set id $I2 && ipmemctl disk create 16M" >/dev/null ||
	bail "g3 cannot take g2's id"
attack() {
	local what=$1 why=$2 out

	shift 2
	out=$(g_run g3 "$* ipmemctl map add $A disk ipmem0 2>&1; echo rc \$?")
	diag "$what: $out"
	echo "$out" | grep -qx "rc 1" && echo "$out" | grep -q "$why"
}
attack "with its own valid key" "did not prove the host id"
ok $? "g3 claiming g2's id with g3's own valid key maps nothing"
attack "with a wrong key" "did not prove the host id" 'ipmemctl key generate /run/wrong.key && ipmemctl key set /run/wrong.key >/dev/null &&'
ok $? "... with a key nobody knows, nothing"
is "$(g_run g3 'cat /sys/module/ipmem/auth/lender_failures') $(g_run g1 'cat /sys/module/ipmem/auth/refused')" "2 0" \
	"both times g1's challenge proved to g3 that it cannot answer for g2: g3 gave up first"
attack "without a key" "this host has no host key" 'ipmemctl key del &&'
ok $? "... without a key, nothing: g3's own module does not connect (require_auth)"
# a borrower that does not give up: connects without authenticating, or
# answers without the key
out=$(g_run g3 "ipmem-probe $(g_ip6 g1) $I2 key 0; ipmem-probe -a hello $(g_ip6 g1) $I2 key 0
	ipmem-probe -a forge $(g_ip6 g1) $I2 key 0; ipmem-probe -a proof $(g_ip6 g1) $I2 key 0" 2>&1)
diag "$out"
test "$(echo "$out" | grep -c '^challenge$')" = 2 && test "$(echo "$out" | grep -c 'rejected the connection: AUTH')" = 3
ok $? "ipmem-probe as g2: no authentication is refused; a HELLO gets a challenge; a forged answer to it, and an answer to no challenge, are refused"
is "$(g_run g1 'cat /sys/module/ipmem/auth/refused; cat /sys/module/ipmem/pool/borrowers' | xargs)" "3 1" \
	"g1 counted three refusals and has one borrower session, g2's"
out=$(g_run g1 "dmesg | grep 'refused host $(hex8 $I2) from $(g_ip6 g3)'")
diag "$out"
echo "$out" | grep -q "its proof does not check" && echo "$out" | grep -q "did not authenticate"
ok $? "g1 logged each refusal: who claimed what, from where, and why"

g_run g2 "dd if=/dev/ipmem0 of=/tmp/back bs=1M count=1 iflag=direct status=none && cmp /tmp/pat /tmp/back &&
	test \"\$(grep -o 'lost [0-9]* times' /sys/kernel/debug/ipmem/lenders)\" = '$lost0' &&
	ipmemctl -j lender list | jq -e '.[0].state == \"live\" and .[0].losses == 0' >/dev/null"
ok $? "g2's data reads back, its connection to g1 is live and was never lost"

# ------------------------------------------------- a flood of HELLOs
# g3 asks for challenges for g2's id on every queue, then for its own id,
# then for g2's again: a source address holds one challenge per queue of
# a borrower at most, so it cannot crowd out the challenges of others
out=$(g_run g3 "ipmem-probe $(g_ip6 g1) $I2 hellos 64; ipmem-probe $(g_ip6 g1) $I3 hellos 8
	ipmem-probe $(g_ip6 g1) $I2 hellos 64" 2>/dev/null)
is "$(echo "$out" | grep '^hellos' | xargs)" "hellos 64 challenges 64 refused 0 hellos 8 challenges 0 refused 8 NO_RESOURCES 8 hellos 64 challenges 64 refused 0" \
	"a HELLO flood from g3: 64 challenges outstanding at most, more refused (NO_RESOURCES), the same asked again renewed"
g_run g1 "dmesg | grep -q 'refused host $(hex8 $I3) from $(g_ip6 g3): its address has as many challenges outstanding as it may'"
ok $? "g1 logged why it refused g3's HELLOs"
g_run g2 "ipmemctl disk del ipmem0 && wait_until 60 sh -c 'test -z \"\$(cat /sys/kernel/debug/ipmem/lenders)\"' &&
	ipmemctl disk create 16M >/dev/null && ipmemctl map add $A disk ipmem0 >/dev/null &&
	dd if=/tmp/pat of=/dev/ipmem0 bs=1M oflag=direct status=none &&
	dd if=/dev/ipmem0 of=/tmp/back bs=1M count=1 iflag=direct status=none && cmp /tmp/pat /tmp/back" &&
	test "$(g_run g1 "dmesg | grep -c 'host $(hex8 $I2) connected from $(g_ip6 g2)'")" = 2
ok $? "meanwhile g2 connects to g1 again (a new session, authenticated) and its data reads back"

# the private keys appear nowhere they could be read back (bytes 1-29:
# the module clamps bytes 0 and 31)
leak=0
for g in g1 g2 g3; do
	for k in "${PRIV_g1:2:58}" "${PRIV_g2:2:58}" "${PRIV_g3:2:58}"; do
		g_run $g "{ ipmemctl status; ipmemctl key show; ipmemctl host-key list
			ipmemctl lender list; ipmemctl peer list; ipmemctl grant list
			dmesg; grep -r . /sys/module/ipmem/ 2>/dev/null
			cat /sys/kernel/debug/ipmem/table /sys/kernel/debug/ipmem/lenders /sys/kernel/debug/ipmem/borrowers; } 2>&1 |
			grep -qi '$k'" && { leak=1; diag "$g shows a private key"; }
	done
done
ok $((leak)) "no private key in any listing, sysfs, debugfs or dmesg"
rc=0
for g in g1 g2 g3; do g_dmesg_sane $g || rc=1; done
ok $rc "no BUG, oops or warning splat"
h_done
