# SPDX-License-Identifier: GPL-2.0
#
# ipmem: swap to memory lent by other hosts, over RDMA.
#
#   make            build ipmem.ko and the userspace programs
#   make demo       install what is missing, build, boot guests and swap
#                   to remote memory (Documentation/demo.rst)
#   make check      install what is missing, build, run every test tier
#   make lint       checkpatch over kernel/ and include/
#   make bench      the swap benchmark (see Documentation/benchmark.rst)
#
# The module is built against Debian's 6.1 headers (the newest installed
# linux-headers-*-amd64); set KDIR to build against another tree.

KDIR ?= $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))
KVER ?= $(patsubst linux-headers-%,%,$(notdir $(KDIR)))
BUILD ?= $(CURDIR)/build
V ?= 0

export KDIR KVER BUILD

CC ?= gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
	-Wstrict-prototypes -Wmissing-prototypes
USR_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Ihelper
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

.PHONY: all module helpers check unit scenarios demo demo-static lint \
	bench clean setup setup-check

all: module helpers

# ---------------------------------------------------------------- kernel

module: setup-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# ------------------------------------------------------------ userspace

NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)

COMMON_SRCS := helper/nl.c helper/parse.c
# ipmemd.mk adds CTL_EXTRA_SRCS: the ipmemd client (borrow, release)
CTL_SRCS = helper/ipmemctl.c $(COMMON_SRCS) $(CTL_EXTRA_SRCS)

include helper/gobgp/gobgp.mk
include helper/ipmemd/ipmemd.mk

TEST_TOOLS := $(BUILD)/memtouch $(BUILD)/nlraw $(BUILD)/ipmem-probe

helpers: $(BUILD)/ipmemctl $(TEST_TOOLS) $(IPMEMD_PROGS)

$(BUILD)/ipmemctl: $(CTL_SRCS) $(wildcard helper/*.h include/ipmem/*.h) \
		| setup-check
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) $(NL_CFLAGS) -o $@ $(CTL_SRCS) $(NL_LIBS)

# ----------------------------------------------------------------- tests

# programs the guest scenarios run
$(BUILD)/memtouch: tests/tools/memtouch.c
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) -o $@ $<

$(BUILD)/ipmem-probe: tests/tools/ipmem-probe.c $(wildcard include/ipmem/*.h)
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) -o $@ $< -lrdmacm -libverbs

$(BUILD)/nlraw: tests/tools/nlraw.c helper/nl.c helper/nl.h include/ipmem/netlink.h
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) $(NL_CFLAGS) -o $@ $< helper/nl.c $(NL_LIBS)

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

# Every tier, counted together: the last line is "N passed, N failed, N skipped".
check: setup
	$(MAKE) all $(UNIT_TESTS)
	scripts/run-tests $(UNIT_TESTS) tests/scenario/*.t

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

# ------------------------------------------------------------------ lint

CHECKPATCH := $(BUILD)/checkpatch/checkpatch.pl

$(CHECKPATCH):
	scripts/get-checkpatch $(@D)

lint: $(CHECKPATCH)
	perl $(CHECKPATCH) --no-tree --strict --terse --show-types \
		-f kernel/*.c kernel/*.h include/ipmem/*.h

# ----------------------------------------------------------------- misc

# Stops with the list of missing packages and the command that installs them.
setup-check:
	@scripts/setup --check

# Installs what is missing (as root); quick when nothing is.
setup:
	@scripts/setup

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)
