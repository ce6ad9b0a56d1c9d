/* Drafting batches: contracts for many workers of one enterprise at once,
 * queued as a job and run in the background one worker per transaction,
 * with progress a restart neither repeats nor skips. */
#include "contract_impl.h"

#include <stdlib.h>
#include <string.h>

#include "../core/json.h"
#include "../core/timeutil.h"

/* ---- batches ---- */

static const char *const BATCH_KEYS[] = {"worker_ids", "kind", "terms", "extra_clauses", "sign_order",
					 "expires_days", "send", NULL};

int hx_contract_batch_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	int rc;
	if ((rc = hx_json_only(body, BATCH_KEYS, err)))
		return rc;
	json_t *ids = json_object_get(body, "worker_ids");
	if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > 1000)
		return hx_err_set(err, HX_EINVAL, "invalid_worker_ids", "worker_ids", "请选择1至1000名职工");
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) if (!json_is_integer(v) || json_integer_value(v) < 1) return hx_err_set(
		err, HX_EBADREQ, "bad_type", "worker_ids", "worker_ids 应为职工编号数组");
	json_t *s = json_object_get(body, "send");
	if (s && !json_is_boolean(s))
		return hx_err_set(err, HX_EBADREQ, "bad_type", "send", "send 应为 true 或 false");
	/* the shared fields are checked now, once */
	json_t *probe = json_deep_copy(body), *terms = NULL;
	json_object_del(probe, "worker_ids");
	json_object_del(probe, "send");
	const char *kind, *order;
	long long days;
	rc = hx_contract_draft_fields(&terms, &kind, &order, &days, c, probe, NULL, err);
	json_decref(probe);
	json_decref(terms);
	if (rc)
		return rc;
	/* every worker must be in scope and in one enterprise */
	long long eid = 0;
	json_array_foreach(ids, i, v) {
		hx_rows *r;
		hx_param p[] = {hx_p_int(json_integer_value(v))};
		if ((rc = hx_db_query(c->db, c->arena, &r,
				      "SELECT enterprise_id FROM workers WHERE id = ? AND deleted_at IS NULL", p, 1, err)))
			return rc;
		if (r->nrows != 1 || hx_contract_in_scope(c, hx_rows_int(r, 0, "enterprise_id"), json_integer_value(v), err))
			return hx_err_set(err, HX_EINVAL, "no_worker", "worker_ids", "职工 %lld 不存在或不在您的管理范围内",
					  (long long)json_integer_value(v));
		if (eid && eid != hx_rows_int(r, 0, "enterprise_id"))
			return hx_err_set(err, HX_EINVAL, "mixed_enterprises", "worker_ids", "一批合同只能属于同一家企业");
		eid = hx_rows_int(r, 0, "enterprise_id");
	}
	char *req = json_dumps(body, JSON_COMPACT), now[21];
	char *frozen = c->me ? hx_account_principal_freeze(c->me) : NULL;
	hx_now_iso(now);
	long long id = 0;
	hx_param p[] = {hx_p_int(eid), c->me && c->me->user_id ? hx_p_int(c->me->user_id) : hx_p_null(),
			hx_p_text(c->me && c->me->username ? c->me->username : "system"), hx_p_text(frozen), hx_p_text(req),
			hx_p_int((long long)json_array_size(ids)), hx_p_text(now)};
	rc = hx_db_int(c->db, &id,
		       "INSERT INTO contract_batches (enterprise_id, user_id, actor_name, principal, request, status, total,"
		       " created_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING id",
		       p, 7, err);
	free(req);
	free(frozen);
	if (rc)
		return rc;
	*out = json_pack("{s:I}", "id", (json_int_t)id);
	return 0;
}

int hx_contract_batch_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, enterprise_id, status, total, done, failed, errors, contract_ids, created_at, finished_at"
			     " FROM contract_batches WHERE id = ?",
			     p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1 || hx_contract_in_scope(c, hx_rows_int(r, 0, "enterprise_id"), 0, err))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "批次不存在");
	*out = json_pack("{s:I,s:s,s:I,s:I,s:I,s:o,s:o,s:s,s:s?}", "id", (json_int_t)id, "status", hx_rows_get(r, 0, "status"),
			 "total", (json_int_t)hx_rows_int(r, 0, "total"), "done", (json_int_t)hx_rows_int(r, 0, "done"),
			 "failed", (json_int_t)hx_rows_int(r, 0, "failed"),
			 "errors", json_loads(hx_rows_get(r, 0, "errors"), 0, NULL) ?: json_array(), "contract_ids",
			 json_loads(hx_rows_get(r, 0, "contract_ids"), 0, NULL) ?: json_array(), "created_at",
			 hx_rows_get(r, 0, "created_at"), "finished_at", hx_rows_get(r, 0, "finished_at"));
	return 0;
}

/* A batch's progress after one more worker, in the caller's transaction. */
typedef struct batch_state {
	long long id;
	int done, failed, total;
	json_t *errors, *cids;
} batch_state;

static int batch_progress(hx_db *db, const batch_state *b, hx_err *err)
{
	char *et = json_dumps(b->errors, JSON_COMPACT), *ct = json_dumps(b->cids, JSON_COMPACT), now[21];
	hx_now_iso(now);
	int last = b->done >= b->total;
	hx_param p[] = {hx_p_int(b->done), hx_p_int(b->failed), hx_p_text(et), hx_p_text(ct), hx_p_text(last ? "done" : "running"),
			last ? hx_p_text(now) : hx_p_null(), hx_p_int(b->id)};
	int rc = hx_db_exec(db,
			    "UPDATE contract_batches SET done = ?, failed = ?, errors = ?, contract_ids = ?, status = ?,"
			    " finished_at = ? WHERE id = ?",
			    p, 7, NULL, err);
	free(et);
	free(ct);
	return rc;
}

/* One worker of a batch in its own transaction, as the batch's user; the
 * progress is written in the same transaction, so a restart neither
 * repeats nor skips a worker. */
static int batch_one(hx_store *s, const hx_keys *keys, const hx_principal *me, json_t *req, long long worker_id,
		     batch_state *b, hx_err *err)
{
	hx_db *db;
	hx_arena *a = hx_arena_new();
	int rc = hx_db_get(&db, s, err);
	if (rc) {
		hx_arena_free(a);
		return rc;
	}
	hx_ctx c = {.db = db, .arena = a, .keys = keys, .me = me, .ip = "batch"};
	json_t *body = json_deep_copy(req), *out = NULL;
	json_object_del(body, "worker_ids");
	int send = json_is_true(json_object_get(body, "send"));
	json_object_del(body, "send");
	json_object_set_new(body, "worker_id", json_integer(worker_id));
	if (!(rc = hx_db_begin_write(db, err)) && !(rc = hx_contract_create(&out, &c, body, 0, "new", err))) {
		long long cid = json_integer_value(json_object_get(out, "id"));
		if (send)
			rc = hx_contract_send(NULL, &c, cid, err);
		if (!rc) {
			b->done++;
			json_array_append_new(b->cids, json_integer(cid));
			if ((rc = batch_progress(db, b, err))) {
				b->done--;
				json_array_remove(b->cids, json_array_size(b->cids) - 1);
			}
		}
	}
	if (!rc)
		rc = hx_db_commit(db, err);
	else
		hx_db_rollback(db);
	if (rc) { /* the failure is progress too, in a transaction of its own */
		hx_err e2 = {0};
		b->done++;
		b->failed++;
		json_array_append_new(b->errors, json_pack("{s:I,s:s,s:s}", "worker_id", (json_int_t)worker_id, "field",
							   err->field, "message", err->msg));
		if (!hx_db_begin_write(db, &e2)) {
			if (batch_progress(db, b, &e2) == 0)
				hx_db_commit(db, &e2);
			else
				hx_db_rollback(db);
		}
	}
	json_decref(body);
	json_decref(out);
	hx_db_put(db);
	hx_arena_free(a);
	return rc;
}

int hx_contract_batches_run(hx_store *s, const hx_keys *keys, const char *data_dir, hx_err *err)
{
	(void)data_dir;
	hx_db *db;
	hx_arena *a = hx_arena_new();
	hx_rows *r;
	int rc = hx_db_get(&db, s, err);
	if (rc) {
		hx_arena_free(a);
		return rc;
	}
	json_t *req = NULL;
	batch_state b = {0};
	if ((rc = hx_db_begin_write(db, err)))
		goto put;
	rc = hx_db_query(db, a, &r,
			 "SELECT id, principal, request, done, failed, errors, contract_ids FROM contract_batches"
			 " WHERE status IN ('queued', 'running')"
			 " ORDER BY id LIMIT 1",
			 NULL, 0, err);
	long long bid = !rc && r->nrows ? hx_rows_int(r, 0, "id") : 0;
	const char *frozen = bid ? hx_rows_get(r, 0, "principal") : NULL;
	long long uid = frozen ? 1 : 0, skip = bid ? hx_rows_int(r, 0, "done") : 0;
	b.id = bid;
	if (bid) {
		b.done = (int)skip;
		b.failed = (int)hx_rows_int(r, 0, "failed");
		b.errors = json_loads(hx_rows_get(r, 0, "errors"), 0, NULL);
		b.cids = json_loads(hx_rows_get(r, 0, "contract_ids"), 0, NULL);
	}
	if (!json_is_array(b.errors)) {
		json_decref(b.errors);
		b.errors = json_array();
	}
	if (!json_is_array(b.cids)) {
		json_decref(b.cids);
		b.cids = json_array();
	}
	req = bid ? json_loads(hx_rows_get(r, 0, "request"), 0, NULL) : NULL;
	if (!rc && bid) {
		hx_param p[] = {hx_p_int(bid)};
		rc = hx_db_exec(db, "UPDATE contract_batches SET status = 'running' WHERE id = ?", p, 1, NULL, err);
	}
	hx_principal me;
	memset(&me, 0, sizeof me);
	if (!rc && bid && frozen && hx_account_principal_thaw(&me, a, frozen))
		rc = hx_err_set(err, HX_EINTERNAL, "principal", "", "批次的操作人无法恢复");
	if (!rc)
		rc = hx_db_commit(db, err);
	else
		hx_db_rollback(db);
	if (rc || !bid || !req)
		goto put;
	json_t *ids = json_object_get(req, "worker_ids");
	size_t i;
	json_t *v;
	b.total = (int)json_array_size(ids);
	json_array_foreach(ids, i, v) {
		if ((long long)i < skip) /* done before a restart */
			continue;
		hx_err e = {0};
		batch_one(s, keys, uid ? &me : NULL, req, json_integer_value(v), &b, &e);
	}
put:
	json_decref(req);
	json_decref(b.errors);
	json_decref(b.cids);
	hx_db_put(db);
	hx_arena_free(a);
	return rc;
}
