// SPDX-License-Identifier: GPL-2.0
/*
 * out.c - text or JSON output for ipmemctl (see out.h).  The JSON is
 * written as it goes (to standard output, or the stream given): a stack of open objects and
 * arrays says where commas go.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "out.h"

#define OUT_DEPTH 16

static bool json, pretty;
static FILE *fp;		/* NULL: stdout */
#define FP (fp ? fp : stdout)
static int depth;
static unsigned int count[OUT_DEPTH];	/* members written at each level */

void out_init(bool j, bool p)
{
	out_init_file(stdout, j, p);
}

void out_init_file(FILE *f, bool j, bool p)
{
	fp = f;
	json = j;
	pretty = j && p;
	depth = 0;
	count[0] = 0;
}

bool out_is_json(void)
{
	return json;
}

static void indent(void)
{
	int i;

	if (!pretty)
		return;
	fputc('\n', FP);
	for (i = 0; i < depth; i++)
		fputs("    ", FP);
}

static void json_string(const char *s)
{
	fputc('"', FP);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(FP, "\\%c", c);
		else if (c < 0x20)
			fprintf(FP, "\\u%04x", c);
		else
			fputc(c, FP);
	}
	fputc('"', FP);
}

/* a member's separator and key */
static void member(const char *key)
{
	if (depth && count[depth]++)
		fputc(',', FP);
	if (depth)
		indent();
	if (key) {
		json_string(key);
		fputs(pretty ? ": " : ":", FP);
	}
}

static void out_open(const char *key, char c)
{
	if (!json)
		return;
	member(key);
	fputc(c, FP);
	if (depth < OUT_DEPTH - 1)
		depth++;
	count[depth] = 0;
}

static void out_close(char c)
{
	bool empty;

	if (!json)
		return;
	empty = !count[depth];
	if (depth)
		depth--;
	if (!empty)
		indent();
	fputc(c, FP);
}

void out_obj_open(const char *key)
{
	out_open(key, '{');
}

void out_obj_close(void)
{
	out_close('}');
}

void out_arr_open(const char *key)
{
	out_open(key, '[');
}

void out_arr_close(void)
{
	out_close(']');
}

/* the formats are the callers' literals, one value each (out.h) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void out_str(enum out_kind k, const char *key, const char *fmt, const char *v)
{
	if (json && k != OUT_TEXT) {
		member(key);
		json_string(v);
	} else if (!json && k != OUT_JSON) {
		fprintf(FP, fmt, v);
	}
}

void out_u64(enum out_kind k, const char *key, const char *fmt, uint64_t v)
{
	if (json && k != OUT_TEXT) {
		member(key);
		fprintf(FP, "%" PRIu64, v);
	} else if (!json && k != OUT_JSON) {
		fprintf(FP, fmt, v);
	}
}

void out_bool(enum out_kind k, const char *key, const char *fmt, bool v)
{
	if (json && k != OUT_TEXT) {
		member(key);
		fputs(v ? "true" : "false", FP);
	} else if (!json && k != OUT_JSON) {
		fprintf(FP, fmt, v ? "on" : "off");
	}
}

#pragma GCC diagnostic pop

void out_null(const char *key)
{
	if (!json)
		return;
	member(key);
	fputs("null", FP);
}

/* the next character of @s that is not white space */
static char next_token(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return *s;
}

/*
 * @v, a JSON value however it was laid out, in this output's layout:
 * white space outside strings dropped, and put back by indent() if pretty.
 */
void out_raw(const char *key, const char *v)
{
	bool in_str = false, esc = false;
	char c, last = 0;	/* the last character written */

	if (!json)
		return;
	member(key);
	for (; (c = *v); v++) {
		if (in_str) {
			fputc(c, FP);
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			last = c;
			continue;
		}
		switch (c) {
		case ' ': case '\t': case '\n': case '\r':
			break;
		case '"':
			in_str = true;
			fputc(c, FP);
			break;
		case '{': case '[':
			fputc(c, FP);
			depth++;
			if (next_token(v + 1) != '}' && next_token(v + 1) != ']')
				indent();
			break;
		case '}': case ']':
			depth--;
			if (last != '{' && last != '[')
				indent();
			fputc(c, FP);
			break;
		case ',':
			fputc(c, FP);
			indent();
			break;
		case ':':
			fputs(pretty ? ": " : ":", FP);
			break;
		default:
			fputc(c, FP);
		}
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			last = c;
	}
}

void out_text(const char *fmt, ...)
{
	va_list ap;

	if (json)
		return;
	va_start(ap, fmt);
	vfprintf(FP, fmt, ap);
	va_end(ap);
}

void out_finish(void)
{
	if (json)
		fputc('\n', FP);
	fflush(FP);
}
