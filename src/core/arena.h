/* Per-request arena (h2o's request pool): everything a request allocates
 * comes from here and is released in one go when the request ends. Deferred
 * cleanups release foreign objects (jansson values, files) at the same time. */
#ifndef HX_ARENA_H
#define HX_ARENA_H

#include <stddef.h>

typedef struct hx_arena hx_arena;

hx_arena *hx_arena_new(void);
void hx_arena_free(hx_arena *a); /* runs deferred cleanups, accepts NULL */
void *hx_arena_alloc(hx_arena *a, size_t n); /* zeroed; aborts on OOM */
char *hx_arena_strdup(hx_arena *a, const char *s); /* NULL stays NULL */
char *hx_arena_strndup(hx_arena *a, const char *s, size_t n);
char *hx_arena_printf(hx_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hx_arena_defer(hx_arena *a, void (*fn)(void *), void *p);

#endif
