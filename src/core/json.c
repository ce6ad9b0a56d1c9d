/* Strict JSON request readers. */
#include "json.h"
#include "timeutil.h"

#include <string.h>

int hx_json_parse_object(json_t **out, const char *buf, size_t len, hx_err *err)
{
	json_error_t je;
	if (!buf || len == 0)
		return hx_err_set(err, HX_EBADREQ, "bad_json", "", "请求内容为空，应为JSON对象");
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return hx_err_set(err, HX_EBADREQ, "bad_json", "",
				  "请求不是有效的JSON（第%d行第%d列）：%s", je.line, je.column, je.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return hx_err_set(err, HX_EBADREQ, "bad_json", "", "请求内容应为JSON对象");
	}
	*out = j;
	return 0;
}

int hx_json_only(const json_t *obj, const char *const *allowed, hx_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)obj, k, v) {
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, k) == 0) {
				ok = 1;
				break;
			}
		if (!ok)
			return hx_err_set(err, HX_EBADREQ, "unknown_field", k, "未知字段“%.40s”", k);
	}
	return 0;
}

size_t hx_utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

int hx_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		unsigned c = *p;
		int k;
		unsigned min;
		if (c < 0x80) {
			p++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1;
			c &= 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2;
			c &= 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3;
			c &= 0x07;
			min = 0x10000;
		} else
			return 0;
		if (e - p <= k)
			return 0;
		for (int i = 1; i <= k; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			c = (c << 6) | (p[i] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			return 0;
		p += k + 1;
	}
	return 1;
}

static int is_space_at(const char *s, size_t *len)
{
	if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
		*len = 1;
		return 1;
	}
	if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) {
		*len = 3; /* U+3000 ideographic space */
		return 1;
	}
	return 0;
}

int hx_json_get_str(const char **out, int *present, json_t *obj, const char *key,
		    const char *label, int required, size_t maxchars, hx_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (present)
		*present = 0;
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return hx_err_set(err, HX_EINVAL, "required", key, "请填写%s", label);
		return 0;
	}
	if (!json_is_string(v))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", key, "%s应为文本", label);
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (strlen(s) != n)
		return hx_err_set(err, HX_EINVAL, "bad_text", key, "%s含有不允许的空字符", label);
	size_t a = 0, b = n, l;
	while (a < b && is_space_at(s + a, &l))
		a += l;
	while (b > a) {
		if (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r' || s[b - 1] == '\n')
			b--;
		else if (b - a >= 3 && is_space_at(s + b - 3, &l) && l == 3)
			b -= 3;
		else
			break;
	}
	if (a != 0 || b != n) {
		json_t *t = json_stringn(s + a, b - a);
		json_object_set_new(obj, key, t);
		s = json_string_value(t);
	}
	if (!*s) {
		if (required)
			return hx_err_set(err, HX_EINVAL, "required", key, "请填写%s", label);
		return 0;
	}
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
			return hx_err_set(err, HX_EINVAL, "bad_text", key, "%s含有控制字符", label);
	if (maxchars && hx_utf8_len(s) > maxchars)
		return hx_err_set(err, HX_EINVAL, "too_long", key, "%s不能超过%zu个字", label, maxchars);
	if (present)
		*present = 1;
	*out = s;
	return 0;
}

int hx_json_get_int(long long *out, int *present, const json_t *obj, const char *key,
		    const char *label, int required, long long min, long long max, hx_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (present)
		*present = 0;
	if (!v || json_is_null(v)) {
		if (required)
			return hx_err_set(err, HX_EINVAL, "required", key, "请填写%s", label);
		return 0;
	}
	if (!json_is_integer(v))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", key, "%s应为整数", label);
	long long x = json_integer_value(v);
	if (x < min || x > max)
		return hx_err_set(err, HX_EINVAL, "out_of_range", key, "%s应在%lld到%lld之间", label, min, max);
	*out = x;
	if (present)
		*present = 1;
	return 0;
}

int hx_json_get_bool(int *out, int *present, const json_t *obj, const char *key,
		     const char *label, int required, hx_err *err)
{
	json_t *v = json_object_get(obj, key);
	if (present)
		*present = 0;
	if (!v || json_is_null(v)) {
		if (required)
			return hx_err_set(err, HX_EINVAL, "required", key, "请选择%s", label);
		return 0;
	}
	if (!json_is_boolean(v))
		return hx_err_set(err, HX_EBADREQ, "wrong_type", key, "%s应为是或否（true/false）", label);
	*out = json_is_true(v);
	if (present)
		*present = 1;
	return 0;
}

int hx_json_get_date(const char **out, int *present, json_t *obj, const char *key,
		     const char *label, int required, hx_err *err)
{
	int rc = hx_json_get_str(out, present, obj, key, label, required, 10, err);
	if (rc)
		return rc;
	if (*out && hx_date_parse(*out, NULL, NULL, NULL))
		return hx_err_set(err, HX_EINVAL, "bad_date", key, "%s应为有效日期（YYYY-MM-DD）", label);
	return 0;
}

json_t *hx_json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
