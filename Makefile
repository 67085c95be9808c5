# SPDX-License-Identifier: GPL-2.0
#
# ipmem: swap to memory lent by other hosts, over RDMA.
#
#   make            build ipmem.ko (for every installed kernel) and the
#                   userspace programs
#   make tools      only ipmemctl and ipmemd (needs scripts/setup tools)
#   make demo       install what is missing, build, boot guests and swap
#                   to remote memory (Documentation/demo.rst)
#   make check      install what is missing, build, run every test tier
#                   (on the newest kernel; a part of it on the others)
#   make lint       checkpatch over kernel/ and include/
#   make bench      the swap benchmark (see Documentation/benchmark.rst)
#   make debug-kernel  build (once) a guest kernel with KASAN, lockdep,
#                   DEBUG_OBJECTS and kmemleak from linux-source-6.1
#   make check-debug   the guest scenarios under that kernel
#   make fuzz       the libFuzzer targets, FUZZ_SECONDS each (default 20)
#   make install    programs, units, snippets, docs, man pages and ipmem.ko
#                   (DESTDIR, PREFIX; make uninstall takes them out again)
#   make dkms-src   the module's sources for DKMS, in /usr/src/ipmem-VERSION
#   make man        ipmemctl(8), ipmemd(8), ipmem-swap(8), ipmemd.conf(5) and
#                   ipmem(4) into build/man/
#   make deb        the ipmem and ipmem-dkms packages into build/deb/
#   make check-packages  the packages installed into a fresh Debian root,
#                   the two-host demo run from it (Documentation/testing.rst)
#   make wire-test-module  a module of wire protocol 99, for 13-versions.t
#
# The module is built for every kernel whose headers are installed, and
# the tests run on the newest: scripts/kernels is the rule.  KVERS= picks
# the kernels (a list of releases, e.g. KVERS=6.1.0-56-amd64); KVER is the
# newest of them.  Each build is build/kmod/RELEASE/ipmem.ko.

# (recursively expanded: evaluated when used, after scripts/setup ran)
KVERS ?= $(shell scripts/kernels)
KVER ?= $(lastword $(KVERS))
BUILD ?= $(CURDIR)/build
V ?= 0

export KVERS KVER BUILD

CC ?= gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
	-Wstrict-prototypes -Wmissing-prototypes
USR_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Ihelper
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

.PHONY: all module wire-test-module tools install install-tools \
	install-module uninstall dkms-src man deb check-packages helpers check unit scenarios demo demo-static \
	lint bench clean setup setup-check tools-check debug-kernel check-debug fuzz \
	fuzz-seeds

all: module helpers

# ---------------------------------------------------------------- kernel

# each kernel's build in a copy of the sources (scripts/build-module)
module:
	@scripts/setup module --check
	@[ -n "$(strip $(KVERS))" ] || { echo "ipmem: no kernel headers (linux-headers-*) installed: run scripts/setup" >&2; exit 1; }
	@set -e; for k in $(KVERS); do \
		scripts/build-module $$k $(BUILD)/kmod/$$k; done

# a module that speaks another wire protocol (99), for 13-versions.t
wire-test-module:
	@set -e; for k in $(KVERS); do \
		scripts/build-module $$k $(BUILD)/kmod/$$k-wire99 \
			-DIPMEM_TEST_WIRE_VERSION=99; done

# ------------------------------------------------------------ userspace

NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
# ipmemd's routes in the kernel (helper/ipmemd/kroute.c)
NLROUTE_LIBS := $(shell pkg-config --libs libnl-route-3.0 2>/dev/null)

COMMON_SRCS := helper/nl.c helper/out.c helper/parse.c helper/secret.c
# ipmemd.mk adds CTL_EXTRA_SRCS: the ipmemd client (borrow, release)
CTL_SRCS = helper/ipmemctl.c $(COMMON_SRCS) $(CTL_EXTRA_SRCS)

include helper/gobgp/gobgp.mk
include helper/ipmemd/ipmemd.mk

TEST_TOOLS := $(BUILD)/memtouch $(BUILD)/nlraw $(BUILD)/nlfuzz \
	$(BUILD)/ipmem-probe

helpers: $(BUILD)/ipmemctl $(TEST_TOOLS) $(IPMEMD_PROGS)

# the userspace programs alone: only their build dependencies needed
tools: $(BUILD)/ipmemctl $(IPMEMD_PROGS)

$(BUILD)/ipmemctl $(IPMEMD_PROGS) $(GOBGP_GEN_SRCS): | tools-check

$(BUILD)/ipmemctl: $(CTL_SRCS) $(wildcard helper/*.h include/ipmem/*.h)
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) $(NL_CFLAGS) $(LDFLAGS) -o $@ $(CTL_SRCS) $(NL_LIBS)

# ----------------------------------------------------------------- tests

# programs the guest scenarios run
$(BUILD)/memtouch: tests/tools/memtouch.c
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) -o $@ $<

$(BUILD)/ipmem-probe: tests/tools/ipmem-probe.c $(wildcard include/ipmem/*.h)
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) -o $@ $< -lrdmacm -libverbs -lcrypto

$(BUILD)/nlraw: tests/tools/nlraw.c helper/nl.c helper/nl.h include/ipmem/netlink.h
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) $(NL_CFLAGS) -o $@ $< helper/nl.c $(NL_LIBS)

$(BUILD)/nlfuzz: tests/tools/nlfuzz.c helper/nl.c helper/nl.h helper/parse.c \
		include/ipmem/netlink.h
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) $(NL_CFLAGS) -o $@ $< helper/nl.c helper/parse.c \
		$(NL_LIBS)

# libFuzzer targets (tests/fuzz/): clang with ASan and UBSan
FUZZ_TARGETS := route conf parse
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz-%,$(FUZZ_TARGETS))
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter \
	-std=gnu11 -D_GNU_SOURCE -Iinclude -Ihelper
FUZZ_SRCS := $(IPMEMD_PURE) helper/parse.c

$(BUILD)/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_SRCS) \
		$(wildcard helper/*.h helper/ipmemd/*.h include/ipmem/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS)

# the seed corpus of fuzz-route, regenerated from the encoder
fuzz-seeds: tests/fuzz/mkseeds.c $(FUZZ_SRCS)
	@mkdir -p $(BUILD)/fuzz tests/fuzz/corpus/route
	$(CC) $(USR_CFLAGS) -o $(BUILD)/fuzz/mkseeds $< $(FUZZ_SRCS)
	$(BUILD)/fuzz/mkseeds tests/fuzz/corpus/route

fuzz: $(FUZZ_BINS)
	scripts/run-tests tests/fuzz/fuzz.t

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,\
	$(filter-out tests/unit/tap.c,$(wildcard tests/unit/*.c)))

# pure logic only: the address format and the parsers
UNIT_SRCS := helper/parse.c

$(BUILD)/unit/%: tests/unit/%.c tests/unit/tap.h $(wildcard include/ipmem/*.h) \
		$(UNIT_SRCS)
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) $(SAN) -Itests/unit -o $@ $< $(UNIT_SRCS)

unit: $(UNIT_TESTS)
	prove -f $(UNIT_TESTS)

# On every other kernel (of KVERS) the module, DKMS and lender-loss
# scenarios run too: 31 swaps between two guests over RDMA, verifying
# every page, and loses the lender under it - the module's whole data
# path, its error path included (on 6.1 also the rw_page path).  The
# loopback swap and BGP scenarios are left to the first kernel: what they
# add (one guest for both roles, ipmemd, gobgpd) does not depend on it,
# and the time make check may take does.
OTHER_KERNEL_SCENARIOS := tests/scenario/01-module.t \
	tests/scenario/14-dkms.t tests/scenario/31-lender-loss.t

# Every tier, counted together: the last line is "N passed, N failed, N skipped".
check: setup
	$(MAKE) all wire-test-module $(UNIT_TESTS) $(FUZZ_BINS)
	scripts/run-tests $(UNIT_TESTS) tests/fuzz/fuzz.t tests/cli/cli.t \
		tests/cli/completion.t \
		tests/install/install.t \
		KVER=$(KVER) tests/scenario/*.t \
		$(foreach k,$(filter-out $(KVER),$(KVERS)),\
			KVER=$(k) $(OTHER_KERNEL_SCENARIOS))

scenarios: all
	scripts/run-tests tests/scenario/*.t

demo: setup
	$(MAKE) all
	tests/demo-bgp.sh

# the same without BGP: two guests configured by hand with ipmemctl
demo-static: setup
	$(MAKE) all
	tests/demo.sh

bench: setup-check all
	tests/bench.sh

# ------------------------------------------------------ the debug kernel

DEBUG_DIR := $(BUILD)/debug-kernel
# the scenarios of the module, swap, lifecycle, faults and isolation
DEBUG_SCENARIOS := $(wildcard tests/scenario/0*.t tests/scenario/1[01]-*.t \
	tests/scenario/3*.t tests/scenario/4[0-3]-*.t)

debug-kernel:
	@scripts/setup debug
	scripts/debug-kernel $(BUILD)

# ipmem.ko for the debug kernel, built in a copy of the sources (the
# tree's own ipmem.ko is the Debian kernel's)
check-debug: debug-kernel helpers
	rm -rf $(DEBUG_DIR)/ipmem
	mkdir -p $(DEBUG_DIR)/ipmem
	cp -r Kbuild kernel include $(DEBUG_DIR)/ipmem/
	$(MAKE) -C $(DEBUG_DIR)/src M=$(DEBUG_DIR)/ipmem W=1 modules
	KVER=$$(cat $(DEBUG_DIR)/kver) H_KERNEL=$(DEBUG_DIR)/bzImage \
	H_MODROOT=$(DEBUG_DIR)/root IPMEM_KO=$(DEBUG_DIR)/ipmem/ipmem.ko \
	H_MEM_EXTRA=$${H_MEM_EXTRA:-1024} H_CPU=max,la57=off \
	H_SLOW=$${H_SLOW:-4} CYCLES=$${CYCLES:-4} \
	IPMEM_PARAMS=$${IPMEM_PARAMS-io_fail_tmo=60 ack_timeout=20 queue_depth=16} \
	TEST_TIMEOUT=$${TEST_TIMEOUT:-5400} \
		scripts/run-tests $(DEBUG_SCENARIOS)

# ------------------------------------------------------------------ lint

CHECKPATCH := $(BUILD)/checkpatch/checkpatch.pl

$(CHECKPATCH):
	scripts/get-checkpatch $(@D)

LINT_SRCS := $(filter-out kernel/ipmem_compat.h,\
	$(wildcard kernel/*.c kernel/*.h include/ipmem/*.h))

# ipmem_compat.h is the one place that tests kernel versions, and its
# IPMEM_BDEV_OPEN defines a function (the "flow control" checkpatch sees)
lint: $(CHECKPATCH)
	perl $(CHECKPATCH) --no-tree --strict --terse --show-types \
		-f $(LINT_SRCS)
	perl $(CHECKPATCH) --no-tree --strict --terse --show-types \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_WITH_FLOW_CONTROL \
		-f kernel/ipmem_compat.h

# --------------------------------------------------------------- install

VERSION := $(shell sed -n 's/^\#define IPMEM_VERSION[[:space:]]*"\(.*\)"/\1/p' \
	include/ipmem/version.h)
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/ipmem
# where DKMS takes module sources from
DKMS_SRCDIR ?= /usr/src/ipmem-$(VERSION)
MODULES_DIR ?= /lib/modules

# the module's sources as DKMS builds them (dkms add -m ipmem -v VERSION)
dkms-src:
	install -d $(DESTDIR)$(DKMS_SRCDIR)/kernel $(DESTDIR)$(DKMS_SRCDIR)/include/ipmem
	install -m 0644 Kbuild dkms.conf $(DESTDIR)$(DKMS_SRCDIR)/
	install -m 0644 kernel/*.c kernel/*.h $(DESTDIR)$(DKMS_SRCDIR)/kernel/
	install -m 0644 include/ipmem/*.h $(DESTDIR)$(DKMS_SRCDIR)/include/ipmem/

MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
MAN_PAGES := $(BUILD)/man/ipmemctl.8 $(BUILD)/man/ipmemd.8 \
	$(BUILD)/man/ipmem-swap.8 $(BUILD)/man/ipmemd.conf.5 $(BUILD)/man/ipmem.4

man: $(MAN_PAGES)

$(BUILD)/man/ipmemctl.8: Documentation/ipmemctl.rst scripts/mkman include/ipmem/version.h
	scripts/mkman ipmemctl 8 "control the ipmem module, lend and borrow memory" $< $@

$(BUILD)/man/ipmemd.8: Documentation/ipmemd.rst scripts/mkman include/ipmem/version.h
	scripts/mkman ipmemd 8 "the ipmem control plane: BGP, reservations and grants" $< $@

$(BUILD)/man/ipmem-swap.8: Documentation/ipmem-swap.rst scripts/mkman include/ipmem/version.h
	scripts/mkman ipmem-swap 8 "swap on memory borrowed through ipmemd" $< $@

$(BUILD)/man/ipmemd.conf.5: Documentation/ipmemd.rst scripts/mkman include/ipmem/version.h
	scripts/mkman ipmemd.conf 5 "the configuration of ipmemd" $< $@ \
		"Configuration file"

# the module: its parameters, sysfs, debugfs, states and messages
$(BUILD)/man/ipmem.4: Documentation/admin-guide.rst scripts/mkman include/ipmem/version.h
	scripts/mkman ipmem 4 "swap to memory other hosts lend, over RDMA" $< $@ \
		"Loading the module" "Module parameters" "sysfs" "debugfs" \
		"What the states mean" "Kernel messages"

# ipmemctl, ipmemd, their systemd units and configuration snippets, the
# documentation and manual pages (install-tools); and ipmem.ko for every
# kernel built (KVERS), into MODULES_DIR/RELEASE/updates (install-module;
# depmod runs when DESTDIR is empty).  An existing /etc/ipmem/ipmemd.conf
# is kept.
install: install-tools install-module

install-tools: tools man
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/ipmem $(DESTDIR)$(DOCDIR)/examples \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d $(DESTDIR)$(SYSCONFDIR)/modprobe.d
	install -m 0755 $(BUILD)/ipmemctl $(BUILD)/ipmemd scripts/ipmem-swap \
		$(DESTDIR)$(SBINDIR)/
	for u in ipmemd.service ipmem-swap@.service; do \
		sed 's|@SBINDIR@|$(SBINDIR)|g; s|@DOCDIR@|$(DOCDIR)|g' systemd/$$u \
			>$(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u; done
	install -m 0644 systemd/modules-load.conf $(DESTDIR)$(SYSCONFDIR)/modules-load.d/ipmem.conf
	install -m 0644 systemd/modprobe.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/ipmem.conf
	install -m 0644 helper/ipmemd/ipmemd.conf $(DESTDIR)$(DOCDIR)/examples/
	[ -e $(DESTDIR)$(SYSCONFDIR)/ipmem/ipmemd.conf ] || \
		install -m 0644 helper/ipmemd/ipmemd.conf $(DESTDIR)$(SYSCONFDIR)/ipmem/
	install -m 0644 README.md Documentation/*.rst $(DESTDIR)$(DOCDIR)/
	set -e; for m in $(MAN_PAGES); do \
		d=$(DESTDIR)$(MANDIR)/man$${m##*.}; install -d $$d; \
		install -m 0644 $$m $$d/; done
	install -D -m 0644 completion/ipmemctl $(DESTDIR)$(COMPLETIONDIR)/ipmemctl

install-module: module
	set -e; for k in $(KVERS); do \
		install -D -m 0644 $(BUILD)/kmod/$$k/ipmem.ko \
			$(DESTDIR)$(MODULES_DIR)/$$k/updates/ipmem.ko; \
		[ -n "$(DESTDIR)" ] || depmod -a $$k; done

# what install put there; /etc/ipmem/ipmemd.conf stays if it was changed
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ipmemctl $(DESTDIR)$(SBINDIR)/ipmemd \
		$(DESTDIR)$(SBINDIR)/ipmem-swap \
		$(DESTDIR)$(UNITDIR)/ipmemd.service $(DESTDIR)$(UNITDIR)/ipmem-swap@.service \
		$(DESTDIR)$(SYSCONFDIR)/modules-load.d/ipmem.conf \
		$(DESTDIR)$(SYSCONFDIR)/modprobe.d/ipmem.conf
	cmp -s helper/ipmemd/ipmemd.conf $(DESTDIR)$(SYSCONFDIR)/ipmem/ipmemd.conf && \
		rm -f $(DESTDIR)$(SYSCONFDIR)/ipmem/ipmemd.conf || true
	-rmdir $(DESTDIR)$(SYSCONFDIR)/ipmem 2>/dev/null
	rm -rf $(DESTDIR)$(DOCDIR)
	for m in $(notdir $(MAN_PAGES)); do \
		rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$$m; done
	rm -f $(DESTDIR)$(COMPLETIONDIR)/ipmemctl
	set -e; for k in $(KVERS); do \
		rm -f $(DESTDIR)$(MODULES_DIR)/$$k/updates/ipmem.ko; \
		[ -n "$(DESTDIR)" ] || depmod -a $$k; done

# ------------------------------------------------------------- packages

DEB_DIR := $(BUILD)/deb

# ipmem_VERSION_ARCH.deb and ipmem-dkms_VERSION_all.deb in build/deb/,
# built with debhelper and dh-dkms from a copy of the tracked files, and
# checked with lintian (errors fail the build)
deb:
	@scripts/setup deb --check
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/ipmem-$(VERSION)
	git ls-files -z | tar --null -cf - -T - | tar -xf - -C $(DEB_DIR)/ipmem-$(VERSION)
	cd $(DEB_DIR)/ipmem-$(VERSION) && dpkg-buildpackage -b -us -uc
	lintian --fail-on error $(DEB_DIR)/ipmem_$(VERSION)_*.deb \
		$(DEB_DIR)/ipmem-dkms_$(VERSION)_all.deb

# a fresh Debian root, the packages installed with apt, the two-host demo
# booted from it (tests/packages/packages.t; not part of make check)
check-packages: deb $(BUILD)/memtouch
	scripts/run-tests tests/packages/packages.t

# ----------------------------------------------------------------- misc

# Stops with the list of missing packages and the command that installs them.
setup-check:
	@scripts/setup --check

tools-check:
	@scripts/setup tools --check

# Installs what is missing (as root); quick when nothing is.
setup:
	@scripts/setup

clean:
	rm -rf $(BUILD)
