/* HTTP handlers of oversight: the written-contract signing rates (and their
 * .xlsx), the monthly filing export (劳动用工备案), the areas' minimum-wage
 * tiers and, in demo mode only, the outbox of kept messages. Routed by
 * contract_http.c's table. */
#include "contract_impl.h"
#include "contract_http_impl.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../core/json.h"
#include "../core/timeutil.h"
#include "../http/http.h"
#include "../trust/channels.h"

/* The rates of the area_id in the query; on failure the error is the
 * answer (*out stays NULL). */
static int rates_for(hx_req *r, json_t **out)
{
	hx_err err = {0};
	long long area = 0;
	*out = NULL;
	if (hx_req_query_int(r, "area_id", 0, 0, INT64_MAX, &area, &err) || hx_contract_rates(out, &r->ctx, area, &err))
		return hx_req_fail(r, &err);
	return 0;
}

int hx_contract_http_rates(hx_req *r)
{
	json_t *out;
	int rc = rates_for(r, &out);
	return out ? hx_req_json(r, 200, out) : rc;
}

int hx_contract_http_rates_xlsx(hx_req *r)
{
	json_t *out;
	int rc = rates_for(r, &out);
	if (!out)
		return rc;
	/* the rate as a percentage with one decimal, and the total as the last row */
	json_t *items = json_object_get(out, "items"), *t = json_object_get(out, "total"), *it;
	json_t *sum = json_deep_copy(t);
	json_object_set_new(sum, "name", json_string("合计"));
	json_array_append_new(items, sum);
	size_t i;
	json_array_foreach(items, i, it) {
		json_t *rate = json_object_get(it, "rate");
		json_object_set_new(it, "rate_text",
				    json_is_number(rate) ? json_sprintf("%.1f%%", json_number_value(rate) * 100.0) : json_string("—"));
	}
	static const hx_xlsx_col cols[] = {
		{"name", "用人单位", 0, NULL},
		{"active_workers", "在职职工", 1, NULL},
		{"dispatched", "劳务派遣（不计入）", 1, NULL},
		{"due", "应签订", 1, NULL},
		{"electronic", "电子合同", 1, NULL},
		{"paper", "纸质合同", 1, NULL},
		{"unsigned", "未签订", 1, NULL},
		{"signed", "已签订书面劳动合同", 1, NULL},
		{"rate_text", "书面劳动合同签订率", 0, NULL},
	};
	rc = hx_req_xlsx(r, "书面劳动合同签订率.xlsx", "签订率", cols, sizeof cols / sizeof cols[0], items);
	json_decref(out);
	return rc;
}

static int filing_args(hx_req *r, const char **month, long long *area, hx_err *err)
{
	*month = hx_req_query(r, "month");
	int y, m, d;
	char probe[16];
	snprintf(probe, sizeof probe, "%.7s-01", *month ? *month : "");
	if (!*month || strlen(*month) != 7 || hx_date_parse(probe, &y, &m, &d))
		return hx_err_set(err, HX_EINVAL, "invalid_month", "month", "月份应为 YYYY-MM");
	return hx_req_query_int(r, "area_id", 0, 0, INT64_MAX, area, err);
}

int hx_contract_http_filing(hx_req *r)
{
	hx_err err = {0};
	const char *month;
	long long area;
	json_t *out = NULL;
	if (filing_args(r, &month, &area, &err) || hx_contract_filing(&out, &r->ctx, month, area, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

int hx_contract_http_filing_xlsx(hx_req *r)
{
	hx_err err = {0};
	const char *month;
	long long area;
	json_t *out = NULL;
	if (filing_args(r, &month, &area, &err) || hx_contract_filing(&out, &r->ctx, month, area, &err))
		return hx_req_fail(r, &err);
	/* flattened in the standard's order: basic / terms / signing */
	json_t *rows = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(out, "items"), i, it) {
		json_t *row = json_object();
		const char *groups[] = {"basic", "terms", "signing"};
		for (int g = 0; g < 3; g++)
			json_object_update(row, json_object_get(it, groups[g]));
		json_array_append_new(rows, row);
	}
	json_decref(out);
	static const hx_xlsx_col cols[] = {
		{"employer_uscc", "【基本信息】统一社会信用代码", 0, NULL},
		{"employer_name", "【基本信息】用人单位名称", 0, NULL},
		{"employer_type", "【基本信息】单位类型", 0, NULL},
		{"employer_industry", "【基本信息】行业", 0, NULL},
		{"employer_address", "【基本信息】单位地址", 0, NULL},
		{"employer_legal_representative", "【基本信息】法定代表人", 0, NULL},
		{"employer_contact", "【基本信息】联系方式", 0, NULL},
		{"worker_name", "【基本信息】劳动者姓名", 0, NULL},
		{"worker_id_number", "【基本信息】公民身份号码", 0, NULL},
		{"worker_sex", "【基本信息】性别", 0, NULL},
		{"worker_phone", "【基本信息】联系电话", 0, NULL},
		{"contract_type", "【合同内容】合同期限类型", 0, NULL},
		{"contract_kind", "【合同内容】用工形式", 0, NULL},
		{"start", "【合同内容】合同起始日期", 0, NULL},
		{"end", "【合同内容】合同终止日期", 0, NULL},
		{"job", "【合同内容】工作岗位", 0, NULL},
		{"wage", "【合同内容】工资（元）", 1, NULL},
		{"event", "【签署信息】备案类型", 0, NULL},
		{"worker_signed_at", "【签署信息】劳动者签署时间", 0, NULL},
		{"enterprise_signed_at", "【签署信息】用人单位签署时间", 0, NULL},
		{"completed_at", "【签署信息】签署完成时间", 0, NULL},
		{"document_sha256", "【签署信息】合同文件SHA-256", 0, NULL},
		{"contract_id", "【签署信息】平台合同编号", 1, NULL},
	};
	return hx_req_xlsx(r, hx_arena_printf(r->ctx.arena, "劳动用工备案-%s.xlsx", month), "劳动用工备案", cols,
			   sizeof cols / sizeof cols[0], rows);
}

int hx_contract_http_tiers(hx_req *r)
{
	hx_err err = {0};
	json_t *out = NULL;
	if (hx_contract_wage_tiers(&out, &r->ctx, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

int hx_contract_http_tier_set(hx_req *r)
{
	static const char *const allowed[] = {"tier", NULL};
	hx_err err = {0};
	json_t *b, *out = NULL;
	long long tier;
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_int(&tier, NULL, b, "tier", "最低工资档次", 1, 1, 3, &err) ||
	    hx_contract_wage_tier_set(&out, &r->ctx, hx_req_param_id(r, 0), (int)tier, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

int hx_contract_http_outbox(hx_req *r)
{
	hx_err err = {0};
	long long limit;
	json_t *out = NULL;
	/* codes and signing links are shown to nobody when the server runs for
	 * real; the kept messages are readable only in demo mode */
	if (!hx_channels_demo()) {
		hx_err_set(&err, HX_EPERM, "demo_only", "", "仅演示模式下可查看消息发件箱：验证码和签署链接不向任何人显示");
		return hx_req_fail(r, &err);
	}
	if (hx_req_query_int(r, "limit", 50, 1, 500, &limit, &err) || hx_otp_outbox_list(&out, &r->ctx, (int)limit, &err))
		return hx_req_fail(r, &err);
	json_object_set_new(out, "demo", json_true());
	return hx_req_json(r, 200, out);
}
