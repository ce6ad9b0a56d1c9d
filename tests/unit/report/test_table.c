/* Tests for spreadsheet import and export (src/report): CSV in its
 * encodings and quoting, .xlsx written by us and by other tools, the files
 * we must refuse, and Excel's serial dates. */
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zip.h>

#include "report/report.h"

/* ---- helpers -------------------------------------------------------------- */

static hx_table *read_ok(const char *data, size_t len, hx_table_format fmt)
{
	hx_table *t = NULL;
	hx_err err = {0};
	int rc = hx_table_read(&t, data, len, fmt, 1000, &err);
	if (rc)
		fail_msg("hx_table_read failed: %d %s %s", rc, err.key, err.msg);
	assert_non_null(t);
	return t;
}

static int read_fails(const char *data, size_t len, hx_table_format fmt, size_t max_rows,
		      hx_err *err)
{
	hx_table *t = (hx_table *)0x1;
	int rc = hx_table_read(&t, data, len, fmt, max_rows, err);
	assert_null(t);
	assert_int_not_equal(rc, 0);
	assert_int_equal(err->code, rc);
	return rc;
}

static void assert_cell(const hx_table *t, size_t r, size_t c, const char *want)
{
	const char *got = hx_table_cell(t, r, c);
	if (strcmp(got, want) != 0)
		fail_msg("cell (%zu,%zu): got \"%s\", want \"%s\"", r, c, got, want);
}

/* UTF-8 text in the encoding `to` (e.g. "GBK"), malloc'd. */
static char *iconv_to(const char *to, const char *s, size_t *outlen)
{
	iconv_t cd = iconv_open(to, "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t n = strlen(s), cap = 4 * n + 4, left = cap;
	char *buf = malloc(cap), *o = buf, *in = (char *)s;
	assert_non_null(buf);
	assert_true(iconv(cd, &in, &n, &o, &left) != (size_t)-1);
	iconv_close(cd);
	*outlen = cap - left;
	return buf;
}

struct entry {
	const char *name;
	const char *data;
	size_t len; /* 0: strlen(data) */
};

/* A zip archive holding the entries, as another tool would produce it. */
static char *make_zip(const struct entry *e, size_t n, size_t *outlen)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	assert_non_null(src);
	zip_source_keep(src);
	zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	assert_non_null(z);
	for (size_t i = 0; i < n; i++) {
		size_t len = e[i].len ? e[i].len : strlen(e[i].data);
		zip_source_t *s = zip_source_buffer(z, e[i].data, len, 0);
		assert_non_null(s);
		assert_true(zip_file_add(z, e[i].name, s, ZIP_FL_ENC_UTF_8) >= 0);
	}
	assert_int_equal(zip_close(z), 0);
	assert_int_equal(zip_source_open(src), 0);
	assert_int_equal(zip_source_seek(src, 0, SEEK_END), 0);
	zip_int64_t size = zip_source_tell(src);
	assert_true(size > 0);
	assert_int_equal(zip_source_seek(src, 0, SEEK_SET), 0);
	char *buf = malloc((size_t)size);
	assert_non_null(buf);
	assert_int_equal(zip_source_read(src, buf, (zip_uint64_t)size), size);
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
	*outlen = (size_t)size;
	return buf;
}

/* One part of an .xlsx as a string, to check what Excel will see. */
static char *zip_part(const char *data, size_t len, const char *name)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	zip_t *z = zip_open_from_source(src, ZIP_RDONLY, &ze);
	assert_non_null(z);
	zip_stat_t st;
	assert_int_equal(zip_stat(z, name, 0, &st), 0);
	char *buf = malloc(st.size + 1);
	zip_file_t *f = zip_fopen(z, name, 0);
	assert_non_null(f);
	assert_int_equal(zip_fread(f, buf, st.size), (zip_int64_t)st.size);
	buf[st.size] = '\0';
	zip_fclose(f);
	zip_discard(z);
	zip_error_fini(&ze);
	return buf;
}

/* Rows for hx_xlsx_write from a static array. */
struct rows {
	const char *const *cells; /* nrows × ncols */
	size_t ncols, nrows, next;
};

static int next_row(void *ctx, const char **vals)
{
	struct rows *r = ctx;
	if (r->next == r->nrows)
		return 0;
	for (size_t c = 0; c < r->ncols; c++)
		vals[c] = r->cells[r->next * r->ncols + c];
	r->next++;
	return 1;
}

#define CT_XML                                                                              \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types "                                   \
	"xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"
#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

/* ---- CSV ------------------------------------------------------------------ */

static void test_csv_utf8_reads_chinese_cells(void **state)
{
	const char csv[] = "企业名称,统一社会信用代码,职工人数\n"
			   "某某县示范有限公司,91330100MA2XXXXX0X,120\n";
	hx_table *t = read_ok(csv, sizeof csv - 1, HX_TABLE_AUTO);
	assert_int_equal(t->nrows, 2);
	assert_int_equal(t->ncols[0], 3);
	assert_cell(t, 0, 0, "企业名称");
	assert_cell(t, 1, 0, "某某县示范有限公司");
	assert_cell(t, 1, 1, "91330100MA2XXXXX0X");
	assert_cell(t, 1, 2, "120");
	hx_table_free(t);
}

static void test_csv_utf8_bom_is_stripped(void **state)
{
	const char csv[] = "\xEF\xBB\xBF姓名,电话\r\n张三,13800000000\r\n";
	hx_table *t = read_ok(csv, sizeof csv - 1, HX_TABLE_CSV);
	assert_int_equal(t->nrows, 2);
	assert_cell(t, 0, 0, "姓名");
	assert_cell(t, 1, 1, "13800000000");
	hx_table_free(t);
}

static void test_csv_gbk_is_converted_to_utf8(void **state)
{
	size_t len;
	char *gbk = iconv_to("GBK", "单位名称,地址\n城关镇劳动保障所,\"幸福路1号,2楼\"\n", &len);
	hx_table *t = read_ok(gbk, len, HX_TABLE_AUTO);
	assert_int_equal(t->nrows, 2);
	assert_cell(t, 0, 0, "单位名称");
	assert_cell(t, 0, 1, "地址");
	assert_cell(t, 1, 0, "城关镇劳动保障所");
	assert_cell(t, 1, 1, "幸福路1号,2楼");
	hx_table_free(t);
	free(gbk);
}

static void test_csv_gb18030_four_byte_characters_are_converted(void **state)
{
	size_t len;
	/* U+20BB7 (𠮷) needs a four-byte GB18030 sequence; GBK has no such. */
	char *gb = iconv_to("GB18030", "姓名\n\xF0\xA0\xAE\xB7先生\n", &len);
	hx_table *t = read_ok(gb, len, HX_TABLE_CSV);
	assert_cell(t, 1, 0, "\xF0\xA0\xAE\xB7先生");
	hx_table_free(t);
	free(gb);
}

static void test_csv_quoted_fields_keep_commas_quotes_and_newlines(void **state)
{
	const char csv[] = "a,\"b,c\",\"say \"\"hi\"\"\",\"line1\nline2\",\"\"\n"
			   "\"x\"tail,plain\"quote,\"\"\n";
	hx_table *t = read_ok(csv, sizeof csv - 1, HX_TABLE_CSV);
	assert_int_equal(t->nrows, 2);
	assert_int_equal(t->ncols[0], 5);
	assert_cell(t, 0, 0, "a");
	assert_cell(t, 0, 1, "b,c");
	assert_cell(t, 0, 2, "say \"hi\"");
	assert_cell(t, 0, 3, "line1\nline2");
	assert_cell(t, 0, 4, "");
	/* Lenient like Excel: text after a closing quote, a quote mid-field. */
	assert_cell(t, 1, 0, "xtail");
	assert_cell(t, 1, 1, "plain\"quote");
	assert_cell(t, 1, 2, "");
	hx_table_free(t);
}

static void test_csv_crlf_ends_rows_and_only_trailing_cr_is_removed(void **state)
{
	const char csv[] = "a,b\r\n\"q\r\nr\",c \r\nlast,no newline\r";
	hx_table *t = read_ok(csv, sizeof csv - 1, HX_TABLE_CSV);
	assert_int_equal(t->nrows, 3);
	assert_cell(t, 0, 1, "b");
	assert_cell(t, 1, 0, "q\r\nr"); /* inside quotes: kept as written */
	assert_cell(t, 1, 1, "c ");      /* spaces are data */
	assert_cell(t, 2, 1, "no newline");
	hx_table_free(t);
}

static void test_csv_drops_trailing_empty_rows_and_keeps_inner_ones(void **state)
{
	const char csv[] = "h1,h2\n\n,\nv1,v2\n,\n\n\r\n";
	hx_table *t = read_ok(csv, sizeof csv - 1, HX_TABLE_CSV);
	assert_int_equal(t->nrows, 4); /* row numbers stay as in the file */
	assert_cell(t, 1, 0, "");
	assert_cell(t, 3, 0, "v1");
	assert_cell(t, 3, 1, "v2");
	hx_table_free(t);
}

static void test_csv_trailing_comma_makes_a_last_empty_field(void **state)
{
	const char csv[] = "a,b,";
	hx_table *t = read_ok(csv, sizeof csv - 1, HX_TABLE_CSV);
	assert_int_equal(t->nrows, 1);
	assert_int_equal(t->ncols[0], 3);
	assert_cell(t, 0, 2, "");
	assert_cell(t, 0, 9, ""); /* out of range reads as empty */
	assert_cell(t, 5, 0, "");
	hx_table_free(t);
}

static void test_csv_empty_input_is_an_empty_table(void **state)
{
	hx_table *t = read_ok("", 0, HX_TABLE_AUTO);
	assert_int_equal(t->nrows, 0);
	hx_table_free(t);
	t = read_ok("\xEF\xBB\xBF\r\n\n", 6, HX_TABLE_AUTO);
	assert_int_equal(t->nrows, 0);
	hx_table_free(t);
}

static void test_csv_unpaired_quote_is_refused(void **state)
{
	hx_err err = {0};
	const char csv[] = "a,b\nc,\"open\n";
	assert_int_equal(read_fails(csv, sizeof csv - 1, HX_TABLE_CSV, 100, &err), HX_EINVAL);
	assert_string_equal(err.key, "bad_csv");
	assert_non_null(strstr(err.msg, "第2行"));
}

static void test_csv_undecodable_bytes_are_refused(void **state)
{
	hx_err err = {0};
	/* 0xFF is neither UTF-8 nor a GB18030 lead byte. */
	const char bad[] = "name\n\xFF\xFF\xFF\n";
	assert_int_equal(read_fails(bad, sizeof bad - 1, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	assert_string_equal(err.msg, "文件编码无法识别，请使用UTF-8或GBK编码");
	/* UTF-16 (as Excel's "Unicode text") has NUL bytes. */
	const char u16[] = "\xFF\xFEh\0i\0\n\0";
	assert_int_equal(read_fails(u16, sizeof u16 - 1, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	assert_string_equal(err.key, "bad_encoding");
}

static void test_csv_more_rows_than_max_is_etoobig(void **state)
{
	hx_err err = {0};
	const char csv[] = "h\n1\n2\n3\n";
	assert_int_equal(read_fails(csv, sizeof csv - 1, HX_TABLE_CSV, 3, &err), HX_ETOOBIG);
	assert_string_equal(err.key, "too_many_rows");
	assert_non_null(strstr(err.msg, "文件超过3行"));
	/* Exactly max_rows, then blank lines: fine. */
	hx_table *t = NULL;
	const char ok[] = "h\n1\n2\n\n\n\n";
	assert_int_equal(hx_table_read(&t, ok, sizeof ok - 1, HX_TABLE_CSV, 3, &err), 0);
	assert_int_equal(t->nrows, 3);
	hx_table_free(t);
}

static void test_csv_columns_and_cell_size_are_capped(void **state)
{
	hx_err err = {0};
	char *csv = malloc(70000);
	/* 201 values in a row */
	size_t n = 0;
	for (int i = 0; i < 201; i++)
		n += (size_t)sprintf(csv + n, "%sv", i ? "," : "");
	assert_int_equal(read_fails(csv, n, HX_TABLE_CSV, 10, &err), HX_ETOOBIG);
	assert_string_equal(err.key, "too_many_cols");
	/* 200 values then empty trailing fields: accepted */
	n = 0;
	for (int i = 0; i < 200; i++)
		n += (size_t)sprintf(csv + n, "%sv", i ? "," : "");
	n += (size_t)sprintf(csv + n, ",,,,\n");
	hx_table *t = NULL;
	assert_int_equal(hx_table_read(&t, csv, n, HX_TABLE_CSV, 10, &err), 0);
	assert_int_equal(t->ncols[0], 200);
	hx_table_free(t);
	/* a cell over 32 KiB */
	memcpy(csv, "ok,", 3);
	memset(csv + 3, 'x', 40000);
	assert_int_equal(read_fails(csv, 40003, HX_TABLE_CSV, 10, &err), HX_ETOOBIG);
	assert_string_equal(err.key, "cell_too_long");
	assert_non_null(strstr(err.msg, "第1行B列"));
	free(csv);
}

/* ---- XLSX written by us, read back ---------------------------------------- */

static void test_xlsx_round_trip_keeps_chinese_empty_cells_and_long_ids(void **state)
{
	const char *header[] = {"姓名", "身份证号", "工资", "备注"};
	const int numeric[] = {0, 1, 1, 0};
	const char *cells[] = {
		"张三", "110101199003071234", "5200.5", "试用期",
		"李四", NULL, "4800", "",
		"", "", "", "",  /* an all-empty row in the middle */
		"王五", "11010119900307123X", "007", "_x0041_ 字面\x01控制",
	};
	struct rows rows = {cells, 4, 4, 0};
	char *x = NULL;
	size_t xlen = 0;
	hx_err err = {0};
	assert_int_equal(hx_xlsx_write_mem(&x, &xlen, "职工名册", 4, header, numeric, next_row,
					   &rows, &err),
			 0);
	assert_true(xlen > 0);
	assert_memory_equal(x, "PK\3\4", 4);

	hx_table *t = read_ok(x, xlen, HX_TABLE_AUTO);
	assert_int_equal(t->nrows, 5);
	assert_cell(t, 0, 0, "姓名");
	assert_cell(t, 0, 3, "备注");
	assert_cell(t, 1, 0, "张三");
	/* 18 digits in a numeric column: more than a double holds, so text. */
	assert_cell(t, 1, 1, "110101199003071234");
	assert_cell(t, 1, 2, "5200.5");
	assert_cell(t, 2, 1, "");
	assert_cell(t, 2, 2, "4800");
	assert_cell(t, 2, 3, "");
	assert_cell(t, 3, 0, "");
	assert_cell(t, 4, 1, "11010119900307123X");
	assert_cell(t, 4, 2, "007"); /* leading zero: a code, kept as text */
	assert_cell(t, 4, 3, "_x0041_ 字面\x01控制");
	hx_table_free(t);

	/* What Excel sees: numbers only where safe, everything else text. */
	char *sheet = zip_part(x, xlen, "xl/worksheets/sheet1.xml");
	assert_non_null(strstr(sheet, "<c r=\"C2\"><v>5200.5</v></c>"));
	assert_non_null(strstr(sheet, "<c r=\"C3\"><v>4800</v></c>"));
	assert_non_null(strstr(sheet, "<c r=\"B2\" t=\"inlineStr\"><is><t>110101199003071234</t>"));
	assert_non_null(strstr(sheet, "<c r=\"C5\" t=\"inlineStr\"><is><t>007</t>"));
	free(sheet);
	free(x);
}

static void test_xlsx_header_is_bold_frozen_filtered_and_widths_fit(void **state)
{
	const char *header[] = {"编号", "企业名称", "note"};
	const char *cells[] = {
		"1", "城关镇某某机械制造有限责任公司", "ok",
		"2", "短", "a much longer latin text cell that goes past sixty characters easily",
	};
	struct rows rows = {cells, 3, 2, 0};
	char *x = NULL;
	size_t xlen = 0;
	hx_err err = {0};
	assert_int_equal(hx_xlsx_write_mem(&x, &xlen, "a/b[1]:c", 3, header, NULL, next_row,
					   &rows, &err),
			 0);
	char *sheet = zip_part(x, xlen, "xl/worksheets/sheet1.xml");
	assert_non_null(strstr(sheet, "<pane ySplit=\"1\" topLeftCell=\"A2\""));
	assert_non_null(strstr(sheet, "state=\"frozen\""));
	assert_non_null(strstr(sheet, "<autoFilter ref=\"A1:C3\"/>"));
	/* "编号": 4 units + 2 → the minimum 8; 15 CJK chars → 30 + 2; the
	 * long Latin text is capped at 60. libxlsxwriter adds its padding. */
	assert_non_null(strstr(sheet, "<col min=\"1\" max=\"1\" width=\"8.7109375\""));
	assert_non_null(strstr(sheet, "<col min=\"2\" max=\"2\" width=\"32.7109375\""));
	assert_non_null(strstr(sheet, "<col min=\"3\" max=\"3\" width=\"60.7109375\""));
	assert_non_null(strstr(sheet, "<c r=\"A1\" s=\"1\""));
	free(sheet);
	char *styles = zip_part(x, xlen, "xl/styles.xml");
	assert_non_null(strstr(styles, "<b/>"));
	assert_non_null(strstr(styles, "patternType=\"solid\""));
	free(styles);
	char *wb = zip_part(x, xlen, "xl/workbook.xml");
	assert_non_null(strstr(wb, "name=\"a_b_1__c\""));
	assert_non_null(strstr(wb, "_xlnm._FilterDatabase"));
	free(wb);
	free(x);
}

struct many {
	size_t n, next;
	char buf[10][32];
};

static int next_many(void *ctx, const char **vals)
{
	struct many *m = ctx;
	if (m->next == m->n)
		return 0;
	for (int c = 0; c < 10; c++) {
		snprintf(m->buf[c], sizeof m->buf[c], c == 0 ? "%zu" : "第%zu行%d列", m->next, c);
		vals[c] = m->buf[c];
	}
	m->next++;
	return 1;
}

static void test_xlsx_round_trip_of_ten_thousand_rows(void **state)
{
	const char *header[10] = {"序号", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
	const int numeric[10] = {1};
	struct many m = {.n = 10000};
	char *x = NULL;
	size_t xlen = 0;
	hx_err err = {0};
	assert_int_equal(hx_xlsx_write_mem(&x, &xlen, "数据", 10, header, numeric, next_many, &m,
					   &err),
			 0);
	hx_table *t = NULL;
	assert_int_equal(hx_table_read(&t, x, xlen, HX_TABLE_AUTO, 20000, &err), 0);
	assert_int_equal(t->nrows, 10001);
	assert_cell(t, 1, 0, "0");
	assert_cell(t, 10000, 0, "9999");
	assert_cell(t, 10000, 9, "第9999行9列");
	hx_table_free(t);
	/* The same file with a lower limit is refused, not truncated. */
	assert_int_equal(hx_table_read(&t, x, xlen, HX_TABLE_AUTO, 5000, &err), HX_ETOOBIG);
	assert_null(t);
	free(x);
}

static int next_fails(void *ctx, const char **vals)
{
	return HX_EDB;
}

static void test_xlsx_write_reports_source_errors_and_bad_text(void **state)
{
	const char *header[] = {"a"};
	char *x = (char *)0x1;
	size_t xlen = 1;
	hx_err err = {0};
	assert_int_equal(hx_xlsx_write_mem(&x, &xlen, "s", 1, header, NULL, next_fails, NULL, &err),
			 HX_EDB);
	assert_null(x);
	assert_int_equal(xlen, 0);
	const char *cells[] = {"ok\xC3"};
	struct rows rows = {cells, 1, 1, 0};
	assert_int_equal(hx_xlsx_write_mem(&x, &xlen, "s", 1, header, NULL, next_row, &rows, &err),
			 HX_EINVAL);
	assert_non_null(strstr(err.msg, "第2行A列"));
	assert_int_equal(hx_xlsx_write_mem(&x, &xlen, "s", 0, header, NULL, next_row, &rows, &err),
			 HX_EINVAL);
	/* Excel holds 32767 characters per cell; more is refused, not cut. */
	char *big = malloc(32769);
	memset(big, 'x', 32768);
	big[32768] = '\0';
	cells[0] = big;
	rows.next = 0;
	assert_int_equal(hx_xlsx_write_mem(&x, &xlen, "s", 1, header, NULL, next_row, &rows, &err),
			 HX_ETOOBIG);
	assert_string_equal(err.key, "cell_too_long");
	assert_null(x);
	free(big);
}

/* ---- XLSX made by another tool -------------------------------------------- */

static const char other_workbook[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
	"<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\"><sheets>"
	"<sheet name=\"隐藏\" sheetId=\"3\" state=\"hidden\" r:id=\"rId3\"/>"
	"<sheet name=\"名单\" sheetId=\"1\" r:id=\"rId1\"/>"
	"<sheet name=\"其他\" sheetId=\"2\" r:id=\"rId2\"/></sheets></workbook>";

static const char other_rels[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId2\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/sheet3.xml\"/>"
	"<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" Target=\"/xl/worksheets/list.xml\"/>"
	"<Relationship Id=\"rId9\" Type=\"" NS_REL "/sharedStrings\" Target=\"strings.xml\"/>"
	"</Relationships>";

static const char other_sst[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<sst xmlns=\"" NS_MAIN "\" count=\"3\" uniqueCount=\"3\">"
	"<si><t>企业名称</t></si>"
	"<si><r><rPr><b/></rPr><t>富</t></r><r><t xml:space=\"preserve\">文本 </t></r>"
	"<rPh sb=\"0\" eb=\"1\"><t>フ</t></rPh></si>"
	"<si><t>a_x000D__x005F_x0041_</t></si>"
	"</sst>";

static const char other_sheet[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<worksheet xmlns=\"" NS_MAIN "\"><dimension ref=\"A1:F9\"/><sheetData>"
	"<row r=\"1\"><c r=\"C1\" t=\"s\"><v>0</v></c><c r=\"A1\" t=\"inlineStr\"><is><t>先</t></is></c></row>"
	"<row r=\"2\" spans=\"1:6\"><c r=\"A2\" s=\"3\"/><c r=\"B2\" t=\"s\"><v>1</v></c>"
	"<c r=\"D2\"><v>3.0</v></c><c r=\"E2\"><v>1.0E+17</v></c><c r=\"F2\"><v>0.5</v></c></row>"
	"<row r=\"5\"><c t=\"b\"><v>1</v></c><c><f>A1&amp;\"x\"</f><v>1.1000000000000001</v></c>"
	"<c t=\"str\"><f>A1</f><v>公式结果</v></c><c t=\"s\"><v>2</v></c>"
	"<c t=\"e\"><v>#N/A</v></c><c r=\"F5\"><v>45292</v></c></row>"
	"<row r=\"9\"><c r=\"A9\" s=\"2\"/><c r=\"B9\" t=\"inlineStr\"><is><t></t></is></c></row>"
	"</sheetData></worksheet>";

static const char hidden_sheet[] =
	"<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\">"
	"<is><t>hidden</t></is></c></row></sheetData></worksheet>";

static void test_xlsx_from_other_tool_places_cells_by_reference(void **state)
{
	const struct entry e[] = {
		{"[Content_Types].xml", CT_XML, 0},
		{"xl/workbook.xml", other_workbook, 0},
		{"xl/_rels/workbook.xml.rels", other_rels, 0},
		{"xl/strings.xml", other_sst, 0},
		{"xl/worksheets/list.xml", other_sheet, 0},
		{"xl/worksheets/sheet1.xml", hidden_sheet, 0},
		{"xl/worksheets/sheet3.xml", hidden_sheet, 0},
	};
	size_t len;
	char *x = make_zip(e, sizeof e / sizeof e[0], &len);
	hx_table *t = read_ok(x, len, HX_TABLE_AUTO);
	/* First visible sheet, found through the relationships. */
	assert_int_equal(t->nrows, 5); /* row 9 has only empty cells */
	assert_cell(t, 0, 0, "先");
	assert_cell(t, 0, 1, "");
	assert_cell(t, 0, 2, "企业名称");
	assert_int_equal(t->ncols[0], 3);
	assert_cell(t, 1, 0, "");
	assert_cell(t, 1, 1, "富文本 "); /* runs joined, phonetic guide skipped */
	assert_cell(t, 1, 2, "");
	assert_cell(t, 1, 3, "3");
	assert_cell(t, 1, 4, "100000000000000000");
	assert_cell(t, 1, 5, "0.5");
	assert_int_equal(t->ncols[2], 0); /* skipped rows are empty rows */
	assert_int_equal(t->ncols[3], 0);
	assert_cell(t, 4, 0, "TRUE"); /* cells without r follow each other */
	assert_cell(t, 4, 1, "1.1000000000000001");
	assert_cell(t, 4, 2, "公式结果");
	assert_cell(t, 4, 3, "a\r_x0041_");
	assert_cell(t, 4, 4, "#N/A");
	assert_cell(t, 4, 5, "45292");
	char date[11];
	assert_int_equal(hx_excel_serial_to_date(hx_table_cell(t, 4, 5), date), 0);
	assert_string_equal(date, "2024-01-01");
	hx_table_free(t);
	free(x);
}

static void test_xlsx_without_rels_uses_sheet1_and_prefixed_names(void **state)
{
	/* Some generators use a prefix for the main namespace and no rels. */
	const char wb[] = "<x:workbook xmlns:x=\"" NS_MAIN "\"><x:sheets><x:sheet name=\"S\" "
			  "sheetId=\"1\"/></x:sheets></x:workbook>";
	const char sheet[] =
		"<x:worksheet xmlns:x=\"" NS_MAIN "\"><x:sheetData><x:row r=\"2\">"
		"<x:c r=\"b2\" t=\"s\"><x:v>0</x:v></x:c><x:c r=\"D2\" t=\"inlineStr\"><x:is>"
		"<x:r><x:t>行</x:t></x:r><x:r><x:t>内</x:t></x:r></x:is></x:c></x:row>"
		"</x:sheetData></x:worksheet>";
	const char sst[] = "<sst xmlns=\"" NS_MAIN "\"><si><t>共享</t></si></sst>";
	const struct entry e[] = {
		{"xl/workbook.xml", wb, 0},
		{"xl/worksheets/sheet1.xml", sheet, 0},
		{"xl/sharedStrings.xml", sst, 0},
	};
	size_t len;
	char *x = make_zip(e, 3, &len);
	hx_table *t = read_ok(x, len, HX_TABLE_XLSX);
	assert_int_equal(t->nrows, 2);
	assert_int_equal(t->ncols[0], 0);
	assert_cell(t, 1, 1, "共享");
	assert_cell(t, 1, 3, "行内");
	hx_table_free(t);
	free(x);
}

/* ---- files we refuse ----------------------------------------------------------- */

static void test_refuses_garbage_truncated_zip_and_xls(void **state)
{
	hx_err err = {0};
	const char garbage[] = "PK\3\4 not really a zip at all";
	assert_int_equal(read_fails(garbage, sizeof garbage - 1, HX_TABLE_AUTO, 100, &err),
			 HX_EINVAL);
	assert_string_equal(err.msg, "文件不是有效的Excel（.xlsx）文件");

	const char *header[] = {"a"};
	const char *cells[] = {"1"};
	struct rows rows = {cells, 1, 1, 0};
	char *x = NULL;
	size_t xlen = 0;
	assert_int_equal(hx_xlsx_write_mem(&x, &xlen, "s", 1, header, NULL, next_row, &rows, &err),
			 0);
	/* Cut off before the central directory. */
	assert_int_equal(read_fails(x, xlen / 2, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	assert_string_equal(err.key, "bad_xlsx");
	/* Corrupt the compressed bytes of every part but keep the directory. */
	for (size_t i = 40; i < xlen / 2; i++)
		x[i] ^= 0x5A;
	assert_int_equal(read_fails(x, xlen, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	free(x);

	const char xls[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0rest";
	assert_int_equal(read_fails(xls, sizeof xls - 1, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	assert_string_equal(err.msg, "不支持旧版.xls格式，请另存为.xlsx或.csv");

	char enc[600] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
	memcpy(enc + 300, "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0", 32);
	assert_int_equal(read_fails(enc, sizeof enc, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	assert_string_equal(err.key, "encrypted");

	/* A zip that is not a workbook, and an .xlsb. */
	const struct entry doc[] = {{"word/document.xml", "<w/>", 0}};
	size_t len;
	char *z = make_zip(doc, 1, &len);
	assert_int_equal(read_fails(z, len, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	assert_string_equal(err.key, "bad_xlsx");
	free(z);
	const struct entry xlsb[] = {{"xl/workbook.bin", "\1\2", 0}};
	z = make_zip(xlsb, 1, &len);
	assert_int_equal(read_fails(z, len, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	assert_string_equal(err.key, "xlsb");
	free(z);
	assert_int_equal(read_fails("", 0, HX_TABLE_XLSX, 100, &err), HX_EINVAL);
}

static void test_xlsx_with_dtd_or_malformed_xml_is_refused(void **state)
{
	hx_err err = {0};
	const char lol[] = "<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY a \"aaaaaaaaaa\">"
			   "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
			   "<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>&b;</t></is>"
			   "</c></row></sheetData></worksheet>";
	const struct entry e[] = {{"xl/workbook.xml", "<workbook/>", 0},
				  {"xl/worksheets/sheet1.xml", lol, 0}};
	size_t len;
	char *z = make_zip(e, 2, &len);
	assert_int_equal(read_fails(z, len, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	assert_string_equal(err.key, "bad_xlsx");
	free(z);

	const struct entry m[] = {{"xl/workbook.xml", "<workbook/>", 0},
				  {"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row>", 0}};
	z = make_zip(m, 2, &len);
	assert_int_equal(read_fails(z, len, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	free(z);

	/* A shared-string index that does not exist. */
	const struct entry s[] = {{"xl/workbook.xml", "<workbook/>", 0},
				  {"xl/worksheets/sheet1.xml",
				   "<worksheet><sheetData><row><c t=\"s\"><v>7</v></c></row>"
				   "</sheetData></worksheet>",
				   0}};
	z = make_zip(s, 2, &len);
	assert_int_equal(read_fails(z, len, HX_TABLE_AUTO, 100, &err), HX_EINVAL);
	free(z);
}

static void test_xlsx_too_many_rows_or_columns_is_etoobig(void **state)
{
	hx_err err = {0};
	const struct entry e[] = {
		{"xl/workbook.xml", "<workbook/>", 0},
		{"xl/worksheets/sheet1.xml",
		 "<worksheet><sheetData><row r=\"1\"><c t=\"inlineStr\"><is><t>h</t></is></c></row>"
		 "<row r=\"1000\"><c r=\"A1000\" s=\"1\"/></row>" /* styled, empty: ignored */
		 "<row r=\"4\"><c r=\"A4\"><v>1</v></c></row></sheetData></worksheet>",
		 0}};
	size_t len;
	char *z = make_zip(e, 2, &len);
	assert_int_equal(read_fails(z, len, HX_TABLE_AUTO, 3, &err), HX_ETOOBIG);
	assert_string_equal(err.key, "too_many_rows");
	hx_table *t = NULL;
	assert_int_equal(hx_table_read(&t, z, len, HX_TABLE_AUTO, 4, &err), 0);
	assert_int_equal(t->nrows, 4);
	hx_table_free(t);
	free(z);

	const struct entry c[] = {
		{"xl/workbook.xml", "<workbook/>", 0},
		{"xl/worksheets/sheet1.xml",
		 "<worksheet><sheetData><row r=\"1\"><c r=\"GS1\"><v>1</v></c></row>"
		 "</sheetData></worksheet>",
		 0}};
	z = make_zip(c, 2, &len); /* GS is column 201 */
	assert_int_equal(read_fails(z, len, HX_TABLE_AUTO, 10, &err), HX_ETOOBIG);
	assert_string_equal(err.key, "too_many_cols");
	free(z);
}

static void test_xlsx_part_over_200_mib_is_refused_as_zip_bomb(void **state)
{
	hx_err err = {0};
	size_t big = ((size_t)200 << 20) + 1;
	char *zeros = calloc(1, big);
	assert_non_null(zeros);
	memcpy(zeros, "<worksheet>", 11);
	const struct entry e[] = {{"xl/workbook.xml", "<workbook/>", 0},
				  {"xl/worksheets/sheet1.xml", zeros, big}};
	size_t len;
	char *z = make_zip(e, 2, &len);
	free(zeros);
	assert_true(len < ((size_t)1 << 20)); /* small on the wire */
	assert_int_equal(read_fails(z, len, HX_TABLE_AUTO, 10, &err), HX_ETOOBIG);
	assert_string_equal(err.key, "table_too_big");
	free(z);
}

/* ---- Excel dates ------------------------------------------------------------ */

static void test_excel_serial_to_date_follows_the_1900_system(void **state)
{
	char d[11];
	assert_int_equal(hx_excel_serial_to_date("45292", d), 0);
	assert_string_equal(d, "2024-01-01");
	assert_int_equal(hx_excel_serial_to_date("1", d), 0);
	assert_string_equal(d, "1900-01-01");
	assert_int_equal(hx_excel_serial_to_date("59", d), 0);
	assert_string_equal(d, "1900-02-28");
	/* 60 is Excel's phantom 1900-02-29: refused rather than guessed. */
	assert_int_equal(hx_excel_serial_to_date("60", d), HX_EINVAL);
	assert_int_equal(hx_excel_serial_to_date("61", d), 0);
	assert_string_equal(d, "1900-03-01");
	assert_int_equal(hx_excel_serial_to_date("45351.75", d), 0); /* with a time */
	assert_string_equal(d, "2024-02-29");
	assert_int_equal(hx_excel_serial_to_date("2958465", d), 0);
	assert_string_equal(d, "9999-12-31");
	assert_int_equal(hx_excel_serial_to_date("2958466", d), HX_EINVAL);
	assert_int_equal(hx_excel_serial_to_date("0", d), HX_EINVAL);
	assert_int_equal(hx_excel_serial_to_date("-5", d), HX_EINVAL);
	assert_int_equal(hx_excel_serial_to_date("2024-01-01", d), HX_EINVAL);
	assert_int_equal(hx_excel_serial_to_date("", d), HX_EINVAL);
	assert_int_equal(hx_excel_serial_to_date("nan", d), HX_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_utf8_reads_chinese_cells),
		cmocka_unit_test(test_csv_utf8_bom_is_stripped),
		cmocka_unit_test(test_csv_gbk_is_converted_to_utf8),
		cmocka_unit_test(test_csv_gb18030_four_byte_characters_are_converted),
		cmocka_unit_test(test_csv_quoted_fields_keep_commas_quotes_and_newlines),
		cmocka_unit_test(test_csv_crlf_ends_rows_and_only_trailing_cr_is_removed),
		cmocka_unit_test(test_csv_drops_trailing_empty_rows_and_keeps_inner_ones),
		cmocka_unit_test(test_csv_trailing_comma_makes_a_last_empty_field),
		cmocka_unit_test(test_csv_empty_input_is_an_empty_table),
		cmocka_unit_test(test_csv_unpaired_quote_is_refused),
		cmocka_unit_test(test_csv_undecodable_bytes_are_refused),
		cmocka_unit_test(test_csv_more_rows_than_max_is_etoobig),
		cmocka_unit_test(test_csv_columns_and_cell_size_are_capped),
		cmocka_unit_test(test_xlsx_round_trip_keeps_chinese_empty_cells_and_long_ids),
		cmocka_unit_test(test_xlsx_header_is_bold_frozen_filtered_and_widths_fit),
		cmocka_unit_test(test_xlsx_round_trip_of_ten_thousand_rows),
		cmocka_unit_test(test_xlsx_write_reports_source_errors_and_bad_text),
		cmocka_unit_test(test_xlsx_from_other_tool_places_cells_by_reference),
		cmocka_unit_test(test_xlsx_without_rels_uses_sheet1_and_prefixed_names),
		cmocka_unit_test(test_refuses_garbage_truncated_zip_and_xls),
		cmocka_unit_test(test_xlsx_with_dtd_or_malformed_xml_is_refused),
		cmocka_unit_test(test_xlsx_too_many_rows_or_columns_is_etoobig),
		cmocka_unit_test(test_xlsx_part_over_200_mib_is_refused_as_zip_bomb),
		cmocka_unit_test(test_excel_serial_to_date_follows_the_1900_system),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
