#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The patent's FIG. 2 address layout, through a real lender and
# borrower: FIG. 2's network prefix 2001:db8:8000::/48 and lender host id
# c0a8:a010, 4 KiB blocks.  FIG. 2's own block, 0xb8a03864, would need a
# pool of 12 TiB; this one has 64 MiB, so its block 0x3864 (FIG. 2's low
# 16 bits) stands in: its address is 2001:db8:8000:c0a8:a010::3864 (the
# full FIG. 2 address is checked by tests/unit/addr.c).  What the
# borrower writes at the extent that block backs is what the lender holds
# in that block.
#
#   +---------------------------------------------------------------+
#   | g1 (one kernel, rxe0 loopback)                                 |
#   |   lender c0a8:a010: pool 64 MiB of 4 KiB blocks                |
#   |     grant 2001:db8:8000:c0a8:a010::3800/120 (blocks 0x3800-ff) |
#   |   borrower: /dev/ipmem0, 4 KiB extents                         |
#   |     extents 0-255 -> blocks 0x3800-0x38ff (one map)            |
#   |     extent 300    -> block 0x3901 (a /128)                     |
#   +---------------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

NET=2001:db8:8000
LENDER=$NET:c0a8:a010

plan 14
h_init
g_boot g1 --cpus 2 || bail "guest g1 did not boot"
g_run g1 'ipmem_load' >/dev/null || bail "cannot load ipmem.ko"
# host keys; the host id here is not the one eth0 gives: add ours
g_keys g1 && g_run g1 'ipmemctl host-key add c0a8:a010 $(ipmem-probe -k /run/host.key public)' ||
	bail "cannot provision host keys"

# encrypt off: the lender's blocks then hold the bytes as written, and
# show where each extent went (41-integrity checks the ciphertext)
g_run g1 "ipmemctl host set prefix $NET::/48 id c0a8:a010 &&
	ipmemctl lend 64M dev eth0 block-size 4K &&
	ipmemctl grant add $LENDER::3800/120 borrower c0a8:a010 rights rw &&
	ipmemctl grant add $LENDER::3901/128 borrower c0a8:a010 rights rw &&
	ipmemctl route add $LENDER::/80 via \$(my_ip6) &&
	ipmemctl disk create 2M block-size 4K encrypt off &&
	ipmemctl map add $LENDER::3800/120 disk ipmem0 &&
	ipmemctl map add $LENDER::3901 disk ipmem0 extent 300" >/dev/null
ok $? "4 KiB-block pool, two grants, two mappings at known places"

is "$(g_run g1 'awk "\$1 == \"ipmem0\" && \$2 == 100 { print \$4 }" /sys/kernel/debug/ipmem/table')" \
	"$LENDER::3864" "extent 100 is block $LENDER::3864 in the table"
is "$(g_run g1 'awk "\$1 == \"ipmem0\" && \$2 == 300 { print \$4 }" /sys/kernel/debug/ipmem/table')" \
	"$LENDER::3901" "extent 300 is block $LENDER::3901"
g_run g1 "ipmemctl map list | grep -q 'ipmem0 extents 0-255 copy 0 blocks $LENDER::3800 +256'"
ok $? "ipmemctl map list shows the run of 256 extents"

# the same, and the rest, as JSON (the keys are in Documentation/ipmemctl.rst)
is "$(g_run g1 'ipmemctl -j map list | jq -c "map([.disk, .extent, .extents, .copy, .blocks, .rights, .state])"')" \
	"[[\"ipmem0\",0,256,0,\"$LENDER::3800\",\"rw\",\"ok\"],[\"ipmem0\",300,1,0,\"$LENDER::3901\",\"rw\",\"ok\"]]" \
	"ipmemctl -j map list: both mappings, with their extents and blocks"
is "$(g_run g1 'ipmemctl -j grant list | jq -c "map([.prefix, .borrower, .rights, .state, .blocks]) | sort"')" \
	"[[\"$LENDER::3800/120\",\"c0a8:a010\",\"rw\",\"confirmed\",256],[\"$LENDER::3901/128\",\"c0a8:a010\",\"rw\",\"confirmed\",1]]" \
	"ipmemctl -j grant list: both grants"
is "$(g_run g1 'ipmemctl -j disk list | jq -c ".[] | [.name, .size, .block_size, .replicas, .extents, .copies_mapped, .encrypt, (.stats.writes | type)]"')" \
	'["ipmem0",2097152,4096,1,512,257,false,"number"]' \
	"ipmemctl -j disk list: sizes in bytes, encrypt a boolean, the counters numbers"
is "$(g_run g1 'ipmemctl -j route list | jq -c "map([.prefix, .port])"; ipmemctl -j lender list | jq -c "map([.lender, .state, .mapped])"; ipmemctl -j host | jq -c "[.host.host_id, .host.network]"')" \
	"$(printf '%s\n' "[[\"$LENDER::/80\",7471]]" '[["c0a8:a010","live",257]]' "[\"c0a8:a010\",\"$NET::/48\"]")" \
	"ipmemctl -j route list, lender list and host"
g_run g1 'ipmemctl -j status | jq -e "(.module.wire_protocol | type) == \"number\" and .host.host_id == \"c0a8:a010\" and
		.lender.pool.blocks_total == 16384 and .lender.pool.block_size == 4096 and (.lender.grants | length) == 2 and
		(.borrower.disks | length) == 1 and (.borrower.map | length) == 2 and .ipmemd == null and
		.ipmemd_error == \"ipmemd is not running\"" >/dev/null &&
	test "$(ipmemctl -jp status | jq -S .)" = "$(ipmemctl -j status | jq -S .)" &&
	test "$(ipmemctl -jp status | wc -l)" -gt 20'
ok $? "ipmemctl -j status: one JSON object with the module, host, lender and borrower; -p indents the same"

# What the borrower writes at extent 100 and 300 ...
g_run g1 'head -c 4096 /dev/urandom > /tmp/a && head -c 4096 /dev/urandom > /tmp/b &&
	dd if=/tmp/a of=/dev/ipmem0 bs=4096 seek=100 oflag=direct status=none &&
	dd if=/tmp/b of=/dev/ipmem0 bs=4096 seek=300 oflag=direct status=none'
ok $? "the borrower writes 4 KiB of random bytes at extents 100 and 300"
# ... is in the lender's blocks 0x3864 and 0x3901.
g_run g1 'dd if=/sys/kernel/debug/ipmem/pool bs=4096 skip=$((0x3864)) count=1 status=none | cmp - /tmp/a'
ok $? "the lender's block 0x3864 holds what was written at extent 100"
g_run g1 'dd if=/sys/kernel/debug/ipmem/pool bs=4096 skip=$((0x3901)) count=1 status=none | cmp - /tmp/b'
ok $? "the lender's block 0x3901 holds what was written at extent 300"
g_run g1 'dd if=/sys/kernel/debug/ipmem/pool bs=4096 skip=$((0x3863)) count=1 status=none | cmp -s - /dev/zero -n 4096 &&
	dd if=/sys/kernel/debug/ipmem/pool bs=4096 skip=$((0x3865)) count=1 status=none | cmp -s - /dev/zero -n 4096'
ok $? "its neighbours 0x3863 and 0x3865 are untouched (zero)"
g_dmesg_clean g1
ok $? "nothing at warning level or above in dmesg"
h_done
