# SPDX-License-Identifier: GPL-2.0
#
# Guest test harness: boots Debian-kernel guests under QEMU/TCG with the
# host's root file system shared read-only over 9p, runs commands in them,
# and reports TAP.  Sourced by every tests/scenario/*.t (bash).
#
#   h_init                  state dir, private network namespace, traps
#   g_boot NAME [opts]      boot a guest, wait until its agent is ready
#                           (a kernel crash before it is up: once more)
#   g_boot_all "NAME [opts]" ...  boot several side by side, wait for all
#       --ip N              host number (10.77.0.N, fd00:77::N); default: order
#       --mem MiB           RAM (default 1024)
#       --cpus N            vCPUs (default 1)
#       --mtu M             eth0 MTU (default 1500)
#                           (kernel debug options: H_GUEST_DEBUG below)
#   g_run NAME [-t S] CMD   run CMD (sh) in the guest; prints its output,
#                           returns its exit code (124 on time-out)
#   g_start NAME CMD        start CMD in the background; sets JOB
#   g_wait NAME JOB [-t S]  wait for a background command; prints output
#   g_kill NAME             pull the plug: kill the guest's QEMU (g_boot
#                           boots it again, same name and address)
#                           (a guest that dies otherwise, e.g. a kernel
#                           panic, fails the command waiting on it at
#                           once, with the panic from its console)
#   g_ip6 NAME / g_ip4 NAME the guest's addresses
#   g_share NAME            host path of the guest's read-write share
#                           (/run/share inside the guest)
#   g_dmesg_clean NAME      fail unless the guest's kernel log is free of
#                           warnings, BUGs, oopses, hung tasks, RCU
#                           stalls and memory debugging reports
#   g_dmesg_sane NAME       the same, but ipmem may warn (a lender lost)
#   plan N / ok STATUS DESC / is GOT WANT DESC / diag MSG    TAP
#   h_done                  last line of a test: its exit status
#
# Every guest is in a network namespace of the test's own, on one virtual
# Ethernet segment (a QEMU socket netdev on a multicast group on that
# namespace's loopback); nothing leaves it.  On exit, failed or not, all
# guests of the test are killed and the namespace removed; if a test
# failed, the tail of each guest's console log is printed as TAP comments.
#
# Time limits: every command has one (g_run -t, default 300 s under TCG),
# and scripts/run-tests puts an overall limit on each scenario.

set -u

H_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
H_BUILD=${BUILD:-$H_TOP/build}
# the guest kernel's release: KVER, or the newest installed (scripts/kernels)
H_KVER=${KVER:-$("$H_TOP/scripts/kernels" --boot --newest)}
# the guest kernel: Debian's of KVER, or another one (make check-debug:
# H_KERNEL, with H_MODROOT/lib/modules/KVER its module files)
H_KERNEL=${H_KERNEL:-/boot/vmlinuz-$H_KVER}
H_MODROOT=${H_MODROOT:-}
# the guests' root file system: the host's, or another root that has this
# tree at the same path (tests/packages/packages.t: a fresh Debian root
# with the packages installed)
H_ROOT=${H_ROOT:-/}
H_INITRD=$H_BUILD/guest/initramfs-$H_KVER.gz
H_NAME=$(basename "$0" .t)
H_STATE=$H_TOP/tests/.state/$H_NAME
# a scenario run on another kernel than the newest keeps its own logs
[ -z "${KVER:-}" ] || [ "$KVER" = "$("$H_TOP/scripts/kernels" --boot --newest)" ] ||
	H_STATE=$H_STATE@$KVER
H_NETNS=ipmem-$H_NAME-$$
H_TESTS=0
H_FAILED=0
H_GUESTS=()
H_NEXT_IP=1
IPMEM_KO=${IPMEM_KO:-$H_BUILD/kmod/$H_KVER/ipmem.ko}
IPMEMCTL=$H_BUILD/ipmemctl
# module parameters every ipmem_load adds (make check-debug: longer
# time-outs for a kernel that runs several times slower)
IPMEM_PARAMS=${IPMEM_PARAMS:-}
export IPMEM_KO IPMEMCTL IPMEM_PARAMS

# Every guest runs with the memory debugging that Debian's kernel has
# built in: SLUB red zones, poisoning and sanity checks (a use after free
# or an overrun in ipmem is reported at the next check, not silently
# absorbed), poisoned and zeroed free pages, and a panic on any WARN, so
# that a warning splat cannot go unnoticed.  The benchmark turns them off
# (H_GUEST_DEBUG=) to measure what users run.
H_GUEST_DEBUG=${H_GUEST_DEBUG-slub_debug=FZPU page_poison=1 init_on_free=1 panic_on_warn=1}
# The debug kernel (make check-debug) needs more of everything: KASAN's
# shadow takes an eighth of RAM and kmemleak and the red zones add more, so
# H_MEM_EXTRA MiB are added to every guest (the scenarios' own workloads
# are limited by cgroups, not by the guest's size).  H_CPU is QEMU's CPU
# model; the debug kernel runs without 5-level paging (la57=off).
H_MEM_EXTRA=${H_MEM_EXTRA:-0}
H_CPU=${H_CPU:-max}
# H_SLOW multiplies every time limit: how long the harness waits for a
# guest to boot and for a guest command (g_run -t, g_wait -t), and
# wait_until's limit in a guest.
# The debug kernel sets it (KASAN under TCG is several times slower);
# limits are there to end a hang, never to judge speed.
H_SLOW=${H_SLOW:-1}
# virtio_net.napi_tx=0: virtio-net lets go of a packet when it queues it,
# not when QEMU reports it sent.  rxe holds a reference on the queue pair
# of every packet not let go of, and rdma_destroy_qp() waits up to 50 s
# for them, then warns.  Under TCG on a loaded host those reports can be
# late, and a lender's queue teardown was once seen waiting out the 50 s
# (and panicking on the warning); this rules that out.
H_GUEST_NET=virtio_net.napi_tx=0

declare -A H_FDIN H_FDOUT H_IP H_JOBS H_PART H_KILLED H_BOOTOPTS

# ------------------------------------------------------------------ TAP

plan() { echo "1..$1"; }

diag() {
	local line
	printf '%s\n' "$@" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

# ok STATUS DESC: STATUS is an exit code (0 = pass).  Each point says how
# long it took since the one before, so that a slow scenario shows where
# its time goes.
H_LAST=$SECONDS
ok() {
	local took=$((SECONDS - H_LAST))

	H_LAST=$SECONDS
	H_TESTS=$((H_TESTS + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $H_TESTS - $2 (+$took s)"
	else
		echo "not ok $H_TESTS - $2 (+$took s)"
		H_FAILED=$((H_FAILED + 1))
	fi
	return "$1"
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got:      '$1'" "expected: '$2'"
		return 1
	fi
}

# bail MSG: stop the whole test file (a precondition failed).
bail() {
	echo "Bail out! $*"
	H_FAILED=$((H_FAILED + 1))
	exit 1
}

# ---------------------------------------------------------------- setup

h_cleanup() {
	local g pid
	for g in "${H_GUESTS[@]}"; do
		pid=$(cat "$H_STATE/$g/qemu.pid" 2>/dev/null) || continue
		kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$H_NETNS" 2>/dev/null
	if [ "$H_FAILED" -ne 0 ]; then
		for g in "${H_GUESTS[@]}"; do
			diag "---- console of $g (last 60 lines) ----"
			tail -n 60 "$H_STATE/$g/console.log" 2>/dev/null | diag "$(cat)"
		done
		diag "full logs: $H_STATE"
	fi
}

h_init() {
	[ "$(id -u)" -eq 0 ] || bail "guest tests need root (network namespace)"
	[ -r "$H_KERNEL" ] || bail "no guest kernel $H_KERNEL (run scripts/setup)"
	case $IPMEM_KO in
	*/*) [ -r "$IPMEM_KO" ] || bail "no $IPMEM_KO (run make)" ;;
	esac
	rm -rf "$H_STATE"
	mkdir -p "$H_STATE"
	# built once per kernel, and again when mkinitramfs changed
	if [ ! -s "$H_INITRD" ] || [ "$H_TOP/tests/lib/mkinitramfs" -nt "$H_INITRD" ]; then
		mkdir -p "$(dirname "$H_INITRD")"
		"$H_TOP/tests/lib/mkinitramfs" "$H_KVER" "$H_INITRD" ${H_MODROOT:+"$H_MODROOT"} ||
			bail "cannot build the initramfs"
	fi
	# what stdout is now is the TAP stream; see h_out
	exec {H_TAP_FD}>&1
	ip netns add "$H_NETNS" || bail "cannot create network namespace"
	ip -n "$H_NETNS" link set lo up multicast on
	trap h_cleanup EXIT
	trap 'exit 130' INT TERM
}

# h_alive NAME: the guest's QEMU still runs
h_alive() {
	local pid

	pid=$(cat "$H_STATE/$1/qemu.pid" 2>/dev/null) || return 1
	kill -0 "$pid" 2>/dev/null
}

# h_died NAME: say why a guest that nobody killed is gone
h_died() {
	local log=$H_STATE/$1/console.log panic

	diag "guest $1 died (its QEMU exited)"
	panic=$(grep -n -E -m1 "Kernel panic|BUG:|Oops|WARNING:|KASAN|general protection" "$log" 2>/dev/null | cut -d: -f1)
	if [ -n "$panic" ]; then
		diag "---- console of $1 from the first report ----"
		tail -n +"$((panic > 5 ? panic - 5 : 1))" "$log" | head -n 80 | diag "$(cat)"
	fi
}

# h_readline NAME TIMEOUT: next line from the guest's agent into H_LINE.
# Waits in slices, so that a guest that dies (a panic: guests boot with
# panic=-1 and -no-reboot) is noticed at once instead of after TIMEOUT.
h_readline() {
	local fd=${H_FDIN[$1]} deadline=$((SECONDS + $2)) slice line

	while :; do
		slice=$((deadline - SECONDS))
		[ "$slice" -gt 5 ] && slice=5
		[ "$slice" -lt 1 ] && slice=1
		if IFS= read -r -t "$slice" -u "$fd" line; then
			H_LINE=${H_PART[$1]:-}$line
			H_PART[$1]=
			H_LINE=${H_LINE%$'\r'}
			return 0
		fi
		# a time-out may leave part of a line read: keep it
		H_PART[$1]=${H_PART[$1]:-}$line
		if ! h_alive "$1"; then
			[ -n "${H_KILLED[$1]:-}" ] || h_died "$1"
			return 2
		fi
		[ "$SECONDS" -lt "$deadline" ] || return 1
	done
}

# g_launch NAME [opts]: start a guest's QEMU (g_ready waits for it)
g_launch() {
	local name=$1 mem=1024 cpus=1 mtu=1500 ip dir qemu_log

	ip=${H_IP[$1]:-$H_NEXT_IP}
	shift
	H_BOOTOPTS[$name]="$*"
	while [ $# -gt 0 ]; do
		case "$1" in
		--ip) ip=$2; shift 2 ;;
		--mem) mem=$2; shift 2 ;;
		--cpus) cpus=$2; shift 2 ;;
		--mtu) mtu=$2; shift 2 ;;
		*) bail "g_boot: unknown option $1" ;;
		esac
	done
	[ -n "${H_IP[$name]:-}" ] || H_NEXT_IP=$((ip + 1))
	dir=$H_STATE/$name
	# booting a guest again (after g_kill): a fresh console and agent
	if [ -n "${H_IP[$name]:-}" ]; then
		exec {H_FDIN[$name]}<&- {H_FDOUT[$name]}>&-
		rm -f "$dir/ctl.in" "$dir/ctl.out"
		mv "$dir/console.log" "$dir/console.log.$SECONDS" 2>/dev/null
		H_KILLED[$name]=
		H_PART[$name]=
	else
		H_GUESTS+=("$name")
	fi
	mkdir -p "$dir/share"
	mkfifo "$dir/ctl.in" "$dir/ctl.out"
	H_IP[$name]=$ip
	qemu_log=$dir/qemu.log

	ip netns exec "$H_NETNS" qemu-system-x86_64 \
		-name "$name" -nodefaults -no-user-config -display none \
		-accel tcg,thread=multi -cpu "$H_CPU" -smp "$cpus" \
		-m "$((mem + H_MEM_EXTRA))" \
		-kernel "$H_KERNEL" -initrd "$H_INITRD" \
		-append "console=ttyS0 panic=-1 $H_GUEST_DEBUG $H_GUEST_NET ipmemtest.init=$H_TOP/tests/lib/guest-init ipmemtest.name=$name ipmemtest.ip=$ip ipmemtest.mtu=$mtu${H_MODROOT:+ ipmemtest.modroot=$H_MODROOT}" \
		-serial "file:$dir/console.log" \
		-chardev "pipe,id=ctl,path=$dir/ctl" -serial chardev:ctl \
		-virtfs "local,path=$H_ROOT,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$dir/share,mount_tag=share,security_model=none,multidevs=remap" \
		-netdev socket,id=n0,mcast=239.77.0.1:7700,localaddr=127.0.0.1 \
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:77:00:$(printf %02x "$ip")" \
		-no-reboot -pidfile "$dir/qemu.pid" >"$qemu_log" 2>&1 &

	exec {H_FDIN[$name]}<>"$dir/ctl.out"
	exec {H_FDOUT[$name]}<>"$dir/ctl.in"
}

# g_ready NAME: wait until the guest's agent is ready.  A guest whose
# kernel crashes while it boots (its QEMU exits) before guest-init says
# it is up, so before any ipmem code ran in it, is booted once more: the
# Debian 6.12 kernel now and then takes an int3 oops in its own text
# patching under TCG.  The crash is printed; a second one fails.
g_ready() {
	local name=$1 tries=2 rc

	while :; do
		rc=0
		h_readline "$name" $((180 * H_SLOW)) || rc=$?
		if [ "$rc" -eq 2 ] && [ "$tries" -gt 1 ] &&
		   ! grep -q "guest-init: $name up" "$H_STATE/$name/console.log" 2>/dev/null; then
			tries=$((tries - 1))
			diag "guest $name crashed while booting (no ipmem code ran in it yet): booting it once more"
			# shellcheck disable=SC2086 # the options as g_boot had them
			g_launch "$name" ${H_BOOTOPTS[$name]}
			continue
		fi
		break
	done
	if [ "$rc" -ne 0 ]; then
		[ "$rc" -eq 1 ] && diag "guest $name did not come up in $((180 * H_SLOW)) s"
		H_FAILED=$((H_FAILED + 1))
		return 1
	fi
	case "$H_LINE" in
	READY*) return 0 ;;
	*) diag "guest $name: $H_LINE"; H_FAILED=$((H_FAILED + 1)); return 1 ;;
	esac
}

g_boot() {
	g_launch "$@" && g_ready "$1"
}

# g_boot_all "NAME [opts]"...: boot guests side by side, wait for them all
g_boot_all() {
	local spec rc=0

	for spec; do
		# shellcheck disable=SC2086 # a name and its options
		g_launch $spec || return 1
	done
	for spec; do
		g_ready "${spec%% *}" || rc=1
	done
	return "$rc"
}

g_share() { echo "$H_STATE/$1/share"; }
g_ip4() { echo "10.77.0.${H_IP[$1]}"; }
g_ip6() { echo "fd00:77::${H_IP[$1]}"; }

H_SEQ=0

# h_submit NAME RUN|BG CMD: hand CMD to the guest, set H_ID.
h_submit() {
	local name=$1 req=$2 share

	shift 2
	H_SEQ=$((H_SEQ + 1))
	H_ID=$H_SEQ
	share=$(g_share "$name")
	{
		echo "set -u"
		echo "export IPMEM_KO='$IPMEM_KO' IPMEMCTL='$IPMEMCTL' IPMEM_PARAMS='$IPMEM_PARAMS' H_SLOW='$H_SLOW' PATH='$H_BUILD:/usr/sbin:/usr/bin:/sbin:/bin'"
		echo ". '$H_TOP/tests/lib/guest-lib.sh'"
		printf '%s\n' "$*"
	} >"$share/cmd.$H_ID"
	echo "$req $H_ID" >&"${H_FDOUT[$name]}"
}

# h_out FILE: a command's output: raw when captured ($(g_run ...)), as
# TAP comments when it would go into the TAP stream itself.
h_out() {
	[ -e "$1" ] || return 0
	if [ "/proc/$BASHPID/fd/1" -ef "/proc/$BASHPID/fd/$H_TAP_FD" ]; then
		sed 's/^/# /' "$1"
	else
		cat "$1"
	fi
}

# h_collect NAME ID TIMEOUT: wait for "DONE ID", print output, return rc.
h_collect() {
	local name=$1 id=$2 timeout=$3 deadline rc share left

	share=$(g_share "$name")
	timeout=$((timeout * H_SLOW))
	deadline=$((SECONDS + timeout))
	while [ -z "${H_JOBS[$name.$id]:-}" ]; do
		left=$((deadline - SECONDS))
		[ "$left" -gt 0 ] && h_readline "$name" "$left"
		case $? in
		0) ;;
		2)
			h_out "$share/out.$id"
			diag "$name: command $id ended with its guest"
			return 125
			;;
		*)
			h_out "$share/out.$id"
			diag "$name: command $id timed out after $timeout s"
			return 124
			;;
		esac
		case "$H_LINE" in
		DONE\ *)
			set -- $H_LINE
			H_JOBS[$name.$2]=$3
			set -- "$name" "$id" "$timeout"
			;;
		*) diag "$name: agent said: $H_LINE" ;;
		esac
	done
	rc=${H_JOBS[$name.$id]}
	unset "H_JOBS[$name.$id]"
	h_out "$share/out.$id"
	return "$rc"
}

g_run() {
	local name=$1 timeout=300

	shift
	if [ "$1" = -t ]; then
		timeout=$2
		shift 2
	fi
	h_submit "$name" RUN "$@"
	h_collect "$name" "$H_ID" "$timeout"
}

# g_keys_made GUEST...: every GUEST makes its host key (/run/host.key,
# 0600, unless it has one) and sets it, and learns every GUEST's public
# key (itself included: a host may lend to itself) in /run/host-keys, as
# ipmemd.conf's host-keys file has them.  Needs ipmem.ko loaded.  A copy
# in the guest's share stands for the host's disk: after a reboot,
# ipmem_load finds the same keys.
g_keys_made() {
	local g pub lines=

	for g in "$@"; do
		pub=$(g_run "$g" 'ipmem_key_make') || return 1
		lines+="$(g_run "$g" host_id) $pub"$'\n'
	done
	for g in "$@"; do
		g_run "$g" "cat >/run/host-keys <<'EOF'
$lines
EOF
mkdir -p /run/share/keys && cp /run/host.key /run/host-keys /run/share/keys/" || return 1
	done
}

# g_keys GUEST...: host authentication between GUESTs, provisioned as an
# operator would (Documentation/security.rst): the module requires it
# (require_auth).  ipmem_load does it again after a reload.
g_keys() {
	local g

	g_keys_made "$@" || return 1
	for g in "$@"; do
		g_run "$g" ipmem_keys_apply || return 1
	done
}

g_start() {
	local name=$1

	shift
	h_submit "$name" BG "$@"
	JOB=$H_ID
}

g_wait() {
	local name=$1 id=$2 timeout=300

	[ "${3:-}" = -t ] && timeout=$4
	h_collect "$name" "$id" "$timeout"
}

g_kill() {
	local pid

	H_KILLED[$1]=1
	pid=$(cat "$H_STATE/$1/qemu.pid")
	kill -9 "$pid"
	while kill -0 "$pid" 2>/dev/null; do
		wait "$pid" 2>/dev/null || true
	done
}

# The kernel log lines a clean run must not have: anything at warning
# level or above from ipmem; any kernel BUG, oops or warning splat; a
# task hung for the hung-task detector's time-out, an RCU stall or a soft
# lockup; and whatever the memory debuggers report (SLUB's checks, KASAN,
# kmemleak, lockdep, list debugging), at any level.  Loading any unsigned
# out-of-tree module taints the kernel with two such lines; they are the
# loader's, not ipmem's.
H_DMESG_BAD='BUG|Oops|WARNING|Call Trace|ODEBUG|blocked for more than|rcu.*stall|soft lockup|hard LOCKUP|KASAN|UBSAN|suspected memory leak|circular locking|possible recursive locking|inconsistent lock state|lock held when returning|list_(add|del) corruption|Redzone|Poison overwritten|Object already free|general protection'
# Where the kernel has kmemleak (the debug kernel), a scan reports what
# ipmem leaked: the records whose allocation backtrace passes through it.
H_KMEMLEAK='f=/sys/kernel/debug/kmemleak; if [ -e $f ]; then echo scan > $f; awk "/^unreferenced object/ { r = \$0; next } r != \"\" { r = r \"\n\" \$0 } /ipmem/ && r != \"\" { print r; r = \"\" }" $f; fi'

# g_dmesg_sane NAME: the same, but for ipmem's own warnings, for scenarios
# in which ipmem rightly warns (a lender lost)
g_dmesg_sane() {
	local bad

	bad=$(g_run "$1" "{ dmesg | grep -E '$H_DMESG_BAD' | sort -u; $H_KMEMLEAK; } || true")
	if [ -n "$bad" ]; then
		diag "$1: kernel log:" "$bad"
		return 1
	fi
	return 0
}

g_dmesg_clean() {
	local bad

	bad=$(g_run "$1" "{ { dmesg --level=emerg,alert,crit,err,warn | grep -E 'ipmem|leak'; dmesg | grep -E '$H_DMESG_BAD'; } | grep -vE 'loading out-of-tree module taints kernel|module verification failed' | sort -u; $H_KMEMLEAK; } || true")
	if [ -n "$bad" ]; then
		diag "$1: kernel log:" "$bad"
		return 1
	fi
	return 0
}

h_done() {
	[ "$H_FAILED" -eq 0 ]
	exit $?
}
