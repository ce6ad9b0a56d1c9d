/* The built-in RFC 3161 time-stamping authority of the trust service: the
 * platform root CA and TSA certificate on disk, TimeStampReq answered through
 * OpenSSL's TS_RESP_CTX, and tokens verified through TS_VERIFY_CTX. Every
 * signature on an electronic contract (电子劳动合同) and every checkpoint of
 * the evidence log gets a token from here unless an external TSA is set. */
#include "tsa.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "trust_impl.h"

#define CA_DAYS (20 * 365 + 5)  /* 20 years, leap days included */
#define TSA_DAYS (10 * 365 + 3) /* 10 years */
/* the error keys of the TSA's key files */
#define TSA_KEYDIR(d) ((hx_keydir){.dir = (d), .path_key = "tsa_path", .key = "tsa_keys"})

struct hx_tsa {
	EVP_PKEY *key;
	X509 *cert;
	ASN1_OBJECT *policy;
};

/* A positive integer from 128 random bits: certificate and token serials. */
static ASN1_INTEGER *random_serial(ASN1_INTEGER *into)
{
	unsigned char r[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *s = NULL;
	if (RAND_bytes(r, sizeof r) == 1 && (bn = BN_bin2bn(r, sizeof r, NULL)))
		s = BN_to_ASN1_INTEGER(bn, into);
	BN_free(bn);
	OPENSSL_cleanse(r, sizeof r);
	return s;
}

static int cert_serial(ASN1_INTEGER *into)
{
	return random_serial(into) != NULL;
}

static const hx_cert_ext ca_exts[] = {
	{NID_basic_constraints, "critical,CA:TRUE"},
	{NID_key_usage, "critical,keyCertSign,cRLSign"},
	{NID_subject_key_identifier, "hash"},
};

static const hx_cert_ext tsa_exts[] = {
	{NID_basic_constraints, "critical,CA:FALSE"},
	{NID_key_usage, "critical,digitalSignature"},
	/* RFC 3161 §2.3: the only extended key usage, and critical. */
	{NID_ext_key_usage, "critical,timeStamping"},
	{NID_subject_key_identifier, "hash"},
	{NID_authority_key_identifier, "keyid:always"},
};

static const hx_cert_spec ca_spec = {
	.stem = "ca",
	.cn = "Hexie 平台根证书",
	.days = CA_DAYS,
	.serial = cert_serial,
	.exts = ca_exts,
	.nexts = sizeof ca_exts / sizeof ca_exts[0],
	.key_failed = "根证书密钥生成失败",
	.cert_failed = "证书生成失败",
};

static const hx_cert_spec tsa_spec = {
	.stem = "tsa",
	.cn = "Hexie 时间戳服务",
	.days = TSA_DAYS,
	.serial = cert_serial,
	.exts = tsa_exts,
	.nexts = sizeof tsa_exts / sizeof tsa_exts[0],
	.key_failed = "时间戳服务密钥生成失败",
	.cert_failed = "证书生成失败",
};

int hx_tsa_keys_make(const char *dir, hx_err *err)
{
	const hx_keydir kd = TSA_KEYDIR(dir);
	char ca_crt[PATH_MAX], ca_key[PATH_MAX], tsa_crt[PATH_MAX], tsa_key[PATH_MAX];
	EVP_PKEY *cak = NULL, *tk = NULL;
	X509 *cac = NULL, *tc = NULL;
	int lfd = -1, rc;
	if ((rc = hx_keydir_path(ca_crt, &kd, "ca.crt", err)) ||
	    (rc = hx_keydir_path(ca_key, &kd, "ca.key", err)) ||
	    (rc = hx_keydir_path(tsa_crt, &kd, "tsa.crt", err)) ||
	    (rc = hx_keydir_path(tsa_key, &kd, "tsa.key", err)))
		return rc;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return hx_err_set(err, HX_EIO, "tsa_keys", "", "无法创建密钥目录 %s：%s", dir, strerror(errno));
	/* Another instance may run `hexie init` at the same moment: one makes
	 * the keys, the other then finds them. */
	if ((rc = hx_keydir_lock(&lfd, &kd, err)))
		goto done;

	/* The .crt is written after its .key, so it marks a complete pair; a
	 * .key without its .crt is the remnant of an interrupted run. */
	if (hx_keydir_exists(tsa_crt)) {
		if (!hx_keydir_exists(tsa_key) || !hx_keydir_exists(ca_crt))
			rc = hx_err_set(err, HX_EIO, "tsa_keys", "",
					"%s 中有 tsa.crt 但缺少 tsa.key 或 ca.crt", dir);
		goto done;
	}
	if (hx_keydir_exists(ca_crt))
		rc = hx_keydir_load_pair(&cak, &cac, &kd, "ca", err);
	else
		rc = hx_keydir_make_pair(&cak, &cac, &kd, &ca_spec, NULL, NULL, err);
	if (rc || (rc = hx_keydir_make_pair(&tk, &tc, &kd, &tsa_spec, cac, cak, err)))
		goto done;
	rc = 0;
done:
	hx_keydir_unlock(lfd);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(tk);
	X509_free(cac);
	X509_free(tc);
	return rc;
}

int hx_tsa_open(hx_tsa **out, const char *dir, hx_err *err)
{
	const hx_keydir kd = TSA_KEYDIR(dir);
	hx_tsa *t = calloc(1, sizeof *t);
	int rc;
	*out = NULL;
	if (!t)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
	if ((rc = hx_keydir_read_pem(&t->key, NULL, &kd, "tsa.key", err)) ||
	    (rc = hx_keydir_read_pem(NULL, &t->cert, &kd, "tsa.crt", err)))
		goto done;
	if (X509_check_private_key(t->cert, t->key) != 1) {
		rc = hx_trust_ossl_fail(err, HX_EIO, "tsa_keys", "tsa.key 与 tsa.crt 不匹配");
		goto done;
	}
	if (X509_check_purpose(t->cert, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
		rc = hx_trust_ossl_fail(err, HX_EIO, "tsa_keys",
					"tsa.crt 不是时间戳证书（需要唯一且关键的 timeStamping 扩展密钥用法）");
		goto done;
	}
	if (!(t->policy = OBJ_txt2obj(HX_TSA_POLICY_OID, 1))) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "tsa", "策略 OID 无效");
		goto done;
	}
	*out = t;
	t = NULL;
	rc = 0;
done:
	hx_tsa_free(t);
	return rc;
}

void hx_tsa_free(hx_tsa *t)
{
	if (!t)
		return;
	EVP_PKEY_free(t->key);
	X509_free(t->cert);
	ASN1_OBJECT_free(t->policy);
	free(t);
}

static ASN1_INTEGER *serial_cb(TS_RESP_CTX *ctx, void *data)
{
	(void)data;
	ASN1_INTEGER *s = random_serial(NULL);
	if (!s) {
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Error during serial number generation.");
		TS_RESP_CTX_add_failure_info(ctx, TS_INFO_SYSTEM_FAILURE);
	}
	return s;
}

/* The host clock, refused when it is outside the TSA certificate's validity:
 * a clock before notBefore has been reset (RTC lost, 1970), and after
 * notAfter the token could not be verified. Either way no token is made. */
static int time_cb(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
	const hx_tsa *t = data;
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0) {
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "Time is not available.");
		TS_RESP_CTX_add_failure_info(ctx, TS_INFO_TIME_NOT_AVAILABLE);
		return 0;
	}
	time_t now = ts.tv_sec;
	if (X509_cmp_time(X509_get0_notBefore(t->cert), &now) >= 0) {
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
					    "Time is not available: clock is before the TSA certificate.");
		TS_RESP_CTX_add_failure_info(ctx, TS_INFO_TIME_NOT_AVAILABLE);
		return 0;
	}
	if (X509_cmp_time(X509_get0_notAfter(t->cert), &now) <= 0) {
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION, "The TSA certificate has expired.");
		TS_RESP_CTX_add_failure_info(ctx, TS_INFO_SYSTEM_FAILURE);
		return 0;
	}
	*sec = (long)ts.tv_sec;
	*usec = ts.tv_nsec / 1000;
	return 1;
}

static TS_RESP_CTX *make_ctx(hx_tsa *t)
{
	TS_RESP_CTX *c = TS_RESP_CTX_new();
	if (!c)
		return NULL;
	if (!TS_RESP_CTX_set_signer_cert(c, t->cert) || !TS_RESP_CTX_set_signer_key(c, t->key) ||
	    !TS_RESP_CTX_set_signer_digest(c, EVP_sha256()) ||
	    /* ESSCertIDv2 (RFC 5816) with SHA-256 rather than SHA-1 */
	    !TS_RESP_CTX_set_ess_cert_id_digest(c, EVP_sha256()) ||
	    !TS_RESP_CTX_set_def_policy(c, t->policy) || !TS_RESP_CTX_add_md(c, EVP_sha256()) ||
	    !TS_RESP_CTX_add_md(c, EVP_sha384()) || !TS_RESP_CTX_add_md(c, EVP_sha512()) ||
	    !TS_RESP_CTX_set_accuracy(c, 1, 0, 0)) {
		TS_RESP_CTX_free(c);
		return NULL;
	}
	TS_RESP_CTX_add_flags(c, TS_TSA_NAME);
	TS_RESP_CTX_set_serial_cb(c, serial_cb, NULL);
	TS_RESP_CTX_set_time_cb(c, time_cb, t);
	return c;
}

long hx_tsa_resp_status(TS_RESP *r)
{
	return ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r)));
}

/* A response that is not granted through the TSA's own fault: no failure
 * info (OpenSSL's "Error during response generation"), or system failure,
 * time or additional information not available. */
static int resp_internal_failure(TS_RESP *r)
{
	long st = hx_tsa_resp_status(r);
	if (st == TS_STATUS_GRANTED || st == TS_STATUS_GRANTED_WITH_MODS)
		return TS_RESP_get_token(r) == NULL;
	const ASN1_BIT_STRING *fi = TS_STATUS_INFO_get0_failure_info(TS_RESP_get_status_info(r));
	return !fi || ASN1_BIT_STRING_get_bit(fi, TS_INFO_SYSTEM_FAILURE) ||
	       ASN1_BIT_STRING_get_bit(fi, TS_INFO_TIME_NOT_AVAILABLE) ||
	       ASN1_BIT_STRING_get_bit(fi, TS_INFO_ADD_INFO_NOT_AVAILABLE);
}

static const char *resp_text(TS_RESP *r)
{
	const STACK_OF(ASN1_UTF8STRING) *txt = TS_STATUS_INFO_get0_text(TS_RESP_get_status_info(r));
	if (!txt || sk_ASN1_UTF8STRING_num(txt) < 1)
		return "no status text";
	return (const char *)ASN1_STRING_get0_data(sk_ASN1_UTF8STRING_value(txt, 0));
}

/* Runs TS_RESP_CTX over the DER request in req; *out is a granted response
 * or a rejection caused by the request. */
static int create_response(TS_RESP **out, hx_tsa *t, BIO *req, hx_err *err)
{
	TS_RESP_CTX *c = make_ctx(t);
	int rc = 0;
	*out = NULL;
	if (!c)
		return hx_trust_ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳服务初始化失败");
	TS_RESP *r = TS_RESP_create_response(c, req);
	if (!r) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳生成失败");
	} else if (resp_internal_failure(r)) {
		rc = hx_err_set(err, HX_EINTERNAL, "tsa_failed", "", "时间戳生成失败：%s", resp_text(r));
		TS_RESP_free(r);
	} else {
		*out = r;
	}
	TS_RESP_CTX_free(c);
	ERR_clear_error(); /* a rejected request leaves OpenSSL's reasons queued */
	return rc;
}

int hx_tsa_stamp(unsigned char **resp_der, size_t *len, hx_tsa *t,
		 const unsigned char *req_der, size_t req_len, hx_err *err)
{
	TS_RESP *r = NULL;
	BIO *b = NULL;
	unsigned char *buf = NULL;
	int rc;
	*resp_der = NULL;
	*len = 0;
	if (req_len > HX_TSA_REQ_MAX)
		return hx_err_set(err, HX_ETOOBIG, "tsa_request_too_big", "",
				  "时间戳请求过大（%zu 字节，上限 %d）", req_len, HX_TSA_REQ_MAX);
	if (!(b = BIO_new_mem_buf(req_der ? (const void *)req_der : "", (int)req_len))) {
		rc = hx_trust_ossl_fail(err, HX_ENOMEM, "nomem", "内存不足");
		goto done;
	}
	if ((rc = create_response(&r, t, b, err)))
		goto done;
	int n = i2d_TS_RESP(r, NULL);
	unsigned char *p;
	if (n <= 0 || !(buf = malloc((size_t)n)) || (p = buf, i2d_TS_RESP(r, &p) != n)) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳响应编码失败");
		goto done;
	}
	*resp_der = buf;
	*len = (size_t)n;
	buf = NULL;
	rc = 0;
done:
	free(buf);
	BIO_free(b);
	TS_RESP_free(r);
	return rc;
}

/* The platform's own request, which tsa_client.c sends to an external TSA
 * as well: version 1, a 64-bit nonce, certReq. */
TS_REQ *hx_tsa_digest_request(const unsigned char sha256[32])
{
	TS_REQ *q = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	unsigned char r[8];
	int ok = 0;
	if (!q || !mi || !alg || RAND_bytes(r, sizeof r) != 1)
		goto done;
	if (!X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) ||
	    !TS_MSG_IMPRINT_set_algo(mi, alg) || !TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)sha256, 32) ||
	    !TS_REQ_set_version(q, 1) || !TS_REQ_set_msg_imprint(q, mi) || !TS_REQ_set_cert_req(q, 1))
		goto done;
	if (!(bn = BN_bin2bn(r, sizeof r, NULL)) || !(nonce = BN_to_ASN1_INTEGER(bn, NULL)) ||
	    !TS_REQ_set_nonce(q, nonce))
		goto done;
	ok = 1;
done:
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	if (!ok) {
		TS_REQ_free(q);
		q = NULL;
	}
	return q;
}

/* Checks our own response before handing the token out: version, imprint,
 * nonce and the signature against the TSA certificate. A broken signer (a
 * key that does not match, a failing HSM) is caught here, not by a court. */
static int self_check(TS_RESP *r, TS_REQ *q, hx_tsa *t)
{
	TS_VERIFY_CTX *v = TS_REQ_to_TS_VERIFY_CTX(q, NULL);
	X509_STORE *s = X509_STORE_new();
	int ok = 0;
	if (!v || !s || !X509_STORE_add_cert(s, t->cert) ||
	    !X509_STORE_set_flags(s, X509_V_FLAG_PARTIAL_CHAIN))
		goto done;
	TS_VERIFY_CTX_set_store(v, s); /* v owns s now */
	s = NULL;
	TS_VERIFY_CTX_set_flags(v, TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE | TS_VFY_SIGNATURE |
					   TS_VFY_SIGNER);
	ok = TS_RESP_verify_response(v, r) == 1;
done:
	X509_STORE_free(s);
	TS_VERIFY_CTX_free(v);
	return ok;
}

static X509_STORE *ca_store(const char *ca_pem_path);

/* The check of hx_tsa_stamp_digest_verified: the response as made, against
 * the root (the TSA certificate must chain to it), with the request's
 * imprint and nonce; genTime from it. */
static int root_check(TS_RESP *r, TS_REQ *q, const char *ca_pem_path, char genTime[32])
{
	TS_VERIFY_CTX *v = TS_REQ_to_TS_VERIFY_CTX(q, NULL);
	X509_STORE *s = ca_store(ca_pem_path);
	struct tm tm;
	int ok = 0;
	if (!v || !s)
		goto done;
	TS_VERIFY_CTX_set_store(v, s); /* v owns s now */
	s = NULL;
	TS_VERIFY_CTX_set_flags(v, TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE | TS_VFY_SIGNATURE |
					   TS_VFY_SIGNER);
	ok = TS_RESP_verify_response(v, r) == 1 && ASN1_TIME_to_tm(TS_TST_INFO_get_time(TS_RESP_get_tst_info(r)), &tm) &&
	     strftime(genTime, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
done:
	X509_STORE_free(s);
	TS_VERIFY_CTX_free(v);
	return ok;
}

/* Both stamps: self-checked against the TSA certificate (ca_pem_path
 * NULL), or against the root. */
static int stamp(unsigned char **token_der, size_t *len, char genTime[32], hx_tsa *t, const unsigned char sha256[32],
		 const char *ca_pem_path, hx_err *err)
{
	TS_REQ *q = NULL;
	TS_RESP *r = NULL;
	BIO *b = NULL;
	int rc;
	*token_der = NULL;
	*len = 0;
	if (!(q = hx_tsa_digest_request(sha256)) || !(b = BIO_new(BIO_s_mem())) ||
	    i2d_TS_REQ_bio(b, q) != 1) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳请求生成失败");
		goto done;
	}
	if ((rc = create_response(&r, t, b, err)))
		goto done;
	if (hx_tsa_resp_status(r) != TS_STATUS_GRANTED) {
		rc = hx_err_set(err, HX_EINTERNAL, "tsa_failed", "", "时间戳服务拒绝了平台的请求：%s",
				resp_text(r));
		goto done;
	}
	if (ca_pem_path ? !root_check(r, q, ca_pem_path, genTime) : !self_check(r, q, t)) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳自检失败");
		goto done;
	}
	if (hx_trust_der(token_der, len, TS_RESP_get_token(r), ASN1_ITEM_rptr(PKCS7))) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳编码失败");
		goto done;
	}
	rc = 0;
done:
	BIO_free(b);
	TS_REQ_free(q);
	TS_RESP_free(r);
	return rc;
}

int hx_tsa_stamp_digest(unsigned char **token_der, size_t *len, hx_tsa *t,
			const unsigned char sha256[32], hx_err *err)
{
	char gen[32];
	return stamp(token_der, len, gen, t, sha256, NULL, err);
}

int hx_tsa_stamp_digest_verified(unsigned char **token_der, size_t *len, char genTime[32], hx_tsa *t,
				 const unsigned char sha256[32], const char *ca_pem_path, hx_err *err)
{
	genTime[0] = '\0';
	if (!ca_pem_path)
		return hx_err_set(err, HX_EINVAL, "tsa_ca", "", "缺少根证书文件");
	int rc = stamp(token_der, len, genTime, t, sha256, ca_pem_path, err);
	if (rc)
		genTime[0] = '\0';
	return rc;
}

/* The root certificate file as a verification store, loaded once per file
 * version (path, inode, size, mtime) and shared: reading and parsing the
 * PEM file on every token was a fifth of a contract signature's time.
 * X509_STORE is reference-counted and may be verified against from several
 * threads at once. */
static pthread_mutex_t ca_store_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *path;
	struct stat st;
	X509_STORE *store;
} ca_store_cache;

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* A reference to the store of ca_pem_path (X509_STORE_free it), or NULL. */
static X509_STORE *ca_store(const char *ca_pem_path)
{
	struct stat st;
	X509_STORE *s = NULL;
	if (!ca_pem_path || stat(ca_pem_path, &st) != 0)
		return NULL;
	pthread_mutex_lock(&ca_store_mu);
	if (ca_store_cache.store && strcmp(ca_store_cache.path, ca_pem_path) == 0 && same_file(&ca_store_cache.st, &st)) {
		if (X509_STORE_up_ref(ca_store_cache.store))
			s = ca_store_cache.store;
	} else {
		X509_STORE *fresh = X509_STORE_new();
		char *path = strdup(ca_pem_path);
		if (fresh && path && X509_STORE_load_file(fresh, ca_pem_path) == 1 && X509_STORE_up_ref(fresh)) {
			X509_STORE_free(ca_store_cache.store);
			free(ca_store_cache.path);
			ca_store_cache.store = fresh;
			ca_store_cache.path = path;
			ca_store_cache.st = st;
			s = fresh;
		} else {
			X509_STORE_free(fresh);
			free(path);
		}
	}
	pthread_mutex_unlock(&ca_store_mu);
	return s;
}

int hx_tsa_verify_token(const unsigned char *token_der, size_t len,
			const unsigned char sha256[32], const char *ca_pem_path,
			char genTime[32], hx_err *err)
{
	PKCS7 *p7 = NULL;
	TS_TST_INFO *tst = NULL;
	X509_STORE *s = NULL;
	TS_VERIFY_CTX *v = NULL;
	unsigned char *imprint = NULL;
	struct tm tm;
	int rc;
	genTime[0] = '\0';
	if (len > HX_TSA_TOKEN_MAX)
		return hx_err_set(err, HX_ETOOBIG, "tsa_token_too_big", "",
				  "时间戳令牌过大（%zu 字节，上限 %d）", len, HX_TSA_TOKEN_MAX);
	const unsigned char *p = token_der;
	if (!token_der || !(p7 = d2i_PKCS7(NULL, &p, (long)len)) || p != token_der + len ||
	    !(tst = PKCS7_to_TS_TST_INFO(p7))) {
		rc = hx_trust_ossl_fail(err, HX_EINVAL, "invalid_timestamp", "时间戳令牌格式无效");
		goto done;
	}
	/* TS_VFY_IMPRINT compares only the bytes; the algorithm must be ours. */
	const X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst));
	if (OBJ_obj2nid(alg->algorithm) != NID_sha256) {
		rc = hx_err_set(err, HX_EINVAL, "invalid_timestamp", "", "时间戳令牌的摘要算法不是 SHA-256");
		goto done;
	}
	if (!(s = ca_store(ca_pem_path))) {
		rc = hx_trust_ossl_fail(err, HX_EIO, "tsa_ca", "无法读取根证书文件");
		goto done;
	}
	if (!(v = TS_VERIFY_CTX_new()) || !(imprint = OPENSSL_memdup(sha256, 32))) {
		rc = hx_trust_ossl_fail(err, HX_ENOMEM, "nomem", "内存不足");
		goto done;
	}
	TS_VERIFY_CTX_set_flags(v, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_SIGNER | TS_VFY_IMPRINT);
	TS_VERIFY_CTX_set_store(v, s); /* v owns s and imprint now */
	s = NULL;
	TS_VERIFY_CTX_set_imprint(v, imprint, 32);
	imprint = NULL;
	if (TS_RESP_verify_token(v, p7) != 1) {
		rc = hx_trust_ossl_fail(err, HX_EINVAL, "invalid_timestamp", "时间戳令牌验证失败");
		goto done;
	}
	if (!ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm) ||
	    !strftime(genTime, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		genTime[0] = '\0';
		rc = hx_trust_ossl_fail(err, HX_EINVAL, "invalid_timestamp", "时间戳令牌的时间无效");
		goto done;
	}
	rc = 0;
done:
	OPENSSL_free(imprint);
	TS_VERIFY_CTX_free(v);
	X509_STORE_free(s);
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	return rc;
}
