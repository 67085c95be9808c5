// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: ipmemd's configuration parser (helper/ipmemd/config.c,
 * conf_parse()) on any text, for memory safety (ASan, UBSan); and the
 * error message of a refused configuration is a terminated string.
 */
#include <stdlib.h>
#include <string.h>

#include "ipmemd/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipmemd_conf c;
	char err[256];
	char *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	conf_defaults(&c);
	memset(err, 'x', sizeof(err));
	if (conf_parse(&c, text, err, sizeof(err)) && !memchr(err, 0, sizeof(err)))
		abort();
	free(text);
	return 0;
}
