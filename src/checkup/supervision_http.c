/* HTTP handlers of the supervision of agencies, the archive package and
 * the area analysis (/api/v1/checkup/…). */
#include "supervision.h"

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

static int h_batch_submit(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_checkup_batch_submit(&out, &r->ctx, b, &err);
	return reply(r, rc, &err, 201, out);
}

static int h_batches(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	long long org = 0;
	if (hx_req_query_int(r, "org_id", 0, 0, INT64_MAX, &org, &err))
		return hx_req_fail(r, &err);
	int rc = hx_checkup_batch_list(&out, &r->ctx, org, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_batch_get(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	int rc = hx_checkup_batch_get(&out, &r->ctx, hx_req_param_id(r, 0), &err);
	return reply(r, rc, &err, 200, out);
}

static int decide(hx_req *r, const char *action)
{
	json_t *b = NULL, *out = NULL;
	hx_err err = {0};
	if (r->body_len && hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_checkup_batch_decide(&out, &r->ctx, hx_req_param_id(r, 0), action, b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_accept(hx_req *r) { return decide(r, "accept"); }
static int h_return(hx_req *r) { return decide(r, "return"); }

static int h_spot(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_checkup_spotcheck_draw(&out, &r->ctx, hx_req_param_id(r, 0), b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_spot_record(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	int rc = hx_checkup_spotcheck_record(&out, &r->ctx, hx_req_param_id(r, 0), hx_req_param_id(r, 1), b, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_agency(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	long long year;
	if (hx_req_query_int(r, "year", 0, 2000, 2100, &year, &err))
		return hx_req_fail(r, &err);
	if (!year)
		return hx_req_fail(r, (hx_err[]){{HX_EINVAL, "required", "year", "请指定年度"}});
	int rc = hx_checkup_agency_summary(&out, &r->ctx, hx_req_param_id(r, 0), year, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_archive(hx_req *r)
{
	hx_err err = {0};
	char *zip = NULL;
	size_t len = 0;
	const char *name = NULL;
	if (hx_checkup_archive_zip(&zip, &len, &name, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_file(r, zip, len, "application/zip", name);
}

static int read_filter(hx_req *r, hx_checkup_analysis_filter *f, hx_err *err)
{
	memset(f, 0, sizeof *f);
	int rc;
	if ((rc = hx_req_query_int(r, "year", 0, 0, 2100, &f->year, err)) ||
	    (rc = hx_req_query_int(r, "area_id", 0, 0, INT64_MAX, &f->area_id, err)))
		return rc;
	f->industry = hx_req_query(r, "industry");
	f->size = hx_req_query(r, "size");
	return 0;
}

static int h_analysis(hx_req *r)
{
	hx_checkup_analysis_filter f;
	json_t *out = NULL;
	hx_err err = {0};
	if (read_filter(r, &f, &err))
		return hx_req_fail(r, &err);
	int rc = hx_checkup_analysis(&out, &r->ctx, &f, &err);
	return reply(r, rc, &err, 200, out);
}

static int h_analysis_xlsx(hx_req *r)
{
	hx_checkup_analysis_filter f;
	json_t *out = NULL;
	hx_err err = {0};
	if (read_filter(r, &f, &err) || hx_checkup_analysis(&out, &r->ctx, &f, &err))
		return hx_req_fail(r, &err);
	/* one row per grade (this year and last), then the common risks */
	json_t *rows = json_array();
	json_t *cur = json_object_get(out, "current"), *prev = json_object_get(out, "previous");
	static const char *const G[] = {"A", "B", "C", "D"};
	for (int i = 0; i < 4; i++)
		json_array_append_new(rows, json_pack("{s:s,s:s,s:O,s:O,s:O}", "kind", "评级分布", "name", G[i], "this_year",
						      json_object_get(json_object_get(cur, "grades"), G[i]), "now",
						      json_object_get(json_object_get(cur, "grades_now"), G[i]), "last_year",
						      json_object_get(json_object_get(prev, "grades"), G[i])));
	json_array_append_new(rows, json_pack("{s:s,s:s,s:O,s:n,s:O}", "kind", "升级", "name", "整改后升级", "this_year",
					      json_object_get(cur, "upgrades"), "now", "last_year", json_object_get(prev, "upgrades")));
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(cur, "top_risks"), i, t)
		json_array_append_new(rows, json_pack("{s:s,s:O,s:O,s:n,s:n}", "kind", "常见风险", "name", json_object_get(t, "title"),
						      "this_year", json_object_get(t, "count"), "now", "last_year"));
	static const hx_xlsx_col cols[] = {
		{"kind", "类别", 0, NULL}, {"name", "项目", 0, NULL}, {"this_year", "本年度", 1, NULL},
		{"now", "整改后", 1, NULL}, {"last_year", "上年度", 1, NULL},
	};
	int rc = hx_req_xlsx(r, "区域劳动用工抽验分析.xlsx", "分析", cols, sizeof cols / sizeof cols[0], rows);
	json_decref(rows);
	json_decref(out);
	return rc;
}

static int h_analysis_pdf(hx_req *r)
{
	hx_checkup_analysis_filter f;
	hx_err err = {0};
	char *pdf = NULL;
	size_t len = 0;
	if (read_filter(r, &f, &err) || hx_checkup_analysis_pdf(&pdf, &len, &r->ctx, &f, &err))
		return hx_req_fail(r, &err);
	return hx_req_file(r, pdf, len, "application/pdf", "区域劳动用工抽验分析报告.pdf");
}

void hx_checkup_supervision_http_register(struct hx_server *s)
{
	enum { M = HX_PERM_CHECKUP_MANAGE, ANY = 0 };
	static const hx_route routes[] = {
		{"GET", "/api/v1/checkup/batches", h_batches, 0, ANY},
		{"POST", "/api/v1/checkup/batches", h_batch_submit, 0, HX_PERM_CHECKUP_INSPECT},
		{"GET", "/api/v1/checkup/batches/:id", h_batch_get, 0, ANY},
		{"POST", "/api/v1/checkup/batches/:id/accept", h_accept, 0, M},
		{"POST", "/api/v1/checkup/batches/:id/return", h_return, 0, M},
		{"POST", "/api/v1/checkup/batches/:id/spotcheck", h_spot, 0, M},
		{"PUT", "/api/v1/checkup/spotchecks/:id/records/:check", h_spot_record, 0, M},
		{"GET", "/api/v1/checkup/agencies/:id", h_agency, 0, ANY},
		{"GET", "/api/v1/checkup/checks/:id/archive.zip", h_archive, 0, ANY},
		{"GET", "/api/v1/checkup/analysis", h_analysis, 0, M},
		{"GET", "/api/v1/checkup/analysis.xlsx", h_analysis_xlsx, 0, M},
		{"GET", "/api/v1/checkup/analysis.pdf", h_analysis_pdf, 0, M},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
