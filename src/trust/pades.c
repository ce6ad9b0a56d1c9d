/* PAdES B-T signatures on the PDF of an electronic labour contract
 * (电子劳动合同): the incremental update that makes room for a signature,
 * the CMS (ETSI.CAdES.detached) around a signature made elsewhere, and the
 * check of every signature of a PDF. Three small parts live here: a DER
 * writer and reader for the CMS, a bounded reader of PDF files with classic
 * xref tables (as cairo writes them, and as this module appends them), and
 * the PAdES steps on top. OpenSSL does the cryptography, and parses the CMS
 * and the certificates when verifying. */
#include "pades.h"

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "tsa.h"

/* ---- limits --------------------------------------------------------------- */

#define DEPTH_MAX 32           /* nesting of PDF arrays and dictionaries */
#define SECTIONS_MAX 256       /* xref sections followed through /Prev */
#define LOADS_MAX 100000       /* indirect objects read per document */
#define SCAN_FACTOR 64         /* bytes parsed per byte of the file, at most */
#define SCAN_BASE ((size_t)4 << 20)
#define FIELDS_MAX 1024        /* form fields visited */
#define FIELD_DEPTH_MAX 8      /* /Kids levels of the form field tree */
#define REF_CHAIN_MAX 8        /* a reference to a reference to … */
#define SIGS_MAX 64            /* signatures checked in one document */
#define FIELD_NAME_MAX 256     /* bytes of a qualified field name (UTF-8) */
#define FIELD_NAME_IN_MAX 64   /* bytes of a field name given to prepare */
#define TEXT_MAX 1024          /* bytes of /Name or /Reason (UTF-8) */
#define CERT_MAX 16384         /* bytes of one certificate */
#define CHAIN_MAX 8            /* certificates after the signer's */
#define SIG_MAX 256            /* bytes of a signature value */
#define CMS_BUILD_MAX ((size_t)1 << 20)
#define CMS_READ_MAX ((size_t)1 << 20) /* a /Contents read when verifying */
#define UPDATE_SLACK ((size_t)1 << 20) /* an update's size beyond /Contents */
#define BR_TEXT 34             /* "0 " and three 10-wide numbers, spaced */
#define AP_PIXELS_MAX (2048 * 2048) /* pixels of a signature's appearance image */
#define AP_SIDE_MAX 4096       /* its width or height */
#define PAGE_INDEX_MAX 100000  /* pages walked looking for the widget's page */

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

/* ---- errors --------------------------------------------------------------- */

static int bad_pdf(hx_err *err, const char *why)
{
	return hx_err_set(err, HX_EINVAL, "bad_pdf", "pdf", "无法解析 PDF 文件（%s）", why);
}

static int no_memory(hx_err *err)
{
	return hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
}

/* ---- growable byte buffer with a cap -------------------------------------- */

typedef struct buf {
	unsigned char *p;
	size_t len, cap, max;
	int bad; /* sticky: out of memory or past max; checked once at the end */
} buf;

static void buf_init(buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

static void buf_free(buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

static int buf_room(buf *b, size_t n)
{
	if (b->bad)
		return -1;
	if (n > b->max - b->len) {
		b->bad = 1;
		return -1;
	}
	if (n <= b->cap - b->len)
		return 0;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap - b->len < n)
		cap = cap > b->max / 2 ? b->max : 2 * cap;
	unsigned char *np = realloc(b->p, cap);
	if (!np) {
		b->bad = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

static void buf_put(buf *b, const void *s, size_t n)
{
	if (n && buf_room(b, n) == 0) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static void buf_puts(buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void buf_fill(buf *b, unsigned char c, size_t n)
{
	if (n && buf_room(b, n) == 0) {
		memset(b->p + b->len, c, n);
		b->len += n;
	}
}

__attribute__((format(printf, 2, 3))) static void buf_printf(buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		b->bad = 1;
	else
		buf_put(b, tmp, (size_t)n);
}

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

static int sha256(unsigned char out[32], const void *p, size_t n)
{
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
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

/* ---- PDF lexical level ---------------------------------------------------- */

enum vtype { V_NONE, V_NULL, V_BOOL, V_INT, V_REAL, V_NAME, V_STR, V_HEX, V_ARRAY, V_DICT, V_REF };

/* A PDF value as its text in the file, p[s..e), with what was parsed. */
typedef struct val {
	enum vtype t;
	size_t s, e;
	long long n;   /* V_INT: the value; V_REF: the object number */
	long long gen; /* V_REF */
} val;

static int pdf_ws(unsigned char c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static int pdf_delim(unsigned char c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
	       c == '}' || c == '/' || c == '%';
}

static int pdf_regular(unsigned char c)
{
	return !pdf_ws(c) && !pdf_delim(c);
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Skips white space and comments. */
static size_t skip_ws(const unsigned char *p, size_t i, size_t end)
{
	while (i < end) {
		if (pdf_ws(p[i]))
			i++;
		else if (p[i] == '%')
			while (i < end && p[i] != '\n' && p[i] != '\r')
				i++;
		else
			break;
	}
	return i;
}

/* An unsigned integer of 1…18 digits ending the token. */
static int read_uint(const unsigned char *p, size_t *pos, size_t end, long long *out)
{
	size_t i = *pos, nd = 0;
	long long v = 0;
	for (; i < end && p[i] >= '0' && p[i] <= '9'; i++) {
		if (++nd > 18)
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	if (nd == 0 || (i < end && pdf_regular(p[i])))
		return -1;
	*pos = i;
	*out = v;
	return 0;
}

static int keyword_at(const unsigned char *p, size_t i, size_t end, const char *kw)
{
	size_t n = strlen(kw);
	return end - i >= n && memcmp(p + i, kw, n) == 0 && (end - i == n || !pdf_regular(p[i + n]));
}

typedef struct reader reader;
static int parse_value(reader *d, size_t *pos, size_t end, int depth, val *v);

static int scan_name(const unsigned char *p, size_t *pos, size_t end)
{
	size_t i = *pos + 1;
	while (i < end && pdf_regular(p[i]))
		i++;
	*pos = i;
	return 0;
}

static int scan_literal(const unsigned char *p, size_t *pos, size_t end)
{
	size_t i = *pos + 1, nest = 1;
	while (i < end) {
		unsigned char c = p[i++];
		if (c == '\\')
			i += i < end;
		else if (c == '(')
			nest++;
		else if (c == ')' && --nest == 0) {
			*pos = i;
			return 0;
		}
	}
	return -1;
}

static int scan_hex(const unsigned char *p, size_t *pos, size_t end)
{
	for (size_t i = *pos + 1; i < end; i++) {
		if (p[i] == '>') {
			*pos = i + 1;
			return 0;
		}
		if (hexval(p[i]) < 0 && !pdf_ws(p[i]))
			return -1;
	}
	return -1;
}

/* "n g R" after the integer v: then v becomes a reference. */
static void try_ref(const unsigned char *p, size_t *pos, size_t end, val *v)
{
	size_t j = skip_ws(p, *pos, end);
	long long gen;
	if (j == *pos || read_uint(p, &j, end, &gen) || gen > 65535)
		return;
	j = skip_ws(p, j, end);
	if (j >= end || p[j] != 'R' || (j + 1 < end && pdf_regular(p[j + 1])))
		return;
	v->t = V_REF;
	v->gen = gen;
	*pos = j + 1;
}

static int scan_number(const unsigned char *p, size_t *pos, size_t end, val *v)
{
	size_t i = *pos, nd = 0, nf = 0;
	int dot = 0, digit_first = p[i] >= '0' && p[i] <= '9';
	long long n = 0;
	if (p[i] == '+' || p[i] == '-')
		i++;
	for (; i < end; i++) {
		unsigned char c = p[i];
		if (c >= '0' && c <= '9') {
			if (dot)
				nf++;
			else if (++nd <= 18)
				n = n * 10 + (c - '0');
		} else if (c == '.' && !dot) {
			dot = 1;
		} else {
			break;
		}
	}
	if (nd + nf == 0 || (i < end && pdf_regular(p[i])))
		return -1;
	v->t = dot || nd > 18 ? V_REAL : V_INT;
	v->n = p[*pos] == '-' ? -n : n;
	*pos = i;
	if (v->t == V_INT && digit_first)
		try_ref(p, pos, end, v);
	return 0;
}

static int scan_keyword(const unsigned char *p, size_t *pos, size_t end, val *v)
{
	size_t i = *pos;
	if (keyword_at(p, i, end, "true") || keyword_at(p, i, end, "false")) {
		v->t = V_BOOL;
		*pos = i + (p[i] == 't' ? 4 : 5);
	} else if (keyword_at(p, i, end, "null")) {
		v->t = V_NULL;
		*pos = i + 4;
	} else {
		return -1;
	}
	return 0;
}

/* ---- the document: xref tables and objects -------------------------------- */

typedef struct xent {
	uint32_t off;
	uint16_t gen;
	uint8_t state; /* 0 not listed, 1 in use, 2 free */
} xent;

struct reader {
	const unsigned char *p;
	size_t len;
	xent *x;
	size_t nx;      /* entries allocated */
	size_t top;     /* 1 + the highest object number listed */
	size_t max_obj; /* object numbers allowed, bounded by the file size */
	size_t xref_off; /* the newest xref section: an update's /Prev */
	val trailer;     /* the newest trailer dictionary */
	size_t loads;
	size_t scanned, scan_max; /* bytes parsed, against a multiple of the size */
};

static int scan_array(reader *d, size_t *pos, size_t end, int depth)
{
	size_t i = *pos + 1;
	for (;;) {
		i = skip_ws(d->p, i, end);
		if (i >= end)
			return -1;
		if (d->p[i] == ']') {
			*pos = i + 1;
			return 0;
		}
		val item;
		if (parse_value(d, &i, end, depth + 1, &item))
			return -1;
	}
}

static int scan_dict(reader *d, size_t *pos, size_t end, int depth)
{
	size_t i = *pos + 2;
	for (;;) {
		i = skip_ws(d->p, i, end);
		if (i >= end)
			return -1;
		if (d->p[i] == '>') {
			if (i + 1 >= end || d->p[i + 1] != '>')
				return -1;
			*pos = i + 2;
			return 0;
		}
		val k, v;
		if (parse_value(d, &i, end, depth + 1, &k) || k.t != V_NAME ||
		    parse_value(d, &i, end, depth + 1, &v))
			return -1;
	}
}

/* One value at p[*pos..end): a name, string, number, reference, array,
 * dictionary, boolean or null. Streams and keywords are no values. */
static int parse_value(reader *d, size_t *pos, size_t end, int depth, val *v)
{
	const unsigned char *p = d->p;
	size_t i = skip_ws(p, *pos, end);
	int rc;
	memset(v, 0, sizeof *v);
	if (i >= end || depth > DEPTH_MAX)
		return -1;
	v->s = i;
	unsigned char c = p[i];
	if (c == '/') {
		v->t = V_NAME;
		rc = scan_name(p, &i, end);
	} else if (c == '(') {
		v->t = V_STR;
		rc = scan_literal(p, &i, end);
	} else if (c == '<' && i + 1 < end && p[i + 1] == '<') {
		v->t = V_DICT;
		rc = scan_dict(d, &i, end, depth);
	} else if (c == '<') {
		v->t = V_HEX;
		rc = scan_hex(p, &i, end);
	} else if (c == '[') {
		v->t = V_ARRAY;
		rc = scan_array(d, &i, end, depth);
	} else if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
		rc = scan_number(p, &i, end, v);
	} else {
		rc = scan_keyword(p, &i, end, v);
	}
	if (rc)
		return -1;
	v->e = i;
	*pos = i;
	/* Values are parsed again each time one of their entries is looked
	 * up: the total is bounded, whatever the objects refer to. */
	if (depth == 0 && (d->scanned += i - v->s) > d->scan_max)
		return -1;
	return 0;
}

/* 1 when v is the name /want (#xx escapes decoded). */
static int name_is(reader *d, const val *v, const char *want)
{
	if (v->t != V_NAME)
		return 0;
	for (size_t i = v->s + 1; i < v->e; want++) {
		int c = d->p[i++];
		if (c == '#' && v->e - i >= 2 && hexval(d->p[i]) >= 0 && hexval(d->p[i + 1]) >= 0) {
			c = hexval(d->p[i]) << 4 | hexval(d->p[i + 1]);
			i += 2;
		}
		if (*want == '\0' || c != (unsigned char)*want)
			return 0;
	}
	return *want == '\0';
}

/* The next entry of a dictionary; *i is 0 before the first. 1 while there
 * is one, 0 at the end, -1 on a syntax error. */
static int dict_next(reader *d, const val *dict, size_t *i, val *key, val *value)
{
	if (dict->t != V_DICT)
		return -1;
	size_t end = dict->e - 2;
	if (*i == 0)
		*i = dict->s + 2;
	*i = skip_ws(d->p, *i, end);
	if (*i >= end)
		return 0;
	if (parse_value(d, i, end, 0, key) || key->t != V_NAME || parse_value(d, i, end, 0, value))
		return -1;
	return 1;
}

static int dict_get(reader *d, const val *dict, const char *key, val *out)
{
	size_t i = 0;
	val k;
	int r;
	while ((r = dict_next(d, dict, &i, &k, out)) == 1)
		if (name_is(d, &k, key))
			return 1;
	memset(out, 0, sizeof *out);
	return r;
}

/* The next item of an array; *i is 0 before the first. */
static int arr_next(reader *d, const val *arr, size_t *i, val *item)
{
	if (arr->t != V_ARRAY)
		return -1;
	size_t end = arr->e - 1;
	if (*i == 0)
		*i = arr->s + 1;
	*i = skip_ws(d->p, *i, end);
	if (*i >= end)
		return 0;
	return parse_value(d, i, end, 0, item) ? -1 : 1;
}

/* The object a reference points to; a missing or free object is null
 * (ISO 32000-1, 7.3.10). */
static int load_obj(reader *d, const val *ref, val *out)
{
	long long num = ref->n, n, g;
	memset(out, 0, sizeof *out);
	out->t = V_NULL;
	if (num <= 0 || (size_t)num >= d->nx || d->x[num].state != 1 || d->x[num].gen != ref->gen)
		return 0;
	if (++d->loads > LOADS_MAX)
		return -1;
	const unsigned char *p = d->p;
	size_t i = skip_ws(p, d->x[num].off, d->len);
	if (read_uint(p, &i, d->len, &n) || n != num)
		return -1;
	i = skip_ws(p, i, d->len);
	if (read_uint(p, &i, d->len, &g) || g != ref->gen)
		return -1;
	i = skip_ws(p, i, d->len);
	if (!keyword_at(p, i, d->len, "obj"))
		return -1;
	i += 3;
	return parse_value(d, &i, d->len, 0, out);
}

static int resolve(reader *d, val *v)
{
	for (int k = 0; v->t == V_REF; k++) {
		val ref = *v;
		if (k == REF_CHAIN_MAX || load_obj(d, &ref, v))
			return -1;
	}
	return 0;
}

static int xref_set(reader *d, long long num, int state, long long off, long long gen)
{
	if (num < 0 || (size_t)num >= d->max_obj)
		return -1;
	size_t n = (size_t)num;
	if (n >= d->nx) {
		size_t nx = d->nx ? d->nx : 64;
		while (nx <= n)
			nx *= 2;
		if (nx > d->max_obj)
			nx = d->max_obj;
		xent *x = realloc(d->x, nx * sizeof *x);
		if (!x)
			return -1;
		memset(x + d->nx, 0, (nx - d->nx) * sizeof *x);
		d->x = x;
		d->nx = nx;
	}
	if (n >= d->top)
		d->top = n + 1;
	if (d->x[n].state == 0) { /* newer sections are read first and win */
		d->x[n].state = (uint8_t)state;
		d->x[n].off = state == 1 ? (uint32_t)off : 0;
		d->x[n].gen = (uint16_t)gen;
	}
	return 0;
}

/* "oooooooooo ggggg n" (or f) and its end of line. */
static int xref_entry(reader *d, size_t *pos, long long num)
{
	const unsigned char *p = d->p;
	size_t i = skip_ws(p, *pos, d->len);
	long long off, gen;
	if (read_uint(p, &i, d->len, &off) || i >= d->len || p[i++] != ' ')
		return -1;
	if (read_uint(p, &i, d->len, &gen) || i >= d->len || p[i++] != ' ' || gen > 65535)
		return -1;
	if (i >= d->len || (p[i] != 'n' && p[i] != 'f'))
		return -1;
	int used = p[i++] == 'n';
	if ((i < d->len && pdf_regular(p[i])) || (used && (size_t)off >= d->len))
		return -1;
	*pos = i;
	return xref_set(d, num, used ? 1 : 2, off, gen);
}

static int xref_section(reader *d, size_t off, val *trailer)
{
	const unsigned char *p = d->p;
	size_t i = skip_ws(p, off, d->len), end = d->len;
	if (!keyword_at(p, i, end, "xref"))
		return -1;
	i += 4;
	for (;;) {
		i = skip_ws(p, i, end);
		if (keyword_at(p, i, end, "trailer")) {
			i += 7;
			return parse_value(d, &i, end, 0, trailer) || trailer->t != V_DICT ? -1 : 0;
		}
		long long first, count;
		if (read_uint(p, &i, end, &first))
			return -1;
		i = skip_ws(p, i, end);
		if (read_uint(p, &i, end, &count) || count > (long long)((end - i) / 6))
			return -1;
		for (long long k = 0; k < count; k++)
			if (xref_entry(d, &i, first + k))
				return -1;
	}
}

/* The offset after the last "startxref" of the file. */
static int find_startxref(reader *d, size_t *off)
{
	static const char kw[] = "startxref";
	size_t k = sizeof kw - 1;
	if (d->len < k)
		return -1;
	for (size_t i = d->len - k + 1; i-- > 0;) {
		if (d->p[i] != 's' || memcmp(d->p + i, kw, k) != 0)
			continue;
		size_t j = skip_ws(d->p, i + k, d->len);
		long long v;
		if (read_uint(d->p, &j, d->len, &v) || (size_t)v >= d->len)
			return -1;
		*off = (size_t)v;
		return 0;
	}
	return -1;
}

static void reader_close(reader *d)
{
	free(d->x);
	memset(d, 0, sizeof *d);
}

/* Reads the chain of xref sections from the last startxref through /Prev.
 * Cross-reference streams (PDF 1.5) are not read: cairo writes tables. */
static int reader_open(reader *d, const unsigned char *p, size_t len, const char **why)
{
	size_t seen[SECTIONS_MAX], off;
	memset(d, 0, sizeof *d);
	d->p = p;
	d->len = len;
	d->max_obj = len / 8 + 1024; /* an xref entry takes 20 bytes */
	d->scan_max = SCAN_FACTOR * len + SCAN_BASE;
	*why = "文件头不是 %PDF-";
	if (!p || len < 8 || memcmp(p, "%PDF-", 5) != 0)
		return -1;
	*why = "找不到 startxref";
	if (find_startxref(d, &off))
		return -1;
	d->xref_off = off;
	*why = "交叉引用表无效";
	for (size_t k = 0;; k++) {
		val tr, prev;
		if (k == SECTIONS_MAX)
			return -1;
		for (size_t j = 0; j < k; j++)
			if (seen[j] == off)
				return -1;
		seen[k] = off;
		if (xref_section(d, off, &tr))
			return -1;
		if (k == 0)
			d->trailer = tr;
		int r = dict_get(d, &tr, "Prev", &prev);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (prev.t != V_INT || prev.n < 0 || (size_t)prev.n >= len)
			return -1;
		off = (size_t)prev.n;
	}
}

/* ---- text ----------------------------------------------------------------- */

/* The next code point of UTF-8 text; strict (no overlongs, surrogates). */
static int utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp)
{
	unsigned char c = s[*i];
	size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (k == 0 || n - *i < k)
		return -1;
	uint32_t v = k == 1 ? c : c & (0x7f >> k);
	for (size_t j = 1; j < k; j++) {
		if ((s[*i + j] & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (s[*i + j] & 0x3f);
	}
	if (v < min[k] || v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
		return -1;
	*i += k;
	*cp = v;
	return 0;
}

static int utf8_valid(const char *s, size_t max)
{
	size_t n = strlen(s), i = 0;
	uint32_t cp;
	if (n > max)
		return 0;
	while (i < n)
		if (utf8_next((const unsigned char *)s, n, &i, &cp))
			return 0;
	return 1;
}

/* Replaces the bytes of s that are not UTF-8 with '?', in place. */
static void utf8_clean(char *s)
{
	size_t n = strlen(s), i = 0;
	uint32_t cp;
	while (i < n)
		if (utf8_next((unsigned char *)s, n, &i, &cp))
			s[i++] = '?';
}

/* Appends cp as UTF-8 to out (cap bytes with the NUL); 0 when it fits. */
static int put_cp(char *out, size_t cap, size_t *k, uint32_t cp)
{
	unsigned char u[4];
	size_t n = 0;
	if (cp < 0x80) {
		u[n++] = (unsigned char)cp;
	} else if (cp < 0x800) {
		u[n++] = (unsigned char)(0xc0 | cp >> 6);
		u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		u[n++] = (unsigned char)(0xe0 | cp >> 12);
		u[n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		u[n++] = (unsigned char)(0xf0 | cp >> 18);
		u[n++] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		u[n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
	}
	if (cap - 1 - *k < n)
		return -1;
	memcpy(out + *k, u, n);
	*k += n;
	return 0;
}

/* A PDF text string as UTF-8 (cap > 0, truncated to fit): UTF-16BE with
 * its BOM, else PDFDocEncoding, read as Latin-1 (equal for ASCII). */
static void text_utf8(char *out, size_t cap, const unsigned char *s, size_t n)
{
	size_t k = 0;
	if (n >= 2 && s[0] == 0xfe && s[1] == 0xff) {
		for (size_t i = 2; i + 1 < n; i += 2) {
			uint32_t u = (uint32_t)s[i] << 8 | s[i + 1];
			if (u >= 0xd800 && u < 0xdc00 && i + 3 < n) {
				uint32_t lo = (uint32_t)s[i + 2] << 8 | s[i + 3];
				if (lo >= 0xdc00 && lo < 0xe000) {
					u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
					i += 2;
				}
			}
			if ((u >= 0xd800 && u < 0xe000) || u == 0)
				u = 0xfffd;
			if (put_cp(out, cap, &k, u))
				break;
		}
	} else {
		for (size_t i = 0; i < n; i++)
			if (put_cp(out, cap, &k, s[i] ? s[i] : 0xfffd))
				break;
	}
	out[k] = '\0';
}

/* The bytes of a string value, literal or hex, into out (cap bytes). */
static int str_bytes(reader *d, const val *v, unsigned char *out, size_t cap, size_t *n)
{
	const unsigned char *p = d->p;
	size_t k = 0, i = v->s + 1, end = v->e - 1;
	int hi = -1;
	if (v->t != V_HEX && v->t != V_STR)
		return -1;
	while (i < end) {
		int c = p[i++];
		if (v->t == V_HEX) {
			if ((c = hexval((unsigned char)c)) < 0)
				continue;
			if (hi < 0) {
				hi = c;
				continue;
			}
			c |= hi << 4;
			hi = -1;
		} else if (c == '\r') {
			c = '\n';
			i += i < end && p[i] == '\n';
		} else if (c == '\\') {
			if (i >= end)
				break;
			c = p[i++];
			if (c == '\r' || c == '\n') { /* a line continuation */
				i += c == '\r' && i < end && p[i] == '\n';
				continue;
			}
			if (c >= '0' && c <= '7') {
				int o = c - '0';
				for (int j = 0; j < 2 && i < end && p[i] >= '0' && p[i] <= '7'; j++)
					o = o * 8 + (p[i++] - '0');
				c = o & 0xff;
			} else {
				c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b' : c == 'f' ? '\f' : c;
			}
		}
		if (k == cap)
			return -1;
		out[k++] = (unsigned char)c;
	}
	if (hi >= 0) {
		if (k == cap)
			return -1;
		out[k++] = (unsigned char)(hi << 4);
	}
	*n = k;
	return 0;
}

/* A short text string value as UTF-8; "" when it is none. */
static void val_text(reader *d, const val *v, char *out, size_t cap)
{
	unsigned char b[FIELD_NAME_MAX * 2];
	size_t n = 0;
	if (str_bytes(d, v, b, sizeof b, &n))
		n = 0;
	text_utf8(out, cap, b, n);
}

/* ---- the interactive form ------------------------------------------------- */

typedef struct form_field {
	char name[FIELD_NAME_MAX]; /* fully qualified: parent.child */
	int is_sig;                /* /FT /Sig, here or inherited */
	val v;                     /* /V, resolved; V_NONE when absent */
} form_field;

typedef struct doc {
	reader d;
	val cat_ref, cat; /* the Catalog */
	val acro;         /* the /AcroForm dictionary; V_NONE when none */
	val fields;       /* its /Fields array; V_NONE when none */
	val page_ref, page;
	form_field *f;
	size_t nf, visits;
	const char *why; /* what could not be read, for the error message */
} doc;

static int field_visit(doc *dc, const val *dict, const char *parent, int parent_sig, int depth);

static int walk_fields(doc *dc, const val *arr, const char *parent, int parent_sig, int depth)
{
	size_t i = 0;
	val it;
	int r;
	if (depth > FIELD_DEPTH_MAX)
		return -1;
	while ((r = arr_next(&dc->d, arr, &i, &it)) == 1) {
		if (++dc->visits > FIELDS_MAX || resolve(&dc->d, &it))
			return -1;
		if (it.t == V_DICT && field_visit(dc, &it, parent, parent_sig, depth))
			return -1;
	}
	return r;
}

static int field_add(doc *dc, const char *name, int is_sig, const val *dict)
{
	form_field *f;
	val v;
	if (dict_get(&dc->d, dict, "V", &v) < 0 || resolve(&dc->d, &v))
		return -1;
	if (dc->nf % 16 == 0) {
		if (!(f = realloc(dc->f, (dc->nf + 16) * sizeof *f)))
			return -1;
		dc->f = f;
	}
	f = &dc->f[dc->nf++];
	snprintf(f->name, sizeof f->name, "%s", name);
	f->is_sig = is_sig;
	f->v = v;
	return 0;
}

/* A field dictionary: recorded when it has a name (/T), then its /Kids. */
static int field_visit(doc *dc, const val *dict, const char *parent, int parent_sig, int depth)
{
	char name[FIELD_NAME_MAX], t[FIELD_NAME_MAX];
	val tv, ft, kids;
	int has_t, r, sig = parent_sig;
	if ((has_t = dict_get(&dc->d, dict, "T", &tv)) < 0 || (r = dict_get(&dc->d, dict, "FT", &ft)) < 0)
		return -1;
	if (r == 1)
		sig = name_is(&dc->d, &ft, "Sig");
	val_text(&dc->d, &tv, t, sizeof t);
	if (snprintf(name, sizeof name, "%s%s%s", parent, *parent && has_t ? "." : "", has_t ? t : "") >=
	    (int)sizeof name)
		utf8_clean(name); /* the cut may have split a character */
	if (has_t && field_add(dc, name, sig, dict))
		return -1;
	if ((r = dict_get(&dc->d, dict, "Kids", &kids)) < 0 || resolve(&dc->d, &kids))
		return -1;
	if (r == 1 && kids.t == V_ARRAY)
		return walk_fields(dc, &kids, name, sig, depth + 1) < 0 ? -1 : 0;
	return 0;
}

static int read_form(doc *dc)
{
	reader *d = &dc->d;
	val a, fl;
	int r;
	dc->why = "找不到文档目录（/Root）";
	if (dict_get(d, &d->trailer, "Root", &dc->cat_ref) != 1 || dc->cat_ref.t != V_REF)
		return -1;
	dc->cat = dc->cat_ref;
	if (resolve(d, &dc->cat) || dc->cat.t != V_DICT)
		return -1;
	dc->why = "表单（/AcroForm）无效";
	if ((r = dict_get(d, &dc->cat, "AcroForm", &a)) < 0 || resolve(d, &a))
		return -1;
	if (r == 0 || a.t != V_DICT)
		return 0;
	dc->acro = a;
	if ((r = dict_get(d, &a, "Fields", &fl)) < 0 || resolve(d, &fl))
		return -1;
	if (r == 1 && fl.t == V_ARRAY) {
		dc->fields = fl;
		if (walk_fields(dc, &fl, "", 0, 0) < 0)
			return -1;
	}
	return 0;
}

/* Page idx (0-based) of the page tree under node: the /Count of each
 * /Pages node says whether the page is inside it. *left counts down the
 * pages still to pass. 1 when found (dc->page_ref and dc->page set). */
static int page_find(doc *dc, val node, long long *left, int depth)
{
	reader *d = &dc->d;
	val kids, type, kid, count;
	size_t i = 0;
	int r;
	if (depth > DEPTH_MAX || node.t != V_REF)
		return -1;
	val ref = node;
	if (resolve(d, &node) || node.t != V_DICT || dict_get(d, &node, "Type", &type) < 0)
		return -1;
	if (!name_is(d, &type, "Pages")) {
		if ((*left)-- > 0)
			return 0;
		dc->page_ref = ref;
		dc->page = node;
		return 1;
	}
	if (dict_get(d, &node, "Kids", &kids) != 1 || resolve(d, &kids) || kids.t != V_ARRAY)
		return -1;
	while ((r = arr_next(d, &kids, &i, &kid)) == 1) {
		val k = kid;
		if (++dc->visits > PAGE_INDEX_MAX)
			return -1;
		/* a whole /Pages subtree before the page is passed by its /Count */
		if (k.t == V_REF && !resolve(d, &k) && k.t == V_DICT && dict_get(d, &k, "Type", &type) == 1 &&
		    name_is(d, &type, "Pages") && dict_get(d, &k, "Count", &count) == 1 && count.t == V_INT &&
		    count.n >= 0 && count.n <= *left) {
			*left -= count.n;
			continue;
		}
		if ((r = page_find(dc, kid, left, depth + 1)) != 0)
			return r;
	}
	return r < 0 ? -1 : 0;
}

static int nth_page(doc *dc, long long idx)
{
	val node;
	long long left = idx;
	dc->why = "页面树无效或签名框所在页不存在";
	if (idx < 0 || dict_get(&dc->d, &dc->cat, "Pages", &node) != 1 || page_find(dc, node, &left, 0) != 1)
		return -1;
	/* the update rewrites both: they must be two objects */
	return dc->page_ref.n == dc->cat_ref.n ? -1 : 0;
}

/* The first page: /Kids[0] down the page tree from the Catalog's /Pages. */
static int first_page(doc *dc)
{
	reader *d = &dc->d;
	val node, kids, type;
	dc->why = "页面树无效";
	if (dict_get(d, &dc->cat, "Pages", &node) != 1)
		return -1;
	for (int depth = 0; depth < DEPTH_MAX; depth++) {
		val ref = node;
		size_t i = 0;
		if (ref.t != V_REF || resolve(d, &node) || node.t != V_DICT || dict_get(d, &node, "Type", &type) < 0)
			return -1;
		if (!name_is(d, &type, "Pages")) {
			dc->page_ref = ref;
			dc->page = node;
			/* the update rewrites both: they must be two objects */
			return ref.n == dc->cat_ref.n ? -1 : 0;
		}
		if (dict_get(d, &node, "Kids", &kids) != 1 || resolve(d, &kids) || arr_next(d, &kids, &i, &node) != 1)
			return -1;
	}
	return -1;
}

static void doc_close(doc *dc)
{
	reader_close(&dc->d);
	free(dc->f);
	memset(dc, 0, sizeof *dc);
}

static int doc_open(doc *dc, const unsigned char *p, size_t len, int need_page, hx_err *err)
{
	memset(dc, 0, sizeof *dc);
	if (reader_open(&dc->d, p, len, &dc->why) || read_form(dc) || (need_page && first_page(dc)))
		return bad_pdf(err, dc->why);
	return 0;
}

/* ---- prepare: the incremental update -------------------------------------- */

typedef struct upd_obj {
	long long num, gen;
	size_t off;
} upd_obj;

typedef struct update {
	const char *field, *name, *reason;
	char mdate[24];    /* "D:YYYYMMDDHHmmSSZ" */
	long long sig_num; /* the signature dictionary; the field is sig_num + 1 */
	/* a visible widget: its appearance (sig_num + 2), the image (+ 3)
	 * and the image's alpha (+ 4), compressed */
	const hx_pades_appearance *ap;
	upd_obj obj[8];
	size_t nobj;
	size_t br_off, contents_off; /* in the output */
} update;

static int check_time(const char *t, char mdate[24])
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	int y, mo, da, h, mi, s;
	if (!t || strlen(t) != sizeof pat - 1)
		return -1;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != pat[i])
			return -1;
	if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &da, &h, &mi, &s) != 6 || mo < 1 || mo > 12 ||
	    da < 1 || da > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	/* "D:" and the digits of t: D:YYYYMMDDHHmmSSZ */
	size_t k = 0;
	mdate[k++] = 'D';
	mdate[k++] = ':';
	for (size_t i = 0; t[i]; i++)
		if (pat[i] == 'd' || t[i] == 'Z')
			mdate[k++] = t[i];
	mdate[k] = '\0';
	return 0;
}

static int check_args(update *u, const char *field, const char *name, const char *reason, const char *when,
		      hx_err *err)
{
	size_t n = field ? strlen(field) : 0;
	if (n == 0 || n > FIELD_NAME_IN_MAX)
		return hx_err_set(err, HX_EINVAL, "bad_field_name", "field_name", "签名域名称须为 1 至 %d 个字符",
				  FIELD_NAME_IN_MAX);
	for (size_t i = 0; i < n; i++)
		if (field[i] < 0x20 || field[i] > 0x7e || field[i] == '.')
			return hx_err_set(err, HX_EINVAL, "bad_field_name", "field_name",
					  "签名域名称只能含 ASCII 可见字符（不含“.”）");
	if (name && !utf8_valid(name, TEXT_MAX))
		return hx_err_set(err, HX_EINVAL, "bad_text", "signer_name", "签署人名称不是有效的 UTF-8 文本或过长");
	if (reason && !utf8_valid(reason, TEXT_MAX))
		return hx_err_set(err, HX_EINVAL, "bad_text", "reason", "签署理由不是有效的 UTF-8 文本或过长");
	if (check_time(when, u->mdate))
		return hx_err_set(err, HX_EINVAL, "bad_time", "signing_time",
				  "签署时间格式应为 YYYY-MM-DDTHH:MM:SSZ");
	u->field = field;
	u->name = name;
	u->reason = reason;
	return 0;
}

static int name_unique(const doc *dc, const char *field, hx_err *err)
{
	for (size_t i = 0; i < dc->nf; i++)
		if (strcmp(dc->f[i].name, field) == 0)
			return hx_err_set(err, HX_ECONFLICT, "field_exists", "field_name", "签名域“%s”已存在", field);
	return 0;
}

/* A UTF-8 text as a PDF text string: UTF-16BE with its BOM, in hex. */
static void put_text(buf *o, const char *s)
{
	size_t n = strlen(s), i = 0;
	uint32_t cp;
	buf_puts(o, "<FEFF");
	while (i < n && utf8_next((const unsigned char *)s, n, &i, &cp) == 0) {
		if (cp >= 0x10000) {
			cp -= 0x10000;
			buf_printf(o, "%04X%04X", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else {
			buf_printf(o, "%04X", cp);
		}
	}
	buf_puts(o, ">");
}

/* A literal string: ( ) and \ escaped. */
static void put_literal(buf *o, const char *s)
{
	buf_puts(o, "(");
	for (; *s; s++) {
		if (*s == '(' || *s == ')' || *s == '\\')
			buf_puts(o, "\\");
		buf_put(o, s, 1);
	}
	buf_puts(o, ")");
}

static void put_raw(buf *o, reader *d, const val *v)
{
	buf_put(o, d->p + v->s, v->e - v->s);
}

static void put_entry(buf *o, reader *d, const val *k, const val *v)
{
	buf_puts(o, "\n");
	put_raw(o, d, k);
	buf_puts(o, " ");
	put_raw(o, d, v);
}

/* The items of an array (if arr is one), each followed by a space. */
static int put_items(buf *o, reader *d, const val *arr)
{
	size_t i = 0;
	val it;
	int r;
	if (arr->t != V_ARRAY)
		return 0;
	while ((r = arr_next(d, arr, &i, &it)) == 1) {
		put_raw(o, d, &it);
		buf_puts(o, " ");
	}
	return r;
}

/* Every entry of dict except the names in skip (NULL-terminated). */
static int put_entries_except(buf *o, reader *d, const val *dict, const char *const *skip)
{
	size_t i = 0;
	val k, v;
	int r;
	while ((r = dict_next(d, dict, &i, &k, &v)) == 1) {
		int keep = 1;
		for (const char *const *s = skip; *s && keep; s++)
			keep = !name_is(d, &k, *s);
		if (keep)
			put_entry(o, d, &k, &v);
	}
	return r;
}

static void obj_begin(buf *o, update *u, long long num, long long gen)
{
	u->obj[u->nobj++] = (upd_obj){num, gen, o->len};
	buf_printf(o, "%lld %lld obj\n<<", num, gen);
}

static void put_sig_dict(buf *o, update *u)
{
	obj_begin(o, u, u->sig_num, 0);
	buf_puts(o, "\n/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached\n/ByteRange [");
	u->br_off = o->len;
	buf_fill(o, ' ', BR_TEXT);
	buf_puts(o, "]\n/Contents <");
	u->contents_off = o->len;
	buf_fill(o, '0', 2 * (size_t)HX_PADES_CMS_MAX);
	buf_printf(o, ">\n/M (%s)", u->mdate);
	if (u->name) {
		buf_puts(o, "\n/Name ");
		put_text(o, u->name);
	}
	if (u->reason) {
		buf_puts(o, "\n/Reason ");
		put_text(o, u->reason);
	}
	buf_puts(o, "\n>>\nendobj\n");
}

/* The signature field and its widget in one dictionary (/F Print|Locked):
 * invisible (/Rect of zero size), or at the appearance's rectangle with
 * the appearance as its normal look (/AP /N). */
static void put_widget(buf *o, const doc *dc, update *u)
{
	obj_begin(o, u, u->sig_num + 1, 0);
	buf_puts(o, "\n/Type /Annot\n/Subtype /Widget\n/FT /Sig\n/T ");
	put_literal(o, u->field);
	buf_printf(o, "\n/V %lld 0 R", u->sig_num);
	if (u->ap)
		buf_printf(o, "\n/Rect [%.2f %.2f %.2f %.2f]\n/AP << /N %lld 0 R >>", u->ap->rect[0], u->ap->rect[1],
			   u->ap->rect[2], u->ap->rect[3], u->sig_num + 2);
	else
		buf_puts(o, "\n/Rect [0 0 0 0]");
	buf_printf(o, "\n/F 132\n/P %lld %lld R\n>>\nendobj\n", dc->page_ref.n, dc->page_ref.gen);
}

static void put_stream_obj(buf *o, update *u, long long num, const char *dict, const unsigned char *data, size_t n)
{
	obj_begin(o, u, num, 0);
	buf_puts(o, "\n");
	buf_puts(o, dict);
	buf_printf(o, "\n/Length %zu\n>>\nstream\n", n);
	buf_put(o, data, n);
	buf_puts(o, "\nendstream\nendobj\n");
}

/* The appearance: a form XObject the size of the widget that paints the
 * image over all of it; the image (DeviceRGB) with its alpha as /SMask,
 * both FlateDecode. No fonts: whatever text the look has is in the image. */
static void put_appearance(buf *o, update *u)
{
	const hx_pades_appearance *ap = u->ap;
	double w = ap->rect[2] - ap->rect[0], h = ap->rect[3] - ap->rect[1];
	char content[128], dict[256];
	int n = snprintf(content, sizeof content, "q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", w, h);
	snprintf(dict, sizeof dict,
		 "/Type /XObject\n/Subtype /Form\n/BBox [0 0 %.2f %.2f]\n/Resources << /XObject << /Im0 %lld 0 R >> >>", w,
		 h, u->sig_num + 3);
	put_stream_obj(o, u, u->sig_num + 2, dict, (const unsigned char *)content, (size_t)n);
	snprintf(dict, sizeof dict,
		 "/Type /XObject\n/Subtype /Image\n/Width %d\n/Height %d\n/ColorSpace /DeviceRGB\n/BitsPerComponent 8"
		 "\n/Filter /FlateDecode\n/SMask %lld 0 R",
		 ap->width, ap->height, u->sig_num + 4);
	put_stream_obj(o, u, u->sig_num + 3, dict, ap->rgb_z, ap->rgb_zlen);
	snprintf(dict, sizeof dict,
		 "/Type /XObject\n/Subtype /Image\n/Width %d\n/Height %d\n/ColorSpace /DeviceGray\n/BitsPerComponent 8"
		 "\n/Filter /FlateDecode",
		 ap->width, ap->height);
	put_stream_obj(o, u, u->sig_num + 4, dict, ap->alpha_z, ap->alpha_zlen);
}

static int deflate_plane(unsigned char **out, size_t *outlen, const unsigned char *in, size_t n)
{
	uLongf zl = compressBound((uLong)n);
	unsigned char *z = malloc(zl);
	if (!z || compress2(z, &zl, in, (uLong)n, 9) != Z_OK) {
		free(z);
		return -1;
	}
	*out = z;
	*outlen = zl;
	return 0;
}

#define AP_STREAM_MAX ((size_t)8 << 20) /* bytes of one compressed plane */

int hx_pades_image_encode(unsigned char **rgb_z, size_t *rgb_zlen, unsigned char **alpha_z, size_t *alpha_zlen,
			  const unsigned char *rgba, int width, int height, hx_err *err)
{
	unsigned char *rgb = NULL, *alpha = NULL;
	int rc = 0;
	*rgb_z = *alpha_z = NULL;
	*rgb_zlen = *alpha_zlen = 0;
	if (!rgba || width < 1 || height < 1 || width > AP_SIDE_MAX || height > AP_SIDE_MAX ||
	    (long long)width * height > AP_PIXELS_MAX)
		return hx_err_set(err, HX_EINVAL, "bad_appearance", "appearance", "签名外观图像的尺寸无效");
	size_t n = (size_t)width * (size_t)height;
	rgb = malloc(3 * n);
	alpha = malloc(n);
	if (!rgb || !alpha) {
		rc = no_memory(err);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		alpha[i] = rgba[4 * i + 3];
		if (alpha[i] || i % (size_t)width == 0)
			memcpy(rgb + 3 * i, rgba + 4 * i, 3);
		else
			memcpy(rgb + 3 * i, rgb + 3 * (i - 1), 3);
	}
	if (deflate_plane(rgb_z, rgb_zlen, rgb, 3 * n) || deflate_plane(alpha_z, alpha_zlen, alpha, n)) {
		free(*rgb_z);
		*rgb_z = NULL;
		rc = no_memory(err);
	}
done:
	free(rgb);
	free(alpha);
	return rc;
}

/* Checks the appearance before it goes into the update. */
static int appearance_check(update *u, const hx_pades_appearance *ap, hx_err *err)
{
	if (!ap)
		return 0;
	double w = ap->rect[2] - ap->rect[0], h = ap->rect[3] - ap->rect[1];
	if (ap->page < 0 || ap->page > PAGE_INDEX_MAX || !(w >= 1 && w <= 14400) || !(h >= 1 && h <= 14400) ||
	    !(ap->rect[0] >= -14400 && ap->rect[0] <= 14400) || !(ap->rect[1] >= -14400 && ap->rect[1] <= 14400))
		return hx_err_set(err, HX_EINVAL, "bad_appearance", "appearance", "签名外观的页码或位置无效");
	if (ap->width < 1 || ap->height < 1 || ap->width > AP_SIDE_MAX || ap->height > AP_SIDE_MAX ||
	    (long long)ap->width * ap->height > AP_PIXELS_MAX || !ap->rgb_z || !ap->alpha_z || !ap->rgb_zlen ||
	    !ap->alpha_zlen || ap->rgb_zlen > AP_STREAM_MAX || ap->alpha_zlen > AP_STREAM_MAX)
		return hx_err_set(err, HX_EINVAL, "bad_appearance", "appearance", "签名外观图像的尺寸无效");
	u->ap = ap;
	return 0;
}

/* The Catalog again, with /AcroForm inline: the old form's entries, its
 * fields and the new one, /SigFlags 3 (SignaturesExist | AppendOnly). */
static int put_catalog(buf *o, doc *dc, update *u)
{
	static const char *const skip_cat[] = {"AcroForm", NULL};
	static const char *const skip_form[] = {"Fields", "SigFlags", NULL};
	reader *d = &dc->d;
	obj_begin(o, u, dc->cat_ref.n, dc->cat_ref.gen);
	if (put_entries_except(o, d, &dc->cat, skip_cat) < 0)
		return -1;
	buf_puts(o, "\n/AcroForm <<");
	if (dc->acro.t == V_DICT && put_entries_except(o, d, &dc->acro, skip_form) < 0)
		return -1;
	buf_puts(o, "\n/Fields [");
	if (put_items(o, d, &dc->fields) < 0)
		return -1;
	buf_printf(o, "%lld 0 R]\n/SigFlags 3 >>\n>>\nendobj\n", u->sig_num + 1);
	return 0;
}

/* The widget's page again, with the widget added to its /Annots. */
static int put_page(buf *o, doc *dc, update *u)
{
	static const char *const skip[] = {"Annots", NULL};
	reader *d = &dc->d;
	val annots;
	obj_begin(o, u, dc->page_ref.n, dc->page_ref.gen);
	if (put_entries_except(o, d, &dc->page, skip) < 0 || dict_get(d, &dc->page, "Annots", &annots) < 0 ||
	    resolve(d, &annots))
		return -1;
	buf_puts(o, "\n/Annots [");
	if (put_items(o, d, &annots) < 0)
		return -1;
	buf_printf(o, "%lld 0 R]\n>>\nendobj\n", u->sig_num + 1);
	return 0;
}

static void put_xref(buf *o, doc *dc, update *u)
{
	reader *d = &dc->d;
	size_t xoff = o->len;
	val info, id;
	for (size_t i = 1; i < u->nobj; i++) /* by object number */
		for (size_t j = i; j > 0 && u->obj[j - 1].num > u->obj[j].num; j--) {
			upd_obj t = u->obj[j];
			u->obj[j] = u->obj[j - 1];
			u->obj[j - 1] = t;
		}
	buf_puts(o, "xref\n");
	for (size_t i = 0; i < u->nobj;) {
		size_t j = i + 1;
		while (j < u->nobj && u->obj[j].num == u->obj[j - 1].num + 1)
			j++;
		buf_printf(o, "%lld %zu\n", u->obj[i].num, j - i);
		for (; i < j; i++)
			buf_printf(o, "%010zu %05lld n \n", u->obj[i].off, u->obj[i].gen);
	}
	buf_printf(o, "trailer\n<<\n/Size %lld\n/Root %lld %lld R", u->sig_num + (u->ap ? 5 : 2), dc->cat_ref.n,
		   dc->cat_ref.gen);
	if (dict_get(d, &d->trailer, "Info", &info) == 1) {
		buf_puts(o, "\n/Info ");
		put_raw(o, d, &info);
	}
	if (dict_get(d, &d->trailer, "ID", &id) == 1) {
		buf_puts(o, "\n/ID ");
		put_raw(o, d, &id);
	}
	buf_printf(o, "\n/Prev %zu\n>>\nstartxref\n%zu\n%%%%EOF\n", d->xref_off, xoff);
}

static int write_update(buf *o, doc *dc, update *u)
{
	reader *d = &dc->d;
	val size;
	long long n = (long long)d->top;
	if (dict_get(d, &d->trailer, "Size", &size) == 1 && size.t == V_INT && size.n > n &&
	    (size_t)size.n < d->max_obj)
		n = size.n;
	u->sig_num = n;
	buf_put(o, d->p, d->len);
	if (d->p[d->len - 1] != '\n' && d->p[d->len - 1] != '\r')
		buf_puts(o, "\n");
	put_sig_dict(o, u);
	put_widget(o, dc, u);
	if (u->ap)
		put_appearance(o, u);
	if (put_catalog(o, dc, u) || put_page(o, dc, u))
		return -1;
	put_xref(o, dc, u);
	return 0;
}

/* Writes the /ByteRange around <…> of /Contents and digests the ranges. */
static int seal_range(buf *o, const update *u, const EVP_MD_CTX *base, size_t base_len, unsigned char digest[32])
{
	char t[BR_TEXT + 1];
	size_t a = u->contents_off - 1, b = u->contents_off + 2 * (size_t)HX_PADES_CMS_MAX + 1;
	size_t c = o->len - b;
	if (snprintf(t, sizeof t, "0 %-10zu %-10zu %-10zu", a, b, c) != BR_TEXT)
		return -1;
	memcpy(o->p + u->br_off, t, BR_TEXT);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	/* the first range starts with the base document: its state, when the
	 * caller hashed it already, saves hashing it again */
	int ok = m && (base && base_len <= a ? EVP_MD_CTX_copy_ex(m, base) == 1 &&
						       EVP_DigestUpdate(m, o->p + base_len, a - base_len) == 1
					     : EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(m, o->p, a) == 1) &&
		 EVP_DigestUpdate(m, o->p + b, c) == 1 && EVP_DigestFinal_ex(m, digest, NULL) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

int hx_pades_prepare(hx_pades_prep *out, const unsigned char *pdf, size_t len, const char *field_name,
		     const char *signer_name, const char *reason, const char *signing_time, hx_err *err)
{
	return hx_pades_prepare_visible(out, pdf, len, field_name, signer_name, reason, signing_time, NULL, err);
}

int hx_pades_prepare_visible(hx_pades_prep *out, const unsigned char *pdf, size_t len, const char *field_name,
			     const char *signer_name, const char *reason, const char *signing_time,
			     const hx_pades_appearance *ap, hx_err *err)
{
	return hx_pades_prepare_hashed(out, pdf, len, NULL, field_name, signer_name, reason, signing_time, ap, err);
}

int hx_pades_prepare_hashed(hx_pades_prep *out, const unsigned char *pdf, size_t len, const EVP_MD_CTX *pdf_state,
			    const char *field_name, const char *signer_name, const char *reason, const char *signing_time,
			    const hx_pades_appearance *ap, hx_err *err)
{
	doc dc;
	update u;
	buf o;
	int rc;
	memset(out, 0, sizeof *out);
	memset(&dc, 0, sizeof dc);
	memset(&u, 0, sizeof u);
	buf_init(&o, 0);
	if (len > HX_PADES_PDF_MAX)
		return hx_err_set(err, HX_ETOOBIG, "pdf_too_big", "pdf", "PDF 文件过大（%zu 字节，上限 %zu）", len,
				  HX_PADES_PDF_MAX);
	if ((rc = check_args(&u, field_name, signer_name, reason, signing_time, err)) ||
	    (rc = appearance_check(&u, ap, err)))
		goto done;
	buf_init(&o, len + 2 * (size_t)HX_PADES_CMS_MAX + UPDATE_SLACK + (ap ? ap->rgb_zlen + ap->alpha_zlen : 0));
	if ((rc = doc_open(&dc, pdf, len, 1, err)) || (rc = name_unique(&dc, field_name, err)))
		goto done;
	if (ap && nth_page(&dc, ap->page)) {
		rc = bad_pdf(err, dc.why);
		goto done;
	}
	if (write_update(&o, &dc, &u)) {
		rc = bad_pdf(err, "无法改写文档目录或页面");
		goto done;
	}
	/* the update appends: the output starts with the document as given */
	if (pdf_state && (o.bad || o.len < len || memcmp(o.p, pdf, len) != 0))
		pdf_state = NULL;
	if (o.bad || seal_range(&o, &u, pdf_state, len, out->digest)) {
		rc = o.bad ? no_memory(err) : hx_err_set(err, HX_EINTERNAL, "digest_failed", "", "摘要计算失败");
		goto done;
	}
	out->pdf = o.p;
	out->len = o.len;
	out->contents_off = u.contents_off;
	out->contents_len = 2 * (size_t)HX_PADES_CMS_MAX;
	o.p = NULL;
	rc = 0;
done:
	doc_close(&dc);
	buf_free(&o);
	return rc;
}

void hx_pades_prep_free(hx_pades_prep *p)
{
	if (!p)
		return;
	free(p->pdf);
	memset(p, 0, sizeof *p);
}

int hx_pades_embed(hx_pades_prep *p, const unsigned char *cms, size_t cms_len, hx_err *err)
{
	static const char hex[] = "0123456789ABCDEF";
	if (!p || !p->pdf || p->contents_len > p->len || p->contents_off > p->len - p->contents_len)
		return hx_err_set(err, HX_EINVAL, "bad_prep", "", "签名准备数据无效");
	if (!cms || cms_len == 0)
		return hx_err_set(err, HX_EINVAL, "bad_cms", "cms", "签名数据为空");
	if (cms_len > p->contents_len / 2)
		return hx_err_set(err, HX_ETOOBIG, "cms_too_big", "cms", "签名数据过大（%zu 字节，上限 %zu）", cms_len,
				  p->contents_len / 2);
	unsigned char *h = p->pdf + p->contents_off;
	for (size_t i = 0; i < cms_len; i++) {
		h[2 * i] = (unsigned char)hex[cms[i] >> 4];
		h[2 * i + 1] = (unsigned char)hex[cms[i] & 15];
	}
	memset(h + 2 * cms_len, '0', p->contents_len - 2 * cms_len);
	return 0;
}

/* ---- verify --------------------------------------------------------------- */

typedef struct sig_result {
	char field[FIELD_NAME_MAX];
	char signer[256], issuer[256], serial[80], signing_time[64];
	int range_ok, digest_ok, signature_ok, cert_trusted;
	int has_ts, ts_ok;
	char ts_time[32];
	size_t rev_end;
	char error[160]; /* the first thing that failed */
} sig_result;

static void fail(sig_result *r, const char *what)
{
	if (!r->error[0])
		snprintf(r->error, sizeof r->error, "%s", what);
}

static int sig_valid(const sig_result *r)
{
	return r->range_ok && r->digest_ok && r->signature_ok && r->cert_trusted && (!r->has_ts || r->ts_ok);
}

/* /M as ISO 8601 when it is "D:YYYYMMDDHHmmSSZ" (what prepare writes),
 * else its text. */
static void signing_time(reader *d, const val *sig, char *out, size_t cap)
{
	char t[48];
	val m;
	out[0] = '\0';
	if (dict_get(d, sig, "M", &m) != 1)
		return;
	val_text(d, &m, t, sizeof t);
	int ok = strlen(t) == 17 && strncmp(t, "D:", 2) == 0 && t[16] == 'Z';
	for (size_t i = 2; ok && i < 16; i++)
		ok = t[i] >= '0' && t[i] <= '9';
	if (ok)
		snprintf(out, cap, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", t + 2, t + 6, t + 8, t + 10, t + 12, t + 14);
	else
		snprintf(out, cap, "%s", t);
	utf8_clean(out);
}

/* /ByteRange [0 a b c]: the hole [a, b) is exactly the <…> of /Contents. */
static int byte_range(reader *d, const val *sig, size_t br[4], val *contents)
{
	val arr, it;
	size_t i = 0, k = 0;
	int r;
	if (dict_get(d, sig, "ByteRange", &arr) != 1 || arr.t != V_ARRAY)
		return -1;
	while ((r = arr_next(d, &arr, &i, &it)) == 1) {
		if (k == 4 || it.t != V_INT || it.n < 0 || (unsigned long long)it.n > d->len)
			return -1;
		br[k++] = (size_t)it.n;
	}
	if (r < 0 || k != 4 || br[0] != 0 || br[1] == 0 || br[2] <= br[1] || br[3] > d->len - br[2])
		return -1;
	if (dict_get(d, sig, "Contents", contents) != 1 || contents->t != V_HEX)
		return -1;
	return contents->s == br[1] && contents->e == br[2] ? 0 : -1;
}

static int range_digest(reader *d, const size_t br[4], unsigned char out[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(m, d->p, br[1]) == 1 &&
		 EVP_DigestUpdate(m, d->p + br[2], br[3]) == 1 && EVP_DigestFinal_ex(m, out, NULL) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

static void name_text(char *out, size_t cap, const X509_NAME *nm)
{
	unsigned char *u = NULL;
	int i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	int n = i >= 0 ? ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i))) : -1;
	if (n >= 0)
		snprintf(out, cap, "%.*s", n, (const char *)u);
	else
		X509_NAME_oneline(nm, out, (int)cap);
	OPENSSL_free(u);
	utf8_clean(out);
}

static void cert_names(sig_result *r, X509 *x)
{
	name_text(r->signer, sizeof r->signer, X509_get_subject_name(x));
	name_text(r->issuer, sizeof r->issuer, X509_get_issuer_name(x));
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;
	snprintf(r->serial, sizeof r->serial, "%s", h ? h : "");
	for (char *c = r->serial; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	OPENSSL_free(h);
	BN_free(bn);
}

/* The signed attributes: content-type id-data and the message digest. */
static void check_attrs(sig_result *r, CMS_SignerInfo *si, const unsigned char digest[32])
{
	const ASN1_OBJECT *alg = NULL;
	X509_ALGOR *dig = NULL, *sig = NULL;
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, &sig);
	if (dig)
		X509_ALGOR_get0(&alg, NULL, NULL, dig);
	const ASN1_OCTET_STRING *md =
		CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	const ASN1_OBJECT *ct = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT);
	if (!alg || OBJ_obj2nid(alg) != NID_sha256)
		fail(r, "digest_algorithm_not_sha256");
	else if (!md || ASN1_STRING_length(md) != 32 || memcmp(ASN1_STRING_get0_data(md), digest, 32) != 0)
		fail(r, "digest_mismatch");
	else
		r->digest_ok = 1;
	if (!ct || OBJ_obj2nid(ct) != NID_pkcs7_data)
		fail(r, "content_type_not_data");
}

static int parse_gentime(const char *s, time_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return 0;
}

/* The signature timestamp: its imprint is the SHA-256 of the signature
 * value (RFC 3161 Appendix A). */
static void check_timestamp(sig_result *r, CMS_SignerInfo *si, const char *ca_pem_path)
{
	unsigned char h[32];
	hx_err e = {0};
	const ASN1_STRING *tok =
		CMS_unsigned_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_timeStampToken), -3, V_ASN1_SEQUENCE);
	const ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
	if (!tok)
		return;
	r->has_ts = 1;
	if (!sv || sha256(h, ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv)) ||
	    hx_tsa_verify_token(ASN1_STRING_get0_data(tok), (size_t)ASN1_STRING_length(tok), h, ca_pem_path,
				r->ts_time, &e))
		fail(r, "timestamp_invalid");
	else
		r->ts_ok = 1;
}

/* The chain from the signer to the root in store, the CMS's other
 * certificates as intermediates, at the timestamp's time when there is one. */
static void check_chain(sig_result *r, X509_STORE *store, X509 *signer, STACK_OF(X509) *certs)
{
	char why[120];
	time_t when;
	X509_STORE_CTX *c = X509_STORE_CTX_new();
	if (!c || X509_STORE_CTX_init(c, store, signer, certs) != 1) {
		fail(r, "cert_check_failed");
		goto done;
	}
	if (r->ts_ok && parse_gentime(r->ts_time, &when) == 0)
		X509_STORE_CTX_set_time(c, 0, when);
	if (X509_verify_cert(c) != 1) {
		snprintf(why, sizeof why, "cert_untrusted: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(c)));
		fail(r, why);
		goto done;
	}
	/* RFC 5280 4.2.1.3: a signing key may be limited to other uses */
	if (!(X509_get_key_usage(signer) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		fail(r, "cert_key_usage");
		goto done;
	}
	r->cert_trusted = 1;
done:
	X509_STORE_CTX_free(c);
}

static X509 *find_signer(CMS_SignerInfo *si, STACK_OF(X509) *certs)
{
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0)
			return sk_X509_value(certs, i);
	return NULL;
}

static void check_cms(sig_result *r, const unsigned char *der, size_t n, const unsigned char digest[32],
		      X509_STORE *store, const char *ca_pem_path)
{
	const unsigned char *in = der;
	STACK_OF(X509) *certs = NULL;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &in, (long)n);
	STACK_OF(CMS_SignerInfo) *sis = NULL;
	if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed || !(sis = CMS_get0_SignerInfos(cms)) ||
	    sk_CMS_SignerInfo_num(sis) != 1) {
		fail(r, "bad_cms");
		goto done;
	}
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
	check_attrs(r, si, digest);
	X509 *signer = (certs = CMS_get1_certs(cms)) ? find_signer(si, certs) : NULL;
	if (!signer) {
		fail(r, "no_signer_certificate");
		goto done;
	}
	cert_names(r, signer);
	CMS_SignerInfo_set1_signer_cert(si, signer);
	if (CMS_SignerInfo_verify(si) == 1)
		r->signature_ok = 1;
	else
		fail(r, "signature_invalid");
	check_timestamp(r, si, ca_pem_path);
	check_chain(r, store, signer, certs);
done:
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
}

static void check_sig(reader *d, const form_field *f, X509_STORE *store, const char *ca_pem_path, sig_result *r)
{
	size_t br[4], n = 0;
	unsigned char digest[32], *der = NULL;
	val contents;
	snprintf(r->field, sizeof r->field, "%s", f->name);
	signing_time(d, &f->v, r->signing_time, sizeof r->signing_time);
	if (byte_range(d, &f->v, br, &contents)) {
		fail(r, "bad_byte_range");
		return;
	}
	r->range_ok = 1;
	r->rev_end = br[2] + br[3];
	size_t cap = (contents.e - contents.s) / 2;
	if (cap > CMS_READ_MAX || !(der = malloc(cap ? cap : 1)) || str_bytes(d, &contents, der, cap, &n) ||
	    range_digest(d, br, digest)) {
		fail(r, "bad_contents");
		goto done;
	}
	check_cms(r, der, n, digest, store, ca_pem_path);
done:
	free(der);
}

static json_t *result_json(const sig_result *r, size_t len)
{
	json_t *ts = r->has_ts ? json_pack("{s:b, s:s?}", "ok", r->ts_ok, "time", r->ts_ok ? r->ts_time : NULL)
			       : json_null();
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:b, s:b, s:o, s:b, s:I}", "field", r->field,
			      "signer", r->signer[0] ? r->signer : NULL, "issuer", r->issuer[0] ? r->issuer : NULL,
			      "serial", r->serial[0] ? r->serial : NULL, "signing_time",
			      r->signing_time[0] ? r->signing_time : NULL, "digest_ok", r->digest_ok,
			      "signature_ok", r->signature_ok, "cert_trusted", r->cert_trusted, "timestamp", ts,
			      "covers_whole", r->range_ok && r->rev_end == len, "revision_end",
			      (json_int_t)r->rev_end);
	if (o && r->error[0] && json_object_set_new(o, "error", json_string(r->error))) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* Bytes after end other than white space: a later change, signed or not. */
static int modified_after(const unsigned char *p, size_t len, size_t end)
{
	for (size_t i = end; i < len; i++)
		if (!pdf_ws(p[i]))
			return 1;
	return 0;
}

static int verify_json(json_t **out, const unsigned char *pdf, size_t len, const sig_result *res, size_t n)
{
	unsigned char h[32];
	char hex[65];
	size_t last = 0;
	int all = n > 0;
	if (sha256(h, pdf, len))
		return HX_EINTERNAL;
	json_t *sigs = json_array();
	for (size_t i = 0; sigs && i < n; i++) {
		if (json_array_append_new(sigs, result_json(&res[i], len))) {
			json_decref(sigs);
			sigs = NULL;
		}
		all = all && sig_valid(&res[i]);
		if (res[i].range_ok && res[i].rev_end > last)
			last = res[i].rev_end;
	}
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	int after = n > 0 && modified_after(pdf, len, last);
	*out = sigs ? json_pack("{s:b, s:o, s:b, s:s}", "valid", all && !after, "signatures", sigs,
				"modified_after_last", after, "sha256", hex)
		    : NULL;
	return *out ? 0 : HX_ENOMEM;
}

static int load_store(X509_STORE **out, const char *ca_pem_path, hx_err *err)
{
	*out = X509_STORE_new();
	if (!*out || !ca_pem_path || X509_STORE_load_file(*out, ca_pem_path) != 1) {
		ERR_clear_error();
		X509_STORE_free(*out);
		*out = NULL;
		return hx_err_set(err, HX_EIO, "ca_unreadable", "", "无法读取根证书 %s", ca_pem_path ? ca_pem_path : "");
	}
	return 0;
}

int hx_pades_verify(json_t **out, const unsigned char *pdf, size_t len, const char *ca_pem_path, hx_err *err)
{
	doc dc;
	X509_STORE *store = NULL;
	sig_result *res = NULL;
	size_t n = 0;
	int rc;
	*out = NULL;
	if (len > HX_PADES_PDF_MAX)
		return hx_err_set(err, HX_ETOOBIG, "pdf_too_big", "pdf", "PDF 文件过大（%zu 字节，上限 %zu）", len,
				  HX_PADES_PDF_MAX);
	if ((rc = doc_open(&dc, pdf, len, 0, err)))
		goto done;
	for (size_t i = 0; i < dc.nf; i++)
		n += dc.f[i].is_sig && dc.f[i].v.t == V_DICT;
	if (n > SIGS_MAX) {
		rc = hx_err_set(err, HX_EINVAL, "too_many_signatures", "pdf", "签名过多（上限 %d 个）", SIGS_MAX);
		goto done;
	}
	if (n && (rc = load_store(&store, ca_pem_path, err)))
		goto done;
	if (n && !(res = calloc(n, sizeof *res))) {
		rc = no_memory(err);
		goto done;
	}
	for (size_t i = 0, k = 0; i < dc.nf; i++)
		if (dc.f[i].is_sig && dc.f[i].v.t == V_DICT)
			check_sig(&dc.d, &dc.f[i], store, ca_pem_path, &res[k++]);
	if ((rc = verify_json(out, pdf, len, res, n)))
		rc = hx_err_set(err, rc, "verify_failed", "", "验证结果生成失败");
done:
	free(res);
	X509_STORE_free(store);
	doc_close(&dc);
	return rc;
}
