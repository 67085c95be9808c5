// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/*
 * Decimal, or hex after "0x", the whole string, fitting 32 bits.  No sign,
 * no space, and no octal: "010" is ten, as a person who types it means.
 */
int ipmem_parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!isxdigit((unsigned char)*s) ||
	    (base == 10 && !isdigit((unsigned char)*s)))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

/* 1 to 4 hex digits, ending at @end: one group of a host id. */
static int parse_group(const char *s, const char *end, unsigned int *out)
{
	unsigned int v = 0;
	const char *p;

	if (end - s < 1 || end - s > 4)
		return -EINVAL;
	for (p = s; p < end; p++) {
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
		v = v << 4 | (isdigit((unsigned char)*p) ? *p - '0' :
			      (tolower((unsigned char)*p) - 'a' + 10));
	}
	*out = v;
	return 0;
}

/*
 * "4096", "4096B", "64K", "512M", "2G", "1T" (powers of 1024, optional
 * "iB"/"B"): everything ipmem_format_size() prints.  No negative
 * numbers, no overflow.
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
	case 'B':
		if (end[1])
			return -EINVAL;
		end++;
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
	const char *colon = strchr(s, ':');
	unsigned int hi, lo;
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		*out = ntohl(a4.s_addr);
		return 0;
	}
	if (colon) {
		if (parse_group(s, colon, &hi) ||
		    parse_group(colon + 1, colon + 1 + strlen(colon + 1), &lo))
			return -EINVAL;
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
		/* decimal, as ip(8) writes it: "/0" but not "/010" or "/0x40" */
		n = strspn(slash + 1, "0123456789");
		if (!n || n > 3 || slash[1 + n] ||
		    (slash[1] == '0' && n > 1) ||
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
