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

# ipmem_load [PARAMS]: load the module under test.
ipmem_load() {
	modprobe ib_core && modprobe rdma_cm && insmod "$IPMEM_KO" "$@"
}

# The lender's pool memory shows up in MemFree; tests compare it.
memfree_kb() {
	awk '/^MemFree:/ { print $2 }' /proc/meminfo
}

vmstat_get() {
	awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat
}
