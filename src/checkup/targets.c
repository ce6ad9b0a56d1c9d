/* Who is checked and by whom: the year's targets (enterprises due for the
 * employment health check) and the service contracts with the
 * organizations that carry the checks out. Each call is one step of one
 * request's transaction. */
#include "checkup_impl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../account/account.h"
#include "../audit/audit.h"
#include "../core/arena.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../registry/registry.h"
#include "../store/store.h"

/* ---- targets ---- */

int hx_checkup_targets_generate(json_t **out, hx_ctx *c, long long year, hx_err *err)
{
	if (year < 2000 || year > 2100)
		return hx_err_set(err, HX_EINVAL, "out_of_range", "year", "年度无效");
	long long fixed = 0;
	hx_param fy[] = {hx_p_int(year)};
	int rc = hx_db_int(c->db, &fixed, "SELECT count(*) FROM checkup_targets WHERE year = ? AND fixed = 1", fy, 1, err);
	if (rc)
		return rc;
	if (fixed)
		return hx_err_set(err, HX_ECONFLICT, "targets_fixed", "year", "%lld年度的体检名单已确定，不能重新生成", year);
	hx_enterprise_filter f = {.above_scale = -1, .is_company = -1, .newly_registered = -1, .special_difficulty = -1,
				  .is_sme = -1};
	json_t *ents = NULL;
	if ((rc = hx_registry_enterprise_list(&ents, c, &f, 1, 0, err)))
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, ents);
	char cutoff[11];
	hx_date_add_months(cutoff, hx_checkup_today(c), -12);
	size_t i;
	json_t *e;
	long long added = 0;
	json_array_foreach(json_object_get(ents, "items"), i, e) {
		long long eid = json_integer_value(json_object_get(e, "id"));
		json_t *reasons = json_array();
		if (json_is_true(json_object_get(e, "newly_registered")))
			json_array_append_new(reasons, json_string("近12个月新注册"));
		if (json_is_true(json_object_get(e, "special_difficulty")))
			json_array_append_new(reasons, json_string("特殊困难企业"));
		if (json_is_true(json_object_get(e, "is_sme")))
			json_array_append_new(reasons, json_string("中小微企业"));
		hx_rows *r;
		hx_param p[] = {hx_p_int(eid)};
		if ((rc = hx_db_query(c->db, c->arena, &r,
				      "SELECT grade, regraded_from, reported_at FROM checkup_checks WHERE enterprise_id = ?"
				      " AND reported_at IS NOT NULL ORDER BY reported_at DESC LIMIT 1",
				      p, 1, err))) {
			json_decref(reasons);
			return rc;
		}
		if (!r->nrows || strcmp(hx_rows_get(r, 0, "reported_at"), cutoff) < 0)
			json_array_append_new(reasons, json_string("12个月内未体检"));
		if (r->nrows && hx_rows_get(r, 0, "grade") &&
		    (strcmp(hx_rows_get(r, 0, "grade"), "C") == 0 || strcmp(hx_rows_get(r, 0, "grade"), "D") == 0))
			json_array_append_new(reasons, json_string("上次体检评级为C或D且未升级"));
		char *rt = json_dumps(reasons, JSON_COMPACT);
		long long prio = (long long)json_array_size(reasons);
		json_decref(reasons);
		hx_param q[] = {hx_p_int(year), hx_p_int(eid), hx_p_text(rt), hx_p_int(prio), hx_p_int(prio > 0),
				hx_p_text(hx_checkup_now_iso(c)), hx_p_text(hx_checkup_now_iso(c))};
		long long ch = 0;
		rc = hx_db_exec(c->db,
				"INSERT INTO checkup_targets (year, enterprise_id, reasons, priority, included, created_at,"
				" updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
				q, 7, &ch, err);
		free(rt);
		if (rc)
			return rc;
		added += ch;
	}
	json_t *chg = json_pack("{s:[n,I]}", "targets_added", (json_int_t)added);
	rc = hx_audit_write(c, "create", "checkup_targets", year, "体检名单", chg, err);
	json_decref(chg);
	return rc ? rc : hx_checkup_targets_list(out, c, year, err);
}

int hx_checkup_targets_list(json_t **out, hx_ctx *c, long long year, hx_err *err)
{
	/* the registry decides which enterprises the caller may see */
	hx_enterprise_filter f = {.above_scale = -1, .is_company = -1, .newly_registered = -1, .special_difficulty = -1,
				  .is_sme = -1};
	json_t *ents = NULL;
	int rc = hx_registry_enterprise_list(&ents, c, &f, 1, 0, err);
	if (rc)
		return rc;
	json_t *visible = json_object(), *names = json_object();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(ents, "items"), i, e) {
		char k[32];
		snprintf(k, sizeof k, "%lld", (long long)json_integer_value(json_object_get(e, "id")));
		json_object_set(visible, k, e);
	}
	json_decref(ents);
	(void)names;
	hx_rows *r;
	hx_param p[] = {hx_p_int(year), hx_p_int(year)};
	rc = hx_db_query(c->db, c->arena, &r,
			 "SELECT t.id, t.year, t.enterprise_id, t.reasons, t.priority, t.included, t.note, t.fixed,"
			 " (SELECT min(k.id) FROM checkup_checks k WHERE k.enterprise_id = t.enterprise_id AND k.year = ?) AS check_id"
			 " FROM checkup_targets t WHERE t.year = ? ORDER BY t.priority DESC, t.enterprise_id",
			 p, 2, err);
	if (rc) {
		json_decref(visible);
		json_decref(names);
		return rc;
	}
	json_t *items = json_array();
	long long included = 0;
	for (int k = 0; k < r->nrows; k++) {
		json_t *ent = json_object_get(visible, hx_rows_get(r, k, "enterprise_id"));
		if (!ent)
			continue;
		json_t *reasons = json_loads(hx_rows_get(r, k, "reasons"), 0, NULL);
		const char *cid = hx_rows_get(r, k, "check_id");
		json_array_append_new(items, json_pack("{s:I,s:I,s:I,s:O,s:O,s:O,s:o,s:I,s:b,s:s?,s:b,s:o}", "id",
						       (json_int_t)hx_rows_int(r, k, "id"), "year", (json_int_t)year,
						       "enterprise_id", (json_int_t)hx_rows_int(r, k, "enterprise_id"),
						       "enterprise_name", json_object_get(ent, "name"), "uscc",
						       json_object_get(ent, "uscc"), "area_name",
						       json_object_get(ent, "area_name"), "reasons",
						       reasons ? reasons : json_array(), "priority",
						       (json_int_t)hx_rows_int(r, k, "priority"), "included",
						       (int)hx_rows_int(r, k, "included"), "note", hx_rows_get(r, k, "note"),
						       "fixed", (int)hx_rows_int(r, k, "fixed"), "check_id",
						       cid ? json_integer(atoll(cid)) : json_null()));
		included += hx_rows_int(r, k, "included");
	}
	json_decref(visible);
	json_decref(names);
	*out = json_pack("{s:o,s:I,s:I}", "items", items, "total", (json_int_t)json_array_size(items), "included",
			 (json_int_t)included);
	return 0;
}

int hx_checkup_target_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	static const char *const allowed[] = {"included", "note", NULL};
	int rc, inc, present;
	const char *note;
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	if ((rc = hx_json_only(body, allowed, err)) ||
	    (rc = hx_db_query(c->db, c->arena, &r, "SELECT year, enterprise_id, fixed, included, note FROM checkup_targets"
						   " WHERE id = ?", p, 1, err)))
		return rc;
	if (!r->nrows || hx_registry_enterprise_visible(c, hx_rows_int(r, 0, "enterprise_id"), err))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "名单记录不存在");
	if (hx_rows_int(r, 0, "fixed"))
		return hx_err_set(err, HX_ECONFLICT, "targets_fixed", "", "体检名单已确定，不能再调整");
	inc = (int)hx_rows_int(r, 0, "included");
	note = hx_rows_get(r, 0, "note");
	if ((rc = hx_json_get_bool(&inc, NULL, body, "included", "是否列入", 0, err)))
		return rc;
	if (json_object_get(body, "note") && (rc = hx_json_get_str(&note, &present, body, "note", "调整说明", 0, 200, err)))
		return rc;
	hx_param q[] = {hx_p_int(inc), hx_p_text(note), hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE checkup_targets SET included = ?, note = ?, updated_at = ? WHERE id = ?", q, 4,
			     NULL, err)))
		return rc;
	json_t *ch = json_pack("{s:[n,b]}", "included", inc);
	rc = hx_audit_write(c, "update", "checkup_target", id, note, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_targets_list(out, c, hx_rows_int(r, 0, "year"), err);
}

int hx_checkup_targets_fix(json_t **out, hx_ctx *c, long long year, hx_err *err)
{
	hx_param p[] = {hx_p_int(year)};
	long long n = 0;
	int rc = hx_db_int(c->db, &n, "SELECT count(*) FROM checkup_targets WHERE year = ?", p, 1, err);
	if (rc)
		return rc;
	if (!n)
		return hx_err_set(err, HX_EINVAL, "no_targets", "year", "%lld年度还没有体检名单", year);
	if ((rc = hx_db_exec(c->db, "UPDATE checkup_targets SET fixed = 1 WHERE year = ?", p, 1, NULL, err)) ||
	    (rc = hx_audit_write(c, "fix", "checkup_targets", year, "体检名单", NULL, err)))
		return rc;
	return hx_checkup_targets_list(out, c, year, err);
}

/* ---- service contracts ---- */

int hx_checkup_org_kind(const char **kind, const char **name, hx_ctx *c, long long org, hx_err *err)
{
	json_t *o = NULL;
	int rc = hx_account_org_get(&o, c, org, err);
	if (rc)
		return hx_err_set(err, HX_EINVAL, "invalid_org", "org_id", "机构不存在");
	*kind = hx_arena_strdup(c->arena, json_string_value(json_object_get(o, "kind")));
	*name = hx_arena_strdup(c->arena, json_string_value(json_object_get(o, "name")));
	json_decref(o);
	return 0;
}

int hx_checkup_contract_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	static const char *const allowed[] = {"org_id", "year", "check_count", "fee", NULL};
	long long org, year, count;
	int rc;
	const char *kind, *name;
	if ((rc = hx_json_only(body, allowed, err)) ||
	    (rc = hx_json_get_int(&org, NULL, body, "org_id", "服务机构", 1, 1, INT64_MAX, err)) ||
	    (rc = hx_json_get_int(&year, NULL, body, "year", "年度", 1, 2000, 2100, err)) ||
	    (rc = hx_json_get_int(&count, NULL, body, "check_count", "体检家数", 1, 1, 100000, err)) ||
	    (rc = hx_checkup_org_kind(&kind, &name, c, org, err)))
		return rc;
	if (strcmp(kind, "agency") != 0)
		return hx_err_set(err, HX_EINVAL, "not_agency", "org_id", "服务合同只能与第三方服务机构签订");
	json_t *fee = json_object_get(body, "fee");
	if (!json_is_number(fee) || json_number_value(fee) < 0 || json_number_value(fee) > 1e10)
		return hx_err_set(err, HX_EINVAL, "invalid_fee", "fee", "服务费用应为不小于0的金额（元）");
	long long cents = (long long)(json_number_value(fee) * 100 + 0.5);
	hx_param p[] = {hx_p_int(org), hx_p_int(year), hx_p_int(count), hx_p_int(cents), hx_p_text(hx_checkup_now_iso(c))};
	long long id;
	if ((rc = hx_db_int(c->db, &id,
			    "INSERT INTO checkup_contracts (org_id, year, check_count, fee_cents, created_at)"
			    " VALUES (?, ?, ?, ?, ?) RETURNING id",
			    p, 5, err)))
		return rc;
	json_t *ch = json_pack("{s:[n,I],s:[n,f]}", "check_count", (json_int_t)count, "fee", (double)cents / 100);
	rc = hx_audit_write(c, "create", "checkup_contract", id, name, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_contract_list(out, c, year, err);
}

int hx_checkup_contract_list(json_t **out, hx_ctx *c, long long year, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(year)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT k.id, k.org_id, k.year, k.check_count, k.fee_cents,"
			     " (SELECT count(*) FROM checkup_checks x WHERE x.contract_id = k.id) AS used"
			     " FROM checkup_contracts k WHERE k.year = ? ORDER BY k.id",
			     p, 1, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		const char *kind, *name;
		hx_err e = {0};
		if (hx_checkup_org_kind(&kind, &name, c, hx_rows_int(r, i, "org_id"), &e))
			name = "";
		if (c->me->scope.kind == HX_SCOPE_ORG && c->me->scope.org_id != hx_rows_int(r, i, "org_id"))
			continue;
		json_array_append_new(items, json_pack("{s:I,s:I,s:s,s:I,s:I,s:f,s:I}", "id", (json_int_t)hx_rows_int(r, i, "id"),
						       "org_id", (json_int_t)hx_rows_int(r, i, "org_id"), "org_name", name,
						       "year", (json_int_t)year, "check_count",
						       (json_int_t)hx_rows_int(r, i, "check_count"), "fee",
						       (double)hx_rows_int(r, i, "fee_cents") / 100, "used",
						       (json_int_t)hx_rows_int(r, i, "used")));
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}
