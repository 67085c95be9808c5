// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the parsers of what people type (helper/parse.c) on
 * any string, for memory safety (ASan, UBSan), and for what they promise:
 * a host id prints back as it parses, a parsed size is what the string
 * says, a prefix length is at most 128.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t id, id2, u;
	uint8_t a[16], plen;
	char buf[64], *s;
	uint64_t v, v2;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	if (!ipmem_parse_host_id(s, &id)) {
		ipmem_format_host_id(id, buf, sizeof(buf));
		if (ipmem_parse_host_id(buf, &id2) || id2 != id)
			abort();
	}
	if (!ipmem_parse_size(s, &v)) {
		ipmem_format_size(v, buf, sizeof(buf));
		if (ipmem_parse_size(buf, &v2) || v2 != v)
			abort();
	}
	if (!ipmem_parse_prefix(s, a, &plen) && plen > 128)
		abort();
	if (!ipmem_parse_u32(s, &u)) {
		snprintf(buf, sizeof(buf), "%" PRIu32, u);
		if (ipmem_parse_u32(buf, &id2) || id2 != u)
			abort();
	}
	ipmem_parse_addr(s, a);
	free(s);
	return 0;
}
