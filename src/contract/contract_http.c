/* HTTP handlers of contracts: the legal check of a draft, the templates
 * and a draft rendered from one as a PDF. */
#include "contract.h"

#include <stdio.h>
#include <string.h>

#include "../http/http.h"

static hx_wages *g_wages;
static hx_template_set *g_templates;

int hx_contract_init(const char *data_dir, hx_err *err)
{
	char path[4096];
	const char *data = data_dir ? data_dir : "data";
	hx_contract_shutdown();
	snprintf(path, sizeof path, "%s/wages/zhejiang.json", data);
	int rc = hx_wages_load(&g_wages, path, err);
	snprintf(path, sizeof path, "%s/templates", data);
	if (!rc)
		rc = hx_template_load_dir(&g_templates, path, err);
	if (rc)
		hx_contract_shutdown();
	return rc;
}

void hx_contract_shutdown(void)
{
	hx_wages_free(g_wages);
	g_wages = NULL;
	hx_template_set_free(g_templates);
	g_templates = NULL;
}

static int h_lint(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	if (hx_contract_lint(&out, b, g_wages, NULL, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_templates(hx_req *r)
{
	json_t *items = json_array();
	for (size_t i = 0; g_templates && i < g_templates->n; i++) {
		const hx_template *t = &g_templates->items[i];
		json_array_append_new(items, json_pack("{s:s,s:i,s:s}", "id", t->id, "version", t->version, "title", t->title));
	}
	return hx_req_json(r, 200, json_pack("{s:o}", "items", items));
}

/* The draft as a PDF, only when it passes the legal check. */
static int h_render(hx_req *r)
{
	json_t *b, *lint = NULL;
	const hx_template *t;
	hx_err err = {0};
	char *pdf = NULL;
	size_t len = 0;
	const char *id = hx_req_query(r, "template");
	if (!id || !*id)
		hx_err_set(&err, HX_EBADREQ, "required", "template", "缺少参数template（合同范本）");
	if (err.code || hx_template_find(&t, g_templates, id, &err))
		return hx_req_fail(r, &err);
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	if (hx_contract_lint(&lint, b, g_wages, NULL, &err))
		return hx_req_fail(r, &err);
	json_t *first = json_array_get(json_object_get(lint, "errors"), 0);
	if (first) {
		const char *field = json_string_value(json_object_get(first, "field"));
		const char *msg = json_string_value(json_object_get(first, "message"));
		/* err.msg is bounded: cut a long message at a character */
		size_t n = msg ? strlen(msg) : 0;
		if (n >= sizeof err.msg)
			for (n = sizeof err.msg - 1; n && ((unsigned char)msg[n] & 0xC0) == 0x80; n--)
				;
		hx_err_set(&err, HX_EINVAL, "lint_failed", field ? field : "", "%.*s", (int)n, msg ? msg : "");
		json_decref(lint);
		return hx_req_fail(r, &err);
	}
	json_decref(lint);
	if (hx_contract_render_pdf(&pdf, &len, t, b, &err))
		return hx_req_fail(r, &err);
	const char *name = json_string_value(json_object_get(json_object_get(b, "worker"), "name"));
	return hx_req_file(r, pdf, len, "application/pdf",
			   name && *name ? hx_arena_printf(r->ctx.arena, "劳动合同-%s.pdf", name) : "劳动合同.pdf");
}

void hx_contract_http_register(struct hx_server *s)
{
	static const hx_route routes[] = {
		{"POST", "/api/v1/contracts/lint", h_lint, HX_ROUTE_NO_TX, 0},
		{"GET", "/api/v1/contracts/templates", h_templates, HX_ROUTE_NO_TX, 0},
		{"POST", "/api/v1/contracts/render", h_render, HX_ROUTE_NO_TX, 0},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
