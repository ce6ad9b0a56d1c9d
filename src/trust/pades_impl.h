/* What the PAdES files share and nothing outside uses (not part of
 * pades.h): the capped byte buffer that the DER writer (cms.c) and the
 * incremental update (pades_sign.c) write into, and the bounded PDF reader
 * (pdf_read.c) that the signer and the verifier (pades_verify.c) read a
 * document with: its values, objects, interactive form and pages. */
#ifndef HX_PADES_IMPL_H
#define HX_PADES_IMPL_H

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pades.h"

/* ---- limits shared by the reader and its users ---------------------------- */

#define FIELD_NAME_MAX 256     /* bytes of a qualified field name (UTF-8) */
#define PAGE_INDEX_MAX 100000  /* pages walked looking for the widget's page */

/* ---- errors --------------------------------------------------------------- */

static inline int bad_pdf(hx_err *err, const char *why)
{
	return hx_err_set(err, HX_EINVAL, "bad_pdf", "pdf", "无法解析 PDF 文件（%s）", why);
}

static inline int no_memory(hx_err *err)
{
	return hx_err_set(err, HX_ENOMEM, "nomem", "", "内存不足");
}

/* ---- growable byte buffer with a cap -------------------------------------- */

typedef struct buf {
	unsigned char *p;
	size_t len, cap, max;
	int bad; /* sticky: out of memory or past max; checked once at the end */
} buf;

static inline void buf_init(buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

static inline void buf_free(buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

static inline int buf_room(buf *b, size_t n)
{
	if (b->bad)
		return -1;
	if (n > b->max - b->len) {
		b->bad = 1;
		return -1;
	}
	if (n <= b->cap - b->len)
		return 0;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap - b->len < n)
		cap = cap > b->max / 2 ? b->max : 2 * cap;
	unsigned char *np = realloc(b->p, cap);
	if (!np) {
		b->bad = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

static inline void buf_put(buf *b, const void *s, size_t n)
{
	if (n && buf_room(b, n) == 0) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

static inline void buf_puts(buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static inline void buf_fill(buf *b, unsigned char c, size_t n)
{
	if (n && buf_room(b, n) == 0) {
		memset(b->p + b->len, c, n);
		b->len += n;
	}
}

__attribute__((format(printf, 2, 3))) static inline void buf_printf(buf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		b->bad = 1;
	else
		buf_put(b, tmp, (size_t)n);
}

/* ---- digest --------------------------------------------------------------- */

static inline int sha256(unsigned char out[32], const void *p, size_t n)
{
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

/* ---- PDF lexical level ---------------------------------------------------- */

enum vtype { V_NONE, V_NULL, V_BOOL, V_INT, V_REAL, V_NAME, V_STR, V_HEX, V_ARRAY, V_DICT, V_REF };

/* A PDF value as its text in the file, p[s..e), with what was parsed. */
typedef struct val {
	enum vtype t;
	size_t s, e;
	long long n;   /* V_INT: the value; V_REF: the object number */
	long long gen; /* V_REF */
} val;

static inline int pdf_ws(unsigned char c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

typedef struct reader reader;

/* ---- the document: xref tables and objects -------------------------------- */

typedef struct xent {
	uint32_t off;
	uint16_t gen;
	uint8_t state; /* 0 not listed, 1 in use, 2 free */
} xent;

struct reader {
	const unsigned char *p;
	size_t len;
	xent *x;
	size_t nx;      /* entries allocated */
	size_t top;     /* 1 + the highest object number listed */
	size_t max_obj; /* object numbers allowed, bounded by the file size */
	size_t xref_off; /* the newest xref section: an update's /Prev */
	val trailer;     /* the newest trailer dictionary */
	size_t loads;
	size_t scanned, scan_max; /* bytes parsed, against a multiple of the size */
};

/* ---- the interactive form ------------------------------------------------- */

typedef struct form_field {
	char name[FIELD_NAME_MAX]; /* fully qualified: parent.child */
	int is_sig;                /* /FT /Sig, here or inherited */
	val v;                     /* /V, resolved; V_NONE when absent */
} form_field;

typedef struct doc {
	reader d;
	val cat_ref, cat; /* the Catalog */
	val acro;         /* the /AcroForm dictionary; V_NONE when none */
	val fields;       /* its /Fields array; V_NONE when none */
	val page_ref, page;
	form_field *f;
	size_t nf, visits;
	const char *why; /* what could not be read, for the error message */
} doc;

/* ---- the reader's functions (pdf_read.c) ---------------------------------- */

/* 1 when v is the name /want (#xx escapes decoded). */
int hx_pades_name_is(reader *d, const val *v, const char *want);
/* The next entry of a dictionary; *i is 0 before the first. 1 while there
 * is one, 0 at the end, -1 on a syntax error. */
int hx_pades_dict_next(reader *d, const val *dict, size_t *i, val *key, val *value);
/* The value of /key in dict: 1 when found, 0 when not (out V_NONE), -1. */
int hx_pades_dict_get(reader *d, const val *dict, const char *key, val *out);
/* The next item of an array; *i is 0 before the first. */
int hx_pades_arr_next(reader *d, const val *arr, size_t *i, val *item);
/* Follows v while it is a reference (a missing or free object is null). */
int hx_pades_resolve(reader *d, val *v);
/* The next code point of UTF-8 text; strict (no overlongs, surrogates). */
int hx_pades_utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp);
/* 1 when s is UTF-8 of at most max bytes. */
int hx_pades_utf8_valid(const char *s, size_t max);
/* Replaces the bytes of s that are not UTF-8 with '?', in place. */
void hx_pades_utf8_clean(char *s);
/* The bytes of a string value, literal or hex, into out (cap bytes). */
int hx_pades_str_bytes(reader *d, const val *v, unsigned char *out, size_t cap, size_t *n);
/* A short text string value as UTF-8; "" when it is none. */
void hx_pades_val_text(reader *d, const val *v, char *out, size_t cap);
/* Opens a document: its xref chain, its form's fields, and (need_page) its
 * first page. HX_EINVAL "bad_pdf" when it cannot be read. */
int hx_pades_doc_open(doc *dc, const unsigned char *p, size_t len, int need_page, hx_err *err);
void hx_pades_doc_close(doc *dc);
/* Page idx (0-based) into dc->page_ref and dc->page; -1 (dc->why set) when
 * it does not exist or is the Catalog itself. */
int hx_pades_nth_page(doc *dc, long long idx);

#endif
