/* The trust service behind electronic contracts (电子劳动合同): the
 * append-only Merkle log that every evidence event (identity check, code
 * sent, code confirmed, view, signature, timestamp, download, change) goes
 * into, with signed checkpoints, and the timestamps on signatures. An
 * evidence package carries inclusion proofs against a checkpoint so that
 * `hexie verify` can check it offline. Pure functions over memory; the
 * store keeps the leaves. */
#ifndef HX_TRUST_H
#define HX_TRUST_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* ---- Merkle log ---------------------------------------------------------
 *
 * Hashing is RFC 9162 §2.1 with SHA-256: a leaf is SHA-256(0x00 || data),
 * an interior node SHA-256(0x01 || left || right), and the tree of n leaves
 * splits at the largest power of two smaller than n. The tree of no leaves
 * has the root SHA-256(""). Trees are given as the array of their leaf
 * hashes, in log order.
 *
 * Proofs come back as malloc'd arrays of 32-byte hashes in the order of the
 * RFC (bottom of the tree first); the caller free()s them. An empty proof
 * is *out == NULL, *len == 0. The verifiers return 0 when the proof holds
 * and HX_EINVAL when it does not (or the arguments cannot be right); they
 * never allocate. */

/* The leaf hash of one evidence event's canonical bytes. HX_EINTERNAL only
 * if OpenSSL fails. */
int hx_merkle_leaf_hash(uint8_t out[32], const void *data, size_t len);

/* MTH(D[n]) of RFC 9162 §2.1.1. */
int hx_merkle_root(uint8_t out[32], const uint8_t (*leaves)[32], size_t n);

/* PATH(index, D[n]) of §2.1.3.1. HX_EINVAL unless index < n. */
int hx_merkle_inclusion_proof(uint8_t (**out)[32], size_t *len, const uint8_t (*leaves)[32],
			      size_t n, size_t index);
/* §2.1.3.2: 0 when leaf is at index in the tree of size n with this root. */
int hx_merkle_verify_inclusion(const uint8_t leaf[32], size_t index, size_t n,
			       const uint8_t (*proof)[32], size_t len, const uint8_t root[32]);

/* PROOF(m, D[n]) of §2.1.4.1, that the first m leaves are a prefix of the
 * n. HX_EINVAL unless m <= n. The proof is empty when m == n or m == 0. */
int hx_merkle_consistency_proof(uint8_t (**out)[32], size_t *len, const uint8_t (*leaves)[32],
				size_t n, size_t m);
/* §2.1.4.2: 0 when the tree of size m with old_root is a prefix of the
 * tree of size n with new_root. Beyond the RFC (which requires
 * 0 < m < n): m == n holds with an empty proof and equal roots, and m == 0
 * holds with an empty proof when old_root is the empty tree's root. */
int hx_merkle_verify_consistency(size_t m, size_t n, const uint8_t old_root[32],
				 const uint8_t new_root[32], const uint8_t (*proof)[32], size_t len);

/* The same tree over stored nodes, so that a log of millions of events
 * needs O(log n) reads for its root or a proof instead of every leaf.
 * Node (level, index) is the root of the perfect subtree of 2^level leaves
 * starting at leaf index * 2^level; level 0 is the leaf hash itself. The
 * callback fills out[32] and returns 0, or an error that is passed on. */
typedef int (*hx_merkle_node_fn)(void *ctx, unsigned level, uint64_t index, uint8_t out[32]);

typedef struct hx_merkle_node {
	unsigned level;
	uint64_t index;
	uint8_t hash[32];
} hx_merkle_node;

/* The nodes (level >= 1) that appending leaf `index` (hash `leaf`)
 * completes: at most 64, lowest first, written to out; *count says how
 * many. Reads only earlier nodes through get. */
int hx_merkle_append(hx_merkle_node out[64], int *count, uint64_t index, const uint8_t leaf[32],
		     hx_merkle_node_fn get, void *ctx);
/* MTH of the first n leaves from stored nodes (at most log2(n) reads). */
int hx_merkle_root_nodes(uint8_t out[32], uint64_t n, hx_merkle_node_fn get, void *ctx);
/* PATH(index, D[n]) from stored nodes; the same proof as
 * hx_merkle_inclusion_proof over the leaves. */
int hx_merkle_inclusion_proof_nodes(uint8_t (**out)[32], size_t *len, uint64_t n, uint64_t index,
				    hx_merkle_node_fn get, void *ctx);

/* Signed checkpoints, in the C2SP "checkpoint" / "signed-note" format:
 *
 *   <origin>\n
 *   <n in decimal, no leading zeros>\n
 *   <base64 of the 32-byte root>\n
 *   \n
 *   — <origin> <base64(key hint[4] || ECDSA P-256 signature, DER)>\n
 *
 * where "—" is U+2014 (bytes E2 80 94), base64 is RFC 4648 §4 with
 * padding, and the signature is ECDSA with SHA-256 over the body: the
 * first three lines, final newline included. The key hint is the first 4
 * bytes of SHA-256(origin || 0x0A || 0x02 || DER SubjectPublicKeyInfo), the
 * signed-note key ID with signature type 0x02 (ECDSA). The origin is the
 * log's name, e.g. "hexie.example.cn/evidence/2025": 1 to 255 printable
 * ASCII characters without spaces or '+'.
 *
 * Verifying accepts checkpoint extension lines after the root (signed,
 * ignored) and other signature lines (ignored, at most 100 in all); the
 * first line by this key (same name, same hint) decides. The whole text is
 * capped at 64 KiB. ECDSA signatures are malleable: never use the
 * signature bytes as an identifier. */
int hx_merkle_checkpoint_sign(char **out, const char *origin, size_t n, const uint8_t root[32],
			      EVP_PKEY *key, hx_err *err);
/* Fills *n and root only on success. origin is the log the caller expects
 * (one key may sign several logs, one per year): a checkpoint of another
 * log is HX_EINVAL "wrong_origin". HX_EINVAL "bad_checkpoint" when the
 * text is malformed, "bad_signature" when no valid signature by pub is on
 * it; HX_ETOOBIG over the cap. */
int hx_merkle_checkpoint_verify(size_t *n, uint8_t root[32], const char *text, const char *origin,
				EVP_PKEY *pub, hx_err *err);
/* Copies the origin line of a checkpoint (not verified) into out, which
 * holds cap bytes. HX_EINVAL when there is none, HX_ETOOBIG if too long. */
int hx_merkle_checkpoint_origin(char *out, size_t cap, const char *text);

/* ---- Timestamps (RFC 3161): the built-in time-stamping authority ---- */
#include "tsa.h"

/* ---- One-time codes (验证码) for identity and intent confirmation ---- */
#include "otp.h"

#endif
