/* HTTP handlers of the health checks (/api/v1/checkup/…). */
#include "checkup.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../http/http.h"

static int reply(hx_req *r, int rc, hx_err *err, int status, json_t *out)
{
	if (rc)
		return hx_req_fail(r, err);
	return hx_req_json(r, status, out);
}

static long long year_of(hx_req *r, hx_err *err, int *bad)
{
	long long y = 0;
	*bad = hx_req_query_int(r, "year", 0, 0, 2100, &y, err) != 0;
	return y;
}

static int h_checklist(hx_req *r)
{
	const hx_checklist *l = hx_checkup_checklist();
	if (!l)
		return hx_req_fail(r, (hx_err[]){{HX_ENOTFOUND, "no_checklist", "", "没有体检清单"}});
	return hx_req_json(r, 200, hx_checklist_json(l));
}

static int h_targets(hx_req *r)
{
	hx_err err = {0};
	int bad;
	long long y = year_of(r, &err, &bad);
	json_t *out = NULL;
	if (bad || !y)
		return hx_req_fail(r, bad ? &err : (hx_err[]){{HX_EINVAL, "required", "year", "请指定年度"}});
	int rc = hx_checkup_targets_list(&out, &r->ctx, y, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_targets_generate(hx_req *r)
{
	static const char *const allowed[] = {"year", NULL};
	json_t *b, *out = NULL;
	hx_err err = {0};
	long long y;
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_int(&y, NULL, b, "year", "年度", 1, 2000, 2100, &err))
		return hx_req_fail(r, &err);
	int rc = hx_checkup_targets_generate(&out, &r->ctx, y, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_targets_fix(hx_req *r)
{
	static const char *const allowed[] = {"year", NULL};
	json_t *b, *out = NULL;
	hx_err err = {0};
	long long y;
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_int(&y, NULL, b, "year", "年度", 1, 2000, 2100, &err))
		return hx_req_fail(r, &err);
	int rc = hx_checkup_targets_fix(&out, &r->ctx, y, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_target_update(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_checkup_target_update(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_contracts(hx_req *r)
{
	hx_err err = {0};
	int bad;
	long long y = year_of(r, &err, &bad);
	json_t *out = NULL;
	if (bad)
		return hx_req_fail(r, &err);
	int rc = hx_checkup_contract_list(&out, &r->ctx, y, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_contract_create(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_checkup_contract_create(&out, &r->ctx, b, &err);
	return reply(r, rc, &err, 201, out);
}

static int h_checks(hx_req *r)
{
	hx_err err = {0};
	int bad;
	long long y = year_of(r, &err, &bad);
	json_t *out = NULL;
	if (bad)
		return hx_req_fail(r, &err);
	int rc = hx_checkup_check_list(&out, &r->ctx, y, hx_req_query(r, "status"), &err);
	return reply(r, rc, &err, 200, out);
}

static int h_check_create(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_checkup_check_create(&out, &r->ctx, b, &err);
	return reply(r, rc, &err, 201, out);
}

#define ID_HANDLER(name, fn)                                                  \
	static int name(hx_req *r)                                            \
	{                                                                     \
		json_t *out = NULL;                                           \
		hx_err err = {0};                                             \
		int rc = fn(&out, &r->ctx, hx_req_param_id(r, 0), &err);      \
		return reply(r, rc, &err, 200, out);                          \
	}
#define BODY_HANDLER(name, fn)                                                \
	static int name(hx_req *r)                                            \
	{                                                                     \
		json_t *b, *out = NULL;                                       \
		hx_err err = {0};                                             \
		if (hx_req_body_json(r, &b, NULL))                            \
			return 0;                                             \
		int rc = fn(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);   \
		return reply(r, rc, &err, 200, out);                          \
	}

ID_HANDLER(h_check_get, hx_checkup_check_get)
ID_HANDLER(h_finish, hx_checkup_finish)
ID_HANDLER(h_report, hx_checkup_report)
ID_HANDLER(h_ack, hx_checkup_acknowledge)
ID_HANDLER(h_regrade, hx_checkup_regrade)
ID_HANDLER(h_close, hx_checkup_close)
BODY_HANDLER(h_check_update, hx_checkup_check_update)
BODY_HANDLER(h_answers, hx_checkup_answers_put)
BODY_HANDLER(h_rectify, hx_checkup_rectify)
BODY_HANDLER(h_followup, hx_checkup_followup)
BODY_HANDLER(h_satisfaction, hx_checkup_satisfaction)
BODY_HANDLER(h_warning_update, hx_checkup_warning_update)

static int h_file_add(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_checkup_file_add(&out, &r->ctx, hx_req_param_id(r, 0), hx_req_query(r, "item_id"),
				     hx_req_query(r, "kind"), hx_req_query(r, "filename"), r->body, r->body_len, &err);
	return reply(r, rc, &err, 201, out);
}

static int h_file_get(hx_req *r)
{
	hx_err err = {0};
	char *bytes = NULL;
	size_t len = 0;
	const char *type, *name;
	if (hx_checkup_file_get(&bytes, &len, &type, &name, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_file(r, bytes, len, type, name);
}

/* The report as PDF: the same checks as the JSON report (409 before the
 * check is finished). */
static int h_report_pdf(hx_req *r)
{
	json_t *rep = NULL;
	hx_err err = {0};
	char *pdf = NULL;
	size_t len = 0;
	int rc = hx_checkup_report(&rep, &r->ctx, hx_req_param_id(r, 0), &err);
	if (!rc)
		rc = hx_checkup_report_pdf(&pdf, &len, rep, &err);
	const char *name = rc ? NULL
			      : hx_arena_printf(r->ctx.arena, "体检报告-%s.pdf",
						json_string_value(json_object_get(rep, "enterprise_name"))
							? json_string_value(json_object_get(rep, "enterprise_name"))
							: "");
	json_decref(rep);
	if (rc)
		return hx_req_fail(r, &err);
	return hx_req_file(r, pdf, len, "application/pdf", name);
}

static int h_report_batch_create(hx_req *r)
{
	static const char *const allowed[] = {"year", NULL};
	json_t *b, *out = NULL;
	hx_err err = {0};
	long long y;
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_int(&y, NULL, b, "year", "年度", 1, 2000, 2100, &err))
		return hx_req_fail(r, &err);
	int rc = hx_checkup_report_batch_create(&out, &r->ctx, y, &err);
	return reply(r, rc, &err, 202, out);
}

ID_HANDLER(h_report_batch_get, hx_checkup_report_batch_get)

static int h_report_batch_download(hx_req *r)
{
	hx_err err = {0};
	char *zip = NULL;
	size_t len = 0;
	const char *name = NULL;
	if (hx_checkup_report_batch_download(&zip, &len, &name, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_file(r, zip, len, "application/zip", name);
}

static int h_warnings(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_checkup_warnings(&out, &r->ctx, hx_req_query(r, "kind"), &err);
	return reply(r, rc, &err, 200, out);
}

static int h_training(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_checkup_training_priority(&out, &r->ctx, &err);
	return reply(r, rc, &err, 200, out);
}

void hx_checkup_http_register(hx_server *s)
{
	enum { M = HX_PERM_CHECKUP_MANAGE, ANY = 0 };
	static const hx_route routes[] = {
		{"GET", "/api/v1/checkup/checklist", h_checklist, HX_ROUTE_NO_TX, ANY},
		{"GET", "/api/v1/checkup/targets", h_targets, 0, M},
		{"POST", "/api/v1/checkup/targets/generate", h_targets_generate, 0, M},
		{"POST", "/api/v1/checkup/targets/fix", h_targets_fix, 0, M},
		{"PATCH", "/api/v1/checkup/targets/:id", h_target_update, 0, M},
		{"GET", "/api/v1/checkup/contracts", h_contracts, 0, ANY},
		{"POST", "/api/v1/checkup/contracts", h_contract_create, 0, M},
		{"GET", "/api/v1/checkup/checks", h_checks, 0, ANY},
		{"POST", "/api/v1/checkup/checks", h_check_create, 0, M},
		{"GET", "/api/v1/checkup/checks/:id", h_check_get, 0, ANY},
		{"PATCH", "/api/v1/checkup/checks/:id", h_check_update, 0, ANY},
		{"PUT", "/api/v1/checkup/checks/:id/answers", h_answers, 0, ANY},
		{"POST", "/api/v1/checkup/checks/:id/files", h_file_add, HX_ROUTE_UPLOAD, ANY},
		{"GET", "/api/v1/checkup/files/:id", h_file_get, 0, ANY},
		{"POST", "/api/v1/checkup/checks/:id/finish", h_finish, 0, ANY},
		{"GET", "/api/v1/checkup/checks/:id/report", h_report, 0, ANY},
		{"GET", "/api/v1/checkup/checks/:id/report.pdf", h_report_pdf, 0, ANY},
		{"POST", "/api/v1/checkup/checks/:id/acknowledge", h_ack, 0, ANY},
		{"PUT", "/api/v1/checkup/checks/:id/rectifications", h_rectify, 0, ANY},
		{"POST", "/api/v1/checkup/checks/:id/followup", h_followup, 0, ANY},
		{"POST", "/api/v1/checkup/checks/:id/regrade", h_regrade, 0, ANY},
		{"POST", "/api/v1/checkup/checks/:id/close", h_close, 0, ANY},
		{"POST", "/api/v1/checkup/checks/:id/satisfaction", h_satisfaction, 0, ANY},
		{"GET", "/api/v1/checkup/warnings", h_warnings, 0, M},
		{"PATCH", "/api/v1/checkup/warnings/:id", h_warning_update, 0, M},
		{"GET", "/api/v1/checkup/training-priority", h_training, 0, ANY},
		{"POST", "/api/v1/checkup/reports/batch", h_report_batch_create, 0, M},
		{"GET", "/api/v1/checkup/reports/batch/:id", h_report_batch_get, 0, M},
		{"GET", "/api/v1/checkup/reports/batch/:id/download", h_report_batch_download, 0, M},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
