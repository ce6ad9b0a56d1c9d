/* The platform's certificate authority (数字证书) of the trust service: the
 * issuing CA under the root that hx_tsa_keys_make keeps, the end-entity
 * certificates it issues for the keys signers hold (in their browser, or as
 * an enterprise seal key sealed on the server), the check of such a
 * certificate, the CRL, and ECDSA P-256 verification for proof of
 * possession. Certificates are made to be accepted by NSS/poppler for PDF
 * signatures: no extended key usage, a critical keyUsage, UTF8String names. */
#include "ca.h"

#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/crypto.h"
#include "trust_impl.h"
#include "tsa.h"

#define ISSUING_DAYS (10 * 365 + 3) /* 10 years */
#define CRL_VALID_SECS 86400         /* nextUpdate = thisUpdate + 1 day */
#define NAME_MAX_CHARS 64            /* RFC 5280 ub-common-name, ub-organization-name */
#define SEAL_AAD "seal_key"

struct hx_ca {
	EVP_PKEY *key; /* the issuing CA's */
	X509 *issuing;
	X509 *root;
	X509_STORE *store; /* trusts the root only */
	unsigned char *issuing_der, *root_der;
	size_t issuing_len, root_len;
	char root_path[PATH_MAX];
	struct checked_cache *checked;
};

/* Certificates whose chain already verified: the chain of a certificate
 * (its bytes, the issuing CA, the root) verifies the same every time, so a
 * certificate seen again (the signer's, at prepare and again at
 * completion) is only checked against the time window in which the whole
 * chain is valid; outside it, or unknown, the full verification runs.
 * Revocation is the caller's and is never cached here. The two ECDSA
 * verifications and the parse were a sixth of a contract signature. */
#define CHECKED_MAX 256
struct checked_cache {
	pthread_mutex_t mu;
	struct {
		unsigned char sha[32];
		long long from, until;
		int used;
	} e[CHECKED_MAX];
	unsigned next;
};

static int nomem(hx_err *err)
{
	ERR_clear_error();
	return hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
}

/* ---- key files (PEM, 0600, under dir/.lock: trust_impl.h) ---- */

/* the error keys of the CA's key files */
#define CA_KEYDIR(d) ((hx_keydir){.dir = (d), .path_key = "ca_path", .key = "ca_keys"})

/* A positive 16-byte serial whose first byte is 0x40..0x7f, so that its
 * hex form is always 32 characters. */
static int random_serial(ASN1_INTEGER *into, char hex[33])
{
	unsigned char r[16];
	BIGNUM *bn = NULL;
	int ok = 0;
	if (RAND_bytes(r, sizeof r) != 1)
		return 0;
	r[0] = (unsigned char)((r[0] & 0x3f) | 0x40);
	if ((bn = BN_bin2bn(r, sizeof r, NULL)) && BN_to_ASN1_INTEGER(bn, into)) {
		if (hex)
			hx_hex(hex, r, sizeof r);
		ok = 1;
	}
	BN_free(bn);
	return ok;
}

static int cert_serial(ASN1_INTEGER *into)
{
	return random_serial(into, NULL);
}

static const hx_cert_ext issuing_exts[] = {
	{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
	{NID_key_usage, "critical,keyCertSign,cRLSign"},
	{NID_subject_key_identifier, "hash"},
	{NID_authority_key_identifier, "keyid:always"},
};

static const hx_cert_spec issuing_spec = {
	.stem = "issuing",
	.cn = "Hexie 电子合同签名证书 CA",
	.days = ISSUING_DAYS,
	.serial = cert_serial,
	.exts = issuing_exts,
	.nexts = sizeof issuing_exts / sizeof issuing_exts[0],
	.key_failed = "签名证书 CA 密钥生成失败",
	.cert_failed = "签名证书 CA 生成失败",
};

/* no extendedKeyUsage: NSS then accepts the certificate for PDF signatures
 * (an EKU without emailProtection/codeSigning is refused) */
static const hx_cert_ext signer_exts[] = {
	{NID_basic_constraints, "critical,CA:FALSE"},
	{NID_key_usage, "critical,digitalSignature,nonRepudiation"},
	{NID_subject_key_identifier, "hash"},
	{NID_authority_key_identifier, "keyid:always"},
};

int hx_ca_keys_make(const char *dir, hx_err *err)
{
	const hx_keydir kd = CA_KEYDIR(dir);
	char crt[PATH_MAX], key[PATH_MAX], root_key[PATH_MAX];
	EVP_PKEY *rk = NULL, *k = NULL;
	X509 *rc_ = NULL, *x = NULL;
	int lfd = -1, rc;
	if ((rc = hx_tsa_keys_make(dir, err)))
		return rc;
	if ((rc = hx_keydir_path(crt, &kd, "issuing.crt", err)) ||
	    (rc = hx_keydir_path(key, &kd, "issuing.key", err)) ||
	    (rc = hx_keydir_path(root_key, &kd, "ca.key", err)))
		return rc;
	/* the same lock as hx_tsa_keys_make: one process makes the issuing CA,
	 * a concurrent one then finds it */
	if ((rc = hx_keydir_lock(&lfd, &kd, err)))
		goto done;
	/* the .crt is written after its .key: it marks a complete pair */
	if (hx_keydir_exists(crt)) {
		if (!hx_keydir_exists(key))
			rc = hx_err_set(err, HX_EIO, "ca_keys", "", "%s 中有 issuing.crt 但缺少 issuing.key", dir);
		goto done;
	}
	if (!hx_keydir_exists(root_key)) {
		rc = hx_err_set(err, HX_EIO, "ca_keys", "",
				"%s 中没有 ca.key：使用外部根证书时须同时提供 issuing.key 和 issuing.crt", dir);
		goto done;
	}
	if ((rc = hx_keydir_load_pair(&rk, &rc_, &kd, "ca", err)) ||
	    (rc = hx_keydir_make_pair(&k, &x, &kd, &issuing_spec, rc_, rk, err)))
		goto done;
	rc = 0;
done:
	hx_keydir_unlock(lfd);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(k);
	X509_free(rc_);
	X509_free(x);
	return rc;
}

int hx_ca_open(hx_ca **out, const char *dir, hx_err *err)
{
	const hx_keydir kd = CA_KEYDIR(dir);
	hx_ca *ca = calloc(1, sizeof *ca);
	int rc;
	*out = NULL;
	if (!ca)
		return nomem(err);
	if ((rc = hx_keydir_path(ca->root_path, &kd, "ca.crt", err)) ||
	    (rc = hx_keydir_read_pem(&ca->key, NULL, &kd, "issuing.key", err)) ||
	    (rc = hx_keydir_read_pem(NULL, &ca->issuing, &kd, "issuing.crt", err)) ||
	    (rc = hx_keydir_read_pem(NULL, &ca->root, &kd, "ca.crt", err)))
		goto done;
	if (X509_check_private_key(ca->issuing, ca->key) != 1) {
		rc = hx_trust_ossl_fail(err, HX_EIO, "ca_keys", "issuing.key 与 issuing.crt 不匹配");
		goto done;
	}
	if (X509_check_issued(ca->root, ca->issuing) != X509_V_OK ||
	    X509_verify(ca->issuing, X509_get0_pubkey(ca->root)) != 1 || X509_check_ca(ca->issuing) != 1) {
		rc = hx_trust_ossl_fail(err, HX_EIO, "ca_keys", "issuing.crt 不是由 ca.crt 签发的 CA 证书");
		goto done;
	}
	if (!(ca->store = X509_STORE_new()) || !X509_STORE_add_cert(ca->store, ca->root) ||
	    hx_trust_der(&ca->issuing_der, &ca->issuing_len, ca->issuing, ASN1_ITEM_rptr(X509)) ||
	    hx_trust_der(&ca->root_der, &ca->root_len, ca->root, ASN1_ITEM_rptr(X509))) {
		rc = nomem(err);
		goto done;
	}
	if (!(ca->checked = calloc(1, sizeof *ca->checked)) || pthread_mutex_init(&ca->checked->mu, NULL) != 0) {
		free(ca->checked);
		ca->checked = NULL;
		rc = nomem(err);
		goto done;
	}
	*out = ca;
	ca = NULL;
	rc = 0;
done:
	hx_ca_free(ca);
	return rc;
}

void hx_ca_free(hx_ca *ca)
{
	if (!ca)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->issuing);
	X509_free(ca->root);
	X509_STORE_free(ca->store);
	free(ca->issuing_der);
	free(ca->root_der);
	if (ca->checked) {
		pthread_mutex_destroy(&ca->checked->mu);
		free(ca->checked);
	}
	free(ca);
}

const unsigned char *hx_ca_issuing_der(const hx_ca *ca, size_t *len)
{
	*len = ca->issuing_len;
	return ca->issuing_der;
}

const unsigned char *hx_ca_root_der(const hx_ca *ca, size_t *len)
{
	*len = ca->root_len;
	return ca->root_der;
}

const char *hx_ca_root_path(const hx_ca *ca)
{
	return ca->root_path;
}

/* ---- keys and names ---- */

static int is_p256(const EVP_PKEY *k)
{
	char group[64] = "";
	return EVP_PKEY_is_a(k, "EC") &&
	       EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) &&
	       strcmp(group, SN_X9_62_prime256v1) == 0;
}

/* An EC P-256 public key from a DER SubjectPublicKeyInfo, the whole input
 * consumed; NULL otherwise. */
static EVP_PKEY *p256_from_spki(const unsigned char *spki, size_t len)
{
	const unsigned char *p = spki;
	EVP_PKEY *k;
	if (!spki || len == 0 || len > 4096)
		return NULL;
	k = d2i_PUBKEY(NULL, &p, (long)len);
	if (!k || p != spki + len || !is_p256(k)) {
		EVP_PKEY_free(k);
		ERR_clear_error();
		return NULL;
	}
	return k;
}

/* Number of characters in s when it is well-formed UTF-8 without control
 * characters; -1 otherwise. */
static long utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long n = 0;
	while (*p) {
		unsigned c = *p, len, cp;
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c < 0x80) {
			p++;
			n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return -1;
		for (unsigned i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return -1;
		p += len;
		n++;
	}
	return n;
}

/* PrintableString characters (X.520), for serialNumber. */
static int printable(const char *s)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?";
	size_t n = strlen(s);
	return n > 0 && n <= NAME_MAX_CHARS && strspn(s, ok) == n;
}

static int utf8_name(const char *s)
{
	long n = s ? utf8_chars(s) : -1;
	return n > 0 && n <= NAME_MAX_CHARS;
}

int hx_ca_issue(unsigned char **cert_der_out, size_t *len, char serial[33], const hx_ca *ca,
		const unsigned char *spki, size_t spki_len, const char *cn, const char *org,
		const char *subject_id, long long not_before, long long not_after, hx_err *err)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	int rc;
	*cert_der_out = NULL;
	*len = 0;
	serial[0] = '\0';
	if (!(pk = p256_from_spki(spki, spki_len)))
		return hx_err_set(err, HX_EINVAL, "bad_key", "spki", "公钥不是 EC P-256 公钥");
	if (!utf8_name(cn)) {
		rc = hx_err_set(err, HX_EINVAL, "invalid_cn", "cn", "证书姓名须为 1 至 64 个字符");
		goto done;
	}
	if (org && !utf8_name(org)) {
		rc = hx_err_set(err, HX_EINVAL, "invalid_org", "org", "证书单位名称须为 1 至 64 个字符");
		goto done;
	}
	if (!subject_id || !printable(subject_id)) {
		rc = hx_err_set(err, HX_EINVAL, "invalid_subject_id", "subject_id", "证书主体标识无效");
		goto done;
	}
	if (not_before < 0 || not_after <= not_before || not_after > 253402300799LL) {
		rc = hx_err_set(err, HX_EINVAL, "invalid_validity", "not_after", "证书有效期无效");
		goto done;
	}
	/* UTF8String written as it is (not left to OpenSSL's string mask), so
	 * Chinese names reach NSS exactly */
	if (!(x = X509_new()) || !(name = X509_NAME_new()) || !X509_set_version(x, X509_VERSION_3) ||
	    !random_serial(X509_get_serialNumber(x), serial) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING, (const unsigned char *)cn,
					-1, -1, 0) ||
	    (org && !X509_NAME_add_entry_by_NID(name, NID_organizationName, V_ASN1_UTF8STRING,
						(const unsigned char *)org, -1, -1, 0)) ||
	    !X509_NAME_add_entry_by_NID(name, NID_serialNumber, V_ASN1_PRINTABLESTRING,
					(const unsigned char *)subject_id, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, X509_get_subject_name(ca->issuing)) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) || !X509_set_pubkey(x, pk)) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "ca_failed", "证书生成失败");
		goto done;
	}
	if (hx_cert_add_exts(x, ca->issuing, signer_exts, sizeof signer_exts / sizeof signer_exts[0]) ||
	    X509_sign(x, ca->key, EVP_sha256()) <= 0) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "ca_failed", "证书签发失败");
		goto done;
	}
	if (hx_trust_der(cert_der_out, len, x, ASN1_ITEM_rptr(X509))) {
		rc = nomem(err);
		goto done;
	}
	rc = 0;
done:
	if (rc)
		serial[0] = '\0';
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}

static X509 *parse_cert(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;
	if (!der || len == 0 || len > 65536)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

static int time_of(long long *out, const ASN1_TIME *t);

static int checked_hit(const hx_ca *ca, const unsigned char sha[32], long long at)
{
	struct checked_cache *k = ca->checked;
	int hit = 0;
	if (!k)
		return 0;
	pthread_mutex_lock(&k->mu);
	for (int i = 0; i < CHECKED_MAX && !hit; i++)
		hit = k->e[i].used && memcmp(k->e[i].sha, sha, 32) == 0 && at >= k->e[i].from && at <= k->e[i].until;
	pthread_mutex_unlock(&k->mu);
	return hit;
}

/* Remembers a verified chain with the window where every certificate of
 * it is valid. */
static void checked_put(const hx_ca *ca, const unsigned char sha[32], STACK_OF(X509) *chain)
{
	struct checked_cache *k = ca->checked;
	long long from = 0, until = 0;
	for (int i = 0; i < sk_X509_num(chain); i++) {
		long long nb, na;
		X509 *c = sk_X509_value(chain, i);
		if (!time_of(&nb, X509_get0_notBefore(c)) || !time_of(&na, X509_get0_notAfter(c)))
			return;
		if (i == 0 || nb > from)
			from = nb;
		if (i == 0 || na < until)
			until = na;
	}
	if (!k)
		return;
	pthread_mutex_lock(&k->mu);
	unsigned i = k->next++ % CHECKED_MAX;
	memcpy(k->e[i].sha, sha, 32);
	k->e[i].from = from;
	k->e[i].until = until;
	k->e[i].used = 1;
	pthread_mutex_unlock(&k->mu);
}

int hx_ca_check_cert(const hx_ca *ca, const unsigned char *der, size_t len, long long at, hx_err *err)
{
	unsigned char sha[32];
	int keyed = der && len > 0 && len <= 65536 && EVP_Digest(der, len, sha, NULL, EVP_sha256(), NULL) == 1;
	if (keyed && checked_hit(ca, sha, at))
		return 0;
	X509 *x = parse_cert(der, len);
	X509_STORE_CTX *v = NULL;
	STACK_OF(X509) *untrusted = NULL;
	int rc;
	if (!x)
		return hx_err_set(err, HX_EINVAL, "bad_cert", "cert", "证书格式无效");
	if (!(v = X509_STORE_CTX_new()) || !(untrusted = sk_X509_new_null()) ||
	    !sk_X509_push(untrusted, ca->issuing) || !X509_STORE_CTX_init(v, ca->store, x, untrusted)) {
		rc = nomem(err);
		goto done;
	}
	X509_STORE_CTX_set_time(v, 0, (time_t)at);
	X509_STORE_CTX_set_flags(v, X509_V_FLAG_X509_STRICT);
	if (X509_verify_cert(v) != 1) {
		int e = X509_STORE_CTX_get_error(v);
		ERR_clear_error();
		if (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID)
			rc = hx_err_set(err, HX_EINVAL, "cert_expired", "cert", "证书不在有效期内");
		else
			rc = hx_err_set(err, HX_EINVAL, "cert_untrusted", "cert", "证书不是本平台签发的（%s）",
					X509_verify_cert_error_string(e));
		goto done;
	}
	/* a signer's certificate: issued by the issuing CA itself (not another
	 * certificate of the root, such as the TSA's), not a CA, for signing */
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(v);
	if (sk_X509_num(chain) != 3 || X509_cmp(sk_X509_value(chain, 1), ca->issuing) != 0 ||
	    X509_check_ca(x) != 0 || !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE)) {
		rc = hx_err_set(err, HX_EINVAL, "cert_untrusted", "cert", "证书不是本平台签发的签名证书");
		goto done;
	}
	if (keyed)
		checked_put(ca, sha, chain);
	rc = 0;
done:
	ERR_clear_error();
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(v);
	X509_free(x);
	return rc;
}

static int time_of(long long *out, const ASN1_TIME *t)
{
	struct tm tm;
	if (!ASN1_TIME_to_tm(t, &tm))
		return 0;
	*out = (long long)timegm(&tm);
	return 1;
}

int hx_cert_info(const unsigned char *der, size_t len, char serial[33], char cn[256],
		 long long *not_before, long long *not_after, hx_err *err)
{
	X509 *x = parse_cert(der, len);
	BIGNUM *bn = NULL;
	char *hex = NULL;
	unsigned char *utf8 = NULL;
	int rc = HX_EINVAL;
	if (!x)
		return hx_err_set(err, HX_EINVAL, "bad_cert", "cert", "证书格式无效");
	if (serial) {
		if (!(bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) || !(hex = BN_bn2hex(bn)) ||
		    strlen(hex) > 32)
			goto done;
		for (char *h = hex; *h; h++)
			*h = (char)(*h >= 'A' && *h <= 'F' ? *h - 'A' + 'a' : *h);
		memcpy(serial, hex, strlen(hex) + 1);
	}
	if (cn) {
		X509_NAME *name = X509_get_subject_name(x);
		int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
		cn[0] = '\0';
		if (i >= 0) {
			int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
			if (n < 0 || n > 255 || memchr(utf8, 0, (size_t)n))
				goto done;
			memcpy(cn, utf8, (size_t)n);
			cn[n] = '\0';
		}
	}
	if ((not_before && !time_of(not_before, X509_get0_notBefore(x))) ||
	    (not_after && !time_of(not_after, X509_get0_notAfter(x))))
		goto done;
	rc = 0;
done:
	if (rc)
		hx_err_set(err, HX_EINVAL, "bad_cert", "cert", "证书格式无效");
	ERR_clear_error();
	OPENSSL_free(utf8);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	return rc;
}

/* A serial from its hex form (1..40 hex digits); NULL otherwise. */
static ASN1_INTEGER *serial_from_hex(const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *s = NULL;
	size_t n = hex ? strlen(hex) : 0;
	if (n == 0 || n > 40 || strspn(hex, "0123456789abcdefABCDEF") != n)
		return NULL;
	if (BN_hex2bn(&bn, hex) == (int)n)
		s = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return s;
}

int hx_ca_crl(unsigned char **der, size_t *len, const hx_ca *ca, const char *const *serials,
	      const long long *revoked_at, size_t n, long long now, hx_err *err)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = NULL;
	AUTHORITY_KEYID *akid = NULL;
	int rc;
	*der = NULL;
	*len = 0;
	if (!crl || !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->issuing)) ||
	    !(t = ASN1_TIME_set(NULL, (time_t)now)) || !X509_CRL_set1_lastUpdate(crl, t) ||
	    !ASN1_TIME_set(t, (time_t)(now + CRL_VALID_SECS)) || !X509_CRL_set1_nextUpdate(crl, t)) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "ca_failed", "吊销列表生成失败");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		ASN1_INTEGER *s = serial_from_hex(serials[i]);
		X509_REVOKED *r = s ? X509_REVOKED_new() : NULL;
		int ok = r && ASN1_TIME_set(t, (time_t)revoked_at[i]) && X509_REVOKED_set_serialNumber(r, s) &&
			 X509_REVOKED_set_revocationDate(r, t) && X509_CRL_add0_revoked(crl, r);
		ASN1_INTEGER_free(s);
		if (!ok) {
			X509_REVOKED_free(r);
			ERR_clear_error();
			rc = hx_err_set(err, HX_EINVAL, "bad_serial", "serial", "证书序列号无效：%.40s",
					serials[i] ? serials[i] : "");
			goto done;
		}
	}
	/* RFC 5280 §5.2: authorityKeyIdentifier and cRLNumber; the number is the
	 * time of issue, which grows as the CRLs are made */
	if (!(akid = AUTHORITY_KEYID_new()) ||
	    !(akid->keyid = ASN1_OCTET_STRING_dup(X509_get0_subject_key_id(ca->issuing))) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, 0) ||
	    !(num = ASN1_INTEGER_new()) || !ASN1_INTEGER_set_int64(num, now) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) || !X509_CRL_sort(crl) ||
	    X509_CRL_sign(crl, ca->key, EVP_sha256()) <= 0) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "ca_failed", "吊销列表签名失败");
		goto done;
	}
	if (hx_trust_der(der, len, crl, ASN1_ITEM_rptr(X509_CRL))) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "ca_failed", "吊销列表编码失败");
		goto done;
	}
	rc = 0;
done:
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return rc;
}

/* ECDSA verification with SHA-256 of a DER signature. */
static int verify_der(EVP_PKEY *pk, const unsigned char *data, size_t n, const unsigned char *sig,
		      size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m && EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, pk) == 1 &&
		 EVP_DigestVerify(m, sig, sig_len, data, n) == 1;
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return ok;
}

/* A raw r||s signature (WebCrypto's form) as DER; 0 on failure. */
static int raw_to_der(unsigned char **der, int *len, const unsigned char raw[64])
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *ss = BN_bin2bn(raw + 32, 32, NULL);
	int ok = 0;
	*der = NULL;
	if (s && r && ss && ECDSA_SIG_set0(s, r, ss)) {
		r = ss = NULL; /* s owns them */
		ok = (*len = i2d_ECDSA_SIG(s, der)) > 0;
	}
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return ok;
}

int hx_ec_verify(const unsigned char *spki, size_t spki_len, const unsigned char *data, size_t n,
		 const unsigned char *sig, size_t sig_len, hx_err *err)
{
	EVP_PKEY *pk = p256_from_spki(spki, spki_len);
	unsigned char *der = NULL;
	int der_len = 0, ok = 0;
	if (!pk)
		return hx_err_set(err, HX_EINVAL, "bad_key", "spki", "公钥不是 EC P-256 公钥");
	if (sig && sig_len == 64 && raw_to_der(&der, &der_len, sig))
		ok = verify_der(pk, data, n, der, (size_t)der_len);
	/* a DER signature can be 64 bytes long too */
	if (!ok && sig && sig_len > 0 && sig_len <= 128)
		ok = verify_der(pk, data, n, sig, sig_len);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	return ok ? 0 : hx_err_set(err, HX_EINVAL, "bad_signature", "signature", "签名验证失败");
}

/* ---- enterprise seal keys ---- */

int hx_seal_key_new(char **sealed, unsigned char **spki, size_t *spki_len, const uint8_t key[32], hx_err *err)
{
	EVP_PKEY *k = NULL;
	BIO *m = NULL;
	char *pem = NULL, *data = NULL;
	unsigned char *pub = NULL;
	long n = 0;
	int pn, rc;
	*sealed = NULL;
	*spki = NULL;
	*spki_len = 0;
	if (!(k = EVP_EC_gen("P-256")) || !(m = BIO_new(BIO_s_secmem())) ||
	    !PEM_write_bio_PKCS8PrivateKey(m, k, NULL, NULL, 0, NULL, NULL) ||
	    (n = BIO_get_mem_data(m, &data)) <= 0 || (pn = i2d_PUBKEY(k, &pub)) <= 0) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "ca_failed", "印章密钥生成失败");
		goto done;
	}
	if (!(pem = OPENSSL_secure_malloc((size_t)n + 1))) {
		rc = nomem(err);
		goto done;
	}
	memcpy(pem, data, (size_t)n);
	pem[n] = '\0';
	if ((rc = hx_seal(sealed, key, pem, SEAL_AAD, err)))
		goto done;
	if (!(*spki = malloc((size_t)pn))) {
		free(*sealed);
		*sealed = NULL;
		rc = nomem(err);
		goto done;
	}
	memcpy(*spki, pub, (size_t)pn);
	*spki_len = (size_t)pn;
	rc = 0;
done:
	if (pem)
		OPENSSL_secure_clear_free(pem, (size_t)n + 1);
	OPENSSL_free(pub);
	BIO_free(m);
	EVP_PKEY_free(k);
	return rc;
}

int hx_seal_key_sign(unsigned char **sig, size_t *sig_len, const char *sealed, const uint8_t key[32],
		     const unsigned char *data, size_t n, hx_err *err)
{
	char *pem = NULL;
	BIO *b = NULL;
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *m = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;
	*sig = NULL;
	*sig_len = 0;
	if (!sealed || hx_open(&pem, key, sealed, SEAL_AAD, NULL))
		return hx_err_set(err, HX_EINVAL, "bad_seal_key", "", "企业印章密钥无法解密");
	if (!(b = BIO_new_mem_buf(pem, -1)) || !(k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) ||
	    !is_p256(k)) {
		rc = hx_trust_ossl_fail(err, HX_EINVAL, "bad_seal_key", "企业印章密钥无效");
		goto done;
	}
	if (!(m = EVP_MD_CTX_new()) || EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(m, NULL, &len, data, n) != 1 || !(buf = malloc(len)) ||
	    EVP_DigestSign(m, buf, &len, data, n) != 1) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "ca_failed", "印章签名失败");
		goto done;
	}
	*sig = buf;
	*sig_len = len;
	buf = NULL;
	rc = 0;
done:
	free(buf);
	EVP_MD_CTX_free(m);
	EVP_PKEY_free(k);
	BIO_free(b);
	if (pem) {
		OPENSSL_cleanse(pem, strlen(pem));
		free(pem);
	}
	return rc;
}
