/* Error values: filling hx_err and mapping codes to HTTP statuses. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int hx_err_set(hx_err *err, int code, const char *key, const char *field,
	       const char *fmt, ...)
{
	if (!err)
		return code;
	err->code = code;
	snprintf(err->key, sizeof err->key, "%s", key ? key : "error");
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

void hx_err_clear(hx_err *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

int hx_err_http_status(int code)
{
	switch (code) {
	case HX_OK: return 200;
	case HX_EBADREQ: return 400;
	case HX_EINVAL: return 422;
	case HX_ENOTFOUND: return 404;
	case HX_ECONFLICT: return 409;
	case HX_EPERM: return 403;
	case HX_EAUTH: return 401;
	case HX_ETOOBIG: return 413;
	case HX_ETHROTTLE: return 429;
	case HX_EUNSUPPORTED: return 415;
	default: return 500;
	}
}
