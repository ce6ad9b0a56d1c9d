/* HTTP handlers of contracts: the legal check of a draft. */
#include "contract.h"

#include <stdio.h>
#include <string.h>

#include "../http/http.h"

static hx_wages *g_wages;

int hx_contract_init(const char *data_dir, hx_err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/wages/zhejiang.json", data_dir ? data_dir : "data");
	hx_contract_shutdown();
	return hx_wages_load(&g_wages, path, err);
}

void hx_contract_shutdown(void)
{
	hx_wages_free(g_wages);
	g_wages = NULL;
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

void hx_contract_http_register(struct hx_server *s)
{
	static const hx_route routes[] = {
		{"POST", "/api/v1/contracts/lint", h_lint, HX_ROUTE_NO_TX, 0},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
}
