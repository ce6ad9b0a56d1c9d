/* Unit tests of the rating engine: every rule kind, exact halves and rates,
 * floors at 0, vetoes beside the total, and the refusals at load and at
 * facts compile time. Rubrics here are small inline ones; the shipped
 * rubrics are checked by tests/api/rate.mjs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "rating/rating.h"

static const char RUBRIC[] =
	"{\"id\":\"t\",\"version\":1,\"title\":\"测试\",\"subject\":\"enterprise\",\"total\":30,"
	"\"metrics\":{\"r\":{\"type\":\"rate\",\"label\":\"率\"},\"w\":{\"type\":\"number\",\"label\":\"工资\"},"
	"\"iw\":{\"type\":\"number\",\"label\":\"行业工资\"},\"n\":{\"type\":\"count\",\"label\":\"件数\"},"
	"\"co\":{\"type\":\"bool\",\"label\":\"公司制\"}},"
	"\"items\":["
	" {\"id\":\"1\",\"title\":\"一\",\"max\":10,\"departments\":[\"人社局\"],\"criteria\":["
	"  {\"id\":\"1.1\",\"text\":\"a\",\"max\":5,\"rule\":{\"kind\":\"metric\",\"metric\":\"r\",\"op\":\">=\",\"value\":1}},"
	"  {\"id\":\"1.2\",\"text\":\"b\",\"max\":2.5},"
	"  {\"id\":\"1.3\",\"text\":\"c\",\"max\":2.5,\"rule\":{\"kind\":\"metric_and_answer\",\"metric\":\"r\",\"op\":\">=\",\"value\":0.95}},"
	"  {\"id\":\"1.4\",\"text\":\"z\",\"max\":0,\"rule\":{\"kind\":\"zero_item\",\"when\":[{\"metric\":\"w\",\"op\":\"<\",\"other\":\"iw\"}]}}]},"
	" {\"id\":\"2\",\"title\":\"二\",\"max\":10,\"criteria\":["
	"  {\"id\":\"2.1\",\"text\":\"s\",\"max\":2,\"rule\":{\"kind\":\"step_deduction\",\"metric\":\"r\",\"full_at\":1,\"step\":0.02,\"points_per_step\":1}},"
	"  {\"id\":\"2.2\",\"text\":\"l\",\"max\":5,\"rule\":{\"kind\":\"ladder\",\"metric\":\"r\",\"tiers\":[{\"op\":\">=\",\"value\":0.9,\"points\":5},{\"op\":\">=\",\"value\":0.8,\"points\":3}]}},"
	"  {\"id\":\"2.3\",\"text\":\"b\",\"max\":3,\"rule\":{\"kind\":\"band\",\"metric\":\"r\",\"full_at\":1,\"zero_below\":0.9}},"
	"  {\"id\":\"2.4\",\"text\":\"z\",\"max\":0,\"rule\":{\"kind\":\"zero_item\",\"when\":[{\"metric\":\"n\",\"op\":\">=\",\"value\":2}]}}]},"
	" {\"id\":\"3\",\"title\":\"三\",\"max\":10,\"elements\":["
	"  {\"id\":\"3.1\",\"title\":\"e\",\"max\":2,\"criteria\":["
	"   {\"id\":\"3.1.1\",\"text\":\"x\",\"max\":2},"
	"   {\"id\":\"3.1.2\",\"text\":\"d\",\"max\":0,\"rule\":{\"kind\":\"deduct\",\"points\":1,\"from\":\"element\",\"when\":[{\"metric\":\"co\",\"op\":\"==\",\"value\":true},{\"answer\":false}]}}]}],"
	"  \"criteria\":[{\"id\":\"3.2\",\"text\":\"y\",\"max\":8}]},"
	" {\"id\":\"4\",\"title\":\"否决项\",\"max\":0,\"veto\":true,\"criteria\":["
	"  {\"id\":\"4.1\",\"text\":\"v\",\"max\":0,\"rule\":{\"kind\":\"veto\",\"when_any\":[{\"answer\":true},{\"metric\":\"r\",\"op\":\"<\",\"value\":0.6}]}}]}"
	"]}";

static hx_rubric *load(void)
{
	hx_rubric *r = NULL;
	hx_err e = {0};
	int rc = hx_rubric_parse(&r, RUBRIC, strlen(RUBRIC), "t.json", &e);
	if (rc)
		fail_msg("parse: %s", e.msg);
	return r;
}

/* Scores facts (JSON text); returns the result object. */
static json_t *score(const hx_rubric *r, const char *facts)
{
	json_t *j = json_loads(facts, 0, NULL);
	assert_non_null(j);
	hx_facts *f = NULL;
	hx_err e = {0};
	if (hx_facts_compile(&f, r, j, &e))
		fail_msg("facts: %s", e.msg);
	hx_score *s = hx_score_new(r);
	hx_rate(s, r, f);
	json_t *out = hx_score_json(s, r, f);
	hx_score_free(s);
	hx_facts_free(f);
	json_decref(j);
	return out;
}

static double item_score(json_t *res, const char *id)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(res, "items"), i, it)
		if (strcmp(json_string_value(json_object_get(it, "id")), id) == 0)
			return json_number_value(json_object_get(it, "score"));
	fail_msg("no item %s", id);
	return -1;
}

static void test_full_marks_when_everything_holds(void **st)
{
	(void)st;
	hx_rubric *r = load();
	json_t *res = score(r, "{\"answers\":{\"1.2\":true,\"1.3\":true,\"3.1.1\":true,\"3.1.2\":true,\"3.2\":true,\"4.1\":false},"
			       "\"metrics\":{\"r\":1,\"w\":6000,\"iw\":5000,\"n\":0,\"co\":true}}");
	assert_true(json_number_value(json_object_get(res, "total")) == 30);
	assert_false(json_is_true(json_object_get(res, "vetoed")));
	json_decref(res);
	hx_rubric_free(r);
}

static void test_rate_098_is_exactly_two_points_below(void **st)
{
	(void)st;
	hx_rubric *r = load();
	/* 0.98: one full step of 0.02 below 1 → 2 - 1 = 1 point (not 2, not 0) */
	json_t *res = score(r, "{\"metrics\":{\"r\":0.98,\"n\":0}}");
	size_t i;
	json_t *c;
	double s21 = -1;
	json_array_foreach(json_object_get(json_array_get(json_object_get(res, "items"), 1), "criteria"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "id")), "2.1") == 0)
			s21 = json_number_value(json_object_get(c, "score"));
	assert_true(s21 == 1);
	json_decref(res);
	/* 0.97: still one full step; 0.96: two; 0.90: floor at 0 */
	res = score(r, "{\"metrics\":{\"r\":0.97}}");
	assert_true(item_score(res, "2") == 1 + 5 + 0); /* step 1, ladder ≥0.9 → 5, band needs points → 0 */
	json_decref(res);
	res = score(r, "{\"metrics\":{\"r\":0.90}}");
	assert_true(item_score(res, "2") == 0 + 5 + 0);
	json_decref(res);
	hx_rubric_free(r);
}

static void test_half_points_stay_exact(void **st)
{
	(void)st;
	hx_rubric *r = load();
	json_t *res = score(r, "{\"answers\":{\"1.2\":1.5,\"1.3\":2.5},\"metrics\":{\"r\":0.95}}");
	assert_true(item_score(res, "1") == 4.0);
	json_decref(res);
	hx_rubric_free(r);
}

static void test_zero_item_rules_zero_the_whole_item(void **st)
{
	(void)st;
	hx_rubric *r = load();
	json_t *res = score(r, "{\"answers\":{\"1.2\":true},\"metrics\":{\"r\":1,\"w\":4000,\"iw\":5000}}");
	assert_true(item_score(res, "1") == 0);
	json_decref(res);
	res = score(r, "{\"metrics\":{\"r\":1,\"n\":2}}");
	assert_true(item_score(res, "2") == 0);
	json_decref(res);
	res = score(r, "{\"metrics\":{\"r\":1,\"n\":1}}");
	assert_true(item_score(res, "2") == 10);
	json_decref(res);
	hx_rubric_free(r);
}

static void test_ladder_and_band(void **st)
{
	(void)st;
	hx_rubric *r = load();
	json_t *res = score(r, "{\"answers\":{\"2.3\":1.5},\"metrics\":{\"r\":0.85}}");
	/* step: 0.15 below → 7 steps → 0; ladder 0.85 → 3; band between → 0 (below 0.9) */
	assert_true(item_score(res, "2") == 3);
	json_decref(res);
	res = score(r, "{\"answers\":{\"2.3\":1.5},\"metrics\":{\"r\":0.95}}");
	/* step: 2 steps → 0; ladder → 5; band between → evaluator's 1.5 */
	assert_true(item_score(res, "2") == 6.5);
	json_decref(res);
	hx_rubric_free(r);
}

static void test_deduct_applies_only_under_its_condition_and_not_below_zero(void **st)
{
	(void)st;
	hx_rubric *r = load();
	json_t *res = score(r, "{\"answers\":{\"3.1.1\":true,\"3.1.2\":false},\"metrics\":{\"co\":true}}");
	assert_true(item_score(res, "3") == 1);
	json_decref(res);
	res = score(r, "{\"answers\":{\"3.1.1\":true,\"3.1.2\":false},\"metrics\":{\"co\":false}}");
	assert_true(item_score(res, "3") == 2);
	json_decref(res);
	res = score(r, "{\"answers\":{\"3.1.1\":false,\"3.1.2\":false},\"metrics\":{\"co\":true}}");
	assert_true(item_score(res, "3") == 0);
	json_decref(res);
	hx_rubric_free(r);
}

static void test_veto_leaves_total_as_scored(void **st)
{
	(void)st;
	hx_rubric *r = load();
	json_t *res = score(r, "{\"answers\":{\"1.2\":true,\"4.1\":true},\"metrics\":{\"r\":1}}");
	assert_true(json_is_true(json_object_get(res, "vetoed")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(res, "vetoes"), 0)), "4.1");
	assert_true(json_number_value(json_object_get(res, "total")) > 0);
	json_decref(res);
	res = score(r, "{\"metrics\":{\"r\":0.5}}");
	assert_true(json_is_true(json_object_get(res, "vetoed")));
	json_decref(res);
	hx_rubric_free(r);
}

static void test_missing_answers_and_metrics_warn(void **st)
{
	(void)st;
	hx_rubric *r = load();
	json_t *res = score(r, "{}");
	json_t *w = json_object_get(res, "warnings");
	char *t = json_dumps(w, 0);
	assert_non_null(strstr(t, "第1.2项未作答"));
	assert_non_null(strstr(t, "缺少指标率（r）"));
	free(t);
	assert_true(json_number_value(json_object_get(res, "total")) == 0);
	json_decref(res);
	hx_rubric_free(r);
}

static int facts_error(const hx_rubric *r, const char *facts, const char *want)
{
	json_t *j = json_loads(facts, 0, NULL);
	hx_facts *f = NULL;
	hx_err e = {0};
	int rc = hx_facts_compile(&f, r, j, &e);
	json_decref(j);
	hx_facts_free(f);
	if (rc && !strstr(e.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
	return rc;
}

static void test_bad_facts_are_refused_naming_the_problem(void **st)
{
	(void)st;
	hx_rubric *r = load();
	assert_int_equal(facts_error(r, "{\"answers\":{\"9.9\":true}}", "no criterion \"9.9\""), HX_EINVAL);
	assert_int_equal(facts_error(r, "{\"answers\":{\"1.2\":3}}", "outside 0…2.5"), HX_EINVAL);
	assert_int_equal(facts_error(r, "{\"answers\":{\"1.2\":-1}}", "outside"), HX_EINVAL);
	assert_int_equal(facts_error(r, "{\"answers\":{\"1.2\":1.2}}", "half"), HX_EINVAL);
	assert_int_equal(facts_error(r, "{\"metrics\":{\"r\":1.2}}", "outside 0…1"), HX_EINVAL);
	assert_int_equal(facts_error(r, "{\"metrics\":{\"r\":\"1\"}}", "must be a number"), HX_EINVAL);
	assert_int_equal(facts_error(r, "{\"metrics\":{\"co\":1}}", "true or false"), HX_EINVAL);
	assert_int_equal(facts_error(r, "{\"metrics\":{\"n\":1.5}}", "whole number"), HX_EINVAL);
	assert_int_equal(facts_error(r, "{\"answer\":{}}", "unknown key"), HX_EINVAL);
	assert_int_equal(facts_error(r, "[]", "object"), HX_EINVAL);
	hx_rubric_free(r);
}

static int load_error(const char *text, const char *want)
{
	hx_rubric *r = NULL;
	hx_err e = {0};
	int rc = hx_rubric_parse(&r, text, strlen(text), "bad.json", &e);
	hx_rubric_free(r);
	if (!rc)
		fail_msg("accepted a bad rubric (wanted: %s)", want);
	if (!strstr(e.msg, want) || !strstr(e.msg, "bad.json"))
		fail_msg("message \"%s\" lacks \"%s\" or the file name", e.msg, want);
	return rc;
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	assert_non_null(p);
	char *out = malloc(strlen(s) + strlen(to) + 1);
	memcpy(out, s, (size_t)(p - s));
	strcpy(out + (p - s), to);
	strcat(out, p + strlen(from));
	return out;
}

static void test_malformed_rubrics_are_refused_with_place_and_reason(void **st)
{
	(void)st;
	char *t;
	t = replace(RUBRIC, "{\"id\":\"1.2\"", "{\"id\":\"1.1\"");
	load_error(t, "duplicate id \"1.1\"");
	free(t);
	t = replace(RUBRIC, "\"total\":30", "\"total\":40");
	load_error(t, "not the stated total 40");
	free(t);
	t = replace(RUBRIC, "\"max\":2.5},", "\"max\":3},");
	load_error(t, "items[0]");
	free(t);
	t = replace(RUBRIC, "\"op\":\">=\",\"value\":1}", "\"op\":\"=>\",\"value\":1}");
	load_error(t, "items[0].criteria[0].rule");
	free(t);
	t = replace(RUBRIC, "\"metric\":\"r\",\"op\":\">=\",\"value\":1}", "\"metric\":\"zz\",\"op\":\">=\",\"value\":1}");
	load_error(t, "not declared");
	free(t);
	t = replace(RUBRIC, "\"kind\":\"ladder\"", "\"kind\":\"tiers\"");
	load_error(t, "unknown rule kind");
	free(t);
	load_error("{\"id\":", "line");
	t = replace(RUBRIC, "\"points_per_step\":1", "\"points_per_step\":0.3");
	load_error(t, "halves");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_marks_when_everything_holds),
		cmocka_unit_test(test_rate_098_is_exactly_two_points_below),
		cmocka_unit_test(test_half_points_stay_exact),
		cmocka_unit_test(test_zero_item_rules_zero_the_whole_item),
		cmocka_unit_test(test_ladder_and_band),
		cmocka_unit_test(test_deduct_applies_only_under_its_condition_and_not_below_zero),
		cmocka_unit_test(test_veto_leaves_total_as_scored),
		cmocka_unit_test(test_missing_answers_and_metrics_warn),
		cmocka_unit_test(test_bad_facts_are_refused_naming_the_problem),
		cmocka_unit_test(test_malformed_rubrics_are_refused_with_place_and_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
