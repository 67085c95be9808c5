#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input gets a clear error and changes nothing.  Every request below
# is wrong in one way; each must fail with the message that says how,
# ipmemctl must exit non-zero printing the kernel's message, and after
# all of them the module's state must be exactly what it was.  Then the
# pool shrinks: a shrink past granted blocks waits for them, one past
# free blocks is done at once, and a grant past the new end is refused.
#
#   +--------------------------------------------------------------+
#   | g1 (host a4d:1): pool 64 MiB; grant blocks 0-255 to itself;   |
#   | route to its own /80; /dev/ipmem0 with blocks 0-255 mapped    |
#   |   <- ipmemctl and nlraw (raw netlink) with bad input          |
#   +--------------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

plan 79
h_init
g_boot g1 --cpus 2 || bail "guest g1 did not boot"
g_run g1 'ipmem_load' >/dev/null || bail "cannot load ipmem.ko"

# rejects DESC REGEX CMD: CMD fails and its output matches REGEX.
rejects() {
	local desc=$1 re=$2 out rc

	shift 2
	out=$(g_run g1 "$@" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && echo "$out" | grep -Eq "$re"; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		diag "exit $rc, output: $out" "expected: /$re/"
	fi
}

# Before there is a pool or a host id.
rejects "a pool before the host id is set" "set the network prefix and host id first" \
	'nlraw POOL_NEW SIZE=u64:65536 ADDR=addr:fd00:77::1'
rejects "a network prefix with bits past /48" "network prefix must be a /48" \
	'nlraw SET_HOST_ID NET_PREFIX=addr:fd69:706d:656d:1:: HOST_ID=u32:1'
g_run g1 'ipmemctl host set dev eth0' >/dev/null || bail "host set"
rejects "a pool size that is not a multiple of the block size" "multiple of the block size" \
	'ipmemctl lend 100K dev eth0'
rejects "a block size that is not a power of two" "power of two from 4 KiB to 64 KiB" \
	'ipmemctl lend 64M dev eth0 block-size 12K'
rejects "a pool larger than the host's memory" "exceeds this host's memory" \
	'ipmemctl lend 1T dev eth0'
rejects "a pool on an address that is not ours" "not a local address of an RDMA" \
	'ipmemctl lend 64M addr fd00:77::99'
rejects "a pool request without a size" "missing size" \
	'nlraw POOL_NEW ADDR=addr:fd00:77::1'
rejects "a pool of size 0" "size" \
	'nlraw POOL_NEW SIZE=u64:0 ADDR=addr:fd00:77::1'
rejects "a pool address of 2 bytes" "address" \
	'nlraw POOL_NEW SIZE=u64:65536 ADDR=hex:fd00'
g_run g1 'test "$(cat /sys/module/ipmem/pool/blocks_total)" = 0 && ! test -e /dev/ipmem0'
ok $? "none of that made a pool"

# A valid world to break.  Before this host has a host key, it connects
# to no lender (require_auth): the map is refused and nothing is mapped.
g_run g1 '
	id=$(host_id)
	ipmemctl lend 64M dev eth0 &&
	ipmemctl grant add $(block_prefix $id 256) borrower $id rights rw &&
	ipmemctl route add $IPMEM_NET:$id::/80 via $(my_ip6) &&
	ipmemctl disk create 32M' >/dev/null || bail "cannot set up the valid state"
rejects "a map before this host has a host key" "this host has no host key \(ipmemctl key set\)" \
	'ipmemctl map add $(block_prefix $(host_id) 256) disk ipmem0'
g_run g1 'test "$(cat /sys/block/ipmem0/ipmem/mapped_copies)" = 0 &&
	! grep -q "^borrower" /sys/kernel/debug/ipmem/borrowers &&
	test -z "$(ipmemctl lender list)"'
ok $? "nothing mapped, no lender connected, no session on the lender" ||
	diag "$(g_run g1 'cat /sys/block/ipmem0/ipmem/mapped_copies; cat /sys/kernel/debug/ipmem/borrowers; ipmemctl lender list')"
g_keys g1 || bail "cannot provision host keys"
g_run g1 'ipmemctl map add $(block_prefix $(host_id) 256) disk ipmem0' >/dev/null ||
	bail "cannot set up the valid state"
snapshot='{ ipmemctl status; cat /sys/kernel/debug/ipmem/table /sys/kernel/debug/ipmem/grants; } > '
g_run g1 "$snapshot /run/share/before" || bail "snapshot"

P='$IPMEM_NET:$(host_id)'	# this lender's /80, expanded in the guest
rejects "a second pool" "already lends a pool" 'ipmemctl lend 64M dev eth0'
rejects "a grant prefix length of 129" "prefix length" \
	"nlraw GRANT_NEW PREFIX=addr:$P:: PREFIX_LEN=u8:129 BORROWER=u32:1 RIGHTS=u8:2"
rejects "a grant prefix shorter than a lender's /80" "prefix length" \
	"nlraw GRANT_NEW PREFIX=addr:$P:: PREFIX_LEN=u8:64 BORROWER=u32:1 RIGHTS=u8:2"
rejects "a grant prefix of one byte" "prefix" \
	'nlraw GRANT_NEW PREFIX=hex:fd PREFIX_LEN=u8:128 BORROWER=u32:1 RIGHTS=u8:2'
rejects "rights 3" "rights" \
	"nlraw GRANT_NEW PREFIX=addr:$P::400 PREFIX_LEN=u8:128 BORROWER=u32:1 RIGHTS=u8:3"
rejects "an attribute the command does not take" "disk" \
	"nlraw GRANT_NEW PREFIX=addr:$P::400 PREFIX_LEN=u8:128 BORROWER=u32:1 RIGHTS=u8:2 DISK=u32:0"
rejects "a grant without a borrower" "missing borrower" \
	"nlraw GRANT_NEW PREFIX=addr:$P::400 PREFIX_LEN=u8:128 RIGHTS=u8:2"
rejects "a grant prefix with bits set past its length" "bits set past its length" \
	"ipmemctl grant add $P::101/120 borrower 1 rights rw"
rejects "a grant outside the network prefix" "outside the network prefix" \
	'ipmemctl grant add 2001:db8:0:a4d:1::/120 borrower 1 rights rw'
rejects "a grant in another lender's /80" "not inside this lender's /80" \
	'ipmemctl grant add $IPMEM_NET:ffff:ffff::/120 borrower 1 rights rw'
rejects "a grant past the end of the pool" "past the end of the pool" \
	"ipmemctl grant add $P::1000/120 borrower 1 rights rw"
rejects "a grant overlapping another" "overlaps an existing grant" \
	"ipmemctl grant add $P::80/121 borrower 2 rights ro"
rejects "reserving more than is free" "not enough free blocks" \
	'ipmemctl grant reserve 100000 borrower 2 rights rw'
rejects "confirming a grant that does not exist" "no grant with that prefix" \
	"ipmemctl grant confirm $P::200/120"
rejects "revoking a grant that does not exist" "no grant with that prefix" \
	"ipmemctl grant del $P::200/120"
rejects "destroying a pool with grants" "the pool has grants" 'ipmemctl lend destroy'
rejects "shrinking the pool to its own size" "smaller than the pool" \
	'ipmemctl lend shrink 64M'
rejects "shrinking the pool to a size that is not a multiple of the block size" \
	"multiple of the block size" 'ipmemctl lend shrink 100K'
rejects "a shrink request without a size" "missing size" 'nlraw POOL_SHRINK'
rejects "a shrink to size 0" "size" 'nlraw POOL_SHRINK SIZE=u64:0'
rejects "deleting a grant its borrower has mapped, without force" \
	"the borrower has these blocks mapped: what it keeps there would be lost \(force deletes anyway\)" \
	'ipmemctl grant del $(block_prefix $(host_id) 256)'

rejects "a route with next hop ::" "next hop must be a global unicast address" \
	"ipmemctl route add $P::/80 via ::"
rejects "a route shorter than the network prefix" "prefix length" \
	'ipmemctl route add $IPMEM_NET::/40 via fd00:77::1'
rejects "a route outside the network prefix" "outside the network prefix" \
	'ipmemctl route add 2001:db8:1::/80 via fd00:77::1'
rejects "the same route twice" "already routed" \
	"ipmemctl route add $P::/80 via fd00:77::1"
rejects "deleting a route that does not exist" "no such route" \
	'ipmemctl route del $IPMEM_NET:1:2::/80'

rejects "a disk size that is not a multiple of the block size" "multiple of the block size" \
	'ipmemctl disk create 100K'
rejects "4 replicas" "replicas" 'nlraw DISK_NEW SIZE=u64:1048576 REPLICAS=u8:4'
rejects "encrypt 2" "encrypt" 'nlraw DISK_NEW SIZE=u64:1048576 ENCRYPT=u8:2'
rejects "a private key of 31 bytes" "private key" \
	"nlraw HOST_KEY_SET PRIVATE_KEY=hex:$(printf '11%.0s' $(seq 31))"
rejects "key slot 2" "key slot" \
	"nlraw HOST_KEY_SET KEY_SLOT=u8:2 PRIVATE_KEY=hex:$(printf '11%.0s' $(seq 32))"
rejects "a public key of zeros" "public key of zeros" \
	"nlraw PEER_KEY_NEW HOST_ID=u32:7 PUBLIC_KEY=hex:$(printf '00%.0s' $(seq 32))"
rejects "a route MAC without a host key" "this host has no host key" \
	'ipmemctl key del slot 0 >/dev/null && nlraw ROUTE_MAC HOST_ID=u32:7 ROUTE=hex:00112233
	rc=$?; ipmemctl key set /run/host.key >/dev/null; exit $rc'
rejects "a route MAC of more than 256 bytes" "\(route\)" \
	"nlraw ROUTE_MAC HOST_ID=u32:7 ROUTE=hex:$(printf '00%.0s' $(seq 257))"
rejects "a route MAC for no host" "missing host id" 'nlraw ROUTE_MAC ROUTE=hex:00112233'
rejects "a route MAC without CAP_NET_ADMIN" "not permitted" \
	"setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all nlraw ROUTE_MAC HOST_ID=u32:7 ROUTE=hex:00"
rejects "ipmemctl: a public key that is not 64 hex digits" "is not a key" \
	'ipmemctl host-key add a4d:7 0123'
rejects "ipmemctl: a private key file others may read" "mode 0600" \
	'f=$(mktemp) && head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n" >$f && chmod 644 $f &&
	ipmemctl key set $f; rc=$?; rm -f $f; exit $rc'
rejects "a cipher the kernel does not have" "no synchronous AEAD of that name" \
	'p=/sys/module/ipmem/parameters/cipher; c=$(cat $p); echo "nope(x)" > $p
	ipmemctl disk create 1M; rc=$?; echo "$c" > $p; exit $rc'
rejects "a cipher that is not an AEAD of 12-byte nonces" "12-byte nonce" \
	'p=/sys/module/ipmem/parameters/cipher; c=$(cat $p); echo "ccm(aes)" > $p
	ipmemctl disk create 1M; rc=$?; echo "$c" > $p; exit $rc'
rejects "an ack_timeout out of its range (25; 12-24) is refused and changes nothing" "Invalid argument" \
	'p=/sys/module/ipmem/parameters/ack_timeout; v=$(cat $p); bash -c "echo 25 > $p"; rc=$?
	test "$(cat $p)" = "$v" || rc=0; exit $rc'
rejects "the number of a disk that exists" "disk number is in use" \
	'ipmemctl disk create 1M disk ipmem0'
rejects "removing a disk that does not exist" "no such disk" 'ipmemctl disk del ipmem9'
rejects "mapping into a disk that does not exist" "no such disk" \
	"ipmemctl map add $P::/120 disk ipmem9"
rejects "mapping blocks nobody routes" "no route to the lender" \
	'ipmemctl map add $IPMEM_NET:dead:beef::/120 disk ipmem0'
rejects "mapping blocks that were not granted" "has not granted these blocks" \
	"ipmemctl map add $P::300/120 disk ipmem0"
rejects "mapping blocks twice" "already mapped" "ipmemctl map add $P::/120 disk ipmem0"
rejects "mapping past the end of the disk" "past the end of the disk" \
	"ipmemctl map add $P::/120 disk ipmem0 extent 511"
rejects "unmapping blocks that are not mapped" "none of those blocks is mapped" \
	"ipmemctl map del $P::300/120"
g_run g1 'ipmemctl route add $IPMEM_NET:abcd:1::/80 via $(my_ip6)' >/dev/null
rejects "a route whose next hop is another lender than the prefix names" \
	"another host id than the prefix" 'ipmemctl map add $IPMEM_NET:abcd:1::/128 disk ipmem0'
g_run g1 'ipmemctl route del $IPMEM_NET:abcd:1::/80' >/dev/null
g_run g1 'ipmemctl route add $IPMEM_NET:abcd:2::/80 via fd00:77::99' >/dev/null
rejects "a lender that does not answer" "cannot reach the lender|timed out" \
	'ipmemctl map add $IPMEM_NET:abcd:2::/128 disk ipmem0'
g_run g1 'ipmemctl route del $IPMEM_NET:abcd:2::/80' >/dev/null
rejects "a change without CAP_NET_ADMIN" "not permitted" \
	"setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all ipmemctl grant del $P::/120"
rejects "ipmemctl: a size it cannot parse" "is not a size" 'ipmemctl disk create 12Q'
rejects "ipmemctl: an unknown command" "unknown command" 'ipmemctl frobnicate'

g_run g1 "$snapshot /run/share/after; diff /run/share/before /run/share/after"
ok $? "after all of that, status, table and grants are what they were"

# A shrink past granted blocks waits for them: nothing new is granted or
# reserved past the new size meanwhile, the pool's own size calls it off,
# and once the last grant past it goes the pool shrinks by itself.
# pool BLOCKS_TOTAL BLOCKS_FREE SHRINK_TO: the pool as ipmemctl status says
pool() {
	g_run g1 "ctl_is '.lender.pool.blocks_total == $1 and .lender.pool.blocks_free == $2 and .lender.pool.shrink_to == $3' status"
}
out=$(g_run g1 "ipmemctl grant add $P::300/120 borrower 2 rights ro &&
	ipmemctl lend shrink 8M" 2>&1)
rc=$?
diag "$out"
[ $rc -eq 0 ] && echo "$out" | grep -q "^shrinking to 8MiB: blocks past it are still granted or reserved" &&
	pool 1024 0 8388608
ok $? "a shrink to 8 MiB past granted blocks (0-255, 768-1023) waits: M 1024, V 0 (nothing below it free), shrink_to 8 MiB"
rejects "a grant past the size the pool shrinks to" "past the size the pool shrinks to" \
	"ipmemctl grant add $P::200/120 borrower 2 rights ro"
rejects "a reservation while nothing below that size is free" "not enough free blocks" \
	'ipmemctl grant reserve 1 borrower 2 rights rw'
g_run g1 'ipmemctl lend shrink 64M' >/dev/null && pool 1024 512 null
ok $? "lend shrink to the pool's own size calls the shrink off (V 512 again)"
# a reservation made before a shrink that it lies past is not confirmed
g_run g1 "ipmemctl grant reserve 256 borrower 2 rights rw" >/dev/null
rejects "confirming a reservation past the size the pool shrinks to" "past the size the pool shrinks to" \
	"ipmemctl lend shrink 16M >/dev/null && ipmemctl grant confirm $P::100/120"
g_run g1 "ipmemctl grant del $P::100/120 && ipmemctl lend shrink 64M" >/dev/null && pool 1024 512 null
ok $? "the reservation revoked and the shrink called off, the pool is as it was"
# below 32 MiB only blocks 256-319 and 384-447 are free: a reservation
# of 128 takes them, not the aligned 128 at 512 past the shrink
out=$(g_run g1 "ipmemctl grant add $P::140/122 borrower 2 rights ro &&
	ipmemctl grant add $P::1c0/122 borrower 2 rights ro &&
	ipmemctl lend shrink 32M >/dev/null &&
	ipmemctl -j grant reserve 128 borrower 2 rights rw | jq -r '.[].prefix' | sort &&
	echo $P::100/122 $P::180/122" 2>&1)
rc=$?
diag "$out"
[ $rc -eq 0 ] && [ "$(echo "$out" | head -n 2 | paste -sd ' ')" = "$(echo "$out" | sed -n 3p)" ]
ok $? "while a shrink to 32 MiB waits, a reservation takes the fragments below it, none of the blocks past it"
g_run g1 "for p in 100/122 180/122 140/122 1c0/122; do ipmemctl grant del $P::\$p || exit; done &&
	ipmemctl lend shrink 48M" >/dev/null && pool 1024 512 50331648 &&
	g_run g1 "ipmemctl grant del $P::300/120" && pool 768 512 null
ok $? "a shrink to 48 MiB waits for the grant of blocks 768-1023, and ends when it is revoked (M 768)"

# What it may do: give back the end of the pool, past what it granted.
g_run g1 "ipmemctl lend shrink 32M &&
	test \$(cat /sys/module/ipmem/pool/blocks_total) = 512 &&
	test \$(cat /sys/module/ipmem/pool/blocks_free) = 256 &&
	ipmemctl grant add $P::100/120 borrower 2 rights ro && ipmemctl grant del $P::100/120" >/dev/null
ok $? "the pool shrinks from 64 MiB to 32 MiB past its grants (M 512, V 256), and grants below still work"
rejects "a grant past the new end of the pool" "past the end of the pool" \
	"ipmemctl grant add $P::200/120 borrower 2 rights ro"
g_run g1 'dd if=/dev/ipmem0 of=/dev/null bs=64k count=256 iflag=direct 2>&1'
ok $? "the mapped blocks still read"
g_dmesg_clean g1
ok $? "nothing at warning level or above in dmesg"
h_done
