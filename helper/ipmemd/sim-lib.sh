# SPDX-License-Identifier: GPL-2.0
#
# What the simulations of ipmemd share (helper/ipmemd/scale-sim.sh,
# elastic-scale-sim.sh, tests/scenario/62-elastic-sim.t): ipmemd nodes
# with the simulated module, each with its own gobgpd, on loopback.
# Source it after setting $ipmemd (the binary) and $dir (a scratch
# directory, removed at exit with every node stopped; kept, with the
# nodes' logs, with SIM_KEEP=1).  Bash.

pids=()

# stop every node started, and wait until it is gone
stop_all() {
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
	done
	pids=()
}
trap 'stop_all; if [ -n "${SIM_KEEP:-}" ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi' EXIT

# node NAME HOSTID ADDR APIPORT LISTEN [LINES...]: start an ipmemd in the
# foreground (log $dir/NAME.log, control socket $dir/NAME.sock) with the
# simulated module, host id HOSTID, data-plane address ADDR, its gobgpd's
# API on 127.0.0.1:APIPORT and BGP on LISTEN, and LINES of configuration
node() {
	local name=$1 id=$2 addr=$3 api=$4 listen=$5

	shift 5
	{
		echo "module simulated"
		echo "host-id $id"
		echo "address $addr"
		echo "gobgpd-api 127.0.0.1:$api"
		echo "bgp-listen $listen"
		echo "socket $dir/$name.sock"
		echo "state-dir $dir/$name.state"
		echo "probe-interval ${SIM_PROBE_INTERVAL:-60s}"
		printf '%s\n' "$@"
	} >"$dir/$name.conf"
	"$ipmemd" -f -c "$dir/$name.conf" >"$dir/$name.log" 2>&1 &
	pids+=($!)
}

# ctl NAME ARGS...: an ipmemd control command to node NAME
ctl() {
	"$ipmemd" ctl -s "$dir/$1.sock" "${@:2}"
}

# milliseconds since the epoch
ms() {
	date +%s%3N
}
