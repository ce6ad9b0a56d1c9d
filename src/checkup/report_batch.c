/* Health-check reports in batch (体检报告批量生成): a county officer asks
 * for every report of a year at once, to print or file. The request only
 * records a job with the officer's scope, in its transaction; the server's
 * worker thread (the one that runs registry imports) renders the PDF of
 * each reported check that scope sees, one after another, writing its
 * progress after each, and stores the .zip in the job row. A job cut short
 * by a stop is run again from the start when the worker next starts: it
 * only reads, so running it twice is harmless. */
#include "checkup.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "../account/account.h"
#include "../audit/audit.h"
#include "../core/arena.h"
#include "../core/crypto.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../store/store.h"

#define ZIP_MAX ((size_t)256 << 20) /* the PDFs of one batch, together */
#define ENTRY_NAME_MAX 400           /* bytes of an entry's file name */

#define BATCH_COLS "id, year, status, total, done, message, created_at, finished_at"

static json_t *batch_json(const hx_rows *r, int i)
{
	return json_pack("{s:I,s:I,s:s,s:I,s:I,s:o,s:s,s:o}", "id", (json_int_t)hx_rows_int(r, i, "id"), "year",
			 (json_int_t)hx_rows_int(r, i, "year"), "status", hx_rows_get(r, i, "status"), "total",
			 (json_int_t)hx_rows_int(r, i, "total"), "done", (json_int_t)hx_rows_int(r, i, "done"),
			 "message", hx_json_str_or_null(hx_rows_get(r, i, "message")), "created_at",
			 hx_rows_get(r, i, "created_at"), "finished_at",
			 hx_json_str_or_null(hx_rows_get(r, i, "finished_at")));
}

int hx_checkup_report_batch_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id), hx_p_int(c->me->user_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT " BATCH_COLS " FROM checkup_report_batches WHERE id = ? AND user_id = ?", p, 2, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "批量生成任务不存在");
	*out = batch_json(r, 0);
	return 0;
}

/* Reported checks of the year the caller sees, oldest first. */
static int reported_checks(long long **ids, size_t *n, hx_ctx *c, long long year, hx_err *err)
{
	json_t *list = NULL;
	*ids = NULL;
	*n = 0;
	int rc = hx_checkup_check_list(&list, c, year, NULL, err);
	if (rc)
		return rc;
	json_t *items = json_object_get(list, "items");
	size_t total = json_array_size(items);
	*ids = hx_arena_alloc(c->arena, (total + 1) * sizeof **ids);
	for (size_t i = total; i-- > 0;) { /* the list is newest first */
		json_t *k = json_array_get(items, i);
		if (json_is_string(json_object_get(k, "reported_at")))
			(*ids)[(*n)++] = json_integer_value(json_object_get(k, "id"));
	}
	json_decref(list);
	return 0;
}

int hx_checkup_report_batch_create(json_t **out, hx_ctx *c, long long year, hx_err *err)
{
	if (year < 2000 || year > 2100)
		return hx_err_set(err, HX_EINVAL, "out_of_range", "year", "年度无效");
	long long *ids;
	size_t n;
	int rc = reported_checks(&ids, &n, c, year, err);
	if (rc)
		return rc;
	if (!n)
		return hx_err_set(err, HX_EINVAL, "no_reports", "year", "%lld年度还没有已完成的体检报告", year);
	const hx_principal *me = c->me;
	char *sj = hx_account_principal_freeze(me);
	if (!sj)
		return hx_err_set(err, HX_ENOMEM, "no_memory", "", "内存不足");
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_int(year), hx_p_int(me->user_id), hx_p_text(sj), hx_p_int((long long)n),
			hx_p_text(now)};
	long long id;
	rc = hx_db_int(c->db, &id,
		       "INSERT INTO checkup_report_batches (year, user_id, scope, status, total, created_at)"
		       " VALUES (?, ?, ?, 'queued', ?, ?) RETURNING id",
		       p, 5, err);
	free(sj);
	if (rc)
		return rc;
	json_t *ch = json_pack("{s:[n,I],s:[n,I]}", "year", (json_int_t)year, "reports", (json_int_t)n);
	rc = hx_audit_write(c, "create", "checkup_report_batch", id, "体检报告批量生成", ch, err);
	json_decref(ch);
	return rc ? rc : hx_checkup_report_batch_get(out, c, id, err);
}

int hx_checkup_report_batch_download(char **out, size_t *len, const char **filename, hx_ctx *c,
				     long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id), hx_p_int(c->me->user_id)};
	*out = NULL;
	*len = 0;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT year, status, data FROM checkup_report_batches WHERE id = ? AND user_id = ?", p, 2,
			     err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "批量生成任务不存在");
	const char *status = hx_rows_get(r, 0, "status"), *data = hx_rows_get(r, 0, "data");
	if (strcmp(status, "failed") == 0)
		return hx_err_set(err, HX_ECONFLICT, "batch_failed", "", "批量生成失败，请重新生成");
	if (strcmp(status, "done") != 0)
		return hx_err_set(err, HX_ECONFLICT, "batch_running", "", "体检报告还在生成中，请稍后下载");
	uint8_t *bytes;
	if (!data || hx_b64_decode(&bytes, len, data))
		return hx_err_set(err, HX_EINTERNAL, "corrupt", "", "stored report batch %lld is corrupt", id);
	*out = (char *)bytes;
	*filename = hx_arena_printf(c->arena, "体检报告-%lld.zip", hx_rows_int(r, 0, "year"));
	return 0;
}

/* ---- the worker ------------------------------------------------------------- */

static void set_progress(hx_db *db, long long id, long long done, long long total)
{
	hx_param p[] = {hx_p_int(done), hx_p_int(total), hx_p_int(id)};
	hx_db_exec(db, "UPDATE checkup_report_batches SET done = ?, total = ? WHERE id = ?", p, 3, NULL, NULL);
}

static int finish_failed(hx_db *db, long long id, const char *msg, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(msg), hx_p_text(now), hx_p_int(id)};
	return hx_db_exec(db,
			  "UPDATE checkup_report_batches SET status = 'failed', message = ?, finished_at = ?, data = NULL"
			  " WHERE id = ?",
			  p, 3, NULL, err);
}

/* An entry's file name: "体检报告-12-某某公司.pdf", with the characters a
 * file system or an unzip tool would take for a path (/ \ : …) replaced. */
static char *entry_name(hx_arena *a, long long check_id, const char *enterprise)
{
	char *name = hx_arena_printf(a, "体检报告-%lld-%.*s", check_id, ENTRY_NAME_MAX, enterprise ? enterprise : "");
	size_t n = strlen(name);
	/* a cut in the middle of a character would leave invalid UTF-8 */
	while (n && !hx_utf8_valid(name, n))
		n--;
	name[n] = '\0';
	for (char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || strchr("/\\:*?\"<>|", *p))
			*p = '_';
	return hx_arena_printf(a, "%s.pdf", name);
}

/* The archive written so far, taken out of its in-memory source. */
static int zip_bytes(uint8_t **out, size_t *len, zip_source_t *src)
{
	zip_stat_t st;
	*out = NULL;
	*len = 0;
	if (zip_source_stat(src, &st) || !(st.valid & ZIP_STAT_SIZE) || zip_source_open(src))
		return HX_EINTERNAL;
	int rc = 0;
	if (!(*out = malloc(st.size ? st.size : 1)))
		rc = HX_ENOMEM;
	else if (zip_source_read(src, *out, st.size) != (zip_int64_t)st.size)
		rc = HX_EINTERNAL;
	zip_source_close(src);
	if (rc) {
		free(*out);
		*out = NULL;
		return rc;
	}
	*len = st.size;
	return 0;
}

static const uint8_t EMPTY_ZIP[22] = {'P', 'K', 5, 6}; /* end of central directory, no entries */

/* Renders the batch's reports into a .zip. On failure *msg says why, for
 * the requester. */
static int render_all(uint8_t **zip, size_t *zlen, hx_ctx *c, long long batch, long long year, const char **msg,
		      hx_err *err)
{
	long long *ids;
	size_t n, added = 0, bytes = 0;
	*zip = NULL;
	*zlen = 0;
	int rc = hx_db_begin_read(c->db, err);
	if (!rc) {
		rc = reported_checks(&ids, &n, c, year, err);
		hx_db_rollback(c->db);
	}
	if (rc) {
		*msg = "读取体检记录失败";
		return rc;
	}
	set_progress(c->db, batch, 0, (long long)n);
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	zip_t *za = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
	zip_error_fini(&ze);
	if (!za) {
		if (src)
			zip_source_free(src);
		*msg = "生成压缩文件失败";
		return hx_err_set(err, HX_EINTERNAL, "zip_failed", "", "cannot open an in-memory zip");
	}
	zip_source_keep(src); /* it outlives zip_close: the bytes are read from it */
	for (size_t i = 0; i < n && !rc; i++) {
		hx_arena *a = hx_arena_new();
		hx_ctx rc2 = *c;
		rc2.arena = a;
		json_t *rep = NULL;
		char *pdf = NULL;
		size_t len = 0;
		if (!(rc = hx_db_begin_read(c->db, err))) {
			rc = hx_checkup_report(&rep, &rc2, ids[i], err);
			hx_db_rollback(c->db);
		}
		if (!rc)
			rc = hx_checkup_report_pdf(&pdf, &len, rep, err);
		if (rc) {
			*msg = hx_arena_printf(c->arena, "体检记录%lld的报告生成失败：%s", ids[i], err->msg);
		} else if ((bytes += len) > ZIP_MAX) {
			free(pdf);
			*msg = "报告合计超过256MB，无法打包";
			rc = hx_err_set(err, HX_ETOOBIG, "too_large", "", "report batch over 256 MiB");
		} else {
			const char *name = entry_name(a, ids[i], json_string_value(json_object_get(rep, "enterprise_name")));
			zip_source_t *zs = zip_source_buffer(za, pdf, len, 1);
			zip_int64_t idx = zs ? zip_file_add(za, name, zs, ZIP_FL_ENC_UTF_8) : -1;
			if (idx < 0) {
				if (zs)
					zip_source_free(zs); /* frees pdf */
				else
					free(pdf);
				*msg = "生成压缩文件失败";
				rc = hx_err_set(err, HX_EINTERNAL, "zip_failed", "", "zip: %s", zip_strerror(za));
			} else {
				/* a PDF's streams are deflated already: stored, not squeezed again */
				zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
				added++;
				set_progress(c->db, batch, (long long)added, (long long)n);
			}
		}
		json_decref(rep);
		hx_arena_free(a);
	}
	if (rc) {
		zip_discard(za);
		zip_source_free(src);
		return rc;
	}
	if (zip_close(za)) {
		hx_err_set(err, HX_EINTERNAL, "zip_failed", "", "zip: %s", zip_strerror(za));
		zip_discard(za);
		zip_source_free(src);
		*msg = "生成压缩文件失败";
		return err->code;
	}
	if (!added) { /* libzip writes nothing for an empty archive */
		zip_source_free(src);
		if (!(*zip = malloc(sizeof EMPTY_ZIP)))
			return hx_err_set(err, HX_ENOMEM, "no_memory", "", "内存不足");
		memcpy(*zip, EMPTY_ZIP, sizeof EMPTY_ZIP);
		*zlen = sizeof EMPTY_ZIP;
		return 0;
	}
	rc = zip_bytes(zip, zlen, src);
	zip_source_free(src);
	if (rc) {
		*msg = "生成压缩文件失败";
		return hx_err_set(err, rc, "zip_failed", "", "cannot read the in-memory zip");
	}
	return 0;
}

/* Runs one claimed batch to its end, done or failed. */
static int run_batch(hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param q[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT year, scope FROM checkup_report_batches WHERE id = ?", q, 1,
			     err);
	if (rc || !r->nrows)
		return rc;
	hx_principal me;
	if (hx_account_principal_thaw(&me, c->arena, hx_rows_get(r, 0, "scope")))
		return finish_failed(c->db, id, "申请人的角色无效", err);
	c->me = &me;
	uint8_t *zip = NULL;
	size_t zlen = 0;
	const char *msg = NULL;
	hx_err e = {0};
	if (render_all(&zip, &zlen, c, id, hx_rows_int(r, 0, "year"), &msg, &e))
		return finish_failed(c->db, id, msg ? msg : e.msg, err);
	char *b64 = hx_b64_encode(zip, zlen);
	free(zip);
	if (!b64)
		return finish_failed(c->db, id, "内存不足", err);
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(b64), hx_p_text(now), hx_p_int(id)};
	rc = hx_db_exec(c->db,
			"UPDATE checkup_report_batches SET status = 'done', done = total, data = ?, finished_at = ?"
			" WHERE id = ?",
			p, 3, NULL, err);
	free(b64);
	return rc;
}

static pthread_once_t recover_once = PTHREAD_ONCE_INIT;
static hx_store *recover_store;

/* A batch left running by a process that stopped starts again. */
static void recover(void)
{
	hx_db *db = NULL;
	hx_err e = {0};
	if (hx_db_get(&db, recover_store, &e))
		return;
	hx_db_exec(db, "UPDATE checkup_report_batches SET status = 'queued', done = 0 WHERE status = 'running'", NULL,
		   0, NULL, &e);
	hx_db_put(db);
}

int hx_checkup_batches_run_pending(struct hx_store *s, const struct hx_keys *keys, const char *data_dir,
				   hx_err *err)
{
	recover_store = s;
	pthread_once(&recover_once, recover);
	for (;;) {
		hx_db *db = NULL;
		int rc = hx_db_get(&db, s, err);
		if (rc)
			return rc;
		long long id = 0;
		hx_err e = {0};
		rc = hx_db_int(db, &id, "SELECT id FROM checkup_report_batches WHERE status = 'queued' ORDER BY id LIMIT 1",
			       NULL, 0, &e);
		if (rc) {
			hx_db_put(db);
			return rc == HX_ENOTFOUND ? 0 : (*err = e, rc);
		}
		/* claim it; another process may have been quicker */
		long long changed = 0;
		hx_param p[] = {hx_p_int(id)};
		rc = hx_db_exec(db, "UPDATE checkup_report_batches SET status = 'running' WHERE id = ? AND status = 'queued'",
				p, 1, &changed, err);
		if (!rc && changed) {
			hx_arena *a = hx_arena_new();
			hx_ctx c = {.db = db, .arena = a, .keys = keys, .data_dir = data_dir, .ip = "worker"};
			rc = run_batch(&c, id, err);
			hx_arena_free(a);
		}
		hx_db_put(db);
		if (rc)
			return rc;
	}
}
