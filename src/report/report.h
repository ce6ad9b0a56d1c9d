/* Report services shared by modules (DESIGN: report): spreadsheet files in
 * and out, and PDF documents (cairo + pango) with charts.
 *
 * Tables in: a user's .xlsx (first worksheet) or .csv (UTF-8 with or
 * without BOM, or GBK/GB18030, detected) becomes a grid of UTF-8 strings.
 * Tables out: a grid of strings becomes an .xlsx file with a bold header
 * row, frozen, with column widths fitted to the content.
 * Documents out: headings, paragraphs, tables and a radar chart become an
 * A4 PDF with the Noto CJK fonts embedded (hx_pdf_…, at the end). */
#ifndef HX_REPORT_H
#define HX_REPORT_H

#include <jansson.h>
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

/* ---- PDF documents (cairo + pango) ----------------------------------------
 *
 * A small flow renderer: content is added top to bottom and broken into A4
 * portrait pages (margins 20 mm, 18 mm top, 22 mm bottom); finishing adds
 * the footer "第 N 页 共 M 页" to every page, an outline entry per heading,
 * the metadata (title, creator "Hexie") and answers the file in memory.
 * Text is "Noto Sans CJK SC" (regular and bold) with the level-1 title
 * in "Noto Serif CJK SC" bold, from fonts-noto-cjk, embedded as subsets
 * with a ToUnicode map, so the PDF can be searched and copied from. Text
 * is plain UTF-8 (no markup); "\n" breaks a line.
 *
 * Errors are sticky, like cairo's: every content call returns 0 or the
 * document's first error (HX_EINVAL for text that is not UTF-8 or over
 * HX_PDF_TEXT_MAX, a bad level or column set; HX_ETOOBIG past
 * HX_PDF_MAX_PAGES), and later calls do nothing. hx_pdf_doc_finish
 * reports that error with its message, so a caller may check only there.
 *
 * Threads: a document belongs to one thread from hx_pdf_doc_new to
 * hx_pdf_doc_free; documents on different threads render in parallel
 * without a lock. Each thread keeps pango's per-thread font map, so fonts
 * load once per thread (an HTTP worker), not once per document. */

#define HX_PDF_TEXT_MAX ((size_t)64 << 10)  /* bytes of one text argument */
#define HX_PDF_MAX_PAGES 500
#define HX_PDF_MAX_BYTES ((size_t)64 << 20) /* size of the finished file */
#define HX_PDF_MAX_COLS 16

typedef struct hx_pdf_doc hx_pdf_doc;

/* A new empty document; title goes into the PDF metadata (it is not
 * printed: add a heading for that). HX_EINTERNAL when the CJK fonts are
 * not installed (Debian: fonts-noto-cjk). */
int hx_pdf_doc_new(hx_pdf_doc **out, const char *title, hx_err *err);
/* Sets every text role to the one regular sans face (sizes kept, the
 * title a little larger): each embedded face costs a document ~25 ms and
 * ~80 KB (cairo reads the face's whole CFF table), so documents made in
 * bulk (contracts) use one. Call before adding content. */
void hx_pdf_doc_one_face(hx_pdf_doc *doc);
void hx_pdf_doc_free(hx_pdf_doc *doc);

/* Level 1: the document title, centered, serif bold; 2: a section; 3: a
 * sub-section. A heading never ends a page: with too little room below it,
 * it starts the next page. */
int hx_pdf_heading(hx_pdf_doc *doc, const char *text, int level);
/* Justified body text; breaks across pages between lines. */
int hx_pdf_paragraph(hx_pdf_doc *doc, const char *text);
/* Labelled values without borders (申报单位 … 评价日期 …): pairs holds
 * npairs keys and values, alternating; a NULL value prints as empty. */
int hx_pdf_key_values(hx_pdf_doc *doc, const char *const *pairs, size_t npairs);
/* Vertical space, in millimetres (0…100). */
int hx_pdf_space(hx_pdf_doc *doc, double mm);
/* Starts a new page (nothing when the current page is still empty). */
int hx_pdf_page_break(hx_pdf_doc *doc);

typedef enum { HX_PDF_LEFT, HX_PDF_CENTER, HX_PDF_RIGHT } hx_pdf_align;

typedef struct hx_pdf_column {
	const char *title;   /* header cell text */
	double width_mm;     /* 0: an equal share of the width the others leave */
	hx_pdf_align align;  /* of the column's body cells (headers are centered) */
} hx_pdf_column;

enum {
	HX_PDF_ROW_BOLD = 1u << 0,   /* bold text */
	HX_PDF_ROW_SHADED = 1u << 1, /* light grey background */
	HX_PDF_ROW_KEEP = 1u << 2,   /* keep with the next row: a group's heading row
					never ends a page */
};

/* Fetches the next row: fills cells[0..ncols) (NULL for an empty cell; the
 * strings need to live only until the next call) and may set *flags
 * (HX_PDF_ROW_…, 0 on entry). Returns 1 while there is a row, 0 at the
 * end, a negative HX_E… code to stop (the table stops there; that code
 * becomes the document's error). */
typedef int (*hx_pdf_next_row)(void *ctx, const char **cells, unsigned *flags);

/* A ruled table, full text width: wrapped cell text, the header row
 * repeated at the top of every page the table reaches. A row moves whole
 * to the next page when it does not fit; only a row taller than a page is
 * split, between text lines. Column widths must add up to at most 170 mm
 * (the text width); columns of width 0 share the rest, at least 10 mm
 * each. 1…HX_PDF_MAX_COLS columns. */
int hx_pdf_table(hx_pdf_doc *doc, const hx_pdf_column *cols, size_t ncols, hx_pdf_next_row next,
		 void *ctx);

/* One line (or a few) of large centred bold text, size_pt 6…120: a grade
 * on a cover page. Moves to the next page when it does not fit. */
int hx_pdf_big_text(hx_pdf_doc *doc, const char *text, double size_pt);

#define HX_PDF_RADAR_MAX_AXES 32

/* A radar (spider) chart, drawn in the flow: reserves the height it needs
 * (about 110 mm with its labels; a new page when it does not fit) and
 * draws there, centred. n axes (3…HX_PDF_RADAR_MAX_AXES) clockwise from
 * the top, axis i named labels[i] (wrapped to 42 mm, at most three lines)
 * and showing values[i] on a scale of 0…max (values outside are drawn at
 * the nearest end); grid rings at 20, 40, 60, 80 and 100 % of max, with
 * their values up the first axis. title (may be NULL) is printed above
 * it. Labels are text, found by pdftotext like any other. */
int hx_pdf_radar(hx_pdf_doc *doc, const char *title, size_t n, const char *const *labels,
		 const double *values, double max);

/* A paragraph (as hx_pdf_paragraph) that keeps its end with the keep_mm
 * that follow it: when they would not fit below it on its page, its last
 * two lines (the whole paragraph when shorter than three) start the next
 * page. A contract's last clause keeps the signature block from standing
 * alone on the last page. keep_mm 0…200. */
int hx_pdf_paragraph_keep(hx_pdf_doc *doc, const char *text, double keep_mm);

/* Text printed before "第 N 页 共 M 页" in every page's footer (a
 * document number: "合同编号：…"); at most 200 bytes, NULL or "" for none. */
int hx_pdf_doc_footer_note(hx_pdf_doc *doc, const char *text);

#define HX_PDF_SIGN_MAX 4

/* Where a box landed: page (0-based) and rectangle in PDF user space
 * (points, origin at the page's bottom left corner), as a /Rect. */
typedef struct hx_pdf_box {
	int page;
	double x0, y0, x1, y1;
} hx_pdf_box;

/* A row of signature places (签字盖章处): n (1…HX_PDF_SIGN_MAX) columns
 * side by side, each its label, an empty box box_mm (5…120) high the
 * column's width, and its note below (notes may be NULL; an entry NULL).
 * The row is never split across pages. boxes[0..n) get where the boxes
 * are, for the signatures' appearances. The _height variant measures the
 * row (mm) without placing it. */
int hx_pdf_sign_boxes(hx_pdf_doc *doc, const char *const *labels, const char *const *notes, size_t n, double box_mm,
		      hx_pdf_box *boxes);
int hx_pdf_sign_boxes_height(hx_pdf_doc *doc, const char *const *labels, const char *const *notes, size_t n,
			     double box_mm, double *mm);

/* Lays out the footers and writes the PDF: *out (malloc'd, free()) gets
 * the file, *outlen its size (at most HX_PDF_MAX_BYTES, else HX_ETOOBIG).
 * Returns the document's first error instead, if any. A document is
 * finished once; free it afterwards either way. */
int hx_pdf_doc_finish(char **out, size_t *outlen, hx_pdf_doc *doc, hx_err *err);

/* A QR code of text as an SVG image (malloc'd): black modules on white,
 * a 4-module quiet zone, error correction level M. */
int hx_qr_svg(char **out, size_t *len, const char *text, hx_err *err);

/* ---- zip packages written in memory ---- */
typedef struct hx_zip hx_zip;
int hx_zip_new(hx_zip **out, hx_err *err);
/* Adds a copy of data as name (UTF-8 path). */
int hx_zip_add(hx_zip *z, const char *name, const void *data, size_t len, hx_err *err);
int hx_zip_add_json(hx_zip *z, const char *name, const json_t *j, hx_err *err);
/* Closes the archive into *out (malloc'd) and frees z, also on failure. */
int hx_zip_finish(char **out, size_t *len, hx_zip *z, hx_err *err);
void hx_zip_discard(hx_zip *z);

#endif
