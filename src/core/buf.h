/* Growable byte buffer with a hard size cap (like curl's dynbuf): appends
 * past the cap fail with HX_ETOOBIG instead of growing without bound. The
 * data is always NUL-terminated for convenience. */
#ifndef HX_BUF_H
#define HX_BUF_H

#include <stddef.h>

typedef struct hx_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0 means 64 MiB */
	int failed; /* sticky: the first append that failed (HX_ETOOBIG, HX_ENOMEM); later ones fail too */
} hx_buf;

void hx_buf_init(hx_buf *b, size_t max);
int hx_buf_append(hx_buf *b, const void *p, size_t n);
int hx_buf_puts(hx_buf *b, const char *s);
int hx_buf_printf(hx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hx_buf_reset(hx_buf *b);
/* 0, or the error of the first append that failed since init or reset:
 * a text built by many appends is checked once, before it is used (a
 * query missing its last clause must never run). */
int hx_buf_failed(const hx_buf *b) __attribute__((warn_unused_result));
void hx_buf_free(hx_buf *b);
/* Hands the data to the caller (free() it); the buffer is left empty. */
char *hx_buf_steal(hx_buf *b, size_t *len);

#endif
