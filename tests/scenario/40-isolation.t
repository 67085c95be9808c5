#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Isolation between borrowers.  With three borrower host ids on one
# lender, none can get a key for, read or write the blocks granted to
# another, and none can write a read-only grant: the KEY_REQ is refused,
# or the RDMA operation fails with a remote access error and none of the
# other borrower's data comes back.
#
#   +-------------------------------------------------------------------+
#   | g1 (fd00:77::1, host a4d:1), everything over rxe0 loopback         |
#   |                                                                   |
#   |  lender: pool 64 MiB                                              |
#   |    blocks   0-255  rw -> A a4d:1  (the kernel borrower)            |
#   |    blocks 256-271  ro -> B bbbb:1 (ipmem-probe)                    |
#   |    blocks 272-287  rw -> C cccc:1 (ipmem-probe)                    |
#   |                                                                   |
#   |  A: /dev/ipmem0 <- blocks 0-255; 1 MiB of "IPMEM-A-SECRET" on it  |
#   |  B, C: build/ipmem-probe, a userspace rdma_cm borrower that      |
#   |        authenticates as their ids (each has its host key); B also |
#   |        tries A's rkey/iova from the lender's debugfs, C tries B's |
#   |        while B holds its key                                      |
#   +-------------------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

plan 26
h_init
[ -x "$H_BUILD/ipmem-probe" ] || bail "no $H_BUILD/ipmem-probe (make)"
g_boot g1 --cpus 2 || bail "guest g1 did not boot"

A=a4d:1
B=bbbb:1
C=cccc:1
L=$(g_ip6 g1)
ABLK=0		# A's blocks 0-255: extents 0-255 of ipmem0
BBLK=256	# B's blocks 256-271
CBLK=272	# C's blocks 272-287
LEN=65536	# one block
# the first 16 bytes of A's pattern ("IPMEM-A-SECRET\nI"), as the probe prints them
PAT16=49504d454d2d412d5345435245540a49

# probe ARGS...: run ipmem-probe in g1 against the lender, keep its
# output in PROBE_OUT and its exit status in PROBE_RC.  A borrower has one
# connection per queue index and the lender drops an old one when the
# index connects again: the probes use queue 8, clear of the kernel
# borrower's queues, and the probe that holds a key open uses queue 9.
# Each proves the id it claims with that id's key (lender: A).
auth() {
	case $1 in
	$A) echo "-k /run/host.key -l $A:$PUB_A" ;;
	$B) echo "-k /run/B.key -l $A:$PUB_A" ;;
	$C) echo "-k /run/C.key -l $A:$PUB_A" ;;
	esac
}
probe() {
	local a opts=

	for a in "$@"; do
		opts+=" $(auth "$a")"
	done
	PROBE_OUT=$(g_run g1 -t 60 "ipmem-probe -q 8 $opts $*" 2>&1)
	PROBE_RC=$?
}

# probe_is DESC RC REGEX...: the last probe exited RC, and each REGEX
# matches a line of its output.
probe_is() {
	local desc=$1 rc=$2 re bad=0

	shift 2
	[ "$PROBE_RC" -eq "$rc" ] || bad=1
	for re in "$@"; do
		echo "$PROBE_OUT" | grep -Eq "$re" || bad=1
	done
	ok $bad "$desc" ||
		diag "exit $PROBE_RC, output:" "$PROBE_OUT" "expected: exit $rc and" "$(printf '/%s/\n' "$@")"
}

# ------------------------------------------------------------------ setup

g_run g1 'ipmem_load && modprobe rdma_ucm && modprobe ib_uverbs' >/dev/null ||
	bail "cannot load ipmem.ko, rdma_ucm, ib_uverbs"
[ "$(g_run g1 host_id)" = "$A" ] || bail "g1's host id is not $A"
# host keys: A's as g_keys provisions it; B's and C's made here, their
# public keys (computed by ipmem-probe with OpenSSL) known to the lender
g_keys g1 || bail "cannot provision host keys"
PUB_A=$(g_run g1 'ipmem-probe -k /run/host.key public')
out=$(g_run g1 "grep -qx '$A $PUB_A' /run/host-keys &&
	for h in B:$B C:$C; do
		ipmemctl key generate /run/\${h%%:*}.key &&
		ipmemctl host-key add \${h#*:} \$(ipmem-probe -k /run/\${h%%:*}.key public) || exit 1
	done && ipmemctl host-key list" 2>&1)
ok $? "A, B and C have host keys, the lender knows all three (OpenSSL computes A's public key as the module does)" ||
	diag "$out"

out=$(g_run g1 "ipmemctl lend 64M dev eth0 &&
	ipmemctl grant add \$IPMEM_NET:$A::/120 borrower $A rights rw &&
	ipmemctl grant add \$IPMEM_NET:$A::100/124 borrower $B rights ro &&
	ipmemctl grant add \$IPMEM_NET:$A::110/124 borrower $C rights rw &&
	ipmemctl grant list" 2>&1)
ok $? "the lender lends 64 MiB; grants: 0-255 rw to A, 256-271 ro to B, 272-287 rw to C" ||
	diag "$out"

# encrypt off: what this checks is who reaches a block through RDMA, by
# its bytes as written (with encryption B would read A's ciphertext, and
# 41-integrity checks that)
out=$(g_run g1 "ipmemctl host set dev eth0 &&
	ipmemctl route add \$IPMEM_NET:$A::/80 via $L &&
	ipmemctl disk create 16M encrypt off &&
	ipmemctl map add \$IPMEM_NET:$A::/120 disk ipmem0 &&
	yes IPMEM-A-SECRET | head -c 1048576 >/run/pat &&
	dd if=/run/pat of=/dev/ipmem0 bs=64k oflag=direct status=none &&
	dd if=/dev/ipmem0 bs=64k count=16 iflag=direct status=none | cmp - /run/pat" 2>&1)
ok $? "A maps its grant into /dev/ipmem0, writes 1 MiB of its pattern and reads it back (O_DIRECT)" ||
	diag "$out"

# A's registration, as the lender's debugfs lists it:
#   borrower 0a4d:0001 from fd00:77::1 on rxe0: 2 queues, 256 blocks registered
#     blocks 0-255 rkey 0000043c iova ff2a219c03b00000 rw gen 6cfa14249a1b328f
AREG=$(g_run g1 'awk "/^borrower / { a = (\$2 == \"0a4d:0001\"); next }
	a && \$2 == \"0-255\" && \$3 == \"rkey\" { print \$4, \$6; exit }" \
	/sys/kernel/debug/ipmem/borrowers')
read -r AKEY AIOVA <<<"$AREG"
[ -n "${AIOVA:-}" ]
ok $? "the lender's debugfs lists A's registration of blocks 0-255: rkey ${AKEY:-?} iova ${AIOVA:-?}" ||
	diag "$(g_run g1 'cat /sys/kernel/debug/ipmem/borrowers')"
AKEY=${AKEY:-0}
AIOVA=${AIOVA:-0}

# Control: those are live.  A connection that proves A's host id (with
# A's key) joins A's session and reads A's pattern through them, so B's
# failures below are isolation, not stale keys.
probe -o /run/a.out "$L" $A read "$AKEY" "$AIOVA" $LEN
probe_is "control: through A's rkey/iova, a queue of A reads A's pattern" 0 "^ok first16 $PAT16 "

# ---------------------------------------------------------------- B keys

probe "$L" $B key $ABLK
probe_is "B asks for the key of A's block $ABLK: NOT_GRANTED" 2 "^status 1 .* NOT_GRANTED$"
probe "$L" $B key $CBLK
probe_is "B asks for the key of C's block $CBLK: NOT_GRANTED" 2 "^status 1 .* NOT_GRANTED$"
probe "$L" $B key 1000
probe_is "B asks for the key of block 1000, granted to nobody: NOT_GRANTED" 2 "^status 1 .* NOT_GRANTED$"

# --------------------------------------------------- B's own read-only grant

probe "$L" $B read-block $BBLK $LEN
probe_is "B reads its own ro block $BBLK: ok, rights ro, all zeros" 0 \
	"^status 0 first $BBLK count 16 rkey 0x[0-9a-f]+ iova 0x[0-9a-f]+ rights 1 .* OK\$" \
	"^ok first16 0{32} crc32 [0-9a-f]+ allbyte 00\$"
probe "$L" $B write-block $BBLK $LEN 42
probe_is "B writes its own ro block $BBLK: the RDMA WRITE fails with a remote access error" 3 \
	"^error remote access error"
probe "$L" $B read-block $BBLK $LEN
probe_is "B's ro block $BBLK is still all zeros" 0 "^ok first16 0{32} crc32 [0-9a-f]+ allbyte 00$"

# ------------------------------------------------------- B with A's key

probe -o /run/b.out "$L" $B read "$AKEY" "$AIOVA" $LEN
probe_is "B reads with A's rkey/iova: the RDMA READ fails with a remote access error" 3 \
	"^error remote access error"
g_run g1 'test -s /run/b.out && ! cmp -s /run/b.out /run/a.out && ! grep -q SECRET /run/b.out &&
	test "$(tr -d "\356" </run/b.out | wc -c)" -eq 0'
ok $? "B's read buffer holds nothing of A's: every byte is still its fill (0xee)"
probe "$L" $B write "$AKEY" "$AIOVA" $LEN 42
probe_is "B writes with A's rkey/iova: the RDMA WRITE fails with a remote access error" 3 \
	"^error remote access error"
g_run g1 'dd if=/dev/ipmem0 bs=64k count=16 iflag=direct status=none | cmp - /run/pat &&
	test "$(cat /sys/block/ipmem0/ipmem/state)" = ready &&
	test "$(ipmem_stat ipmem0 errors)" -eq 0'
ok $? "A reads back its whole pattern from /dev/ipmem0 (O_DIRECT); ipmem0 ready, no errors"

# ------------------------------------------------------- C's own grant

probe "$L" $C write-block $CBLK $LEN c5
probe_is "C writes its own rw block $CBLK: ok" 0 \
	"^status 0 first $CBLK .* rights 2 .* OK\$" "^ok wrote $LEN bytes of 0xc5\$"
probe "$L" $C read-block $CBLK $LEN
probe_is "C reads back its own block $CBLK in a new connection: all 0xc5" 0 "allbyte c5$"

# ------------------------------------------------- C with B's live key

g_start g1 "echo \$\$ >/run/hold.pid; exec ipmem-probe -q 9 $(auth $B) $L $B hold $BBLK 120 >/run/hold.out 2>&1"
HOLD=$JOB
g_run g1 -t 30 'wait_until 20 grep -q "^holding" /run/hold.out'
BKEY=$(g_run g1 'awk "/^status 0 / { print \$8, \$10 }" /run/hold.out')
read -r BKEY BIOVA <<<"$BKEY"
[ -n "${BIOVA:-}" ]
ok $? "B holds a connection with the key of its block $BBLK: rkey ${BKEY:-?} iova ${BIOVA:-?}" ||
	diag "$(g_run g1 'cat /run/hold.out')"
BKEY=${BKEY:-0}
BIOVA=${BIOVA:-0}

probe "$L" $B read "$BKEY" "$BIOVA" $LEN
probe_is "control: another queue of B reads through B's held rkey/iova" 0 "^ok first16 0{32} .* allbyte 00$"
probe -o /run/c.out "$L" $C read "$BKEY" "$BIOVA" $LEN
probe_is "C reads with B's live rkey/iova: the RDMA READ fails, buffer untouched" 3 \
	"^error remote access error .* buffer untouched$"
probe "$L" $C write "$BKEY" "$BIOVA" $LEN c5
probe_is "C writes with B's live (read-only) rkey/iova: the RDMA WRITE fails" 3 "^error remote access error"

g_run g1 'kill -TERM "$(cat /run/hold.pid)"' >/dev/null
g_wait g1 "$HOLD" -t 30
rc=$?
out=$(g_run g1 'cat /run/hold.out')
echo "$out" | grep -q '^released$'
ok $((rc | $?)) "B's holding connection ends cleanly on SIGTERM" || diag "exit $rc:" "$out"

probe "$L" $B read-block $BBLK $LEN
probe_is "B's ro block $BBLK is still all zeros" 0 "^ok first16 0{32} crc32 [0-9a-f]+ allbyte 00$"

# ------------------------------------------------------------------ after

out=$(g_run g1 'wait_until 20 sh -c "test \$(grep -c ^borrower /sys/kernel/debug/ipmem/borrowers) -eq 1" &&
	cat /sys/kernel/debug/ipmem/borrowers' 2>&1)
rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -Eq '^borrower 0a4d:0001 .* [0-9]+ queues, 256 blocks registered$' &&
	[ "$(echo "$out" | grep -c ' rkey ')" -eq 1 ]
ok $? "when the probes are gone, the lender lists only A, with its one registration" || diag "$out"
# Linux 6.12's rxe logs every error completion of a queue pair; the
# probes' five refused RDMA operations above are remote access errors
# (IB_WC_REM_ACCESS_ERR, 10) on the probes' own queue pairs: those, and
# nothing else
out=$(g_run g1 'dmesg --level=emerg,alert,crit,err,warn | grep -i -E "ipmem|rxe|infiniband" |
	grep -vE "loading out-of-tree module taints kernel|module verification failed"')
denied=$(echo "$out" | grep -cE 'rxe0: qp#[0-9]+ make_send_cqe: non-flush error status = 10$')
other=$(echo "$out" | grep -vE 'rxe0: qp#[0-9]+ make_send_cqe: non-flush error status = 10$' | grep .)
[ -z "$other" ] && [ "$denied" -le 5 ]
ok $? "no warning from ipmem or rxe for any of it (but rxe's log of the $denied refused probe operations)" || diag "$out"
g_dmesg_clean g1
ok $? "nothing at warning level or above in dmesg"
h_done
