/* HTTP handlers of accounts: session (login, logout, who am I, password),
 * users, roles and organizations. */
#include "account.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../audit/audit.h"
#include "../http/http.h"
#include "../registry/registry.h"

static void session_cookie(hx_req *r, const char *token, int max_age)
{
	const hx_server_config *cfg = hx_server_cfg(r->srv);
	r->set_cookie = hx_arena_printf(r->ctx.arena,
					"hexie_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
					token, max_age, cfg->secure_cookie ? "; Secure" : "");
}

static json_t *session_json(hx_req *r, const hx_principal *p)
{
	json_t *u = hx_account_principal_json(&r->ctx, p);
	return json_pack("{s:o, s:s}", "user", u, "csrf_token", p->csrf);
}

static int h_login(hx_req *r)
{
	static const char *const allowed[] = {"username", "password", NULL};
	json_t *b;
	hx_err err = {0};
	const char *user, *pw;
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&user, NULL, b, "username", "用户名", 1, 64, &err) ||
	    hx_json_get_str(&pw, NULL, b, "password", "密码", 1, 256, &err))
		return hx_req_fail(r, &err);
	char token[65];
	if (hx_account_login(&r->me, token, &r->ctx, user, pw, &err)) {
		/* keep the failure count and the log entry */
		r->commit_anyway = err.code == HX_EAUTH;
		return hx_req_fail(r, &err);
	}
	r->ctx.me = &r->me;
	session_cookie(r, token, hx_server_cfg(r->srv)->session_max);
	return hx_req_json(r, 200, session_json(r, &r->me));
}

static int h_whoami(hx_req *r)
{
	return hx_req_json(r, 200, session_json(r, &r->me));
}

static int h_logout(hx_req *r)
{
	hx_err err = {0};
	if (hx_account_logout(&r->ctx, r->me.session_id, &err))
		return hx_req_fail(r, &err);
	session_cookie(r, "", 0);
	r->status = 204;
	return 0;
}

static int h_password(hx_req *r)
{
	static const char *const allowed[] = {"old_password", "new_password", NULL};
	json_t *b;
	hx_err err = {0};
	const char *o, *n;
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&o, NULL, b, "old_password", "原密码", 1, 256, &err) ||
	    hx_json_get_str(&n, NULL, b, "new_password", "新密码", 1, 256, &err) ||
	    hx_account_password_change(&r->ctx, o, n, &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

static int h_roles(hx_req *r)
{
	size_t n;
	const hx_role *roles = hx_account_roles(&n);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *perms = json_array();
		for (unsigned b = 1; b < HX_PERM_ALL; b <<= 1)
			if (roles[i].perms & b)
				json_array_append_new(perms, json_string(hx_account_perm_key(b)));
		json_t *ok = json_array();
		for (int k = 0; roles[i].org_kinds && roles[i].org_kinds[k]; k++)
			json_array_append_new(ok, json_string(roles[i].org_kinds[k]));
		json_array_append_new(items,
				      json_pack("{s:s,s:s,s:s,s:o,s:b,s:o}", "key", roles[i].key, "name", roles[i].name,
						"scope_kind", hx_account_scope_kind_key(roles[i].scope_kind),
						"permissions", perms, "area_optional", roles[i].area_optional,
						"org_kinds", ok));
	}
	return hx_req_json(r, 200, json_pack("{s:o}", "items", items));
}

static const char *const USER_FIELDS[] = {"username", "display_name", "password", "role", "org_id",
					  "area_id", "enterprise_id", "worker_id", "phone", "disabled",
					  NULL};

static int h_users(hx_req *r)
{
	hx_err err = {0};
	long long page, size, org;
	json_t *out;
	if (hx_req_query_int(r, "page", 1, 1, 1000000, &page, &err) ||
	    hx_req_query_int(r, "page_size", 20, 1, 100, &size, &err) ||
	    hx_req_query_int(r, "org_id", 0, 0, INT64_MAX, &org, &err) ||
	    hx_account_user_list(&out, &r->ctx, hx_req_query(r, "q"), hx_req_query(r, "role"), org, page,
				 size, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_user_create(hx_req *r)
{
	json_t *b, *out;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, USER_FIELDS))
		return 0;
	if (json_object_get(b, "disabled"))
		return hx_req_fail(r, (hx_err[]){{HX_EBADREQ, "unknown_field", "disabled", "新建用户时不能设置停用"}});
	if (hx_account_user_create(&out, &r->ctx, b, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 201, out);
}

static int h_user_get(hx_req *r)
{
	json_t *out;
	hx_err err = {0};
	if (hx_account_user_get(&out, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_user_update(hx_req *r)
{
	static const char *const allowed[] = {"display_name", "role", "org_id", "area_id",
					      "enterprise_id", "worker_id", "phone", "disabled", NULL};
	json_t *b, *out;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_account_user_update(&out, &r->ctx, hx_req_param_id(r, 0), b, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_user_reset(hx_req *r)
{
	hx_err err = {0};
	char pw[17];
	long long id = hx_req_param_id(r, 0);
	if (id == r->me.user_id)
		return hx_req_fail(r, (hx_err[]){{HX_EINVAL, "self_reset", "", "请通过“修改密码”修改自己的密码"}});
	if (hx_account_user_set_password(&r->ctx, id, NULL, 1, pw, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, json_pack("{s:s}", "password", pw));
}

static int h_users_export(hx_req *r)
{
	hx_err err = {0};
	long long org;
	json_t *out;
	if (hx_req_query_int(r, "org_id", 0, 0, INT64_MAX, &org, &err) ||
	    hx_account_user_list(&out, &r->ctx, hx_req_query(r, "q"), hx_req_query(r, "role"), org, 1,
				 1000000, &err))
		return hx_req_fail(r, &err);
	static const hx_xlsx_col cols[] = {
		{"id", "编号", 1, NULL},           {"username", "用户名", 0, NULL},
		{"display_name", "姓名", 0, NULL},  {"role_name", "角色", 0, NULL},
		{"org_name", "所属机构", 0, NULL},   {"phone", "电话", 0, NULL},
		{"disabled", "已停用", 0, NULL},     {"created_at", "创建时间（UTC）", 0, NULL},
		{"last_login_at", "最近登录（UTC）", 0, NULL},
	};
	hx_audit_write(&r->ctx, "export", "user", 0, "用户列表", NULL, &err);
	int rc = hx_req_xlsx(r, "用户列表.xlsx", "用户", cols, sizeof cols / sizeof cols[0],
			     json_object_get(out, "items"));
	json_decref(out);
	return rc;
}

static int h_orgs_export(hx_req *r)
{
	json_t *out;
	hx_err err = {0};
	if (hx_account_org_list(&out, &r->ctx, &err))
		return hx_req_fail(r, &err);
	static const hx_xlsx_col cols[] = {
		{"id", "编号", 1, NULL},         {"name", "机构名称", 0, NULL},
		{"kind_name", "类型", 0, NULL},  {"contact", "联系人", 0, NULL},
		{"phone", "联系电话", 0, NULL},   {"user_count", "用户数", 1, NULL},
		{"enterprise_count", "负责企业数", 1, NULL},
	};
	int rc = hx_req_xlsx(r, "机构列表.xlsx", "机构", cols, sizeof cols / sizeof cols[0],
			     json_object_get(out, "items"));
	json_decref(out);
	return rc;
}

static const char *const ORG_FIELDS[] = {"name", "kind", "area_id", "contact", "phone", NULL};

static int h_orgs(hx_req *r)
{
	json_t *out;
	hx_err err = {0};
	if (hx_account_org_list(&out, &r->ctx, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_org_create(hx_req *r)
{
	json_t *b, *out;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, ORG_FIELDS))
		return 0;
	if (hx_account_org_create(&out, &r->ctx, b, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 201, out);
}

static int h_org_get(hx_req *r)
{
	json_t *out;
	hx_err err = {0};
	if (hx_account_org_get(&out, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_org_update(hx_req *r)
{
	json_t *b, *out;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, ORG_FIELDS))
		return 0;
	if (hx_account_org_update(&out, &r->ctx, hx_req_param_id(r, 0), b, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_org_enterprises(hx_req *r)
{
	json_t *out, *org;
	hx_err err = {0};
	long long id = hx_req_param_id(r, 0);
	if (hx_account_org_get(&org, &r->ctx, id, &err) ||
	    hx_registry_agency_enterprises(&out, &r->ctx, id, &err))
		return hx_req_fail(r, &err);
	json_decref(org);
	return hx_req_json(r, 200, out);
}

static int h_org_assign(hx_req *r)
{
	static const char *const allowed[] = {"enterprise_ids", NULL};
	json_t *b, *out, *org;
	hx_err err = {0};
	long long id = hx_req_param_id(r, 0);
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_account_org_get(&org, &r->ctx, id, &err))
		return hx_req_fail(r, &err);
	const char *kind = json_string_value(json_object_get(org, "kind"));
	int ok = strcmp(kind, "agency") == 0 || strcmp(kind, "task_force") == 0;
	json_decref(org);
	if (!ok)
		return hx_req_fail(r, (hx_err[]){{HX_EINVAL, "not_agency", "enterprise_ids",
						  "只能为第三方服务机构或专班分配企业"}});
	if (hx_registry_agency_assign(&r->ctx, id, json_object_get(b, "enterprise_ids"), &err) ||
	    hx_registry_agency_enterprises(&out, &r->ctx, id, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

void hx_account_http_register(hx_server *s)
{
	static const hx_route routes[] = {
		{"POST", "/api/v1/session", h_login, HX_ROUTE_PUBLIC | HX_ROUTE_NO_CSRF, 0},
		/* what a one-time password opens: who am I, logging out, the change */
		{"GET", "/api/v1/session", h_whoami, HX_ROUTE_PW_CHANGE, 0},
		{"DELETE", "/api/v1/session", h_logout, HX_ROUTE_PW_CHANGE, 0},
		{"POST", "/api/v1/session/password", h_password, HX_ROUTE_PW_CHANGE, 0},
		{"GET", "/api/v1/roles", h_roles, 0, 0},
		{"GET", "/api/v1/users", h_users, 0, HX_PERM_USERS_MANAGE},
		{"POST", "/api/v1/users", h_user_create, 0, HX_PERM_USERS_MANAGE},
		{"GET", "/api/v1/users/export.xlsx", h_users_export, 0, HX_PERM_USERS_MANAGE},
		{"GET", "/api/v1/organizations/export.xlsx", h_orgs_export, 0, HX_PERM_REGISTRY_READ},
		{"GET", "/api/v1/users/:id", h_user_get, 0, HX_PERM_USERS_MANAGE},
		{"PATCH", "/api/v1/users/:id", h_user_update, 0, HX_PERM_USERS_MANAGE},
		{"POST", "/api/v1/users/:id/reset-password", h_user_reset, 0, HX_PERM_USERS_MANAGE},
		{"GET", "/api/v1/organizations", h_orgs, 0, HX_PERM_REGISTRY_READ},
		{"POST", "/api/v1/organizations", h_org_create, 0, HX_PERM_ORGS_MANAGE},
		{"GET", "/api/v1/organizations/:id", h_org_get, 0, HX_PERM_REGISTRY_READ},
		{"PATCH", "/api/v1/organizations/:id", h_org_update, 0, HX_PERM_ORGS_MANAGE},
		{"GET", "/api/v1/organizations/:id/enterprises", h_org_enterprises, 0, HX_PERM_REGISTRY_READ},
		{"PUT", "/api/v1/organizations/:id/enterprises", h_org_assign, 0, HX_PERM_ORGS_MANAGE},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
