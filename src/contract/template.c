/* Contract templates (合同范本) and their rendering: the templates are data
 * (data/templates/, format in docs/template-format.md) whose paragraphs
 * carry {{field.path}} placeholders; rendering fills them from the
 * contract terms (the shape of the legal check) and lays the result out
 * as a signed-paper A4 PDF: title, parties, numbered sections, signatures. */
#include "contract.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/buf.h"
#include "../core/timeutil.h"
#include "../report/report.h"

#define BLANK "＿＿＿＿"
#define TEMPLATE_FILE_MAX ((size_t)256 << 10)
#define TEMPLATES_MAX 200
#define SECTIONS_MAX 60
#define PARAGRAPHS_MAX 100
#define NAME_MAX_LEN 63
#define CLAUSES_MAX 100
#define CLAUSE_MAX 4000

/* ---- placeholders ---------------------------------------------------------- */

/* A placeholder name is a dotted path of [a-z0-9_] segments: term.start. */
static int valid_name(const char *s, size_t n)
{
	if (n == 0 || n > NAME_MAX_LEN || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.' ? s[i + 1] == '.'
			     : !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* "2026-01-01" → "2026年1月1日"; 0 when s is a date. */
static int cn_date(char out[32], const char *s)
{
	int y, m, d;
	if (!s || strlen(s) != 10 || hx_date_parse(s, &y, &m, &d))
		return -1;
	snprintf(out, 32, "%d年%d月%d日", y, m, d);
	return 0;
}

static void money(char out[48], double v)
{
	if (v == (double)(long long)v)
		snprintf(out, 48, "%lld", (long long)v);
	else
		snprintf(out, 48, "%.2f", v);
}

static const json_t *at(const json_t *terms, const char *path)
{
	char buf[NAME_MAX_LEN + 1];
	snprintf(buf, sizeof buf, "%s", path);
	const json_t *v = terms;
	for (char *seg = buf, *dot; v && seg; seg = dot) {
		if ((dot = strchr(seg, '.')))
			*dot++ = '\0';
		v = json_object_get(v, seg);
	}
	return v;
}

static const char *str(const json_t *terms, const char *path)
{
	const char *s = json_string_value(at(terms, path));
	return s && *s ? s : NULL;
}

/* What one rendering fills from: the terms and, when asked, the list of
 * fields that had nothing to print (a document about to be sent must have
 * none: a signed PDF cannot be completed by hand). */
typedef struct fill {
	const json_t *terms;
	json_t *missing; /* [field path…] or NULL */
} fill;

/* Notes path as unfilled and answers the blank line. */
static const char *blank(fill *f, const char *path)
{
	if (!f->missing)
		return BLANK;
	size_t i;
	json_t *v;
	json_array_foreach(f->missing, i, v) {
		if (strcmp(json_string_value(v), path) == 0)
			return BLANK;
	}
	json_array_append_new(f->missing, json_string(path));
	return BLANK;
}

static int miss(hx_buf *b, fill *f, const char *path)
{
	return hx_buf_puts(b, blank(f, path));
}

/* The same, noting the blank. */
static const char *fill_date(char out[32], fill *f, const char *path)
{
	return cn_date(out, str(f->terms, path)) ? blank(f, path) : out;
}

/* ---- field labels ---- */

/* The Chinese name of each field a document prints, for the before → after
 * lines of an amendment and for the message naming an unfilled field.
 * fmt says how an amendment prints the value. */
enum fmt { F_TEXT, F_DATE, F_MONEY, F_MONTHS, F_HOURS, F_PAY_DAY, F_TERM_TYPE, F_HOURS_SYSTEM, F_INSURANCE, F_COUNT };

static const struct label {
	const char *path, *label;
	enum fmt fmt;
	int changeable; /* may be changed by an amendment (第三十五条) */
} LABELS[] = {
	{"term.type", "劳动合同期限", F_TERM_TYPE, 1},
	{"term.start", "劳动合同起始日期", F_DATE, 1},
	{"term.end", "劳动合同终止日期", F_DATE, 1},
	{"term.task", "工作任务", F_TEXT, 1},
	{"probation_months", "试用期", F_MONTHS, 1},
	{"job.title", "工作岗位", F_TEXT, 1},
	{"job.location", "工作地点", F_TEXT, 1},
	{"hours.system", "工时制度", F_HOURS_SYSTEM, 1},
	{"hours.approval_no", "特殊工时制度批准文号", F_TEXT, 1},
	{"hours.hours_per_week", "每周工作时间", F_HOURS, 1},
	{"pay.monthly", "月工资", F_MONEY, 1},
	{"pay.probation_monthly", "试用期月工资", F_MONEY, 1},
	{"pay.hourly", "小时工资", F_MONEY, 1},
	{"pay.pay_day", "工资支付日", F_PAY_DAY, 1},
	{"social_insurance", "社会保险", F_INSURANCE, 1},
	{"protection", "劳动保护、劳动条件和职业危害防护", F_TEXT, 1},
	{"prior.fixed_term_contracts", "已连续订立固定期限劳动合同次数", F_COUNT, 1},
	{"prior.years_of_service", "在本单位连续工作年限", F_TEXT, 1},
	{"kind", "合同类型", F_TEXT, 0},
	{"employer.name", "用人单位名称", F_TEXT, 0},
	{"employer.address", "用人单位住所", F_TEXT, 0},
	{"employer.legal_representative", "法定代表人（主要负责人）", F_TEXT, 0},
	{"employer.uscc", "统一社会信用代码", F_TEXT, 0},
	{"worker.name", "劳动者姓名", F_TEXT, 0},
	{"worker.id_number", "劳动者居民身份证号码", F_TEXT, 0},
	{"worker.address", "劳动者住址", F_TEXT, 0},
	{"worker.phone", "劳动者联系电话", F_TEXT, 0},
	{"hire_date", "用工之日（入职日期）", F_DATE, 0},
	{"date", "解除或终止日期", F_DATE, 0},
	{"event", "解除或终止", F_TEXT, 0},
	{"reason", "解除或终止的原因", F_TEXT, 0},
	{"legal_basis", "解除或终止的法律依据", F_TEXT, 0},
	{"effective_date", "变更生效日期", F_DATE, 0},
	{"changes", "变更内容", F_TEXT, 0},
	{"original.number", "原劳动合同编号", F_TEXT, 0},
	{"original.signed_date", "原劳动合同签订日期", F_DATE, 0},
};

const char *hx_contract_field_label(const char *path)
{
	for (size_t i = 0; path && i < sizeof LABELS / sizeof LABELS[0]; i++)
		if (strcmp(LABELS[i].path, path) == 0)
			return LABELS[i].label;
	return NULL;
}

int hx_contract_field_changeable(const char *path)
{
	for (size_t i = 0; path && i < sizeof LABELS / sizeof LABELS[0]; i++)
		if (strcmp(LABELS[i].path, path) == 0)
			return LABELS[i].changeable;
	return 0;
}

/* ---- computed placeholders (docs/template-format.md) ---- */

static int part_time(const json_t *t)
{
	const char *k = str(t, "kind");
	return k && strcmp(k, "part_time") == 0;
}

static int c_kind(hx_buf *b, fill *f)
{
	const char *k = str(f->terms, "kind");
	if (k && strcmp(k, "full_time") == 0)
		return hx_buf_puts(b, "全日制");
	if (k && strcmp(k, "part_time") == 0)
		return hx_buf_puts(b, "非全日制");
	return miss(b, f, "kind");
}

static int c_term(hx_buf *b, fill *f)
{
	const json_t *t = f->terms;
	const char *type = str(t, "term.type");
	char s[32], e[32];
	if (type && strcmp(type, "fixed") == 0) {
		const char *sd = fill_date(s, f, "term.start");
		return hx_buf_printf(b, "固定期限，自%s起至%s止", sd, fill_date(e, f, "term.end"));
	}
	if (type && strcmp(type, "open_ended") == 0)
		return hx_buf_printf(b, "无固定期限，自%s起", fill_date(s, f, "term.start"));
	if (type && strcmp(type, "task") == 0) {
		const char *task = str(t, "term.task");
		return hx_buf_printf(b, "以完成%s工作任务为期限，自%s起至该工作任务完成时止", task ? task : "一定",
				     fill_date(s, f, "term.start"));
	}
	return miss(b, f, "term.type");
}

static int c_probation(hx_buf *b, fill *f)
{
	const json_t *t = f->terms;
	const json_t *pm = at(t, "probation_months");
	long long n = json_is_integer(pm) ? json_integer_value(pm) : 0;
	const char *start = str(t, "term.start");
	char s[32], e[32], last[11], after[11];
	if (n <= 0 || n > 12)
		return hx_buf_puts(b, "不约定试用期");
	if (cn_date(s, start))
		return hx_buf_printf(b, "试用期%lld个月，包含在劳动合同期限内", n);
	/* 第十九条第四款: probation is part of the term; it ends the day
	 * before the same date n months later */
	hx_date_add_months(after, start, (int)n);
	hx_date_add_days(last, after, -1);
	cn_date(e, last);
	return hx_buf_printf(b, "试用期%lld个月，自%s起至%s止，包含在劳动合同期限内", n, s, e);
}

static int c_hours(hx_buf *b, fill *f)
{
	const json_t *t = f->terms;
	const json_t *hpw = at(t, "hours.hours_per_week");
	char h[48];
	if (part_time(t)) {
		int rc = hx_buf_puts(b, "非全日制用工，平均每日工作时间一般不超过四小时，每周工作时间累计不超过二十四小时");
		if (!rc && json_is_number(hpw)) {
			money(h, json_number_value(hpw));
			rc = hx_buf_printf(b, "；本合同约定每周工作%s小时", h);
		}
		return rc;
	}
	const char *sys = str(t, "hours.system"), *no = str(t, "hours.approval_no");
	if (sys && strcmp(sys, "standard") == 0)
		return hx_buf_puts(b, "标准工时制，每日工作时间不超过八小时，每周工作时间不超过四十小时，每周至少休息一日");
	if (sys && strcmp(sys, "comprehensive") == 0)
		return hx_buf_printf(b, "经劳动行政部门批准（批准文号：%s）的综合计算工时工作制，综合计算周期内的平均日工作时间和平均周工作时间不超过法定标准工作时间",
				     no ? no : blank(f, "hours.approval_no"));
	if (sys && strcmp(sys, "flexible") == 0)
		return hx_buf_printf(b, "经劳动行政部门批准（批准文号：%s）的不定时工作制，甲方采用弹性工作时间等方式保障乙方的休息休假权利",
				     no ? no : blank(f, "hours.approval_no"));
	return miss(b, f, "hours.system");
}

static int c_pay(hx_buf *b, fill *f)
{
	const json_t *t = f->terms;
	char m[48], p[48];
	if (part_time(t)) {
		const json_t *h = at(t, "pay.hourly");
		if (!json_is_number(h))
			return miss(b, f, "pay.hourly");
		money(m, json_number_value(h));
		return hx_buf_printf(b, "乙方的小时工资为人民币%s元", m);
	}
	const json_t *mo = at(t, "pay.monthly"), *pr = at(t, "pay.probation_monthly"), *pm = at(t, "probation_months");
	if (!json_is_number(mo))
		return miss(b, f, "pay.monthly");
	money(m, json_number_value(mo));
	int rc = hx_buf_printf(b, "乙方的月工资为人民币%s元", m);
	if (!rc && json_is_integer(pm) && json_integer_value(pm) > 0) {
		if (!json_is_number(pr))
			return hx_buf_printf(b, "，试用期月工资为人民币%s元", blank(f, "pay.probation_monthly"));
		money(p, json_number_value(pr));
		rc = hx_buf_printf(b, "，试用期月工资为人民币%s元", p);
	}
	return rc;
}

static int c_social_insurance(hx_buf *b, fill *f)
{
	const json_t *t = f->terms;
	const json_t *si = at(t, "social_insurance");
	if (!json_is_boolean(si))
		return miss(b, f, "social_insurance");
	/* 《社会保险法》第十条第二款、第二十三条第二款: a part-time worker may
	 * join pension and medical insurance personally; injury insurance is
	 * the employer's in every case (《工伤保险条例》第二条) */
	if (part_time(t) && json_is_false(si))
		return hx_buf_puts(b, "甲方依法为乙方缴纳工伤保险费；乙方可以按照国家规定以个人身份参加基本养老保险和基本医疗保险");
	return hx_buf_puts(b, "甲方依法为乙方办理基本养老保险、基本医疗保险、工伤保险、失业保险和生育保险，并按时足额缴纳社会保险费；应由乙方个人缴纳的部分，由甲方从乙方工资中代扣代缴");
}

/* 实施条例第二十四条: the years of service in this unit, from the hire
 * date (用工之日) to the day the contract is rescinded or ends, in whole
 * months: 3年 / 2年11个月 / 5个月 / 不满一个月. */
static int c_service(hx_buf *b, fill *f)
{
	const char *from = str(f->terms, "hire_date"), *to = str(f->terms, "date");
	int y1, m1, d1, y2, m2, d2;
	char after[11];
	if (!from || hx_date_parse(from, &y1, &m1, &d1))
		return miss(b, f, "hire_date");
	if (!to || hx_date_parse(to, NULL, NULL, NULL) || strcmp(to, from) < 0)
		return miss(b, f, "date");
	hx_date_add_days(after, to, 1);
	hx_date_parse(after, &y2, &m2, &d2);
	int months = (y2 - y1) * 12 + (m2 - m1) - (d2 < d1 ? 1 : 0);
	if (months <= 0)
		return hx_buf_puts(b, "不满一个月");
	if (months / 12 && months % 12)
		return hx_buf_printf(b, "%d年%d个月", months / 12, months % 12);
	if (months / 12)
		return hx_buf_printf(b, "%d年", months / 12);
	return hx_buf_printf(b, "%d个月", months);
}

/* 第五十条: 解除 (rescinded by a party) or 终止 (ended by law). */
static int c_event(hx_buf *b, fill *f)
{
	const char *k = str(f->terms, "event");
	if (k && strcmp(k, "rescind") == 0)
		return hx_buf_puts(b, "解除");
	if (k && strcmp(k, "terminate") == 0)
		return hx_buf_puts(b, "终止");
	return miss(b, f, "event");
}

/* One value of an amended term as the amendment prints it. */
static int change_value(hx_buf *b, enum fmt fmt, const json_t *v)
{
	char tmp[48], d[32];
	const char *s = json_string_value(v);
	if (!v || json_is_null(v) || (s && !*s))
		return hx_buf_puts(b, "无");
	switch (fmt) {
	case F_DATE:
		if (s && !cn_date(d, s))
			return hx_buf_puts(b, d);
		break;
	case F_MONEY:
	case F_HOURS:
		if (json_is_number(v)) {
			money(tmp, json_number_value(v));
			return hx_buf_printf(b, "%s%s", tmp, fmt == F_MONEY ? "元" : "小时");
		}
		break;
	case F_MONTHS:
		if (json_is_integer(v))
			return json_integer_value(v) > 0 ? hx_buf_printf(b, "%lld个月", (long long)json_integer_value(v))
							 : hx_buf_puts(b, "不约定试用期");
		break;
	case F_PAY_DAY:
		if (json_is_integer(v))
			return hx_buf_printf(b, "每月%lld日", (long long)json_integer_value(v));
		break;
	case F_COUNT:
		if (json_is_integer(v))
			return hx_buf_printf(b, "%lld次", (long long)json_integer_value(v));
		break;
	case F_TERM_TYPE:
	case F_HOURS_SYSTEM: {
		static const char *const term_types[] = {"fixed", "固定期限", "open_ended", "无固定期限", "task",
							 "以完成一定工作任务为期限", NULL};
		static const char *const hours_systems[] = {"standard", "标准工时制", "comprehensive", "综合计算工时工作制",
							    "flexible", "不定时工作制", NULL};
		const char *const *map = fmt == F_TERM_TYPE ? term_types : hours_systems;
		for (int i = 0; s && map[i]; i += 2)
			if (strcmp(s, map[i]) == 0)
				return hx_buf_puts(b, map[i + 1]);
		break;
	}
	case F_INSURANCE:
		if (json_is_boolean(v))
			return hx_buf_puts(b, json_is_true(v) ? "甲方依法办理五项社会保险" : "甲方缴纳工伤保险，乙方以个人身份参加养老和医疗保险");
		break;
	case F_TEXT:
		break;
	}
	if (s)
		return hx_buf_puts(b, s);
	if (json_is_integer(v))
		return hx_buf_printf(b, "%lld", (long long)json_integer_value(v));
	if (json_is_real(v)) {
		money(tmp, json_real_value(v));
		return hx_buf_puts(b, tmp);
	}
	if (json_is_boolean(v))
		return hx_buf_puts(b, json_is_true(v) ? "是" : "否");
	return hx_buf_puts(b, "无");
}

/* 第三十五条: each changed term of an amendment, before → after, one per
 * line in the order of the contract: （1）月工资：4200元 → 4600元. The
 * terms carry "changes" (the new values) and "before" (the original's
 * values of the same fields). */
static int c_changes(hx_buf *b, fill *f)
{
	const json_t *ch = at(f->terms, "changes"), *before = at(f->terms, "before");
	int n = 0, rc = 0;
	for (size_t i = 0; !rc && i < sizeof LABELS / sizeof LABELS[0]; i++) {
		if (!LABELS[i].changeable)
			continue;
		const json_t *to = at(ch, LABELS[i].path), *from = at(before, LABELS[i].path);
		if (!to || (from && json_equal((json_t *)from, (json_t *)to)) || (!from && json_is_null(to)))
			continue;
		if (!(rc = hx_buf_printf(b, "%s（%d）%s：", n ? "\n" : "", n + 1, LABELS[i].label)) &&
		    !(rc = change_value(b, LABELS[i].fmt, from)) && !(rc = hx_buf_puts(b, " → ")))
			rc = change_value(b, LABELS[i].fmt, to);
		n++;
	}
	return rc ? rc : n ? 0 : miss(b, f, "changes");
}

static const struct {
	const char *name;
	int (*fn)(hx_buf *b, fill *f);
} COMPUTED[] = {
	{"kind.text", c_kind},
	{"term.text", c_term},
	{"probation.text", c_probation},
	{"hours.text", c_hours},
	{"pay.text", c_pay},
	{"social_insurance.text", c_social_insurance},
	{"service.text", c_service},
	{"event.text", c_event},
	{"changes.text", c_changes},
};

/* Writes the value of placeholder name. */
static int put_field(hx_buf *b, const char *name, fill *f)
{
	for (size_t i = 0; i < sizeof COMPUTED / sizeof COMPUTED[0]; i++)
		if (strcmp(name, COMPUTED[i].name) == 0)
			return COMPUTED[i].fn(b, f);
	const json_t *v = at(f->terms, name);
	char tmp[48];
	if (json_is_string(v) && *json_string_value(v)) {
		char d[32];
		return hx_buf_puts(b, cn_date(d, json_string_value(v)) ? json_string_value(v) : d);
	}
	if (json_is_integer(v))
		return hx_buf_printf(b, "%lld", (long long)json_integer_value(v));
	if (json_is_real(v)) {
		money(tmp, json_real_value(v));
		return hx_buf_puts(b, tmp);
	}
	if (json_is_boolean(v))
		return hx_buf_puts(b, json_is_true(v) ? "是" : "否");
	return miss(b, f, name);
}

/* Expands text into b (b NULL: only checks the syntax). On a syntax
 * error, fills why and returns HX_EINVAL. */
static int expand(hx_buf *b, const char *text, fill *f, char *why, size_t whylen)
{
	const char *p = text;
	int rc = 0;
	while (!rc && *p) {
		const char *open = strstr(p, "{{"), *close = strstr(p, "}}");
		if (close && (!open || close < open)) {
			snprintf(why, whylen, "多余的“}}”：%.40s", p);
			return HX_EINVAL;
		}
		if (!open) {
			rc = b ? hx_buf_puts(b, p) : 0;
			break;
		}
		if (b)
			rc = hx_buf_append(b, p, (size_t)(open - p));
		const char *name = open + 2, *end = strstr(name, "}}");
		if (!end) {
			snprintf(why, whylen, "占位符缺少“}}”：%.40s", open);
			return HX_EINVAL;
		}
		size_t n = (size_t)(end - name);
		if (!valid_name(name, n)) {
			snprintf(why, whylen, "占位符“{{%.*s}}”不是字段路径（小写字母、数字、下划线，以点分隔）",
				 (int)(n > NAME_MAX_LEN ? NAME_MAX_LEN : n), name);
			return HX_EINVAL;
		}
		if (b && !rc) {
			char key[NAME_MAX_LEN + 1];
			memcpy(key, name, n);
			key[n] = '\0';
			rc = put_field(b, key, f);
		}
		p = end + 2;
	}
	return rc;
}

/* ---- loading ---------------------------------------------------------------- */

static void template_clear(hx_template *t)
{
	free(t->title);
	json_decref(t->sections);
}

void hx_template_set_free(hx_template_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		template_clear(&s->items[i]);
	free(s->items);
	free(s);
}

static int only_keys(const json_t *o, const char *const *keys, const char **bad)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		size_t i = 0;
		while (keys[i] && strcmp(keys[i], k) != 0)
			i++;
		if (!keys[i]) {
			*bad = k;
			return -1;
		}
	}
	return 0;
}

static int check_text(const json_t *v, const char *where, char *why, size_t whylen)
{
	char inner[200];
	if (!json_is_string(v)) {
		snprintf(why, whylen, "%s应为字符串", where);
		return HX_EINVAL;
	}
	if (json_string_length(v) > HX_PDF_TEXT_MAX / 2) {
		snprintf(why, whylen, "%s过长", where);
		return HX_EINVAL;
	}
	if (expand(NULL, json_string_value(v), NULL, inner, sizeof inner)) {
		snprintf(why, whylen, "%s：%s", where, inner);
		return HX_EINVAL;
	}
	return 0;
}

static int refuse(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return HX_EINVAL;
}

/* Validates one parsed file into t (which then owns what it holds). */
static int template_parse(hx_template *t, json_t *d, const char *fname, char *why, size_t whylen)
{
	static const char *const top[] = {"id", "version", "title", "sections", NULL};
	static const char *const sec[] = {"heading", "paragraphs", "slot", NULL};
	const char *bad, *id = json_string_value(json_object_get(d, "id"));
	json_t *ver = json_object_get(d, "version"), *title = json_object_get(d, "title"),
	       *sections = json_object_get(d, "sections");
	char where[64], expect[80];
	if (!json_is_object(d))
		return refuse(why, whylen, "应为JSON对象");
	if (only_keys(d, top, &bad))
		return refuse(why, whylen, "未知的键“%.60s”", bad);
	if (!id || !valid_name(id, strlen(id)) || strchr(id, '.') || strlen(id) >= sizeof t->id)
		return refuse(why, whylen, "id应为1至32个小写字母、数字或下划线");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1 || json_integer_value(ver) > 9999)
		return refuse(why, whylen, "version应为1至9999的整数");
	snprintf(expect, sizeof expect, "%s.v%d.json", id, (int)json_integer_value(ver));
	if (strcmp(fname, expect) != 0)
		return refuse(why, whylen, "文件名应为%s", expect);
	if (check_text(title, "title", why, whylen))
		return HX_EINVAL;
	if (!json_is_array(sections) || !json_array_size(sections) || json_array_size(sections) > SECTIONS_MAX)
		return refuse(why, whylen, "sections应为1至%d节的数组", SECTIONS_MAX);
	size_t i, j;
	json_t *s, *p;
	int slots = 0;
	json_array_foreach(sections, i, s) {
		snprintf(where, sizeof where, "sections[%zu]", i);
		if (!json_is_object(s))
			return refuse(why, whylen, "%s应为对象", where);
		if (only_keys(s, sec, &bad))
			return refuse(why, whylen, "%s：未知的键“%.60s”", where, bad);
		json_t *slot = json_object_get(s, "slot"), *paras = json_object_get(s, "paragraphs");
		if (slot && (!json_is_string(slot) || strcmp(json_string_value(slot), "extra_clauses") != 0 || slots++))
			return refuse(why, whylen, "%s：slot只能是\"extra_clauses\"，且至多一节", where);
		snprintf(where, sizeof where, "sections[%zu].heading", i);
		if (check_text(json_object_get(s, "heading"), where, why, whylen))
			return HX_EINVAL;
		if (!json_is_array(paras) || json_array_size(paras) > PARAGRAPHS_MAX ||
		    (!slot && !json_array_size(paras)))
			return refuse(why, whylen, "sections[%zu].paragraphs应为1至%d段文字的数组", i, PARAGRAPHS_MAX);
		json_array_foreach(paras, j, p) {
			snprintf(where, sizeof where, "sections[%zu].paragraphs[%zu]", i, j);
			if (check_text(p, where, why, whylen))
				return HX_EINVAL;
		}
	}
	snprintf(t->id, sizeof t->id, "%s", id);
	t->version = (int)json_integer_value(ver);
	t->title = strdup(json_string_value(title));
	t->sections = json_incref(sections);
	if (!t->title) {
		snprintf(why, whylen, "out of memory");
		return HX_ENOMEM;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_id_version(const void *a, const void *b)
{
	const hx_template *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->version > y->version) - (x->version < y->version);
}

int hx_template_load_dir(hx_template_set **out, const char *dir, hx_err *err)
{
	*out = NULL;
	DIR *dh = opendir(dir);
	if (!dh)
		return hx_err_set(err, HX_EIO, "bad_template", "", "%s: cannot open the templates directory", dir);
	char **names = NULL;
	size_t nnames = 0;
	int rc = 0;
	hx_template_set *s = calloc(1, sizeof *s);
	if (!s) {
		rc = hx_err_set(err, HX_ENOMEM, "bad_template", "", "out of memory");
		goto done;
	}
	for (struct dirent *e; (e = readdir(dh));) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		char **nn = nnames < TEMPLATES_MAX ? realloc(names, (nnames + 1) * sizeof *names) : NULL;
		if (!nn) {
			rc = hx_err_set(err, HX_ETOOBIG, "bad_template", "", "%s: more than %d templates", dir, TEMPLATES_MAX);
			goto done;
		}
		names = nn;
		if (!(names[nnames] = strdup(e->d_name))) {
			rc = hx_err_set(err, HX_ENOMEM, "bad_template", "", "out of memory");
			goto done;
		}
		nnames++;
	}
	if (!nnames) {
		rc = hx_err_set(err, HX_EINVAL, "bad_template", "", "%s: no templates", dir);
		goto done;
	}
	qsort(names, nnames, sizeof *names, by_name);
	if (!(s->items = calloc(nnames, sizeof *s->items))) {
		rc = hx_err_set(err, HX_ENOMEM, "bad_template", "", "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nnames; i++) {
		char path[4096], why[400] = "";
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (stat(path, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > TEMPLATE_FILE_MAX) {
			rc = hx_err_set(err, HX_EINVAL, "bad_template", "", "%s: not a regular file of at most %zu KiB",
					path, TEMPLATE_FILE_MAX >> 10);
			goto done;
		}
		json_error_t je;
		json_t *d = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
		if (!d) {
			rc = hx_err_set(err, HX_EINVAL, "bad_template", "", "%s:%d: %s", path, je.line, je.text);
			goto done;
		}
		rc = template_parse(&s->items[s->n], d, names[i], why, sizeof why);
		json_decref(d);
		if (rc) {
			rc = hx_err_set(err, rc, "bad_template", "", "%s: %s", path, why);
			goto done;
		}
		s->n++;
	}
	qsort(s->items, s->n, sizeof *s->items, by_id_version);
	for (size_t i = 1; i < s->n; i++)
		if (by_id_version(&s->items[i - 1], &s->items[i]) == 0) {
			rc = hx_err_set(err, HX_EINVAL, "bad_template", "", "%s: template %s v%d twice", dir,
					s->items[i].id, s->items[i].version);
			goto done;
		}
	*out = s;
	s = NULL;
done:
	closedir(dh);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	hx_template_set_free(s);
	return rc;
}

int hx_template_find(const hx_template **out, const hx_template_set *s, const char *id, hx_err *err)
{
	*out = NULL;
	for (size_t i = 0; s && id && i < s->n; i++)
		if (strcmp(s->items[i].id, id) == 0)
			*out = &s->items[i]; /* sorted: the last is the highest version */
	if (!*out)
		return hx_err_set(err, HX_ENOTFOUND, "no_template", "template", "没有名为“%s”的合同范本", id ? id : "");
	return 0;
}

/* ---- rendering ---------------------------------------------------------------- */

/* 1…99 in Chinese numerals: 一, 十, 十一, 二十一. */
static void cn_number(char out[32], int n)
{
	static const char *const d[] = {"", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
	if (n < 10)
		snprintf(out, 32, "%s", d[n]);
	else
		snprintf(out, 32, "%s十%s", n / 10 > 1 ? d[n / 10] : "", d[n % 10]);
}

static int text_error(int rc, hx_err *err)
{
	if (rc == HX_ETOOBIG)
		return hx_err_set(err, HX_ETOOBIG, "too_long", "", "合同的一段文字超过%zu KiB", HX_PDF_TEXT_MAX >> 10);
	return hx_err_set(err, HX_ENOMEM, "render_failed", "", "out of memory");
}

/* Expands text and appends it to arr. */
static int add_text(json_t *arr, hx_buf *b, const char *text, fill *f, hx_err *err)
{
	char why[200];
	hx_buf_reset(b);
	int rc = expand(b, text, f, why, sizeof why);
	if (rc == HX_EINVAL) /* the template was checked when loaded */
		return hx_err_set(err, HX_EINTERNAL, "bad_template", "", "%s", why);
	if (rc || json_array_append_new(arr, json_string(b->len ? b->data : "")))
		return text_error(rc ? rc : HX_ENOMEM, err);
	return 0;
}

static int check_clauses(const json_t *ec, hx_err *err)
{
	size_t i;
	json_t *v;
	if (!json_is_array(ec))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", "extra_clauses", "extra_clauses应为字符串数组");
	if (json_array_size(ec) > CLAUSES_MAX)
		return hx_err_set(err, HX_EINVAL, "too_many", "extra_clauses", "其他约定至多%d条", CLAUSES_MAX);
	json_array_foreach(ec, i, v) {
		if (!json_is_string(v))
			return hx_err_set(err, HX_EBADREQ, "wrong_type", "extra_clauses", "extra_clauses应为字符串数组");
		if (json_string_length(v) > CLAUSE_MAX)
			return hx_err_set(err, HX_EINVAL, "too_long", "extra_clauses", "其他约定第%zu条过长（至多%d字节）",
					  i + 1, CLAUSE_MAX);
	}
	return 0;
}

/* One rendered section; heading (may be "") numbered when not empty. */
static int add_section(json_t *out, int *num, const char *heading, json_t *paras, hx_err *err)
{
	char n[32], h[1024];
	if (*heading) {
		cn_number(n, ++*num);
		snprintf(h, sizeof h, "%s、%s", n, heading);
	} else
		h[0] = '\0';
	if (json_array_append_new(out, json_pack("{s:s,s:O}", "heading", h, "paragraphs", paras)))
		return hx_err_set(err, HX_ENOMEM, "render_failed", "", "out of memory");
	return 0;
}

/* The sections of t filled from f (hx_contract_render_text). */
static int render_sections(json_t **out, const hx_template *t, fill *f, hx_err *err)
{
	const json_t *terms = f->terms;
	*out = NULL;
	if (!json_is_object(terms))
		return hx_err_set(err, HX_EBADREQ, "bad_input", "", "合同内容应为JSON对象");
	const json_t *ec = json_object_get(terms, "extra_clauses");
	int rc, have_ec = ec && !json_is_null(ec);
	if (have_ec && (rc = check_clauses(ec, err)))
		return rc;
	have_ec = have_ec && json_array_size(ec) > 0;
	hx_buf b, clause;
	hx_buf_init(&b, HX_PDF_TEXT_MAX);
	hx_buf_init(&clause, CLAUSE_MAX + 64);
	json_t *res = json_array(), *paras = NULL, *h = json_array();
	int num = 0, slotted = 0;
	size_t i, j;
	json_t *s, *p, *v;
	rc = res && h ? 0 : text_error(HX_ENOMEM, err);
	json_array_foreach(t->sections, i, s) {
		if (rc)
			break;
		int slot = json_object_get(s, "slot") != NULL;
		if (slot && !have_ec)
			continue;
		json_decref(paras);
		if (!(paras = json_array())) {
			rc = text_error(HX_ENOMEM, err);
			break;
		}
		json_array_foreach(json_object_get(s, "paragraphs"), j, p)
			if (!rc)
				rc = add_text(paras, &b, json_string_value(p), f, err);
		if (slot) {
			slotted = 1;
			json_array_foreach(ec, j, v) {
				hx_buf_reset(&clause);
				if (!rc && (rc = hx_buf_printf(&clause, "（%zu）%s", j + 1, json_string_value(v))))
					rc = text_error(rc, err);
				if (!rc && json_array_append_new(paras, json_string(clause.data)))
					rc = text_error(HX_ENOMEM, err);
			}
		}
		json_array_clear(h);
		if (!rc)
			rc = add_text(h, &b, json_string_value(json_object_get(s, "heading")), f, err);
		if (!rc)
			rc = add_section(res, &num, json_string_value(json_array_get(h, 0)), paras, err);
	}
	/* a template without a slot gets 其他约定 at the end */
	if (!rc && have_ec && !slotted) {
		json_decref(paras);
		paras = json_array();
		json_array_foreach(ec, j, v) {
			hx_buf_reset(&clause);
			if (!rc && (rc = hx_buf_printf(&clause, "（%zu）%s", j + 1, json_string_value(v))))
				rc = text_error(rc, err);
			if (!rc && json_array_append_new(paras, json_string(clause.data)))
				rc = text_error(HX_ENOMEM, err);
		}
		if (!rc)
			rc = add_section(res, &num, "其他约定", paras, err);
	}
	json_decref(paras);
	json_decref(h);
	hx_buf_free(&b);
	hx_buf_free(&clause);
	if (rc) {
		json_decref(res);
		return rc;
	}
	*out = res;
	return 0;
}

int hx_contract_render_text(json_t **out, const hx_template *t, const json_t *terms, hx_err *err)
{
	fill f = {terms, NULL};
	return render_sections(out, t, &f, err);
}

/* 第十七条第一款第（一）项、第（二）项: the parties block; a row whose
 * field may be absent (optional) is left out rather than printed blank. */
static const struct {
	const char *label, *path;
	int optional;
} PARTIES[] = {
	{"甲方（用人单位）", "employer.name", 0},
	{"住所", "employer.address", 0},
	{"法定代表人（主要负责人）", "employer.legal_representative", 0},
	{"统一社会信用代码", "employer.uscc", 0},
	{"乙方（劳动者）", "worker.name", 0},
	{"居民身份证号码", "worker.id_number", 0},
	{"住址", "worker.address", 0},
	{"联系电话", "worker.phone", 1},
};

/* A field of the parties block, or the blank. */
static const char *field(fill *f, const char *path)
{
	const char *s = str(f->terms, path);
	return s ? s : blank(f, path);
}

int hx_contract_render_missing(json_t **out, const hx_template *t, const json_t *terms, hx_err *err)
{
	*out = NULL;
	json_t *sections = NULL, *title = json_array(), *missing = json_array();
	fill f = {terms, missing};
	hx_buf b;
	hx_buf_init(&b, HX_PDF_TEXT_MAX);
	int rc = title && missing ? 0 : text_error(HX_ENOMEM, err);
	/* in the order the document prints them: title, parties, sections */
	if (!rc)
		rc = add_text(title, &b, t->title, &f, err);
	for (size_t i = 0; !rc && i < sizeof PARTIES / sizeof PARTIES[0]; i++)
		if (!PARTIES[i].optional)
			field(&f, PARTIES[i].path);
	if (!rc)
		rc = render_sections(&sections, t, &f, err);
	json_decref(sections);
	json_decref(title);
	hx_buf_free(&b);
	if (rc) {
		json_decref(missing);
		return rc;
	}
	*out = missing;
	return 0;
}

/* The signature block (签字盖章处): 甲方（盖章） and 乙方（签字）, each over a
 * box where its signature's appearance is drawn (the seal, the
 * handwritten name, each with the day that party signed); high enough
 * for a 40 mm company seal and its date. */
#define SIGN_BOX_MM 48.0
static const char *const SIGN_LABELS[] = {"甲方（盖章）", "乙方（签字）"};
static const char *const SIGN_NOTES[] = {"法定代表人（主要负责人）或委托代理人（签字）", NULL};
static const char *const SIGN_PARTIES[] = {"enterprise", "worker"};

int hx_contract_render_pdf(char **out, size_t *len, const hx_template *t, const json_t *terms, hx_err *err)
{
	return hx_contract_render_pdf_numbered(out, len, NULL, t, terms, NULL, err);
}

int hx_contract_render_pdf_numbered(char **out, size_t *len, json_t **boxes, const hx_template *t, const json_t *terms,
				    const char *number, hx_err *err)
{
	*out = NULL;
	*len = 0;
	if (boxes)
		*boxes = NULL;
	json_t *sections = NULL, *title = json_array();
	hx_pdf_doc *doc = NULL;
	hx_buf b;
	hx_buf_init(&b, HX_PDF_TEXT_MAX);
	fill f = {terms, NULL};
	int rc;
	if (!title) {
		rc = text_error(HX_ENOMEM, err);
		goto done;
	}
	if ((rc = render_sections(&sections, t, &f, err)) || (rc = add_text(title, &b, t->title, &f, err)))
		goto done;
	const char *ttl = json_string_value(json_array_get(title, 0));
	if (!(rc = hx_pdf_doc_new(&doc, ttl, err)))
		hx_pdf_doc_one_face(doc); /* one embedded face: contracts are made in bulk */
	if (rc)
		goto done;
	/* 合同编号 on every page, so a page cannot pass for another
	 * contract's; a preview (not sent yet) has none */
	char note[96];
	snprintf(note, sizeof note, "合同编号：%s", number && *number ? number : "（发送时编号）");
	hx_pdf_doc_footer_note(doc, note);
	hx_pdf_heading(doc, ttl, 1);
	const char *parties[2 * sizeof PARTIES / sizeof PARTIES[0]];
	size_t np = 0;
	for (size_t i = 0; i < sizeof PARTIES / sizeof PARTIES[0]; i++) {
		if (PARTIES[i].optional && !str(terms, PARTIES[i].path))
			continue;
		parties[2 * np] = PARTIES[i].label;
		parties[2 * np++ + 1] = field(&f, PARTIES[i].path);
	}
	hx_pdf_key_values(doc, parties, np);
	size_t i, j;
	json_t *s, *p;
	/* the last paragraph keeps the signature block company: the block
	 * never stands alone on the last page */
	const json_t *last = NULL;
	json_array_foreach(sections, i, s)
		if (json_array_size(json_object_get(s, "paragraphs")))
			last = json_array_get(json_object_get(s, "paragraphs"),
					      json_array_size(json_object_get(s, "paragraphs")) - 1);
	double block_mm = 0;
	hx_pdf_sign_boxes_height(doc, SIGN_LABELS, SIGN_NOTES, 2, SIGN_BOX_MM, &block_mm);
	json_array_foreach(sections, i, s) {
		const char *h = json_string_value(json_object_get(s, "heading"));
		if (h && *h)
			hx_pdf_heading(doc, h, 2);
		json_array_foreach(json_object_get(s, "paragraphs"), j, p) {
			if (p == last)
				hx_pdf_paragraph_keep(doc, json_string_value(p), block_mm + 8);
			else
				hx_pdf_paragraph(doc, json_string_value(p));
		}
	}
	hx_pdf_space(doc, 8);
	hx_pdf_box box[2];
	hx_pdf_sign_boxes(doc, SIGN_LABELS, SIGN_NOTES, 2, SIGN_BOX_MM, box);
	rc = hx_pdf_doc_finish(out, len, doc, err);
	if (!rc && boxes) {
		json_t *bx = json_object();
		for (size_t k = 0; k < 2 && bx; k++)
			json_object_set_new(bx, SIGN_PARTIES[k],
					    json_pack("{s:i,s:[f,f,f,f]}", "page", box[k].page, "rect", box[k].x0, box[k].y0,
						      box[k].x1, box[k].y1));
		if (!bx) {
			free(*out);
			*out = NULL;
			*len = 0;
			rc = text_error(HX_ENOMEM, err);
		}
		*boxes = bx;
	}
done:
	hx_pdf_doc_free(doc);
	json_decref(sections);
	json_decref(title);
	hx_buf_free(&b);
	return rc;
}
