/* Drafting a contract and reading it back: the employer and worker parts
 * of the terms come from the roster (registry), the rest from HR; the
 * legal check and the fields the document would print blank run on every
 * save; a draft can be edited or deleted until it is sent; the list and
 * the detail page read contracts in the caller's scope. Sending and what
 * follows are in lifecycle.c, drafting many at once in batch.c. */
#include "contract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../core/buf.h"
#include "../core/ids.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../registry/registry_impl.h"
#include "../trust/idv.h"

/* ---- drafting ---- */

static const char *const DRAFT_KEYS[] = {"worker_id", "kind", "terms", "extra_clauses", "sign_order",
					 "expires_days", NULL};
static const char *const TERM_KEYS[] = {"term",	 "probation_months", "job",	   "hours",     "pay",
					"social_insurance", "protection", "prior", "worker_address", "hire_date",
					"effective_date", "changes", "reason", "legal_basis", "date", "event",
					"original", NULL};

/* The roster's part of the terms: employer and worker, from the registry
 * (the caller's scope applies). */
static int roster_terms(json_t *terms, long long *enterprise_id, hx_ctx *c, long long worker_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(worker_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT w.enterprise_id AS enterprise_id, w.name AS name, w.id_enc AS id_enc, w.phone AS phone,"
			     " w.hire_date AS hire_date, w.leave_date AS leave_date, e.uscc AS uscc, e.name AS ename,"
			     " e.legal_representative AS legal_representative, e.address AS address, a.code AS area_code,"
			     " a.id AS area_id"
			     " FROM workers w JOIN enterprises e ON e.id = w.enterprise_id JOIN areas a ON a.id = e.area_id"
			     " WHERE w.id = ? AND w.deleted_at IS NULL AND e.deleted_at IS NULL",
			     p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1 || hx_contract_in_scope(c, hx_rows_int(r, 0, "enterprise_id"), worker_id, err))
		return hx_err_set(err, HX_EINVAL, "no_worker", "worker_id", "职工不存在或不在您的管理范围内");
	char *idn = NULL;
	if ((rc = hx_open(&idn, c->keys->pii, hx_rows_get(r, 0, "id_enc"), "workers.id_number", err)))
		return rc;
	*enterprise_id = hx_rows_int(r, 0, "enterprise_id");
	json_t *emp = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?}", "uscc", hx_rows_get(r, 0, "uscc"), "name",
				hx_rows_get(r, 0, "ename"), "legal_representative", hx_rows_get(r, 0, "legal_representative"),
				"address", hx_rows_get(r, 0, "address"), "area_code", hx_rows_get(r, 0, "area_code"));
	int tier = 0;
	hx_param q[] = {hx_p_int(hx_rows_int(r, 0, "area_id"))};
	long long t = 0;
	if (hx_db_int(c->db, &t, "SELECT COALESCE(MAX(tier), 0) FROM wage_tiers WHERE area_id = ?", q, 1, err) == 0)
		tier = (int)t;
	if (tier)
		json_object_set_new(emp, "wage_tier", json_integer(tier));
	json_t *given_addr = json_object_get(terms, "worker_address");
	json_t *wk = json_pack("{s:s?,s:s,s:s?}", "name", hx_rows_get(r, 0, "name"), "id_number", idn, "phone",
			       hx_rows_get(r, 0, "phone"));
	free(idn);
	if (json_is_string(given_addr))
		json_object_set(wk, "address", given_addr);
	json_object_del(terms, "worker_address");
	json_object_set_new(terms, "employer", emp);
	json_object_set_new(terms, "worker", wk);
	if (!json_object_get(terms, "hire_date") && hx_rows_get(r, 0, "hire_date"))
		json_object_set_new(terms, "hire_date", json_string(hx_rows_get(r, 0, "hire_date")));
	return 0;
}

int hx_contract_sealed_terms(char **out, hx_ctx *c, json_t *terms, hx_err *err)
{
	char *t = json_dumps(terms, JSON_COMPACT | JSON_SORT_KEYS);
	if (!t)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	int rc = hx_seal(out, c->keys->pii, t, "contracts.terms", err);
	free(t);
	return rc;
}

const char *hx_contract_jstr(const json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/* Reads the HR part of a draft body into terms (a new object). */
int hx_contract_draft_fields(json_t **terms_out, const char **kind, const char **order, long long *days, hx_ctx *c,
			     json_t *body, const char *fixed_kind, hx_err *err)
{
	int rc, present;
	if ((rc = hx_json_only(body, DRAFT_KEYS, err)))
		return rc;
	*kind = fixed_kind;
	if (!fixed_kind) {
		if ((rc = hx_json_get_str(kind, NULL, body, "kind", "合同类型", 1, 20, err)))
			return rc;
		if (strcmp(*kind, "full_time") != 0 && strcmp(*kind, "part_time") != 0)
			return hx_err_set(err, HX_EINVAL, "invalid_kind", "kind", "合同类型应为全日制（full_time）或非全日制（part_time）");
	}
	*order = "worker_first";
	if ((rc = hx_json_get_str(order, &present, body, "sign_order", "签署顺序", 0, 20, err)))
		return rc;
	if (!present)
		*order = "worker_first";
	if (strcmp(*order, "worker_first") != 0 && strcmp(*order, "enterprise_first") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_sign_order", "sign_order",
				  "签署顺序应为劳动者先签（worker_first）或企业先签（enterprise_first）");
	*days = 7;
	if ((rc = hx_json_get_int(days, &present, body, "expires_days", "签署期限（天）", 0, 1, 60, err)))
		return rc;
	if (!present)
		*days = 7;
	json_t *t = json_object_get(body, "terms");
	if (t && !json_is_object(t))
		return hx_err_set(err, HX_EBADREQ, "bad_type", "terms", "terms（合同条款）应为对象");
	if (t && (rc = hx_json_only(t, TERM_KEYS, err))) {
		char f[sizeof err->field + 8];
		snprintf(f, sizeof f, "terms.%s", err->field);
		snprintf(err->field, sizeof err->field, "%.63s", f);
		return rc;
	}
	json_t *terms = t ? json_deep_copy(t) : json_object();
	json_t *ex = json_object_get(body, "extra_clauses");
	if (ex && !json_is_array(ex)) {
		json_decref(terms);
		return hx_err_set(err, HX_EBADREQ, "bad_type", "extra_clauses", "extra_clauses（补充条款）应为字符串数组");
	}
	if (ex)
		json_object_set(terms, "extra_clauses", ex);
	json_object_set_new(terms, "kind", json_string(strcmp(*kind, "part_time") == 0 ? "part_time" : "full_time"));
	/* no sign_date: the day a contract is signed is each party's own
	 * (drawn with each signature), never the day HR drafted it */
	(void)c;
	*terms_out = terms;
	return 0;
}

static const char *template_of(const char *kind)
{
	return kind;
}

/* 第十九条第二款 (同一用人单位与同一劳动者只能约定一次试用期): whether the
 * person already had a labor contract with a probation at this enterprise
 * (signed, or since ended), other than ref->id. The person is the ID
 * number, not the roster row: a rehire is a new row of the same person. */
static int had_probation(int *out, hx_ctx *c, const hx_contract_draft_ref *ref, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(ref->worker_id), hx_p_int(ref->id)};
	*out = 0;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT k.terms_enc AS terms_enc FROM contracts k JOIN workers w ON w.id = k.worker_id"
			     " JOIN workers me ON me.id = ? AND me.enterprise_id = k.enterprise_id"
			     " AND (me.id = w.id OR me.id_hash = w.id_hash)"
			     " WHERE k.kind IN ('full_time', 'part_time') AND k.status IN ('signed', 'ended') AND k.id <> ?"
			     " ORDER BY k.id",
			     p, 2, err);
	for (int i = 0; !rc && !*out && i < r->nrows; i++) {
		char *plain = NULL;
		if ((rc = hx_open(&plain, c->keys->pii, hx_rows_get(r, i, "terms_enc"), "contracts.terms", err)))
			break;
		json_t *t = json_loads(plain, 0, NULL);
		free(plain);
		json_t *pm = json_object_get(t, "probation_months");
		*out = json_is_integer(pm) && json_integer_value(pm) > 0;
		json_decref(t);
	}
	return rc;
}

/* The facts of the contract data the check reads under "prior" (set here,
 * never taken from HR's input): prior.had_probation, and for a renewal
 * prior.contract_end, the renewed contract's end, from which the 第十条
 * one-month limit runs instead of the hire date. */
static int prior_facts(json_t *copy, hx_ctx *c, const hx_contract_draft_ref *ref, hx_err *err)
{
	json_t *prior = json_object_get(copy, "prior");
	if (!prior) {
		prior = json_object();
		json_object_set_new(copy, "prior", prior);
	}
	if (!json_is_object(prior)) /* the check reports the wrong type */
		return 0;
	json_object_del(prior, "had_probation");
	json_object_del(prior, "contract_end");
	json_t *pm = json_object_get(copy, "probation_months");
	int had = 0, rc;
	if (ref && ref->worker_id && json_is_integer(pm) && json_integer_value(pm) > 0) {
		if ((rc = had_probation(&had, c, ref, err)))
			return rc;
		json_object_set_new(prior, "had_probation", json_boolean(had));
	}
	if (ref && ref->parent_id && ref->event && strcmp(ref->event, "renew") == 0) {
		hx_rows *r;
		hx_param p[] = {hx_p_int(ref->parent_id)};
		if ((rc = hx_db_query(c->db, c->arena, &r, "SELECT term_end FROM contracts WHERE id = ?", p, 1, err)))
			return rc;
		const char *end = r->nrows == 1 ? hx_rows_get(r, 0, "term_end") : NULL;
		const char *start = json_string_value(json_object_get(json_object_get(copy, "term"), "start"));
		char before[11];
		if (!end && start && hx_date_parse(start, NULL, NULL, NULL) == 0) {
			hx_date_add_days(before, start, -1); /* the renewal follows the old term */
			end = before;
		}
		if (end)
			json_object_set_new(prior, "contract_end", json_string(end));
		else /* nothing to count the month from: not the hire date */
			json_object_del(copy, "hire_date");
	}
	return 0;
}

/* Adds an error per field the document would print blank (a signed PDF
 * cannot be completed by hand), unless the check named that field already. */
static int unfilled(json_t *errors, const char *template_id, const json_t *terms, hx_err *err)
{
	const hx_template *t;
	json_t *missing = NULL;
	int rc;
	if ((rc = hx_template_find(&t, hx_cenv.templates, template_id, err)) ||
	    (rc = hx_contract_render_missing(&missing, t, terms, err)))
		return rc;
	size_t i, j;
	json_t *m, *e;
	json_array_foreach(missing, i, m) {
		const char *f = json_string_value(m), *label = hx_contract_field_label(f);
		int known = 0;
		json_array_foreach(errors, j, e) {
			known |= strcmp(json_string_value(json_object_get(e, "field")) ?: "", f) == 0;
		}
		if (known)
			continue;
		char msg[300];
		snprintf(msg, sizeof msg, "文书中的“%s”（%s）尚未填写：已签署的文书不能再手工补填，请填写后再发送",
			 label ? label : f, f);
		json_array_append_new(errors, json_pack("{s:s,s:s,s:s}", "code", "unfilled_field", "field", f, "message", msg));
	}
	json_decref(missing);
	return 0;
}

/* The legal check of a draft (labor contracts: hx_contract_lint, as of
 * today — at sending, the day of sending), and for every kind the fields
 * its document would leave blank (unfilled_field). */
int hx_contract_lint_terms(json_t **lint, int *nerr, hx_ctx *c, const char *kind, json_t *terms,
			   const hx_contract_draft_ref *ref, hx_err *err)
{
	int rc = 0;
	*lint = NULL;
	if (strcmp(kind, "full_time") != 0 && strcmp(kind, "part_time") != 0)
		*lint = json_pack("{s:[],s:[]}", "errors", "warnings");
	else {
		json_t *copy = json_deep_copy(terms);
		json_object_del(copy, "extra_clauses");
		/* 第十条、第八十二条: the one-month check runs with today's date */
		json_object_del(copy, "sign_date");
		if (!(rc = prior_facts(copy, c, ref, err)))
			rc = hx_contract_lint(lint, copy, hx_cenv.wages, NULL, err);
		json_decref(copy);
		if (rc == HX_EBADREQ || rc == HX_EINVAL) { /* unusable terms: keep the draft, show why */
			*lint = json_pack("{s:[{s:s,s:s,s:s}],s:[]}", "errors", "code", err->key, "field", err->field,
					  "message", err->msg, "warnings");
			hx_err_clear(err);
			rc = 0;
		}
		if (rc)
			return rc;
	}
	json_t *errors = json_object_get(*lint, "errors");
	if ((rc = unfilled(errors, template_of(kind), terms, err))) {
		if (rc != HX_EBADREQ && rc != HX_EINVAL) {
			json_decref(*lint);
			*lint = NULL;
			return rc;
		}
		json_array_append_new(errors, json_pack("{s:s,s:s,s:s}", "code", err->key, "field", err->field, "message",
							 err->msg));
		hx_err_clear(err);
	}
	*nerr = (int)json_array_size(errors);
	return 0;
}

static int write_terms(hx_ctx *c, const hx_contract_draft_ref *ref, const char *kind, json_t *terms, hx_err *err)
{
	json_t *lint = NULL;
	int nerr = 0, rc;
	long long id = ref->id;
	char *sealed = NULL, *lint_text = NULL, now[21];
	if ((rc = hx_contract_lint_terms(&lint, &nerr, c, kind, terms, ref, err)) || (rc = hx_contract_sealed_terms(&sealed, c, terms, err)))
		goto done;
	lint_text = json_dumps(lint, JSON_COMPACT);
	hx_now_iso(now);
	json_t *pay = json_object_get(terms, "pay");
	json_t *mw = json_object_get(pay, strcmp(kind, "part_time") == 0 ? "hourly" : "monthly");
	char wage[32] = "";
	if (json_is_number(mw))
		snprintf(wage, sizeof wage, "%.2f", json_number_value(mw));
	hx_param p[] = {hx_p_text(sealed),
			hx_p_text(lint_text),
			hx_p_int(nerr),
			hx_p_text(hx_contract_jstr(terms, "term", "type")),
			hx_p_text(hx_contract_jstr(terms, "term", "start")),
			hx_p_text(hx_contract_jstr(terms, "term", "end")),
			hx_p_text(hx_contract_jstr(terms, "job", "title")),
			hx_p_text(*wage ? wage : NULL),
			hx_p_text(hx_contract_jstr(terms, "effective_date", NULL) ? hx_contract_jstr(terms, "effective_date", NULL)
								      : hx_contract_jstr(terms, "date", NULL)),
			hx_p_text(now),
			hx_p_int(id)};
	rc = hx_db_exec(c->db,
			"UPDATE contracts SET terms_enc = ?, lint = ?, lint_errors = ?, term_type = ?, term_start = ?,"
			" term_end = ?, job = ?, monthly_wage = ?, effective_date = ?, updated_at = ? WHERE id = ?",
			p, 11, NULL, err);
done:
	json_decref(lint);
	free(sealed);
	free(lint_text);
	return rc;
}

static int insert_contract(long long *id, hx_ctx *c, long long enterprise_id, long long worker_id, const char *kind,
			   const char *event, long long parent_id, const char *order, long long days, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_int(enterprise_id), hx_p_int(worker_id), hx_p_text(kind), hx_p_text(template_of(kind)),
			hx_p_text(event), parent_id ? hx_p_int(parent_id) : hx_p_null(), hx_p_text(order), hx_p_int(days),
			c->me && c->me->user_id ? hx_p_int(c->me->user_id) : hx_p_null(), hx_p_text(now), hx_p_text(now)};
	return hx_db_int(c->db, id,
			 "INSERT INTO contracts (enterprise_id, worker_id, kind, template_id, event, parent_id, status,"
			 " sign_order, expires_days, terms_enc, created_by, created_at, updated_at)"
			 " VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, '', ?, ?, ?) RETURNING id",
			 p, 11, err);
}

int hx_contract_create_with(json_t **out, hx_ctx *c, long long worker_id, const char *kind, const char *event,
			    long long parent_id, const char *order, long long days, json_t *terms, hx_err *err)
{
	long long eid = 0, id = 0;
	int rc;
	if ((rc = roster_terms(terms, &eid, c, worker_id, err)) ||
	    (rc = insert_contract(&id, c, eid, worker_id, kind, event, parent_id, order, days, err)))
		return rc;
	hx_contract_draft_ref ref = {id, worker_id, parent_id, event};
	if ((rc = write_terms(c, &ref, kind, terms, err)))
		return rc;
	if ((rc = hx_audit_write(c, "contract.create", "contract", id, NULL, NULL, err)))
		return rc;
	return out ? hx_contract_get(out, c, id, err) : 0;
}

int hx_contract_create(json_t **out, hx_ctx *c, json_t *body, long long parent_id, const char *event, hx_err *err)
{
	json_t *terms = NULL;
	const char *kind, *order;
	long long days, worker_id;
	int rc;
	if ((rc = hx_contract_draft_fields(&terms, &kind, &order, &days, c, body, NULL, err)))
		return rc;
	if ((rc = hx_json_get_int(&worker_id, NULL, body, "worker_id", "职工", 1, 1, INT64_MAX, err)) == 0)
		rc = hx_contract_create_with(out, c, worker_id, kind, event ? event : "new", parent_id, order, days, terms, err);
	json_decref(terms);
	return rc;
}

int hx_contract_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_contract_row k;
	json_t *terms = NULL;
	const char *kind, *order;
	long long days, eid = 0;
	int rc;
	if ((rc = hx_contract_load(&k, c, id, 1, err)))
		return rc;
	if (strcmp(k.status, "draft") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_draft", "", "合同已发送，不能再修改");
	if (json_object_get(body, "worker_id"))
		return hx_err_set(err, HX_EINVAL, "immutable", "worker_id", "不能更换合同的劳动者，请另行起草");
	int labor = strcmp(k.kind, "full_time") == 0 || strcmp(k.kind, "part_time") == 0;
	if ((rc = hx_contract_draft_fields(&terms, &kind, &order, &days, c, body, labor ? NULL : k.kind, err)))
		return rc;
	if (!labor && (rc = hx_contract_keep_made_from(terms, c, &k, err)))
		goto done;
	hx_contract_draft_ref ref = {id, k.worker_id, k.parent_id, k.event};
	if ((rc = roster_terms(terms, &eid, c, k.worker_id, err)) || (rc = write_terms(c, &ref, kind, terms, err)))
		goto done;
	hx_param p[] = {hx_p_text(kind), hx_p_text(template_of(kind)), hx_p_text(order), hx_p_int(days), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE contracts SET kind = ?, template_id = ?, sign_order = ?, expires_days = ? WHERE id = ?",
			     p, 5, NULL, err)) ||
	    (rc = hx_audit_write(c, "contract.update", "contract", id, NULL, NULL, err)))
		goto done;
	rc = hx_contract_get(out, c, id, err);
done:
	json_decref(terms);
	return rc;
}

int hx_contract_delete(hx_ctx *c, long long id, hx_err *err)
{
	hx_contract_row k;
	int rc;
	if ((rc = hx_contract_load(&k, c, id, 1, err)))
		return rc;
	if (strcmp(k.status, "draft") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_draft", "", "只能删除草稿；已发送的合同可以撤回");
	hx_param p[] = {hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM contracts WHERE id = ? AND status = 'draft'", p, 1, NULL, err)))
		return rc;
	return hx_audit_write(c, "contract.delete", "contract", id, NULL, NULL, err);
}

/* ---- reading ---- */

json_t *hx_contract_list_item(const hx_rows *r, int i)
{
	json_t *o = json_object();
	static const char *const ints[] = {"id", "enterprise_id", "worker_id", "parent_id", NULL};
	static const char *const strs[] = {"enterprise_name", "worker_name", "kind", "event", "status", "sign_order",
					   "term_type", "term_start", "term_end", "job", "sent_at", "completed_at",
					   "expires_at", "worker_signed_at", "enterprise_signed_at", "effective_date",
					   "ended_at", "closed_reason", "created_at", "updated_at", "number", NULL};
	for (int k = 0; ints[k]; k++) {
		const char *v = hx_rows_get(r, i, ints[k]);
		json_object_set_new(o, ints[k], v ? json_integer(atoll(v)) : json_null());
	}
	for (int k = 0; strs[k]; k++) {
		const char *v = hx_rows_get(r, i, strs[k]);
		json_object_set_new(o, strs[k], v ? json_string(v) : json_null());
	}
	const char *mw = hx_rows_get(r, i, "monthly_wage");
	json_object_set_new(o, "monthly_wage", mw ? json_real(atof(mw)) : json_null());
	json_object_set_new(o, "pending", json_boolean(hx_rows_int(r, i, "pending")));
	json_object_set_new(o, "lint_errors", json_integer(hx_rows_int(r, i, "lint_errors")));
	return o;
}

int hx_contract_list(json_t **out, hx_ctx *c, json_t *f, long long page, long long per_page, hx_err *err)
{
	hx_buf w;
	hx_param p[16];
	int np = 0, rc;
	hx_buf_init(&w, 4096);
	hx_buf_puts(&w, " WHERE 1 = 1");
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	if (c->me && c->me->scope.kind == HX_SCOPE_SELF) {
		hx_buf_puts(&w, " AND k.worker_id = ?");
		p[np++] = hx_p_int(c->me->scope.worker_id);
	}
	static const char *const eq[] = {"status", "k.status", "event", "k.event", "kind", "k.kind", NULL};
	for (int i = 0; eq[i]; i += 2) {
		const char *v = json_string_value(json_object_get(f, eq[i]));
		if (i == 0 && v && strcmp(v, "open") == 0) { /* waiting for a signature: either side */
			hx_buf_puts(&w, " AND k.status IN ('sent', 'signing')");
			continue;
		}
		if (v && *v) {
			hx_buf_printf(&w, " AND %s = ?", eq[i + 1]);
			p[np++] = hx_p_text(v);
		}
	}
	static const char *const ids[] = {"enterprise_id", "k.enterprise_id", "worker_id", "k.worker_id", "parent_id",
					  "k.parent_id", NULL};
	for (int i = 0; ids[i]; i += 2) {
		json_t *v = json_object_get(f, ids[i]);
		if (json_is_integer(v)) {
			hx_buf_printf(&w, " AND %s = ?", ids[i + 1]);
			p[np++] = hx_p_int(json_integer_value(v));
		}
	}
	const char *q = json_string_value(json_object_get(f, "q"));
	if (q && *q) {
		hx_buf_puts(&w, " AND w.name LIKE ? ESCAPE '\\'");
		p[np++] = hx_p_text(hx_store_like_pattern(c->arena, q));
	}
	long long total = 0;
	if (hx_buf_failed(&w)) { /* never a list without its scope clause */
		rc = hx_registry_query_too_long(err);
		goto done;
	}
	char *sql = hx_arena_printf(c->arena,
				    "SELECT count(*) FROM contracts k JOIN workers w ON w.id = k.worker_id"
				    " JOIN enterprises e ON e.id = k.enterprise_id%s",
				    w.data);
	if ((rc = hx_db_int(c->db, &total, sql, p, np, err)))
		goto done;
	hx_rows *r;
	p[np++] = hx_p_int(per_page);
	p[np++] = hx_p_int((page - 1) * per_page);
	sql = hx_arena_printf(c->arena, HX_CONTRACT_K_COLS "%s ORDER BY k.id DESC LIMIT ? OFFSET ?", w.data);
	if ((rc = hx_db_query(c->db, c->arena, &r, sql, p, np, err)))
		goto done;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, hx_contract_list_item(r, i));
	*out = json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "page", (json_int_t)page,
			 "per_page", (json_int_t)per_page);
done:
	hx_buf_free(&w);
	return rc;
}

static int signatures_json(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, party, method, status, cert_serial, signer, signing_time, signed_at, timestamp_time,"
			     " attempts, last_error FROM contract_signatures WHERE contract_id = ? AND status <> 'prepared'"
			     " ORDER BY id",
			     p, 1, err);
	if (rc)
		return rc;
	json_t *a = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?}", "id",
						   (json_int_t)hx_rows_int(r, i, "id"), "party", hx_rows_get(r, i, "party"),
						   "method", hx_rows_get(r, i, "method"), "status", hx_rows_get(r, i, "status"),
						   "cert_serial", hx_rows_get(r, i, "cert_serial"), "signer",
						   hx_rows_get(r, i, "signer"), "signed_at", hx_rows_get(r, i, "signed_at"),
						   "timestamp_time", hx_rows_get(r, i, "timestamp_time"), "last_error",
						   hx_rows_get(r, i, "last_error")));
	*out = a;
	return 0;
}

int hx_contract_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r, *ch;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, HX_CONTRACT_K_COLS " WHERE k.id = ?", p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "合同不存在或不在您的管理范围内");
	if ((rc = hx_contract_in_scope(c, hx_rows_int(r, 0, "enterprise_id"), hx_rows_int(r, 0, "worker_id"), err)))
		return rc;
	hx_contract_row k;
	if ((rc = hx_contract_row_fill(&k, c, r, err)))
		return rc;
	json_t *o = hx_contract_list_item(r, 0);
	json_t *terms = json_deep_copy(k.terms);
	/* the ID number only to those who may read it */
	if (!hx_can(c->me, HX_PERM_PII_READ)) {
		json_t *wk = json_object_get(terms, "worker");
		const char *idn = json_string_value(json_object_get(wk, "id_number"));
		if (idn) {
			char masked[19];
			hx_idnum_mask(idn, masked);
			json_object_set_new(wk, "id_number", json_string(masked));
		}
	}
	json_object_set_new(o, "extra_clauses", json_incref(json_object_get(terms, "extra_clauses")) ?: json_array());
	json_object_set_new(o, "terms", terms);
	json_object_set_new(o, "lint", json_loads(hx_rows_get(r, 0, "lint"), 0, NULL) ?: json_object());
	json_object_set_new(o, "doc_sha256", k.doc_sha256 ? json_string(k.doc_sha256) : json_null());
	json_object_set_new(o, "doc_version", json_integer(k.doc_version));
	/* where the frozen PDF's signature block has each party's box */
	json_object_set_new(o, "sign_boxes", (k.sign_boxes ? json_loads(k.sign_boxes, 0, NULL) : NULL) ?: json_null());
	const char *turn = hx_contract_turn(&k);
	json_object_set_new(o, "turn", turn ? json_string(turn) : json_null());
	json_object_set_new(o, "needs_worker", json_boolean(strcmp(k.kind, "termination") != 0));
	/* how the worker's identity is verified, said plainly (附件3 第七条) */
	json_object_set_new(o, "identity_method", json_string(hx_idv_method_text()));
	if (k.link_enc && c->me && hx_can(c->me, HX_PERM_CONTRACT_DRAFT)) {
		char *tok = NULL;
		if (hx_contract_link(&tok, c, &k, err) == 0) {
			json_object_set_new(o, "link", json_string(hx_arena_printf(c->arena, "%s/s/%s", hx_cenv.base_url, tok)));
			json_object_set_new(o, "link_path", json_string(hx_arena_printf(c->arena, "/s/%s", tok)));
			free(tok);
		}
		hx_err_clear(err);
	}
	json_t *sigs = NULL, *ev = NULL;
	if ((rc = signatures_json(&sigs, c, id, err)) || (rc = hx_evidence_list(&ev, c, id, err))) {
		json_decref(o);
		json_decref(sigs);
		return rc;
	}
	json_object_set_new(o, "signatures", sigs);
	json_object_set_new(o, "evidence", ev);
	if ((rc = hx_contract_detail_standing(o, c, &k, err))) {
		json_decref(o);
		return rc;
	}
	if ((rc = hx_db_query(c->db, c->arena, &ch,
			      "SELECT id, kind, event, status FROM contracts WHERE parent_id = ? ORDER BY id", p, 1, err))) {
		json_decref(o);
		return rc;
	}
	json_t *kids = json_array();
	for (int i = 0; i < ch->nrows; i++)
		json_array_append_new(kids, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)hx_rows_int(ch, i, "id"), "kind",
						      hx_rows_get(ch, i, "kind"), "event", hx_rows_get(ch, i, "event"),
						      "status", hx_rows_get(ch, i, "status")));
	json_object_set_new(o, "children", kids);
	*out = o;
	return 0;
}
