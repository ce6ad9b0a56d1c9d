/* Unit tests of the registry's data scope (src/registry): what each kind of
 * principal — county, area (乡镇/街道/园区), enterprise, agency, worker —
 * may list and fetch, the masking of ID numbers for those without pii.read,
 * soft deletion, and list totals staying right after changes (the count
 * cache, src/registry/count_cache.c).
 *
 * One SQLite store in a temp folder serves the whole program: the group
 * set-up loads the county's areas and organizations and registers four
 * enterprises (two in 浮云街道, one in 石塘镇, one in the 开发区 park) with
 * workers. Each case runs in its own write transaction and commits it: the
 * count cache is process-wide and keyed by the store's change counters, so
 * rolling a case back would let the next case's changes reuse counter
 * values. Cases therefore add rows of their own and assert relative to the
 * data they find, never on absolute row numbers left by other cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account/account.h"
#include "core/arena.h"
#include "core/crypto.h"
#include "core/ids.h"
#include "registry/registry.h"
#include "registry/registry_impl.h"
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
	/* areas */
	long long fuyun, shitang, park;
	/* enterprises */
	long long e_fuyun1, e_fuyun2, e_shitang, e_park;
	/* workers, and the ID number of w_fuyun1 */
	long long w_fuyun1, w_fuyun2, w_shitang;
	char id_fuyun1[19];
} fx;

#define OK(e)                                                                                  \
	do {                                                                                   \
		int rc_ = (e);                                                                 \
		if (rc_)                                                                       \
			fail_msg("%s -> %d [%s] %s (field %s)", #e, rc_, f->err.key, f->err.msg, \
				 f->err.field);                                                \
	} while (0)

static unsigned g_serial; /* makes every USCC and ID number unique */

/* ---- helpers ---- */

/* A principal with the role's permissions and scope kind; the scope's id
 * is set by the caller. */
static void principal(hx_principal *p, const char *role)
{
	const hx_role *r = hx_account_role(role);
	assert_non_null(r);
	memset(p, 0, sizeof *p);
	p->username = role;
	p->display_name = role;
	p->role = r->key;
	p->perms = r->perms;
	p->scope.kind = r->scope_kind;
}

/* A scope clause that does not fit is an error, never a query without
 * it: the builder says so, and the text stays failed. */
static void test_scope_clause_that_does_not_fit_is_an_error(void **s)
{
	(void)s;
	hx_principal me;
	principal(&me, "area_officer");
	me.scope.area_id = 7;
	hx_buf w;
	hx_param p[4];
	int np = 0;
	hx_buf_init(&w, 48);
	assert_int_equal(hx_buf_puts(&w, "SELECT e.id FROM enterprises e WHERE 1 = 1"), 0);
	assert_int_not_equal(hx_registry_scope_enterprises(&w, p, &np, &me), 0);
	assert_int_not_equal(hx_buf_failed(&w), 0);
	hx_buf_free(&w);
	/* with room, the clause is there and the builder answers 0 */
	hx_buf_init(&w, 4096);
	np = 0;
	hx_buf_puts(&w, "SELECT e.id FROM enterprises e WHERE 1 = 1");
	assert_int_equal(hx_registry_scope_enterprises(&w, p, &np, &me), 0);
	assert_non_null(strstr(w.data, "e.area_id IN"));
	assert_int_equal(np, 1);
	hx_buf_free(&w);
}

static void act_as(fx *f, const hx_principal *p)
{
	f->c.me = p;
}

static long long area_named(fx *f, const char *name)
{
	long long id = 0;
	hx_param p[] = {hx_p_text(name)};
	OK(hx_db_int(f->db, &id, "SELECT id FROM areas WHERE name = ?", p, 1, &f->err));
	return id;
}

static long long sql_count(fx *f, const char *sql, long long arg)
{
	long long n = -1;
	hx_param p[] = {hx_p_int(arg)};
	OK(hx_db_int(f->db, &n, sql, p, strchr(sql, '?') ? 1 : 0, &f->err));
	return n;
}

/* Registers an enterprise as the command line; returns its id. */
static long long make_enterprise(fx *f, const char *name, long long area_id)
{
	char uscc[19];
	snprintf(uscc, sizeof uscc, "91331125MA2A%05u", ++g_serial);
	uscc[17] = hx_uscc_check_char(uscc);
	uscc[18] = '\0';
	assert_int_not_equal(uscc[17], 0);
	const hx_principal *was = f->c.me;
	act_as(f, &f->cli);
	json_t *body = json_pack("{s:s,s:s,s:I}", "uscc", uscc, "name", name, "area_id", (json_int_t)area_id);
	json_t *out = NULL;
	OK(hx_registry_enterprise_create(&out, &f->c, body, &f->err));
	long long id = json_integer_value(json_object_get(out, "id"));
	assert_true(id > 0);
	json_decref(out);
	json_decref(body);
	f->c.me = was;
	return id;
}

/* A valid resident ID number of the county born 1990-01-01 (serial-based). */
static void make_idnum(char out[19])
{
	snprintf(out, 19, "33112519900101%03u", ++g_serial % 1000);
	out[17] = hx_idnum_check_char(out);
	out[18] = '\0';
}

/* Registers a worker as the command line; returns its id. */
static long long make_worker(fx *f, long long enterprise_id, const char *name, char idnum[19])
{
	char local[19];
	if (!idnum)
		idnum = local;
	make_idnum(idnum);
	const hx_principal *was = f->c.me;
	act_as(f, &f->cli);
	json_t *body = json_pack("{s:I,s:s,s:s,s:s}", "enterprise_id", (json_int_t)enterprise_id, "name", name,
				 "id_number", idnum, "hire_date", "2020-03-01");
	json_t *out = NULL;
	OK(hx_registry_worker_create(&out, &f->c, body, &f->err));
	long long id = json_integer_value(json_object_get(out, "id"));
	assert_true(id > 0);
	json_decref(out);
	json_decref(body);
	f->c.me = was;
	return id;
}

static void delete_enterprise(fx *f, long long id)
{
	const hx_principal *was = f->c.me;
	act_as(f, &f->cli);
	OK(hx_registry_enterprise_delete(&f->c, id, &f->err));
	f->c.me = was;
}

static const hx_enterprise_filter ANY_ENTERPRISE = {.above_scale = -1, .is_company = -1,
						    .newly_registered = -1, .special_difficulty = -1,
						    .is_sme = -1};

/* Every enterprise the current principal may see (page_size 0: all rows). */
static json_t *list_enterprises(fx *f)
{
	json_t *out = NULL;
	OK(hx_registry_enterprise_list(&out, &f->c, &ANY_ENTERPRISE, 1, 0, &f->err));
	assert_non_null(out);
	return out;
}

static json_t *list_workers(fx *f, long long enterprise_id)
{
	hx_worker_filter wf = {.enterprise_id = enterprise_id, .active = -1};
	json_t *out = NULL;
	OK(hx_registry_worker_list(&out, &f->c, &wf, 1, 0, &f->err));
	assert_non_null(out);
	return out;
}

static long long total_of(const json_t *list)
{
	return json_integer_value(json_object_get(list, "total"));
}

static json_t *item_with_id(const json_t *list, long long id)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(list, "items"), i, it)
		if (json_integer_value(json_object_get(it, "id")) == id)
			return it;
	return NULL;
}

static int enterprise_get(fx *f, long long id)
{
	json_t *out = NULL;
	hx_err_clear(&f->err);
	int rc = hx_registry_enterprise_get(&out, &f->c, id, &f->err);
	json_decref(rc ? NULL : out);
	return rc;
}

static int worker_get(fx *f, long long id)
{
	json_t *out = NULL;
	hx_err_clear(&f->err);
	int rc = hx_registry_worker_get(&out, &f->c, id, &f->err);
	json_decref(rc ? NULL : out);
	return rc;
}

/* ---- fixture ---- */

static int group_setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	const char *root = getenv("HEXIE_SOURCE_ROOT");
	if (!root)
		fail_msg("HEXIE_SOURCE_ROOT is not set (run through meson test)");
	snprintf(f->data_dir, sizeof f->data_dir, "%s/data", root);
	snprintf(f->dir, sizeof f->dir, "/tmp/hx-scope-test-XXXXXX");
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
	int loaded = 0;
	OK(hx_registry_areas_load(&f->c, areas, &loaded, &f->err));
	assert_int_equal(loaded, 12); /* the county and its 11 areas */
	OK(hx_account_org_seed(&f->c, &f->err));
	f->fuyun = area_named(f, "浮云街道");
	f->shitang = area_named(f, "石塘镇");
	f->park = area_named(f, "浙江云和经济开发区");
	f->e_fuyun1 = make_enterprise(f, "云和浮云木玩有限公司", f->fuyun);
	f->e_fuyun2 = make_enterprise(f, "云和浮云竹制品厂", f->fuyun);
	f->e_shitang = make_enterprise(f, "石塘水电站有限公司", f->shitang);
	f->e_park = make_enterprise(f, "开发区精工机械有限公司", f->park);
	f->w_fuyun1 = make_worker(f, f->e_fuyun1, "张三", f->id_fuyun1);
	f->w_fuyun2 = make_worker(f, f->e_fuyun1, "李四", NULL);
	f->w_shitang = make_worker(f, f->e_shitang, "王五", NULL);
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
	if (hx_db_in_tx(f->db) && hx_db_commit(f->db, &f->err))
		hx_db_rollback(f->db);
	hx_arena_free(f->c.arena);
	f->c.arena = NULL;
	f->c.me = &f->cli;
	return 0;
}

/* ---- county ---- */

static void test_county_admin_lists_every_enterprise(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "admin");
	assert_int_equal(me.scope.kind, HX_SCOPE_COUNTY);
	act_as(f, &me);
	json_t *l = list_enterprises(f);
	long long all = sql_count(f, "SELECT count(*) FROM enterprises WHERE deleted_at IS NULL", 0);
	assert_int_equal(total_of(l), all);
	assert_int_equal(json_array_size(json_object_get(l, "items")), (size_t)all);
	assert_non_null(item_with_id(l, f->e_fuyun1));
	assert_non_null(item_with_id(l, f->e_fuyun2));
	assert_non_null(item_with_id(l, f->e_shitang));
	assert_non_null(item_with_id(l, f->e_park));
	json_decref(l);
	assert_int_equal(enterprise_get(f, f->e_shitang), 0);
	assert_int_equal(worker_get(f, f->w_shitang), 0);
}

/* ---- area ---- */

static void test_area_officer_lists_only_own_area(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "area_officer");
	assert_int_equal(me.scope.kind, HX_SCOPE_AREA);
	me.scope.area_id = f->fuyun;
	act_as(f, &me);
	json_t *l = list_enterprises(f);
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(l, "items"), i, it)
		assert_int_equal(json_integer_value(json_object_get(it, "area_id")), f->fuyun);
	long long n = sql_count(f, "SELECT count(*) FROM enterprises WHERE deleted_at IS NULL AND area_id = ?",
				f->fuyun);
	assert_int_equal(total_of(l), n);
	assert_int_equal(json_array_size(json_object_get(l, "items")), (size_t)n);
	assert_non_null(item_with_id(l, f->e_fuyun1));
	assert_non_null(item_with_id(l, f->e_fuyun2));
	assert_null(item_with_id(l, f->e_shitang));
	assert_null(item_with_id(l, f->e_park));
	json_decref(l);
}

static void test_area_officer_gets_not_found_outside_area(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "area_officer");
	me.scope.area_id = f->fuyun;
	act_as(f, &me);
	assert_int_equal(enterprise_get(f, f->e_fuyun1), 0);
	assert_int_equal(enterprise_get(f, f->e_shitang), HX_ENOTFOUND);
	assert_int_equal(enterprise_get(f, f->e_park), HX_ENOTFOUND);
	assert_int_equal(worker_get(f, f->w_fuyun1), 0);
	assert_int_equal(worker_get(f, f->w_shitang), HX_ENOTFOUND);
	/* the roster of another area is empty, not an error */
	json_t *l = list_workers(f, f->e_shitang);
	assert_int_equal(total_of(l), 0);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
	json_decref(l);
}

static void test_area_officer_cannot_register_enterprise_outside_area(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "area_officer");
	me.scope.area_id = f->fuyun;
	act_as(f, &me);
	char uscc[19];
	snprintf(uscc, sizeof uscc, "91331125MA2A%05u", ++g_serial);
	uscc[17] = hx_uscc_check_char(uscc);
	uscc[18] = '\0';
	json_t *body = json_pack("{s:s,s:s,s:I}", "uscc", uscc, "name", "越界登记公司", "area_id",
				 (json_int_t)f->shitang);
	json_t *out = NULL;
	assert_int_equal(hx_registry_enterprise_create(&out, &f->c, body, &f->err), HX_EINVAL);
	assert_string_equal(f->err.field, "area_id");
	json_decref(body);
}

static void test_park_officer_sees_only_park(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "area_officer");
	me.scope.area_id = f->park;
	act_as(f, &me);
	json_t *l = list_enterprises(f);
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(l, "items"), i, it)
		assert_int_equal(json_integer_value(json_object_get(it, "area_id")), f->park);
	assert_int_equal(total_of(l),
			 sql_count(f, "SELECT count(*) FROM enterprises WHERE deleted_at IS NULL AND area_id = ?",
				   f->park));
	assert_non_null(item_with_id(l, f->e_park));
	assert_null(item_with_id(l, f->e_fuyun1));
	json_decref(l);
	assert_int_equal(enterprise_get(f, f->e_park), 0);
	assert_int_equal(enterprise_get(f, f->e_fuyun1), HX_ENOTFOUND);
}

/* ---- enterprise ---- */

static void test_enterprise_hr_sees_exactly_own_enterprise(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "enterprise_hr");
	assert_int_equal(me.scope.kind, HX_SCOPE_ENTERPRISE);
	me.scope.enterprise_id = f->e_fuyun1;
	act_as(f, &me);
	json_t *l = list_enterprises(f);
	assert_int_equal(total_of(l), 1);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
	assert_non_null(item_with_id(l, f->e_fuyun1));
	json_decref(l);
	assert_int_equal(enterprise_get(f, f->e_fuyun1), 0);
	assert_int_equal(enterprise_get(f, f->e_fuyun2), HX_ENOTFOUND);
}

static void test_enterprise_hr_gets_not_found_for_other_enterprise_worker(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "enterprise_hr");
	me.scope.enterprise_id = f->e_fuyun1;
	act_as(f, &me);
	assert_int_equal(worker_get(f, f->w_fuyun1), 0);
	assert_int_equal(worker_get(f, f->w_shitang), HX_ENOTFOUND);
	json_t *l = list_workers(f, 0);
	assert_int_equal(total_of(l),
			 sql_count(f, "SELECT count(*) FROM workers WHERE deleted_at IS NULL AND enterprise_id = ?",
				   f->e_fuyun1));
	assert_null(item_with_id(l, f->w_shitang));
	json_decref(l);
}

static void test_enterprise_hr_cannot_register_worker_in_other_enterprise(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "enterprise_hr");
	me.scope.enterprise_id = f->e_fuyun1;
	act_as(f, &me);
	long long before = sql_count(f, "SELECT count(*) FROM workers WHERE enterprise_id = ?", f->e_shitang);
	char idnum[19];
	make_idnum(idnum);
	json_t *body = json_pack("{s:I,s:s,s:s,s:s}", "enterprise_id", (json_int_t)f->e_shitang, "name", "赵六",
				 "id_number", idnum, "hire_date", "2021-05-10");
	json_t *out = NULL;
	int rc = hx_registry_worker_create(&out, &f->c, body, &f->err);
	json_decref(body);
	assert_true(rc == HX_EINVAL || rc == HX_ENOTFOUND);
	if (rc == HX_EINVAL)
		assert_string_equal(f->err.field, "enterprise_id");
	assert_int_equal(sql_count(f, "SELECT count(*) FROM workers WHERE enterprise_id = ?", f->e_shitang),
			 before);
}

/* ---- agency ---- */

static void test_agency_sees_only_assigned_enterprises(void **state)
{
	fx *f = *state;
	char name[64];
	snprintf(name, sizeof name, "云和县劳动关系服务中心%u", ++g_serial);
	json_t *body = json_pack("{s:s,s:s}", "name", name, "kind", "agency");
	json_t *org = NULL;
	OK(hx_account_org_create(&org, &f->c, body, &f->err));
	json_decref(body);
	long long org_id = json_integer_value(json_object_get(org, "id"));
	json_decref(org);
	assert_true(org_id > 0);

	hx_principal me;
	principal(&me, "agency");
	assert_int_equal(me.scope.kind, HX_SCOPE_ORG);
	me.org_id = me.scope.org_id = org_id;
	act_as(f, &me);

	/* before assignment: nothing */
	json_t *l = list_enterprises(f);
	assert_int_equal(total_of(l), 0);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
	json_decref(l);
	assert_int_equal(enterprise_get(f, f->e_fuyun2), HX_ENOTFOUND);

	act_as(f, &f->cli);
	json_t *ids = json_pack("[I,I]", (json_int_t)f->e_fuyun2, (json_int_t)f->e_park);
	OK(hx_registry_agency_assign(&f->c, org_id, ids, &f->err));
	json_decref(ids);

	act_as(f, &me);
	l = list_enterprises(f);
	assert_int_equal(total_of(l), 2);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
	assert_non_null(item_with_id(l, f->e_fuyun2));
	assert_non_null(item_with_id(l, f->e_park));
	json_decref(l);
	assert_int_equal(enterprise_get(f, f->e_park), 0);
	assert_int_equal(enterprise_get(f, f->e_fuyun1), HX_ENOTFOUND);
	assert_int_equal(enterprise_get(f, f->e_shitang), HX_ENOTFOUND);
	assert_int_equal(worker_get(f, f->w_fuyun1), HX_ENOTFOUND); /* e_fuyun1 is not assigned */
}

/* ---- worker (self) ---- */

static void test_worker_sees_only_own_record_and_enterprise(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "worker");
	assert_int_equal(me.scope.kind, HX_SCOPE_SELF);
	me.scope.worker_id = f->w_fuyun1;
	act_as(f, &me);
	json_t *l = list_workers(f, 0);
	assert_int_equal(total_of(l), 1);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
	assert_non_null(item_with_id(l, f->w_fuyun1));
	json_decref(l);
	/* a colleague in the same enterprise is not theirs to see */
	assert_int_equal(worker_get(f, f->w_fuyun2), HX_ENOTFOUND);
	assert_int_equal(worker_get(f, f->w_fuyun1), 0);

	l = list_enterprises(f);
	assert_int_equal(total_of(l), 1);
	assert_non_null(item_with_id(l, f->e_fuyun1));
	json_decref(l);
	assert_int_equal(enterprise_get(f, f->e_fuyun1), 0);
	assert_int_equal(enterprise_get(f, f->e_fuyun2), HX_ENOTFOUND);
}

/* ---- personal data ---- */

static void test_worker_list_masks_id_number_without_pii_read(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "admin");
	assert_false(hx_can(&me, HX_PERM_PII_READ));
	act_as(f, &me);
	json_t *l = list_workers(f, f->e_fuyun1);
	json_t *w = item_with_id(l, f->w_fuyun1);
	assert_non_null(w);
	char masked[19];
	snprintf(masked, sizeof masked, "331125********%s", f->id_fuyun1 + 14);
	assert_string_equal(json_string_value(json_object_get(w, "id_number")), masked);
	assert_string_equal(json_string_value(json_object_get(w, "id_number_masked")), masked);
	json_decref(l);
}

static void test_worker_list_shows_full_id_number_with_pii_read(void **state)
{
	fx *f = *state;
	hx_principal me;
	principal(&me, "enterprise_hr");
	assert_true(hx_can(&me, HX_PERM_PII_READ));
	me.scope.enterprise_id = f->e_fuyun1;
	act_as(f, &me);
	json_t *l = list_workers(f, 0);
	json_t *w = item_with_id(l, f->w_fuyun1);
	assert_non_null(w);
	assert_string_equal(json_string_value(json_object_get(w, "id_number")), f->id_fuyun1);
	assert_string_not_equal(json_string_value(json_object_get(w, "id_number_masked")), f->id_fuyun1);
	json_decref(l);
}

/* ---- soft deletion ---- */

static void test_deleted_enterprise_hidden_without_delete_permission(void **state)
{
	fx *f = *state;
	long long id = make_enterprise(f, "浮云即将注销公司", f->fuyun);
	delete_enterprise(f, id);

	hx_principal me;
	principal(&me, "area_officer");
	assert_false(hx_can(&me, HX_PERM_REGISTRY_DELETE));
	me.scope.area_id = f->fuyun;
	act_as(f, &me);
	json_t *l = list_enterprises(f);
	assert_null(item_with_id(l, id));
	assert_non_null(item_with_id(l, f->e_fuyun1));
	json_decref(l);
	assert_int_equal(enterprise_get(f, id), HX_ENOTFOUND);

	/* with registry.delete it stays reachable (to restore), marked deleted */
	hx_principal officer;
	principal(&officer, "county_officer");
	assert_true(hx_can(&officer, HX_PERM_REGISTRY_DELETE));
	act_as(f, &officer);
	json_t *e = NULL;
	OK(hx_registry_enterprise_get(&e, &f->c, id, &f->err));
	assert_true(json_is_string(json_object_get(e, "deleted_at")));
	json_decref(e);
	l = list_enterprises(f);
	assert_null(item_with_id(l, id));
	json_decref(l);
}

/* ---- list totals (count cache) ---- */

static void assert_enterprise_total(fx *f, long long want)
{
	json_t *l = NULL;
	OK(hx_registry_enterprise_list(&l, &f->c, &ANY_ENTERPRISE, 1, 2, &f->err));
	assert_int_equal(total_of(l), want);
	json_decref(l);
}

static void test_enterprise_total_follows_create_and_delete(void **state)
{
	fx *f = *state;
	hx_principal county, area;
	principal(&county, "admin");
	principal(&area, "area_officer");
	area.scope.area_id = f->fuyun;

	act_as(f, &county);
	long long nc = sql_count(f, "SELECT count(*) FROM enterprises WHERE deleted_at IS NULL", 0);
	assert_enterprise_total(f, nc); /* primes the cache */
	act_as(f, &area);
	long long na = sql_count(f, "SELECT count(*) FROM enterprises WHERE deleted_at IS NULL AND area_id = ?",
				 f->fuyun);
	assert_enterprise_total(f, na);

	long long id = make_enterprise(f, "浮云新开木业有限公司", f->fuyun);
	act_as(f, &county);
	assert_enterprise_total(f, nc + 1);
	act_as(f, &area);
	assert_enterprise_total(f, na + 1);

	delete_enterprise(f, id);
	act_as(f, &county);
	assert_enterprise_total(f, nc);
	act_as(f, &area);
	assert_enterprise_total(f, na);
}

static void test_worker_total_follows_create_and_delete(void **state)
{
	fx *f = *state;
	hx_principal county;
	principal(&county, "admin");
	act_as(f, &county);
	json_t *l = list_workers(f, 0);
	long long n = total_of(l);
	json_decref(l);
	assert_int_equal(n, sql_count(f,
				      "SELECT count(*) FROM workers w JOIN enterprises e ON e.id = w.enterprise_id"
				      " WHERE w.deleted_at IS NULL AND e.deleted_at IS NULL",
				      0));

	long long w = make_worker(f, f->e_fuyun2, "钱七", NULL);
	l = list_workers(f, 0);
	assert_int_equal(total_of(l), n + 1);
	json_decref(l);

	act_as(f, &f->cli);
	OK(hx_registry_worker_delete(&f->c, w, &f->err));
	act_as(f, &county);
	l = list_workers(f, 0);
	assert_int_equal(total_of(l), n);
	json_decref(l);

	/* deleting an enterprise (no worker row changes) hides its roster */
	long long e = make_enterprise(f, "浮云短命公司", f->fuyun);
	make_worker(f, e, "孙八", NULL);
	l = list_workers(f, 0);
	assert_int_equal(total_of(l), n + 1);
	json_decref(l);
	delete_enterprise(f, e);
	l = list_workers(f, 0);
	assert_int_equal(total_of(l), n);
	json_decref(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scope_clause_that_does_not_fit_is_an_error),
		cmocka_unit_test_setup_teardown(test_county_admin_lists_every_enterprise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_area_officer_lists_only_own_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_area_officer_gets_not_found_outside_area, setup, teardown),
		cmocka_unit_test_setup_teardown(test_area_officer_cannot_register_enterprise_outside_area, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_park_officer_sees_only_park, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enterprise_hr_sees_exactly_own_enterprise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enterprise_hr_gets_not_found_for_other_enterprise_worker, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_enterprise_hr_cannot_register_worker_in_other_enterprise, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_agency_sees_only_assigned_enterprises, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_sees_only_own_record_and_enterprise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_list_masks_id_number_without_pii_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_list_shows_full_id_number_with_pii_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_enterprise_hidden_without_delete_permission, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_enterprise_total_follows_create_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_total_follows_create_and_delete, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
