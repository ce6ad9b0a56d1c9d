/* The rating score sheet (评分表) as PDF: the filled form a reviewer signs
 * and files, laid out like the seeds' tables — 考核项目 / 分值 / 评分标准 /
 * 考评单位 / 得分, one row per item, seed 002's evaluation elements
 * (评价要素) as sub-rows under their item, the veto item with 否决 or
 * 未否决 per condition — under a header with the rubric, the applicant,
 * the date and the result, and the engine's warnings under 提示.
 *
 * The numbers come from the score sheet (hx_score). It has no per-element
 * scores, and does not say which zeroing or deducting rule fired, so this
 * file works those out from the rubric and the facts the same way score.c
 * does, and checks itself: when its element scores do not add up to the
 * engine's item score, it prints no element scores and no rule marks for
 * that item rather than numbers that disagree with the total. */
#include "rating_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../report/report.h"

#define APPLICANT_MAX 300 /* bytes: a long enterprise name is ~100 */
#define CELL_MAX ((size_t)60 << 10)

static const hx_pdf_column COLUMNS[] = {
	{"考核项目", 32, HX_PDF_LEFT},
	{"分值", 13, HX_PDF_CENTER},
	{"评分标准", 0, HX_PDF_LEFT},
	{"考评单位", 28, HX_PDF_LEFT},
	{"得分", 14, HX_PDF_CENTER},
};
#define NCOLS (sizeof COLUMNS / sizeof COLUMNS[0])

/* "2", "2.5": scores are exact in half points. */
static const char *points(char buf[24], int p2)
{
	snprintf(buf, 24, p2 % 2 ? "%d.5" : "%d", p2 / 2);
	return buf;
}

/* ---- which zeroing and deducting rules held ------------------------------- */

/* 1 holds, 0 does not, -1 unknown: the rule of cond_holds in score.c. */
static int cond_state(const cond *k, int ci, const hx_facts *f)
{
	if (k->answer >= 0)
		return f->answer_kind[ci] != 1 ? -1 : f->answer2[ci] == k->answer;
	if (!f->has_metric[k->metric] || (k->other >= 0 && !f->has_metric[k->other]))
		return -1;
	int64_t a = f->metric[k->metric], b = k->other >= 0 ? f->metric[k->other] : k->value;
	switch (k->op) {
	case OP_GE: return a >= b;
	case OP_GT: return a > b;
	case OP_LE: return a <= b;
	case OP_LT: return a < b;
	default: return a == b;
	}
}

/* A zeroing or deducting rule applies when every condition holds. */
static int rule_applies(const criterion *c, int ci, const hx_facts *f)
{
	for (int k = 0; k < c->nwhen; k++)
		if (cond_state(&c->when[k], ci, f) != 1)
			return 0;
	return 1;
}

typedef struct sheet {
	const hx_score *s;
	const hx_rubric *r;
	const hx_facts *f;
	int *element2;      /* per element, -1 when not shown */
	unsigned char *fired; /* per criterion: a zeroing/deducting rule applied */
	unsigned char *vetoed; /* per criterion */
} sheet;

/* Element scores and fired rules of item i; returns 0 when they agree
 * with the engine's item score. */
static int work_out_item(sheet *sh, int i)
{
	const hx_rubric *r = sh->r;
	const item *I = &r->items[i];
	int sum = 0, deduct_item = 0, zero = 0;
	for (int ci = I->first; ci < I->first + I->count; ci++) {
		const criterion *c = &r->criteria[ci];
		if ((c->kind == RK_ZERO_ITEM || c->kind == RK_DEDUCT) && rule_applies(c, ci, sh->f)) {
			sh->fired[ci] = 1;
			if (c->kind == RK_ZERO_ITEM)
				zero = 1;
			else
				deduct_item += c->points2;
		}
		sum += sh->s->criterion2[ci];
	}
	for (int e = I->efirst; e < I->efirst + I->ecount; e++) {
		const element *E = &r->elements[e];
		int esum = 0, ededuct = 0;
		for (int ci = E->first; ci < E->first + E->count; ci++) {
			const criterion *c = &r->criteria[ci];
			if ((c->kind == RK_ZERO_ITEM || c->kind == RK_DEDUCT) && rule_applies(c, ci, sh->f)) {
				sh->fired[ci] = 1;
				if (c->kind == RK_ZERO_ITEM)
					zero = 1;
				else if (c->from_item)
					deduct_item += c->points2;
				else
					ededuct += c->points2;
			}
			esum += sh->s->criterion2[ci];
		}
		esum -= ededuct;
		esum = esum < 0 ? 0 : esum > E->max2 ? E->max2 : esum;
		sh->element2[e] = esum;
		sum += esum;
	}
	if (zero) /* 此项不得分: element scores would not add up to the 0 */
		for (int e = I->efirst; e < I->efirst + I->ecount; e++)
			sh->element2[e] = -1;
	sum -= deduct_item;
	if (sum < 0 || zero)
		sum = 0;
	if (sum > I->max2)
		sum = I->max2;
	if (sum == sh->s->item2[i])
		return 0;
	for (int e = I->efirst; e < I->efirst + I->ecount; e++)
		sh->element2[e] = -1;
	for (int ci = 0; ci < r->ncriteria; ci++)
		if (r->criteria[ci].item == i)
			sh->fired[ci] = 0;
	return -1;
}

/* ---- the table's rows ----------------------------------------------------- */

typedef struct row {
	char *cells[NCOLS];
	unsigned flags;
} row;

typedef struct rows {
	row *v;
	size_t n, next;
} rows;

/* One criterion as a line of 评分标准: its id, its text, what it got. */
static int criterion_line(hx_buf *b, const sheet *sh, int ci)
{
	const criterion *c = &sh->r->criteria[ci];
	char p[24];
	int rc = hx_buf_printf(b, "%s%s %s", b->len ? "\n" : "", c->id, c->text);
	if (rc)
		return rc;
	switch (c->kind) {
	case RK_VETO: return hx_buf_puts(b, sh->vetoed[ci] ? "（否决）" : "（未否决）");
	case RK_ZERO_ITEM: return sh->fired[ci] ? hx_buf_puts(b, "（此项不得分）") : 0;
	case RK_DEDUCT: return sh->fired[ci] ? hx_buf_printf(b, "（扣%s分）", points(p, c->points2)) : 0;
	default: return hx_buf_printf(b, "（得%s分）", points(p, sh->s->criterion2[ci]));
	}
}

static int add_row(rows *rs, const char *const *cells, unsigned flags)
{
	row *v = realloc(rs->v, (rs->n + 1) * sizeof *v);
	if (!v)
		return HX_ENOMEM;
	rs->v = v;
	row *w = &v[rs->n];
	memset(w, 0, sizeof *w);
	w->flags = flags;
	rs->n++; /* counted now so rows_free frees a partial row */
	for (size_t c = 0; c < NCOLS; c++)
		if (!(w->cells[c] = strdup(cells[c] ? cells[c] : "")))
			return HX_ENOMEM;
	return 0;
}

static void rows_free(rows *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		for (size_t c = 0; c < NCOLS; c++)
			free(rs->v[i].cells[c]);
	free(rs->v);
}

static int next_row(void *ctx, const char **cells, unsigned *flags)
{
	rows *rs = ctx;
	if (rs->next >= rs->n)
		return 0;
	const row *w = &rs->v[rs->next++];
	for (size_t c = 0; c < NCOLS; c++)
		cells[c] = w->cells[c];
	*flags = w->flags;
	return 1;
}

static int departments(hx_buf *b, const json_t *deps)
{
	size_t k;
	json_t *d;
	int rc = 0;
	json_array_foreach(deps, k, d)
		if (!rc && json_is_string(d))
			rc = hx_buf_printf(b, "%s%s", k ? "、" : "", json_string_value(d));
	return rc;
}

/* Seed ids in reading order: "2.10" after "2.9". */
static int idcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			char *ea, *eb;
			unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
		} else if (*a != *b) {
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		} else {
			a++;
			b++;
		}
	}
	return *a ? 1 : *b ? -1 : 0;
}

/* A sub-row of an item with elements: element e, or (e < 0) criterion ci
 * standing as an element of its own (seed 002's 2.3 公示告知). */
static int sub_row(rows *rs, const sheet *sh, int e, int ci, hx_buf *label, hx_buf *text)
{
	char maxp[24], got[24];
	hx_buf_reset(label);
	hx_buf_reset(text);
	if (e < 0) {
		const criterion *c = &sh->r->criteria[ci];
		int scored = c->kind != RK_ZERO_ITEM && c->kind != RK_DEDUCT && c->kind != RK_VETO;
		int rc = hx_buf_puts(label, c->id);
		if (!rc)
			rc = criterion_line(text, sh, ci);
		const char *cells[NCOLS] = {label->data, scored ? points(maxp, c->max2) : "", text->data, "",
					    scored ? points(got, sh->s->criterion2[ci]) : ""};
		return rc ? rc : add_row(rs, cells, 0);
	}
	const element *E = &sh->r->elements[e];
	int rc = hx_buf_printf(label, "%s %s", E->id, E->title);
	for (int k = E->first; !rc && k < E->first + E->count; k++)
		rc = criterion_line(text, sh, k);
	const char *cells[NCOLS] = {label->data, points(maxp, E->max2), text->data, "",
				    sh->element2[e] >= 0 ? points(got, sh->element2[e]) : ""};
	return rc ? rc : add_row(rs, cells, 0);
}

static int item_rows(rows *rs, const sheet *sh, int i)
{
	const hx_rubric *r = sh->r;
	const item *I = &r->items[i];
	hx_buf label, text, deps;
	hx_buf_init(&label, CELL_MAX);
	hx_buf_init(&text, CELL_MAX);
	hx_buf_init(&deps, CELL_MAX);
	char maxp[24], got[24];
	int rc = hx_buf_printf(&label, "%s. %s", I->id, I->title);
	for (int ci = I->first; !rc && !I->ecount && ci < I->first + I->count; ci++)
		rc = criterion_line(&text, sh, ci);
	if (!rc)
		rc = departments(&deps, I->departments);
	if (rc)
		goto done;
	const char *score = points(got, sh->s->item2[i]);
	if (I->veto) {
		int any = 0;
		for (int ci = I->first; ci < I->first + I->count; ci++)
			any |= sh->vetoed[ci];
		score = any ? "否决" : "未否决";
	}
	const char *cells[NCOLS] = {label.data, I->veto ? "" : points(maxp, I->max2), text.data, deps.data, score};
	rc = add_row(rs, cells, I->ecount ? HX_PDF_ROW_BOLD | HX_PDF_ROW_SHADED | HX_PDF_ROW_KEEP : 0);
	/* with elements, the item's own criteria are sub-rows too, merged
	 * with the elements in id order */
	int e = I->efirst, ci = I->first;
	while (!rc && I->ecount && (e < I->efirst + I->ecount || ci < I->first + I->count)) {
		int take_e = ci >= I->first + I->count ||
			     (e < I->efirst + I->ecount && idcmp(r->elements[e].id, r->criteria[ci].id) <= 0);
		rc = take_e ? sub_row(rs, sh, e++, -1, &label, &text) : sub_row(rs, sh, -1, ci++, &label, &text);
	}
done:
	hx_buf_free(&label);
	hx_buf_free(&text);
	hx_buf_free(&deps);
	return rc;
}

/* ---- the document --------------------------------------------------------- */

static int header_block(hx_pdf_doc *doc, const sheet *sh, const char *title, const char *applicant,
			const char *date)
{
	const hx_rubric *r = sh->r;
	char version[300], total[64], p1[24], p2[24];
	snprintf(version, sizeof version, "%s 第%d版", r->id, r->version);
	snprintf(total, sizeof total, "%s / %s", points(p1, sh->s->total2), points(p2, sh->s->max2));
	hx_buf vetoes;
	hx_buf_init(&vetoes, CELL_MAX);
	int rc = 0;
	for (int k = 0; !rc && k < sh->s->nvetoes; k++)
		rc = hx_buf_printf(&vetoes, "%s%s", k ? "、" : "", r->criteria[sh->s->vetoes[k]].id);
	const char *kv[] = {
		"申报单位", applicant,
		"评价标准", version,
		"依据", r->source ? r->source : "",
		"标准文件 SHA-256", r->sha256,
		"评价日期", date,
		"总分", total,
		"是否否决", sh->s->vetoed ? "是" : "否",
		"否决项", sh->s->nvetoes ? vetoes.data : "无",
	};
	if (!rc) {
		hx_pdf_heading(doc, title, 1);
		rc = hx_pdf_key_values(doc, kv, sizeof kv / sizeof kv[0] / 2);
	}
	hx_buf_free(&vetoes);
	return rc;
}

static int warnings_block(hx_pdf_doc *doc, const sheet *sh)
{
	json_t *j = hx_score_json(sh->s, sh->r, sh->f);
	json_t *w = json_object_get(j, "warnings");
	hx_buf text;
	hx_buf_init(&text, CELL_MAX);
	size_t k;
	json_t *v;
	int rc = 0;
	json_array_foreach(w, k, v)
		if (!rc)
			rc = hx_buf_printf(&text, "%s%zu. %s", k ? "\n" : "", k + 1,
					   json_string_value(v) ? json_string_value(v) : "");
	hx_pdf_heading(doc, "提示", 2);
	if (!rc)
		rc = hx_pdf_paragraph(doc, text.len ? text.data : "无");
	hx_buf_free(&text);
	json_decref(j);
	return rc;
}

int hx_rating_sheet_pdf(char **out, size_t *len, const hx_score *s, const hx_rubric *r, const hx_facts *f,
			const char *applicant, const char *date, hx_err *err)
{
	*out = NULL;
	*len = 0;
	if (!applicant)
		applicant = "";
	char today[11];
	if (!date || !*date) {
		hx_today(today);
		date = today;
	}
	int y, m, d;
	if (strlen(applicant) > APPLICANT_MAX)
		return hx_err_set(err, HX_EINVAL, "applicant_too_long", "applicant", "申报单位名称过长");
	if (!hx_utf8_valid(applicant, strlen(applicant)))
		return hx_err_set(err, HX_EINVAL, "bad_applicant", "applicant", "申报单位名称不是有效的UTF-8文字");
	if (hx_date_parse(date, &y, &m, &d))
		return hx_err_set(err, HX_EINVAL, "bad_date", "date", "评价日期应为YYYY-MM-DD");
	sheet sh = {.s = s, .r = r, .f = f};
	rows rs = {0};
	hx_buf title;
	hx_buf_init(&title, CELL_MAX);
	hx_pdf_doc *doc = NULL;
	int rc = HX_ENOMEM;
	sh.element2 = calloc((size_t)r->nelements + 1, sizeof *sh.element2);
	sh.fired = calloc((size_t)r->ncriteria + 1, 1);
	sh.vetoed = calloc((size_t)r->ncriteria + 1, 1);
	if (!sh.element2 || !sh.fired || !sh.vetoed)
		goto failed;
	for (int k = 0; k < s->nvetoes; k++)
		sh.vetoed[s->vetoes[k]] = 1;
	rc = 0;
	for (int i = 0; !rc && i < r->nitems; i++) {
		(void)work_out_item(&sh, i); /* on a mismatch it blanks, see above */
		rc = item_rows(&rs, &sh, i);
	}
	if (rc)
		goto failed;
	/* the PDF's title names the applicant too; the printed one does not */
	if ((rc = hx_buf_printf(&title, "%s评分表", r->title)))
		goto failed;
	size_t printed = title.len;
	if (*applicant && (rc = hx_buf_printf(&title, "：%s", applicant)))
		goto failed;
	if ((rc = hx_pdf_doc_new(&doc, title.data, err)))
		goto done;
	title.data[printed] = '\0';
	/* the renderer keeps its first error for hx_pdf_doc_finish; the
	 * blocks' own (a cap on a text buffer) are caught here */
	int brc = header_block(doc, &sh, title.data, applicant, date);
	if (!brc)
		hx_pdf_table(doc, COLUMNS, NCOLS, next_row, &rs);
	if (!brc)
		brc = warnings_block(doc, &sh);
	rc = hx_pdf_doc_finish(out, len, doc, err);
	if (rc || !brc)
		goto done;
	free(*out);
	*out = NULL;
	*len = 0;
	rc = brc;
failed:
	rc = hx_err_set(err, rc == HX_ETOOBIG ? HX_ETOOBIG : HX_ENOMEM, "sheet_failed", "", "评分表生成失败：%s",
			rc == HX_ETOOBIG ? "内容过长" : "内存不足");
done:
	hx_pdf_doc_free(doc);
	hx_buf_free(&title);
	rows_free(&rs);
	free(sh.element2);
	free(sh.fired);
	free(sh.vetoed);
	return rc;
}
