/* Unit tests of PAdES B-T signatures (src/trust/pades.h): a contract PDF
 * made by cairo is signed by a worker (a WebCrypto-style raw r||s
 * signature), an enterprise and a witness, each with its own certificate
 * under an intermediate CA and a timestamp from the built-in TSA. poppler's
 * pdfsig (when installed, with an NSS database made by certutil) accepts
 * all three; hx_pades_verify checks them and finds tampered bytes, changes
 * after the last signature, duplicate field names and broken files. A
 * small hand-made PDF with an existing form field and annotations by
 * reference is signed too. Set HX_PADES_KEEP=dir to keep the signed files
 * and the root certificate there (the fuzz corpus comes from it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, memmem */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"
#include "trust/pades.h"
#include "trust/tsa.h"

/* Under ASan (build-asan): cairo 1.16 loses memory per embedded font in
 * its CFF subsetter and pango's font map keeps fontconfig patterns; the
 * same suppressions as tests/unit/report/test_pdf.c. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:cairo_surface_finish\nleak:libfontconfig.so\n";
}
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

#define CHECK(call)                                                                              \
	do {                                                                                     \
		int rc_ = (call);                                                                \
		if (rc_)                                                                         \
			fail_msg("%s failed: %d %s %s", #call, rc_, e.key, e.msg);               \
	} while (0)

typedef struct signer {
	EVP_PKEY *key;
	X509 *cert;
	unsigned char *der;
	int der_len;
} signer;

typedef struct blob {
	unsigned char *p;
	size_t len;
} blob;

static struct fixture {
	char dir[PATH_MAX];
	char ca_path[PATH_MAX];
	hx_tsa *tsa;
	signer inter, worker, enterprise, witness;
	blob base;          /* the cairo PDF */
	blob s1, s2, s3;    /* after the worker, the enterprise, the witness */
	size_t s3_contents; /* offset of the witness's /Contents hex digits */
	blob small, small1; /* a hand-made PDF with a form, and it signed */
	int ready;
} fx;

/* ---- helpers -------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void path_in(char out[PATH_MAX], const char *dir, const char *name)
{
	assert_true(snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static void write_all(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void read_all(blob *out, const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	out->p = malloc((size_t)n + 1);
	assert_non_null(out->p);
	assert_int_equal(fread(out->p, 1, (size_t)n, f), (size_t)n);
	out->len = (size_t)n;
	fclose(f);
}

static int run(const char *cmd)
{
	int st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static blob copy_of(const blob *b, size_t extra)
{
	blob c = {malloc(b->len + extra + 1), b->len};
	assert_non_null(c.p);
	memcpy(c.p, b->p, b->len);
	return c;
}

static json_t *verify(const unsigned char *p, size_t len)
{
	hx_err e = {0};
	json_t *out = NULL;
	CHECK(hx_pades_verify(&out, p, len, fx.ca_path, &e));
	assert_non_null(out);
	return out;
}

static json_t *sig_at(json_t *v, size_t i)
{
	json_t *o = json_array_get(json_object_get(v, "signatures"), i);
	assert_non_null(o);
	return o;
}

static int flag(json_t *o, const char *key)
{
	json_t *b = json_object_get(o, key);
	assert_true(json_is_boolean(b));
	return json_is_true(b);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* ---- certificates --------------------------------------------------------- */

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* An EC P-256 key and its certificate by issuer: an intermediate CA, or a
 * signer's certificate for digitalSignature and nonRepudiation, no EKU. */
static void make_signer(signer *s, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int ca)
{
	unsigned char serial[8];
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn;
	assert_non_null(s->key = EVP_EC_gen("P-256"));
	assert_non_null(s->cert = X509_new());
	assert_int_equal(X509_set_version(s->cert, X509_VERSION_3), 1);
	assert_int_equal(RAND_bytes(serial, sizeof serial), 1);
	serial[0] &= 0x7f;
	assert_non_null(bn = BN_bin2bn(serial, sizeof serial, NULL));
	assert_non_null(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(s->cert)));
	BN_free(bn);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
						    (const unsigned char *)"Hexie 测试", -1, -1, 0), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
						    -1, 0), 1);
	assert_int_equal(X509_set_subject_name(s->cert, name), 1);
	assert_int_equal(X509_set_issuer_name(s->cert, X509_get_subject_name(issuer)), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(s->cert), -60));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(s->cert), 365L * 86400));
	assert_int_equal(X509_set_pubkey(s->cert, s->key), 1);
	if (ca) {
		add_ext(s->cert, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
		add_ext(s->cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(s->cert, issuer, NID_basic_constraints, "CA:FALSE");
		add_ext(s->cert, issuer, NID_key_usage, "critical,digitalSignature,nonRepudiation");
	}
	add_ext(s->cert, issuer, NID_subject_key_identifier, "hash");
	add_ext(s->cert, issuer, NID_authority_key_identifier, "keyid:always");
	assert_true(X509_sign(s->cert, issuer_key, EVP_sha256()) > 0);
	s->der = NULL;
	assert_true((s->der_len = i2d_X509(s->cert, &s->der)) > 0);
	X509_NAME_free(name);
}

static void signer_free(signer *s)
{
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	OPENSSL_free(s->der);
}

/* ECDSA with SHA-256 over data; raw gives r||s as WebCrypto does. */
static void ecdsa_sign(unsigned char sig[80], size_t *len, EVP_PKEY *key, const unsigned char *data,
		       size_t n, int raw)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	*len = 80;
	assert_int_equal(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(c, sig, len, data, n), 1);
	EVP_MD_CTX_free(c);
	if (!raw)
		return;
	const unsigned char *in = sig;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &in, (long)*len);
	assert_non_null(s);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32), 32);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32), 32);
	*len = 64;
	ECDSA_SIG_free(s);
}

/* ---- documents ------------------------------------------------------------ */

/* The five steps of pades.h for one signature; *contents_off (may be
 * NULL) gets where the CMS went. */
static blob sign_pdf_ap(const blob *in, const char *field, const char *name, const signer *s, int raw,
			size_t *contents_off, const hx_pades_appearance *ap);

static blob sign_pdf(const blob *in, const char *field, const char *name, const signer *s, int raw,
		     size_t *contents_off)
{
	return sign_pdf_ap(in, field, name, s, raw, contents_off, NULL);
}

static blob sign_pdf_ap(const blob *in, const char *field, const char *name, const signer *s, int raw,
			size_t *contents_off, const hx_pades_appearance *ap)
{
	hx_err e = {0};
	hx_pades_prep p;
	char when[32];
	unsigned char sig[80], h[32], *attrs, *tst, *cms;
	size_t sig_len, attrs_len, tst_len, cms_len;
	const unsigned char *chain[1] = {fx.inter.der};
	size_t chain_len[1] = {(size_t)fx.inter.der_len};

	now_iso(when);
	CHECK(hx_pades_prepare_visible(&p, in->p, in->len, field, name, "签订劳动合同", when, ap, &e));
	CHECK(hx_cms_signed_attrs(&attrs, &attrs_len, p.digest, s->der, (size_t)s->der_len, &e));
	ecdsa_sign(sig, &sig_len, s->key, attrs, attrs_len, raw);
	CHECK(hx_cms_check_signature(attrs, attrs_len, sig, sig_len, s->der, (size_t)s->der_len, &e));
	CHECK(hx_cms_signature_digest(h, sig, sig_len, &e));
	CHECK(hx_tsa_stamp_digest(&tst, &tst_len, fx.tsa, h, &e));
	CHECK(hx_cms_assemble(&cms, &cms_len, attrs, attrs_len, sig, sig_len, s->der, (size_t)s->der_len, chain,
			      chain_len, 1, tst, tst_len, &e));
	CHECK(hx_pades_embed(&p, cms, cms_len, &e));
	if (contents_off)
		*contents_off = p.contents_off;
	blob out = {p.pdf, p.len};
	p.pdf = NULL;
	hx_pades_prep_free(&p);
	free(attrs);
	free(tst);
	free(cms);
	return out;
}

static blob cairo_contract(void)
{
	hx_err e = {0};
	hx_pdf_doc *doc;
	char *bytes;
	size_t len;
	CHECK(hx_pdf_doc_new(&doc, "劳动合同", &e));
	assert_int_equal(hx_pdf_heading(doc, "劳动合同书", 1), 0);
	assert_int_equal(hx_pdf_paragraph(doc, "甲方（用人单位）：和谐科技有限公司\n乙方（劳动者）：张三"), 0);
	assert_int_equal(hx_pdf_paragraph(doc, "根据《中华人民共和国劳动合同法》，甲乙双方经平等自愿、"
					       "协商一致，签订本合同。试用期依第十九条约定。"), 0);
	CHECK(hx_pdf_doc_finish(&bytes, &len, doc, &e));
	hx_pdf_doc_free(doc);
	return (blob){(unsigned char *)bytes, len};
}

/* A PDF of the objects 1…n (objs[i] is object i + 1) with a classic xref
 * table; trailer holds the trailer's entries besides /Size. */
static blob build_pdf(const char *const *objs, size_t n, const char *trailer)
{
	size_t off[64], len = 0, cap = 64;
	for (size_t i = 0; i < n; i++)
		cap += strlen(objs[i]) + 64;
	char *p = malloc(cap + strlen(trailer) + 256);
	assert_non_null(p);
	assert_true(n < 64);
	len += (size_t)sprintf(p + len, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
	for (size_t i = 0; i < n; i++) {
		off[i] = len;
		len += (size_t)sprintf(p + len, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	size_t x = len;
	len += (size_t)sprintf(p + len, "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(p + len, "%010zu 00000 n \n", off[i]);
	len += (size_t)sprintf(p + len, "trailer\n<< /Size %zu %s >>\nstartxref\n%zu\n%%%%EOF\n", n + 1, trailer, x);
	return (blob){(unsigned char *)p, len};
}

/* A PDF as another tool might write it: an /AcroForm and /Annots by
 * reference, a text field "name" already there, a trailer /ID. */
static blob small_pdf(void)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 7 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots 5 0 R >>",
		"<< /Length 15 >>\nstream\n0 0 m 99 99 l S\nendstream",
		"[6 0 R]",
		("<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (Zhang \\(San\\)) /Rect [10 10 90 30] "
		 "/P 3 0 R >>"),
		"<< /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) >>",
	};
	return build_pdf(objs, 7, "/Root 1 0 R /ID [<0123456789ABCDEF0123456789ABCDEF> "
				  "<0123456789ABCDEF0123456789ABCDEF>]");
}

static void keep(const char *name, const blob *b)
{
	const char *dir = getenv("HX_PADES_KEEP");
	char path[PATH_MAX];
	if (!dir || !*dir)
		return;
	path_in(path, dir, name);
	write_all(path, b->p, b->len);
}

/* Everything the tests share, made once (timestamps and keys take time). */
static void ready(void)
{
	hx_err e = {0};
	signer root = {0};
	char path[PATH_MAX];
	if (fx.ready)
		return;
	const char *base = getenv("TMPDIR");
	snprintf(fx.dir, sizeof fx.dir, "%s/hx-pades-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(fx.dir));
	assert_null(strchr(fx.dir, '\'')); /* it goes into shell commands */
	CHECK(hx_tsa_keys_make(fx.dir, &e));
	CHECK(hx_tsa_open(&fx.tsa, fx.dir, &e));
	path_in(fx.ca_path, fx.dir, "ca.crt");
	FILE *f = fopen(fx.ca_path, "r");
	assert_non_null(f);
	root.cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	path_in(path, fx.dir, "ca.key");
	assert_non_null(f = fopen(path, "r"));
	root.key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(root.cert);
	assert_non_null(root.key);

	make_signer(&fx.inter, "Hexie 签名中级证书", root.cert, root.key, 1);
	make_signer(&fx.worker, "张三", fx.inter.cert, fx.inter.key, 0);
	make_signer(&fx.enterprise, "和谐科技有限公司", fx.inter.cert, fx.inter.key, 0);
	make_signer(&fx.witness, "李四（见证人）", fx.inter.cert, fx.inter.key, 0);
	signer_free(&root);

	fx.base = cairo_contract();
	fx.s1 = sign_pdf(&fx.base, "worker", "张三", &fx.worker, 1, NULL);
	fx.s2 = sign_pdf(&fx.s1, "enterprise", "和谐科技有限公司", &fx.enterprise, 0, NULL);
	fx.s3 = sign_pdf(&fx.s2, "witness", "李四 𠀀", &fx.witness, 1, &fx.s3_contents);
	fx.small = small_pdf();
	fx.small1 = sign_pdf(&fx.small, "worker", "张三", &fx.worker, 1, NULL);
	keep("contract-3sig.pdf", &fx.s3);
	keep("small.pdf", &fx.small);
	keep("small-signed.pdf", &fx.small1);
	blob ca;
	read_all(&ca, fx.ca_path);
	keep("ca.crt", &ca);
	free(ca.p);
	fx.ready = 1;
}

static int group_teardown(void **s)
{
	(void)s;
	if (!fx.ready)
		return 0;
	hx_tsa_free(fx.tsa);
	signer_free(&fx.inter);
	signer_free(&fx.worker);
	signer_free(&fx.enterprise);
	signer_free(&fx.witness);
	free(fx.base.p);
	free(fx.s1.p);
	free(fx.s2.p);
	free(fx.s3.p);
	free(fx.small.p);
	free(fx.small1.p);
	nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_three_signatures_all_verify(void **s)
{
	(void)s;
	static const char *const fields[] = {"worker", "enterprise", "witness"};
	static const char *const signers[] = {"张三", "和谐科技有限公司", "李四（见证人）"};
	ready();
	size_t ends[] = {fx.s1.len, fx.s2.len, fx.s3.len};
	json_t *v = verify(fx.s3.p, fx.s3.len);
	assert_true(flag(v, "valid"));
	assert_false(flag(v, "modified_after_last"));
	assert_int_equal(strlen(str(v, "sha256")), 64);
	assert_int_equal(json_array_size(json_object_get(v, "signatures")), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *g = sig_at(v, i);
		assert_string_equal(str(g, "field"), fields[i]);
		assert_string_equal(str(g, "signer"), signers[i]);
		assert_string_equal(str(g, "issuer"), "Hexie 签名中级证书");
		assert_true(strlen(str(g, "serial")) > 0);
		assert_int_equal(strlen(str(g, "signing_time")), 20);
		assert_true(flag(g, "digest_ok"));
		assert_true(flag(g, "signature_ok"));
		assert_true(flag(g, "cert_trusted"));
		json_t *ts = json_object_get(g, "timestamp");
		assert_true(flag(ts, "ok"));
		assert_int_equal(strlen(str(ts, "time")), 20);
		assert_int_equal(flag(g, "covers_whole"), i == 2);
		assert_int_equal(json_integer_value(json_object_get(g, "revision_end")), ends[i]);
		assert_null(json_object_get(g, "error"));
	}
	json_decref(v);

	/* each earlier revision on its own is whole and valid */
	v = verify(fx.s1.p, fx.s1.len);
	assert_true(flag(v, "valid"));
	assert_int_equal(json_array_size(json_object_get(v, "signatures")), 1);
	assert_true(flag(sig_at(v, 0), "covers_whole"));
	json_decref(v);
}

static void test_unsigned_pdf_is_not_valid_and_has_no_signatures(void **s)
{
	(void)s;
	ready();
	json_t *v = verify(fx.base.p, fx.base.len);
	assert_false(flag(v, "valid"));
	assert_false(flag(v, "modified_after_last"));
	assert_int_equal(json_array_size(json_object_get(v, "signatures")), 0);
	json_decref(v);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* pdfsig's report on path, or NULL when poppler-utils or NSS tools are
 * not installed. poppler checks the signer for NSS's email-signer usage,
 * so the root needs the email trust flag: with -t "C,," (SSL only) pdfsig
 * says "Certificate issuer isn't Trusted.". */
static char *pdfsig(const char *path)
{
	char nss[PATH_MAX], out[PATH_MAX], cmd[4 * PATH_MAX];
	blob b;
	if (access("/usr/bin/pdfsig", X_OK) != 0 || access("/usr/bin/certutil", X_OK) != 0)
		return NULL;
	path_in(nss, fx.dir, "nss");
	path_in(out, fx.dir, "pdfsig.txt");
	if (access(nss, F_OK) != 0) {
		assert_int_equal(mkdir(nss, 0700), 0);
		snprintf(cmd, sizeof cmd,
			 "certutil -N -d 'sql:%s' --empty-password >/dev/null 2>&1 && "
			 "certutil -A -d 'sql:%s' -n hexie-root -t 'C,C,' -i '%s' >/dev/null 2>&1",
			 nss, nss, fx.ca_path);
		assert_int_equal(run(cmd), 0);
	}
	snprintf(cmd, sizeof cmd, "pdfsig -nssdir 'sql:%s' '%s' >'%s' 2>&1", nss, path, out);
	run(cmd);
	read_all(&b, out);
	b.p[b.len] = '\0';
	if (getenv("HX_PADES_KEEP"))
		fprintf(stderr, "%s", (char *)b.p);
	return (char *)b.p;
}

static void test_pdfsig_accepts_every_signature(void **s)
{
	(void)s;
	char path[PATH_MAX];
	ready();
	path_in(path, fx.dir, "contract.pdf");
	write_all(path, fx.s3.p, fx.s3.len);
	char *out = pdfsig(path);
	if (!out)
		skip();
	assert_int_equal(count(out, "Signature is Valid."), 3);
	assert_int_equal(count(out, "Certificate is Trusted."), 3);
	assert_int_equal(count(out, "Total document signed"), 1);
	assert_int_equal(count(out, "Not total document signed"), 2);
	const char *third = strstr(out, "Signature #3");
	assert_non_null(third);
	assert_non_null(strstr(third, "Total document signed"));
	assert_non_null(strstr(out, "张三"));
	free(out);

	path_in(path, fx.dir, "small.pdf");
	write_all(path, fx.small1.p, fx.small1.len);
	out = pdfsig(path);
	assert_int_equal(count(out, "Signature is Valid."), 1);
	assert_int_equal(count(out, "Certificate is Trusted."), 1);
	assert_int_equal(count(out, "Total document signed"), 1);
	free(out);
}

/* The witness's CMS from the file: its token verifies against the
 * signature value, here and with `openssl ts -verify`. */
static void test_signature_timestamp_token_verifies(void **s)
{
	(void)s;
	hx_err e = {0};
	unsigned char der[HX_PADES_CMS_MAX], h[32];
	char gen[32], path[PATH_MAX], tok_path[PATH_MAX], cmd[4 * PATH_MAX];
	ready();
	for (size_t i = 0; i < sizeof der; i++) {
		unsigned hi, lo;
		assert_int_equal(sscanf((const char *)fx.s3.p + fx.s3_contents + 2 * i, "%1x%1x", &hi, &lo), 2);
		der[i] = (unsigned char)(hi << 4 | lo);
	}
	const unsigned char *in = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &in, sizeof der);
	assert_non_null(cms);
	CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	assert_non_null(si);
	ASN1_STRING *tok = CMS_unsigned_get0_data_by_OBJ(si, OBJ_nid2obj(NID_id_smime_aa_timeStampToken), -3,
							 V_ASN1_SEQUENCE);
	ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
	assert_non_null(tok);
	assert_non_null(sv);
	assert_int_equal(EVP_Digest(ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv), h, NULL,
				    EVP_sha256(), NULL), 1);
	CHECK(hx_tsa_verify_token(ASN1_STRING_get0_data(tok), (size_t)ASN1_STRING_length(tok), h, fx.ca_path,
				  gen, &e));
	assert_int_equal(strlen(gen), 20);

	if (access("/usr/bin/openssl", X_OK) == 0) {
		path_in(path, fx.dir, "sigvalue.der");
		path_in(tok_path, fx.dir, "token.der");
		write_all(path, ASN1_STRING_get0_data(sv), (size_t)ASN1_STRING_length(sv));
		write_all(tok_path, ASN1_STRING_get0_data(tok), (size_t)ASN1_STRING_length(tok));
		snprintf(cmd, sizeof cmd,
			 "openssl ts -verify -data '%s' -in '%s' -token_in -CAfile '%s' >/dev/null 2>&1", path,
			 tok_path, fx.ca_path);
		assert_int_equal(run(cmd), 0);
	}
	CMS_ContentInfo_free(cms);
}

static void test_signature_over_other_bytes_is_refused(void **s)
{
	(void)s;
	hx_err e = {0};
	unsigned char digest[32] = {1}, *attrs, sig[80];
	size_t attrs_len, sig_len;
	ready();
	CHECK(hx_cms_signed_attrs(&attrs, &attrs_len, digest, fx.worker.der, (size_t)fx.worker.der_len, &e));
	ecdsa_sign(sig, &sig_len, fx.worker.key, attrs, attrs_len, 1);
	CHECK(hx_cms_check_signature(attrs, attrs_len, sig, sig_len, fx.worker.der, (size_t)fx.worker.der_len,
				     &e));
	attrs[attrs_len - 1] ^= 1; /* a byte of the message digest */
	assert_int_equal(hx_cms_check_signature(attrs, attrs_len, sig, sig_len, fx.worker.der,
						(size_t)fx.worker.der_len, &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_signature");
	attrs[attrs_len - 1] ^= 1;
	/* the enterprise's key, the worker's certificate */
	ecdsa_sign(sig, &sig_len, fx.enterprise.key, attrs, attrs_len, 0);
	assert_int_equal(hx_cms_check_signature(attrs, attrs_len, sig, sig_len, fx.worker.der,
						(size_t)fx.worker.der_len, &e), HX_EINVAL);
	/* neither DER nor 64 bytes */
	assert_int_equal(hx_cms_check_signature(attrs, attrs_len, sig, 63, fx.worker.der,
						(size_t)fx.worker.der_len, &e), HX_EINVAL);
	free(attrs);
}

/* r with its high bit set gets a leading zero, s loses its leading zeros. */
static void test_raw_signature_becomes_minimal_der(void **s)
{
	(void)s;
	hx_err e = {0};
	unsigned char raw[64] = {0}, want[2 + 2 + 33 + 2 + 30], h[32], expect[32];
	raw[0] = 0x80;
	raw[31] = 0x01;
	raw[34] = 0x7f; /* s = 0x7f00…02, 30 bytes */
	raw[63] = 0x02;
	size_t k = 0;
	want[k++] = 0x30;
	want[k++] = (unsigned char)(sizeof want - 2);
	want[k++] = 0x02;
	want[k++] = 33;
	want[k++] = 0x00;
	memcpy(want + k, raw, 32);
	k += 32;
	want[k++] = 0x02;
	want[k++] = 30;
	memcpy(want + k, raw + 34, 30);
	k += 30;
	assert_int_equal(k, sizeof want);
	CHECK(hx_cms_signature_digest(h, raw, sizeof raw, &e));
	assert_int_equal(EVP_Digest(want, sizeof want, expect, NULL, EVP_sha256(), NULL), 1);
	assert_memory_equal(h, expect, 32);
	/* the DER form gives the same digest; a non-minimal DER is refused */
	CHECK(hx_cms_signature_digest(h, want, sizeof want, &e));
	assert_memory_equal(h, expect, 32);
	unsigned char padded[sizeof want + 1];
	memcpy(padded, want, 4);
	padded[1] = (unsigned char)(sizeof want - 1);
	padded[3] = 34;
	padded[4] = 0x00;
	memcpy(padded + 5, want + 4, sizeof want - 4);
	assert_int_equal(hx_cms_signature_digest(h, padded, sizeof padded, &e), HX_EINVAL);
}

static void test_tampered_byte_breaks_the_digest(void **s)
{
	(void)s;
	ready();
	/* in the cairo file's binary comment: inside every signature's range */
	blob b = copy_of(&fx.s3, 0);
	b.p[10] ^= 0x01;
	json_t *v = verify(b.p, b.len);
	assert_false(flag(v, "valid"));
	for (size_t i = 0; i < 3; i++) {
		assert_false(flag(sig_at(v, i), "digest_ok"));
		assert_string_equal(str(sig_at(v, i), "error"), "digest_mismatch");
	}
	json_decref(v);
	free(b.p);

	/* in the witness's /M: only the witness's range holds it */
	b = copy_of(&fx.s3, 0);
	unsigned char *m = memmem(b.p + fx.s2.len, b.len - fx.s2.len, "/M (D:", 6);
	assert_non_null(m);
	m[6] = m[6] == '2' ? '3' : '2';
	v = verify(b.p, b.len);
	assert_false(flag(v, "valid"));
	assert_true(flag(sig_at(v, 0), "digest_ok"));
	assert_true(flag(sig_at(v, 1), "digest_ok"));
	assert_false(flag(sig_at(v, 2), "digest_ok"));
	json_decref(v);
	free(b.p);
}

static void test_appended_bytes_are_modified_after_last(void **s)
{
	(void)s;
	ready();
	blob b = copy_of(&fx.s3, 16);
	memcpy(b.p + b.len, "% changed\n", 10);
	b.len += 10;
	json_t *v = verify(b.p, b.len);
	assert_true(flag(v, "modified_after_last"));
	assert_false(flag(v, "valid"));
	assert_true(flag(sig_at(v, 2), "digest_ok"));
	assert_false(flag(sig_at(v, 2), "covers_whole"));
	json_decref(v);

	/* trailing white space is no change */
	memcpy(b.p + fx.s3.len, "\r\n \n", 4);
	b.len = fx.s3.len + 4;
	v = verify(b.p, b.len);
	assert_false(flag(v, "modified_after_last"));
	assert_true(flag(v, "valid"));
	json_decref(v);
	free(b.p);
}

/* Going on from the document's SHA-256 state (the caller hashed it when
 * reading it) gives the same update and the same digest as hashing it
 * again; a state over other bytes gives another digest. */
static void test_prepare_from_the_documents_hash_state_is_the_same(void **s)
{
	(void)s;
	hx_err e = {0};
	hx_pades_prep a, b, c;
	ready();
	EVP_MD_CTX *m = EVP_MD_CTX_new(), *other = EVP_MD_CTX_new();
	assert_non_null(m);
	assert_int_equal(EVP_DigestInit_ex(m, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(m, fx.base.p, fx.base.len), 1);
	assert_int_equal(EVP_DigestInit_ex(other, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(other, "not the document", 16), 1);
	CHECK(hx_pades_prepare(&a, fx.base.p, fx.base.len, "f", "x", "y", "2025-01-31T08:00:00Z", &e));
	CHECK(hx_pades_prepare_hashed(&b, fx.base.p, fx.base.len, m, "f", "x", "y", "2025-01-31T08:00:00Z", NULL, &e));
	CHECK(hx_pades_prepare_hashed(&c, fx.base.p, fx.base.len, other, "f", "x", "y", "2025-01-31T08:00:00Z", NULL, &e));
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.pdf, b.pdf, a.len);
	assert_memory_equal(a.digest, b.digest, 32);
	assert_memory_not_equal(a.digest, c.digest, 32);
	hx_pades_prep_free(&a);
	hx_pades_prep_free(&b);
	hx_pades_prep_free(&c);
	EVP_MD_CTX_free(m);
	EVP_MD_CTX_free(other);
}

static void test_duplicate_field_name_is_a_conflict(void **s)
{
	(void)s;
	hx_err e = {0};
	hx_pades_prep p;
	ready();
	assert_int_equal(hx_pades_prepare(&p, fx.s2.p, fx.s2.len, "worker", "某人", "理由", "2025-01-31T08:00:00Z",
					  &e), HX_ECONFLICT);
	assert_string_equal(e.key, "field_exists");
	assert_null(p.pdf);
	/* the hand-made file's own text field */
	assert_int_equal(hx_pades_prepare(&p, fx.small.p, fx.small.len, "name", NULL, NULL,
					  "2025-01-31T08:00:00Z", &e), HX_ECONFLICT);
}

static void test_existing_form_and_annotations_are_kept(void **s)
{
	(void)s;
	ready();
	json_t *v = verify(fx.small1.p, fx.small1.len);
	assert_true(flag(v, "valid"));
	assert_int_equal(json_array_size(json_object_get(v, "signatures")), 1);
	assert_string_equal(str(sig_at(v, 0), "field"), "worker");
	json_decref(v);
	const unsigned char *upd = fx.small1.p + fx.small.len;
	size_t n = fx.small1.len - fx.small.len;
	assert_non_null(memmem(upd, n, "/Fields [6 0 R 9 0 R]", 21));
	assert_non_null(memmem(upd, n, "/Annots [6 0 R 9 0 R]", 21));
	assert_non_null(memmem(upd, n, "/DA (/Helv 0 Tf 0 g)", 20));
	assert_non_null(memmem(upd, n, "/ID [<0123456789ABCDEF", 22));
	assert_non_null(memmem(upd, n, "/Name <FEFF5F204E09>", 20)); /* 张三 in UTF-16BE */
}

static void test_bad_arguments_are_refused(void **s)
{
	(void)s;
	hx_err e = {0};
	hx_pades_prep p;
	ready();
	assert_int_equal(hx_pades_prepare(&p, fx.base.p, fx.base.len, "a.b", "x", "y", "2025-01-31T08:00:00Z", &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "bad_field_name");
	assert_int_equal(hx_pades_prepare(&p, fx.base.p, fx.base.len, "", "x", "y", "2025-01-31T08:00:00Z", &e),
			 HX_EINVAL);
	assert_int_equal(hx_pades_prepare(&p, fx.base.p, fx.base.len, "f", "x", "y", "2025-01-31 08:00:00", &e),
			 HX_EINVAL);
	assert_string_equal(e.key, "bad_time");
	assert_int_equal(hx_pades_prepare(&p, fx.base.p, fx.base.len, "f", "\xff\xfe", "y", "2025-01-31T08:00:00Z",
					  &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_text");
	assert_int_equal(hx_pades_prepare(&p, fx.base.p, HX_PADES_PDF_MAX + 1, "f", "x", "y",
					  "2025-01-31T08:00:00Z", &e), HX_ETOOBIG);
}

/* A three-page document; the signature's look goes on the last page. */
static blob three_pages(void)
{
	hx_err e = {0};
	hx_pdf_doc *doc;
	char *bytes;
	size_t len;
	CHECK(hx_pdf_doc_new(&doc, "劳动合同", &e));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(hx_pdf_page_break(doc), 0);
		assert_int_equal(hx_pdf_paragraph(doc, "第一条 甲乙双方经平等自愿、协商一致，签订本合同。"), 0);
	}
	CHECK(hx_pdf_doc_finish(&bytes, &len, doc, &e));
	hx_pdf_doc_free(doc);
	return (blob){(unsigned char *)bytes, len};
}

static void test_visible_signature_on_a_later_page(void **s)
{
	(void)s;
	ready();
	blob base = three_pages();
	unsigned char px[40 * 20 * 4];
	for (size_t i = 0; i < sizeof px; i += 4) { /* a red square, half transparent around */
		px[i] = 230, px[i + 1] = 0, px[i + 2] = 18;
		px[i + 3] = (i / 4) % 40 > 10 && (i / 4) % 40 < 30 ? 255 : 0;
	}
	hx_pades_appearance ap = {.page = 2, .rect = {100, 200, 180, 240}, .width = 40, .height = 20};
	unsigned char *rz, *az;
	hx_err e = {0};
	CHECK(hx_pades_image_encode(&rz, &ap.rgb_zlen, &az, &ap.alpha_zlen, px, 40, 20, &e));
	ap.rgb_z = rz;
	ap.alpha_z = az;
	blob out = sign_pdf_ap(&base, "worker", "张三", &fx.worker, 1, NULL, &ap);
	json_t *v = verify(out.p, out.len);
	assert_true(flag(v, "valid"));
	json_decref(v);
	const unsigned char *upd = out.p + base.len;
	size_t n = out.len - base.len;
	assert_non_null(memmem(upd, n, "/Rect [100.00 200.00 180.00 240.00]", 35));
	assert_non_null(memmem(upd, n, "/AP << /N", 9));
	assert_non_null(memmem(upd, n, "/Subtype /Form", 14));
	assert_non_null(memmem(upd, n, "/SMask", 6));
	assert_non_null(memmem(upd, n, "/Width 40\n/Height 20", 20));
	assert_null(memmem(upd, n, "/Rect [0 0 0 0]", 15)); /* not the invisible widget */
	/* a second, invisible signature on top still verifies both */
	blob two = sign_pdf(&out, "enterprise", "和谐科技有限公司", &fx.enterprise, 0, NULL);
	v = verify(two.p, two.len);
	assert_true(flag(v, "valid"));
	assert_int_equal(json_array_size(json_object_get(v, "signatures")), 2);
	json_decref(v);
	free(two.p);
	free(out.p);
	free(base.p);
	free(rz);
	free(az);
}

static void test_bad_appearances_are_refused(void **s)
{
	(void)s;
	hx_err e = {0};
	hx_pades_prep p;
	unsigned char px[16 * 16 * 4] = {0}, *rz, *az;
	size_t rl, al;
	ready();
	CHECK(hx_pades_image_encode(&rz, &rl, &az, &al, px, 16, 16, &e));
	hx_pades_appearance ok = {.page = 0, .rect = {10, 10, 50, 50}, .width = 16, .height = 16, .rgb_z = rz,
				  .alpha_z = az, .rgb_zlen = rl, .alpha_zlen = al};
	hx_pades_appearance a = ok;
	a.page = 7; /* the document has one page */
	assert_int_equal(hx_pades_prepare_visible(&p, fx.base.p, fx.base.len, "f", "x", "y", "2025-01-31T08:00:00Z", &a,
						  &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_pdf");
	a = ok;
	a.page = -1;
	assert_int_equal(hx_pades_prepare_visible(&p, fx.base.p, fx.base.len, "f", "x", "y", "2025-01-31T08:00:00Z", &a,
						  &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_appearance");
	a = ok;
	a.rect[2] = a.rect[0]; /* no width */
	assert_int_equal(hx_pades_prepare_visible(&p, fx.base.p, fx.base.len, "f", "x", "y", "2025-01-31T08:00:00Z", &a,
						  &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_appearance");
	a = ok;
	a.width = 0;
	assert_int_equal(hx_pades_prepare_visible(&p, fx.base.p, fx.base.len, "f", "x", "y", "2025-01-31T08:00:00Z", &a,
						  &e), HX_EINVAL);
	assert_string_equal(e.key, "bad_appearance");
	a = ok;
	a.width = 5000; /* over the side limit */
	assert_int_equal(hx_pades_prepare_visible(&p, fx.base.p, fx.base.len, "f", "x", "y", "2025-01-31T08:00:00Z", &a,
						  &e), HX_EINVAL);
	a = ok;
	a.rgb_z = NULL;
	assert_int_equal(hx_pades_prepare_visible(&p, fx.base.p, fx.base.len, "f", "x", "y", "2025-01-31T08:00:00Z", &a,
						  &e), HX_EINVAL);
	assert_null(p.pdf);
	/* an image of no pixels cannot be encoded */
	assert_int_equal(hx_pades_image_encode(&rz, &rl, &az, &al, px, 0, 16, &e), HX_EINVAL);
	assert_int_equal(hx_pades_image_encode(&rz, &rl, &az, &al, px, 3000, 3000, &e), HX_EINVAL);
	free((void *)ok.rgb_z);
	free((void *)ok.alpha_z);
}

static void test_cms_too_big_is_refused(void **s)
{
	(void)s;
	hx_err e = {0};
	hx_pades_prep p;
	ready();
	CHECK(hx_pades_prepare(&p, fx.base.p, fx.base.len, "f", "x", "y", "2025-01-31T08:00:00Z", &e));
	size_t n = HX_PADES_CMS_MAX + 1;
	unsigned char *big = calloc(1, n);
	assert_non_null(big);
	assert_int_equal(hx_pades_embed(&p, big, n, &e), HX_ETOOBIG);
	assert_string_equal(e.key, "cms_too_big");
	CHECK(hx_pades_embed(&p, big, n - 1, &e)); /* the room is exactly HX_PADES_CMS_MAX */
	free(big);
	hx_pades_prep_free(&p);
}

static void expect_bad(const unsigned char *p, size_t len)
{
	hx_err e = {0};
	hx_pades_prep prep;
	json_t *v = NULL;
	assert_int_equal(hx_pades_verify(&v, p, len, fx.ca_path, &e), HX_EINVAL);
	assert_null(v);
	assert_string_equal(e.key, "bad_pdf");
	assert_int_equal(hx_pades_prepare(&prep, p, len, "f", "x", "y", "2025-01-31T08:00:00Z", &e), HX_EINVAL);
	assert_null(prep.pdf);
}

/* Anything else either fails as HX_EINVAL or gives a report. */
static void expect_no_crash(const unsigned char *p, size_t len)
{
	hx_err e = {0};
	json_t *v = NULL;
	int rc = hx_pades_verify(&v, p, len, fx.ca_path, &e);
	assert_true(rc == 0 || rc == HX_EINVAL);
	assert_true((rc == 0) == (v != NULL));
	json_decref(v);
}

static void test_garbage_and_truncated_pdfs_are_refused(void **s)
{
	(void)s;
	ready();
	expect_bad((const unsigned char *)"hello, world", 12);
	expect_bad((const unsigned char *)"", 0);
	expect_bad(fx.base.p, fx.base.len / 2);
	expect_bad(fx.base.p, fx.base.len - 10); /* cut inside startxref's number */
	const char *loop = "%PDF-1.4\nxref\n0 0\ntrailer\n<< /Prev 9 >>\nstartxref\n9\n%%EOF\n";
	expect_bad((const unsigned char *)loop, strlen(loop));
	const char *deep = "%PDF-1.4\nxref\n0 0\ntrailer\n<< /Root [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ "
			   ">>\nstartxref\n9\n%%EOF\n";
	expect_bad((const unsigned char *)deep, strlen(deep));
	for (size_t n = 0; n < fx.s1.len; n += 997)
		expect_no_crash(fx.s1.p, n);

	/* flipped bytes anywhere, a fixed sequence */
	blob b = copy_of(&fx.small1, 0);
	unsigned seed = 12345;
	for (int i = 0; i < 300; i++) {
		seed = seed * 1103515245u + 12345u;
		size_t at = (seed >> 8) % b.len;
		unsigned char old = b.p[at];
		b.p[at] = (unsigned char)(seed >> 3);
		expect_no_crash(b.p, b.len);
		b.p[at] = old;
	}
	free(b.p);
}

/* Cycles and repeated references end as errors, quickly. */
static void test_hostile_structures_end_quickly(void **s)
{
	(void)s;
	static const char *const pages[] = {"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
					    "<< /Type /Page /Parent 2 0 R >>"};
	const char *cyc_ref[] = {"4 0 R", pages[0], pages[1], "1 0 R"};
	const char *cyc_kids[] = {"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>", pages[0],
				  pages[1], "<< /T (a) /FT /Sig /Kids [4 0 R] >>"};
	const char *cyc_pages[] = {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R] >>",
				   pages[1]};
	blob b = build_pdf(cyc_ref, 4, "/Root 1 0 R");
	expect_bad(b.p, b.len);
	free(b.p);
	b = build_pdf(cyc_kids, 4, "/Root 1 0 R");
	expect_bad(b.p, b.len);
	free(b.p);
	b = build_pdf(cyc_pages, 3, "/Root 1 0 R");
	hx_err e = {0};
	hx_pades_prep p;
	assert_int_equal(hx_pades_prepare(&p, b.p, b.len, "f", NULL, NULL, "2025-01-31T08:00:00Z", &e), HX_EINVAL);
	free(b.p);

	/* 1000 fields, each the same dictionary with a 200 KB array */
	size_t n = 200000, k = 0;
	char *big = malloc(n + 64), *fields = malloc(8 * 1000 + 64);
	assert_non_null(big);
	assert_non_null(fields);
	k += (size_t)sprintf(big, "<< /T (x) /FT /Sig /V << /A [");
	memset(big + k, '1', n);
	for (size_t i = k + 1; i < k + n; i += 2)
		big[i] = ' ';
	k += n;
	strcpy(big + k, "] >> >>");
	k = (size_t)sprintf(fields, "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [");
	for (int i = 0; i < 1000; i++)
		k += (size_t)sprintf(fields + k, "4 0 R ");
	strcpy(fields + k, "] >> >>");
	const char *many[] = {fields, pages[0], pages[1], big};
	b = build_pdf(many, 4, "/Root 1 0 R");
	time_t t0 = time(NULL);
	expect_no_crash(b.p, b.len);
	assert_true(time(NULL) - t0 < 20);
	free(b.p);
	free(big);
	free(fields);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_signatures_all_verify),
		cmocka_unit_test(test_unsigned_pdf_is_not_valid_and_has_no_signatures),
		cmocka_unit_test(test_pdfsig_accepts_every_signature),
		cmocka_unit_test(test_signature_timestamp_token_verifies),
		cmocka_unit_test(test_signature_over_other_bytes_is_refused),
		cmocka_unit_test(test_raw_signature_becomes_minimal_der),
		cmocka_unit_test(test_tampered_byte_breaks_the_digest),
		cmocka_unit_test(test_appended_bytes_are_modified_after_last),
		cmocka_unit_test(test_duplicate_field_name_is_a_conflict),
		cmocka_unit_test(test_prepare_from_the_documents_hash_state_is_the_same),
		cmocka_unit_test(test_existing_form_and_annotations_are_kept),
		cmocka_unit_test(test_bad_arguments_are_refused),
		cmocka_unit_test(test_visible_signature_on_a_later_page),
		cmocka_unit_test(test_bad_appearances_are_refused),
		cmocka_unit_test(test_cms_too_big_is_refused),
		cmocka_unit_test(test_garbage_and_truncated_pdfs_are_refused),
		cmocka_unit_test(test_hostile_structures_end_quickly),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
