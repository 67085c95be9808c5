# SPDX-License-Identifier: GPL-2.0
#
# ipmemd, the control-plane daemon, included by the top-level Makefile
# (which provides BUILD, CC, USR_CFLAGS, SAN, NL_CFLAGS/NL_LIBS and the
# GoBGP client's variables from helper/gobgp/gobgp.mk).
#
#   $(BUILD)/ipmemd        the daemon (also "ipmemd ctl ..." as a client)
#   $(BUILD)/unit/bgp      unit test of the pure logic (codec, plan, config)
#
# CTL_EXTRA_SRCS is what $(BUILD)/ipmemctl links in addition for its
# borrow/release/status commands (the client of ipmemd's socket).

IPMEMD_PROGS := $(BUILD)/ipmemd

# pure logic: no gRPC, no netlink (unit tested)
IPMEMD_PURE := helper/ipmemd/codec.c helper/ipmemd/plan.c \
	helper/ipmemd/elastic.c helper/ipmemd/config.c
IPMEMD_SRCS := $(IPMEMD_PURE) helper/ipmemd/main.c helper/ipmemd/log.c \
	helper/ipmemd/mod.c helper/ipmemd/mod_nl.c helper/ipmemd/kroute.c \
	helper/ipmemd/mod_sim.c helper/ipmemd/rib.c helper/ipmemd/bgpd.c \
	helper/ipmemd/lender.c helper/ipmemd/borrower.c helper/ipmemd/ctl.c \
	helper/ipmemd/probe.c helper/ipmemd/metrics.c \
	helper/ipmemctl_daemon.c helper/nl.c \
	helper/out.c helper/parse.c helper/secret.c
IPMEMD_HDRS := $(wildcard helper/ipmemd/*.h) helper/ipmemctl_daemon.h \
	helper/nl.h helper/out.h helper/parse.h helper/secret.h include/ipmem/bgp.h include/ipmem/addr.h \
	include/ipmem/netlink.h

CTL_EXTRA_SRCS := helper/ipmemctl_daemon.c

$(BUILD)/ipmemd: $(IPMEMD_SRCS) $(IPMEMD_HDRS) $(GOBGP_SRCS) $(GOBGP_HDRS) \
		$(GOBGP_GEN_OBJS) | $(GOBGP_GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) $(NL_CFLAGS) $(GOBGP_CFLAGS) $(LDFLAGS) -o $@ \
		$(IPMEMD_SRCS) $(GOBGP_SRCS) $(GOBGP_GEN_OBJS) \
		$(NL_LIBS) $(NLROUTE_LIBS) $(GOBGP_LIBS)

# The generic $(BUILD)/unit/% rule links only helper/parse.c.
$(BUILD)/unit/bgp: tests/unit/bgp.c tests/unit/tap.h $(IPMEMD_PURE) \
		helper/ipmemd/codec.h helper/gobgp/gobgp.h helper/parse.c \
		$(wildcard include/ipmem/*.h)
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) $(SAN) -Itests/unit -o $@ $< $(IPMEMD_PURE) \
		helper/parse.c
