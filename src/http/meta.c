/* GET /api/v1/meta: the reference lists forms need, and the modules that
 * exist in this build (the web app's menu shows only these). */
#include "http.h"

#include "../registry/registry.h"

static int h_meta(hx_req *r)
{
	json_t *modules = json_array();
	json_array_append_new(modules, json_pack("{s:s,s:s,s:s}", "key", "registry", "name", "企业与职工", "path", "/enterprises"));
	json_array_append_new(modules, json_pack("{s:s,s:s,s:s}", "key", "checkup", "name", "劳动用工体检", "path", "/checkup"));
	json_array_append_new(modules, json_pack("{s:s,s:s,s:s}", "key", "rating", "name", "和谐创建", "path", "/rating"));
	json_array_append_new(modules, json_pack("{s:s,s:s,s:s}", "key", "accounts", "name", "用户与机构", "path", "/users"));
	json_array_append_new(modules, json_pack("{s:s,s:s,s:s}", "key", "audit", "name", "操作日志", "path", "/audit"));
	json_t *et = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "key", "full_time", "name", "全日制", "key",
			       "part_time", "name", "非全日制", "key", "dispatched", "name", "劳务派遣");
	json_t *ak = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "key", "county", "name", "县",
			       "key", "street", "name", "街道", "key", "town", "name", "镇", "key", "township",
			       "name", "乡", "key", "park", "name", "园区");
	json_t *ok = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "key",
			       "department", "name", "县级部门/考评单位", "key", "agency", "name", "第三方服务机构",
			       "key", "union", "name", "工会", "key", "mediation", "name", "调解组织", "key",
			       "task_force", "name", "专班", "key", "enterprise_org", "name", "企业");
	/* 附件3 第四条's 法律法规授权机构, whose staff read contracts in a case */
	json_array_append_new(ok, json_pack("{s:s,s:s}", "key", "labor_inspection", "name", "劳动保障监察机构"));
	json_array_append_new(ok, json_pack("{s:s,s:s}", "key", "arbitration", "name", "劳动人事争议仲裁委员会"));
	json_array_append_new(ok, json_pack("{s:s,s:s}", "key", "court", "name", "人民法院"));
	size_t n;
	const hx_role *roles = hx_account_roles(&n);
	json_t *rl = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(rl, json_pack("{s:s,s:s,s:s,s:b}", "key", roles[i].key, "name", roles[i].name,
						    "scope_kind", hx_account_scope_kind_key(roles[i].scope_kind),
						    "area_optional", roles[i].area_optional));
	return hx_req_json(r, 200,
			   json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "version", HX_VERSION, "modules", modules,
				     "industries", hx_registry_industries_json(), "employment_types", et,
				     "area_kinds", ak, "org_kinds", ok, "roles", rl, "demo",
				     hx_server_cfg(r->srv)->demo));
}

void hx_meta_http_register(hx_server *s)
{
	static const hx_route routes[] = {
		{"GET", "/api/v1/meta", h_meta, HX_ROUTE_PUBLIC | HX_ROUTE_NO_TX, 0},
	};
	hx_server_routes(s, routes, 1);
}
