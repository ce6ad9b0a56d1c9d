/* Unit tests of the evidence Merkle log (src/trust/merkle.c): RFC 9162 leaf
 * and node hashing checked against hashes computed here independently with
 * OpenSSL, the RFC 6962 reference roots, inclusion and consistency proofs
 * over every position of small trees, and signed checkpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/crypto.h"
#include "trust/trust.h"

enum { MAXN = 33 };

/* SHA-256(prefix || a || b), independently of merkle.c. */
static void ref_hash(uint8_t out[32], uint8_t prefix, const void *a, size_t alen, const void *b,
		     size_t blen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(c, &prefix, 1), 1);
	if (alen)
		assert_int_equal(EVP_DigestUpdate(c, a, alen), 1);
	if (blen)
		assert_int_equal(EVP_DigestUpdate(c, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, out, NULL), 1);
	EVP_MD_CTX_free(c);
}

static void ref_leaf(uint8_t out[32], const char *s)
{
	ref_hash(out, 0x00, s, strlen(s), NULL, 0);
}

static void ref_node(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	ref_hash(out, 0x01, l, 32, r, 32);
}

static void make_leaves(uint8_t (*leaves)[32], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char s[48];
		snprintf(s, sizeof s, "evidence event %zu", i);
		assert_int_equal(hx_merkle_leaf_hash(leaves[i], s, strlen(s)), 0);
	}
}

static void unhex(uint8_t out[32], const char *hex)
{
	for (int i = 0; i < 32; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void test_empty_tree_root_is_sha256_of_empty_string(void **s)
{
	(void)s;
	uint8_t root[32], want[32];
	unsigned int wl = 0;
	assert_int_equal(EVP_Digest("", 0, want, &wl, EVP_sha256(), NULL), 1);
	assert_int_equal(hx_merkle_root(root, NULL, 0), 0);
	assert_memory_equal(root, want, 32);
}

static void test_leaf_hash_prefixes_0x00(void **s)
{
	(void)s;
	uint8_t got[32], want[32];
	ref_leaf(want, "identity check");
	assert_int_equal(hx_merkle_leaf_hash(got, "identity check", 14), 0);
	assert_memory_equal(got, want, 32);
	ref_leaf(want, "");
	assert_int_equal(hx_merkle_leaf_hash(got, NULL, 0), 0);
	assert_memory_equal(got, want, 32);
}

static void test_root_of_one_leaf_is_the_leaf_hash(void **s)
{
	(void)s;
	uint8_t l[1][32], root[32];
	ref_leaf(l[0], "a");
	assert_int_equal(hx_merkle_root(root, (const uint8_t (*)[32])l, 1), 0);
	assert_memory_equal(root, l[0], 32);
}

static void test_root_of_two_leaves_prefixes_node_with_0x01(void **s)
{
	(void)s;
	uint8_t l[2][32], want[32], root[32];
	ref_leaf(l[0], "a");
	ref_leaf(l[1], "b");
	ref_node(want, l[0], l[1]);
	assert_int_equal(hx_merkle_root(root, (const uint8_t (*)[32])l, 2), 0);
	assert_memory_equal(root, want, 32);
}

static void test_root_of_three_leaves_splits_at_two(void **s)
{
	(void)s;
	uint8_t l[3][32], ab[32], want[32], root[32];
	for (int i = 0; i < 3; i++)
		ref_leaf(l[i], (const char[][2]){"a", "b", "c"}[i]);
	ref_node(ab, l[0], l[1]);
	ref_node(want, ab, l[2]);
	assert_int_equal(hx_merkle_root(root, (const uint8_t (*)[32])l, 3), 0);
	assert_memory_equal(root, want, 32);
}

static void test_root_of_seven_leaves_splits_at_four(void **s)
{
	(void)s;
	uint8_t l[7][32], n01[32], n23[32], n45[32], n0_3[32], n4_6[32], want[32], root[32];
	for (int i = 0; i < 7; i++)
		ref_leaf(l[i], (const char[][2]){"a", "b", "c", "d", "e", "f", "g"}[i]);
	ref_node(n01, l[0], l[1]);
	ref_node(n23, l[2], l[3]);
	ref_node(n45, l[4], l[5]);
	ref_node(n0_3, n01, n23);
	ref_node(n4_6, n45, l[6]);
	ref_node(want, n0_3, n4_6);
	assert_int_equal(hx_merkle_root(root, (const uint8_t (*)[32])l, 7), 0);
	assert_memory_equal(root, want, 32);
}

/* The reference tree of the RFC 6962 test data (Chromium's and
 * Trillian's merkle tests): roots of the first 1..8 leaves. */
static void test_roots_match_rfc6962_reference_vectors(void **s)
{
	(void)s;
	static const uint8_t data[][16] = {
		{0}, {0x00}, {0x10}, {0x20, 0x21}, {0x30, 0x31}, {0x40, 0x41, 0x42, 0x43},
		{0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57},
		{0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f},
	};
	static const size_t dlen[] = {0, 1, 1, 2, 2, 4, 8, 16};
	static const char *roots[] = {
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	};
	uint8_t l[8][32], root[32], want[32];
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(hx_merkle_leaf_hash(l[i], data[i], dlen[i]), 0);
	for (size_t n = 1; n <= 8; n++) {
		unhex(want, roots[n - 1]);
		assert_int_equal(hx_merkle_root(root, (const uint8_t (*)[32])l, n), 0);
		assert_memory_equal(root, want, 32);
	}
}

static void test_inclusion_proofs_verify_for_every_index_up_to_33(void **s)
{
	(void)s;
	uint8_t l[MAXN][32], root[32];
	make_leaves(l, MAXN);
	const uint8_t (*cl)[32] = (const uint8_t (*)[32])l;
	for (size_t n = 1; n <= MAXN; n++) {
		assert_int_equal(hx_merkle_root(root, cl, n), 0);
		for (size_t i = 0; i < n; i++) {
			uint8_t (*p)[32] = NULL;
			size_t len = 99;
			assert_int_equal(hx_merkle_inclusion_proof(&p, &len, cl, n, i), 0);
			assert_int_equal(hx_merkle_verify_inclusion(l[i], i, n, (const uint8_t (*)[32])p, len, root), 0);
			free(p);
		}
	}
}

static void test_inclusion_proof_fails_for_tampered_leaf_wrong_index_or_root(void **s)
{
	(void)s;
	uint8_t l[MAXN][32], root[32];
	make_leaves(l, MAXN);
	const uint8_t (*cl)[32] = (const uint8_t (*)[32])l;
	for (size_t n = 1; n <= MAXN; n++) {
		assert_int_equal(hx_merkle_root(root, cl, n), 0);
		for (size_t i = 0; i < n; i++) {
			uint8_t (*p)[32] = NULL;
			size_t len = 0;
			assert_int_equal(hx_merkle_inclusion_proof(&p, &len, cl, n, i), 0);
			const uint8_t (*cp)[32] = (const uint8_t (*)[32])p;

			uint8_t bad[32];
			memcpy(bad, l[i], 32);
			bad[31] ^= 0x01;
			assert_int_equal(hx_merkle_verify_inclusion(bad, i, n, cp, len, root), HX_EINVAL);

			for (size_t j = 0; j <= n; j++)
				if (j != i)
					assert_int_equal(hx_merkle_verify_inclusion(l[i], j, n, cp, len, root),
							 HX_EINVAL);

			memcpy(bad, root, 32);
			bad[0] ^= 0x80;
			assert_int_equal(hx_merkle_verify_inclusion(l[i], i, n, cp, len, bad), HX_EINVAL);

			if (len) {
				/* a truncated proof, and one with a changed node */
				assert_int_equal(hx_merkle_verify_inclusion(l[i], i, n, cp, len - 1, root),
						 HX_EINVAL);
				p[len - 1][5] ^= 0x10;
				assert_int_equal(hx_merkle_verify_inclusion(l[i], i, n, cp, len, root), HX_EINVAL);
			}
			free(p);
		}
	}
}

static void test_inclusion_proof_rejects_index_outside_tree(void **s)
{
	(void)s;
	uint8_t l[3][32], (*p)[32] = NULL;
	size_t len = 0;
	make_leaves(l, 3);
	assert_int_equal(hx_merkle_inclusion_proof(&p, &len, (const uint8_t (*)[32])l, 3, 3), HX_EINVAL);
	assert_null(p);
	assert_int_equal(hx_merkle_inclusion_proof(&p, &len, (const uint8_t (*)[32])l, 0, 0), HX_EINVAL);
}

static void test_consistency_proofs_verify_for_all_sizes_up_to_33(void **s)
{
	(void)s;
	uint8_t l[MAXN][32], old_root[32], new_root[32];
	make_leaves(l, MAXN);
	const uint8_t (*cl)[32] = (const uint8_t (*)[32])l;
	for (size_t n = 1; n <= MAXN; n++) {
		assert_int_equal(hx_merkle_root(new_root, cl, n), 0);
		for (size_t m = 1; m <= n; m++) {
			assert_int_equal(hx_merkle_root(old_root, cl, m), 0);
			uint8_t (*p)[32] = NULL;
			size_t len = 99;
			assert_int_equal(hx_merkle_consistency_proof(&p, &len, cl, n, m), 0);
			if (m == n)
				assert_int_equal(len, 0);
			assert_int_equal(hx_merkle_verify_consistency(m, n, old_root, new_root,
								      (const uint8_t (*)[32])p, len), 0);
			free(p);
		}
	}
}

static void test_consistency_proof_fails_when_a_root_or_node_is_wrong(void **s)
{
	(void)s;
	uint8_t l[MAXN][32], old_root[32], new_root[32], bad[32];
	make_leaves(l, MAXN);
	const uint8_t (*cl)[32] = (const uint8_t (*)[32])l;
	for (size_t n = 1; n <= MAXN; n++) {
		assert_int_equal(hx_merkle_root(new_root, cl, n), 0);
		for (size_t m = 1; m <= n; m++) {
			assert_int_equal(hx_merkle_root(old_root, cl, m), 0);
			uint8_t (*p)[32] = NULL;
			size_t len = 0;
			assert_int_equal(hx_merkle_consistency_proof(&p, &len, cl, n, m), 0);
			const uint8_t (*cp)[32] = (const uint8_t (*)[32])p;

			memcpy(bad, old_root, 32);
			bad[7] ^= 0x04;
			assert_int_equal(hx_merkle_verify_consistency(m, n, bad, new_root, cp, len), HX_EINVAL);
			memcpy(bad, new_root, 32);
			bad[7] ^= 0x04;
			assert_int_equal(hx_merkle_verify_consistency(m, n, old_root, bad, cp, len), HX_EINVAL);
			if (m < n) {
				/* claimed for the wrong old size */
				assert_int_equal(hx_merkle_verify_consistency(m + 1, n, old_root, new_root, cp, len),
						 HX_EINVAL);
				for (size_t k = 0; k < len; k++) {
					p[k][0] ^= 0x01;
					assert_int_equal(hx_merkle_verify_consistency(m, n, old_root, new_root, cp, len),
							 HX_EINVAL);
					p[k][0] ^= 0x01;
				}
				assert_int_equal(hx_merkle_verify_consistency(m, n, old_root, new_root, cp, 0),
						 HX_EINVAL);
			}
			free(p);
		}
	}
}

static void test_consistency_from_empty_tree_needs_the_empty_root(void **s)
{
	(void)s;
	uint8_t l[4][32], empty[32], root[32];
	make_leaves(l, 4);
	assert_int_equal(hx_merkle_root(empty, NULL, 0), 0);
	assert_int_equal(hx_merkle_root(root, (const uint8_t (*)[32])l, 4), 0);
	assert_int_equal(hx_merkle_verify_consistency(0, 4, empty, root, NULL, 0), 0);
	assert_int_equal(hx_merkle_verify_consistency(0, 4, root, root, NULL, 0), HX_EINVAL);
	assert_int_equal(hx_merkle_verify_consistency(5, 4, root, root, NULL, 0), HX_EINVAL);
}

/* ---- checkpoints ---- */

static EVP_PKEY *p256(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(k);
	return k;
}

static const char ORIGIN[] = "hexie.example.cn/evidence/2025";

static char *sample_checkpoint(EVP_PKEY *k, uint8_t root[32], size_t *n)
{
	uint8_t l[MAXN][32];
	make_leaves(l, MAXN);
	*n = 21;
	assert_int_equal(hx_merkle_root(root, (const uint8_t (*)[32])l, *n), 0);
	char *text = NULL;
	hx_err e = {0};
	assert_int_equal(hx_merkle_checkpoint_sign(&text, ORIGIN, *n, root, k, &e), 0);
	assert_non_null(text);
	return text;
}

static void test_checkpoint_round_trips(void **s)
{
	(void)s;
	EVP_PKEY *k = p256();
	uint8_t root[32], got_root[32];
	size_t n, got_n = 0;
	char *text = sample_checkpoint(k, root, &n);
	hx_err e = {0};

	/* The documented layout: three body lines, a blank line, one signature. */
	char want_head[256];
	char *b64 = hx_b64_encode(root, 32);
	assert_non_null(b64);
	snprintf(want_head, sizeof want_head, "%s\n21\n%s\n\n\xe2\x80\x94 %s ", ORIGIN, b64, ORIGIN);
	assert_memory_equal(text, want_head, strlen(want_head));
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(b64);

	assert_int_equal(hx_merkle_checkpoint_verify(&got_n, got_root, text, ORIGIN, k, &e), 0);
	assert_int_equal(got_n, n);
	assert_memory_equal(got_root, root, 32);

	char origin[64];
	assert_int_equal(hx_merkle_checkpoint_origin(origin, sizeof origin, text), 0);
	assert_string_equal(origin, ORIGIN);
	/* a checkpoint of another log, signed by the same key, is refused */
	assert_int_equal(hx_merkle_checkpoint_verify(&got_n, got_root, text, "hexie.example/evidence/1999", k, &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "wrong_origin");
	free(text);
	EVP_PKEY_free(k);
}

static void test_checkpoint_fails_when_any_byte_changes(void **s)
{
	(void)s;
	EVP_PKEY *k = p256();
	uint8_t root[32], got_root[32];
	size_t n, got_n = 0;
	char *text = sample_checkpoint(k, root, &n);
	size_t len = strlen(text);
	static const uint8_t flips[] = {0x01, 0x02, 0x20, 0x40};
	for (size_t i = 0; i < len; i++) {
		for (size_t f = 0; f < sizeof flips; f++) {
			char *t = strdup(text);
			assert_non_null(t);
			t[i] = (char)(t[i] ^ flips[f]);
			if (t[i] == '\0')
				t[i] = 'A';
			if (t[i] == text[i]) {
				free(t);
				continue;
			}
			hx_err e = {0};
			int rc = hx_merkle_checkpoint_verify(&got_n, got_root, t, ORIGIN, k, &e);
			if (rc == 0)
				fail_msg("checkpoint verified with byte %zu changed by 0x%02x", i, flips[f]);
			assert_int_equal(rc, HX_EINVAL);
			free(t);
		}
	}
	/* Dropping the final newline or appending junk fails too. */
	hx_err e = {0};
	text[len - 1] = '\0';
	assert_int_equal(hx_merkle_checkpoint_verify(&got_n, got_root, text, ORIGIN, k, &e), HX_EINVAL);
	free(text);
	EVP_PKEY_free(k);
}

static void test_checkpoint_fails_with_another_key(void **s)
{
	(void)s;
	EVP_PKEY *k = p256(), *other = p256();
	uint8_t root[32], got_root[32];
	size_t n, got_n = 0;
	char *text = sample_checkpoint(k, root, &n);
	hx_err e = {0};
	assert_int_equal(hx_merkle_checkpoint_verify(&got_n, got_root, text, ORIGIN, other, &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_signature");
	free(text);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void test_checkpoint_ignores_unknown_cosignatures(void **s)
{
	(void)s;
	EVP_PKEY *k = p256(), *w = p256();
	uint8_t root[32], got_root[32];
	size_t n, got_n = 0;
	char *text = sample_checkpoint(k, root, &n);
	/* A second log key signs the same body under another name: its line is
	 * well-formed and simply not ours. */
	char *other = NULL;
	hx_err e = {0};
	assert_int_equal(hx_merkle_checkpoint_sign(&other, "witness.example.cn", n, root, w, &e), 0);
	const char *sig = strstr(other, "\n\n") + 2;
	size_t tl = strlen(text), sl = strlen(sig);
	char *both = malloc(tl + sl + 1);
	assert_non_null(both);
	memcpy(both, text, tl);
	memcpy(both + tl, sig, sl + 1);
	assert_int_equal(hx_merkle_checkpoint_verify(&got_n, got_root, both, ORIGIN, k, &e), 0);
	assert_int_equal(got_n, n);
	assert_int_equal(hx_merkle_checkpoint_verify(&got_n, got_root, both, ORIGIN, w, &e), HX_EINVAL);
	free(both);
	free(other);
	free(text);
	EVP_PKEY_free(k);
	EVP_PKEY_free(w);
}

static void test_checkpoint_sign_rejects_bad_origin_and_non_p256_key(void **s)
{
	(void)s;
	EVP_PKEY *k = p256(), *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(ed);
	uint8_t root[32] = {0};
	char *text = NULL;
	hx_err e = {0};
	assert_int_equal(hx_merkle_checkpoint_sign(&text, "", 1, root, k, &e), HX_EINVAL);
	assert_int_equal(hx_merkle_checkpoint_sign(&text, "has space", 1, root, k, &e), HX_EINVAL);
	assert_int_equal(hx_merkle_checkpoint_sign(&text, "a+b", 1, root, k, &e), HX_EINVAL);
	assert_int_equal(hx_merkle_checkpoint_sign(&text, "a\nb", 1, root, k, &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_origin");
	assert_int_equal(hx_merkle_checkpoint_sign(&text, ORIGIN, 1, root, ed, &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_key");
	assert_null(text);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ed);
}

static void test_checkpoint_verify_rejects_oversized_text(void **s)
{
	(void)s;
	EVP_PKEY *k = p256();
	size_t big = 64 * 1024 + 2, n = 0;
	uint8_t root[32];
	char *t = malloc(big + 1);
	assert_non_null(t);
	memset(t, 'a', big);
	t[big] = '\0';
	hx_err e = {0};
	assert_int_equal(hx_merkle_checkpoint_verify(&n, root, t, ORIGIN, k, &e), HX_ETOOBIG);
	free(t);
	EVP_PKEY_free(k);
}

/* ---- the tree over stored nodes ---- */

enum { NODEN = 130, NODE_LEVELS = 8 };

typedef struct node_store {
	uint8_t h[NODE_LEVELS][NODEN][32];
	uint8_t have[NODE_LEVELS][NODEN];
	int reads;
} node_store;

static int store_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	node_store *st = ctx;
	st->reads++;
	if (level >= NODE_LEVELS || index >= NODEN || !st->have[level][index])
		return HX_ENOTFOUND; /* a node asked for before it was stored */
	memcpy(out, st->h[level][index], 32);
	return 0;
}

/* Appends n leaves the way the evidence log does, storing what each
 * append completes. */
static void store_fill(node_store *st, const uint8_t (*leaves)[32], size_t n)
{
	memset(st, 0, sizeof *st);
	for (size_t i = 0; i < n; i++) {
		memcpy(st->h[0][i], leaves[i], 32);
		st->have[0][i] = 1;
		hx_merkle_node made[64];
		int count = -1;
		assert_int_equal(hx_merkle_append(made, &count, i, leaves[i], store_get, st), 0);
		/* leaf i completes one node per trailing one bit of i */
		int ones = 0;
		for (size_t j = i; j & 1; j >>= 1)
			ones++;
		assert_int_equal(count, ones);
		for (int k = 0; k < count; k++) {
			assert_true(made[k].level < NODE_LEVELS && made[k].index < NODEN);
			assert_int_equal(made[k].level, (unsigned)k + 1);
			/* the node is the root of its 2^level leaves */
			uint8_t want[32];
			size_t w = (size_t)1 << made[k].level;
			assert_int_equal(hx_merkle_root(want, leaves + made[k].index * w, w), 0);
			assert_memory_equal(made[k].hash, want, 32);
			memcpy(st->h[made[k].level][made[k].index], made[k].hash, 32);
			st->have[made[k].level][made[k].index] = 1;
		}
	}
}

static void test_stored_nodes_give_the_same_roots_and_proofs_as_the_leaves(void **s)
{
	(void)s;
	static uint8_t leaves[NODEN][32];
	static node_store st;
	make_leaves(leaves, NODEN);
	store_fill(&st, (const uint8_t(*)[32])leaves, NODEN);
	for (size_t n = 0; n <= NODEN; n++) {
		uint8_t want[32], got[32];
		assert_int_equal(hx_merkle_root(want, (const uint8_t(*)[32])leaves, n), 0);
		st.reads = 0;
		assert_int_equal(hx_merkle_root_nodes(got, n, store_get, &st), 0);
		assert_memory_equal(got, want, 32);
		/* one read per set bit of n: the perfect subtrees, never the leaves */
		int bits = 0;
		for (size_t j = n; j; j >>= 1)
			bits += (int)(j & 1);
		assert_int_equal(st.reads, bits);
		for (size_t m = 0; m < n; m++) {
			uint8_t(*a)[32] = NULL, (*b)[32] = NULL;
			size_t al = 0, bl = 0;
			assert_int_equal(hx_merkle_inclusion_proof(&a, &al, (const uint8_t(*)[32])leaves, n, m), 0);
			assert_int_equal(hx_merkle_inclusion_proof_nodes(&b, &bl, n, m, store_get, &st), 0);
			assert_int_equal(bl, al);
			if (al)
				assert_memory_equal(b, a, al * 32);
			assert_int_equal(hx_merkle_verify_inclusion(leaves[m], m, n, (const uint8_t(*)[32])b, bl, want), 0);
			free(a);
			free(b);
		}
	}
}

static void test_stored_nodes_pass_on_a_missing_node(void **s)
{
	(void)s;
	static uint8_t leaves[8][32];
	static node_store st;
	make_leaves(leaves, 8);
	store_fill(&st, (const uint8_t(*)[32])leaves, 8);
	st.have[1][2] = 0; /* leaves 4..5 */
	uint8_t root[32];
	assert_int_equal(hx_merkle_root_nodes(root, 8, store_get, &st), 0); /* node (3,0) alone */
	uint8_t(*p)[32] = NULL;
	size_t len = 0;
	assert_int_equal(hx_merkle_inclusion_proof_nodes(&p, &len, 8, 6, store_get, &st), HX_ENOTFOUND);
	assert_null(p);
	assert_int_equal(hx_merkle_root_nodes(root, 7, store_get, &st), HX_ENOTFOUND);
	assert_int_equal(hx_merkle_inclusion_proof_nodes(&p, &len, 8, 8, store_get, &st), HX_EINVAL);
	hx_merkle_node made[64];
	int count;
	assert_int_equal(hx_merkle_append(made, &count, 7, leaves[7], NULL, NULL), HX_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_tree_root_is_sha256_of_empty_string),
		cmocka_unit_test(test_leaf_hash_prefixes_0x00),
		cmocka_unit_test(test_root_of_one_leaf_is_the_leaf_hash),
		cmocka_unit_test(test_root_of_two_leaves_prefixes_node_with_0x01),
		cmocka_unit_test(test_root_of_three_leaves_splits_at_two),
		cmocka_unit_test(test_root_of_seven_leaves_splits_at_four),
		cmocka_unit_test(test_roots_match_rfc6962_reference_vectors),
		cmocka_unit_test(test_inclusion_proofs_verify_for_every_index_up_to_33),
		cmocka_unit_test(test_inclusion_proof_fails_for_tampered_leaf_wrong_index_or_root),
		cmocka_unit_test(test_inclusion_proof_rejects_index_outside_tree),
		cmocka_unit_test(test_consistency_proofs_verify_for_all_sizes_up_to_33),
		cmocka_unit_test(test_consistency_proof_fails_when_a_root_or_node_is_wrong),
		cmocka_unit_test(test_consistency_from_empty_tree_needs_the_empty_root),
		cmocka_unit_test(test_stored_nodes_give_the_same_roots_and_proofs_as_the_leaves),
		cmocka_unit_test(test_stored_nodes_pass_on_a_missing_node),
		cmocka_unit_test(test_checkpoint_round_trips),
		cmocka_unit_test(test_checkpoint_fails_when_any_byte_changes),
		cmocka_unit_test(test_checkpoint_fails_with_another_key),
		cmocka_unit_test(test_checkpoint_ignores_unknown_cosignatures),
		cmocka_unit_test(test_checkpoint_sign_rejects_bad_origin_and_non_p256_key),
		cmocka_unit_test(test_checkpoint_verify_rejects_oversized_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
