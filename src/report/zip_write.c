/* Zip packages written in memory (libzip): the health check's archive
 * package, a contract's evidence package. Entries are copied in; the
 * finished archive comes back as one malloc'd buffer. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

struct hx_zip {
	zip_source_t *src;
	zip_t *z;
};

int hx_zip_new(hx_zip **out, hx_err *err)
{
	zip_error_t ze;
	zip_error_init(&ze);
	hx_zip *p = calloc(1, sizeof *p);
	if (!p || !(p->src = zip_source_buffer_create(NULL, 0, 0, &ze))) {
		free(p);
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	}
	zip_source_keep(p->src);
	if (!(p->z = zip_open_from_source(p->src, ZIP_TRUNCATE, &ze))) {
		zip_source_free(p->src);
		free(p);
		return hx_err_set(err, HX_EINTERNAL, "zip", "", "zip: cannot open");
	}
	*out = p;
	return 0;
}

int hx_zip_add(hx_zip *p, const char *name, const void *data, size_t len, hx_err *err)
{
	void *copy = malloc(len ? len : 1);
	if (!copy)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	memcpy(copy, data, len);
	zip_source_t *s = zip_source_buffer(p->z, copy, len, 1);
	if (!s) {
		free(copy);
		return hx_err_set(err, HX_EINTERNAL, "zip", "", "zip: %s", zip_strerror(p->z));
	}
	if (zip_file_add(p->z, name, s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) < 0) {
		zip_source_free(s);
		return hx_err_set(err, HX_EINTERNAL, "zip", "", "zip: %s", zip_strerror(p->z));
	}
	return 0;
}

int hx_zip_add_json(hx_zip *p, const char *name, const json_t *j, hx_err *err)
{
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int rc = t ? hx_zip_add(p, name, t, strlen(t), err) : hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	free(t);
	return rc;
}

void hx_zip_discard(hx_zip *p)
{
	if (!p)
		return;
	zip_discard(p->z);
	zip_source_free(p->src);
	free(p);
}

int hx_zip_finish(char **out, size_t *len, hx_zip *p, hx_err *err)
{
	zip_source_t *src = p->src;
	int closed = zip_close(p->z) == 0;
	if (!closed)
		zip_discard(p->z);
	free(p);
	if (!closed) {
		zip_source_free(src);
		return hx_err_set(err, HX_EINTERNAL, "zip", "", "zip: cannot write the package");
	}
	zip_int64_t n = 0;
	if (zip_source_open(src) < 0 || zip_source_seek(src, 0, SEEK_END) < 0 || (n = zip_source_tell(src)) < 0 ||
	    zip_source_seek(src, 0, SEEK_SET) < 0) {
		zip_source_free(src);
		return hx_err_set(err, HX_EINTERNAL, "zip", "", "zip: cannot read the package");
	}
	char *buf = malloc((size_t)n + 1);
	zip_int64_t got = buf ? zip_source_read(src, buf, (zip_uint64_t)n) : -1;
	zip_source_close(src);
	zip_source_free(src);
	if (got != n) {
		free(buf);
		return hx_err_set(err, HX_EINTERNAL, "zip", "", "zip: short read");
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
}
