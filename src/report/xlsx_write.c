/* Writing a grid of strings as an .xlsx workbook: the exports an area
 * officer downloads (enterprise lists, checkup results, ratings). One sheet,
 * a bold shaded header row that stays frozen with an autofilter on it, and
 * column widths fitted to the content. Cells are text unless the caller
 * marks a column numeric, so an 18-digit ID number or a USCC is never
 * turned into a rounded number by Excel.
 *
 * libxlsxwriter runs in constant_memory mode: each row goes to a temporary
 * file as soon as it is written, so a 100,000-row export needs no more
 * memory than a 10-row one. That mode only asks rows to be written in
 * order; the autofilter, frozen pane and column widths are all emitted
 * when the workbook is closed, once the row count and widths are known. */
#include "report.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "../core/buf.h"
#include "../core/json.h"

#define EXCEL_MAX_CHARS 32767 /* characters in one cell */
#define EXCEL_MAX_ROWS 1048576
#define EXCEL_MAX_COLS 16384
#define WIDTH_MIN 8
#define WIDTH_MAX 60
#define HEADER_FILL 0xDDEBF7 /* light blue */
#define MAX_OUTPUT ((off_t)512 << 20)
#define SHEET_NAME_MAX 31

/* Display width in Excel's character units: CJK and full-width forms take
 * two, everything else one. Only the longest line counts. Stops counting
 * at WIDTH_MAX, which is the cap anyway. */
static int is_wide(unsigned cp)
{
	return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	       (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

static int text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int best = 0, w = 0;
	while (*p && best < WIDTH_MAX) {
		unsigned cp = *p;
		int k = cp < 0x80 ? 0 : cp < 0xE0 ? 1 : cp < 0xF0 ? 2 : 3;
		if (k == 1)
			cp &= 0x1F;
		else if (k == 2)
			cp &= 0x0F;
		else if (k == 3)
			cp &= 0x07;
		p++;
		for (int i = 0; i < k && *p; i++, p++)
			cp = (cp << 6) | (*p & 0x3F);
		if (cp == '\n') {
			w = 0;
			continue;
		}
		w += is_wide(cp) ? 2 : 1;
		if (w > best)
			best = w;
	}
	return best;
}

/* A number the caller allowed to be written as one: plain decimal with at
 * most 15 significant digits (what a double holds exactly), no leading
 * zeros ("007" is a code, not 7), no exponent, no spaces. */
static int plain_number(const char *s)
{
	const char *p = s;
	int sig = 0, lead = 1;
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (*p != '0')
			lead = 0;
		if (!lead)
			sig++;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (*p != '0')
				lead = 0;
			if (!lead)
				sig++;
		}
	}
	return *p == '\0' && sig <= 15;
}

/* Excel reads "_xHHHH_" in a string as an escaped character (that is how
 * control characters are stored, and libxlsxwriter writes them so). Text
 * that merely looks like one gets its underscore escaped as "_x005F_" so
 * it comes back as typed. out is used only when escaping is needed. */
static int is_xescape(const char *s)
{
	if (s[0] != '_' || s[1] != 'x')
		return 0;
	for (int i = 2; i < 6; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return s[6] == '_';
}

static int escape_xstring(const char **text, const char *s, hx_buf *out)
{
	const char *p = strstr(s, "_x");
	while (p && !is_xescape(p))
		p = strstr(p + 1, "_x");
	if (!p) {
		*text = s;
		return 0;
	}
	hx_buf_reset(out);
	const char *run = s;
	for (; p; p = strstr(p + 1, "_x")) {
		if (!is_xescape(p))
			continue;
		if (hx_buf_append(out, run, (size_t)(p - run)) || hx_buf_puts(out, "_x005F_"))
			return HX_ETOOBIG;
		run = p + 1;
	}
	if (hx_buf_puts(out, run))
		return HX_ETOOBIG;
	*text = out->data;
	return 0;
}

/* Excel sheet names: 1..31 characters, none of []:*?/\, not starting or
 * ending with an apostrophe. A name that breaks the rules is repaired
 * rather than refused (callers pass titles such as an area's name). */
static void sheet_name_fix(char out[SHEET_NAME_MAX * 4 + 1], const char *name)
{
	size_t o = 0;
	int chars = 0;
	if (name && hx_utf8_valid(name, strlen(name))) {
		const unsigned char *p = (const unsigned char *)name;
		while (*p == '\'')
			p++;
		while (*p && chars < SHEET_NAME_MAX) {
			size_t k = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
			if (k == 1 && (strchr("[]:*?/\\", *p) || *p < 0x20)) {
				out[o++] = '_';
			} else {
				memcpy(out + o, p, k);
				o += k;
			}
			p += k;
			chars++;
		}
		while (o > 0 && out[o - 1] == '\'')
			o--;
	}
	out[o] = '\0';
	if (o == 0)
		strcpy(out, "Sheet1");
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

struct writer {
	lxw_worksheet *ws;
	const int *numeric;
	int *width;
	hx_buf scratch;
	hx_err *err;
};

static int write_cell(struct writer *w, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *fmt,
		      int numeric)
{
	char col[8] = {0};
	if (!s || !*s) {
		if (fmt)
			worksheet_write_blank(w->ws, r, c, fmt);
		return 0;
	}
	if (!hx_utf8_valid(s, strlen(s))) {
		lxw_col_to_name(col, c, 0);
		return hx_err_set(w->err, HX_EINVAL, "bad_text", "", "第%u行%s列不是有效的UTF-8文本",
				  (unsigned)r + 1, col);
	}
	if (utf8_chars(s) > EXCEL_MAX_CHARS) {
		lxw_col_to_name(col, c, 0);
		return hx_err_set(w->err, HX_ETOOBIG, "cell_too_long", "",
				  "第%u行%s列的内容超过Excel单元格上限（32767个字符）",
				  (unsigned)r + 1, col);
	}
	int tw = text_width(s);
	if (tw > w->width[c])
		w->width[c] = tw;
	lxw_error e;
	if (numeric && plain_number(s)) {
		e = worksheet_write_number(w->ws, r, c, strtod(s, NULL), fmt);
	} else {
		const char *text;
		if (escape_xstring(&text, s, &w->scratch))
			return hx_err_set(w->err, HX_ENOMEM, "no_memory", "", "内存不足");
		e = worksheet_write_string(w->ws, r, c, text, fmt);
	}
	if (e != LXW_NO_ERROR) {
		lxw_col_to_name(col, c, 0);
		return hx_err_set(w->err, HX_EIO, "xlsx_write", "", "写入第%u行%s列失败：%s",
				  (unsigned)r + 1, col, lxw_strerror(e));
	}
	return 0;
}

int hx_xlsx_write(const char *path, const char *sheet_name, size_t ncols,
		  const char *const *header, const int *numeric_cols, hx_table_next_row next,
		  void *ctx, hx_err *err)
{
	int rc = 0;
	lxw_workbook *wb = NULL;
	const char **vals = NULL;
	struct writer w = {.numeric = numeric_cols, .err = err};
	hx_buf_init(&w.scratch, 0);

	if (!path || !next || ncols == 0 || ncols > EXCEL_MAX_COLS)
		return hx_err_set(err, HX_EINVAL, "bad_columns", "", "导出参数不正确");

	char tmpdir[4096];
	const char *td = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s", td && *td ? td : "/tmp");
	lxw_workbook_options opts = {.constant_memory = LXW_TRUE, .tmpdir = tmpdir};
	char name[SHEET_NAME_MAX * 4 + 1];
	sheet_name_fix(name, sheet_name);

	vals = calloc(ncols, sizeof *vals);
	w.width = calloc(ncols, sizeof *w.width);
	if (!vals || !w.width) {
		rc = hx_err_set(err, HX_ENOMEM, "no_memory", "", "内存不足");
		goto done;
	}
	wb = workbook_new_opt(path, &opts);
	if (!wb || !(w.ws = workbook_add_worksheet(wb, name))) {
		rc = hx_err_set(err, HX_EIO, "xlsx_write", "", "无法创建Excel文件");
		goto done;
	}
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_bg_color(bold, HEADER_FILL);
	format_set_pattern(bold, LXW_PATTERN_SOLID);
	worksheet_freeze_panes(w.ws, 1, 0);

	for (size_t c = 0; c < ncols; c++)
		if ((rc = write_cell(&w, 0, (lxw_col_t)c, header ? header[c] : NULL, bold, 0)))
			goto done;

	lxw_row_t row = 0;
	for (;;) {
		memset(vals, 0, ncols * sizeof *vals);
		int more = next(ctx, vals);
		if (more < 0) {
			rc = hx_err_set(err, more, "export_source", "", "读取导出数据失败");
			goto done;
		}
		if (more == 0)
			break;
		if (row + 1 >= EXCEL_MAX_ROWS) {
			rc = hx_err_set(err, HX_ETOOBIG, "too_many_rows", "",
					"导出数据超过Excel的最大行数（%d行），请缩小范围",
					EXCEL_MAX_ROWS);
			goto done;
		}
		row++;
		for (size_t c = 0; c < ncols; c++)
			if ((rc = write_cell(&w, row, (lxw_col_t)c, vals[c], NULL,
					     numeric_cols && numeric_cols[c])))
				goto done;
	}

	worksheet_autofilter(w.ws, 0, 0, row, (lxw_col_t)(ncols - 1));
	for (size_t c = 0; c < ncols; c++) {
		int width = w.width[c] + 2;
		if (width < WIDTH_MIN)
			width = WIDTH_MIN;
		if (width > WIDTH_MAX)
			width = WIDTH_MAX;
		worksheet_set_column(w.ws, (lxw_col_t)c, (lxw_col_t)c, width, NULL);
	}
	lxw_error e = workbook_close(wb);
	wb = NULL;
	if (e != LXW_NO_ERROR)
		rc = hx_err_set(err, HX_EIO, "xlsx_write", "", "写入Excel文件失败：%s",
				lxw_strerror(e));
done:
	if (wb)
		lxw_workbook_free(wb); /* frees without writing the file */
	free(vals);
	free(w.width);
	hx_buf_free(&w.scratch);
	return rc;
}

static int read_file(char **out, size_t *outlen, const char *path, hx_err *err)
{
	int rc = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = hx_err_set(err, HX_EIO, "xlsx_write", "", "读取导出文件失败");
		goto done;
	}
	if (st.st_size > MAX_OUTPUT) {
		rc = hx_err_set(err, HX_ETOOBIG, "export_too_big", "", "导出文件过大，请缩小范围");
		goto done;
	}
	size_t size = (size_t)st.st_size, got = 0;
	buf = malloc(size + 1);
	if (!buf) {
		rc = hx_err_set(err, HX_ENOMEM, "no_memory", "", "内存不足");
		goto done;
	}
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n <= 0) {
			rc = hx_err_set(err, HX_EIO, "xlsx_write", "", "读取导出文件失败");
			goto done;
		}
		got += (size_t)n;
	}
	buf[size] = '\0';
	*out = buf;
	*outlen = size;
	buf = NULL;
done:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int hx_xlsx_write_mem(char **out, size_t *outlen, const char *sheet_name, size_t ncols,
		      const char *const *header, const int *numeric_cols,
		      hx_table_next_row next, void *ctx, hx_err *err)
{
	*out = NULL;
	*outlen = 0;
	/* libxlsxwriter 1.1.4 writes only to a named file. */
	char path[4200];
	const char *td = getenv("TMPDIR");
	snprintf(path, sizeof path, "%s/hexie-xlsx-XXXXXX", td && *td ? td : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return hx_err_set(err, HX_EIO, "xlsx_write", "", "无法创建临时文件");
	close(fd);
	int rc = hx_xlsx_write(path, sheet_name, ncols, header, numeric_cols, next, ctx, err);
	if (!rc)
		rc = read_file(out, outlen, path, err);
	unlink(path);
	return rc;
}
