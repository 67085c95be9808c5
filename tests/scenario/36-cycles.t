#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole life cycle, again and again: load, lend, grant, route, disk,
# map, swapon, a verifying workload that swaps, swapoff, and everything
# taken down again down to rmmod.  After a first cycle and CYCLES more
# (19 here, 20 in all; CYCLES=100 outside make check, 4 under make
# check-debug, where kmemleak looks for what a cycle leaves) free memory, the
# kernel's slab caches, vmalloc and per-CPU memory and the RDMA resources
# (PDs, CQs, QPs, MRs, cm ids) are back where they were after the first:
# nothing leaks per cycle (64 KiB a cycle would show; smaller leaks are
# kmemleak's, make check-debug).  The module's reference count is zero
# before every rmmod.
#
#   +-----------------------------------------------------------+
#   | g1 (host a4d:1, rxe0 loopback), CYCLES times:              |
#   |   insmod; pool 64 MiB -> grant -> ipmem0 -> swap, memtouch |
#   |   swapoff; disk del; route del; grant del; destroy; rmmod  |
#   +-----------------------------------------------------------+
. "$(dirname "$0")/../lib/harness.sh"

CYCLES=${CYCLES:-19}

plan 8
h_init
g_boot g1 --cpus 2 --mem 768 || bail "guest g1 did not boot"

# the cycle, and what is measured after it (in the guest's /run/cycle)
g_run g1 'cat > /run/cycle <<"EOF"
id=$(host_id)
pfx=$(block_prefix $id 1024)
ipmem_load && ipmemctl lend 64M dev eth0 &&
	ipmemctl grant add $pfx borrower $id rights rw &&
	ipmemctl route add $IPMEM_NET:$id::/80 via $(my_ip6) &&
	ipmemctl disk create 64M && ipmemctl map add $pfx disk ipmem0 &&
	swap_on ipmem0 &&
	run_limited 8 memtouch -p 1 16 > /run/mt.out &&
	grep -q "^total mismatches 0$" /run/mt.out &&
	test "$(cat /sys/block/ipmem0/ipmem/writes)" -gt 0 &&
	test "$(cat /sys/block/ipmem0/ipmem/reads)" -gt 0 &&
	swapoff /dev/ipmem0 && ipmemctl disk del ipmem0 &&
	wait_until 60 sh -c "! grep -q borrower /sys/kernel/debug/ipmem/borrowers" &&
	ipmemctl route del $IPMEM_NET:$id::/80 &&
	ipmemctl grant del $pfx && ipmemctl lend destroy &&
	test "$(cat /sys/module/ipmem/refcnt)" = 0 &&
	rmmod ipmem || { echo "cycle failed"; exit 1; }
EOF
cat > /run/measure <<"EOF"
sync; echo 3 > /proc/sys/vm/drop_caches
echo "memfree $(memfree_kb)"
awk "/^(Percpu|VmallocUsed):/ { sub(\":\", \"\", \$1); print \$1, \$2 }" /proc/meminfo
awk "NR > 2 { b += \$3 * \$4 } END { print \"slab\", int(b / 1024) }" /proc/slabinfo
for r in pd cq qp mr cm_id; do echo "$r $(rdma resource show $r 2>/dev/null | wc -l)"; done
EOF'
ok $? "the cycle and the measurement are written"

# host keys: the first load here, every later one in the cycle (ipmem_load)
g_run g1 ipmem_load && g_keys g1 || bail "cannot provision host keys"
g_run g1 -t 300 '. /run/cycle && . /run/measure > /run/share/base'
ok $? "a first cycle runs; the baseline is measured after it"
diag "baseline: $(cat "$(g_share g1)/base" | xargs)"

g_run g1 -t $((CYCLES * 120)) "i=0
	while [ \$i -lt $CYCLES ]; do
		. /run/cycle || { echo \"cycle \$i failed\"; exit 1; }
		i=\$((i + 1))
	done
	. /run/measure > /run/share/after"
ok $? "$CYCLES more cycles run, each with a verifying workload that swaps"
diag "after $CYCLES cycles: $(cat "$(g_share g1)/after" 2>/dev/null | xargs)"

# Free memory moves by several MiB between two readings of an idle
# guest (per-CPU page lists, LRU caches), so it is only checked for what
# a pool is made of (64 MiB per cycle); what ipmem allocates otherwise
# comes from the slab caches, vmalloc and per-CPU memory, which are
# steady to within a few hundred KiB.
get() { awk -v k="$2" '$1 == k { print $2 }' "$(g_share g1)/$1"; }
d=$(( $(get base memfree) - $(get after memfree) ))
[ "$d" -lt 32768 ]
ok $? "free memory is back within 32 MiB of the baseline (down by $d KiB)"
d=$(( $(get after slab) - $(get base slab) ))
[ "$d" -lt 1024 ]
ok $? "the slab caches are back within 1 MiB of the baseline (up by $d KiB)"
d=$(( $(get after VmallocUsed) + $(get after Percpu) - $(get base VmallocUsed) - $(get base Percpu) ))
[ "$d" -lt 1024 ]
ok $? "vmalloc and per-CPU memory are back within 1 MiB of the baseline (up by $d KiB)"
rc=0
for r in pd cq qp mr cm_id; do
	[ "$(get base $r)" = "$(get after $r)" ] || { diag "$r: $(get base $r) -> $(get after $r)"; rc=1; }
done
ok $rc "as many RDMA PDs, CQs, QPs, MRs and cm ids as at the baseline"
g_dmesg_clean g1
ok $? "nothing at warning level or above in dmesg"
h_done
