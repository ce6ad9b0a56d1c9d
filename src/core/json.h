/* JSON helpers over jansson for request bodies: parse with a size cap,
 * refuse unknown fields, and read typed fields with errors that name the
 * field in Chinese. Every reader takes the field's Chinese label so the
 * message the UI shows matches the form. */
#ifndef HX_JSON_H
#define HX_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Parses buf[0..len) (not NUL-terminated) into an object. HX_EBADREQ with
 * key "bad_json" when malformed or not an object. */
int hx_json_parse_object(json_t **out, const char *buf, size_t len, hx_err *err);
/* HX_EBADREQ "unknown_field" naming the first key of obj not in allowed
 * (a NULL-terminated list). */
int hx_json_only(const json_t *obj, const char *const *allowed, hx_err *err);

/* Readers. *present (may be NULL) is set to 1 when the key is there and not
 * null. A missing required field is HX_EINVAL "required"; a wrong type is
 * HX_EBADREQ "wrong_type". Strings are trimmed of ASCII and full-width
 * spaces at both ends, must be valid UTF-8 (jansson ensures it), and longer
 * than maxchars characters is HX_EINVAL "too_long". The returned string
 * points into obj (or into a trimmed copy owned by obj). */
int hx_json_get_str(const char **out, int *present, json_t *obj, const char *key,
		    const char *label, int required, size_t maxchars, hx_err *err);
int hx_json_get_int(long long *out, int *present, const json_t *obj, const char *key,
		    const char *label, int required, long long min, long long max, hx_err *err);
int hx_json_get_bool(int *out, int *present, const json_t *obj, const char *key,
		     const char *label, int required, hx_err *err);
/* A "YYYY-MM-DD" date string that is a real date. */
int hx_json_get_date(const char **out, int *present, json_t *obj, const char *key,
		     const char *label, int required, hx_err *err);

/* Number of UTF-8 characters in s. */
size_t hx_utf8_len(const char *s);
/* 1 when s[0..n) is valid UTF-8. */
int hx_utf8_valid(const char *s, size_t n);

/* json_string() that maps NULL to json null. */
json_t *hx_json_str_or_null(const char *s);

#endif
