#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Data whose last copy is unmapped is lost, and reads of it fail: a copy
# mapped in its place later (the documented replacement procedure with
# one replica) takes new writes, but what the old copy held never comes
# back as the new grant's zeros.  Each page reads again once it is
# written again, or after a discard.
#
#   +---------------------------------------------------------------+
#   | g1 (one kernel, rxe0 loopback)                                 |
#   |   lender: pool 64 MiB, grants A (blocks 0-255), B (256-511)   |
#   |   borrower: /dev/ipmem0, 16 MiB, one copy                      |
#   |     extents 0-255 -> A; 1 MiB written; A unmapped; -> B        |
#   +---------------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

NET=fd69:706d:656d

plan 16
h_init
g_boot g1 --cpus 2 || bail "guest g1 did not boot"
ID=$(g_run g1 'ipmem_load && host_id') || bail "cannot load ipmem.ko"
g_keys g1 || bail "cannot provision host keys"
A=$NET:$ID::/120
B=$NET:$ID::100/120

g_run g1 "ipmemctl lend 64M dev eth0 &&
	ipmemctl grant add $A borrower $ID rights rw &&
	ipmemctl grant add $B borrower $ID rights rw &&
	ipmemctl route add $NET:$ID::/80 via \$(my_ip6) &&
	ipmemctl disk create 16M &&
	ipmemctl map add $A disk ipmem0 &&
	head -c 1M /dev/urandom > /tmp/pat &&
	dd if=/tmp/pat of=/dev/ipmem0 bs=1M oflag=direct status=none &&
	dd if=/dev/ipmem0 of=/tmp/back bs=1M count=1 iflag=direct status=none &&
	cmp /tmp/pat /tmp/back" >/dev/null
ok $? "1 MiB of random bytes written to ipmem0 (copy on grant A) reads back"

out=$(g_run g1 "ipmemctl map del $A 2>&1; echo \"rc \$?\"; ipmem_stat ipmem0 state")
echo "$out" | grep -q "^ipmemctl: map del: data swapped to those blocks has no other copy: it would be lost (force unmaps anyway)$" &&
	echo "$out" | grep -qx "rc 1" && echo "$out" | grep -qx ready
ok $? "unmapping A, the only copy of data, is refused without force; ipmem0 stays ready" || diag "$out"
g_run g1 "ipmemctl map del $A force && test \$(ipmem_stat ipmem0 state) = incomplete"
ok $? "with force, A, the only copy, is unmapped: ipmem0 is incomplete"
g_run g1 "ipmemctl map add $B disk ipmem0 extent 0" >/dev/null
ok $? "grant B is mapped where A was (the replacement procedure)"
is "$(g_run g1 'cat /sys/block/ipmem0/ipmem/state /sys/block/ipmem0/ipmem/lost_pages | xargs')" \
	"failed 256" "ipmem0 is failed with the 256 pages of the 1 MiB lost"
is "$(g_run g1 'ipmemctl -j disk list | jq ".[0].stats.lost_pages"')" 256 \
	"ipmemctl shows the lost pages too"

out=$(g_run g1 'e0=$(ipmem_stat ipmem0 errors)
	rm -f /tmp/back
	dd if=/dev/ipmem0 of=/tmp/back bs=1M count=1 iflag=direct status=none; rc=$?
	echo "dd rc $rc, $(stat -c %s /tmp/back 2>/dev/null || echo 0) bytes"
	test $rc -ne 0 && ! test -s /tmp/back && test $(ipmem_stat ipmem0 errors) -gt $e0' 2>&1)
rc=$?
diag "$out"
ok $rc "reading the lost 1 MiB fails with an I/O error and returns no bytes (not the new grant's zeros)"
echo "$out" | grep -q "Input/output error"
ok $? "the error is EIO"

g_run g1 'dd if=/dev/ipmem0 of=/tmp/back bs=4096 count=1 skip=256 iflag=direct status=none &&
	cmp -s /tmp/back /dev/zero -n 4096'
ok $? "a page that never held data (extent 16) still reads"

# one page written again reads again; its neighbour stays lost
g_run g1 'head -c 4096 /dev/urandom > /tmp/p0 &&
	dd if=/tmp/p0 of=/dev/ipmem0 bs=4096 count=1 oflag=direct status=none &&
	dd if=/dev/ipmem0 of=/tmp/back bs=4096 count=1 iflag=direct status=none &&
	cmp /tmp/p0 /tmp/back && test $(ipmem_stat ipmem0 lost_pages) -eq 255'
ok $? "page 0 written again reads back what was written; 255 pages left lost"
g_run g1 '! dd if=/dev/ipmem0 of=/dev/null bs=4096 count=1 skip=1 iflag=direct status=none'
ok $? "page 1, in the same extent, still fails"

g_run g1 'head -c 1M /dev/urandom > /tmp/pat2 &&
	dd if=/tmp/pat2 of=/dev/ipmem0 bs=1M count=1 oflag=direct status=none &&
	dd if=/dev/ipmem0 of=/tmp/back bs=1M count=1 iflag=direct status=none &&
	cmp /tmp/pat2 /tmp/back'
ok $? "the whole 1 MiB written again reads back"
is "$(g_run g1 'cat /sys/block/ipmem0/ipmem/state /sys/block/ipmem0/ipmem/lost_pages | xargs')" \
	"ready 0" "ipmem0 is ready again, nothing lost"

# lost again, then discarded: a discard says the data is not needed
g_run g1 "ipmemctl map del $B force && ipmemctl map add $A disk ipmem0 extent 0 &&
	test \$(ipmem_stat ipmem0 lost_pages) -eq 256 &&
	! dd if=/dev/ipmem0 of=/dev/null bs=1M count=1 iflag=direct status=none &&
	blkdiscard -f -o 0 -l 1M /dev/ipmem0 &&
	test \$(ipmem_stat ipmem0 lost_pages) -eq 0 &&
	test \$(ipmem_stat ipmem0 state) = ready &&
	dd if=/dev/ipmem0 of=/dev/null bs=1M count=1 iflag=direct status=none"
ok $? "lost again when B goes (A's old blocks are not trusted); a discard of the 1 MiB clears it"
# an unmap without force takes one disk's blocks: a prefix whose blocks
# are in two disks is refused and nothing changes (the loss check is made
# per disk, with its queue frozen)
C=$NET:$ID::200/123
out=$(g_run g1 "ipmemctl grant add $C borrower $ID rights rw &&
	ipmemctl disk create 1M && ipmemctl disk create 1M &&
	ipmemctl map add $NET:$ID::200/124 disk ipmem1 >/dev/null &&
	ipmemctl map add $NET:$ID::210/124 disk ipmem2 >/dev/null &&
	ipmemctl map del $C 2>&1; echo \"rc \$?\"
	ipmemctl -j map list | jq -r '.[] | select(.disk != \"ipmem0\") | .disk + \" \" + .blocks + \" +\" + (.extents | tostring)' | sort")
echo "$out" | grep -qx "ipmemctl: map del: those blocks are mapped in more than one disk: unmap each disk's part (a longer prefix), or force" &&
	echo "$out" | grep -qx "rc 1" &&
	echo "$out" | grep -qx "ipmem1 $NET:$ID::200 +16" &&
	echo "$out" | grep -qx "ipmem2 $NET:$ID::210 +16"
ok $? "an unforced unmap of blocks mapped in two disks is refused, and both stay mapped" || diag "$out"
g_run g1 "ipmemctl map del $NET:$ID::200/124 && ipmemctl map del $NET:$ID::210/124 &&
	ipmemctl disk del ipmem2 && ipmemctl disk del ipmem1 && ipmemctl grant del $C" >/dev/null ||
	diag "cleaning up C failed"

g_dmesg_sane g1
ok $? "no BUG, oops or warning splat"
h_done
