/* Spreadsheet import of enterprises and workers. An upload becomes a job
 * row (with the file) in the request's transaction; a worker thread (or
 * the CLI) runs it: every row is checked first, with progress written as it
 * goes, and only a file without a single bad row is written — all of it in
 * one transaction, with the job marked done in that same transaction, so
 * after a crash the rows are either all there or not there at all. */
#include "registry_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../core/arena.h"
#include "../core/crypto.h"
#include "../core/ids.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../report/report.h"

#define MAX_ROWS 100000
#define MAX_LISTED_ERRORS 1000
#define PROGRESS_EVERY 250

typedef struct col {
	const char *label;
	const char *field;
	int kind; /* 0 text, 1 date, 2 int, 3 bool, 4 area, 5 industry, 6 etype */
} col;

static const col ENT_COLS_IMPORT[] = {
	{"统一社会信用代码", "uscc", 0}, {"企业名称", "name", 0},        {"法定代表人", "legal_representative", 0},
	{"地址", "address", 0},          {"所属区域", "area_id", 4},     {"行业门类", "industry", 5},
	{"成立日期", "registered_on", 1}, {"职工人数", "employee_count", 2}, {"规模以上", "above_scale", 3},
	{"公司制", "is_company", 3},      {"特殊困难", "special_difficulty", 3}, {"中小微", "is_sme", 3},
};
static const col WORKER_COLS_IMPORT[] = {
	{"统一社会信用代码", "uscc", 0}, {"姓名", "name", 0},     {"身份证号码", "id_number", 0},
	{"手机号码", "phone", 0},        {"入职日期", "hire_date", 1}, {"岗位", "job", 0},
	{"用工形式", "employment_type", 6}, {"离职日期", "leave_date", 1},
	{"纸质合同起始日期", "paper_contract_start", 1}, {"纸质合同终止日期", "paper_contract_end", 1},
};

int hx_excel_serial_to_date(const char *num, char out[11]);

static const char *label_for(const col *cols, size_t n, const char *field)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cols[i].field, field) == 0)
			return cols[i].label;
	return "";
}

/* Normalizes the date spellings spreadsheets produce into YYYY-MM-DD. */
static int norm_date(char out[11], const char *s)
{
	int y, m, d;
	if (hx_date_parse(s, NULL, NULL, NULL) == 0) {
		memcpy(out, s, 11);
		return 0;
	}
	char sep;
	if (sscanf(s, "%d%c%d", &y, &sep, &m) == 3 && (sep == '/' || sep == '.' || sep == '-')) {
		char sep2;
		int n;
		if (sscanf(s, "%d%c%d%c%d%n", &y, &sep, &m, &sep2, &d, &n) == 5 && sep2 == sep && s[n] == '\0' &&
		    hx_date_valid(y, m, d)) {
			hx_date_format(out, y, m, d);
			return 0;
		}
	}
	if (strlen(s) == 8 && sscanf(s, "%4d%2d%2d", &y, &m, &d) == 3 && hx_date_valid(y, m, d)) {
		hx_date_format(out, y, m, d);
		return 0;
	}
	if (strlen(s) <= 6 && strspn(s, "0123456789.") == strlen(s) && hx_excel_serial_to_date(s, out) == 0)
		return 0;
	return -1;
}

/* Turns one spreadsheet row into a request-shaped JSON body; a cell that
 * cannot be converted is reported against its column. */
static int row_body(json_t **out, hx_ctx *c, const hx_table *t, size_t r, const col *cols, size_t ncols,
		    const int *map, hx_err *err)
{
	json_t *b = json_object();
	for (size_t k = 0; k < ncols; k++) {
		if (map[k] < 0)
			continue;
		const char *v = hx_table_cell(t, r, (size_t)map[k]);
		while (*v == ' ')
			v++;
		if (!*v)
			continue;
		const char *f = cols[k].field;
		char d[11];
		long long id;
		switch (cols[k].kind) {
		case 1:
			if (norm_date(d, v)) {
				json_decref(b);
				return hx_err_set(err, HX_EINVAL, "bad_date", f, "%s“%.20s”不是有效日期（YYYY-MM-DD）",
						  cols[k].label, v);
			}
			json_object_set_new(b, f, json_string(d));
			break;
		case 2: {
			char *end;
			double x = strtod(v, &end);
			if (*end || x != (double)(long long)x) {
				json_decref(b);
				return hx_err_set(err, HX_EINVAL, "wrong_type", f, "%s应为整数", cols[k].label);
			}
			json_object_set_new(b, f, json_integer((long long)x));
			break;
		}
		case 3:
			if (strcmp(v, "是") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "y") == 0)
				json_object_set_new(b, f, json_true());
			else if (strcmp(v, "否") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "n") == 0)
				json_object_set_new(b, f, json_false());
			else {
				json_decref(b);
				return hx_err_set(err, HX_EINVAL, "wrong_type", f, "%s应填“是”或“否”", cols[k].label);
			}
			break;
		case 4:
			if (hx_registry_area_by_name(&id, c, v)) {
				json_decref(b);
				return hx_err_set(err, HX_EINVAL, "invalid_area", f, "所属区域“%.30s”不存在", v);
			}
			json_object_set_new(b, f, json_integer(id));
			break;
		case 5: {
			const char *code = v;
			if (strlen(v) > 1) {
				code = NULL;
				for (char L = 'A'; L <= 'T'; L++) {
					char k1[2] = {L, 0};
					const char *nm = hx_registry_industry_name(k1);
					if (nm && strcmp(nm, v) == 0)
						code = hx_arena_strdup(c->arena, k1);
				}
				if (!code) {
					json_decref(b);
					return hx_err_set(err, HX_EINVAL, "invalid_industry", f,
							  "行业门类“%.30s”无效，应为A–T的门类字母或名称", v);
				}
			}
			json_object_set_new(b, f, json_string(code));
			break;
		}
		default:
			json_object_set_new(b, f, json_string(v));
		}
	}
	*out = b;
	return 0;
}

static void add_error(json_t *errs, long long *count, size_t row, const char *column, const hx_err *e)
{
	(*count)++;
	if (json_array_size(errs) < MAX_LISTED_ERRORS)
		json_array_append_new(errs, json_pack("{s:I,s:s,s:s,s:s}", "row", (json_int_t)(row + 1), "column",
						      column, "field", e->field, "message", e->msg));
}

static json_t *import_json(const hx_rows *r, int i)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(hx_rows_int(r, i, "id")));
	json_object_set_new(o, "kind", json_string(hx_rows_get(r, i, "kind")));
	json_object_set_new(o, "filename", json_string(hx_rows_get(r, i, "filename")));
	const char *eid = hx_rows_get(r, i, "enterprise_id");
	json_object_set_new(o, "enterprise_id", eid ? json_integer(atoll(eid)) : json_null());
	json_object_set_new(o, "status", json_string(hx_rows_get(r, i, "status")));
	json_object_set_new(o, "total_rows", json_integer(hx_rows_int(r, i, "total_rows")));
	json_object_set_new(o, "processed_rows", json_integer(hx_rows_int(r, i, "processed_rows")));
	json_object_set_new(o, "imported_rows", json_integer(hx_rows_int(r, i, "imported_rows")));
	json_object_set_new(o, "error_count", json_integer(hx_rows_int(r, i, "error_count")));
	json_t *e = json_loads(hx_rows_get(r, i, "errors"), 0, NULL);
	json_object_set_new(o, "errors", e ? e : json_array());
	json_object_set_new(o, "message", hx_json_str_or_null(hx_rows_get(r, i, "message")));
	json_object_set_new(o, "created_at", json_string(hx_rows_get(r, i, "created_at")));
	json_object_set_new(o, "finished_at", hx_json_str_or_null(hx_rows_get(r, i, "finished_at")));
	return o;
}

#define IMP_COLS \
	"id, kind, filename, enterprise_id, status, total_rows, processed_rows, imported_rows," \
	" error_count, errors, message, created_at, finished_at"

int hx_registry_import_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id), hx_p_int(c->me->user_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT " IMP_COLS " FROM imports WHERE id = ? AND user_id = ?", p, 2, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "导入任务不存在");
	*out = import_json(r, 0);
	return 0;
}

int hx_registry_import_list(json_t **out, hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(c->me->user_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT " IMP_COLS " FROM imports WHERE user_id = ? ORDER BY id DESC LIMIT 50", p, 1, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		json_t *o = import_json(r, i);
		json_object_set_new(o, "errors", json_array()); /* the list stays light */
		json_array_append_new(items, o);
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

int hx_registry_import_create(json_t **out, hx_ctx *c, const char *kind, long long enterprise_id,
			      const char *filename, const void *data, size_t len, hx_err *err)
{
	if (!kind || (strcmp(kind, "enterprises") != 0 && strcmp(kind, "workers") != 0))
		return hx_err_set(err, HX_EINVAL, "invalid_kind", "kind", "导入类型应为企业（enterprises）或职工（workers）");
	if (strcmp(kind, "enterprises") == 0 && c->me->scope.kind != HX_SCOPE_COUNTY &&
	    c->me->scope.kind != HX_SCOPE_AREA)
		return hx_err_set(err, HX_EPERM, "forbidden", "kind", "没有权限导入企业");
	if (strcmp(kind, "workers") == 0 && (c->me->scope.kind == HX_SCOPE_ORG || c->me->scope.kind == HX_SCOPE_SELF))
		return hx_err_set(err, HX_EPERM, "forbidden", "kind", "没有权限导入职工");
	if (c->me->scope.kind == HX_SCOPE_ENTERPRISE && !enterprise_id)
		enterprise_id = c->me->scope.enterprise_id;
	int rc;
	if (enterprise_id && (rc = hx_registry_enterprise_visible(c, enterprise_id, err)))
		return rc;
	if (!len)
		return hx_err_set(err, HX_EINVAL, "empty_file", "file", "上传的文件为空");
	if (!filename || !*filename)
		filename = "upload";
	if (hx_utf8_len(filename) > 200 || !hx_utf8_valid(filename, strlen(filename)))
		return hx_err_set(err, HX_EINVAL, "bad_filename", "filename", "文件名无效");
	char *b64 = hx_b64_encode(data, len);
	if (!b64)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	const hx_principal *me = c->me;
	char *sj = hx_account_principal_freeze(me);
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(kind), hx_p_text(filename), enterprise_id ? hx_p_int(enterprise_id) : hx_p_null(),
			hx_p_int(me->user_id), hx_p_text(me->display_name ? me->display_name : "命令行"),
			hx_p_text(c->ip ? c->ip : ""), hx_p_text(sj), hx_p_text(b64), hx_p_text(now)};
	long long id;
	rc = hx_db_int(c->db, &id,
		       "INSERT INTO imports (kind, filename, enterprise_id, user_id, actor_name, ip, scope,"
		       " status, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING id",
		       p, 9, err);
	free(b64);
	free(sj);
	if (rc)
		return rc;
	return hx_registry_import_get(out, c, id, err);
}

int hx_registry_import_recover(hx_ctx *c, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(now)};
	return hx_db_exec(c->db,
			  "UPDATE imports SET status = 'failed', data = NULL, finished_at = ?,"
			  " message = '服务中断，导入未完成，未写入任何数据，请重新上传'"
			  " WHERE status IN ('validating', 'importing')",
			  p, 1, NULL, err);
}

static void set_progress(hx_db *db, long long id, const char *status, long long done, long long total)
{
	hx_param p[] = {hx_p_text(status), hx_p_int(done), hx_p_int(total), hx_p_int(id)};
	hx_db_exec(db, "UPDATE imports SET status = ?, processed_rows = ?, total_rows = ? WHERE id = ?", p, 4,
		   NULL, NULL);
}

static int finish_failed(hx_db *db, long long id, json_t *errs, long long nerr, const char *msg, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	char *ej = json_dumps(errs ? errs : json_array(), JSON_COMPACT);
	hx_param p[] = {hx_p_text(ej), hx_p_int(nerr), hx_p_text(msg), hx_p_text(now), hx_p_int(id)};
	int rc = hx_db_exec(db,
			    "UPDATE imports SET status = 'failed', errors = ?, error_count = ?, message = ?,"
			    " finished_at = ?, data = NULL WHERE id = ?",
			    p, 5, NULL, err);
	free(ej);
	return rc;
}

typedef struct prepared {
	json_t *ent;       /* enterprise fields */
	hx_worker_row w;   /* worker */
} prepared;

/* Runs one job that has been claimed. */
static int run_job(hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param q[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT kind, data, enterprise_id, scope, ip, filename FROM imports WHERE id = ?",
			     q, 1, err);
	if (rc || !r->nrows)
		return rc;
	const char *kind = hx_rows_get(r, 0, "kind");
	int workers = strcmp(kind, "workers") == 0;
	long long fixed_ent = hx_rows_int(r, 0, "enterprise_id");
	const char *filename = hx_rows_get(r, 0, "filename");
	c->ip = hx_rows_get(r, 0, "ip");
	hx_principal me;
	if (hx_account_principal_thaw(&me, c->arena, hx_rows_get(r, 0, "scope")))
		return finish_failed(c->db, id, NULL, 0, "导入者的角色无效", err);
	c->me = &me;

	uint8_t *bytes = NULL;
	size_t len = 0;
	const char *data = hx_rows_get(r, 0, "data");
	if (!data || hx_b64_decode(&bytes, &len, data))
		return finish_failed(c->db, id, NULL, 0, "导入文件已丢失，请重新上传", err);
	hx_table *t = NULL;
	hx_err te = {0};
	rc = hx_table_read(&t, bytes, len, HX_TABLE_AUTO, MAX_ROWS + 1, &te);
	free(bytes);
	if (rc)
		return finish_failed(c->db, id, NULL, 0, te.msg, err);

	const col *cols = workers ? WORKER_COLS_IMPORT : ENT_COLS_IMPORT;
	size_t ncols = workers ? sizeof WORKER_COLS_IMPORT / sizeof(col) : sizeof ENT_COLS_IMPORT / sizeof(col);
	int map[16];
	json_t *errs = json_array();
	long long nerr = 0;
	prepared *rows = NULL;
	size_t nrows = t->nrows ? t->nrows - 1 : 0;
	/* header row: find the columns by name (order and extra columns do not matter) */
	for (size_t k = 0; k < ncols; k++) {
		map[k] = -1;
		for (size_t j = 0; t->nrows && j < t->ncols[0]; j++) {
			const char *h = t->cells[0][j];
			while (*h == ' ')
				h++;
			if (strncmp(h, cols[k].label, strlen(cols[k].label)) == 0)
				map[k] = (int)j;
		}
	}
	for (size_t k = 0; k < ncols; k++) {
		int required = workers ? (strcmp(cols[k].field, "name") == 0 || strcmp(cols[k].field, "id_number") == 0 ||
					  strcmp(cols[k].field, "hire_date") == 0 ||
					  (strcmp(cols[k].field, "uscc") == 0 && !fixed_ent))
				       : (strcmp(cols[k].field, "uscc") == 0 || strcmp(cols[k].field, "name") == 0 ||
					  strcmp(cols[k].field, "area_id") == 0);
		if (required && map[k] < 0) {
			hx_err e = {0};
			hx_err_set(&e, HX_EINVAL, "missing_column", cols[k].field, "缺少“%s”列（请使用导入模板）",
				   cols[k].label);
			add_error(errs, &nerr, 0, cols[k].label, &e);
		}
	}
	if (nerr) {
		rc = finish_failed(c->db, id, errs, nerr, "文件表头不符合模板，未导入任何数据", err);
		goto done;
	}
	if (nrows == 0) {
		rc = finish_failed(c->db, id, errs, 0, "文件中没有数据行", err);
		goto done;
	}
	if (nrows > MAX_ROWS) {
		rc = finish_failed(c->db, id, errs, 0, "文件超过100000行，请拆分后导入", err);
		goto done;
	}
	rows = calloc(nrows, sizeof *rows);
	set_progress(c->db, id, "validating", 0, (long long)nrows);
	json_t *seen = json_object(); /* duplicates inside the file */
	long long cached_ent = 0;
	for (size_t i = 0; i < nrows; i++) {
		size_t tr = i + 1;
		int empty = 1;
		for (size_t j = 0; j < t->ncols[tr]; j++)
			if (t->cells[tr][j][0])
				empty = 0;
		if (empty) {
			rows[i].ent = NULL;
			rows[i].w.name = NULL;
			continue;
		}
		json_t *body = NULL;
		hx_err e = {0};
		if (row_body(&body, c, t, tr, cols, ncols, map, &e)) {
			add_error(errs, &nerr, tr, label_for(cols, ncols, e.field), &e);
			continue;
		}
		hx_arena_defer(c->arena, (void (*)(void *))json_decref, body);
		if (!workers) {
			json_t *f = json_object();
			hx_arena_defer(c->arena, (void (*)(void *))json_decref, f);
			if (hx_registry_enterprise_fields(c, body, 1, f, &e)) {
				add_error(errs, &nerr, tr, label_for(cols, ncols, e.field), &e);
				continue;
			}
			const char *u = json_string_value(json_object_get(f, "uscc"));
			long long dup;
			hx_err e2 = {0};
			hx_param pu[] = {hx_p_text(u)};
			if (json_object_get(seen, u)) {
				hx_err_set(&e, HX_ECONFLICT, "duplicate_uscc", "uscc", "统一社会信用代码%s在文件中重复（第%lld行）", u,
					   (long long)json_integer_value(json_object_get(seen, u)));
				add_error(errs, &nerr, tr, "统一社会信用代码", &e);
				continue;
			}
			json_object_set_new(seen, u, json_integer((json_int_t)tr + 1));
			if (hx_db_int(c->db, &dup, "SELECT id FROM enterprises WHERE uscc = ? AND deleted_at IS NULL", pu, 1, &e2) == 0) {
				hx_err_set(&e, HX_ECONFLICT, "duplicate_uscc", "uscc", "统一社会信用代码%s已登记", u);
				add_error(errs, &nerr, tr, "统一社会信用代码", &e);
				continue;
			}
			rows[i].ent = f;
		} else {
			long long ent = fixed_ent;
			const char *u = json_string_value(json_object_get(body, "uscc"));
			if (u) {
				long long byu = 0;
				if (hx_uscc_check(u, "uscc", &e) || hx_registry_enterprise_by_uscc(&byu, c, u, &e)) {
					add_error(errs, &nerr, tr, "统一社会信用代码", &e);
					continue;
				}
				if (fixed_ent && byu != fixed_ent) {
					hx_err_set(&e, HX_EINVAL, "enterprise_mismatch", "uscc", "该行的统一社会信用代码与所选企业不一致");
					add_error(errs, &nerr, tr, "统一社会信用代码", &e);
					continue;
				}
				ent = byu;
			}
			json_object_del(body, "uscc");
			json_object_set_new(body, "enterprise_id", json_integer(ent));
			hx_worker_row *w = &rows[i].w;
			if (hx_registry_worker_check(w, c, body, 1, &e)) {
				add_error(errs, &nerr, tr, label_for(cols, ncols, e.field), &e);
				w->name = NULL;
				continue;
			}
			if (ent != cached_ent) {
				if (hx_registry_enterprise_visible(c, ent, &e)) {
					add_error(errs, &nerr, tr, "统一社会信用代码", &e);
					w->name = NULL;
					continue;
				}
				cached_ent = ent;
			}
			char *key = hx_arena_printf(c->arena, "%lld:%s", ent, w->id_hash);
			if (!w->leave_date && json_object_get(seen, key)) {
				hx_err_set(&e, HX_ECONFLICT, "duplicate_worker", "id_number",
					   "身份证号码%s在文件中重复（第%lld行）", w->id_masked,
					   (long long)json_integer_value(json_object_get(seen, key)));
				add_error(errs, &nerr, tr, "身份证号码", &e);
				w->name = NULL;
				continue;
			}
			if (!w->leave_date)
				json_object_set_new(seen, key, json_integer((json_int_t)tr + 1));
			long long dup;
			hx_err e2 = {0};
			hx_param pd[] = {hx_p_int(ent), hx_p_text(w->id_hash)};
			if (!w->leave_date &&
			    hx_db_int(c->db, &dup, "SELECT id FROM workers WHERE enterprise_id = ? AND id_hash = ?"
						   " AND deleted_at IS NULL AND leave_date IS NULL", pd, 2, &e2) == 0) {
				hx_err_set(&e, HX_ECONFLICT, "duplicate_worker", "id_number",
					   "身份证号码%s已在该企业在职职工名册中", w->id_masked);
				add_error(errs, &nerr, tr, "身份证号码", &e);
				w->name = NULL;
				continue;
			}
		}
		if ((i + 1) % PROGRESS_EVERY == 0)
			set_progress(c->db, id, "validating", (long long)i + 1, (long long)nrows);
	}
	json_decref(seen);
	if (nerr) {
		char *msg = hx_arena_printf(c->arena, "发现%lld处错误，文件未导入，请修改后重新上传", nerr);
		rc = finish_failed(c->db, id, errs, nerr, msg, err);
		goto done;
	}
	set_progress(c->db, id, "importing", (long long)nrows, (long long)nrows);
	/* All rows are good: write them all, and the job's end, in one go. */
	if ((rc = hx_db_begin_write(c->db, err)))
		goto done;
	long long n = 0, newid;
	for (size_t i = 0; i < nrows && !rc; i++) {
		if (!workers && rows[i].ent) {
			rc = hx_registry_enterprise_insert(&newid, c, rows[i].ent, 0, err);
			n++;
		} else if (workers && rows[i].w.name) {
			rc = hx_registry_worker_insert(&newid, c, &rows[i].w, 0, err);
			n++;
		}
	}
	if (!rc) {
		json_t *ch = json_pack("{s:[n,s],s:[n,I]}", "filename", filename, "rows", (json_int_t)n);
		rc = hx_audit_write(c, "import", workers ? "worker" : "enterprise", fixed_ent, filename, ch, err);
		json_decref(ch);
	}
	if (!rc) {
		char now[21];
		hx_now_iso(now);
		char *msg = hx_arena_printf(c->arena, "成功导入%lld条", n);
		hx_param p[] = {hx_p_int(n), hx_p_text(msg), hx_p_text(now), hx_p_int(id)};
		rc = hx_db_exec(c->db,
				"UPDATE imports SET status = 'done', imported_rows = ?, message = ?, finished_at = ?,"
				" data = NULL WHERE id = ?",
				p, 4, NULL, err);
	}
	if (!rc)
		rc = hx_db_commit(c->db, err);
	if (rc) {
		hx_db_rollback(c->db);
		hx_err e2 = {0};
		json_t *one = json_array();
		json_array_append_new(one, json_pack("{s:i,s:s,s:s,s:s}", "row", 0, "column", "", "field", err->field,
						     "message", err->msg));
		finish_failed(c->db, id, one, 1, "写入时出错，未导入任何数据", &e2);
		json_decref(one);
	}
done:
	json_decref(errs);
	free(rows);
	hx_table_free(t);
	return rc;
}

int hx_registry_import_run_pending(struct hx_store *s, const struct hx_keys *keys, const char *data_dir,
				   hx_err *err)
{
	for (;;) {
		hx_db *db = NULL;
		int rc = hx_db_get(&db, s, err);
		if (rc)
			return rc;
		long long id = 0;
		hx_err e = {0};
		rc = hx_db_int(db, &id, "SELECT id FROM imports WHERE status = 'queued' ORDER BY id LIMIT 1", NULL, 0, &e);
		if (rc) {
			hx_db_put(db);
			return rc == HX_ENOTFOUND ? 0 : (*err = e, rc);
		}
		/* claim it; another process may have been quicker */
		long long changed = 0;
		hx_param p[] = {hx_p_int(id)};
		rc = hx_db_exec(db, "UPDATE imports SET status = 'validating' WHERE id = ? AND status = 'queued'", p, 1,
				&changed, err);
		if (!rc && changed) {
			hx_arena *a = hx_arena_new();
			hx_ctx c = {.db = db, .arena = a, .keys = keys, .data_dir = data_dir};
			rc = run_job(&c, id, err);
			hx_arena_free(a);
		}
		hx_db_put(db);
		if (rc)
			return rc;
	}
}

struct tmpl {
	int done;
	const char *const *vals;
	size_t n;
};

static int tmpl_row(void *ctx, const char **vals)
{
	struct tmpl *t = ctx;
	if (t->done++)
		return 0;
	for (size_t i = 0; i < t->n; i++)
		vals[i] = t->vals[i];
	return 1;
}

int hx_registry_import_template(char **out, size_t *len, const char *kind, hx_err *err)
{
	static const char *const ent_ex[] = {"91331125MA2A000019", "示例：云和县某某玩具有限公司", "张三",
					     "浙江省丽水市云和县浮云街道某路1号", "浮云街道", "C",
					     "2015-06-01", "120", "是", "是", "否", "是"};
	static const char *const w_ex[] = {"", "李四", "33112519900101123X", "13800000000", "2024-03-01",
					   "木制玩具装配工", "全日制", "", "2024-03-01", "2027-02-28"};
	const col *cols;
	size_t n;
	const char *const *ex;
	_Static_assert(sizeof w_ex / sizeof w_ex[0] == sizeof WORKER_COLS_IMPORT / sizeof(col), "one example per column");
	_Static_assert(sizeof ent_ex / sizeof ent_ex[0] == sizeof ENT_COLS_IMPORT / sizeof(col), "one example per column");
	if (kind && strcmp(kind, "workers") == 0) {
		cols = WORKER_COLS_IMPORT;
		n = sizeof WORKER_COLS_IMPORT / sizeof(col);
		ex = w_ex;
	} else if (kind && strcmp(kind, "enterprises") == 0) {
		cols = ENT_COLS_IMPORT;
		n = sizeof ENT_COLS_IMPORT / sizeof(col);
		ex = ent_ex;
	} else
		return hx_err_set(err, HX_EINVAL, "invalid_kind", "kind", "模板类型应为enterprises或workers");
	const char *header[16];
	for (size_t i = 0; i < n; i++)
		header[i] = cols[i].label;
	struct tmpl t = {0, ex, n};
	return hx_xlsx_write_mem(out, len, strcmp(kind, "workers") == 0 ? "职工名册" : "企业名录", n, header,
				 NULL, tmpl_row, &t, err);
}
