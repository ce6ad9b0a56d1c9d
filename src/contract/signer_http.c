/* HTTP handlers of the worker's side of a contract, with no account: the
 * link's token is the key to one contract. The worker proves who they are
 * (name and ID number as on the roster, checked with the real-name
 * provider when one is configured, then a one-time code to the phone the
 * contract was sent to — frozen at sending, never the roster's current
 * one), reads the contract, confirms intent with a second code, gets a
 * certificate for the key their browser made, and signs. A phone on which
 * the person confirmed a code is bound to them: the worker portal (/my)
 * sends its login code only to a bound phone and lists the person's
 * contracts sent to that phone — a roster row typed by any employer opens
 * nothing. A signer's session is the cookie hx_signer (HttpOnly,
 * SameSite=Strict), confirmed only by the code; state-changing requests
 * from another origin are refused. Every step is evidence. */
#include "contract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/json.h"
#include "../core/timeutil.h"
#include "../http/http.h"
#include "../trust/channels.h"
#include "../trust/idv.h"

#define SIGNER_COOKIE "hx_signer"
#define IDENTITY_TRIES 5
#define IDENTITY_LOCK 900

/* ---- the signer's session ---- */

static const char *signer_cookie(hx_req *r)
{
	const char *h = hx_req_header(r, "Cookie");
	if (!h)
		return NULL;
	const char *p = h;
	size_t n = strlen(SIGNER_COOKIE);
	while ((p = strstr(p, SIGNER_COOKIE "=")) != NULL) {
		if (p == h || p[-1] == ' ' || p[-1] == ';') {
			p += n + 1;
			size_t l = strcspn(p, "; ");
			return l >= 16 && l <= 128 ? hx_arena_strndup(r->ctx.arena, p, l) : NULL;
		}
		p += n;
	}
	return NULL;
}

static void set_signer_cookie(hx_req *r, const char *tok, int max_age)
{
	const hx_server_config *cfg = hx_server_cfg(r->srv);
	r->set_cookie = hx_arena_printf(r->ctx.arena, SIGNER_COOKIE "=%s; Path=/api/v1/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
					tok, max_age, cfg->secure_cookie ? "; Secure" : "");
}

/* A state change must come from our own pages: the Origin, when the
 * browser sends one, names this host. */
static int same_origin(hx_req *r, hx_err *err)
{
	const char *o = hx_req_header(r, "Origin"), *host = hx_req_header(r, "Host");
	if (!o || !host)
		return 0;
	const char *p = strstr(o, "://");
	if (p && strcmp(p + 3, host) == 0)
		return 0;
	return hx_err_set(err, HX_EPERM, "csrf", "", "请求来源不正确");
}

typedef struct signer {
	const char *token_hash, *holder, *read_at, *intent_at, *phone;
	long long contract_id;
	int confirmed;
} signer;

static int session_get(signer *out, hx_req *r, hx_err *err)
{
	const char *tok = signer_cookie(r);
	if (!tok)
		return hx_err_set(err, HX_EAUTH, "identity_required", "", "请先核验身份");
	char h[65];
	hx_hmac_hex(h, r->ctx.keys->misc, tok, strlen(tok));
	hx_rows *rows;
	hx_param p[] = {hx_p_text(h), hx_p_int(hx_now_unix())};
	int rc = hx_db_query(r->ctx.db, r->ctx.arena, &rows,
			     "SELECT token_hash, contract_id, holder, read_at, intent_at, confirmed, phone FROM signer_sessions"
			     " WHERE token_hash = ? AND expires_at > ?",
			     p, 2, err);
	if (rc)
		return rc;
	if (rows->nrows != 1)
		return hx_err_set(err, HX_EAUTH, "identity_required", "", "身份核验已过期，请重新核验");
	out->token_hash = hx_rows_get(rows, 0, "token_hash");
	out->contract_id = hx_rows_int(rows, 0, "contract_id");
	out->holder = hx_rows_get(rows, 0, "holder");
	out->read_at = hx_rows_get(rows, 0, "read_at");
	out->intent_at = hx_rows_get(rows, 0, "intent_at");
	out->confirmed = (int)hx_rows_int(rows, 0, "confirmed");
	out->phone = hx_rows_get(rows, 0, "phone");
	return 0;
}

/* The session must be confirmed and be for this contract (its link) or
 * for its worker (the portal). */
static int session_for(signer *s, hx_req *r, const hx_contract_row *k, hx_err *err)
{
	int rc = session_get(s, r, err);
	if (rc)
		return rc;
	if (!s->confirmed)
		return hx_err_set(err, HX_EAUTH, "identity_required", "", "请先完成验证码核验");
	/* another person's contract does not exist for this signer; the same
	 * person (proven on another of their contracts or in the portal) may
	 * go on */
	if (strcmp(s->holder, k->worker_id_hash) != 0)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "链接无效或已失效");
	/* a session proven on another contract or in the portal goes on only
	 * where the same phone was used: a phone an employer typed for this
	 * person on its own contract opens nothing sent elsewhere */
	if (s->contract_id != k->id && (!s->phone || !k->worker_phone || strcmp(s->phone, k->worker_phone) != 0))
		return hx_err_set(err, HX_EAUTH, "identity_required", "", "请先核验身份");
	return 0;
}

/* phone: where the session's code went (the contract's frozen phone, or
 * the bound phone of a portal login). */
static int session_new(hx_req *r, long long contract_id, const char *holder, const char *phone, hx_err *err)
{
	char tok[49], h[65], now[21];
	hx_token(tok, 24);
	hx_hmac_hex(h, r->ctx.keys->misc, tok, strlen(tok));
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(h), contract_id ? hx_p_int(contract_id) : hx_p_null(), hx_p_text(holder), hx_p_text(now),
			hx_p_int(hx_now_unix() + HX_SIGNER_TTL), hx_p_text(phone)};
	int rc = hx_db_exec(r->ctx.db,
			    "INSERT INTO signer_sessions (token_hash, contract_id, holder, created_at, expires_at, phone)"
			    " VALUES (?, ?, ?, ?, ?, ?)",
			    p, 6, NULL, err);
	if (!rc)
		set_signer_cookie(r, tok, HX_SIGNER_TTL);
	return rc;
}

/* The device the step came from, for the evidence. */
static json_t *device(hx_req *r, json_t *o)
{
	const char *ua = hx_req_header(r, "User-Agent");
	json_object_set_new(o, "ip", json_string(r->ctx.ip ? r->ctx.ip : ""));
	json_object_set_new(o, "user_agent", json_string(ua ? hx_arena_strndup(r->ctx.arena, ua, 200) : ""));
	return o;
}

static const char *worker_actor(hx_req *r, const hx_contract_row *k)
{
	return hx_arena_printf(r->ctx.arena, "worker:%lld", k->worker_id);
}

/* ---- throttling wrong identities ---- */

static int identity_locked(hx_req *r, const char *key, hx_err *err)
{
	long long until = 0;
	hx_param p[] = {hx_p_text(key)};
	int rc = hx_db_int(r->ctx.db, &until, "SELECT COALESCE(MAX(locked_until), 0) FROM signer_attempts WHERE key = ?", p,
			   1, err);
	if (rc)
		return rc;
	if (until > hx_now_unix())
		return hx_err_set(err, HX_ETHROTTLE, "identity_locked", "", "身份信息错误次数过多，请%lld分钟后再试",
				  (until - hx_now_unix()) / 60 + 1);
	return 0;
}

static int identity_failed_as(hx_req *r, const char *key, const char *code, const char *field, const char *what,
			      hx_err *err)
{
	long long now = hx_now_unix(), n = 0;
	hx_param p[] = {hx_p_text(key), hx_p_int(now)};
	int rc = hx_db_exec(r->ctx.db,
			    "INSERT INTO signer_attempts (key, failures, locked_until, updated_at) VALUES (?, 1, 0, ?)"
			    " ON CONFLICT (key) DO UPDATE SET failures = signer_attempts.failures + 1,"
			    " updated_at = excluded.updated_at",
			    p, 2, NULL, err);
	hx_param q[] = {hx_p_text(key)};
	if (!rc)
		rc = hx_db_int(r->ctx.db, &n, "SELECT failures FROM signer_attempts WHERE key = ?", q, 1, err);
	if (!rc && n >= IDENTITY_TRIES) {
		hx_param s[] = {hx_p_int(now + IDENTITY_LOCK), hx_p_text(key)};
		rc = hx_db_exec(r->ctx.db, "UPDATE signer_attempts SET locked_until = ?, failures = 0 WHERE key = ?", s, 2,
				NULL, err);
		r->commit_anyway = 1;
		return rc ? rc
			  : hx_err_set(err, HX_ETHROTTLE, "identity_locked", "", "身份信息错误次数过多，请%d分钟后再试",
				       IDENTITY_LOCK / 60);
	}
	r->commit_anyway = 1;
	return rc ? rc : hx_err_set(err, HX_EINVAL, code, field, "%s（还可尝试%lld次）", what, IDENTITY_TRIES - n);
}

static int identity_failed(hx_req *r, const char *key, hx_err *err)
{
	return identity_failed_as(r, key, "identity_mismatch", "id_number", "姓名或身份证号码与用人单位登记的信息不一致",
				  err);
}

/* Binds phone to the person: they have just confirmed a code sent to it
 * for their own contract. The portal's login code goes only to such a
 * phone. */
static int bind_phone(hx_req *r, const char *holder, const char *phone, long long contract_id, hx_err *err)
{
	if (!phone || !*phone)
		return 0;
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(holder), hx_p_text(phone), hx_p_int(contract_id), hx_p_text(now)};
	return hx_db_exec(r->ctx.db,
			  "INSERT INTO signer_phones (holder, phone, contract_id, bound_at) VALUES (?, ?, ?, ?)"
			  " ON CONFLICT (holder, phone) DO UPDATE SET contract_id = excluded.contract_id,"
			  " bound_at = excluded.bound_at",
			  p, 4, NULL, err);
}

static void identity_ok(hx_req *r, const char *key)
{
	hx_param p[] = {hx_p_text(key)};
	hx_err e = {0};
	hx_db_exec(r->ctx.db, "DELETE FROM signer_attempts WHERE key = ?", p, 1, NULL, &e);
}

static const char *phone_hint(hx_arena *a, const char *phone)
{
	size_t n = phone ? strlen(phone) : 0;
	return n >= 7 ? hx_arena_printf(a, "%.3s****%s", phone, phone + n - 4) : "";
}

static int begin_write(hx_req *r, hx_err *err)
{
	return hx_db_begin_write(r->ctx.db, err);
}

/* ---- the link ---- */

static int load_link(hx_contract_row *k, hx_req *r, hx_err *err)
{
	int rc = hx_contract_by_link(k, &r->ctx, r->params[0], err);
	/* a draft is not sent yet: same answer as an unknown link */
	if (!rc && strcmp(k->status, "draft") == 0)
		rc = hx_err_set(err, HX_ENOTFOUND, "not_found", "", "链接无效或已失效");
	return rc;
}

static const char *stage_of(hx_req *r, const hx_contract_row *k)
{
	signer s;
	hx_err e = {0};
	if (!hx_contract_needs(k, "worker") || (strcmp(k->status, "sent") != 0 && strcmp(k->status, "signing") != 0))
		return "done";
	if (session_for(&s, r, k, &e))
		return "identity";
	if (!s.read_at)
		return "read";
	if (!s.intent_at)
		return "intent";
	return "sign";
}

static int h_link(hx_req *r)
{
	hx_contract_row k;
	hx_err err = {0};
	if (load_link(&k, r, &err))
		return hx_req_fail(r, &err);
	const hx_template *t = NULL;
	hx_template_find(&t, hx_cenv.templates, k.template_id, NULL);
	const char *turn = hx_contract_turn(&k);
	signer s;
	hx_err e2 = {0};
	int identified = session_for(&s, r, &k, &e2) == 0;
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s?,s:b,s:b,s:s?}", "enterprise", k.enterprise_name, "title",
			      t ? t->title : "劳动合同", "status", k.status, "stage", stage_of(r, &k), "pending", k.pending,
			      "turn", turn, "identified", identified, "worker_signs", hx_contract_needs(&k, "worker") ||
							       k.worker_signed_at != NULL,
			      "phone_hint", identified ? phone_hint(r->ctx.arena, k.worker_phone) : NULL);
	if (identified) {
		json_object_set_new(o, "worker_name", json_string(k.worker_name));
		json_object_set_new(o, "sha256", json_string(k.doc_sha256));
		json_object_set_new(o, "worker_signed_at", k.worker_signed_at ? json_string(k.worker_signed_at) : json_null());
		json_object_set_new(o, "enterprise_signed_at",
				    k.enterprise_signed_at ? json_string(k.enterprise_signed_at) : json_null());
		json_object_set_new(o, "contract_id", json_integer(k.id));
	}
	/* how the person is verified, said plainly on the page */
	json_object_set_new(o, "identity_method", json_string(hx_idv_method_text()));
	return hx_req_json(r, 200, o);
}

/* Runs without a transaction: the real-name provider is asked over the
 * network between a read of the link and the write of the outcome, so no
 * write lock is held while it answers. */
static int h_identity(hx_req *r)
{
	static const char *const allowed[] = {"name", "id_number", NULL};
	hx_contract_row k;
	hx_err err = {0}, idv_err = {0};
	json_t *b;
	const char *name, *idn;
	hx_idv_result idv;
	int asked = 0, idv_rc = 0, rc;
	if (same_origin(r, &err))
		return hx_req_fail(r, &err);
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&name, NULL, b, "name", "姓名", 1, 50, &err) ||
	    hx_json_get_str(&idn, NULL, b, "id_number", "身份证号码", 1, 18, &err))
		return hx_req_fail(r, &err);
	char h[65];
	hx_hmac_hex(h, r->ctx.keys->pii_index, idn, strlen(idn));
	const char *key = NULL;
	int match = 0;
	if (hx_db_begin_read(r->ctx.db, &err))
		return hx_req_fail(r, &err);
	rc = load_link(&k, r, &err);
	if (!rc) {
		key = hx_arena_printf(r->ctx.arena, "link:%lld", k.id);
		rc = identity_locked(r, key, &err);
	}
	hx_db_rollback(r->ctx.db);
	if (rc)
		return hx_req_fail(r, &err);
	match = strcmp(name, k.worker_name) == 0 && hx_ct_equal(h, k.worker_id_hash);
	/* 运营商三要素: the name and ID number belong together and the phone
	 * the contract was sent to is registered to that person */
	if (match && k.worker_phone && *k.worker_phone && hx_idv_configured()) {
		asked = 1;
		idv_rc = hx_idv_check(&idv, name, idn, k.worker_phone, &idv_err);
	}

	if (begin_write(r, &err) || load_link(&k, r, &err))
		return hx_req_fail(r, &err);
	json_t *detail = json_pack("{s:b,s:b,s:s,s:s}", "match", match && (!asked || (!idv_rc && idv.match)),
				   "roster_match", match, "method", hx_idv_method_key(), "method_text",
				   hx_arena_printf(r->ctx.arena, "核验方式：%s", hx_idv_method_text()));
	if (asked)
		json_object_set_new(detail, "idv",
				    idv_rc ? json_pack("{s:s}", "error", idv_err.key)
					   : json_pack("{s:s,s:b,s:s}", "provider", idv.provider, "match", idv.match, "ref",
						       idv.ref));
	if (hx_evidence_add(&r->ctx, k.id, "identity_checked", worker_actor(r, &k), device(r, detail), &err))
		return hx_req_fail(r, &err);
	if (!match) {
		identity_failed(r, key, &err);
		return hx_req_fail(r, &err);
	}
	if (asked && idv_rc) {
		/* nothing is skipped: without the provider's answer there is no
		 * identity; the attempt stays in the evidence */
		r->commit_anyway = 1;
		return hx_req_fail(r, &idv_err);
	}
	if (asked && !idv.match) {
		identity_failed_as(r, key, "idv_mismatch", "id_number",
				   "实名核验未通过：您的姓名、身份证号码与接收签署链接的手机号码的实名登记信息不一致，"
				   "请联系用人单位核对手机号码",
				   &err);
		return hx_req_fail(r, &err);
	}
	identity_ok(r, key);
	if (!k.worker_phone || !*k.worker_phone) {
		r->commit_anyway = 1;
		hx_err_set(&err, HX_ECONFLICT, "no_phone", "", "用人单位未登记您的手机号码，无法发送验证码，请联系用人单位");
		return hx_req_fail(r, &err);
	}
	char subj[64];
	snprintf(subj, sizeof subj, "contract:%lld", k.id);
	if (hx_otp_send(&r->ctx, "sign_identity", subj, k.worker_phone,
			"【和谐劳动】您正在核验身份以查看和签署劳动合同，验证码%s，5分钟内有效。请勿告诉他人。", &err))
		return hx_req_fail(r, &err);
	if (hx_evidence_add(&r->ctx, k.id, "code_sent", "system",
			    json_pack("{s:s,s:s}", "purpose", "identity", "phone", phone_hint(r->ctx.arena, k.worker_phone)), &err) ||
	    session_new(r, k.id, k.worker_id_hash, k.worker_phone, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, json_pack("{s:s}", "phone_hint", phone_hint(r->ctx.arena, k.worker_phone)));
}

/* Code check; on a wrong code the try still counts (commit). */
static int code_check(hx_req *r, const char *purpose, const char *subj, long long contract_id, const char *evkind,
		      hx_err *err)
{
	static const char *const allowed[] = {"code", NULL};
	json_t *b;
	const char *code;
	if (hx_req_body_json(r, &b, allowed))
		return -1;
	if (hx_json_get_str(&code, NULL, b, "code", "验证码", 1, 6, err))
		return hx_req_fail(r, err), -1;
	if (hx_otp_verify(&r->ctx, purpose, subj, code, err)) {
		hx_err e2 = {0};
		if (contract_id)
			hx_evidence_add(&r->ctx, contract_id, "code_refused", "system",
					device(r, json_pack("{s:s,s:s}", "purpose", evkind, "reason", err->key)), &e2);
		if (err->code == HX_EINVAL || err->code == HX_EPERM)
			r->commit_anyway = 1;
		snprintf(err->field, sizeof err->field, "code");
		return hx_req_fail(r, err), -1;
	}
	return 0;
}

static int h_identity_confirm(hx_req *r)
{
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	if (same_origin(r, &err) || load_link(&k, r, &err))
		return hx_req_fail(r, &err);
	if (session_get(&s, r, &err) || s.contract_id != k.id)
		return hx_req_fail(r, err.code ? &err : (hx_err_set(&err, HX_EAUTH, "identity_required", "", "请先核验身份"), &err));
	char subj[64];
	snprintf(subj, sizeof subj, "contract:%lld", k.id);
	if (code_check(r, "sign_identity", subj, k.id, "identity", &err))
		return 0;
	hx_param p[] = {hx_p_text(s.token_hash)};
	if (hx_db_exec(r->ctx.db, "UPDATE signer_sessions SET confirmed = 1 WHERE token_hash = ?", p, 1, NULL, &err) ||
	    bind_phone(r, k.worker_id_hash, k.worker_phone, k.id, &err) ||
	    hx_evidence_add(&r->ctx, k.id, "code_confirmed", worker_actor(r, &k), device(r, json_pack("{s:s}", "purpose", "identity")),
			    &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, json_pack("{s:s,s:s,s:I}", "worker_name", k.worker_name, "status", k.status,
					     "contract_id", (json_int_t)k.id));
}

/* Document and text: GET, but recorded, so they run their own write
 * transaction. */
static int serve_doc(hx_req *r, hx_contract_row *k, int download)
{
	hx_err err = {0};
	unsigned char *pdf = NULL;
	size_t len = 0;
	char sha[65];
	if (hx_contract_doc_get(&pdf, &len, sha, &r->ctx, k->id, k->doc_version, &err))
		return hx_req_fail(r, &err);
	if (hx_evidence_add(&r->ctx, k->id, download ? "downloaded" : "viewed", worker_actor(r, k),
			    device(r, json_pack("{s:i,s:s,s:s}", "version", k->doc_version, "sha256", sha, "what", "pdf")), &err)) {
		free(pdf);
		return hx_req_fail(r, &err);
	}
	const hx_template *t = NULL;
	hx_template_find(&t, hx_cenv.templates, k->template_id, NULL);
	int rc = hx_req_file(r, (char *)pdf, len, "application/pdf",
			     hx_arena_printf(r->ctx.arena, "%s-%s.pdf", t ? t->title : "劳动合同", k->worker_name));
	if (!download)
		r->filename = NULL; /* inline, to view and print */
	return rc;
}

static int h_link_doc(hx_req *r)
{
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	if (begin_write(r, &err) || load_link(&k, r, &err) || session_for(&s, r, &k, &err))
		return hx_req_fail(r, &err);
	const char *d = hx_req_query(r, "download");
	return serve_doc(r, &k, d && strcmp(d, "1") == 0);
}

static int h_link_text(hx_req *r)
{
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	json_t *out = NULL;
	if (begin_write(r, &err) || load_link(&k, r, &err) || session_for(&s, r, &k, &err) ||
	    hx_contract_text(&out, &r->ctx, &k, &err))
		return hx_req_fail(r, &err);
	if (hx_evidence_add(&r->ctx, k.id, "viewed", worker_actor(r, &k),
			    device(r, json_pack("{s:i,s:s?,s:s}", "version", k.doc_version, "sha256", k.doc_sha256, "what", "text")),
			    &err)) {
		json_decref(out);
		return hx_req_fail(r, &err);
	}
	return hx_req_json(r, 200, out);
}

static int h_read(hx_req *r)
{
	static const char *const allowed[] = {"seconds", NULL};
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	json_t *b;
	long long secs = 0;
	if (same_origin(r, &err) || load_link(&k, r, &err) || session_for(&s, r, &k, &err))
		return hx_req_fail(r, &err);
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_int(&secs, NULL, b, "seconds", "阅读时长（秒）", 0, 0, 86400, &err))
		return hx_req_fail(r, &err);
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(now), hx_p_text(s.token_hash)};
	if (hx_db_exec(r->ctx.db, "UPDATE signer_sessions SET read_at = ? WHERE token_hash = ?", p, 2, NULL, &err) ||
	    hx_evidence_add(&r->ctx, k.id, "read", worker_actor(r, &k),
			    device(r, json_pack("{s:I,s:i,s:s?}", "seconds", (json_int_t)secs, "version", k.doc_version, "sha256",
						k.doc_sha256)),
			    &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

static int h_intent(hx_req *r)
{
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	if (same_origin(r, &err) || load_link(&k, r, &err) || session_for(&s, r, &k, &err))
		return hx_req_fail(r, &err);
	if (!s.read_at) {
		hx_err_set(&err, HX_ECONFLICT, "not_read", "", "请先阅读完整的合同内容");
		return hx_req_fail(r, &err);
	}
	const char *turn = hx_contract_turn(&k);
	if (!turn || strcmp(turn, "worker") != 0) {
		hx_err_set(&err, HX_ECONFLICT, hx_contract_needs(&k, "worker") ? "not_your_turn" : "already_signed", "",
			   hx_contract_needs(&k, "worker") ? "合同当前不能签署（请等待企业先签署）" : "您已签署过本合同");
		return hx_req_fail(r, &err);
	}
	char subj[64];
	snprintf(subj, sizeof subj, "contract:%lld", k.id);
	if (hx_otp_send(&r->ctx, "sign_intent", subj, k.worker_phone,
			"【和谐劳动】您正在签署劳动合同，签署即表示您同意合同全部内容。意愿确认码%s，5分钟内有效。", &err) ||
	    hx_evidence_add(&r->ctx, k.id, "code_sent", "system",
			    json_pack("{s:s,s:s}", "purpose", "intent", "phone", phone_hint(r->ctx.arena, k.worker_phone)), &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, json_pack("{s:s}", "phone_hint", phone_hint(r->ctx.arena, k.worker_phone)));
}

static int h_intent_confirm(hx_req *r)
{
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	if (same_origin(r, &err) || load_link(&k, r, &err) || session_for(&s, r, &k, &err))
		return hx_req_fail(r, &err);
	char subj[64];
	snprintf(subj, sizeof subj, "contract:%lld", k.id);
	if (code_check(r, "sign_intent", subj, k.id, "intent", &err))
		return 0;
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(now), hx_p_text(s.token_hash)};
	if (hx_db_exec(r->ctx.db, "UPDATE signer_sessions SET intent_at = ? WHERE token_hash = ?", p, 2, NULL, &err) ||
	    bind_phone(r, k.worker_id_hash, k.worker_phone, k.id, &err) ||
	    hx_evidence_add(&r->ctx, k.id, "intent_confirmed", worker_actor(r, &k),
			    device(r, json_pack("{s:i,s:s?}", "version", k.doc_version, "sha256", k.doc_sha256)), &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

static int h_certificate(hx_req *r)
{
	static const char *const allowed[] = {"spki", "proof", NULL};
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	json_t *b, *out = NULL;
	const char *spki, *proof;
	if (same_origin(r, &err) || load_link(&k, r, &err) || session_for(&s, r, &k, &err))
		return hx_req_fail(r, &err);
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&spki, NULL, b, "spki", "公钥", 1, 1024, &err) ||
	    hx_json_get_str(&proof, NULL, b, "proof", "持有证明", 1, 256, &err) ||
	    hx_contract_cert_issue(&out, &r->ctx, "worker", k.worker_id_hash, 0, k.worker_name, NULL, spki, proof, &err))
		return hx_req_fail(r, &err);
	if (hx_evidence_add(&r->ctx, k.id, "cert_issued", worker_actor(r, &k),
			    device(r, json_pack("{s:O,s:O}", "serial", json_object_get(out, "serial"), "not_after",
						json_object_get(out, "not_after"))),
			    &err)) {
		json_decref(out);
		return hx_req_fail(r, &err);
	}
	return hx_req_json(r, 201, out);
}

static int h_prepare(hx_req *r)
{
	static const char *const allowed[] = {"cert_serial", "handwriting", NULL};
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	json_t *b, *out = NULL;
	const char *serial, *hand = NULL;
	if (same_origin(r, &err) || load_link(&k, r, &err) || session_for(&s, r, &k, &err))
		return hx_req_fail(r, &err);
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	/* handwriting: the name written on the phone page, base64 PNG */
	if (hx_json_get_str(&serial, NULL, b, "cert_serial", "证书编号", 1, 64, &err) ||
	    hx_json_get_str(&hand, NULL, b, "handwriting", "手写签名", 0, (HX_HANDWRITING_MAX / 3 + 1) * 4, &err))
		return hx_req_fail(r, &err);
	if (!hand && json_is_string(json_object_get(b, "handwriting")))
		hand = ""; /* given but empty: refused as no image, not taken as none */
	if (!s.intent_at) {
		hx_err_set(&err, HX_ECONFLICT, "intent_required", "", "请先完成意愿确认（短信验证码）");
		return hx_req_fail(r, &err);
	}
	if (hx_contract_sign_prepare_hand(&out, &r->ctx, &k, "worker", serial, "browser", hand, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

/* Runs without a transaction: the completion has its own. */
static int h_sign(hx_req *r)
{
	static const char *const allowed[] = {"signature_id", "signature", NULL};
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	json_t *b;
	long long sid;
	const char *sig;
	int pending = 0, rc;
	if (same_origin(r, &err))
		return hx_req_fail(r, &err);
	if (hx_db_begin_read(r->ctx.db, &err))
		return hx_req_fail(r, &err);
	rc = load_link(&k, r, &err) || session_for(&s, r, &k, &err);
	hx_db_rollback(r->ctx.db);
	if (rc)
		return hx_req_fail(r, &err);
	if (!s.intent_at) {
		hx_err_set(&err, HX_ECONFLICT, "intent_required", "", "请先完成意愿确认（短信验证码）");
		return hx_req_fail(r, &err);
	}
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_int(&sid, NULL, b, "signature_id", "签名请求", 1, 1, INT64_MAX, &err) ||
	    hx_json_get_str(&sig, NULL, b, "signature", "签名", 1, 512, &err) ||
	    hx_contract_sign_complete(&r->ctx, k.id, sid, "worker", sig, &pending, &err))
		return hx_req_fail(r, &err);
	if (pending)
		return hx_req_json(r, 202, json_pack("{s:b,s:s}", "pending", 1, "message",
						     "签名已提交，正在等待可信时间戳，完成后将通知您"));
	return hx_req_json(r, 200, json_pack("{s:b,s:s}", "pending", 0, "status", "signed"));
}

static int h_reject(hx_req *r)
{
	static const char *const allowed[] = {"reason", NULL};
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	json_t *b;
	const char *reason;
	if (same_origin(r, &err) || load_link(&k, r, &err) || session_for(&s, r, &k, &err))
		return hx_req_fail(r, &err);
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&reason, NULL, b, "reason", "拒签原因", 1, 500, &err) ||
	    hx_contract_reject(&r->ctx, &k, reason, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, json_pack("{s:s}", "status", "rejected"));
}

/* ---- the worker portal ---- */

/* The portal's login: the person's name and ID number, then a code to a
 * phone bound to them (one on which they confirmed a code for their own
 * contract): the one they name, or the latest bound. Never a roster
 * phone: any employer can type a roster row. */
static int h_my_login(hx_req *r)
{
	static const char *const allowed[] = {"name", "id_number", "phone", NULL};
	hx_err err = {0};
	json_t *b;
	const char *name, *idn, *want = NULL;
	if (same_origin(r, &err))
		return hx_req_fail(r, &err);
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&name, NULL, b, "name", "姓名", 1, 50, &err) ||
	    hx_json_get_str(&idn, NULL, b, "id_number", "身份证号码", 1, 18, &err) ||
	    hx_json_get_str(&want, NULL, b, "phone", "手机号码", 0, 20, &err))
		return hx_req_fail(r, &err);
	if (want && !*want)
		want = NULL;
	const char *key = hx_arena_printf(r->ctx.arena, "portal:%s", r->ctx.ip ? r->ctx.ip : "");
	if (identity_locked(r, key, &err))
		return hx_req_fail(r, &err);
	char h[65];
	hx_hmac_hex(h, r->ctx.keys->pii_index, idn, strlen(idn));
	long long known = 0;
	hx_param p[] = {hx_p_text(h), hx_p_text(name)};
	if (hx_db_int(r->ctx.db, &known, "SELECT count(*) FROM workers WHERE id_hash = ? AND name = ?", p, 2, &err))
		return hx_req_fail(r, &err);
	if (!known) {
		identity_failed(r, key, &err);
		return hx_req_fail(r, &err);
	}
	hx_rows *rows;
	hx_param q[] = {hx_p_text(h), hx_p_text(want)};
	if (hx_db_query(r->ctx.db, r->ctx.arena, &rows,
			want ? "SELECT phone FROM signer_phones WHERE holder = ? AND phone = ?"
			     : "SELECT phone FROM signer_phones WHERE holder = ? ORDER BY bound_at DESC, phone LIMIT 1",
			q, want ? 2 : 1, &err))
		return hx_req_fail(r, &err);
	if (rows->nrows != 1) {
		if (want) {
			/* a wrong guess counts like a wrong identity */
			identity_failed_as(r, key, "phone_not_bound", "phone",
					   "该手机号码不是您核验身份、签署合同时接收验证码的号码", &err);
			return hx_req_fail(r, &err);
		}
		hx_err_set(&err, HX_ECONFLICT, "no_bound_phone", "",
			   "请先通过用人单位发送的签署链接完成一次签署（核验身份时接收验证码的手机号码即为登录号码）");
		return hx_req_fail(r, &err);
	}
	identity_ok(r, key);
	const char *phone = hx_rows_get(rows, 0, "phone");
	char subj[80];
	/* the code is for this person on this phone */
	snprintf(subj, sizeof subj, "portal:%.32s:%.24s", h, phone);
	if (hx_otp_send(&r->ctx, "portal_login", subj, phone,
			"【和谐劳动】您正在登录“我的劳动合同”，验证码%s，5分钟内有效。请勿告诉他人。", &err) ||
	    session_new(r, 0, h, phone, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, json_pack("{s:s}", "phone_hint", phone_hint(r->ctx.arena, phone)));
}

static int h_my_confirm(hx_req *r)
{
	hx_err err = {0};
	signer s;
	if (same_origin(r, &err) || session_get(&s, r, &err))
		return hx_req_fail(r, &err);
	if (s.contract_id) {
		hx_err_set(&err, HX_EAUTH, "identity_required", "", "请先登录");
		return hx_req_fail(r, &err);
	}
	char subj[80];
	snprintf(subj, sizeof subj, "portal:%.32s:%.24s", s.holder, s.phone ? s.phone : "");
	if (code_check(r, "portal_login", subj, 0, "portal", &err))
		return 0;
	hx_param p[] = {hx_p_text(s.token_hash)};
	if (hx_db_exec(r->ctx.db, "UPDATE signer_sessions SET confirmed = 1 WHERE token_hash = ?", p, 1, NULL, &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

static int portal_session(signer *s, hx_req *r, hx_err *err)
{
	int rc = session_get(s, r, err);
	if (!rc && (!s->confirmed || s->contract_id))
		rc = hx_err_set(err, HX_EAUTH, "identity_required", "", "请先登录");
	return rc;
}

static int h_my_list(hx_req *r)
{
	hx_err err = {0};
	signer s;
	json_t *out = NULL;
	if (portal_session(&s, r, &err) || hx_contract_list_for_holder(&out, &r->ctx, s.holder, s.phone, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_my_doc(hx_req *r)
{
	hx_err err = {0};
	signer s;
	hx_contract_row k;
	long long id = hx_req_param_id(r, 0);
	if (begin_write(r, &err) || portal_session(&s, r, &err))
		return hx_req_fail(r, &err);
	/* someone else's contract does not exist for this person */
	if (!id || hx_contract_load(&k, &r->ctx, id, 0, &err) || strcmp(k.worker_id_hash, s.holder) != 0 ||
	    strcmp(k.status, "draft") == 0 || !s.phone || !k.worker_phone || strcmp(k.worker_phone, s.phone) != 0) {
		hx_err_set(&err, HX_ENOTFOUND, "not_found", "", "合同不存在");
		return hx_req_fail(r, &err);
	}
	const char *d = hx_req_query(r, "download");
	return serve_doc(r, &k, !d || strcmp(d, "0") != 0);
}

static int h_my_logout(hx_req *r)
{
	hx_err err = {0};
	signer s;
	if (session_get(&s, r, &err) == 0) {
		hx_param p[] = {hx_p_text(s.token_hash)};
		hx_db_exec(r->ctx.db, "DELETE FROM signer_sessions WHERE token_hash = ?", p, 1, NULL, &err);
	}
	set_signer_cookie(r, "x", 0);
	r->status = 204;
	return 0;
}

/* The worker revokes a certificate of their own (a lost or shared phone)
 * through the confirmed session of their link; logged, evidenced and
 * told to their phone by hx_contract_cert_revoke_by. */
static int h_cert_revoke(hx_req *r)
{
	static const char *const allowed[] = {"serial", "reason", NULL};
	hx_contract_row k;
	hx_err err = {0};
	signer s;
	json_t *b;
	const char *serial, *reason;
	if (same_origin(r, &err) || load_link(&k, r, &err) || session_for(&s, r, &k, &err))
		return hx_req_fail(r, &err);
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&serial, NULL, b, "serial", "证书编号", 1, 64, &err) ||
	    hx_json_get_str(&reason, NULL, b, "reason", "吊销原因", 1, 200, &err) ||
	    hx_contract_cert_revoke_by(&r->ctx, serial, reason, s.holder, &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

void hx_contract_signer_http_register(struct hx_server *s)
{
	static const hx_route routes[] = {
		{"GET", "/api/v1/sign/:token", h_link, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/sign/:token/identity", h_identity, HX_ROUTE_PUBLIC | HX_ROUTE_NO_TX, 0},
		{"POST", "/api/v1/sign/:token/identity/confirm", h_identity_confirm, HX_ROUTE_PUBLIC, 0},
		{"GET", "/api/v1/sign/:token/document.pdf", h_link_doc, HX_ROUTE_PUBLIC | HX_ROUTE_NO_TX, 0},
		{"GET", "/api/v1/sign/:token/text", h_link_text, HX_ROUTE_PUBLIC | HX_ROUTE_NO_TX, 0},
		{"POST", "/api/v1/sign/:token/read", h_read, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/sign/:token/intent", h_intent, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/sign/:token/intent/confirm", h_intent_confirm, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/sign/:token/certificate", h_certificate, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/sign/:token/prepare", h_prepare, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/sign/:token/sign", h_sign, HX_ROUTE_PUBLIC | HX_ROUTE_NO_TX, 0},
		{"POST", "/api/v1/sign/:token/reject", h_reject, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/sign/:token/certificate/revoke", h_cert_revoke, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/my/login", h_my_login, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/my/login/confirm", h_my_confirm, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/my/logout", h_my_logout, HX_ROUTE_PUBLIC, 0},
		{"GET", "/api/v1/my/contracts", h_my_list, HX_ROUTE_PUBLIC, 0},
		{"GET", "/api/v1/my/contracts/:id/document.pdf", h_my_doc, HX_ROUTE_PUBLIC | HX_ROUTE_NO_TX, 0},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
