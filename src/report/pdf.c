/* PDF documents (DESIGN: report): the health-check report, the rating score
 * sheet and the other papers a county prints or files are laid out here,
 * A4 portrait, with the Noto CJK fonts embedded as subsets so the Chinese
 * text can be searched and copied back out.
 *
 * Content flows top to bottom. Each page is drawn into a cairo recording
 * surface as it fills; hx_pdf_doc_finish replays the pages into one PDF
 * surface written to memory, adding the footer "第 N 页 共 M 页" now that M
 * is known (one layout pass, no second run of the caller's row callbacks).
 * Text is shaped by pango: a cell or paragraph becomes a PangoLayout whose
 * lines are placed one by one, which is what lets a tall table row or a
 * long paragraph break between lines at a page end.
 *
 * Threads: pango_cairo_font_map_get_default() is per thread (pango ≥
 * 1.32.6), so each document takes its context from its own thread's font
 * map: fonts are loaded once per thread and no lock is held while
 * rendering. fontconfig's first initialisation is done once, under
 * pthread_once, together with the check that the fonts are installed. */
#include "report.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "../core/buf.h"

#define PT_PER_MM (72.0 / 25.4)
#define PAGE_W (210.0 * PT_PER_MM)
#define PAGE_H (297.0 * PT_PER_MM)
#define MARGIN_X (20.0 * PT_PER_MM)
#define MARGIN_TOP (18.0 * PT_PER_MM)
#define MARGIN_BOTTOM (22.0 * PT_PER_MM)
#define FOOTER_Y (PAGE_H - 13.0 * PT_PER_MM) /* top of the footer line */
#define TEXT_W (PAGE_W - 2 * MARGIN_X)
#define TEXT_W_MM 170.0
#define BODY_TOP MARGIN_TOP
#define BODY_BOTTOM (PAGE_H - MARGIN_BOTTOM)

#define CELL_PAD_X (1.6 * PT_PER_MM)
#define CELL_PAD_Y (1.3 * PT_PER_MM)
#define KV_PAD_Y (0.6 * PT_PER_MM)
#define RULE_W 0.5
#define SHADE 0.90
#define HEADER_SHADE 0.82
#define MIN_FLEX_MM 10.0
#define HEADING_KEEP (36.0) /* points of room a heading wants below it */
#define CELL_LINE 13.0      /* one line of 9 pt Noto CJK (1.448 em) */

#define SANS "Noto Sans CJK SC"
#define SERIF "Noto Serif CJK SC"

typedef enum { F_BODY, F_H1, F_H2, F_H3, F_CELL, F_CELL_BOLD, F_KEY, F_VALUE, F_FOOTER, F_COUNT } font_role;

/* Three faces: each one embedded costs a PDF ~8 ms and ~55 KB, whatever
 * few glyphs it shows (cairo 1.16 reads and subsets the face's whole CFF
 * table per document): a 3-page score sheet renders at ~21/s with four
 * faces, ~28/s with these three, ~38/s with the sans pair alone. The
 * serif is kept for the title, as on printed forms. */
static const char *const FONT_SPECS[F_COUNT] = {
	[F_BODY] = SANS " 10.5",      /* 五号 */
	[F_H1] = SERIF " Bold 16",    /* 三号 */
	[F_H2] = SANS " Bold 12",     /* 小四 */
	[F_H3] = SANS " Bold 10.5",
	[F_CELL] = SANS " 9",         /* 小五 */
	[F_CELL_BOLD] = SANS " Bold 9",
	[F_KEY] = SANS " Bold 10",
	[F_VALUE] = SANS " 10",
	[F_FOOTER] = SANS " 8",
};

/* One placed line of a layout, in points from the layout's top. */
typedef struct tline {
	PangoLayoutLine *line;
	double top, bottom, baseline, x;
} tline;

/* A block of wrapped text: a paragraph, a heading or a table cell. */
typedef struct tblock {
	PangoLayout *layout;
	tline *lines;
	int nlines;
	double h;
} tblock;

typedef struct outline {
	char *text;
	int level, page;
	double y;
} outline;

struct hx_pdf_doc {
	int rc;
	hx_err err;
	char *title;
	PangoContext *pctx;
	PangoFontDescription *font[F_COUNT];
	cairo_surface_t **pages;
	size_t npages, cap;
	cairo_t *cr; /* on pages[npages - 1] */
	double y;    /* next free position on the current page */
	int page_used;
	outline *outlines;
	size_t noutlines;
	char *footer_note; /* printed before "第 N 页 共 M 页" on every page */
};

/* ---- errors and setup ----------------------------------------------------- */

/* Records the document's first error; later ones are consequences. */
static int fail(hx_pdf_doc *d, int code, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(hx_pdf_doc *d, int code, const char *key, const char *fmt, ...)
{
	if (!d->rc) {
		char msg[sizeof d->err.msg];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		d->rc = code;
		hx_err_set(&d->err, code, key, "", "%s", msg);
	}
	return d->rc;
}

static int fail_cairo(hx_pdf_doc *d, cairo_status_t st)
{
	return fail(d, st == CAIRO_STATUS_NO_MEMORY ? HX_ENOMEM : HX_EINTERNAL, "pdf_failed", "生成PDF失败：%s",
		    cairo_status_to_string(st));
}

/* Refuses text pango cannot take as it is: NULL is empty, invalid UTF-8
 * would make pango print a warning and draw garbage. */
static int check_text(hx_pdf_doc *d, const char *text)
{
	if (d->rc)
		return d->rc;
	if (!text)
		return 0;
	size_t n = strlen(text);
	if (n > HX_PDF_TEXT_MAX)
		return fail(d, HX_EINVAL, "pdf_text_too_long", "%s", "PDF中的一段文字过长（超过64KB）");
	if (!g_utf8_validate(text, (gssize)n, NULL))
		return fail(d, HX_EINVAL, "pdf_bad_text", "%s", "PDF中的文字不是有效的UTF-8");
	return 0;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static char init_missing[64]; /* a font family that is not installed, "" when all are */

/* Loads each family once (this initialises fontconfig on one thread) and
 * checks that fontconfig did not substitute another family for it: a
 * substitute without CJK glyphs would print boxes. */
static void init_fonts(void)
{
	static const char *const families[] = {SANS, SERIF};
	PangoFontMap *fm = pango_cairo_font_map_get_default();
	PangoContext *ctx = pango_font_map_create_context(fm);
	for (size_t i = 0; i < sizeof families / sizeof families[0] && !init_missing[0]; i++) {
		PangoFontDescription *want = pango_font_description_new();
		pango_font_description_set_family_static(want, families[i]);
		pango_font_description_set_size(want, 10 * PANGO_SCALE);
		PangoFont *font = pango_font_map_load_font(fm, ctx, want);
		PangoFontDescription *got = font ? pango_font_describe(font) : NULL;
		const char *fam = got ? pango_font_description_get_family(got) : NULL;
		if (!fam || g_ascii_strcasecmp(fam, families[i]) != 0)
			snprintf(init_missing, sizeof init_missing, "%s", families[i]);
		if (got)
			pango_font_description_free(got);
		if (font)
			g_object_unref(font);
		pango_font_description_free(want);
	}
	g_object_unref(ctx);
}

int hx_pdf_doc_new(hx_pdf_doc **out, const char *title, hx_err *err)
{
	*out = NULL;
	pthread_once(&init_once, init_fonts);
	if (init_missing[0])
		return hx_err_set(err, HX_EINTERNAL, "pdf_font_missing", "", "PDF字体“%s”未安装（Debian: fonts-noto-cjk）",
				  init_missing);
	if (!title)
		title = "";
	if (strlen(title) > 4096 || !g_utf8_validate(title, -1, NULL))
		return hx_err_set(err, HX_EINVAL, "pdf_bad_text", "title", "PDF标题不是有效的UTF-8或过长");
	hx_pdf_doc *d = calloc(1, sizeof *d);
	if (!d || !(d->title = strdup(title))) {
		free(d);
		return hx_err_set(err, HX_ENOMEM, "no_memory", "", "内存不足");
	}
	d->pctx = pango_font_map_create_context(pango_cairo_font_map_get_default());
	/* PDF user space is points: 72 units per inch, so a 10 pt font is 10
	 * units tall; no hinting, glyph positions stay as designed. */
	pango_cairo_context_set_resolution(d->pctx, 72);
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	pango_cairo_context_set_font_options(d->pctx, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_language(d->pctx, pango_language_from_string("zh-cn"));
	for (int i = 0; i < F_COUNT; i++)
		d->font[i] = pango_font_description_from_string(FONT_SPECS[i]);
	*out = d;
	return 0;
}

void hx_pdf_doc_one_face(hx_pdf_doc *d)
{
	for (int i = 0; d && i < F_COUNT; i++) {
		double size = pango_font_description_get_size(d->font[i]);
		pango_font_description_set_family_static(d->font[i], SANS);
		pango_font_description_set_weight(d->font[i], PANGO_WEIGHT_NORMAL);
		pango_font_description_set_size(d->font[i], (gint)(i == F_H1 ? size * 1.15 : size));
	}
}

void hx_pdf_doc_free(hx_pdf_doc *d)
{
	if (!d)
		return;
	if (d->cr)
		cairo_destroy(d->cr);
	for (size_t i = 0; i < d->npages; i++)
		cairo_surface_destroy(d->pages[i]);
	free(d->pages);
	for (size_t i = 0; i < d->noutlines; i++)
		free(d->outlines[i].text);
	free(d->outlines);
	for (int i = 0; i < F_COUNT; i++)
		if (d->font[i])
			pango_font_description_free(d->font[i]);
	if (d->pctx)
		g_object_unref(d->pctx);
	free(d->title);
	free(d->footer_note);
	free(d);
}

/* ---- pages ---------------------------------------------------------------- */

static int new_page(hx_pdf_doc *d)
{
	if (d->rc)
		return d->rc;
	if (d->npages >= HX_PDF_MAX_PAGES)
		return fail(d, HX_ETOOBIG, "pdf_too_many_pages", "PDF超过%d页", HX_PDF_MAX_PAGES);
	if (d->npages == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		cairo_surface_t **p = realloc(d->pages, cap * sizeof *p);
		if (!p)
			return fail(d, HX_ENOMEM, "no_memory", "%s", "内存不足");
		d->pages = p;
		d->cap = cap;
	}
	if (d->cr) {
		cairo_destroy(d->cr);
		d->cr = NULL;
	}
	cairo_rectangle_t ext = {0, 0, PAGE_W, PAGE_H};
	cairo_surface_t *s = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
	d->pages[d->npages++] = s;
	d->cr = cairo_create(s);
	if (cairo_status(d->cr))
		return fail_cairo(d, cairo_status(d->cr));
	d->y = BODY_TOP;
	d->page_used = 0;
	return 0;
}

/* Makes sure h points fit below the current position, starting a page
 * when they do not (or when there is no page yet). */
static int need(hx_pdf_doc *d, double h)
{
	if (d->rc)
		return d->rc;
	if (!d->cr || (d->page_used && d->y + h > BODY_BOTTOM))
		return new_page(d);
	return 0;
}

/* ---- text blocks ---------------------------------------------------------- */

static void block_free(tblock *b)
{
	if (b->layout)
		g_object_unref(b->layout);
	free(b->lines);
	memset(b, 0, sizeof *b);
}

/* Lays out text in width points (<= 0: no wrapping) in the given font;
 * max_lines > 0 cuts the text there with an ellipsis (chart labels). */
static int block_make_font(hx_pdf_doc *d, tblock *b, const char *text, const PangoFontDescription *font,
			   double width, PangoAlignment al, int justify, int max_lines)
{
	memset(b, 0, sizeof *b);
	b->layout = pango_layout_new(d->pctx);
	pango_layout_set_font_description(b->layout, font);
	if (width > 0) {
		pango_layout_set_width(b->layout, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(b->layout, PANGO_WRAP_WORD_CHAR);
		if (max_lines > 0) {
			pango_layout_set_height(b->layout, -max_lines);
			pango_layout_set_ellipsize(b->layout, PANGO_ELLIPSIZE_END);
		}
	}
	pango_layout_set_alignment(b->layout, al);
	pango_layout_set_justify(b->layout, justify);
	pango_layout_set_text(b->layout, text ? text : "", -1);
	int n = pango_layout_get_line_count(b->layout);
	b->lines = calloc((size_t)n + 1, sizeof *b->lines);
	if (!b->lines) {
		block_free(b);
		return fail(d, HX_ENOMEM, "no_memory", "%s", "内存不足");
	}
	PangoLayoutIter *it = pango_layout_get_iter(b->layout);
	do {
		PangoRectangle log;
		pango_layout_iter_get_line_extents(it, NULL, &log);
		tline *l = &b->lines[b->nlines++];
		l->line = pango_layout_iter_get_line_readonly(it);
		l->top = (double)log.y / PANGO_SCALE;
		l->bottom = (double)(log.y + log.height) / PANGO_SCALE;
		l->x = (double)log.x / PANGO_SCALE;
		l->baseline = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE;
	} while (b->nlines < n && pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	b->h = b->nlines ? b->lines[b->nlines - 1].bottom : 0;
	return 0;
}

static int block_make(hx_pdf_doc *d, tblock *b, const char *text, font_role f, double width, PangoAlignment al,
		      int justify)
{
	return block_make_font(d, b, text, d->font[f], width, al, justify, 0);
}

static void draw_line(cairo_t *cr, const tline *l, double x, double y_top_of_block)
{
	cairo_move_to(cr, x + l->x, y_top_of_block + l->baseline);
	pango_cairo_show_layout_line(cr, l->line);
}

/* Places a block's lines at x, breaking pages between lines, and before
 * line brk (when >= 0 and the page has something on it already). */
static int flow_block_brk(hx_pdf_doc *d, const tblock *b, double x, int brk)
{
	double origin = 0; /* block coordinate at the top of this page's part */
	double start = d->y;
	for (int i = 0; i < b->nlines && !d->rc; i++) {
		const tline *l = &b->lines[i];
		if ((start + (l->bottom - origin) > BODY_BOTTOM || i == brk) && d->page_used) {
			if (new_page(d))
				break;
			origin = l->top;
			start = d->y;
		}
		cairo_set_source_rgb(d->cr, 0, 0, 0);
		draw_line(d->cr, l, x, start - origin);
		d->y = start + (l->bottom - origin);
		d->page_used = 1;
	}
	return d->rc;
}

static int flow_block(hx_pdf_doc *d, const tblock *b, double x)
{
	return flow_block_brk(d, b, x, -1);
}

/* ---- headings, paragraphs, space ------------------------------------------ */

static int add_outline(hx_pdf_doc *d, const char *text, int level)
{
	outline *o = realloc(d->outlines, (d->noutlines + 1) * sizeof *o);
	if (!o)
		return fail(d, HX_ENOMEM, "no_memory", "%s", "内存不足");
	d->outlines = o;
	o = &d->outlines[d->noutlines];
	o->text = strdup(text);
	if (!o->text)
		return fail(d, HX_ENOMEM, "no_memory", "%s", "内存不足");
	for (char *p = o->text; *p; p++) /* outline titles are one line */
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	o->level = level;
	o->page = (int)d->npages;
	o->y = d->y;
	d->noutlines++;
	return 0;
}

int hx_pdf_heading(hx_pdf_doc *d, const char *text, int level)
{
	if (check_text(d, text))
		return d->rc;
	if (level < 1 || level > 3)
		return fail(d, HX_EINVAL, "pdf_bad_level", "%s", "标题级别应为1…3");
	static const font_role roles[] = {F_H1, F_H2, F_H3};
	static const double before[] = {0, 4.0 * PT_PER_MM, 2.5 * PT_PER_MM};
	static const double after[] = {5.0 * PT_PER_MM, 2.0 * PT_PER_MM, 1.5 * PT_PER_MM};
	tblock b;
	if (block_make(d, &b, text, roles[level - 1], TEXT_W, level == 1 ? PANGO_ALIGN_CENTER : PANGO_ALIGN_LEFT, 0))
		return d->rc;
	double space = d->page_used ? before[level - 1] : 0;
	if (!need(d, space + b.h + HEADING_KEEP)) {
		if (d->page_used)
			d->y += space;
		if (!add_outline(d, text ? text : "", level))
			flow_block(d, &b, MARGIN_X);
		d->y += after[level - 1];
	}
	block_free(&b);
	return d->rc;
}

int hx_pdf_paragraph(hx_pdf_doc *d, const char *text)
{
	if (check_text(d, text))
		return d->rc;
	tblock b;
	if (block_make(d, &b, text, F_BODY, TEXT_W, PANGO_ALIGN_LEFT, 1))
		return d->rc;
	if (!need(d, b.nlines ? b.lines[0].bottom : 0))
		flow_block(d, &b, MARGIN_X);
	d->y += 2.0 * PT_PER_MM;
	block_free(&b);
	return d->rc;
}

/* Where the last line of b would end if flowed from the current
 * position (its bottom, on the page the flow reaches) and which line
 * starts that page (0 when the block does not cross a page end). */
static double flow_end(const hx_pdf_doc *d, const tblock *b, int *last_first)
{
	double origin = 0, start = d->y, end = d->y;
	int used = d->page_used;
	*last_first = 0;
	for (int i = 0; i < b->nlines; i++) {
		const tline *l = &b->lines[i];
		if (start + (l->bottom - origin) > BODY_BOTTOM && used) {
			origin = l->top;
			start = BODY_TOP;
			*last_first = i;
		}
		end = start + (l->bottom - origin);
		used = 1;
	}
	return end;
}

int hx_pdf_paragraph_keep(hx_pdf_doc *d, const char *text, double keep_mm)
{
	if (check_text(d, text))
		return d->rc;
	if (!(keep_mm >= 0 && keep_mm <= 200))
		return fail(d, HX_EINVAL, "pdf_bad_space", "%s", "保持间距应为0…200毫米");
	tblock b;
	if (block_make(d, &b, text, F_BODY, TEXT_W, PANGO_ALIGN_LEFT, 1))
		return d->rc;
	if (!need(d, b.nlines ? b.lines[0].bottom : 0)) {
		int first = 0, brk = -1;
		double end = flow_end(d, &b, &first);
		/* what follows must fit below the paragraph's end with at least
		 * two of its lines (all of a paragraph of up to three) on that
		 * page; otherwise those lines start the next page */
		int fits = end + 2.0 * PT_PER_MM + keep_mm * PT_PER_MM <= BODY_BOTTOM;
		int tail = b.nlines - first;
		if (!fits || (first > 0 && (tail < 2 || b.nlines <= 3)))
			brk = b.nlines > 3 ? b.nlines - 2 : 0;
		if (brk == 0 && d->page_used)
			new_page(d);
		flow_block_brk(d, &b, MARGIN_X, brk > 0 ? brk : -1);
	}
	d->y += 2.0 * PT_PER_MM;
	block_free(&b);
	return d->rc;
}

int hx_pdf_doc_footer_note(hx_pdf_doc *d, const char *text)
{
	if (check_text(d, text))
		return d->rc;
	if (text && strlen(text) > 200)
		return fail(d, HX_EINVAL, "pdf_text_too_long", "%s", "页脚文字过长");
	free(d->footer_note);
	d->footer_note = text && *text ? strdup(text) : NULL;
	if (text && *text && !d->footer_note)
		return fail(d, HX_ENOMEM, "no_memory", "%s", "内存不足");
	return 0;
}

/* ---- signature boxes ------------------------------------------------------- */

#define SIGN_GAP (1.5 * PT_PER_MM)

typedef struct sign_row {
	size_t n;
	double cw;                     /* column width */
	tblock label[HX_PDF_SIGN_MAX], note[HX_PDF_SIGN_MAX];
	double label_h, note_h, box_h; /* the tallest of each */
} sign_row;

static void sign_row_free(sign_row *s)
{
	for (size_t i = 0; i < s->n; i++) {
		block_free(&s->label[i]);
		block_free(&s->note[i]);
	}
}

static int sign_row_make(hx_pdf_doc *d, sign_row *s, const char *const *labels, const char *const *notes, size_t n,
			 double box_mm)
{
	memset(s, 0, sizeof *s);
	if (d->rc)
		return d->rc;
	if (n < 1 || n > HX_PDF_SIGN_MAX)
		return fail(d, HX_EINVAL, "pdf_bad_columns", "签字栏应为1…%d栏", HX_PDF_SIGN_MAX);
	if (!(box_mm >= 5 && box_mm <= 120))
		return fail(d, HX_EINVAL, "pdf_bad_space", "%s", "签字框高度应为5…120毫米");
	s->cw = TEXT_W / (double)n;
	s->box_h = box_mm * PT_PER_MM;
	for (size_t i = 0; i < n; i++) {
		if (check_text(d, labels[i]) || check_text(d, notes ? notes[i] : NULL))
			break;
		if (block_make(d, &s->label[i], labels[i], F_KEY, s->cw - 2 * CELL_PAD_X, PANGO_ALIGN_LEFT, 0))
			break;
		if (block_make(d, &s->note[i], notes ? notes[i] : NULL, F_VALUE, s->cw - 2 * CELL_PAD_X, PANGO_ALIGN_LEFT,
			       0)) {
			block_free(&s->label[i]);
			break;
		}
		s->n = i + 1;
		s->label_h = fmax(s->label_h, s->label[i].h);
		s->note_h = fmax(s->note_h, s->note[i].h);
	}
	if (d->rc)
		sign_row_free(s);
	return d->rc;
}

static double sign_row_height(const sign_row *s)
{
	return s->label_h + SIGN_GAP + s->box_h + SIGN_GAP + s->note_h;
}

int hx_pdf_sign_boxes_height(hx_pdf_doc *d, const char *const *labels, const char *const *notes, size_t n,
			     double box_mm, double *mm)
{
	sign_row s;
	*mm = 0;
	if (sign_row_make(d, &s, labels, notes, n, box_mm))
		return d->rc;
	*mm = sign_row_height(&s) / PT_PER_MM;
	sign_row_free(&s);
	return 0;
}

int hx_pdf_sign_boxes(hx_pdf_doc *d, const char *const *labels, const char *const *notes, size_t n, double box_mm,
		      hx_pdf_box *boxes)
{
	sign_row s;
	if (sign_row_make(d, &s, labels, notes, n, box_mm))
		return d->rc;
	/* the row is never split: labels, boxes and notes on one page */
	if (!need(d, sign_row_height(&s))) {
		cairo_t *cr = d->cr;
		double top = d->y;
		cairo_set_source_rgb(cr, 0, 0, 0);
		for (size_t i = 0; i < s.n; i++) {
			double x = MARGIN_X + s.cw * (double)i;
			for (int k = 0; k < s.label[i].nlines; k++)
				draw_line(cr, &s.label[i].lines[k], x, top);
			double by = top + s.label_h + SIGN_GAP;
			for (int k = 0; k < s.note[i].nlines; k++)
				draw_line(cr, &s.note[i].lines[k], x, by + s.box_h + SIGN_GAP);
			/* in PDF space: points from the bottom left corner */
			boxes[i] = (hx_pdf_box){.page = (int)d->npages - 1,
						.x0 = x,
						.y0 = PAGE_H - (by + s.box_h),
						.x1 = x + s.cw - 2 * CELL_PAD_X,
						.y1 = PAGE_H - by};
		}
		d->y = top + sign_row_height(&s) + 2.0 * PT_PER_MM;
		d->page_used = 1;
	}
	sign_row_free(&s);
	return d->rc;
}

int hx_pdf_space(hx_pdf_doc *d, double mm)
{
	if (d->rc)
		return d->rc;
	if (!(mm >= 0 && mm <= 100))
		return fail(d, HX_EINVAL, "pdf_bad_space", "%s", "间距应为0…100毫米");
	if (d->cr && d->page_used)
		d->y = fmin(d->y + mm * PT_PER_MM, BODY_BOTTOM);
	return 0;
}

int hx_pdf_page_break(hx_pdf_doc *d)
{
	if (d->rc)
		return d->rc;
	if (d->cr && d->page_used)
		return new_page(d);
	return 0;
}

int hx_pdf_big_text(hx_pdf_doc *d, const char *text, double size_pt)
{
	if (check_text(d, text))
		return d->rc;
	if (!(size_pt >= 6 && size_pt <= 120))
		return fail(d, HX_EINVAL, "pdf_bad_size", "%s", "字号应为6…120磅");
	/* the bold sans of the headings at another size: the same face, so
	 * no other font is embedded */
	PangoFontDescription *font = pango_font_description_copy(d->font[F_H2]);
	pango_font_description_set_size(font, (int)(size_pt * PANGO_SCALE));
	tblock b;
	if (!block_make_font(d, &b, text, font, TEXT_W, PANGO_ALIGN_CENTER, 0, 0)) {
		if (!need(d, b.nlines ? b.lines[0].bottom : 0))
			flow_block(d, &b, MARGIN_X);
		d->y += 2.0 * PT_PER_MM;
		block_free(&b);
	}
	pango_font_description_free(font);
	return d->rc;
}

/* ---- tables ---------------------------------------------------------------- */

typedef struct table {
	size_t ncols;
	double x[HX_PDF_MAX_COLS + 1]; /* column edges */
	PangoAlignment align[HX_PDF_MAX_COLS];
	int ruled;                     /* borders and a header row */
	int center;                    /* cells of an unsplit row centred vertically */
	double pad_y;
	tblock header[HX_PDF_MAX_COLS];
	double header_h;
	size_t header_page;            /* page (1-based) the header was last drawn on, 0: none */
	size_t rule_page;              /* where the last band's bottom rule is: page… */
	double rule_y;                 /* …and position */
} table;

static PangoAlignment pango_align(hx_pdf_align a)
{
	return a == HX_PDF_CENTER ? PANGO_ALIGN_CENTER : a == HX_PDF_RIGHT ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT;
}

/* Draws lines [from, to) of each cell as one band of height h at d->y.
 * center: the whole row is here, so short cells sit in the middle. */
static void draw_band(hx_pdf_doc *d, table *t, const tblock *cells, const int *from, const int *to, double h,
		      double shade, int center)
{
	cairo_t *cr = d->cr;
	double y0 = d->y, x0 = t->x[0], w = t->x[t->ncols] - t->x[0];
	if (shade < 1) {
		cairo_set_source_rgb(cr, shade, shade, shade);
		cairo_rectangle(cr, x0, y0, w, h);
		cairo_fill(cr);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (size_t c = 0; c < t->ncols; c++) {
		const tblock *b = &cells[c];
		if (from[c] >= to[c])
			continue;
		double top = b->lines[from[c]].top, used = b->lines[to[c] - 1].bottom - top;
		double off = center ? (h - 2 * t->pad_y - used) / 2 : 0;
		for (int i = from[c]; i < to[c]; i++)
			draw_line(cr, &b->lines[i], t->x[c] + CELL_PAD_X, y0 + t->pad_y + off - top);
	}
	if (t->ruled) {
		/* one path, each rule once: a rule stroked twice looks heavier on
		 * screen; the top is the band above's bottom unless a fill covered
		 * half of it */
		cairo_set_line_width(cr, RULE_W);
		if (t->rule_page != d->npages || t->rule_y != y0 || shade < 1) {
			cairo_move_to(cr, x0, y0);
			cairo_line_to(cr, x0 + w, y0);
		}
		cairo_move_to(cr, x0, y0 + h);
		cairo_line_to(cr, x0 + w, y0 + h);
		for (size_t c = 0; c <= t->ncols; c++) {
			cairo_move_to(cr, t->x[c], y0);
			cairo_line_to(cr, t->x[c], y0 + h);
		}
		cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
		cairo_stroke(cr);
		t->rule_page = d->npages;
		t->rule_y = y0 + h;
	}
	d->y = y0 + h;
	d->page_used = 1;
}

static void draw_whole(hx_pdf_doc *d, table *t, const tblock *cells, double h, double shade)
{
	int from[HX_PDF_MAX_COLS], to[HX_PDF_MAX_COLS];
	for (size_t c = 0; c < t->ncols; c++) {
		from[c] = 0;
		to[c] = cells[c].nlines;
	}
	draw_band(d, t, cells, from, to, h, shade, t->center);
}

static double row_height(const table *t, const tblock *cells)
{
	double h = 0;
	for (size_t c = 0; c < t->ncols; c++)
		h = fmax(h, cells[c].h);
	return h + 2 * t->pad_y;
}

/* The header row, when this page does not have it yet. */
static void header_if_needed(hx_pdf_doc *d, table *t)
{
	if (!t->ruled || t->header_page == d->npages)
		return;
	draw_whole(d, t, t->header, t->header_h, HEADER_SHADE);
	t->header_page = d->npages;
}

static double header_room(const hx_pdf_doc *d, const table *t)
{
	return t->ruled && t->header_page != d->npages ? t->header_h : 0;
}

static int place_row(hx_pdf_doc *d, table *t, const tblock *cells, unsigned flags)
{
	if (d->rc)
		return d->rc;
	double shade = flags & HX_PDF_ROW_SHADED ? SHADE : 1;
	double h = row_height(t, cells);
	double page_room = BODY_BOTTOM - BODY_TOP - (t->ruled ? t->header_h : 0);
	if (!d->cr || d->y + header_room(d, t) + h > BODY_BOTTOM) {
		if (h <= page_room || !d->cr || BODY_BOTTOM - d->y - header_room(d, t) < 2 * t->pad_y + 2 * CELL_LINE) {
			if (new_page(d))
				return d->rc;
		}
	}
	if (d->y + header_room(d, t) + h <= BODY_BOTTOM) {
		header_if_needed(d, t);
		draw_whole(d, t, cells, h, shade);
		return 0;
	}
	/* Taller than the room left (and than a page, or we would be on a new
	 * page by now): split between lines, each band closed by its rules. */
	int from[HX_PDF_MAX_COLS] = {0}, to[HX_PDF_MAX_COLS] = {0};
	for (;;) {
		header_if_needed(d, t);
		double room = BODY_BOTTOM - d->y - 2 * t->pad_y, used = 0;
		int left = 0;
		for (size_t c = 0; c < t->ncols; c++) {
			const tblock *b = &cells[c];
			to[c] = from[c];
			double top = from[c] < b->nlines ? b->lines[from[c]].top : 0;
			while (to[c] < b->nlines && b->lines[to[c]].bottom - top <= room)
				to[c]++;
			if (to[c] > from[c])
				used = fmax(used, b->lines[to[c] - 1].bottom - top);
			left += to[c] < b->nlines;
		}
		draw_band(d, t, cells, from, to, used + 2 * t->pad_y, shade, 0);
		if (!left)
			break;
		if (new_page(d))
			break;
		memcpy(from, to, sizeof from);
	}
	return d->rc;
}

/* Sets the column edges from the widths: fixed ones as given, the rest
 * share what is left. */
static int columns(hx_pdf_doc *d, table *t, const double *width_mm, size_t ncols)
{
	if (ncols < 1 || ncols > HX_PDF_MAX_COLS)
		return fail(d, HX_EINVAL, "pdf_bad_columns", "%s", "表格列数应为1…16");
	double fixed = 0;
	size_t nflex = 0;
	for (size_t c = 0; c < ncols; c++) {
		if (!(width_mm[c] >= 0 && width_mm[c] <= TEXT_W_MM))
			return fail(d, HX_EINVAL, "pdf_bad_columns", "%s", "表格列宽应为0…170毫米");
		fixed += width_mm[c];
		nflex += width_mm[c] == 0;
	}
	double flex = nflex ? (TEXT_W_MM - fixed) / (double)nflex : 0;
	if (fixed > TEXT_W_MM + 1e-9 || (nflex && flex < MIN_FLEX_MM))
		return fail(d, HX_EINVAL, "pdf_bad_columns", "%s", "表格列宽之和超过版心宽度（170毫米）");
	t->ncols = ncols;
	t->x[0] = MARGIN_X;
	for (size_t c = 0; c < ncols; c++) {
		double w = (width_mm[c] ? width_mm[c] : flex) * PT_PER_MM;
		if (w < 2 * CELL_PAD_X + 4)
			return fail(d, HX_EINVAL, "pdf_bad_columns", "%s", "表格列宽过窄");
		t->x[c + 1] = t->x[c] + w;
	}
	return 0;
}

static int make_cells(hx_pdf_doc *d, const table *t, tblock *cells, const char *const *text, font_role f,
		      const PangoAlignment *align)
{
	for (size_t c = 0; c < t->ncols; c++) {
		if (check_text(d, text[c]) ||
		    block_make(d, &cells[c], text[c], f, t->x[c + 1] - t->x[c] - 2 * CELL_PAD_X, align[c], 0)) {
			while (c--)
				block_free(&cells[c]);
			return d->rc;
		}
	}
	return 0;
}

static void free_cells(const table *t, tblock *cells)
{
	for (size_t c = 0; c < t->ncols; c++)
		block_free(&cells[c]);
}

int hx_pdf_table(hx_pdf_doc *d, const hx_pdf_column *cols, size_t ncols, hx_pdf_next_row next, void *ctx)
{
	if (d->rc)
		return d->rc;
	table t = {.ruled = 1, .center = 1, .pad_y = CELL_PAD_Y};
	double widths[HX_PDF_MAX_COLS];
	const char *titles[HX_PDF_MAX_COLS];
	PangoAlignment centered[HX_PDF_MAX_COLS];
	for (size_t c = 0; c < ncols && c < HX_PDF_MAX_COLS; c++) {
		widths[c] = cols[c].width_mm;
		titles[c] = cols[c].title;
		t.align[c] = pango_align(cols[c].align);
		centered[c] = PANGO_ALIGN_CENTER;
	}
	if (columns(d, &t, widths, ncols) || make_cells(d, &t, t.header, titles, F_CELL_BOLD, centered))
		return d->rc;
	t.header_h = row_height(&t, t.header);
	if (t.header_h > (BODY_BOTTOM - BODY_TOP) / 3) {
		free_cells(&t, t.header);
		return fail(d, HX_EINVAL, "pdf_bad_columns", "%s", "表头过高");
	}
	if (d->cr && d->page_used)
		d->y += 1.0 * PT_PER_MM;
	tblock held[HX_PDF_MAX_COLS]; /* a HX_PDF_ROW_KEEP row waiting for the next one */
	unsigned held_flags = 0;
	int holding = 0;
	for (;;) {
		const char *text[HX_PDF_MAX_COLS] = {0};
		unsigned flags = 0;
		int more = next(ctx, text, &flags);
		if (more < 0) {
			fail(d, more, "pdf_rows", "%s", "表格数据读取失败");
			break;
		}
		if (!more)
			break;
		tblock cells[HX_PDF_MAX_COLS];
		if (make_cells(d, &t, cells, text, flags & HX_PDF_ROW_BOLD ? F_CELL_BOLD : F_CELL, t.align))
			break;
		if (holding) {
			/* the held row and the start of this one (up to three lines)
			 * go on one page */
			double want = row_height(&t, held) + fmin(row_height(&t, cells), 3 * CELL_LINE + 2 * t.pad_y);
			if (d->cr && d->page_used && d->y + header_room(d, &t) + want > BODY_BOTTOM)
				new_page(d);
			place_row(d, &t, held, held_flags);
			free_cells(&t, held);
			holding = 0;
		}
		if ((flags & HX_PDF_ROW_KEEP) && !d->rc) {
			memcpy(held, cells, sizeof held);
			held_flags = flags;
			holding = 1;
			continue;
		}
		place_row(d, &t, cells, flags);
		free_cells(&t, cells);
		if (d->rc)
			break;
	}
	if (holding) {
		place_row(d, &t, held, held_flags);
		free_cells(&t, held);
	}
	/* a table without rows still shows its header */
	if (!d->rc && t.header_page == 0) {
		if (!need(d, t.header_h))
			header_if_needed(d, &t);
	}
	free_cells(&t, t.header);
	if (!d->rc)
		d->y += 3.0 * PT_PER_MM;
	return d->rc;
}

int hx_pdf_key_values(hx_pdf_doc *d, const char *const *pairs, size_t npairs)
{
	if (d->rc)
		return d->rc;
	if (npairs > 1000)
		return fail(d, HX_EINVAL, "pdf_bad_pairs", "%s", "键值对过多");
	/* the key column is as wide as the widest key, within 15…60 mm */
	double kw = 15 * PT_PER_MM;
	for (size_t i = 0; i < npairs; i++) {
		tblock b;
		if (check_text(d, pairs[2 * i]) || check_text(d, pairs[2 * i + 1]) ||
		    block_make(d, &b, pairs[2 * i], F_KEY, 0, PANGO_ALIGN_LEFT, 0))
			return d->rc;
		int w;
		pango_layout_get_size(b.layout, &w, NULL);
		kw = fmax(kw, (double)w / PANGO_SCALE + 2 * CELL_PAD_X + 1);
		block_free(&b);
	}
	kw = fmin(kw, 60 * PT_PER_MM);
	table t = {.ruled = 0, .pad_y = KV_PAD_Y, .ncols = 2};
	t.x[0] = MARGIN_X - CELL_PAD_X; /* text flush with the margin */
	t.x[1] = t.x[0] + kw;
	t.x[2] = MARGIN_X + TEXT_W;
	for (size_t i = 0; i < npairs && !d->rc; i++) {
		tblock cells[2];
		if (block_make(d, &cells[0], pairs[2 * i], F_KEY, t.x[1] - t.x[0] - 2 * CELL_PAD_X, PANGO_ALIGN_LEFT, 0))
			break;
		if (block_make(d, &cells[1], pairs[2 * i + 1], F_VALUE, t.x[2] - t.x[1] - 2 * CELL_PAD_X,
			       PANGO_ALIGN_LEFT, 0)) {
			block_free(&cells[0]);
			break;
		}
		place_row(d, &t, cells, 0);
		block_free(&cells[0]);
		block_free(&cells[1]);
	}
	if (!d->rc)
		d->y += 2.0 * PT_PER_MM;
	return d->rc;
}

/* ---- charts ---------------------------------------------------------------- */

#define RADAR_R (40.0 * PT_PER_MM)       /* radius of the outer ring */
#define RADAR_GAP (2.5 * PT_PER_MM)      /* from the outer ring to a label */
#define RADAR_LABEL_W (42.0 * PT_PER_MM) /* labels wrap to this width… */
#define RADAR_LABEL_LINES 3              /* …and stop after three lines */
#define RADAR_RINGS 5
#define RADAR_SIDE 0.3 /* |cos| of an axis whose label goes to its side */

/* Axis i of n, clockwise from the top. */
static void radar_dir(size_t i, size_t n, double *cx, double *cy)
{
	double a = -M_PI / 2 + 2 * M_PI * (double)i / (double)n;
	*cx = cos(a);
	*cy = sin(a);
}

/* Where a label goes, relative to the chart's centre. */
typedef struct label_box {
	double x0;          /* the layout's origin */
	double left, right; /* the text's extent */
	double top, h;
} label_box;

/* A label sits outside the tip of its axis (direction cx, cy): left of a
 * left axis, right of a right one, centred on the top and bottom ones, so
 * the text never runs into the rings. */
static void radar_label_place(label_box *lb, const tblock *b, double cx, double cy)
{
	PangoRectangle log;
	pango_layout_get_extents(b->layout, NULL, &log);
	double lx = (double)log.x / PANGO_SCALE, lw = (double)log.width / PANGO_SCALE;
	double px = (RADAR_R + RADAR_GAP) * cx, py = (RADAR_R + RADAR_GAP) * cy;
	lb->left = cx > RADAR_SIDE ? px : cx < -RADAR_SIDE ? px - lw : px - lw / 2;
	lb->right = lb->left + lw;
	lb->x0 = lb->left - lx;
	lb->h = b->h;
	lb->top = py - b->h * (1 - cy) / 2;
}

static int boxes_overlap(const label_box *a, const label_box *b)
{
	return a->left < b->right && b->left < a->right && a->top < b->top + b->h && b->top < a->top + a->h;
}

int hx_pdf_radar(hx_pdf_doc *d, const char *title, size_t n, const char *const *labels, const double *values,
		 double max)
{
	if (check_text(d, title))
		return d->rc;
	if (n < 3 || n > HX_PDF_RADAR_MAX_AXES)
		return fail(d, HX_EINVAL, "pdf_bad_chart", "雷达图的维度应为3…%d个", HX_PDF_RADAR_MAX_AXES);
	if (!(max > 0 && isfinite(max)))
		return fail(d, HX_EINVAL, "pdf_bad_chart", "%s", "雷达图的最大值应为正数");
	for (size_t i = 0; i < n; i++) {
		if (check_text(d, labels[i]))
			return d->rc;
		if (!isfinite(values[i]))
			return fail(d, HX_EINVAL, "pdf_bad_chart", "%s", "雷达图的数值无效");
	}
	tblock head = {0}, lab[HX_PDF_RADAR_MAX_AXES];
	size_t made = 0;
	double head_h = 0;
	if (title && *title) {
		if (block_make(d, &head, title, F_H3, TEXT_W, PANGO_ALIGN_CENTER, 0))
			return d->rc;
		head_h = head.h + 2.0 * PT_PER_MM;
	}
	label_box box[HX_PDF_RADAR_MAX_AXES];
	for (; made < n; made++) {
		double cx, cy;
		radar_dir(made, n, &cx, &cy);
		PangoAlignment al = PANGO_ALIGN_CENTER;
		if (fabs(cx) > RADAR_SIDE)
			al = cx > 0 ? PANGO_ALIGN_LEFT : PANGO_ALIGN_RIGHT;
		if (block_make_font(d, &lab[made], labels[made], d->font[F_CELL], RADAR_LABEL_W, al, 0,
				    RADAR_LABEL_LINES))
			goto done;
		radar_label_place(&box[made], &lab[made], cx, cy);
	}
	/* a centred label (top, bottom) moves outwards off its neighbours */
	for (size_t i = 0; i < n; i++) {
		double cx, cy;
		radar_dir(i, n, &cx, &cy);
		if (fabs(cx) > RADAR_SIDE)
			continue;
		for (int step = 0; step < 40; step++) {
			int hit = 0;
			for (size_t j = 0; j < n && !hit; j++)
				hit = j != i && boxes_overlap(&box[i], &box[j]);
			if (!hit)
				break;
			box[i].top += cy > 0 ? 1.0 : -1.0;
		}
	}
	/* the chart's height: the rings and whatever labels stick out */
	double miny = -RADAR_R, maxy = RADAR_R;
	for (size_t i = 0; i < n; i++) {
		miny = fmin(miny, box[i].top);
		maxy = fmax(maxy, box[i].top + box[i].h);
	}
	if (need(d, head_h + (maxy - miny)))
		goto done;
	cairo_t *cr = d->cr;
	double top0 = d->y;
	if (head_h) {
		cairo_set_source_rgb(cr, 0, 0, 0);
		for (int i = 0; i < head.nlines; i++)
			draw_line(cr, &head.lines[i], MARGIN_X, top0);
	}
	double ox = MARGIN_X + TEXT_W / 2, oy = top0 + head_h - miny;
	cairo_save(cr);
	/* rings at 20 %, 40 % … of max, and the axes */
	cairo_set_line_width(cr, 0.4);
	cairo_set_source_rgb(cr, 0.65, 0.65, 0.65);
	for (int k = 1; k <= RADAR_RINGS; k++) {
		double r = RADAR_R * k / RADAR_RINGS;
		for (size_t i = 0; i < n; i++) {
			double cx, cy;
			radar_dir(i, n, &cx, &cy);
			if (i)
				cairo_line_to(cr, ox + r * cx, oy + r * cy);
			else
				cairo_move_to(cr, ox + r * cx, oy + r * cy);
		}
		cairo_close_path(cr);
	}
	for (size_t i = 0; i < n; i++) {
		double cx, cy;
		radar_dir(i, n, &cx, &cy);
		cairo_move_to(cr, ox, oy);
		cairo_line_to(cr, ox + RADAR_R * cx, oy + RADAR_R * cy);
	}
	cairo_stroke(cr);
	/* the values: a filled polygon, its outline and a dot per axis */
	for (size_t i = 0; i < n; i++) {
		double cx, cy, v = fmin(fmax(values[i], 0), max) / max;
		radar_dir(i, n, &cx, &cy);
		if (i)
			cairo_line_to(cr, ox + RADAR_R * v * cx, oy + RADAR_R * v * cy);
		else
			cairo_move_to(cr, ox + RADAR_R * v * cx, oy + RADAR_R * v * cy);
	}
	cairo_close_path(cr);
	cairo_set_source_rgba(cr, 0.16, 0.42, 0.75, 0.25);
	cairo_fill_preserve(cr);
	cairo_set_source_rgb(cr, 0.16, 0.42, 0.75);
	cairo_set_line_width(cr, 1.2);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	cairo_stroke(cr);
	for (size_t i = 0; i < n; i++) {
		double cx, cy, v = fmin(fmax(values[i], 0), max) / max;
		radar_dir(i, n, &cx, &cy);
		cairo_new_sub_path(cr);
		cairo_arc(cr, ox + RADAR_R * v * cx, oy + RADAR_R * v * cy, 1.6, 0, 2 * M_PI);
	}
	cairo_fill(cr);
	cairo_restore(cr);
	/* ring values up the first axis, then the labels */
	cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
	for (int k = 1; k <= RADAR_RINGS && !d->rc; k++) {
		char num[32];
		snprintf(num, sizeof num, "%g", max * k / RADAR_RINGS);
		tblock b;
		if (block_make(d, &b, num, F_FOOTER, 0, PANGO_ALIGN_LEFT, 0))
			break;
		for (int i = 0; i < b.nlines; i++)
			draw_line(cr, &b.lines[i], ox + 2.0, oy - RADAR_R * k / RADAR_RINGS);
		block_free(&b);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < lab[i].nlines; k++)
			draw_line(cr, &lab[i].lines[k], ox + box[i].x0, oy + box[i].top);
	d->y = top0 + head_h + (maxy - miny) + 3.0 * PT_PER_MM;
	d->page_used = 1;
done:
	while (made)
		block_free(&lab[--made]);
	block_free(&head);
	return d->rc;
}

/* ---- finishing ------------------------------------------------------------ */

typedef struct sink {
	hx_buf buf;
	int too_big;
} sink;

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int len)
{
	sink *s = closure;
	int rc = hx_buf_append(&s->buf, data, len);
	if (rc == HX_ETOOBIG)
		s->too_big = 1;
	return rc ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

static void footer(hx_pdf_doc *d, cairo_t *cr, size_t page)
{
	char text[320];
	if (d->footer_note)
		snprintf(text, sizeof text, "%s    第 %zu 页 共 %zu 页", d->footer_note, page, d->npages);
	else
		snprintf(text, sizeof text, "第 %zu 页 共 %zu 页", page, d->npages);
	tblock b;
	if (block_make(d, &b, text, F_FOOTER, TEXT_W, PANGO_ALIGN_CENTER, 0))
		return;
	cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
	for (int i = 0; i < b.nlines; i++)
		draw_line(cr, &b.lines[i], MARGIN_X, FOOTER_Y);
	block_free(&b);
}

static void outlines(hx_pdf_doc *d, cairo_surface_t *pdf)
{
	int parent[4] = {CAIRO_PDF_OUTLINE_ROOT, 0, 0, 0};
	for (size_t i = 0; i < d->noutlines; i++) {
		const outline *o = &d->outlines[i];
		/* a level-3 heading with no level 2 above it hangs from level 1 */
		int up = CAIRO_PDF_OUTLINE_ROOT;
		for (int l = o->level - 1; l >= 1; l--)
			if (parent[l]) {
				up = parent[l];
				break;
			}
		char dest[80];
		snprintf(dest, sizeof dest, "page=%d pos=[%.1f %.1f]", o->page, MARGIN_X, o->y);
		int id = cairo_pdf_surface_add_outline(pdf, up, o->text, dest, CAIRO_PDF_OUTLINE_FLAG_OPEN);
		parent[o->level] = id;
		for (int l = o->level + 1; l <= 3; l++)
			parent[l] = 0;
	}
}

int hx_pdf_doc_finish(char **out, size_t *outlen, hx_pdf_doc *d, hx_err *err)
{
	sink s = {.too_big = 0};
	hx_buf_init(&s.buf, HX_PDF_MAX_BYTES);
	*out = NULL;
	*outlen = 0;
	if (!d->rc && !d->cr)
		new_page(d); /* an empty document is one blank page */
	if (d->rc)
		goto done;
	cairo_destroy(d->cr);
	d->cr = NULL;
	cairo_surface_t *pdf = cairo_pdf_surface_create_for_stream(sink_write, &s, PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_TITLE, d->title);
	cairo_pdf_surface_set_metadata(pdf, CAIRO_PDF_METADATA_CREATOR, "Hexie");
	cairo_t *cr = cairo_create(pdf);
	for (size_t i = 0; i < d->npages && !d->rc; i++) {
		cairo_save(cr);
		cairo_set_source_surface(cr, d->pages[i], 0, 0);
		cairo_paint(cr);
		cairo_restore(cr);
		footer(d, cr, i + 1);
		cairo_show_page(cr);
	}
	if (!d->rc)
		outlines(d, pdf);
	cairo_status_t st = cairo_status(cr);
	cairo_destroy(cr);
	cairo_surface_finish(pdf);
	if (!st)
		st = cairo_surface_status(pdf);
	cairo_surface_destroy(pdf);
	if (!d->rc && s.too_big)
		fail(d, HX_ETOOBIG, "pdf_too_big", "%s", "PDF文件超过64MB");
	else if (!d->rc && st)
		fail_cairo(d, st);
	if (!d->rc) {
		*out = hx_buf_steal(&s.buf, outlen);
		/* finished: anything added from now on is refused */
		fail(d, HX_EINVAL, "pdf_finished", "%s", "PDF已经生成");
		return 0;
	}
done:
	hx_buf_free(&s.buf);
	if (err)
		*err = d->err;
	return d->rc;
}
