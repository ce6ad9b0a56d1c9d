/* The operation log: writing entries, diffs, and searching. */
#include "audit.h"

#include <stdlib.h>
#include <string.h>

#include "../account/account.h"
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../store/store.h"

int hx_audit_write_as(hx_ctx *c, long long actor_id, const char *actor_name, const char *action,
		      const char *object_type, long long object_id, const char *object_label,
		      const json_t *changes, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	char *ch = changes ? json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	hx_param p[] = {
		hx_p_text(now),
		actor_id ? hx_p_int(actor_id) : hx_p_null(),
		hx_p_text(actor_name ? actor_name : ""),
		hx_p_text(c->ip ? c->ip : ""),
		hx_p_text(action),
		hx_p_text(object_type),
		object_id ? hx_p_int(object_id) : hx_p_null(),
		hx_p_text(object_label),
		hx_p_text(ch ? ch : "{}"),
	};
	int rc = hx_db_exec(c->db,
			    "INSERT INTO audit_log (at, actor_id, actor_name, ip, action, object_type,"
			    " object_id, object_label, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			    p, 9, NULL, err);
	free(ch);
	return rc;
}

int hx_audit_write(hx_ctx *c, const char *action, const char *object_type, long long object_id,
		   const char *object_label, const json_t *changes, hx_err *err)
{
	const hx_principal *me = c->me;
	const char *name = "系统";
	if (me)
		name = me->display_name && *me->display_name ? me->display_name : me->username;
	return hx_audit_write_as(c, me ? me->user_id : 0, name, action, object_type, object_id,
				 object_label, changes, err);
}

json_t *hx_audit_diff(const json_t *before, const json_t *after, const char *const *secret)
{
	json_t *d = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)after, k, v) {
		json_t *old = before ? json_object_get(before, k) : NULL;
		if (old && json_equal(old, v))
			continue;
		if (!old && json_is_null(v))
			continue;
		int hide = 0;
		for (const char *const *s = secret; s && *s; s++)
			if (strcmp(*s, k) == 0)
				hide = 1;
		json_t *pair = json_array();
		if (hide) {
			json_array_append_new(pair, json_string("***"));
			json_array_append_new(pair, json_string("***"));
		} else {
			json_array_append(pair, old ? old : json_null());
			json_array_append(pair, v);
		}
		json_object_set_new(d, k, pair);
	}
	return d;
}

static json_t *entry_json(const hx_rows *r, int i)
{
	json_t *e = json_object();
	json_object_set_new(e, "id", json_integer(hx_rows_int(r, i, "id")));
	json_object_set_new(e, "at", json_string(hx_rows_get(r, i, "at")));
	const char *aid = hx_rows_get(r, i, "actor_id");
	json_object_set_new(e, "actor_id", aid ? json_integer(atoll(aid)) : json_null());
	json_object_set_new(e, "actor_name", json_string(hx_rows_get(r, i, "actor_name")));
	json_object_set_new(e, "ip", json_string(hx_rows_get(r, i, "ip")));
	json_object_set_new(e, "action", json_string(hx_rows_get(r, i, "action")));
	json_object_set_new(e, "object_type", json_string(hx_rows_get(r, i, "object_type")));
	const char *oid = hx_rows_get(r, i, "object_id");
	json_object_set_new(e, "object_id", oid ? json_integer(atoll(oid)) : json_null());
	json_object_set_new(e, "object_label", hx_json_str_or_null(hx_rows_get(r, i, "object_label")));
	json_t *ch = json_loads(hx_rows_get(r, i, "changes"), 0, NULL);
	json_object_set_new(e, "changes", ch ? ch : json_object());
	return e;
}

#define AUDIT_COLS "id, at, actor_id, actor_name, ip, action, object_type, object_id, object_label, changes"

int hx_audit_list(json_t **out, hx_ctx *c, const hx_audit_filter *f, long long page,
		  long long page_size, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 4096);
	hx_param p[12];
	int np = 0, rc;
	hx_buf_puts(&w, " WHERE 1=1");
	if (f->q && *f->q) {
		char *pat = hx_store_like_pattern(c->arena, f->q);
		hx_buf_puts(&w, " AND (actor_name LIKE ? ESCAPE '\\' OR object_label LIKE ? ESCAPE '\\')");
		p[np++] = hx_p_text(pat);
		p[np++] = hx_p_text(pat);
	}
	if (f->actor_id) {
		hx_buf_puts(&w, " AND actor_id = ?");
		p[np++] = hx_p_int(f->actor_id);
	}
	if (f->action && *f->action) {
		hx_buf_puts(&w, " AND action = ?");
		p[np++] = hx_p_text(f->action);
	}
	if (f->object_type && *f->object_type) {
		hx_buf_puts(&w, " AND object_type = ?");
		p[np++] = hx_p_text(f->object_type);
	}
	if (f->object_id) {
		hx_buf_puts(&w, " AND object_id = ?");
		p[np++] = hx_p_int(f->object_id);
	}
	if (f->from && *f->from) {
		/* dates are China calendar days; entries are UTC instants */
		hx_buf_puts(&w, " AND at >= ?");
		p[np++] = hx_p_text(hx_arena_printf(c->arena, "%sT00:00:00Z", f->from));
	}
	if (f->to && *f->to) {
		hx_buf_puts(&w, " AND at <= ?");
		p[np++] = hx_p_text(hx_arena_printf(c->arena, "%sT23:59:59Z", f->to));
	}
	long long total = 0;
	char *sql = hx_arena_printf(c->arena, "SELECT count(*) FROM audit_log%s", w.data);
	if ((rc = hx_db_int(c->db, &total, sql, p, np, err)))
		goto done;
	if (page_size > 0) {
		sql = hx_arena_printf(c->arena,
				      "SELECT " AUDIT_COLS " FROM audit_log%s ORDER BY id DESC LIMIT ? OFFSET ?",
				      w.data);
		p[np++] = hx_p_int(page_size);
		p[np++] = hx_p_int((page - 1) * page_size);
	} else {
		sql = hx_arena_printf(c->arena, "SELECT " AUDIT_COLS " FROM audit_log%s ORDER BY id DESC",
				      w.data);
	}
	hx_rows *r;
	if ((rc = hx_db_query(c->db, c->arena, &r, sql, p, np, err)))
		goto done;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, entry_json(r, i));
	*out = json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total", (json_int_t)total, "page",
			 (json_int_t)page, "page_size", (json_int_t)page_size);
done:
	hx_buf_free(&w);
	return rc;
}

int hx_audit_history(json_t **out, hx_ctx *c, const char *object_type, long long object_id,
		     hx_err *err)
{
	hx_param p[] = {hx_p_text(object_type), hx_p_int(object_id)};
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT " AUDIT_COLS " FROM audit_log WHERE object_type = ? AND object_id = ?"
			     " ORDER BY id DESC LIMIT 200",
			     p, 2, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, entry_json(r, i));
	*out = items;
	return 0;
}
