# SPDX-License-Identifier: GPL-2.0
#
# Helpers for commands that tests/lib/harness.sh runs inside a guest
# (sourced before every command; POSIX sh).

# wait_until SECONDS CMD...: re-check CMD until it succeeds; fail with a
# message naming it after SECONDS (times H_SLOW, set by the harness for
# the debug kernel).  For conditions that have no event to
# wait on (a listener appearing on another host, a counter moving).
wait_until() {
	_limit=$(($1 * ${H_SLOW:-1}))
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

# ctl_is FILTER ARGS...: `ipmemctl -j ARGS...` answers, and the jq FILTER
# is true of its answer (tests read the JSON, the interface that is kept
# stable, rather than the text)
ctl_is() {
	_f=$1
	shift
	_out=$(ipmemctl -j "$@") && printf '%s\n' "$_out" | jq -e "$_f" >/dev/null
}

# ipmem_load [PARAMS]: load the module under test (if it is not loaded),
# with this host's keys if it has them (g_keys).  IPMEM_KO is a file, or
# a module name that modprobe finds (an installed ipmem, e.g. by DKMS).
ipmem_load() {
	test -d /sys/module/ipmem && return 0
	case $IPMEM_KO in
	*/*)
		# and what modprobe would load for it from modules.dep: Curve25519
		modprobe ib_core && modprobe rdma_cm && modprobe libcurve25519 &&
			modprobe curve25519-x86_64 &&
			insmod "$IPMEM_KO" ${IPMEM_PARAMS:-} "$@" || return 1
		;;
	*)
		modprobe "$IPMEM_KO" ${IPMEM_PARAMS:-} "$@" || return 1
		;;
	esac
	# a host's keys outlive a reboot (g_keys keeps them in the share)
	if [ ! -e /run/host.key ] && [ -e /run/share/keys/host.key ]; then
		install -m 600 /run/share/keys/host.key /run/host.key &&
			cp /run/share/keys/host-keys /run/host-keys || return 1
	fi
	if [ -e /run/host.key ] && [ -e /run/host-keys ]; then
		ipmem_keys_apply
	fi
}

# ipmem_key_make: make this host's key (/run/host.key) unless it has one,
# set it, and print its public key
ipmem_key_make() {
	{ test -e /run/host.key || ipmemctl key generate /run/host.key; } &&
		ipmemctl key set /run/host.key | awk '/^slot 0 / { print $3 }' | grep .
}

# ipmem_keys_apply: set /run/host.key and add every key of /run/host-keys
# (those the module has already are fine)
ipmem_keys_apply() {
	ipmemctl key set /run/host.key >/dev/null || return 1
	while read -r _id _pub; do
		[ -n "$_id" ] || continue
		_err=$(ipmemctl host-key add "$_id" "$_pub" 2>&1) ||
			case $_err in
			*"has that key already"*) ;;
			*) echo "$_err" >&2; return 1 ;;
			esac
	done </run/host-keys
}

# The lender's pool memory shows up in MemFree; tests compare it.
#
# memfree_kb: free memory in KiB, counting the pages parked on the per-CPU
# free lists (MemFree leaves them out; from 6.7 on those lists grow to tens
# of MiB and drain on their own, so MemFree alone moves by megabytes while
# nothing is allocated or freed)
memfree_kb() {
	{
		awk '$1 == "MemFree:" { print $2 }' /proc/meminfo
		awk '$1 == "cpu:" { pcp = 1 } $1 == "count:" && pcp { n += $2 }
			$1 == "Node" { pcp = 0 } END { print n * 4 }' /proc/zoneinfo
	} | awk '{ s += $1 } END { print s }'
}

# nl_subscribed: a generic netlink socket has joined a multicast group
# (ipmemctl monitor, once it listens for events)
nl_subscribed() {
	awk '$2 == 16 && $4 != "00000000" { n++ } END { exit !n }' /proc/net/netlink
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
	# a cgroup of its own even when several run at once
	_cg=$(mktemp -d /sys/fs/cgroup/limited.XXXXXX) || return 1
	if ! echo $((_max * 1024 * 1024)) >"$_cg/memory.max"; then
		rmdir "$_cg"
		return 1
	fi
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$_cg" "$@"
	_rc=$?
	rmdir "$_cg"
	return $_rc
}

# ipmem_stat DISK FILE: a counter of /sys/block/DISK/ipmem/
ipmem_stat() {
	cat "/sys/block/$1/ipmem/$2"
}

# gobgp ARGS: the gobgp CLI on the gobgpd that ipmemd started, whose API
# is a Unix socket in a directory only root may enter (in an "sh -c" the
# function is gone: use $GOBGP there)
GOBGP_API=unix:///run/ipmemd/gobgpd.sock
GOBGP="gobgp --target $GOBGP_API"
gobgp() {
	command gobgp --target "$GOBGP_API" "$@"
}

# pool_flip BYTE: flip the lowest bit of byte BYTE of this lender's pool,
# as its root could (through debugfs)
pool_flip() {
	_f=/sys/kernel/debug/ipmem/pool
	_b=$(dd if=$_f bs=1 skip="$1" count=1 status=none | od -An -tu1) &&
	printf "\\$(printf %03o $((_b ^ 1)))" |
		dd of=$_f bs=1 seek="$1" conv=notrunc status=none
}

# disk_state_is DISK STATE: the disk's state is STATE (for wait_until)
disk_state_is() {
	test "$(cat "/sys/block/$1/ipmem/state")" = "$2"
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

# swap_on DISK [SWAPON-OPTIONS]: make DISK the only swap device
swap_on() {
	_disk=$1
	shift
	swapoff -a 2>/dev/null
	mkswap "/dev/$_disk" >/dev/null && swapon "$@" "/dev/$_disk" &&
		test "$(awk 'NR > 1 { print $1 }' /proc/swaps)" = "/dev/$_disk"
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

# unlimit: lift the memory limit of every run_limited cgroup (so that a
# swapoff can bring their pages back without the OOM killer)
unlimit() {
	for _c in /sys/fs/cgroup/limited.*; do
		test -d "$_c" || continue
		echo max >"$_c/memory.max" || return 1
	done
}

# nonzero_mib FILE MIB: how many MiB of the first MIB MiB of FILE are not
# zero bytes (rounded down)
nonzero_mib() {
	dd if="$1" bs=1M count="$2" status=none | tr -d '\0' | wc -c |
		awk '{ print int($1 / 1048576) }'
}

# ------------------------------------------------------------ benchmark
# Helpers of tests/bench.sh (Documentation/benchmark.rst).

# bench_gid_index ADDR: the index of ADDR (written in full, as sysfs
# shows GIDs) in rxe0's GID table; reads only the first 16 entries
# (reading all 1024 takes minutes under TCG).
bench_gid_index() {
	_i=0
	while [ $_i -lt 16 ]; do
		if [ "$(cat /sys/class/infiniband/rxe0/ports/1/gids/$_i 2>/dev/null)" = "$1" ]; then
			echo $_i
			return 0
		fi
		_i=$((_i + 1))
	done
	echo "bench_gid_index: $1 is not among the first 16 GIDs of rxe0" >&2
	return 1
}

# bench_brd MIB: two RAM disks of MIB each, /dev/ram0 and /dev/ram1
bench_brd() {
	test -b /dev/ram1 && return 0
	modprobe brd rd_nr=2 rd_size=$(($1 * 1024)) max_part=0
}

# bench_nvmet NQN ADDR RDMA_PORT TCP_PORT: an NVMe-oF target exporting
# /dev/ram0 as namespace 1 of subsystem NQN, on an RDMA and a TCP port of
# IPv6 address ADDR.  rxe0 must be up before the RDMA port is linked.
bench_nvmet() {
	modprobe nvmet && modprobe nvmet-rdma && modprobe nvmet-tcp || return 1
	grep -q ' /sys/kernel/config ' /proc/mounts ||
		mount -t configfs configfs /sys/kernel/config || return 1
	_s=/sys/kernel/config/nvmet/subsystems/$1
	mkdir "$_s" && echo 1 >"$_s/attr_allow_any_host" &&
		mkdir "$_s/namespaces/1" &&
		echo /dev/ram0 >"$_s/namespaces/1/device_path" &&
		echo 1 >"$_s/namespaces/1/enable" || return 1
	_n=1
	for _t in "rdma $3" "tcp $4"; do
		set -- "$1" "$2" $_t
		_p=/sys/kernel/config/nvmet/ports/$_n
		mkdir "$_p" && echo "$3" >"$_p/addr_trtype" &&
			echo ipv6 >"$_p/addr_adrfam" &&
			echo "$2" >"$_p/addr_traddr" &&
			echo "$4" >"$_p/addr_trsvcid" &&
			ln -s "$_s" "$_p/subsystems/$1" || return 1
		_n=$((_n + 1))
	done
}

# bench_nvme_dev NQN: the block device (nvmeXnY, the multipath head when
# there is one) of namespace 1 of the connected subsystem NQN
bench_nvme_dev() {
	for _b in /sys/block/nvme*; do
		case "${_b##*/}" in
		nvme*c*) continue ;;	# a path below a multipath head
		esac
		test "$(cat "$_b/device/subsysnqn" 2>/dev/null)" = "$1" || continue
		echo "${_b##*/}"
		return 0
	done
	return 1
}

# bench_nvme_connect TRANSPORT ADDR PORT NQN: connect, print the device
bench_nvme_connect() {
	modprobe "nvme-$1" || return 1
	test -s /run/bench-hostnqn ||
		echo "nqn.2014-08.org.nvmexpress:uuid:$(cat /proc/sys/kernel/random/uuid)" >/run/bench-hostnqn
	nvme connect -t "$1" -a "$2" -s "$3" -n "$4" \
		--hostnqn="$(cat /run/bench-hostnqn)" >&2 || return 1
	wait_until 60 bench_nvme_dev "$4" >/dev/null || return 1
	_d=$(bench_nvme_dev "$4")
	wait_until 30 test -b "/dev/$_d" && echo "$_d"
}

# bench_listening PORT: a TCP socket listens on PORT
bench_listening() {
	ss -Hltn "sport = :$1" | grep -q .
}

# bench_perf TEST PORT GID_INDEX SIZE ITERS [SERVER]: one perftest run
# on rxe0, as the server (no SERVER) or the client; the server's pid is
# in /run/bench-perf.PORT
bench_perf() {
	_test=$1 _port=$2 _gid=$3 _size=$4 _iters=$5
	shift 5
	case "$_test" in
	*_bw) set -- -N "$@" ;;
	esac
	echo $$ >"/run/bench-perf.$_port"
	exec "$_test" -d rxe0 -i 1 -F -x "$_gid" -p "$_port" -s "$_size" \
		-n "$_iters" "$@"
}

# bench_limited max|high MIB CMD...: run_limited, with the limit as
# memory.max (reclaim, then the OOM killer) or memory.high (reclaim and
# throttling, no OOM kill)
bench_limited() {
	_knob=$1 _lim=$2
	shift 2
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	_cg=/sys/fs/cgroup/bench.$$
	mkdir "$_cg" || return 1
	echo $((_lim * 1024 * 1024)) >"$_cg/memory.$_knob" || return 1
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$_cg" "$@"
	_rc=$?
	rmdir "$_cg"
	return $_rc
}

# bench_swap_run DEV WS_MIB MAX_MIB PASSES TIMEOUT_S [JOBS]: make /dev/DEV
# the only swap, drop caches, run memtouch (JOBS processes, default 1,
# sharing WS_MIB) in a cgroup limited to MAX_MIB
# (memory.max, or memory.high with BENCH_LIMIT=high),
# each pass line followed by the counters at its end, and report:
#   start vm PSWPIN PSWPOUT io RB WB   the counters before the first pass
#   pass N KIND pages P mismatches M pages/s R vm PSWPIN PSWPOUT io RB WB
#   total mismatches N / rc RC
#   latb|lata LINE   ipmem's latency histogram before and after (ipmem)
#   hist LINE        request sizes issued to DEV (block_rq_issue)
#   ipstat_b|ipstat_a READS WRITES   ipmem's request counters around it
#   dmesg LINE       what the kernel logged during the run
bench_swap_run() {
	_dev=$1 _ws=$2 _max=$3 _passes=$4 _to=$5 _jobs=${6:-1}
	swap_on "$_dev" || { echo "error swapon $_dev"; return 1; }
	sync
	echo 3 >/proc/sys/vm/drop_caches
	_dm=$(dmesg | wc -l)
	_ip=
	case "$_dev" in ipmem*) _ip=1 ;; esac
	_tr=/sys/kernel/debug/tracing/events/block/block_rq_issue/trigger
	_hist="hist:keys=rwbs,bytes:vals=hitcount:size=256"
	_devt=$(awk -F: '{ print $1 * 1048576 + $2 }' "/sys/block/$_dev/dev")
	echo "$_hist if dev == $_devt" >"$_tr" 2>/dev/null || _tr=
	# ipmem's own request counts: reads that bypass the block layer
	# (->rw_page) are not seen by the tracepoint
	[ -n "$_ip" ] && echo "ipstat_b $(cat /sys/block/$_dev/ipmem/reads) $(cat /sys/block/$_dev/ipmem/writes)"
	if [ -n "$_ip" ]; then
		sed 's/^/latb /' /sys/kernel/debug/ipmem/latency
		_io="$(cat /sys/block/$_dev/ipmem/read_bytes) $(cat /sys/block/$_dev/ipmem/write_bytes)"
	else
		_io=$(awk '{ print $3 * 512, $7 * 512 }' "/sys/block/$_dev/stat")
	fi
	echo "start vm $(awk '$1 == "pswpin" { i = $2 } $1 == "pswpout" { o = $2 }
		END { print i, o }' /proc/vmstat) io $_io"
	{
		bench_limited "${BENCH_LIMIT:-max}" "$_max" timeout -k 15 "$_to" \
			memtouch -p "$_passes" -j "$_jobs" "$_ws" 2>&1
		echo "rc $?"
	} | while IFS= read -r _l; do
		case "$_l" in
		pass\ *)
			_vm=$(awk '$1 == "pswpin" { i = $2 } $1 == "pswpout" { o = $2 }
				END { print i, o }' /proc/vmstat)
			if [ -n "$_ip" ]; then
				_io="$(cat /sys/block/$_dev/ipmem/read_bytes) $(cat /sys/block/$_dev/ipmem/write_bytes)"
			else
				_io=$(awk '{ print $3 * 512, $7 * 512 }' "/sys/block/$_dev/stat")
			fi
			echo "$_l vm $_vm io $_io"
			;;
		*) echo "$_l" ;;
		esac
	done
	if [ -n "$_ip" ]; then
		sed 's/^/lata /' /sys/kernel/debug/ipmem/latency
		echo "ipstat_a $(cat /sys/block/$_dev/ipmem/reads) $(cat /sys/block/$_dev/ipmem/writes)"
	fi
	if [ -n "$_tr" ]; then
		sed -n 's/^{/hist {/p' "${_tr%/trigger}/hist"
		echo "!$_hist if dev == $_devt" >"$_tr"
	fi
	dmesg | tail -n +$((_dm + 1)) | sed 's/^/dmesg /'
	swapoff "/dev/$_dev" || echo "error swapoff $_dev"
}
