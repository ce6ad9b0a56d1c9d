/* PAdES verification: every signature of a PDF checked without the store
 * (its /ByteRange over the file, the digest and the ECDSA signature in its
 * CMS, the signature timestamp, the chain to the platform's root) and
 * whether anything was appended after the last one, reported as JSON.
 * OpenSSL parses the CMS and the certificates. */
#include "pades_impl.h"

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <time.h>

#include "tsa.h"

/* ---- limits --------------------------------------------------------------- */

#define SIGS_MAX 64            /* signatures checked in one document */
#define CMS_READ_MAX ((size_t)1 << 20) /* a /Contents read when verifying */

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
	if (hx_pades_dict_get(d, sig, "M", &m) != 1)
		return;
	hx_pades_val_text(d, &m, t, sizeof t);
	int ok = strlen(t) == 17 && strncmp(t, "D:", 2) == 0 && t[16] == 'Z';
	for (size_t i = 2; ok && i < 16; i++)
		ok = t[i] >= '0' && t[i] <= '9';
	if (ok)
		snprintf(out, cap, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", t + 2, t + 6, t + 8, t + 10, t + 12, t + 14);
	else
		snprintf(out, cap, "%s", t);
	hx_pades_utf8_clean(out);
}

/* /ByteRange [0 a b c]: the hole [a, b) is exactly the <…> of /Contents. */
static int byte_range(reader *d, const val *sig, size_t br[4], val *contents)
{
	val arr, it;
	size_t i = 0, k = 0;
	int r;
	if (hx_pades_dict_get(d, sig, "ByteRange", &arr) != 1 || arr.t != V_ARRAY)
		return -1;
	while ((r = hx_pades_arr_next(d, &arr, &i, &it)) == 1) {
		if (k == 4 || it.t != V_INT || it.n < 0 || (unsigned long long)it.n > d->len)
			return -1;
		br[k++] = (size_t)it.n;
	}
	if (r < 0 || k != 4 || br[0] != 0 || br[1] == 0 || br[2] <= br[1] || br[3] > d->len - br[2])
		return -1;
	if (hx_pades_dict_get(d, sig, "Contents", contents) != 1 || contents->t != V_HEX)
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
	hx_pades_utf8_clean(out);
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
	if (cap > CMS_READ_MAX || !(der = malloc(cap ? cap : 1)) || hx_pades_str_bytes(d, &contents, der, cap, &n) ||
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
	if ((rc = hx_pades_doc_open(&dc, pdf, len, 0, err)))
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
	hx_pades_doc_close(&dc);
	return rc;
}
