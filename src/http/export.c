/* Lists as spreadsheets: turns a JSON array of items into an .xlsx answer,
 * with labels for codes and 是/否 for flags. */
#include "http.h"

#include <stdlib.h>
#include <string.h>

#include "../report/report.h"

struct rows {
	json_t *items;
	size_t i;
	const hx_xlsx_col *cols;
	size_t ncols;
	char **tmp; /* values of the current row, freed on the next */
};

static const char *label_of(const hx_xlsx_col *c, const char *code)
{
	for (const char *const *m = c->map; m && *m && m[1]; m += 2)
		if (strcmp(*m, code) == 0)
			return m[1];
	return code;
}

static int next_row(void *ctx, const char **vals)
{
	struct rows *r = ctx;
	for (size_t k = 0; k < r->ncols; k++) {
		free(r->tmp[k]);
		r->tmp[k] = NULL;
	}
	if (r->i >= json_array_size(r->items))
		return 0;
	json_t *it = json_array_get(r->items, r->i++);
	for (size_t k = 0; k < r->ncols; k++) {
		json_t *v = json_object_get(it, r->cols[k].key);
		const char *s = NULL;
		char buf[64];
		if (json_is_string(v))
			s = r->cols[k].map ? label_of(&r->cols[k], json_string_value(v)) : json_string_value(v);
		else if (json_is_integer(v)) {
			snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
			s = buf;
		} else if (json_is_real(v)) {
			snprintf(buf, sizeof buf, "%g", json_real_value(v));
			s = buf;
		} else if (json_is_boolean(v))
			s = json_is_true(v) ? "是" : "否";
		else if (json_is_object(v) || json_is_array(v)) {
			r->tmp[k] = json_dumps(v, JSON_COMPACT);
			vals[k] = r->tmp[k];
			continue;
		}
		r->tmp[k] = s ? strdup(s) : NULL;
		vals[k] = r->tmp[k];
	}
	return 1;
}

int hx_req_xlsx(hx_req *r, const char *filename, const char *sheet, const hx_xlsx_col *cols,
		size_t ncols, json_t *items)
{
	hx_err err = {0};
	const char *header[HX_XLSX_EXPORT_COLS] = {0};
	int numeric[HX_XLSX_EXPORT_COLS] = {0};
	/* a wider table is a programmer's error to report, never a cut one */
	if (ncols == 0 || ncols > HX_XLSX_EXPORT_COLS) {
		hx_err_set(&err, HX_EINTERNAL, "too_many_columns", "", "导出表格的列数超出上限（%d）",
			   HX_XLSX_EXPORT_COLS);
		return hx_req_fail(r, &err);
	}
	for (size_t k = 0; k < ncols; k++) {
		header[k] = cols[k].label;
		numeric[k] = cols[k].numeric;
	}
	struct rows st = {items, 0, cols, ncols, calloc(ncols, sizeof(char *))};
	if (!st.tmp) {
		hx_err_set(&err, HX_ENOMEM, "no_memory", "", "内存不足");
		return hx_req_fail(r, &err);
	}
	char *out = NULL;
	size_t len = 0;
	int rc = hx_xlsx_write_mem(&out, &len, sheet, ncols, header, numeric, next_row, &st, &err);
	for (size_t k = 0; k < ncols; k++)
		free(st.tmp[k]);
	free(st.tmp);
	if (rc)
		return hx_req_fail(r, &err);
	return hx_req_file(r, out, len,
			   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename);
}
