#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ipmemctl and ipmemd as a person meets them on a host without the module
# (this one: the build host cannot load modules): every argument checked
# before the module is asked, exit status 2 for a command that does not
# exist, abbreviations of the iproute2 kind but none for what takes
# something away, help per object, guards, a status that shows what it
# can, and ipmemd failing loudly when it cannot start.  Needs the tree
# built (make tools), gobgpd, jq and promtool (prometheus).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
ctl=${IPMEMCTL:-$top/build/ipmemctl}
ipmemd=$top/build/ipmemd
tmp=$(mktemp -d)
daemon=
cleanup() {
	if [ -n "$daemon" ] && kill "$daemon" 2>/dev/null; then
		tail --pid="$daemon" -f /dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
. "$top/tests/lib/tap.sh"
# run CMD...: its exit status in $rc, standard error in $err, output in $out
run() {
	out=$("$@" 2>"$tmp/err")
	rc=$?
	err=$(cat "$tmp/err")
}
# expect RC PATTERN DESC -- CMD...: exit status RC, PATTERN (grep -E) in
# what it printed on standard error
expect() {
	local want=$1 pat=$2 desc=$3
	shift 4
	run "$@"
	[ "$rc" -eq "$want" ] && printf '%s\n' "$err" | grep -Eq -- "$pat"
	ok $? "$desc"
	[ "$rc" -eq "$want" ] || echo "#   exit status $rc, wanted $want"
	printf '%s\n' "$err" | grep -Eq -- "$pat" || echo "#   stderr: $err"
}
echo "1..38"

# the module is not loaded here; if it is, the checks that need it absent
# are skipped (and say so)
no_module=1
[ -d /sys/module/ipmem ] && no_module=0

expect 2 "^ipmemctl: unknown command 'frobnicate' \(try 'ipmemctl help'\)$" \
	"an unknown command exits 2 and says so" -- "$ctl" frobnicate
expect 2 "'l' is short for more than one command" \
	"an abbreviation of more than one command (lend, lender) exits 2" -- "$ctl" l
expect 2 "^ipmemctl: disk: unknown command 'frob' \(try 'ipmemctl disk help'\)$" \
	"an unknown subcommand exits 2 and points at the object's help" -- "$ctl" disk frob
expect 2 "grant: unknown command 'd'" \
	"what takes something away is never abbreviated: 'grant d' is not 'grant del'" \
	-- "$ctl" grant d fd69:706d:656d:a4d:1::/120

run "$ctl" map help
[ "$rc" -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^  ipmemctl map ')" -eq 3 ] &&
	[ "$(printf '%s\n' "$out" | grep -vc '^  ipmemctl map \|^usage:$')" -eq 0 ]
ok $? "'ipmemctl map help' shows the three map commands and nothing else"
run "$ctl" help map
[ "$rc" -eq 0 ] && [ "$out" = "$("$ctl" map help)" ]
ok $? "'ipmemctl help map' shows the same"
run "$ctl" host help
[ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^  ipmemctl host set' &&
	! printf '%s\n' "$out" | grep -q 'host-key'
ok $? "'ipmemctl host help' is about host, not host-key"

# arguments are checked before the module is asked: these name the
# argument, not the missing module
expect 1 "^ipmemctl: disk create: '1Q' is not a size$" \
	"disk create 1Q: the size is wrong (checked before the module is asked)" \
	-- "$ctl" disk create 1Q
expect 1 "^ipmemctl: disk create: unknown argument 'colour'$" \
	"disk create: an unknown keyword is named" -- "$ctl" disk create 1G colour red
expect 1 "^ipmemctl: route list: unexpected argument '-j' \(options go first: ipmemctl -j COMMAND\)$" \
	"a list takes no trailing arguments (route list -j), and options go first" \
	-- "$ctl" route list -j
expect 1 "^ipmemctl: map add: give the 'disk ipmemN' to map into$" \
	"map add never guesses the disk" -- "$ctl" map add fd69:706d:656d:a4d:1::/120
expect 1 "^ipmemctl: release: give one of all, ipmemN or PREFIX$" \
	"a bare release releases nothing" -- "$ctl" release
expect 1 "^ipmemctl: network prefix must be an IPv6 /48, not 'fd00::/64'$" \
	"lend: a wrong network prefix is named" -- "$ctl" lend 1G addr fd00::1 prefix fd00::/64
expect 1 "^ipmemctl: lend shrink: '12Q' is not a size$" \
	"lend shrink: a size that is not one is named" -- "$ctl" lend shrink 12Q
expect 1 "^ipmemctl: lend shrink: give the pool's new SIZE$" \
	"lend shrink needs the new size" -- "$ctl" lend shrink

if [ $no_module -eq 1 ]; then
	expect 1 "^ipmemctl: map list: the ipmem module is not loaded .*: load it with 'modprobe ipmem'$" \
		"abbreviations reach the command ('ma l' is map list); no module: a modprobe hint" \
		-- "$ctl" ma l
	IPMEMD_SOCKET=$tmp/none.sock run "$ctl" status
	[ "$rc" -eq 1 ] &&
		[ "$(printf '%s\n' "$out" | head -1)" = "module ipmem not loaded: load it with 'modprobe ipmem'" ] &&
		printf '%s\n' "$out" | grep -q '^bgp: ipmemd is not running$'
	ok $? "status without the module: says so, shows ipmemd's part, exits 1"
else
	skip "the ipmem module is loaded on this host"
	skip "the ipmem module is loaded on this host"
fi

# ---------------------------------------------------------------- ipmemd
cat >"$tmp/ok.conf" <<EOF
host-id 10.0.0.1
address fd00::1
lend 0
socket $tmp/ipmemd.sock
state-dir $tmp/state
gobgpd-api $tmp/state/gobgpd.sock
bgp-port none
EOF
run "$ipmemd" -t -c "$tmp/ok.conf"
[ "$rc" -eq 0 ] && [ "$out" = "$tmp/ok.conf: the configuration is valid" ]
ok $? "ipmemd -t: a valid configuration"
{ cat "$tmp/ok.conf"; echo "colour red"; } >"$tmp/bad.conf"
expect 1 "bad.conf: line 8: unknown option 'colour'" \
	"ipmemd -t: a bad line is named, exit 1" -- "$ipmemd" -t -c "$tmp/bad.conf"
[ ! -e "$tmp/state" ] && [ ! -e "$tmp/ipmemd.sock" ]
ok $? "ipmemd -t starts nothing"

if [ $no_module -eq 1 ]; then
	expect 1 "could not start \(see above\); stopped$" \
		"ipmemd -f without the module: exit 1, and its last line says it could not start" \
		-- "$ipmemd" -f -c "$tmp/ok.conf"
	expect 1 "^ipmemd: could not start \(exit status 1\)" \
		"ipmemd in the background without the module: the command that started it fails" \
		-- "$ipmemd" -c "$tmp/ok.conf"
else
	skip "the ipmem module is loaded on this host"
	skip "the ipmem module is loaded on this host"
fi

# a daemon that starts (on the simulated module) returns 0 only when ready
{ cat "$tmp/ok.conf"; echo "module simulated"; } >"$tmp/sim.conf"
if ! command -v gobgpd >/dev/null; then
	echo "not ok $((n + 1)) - gobgpd is missing (scripts/setup installs it)"
	echo "not ok $((n + 2)) - gobgpd is missing"
	exit 1
fi
sed -i 's/^lend 0$/lend 64M/' "$tmp/sim.conf"
run "$ipmemd" -c "$tmp/sim.conf"
daemon=$(pgrep -f -x "$ipmemd -c $tmp/sim.conf")
[ "$rc" -eq 0 ] && [ -n "$daemon" ] && [ -S "$tmp/ipmemd.sock" ]
ok $? "ipmemd in the background exits 0 once the daemon is ready (its socket is there)"
IPMEMD_SOCKET=$tmp/ipmemd.sock run "$ctl" release all
[ "$rc" -eq 0 ]
ok $? "it answers: 'release all' succeeds ($out$err)"

# SIGHUP: what can change does, the rest is named; a bad file changes
# nothing.  ipmemd -f on the simulated module, its log in a file.
# wait_log PATTERN: the log has a line matching PATTERN (60 s at most)
wait_log() {
	timeout 60 grep -q -m1 -E -- "$1" <(tail -n +1 -f "$tmp/hup.log")
}
sed "s|$tmp/ipmemd.sock|$tmp/hup.sock|; s|$tmp/state|$tmp/hup-state|g" \
	"$tmp/sim.conf" >"$tmp/hup.conf"
"$ipmemd" -f -c "$tmp/hup.conf" 2>"$tmp/hup.log" &
hup=$!
if wait_log "ready; control socket"; then
	printf 'probe-interval 5s\nasn 65001\n' >>"$tmp/hup.conf"
	kill -HUP $hup
	wait_log "read again: " &&
		grep -q "SIGHUP: probe-interval (ms) is now 5000 (was 10000)$" "$tmp/hup.log" &&
		grep -q "SIGHUP: asn changed: restart ipmemd to apply it$" "$tmp/hup.log" &&
		grep -q "read again: 1 change applied, 1 waiting for a restart$" "$tmp/hup.log"
	ok $? "SIGHUP applies a new probe-interval and names the asn as needing a restart"
	echo "colour red" >>"$tmp/hup.conf"
	kill -HUP $hup
	wait_log "line 11: unknown option 'colour'; the configuration is unchanged$" &&
		IPMEMD_SOCKET=$tmp/hup.sock "$ctl" -j status | jq -e '.ipmemd.bgp.as == 65077' >/dev/null
	ok $? "SIGHUP with a bad line changes nothing, and ipmemd goes on"
else
	ok 1 "SIGHUP applies a new probe-interval (ipmemd did not start)"
	ok 1 "SIGHUP with a bad line changes nothing (ipmemd did not start)"
fi
kill $hup 2>/dev/null
wait $hup
ok $? "ipmemd stops cleanly on SIGTERM (exit 0)"
[ $? -eq 0 ] || sed 's/^/#   /' "$tmp/hup.log"

# the read-only status socket: status for a group, nothing else.  The
# user nobody (group nogroup) runs a copy of ipmemctl from $tmp.
chmod 755 "$tmp"
cp "$ctl" "$tmp/ipmemctl"
sed "s|$tmp/ipmemd.sock|$tmp/ro.sock|; s|$tmp/state|$tmp/ro-state|g" \
	"$tmp/sim.conf" >"$tmp/ro.conf"
printf 'status-socket %s\nstatus-group nogroup\n' "$tmp/status.sock" >>"$tmp/ro.conf"
run "$ipmemd" -c "$tmp/ro.conf"
ro_daemon=$(pgrep -f -x "$ipmemd -c $tmp/ro.conf")
[ "$rc" -eq 0 ] && [ -n "$ro_daemon" ] &&
	[ "$(stat -c '%a %U %G' "$tmp/status.sock")" = "660 root nogroup" ] &&
	[ "$(stat -c '%a %U' "$tmp/ro.sock")" = "600 root" ]
ok $? "status-socket: mode 0660, group nogroup; the control socket stays root's (0600)"
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		env IPMEMD_SOCKET="$tmp/ro.sock" IPMEMD_STATUS_SOCKET="$tmp/status.sock" "$@"
}
run nobody "$tmp/ipmemctl" -j status
printf '%s\n' "$out" | jq -e '.ipmemd.M == 1024 and .ipmemd.bgp.as == 65077' >/dev/null
ok $? "a member of the group (nobody, nogroup) sees ipmemd's status through it"
run nobody "$tmp/ipmemctl" release all
[ "$rc" -eq 1 ] && printf '%s\n' "$err" | grep -q "only root may talk to ipmemd"
ok $? "but may not release (the control socket is root's)"
IPMEMD_SOCKET=$tmp/status.sock run "$ctl" release all
[ "$rc" -eq 1 ] && printf '%s\n' "$err" | grep -q "release: this socket answers status only"
ok $? "and the status socket refuses anything but status, even from root"
if [ -n "$ro_daemon" ] && kill "$ro_daemon"; then
	tail --pid="$ro_daemon" -f /dev/null
fi
[ ! -e "$tmp/status.sock" ]
ok $? "ipmemd removes the status socket when it stops"

# metrics: Prometheus text on metrics-listen, that promtool accepts
sed "s|$tmp/ipmemd.sock|$tmp/met.sock|; s|$tmp/state|$tmp/met-state|g" \
	"$tmp/sim.conf" >"$tmp/met.conf"
port=$((20000 + $$ % 20000))
echo "metrics-listen 127.0.0.1:$port" >>"$tmp/met.conf"
# scrape PATH: the HTTP response to GET PATH (bash's /dev/tcp: no client
# program needed)
scrape() {
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3
	cat <&3
	exec 3<&-
}
run "$ipmemd" -c "$tmp/met.conf"
met_daemon=$(pgrep -f -x "$ipmemd -c $tmp/met.conf")
scrape /metrics >"$tmp/met.http"
sed '1,/^\r$/d' "$tmp/met.http" >"$tmp/met.txt"
head -1 "$tmp/met.http" | grep -q "^HTTP/1.0 200 OK" &&
	grep -q "^Content-Type: text/plain; version=0.0.4" "$tmp/met.http" &&
	out=$(promtool check metrics <"$tmp/met.txt" 2>&1) && [ -z "$out" ]
ok $? "GET /metrics answers 200 in the text format; promtool check metrics finds nothing${out:+ ($out)}"
grep -qx 'ipmem_cluster_blocks 1024' "$tmp/met.txt" &&
	grep -qx 'ipmem_lender_free_blocks{lender="0a00:0001"} 1024' "$tmp/met.txt" &&
	grep -qx 'ipmem_pool_blocks 1024' "$tmp/met.txt" &&
	grep -q '^ipmem_info{version="[0-9.]*",host_id="0a00:0001"} 1$' "$tmp/met.txt"
ok $? "the metrics say what status says: M, V_i, the pool, the host"
scrape /other | head -1 | grep -q "^HTTP/1.0 404"
ok $? "any other path is 404"
if [ -n "$met_daemon" ] && kill "$met_daemon"; then
	tail --pid="$met_daemon" -f /dev/null
fi

# JSON
run "$ctl" -j --version
[ "$rc" -eq 0 ] && printf '%s\n' "$out" | jq -e '.ipmemctl.version == "'"$("$ctl" --version | awk 'NR == 1 { print $2 }')"'" and
	(.ipmemctl.wire_protocol | type) == "number"' >/dev/null
ok $? "ipmemctl -j --version: its release and wire protocol as JSON"
IPMEMD_SOCKET=$tmp/ipmemd.sock run "$ctl" -j status
[ "$rc" -eq "$no_module" ] && printf '%s\n' "$out" | jq -e '.ipmemd.M == 1024 and .ipmemd.V == 1024 and
	.ipmemd.lenders[0].lender == "0a00:0001" and .ipmemd.lenders[0].local == true and
	.ipmemd.pools[0].M_i == 1024 and .ipmemd.bgp.as == 65077' >/dev/null
ok $? "ipmemctl -j status: ipmemd's view (M, V, lenders, its pool) as JSON"
a=$(IPMEMD_SOCKET=$tmp/ipmemd.sock "$ctl" -jp status | jq -S .) &&
	b=$(IPMEMD_SOCKET=$tmp/ipmemd.sock "$ctl" -j status | jq -S .) &&
	[ -n "$a" ] && [ "$a" = "$b" ] &&
	[ "$(IPMEMD_SOCKET=$tmp/ipmemd.sock "$ctl" -j status | wc -l)" -eq 1 ]
ok $? "-j is one line; -jp is the same JSON, indented"
