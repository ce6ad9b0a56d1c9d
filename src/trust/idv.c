/* Real-name verification (实名核验) through an external provider over
 * HTTP (libcurl): the request, the answer's checks and the configuration.
 * See idv.h for the protocol; the request body holds the ID number, so it
 * is wiped after use and never logged. */
#include "idv.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define URL_MAX 2048
#define TOKEN_MAX 512

static struct {
	char *url, *token;
	long timeout_ms;
} g_idv;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

int hx_idv_configure_from_env(hx_err *err)
{
	const char *url = env("HEXIE_IDV_URL"), *tok = env("HEXIE_IDV_TOKEN"), *to = env("HEXIE_IDV_TIMEOUT_MS");
	free(g_idv.url);
	if (g_idv.token) {
		explicit_bzero(g_idv.token, strlen(g_idv.token));
		free(g_idv.token);
	}
	memset(&g_idv, 0, sizeof g_idv);
	g_idv.timeout_ms = HX_IDV_TIMEOUT_MS;
	if (!url) {
		if (tok || to)
			return hx_err_set(err, HX_EINVAL, "idv_config", "HEXIE_IDV_URL",
					  "HEXIE_IDV_URL 配置无效：设置 HEXIE_IDV_TOKEN 或 HEXIE_IDV_TIMEOUT_MS 时须同时设置");
		return 0;
	}
	if (strlen(url) > URL_MAX || !printable(url) ||
	    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return hx_err_set(err, HX_EINVAL, "idv_config", "HEXIE_IDV_URL",
				  "HEXIE_IDV_URL 配置无效：须为 http:// 或 https:// 地址");
	if (tok && (strlen(tok) > TOKEN_MAX || !printable(tok)))
		return hx_err_set(err, HX_EINVAL, "idv_config", "HEXIE_IDV_TOKEN", "HEXIE_IDV_TOKEN 配置无效");
	if (to) {
		char *end;
		long v = strtol(to, &end, 10);
		if (*end || v < 500 || v > 30000)
			return hx_err_set(err, HX_EINVAL, "idv_config", "HEXIE_IDV_TIMEOUT_MS",
					  "HEXIE_IDV_TIMEOUT_MS 配置无效：须为 500 到 30000 之间的毫秒数");
		g_idv.timeout_ms = v;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!(g_idv.url = strdup(url)) || (tok && !(g_idv.token = strdup(tok)))) {
		free(g_idv.url);
		g_idv.url = NULL;
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
	}
	return 0;
}

int hx_idv_configured(void)
{
	return g_idv.url != NULL;
}

const char *hx_idv_method_text(void)
{
	return g_idv.url ? "运营商三要素实名核验（姓名、身份证号码、手机号码）＋短信验证码"
			 : "用人单位登记信息＋短信验证码";
}

const char *hx_idv_method_key(void)
{
	return g_idv.url ? "carrier_3factor+sms" : "employer_record+sms";
}

struct answer {
	char buf[HX_IDV_ANSWER_MAX + 1];
	size_t n;
	int toobig;
};

static size_t collect(char *d, size_t size, size_t nmemb, void *ud)
{
	struct answer *a = ud;
	size_t n = size * nmemb;
	if (a->n + n > HX_IDV_ANSWER_MAX) {
		a->toobig = 1;
		return 0; /* stops the transfer */
	}
	memcpy(a->buf + a->n, d, n);
	a->n += n;
	a->buf[a->n] = '\0';
	return n;
}

static int unavailable(hx_err *err)
{
	return hx_err_set(err, HX_ECONFLICT, "idv_unavailable", "",
			  "实名核验服务暂时无法使用，无法完成身份核验，请稍后再试");
}

int hx_idv_check(hx_idv_result *out, const char *name, const char *id_number, const char *phone, hx_err *err)
{
	struct answer *a = NULL;
	struct curl_slist *hdr = NULL;
	char *body = NULL, auth[TOKEN_MAX + 32];
	json_t *req = NULL, *ans = NULL;
	CURL *h = NULL;
	long status = 0;
	int rc;
	memset(out, 0, sizeof *out);
	if (!g_idv.url)
		return hx_err_set(err, HX_EINVAL, "idv_not_configured", "", "未配置实名核验服务");
	if (!(req = json_pack("{s:s,s:s,s:s}", "name", name ? name : "", "id_number", id_number ? id_number : "",
			      "phone", phone ? phone : "")) ||
	    !(body = json_dumps(req, JSON_COMPACT)) || !(a = calloc(1, sizeof *a)) || !(h = curl_easy_init()) ||
	    !(hdr = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8"))) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
		goto done;
	}
	if (g_idv.token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", g_idv.token);
		struct curl_slist *h2 = curl_slist_append(hdr, auth);
		explicit_bzero(auth, sizeof auth);
		if (!h2) {
			rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
			goto done;
		}
		hdr = h2;
	}
	if (curl_easy_setopt(h, CURLOPT_URL, g_idv.url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, g_idv.timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, a) != CURLE_OK) {
		rc = unavailable(err);
		goto done;
	}
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK || status != 200 || a->toobig) {
		rc = unavailable(err);
		goto done;
	}
	ans = json_loadb(a->buf, a->n, 0, NULL);
	json_t *m = json_object_get(ans, "match"), *pv = json_object_get(ans, "provider"), *ref = json_object_get(ans, "ref");
	const char *pvs = json_string_value(pv), *refs = json_string_value(ref);
	if (!json_is_object(ans) || !json_is_boolean(m) || !pvs || !*pvs || strlen(pvs) >= sizeof out->provider ||
	    (ref && !json_is_null(ref) && (!refs || strlen(refs) >= sizeof out->ref || !printable(refs)))) {
		rc = unavailable(err);
		goto done;
	}
	for (const unsigned char *p = (const unsigned char *)pvs; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			rc = unavailable(err);
			goto done;
		}
	out->match = json_is_true(m);
	snprintf(out->provider, sizeof out->provider, "%s", pvs);
	snprintf(out->ref, sizeof out->ref, "%s", refs ? refs : "");
	rc = 0;
done:
	if (body) {
		explicit_bzero(body, strlen(body));
		free(body);
	}
	json_decref(req);
	json_decref(ans);
	curl_slist_free_all(hdr);
	if (h)
		curl_easy_cleanup(h);
	free(a);
	return rc;
}
