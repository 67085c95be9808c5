#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A lender sees only ciphertext, and what it alters never comes back as
# data.  Pages of an encrypted disk (the default) are sealed with an AEAD
# under a key only the borrower has; a page that comes back changed (a
# byte flipped, zeroed, an older version put back, another page's data)
# is an I/O error and an integrity error, and with two copies the read
# falls over to the good one.  The lender is altered as its root would:
# through its own memory (debugfs "pool").  A disk with encryption off is
# the control: there the same alterations come back as data.
#
#   +---------------------------------------------------------------+
#   | g1 (one kernel, rxe0 loopback)                                 |
#   |   lender: pool 64 MiB = grants A B C D of 16 MiB each          |
#   |   ipmem0: 16 MiB, encrypted, one copy on A (pool byte 0)      |
#   |   ipmem1: 16 MiB, encrypted, copy 0 on B (16M), copy 1 on C   |
#   |   ipmem2: 16 MiB, encrypt off, on D (48M)                      |
#   +---------------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

NET=fd69:706d:656d
M=$((1024 * 1024))

plan 19
h_init
g_boot g1 --cpus 2 || bail "guest g1 did not boot"
ID=$(g_run g1 'ipmem_load && host_id') || bail "cannot load ipmem.ko"
g_keys g1 || bail "cannot provision host keys"
NONCE=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
diag "this run's secret: SECRET-$NONCE"

g_run g1 "ipmemctl lend 64M dev eth0 &&
	for g in 0 100 200 300; do
		ipmemctl grant add $NET:$ID::\$g/120 borrower $ID rights rw || exit 1
	done &&
	ipmemctl route add $NET:$ID::/80 via \$(my_ip6) &&
	ipmemctl disk create 16M && ipmemctl map add $NET:$ID::/120 disk ipmem0 &&
	ipmemctl disk create 16M replicas 2 &&
	ipmemctl map add $NET:$ID::100/120 disk ipmem1 &&
	ipmemctl map add $NET:$ID::200/120 disk ipmem1 &&
	ipmemctl disk create 16M encrypt off &&
	ipmemctl map add $NET:$ID::300/120 disk ipmem2" >/dev/null
ok $? "three disks on one lender: ipmem0 (one copy), ipmem1 (two), ipmem2 (encrypt off)"

out=$(g_run g1 'cat /sys/block/ipmem[012]/ipmem/encryption | xargs')
diag "encryption: $out"
echo "$out" | grep -Eq '^[^ ]*(chacha|gcm|aes)[^ ]* [^ ]*(chacha|gcm|aes)[^ ]* off$'
ok $? "ipmem0 and ipmem1 are encrypted by default (sysfs names the cipher); ipmem2 is not"
is "$(g_run g1 'ipmemctl -j disk list | jq -r ".[] | \"\\(.name) \\(.encrypt)\"" | xargs')" \
	"ipmem0 true ipmem1 true ipmem2 false" "ipmemctl disk list says which are"
out=$(g_run g1 'ipmemctl disk create 16M encrypt maybe 2>&1; echo rc $?')
diag "$out"
echo "$out" | grep -q "encrypt is 'on' or 'off'" && echo "$out" | grep -qx "rc 1" &&
	! g_run g1 'test -e /dev/ipmem3'
ok $? "encrypt maybe: refused with a message, no disk made"

g_run g1 "yes SECRET-$NONCE | head -c 1M > /tmp/pat &&
	for d in 0 1 2; do
		dd if=/tmp/pat of=/dev/ipmem\$d bs=1M oflag=direct status=none &&
		dd if=/dev/ipmem\$d of=/tmp/back bs=1M count=1 iflag=direct status=none &&
		cmp /tmp/pat /tmp/back || exit 1
	done"
ok $? "1 MiB of SECRET-$NONCE lines written to each disk reads back"

# what each grant of the pool holds: how many lines carry the secret
seen() {
	g_run g1 "dd if=/sys/kernel/debug/ipmem/pool bs=1M skip=$1 count=1 status=none |
		grep -ac SECRET-$NONCE"
}
is "$(seen 0) $(seen 16) $(seen 32) $(seen 48)" "0 0 0 $((M / 24))" \
	"the lender holds no line of it for ipmem0 and both copies of ipmem1; all of ipmem2's in clear"

flip() { g_run g1 "pool_flip $1"; }
# read page P of disk D: prints "rc N" and whether it equals the pattern
readp() {
	g_run g1 "rm -f /tmp/p; dd if=/dev/ipmem$1 of=/tmp/p bs=4096 skip=$2 count=1 iflag=direct status=none
		echo rc \$?; cmp -s /tmp/p /tmp/pat -n 4096 -i 0:$(($2 * 4096)) && echo same || echo differs" 2>&1
}
dstat() { g_run g1 "ipmem_stat ipmem$1 $2"; }

flip $((4096 + 100))
flip $((48 * M + 4096 + 100))
out=$(readp 2 1)
diag "control, ipmem2 page 1 with a byte flipped: $out"
echo "$out" | grep -q "rc 0" && echo "$out" | grep -q differs
ok $? "control: a flipped byte on ipmem2 (encrypt off) comes back as data, silently"

e0=$(dstat 0 integrity_errors)
out=$(readp 0 1)
diag "ipmem0 page 1 with a byte flipped: $out"
echo "$out" | grep -q "Input/output error" && ! echo "$out" | grep -q "rc 0"
ok $? "ipmem0: the page with a byte flipped at the lender reads as an I/O error"
is "$(($(dstat 0 integrity_errors) - e0))" 1 "one integrity error is counted"
echo "$(readp 0 0)" | grep -q "rc 0" && readp 0 0 | grep -q same
ok $? "page 0, unaltered, still reads back what was written"

g_run g1 "dd if=/dev/zero of=/sys/kernel/debug/ipmem/pool bs=4096 seek=2 count=1 conv=notrunc status=none"
readp 0 2 | grep -q "Input/output error"
ok $? "a page zeroed at the lender (as a restarted lender would) reads as an I/O error"

# an older version put back: save page 3's ciphertext, write the page
# again, then restore the old ciphertext
g_run g1 "dd if=/sys/kernel/debug/ipmem/pool of=/tmp/old3 bs=4096 skip=3 count=1 status=none &&
	dd if=/tmp/pat of=/dev/ipmem0 bs=4096 skip=3 seek=3 count=1 oflag=direct status=none &&
	dd if=/dev/ipmem0 of=/dev/null bs=4096 skip=3 count=1 iflag=direct status=none &&
	dd if=/tmp/old3 of=/sys/kernel/debug/ipmem/pool bs=4096 seek=3 count=1 conv=notrunc status=none" &&
	readp 0 3 | grep -q "Input/output error"
ok $? "an older version of a page put back at the lender reads as an I/O error"

g_run g1 "dd if=/sys/kernel/debug/ipmem/pool of=/sys/kernel/debug/ipmem/pool bs=4096 skip=5 seek=4 count=1 conv=notrunc status=none" &&
	readp 0 4 | grep -q "Input/output error"
ok $? "another page's ciphertext copied over a page reads as an I/O error"

g_run g1 "head -c 4096 /dev/urandom | dd of=/sys/kernel/debug/ipmem/pool bs=4096 seek=$((8 * M / 4096)) conv=notrunc status=none &&
	dd if=/dev/ipmem0 of=/tmp/p bs=4096 skip=$((8 * M / 4096)) count=1 iflag=direct status=none &&
	cmp -s /tmp/p /dev/zero -n 4096"
ok $? "a page never written reads as zeros, whatever the lender put there"

is "$(($(dstat 0 integrity_errors) - e0))" 4 "four integrity errors counted in all on ipmem0"
g_run g1 'dmesg | grep -q "ipmem0: data at byte 4096 from copy 0 (lender .*) fails verification in 1 page"'
ok $? "the kernel log names the disk, the byte, the copy and the lender"

# two copies: copy 0 altered, copy 1 serves
f0=$(dstat 1 failovers) e1=$(dstat 1 integrity_errors)
flip $((16 * M + 4096 + 7))
g_run g1 "dd if=/dev/zero of=/sys/kernel/debug/ipmem/pool bs=4096 seek=$((16 * M / 4096 + 2)) count=1 conv=notrunc status=none"
g_run g1 "dd if=/dev/ipmem1 of=/tmp/back bs=1M count=1 iflag=direct status=none && cmp /tmp/pat /tmp/back"
ok $? "ipmem1 with copy 0 altered in two pages: 1 MiB reads back what was written"
is "$(($(dstat 1 integrity_errors) - e1)) $(($(dstat 1 failovers) > f0)) $(dstat 1 errors)" "2 1 0" \
	"the two bad pages were counted, the read fell over, no I/O error"

g_dmesg_sane g1
ok $? "no BUG, oops or warning splat"
h_done
