/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing what people type: sizes, host ids, prefixes.  Pure functions,
 * unit tested (tests/unit/parse.c).
 */
#ifndef IPMEM_HELPER_PARSE_H
#define IPMEM_HELPER_PARSE_H

#include <stdint.h>
#include <netinet/in.h>

/* The network prefix used when none is configured: fd69:706d:656d::/48. */
#define IPMEM_DEFAULT_NET "fd69:706d:656d::"

int ipmem_parse_size(const char *s, uint64_t *out);
int ipmem_parse_host_id(const char *s, uint32_t *out);
int ipmem_parse_prefix(const char *s, uint8_t addr[16], uint8_t *plen);
int ipmem_parse_addr(const char *s, uint8_t addr[16]);
int ipmem_parse_u32(const char *s, uint32_t *out);
void ipmem_format_size(uint64_t bytes, char *buf, size_t len);
void ipmem_format_host_id(uint32_t id, char *buf, size_t len);

#endif
