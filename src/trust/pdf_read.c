/* The bounded PDF reader that PAdES signing and verification share: PDF
 * values at the lexical level, the chain of classic xref tables (as cairo
 * writes them, and as pades_sign.c appends them) and the objects they
 * point to, text strings, the interactive form's fields and the page tree.
 * The file is the user's: nesting, object loads and the bytes parsed are
 * all capped. */
#include "pades_impl.h"

/* ---- limits --------------------------------------------------------------- */

#define DEPTH_MAX 32           /* nesting of PDF arrays and dictionaries */
#define SECTIONS_MAX 256       /* xref sections followed through /Prev */
#define LOADS_MAX 100000       /* indirect objects read per document */
#define SCAN_FACTOR 64         /* bytes parsed per byte of the file, at most */
#define SCAN_BASE ((size_t)4 << 20)
#define FIELDS_MAX 1024        /* form fields visited */
#define FIELD_DEPTH_MAX 8      /* /Kids levels of the form field tree */
#define REF_CHAIN_MAX 8        /* a reference to a reference to … */

/* ---- PDF lexical level ---------------------------------------------------- */

static int pdf_delim(unsigned char c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
	       c == '}' || c == '/' || c == '%';
}

static int pdf_regular(unsigned char c)
{
	return !pdf_ws(c) && !pdf_delim(c);
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Skips white space and comments. */
static size_t skip_ws(const unsigned char *p, size_t i, size_t end)
{
	while (i < end) {
		if (pdf_ws(p[i]))
			i++;
		else if (p[i] == '%')
			while (i < end && p[i] != '\n' && p[i] != '\r')
				i++;
		else
			break;
	}
	return i;
}

/* An unsigned integer of 1…18 digits ending the token. */
static int read_uint(const unsigned char *p, size_t *pos, size_t end, long long *out)
{
	size_t i = *pos, nd = 0;
	long long v = 0;
	for (; i < end && p[i] >= '0' && p[i] <= '9'; i++) {
		if (++nd > 18)
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	if (nd == 0 || (i < end && pdf_regular(p[i])))
		return -1;
	*pos = i;
	*out = v;
	return 0;
}

static int keyword_at(const unsigned char *p, size_t i, size_t end, const char *kw)
{
	size_t n = strlen(kw);
	return end - i >= n && memcmp(p + i, kw, n) == 0 && (end - i == n || !pdf_regular(p[i + n]));
}

static int parse_value(reader *d, size_t *pos, size_t end, int depth, val *v);

static int scan_name(const unsigned char *p, size_t *pos, size_t end)
{
	size_t i = *pos + 1;
	while (i < end && pdf_regular(p[i]))
		i++;
	*pos = i;
	return 0;
}

static int scan_literal(const unsigned char *p, size_t *pos, size_t end)
{
	size_t i = *pos + 1, nest = 1;
	while (i < end) {
		unsigned char c = p[i++];
		if (c == '\\')
			i += i < end;
		else if (c == '(')
			nest++;
		else if (c == ')' && --nest == 0) {
			*pos = i;
			return 0;
		}
	}
	return -1;
}

static int scan_hex(const unsigned char *p, size_t *pos, size_t end)
{
	for (size_t i = *pos + 1; i < end; i++) {
		if (p[i] == '>') {
			*pos = i + 1;
			return 0;
		}
		if (hexval(p[i]) < 0 && !pdf_ws(p[i]))
			return -1;
	}
	return -1;
}

/* "n g R" after the integer v: then v becomes a reference. */
static void try_ref(const unsigned char *p, size_t *pos, size_t end, val *v)
{
	size_t j = skip_ws(p, *pos, end);
	long long gen;
	if (j == *pos || read_uint(p, &j, end, &gen) || gen > 65535)
		return;
	j = skip_ws(p, j, end);
	if (j >= end || p[j] != 'R' || (j + 1 < end && pdf_regular(p[j + 1])))
		return;
	v->t = V_REF;
	v->gen = gen;
	*pos = j + 1;
}

static int scan_number(const unsigned char *p, size_t *pos, size_t end, val *v)
{
	size_t i = *pos, nd = 0, nf = 0;
	int dot = 0, digit_first = p[i] >= '0' && p[i] <= '9';
	long long n = 0;
	if (p[i] == '+' || p[i] == '-')
		i++;
	for (; i < end; i++) {
		unsigned char c = p[i];
		if (c >= '0' && c <= '9') {
			if (dot)
				nf++;
			else if (++nd <= 18)
				n = n * 10 + (c - '0');
		} else if (c == '.' && !dot) {
			dot = 1;
		} else {
			break;
		}
	}
	if (nd + nf == 0 || (i < end && pdf_regular(p[i])))
		return -1;
	v->t = dot || nd > 18 ? V_REAL : V_INT;
	v->n = p[*pos] == '-' ? -n : n;
	*pos = i;
	if (v->t == V_INT && digit_first)
		try_ref(p, pos, end, v);
	return 0;
}

static int scan_keyword(const unsigned char *p, size_t *pos, size_t end, val *v)
{
	size_t i = *pos;
	if (keyword_at(p, i, end, "true") || keyword_at(p, i, end, "false")) {
		v->t = V_BOOL;
		*pos = i + (p[i] == 't' ? 4 : 5);
	} else if (keyword_at(p, i, end, "null")) {
		v->t = V_NULL;
		*pos = i + 4;
	} else {
		return -1;
	}
	return 0;
}

/* ---- the document: xref tables and objects -------------------------------- */

static int scan_array(reader *d, size_t *pos, size_t end, int depth)
{
	size_t i = *pos + 1;
	for (;;) {
		i = skip_ws(d->p, i, end);
		if (i >= end)
			return -1;
		if (d->p[i] == ']') {
			*pos = i + 1;
			return 0;
		}
		val item;
		if (parse_value(d, &i, end, depth + 1, &item))
			return -1;
	}
}

static int scan_dict(reader *d, size_t *pos, size_t end, int depth)
{
	size_t i = *pos + 2;
	for (;;) {
		i = skip_ws(d->p, i, end);
		if (i >= end)
			return -1;
		if (d->p[i] == '>') {
			if (i + 1 >= end || d->p[i + 1] != '>')
				return -1;
			*pos = i + 2;
			return 0;
		}
		val k, v;
		if (parse_value(d, &i, end, depth + 1, &k) || k.t != V_NAME ||
		    parse_value(d, &i, end, depth + 1, &v))
			return -1;
	}
}

/* One value at p[*pos..end): a name, string, number, reference, array,
 * dictionary, boolean or null. Streams and keywords are no values. */
static int parse_value(reader *d, size_t *pos, size_t end, int depth, val *v)
{
	const unsigned char *p = d->p;
	size_t i = skip_ws(p, *pos, end);
	int rc;
	memset(v, 0, sizeof *v);
	if (i >= end || depth > DEPTH_MAX)
		return -1;
	v->s = i;
	unsigned char c = p[i];
	if (c == '/') {
		v->t = V_NAME;
		rc = scan_name(p, &i, end);
	} else if (c == '(') {
		v->t = V_STR;
		rc = scan_literal(p, &i, end);
	} else if (c == '<' && i + 1 < end && p[i + 1] == '<') {
		v->t = V_DICT;
		rc = scan_dict(d, &i, end, depth);
	} else if (c == '<') {
		v->t = V_HEX;
		rc = scan_hex(p, &i, end);
	} else if (c == '[') {
		v->t = V_ARRAY;
		rc = scan_array(d, &i, end, depth);
	} else if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
		rc = scan_number(p, &i, end, v);
	} else {
		rc = scan_keyword(p, &i, end, v);
	}
	if (rc)
		return -1;
	v->e = i;
	*pos = i;
	/* Values are parsed again each time one of their entries is looked
	 * up: the total is bounded, whatever the objects refer to. */
	if (depth == 0 && (d->scanned += i - v->s) > d->scan_max)
		return -1;
	return 0;
}

/* 1 when v is the name /want (#xx escapes decoded). */
int hx_pades_name_is(reader *d, const val *v, const char *want)
{
	if (v->t != V_NAME)
		return 0;
	for (size_t i = v->s + 1; i < v->e; want++) {
		int c = d->p[i++];
		if (c == '#' && v->e - i >= 2 && hexval(d->p[i]) >= 0 && hexval(d->p[i + 1]) >= 0) {
			c = hexval(d->p[i]) << 4 | hexval(d->p[i + 1]);
			i += 2;
		}
		if (*want == '\0' || c != (unsigned char)*want)
			return 0;
	}
	return *want == '\0';
}

/* The next entry of a dictionary; *i is 0 before the first. 1 while there
 * is one, 0 at the end, -1 on a syntax error. */
int hx_pades_dict_next(reader *d, const val *dict, size_t *i, val *key, val *value)
{
	if (dict->t != V_DICT)
		return -1;
	size_t end = dict->e - 2;
	if (*i == 0)
		*i = dict->s + 2;
	*i = skip_ws(d->p, *i, end);
	if (*i >= end)
		return 0;
	if (parse_value(d, i, end, 0, key) || key->t != V_NAME || parse_value(d, i, end, 0, value))
		return -1;
	return 1;
}

int hx_pades_dict_get(reader *d, const val *dict, const char *key, val *out)
{
	size_t i = 0;
	val k;
	int r;
	while ((r = hx_pades_dict_next(d, dict, &i, &k, out)) == 1)
		if (hx_pades_name_is(d, &k, key))
			return 1;
	memset(out, 0, sizeof *out);
	return r;
}

/* The next item of an array; *i is 0 before the first. */
int hx_pades_arr_next(reader *d, const val *arr, size_t *i, val *item)
{
	if (arr->t != V_ARRAY)
		return -1;
	size_t end = arr->e - 1;
	if (*i == 0)
		*i = arr->s + 1;
	*i = skip_ws(d->p, *i, end);
	if (*i >= end)
		return 0;
	return parse_value(d, i, end, 0, item) ? -1 : 1;
}

/* The object a reference points to; a missing or free object is null
 * (ISO 32000-1, 7.3.10). */
static int load_obj(reader *d, const val *ref, val *out)
{
	long long num = ref->n, n, g;
	memset(out, 0, sizeof *out);
	out->t = V_NULL;
	if (num <= 0 || (size_t)num >= d->nx || d->x[num].state != 1 || d->x[num].gen != ref->gen)
		return 0;
	if (++d->loads > LOADS_MAX)
		return -1;
	const unsigned char *p = d->p;
	size_t i = skip_ws(p, d->x[num].off, d->len);
	if (read_uint(p, &i, d->len, &n) || n != num)
		return -1;
	i = skip_ws(p, i, d->len);
	if (read_uint(p, &i, d->len, &g) || g != ref->gen)
		return -1;
	i = skip_ws(p, i, d->len);
	if (!keyword_at(p, i, d->len, "obj"))
		return -1;
	i += 3;
	return parse_value(d, &i, d->len, 0, out);
}

int hx_pades_resolve(reader *d, val *v)
{
	for (int k = 0; v->t == V_REF; k++) {
		val ref = *v;
		if (k == REF_CHAIN_MAX || load_obj(d, &ref, v))
			return -1;
	}
	return 0;
}

static int xref_set(reader *d, long long num, int state, long long off, long long gen)
{
	if (num < 0 || (size_t)num >= d->max_obj)
		return -1;
	size_t n = (size_t)num;
	if (n >= d->nx) {
		size_t nx = d->nx ? d->nx : 64;
		while (nx <= n)
			nx *= 2;
		if (nx > d->max_obj)
			nx = d->max_obj;
		xent *x = realloc(d->x, nx * sizeof *x);
		if (!x)
			return -1;
		memset(x + d->nx, 0, (nx - d->nx) * sizeof *x);
		d->x = x;
		d->nx = nx;
	}
	if (n >= d->top)
		d->top = n + 1;
	if (d->x[n].state == 0) { /* newer sections are read first and win */
		d->x[n].state = (uint8_t)state;
		d->x[n].off = state == 1 ? (uint32_t)off : 0;
		d->x[n].gen = (uint16_t)gen;
	}
	return 0;
}

/* "oooooooooo ggggg n" (or f) and its end of line. */
static int xref_entry(reader *d, size_t *pos, long long num)
{
	const unsigned char *p = d->p;
	size_t i = skip_ws(p, *pos, d->len);
	long long off, gen;
	if (read_uint(p, &i, d->len, &off) || i >= d->len || p[i++] != ' ')
		return -1;
	if (read_uint(p, &i, d->len, &gen) || i >= d->len || p[i++] != ' ' || gen > 65535)
		return -1;
	if (i >= d->len || (p[i] != 'n' && p[i] != 'f'))
		return -1;
	int used = p[i++] == 'n';
	if ((i < d->len && pdf_regular(p[i])) || (used && (size_t)off >= d->len))
		return -1;
	*pos = i;
	return xref_set(d, num, used ? 1 : 2, off, gen);
}

static int xref_section(reader *d, size_t off, val *trailer)
{
	const unsigned char *p = d->p;
	size_t i = skip_ws(p, off, d->len), end = d->len;
	if (!keyword_at(p, i, end, "xref"))
		return -1;
	i += 4;
	for (;;) {
		i = skip_ws(p, i, end);
		if (keyword_at(p, i, end, "trailer")) {
			i += 7;
			return parse_value(d, &i, end, 0, trailer) || trailer->t != V_DICT ? -1 : 0;
		}
		long long first, count;
		if (read_uint(p, &i, end, &first))
			return -1;
		i = skip_ws(p, i, end);
		if (read_uint(p, &i, end, &count) || count > (long long)((end - i) / 6))
			return -1;
		for (long long k = 0; k < count; k++)
			if (xref_entry(d, &i, first + k))
				return -1;
	}
}

/* The offset after the last "startxref" of the file. */
static int find_startxref(reader *d, size_t *off)
{
	static const char kw[] = "startxref";
	size_t k = sizeof kw - 1;
	if (d->len < k)
		return -1;
	for (size_t i = d->len - k + 1; i-- > 0;) {
		if (d->p[i] != 's' || memcmp(d->p + i, kw, k) != 0)
			continue;
		size_t j = skip_ws(d->p, i + k, d->len);
		long long v;
		if (read_uint(d->p, &j, d->len, &v) || (size_t)v >= d->len)
			return -1;
		*off = (size_t)v;
		return 0;
	}
	return -1;
}

static void reader_close(reader *d)
{
	free(d->x);
	memset(d, 0, sizeof *d);
}

/* Reads the chain of xref sections from the last startxref through /Prev.
 * Cross-reference streams (PDF 1.5) are not read: cairo writes tables. */
static int reader_open(reader *d, const unsigned char *p, size_t len, const char **why)
{
	size_t seen[SECTIONS_MAX], off;
	memset(d, 0, sizeof *d);
	d->p = p;
	d->len = len;
	d->max_obj = len / 8 + 1024; /* an xref entry takes 20 bytes */
	d->scan_max = SCAN_FACTOR * len + SCAN_BASE;
	*why = "文件头不是 %PDF-";
	if (!p || len < 8 || memcmp(p, "%PDF-", 5) != 0)
		return -1;
	*why = "找不到 startxref";
	if (find_startxref(d, &off))
		return -1;
	d->xref_off = off;
	*why = "交叉引用表无效";
	for (size_t k = 0;; k++) {
		val tr, prev;
		if (k == SECTIONS_MAX)
			return -1;
		for (size_t j = 0; j < k; j++)
			if (seen[j] == off)
				return -1;
		seen[k] = off;
		if (xref_section(d, off, &tr))
			return -1;
		if (k == 0)
			d->trailer = tr;
		int r = hx_pades_dict_get(d, &tr, "Prev", &prev);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (prev.t != V_INT || prev.n < 0 || (size_t)prev.n >= len)
			return -1;
		off = (size_t)prev.n;
	}
}

/* ---- text ----------------------------------------------------------------- */

/* The next code point of UTF-8 text; strict (no overlongs, surrogates). */
int hx_pades_utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp)
{
	unsigned char c = s[*i];
	size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (k == 0 || n - *i < k)
		return -1;
	uint32_t v = k == 1 ? c : c & (0x7f >> k);
	for (size_t j = 1; j < k; j++) {
		if ((s[*i + j] & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (s[*i + j] & 0x3f);
	}
	if (v < min[k] || v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
		return -1;
	*i += k;
	*cp = v;
	return 0;
}

int hx_pades_utf8_valid(const char *s, size_t max)
{
	size_t n = strlen(s), i = 0;
	uint32_t cp;
	if (n > max)
		return 0;
	while (i < n)
		if (hx_pades_utf8_next((const unsigned char *)s, n, &i, &cp))
			return 0;
	return 1;
}

/* Replaces the bytes of s that are not UTF-8 with '?', in place. */
void hx_pades_utf8_clean(char *s)
{
	size_t n = strlen(s), i = 0;
	uint32_t cp;
	while (i < n)
		if (hx_pades_utf8_next((unsigned char *)s, n, &i, &cp))
			s[i++] = '?';
}

/* Appends cp as UTF-8 to out (cap bytes with the NUL); 0 when it fits. */
static int put_cp(char *out, size_t cap, size_t *k, uint32_t cp)
{
	unsigned char u[4];
	size_t n = 0;
	if (cp < 0x80) {
		u[n++] = (unsigned char)cp;
	} else if (cp < 0x800) {
		u[n++] = (unsigned char)(0xc0 | cp >> 6);
		u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		u[n++] = (unsigned char)(0xe0 | cp >> 12);
		u[n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		u[n++] = (unsigned char)(0xf0 | cp >> 18);
		u[n++] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		u[n++] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[n++] = (unsigned char)(0x80 | (cp & 0x3f));
	}
	if (cap - 1 - *k < n)
		return -1;
	memcpy(out + *k, u, n);
	*k += n;
	return 0;
}

/* A PDF text string as UTF-8 (cap > 0, truncated to fit): UTF-16BE with
 * its BOM, else PDFDocEncoding, read as Latin-1 (equal for ASCII). */
static void text_utf8(char *out, size_t cap, const unsigned char *s, size_t n)
{
	size_t k = 0;
	if (n >= 2 && s[0] == 0xfe && s[1] == 0xff) {
		for (size_t i = 2; i + 1 < n; i += 2) {
			uint32_t u = (uint32_t)s[i] << 8 | s[i + 1];
			if (u >= 0xd800 && u < 0xdc00 && i + 3 < n) {
				uint32_t lo = (uint32_t)s[i + 2] << 8 | s[i + 3];
				if (lo >= 0xdc00 && lo < 0xe000) {
					u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
					i += 2;
				}
			}
			if ((u >= 0xd800 && u < 0xe000) || u == 0)
				u = 0xfffd;
			if (put_cp(out, cap, &k, u))
				break;
		}
	} else {
		for (size_t i = 0; i < n; i++)
			if (put_cp(out, cap, &k, s[i] ? s[i] : 0xfffd))
				break;
	}
	out[k] = '\0';
}

/* The bytes of a string value, literal or hex, into out (cap bytes). */
int hx_pades_str_bytes(reader *d, const val *v, unsigned char *out, size_t cap, size_t *n)
{
	const unsigned char *p = d->p;
	size_t k = 0, i = v->s + 1, end = v->e - 1;
	int hi = -1;
	if (v->t != V_HEX && v->t != V_STR)
		return -1;
	while (i < end) {
		int c = p[i++];
		if (v->t == V_HEX) {
			if ((c = hexval((unsigned char)c)) < 0)
				continue;
			if (hi < 0) {
				hi = c;
				continue;
			}
			c |= hi << 4;
			hi = -1;
		} else if (c == '\r') {
			c = '\n';
			i += i < end && p[i] == '\n';
		} else if (c == '\\') {
			if (i >= end)
				break;
			c = p[i++];
			if (c == '\r' || c == '\n') { /* a line continuation */
				i += c == '\r' && i < end && p[i] == '\n';
				continue;
			}
			if (c >= '0' && c <= '7') {
				int o = c - '0';
				for (int j = 0; j < 2 && i < end && p[i] >= '0' && p[i] <= '7'; j++)
					o = o * 8 + (p[i++] - '0');
				c = o & 0xff;
			} else {
				c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b' : c == 'f' ? '\f' : c;
			}
		}
		if (k == cap)
			return -1;
		out[k++] = (unsigned char)c;
	}
	if (hi >= 0) {
		if (k == cap)
			return -1;
		out[k++] = (unsigned char)(hi << 4);
	}
	*n = k;
	return 0;
}

/* A short text string value as UTF-8; "" when it is none. */
void hx_pades_val_text(reader *d, const val *v, char *out, size_t cap)
{
	unsigned char b[FIELD_NAME_MAX * 2];
	size_t n = 0;
	if (hx_pades_str_bytes(d, v, b, sizeof b, &n))
		n = 0;
	text_utf8(out, cap, b, n);
}

/* ---- the interactive form ------------------------------------------------- */

static int field_visit(doc *dc, const val *dict, const char *parent, int parent_sig, int depth);

static int walk_fields(doc *dc, const val *arr, const char *parent, int parent_sig, int depth)
{
	size_t i = 0;
	val it;
	int r;
	if (depth > FIELD_DEPTH_MAX)
		return -1;
	while ((r = hx_pades_arr_next(&dc->d, arr, &i, &it)) == 1) {
		if (++dc->visits > FIELDS_MAX || hx_pades_resolve(&dc->d, &it))
			return -1;
		if (it.t == V_DICT && field_visit(dc, &it, parent, parent_sig, depth))
			return -1;
	}
	return r;
}

static int field_add(doc *dc, const char *name, int is_sig, const val *dict)
{
	form_field *f;
	val v;
	if (hx_pades_dict_get(&dc->d, dict, "V", &v) < 0 || hx_pades_resolve(&dc->d, &v))
		return -1;
	if (dc->nf % 16 == 0) {
		if (!(f = realloc(dc->f, (dc->nf + 16) * sizeof *f)))
			return -1;
		dc->f = f;
	}
	f = &dc->f[dc->nf++];
	snprintf(f->name, sizeof f->name, "%s", name);
	f->is_sig = is_sig;
	f->v = v;
	return 0;
}

/* A field dictionary: recorded when it has a name (/T), then its /Kids. */
static int field_visit(doc *dc, const val *dict, const char *parent, int parent_sig, int depth)
{
	char name[FIELD_NAME_MAX], t[FIELD_NAME_MAX];
	val tv, ft, kids;
	int has_t, r, sig = parent_sig;
	if ((has_t = hx_pades_dict_get(&dc->d, dict, "T", &tv)) < 0 || (r = hx_pades_dict_get(&dc->d, dict, "FT", &ft)) < 0)
		return -1;
	if (r == 1)
		sig = hx_pades_name_is(&dc->d, &ft, "Sig");
	hx_pades_val_text(&dc->d, &tv, t, sizeof t);
	if (snprintf(name, sizeof name, "%s%s%s", parent, *parent && has_t ? "." : "", has_t ? t : "") >=
	    (int)sizeof name)
		hx_pades_utf8_clean(name); /* the cut may have split a character */
	if (has_t && field_add(dc, name, sig, dict))
		return -1;
	if ((r = hx_pades_dict_get(&dc->d, dict, "Kids", &kids)) < 0 || hx_pades_resolve(&dc->d, &kids))
		return -1;
	if (r == 1 && kids.t == V_ARRAY)
		return walk_fields(dc, &kids, name, sig, depth + 1) < 0 ? -1 : 0;
	return 0;
}

static int read_form(doc *dc)
{
	reader *d = &dc->d;
	val a, fl;
	int r;
	dc->why = "找不到文档目录（/Root）";
	if (hx_pades_dict_get(d, &d->trailer, "Root", &dc->cat_ref) != 1 || dc->cat_ref.t != V_REF)
		return -1;
	dc->cat = dc->cat_ref;
	if (hx_pades_resolve(d, &dc->cat) || dc->cat.t != V_DICT)
		return -1;
	dc->why = "表单（/AcroForm）无效";
	if ((r = hx_pades_dict_get(d, &dc->cat, "AcroForm", &a)) < 0 || hx_pades_resolve(d, &a))
		return -1;
	if (r == 0 || a.t != V_DICT)
		return 0;
	dc->acro = a;
	if ((r = hx_pades_dict_get(d, &a, "Fields", &fl)) < 0 || hx_pades_resolve(d, &fl))
		return -1;
	if (r == 1 && fl.t == V_ARRAY) {
		dc->fields = fl;
		if (walk_fields(dc, &fl, "", 0, 0) < 0)
			return -1;
	}
	return 0;
}

/* Page idx (0-based) of the page tree under node: the /Count of each
 * /Pages node says whether the page is inside it. *left counts down the
 * pages still to pass. 1 when found (dc->page_ref and dc->page set). */
static int page_find(doc *dc, val node, long long *left, int depth)
{
	reader *d = &dc->d;
	val kids, type, kid, count;
	size_t i = 0;
	int r;
	if (depth > DEPTH_MAX || node.t != V_REF)
		return -1;
	val ref = node;
	if (hx_pades_resolve(d, &node) || node.t != V_DICT || hx_pades_dict_get(d, &node, "Type", &type) < 0)
		return -1;
	if (!hx_pades_name_is(d, &type, "Pages")) {
		if ((*left)-- > 0)
			return 0;
		dc->page_ref = ref;
		dc->page = node;
		return 1;
	}
	if (hx_pades_dict_get(d, &node, "Kids", &kids) != 1 || hx_pades_resolve(d, &kids) || kids.t != V_ARRAY)
		return -1;
	while ((r = hx_pades_arr_next(d, &kids, &i, &kid)) == 1) {
		val k = kid;
		if (++dc->visits > PAGE_INDEX_MAX)
			return -1;
		/* a whole /Pages subtree before the page is passed by its /Count */
		if (k.t == V_REF && !hx_pades_resolve(d, &k) && k.t == V_DICT && hx_pades_dict_get(d, &k, "Type", &type) == 1 &&
		    hx_pades_name_is(d, &type, "Pages") && hx_pades_dict_get(d, &k, "Count", &count) == 1 && count.t == V_INT &&
		    count.n >= 0 && count.n <= *left) {
			*left -= count.n;
			continue;
		}
		if ((r = page_find(dc, kid, left, depth + 1)) != 0)
			return r;
	}
	return r < 0 ? -1 : 0;
}

int hx_pades_nth_page(doc *dc, long long idx)
{
	val node;
	long long left = idx;
	dc->why = "页面树无效或签名框所在页不存在";
	if (idx < 0 || hx_pades_dict_get(&dc->d, &dc->cat, "Pages", &node) != 1 || page_find(dc, node, &left, 0) != 1)
		return -1;
	/* the update rewrites both: they must be two objects */
	return dc->page_ref.n == dc->cat_ref.n ? -1 : 0;
}

/* The first page: /Kids[0] down the page tree from the Catalog's /Pages. */
static int first_page(doc *dc)
{
	reader *d = &dc->d;
	val node, kids, type;
	dc->why = "页面树无效";
	if (hx_pades_dict_get(d, &dc->cat, "Pages", &node) != 1)
		return -1;
	for (int depth = 0; depth < DEPTH_MAX; depth++) {
		val ref = node;
		size_t i = 0;
		if (ref.t != V_REF || hx_pades_resolve(d, &node) || node.t != V_DICT || hx_pades_dict_get(d, &node, "Type", &type) < 0)
			return -1;
		if (!hx_pades_name_is(d, &type, "Pages")) {
			dc->page_ref = ref;
			dc->page = node;
			/* the update rewrites both: they must be two objects */
			return ref.n == dc->cat_ref.n ? -1 : 0;
		}
		if (hx_pades_dict_get(d, &node, "Kids", &kids) != 1 || hx_pades_resolve(d, &kids) || hx_pades_arr_next(d, &kids, &i, &node) != 1)
			return -1;
	}
	return -1;
}

void hx_pades_doc_close(doc *dc)
{
	reader_close(&dc->d);
	free(dc->f);
	memset(dc, 0, sizeof *dc);
}

int hx_pades_doc_open(doc *dc, const unsigned char *p, size_t len, int need_page, hx_err *err)
{
	memset(dc, 0, sizeof *dc);
	if (reader_open(&dc->d, p, len, &dc->why) || read_form(dc) || (need_page && first_page(dc)))
		return bad_pdf(err, dc->why);
	return 0;
}
