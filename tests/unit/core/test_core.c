/* Unit tests of src/core: the USCC and ID number checkers, dates, JSON
 * request readers, sealing of personal data, and the arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "core/json.h"
#include "core/timeutil.h"

/* A capped buffer remembers its first failed append: later appends fail
 * too (no text with a clause missing in the middle), and the caller
 * checks once, before it uses the text. */
static void test_buf_failure_is_sticky_until_reset(void **s)
{
	(void)s;
	hx_buf b;
	hx_buf_init(&b, 16);
	assert_int_equal(hx_buf_puts(&b, "SELECT 1"), 0);
	assert_int_equal(hx_buf_failed(&b), 0);
	assert_int_equal(hx_buf_puts(&b, " AND e.id = ?"), HX_ETOOBIG);
	assert_int_equal(hx_buf_puts(&b, "x"), HX_ETOOBIG); /* would fit, but a clause is missing */
	assert_int_equal(hx_buf_printf(&b, "%d", 1), HX_ETOOBIG);
	assert_int_equal(hx_buf_failed(&b), HX_ETOOBIG);
	assert_string_equal(b.data, "SELECT 1");
	hx_buf_reset(&b);
	assert_int_equal(hx_buf_failed(&b), 0);
	assert_int_equal(hx_buf_puts(&b, "ok"), 0);
	assert_string_equal(b.data, "ok");
	hx_buf_free(&b);
}

static void test_uscc_accepts_valid_sample(void **s)
{
	(void)s;
	hx_err e = {0};
	assert_int_equal(hx_uscc_check("91350100M000100Y43", "uscc", &e), 0);
}

static void test_uscc_rejects_wrong_check_char(void **s)
{
	(void)s;
	hx_err e = {0};
	assert_int_equal(hx_uscc_check("91350100M000100Y44", "uscc", &e), HX_EINVAL);
	assert_string_equal(e.key, "invalid_uscc");
	assert_string_equal(e.field, "uscc");
	assert_non_null(strstr(e.msg, "校验位"));
	assert_non_null(strstr(e.msg, "“3”"));
}

static void test_uscc_rejects_lowercase(void **s)
{
	(void)s;
	hx_err e = {0};
	assert_int_equal(hx_uscc_check("91350100m000100Y43", "uscc", &e), HX_EINVAL);
	assert_non_null(strstr(e.msg, "小写"));
}

static void test_uscc_rejects_wrong_length(void **s)
{
	(void)s;
	hx_err e = {0};
	assert_int_equal(hx_uscc_check("91350100M000100Y4", "uscc", &e), HX_EINVAL);
	assert_int_equal(hx_uscc_check("91350100M000100Y433", "uscc", &e), HX_EINVAL);
	assert_int_equal(hx_uscc_check("", "uscc", &e), HX_EINVAL);
	assert_int_equal(hx_uscc_check(NULL, "uscc", &e), HX_EINVAL);
}

static void test_uscc_rejects_forbidden_letters(void **s)
{
	(void)s;
	hx_err e = {0};
	const char *bad[] = {"91350100M0001I0Y43", "91350100M0001O0Y43", "91350100M0001S0Y43",
			     "91350100M0001V0Y43", "91350100M0001Z0Y43", "91350100M0001-0Y43"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(hx_uscc_check(bad[i], "uscc", &e), HX_EINVAL);
}

static void test_uscc_check_char_makes_valid_codes(void **s)
{
	(void)s;
	char c[19] = "91331125MA2A00001";
	c[17] = hx_uscc_check_char(c);
	c[18] = 0;
	assert_int_equal(hx_uscc_check(c, "uscc", NULL), 0);
	assert_int_equal(hx_uscc_check_char("91331125MA2A0000I"), 0);
}

static void test_idnum_accepts_valid_sample_and_derives(void **s)
{
	(void)s;
	hx_idnum_info info;
	hx_err e = {0};
	assert_int_equal(hx_idnum_check("11010519491231002X", &info, "id_number", &e), 0);
	assert_string_equal(info.birth, "1949-12-31");
	assert_int_equal(info.sex, 'F');
}

static void test_idnum_rejects_wrong_check_char(void **s)
{
	(void)s;
	hx_err e = {0};
	assert_int_equal(hx_idnum_check("110105194912310021", NULL, "id_number", &e), HX_EINVAL);
	assert_non_null(strstr(e.msg, "校验码"));
}

static void test_idnum_rejects_bad_date(void **s)
{
	(void)s;
	hx_err e = {0};
	char id[19] = "11010519490230002";
	id[17] = hx_idnum_check_char(id);
	id[18] = 0;
	assert_int_equal(hx_idnum_check(id, NULL, "id_number", &e), HX_EINVAL);
	assert_non_null(strstr(e.msg, "出生日期"));
	char fut[19] = "11010530000101002";
	fut[17] = hx_idnum_check_char(fut);
	fut[18] = 0;
	assert_int_equal(hx_idnum_check(fut, NULL, "id_number", &e), HX_EINVAL);
}

static void test_idnum_rejects_lowercase_x_and_bad_shapes(void **s)
{
	(void)s;
	hx_err e = {0};
	assert_int_equal(hx_idnum_check("11010519491231002x", NULL, "id_number", &e), HX_EINVAL);
	assert_non_null(strstr(e.msg, "大写"));
	assert_int_equal(hx_idnum_check("1101051949123100", NULL, "id_number", &e), HX_EINVAL);
	assert_int_equal(hx_idnum_check("11010519491231002XX", NULL, "id_number", &e), HX_EINVAL);
	assert_int_equal(hx_idnum_check("1101051949A231002X", NULL, "id_number", &e), HX_EINVAL);
}

static void test_idnum_mask_keeps_six_and_four(void **s)
{
	(void)s;
	char m[19];
	hx_idnum_mask("33112519900101123X", m);
	assert_string_equal(m, "331125********123X");
}

static void test_dates_and_ages(void **s)
{
	(void)s;
	assert_int_equal(hx_date_parse("2024-02-29", NULL, NULL, NULL), 0);
	assert_int_equal(hx_date_parse("2023-02-29", NULL, NULL, NULL), -1);
	assert_int_equal(hx_date_parse("2023-2-28", NULL, NULL, NULL), -1);
	assert_int_equal(hx_age_on("2010-03-01", "2026-02-28"), 15);
	assert_int_equal(hx_age_on("2010-03-01", "2026-03-01"), 16);
	char d[11];
	hx_date_add_months(d, "2024-03-31", -1);
	assert_string_equal(d, "2024-02-29");
	hx_date_add_days(d, "2024-02-28", 1);
	assert_string_equal(d, "2024-02-29");
	hx_date_add_days(d, "2026-12-31", 1);
	assert_string_equal(d, "2027-01-01");
	hx_date_add_days(d, "2026-03-01", -1);
	assert_string_equal(d, "2026-02-28");
	hx_date_add_days(d, "2026-11-25", 15);
	assert_string_equal(d, "2026-12-10");
}

static void test_json_refuses_unknown_and_wrong_types(void **s)
{
	(void)s;
	static const char *const allowed[] = {"name", "n", NULL};
	json_t *j = NULL;
	hx_err e = {0};
	const char *body = "{\"name\":\"  云和　\",\"n\":\"5\",\"x\":1}";
	assert_int_equal(hx_json_parse_object(&j, body, strlen(body), &e), 0);
	assert_int_equal(hx_json_only(j, allowed, &e), HX_EBADREQ);
	assert_string_equal(e.field, "x");
	const char *str;
	assert_int_equal(hx_json_get_str(&str, NULL, j, "name", "名称", 1, 10, &e), 0);
	assert_string_equal(str, "云和");
	long long n;
	assert_int_equal(hx_json_get_int(&n, NULL, j, "n", "数", 1, 0, 9, &e), HX_EBADREQ);
	assert_string_equal(e.key, "wrong_type");
	json_decref(j);
	assert_int_equal(hx_json_parse_object(&j, "{\"a\":", 5, &e), HX_EBADREQ);
	assert_int_equal(hx_json_parse_object(&j, "[]", 2, &e), HX_EBADREQ);
}

static void test_json_too_long_counts_characters(void **s)
{
	(void)s;
	json_t *j = json_pack("{s:s}", "name", "云和县云和县");
	hx_err e = {0};
	const char *str;
	assert_int_equal(hx_json_get_str(&str, NULL, j, "name", "名称", 1, 6, &e), 0);
	assert_int_equal(hx_json_get_str(&str, NULL, j, "name", "名称", 1, 5, &e), HX_EINVAL);
	assert_string_equal(e.key, "too_long");
	json_decref(j);
}

static void test_seal_round_trip_and_tamper(void **s)
{
	(void)s;
	uint8_t key[32] = {1, 2, 3};
	char *sealed = NULL, *plain = NULL;
	hx_err e = {0};
	assert_int_equal(hx_seal(&sealed, key, "11010519491231002X", "workers.id_number", &e), 0);
	assert_null(strstr(sealed, "1101"));
	assert_int_equal(hx_open(&plain, key, sealed, "workers.id_number", &e), 0);
	assert_string_equal(plain, "11010519491231002X");
	free(plain);
	assert_int_not_equal(hx_open(&plain, key, sealed, "other.aad", &e), 0);
	sealed[5] = sealed[5] == 'A' ? 'B' : 'A';
	assert_int_not_equal(hx_open(&plain, key, sealed, "workers.id_number", &e), 0);
	free(sealed);
}

static void test_arena_strings_survive_until_free(void **s)
{
	(void)s;
	hx_arena *a = hx_arena_new();
	char *big = hx_arena_alloc(a, 100000);
	memset(big, 'x', 99999);
	char *p = hx_arena_printf(a, "%s-%d", "云和", 331125);
	assert_string_equal(p, "云和-331125");
	assert_int_equal(big[99998], 'x');
	hx_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uscc_accepts_valid_sample),
		cmocka_unit_test(test_uscc_rejects_wrong_check_char),
		cmocka_unit_test(test_uscc_rejects_lowercase),
		cmocka_unit_test(test_uscc_rejects_wrong_length),
		cmocka_unit_test(test_uscc_rejects_forbidden_letters),
		cmocka_unit_test(test_uscc_check_char_makes_valid_codes),
		cmocka_unit_test(test_idnum_accepts_valid_sample_and_derives),
		cmocka_unit_test(test_idnum_rejects_wrong_check_char),
		cmocka_unit_test(test_idnum_rejects_bad_date),
		cmocka_unit_test(test_idnum_rejects_lowercase_x_and_bad_shapes),
		cmocka_unit_test(test_idnum_mask_keeps_six_and_four),
		cmocka_unit_test(test_dates_and_ages),
		cmocka_unit_test(test_json_refuses_unknown_and_wrong_types),
		cmocka_unit_test(test_json_too_long_counts_characters),
		cmocka_unit_test(test_seal_round_trip_and_tamper),
		cmocka_unit_test(test_arena_strings_survive_until_free),
		cmocka_unit_test(test_buf_failure_is_sticky_until_reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
