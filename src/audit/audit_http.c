/* HTTP handlers of the operation log: search and export (county admins). */
#include "audit.h"

#include <stdint.h>

#include "../core/timeutil.h"
#include "../http/http.h"

static int read_filter(hx_req *r, hx_audit_filter *f, hx_err *err)
{
	int rc;
	f->q = hx_req_query(r, "q");
	f->action = hx_req_query(r, "action");
	f->object_type = hx_req_query(r, "object_type");
	f->from = hx_req_query(r, "from");
	f->to = hx_req_query(r, "to");
	if ((rc = hx_req_query_int(r, "actor_id", 0, 0, INT64_MAX, &f->actor_id, err)) ||
	    (rc = hx_req_query_int(r, "object_id", 0, 0, INT64_MAX, &f->object_id, err)))
		return rc;
	if (f->from && *f->from && hx_date_parse(f->from, NULL, NULL, NULL) != 0)
		return hx_err_set(err, HX_EINVAL, "bad_date", "from", "开始日期应为YYYY-MM-DD");
	if (f->to && *f->to && hx_date_parse(f->to, NULL, NULL, NULL) != 0)
		return hx_err_set(err, HX_EINVAL, "bad_date", "to", "结束日期应为YYYY-MM-DD");
	return 0;
}

static int h_list(hx_req *r)
{
	hx_err err = {0};
	hx_audit_filter f = {0};
	long long page, size;
	json_t *out = NULL;
	int rc;
	if ((rc = read_filter(r, &f, &err)) ||
	    (rc = hx_req_query_int(r, "page", 1, 1, 1000000, &page, &err)) ||
	    (rc = hx_req_query_int(r, "page_size", 20, 1, 100, &size, &err)) ||
	    (rc = hx_audit_list(&out, &r->ctx, &f, page, size, &err)))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static const char *const ACTIONS[] = {"create", "新增", "update", "修改", "delete", "删除",
				      "restore", "恢复", "import", "导入", "login", "登录",
				      "login_failed", "登录失败", "logout", "退出", "password_change",
				      "修改密码", "password_reset", "重置密码", "export", "导出", NULL};

static int h_export(hx_req *r)
{
	hx_err err = {0};
	hx_audit_filter f = {0};
	json_t *out = NULL;
	int rc;
	if ((rc = read_filter(r, &f, &err)) || (rc = hx_audit_list(&out, &r->ctx, &f, 1, 0, &err)))
		return hx_req_fail(r, &err);
	static const hx_xlsx_col cols[] = {
		{"id", "序号", 1, NULL},         {"at", "时间（UTC）", 0, NULL},
		{"actor_name", "操作人", 0, NULL}, {"ip", "地址", 0, NULL},
		{"action", "操作", 0, ACTIONS},  {"object_type", "对象类型", 0, NULL},
		{"object_id", "对象编号", 1, NULL}, {"object_label", "对象", 0, NULL},
		{"changes", "变更内容", 0, NULL},
	};
	hx_audit_write(&r->ctx, "export", "audit_log", 0, "操作日志", NULL, &err);
	rc = hx_req_xlsx(r, "操作日志.xlsx", "操作日志", cols, sizeof cols / sizeof cols[0],
			 json_object_get(out, "items"));
	json_decref(out);
	return rc;
}

void hx_audit_http_register(hx_server *s)
{
	static const hx_route routes[] = {
		{"GET", "/api/v1/audit", h_list, 0, HX_PERM_AUDIT_READ},
		{"GET", "/api/v1/audit/export.xlsx", h_export, 0, HX_PERM_AUDIT_READ},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
