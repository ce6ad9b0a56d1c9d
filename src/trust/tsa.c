/* The built-in RFC 3161 time-stamping authority of the trust service: the
 * platform root CA and TSA certificate on disk, TimeStampReq answered through
 * OpenSSL's TS_RESP_CTX, and tokens verified through TS_VERIFY_CTX. Every
 * signature on an electronic contract (电子劳动合同) and every checkpoint of
 * the evidence log gets a token from here unless an external TSA is set. */
#include "tsa.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CA_DAYS (20 * 365 + 5)  /* 20 years, leap days included */
#define TSA_DAYS (10 * 365 + 3) /* 10 years */
/* notBefore is set a minute back so that an instance whose clock lags the
 * one that made the certificate still accepts it. */
#define BACKDATE_SECS 60

struct hx_tsa {
	EVP_PKEY *key;
	X509 *cert;
	ASN1_OBJECT *policy;
};

/* Fills err with what, followed by OpenSSL's last reason, and clears
 * OpenSSL's error queue (this thread's), since the error is now a value. */
static int ossl_fail(hx_err *err, int code, const char *key, const char *what)
{
	char reason[256] = "";
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, reason, sizeof reason);
	ERR_clear_error();
	return hx_err_set(err, code, key, "", "%s%s%s", what, *reason ? ": " : "", reason);
}

static int path_in(char out[PATH_MAX], const char *dir, const char *name, hx_err *err)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
	if (n < 0 || n >= PATH_MAX)
		return hx_err_set(err, HX_EINVAL, "tsa_path", "", "密钥目录路径过长：%s", dir);
	return 0;
}

static int file_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Writes data to dir/name, mode 0600, through a temporary file renamed into
 * place, so a reader sees the whole file or none. */
static int write_file(const char *dir, const char *name, const void *data, size_t n, hx_err *err)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	char tname[64];
	int fd = -1, dfd = -1, rc;
	snprintf(tname, sizeof tname, ".%s.tmp", name);
	if ((rc = path_in(tmp, dir, tname, err)) || (rc = path_in(path, dir, name, err)))
		return rc;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (fchmod(fd, 0600) < 0)
		goto fail;
	for (const char *p = data; n > 0;) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	rc = hx_err_set(err, HX_EIO, "tsa_keys", "", "无法写入 %s：%s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

/* Writes a private key (secure memory BIO, cleared on free) or a certificate
 * as PEM. Exactly one of key and cert is set. */
static int write_pem(const char *dir, const char *name, EVP_PKEY *key, X509 *cert, hx_err *err)
{
	BIO *m = BIO_new(key ? BIO_s_secmem() : BIO_s_mem());
	char *data = NULL;
	int rc;
	if (!m || !(key ? PEM_write_bio_PrivateKey(m, key, NULL, NULL, 0, NULL, NULL)
			: PEM_write_bio_X509(m, cert))) {
		rc = ossl_fail(err, HX_EINTERNAL, "tsa_keys", "PEM 编码失败");
		goto done;
	}
	long n = BIO_get_mem_data(m, &data);
	rc = write_file(dir, name, data, n > 0 ? (size_t)n : 0, err);
done:
	BIO_free(m);
	return rc;
}

static int read_key(EVP_PKEY **out, const char *dir, const char *name, hx_err *err)
{
	char path[PATH_MAX];
	int rc;
	if ((rc = path_in(path, dir, name, err)))
		return rc;
	BIO *b = BIO_new_file(path, "r");
	*out = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!*out)
		return ossl_fail(err, HX_EIO, "tsa_keys", "无法读取私钥文件");
	return 0;
}

static int read_cert(X509 **out, const char *dir, const char *name, hx_err *err)
{
	char path[PATH_MAX];
	int rc;
	if ((rc = path_in(path, dir, name, err)))
		return rc;
	BIO *b = BIO_new_file(path, "r");
	*out = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!*out)
		return ossl_fail(err, HX_EIO, "tsa_keys", "无法读取证书文件");
	return 0;
}

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

struct ext {
	int nid;
	const char *value;
};

/* Makes a certificate for key with CN cn, valid for days, signed by
 * issuer_key; issuer NULL makes it self-signed. */
static int make_cert(X509 **out, EVP_PKEY *key, const char *cn, X509 *issuer,
		     EVP_PKEY *issuer_key, long days, const struct ext *exts, size_t nexts,
		     hx_err *err)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	int ok = 0;
	if (!x || !name)
		goto done;
	if (!X509_set_version(x, X509_VERSION_3) || !random_serial(X509_get_serialNumber(x)))
		goto done;
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
		goto done;
	if (!X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
		goto done;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_SECS) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL))
		goto done;
	if (!X509_set_pubkey(x, key))
		goto done;
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	for (size_t i = 0; i < nexts; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
		int added = e && X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		if (!added)
			goto done;
	}
	if (X509_sign(x, issuer_key, EVP_sha256()) <= 0)
		goto done;
	*out = x;
	x = NULL;
	ok = 1;
done:
	X509_free(x);
	X509_NAME_free(name);
	return ok ? 0 : ossl_fail(err, HX_EINTERNAL, "tsa_keys", "证书生成失败");
}

static const struct ext ca_exts[] = {
	{NID_basic_constraints, "critical,CA:TRUE"},
	{NID_key_usage, "critical,keyCertSign,cRLSign"},
	{NID_subject_key_identifier, "hash"},
};

static const struct ext tsa_exts[] = {
	{NID_basic_constraints, "critical,CA:FALSE"},
	{NID_key_usage, "critical,digitalSignature"},
	/* RFC 3161 §2.3: the only extended key usage, and critical. */
	{NID_ext_key_usage, "critical,timeStamping"},
	{NID_subject_key_identifier, "hash"},
	{NID_authority_key_identifier, "keyid:always"},
};

int hx_tsa_keys_make(const char *dir, hx_err *err)
{
	char lock[PATH_MAX], ca_crt[PATH_MAX], ca_key[PATH_MAX], tsa_crt[PATH_MAX], tsa_key[PATH_MAX];
	EVP_PKEY *cak = NULL, *tk = NULL;
	X509 *cac = NULL, *tc = NULL;
	int lfd = -1, rc;
	if ((rc = path_in(lock, dir, ".lock", err)) || (rc = path_in(ca_crt, dir, "ca.crt", err)) ||
	    (rc = path_in(ca_key, dir, "ca.key", err)) || (rc = path_in(tsa_crt, dir, "tsa.crt", err)) ||
	    (rc = path_in(tsa_key, dir, "tsa.key", err)))
		return rc;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return hx_err_set(err, HX_EIO, "tsa_keys", "", "无法创建密钥目录 %s：%s", dir, strerror(errno));
	/* Another instance may run `hexie init` at the same moment: one makes
	 * the keys, the other then finds them. */
	lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		rc = hx_err_set(err, HX_EIO, "tsa_keys", "", "无法锁定 %s：%s", lock, strerror(errno));
		goto done;
	}

	/* The .crt is written after its .key, so it marks a complete pair; a
	 * .key without its .crt is the remnant of an interrupted run. */
	if (file_exists(tsa_crt)) {
		if (!file_exists(tsa_key) || !file_exists(ca_crt))
			rc = hx_err_set(err, HX_EIO, "tsa_keys", "",
					"%s 中有 tsa.crt 但缺少 tsa.key 或 ca.crt", dir);
		goto done;
	}
	if (file_exists(ca_crt)) {
		if ((rc = read_cert(&cac, dir, "ca.crt", err)) || (rc = read_key(&cak, dir, "ca.key", err)))
			goto done;
		if (X509_check_private_key(cac, cak) != 1) {
			rc = ossl_fail(err, HX_EIO, "tsa_keys", "ca.key 与 ca.crt 不匹配");
			goto done;
		}
	} else {
		if (!(cak = EVP_EC_gen("P-256"))) {
			rc = ossl_fail(err, HX_EINTERNAL, "tsa_keys", "根证书密钥生成失败");
			goto done;
		}
		if ((rc = make_cert(&cac, cak, "Hexie 平台根证书", NULL, cak, CA_DAYS, ca_exts,
				    sizeof ca_exts / sizeof ca_exts[0], err)) ||
		    (rc = write_pem(dir, "ca.key", cak, NULL, err)) ||
		    (rc = write_pem(dir, "ca.crt", NULL, cac, err)))
			goto done;
	}
	if (!(tk = EVP_EC_gen("P-256"))) {
		rc = ossl_fail(err, HX_EINTERNAL, "tsa_keys", "时间戳服务密钥生成失败");
		goto done;
	}
	if ((rc = make_cert(&tc, tk, "Hexie 时间戳服务", cac, cak, TSA_DAYS, tsa_exts,
			    sizeof tsa_exts / sizeof tsa_exts[0], err)) ||
	    (rc = write_pem(dir, "tsa.key", tk, NULL, err)) ||
	    (rc = write_pem(dir, "tsa.crt", NULL, tc, err)))
		goto done;
	rc = 0;
done:
	if (lfd >= 0)
		close(lfd); /* releases the lock */
	EVP_PKEY_free(cak);
	EVP_PKEY_free(tk);
	X509_free(cac);
	X509_free(tc);
	return rc;
}

int hx_tsa_open(hx_tsa **out, const char *dir, hx_err *err)
{
	hx_tsa *t = calloc(1, sizeof *t);
	int rc;
	*out = NULL;
	if (!t)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
	if ((rc = read_key(&t->key, dir, "tsa.key", err)) || (rc = read_cert(&t->cert, dir, "tsa.crt", err)))
		goto done;
	if (X509_check_private_key(t->cert, t->key) != 1) {
		rc = ossl_fail(err, HX_EIO, "tsa_keys", "tsa.key 与 tsa.crt 不匹配");
		goto done;
	}
	if (X509_check_purpose(t->cert, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
		rc = ossl_fail(err, HX_EIO, "tsa_keys",
			       "tsa.crt 不是时间戳证书（需要唯一且关键的 timeStamping 扩展密钥用法）");
		goto done;
	}
	if (!(t->policy = OBJ_txt2obj(HX_TSA_POLICY_OID, 1))) {
		rc = ossl_fail(err, HX_EINTERNAL, "tsa", "策略 OID 无效");
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

static long resp_status(TS_RESP *r)
{
	return ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r)));
}

/* A response that is not granted through the TSA's own fault: no failure
 * info (OpenSSL's "Error during response generation"), or system failure,
 * time or additional information not available. */
static int resp_internal_failure(TS_RESP *r)
{
	long st = resp_status(r);
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
		return ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳服务初始化失败");
	TS_RESP *r = TS_RESP_create_response(c, req);
	if (!r) {
		rc = ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳生成失败");
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
		rc = ossl_fail(err, HX_ENOMEM, "nomem", "内存不足");
		goto done;
	}
	if ((rc = create_response(&r, t, b, err)))
		goto done;
	int n = i2d_TS_RESP(r, NULL);
	unsigned char *p;
	if (n <= 0 || !(buf = malloc((size_t)n)) || (p = buf, i2d_TS_RESP(r, &p) != n)) {
		rc = ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳响应编码失败");
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

/* The platform's own request for a SHA-256 digest: version 1, a 64-bit
 * nonce, certReq so the token carries the TSA certificate. */
static TS_REQ *digest_request(const unsigned char sha256[32])
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

int hx_tsa_stamp_digest(unsigned char **token_der, size_t *len, hx_tsa *t,
			const unsigned char sha256[32], hx_err *err)
{
	TS_REQ *q = NULL;
	TS_RESP *r = NULL;
	BIO *b = NULL;
	unsigned char *buf = NULL;
	int rc;
	*token_der = NULL;
	*len = 0;
	if (!(q = digest_request(sha256)) || !(b = BIO_new(BIO_s_mem())) || i2d_TS_REQ_bio(b, q) != 1) {
		rc = ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳请求生成失败");
		goto done;
	}
	if ((rc = create_response(&r, t, b, err)))
		goto done;
	if (resp_status(r) != TS_STATUS_GRANTED) {
		rc = hx_err_set(err, HX_EINTERNAL, "tsa_failed", "", "时间戳服务拒绝了平台的请求：%s",
				resp_text(r));
		goto done;
	}
	if (!self_check(r, q, t)) {
		rc = ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳自检失败");
		goto done;
	}
	PKCS7 *tok = TS_RESP_get_token(r);
	int n = i2d_PKCS7(tok, NULL);
	unsigned char *p;
	if (n <= 0 || !(buf = malloc((size_t)n)) || (p = buf, i2d_PKCS7(tok, &p) != n)) {
		rc = ossl_fail(err, HX_EINTERNAL, "tsa_failed", "时间戳编码失败");
		goto done;
	}
	*token_der = buf;
	*len = (size_t)n;
	buf = NULL;
	rc = 0;
done:
	free(buf);
	BIO_free(b);
	TS_REQ_free(q);
	TS_RESP_free(r);
	return rc;
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
		rc = ossl_fail(err, HX_EINVAL, "invalid_timestamp", "时间戳令牌格式无效");
		goto done;
	}
	/* TS_VFY_IMPRINT compares only the bytes; the algorithm must be ours. */
	const X509_ALGOR *alg = TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst));
	if (OBJ_obj2nid(alg->algorithm) != NID_sha256) {
		rc = hx_err_set(err, HX_EINVAL, "invalid_timestamp", "", "时间戳令牌的摘要算法不是 SHA-256");
		goto done;
	}
	if (!(s = X509_STORE_new()) || X509_STORE_load_file(s, ca_pem_path) != 1) {
		rc = ossl_fail(err, HX_EIO, "tsa_ca", "无法读取根证书文件");
		goto done;
	}
	if (!(v = TS_VERIFY_CTX_new()) || !(imprint = OPENSSL_memdup(sha256, 32))) {
		rc = ossl_fail(err, HX_ENOMEM, "nomem", "内存不足");
		goto done;
	}
	TS_VERIFY_CTX_set_flags(v, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_SIGNER | TS_VFY_IMPRINT);
	TS_VERIFY_CTX_set_store(v, s); /* v owns s and imprint now */
	s = NULL;
	TS_VERIFY_CTX_set_imprint(v, imprint, 32);
	imprint = NULL;
	if (TS_RESP_verify_token(v, p7) != 1) {
		rc = ossl_fail(err, HX_EINVAL, "invalid_timestamp", "时间戳令牌验证失败");
		goto done;
	}
	if (!ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst), &tm) ||
	    !strftime(genTime, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		genTime[0] = '\0';
		rc = ossl_fail(err, HX_EINVAL, "invalid_timestamp", "时间戳令牌的时间无效");
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
