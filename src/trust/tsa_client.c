/* The client side of an external time-stamping authority (外部时间戳服务,
 * RFC 3161 over HTTP, RFC 3161 §3.4): when the platform is set to use a
 * qualified TSA instead of its built-in one, the digest of each signature
 * is sent there. The response is checked against the request (status
 * granted, nonce echoed, same imprint) before its token is handed out; the
 * token's signature is checked by the verifier against the TSA's CA. */
#include "ca.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include <stdlib.h>
#include <string.h>

#include "trust_impl.h"
#include "tsa.h"

#define URL_MAX 2048

struct body {
	unsigned char *p;
	size_t n;
	int toobig;
};

/* Collects the response, refusing more than HX_TSA_TOKEN_MAX bytes (curl
 * then stops with CURLE_WRITE_ERROR). */
static size_t on_data(char *data, size_t size, size_t nmemb, void *ud)
{
	struct body *b = ud;
	size_t n = size * nmemb;
	if (n > HX_TSA_TOKEN_MAX - b->n) {
		b->toobig = 1;
		return 0;
	}
	unsigned char *q = realloc(b->p, b->n + n);
	if (!q)
		return 0;
	memcpy(q + b->n, data, n);
	b->p = q;
	b->n += n;
	return n;
}

static int unavailable(hx_err *err, const char *why)
{
	return hx_err_set(err, HX_EIO, "tsa_unavailable", "", "时间戳服务暂时无法访问（%s）", why);
}

static int rejected(hx_err *err, const char *why)
{
	ERR_clear_error();
	return hx_err_set(err, HX_EINVAL, "tsa_rejected", "", "时间戳服务的应答无效：%s", why);
}

/* POSTs the query; *out is the response body of a 200 answer. */
static int post(struct body *out, const char *url, const unsigned char *req, long req_len,
		long timeout_ms, hx_err *err)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL, *h2;
	long status = 0;
	int rc;
	if (!h || !(hdr = curl_slist_append(NULL, "Content-Type: application/timestamp-query")) ||
	    !(h2 = curl_slist_append(hdr, "Accept: application/timestamp-reply"))) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
		goto done;
	}
	hdr = h2;
	/* NOSIGNAL: the caller may be any thread; redirects are not followed */
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, req_len) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HX_TSA_TOKEN_MAX) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, out) != CURLE_OK) {
		rc = hx_err_set(err, HX_EINTERNAL, "tsa_client", "", "时间戳客户端初始化失败");
		goto done;
	}
	CURLcode cc = curl_easy_perform(h);
	if (cc == CURLE_FILESIZE_EXCEEDED || (cc == CURLE_WRITE_ERROR && out->toobig)) {
		rc = rejected(err, "应答过大");
		goto done;
	}
	if (cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT) {
		rc = hx_err_set(err, HX_EINVAL, "tsa_url", "", "时间戳服务地址无效");
		goto done;
	}
	if (cc != CURLE_OK) {
		rc = unavailable(err, curl_easy_strerror(cc));
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 500) {
		rc = unavailable(err, "HTTP 5xx");
		goto done;
	}
	if (status != 200) {
		rc = hx_err_set(err, HX_EINVAL, "tsa_rejected", "", "时间戳服务拒绝了请求（HTTP %ld）", status);
		goto done;
	}
	rc = 0;
done:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return rc;
}

int hx_tsa_client_stamp(unsigned char **token_der, size_t *len, const char *url,
			const unsigned char sha256[32], long timeout_ms, hx_err *err)
{
	TS_REQ *q = NULL;
	TS_RESP *r = NULL;
	TS_VERIFY_CTX *v = NULL;
	unsigned char *req = NULL;
	struct body b = {0};
	int rc, n;
	*token_der = NULL;
	*len = 0;
	if (!url || strlen(url) > URL_MAX ||
	    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return hx_err_set(err, HX_EINVAL, "tsa_url", "", "时间戳服务地址无效");
	if (timeout_ms <= 0)
		timeout_ms = 10000;
	if (!(q = hx_tsa_digest_request(sha256)) || (n = i2d_TS_REQ(q, &req)) <= 0) {
		rc = hx_err_set(err, HX_EINTERNAL, "tsa_client", "", "时间戳请求生成失败");
		ERR_clear_error();
		goto done;
	}
	if ((rc = post(&b, url, req, n, timeout_ms, err)))
		goto done;

	const unsigned char *cp = b.p;
	if (!b.p || !(r = d2i_TS_RESP(NULL, &cp, (long)b.n)) || cp != b.p + b.n) {
		rc = rejected(err, "不是 RFC 3161 时间戳应答");
		goto done;
	}
	long st = hx_tsa_resp_status(r);
	if (st != TS_STATUS_GRANTED || !TS_RESP_get_token(r)) {
		rc = hx_err_set(err, HX_EINVAL, "tsa_rejected", "", "时间戳服务拒绝了请求（状态 %ld）", st);
		goto done;
	}
	/* the answer is to this query: version, same imprint (algorithm and
	 * digest), our nonce; the signature is the verifier's business, against
	 * the TSA's CA */
	if (!(v = TS_REQ_to_TS_VERIFY_CTX(q, NULL))) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
		goto done;
	}
	TS_VERIFY_CTX_set_flags(v, TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
	if (TS_RESP_verify_response(v, r) != 1) {
		rc = rejected(err, "应答与请求不符（摘要或随机数）");
		goto done;
	}
	if (hx_trust_der(token_der, len, TS_RESP_get_token(r), ASN1_ITEM_rptr(PKCS7))) {
		rc = rejected(err, "时间戳令牌无法编码");
		goto done;
	}
	rc = 0;
done:
	ERR_clear_error();
	free(b.p);
	OPENSSL_free(req);
	TS_VERIFY_CTX_free(v);
	TS_RESP_free(r);
	TS_REQ_free(q);
	return rc;
}
