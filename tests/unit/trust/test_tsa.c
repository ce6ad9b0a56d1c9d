/* Unit tests of the built-in RFC 3161 time-stamping authority: key files,
 * certificates, stamping and verifying digests, rejections, and agreement
 * with `openssl ts` on both sides of the protocol. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, strptime, timegm */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trust/tsa.h"

struct fixture {
	char dir[PATH_MAX];
	hx_tsa *tsa;
};

static struct fixture fx;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void make_tmpdir(char out[PATH_MAX])
{
	const char *base = getenv("TMPDIR");
	snprintf(out, PATH_MAX, "%s/hx-tsa-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(out));
	/* the paths go into shell commands in single quotes */
	assert_null(strchr(out, '\''));
}

static void path_in(char out[PATH_MAX], const char *dir, const char *name)
{
	assert_true(snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static void read_all(unsigned char **out, size_t *len, const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	*out = buf;
	*len = n;
}

static void write_all(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void sha256(unsigned char out[32], const char *s)
{
	assert_int_equal(EVP_Digest(s, strlen(s), out, NULL, EVP_sha256(), NULL), 1);
}

static X509 *load_cert(const char *dir, const char *name)
{
	char path[PATH_MAX];
	path_in(path, dir, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static int run(const char *cmd)
{
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int group_setup(void **s)
{
	(void)s;
	hx_err e = {0};
	make_tmpdir(fx.dir);
	if (hx_tsa_keys_make(fx.dir, &e) || hx_tsa_open(&fx.tsa, fx.dir, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **s)
{
	(void)s;
	hx_tsa_free(fx.tsa);
	rm_tree(fx.dir);
	return 0;
}

static void test_keys_are_made_once_with_mode_0600(void **s)
{
	(void)s;
	static const char *const files[] = {"ca.key", "ca.crt", "tsa.key", "tsa.crt"};
	char dir[PATH_MAX], keydir[PATH_MAX], path[PATH_MAX];
	unsigned char *first[4], *again;
	size_t first_len[4], again_len;
	hx_err e = {0};
	struct stat st;

	make_tmpdir(dir);
	path_in(keydir, dir, "keys"); /* a directory that does not exist yet */
	assert_int_equal(hx_tsa_keys_make(keydir, &e), 0);
	assert_int_equal(stat(keydir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	for (int i = 0; i < 4; i++) {
		path_in(path, keydir, files[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		read_all(&first[i], &first_len[i], path);
		assert_true(first_len[i] > 0);
	}

	assert_int_equal(hx_tsa_keys_make(keydir, &e), 0);
	for (int i = 0; i < 4; i++) {
		path_in(path, keydir, files[i]);
		read_all(&again, &again_len, path);
		assert_int_equal(again_len, first_len[i]);
		assert_memory_equal(again, first[i], again_len);
		free(again);
		free(first[i]);
	}
	rm_tree(dir);
}

static void test_keys_make_reissues_only_the_missing_tsa_certificate(void **s)
{
	(void)s;
	char dir[PATH_MAX], path[PATH_MAX];
	unsigned char *ca1, *ca2;
	size_t n1, n2;
	hx_err e = {0};
	make_tmpdir(dir);
	assert_int_equal(hx_tsa_keys_make(dir, &e), 0);
	path_in(path, dir, "ca.crt");
	read_all(&ca1, &n1, path);
	path_in(path, dir, "tsa.crt");
	assert_int_equal(unlink(path), 0);

	assert_int_equal(hx_tsa_keys_make(dir, &e), 0);
	path_in(path, dir, "ca.crt");
	read_all(&ca2, &n2, path);
	assert_int_equal(n1, n2);
	assert_memory_equal(ca1, ca2, n1); /* the root CA survives */
	X509 *ca = load_cert(dir, "ca.crt"), *tsa = load_cert(dir, "tsa.crt");
	assert_int_equal(X509_verify(tsa, X509_get0_pubkey(ca)), 1);
	X509_free(ca);
	X509_free(tsa);
	free(ca1);
	free(ca2);
	rm_tree(dir);
}

static void test_tsa_certificate_has_critical_timestamping_eku(void **s)
{
	(void)s;
	X509 *tsa = load_cert(fx.dir, "tsa.crt");
	X509 *ca = load_cert(fx.dir, "ca.crt");

	assert_int_equal(X509_get_extended_key_usage(tsa), XKU_TIMESTAMP);
	int i = X509_get_ext_by_NID(tsa, NID_ext_key_usage, -1);
	assert_true(i >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(tsa, i)), 1);
	assert_true(X509_get_key_usage(tsa) & KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_check_purpose(tsa, X509_PURPOSE_TIMESTAMP_SIGN, 0), 1);
	assert_int_equal(X509_check_ca(tsa), 0);

	char cn[128];
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(tsa), NID_commonName, cn, sizeof cn) > 0);
	assert_string_equal(cn, "Hexie 时间戳服务");
	assert_int_equal(X509_verify(tsa, X509_get0_pubkey(ca)), 1);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(tsa)), 256);

	X509_free(tsa);
	X509_free(ca);
}

static void test_ca_certificate_is_a_self_signed_critical_ca(void **s)
{
	(void)s;
	X509 *ca = load_cert(fx.dir, "ca.crt");
	int crit = 0;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_int_equal(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_true(X509_get_extension_flags(ca) & EXFLAG_SS);
	char cn[128];
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn, sizeof cn) > 0);
	assert_string_equal(cn, "Hexie 平台根证书");
	/* about 20 years */
	int days = 0, secs = 0;
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca), X509_get0_notAfter(ca)), 1);
	assert_in_range(days, 20 * 365, 20 * 366);
	X509_free(ca);
}

static void test_stamped_digest_verifies_with_its_gen_time(void **s)
{
	(void)s;
	unsigned char d[32], *tok = NULL;
	size_t n = 0;
	char ca[PATH_MAX], when[32];
	hx_err e = {0};
	sha256(d, "劳动合同 第 1 号，签名事件");
	path_in(ca, fx.dir, "ca.crt");
	time_t before = time(NULL);

	assert_int_equal(hx_tsa_stamp_digest(&tok, &n, fx.tsa, d, &e), 0);
	assert_non_null(tok);
	assert_int_equal(hx_tsa_verify_token(tok, n, d, ca, when, &e), 0);

	struct tm tm = {0};
	char *end = strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_non_null(end);
	assert_int_equal(*end, '\0');
	time_t at = timegm(&tm);
	assert_true(at >= before - 1 && at <= time(NULL) + 1);
	free(tok);
}

static void test_stamped_digest_fails_for_another_digest(void **s)
{
	(void)s;
	unsigned char d[32], other[32], *tok = NULL;
	size_t n = 0;
	char ca[PATH_MAX], when[32];
	hx_err e = {0};
	sha256(d, "原件");
	sha256(other, "篡改件");
	path_in(ca, fx.dir, "ca.crt");
	assert_int_equal(hx_tsa_stamp_digest(&tok, &n, fx.tsa, d, &e), 0);
	assert_int_equal(hx_tsa_verify_token(tok, n, other, ca, when, &e), HX_EINVAL);
	assert_string_equal(e.key, "invalid_timestamp");
	assert_string_equal(when, "");
	free(tok);
}

static void test_token_fails_under_another_ca(void **s)
{
	(void)s;
	unsigned char d[32], *tok = NULL;
	size_t n = 0;
	char other[PATH_MAX], ca[PATH_MAX], when[32];
	hx_err e = {0};
	make_tmpdir(other);
	assert_int_equal(hx_tsa_keys_make(other, &e), 0);
	path_in(ca, other, "ca.crt");
	sha256(d, "x");
	assert_int_equal(hx_tsa_stamp_digest(&tok, &n, fx.tsa, d, &e), 0);
	assert_int_equal(hx_tsa_verify_token(tok, n, d, ca, when, &e), HX_EINVAL);
	free(tok);
	rm_tree(other);
}

static void copy_file(const char *from, const char *to)
{
	char tmp[PATH_MAX + 8], buf[8192];
	snprintf(tmp, sizeof tmp, "%s.tmp", to);
	FILE *in = fopen(from, "rb"), *out = fopen(tmp, "wb");
	assert_non_null(in);
	assert_non_null(out);
	size_t k;
	while ((k = fread(buf, 1, sizeof buf, in)) > 0)
		assert_int_equal(fwrite(buf, 1, k, out), k);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(rename(tmp, to), 0); /* a new file where the old one was */
}

/* The stamp checked against the root as it is made gives the time the
 * token verifies with; under another root it gives no token. The root
 * file is read again when it changes. */
static void test_stamp_verified_against_the_root_as_made(void **s)
{
	(void)s;
	unsigned char d[32], *tok = NULL;
	size_t n = 0;
	char ca[PATH_MAX], other[PATH_MAX], oca[PATH_MAX], swap[PATH_MAX], when[32], again[32];
	hx_err e = {0};
	sha256(d, "劳动合同 第 2 号，签名事件");
	path_in(ca, fx.dir, "ca.crt");
	assert_int_equal(hx_tsa_stamp_digest_verified(&tok, &n, when, fx.tsa, d, ca, &e), 0);
	assert_non_null(tok);
	assert_int_equal(strlen(when), 20);
	assert_int_equal(hx_tsa_verify_token(tok, n, d, ca, again, &e), 0);
	assert_string_equal(when, again);

	make_tmpdir(other);
	assert_int_equal(hx_tsa_keys_make(other, &e), 0);
	path_in(oca, other, "ca.crt");
	unsigned char *none = NULL;
	size_t nn = 0;
	assert_int_equal(hx_tsa_stamp_digest_verified(&none, &nn, when, fx.tsa, d, oca, &e), HX_EINTERNAL);
	assert_null(none);
	assert_string_equal(when, "");

	/* the same path, first our root, then replaced by the other one */
	path_in(swap, other, "root.crt");
	copy_file(ca, swap);
	assert_int_equal(hx_tsa_verify_token(tok, n, d, swap, again, &e), 0);
	copy_file(oca, swap);
	assert_int_equal(hx_tsa_verify_token(tok, n, d, swap, again, &e), HX_EINVAL);
	free(tok);
	rm_tree(other);
}

static void test_truncated_token_is_invalid(void **s)
{
	(void)s;
	unsigned char d[32], *tok = NULL;
	size_t n = 0;
	char ca[PATH_MAX], when[32];
	hx_err e = {0};
	sha256(d, "y");
	path_in(ca, fx.dir, "ca.crt");
	assert_int_equal(hx_tsa_stamp_digest(&tok, &n, fx.tsa, d, &e), 0);
	assert_int_equal(hx_tsa_verify_token(tok, n - 1, d, ca, when, &e), HX_EINVAL);
	tok[n / 2] ^= 0x01;
	assert_int_equal(hx_tsa_verify_token(tok, n, d, ca, when, &e), HX_EINVAL);
	free(tok);
}

static void test_openssl_query_answered_passes_openssl_verify(void **s)
{
	(void)s;
	if (run("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	char data[PATH_MAX], req[PATH_MAX], resp[PATH_MAX], other[PATH_MAX], cmd[8 * PATH_MAX];
	unsigned char *q = NULL, *r = NULL;
	size_t qn = 0, rn = 0;
	hx_err e = {0};
	path_in(data, fx.dir, "contract.txt");
	path_in(other, fx.dir, "forged.txt");
	path_in(req, fx.dir, "req.tsq");
	path_in(resp, fx.dir, "resp.tsr");
	write_all(data, "甲方：某某公司\n乙方：张三\n", strlen("甲方：某某公司\n乙方：张三\n"));
	write_all(other, "甲方：某某公司\n乙方：李四\n", strlen("甲方：某某公司\n乙方：李四\n"));

	snprintf(cmd, sizeof cmd, "openssl ts -query -data '%s' -sha256 -cert -out '%s'", data, req);
	assert_int_equal(run(cmd), 0);
	read_all(&q, &qn, req);
	assert_int_equal(hx_tsa_stamp(&r, &rn, fx.tsa, q, qn, &e), 0);
	write_all(resp, r, rn);

	snprintf(cmd, sizeof cmd,
		 "openssl ts -verify -data '%s' -in '%s' -CAfile '%s/ca.crt' -untrusted '%s/tsa.crt' >/dev/null",
		 data, resp, fx.dir, fx.dir);
	assert_int_equal(run(cmd), 0);
	/* the same check against the request itself (nonce included) */
	snprintf(cmd, sizeof cmd,
		 "openssl ts -verify -queryfile '%s' -in '%s' -CAfile '%s/ca.crt' >/dev/null", req, resp,
		 fx.dir);
	assert_int_equal(run(cmd), 0);
	/* and the check means something: other data fails */
	snprintf(cmd, sizeof cmd,
		 "openssl ts -verify -data '%s' -in '%s' -CAfile '%s/ca.crt' -untrusted '%s/tsa.crt' >/dev/null 2>&1",
		 other, resp, fx.dir, fx.dir);
	assert_int_not_equal(run(cmd), 0);
	free(q);
	free(r);
}

static TS_RESP *stamp_request(TS_REQ *req)
{
	unsigned char *der = NULL, *r = NULL;
	int n = i2d_TS_REQ(req, &der);
	size_t rn = 0;
	hx_err e = {0};
	assert_true(n > 0);
	assert_int_equal(hx_tsa_stamp(&r, &rn, fx.tsa, der, (size_t)n, &e), 0);
	const unsigned char *p = r;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)rn);
	assert_non_null(resp);
	OPENSSL_free(der);
	free(r);
	return resp;
}

static TS_REQ *make_request(const EVP_MD *md, int cert_req, long nonce)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	assert_int_equal(EVP_Digest("z", 1, d, &dn, md, NULL), 1);
	TS_REQ *q = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	assert_true(q && mi && alg && n);
	assert_int_equal(X509_ALGOR_set0(alg, OBJ_nid2obj(EVP_MD_get_type(md)), V_ASN1_NULL, NULL), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_algo(mi, alg), 1);
	assert_int_equal(TS_MSG_IMPRINT_set_msg(mi, d, (int)dn), 1);
	assert_int_equal(TS_REQ_set_version(q, 1), 1);
	assert_int_equal(TS_REQ_set_msg_imprint(q, mi), 1);
	assert_int_equal(TS_REQ_set_cert_req(q, cert_req), 1);
	assert_int_equal(ASN1_INTEGER_set(n, nonce), 1);
	assert_int_equal(TS_REQ_set_nonce(q, n), 1);
	TS_MSG_IMPRINT_free(mi);
	X509_ALGOR_free(alg);
	ASN1_INTEGER_free(n);
	return q;
}

static long status_of(TS_RESP *r)
{
	return ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r)));
}

static int failure_bit(TS_RESP *r, int bit)
{
	const ASN1_BIT_STRING *fi = TS_STATUS_INFO_get0_failure_info(TS_RESP_get_status_info(r));
	return fi && ASN1_BIT_STRING_get_bit(fi, bit);
}

static void test_garbage_request_gives_rejection_response(void **s)
{
	(void)s;
	static const unsigned char garbage[] = "this is not a TimeStampReq";
	unsigned char *r = NULL;
	size_t rn = 0;
	hx_err e = {0};
	assert_int_equal(hx_tsa_stamp(&r, &rn, fx.tsa, garbage, sizeof garbage, &e), 0);
	const unsigned char *p = r;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)rn);
	assert_non_null(resp);
	assert_int_equal(status_of(resp), TS_STATUS_REJECTION);
	assert_true(failure_bit(resp, TS_INFO_BAD_DATA_FORMAT));
	assert_null(TS_RESP_get_token(resp)); /* no time in a failure */
	TS_RESP_free(resp);
	free(r);

	/* an empty body too */
	assert_int_equal(hx_tsa_stamp(&r, &rn, fx.tsa, NULL, 0, &e), 0);
	p = r;
	resp = d2i_TS_RESP(NULL, &p, (long)rn);
	assert_non_null(resp);
	assert_int_equal(status_of(resp), TS_STATUS_REJECTION);
	TS_RESP_free(resp);
	free(r);
}

static void test_sha1_request_is_rejected_as_bad_alg(void **s)
{
	(void)s;
	TS_REQ *q = make_request(EVP_sha1(), 1, 7);
	TS_RESP *r = stamp_request(q);
	assert_int_equal(status_of(r), TS_STATUS_REJECTION);
	assert_true(failure_bit(r, TS_INFO_BAD_ALG));
	assert_null(TS_RESP_get_token(r));
	TS_RESP_free(r);
	TS_REQ_free(q);
}

static void test_unknown_policy_is_rejected(void **s)
{
	(void)s;
	TS_REQ *q = make_request(EVP_sha256(), 1, 7);
	ASN1_OBJECT *pol = OBJ_txt2obj("1.2.3.4.5", 1);
	assert_int_equal(TS_REQ_set_policy_id(q, pol), 1);
	TS_RESP *r = stamp_request(q);
	assert_int_equal(status_of(r), TS_STATUS_REJECTION);
	assert_true(failure_bit(r, TS_INFO_UNACCEPTED_POLICY));
	TS_RESP_free(r);
	TS_REQ_free(q);
	ASN1_OBJECT_free(pol);
}

static void test_sha512_request_is_granted_with_policy_nonce_and_accuracy(void **s)
{
	(void)s;
	TS_REQ *q = make_request(EVP_sha512(), 1, 123456789);
	TS_RESP *r = stamp_request(q);
	assert_int_equal(status_of(r), TS_STATUS_GRANTED);
	TS_TST_INFO *tst = TS_RESP_get_tst_info(r);
	assert_non_null(tst);
	assert_int_equal(ASN1_INTEGER_get(TS_TST_INFO_get_nonce(tst)), 123456789);
	char pol[128];
	assert_true(OBJ_obj2txt(pol, sizeof pol, TS_TST_INFO_get_policy_id(tst), 1) > 0);
	assert_string_equal(pol, HX_TSA_POLICY_OID);
	TS_ACCURACY *acc = TS_TST_INFO_get_accuracy(tst);
	assert_non_null(acc);
	assert_int_equal(ASN1_INTEGER_get(TS_ACCURACY_get_seconds(acc)), 1);
	/* the serial is a large random number, not a counter */
	assert_true(ASN1_STRING_length(TS_TST_INFO_get_serial(tst)) >= 12);
	PKCS7 *tok = TS_RESP_get_token(r);
	assert_true(sk_X509_num(tok->d.sign->cert) >= 1); /* certReq honoured */
	TS_RESP_free(r);
	TS_REQ_free(q);
}

static void test_request_without_cert_req_gets_token_without_certificate(void **s)
{
	(void)s;
	TS_REQ *q = make_request(EVP_sha256(), 0, 42);
	TS_RESP *r = stamp_request(q);
	assert_int_equal(status_of(r), TS_STATUS_GRANTED);
	PKCS7 *tok = TS_RESP_get_token(r);
	assert_non_null(tok);
	assert_true(sk_X509_num(tok->d.sign->cert) <= 0); /* absent, not empty */
	assert_int_equal(ASN1_INTEGER_get(TS_TST_INFO_get_nonce(TS_RESP_get_tst_info(r))), 42);
	TS_RESP_free(r);
	TS_REQ_free(q);
}

/* A TSA whose clock is before its certificate (a reset clock) must fail,
 * never answer with the time it has. */
static void test_clock_before_certificate_fails_without_a_token(void **s)
{
	(void)s;
	char dir[PATH_MAX], path[PATH_MAX];
	make_tmpdir(dir);
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	assert_true(k && x);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
				   (const unsigned char *)"future", -1, -1, 0);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 86400));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 2 * 86400));
	assert_int_equal(X509_set_pubkey(x, k), 1);
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, "critical,timeStamping");
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	path_in(path, dir, "tsa.key");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	path_in(path, dir, "tsa.crt");
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);

	hx_tsa *t = NULL;
	hx_err e = {0};
	unsigned char d[32], *out = NULL;
	size_t n = 0;
	assert_int_equal(hx_tsa_open(&t, dir, &e), 0);
	sha256(d, "z");
	assert_int_equal(hx_tsa_stamp_digest(&out, &n, t, d, &e), HX_EINTERNAL);
	assert_null(out);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "Time is not available"));

	TS_REQ *q = make_request(EVP_sha256(), 1, 1);
	unsigned char *der = NULL;
	int dn = i2d_TS_REQ(q, &der);
	assert_int_equal(hx_tsa_stamp(&out, &n, t, der, (size_t)dn, &e), HX_EINTERNAL);
	assert_null(out);

	OPENSSL_free(der);
	TS_REQ_free(q);
	hx_tsa_free(t);
	X509_free(x);
	EVP_PKEY_free(k);
	rm_tree(dir);
}

static void test_oversized_request_is_too_big(void **s)
{
	(void)s;
	unsigned char *big = calloc(1, HX_TSA_REQ_MAX + 1), *r = NULL;
	size_t rn = 0;
	hx_err e = {0};
	assert_non_null(big);
	assert_int_equal(hx_tsa_stamp(&r, &rn, fx.tsa, big, HX_TSA_REQ_MAX + 1, &e), HX_ETOOBIG);
	assert_null(r);
	free(big);
}

static void test_open_fails_without_keys_and_free_accepts_null(void **s)
{
	(void)s;
	char dir[PATH_MAX];
	hx_tsa *t = (hx_tsa *)&t;
	hx_err e = {0};
	make_tmpdir(dir);
	assert_int_equal(hx_tsa_open(&t, dir, &e), HX_EIO);
	assert_null(t);
	hx_tsa_free(NULL);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_are_made_once_with_mode_0600),
		cmocka_unit_test(test_keys_make_reissues_only_the_missing_tsa_certificate),
		cmocka_unit_test(test_tsa_certificate_has_critical_timestamping_eku),
		cmocka_unit_test(test_ca_certificate_is_a_self_signed_critical_ca),
		cmocka_unit_test(test_stamped_digest_verifies_with_its_gen_time),
		cmocka_unit_test(test_stamped_digest_fails_for_another_digest),
		cmocka_unit_test(test_token_fails_under_another_ca),
		cmocka_unit_test(test_stamp_verified_against_the_root_as_made),
		cmocka_unit_test(test_truncated_token_is_invalid),
		cmocka_unit_test(test_openssl_query_answered_passes_openssl_verify),
		cmocka_unit_test(test_garbage_request_gives_rejection_response),
		cmocka_unit_test(test_sha1_request_is_rejected_as_bad_alg),
		cmocka_unit_test(test_unknown_policy_is_rejected),
		cmocka_unit_test(test_sha512_request_is_granted_with_policy_nonce_and_accuracy),
		cmocka_unit_test(test_request_without_cert_req_gets_token_without_certificate),
		cmocka_unit_test(test_clock_before_certificate_fails_without_a_token),
		cmocka_unit_test(test_oversized_request_is_too_big),
		cmocka_unit_test(test_open_fails_without_keys_and_free_accepts_null),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
