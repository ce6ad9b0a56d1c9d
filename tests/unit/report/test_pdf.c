/* Tests for PDF documents (src/report/pdf.c): a table over several pages
 * with its header repeated, rows that move whole or split when taller
 * than a page, the footer's page numbers, Chinese text that pdftotext
 * gives back, fonts embedded as subsets with a ToUnicode map, and the
 * errors a caller can cause. The poppler checks run when pdftotext,
 * pdffonts and pdfinfo are installed (poppler-utils), and are skipped
 * otherwise. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report/report.h"

/* Under ASan (build-asan): two leaks belong to the libraries, not to us.
 * cairo 1.16 (Debian 12) loses ~770 bytes per embedded font per PDF in
 * its CFF subsetter, inside cairo_surface_finish; pango's font map caches
 * keep fontconfig patterns for the life of each thread. The cairo frame
 * is only seen with the slow unwinder (the libraries have no frame
 * pointers). These hooks are ignored by builds without ASan. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:cairo_surface_finish\nleak:libfontconfig.so\n";
}
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

/* ---- helpers -------------------------------------------------------------- */

#define CHECK(call)                                                                              \
	do {                                                                                     \
		int rc_ = (call);                                                                \
		if (rc_)                                                                         \
			fail_msg("%s failed: %d", #call, rc_);                                   \
	} while (0)

typedef struct pdf {
	char *bytes;
	size_t len;
	char path[64];
} pdf;

static void pdf_done(pdf *p)
{
	if (p->path[0])
		unlink(p->path);
	free(p->bytes);
}

/* Finishes doc, checks the file's envelope and writes it to a temp file. */
static void finish(pdf *p, hx_pdf_doc *doc)
{
	hx_err err = {0};
	memset(p, 0, sizeof *p);
	int rc = hx_pdf_doc_finish(&p->bytes, &p->len, doc, &err);
	if (rc)
		fail_msg("hx_pdf_doc_finish: %d %s %s", rc, err.key, err.msg);
	hx_pdf_doc_free(doc);
	assert_true(p->len > 1000);
	assert_memory_equal(p->bytes, "%PDF-", 5);
	/* "%%EOF" and at most a line end after it */
	size_t tail = p->len >= 7 ? 7 : p->len;
	assert_non_null(memmem(p->bytes + p->len - tail, tail, "%%EOF", 5));
	snprintf(p->path, sizeof p->path, "/tmp/hx-pdf-test-XXXXXX");
	int fd = mkstemp(p->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p->bytes, p->len), (ssize_t)p->len);
	close(fd);
}

static int have(const char *tool)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static int have_poppler(void)
{
	return have("pdftotext") && have("pdffonts") && have("pdfinfo");
}

/* A command's standard output, malloc'd. */
static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	size_t n;
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
	}
	out[len] = '\0';
	assert_int_equal(pclose(f), 0);
	return out;
}

/* pdftotext of pages first…last (0: all), with all white space removed:
 * it breaks lines where the text wraps and may drop U+3000. */
static char *text_of(const pdf *p, int first, int last)
{
	char *t = first ? run("pdftotext -q -enc UTF-8 -f %d -l %d '%s' -", first, last, p->path)
			: run("pdftotext -q -enc UTF-8 '%s' -", p->path);
	char *w = t;
	for (char *r = t; *r; r++) {
		if (*r == ' ' || *r == '\n' || *r == '\r' || *r == '\t' || *r == '\f')
			continue;
		if ((unsigned char)r[0] == 0xE3 && (unsigned char)r[1] == 0x80 && (unsigned char)r[2] == 0x80) {
			r += 2; /* U+3000 */
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	return t;
}

static int pages_of(const pdf *p)
{
	char *info = run("pdfinfo '%s'", p->path);
	char *at = strstr(info, "\nPages:");
	assert_non_null(at);
	int n = atoi(at + 7);
	free(info);
	return n;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" not found in the PDF text", needle);
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static const hx_pdf_column COLS[] = {
	{"考核项目", 30, HX_PDF_LEFT},
	{"分值", 14, HX_PDF_CENTER},
	{"评分标准", 0, HX_PDF_LEFT},
	{"考评单位", 32, HX_PDF_LEFT},
	{"得分", 14, HX_PDF_CENTER},
};

/* Rows "项目N": every fifth row bold and shaded, cells of a few lines. */
typedef struct rows {
	int n, i;
	char buf[5][512];
	const char *long_cell; /* when set, row 2's 评分标准 is this */
	int fail_at;           /* when > 0, the callback fails at this row */
} rows;

static int next_row(void *ctx, const char **cells, unsigned *flags)
{
	rows *r = ctx;
	if (r->fail_at && r->i == r->fail_at)
		return HX_EIO;
	if (r->i >= r->n)
		return 0;
	int i = r->i++;
	snprintf(r->buf[0], sizeof r->buf[0], "项目%d 劳动合同管理", i);
	snprintf(r->buf[1], sizeof r->buf[1], "%d", i % 10);
	snprintf(r->buf[2], sizeof r->buf[2],
		 "%d.1 企业与职工依法签订劳动合同，劳动合同签订率达100%%的（得5分）\n"
		 "%d.2 劳动合同内容全面、合法，合同必备条款到位（得2.5分）",
		 i, i);
	snprintf(r->buf[3], sizeof r->buf[3], "市人力社保局、市总工会、市企业家协会、市工商联");
	snprintf(r->buf[4], sizeof r->buf[4], "%d.5", i % 10);
	for (int c = 0; c < 5; c++)
		cells[c] = r->buf[c];
	if (i == 2 && r->long_cell)
		cells[2] = r->long_cell;
	if (i % 5 == 0)
		*flags = HX_PDF_ROW_BOLD | HX_PDF_ROW_SHADED;
	return 1;
}

static hx_pdf_doc *new_doc(const char *title)
{
	hx_pdf_doc *doc = NULL;
	hx_err err = {0};
	int rc = hx_pdf_doc_new(&doc, title, &err);
	if (rc)
		fail_msg("hx_pdf_doc_new: %d %s", rc, err.msg);
	return doc;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_pdf_table_over_pages_gives_chinese_text_back(void **state)
{
	(void)state;
	hx_pdf_doc *doc = new_doc("和谐企业评分表");
	CHECK(hx_pdf_heading(doc, "丽水市和谐劳动关系考核评价体系（标准）", 1));
	const char *kv[] = {"申报单位", "云和县示例机械有限公司", "评价日期", "2024-05-06", "总分", "86.5 / 100"};
	CHECK(hx_pdf_key_values(doc, kv, 3));
	CHECK(hx_pdf_heading(doc, "评分明细", 2));
	CHECK(hx_pdf_paragraph(doc, "依据云人社〔2021〕59号附件2，对照评分标准逐项打分。"));
	rows r = {.n = 60};
	CHECK(hx_pdf_table(doc, COLS, 5, next_row, &r));
	CHECK(hx_pdf_heading(doc, "提示", 2));
	CHECK(hx_pdf_paragraph(doc, "1. 指标“劳动争议调解成功率”未提供。"));
	pdf p;
	finish(&p, doc);
	if (!have_poppler()) {
		pdf_done(&p);
		skip();
	}
	int pages = pages_of(&p);
	assert_true(pages >= 3);
	char *t = text_of(&p, 0, 0);
	assert_contains(t, "丽水市和谐劳动关系考核评价体系（标准）");
	assert_contains(t, "申报单位云和县示例机械有限公司");
	assert_contains(t, "依据云人社〔2021〕59号附件2，对照评分标准逐项打分。");
	assert_contains(t, "项目0劳动合同管理");
	assert_contains(t, "项目59劳动合同管理");
	assert_contains(t, "市人力社保局、市总工会、市企业家协会、市工商联");
	assert_contains(t, "（得2.5分）");
	assert_contains(t, "指标“劳动争议调解成功率”未提供。");
	/* every row once, in order */
	char want[64];
	const char *at = t;
	for (int i = 0; i < 60; i++) {
		snprintf(want, sizeof want, "项目%d劳动合同管理", i);
		at = strstr(at, want);
		if (!at)
			fail_msg("row %d missing or out of order", i);
	}
	char footer[64];
	snprintf(footer, sizeof footer, "第1页共%d页", pages);
	assert_contains(t, footer);
	snprintf(footer, sizeof footer, "第%d页共%d页", pages, pages);
	assert_contains(t, footer);
	free(t);

	char *fonts = run("pdffonts '%s'", p.path);
	/* name type encoding emb sub uni object ID: every font a subset
	 * ("ABCDEF+Name"), embedded, with a ToUnicode map */
	int nfonts = 0;
	for (char *line = strtok(fonts, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "name", 4) == 0 || strncmp(line, "----", 4) == 0)
			continue;
		nfonts++;
		if (!(strlen(line) > 7 && line[6] == '+'))
			fail_msg("font is not a subset: %s", line);
		if (!strstr(line, "CJK"))
			fail_msg("not a Noto CJK font: %s", line);
		if (!strstr(line, " yes yes yes "))
			fail_msg("font not embedded+subset+unicode: %s", line);
	}
	assert_true(nfonts >= 2);
	free(fonts);

	char *info = run("pdfinfo '%s'", p.path);
	assert_contains(info, "和谐企业评分表");
	assert_contains(info, "Hexie");
	assert_contains(info, "A4");
	free(info);
	pdf_done(&p);
}

static void test_pdf_table_header_repeats_on_every_page(void **state)
{
	(void)state;
	hx_pdf_doc *doc = new_doc("表头");
	rows r = {.n = 80};
	CHECK(hx_pdf_table(doc, COLS, 5, next_row, &r));
	pdf p;
	finish(&p, doc);
	if (!have_poppler()) {
		pdf_done(&p);
		skip();
	}
	int pages = pages_of(&p);
	assert_true(pages >= 3);
	for (int i = 1; i <= pages; i++) {
		char *t = text_of(&p, i, i);
		assert_int_equal(count_of(t, "考核项目"), 1);
		assert_int_equal(count_of(t, "考评单位"), 1);
		/* rows move whole: a page never holds a row's first half only */
		assert_int_equal(count_of(t, "劳动合同管理"), count_of(t, "合同必备条款到位"));
		free(t);
	}
	pdf_done(&p);
}

static void test_pdf_row_taller_than_a_page_is_split_between_lines(void **state)
{
	(void)state;
	/* 160 numbered lines: far more than one page holds */
	size_t cap = 160 * 64;
	char *longtext = malloc(cap), *w = longtext;
	assert_non_null(longtext);
	for (int i = 1; i <= 160; i++)
		w += snprintf(w, cap - (size_t)(w - longtext), "第%d条细则内容\n", i);
	w[-1] = '\0';
	hx_pdf_doc *doc = new_doc("长行");
	rows r = {.n = 4, .long_cell = longtext};
	CHECK(hx_pdf_table(doc, COLS, 5, next_row, &r));
	pdf p;
	finish(&p, doc);
	free(longtext);
	if (!have_poppler()) {
		pdf_done(&p);
		skip();
	}
	int pages = pages_of(&p);
	assert_true(pages >= 3);
	char *t = text_of(&p, 0, 0);
	const char *at = t;
	char want[64];
	for (int i = 1; i <= 160; i++) {
		snprintf(want, sizeof want, "第%d条细则内容", i);
		at = strstr(at, want);
		if (!at)
			fail_msg("line %d of the tall row missing or out of order", i);
	}
	assert_contains(t, "项目3劳动合同管理");
	free(t);
	for (int i = 1; i <= pages; i++) {
		t = text_of(&p, i, i);
		assert_int_equal(count_of(t, "考核项目"), 1);
		free(t);
	}
	pdf_done(&p);
}

static void test_pdf_refuses_bad_text_and_keeps_the_first_error(void **state)
{
	(void)state;
	hx_pdf_doc *doc = new_doc("错误");
	CHECK(hx_pdf_paragraph(doc, "正常文字"));
	assert_int_equal(hx_pdf_paragraph(doc, "bad \xff\xfe utf-8"), HX_EINVAL);
	/* sticky: later calls answer the same error and add nothing */
	assert_int_equal(hx_pdf_heading(doc, "标题", 2), HX_EINVAL);
	assert_int_equal(hx_pdf_space(doc, 500), HX_EINVAL);
	char *out = (char *)0x1;
	size_t len = 1;
	hx_err err = {0};
	assert_int_equal(hx_pdf_doc_finish(&out, &len, doc, &err), HX_EINVAL);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_string_equal(err.key, "pdf_bad_text");
	hx_pdf_doc_free(doc);

	doc = new_doc("级别");
	assert_int_equal(hx_pdf_heading(doc, "标题", 4), HX_EINVAL);
	hx_pdf_doc_free(doc);

	size_t n = HX_PDF_TEXT_MAX + 1;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	big[n] = '\0';
	doc = new_doc("长文");
	assert_int_equal(hx_pdf_paragraph(doc, big), HX_EINVAL);
	hx_pdf_doc_free(doc);
	free(big);

	hx_pdf_doc_free(NULL);
	doc = NULL;
	assert_int_equal(hx_pdf_doc_new(&doc, "\xc3", &err), HX_EINVAL);
	assert_null(doc);
}

static void test_pdf_table_refuses_bad_columns_and_reports_row_errors(void **state)
{
	(void)state;
	hx_pdf_column wide[] = {{"甲", 100, HX_PDF_LEFT}, {"乙", 80, HX_PDF_LEFT}};
	hx_pdf_doc *doc = new_doc("列宽");
	rows r = {.n = 3};
	assert_int_equal(hx_pdf_table(doc, wide, 2, next_row, &r), HX_EINVAL);
	hx_pdf_doc_free(doc);

	hx_pdf_column squeezed[] = {{"甲", 165, HX_PDF_LEFT}, {"乙", 0, HX_PDF_LEFT}};
	doc = new_doc("列宽");
	assert_int_equal(hx_pdf_table(doc, squeezed, 2, next_row, &r), HX_EINVAL);
	hx_pdf_doc_free(doc);

	doc = new_doc("列数");
	assert_int_equal(hx_pdf_table(doc, COLS, 0, next_row, &r), HX_EINVAL);
	hx_pdf_doc_free(doc);

	doc = new_doc("回调");
	rows bad = {.n = 10, .fail_at = 4};
	assert_int_equal(hx_pdf_table(doc, COLS, 5, next_row, &bad), HX_EIO);
	assert_int_equal(bad.i, 4);
	char *out = NULL;
	size_t len = 0;
	hx_err err = {0};
	assert_int_equal(hx_pdf_doc_finish(&out, &len, doc, &err), HX_EIO);
	hx_pdf_doc_free(doc);
}

static void test_pdf_finished_document_refuses_more_content(void **state)
{
	(void)state;
	hx_pdf_doc *doc = new_doc("");
	char *out = NULL;
	size_t len = 0;
	hx_err err = {0};
	/* an empty document is one blank page */
	CHECK(hx_pdf_doc_finish(&out, &len, doc, &err));
	assert_memory_equal(out, "%PDF-", 5);
	free(out);
	assert_int_equal(hx_pdf_paragraph(doc, "太晚了"), HX_EINVAL);
	assert_int_equal(hx_pdf_doc_finish(&out, &len, doc, &err), HX_EINVAL);
	assert_null(out);
	hx_pdf_doc_free(doc);
}

/* Each worker thread renders with its own font map. */
static void *render_in_thread(void *arg)
{
	size_t *len = arg;
	for (int k = 0; k < 3; k++) {
		hx_pdf_doc *doc = NULL;
		hx_err err = {0};
		if (hx_pdf_doc_new(&doc, "并发", &err))
			return NULL;
		rows r = {.n = 30};
		hx_pdf_heading(doc, "并发生成", 1);
		hx_pdf_table(doc, COLS, 5, next_row, &r);
		char *out = NULL;
		if (hx_pdf_doc_finish(&out, len, doc, &err) == 0 && memcmp(out, "%PDF-", 5) != 0)
			*len = 0;
		hx_pdf_doc_free(doc);
		free(out);
	}
	return NULL;
}

/* The last paragraph keeps the signature row company on its page, for
 * every height the text above leaves; the footer note is on every page;
 * the boxes are where the row was drawn. */
static void test_pdf_kept_paragraph_and_sign_boxes(void **state)
{
	(void)state;
	const char *labels[] = {"甲方（盖章）", "乙方（签字）"};
	if (!have_poppler())
		skip();
	for (int n = 30; n < 60; n += 3) {
		hx_pdf_doc *doc = new_doc("劳动合同");
		CHECK(hx_pdf_doc_footer_note(doc, "合同编号：331125-2026-000001"));
		for (int i = 0; i < n; i++)
			CHECK(hx_pdf_paragraph(doc, "甲乙双方经平等自愿、协商一致，签订本合同。"));
		double mm = 0;
		CHECK(hx_pdf_sign_boxes_height(doc, labels, NULL, 2, 40, &mm));
		assert_true(mm > 40 && mm < 60);
		CHECK(hx_pdf_paragraph_keep(doc, "本合同一式两份，甲乙双方各执一份。末段标记", mm + 5));
		hx_pdf_box b[2];
		CHECK(hx_pdf_sign_boxes(doc, labels, NULL, 2, 40, b));
		pdf p;
		finish(&p, doc);
		int pages = pages_of(&p);
		char *last = text_of(&p, pages, pages);
		assert_contains(last, "末段标记");
		assert_contains(last, "甲方（盖章）");
		assert_contains(last, "合同编号：331125-2026-000001");
		for (int pg = 1; pg < pages; pg++) {
			char *t = text_of(&p, pg, pg);
			assert_contains(t, "合同编号：331125-2026-000001");
			free(t);
		}
		assert_int_equal(b[0].page, pages - 1);
		assert_true(b[0].x1 <= b[1].x0 && b[0].y0 == b[1].y0 && b[0].y1 - b[0].y0 > 110 && b[0].y1 - b[0].y0 < 115);
		free(last);
		pdf_done(&p);
	}
}

static void test_pdf_keep_and_boxes_refuse_bad_arguments(void **state)
{
	(void)state;
	const char *labels[] = {"甲", "乙", "丙", "丁", "戊"};
	hx_pdf_box b[5];
	double mm;
	hx_pdf_doc *doc = new_doc("x");
	assert_int_equal(hx_pdf_paragraph_keep(doc, "x", -1), HX_EINVAL);
	hx_pdf_doc_free(doc);
	doc = new_doc("x");
	assert_int_equal(hx_pdf_paragraph_keep(doc, "x", 201), HX_EINVAL);
	hx_pdf_doc_free(doc);
	doc = new_doc("x");
	assert_int_equal(hx_pdf_sign_boxes(doc, labels, NULL, 0, 40, b), HX_EINVAL);
	hx_pdf_doc_free(doc);
	doc = new_doc("x");
	assert_int_equal(hx_pdf_sign_boxes(doc, labels, NULL, 5, 40, b), HX_EINVAL);
	hx_pdf_doc_free(doc);
	doc = new_doc("x");
	assert_int_equal(hx_pdf_sign_boxes_height(doc, labels, NULL, 2, 2, &mm), HX_EINVAL);
	hx_pdf_doc_free(doc);
	doc = new_doc("x");
	char note[300];
	memset(note, 'a', sizeof note - 1);
	note[sizeof note - 1] = '\0';
	assert_int_equal(hx_pdf_doc_footer_note(doc, note), HX_EINVAL);
	hx_pdf_doc_free(doc);
	doc = new_doc("x");
	assert_int_equal(hx_pdf_doc_footer_note(doc, "\xff"), HX_EINVAL);
	hx_pdf_doc_free(doc);
}

static void test_pdf_documents_render_in_parallel_threads(void **state)
{
	(void)state;
	pthread_t th[4];
	size_t len[4] = {0};
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, render_in_thread, &len[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		assert_true(len[i] > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdf_table_over_pages_gives_chinese_text_back),
		cmocka_unit_test(test_pdf_table_header_repeats_on_every_page),
		cmocka_unit_test(test_pdf_row_taller_than_a_page_is_split_between_lines),
		cmocka_unit_test(test_pdf_refuses_bad_text_and_keeps_the_first_error),
		cmocka_unit_test(test_pdf_table_refuses_bad_columns_and_reports_row_errors),
		cmocka_unit_test(test_pdf_finished_document_refuses_more_content),
		cmocka_unit_test(test_pdf_kept_paragraph_and_sign_boxes),
		cmocka_unit_test(test_pdf_keep_and_boxes_refuse_bad_arguments),
		cmocka_unit_test(test_pdf_documents_render_in_parallel_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
