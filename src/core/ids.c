/* USCC (GB 32100-2015) and resident ID number (GB 11643-1999) checkers. */
#include "ids.h"
#include "timeutil.h"

#include <string.h>

/* GB 32100-2015 table 1: 31 characters, no I, O, S, V, Z. */
static const char USCC_SET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int USCC_W[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

static int uscc_value(char c)
{
	const char *p = c ? strchr(USCC_SET, c) : NULL;
	return p ? (int)(p - USCC_SET) : -1;
}

char hx_uscc_check_char(const char *first17)
{
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		int v = uscc_value(first17[i]);
		if (v < 0)
			return 0;
		sum += v * USCC_W[i];
	}
	return USCC_SET[(31 - sum % 31) % 31];
}

int hx_uscc_check(const char *code, const char *field, hx_err *err)
{
	if (!code || !*code)
		return hx_err_set(err, HX_EINVAL, "invalid_uscc", field,
				  "统一社会信用代码不能为空");
	size_t n = strlen(code);
	if (n != 18)
		return hx_err_set(err, HX_EINVAL, "invalid_uscc", field,
				  "统一社会信用代码应为18位，当前为%zu位", n);
	for (size_t i = 0; i < 18; i++) {
		char c = code[i];
		if (c >= 'a' && c <= 'z')
			return hx_err_set(err, HX_EINVAL, "invalid_uscc", field,
					  "统一社会信用代码第%zu位“%c”为小写字母，应使用大写字母", i + 1, c);
		if (uscc_value(c) < 0) {
			if (c == 'I' || c == 'O' || c == 'S' || c == 'V' || c == 'Z')
				return hx_err_set(err, HX_EINVAL, "invalid_uscc", field,
						  "统一社会信用代码第%zu位“%c”不是允许的字符（不使用I、O、S、V、Z）",
						  i + 1, c);
			return hx_err_set(err, HX_EINVAL, "invalid_uscc", field,
					  "统一社会信用代码第%zu位含有非法字符", i + 1);
		}
	}
	char want = hx_uscc_check_char(code);
	if (code[17] != want)
		return hx_err_set(err, HX_EINVAL, "invalid_uscc", field,
				  "统一社会信用代码校验位错误：第18位应为“%c”，实际为“%c”（GB 32100-2015）",
				  want, code[17]);
	return 0;
}

static const int ID_W[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char ID_CHECK[] = "10X98765432";

char hx_idnum_check_char(const char *first17)
{
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		if (first17[i] < '0' || first17[i] > '9')
			return 0;
		sum += (first17[i] - '0') * ID_W[i];
	}
	return ID_CHECK[sum % 11];
}

int hx_idnum_check(const char *id, hx_idnum_info *info, const char *field, hx_err *err)
{
	if (!id || !*id)
		return hx_err_set(err, HX_EINVAL, "invalid_id_number", field, "身份证号码不能为空");
	size_t n = strlen(id);
	if (n != 18)
		return hx_err_set(err, HX_EINVAL, "invalid_id_number", field,
				  "身份证号码应为18位，当前为%zu位", n);
	for (int i = 0; i < 17; i++)
		if (id[i] < '0' || id[i] > '9')
			return hx_err_set(err, HX_EINVAL, "invalid_id_number", field,
					  "身份证号码前17位应为数字，第%d位不是数字", i + 1);
	if (id[17] == 'x')
		return hx_err_set(err, HX_EINVAL, "invalid_id_number", field,
				  "身份证号码末位校验码应为大写字母X");
	if (!((id[17] >= '0' && id[17] <= '9') || id[17] == 'X'))
		return hx_err_set(err, HX_EINVAL, "invalid_id_number", field,
				  "身份证号码末位应为数字或X");
	int y = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 + (id[9] - '0');
	int m = (id[10] - '0') * 10 + (id[11] - '0');
	int d = (id[12] - '0') * 10 + (id[13] - '0');
	char birth[11];
	hx_date_format(birth, y, m, d);
	char today[11];
	hx_today(today);
	if (y < 1900 || !hx_date_valid(y, m, d) || strcmp(birth, today) > 0)
		return hx_err_set(err, HX_EINVAL, "invalid_id_number", field,
				  "身份证号码中的出生日期%.8s不是有效日期", id + 6);
	char want = hx_idnum_check_char(id);
	if (id[17] != want)
		return hx_err_set(err, HX_EINVAL, "invalid_id_number", field,
				  "身份证号码校验码错误：第18位应为“%c”，实际为“%c”（GB 11643-1999）",
				  want, id[17]);
	if (info) {
		info->year = y;
		info->month = m;
		info->day = d;
		info->sex = ((id[16] - '0') % 2) ? 'M' : 'F';
		memcpy(info->birth, birth, sizeof birth);
	}
	return 0;
}

void hx_idnum_mask(const char *id, char out[19])
{
	size_t n = id ? strlen(id) : 0;
	if (n != 18) {
		memcpy(out, "******************", 18);
		out[18] = '\0';
		return;
	}
	memcpy(out, id, 6);
	memset(out + 6, '*', 8);
	memcpy(out + 14, id + 14, 4);
	out[18] = '\0';
}
