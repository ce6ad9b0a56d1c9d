/* The roster (职工名册): workers of an enterprise. The resident ID number is
 * checked (GB 11643-1999), sealed with AES-256-GCM at rest, found by a
 * keyed hash, and shown masked unless the caller holds pii.read. A worker
 * under 16 on the hire date is refused: that is child labor. */
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
#include "../trust/channels.h"

static const char *const ETYPES[] = {HX_EMPLOYMENT_TYPES, NULL};

const char *hx_registry_employment_type_key(const char *s)
{
	for (int i = 0; s && ETYPES[i]; i += 2)
		if (strcmp(ETYPES[i], s) == 0 || strcmp(ETYPES[i + 1], s) == 0)
			return ETYPES[i];
	return NULL;
}

static const char *etype_name(const char *k)
{
	for (int i = 0; k && ETYPES[i]; i += 2)
		if (strcmp(ETYPES[i], k) == 0)
			return ETYPES[i + 1];
	return NULL;
}

int hx_registry_phone_ok(const char *phone);

#define W_COLS \
	"w.id AS id, w.enterprise_id AS enterprise_id, e.name AS enterprise_name, w.name AS name, w.id_enc AS id_enc, w.id_masked AS id_masked, w.sex AS sex," \
	" w.birth_date AS birth_date, w.phone AS phone, w.hire_date AS hire_date, w.job AS job, w.employment_type AS employment_type, w.leave_date AS leave_date, w.is_demo AS is_demo," \
	" w.paper_contract_start AS paper_contract_start, w.paper_contract_end AS paper_contract_end," \
	" w.created_at AS created_at, w.updated_at AS updated_at"
#define W_FROM " FROM workers w JOIN enterprises e ON e.id = w.enterprise_id"

static void scope_workers(hx_buf *w, hx_param *p, int *np, const hx_principal *me)
{
	hx_registry_scope_enterprises(w, p, np, me);
	if (me->scope.kind == HX_SCOPE_SELF) {
		hx_buf_puts(w, " AND w.id = ?");
		p[(*np)++] = hx_p_int(me->scope.worker_id);
	}
}

static json_t *worker_json(hx_ctx *c, const hx_rows *r, int i)
{
	json_t *o = json_object();
	char today[11];
	hx_today(today);
	const char *birth = hx_rows_get(r, i, "birth_date");
	const char *hire = hx_rows_get(r, i, "hire_date");
	const char *masked = hx_rows_get(r, i, "id_masked");
	json_object_set_new(o, "id", json_integer(hx_rows_int(r, i, "id")));
	json_object_set_new(o, "enterprise_id", json_integer(hx_rows_int(r, i, "enterprise_id")));
	json_object_set_new(o, "enterprise_name", json_string(hx_rows_get(r, i, "enterprise_name")));
	json_object_set_new(o, "name", json_string(hx_rows_get(r, i, "name")));
	json_t *idn = json_string(masked);
	if (hx_can(c->me, HX_PERM_PII_READ)) {
		char *plain = NULL;
		hx_err e = {0};
		if (hx_open(&plain, c->keys->pii, hx_rows_get(r, i, "id_enc"), "workers.id_number", &e) == 0) {
			json_decref(idn);
			idn = json_string(plain);
			free(plain);
		}
	}
	json_object_set_new(o, "id_number", idn);
	json_object_set_new(o, "id_number_masked", json_string(masked));
	json_object_set_new(o, "sex", json_string(hx_rows_get(r, i, "sex")));
	json_object_set_new(o, "birth_date", json_string(birth));
	json_object_set_new(o, "age", json_integer(hx_age_on(birth, today)));
	int age_hire = hx_age_on(birth, hire);
	json_object_set_new(o, "minor", json_boolean(age_hire >= 16 && age_hire < 18));
	json_object_set_new(o, "phone", hx_json_str_or_null(hx_rows_get(r, i, "phone")));
	json_object_set_new(o, "hire_date", json_string(hire));
	json_object_set_new(o, "job", hx_json_str_or_null(hx_rows_get(r, i, "job")));
	const char *et = hx_rows_get(r, i, "employment_type");
	json_object_set_new(o, "employment_type", json_string(et));
	json_object_set_new(o, "employment_type_name", hx_json_str_or_null(etype_name(et)));
	json_object_set_new(o, "leave_date", hx_json_str_or_null(hx_rows_get(r, i, "leave_date")));
	json_object_set_new(o, "paper_contract_start", hx_json_str_or_null(hx_rows_get(r, i, "paper_contract_start")));
	json_object_set_new(o, "paper_contract_end", hx_json_str_or_null(hx_rows_get(r, i, "paper_contract_end")));
	json_object_set_new(o, "is_demo", json_boolean(hx_rows_int(r, i, "is_demo")));
	json_object_set_new(o, "created_at", json_string(hx_rows_get(r, i, "created_at")));
	json_object_set_new(o, "updated_at", json_string(hx_rows_get(r, i, "updated_at")));
	return o;
}

static int worker_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 2048);
	hx_param p[4];
	int np = 0;
	p[np++] = hx_p_int(id);
	hx_buf_puts(&w, "SELECT " W_COLS W_FROM " WHERE w.id = ? AND w.deleted_at IS NULL AND e.deleted_at IS NULL");
	scope_workers(&w, p, &np, c->me);
	hx_rows *r;
	int rc = hx_buf_failed(&w) ? hx_registry_query_too_long(err) : hx_db_query(c->db, c->arena, &r, w.data, p, np, err);
	hx_buf_free(&w);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "职工不存在或不在您的管理范围内");
	*out = worker_json(c, r, 0);
	return 0;
}

int hx_registry_worker_exists(hx_ctx *c, long long id, hx_err *err)
{
	json_t *o;
	int rc = worker_get(&o, c, id, err);
	json_decref(o);
	return rc;
}

int hx_registry_worker_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	int rc = worker_get(out, c, id, err);
	if (rc)
		return rc;
	json_t *h = NULL;
	if ((rc = hx_audit_history(&h, c, "worker", id, err))) {
		json_decref(*out);
		return rc;
	}
	json_object_set_new(*out, "history", h);
	return 0;
}

int hx_registry_phone_ok(const char *phone)
{
	size_t n = strlen(phone);
	if (n == 11 && phone[0] == '1' && phone[1] >= '3' && phone[1] <= '9') {
		for (size_t i = 0; i < n; i++)
			if (phone[i] < '0' || phone[i] > '9')
				return 0;
		return 1;
	}
	if (n < 7 || n > 20)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((phone[i] < '0' || phone[i] > '9') && phone[i] != '-')
			return 0;
	return 1;
}

int hx_registry_worker_check(hx_worker_row *row, hx_ctx *c, json_t *body, int creating, hx_err *err)
{
	int rc, present;
	const char *s;
	long long v;
	if (creating) {
		if ((rc = hx_json_get_int(&v, NULL, body, "enterprise_id", "所属企业", 1, 1, INT64_MAX, err)))
			return rc;
		row->enterprise_id = v;
	}
	if ((rc = hx_json_get_str(&s, &present, body, "name", "姓名", creating, 50, err)))
		return rc;
	if (present)
		row->name = s;
	if ((rc = hx_json_get_str(&s, &present, body, "id_number", "身份证号码", creating, 18, err)) &&
	    strcmp(err->key, "too_long") != 0)
		return rc;
	if (rc)
		return hx_idnum_check(json_string_value(json_object_get(body, "id_number")), NULL, "id_number", err);
	if (present) {
		hx_idnum_info info;
		if ((rc = hx_idnum_check(s, &info, "id_number", err)))
			return rc;
		char hash[65], masked[19], *sealed = NULL;
		hx_hmac_hex(hash, c->keys->pii_index, s, strlen(s));
		hx_idnum_mask(s, masked);
		if ((rc = hx_seal(&sealed, c->keys->pii, s, "workers.id_number", err)))
			return rc;
		row->id_enc = hx_arena_strdup(c->arena, sealed);
		free(sealed);
		row->id_hash = hx_arena_strdup(c->arena, hash);
		row->id_masked = hx_arena_strdup(c->arena, masked);
		row->birth = hx_arena_strdup(c->arena, info.birth);
		row->sexbuf[0] = info.sex;
		row->sexbuf[1] = '\0';
		row->sex = hx_arena_strdup(c->arena, row->sexbuf);
	}
	if (json_object_get(body, "phone")) {
		if ((rc = hx_json_get_str(&s, &present, body, "phone", "手机号码", 0, 20, err)))
			return rc;
		if (present && !hx_registry_phone_ok(s))
			return hx_err_set(err, HX_EINVAL, "invalid_phone", "phone",
					  "手机号码格式不正确（11位手机号码或带区号的固定电话）");
		row->phone = present ? s : NULL;
	}
	if ((rc = hx_json_get_date(&s, &present, body, "hire_date", "入职日期", creating, err)))
		return rc;
	if (present)
		row->hire_date = s;
	if (json_object_get(body, "job")) {
		if ((rc = hx_json_get_str(&s, &present, body, "job", "岗位", 0, 50, err)))
			return rc;
		row->job = present ? s : NULL;
	}
	if ((rc = hx_json_get_str(&s, &present, body, "employment_type", "用工形式", 0, 16, err)))
		return rc;
	if (present) {
		row->employment_type = hx_registry_employment_type_key(s);
		if (!row->employment_type)
			return hx_err_set(err, HX_EINVAL, "invalid_employment_type", "employment_type",
					  "用工形式应为全日制、非全日制或劳务派遣");
	} else if (creating)
		row->employment_type = "full_time";
	if (json_object_get(body, "leave_date")) {
		if ((rc = hx_json_get_date(&s, &present, body, "leave_date", "离职日期", 0, err)))
			return rc;
		row->leave_date = present ? s : NULL;
	}
	/* A paper contract on file counts toward the written-contract rate
	 * (劳动合同法 第十条: written, on paper or electronically). */
	if (json_object_get(body, "paper_contract_start")) {
		if ((rc = hx_json_get_date(&s, &present, body, "paper_contract_start", "纸质合同起始日期", 0, err)))
			return rc;
		row->paper_start = present ? s : NULL;
	}
	if (json_object_get(body, "paper_contract_end")) {
		if ((rc = hx_json_get_date(&s, &present, body, "paper_contract_end", "纸质合同终止日期", 0, err)))
			return rc;
		row->paper_end = present ? s : NULL;
	}
	/* Cross-field rules. */
	if (row->paper_end && !row->paper_start)
		return hx_err_set(err, HX_EINVAL, "paper_contract_start_required", "paper_contract_start",
				  "填写纸质合同终止日期时，应同时填写起始日期");
	if (row->paper_start && row->paper_end && strcmp(row->paper_end, row->paper_start) < 0)
		return hx_err_set(err, HX_EINVAL, "bad_date", "paper_contract_end", "纸质合同终止日期不能早于起始日期");
	if (row->birth && row->hire_date) {
		int age = hx_age_on(row->birth, row->hire_date);
		if (age < 16)
			return hx_err_set(err, HX_EINVAL, "child_labor", "hire_date",
					  "该职工入职时未满16周岁（%d岁），属于使用童工，不能登记（《劳动法》第十五条、"
					  "《禁止使用童工规定》第二条）",
					  age < 0 ? 0 : age);
		if (strcmp(row->hire_date, row->birth) < 0)
			return hx_err_set(err, HX_EINVAL, "bad_date", "hire_date", "入职日期早于出生日期");
	}
	if (row->leave_date && row->hire_date && strcmp(row->leave_date, row->hire_date) < 0)
		return hx_err_set(err, HX_EINVAL, "bad_date", "leave_date", "离职日期不能早于入职日期");
	return 0;
}

int hx_registry_worker_insert(long long *id, hx_ctx *c, const hx_worker_row *w, int demo, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_int(w->enterprise_id), hx_p_text(w->name), hx_p_text(w->id_enc),
			hx_p_text(w->id_hash), hx_p_text(w->id_masked), hx_p_text(w->sex),
			hx_p_text(w->birth), hx_p_text(w->phone), hx_p_text(w->hire_date), hx_p_text(w->job),
			hx_p_text(w->employment_type), hx_p_text(w->leave_date), hx_p_int(demo),
			hx_p_text(now), hx_p_text(now), hx_p_text(w->paper_start), hx_p_text(w->paper_end)};
	int rc = hx_db_int(c->db, id,
			   "INSERT INTO workers (enterprise_id, name, id_enc, id_hash, id_masked, sex,"
			   " birth_date, phone, hire_date, job, employment_type, leave_date, is_demo,"
			   " created_at, updated_at, paper_contract_start, paper_contract_end)"
			   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
			   " RETURNING id",
			   p, 17, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_worker", "id_number",
				  "该身份证号码已在本企业在职职工名册中（%s）", w->id_masked);
	return rc;
}

static json_t *audit_fields(const hx_worker_row *w)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", hx_json_str_or_null(w->name));
	json_object_set_new(o, "id_number", json_string(w->id_masked ? w->id_masked : ""));
	json_object_set_new(o, "phone", hx_json_str_or_null(w->phone));
	json_object_set_new(o, "hire_date", hx_json_str_or_null(w->hire_date));
	json_object_set_new(o, "job", hx_json_str_or_null(w->job));
	json_object_set_new(o, "employment_type", hx_json_str_or_null(w->employment_type));
	json_object_set_new(o, "leave_date", hx_json_str_or_null(w->leave_date));
	json_object_set_new(o, "paper_contract_start", hx_json_str_or_null(w->paper_start));
	json_object_set_new(o, "paper_contract_end", hx_json_str_or_null(w->paper_end));
	return o;
}

int hx_registry_worker_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	hx_worker_row w = {0};
	long long id;
	int rc;
	if ((rc = hx_registry_worker_check(&w, c, body, 1, err)))
		return rc;
	if (c->me->scope.kind == HX_SCOPE_SELF || c->me->scope.kind == HX_SCOPE_ORG)
		return hx_err_set(err, HX_EPERM, "forbidden", "", "没有权限登记职工");
	if ((rc = hx_registry_enterprise_visible(c, w.enterprise_id, err)))
		return rc == HX_ENOTFOUND ? hx_err_set(err, HX_EINVAL, "invalid_enterprise", "enterprise_id",
							"所属企业不存在或不在您的管理范围内")
					  : rc;
	if ((rc = hx_registry_worker_insert(&id, c, &w, 0, err)) || (rc = worker_get(out, c, id, err)))
		return rc;
	static const char *const secret[] = {"id_number", NULL};
	json_t *f = audit_fields(&w), *ch = hx_audit_diff(NULL, f, secret);
	rc = hx_audit_write(c, "create", "worker", id, w.name, ch, err);
	json_decref(f);
	json_decref(ch);
	return rc;
}

/* When the roster's phone of a worker changes, the old number is told:
 * the employer types the roster, and a number changed behind the worker's
 * back is how codes could be redirected. Contracts already sent keep the
 * number they were sent to (the contract module freezes it); this module
 * only writes the message. A landline or other number no channel can
 * reach is skipped. */
static int tell_old_phone(hx_ctx *c, const hx_worker_row *old, const hx_worker_row *now, hx_err *err)
{
	if (!old->phone || !*old->phone || (now->phone && strcmp(old->phone, now->phone) == 0) ||
	    !hx_message_channel(old->phone))
		return 0;
	hx_rows *r;
	hx_param p[] = {hx_p_int(old->enterprise_id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT name FROM enterprises WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	const char *ent = r->nrows ? hx_rows_get(r, 0, "name") : "用人单位";
	size_t n = now->phone ? strlen(now->phone) : 0;
	const char *to = n >= 7 ? hx_arena_printf(c->arena, "%.3s****%s", now->phone, now->phone + n - 4) : NULL;
	const char *text = hx_arena_printf(c->arena,
					   "【和谐劳动】%s已将职工名册中您的联系电话%s。已发出的劳动合同仍只向本号码发送验证码；"
					   "如非您本人要求，请联系用人单位或当地劳动保障监察机构。",
					   ent, to ? hx_arena_printf(c->arena, "变更为%s", to) : "删除");
	return hx_message_queue(c, old->phone, "联系电话变更", text, err);
}

int hx_registry_worker_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	json_t *before;
	int rc = worker_get(&before, c, id, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, before);
	if (c->me->scope.kind == HX_SCOPE_SELF || c->me->scope.kind == HX_SCOPE_ORG)
		return hx_err_set(err, HX_EPERM, "forbidden", "", "没有权限修改职工信息");
	/* current values, then the body's changes */
	hx_rows *r;
	hx_param q[] = {hx_p_int(id)};
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT enterprise_id, name, id_enc, id_hash, id_masked, sex, birth_date, phone,"
			      " hire_date, job, employment_type, leave_date, paper_contract_start, paper_contract_end"
			      " FROM workers WHERE id = ?",
			      q, 1, err)))
		return rc;
	hx_worker_row w = {
		.enterprise_id = hx_rows_int(r, 0, "enterprise_id"),
		.name = hx_rows_get(r, 0, "name"),
		.phone = hx_rows_get(r, 0, "phone"),
		.hire_date = hx_rows_get(r, 0, "hire_date"),
		.job = hx_rows_get(r, 0, "job"),
		.employment_type = hx_rows_get(r, 0, "employment_type"),
		.leave_date = hx_rows_get(r, 0, "leave_date"),
		.id_enc = hx_rows_get(r, 0, "id_enc"),
		.id_hash = hx_rows_get(r, 0, "id_hash"),
		.id_masked = hx_rows_get(r, 0, "id_masked"),
		.birth = hx_rows_get(r, 0, "birth_date"),
		.sex = hx_rows_get(r, 0, "sex"),
		.paper_start = hx_rows_get(r, 0, "paper_contract_start"),
		.paper_end = hx_rows_get(r, 0, "paper_contract_end"),
	};
	hx_worker_row old = w;
	if (json_object_get(body, "enterprise_id"))
		return hx_err_set(err, HX_EINVAL, "immutable", "enterprise_id", "不能修改职工的所属企业，请在新企业重新登记");
	if ((rc = hx_registry_worker_check(&w, c, body, 0, err)))
		return rc;
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(w.name), hx_p_text(w.id_enc), hx_p_text(w.id_hash), hx_p_text(w.id_masked),
			hx_p_text(w.sex), hx_p_text(w.birth), hx_p_text(w.phone), hx_p_text(w.hire_date),
			hx_p_text(w.job), hx_p_text(w.employment_type), hx_p_text(w.leave_date),
			hx_p_text(w.paper_start), hx_p_text(w.paper_end), hx_p_text(now), hx_p_int(id)};
	rc = hx_db_exec(c->db,
			"UPDATE workers SET name = ?, id_enc = ?, id_hash = ?, id_masked = ?, sex = ?,"
			" birth_date = ?, phone = ?, hire_date = ?, job = ?, employment_type = ?,"
			" leave_date = ?, paper_contract_start = ?, paper_contract_end = ?, updated_at = ? WHERE id = ?",
			p, 15, NULL, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_worker", "id_number",
				  "该身份证号码已在本企业在职职工名册中");
	if (rc || (rc = worker_get(out, c, id, err)))
		return rc;
	static const char *const secret[] = {"id_number", NULL};
	json_t *a = audit_fields(&old), *bb = audit_fields(&w);
	if (strcmp(old.id_hash, w.id_hash) == 0)
		json_object_set(bb, "id_number", json_object_get(a, "id_number"));
	json_t *ch = hx_audit_diff(a, bb, secret);
	rc = hx_audit_write(c, "update", "worker", id, w.name, ch, err);
	json_decref(a);
	json_decref(bb);
	json_decref(ch);
	if (!rc)
		rc = tell_old_phone(c, &old, &w, err);
	return rc;
}

int hx_registry_worker_delete(hx_ctx *c, long long id, hx_err *err)
{
	json_t *before;
	int rc = worker_get(&before, c, id, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, before);
	if (c->me->scope.kind == HX_SCOPE_SELF || c->me->scope.kind == HX_SCOPE_ORG)
		return hx_err_set(err, HX_EPERM, "forbidden", "", "没有权限删除职工");
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(now), hx_p_text(now), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE workers SET deleted_at = ?, updated_at = ? WHERE id = ?", p, 3, NULL, err)))
		return rc;
	return hx_audit_write(c, "delete", "worker", id, json_string_value(json_object_get(before, "name")),
			      NULL, err);
}

int hx_registry_worker_list(json_t **out, hx_ctx *c, const hx_worker_filter *f, long long page,
			    long long page_size, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 4096);
	hx_param p[16];
	int np = 0, rc;
	hx_buf_puts(&w, " WHERE w.deleted_at IS NULL AND e.deleted_at IS NULL");
	scope_workers(&w, p, &np, c->me);
	if (f->enterprise_id) {
		hx_buf_puts(&w, " AND w.enterprise_id = ?");
		p[np++] = hx_p_int(f->enterprise_id);
	}
	if (f->q && *f->q) {
		hx_idnum_info info;
		if (strlen(f->q) == 18 && hx_idnum_check(f->q, &info, "q", NULL) == 0) {
			char hash[65];
			hx_hmac_hex(hash, c->keys->pii_index, f->q, 18);
			hx_buf_puts(&w, " AND w.id_hash = ?");
			p[np++] = hx_p_text(hx_arena_strdup(c->arena, hash));
		} else {
			hx_buf_puts(&w, " AND w.name LIKE ? ESCAPE '\\'");
			p[np++] = hx_p_text(hx_store_like_pattern(c->arena, f->q));
		}
	}
	if (f->employment_type && *f->employment_type) {
		const char *k = hx_registry_employment_type_key(f->employment_type);
		if (!k) {
			rc = hx_err_set(err, HX_EINVAL, "invalid_employment_type", "employment_type", "用工形式无效");
			goto done;
		}
		hx_buf_puts(&w, " AND w.employment_type = ?");
		p[np++] = hx_p_text(k);
	}
	if (f->active == 1)
		hx_buf_puts(&w, " AND w.leave_date IS NULL");
	else if (f->active == 0)
		hx_buf_puts(&w, " AND w.leave_date IS NOT NULL");
	const char *order = "w.id DESC";
	if (f->sort && *f->sort) {
		static const struct {
			const char *key, *asc, *desc;
		} sorts[] = {{"name", "w.name, w.id", "w.name DESC, w.id DESC"},
			     {"hire_date", "w.hire_date, w.id", "w.hire_date DESC, w.id DESC"},
			     {"birth_date", "w.birth_date, w.id", "w.birth_date DESC, w.id DESC"},
			     {"created_at", "w.id", "w.id DESC"}};
		int desc = f->sort[0] == '-';
		size_t i;
		for (i = 0; i < 4; i++)
			if (strcmp(sorts[i].key, f->sort + desc) == 0) {
				order = desc ? sorts[i].desc : sorts[i].asc;
				break;
			}
		if (i == 4) {
			rc = hx_err_set(err, HX_EINVAL, "invalid_sort", "sort", "不支持该排序方式");
			goto done;
		}
	}
	long long total = 0;
	if (hx_buf_failed(&w)) {
		rc = hx_registry_query_too_long(err);
		goto done;
	}
	char *csql = hx_arena_printf(c->arena, "SELECT count(*)" W_FROM "%s", w.data);
	if (c->me->scope.kind == HX_SCOPE_COUNTY || c->me->scope.kind == HX_SCOPE_AREA)
		rc = hx_registry_count(&total, c, 2, csql, p, np, err);
	else
		rc = hx_db_int(c->db, &total, csql, p, np, err);
	if (rc)
		goto done;
	char *sql;
	if (page_size > 0) {
		sql = hx_arena_printf(c->arena, "SELECT " W_COLS W_FROM "%s ORDER BY %s LIMIT ? OFFSET ?", w.data, order);
		p[np++] = hx_p_int(page_size);
		p[np++] = hx_p_int((page - 1) * page_size);
	} else
		sql = hx_arena_printf(c->arena, "SELECT " W_COLS W_FROM "%s ORDER BY %s", w.data, order);
	hx_rows *r;
	if ((rc = hx_db_query(c->db, c->arena, &r, sql, p, np, err)))
		goto done;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, worker_json(c, r, i));
	*out = json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "page",
			 (json_int_t)page, "page_size", (json_int_t)page_size);
done:
	hx_buf_free(&w);
	return rc;
}
