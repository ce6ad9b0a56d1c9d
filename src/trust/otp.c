/* One-time codes (验证码) of the trust service: making, sending, checking
 * them, and the outbox that is the default channel. See otp.h for the
 * rules; this file keeps the code in clear only in local buffers that are
 * wiped before returning. */
#include "otp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/arena.h"
#include "../core/crypto.h"
#include "../core/timeutil.h"
#include "../store/store.h"
#include "channels.h"

#define PHONE_MIN 5
#define PHONE_MAX 20

static long long sys_now(void)
{
	return (long long)hx_now_unix();
}

static int outbox_send(void *ctx, hx_ctx *c, const char *phone, const char *text, hx_err *err);

static long long (*g_now)(void) = sys_now;
static hx_otp_channel g_channel = {outbox_send, NULL};

void hx_otp_set_channel(const hx_otp_channel *ch)
{
	if (ch && ch->send)
		g_channel = *ch;
	else
		g_channel = (hx_otp_channel){outbox_send, NULL};
}

void hx_otp_set_clock(long long (*now)(void))
{
	g_now = now ? now : sys_now;
}

/* The default channel: the transactional outbox (channels.h), delivered
 * by the SMS gateway when one is configured, else kept for admins. */
static int outbox_send(void *ctx, hx_ctx *c, const char *phone, const char *text, hx_err *err)
{
	(void)ctx;
	/* with no SMS gateway a code would only wait in the outbox, which is
	 * shown in demo mode alone: for real, nobody could receive it */
	if (!hx_channels_sms_configured() && !hx_channels_demo())
		return hx_err_set(err, HX_ECONFLICT, "sms_unavailable", "",
				  "平台未配置短信通道，无法发送验证码，请联系管理员");
	return hx_message_queue_at(c, phone, NULL, text, g_now(), err);
}

/* ---- input checks ---- */

static int check_key(const char *purpose, const char *subject, hx_err *err)
{
	size_t n = purpose ? strlen(purpose) : 0;
	if (n == 0 || n > HX_OTP_PURPOSE_MAX ||
	    strspn(purpose, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return hx_err_set(err, HX_EINVAL, "invalid_purpose", "purpose", "验证码用途无效");
	n = subject ? strlen(subject) : 0;
	if (n == 0 || n > HX_OTP_SUBJECT_MAX)
		return hx_err_set(err, HX_EINVAL, "invalid_subject", "subject", "验证码对象无效");
	for (const char *s = subject; *s; s++)
		if (*s < 0x21 || *s > 0x7e || *s == '|')
			return hx_err_set(err, HX_EINVAL, "invalid_subject", "subject", "验证码对象无效");
	return 0;
}

static int check_phone(const char *phone, hx_err *err)
{
	const char *d = phone && phone[0] == '+' ? phone + 1 : phone;
	size_t n = d ? strlen(d) : 0;
	if (n < PHONE_MIN || n > PHONE_MAX || strspn(d, "0123456789") != n)
		return hx_err_set(err, HX_EINVAL, "invalid_phone", "phone", "手机号码无效");
	return 0;
}

/* The template must hold exactly one "%s"; it is never used as a printf
 * format (a stray %n or %d in it is just text). *at gets its offset. */
static int check_template(const char *t, size_t *at, hx_err *err)
{
	const char *p = t ? strstr(t, "%s") : NULL;
	if (!p || strlen(t) > HX_OTP_TEMPLATE_MAX || strstr(p + 2, "%s"))
		return hx_err_set(err, HX_EINVAL, "invalid_template", "text_template",
				  "短信模板须含且仅含一处 %%s");
	*at = (size_t)(p - t);
	return 0;
}

/* ---- codes ---- */

/* A uniform six-digit code (rejection sampling: 4294000000 is the largest
 * multiple of 10^6 below 2^32). */
static int make_code(char out[HX_OTP_DIGITS + 1])
{
	uint32_t v;
	do {
		if (hx_random(&v, sizeof v))
			return -1;
	} while (v >= 4294000000u);
	v %= 1000000u;
	for (int i = HX_OTP_DIGITS - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[HX_OTP_DIGITS] = '\0';
	return 0;
}

static void code_hash(char out[65], const hx_ctx *c, const char *purpose, const char *subject,
		      const char *code)
{
	char buf[HX_OTP_PURPOSE_MAX + HX_OTP_SUBJECT_MAX + HX_OTP_DIGITS + 3];
	size_t np = strlen(purpose), ns = strlen(subject), nc = strlen(code);
	memcpy(buf, purpose, np);
	buf[np] = '|';
	memcpy(buf + np + 1, subject, ns);
	buf[np + 1 + ns] = '|';
	memcpy(buf + np + ns + 2, code, nc);
	hx_hmac_hex(out, c->keys->misc, buf, np + ns + 2 + nc);
	explicit_bzero(buf, sizeof buf);
}

static int is_code(const char *s)
{
	return s && strlen(s) == HX_OTP_DIGITS && strspn(s, "0123456789") == HX_OTP_DIGITS;
}

int hx_otp_send(hx_ctx *c, const char *purpose, const char *subject, const char *phone,
		const char *text_template, hx_err *err)
{
	char code[HX_OTP_DIGITS + 1] = "", hash[65];
	char *text = NULL;
	size_t at = 0;
	int rc;
	if ((rc = check_key(purpose, subject, err)) || (rc = check_phone(phone, err)) ||
	    (rc = check_template(text_template, &at, err)))
		return rc;

	long long now = g_now(), changes = 0;
	hx_rows *r;
	hx_param k[] = {hx_p_text(purpose), hx_p_text(subject)};
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT id, sent_at FROM otp_codes WHERE purpose = ? AND subject = ?", k, 2, err)))
		return rc;
	if (r->nrows) {
		long long wait = hx_rows_int(r, 0, "sent_at") + HX_OTP_RESEND - now;
		if (wait > 0)
			return hx_err_set(err, HX_ETHROTTLE, "resend_too_soon", "",
					  "验证码发送过于频繁，请%lld秒后再试", wait);
	}

	if (make_code(code)) {
		rc = hx_err_set(err, HX_EINTERNAL, "random", "", "no randomness");
		goto done;
	}
	code_hash(hash, c, purpose, subject, code);
	if (r->nrows) {
		/* the sent_at condition keeps a concurrent send from slipping in */
		hx_param u[] = {hx_p_text(hash), hx_p_int(now), hx_p_int(now + HX_OTP_TTL),
				hx_p_int(hx_rows_int(r, 0, "id")), hx_p_int(now - HX_OTP_RESEND)};
		rc = hx_db_exec(c->db,
				"UPDATE otp_codes SET code_hash = ?, sent_at = ?, expires_at = ?, failures = 0,"
				" used = 0 WHERE id = ? AND sent_at <= ?",
				u, 5, &changes, err);
	} else {
		hx_param i[] = {hx_p_text(purpose), hx_p_text(subject), hx_p_text(hash), hx_p_int(now),
				hx_p_int(now + HX_OTP_TTL)};
		rc = hx_db_exec(c->db,
				"INSERT INTO otp_codes (purpose, subject, code_hash, sent_at, expires_at, failures, used)"
				" VALUES (?, ?, ?, ?, ?, 0, 0)",
				i, 5, &changes, err);
	}
	if (rc == HX_ECONFLICT || (!rc && changes != 1)) {
		rc = hx_err_set(err, HX_ETHROTTLE, "resend_too_soon", "", "验证码发送过于频繁，请稍后再试");
		goto done;
	}
	if (rc)
		goto done;

	size_t tlen = strlen(text_template);
	text = malloc(tlen - 2 + HX_OTP_DIGITS + 1);
	if (!text) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
		goto done;
	}
	memcpy(text, text_template, at);
	memcpy(text + at, code, HX_OTP_DIGITS);
	memcpy(text + at + HX_OTP_DIGITS, text_template + at + 2, tlen - at - 2 + 1);
	rc = g_channel.send(g_channel.ctx, c, phone, text, err);
done:
	explicit_bzero(code, sizeof code);
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	return rc;
}

int hx_otp_verify(hx_ctx *c, const char *purpose, const char *subject, const char *code,
		  hx_err *err)
{
	int rc;
	if ((rc = check_key(purpose, subject, err)))
		return rc;
	long long now = g_now(), changes = 0;
	hx_rows *r;
	hx_param k[] = {hx_p_text(purpose), hx_p_text(subject)};
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT id, code_hash, expires_at, failures, used FROM otp_codes"
			      " WHERE purpose = ? AND subject = ?",
			      k, 2, err)))
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "no_code", "code", "请先获取验证码");
	long long id = hx_rows_int(r, 0, "id");
	long long failures = hx_rows_int(r, 0, "failures");
	if (hx_rows_int(r, 0, "used"))
		return hx_err_set(err, HX_EINVAL, "code_used", "code", "验证码已使用，请重新获取");
	if (failures >= HX_OTP_MAX_TRIES)
		return hx_err_set(err, HX_EPERM, "code_locked", "code", "验证码错误次数过多，请重新获取");
	if (now >= hx_rows_int(r, 0, "expires_at"))
		return hx_err_set(err, HX_EINVAL, "code_expired", "code", "验证码已过期，请重新获取");

	char hash[65] = "";
	if (is_code(code))
		code_hash(hash, c, purpose, subject, code);
	const char *want = hx_rows_get(r, 0, "code_hash");
	if (hash[0] && want && hx_ct_equal(hash, want)) {
		/* the conditions make a concurrent verify or lock win at most once */
		hx_param u[] = {hx_p_int(id), hx_p_int(HX_OTP_MAX_TRIES), hx_p_int(now)};
		if ((rc = hx_db_exec(c->db,
				     "UPDATE otp_codes SET used = 1 WHERE id = ? AND used = 0 AND failures < ?"
				     " AND expires_at > ?",
				     u, 3, &changes, err)))
			return rc;
		if (changes != 1)
			return hx_err_set(err, HX_EINVAL, "code_used", "code", "验证码已使用，请重新获取");
		return 0;
	}

	/* a malformed code counts as a wrong try too */
	hx_param u[] = {hx_p_int(id), hx_p_int(HX_OTP_MAX_TRIES)};
	if ((rc = hx_db_exec(c->db, "UPDATE otp_codes SET failures = failures + 1 WHERE id = ? AND failures < ?",
			     u, 2, NULL, err)))
		return rc;
	hx_param q[] = {hx_p_int(id)};
	if ((rc = hx_db_int(c->db, &failures, "SELECT failures FROM otp_codes WHERE id = ?", q, 1, err)))
		return rc;
	if (failures >= HX_OTP_MAX_TRIES)
		return hx_err_set(err, HX_EPERM, "code_locked", "code", "验证码错误次数过多，请重新获取");
	return hx_err_set(err, HX_EINVAL, "wrong_code", "code", "验证码错误，还可尝试%lld次",
			  HX_OTP_MAX_TRIES - failures);
}

int hx_otp_outbox_list(json_t **out, hx_ctx *c, int limit, hx_err *err)
{
	*out = NULL;
	if (limit <= 0)
		limit = 50;
	if (limit > 500)
		limit = 500;
	hx_rows *r;
	hx_param p[] = {hx_p_int(limit)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, channel, recipient, subject, text, sealed, created_at, status, attempts, error,"
			     " sent_at FROM outbox ORDER BY id DESC LIMIT ?",
			     p, 1, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; items && i < r->nrows; i++) {
		char *text = NULL;
		hx_err oe = {0};
		/* a row that does not open (another key) is listed without its text */
		if (hx_message_text_open(&text, c->keys, hx_rows_get(r, i, "recipient"), hx_rows_get(r, i, "text"),
					 (int)hx_rows_int(r, i, "sealed"), &oe))
			text = NULL;
		json_t *it = json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s,s:s,s:I,s:s?,s:s?}", "id",
				       (json_int_t)hx_rows_int(r, i, "id"), "channel", hx_rows_get(r, i, "channel"),
				       "recipient", hx_rows_get(r, i, "recipient"), "subject",
				       hx_rows_get(r, i, "subject"), "text", text ? text : "（无法解密）", "created_at",
				       hx_rows_get(r, i, "created_at"), "status", hx_rows_get(r, i, "status"),
				       "attempts", (json_int_t)hx_rows_int(r, i, "attempts"), "error",
				       hx_rows_get(r, i, "error"), "sent_at", hx_rows_get(r, i, "sent_at"));
		if (text) {
			explicit_bzero(text, strlen(text));
			free(text);
		}
		if (!it || json_array_append_new(items, it)) {
			json_decref(items);
			items = NULL;
		}
	}
	*out = items ? json_pack("{s:o}", "items", items) : NULL;
	return *out ? 0 : hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
}
