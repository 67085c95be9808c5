// SPDX-License-Identifier: GPL-2.0
/*
 * ipmem page encryption: what a borrower writes leaves it sealed, and what
 * comes back is opened only if it is exactly what was sealed.
 *
 * Each disk has an AEAD transform from the kernel crypto API and a random
 * key that exists nowhere but in this transform: it is never sent, never
 * shown, and goes with the disk.  Every page written is sealed on its own:
 *
 *   nonce      the page's write generation, 64 bits (little endian), then
 *              32 zero bits.  Generations come from one counter per disk
 *              that only goes up, so no nonce is used twice under a key.
 *   AD         the page's number on the disk (64 bits): a page moved to
 *              another place does not open.
 *   tag        16 bytes.
 *
 * The lender stores only the ciphertext, as large as the page.  The
 * generation and the tag stay in the borrower, in the extent
 * (struct ipmem_page_auth: 24 bytes per page, 6 MiB per GiB of swap).  A
 * page whose generation is 0 was never written (or was discarded): it
 * reads as zeros, whatever the lender holds.
 *
 * Only synchronous implementations are used (the I/O path seals in
 * ->queue_rq and opens in the completion, a softirq), with one request
 * per CPU, used with bottom halves off.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/aead.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/scatterlist.h>

#include "ipmem_blk.h"

#define IPMEM_NONCE_SIZE	12
#define IPMEM_DISK_KEY_SIZE		32

/* the AEAD of disks created from now on (module parameter "cipher") */
char ipmem_cipher[CRYPTO_MAX_ALG_NAME] = "rfc7539(chacha20,poly1305)";

/*
 * What a request points its scatterlists at: not on the stack, which
 * may be in vmalloc space.
 */
struct ipmem_crypt_buf {
	__le64 ad;
	u8 nonce[IPMEM_NONCE_SIZE];
	u8 tag[IPMEM_TAG_SIZE];
};

struct ipmem_crypt_cpu {
	struct aead_request *req;
	struct ipmem_crypt_buf *buf;
};

/**
 * struct ipmem_crypt - a disk's AEAD
 * @tfm: the transform, keyed
 * @cpu: a request and its buffer per CPU
 * @gen: the last generation given out
 */
struct ipmem_crypt {
	struct crypto_aead *tfm;
	struct ipmem_crypt_cpu __percpu *cpu;
	atomic64_t gen;
};

const char *ipmem_crypt_name(struct ipmem_crypt *c)
{
	return crypto_tfm_alg_name(crypto_aead_tfm(c->tfm));
}

const char *ipmem_crypt_driver(struct ipmem_crypt *c)
{
	return crypto_tfm_alg_driver_name(crypto_aead_tfm(c->tfm));
}

void ipmem_crypt_free(struct ipmem_crypt *c)
{
	struct ipmem_crypt_cpu *p;
	int cpu;

	if (!c)
		return;
	if (c->cpu) {
		for_each_possible_cpu(cpu) {
			p = per_cpu_ptr(c->cpu, cpu);
			aead_request_free(p->req);
			kfree(p->buf);
		}
		free_percpu(c->cpu);
	}
	/* frees the key with the transform, wiped */
	crypto_free_aead(c->tfm);
	kfree(c);
}

/* A transform for @name, with a fresh random key; NULL and a message if not. */
struct ipmem_crypt *ipmem_crypt_alloc(const char *name,
				      struct netlink_ext_ack *extack)
{
	struct ipmem_crypt_cpu *p;
	struct ipmem_crypt *c;
	u8 *key;
	int cpu, ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	/* synchronous only: the I/O path cannot wait for a callback */
	c->tfm = crypto_alloc_aead(name, 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(c->tfm)) {
		ret = PTR_ERR(c->tfm);
		c->tfm = NULL;
		NL_SET_ERR_MSG(extack,
			       "the kernel has no synchronous AEAD of that name (module parameter cipher)");
		goto out_free;
	}
	if (crypto_aead_ivsize(c->tfm) != IPMEM_NONCE_SIZE ||
	    crypto_aead_setauthsize(c->tfm, IPMEM_TAG_SIZE)) {
		NL_SET_ERR_MSG(extack,
			       "the cipher must take a 12-byte nonce and a 16-byte tag");
		ret = -EINVAL;
		goto out_free;
	}
	key = kmalloc(IPMEM_DISK_KEY_SIZE, GFP_KERNEL);
	if (!key) {
		ret = -ENOMEM;
		goto out_free;
	}
	get_random_bytes(key, IPMEM_DISK_KEY_SIZE);
	ret = crypto_aead_setkey(c->tfm, key, IPMEM_DISK_KEY_SIZE);
	kfree_sensitive(key);
	if (ret) {
		NL_SET_ERR_MSG(extack, "the cipher does not take a 256-bit key");
		goto out_free;
	}

	c->cpu = alloc_percpu(struct ipmem_crypt_cpu);
	if (!c->cpu) {
		ret = -ENOMEM;
		goto out_free;
	}
	for_each_possible_cpu(cpu) {
		p = per_cpu_ptr(c->cpu, cpu);
		p->req = aead_request_alloc(c->tfm, GFP_KERNEL);
		p->buf = kzalloc(sizeof(*p->buf), GFP_KERNEL);
		if (!p->req || !p->buf) {
			ret = -ENOMEM;
			goto out_free;
		}
		aead_request_set_callback(p->req, 0, NULL, NULL);
		aead_request_set_ad(p->req, sizeof(p->buf->ad));
	}
	return c;

out_free:
	ipmem_crypt_free(c);
	return ERR_PTR(ret);
}

static void ipmem_crypt_prep(struct ipmem_crypt_buf *b, u64 pageno, u64 gen)
{
	b->ad = cpu_to_le64(pageno);
	put_unaligned_le64(gen, b->nonce);
	memset(b->nonce + 8, 0, IPMEM_NONCE_SIZE - 8);
}

/**
 * ipmem_crypt_seal() - encrypt a page for the lender
 * @c: the disk's AEAD
 * @pageno: the page's number on the disk
 * @src: the page as written
 * @dst: where its ciphertext goes (the bounce page that is sent)
 * @auth: where its generation and tag are kept
 *
 * Any context.  Returns 0 or an error of the cipher.
 */
int ipmem_crypt_seal(struct ipmem_crypt *c, u64 pageno, struct page *src,
		     struct page *dst, struct ipmem_page_auth *auth)
{
	struct scatterlist s[2], d[3];
	struct ipmem_crypt_cpu *p;
	u64 gen;
	int ret;

	gen = atomic64_inc_return(&c->gen);
	local_bh_disable();
	p = this_cpu_ptr(c->cpu);
	ipmem_crypt_prep(p->buf, pageno, gen);
	sg_init_table(s, 2);
	sg_set_buf(&s[0], &p->buf->ad, sizeof(p->buf->ad));
	sg_set_page(&s[1], src, PAGE_SIZE, 0);
	sg_init_table(d, 3);
	sg_set_buf(&d[0], &p->buf->ad, sizeof(p->buf->ad));
	sg_set_page(&d[1], dst, PAGE_SIZE, 0);
	sg_set_buf(&d[2], p->buf->tag, IPMEM_TAG_SIZE);
	aead_request_set_crypt(p->req, s, d, PAGE_SIZE, p->buf->nonce);
	ret = crypto_aead_encrypt(p->req);
	if (!ret) {
		memcpy(auth->tag, p->buf->tag, IPMEM_TAG_SIZE);
		/* the tag first: a reader that sees the generation has both */
		smp_store_release(&auth->gen, gen);
	}
	local_bh_enable();
	return ret;
}

/**
 * ipmem_crypt_open() - decrypt and verify a page the lender sent back
 * @c: the disk's AEAD
 * @pageno: the page's number on the disk
 * @auth: its generation and tag, as sealed
 * @page: the ciphertext; the plaintext in its place
 *
 * Any context.  A page never written reads as zeros.  Returns 0, or
 * -EBADMSG if the page is not what was sealed (tampered, stale, zeroed,
 * another page): then it is zeroed, so nothing unverified is left in it.
 */
int ipmem_crypt_open(struct ipmem_crypt *c, u64 pageno,
		     const struct ipmem_page_auth *auth, struct page *page)
{
	struct ipmem_crypt_cpu *p;
	struct scatterlist s[3];
	u64 gen;
	int ret;

	/* pairs with ipmem_crypt_seal(): the tag is the generation's */
	gen = smp_load_acquire(&auth->gen);
	if (!gen) {
		clear_highpage(page);
		return 0;
	}
	local_bh_disable();
	p = this_cpu_ptr(c->cpu);
	ipmem_crypt_prep(p->buf, pageno, gen);
	memcpy(p->buf->tag, auth->tag, IPMEM_TAG_SIZE);
	sg_init_table(s, 3);
	sg_set_buf(&s[0], &p->buf->ad, sizeof(p->buf->ad));
	sg_set_page(&s[1], page, PAGE_SIZE, 0);
	sg_set_buf(&s[2], p->buf->tag, IPMEM_TAG_SIZE);
	aead_request_set_crypt(p->req, s, s, PAGE_SIZE + IPMEM_TAG_SIZE,
			       p->buf->nonce);
	ret = crypto_aead_decrypt(p->req);
	local_bh_enable();
	if (ret) {
		clear_highpage(page);
		return -EBADMSG;
	}
	return 0;
}
