/* Growable, capped byte buffer. */
#include "buf.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HX_BUF_DEFAULT_MAX ((size_t)64 << 20)

void hx_buf_init(hx_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max ? max : HX_BUF_DEFAULT_MAX;
}

static int grow(hx_buf *b, size_t need)
{
	size_t max = b->max ? b->max : HX_BUF_DEFAULT_MAX;
	if (need > max || need + 1 < need)
		return HX_ETOOBIG;
	if (need + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need + 1)
		cap *= 2;
	if (cap > max + 1)
		cap = max + 1;
	char *p = realloc(b->data, cap);
	if (!p)
		return HX_ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int hx_buf_append(hx_buf *b, const void *p, size_t n)
{
	if (b->failed)
		return b->failed;
	int rc = grow(b, b->len + n);
	if (rc)
		return b->failed = rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int hx_buf_puts(hx_buf *b, const char *s)
{
	return hx_buf_append(b, s, strlen(s));
}

int hx_buf_printf(hx_buf *b, const char *fmt, ...)
{
	if (b->failed)
		return b->failed;
	if (!fmt)
		return b->failed = HX_EINVAL;
	va_list ap;
	va_start(ap, fmt);
	char probe[1];
	int n = vsnprintf(probe, sizeof probe, fmt, ap);
	va_end(ap);
	if (n < 0)
		return b->failed = HX_EINTERNAL;
	int rc = grow(b, b->len + (size_t)n);
	if (rc)
		return b->failed = rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int hx_buf_failed(const hx_buf *b)
{
	return b->failed;
}

void hx_buf_reset(hx_buf *b)
{
	b->failed = 0;
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void hx_buf_free(hx_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->failed = 0;
	b->len = b->cap = 0;
}

char *hx_buf_steal(hx_buf *b, size_t *len)
{
	char *p = b->data;
	if (!p)
		p = calloc(1, 1);
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
