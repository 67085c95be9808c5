#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages the way a user installs them: a fresh Debian 12
# root (debootstrap, minbase), "apt install ./ipmem_*.deb
# ./ipmem-dkms_*.deb" with the kernel's image and headers, DKMS building
# the module on installation, and then the two-host swap demo
# (tests/demo.sh) in guests whose root file system is that root: the
# ipmemctl in /usr/sbin and the module modprobe finds in
# /lib/modules/RELEASE/updates/dkms, nothing from the tree but the test
# harness and the workload (memtouch).
#
# Needs root, Debian's archive (debootstrap and apt download) and the
# packages built (make deb); make check-packages runs it.  Takes a few
# minutes; not part of make check.
#
# env: PKG_ROOT  where the root goes (default /var/tmp/ipmem-pkgroot;
#                made afresh each run)
#      KVER      the kernel (default: the newest installed)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
root=${PKG_ROOT:-/var/tmp/ipmem-pkgroot}
kver=${KVER:-$(scripts/kernels --boot --newest)}
release=$(sed -n 's/^#define IPMEM_VERSION[[:space:]]*"\(.*\)"/\1/p' include/ipmem/version.h)
debs="build/deb/ipmem_${release}_amd64.deb build/deb/ipmem-dkms_${release}_all.deb"
log=$top/build/pkgtest
. "$top/tests/lib/tap.sh"
bail() { echo "Bail out! $*"; exit 1; }
cleanup() {
	umount "$root$top" 2>/dev/null
	umount "$root/proc" 2>/dev/null
}
trap cleanup EXIT

echo "1..6"
[ "$(id -u)" -eq 0 ] || bail "needs root (debootstrap, chroot)"
for d in $debs; do [ -r "$d" ] || bail "no $d (make deb)"; done
command -v debootstrap >/dev/null || bail "no debootstrap (scripts/setup deb)"
rm -rf "$log" && mkdir -p "$log" || bail "cannot make $log"

cleanup
rm -rf "$root"
debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$log/debootstrap.log" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -n 20 "$log/debootstrap.log" | sed 's/^/# /'
ok $rc "debootstrap: a fresh Debian 12 root"
[ $rc -eq 0 ] || exit 1

# the archive as this host has it (bookworm-security has the 6.12 kernel)
rm -f "$root/etc/apt/sources.list"
cp /etc/apt/sources.list.d/*.sources "$root/etc/apt/sources.list.d/" 2>/dev/null ||
	cp /etc/apt/sources.list "$root/etc/apt/sources.list"
mount -t proc proc "$root/proc"
mkdir -p "$root/tmp/debs"
cp $debs "$root/tmp/debs/"
chroot "$root" sh -c "export DEBIAN_FRONTEND=noninteractive
	apt-get update -q && apt-get install -y -q /tmp/debs/*.deb \
		linux-image-$kver linux-headers-$kver" >"$log/apt.log" 2>&1
rc=$?
[ $rc -eq 0 ] || tail -n 30 "$log/apt.log" | sed 's/^/# /'
ok $rc "apt install ./ipmem_${release}_amd64.deb ./ipmem-dkms_${release}_all.deb with $kver's image and headers"

chroot "$root" dkms status 2>/dev/null | grep -q "^ipmem/$release, $kver, x86_64: installed" &&
	chroot "$root" modinfo -k "$kver" -n ipmem | grep -q "^/lib/modules/$kver/updates/dkms/ipmem.ko"
ok $? "DKMS built and installed ipmem/$release for $kver on installation"

chroot "$root" ipmemctl --version | grep -q "^ipmemctl $release " &&
	chroot "$root" ipmemd --version | grep -q "^ipmemd $release " &&
	[ -x "$root/usr/sbin/ipmem-swap" ] && [ -r "$root/lib/systemd/system/ipmemd.service" ] &&
	[ -r "$root/etc/ipmem/ipmemd.conf" ] && [ -r "$root/usr/share/man/man8/ipmemctl.8.gz" ]
ok $? "ipmemctl, ipmemd ($release), ipmem-swap, the units, the configuration and man pages are in place"

# the guests boot that root; the harness and memtouch come from the tree,
# bound at the same path; the build directory they use has no ipmemctl
mkdir -p "$root$top"
mount --bind -o ro "$top" "$root$top" || bail "cannot bind $top into the root"
cp build/memtouch "$log/" || bail "no build/memtouch (make)"
H_ROOT=$root BUILD=$log KVER=$kver H_KERNEL=$root/boot/vmlinuz-$kver IPMEM_KO=ipmem \
	timeout 1800 tests/demo.sh >"$log/demo.log" 2>&1
rc=$?
sed 's/^/# /' "$log/demo.log"
grep -q "^== done: every page read back was the page written" "$log/demo.log"
ok $((rc || $?)) "the two-host swap demo runs in guests booted from that root"

grep -A3 "^borrower\$ command -v ipmemctl" "$log/demo.log" | grep -q "^    /usr/sbin/ipmemctl$" &&
	grep -A3 "^borrower\$ command -v ipmemctl" "$log/demo.log" | grep -q "^    /lib/modules/$kver/updates/dkms/ipmem.ko"
ok $? "with the installed ipmemctl and the DKMS-built module"
