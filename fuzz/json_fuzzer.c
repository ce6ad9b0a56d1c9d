/* Fuzz target: request body parsing as the API does it — parse an object,
 * refuse unknown fields, read typed fields of an enterprise form. */
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const allowed[] = {"uscc", "name", "employee_count", "above_scale",
					      "registered_on", NULL};
	json_t *j = NULL;
	hx_err err = {0};
	if (hx_json_parse_object(&j, (const char *)data, size, &err) == 0) {
		const char *s;
		long long n;
		int b, present;
		hx_json_only(j, allowed, &err);
		hx_json_get_str(&s, &present, j, "name", "名称", 1, 100, &err);
		hx_json_get_int(&n, &present, j, "employee_count", "人数", 0, 0, 1000000, &err);
		hx_json_get_bool(&b, &present, j, "above_scale", "规上", 0, &err);
		hx_json_get_date(&s, &present, j, "registered_on", "日期", 0, &err);
		json_decref(j);
	}
	return 0;
}
