/* Warnings a check raises to labour inspection and arbitration, and the
 * training priority list drawn from them. Each call is one step of one
 * request's transaction. */
#include "checkup_impl.h"

#include <string.h>

#include "../audit/audit.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../registry/registry.h"
#include "../store/store.h"

/* ---- warnings and the training priority list ---- */

int hx_checkup_warnings(json_t **out, hx_ctx *c, const char *kind, hx_err *err)
{
	if (kind && *kind && strcmp(kind, "inspection") != 0 && strcmp(kind, "arbitration") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_kind", "kind", "预警类型应为劳动监察（inspection）或仲裁（arbitration）");
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, check_id, enterprise_id, item_id, kind, status, due_on, note, created_at, updated_at"
			     " FROM checkup_warnings ORDER BY due_on, id",
			     NULL, 0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	const char *t = hx_checkup_today(c);
	for (int i = 0; i < r->nrows; i++) {
		if (kind && *kind && strcmp(kind, hx_rows_get(r, i, "kind")) != 0)
			continue;
		hx_err e = {0};
		const char *name;
		if (hx_registry_enterprise_name(&name, c, hx_rows_int(r, i, "enterprise_id"), &e))
			continue; /* outside the caller's scope */
		const char *due = hx_rows_get(r, i, "due_on"), *status = hx_rows_get(r, i, "status");
		const char *color = "green";
		if (strcmp(status, "closed") != 0) {
			/* yellow within 3 days of the due date, red past it */
			char soon[11];
			hx_date_add_days(soon, t, 3);
			if (strcmp(due, t) < 0)
				color = "red";
			else if (strcmp(due, soon) <= 0)
				color = "yellow";
		}
		json_array_append_new(items, json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s?,s:s,s:s}", "id",
						       (json_int_t)hx_rows_int(r, i, "id"), "check_id",
						       (json_int_t)hx_rows_int(r, i, "check_id"), "enterprise_id",
						       (json_int_t)hx_rows_int(r, i, "enterprise_id"), "enterprise_name", name,
						       "item_id", hx_rows_get(r, i, "item_id"), "kind", hx_rows_get(r, i, "kind"),
						       "status", status, "due_on", due, "note", hx_rows_get(r, i, "note"), "color",
						       color, "created_at", hx_rows_get(r, i, "created_at")));
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

int hx_checkup_warning_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	static const char *const allowed[] = {"status", "note", NULL};
	const char *status, *note;
	int rc;
	if ((rc = hx_json_only(body, allowed, err)) ||
	    (rc = hx_json_get_str(&status, NULL, body, "status", "办理状态", 1, 16, err)) ||
	    (rc = hx_json_get_str(&note, NULL, body, "note", "办理说明", 0, 1000, err)))
		return rc;
	if (strcmp(status, "received") != 0 && strcmp(status, "in_hand") != 0 && strcmp(status, "closed") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_status", "status", "办理状态应为已接收、办理中或已办结");
	hx_param p[] = {hx_p_text(status), hx_p_text(note), hx_p_text(hx_checkup_now_iso(c)), hx_p_int(id)};
	long long n = 0;
	if ((rc = hx_db_exec(c->db, "UPDATE checkup_warnings SET status = ?, note = ?, updated_at = ? WHERE id = ?", p, 4, &n, err)))
		return rc;
	if (!n)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "预警不存在");
	json_t *ch = json_pack("{s:[n,s]}", "status", status);
	rc = hx_audit_write(c, "update", "checkup_warning", id, note, ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_warnings(out, c, NULL, err);
}

int hx_checkup_training_priority(json_t **out, hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT k.enterprise_id, k.grade, k.year, k.reported_at, k.id FROM checkup_checks k"
			     " WHERE k.reported_at IS NOT NULL AND k.reported_at = (SELECT max(x.reported_at)"
			     " FROM checkup_checks x WHERE x.enterprise_id = k.enterprise_id AND x.reported_at IS NOT NULL)"
			     " AND k.grade IN ('C', 'D') ORDER BY k.grade DESC, k.enterprise_id",
			     NULL, 0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		const char *name;
		hx_err e = {0};
		if (hx_registry_enterprise_name(&name, c, hx_rows_int(r, i, "enterprise_id"), &e))
			continue;
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:I,s:I}", "enterprise_id",
						       (json_int_t)hx_rows_int(r, i, "enterprise_id"), "enterprise_name", name,
						       "grade", hx_rows_get(r, i, "grade"), "year", (json_int_t)hx_rows_int(r, i, "year"),
						       "check_id", (json_int_t)hx_rows_int(r, i, "id")));
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}
