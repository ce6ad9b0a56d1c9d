/* Reading a user's spreadsheet into a grid of strings: the file an area
 * officer uploads to import enterprises, coordinators or checkup answers.
 * An .xlsx is unpacked from memory with libzip and its first worksheet is
 * streamed through expat; a .csv is split per RFC 4180 after its encoding
 * (UTF-8 with or without BOM, or GBK/GB18030 as Chinese Excel saves it) has
 * been detected. Every size is capped: rows, columns, bytes per cell, bytes
 * per unpacked part (zip bombs) and bytes for the whole table. */
#include "report.h"

#include <errno.h>
#include <iconv.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <zip.h>

#include "../core/buf.h"
#include "../core/json.h"

#define MAX_COLS 200
#define MAX_CELL ((size_t)32 << 10)          /* bytes of UTF-8 per cell */
#define MAX_PART ((zip_uint64_t)200 << 20)   /* unpacked bytes per .xlsx part */
#define MAX_TABLE ((size_t)128 << 20)        /* bytes held by one table */
#define MAX_SST ((size_t)64 << 20)           /* bytes held by shared strings */
#define EXCEL_MAX_ROWS ((size_t)1048576)
#define EXCEL_MAX_COLS 16384
#define BLOCK_SIZE ((size_t)64 << 10)

#define MSG_BAD_XLSX "文件不是有效的Excel（.xlsx）文件"
#define MSG_BAD_ENCODING "文件编码无法识别，请使用UTF-8或GBK编码"
#define MSG_TOO_BIG "文件内容过大，请分批导入"

/* ---- the table and its string arena ------------------------------------ */

struct block {
	struct block *next;
	size_t used, cap;
	char data[];
};

/* hx_table is the public face; the rest stays private to this file. */
struct table_impl {
	hx_table pub;
	size_t rows_cap;
	size_t *cols_cap;
	struct block *blocks;
	size_t bytes; /* everything allocated for this table, against MAX_TABLE */
	char empty[1];       /* every empty cell points here */
	char *empty_row[1];  /* every zero-length row points here */
};

static struct table_impl *impl_of(hx_table *t)
{
	return (struct table_impl *)((char *)t - offsetof(struct table_impl, pub));
}

static int account(struct table_impl *t, size_t n)
{
	if (n > MAX_TABLE || t->bytes > MAX_TABLE - n)
		return HX_ETOOBIG;
	t->bytes += n;
	return 0;
}

/* Copies s[0..n) into the arena, NUL-terminated. */
static int arena_str(char **out, struct table_impl *t, const char *s, size_t n)
{
	if (n == 0) {
		*out = t->empty;
		return 0;
	}
	struct block *b = t->blocks;
	if (!b || b->cap - b->used < n + 1) {
		size_t cap = n + 1 > BLOCK_SIZE / 4 ? n + 1 : BLOCK_SIZE;
		if (account(t, sizeof *b + cap))
			return HX_ETOOBIG;
		struct block *nb = malloc(sizeof *nb + cap);
		if (!nb)
			return HX_ENOMEM;
		nb->used = 0;
		nb->cap = cap;
		if (cap != BLOCK_SIZE && b) {
			/* A big string gets its own block behind the current one, so
			 * the current block keeps filling. */
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			t->blocks = nb;
		}
		b = nb;
	}
	char *p = b->data + b->used;
	memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	*out = p;
	return 0;
}

static struct table_impl *table_new(void)
{
	struct table_impl *t = calloc(1, sizeof *t);
	if (t)
		t->empty_row[0] = t->empty;
	return t;
}

void hx_table_free(hx_table *pub)
{
	if (!pub)
		return;
	struct table_impl *t = impl_of(pub);
	for (size_t r = 0; r < pub->nrows; r++)
		if (pub->cells[r] != t->empty_row)
			free(pub->cells[r]);
	free(pub->cells);
	free(pub->ncols);
	free(t->cols_cap);
	struct block *b = t->blocks;
	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	free(t);
}

/* Makes rows [nrows, n) exist as empty rows. */
static int ensure_rows(struct table_impl *t, size_t n)
{
	hx_table *p = &t->pub;
	if (n <= p->nrows)
		return 0;
	if (n > t->rows_cap) {
		size_t cap = t->rows_cap ? t->rows_cap : 64;
		while (cap < n)
			cap *= 2;
		size_t per = sizeof *p->cells + sizeof *p->ncols + sizeof *t->cols_cap;
		if (account(t, (cap - t->rows_cap) * per))
			return HX_ETOOBIG;
		char ***cells = realloc(p->cells, cap * sizeof *cells);
		if (!cells)
			return HX_ENOMEM;
		p->cells = cells;
		size_t *ncols = realloc(p->ncols, cap * sizeof *ncols);
		if (!ncols)
			return HX_ENOMEM;
		p->ncols = ncols;
		size_t *ccap = realloc(t->cols_cap, cap * sizeof *ccap);
		if (!ccap)
			return HX_ENOMEM;
		t->cols_cap = ccap;
		t->rows_cap = cap;
	}
	for (size_t r = p->nrows; r < n; r++) {
		p->cells[r] = t->empty_row;
		p->ncols[r] = 0;
		t->cols_cap[r] = 0;
	}
	p->nrows = n;
	return 0;
}

/* Makes row r at least n cells wide, new cells empty. */
static int ensure_cols(struct table_impl *t, size_t r, size_t n)
{
	hx_table *p = &t->pub;
	if (n <= p->ncols[r])
		return 0;
	if (n > t->cols_cap[r]) {
		size_t cap = t->cols_cap[r] ? t->cols_cap[r] : 8;
		while (cap < n)
			cap *= 2;
		if (cap > MAX_COLS)
			cap = MAX_COLS;
		if (account(t, (cap - t->cols_cap[r]) * sizeof(char *)))
			return HX_ETOOBIG;
		char **old = p->cells[r] == t->empty_row ? NULL : p->cells[r];
		char **row = realloc(old, cap * sizeof *row);
		if (!row)
			return HX_ENOMEM;
		p->cells[r] = row;
		t->cols_cap[r] = cap;
	}
	for (size_t c = p->ncols[r]; c < n; c++)
		p->cells[r][c] = t->empty;
	p->ncols[r] = n;
	return 0;
}

/* Drops trailing rows whose cells are all empty. */
static void drop_trailing_empty(struct table_impl *t)
{
	hx_table *p = &t->pub;
	while (p->nrows > 0) {
		size_t r = p->nrows - 1;
		for (size_t c = 0; c < p->ncols[r]; c++)
			if (p->cells[r][c][0])
				return;
		if (p->cells[r] != t->empty_row)
			free(p->cells[r]);
		p->nrows--;
	}
}

/* "A", "B", … "AA": the column as a user sees it, for messages. */
static const char *col_name(size_t c, char out[8])
{
	char tmp[8];
	int n = 0;
	c++;
	while (c > 0 && n < 7) {
		tmp[n++] = (char)('A' + (c - 1) % 26);
		c = (c - 1) / 26;
	}
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return out;
}

static int err_too_big(hx_err *err, int rc)
{
	if (rc == HX_ENOMEM)
		return hx_err_set(err, HX_ENOMEM, "no_memory", "file", "内存不足");
	return hx_err_set(err, HX_ETOOBIG, "table_too_big", "file", MSG_TOO_BIG);
}

static int err_rows(hx_err *err, size_t max_rows)
{
	return hx_err_set(err, HX_ETOOBIG, "too_many_rows", "file", "文件超过%zu行，请分批导入",
			  max_rows);
}

static int err_cols(hx_err *err, size_t r)
{
	return hx_err_set(err, HX_ETOOBIG, "too_many_cols", "file", "第%zu行超过%d列", r + 1,
			  MAX_COLS);
}

static int err_cell(hx_err *err, size_t r, size_t c)
{
	char name[8];
	return hx_err_set(err, HX_ETOOBIG, "cell_too_long", "file",
			  "第%zu行%s列的内容超过32KB", r + 1, col_name(c, name));
}

/* ---- CSV ------------------------------------------------------------------ */

static int has_nul(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* GB18030 (a superset of GBK and GB2312) to UTF-8 with glibc iconv. */
static int gb18030_to_utf8(char **out, size_t *outlen, const char *s, size_t n)
{
	int rc = HX_EINVAL;
	char *buf = NULL;
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1)
		return HX_EINVAL;
	/* Two GBK bytes become at most three UTF-8 bytes, four GB18030 bytes at
	 * most four: 2n is always enough. */
	if (n > (SIZE_MAX - 16) / 2) {
		rc = HX_ETOOBIG;
		goto done;
	}
	size_t cap = 2 * n + 16;
	buf = malloc(cap);
	if (!buf) {
		rc = HX_ENOMEM;
		goto done;
	}
	char *in = (char *)s, *o = buf;
	size_t inleft = n, oleft = cap - 1;
	if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1)
		goto done;
	if (iconv(cd, NULL, NULL, &o, &oleft) == (size_t)-1)
		goto done;
	*o = '\0';
	*outlen = (size_t)(o - buf);
	if (!hx_utf8_valid(buf, *outlen))
		goto done;
	*out = buf;
	buf = NULL;
	rc = 0;
done:
	free(buf);
	iconv_close(cd);
	return rc;
}

struct csv_row {
	char *f[MAX_COLS];
	size_t n;
	int nonempty;
};

/* Ends a record: stores it as row r, or refuses it past the limits. */
static int csv_end_row(struct table_impl *t, struct csv_row *row, size_t r, size_t max_rows,
		       hx_err *err)
{
	int rc;
	if (r >= max_rows) {
		/* Empty lines past the limit are not stored: they would be
		 * dropped as trailing rows, or the next real row fails. */
		if (row->nonempty)
			return err_rows(err, max_rows);
		goto reset;
	}
	if ((rc = ensure_rows(t, r + 1)) || (rc = ensure_cols(t, r, row->n)))
		return err_too_big(err, rc);
	memcpy(t->pub.cells[r], row->f, row->n * sizeof *row->f);
reset:
	row->n = 0;
	row->nonempty = 0;
	return 0;
}

static int csv_push_field(struct table_impl *t, struct csv_row *row, hx_buf *field, size_t r,
			  hx_err *err)
{
	int rc;
	if (row->n >= MAX_COLS) {
		/* Spreadsheets often save runs of empty trailing columns; only a
		 * value beyond the limit is an error. */
		if (field->len)
			return err_cols(err, r);
		return 0;
	}
	char *s;
	if ((rc = arena_str(&s, t, field->data ? field->data : "", field->len)))
		return err_too_big(err, rc);
	row->f[row->n++] = s;
	if (field->len)
		row->nonempty = 1;
	return 0;
}

static int csv_parse(struct table_impl *t, const char *s, size_t n, size_t max_rows, hx_err *err)
{
	int rc = 0;
	hx_buf field;
	hx_buf_init(&field, MAX_CELL);
	struct csv_row *row = calloc(1, sizeof *row);
	if (!row) {
		rc = err_too_big(err, HX_ENOMEM);
		goto done;
	}
	size_t i = 0, r = 0;
	while (i < n) {
		/* One record: fields until an unquoted LF or the end. */
		for (;;) {
			hx_buf_reset(&field);
			size_t qlen = 0; /* bytes that came from inside quotes */
			if (i < n && s[i] == '"') {
				i++;
				for (;;) {
					const char *q = memchr(s + i, '"', n - i);
					if (!q) {
						rc = hx_err_set(err, HX_EINVAL, "bad_csv", "file",
								"第%zu行的引号没有配对，文件格式不正确",
								r + 1);
						goto done;
					}
					size_t k = (size_t)(q - s);
					if (hx_buf_append(&field, s + i, k - i)) {
						rc = err_cell(err, r, row->n);
						goto done;
					}
					i = k + 1;
					if (i < n && s[i] == '"') {
						if (hx_buf_append(&field, "\"", 1)) {
							rc = err_cell(err, r, row->n);
							goto done;
						}
						i++;
						continue;
					}
					break;
				}
				qlen = field.len;
			}
			/* Unquoted text, or stray text after a closing quote, which
			 * is kept as Excel keeps it. */
			size_t start = i;
			while (i < n && s[i] != ',' && s[i] != '\n')
				i++;
			if (hx_buf_append(&field, s + start, i - start)) {
				rc = err_cell(err, r, row->n);
				goto done;
			}
			int end_of_record = i >= n || s[i] == '\n';
			if (end_of_record && field.len > qlen && field.data[field.len - 1] == '\r')
				field.data[--field.len] = '\0';
			if ((rc = csv_push_field(t, row, &field, r, err)))
				goto done;
			if (i < n)
				i++; /* the ',' or '\n' */
			if (end_of_record)
				break;
			if (i >= n) {
				/* "a,b," at the very end: the record has a last empty field. */
				hx_buf_reset(&field);
				if ((rc = csv_push_field(t, row, &field, r, err)))
					goto done;
				break;
			}
		}
		if ((rc = csv_end_row(t, row, r, max_rows, err)))
			goto done;
		r++;
	}
done:
	free(row);
	hx_buf_free(&field);
	return rc;
}

static int read_csv(struct table_impl *t, const char *s, size_t n, size_t max_rows, hx_err *err)
{
	int rc;
	char *conv = NULL;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		n -= 3;
	}
	/* A NUL byte is never text: UTF-16 files and binary files end here. */
	if (has_nul(s, n))
		return hx_err_set(err, HX_EINVAL, "bad_encoding", "file", MSG_BAD_ENCODING);
	if (!hx_utf8_valid(s, n)) {
		size_t clen = 0;
		rc = gb18030_to_utf8(&conv, &clen, s, n);
		if (rc == HX_ENOMEM || rc == HX_ETOOBIG)
			return err_too_big(err, rc);
		if (rc)
			return hx_err_set(err, HX_EINVAL, "bad_encoding", "file", MSG_BAD_ENCODING);
		s = conv;
		n = clen;
	}
	rc = csv_parse(t, s, n, max_rows, err);
	free(conv);
	return rc;
}

/* ---- XLSX: shared helpers --------------------------------------------- */

/* Decodes the OOXML "_xHHHH_" escapes (ST_Xstring) that Excel uses for
 * control characters, and "_x005F_" for a literal underscore, appending
 * the result to out. NUL and surrogates are left as written. */
static int xstring_decode(hx_buf *out, const char *s, size_t n)
{
	size_t i = 0, run = 0;
	while (i < n) {
		if (s[i] == '_' && n - i >= 7 && s[i + 1] == 'x' && s[i + 6] == '_') {
			unsigned cp = 0;
			int ok = 1;
			for (int k = 2; k < 6; k++) {
				char ch = s[i + k];
				cp <<= 4;
				if (ch >= '0' && ch <= '9')
					cp |= (unsigned)(ch - '0');
				else if (ch >= 'a' && ch <= 'f')
					cp |= (unsigned)(ch - 'a' + 10);
				else if (ch >= 'A' && ch <= 'F')
					cp |= (unsigned)(ch - 'A' + 10);
				else
					ok = 0;
			}
			if (ok && cp != 0 && (cp < 0xD800 || cp > 0xDFFF)) {
				char u[3];
				size_t ul;
				if (cp < 0x80) {
					u[0] = (char)cp;
					ul = 1;
				} else if (cp < 0x800) {
					u[0] = (char)(0xC0 | (cp >> 6));
					u[1] = (char)(0x80 | (cp & 0x3F));
					ul = 2;
				} else {
					u[0] = (char)(0xE0 | (cp >> 12));
					u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
					u[2] = (char)(0x80 | (cp & 0x3F));
					ul = 3;
				}
				if (hx_buf_append(out, s + run, i - run) || hx_buf_append(out, u, ul))
					return HX_ETOOBIG;
				i += 7;
				run = i;
				continue;
			}
		}
		i++;
	}
	return hx_buf_append(out, s + run, n - run);
}

/* A number cell's text as the user expects to see it. Excel stores doubles
 * in their shortest form, so "3.0", "1.0E+17" or "1E+17" may appear for
 * what the user typed as an integer (an ID written as a number, a count).
 * Integral values are rendered in plain digits, decided on the decimal
 * text itself so no binary rounding creeps in; anything else (fractions,
 * oddities) stays exactly as stored. */
static int render_number(hx_buf *out, const char *s, size_t n)
{
	size_t i = 0;
	int neg = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	char digits[64];
	size_t nd = 0, seen = 0;
	long ndot = 0;
	int dot = 0;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			seen++;
			if (nd == 0 && s[i] == '0') {
				/* leading zero: shifts the point, not the digits */
				if (dot)
					ndot--;
				continue;
			}
			if (nd >= sizeof digits)
				goto raw;
			digits[nd++] = s[i];
			if (!dot)
				ndot++;
		} else if (s[i] == '.' && !dot) {
			dot = 1;
		} else
			break;
	}
	if (!seen)
		goto raw;
	long exp = 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		int eneg = 0;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		if (i >= n)
			goto raw;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			exp = exp * 10 + (s[i] - '0');
			if (exp > 1000)
				goto raw;
		}
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		goto raw;
	while (nd > 0 && digits[nd - 1] == '0')
		nd--;
	if (nd == 0)
		return hx_buf_append(out, "0", 1);
	/* ndot counts digits before the point (negative when leading zeros
	 * followed it); the value is 0.digits × 10^(ndot+exp). */
	long point = ndot + exp;
	if (point < (long)nd || point > 30)
		goto raw;
	if (neg && hx_buf_append(out, "-", 1))
		return HX_ETOOBIG;
	if (hx_buf_append(out, digits, nd))
		return HX_ETOOBIG;
	for (long k = (long)nd; k < point; k++)
		if (hx_buf_append(out, "0", 1))
			return HX_ETOOBIG;
	return 0;
raw:
	return hx_buf_append(out, s, n);
}

/* Element and attribute names arrive as "namespace|local"; the local part
 * is what matters (transitional and strict OOXML use the same ones). */
#define NS_SEP '|'
static const char *local(const char *name)
{
	const char *p = strrchr(name, NS_SEP);
	return p ? p + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
	for (int i = 0; atts[i]; i += 2)
		if (strcmp(local(atts[i]), name) == 0)
			return atts[i + 1];
	return NULL;
}

/* What every part parser shares: the parser and the first error. */
struct xbase {
	XML_Parser p;
	int rc;
	hx_err *err;
};

static void xfail(struct xbase *x, int rc)
{
	if (!x->rc)
		x->rc = rc;
	XML_StopParser(x->p, XML_FALSE);
}

/* No part of an .xlsx has a DTD; refusing one shuts out entity tricks. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal)
{
	struct xbase *x = ud;
	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	xfail(x, hx_err_set(x->err, HX_EINVAL, "bad_xlsx", "file", MSG_BAD_XLSX));
}

static int bad_xlsx(hx_err *err)
{
	return hx_err_set(err, HX_EINVAL, "bad_xlsx", "file", MSG_BAD_XLSX);
}

/* Finds a part by name (case-insensitively, as some writers vary case). */
static zip_int64_t part_index(zip_t *z, const char *name)
{
	return zip_name_locate(z, name, ZIP_FL_NOCASE);
}

/* Streams one part of the package through a parser whose user data starts
 * with struct xbase. HX_ENOTFOUND when the part is missing (no message). */
static int parse_part(zip_t *z, const char *name, struct xbase *x, XML_StartElementHandler start,
		      XML_EndElementHandler end, XML_CharacterDataHandler text)
{
	int rc = 0;
	zip_file_t *f = NULL;
	char *chunk = NULL;
	XML_Parser p = NULL;
	zip_int64_t idx = part_index(z, name);
	if (idx < 0)
		return HX_ENOTFOUND;
	zip_stat_t st;
	if (zip_stat_index(z, (zip_uint64_t)idx, 0, &st) != 0) {
		rc = bad_xlsx(x->err);
		goto done;
	}
	if ((st.valid & ZIP_STAT_SIZE) && st.size > MAX_PART) {
		rc = err_too_big(x->err, HX_ETOOBIG);
		goto done;
	}
	f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
	chunk = malloc(64 << 10);
	p = XML_ParserCreateNS(NULL, NS_SEP);
	if (!chunk || !p) {
		rc = err_too_big(x->err, HX_ENOMEM);
		goto done;
	}
	if (!f) {
		rc = bad_xlsx(x->err);
		goto done;
	}
	x->p = p;
	x->rc = 0;
	XML_SetUserData(p, x);
	XML_SetElementHandler(p, start, end);
	XML_SetCharacterDataHandler(p, text);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	zip_uint64_t total = 0;
	for (;;) {
		zip_int64_t got = zip_fread(f, chunk, 64 << 10);
		if (got < 0) {
			rc = bad_xlsx(x->err);
			goto done;
		}
		/* The size in the header may lie: count what actually comes out. */
		total += (zip_uint64_t)got;
		if (total > MAX_PART) {
			rc = err_too_big(x->err, HX_ETOOBIG);
			goto done;
		}
		if (XML_Parse(p, chunk, (int)got, got == 0) != XML_STATUS_OK) {
			rc = x->rc ? x->rc : bad_xlsx(x->err);
			goto done;
		}
		if (got == 0)
			break;
	}
	rc = x->rc;
done:
	if (p)
		XML_ParserFree(p);
	x->p = NULL;
	free(chunk);
	if (f)
		zip_fclose(f);
	return rc;
}

/* ---- XLSX: workbook and relationships --------------------------------- */

#define TARGET_MAX 512

struct wb_ctx {
	struct xbase x;
	char rid[TARGET_MAX];     /* r:id of the first visible sheet */
	char rid_any[TARGET_MAX]; /* r:id of the first sheet, hidden or not */
};

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct wb_ctx *w = ud;
	if (strcmp(local(name), "sheet") != 0)
		return;
	const char *id = attr(atts, "id");
	const char *state = attr(atts, "state");
	if (!id || strlen(id) >= TARGET_MAX)
		return;
	if (!w->rid_any[0])
		strcpy(w->rid_any, id);
	if (!w->rid[0] && (!state || strcmp(state, "visible") == 0))
		strcpy(w->rid, id);
}

static void XMLCALL no_end(void *ud, const XML_Char *name)
{
	(void)ud, (void)name;
}

static void XMLCALL no_text(void *ud, const XML_Char *s, int len)
{
	(void)ud, (void)s, (void)len;
}

struct rels_ctx {
	struct xbase x;
	const char *rid;
	char sheet[TARGET_MAX];
	char sst[TARGET_MAX];
};

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A relationship target is relative to xl/ unless it starts with '/'. */
static void resolve_target(char out[TARGET_MAX], const char *target)
{
	out[0] = '\0';
	if (target[0] == '/') {
		if (strlen(target + 1) < TARGET_MAX)
			strcpy(out, target + 1);
		return;
	}
	while (strncmp(target, "./", 2) == 0)
		target += 2;
	if (strlen(target) + 3 < TARGET_MAX) {
		strcpy(out, "xl/");
		strcat(out, target);
	}
}

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct rels_ctx *c = ud;
	if (strcmp(local(name), "Relationship") != 0)
		return;
	const char *id = attr(atts, "Id"), *type = attr(atts, "Type"),
		   *target = attr(atts, "Target");
	if (!id || !type || !target)
		return;
	if (c->rid[0] && strcmp(id, c->rid) == 0 && ends_with(type, "/worksheet"))
		resolve_target(c->sheet, target);
	else if (!c->sst[0] && ends_with(type, "/sharedStrings"))
		resolve_target(c->sst, target);
}

/* ---- XLSX: shared strings ------------------------------------------------ */

#define SST_TOO_LONG SIZE_MAX

struct sst {
	hx_buf text;  /* NUL-separated strings */
	size_t *off;  /* start of string i in text, or SST_TOO_LONG */
	size_t n, cap;
};

struct sst_ctx {
	struct xbase x;
	struct sst *sst;
	hx_buf cur;  /* the <si> being read, raw */
	int in_si, in_t, rph; /* rph: depth inside phonetic runs, skipped */
	int too_long;
};

static void XMLCALL sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sst_ctx *c = ud;
	const char *l = local(name);
	(void)atts;
	if (strcmp(l, "si") == 0) {
		c->in_si = 1;
		c->too_long = 0;
		hx_buf_reset(&c->cur);
	} else if (!c->in_si) {
		return;
	} else if (strcmp(l, "rPh") == 0) {
		c->rph++;
	} else if (strcmp(l, "t") == 0 && !c->rph) {
		c->in_t = 1;
	}
}

static void XMLCALL sst_end(void *ud, const XML_Char *name)
{
	struct sst_ctx *c = ud;
	const char *l = local(name);
	if (!c->in_si)
		return;
	if (strcmp(l, "t") == 0) {
		c->in_t = 0;
	} else if (strcmp(l, "rPh") == 0) {
		if (c->rph)
			c->rph--;
	} else if (strcmp(l, "si") == 0) {
		struct sst *s = c->sst;
		c->in_si = 0;
		c->rph = 0;
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 256;
			if (cap * sizeof *s->off > MAX_SST / 4) {
				xfail(&c->x, err_too_big(c->x.err, HX_ETOOBIG));
				return;
			}
			size_t *off = realloc(s->off, cap * sizeof *off);
			if (!off) {
				xfail(&c->x, err_too_big(c->x.err, HX_ENOMEM));
				return;
			}
			s->off = off;
			s->cap = cap;
		}
		if (c->too_long) {
			/* Kept as a marker: an error only if a cell uses it. */
			s->off[s->n++] = SST_TOO_LONG;
			return;
		}
		size_t at = s->text.len;
		if (xstring_decode(&s->text, c->cur.data ? c->cur.data : "", c->cur.len) ||
		    hx_buf_append(&s->text, "", 1)) {
			xfail(&c->x, err_too_big(c->x.err, HX_ETOOBIG));
			return;
		}
		s->off[s->n++] = at;
	}
}

static void XMLCALL sst_text(void *ud, const XML_Char *str, int len)
{
	struct sst_ctx *c = ud;
	if (!c->in_si || !c->in_t || c->too_long)
		return;
	if (hx_buf_append(&c->cur, str, (size_t)len))
		c->too_long = 1;
}

/* ---- XLSX: the worksheet ------------------------------------------------- */

struct sheet_ctx {
	struct xbase x;
	struct table_impl *t;
	const struct sst *sst;
	size_t max_rows;
	long row;  /* 0-based row of the current <row>, -1 before any */
	long col;  /* 0-based column of the last <c> in the row */
	int in_c, in_v, in_is, in_t, rph;
	long crow, ccol;  /* where the current cell goes */
	char ctype[16];
	hx_buf text;      /* the current cell's raw text */
	hx_buf val;       /* the current cell's final value */
	int too_long;
};

/* Parses a cell reference such as "B3" (1-based row in the digits). */
static int parse_ref(const char *r, long *row, long *col)
{
	long c = 0, n = 0;
	int letters = 0;
	for (; (*r >= 'A' && *r <= 'Z') || (*r >= 'a' && *r <= 'z'); r++) {
		c = c * 26 + ((*r & ~0x20) - 'A' + 1);
		if (++letters > 3)
			return -1;
	}
	if (letters == 0 || c > EXCEL_MAX_COLS)
		return -1;
	int digits = 0;
	for (; *r >= '0' && *r <= '9'; r++) {
		n = n * 10 + (*r - '0');
		if (++digits > 7)
			return -1;
	}
	if (*r || (digits && (n < 1 || n > (long)EXCEL_MAX_ROWS)))
		return -1;
	*col = c - 1;
	*row = digits ? n - 1 : -1;
	return 0;
}

static void XMLCALL sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sheet_ctx *c = ud;
	const char *l = local(name);
	if (strcmp(l, "row") == 0) {
		const char *r = attr(atts, "r");
		long n = c->row + 1;
		if (r) {
			char *end;
			errno = 0;
			long v = strtol(r, &end, 10);
			if (errno || *end || v < 1 || v > (long)EXCEL_MAX_ROWS) {
				xfail(&c->x, bad_xlsx(c->x.err));
				return;
			}
			n = v - 1;
		}
		if (n >= (long)EXCEL_MAX_ROWS) {
			xfail(&c->x, bad_xlsx(c->x.err));
			return;
		}
		c->row = n;
		c->col = -1;
	} else if (strcmp(l, "c") == 0) {
		if (c->row < 0)
			c->row = 0;
		const char *r = attr(atts, "r"), *t = attr(atts, "t");
		long rr = c->row, cc = c->col + 1;
		if (r) {
			long pr;
			if (parse_ref(r, &pr, &cc)) {
				xfail(&c->x, bad_xlsx(c->x.err));
				return;
			}
			if (pr >= 0)
				rr = pr;
		}
		if (cc >= EXCEL_MAX_COLS) {
			xfail(&c->x, bad_xlsx(c->x.err));
			return;
		}
		c->col = cc;
		c->crow = rr;
		c->ccol = cc;
		snprintf(c->ctype, sizeof c->ctype, "%s", t ? t : "n");
		c->in_c = 1;
		c->too_long = 0;
		hx_buf_reset(&c->text);
	} else if (!c->in_c) {
		return;
	} else if (strcmp(l, "v") == 0 && !c->in_is) {
		c->in_v = 1;
	} else if (strcmp(l, "is") == 0) {
		c->in_is = 1;
	} else if (strcmp(l, "rPh") == 0 && c->in_is) {
		c->rph++;
	} else if (strcmp(l, "t") == 0 && c->in_is && !c->rph) {
		c->in_t = 1;
	}
}

static void XMLCALL sheet_text(void *ud, const XML_Char *s, int len)
{
	struct sheet_ctx *c = ud;
	if (!c->in_c || c->too_long)
		return;
	int inline_str = strcmp(c->ctype, "inlineStr") == 0;
	if ((inline_str && c->in_t) || (!inline_str && c->in_v))
		if (hx_buf_append(&c->text, s, (size_t)len))
			c->too_long = 1;
}

/* The final text of the cell that just ended, into c->val. */
static int cell_value(struct sheet_ctx *c)
{
	const char *raw = c->text.data ? c->text.data : "";
	size_t n = c->text.len;
	const char *t = c->ctype;
	hx_buf_reset(&c->val);
	if (strcmp(t, "s") == 0) {
		char *end;
		if (n == 0)
			return 0;
		errno = 0;
		unsigned long long i = strtoull(raw, &end, 10);
		if (errno || *end || raw[0] < '0' || raw[0] > '9' || i >= c->sst->n)
			return bad_xlsx(c->x.err);
		size_t off = c->sst->off[i];
		if (off == SST_TOO_LONG)
			return err_cell(c->x.err, (size_t)c->crow, (size_t)c->ccol);
		const char *s = c->sst->text.data + off;
		if (hx_buf_append(&c->val, s, strlen(s)))
			return err_cell(c->x.err, (size_t)c->crow, (size_t)c->ccol);
		return 0;
	}
	int rc;
	if (strcmp(t, "inlineStr") == 0 || strcmp(t, "str") == 0)
		rc = xstring_decode(&c->val, raw, n);
	else if (strcmp(t, "b") == 0)
		rc = hx_buf_puts(&c->val, n == 1 && raw[0] == '1'   ? "TRUE"
					  : n == 1 && raw[0] == '0' ? "FALSE"
								    : raw);
	else if (strcmp(t, "n") == 0)
		rc = render_number(&c->val, raw, n);
	else /* "e" (#N/A …), "d" (ISO date): as written */
		rc = hx_buf_append(&c->val, raw, n);
	if (rc)
		return err_cell(c->x.err, (size_t)c->crow, (size_t)c->ccol);
	return 0;
}

static void XMLCALL sheet_end(void *ud, const XML_Char *name)
{
	struct sheet_ctx *c = ud;
	const char *l = local(name);
	if (!c->in_c)
		return;
	if (strcmp(l, "v") == 0) {
		c->in_v = 0;
	} else if (strcmp(l, "is") == 0) {
		c->in_is = 0;
		c->rph = 0;
	} else if (strcmp(l, "rPh") == 0) {
		if (c->rph)
			c->rph--;
	} else if (strcmp(l, "t") == 0) {
		c->in_t = 0;
	} else if (strcmp(l, "c") == 0) {
		c->in_c = c->in_v = c->in_is = c->in_t = c->rph = 0;
		size_t r = (size_t)c->crow, col = (size_t)c->ccol;
		if (c->too_long) {
			xfail(&c->x, err_cell(c->x.err, r, col));
			return;
		}
		int rc = cell_value(c);
		if (rc) {
			xfail(&c->x, rc);
			return;
		}
		if (c->val.len == 0)
			return; /* formatted but empty: not a value */
		if (r >= c->max_rows) {
			xfail(&c->x, err_rows(c->x.err, c->max_rows));
			return;
		}
		if (col >= MAX_COLS) {
			xfail(&c->x, err_cols(c->x.err, r));
			return;
		}
		char *s;
		if ((rc = ensure_rows(c->t, r + 1)) || (rc = ensure_cols(c->t, r, col + 1)) ||
		    (rc = arena_str(&s, c->t, c->val.data, c->val.len))) {
			xfail(&c->x, err_too_big(c->x.err, rc));
			return;
		}
		c->t->pub.cells[r][col] = s;
	}
}

static int read_xlsx(struct table_impl *t, const void *data, size_t len, size_t max_rows,
		     hx_err *err)
{
	int rc = 0;
	zip_t *z = NULL;
	zip_error_t ze;
	struct sst sst = {0};
	struct sst_ctx sc = {0};
	struct sheet_ctx sh = {0};
	hx_buf_init(&sst.text, MAX_SST);
	hx_buf_init(&sc.cur, MAX_CELL);
	hx_buf_init(&sh.text, MAX_CELL);
	hx_buf_init(&sh.val, MAX_CELL);
	zip_error_init(&ze);

	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	if (!src) {
		rc = bad_xlsx(err);
		goto done;
	}
	z = zip_open_from_source(src, ZIP_RDONLY, &ze);
	if (!z) {
		zip_source_free(src);
		rc = bad_xlsx(err);
		goto done;
	}

	struct wb_ctx wb = {.x.err = err};
	rc = parse_part(z, "xl/workbook.xml", &wb.x, wb_start, no_end, no_text);
	if (rc == HX_ENOTFOUND) {
		if (part_index(z, "xl/workbook.bin") >= 0)
			rc = hx_err_set(err, HX_EINVAL, "xlsb", "file",
					"不支持.xlsb格式，请另存为.xlsx或.csv");
		else
			rc = bad_xlsx(err);
		goto done;
	}
	if (rc)
		goto done;
	struct rels_ctx rels = {.x.err = err, .rid = wb.rid[0] ? wb.rid : wb.rid_any};
	rc = parse_part(z, "xl/_rels/workbook.xml.rels", &rels.x, rels_start, no_end, no_text);
	if (rc && rc != HX_ENOTFOUND)
		goto done;
	if (!rels.sheet[0] || part_index(z, rels.sheet) < 0)
		strcpy(rels.sheet, "xl/worksheets/sheet1.xml");
	if (!rels.sst[0] || part_index(z, rels.sst) < 0)
		strcpy(rels.sst, "xl/sharedStrings.xml");

	sc.x.err = err;
	sc.sst = &sst;
	rc = parse_part(z, rels.sst, &sc.x, sst_start, sst_end, sst_text);
	if (rc && rc != HX_ENOTFOUND)
		goto done;

	sh.x.err = err;
	sh.t = t;
	sh.sst = &sst;
	sh.max_rows = max_rows;
	sh.row = -1;
	rc = parse_part(z, rels.sheet, &sh.x, sheet_start, sheet_end, sheet_text);
	if (rc == HX_ENOTFOUND)
		rc = bad_xlsx(err);
done:
	if (z)
		zip_discard(z);
	zip_error_fini(&ze);
	hx_buf_free(&sst.text);
	free(sst.off);
	hx_buf_free(&sc.cur);
	hx_buf_free(&sh.text);
	hx_buf_free(&sh.val);
	return rc;
}

/* ---- entry points ---------------------------------------------------------- */

static int contains(const char *s, size_t n, const char *needle, size_t k)
{
	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (s[i] == needle[0] && memcmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

/* An OLE2 compound file: an old .xls, or any Office file with a password
 * (encrypted .xlsx are wrapped in OLE2 with an "EncryptedPackage" stream). */
static int check_ole(const char *s, size_t n, hx_err *err)
{
	static const char ole[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
	static const char enc[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
	if (n < 8 || memcmp(s, ole, 8) != 0)
		return 0;
	if (contains(s, n, enc, sizeof enc - 1))
		return hx_err_set(err, HX_EINVAL, "encrypted", "file",
				  "文件设置了密码，请取消密码保护后再导入");
	return hx_err_set(err, HX_EINVAL, "old_xls", "file",
			  "不支持旧版.xls格式，请另存为.xlsx或.csv");
}

int hx_table_read(hx_table **out, const void *data, size_t len, hx_table_format fmt,
		  size_t max_rows, hx_err *err)
{
	int rc;
	const char *s = data ? data : "";
	*out = NULL;
	if (!data)
		len = 0;
	if (max_rows == 0 || max_rows > EXCEL_MAX_ROWS)
		max_rows = EXCEL_MAX_ROWS;
	if ((rc = check_ole(s, len, err)))
		return rc;
	if (fmt == HX_TABLE_AUTO)
		fmt = len >= 4 && memcmp(s, "PK\3\4", 4) == 0 ? HX_TABLE_XLSX : HX_TABLE_CSV;
	struct table_impl *t = table_new();
	if (!t)
		return err_too_big(err, HX_ENOMEM);
	if (fmt == HX_TABLE_XLSX)
		rc = len ? read_xlsx(t, s, len, max_rows, err) : bad_xlsx(err);
	else
		rc = read_csv(t, s, len, max_rows, err);
	if (rc) {
		hx_table_free(&t->pub);
		return rc;
	}
	drop_trailing_empty(t);
	*out = &t->pub;
	return 0;
}

/* days since 1970-01-01 → civil date (proleptic Gregorian). */
static void civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int hx_excel_serial_to_date(const char *num, char out[11])
{
	if (!num || !*num)
		return HX_EINVAL;
	char *end;
	errno = 0;
	double v = strtod(num, &end);
	if (errno || *end || !isfinite(v))
		return HX_EINVAL;
	v = floor(v); /* a time of day in the fraction does not move the date */
	/* 1 = 1900-01-01 … 2958465 = 9999-12-31. Serial 60 is 1900-02-29,
	 * a day that never was: Excel kept Lotus 1-2-3's leap-year bug. */
	if (v < 1 || v > 2958465 || v == 60)
		return HX_EINVAL;
	long serial = (long)v;
	/* Before the phantom day, serial 1 is 1899-12-31 + 1; after it, Excel's
	 * count runs one ahead, so day 0 is 1899-12-30 (-25569 from 1970). */
	long days = serial < 60 ? serial - 25568 : serial - 25569;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
	return 0;
}
