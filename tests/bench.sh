#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the swap benchmark (Documentation/benchmark.rst).
#
# Boots the test guests (tests/lib/harness.sh) once per setup and, in
# each of BENCH_ROUNDS rounds, runs the same verifying swap workload
# (memtouch, working set twice the cgroup's memory.max) on every backend
# in turn, in the same guests, plus perftest on the same rxe link:
#
#   ipmem      /dev/ipmem0 mapped to memory lent over RDMA (encrypted,
#              the default)
#   ipmem-clear /dev/ipmem1, the same with encryption off: what
#              encryption costs
#   ipmem-dr0  /dev/ipmem2, ipmem with direct_read=0 (swap-ins through
#              the swap cache and the block layer, with readahead): what
#              the direct read path gains or costs
#   nvme-rdma  NVMe-oF/RDMA to an nvmet target backed by brd (/dev/ram0)
#   nvme-tcp   the same target over NVMe/TCP
#   brd        a local RAM disk (/dev/ram1), no network
#   raw        perftest ib_read_lat, ib_read_bw, ib_write_bw
#
# Setups: loopback (one guest lends to itself over rxe loopback) and
# two-guest (g1 lends and is the NVMe-oF target, g2 swaps).
#
#   tests/bench.sh                 run, print the table, write BENCH_OUT
#   tests/bench.sh report DIR      print the table and plot again from
#                                  the CSV files of an earlier run
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS [3]   BENCH_SETUPS ["loopback two-guest"]
#   BENCH_BACKENDS ["ipmem ipmem-clear ipmem-dr0 nvme-rdma nvme-tcp brd raw"]
#   BENCH_4P [1]       1: every swap backend also runs with four faulting
#                      processes (memtouch -j 4, the same working set in
#                      all: the "BACKEND-4p" rows); 0: one process only
#   BENCH_WS_MIB [64]  working set; memory.max is half of it
#   BENCH_PASSES [2]   memtouch verify passes (odd: seq, even: rand)
#   BENCH_RDMA_SIZES ["4096 32768 65536"]  perftest bw message sizes
#   BENCH_LIMIT [max]  the cgroup limit: memory.max or memory.high
#   BENCH_RUN_TIMEOUT [600]  seconds one backend run may take
#   BENCH_MTU [1500]   the guests' link MTU (rxe's RDMA MTU follows it),
#                      the same for every backend
#   BENCH_IPMEM_PARAMS [""]  ipmem.ko parameters, e.g. "direct_read=0"
#   BENCH_OUT [build/bench/YYYYmmdd-HHMMSS]
#
# Exit status: 0 done (targets met or not), 1 a verification failed (in
# any backend) or an ipmem run did not complete, 2 a harness error.

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib/bench-lib.sh"

if [ "${1:-}" = report ]; then
	[ -d "${2:-}" ] || { echo "usage: $0 report DIR" >&2; exit 2; }
	bench_report "$2"
	exit $?
fi

. "$TOP/tests/lib/harness.sh"
# the harness names its state after the test file
H_NAME=bench
H_STATE=$H_TOP/tests/.state/bench
H_NETNS=ipmem-bench-$$
# a harness error (bail) exits 2, as documented
bail() {
	echo "bench: harness error: $*" >&2
	H_FAILED=$((H_FAILED + 1))
	exit 2
}

ROUNDS=${BENCH_ROUNDS:-3}
SETUPS=${BENCH_SETUPS:-loopback two-guest}
BACKENDS=${BENCH_BACKENDS:-ipmem ipmem-clear ipmem-dr0 nvme-rdma nvme-tcp brd raw}
FOUR=${BENCH_4P:-1}
WS=${BENCH_WS_MIB:-64}
PASSES=${BENCH_PASSES:-2}
RDMA_SIZES=${BENCH_RDMA_SIZES:-4096 32768 65536}
RUN_TIMEOUT=${BENCH_RUN_TIMEOUT:-600}
LIMIT=${BENCH_LIMIT:-max}
MTU=${BENCH_MTU:-1500}
IPMEM_PARAMS=${BENCH_IPMEM_PARAMS:-}
OUT=${BENCH_OUT:-${BUILD:-$TOP/build}/bench/$(date +%Y%m%d-%H%M%S)}
MAX=$((WS / 2))
# every swap device (and the lent pool) is the same size: a power of two
# (the pool is granted as one prefix) of at least 1.5 times the working set
SWAP=64
while [ "$SWAP" -lt $((WS * 3 / 2)) ]; do SWAP=$((SWAP * 2)); done
# the lent pool: one part of SWAP MiB per ipmem disk (ipmem0, ipmem1 and,
# with ipmem-dr0, ipmem2), in a power of two of parts (each granted as one
# prefix)
PARTS=2
case " $BACKENDS " in *" ipmem-dr0 "*) PARTS=4 ;; esac
NQN=nqn.2024-01.org.ipmem:bench
NVME_RDMA_PORT=4420
NVME_TCP_PORT=4421
LAT_ITERS=1000

case "$ROUNDS$WS$PASSES$RUN_TIMEOUT$MTU$FOUR" in
*[!0-9]*) bail "BENCH_ROUNDS, BENCH_WS_MIB, BENCH_PASSES, BENCH_RUN_TIMEOUT, BENCH_MTU and BENCH_4P are numbers" ;;
esac
case "$FOUR" in 0 | 1) ;; *) bail "BENCH_4P is 0 or 1" ;; esac
[ "$WS" -ge 8 ] || bail "BENCH_WS_MIB must be at least 8"
case "$LIMIT" in max | high) ;; *) bail "BENCH_LIMIT is max or high" ;; esac
for b in $BACKENDS; do
	case "$b" in ipmem | ipmem-clear | ipmem-dr0 | nvme-rdma | nvme-tcp | brd | raw) ;;
	*) bail "unknown backend $b (ipmem ipmem-clear ipmem-dr0 nvme-rdma nvme-tcp brd raw)" ;;
	esac
done
for s in $SETUPS; do
	case "$s" in loopback | two-guest) ;;
	*) bail "unknown setup $s (loopback two-guest)" ;;
	esac
done
[ -x "$H_BUILD/memtouch" ] || bail "no $H_BUILD/memtouch (run make)"

mkdir -p "$OUT/logs" || bail "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
bench_csv_headers "$OUT"
{
	echo "date $(date -Is)"
	echo "host $(uname -r) $(nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "module $(sha256sum "$IPMEM_KO" | cut -c1-16) $(stat -c %y "$IPMEM_KO")"
	echo "git $(git -C "$TOP" describe --always --dirty 2>/dev/null)"
	echo "rounds $ROUNDS setups $SETUPS backends $BACKENDS four_processes $FOUR"
	echo "ws_mib $WS limit memory.$LIMIT $MAX MiB swap_mib $SWAP passes $PASSES"
	echo "rdma_sizes $RDMA_SIZES run_timeout $RUN_TIMEOUT mtu $MTU"
	echo "ipmem_params $IPMEM_PARAMS"
} >"$OUT/params.txt"

log() {
	printf '%s bench: %s\n' "$(date +%T)" "$*" | tee -a "$OUT/bench.log" >&2
}

VERIFY_FAILED=0
IPMEM_FAILED=0
GEN=0
PORT_SEQ=0

# ---------------------------------------------------------------- guests

# alive: both guests of the setup still run (their QEMU was not killed)
alive() {
	local g

	for g in "$L" "$B"; do
		kill -0 "$(cat "$H_STATE/$g/qemu.pid" 2>/dev/null)" 2>/dev/null || return 1
	done
}

# g_watch NAME TIMEOUT CMD: g_run, but it notices within 20 s when a
# guest of the setup dies.  Returns CMD's exit status, 124 when the
# command did not end in TIMEOUT, 125 when a guest died.
g_watch() {
	local name=$1 timeout=$2 job out rc end

	shift 2
	g_start "$name" "$@"
	job=$JOB
	end=$((SECONDS + timeout))
	while :; do
		out=$(g_wait "$name" "$job" -t 20)
		rc=$?
		if [ $rc -ne 124 ] ||
		   [ "$(printf '%s\n' "$out" | tail -n 1)" != "# $name: command $job timed out after 20 s" ]; then
			printf '%s\n' "$out"
			return $rc
		fi
		if ! alive; then
			printf '%s\n' "$out" | sed '$d'
			echo "# a guest died"
			return 125
		fi
		if [ $SECONDS -ge $end ]; then
			printf '%s\n' "$out"
			return 124
		fi
	done
}

# ---------------------------------------------------------------- setup

# the full form of fd00:77::N, as the GID table shows it
gid_of() {
	printf 'fd00:0077:0000:0000:0000:0000:0000:%04x' "${H_IP[$1]}"
}

# guest_panicked: the console of this generation's guests shows a panic
guest_panicked() {
	local g

	for g in "$L" "$B"; do
		grep -q "Kernel panic - not syncing" "$H_STATE/$g/console.log" 2>/dev/null &&
			return 0
	done
	return 1
}

# up SETUP: boot the guests of SETUP (a new generation after a hang) and
# set every backend up.  Sets L (lender, target, perftest server) and B
# (borrower, perftest client).
up() {
	local setup=$1 lid bid blocks=$((SWAP * 16))

	GEN=$((GEN + 1))
	log "$setup: booting (generation $GEN)"
	case "$setup" in
	loopback)
		L=lb$GEN B=lb$GEN
		g_boot "$L" --ip 1 --cpus 2 --mtu "$MTU" --mem $((640 + (PARTS + 2) * SWAP)) ||
			bail "guest $L did not boot"
		;;
	two-guest)
		L=g1_$GEN B=g2_$GEN
		g_boot "$L" --ip 1 --mtu "$MTU" --mem $((512 + (PARTS + 1) * SWAP)) ||
			bail "guest $L did not boot"
		g_boot "$B" --ip 2 --mtu "$MTU" --mem $((512 + SWAP + WS)) ||
			bail "guest $B did not boot"
		;;
	esac
	GID_L=$(g_run "$L" "bench_gid_index $(gid_of "$L")") ||
		bail "$L: no GID for $(g_ip6 "$L"): $GID_L"
	GID_B=$(g_run "$B" "bench_gid_index $(gid_of "$B")") ||
		bail "$B: no GID for $(g_ip6 "$B"): $GID_B"

	# ipmem, as tests/lib/swap-scenario.sh sets it up
	g_run "$L" "ipmem_load $IPMEM_PARAMS" >/dev/null ||
		bail "cannot load ipmem.ko $IPMEM_PARAMS on $L"
	if [ "$B" != "$L" ]; then
		g_run "$B" "ipmem_load $IPMEM_PARAMS" >/dev/null ||
			bail "cannot load ipmem.ko $IPMEM_PARAMS on $B"
	fi
	g_keys $(printf '%s\n' "$L" "$B" | sort -u) || bail "cannot provision host keys"
	lid=$(g_run "$L" host_id)
	bid=$(g_run "$B" host_id)
	# part Q of the pool: blocks Q*BLOCKS..(Q+1)*BLOCKS-1 of the lender
	# (BLOCKS a power of two)
	part() {
		local k=0

		while [ $((1 << k)) -lt "$blocks" ]; do k=$((k + 1)); done
		printf '%s:%s::%x/%d' fd69:706d:656d "$lid" $(($1 * blocks)) $((128 - k))
	}
	# the pool: part 0 for ipmem0, 1 for ipmem1, 2 for ipmem2
	local q grants="" maps=""
	for ((q = 0; q < PARTS && q < 3; q++)); do
		grants="$grants && ipmemctl grant add $(part $q) borrower $bid rights rw"
	done
	g_run "$L" "ipmemctl lend $((PARTS * SWAP))M dev eth0 $grants" \
		>>"$OUT/logs/setup.log" 2>&1 || bail "$L: cannot lend"
	# ipmem2 is created with direct_read=0 (the parameter is read when
	# a disk is created), then the parameter is what it was
	[ "$PARTS" -eq 4 ] && maps="&& dr=\$(cat /sys/module/ipmem/parameters/direct_read) &&
		echo 0 >/sys/module/ipmem/parameters/direct_read &&
		ipmemctl disk create ${SWAP}M &&
		echo \$dr >/sys/module/ipmem/parameters/direct_read &&
		ipmemctl map add $(part 2) disk ipmem2 &&
		wait_until 60 grep -qx ready /sys/block/ipmem2/ipmem/state"
	g_run "$B" "ipmemctl host set dev eth0 &&
		ipmemctl route add \$IPMEM_NET:$lid::/80 via $(g_ip6 "$L") &&
		ipmemctl disk create ${SWAP}M &&
		ipmemctl map add $(part 0) disk ipmem0 &&
		ipmemctl disk create ${SWAP}M encrypt off &&
		ipmemctl map add $(part 1) disk ipmem1 &&
		wait_until 60 grep -qx ready /sys/block/ipmem0/ipmem/state &&
		wait_until 60 grep -qx ready /sys/block/ipmem1/ipmem/state $maps" \
		>>"$OUT/logs/setup.log" 2>&1 || bail "$B: cannot map the ipmem disks"

	# RAM disks: ram0 backs the NVMe-oF target (on L), ram1 is the local
	# swap device (on B); in loopback both are in the one guest
	g_run "$L" "bench_brd $SWAP" >>"$OUT/logs/setup.log" 2>&1 ||
		bail "$L: brd"
	g_run "$B" "bench_brd $SWAP" >>"$OUT/logs/setup.log" 2>&1 ||
		bail "$B: brd"
	g_run "$L" "bench_nvmet $NQN $(g_ip6 "$L") $NVME_RDMA_PORT $NVME_TCP_PORT" \
		>>"$OUT/logs/setup.log" 2>&1 || bail "$L: nvmet target"
	g_run "$B" "modprobe nvme-rdma && modprobe nvme-tcp && swapoff -a" \
		>>"$OUT/logs/setup.log" 2>&1 || bail "$B: nvme host modules"
	log "$setup: up (lender $L gid $GID_L, borrower $B gid $GID_B, swap devices $SWAP MiB)"
}

down() {
	local g

	for g in "$L" "$B"; do
		kill -0 "$(cat "$H_STATE/$g/qemu.pid" 2>/dev/null)" 2>/dev/null &&
			g_run "$g" -t 60 'dmesg' >"$OUT/logs/dmesg-$g.txt" 2>&1
	done
	g_kill "$L" 2>/dev/null
	[ "$L" = "$B" ] || g_kill "$B" 2>/dev/null
}

# --------------------------------------------------------------- backends

# run_swap SETUP ROUND SLOT BACKEND: one memtouch run on BACKEND
run_swap() {
	local setup=$1 round=$2 slot=$3 be=$4 dev out rc status tr= jobs=1
	local log=$OUT/logs/$setup-r$round-$be.log

	# BACKEND-4p: four memtouch processes share the working set
	case "$be" in *-4p) jobs=4 ;; esac
	case "${be%-4p}" in
	ipmem) dev=ipmem0 ;;
	ipmem-clear) dev=ipmem1 ;;
	ipmem-dr0) dev=ipmem2 ;;
	brd) dev=ram1 ;;
	nvme-*)
		tr=${be#nvme-}
		tr=${tr%-4p}
		local port=$NVME_RDMA_PORT
		[ "$tr" = tcp ] && port=$NVME_TCP_PORT
		dev=$(g_run "$B" -t 180 "bench_nvme_connect $tr $(g_ip6 "$L") $port $NQN" 2>&1)
		rc=$?
		alive || return 125
		if [ $rc -ne 0 ]; then
			echo "$dev" >"$log"
			g_run "$B" -t 120 "nvme disconnect -n $NQN" >>"$log" 2>&1
			bench_record_failure "$OUT" "$setup" "$round" "$slot" "$be" \
				"$([ $rc -eq 124 ] && echo hung || echo error)"
			log "$setup round $round $be: nvme connect failed (see $log)"
			[ $rc -eq 124 ] && return 124
			return 0
		fi
		dev=$(echo "$dev" | tail -n 1)
		;;
	esac
	log "$setup round $round $be: memtouch $WS MiB ($jobs processes) in memory.$LIMIT $MAX MiB on /dev/$dev"
	out=$(g_watch "$B" $((RUN_TIMEOUT + 300)) \
		"BENCH_LIMIT=$LIMIT bench_swap_run $dev $WS $MAX $PASSES $RUN_TIMEOUT $jobs")
	rc=$?
	printf '%s\n' "$out" >"$log"
	if [ $rc -eq 125 ] && guest_panicked; then
		# the guests boot with panic=-1: a panic looks like a death,
		# but it is the kernel's, and with ipmem loaded maybe ipmem's
		log "$setup round $round $be: a guest's kernel panicked (its console is in $H_STATE)"
		bench_record_failure "$OUT" "$setup" "$round" "$slot" "$be" panic
		case "$be" in ipmem*) IPMEM_FAILED=1 ;; esac
		return 124	# boot the setup again, go on
	elif [ $rc -eq 125 ]; then
		log "$setup round $round $be: a guest died (killed from outside?)"
		return 125
	elif [ $rc -eq 124 ]; then
		status=hung
	else
		status=$(bench_status "$out")
	fi
	local wedged=0
	[ "$status" = hung ] && wedged=1
	if [ -n "$tr" ] && [ $wedged -eq 0 ]; then
		g_run "$B" -t 120 "nvme disconnect -n $NQN" >>"$log" 2>&1
		# the run is what it was; a disconnect that hangs only means
		# the guests need booting again
		[ $? -eq 124 ] && wedged=1
	fi
	bench_record_run "$OUT" "$setup" "$round" "$slot" "$be" "$status" "$out"
	log "$setup round $round $be: $status $(echo "$out" | bench_pass_summary)"
	case "$status" in
	mismatch | lost) VERIFY_FAILED=1 ;;
	esac
	case "$be" in ipmem*) [ "$status" != ok ] && IPMEM_FAILED=1 ;; esac
	[ $wedged -eq 1 ] && return 124
	return 0
}

# perf SETUP ROUND SLOT TEST SIZE ITERS: one perftest run, once more if
# it gave no number (perftest's clock calibration fails now and then
# under TCG: "Correlation coefficient r^2 < 0.9", then BW 0.00)
perf() {
	perf_once "$@" || return
	[ "$(tail -n 1 "$OUT/rdma.csv" | cut -d, -f7)" = error ] || return 0
	perf_once "$@"
}

perf_once() {
	local setup=$1 round=$2 slot=$3 test=$4 size=$5 iters=$6 port sjob out rc
	local log=$OUT/logs/$setup-r$round-raw.log

	alive || return 125
	PORT_SEQ=$((PORT_SEQ + 1))
	port=$((18515 + PORT_SEQ % 1000))
	g_start "$L" "bench_perf $test $port $GID_L $size $iters"
	sjob=$JOB
	if ! g_run "$L" -t 60 "wait_until 40 bench_listening $port" >>"$log" 2>&1; then
		g_run "$L" -t 30 "kill \$(cat /run/bench-perf.$port)" >/dev/null 2>&1
		g_wait "$L" "$sjob" -t 60 >>"$log" 2>&1
		bench_record_perf "$OUT" "$setup" "$round" "$slot" "$test" "$size" "$iters" error ""
		return 0
	fi
	# perftest's own TCP connection (exchange of QP numbers and keys) is
	# IPv4 only in this version; the RDMA traffic goes to the IPv6 GID -x
	out=$(g_watch "$B" 300 "bench_perf $test $port $GID_B $size $iters $(g_ip4 "$L")")
	rc=$?
	printf '== %s %s\n%s\n' "$test" "$size" "$out" >>"$log"
	[ $rc -eq 125 ] && return 125
	# The server of a READ test in the loopback setup does not exit after
	# the test (perftest 4.5 over rxe); its results are the client's.
	# Give a server 10 s, then kill it and go on: its end is not waited for.
	if ! g_wait "$L" "$sjob" -t 10 >>"$log" 2>&1; then
		g_run "$L" -t 30 "p=\$(cat /run/bench-perf.$port);
			grep -E '^State' /proc/\$p/status; kill -9 \$p" >>"$log" 2>&1
	fi
	if [ $rc -eq 0 ]; then
		bench_record_perf "$OUT" "$setup" "$round" "$slot" "$test" "$size" "$iters" ok "$out"
	else
		bench_record_perf "$OUT" "$setup" "$round" "$slot" "$test" "$size" "$iters" \
			"$([ $rc -eq 124 ] && echo hung || echo error)" "$out"
	fi
	[ $rc -eq 124 ] && return 124
	return 0
}

run_raw() {
	local setup=$1 round=$2 slot=$3 s

	log "$setup round $round raw: perftest ib_read_lat 4096, ib_read_bw and ib_write_bw $RDMA_SIZES"
	perf "$setup" "$round" "$slot" ib_read_lat 4096 $LAT_ITERS || return
	for s in $RDMA_SIZES; do
		# 16 MiB per test, at least 100 messages
		local n=$((16 * 1024 * 1024 / s))
		[ $n -lt 100 ] && n=100
		perf "$setup" "$round" "$slot" ib_read_bw "$s" $n || return
		perf "$setup" "$round" "$slot" ib_write_bw "$s" $n || return
	done
	alive || return 125
	log "$setup round $round raw: $(bench_perf_summary "$OUT" "$setup" "$round")"
}

# ------------------------------------------------------------------ main

h_init
log "output in $OUT"
log "rounds $ROUNDS; setups $SETUPS; backends $BACKENDS; working set $WS MiB in memory.$LIMIT $MAX MiB; $PASSES passes"
START=$SECONDS
# the runs of a round: every backend, and every swap backend again with
# four processes
RUNS=$BACKENDS
if [ "$FOUR" -eq 1 ]; then
	for b in $BACKENDS; do
		[ "$b" = raw ] || RUNS="$RUNS $b-4p"
	done
fi
set -- $RUNS
NB=$#
# the order of the backends is shuffled every round (Fisher-Yates on
# bash's RANDOM), from a seed that is logged: BENCH_SEED=N repeats a run's
# orders
SEED=${BENCH_SEED:-$(( $(od -An -N2 -tu2 /dev/urandom) ))}
RANDOM=$SEED
log "order seed $SEED (BENCH_SEED=$SEED repeats these orders)"
echo "order_seed $SEED" >>"$OUT/params.txt"
for setup in $SETUPS; do
	t0=$SECONDS
	up "$setup"
	for round in $(seq 1 "$ROUNDS"); do
		# a new order every round: no backend always runs first or
		# right after the same other one
		read -r -a order <<<"$RUNS"
		for ((i = NB - 1; i > 0; i--)); do
			j=$((RANDOM % (i + 1)))
			t=${order[i]}; order[i]=${order[j]}; order[j]=$t
		done
		log "$setup round $round: order ${order[*]}"
		slot=0
		for be in "${order[@]}"; do
			slot=$((slot + 1))
			for try in 1 2; do
				if [ "$be" = raw ]; then
					run_raw "$setup" "$round" "$slot"
				else
					run_swap "$setup" "$round" "$slot" "$be"
				fi
				rc=$?
				if [ $rc -eq 124 ]; then
					log "$setup round $round $be: a guest stopped answering; rebooting the setup"
					down
					up "$setup"
				elif [ $rc -eq 125 ]; then
					# not the backend's doing: boot again, run it again
					log "$setup round $round $be: a guest died; rebooting the setup"
					down
					up "$setup"
					if [ $try -eq 1 ]; then
						bench_forget "$OUT" "$setup" "$round" "$be"
						continue
					fi
					bench_record_failure "$OUT" "$setup" "$round" "$slot" "$be" died
				fi
				break
			done
		done
	done
	down
	log "$setup: done in $((SECONDS - t0)) s"
done
log "all done in $((SECONDS - START)) s"
echo "elapsed_s $((SECONDS - START))" >>"$OUT/params.txt"

bench_report "$OUT"
rc=$?
[ $rc -ne 0 ] && exit 2
if [ $VERIFY_FAILED -ne 0 ]; then
	echo "bench: FAILED: a verification failed (status mismatch or lost in $OUT/results.csv)"
	exit 1
fi
if [ $IPMEM_FAILED -ne 0 ]; then
	echo "bench: FAILED: an ipmem run did not complete (see $OUT/results.csv)"
	exit 1
fi
exit 0
