/* After the visit: grading, the report, the enterprise's acknowledgement,
 * rectification and follow-up, regrading, closing, satisfaction. Each call
 * is one step of one request's transaction. */
#include "checkup_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../account/account.h"
#include "../audit/audit.h"
#include "../core/arena.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../store/store.h"

/* ---- grading, report, rectification ---- */

/* Final answers (stored over the platform's) as {item: result}. */
static json_t *results(hx_ctx *c, const hx_checkup_chk *k, hx_err *err)
{
	json_t *out = NULL;
	if (hx_checkup_check_get(&out, c, k->id, err))
		return NULL;
	json_t *res = json_object();
	const char *item;
	json_t *v;
	json_object_foreach(json_object_get(out, "answers"), item, v)
		json_object_set(res, item, json_object_get(v, "result"));
	json_decref(out);
	return res;
}

static const char *warning_kind(json_t *flags)
{
	size_t i;
	json_t *f;
	json_array_foreach(flags, i, f) {
		if (strcmp(json_string_value(f), "wage_arrears") == 0)
			return "inspection";
		if (strcmp(json_string_value(f), "dispute") == 0)
			return "arbitration";
	}
	return NULL;
}

int hx_checkup_finish(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!hx_checkup_is_inspector(c, &k))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "体检记录不存在或不在您的管理范围内");
	if (strcmp(k.status, "assigned") != 0 && strcmp(k.status, "in_progress") != 0)
		return hx_err_set(err, HX_ECONFLICT, "already_reported", "", "体检报告已生成");
	json_t *res = results(c, &k, err);
	if (!res)
		return err->code;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, res);
	size_t missing = 0;
	for (size_t i = 0; i < k.list->nitems; i++)
		if (!json_object_get(res, k.list->items[i].id))
			missing++;
	if (missing)
		return hx_err_set(err, HX_ECONFLICT, "unfinished", "", "还有%zu个检查项未填写结果，不能生成报告", missing);
	/* the platform's answers become records of the check */
	json_t *au = NULL;
	if ((rc = hx_checkup_auto_answers(&au, c, &k, err)))
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, au);
	const char *item;
	json_t *v;
	json_object_foreach(au, item, v) {
		hx_param p[] = {hx_p_int(id), hx_p_text(item), hx_p_text(json_string_value(json_object_get(v, "result"))),
				hx_p_text(json_string_value(json_object_get(v, "note"))), hx_p_text(hx_checkup_now_iso(c))};
		if ((rc = hx_db_exec(c->db,
				     "INSERT INTO checkup_answers (check_id, item_id, result, note, auto, updated_at)"
				     " VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT DO NOTHING",
				     p, 5, NULL, err)))
			return rc;
	}
	json_t *risks = json_object();
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, risks);
	json_object_foreach(res, item, v)
		if (strcmp(json_string_value(v), "risk") == 0)
			json_object_set_new(risks, item, json_true());
	char grade;
	int score;
	json_t *flags;
	if ((rc = hx_checklist_grade(&grade, &score, &flags, k.list, risks, err)))
		return rc;
	char *ft = json_dumps(flags, JSON_COMPACT);
	json_decref(flags);
	char g[2] = {grade, 0};
	hx_param p[] = {hx_p_text(g), hx_p_int(score), hx_p_text(ft), hx_p_text(hx_checkup_now_iso(c)), hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id)};
	rc = hx_db_exec(c->db,
			"UPDATE checkup_checks SET status = 'reported', grade = ?, score = ?, flags = ?, reported_at = ?,"
			" updated_at = ? WHERE id = ?",
			p, 6, NULL, err);
	free(ft);
	if (rc)
		return rc;
	/* each risk gets a rectification line; wage arrears and disputes a
	 * warning to labor inspection or arbitration, due in 15 days */
	char due[11];
	hx_date_add_days(due, hx_checkup_today(c), 15);
	json_object_foreach(risks, item, v) {
		hx_param q[] = {hx_p_int(id), hx_p_text(item), hx_p_text(hx_checkup_now_iso(c))};
		if ((rc = hx_db_exec(c->db,
				     "INSERT INTO checkup_rectifications (check_id, item_id, status, updated_at)"
				     " VALUES (?, ?, 'open', ?) ON CONFLICT DO NOTHING",
				     q, 3, NULL, err)))
			return rc;
		const citem *ci = hx_checklist_item(k.list, item);
		const char *wk = warning_kind(ci->flags);
		if (wk) {
			hx_param w[] = {hx_p_int(id), hx_p_int(k.enterprise_id), hx_p_text(item), hx_p_text(wk), hx_p_text(due),
					hx_p_text(hx_checkup_now_iso(c)), hx_p_text(hx_checkup_now_iso(c))};
			if ((rc = hx_db_exec(c->db,
					     "INSERT INTO checkup_warnings (check_id, enterprise_id, item_id, kind, status, due_on,"
					     " created_at, updated_at) VALUES (?, ?, ?, ?, 'received', ?, ?, ?) ON CONFLICT DO NOTHING",
					     w, 7, NULL, err)))
				return rc;
		}
	}
	json_t *ch = json_pack("{s:[n,s],s:[n,i]}", "grade", g, "score", score);
	rc = hx_audit_write(c, "report", "checkup_check", id, k.enterprise_name, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_report(out, c, id, err);
}

int hx_checkup_report(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!k.reported_at)
		return hx_err_set(err, HX_ECONFLICT, "unfinished", "", "体检尚未完成，还没有报告");
	json_t *check = NULL;
	if ((rc = hx_checkup_check_get(&check, c, id, err)))
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, check);
	json_t *answers = json_object_get(check, "answers");
	json_t *doc = k.list->doc;
	/* areas for the radar chart: share of applicable items that passed */
	json_t *areas = json_array();
	size_t i, j;
	json_t *a, *it;
	json_array_foreach(json_object_get(doc, "areas"), i, a) {
		const char *aid = json_string_value(json_object_get(a, "id"));
		int total = 0, passed = 0, risk = 0;
		json_array_foreach(json_object_get(doc, "items"), j, it) {
			if (strcmp(json_string_value(json_object_get(it, "area")), aid) != 0)
				continue;
			const char *res = json_string_value(json_object_get(json_object_get(answers, json_string_value(json_object_get(it, "id"))), "result"));
			if (!res || strcmp(res, "na") == 0)
				continue;
			total++;
			if (strcmp(res, "pass") == 0)
				passed++;
			else
				risk++;
		}
		json_array_append_new(areas, json_pack("{s:s,s:O,s:i,s:i,s:i,s:o}", "id", aid, "name",
						       json_object_get(a, "name"), "checked", total, "passed", passed, "risks",
						       risk, "score", total ? json_integer(100 * passed / total) : json_integer(100)));
	}
	json_t *risks = json_array(), *plan = json_array();
	json_t *rect = json_object();
	json_array_foreach(json_object_get(check, "rectifications"), i, a)
		json_object_set(rect, json_string_value(json_object_get(a, "item_id")), a);
	static const char *const order[] = {"重大", "较大", "一般"};
	for (int s = 0; s < 3; s++)
		json_array_foreach(json_object_get(doc, "items"), j, it) {
			const char *iid = json_string_value(json_object_get(it, "id"));
			json_t *ans = json_object_get(answers, iid);
			if (!ans || strcmp(json_string_value(json_object_get(ans, "result")), "risk") != 0 ||
			    strcmp(json_string_value(json_object_get(it, "severity")), order[s]) != 0)
				continue;
			json_array_append_new(risks, json_pack("{s:s,s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O?,s:b}", "item_id", iid, "area",
							       json_object_get(it, "area"), "title", json_object_get(it, "title"),
							       "severity", json_object_get(it, "severity"), "basis",
							       json_object_get(it, "basis"), "advice", json_object_get(it, "advice"),
							       "case", json_object_get(it, "case"), "note",
							       json_object_get(ans, "note"), "flags", json_object_get(it, "flags"),
							       "auto", json_is_true(json_object_get(ans, "auto"))));
			json_t *rr = json_object_get(rect, iid);
			json_array_append_new(plan, json_pack("{s:s,s:O,s:O,s:O?,s:O?,s:O?}", "item_id", iid, "title",
							      json_object_get(it, "title"), "status",
							      rr ? json_object_get(rr, "status") : json_string("open"), "action",
							      rr ? json_object_get(rr, "action") : NULL, "due_on",
							      rr ? json_object_get(rr, "due_on") : NULL, "followup_note",
							      rr ? json_object_get(rr, "followup_note") : NULL));
		}
	json_decref(rect);
	json_t *grading = json_object_get(doc, "grading");
	*out = json_pack("{s:O,s:O,s:o,s:o,s:o,s:O,s:O,s:O}", "check", check, "enterprise_name",
			 json_object_get(check, "enterprise_name"), "areas", areas, "risks", risks, "plan", plan,
			 "grading", json_object_get(grading, "explain") ?: json_string(""), "checklist_title",
			 json_object_get(doc, "title"), "checklist_source", json_object_get(doc, "source") ?: json_string(""));
	return 0;
}

int hx_checkup_acknowledge(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!hx_checkup_is_enterprise(c, &k))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有被检企业可以确认收到报告");
	if (!k.reported_at)
		return hx_err_set(err, HX_ECONFLICT, "unfinished", "", "体检尚未完成，还没有报告");
	if (!k.acknowledged_at) {
		hx_param p[] = {hx_p_text(hx_checkup_now_iso(c)), hx_p_text(strcmp(k.status, "reported") == 0 ? "rectifying" : k.status),
				hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id)};
		if ((rc = hx_db_exec(c->db, "UPDATE checkup_checks SET acknowledged_at = ?, status = ?, updated_at = ? WHERE id = ?",
				     p, 4, NULL, err)) ||
		    (rc = hx_audit_write(c, "acknowledge", "checkup_check", id, k.enterprise_name, NULL, err)))
			return rc;
	}
	return hx_checkup_check_get(out, c, id, err);
}

int hx_checkup_rectify(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!hx_checkup_is_enterprise(c, &k))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有被检企业可以填写整改情况");
	if (strcmp(k.status, "closed") == 0 || !k.reported_at)
		return hx_err_set(err, HX_ECONFLICT, "not_rectifying", "", "当前不在整改阶段");
	if (!k.acknowledged_at)
		return hx_err_set(err, HX_ECONFLICT, "not_acknowledged", "", "请先确认已阅体检报告，再填写整改情况");
	if (!json_is_object(body) || !json_object_size(body))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "", "请求应为{检查项: {action, due_on}}");
	const char *item;
	json_t *v;
	json_object_foreach(body, item, v) {
		hx_rows *r;
		hx_param q[] = {hx_p_int(id), hx_p_text(item)};
		if ((rc = hx_db_query(c->db, c->arena, &r,
				      "SELECT status FROM checkup_rectifications WHERE check_id = ? AND item_id = ?", q, 2, err)))
			return rc;
		if (!r->nrows)
			return hx_err_set(err, HX_EINVAL, "not_a_risk", item, "检查项%.20s不是本次体检发现的风险", item);
		if (strcmp(hx_rows_cell(r, 0, 0), "confirmed") == 0)
			return hx_err_set(err, HX_ECONFLICT, "confirmed", item, "检查项%s的整改已经回访确认", item);
		const char *action, *due;
		if ((rc = hx_json_get_str(&action, NULL, v, "action", "整改措施", 1, 2000, err)) ||
		    (rc = hx_json_get_date(&due, NULL, v, "due_on", "完成日期", 1, err))) {
			snprintf(err->field, sizeof err->field, "%s", item);
			return rc;
		}
		hx_param p[] = {hx_p_text(action), hx_p_text(due), hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id), hx_p_text(item)};
		if ((rc = hx_db_exec(c->db,
				     "UPDATE checkup_rectifications SET action = ?, due_on = ?, status = 'answered', updated_at = ?"
				     " WHERE check_id = ? AND item_id = ?",
				     p, 5, NULL, err)))
			return rc;
	}
	hx_param u[] = {hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE checkup_checks SET status = 'rectifying', updated_at = ? WHERE id = ?", u, 2, NULL,
			     err)))
		return rc;
	json_t *ch = json_deep_copy(body);
	rc = hx_audit_write(c, "rectify", "checkup_check", id, k.enterprise_name, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_check_get(out, c, id, err);
}

int hx_checkup_followup(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!hx_checkup_is_inspector(c, &k))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "体检记录不存在或不在您的管理范围内");
	if (strcmp(k.status, "closed") == 0 || !k.reported_at)
		return hx_err_set(err, HX_ECONFLICT, "not_rectifying", "", "当前不在整改回访阶段");
	if (!json_is_object(body) || !json_object_size(body))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "", "请求应为{检查项: {confirmed, note}}");
	const char *item;
	json_t *v;
	json_object_foreach(body, item, v) {
		int ok;
		const char *note;
		if ((rc = hx_json_get_bool(&ok, NULL, v, "confirmed", "整改是否到位", 1, err)) ||
		    (rc = hx_json_get_str(&note, NULL, v, "note", "回访说明", 0, 2000, err))) {
			snprintf(err->field, sizeof err->field, "%s", item);
			return rc;
		}
		hx_param p[] = {hx_p_text(ok ? "confirmed" : "reopened"), hx_p_text(note), hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id),
				hx_p_text(item)};
		long long n = 0;
		if ((rc = hx_db_exec(c->db,
				     "UPDATE checkup_rectifications SET status = ?, followup_note = ?, updated_at = ?"
				     " WHERE check_id = ? AND item_id = ?",
				     p, 5, &n, err)))
			return rc;
		if (!n)
			return hx_err_set(err, HX_EINVAL, "not_a_risk", item, "检查项%.20s不是本次体检发现的风险", item);
	}
	json_t *ch = json_deep_copy(body);
	rc = hx_audit_write(c, "followup", "checkup_check", id, k.enterprise_name, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_check_get(out, c, id, err);
}

int hx_checkup_regrade(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!hx_checkup_is_inspector(c, &k))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "体检记录不存在或不在您的管理范围内");
	if (!k.reported_at || strcmp(k.status, "closed") == 0)
		return hx_err_set(err, HX_ECONFLICT, "not_rectifying", "", "当前不能重新评级");
	long long open = 0;
	hx_param p[] = {hx_p_int(id)};
	if ((rc = hx_db_int(c->db, &open, "SELECT count(*) FROM checkup_rectifications WHERE check_id = ? AND status <> 'confirmed'",
			    p, 1, err)))
		return rc;
	if (open)
		return hx_err_set(err, HX_ECONFLICT, "risks_open", "", "还有%lld项风险未经回访确认整改到位，不能升级", open);
	/* every risk cleared: grade on what is left (nothing) */
	json_t *none = json_object(), *flags;
	char grade;
	int score;
	rc = hx_checklist_grade(&grade, &score, &flags, k.list, none, err);
	json_decref(none);
	if (rc)
		return rc;
	json_decref(flags);
	char g[2] = {grade, 0};
	if (k.grade && strcmp(k.grade, g) == 0)
		return hx_err_set(err, HX_ECONFLICT, "same_grade", "", "评级没有变化");
	hx_param u[] = {hx_p_text(k.grade), hx_p_text(g), hx_p_text(hx_checkup_now_iso(c)), hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db,
			     "UPDATE checkup_checks SET regraded_from = ?, grade = ?, score = 0, flags = '[]', regraded_at = ?,"
			     " updated_at = ? WHERE id = ?",
			     u, 5, NULL, err)))
		return rc;
	json_t *ch = json_pack("{s:[s?,s]}", "grade", k.grade, g);
	rc = hx_audit_write(c, "regrade", "checkup_check", id, k.enterprise_name, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_check_get(out, c, id, err);
}

int hx_checkup_close(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_checkup_chk k;
	int rc = hx_checkup_chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!(hx_checkup_can(c, HX_PERM_CHECKUP_MANAGE) && c->me->scope.kind == HX_SCOPE_COUNTY) && !hx_checkup_is_inspector(c, &k))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "没有权限归档");
	if (!k.reported_at)
		return hx_err_set(err, HX_ECONFLICT, "unfinished", "", "体检尚未完成，不能归档");
	if (strcmp(k.status, "closed") == 0)
		return hx_err_set(err, HX_ECONFLICT, "archived", "", "体检已归档");
	hx_param p[] = {hx_p_text(hx_checkup_now_iso(c)), hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE checkup_checks SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ?", p,
			     3, NULL, err)) ||
	    (rc = hx_audit_write(c, "archive", "checkup_check", id, k.enterprise_name, NULL, err)))
		return rc;
	return hx_checkup_check_get(out, c, id, err);
}

int hx_checkup_satisfaction(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	static const char *const QUESTIONS[] = {"professional", "on_time", "advice_useful", "attitude", "overall", NULL};
	static const char *const allowed[] = {"scores", "comment", NULL};
	hx_checkup_chk k;
	int rc;
	if ((rc = hx_json_only(body, allowed, err)) || (rc = hx_checkup_chk_load(&k, c, id, err)))
		return rc;
	if (!hx_checkup_is_enterprise(c, &k))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有被检企业可以评价服务");
	if (!k.reported_at)
		return hx_err_set(err, HX_ECONFLICT, "unfinished", "", "体检完成后才能评价");
	if (strcmp(k.status, "closed") == 0)
		return hx_err_set(err, HX_ECONFLICT, "archived", "", "体检已归档");
	json_t *scores = json_object_get(body, "scores");
	if (!json_is_object(scores))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "scores", "请为各项服务打分（1至5分）");
	for (int q = 0; QUESTIONS[q]; q++) {
		long long v;
		if ((rc = hx_json_get_int(&v, NULL, scores, QUESTIONS[q], QUESTIONS[q], 1, 1, 5, err)))
			return rc;
	}
	if ((rc = hx_json_only(scores, QUESTIONS, err)))
		return rc;
	const char *comment;
	if ((rc = hx_json_get_str(&comment, NULL, body, "comment", "意见建议", 0, 1000, err)))
		return rc;
	char *st = json_dumps(scores, JSON_COMPACT | JSON_SORT_KEYS);
	hx_param p[] = {hx_p_int(id), hx_p_text(st), hx_p_text(comment), hx_p_text(hx_checkup_now_iso(c))};
	rc = hx_db_exec(c->db, "INSERT INTO checkup_satisfaction (check_id, scores, comment, created_at) VALUES (?, ?, ?, ?)", p,
			4, NULL, err);
	free(st);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "already_rated", "", "已经评价过本次体检服务");
	if (rc || (rc = hx_audit_write(c, "rate", "checkup_check", id, k.enterprise_name, NULL, err)))
		return rc;
	return hx_checkup_check_get(out, c, id, err);
}
