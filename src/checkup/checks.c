/* One check and its visit: assignment, the platform's own answers beside
 * the inspector's, the answers and the files that back them. Each call is
 * one step of one request's transaction. */
#include "checkup_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../account/account.h"
#include "../audit/audit.h"
#include "../contract/contract.h"
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/crypto.h"
#include "../core/json.h"
#include "../notify/notify.h"
#include "../registry/registry.h"
#include "../store/store.h"

#define FILE_MAX ((size_t)10 << 20)

/* A principal that sees every enterprise, for reading registry facts the
 * caller is entitled to through a check it can see. */
static hx_ctx county_ctx(hx_ctx *c, hx_principal *cli)
{
	hx_account_cli_principal(cli);
	hx_ctx c2 = *c;
	c2.me = cli;
	return c2;
}

/* ---- checks ---- */

/* Loads a check the caller may see; HX_ENOTFOUND otherwise. */
int hx_checkup_chk_load(hx_checkup_chk *k, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, year, enterprise_id, org_id, inspector_id, scheduled_on, checklist_id,"
			     " checklist_version, status, grade, score, flags, reported_at, acknowledged_at, regraded_from,"
			     " regraded_at, closed_at, created_at FROM checkup_checks WHERE id = ?",
			     p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "体检记录不存在或不在您的管理范围内");
	memset(k, 0, sizeof *k);
	k->id = id;
	k->year = hx_rows_int(r, 0, "year");
	k->enterprise_id = hx_rows_int(r, 0, "enterprise_id");
	k->org_id = hx_rows_int(r, 0, "org_id");
	k->inspector_id = hx_rows_int(r, 0, "inspector_id");
	k->scheduled_on = hx_rows_get(r, 0, "scheduled_on");
	k->checklist_id = hx_rows_get(r, 0, "checklist_id");
	k->status = hx_rows_get(r, 0, "status");
	k->grade = hx_rows_get(r, 0, "grade");
	k->has_score = hx_rows_get(r, 0, "score") != NULL;
	k->score = hx_rows_int(r, 0, "score");
	k->flags = hx_rows_get(r, 0, "flags");
	k->reported_at = hx_rows_get(r, 0, "reported_at");
	k->acknowledged_at = hx_rows_get(r, 0, "acknowledged_at");
	k->regraded_from = hx_rows_get(r, 0, "regraded_from");
	k->regraded_at = hx_rows_get(r, 0, "regraded_at");
	k->closed_at = hx_rows_get(r, 0, "closed_at");
	k->created_at = hx_rows_get(r, 0, "created_at");
	const hx_principal *me = c->me;
	int ok;
	hx_err e = {0};
	switch (me->scope.kind) {
	case HX_SCOPE_COUNTY:
		ok = hx_checkup_can(c, HX_PERM_CHECKUP_MANAGE) || hx_checkup_can(c, HX_PERM_REGISTRY_READ);
		break;
	case HX_SCOPE_ORG:
		ok = me->scope.org_id == k->org_id;
		break;
	case HX_SCOPE_ENTERPRISE:
	case HX_SCOPE_AREA:
		ok = hx_registry_enterprise_visible(c, k->enterprise_id, &e) == 0;
		break;
	default:
		ok = 0;
	}
	if (!ok)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "体检记录不存在或不在您的管理范围内");
	k->list = hx_checkup_checklist_find(k->checklist_id, (int)hx_rows_int(r, 0, "checklist_version"));
	if (!k->list)
		return hx_err_set(err, HX_EINTERNAL, "checklist_missing", "", "checklist %s v%lld is not loaded",
				  k->checklist_id, hx_rows_int(r, 0, "checklist_version"));
	hx_principal cli;
	hx_ctx c2 = county_ctx(c, &cli);
	if (hx_registry_enterprise_name(&k->enterprise_name, &c2, k->enterprise_id, &e))
		k->enterprise_name = "（已删除的企业）";
	const char *kind;
	if (hx_checkup_org_kind(&kind, &k->org_name, c, k->org_id, &e))
		k->org_name = "";
	return 0;
}

int hx_checkup_is_inspector(hx_ctx *c, const hx_checkup_chk *k)
{
	if (hx_checkup_can(c, HX_PERM_CHECKUP_MANAGE) && c->me->scope.kind == HX_SCOPE_COUNTY)
		return 1;
	return hx_checkup_can(c, HX_PERM_CHECKUP_INSPECT) && c->me->scope.kind == HX_SCOPE_ORG && c->me->scope.org_id == k->org_id;
}

int hx_checkup_is_enterprise(hx_ctx *c, const hx_checkup_chk *k)
{
	return hx_checkup_can(c, HX_PERM_CHECKUP_RESPOND) && c->me->scope.kind == HX_SCOPE_ENTERPRISE &&
	       c->me->scope.enterprise_id == k->enterprise_id;
}

static json_t *chk_json(const hx_checkup_chk *k)
{
	json_t *flags = json_loads(k->flags ? k->flags : "[]", 0, NULL);
	return json_pack("{s:I,s:I,s:I,s:s,s:I,s:s,s:o,s:s?,s:s,s:s?,s:o,s:o,s:s?,s:s?,s:s?,s:s?,s:s?,s:s,s:s,s:i}", "id",
			 (json_int_t)k->id, "year", (json_int_t)k->year, "enterprise_id", (json_int_t)k->enterprise_id,
			 "enterprise_name", k->enterprise_name, "org_id", (json_int_t)k->org_id, "org_name", k->org_name,
			 "inspector_id", k->inspector_id ? json_integer(k->inspector_id) : json_null(), "scheduled_on",
			 k->scheduled_on, "status", k->status, "grade", k->grade, "score",
			 k->has_score ? json_integer(k->score) : json_null(), "flags", flags ? flags : json_array(),
			 "reported_at", k->reported_at, "acknowledged_at", k->acknowledged_at, "regraded_from",
			 k->regraded_from, "regraded_at", k->regraded_at, "closed_at", k->closed_at, "created_at",
			 k->created_at, "checklist_id", k->checklist_id, "checklist_version", k->list->version);
}

/* The papers the enterprise prepares: every item's list, once each. */
static json_t *papers(const hx_checklist *l)
{
	json_t *seen = json_object(), *out = json_array();
	size_t i, j;
	json_t *it, *p;
	json_array_foreach(json_object_get(l->doc, "items"), i, it)
		json_array_foreach(json_object_get(it, "papers"), j, p)
			if (json_is_string(p) && !json_object_get(seen, json_string_value(p))) {
				json_object_set_new(seen, json_string_value(p), json_true());
				json_array_append(out, p);
			}
	json_decref(seen);
	return out;
}

int hx_checkup_check_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	static const char *const allowed[] = {"enterprise_id", "org_id", "contract_id", "scheduled_on", "year", NULL};
	long long eid, org, contract = 0, year;
	const char *date, *kind, *oname, *ename;
	int rc, present;
	if ((rc = hx_json_only(body, allowed, err)) ||
	    (rc = hx_json_get_int(&eid, NULL, body, "enterprise_id", "体检企业", 1, 1, INT64_MAX, err)) ||
	    (rc = hx_json_get_int(&org, NULL, body, "org_id", "承担机构", 1, 1, INT64_MAX, err)) ||
	    (rc = hx_json_get_int(&contract, &present, body, "contract_id", "服务合同", 0, 1, INT64_MAX, err)) ||
	    (rc = hx_json_get_int(&year, NULL, body, "year", "年度", 1, 2000, 2100, err)) ||
	    (rc = hx_json_get_date(&date, NULL, body, "scheduled_on", "体检日期", 0, err)))
		return rc;
	if (hx_registry_enterprise_name(&ename, c, eid, err))
		return hx_err_set(err, HX_EINVAL, "invalid_enterprise", "enterprise_id", "体检企业不存在或不在您的管理范围内");
	if ((rc = hx_checkup_org_kind(&kind, &oname, c, org, err)))
		return rc;
	if (strcmp(kind, "agency") != 0 && strcmp(kind, "task_force") != 0)
		return hx_err_set(err, HX_EINVAL, "not_agency", "org_id", "体检只能委托第三方服务机构或专班");
	if (strcmp(kind, "agency") == 0) {
		if (!contract)
			return hx_err_set(err, HX_EINVAL, "required", "contract_id", "委托第三方机构须选择服务合同");
		hx_rows *r;
		hx_param p[] = {hx_p_int(contract)};
		if ((rc = hx_db_query(c->db, c->arena, &r,
				      "SELECT org_id, year, check_count, (SELECT count(*) FROM checkup_checks x WHERE"
				      " x.contract_id = k.id) AS used FROM checkup_contracts k WHERE k.id = ?",
				      p, 1, err)))
			return rc;
		if (!r->nrows || hx_rows_int(r, 0, "org_id") != org)
			return hx_err_set(err, HX_EINVAL, "invalid_contract", "contract_id", "服务合同不属于该机构");
		if (hx_rows_int(r, 0, "used") >= hx_rows_int(r, 0, "check_count"))
			return hx_err_set(err, HX_ECONFLICT, "contract_full", "contract_id", "该服务合同约定的%lld家体检已全部分配",
					  hx_rows_int(r, 0, "check_count"));
	} else
		contract = 0;
	const hx_checklist *l = hx_checkup_checklist();
	if (!l)
		return hx_err_set(err, HX_EINTERNAL, "no_checklist", "", "no checklist loaded (data/checklists/)");
	long long open = 0;
	hx_param q[] = {hx_p_int(eid), hx_p_int(year)};
	if ((rc = hx_db_int(c->db, &open, "SELECT count(*) FROM checkup_checks WHERE enterprise_id = ? AND year = ?"
					  " AND status <> 'closed'", q, 2, err)))
		return rc;
	if (open)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_check", "enterprise_id", "%s本年度已有未完成的体检", ename);
	hx_param p[] = {hx_p_int(year), hx_p_int(eid), hx_p_int(org), contract ? hx_p_int(contract) : hx_p_null(),
			hx_p_text(date), hx_p_text(l->id), hx_p_int(l->version), hx_p_text(hx_checkup_now_iso(c)), hx_p_text(hx_checkup_now_iso(c))};
	long long id;
	if ((rc = hx_db_int(c->db, &id,
			    "INSERT INTO checkup_checks (year, enterprise_id, org_id, contract_id, scheduled_on, checklist_id,"
			    " checklist_version, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'assigned', ?, ?)"
			    " RETURNING id",
			    p, 9, err)))
		return rc;
	/* the agency sees the enterprise from now on */
	json_t *assigned = NULL;
	if ((rc = hx_registry_agency_enterprises(&assigned, c, org, err)))
		return rc;
	json_t *ids = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(assigned, "items"), i, e)
		json_array_append(ids, json_object_get(e, "id"));
	json_array_append_new(ids, json_integer(eid));
	json_decref(assigned);
	rc = hx_registry_agency_assign(c, org, ids, err);
	json_decref(ids);
	if (rc)
		return rc;
	json_t *ch = json_pack("{s:[n,s],s:[n,s?]}", "org", oname, "scheduled_on", date);
	rc = hx_audit_write(c, "assign", "checkup_check", id, ename, ch, err);
	json_decref(ch);
	if (rc)
		return rc;
	/* the enterprise learns of the check and what to prepare */
	json_t *pp = papers(l);
	hx_buf msg;
	hx_buf_init(&msg, 4096);
	hx_buf_printf(&msg, "您单位%s将接受劳动用工体检（承担机构：%s）。请提前准备：", date ? hx_arena_printf(c->arena, "于%s", date) : "",
		      oname);
	for (size_t pi = 0; pi < json_array_size(pp) && pi < 8; pi++)
		hx_buf_printf(&msg, "%s%s", pi ? "、" : "", json_string_value(json_array_get(pp, pi)));
	hx_buf_printf(&msg, "等%zu项资料（完整清单见体检任务页面）。", json_array_size(pp));
	json_decref(pp);
	rc = hx_notify_enterprise(c, eid, msg.data, hx_arena_printf(c->arena, "/checkup/checks/%lld", id), err);
	hx_buf_free(&msg);
	return rc ? rc : hx_checkup_check_get(out, c, id, err);
}

int hx_checkup_check_list(json_t **out, hx_ctx *c, long long year, const char *status, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(year)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     year ? "SELECT id FROM checkup_checks WHERE year = ? ORDER BY id DESC"
				  : "SELECT id FROM checkup_checks ORDER BY id DESC LIMIT 1000",
			     p, year ? 1 : 0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		hx_checkup_chk k;
		hx_err e = {0};
		if (hx_checkup_chk_load(&k, c, atoll(hx_rows_cell(r, i, 0)), &e))
			continue;
		if (status && *status && strcmp(status, k.status) != 0)
			continue;
		json_array_append_new(items, chk_json(&k));
	}
	*out = json_pack("{s:o,s:I}", "items", items, "total", (json_int_t)json_array_size(items));
	return 0;
}

/* The platform's own answers: {item_id: {"result","note"}} for the items
 * its data can decide. */
int hx_checkup_auto_answers(json_t **out, hx_ctx *c, const hx_checkup_chk *k, hx_err *err)
{
	hx_roster_stats st;
	hx_principal cli;
	hx_ctx c2 = county_ctx(c, &cli);
	int rc = hx_registry_roster_stats(&st, &c2, k->enterprise_id, err);
	if (rc == HX_ENOTFOUND) { /* deleted since: the inspector answers */
		*out = json_object();
		return 0;
	}
	if (rc)
		return rc;
	/* the written-contract rate, electronic and paper, dispatched workers
	 * out (see hx_contract_rate_parts_get) */
	hx_contract_rate_parts rate;
	if ((rc = hx_contract_rate_parts_get(&rate, c, k->enterprise_id, err)))
		return rc;
	json_t *o = json_object();
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(k->list->doc, "items"), i, it) {
		const char *a = json_string_value(json_object_get(it, "auto"));
		const char *id = json_string_value(json_object_get(it, "id"));
		if (!a)
			continue;
		if (strcmp(a, "child_labor") == 0)
			json_object_set_new(o, id, json_pack("{s:s,s:s}", "result", st.under16 ? "risk" : "pass", "note",
							 st.under16 ? hx_arena_printf(c->arena, "职工名册中有%lld名未满16周岁的人员", st.under16)
								    : "职工名册中没有未满16周岁的人员"));
		else if (strcmp(a, "dispatched_share") == 0 && st.active) {
			int over = st.dispatched * 10 > st.active;
			json_object_set_new(o, id, json_pack("{s:s,s:s}", "result", over ? "risk" : "pass", "note",
							 hx_arena_printf(c->arena, "在册职工%lld人，其中劳务派遣%lld人（%.1f%%）", st.active,
									 st.dispatched, 100.0 * (double)st.dispatched / (double)st.active)));
		} else if (strcmp(a, "minor_workers") == 0 && st.minors == 0)
			json_object_set_new(o, id, json_pack("{s:s,s:s}", "result", "na", "note", "职工名册中没有16至18周岁的未成年工"));
		else if (strcmp(a, "written_contract_rate") == 0 && rate.known) {
			/* 劳动合同法 第十条: a written contract with every worker */
			char note[256];
			hx_contract_rate_note(note, sizeof note, &rate);
			json_object_set_new(o, id, json_pack("{s:s,s:s,s:{s:I,s:I,s:I,s:I}}", "result",
							     rate.unsigned_ ? "risk" : "pass", "note", note, "parts",
							     "electronic", (json_int_t)rate.electronic, "paper",
							     (json_int_t)rate.paper, "unsigned", (json_int_t)rate.unsigned_,
							     "dispatched", (json_int_t)rate.dispatched));
		}
		/* probation_too_long needs the terms of every contract, paper
		 * ones included: the inspector answers it */
	}
	*out = o;
	return 0;
}

int hx_checkup_check_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	json_t *o = chk_json(&k), *answers = json_object();
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT item_id, result, note, auto, updated_at FROM checkup_answers WHERE check_id = ?", p, 1, err))) {
		json_decref(o);
		json_decref(answers);
		return rc;
	}
	for (int i = 0; i < r->nrows; i++)
		json_object_set_new(answers, hx_rows_get(r, i, "item_id"),
				    json_pack("{s:s,s:s?,s:b,s:s}", "result", hx_rows_get(r, i, "result"), "note",
					      hx_rows_get(r, i, "note"), "auto", (int)hx_rows_int(r, i, "auto"), "updated_at",
					      hx_rows_get(r, i, "updated_at")));
	/* the platform's answers fill what nobody answered yet */
	json_t *au = NULL;
	if ((rc = hx_checkup_auto_answers(&au, c, &k, err))) {
		json_decref(o);
		json_decref(answers);
		return rc;
	}
	const char *key;
	json_t *v;
	json_object_foreach(au, key, v)
		if (!json_object_get(answers, key)) {
			json_object_set(v, "auto", json_true());
			json_object_set(answers, key, v);
		}
	json_decref(au);
	json_object_set_new(o, "answers", answers);
	json_t *files = json_array(), *rect = json_array();
	if (hx_db_query(c->db, c->arena, &r,
			"SELECT id, item_id, kind, filename, content_type, size FROM checkup_files WHERE check_id = ? ORDER BY id",
			p, 1, err) == 0)
		for (int i = 0; i < r->nrows; i++)
			json_array_append_new(files, json_pack("{s:I,s:s,s:s,s:s,s:s,s:I}", "id", (json_int_t)hx_rows_int(r, i, "id"),
							       "item_id", hx_rows_get(r, i, "item_id"), "kind",
							       hx_rows_get(r, i, "kind"), "filename", hx_rows_get(r, i, "filename"),
							       "content_type", hx_rows_get(r, i, "content_type"), "size",
							       (json_int_t)hx_rows_int(r, i, "size")));
	if (hx_db_query(c->db, c->arena, &r,
			"SELECT item_id, action, due_on, status, followup_note, updated_at FROM checkup_rectifications"
			" WHERE check_id = ? ORDER BY item_id",
			p, 1, err) == 0)
		for (int i = 0; i < r->nrows; i++)
			json_array_append_new(rect, json_pack("{s:s,s:s?,s:s?,s:s,s:s?,s:s}", "item_id", hx_rows_get(r, i, "item_id"),
							      "action", hx_rows_get(r, i, "action"), "due_on",
							      hx_rows_get(r, i, "due_on"), "status", hx_rows_get(r, i, "status"),
							      "followup_note", hx_rows_get(r, i, "followup_note"), "updated_at",
							      hx_rows_get(r, i, "updated_at")));
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "rectifications", rect);
	json_object_set_new(o, "papers", papers(k.list));
	json_object_set_new(o, "can_inspect", json_boolean(hx_checkup_is_inspector(c, &k)));
	json_object_set_new(o, "can_respond", json_boolean(hx_checkup_is_enterprise(c, &k)));
	long long sat = 0;
	hx_db_int(c->db, &sat, "SELECT count(*) FROM checkup_satisfaction WHERE check_id = ?", p, 1, err);
	json_object_set_new(o, "rated", json_boolean(sat));
	*out = o;
	return 0;
}

int hx_checkup_check_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	static const char *const allowed[] = {"inspector_id", "scheduled_on", NULL};
	hx_checkup_chk k;
	int rc, present;
	long long insp = 0;
	const char *date;
	if ((rc = hx_json_only(body, allowed, err)) || (rc = hx_checkup_chk_load(&k, c, id, err)))
		return rc;
	if (!hx_checkup_is_inspector(c, &k))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有承担机构或县级工作人员可以安排体检");
	if (strcmp(k.status, "closed") == 0)
		return hx_err_set(err, HX_ECONFLICT, "archived", "", "体检已归档，不能修改");
	insp = k.inspector_id;
	date = k.scheduled_on;
	if ((rc = hx_json_get_int(&insp, &present, body, "inspector_id", "体检人员", 0, 1, INT64_MAX, err)))
		return rc;
	if (present) {
		json_t *u = NULL;
		if (hx_account_user_get(&u, c, insp, err))
			return hx_err_set(err, HX_EINVAL, "invalid_user", "inspector_id", "体检人员不存在");
		long long uorg = json_integer_value(json_object_get(u, "org_id"));
		json_decref(u);
		if (uorg != k.org_id)
			return hx_err_set(err, HX_EINVAL, "invalid_user", "inspector_id", "体检人员应属于承担机构");
	}
	const char *d2;
	if ((rc = hx_json_get_date(&d2, &present, body, "scheduled_on", "体检日期", 0, err)))
		return rc;
	if (present)
		date = d2;
	hx_param p[] = {insp ? hx_p_int(insp) : hx_p_null(), hx_p_text(date), hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE checkup_checks SET inspector_id = ?, scheduled_on = ?, updated_at = ? WHERE id = ?",
			     p, 4, NULL, err)))
		return rc;
	json_t *ch = json_pack("{s:[n,I],s:[n,s?]}", "inspector_id", (json_int_t)insp, "scheduled_on", date);
	rc = hx_audit_write(c, "update", "checkup_check", id, k.enterprise_name, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_check_get(out, c, id, err);
}

int hx_checkup_answers_put(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!hx_checkup_is_inspector(c, &k))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "体检记录不存在或不在您的管理范围内");
	if (strcmp(k.status, "assigned") != 0 && strcmp(k.status, "in_progress") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_editable", "", "体检报告已生成，检查结果不能再修改");
	if (!json_is_object(body) || !json_object_size(body) || json_object_size(body) > 200)
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "", "请求应为{检查项: {result, note}}");
	const char *item;
	json_t *v;
	json_object_foreach(body, item, v) {
		if (!hx_checklist_item(k.list, item))
			return hx_err_set(err, HX_EINVAL, "unknown_item", item, "体检清单中没有检查项%.20s", item);
		const char *res = json_string_value(json_object_get(v, "result"));
		if (!res || (strcmp(res, "pass") != 0 && strcmp(res, "risk") != 0 && strcmp(res, "na") != 0))
			return hx_err_set(err, HX_EINVAL, "invalid_result", item, "检查项%s的结果应为合格（pass）、风险（risk）或不适用（na）", item);
		const char *note = json_string_value(json_object_get(v, "note"));
		if (note && hx_utf8_len(note) > 2000)
			return hx_err_set(err, HX_EINVAL, "too_long", item, "检查项%s的说明不能超过2000字", item);
		hx_param p[] = {hx_p_int(id), hx_p_text(item), hx_p_text(res), hx_p_text(note), hx_p_int(c->me->user_id),
				hx_p_text(hx_checkup_now_iso(c))};
		hx_param d[] = {hx_p_int(id), hx_p_text(item)};
		if ((rc = hx_db_exec(c->db, "DELETE FROM checkup_answers WHERE check_id = ? AND item_id = ?", d, 2, NULL, err)) ||
		    (rc = hx_db_exec(c->db,
				     "INSERT INTO checkup_answers (check_id, item_id, result, note, auto, user_id, updated_at)"
				     " VALUES (?, ?, ?, ?, 0, ?, ?)",
				     p, 6, NULL, err)))
			return rc;
	}
	hx_param u[] = {hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE checkup_checks SET status = 'in_progress', updated_at = ? WHERE id = ?", u, 2,
			     NULL, err)))
		return rc;
	json_t *ch = json_deep_copy(body);
	rc = hx_audit_write(c, "inspect", "checkup_check", id, k.enterprise_name, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_check_get(out, c, id, err);
}

/* The kind of a file from its first bytes: only pictures and PDFs. */
static const char *sniff(const unsigned char *p, size_t n)
{
	if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return "image/jpeg";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return "application/pdf";
	if (n >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "image/webp";
	return NULL;
}

int hx_checkup_file_add(json_t **out, hx_ctx *c, long long id, const char *item_id, const char *kind,
			const char *filename, const void *data, size_t len, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	int site = !kind || strcmp(kind, "site") == 0;
	if (site ? !hx_checkup_is_inspector(c, &k) : !hx_checkup_is_enterprise(c, &k))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "体检记录不存在或不在您的管理范围内");
	if (strcmp(k.status, "closed") == 0)
		return hx_err_set(err, HX_ECONFLICT, "archived", "", "体检已归档");
	if (!item_id || !hx_checklist_item(k.list, item_id))
		return hx_err_set(err, HX_EINVAL, "unknown_item", "item_id", "请指定文件对应的检查项");
	if (len > FILE_MAX)
		return hx_err_set(err, HX_ETOOBIG, "too_large", "file", "单个文件不能超过10 MiB");
	if (!len)
		return hx_err_set(err, HX_EINVAL, "empty_file", "file", "上传的文件为空");
	const char *type = sniff(data, len);
	if (!type)
		return hx_err_set(err, HX_EUNSUPPORTED, "unsupported_type", "file",
				  "只能上传照片（JPEG、PNG、WebP）或PDF文件（按文件内容判断）");
	if (!filename || !*filename || hx_utf8_len(filename) > 200 || !hx_utf8_valid(filename, strlen(filename)) ||
	    strchr(filename, '/'))
		return hx_err_set(err, HX_EINVAL, "bad_filename", "filename", "文件名无效");
	char sha[65];
	hx_sha256_hex(sha, data, len);
	char *b64 = hx_b64_encode(data, len);
	hx_param p[] = {hx_p_int(id), hx_p_text(item_id), hx_p_text(site ? "site" : "rectification"), hx_p_text(filename),
			hx_p_text(type), hx_p_int((long long)len), hx_p_text(sha), hx_p_text(b64), hx_p_int(c->me->user_id),
			hx_p_text(hx_checkup_now_iso(c))};
	long long fid;
	rc = hx_db_int(c->db, &fid,
		       "INSERT INTO checkup_files (check_id, item_id, kind, filename, content_type, size, sha256, data, user_id,"
		       " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		       p, 10, err);
	free(b64);
	if (rc || (rc = hx_audit_write(c, "upload", "checkup_check", id, filename, NULL, err)))
		return rc;
	*out = json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:s}", "id", (json_int_t)fid, "item_id", item_id, "kind",
			 site ? "site" : "rectification", "filename", filename, "content_type", type, "size", (json_int_t)len,
			 "sha256", sha);
	return 0;
}

int hx_checkup_file_get(char **bytes, size_t *len, const char **type, const char **name, hx_ctx *c,
			long long file_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(file_id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT check_id, filename, content_type, data FROM checkup_files WHERE id = ?",
			     p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "文件不存在");
	hx_checkup_chk k;
	if ((rc = hx_checkup_chk_load(&k, c, hx_rows_int(r, 0, "check_id"), err)))
		return rc;
	uint8_t *b;
	if (hx_b64_decode(&b, len, hx_rows_get(r, 0, "data")))
		return hx_err_set(err, HX_EINTERNAL, "corrupt", "", "stored file is corrupt");
	*bytes = (char *)b;
	*type = hx_rows_get(r, 0, "content_type");
	*name = hx_rows_get(r, 0, "filename");
	return 0;
}
