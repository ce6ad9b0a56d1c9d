/* The health-check work: targets, assignment, on-site answers (with the
 * platform's own answers), grading, the report, rectification and
 * follow-up, warnings to inspection and arbitration, satisfaction. Each
 * call is one step of one request's transaction. */
#include "checkup_impl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../account/account.h"
#include "../audit/audit.h"
#include "../contract/contract.h"
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/crypto.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../notify/notify.h"
#include "../registry/registry.h"
#include "../store/store.h"

#define FILE_MAX ((size_t)10 << 20)

static hx_checklist **g_lists;
static size_t g_nlists;

int hx_checkup_init(const char *data_dir, hx_err *err)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/checklists", data_dir ? data_dir : "data");
	hx_checkup_shutdown();
	return hx_checklist_load_dir(&g_lists, &g_nlists, dir, err);
}

void hx_checkup_shutdown(void)
{
	for (size_t i = 0; i < g_nlists; i++)
		hx_checklist_free(g_lists[i]);
	free(g_lists);
	g_lists = NULL;
	g_nlists = 0;
}

const hx_checklist *hx_checkup_checklist(void)
{
	const hx_checklist *best = NULL;
	for (size_t i = 0; i < g_nlists; i++)
		if (!best || g_lists[i]->version > best->version)
			best = g_lists[i];
	return best;
}

const hx_checklist *hx_checkup_checklist_find(const char *id, int version)
{
	for (size_t i = 0; id && i < g_nlists; i++)
		if (strcmp(g_lists[i]->id, id) == 0 && g_lists[i]->version == version)
			return g_lists[i];
	return NULL;
}

static const char *now_iso(hx_ctx *c)
{
	char t[21];
	hx_now_iso(t);
	return hx_arena_strdup(c->arena, t);
}

static const char *today(hx_ctx *c)
{
	char t[11];
	hx_today(t);
	return hx_arena_strdup(c->arena, t);
}

static int can(hx_ctx *c, unsigned p)
{
	return hx_can(c->me, p);
}

/* A principal that sees every enterprise, for reading registry facts the
 * caller is entitled to through a check it can see. */
static hx_ctx county_ctx(hx_ctx *c, hx_principal *cli)
{
	hx_account_cli_principal(cli);
	hx_ctx c2 = *c;
	c2.me = cli;
	return c2;
}

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
	hx_date_add_months(cutoff, today(c), -12);
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
				hx_p_text(now_iso(c)), hx_p_text(now_iso(c))};
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
	hx_param q[] = {hx_p_int(inc), hx_p_text(note), hx_p_text(now_iso(c)), hx_p_int(id)};
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

static int org_kind(const char **kind, const char **name, hx_ctx *c, long long org, hx_err *err)
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
	    (rc = org_kind(&kind, &name, c, org, err)))
		return rc;
	if (strcmp(kind, "agency") != 0)
		return hx_err_set(err, HX_EINVAL, "not_agency", "org_id", "服务合同只能与第三方服务机构签订");
	json_t *fee = json_object_get(body, "fee");
	if (!json_is_number(fee) || json_number_value(fee) < 0 || json_number_value(fee) > 1e10)
		return hx_err_set(err, HX_EINVAL, "invalid_fee", "fee", "服务费用应为不小于0的金额（元）");
	long long cents = (long long)(json_number_value(fee) * 100 + 0.5);
	hx_param p[] = {hx_p_int(org), hx_p_int(year), hx_p_int(count), hx_p_int(cents), hx_p_text(now_iso(c))};
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
		if (org_kind(&kind, &name, c, hx_rows_int(r, i, "org_id"), &e))
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

/* ---- checks ---- */

typedef struct chk {
	long long id, year, enterprise_id, org_id, inspector_id, score;
	const char *status, *grade, *flags, *scheduled_on, *reported_at, *acknowledged_at, *regraded_from,
		*regraded_at, *closed_at, *created_at, *checklist_id;
	int has_score;
	const hx_checklist *list;
	const char *enterprise_name, *org_name;
} chk;

/* Loads a check the caller may see; HX_ENOTFOUND otherwise. */
static int chk_load(chk *k, hx_ctx *c, long long id, hx_err *err)
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
		ok = can(c, HX_PERM_CHECKUP_MANAGE) || can(c, HX_PERM_REGISTRY_READ);
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
	if (org_kind(&kind, &k->org_name, c, k->org_id, &e))
		k->org_name = "";
	return 0;
}

static int is_inspector(hx_ctx *c, const chk *k)
{
	if (can(c, HX_PERM_CHECKUP_MANAGE) && c->me->scope.kind == HX_SCOPE_COUNTY)
		return 1;
	return can(c, HX_PERM_CHECKUP_INSPECT) && c->me->scope.kind == HX_SCOPE_ORG && c->me->scope.org_id == k->org_id;
}

static int is_enterprise(hx_ctx *c, const chk *k)
{
	return can(c, HX_PERM_CHECKUP_RESPOND) && c->me->scope.kind == HX_SCOPE_ENTERPRISE &&
	       c->me->scope.enterprise_id == k->enterprise_id;
}

static json_t *chk_json(const chk *k)
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
	if ((rc = org_kind(&kind, &oname, c, org, err)))
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
			hx_p_text(date), hx_p_text(l->id), hx_p_int(l->version), hx_p_text(now_iso(c)), hx_p_text(now_iso(c))};
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
		chk k;
		hx_err e = {0};
		if (chk_load(&k, c, atoll(hx_rows_cell(r, i, 0)), &e))
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
static int auto_answers(json_t **out, hx_ctx *c, const chk *k, hx_err *err)
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
	chk k;
	int rc = chk_load(&k, c, id, err);
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
	if ((rc = auto_answers(&au, c, &k, err))) {
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
	json_object_set_new(o, "can_inspect", json_boolean(is_inspector(c, &k)));
	json_object_set_new(o, "can_respond", json_boolean(is_enterprise(c, &k)));
	long long sat = 0;
	hx_db_int(c->db, &sat, "SELECT count(*) FROM checkup_satisfaction WHERE check_id = ?", p, 1, err);
	json_object_set_new(o, "rated", json_boolean(sat));
	*out = o;
	return 0;
}

int hx_checkup_check_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	static const char *const allowed[] = {"inspector_id", "scheduled_on", NULL};
	chk k;
	int rc, present;
	long long insp = 0;
	const char *date;
	if ((rc = hx_json_only(body, allowed, err)) || (rc = chk_load(&k, c, id, err)))
		return rc;
	if (!is_inspector(c, &k))
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
	hx_param p[] = {insp ? hx_p_int(insp) : hx_p_null(), hx_p_text(date), hx_p_text(now_iso(c)), hx_p_int(id)};
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
	chk k;
	int rc = chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!is_inspector(c, &k))
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
				hx_p_text(now_iso(c))};
		hx_param d[] = {hx_p_int(id), hx_p_text(item)};
		if ((rc = hx_db_exec(c->db, "DELETE FROM checkup_answers WHERE check_id = ? AND item_id = ?", d, 2, NULL, err)) ||
		    (rc = hx_db_exec(c->db,
				     "INSERT INTO checkup_answers (check_id, item_id, result, note, auto, user_id, updated_at)"
				     " VALUES (?, ?, ?, ?, 0, ?, ?)",
				     p, 6, NULL, err)))
			return rc;
	}
	hx_param u[] = {hx_p_text(now_iso(c)), hx_p_int(id)};
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
	chk k;
	int rc = chk_load(&k, c, id, err);
	if (rc)
		return rc;
	int site = !kind || strcmp(kind, "site") == 0;
	if (site ? !is_inspector(c, &k) : !is_enterprise(c, &k))
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
			hx_p_text(now_iso(c))};
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
	chk k;
	if ((rc = chk_load(&k, c, hx_rows_int(r, 0, "check_id"), err)))
		return rc;
	uint8_t *b;
	if (hx_b64_decode(&b, len, hx_rows_get(r, 0, "data")))
		return hx_err_set(err, HX_EINTERNAL, "corrupt", "", "stored file is corrupt");
	*bytes = (char *)b;
	*type = hx_rows_get(r, 0, "content_type");
	*name = hx_rows_get(r, 0, "filename");
	return 0;
}

/* ---- grading, report, rectification ---- */

/* Final answers (stored over the platform's) as {item: result}. */
static json_t *results(hx_ctx *c, const chk *k, hx_err *err)
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
	chk k;
	int rc = chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!is_inspector(c, &k))
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
	if ((rc = auto_answers(&au, c, &k, err)))
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, au);
	const char *item;
	json_t *v;
	json_object_foreach(au, item, v) {
		hx_param p[] = {hx_p_int(id), hx_p_text(item), hx_p_text(json_string_value(json_object_get(v, "result"))),
				hx_p_text(json_string_value(json_object_get(v, "note"))), hx_p_text(now_iso(c))};
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
	hx_param p[] = {hx_p_text(g), hx_p_int(score), hx_p_text(ft), hx_p_text(now_iso(c)), hx_p_text(now_iso(c)), hx_p_int(id)};
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
	hx_date_add_days(due, today(c), 15);
	json_object_foreach(risks, item, v) {
		hx_param q[] = {hx_p_int(id), hx_p_text(item), hx_p_text(now_iso(c))};
		if ((rc = hx_db_exec(c->db,
				     "INSERT INTO checkup_rectifications (check_id, item_id, status, updated_at)"
				     " VALUES (?, ?, 'open', ?) ON CONFLICT DO NOTHING",
				     q, 3, NULL, err)))
			return rc;
		const citem *ci = hx_checklist_item(k.list, item);
		const char *wk = warning_kind(ci->flags);
		if (wk) {
			hx_param w[] = {hx_p_int(id), hx_p_int(k.enterprise_id), hx_p_text(item), hx_p_text(wk), hx_p_text(due),
					hx_p_text(now_iso(c)), hx_p_text(now_iso(c))};
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
	chk k;
	int rc = chk_load(&k, c, id, err);
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
	chk k;
	int rc = chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!is_enterprise(c, &k))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有被检企业可以确认收到报告");
	if (!k.reported_at)
		return hx_err_set(err, HX_ECONFLICT, "unfinished", "", "体检尚未完成，还没有报告");
	if (!k.acknowledged_at) {
		hx_param p[] = {hx_p_text(now_iso(c)), hx_p_text(strcmp(k.status, "reported") == 0 ? "rectifying" : k.status),
				hx_p_text(now_iso(c)), hx_p_int(id)};
		if ((rc = hx_db_exec(c->db, "UPDATE checkup_checks SET acknowledged_at = ?, status = ?, updated_at = ? WHERE id = ?",
				     p, 4, NULL, err)) ||
		    (rc = hx_audit_write(c, "acknowledge", "checkup_check", id, k.enterprise_name, NULL, err)))
			return rc;
	}
	return hx_checkup_check_get(out, c, id, err);
}

int hx_checkup_rectify(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	chk k;
	int rc = chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!is_enterprise(c, &k))
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
		hx_param p[] = {hx_p_text(action), hx_p_text(due), hx_p_text(now_iso(c)), hx_p_int(id), hx_p_text(item)};
		if ((rc = hx_db_exec(c->db,
				     "UPDATE checkup_rectifications SET action = ?, due_on = ?, status = 'answered', updated_at = ?"
				     " WHERE check_id = ? AND item_id = ?",
				     p, 5, NULL, err)))
			return rc;
	}
	hx_param u[] = {hx_p_text(now_iso(c)), hx_p_int(id)};
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
	chk k;
	int rc = chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!is_inspector(c, &k))
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
		hx_param p[] = {hx_p_text(ok ? "confirmed" : "reopened"), hx_p_text(note), hx_p_text(now_iso(c)), hx_p_int(id),
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
	chk k;
	int rc = chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!is_inspector(c, &k))
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
	hx_param u[] = {hx_p_text(k.grade), hx_p_text(g), hx_p_text(now_iso(c)), hx_p_text(now_iso(c)), hx_p_int(id)};
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
	chk k;
	int rc = chk_load(&k, c, id, err);
	if (rc)
		return rc;
	if (!(can(c, HX_PERM_CHECKUP_MANAGE) && c->me->scope.kind == HX_SCOPE_COUNTY) && !is_inspector(c, &k))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "没有权限归档");
	if (!k.reported_at)
		return hx_err_set(err, HX_ECONFLICT, "unfinished", "", "体检尚未完成，不能归档");
	if (strcmp(k.status, "closed") == 0)
		return hx_err_set(err, HX_ECONFLICT, "archived", "", "体检已归档");
	hx_param p[] = {hx_p_text(now_iso(c)), hx_p_text(now_iso(c)), hx_p_int(id)};
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
	chk k;
	int rc;
	if ((rc = hx_json_only(body, allowed, err)) || (rc = chk_load(&k, c, id, err)))
		return rc;
	if (!is_enterprise(c, &k))
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
	hx_param p[] = {hx_p_int(id), hx_p_text(st), hx_p_text(comment), hx_p_text(now_iso(c))};
	rc = hx_db_exec(c->db, "INSERT INTO checkup_satisfaction (check_id, scores, comment, created_at) VALUES (?, ?, ?, ?)", p,
			4, NULL, err);
	free(st);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "already_rated", "", "已经评价过本次体检服务");
	if (rc || (rc = hx_audit_write(c, "rate", "checkup_check", id, k.enterprise_name, NULL, err)))
		return rc;
	return hx_checkup_check_get(out, c, id, err);
}

/* ---- warnings and the training priority list ---- */

int hx_checkup_warnings(json_t **out, hx_ctx *c, const char *kind, hx_err *err)
{
	if (kind && *kind && strcmp(kind, "inspection") != 0 && strcmp(kind, "arbitration") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_kind", "kind", "预警类型应为劳动监察（inspection）或仲裁（arbitration）");
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, check_id, enterprise_id, item_id, kind, status, due_on, note, created_at, updated_at"
			     " FROM checkup_warnings ORDER BY due_on, id",
			     NULL, 0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	const char *t = today(c);
	for (int i = 0; i < r->nrows; i++) {
		if (kind && *kind && strcmp(kind, hx_rows_get(r, i, "kind")) != 0)
			continue;
		hx_err e = {0};
		const char *name;
		if (hx_registry_enterprise_name(&name, c, hx_rows_int(r, i, "enterprise_id"), &e))
			continue; /* outside the caller's scope */
		const char *due = hx_rows_get(r, i, "due_on"), *status = hx_rows_get(r, i, "status");
		const char *color = "green";
		if (strcmp(status, "closed") != 0) {
			/* yellow within 3 days of the due date, red past it */
			char soon[11];
			hx_date_add_days(soon, t, 3);
			if (strcmp(due, t) < 0)
				color = "red";
			else if (strcmp(due, soon) <= 0)
				color = "yellow";
		}
		json_array_append_new(items, json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s?,s:s,s:s}", "id",
						       (json_int_t)hx_rows_int(r, i, "id"), "check_id",
						       (json_int_t)hx_rows_int(r, i, "check_id"), "enterprise_id",
						       (json_int_t)hx_rows_int(r, i, "enterprise_id"), "enterprise_name", name,
						       "item_id", hx_rows_get(r, i, "item_id"), "kind", hx_rows_get(r, i, "kind"),
						       "status", status, "due_on", due, "note", hx_rows_get(r, i, "note"), "color",
						       color, "created_at", hx_rows_get(r, i, "created_at")));
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

int hx_checkup_warning_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	static const char *const allowed[] = {"status", "note", NULL};
	const char *status, *note;
	int rc;
	if ((rc = hx_json_only(body, allowed, err)) ||
	    (rc = hx_json_get_str(&status, NULL, body, "status", "办理状态", 1, 16, err)) ||
	    (rc = hx_json_get_str(&note, NULL, body, "note", "办理说明", 0, 1000, err)))
		return rc;
	if (strcmp(status, "received") != 0 && strcmp(status, "in_hand") != 0 && strcmp(status, "closed") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_status", "status", "办理状态应为已接收、办理中或已办结");
	hx_param p[] = {hx_p_text(status), hx_p_text(note), hx_p_text(now_iso(c)), hx_p_int(id)};
	long long n = 0;
	if ((rc = hx_db_exec(c->db, "UPDATE checkup_warnings SET status = ?, note = ?, updated_at = ? WHERE id = ?", p, 4, &n, err)))
		return rc;
	if (!n)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "预警不存在");
	json_t *ch = json_pack("{s:[n,s]}", "status", status);
	rc = hx_audit_write(c, "update", "checkup_warning", id, note, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_warnings(out, c, NULL, err);
}

int hx_checkup_training_priority(json_t **out, hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT k.enterprise_id, k.grade, k.year, k.reported_at, k.id FROM checkup_checks k"
			     " WHERE k.reported_at IS NOT NULL AND k.reported_at = (SELECT max(x.reported_at)"
			     " FROM checkup_checks x WHERE x.enterprise_id = k.enterprise_id AND x.reported_at IS NOT NULL)"
			     " AND k.grade IN ('C', 'D') ORDER BY k.grade DESC, k.enterprise_id",
			     NULL, 0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		const char *name;
		hx_err e = {0};
		if (hx_registry_enterprise_name(&name, c, hx_rows_int(r, i, "enterprise_id"), &e))
			continue;
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:I,s:I}", "enterprise_id",
						       (json_int_t)hx_rows_int(r, i, "enterprise_id"), "enterprise_name", name,
						       "grade", hx_rows_get(r, i, "grade"), "year", (json_int_t)hx_rows_int(r, i, "year"),
						       "check_id", (json_int_t)hx_rows_int(r, i, "id")));
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}
