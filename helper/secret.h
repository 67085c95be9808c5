/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Secrets in files only root may read: a BGP password, a host's private
 * key.  Shared by ipmemctl and ipmemd.
 */
#ifndef IPMEM_HELPER_SECRET_H
#define IPMEM_HELPER_SECRET_H

#include <stddef.h>
#include <stdint.h>

#define IPMEM_KEY_LEN	32	/* a Curve25519 key */

/*
 * The first line of @path, without its newline, into @buf (@size bytes,
 * the line must be shorter).  @path must be a regular file of our uid
 * that only we may read (mode 0600 or stricter).  Returns 0, or -1 with
 * @err saying why (never the content).
 */
int ipmem_read_secret(const char *path, char *buf, size_t size, char *err,
		      size_t errlen);

/* 64 hex digits, nothing else, into 32 bytes: 0, or -1. */
int ipmem_parse_key(const char *s, uint8_t key[IPMEM_KEY_LEN]);
void ipmem_format_key(const uint8_t key[IPMEM_KEY_LEN], char *out);

#endif
