/* Report services shared by modules (DESIGN: report): spreadsheet files in
 * and out today; PDF and charts (cairo + pango) join here later.
 *
 * Tables in: a user's .xlsx (first worksheet) or .csv (UTF-8 with or
 * without BOM, or GBK/GB18030, detected) becomes a grid of UTF-8 strings.
 * Tables out: a grid of strings becomes an .xlsx file with a bold header
 * row, frozen, with column widths fitted to the content. */
#ifndef HX_REPORT_H
#define HX_REPORT_H

#include <stddef.h>

#include "../core/err.h"

typedef enum { HX_TABLE_AUTO, HX_TABLE_CSV, HX_TABLE_XLSX } hx_table_format;

/* A grid of cells: cells[r][c] is a NUL-terminated UTF-8 string, never
 * NULL (an empty cell is ""). Rows may have different lengths (ncols[r]).
 * Trailing empty rows are dropped. */
typedef struct hx_table {
	size_t nrows;
	size_t *ncols;
	char ***cells;
} hx_table;

/* Parses data[0..len) as a table. AUTO looks at the content: a ZIP header
 * ("PK\3\4") is .xlsx, anything else CSV. Limits: at most max_rows rows
 * (HX_ETOOBIG beyond), 200 columns, 32 KiB per cell. Errors are HX_EINVAL
 * with a Chinese message ("文件不是有效的Excel文件" …). */
int hx_table_read(hx_table **out, const void *data, size_t len, hx_table_format fmt,
		  size_t max_rows, hx_err *err);
void hx_table_free(hx_table *t);
/* max_rows 0 means Excel's own limit (1048576). Row r of the table is row
 * r+1 of the sheet (skipped or blank rows stay as empty rows), so callers
 * can quote row numbers the user sees. An .xlsx number cell keeps its
 * stored text, except that integral values read as plain digits ("3.0" and
 * "1E+17" become "3" and "100000000000000000"); dates are the serial
 * number as text, see hx_excel_serial_to_date. */
static inline const char *hx_table_cell(const hx_table *t, size_t r, size_t c)
{
	return r < t->nrows && c < t->ncols[r] ? t->cells[r][c] : "";
}

/* Excel's serial day number (1900 date system) to "YYYY-MM-DD": 1 is
 * 1900-01-01, 45292 is 2024-01-01; a fraction (time of day) is ignored.
 * Serial 60 is refused: Excel counts a 1900-02-29 that never existed
 * (kept from Lotus 1-2-3), so no real date maps to it. HX_EINVAL when num
 * is not a number in 1..2958465 (9999-12-31). */
int hx_excel_serial_to_date(const char *num, char out[11]);

/* Writes an .xlsx workbook with one sheet. header has ncols names; rows is
 * called to fetch each next row into vals (ncols strings, NULL for empty),
 * returning 1 while there is a row, 0 at the end, negative on error.
 * numeric_cols (may be NULL) marks columns to write as numbers when the
 * text parses as one. The file is written to path.
 * Details: sheet_name is repaired to Excel's rules (at most 31 characters,
 * none of []:*?/\); a numeric column's text is written as a number only
 * when it is plain decimal with at most 15 significant digits and no
 * leading zero, so codes like "007" or an 18-digit ID stay text; a
 * negative return from next becomes the error code (keep details in ctx);
 * a value that is not valid UTF-8 is HX_EINVAL. */
typedef int (*hx_table_next_row)(void *ctx, const char **vals);
int hx_xlsx_write(const char *path, const char *sheet_name, size_t ncols,
		  const char *const *header, const int *numeric_cols, hx_table_next_row next,
		  void *ctx, hx_err *err);

/* Same, in memory: *out (malloc'd) gets the file bytes. */
int hx_xlsx_write_mem(char **out, size_t *outlen, const char *sheet_name, size_t ncols,
		      const char *const *header, const int *numeric_cols,
		      hx_table_next_row next, void *ctx, hx_err *err);

#endif
