#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's first command as a new user runs it, on a Debian 12 root
# that has nothing but a minimal system (debootstrap --variant=minbase)
# and make and git: clone the tree, "make demo" as root, no sudo.
# scripts/setup installs everything else from Debian's archive; the demo
# must reach its last line.  What CI cannot test (its machine is set up
# once); run by hand after changing scripts/setup or the Makefile's first
# steps.  Needs root, debootstrap (scripts/setup deb) and Debian's
# archive; takes 15 to 30 minutes.
#
# usage: tests/fresh/fresh-machine.sh [TARGET]
#   TARGET demo (default) or check: make TARGET, as the README says
#   TARGET tools: scripts/setup tools, then make tools - the userspace
#   build with only its build dependencies installed
# env:   FRESH_ROOT  where the root goes (default /var/tmp/ipmem-fresh)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
target=${1:-demo}
root=${FRESH_ROOT:-/var/tmp/ipmem-fresh}
log=${FRESH_LOG:-/var/tmp/ipmem-fresh.log}

mounts="proc sys dev dev/pts run"
cleanup() {
	for m in $(echo "$mounts" | tr ' ' '\n' | tac); do
		umount -l "$root/$m" 2>/dev/null
	done
	umount -l "$root" 2>/dev/null
}
trap cleanup EXIT
say() { echo "fresh: $*" | tee -a "$log"; }

[ "$(id -u)" -eq 0 ] || { echo "fresh: needs root" >&2; exit 1; }
command -v debootstrap >/dev/null ||
	{ echo "fresh: no debootstrap (scripts/setup deb installs it)" >&2; exit 1; }
: >"$log"
cleanup
rm -rf "$root"
say "debootstrap --variant=minbase bookworm $root"
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >>"$log" 2>&1 ||
	{ say "debootstrap failed"; exit 1; }
rm -f "$root/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null ||
	cp /etc/apt/sources.list "$root/etc/apt/sources.list"
# the root a mount point of its own, as / is on a machine ("ip netns
# exec", which the test harness runs QEMU under, remounts / as a slave)
mount --bind "$root" "$root"
for m in proc sys dev dev/pts; do
	mount --bind "/$m" "$root/$m"
done
mount -t tmpfs tmpfs "$root/run"

say "apt-get install make git ca-certificates (what the README asks for first)"
chroot "$root" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get update -q &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends make git ca-certificates' \
	>>"$log" 2>&1 || { say "apt-get failed"; exit 1; }

say "git clone $top (HEAD $(git -C "$top" rev-parse --short HEAD))"
git clone -q "$top" "$root/root/ipmem" >>"$log" 2>&1 || { say "clone failed"; exit 1; }

say "make $target, as root, in the clone"
start=$SECONDS
if [ "$target" = tools ]; then
	cmd="scripts/setup tools && make tools && build/ipmemctl --version && build/ipmemd --version"
else
	cmd="make $target"
fi
chroot "$root" /bin/sh -c "cd /root/ipmem && HOME=/root $cmd" >>"$log" 2>&1
rc=$?
say "make $target: exit status $rc after $((SECONDS - start)) s; its last lines:"
tail -n 5 "$log"
exit $rc
