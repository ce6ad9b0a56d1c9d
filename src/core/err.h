/* Errors as values: every fallible Hexie function returns 0 or a negative
 * HX_E… code and fills an hx_err with a machine key, the field at fault and a
 * one-line message in Chinese that the UI can show as it is. */
#ifndef HX_ERR_H
#define HX_ERR_H

enum {
	HX_OK = 0,
	HX_EBADREQ = -1,   /* malformed request: bad JSON, wrong type, unknown field (400) */
	HX_EINVAL = -2,    /* well-formed but invalid value (422) */
	HX_ENOTFOUND = -3, /* no such object, or outside the caller's scope (404) */
	HX_ECONFLICT = -4, /* duplicate or stale (409) */
	HX_EPERM = -5,     /* authenticated but not allowed (403) */
	HX_EAUTH = -6,     /* not logged in / session expired (401) */
	HX_ETOOBIG = -7,   /* over a size cap (413) */
	HX_ETHROTTLE = -8, /* too many attempts (429) */
	HX_ENOMEM = -9,
	HX_EIO = -10,
	HX_EDB = -11,
	HX_EINTERNAL = -12,
	HX_EUNSUPPORTED = -13, /* a kind of content not accepted (415) */
};

typedef struct hx_err {
	int code;
	char key[48];   /* stable machine code, e.g. "invalid_uscc" */
	char field[64]; /* request field at fault, "" when none */
	char msg[512];  /* human message (Chinese for user-facing errors) */
} hx_err;

/* Fills err (if not NULL) and returns code, so callers can write
 * `return hx_err_set(err, HX_EINVAL, "invalid_uscc", "uscc", "…");`. */
int hx_err_set(hx_err *err, int code, const char *key, const char *field,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void hx_err_clear(hx_err *err);
/* HTTP status for an error code. */
int hx_err_http_status(int code);

#endif
