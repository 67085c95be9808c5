// SPDX-License-Identifier: GPL-2.0
/* Unit tests of what ipmemctl parses (helper/parse.c). */
#include "parse.h"
#include "tap.h"

static void test_sizes(void)
{
	uint64_t v = 0;

	ok(!ipmem_parse_size("4096", &v) && v == 4096, "4096");
	ok(!ipmem_parse_size("64K", &v) && v == 65536, "64K");
	ok(!ipmem_parse_size("512M", &v) && v == 512ULL << 20, "512M");
	ok(!ipmem_parse_size("2GiB", &v) && v == 2ULL << 30, "2GiB");
	ok(!ipmem_parse_size("1t", &v) && v == 1ULL << 40, "1t");
	ok(!ipmem_parse_size("4097B", &v) && v == 4097,
	   "4097B, as sizes print that are no multiple of 1 KiB");
	ok(ipmem_parse_size("4097BB", &v), "4097BB is refused");
	ok(ipmem_parse_size("-1", &v), "-1 is refused");
	ok(ipmem_parse_size("12Q", &v), "12Q is refused");
	ok(ipmem_parse_size("", &v), "empty is refused");
	ok(ipmem_parse_size("16777216T", &v), "2^64 bytes overflow is refused");
	ok(ipmem_parse_size("99999999999999999999", &v),
	   "a number past 64 bits is refused");
}

static void test_host_ids(void)
{
	uint32_t a = 0, b = 0, c = 0;
	char buf[16];

	ok(!ipmem_parse_host_id("c0a8:a010", &a), "c0a8:a010 parses");
	ok(!ipmem_parse_host_id("192.168.160.16", &b), "192.168.160.16 parses");
	ok(!ipmem_parse_host_id("0xc0a8a010", &c), "0xc0a8a010 parses");
	ok(a == 0xc0a8a010 && a == b && b == c, "all three are the same id");
	ipmem_format_host_id(a, buf, sizeof(buf));
	is_str(buf, "c0a8:a010", "formatted as the address writes it");
	ok(ipmem_parse_host_id("c0a8:a010:1", &a), "three groups are refused");
	ok(ipmem_parse_host_id("0x100000000", &a), "33 bits are refused");
	ok(ipmem_parse_host_id("borrower", &a), "a word is refused");
	ok(ipmem_parse_host_id("a4d:-1", &a), "a negative group is refused");
	ok(ipmem_parse_host_id("0x1:1", &a), "a 0x group is refused");
	ok(ipmem_parse_host_id("a4d:+1", &a), "a signed group is refused");
	ok(ipmem_parse_host_id(" a4d:1", &a), "leading space is refused");
	ok(ipmem_parse_host_id("a4d: 1", &a), "a space in a group is refused");
	ok(ipmem_parse_host_id("a4d:", &a), "an empty group is refused");
	ok(ipmem_parse_host_id("12345:1", &a), "a five-digit group is refused");
	ok(!ipmem_parse_host_id("0:0", &a) && a == 0, "0:0 parses");
	ok(!ipmem_parse_host_id("FFFF:ffff", &a) && a == 0xffffffff,
	   "FFFF:ffff parses in either case");
}

static void test_numbers(void)
{
	uint32_t v = 0;

	ok(!ipmem_parse_u32("010", &v) && v == 10, "010 is decimal ten");
	ok(!ipmem_parse_u32("0x10", &v) && v == 16, "0x10 is hex");
	ok(!ipmem_parse_u32("4294967295", &v) && v == 0xffffffff, "2^32-1");
	ok(ipmem_parse_u32("4294967296", &v), "2^32 is refused");
	ok(ipmem_parse_u32("-1", &v), "-1 is refused");
	ok(ipmem_parse_u32("+1", &v), "+1 is refused");
	ok(ipmem_parse_u32("0x", &v), "0x alone is refused");
	ok(ipmem_parse_u32("0x-1", &v), "0x-1 is refused");
	ok(ipmem_parse_u32("1 ", &v), "trailing space is refused");
}

static void test_prefixes(void)
{
	uint8_t a[16], plen = 0;

	ok(!ipmem_parse_prefix("2001:db8:8000:c0a8:a010::/80", a, &plen) &&
	   plen == 80, "a /80");
	ok(!ipmem_parse_prefix("2001:db8::1", a, &plen) && plen == 128,
	   "a bare address is a /128");
	ok(ipmem_parse_prefix("2001:db8::/129", a, &plen), "/129 is refused");
	ok(ipmem_parse_prefix("2001:db8::/-1", a, &plen), "/-1 is refused");
	ok(ipmem_parse_prefix("2001:db8::/", a, &plen), "an empty length is refused");
	ok(ipmem_parse_prefix("10.0.0.0/8", a, &plen), "IPv4 is refused");
	ok(ipmem_parse_prefix("2001:zz8::/64", a, &plen), "garbage is refused");
	ok(ipmem_parse_prefix("2001:db8::/010", a, &plen),
	   "/010 is refused (not octal 8, not 10)");
	ok(ipmem_parse_prefix("2001:db8::/0x40", a, &plen), "/0x40 is refused");
	ok(ipmem_parse_prefix("2001:db8::/+64", a, &plen), "/+64 is refused");
	ok(ipmem_parse_prefix("2001:db8::/64 ", a, &plen),
	   "trailing space is refused");
	ok(!ipmem_parse_prefix("::/0", a, &plen) && plen == 0, "/0 parses");
}

int main(void)
{
	plan(50);
	test_sizes();
	test_host_ids();
	test_numbers();
	test_prefixes();
	return done();
}
