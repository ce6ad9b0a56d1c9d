/* Rating campaigns (创建活动): the county opens a campaign on a rubric;
 * enterprises (or a park's committee) apply and self-assess with evidence;
 * each item goes to its reviewing departments, which score only their
 * items; metrics come from the platform where it holds the data, from the
 * worker poll (民主测评), from overrides with a reason, or from the
 * applicant; the county confirms, publishes and records honours. Scores
 * are always computed by the engine from the answers (review over self)
 * and metrics (override over poll over platform over self). */
#include "rating_impl.h"

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

static const hx_rubric_set *g_rubrics;
static json_t *g_departments; /* data/rating/departments.json */

int hx_rating_init(const hx_rubric_set *set, const char *data_dir, hx_err *err)
{
	g_rubrics = set;
	char path[4096];
	snprintf(path, sizeof path, "%s/rating/departments.json", data_dir ? data_dir : "data");
	json_error_t je;
	json_t *d = json_load_file(path, 0, &je);
	if (!d) {
		/* optional: without it every item goes to the default department */
		g_departments = json_pack("{s:[],s:{}}", "default", "departments");
		return 0;
	}
	if (!json_is_object(json_object_get(d, "departments")) || !json_is_array(json_object_get(d, "default"))) {
		json_decref(d);
		return hx_err_set(err, HX_EINVAL, "bad_data", "", "%s: needs \"default\" (array) and \"departments\" (object)",
				  path);
	}
	json_decref(g_departments);
	g_departments = d;
	return 0;
}

const hx_rubric_set *hx_rating_rubrics(void)
{
	return g_rubrics;
}

/* ---- small helpers ---- */

static json_t *pts(long long p2)
{
	return p2 % 2 ? json_real((double)p2 / 2.0) : json_integer(p2 / 2);
}

static const char *now_iso(hx_ctx *c)
{
	char t[21];
	hx_now_iso(t);
	return hx_arena_strdup(c->arena, t);
}

static int perm(hx_ctx *c, unsigned p)
{
	return hx_can(c->me, p);
}

static const item *item_by_id(const hx_rubric *r, const char *id)
{
	for (int i = 0; i < r->nitems; i++)
		if (strcmp(r->items[i].id, id) == 0)
			return &r->items[i];
	return NULL;
}

/* Records the first use of a rubric version; refuses one changed since. */
int hx_rating_use_rubric(hx_ctx *c, const hx_rubric *rb, hx_err *err)
{
	hx_rows *rows;
	hx_param p[] = {hx_p_text(rb->id), hx_p_int(rb->version)};
	int rc = hx_db_query(c->db, c->arena, &rows,
			     "SELECT sha256 FROM rating_rubric_uses WHERE rubric_id = ? AND version = ?", p, 2, err);
	if (rc)
		return rc;
	if (rows->nrows) {
		if (strcmp(hx_rows_cell(rows, 0, 0), rb->sha256) != 0)
			return hx_err_set(err, HX_ECONFLICT, "rubric_changed", "",
					  "评价标准%s第%d版在使用后被修改，请将修改发布为新版本", rb->id, rb->version);
		return 0;
	}
	hx_param q[] = {hx_p_text(rb->id), hx_p_int(rb->version), hx_p_text(rb->sha256), hx_p_text(now_iso(c))};
	rc = hx_db_exec(c->db,
			"INSERT INTO rating_rubric_uses (rubric_id, version, sha256, first_used_at) VALUES (?, ?, ?, ?)"
			" ON CONFLICT DO NOTHING",
			q, 4, NULL, err);
	return rc;
}

/* ---- campaigns ---- */

typedef struct camp {
	long long id;
	const char *name, *subject, *rubric_id, *status, *apply_until, *grades, *created_at;
	long long year, version, pass2;
	const hx_rubric *rubric;
} camp;

static int camp_load(camp *k, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, name, year, subject, rubric_id, rubric_version, pass_line2, grades, apply_until,"
			     " status, created_at FROM rating_campaigns WHERE id = ?",
			     p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "创建活动不存在");
	memset(k, 0, sizeof *k);
	k->id = id;
	k->name = hx_rows_get(r, 0, "name");
	k->year = hx_rows_int(r, 0, "year");
	k->subject = hx_rows_get(r, 0, "subject");
	k->rubric_id = hx_rows_get(r, 0, "rubric_id");
	k->version = hx_rows_int(r, 0, "rubric_version");
	k->pass2 = hx_rows_int(r, 0, "pass_line2");
	k->grades = hx_rows_get(r, 0, "grades");
	k->apply_until = hx_rows_get(r, 0, "apply_until");
	k->status = hx_rows_get(r, 0, "status");
	k->created_at = hx_rows_get(r, 0, "created_at");
	k->rubric = g_rubrics ? hx_rubric_set_find(g_rubrics, k->rubric_id, (int)k->version) : NULL;
	if (!k->rubric)
		return hx_err_set(err, HX_EINTERNAL, "rubric_missing", "", "rubric %s v%lld of campaign %lld is not loaded",
				  k->rubric_id, k->version, id);
	return 0;
}

static json_t *camp_json(hx_ctx *c, const camp *k)
{
	long long n = 0;
	hx_err e = {0};
	hx_param p[] = {hx_p_int(k->id)};
	hx_db_int(c->db, &n, "SELECT count(*) FROM rating_applications WHERE campaign_id = ?", p, 1, &e);
	json_t *grades = json_loads(k->grades, 0, NULL);
	return json_pack("{s:I,s:s,s:I,s:s,s:s,s:I,s:s,s:o,s:o,s:s?,s:s,s:I,s:s}", "id", (json_int_t)k->id, "name",
			 k->name, "year", (json_int_t)k->year, "subject", k->subject, "rubric_id", k->rubric_id,
			 "rubric_version", (json_int_t)k->version, "rubric_title", k->rubric->title, "pass_line",
			 pts(k->pass2), "grades", grades ? grades : json_array(), "apply_until", k->apply_until,
			 "status", k->status, "application_count", (json_int_t)n, "created_at", k->created_at);
}

int hx_rating_campaign_list(json_t **out, hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT id FROM rating_campaigns ORDER BY year DESC, id DESC", NULL,
			     0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		camp k;
		hx_err e = {0};
		if (camp_load(&k, c, atoll(hx_rows_cell(r, i, 0)), &e) == 0)
			json_array_append_new(items, camp_json(c, &k));
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

static int assign_defaults(hx_ctx *c, const camp *k, hx_err *err)
{
	const hx_rubric *rb = k->rubric;
	for (int i = 0; i < rb->nitems; i++) {
		json_t *names = json_array();
		size_t j;
		json_t *d;
		json_array_foreach(rb->items[i].departments, j, d) {
			json_t *m = json_object_get(json_object_get(g_departments, "departments"), json_string_value(d));
			if (m)
				json_array_extend(names, m);
		}
		if (!json_array_size(names))
			json_array_extend(names, json_object_get(g_departments, "default"));
		json_array_foreach(names, j, d) {
			long long org = 0;
			hx_err e = {0};
			if (hx_account_org_find(&org, c, json_string_value(d), &e))
				continue; /* an organization the county has not registered */
			hx_param p[] = {hx_p_int(k->id), hx_p_text(rb->items[i].id), hx_p_int(org)};
			int rc = hx_db_exec(c->db,
					    "INSERT INTO rating_assignments (campaign_id, item_id, org_id) VALUES (?, ?, ?)"
					    " ON CONFLICT DO NOTHING",
					    p, 3, NULL, err);
			if (rc) {
				json_decref(names);
				return rc;
			}
		}
		json_decref(names);
	}
	return 0;
}

static int parse_points(json_t *v, long long max2, const char *field, const char *label, long long *out2,
			hx_err *err)
{
	if (!json_is_number(v))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", field, "%s应为数字", label);
	double d = json_number_value(v) * 2;
	if (d < 0 || d > (double)max2 || d != (double)(long long)d)
		return hx_err_set(err, HX_EINVAL, "out_of_range", field, "%s应在0到%g之间，以0.5分为单位", label,
				  (double)max2 / 2);
	*out2 = (long long)d;
	return 0;
}

int hx_rating_campaign_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	const char *name, *subject, *rubric_id, *until;
	long long year, version = 0, pass2;
	int rc, present;
	if ((rc = hx_json_get_str(&name, NULL, body, "name", "活动名称", 1, 100, err)) ||
	    (rc = hx_json_get_int(&year, NULL, body, "year", "年度", 1, 2000, 2100, err)) ||
	    (rc = hx_json_get_str(&subject, NULL, body, "subject", "创建对象", 1, 16, err)) ||
	    (rc = hx_json_get_str(&rubric_id, NULL, body, "rubric_id", "评价标准", 1, 64, err)) ||
	    (rc = hx_json_get_int(&version, &present, body, "rubric_version", "标准版本", 0, 1, 1000000, err)) ||
	    (rc = hx_json_get_date(&until, NULL, body, "apply_until", "申报截止日期", 0, err)))
		return rc;
	if (strcmp(subject, "enterprise") != 0 && strcmp(subject, "park") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_subject", "subject", "创建对象应为企业（enterprise）或园区（park）");
	const hx_rubric *rb = g_rubrics ? hx_rubric_set_find(g_rubrics, rubric_id, (int)version) : NULL;
	if (!rb)
		return hx_err_set(err, HX_EINVAL, "unknown_rubric", "rubric_id", "评价标准“%s”%s不存在", rubric_id,
				  version ? "的该版本" : "");
	if (strcmp(rb->subject, subject) != 0)
		return hx_err_set(err, HX_EINVAL, "subject_mismatch", "rubric_id", "所选评价标准适用于%s，与创建对象不符",
				  strcmp(rb->subject, "park") == 0 ? "园区" : "企业");
	if ((rc = parse_points(json_object_get(body, "pass_line"), rb->total2, "pass_line", "达标分数线", &pass2, err)))
		return rc;
	json_t *grades = json_object_get(body, "grades");
	if (grades && !json_is_null(grades)) {
		if (!json_is_array(grades) || json_array_size(grades) > 10)
			return hx_err_set(err, HX_EBADREQ, "wrong_type", "grades", "等级应为不超过10项的列表");
		size_t i;
		json_t *g;
		json_array_foreach(grades, i, g) {
			long long m2;
			const char *gn = json_string_value(json_object_get(g, "name"));
			if (!json_is_object(g) || !gn || !*gn || hx_utf8_len(gn) > 16 || json_object_size(g) != 2)
				return hx_err_set(err, HX_EINVAL, "invalid_grade", "grades", "第%zu个等级应为{name, min}，名称不超过16字", i + 1);
			if ((rc = parse_points(json_object_get(g, "min"), rb->total2, "grades", "等级分数线", &m2, err)))
				return rc;
		}
	} else
		grades = NULL;
	if ((rc = hx_rating_use_rubric(c, rb, err)))
		return rc;
	char *gtext = json_dumps(grades ? grades : json_array(), JSON_COMPACT);
	if (!grades)
		json_decref(json_array());
	const char *now = now_iso(c);
	hx_param p[] = {hx_p_text(name), hx_p_int(year), hx_p_text(subject), hx_p_text(rb->id), hx_p_int(rb->version),
			hx_p_int(pass2), hx_p_text(gtext), hx_p_text(until), hx_p_text(now), hx_p_text(now)};
	long long id;
	rc = hx_db_int(c->db, &id,
		       "INSERT INTO rating_campaigns (name, year, subject, rubric_id, rubric_version, pass_line2, grades,"
		       " apply_until, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)"
		       " RETURNING id",
		       p, 10, err);
	free(gtext);
	if (rc)
		return rc;
	camp k;
	if ((rc = camp_load(&k, c, id, err)) || (rc = assign_defaults(c, &k, err)))
		return rc;
	json_t *ch = json_pack("{s:[n,s],s:[n,s],s:[n,I]}", "name", name, "rubric_id", rb->id, "year", (json_int_t)year);
	rc = hx_audit_write(c, "create", "rating_campaign", id, name, ch, err);
	json_decref(ch);
	if (rc)
		return rc;
	return hx_rating_campaign_get(out, c, id, err);
}

/* Orgs assigned to each item: JSON {item_id: [org_id…]}. */
static json_t *assignments(hx_ctx *c, long long cid)
{
	hx_rows *r;
	hx_err e = {0};
	hx_param p[] = {hx_p_int(cid)};
	json_t *m = json_object();
	if (hx_db_query(c->db, c->arena, &r, "SELECT item_id, org_id FROM rating_assignments WHERE campaign_id = ?"
					     " ORDER BY org_id", p, 1, &e))
		return m;
	for (int i = 0; i < r->nrows; i++) {
		const char *it = hx_rows_cell(r, i, 0);
		json_t *a = json_object_get(m, it);
		if (!a) {
			a = json_array();
			json_object_set_new(m, it, a);
		}
		json_array_append_new(a, json_integer(atoll(hx_rows_cell(r, i, 1))));
	}
	return m;
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

int hx_rating_campaign_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	camp k;
	int rc = camp_load(&k, c, id, err);
	if (rc)
		return rc;
	json_t *o = camp_json(c, &k);
	json_t *as = assignments(c, id), *arr = json_array();
	json_t *orgs = json_object(); /* org id → number of items */
	for (int i = 0; i < k.rubric->nitems; i++) {
		const item *I = &k.rubric->items[i];
		json_t *ids = json_object_get(as, I->id), *names = json_array();
		size_t j;
		json_t *v;
		json_array_foreach(ids, j, v) {
			json_array_append_new(names, json_string(org_name(c, json_integer_value(v))));
			char key[32];
			snprintf(key, sizeof key, "%lld", (long long)json_integer_value(v));
			json_object_set_new(orgs, key, json_integer(json_integer_value(json_object_get(orgs, key)) + 1));
		}
		json_array_append_new(arr, json_pack("{s:s,s:s,s:O,s:o}", "item_id", I->id, "item_title", I->title,
						     "org_ids", ids ? ids : json_array(), "org_names", names));
	}
	json_object_set_new(o, "assignments", arr);
	/* progress: per organization, its (application, item) pairs reviewed */
	long long submitted = 0;
	hx_param p[] = {hx_p_int(id)};
	hx_db_int(c->db, &submitted,
		  "SELECT count(*) FROM rating_applications WHERE campaign_id = ? AND status <> 'draft'", p, 1, err);
	json_t *prog = json_array();
	const char *ok;
	json_t *ov;
	json_object_foreach(orgs, ok, ov) {
		long long org = atoll(ok), done = 0;
		hx_param q[] = {hx_p_int(org), hx_p_int(id), hx_p_int(org), hx_p_int(id)};
		hx_err e = {0};
		/* an item counts as reviewed for an application when the
		 * organization answered one of its criteria or commented on it */
		hx_rows *r;
		if (hx_db_query(c->db, c->arena, &r,
				"SELECT DISTINCT x.application_id, x.item_id FROM ("
				" SELECT a.application_id, a.criterion_id AS item_id FROM rating_answers a"
				" JOIN rating_applications p ON p.id = a.application_id"
				" WHERE a.source = 'review' AND a.org_id = ? AND p.campaign_id = ?"
				" UNION SELECT m.application_id, m.item_id FROM rating_comments m"
				" JOIN rating_applications p ON p.id = m.application_id"
				" WHERE m.org_id = ? AND p.campaign_id = ?) x",
				q, 4, &e) == 0) {
			/* map criterion ids to their items, then count pairs */
			json_t *seen = json_object();
			for (int i = 0; i < r->nrows; i++) {
				const char *cid = hx_rows_cell(r, i, 1);
				int ci = hx_rubric_criterion_index(k.rubric, cid);
				const char *iid = ci >= 0 ? k.rubric->items[k.rubric->criteria[ci].item].id : cid;
				char key[96];
				snprintf(key, sizeof key, "%s/%s", hx_rows_cell(r, i, 0), iid);
				json_object_set_new(seen, key, json_true());
			}
			done = (long long)json_object_size(seen);
			json_decref(seen);
		}
		long long assigned = json_integer_value(ov) * submitted;
		json_array_append_new(prog, json_pack("{s:I,s:s,s:I,s:I,s:I}", "org_id", (json_int_t)org, "org_name",
						      org_name(c, org), "assigned", (json_int_t)assigned, "reviewed",
						      (json_int_t)done, "pending",
						      (json_int_t)(assigned > done ? assigned - done : 0)));
	}
	json_object_set_new(o, "progress", prog);
	json_decref(orgs);
	json_decref(as);
	*out = o;
	return 0;
}

int hx_rating_campaign_assign(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	camp k;
	const char *item_id;
	int rc;
	if ((rc = camp_load(&k, c, id, err)))
		return rc;
	if ((rc = hx_json_get_str(&item_id, NULL, body, "item_id", "考核项目", 1, 32, err)))
		return rc;
	if (!item_by_id(k.rubric, item_id))
		return hx_err_set(err, HX_EINVAL, "unknown_item", "item_id", "评价标准中没有考核项目“%s”", item_id);
	json_t *ids = json_object_get(body, "org_ids");
	if (!json_is_array(ids) || json_array_size(ids) > 50)
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "org_ids", "评审部门应为机构编号列表");
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		json_t *o = NULL;
		if (!json_is_integer(v) || hx_account_org_get(&o, c, json_integer_value(v), err))
			return hx_err_set(err, HX_EINVAL, "invalid_org", "org_ids", "评审部门不存在");
		int dep = strcmp(json_string_value(json_object_get(o, "kind")), "department") == 0 ||
			  strcmp(json_string_value(json_object_get(o, "kind")), "union") == 0;
		json_decref(o);
		if (!dep)
			return hx_err_set(err, HX_EINVAL, "invalid_org", "org_ids", "评审部门应为县级部门或工会");
	}
	hx_param p[] = {hx_p_int(id), hx_p_text(item_id)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM rating_assignments WHERE campaign_id = ? AND item_id = ?", p, 2, NULL, err)))
		return rc;
	json_array_foreach(ids, i, v) {
		hx_param q[] = {hx_p_int(id), hx_p_text(item_id), hx_p_int(json_integer_value(v))};
		rc = hx_db_exec(c->db, "INSERT INTO rating_assignments (campaign_id, item_id, org_id) VALUES (?, ?, ?)"
				       " ON CONFLICT DO NOTHING", q, 3, NULL, err);
		if (rc)
			return rc;
	}
	json_t *ch = json_pack("{s:[n,O]}", hx_arena_printf(c->arena, "item %s", item_id), ids);
	rc = hx_audit_write(c, "update", "rating_campaign", id, k.name, ch, err);
	json_decref(ch);
	return rc ? rc : hx_rating_campaign_get(out, c, id, err);
}

int hx_rating_campaign_remind(hx_ctx *c, long long id, long long org_id, hx_err *err)
{
	camp k;
	int rc = camp_load(&k, c, id, err);
	if (rc)
		return rc;
	const char *on = org_name(c, org_id);
	if (!*on)
		return hx_err_set(err, HX_EINVAL, "invalid_org", "org_id", "机构不存在");
	char *text = hx_arena_printf(c->arena, "请尽快完成“%s”的评审（%s）", k.name, on);
	char *link = hx_arena_printf(c->arena, "/rating/campaigns/%lld", id);
	if ((rc = hx_notify_org(c, org_id, text, link, err)))
		return rc;
	return hx_audit_write(c, "remind", "rating_campaign", id, on, NULL, err);
}

/* ---- applications ---- */

typedef struct app {
	long long id, campaign_id, enterprise_id, area_id, total2;
	const char *applicant, *status, *vetoes, *grade, *created_at, *submitted_at;
	int vetoed, passed, has_total;
	camp k;
} app;

/* Loads an application the caller may see (HX_ENOTFOUND otherwise). */
static int app_load(app *a, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, campaign_id, enterprise_id, area_id, applicant, status, total2, vetoed, vetoes,"
			     " passed, grade, created_at, submitted_at FROM rating_applications WHERE id = ?",
			     p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "申报不存在或不在您的管理范围内");
	memset(a, 0, sizeof *a);
	a->id = id;
	a->campaign_id = hx_rows_int(r, 0, "campaign_id");
	a->enterprise_id = hx_rows_int(r, 0, "enterprise_id");
	a->area_id = hx_rows_int(r, 0, "area_id");
	a->applicant = hx_rows_get(r, 0, "applicant");
	a->status = hx_rows_get(r, 0, "status");
	a->has_total = hx_rows_get(r, 0, "total2") != NULL;
	a->total2 = hx_rows_int(r, 0, "total2");
	a->vetoed = (int)hx_rows_int(r, 0, "vetoed");
	a->vetoes = hx_rows_get(r, 0, "vetoes");
	a->passed = (int)hx_rows_int(r, 0, "passed");
	a->grade = hx_rows_get(r, 0, "grade");
	a->created_at = hx_rows_get(r, 0, "created_at");
	a->submitted_at = hx_rows_get(r, 0, "submitted_at");
	if (!(perm(c, HX_PERM_RATING_MANAGE) || perm(c, HX_PERM_RATING_REVIEW) || perm(c, HX_PERM_RATING_APPLY)))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "申报不存在或不在您的管理范围内");
	/* scope: county staff and reviewers see all; an applicant its own */
	if (!(perm(c, HX_PERM_RATING_MANAGE) || perm(c, HX_PERM_RATING_REVIEW)) || c->me->scope.kind != HX_SCOPE_COUNTY) {
		hx_err e = {0};
		int ok = a->enterprise_id ? hx_registry_enterprise_visible(c, a->enterprise_id, &e) == 0
					  : hx_registry_area_in_scope(c, a->area_id);
		if (!ok)
			return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "申报不存在或不在您的管理范围内");
	}
	return camp_load(&a->k, c, a->campaign_id, err);
}

/* Items the caller reviews in this campaign (a JSON object item → true). */
static json_t *my_items(hx_ctx *c, const app *a)
{
	json_t *m = json_object();
	if (perm(c, HX_PERM_RATING_MANAGE) && c->me->scope.kind == HX_SCOPE_COUNTY) {
		for (int i = 0; i < a->k.rubric->nitems; i++)
			json_object_set_new(m, a->k.rubric->items[i].id, json_true());
		return m;
	}
	if (!perm(c, HX_PERM_RATING_REVIEW) || !c->me->org_id)
		return m;
	hx_rows *r;
	hx_err e = {0};
	hx_param p[] = {hx_p_int(a->campaign_id), hx_p_int(c->me->org_id)};
	if (hx_db_query(c->db, c->arena, &r, "SELECT item_id FROM rating_assignments WHERE campaign_id = ? AND org_id = ?",
			p, 2, &e) == 0)
		for (int i = 0; i < r->nrows; i++)
			json_object_set_new(m, hx_rows_cell(r, i, 0), json_true());
	return m;
}

static int is_applicant(hx_ctx *c, const app *a)
{
	if (!perm(c, HX_PERM_RATING_APPLY))
		return 0;
	hx_err e = {0};
	if (a->enterprise_id)
		return c->me->scope.kind == HX_SCOPE_COUNTY ||
		       ((c->me->scope.kind == HX_SCOPE_ENTERPRISE || c->me->scope.kind == HX_SCOPE_AREA) &&
			hx_registry_enterprise_visible(c, a->enterprise_id, &e) == 0);
	return hx_registry_area_in_scope(c, a->area_id);
}

static json_t *app_json(const app *a)
{
	json_t *v = json_loads(a->vetoes ? a->vetoes : "[]", 0, NULL);
	return json_pack("{s:I,s:I,s:s,s:s,s:o,s:o,s:s,s:s,s:o,s:b,s:o,s:b,s:o,s:s,s:o}", "id", (json_int_t)a->id,
			 "campaign_id", (json_int_t)a->campaign_id, "campaign_name", a->k.name, "subject", a->k.subject,
			 "enterprise_id", a->enterprise_id ? json_integer(a->enterprise_id) : json_null(), "area_id",
			 a->area_id ? json_integer(a->area_id) : json_null(), "applicant", a->applicant, "status",
			 a->status, "total", a->has_total ? pts(a->total2) : json_null(), "vetoed", a->vetoed, "vetoes",
			 v ? v : json_array(), "passed", a->passed, "grade", hx_json_str_or_null(a->grade),
			 "created_at", a->created_at, "submitted_at", hx_json_str_or_null(a->submitted_at));
}

int hx_rating_application_create(json_t **out, hx_ctx *c, long long campaign_id, json_t *body, hx_err *err)
{
	camp k;
	int rc = camp_load(&k, c, campaign_id, err);
	if (rc)
		return rc;
	if (strcmp(k.status, "open") != 0)
		return hx_err_set(err, HX_EINVAL, "campaign_closed", "", "该创建活动已截止申报");
	char today[11];
	hx_today(today);
	if (k.apply_until && strcmp(today, k.apply_until) > 0)
		return hx_err_set(err, HX_EINVAL, "campaign_closed", "", "已过申报截止日期（%s）", k.apply_until);
	long long eid = 0, aid = 0;
	const char *name;
	char key[48];
	if (strcmp(k.subject, "enterprise") == 0) {
		if ((rc = hx_json_get_int(&eid, NULL, body, "enterprise_id", "申报企业", 0, 1, INT64_MAX, err)))
			return rc;
		if (!eid && c->me->scope.kind == HX_SCOPE_ENTERPRISE)
			eid = c->me->scope.enterprise_id;
		if (!eid)
			return hx_err_set(err, HX_EINVAL, "required", "enterprise_id", "请选择申报企业");
		if (hx_registry_enterprise_name(&name, c, eid, err))
			return hx_err_set(err, HX_EINVAL, "invalid_enterprise", "enterprise_id", "申报企业不存在或不在您的管理范围内");
		snprintf(key, sizeof key, "e:%lld", eid);
	} else {
		json_t *area = NULL;
		if ((rc = hx_json_get_int(&aid, NULL, body, "area_id", "申报园区", 1, 1, INT64_MAX, err)))
			return rc;
		if (hx_registry_area_get(&area, c, aid, err) || !hx_registry_area_in_scope(c, aid)) {
			json_decref(area);
			return hx_err_set(err, HX_EINVAL, "invalid_area", "area_id", "申报园区不存在或不在您的管理范围内");
		}
		int park = strcmp(json_string_value(json_object_get(area, "kind")), "park") == 0;
		name = hx_arena_strdup(c->arena, json_string_value(json_object_get(area, "name")));
		json_decref(area);
		if (!park)
			return hx_err_set(err, HX_EINVAL, "not_a_park", "area_id", "和谐园区只能由园区申报");
		snprintf(key, sizeof key, "a:%lld", aid);
	}
	hx_param p[] = {hx_p_int(campaign_id), hx_p_text(key), eid ? hx_p_int(eid) : hx_p_null(),
			aid ? hx_p_int(aid) : hx_p_null(), hx_p_text(name), hx_p_text(now_iso(c))};
	long long id;
	rc = hx_db_int(c->db, &id,
		       "INSERT INTO rating_applications (campaign_id, applicant_key, enterprise_id, area_id, applicant,"
		       " status, created_at) VALUES (?, ?, ?, ?, ?, 'draft', ?) RETURNING id",
		       p, 6, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_application", "", "%s已申报本次创建活动", name);
	if (rc || (rc = hx_audit_write(c, "create", "rating_application", id, name, NULL, err)))
		return rc;
	return hx_rating_application_get(out, c, id, err);
}

int hx_rating_application_list(json_t **out, hx_ctx *c, long long campaign_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(campaign_id)};
	int rc = campaign_id ? hx_db_query(c->db, c->arena, &r,
					   "SELECT id FROM rating_applications WHERE campaign_id = ? ORDER BY id", p, 1, err)
			     : hx_db_query(c->db, c->arena, &r, "SELECT id FROM rating_applications ORDER BY id DESC LIMIT 500",
					   NULL, 0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		app a;
		hx_err e = {0};
		if (app_load(&a, c, atoll(hx_rows_cell(r, i, 0)), &e) == 0)
			json_array_append_new(items, app_json(&a));
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

/* ---- facts: answers and metrics with their sources ---- */

static json_t *value_json(const char *v)
{
	if (strcmp(v, "true") == 0)
		return json_true();
	if (strcmp(v, "false") == 0)
		return json_false();
	return json_real(strtod(v, NULL));
}

static json_t *num_or_bool(json_t *v)
{
	if (json_is_real(v) && json_real_value(v) == (double)(long long)json_real_value(v))
		return json_integer((long long)json_real_value(v));
	return json_incref(v);
}

/* Platform metric values for an application: {name: {"value", "source",
 * "note"?}}, source "platform" for what the registry and the honours tell,
 * "contract" for the contract module's figure. */
static int platform_metrics(json_t **out, hx_ctx *c, const app *a, hx_err *err)
{
	json_t *m = json_object();
	const hx_rubric *rb = a->k.rubric;
	hx_principal cli;
	hx_account_cli_principal(&cli);
	hx_ctx c2 = *c;
	c2.me = &cli;
	int rc = 0;
	for (int i = 0; i < rb->nmetrics && !rc; i++) {
		const char *pf = rb->metrics[i].platform, *name = rb->metrics[i].name;
		if (!pf)
			continue;
		if (strcmp(pf, "is_company") == 0 && a->enterprise_id) {
			json_t *ent = NULL;
			rc = hx_registry_enterprise_get(&ent, &c2, a->enterprise_id, err);
			if (rc == 0)
				json_object_set_new(m, name, json_pack("{s:b,s:s}", "value", json_is_true(json_object_get(ent, "is_company")),
								       "source", "platform"));
			else if (rc == HX_ENOTFOUND) /* deleted since: the applicant's answer stands */
				rc = 0;
			json_decref(ent);
		} else if (strcmp(pf, "harmonious_enterprise_ratio") == 0 && a->area_id) {
			json_t *ids = NULL;
			if ((rc = hx_registry_area_enterprise_ids(&ids, &c2, a->area_id, err)) == 0 && json_array_size(ids)) {
				char today[11];
				hx_today(today);
				long long honoured = 0;
				size_t j;
				json_t *v;
				json_array_foreach(ids, j, v) {
					long long n = 0;
					hx_param p[] = {hx_p_int(json_integer_value(v)), hx_p_text(today), hx_p_text(today)};
					if ((rc = hx_db_int(c->db, &n,
							    "SELECT count(*) FROM rating_honours WHERE enterprise_id = ? AND valid_from <= ?"
							    " AND valid_until >= ?",
							    p, 3, err)))
						break;
					honoured += n > 0;
				}
				if (!rc)
					json_object_set_new(m, name, json_pack("{s:f,s:s}", "value",
									       (double)honoured / (double)json_array_size(ids),
									       "source", "platform"));
			}
			json_decref(ids);
		} else if (strcmp(pf, "contract_signing_rate") == 0 && a->enterprise_id) {
			/* a park's rate would mix enterprises on and off the
			 * platform's contracts: the park fills it in */
			/* electronic and paper contracts, dispatched workers
			 * out (see hx_contract_rate_parts_get) */
			hx_contract_rate_parts rate;
			if ((rc = hx_contract_rate_parts_get(&rate, c, a->enterprise_id, err)) == 0 && rate.known) {
				char note[256];
				hx_contract_rate_note(note, sizeof note, &rate);
				json_object_set_new(m, name,
						    json_pack("{s:f,s:s,s:s}", "value", rate.rate, "source", "contract", "note", note));
			}
		}
	}
	if (rc) {
		json_decref(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* Builds the facts for scoring, and (when asked) the answers and the
 * metrics with their sources. */
static int build_facts(json_t **out, hx_ctx *c, const app *a, json_t **metric_info, json_t **answers_out, hx_err *err)
{
	const hx_rubric *rb = a->k.rubric;
	json_t *answers = json_object(), *ans_view = json_object(), *metrics = json_object(), *info = json_array();
	json_t *src_of = json_object(), *reason_of = json_object(), *plat = NULL;
	hx_rows *r, *m;
	hx_param p[] = {hx_p_int(a->id)};
	long long voted = 0, satisfied = 0;
	const char *k;
	json_t *v;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT a.criterion_id, a.source, a.value, a.note, a.org_id FROM rating_answers a"
			     " WHERE a.application_id = ? ORDER BY a.source DESC",
			     p, 1, err);
	if (rc)
		goto done;
	for (int i = 0; i < r->nrows; i++) {
		const char *cid = hx_rows_cell(r, i, 0), *src = hx_rows_cell(r, i, 1);
		v = value_json(hx_rows_cell(r, i, 2));
		/* rows come "self" before "review": review wins */
		json_object_set(answers, cid, v);
		json_t *slot = json_object_get(ans_view, cid);
		if (!slot) {
			slot = json_object();
			json_object_set_new(ans_view, cid, slot);
		}
		json_t *entry = json_pack("{s:o,s:s?}", "value", num_or_bool(v), "note", hx_rows_cell(r, i, 3));
		if (strcmp(src, "review") == 0 && hx_rows_cell(r, i, 4))
			json_object_set_new(entry, "org_name", json_string(org_name(c, atoll(hx_rows_cell(r, i, 4)))));
		json_object_set_new(slot, src, entry);
		json_decref(v);
	}
	/* platform detection of the child-labor veto */
	if (a->enterprise_id)
		for (int i = 0; i < rb->ncriteria; i++)
			if (rb->criteria[i].platform && strcmp(rb->criteria[i].platform, "child_labor") == 0) {
				hx_roster_stats st;
				hx_principal cli;
				hx_account_cli_principal(&cli);
				hx_ctx c2 = *c;
				c2.me = &cli;
				rc = hx_registry_roster_stats(&st, &c2, a->enterprise_id, err);
				if (rc == HX_ENOTFOUND) { /* deleted since: the answers stand */
					rc = 0;
					continue;
				}
				if (rc)
					goto done;
				if (st.under16 > 0)
					json_object_set_new(answers, rb->criteria[i].id, json_true());
			}
	/* metrics: self < platform (or contract) < poll < override */
	if ((rc = hx_db_query(c->db, c->arena, &m,
			      "SELECT name, source, value, reason FROM rating_metrics WHERE application_id = ?", p, 1, err)))
		goto done;
	for (int i = 0; i < m->nrows; i++)
		if (strcmp(hx_rows_cell(m, i, 1), "self") == 0) {
			json_object_set_new(metrics, hx_rows_cell(m, i, 0), value_json(hx_rows_cell(m, i, 2)));
			json_object_set_new(src_of, hx_rows_cell(m, i, 0), json_string("self"));
		}
	if ((rc = platform_metrics(&plat, c, a, err)))
		goto done;
	json_object_foreach(plat, k, v) {
		json_object_set(metrics, k, json_object_get(v, "value"));
		json_object_set(src_of, k, json_object_get(v, "source"));
	}
	if ((rc = hx_db_int(c->db, &voted, "SELECT count(*) FROM rating_poll_votes WHERE application_id = ?", p, 1, err)) ||
	    (rc = hx_db_int(c->db, &satisfied,
			    "SELECT count(*) FROM rating_poll_votes WHERE application_id = ? AND satisfied = 1", p, 1, err)))
		goto done;
	for (int i = 0; i < rb->nmetrics; i++)
		if (voted && strcmp(rb->metrics[i].name, "employee_satisfaction_rate") == 0) {
			json_object_set_new(metrics, rb->metrics[i].name, json_real((double)satisfied / (double)voted));
			json_object_set_new(src_of, rb->metrics[i].name, json_string("poll"));
		}
	for (int i = 0; i < m->nrows; i++)
		if (strcmp(hx_rows_cell(m, i, 1), "override") == 0) {
			json_object_set_new(metrics, hx_rows_cell(m, i, 0), value_json(hx_rows_cell(m, i, 2)));
			json_object_set_new(src_of, hx_rows_cell(m, i, 0), json_string("override"));
			json_object_set_new(reason_of, hx_rows_cell(m, i, 0), hx_json_str_or_null(hx_rows_cell(m, i, 3)));
		}
	for (int i = 0; i < rb->nmetrics; i++) {
		const metric *M = &rb->metrics[i];
		static const char *const types[] = {"rate", "number", "count", "bool"};
		json_t *val = json_object_get(metrics, M->name);
		/* the platform's figures stay in view under an override */
		json_t *note = json_object_get(json_object_get(plat, M->name), "note");
		json_array_append_new(info, json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:b}", "name", M->name, "label", M->label,
						      "type", types[M->type], "value", val ? num_or_bool(val) : json_null(),
						      "source", json_incref(json_object_get(src_of, M->name) ?: json_null()),
						      "reason", json_incref(json_object_get(reason_of, M->name) ?: json_null()),
						      "note", json_incref(note ?: json_null()), "platform", M->platform != NULL));
	}
	/* metrics must be in range for the engine; a count stored as a real
	 * number becomes an integer again */
	json_object_foreach(metrics, k, v) {
		json_t *n = num_or_bool(v);
		json_object_set_new(metrics, k, n);
	}
	if (metric_info) {
		*metric_info = info;
		info = NULL;
	}
	if (answers_out) {
		*answers_out = ans_view;
		ans_view = NULL;
	}
	*out = json_pack("{s:O,s:O}", "answers", answers, "metrics", metrics);
done:
	json_decref(answers);
	json_decref(ans_view);
	json_decref(metrics);
	json_decref(info);
	json_decref(src_of);
	json_decref(reason_of);
	json_decref(plat);
	return rc;
}

static int score_app(json_t **result, hx_score **sout, hx_facts **fout, hx_ctx *c, const app *a, json_t **metric_info,
		     json_t **answers, hx_err *err)
{
	json_t *facts = NULL;
	int rc = build_facts(&facts, c, a, metric_info, answers, err);
	if (rc)
		return rc;
	hx_facts *f = NULL;
	rc = hx_facts_compile(&f, a->k.rubric, facts, err);
	json_decref(facts);
	if (rc)
		return rc;
	hx_score *s = hx_score_new(a->k.rubric);
	hx_rate(s, a->k.rubric, f);
	if (result)
		*result = hx_score_json(s, a->k.rubric, f);
	if (sout)
		*sout = s;
	else
		hx_score_free(s);
	if (fout)
		*fout = f;
	else
		hx_facts_free(f);
	return 0;
}

int hx_rating_application_scored(const hx_rubric **rubric, hx_facts **facts, hx_score **score,
				 const char **applicant, hx_ctx *c, long long id, hx_err *err)
{
	app a;
	int rc = app_load(&a, c, id, err);
	if (rc)
		return rc;
	if ((rc = score_app(NULL, score, facts, c, &a, NULL, NULL, err)))
		return rc;
	*rubric = a.k.rubric;
	*applicant = a.applicant;
	return 0;
}

int hx_rating_application_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	app a;
	int rc = app_load(&a, c, id, err);
	if (rc)
		return rc;
	json_t *o = app_json(&a), *score = NULL, *minfo = NULL, *answers = NULL;
	if ((rc = score_app(&score, NULL, NULL, c, &a, &minfo, &answers, err))) {
		json_decref(o);
		return rc;
	}
	json_object_set_new(o, "score", score);
	json_object_set_new(o, "metrics", minfo);
	json_object_set_new(o, "answers", answers);
	json_t *mine = my_items(c, &a), *mi = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(mine, k, v)
		json_array_append_new(mi, json_string(k));
	json_decref(mine);
	json_object_set_new(o, "my_items", mi);
	json_object_set_new(o, "can_self_assess",
			    json_boolean(is_applicant(c, &a) && strcmp(a.status, "draft") == 0 &&
					 strcmp(a.k.status, "open") == 0));
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	json_t *ev = json_array(), *cm = json_array();
	if (hx_db_query(c->db, c->arena, &r,
			"SELECT id, criterion_id, filename, size FROM rating_evidence WHERE application_id = ? ORDER BY id", p, 1,
			err) == 0)
		for (int i = 0; i < r->nrows; i++)
			json_array_append_new(ev, json_pack("{s:I,s:s,s:s,s:I}", "id", (json_int_t)hx_rows_int(r, i, "id"),
							    "criterion_id", hx_rows_get(r, i, "criterion_id"), "filename",
							    hx_rows_get(r, i, "filename"), "size", (json_int_t)hx_rows_int(r, i, "size")));
	if (hx_db_query(c->db, c->arena, &r,
			"SELECT item_id, org_id, text, updated_at FROM rating_comments WHERE application_id = ? ORDER BY item_id",
			p, 1, err) == 0)
		for (int i = 0; i < r->nrows; i++)
			json_array_append_new(cm, json_pack("{s:s,s:I,s:s,s:s,s:s}", "item_id", hx_rows_get(r, i, "item_id"),
							    "org_id", (json_int_t)hx_rows_int(r, i, "org_id"), "org_name",
							    org_name(c, hx_rows_int(r, i, "org_id")), "text",
							    hx_rows_get(r, i, "text"), "updated_at", hx_rows_get(r, i, "updated_at")));
	json_object_set_new(o, "evidence", ev);
	json_object_set_new(o, "comments", cm);
	long long issued = 0, voted = 0, sat = 0;
	hx_db_int(c->db, &issued, "SELECT count(*) FROM rating_poll_links WHERE application_id = ?", p, 1, err);
	hx_db_int(c->db, &voted, "SELECT count(*) FROM rating_poll_votes WHERE application_id = ?", p, 1, err);
	hx_db_int(c->db, &sat, "SELECT count(*) FROM rating_poll_votes WHERE application_id = ? AND satisfied = 1", p, 1, err);
	json_object_set_new(o, "poll", json_pack("{s:I,s:I,s:I,s:o}", "issued", (json_int_t)issued, "voted", (json_int_t)voted,
						 "satisfied", (json_int_t)sat,
						 "rate", voted ? json_real((double)sat / (double)voted) : json_null()));
	*out = o;
	return 0;
}

/* Checks one answer value against its criterion; writes it as text. */
static int answer_text(const char **out, hx_ctx *c, const criterion *cr, json_t *v, hx_err *err)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v) ? "true" : "false";
		return 0;
	}
	if (json_is_number(v)) {
		double d = json_number_value(v) * 2;
		if (d < 0 || d > cr->max2 || d != (double)(long long)d)
			return hx_err_set(err, HX_EINVAL, "answer_out_of_range", cr->id, "第%s项的得分应在0到%g之间，以0.5分为单位",
					  cr->id, cr->max2 / 2.0);
		*out = hx_arena_printf(c->arena, "%g", d / 2);
		return 0;
	}
	return hx_err_set(err, HX_EBADREQ, "wrong_type", cr->id, "第%s项的回答应为是/否或分数", cr->id);
}

static int put_answers(hx_ctx *c, const app *a, json_t *answers, const char *source, json_t *allowed_items,
		       hx_err *err)
{
	if (!answers)
		return 0;
	if (!json_is_object(answers))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "answers", "answers应为对象");
	const char *cid;
	json_t *entry;
	json_object_foreach(answers, cid, entry) {
		int ci = hx_rubric_criterion_index(a->k.rubric, cid);
		if (ci < 0)
			return hx_err_set(err, HX_EINVAL, "unknown_criterion", cid, "评价标准中没有第%.20s项", cid);
		const criterion *cr = &a->k.rubric->criteria[ci];
		const char *item_id = a->k.rubric->items[cr->item].id;
		if (allowed_items && !json_object_get(allowed_items, item_id))
			return hx_err_set(err, HX_EPERM, "not_your_item", cid,
					  "第%s项属于考核项目%s，不由本部门评审", cid, item_id);
		if (!json_is_object(entry))
			return hx_err_set(err, HX_EBADREQ, "wrong_type", cid, "第%s项应为{value, note}", cid);
		json_t *val = json_object_get(entry, "value");
		const char *note = json_string_value(json_object_get(entry, "note"));
		if (note && hx_utf8_len(note) > 1000)
			return hx_err_set(err, HX_EINVAL, "too_long", cid, "第%s项的说明不能超过1000字", cid);
		hx_param d[] = {hx_p_int(a->id), hx_p_text(cid), hx_p_text(source)};
		int rc;
		if (!val || json_is_null(val)) {
			if ((rc = hx_db_exec(c->db, "DELETE FROM rating_answers WHERE application_id = ? AND criterion_id = ? AND source = ?",
					     d, 3, NULL, err)))
				return rc;
			continue;
		}
		const char *text = NULL;
		if ((rc = answer_text(&text, c, cr, val, err)))
			return rc;
		hx_param p[] = {hx_p_int(a->id), hx_p_text(cid), hx_p_text(source), hx_p_text(text), hx_p_text(note),
				c->me->org_id ? hx_p_int(c->me->org_id) : hx_p_null(), hx_p_int(c->me->user_id),
				hx_p_text(now_iso(c))};
		if ((rc = hx_db_exec(c->db, "DELETE FROM rating_answers WHERE application_id = ? AND criterion_id = ? AND source = ?",
				     d, 3, NULL, err)) ||
		    (rc = hx_db_exec(c->db,
				     "INSERT INTO rating_answers (application_id, criterion_id, source, value, note, org_id,"
				     " user_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				     p, 8, NULL, err)))
			return rc;
	}
	return 0;
}

static int metric_text(const char **out, hx_ctx *c, const metric *M, json_t *v, hx_err *err)
{
	if (M->type == MT_BOOL) {
		if (!json_is_boolean(v))
			return hx_err_set(err, HX_EBADREQ, "wrong_type", M->name, "%s应为是或否", M->label);
		*out = json_is_true(v) ? "true" : "false";
		return 0;
	}
	if (!json_is_number(v))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", M->name, "%s应为数字", M->label);
	double d = json_number_value(v);
	if (d < 0 || d > 1e12 || (M->type == MT_RATE && d > 1) || (M->type == MT_COUNT && d != (double)(long long)d))
		return hx_err_set(err, HX_EINVAL, "out_of_range", M->name, "%s的取值无效%s", M->label,
				  M->type == MT_RATE ? "（比率应在0到1之间）" : "");
	*out = hx_arena_printf(c->arena, "%.17g", d);
	return 0;
}

static const metric *metric_by_name(const hx_rubric *r, const char *name)
{
	for (int i = 0; name && i < r->nmetrics; i++)
		if (strcmp(r->metrics[i].name, name) == 0)
			return &r->metrics[i];
	return NULL;
}

int hx_rating_application_self(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	app a;
	int rc = app_load(&a, c, id, err);
	if (rc)
		return rc;
	if (!is_applicant(c, &a))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有申报单位可以自评");
	if (strcmp(a.status, "draft") != 0 || strcmp(a.k.status, "open") != 0)
		return hx_err_set(err, HX_EINVAL, "not_editable", "", "申报已提交或活动已截止，不能再修改自评");
	static const char *const allowed[] = {"answers", "metrics", NULL};
	if ((rc = hx_json_only(body, allowed, err)) || (rc = put_answers(c, &a, json_object_get(body, "answers"), "self", NULL, err)))
		return rc;
	json_t *ms = json_object_get(body, "metrics");
	if (ms && !json_is_object(ms))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "metrics", "metrics应为对象");
	const char *name;
	json_t *v;
	json_object_foreach(ms, name, v) {
		const metric *M = metric_by_name(a.k.rubric, name);
		if (!M)
			return hx_err_set(err, HX_EINVAL, "unknown_metric", name, "评价标准中没有指标“%.40s”", name);
		hx_param d[] = {hx_p_int(id), hx_p_text(name)};
		if ((rc = hx_db_exec(c->db, "DELETE FROM rating_metrics WHERE application_id = ? AND name = ? AND source = 'self'",
				     d, 2, NULL, err)))
			return rc;
		if (json_is_null(v))
			continue;
		const char *text = NULL;
		if ((rc = metric_text(&text, c, M, v, err)))
			return rc;
		hx_param p[] = {hx_p_int(id), hx_p_text(name), hx_p_text(text), hx_p_int(c->me->user_id), hx_p_text(now_iso(c))};
		if ((rc = hx_db_exec(c->db,
				     "INSERT INTO rating_metrics (application_id, name, source, value, user_id, updated_at)"
				     " VALUES (?, ?, 'self', ?, ?, ?)",
				     p, 5, NULL, err)))
			return rc;
	}
	if ((rc = hx_audit_write(c, "update", "rating_application", id, a.applicant, NULL, err)))
		return rc;
	return hx_rating_application_get(out, c, id, err);
}

int hx_rating_application_submit(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	app a;
	int rc = app_load(&a, c, id, err);
	if (rc)
		return rc;
	if (!is_applicant(c, &a))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有申报单位可以提交");
	if (strcmp(a.status, "draft") != 0)
		return hx_err_set(err, HX_EINVAL, "not_draft", "", "申报已提交");
	if (strcmp(a.k.status, "open") != 0)
		return hx_err_set(err, HX_EINVAL, "campaign_closed", "", "活动已截止申报");
	hx_param p[] = {hx_p_text(now_iso(c)), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE rating_applications SET status = 'submitted', submitted_at = ? WHERE id = ?", p,
			     2, NULL, err)) ||
	    (rc = hx_audit_write(c, "submit", "rating_application", id, a.applicant, NULL, err)))
		return rc;
	return hx_rating_application_get(out, c, id, err);
}

int hx_rating_application_review(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	app a;
	int rc = app_load(&a, c, id, err);
	if (rc)
		return rc;
	if (strcmp(a.status, "submitted") != 0 ||
	    (strcmp(a.k.status, "open") != 0 && strcmp(a.k.status, "reviewing") != 0))
		return hx_err_set(err, HX_EINVAL, "not_reviewable", "", "只能评审已提交、尚未确认结果的申报");
	static const char *const allowed[] = {"answers", "comments", NULL};
	if ((rc = hx_json_only(body, allowed, err)))
		return rc;
	json_t *mine = my_items(c, &a);
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, mine);
	if (!json_object_size(mine))
		return hx_err_set(err, HX_EPERM, "not_your_item", "", "您所在的部门不负责本次创建活动的评审");
	if ((rc = put_answers(c, &a, json_object_get(body, "answers"), "review", mine, err)))
		return rc;
	json_t *cm = json_object_get(body, "comments");
	if (cm && !json_is_object(cm))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "comments", "comments应为对象");
	const char *item_id;
	json_t *v;
	json_object_foreach(cm, item_id, v) {
		if (!item_by_id(a.k.rubric, item_id))
			return hx_err_set(err, HX_EINVAL, "unknown_item", item_id, "评价标准中没有考核项目“%.20s”", item_id);
		if (!json_object_get(mine, item_id))
			return hx_err_set(err, HX_EPERM, "not_your_item", item_id, "考核项目%s不由本部门评审", item_id);
		const char *text = json_string_value(v);
		if (v && !json_is_null(v) && !text)
			return hx_err_set(err, HX_EBADREQ, "wrong_type", item_id, "评审意见应为文本");
		if (text && hx_utf8_len(text) > 2000)
			return hx_err_set(err, HX_EINVAL, "too_long", item_id, "评审意见不能超过2000字");
		long long org = c->me->org_id;
		hx_param d[] = {hx_p_int(id), hx_p_text(item_id), hx_p_int(org)};
		if ((rc = hx_db_exec(c->db, "DELETE FROM rating_comments WHERE application_id = ? AND item_id = ? AND org_id = ?",
				     d, 3, NULL, err)))
			return rc;
		if (text && *text) {
			hx_param p[] = {hx_p_int(id), hx_p_text(item_id), hx_p_int(org), hx_p_text(text), hx_p_int(c->me->user_id),
					hx_p_text(now_iso(c))};
			if ((rc = hx_db_exec(c->db,
					     "INSERT INTO rating_comments (application_id, item_id, org_id, text, user_id, updated_at)"
					     " VALUES (?, ?, ?, ?, ?, ?)",
					     p, 6, NULL, err)))
				return rc;
		}
	}
	json_t *ch = json_deep_copy(body);
	rc = hx_audit_write(c, "review", "rating_application", id, a.applicant, ch, err);
	json_decref(ch);
	if (rc)
		return rc;
	return hx_rating_application_get(out, c, id, err);
}

int hx_rating_application_metric(json_t **out, hx_ctx *c, long long id, const char *name, json_t *body,
				 hx_err *err)
{
	app a;
	int rc = app_load(&a, c, id, err);
	if (rc)
		return rc;
	if (!(perm(c, HX_PERM_RATING_MANAGE) || perm(c, HX_PERM_RATING_REVIEW)))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有评审部门或县级工作人员可以调整指标");
	const metric *M = metric_by_name(a.k.rubric, name);
	if (!M)
		return hx_err_set(err, HX_ENOTFOUND, "unknown_metric", "name", "评价标准中没有指标“%.40s”", name ? name : "");
	static const char *const allowed[] = {"value", "reason", NULL};
	const char *reason, *text = NULL;
	if ((rc = hx_json_only(body, allowed, err)) ||
	    (rc = hx_json_get_str(&reason, NULL, body, "reason", "调整理由", 1, 500, err)))
		return rc;
	json_t *v = json_object_get(body, "value");
	hx_param d[] = {hx_p_int(id), hx_p_text(name)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM rating_metrics WHERE application_id = ? AND name = ? AND source = 'override'",
			     d, 2, NULL, err)))
		return rc;
	if (v && !json_is_null(v)) {
		if ((rc = metric_text(&text, c, M, v, err)))
			return rc;
		hx_param p[] = {hx_p_int(id), hx_p_text(name), hx_p_text(text), hx_p_text(reason), hx_p_int(c->me->user_id),
				hx_p_text(now_iso(c))};
		if ((rc = hx_db_exec(c->db,
				     "INSERT INTO rating_metrics (application_id, name, source, value, reason, user_id, updated_at)"
				     " VALUES (?, ?, 'override', ?, ?, ?, ?)",
				     p, 6, NULL, err)))
			return rc;
	}
	json_t *ch = json_pack("{s:[n,s?],s:[n,s]}", name, text, "reason", reason);
	rc = hx_audit_write(c, "override", "rating_application", id, a.applicant, ch, err);
	json_decref(ch);
	if (rc)
		return rc;
	return hx_rating_application_get(out, c, id, err);
}

/* ---- evidence ---- */

int hx_rating_evidence_add(json_t **out, hx_ctx *c, long long app_id, const char *criterion_id,
			   const char *filename, const void *data, size_t len, hx_err *err)
{
	app a;
	int rc = app_load(&a, c, app_id, err);
	if (rc)
		return rc;
	if (!is_applicant(c, &a) || strcmp(a.status, "draft") != 0)
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有申报单位在提交前可以上传佐证材料");
	if (!criterion_id || hx_rubric_criterion_index(a.k.rubric, criterion_id) < 0)
		return hx_err_set(err, HX_EINVAL, "unknown_criterion", "criterion_id", "请指定佐证材料对应的评分项");
	if (!filename || !*filename || hx_utf8_len(filename) > 200 || !hx_utf8_valid(filename, strlen(filename)) ||
	    strchr(filename, '/'))
		return hx_err_set(err, HX_EINVAL, "bad_filename", "filename", "文件名无效");
	if (!len)
		return hx_err_set(err, HX_EINVAL, "empty_file", "file", "上传的文件为空");
	char sha[65];
	hx_sha256_hex(sha, data, len);
	char *b64 = hx_b64_encode(data, len);
	hx_param p[] = {hx_p_int(app_id), hx_p_text(criterion_id), hx_p_text(filename), hx_p_int((long long)len),
			hx_p_text(sha), hx_p_text(b64), hx_p_int(c->me->user_id), hx_p_text(now_iso(c))};
	long long id;
	rc = hx_db_int(c->db, &id,
		       "INSERT INTO rating_evidence (application_id, criterion_id, filename, size, sha256, data, user_id,"
		       " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		       p, 8, err);
	free(b64);
	if (rc || (rc = hx_audit_write(c, "upload", "rating_application", app_id, filename, NULL, err)))
		return rc;
	*out = json_pack("{s:I,s:s,s:s,s:I,s:s}", "id", (json_int_t)id, "criterion_id", criterion_id, "filename", filename,
			 "size", (json_int_t)len, "sha256", sha);
	return 0;
}

int hx_rating_evidence_get(char **bytes, size_t *len, const char **filename, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT application_id, filename, data FROM rating_evidence WHERE id = ?",
			     p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "文件不存在");
	app a;
	if ((rc = app_load(&a, c, hx_rows_int(r, 0, "application_id"), err)))
		return rc;
	uint8_t *b;
	if (hx_b64_decode(&b, len, hx_rows_get(r, 0, "data")))
		return hx_err_set(err, HX_EINTERNAL, "corrupt", "", "stored file is corrupt");
	*bytes = (char *)b;
	*filename = hx_rows_get(r, 0, "filename");
	return 0;
}

/* ---- the worker poll ---- */

int hx_rating_poll_issue(json_t **out, hx_ctx *c, long long app_id, long long count, hx_err *err)
{
	app a;
	int rc = app_load(&a, c, app_id, err);
	if (rc)
		return rc;
	if (!(perm(c, HX_PERM_RATING_MANAGE) || is_applicant(c, &a)))
		return hx_err_set(err, HX_EPERM, "forbidden", "", "只有县级工作人员或申报单位可以发放测评链接");
	if (strcmp(a.k.status, "open") != 0 && strcmp(a.k.status, "reviewing") != 0)
		return hx_err_set(err, HX_EINVAL, "campaign_closed", "", "活动已确认结果，不能再发放测评链接");
	if (count < 1 || count > 2000)
		return hx_err_set(err, HX_EINVAL, "out_of_range", "count", "每次可发放1到2000个链接");
	json_t *links = json_array();
	for (long long i = 0; i < count; i++) {
		char token[65], hash[65];
		hx_token(token, 24);
		hx_sha256_hex(hash, token, strlen(token));
		hx_param p[] = {hx_p_int(app_id), hx_p_text(hash), hx_p_text(now_iso(c))};
		if ((rc = hx_db_exec(c->db, "INSERT INTO rating_poll_links (application_id, token_hash, created_at) VALUES (?, ?, ?)",
				     p, 3, NULL, err))) {
			json_decref(links);
			return rc;
		}
		json_array_append_new(links, json_pack("{s:s}", "url", hx_arena_printf(c->arena, "/poll/%lld/%s", app_id, token)));
	}
	json_t *ch = json_pack("{s:[n,I]}", "poll_links", (json_int_t)count);
	rc = hx_audit_write(c, "poll_issue", "rating_application", app_id, a.applicant, ch, err);
	json_decref(ch);
	if (rc) {
		json_decref(links);
		return rc;
	}
	long long issued = 0, voted = 0;
	hx_param q[] = {hx_p_int(app_id)};
	hx_db_int(c->db, &issued, "SELECT count(*) FROM rating_poll_links WHERE application_id = ?", q, 1, err);
	hx_db_int(c->db, &voted, "SELECT count(*) FROM rating_poll_votes WHERE application_id = ?", q, 1, err);
	*out = json_pack("{s:o,s:I,s:I}", "links", links, "issued", (json_int_t)issued, "voted", (json_int_t)voted);
	return 0;
}

static int poll_link(long long *link_id, int *used, const char **applicant, hx_ctx *c, long long app_id,
		     const char *token, hx_err *err)
{
	if (!token || strlen(token) != 48)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "链接无效");
	char hash[65];
	hx_sha256_hex(hash, token, strlen(token));
	hx_rows *r;
	hx_param p[] = {hx_p_text(hash), hx_p_int(app_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT l.id, l.used, a.applicant, c.status FROM rating_poll_links l"
			     " JOIN rating_applications a ON a.id = l.application_id"
			     " JOIN rating_campaigns c ON c.id = a.campaign_id"
			     " WHERE l.token_hash = ? AND l.application_id = ?",
			     p, 2, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "链接无效");
	*link_id = hx_rows_int(r, 0, "id");
	*used = (int)hx_rows_int(r, 0, "used");
	*applicant = hx_rows_get(r, 0, "applicant");
	const char *st = hx_rows_get(r, 0, "status");
	if (strcmp(st, "open") != 0 && strcmp(st, "reviewing") != 0)
		return hx_err_set(err, HX_EINVAL, "poll_closed", "", "测评已结束");
	return 0;
}

int hx_rating_poll_info(json_t **out, hx_ctx *c, long long app_id, const char *token, hx_err *err)
{
	long long link;
	int used, rc;
	const char *applicant;
	if ((rc = poll_link(&link, &used, &applicant, c, app_id, token, err)))
		return rc;
	long long area = 0;
	hx_param p[] = {hx_p_int(app_id)};
	hx_db_int(c->db, &area, "SELECT count(*) FROM rating_applications WHERE id = ? AND area_id IS NOT NULL", p, 1, err);
	*out = json_pack("{s:s,s:s,s:b}", "applicant", applicant, "question",
			 area ? "您对本园区的劳动关系状况是否满意？" : "您对本企业的劳动关系状况是否满意？", "used", used);
	return 0;
}

int hx_rating_poll_vote(hx_ctx *c, long long app_id, const char *token, int satisfied, hx_err *err)
{
	long long link, changed = 0;
	int used, rc;
	const char *applicant;
	if ((rc = poll_link(&link, &used, &applicant, c, app_id, token, err)))
		return rc;
	/* marking the link used and counting the vote happen together; the
	 * conditional update makes a second vote fail even when two arrive at
	 * once */
	hx_param p[] = {hx_p_int(link)};
	if ((rc = hx_db_exec(c->db, "UPDATE rating_poll_links SET used = 1 WHERE id = ? AND used = 0", p, 1, &changed, err)))
		return rc;
	if (!changed)
		return hx_err_set(err, HX_ECONFLICT, "already_voted", "", "该链接已投票，每个链接只能投票一次");
	char today[11];
	hx_today(today);
	hx_param q[] = {hx_p_int(app_id), hx_p_int(satisfied), hx_p_text(today)};
	return hx_db_exec(c->db, "INSERT INTO rating_poll_votes (application_id, satisfied, voted_on) VALUES (?, ?, ?)", q, 3,
			  NULL, err);
}

/* ---- closing, confirming, publishing, results ---- */

static const char *grade_for(hx_ctx *c, const camp *k, long long total2)
{
	json_t *g = json_loads(k->grades, 0, NULL);
	const char *best = NULL;
	double best_min = -1;
	size_t i;
	json_t *v;
	json_array_foreach(g, i, v) {
		double m = json_number_value(json_object_get(v, "min"));
		if ((double)total2 / 2.0 >= m && m > best_min) {
			best_min = m;
			best = hx_arena_strdup(c->arena, json_string_value(json_object_get(v, "name")));
		}
	}
	json_decref(g);
	return best;
}

int hx_rating_campaign_step(json_t **out, hx_ctx *c, long long id, const char *action, int valid_years,
			    hx_err *err)
{
	camp k;
	int rc = camp_load(&k, c, id, err);
	if (rc)
		return rc;
	const char *from, *to;
	if (strcmp(action, "close") == 0)
		from = "open", to = "reviewing";
	else if (strcmp(action, "confirm") == 0)
		from = strcmp(k.status, "open") == 0 ? "open" : "reviewing", to = "confirmed";
	else if (strcmp(action, "publish") == 0)
		from = "confirmed", to = "published";
	else
		return hx_err_set(err, HX_EINVAL, "bad_action", "", "未知操作");
	if (strcmp(k.status, from) != 0)
		return hx_err_set(err, HX_EINVAL, "bad_status", "", "活动当前状态为%s，不能执行该操作", k.status);
	if (strcmp(action, "confirm") == 0) {
		hx_rows *r;
		hx_param p[] = {hx_p_int(id)};
		if ((rc = hx_db_query(c->db, c->arena, &r,
				      "SELECT id FROM rating_applications WHERE campaign_id = ? AND status = 'submitted'", p, 1, err)))
			return rc;
		for (int i = 0; i < r->nrows; i++) {
			app a;
			if ((rc = app_load(&a, c, atoll(hx_rows_cell(r, i, 0)), err)))
				return rc;
			hx_score *s = NULL;
			if ((rc = score_app(NULL, &s, NULL, c, &a, NULL, NULL, err)))
				return rc;
			json_t *vetoes = json_array();
			for (int v = 0; v < s->nvetoes; v++)
				json_array_append_new(vetoes, json_string(a.k.rubric->criteria[s->vetoes[v]].id));
			char *vt = json_dumps(vetoes, JSON_COMPACT);
			json_decref(vetoes);
			int passed = !s->vetoed && s->total2 >= k.pass2;
			const char *grade = passed ? grade_for(c, &k, s->total2) : NULL;
			hx_param q[] = {hx_p_int(s->total2), hx_p_int(s->vetoed), hx_p_text(vt), hx_p_int(passed), hx_p_text(grade),
					hx_p_text(now_iso(c)), hx_p_int(a.id)};
			rc = hx_db_exec(c->db,
					"UPDATE rating_applications SET status = 'confirmed', total2 = ?, vetoed = ?, vetoes = ?,"
					" passed = ?, grade = ?, confirmed_at = ? WHERE id = ?",
					q, 7, NULL, err);
			free(vt);
			hx_score_free(s);
			if (rc)
				return rc;
		}
	}
	if (strcmp(action, "publish") == 0) {
		if (valid_years < 1 || valid_years > 10)
			return hx_err_set(err, HX_EINVAL, "out_of_range", "valid_years", "有效期应为1到10年");
		char today[11], until[11], day_before[11];
		hx_today(today);
		hx_date_add_months(until, today, valid_years * 12);
		/* valid through the day before the anniversary */
		hx_date_add_days(day_before, until, -1);
		const char *title = strcmp(k.subject, "park") == 0 ? "劳动关系和谐园区" : "劳动关系和谐企业";
		hx_rows *r;
		hx_param p[] = {hx_p_int(id)};
		if ((rc = hx_db_query(c->db, c->arena, &r,
				      "SELECT id, enterprise_id, area_id, applicant, grade FROM rating_applications"
				      " WHERE campaign_id = ? AND status = 'confirmed' AND passed = 1 ORDER BY id",
				      p, 1, err)))
			return rc;
		for (int i = 0; i < r->nrows; i++) {
			const char *eid = hx_rows_get(r, i, "enterprise_id"), *aid = hx_rows_get(r, i, "area_id");
			hx_param q[] = {hx_p_int(id), hx_p_int(hx_rows_int(r, i, "id")), eid ? hx_p_int(atoll(eid)) : hx_p_null(),
					aid ? hx_p_int(atoll(aid)) : hx_p_null(), hx_p_text(hx_rows_get(r, i, "applicant")),
					hx_p_text(title), hx_p_text(hx_rows_get(r, i, "grade")), hx_p_text(today),
					hx_p_text(day_before), hx_p_text(now_iso(c))};
			if ((rc = hx_db_exec(c->db,
					     "INSERT INTO rating_honours (campaign_id, application_id, enterprise_id, area_id,"
					     " applicant, title, grade, valid_from, valid_until, created_at)"
					     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
					     q, 10, NULL, err)))
				return rc;
		}
	}
	hx_param u[] = {hx_p_text(to), hx_p_text(now_iso(c)), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE rating_campaigns SET status = ?, updated_at = ? WHERE id = ?", u, 3, NULL, err)))
		return rc;
	json_t *ch = json_pack("{s:[s,s]}", "status", k.status, to);
	rc = hx_audit_write(c, action, "rating_campaign", id, k.name, ch, err);
	json_decref(ch);
	return rc ? rc : hx_rating_campaign_get(out, c, id, err);
}

int hx_rating_campaign_results(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	camp k;
	int rc = camp_load(&k, c, id, err);
	if (rc)
		return rc;
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT id FROM rating_applications WHERE campaign_id = ? AND status <> 'draft' ORDER BY id", p, 1,
			      err)))
		return rc;
	const hx_rubric *rb = k.rubric;
	long long *sums = calloc((size_t)rb->nitems + 1, sizeof *sums);
	json_t *items = json_array();
	int n = 0;
	for (int i = 0; i < r->nrows; i++) {
		app a;
		hx_err e = {0};
		if (app_load(&a, c, atoll(hx_rows_cell(r, i, 0)), &e))
			continue;
		hx_score *s = NULL;
		if ((rc = score_app(NULL, &s, NULL, c, &a, NULL, NULL, &e))) {
			/* an application the rubric cannot score is left out;
			 * a failed statement ends the transaction */
			if (rc != HX_EDB)
				continue;
			*err = e;
			free(sums);
			json_decref(items);
			return rc;
		}
		json_t *vetoes = json_array(), *itemsc = json_array();
		for (int v = 0; v < s->nvetoes; v++)
			json_array_append_new(vetoes, json_string(rb->criteria[s->vetoes[v]].id));
		for (int t = 0; t < rb->nitems; t++) {
			sums[t] += s->item2[t];
			json_array_append_new(itemsc, json_pack("{s:s,s:o}", "item_id", rb->items[t].id, "score", pts(s->item2[t])));
		}
		n++;
		int confirmed = strcmp(a.status, "confirmed") == 0;
		long long total2 = confirmed ? a.total2 : s->total2;
		int vetoed = confirmed ? a.vetoed : s->vetoed;
		int passed = confirmed ? a.passed : (!s->vetoed && s->total2 >= k.pass2);
		const char *grade = confirmed ? a.grade : (passed ? grade_for(c, &k, s->total2) : NULL);
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:o,s:b,s:o,s:b,s:o,s:o,s:I}", "application_id",
						       (json_int_t)a.id, "applicant", a.applicant, "status", a.status, "total",
						       pts(total2), "vetoed", vetoed, "vetoes", vetoes, "passed", passed,
						       "grade", hx_json_str_or_null(grade), "items", itemsc, "total2",
						       (json_int_t)(vetoed ? -1 : total2)));
		hx_score_free(s);
	}
	/* rank: vetoed last, then by total */
	size_t cnt = json_array_size(items);
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0; j--) {
			json_t *x = json_array_get(items, j - 1), *y = json_array_get(items, j);
			if (json_integer_value(json_object_get(x, "total2")) >= json_integer_value(json_object_get(y, "total2")))
				break;
			json_incref(x);
			json_array_set(items, j - 1, y);
			json_array_set_new(items, j, x);
		}
	for (size_t i = 0; i < cnt; i++) {
		json_t *x = json_array_get(items, i);
		json_object_del(x, "total2");
		json_object_set_new(x, "rank", json_integer((json_int_t)i + 1));
	}
	json_t *avg = json_array();
	for (int t = 0; t < rb->nitems; t++)
		json_array_append_new(avg, json_pack("{s:s,s:s,s:o,s:o}", "item_id", rb->items[t].id, "title", rb->items[t].title,
						     "max", pts(rb->items[t].max2),
						     "average", n ? json_real((double)sums[t] / 2.0 / n) : json_null()));
	free(sums);
	*out = json_pack("{s:o,s:o,s:o}", "campaign", camp_json(c, &k), "items", items, "averages", avg);
	return 0;
}
