/* Unit tests of accounts (src/account): the password policy, Argon2id
 * hashing, roles and their permissions, creating users (scope fields,
 * duplicates, one-time passwords), and logging in: sessions, expiry,
 * wrong passwords and throttling.
 *
 * One SQLite store in a temp folder serves the whole program (areas and
 * organizations loaded once). Each case runs in its own write transaction
 * and rolls it back, so users and recorded login failures of one case never
 * reach the next. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account/account.h"
#include "core/arena.h"
#include "core/crypto.h"
#include "registry/registry.h"
#include "store/store.h"

typedef struct fx {
	char dir[64];
	char data_dir[PATH_MAX];
	hx_store *store;
	hx_db *db;
	hx_keys keys;
	hx_principal cli;
	hx_ctx c;
	hx_err err;
	long long fuyun;
} fx;

#define OK(e)                                                                                  \
	do {                                                                                   \
		int rc_ = (e);                                                                 \
		if (rc_)                                                                       \
			fail_msg("%s -> %d [%s] %s (field %s)", #e, rc_, f->err.key, f->err.msg, \
				 f->err.field);                                                \
	} while (0)

#define GOOD_PASSWORD "Yunhe-Labor-2024"

/* ---- fixture ---- */

static int group_setup(void **state)
{
	if (sodium_init() < 0)
		fail_msg("sodium_init failed");
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	const char *root = getenv("HEXIE_SOURCE_ROOT");
	if (!root)
		fail_msg("HEXIE_SOURCE_ROOT is not set (run through meson test)");
	snprintf(f->data_dir, sizeof f->data_dir, "%s/data", root);
	snprintf(f->dir, sizeof f->dir, "/tmp/hx-account-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char url[128], areas[PATH_MAX + 32];
	snprintf(url, sizeof url, "sqlite:%s/hexie.db", f->dir);
	snprintf(areas, sizeof areas, "%s/areas/yunhe.json", f->data_dir);
	OK(hx_store_open(&f->store, url, 2, &f->err));
	OK(hx_store_migrate(f->store, NULL, &f->err));
	OK(hx_db_get(&f->db, f->store, &f->err));
	memset(f->keys.pii, 0x11, sizeof f->keys.pii);
	memset(f->keys.pii_index, 0x22, sizeof f->keys.pii_index);
	memset(f->keys.misc, 0x33, sizeof f->keys.misc);
	hx_account_cli_principal(&f->cli);
	f->c = (hx_ctx){.db = f->db, .arena = hx_arena_new(), .keys = &f->keys, .me = &f->cli,
			.ip = "test", .data_dir = f->data_dir};
	OK(hx_db_begin_write(f->db, &f->err));
	OK(hx_registry_areas_load(&f->c, areas, NULL, &f->err));
	OK(hx_account_org_seed(&f->c, &f->err));
	hx_param p[] = {hx_p_text("浮云街道")};
	OK(hx_db_int(f->db, &f->fuyun, "SELECT id FROM areas WHERE name = ?", p, 1, &f->err));
	OK(hx_db_commit(f->db, &f->err));
	hx_arena_free(f->c.arena);
	f->c.arena = NULL;
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	fx *f = *state;
	if (!f)
		return 0;
	if (f->db) {
		if (hx_db_in_tx(f->db))
			hx_db_rollback(f->db);
		hx_db_put(f->db);
	}
	hx_store_close(f->store);
	DIR *d = opendir(f->dir);
	if (d) {
		struct dirent *e;
		char path[PATH_MAX];
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int setup(void **state)
{
	fx *f = *state;
	f->c.arena = hx_arena_new();
	f->c.me = &f->cli;
	hx_err_clear(&f->err);
	OK(hx_db_begin_write(f->db, &f->err));
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	if (hx_db_in_tx(f->db))
		hx_db_rollback(f->db);
	hx_arena_free(f->c.arena);
	f->c.arena = NULL;
	f->c.me = &f->cli;
	return 0;
}

/* Creates a user as the command line; password NULL lets the module make
 * one. Returns the module's answer (caller decrefs). */
static json_t *make_user(fx *f, const char *username, const char *password, const char *role)
{
	json_t *body = json_pack("{s:s,s:s,s:s}", "username", username, "display_name", "测试用户", "role", role);
	if (password)
		json_object_set_new(body, "password", json_string(password));
	json_t *out = NULL;
	OK(hx_account_user_create(&out, &f->c, body, &f->err));
	json_decref(body);
	assert_non_null(out);
	return out;
}

/* Logs in, then puts the fixture's principal back (login points ctx->me at
 * the new principal). */
static int login(fx *f, hx_principal *p, char token[65], const char *username, const char *password)
{
	hx_err_clear(&f->err);
	int rc = hx_account_login(p, token, &f->c, username, password, &f->err);
	f->c.me = &f->cli;
	return rc;
}

/* ---- password policy ---- */

static void test_password_policy_rejects_too_short(void **state)
{
	(void)state;
	hx_err e = {0};
	assert_int_equal(hx_account_password_policy("Ab1-xyz", "zhangsan", "password", &e), HX_EINVAL);
	assert_string_equal(e.field, "password");
	assert_string_equal(e.key, "weak_password");
	assert_int_equal(hx_account_password_policy(NULL, "zhangsan", "new_password", &e), HX_EINVAL);
	assert_string_equal(e.field, "new_password");
}

static void test_password_policy_rejects_username(void **state)
{
	(void)state;
	hx_err e = {0};
	assert_int_equal(hx_account_password_policy("ZhangSan2024", "zhangsan2024", "password", &e), HX_EINVAL);
	assert_string_equal(e.field, "password");
	assert_non_null(strstr(e.msg, "用户名"));
}

static void test_password_policy_rejects_single_character_class(void **state)
{
	(void)state;
	hx_err e = {0};
	assert_int_equal(hx_account_password_policy("abcdefghijkl", "zhangsan", "password", &e), HX_EINVAL);
	assert_string_equal(e.field, "password");
	assert_int_equal(hx_account_password_policy("20240101123456", "zhangsan", "password", &e), HX_EINVAL);
	assert_string_equal(e.field, "password");
}

static void test_password_policy_accepts_good_password(void **state)
{
	(void)state;
	hx_err e = {0};
	assert_int_equal(hx_account_password_policy(GOOD_PASSWORD, "zhangsan", "password", &e), 0);
	assert_int_equal(hx_account_password_policy("yunhe2024labor", "zhangsan", "password", &e), 0);
}

/* ---- password hashing ---- */

static void test_password_hash_verifies_same_password(void **state)
{
	(void)state;
	char h[128];
	hx_err e = {0};
	assert_int_equal(hx_account_password_hash(h, GOOD_PASSWORD, &e), 0);
	assert_non_null(strstr(h, "$argon2id$"));
	assert_int_equal(hx_account_password_verify(h, GOOD_PASSWORD), 1);
}

static void test_password_hash_rejects_wrong_password(void **state)
{
	(void)state;
	char h[128];
	hx_err e = {0};
	assert_int_equal(hx_account_password_hash(h, GOOD_PASSWORD, &e), 0);
	assert_int_equal(hx_account_password_verify(h, "Yunhe-Labor-2025"), 0);
	assert_int_equal(hx_account_password_verify(h, ""), 0);
}

static void test_password_hashes_are_salted(void **state)
{
	(void)state;
	char h1[128], h2[128];
	hx_err e = {0};
	assert_int_equal(hx_account_password_hash(h1, GOOD_PASSWORD, &e), 0);
	assert_int_equal(hx_account_password_hash(h2, GOOD_PASSWORD, &e), 0);
	assert_string_not_equal(h1, h2);
	assert_int_equal(hx_account_password_verify(h2, GOOD_PASSWORD), 1);
}

/* ---- roles ---- */

static void test_every_role_has_a_name(void **state)
{
	(void)state;
	size_t n = 0;
	const hx_role *r = hx_account_roles(&n);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(r[i].key);
		assert_non_null(r[i].name);
		assert_true(strlen(r[i].name) > 0);
		assert_ptr_equal(hx_account_role(r[i].key), &r[i]);
	}
}

static void test_enterprise_hr_may_read_pii(void **state)
{
	(void)state;
	const hx_role *r = hx_account_role("enterprise_hr");
	assert_non_null(r);
	assert_true((r->perms & HX_PERM_PII_READ) != 0);
	assert_int_equal(r->scope_kind, HX_SCOPE_ENTERPRISE);
}

static void test_admin_may_not_read_pii(void **state)
{
	(void)state;
	const hx_role *r = hx_account_role("admin");
	assert_non_null(r);
	assert_int_equal(r->perms & HX_PERM_PII_READ, 0);
	assert_true((r->perms & HX_PERM_USERS_MANAGE) != 0);
}

static void test_unknown_role_is_null(void **state)
{
	(void)state;
	assert_null(hx_account_role("nope"));
	assert_null(hx_account_role(NULL));
}

/* ---- users ---- */

static void test_user_create_area_officer_requires_area(void **state)
{
	fx *f = *state;
	json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "username", "fuyun_officer", "display_name", "浮云专管员",
				 "role", "area_officer", "password", GOOD_PASSWORD);
	json_t *out = NULL;
	assert_int_equal(hx_account_user_create(&out, &f->c, body, &f->err), HX_EINVAL);
	assert_string_equal(f->err.field, "area_id");

	json_object_set_new(body, "area_id", json_integer(f->fuyun));
	OK(hx_account_user_create(&out, &f->c, body, &f->err));
	json_t *scope = json_object_get(out, "scope");
	assert_string_equal(json_string_value(json_object_get(scope, "kind")), "area");
	assert_int_equal(json_integer_value(json_object_get(scope, "area_id")), f->fuyun);
	json_decref(out);
	json_decref(body);
}

static void test_user_create_refuses_duplicate_username(void **state)
{
	fx *f = *state;
	json_decref(make_user(f, "lisi", GOOD_PASSWORD, "reviewer"));
	json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "username", "lisi", "display_name", "另一个李四", "role",
				 "reviewer", "password", GOOD_PASSWORD);
	json_t *out = NULL;
	assert_int_equal(hx_account_user_create(&out, &f->c, body, &f->err), HX_ECONFLICT);
	assert_string_equal(f->err.field, "username");
	json_decref(body);
}

static void test_user_create_without_password_returns_initial_password(void **state)
{
	fx *f = *state;
	json_t *u = make_user(f, "wangwu", NULL, "reviewer");
	const char *pw = json_string_value(json_object_get(u, "initial_password"));
	assert_non_null(pw);
	assert_int_equal(strlen(pw), 16);
	assert_true(json_is_true(json_object_get(u, "must_change_password")));
	char initial[17];
	snprintf(initial, sizeof initial, "%s", pw);
	json_decref(u);

	/* the one-time password logs in, but allows nothing until changed */
	hx_principal p;
	char token[65];
	assert_int_equal(login(f, &p, token, "wangwu", initial), 0);
	assert_int_equal(p.must_change_password, 1);
	assert_int_equal(p.perms, 0);
}

static void test_user_create_with_password_returns_no_initial_password(void **state)
{
	fx *f = *state;
	json_t *u = make_user(f, "zhaoliu", GOOD_PASSWORD, "reviewer");
	assert_null(json_object_get(u, "initial_password"));
	assert_false(json_is_true(json_object_get(u, "must_change_password")));
	json_decref(u);
}

/* ---- login and sessions ---- */

static void test_login_gives_principal_and_hex_token(void **state)
{
	fx *f = *state;
	json_t *u = make_user(f, "zhangsan", GOOD_PASSWORD, "county_officer");
	long long uid = json_integer_value(json_object_get(u, "id"));
	json_decref(u);
	hx_principal p;
	char token[65];
	OK(login(f, &p, token, "zhangsan", GOOD_PASSWORD));
	assert_int_equal(p.user_id, uid);
	assert_string_equal(p.username, "zhangsan");
	assert_string_equal(p.role, "county_officer");
	assert_int_equal(p.scope.kind, HX_SCOPE_COUNTY);
	assert_int_equal(p.perms, hx_account_role("county_officer")->perms);
	assert_true(p.session_id > 0);
	assert_int_equal(strlen(token), 64);
	for (int i = 0; i < 64; i++)
		assert_true(isxdigit((unsigned char)token[i]));
	assert_int_equal(strlen(p.csrf), 64);
}

static void test_session_check_returns_logged_in_user(void **state)
{
	fx *f = *state;
	json_decref(make_user(f, "zhangsan", GOOD_PASSWORD, "reviewer"));
	hx_principal p, q;
	char token[65];
	OK(login(f, &p, token, "zhangsan", GOOD_PASSWORD));
	OK(hx_account_session_check(&q, &f->c, token, 3600, 86400, &f->err));
	assert_int_equal(q.user_id, p.user_id);
	assert_int_equal(q.session_id, p.session_id);
	assert_string_equal(q.csrf, p.csrf);

	/* an unknown token is no session */
	char other[65];
	memcpy(other, token, sizeof other);
	other[0] = other[0] == 'a' ? 'b' : 'a';
	assert_int_equal(hx_account_session_check(&q, &f->c, other, 3600, 86400, &f->err), HX_EAUTH);
}

static void test_session_check_refuses_expired_session(void **state)
{
	fx *f = *state;
	json_decref(make_user(f, "zhangsan", GOOD_PASSWORD, "reviewer"));
	hx_principal p, q;
	char token[65];
	OK(login(f, &p, token, "zhangsan", GOOD_PASSWORD));
	/* idle -1: the session was seen longer ago than allowed */
	assert_int_equal(hx_account_session_check(&q, &f->c, token, -1, 86400, &f->err), HX_EAUTH);
	/* max -1: the session is older than its lifetime */
	assert_int_equal(hx_account_session_check(&q, &f->c, token, 3600, -1, &f->err), HX_EAUTH);
}

static void test_login_refuses_wrong_password(void **state)
{
	fx *f = *state;
	json_decref(make_user(f, "zhangsan", GOOD_PASSWORD, "reviewer"));
	hx_principal p;
	char token[65];
	assert_int_equal(login(f, &p, token, "zhangsan", "Yunhe-Labor-2025"), HX_EAUTH);
	assert_int_equal(login(f, &p, token, "nobody", GOOD_PASSWORD), HX_EAUTH);
	/* one failure does not lock the account */
	OK(login(f, &p, token, "zhangsan", GOOD_PASSWORD));
}

static void test_login_throttles_after_five_failures(void **state)
{
	fx *f = *state;
	json_decref(make_user(f, "zhangsan", GOOD_PASSWORD, "reviewer"));
	hx_principal p;
	char token[65];
	for (int i = 0; i < 5; i++)
		assert_int_equal(login(f, &p, token, "zhangsan", "Wrong-password-1"), HX_EAUTH);
	assert_int_equal(login(f, &p, token, "zhangsan", "Wrong-password-1"), HX_ETHROTTLE);
	/* even the right password waits out the window */
	assert_int_equal(login(f, &p, token, "zhangsan", GOOD_PASSWORD), HX_ETHROTTLE);
	/* the name is throttled regardless of letter case */
	assert_int_equal(login(f, &p, token, "ZhangSan", GOOD_PASSWORD), HX_ETHROTTLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_policy_rejects_too_short),
		cmocka_unit_test(test_password_policy_rejects_username),
		cmocka_unit_test(test_password_policy_rejects_single_character_class),
		cmocka_unit_test(test_password_policy_accepts_good_password),
		cmocka_unit_test(test_password_hash_verifies_same_password),
		cmocka_unit_test(test_password_hash_rejects_wrong_password),
		cmocka_unit_test(test_password_hashes_are_salted),
		cmocka_unit_test(test_every_role_has_a_name),
		cmocka_unit_test(test_enterprise_hr_may_read_pii),
		cmocka_unit_test(test_admin_may_not_read_pii),
		cmocka_unit_test(test_unknown_role_is_null),
		cmocka_unit_test_setup_teardown(test_user_create_area_officer_requires_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_create_refuses_duplicate_username, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_create_without_password_returns_initial_password, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_user_create_with_password_returns_no_initial_password, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_login_gives_principal_and_hex_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_check_returns_logged_in_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_check_refuses_expired_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_refuses_wrong_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_throttles_after_five_failures, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
