/* The health-check report (体检报告) as PDF: the paper the enterprise
 * receives and the county files. A cover with the enterprise, the agency,
 * the dates and the grade in large type with what it means; the areas as a
 * radar chart and a table; how the grade was reached; every risk found,
 * gravest first (重大 → 较大 → 一般), with its legal basis, the
 * inspector's note, the advice (整改建议) and a typical case (典型案例);
 * and the rectification plan with where each item stands.
 *
 * The input is hx_checkup_report's JSON, so the paper says what the screen
 * says; a field that is missing or of another type prints as empty rather
 * than failing, so an old report still prints. */
#include "checkup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/buf.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../report/report.h"

#define CELL_MAX ((size_t)60 << 10) /* below HX_PDF_TEXT_MAX */
#define RISKS_MAX 10000

/* The four grades as the guideline (浙江省劳动用工体检服务工作指引)
 * describes them; the checklist's grading rules decide which one applies. */
static const char *grade_meaning(const char *g)
{
	switch (g[0] && !g[1] ? g[0] : 0) {
	case 'A': return "劳动用工管理科学规范，基本不存在用工风险";
	case 'B': return "劳动用工管理较规范，存在较少或程度轻微的用工风险";
	case 'C': return "劳动用工管理一般，存在较多用工风险";
	case 'D': return "劳动用工管理不规范，存在极大用工风险，急需规范和整改";
	default: return "";
	}
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* A grade as stored ("A"…"D"); anything longer is no grade. */
static const char *grade_at(const json_t *check, const char *key)
{
	const char *g = str(check, key);
	return strlen(g) <= 8 ? g : "";
}

/* 重大 0, 较大 1, 一般 2, anything else 3. */
static int severity_rank(const char *s)
{
	static const char *const order[] = {"重大", "较大", "一般"};
	for (int i = 0; i < 3; i++)
		if (strcmp(s, order[i]) == 0)
			return i;
	return 3;
}

static const char *status_name(const char *s)
{
	static const char *const names[][2] = {
		{"open", "待整改"}, {"answered", "已答复"}, {"confirmed", "已确认"}, {"reopened", "已退回"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i][0]) == 0)
			return names[i][1];
	return s;
}

/* The calendar date in China (UTC+8) of a stored instant
 * "YYYY-MM-DDTHH:MM:SSZ"; a plain date passes through; "" otherwise. */
static void china_date(char out[11], const char *iso)
{
	int y, mo, d, h, mi, s;
	char z;
	out[0] = '\0';
	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) == 7 && z == 'Z') {
		struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
				.tm_sec = s};
		time_t t = timegm(&tm) + 8 * 3600;
		struct tm local;
		if (gmtime_r(&t, &local))
			hx_date_format(out, local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
	} else if (strlen(iso) == 10) {
		memcpy(out, iso, 11);
	}
}

/* ---- the risks, gravest first --------------------------------------------- */

typedef struct sorted {
	const json_t **v;
	size_t n;
} sorted;

/* The report's risks by severity, keeping the checklist's order within
 * one severity (the JSON already comes so; a report from elsewhere may
 * not). */
static int sort_risks(sorted *out, const json_t *risks)
{
	size_t n = json_array_size(risks);
	out->n = 0;
	out->v = NULL;
	if (n > RISKS_MAX)
		return HX_ETOOBIG;
	if (!n)
		return 0;
	if (!(out->v = calloc(n, sizeof *out->v)))
		return HX_ENOMEM;
	for (int rank = 0; rank <= 3; rank++)
		for (size_t i = 0; i < n; i++) {
			const json_t *r = json_array_get(risks, i);
			if (json_is_object(r) && severity_rank(str(r, "severity")) == rank)
				out->v[out->n++] = r;
		}
	return 0;
}

/* 《中华人民共和国劳动合同法》第十条、第八十二条；《…》 */
static int basis_text(hx_buf *b, const json_t *basis)
{
	size_t i, j;
	json_t *law, *art;
	int rc = 0;
	json_array_foreach(basis, i, law) {
		if (!json_is_object(law))
			continue;
		rc = hx_buf_printf(b, "%s《%s》", b->len ? "；" : "", str(law, "law"));
		json_array_foreach(json_object_get(law, "articles"), j, art)
			if (!rc && json_is_string(art))
				rc = hx_buf_printf(b, "%s%s", j ? "、" : "", json_string_value(art));
		if (rc)
			return rc;
	}
	return 0;
}

static int case_text(hx_buf *b, const json_t *c)
{
	static const char *const parts[][2] = {{"facts", "案情"}, {"decision", "处理结果"}, {"lesson", "启示"}};
	int rc = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0] && !rc; i++)
		if (*str(c, parts[i][0]))
			rc = hx_buf_printf(b, "%s%s：%s", b->len ? "\n" : "", parts[i][1], str(c, parts[i][0]));
	return rc;
}

static int risk_block(hx_pdf_doc *doc, const json_t *r, size_t k, hx_buf *head, hx_buf *basis, hx_buf *cs,
		      hx_buf *note)
{
	hx_buf_reset(head);
	hx_buf_reset(basis);
	hx_buf_reset(cs);
	hx_buf_reset(note);
	int rc = hx_buf_printf(head, "%zu. %s", k + 1, str(r, "title"));
	if (!rc)
		rc = basis_text(basis, json_object_get(r, "basis"));
	if (!rc)
		rc = case_text(cs, json_object_get(r, "case"));
	if (!rc)
		rc = hx_buf_printf(note, "%s%s", *str(r, "note") ? str(r, "note") : "—",
				   json_is_true(json_object_get(r, "auto")) ? "（平台依据登记数据判定）" : "");
	if (rc)
		return rc;
	const char *kv[] = {
		"检查项", str(r, "item_id"),
		"风险等级", str(r, "severity"),
		"法律依据", basis->len ? basis->data : "—",
		"检查情况", note->data,
		"整改建议", *str(r, "advice") ? str(r, "advice") : "—",
		"典型案例", cs->len ? cs->data : "—",
	};
	hx_pdf_heading(doc, head->data, 3);
	return hx_pdf_key_values(doc, kv, sizeof kv / sizeof kv[0] / 2);
}

/* ---- tables ----------------------------------------------------------------- */

static const hx_pdf_column AREA_COLS[] = {
	{"体检领域", 0, HX_PDF_LEFT},
	{"检查项", 22, HX_PDF_CENTER},
	{"合格", 22, HX_PDF_CENTER},
	{"存在风险", 22, HX_PDF_CENTER},
	{"得分", 22, HX_PDF_CENTER},
};

typedef struct area_rows {
	const json_t *areas;
	size_t next;
	char num[4][24];
} area_rows;

static void int_cell(char buf[24], const json_t *v)
{
	if (json_is_integer(v))
		snprintf(buf, 24, "%lld", (long long)json_integer_value(v));
	else if (json_is_number(v))
		snprintf(buf, 24, "%.0f", json_number_value(v));
	else
		buf[0] = '\0';
}

static int next_area(void *ctx, const char **cells, unsigned *flags)
{
	area_rows *a = ctx;
	const json_t *o;
	do {
		if (a->next >= json_array_size(a->areas))
			return 0;
		o = json_array_get(a->areas, a->next++);
	} while (!json_is_object(o));
	static const char *const keys[] = {"checked", "passed", "risks", "score"};
	cells[0] = str(o, "name");
	for (int i = 0; i < 4; i++) {
		int_cell(a->num[i], json_object_get(o, keys[i]));
		cells[i + 1] = a->num[i];
	}
	if (json_integer_value(json_object_get(o, "checked")) == 0)
		cells[4] = "不适用";
	(void)flags;
	return 1;
}

static const hx_pdf_column PLAN_COLS[] = {
	{"检查项", 14, HX_PDF_CENTER},
	{"风险事项", 0, HX_PDF_LEFT},
	{"状态", 16, HX_PDF_CENTER},
	{"整改措施", 0, HX_PDF_LEFT},
	{"完成期限", 22, HX_PDF_CENTER},
	{"回访情况", 30, HX_PDF_LEFT},
};

typedef struct plan_rows {
	const json_t **v;
	size_t n, next;
} plan_rows;

static int next_plan(void *ctx, const char **cells, unsigned *flags)
{
	plan_rows *p = ctx;
	if (p->next >= p->n)
		return 0;
	const json_t *o = p->v[p->next++];
	cells[0] = str(o, "item_id");
	cells[1] = str(o, "title");
	cells[2] = status_name(*str(o, "status") ? str(o, "status") : "open");
	cells[3] = str(o, "action");
	cells[4] = str(o, "due_on");
	cells[5] = str(o, "followup_note");
	(void)flags;
	return 1;
}

/* The plan in the order of the risks it answers; lines for items not
 * among the risks keep their order after them. */
static int sort_plan(plan_rows *out, const json_t *plan, const sorted *risks)
{
	size_t n = json_array_size(plan);
	memset(out, 0, sizeof *out);
	if (n > RISKS_MAX)
		return HX_ETOOBIG;
	if (!n)
		return 0;
	unsigned char *taken = calloc(n, 1);
	if (!taken || !(out->v = calloc(n, sizeof *out->v))) {
		free(taken);
		return HX_ENOMEM;
	}
	for (size_t k = 0; k <= risks->n; k++)
		for (size_t i = 0; i < n; i++) {
			const json_t *o = json_array_get(plan, i);
			if (taken[i] || !json_is_object(o))
				continue;
			if (k == risks->n || strcmp(str(o, "item_id"), str(risks->v[k], "item_id")) == 0) {
				taken[i] = 1;
				out->v[out->n++] = o;
			}
		}
	free(taken);
	return 0;
}

/* ---- the document ----------------------------------------------------------- */

static void cover(hx_pdf_doc *doc, const json_t *rep, const json_t *check)
{
	char reported[11], regraded[11], id[32];
	china_date(reported, str(check, "reported_at"));
	china_date(regraded, str(check, "regraded_at"));
	int_cell(id, json_object_get(check, "id"));
	const char *kv[] = {
		"被检企业", str(check, "enterprise_name"),
		"体检机构", str(check, "org_name"),
		"体检日期", *str(check, "scheduled_on") ? str(check, "scheduled_on") : "—",
		"报告日期", reported,
		"体检清单", str(rep, "checklist_title"),
		"体检编号", id,
	};
	const char *grade = grade_at(check, "grade"), *from = grade_at(check, "regraded_from");
	hx_pdf_heading(doc, "劳动用工体检报告", 1);
	hx_pdf_space(doc, 18);
	hx_pdf_key_values(doc, kv, sizeof kv / sizeof kv[0] / 2);
	hx_pdf_space(doc, 22);
	hx_pdf_big_text(doc, "体检评级", 14);
	if (*grade) {
		char big[32];
		snprintf(big, sizeof big, "%s级", grade);
		hx_pdf_big_text(doc, big, 60);
		hx_pdf_big_text(doc, grade_meaning(grade), 13);
	} else {
		hx_pdf_big_text(doc, "未评级", 36);
	}
	if (*from && *grade) {
		char line[160];
		snprintf(line, sizeof line, "整改到位后由%s级升级为%s级%s%s%s", from, grade, *regraded ? "（" : "",
			 regraded, *regraded ? "）" : "");
		hx_pdf_big_text(doc, line, 10.5);
	}
	hx_pdf_page_break(doc);
}

/* Labels for the radar: "劳动合同管理\n80分". */
static int radar(hx_pdf_doc *doc, const json_t *areas, hx_buf *text)
{
	size_t n = json_array_size(areas);
	if (n < 3 || n > HX_PDF_RADAR_MAX_AXES)
		return 0; /* the table below says it all */
	const char *labels[HX_PDF_RADAR_MAX_AXES];
	double values[HX_PDF_RADAR_MAX_AXES];
	size_t offs[HX_PDF_RADAR_MAX_AXES];
	hx_buf_reset(text);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const json_t *a = json_array_get(areas, i);
		const json_t *s = json_object_get(a, "score");
		values[i] = json_is_number(s) ? json_number_value(s) : 0;
		offs[i] = text->len;
		if (json_integer_value(json_object_get(a, "checked")) == 0)
			rc = hx_buf_printf(text, "%s\n不适用", str(a, "name"));
		else
			rc = hx_buf_printf(text, "%s\n%.0f分", str(a, "name"), values[i]);
		if (!rc)
			rc = hx_buf_append(text, "", 1); /* each label its own string */
	}
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		labels[i] = text->data + offs[i];
	return hx_pdf_radar(doc, "各领域得分（满分100分）", n, labels, values, 100);
}

static int summary(hx_buf *b, const sorted *risks, const json_t *check)
{
	size_t count[4] = {0};
	for (size_t i = 0; i < risks->n; i++)
		count[severity_rank(str(risks->v[i], "severity"))]++;
	const char *grade = grade_at(check, "grade");
	const json_t *score = json_object_get(check, "score");
	hx_buf_reset(b);
	int rc;
	if (risks->n)
		rc = hx_buf_printf(b, "本次体检发现用工风险%zu项（重大%zu项、较大%zu项、一般%zu项）", risks->n, count[0],
				   count[1], count[2]);
	else
		rc = hx_buf_puts(b, "本次体检未发现用工风险");
	if (!rc && json_is_integer(score))
		rc = hx_buf_printf(b, "，风险分%lld分", (long long)json_integer_value(score));
	if (!rc && *grade)
		rc = hx_buf_printf(b, "，评为%s级：%s", grade, grade_meaning(grade));
	return rc ? rc : hx_buf_puts(b, "。");
}

static int body(hx_pdf_doc *doc, const json_t *rep, const json_t *check, const sorted *risks, plan_rows *plan)
{
	hx_buf t1, t2, t3, t4;
	hx_buf_init(&t1, CELL_MAX);
	hx_buf_init(&t2, CELL_MAX);
	hx_buf_init(&t3, CELL_MAX);
	hx_buf_init(&t4, CELL_MAX);
	const json_t *areas = json_object_get(rep, "areas");
	int rc = 0;

	hx_pdf_heading(doc, "一、各领域体检情况", 2);
	if ((rc = radar(doc, areas, &t1)))
		goto done;
	area_rows ar = {.areas = areas};
	hx_pdf_table(doc, AREA_COLS, sizeof AREA_COLS / sizeof AREA_COLS[0], next_area, &ar);

	hx_pdf_heading(doc, "二、体检评级", 2);
	if ((rc = summary(&t1, risks, check)))
		goto done;
	hx_pdf_paragraph(doc, t1.data);
	if (*str(rep, "grading"))
		hx_pdf_paragraph(doc, str(rep, "grading"));
	hx_buf_reset(&t1);
	if (*str(rep, "checklist_title") &&
	    (rc = hx_buf_printf(&t1, "体检依据：%s%s%s%s", str(rep, "checklist_title"),
				*str(rep, "checklist_source") ? "（" : "", str(rep, "checklist_source"),
				*str(rep, "checklist_source") ? "）" : "")))
		goto done;
	if (t1.len)
		hx_pdf_paragraph(doc, t1.data);

	hx_buf_reset(&t1);
	if ((rc = hx_buf_printf(&t1, "三、风险清单（%zu项）", risks->n)))
		goto done;
	hx_pdf_heading(doc, t1.data, 2);
	if (!risks->n)
		hx_pdf_paragraph(doc, "本次体检未发现用工风险。");
	for (size_t k = 0; k < risks->n && !rc; k++)
		rc = risk_block(doc, risks->v[k], k, &t1, &t2, &t3, &t4);
	if (rc)
		goto done;

	hx_pdf_heading(doc, "四、整改计划", 2);
	if (plan->n)
		hx_pdf_table(doc, PLAN_COLS, sizeof PLAN_COLS / sizeof PLAN_COLS[0], next_plan, plan);
	else
		hx_pdf_paragraph(doc, "无需整改。");
done:
	hx_buf_free(&t1);
	hx_buf_free(&t2);
	hx_buf_free(&t3);
	hx_buf_free(&t4);
	return rc;
}

int hx_checkup_report_pdf(char **out, size_t *len, const json_t *report, hx_err *err)
{
	*out = NULL;
	*len = 0;
	const json_t *check = json_object_get(report, "check");
	if (!json_is_object(report) || !json_is_object(check))
		return hx_err_set(err, HX_EINVAL, "bad_report", "", "体检报告数据无效");
	sorted risks = {0};
	plan_rows plan = {0};
	hx_pdf_doc *doc = NULL;
	int rc = sort_risks(&risks, json_object_get(report, "risks"));
	if (!rc)
		rc = sort_plan(&plan, json_object_get(report, "plan"), &risks);
	if (rc)
		goto failed;
	/* the PDF's title names the enterprise (cut at a character, not in
	 * one); the printed one does not */
	char title[512];
	snprintf(title, sizeof title, "劳动用工体检报告：%s", str(check, "enterprise_name"));
	size_t tn = strlen(title);
	while (tn && !hx_utf8_valid(title, tn))
		tn--;
	title[tn] = '\0';
	if ((rc = hx_pdf_doc_new(&doc, title, err)))
		goto done;
	cover(doc, report, check);
	/* the renderer keeps its first error for hx_pdf_doc_finish; ours (a
	 * cap on a text buffer) are caught here */
	int brc = body(doc, report, check, &risks, &plan);
	rc = hx_pdf_doc_finish(out, len, doc, err);
	if (rc || !brc)
		goto done;
	free(*out);
	*out = NULL;
	*len = 0;
	rc = brc;
failed:
	rc = hx_err_set(err, rc == HX_ETOOBIG ? HX_ETOOBIG : HX_ENOMEM, "report_failed", "", "体检报告生成失败：%s",
			rc == HX_ETOOBIG ? "内容过长" : "内存不足");
done:
	hx_pdf_doc_free(doc);
	free(risks.v);
	free(plan.v);
	return rc;
}
