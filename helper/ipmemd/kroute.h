/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kroute.h - the host's own routes to block addresses (kroute.c).
 */
#ifndef IPMEMD_KROUTE_H
#define IPMEMD_KROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the rtnetlink protocol of ipmemd's routes (`ip -6 route show proto 77`) */
#define IPMEM_RTPROT 77
/*
 * and their metric: IPv6 replaces and deletes a route of the same prefix
 * and metric only, so an operator's route of the prefix (metric 1024 by
 * default, lower wins) is neither touched nor overridden
 */
#define IPMEM_RTMETRIC 1077

/*
 * kroute_set() - add (or replace) or delete one of ipmemd's routes
 * @add: add it, or delete it
 * @prefix, @plen: the destination
 * @via: the next hop of a route in the main table; NULL: a local route
 *	of the whole prefix (every address in it is this host's) in table
 *	local, on lo.  A deletion ignores the next hop but not its table.
 * @err, @len: what rtnetlink said, on failure
 *
 * Return: 0, or a negative errno (-ENOENT: there is no such route).
 */
int kroute_set(bool add, const uint8_t prefix[16], uint8_t plen,
	       const uint8_t *via, char *err, size_t len);

/*
 * kroute_addr() - add (or keep) or delete the address @addr/128, without
 * duplicate address detection and deprecated (never a source address the
 * host picks), on the interface that holds @on
 *
 * Return: 0, or a negative errno (-ENODEV: no interface holds @on).
 */
int kroute_addr(bool add, const uint8_t addr[16], const uint8_t on[16],
		char *err, size_t len);

#endif /* IPMEMD_KROUTE_H */
