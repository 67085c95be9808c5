// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* Decimal or 0x-hex, the whole string, fitting 32 bits. */
int ipmem_parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * "4096", "64K", "512M", "2G", "1T" (powers of 1024, optional "iB"/"B").
 * No negative numbers, no overflow.
 */
int ipmem_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 0:
		break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default:
		return -EINVAL;
	}
	if (shift && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

/*
 * A host id as the address format writes it ("c0a8:a010"), as a number
 * ("0xc0a8a010", "3232276496"), or as the IPv4 address it comes from
 * ("192.168.160.16").
 */
int ipmem_parse_host_id(const char *s, uint32_t *out)
{
	unsigned int hi, lo;
	struct in_addr a4;
	int n = 0;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		*out = ntohl(a4.s_addr);
		return 0;
	}
	if (sscanf(s, "%4x:%4x%n", &hi, &lo, &n) == 2 && !s[n] &&
	    isxdigit((unsigned char)s[0]))
	{
		*out = hi << 16 | lo;
		return 0;
	}
	return ipmem_parse_u32(s, out);
}

int ipmem_parse_addr(const char *s, uint8_t addr[16])
{
	return inet_pton(AF_INET6, s, addr) == 1 ? 0 : -EINVAL;
}

/* "ADDR/LEN", or a bare "ADDR" for a /128. */
int ipmem_parse_prefix(const char *s, uint8_t addr[16], uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	uint32_t len = 128;
	size_t n;

	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return -EINVAL;
	if (slash) {
		if (!isdigit((unsigned char)slash[1]) ||
		    ipmem_parse_u32(slash + 1, &len) || len > 128)
			return -EINVAL;
	}
	*plen = len;
	return 0;
}

void ipmem_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	int i;

	for (i = 4; i > 0; i--) {
		uint64_t unit = 1ULL << (10 * i);

		if (bytes >= unit && !(bytes % unit)) {
			snprintf(buf, len, "%" PRIu64 "%ciB", bytes / unit,
				 units[i - 1]);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64 "B", bytes);
}

void ipmem_format_host_id(uint32_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%04x:%04x", id >> 16, id & 0xffff);
}
