/* HTTP handlers of rating: the rubrics and scoring facts against one. */
#include "rating_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/timeutil.h"
#include "../http/http.h"
#include "../store/store.h"

static const hx_rubric_set *rubrics; /* loaded once at start, read-only */

static const hx_rubric *find(hx_req *r, hx_err *err)
{
	long long version = 0;
	if (hx_req_query_int(r, "version", 0, 0, 1000000, &version, err))
		return NULL;
	const hx_rubric *rb = rubrics ? hx_rubric_set_find(rubrics, r->params[0], (int)version) : NULL;
	if (!rb)
		hx_err_set(err, HX_ENOTFOUND, "unknown_rubric", "", "评价标准“%.60s”不存在", r->params[0] ? r->params[0] : "");
	return rb;
}

static int h_list(hx_req *r)
{
	json_t *items = json_array();
	for (size_t i = 0; rubrics && i < hx_rubric_set_count(rubrics); i++)
		json_array_append_new(items, hx_rubric_summary_json(hx_rubric_set_at(rubrics, i)));
	return hx_req_json(r, 200, json_pack("{s:o}", "items", items));
}

static int h_get(hx_req *r)
{
	hx_err err = {0};
	const hx_rubric *rb = find(r, &err);
	if (!rb)
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, hx_rubric_json(rb));
}

/* What both scoring routes do first: find the rubric, record its use (or
 * refuse a changed file), compile the body's facts and score them.
 * Returns 0 with *f and *s to free, or -1 with the request answered. */
static int score_body(hx_req *r, const hx_rubric **rb, hx_facts **f, hx_score **s)
{
	hx_err err = {0};
	*f = NULL;
	*s = NULL;
	*rb = find(r, &err);
	if (!*rb || hx_rating_use_rubric(&r->ctx, *rb, &err)) {
		hx_req_fail(r, &err);
		return -1;
	}
	json_t *body;
	if (hx_req_body_json(r, &body, NULL))
		return -1;
	if (hx_facts_compile(f, *rb, body, &err)) {
		hx_req_fail(r, &err);
		return -1;
	}
	*s = hx_score_new(*rb);
	hx_rate(*s, *rb, *f);
	return 0;
}

static int h_score(hx_req *r)
{
	const hx_rubric *rb;
	hx_facts *f;
	hx_score *s;
	if (score_body(r, &rb, &f, &s))
		return 0;
	json_t *out = hx_score_json(s, rb, f);
	hx_score_free(s);
	hx_facts_free(f);
	return hx_req_json(r, 200, out);
}

/* The same scoring, answered as the filled score sheet (评分表.pdf);
 * ?applicant= names the applicant (申报单位) and ?date=YYYY-MM-DD the
 * evaluation date (default today). */
static int h_score_pdf(hx_req *r)
{
	const hx_rubric *rb;
	hx_facts *f;
	hx_score *s;
	if (score_body(r, &rb, &f, &s))
		return 0;
	hx_err err = {0};
	char *pdf = NULL;
	size_t len = 0;
	int rc = hx_rating_sheet_pdf(&pdf, &len, s, rb, f, hx_req_query(r, "applicant"), hx_req_query(r, "date"), &err);
	hx_score_free(s);
	hx_facts_free(f);
	if (rc)
		return hx_req_fail(r, &err);
	return hx_req_file(r, pdf, len, "application/pdf", "评分表.pdf");
}

void hx_rating_http_register(hx_server *s, const hx_rubric_set *set)
{
	static const hx_route routes[] = {
		{"GET", "/api/v1/rubrics", h_list, HX_ROUTE_NO_TX, 0},
		{"GET", "/api/v1/rubrics/:id", h_get, HX_ROUTE_NO_TX, 0},
		{"POST", "/api/v1/rubrics/:id/score", h_score, 0, 0},
		/* no transaction around the ~40 ms of rendering: the use of the
		 * rubric is recorded by one statement on its own (ON CONFLICT DO
		 * NOTHING), so no write lock is held while the PDF is drawn */
		{"POST", "/api/v1/rubrics/:id/score.pdf", h_score_pdf, HX_ROUTE_NO_TX, 0},
	};
	rubrics = set;
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
