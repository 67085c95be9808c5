#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# DKMS: the module's sources as make dkms-src installs them (what the
# ipmem-dkms package ships in /usr/src/ipmem-RELEASE) are added to DKMS,
# and "dkms autoinstall -k RELEASE" - what DKMS's kernel hook runs when a
# kernel package is installed - builds and installs ipmem.ko for this
# kernel.  The guest then loads it the way a host does, with modprobe,
# from /lib/modules/$(uname -r)/updates/dkms, and swaps a page through it.
# make check runs this on every kernel.
#
# DKMS runs on the host, into trees of the test's own (--dkmstree,
# --sourcetree, --installtree); the guest's /lib/modules is the host's
# with an overlay on top that receives what DKMS installed.
. "$(dirname "$0")/../lib/harness.sh"

RELEASE=$(sed -n 's/^#define IPMEM_VERSION[[:space:]]*"\(.*\)"/\1/p' "$H_TOP/include/ipmem/version.h")
D=$H_STATE/dkms
DKMS="--sourcetree $D/src/usr/src --dkmstree $D/tree --installtree $D/inst"

plan 9
command -v dkms >/dev/null || bail "no dkms (run scripts/setup)"
h_init

mkdir -p "$D/inst/$H_KVER" "$D/tree" &&
	make -s -C "$H_TOP" dkms-src DESTDIR="$D/src" >/dev/null &&
	dkms add -m ipmem -v "$RELEASE" $DKMS >"$D/add.log" 2>&1
ok $? "make dkms-src, then dkms add ipmem/$RELEASE"

dkms autoinstall -k "$H_KVER" $DKMS >"$D/autoinstall.log" 2>&1
rc=$?
ko=$(ls "$D/inst/$H_KVER/updates/dkms/"ipmem.ko* 2>/dev/null | head -n 1)
[ $rc -eq 0 ] && [ -n "$ko" ] && dkms status -m ipmem $DKMS 2>/dev/null | grep -q "^ipmem/$RELEASE, $H_KVER, x86_64: installed"
rc=$?
[ $rc -eq 0 ] || diag "$(tail -n 30 "$D/autoinstall.log")"
ok $rc "dkms autoinstall -k $H_KVER builds and installs it: $(basename "${ko:-none}"), status installed"

is "$(modinfo -F version "$ko") $(modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$RELEASE $H_KVER" \
	"the DKMS-built module is release $RELEASE for $H_KVER"

# What DKMS's install does in /lib/modules/RELEASE, the module in
# updates/dkms and depmod, is done here in a tree of the test's own: the
# kernel's modules linked in, depmod run natively (in the guest, under
# TCG, depmod unpacking every .ko.xz over 9p took a minute).
M=$D/root/lib/modules/$H_KVER
[ -d "/lib/modules/$H_KVER/kernel" ] || bail "no /lib/modules/$H_KVER/kernel (the guest kernel's modules)"
rm -rf "$D/root" && mkdir -p "$M/updates" &&
	for f in /lib/modules/"$H_KVER"/*; do
		case ${f##*/} in
		modules.order | modules.builtin | modules.builtin.modinfo) cp "$f" "$M/" ;;
		modules.* | updates) ;;
		*) ln -s "$f" "$M/" ;;
		esac
	done &&
	cp -r "$D/inst/$H_KVER/updates/dkms" "$M/updates/" &&
	depmod -b "$D/root" "$H_KVER" 2>"$D/depmod.log" &&
	grep -q '^updates/dkms/ipmem\.ko' "$M/modules.dep"
ok $? "depmod indexes it from updates/dkms" || diag "$(cat "$D/depmod.log")"

g_boot g1 || bail "guest g1 did not boot"
g_run g1 "modprobe overlay && mkdir -p /tmp/ov/u /tmp/ov/w &&
	mount -t overlay overlay -o lowerdir=/lib/modules,upperdir=/tmp/ov/u,workdir=/tmp/ov/w /lib/modules &&
	cp -r $M/updates $M/modules.* /lib/modules/\$(uname -r)/ &&
	modinfo -n ipmem | grep -q '^/lib/modules/'\$(uname -r)'/updates/dkms/ipmem.ko' &&
	modprobe ipmem && test \"\$(cat /sys/module/ipmem/version)\" = $RELEASE"
ok $? "modprobe ipmem loads /lib/modules/\$(uname -r)/updates/dkms/ipmem.ko, release $RELEASE"

g_keys g1 || bail "cannot provision host keys"
LID=$(g_run g1 host_id)
g_run g1 "ipmemctl lend 16M dev eth0 &&
	ipmemctl grant add \$(block_prefix $LID 256) borrower $LID rights rw &&
	ipmemctl route add \$IPMEM_NET:$LID::/80 via \$(my_ip6) &&
	ipmemctl disk create 16M &&
	ipmemctl map add \$(block_prefix $LID 256) disk ipmem0 >/dev/null &&
	head -c 1M /dev/urandom > /tmp/d &&
	dd if=/tmp/d of=/dev/ipmem0 bs=1M oflag=direct status=none &&
	dd if=/dev/ipmem0 bs=1M count=1 iflag=direct status=none | cmp - /tmp/d"
ok $? "with it, g1 lends to itself and 1 MiB written to /dev/ipmem0 reads back"

g_run g1 "ipmemctl map del \$(block_prefix $LID 256) force >/dev/null && ipmemctl disk del ipmem0 &&
	ipmemctl grant del \$(block_prefix $LID 256) && ipmemctl lend destroy && rmmod ipmem"
ok $? "and it unloads"

dkms remove -m ipmem -v "$RELEASE" --all $DKMS >"$D/remove.log" 2>&1 &&
	! ls "$D/inst/$H_KVER/updates/dkms/"ipmem.ko* >/dev/null 2>&1 &&
	[ -z "$(dkms status -m ipmem $DKMS 2>/dev/null)" ]
ok $? "dkms remove --all takes it out again"

g_dmesg_clean g1
ok $? "nothing at warning level or above in dmesg"
h_done
