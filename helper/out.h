/* SPDX-License-Identifier: GPL-2.0 */
/*
 * out.h - one code path that prints text or JSON, in the manner of
 * iproute2's json_print.h: every value is printed once, with the format it
 * has in text and the key it has in JSON.
 *
 *   out_obj_open(NULL);
 *   out_str(OUT_ANY, "name", "%s", "ipmem0");
 *   out_u64(OUT_ANY, "size", " size %" PRIu64, size);
 *   out_text("\n");
 *   out_obj_close();
 *
 * prints "ipmem0 size 1024\n" as text and {"name":"ipmem0","size":1024} as
 * JSON.  OUT_TEXT and OUT_JSON print a value in one mode only.
 */
#ifndef IPMEM_HELPER_OUT_H
#define IPMEM_HELPER_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum out_kind { OUT_ANY, OUT_TEXT, OUT_JSON };

void out_init(bool json, bool pretty);			/* to stdout */
void out_init_file(FILE *f, bool json, bool pretty);
bool out_is_json(void);

/* objects and arrays (JSON only; @key NULL inside an array or at the top) */
void out_obj_open(const char *key);
void out_obj_close(void);
void out_arr_open(const char *key);
void out_arr_close(void);

void out_str(enum out_kind k, const char *key, const char *fmt, const char *v);
void out_u64(enum out_kind k, const char *key, const char *fmt, uint64_t v);
void out_bool(enum out_kind k, const char *key, const char *fmt, bool v);
void out_null(const char *key);
/* @json, a whole JSON value, as member @key (JSON only) */
void out_raw(const char *key, const char *json);
/* text only */
void out_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the end of the output: JSON's last newline */
void out_finish(void);

#endif
