// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: ipmemd's decoder of the BGP routes every speaker can
 * send (helper/ipmemd/codec.c, ibgp_decode()).  The input is a path as
 * GoBGP hands it over: prefix, length, next hop and large communities.
 * Besides memory safety (ASan, UBSan) it checks that a route the decoder
 * accepts encodes again, and decodes to the same route.
 */
#include <stdlib.h>
#include <string.h>

#include "ipmemd/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ibgp_ctx ctx = {
	.asn = 65077,
	.net = { 0xfd, 0x69, 0x70, 0x6d, 0x65, 0x6d },
};

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ibgp_route out, again;
	struct gbgp_route in, enc;
	char why[256];
	size_t i, n;

	if (size < 34)
		return 0;
	memset(&in, 0, sizeof(in));
	memcpy(&in.prefix, data, 16);
	in.plen = data[16];
	memcpy(&in.nexthop, data + 17, 16);
	n = data[33] % (GBGP_MAX_LARGE + 1);
	data += 34;
	size -= 34;
	for (i = 0; i < n && size >= 12; i++, data += 12, size -= 12) {
		in.large[i].global_admin = le32(data);
		in.large[i].local1 = le32(data + 4);
		in.large[i].local2 = le32(data + 8);
	}
	in.nlarge = i;

	memset(&out, 0, sizeof(out));
	if (ibgp_decode(&ctx, &in, &out, why, sizeof(why)))
		return 0;
	/* what is accepted is a route ipmemd could have sent itself */
	memset(&enc, 0, sizeof(enc));
	if (ibgp_encode(&ctx, &out, &enc))
		abort();
	memset(&again, 0, sizeof(again));
	if (ibgp_decode(&ctx, &enc, &again, why, sizeof(why)))
		abort();
	if (memcmp(&out, &again, sizeof(out)))
		abort();
	return 0;
}
