// SPDX-License-Identifier: GPL-2.0
/*
 * probe.c - round-trip latency to every lender, by ICMPv6 echo to its
 * data-plane address (its pool route's next hop), through a raw socket.
 *
 * Each lender is probed once per probe-interval (a few per tick, so that
 * a thousand lenders cost a steady trickle, not a burst); the answer's
 * round trip goes into a smoothed estimate (1/8 weight, as TCP's SRTT).
 * The echo payload carries the lender's host id and the send time, so a
 * reply needs no table of outstanding probes.  Without the raw socket
 * (not root) latency is simply unknown and planning treats every lender
 * alike.
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipmemd.h"

#define PROBE_MAGIC	0x69706d64	/* "ipmd" */
#define PROBE_PER_TICK	32

struct probe_payload {
	uint32_t magic;
	uint32_t host;
	uint64_t sent_us;
};

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

void probe_init(struct ipmemd *d)
{
	struct probe *p = &d->probe;
	struct icmp6_filter f;

	memset(p, 0, sizeof(*p));
	p->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       IPPROTO_ICMPV6);
	if (p->fd < 0) {
		log_info("latency probes off: raw ICMPv6 socket: %m");
		return;
	}
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	p->ident = getpid() & 0xffff;
}

void probe_close(struct ipmemd *d)
{
	if (d->probe.fd >= 0)
		close(d->probe.fd);
	d->probe.fd = -1;
	free(d->probe.tab);
	d->probe.tab = NULL;
}

static size_t slot(const struct probe *p, uint32_t host)
{
	return (host * 2654435761u) & (p->cap - 1);
}

static struct lat_entry *lat_get(struct probe *p, uint32_t host, bool add)
{
	struct lat_entry *old;
	size_t i, j, oldcap;

	if (p->cap) {
		for (i = slot(p, host);; i = (i + 1) & (p->cap - 1)) {
			if (!p->tab[i].used)
				break;
			if (p->tab[i].host == host)
				return &p->tab[i];
		}
	}
	if (!add)
		return NULL;
	if (2 * (p->used + 1) > p->cap) {
		old = p->tab;
		oldcap = p->cap;
		p->cap = p->cap ? 2 * p->cap : 64;
		p->tab = calloc(p->cap, sizeof(*p->tab));
		if (!p->tab) {
			p->tab = old;
			p->cap = oldcap;
			return NULL;
		}
		for (i = 0; i < oldcap; i++) {
			if (!old[i].used)
				continue;
			for (j = slot(p, old[i].host); p->tab[j].used;
			     j = (j + 1) & (p->cap - 1))
				;
			p->tab[j] = old[i];
		}
		free(old);
	}
	for (i = slot(p, host); p->tab[i].used; i = (i + 1) & (p->cap - 1))
		;
	p->tab[i].used = true;
	p->tab[i].host = host;
	p->used++;
	return &p->tab[i];
}

uint32_t probe_latency(struct ipmemd *d, uint32_t host)
{
	struct lat_entry *e = lat_get(&d->probe, host, false);

	return e ? e->rtt_us : 0;
}

static void send_probe(struct ipmemd *d, const struct ibgp_route *pool)
{
	struct probe *p = &d->probe;
	struct {
		struct icmp6_hdr h;
		struct probe_payload pl;
	} pkt;
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	memset(&pkt, 0, sizeof(pkt));
	pkt.h.icmp6_type = ICMP6_ECHO_REQUEST;
	pkt.h.icmp6_id = htons(p->ident);
	pkt.h.icmp6_seq = htons(++p->seq);
	pkt.pl.magic = PROBE_MAGIC;
	pkt.pl.host = pool->host;
	pkt.pl.sent_us = now_us();
	memcpy(&sa.sin6_addr, pool->nexthop, 16);
	/* the kernel fills in the checksum of ICMPv6 raw sockets */
	sendto(p->fd, &pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&sa,
	       sizeof(sa));
}

void probe_tick(struct ipmemd *d)
{
	struct probe *p = &d->probe;
	struct lat_entry *e;
	struct rib_entry *re;
	int sent = 0;

	if (p->fd < 0)
		return;
	rib_for_each(&d->rib, IPMEM_BGP_KIND_POOL, re) {
		e = lat_get(p, re->eff->host, true);
		if (!e || (e->last_probe &&
			   d->now - e->last_probe < d->conf.probe_interval))
			continue;
		e->last_probe = d->now;
		send_probe(d, re->eff);
		if (++sent == PROBE_PER_TICK)
			break;
	}
}

void probe_read(struct ipmemd *d)
{
	struct probe *p = &d->probe;
	struct {
		struct icmp6_hdr h;
		struct probe_payload pl;
	} pkt;
	struct lat_entry *e;
	uint64_t rtt;
	ssize_t n;

	for (;;) {
		n = recv(p->fd, &pkt, sizeof(pkt), MSG_DONTWAIT);
		if (n < 0)
			return;
		if (n < (ssize_t)sizeof(pkt) ||
		    pkt.h.icmp6_type != ICMP6_ECHO_REPLY ||
		    ntohs(pkt.h.icmp6_id) != p->ident ||
		    pkt.pl.magic != PROBE_MAGIC)
			continue;
		e = lat_get(p, pkt.pl.host, false);
		if (!e)
			continue;
		rtt = now_us() - pkt.pl.sent_us;
		if (rtt > 60000000 || !rtt)
			continue;
		e->last_us = rtt;
		e->rtt_us = e->rtt_us ? (7 * (uint64_t)e->rtt_us + rtt) / 8 :
			    rtt;
		if (!e->rtt_us)
			e->rtt_us = 1;
		e->last_reply = d->now;
	}
}
