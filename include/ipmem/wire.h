/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * ipmem wire protocol between a borrower and a lender, over one RC
 * connection per queue set up with rdma_cm (RDMA_PS_TCP, RoCEv2).
 *
 * Connection set-up: the borrower's CONNECT carries struct ipmem_conn_req
 * as private data; the lender accepts with struct ipmem_conn_rep or
 * rejects with struct ipmem_conn_rej.  Hosts with a host key authenticate
 * each other first (kernel/ipmem_auth.c): the borrower's first CONNECT of
 * a queue is a HELLO with its nonce, which the lender rejects with a
 * CHALLENGE (its nonce and its proof of its host id); the second CONNECT
 * is a PROOF of the borrower's host id, which the lender accepts.
 *
 * After set-up, queue 0 also carries control messages, all struct
 * ipmem_msg (SEND/RECV):
 *
 *   KEY_REQ  borrower -> lender: "the key for block B".  The lender finds
 *            the confirmed grant of this borrower that holds B, registers
 *            the segment around B (the grant cut at multiples of
 *            2^seg_shift blocks) in the borrower's protection domain
 *            (read-only grants without remote write), and answers.
 *   KEY_REP  lender -> borrower: first block and count of the segment,
 *            rkey, iova of its first block, rights, and the grant's
 *            generation; or a status saying why not.
 *   UNMAP    borrower -> lender: "I no longer use the segment of B";
 *            the lender drops the registration.  No reply.
 *   REVOKE   lender -> borrower: the grant holding B..B+count-1 is gone;
 *            its keys no longer work.  No reply.
 *   PING     borrower -> lender, every 5 s while connected; answered by
 *            PONG with the same tag.  A borrower that gets no answer in
 *            time treats the lender as lost.
 *
 * Data then moves by one-sided RDMA READ and WRITE: block b of a segment
 * is at iova + (b - first) * block_size under the segment's rkey.  The
 * lender never sees these operations; a borrower can only name memory
 * registered in its own protection domain.
 *
 * All integers are little endian; every struct has a fixed size.
 */
#ifndef _IPMEM_WIRE_H
#define _IPMEM_WIRE_H

#include <linux/types.h>

#define IPMEM_WIRE_MAGIC	0x4d4d5049	/* "IPMM" */
/*
 * A lender refuses a borrower of another version (IPMEM_REJ_VERSION), and
 * a borrower a lender that accepts with another; both log the two.
 * IPMEM_TEST_WIRE_VERSION builds a module that speaks another version,
 * for the test of that (tests/scenario/13-versions.t) only.
 */
#ifdef IPMEM_TEST_WIRE_VERSION
#define IPMEM_WIRE_VERSION	IPMEM_TEST_WIRE_VERSION
#else
#define IPMEM_WIRE_VERSION	3	/* 2: PING/PONG; 3: authentication */
#endif
#define IPMEM_MAX_QUEUES	64	/* queues per borrower-lender pair */
#define IPMEM_NONCE_LEN		16
#define IPMEM_PROOF_LEN		24	/* HMAC-SHA-256, cut */
#define IPMEM_AUTH_PROOFS	4	/* pair keys during a rollover, at most */
/*
 * A segment holds at most 2^IPMEM_SEG_SHIFT_MAX blocks (a lender's
 * seg_shift is no larger), so an aligned run of that many blocks is made
 * of whole segments: ipmemd gives blocks back by such runs (or whole
 * grants), since a lender frees no block of a segment the borrower still
 * has registered.
 */
#define IPMEM_SEG_SHIFT_MAX	9

/* struct ipmem_conn_req flags */
#define IPMEM_REQ_HELLO		0x1	/* asks for a challenge */
#define IPMEM_REQ_PROOF		0x2	/* answers one */

/**
 * struct ipmem_conn_req - CONNECT private data (borrower -> lender)
 * @magic: IPMEM_WIRE_MAGIC
 * @version: IPMEM_WIRE_VERSION
 * @queue: index of this connection among the borrower's queues, below
 *	@nr_queues; a queue that connects again replaces the old one
 * @host_id: the borrower's host id; the lender serves it the grants made
 *	to this id, and only those (once it proved it, if the lender has a
 *	host key)
 * @nr_queues: how many queues the borrower opens, 1 to IPMEM_MAX_QUEUES
 * @flags: 0 (no authentication), IPMEM_REQ_HELLO or IPMEM_REQ_PROOF
 * @nonce: HELLO: the borrower's nonce; PROOF: the lender's, answered
 * @proof: PROOF: the borrower's proof; zero otherwise
 *
 * 56 bytes: all that rdma_cm carries in a CONNECT on InfiniBand and RoCE.
 */
struct ipmem_conn_req {
	__le32 magic;
	__le16 version;
	__le16 queue;
	__le32 host_id;
	__le16 nr_queues;
	__le16 flags;
	__u8 nonce[IPMEM_NONCE_LEN];
	__u8 proof[IPMEM_PROOF_LEN];
};

/**
 * struct ipmem_conn_rep - ACCEPT private data (lender -> borrower)
 * @magic: IPMEM_WIRE_MAGIC
 * @version: IPMEM_WIRE_VERSION
 * @seg_shift: log2 of the largest segment, in blocks (at most
 *	IPMEM_SEG_SHIFT_MAX; a borrower refuses a larger one)
 * @reserved0: zero
 * @host_id: the lender's host id (must match the prefixes mapped to it)
 * @block_size: the lender's block size in bytes
 * @epoch: random number chosen when the pool was created; a new value
 *	means the lender's memory is not the memory it was
 * @reserved: zero
 */
struct ipmem_conn_rep {
	__le32 magic;
	__le16 version;
	__u8 seg_shift;
	__u8 reserved0;
	__le32 host_id;
	__le32 block_size;
	__le64 epoch;
	__u8 reserved[8];
};

enum ipmem_rej_reason {
	IPMEM_REJ_BAD_REQUEST = 1,	/* malformed private data */
	IPMEM_REJ_VERSION = 2,		/* unsupported version */
	IPMEM_REJ_NO_POOL = 3,		/* this host lends nothing */
	IPMEM_REJ_NO_RESOURCES = 4,	/* out of memory, PDs or QPs */
	IPMEM_REJ_CHALLENGE = 5,	/* prove your host id (HELLO answered) */
	IPMEM_REJ_AUTH = 6,		/* not authenticated: unknown host, a
					 * wrong or missing proof, or a lender
					 * without a host key
					 */
};

/**
 * struct ipmem_conn_rej - REJECT private data (lender -> borrower)
 * @magic: IPMEM_WIRE_MAGIC
 * @version: IPMEM_WIRE_VERSION
 * @reason: enum ipmem_rej_reason
 * @nonce: CHALLENGE: the lender's nonce
 * @proof: CHALLENGE: the lender's proofs, one per pair key it has with
 *	the borrower (the rest zero)
 *
 * Only CHALLENGE carries more than the first 8 bytes.
 */
struct ipmem_conn_rej {
	__le32 magic;
	__le16 version;
	__le16 reason;
	__u8 nonce[IPMEM_NONCE_LEN];
	__u8 proof[IPMEM_AUTH_PROOFS][IPMEM_PROOF_LEN];
};

enum ipmem_msg_type {
	IPMEM_MSG_KEY_REQ = 1,
	IPMEM_MSG_KEY_REP = 2,
	IPMEM_MSG_UNMAP = 3,
	IPMEM_MSG_REVOKE = 4,
	IPMEM_MSG_PING = 5,
	IPMEM_MSG_PONG = 6,
};

enum ipmem_msg_status {
	IPMEM_MSG_OK = 0,
	IPMEM_MSG_NOT_GRANTED = 1,	/* no confirmed grant of yours holds it */
	IPMEM_MSG_NO_RESOURCES = 2,	/* registration failed */
	IPMEM_MSG_BAD_REQUEST = 3,
};

/**
 * struct ipmem_msg - a control message
 * @type: enum ipmem_msg_type
 * @status: enum ipmem_msg_status (KEY_REP)
 * @tag: chosen by the requester, echoed in the reply (KEY_REP, PONG)
 * @block: KEY_REQ, UNMAP: the block asked about; KEY_REP, REVOKE: first
 *	block of the segment or grant
 * @count: KEY_REP, REVOKE: number of blocks
 * @iova: KEY_REP: address of block @block under @rkey
 * @gen: KEY_REP: generation of the grant; a grant that is revoked and
 *	made again gets a new one, so a borrower never mistakes it for the
 *	memory it wrote before
 * @rkey: KEY_REP: remote key
 * @rights: KEY_REP: enum ipmem_rights (<ipmem/netlink.h>)
 * @reserved: zero
 */
struct ipmem_msg {
	__le16 type;
	__le16 status;
	__le32 tag;
	__le64 block;
	__le64 count;
	__le64 iova;
	__le64 gen;
	__le32 rkey;
	__u8 rights;
	__u8 reserved[19];
};

#define IPMEM_CONN_REQ_SIZE	56
#define IPMEM_CONN_REP_SIZE	32
#define IPMEM_CONN_REJ_SIZE	120
#define IPMEM_MSG_SIZE		64

#endif /* _IPMEM_WIRE_H */
