/* HTTP handlers of the registry: areas, enterprises, workers, imports,
 * exports and templates. */
#include "registry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../http/http.h"

static int reply(hx_req *r, int rc, hx_err *err, int status, json_t *out)
{
	if (rc)
		return hx_req_fail(r, err);
	return hx_req_json(r, status, out);
}

/* ---- areas ---- */

static int h_areas(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_registry_area_list(&out, &r->ctx, &err);
	return reply(r, rc, &err, 200, out);
}

static const char *const AREA_FIELDS[] = {"code", "name", "kind", "parent_id", "former_name", NULL};

static int h_area_create(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, AREA_FIELDS))
		return 0;
	int rc = hx_registry_area_create(&out, &r->ctx, b, &err);
	return reply(r, rc, &err, 201, out);
}

static int h_area_update(hx_req *r)
{
	static const char *const allowed[] = {"code", "name", "former_name", NULL};
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	int rc = hx_registry_area_update(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_areas_export(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	if (hx_registry_area_list(&out, &r->ctx, &err))
		return hx_req_fail(r, &err);
	static const hx_xlsx_col cols[] = {
		{"code", "区划代码", 0, NULL},    {"name", "名称", 0, NULL},
		{"kind_name", "类型", 0, NULL},   {"former_name", "曾用名", 0, NULL},
		{"enterprise_count", "企业数", 1, NULL},
	};
	int rc = hx_req_xlsx(r, "区域.xlsx", "区域", cols, sizeof cols / sizeof cols[0],
			     json_object_get(out, "items"));
	json_decref(out);
	return rc;
}

/* ---- enterprises ---- */

static const char *const ENT_FIELDS[] = {"uscc", "name", "legal_representative", "address", "area_id",
					 "industry", "registered_on", "employee_count", "above_scale",
					 "is_company", "special_difficulty", "is_sme", NULL};

static int ent_filter(hx_req *r, hx_enterprise_filter *f, hx_err *err)
{
	int rc, del;
	memset(f, 0, sizeof *f);
	f->q = hx_req_query(r, "q");
	f->industry = hx_req_query(r, "industry");
	f->sort = hx_req_query(r, "sort");
	if (f->q && strlen(f->q) > 200)
		return hx_err_set(err, HX_EINVAL, "too_long", "q", "搜索内容过长");
	if ((rc = hx_req_query_int(r, "area_id", 0, 0, INT64_MAX, &f->area_id, err)) ||
	    (rc = hx_req_query_flag(r, "above_scale", &f->above_scale, err)) ||
	    (rc = hx_req_query_flag(r, "is_company", &f->is_company, err)) ||
	    (rc = hx_req_query_flag(r, "newly_registered", &f->newly_registered, err)) ||
	    (rc = hx_req_query_flag(r, "special_difficulty", &f->special_difficulty, err)) ||
	    (rc = hx_req_query_flag(r, "is_sme", &f->is_sme, err)) ||
	    (rc = hx_req_query_flag(r, "deleted", &del, err)))
		return rc;
	f->deleted = del == 1;
	if (f->deleted && !hx_can(&r->me, HX_PERM_REGISTRY_DELETE))
		return hx_err_set(err, HX_EPERM, "forbidden", "deleted", "没有权限查看已删除的企业");
	return 0;
}

static int h_ents(hx_req *r)
{
	hx_enterprise_filter f;
	hx_err err = {0};
	long long page, size;
	json_t *out = NULL;
	int rc;
	if ((rc = ent_filter(r, &f, &err)) || (rc = hx_req_query_int(r, "page", 1, 1, 1000000, &page, &err)) ||
	    (rc = hx_req_query_int(r, "page_size", 20, 1, 100, &size, &err)))
		return hx_req_fail(r, &err);
	char *text = NULL;
	size_t len = 0;
	(void)out;
	if ((rc = hx_registry_enterprise_list_text(&text, &len, &r->ctx, &f, page, size, &err)))
		return hx_req_fail(r, &err);
	return hx_req_file(r, text, len, "application/json; charset=utf-8", NULL);
}

static int h_ent_create(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, ENT_FIELDS))
		return 0;
	int rc = hx_registry_enterprise_create(&out, &r->ctx, b, &err);
	return reply(r, rc, &err, 201, out);
}

static int h_ent_get(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_registry_enterprise_get(&out, &r->ctx, hx_req_param_id(r, 0), &err);
	return reply(r, rc, &err, 200, out);
}

static int h_ent_update(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, ENT_FIELDS))
		return 0;
	int rc = hx_registry_enterprise_update(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_ent_delete(hx_req *r)
{
	hx_err err = {0};
	if (hx_registry_enterprise_delete(&r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

static int h_ent_restore(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_registry_enterprise_restore(&out, &r->ctx, hx_req_param_id(r, 0), &err);
	return reply(r, rc, &err, 200, out);
}

static const char *const INDUSTRY_MAP[] = {NULL};

static int h_ent_export(hx_req *r)
{
	hx_enterprise_filter f;
	hx_err err = {0};
	json_t *out = NULL;
	if (ent_filter(r, &f, &err) || hx_registry_enterprise_list(&out, &r->ctx, &f, 1, 0, &err))
		return hx_req_fail(r, &err);
	static const hx_xlsx_col cols[] = {
		{"uscc", "统一社会信用代码", 0, NULL}, {"name", "企业名称", 0, NULL},
		{"legal_representative", "法定代表人", 0, NULL}, {"address", "地址", 0, NULL},
		{"area_name", "所属区域", 0, NULL}, {"industry", "行业门类", 0, NULL},
		{"industry_name", "行业名称", 0, NULL}, {"registered_on", "成立日期", 0, NULL},
		{"employee_count", "职工人数", 1, NULL}, {"above_scale", "规模以上", 0, NULL},
		{"is_company", "公司制", 0, NULL}, {"newly_registered", "新注册", 0, NULL},
		{"special_difficulty", "特殊困难", 0, NULL}, {"is_sme", "中小微", 0, NULL},
		{"is_demo", "示例数据", 0, NULL},
	};
	(void)INDUSTRY_MAP;
	json_t *ch = json_pack("{s:[n,I]}", "rows", (json_int_t)json_array_size(json_object_get(out, "items")));
	hx_audit_write(&r->ctx, "export", "enterprise", 0, "企业名录", ch, &err);
	json_decref(ch);
	int rc = hx_req_xlsx(r, "企业名录.xlsx", "企业名录", cols, sizeof cols / sizeof cols[0],
			     json_object_get(out, "items"));
	json_decref(out);
	return rc;
}

static int h_template(hx_req *r, const char *kind, const char *filename)
{
	hx_err err = {0};
	char *bytes = NULL;
	size_t len = 0;
	if (hx_registry_import_template(&bytes, &len, kind, &err))
		return hx_req_fail(r, &err);
	return hx_req_file(r, bytes, len, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			   filename);
}

static int h_ent_template(hx_req *r)
{
	return h_template(r, "enterprises", "企业导入模板.xlsx");
}

static int h_worker_template(hx_req *r)
{
	return h_template(r, "workers", "职工名册导入模板.xlsx");
}

/* ---- workers ---- */

static const char *const WORKER_FIELDS[] = {"enterprise_id", "name", "id_number", "phone", "hire_date",
					    "job", "employment_type", "leave_date", "paper_contract_start",
					    "paper_contract_end", NULL};

static int worker_filter(hx_req *r, hx_worker_filter *f, hx_err *err)
{
	memset(f, 0, sizeof *f);
	f->q = hx_req_query(r, "q");
	f->employment_type = hx_req_query(r, "employment_type");
	f->sort = hx_req_query(r, "sort");
	if (f->q && strlen(f->q) > 200)
		return hx_err_set(err, HX_EINVAL, "too_long", "q", "搜索内容过长");
	int rc;
	if ((rc = hx_req_query_int(r, "enterprise_id", 0, 0, INT64_MAX, &f->enterprise_id, err)) ||
	    (rc = hx_req_query_flag(r, "active", &f->active, err)))
		return rc;
	return 0;
}

static int h_workers(hx_req *r)
{
	hx_worker_filter f;
	hx_err err = {0};
	long long page, size;
	json_t *out = NULL;
	int rc;
	if ((rc = worker_filter(r, &f, &err)) || (rc = hx_req_query_int(r, "page", 1, 1, 1000000, &page, &err)) ||
	    (rc = hx_req_query_int(r, "page_size", 20, 1, 100, &size, &err)))
		return hx_req_fail(r, &err);
	rc = hx_registry_worker_list(&out, &r->ctx, &f, page, size, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_worker_create(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, WORKER_FIELDS))
		return 0;
	int rc = hx_registry_worker_create(&out, &r->ctx, b, &err);
	return reply(r, rc, &err, 201, out);
}

static int h_worker_get(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_registry_worker_get(&out, &r->ctx, hx_req_param_id(r, 0), &err);
	return reply(r, rc, &err, 200, out);
}

static int h_worker_update(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, WORKER_FIELDS))
		return 0;
	int rc = hx_registry_worker_update(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_worker_delete(hx_req *r)
{
	hx_err err = {0};
	if (hx_registry_worker_delete(&r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

static int h_worker_export(hx_req *r)
{
	hx_worker_filter f;
	hx_err err = {0};
	json_t *out = NULL;
	if (worker_filter(r, &f, &err) || hx_registry_worker_list(&out, &r->ctx, &f, 1, 0, &err))
		return hx_req_fail(r, &err);
	static const char *const SEX[] = {"M", "男", "F", "女", NULL};
	static const hx_xlsx_col cols[] = {
		{"enterprise_name", "所属企业", 0, NULL}, {"name", "姓名", 0, NULL},
		{"id_number", "身份证号码", 0, NULL},     {"sex", "性别", 0, SEX},
		{"birth_date", "出生日期", 0, NULL},      {"phone", "手机号码", 0, NULL},
		{"hire_date", "入职日期", 0, NULL},       {"job", "岗位", 0, NULL},
		{"employment_type_name", "用工形式", 0, NULL}, {"leave_date", "离职日期", 0, NULL},
		{"paper_contract_start", "纸质合同起始日期", 0, NULL}, {"paper_contract_end", "纸质合同终止日期", 0, NULL},
		{"is_demo", "示例数据", 0, NULL},
	};
	json_t *ch = json_pack("{s:[n,I]}", "rows", (json_int_t)json_array_size(json_object_get(out, "items")));
	hx_audit_write(&r->ctx, "export", "worker", f.enterprise_id, "职工名册", ch, &err);
	json_decref(ch);
	int rc = hx_req_xlsx(r, "职工名册.xlsx", "职工名册", cols, sizeof cols / sizeof cols[0],
			     json_object_get(out, "items"));
	json_decref(out);
	return rc;
}

/* ---- imports ---- */

static int h_import_create(hx_req *r)
{
	hx_err err = {0};
	long long ent = 0;
	json_t *out = NULL;
	if (hx_req_query_int(r, "enterprise_id", 0, 0, INT64_MAX, &ent, &err))
		return hx_req_fail(r, &err);
	int rc = hx_registry_import_create(&out, &r->ctx, hx_req_query(r, "kind"), ent, hx_req_query(r, "filename"),
					   r->body, r->body_len, &err);
	return reply(r, rc, &err, 202, out);
}

static int h_import_get(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_registry_import_get(&out, &r->ctx, hx_req_param_id(r, 0), &err);
	return reply(r, rc, &err, 200, out);
}

static int h_imports(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_registry_import_list(&out, &r->ctx, &err);
	return reply(r, rc, &err, 200, out);
}

void hx_registry_http_register(hx_server *s)
{
	static const hx_route routes[] = {
		{"GET", "/api/v1/areas", h_areas, 0, 0},
		{"GET", "/api/v1/areas/export.xlsx", h_areas_export, 0, 0},
		{"POST", "/api/v1/areas", h_area_create, 0, HX_PERM_AREAS_MANAGE},
		{"PATCH", "/api/v1/areas/:id", h_area_update, 0, HX_PERM_AREAS_MANAGE},
		{"GET", "/api/v1/enterprises", h_ents, 0, HX_PERM_REGISTRY_READ},
		{"POST", "/api/v1/enterprises", h_ent_create, 0, HX_PERM_REGISTRY_WRITE},
		{"GET", "/api/v1/enterprises/export.xlsx", h_ent_export, 0, HX_PERM_REGISTRY_READ},
		{"GET", "/api/v1/enterprises/template.xlsx", h_ent_template, 0, 0},
		{"GET", "/api/v1/enterprises/:id", h_ent_get, 0, HX_PERM_REGISTRY_READ},
		{"PATCH", "/api/v1/enterprises/:id", h_ent_update, 0, HX_PERM_REGISTRY_WRITE},
		{"DELETE", "/api/v1/enterprises/:id", h_ent_delete, 0, HX_PERM_REGISTRY_DELETE},
		{"POST", "/api/v1/enterprises/:id/restore", h_ent_restore, 0, HX_PERM_REGISTRY_DELETE},
		{"GET", "/api/v1/workers", h_workers, 0, HX_PERM_REGISTRY_READ},
		{"POST", "/api/v1/workers", h_worker_create, 0, HX_PERM_REGISTRY_WRITE},
		{"GET", "/api/v1/workers/export.xlsx", h_worker_export, 0, HX_PERM_REGISTRY_READ},
		{"GET", "/api/v1/workers/template.xlsx", h_worker_template, 0, 0},
		{"GET", "/api/v1/workers/:id", h_worker_get, 0, HX_PERM_REGISTRY_READ},
		{"PATCH", "/api/v1/workers/:id", h_worker_update, 0, HX_PERM_REGISTRY_WRITE},
		{"DELETE", "/api/v1/workers/:id", h_worker_delete, 0, HX_PERM_REGISTRY_WRITE},
		{"POST", "/api/v1/imports", h_import_create, HX_ROUTE_UPLOAD, HX_PERM_IMPORT},
		{"GET", "/api/v1/imports", h_imports, 0, HX_PERM_IMPORT},
		{"GET", "/api/v1/imports/:id", h_import_get, 0, HX_PERM_IMPORT},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
