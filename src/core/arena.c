/* Block arena with deferred cleanups. */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 8192

struct block {
	struct block *next;
	size_t used, cap;
	max_align_t data[];
};

struct defer {
	struct defer *next;
	void (*fn)(void *);
	void *p;
};

struct hx_arena {
	struct block *head;
	struct defer *defers;
};

hx_arena *hx_arena_new(void)
{
	hx_arena *a = calloc(1, sizeof *a);
	if (!a)
		abort();
	return a;
}

void hx_arena_free(hx_arena *a)
{
	if (!a)
		return;
	for (struct defer *d = a->defers; d;) {
		struct defer *n = d->next;
		d->fn(d->p);
		d = n;
	}
	for (struct block *b = a->head; b;) {
		struct block *n = b->next;
		free(b);
		b = n;
	}
	free(a);
}

void *hx_arena_alloc(hx_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!n)
		n = 16;
	struct block *b = a->head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > BLOCK ? n : BLOCK;
		b = malloc(sizeof *b + cap);
		if (!b)
			abort();
		b->used = 0;
		b->cap = cap;
		if (n > BLOCK && a->head) {
			/* big allocation: keep the current block at the head */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *hx_arena_strndup(hx_arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *p = hx_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *hx_arena_strdup(hx_arena *a, const char *s)
{
	return s ? hx_arena_strndup(a, s, strlen(s)) : NULL;
}

char *hx_arena_printf(hx_arena *a, const char *fmt, ...)
{
	if (!fmt)
		return hx_arena_strdup(a, "");
	va_list ap;
	va_start(ap, fmt);
	char probe[1];
	int n = vsnprintf(probe, sizeof probe, fmt, ap);
	va_end(ap);
	if (n < 0)
		return hx_arena_strdup(a, "");
	char *p = hx_arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void hx_arena_defer(hx_arena *a, void (*fn)(void *), void *p)
{
	struct defer *d = hx_arena_alloc(a, sizeof *d);
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
}
