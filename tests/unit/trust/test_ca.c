/* Unit tests of the platform CA (src/trust/ca.c): the issuing CA made once
 * under the root, certificates for WebCrypto-style P-256 keys that
 * `openssl verify` and NSS (`vfychain`, as pdfsig) accept, the checks of a presented certificate, the CRL
 * (checked with `openssl crl`), ECDSA verification with raw and DER
 * signatures, and enterprise seal keys sealed with AES-256-GCM. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trust/ca.h"

#define DAY 86400LL

static struct {
	char dir[PATH_MAX];
	hx_ca *ca;
} fx;

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
	snprintf(out, PATH_MAX, "%s/hx-ca-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(out));
	assert_null(strchr(out, '\'')); /* paths go into shell commands in quotes */
}

static void path_in(char out[PATH_MAX], const char *dir, const char *name)
{
	assert_true(snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static void read_all(unsigned char **out, size_t *len, const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	unsigned char *buf = malloc(1 << 16);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	*out = buf;
}

static void write_all(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static int run(const char *cmd)
{
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A key the way a browser makes one, and its SPKI ("spki" export). */
static EVP_PKEY *new_key(const char *curve, unsigned char **spki, size_t *n)
{
	EVP_PKEY *k = strcmp(curve, "RSA") == 0 ? EVP_RSA_gen(2048) : EVP_EC_gen(curve);
	assert_non_null(k);
	unsigned char *p = NULL;
	int len = i2d_PUBKEY(k, &p);
	assert_true(len > 0);
	*spki = p;
	*n = (size_t)len;
	return k;
}

static void write_cert_pem(const char *path, const unsigned char *der, size_t n)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)n);
	assert_non_null(x);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
}

static void issue(unsigned char **der, size_t *n, char serial[33], const hx_ca *ca, long long nb,
		  long long na)
{
	unsigned char *spki;
	size_t sn;
	hx_err e = {0};
	EVP_PKEY *k = new_key("P-256", &spki, &sn);
	if (hx_ca_issue(der, n, serial, ca, spki, sn, "张三", "某某科技有限公司", "u-0001", nb, na, &e))
		fail_msg("issue: %s %s", e.key, e.msg);
	OPENSSL_free(spki);
	EVP_PKEY_free(k);
}

static int group_setup(void **s)
{
	(void)s;
	hx_err e = {0};
	make_tmpdir(fx.dir);
	if (hx_ca_keys_make(fx.dir, &e) || hx_ca_open(&fx.ca, fx.dir, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **s)
{
	(void)s;
	hx_ca_free(fx.ca);
	rm_tree(fx.dir);
	return 0;
}

static void test_keys_are_made_once_with_mode_0600(void **s)
{
	(void)s;
	static const char *const files[] = {"ca.key", "ca.crt", "tsa.key", "tsa.crt", "issuing.key", "issuing.crt"};
	char dir[PATH_MAX], path[PATH_MAX];
	unsigned char *first[6], *again;
	size_t first_len[6], again_len;
	hx_err e = {0};
	struct stat st;
	make_tmpdir(dir);
	assert_int_equal(hx_ca_keys_make(dir, &e), 0);
	for (int i = 0; i < 6; i++) {
		path_in(path, dir, files[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		read_all(&first[i], &first_len[i], path);
		assert_true(first_len[i] > 0);
	}
	assert_int_equal(hx_ca_keys_make(dir, &e), 0);
	for (int i = 0; i < 6; i++) {
		path_in(path, dir, files[i]);
		read_all(&again, &again_len, path);
		assert_int_equal(again_len, first_len[i]);
		assert_memory_equal(again, first[i], again_len);
		free(again);
		free(first[i]);
	}
	rm_tree(dir);
}

static void test_issuing_ca_is_a_path_length_zero_ca_under_the_root(void **s)
{
	(void)s;
	size_t n, rn;
	const unsigned char *der = hx_ca_issuing_der(fx.ca, &n), *root = hx_ca_root_der(fx.ca, &rn);
	const unsigned char *p = der, *rp = root;
	X509 *x = d2i_X509(NULL, &p, (long)n), *r = d2i_X509(NULL, &rp, (long)rn);
	assert_true(x && r);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(r)), 1);
	assert_int_equal(X509_check_ca(x), 1);
	assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	assert_int_equal(X509_get_pathlen(x), 0);
	char cn[128];
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) > 0);
	assert_string_equal(cn, "Hexie 电子合同签名证书 CA");
	assert_non_null(strstr(hx_ca_root_path(fx.ca), "/ca.crt"));
	X509_free(x);
	X509_free(r);
}

static void test_issued_certificate_passes_openssl_verify(void **s)
{
	(void)s;
	if (run("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	unsigned char *der = NULL;
	size_t n = 0;
	char serial[33], leaf[PATH_MAX], issuing[PATH_MAX], cmd[4 * PATH_MAX];
	long long now = (long long)time(NULL);
	issue(&der, &n, serial, fx.ca, now - 60, now + 365 * DAY);
	assert_int_equal(strlen(serial), 32);
	assert_int_equal(strspn(serial, "0123456789abcdef"), 32);

	path_in(leaf, fx.dir, "leaf.pem");
	path_in(issuing, fx.dir, "issuing.crt");
	write_cert_pem(leaf, der, n);
	snprintf(cmd, sizeof cmd, "openssl verify -x509_strict -CAfile '%s' -untrusted '%s' '%s' >/dev/null",
		 hx_ca_root_path(fx.ca), issuing, leaf);
	assert_int_equal(run(cmd), 0);
	/* without the issuing CA the chain is incomplete: the check means something */
	snprintf(cmd, sizeof cmd, "openssl verify -CAfile '%s' '%s' >/dev/null 2>&1", hx_ca_root_path(fx.ca),
		 leaf);
	assert_int_not_equal(run(cmd), 0);

	/* what NSS needs for a PDF signer: no EKU, critical keyUsage
	 * digitalSignature + nonRepudiation, CA:FALSE, SKI/AKI, UTF8String CN */
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)n);
	assert_non_null(x);
	assert_int_equal(X509_get_ext_by_NID(x, NID_ext_key_usage, -1), -1);
	int i = X509_get_ext_by_NID(x, NID_key_usage, -1);
	assert_true(i >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), 1);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION);
	assert_int_equal(X509_check_ca(x), 0);
	assert_non_null(X509_get0_subject_key_id(x));
	assert_non_null(X509_get0_authority_key_id(x));
	X509_NAME *name = X509_get_subject_name(x);
	const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(
		X509_NAME_get_entry(name, X509_NAME_get_index_by_NID(name, NID_commonName, -1)));
	assert_int_equal(ASN1_STRING_type(cn), V_ASN1_UTF8STRING);
	assert_string_equal((const char *)ASN1_STRING_get0_data(cn), "张三");
	char buf[64];
	assert_true(X509_NAME_get_text_by_NID(name, NID_serialNumber, buf, sizeof buf) > 0);
	assert_string_equal(buf, "u-0001");
	X509_free(x);

	char serial2[33], cn2[256];
	long long nb = 0, na = 0;
	hx_err e = {0};
	assert_int_equal(hx_cert_info(der, n, serial2, cn2, &nb, &na, &e), 0);
	assert_string_equal(serial2, serial);
	assert_string_equal(cn2, "张三");
	assert_int_equal(nb, now - 60);
	assert_int_equal(na, now + 365 * DAY);
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now, &e), 0);
	free(der);
}

/* pdfsig (poppler over NSS) checks a signer's chain for the "email signer"
 * usage: NSS's own chain builder must accept ours. */
static void test_issued_certificate_is_an_nss_email_signer(void **s)
{
	(void)s;
	if (run("command -v vfychain >/dev/null 2>&1") != 0)
		skip();
	unsigned char *der = NULL;
	const unsigned char *ca;
	size_t n = 0, cn;
	char serial[33], leaf[PATH_MAX], issuing[PATH_MAX], root[PATH_MAX], cmd[4 * PATH_MAX];
	long long now = (long long)time(NULL);
	issue(&der, &n, serial, fx.ca, now - 60, now + DAY);
	path_in(leaf, fx.dir, "leaf.der");
	path_in(issuing, fx.dir, "issuing.der");
	path_in(root, fx.dir, "root.der");
	write_all(leaf, der, n);
	ca = hx_ca_issuing_der(fx.ca, &cn);
	write_all(issuing, ca, cn);
	ca = hx_ca_root_der(fx.ca, &cn);
	write_all(root, ca, cn);
	snprintf(cmd, sizeof cmd,
		 "vfychain -pp -u 4 -r '%s' -r '%s' -t '%s' 2>&1 | grep -q 'Chain is good'", leaf, issuing, root);
	assert_int_equal(run(cmd), 0);
	free(der);
}

static void test_non_p256_keys_are_refused_as_bad_key(void **s)
{
	(void)s;
	static const char *const curves[] = {"RSA", "P-384"};
	long long now = (long long)time(NULL);
	for (size_t i = 0; i < 2; i++) {
		unsigned char *spki, *der = (unsigned char *)"x";
		size_t sn, n = 7;
		char serial[33] = "x";
		hx_err e = {0};
		EVP_PKEY *k = new_key(curves[i], &spki, &sn);
		assert_int_equal(hx_ca_issue(&der, &n, serial, fx.ca, spki, sn, "李四", NULL, "u-2", now,
					     now + DAY, &e),
				 HX_EINVAL);
		assert_string_equal(e.key, "bad_key");
		assert_null(der);
		assert_int_equal(n, 0);
		/* and the same for signature checks */
		assert_int_equal(hx_ec_verify(spki, sn, (const unsigned char *)"d", 1,
					      (const unsigned char *)"s", 1, &e),
				 HX_EINVAL);
		assert_string_equal(e.key, "bad_key");
		OPENSSL_free(spki);
		EVP_PKEY_free(k);
	}
	/* garbage and a truncated SPKI too */
	unsigned char *spki, *der = NULL;
	size_t sn, n;
	char serial[33];
	hx_err e = {0};
	EVP_PKEY *k = new_key("P-256", &spki, &sn);
	assert_int_equal(hx_ca_issue(&der, &n, serial, fx.ca, spki, sn - 1, "李四", NULL, "u-2", now,
				     now + DAY, &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "bad_key");
	OPENSSL_free(spki);
	EVP_PKEY_free(k);
}

static void test_bad_names_and_validity_are_refused(void **s)
{
	(void)s;
	unsigned char *spki, *der = NULL;
	size_t sn, n;
	char serial[33];
	hx_err e = {0};
	long long now = (long long)time(NULL);
	EVP_PKEY *k = new_key("P-256", &spki, &sn);
	assert_int_equal(hx_ca_issue(&der, &n, serial, fx.ca, spki, sn, "", NULL, "u-1", now, now + DAY, &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "invalid_cn");
	assert_int_equal(hx_ca_issue(&der, &n, serial, fx.ca, spki, sn, "a\xff", NULL, "u-1", now, now + DAY, &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "invalid_cn");
	assert_int_equal(hx_ca_issue(&der, &n, serial, fx.ca, spki, sn, "王五", NULL, "身份证", now, now + DAY, &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "invalid_subject_id");
	assert_int_equal(hx_ca_issue(&der, &n, serial, fx.ca, spki, sn, "王五", NULL, "u-1", now, now, &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "invalid_validity");
	OPENSSL_free(spki);
	EVP_PKEY_free(k);
}

static void test_check_cert_refuses_expired_foreign_and_garbage(void **s)
{
	(void)s;
	unsigned char *der = NULL;
	size_t n = 0;
	char serial[33];
	hx_err e = {0};
	long long now = (long long)time(NULL);

	issue(&der, &n, serial, fx.ca, now - 30 * DAY, now - DAY);
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now, &e), HX_EINVAL);
	assert_string_equal(e.key, "cert_expired");
	free(der);
	/* not yet valid, then valid at a time inside its validity */
	issue(&der, &n, serial, fx.ca, now + DAY, now + 3 * DAY);
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now, &e), HX_EINVAL);
	assert_string_equal(e.key, "cert_expired");
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now + 2 * DAY, &e), 0);
	free(der);

	/* a certificate from another CA */
	char other[PATH_MAX];
	hx_ca *oca = NULL;
	make_tmpdir(other);
	assert_int_equal(hx_ca_keys_make(other, &e), 0);
	assert_int_equal(hx_ca_open(&oca, other, &e), 0);
	issue(&der, &n, serial, oca, now - 60, now + DAY);
	assert_int_equal(hx_ca_check_cert(oca, der, n, now, &e), 0);
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now, &e), HX_EINVAL);
	assert_string_equal(e.key, "cert_untrusted");
	free(der);
	hx_ca_free(oca);
	rm_tree(other);

	/* our own TSA certificate chains to the root but is not a signer's */
	char path[PATH_MAX];
	path_in(path, fx.dir, "tsa.crt");
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	X509 *tsa = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(tsa);
	unsigned char *tder = NULL;
	int tn = i2d_X509(tsa, &tder);
	assert_true(tn > 0);
	assert_int_equal(hx_ca_check_cert(fx.ca, tder, (size_t)tn, now, &e), HX_EINVAL);
	assert_string_equal(e.key, "cert_untrusted");
	OPENSSL_free(tder);
	X509_free(tsa);

	/* garbage, and a truncated certificate */
	assert_int_equal(hx_ca_check_cert(fx.ca, (const unsigned char *)"not a cert", 10, now, &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_cert");
	issue(&der, &n, serial, fx.ca, now - 60, now + DAY);
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n - 1, now, &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_cert");
	assert_int_equal(hx_cert_info(der, n - 1, serial, NULL, NULL, NULL, &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_cert");
	/* a flipped bit in the signature */
	der[n - 3] ^= 0x01;
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now, &e), HX_EINVAL);
	assert_string_equal(e.key, "cert_untrusted");
	free(der);
}

/* A verified chain is remembered (the signer's certificate comes back at
 * completion), but only within the window in which it is valid: the time
 * is checked on every call, and other bytes are verified afresh. */
static void test_check_cert_remembers_the_chain_not_the_time(void **s)
{
	(void)s;
	unsigned char *der = NULL;
	size_t n = 0;
	char serial[33];
	hx_err e = {0};
	long long now = (long long)time(NULL);
	issue(&der, &n, serial, fx.ca, now - 60, now + DAY);
	for (int i = 0; i < 3; i++)
		assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now, &e), 0);
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now + 2 * DAY, &e), HX_EINVAL);
	assert_string_equal(e.key, "cert_expired");
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now - 3600, &e), HX_EINVAL);
	assert_string_equal(e.key, "cert_expired");
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now, &e), 0);
	der[n - 3] ^= 0x01; /* the remembered certificate with a flipped bit */
	assert_int_equal(hx_ca_check_cert(fx.ca, der, n, now, &e), HX_EINVAL);
	assert_string_equal(e.key, "cert_untrusted");
	free(der);
}

static void test_crl_verifies_with_openssl_and_lists_the_serials(void **s)
{
	(void)s;
	if (run("command -v openssl >/dev/null 2>&1") != 0)
		skip();
	unsigned char *d1 = NULL, *d2 = NULL, *crl = NULL;
	size_t n1, n2, cn;
	char s1[33], s2[33], path[PATH_MAX], chain[PATH_MAX], out[PATH_MAX], cmd[4 * PATH_MAX];
	hx_err e = {0};
	long long now = (long long)time(NULL);
	issue(&d1, &n1, s1, fx.ca, now - 60, now + DAY);
	issue(&d2, &n2, s2, fx.ca, now - 60, now + DAY);
	const char *serials[] = {s1, s2};
	const long long at[] = {now - 100, now - 50};
	assert_int_equal(hx_ca_crl(&crl, &cn, fx.ca, serials, at, 2, now, &e), 0);

	path_in(path, fx.dir, "list.crl");
	path_in(chain, fx.dir, "chain.pem");
	path_in(out, fx.dir, "crl.txt");
	write_all(path, crl, cn);
	/* the CRL is signed by the issuing CA */
	snprintf(cmd, sizeof cmd, "cat '%s/issuing.crt' '%s/ca.crt' > '%s'", fx.dir, fx.dir, chain);
	assert_int_equal(run(cmd), 0);
	snprintf(cmd, sizeof cmd, "openssl crl -inform DER -in '%s' -CAfile '%s' -noout -text > '%s' 2>&1",
		 path, chain, out);
	assert_int_equal(run(cmd), 0);
	unsigned char *txt;
	size_t tn;
	read_all(&txt, &tn, out);
	txt[tn < 65535 ? tn : 65535] = '\0';
	assert_non_null(strstr((char *)txt, "verify OK"));
	char up[33];
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < 33; j++)
			up[j] = (char)(serials[i][j] >= 'a' && serials[i][j] <= 'f' ? serials[i][j] - 32
										      : serials[i][j]);
		if (!strstr((char *)txt, up))
			fail_msg("serial %s not in the CRL:\n%s", up, txt);
	}
	assert_non_null(strstr((char *)txt, "X509v3 CRL Number"));
	free(txt);
	/* under another root it does not verify */
	snprintf(cmd, sizeof cmd, "openssl crl -inform DER -in '%s' -CAfile '%s/ca.crt' -noout 2>&1 | grep -q 'verify OK'",
		 path, fx.dir);
	assert_int_not_equal(run(cmd), 0);

	/* the library sees the same list */
	const unsigned char *p = crl;
	X509_CRL *x = d2i_X509_CRL(NULL, &p, (long)cn);
	assert_non_null(x);
	assert_int_equal(X509_CRL_get_version(x), X509_CRL_VERSION_2);
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(x)), 2);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(x), (time_t)(now + DAY)), 0);
	X509_CRL_free(x);

	/* a bad serial is refused */
	const char *bad[] = {"xyz"};
	free(crl);
	crl = NULL;
	assert_int_equal(hx_ca_crl(&crl, &cn, fx.ca, bad, at, 1, now, &e), HX_EINVAL);
	assert_null(crl);
	/* an empty CRL is fine */
	assert_int_equal(hx_ca_crl(&crl, &cn, fx.ca, NULL, NULL, 0, now, &e), 0);
	free(crl);
	free(d1);
	free(d2);
}

static void test_ec_verify_accepts_raw_and_der_and_refuses_other_data(void **s)
{
	(void)s;
	unsigned char *spki, der[128], raw[64];
	size_t sn, dn = sizeof der;
	hx_err e = {0};
	static const char data[] = "我同意签署本劳动合同";
	EVP_PKEY *k = new_key("P-256", &spki, &sn);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k), 1);
	assert_int_equal(EVP_DigestSign(m, der, &dn, (const unsigned char *)data, strlen(data)), 1);
	EVP_MD_CTX_free(m);

	/* the WebCrypto form: r || s, 32 bytes each */
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dn);
	assert_non_null(sig);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32), 32);
	ECDSA_SIG_free(sig);

	assert_int_equal(hx_ec_verify(spki, sn, (const unsigned char *)data, strlen(data), raw, 64, &e), 0);
	assert_int_equal(hx_ec_verify(spki, sn, (const unsigned char *)data, strlen(data), der, dn, &e), 0);
	assert_int_equal(hx_ec_verify(spki, sn, (const unsigned char *)data, strlen(data) - 1, raw, 64, &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "bad_signature");
	assert_int_equal(hx_ec_verify(spki, sn, (const unsigned char *)data, strlen(data) - 1, der, dn, &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "bad_signature");
	raw[10] ^= 1;
	assert_int_equal(hx_ec_verify(spki, sn, (const unsigned char *)data, strlen(data), raw, 64, &e), HX_EINVAL);
	assert_int_equal(hx_ec_verify(spki, sn, (const unsigned char *)data, strlen(data), raw, 0, &e), HX_EINVAL);

	/* another key's signature */
	unsigned char *spki2;
	size_t sn2;
	EVP_PKEY *k2 = new_key("P-256", &spki2, &sn2);
	assert_int_equal(hx_ec_verify(spki2, sn2, (const unsigned char *)data, strlen(data), der, dn, &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "bad_signature");
	OPENSSL_free(spki2);
	EVP_PKEY_free(k2);
	OPENSSL_free(spki);
	EVP_PKEY_free(k);
}

static void test_seal_key_signs_and_a_wrong_key_cannot_open_it(void **s)
{
	(void)s;
	uint8_t key[32], wrong[32];
	char *sealed = NULL;
	unsigned char *spki = NULL, *sig = NULL;
	size_t sn = 0, sig_len = 0;
	hx_err e = {0};
	static const char data[] = "企业电子印章：某某科技有限公司";
	memset(key, 0x5a, sizeof key);
	memset(wrong, 0x5b, sizeof wrong);
	assert_int_equal(hx_seal_key_new(&sealed, &spki, &sn, key, &e), 0);
	assert_non_null(sealed);
	assert_null(strstr(sealed, "PRIVATE KEY")); /* sealed, not in clear */

	assert_int_equal(hx_seal_key_sign(&sig, &sig_len, sealed, key, (const unsigned char *)data,
					  strlen(data), &e),
			 0);
	assert_int_equal(hx_ec_verify(spki, sn, (const unsigned char *)data, strlen(data), sig, sig_len, &e), 0);
	/* the public key can be certified */
	unsigned char *der = NULL;
	size_t n;
	char serial[33];
	long long now = (long long)time(NULL);
	assert_int_equal(hx_ca_issue(&der, &n, serial, fx.ca, spki, sn, "某某科技有限公司", "某某科技有限公司",
				     "e-91330000", now, now + DAY, &e),
			 0);
	free(der);
	free(sig);
	sig = NULL;

	assert_int_equal(hx_seal_key_sign(&sig, &sig_len, sealed, wrong, (const unsigned char *)data,
					  strlen(data), &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "bad_seal_key");
	assert_null(sig);
	assert_int_equal(hx_seal_key_sign(&sig, &sig_len, "garbage", key, (const unsigned char *)data,
					  strlen(data), &e),
			 HX_EINVAL);
	free(sealed);
	free(spki);
}

static void test_open_fails_without_issuing_ca_and_free_accepts_null(void **s)
{
	(void)s;
	char dir[PATH_MAX];
	hx_ca *ca = (hx_ca *)&ca;
	hx_err e = {0};
	make_tmpdir(dir);
	assert_int_equal(hx_ca_open(&ca, dir, &e), HX_EIO);
	assert_null(ca);
	hx_ca_free(NULL);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_are_made_once_with_mode_0600),
		cmocka_unit_test(test_issuing_ca_is_a_path_length_zero_ca_under_the_root),
		cmocka_unit_test(test_issued_certificate_passes_openssl_verify),
		cmocka_unit_test(test_issued_certificate_is_an_nss_email_signer),
		cmocka_unit_test(test_non_p256_keys_are_refused_as_bad_key),
		cmocka_unit_test(test_bad_names_and_validity_are_refused),
		cmocka_unit_test(test_check_cert_refuses_expired_foreign_and_garbage),
		cmocka_unit_test(test_check_cert_remembers_the_chain_not_the_time),
		cmocka_unit_test(test_crl_verifies_with_openssl_and_lists_the_serials),
		cmocka_unit_test(test_ec_verify_accepts_raw_and_der_and_refuses_other_data),
		cmocka_unit_test(test_seal_key_signs_and_a_wrong_key_cannot_open_it),
		cmocka_unit_test(test_open_fails_without_issuing_ca_and_free_accepts_null),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
