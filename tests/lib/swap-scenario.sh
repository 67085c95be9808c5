# SPDX-License-Identifier: GPL-2.0
#
# The swap scenario shared by tests/scenario/1*-swap-*.t: LENDER lends,
# BORROWER (may be the same guest) maps the lent blocks into /dev/ipmem0,
# swaps on it and runs the verifying workload.  Sourced after harness.sh;
# each function reports its TAP points.

# swap_setup LENDER BORROWER POOL_MIB: host keys, lend, grant, route,
# map.  2 points.
swap_setup() {
	local lender=$1 borrower=$2 mib=$3 blocks=$(($3 * 16)) lid bid

	g_run "$lender" 'ipmem_load' >/dev/null || bail "cannot load ipmem.ko on $lender"
	[ "$lender" = "$borrower" ] ||
		g_run "$borrower" 'ipmem_load' >/dev/null || bail "cannot load ipmem.ko on $borrower"
	g_keys $(printf '%s\n' "$lender" "$borrower" | sort -u) || bail "cannot provision host keys"
	lid=$(g_run "$lender" 'host_id')
	bid=$(g_run "$borrower" 'host_id')
	g_run "$lender" "ipmemctl lend ${mib}M dev eth0 &&
		ipmemctl grant add \$(block_prefix $lid $blocks) borrower $bid rights rw" &&
	g_run "$borrower" "ipmemctl host set dev eth0 &&
		ipmemctl route add \$IPMEM_NET:$lid::/80 via $(g_ip6 "$lender") &&
		ipmemctl disk create ${mib}M &&
		ipmemctl map add \$(block_prefix $lid $blocks) disk ipmem0"
	ok $? "$lender lends $mib MiB to $borrower, mapped into /dev/ipmem0"
	is "$(g_run "$borrower" 'cat /sys/block/ipmem0/ipmem/state /sys/block/ipmem0/ipmem/mapped_copies | xargs')" \
		"ready $blocks" "ipmem0 is ready with $blocks extent copies mapped"
}

# swap_workload GUEST WS_MIB: swapon ipmem0, run memtouch with WS_MIB in
# half of that, check results and counters, swapoff.  8 points.
swap_workload() {
	local g=$1 ws=$2 out rc

	g_run "$g" 'd0=$(ipmem_stat ipmem0 discards) && blkdiscard /dev/ipmem0 &&
		test $(ipmem_stat ipmem0 discards) -gt $d0'
	ok $? "blkdiscard of the whole disk completes and is counted"
	g_run "$g" 'swap_on ipmem0 --discard'
	ok $? "mkswap and swapon --discard /dev/ipmem0; it is the only swap"
	g_run "$g" 'for c in pswpout pswpin; do vmstat_get $c > /run/share/$c.0; done
		for c in reads writes; do ipmem_stat ipmem0 $c > /run/share/$c.0; done'
	out=$(g_run "$g" -t 1200 "run_limited $((ws / 2)) memtouch -p 2 $ws")
	rc=$?
	diag "$out"
	ok $rc "memtouch $ws MiB under memory.max $((ws / 2)) MiB exits 0"
	echo "$out" | grep -q '^pass 1 seq' && echo "$out" | grep -q '^pass 2 rand' &&
		echo "$out" | grep -q '^total mismatches 0$'
	ok $? "zero mismatches over a sequential and a random pass"
	g_run "$g" 'test $(vmstat_get pswpout) -gt $(cat /run/share/pswpout.0) &&
		test $(vmstat_get pswpin) -gt $(cat /run/share/pswpin.0)'
	ok $? "vmstat pswpout and pswpin moved"
	g_run "$g" 'test $(ipmem_stat ipmem0 writes) -gt $(cat /run/share/writes.0) &&
		test $(ipmem_stat ipmem0 reads) -gt $(cat /run/share/reads.0) &&
		test $(ipmem_stat ipmem0 errors) -eq 0'
	ok $? "ipmem0 counted the reads and writes, and no errors"
	g_run "$g" 'grep -q " live," /sys/kernel/debug/ipmem/lenders &&
		! tail -n +2 /sys/kernel/debug/ipmem/table | grep -vq " ok$"'
	ok $? "the lender is live and every extent copy is ok"
	g_run "$g" 'swapoff /dev/ipmem0 && ! grep -q ipmem0 /proc/swaps'
	ok $? "swapoff"
}

# swap_paused_swapoff GUEST WS_MIB: swapoff while a workload's pages are
# out and the workload is stopped; it resumes and verifies every page
# that swapoff brought back.  3 points.
swap_paused_swapoff() {
	local g=$1 ws=$2 job out rc

	g_run "$g" 'swap_on ipmem0 && rm -f /run/stop.swapoff' || bail "swapon"
	g_start "$g" "run_limited $((ws / 2)) memtouch -p 2 -u /run/stop.swapoff $ws"
	job=$JOB
	g_run "$g" -t 600 "wait_until 500 grep -q '^pass 1 ' /run/share/out.$job &&
		pkill -STOP -x memtouch && unlimit &&
		used=\$(awk '\$1 == \"/dev/ipmem0\" { print \$4 }' /proc/swaps) &&
		echo \"\$used KiB out\" && test \$used -gt $((ws * 1024 / 4)) &&
		swapoff /dev/ipmem0 && ! grep -q ipmem0 /proc/swaps"
	ok $? "swapoff with more than a quarter of the stopped workload's pages out"
	g_run "$g" -t 600 "pkill -CONT -x memtouch &&
		n=\$(grep -c '^pass' /run/share/out.$job) &&
		wait_until 500 sh -c \"test \\\$(grep -c '^pass' /run/share/out.$job) -ge \$((n + 2))\"; rc=\$?;
		touch /run/stop.swapoff; exit \$rc"
	ok $? "the workload resumes and runs two more passes over its pages"
	out=$(g_wait "$g" "$job" -t 600)
	rc=$?
	diag "$(echo "$out" | tail -3)"
	[ $rc -eq 0 ] && echo "$out" | grep -q '^total mismatches 0$'
	ok $? "every page swapoff brought back verifies"
}
