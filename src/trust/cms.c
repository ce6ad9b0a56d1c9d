/* The CMS of a PAdES signature (ETSI.CAdES.detached), in DER: the signed
 * attributes a signer signs, the check of the signer's ECDSA signature
 * against the certificate, the digest its timestamp covers, and the
 * SignedData around a signature made elsewhere (the browser's raw r||s or
 * a seal key's DER). A small DER writer and reader do the encoding;
 * OpenSSL the cryptography. */
#include "pades_impl.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>

#include "tsa.h"

/* ---- limits --------------------------------------------------------------- */

#define CERT_MAX 16384         /* bytes of one certificate */
#define CHAIN_MAX 8            /* certificates after the signer's */
#define SIG_MAX 256            /* bytes of a signature value */
#define CMS_BUILD_MAX ((size_t)1 << 20)

/* ---- OIDs (DER content octets) -------------------------------------------- */

static const unsigned char OID_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
static const unsigned char OID_SIGNED_DATA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
static const unsigned char OID_CONTENT_TYPE[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03};
static const unsigned char OID_MESSAGE_DIGEST[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
/* id-aa-signingCertificateV2, RFC 5035 */
static const unsigned char OID_SIGNING_CERT_V2[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
						    0x01, 0x09, 0x10, 0x02, 0x2f};
/* id-aa-signatureTimeStampToken, RFC 3161 Appendix A */
static const unsigned char OID_TST[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x0e};
static const unsigned char OID_SHA256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
static const unsigned char OID_ECDSA_SHA256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};

/* ---- DER ------------------------------------------------------------------ */

/* Tag and definite length; the header of n content bytes. */
static size_t der_head_bytes(unsigned char h[6], unsigned tag, size_t n)
{
	size_t k = 0;
	h[k++] = (unsigned char)tag;
	if (n < 0x80) {
		h[k++] = (unsigned char)n;
		return k;
	}
	size_t bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
	h[k++] = (unsigned char)(0x80 | bytes);
	for (size_t i = bytes; i-- > 0;)
		h[k++] = (unsigned char)(n >> (8 * i));
	return k;
}

static void der_put(buf *b, unsigned tag, const void *content, size_t n)
{
	unsigned char h[6];
	buf_put(b, h, der_head_bytes(h, tag, n));
	buf_put(b, content, n);
}

/* A constructed value is written as der_begin, its content, der_end: the
 * header goes in front once the content's length is known. */
static size_t der_begin(const buf *b)
{
	return b->len;
}

static void der_end(buf *b, size_t mark, unsigned tag)
{
	unsigned char h[6];
	if (b->bad)
		return;
	size_t n = b->len - mark;
	size_t k = der_head_bytes(h, tag, n);
	if (buf_room(b, k))
		return;
	memmove(b->p + mark + k, b->p + mark, n);
	memcpy(b->p + mark, h, k);
	b->len += k;
}

/* AlgorithmIdentifier without parameters (RFC 5754, RFC 5758). */
static void der_alg(buf *b, const unsigned char *oid, size_t oid_len)
{
	size_t m = der_begin(b);
	der_put(b, 0x06, oid, oid_len);
	der_end(b, m, 0x30);
}

/* Attribute ::= SEQUENCE { attrType OID, attrValues SET { value } } */
static void der_attr(buf *b, const unsigned char *oid, size_t oid_len, const unsigned char *value,
		     size_t value_len)
{
	size_t a = der_begin(b);
	der_put(b, 0x06, oid, oid_len);
	size_t s = der_begin(b);
	buf_put(b, value, value_len);
	der_end(b, s, 0x31);
	der_end(b, a, 0x30);
}

typedef struct tlv {
	unsigned tag;
	const unsigned char *v;   /* content */
	size_t len;               /* content length */
	const unsigned char *all; /* tag, length and content */
	size_t all_len;
} tlv;

/* One DER value at in[*pos..end): one-byte tags, minimal definite lengths
 * of at most four bytes. */
static int der_get(tlv *t, const unsigned char *in, size_t end, size_t *pos)
{
	size_t i = *pos;
	if (i > end || end - i < 2)
		return -1;
	unsigned tag = in[i++];
	if ((tag & 0x1f) == 0x1f)
		return -1;
	size_t n = in[i++];
	if (n & 0x80) {
		size_t k = n & 0x7f;
		if (k == 0 || k > 4 || end - i < k || in[i] == 0)
			return -1;
		n = 0;
		for (size_t j = 0; j < k; j++)
			n = n << 8 | in[i++];
		if (n < 0x80)
			return -1;
	}
	if (n > end - i)
		return -1;
	t->tag = tag;
	t->v = in + i;
	t->len = n;
	t->all = in + *pos;
	t->all_len = i + n - *pos;
	*pos = i + n;
	return 0;
}

/* 1 when in[0..len) is exactly one DER value with this tag. */
static int der_whole(const unsigned char *in, size_t len, unsigned tag)
{
	tlv t;
	size_t pos = 0;
	return in && der_get(&t, in, len, &pos) == 0 && pos == len && t.tag == tag;
}

/* The issuer Name and serialNumber of a DER certificate as encoded in it:
 * the SignerInfo's issuerAndSerialNumber must match them byte for byte. */
static int cert_ids(tlv *issuer, tlv *serial, const unsigned char *cert, size_t len)
{
	tlv c, tbs, t;
	size_t pos = 0, i = 0, j = 0;
	if (der_get(&c, cert, len, &pos) || pos != len || c.tag != 0x30)
		return -1;
	if (der_get(&tbs, c.v, c.len, &i) || tbs.tag != 0x30 || der_get(&t, tbs.v, tbs.len, &j))
		return -1;
	if (t.tag == 0xa0 && der_get(&t, tbs.v, tbs.len, &j)) /* [0] version */
		return -1;
	if (t.tag != 0x02)
		return -1;
	*serial = t;
	if (der_get(&t, tbs.v, tbs.len, &j) || t.tag != 0x30) /* signature algorithm */
		return -1;
	if (der_get(issuer, tbs.v, tbs.len, &j) || issuer->tag != 0x30)
		return -1;
	return 0;
}

static int cert_check(const unsigned char *cert, size_t len, hx_err *err)
{
	tlv issuer, serial;
	if (!cert || len == 0 || len > CERT_MAX || cert_ids(&issuer, &serial, cert, len))
		return hx_err_set(err, HX_EINVAL, "bad_certificate", "certificate", "签名证书格式无效");
	return 0;
}

/* ---- ECDSA signature values ----------------------------------------------- */

/* The DER ECDSA-Sig-Value of sig (*out malloc'd): raw r||s (64 bytes, as
 * WebCrypto gives) is converted; DER is taken only in its canonical form. */
static int sig_der(unsigned char **out, size_t *out_len, const unsigned char *sig, size_t len, hx_err *err)
{
	ECDSA_SIG *s = NULL;
	BIGNUM *r = NULL, *ss = NULL;
	unsigned char *der = NULL, *q;
	int rc = hx_err_set(err, HX_EINVAL, "bad_signature", "signature", "签名值格式无效");
	*out = NULL;
	if (!sig || len == 0 || len > SIG_MAX)
		goto done;
	const unsigned char *in = sig;
	s = d2i_ECDSA_SIG(NULL, &in, (long)len);
	int is_der = s && in == sig + len;
	if (!is_der && len == 64) {
		ECDSA_SIG_free(s);
		s = ECDSA_SIG_new();
		r = BN_bin2bn(sig, 32, NULL);
		ss = BN_bin2bn(sig + 32, 32, NULL);
		if (!s || !r || !ss || !ECDSA_SIG_set0(s, r, ss))
			goto done;
		r = ss = NULL; /* s owns them now */
	} else if (!is_der) {
		goto done;
	}
	int n = i2d_ECDSA_SIG(s, NULL);
	if (n <= 0 || !(der = malloc((size_t)n)) || (q = der, i2d_ECDSA_SIG(s, &q) != n))
		goto done;
	if (is_der && ((size_t)n != len || memcmp(der, sig, len) != 0))
		goto done;
	*out = der;
	*out_len = (size_t)n;
	der = NULL;
	hx_err_clear(err);
	rc = 0;
done:
	ERR_clear_error();
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	free(der);
	return rc;
}

/* The public key of a signer's certificate, by the certificate's SHA-256.
 * OpenSSL 3.0 parses a certificate's key through its provider decoders,
 * which cost more than the ECDSA verification itself (a tenth of a
 * contract signature), and a signer's certificate comes back at every
 * signature it makes. The bytes decide the key, so nothing is trusted that
 * was not parsed; EVP_PKEY is reference-counted and only read. */
#define PUBKEY_CACHE 64
static pthread_mutex_t pubkey_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	unsigned char sha[32];
	EVP_PKEY *pk;
} pubkey_cache[PUBKEY_CACHE];
static unsigned pubkey_next;

/* A reference to the key of cert_der (EVP_PKEY_free it), or NULL. */
static EVP_PKEY *cert_pubkey(const unsigned char *cert_der, size_t cert_len)
{
	unsigned char sha[32];
	EVP_PKEY *pk = NULL;
	if (EVP_Digest(cert_der, cert_len, sha, NULL, EVP_sha256(), NULL) != 1)
		return NULL;
	pthread_mutex_lock(&pubkey_mu);
	for (int i = 0; i < PUBKEY_CACHE && !pk; i++)
		if (pubkey_cache[i].pk && memcmp(pubkey_cache[i].sha, sha, 32) == 0 && EVP_PKEY_up_ref(pubkey_cache[i].pk))
			pk = pubkey_cache[i].pk;
	pthread_mutex_unlock(&pubkey_mu);
	if (pk)
		return pk;
	const unsigned char *in = cert_der;
	X509 *x = d2i_X509(NULL, &in, (long)cert_len);
	pk = x ? X509_get_pubkey(x) : NULL;
	X509_free(x);
	if (pk && EVP_PKEY_up_ref(pk)) {
		pthread_mutex_lock(&pubkey_mu);
		unsigned i = pubkey_next++ % PUBKEY_CACHE;
		EVP_PKEY_free(pubkey_cache[i].pk);
		memcpy(pubkey_cache[i].sha, sha, 32);
		pubkey_cache[i].pk = pk;
		pthread_mutex_unlock(&pubkey_mu);
	}
	return pk;
}

int hx_cms_check_signature(const unsigned char *attrs, size_t attrs_len, const unsigned char *sig,
			   size_t sig_len, const unsigned char *cert_der, size_t cert_len, hx_err *err)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *c = NULL;
	int rc;
	if ((rc = cert_check(cert_der, cert_len, err)) || (rc = sig_der(&der, &der_len, sig, sig_len, err)))
		goto done;
	pk = cert_pubkey(cert_der, cert_len);
	if (!pk || EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC) {
		rc = hx_err_set(err, HX_EINVAL, "bad_certificate", "certificate", "签名证书不是 ECDSA 证书");
		goto done;
	}
	if (!attrs || attrs_len == 0 || !(c = EVP_MD_CTX_new()) ||
	    EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestVerify(c, der, der_len, attrs, attrs_len) != 1) {
		rc = hx_err_set(err, HX_EINVAL, "bad_signature", "signature", "签名验证失败");
		goto done;
	}
	rc = 0;
done:
	ERR_clear_error();
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(pk);
	free(der);
	return rc;
}

int hx_cms_signature_digest(unsigned char out[32], const unsigned char *sig, size_t sig_len, hx_err *err)
{
	unsigned char *der = NULL;
	size_t n = 0;
	int rc = sig_der(&der, &n, sig, sig_len, err);
	if (rc == 0 && sha256(out, der, n))
		rc = hx_err_set(err, HX_EINTERNAL, "digest_failed", "", "摘要计算失败");
	free(der);
	return rc;
}

/* ---- CMS ------------------------------------------------------------------ */

static int buf_cmp(const void *a, const void *b)
{
	const buf *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

int hx_cms_signed_attrs(unsigned char **out, size_t *len, const unsigned char digest[32],
			const unsigned char *cert_der, size_t cert_len, hx_err *err)
{
	buf a[3], v, set;
	unsigned char h[32];
	int rc;
	*out = NULL;
	*len = 0;
	for (size_t i = 0; i < 3; i++)
		buf_init(&a[i], 4096);
	buf_init(&v, 4096);
	buf_init(&set, 8192);
	if ((rc = cert_check(cert_der, cert_len, err)))
		goto done;
	if (sha256(h, cert_der, cert_len)) {
		rc = hx_err_set(err, HX_EINTERNAL, "digest_failed", "", "摘要计算失败");
		goto done;
	}
	der_put(&v, 0x06, OID_DATA, sizeof OID_DATA);
	der_attr(&a[0], OID_CONTENT_TYPE, sizeof OID_CONTENT_TYPE, v.p, v.len);
	v.len = 0;
	der_put(&v, 0x04, digest, 32);
	der_attr(&a[1], OID_MESSAGE_DIGEST, sizeof OID_MESSAGE_DIGEST, v.p, v.len);
	/* SigningCertificateV2 { certs { ESSCertIDv2 { certHash } } }: the
	 * hash algorithm is the default SHA-256, so it is left out (DER). */
	v.len = 0;
	size_t s1 = der_begin(&v), s2 = der_begin(&v), s3 = der_begin(&v);
	der_put(&v, 0x04, h, sizeof h);
	der_end(&v, s3, 0x30);
	der_end(&v, s2, 0x30);
	der_end(&v, s1, 0x30);
	der_attr(&a[2], OID_SIGNING_CERT_V2, sizeof OID_SIGNING_CERT_V2, v.p, v.len);
	if (a[0].bad || a[1].bad || a[2].bad || v.bad) {
		rc = no_memory(err);
		goto done;
	}
	/* DER: the members of a SET OF in the order of their encodings */
	qsort(a, 3, sizeof a[0], buf_cmp);
	size_t m = der_begin(&set);
	for (size_t i = 0; i < 3; i++)
		buf_put(&set, a[i].p, a[i].len);
	der_end(&set, m, 0x31);
	if (set.bad) {
		rc = no_memory(err);
		goto done;
	}
	*out = set.p;
	*len = set.len;
	set.p = NULL;
	rc = 0;
done:
	for (size_t i = 0; i < 3; i++)
		buf_free(&a[i]);
	buf_free(&v);
	buf_free(&set);
	return rc;
}

static int assemble_check(const unsigned char *attrs, size_t attrs_len, const unsigned char *cert_der,
			  size_t cert_len, const unsigned char *const *chain, const size_t *chain_len,
			  size_t nchain, const unsigned char *tst, size_t tst_len, hx_err *err)
{
	int rc;
	if ((rc = cert_check(cert_der, cert_len, err)))
		return rc;
	if (nchain > CHAIN_MAX || (nchain && (!chain || !chain_len)))
		return hx_err_set(err, HX_EINVAL, "bad_chain", "chain", "证书链无效（至多 %d 张）", CHAIN_MAX);
	for (size_t i = 0; i < nchain; i++)
		if (chain_len[i] > CERT_MAX || !der_whole(chain[i], chain_len[i], 0x30))
			return hx_err_set(err, HX_EINVAL, "bad_chain", "chain", "证书链中的证书格式无效");
	if (attrs_len > CMS_BUILD_MAX || !der_whole(attrs, attrs_len, 0x31))
		return hx_err_set(err, HX_EINVAL, "bad_attrs", "attrs", "签名属性格式无效");
	if (tst && (tst_len > HX_TSA_TOKEN_MAX || !der_whole(tst, tst_len, 0x30)))
		return hx_err_set(err, HX_EINVAL, "bad_timestamp", "timestamp", "时间戳令牌格式无效");
	return 0;
}

/* SignerInfo, version 1 (issuerAndSerialNumber). */
static void put_signer_info(buf *b, const tlv *issuer, const tlv *serial, const unsigned char *attrs,
			    size_t attrs_len, const unsigned char *sig, size_t sig_len,
			    const unsigned char *tst, size_t tst_len)
{
	tlv at;
	size_t pos = 0;
	(void)der_get(&at, attrs, attrs_len, &pos); /* checked by assemble_check */
	size_t si = der_begin(b);
	der_put(b, 0x02, "\x01", 1);
	size_t ias = der_begin(b);
	buf_put(b, issuer->all, issuer->all_len);
	buf_put(b, serial->all, serial->all_len);
	der_end(b, ias, 0x30);
	der_alg(b, OID_SHA256, sizeof OID_SHA256);
	der_put(b, 0xa0, at.v, at.len); /* signedAttrs [0] IMPLICIT */
	der_alg(b, OID_ECDSA_SHA256, sizeof OID_ECDSA_SHA256);
	der_put(b, 0x04, sig, sig_len);
	if (tst) {
		size_t u = der_begin(b);
		der_attr(b, OID_TST, sizeof OID_TST, tst, tst_len);
		der_end(b, u, 0xa1); /* unsignedAttrs [1] IMPLICIT */
	}
	der_end(b, si, 0x30);
}

int hx_cms_assemble(unsigned char **out, size_t *len, const unsigned char *attrs, size_t attrs_len,
		    const unsigned char *sig, size_t sig_len, const unsigned char *cert_der, size_t cert_len,
		    const unsigned char *const *chain, const size_t *chain_len, size_t nchain,
		    const unsigned char *tst, size_t tst_len, hx_err *err)
{
	unsigned char *sd = NULL;
	size_t sd_len = 0;
	tlv issuer, serial;
	buf b;
	int rc;
	*out = NULL;
	*len = 0;
	buf_init(&b, CMS_BUILD_MAX);
	if ((rc = assemble_check(attrs, attrs_len, cert_der, cert_len, chain, chain_len, nchain, tst,
				 tst_len, err)) ||
	    (rc = sig_der(&sd, &sd_len, sig, sig_len, err)))
		goto done;
	(void)cert_ids(&issuer, &serial, cert_der, cert_len); /* checked by cert_check */
	size_t ci = der_begin(&b);
	der_put(&b, 0x06, OID_SIGNED_DATA, sizeof OID_SIGNED_DATA);
	size_t x0 = der_begin(&b), sd_seq = der_begin(&b);
	der_put(&b, 0x02, "\x01", 1);
	size_t algs = der_begin(&b);
	der_alg(&b, OID_SHA256, sizeof OID_SHA256);
	der_end(&b, algs, 0x31);
	der_alg(&b, OID_DATA, sizeof OID_DATA); /* encapContentInfo, detached */
	size_t certs = der_begin(&b);
	buf_put(&b, cert_der, cert_len);
	for (size_t i = 0; i < nchain; i++)
		buf_put(&b, chain[i], chain_len[i]);
	der_end(&b, certs, 0xa0);
	size_t sis = der_begin(&b);
	put_signer_info(&b, &issuer, &serial, attrs, attrs_len, sd, sd_len, tst, tst_len);
	der_end(&b, sis, 0x31);
	der_end(&b, sd_seq, 0x30);
	der_end(&b, x0, 0xa0);
	der_end(&b, ci, 0x30);
	if (b.bad) {
		rc = hx_err_set(err, HX_ETOOBIG, "cms_too_big", "", "签名数据过大");
		goto done;
	}
	*out = b.p;
	*len = b.len;
	b.p = NULL;
	rc = 0;
done:
	free(sd);
	buf_free(&b);
	return rc;
}
