// SPDX-License-Identifier: GPL-2.0
/*
 * Secrets in files only root may read (see secret.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

int ipmem_read_secret(const char *path, char *buf, size_t size, char *err,
		      size_t errlen)
{
	struct stat st;
	size_t n;
	FILE *f;

	if (path[0] != '/') {
		snprintf(err, errlen, "%s: give an absolute path", path);
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077)) {
		fclose(f);
		snprintf(err, errlen,
			 "%s must be a file of uid %u that only it may read (mode 0600)",
			 path, (unsigned int)geteuid());
		return -1;
	}
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	n = strcspn(buf, "\n");
	if (n == size - 1) {
		memset(buf, 0, size);
		snprintf(err, errlen, "%s: the first line is too long", path);
		return -1;
	}
	buf[n] = 0;
	if (!n) {
		snprintf(err, errlen, "%s: the first line is empty", path);
		return -1;
	}
	return 0;
}

int ipmem_parse_key(const char *s, uint8_t key[IPMEM_KEY_LEN])
{
	int i;

	if (strlen(s) != 2 * IPMEM_KEY_LEN)
		return -1;
	for (i = 0; i < IPMEM_KEY_LEN; i++) {
		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2hhx", &key[i]) != 1)
			return -1;
	}
	return 0;
}

void ipmem_format_key(const uint8_t key[IPMEM_KEY_LEN], char *out)
{
	int i;

	for (i = 0; i < IPMEM_KEY_LEN; i++)
		sprintf(out + 2 * i, "%02x", key[i]);
}
