/* Notifications: writing and reading the messages of the caller. */
#include "notify.h"

#include "../account/account.h"
#include "../core/timeutil.h"
#include "../http/http.h"
#include "../store/store.h"

static int put(hx_ctx *c, long long org, long long ent, long long user, const char *text, const char *link,
	       hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {org ? hx_p_int(org) : hx_p_null(), ent ? hx_p_int(ent) : hx_p_null(),
			user ? hx_p_int(user) : hx_p_null(), hx_p_text(text), hx_p_text(link), hx_p_text(now)};
	return hx_db_exec(c->db,
			  "INSERT INTO notifications (org_id, enterprise_id, user_id, text, link, created_at)"
			  " VALUES (?, ?, ?, ?, ?, ?)",
			  p, 6, NULL, err);
}

int hx_notify_org(hx_ctx *c, long long org_id, const char *text, const char *link, hx_err *err)
{
	return put(c, org_id, 0, 0, text, link, err);
}

int hx_notify_enterprise(hx_ctx *c, long long enterprise_id, const char *text, const char *link, hx_err *err)
{
	return put(c, 0, enterprise_id, 0, text, link, err);
}

int hx_notify_list(json_t **out, hx_ctx *c, hx_err *err)
{
	const hx_principal *me = c->me;
	long long ent = me->scope.kind == HX_SCOPE_ENTERPRISE ? me->scope.enterprise_id : -1;
	long long org = me->org_id ? me->org_id : -1;
	hx_rows *r;
	hx_param p[] = {hx_p_int(org), hx_p_int(ent), hx_p_int(me->user_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, text, link, created_at FROM notifications"
			     " WHERE org_id = ? OR enterprise_id = ? OR user_id = ? ORDER BY id DESC LIMIT 50",
			     p, 3, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, json_pack("{s:I,s:s,s:s?,s:s,s:b}", "id", (json_int_t)hx_rows_int(r, i, "id"),
						       "text", hx_rows_get(r, i, "text"), "link", hx_rows_get(r, i, "link"),
						       "created_at", hx_rows_get(r, i, "created_at"), "read", 0));
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

static int h_list(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	if (hx_notify_list(&out, &r->ctx, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

void hx_notify_http_register(struct hx_server *s)
{
	static const hx_route routes[] = {
		{"GET", "/api/v1/notifications", h_list, 0, 0},
	};
	hx_server_routes(s, routes, 1);
}
