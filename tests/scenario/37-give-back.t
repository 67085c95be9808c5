#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Giving back part of a borrow, and borrowing it again, in the module:
#
# - extents that swap discarded (here blkdiscard) are listed (map list
#   free) and unmapped (map del PREFIX free), and an unmap that would
#   take an extent holding data is refused, changing nothing;
# - the lender takes those blocks back out of the middle of the grant
#   (grant del of a prefix inside it): the grant is split into the
#   prefixes around them, V grows, and the borrower's keys of the rest
#   still work (its data reads back);
# - a write to an extent without a copy waits for one: it is announced
#   (monitor map: map-wanted), and once a block is mapped there the write
#   goes through and reads back; with no block mapped it fails with an
#   I/O error after io_fail_tmo (at once while nobody listens for
#   events).
#
#   +--------------------------------------------------------------+
#   | g1 (host a4d:1, rxe loopback): pool 64 MiB, blocks 0-1023      |
#   | granted to itself, /dev/ipmem0 (64 MiB) mapped on them        |
#   |   blocks 512-767 discarded, unmapped, given back, then mapped   |
#   |   again under a waiting write                                  |
#   +--------------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

plan 15
h_init
g_boot g1 --cpus 2 --mem 768 || bail "guest g1 did not boot"
g_run g1 ipmem_load >/dev/null && g_keys g1 || bail "cannot load ipmem.ko and provision its host key"

ID=$(g_run g1 host_id)
L=fd69:706d:656d:$ID
g_run g1 "ipmemctl lend 64M dev eth0 &&
	ipmemctl grant add $L::/118 borrower $ID rights rw &&
	ipmemctl route add $L::/80 via \$(my_ip6) &&
	ipmemctl disk create 64M && ipmemctl map add $L::/118 disk ipmem0 &&
	head -c 64M /dev/urandom > /run/data &&
	dd if=/run/data of=/dev/ipmem0 bs=1M oflag=direct status=none &&
	blkdiscard -o 32M -l 16M /dev/ipmem0" ||
	bail "cannot set up the disk and fill it"

out=$(g_run g1 'ipmemctl -j map list free | jq -c "[.[] | [.extent, .extents]]"')
is "$out" "[[512,256]]" "map list free: only the discarded extents 512-767"

out=$(g_run g1 "ipmemctl map del $L::/120 free" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "some of those extents hold data"
ok $? "map del free of extents that hold data is refused ($out)"
is "$(g_run g1 'cat /sys/block/ipmem0/ipmem/mapped_copies')" 1024 \
	"and nothing was unmapped"

g_run g1 "ipmemctl map del $L::200/120 free &&
	test \$(cat /sys/block/ipmem0/ipmem/mapped_copies) = 768 &&
	test -z \"\$(ipmemctl map list free)\""
ok $? "map del free of the discarded extents unmaps them (768 copies left)"

# the borrower's registration of those blocks goes with its last user
out=$(g_run g1 -t 120 "wait_until 60 ipmemctl grant del $L::200/120 &&
	ipmemctl -j grant list | jq -c '[.[] | [.prefix, .blocks, .state]]'" 2>&1)
is "$out" "[[\"$L::/119\",512,\"confirmed\"],[\"$L::300/120\",256,\"confirmed\"]]" \
	"the lender takes blocks 512-767 back: the grant is split around them"
is "$(g_run g1 'ipmemctl -j status | jq .lender.pool.blocks_free')" 256 \
	"the pool's V grows by 256"
out=$(g_run g1 "ipmemctl grant del $L::10/126 force" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "covers others it keeps: they go back by whole segments" &&
	[ "$(g_run g1 'ipmemctl grant list | wc -l')" = 2 ]
ok $? "blocks inside a segment the borrower keeps do not go back, even with force ($out)"

# region OFF COUNT: that part of the disk (MiB), read past the page cache
g_run g1 'printf "%s\n" "dd if=/dev/ipmem0 bs=1M skip=\$1 count=\$2 iflag=direct status=none" > /run/region
	printf "%s\n" "dd if=/run/data bs=1M skip=\$1 count=\$2 status=none" > /run/part'
g_run g1 'sh /run/region 0 32 | cmp - /run/data -n 32M &&
	sh /run/region 48 16 | cmp - /run/data -i 0:48M &&
	head -c 1M /dev/urandom > /run/new &&
	dd if=/run/new of=/dev/ipmem0 bs=1M seek=60 oflag=direct status=none &&
	sh /run/region 60 1 | cmp - /run/new'
ok $? "the data around the hole reads back; its blocks take new writes"

g_run g1 'test $(cat /sys/block/ipmem0/ipmem/errors) = 0 &&
	! dd if=/run/new of=/dev/ipmem0 bs=64K seek=600 count=1 oflag=direct status=none &&
	test $(cat /sys/block/ipmem0/ipmem/errors) -gt 0 &&
	test $(cat /sys/block/ipmem0/ipmem/unmapped_waits) = 0 &&
	dmesg | grep -q "ipmem0: extent 600 is not mapped: I/O error"'
ok $? "with nobody listening for events, a write to an extent without a copy fails at once"

g_run g1 -t 120 '{ ipmemctl monitor map > /run/mon 2>&1 & echo $! > /run/mon.pid; } &&
	wait_until 30 nl_subscribed &&
	errs=$(cat /sys/block/ipmem0/ipmem/errors) &&
	echo 3 > /sys/module/ipmem/parameters/io_fail_tmo &&
	! dd if=/run/new of=/dev/ipmem0 bs=64K seek=600 count=1 oflag=direct status=none &&
	test $(cat /sys/block/ipmem0/ipmem/errors) -gt "$errs" &&
	test $(cat /sys/block/ipmem0/ipmem/unmapped_waits) = 1 &&
	grep -q "map-wanted ipmem0 extent 600$" /run/mon'
ok $? "with a listener, it is announced (map-wanted), waits io_fail_tmo, then fails with an I/O error"

# a write that waits for a copy: announced; goes through once mapped
g_run g1 'echo 300 > /sys/module/ipmem/parameters/io_fail_tmo &&
	head -c 16M /dev/urandom > /run/hole && : > /run/mon &&
	{ dd if=/run/hole of=/dev/ipmem0 bs=1M seek=32 oflag=direct status=none; echo $? > /run/dd.rc; } \
		> /dev/null 2>&1 &
	wait_until 120 grep -q "map-wanted ipmem0 extent 5[0-9][0-9]" /run/mon'
ok $? "the waiting write is announced (monitor map: $(g_run g1 'head -1 /run/mon'))"
g_run g1 'test ! -e /run/dd.rc'
ok $? "and it waits"

out=$(g_run g1 -t 200 "ipmemctl grant add $L::200/120 borrower $ID rights rw &&
	ipmemctl map add $L::200/120 disk ipmem0 &&
	wait_until 150 test -e /run/dd.rc && cat /run/dd.rc &&
	sh /run/region 32 16 | cmp - /run/hole && echo same" 2>&1)
echo "$out" | grep -q "mapped at extent 512 copy 0" &&
	[ "$(echo "$out" | tail -2 | xargs)" = "0 same" ]
ok $? "blocks mapped into the hole take the waiting write, which reads back" ||
	diag "$out"

g_run g1 'kill $(cat /run/mon.pid); echo 15 > /sys/module/ipmem/parameters/io_fail_tmo
	{ sh /run/part 0 32; cat /run/hole; sh /run/part 48 12; cat /run/new
		sh /run/part 61 3; } > /run/want &&
	sh /run/region 0 64 | cmp - /run/want'
ok $? "the whole disk reads back what was written, extent 600's failed write aside"
g_dmesg_sane g1
ok $? "no warning from the kernel but ipmem's I/O error"
h_done
