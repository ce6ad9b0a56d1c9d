/* HTTP handlers of rating campaigns, applications, evidence, the worker
 * poll (public), QR codes and notifications. */
#include "rating.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/timeutil.h"
#include "../http/http.h"
#include "../report/report.h"

static int reply(hx_req *r, int rc, hx_err *err, int status, json_t *out)
{
	if (rc)
		return hx_req_fail(r, err);
	return hx_req_json(r, status, out);
}

static int h_campaigns(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_rating_campaign_list(&out, &r->ctx, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_campaign_create(hx_req *r)
{
	static const char *const allowed[] = {"name", "year", "subject", "rubric_id", "rubric_version",
					      "pass_line", "grades", "apply_until", NULL};
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	int rc = hx_rating_campaign_create(&out, &r->ctx, b, &err);
	return reply(r, rc, &err, 201, out);
}

static int h_campaign_get(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_rating_campaign_get(&out, &r->ctx, hx_req_param_id(r, 0), &err);
	return reply(r, rc, &err, 200, out);
}

static int h_campaign_assign(hx_req *r)
{
	static const char *const allowed[] = {"item_id", "org_ids", NULL};
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	int rc = hx_rating_campaign_assign(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_campaign_remind(hx_req *r)
{
	static const char *const allowed[] = {"org_id", NULL};
	json_t *b;
	hx_err err = {0};
	long long org;
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_int(&org, NULL, b, "org_id", "部门", 1, 1, INT64_MAX, &err) ||
	    hx_rating_campaign_remind(&r->ctx, hx_req_param_id(r, 0), org, &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

static int step(hx_req *r, const char *action)
{
	json_t *out = NULL;
	hx_err err = {0};
	long long years = 3;
	if (strcmp(action, "publish") == 0 && r->body_len) {
		static const char *const allowed[] = {"valid_years", NULL};
		json_t *b;
		if (hx_req_body_json(r, &b, allowed))
			return 0;
		if (hx_json_get_int(&years, NULL, b, "valid_years", "有效期（年）", 0, 1, 10, &err))
			return hx_req_fail(r, &err);
		if (!json_object_get(b, "valid_years"))
			years = 3;
	}
	int rc = hx_rating_campaign_step(&out, &r->ctx, hx_req_param_id(r, 0), action, (int)years, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_close(hx_req *r) { return step(r, "close"); }
static int h_confirm(hx_req *r) { return step(r, "confirm"); }
static int h_publish(hx_req *r) { return step(r, "publish"); }

static int h_results(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_rating_campaign_results(&out, &r->ctx, hx_req_param_id(r, 0), &err);
	return reply(r, rc, &err, 200, out);
}

static int h_results_xlsx(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	if (hx_rating_campaign_results(&out, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	static const hx_xlsx_col cols[] = {
		{"rank", "名次", 1, NULL},       {"applicant", "申报单位", 0, NULL}, {"total", "总分", 1, NULL},
		{"vetoed", "否决", 0, NULL},     {"vetoes", "否决项", 0, NULL},      {"passed", "达标", 0, NULL},
		{"grade", "等级", 0, NULL},      {"status", "状态", 0, NULL},
	};
	int rc = hx_req_xlsx(r, "创建活动结果.xlsx", "结果", cols, sizeof cols / sizeof cols[0], json_object_get(out, "items"));
	json_decref(out);
	return rc;
}

static int h_apps(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	long long cid = 0;
	if (hx_req_query_int(r, "campaign_id", 0, 0, INT64_MAX, &cid, &err))
		return hx_req_fail(r, &err);
	int rc = hx_rating_application_list(&out, &r->ctx, cid, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_app_create(hx_req *r)
{
	static const char *const allowed[] = {"enterprise_id", "area_id", NULL};
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (r->body_len) {
		if (hx_req_body_json(r, &b, allowed))
			return 0;
	} else {
		b = json_object();
		hx_arena_defer(r->ctx.arena, (void (*)(void *))json_decref, b);
	}
	int rc = hx_rating_application_create(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);
	return reply(r, rc, &err, 201, out);
}

static int h_app_get(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_rating_application_get(&out, &r->ctx, hx_req_param_id(r, 0), &err);
	return reply(r, rc, &err, 200, out);
}

static int h_app_self(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_rating_application_self(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_app_submit(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_rating_application_submit(&out, &r->ctx, hx_req_param_id(r, 0), &err);
	return reply(r, rc, &err, 200, out);
}

static int h_app_review(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_rating_application_review(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_app_metric(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_rating_application_metric(&out, &r->ctx, hx_req_param_id(r, 0), r->params[1], b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_evidence_add(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_rating_evidence_add(&out, &r->ctx, hx_req_param_id(r, 0), hx_req_query(r, "criterion_id"),
					hx_req_query(r, "filename"), r->body, r->body_len, &err);
	return reply(r, rc, &err, 201, out);
}

static int h_evidence_get(hx_req *r)
{
	hx_err err = {0};
	char *bytes = NULL;
	size_t len = 0;
	const char *name = NULL;
	if (hx_rating_evidence_get(&bytes, &len, &name, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_file(r, bytes, len, "application/octet-stream", name);
}

static int h_poll_issue(hx_req *r)
{
	static const char *const allowed[] = {"count", NULL};
	json_t *b, *out = NULL;
	hx_err err = {0};
	long long count;
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_int(&count, NULL, b, "count", "链接数量", 1, 1, 2000, &err))
		return hx_req_fail(r, &err);
	int rc = hx_rating_poll_issue(&out, &r->ctx, hx_req_param_id(r, 0), count, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_poll_info(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_rating_poll_info(&out, &r->ctx, hx_req_param_id(r, 0), r->params[1], &err);
	return reply(r, rc, &err, 200, out);
}

static int h_poll_vote(hx_req *r)
{
	static const char *const allowed[] = {"satisfied", NULL};
	json_t *b;
	hx_err err = {0};
	int sat;
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_bool(&sat, NULL, b, "satisfied", "是否满意", 1, &err) ||
	    hx_rating_poll_vote(&r->ctx, hx_req_param_id(r, 0), r->params[1], sat, &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

static int h_qr(hx_req *r)
{
	hx_err err = {0};
	const char *text = hx_req_query(r, "text");
	char *svg = NULL;
	size_t len = 0;
	if (!text || !*text || strlen(text) > 512)
		return hx_req_fail(r, (hx_err[]){{HX_EINVAL, "invalid_text", "text", "二维码内容应为1到512个字符"}});
	if (hx_qr_svg(&svg, &len, text, &err))
		return hx_req_fail(r, &err);
	return hx_req_file(r, svg, len, "image/svg+xml", NULL);
}

static int h_sheet(hx_req *r)
{
	hx_err err = {0};
	const hx_rubric *rb = NULL;
	hx_facts *f = NULL;
	hx_score *sc = NULL;
	const char *applicant = NULL;
	char *pdf = NULL;
	size_t len = 0;
	char today[11];
	hx_today(today);
	int rc = hx_rating_application_scored(&rb, &f, &sc, &applicant, &r->ctx, hx_req_param_id(r, 0), &err);
	if (!rc)
		rc = hx_rating_sheet_pdf(&pdf, &len, sc, rb, f, applicant, today, &err);
	hx_score_free(sc);
	hx_facts_free(f);
	if (rc)
		return hx_req_fail(r, &err);
	return hx_req_file(r, pdf, len, "application/pdf", hx_arena_printf(r->ctx.arena, "评分表-%s.pdf", applicant));
}

void hx_rating_campaign_http_register(hx_server *s)
{
	enum { M = HX_PERM_RATING_MANAGE, ANY = 0 };
	static const hx_route routes[] = {
		{"GET", "/api/v1/campaigns", h_campaigns, 0, ANY},
		{"POST", "/api/v1/campaigns", h_campaign_create, 0, M},
		{"GET", "/api/v1/campaigns/:id", h_campaign_get, 0, ANY},
		{"PUT", "/api/v1/campaigns/:id/assignments", h_campaign_assign, 0, M},
		{"POST", "/api/v1/campaigns/:id/remind", h_campaign_remind, 0, M},
		{"POST", "/api/v1/campaigns/:id/close", h_close, 0, M},
		{"POST", "/api/v1/campaigns/:id/confirm", h_confirm, 0, M},
		{"POST", "/api/v1/campaigns/:id/publish", h_publish, 0, M},
		{"GET", "/api/v1/campaigns/:id/results", h_results, 0, ANY},
		{"GET", "/api/v1/campaigns/:id/results.xlsx", h_results_xlsx, 0, ANY},
		{"POST", "/api/v1/campaigns/:id/applications", h_app_create, 0, HX_PERM_RATING_APPLY},
		{"GET", "/api/v1/applications", h_apps, 0, ANY},
		{"GET", "/api/v1/applications/:id", h_app_get, 0, ANY},
		{"PUT", "/api/v1/applications/:id/self", h_app_self, 0, HX_PERM_RATING_APPLY},
		{"POST", "/api/v1/applications/:id/submit", h_app_submit, 0, HX_PERM_RATING_APPLY},
		{"PUT", "/api/v1/applications/:id/review", h_app_review, 0, HX_PERM_RATING_REVIEW},
		{"PUT", "/api/v1/applications/:id/metrics/:name", h_app_metric, 0, ANY},
		{"POST", "/api/v1/applications/:id/evidence", h_evidence_add, HX_ROUTE_UPLOAD, HX_PERM_RATING_APPLY},
		{"GET", "/api/v1/evidence/:id", h_evidence_get, 0, ANY},
		{"POST", "/api/v1/applications/:id/poll", h_poll_issue, 0, ANY},
		{"GET", "/api/v1/polls/:app/:token", h_poll_info, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/polls/:app/:token", h_poll_vote, HX_ROUTE_PUBLIC | HX_ROUTE_NO_CSRF, 0},
		{"GET", "/api/v1/qr.svg", h_qr, HX_ROUTE_NO_TX, ANY},
		{"GET", "/api/v1/applications/:id/sheet.pdf", h_sheet, 0, ANY},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
