/* The append-only Merkle log of evidence events: RFC 9162 tree hashing,
 * inclusion and consistency proofs and their verifiers, and the signed
 * checkpoints (C2SP signed-note style) that commit the log to a size and a
 * root. Everything here works on leaf hashes in memory; where they are kept
 * is the store's business. */
#include "trust.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/crypto.h"

enum {
	MAX_PROOF = 2 * 64,           /* a consistency proof has at most 2*log2(n) nodes */
	MAX_CHECKPOINT = 64 * 1024,
	MAX_ORIGIN = 255,
	MAX_SIGLINES = 100,           /* as Go's sumdb note.Open */
	SIGTYPE_ECDSA = 0x02,
};

static const char EM_DASH_SP[] = "\xe2\x80\x94 ";

/* SHA-256("") per RFC 9162 §2.1.1. */
static const uint8_t EMPTY_ROOT[32] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

/* ---- tree hashing ---- */

/* SHA-256(0x01 || l || r). The one-shot SHA256() works on a stack buffer
 * and cannot fail, so the tree code below has no error paths. */
static void node_hash(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	uint8_t b[65];
	b[0] = 0x01;
	memcpy(b + 1, l, 32);
	memcpy(b + 33, r, 32);
	SHA256(b, sizeof b, out);
}

/* The largest power of two smaller than n, for n >= 2. */
static size_t split(size_t n)
{
	size_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

static int is_pow2(size_t n)
{
	return n && !(n & (n - 1));
}

/* MTH(D[n]) for n >= 1. Recursion depth is log2(n). */
static void mth(uint8_t out[32], const uint8_t (*d)[32], size_t n)
{
	if (n == 1) {
		memcpy(out, d[0], 32);
		return;
	}
	size_t k = split(n);
	uint8_t l[32], r[32];
	mth(l, d, k);
	mth(r, d + k, n - k);
	node_hash(out, l, r);
}

int hx_merkle_leaf_hash(uint8_t out[32], const void *data, size_t len)
{
	static const uint8_t prefix = 0x00;
	int rc = HX_EINTERNAL;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return HX_ENOMEM;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, &prefix, 1) != 1)
		goto done;
	if (len && EVP_DigestUpdate(c, data, len) != 1)
		goto done;
	if (EVP_DigestFinal_ex(c, out, NULL) != 1)
		goto done;
	rc = 0;
done:
	EVP_MD_CTX_free(c);
	return rc;
}

int hx_merkle_root(uint8_t out[32], const uint8_t (*leaves)[32], size_t n)
{
	if (n == 0) {
		memcpy(out, EMPTY_ROOT, 32);
		return 0;
	}
	if (!leaves)
		return HX_EINVAL;
	mth(out, leaves, n);
	return 0;
}

/* ---- proofs ---- */

typedef struct proof {
	uint8_t h[MAX_PROOF][32];
	size_t len;
} proof;

static void proof_push(proof *p, const uint8_t (*d)[32], size_t n)
{
	/* Bounded by the tree depth: at most 64 for PATH, 2*64 for PROOF. */
	mth(p->h[p->len++], d, n);
}

static int proof_out(uint8_t (**out)[32], size_t *len, const proof *p)
{
	*out = NULL;
	*len = 0;
	if (p->len == 0)
		return 0;
	uint8_t (*a)[32] = malloc(p->len * 32);
	if (!a)
		return HX_ENOMEM;
	memcpy(a, p->h, p->len * 32);
	*out = a;
	*len = p->len;
	return 0;
}

/* PATH(m, D[n]), §2.1.3.1. */
static void path(proof *p, size_t m, const uint8_t (*d)[32], size_t n)
{
	if (n <= 1)
		return;
	size_t k = split(n);
	if (m < k) {
		path(p, m, d, k);
		proof_push(p, d + k, n - k);
	} else {
		path(p, m - k, d + k, n - k);
		proof_push(p, d, k);
	}
}

int hx_merkle_inclusion_proof(uint8_t (**out)[32], size_t *len, const uint8_t (*leaves)[32],
			      size_t n, size_t index)
{
	*out = NULL;
	*len = 0;
	if (!leaves || index >= n)
		return HX_EINVAL;
	proof *p = calloc(1, sizeof *p);
	if (!p)
		return HX_ENOMEM;
	path(p, index, leaves, n);
	int rc = proof_out(out, len, p);
	free(p);
	return rc;
}

int hx_merkle_verify_inclusion(const uint8_t leaf[32], size_t index, size_t n,
			       const uint8_t (*proof_)[32], size_t len, const uint8_t root[32])
{
	if (index >= n || (len && !proof_))
		return HX_EINVAL;
	size_t fn = index, sn = n - 1;
	uint8_t r[32];
	memcpy(r, leaf, 32);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return HX_EINVAL;
		if ((fn & 1) || fn == sn) {
			node_hash(r, proof_[i], r);
			if (!(fn & 1))
				while (fn && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			node_hash(r, r, proof_[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || CRYPTO_memcmp(r, root, 32) != 0)
		return HX_EINVAL;
	return 0;
}

/* SUBPROOF(m, D[n], b), §2.1.4.1. */
static void subproof(proof *p, size_t m, const uint8_t (*d)[32], size_t n, int b)
{
	if (m == n) {
		if (!b)
			proof_push(p, d, n);
		return;
	}
	size_t k = split(n);
	if (m <= k) {
		subproof(p, m, d, k, b);
		proof_push(p, d + k, n - k);
	} else {
		subproof(p, m - k, d + k, n - k, 0);
		proof_push(p, d, k);
	}
}

int hx_merkle_consistency_proof(uint8_t (**out)[32], size_t *len, const uint8_t (*leaves)[32],
				size_t n, size_t m)
{
	*out = NULL;
	*len = 0;
	if (m > n || (n && !leaves))
		return HX_EINVAL;
	if (m == 0 || m == n)
		return 0;
	proof *p = calloc(1, sizeof *p);
	if (!p)
		return HX_ENOMEM;
	subproof(p, m, leaves, n, 1);
	int rc = proof_out(out, len, p);
	free(p);
	return rc;
}

/* ---- the tree over stored nodes ---- */

static unsigned log2_exact(uint64_t n)
{
	unsigned l = 0;
	while (n > 1) {
		n >>= 1;
		l++;
	}
	return l;
}

int hx_merkle_append(hx_merkle_node out[64], int *count, uint64_t index, const uint8_t leaf[32],
		     hx_merkle_node_fn get, void *ctx)
{
	*count = 0;
	if (!get || index == UINT64_MAX)
		return HX_EINVAL;
	uint8_t cur[32];
	memcpy(cur, leaf, 32);
	/* leaf index closes the subtree of 2^l leaves when index + 1 is a
	 * multiple of 2^l; its left sibling is the node before it */
	uint64_t done = index + 1;
	for (unsigned l = 1; l < 64 && done % ((uint64_t)1 << l) == 0; l++) {
		uint8_t left[32];
		int rc = get(ctx, l - 1, (done >> (l - 1)) - 2, left);
		if (rc)
			return rc;
		node_hash(cur, left, cur);
		out[*count].level = l;
		out[*count].index = (done >> l) - 1;
		memcpy(out[*count].hash, cur, 32);
		(*count)++;
	}
	return 0;
}

/* MTH(D[start : start + n]) for n >= 1 where start is a multiple of the
 * largest power of two <= n: true of every subtree the RFC's recursion
 * visits in a tree that starts at leaf 0. */
static int mth_nodes(uint8_t out[32], uint64_t start, uint64_t n, hx_merkle_node_fn get, void *ctx)
{
	if (is_pow2(n)) {
		unsigned l = log2_exact(n);
		return get(ctx, l, start >> l, out);
	}
	uint64_t k = split(n);
	uint8_t l[32], r[32];
	int rc = mth_nodes(l, start, k, get, ctx);
	if (!rc)
		rc = mth_nodes(r, start + k, n - k, get, ctx);
	if (!rc)
		node_hash(out, l, r);
	return rc;
}

int hx_merkle_root_nodes(uint8_t out[32], uint64_t n, hx_merkle_node_fn get, void *ctx)
{
	if (n == 0) {
		memcpy(out, EMPTY_ROOT, 32);
		return 0;
	}
	if (!get)
		return HX_EINVAL;
	return mth_nodes(out, 0, n, get, ctx);
}

static int path_nodes(proof *p, uint64_t m, uint64_t start, uint64_t n, hx_merkle_node_fn get, void *ctx)
{
	if (n <= 1)
		return 0;
	uint64_t k = split(n);
	int rc;
	if (m < k) {
		if ((rc = path_nodes(p, m, start, k, get, ctx)))
			return rc;
		return mth_nodes(p->h[p->len++], start + k, n - k, get, ctx);
	}
	if ((rc = path_nodes(p, m - k, start + k, n - k, get, ctx)))
		return rc;
	return mth_nodes(p->h[p->len++], start, k, get, ctx);
}

int hx_merkle_inclusion_proof_nodes(uint8_t (**out)[32], size_t *len, uint64_t n, uint64_t index,
				    hx_merkle_node_fn get, void *ctx)
{
	*out = NULL;
	*len = 0;
	if (!get || index >= n)
		return HX_EINVAL;
	proof *p = calloc(1, sizeof *p);
	if (!p)
		return HX_ENOMEM;
	int rc = path_nodes(p, index, 0, n, get, ctx);
	if (!rc)
		rc = proof_out(out, len, p);
	free(p);
	return rc;
}

/* Node i of the path, with the old root in front when pre is set. */
static const uint8_t *path_at(const uint8_t (*proof_)[32], const uint8_t *old_root, int pre, size_t i)
{
	if (pre)
		return i == 0 ? old_root : proof_[i - 1];
	return proof_[i];
}

int hx_merkle_verify_consistency(size_t m, size_t n, const uint8_t old_root[32],
				 const uint8_t new_root[32], const uint8_t (*proof_)[32], size_t len)
{
	if (m > n || (len && !proof_))
		return HX_EINVAL;
	if (m == 0)
		return len == 0 && CRYPTO_memcmp(old_root, EMPTY_ROOT, 32) == 0 ? 0 : HX_EINVAL;
	if (m == n)
		return len == 0 && CRYPTO_memcmp(old_root, new_root, 32) == 0 ? 0 : HX_EINVAL;
	/* 1. An empty path proves nothing for m < n. */
	if (len == 0)
		return HX_EINVAL;
	/* 2. When m is a power of two the old root is itself the first node;
	 * rather than copy the path, the loop reads through path_at(). */
	int pre = is_pow2(m);
	size_t total = len + (size_t)pre;
	/* 3, 4. */
	size_t fn = m - 1, sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* 5. */
	uint8_t fr[32], sr[32];
	memcpy(fr, path_at(proof_, old_root, pre, 0), 32);
	memcpy(sr, fr, 32);
	/* 6. */
	for (size_t i = 1; i < total; i++) {
		const uint8_t *c = path_at(proof_, old_root, pre, i);
		if (sn == 0)
			return HX_EINVAL;
		if ((fn & 1) || fn == sn) {
			node_hash(fr, c, fr);
			node_hash(sr, c, sr);
			if (!(fn & 1))
				while (fn && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			node_hash(sr, sr, c);
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* 7. */
	if (sn != 0 || CRYPTO_memcmp(fr, old_root, 32) != 0 || CRYPTO_memcmp(sr, new_root, 32) != 0)
		return HX_EINVAL;
	return 0;
}

/* ---- signed checkpoints ---- */

static int origin_valid(const char *s, size_t n)
{
	if (n == 0 || n > MAX_ORIGIN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '+')
			return 0;
	return 1;
}

static int is_p256(EVP_PKEY *k)
{
	char group[32];
	if (!k || !EVP_PKEY_is_a(k, "EC"))
		return 0;
	if (!EVP_PKEY_get_group_name(k, group, sizeof group, NULL))
		return 0;
	return strcmp(group, "prime256v1") == 0;
}

/* SHA-256(origin || 0x0A || 0x02 || SPKI)[:4]. */
static int key_hint(uint8_t out[4], const char *origin, size_t olen, EVP_PKEY *k)
{
	unsigned char *spki = NULL;
	int spki_len = i2d_PUBKEY(k, &spki);
	if (spki_len <= 0)
		return HX_EINTERNAL;
	int rc = HX_EINTERNAL;
	uint8_t h[32];
	static const uint8_t sep[2] = {0x0a, SIGTYPE_ECDSA};
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		goto done;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, origin, olen) != 1 ||
	    EVP_DigestUpdate(c, sep, 2) != 1 || EVP_DigestUpdate(c, spki, (size_t)spki_len) != 1 ||
	    EVP_DigestFinal_ex(c, h, NULL) != 1)
		goto done;
	memcpy(out, h, 4);
	rc = 0;
done:
	EVP_MD_CTX_free(c);
	OPENSSL_free(spki);
	return rc;
}

/* Decodes s[0..n) only if it is the canonical padded base64 of its bytes,
 * so that no two texts carry the same signature or root. */
static int b64_strict(uint8_t **out, size_t *outlen, const char *s, size_t n)
{
	*out = NULL;
	if (n == 0 || n % 4 || n > MAX_CHECKPOINT)
		return HX_EINVAL;
	char *z = strndup(s, n);
	uint8_t *b = NULL;
	size_t bl = 0;
	char *again = NULL;
	int rc = HX_EINVAL;
	if (!z)
		return HX_ENOMEM;
	if (strlen(z) != n || hx_b64_decode(&b, &bl, z))
		goto done;
	again = hx_b64_encode(b, bl);
	if (!again) {
		rc = HX_ENOMEM;
		goto done;
	}
	if (strcmp(again, z) != 0)
		goto done;
	*out = b;
	*outlen = bl;
	b = NULL;
	rc = 0;
done:
	free(again);
	free(b);
	free(z);
	return rc;
}

int hx_merkle_checkpoint_sign(char **out, const char *origin, size_t n, const uint8_t root[32],
			      EVP_PKEY *key, hx_err *err)
{
	*out = NULL;
	hx_buf note;
	hx_buf_init(&note, MAX_CHECKPOINT);
	EVP_MD_CTX *c = NULL;
	uint8_t *blob = NULL;
	char *root64 = NULL, *sig64 = NULL;
	size_t olen = origin ? strlen(origin) : 0;
	int rc;

	if (!origin || !origin_valid(origin, olen)) {
		rc = hx_err_set(err, HX_EINVAL, "bad_origin", "origin",
				"日志名须为 1 至 255 个可打印 ASCII 字符，且不含空格和“+”");
		goto done;
	}
	if (!is_p256(key)) {
		rc = hx_err_set(err, HX_EINVAL, "bad_key", "key", "检查点签名密钥须为 ECDSA P-256 密钥");
		goto done;
	}
	root64 = hx_b64_encode(root, 32);
	if (!root64) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
		goto done;
	}
	if ((rc = hx_buf_printf(&note, "%s\n%zu\n%s\n", origin, n, root64))) {
		hx_err_set(err, rc, "checkpoint_too_big", "", "检查点超过大小上限");
		goto done;
	}
	size_t body_len = note.len;

	uint8_t hint[4];
	size_t siglen = 0;
	c = EVP_MD_CTX_new();
	if (!c || key_hint(hint, origin, olen, key) ||
	    EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(c, NULL, &siglen, (const uint8_t *)note.data, body_len) != 1 ||
	    !(blob = malloc(4 + siglen)) ||
	    EVP_DigestSign(c, blob + 4, &siglen, (const uint8_t *)note.data, body_len) != 1) {
		rc = hx_err_set(err, HX_EINTERNAL, "sign_failed", "", "检查点签名失败");
		goto done;
	}
	memcpy(blob, hint, 4);
	sig64 = hx_b64_encode(blob, 4 + siglen);
	if (!sig64) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
		goto done;
	}
	if ((rc = hx_buf_printf(&note, "\n%s%s %s\n", EM_DASH_SP, origin, sig64))) {
		hx_err_set(err, rc, "checkpoint_too_big", "", "检查点超过大小上限");
		goto done;
	}
	*out = hx_buf_steal(&note, NULL);
	rc = *out ? 0 : hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
done:
	EVP_MD_CTX_free(c);
	free(blob);
	free(root64);
	free(sig64);
	hx_buf_free(&note);
	return rc;
}

/* Strict decimal: digits only, no leading zeros, no overflow. */
static int parse_size(size_t *out, const char *s, size_t n)
{
	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	size_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		size_t dgt = (size_t)(s[i] - '0');
		if (v > (SIZE_MAX - dgt) / 10)
			return -1;
		v = v * 10 + dgt;
	}
	*out = v;
	return 0;
}

static int bad(hx_err *err, const char *why)
{
	return hx_err_set(err, HX_EINVAL, "bad_checkpoint", "checkpoint", "检查点格式错误：%s", why);
}

/* One signature line "— name base64" (without its newline): 0 and the
 * decoded blob when it is by (origin, hint); 1 when it is by another key;
 * HX_EINVAL when malformed. */
static int sig_line(uint8_t **blob, size_t *blen, const char *s, size_t n, const char *origin,
		    size_t olen, const uint8_t hint[4])
{
	size_t dl = sizeof EM_DASH_SP - 1;
	if (n < dl || memcmp(s, EM_DASH_SP, dl) != 0)
		return HX_EINVAL;
	s += dl;
	n -= dl;
	const char *sp = memchr(s, ' ', n);
	if (!sp || sp == s)
		return HX_EINVAL;
	size_t nl = (size_t)(sp - s);
	int rc = b64_strict(blob, blen, sp + 1, n - nl - 1);
	if (rc)
		return rc;
	if (*blen < 5) {
		free(*blob);
		*blob = NULL;
		return HX_EINVAL;
	}
	if (nl != olen || memcmp(s, origin, olen) != 0 || memcmp(*blob, hint, 4) != 0) {
		free(*blob);
		*blob = NULL;
		return 1;
	}
	return 0;
}

int hx_merkle_checkpoint_verify(size_t *n, uint8_t root[32], const char *text, const char *origin,
				EVP_PKEY *pub, hx_err *err)
{
	uint8_t *rootb = NULL, *blob = NULL;
	size_t rootlen = 0, bloblen = 0;
	EVP_MD_CTX *c = NULL;
	int rc;

	if (!text)
		return bad(err, "为空");
	size_t len = strnlen(text, MAX_CHECKPOINT + 1);
	if (len > MAX_CHECKPOINT)
		return hx_err_set(err, HX_ETOOBIG, "checkpoint_too_big", "checkpoint", "检查点超过大小上限");
	char got[256];
	if (!origin || hx_merkle_checkpoint_origin(got, sizeof got, text) != 0 || strcmp(got, origin) != 0)
		return hx_err_set(err, HX_EINVAL, "wrong_origin", "", "checkpoint is not of the log %s",
				  origin ? origin : "(none)");
	if (!is_p256(pub))
		return hx_err_set(err, HX_EINVAL, "bad_key", "key", "检查点验证密钥须为 ECDSA P-256 密钥");
	/* signed-note: no control characters but newline; ends in newline. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)text[i] < 0x20 && text[i] != '\n')
			return bad(err, "含控制字符");
	if (len == 0 || text[len - 1] != '\n')
		return bad(err, "未以换行结束");
	/* The body ends at the last blank line (as Go's note.Open). */
	const char *blank = NULL;
	for (size_t i = len - 1; i-- > 0;)
		if (text[i] == '\n' && text[i + 1] == '\n') {
			blank = text + i;
			break;
		}
	if (!blank)
		return bad(err, "缺少签名");
	size_t body_len = (size_t)(blank - text) + 1;

	/* Body: origin, size, root, then extension lines (none empty). */
	const char *line[3];
	size_t ll[3];
	const char *p = text, *end = text + body_len;
	for (int i = 0; i < 3; i++) {
		if (p >= end)
			return bad(err, "行数不足");
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line[i] = p;
		ll[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	for (const char *q = p; q < end; q++)
		if (*q == '\n' && (q == p || q[-1] == '\n'))
			return bad(err, "含空的扩展行");
	if (!origin_valid(line[0], ll[0]))
		return bad(err, "日志名无效");
	size_t size;
	if (parse_size(&size, line[1], ll[1]))
		return bad(err, "树大小无效");
	rc = b64_strict(&rootb, &rootlen, line[2], ll[2]);
	if (rc == HX_ENOMEM)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
	if (rc || rootlen != 32) {
		rc = bad(err, "根哈希无效");
		goto done;
	}

	uint8_t hint[4];
	if (key_hint(hint, line[0], ll[0], pub)) {
		rc = hx_err_set(err, HX_EINTERNAL, "verify_failed", "", "检查点验证失败");
		goto done;
	}
	/* Signature lines: all well-formed; the first by this key decides. */
	int lines = 0, found = 0;
	for (p = blank + 2; p < text + len;) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		if (++lines > MAX_SIGLINES) {
			rc = bad(err, "签名过多");
			goto done;
		}
		uint8_t *b = NULL;
		size_t bl = 0;
		int r = sig_line(&b, &bl, p, (size_t)(nl - p), line[0], ll[0], hint);
		if (r < 0) {
			rc = r == HX_ENOMEM ? hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足")
					    : bad(err, "签名行无效");
			goto done;
		}
		if (r == 0 && !found) {
			blob = b;
			bloblen = bl;
			found = 1;
		} else {
			free(b);
		}
		p = nl + 1;
	}
	if (!found) {
		rc = hx_err_set(err, HX_EINVAL, "bad_signature", "checkpoint", "检查点没有此密钥的签名");
		goto done;
	}
	c = EVP_MD_CTX_new();
	if (!c || EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, pub) != 1) {
		rc = hx_err_set(err, HX_EINTERNAL, "verify_failed", "", "检查点验证失败");
		goto done;
	}
	if (EVP_DigestVerify(c, blob + 4, bloblen - 4, (const uint8_t *)text, body_len) != 1) {
		ERR_clear_error(); /* a bad signature is an answer, not an OpenSSL fault */
		rc = hx_err_set(err, HX_EINVAL, "bad_signature", "checkpoint", "检查点签名无效");
		goto done;
	}
	*n = size;
	memcpy(root, rootb, 32);
	rc = 0;
done:
	EVP_MD_CTX_free(c);
	free(blob);
	free(rootb);
	return rc;
}

int hx_merkle_checkpoint_origin(char *out, size_t cap, const char *text)
{
	const char *nl = text ? strchr(text, '\n') : NULL;
	if (!nl || nl == text)
		return HX_EINVAL;
	size_t n = (size_t)(nl - text);
	if (n + 1 > cap)
		return HX_ETOOBIG;
	memcpy(out, text, n);
	out[n] = '\0';
	return 0;
}
