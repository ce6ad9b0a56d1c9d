/* What contracts give to other modules and to the authority: the
 * written-contract rate of each enterprise (书面劳动合同签订率: workers
 * with a current electronic or paper contract / active workers other than
 * dispatched ones), read by
 * the health check, the rubrics (contract_signing_rate) and the plan's
 * dashboard; the monthly filing (劳动用工备案) grouped as basic
 * information / contract terms / signing information after Zhejiang's
 * DB33/T 1311-2023; and the minimum-wage tier of each area, which an
 * administrator may change. */
#include "contract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../core/buf.h"
#include "../core/ids.h"
#include "../core/timeutil.h"
#include "../registry/registry.h"
#include "../registry/registry_impl.h"

/* Active = on the roster, not left, not deleted. Current = a signed full-
 * or part-time contract whose term has not ended. Paper = a paper contract
 * recorded on the roster whose end has not passed (NULL: open-ended). */
#define SIGNED_CURRENT                                                                                        \
	" EXISTS (SELECT 1 FROM contracts k WHERE k.worker_id = w.id AND k.status = 'signed'"                 \
	" AND k.kind IN ('full_time', 'part_time') AND (k.term_end IS NULL OR k.term_end >= ?))"
#define PAPER_CURRENT                                                                                         \
	" (w.paper_contract_start IS NOT NULL AND (w.paper_contract_end IS NULL OR w.paper_contract_end >= ?))"
/* The parts per enterprise (alias s), with four "today" parameters:
 * electronic first, so a worker with both counts once. */
#define RATE_PARTS                                                                                            \
	"SELECT w.enterprise_id AS eid, count(*) AS active,"                                                  \
	" sum(CASE WHEN w.employment_type = 'dispatched' THEN 1 ELSE 0 END) AS dispatched,"                    \
	" sum(CASE WHEN w.employment_type <> 'dispatched' AND" SIGNED_CURRENT " THEN 1 ELSE 0 END) AS electronic," \
	" sum(CASE WHEN w.employment_type <> 'dispatched' AND NOT" SIGNED_CURRENT " AND" PAPER_CURRENT          \
	" THEN 1 ELSE 0 END) AS paper,"                                                                        \
	" sum(CASE WHEN w.paper_contract_start IS NOT NULL THEN 1 ELSE 0 END) AS paper_recorded"                \
	" FROM workers w WHERE w.deleted_at IS NULL AND w.leave_date IS NULL"

static void parts_fill(hx_contract_rate_parts *o, long long active, long long dispatched, long long electronic,
		       long long paper)
{
	memset(o, 0, sizeof *o);
	o->active = active;
	o->dispatched = dispatched;
	o->due = active - dispatched;
	o->electronic = electronic;
	o->paper = paper;
	o->unsigned_ = o->due - electronic - paper;
	if (o->unsigned_ < 0)
		o->unsigned_ = 0;
	o->rate = o->due > 0 ? (double)(electronic + paper) / (double)o->due : 0.0;
}

int hx_contract_rate_parts_get(hx_contract_rate_parts *out, hx_ctx *c, long long enterprise_id, hx_err *err)
{
	char today[11];
	hx_today(today);
	hx_param p[] = {hx_p_text(today), hx_p_text(today), hx_p_text(today), hx_p_int(enterprise_id)};
	hx_rows *r;
	long long sent = 0;
	memset(out, 0, sizeof *out);
	int rc = hx_db_query(c->db, c->arena, &r, RATE_PARTS " AND w.enterprise_id = ? GROUP BY w.enterprise_id", p, 4,
			     err);
	if (rc)
		return rc;
	if (r->nrows)
		parts_fill(out, hx_rows_int(r, 0, "active"), hx_rows_int(r, 0, "dispatched"), hx_rows_int(r, 0, "electronic"),
			   hx_rows_int(r, 0, "paper"));
	long long recorded = r->nrows ? hx_rows_int(r, 0, "paper_recorded") : 0;
	hx_param q[] = {hx_p_int(enterprise_id)};
	if (!recorded &&
	    (rc = hx_db_int(c->db, &sent, "SELECT count(*) FROM contracts WHERE enterprise_id = ? AND sent_at IS NOT NULL", q,
			    1, err)))
		return rc;
	out->known = (recorded > 0 || sent > 0) && out->due > 0;
	return 0;
}

void hx_contract_rate_note(char *buf, size_t n, const hx_contract_rate_parts *p)
{
	char disp[96] = "";
	if (p->dispatched)
		snprintf(disp, sizeof disp, "（劳务派遣%lld人由派遣单位签订，不计入）", p->dispatched);
	snprintf(buf, n, "应签订书面劳动合同%lld人%s：电子%lld人、纸质%lld人、未签%lld人，签订率%.1f%%", p->due, disp,
		 p->electronic, p->paper, p->unsigned_, 100.0 * p->rate);
}

int hx_contract_signing_rate(double *rate, long long *active, long long *signed_, hx_ctx *c, long long enterprise_id,
			     hx_err *err)
{
	hx_contract_rate_parts pp;
	int rc = hx_contract_rate_parts_get(&pp, c, enterprise_id, err);
	if (rc)
		return rc;
	if (active)
		*active = pp.due;
	if (signed_)
		*signed_ = pp.electronic + pp.paper;
	*rate = pp.rate;
	return 0;
}

int hx_contract_rate_known(int *known, double *rate, long long *active, long long *signed_, hx_ctx *c,
			   long long enterprise_id, hx_err *err)
{
	hx_contract_rate_parts pp;
	*known = 0;
	*rate = 0;
	*active = *signed_ = 0;
	int rc = hx_contract_rate_parts_get(&pp, c, enterprise_id, err);
	if (rc)
		return rc;
	*known = pp.known;
	*rate = pp.rate;
	*active = pp.due;
	*signed_ = pp.electronic + pp.paper;
	return 0;
}

static json_t *parts_json(const hx_contract_rate_parts *pp)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "active_workers", (json_int_t)pp->active, "dispatched",
			 (json_int_t)pp->dispatched, "due", (json_int_t)pp->due, "electronic", (json_int_t)pp->electronic,
			 "paper", (json_int_t)pp->paper, "unsigned", (json_int_t)pp->unsigned_, "signed",
			 (json_int_t)(pp->electronic + pp->paper), "rate",
			 pp->due ? json_real(pp->rate) : json_null());
}

int hx_contract_rates(json_t **out, hx_ctx *c, long long area_id, hx_err *err)
{
	hx_buf w;
	hx_param p[12];
	int np = 0, rc;
	char today[11];
	hx_today(today);
	hx_buf_init(&w, 4096);
	for (int i = 0; i < 3; i++)
		p[np++] = hx_p_text(today);
	hx_buf_puts(&w, "SELECT e.id AS id, e.name AS name, e.area_id AS area_id, s.active AS active,"
			" s.dispatched AS dispatched, s.electronic AS electronic, s.paper AS paper"
			" FROM enterprises e LEFT JOIN (" RATE_PARTS " GROUP BY w.enterprise_id) s ON s.eid = e.id"
			" WHERE e.deleted_at IS NULL");
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	if (area_id) {
		if (!hx_registry_area_in_scope(c, area_id)) {
			hx_buf_free(&w);
			return hx_err_set(err, HX_ENOTFOUND, "not_found", "area_id", "区域不存在或不在您的管理范围内");
		}
		hx_buf_puts(&w, " AND e.area_id IN (SELECT id FROM areas WHERE path LIKE ? ESCAPE '\\')");
		const char *path = NULL;
		hx_rows *ar;
		hx_param ap[] = {hx_p_int(area_id)};
		if ((rc = hx_db_query(c->db, c->arena, &ar, "SELECT path FROM areas WHERE id = ?", ap, 1, err))) {
			hx_buf_free(&w);
			return rc;
		}
		path = ar->nrows ? hx_rows_get(ar, 0, "path") : "";
		p[np++] = hx_p_text(hx_arena_printf(c->arena, "%s%%", path));
	}
	hx_buf_puts(&w, " ORDER BY e.name LIMIT 5000");
	hx_rows *r;
	rc = hx_buf_failed(&w) ? hx_registry_query_too_long(err) : hx_db_query(c->db, c->arena, &r, w.data, p, np, err);
	hx_buf_free(&w);
	if (rc)
		return rc;
	json_t *items = json_array();
	long long ta = 0, td = 0, te = 0, tp = 0;
	for (int i = 0; i < r->nrows; i++) {
		hx_contract_rate_parts pp;
		parts_fill(&pp, hx_rows_int(r, i, "active"), hx_rows_int(r, i, "dispatched"), hx_rows_int(r, i, "electronic"),
			   hx_rows_int(r, i, "paper"));
		ta += pp.active;
		td += pp.dispatched;
		te += pp.electronic;
		tp += pp.paper;
		json_t *o = parts_json(&pp);
		json_object_set_new(o, "enterprise_id", json_integer(hx_rows_int(r, i, "id")));
		json_object_set_new(o, "name", json_string(hx_rows_get(r, i, "name")));
		json_object_set_new(o, "area_id", json_integer(hx_rows_int(r, i, "area_id")));
		json_array_append_new(items, o);
	}
	hx_contract_rate_parts tot;
	parts_fill(&tot, ta, td, te, tp);
	*out = json_pack("{s:o,s:o}", "items", items, "total", parts_json(&tot));
	return 0;
}

static const char *event_label(const char *e)
{
	static const char *const m[] = {"new", "新签", "renew", "续签", "change", "变更", "rescind", "解除", "terminate", "终止",
					NULL};
	for (int i = 0; m[i]; i += 2)
		if (strcmp(m[i], e) == 0)
			return m[i + 1];
	return e;
}

static const char *term_label(const char *t)
{
	if (!t)
		return "";
	return strcmp(t, "fixed") == 0 ? "固定期限" : strcmp(t, "open_ended") == 0 ? "无固定期限"
					      : strcmp(t, "task") == 0		  ? "以完成一定工作任务为期限"
										  : t;
}

int hx_contract_filing(json_t **out, hx_ctx *c, const char *month, long long area_id, hx_err *err)
{
	hx_buf w;
	hx_param p[8];
	int np = 0, rc;
	char from[40], to[40];
	int y = atoi(month), m = atoi(month + 5);
	snprintf(from, sizeof from, "%04d-%02d-01T00:00:00Z", y, m);
	snprintf(to, sizeof to, "%04d-%02d-01T00:00:00Z", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
	hx_buf_init(&w, 4096);
	hx_buf_puts(&w, "SELECT k.id AS id FROM contracts k JOIN enterprises e ON e.id = k.enterprise_id"
			" WHERE k.status IN ('signed', 'ended') AND k.completed_at >= ? AND k.completed_at < ?");
	p[np++] = hx_p_text(from);
	p[np++] = hx_p_text(to);
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	if (area_id) {
		if (!hx_registry_area_in_scope(c, area_id)) {
			hx_buf_free(&w);
			return hx_err_set(err, HX_ENOTFOUND, "not_found", "area_id", "区域不存在或不在您的管理范围内");
		}
		hx_rows *ar;
		hx_param ap[] = {hx_p_int(area_id)};
		if ((rc = hx_db_query(c->db, c->arena, &ar, "SELECT path FROM areas WHERE id = ?", ap, 1, err))) {
			hx_buf_free(&w);
			return rc;
		}
		hx_buf_puts(&w, " AND e.area_id IN (SELECT id FROM areas WHERE path LIKE ? ESCAPE '\\')");
		p[np++] = hx_p_text(hx_arena_printf(c->arena, "%s%%", ar->nrows ? hx_rows_get(ar, 0, "path") : ""));
	}
	hx_buf_puts(&w, " ORDER BY k.completed_at, k.id LIMIT 20000");
	hx_rows *r;
	rc = hx_buf_failed(&w) ? hx_registry_query_too_long(err) : hx_db_query(c->db, c->arena, &r, w.data, p, np, err);
	hx_buf_free(&w);
	if (rc)
		return rc;
	int pii = hx_can(c->me, HX_PERM_PII_READ);
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		hx_contract_row k;
		hx_rows *er;
		if ((rc = hx_contract_load(&k, c, hx_rows_int(r, i, "id"), 0, err)))
			break;
		hx_param ep[] = {hx_p_int(k.enterprise_id), hx_p_int(k.worker_id)};
		if ((rc = hx_db_query(c->db, c->arena, &er,
				      "SELECT e.is_company AS is_company, e.industry AS industry, w.sex AS sex"
				      " FROM enterprises e, workers w WHERE e.id = ? AND w.id = ?",
				      ep, 2, err)))
			break;
		json_t *emp = json_object_get(k.terms, "employer"), *wk = json_object_get(k.terms, "worker");
		json_t *orig = json_object_get(k.terms, "original");
		const char *idn = json_string_value(json_object_get(wk, "id_number"));
		char masked[19] = "";
		if (idn && !pii)
			hx_idnum_mask(idn, masked);
		const char *ind = er->nrows ? hx_rows_get(er, 0, "industry") : NULL;
		json_t *term = json_object_get(k.terms, "term");
		if (!term)
			term = json_object_get(orig, "term");
		json_t *job = json_object_get(k.terms, "job");
		if (!job)
			job = json_object_get(orig, "job");
		json_t *pay = json_object_get(k.terms, "pay");
		json_t *wage = json_object_get(pay, strcmp(k.kind, "part_time") == 0 ? "hourly" : "monthly");
		json_t *basic = json_pack(
			"{s:s?,s:s?,s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s,s:s?}", "employer_uscc",
			json_string_value(json_object_get(emp, "uscc")), "employer_name", json_string_value(json_object_get(emp, "name")),
			"employer_type", er->nrows && hx_rows_int(er, 0, "is_company") ? "企业" : "个体经济组织及其他",
			"employer_industry", ind ? hx_registry_industry_name(ind) ? hx_registry_industry_name(ind) : ind : NULL,
			"employer_address", json_string_value(json_object_get(emp, "address")), "employer_legal_representative",
			json_string_value(json_object_get(emp, "legal_representative")), "employer_contact", NULL, "worker_name",
			k.worker_name, "worker_id_number", pii ? idn : masked, "worker_sex",
			er->nrows && hx_rows_get(er, 0, "sex") && strcmp(hx_rows_get(er, 0, "sex"), "M") == 0 ? "男" : "女",
			"worker_phone", k.worker_phone);
		json_t *terms = json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:O?}", "contract_type",
					  term_label(json_string_value(json_object_get(term, "type"))), "contract_kind",
					  strcmp(k.kind, "part_time") == 0 ? "非全日制" : "全日制", "start",
					  json_string_value(json_object_get(term, "start")), "end",
					  json_string_value(json_object_get(term, "end")), "job",
					  json_string_value(json_object_get(job, "title")), "wage", wage);
		json_t *signing = json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s?,s:I}", "event", event_label(k.event), "event_code",
					    k.event, "worker_signed_at", k.worker_signed_at, "enterprise_signed_at",
					    k.enterprise_signed_at, "completed_at", k.completed_at, "document_sha256", k.doc_sha256,
					    "contract_id", (json_int_t)k.id);
		json_array_append_new(items, json_pack("{s:o,s:o,s:o}", "basic", basic, "terms", terms, "signing", signing));
	}
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:s,s:s,s:o}", "month", month, "standard", "DB33/T 1311-2023", "items", items);
	return 0;
}

int hx_contract_wage_tiers(json_t **out, hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT a.id AS id, a.code AS code, a.name AS name, a.kind AS kind, t.tier AS tier,"
			     " t.updated_by AS updated_by, t.updated_at AS updated_at"
			     " FROM areas a LEFT JOIN wage_tiers t ON t.area_id = a.id ORDER BY a.path",
			     NULL, 0, err);
	if (rc)
		return rc;
	json_t *areas = json_array();
	for (int i = 0; i < r->nrows; i++) {
		double mm, hh;
		int data_tier = 0;
		char today[11];
		hx_today(today);
		if (hx_wages_minimum(&mm, &hh, &data_tier, hx_cenv.wages, hx_rows_get(r, i, "code"), today, NULL))
			data_tier = 0;
		long long t = hx_rows_int(r, i, "tier");
		json_array_append_new(areas, json_pack("{s:I,s:s?,s:s,s:s,s:i,s:i,s:b,s:s?,s:s?}", "area_id",
						       (json_int_t)hx_rows_int(r, i, "id"), "code", hx_rows_get(r, i, "code"),
						       "name", hx_rows_get(r, i, "name"), "kind", hx_rows_get(r, i, "kind"),
						       "tier", t ? (int)t : data_tier, "data_tier", data_tier, "overridden",
						       t != 0, "updated_by", hx_rows_get(r, i, "updated_by"), "updated_at",
						       hx_rows_get(r, i, "updated_at")));
	}
	json_t *std = NULL;
	hx_wages_standards(&std, hx_cenv.wages);
	*out = json_pack("{s:o,s:o}", "standards", std ? std : json_array(), "areas", areas);
	return 0;
}

int hx_contract_wage_tier_set(json_t **out, hx_ctx *c, long long area_id, int tier, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	const char *name;
	int rc;
	if ((rc = hx_registry_area_name(&name, c, area_id, err)))
		return rc;
	hx_param d[] = {hx_p_int(area_id)};
	hx_param p[] = {hx_p_int(area_id), hx_p_int(tier),
			hx_p_text(c->me && c->me->username ? c->me->username : "system"), hx_p_text(now)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM wage_tiers WHERE area_id = ?", d, 1, NULL, err)) ||
	    (rc = hx_db_exec(c->db, "INSERT INTO wage_tiers (area_id, tier, updated_by, updated_at) VALUES (?, ?, ?, ?)", p, 4,
			     NULL, err)))
		return rc;
	json_t *ch = json_pack("{s:i}", "tier", tier);
	rc = hx_audit_write(c, "contract.wage_tier", "area", area_id, name, ch, err);
	json_decref(ch);
	if (rc)
		return rc;
	*out = json_pack("{s:I,s:s,s:i}", "area_id", (json_int_t)area_id, "name", name, "tier", tier);
	return 0;
}

int hx_contract_area_tier(int *tier, hx_ctx *c, long long enterprise_id, hx_err *err)
{
	long long t = 0;
	hx_param p[] = {hx_p_int(enterprise_id)};
	int rc = hx_db_int(c->db, &t,
			   "SELECT COALESCE(MAX(t.tier), 0) FROM wage_tiers t JOIN enterprises e ON e.area_id = t.area_id"
			   " WHERE e.id = ?",
			   p, 1, err);
	*tier = (int)t;
	return rc;
}
