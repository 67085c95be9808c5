# SPDX-License-Identifier: GPL-2.0
#
# GoBGP gRPC client, included by the top-level Makefile (which provides
# BUILD, CC and USR_CFLAGS, and optionally SAN).
#
# The C bindings are generated at build time by protoc-c from the .proto
# files of golang-github-osrg-gobgp-dev (gobgp.proto imports the well-known
# any/empty/timestamp types, attribute.proto imports gobgp.proto; nothing
# imports capability.proto) and from libprotobuf-dev's well-known types.
#
# A program using the client compiles with $(GOBGP_CFLAGS), and links
# $(GOBGP_SRCS) (or its own objects of them) with $(GOBGP_GEN_OBJS) and
# $(GOBGP_LIBS); it must depend on $(GOBGP_GEN_HDRS) so the generated
# headers exist before it is compiled.

GOBGP_PROTO_DIR ?= /usr/share/gocode/src/github.com/osrg/gobgp/api
GOBGP_WKT_DIR ?= /usr/include
GOBGP_GEN := $(BUILD)/gen

GOBGP_PROTOS := gobgp.proto attribute.proto
GOBGP_WKT := google/protobuf/any.proto google/protobuf/empty.proto \
	google/protobuf/timestamp.proto

GOBGP_SRCS := helper/gobgp/gobgp.c helper/gobgp/transport.c
GOBGP_HDRS := helper/gobgp/gobgp.h helper/gobgp/gobgp-int.h
GOBGP_GEN_SRCS := $(patsubst %.proto,$(GOBGP_GEN)/%.pb-c.c,\
	$(GOBGP_PROTOS) $(GOBGP_WKT))
GOBGP_GEN_HDRS := $(GOBGP_GEN_SRCS:.c=.h)
GOBGP_GEN_OBJS := $(GOBGP_GEN_SRCS:.c=.o)

# grpc_unsecure is enough (the API is plain TCP on loopback) and smaller.
GOBGP_GRPC := $(shell pkg-config --exists grpc_unsecure 2>/dev/null && \
	echo grpc_unsecure || echo grpc)
GOBGP_PKGS := $(GOBGP_GRPC) gpr libprotobuf-c
GOBGP_CFLAGS := -I$(GOBGP_GEN) -pthread \
	$(shell pkg-config --cflags $(GOBGP_PKGS) 2>/dev/null)
GOBGP_LIBS := -pthread $(shell pkg-config --libs $(GOBGP_PKGS) 2>/dev/null)

# Generated code is built once, without our warnings (it is not ours).
GOBGP_PBC_CFLAGS := $(shell pkg-config --cflags libprotobuf-c 2>/dev/null)
GOBGP_GEN_CFLAGS = $(or $(CFLAGS),-O2 -g) -std=gnu11 -I$(GOBGP_GEN) \
	$(GOBGP_PBC_CFLAGS)

# One protoc-c run writes every file (grouped target, GNU make >= 4.3).
$(GOBGP_GEN_SRCS) $(GOBGP_GEN_HDRS) &: \
		$(addprefix $(GOBGP_PROTO_DIR)/,$(GOBGP_PROTOS)) \
		$(addprefix $(GOBGP_WKT_DIR)/,$(GOBGP_WKT)) \
		helper/gobgp/gobgp.mk
	@mkdir -p $(GOBGP_GEN)
	protoc-c -I$(GOBGP_PROTO_DIR) -I$(GOBGP_WKT_DIR) \
		--c_out=$(GOBGP_GEN) $(GOBGP_PROTOS) $(GOBGP_WKT)

$(GOBGP_GEN)/%.pb-c.o: $(GOBGP_GEN)/%.pb-c.c | $(GOBGP_GEN_HDRS)
	$(CC) $(GOBGP_GEN_CFLAGS) -c -o $@ $<

# The self test starts two gobgpd.  It is a unit test too, so it is built
# here for $(BUILD)/unit/ as well: the generic $(BUILD)/unit/% rule knows
# nothing of gRPC.  Sanitizers ($(SAN)) are fine with gRPC core.
$(BUILD)/gobgp-selftest $(BUILD)/unit/gobgp-selftest: \
		tests/unit/gobgp-selftest.c $(GOBGP_SRCS) $(GOBGP_HDRS) \
		$(GOBGP_GEN_OBJS) | $(GOBGP_GEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USR_CFLAGS) $(SAN) $(GOBGP_CFLAGS) -o $@ \
		tests/unit/gobgp-selftest.c $(GOBGP_SRCS) $(GOBGP_GEN_OBJS) \
		$(GOBGP_LIBS)
