# SPDX-License-Identifier: GPL-2.0
#
# ipmemd (and its gobgpd) in test guests.  Sourced by the BGP scenarios
# (tests/scenario/6*-bgp-*.t) after harness.sh; runs on the host.
#
#   BGP_GUESTS="g1 g2 g3"    the guests that peer with each other (iBGP
#                            full mesh over eth0's IPv6 addresses)
#   BGP_PASSWORD=WORD        the sessions' TCP-MD5 password (in a root-only
#                            /run/bgp.pw, named by every peer line)
#   BGP_KEYS=1               host authentication: each guest makes its key
#                            (/run/host.key) and gets every guest's public
#                            key (/run/host-keys), as an operator would
#   bgp_start NAME [LINE...] write /run/ipmemd.conf in NAME (dev eth0,
#                            a peer line per other guest, then LINEs)
#                            and start ipmemd; waits for its socket
#   bgp_kill NAME            kill -9 ipmemd and gobgpd in NAME
#   bgp_wait_mv M V [S]      wait until every guest's ipmemctl status
#                            says "M <M> V <V>" (S seconds, default 180)
#   bgp_mv NAME              "M <m> V <v>" as NAME sees it
#   bgp_log NAME             host path of NAME's ipmemd log
#   bgp_diag NAME...         the tail of their ipmemd logs, as TAP comments
#   bgp_rib NAME             the IPv6 prefixes in NAME's gobgpd RIB, sorted
#
# ipmemd runs in the foreground with -v, its log (and its gobgpd's) in the
# guest's share, so that a failed run leaves it in tests/.state/.

BGP_GUESTS=${BGP_GUESTS:-}
BGP_PASSWORD=${BGP_PASSWORD:-}
BGP_KEYS=${BGP_KEYS:-}
BGP_KEYS_MADE=

# every guest's key pair, and every public key on every guest; ipmemd
# sets and adds them (host-key, host-keys)
bgp_keys() {
	g_keys_made $BGP_GUESTS || return 1
	BGP_KEYS_MADE=1
}

bgp_log() {
	echo "$(g_share "$1")/ipmemd.log"
}

bgp_start() {
	local g=$1 p conf pw=

	shift
	conf="dev eth0"
	if [ -n "$BGP_KEYS" ]; then
		[ -n "$BGP_KEYS_MADE" ] || bgp_keys || return
		conf="$conf
host-key /run/host.key
host-keys /run/host-keys"
	fi
	if [ -n "$BGP_PASSWORD" ]; then
		pw=" password-file /run/bgp.pw"
		g_run "$g" "(umask 077; echo '$BGP_PASSWORD' >/run/bgp.pw)" || return
	fi
	for p in $BGP_GUESTS; do
		[ "$p" = "$g" ] || conf="$conf
peer $(g_ip6 "$p")$pw"
	done
	for p in "$@"; do
		conf="$conf
$p"
	done
	g_run "$g" "cat >/run/ipmemd.conf <<'EOF'
$conf
EOF
		setsid ipmemd -f -v -c /run/ipmemd.conf >>/run/share/ipmemd.log 2>&1 </dev/null &
		wait_until 60 test -S /run/ipmemd.sock"
}

# bgp_boot: boot g1 and g2 (768 MiB) and g3 (1024 MiB), and load the
# module on each of BGP_GUESTS (a harness bail on failure)
bgp_boot() {
	local g

	g_boot_all "g1 --mem 768" "g2 --mem 768" "g3 --mem 1024" ||
		bail "the guests did not boot"
	for g in $BGP_GUESTS; do
		g_run "$g" 'ipmem_load' >/dev/null || bail "cannot load ipmem.ko on $g"
	done
}

# bgp_end: the last check (every guest's dmesg clean), the logs of
# ipmemd when something failed, and the plan's end
bgp_end() {
	local g rc=0

	for g in $BGP_GUESTS; do
		g_dmesg_clean "$g" || rc=1
	done
	ok $rc "nothing at warning level or above in any guest's dmesg"
	[ "$H_FAILED" -eq 0 ] || bgp_diag $BGP_GUESTS
	h_done
}

bgp_kill() {
	g_run "$1" 'pkill -9 -x ipmemd; pkill -9 -x gobgpd
		wait_until 20 sh -c "! pgrep -x ipmemd && ! pgrep -x gobgpd" >/dev/null
		rm -f /run/ipmemd.sock'
}

# bgp_mv GUEST: "M m V v" as ipmemd on GUEST sees the pools (JSON status)
bgp_mv() {
	g_run "$1" 'ipmemctl -j status | jq -r "\"M \\(.ipmemd.M) V \\(.ipmemd.V)\""'
}

bgp_wait_mv() {
	local m=$1 v=$2 t=${3:-180} g rc=0

	for g in $BGP_GUESTS; do
		g_run "$g" -t $((t + 30)) "wait_until $t sh -c 'ipmemctl -j status | jq -e \".ipmemd.M == $m and .ipmemd.V == $v\" >/dev/null'" ||
			{ diag "$g sees: $(bgp_mv "$g")"; rc=1; }
	done
	return $rc
}

bgp_diag() {
	local g

	for g in "$@"; do
		diag "---- $g: ipmemd log (last 40 lines) ----"
		tail -n 40 "$(bgp_log "$g")" 2>/dev/null | grep -v '^time=' |
			diag "$(cat)"
	done
}

bgp_rib() {
	g_run "$1" 'gobgp global rib -a ipv6 | awk "NR > 1 { print \$2 }" | sort'
}
