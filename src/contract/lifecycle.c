/* A contract's life after drafting, on the enterprise's side and the
 * worker's: sending (the text frozen as a PDF whose SHA-256 is fixed, the
 * contract number, the worker's link), withdrawal, the worker's
 * rejection, change (amendment), renewal and rescission/termination (the
 * 第五十条 certificate), the consequences of a fully signed contract, and
 * what the worker's portal lists and shows. Signing is in signing.c, the
 * evidence in evidence.c. */
#include "contract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../notify/notify.h"
#include "../trust/channels.h"

/* ---- sending ---- */

static const char *mask_phone(hx_arena *a, const char *phone)
{
	size_t n = phone ? strlen(phone) : 0;
	if (n < 7)
		return "";
	return hx_arena_printf(a, "%.3s****%s", phone, phone + n - 4);
}

static int message_worker(hx_ctx *c, const hx_contract_row *k, const char *text, const char *why, hx_err *err)
{
	if (!k->worker_phone || !*k->worker_phone)
		return 0;
	int rc = hx_message_queue(c, k->worker_phone, "电子劳动合同", text, err);
	if (rc)
		return rc;
	/* the channel tells HR whether a text message went out or the link
	 * waits in the platform's outbox (no SMS gateway configured) */
	const char *channel = hx_message_channel(k->worker_phone);
	return hx_evidence_add(c, k->id, "notified", "system",
			       json_pack("{s:s,s:s,s:s,s:s}", "to", "worker", "phone", mask_phone(c->arena, k->worker_phone),
					 "why", why, "channel", channel ? channel : "outbox"),
			       err);
}

static int message_enterprise(hx_ctx *c, const hx_contract_row *k, const char *text, const char *why, hx_err *err)
{
	int rc = hx_notify_enterprise(c, k->enterprise_id, text, hx_arena_printf(c->arena, "/contracts/%lld", k->id), err);
	if (rc)
		return rc;
	return hx_evidence_add(c, k->id, "notified", "system", json_pack("{s:s,s:s}", "to", "enterprise", "why", why), err);
}

static const char *title_of(const hx_contract_row *k)
{
	const hx_template *t;
	if (hx_template_find(&t, hx_cenv.templates, k->template_id, NULL) == 0)
		return t->title;
	return "劳动合同";
}

/* The county code that starts the enterprise's contract numbers: the
 * first six digits (县级区划代码) of the nearest area up from its own
 * that has a statistical code (a park has none: its county's). */
static int county_prefix(char out[7], hx_ctx *c, long long enterprise_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(enterprise_id)};
	long long area = 0;
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT area_id FROM enterprises WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	snprintf(out, 7, "000000");
	area = r->nrows ? hx_rows_int(r, 0, "area_id") : 0;
	for (int depth = 0; area && depth < 16; depth++) {
		hx_param q[] = {hx_p_int(area)};
		if ((rc = hx_db_query(c->db, c->arena, &r, "SELECT code, parent_id FROM areas WHERE id = ?", q, 1, err)))
			return rc;
		if (r->nrows != 1)
			break;
		const char *code = hx_rows_get(r, 0, "code");
		if (code && strlen(code) >= 6 && strspn(code, "0123456789") >= 6) {
			memcpy(out, code, 6);
			out[6] = '\0';
			break;
		}
		area = hx_rows_int(r, 0, "parent_id");
	}
	return 0;
}

/* Gives the contract its number (合同编号) when it has none: the county
 * code, the year of sending (Beijing time), a sequence per both. The
 * counter row is taken by one upsert, which PostgreSQL serialises on the
 * row and SQLite under its write lock; the unique index on the number is
 * the last guard. */
static int assign_number(const char **out, hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	char prefix[7], today[11];
	long long seq = 0;
	int rc;
	if (k->number && *k->number) {
		*out = k->number;
		return 0;
	}
	if ((rc = county_prefix(prefix, c, k->enterprise_id, err)))
		return rc;
	hx_today(today);
	int year = atoi(today);
	hx_param p[] = {hx_p_text(prefix), hx_p_int(year)};
	if ((rc = hx_db_int(c->db, &seq,
			    "INSERT INTO contract_numbers (prefix, seq_year, last_seq) VALUES (?, ?, 1)"
			    " ON CONFLICT (prefix, seq_year) DO UPDATE SET last_seq = contract_numbers.last_seq + 1"
			    " RETURNING last_seq",
			    p, 2, err)))
		return rc;
	const char *number = hx_arena_printf(c->arena, "%s-%04d-%06lld", prefix, year, seq);
	hx_param q[] = {hx_p_text(number), hx_p_int(k->id)};
	long long changed = 0;
	if ((rc = hx_db_exec(c->db, "UPDATE contracts SET number = ? WHERE id = ? AND number IS NULL", q, 2, &changed,
			     err)))
		return rc;
	if (changed != 1)
		return hx_err_set(err, HX_ECONFLICT, "not_draft", "", "合同已发送");
	*out = number;
	return 0;
}

/* Stores where the frozen PDF has its signature boxes. */
static int store_boxes(hx_ctx *c, long long id, json_t *boxes, hx_err *err)
{
	char *text = json_dumps(boxes, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return hx_err_set(err, HX_ENOMEM, "no_memory", "", "out of memory");
	hx_param p[] = {hx_p_text(text), hx_p_int(id)};
	int rc = hx_db_exec(c->db, "UPDATE contracts SET sign_boxes = ? WHERE id = ?", p, 2, NULL, err);
	free(text);
	return rc;
}

int hx_contract_send(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_contract_row k;
	const hx_template *t;
	char *pdf = NULL, *sealed = NULL, sha[65], tok[49], link_hash[65], now[21], exp[21];
	size_t len = 0;
	json_t *lint = NULL;
	int nerr = 0, rc;
	if ((rc = hx_contract_load(&k, c, id, 1, err)))
		return rc;
	if (strcmp(k.status, "draft") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_draft", "", "合同已发送");
	/* the check again, for today (late signing, ages): 第十条's one month
	 * is counted to the day of sending, and every field of the document
	 * must be filled */
	hx_contract_draft_ref ref = {k.id, k.worker_id, k.parent_id, k.event};
	if ((rc = hx_contract_lint_terms(&lint, &nerr, c, k.kind, k.terms, &ref, err)))
		return rc;
	json_t *first = json_array_get(json_object_get(lint, "errors"), 0);
	if (first) {
		rc = hx_err_set(err, HX_EINVAL, "lint_failed", json_string_value(json_object_get(first, "field")) ?: "",
				"%.400s", json_string_value(json_object_get(first, "message")) ?: "合同未通过合法性检查");
		json_decref(lint);
		return rc;
	}
	/* the findings as of the day of sending are the ones the contract shows */
	char *lint_text = json_dumps(lint, JSON_COMPACT);
	json_decref(lint);
	hx_param lp[] = {hx_p_text(lint_text), hx_p_int(id)};
	rc = hx_db_exec(c->db, "UPDATE contracts SET lint = ?, lint_errors = 0 WHERE id = ?", lp, 2, NULL, err);
	free(lint_text);
	if (rc)
		return rc;
	/* the document prints the phone the codes will go to: the roster's as
	 * of sending, frozen below (a roster change after the draft was saved
	 * reaches the text too) */
	const char *tp = hx_contract_jstr(k.terms, "worker", "phone");
	json_t *wk = json_object_get(k.terms, "worker");
	if (k.worker_phone && *k.worker_phone && json_is_object(wk) && (!tp || strcmp(tp, k.worker_phone) != 0)) {
		char *st = NULL;
		json_object_set_new(wk, "phone", json_string(k.worker_phone));
		if ((rc = hx_contract_sealed_terms(&st, c, k.terms, err)))
			return rc;
		hx_param tpp[] = {hx_p_text(st), hx_p_int(id)};
		rc = hx_db_exec(c->db, "UPDATE contracts SET terms_enc = ? WHERE id = ?", tpp, 2, NULL, err);
		free(st);
		if (rc)
			return rc;
	}
	const char *number = NULL;
	json_t *boxes = NULL;
	if ((rc = hx_template_find(&t, hx_cenv.templates, k.template_id, err)) ||
	    (rc = assign_number(&number, c, &k, err)) ||
	    (rc = hx_contract_render_pdf_numbered(&pdf, &len, &boxes, t, k.terms, number, err)))
		return rc;
	rc = hx_contract_doc_put(c, id, 1, (unsigned char *)pdf, len, sha, err);
	if (!rc)
		rc = store_boxes(c, id, boxes, err);
	json_decref(boxes);
	free(pdf);
	if (rc)
		return rc;
	hx_token(tok, 24);
	hx_hmac_hex(link_hash, c->keys->misc, tok, strlen(tok));
	if ((rc = hx_seal(&sealed, c->keys->pii, tok, "contracts.link", err)))
		return rc;
	hx_now_iso(now);
	hx_iso_from_unix(exp, hx_now_unix() + (int64_t)k.expires_days * 86400);
	const char *order = strcmp(k.kind, "termination") == 0 ? "enterprise_first" : k.sign_order;
	/* the phone is frozen with the contract (k.worker_phone is the roster's
	 * while a draft): codes and messages go to the number the link was
	 * sent to, whatever the roster says later */
	hx_param p[] = {hx_p_text(sha), hx_p_text(link_hash), hx_p_text(sealed), hx_p_text(now), hx_p_text(exp),
			hx_p_text(order), hx_p_text(k.worker_phone), hx_p_text(now), hx_p_int(id)};
	long long changed = 0;
	rc = hx_db_exec(c->db,
			"UPDATE contracts SET status = 'sent', doc_version = 1, doc_sha256 = ?, link_hash = ?, link_enc = ?,"
			" sent_at = ?, expires_at = ?, sign_order = ?, worker_phone = ?, updated_at = ? WHERE id = ?"
			" AND status = 'draft'",
			p, 9, &changed, err);
	free(sealed);
	if (!rc && changed != 1)
		rc = hx_err_set(err, HX_ECONFLICT, "not_draft", "", "合同已发送");
	if (rc)
		return rc;
	if ((rc = hx_evidence_add(c, id, "sent", hx_contract_actor(c),
				  json_pack("{s:i,s:s,s:s,s:s,s:s,s:s}", "version", 1, "sha256", sha, "template", k.template_id,
					    "expires_at", exp, "sign_order", order, "number", number),
				  err)) ||
	    (rc = hx_audit_write(c, "contract.send", "contract", id, NULL, NULL, err)))
		return rc;
	k.status = "sent";
	k.sign_order = order;
	const char *title = title_of(&k);
	if (strcmp(k.kind, "termination") != 0 && strcmp(order, "worker_first") == 0)
		rc = message_worker(c, &k,
				    hx_arena_printf(c->arena,
						    "【和谐劳动】%s向您发送了《%s》，请于%.10s前打开 %s/s/%s 核验身份后阅读并签署。",
						    k.enterprise_name, title, exp, hx_cenv.base_url, tok),
				    "sent", err);
	else if (strcmp(k.kind, "termination") != 0)
		rc = message_worker(c, &k,
				    hx_arena_printf(c->arena, "【和谐劳动】%s拟与您签订《%s》，企业签署后您将收到签署链接：%s/s/%s",
						    k.enterprise_name, title, hx_cenv.base_url, tok),
				    "sent", err);
	if (!rc && strcmp(order, "enterprise_first") == 0)
		rc = message_enterprise(c, &k, hx_arena_printf(c->arena, "《%s》（%s）待企业签署", title, k.worker_name),
					"turn", err);
	if (rc)
		return rc;
	return out ? hx_contract_get(out, c, id, err) : 0;
}

int hx_contract_withdraw(hx_ctx *c, long long id, const char *reason, hx_err *err)
{
	hx_contract_row k;
	int rc;
	if ((rc = hx_contract_load(&k, c, id, 1, err)))
		return rc;
	if (!hx_contract_is_open(k.status))
		return hx_err_set(err, HX_ECONFLICT, "not_open", "", "只有待签署的合同可以撤回");
	if (k.worker_signed_at)
		return hx_err_set(err, HX_ECONFLICT, "already_signed", "", "劳动者已签署，不能撤回；如需终止请办理解除或终止");
	if (k.pending)
		return hx_err_set(err, HX_ECONFLICT, "signature_pending", "", "有签名正在等待时间戳，请稍后再试");
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(reason), hx_p_text(now), hx_p_int(id)};
	long long n = 0;
	if ((rc = hx_db_exec(c->db,
			     "UPDATE contracts SET status = 'withdrawn', closed_reason = ?, updated_at = ?"
			     " WHERE id = ? AND status IN ('sent', 'signing') AND worker_signed_at IS NULL",
			     p, 3, &n, err)))
		return rc;
	if (n != 1)
		return hx_err_set(err, HX_ECONFLICT, "already_signed", "", "合同状态已变化，请刷新");
	if ((rc = hx_evidence_add(c, id, "withdrawn", hx_contract_actor(c), json_pack("{s:s}", "reason", reason), err)) ||
	    (rc = hx_audit_write(c, "contract.withdraw", "contract", id, NULL, NULL, err)))
		return rc;
	return message_worker(c, &k,
			      hx_arena_printf(c->arena, "【和谐劳动】%s已撤回《%s》，原签署链接不再有效。", k.enterprise_name,
					      title_of(&k)),
			      "withdrawn", err);
}

int hx_contract_reject(hx_ctx *c, const hx_contract_row *k, const char *reason, hx_err *err)
{
	int rc;
	if (!hx_contract_is_open(k->status) || !hx_contract_needs(k, "worker"))
		return hx_err_set(err, HX_ECONFLICT, "not_open", "", "合同当前不能拒签");
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(reason), hx_p_text(now), hx_p_int(k->id)};
	long long n = 0;
	if ((rc = hx_db_exec(c->db,
			     "UPDATE contracts SET status = 'rejected', closed_reason = ?, updated_at = ?"
			     " WHERE id = ? AND status IN ('sent', 'signing') AND pending = 0",
			     p, 3, &n, err)))
		return rc;
	if (n != 1)
		return hx_err_set(err, HX_ECONFLICT, "not_open", "", "合同状态已变化，请刷新");
	if ((rc = hx_evidence_add(c, k->id, "rejected", hx_arena_printf(c->arena, "worker:%lld", k->worker_id),
				  json_pack("{s:s}", "reason", reason), err)))
		return rc;
	return message_enterprise(c, k,
				  hx_arena_printf(c->arena, "%s拒签了《%s》：%s", k->worker_name, title_of(k), reason),
				  "rejected", err);
}

/* ---- amendment, renewal, termination ---- */

static int need_signed(hx_contract_row *k, hx_ctx *c, long long id, hx_err *err)
{
	int rc = hx_contract_load(k, c, id, 1, err);
	if (rc)
		return rc;
	if (strcmp(k->status, "signed") != 0 ||
	    (strcmp(k->kind, "full_time") != 0 && strcmp(k->kind, "part_time") != 0))
		return hx_err_set(err, HX_ECONFLICT, "not_signed", "", "只能对已签署的劳动合同办理变更、续签或解除");
	/* a contract removed after its retention period (retention.c) has no
	 * terms left to change, renew or end */
	long long purged = 0;
	hx_param p[] = {hx_p_int(id)};
	if ((rc = hx_db_int(c->db, &purged, "SELECT count(*) FROM contracts WHERE id = ? AND purged_at IS NOT NULL", p, 1,
			    err)))
		return rc;
	if (purged)
		return hx_err_set(err, HX_ECONFLICT, "purged", "", "该合同已过保存期限并已清除，不能再办理变更、续签或解除");
	return 0;
}

/* The calendar date (China, UTC+8) of a stored UTC instant
 * "YYYY-MM-DDTHH:MM:SSZ"; "" when it is not one. */
static void beijing_date(char out[11], const char *iso)
{
	char d[11];
	int h;
	out[0] = '\0';
	if (!iso || strlen(iso) < 13 || iso[10] != 'T')
		return;
	memcpy(d, iso, 10);
	d[10] = '\0';
	h = (iso[11] - '0') * 10 + (iso[12] - '0');
	if (hx_date_parse(d, NULL, NULL, NULL) || h < 0 || h > 23)
		return;
	hx_date_add_days(out, d, h >= 16 ? 1 : 0);
}

/* What an amendment or a certificate prints of the contract it is about:
 * its id, kind, the day it was signed (第三十五条: the amendment names the
 * original), its term and job. */
static json_t *original_of(const hx_contract_row *k)
{
	char day[11], num[32];
	beijing_date(day, k->completed_at);
	/* 合同编号 given at sending; a contract sent before numbers existed is
	 * named by its platform id */
	snprintf(num, sizeof num, "%lld", k->id);
	return json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:O?,s:O?}", "id", (json_int_t)k->id, "number",
			 k->number && *k->number ? k->number : num, "kind", k->kind, "signed_at", k->completed_at,
			 "signed_date", *day ? day : NULL, "term", json_object_get(k->terms, "term"), "job",
			 json_object_get(k->terms, "job"));
}

/* The worker's address as the original contract states it, for a document
 * made from it (the roster keeps none). */
static void keep_address(json_t *terms, const hx_contract_row *orig)
{
	json_t *a = json_object_get(json_object_get(orig->terms, "worker"), "address");
	if (json_is_string(a) && !json_object_get(terms, "worker_address"))
		json_object_set(terms, "worker_address", a);
}

/* 第三十五条: an amendment changes named terms of the contract. Each leaf of
 * changes must be a term an amendment may change (400 unknown_field
 * "changes.<path>" otherwise), at least one must differ from the original
 * (422 no_change), and the original's values of the changed terms go into
 * terms.before, so the document prints before → after. */
static int amend_terms(json_t *terms, const json_t *ch, const hx_contract_row *orig, hx_err *err)
{
	const char *k, *k2;
	json_t *v, *v2;
	char path[160];
	int changed = 0;
	if (!json_is_object(ch) || json_object_size(ch) == 0)
		return hx_err_set(err, HX_EINVAL, "required", "changes", "请填写变更的内容（changes）");
	json_object_foreach((json_t *)ch, k, v) {
		if (json_is_object(v) && !hx_contract_field_changeable(k)) {
			json_object_foreach(v, k2, v2) {
				snprintf(path, sizeof path, "changes.%.60s.%.60s", k, k2);
				if (!hx_contract_field_changeable(path + 8))
					return hx_err_set(err, HX_EBADREQ, "unknown_field", path, "变更协议不能变更“%s”", path + 8);
				if (json_is_object(v2) || json_is_array(v2))
					return hx_err_set(err, HX_EBADREQ, "wrong_type", path, "变更内容“%s”的类型不正确", path + 8);
				json_t *was = json_object_get(json_object_get(orig->terms, k), k2);
				changed += !(was ? json_equal(was, v2) : json_is_null(v2));
			}
		} else if (snprintf(path, sizeof path, "changes.%.60s", k), !hx_contract_field_changeable(k))
			return hx_err_set(err, HX_EBADREQ, "unknown_field", path, "变更协议不能变更“%.60s”", k);
		else if (json_is_object(v) || json_is_array(v))
			return hx_err_set(err, HX_EBADREQ, "wrong_type", path, "变更内容“%.60s”的类型不正确", k);
		else {
			json_t *was = json_object_get(orig->terms, k);
			changed += !(was ? json_equal(was, v) : json_is_null(v));
		}
	}
	if (!changed)
		return hx_err_set(err, HX_EINVAL, "no_change", "changes", "变更内容与原合同相同，没有需要变更的条款");
	json_t *before = json_object();
	json_object_foreach((json_t *)ch, k, v) {
		json_t *was = json_object_get(orig->terms, k);
		json_object_set_new(before, k, was ? json_deep_copy(was) : json_null());
	}
	json_object_set_new(terms, "before", before);
	json_object_set_new(terms, "original", original_of(orig));
	json_object_set(terms, "kind", json_object_get(orig->terms, "kind"));
	keep_address(terms, orig);
	return 0;
}

/* A draft amendment or certificate edited by HR keeps what it was made
 * from (the original and its kind; unless given, the hire date, term, job
 * and the worker's address; for an amendment the values before the change,
 * checked against the original again). */
int hx_contract_keep_made_from(json_t *terms, hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	static const char *const kept[] = {"original", "kind", "hire_date", "term", "job", NULL};
	for (int i = 0; kept[i]; i++)
		if (json_object_get(k->terms, kept[i]) && (i < 2 || !json_object_get(terms, kept[i])))
			json_object_set(terms, kept[i], json_object_get(k->terms, kept[i]));
	json_t *a = json_object_get(json_object_get(k->terms, "worker"), "address");
	if (json_is_string(a) && !json_object_get(terms, "worker_address"))
		json_object_set(terms, "worker_address", a);
	if (strcmp(k->kind, "amendment") != 0 || !k->parent_id)
		return 0;
	hx_contract_row orig;
	int rc = hx_contract_load(&orig, c, k->parent_id, 1, err);
	return rc ? rc : amend_terms(terms, json_object_get(terms, "changes"), &orig, err);
}

int hx_contract_amend(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_contract_row k;
	static const char *const keys[] = {"changes", "effective_date", "extra_clauses", "sign_order", "expires_days", NULL};
	int rc;
	const char *eff;
	if ((rc = need_signed(&k, c, id, err)) || (rc = hx_json_only(body, keys, err)) ||
	    (rc = hx_json_get_date(&eff, NULL, body, "effective_date", "变更生效日期", 1, err)))
		return rc;
	json_t *ch = json_object_get(body, "changes");
	json_t *terms = json_pack("{s:s}", "effective_date", eff);
	if ((rc = amend_terms(terms, ch, &k, err))) {
		json_decref(terms);
		return rc;
	}
	json_object_set(terms, "changes", ch);
	/* the changed terms must still pass the legal check */
	json_t *merged = json_deep_copy(k.terms);
	json_object_update_recursive(merged, ch);
	json_t *lint = NULL;
	int nerr = 0;
	hx_contract_draft_ref ref = {k.id, k.worker_id, k.parent_id, k.event};
	if ((rc = hx_contract_lint_terms(&lint, &nerr, c, k.kind, merged, &ref, err))) {
		json_decref(merged);
		json_decref(terms);
		return rc;
	}
	json_t *first = json_array_get(json_object_get(lint, "errors"), 0);
	if (first) {
		rc = hx_err_set(err, HX_EINVAL, "lint_failed", json_string_value(json_object_get(first, "field")) ?: "changes",
				"%.400s", json_string_value(json_object_get(first, "message")) ?: "");
		json_decref(lint);
		json_decref(merged);
		json_decref(terms);
		return rc;
	}
	json_decref(lint);
	json_decref(merged);
	json_t *ex = json_object_get(body, "extra_clauses");
	if (json_is_array(ex))
		json_object_set(terms, "extra_clauses", ex);
	const char *order = json_string_value(json_object_get(body, "sign_order"));
	json_t *d = json_object_get(body, "expires_days");
	rc = hx_contract_create_with(out, c, k.worker_id, "amendment", "change", id,
			 order && strcmp(order, "enterprise_first") == 0 ? "enterprise_first" : "worker_first",
			 json_is_integer(d) && json_integer_value(d) >= 1 && json_integer_value(d) <= 60 ? json_integer_value(d) : 7,
			 terms, err);
	json_decref(terms);
	return rc;
}

int hx_contract_renew(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_contract_row k;
	int rc;
	if ((rc = need_signed(&k, c, id, err)))
		return rc;
	json_t *nb = json_object();
	json_t *terms = json_deep_copy(k.terms);
	json_object_del(terms, "employer");
	json_object_del(terms, "worker");
	json_object_del(terms, "kind");
	json_object_del(terms, "sign_date");
	json_t *ex = json_incref(json_object_get(terms, "extra_clauses"));
	json_object_del(terms, "extra_clauses");
	json_t *given = json_object_get(body, "terms");
	if (given && !json_is_object(given)) {
		json_decref(nb);
		json_decref(terms);
		json_decref(ex);
		return hx_err_set(err, HX_EBADREQ, "bad_type", "terms", "terms（合同条款）应为对象");
	}
	/* 第十九条第二款: the probation was the first contract's; a renewal
	 * carries none unless HR asks for one (which the check refuses) */
	json_object_set_new(terms, "probation_months", json_integer(0));
	json_object_del(json_object_get(terms, "pay"), "probation_monthly");
	keep_address(terms, &k);
	if (given)
		json_object_update(terms, given);
	/* one more fixed-term contract before this one (第十四条) */
	json_t *prior = json_object_get(terms, "prior");
	if (!json_is_object(prior)) {
		prior = json_object();
		json_object_set_new(terms, "prior", prior);
	}
	if (!given || !json_object_get(given, "prior")) {
		json_int_t n = json_integer_value(json_object_get(prior, "fixed_term_contracts"));
		const char *tt = hx_contract_jstr(k.terms, "term", "type");
		if (tt && strcmp(tt, "fixed") == 0)
			json_object_set_new(prior, "fixed_term_contracts", json_integer(n + 1));
	}
	json_object_set_new(nb, "worker_id", json_integer(k.worker_id));
	json_object_set_new(nb, "kind", json_string(k.kind));
	json_object_set_new(nb, "terms", terms);
	if (ex)
		json_object_set_new(nb, "extra_clauses", ex);
	json_object_set_new(nb, "sign_order", json_string(k.sign_order));
	rc = hx_contract_create(out, c, nb, id, "renew", err);
	json_decref(nb);
	return rc;
}

int hx_contract_terminate(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_contract_row k;
	static const char *const keys[] = {"event", "date", "reason", "legal_basis", NULL};
	const char *event, *date, *reason, *basis = NULL;
	int rc;
	/* 第五十条、实施条例第二十四条: the certificate states the date, 解除 or
	 * 终止, the reason and its legal basis; none may be left blank */
	if ((rc = need_signed(&k, c, id, err)) || (rc = hx_json_only(body, keys, err)) ||
	    (rc = hx_json_get_str(&event, NULL, body, "event", "类型", 1, 20, err)) ||
	    (rc = hx_json_get_date(&date, NULL, body, "date", "解除或终止日期", 1, err)) ||
	    (rc = hx_json_get_str(&reason, NULL, body, "reason", "原因", 1, 500, err)) ||
	    (rc = hx_json_get_str(&basis, NULL, body, "legal_basis", "法律依据", 1, 200, err)))
		return rc;
	if (strcmp(event, "rescind") != 0 && strcmp(event, "terminate") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_event", "event", "类型应为解除（rescind）或终止（terminate）");
	/* the years of service run from the hire date the contract states */
	const char *hire = hx_contract_jstr(k.terms, "hire_date", NULL);
	if (hire && strcmp(date, hire) < 0)
		return hx_err_set(err, HX_EINVAL, "before_hire_date", "date", "解除或终止日期早于用工之日（%s）", hire);
	json_t *terms = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "kind", "termination", "event", event, "date", date,
				  "reason", reason, "legal_basis", basis, "original", original_of(&k));
	json_object_set(terms, "term", json_object_get(k.terms, "term"));
	json_object_set(terms, "job", json_object_get(k.terms, "job"));
	if (hire)
		json_object_set_new(terms, "hire_date", json_string(hire));
	keep_address(terms, &k);
	rc = hx_contract_create_with(out, c, k.worker_id, "termination", event, id, "enterprise_first", 7, terms, err);
	json_decref(terms);
	return rc;
}

/* ---- the signed contract's consequences ---- */

int hx_contract_on_signed(hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	int rc = 0;
	char now[21];
	hx_now_iso(now);
	const char *title = title_of(k);
	if (strcmp(k->kind, "termination") == 0 && k->parent_id) {
		const char *date = hx_contract_jstr(k->terms, "date", NULL);
		hx_param p[] = {hx_p_text(now), hx_p_text(k->event), hx_p_int(k->parent_id)};
		hx_param q[] = {hx_p_text(date), hx_p_text(now), hx_p_int(k->worker_id)};
		if ((rc = hx_db_exec(c->db,
				     "UPDATE contracts SET status = 'ended', ended_at = ?, closed_reason = ? WHERE id = ?", p, 3,
				     NULL, err)) ||
		    (rc = hx_db_exec(c->db, "UPDATE workers SET leave_date = ?, updated_at = ? WHERE id = ?", q, 3, NULL, err)) ||
		    (rc = hx_evidence_add(c, k->parent_id, "ended", "system",
					  json_pack("{s:I,s:s,s:s?}", "certificate_id", (json_int_t)k->id, "event",
						    k->event, "date", date),
					  err)))
			return rc;
	} else if (k->parent_id) {
		rc = hx_evidence_add(c, k->parent_id, strcmp(k->kind, "amendment") == 0 ? "changed" : "renewed", "system",
				     json_pack("{s:I}", "contract_id", (json_int_t)k->id), err);
		if (rc)
			return rc;
	}
	char *tok = NULL;
	if (hx_contract_link(&tok, c, k, err) == 0) {
		rc = message_worker(c, k,
				    hx_arena_printf(c->arena,
						    "【和谐劳动】《%s》已签署完成，您可随时免费查看、下载和打印：%s/s/%s",
						    title, hx_cenv.base_url, tok),
				    "completed", err);
		free(tok);
	}
	if (!rc)
		rc = message_enterprise(c, k, hx_arena_printf(c->arena, "《%s》（%s）已签署完成", title, k->worker_name),
					"completed", err);
	return rc;
}

/* ---- the worker's side ---- */

int hx_contract_list_for_holder(json_t **out, hx_ctx *c, const char *holder, const char *phone, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_text(holder), hx_p_text(phone ? phone : "")};
	int rc = hx_db_query(c->db, c->arena, &r,
			     HX_CONTRACT_K_COLS " WHERE w.id_hash = ? AND k.status <> 'draft' AND k.worker_phone = ?"
				    " ORDER BY k.id DESC LIMIT 500",
			     p, 2, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		json_t *o = hx_contract_list_item(r, i);
		hx_contract_row k;
		memset(&k, 0, sizeof k);
		json_object_set_new(o, "title", json_string(strcmp(hx_rows_get(r, i, "kind"), "termination") == 0
								    ? "解除或终止劳动合同证明"
								    : strcmp(hx_rows_get(r, i, "kind"), "amendment") == 0
									      ? "劳动合同变更协议"
									      : "劳动合同"));
		json_array_append_new(items, o);
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

int hx_contract_text(json_t **out, hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	const hx_template *t;
	json_t *sections = NULL;
	(void)c;
	int rc;
	if ((rc = hx_template_find(&t, hx_cenv.templates, k->template_id, err)) ||
	    (rc = hx_contract_render_text(&sections, t, k->terms, err)))
		return rc;
	*out = json_pack("{s:s,s:s,s:o,s:s?,s:i}", "title", t->title, "enterprise", k->enterprise_name, "sections", sections,
			 "sha256", k->doc_sha256, "version", k->doc_version);
	return 0;
}
