# SPDX-License-Identifier: GPL-2.0
#
# Helpers for commands that tests/lib/harness.sh runs inside a guest
# (sourced before every command; POSIX sh).

# wait_until SECONDS CMD...: re-check CMD until it succeeds; fail with a
# message naming it after SECONDS.  For conditions that have no event to
# wait on (a listener appearing on another host, a counter moving).
wait_until() {
	_limit=$1
	shift
	_end=$(($(date +%s) + _limit))
	until "$@"; do
		if [ "$(date +%s)" -ge "$_end" ]; then
			echo "wait_until: '$*' still false after $_limit s" >&2
			return 1
		fi
		sleep 0.2
	done
}

# ipmem_load [PARAMS]: load the module under test (if it is not loaded).
ipmem_load() {
	test -d /sys/module/ipmem && return 0
	modprobe ib_core && modprobe rdma_cm && insmod "$IPMEM_KO" "$@"
}

# The lender's pool memory shows up in MemFree; tests compare it.
memfree_kb() {
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
}

vmstat_get() {
	awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat
}

# run_limited MAX_MIB CMD...: run CMD in a cgroup of its own whose memory
# is limited to MAX_MIB (swap is not limited), so that CMD swaps.
run_limited() {
	_max=$1
	shift
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	_cg=/sys/fs/cgroup/limited.$$
	mkdir "$_cg" || return 1
	echo $((_max * 1024 * 1024)) >"$_cg/memory.max"
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$_cg" "$@"
	_rc=$?
	rmdir "$_cg"
	return $_rc
}

# ipmem_stat DISK FILE: a counter of /sys/block/DISK/ipmem/
ipmem_stat() {
	cat "/sys/block/$1/ipmem/$2"
}

# The network prefix ipmemctl uses by default.
IPMEM_NET=fd69:706d:656d

# host_id [IFACE]: this host's id as ipmemctl derives it from the IPv4
# address of IFACE (eth0), written as the block address writes it: a4d:1
host_id() {
	ip -4 -o addr show dev "${1:-eth0}" | awk '{
		split($4, a, "/"); split(a[1], o, ".")
		printf "%x:%x\n", o[1] * 256 + o[2], o[3] * 256 + o[4] }'
}

# block_prefix HOSTID BLOCKS: the prefix of blocks 0..BLOCKS-1 of that
# lender (BLOCKS a power of two), e.g. fd69:706d:656d:a4d:1::/116
block_prefix() {
	_k=0
	while [ $((1 << _k)) -lt "$2" ]; do _k=$((_k + 1)); done
	echo "$IPMEM_NET:$1::/$((128 - _k))"
}

# swap_on DISK: make DISK the only swap device
swap_on() {
	swapoff -a 2>/dev/null
	mkswap "/dev/$1" >/dev/null && swapon "/dev/$1" &&
		test "$(awk 'NR > 1 { print $1 }' /proc/swaps)" = "/dev/$1"
}

# my_ip6 [IFACE]: the global IPv6 address of IFACE (eth0)
my_ip6() {
	ip -6 -o addr show dev "${1:-eth0}" scope global |
		awk '{ sub("/.*", "", $4); print $4; exit }'
}

# pswpout_above N: more than N pages were swapped out since boot
pswpout_above() {
	test "$(vmstat_get pswpout)" -gt "$1"
}
