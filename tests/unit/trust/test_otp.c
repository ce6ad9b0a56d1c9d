/* Unit tests of the one-time codes (验证码, src/trust/otp.c): a code verifies
 * once, wrong tries lock it, it expires after five minutes, resends are
 * throttled and replace the old code, the outbox gets the message while the
 * code table holds only a keyed hash, and a custom channel gets the text.
 *
 * One SQLite store in a temp folder serves the program; each case runs in a
 * write transaction rolled back at its end, with its own subject. The clock
 * is a variable the cases move, so nothing sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "core/timeutil.h"
#include "store/store.h"
#include "trust/channels.h"
#include "trust/otp.h"

typedef struct fx {
	char dir[64];
	hx_store *store;
	hx_db *db;
	hx_keys keys;
	hx_ctx c;
	hx_err err;
} fx;

#define OK(e)                                                                                  \
	do {                                                                                   \
		int rc_ = (e);                                                                 \
		if (rc_)                                                                       \
			fail_msg("%s -> %d [%s] %s (field %s)", #e, rc_, f->err.key, f->err.msg, \
				 f->err.field);                                                \
	} while (0)

#define FAILS(e, code_, key_)                                                                   \
	do {                                                                                   \
		int rc_ = (e);                                                                 \
		assert_int_equal(rc_, (code_));                                                \
		assert_string_equal(f->err.key, (key_));                                       \
	} while (0)

#define TEMPLATE "【和谐劳动】您的验证码是%s，5分钟内有效，请勿告诉他人。"
#define PHONE "13800138000"

static long long g_clock = 1700000000;

static long long fake_now(void)
{
	return g_clock;
}

/* ---- helpers ---- */

/* The first run of six digits in s, into out. */
static void code_in(char out[7], const char *s)
{
	for (const char *p = s; *p; p++)
		if (strspn(p, "0123456789") >= 6) {
			memcpy(out, p, 6);
			out[6] = '\0';
			return;
		}
	fail_msg("no code in %s", s);
}

/* The code in the newest outbox message to phone (stored sealed: opened
 * with the fixture's keys). */
static void last_code(fx *f, char out[7])
{
	hx_rows *r;
	char *text = NULL;
	hx_param p[] = {hx_p_text(PHONE)};
	OK(hx_db_query(f->db, f->c.arena, &r,
		       "SELECT recipient, text, sealed FROM outbox WHERE recipient = ? ORDER BY id DESC LIMIT 1", p, 1,
		       &f->err));
	assert_int_equal(r->nrows, 1);
	OK(hx_message_text_open(&text, &f->keys, hx_rows_get(r, 0, "recipient"), hx_rows_get(r, 0, "text"),
				(int)hx_rows_int(r, 0, "sealed"), &f->err));
	code_in(out, text);
	free(text);
}

static void send_code(fx *f, const char *purpose, const char *subject, char out[7])
{
	OK(hx_otp_send(&f->c, purpose, subject, PHONE, TEMPLATE, &f->err));
	last_code(f, out);
}

/* A six-digit code other than code. */
static void other_code(char out[7], const char *code)
{
	memcpy(out, code, 7);
	out[5] = (char)('0' + (code[5] - '0' + 1) % 10);
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	char url[128];
	snprintf(f->dir, sizeof f->dir, "/tmp/hx-otp-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(url, sizeof url, "sqlite:%s/hexie.db", f->dir);
	OK(hx_store_open(&f->store, url, 1, &f->err));
	OK(hx_store_migrate(f->store, NULL, &f->err));
	OK(hx_db_get(&f->db, f->store, &f->err));
	memset(f->keys.pii, 0x11, sizeof f->keys.pii);
	memset(f->keys.pii_index, 0x22, sizeof f->keys.pii_index);
	memset(f->keys.misc, 0x33, sizeof f->keys.misc);
	f->c = (hx_ctx){.db = f->db, .keys = &f->keys, .ip = "cli"};
	hx_otp_set_clock(fake_now);
	hx_channels_set_demo(1); /* no SMS gateway here: codes wait in the outbox */
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	fx *f = *state;
	char path[128];
	hx_otp_set_clock(NULL);
	hx_db_put(f->db);
	hx_store_close(f->store);
	static const char *const files[] = {"hexie.db", "hexie.db-wal", "hexie.db-shm", "hexie.db-journal"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", f->dir, files[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int setup(void **state)
{
	fx *f = *state;
	f->c.arena = hx_arena_new();
	hx_err_clear(&f->err);
	hx_otp_set_channel(NULL);
	g_clock += 100000; /* far from every earlier case's codes */
	OK(hx_db_begin_write(f->db, &f->err));
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	hx_otp_set_channel(NULL);
	if (hx_db_in_tx(f->db))
		hx_db_rollback(f->db);
	hx_arena_free(f->c.arena);
	f->c.arena = NULL;
	return 0;
}

/* ---- cases ---- */

static void test_otp_right_code_verifies_once(void **state)
{
	fx *f = *state;
	char code[7];
	send_code(f, "identity", "contract:12:worker", code);
	g_clock += 30;
	OK(hx_otp_verify(&f->c, "identity", "contract:12:worker", code, &f->err));
	FAILS(hx_otp_verify(&f->c, "identity", "contract:12:worker", code, &f->err), HX_EINVAL, "code_used");
}

static void test_otp_code_is_bound_to_purpose_and_subject(void **state)
{
	fx *f = *state;
	char code[7];
	send_code(f, "intent", "contract:13:worker", code);
	FAILS(hx_otp_verify(&f->c, "identity", "contract:13:worker", code, &f->err), HX_ENOTFOUND, "no_code");
	FAILS(hx_otp_verify(&f->c, "intent", "contract:14:worker", code, &f->err), HX_ENOTFOUND, "no_code");
	OK(hx_otp_verify(&f->c, "intent", "contract:13:worker", code, &f->err));
}

static void test_otp_five_wrong_tries_lock_the_code(void **state)
{
	fx *f = *state;
	char code[7], wrong[7];
	send_code(f, "intent", "contract:20:worker", code);
	other_code(wrong, code);
	for (int i = 1; i < 5; i++) {
		char left[8];
		FAILS(hx_otp_verify(&f->c, "intent", "contract:20:worker", wrong, &f->err), HX_EINVAL, "wrong_code");
		snprintf(left, sizeof left, "%d次", 5 - i);
		assert_non_null(strstr(f->err.msg, left));
	}
	FAILS(hx_otp_verify(&f->c, "intent", "contract:20:worker", wrong, &f->err), HX_EPERM, "code_locked");
	FAILS(hx_otp_verify(&f->c, "intent", "contract:20:worker", code, &f->err), HX_EPERM, "code_locked");
}

static void test_otp_malformed_code_counts_as_wrong_try(void **state)
{
	fx *f = *state;
	char code[7];
	send_code(f, "intent", "contract:21:worker", code);
	FAILS(hx_otp_verify(&f->c, "intent", "contract:21:worker", "12a45", &f->err), HX_EINVAL, "wrong_code");
	FAILS(hx_otp_verify(&f->c, "intent", "contract:21:worker", "", &f->err), HX_EINVAL, "wrong_code");
	assert_non_null(strstr(f->err.msg, "3次"));
	OK(hx_otp_verify(&f->c, "intent", "contract:21:worker", code, &f->err));
}

static void test_otp_expires_after_five_minutes(void **state)
{
	fx *f = *state;
	char code[7];
	send_code(f, "identity", "contract:30:worker", code);
	g_clock += 300;
	FAILS(hx_otp_verify(&f->c, "identity", "contract:30:worker", code, &f->err), HX_EINVAL, "code_expired");

	send_code(f, "identity", "contract:31:worker", code);
	g_clock += 299;
	OK(hx_otp_verify(&f->c, "identity", "contract:31:worker", code, &f->err));
}

static void test_otp_resend_throttled_then_replaces_old_code(void **state)
{
	fx *f = *state;
	char first[7], second[7];
	send_code(f, "identity", "contract:40:worker", first);
	g_clock += 59;
	FAILS(hx_otp_send(&f->c, "identity", "contract:40:worker", PHONE, TEMPLATE, &f->err), HX_ETHROTTLE,
	      "resend_too_soon");
	assert_non_null(strstr(f->err.msg, "1秒"));
	/* another subject is not throttled by this one */
	char unrelated[7];
	send_code(f, "identity", "contract:41:worker", unrelated);

	g_clock += 1;
	send_code(f, "identity", "contract:40:worker", second);
	if (strcmp(first, second) != 0)
		FAILS(hx_otp_verify(&f->c, "identity", "contract:40:worker", first, &f->err), HX_EINVAL,
		      "wrong_code");
	OK(hx_otp_verify(&f->c, "identity", "contract:40:worker", second, &f->err));
}

static void test_otp_resend_after_lock_gives_fresh_tries(void **state)
{
	fx *f = *state;
	char code[7], wrong[7];
	send_code(f, "intent", "contract:42:worker", code);
	other_code(wrong, code);
	for (int i = 0; i < 5; i++)
		assert_int_not_equal(hx_otp_verify(&f->c, "intent", "contract:42:worker", wrong, &f->err), 0);
	assert_string_equal(f->err.key, "code_locked");
	g_clock += 60;
	send_code(f, "intent", "contract:42:worker", code);
	OK(hx_otp_verify(&f->c, "intent", "contract:42:worker", code, &f->err));
}

static void test_otp_outbox_has_code_table_has_only_hash(void **state)
{
	fx *f = *state;
	char code[7];
	send_code(f, "identity", "contract:50:worker", code);

	json_t *out = NULL;
	OK(hx_otp_outbox_list(&out, &f->c, 10, &f->err));
	json_t *first = json_array_get(json_object_get(out, "items"), 0);
	assert_non_null(first);
	assert_string_equal(json_string_value(json_object_get(first, "channel")), "outbox");
	assert_string_equal(json_string_value(json_object_get(first, "recipient")), PHONE);
	const char *text = json_string_value(json_object_get(first, "text"));
	assert_non_null(strstr(text, code));
	assert_non_null(strstr(text, "【和谐劳动】您的验证码是"));
	assert_non_null(strstr(text, "，5分钟内有效，请勿告诉他人。"));
	char at[21];
	hx_iso_from_unix(at, g_clock);
	assert_string_equal(json_string_value(json_object_get(first, "created_at")), at);
	json_decref(out);

	hx_rows *r;
	hx_param p[] = {hx_p_text("contract:50:worker")};
	OK(hx_db_query(f->db, f->c.arena, &r, "SELECT * FROM otp_codes WHERE subject = ?", p, 1, &f->err));
	assert_int_equal(r->nrows, 1);
	for (int col = 0; col < r->ncols; col++) {
		const char *v = hx_rows_cell(r, 0, col);
		if (v && strstr(v, code))
			fail_msg("otp_codes.%s holds the code: %s", r->names[col], v);
	}
	/* what is stored is the keyed hash of purpose|subject|code */
	char want[65], msg[64];
	int n = snprintf(msg, sizeof msg, "identity|contract:50:worker|%s", code);
	hx_hmac_hex(want, f->keys.misc, msg, (size_t)n);
	assert_string_equal(hx_rows_get(r, 0, "code_hash"), want);
}

typedef struct captured {
	int calls;
	char phone[32];
	char text[512];
} captured;

static int capture_send(void *ctx, hx_ctx *c, const char *phone, const char *text, hx_err *err)
{
	(void)c;
	(void)err;
	captured *k = ctx;
	k->calls++;
	snprintf(k->phone, sizeof k->phone, "%s", phone);
	snprintf(k->text, sizeof k->text, "%s", text);
	return 0;
}

static int refuse_send(void *ctx, hx_ctx *c, const char *phone, const char *text, hx_err *err)
{
	(void)ctx;
	(void)c;
	(void)phone;
	(void)text;
	return hx_err_set(err, HX_EIO, "sms_failed", "", "短信发送失败");
}

static void test_otp_custom_channel_receives_text(void **state)
{
	fx *f = *state;
	long long before = 0, after = 0;
	OK(hx_db_int(f->db, &before, "SELECT count(*) FROM outbox", NULL, 0, &f->err));

	captured k = {0};
	hx_otp_set_channel(&(hx_otp_channel){capture_send, &k});
	OK(hx_otp_send(&f->c, "intent", "contract:60:employer", "+8613900139000", "code %s; 100% sure %d %n",
		       &f->err));
	assert_int_equal(k.calls, 1);
	assert_string_equal(k.phone, "+8613900139000");
	char code[7];
	code_in(code, k.text);
	char want[64];
	snprintf(want, sizeof want, "code %s; 100%% sure %%d %%n", code);
	assert_string_equal(k.text, want);
	OK(hx_db_int(f->db, &after, "SELECT count(*) FROM outbox", NULL, 0, &f->err));
	assert_int_equal(after, before);
	OK(hx_otp_verify(&f->c, "intent", "contract:60:employer", code, &f->err));

	hx_otp_set_channel(&(hx_otp_channel){refuse_send, NULL});
	g_clock += 60;
	FAILS(hx_otp_send(&f->c, "intent", "contract:60:employer", PHONE, TEMPLATE, &f->err), HX_EIO,
	      "sms_failed");
}

/* The outbox row holds the text sealed: neither the code nor the words of
 * the message are in the table. */
static void test_otp_outbox_text_is_sealed(void **state)
{
	fx *f = *state;
	char code[7];
	g_clock += 60;
	send_code(f, "identity", "contract:80:worker", code);
	hx_rows *r;
	hx_param p[] = {hx_p_text(PHONE)};
	OK(hx_db_query(f->db, f->c.arena, &r, "SELECT text, sealed FROM outbox WHERE recipient = ? ORDER BY id DESC LIMIT 1",
		       p, 1, &f->err));
	assert_int_equal(hx_rows_int(r, 0, "sealed"), 1);
	assert_null(strstr(hx_rows_get(r, 0, "text"), code));
	assert_null(strstr(hx_rows_get(r, 0, "text"), "验证码"));
	/* sealed for its recipient: it does not open for another */
	char *text = NULL;
	hx_err e = {0};
	assert_int_not_equal(hx_message_text_open(&text, &f->keys, "+8613900139000", hx_rows_get(r, 0, "text"), 1, &e), 0);
	assert_null(text);
}

/* Without an SMS gateway and outside demo mode nobody could receive a code:
 * the default channel refuses, and nothing is written. */
static void test_otp_without_gateway_or_demo_refuses_to_send(void **state)
{
	fx *f = *state;
	long long before = 0, after = 0;
	OK(hx_db_int(f->db, &before, "SELECT count(*) FROM outbox", NULL, 0, &f->err));
	hx_channels_set_demo(0);
	g_clock += 60;
	int rc = hx_otp_send(&f->c, "identity", "contract:90:worker", PHONE, TEMPLATE, &f->err);
	hx_channels_set_demo(1);
	assert_int_equal(rc, HX_ECONFLICT);
	assert_string_equal(f->err.key, "sms_unavailable");
	assert_non_null(strstr(f->err.msg, "平台未配置短信通道"));
	OK(hx_db_int(f->db, &after, "SELECT count(*) FROM outbox", NULL, 0, &f->err));
	assert_int_equal(after, before);
}

static void test_otp_rejects_bad_input(void **state)
{
	fx *f = *state;
	FAILS(hx_otp_verify(&f->c, "identity", "contract:70:worker", "123456", &f->err), HX_ENOTFOUND,
	      "no_code");
	FAILS(hx_otp_send(&f->c, "identity", "contract:70:worker", PHONE, "no placeholder", &f->err), HX_EINVAL,
	      "invalid_template");
	FAILS(hx_otp_send(&f->c, "identity", "contract:70:worker", PHONE, "%s and %s", &f->err), HX_EINVAL,
	      "invalid_template");
	FAILS(hx_otp_send(&f->c, "identity", "contract:70:worker", "138-0013", TEMPLATE, &f->err), HX_EINVAL,
	      "invalid_phone");
	FAILS(hx_otp_send(&f->c, "Identity", "contract:70:worker", PHONE, TEMPLATE, &f->err), HX_EINVAL,
	      "invalid_purpose");
	FAILS(hx_otp_send(&f->c, "identity", "a|b", PHONE, TEMPLATE, &f->err), HX_EINVAL, "invalid_subject");
	FAILS(hx_otp_send(&f->c, "identity", "", PHONE, TEMPLATE, &f->err), HX_EINVAL, "invalid_subject");
	long long n = -1;
	OK(hx_db_int(f->db, &n, "SELECT count(*) FROM otp_codes WHERE subject = 'contract:70:worker'", NULL, 0,
		     &f->err));
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_otp_right_code_verifies_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_code_is_bound_to_purpose_and_subject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_five_wrong_tries_lock_the_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_malformed_code_counts_as_wrong_try, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_expires_after_five_minutes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_resend_throttled_then_replaces_old_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_resend_after_lock_gives_fresh_tries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_outbox_has_code_table_has_only_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_custom_channel_receives_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_rejects_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_outbox_text_is_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_otp_without_gateway_or_demo_refuses_to_send, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
