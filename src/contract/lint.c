/* The legal check of contract terms. Every finding cites its rule:
 * 《劳动合同法》 (LCL) 第十条、第十四条、第十七条、第十九条、第二十条、
 * 第六十八条、第七十条、第八十二条, 《劳动合同法实施条例》第十五条,
 * 《劳动法》第十五条 and 《禁止使用童工规定》, 《未成年工特殊保护规定》,
 * 《劳动法》第三十九条 with 《关于企业实行不定时工作制和综合计算工时工作制的
 * 审批办法》, and the Zhejiang minimum wages (data/wages/zhejiang.json). */
#include "contract.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/ids.h"
#include "../core/timeutil.h"

struct standard {
	char effective[11];
	double monthly[3], hourly[3];
};

struct tier {
	char prefix[16];
	int tier;
};

struct hx_wages {
	struct standard *std;
	size_t nstd;
	struct tier *tiers;
	size_t ntiers;
	int default_tier;
};

void hx_wages_free(hx_wages *w)
{
	if (!w)
		return;
	free(w->std);
	free(w->tiers);
	free(w);
}

int hx_wages_load(hx_wages **out, const char *path, hx_err *err)
{
	json_error_t je;
	json_t *d = json_load_file(path, 0, &je);
	if (!d)
		return hx_err_set(err, HX_EIO, "bad_wages", "", "%s:%d: %s", path, je.line, je.text);
	hx_wages *w = calloc(1, sizeof *w);
	int rc = 0;
	json_t *stds = json_object_get(d, "standards"), *tiers = json_object_get(d, "tiers");
	size_t i;
	json_t *s;
	w->std = calloc(json_array_size(stds) + 1, sizeof *w->std);
	json_array_foreach(stds, i, s) {
		struct standard *st = &w->std[w->nstd];
		const char *eff = json_string_value(json_object_get(s, "effective"));
		json_t *m = json_object_get(s, "monthly"), *h = json_object_get(s, "hourly");
		if (!eff || hx_date_parse(eff, NULL, NULL, NULL) || json_array_size(m) != 3 || json_array_size(h) != 3) {
			rc = hx_err_set(err, HX_EINVAL, "bad_wages", "", "%s: standards[%zu]: needs effective, monthly[3], hourly[3]",
					path, i);
			break;
		}
		snprintf(st->effective, sizeof st->effective, "%s", eff);
		for (int t = 0; t < 3; t++) {
			st->monthly[t] = json_number_value(json_array_get(m, (size_t)t));
			st->hourly[t] = json_number_value(json_array_get(h, (size_t)t));
		}
		if (w->nstd && strcmp(w->std[w->nstd - 1].effective, eff) >= 0) {
			rc = hx_err_set(err, HX_EINVAL, "bad_wages", "", "%s: standards must be in date order", path);
			break;
		}
		w->nstd++;
	}
	const char *k;
	json_t *v;
	w->tiers = calloc(json_object_size(tiers) + 1, sizeof *w->tiers);
	json_object_foreach(tiers, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 3 || strlen(k) >= 16) {
			rc = hx_err_set(err, HX_EINVAL, "bad_wages", "", "%s: tiers.%s must be 1, 2 or 3", path, k);
			break;
		}
		snprintf(w->tiers[w->ntiers].prefix, sizeof w->tiers[w->ntiers].prefix, "%s", k);
		w->tiers[w->ntiers++].tier = (int)json_integer_value(v);
	}
	json_t *dt = json_object_get(d, "default_tier");
	w->default_tier = json_is_integer(dt) ? (int)json_integer_value(dt) : 1;
	json_decref(d);
	if (rc || !w->nstd) {
		hx_wages_free(w);
		return rc ? rc : hx_err_set(err, HX_EINVAL, "bad_wages", "", "%s: no standards", path);
	}
	*out = w;
	return 0;
}

int hx_wages_minimum(double *monthly, double *hourly, int *tier, const hx_wages *w, const char *area_code,
		     const char *date, hx_err *err)
{
	const struct standard *st = NULL;
	for (size_t i = 0; i < w->nstd; i++)
		if (strcmp(w->std[i].effective, date) <= 0)
			st = &w->std[i];
	if (!st)
		return hx_err_set(err, HX_ENOTFOUND, "no_standard", "", "no minimum wage in force on %s", date);
	int t = w->default_tier;
	size_t best = 0;
	for (size_t i = 0; area_code && i < w->ntiers; i++) {
		size_t l = strlen(w->tiers[i].prefix);
		if (l > best && strncmp(area_code, w->tiers[i].prefix, l) == 0) {
			best = l;
			t = w->tiers[i].tier;
		}
	}
	*monthly = st->monthly[t - 1];
	*hourly = st->hourly[t - 1];
	*tier = t;
	return 0;
}

int hx_wages_minimum_tier(double *monthly, double *hourly, const hx_wages *w, int tier, const char *date)
{
	const struct standard *st = NULL;
	for (size_t i = 0; i < w->nstd; i++)
		if (strcmp(w->std[i].effective, date) <= 0)
			st = &w->std[i];
	if (!st || tier < 1 || tier > 3)
		return HX_ENOTFOUND;
	*monthly = st->monthly[tier - 1];
	*hourly = st->hourly[tier - 1];
	return 0;
}

int hx_wages_standards(json_t **out, const hx_wages *w)
{
	json_t *a = json_array();
	for (size_t i = 0; w && i < w->nstd; i++)
		json_array_append_new(a, json_pack("{s:s,s:[f,f,f],s:[f,f,f]}", "effective", w->std[i].effective, "monthly",
						   w->std[i].monthly[0], w->std[i].monthly[1], w->std[i].monthly[2], "hourly",
						   w->std[i].hourly[0], w->std[i].hourly[1], w->std[i].hourly[2]));
	*out = a;
	return 0;
}

/* ---- the check ---- */

typedef struct lint {
	json_t *errors, *warnings;
} lint;

static void add(json_t *list, const char *code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(json_t *list, const char *code, const char *field, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "code", code, "field", field, "message", msg));
}

/* Reads path "a.b" from the terms; type checks. *bad set (and err filled)
 * when the value has the wrong type. */
static json_t *at(const json_t *t, const char *path)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%s", path);
	char *dot = strchr(buf, '.');
	if (!dot)
		return json_object_get(t, buf);
	*dot = '\0';
	return json_object_get(json_object_get(t, buf), dot + 1);
}

static int typed(const json_t *t, const char *path, int type, hx_err *err)
{
	json_t *v = at(t, path);
	if (!v || json_is_null(v))
		return 0;
	int ok = (type == JSON_STRING && json_is_string(v)) || (type == JSON_INTEGER && json_is_integer(v)) ||
		 (type == JSON_REAL && json_is_number(v)) || (type == JSON_TRUE && json_is_boolean(v)) ||
		 (type == JSON_OBJECT && json_is_object(v));
	if (!ok)
		return hx_err_set(err, HX_EBADREQ, "wrong_type", path, "字段%s的类型不正确", path);
	return 0;
}

static const char *str(const json_t *t, const char *path)
{
	const char *s = json_string_value(at(t, path));
	return s && *s ? s : NULL;
}

/* The first day after the term, for counting whole months and years:
 * a term from 2026-01-01 to 2026-12-31 is one year. */
static void day_after(char out[11], const char *date)
{
	hx_date_add_days(out, date, 1);
}

/* Term at least n months long (both ends count). */
static int term_at_least(const char *start, const char *end, int months)
{
	char after[11], mark[11];
	day_after(after, end);
	hx_date_add_months(mark, start, months);
	return strcmp(after, mark) >= 0;
}

int hx_contract_lint(json_t **out, const json_t *t, const hx_wages *w, const char *today_in, hx_err *err)
{
	if (!json_is_object(t))
		return hx_err_set(err, HX_EBADREQ, "bad_input", "", "合同内容应为JSON对象");
	static const struct {
		const char *path;
		int type;
	} types[] = {{"kind", JSON_STRING},        {"employer", JSON_OBJECT},         {"worker", JSON_OBJECT},
		     {"term", JSON_OBJECT},        {"job", JSON_OBJECT},              {"hours", JSON_OBJECT},
		     {"pay", JSON_OBJECT},         {"prior", JSON_OBJECT},            {"employer.uscc", JSON_STRING},
		     {"employer.name", JSON_STRING}, {"employer.legal_representative", JSON_STRING},
		     {"employer.address", JSON_STRING}, {"employer.area_code", JSON_STRING},
		     {"employer.wage_tier", JSON_INTEGER},
		     {"worker.name", JSON_STRING}, {"worker.id_number", JSON_STRING}, {"worker.address", JSON_STRING},
		     {"worker.phone", JSON_STRING}, {"term.type", JSON_STRING},       {"term.start", JSON_STRING},
		     {"term.end", JSON_STRING},    {"probation_months", JSON_INTEGER}, {"job.title", JSON_STRING},
		     {"job.location", JSON_STRING}, {"hours.system", JSON_STRING},    {"hours.approval_no", JSON_STRING},
		     {"hours.hours_per_week", JSON_REAL}, {"pay.monthly", JSON_REAL}, {"pay.probation_monthly", JSON_REAL},
		     {"pay.hourly", JSON_REAL},    {"pay.pay_day", JSON_INTEGER},     {"social_insurance", JSON_TRUE},
		     {"protection", JSON_STRING},  {"hire_date", JSON_STRING},        {"sign_date", JSON_STRING},
		     {"prior.fixed_term_contracts", JSON_INTEGER}, {"prior.years_of_service", JSON_REAL},
		     {"prior.had_probation", JSON_TRUE}, {"prior.contract_end", JSON_STRING}};
	int rc;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if ((rc = typed(t, types[i].path, types[i].type, err)))
			return rc;
	static const char *const dates[] = {"term.start", "term.end", "hire_date", "sign_date", "prior.contract_end"};
	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
		if (str(t, dates[i]) && hx_date_parse(str(t, dates[i]), NULL, NULL, NULL))
			return hx_err_set(err, HX_EBADREQ, "bad_date", dates[i], "字段%s应为有效日期（YYYY-MM-DD）", dates[i]);
	const char *kind = str(t, "kind");
	if (!kind || (strcmp(kind, "full_time") != 0 && strcmp(kind, "part_time") != 0))
		return hx_err_set(err, HX_EBADREQ, "bad_kind", "kind", "kind应为full_time（全日制）或part_time（非全日制）");
	int part = strcmp(kind, "part_time") == 0;
	const char *ttype = str(t, "term.type");
	if (ttype && strcmp(ttype, "fixed") != 0 && strcmp(ttype, "open_ended") != 0 && strcmp(ttype, "task") != 0)
		return hx_err_set(err, HX_EBADREQ, "bad_term", "term.type", "term.type应为fixed、open_ended或task");
	const char *sys = str(t, "hours.system");
	if (sys && strcmp(sys, "standard") != 0 && strcmp(sys, "comprehensive") != 0 && strcmp(sys, "flexible") != 0)
		return hx_err_set(err, HX_EBADREQ, "bad_hours", "hours.system", "hours.system应为standard、comprehensive或flexible");

	char today[11];
	if (today_in && hx_date_parse(today_in, NULL, NULL, NULL) == 0)
		snprintf(today, sizeof today, "%s", today_in);
	else
		hx_today(today);
	lint L = {json_array(), json_array()};

	/* 第十七条: the clauses every labor contract carries */
	static const struct {
		const char *path, *what, *item;
	} clauses[] = {{"employer.name", "用人单位名称", "（一）"},
		       {"employer.address", "用人单位住所", "（一）"},
		       {"employer.legal_representative", "法定代表人或者主要负责人", "（一）"},
		       {"worker.name", "劳动者姓名", "（二）"},
		       {"worker.address", "劳动者住址", "（二）"},
		       {"worker.id_number", "劳动者居民身份证号码", "（二）"},
		       {"term.type", "劳动合同期限", "（三）"},
		       {"term.start", "劳动合同起始日期", "（三）"},
		       {"job.title", "工作内容", "（四）"},
		       {"job.location", "工作地点", "（四）"},
		       {"hours.system", "工作时间和休息休假", "（五）"},
		       {"protection", "劳动保护、劳动条件和职业危害防护", "（八）"}};
	for (size_t i = 0; i < sizeof clauses / sizeof clauses[0]; i++)
		if (!str(t, clauses[i].path))
			add(L.errors, "missing_clause", clauses[i].path, "缺少必备条款：%s（《劳动合同法》第十七条第一款第%s项）",
			    clauses[i].what, clauses[i].item);
	/* (三) a fixed term has an end */
	if (ttype && strcmp(ttype, "fixed") == 0 && !str(t, "term.end"))
		add(L.errors, "missing_clause", "term.end", "固定期限劳动合同缺少终止日期（《劳动合同法》第十七条第一款第（三）项、第十三条）");
	/* (六) pay */
	const char *paypath = part ? "pay.hourly" : "pay.monthly";
	json_t *payv = at(t, paypath);
	if (!json_is_number(payv))
		add(L.errors, "missing_clause", paypath, "缺少必备条款：劳动报酬（%s）（《劳动合同法》第十七条第一款第（六）项）",
		    part ? "小时工资" : "月工资");
	/* (七) social insurance */
	if (!json_is_boolean(json_object_get(t, "social_insurance")))
		add(L.errors, "missing_clause", "social_insurance", "缺少必备条款：社会保险（《劳动合同法》第十七条第一款第（七）项）");

	const char *uscc = str(t, "employer.uscc");
	hx_err e = {0};
	if (!uscc)
		add(L.errors, "invalid_uscc", "employer.uscc", "缺少用人单位统一社会信用代码");
	else if (hx_uscc_check(uscc, "employer.uscc", &e))
		add(L.errors, "invalid_uscc", "employer.uscc", "%s", e.msg);
	const char *idn = str(t, "worker.id_number");
	hx_idnum_info info;
	int have_birth = 0;
	if (idn) {
		if (hx_idnum_check(idn, &info, "worker.id_number", &e))
			add(L.errors, "invalid_id_number", "worker.id_number", "%s", e.msg);
		else
			have_birth = 1;
	}
	const char *start = str(t, "term.start"), *end = str(t, "term.end");
	if (start && end && strcmp(end, start) < 0)
		add(L.errors, "end_before_start", "term.end", "劳动合同终止日期（%s）早于起始日期（%s）", end, start);
	if (have_birth && start) {
		int age = hx_age_on(info.birth, start);
		if (age < 16)
			add(L.errors, "child_labor", "worker.id_number",
			    "劳动者在合同起始日未满16周岁（%d岁），用人单位不得招用（《劳动法》第十五条、《禁止使用童工规定》第二条）",
			    age < 0 ? 0 : age);
		else if (age < 18)
			add(L.warnings, "minor_worker", "worker.id_number",
			    "劳动者为未成年工（%d岁）：须向所在地劳动行政部门办理登记、定期健康检查，不得安排禁忌劳动（《劳动法》第五十八条、第六十四条、第六十五条，《未成年工特殊保护规定》）",
			    age);
	}

	/* 第十九条: probation limits; 第七十条: none for part-time */
	json_t *pm = json_object_get(t, "probation_months");
	long long prob = json_is_integer(pm) ? json_integer_value(pm) : 0;
	if (prob < 0 || prob > 12) {
		json_decref(L.errors);
		json_decref(L.warnings);
		return hx_err_set(err, HX_EBADREQ, "out_of_range", "probation_months", "试用期月数应在0到12之间");
	}
	if (part && prob > 0)
		add(L.errors, "part_time_probation", "probation_months", "非全日制用工双方当事人不得约定试用期（《劳动合同法》第七十条）");
	else if (prob > 0 && ttype && start) {
		long long limit = -1;
		const char *why = NULL;
		if (strcmp(ttype, "task") == 0)
			limit = 0, why = "以完成一定工作任务为期限的劳动合同不得约定试用期";
		else if (strcmp(ttype, "open_ended") == 0)
			limit = 6, why = "无固定期限的劳动合同，试用期不得超过六个月";
		else if (end && strcmp(end, start) >= 0) {
			if (!term_at_least(start, end, 3))
				limit = 0, why = "劳动合同期限不满三个月的，不得约定试用期";
			else if (!term_at_least(start, end, 12))
				limit = 1, why = "劳动合同期限三个月以上不满一年的，试用期不得超过一个月";
			else if (!term_at_least(start, end, 36))
				limit = 2, why = "劳动合同期限一年以上不满三年的，试用期不得超过二个月";
			else
				limit = 6, why = "三年以上固定期限的劳动合同，试用期不得超过六个月";
		}
		if (limit >= 0 && prob > limit)
			add(L.errors, "probation_too_long", "probation_months", "试用期%lld个月超过法定上限：%s（《劳动合同法》第十九条）", prob, why);
	}
	/* 第十九条第二款: one probation per employer and worker. A renewal
	 * (prior.contract_end) follows a contract with this employer; and an
	 * earlier contract here may have had its probation (prior.had_probation,
	 * which the server sets from its contract data) */
	const char *prior_end = str(t, "prior.contract_end");
	if (!part && prob > 0 && prior_end)
		add(L.errors, "probation_repeated", "probation_months",
		    "续订劳动合同不得再约定试用期：同一用人单位与同一劳动者只能约定一次试用期（《劳动合同法》第十九条第二款）");
	else if (!part && prob > 0 && json_is_true(at(t, "prior.had_probation")))
		add(L.errors, "probation_repeated", "probation_months",
		    "该劳动者此前在本单位的劳动合同已约定过试用期，不得再次约定：同一用人单位与同一劳动者只能约定一次试用期（《劳动合同法》第十九条第二款）");

	/* minimum wages for the employer's area at the start date */
	double minm = 0, minh = 0;
	int tier = 0;
	int have_min = start && w && hx_wages_minimum(&minm, &minh, &tier, w, str(t, "employer.area_code"), start, &e) == 0;
	/* an administrator's tier for the area replaces the data's */
	json_t *wt = at(t, "employer.wage_tier");
	if (have_min && json_is_integer(wt) && json_integer_value(wt) >= 1 && json_integer_value(wt) <= 3)
		hx_wages_minimum_tier(&minm, &minh, w, (int)json_integer_value(wt), start), tier = (int)json_integer_value(wt);
	if (have_min) {
		if (!part && json_is_number(payv) && json_number_value(payv) < minm)
			add(L.errors, "wage_below_minimum", "pay.monthly",
			    "月工资%.2f元低于合同起始日当地月最低工资标准%.0f元（第%d档）（《劳动法》第四十八条，《最低工资规定》，浙江省最低工资标准）",
			    json_number_value(payv), minm, tier);
		if (part && json_is_number(payv) && json_number_value(payv) < minh)
			add(L.errors, "wage_below_minimum", "pay.hourly",
			    "小时工资%.2f元低于合同起始日当地小时最低工资标准%.0f元（第%d档）（《劳动合同法》第七十二条，浙江省最低工资标准）",
			    json_number_value(payv), minh, tier);
	}
	/* 第二十条 + 实施条例第十五条: probation pay floor */
	json_t *pp = at(t, "pay.probation_monthly");
	if (!part && prob > 0 && json_is_number(pp) && json_is_number(payv)) {
		double floor80 = json_number_value(payv) * 0.8;
		double floorv = have_min && minm > floor80 ? minm : floor80;
		if (json_number_value(pp) + 1e-9 < floorv)
			add(L.errors, "probation_wage_below_floor", "pay.probation_monthly",
			    "试用期工资%.2f元低于下限%.2f元：不得低于本单位相同岗位最低档工资或者劳动合同约定工资的百分之八十，并不得低于用人单位所在地的最低工资标准（《劳动合同法》第二十条、《劳动合同法实施条例》第十五条）",
			    json_number_value(pp), floorv);
	}
	/* 第六十八条: part-time hours */
	json_t *hpw = at(t, "hours.hours_per_week");
	if (part && json_is_number(hpw) && json_number_value(hpw) > 24)
		add(L.errors, "part_time_hours_exceeded", "hours.hours_per_week",
		    "非全日制用工每周工作时间累计不得超过二十四小时，合同约定%.1f小时（《劳动合同法》第六十八条）", json_number_value(hpw));
	/* special working-hour systems need the labor bureau's approval */
	if (sys && strcmp(sys, "standard") != 0 && !str(t, "hours.approval_no"))
		add(L.errors, "special_hours_without_approval", "hours.approval_no",
		    "实行%s须经劳动行政部门批准，请填写审批文号（《劳动法》第三十九条，《关于企业实行不定时工作制和综合计算工时工作制的审批办法》第四条、第五条）",
		    strcmp(sys, "comprehensive") == 0 ? "综合计算工时工作制" : "不定时工作制");

	/* 第十四条: open-ended contract due */
	json_t *ftc = at(t, "prior.fixed_term_contracts"), *yos = at(t, "prior.years_of_service");
	if (ttype && strcmp(ttype, "fixed") == 0) {
		if (json_is_integer(ftc) && json_integer_value(ftc) >= 2)
			add(L.warnings, "open_ended_due", "term.type",
			    "已连续订立%lld次固定期限劳动合同，劳动者没有第三十九条和第四十条第一项、第二项规定情形的，续订时劳动者提出或同意续订的，应当订立无固定期限劳动合同（《劳动合同法》第十四条第二款第（三）项）",
			    (long long)json_integer_value(ftc));
		else if (json_is_number(yos) && json_number_value(yos) >= 10)
			add(L.warnings, "open_ended_due", "term.type",
			    "劳动者在本单位连续工作已满十年，劳动者提出或同意续订的，应当订立无固定期限劳动合同（《劳动合同法》第十四条第二款第（一）项）");
	}
	/* 第十条、第八十二条: a written contract within a month of hiring; a
	 * renewal within a month of the old contract's end (the work goes on
	 * from the next day without a written contract) */
	const char *hire = str(t, "hire_date"), *sign = str(t, "sign_date");
	if (prior_end) {
		char from[11], limit[11];
		day_after(from, prior_end);
		hx_date_add_months(limit, from, 1);
		const char *when = sign ? sign : today;
		if (strcmp(when, limit) > 0)
			add(L.warnings, "late_signing", sign ? "sign_date" : "term.start",
			    "原劳动合同于%s期满，此后超过一个月%s续订书面劳动合同：继续用工的，应自原合同期满次日起一个月内订立；超过一个月不满一年未订立的，应向劳动者每月支付二倍工资（《劳动合同法》第十条、第八十二条）",
			    prior_end, sign ? "才" : "仍未");
	} else if (hire) {
		char limit[11];
		hx_date_add_months(limit, hire, 1);
		const char *when = sign ? sign : today;
		if (strcmp(when, limit) > 0)
			add(L.warnings, "late_signing", sign ? "sign_date" : "hire_date",
			    "自用工之日（%s）起超过一个月%s订立书面劳动合同：应自用工之日起一个月内订立；超过一个月不满一年未订立的，应向劳动者每月支付二倍工资（《劳动合同法》第十条、第八十二条）",
			    hire, sign ? "才" : "仍未");
	}
	*out = json_pack("{s:o,s:o}", "errors", L.errors, "warnings", L.warnings);
	return 0;
}
