/* Supervision of agencies: batches for phased acceptance, spot checks with
 * a recorded seed, the agency summary, the archive package of a check, and
 * the area analysis. */
#include "supervision.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../account/account.h"
#include "../audit/audit.h"
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/crypto.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../registry/registry.h"
#include "../report/report.h"
#include "../store/store.h"
#include "checkup.h"

static const char *now_iso(hx_ctx *c)
{
	char t[21];
	hx_now_iso(t);
	return hx_arena_strdup(c->arena, t);
}

static int manager(hx_ctx *c)
{
	return hx_can(c->me, HX_PERM_CHECKUP_MANAGE) && c->me->scope.kind == HX_SCOPE_COUNTY;
}

/* The caller may act for org: county staff, or a user of that org. */
static int for_org(hx_ctx *c, long long org)
{
	return manager(c) || (c->me->scope.kind == HX_SCOPE_ORG && c->me->scope.org_id == org);
}

static const char *org_name(hx_ctx *c, long long org)
{
	json_t *o = NULL;
	hx_err e = {0};
	if (hx_account_org_get(&o, c, org, &e))
		return "";
	const char *n = hx_arena_strdup(c->arena, json_string_value(json_object_get(o, "name")));
	json_decref(o);
	return n;
}

/* ---- batches ---- */

int hx_checkup_batch_submit(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	static const char *const allowed[] = {"org_id", "check_ids", NULL};
	long long org = c->me->scope.kind == HX_SCOPE_ORG ? c->me->scope.org_id : 0;
	int rc, present;
	long long v;
	if ((rc = hx_json_only(body, allowed, err)) ||
	    (rc = hx_json_get_int(&v, &present, body, "org_id", "服务机构", 0, 1, INT64_MAX, err)))
		return rc;
	if (present)
		org = v;
	if (!org)
		return hx_err_set(err, HX_EINVAL, "required", "org_id", "请指定服务机构");
	if (!for_org(c, org) || !hx_can(c->me, HX_PERM_CHECKUP_INSPECT))
		return hx_err_set(err, HX_EPERM, "forbidden", "org_id", "只能提交本机构的体检批次");
	json_t *ids = json_object_get(body, "check_ids");
	if (!json_is_array(ids) || !json_array_size(ids) || json_array_size(ids) > 1000)
		return hx_err_set(err, HX_EINVAL, "required", "check_ids", "请选择要提交验收的体检（1到1000家）");
	size_t i;
	json_t *x;
	json_array_foreach(ids, i, x) {
		hx_rows *r;
		if (!json_is_integer(x))
			return hx_err_set(err, HX_EBADREQ, "wrong_type", "check_ids", "check_ids应为体检编号数组");
		hx_param p[] = {hx_p_int(json_integer_value(x))};
		if ((rc = hx_db_query(c->db, c->arena, &r,
				      "SELECT org_id, reported_at, (SELECT count(*) FROM checkup_batch_checks b WHERE b.check_id = k.id)"
				      " AS in_batch FROM checkup_checks k WHERE k.id = ?",
				      p, 1, err)))
			return rc;
		if (!r->nrows || hx_rows_int(r, 0, "org_id") != org)
			return hx_err_set(err, HX_EINVAL, "invalid_check", "check_ids", "体检%lld不属于该机构",
					  (long long)json_integer_value(x));
		if (!hx_rows_get(r, 0, "reported_at"))
			return hx_err_set(err, HX_EINVAL, "unfinished", "check_ids", "体检%lld尚未出具报告",
					  (long long)json_integer_value(x));
		if (hx_rows_int(r, 0, "in_batch"))
			return hx_err_set(err, HX_ECONFLICT, "already_batched", "check_ids", "体检%lld已在其他批次中",
					  (long long)json_integer_value(x));
	}
	hx_param p[] = {hx_p_int(org), hx_p_int(c->me->user_id), hx_p_text(now_iso(c))};
	long long id;
	if ((rc = hx_db_int(c->db, &id,
			    "INSERT INTO checkup_batches (org_id, status, submitted_by, submitted_at) VALUES (?, 'submitted', ?, ?)"
			    " RETURNING id",
			    p, 3, err)))
		return rc;
	json_array_foreach(ids, i, x) {
		hx_param q[] = {hx_p_int(id), hx_p_int(json_integer_value(x))};
		if ((rc = hx_db_exec(c->db, "INSERT INTO checkup_batch_checks (batch_id, check_id) VALUES (?, ?)", q, 2, NULL, err)))
			return rc == HX_ECONFLICT ? hx_err_set(err, HX_ECONFLICT, "already_batched", "check_ids", "体检重复提交") : rc;
	}
	json_t *ch = json_pack("{s:[n,O]}", "check_ids", ids);
	rc = hx_audit_write(c, "submit", "checkup_batch", id, org_name(c, org), ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_batch_get(out, c, id, err);
}

static json_t *spot_json(hx_ctx *c, long long batch_id)
{
	hx_rows *r;
	hx_err e = {0};
	hx_param p[] = {hx_p_int(batch_id)};
	if (hx_db_query(c->db, c->arena, &r,
			"SELECT id, seed, share_pm, drawn, created_at FROM checkup_spotchecks WHERE batch_id = ?", p, 1, &e) ||
	    !r->nrows)
		return json_null();
	long long sid = hx_rows_int(r, 0, "id");
	json_t *drawn = json_loads(hx_rows_get(r, 0, "drawn"), 0, NULL), *records = json_array();
	hx_rows *q;
	hx_param qp[] = {hx_p_int(sid)};
	if (hx_db_query(c->db, c->arena, &q,
			"SELECT check_id, method, truthful, note, created_at FROM checkup_spot_records WHERE spotcheck_id = ?"
			" ORDER BY check_id", qp, 1, &e) == 0)
		for (int i = 0; i < q->nrows; i++)
			json_array_append_new(records, json_pack("{s:I,s:s,s:b,s:s?,s:s}", "check_id",
								 (json_int_t)hx_rows_int(q, i, "check_id"), "method",
								 hx_rows_get(q, i, "method"), "truthful",
								 (int)hx_rows_int(q, i, "truthful"), "note", hx_rows_get(q, i, "note"),
								 "created_at", hx_rows_get(q, i, "created_at")));
	return json_pack("{s:I,s:s,s:f,s:o,s:o,s:s,s:s}", "id", (json_int_t)sid, "seed", hx_rows_get(r, 0, "seed"), "share",
			 (double)hx_rows_int(r, 0, "share_pm") / 1000, "drawn", drawn ? drawn : json_array(), "records", records,
			 "method", "按SHA-256(种子:体检编号)从小到大排序，取前ceil(比例×家数)家", "created_at",
			 hx_rows_get(r, 0, "created_at"));
}

int hx_checkup_batch_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, org_id, status, reasons, submitted_at, decided_at FROM checkup_batches WHERE id = ?", p, 1,
			     err);
	if (rc)
		return rc;
	if (!r->nrows || !for_org(c, hx_rows_int(r, 0, "org_id")))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "验收批次不存在");
	long long org = hx_rows_int(r, 0, "org_id");
	hx_rows *k;
	if ((rc = hx_db_query(c->db, c->arena, &k,
			      "SELECT k.id, k.enterprise_id, k.grade, k.regraded_from, k.status, k.reported_at, s.scores"
			      " FROM checkup_batch_checks b JOIN checkup_checks k ON k.id = b.check_id"
			      " LEFT JOIN checkup_satisfaction s ON s.check_id = k.id WHERE b.batch_id = ? ORDER BY k.id",
			      p, 1, err)))
		return rc;
	hx_principal cli;
	hx_account_cli_principal(&cli);
	hx_ctx c2 = *c;
	c2.me = &cli;
	json_t *checks = json_array(), *grades = json_object();
	double sat_sum = 0;
	int sat_n = 0;
	for (int i = 0; i < k->nrows; i++) {
		const char *name = "";
		hx_err e = {0};
		hx_registry_enterprise_name(&name, &c2, hx_rows_int(k, i, "enterprise_id"), &e);
		const char *g = hx_rows_get(k, i, "regraded_from") ? hx_rows_get(k, i, "regraded_from") : hx_rows_get(k, i, "grade");
		if (g)
			json_object_set_new(grades, g, json_integer(json_integer_value(json_object_get(grades, g)) + 1));
		json_t *sc = hx_rows_get(k, i, "scores") ? json_loads(hx_rows_get(k, i, "scores"), 0, NULL) : NULL;
		const char *q;
		json_t *v;
		json_object_foreach(sc, q, v) {
			sat_sum += (double)json_integer_value(v);
			sat_n++;
		}
		json_array_append_new(checks, json_pack("{s:I,s:s,s:s?,s:s?,s:s,s:o}", "check_id", (json_int_t)hx_rows_int(k, i, "id"),
							"enterprise_name", name, "grade", hx_rows_get(k, i, "grade"),
							"first_grade", g, "status", hx_rows_get(k, i, "status"), "satisfaction",
							sc ? sc : json_null()));
	}
	*out = json_pack("{s:I,s:I,s:s,s:s,s:s?,s:s,s:s?,s:o,s:o,s:o,s:o}", "id", (json_int_t)id, "org_id", (json_int_t)org,
			 "org_name", org_name(c, org), "status", hx_rows_get(r, 0, "status"), "reasons",
			 hx_rows_get(r, 0, "reasons"), "submitted_at", hx_rows_get(r, 0, "submitted_at"), "decided_at",
			 hx_rows_get(r, 0, "decided_at"), "checks", checks, "grades", grades, "satisfaction_average",
			 sat_n ? json_real(round(sat_sum / sat_n * 100) / 100) : json_null(), "spotcheck", spot_json(c, id));
	return 0;
}

int hx_checkup_batch_list(json_t **out, hx_ctx *c, long long org_id, hx_err *err)
{
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT id, org_id FROM checkup_batches ORDER BY id DESC", NULL, 0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		long long org = hx_rows_int(r, i, "org_id");
		if ((org_id && org != org_id) || !for_org(c, org))
			continue;
		json_t *b = NULL;
		hx_err e = {0};
		if (hx_checkup_batch_get(&b, c, hx_rows_int(r, i, "id"), &e) == 0)
			json_array_append_new(items, b);
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

int hx_checkup_batch_decide(json_t **out, hx_ctx *c, long long id, const char *action, json_t *body, hx_err *err)
{
	if (!manager(c))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有县级工作人员可以验收");
	json_t *b = NULL;
	int rc = hx_checkup_batch_get(&b, c, id, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, b);
	if (strcmp(json_string_value(json_object_get(b, "status")), "submitted") != 0)
		return hx_err_set(err, HX_ECONFLICT, "decided", "", "该批次已验收或已退回");
	const char *reasons = NULL;
	if (strcmp(action, "return") == 0) {
		static const char *const allowed[] = {"reasons", NULL};
		if (!body)
			return hx_err_set(err, HX_EINVAL, "required", "reasons", "请填写退回理由");
		if ((rc = hx_json_only(body, allowed, err)) ||
		    (rc = hx_json_get_str(&reasons, NULL, body, "reasons", "退回理由", 1, 2000, err)))
			return rc;
	}
	int accept = strcmp(action, "accept") == 0;
	hx_param p[] = {hx_p_text(accept ? "accepted" : "returned"), hx_p_text(reasons), hx_p_int(c->me->user_id),
			hx_p_text(now_iso(c)), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE checkup_batches SET status = ?, reasons = ?, decided_by = ?, decided_at = ? WHERE id = ?",
			     p, 5, NULL, err)))
		return rc;
	if (!accept) {
		/* returned checks may be resubmitted in a new batch */
		hx_param q[] = {hx_p_int(id)};
		if ((rc = hx_db_exec(c->db, "DELETE FROM checkup_batch_checks WHERE batch_id = ?", q, 1, NULL, err)))
			return rc;
	}
	json_t *ch = json_pack("{s:[s,s],s:[n,s?]}", "status", "submitted", accept ? "accepted" : "returned", "reasons", reasons);
	rc = hx_audit_write(c, accept ? "accept" : "return", "checkup_batch", id, json_string_value(json_object_get(b, "org_name")),
			    ch, err);
	json_decref(ch);
	if (rc)
		return rc;
	if (!accept) {
		/* the answer keeps the checks it had, for the record */
		*out = json_deep_copy(b);
		json_object_set_new(*out, "status", json_string("returned"));
		json_object_set_new(*out, "reasons", json_string(reasons));
		return 0;
	}
	return hx_checkup_batch_get(out, c, id, err);
}

/* ---- spot checks ---- */

struct drawn {
	char key[65];
	long long id;
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct drawn *)a)->key, ((const struct drawn *)b)->key);
}

int hx_checkup_spotcheck_draw(json_t **out, hx_ctx *c, long long batch_id, json_t *body, hx_err *err)
{
	if (!manager(c))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有县级工作人员可以抽查");
	json_t *b = NULL;
	int rc = hx_checkup_batch_get(&b, c, batch_id, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, b);
	if (!json_is_null(json_object_get(b, "spotcheck"))) {
		/* the same batch asked again: the same draw */
		*out = json_incref(json_object_get(b, "spotcheck"));
		return 0;
	}
	static const char *const allowed[] = {"share", NULL};
	if ((rc = hx_json_only(body, allowed, err)))
		return rc;
	json_t *sh = json_object_get(body, "share");
	if (!json_is_number(sh) || json_number_value(sh) <= 0 || json_number_value(sh) > 1)
		return hx_err_set(err, HX_EINVAL, "out_of_range", "share", "抽查比例应大于0且不超过1（如0.1表示10%%）");
	long long pm = llround(json_number_value(sh) * 1000);
	if (pm < 1)
		pm = 1;
	json_t *checks = json_object_get(b, "checks");
	size_t n = json_array_size(checks);
	if (!n)
		return hx_err_set(err, HX_EINVAL, "empty_batch", "", "批次中没有体检");
	uint8_t rnd[16];
	hx_random(rnd, sizeof rnd);
	char seed[33];
	hx_hex(seed, rnd, sizeof rnd);
	struct drawn *d = calloc(n, sizeof *d);
	for (size_t i = 0; i < n; i++) {
		d[i].id = json_integer_value(json_object_get(json_array_get(checks, i), "check_id"));
		char msg[96];
		int l = snprintf(msg, sizeof msg, "%s:%lld", seed, d[i].id);
		hx_sha256_hex(d[i].key, msg, (size_t)l);
	}
	qsort(d, n, sizeof *d, by_key);
	size_t take = (size_t)((n * (size_t)pm + 999) / 1000);
	if (take < 1)
		take = 1;
	json_t *drawn = json_array();
	for (size_t i = 0; i < take && i < n; i++)
		json_array_append_new(drawn, json_integer(d[i].id));
	free(d);
	char *dt = json_dumps(drawn, JSON_COMPACT);
	json_decref(drawn);
	long long org = json_integer_value(json_object_get(b, "org_id"));
	hx_param p[] = {hx_p_int(batch_id), hx_p_int(org), hx_p_text(seed), hx_p_int(pm), hx_p_text(dt), hx_p_int(c->me->user_id),
			hx_p_text(now_iso(c))};
	long long sid;
	rc = hx_db_int(c->db, &sid,
		       "INSERT INTO checkup_spotchecks (batch_id, org_id, seed, share_pm, drawn, created_by, created_at)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
		       p, 7, err);
	free(dt);
	if (rc)
		return rc;
	json_t *ch = json_pack("{s:[n,s],s:[n,I]}", "seed", seed, "share_per_mille", (json_int_t)pm);
	rc = hx_audit_write(c, "spotcheck", "checkup_batch", batch_id, json_string_value(json_object_get(b, "org_name")), ch, err);
	json_decref(ch);
	if (rc)
		return rc;
	*out = spot_json(c, batch_id);
	return 0;
}

int hx_checkup_spotcheck_record(json_t **out, hx_ctx *c, long long spot_id, long long check_id, json_t *body,
				hx_err *err)
{
	if (!manager(c))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有县级工作人员可以记录抽查结果");
	hx_rows *r;
	hx_param p[] = {hx_p_int(spot_id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT batch_id, drawn FROM checkup_spotchecks WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "抽查不存在");
	json_t *drawn = json_loads(hx_rows_get(r, 0, "drawn"), 0, NULL);
	int in = 0;
	size_t i;
	json_t *x;
	json_array_foreach(drawn, i, x)
		if (json_integer_value(x) == check_id)
			in = 1;
	json_decref(drawn);
	if (!in)
		return hx_err_set(err, HX_EINVAL, "not_drawn", "check_id", "该体检未被抽中");
	static const char *const allowed[] = {"method", "truthful", "note", NULL};
	const char *method, *note;
	int truthful;
	if ((rc = hx_json_only(body, allowed, err)) ||
	    (rc = hx_json_get_str(&method, NULL, body, "method", "核查方式", 1, 16, err)) ||
	    (rc = hx_json_get_bool(&truthful, NULL, body, "truthful", "核查结论", 1, err)) ||
	    (rc = hx_json_get_str(&note, NULL, body, "note", "核查说明", 0, 2000, err)))
		return rc;
	if (strcmp(method, "phone") != 0 && strcmp(method, "visit") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_method", "method", "核查方式应为电话（phone）或实地（visit）");
	hx_param q[] = {hx_p_int(spot_id), hx_p_int(check_id)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM checkup_spot_records WHERE spotcheck_id = ? AND check_id = ?", q, 2, NULL, err)))
		return rc;
	hx_param w[] = {hx_p_int(spot_id), hx_p_int(check_id), hx_p_text(method), hx_p_int(truthful), hx_p_text(note),
			hx_p_int(c->me->user_id), hx_p_text(now_iso(c))};
	if ((rc = hx_db_exec(c->db,
			     "INSERT INTO checkup_spot_records (spotcheck_id, check_id, method, truthful, note, user_id, created_at)"
			     " VALUES (?, ?, ?, ?, ?, ?, ?)",
			     w, 7, NULL, err)))
		return rc;
	json_t *ch = json_pack("{s:[n,s],s:[n,b]}", "method", method, "truthful", truthful);
	rc = hx_audit_write(c, "spot_record", "checkup_check", check_id, note, ch, err);
	json_decref(ch);
	if (rc)
		return rc;
	*out = spot_json(c, hx_rows_int(r, 0, "batch_id"));
	return 0;
}

/* ---- agency summary ---- */

int hx_checkup_agency_summary(json_t **out, hx_ctx *c, long long org_id, long long year, hx_err *err)
{
	if (!for_org(c, org_id))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "机构不存在");
	const char *name = org_name(c, org_id);
	if (!*name)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "机构不存在");
	hx_rows *r;
	hx_param p[] = {hx_p_int(org_id), hx_p_int(year)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT status, grade, regraded_from, reported_at FROM checkup_checks WHERE org_id = ? AND year = ?", p,
			     2, err);
	if (rc)
		return rc;
	json_t *status = json_object(), *grades = json_object();
	int upgrades = 0;
	for (int i = 0; i < r->nrows; i++) {
		const char *s = hx_rows_get(r, i, "status");
		json_object_set_new(status, s, json_integer(json_integer_value(json_object_get(status, s)) + 1));
		const char *g = hx_rows_get(r, i, "regraded_from") ? hx_rows_get(r, i, "regraded_from") : hx_rows_get(r, i, "grade");
		if (g)
			json_object_set_new(grades, g, json_integer(json_integer_value(json_object_get(grades, g)) + 1));
		upgrades += hx_rows_get(r, i, "regraded_from") != NULL;
	}
	hx_rows *s;
	if ((rc = hx_db_query(c->db, c->arena, &s,
			      "SELECT s.scores FROM checkup_satisfaction s JOIN checkup_checks k ON k.id = s.check_id"
			      " WHERE k.org_id = ? AND k.year = ?",
			      p, 2, err)))
		return rc;
	json_t *sum = json_object();
	for (int i = 0; i < s->nrows; i++) {
		json_t *sc = json_loads(hx_rows_cell(s, i, 0), 0, NULL);
		const char *q;
		json_t *v;
		json_object_foreach(sc, q, v)
			json_object_set_new(sum, q, json_integer(json_integer_value(json_object_get(sum, q)) + json_integer_value(v)));
		json_decref(sc);
	}
	json_t *avg = json_object();
	const char *q;
	json_t *v;
	json_object_foreach(sum, q, v)
		json_object_set_new(avg, q, json_real(round((double)json_integer_value(v) / s->nrows * 100) / 100));
	json_decref(sum);
	hx_rows *sp;
	if ((rc = hx_db_query(c->db, c->arena, &sp,
			      "SELECT count(*) AS n, sum(truthful) AS ok FROM checkup_spot_records x JOIN checkup_spotchecks y"
			      " ON y.id = x.spotcheck_id WHERE y.org_id = ?",
			      p, 1, err)))
		return rc;
	long long spn = hx_rows_int(sp, 0, "n"), spok = hx_rows_int(sp, 0, "ok");
	json_t *contracts = NULL;
	if ((rc = hx_checkup_contract_list(&contracts, c, year, err)))
		return rc;
	json_t *mine = json_array();
	size_t i;
	json_t *k;
	json_array_foreach(json_object_get(contracts, "items"), i, k)
		if (json_integer_value(json_object_get(k, "org_id")) == org_id)
			json_array_append(mine, k);
	json_decref(contracts);
	*out = json_pack("{s:I,s:s,s:I,s:I,s:o,s:o,s:i,s:o,s:I,s:o,s:{s:I,s:I,s:I},s:o}", "org_id", (json_int_t)org_id, "org_name",
			 name, "year", (json_int_t)year, "checks", (json_int_t)r->nrows, "by_status", status, "grades", grades,
			 "upgrades", upgrades, "satisfaction", avg, "ratings", (json_int_t)s->nrows, "satisfaction_count",
			 json_integer(s->nrows), "spotchecks", "checked", (json_int_t)spn, "truthful", (json_int_t)spok, "untruthful",
			 (json_int_t)(spn - spok), "contracts", mine);
	return 0;
}

/* ---- archive package ---- */

int hx_checkup_archive_zip(char **out, size_t *len, const char **name, hx_ctx *c, long long id, hx_err *err)
{
	json_t *check = NULL, *report = NULL, *hist = NULL;
	int rc = hx_checkup_check_get(&check, c, id, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, check);
	if (strcmp(json_string_value(json_object_get(check, "status")), "closed") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_archived", "", "体检归档后才能导出档案包");
	if ((rc = hx_audit_history(&hist, c, "checkup_check", id, err)))
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, hist);
	json_object_set(check, "history", hist);
	hx_zip *z = NULL;
	if ((rc = hx_zip_new(&z, err)))
		return rc;
	rc = hx_zip_add_json(z, "check.json", check, err);
	if (!rc && hx_checkup_report(&report, c, id, err) == 0) {
		rc = hx_zip_add_json(z, "report.json", report, err);
		char *pdf = NULL;
		size_t plen = 0;
		if (!rc && hx_checkup_report_pdf(&pdf, &plen, report, err) == 0) {
			rc = hx_zip_add(z, "report.pdf", pdf, plen, err);
			free(pdf);
		}
		json_decref(report);
	}
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(check, "files"), i, f) {
		if (rc)
			break;
		char *bytes = NULL;
		size_t blen = 0;
		const char *type, *fname;
		if ((rc = hx_checkup_file_get(&bytes, &blen, &type, &fname, c, json_integer_value(json_object_get(f, "id")), err)))
			break;
		char *entry = hx_arena_printf(c->arena, "files/%s/%lld-%s", json_string_value(json_object_get(f, "item_id")),
					      (long long)json_integer_value(json_object_get(f, "id")), fname);
		rc = hx_zip_add(z, entry, bytes, blen, err);
		free(bytes);
	}
	if (rc) {
		hx_zip_discard(z);
		return rc;
	}
	if ((rc = hx_zip_finish(out, len, z, err)))
		return rc;
	*name = hx_arena_printf(c->arena, "体检档案-%lld-%s.zip", id, json_string_value(json_object_get(check, "enterprise_name")));
	return 0;
}

/* ---- area analysis ---- */

static int size_ok(const char *size, long long staff)
{
	if (!size || !*size)
		return 1;
	if (strcmp(size, "small") == 0)
		return staff < 100;
	if (strcmp(size, "medium") == 0)
		return staff >= 100 && staff < 1000;
	if (strcmp(size, "large") == 0)
		return staff >= 1000;
	return 0;
}

static json_t *year_stats(hx_ctx *c, const hx_checkup_analysis_filter *f, long long year, json_t *ents, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(year)};
	if (hx_db_query(c->db, c->arena, &r,
			"SELECT id, enterprise_id, grade, regraded_from FROM checkup_checks WHERE year = ? AND reported_at IS NOT NULL",
			p, 1, err))
		return NULL;
	json_t *grades = json_pack("{s:i,s:i,s:i,s:i}", "A", 0, "B", 0, "C", 0, "D", 0);
	json_t *now = json_pack("{s:i,s:i,s:i,s:i}", "A", 0, "B", 0, "C", 0, "D", 0);
	json_t *risks = json_object();
	int n = 0, upgrades = 0;
	const hx_checklist *l = hx_checkup_checklist();
	for (int i = 0; i < r->nrows; i++) {
		char key[32];
		snprintf(key, sizeof key, "%lld", hx_rows_int(r, i, "enterprise_id"));
		json_t *e = json_object_get(ents, key);
		if (!e || !size_ok(f->size, json_integer_value(json_object_get(e, "employee_count"))))
			continue;
		n++;
		const char *g0 = hx_rows_get(r, i, "regraded_from") ? hx_rows_get(r, i, "regraded_from") : hx_rows_get(r, i, "grade");
		const char *g1 = hx_rows_get(r, i, "grade");
		if (g0)
			json_object_set_new(grades, g0, json_integer(json_integer_value(json_object_get(grades, g0)) + 1));
		if (g1)
			json_object_set_new(now, g1, json_integer(json_integer_value(json_object_get(now, g1)) + 1));
		upgrades += hx_rows_get(r, i, "regraded_from") != NULL;
		hx_rows *a;
		hx_param q[] = {hx_p_int(hx_rows_int(r, i, "id"))};
		if (hx_db_query(c->db, c->arena, &a, "SELECT item_id FROM checkup_answers WHERE check_id = ? AND result = 'risk'", q,
				1, err) == 0)
			for (int k = 0; k < a->nrows; k++) {
				const char *it = hx_rows_cell(a, k, 0);
				json_object_set_new(risks, it, json_integer(json_integer_value(json_object_get(risks, it)) + 1));
			}
	}
	/* the ten most common risks */
	json_t *top = json_array();
	for (int pick = 0; pick < 10; pick++) {
		const char *best = NULL, *k;
		long long bn = 0;
		json_t *v;
		json_object_foreach(risks, k, v)
			if (json_integer_value(v) > bn) {
				bn = json_integer_value(v);
				best = k;
			}
		if (!best)
			break;
		json_t *item = NULL;
		size_t ii;
		json_t *x;
		if (l)
			json_array_foreach(json_object_get((json_t *)hx_checklist_doc(l), "items"), ii, x)
				if (strcmp(json_string_value(json_object_get(x, "id")), best) == 0)
					item = x;
		json_array_append_new(top, json_pack("{s:s,s:O?,s:O?,s:I}", "item_id", best, "title",
						     item ? json_object_get(item, "title") : NULL, "severity",
						     item ? json_object_get(item, "severity") : NULL, "count", (json_int_t)bn));
		json_object_del(risks, best);
	}
	json_decref(risks);
	return json_pack("{s:I,s:i,s:o,s:o,s:i,s:o}", "year", (json_int_t)year, "checks", n, "grades", grades,
			 "grades_now", now, "upgrades", upgrades, "top_risks", top);
}

int hx_checkup_analysis(json_t **out, hx_ctx *c, const hx_checkup_analysis_filter *f, hx_err *err)
{
	if (f->year < 2000 || f->year > 2100)
		return hx_err_set(err, HX_EINVAL, "required", "year", "请指定年度");
	if (f->size && *f->size && strcmp(f->size, "small") != 0 && strcmp(f->size, "medium") != 0 && strcmp(f->size, "large") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_size", "size", "企业规模应为small、medium或large");
	/* the enterprises in the caller's scope and the filters */
	hx_enterprise_filter ef = {.above_scale = -1, .is_company = -1, .newly_registered = -1, .special_difficulty = -1,
				   .is_sme = -1, .area_id = f->area_id, .industry = f->industry};
	json_t *list = NULL;
	int rc = hx_registry_enterprise_list(&list, c, &ef, 1, 0, err);
	if (rc)
		return rc;
	json_t *ents = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(list, "items"), i, e) {
		char key[32];
		snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(e, "id")));
		json_object_set(ents, key, e);
	}
	json_decref(list);
	json_t *cur = year_stats(c, f, f->year, ents, err);
	json_t *prev = cur ? year_stats(c, f, f->year - 1, ents, err) : NULL;
	json_decref(ents);
	if (!cur || !prev) {
		json_decref(cur);
		json_decref(prev);
		return err->code ? err->code : HX_EDB;
	}
	*out = json_pack("{s:o,s:o,s:{s:I,s:s?,s:s?}}", "current", cur, "previous", prev, "filter", "area_id",
			 (json_int_t)f->area_id, "industry", f->industry, "size", f->size);
	return 0;
}

/* ---- the area analysis as PDF ---- */


struct grows {
	json_t *cur, *prev;
	int i;
	char b[3][24];
};

static int grade_row(void *ctx, const char **cells, unsigned *flags)
{
	(void)flags;
	struct grows *g = ctx;
	static const char *const G[] = {"A", "B", "C", "D"};
	if (g->i >= 4)
		return 0;
	const char *k = G[g->i++];
	snprintf(g->b[0], sizeof g->b[0], "%lld", (long long)json_integer_value(json_object_get(json_object_get(g->cur, "grades"), k)));
	snprintf(g->b[1], sizeof g->b[1], "%lld", (long long)json_integer_value(json_object_get(json_object_get(g->cur, "grades_now"), k)));
	snprintf(g->b[2], sizeof g->b[2], "%lld", (long long)json_integer_value(json_object_get(json_object_get(g->prev, "grades"), k)));
	cells[0] = k;
	cells[1] = g->b[0];
	cells[2] = g->b[1];
	cells[3] = g->b[2];
	return 1;
}

struct rrows {
	json_t *top;
	size_t i;
	char rank[8], count[24];
};

static int risk_row(void *ctx, const char **cells, unsigned *flags)
{
	(void)flags;
	struct rrows *r = ctx;
	json_t *t = json_array_get(r->top, r->i);
	if (!t)
		return 0;
	r->i++;
	snprintf(r->rank, sizeof r->rank, "%zu", r->i);
	snprintf(r->count, sizeof r->count, "%lld", (long long)json_integer_value(json_object_get(t, "count")));
	cells[0] = r->rank;
	cells[1] = json_string_value(json_object_get(t, "title"));
	cells[2] = json_string_value(json_object_get(t, "severity"));
	cells[3] = r->count;
	return 1;
}

int hx_checkup_analysis_pdf(char **out, size_t *len, hx_ctx *c, const hx_checkup_analysis_filter *f, hx_err *err)
{
	json_t *a = NULL;
	int rc = hx_checkup_analysis(&a, c, f, err);
	if (rc)
		return rc;
	hx_pdf_doc *doc = NULL;
	if ((rc = hx_pdf_doc_new(&doc, "区域劳动用工抽验分析报告", err))) {
		json_decref(a);
		return rc;
	}
	json_t *cur = json_object_get(a, "current"), *prev = json_object_get(a, "previous");
	const char *area = "全县";
	json_t *ar = NULL;
	hx_err e = {0};
	if (f->area_id && hx_registry_area_get(&ar, c, f->area_id, &e) == 0)
		area = hx_arena_strdup(c->arena, json_string_value(json_object_get(ar, "name")));
	json_decref(ar);
	static const char *const sizes[] = {"small", "小型（100人以下）", "medium", "中型（100至999人）", "large", "大型（1000人以上）"};
	const char *size = "全部";
	for (int i = 0; f->size && i < 6; i += 2)
		if (strcmp(f->size, sizes[i]) == 0)
			size = sizes[i + 1];
	const char *industry = f->industry && *f->industry ? hx_registry_industry_name(f->industry) : NULL;
	char today[11];
	hx_today(today);
	const char *kv[] = {"年度", hx_arena_printf(c->arena, "%lld年", f->year), "区域", area, "行业",
			    industry ? industry : "全部", "企业规模", size, "生成日期", today};
	hx_pdf_heading(doc, "区域劳动用工抽验分析报告", 1);
	hx_pdf_key_values(doc, kv, 5);
	hx_pdf_heading(doc, "一、总体情况", 2);
	hx_pdf_paragraph(doc, hx_arena_printf(c->arena,
					      "本年度完成体检并出具报告%lld家（上年度%lld家），经整改回访后升级%lld家。",
					      (long long)json_integer_value(json_object_get(cur, "checks")),
					      (long long)json_integer_value(json_object_get(prev, "checks")),
					      (long long)json_integer_value(json_object_get(cur, "upgrades"))));
	hx_pdf_heading(doc, "二、评级分布", 2);
	static const hx_pdf_column gcols[] = {{"评级", 20, HX_PDF_CENTER}, {"本年度体检时", 0, HX_PDF_RIGHT},
					      {"整改后", 0, HX_PDF_RIGHT}, {"上年度", 0, HX_PDF_RIGHT}};
	struct grows g = {cur, prev, 0, {{0}}};
	hx_pdf_table(doc, gcols, 4, grade_row, &g);
	hx_pdf_heading(doc, "三、最常见的用工风险", 2);
	static const hx_pdf_column rcols[] = {{"序号", 14, HX_PDF_CENTER}, {"检查项", 0, HX_PDF_LEFT},
					      {"风险等级", 22, HX_PDF_CENTER}, {"企业数", 20, HX_PDF_RIGHT}};
	struct rrows rr = {json_object_get(cur, "top_risks"), 0, "", ""};
	if (json_array_size(rr.top))
		hx_pdf_table(doc, rcols, 4, risk_row, &rr);
	else
		hx_pdf_paragraph(doc, "本年度体检未发现风险。");
	rc = hx_pdf_doc_finish(out, len, doc, err);
	hx_pdf_doc_free(doc);
	json_decref(a);
	return rc;
}
