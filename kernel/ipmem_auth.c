// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem host authentication: a host proves the host id it claims, as a
 * borrower to a lender and as a lender to a borrower, before either
 * trusts the other with anything.
 *
 * Every host has a Curve25519 key pair (two during a rollover: slots 0
 * and 1); the private key is given to the module through netlink and
 * never leaves it.  Every host knows the public keys of the hosts it
 * deals with (at most two per host id).  A borrower B and a lender L that
 * know each other share pair keys:
 *
 *   K = SHA-256("ipmem pair key 1" || X25519(own private, peer public)
 *               || lower host id || higher host id)
 *
 * which nobody else can compute, whatever other host's keys they hold.
 * The connection set-up (include/ipmem/wire.h) is challenge-response with
 * fresh nonces from both sides, in two rdma_cm exchanges per queue:
 *
 *   B -> L  REQ HELLO  B, queue, nonce_B
 *   L -> B  REJ CHALLENGE  nonce_L, MAC_K("lender", ...) for each K
 *   B -> L  REQ PROOF  B, queue, nonce_L, MAC_K("borrower", ...)
 *   L -> B  REP (the queue is accepted)
 *
 * where "..." is B || L || queue || nonce_B || nonce_L and MAC is
 * HMAC-SHA-256 cut to 24 bytes.  The borrower goes on only if a lender
 * MAC checks with a pair key of the lender id its prefixes name; the
 * lender creates nothing for the borrower (session, protection domain,
 * queue pair) before the proof checks, and takes each challenge once,
 * within IPMEM_AUTH_CHALLENGE_TMO.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <crypto/curve25519.h>
#include <crypto/sha2.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "ipmem.h"

/*
 * Outstanding challenges.  A borrower needs one per queue it connects at
 * once, so one source address may hold IPMEM_MAX_QUEUES; a HELLO for a
 * (host, queue, address) that has one replaces it.  A source at its
 * limit is refused, so one host flooding HELLOs cannot make the
 * challenges of others lapse: only many source addresses at their limit
 * fill the table, and then the oldest challenge goes.
 */
#define IPMEM_AUTH_CHALLENGES		(16 * IPMEM_MAX_QUEUES)
#define IPMEM_AUTH_PER_SOURCE		IPMEM_MAX_QUEUES
#define IPMEM_AUTH_CHALLENGE_TMO	(30 * HZ)

/* one host's public keys */
struct ipmem_auth_peer {
	struct list_head node;
	u32 host;
	u8 npub;
	u8 pub[IPMEM_AUTH_SLOTS][IPMEM_KEY_SIZE];
};

/* a challenge sent to a borrower, until it answers or it lapses */
struct ipmem_auth_challenge {
	u32 borrower;
	u16 queue;
	bool used;
	unsigned long expires;
	struct in6_addr src;
	u8 nonce_b[IPMEM_NONCE_LEN];
	u8 nonce_l[IPMEM_NONCE_LEN];
};

static DEFINE_MUTEX(ipmem_auth_lock);
static bool ipmem_auth_have[IPMEM_AUTH_SLOTS];
static u8 ipmem_auth_priv[IPMEM_AUTH_SLOTS][IPMEM_KEY_SIZE];
static u8 ipmem_auth_pub[IPMEM_AUTH_SLOTS][IPMEM_KEY_SIZE];
static LIST_HEAD(ipmem_auth_peers);
static struct ipmem_auth_challenge *ipmem_auth_ch;

atomic64_t ipmem_auth_refused = ATOMIC64_INIT(0);
atomic64_t ipmem_auth_lender_failed = ATOMIC64_INIT(0);

/* Does this host authenticate (and require authentication)? */
bool ipmem_auth_active(void)
{
	bool ret;

	mutex_lock(&ipmem_auth_lock);
	ret = ipmem_auth_have[0] || ipmem_auth_have[1];
	mutex_unlock(&ipmem_auth_lock);
	return ret;
}

static struct ipmem_auth_peer *ipmem_auth_peer_find(u32 host)
{
	struct ipmem_auth_peer *p;

	lockdep_assert_held(&ipmem_auth_lock);
	list_for_each_entry(p, &ipmem_auth_peers, node)
		if (p->host == host)
			return p;
	return NULL;
}

/* ------------------------------------------------------------ the keys */

/**
 * ipmem_auth_key_set() - give this host a private key
 * @slot: 0 or 1 (both are accepted; slot 0 is used first to prove)
 * @priv: 32 bytes; clamped as Curve25519 wants
 * @pub: its public key, out
 * @extack: why not
 */
int ipmem_auth_key_set(u8 slot, const u8 *priv, u8 *pub,
		       struct netlink_ext_ack *extack)
{
	u8 key[IPMEM_KEY_SIZE], p[IPMEM_KEY_SIZE];

	memcpy(key, priv, sizeof(key));
	curve25519_clamp_secret(key);
	if (!curve25519_generate_public(p, key)) {
		memzero_explicit(key, sizeof(key));
		NL_SET_ERR_MSG(extack, "that private key is not usable");
		return -EINVAL;
	}
	mutex_lock(&ipmem_auth_lock);
	memcpy(ipmem_auth_priv[slot], key, sizeof(key));
	memcpy(ipmem_auth_pub[slot], p, sizeof(p));
	ipmem_auth_have[slot] = true;
	mutex_unlock(&ipmem_auth_lock);
	memzero_explicit(key, sizeof(key));
	memcpy(pub, p, sizeof(p));
	pr_info("host key %u set\n", slot);
	return 0;
}

int ipmem_auth_key_del(u8 slot, struct netlink_ext_ack *extack)
{
	int ret = 0;

	mutex_lock(&ipmem_auth_lock);
	if (!ipmem_auth_have[slot]) {
		NL_SET_ERR_MSG(extack, "no host key in that slot");
		ret = -ENOENT;
	} else {
		memzero_explicit(ipmem_auth_priv[slot], IPMEM_KEY_SIZE);
		ipmem_auth_have[slot] = false;
		pr_info("host key %u removed\n", slot);
	}
	mutex_unlock(&ipmem_auth_lock);
	return ret;
}

/* The public key of slot @slot into @pub; false if none. */
bool ipmem_auth_key_get(u8 slot, u8 *pub)
{
	bool ret;

	mutex_lock(&ipmem_auth_lock);
	ret = ipmem_auth_have[slot];
	if (ret)
		memcpy(pub, ipmem_auth_pub[slot], IPMEM_KEY_SIZE);
	mutex_unlock(&ipmem_auth_lock);
	return ret;
}

int ipmem_auth_peer_add(u32 host, const u8 *pub, struct netlink_ext_ack *extack)
{
	struct ipmem_auth_peer *p, *n = NULL;
	int i, ret = 0;

	if (!crypto_memneq(pub, curve25519_null_point, IPMEM_KEY_SIZE)) {
		NL_SET_ERR_MSG(extack, "a public key of zeros");
		return -EINVAL;
	}
	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	mutex_lock(&ipmem_auth_lock);
	p = ipmem_auth_peer_find(host);
	if (!p) {
		p = n;
		n = NULL;
		p->host = host;
		list_add_tail(&p->node, &ipmem_auth_peers);
	}
	for (i = 0; i < p->npub; i++)
		if (!memcmp(p->pub[i], pub, IPMEM_KEY_SIZE)) {
			NL_SET_ERR_MSG(extack, "that host has that key already");
			ret = -EEXIST;
			goto out_unlock;
		}
	if (p->npub == IPMEM_AUTH_SLOTS) {
		NL_SET_ERR_MSG(extack,
			       "that host has two keys already (remove one first)");
		ret = -ENOSPC;
		goto out_unlock;
	}
	memcpy(p->pub[p->npub++], pub, IPMEM_KEY_SIZE);
out_unlock:
	mutex_unlock(&ipmem_auth_lock);
	kfree(n);
	return ret;
}

/* Remove @pub of @host, or all its keys if @pub is NULL. */
int ipmem_auth_peer_del(u32 host, const u8 *pub,
			struct netlink_ext_ack *extack)
{
	struct ipmem_auth_peer *p;
	int i, ret = -ENOENT;

	mutex_lock(&ipmem_auth_lock);
	p = ipmem_auth_peer_find(host);
	if (!p) {
		NL_SET_ERR_MSG(extack, "no key for that host");
		goto out_unlock;
	}
	for (i = 0; i < p->npub; i++) {
		if (pub && memcmp(p->pub[i], pub, IPMEM_KEY_SIZE))
			continue;
		memmove(p->pub[i], p->pub[i + 1],
			(p->npub - i - 1) * IPMEM_KEY_SIZE);
		p->npub--;
		i--;
		ret = 0;
	}
	if (ret)
		NL_SET_ERR_MSG(extack, "that host does not have that key");
	if (!p->npub) {
		list_del(&p->node);
		kfree(p);
	}
out_unlock:
	mutex_unlock(&ipmem_auth_lock);
	return ret;
}

/* PEER_KEY_GET dump: from the @*pos-th key on; -EMSGSIZE when full. */
int ipmem_auth_peer_dump(struct sk_buff *skb,
			 int (*fill)(struct sk_buff *, u32, const u8 *, void *),
			 void *arg, long *pos)
{
	struct ipmem_auth_peer *p;
	long n = 0;
	int i, ret = 0;

	mutex_lock(&ipmem_auth_lock);
	list_for_each_entry(p, &ipmem_auth_peers, node)
		for (i = 0; i < p->npub; i++, n++) {
			if (n < *pos)
				continue;
			ret = fill(skb, p->host, p->pub[i], arg);
			if (ret)
				goto out_unlock;
			*pos = n + 1;
		}
out_unlock:
	mutex_unlock(&ipmem_auth_lock);
	return ret;
}

/* ------------------------------------------------------------ the proof */

static void ipmem_auth_pair_key(const u8 *priv, const u8 *pub, u32 a, u32 b,
				u8 key[IPMEM_KEY_SIZE])
{
	static const char label[] = "ipmem pair key 1";
	struct sha256_state s;
	u8 z[IPMEM_KEY_SIZE];
	__le32 lo = cpu_to_le32(min(a, b)), hi = cpu_to_le32(max(a, b));

	if (!curve25519(z, priv, pub))
		memset(z, 0, sizeof(z));	/* a low-order key: checks fail */
	sha256_init(&s);
	sha256_update(&s, label, sizeof(label));
	sha256_update(&s, z, sizeof(z));
	sha256_update(&s, (u8 *)&lo, sizeof(lo));
	sha256_update(&s, (u8 *)&hi, sizeof(hi));
	sha256_final(&s, key);
	memzero_explicit(z, sizeof(z));
}

/* HMAC-SHA-256(@key, @a || @b) */
static void ipmem_auth_hmac(const u8 *key, const void *a, size_t alen,
			    const void *b, size_t blen,
			    u8 out[SHA256_DIGEST_SIZE])
{
	u8 pad[SHA256_BLOCK_SIZE], inner[SHA256_DIGEST_SIZE];
	struct sha256_state s;
	int i;

	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < IPMEM_KEY_SIZE; i++)
		pad[i] ^= key[i];
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	sha256_update(&s, a, alen);
	sha256_update(&s, b, blen);
	sha256_final(&s, inner);
	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < IPMEM_KEY_SIZE; i++)
		pad[i] ^= key[i];
	sha256_init(&s);
	sha256_update(&s, pad, sizeof(pad));
	sha256_update(&s, inner, sizeof(inner));
	sha256_final(&s, out);
	memzero_explicit(pad, sizeof(pad));
	memzero_explicit(inner, sizeof(inner));
}

/* HMAC-SHA-256(@key, @label || B || L || queue || nonce_B || nonce_L) */
static void ipmem_auth_mac(const u8 *key, const char *label, u32 b, u32 l,
			   u16 queue, const u8 *nonce_b, const u8 *nonce_l,
			   u8 mac[IPMEM_PROOF_LEN])
{
	struct {
		__le32 ids[2];
		__le16 q;
		u8 nonce_b[IPMEM_NONCE_LEN];
		u8 nonce_l[IPMEM_NONCE_LEN];
	} __packed m = {
		.ids = { cpu_to_le32(b), cpu_to_le32(l) },
		.q = cpu_to_le16(queue),
	};
	u8 out[SHA256_DIGEST_SIZE];

	memcpy(m.nonce_b, nonce_b, IPMEM_NONCE_LEN);
	memcpy(m.nonce_l, nonce_l, IPMEM_NONCE_LEN);
	ipmem_auth_hmac(key, label, strlen(label) + 1, &m, sizeof(m), out);
	memcpy(mac, out, IPMEM_PROOF_LEN);
	memzero_explicit(out, sizeof(out));
}

/*
 * Every pair key this host has with @peer, in @keys (own slot 0 first):
 * how many.  Under ipmem_auth_lock.
 */
static int ipmem_auth_pair_keys(u32 self, u32 peer,
				u8 keys[][IPMEM_KEY_SIZE])
{
	struct ipmem_auth_peer *p = ipmem_auth_peer_find(peer);
	int s, i, n = 0;

	if (!p)
		return 0;
	for (s = 0; s < IPMEM_AUTH_SLOTS; s++) {
		if (!ipmem_auth_have[s])
			continue;
		for (i = 0; i < p->npub; i++)
			ipmem_auth_pair_key(ipmem_auth_priv[s], p->pub[i],
					    self, peer, keys[n++]);
	}
	return n;
}

static bool ipmem_auth_live(const struct ipmem_auth_challenge *ch)
{
	return !ch->used && ch->expires && time_before(jiffies, ch->expires);
}

/*
 * The entry for a new challenge to @borrower's @queue from @src, or NULL
 * if @src has all it may.  Under ipmem_auth_lock.
 */
static struct ipmem_auth_challenge *
ipmem_auth_slot(u32 borrower, u16 queue, const struct in6_addr *src)
{
	struct ipmem_auth_challenge *ch, *free = NULL, *oldest = NULL;
	unsigned int i, from_src = 0;

	for (i = 0; i < IPMEM_AUTH_CHALLENGES; i++) {
		ch = &ipmem_auth_ch[i];
		if (!ipmem_auth_live(ch)) {
			free = free ?: ch;
			continue;
		}
		if (!ipv6_addr_equal(&ch->src, src)) {
			if (!oldest || time_before(ch->expires, oldest->expires))
				oldest = ch;
			continue;
		}
		if (ch->borrower == borrower && ch->queue == queue)
			return ch;	/* it asks again: the old one goes */
		from_src++;
	}
	if (from_src >= IPMEM_AUTH_PER_SOURCE)
		return NULL;
	return free ?: oldest;
}

/**
 * ipmem_auth_challenge() - a lender's answer to a borrower's HELLO
 * @borrower: the host id it claims
 * @queue: its queue
 * @src: the address it comes from (IPv4 as v4-mapped)
 * @nonce_b: its nonce
 * @rej: the REJECT to send: our nonce and our proofs
 *
 * Returns 0, -ENOKEY if we know no key of @borrower, or -EBUSY if @src
 * has as many challenges outstanding as it may.
 */
int ipmem_auth_challenge(u32 borrower, u16 queue, const struct in6_addr *src,
			 const u8 *nonce_b, struct ipmem_conn_rej *rej)
{
	u8 keys[IPMEM_AUTH_SLOTS * IPMEM_AUTH_SLOTS][IPMEM_KEY_SIZE];
	struct ipmem_auth_challenge *ch;
	u32 self = ipmem_host.host_id;
	int i, n;

	mutex_lock(&ipmem_auth_lock);
	n = ipmem_auth_pair_keys(self, borrower, keys);
	if (!n) {
		mutex_unlock(&ipmem_auth_lock);
		return -ENOKEY;
	}
	ch = ipmem_auth_slot(borrower, queue, src);
	if (!ch) {
		mutex_unlock(&ipmem_auth_lock);
		memzero_explicit(keys, sizeof(keys));
		return -EBUSY;
	}
	ch->borrower = borrower;
	ch->queue = queue;
	ch->src = *src;
	ch->used = false;
	ch->expires = jiffies + IPMEM_AUTH_CHALLENGE_TMO;
	memcpy(ch->nonce_b, nonce_b, IPMEM_NONCE_LEN);
	get_random_bytes(ch->nonce_l, IPMEM_NONCE_LEN);
	memcpy(rej->nonce, ch->nonce_l, IPMEM_NONCE_LEN);
	for (i = 0; i < n; i++)
		ipmem_auth_mac(keys[i], "ipmem lender", borrower, self, queue,
			       nonce_b, ch->nonce_l, rej->proof[i]);
	mutex_unlock(&ipmem_auth_lock);
	memzero_explicit(keys, sizeof(keys));
	return 0;
}

/**
 * ipmem_auth_check() - does a borrower's PROOF answer a challenge of ours?
 * @borrower: the host id it claims
 * @queue: its queue
 * @src: the address it comes from
 * @nonce_l: the challenge it answers
 * @proof: its proof
 *
 * A challenge is taken once, and only from the address it was sent to.
 * Returns 0 or -EKEYREJECTED.
 */
int ipmem_auth_check(u32 borrower, u16 queue, const struct in6_addr *src,
		     const u8 *nonce_l, const u8 *proof)
{
	u8 keys[IPMEM_AUTH_SLOTS * IPMEM_AUTH_SLOTS][IPMEM_KEY_SIZE];
	struct ipmem_auth_challenge *ch = NULL;
	u32 self = ipmem_host.host_id;
	u8 mac[IPMEM_PROOF_LEN];
	int i, n, ret = -EKEYREJECTED;

	mutex_lock(&ipmem_auth_lock);
	for (i = 0; i < IPMEM_AUTH_CHALLENGES; i++) {
		ch = &ipmem_auth_ch[i];
		if (ipmem_auth_live(ch) &&
		    ch->borrower == borrower && ch->queue == queue &&
		    ipv6_addr_equal(&ch->src, src) &&
		    !crypto_memneq(ch->nonce_l, nonce_l, IPMEM_NONCE_LEN))
			break;
	}
	if (i == IPMEM_AUTH_CHALLENGES)
		goto out_unlock;
	ch->used = true;
	n = ipmem_auth_pair_keys(self, borrower, keys);
	for (i = 0; i < n; i++) {
		ipmem_auth_mac(keys[i], "ipmem borrower", borrower, self,
			       queue, ch->nonce_b, ch->nonce_l, mac);
		if (!crypto_memneq(mac, proof, IPMEM_PROOF_LEN))
			ret = 0;
	}
	memzero_explicit(keys, sizeof(keys));
out_unlock:
	mutex_unlock(&ipmem_auth_lock);
	return ret;
}

/**
 * ipmem_auth_answer() - a borrower's answer to a lender's challenge
 * @lender: the host id the lender must have
 * @queue: our queue
 * @nonce_b: our nonce
 * @rej: its challenge
 * @proof: our proof, out
 *
 * Returns 0, -ENOKEY if we know no key of @lender, or -EKEYREJECTED if
 * none of its proofs checks: it is not @lender.
 */
int ipmem_auth_answer(u32 lender, u16 queue, const u8 *nonce_b,
		      const struct ipmem_conn_rej *rej, u8 *proof)
{
	u8 keys[IPMEM_AUTH_SLOTS * IPMEM_AUTH_SLOTS][IPMEM_KEY_SIZE];
	u32 self = ipmem_host.host_id;
	u8 mac[IPMEM_PROOF_LEN];
	int i, j, n, ret = -EKEYREJECTED;

	mutex_lock(&ipmem_auth_lock);
	n = ipmem_auth_pair_keys(self, lender, keys);
	mutex_unlock(&ipmem_auth_lock);
	if (!n)
		return -ENOKEY;
	for (i = 0; i < n && ret; i++)
		for (j = 0; j < IPMEM_AUTH_PROOFS; j++) {
			ipmem_auth_mac(keys[i], "ipmem lender", self, lender,
				       queue, nonce_b, rej->nonce, mac);
			if (crypto_memneq(mac, rej->proof[j],
					  IPMEM_PROOF_LEN))
				continue;
			ipmem_auth_mac(keys[i], "ipmem borrower", self, lender,
				       queue, nonce_b, rej->nonce, proof);
			ret = 0;
			break;
		}
	memzero_explicit(keys, sizeof(keys));
	return ret;
}

/**
 * ipmem_auth_route_macs() - MACs of a BGP route shared with @peer
 * @peer: the other host: the originator or the one the route is for
 * @data: the route's bytes, as ipmemd lays them out
 * @len: their length
 * @macs: out: one MAC per pair key (own key x @peer's key)
 * @extack: for the reason of a failure
 *
 * Both ends get the same MAC from the same pair key, so one signs with
 * all of its pair keys and the other checks against all of its own: a
 * rollover on either side leaves one pair in common.  Returns how many,
 * or -ENOKEY with a message.
 */
int ipmem_auth_route_macs(u32 peer, const u8 *data, size_t len,
			  u8 macs[][IPMEM_ROUTE_MAC_LEN],
			  struct netlink_ext_ack *extack)
{
	static const char label[] = "ipmem route 1";
	u8 keys[IPMEM_AUTH_SLOTS * IPMEM_AUTH_SLOTS][IPMEM_KEY_SIZE];
	u8 out[SHA256_DIGEST_SIZE];
	int i, n;

	mutex_lock(&ipmem_auth_lock);
	n = ipmem_auth_have[0] || ipmem_auth_have[1] ?
	    ipmem_auth_pair_keys(ipmem_host.host_id, peer, keys) : -1;
	mutex_unlock(&ipmem_auth_lock);
	if (n <= 0) {
		if (n < 0)
			NL_SET_ERR_MSG(extack, "this host has no host key");
		else
			NL_SET_ERR_MSG(extack, "no key of that host id is known");
		return -ENOKEY;
	}
	for (i = 0; i < n; i++) {
		ipmem_auth_hmac(keys[i], label, sizeof(label), data, len, out);
		memcpy(macs[i], out, IPMEM_ROUTE_MAC_LEN);
	}
	memzero_explicit(out, sizeof(out));
	memzero_explicit(keys, sizeof(keys));
	return n;
}

int ipmem_auth_init(void)
{
	ipmem_auth_ch = kcalloc(IPMEM_AUTH_CHALLENGES, sizeof(*ipmem_auth_ch),
				GFP_KERNEL);
	return ipmem_auth_ch ? 0 : -ENOMEM;
}

void ipmem_auth_exit(void)
{
	struct ipmem_auth_peer *p, *tmp;

	list_for_each_entry_safe(p, tmp, &ipmem_auth_peers, node)
		kfree(p);
	INIT_LIST_HEAD(&ipmem_auth_peers);
	memzero_explicit(ipmem_auth_priv, sizeof(ipmem_auth_priv));
	kfree(ipmem_auth_ch);
}
