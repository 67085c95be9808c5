#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install and make uninstall into a DESTDIR, the way a user or a
# distribution would run them, and what they install: the programs, the
# module for every kernel built, systemd units that systemd-analyze
# verifies without a word, the configuration snippets; the release in
# dkms.conf is the release of the sources.  Needs the tree built (make).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$top/tests/lib/tap.sh"
echo "1..9"

release=$(sed -n 's/^#define IPMEM_VERSION[[:space:]]*"\(.*\)"/\1/p' include/ipmem/version.h)
dkms=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
deb=$(sed -n '1s/^ipmem (\([^)]*\)).*/\1/p' debian/changelog)
[ -n "$release" ] && [ "$release" = "$dkms" ] && [ "$release" = "$deb" ]
ok $? "dkms.conf ($dkms) and debian/changelog ($deb) carry the release ($release)"

d=$tmp/root
make -s install DESTDIR="$d" >"$tmp/install.log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/install.log"
ok $rc "make install DESTDIR=... succeeds"

missing=""
for f in usr/local/sbin/ipmemctl usr/local/sbin/ipmemd usr/local/sbin/ipmem-swap \
	usr/local/lib/systemd/system/ipmemd.service \
	usr/local/lib/systemd/system/ipmem-swap@.service \
	etc/ipmem/ipmemd.conf etc/modules-load.d/ipmem.conf etc/modprobe.d/ipmem.conf \
	usr/local/share/doc/ipmem/admin-guide.rst \
	usr/local/share/doc/ipmem/examples/ipmemd.conf \
	usr/local/share/man/man8/ipmemctl.8 usr/local/share/man/man8/ipmemd.8 \
	usr/local/share/man/man8/ipmem-swap.8 usr/local/share/man/man5/ipmemd.conf.5 \
	usr/local/share/man/man4/ipmem.4 \
	usr/local/share/bash-completion/completions/ipmemctl; do
	[ -s "$d/$f" ] || missing="$missing $f"
done
for k in ${KVERS:-$(scripts/kernels)}; do
	[ "$(modinfo -F version "$d/lib/modules/$k/updates/ipmem.ko" 2>/dev/null)" = "$release" ] &&
	[ "$(modinfo -F vermagic "$d/lib/modules/$k/updates/ipmem.ko" | cut -d' ' -f1)" = "$k" ] ||
		missing="$missing lib/modules/$k/updates/ipmem.ko"
done
[ -z "$missing" ] || echo "# missing or wrong:$missing"
[ -z "$missing" ]
ok $? "programs, units, snippets, docs and ipmem.ko $release for every kernel built are installed"

"$d/usr/local/sbin/ipmemctl" --version | grep -qx "ipmemctl $release (netlink family ipmem version 1, wire protocol [0-9]*)" &&
	"$d/usr/local/sbin/ipmemd" --version | grep -q "^ipmemd $release "
ok $? "the installed ipmemctl and ipmemd say release $release"

# the units name the installed programs and manual pages; systemd-analyze
# checks that they exist, so it reads copies that point into DESTDIR (and
# man looks in DESTDIR's MANDIR)
mkdir -p "$tmp/units"
for u in ipmemd.service ipmem-swap@.service; do
	sed "s|/usr/local/sbin/|$d/usr/local/sbin/|g" "$d/usr/local/lib/systemd/system/$u" >"$tmp/units/$u"
done
cp "$tmp/units/ipmem-swap@.service" "$tmp/units/ipmem-swap@4G.service"
grep -q "^ExecStart=/usr/local/sbin/ipmemd -f" "$d/usr/local/lib/systemd/system/ipmemd.service" &&
	out=$(MANPATH=$d/usr/local/share/man systemd-analyze verify "$tmp/units/ipmemd.service" "$tmp/units/ipmem-swap@4G.service" 2>&1) &&
	[ -z "$out" ]
rc=$?
[ -z "${out:-}" ] || echo "$out" | sed 's/^/# /'
ok $rc "systemd-analyze verify says nothing about ipmemd.service and ipmem-swap@4G.service"

# every manual page renders, at the width of a terminal, without a warning
# from man, tbl or troff
bad=""
for m in "$d"/usr/local/share/man/man*/*; do
	w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null)
	[ -z "$w" ] || { bad="$bad ${m##*/}"; echo "$w" | sed "s|^|# ${m##*/}: |"; }
done
[ -z "$bad" ] && [ "$(ls "$d"/usr/local/share/man/man*/* | wc -l)" -eq 5 ]
ok $? "man -l renders the five manual pages without warnings${bad:+ (not:$bad)}"

"$d/usr/local/sbin/ipmem-swap" start >/dev/null 2>&1
[ $? -eq 2 ]
ok $? "ipmem-swap without a size is a usage error (2)"

# an ipmemd.conf the administrator changed survives uninstall
echo "# mine" >>"$d/etc/ipmem/ipmemd.conf"
make -s uninstall DESTDIR="$d" >"$tmp/uninstall.log" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/uninstall.log"
left=$(cd "$d" && find . -type f | sort)
[ $rc -eq 0 ] && [ "$left" = "./etc/ipmem/ipmemd.conf" ]
rc=$?
[ $rc -eq 0 ] || echo "$left" | sed 's/^/# left: /'
ok $rc "make uninstall removes everything but the changed ipmemd.conf"

rm -rf "$d"
make -s install DESTDIR="$d" PREFIX=/usr SYSCONFDIR=/etc >/dev/null 2>&1 &&
	grep -q "^ExecStart=/usr/sbin/ipmemd " "$d/usr/lib/systemd/system/ipmemd.service" &&
	[ -x "$d/usr/sbin/ipmemctl" ]
ok $? "PREFIX=/usr installs into /usr/sbin and the unit runs /usr/sbin/ipmemd"
