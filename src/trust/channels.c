/* Message channels of the trust service: the transactional outbox and its
 * delivery worker. hx_message_queue writes a row in the caller's
 * transaction; hx_messages_deliver_pending claims due rows one by one and
 * sends each through the SMS gateway (HTTP) or SMTP with libcurl, outside
 * any transaction. See channels.h for the rules; texts are stored sealed,
 * wiped from memory after use and never reach an error message or a log. */
#include "channels.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/arena.h"
#include "../core/crypto.h"
#include "../core/timeutil.h"
#include "../store/store.h"

#define PHONE_MIN 5
#define PHONE_MAX 20
#define TEMPLATE_MAX 2048 /* bytes of HEXIE_SMS_URL, HEXIE_SMS_BODY */
#define DEFAULT_SUBJECT "Hexie 通知"
#define DEFAULT_BATCH 20
#define MAX_BATCH 200

/* seconds until the next try after the n-th failed attempt (1-based) */
static const long long backoff[] = {30, 120, 600, 1800, 3600};

struct config {
	char *sms_url, *sms_body;
	char *smtp_url, *smtp_from, *smtp_from_addr, *smtp_user, *smtp_password;
};

static struct config g_cfg;
static int g_demo;

void hx_channels_set_demo(int on)
{
	g_demo = on ? 1 : 0;
}

int hx_channels_demo(void)
{
	return g_demo;
}

int hx_channels_sms_configured(void)
{
	return g_cfg.sms_url != NULL;
}

static long long sys_now(void)
{
	return (long long)hx_now_unix();
}

static long long (*g_now)(void) = sys_now;

void hx_channels_set_clock(long long (*now)(void))
{
	g_now = now ? now : sys_now;
}

/* ---- configuration ---- */

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void config_clear(struct config *c)
{
	free(c->sms_url);
	free(c->sms_body);
	free(c->smtp_url);
	free(c->smtp_from);
	free(c->smtp_from_addr);
	free(c->smtp_user);
	wipe_free(c->smtp_password);
	memset(c, 0, sizeof *c);
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* The value of an environment variable, NULL when unset or empty. */
static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int bad_config(hx_err *err, const char *var, const char *why)
{
	return hx_err_set(err, HX_EINVAL, "channel_config", var, "%s 配置无效：%s", var, why);
}

static int valid_email(const char *s);

/* The address in "Name <addr>" or "addr". */
static char *from_address(const char *from)
{
	const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	char *a = lt && gt ? strndup(lt + 1, (size_t)(gt - lt - 1)) : strdup(from);
	if (a && !valid_email(a)) {
		free(a);
		a = NULL;
	}
	return a;
}

int hx_channels_configure_from_env(hx_err *err)
{
	struct config c = {0};
	const char *v;
	int rc;
	config_clear(&g_cfg);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((v = env("HEXIE_SMS_URL"))) {
		if (strlen(v) > TEMPLATE_MAX || has_ctl(v) ||
		    (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)) {
			rc = bad_config(err, "HEXIE_SMS_URL", "须为 http:// 或 https:// 地址");
			goto done;
		}
		if (!(c.sms_url = strdup(v)))
			goto nomem;
		if ((v = env("HEXIE_SMS_BODY"))) {
			if (strlen(v) > TEMPLATE_MAX) {
				rc = bad_config(err, "HEXIE_SMS_BODY", "过长");
				goto done;
			}
			if (!(c.sms_body = strdup(v)))
				goto nomem;
		}
	} else if (env("HEXIE_SMS_BODY")) {
		rc = bad_config(err, "HEXIE_SMS_BODY", "须同时设置 HEXIE_SMS_URL");
		goto done;
	}
	if ((v = env("HEXIE_SMTP_URL"))) {
		if (strlen(v) > TEMPLATE_MAX || has_ctl(v) ||
		    (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0)) {
			rc = bad_config(err, "HEXIE_SMTP_URL", "须为 smtp:// 或 smtps:// 地址");
			goto done;
		}
		const char *from = env("HEXIE_SMTP_FROM");
		if (!from || strlen(from) > 320 || has_ctl(from) || !(c.smtp_from_addr = from_address(from))) {
			rc = bad_config(err, "HEXIE_SMTP_FROM", "须为发件人邮箱地址");
			goto done;
		}
		if (!(c.smtp_url = strdup(v)) || !(c.smtp_from = strdup(from)))
			goto nomem;
		if ((v = env("HEXIE_SMTP_USER")) && !(c.smtp_user = strdup(v)))
			goto nomem;
		if ((v = env("HEXIE_SMTP_PASSWORD")) && !(c.smtp_password = strdup(v)))
			goto nomem;
		if (!c.smtp_user != !c.smtp_password) {
			rc = bad_config(err, c.smtp_user ? "HEXIE_SMTP_PASSWORD" : "HEXIE_SMTP_USER",
					"用户名和密码须同时设置");
			goto done;
		}
	}
	g_cfg = c;
	memset(&c, 0, sizeof c);
	rc = 0;
	goto done;
nomem:
	rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
done:
	config_clear(&c);
	return rc;
}

const char *hx_channels_describe(void)
{
	if (g_cfg.smtp_url)
		return g_cfg.sms_url ? "sms-gateway+smtp" : "outbox+smtp";
	return g_cfg.sms_url ? "sms-gateway" : "outbox";
}

/* ---- queueing ---- */

static int valid_phone(const char *s)
{
	const char *d = s[0] == '+' ? s + 1 : s;
	size_t n = strlen(d);
	return n >= PHONE_MIN && n <= PHONE_MAX && strspn(d, "0123456789") == n;
}

/* A plain address local@domain: printable ASCII without spaces, quotes,
 * angle brackets or commas (nothing that could change an SMTP command or a
 * header), one '@', a dot in the domain. */
static int valid_email(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');
	if (n < 3 || n > HX_MESSAGE_RECIPIENT_MAX || !at || at == s || strchr(at + 1, '@') ||
	    !strchr(at + 1, '.') || at[1] == '.' || s[n - 1] == '.')
		return 0;
	for (const char *p = s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
			return 0;
	return 1;
}

const char *hx_message_channel(const char *recipient)
{
	if (!recipient)
		return NULL;
	if (strchr(recipient, '@'))
		return !valid_email(recipient) ? NULL : g_cfg.smtp_url ? "email" : "outbox";
	return !valid_phone(recipient) ? NULL : g_cfg.sms_url ? "sms" : "outbox";
}

/* The sealed text is bound to its recipient: a text moved to another row
 * does not open. */
static const char *text_aad(char out[HX_MESSAGE_RECIPIENT_MAX + 16], const char *recipient)
{
	snprintf(out, HX_MESSAGE_RECIPIENT_MAX + 16, "outbox.text:%s", recipient);
	return out;
}

int hx_message_text_open(char **out, const hx_keys *keys, const char *recipient, const char *stored, int sealed,
			 hx_err *err)
{
	char aad[HX_MESSAGE_RECIPIENT_MAX + 16];
	*out = NULL;
	if (!stored || !recipient)
		return hx_err_set(err, HX_EINTERNAL, "bad_message", "", "消息内容缺失");
	if (!sealed) /* a row from before migration trust/003, not yet sealed */
		return (*out = strdup(stored)) ? 0 : hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
	return hx_open(out, keys->pii, stored, text_aad(aad, recipient), err);
}

int hx_messages_seal_existing(struct hx_store *s, const hx_keys *keys, long long *n, hx_err *err)
{
	hx_arena *a = hx_arena_new();
	hx_rows *r = NULL;
	hx_db *db = NULL;
	long long done_n = 0;
	int rc;
	if (n)
		*n = 0;
	if (!a)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
	if ((rc = hx_db_get(&db, s, err)))
		goto done;
	if ((rc = hx_db_begin_write(db, err)))
		goto done;
	if ((rc = hx_db_query(db, a, &r, "SELECT id, recipient, text FROM outbox WHERE sealed = 0", NULL, 0, err)))
		goto done;
	for (int i = 0; i < r->nrows; i++) {
		char aad[HX_MESSAGE_RECIPIENT_MAX + 16], *sealed = NULL;
		const char *rcpt = hx_rows_get(r, i, "recipient");
		if ((rc = hx_seal(&sealed, keys->pii, hx_rows_get(r, i, "text"), text_aad(aad, rcpt ? rcpt : ""), err)))
			goto done;
		hx_param p[] = {hx_p_text(sealed), hx_p_int(hx_rows_int(r, i, "id"))};
		rc = hx_db_exec(db, "UPDATE outbox SET text = ?, sealed = 1 WHERE id = ? AND sealed = 0", p, 2, NULL, err);
		free(sealed);
		if (rc)
			goto done;
		done_n++;
	}
	rc = hx_db_commit(db, err);
done:
	if (db) {
		if (rc && hx_db_in_tx(db))
			hx_db_rollback(db);
		hx_db_put(db);
	}
	for (int i = 0; r && i < r->nrows; i++) {
		const char *t = hx_rows_get(r, i, "text");
		if (t)
			explicit_bzero((char *)t, strlen(t));
	}
	hx_arena_free(a);
	if (!rc && n)
		*n = done_n;
	return rc;
}

int hx_message_queue_at(hx_ctx *c, const char *recipient, const char *subject, const char *text,
			long long now, hx_err *err)
{
	const char *channel, *status;
	char aad[HX_MESSAGE_RECIPIENT_MAX + 16];
	int configured;
	if (!recipient)
		return hx_err_set(err, HX_EINVAL, "invalid_recipient", "recipient", "收件人无效");
	if (strchr(recipient, '@')) {
		if (!valid_email(recipient))
			return hx_err_set(err, HX_EINVAL, "invalid_recipient", "recipient", "电子邮箱地址无效");
		configured = g_cfg.smtp_url != NULL;
		channel = "email";
	} else {
		if (!valid_phone(recipient))
			return hx_err_set(err, HX_EINVAL, "invalid_recipient", "recipient", "手机号码无效");
		configured = g_cfg.sms_url != NULL;
		channel = "sms";
	}
	if (!text || strlen(text) > HX_MESSAGE_TEXT_MAX)
		return hx_err_set(err, HX_ETOOBIG, "message_too_long", "text", "消息内容过长（上限 %d 字节）",
				  HX_MESSAGE_TEXT_MAX);
	if (subject && strlen(subject) > HX_MESSAGE_SUBJECT_MAX)
		return hx_err_set(err, HX_ETOOBIG, "message_too_long", "subject", "邮件主题过长（上限 %d 字节）",
				  HX_MESSAGE_SUBJECT_MAX);
	if (subject && has_ctl(subject)) /* a line break would start a header */
		return hx_err_set(err, HX_EINVAL, "invalid_subject", "subject", "邮件主题不能含控制字符");
	status = configured ? "queued" : "kept";
	if (!configured)
		channel = "outbox";
	char at[21], *sealed = NULL;
	int rc;
	if ((rc = hx_seal(&sealed, c->keys->pii, text, text_aad(aad, recipient), err)))
		return rc;
	hx_iso_from_unix(at, (int64_t)now);
	hx_param p[] = {hx_p_text(channel),
			hx_p_text(recipient),
			hx_p_text(sealed),
			hx_p_text(at),
			hx_p_text(status),
			configured ? hx_p_int(now) : hx_p_null(),
			hx_p_text(subject)};
	rc = hx_db_exec(c->db,
			"INSERT INTO outbox (channel, recipient, text, created_at, status, attempts, next_try_at,"
			" subject, sealed) VALUES (?, ?, ?, ?, ?, 0, ?, ?, 1)",
			p, 7, NULL, err);
	free(sealed);
	return rc;
}

int hx_message_queue(hx_ctx *c, const char *recipient, const char *subject, const char *text,
		     hx_err *err)
{
	return hx_message_queue_at(c, recipient, subject, text, g_now(), err);
}

/* ---- growing strings (a failed allocation marks the buffer, checked once
 * at the end) ---- */

struct sbuf {
	char *p;
	size_t n, cap;
	int failed;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *q = malloc(cap);
		if (!q) {
			b->failed = 1;
			return;
		}
		if (b->p) {
			memcpy(q, b->p, b->n);
			explicit_bzero(b->p, b->cap); /* it may hold a text */
			free(b->p);
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_free(struct sbuf *b)
{
	if (b->p) {
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof *b);
}

/* RFC 3986: everything but unreserved characters percent-encoded. */
static void sb_urlenc(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p)) {
			sb_add(b, (const char *)p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			sb_add(b, e, 3);
		}
	}
}

/* The inside of a JSON string (the template holds the quotes). */
static void sb_jsonenc(struct sbuf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char e[8];
		if (*p == '"' || *p == '\\') {
			e[0] = '\\';
			e[1] = (char)*p;
			sb_add(b, e, 2);
		} else if (*p == '\n') {
			sb_str(b, "\\n");
		} else if (*p == '\r') {
			sb_str(b, "\\r");
		} else if (*p == '\t') {
			sb_str(b, "\\t");
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(e, sizeof e, "\\u%04x", *p);
			sb_str(b, e);
		} else {
			sb_add(b, (const char *)p, 1);
		}
	}
}

/* The template with {phone} and {text} replaced (one pass over the
 * template: a text holding "{phone}" stays as it is). */
static void expand(struct sbuf *b, const char *tpl, const char *phone, const char *text, int json)
{
	for (const char *p = tpl; *p;) {
		if (strncmp(p, "{phone}", 7) == 0 || strncmp(p, "{text}", 6) == 0) {
			int is_phone = p[1] == 'p';
			const char *v = is_phone ? phone : text;
			if (json)
				sb_jsonenc(b, v);
			else
				sb_urlenc(b, v);
			p += is_phone ? 7 : 6;
		} else {
			const char *q = strchr(p + 1, '{');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			sb_add(b, p, n);
			p += n;
		}
	}
}

/* ---- sending ---- */

static size_t discard(char *d, size_t size, size_t nmemb, void *ud)
{
	(void)d;
	(void)ud;
	return size * nmemb;
}

/* A short reason for the row's error column: curl's generic message, and
 * the server's status; never the URL (it holds the text) or the text. */
static void reason(char out[128], CURLcode cc, const char *what, long status)
{
	if (cc != CURLE_OK)
		snprintf(out, 128, "%s: %s", what, curl_easy_strerror(cc));
	else
		snprintf(out, 128, "%s: status %ld", what, status);
}

static int common_opts(CURL *h)
{
	return curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	       curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)HX_MESSAGE_TIMEOUT_MS) == CURLE_OK &&
	       curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard) == CURLE_OK;
}

static int send_sms(const char *phone, const char *text, char why[128])
{
	struct sbuf url = {0}, body = {0};
	struct curl_slist *hdr = NULL;
	CURL *h = curl_easy_init();
	long status = 0;
	int json = g_cfg.sms_body && g_cfg.sms_body[0] == '{', ok = 0;
	expand(&url, g_cfg.sms_url, phone, text, 0);
	if (g_cfg.sms_body)
		expand(&body, g_cfg.sms_body, phone, text, json);
	if (!h || url.failed || body.failed) {
		snprintf(why, 128, "sms: out of memory");
		goto done;
	}
	if (g_cfg.sms_body) {
		hdr = curl_slist_append(NULL, json ? "Content-Type: application/json; charset=utf-8"
						  : "Content-Type: application/x-www-form-urlencoded");
		if (!hdr || curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr) != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.p) != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body.n) != CURLE_OK) {
			snprintf(why, 128, "sms: client setup failed");
			goto done;
		}
	}
	if (!common_opts(h) || curl_easy_setopt(h, CURLOPT_URL, url.p) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
		snprintf(why, 128, "sms: client setup failed");
		goto done;
	}
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	ok = cc == CURLE_OK && status >= 200 && status < 300;
	if (!ok)
		reason(why, cc, "sms gateway", status);
done:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	sb_free(&url);
	sb_free(&body);
	return ok;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_msg(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t n = size * nmemb < u->left ? size * nmemb : u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* base64 of s, lines of 76 characters (RFC 2045). */
static void sb_b64_lines(struct sbuf *b, const char *s)
{
	char *e = hx_b64_encode(s, strlen(s));
	if (!e) {
		b->failed = 1;
		return;
	}
	size_t n = strlen(e);
	for (size_t i = 0; i < n; i += 76) {
		sb_add(b, e + i, n - i < 76 ? n - i : 76);
		sb_str(b, "\r\n");
	}
	explicit_bzero(e, n);
	free(e);
}

/* The subject as RFC 2047 encoded words of at most 45 bytes each (75
 * characters encoded), cut between UTF-8 characters, folded. */
static void sb_subject(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	sb_str(b, "Subject:");
	for (size_t i = 0; i < n;) {
		size_t k = n - i < 45 ? n - i : 45;
		while (k < n - i && k > 0 && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k--; /* do not split a character */
		char *e = hx_b64_encode(s + i, k);
		if (!e) {
			b->failed = 1;
			return;
		}
		sb_str(b, i ? "\r\n =?UTF-8?B?" : " =?UTF-8?B?");
		sb_str(b, e);
		sb_str(b, "?=");
		free(e);
		i += k;
	}
	sb_str(b, "\r\n");
}

static void make_mail(struct sbuf *m, const char *to, const char *subject, const char *text)
{
	char date[64], id[33];
	time_t t = (time_t)g_now();
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (hx_token(id, 16))
		snprintf(id, sizeof id, "%lld", (long long)t);
	sb_str(m, "Date: ");
	sb_str(m, date);
	sb_str(m, "\r\nFrom: ");
	sb_str(m, g_cfg.smtp_from);
	sb_str(m, "\r\nTo: <");
	sb_str(m, to);
	sb_str(m, ">\r\nMessage-ID: <");
	sb_str(m, id);
	sb_str(m, "@hexie>\r\n");
	sb_subject(m, subject && *subject ? subject : DEFAULT_SUBJECT);
	sb_str(m, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\n");
	sb_b64_lines(m, text);
}

static int send_email(const char *to, const char *subject, const char *text, char why[128])
{
	struct sbuf msg = {0}, from = {0}, rcpt = {0};
	struct curl_slist *rcpts = NULL;
	CURL *h = curl_easy_init();
	long status = 0;
	int ok = 0;
	make_mail(&msg, to, subject, text);
	sb_str(&from, "<");
	sb_str(&from, g_cfg.smtp_from_addr);
	sb_str(&from, ">");
	sb_str(&rcpt, "<");
	sb_str(&rcpt, to);
	sb_str(&rcpt, ">");
	if (!h || msg.failed || from.failed || rcpt.failed || !(rcpts = curl_slist_append(NULL, rcpt.p))) {
		snprintf(why, 128, "smtp: out of memory");
		goto done;
	}
	struct upload up = {msg.p, msg.n};
	/* smtp:// takes STARTTLS when the server offers it, and insists on it
	 * before sending a password; smtps:// is TLS from the start */
	long tls = g_cfg.smtp_password ? CURLUSESSL_ALL : CURLUSESSL_TRY;
	if (!common_opts(h) || curl_easy_setopt(h, CURLOPT_URL, g_cfg.smtp_url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USE_SSL, tls) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.p) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_msg) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READDATA, &up) != CURLE_OK ||
	    (g_cfg.smtp_user && (curl_easy_setopt(h, CURLOPT_USERNAME, g_cfg.smtp_user) != CURLE_OK ||
				 curl_easy_setopt(h, CURLOPT_PASSWORD, g_cfg.smtp_password) != CURLE_OK))) {
		snprintf(why, 128, "smtp: client setup failed");
		goto done;
	}
	CURLcode cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	ok = cc == CURLE_OK;
	if (!ok)
		reason(why, cc, "smtp", status);
done:
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(h);
	sb_free(&msg);
	sb_free(&from);
	sb_free(&rcpt);
	return ok;
}

static int deliver_one(const char *channel, const char *recipient, const char *subject, const char *text,
		       char why[128])
{
	if (strcmp(channel, "sms") == 0) {
		if (!g_cfg.sms_url) {
			snprintf(why, 128, "sms gateway not configured");
			return 0;
		}
		return send_sms(recipient, text, why);
	}
	if (strcmp(channel, "email") == 0) {
		if (!g_cfg.smtp_url) {
			snprintf(why, 128, "smtp not configured");
			return 0;
		}
		return send_email(recipient, subject, text, why);
	}
	snprintf(why, 128, "unknown channel");
	return 0;
}

static long long backoff_after(long long attempt)
{
	size_t n = sizeof backoff / sizeof backoff[0];
	return backoff[attempt < 1 ? 0 : (size_t)attempt > n ? n - 1 : (size_t)attempt - 1];
}

/* Runs one statement on a connection taken for it alone (autocommit). */
static int exec_one(hx_store *s, const char *sql, const hx_param *p, int np, long long *changes, hx_err *err)
{
	hx_db *db;
	int rc = hx_db_get(&db, s, err);
	if (rc)
		return rc;
	rc = hx_db_exec(db, sql, p, np, changes, err);
	hx_db_put(db);
	return rc;
}

int hx_messages_deliver_pending(struct hx_store *s, const hx_keys *keys, int max, hx_err *err)
{
	hx_arena *a = hx_arena_new();
	hx_rows *r = NULL;
	hx_db *db = NULL;
	int rc, done_n = 0;
	if (max <= 0)
		max = DEFAULT_BATCH;
	if (max > MAX_BATCH)
		max = MAX_BATCH;
	long long now = g_now();
	hx_param q[] = {hx_p_int(now), hx_p_int(max)};
	if ((rc = hx_db_get(&db, s, err)))
		goto done;
	rc = hx_db_query(db, a, &r,
			 "SELECT id, channel, recipient, subject, text, sealed, attempts FROM outbox"
			 " WHERE status = 'queued' AND next_try_at <= ? ORDER BY next_try_at, id LIMIT ?",
			 q, 2, err);
	hx_db_put(db); /* no connection is held while sending */
	if (rc)
		goto done;
	for (int i = 0; i < r->nrows; i++) {
		long long id = hx_rows_int(r, i, "id"), attempts = hx_rows_int(r, i, "attempts");
		long long n = attempts + 1, changes = 0;
		char why[128] = "", at[21];
		/* the claim: only one worker moves the row from this state */
		hx_param c[] = {hx_p_int(now + backoff_after(n)), hx_p_int(id), hx_p_int(attempts), hx_p_int(now)};
		if ((rc = exec_one(s,
				   "UPDATE outbox SET attempts = attempts + 1, next_try_at = ? WHERE id = ?"
				   " AND status = 'queued' AND attempts = ? AND next_try_at <= ?",
				   c, 4, &changes, err)))
			goto done;
		if (changes != 1)
			continue; /* another worker has it */
		char *text = NULL;
		hx_err oe = {0};
		int ok = 0, unreadable = hx_message_text_open(&text, keys, hx_rows_get(r, i, "recipient"),
							      hx_rows_get(r, i, "text"),
							      (int)hx_rows_int(r, i, "sealed"), &oe) != 0;
		if (unreadable)
			snprintf(why, sizeof why, "text cannot be opened (wrong key?)");
		else
			ok = deliver_one(hx_rows_get(r, i, "channel"), hx_rows_get(r, i, "recipient"),
					 hx_rows_get(r, i, "subject"), text, why);
		if (text) {
			explicit_bzero(text, strlen(text));
			free(text);
		}
		long long after = g_now();
		if (ok) {
			hx_iso_from_unix(at, (int64_t)after);
			hx_param u[] = {hx_p_text(at), hx_p_int(id), hx_p_int(n)};
			rc = exec_one(s,
				      "UPDATE outbox SET status = 'sent', sent_at = ?, error = NULL, next_try_at = NULL"
				      " WHERE id = ? AND status = 'queued' AND attempts = ?",
				      u, 3, NULL, err);
		} else if (n >= HX_MESSAGE_MAX_ATTEMPTS || unreadable) {
			hx_param u[] = {hx_p_text(why), hx_p_int(id), hx_p_int(n)};
			rc = exec_one(s,
				      "UPDATE outbox SET status = 'failed', error = ?, next_try_at = NULL"
				      " WHERE id = ? AND status = 'queued' AND attempts = ?",
				      u, 3, NULL, err);
		} else {
			hx_param u[] = {hx_p_text(why), hx_p_int(after + backoff_after(n)), hx_p_int(id), hx_p_int(n)};
			rc = exec_one(s,
				      "UPDATE outbox SET error = ?, next_try_at = ?"
				      " WHERE id = ? AND status = 'queued' AND attempts = ?",
				      u, 4, NULL, err);
		}
		if (rc)
			goto done;
		done_n++;
	}
	rc = done_n;
done:
	/* the texts were copied into the arena: wipe them before it goes */
	for (int i = 0; r && i < r->nrows; i++) {
		const char *t = hx_rows_get(r, i, "text");
		if (t)
			explicit_bzero((char *)t, strlen(t));
	}
	hx_arena_free(a);
	return rc;
}
