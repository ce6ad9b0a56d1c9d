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

/* A date field as Chinese text, or the blank. */
static const char *date_or_blank(char out[32], const json_t *terms, const char *path)
{
	return cn_date(out, str(terms, path)) ? BLANK : out;
}

/* ---- computed placeholders (docs/template-format.md) ---- */

static int part_time(const json_t *t)
{
	const char *k = str(t, "kind");
	return k && strcmp(k, "part_time") == 0;
}

static int c_kind(hx_buf *b, const json_t *t)
{
	const char *k = str(t, "kind");
	if (!k)
		return 1;
	if (strcmp(k, "full_time") == 0)
		return hx_buf_puts(b, "全日制");
	if (strcmp(k, "part_time") == 0)
		return hx_buf_puts(b, "非全日制");
	return 1;
}

static int c_term(hx_buf *b, const json_t *t)
{
	const char *type = str(t, "term.type");
	char s[32], e[32];
	if (!type)
		return 1;
	if (strcmp(type, "fixed") == 0)
		return hx_buf_printf(b, "固定期限，自%s起至%s止", date_or_blank(s, t, "term.start"),
				     date_or_blank(e, t, "term.end"));
	if (strcmp(type, "open_ended") == 0)
		return hx_buf_printf(b, "无固定期限，自%s起", date_or_blank(s, t, "term.start"));
	if (strcmp(type, "task") == 0) {
		const char *task = str(t, "term.task");
		return hx_buf_printf(b, "以完成%s工作任务为期限，自%s起至该工作任务完成时止", task ? task : "一定",
				     date_or_blank(s, t, "term.start"));
	}
	return 1;
}

static int c_probation(hx_buf *b, const json_t *t)
{
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

static int c_hours(hx_buf *b, const json_t *t)
{
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
	if (!sys)
		return 1;
	if (strcmp(sys, "standard") == 0)
		return hx_buf_puts(b, "标准工时制，每日工作时间不超过八小时，每周工作时间不超过四十小时，每周至少休息一日");
	if (strcmp(sys, "comprehensive") == 0)
		return hx_buf_printf(b, "经劳动行政部门批准（批准文号：%s）的综合计算工时工作制，综合计算周期内的平均日工作时间和平均周工作时间不超过法定标准工作时间",
				     no ? no : BLANK);
	if (strcmp(sys, "flexible") == 0)
		return hx_buf_printf(b, "经劳动行政部门批准（批准文号：%s）的不定时工作制，甲方采用弹性工作时间等方式保障乙方的休息休假权利",
				     no ? no : BLANK);
	return 1;
}

static int c_pay(hx_buf *b, const json_t *t)
{
	char m[48], p[48];
	if (part_time(t)) {
		const json_t *h = at(t, "pay.hourly");
		if (!json_is_number(h))
			return 1;
		money(m, json_number_value(h));
		return hx_buf_printf(b, "乙方的小时工资为人民币%s元", m);
	}
	const json_t *mo = at(t, "pay.monthly"), *pr = at(t, "pay.probation_monthly"), *pm = at(t, "probation_months");
	if (!json_is_number(mo))
		return 1;
	money(m, json_number_value(mo));
	int rc = hx_buf_printf(b, "乙方的月工资为人民币%s元", m);
	if (!rc && json_is_number(pr) && json_is_integer(pm) && json_integer_value(pm) > 0) {
		money(p, json_number_value(pr));
		rc = hx_buf_printf(b, "，试用期月工资为人民币%s元", p);
	}
	return rc;
}

static int c_social_insurance(hx_buf *b, const json_t *t)
{
	const json_t *si = at(t, "social_insurance");
	if (!json_is_boolean(si))
		return 1;
	/* 《社会保险法》第十条第二款、第二十三条第二款: a part-time worker may
	 * join pension and medical insurance personally; injury insurance is
	 * the employer's in every case (《工伤保险条例》第二条) */
	if (part_time(t) && json_is_false(si))
		return hx_buf_puts(b, "甲方依法为乙方缴纳工伤保险费；乙方可以按照国家规定以个人身份参加基本养老保险和基本医疗保险");
	return hx_buf_puts(b, "甲方依法为乙方办理基本养老保险、基本医疗保险、工伤保险、失业保险和生育保险，并按时足额缴纳社会保险费；应由乙方个人缴纳的部分，由甲方从乙方工资中代扣代缴");
}

static int c_service(hx_buf *b, const json_t *t)
{
	const char *from = str(t, "hire_date");
	if (!from)
		from = str(t, "term.start");
	const char *to = str(t, "termination.date");
	int y1, m1, d1, y2, m2, d2;
	char after[11];
	if (!from || !to || hx_date_parse(from, &y1, &m1, &d1) || hx_date_parse(to, NULL, NULL, NULL) ||
	    strcmp(to, from) < 0)
		return 1;
	/* whole months from the first day to the day after the last */
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

static int c_termination(hx_buf *b, const json_t *t)
{
	const char *k = str(t, "termination.type");
	if (!k)
		return 1;
	if (strcmp(k, "dissolve") == 0)
		return hx_buf_puts(b, "解除");
	if (strcmp(k, "terminate") == 0)
		return hx_buf_puts(b, "终止");
	return 1;
}

/* Each returns 0 (written), 1 (nothing to say: the blank) or an error. */
static const struct {
	const char *name;
	int (*fn)(hx_buf *b, const json_t *t);
} COMPUTED[] = {
	{"kind.text", c_kind},
	{"term.text", c_term},
	{"probation.text", c_probation},
	{"hours.text", c_hours},
	{"pay.text", c_pay},
	{"social_insurance.text", c_social_insurance},
	{"service.text", c_service},
	{"termination.text", c_termination},
};

/* Writes the value of placeholder name. */
static int put_field(hx_buf *b, const char *name, const json_t *terms)
{
	for (size_t i = 0; i < sizeof COMPUTED / sizeof COMPUTED[0]; i++)
		if (strcmp(name, COMPUTED[i].name) == 0) {
			int rc = COMPUTED[i].fn(b, terms); /* 1: nothing written */
			return rc == 1 ? hx_buf_puts(b, BLANK) : rc;
		}
	const json_t *v = at(terms, name);
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
	return hx_buf_puts(b, BLANK);
}

/* Expands text into b (b NULL: only checks the syntax). On a syntax
 * error, fills why and returns HX_EINVAL. */
static int expand(hx_buf *b, const char *text, const json_t *terms, char *why, size_t whylen)
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
			rc = put_field(b, key, terms);
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
static int add_text(json_t *arr, hx_buf *b, const char *text, const json_t *terms, hx_err *err)
{
	char why[200];
	hx_buf_reset(b);
	int rc = expand(b, text, terms, why, sizeof why);
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

int hx_contract_render_text(json_t **out, const hx_template *t, const json_t *terms, hx_err *err)
{
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
				rc = add_text(paras, &b, json_string_value(p), terms, err);
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
			rc = add_text(h, &b, json_string_value(json_object_get(s, "heading")), terms, err);
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

/* A field of the parties block, or the blank. */
static const char *field(const json_t *terms, const char *path)
{
	const char *s = str(terms, path);
	return s ? s : BLANK;
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
	int rc;
	if (!title) {
		rc = text_error(HX_ENOMEM, err);
		goto done;
	}
	if ((rc = hx_contract_render_text(&sections, t, terms, err)) || (rc = add_text(title, &b, t->title, terms, err)))
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
	/* 第十七条第一款第（一）项、第（二）项 */
	const char *parties[] = {
		"甲方（用人单位）", field(terms, "employer.name"),
		"住所", field(terms, "employer.address"),
		"法定代表人（主要负责人）", field(terms, "employer.legal_representative"),
		"统一社会信用代码", field(terms, "employer.uscc"),
		"乙方（劳动者）", field(terms, "worker.name"),
		"居民身份证号码", field(terms, "worker.id_number"),
		"住址", field(terms, "worker.address"),
		"联系电话", field(terms, "worker.phone"),
	};
	hx_pdf_key_values(doc, parties, sizeof parties / sizeof parties[0] / 2);
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
