/* The registry's areas and enterprises: loading the county's areas,
 * creating, editing, listing with filters, soft deletion with history, and
 * the enterprises assigned to agencies. Every query carries the caller's
 * scope. */
#include "registry_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../core/arena.h"
#include "../core/ids.h"
#include "../core/json.h"
#include "../core/timeutil.h"

/* GB/T 4754-2017 sections. */
static const char *const INDUSTRIES[] = {
	"A", "农、林、牧、渔业", "B", "采矿业", "C", "制造业",
	"D", "电力、热力、燃气及水生产和供应业", "E", "建筑业", "F", "批发和零售业",
	"G", "交通运输、仓储和邮政业", "H", "住宿和餐饮业", "I", "信息传输、软件和信息技术服务业",
	"J", "金融业", "K", "房地产业", "L", "租赁和商务服务业", "M", "科学研究和技术服务业",
	"N", "水利、环境和公共设施管理业", "O", "居民服务、修理和其他服务业", "P", "教育",
	"Q", "卫生和社会工作", "R", "文化、体育和娱乐业", "S", "公共管理、社会保障和社会组织",
	"T", "国际组织", NULL};

const char *hx_registry_industry_name(const char *code)
{
	for (int i = 0; code && INDUSTRIES[i]; i += 2)
		if (strcmp(INDUSTRIES[i], code) == 0)
			return INDUSTRIES[i + 1];
	return NULL;
}

json_t *hx_registry_industries_json(void)
{
	json_t *a = json_array();
	for (int i = 0; INDUSTRIES[i]; i += 2)
		json_array_append_new(a, json_pack("{s:s,s:s}", "code", INDUSTRIES[i], "name", INDUSTRIES[i + 1]));
	return a;
}

static const char *const AREA_KINDS[] = {"county", "县", "street", "街道", "town", "镇",
					 "township", "乡", "park", "园区", NULL};

static const char *area_kind_name(const char *k)
{
	for (int i = 0; k && AREA_KINDS[i]; i += 2)
		if (strcmp(AREA_KINDS[i], k) == 0)
			return AREA_KINDS[i + 1];
	return NULL;
}

/* ---- scope ---- */

int hx_registry_query_too_long(hx_err *err)
{
	return hx_err_set(err, HX_ETOOBIG, "query_too_long", "", "查询条件过长");
}

int hx_registry_scope_enterprises(hx_buf *w, hx_param *p, int *np, const hx_principal *me)
{
	switch (me->scope.kind) {
	case HX_SCOPE_COUNTY:
		break;
	case HX_SCOPE_AREA:
		hx_buf_puts(w, " AND e.area_id IN (SELECT a.id FROM areas a JOIN areas s"
			       " ON a.path LIKE s.path || '%' WHERE s.id = ?)");
		p[(*np)++] = hx_p_int(me->scope.area_id);
		break;
	case HX_SCOPE_ENTERPRISE:
		hx_buf_puts(w, " AND e.id = ?");
		p[(*np)++] = hx_p_int(me->scope.enterprise_id);
		break;
	case HX_SCOPE_ORG:
		hx_buf_puts(w, " AND e.id IN (SELECT enterprise_id FROM agency_enterprises WHERE org_id = ?)");
		p[(*np)++] = hx_p_int(me->scope.org_id);
		break;
	case HX_SCOPE_SELF:
	default:
		hx_buf_puts(w, " AND e.id IN (SELECT enterprise_id FROM workers WHERE id = ?)");
		p[(*np)++] = hx_p_int(me->scope.worker_id);
		break;
	}
	return hx_buf_failed(w);
}

/* ---- areas ---- */

#define AREA_COLS \
	"a.id AS id, a.code AS code, a.name AS name, a.kind AS kind, a.parent_id AS parent_id, a.path AS path, a.former_name AS former_name," \
	" (SELECT count(*) FROM enterprises e WHERE e.area_id = a.id AND e.deleted_at IS NULL) AS enterprise_count"

static json_t *area_json(const hx_rows *r, int i)
{
	const char *pid = hx_rows_get(r, i, "parent_id");
	const char *kind = hx_rows_get(r, i, "kind");
	json_t *a = json_object();
	json_object_set_new(a, "id", json_integer(hx_rows_int(r, i, "id")));
	json_object_set_new(a, "code", hx_json_str_or_null(hx_rows_get(r, i, "code")));
	json_object_set_new(a, "name", json_string(hx_rows_get(r, i, "name")));
	json_object_set_new(a, "kind", json_string(kind));
	json_object_set_new(a, "kind_name", hx_json_str_or_null(area_kind_name(kind)));
	json_object_set_new(a, "parent_id", pid ? json_integer(atoll(pid)) : json_null());
	json_object_set_new(a, "path", json_string(hx_rows_get(r, i, "path")));
	json_object_set_new(a, "former_name", hx_json_str_or_null(hx_rows_get(r, i, "former_name")));
	json_object_set_new(a, "enterprise_count", json_integer(hx_rows_int(r, i, "enterprise_count")));
	return a;
}

int hx_registry_area_list(json_t **out, hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT " AREA_COLS " FROM areas a ORDER BY a.path",
			     NULL, 0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, area_json(r, i));
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

int hx_registry_area_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
static int area_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT " AREA_COLS " FROM areas a WHERE a.id = ?", p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "区域不存在");
	*out = area_json(r, 0);
	return 0;
}

int hx_registry_area_name(const char **name, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT name FROM areas WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "area_id", "区域不存在");
	*name = hx_rows_cell(r, 0, 0);
	return 0;
}

int hx_registry_area_by_name(long long *id, hx_ctx *c, const char *s)
{
	hx_param p[] = {hx_p_text(s), hx_p_text(s), hx_p_text(s)};
	hx_err e = {0};
	return hx_db_int(c->db, id,
			 "SELECT id FROM areas WHERE name = ? OR code = ? OR former_name = ? ORDER BY id LIMIT 1",
			 p, 3, &e);
}

static int valid_area_code(const char *s)
{
	size_t n = strlen(s);
	if (n != 6 && n != 9 && n != 12)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int insert_area(long long *id, hx_ctx *c, const char *code, const char *name, const char *kind,
		       long long parent_id, const char *former, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	const char *ppath = "/";
	if (parent_id) {
		hx_rows *r;
		hx_param q[] = {hx_p_int(parent_id)};
		int rc = hx_db_query(c->db, c->arena, &r, "SELECT path FROM areas WHERE id = ?", q, 1, err);
		if (rc)
			return rc;
		if (!r->nrows)
			return hx_err_set(err, HX_EINVAL, "invalid_parent", "parent_id", "上级区域不存在");
		ppath = hx_rows_cell(r, 0, 0);
	}
	hx_param p[] = {hx_p_text(code), hx_p_text(name), hx_p_text(kind),
			parent_id ? hx_p_int(parent_id) : hx_p_null(), hx_p_text(ppath),
			hx_p_text(former), hx_p_text(now), hx_p_text(now)};
	int rc = hx_db_int(c->db, id,
			   "INSERT INTO areas (code, name, kind, parent_id, path, former_name, created_at,"
			   " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
			   p, 8, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_area", code ? "code" : "name",
				  "区域“%s”或其代码已存在", name);
	if (rc)
		return rc;
	char *path = hx_arena_printf(c->arena, "%s%lld/", ppath, *id);
	hx_param u[] = {hx_p_text(path), hx_p_int(*id)};
	return hx_db_exec(c->db, "UPDATE areas SET path = ? WHERE id = ?", u, 2, NULL, err);
}

int hx_registry_areas_load(hx_ctx *c, const char *path, int *loaded, hx_err *err)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	int rc = 0, n = 0;
	if (!j)
		return hx_err_set(err, HX_EIO, "data", "", "%s:%d: %s", path, je.line, je.text);
	json_t *county = json_object_get(j, "county");
	const char *ccode = json_string_value(json_object_get(county, "code"));
	const char *cname = json_string_value(json_object_get(county, "name"));
	if (!ccode || !cname) {
		rc = hx_err_set(err, HX_EINVAL, "data", "", "%s: county needs code and name", path);
		goto done;
	}
	long long cid = 0;
	if (hx_registry_area_by_name(&cid, c, ccode)) {
		if ((rc = insert_area(&cid, c, ccode, cname, "county", 0, NULL, err)))
			goto done;
		n++;
	}
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(county, "areas"), i, a) {
		const char *code = json_string_value(json_object_get(a, "code"));
		const char *name = json_string_value(json_object_get(a, "name"));
		const char *kind = json_string_value(json_object_get(a, "kind"));
		const char *former = json_string_value(json_object_get(a, "former_name"));
		if (!name || !area_kind_name(kind) || strcmp(kind, "county") == 0 ||
		    (code && !valid_area_code(code))) {
			rc = hx_err_set(err, HX_EINVAL, "data", "", "%s: area %zu: bad name, kind or code", path, i);
			goto done;
		}
		long long id;
		hx_param p[] = {hx_p_text(name), hx_p_int(cid)};
		hx_err e2 = {0};
		if (hx_db_int(c->db, &id, "SELECT id FROM areas WHERE name = ? AND parent_id = ?", p, 2, &e2) == 0)
			continue;
		if ((rc = insert_area(&id, c, code, name, kind, cid, former, err)))
			goto done;
		n++;
	}
done:
	json_decref(j);
	if (loaded)
		*loaded = n;
	return rc;
}

static int area_fields(hx_ctx *c, json_t *body, int creating, const char **code, const char **name,
		       const char **kind, long long *parent, const char **former, hx_err *err)
{
	int rc, present;
	const char *s;
	if ((rc = hx_json_get_str(&s, &present, body, "name", "区域名称", creating, 50, err)))
		return rc;
	if (present)
		*name = s;
	if (json_object_get(body, "code")) {
		if ((rc = hx_json_get_str(&s, &present, body, "code", "区划代码", 0, 12, err)))
			return rc;
		if (present && !valid_area_code(s))
			return hx_err_set(err, HX_EINVAL, "invalid_code", "code", "区划代码应为6、9或12位数字");
		*code = present ? s : NULL;
	}
	if (json_object_get(body, "former_name")) {
		if ((rc = hx_json_get_str(&s, NULL, body, "former_name", "曾用名", 0, 50, err)))
			return rc;
		*former = s;
	}
	if (creating) {
		if ((rc = hx_json_get_str(&s, NULL, body, "kind", "区域类型", 1, 16, err)))
			return rc;
		if (!area_kind_name(s) || strcmp(s, "county") == 0)
			return hx_err_set(err, HX_EINVAL, "invalid_kind", "kind", "区域类型应为街道、镇、乡或园区");
		*kind = s;
		if ((rc = hx_json_get_int(parent, NULL, body, "parent_id", "上级区域", 1, 1, INT64_MAX, err)))
			return rc;
	}
	(void)c;
	return 0;
}

int hx_registry_area_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	const char *code = NULL, *name = NULL, *kind = NULL, *former = NULL;
	long long parent = 0, id;
	int rc;
	if ((rc = area_fields(c, body, 1, &code, &name, &kind, &parent, &former, err)) ||
	    (rc = insert_area(&id, c, code, name, kind, parent, former, err)) ||
	    (rc = area_get(out, c, id, err)))
		return rc;
	json_t *ch = hx_audit_diff(NULL, *out, NULL);
	rc = hx_audit_write(c, "create", "area", id, name, ch, err);
	json_decref(ch);
	return rc;
}

int hx_registry_area_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	json_t *before;
	int rc = area_get(&before, c, id, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, before);
	const char *code = json_string_value(json_object_get(before, "code"));
	const char *name = json_string_value(json_object_get(before, "name"));
	const char *former = json_string_value(json_object_get(before, "former_name"));
	if ((rc = area_fields(c, body, 0, &code, &name, NULL, NULL, &former, err)))
		return rc;
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(code), hx_p_text(name), hx_p_text(former), hx_p_text(now), hx_p_int(id)};
	rc = hx_db_exec(c->db, "UPDATE areas SET code = ?, name = ?, former_name = ?, updated_at = ? WHERE id = ?",
			p, 5, NULL, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_area", "name", "区域名称或代码已存在");
	if (rc || (rc = area_get(out, c, id, err)))
		return rc;
	json_t *ch = hx_audit_diff(before, *out, NULL);
	rc = hx_audit_write(c, "update", "area", id, name, ch, err);
	json_decref(ch);
	return rc;
}

/* ---- enterprises ---- */

#define ENT_COLS \
	"e.id AS id, e.uscc AS uscc, e.name AS name, e.legal_representative AS legal_representative, e.address AS address, e.area_id AS area_id, a.name AS area_name," \
	" e.industry AS industry, e.registered_on AS registered_on, e.employee_count AS employee_count, e.above_scale AS above_scale, e.is_company AS is_company," \
	" e.special_difficulty AS special_difficulty, e.is_sme AS is_sme, e.is_demo AS is_demo, e.created_at AS created_at, e.updated_at AS updated_at, e.deleted_at AS deleted_at"
#define ENT_FROM " FROM enterprises e JOIN areas a ON a.id = e.area_id"
/* active workers on the roster */
#define WORKER_COUNT \
	" (SELECT count(*) FROM workers x WHERE x.enterprise_id = e.id AND x.deleted_at IS NULL" \
	" AND x.leave_date IS NULL) AS worker_count"

static json_t *ent_json(hx_ctx *c, const hx_rows *r, int i)
{
	char today[11], cutoff[11];
	hx_today(today);
	hx_date_add_months(cutoff, today, -12);
	json_t *e = json_object();
	const char *ind = hx_rows_get(r, i, "industry");
	const char *reg = hx_rows_get(r, i, "registered_on");
	json_object_set_new(e, "id", json_integer(hx_rows_int(r, i, "id")));
	json_object_set_new(e, "uscc", json_string(hx_rows_get(r, i, "uscc")));
	json_object_set_new(e, "name", json_string(hx_rows_get(r, i, "name")));
	json_object_set_new(e, "legal_representative", hx_json_str_or_null(hx_rows_get(r, i, "legal_representative")));
	json_object_set_new(e, "address", hx_json_str_or_null(hx_rows_get(r, i, "address")));
	json_object_set_new(e, "area_id", json_integer(hx_rows_int(r, i, "area_id")));
	json_object_set_new(e, "area_name", json_string(hx_rows_get(r, i, "area_name")));
	json_object_set_new(e, "industry", hx_json_str_or_null(ind));
	json_object_set_new(e, "industry_name", hx_json_str_or_null(hx_registry_industry_name(ind)));
	json_object_set_new(e, "registered_on", hx_json_str_or_null(reg));
	json_object_set_new(e, "employee_count", json_integer(hx_rows_int(r, i, "employee_count")));
	json_object_set_new(e, "above_scale", json_boolean(hx_rows_int(r, i, "above_scale")));
	json_object_set_new(e, "is_company", json_boolean(hx_rows_int(r, i, "is_company")));
	json_object_set_new(e, "newly_registered", json_boolean(reg && strcmp(reg, cutoff) > 0));
	json_object_set_new(e, "special_difficulty", json_boolean(hx_rows_int(r, i, "special_difficulty")));
	json_object_set_new(e, "is_sme", json_boolean(hx_rows_int(r, i, "is_sme")));
	json_object_set_new(e, "is_demo", json_boolean(hx_rows_int(r, i, "is_demo")));
	const char *wc = hx_rows_get(r, i, "worker_count");
	if (wc)
		json_object_set_new(e, "worker_count", json_integer(atoll(wc)));
	json_object_set_new(e, "created_at", json_string(hx_rows_get(r, i, "created_at")));
	json_object_set_new(e, "updated_at", json_string(hx_rows_get(r, i, "updated_at")));
	json_object_set_new(e, "deleted_at", hx_json_str_or_null(hx_rows_get(r, i, "deleted_at")));
	(void)c;
	return e;
}

/* One enterprise in scope (deleted ones too when with_deleted). */
static int ent_get(json_t **out, hx_ctx *c, long long id, int with_deleted, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 1024);
	hx_param p[4];
	int np = 0;
	p[np++] = hx_p_int(id);
	hx_buf_puts(&w, "SELECT " ENT_COLS "," WORKER_COUNT ENT_FROM " WHERE e.id = ?");
	if (!with_deleted)
		hx_buf_puts(&w, " AND e.deleted_at IS NULL");
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	hx_rows *r;
	int rc = hx_buf_failed(&w) ? hx_registry_query_too_long(err) : hx_db_query(c->db, c->arena, &r, w.data, p, np, err);
	hx_buf_free(&w);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "企业不存在或不在您的管理范围内");
	*out = ent_json(c, r, 0);
	return 0;
}

/* The enterprise exists and is in the caller's scope; deleted ones count
 * only when with_deleted (their contracts stay readable). */
static int enterprise_scoped(hx_ctx *c, long long id, int with_deleted, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 1024);
	hx_param p[4];
	int np = 0;
	p[np++] = hx_p_int(id);
	hx_buf_puts(&w, "SELECT count(*) FROM enterprises e WHERE e.id = ?");
	if (!with_deleted)
		hx_buf_puts(&w, " AND e.deleted_at IS NULL");
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	long long n = 0;
	int rc = hx_buf_failed(&w) ? hx_registry_query_too_long(err) : hx_db_int(c->db, &n, w.data, p, np, err);
	hx_buf_free(&w);
	if (rc)
		return rc;
	if (!n)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "enterprise_id", "企业不存在或不在您的管理范围内");
	return 0;
}

int hx_registry_enterprise_visible(hx_ctx *c, long long id, hx_err *err)
{
	return enterprise_scoped(c, id, 0, err);
}

int hx_registry_enterprise_in_scope(hx_ctx *c, long long id, hx_err *err)
{
	return enterprise_scoped(c, id, 1, err);
}

int hx_registry_enterprise_name(const char **name, hx_ctx *c, long long id, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 1024);
	hx_param p[4];
	int np = 0;
	p[np++] = hx_p_int(id);
	hx_buf_puts(&w, "SELECT e.name FROM enterprises e WHERE e.id = ? AND e.deleted_at IS NULL");
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	hx_rows *r;
	int rc = hx_buf_failed(&w) ? hx_registry_query_too_long(err) : hx_db_query(c->db, c->arena, &r, w.data, p, np, err);
	hx_buf_free(&w);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "enterprise_id", "企业不存在或不在您的管理范围内");
	*name = hx_rows_cell(r, 0, 0);
	return 0;
}

int hx_registry_enterprise_by_uscc(long long *id, hx_ctx *c, const char *uscc, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 1024);
	hx_param p[4];
	int np = 0;
	p[np++] = hx_p_text(uscc);
	hx_buf_puts(&w, "SELECT e.id FROM enterprises e WHERE e.uscc = ? AND e.deleted_at IS NULL");
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	int rc = hx_buf_failed(&w) ? hx_registry_query_too_long(err) : hx_db_int(c->db, id, w.data, p, np, err);
	hx_buf_free(&w);
	if (rc == HX_ENOTFOUND)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "uscc", "统一社会信用代码为%s的企业不存在或不在您的管理范围内", uscc);
	return rc;
}

/* Validates body fields into cur (an object holding the current values, or
 * an empty one when creating). */
int hx_registry_enterprise_fields(hx_ctx *c, json_t *body, int creating, json_t *cur, hx_err *err)
{
	static const struct {
		const char *key, *label;
		size_t max;
		int required;
	} texts[] = {{"name", "企业名称", 100, 1},
		     {"legal_representative", "法定代表人", 50, 0},
		     {"address", "地址", 200, 0}};
	int rc, present;
	const char *s;
	if ((rc = hx_json_get_str(&s, &present, body, "uscc", "统一社会信用代码", creating, 18, err)) &&
	    rc != HX_EINVAL)
		return rc;
	if (rc == HX_EINVAL && strcmp(err->key, "too_long") == 0)
		return hx_uscc_check(json_string_value(json_object_get(body, "uscc")), "uscc", err);
	if (rc)
		return rc;
	if (present) {
		if ((rc = hx_uscc_check(s, "uscc", err)))
			return rc;
		json_object_set_new(cur, "uscc", json_string(s));
	}
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		if (!creating && !json_object_get(body, texts[i].key))
			continue;
		if ((rc = hx_json_get_str(&s, &present, body, texts[i].key, texts[i].label,
					  texts[i].required, texts[i].max, err)))
			return rc;
		json_object_set_new(cur, texts[i].key, hx_json_str_or_null(present ? s : NULL));
	}
	long long v;
	if ((rc = hx_json_get_int(&v, &present, body, "area_id", "所属区域", creating, 1, INT64_MAX, err)))
		return rc;
	if (present) {
		const char *an;
		if (hx_registry_area_name(&an, c, v, err))
			return hx_err_set(err, HX_EINVAL, "invalid_area", "area_id", "所属区域不存在");
		/* An area officer may only place an enterprise inside their area. */
		if (c->me->scope.kind == HX_SCOPE_AREA) {
			long long n = 0;
			hx_param p[] = {hx_p_int(v), hx_p_int(c->me->scope.area_id)};
			if ((rc = hx_db_int(c->db, &n,
					    "SELECT count(*) FROM areas a JOIN areas s ON a.path LIKE s.path || '%'"
					    " WHERE a.id = ? AND s.id = ?",
					    p, 2, err)))
				return rc;
			if (!n)
				return hx_err_set(err, HX_EINVAL, "area_out_of_scope", "area_id",
						  "只能选择您所辖的区域");
		}
		json_object_set_new(cur, "area_id", json_integer(v));
	}
	if (json_object_get(body, "industry")) {
		if ((rc = hx_json_get_str(&s, &present, body, "industry", "行业门类", 0, 1, err)) &&
		    strcmp(err->key, "too_long") != 0)
			return rc;
		if (rc || (present && !hx_registry_industry_name(s)))
			return hx_err_set(err, HX_EINVAL, "invalid_industry", "industry",
					  "行业门类应为GB/T 4754-2017的门类字母（A–T）");
		json_object_set_new(cur, "industry", hx_json_str_or_null(present ? s : NULL));
	}
	if (json_object_get(body, "registered_on")) {
		if ((rc = hx_json_get_date(&s, &present, body, "registered_on", "成立日期", 0, err)))
			return rc;
		char today[11];
		hx_today(today);
		if (present && strcmp(s, today) > 0)
			return hx_err_set(err, HX_EINVAL, "future_date", "registered_on", "成立日期不能晚于今天");
		if (present && strcmp(s, "1949-01-01") < 0)
			return hx_err_set(err, HX_EINVAL, "bad_date", "registered_on", "成立日期不正确");
		json_object_set_new(cur, "registered_on", hx_json_str_or_null(present ? s : NULL));
	}
	if ((rc = hx_json_get_int(&v, &present, body, "employee_count", "职工人数", 0, 0, 1000000, err)))
		return rc;
	if (present)
		json_object_set_new(cur, "employee_count", json_integer(v));
	static const struct {
		const char *key, *label;
	} flags[] = {{"above_scale", "规模以上"},
		     {"is_company", "公司制"},
		     {"special_difficulty", "特殊困难"},
		     {"is_sme", "中小微"}};
	for (size_t i = 0; i < 4; i++) {
		int b;
		if ((rc = hx_json_get_bool(&b, &present, body, flags[i].key, flags[i].label, 0, err)))
			return rc;
		if (present)
			json_object_set_new(cur, flags[i].key, json_boolean(b));
	}
	return 0;
}

static int b(json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int hx_registry_enterprise_insert(long long *id, hx_ctx *c, json_t *f, int demo, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(str(f, "uscc")), hx_p_text(str(f, "name")),
			hx_p_text(str(f, "legal_representative")), hx_p_text(str(f, "address")),
			hx_p_int(json_integer_value(json_object_get(f, "area_id"))),
			hx_p_text(str(f, "industry")), hx_p_text(str(f, "registered_on")),
			hx_p_int(json_integer_value(json_object_get(f, "employee_count"))),
			hx_p_int(b(f, "above_scale")), hx_p_int(b(f, "is_company")),
			hx_p_int(b(f, "special_difficulty")), hx_p_int(b(f, "is_sme")), hx_p_int(demo),
			hx_p_text(now), hx_p_text(now)};
	int rc = hx_db_int(c->db, id,
			   "INSERT INTO enterprises (uscc, name, legal_representative, address, area_id,"
			   " industry, registered_on, employee_count, above_scale, is_company,"
			   " special_difficulty, is_sme, is_demo, created_at, updated_at)"
			   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
			   p, 15, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_uscc", "uscc",
				  "统一社会信用代码%s已登记", str(f, "uscc"));
	return rc;
}

int hx_registry_enterprise_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	if (c->me->scope.kind != HX_SCOPE_COUNTY && c->me->scope.kind != HX_SCOPE_AREA)
		return hx_err_set(err, HX_EPERM, "forbidden", "", "没有权限新增企业");
	json_t *f = json_object();
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, f);
	long long id;
	int rc;
	if ((rc = hx_registry_enterprise_fields(c, body, 1, f, err)) ||
	    (rc = hx_registry_enterprise_insert(&id, c, f, 0, err)) || (rc = ent_get(out, c, id, 0, err)))
		return rc;
	static const char *const skip[] = {NULL};
	json_t *ch = hx_audit_diff(NULL, f, skip);
	rc = hx_audit_write(c, "create", "enterprise", id, str(f, "name"), ch, err);
	json_decref(ch);
	return rc;
}

int hx_registry_enterprise_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	json_t *before;
	int rc = ent_get(&before, c, id, 0, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, before);
	json_t *f = json_deep_copy(before);
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, f);
	if (c->me->scope.kind == HX_SCOPE_ENTERPRISE && json_object_get(body, "uscc") &&
	    strcmp(json_string_value(json_object_get(body, "uscc")) ?: "", str(before, "uscc")) != 0)
		return hx_err_set(err, HX_EPERM, "forbidden", "uscc", "企业用户不能修改统一社会信用代码");
	if ((rc = hx_registry_enterprise_fields(c, body, 0, f, err)))
		return rc;
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(str(f, "uscc")), hx_p_text(str(f, "name")),
			hx_p_text(str(f, "legal_representative")), hx_p_text(str(f, "address")),
			hx_p_int(json_integer_value(json_object_get(f, "area_id"))),
			hx_p_text(str(f, "industry")), hx_p_text(str(f, "registered_on")),
			hx_p_int(json_integer_value(json_object_get(f, "employee_count"))),
			hx_p_int(b(f, "above_scale")), hx_p_int(b(f, "is_company")),
			hx_p_int(b(f, "special_difficulty")), hx_p_int(b(f, "is_sme")), hx_p_text(now),
			hx_p_int(id)};
	rc = hx_db_exec(c->db,
			"UPDATE enterprises SET uscc = ?, name = ?, legal_representative = ?, address = ?,"
			" area_id = ?, industry = ?, registered_on = ?, employee_count = ?, above_scale = ?,"
			" is_company = ?, special_difficulty = ?, is_sme = ?, updated_at = ? WHERE id = ?",
			p, 14, NULL, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_uscc", "uscc", "统一社会信用代码%s已登记",
				  str(f, "uscc"));
	if (rc || (rc = ent_get(out, c, id, 0, err)))
		return rc;
	json_t *ch = hx_audit_diff(before, *out, NULL);
	json_object_del(ch, "updated_at");
	json_object_del(ch, "area_name");
	json_object_del(ch, "industry_name");
	rc = hx_audit_write(c, "update", "enterprise", id, str(*out, "name"), ch, err);
	json_decref(ch);
	return rc;
}

int hx_registry_enterprise_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	int with_deleted = hx_can(c->me, HX_PERM_REGISTRY_DELETE);
	int rc = ent_get(out, c, id, with_deleted, err);
	if (rc)
		return rc;
	json_t *h = NULL;
	if ((rc = hx_audit_history(&h, c, "enterprise", id, err))) {
		json_decref(*out);
		return rc;
	}
	json_object_set_new(*out, "history", h);
	return 0;
}

int hx_registry_enterprise_delete(hx_ctx *c, long long id, hx_err *err)
{
	json_t *before;
	int rc = ent_get(&before, c, id, 0, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, before);
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(now), hx_p_text(now), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE enterprises SET deleted_at = ?, updated_at = ? WHERE id = ?", p, 3,
			     NULL, err)))
		return rc;
	return hx_audit_write(c, "delete", "enterprise", id, str(before, "name"), NULL, err);
}

int hx_registry_enterprise_restore(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	json_t *before;
	int rc = ent_get(&before, c, id, 1, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, before);
	if (json_is_null(json_object_get(before, "deleted_at")))
		return hx_err_set(err, HX_EINVAL, "not_deleted", "", "该企业未被删除");
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(now), hx_p_int(id)};
	rc = hx_db_exec(c->db, "UPDATE enterprises SET deleted_at = NULL, updated_at = ? WHERE id = ?", p, 2,
			NULL, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_uscc", "uscc",
				  "已有其他企业使用统一社会信用代码%s，无法恢复", str(before, "uscc"));
	if (rc || (rc = ent_get(out, c, id, 0, err)))
		return rc;
	return hx_audit_write(c, "restore", "enterprise", id, str(before, "name"), NULL, err);
}

int hx_registry_enterprise_list(json_t **out, hx_ctx *c, const hx_enterprise_filter *f,
				long long page, long long page_size, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 4096);
	hx_param p[24];
	int np = 0, rc;
	char today[11], cutoff[11];
	hx_today(today);
	hx_date_add_months(cutoff, today, -12);
	hx_buf_puts(&w, f->deleted == 1 ? " WHERE e.deleted_at IS NOT NULL" : " WHERE e.deleted_at IS NULL");
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	if (f->q && *f->q) {
		char *pat = hx_store_like_pattern(c->arena, f->q);
		hx_buf_puts(&w, " AND (e.name LIKE ? ESCAPE '\\' OR e.uscc LIKE ? ESCAPE '\\')");
		p[np++] = hx_p_text(pat);
		p[np++] = hx_p_text(pat);
	}
	if (f->area_id) {
		hx_buf_puts(&w, " AND e.area_id IN (SELECT x.id FROM areas x JOIN areas s"
			       " ON x.path LIKE s.path || '%' WHERE s.id = ?)");
		p[np++] = hx_p_int(f->area_id);
	}
	if (f->industry && *f->industry) {
		hx_buf_puts(&w, " AND e.industry = ?");
		p[np++] = hx_p_text(f->industry);
	}
	static const char *const flagcol[] = {"above_scale", "is_company", "special_difficulty", "is_sme"};
	int flags[] = {f->above_scale, f->is_company, f->special_difficulty, f->is_sme};
	for (int i = 0; i < 4; i++)
		if (flags[i] >= 0) {
			hx_buf_printf(&w, " AND e.%s = ?", flagcol[i]);
			p[np++] = hx_p_int(flags[i]);
		}
	if (f->newly_registered == 1) {
		hx_buf_puts(&w, " AND e.registered_on > ?");
		p[np++] = hx_p_text(hx_arena_strdup(c->arena, cutoff));
	} else if (f->newly_registered == 0) {
		hx_buf_puts(&w, " AND (e.registered_on IS NULL OR e.registered_on <= ?)");
		p[np++] = hx_p_text(hx_arena_strdup(c->arena, cutoff));
	}
	/* sort: a fixed list of columns, never the caller's text */
	const char *order = "e.updated_at DESC, e.id DESC";
	if (f->sort && *f->sort) {
		static const struct {
			const char *key, *asc, *desc;
		} sorts[] = {
			{"name", "e.name, e.id", "e.name DESC, e.id DESC"},
			{"uscc", "e.uscc", "e.uscc DESC"},
			{"registered_on", "e.registered_on, e.id", "e.registered_on DESC, e.id DESC"},
			{"employee_count", "e.employee_count, e.id", "e.employee_count DESC, e.id DESC"},
			{"created_at", "e.id", "e.id DESC"},
			{"updated_at", "e.updated_at, e.id", "e.updated_at DESC, e.id DESC"},
		};
		int desc = f->sort[0] == '-';
		const char *k = f->sort + desc;
		size_t i;
		for (i = 0; i < sizeof sorts / sizeof sorts[0]; i++)
			if (strcmp(sorts[i].key, k) == 0) {
				order = desc ? sorts[i].desc : sorts[i].asc;
				break;
			}
		if (i == sizeof sorts / sizeof sorts[0]) {
			rc = hx_err_set(err, HX_EINVAL, "invalid_sort", "sort", "不支持按“%.30s”排序", k);
			goto done;
		}
	}
	long long total = 0;
	if (hx_buf_failed(&w)) {
		rc = hx_registry_query_too_long(err);
		goto done;
	}
	/* The total is reused while nothing changed; only county and area
	 * scopes are cached (their filters read nothing but enterprises and
	 * areas, which move the counter). */
	char *csql = hx_arena_printf(c->arena, "SELECT count(*) FROM enterprises e%s", w.data);
	if (c->me->scope.kind == HX_SCOPE_COUNTY || c->me->scope.kind == HX_SCOPE_AREA)
		rc = hx_registry_count(&total, c, 1, csql, p, np, err);
	else
		rc = hx_db_int(c->db, &total, csql, p, np, err);
	if (rc)
		goto done;
	char *sql;
	if (page_size > 0) {
		sql = hx_arena_printf(c->arena, "SELECT " ENT_COLS "," WORKER_COUNT ENT_FROM "%s ORDER BY %s LIMIT ? OFFSET ?",
				      w.data, order);
		p[np++] = hx_p_int(page_size);
		p[np++] = hx_p_int((page - 1) * page_size);
	} else
		sql = hx_arena_printf(c->arena, "SELECT " ENT_COLS ENT_FROM "%s ORDER BY %s", w.data, order);
	hx_rows *r;
	if ((rc = hx_db_query(c->db, c->arena, &r, sql, p, np, err)))
		goto done;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, ent_json(c, r, i));
	*out = json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "page",
			 (json_int_t)page, "page_size", (json_int_t)page_size);
done:
	hx_buf_free(&w);
	return rc;
}

int hx_registry_enterprise_list_text(char **out, size_t *len, hx_ctx *c,
				     const hx_enterprise_filter *f, long long page,
				     long long page_size, hx_err *err)
{
	int cacheable = (c->me->scope.kind == HX_SCOPE_COUNTY || c->me->scope.kind == HX_SCOPE_AREA) &&
			hx_db_in_read_tx(c->db);
	long long gen = 0;
	char *what = NULL;
	int rc;
	if (cacheable) {
		char today[11];
		hx_today(today);
		/* everything the answer depends on: the caller's scope, the
		 * filter, the page, and today (newly_registered) */
		what = hx_arena_printf(c->arena, "ent-list\x1f%d\x1f%lld\x1f%s\x1f%lld\x1f%s\x1f%d\x1f%d\x1f%d\x1f%d"
					      "\x1f%d\x1f%d\x1f%s\x1f%lld\x1f%lld\x1f%s",
				       (int)c->me->scope.kind, c->me->scope.area_id, f->q ? f->q : "\x1e",
				       f->area_id, f->industry ? f->industry : "\x1e", f->above_scale, f->is_company,
				       f->newly_registered, f->special_difficulty, f->is_sme, f->deleted,
				       f->sort ? f->sort : "\x1e", page, page_size, today);
		/* worker counts are in the answer: follow both counters */
		if ((rc = hx_registry_generation(&gen, c, 2, err)))
			return rc;
		if ((*out = hx_registry_cache_get(what, gen))) {
			*len = strlen(*out);
			return 0;
		}
	}
	json_t *j = NULL;
	if ((rc = hx_registry_enterprise_list(&j, c, f, page, page_size, err)))
		return rc;
	*out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!*out)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	*len = strlen(*out);
	if (cacheable)
		hx_registry_cache_put(what, gen, *out);
	return 0;
}

/* ---- agencies ---- */

int hx_registry_agency_count(long long *n, hx_ctx *c, long long org_id, hx_err *err)
{
	hx_param p[] = {hx_p_int(org_id)};
	return hx_db_int(c->db, n,
			 "SELECT count(*) FROM agency_enterprises ae JOIN enterprises e ON e.id = ae.enterprise_id"
			 " WHERE ae.org_id = ? AND e.deleted_at IS NULL",
			 p, 1, err);
}

int hx_registry_agency_enterprises(json_t **out, hx_ctx *c, long long org_id, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 2048);
	hx_param p[4];
	int np = 0;
	p[np++] = hx_p_int(org_id);
	hx_buf_puts(&w, "SELECT " ENT_COLS ENT_FROM " JOIN agency_enterprises ae ON ae.enterprise_id = e.id"
		       " WHERE ae.org_id = ? AND e.deleted_at IS NULL");
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	hx_buf_puts(&w, " ORDER BY e.name");
	hx_rows *r;
	int rc = hx_buf_failed(&w) ? hx_registry_query_too_long(err) : hx_db_query(c->db, c->arena, &r, w.data, p, np, err);
	hx_buf_free(&w);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, ent_json(c, r, i));
	*out = json_pack("{s:o,s:I}", "items", items, "total", (json_int_t)r->nrows);
	return 0;
}

int hx_registry_agency_assign(hx_ctx *c, long long org_id, json_t *ids, hx_err *err)
{
	if (!json_is_array(ids))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "enterprise_ids", "enterprise_ids应为企业编号数组");
	if (json_array_size(ids) > 10000)
		return hx_err_set(err, HX_EINVAL, "too_many", "enterprise_ids", "一次最多分配10000家企业");
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if (!json_is_integer(v))
			return hx_err_set(err, HX_EBADREQ, "wrong_type", "enterprise_ids", "enterprise_ids应为企业编号数组");
		int rc = hx_registry_enterprise_visible(c, json_integer_value(v), err);
		if (rc) {
			err->code = HX_EINVAL;
			snprintf(err->field, sizeof err->field, "enterprise_ids");
			return rc == HX_ENOTFOUND ? HX_EINVAL : rc;
		}
	}
	hx_param p[] = {hx_p_int(org_id)};
	int rc = hx_db_exec(c->db, "DELETE FROM agency_enterprises WHERE org_id = ?", p, 1, NULL, err);
	if (rc)
		return rc;
	char now[21];
	hx_now_iso(now);
	json_array_foreach(ids, i, v) {
		hx_param q[] = {hx_p_int(org_id), hx_p_int(json_integer_value(v)), hx_p_text(now)};
		rc = hx_db_exec(c->db, "INSERT INTO agency_enterprises (org_id, enterprise_id, assigned_at)"
				       " VALUES (?, ?, ?) ON CONFLICT DO NOTHING", q, 3, NULL, err);
		if (rc)
			return rc;
	}
	json_t *ch = json_pack("{s:[n,O]}", "enterprise_ids", ids);
	rc = hx_audit_write(c, "update", "organization", org_id, "分配企业", ch, err);
	json_decref(ch);
	return rc;
}

/* ---- for other modules ---- */

int hx_registry_area_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	return area_get(out, c, id, err);
}

int hx_registry_area_in_scope(hx_ctx *c, long long area_id)
{
	if (c->me->scope.kind == HX_SCOPE_COUNTY)
		return 1;
	if (c->me->scope.kind != HX_SCOPE_AREA)
		return 0;
	long long n = 0;
	hx_err e = {0};
	hx_param p[] = {hx_p_int(area_id), hx_p_int(c->me->scope.area_id)};
	if (hx_db_int(c->db, &n,
		      "SELECT count(*) FROM areas a JOIN areas s ON a.path LIKE s.path || '%' WHERE a.id = ? AND s.id = ?",
		      p, 2, &e))
		return 0;
	return n > 0;
}

int hx_registry_area_enterprise_ids(json_t **out, hx_ctx *c, long long area_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(area_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT e.id FROM enterprises e WHERE e.deleted_at IS NULL AND e.area_id IN"
			     " (SELECT a.id FROM areas a JOIN areas s ON a.path LIKE s.path || '%' WHERE s.id = ?)"
			     " ORDER BY e.id",
			     p, 1, err);
	if (rc)
		return rc;
	json_t *ids = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(ids, json_integer(atoll(hx_rows_cell(r, i, 0))));
	*out = ids;
	return 0;
}

int hx_registry_roster_stats(hx_roster_stats *out, hx_ctx *c, long long enterprise_id, hx_err *err)
{
	int rc = hx_registry_enterprise_visible(c, enterprise_id, err);
	if (rc)
		return rc;
	char today[11], y16[11], y18[11];
	hx_today(today);
	hx_date_add_months(y16, today, -16 * 12);
	hx_date_add_months(y18, today, -18 * 12);
	hx_rows *r;
	hx_param p[] = {hx_p_text(y16), hx_p_text(y16), hx_p_text(y18), hx_p_int(enterprise_id)};
	/* under 16 on the hire date: birth date later than hire date minus
	 * 16 years, compared as text on the stored dates */
	rc = hx_db_query(c->db, c->arena, &r,
			 "SELECT count(*) AS active,"
			 " sum(CASE WHEN birth_date > ? THEN 1 ELSE 0 END) AS under16_now,"
			 " sum(CASE WHEN birth_date <= ? AND birth_date > ? THEN 1 ELSE 0 END) AS minors,"
			 " sum(CASE WHEN employment_type = 'dispatched' THEN 1 ELSE 0 END) AS dispatched"
			 " FROM workers WHERE enterprise_id = ? AND deleted_at IS NULL AND leave_date IS NULL",
			 p, 4, err);
	if (rc)
		return rc;
	memset(out, 0, sizeof *out);
	out->active = hx_rows_int(r, 0, "active");
	out->under16 = hx_rows_int(r, 0, "under16_now");
	out->minors = hx_rows_int(r, 0, "minors");
	out->dispatched = hx_rows_int(r, 0, "dispatched");
	/* and those hired before they were 16 */
	hx_rows *h;
	hx_param q[] = {hx_p_int(enterprise_id)};
	if ((rc = hx_db_query(c->db, c->arena, &h,
			      "SELECT birth_date, hire_date FROM workers WHERE enterprise_id = ? AND deleted_at IS NULL"
			      " AND leave_date IS NULL",
			      q, 1, err)))
		return rc;
	for (int i = 0; i < h->nrows; i++) {
		const char *b = hx_rows_cell(h, i, 0), *hd = hx_rows_cell(h, i, 1);
		if (hx_age_on(b, hd) < 16 && strcmp(b, y16) <= 0)
			out->under16++;
	}
	return 0;
}
