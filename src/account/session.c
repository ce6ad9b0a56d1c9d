/* Logging in and out: throttled password checks and sessions. A session
 * token is 32 random bytes shown once (in the cookie) and kept only as its
 * SHA-256; its CSRF token is separate and must come back in a header on
 * every state-changing request. Failed logins are counted per account and
 * per address under keyed hashes, so the table names neither. */
#include "account.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../core/arena.h"
#include "../core/crypto.h"
#include "../core/timeutil.h"
#include "../store/store.h"

#define WINDOW (15 * 60)
#define MAX_PER_USER 5
#define MAX_PER_ADDR 20

static void throttle_key(char out[65], const hx_ctx *c, char kind, const char *v)
{
	char buf[300];
	int n = snprintf(buf, sizeof buf, "%c:", kind);
	for (const char *p = v; *p && n < (int)sizeof buf - 1; p++)
		buf[n++] = (char)tolower((unsigned char)*p);
	buf[n] = '\0';
	hx_hmac_hex(out, c->keys->misc, buf, (size_t)n);
}

static int failures(long long *n, hx_ctx *c, const char *key, long long since, hx_err *err)
{
	hx_param p[] = {hx_p_text(key), hx_p_int(since)};
	return hx_db_int(c->db, n, "SELECT count(*) FROM login_failures WHERE key = ? AND at > ?", p, 2, err);
}

int hx_account_login(hx_principal *out, char token[65], hx_ctx *c, const char *username,
		     const char *password, hx_err *err)
{
	long long now = hx_now_unix(), nu = 0, na = 0;
	char ku[65], ka[65];
	int rc;
	throttle_key(ku, c, 'u', username);
	throttle_key(ka, c, 'a', c->ip ? c->ip : "");
	hx_param old[] = {hx_p_int(now - WINDOW)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM login_failures WHERE at <= ?", old, 1, NULL, err)))
		return rc;
	if ((rc = failures(&nu, c, ku, now - WINDOW, err)) || (rc = failures(&na, c, ka, now - WINDOW, err)))
		return rc;
	if (nu >= MAX_PER_USER || na >= MAX_PER_ADDR)
		return hx_err_set(err, HX_ETHROTTLE, "throttled", "",
				  "登录失败次数过多，请15分钟后再试");

	hx_rows *r;
	hx_param p[] = {hx_p_text(username)};
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT id, password_hash, disabled FROM users WHERE username = ?", p, 1, err)))
		return rc;
	int ok = 0;
	if (r->nrows)
		ok = hx_account_password_verify(hx_rows_get(r, 0, "password_hash"), password);
	else
		/* same work for unknown names, so timing does not tell them apart */
		hx_account_password_verify("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
					   "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8",
					   password);
	if (!ok) {
		hx_param f1[] = {hx_p_text(ku), hx_p_int(now)};
		hx_param f2[] = {hx_p_text(ka), hx_p_int(now)};
		if ((rc = hx_db_exec(c->db, "INSERT INTO login_failures (key, at) VALUES (?, ?)", f1, 2, NULL, err)) ||
		    (rc = hx_db_exec(c->db, "INSERT INTO login_failures (key, at) VALUES (?, ?)", f2, 2, NULL, err)))
			return rc;
		hx_audit_write_as(c, r->nrows ? hx_rows_int(r, 0, "id") : 0, username, "login_failed", "user",
				  r->nrows ? hx_rows_int(r, 0, "id") : 0, username, NULL, err);
		return hx_err_set(err, HX_EAUTH, "invalid_credentials", "password", "用户名或密码错误");
	}
	long long uid = hx_rows_int(r, 0, "id");
	if (hx_rows_int(r, 0, "disabled"))
		return hx_err_set(err, HX_EPERM, "disabled", "username", "该账号已停用，请联系管理员");
	hx_param clear[] = {hx_p_text(ku)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM login_failures WHERE key = ?", clear, 1, NULL, err)))
		return rc;
	char csrf[65], th[65], iso[21];
	if (hx_token(token, 32) || hx_token(csrf, 32))
		return hx_err_set(err, HX_EINTERNAL, "random", "", "no randomness");
	hx_sha256_hex(th, token, 64);
	hx_now_iso(iso);
	hx_param s[] = {hx_p_text(th), hx_p_int(uid), hx_p_text(csrf), hx_p_text(c->ip ? c->ip : ""),
			hx_p_int(now), hx_p_int(now)};
	if ((rc = hx_db_exec(c->db,
			     "INSERT INTO sessions (token_hash, user_id, csrf, ip, created_at, seen_at)"
			     " VALUES (?, ?, ?, ?, ?, ?)",
			     s, 6, NULL, err)))
		return rc;
	hx_param l[] = {hx_p_text(iso), hx_p_int(uid)};
	if ((rc = hx_db_exec(c->db, "UPDATE users SET last_login_at = ? WHERE id = ?", l, 2, NULL, err)))
		return rc;
	if ((rc = hx_account_session_check(out, c, token, 1 << 30, 1 << 30, err)))
		return rc;
	c->me = out;
	return hx_audit_write(c, "login", "user", uid, username, NULL, err);
}

int hx_account_session_check(hx_principal *out, hx_ctx *c, const char *token, int idle, int max,
			     hx_err *err)
{
	char th[65];
	hx_sha256_hex(th, token, strlen(token));
	hx_rows *r;
	hx_param p[] = {hx_p_text(th)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT s.id AS sid, s.csrf AS csrf, s.created_at AS s_created, s.seen_at AS seen_at, u.id AS id,"
			     " u.username AS username, u.display_name AS display_name, u.role AS role, u.org_id AS org_id, u.scope_area_id AS scope_area_id,"
			     " u.scope_enterprise_id AS scope_enterprise_id, u.scope_worker_id AS scope_worker_id, u.must_change_password AS must_change_password, u.disabled AS disabled"
			     " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
			     p, 1, err);
	if (rc)
		return rc;
	long long now = hx_now_unix();
	if (r->nrows == 0 || hx_rows_int(r, 0, "disabled") ||
	    now - hx_rows_int(r, 0, "seen_at") > idle || now - hx_rows_int(r, 0, "s_created") > max)
		return hx_err_set(err, HX_EAUTH, "unauthenticated", "", "登录已过期，请重新登录");
	const hx_role *role = hx_account_role(hx_rows_get(r, 0, "role"));
	if (!role)
		return hx_err_set(err, HX_EAUTH, "unauthenticated", "", "账号角色无效，请联系管理员");
	memset(out, 0, sizeof *out);
	out->user_id = hx_rows_int(r, 0, "id");
	out->username = hx_rows_get(r, 0, "username");
	out->display_name = hx_rows_get(r, 0, "display_name");
	out->role = role->key;
	out->perms = role->perms;
	out->org_id = hx_rows_int(r, 0, "org_id");
	out->scope.kind = role->scope_kind;
	out->scope.area_id = hx_rows_int(r, 0, "scope_area_id");
	if (role->area_optional && out->scope.area_id)
		out->scope.kind = HX_SCOPE_AREA;
	out->scope.enterprise_id = hx_rows_int(r, 0, "scope_enterprise_id");
	out->scope.org_id = out->org_id;
	out->scope.worker_id = hx_rows_int(r, 0, "scope_worker_id");
	out->session_id = hx_rows_int(r, 0, "sid");
	out->must_change_password = (int)hx_rows_int(r, 0, "must_change_password");
	snprintf(out->csrf, sizeof out->csrf, "%s", hx_rows_get(r, 0, "csrf"));
	/* A one-time password allows nothing but changing it. */
	if (out->must_change_password)
		out->perms = 0;
	if (now - hx_rows_int(r, 0, "seen_at") > 60 && !hx_db_in_tx(c->db)) {
		hx_param t[] = {hx_p_int(now), hx_p_int(out->session_id)};
		hx_db_exec(c->db, "UPDATE sessions SET seen_at = ? WHERE id = ?", t, 2, NULL, NULL);
	}
	return 0;
}

int hx_account_logout(hx_ctx *c, long long session_id, hx_err *err)
{
	hx_param p[] = {hx_p_int(session_id)};
	int rc = hx_db_exec(c->db, "DELETE FROM sessions WHERE id = ?", p, 1, NULL, err);
	if (rc)
		return rc;
	return hx_audit_write(c, "logout", "user", c->me->user_id, c->me->username, NULL, err);
}

int hx_account_password_change(hx_ctx *c, const char *old_password, const char *new_password,
			       hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(c->me->user_id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT password_hash FROM users WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows || !hx_account_password_verify(hx_rows_cell(r, 0, 0), old_password))
		return hx_err_set(err, HX_EINVAL, "wrong_password", "old_password", "原密码不正确");
	if ((rc = hx_account_password_policy(new_password, c->me->username, "new_password", err)))
		return rc;
	if (strcmp(old_password, new_password) == 0)
		return hx_err_set(err, HX_EINVAL, "same_password", "new_password", "新密码不能与原密码相同");
	char dummy[17];
	return hx_account_user_set_password(c, c->me->user_id, new_password, 0, dummy, err);
}
