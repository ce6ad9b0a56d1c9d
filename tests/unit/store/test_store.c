/* Unit tests of the store (src/store): every case runs against SQLite (files
 * in a temp folder) and, when HEXIE_TEST_PG_URL is set, against PostgreSQL
 * in schemas of its own (so other tests sharing the server are not
 * disturbed); without the URL the PostgreSQL cases are skipped.
 *
 * This file is built twice (tests/unit/store/meson.build). `test_store`
 * defines HX_TEST_FIXTURE_MIGRATIONS and supplies its own hx_migrations,
 * which the linker then takes instead of the embedded ones from libhexie.a:
 * the cases get a schema they know (a restore only accepts tables that
 * migrations make) and do not depend on other modules' SQL.
 * `test_store_migrations` keeps the real embedded migrations and proves
 * they apply once, back up and restore on both backends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "store/store.h"
#include "store/store_impl.h"

#ifdef HX_TEST_FIXTURE_MIGRATIONS
/* The fixture schema: an id table with a unique column, a child table with
 * a foreign key and a trigger refusing updates (dialect sections), and a
 * table keyed by text (no id sequence). The trigger function uses CREATE OR
 * REPLACE because a restore drops tables, not functions, then migrates. */
const hx_migration hx_migrations[] = {
	{"test/001_items", "CREATE TABLE t_items (\n"
			   "  id {{ID}},\n"
			   "  name TEXT NOT NULL UNIQUE,\n"
			   "  qty BIGINT,\n"
			   "  note TEXT\n"
			   ");\n"},
	{"test/002_lines", "CREATE TABLE t_lines (\n"
			   "  id {{ID}},\n"
			   "  item_id BIGINT NOT NULL REFERENCES t_items (id),\n"
			   "  label TEXT\n"
			   ");\n"
			   "-- @sqlite\n"
			   "CREATE TRIGGER t_lines_frozen BEFORE UPDATE ON t_lines\n"
			   "BEGIN SELECT RAISE(ABORT, 'lines are read-only'); END;\n"
			   "-- @pg\n"
			   "CREATE OR REPLACE FUNCTION t_lines_frozen() RETURNS trigger\n"
			   "LANGUAGE plpgsql AS $$\n"
			   "BEGIN RAISE EXCEPTION 'lines are read-only; no ? here'; END $$;\n"
			   "CREATE TRIGGER t_lines_frozen BEFORE UPDATE ON t_lines\n"
			   "  FOR EACH ROW EXECUTE FUNCTION t_lines_frozen();\n"
			   "-- @both\n"
			   "CREATE TABLE t_settings (k TEXT PRIMARY KEY, v TEXT);\n"},
	{0, 0},
};
const size_t hx_migrations_count = 2;
#endif

/* Which backend the group being run uses. */
static int g_pg;
static const char *g_pg_url;

#define NSTORES 4

typedef struct fx {
	int pg;
	char dir[64];		/* temp folder (SQLite files) */
	char schema[NSTORES][48]; /* PostgreSQL schemas, one per store */
	hx_store *stores[NSTORES];
	hx_err err;
} fx;

#define CHECK(e)                                                                               \
	do {                                                                                   \
		int rc_ = (e);                                                                 \
		if (rc_)                                                                       \
			fail_msg("%s -> %d [%s] %s", #e, rc_, f->err.key, f->err.msg);          \
	} while (0)

#define P(...) ((const hx_param[]){__VA_ARGS__})
#define NP(...) ((int)(sizeof((const hx_param[]){__VA_ARGS__}) / sizeof(hx_param)))

/* Runs sql on a direct libpq connection (schema set-up, sabotage). */
static void pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(g_pg_url);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", g_pg_url, PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->pg = g_pg;
	snprintf(f->dir, sizeof f->dir, "/tmp/hx-store-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	if (f->pg && g_pg_url) {
		char sql[512];
		for (int i = 0; i < NSTORES; i++) {
			snprintf(f->schema[i], sizeof f->schema[i], "hx_unit_%ld_%d", (long)getpid(), i);
			snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
				 f->schema[i], f->schema[i]);
			pg_admin(sql);
		}
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	for (int i = 0; i < NSTORES; i++)
		hx_store_close(f->stores[i]);
	if (f->pg && g_pg_url) {
		char sql[128];
		for (int i = 0; i < NSTORES; i++) {
			snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", f->schema[i]);
			pg_admin(sql);
		}
	}
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

/* The fixture, skipping the case when its backend is not available. */
static fx *fixture(void **state)
{
	fx *f = *state;
	if (f->pg && !g_pg_url)
		skip();
	return f;
}

/* URL of store slot i on backend pg (0 SQLite, 1 PostgreSQL). */
static void store_url(const fx *f, int i, int pg, char *out, size_t n)
{
	if (pg)
		snprintf(out, n, "%s%soptions=-csearch_path%%3D%s", g_pg_url,
			 strchr(g_pg_url, '?') ? "&" : "?", f->schema[i]);
	else
		snprintf(out, n, "sqlite:%s/store%d.db", f->dir, i);
}

/* Opens store slot i on the group's backend (or on pg when >= 0). */
static hx_store *open_on(fx *f, int i, int pg, int pool, int migrate)
{
	char url[1024];
	store_url(f, i, pg < 0 ? f->pg : pg, url, sizeof url);
	assert_null(f->stores[i]);
	CHECK(hx_store_open(&f->stores[i], url, pool, &f->err));
	if (migrate)
		CHECK(hx_store_migrate(f->stores[i], NULL, &f->err));
	return f->stores[i];
}

static hx_store *open_store(fx *f, int i, int pool, int migrate)
{
	return open_on(f, i, -1, pool, migrate);
}

static hx_db *get(fx *f, hx_store *s)
{
	hx_db *db = NULL;
	CHECK(hx_db_get(&db, s, &f->err));
	return db;
}

static long long count(fx *f, hx_db *db, const char *sql)
{
	long long n = -1;
	CHECK(hx_db_int(db, &n, sql, NULL, 0, &f->err));
	return n;
}

/* One line per table "name rows sha256"; free() it. */
static char *checksums(fx *f, hx_store *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_non_null(out);
	int rc = hx_store_checksums(s, out, &f->err);
	fclose(out);
	if (rc)
		fail_msg("checksums -> %d [%s] %s", rc, f->err.key, f->err.msg);
	return buf;
}

static FILE *backup(fx *f, hx_store *s)
{
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	CHECK(hx_store_backup(s, tmp, &f->err));
	rewind(tmp);
	return tmp;
}

static void assert_same_checksums(fx *f, hx_store *a, hx_store *b)
{
	char *x = checksums(f, a), *y = checksums(f, b);
	assert_string_equal(x, y);
	free(x);
	free(y);
}

#ifdef HX_TEST_FIXTURE_MIGRATIONS

static const char *const CHINESE = "中文：劳动关系协调员（乡镇）“和谐企业”";
static const char *const META = "'; DROP TABLE t_items; --";

/* Three items, two lines, one setting: text, ints, NULL, Chinese, meta. */
static void fill(fx *f, hx_store *s)
{
	hx_db *db = get(f, s);
	CHECK(hx_db_begin_write(db, &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name, qty, note) VALUES (?, ?, ?)",
			 P(hx_p_text("plain"), hx_p_int(42), hx_p_null()), 3, NULL, &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name, qty, note) VALUES (?, ?, ?)",
			 P(hx_p_text(CHINESE), hx_p_int(LLONG_MIN), hx_p_text("和谐")), 3, NULL,
			 &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name, qty, note) VALUES (?, ?, ?)",
			 P(hx_p_text(META), hx_p_int(LLONG_MAX), hx_p_text("a\"b\\c%_?\n")), 3,
			 NULL, &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_lines (item_id, label) VALUES (?, ?)",
			 P(hx_p_int(1), hx_p_text("第一行")), 2, NULL, &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_lines (item_id, label) VALUES (?, ?)",
			 P(hx_p_int(3), hx_p_null()), 2, NULL, &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_settings (k, v) VALUES (?, ?)",
			 P(hx_p_text("site"), hx_p_text("县")), 2, NULL, &f->err));
	CHECK(hx_db_commit(db, &f->err));
	hx_db_put(db);
}

static void test_migrate_applies_each_migration_once(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 0);
	int applied = -1;
	CHECK(hx_store_migrate(s, &applied, &f->err));
	assert_int_equal(applied, 2);
	CHECK(hx_store_migrate(s, &applied, &f->err));
	assert_int_equal(applied, 0);
	hx_db *db = get(f, s);
	assert_int_equal(count(f, db, "SELECT count(*) FROM schema_migrations"), 2);
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_lines"), 0);
	hx_db_put(db);
	/* A store opened anew finds the migrations recorded. */
	hx_store_close(s);
	f->stores[0] = NULL;
	s = open_store(f, 0, 1, 0);
	CHECK(hx_store_migrate(s, &applied, &f->err));
	assert_int_equal(applied, 0);
	assert_int_equal(hx_store_kind_of(s), f->pg ? HX_STORE_PG : HX_STORE_SQLITE);
}

static void test_values_round_trip_literally(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 1);
	fill(f, s);
	hx_db *db = get(f, s);
	hx_arena *a = hx_arena_new();
	hx_rows *r = NULL;
	CHECK(hx_db_query(db, a, &r, "SELECT name, qty, note FROM t_items ORDER BY id", NULL, 0,
			  &f->err));
	assert_int_equal(r->nrows, 3);
	assert_int_equal(r->ncols, 3);
	assert_string_equal(r->names[0], "name");
	assert_string_equal(hx_rows_get(r, 0, "name"), "plain");
	assert_string_equal(hx_rows_get(r, 0, "qty"), "42");
	assert_null(hx_rows_get(r, 0, "note"));
	assert_string_equal(hx_rows_get(r, 1, "name"), CHINESE);
	assert_string_equal(hx_rows_get(r, 1, "qty"), "-9223372036854775808");
	assert_true(hx_rows_int(r, 1, "qty") == LLONG_MIN);
	assert_string_equal(hx_rows_get(r, 1, "note"), "和谐");
	assert_string_equal(hx_rows_get(r, 2, "name"), META);
	assert_true(hx_rows_int(r, 2, "qty") == LLONG_MAX);
	assert_string_equal(hx_rows_get(r, 2, "note"), "a\"b\\c%_?\n");
	assert_null(hx_rows_get(r, 0, "no_such_column"));
	/* The meta-characters were data: the table is still there. */
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 3);
	/* Lookups by a Chinese parameter. */
	long long id = 0;
	CHECK(hx_db_int(db, &id, "SELECT id FROM t_items WHERE name = ?", P(hx_p_text(CHINESE)), 1,
			&f->err));
	assert_int_equal(id, 2);
	long long changes = -1;
	CHECK(hx_db_exec(db, "UPDATE t_items SET qty = ? WHERE qty > ?", P(hx_p_int(7), hx_p_int(0)),
			 2, &changes, &f->err));
	assert_int_equal(changes, 2);
	CHECK(hx_db_exec(db, "DELETE FROM t_settings WHERE k = ?", P(hx_p_text("none")), 1, &changes,
			 &f->err));
	assert_int_equal(changes, 0);
	/* No row: hx_db_int says not found. */
	assert_int_equal(hx_db_int(db, &id, "SELECT id FROM t_items WHERE name = ?",
				   P(hx_p_text("missing")), 1, &f->err),
			 HX_ENOTFOUND);
	hx_arena_free(a);
	hx_db_put(db);
}

static void test_question_mark_in_literal_is_not_a_placeholder(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 0);
	hx_db *db = get(f, s);
	hx_arena *a = hx_arena_new();
	hx_rows *r = NULL;
	CHECK(hx_db_query(db, a, &r,
			  "SELECT '?' AS a, 'it''s ?' AS b, /* ? */ ? AS \"c?\" -- why?\n",
			  P(hx_p_text("x")), 1, &f->err));
	assert_int_equal(r->nrows, 1);
	assert_string_equal(hx_rows_get(r, 0, "a"), "?");
	assert_string_equal(hx_rows_get(r, 0, "b"), "it's ?");
	assert_string_equal(hx_rows_get(r, 0, "c?"), "x");
	/* Two parameters for one placeholder is a programming error. */
	assert_int_equal(hx_db_query(db, a, &r, "SELECT '?' AS a, ? AS b",
				     P(hx_p_text("x"), hx_p_text("y")), 2, &f->err),
			 HX_EINTERNAL);
	if (f->pg) {
		/* PostgreSQL's own quoting: escape strings, dollar quotes, nested
		 * comments. */
		CHECK(hx_db_query(db, a, &r,
				  "SELECT E'\\'?' AS a, $t$ ? $t$ AS b, $$?$$ AS c,"
				  " /* /* ? */ ? */ ? AS d",
				  P(hx_p_text("y")), 1, &f->err));
		assert_string_equal(hx_rows_get(r, 0, "a"), "'?");
		assert_string_equal(hx_rows_get(r, 0, "b"), " ? ");
		assert_string_equal(hx_rows_get(r, 0, "c"), "?");
		assert_string_equal(hx_rows_get(r, 0, "d"), "y");
	}
	hx_arena_free(a);
	hx_db_put(db);
}

static void test_insert_returning_id_gives_new_ids(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 1);
	hx_db *db = get(f, s);
	long long id = 0;
	CHECK(hx_db_int(db, &id, "INSERT INTO t_items (name) VALUES (?) RETURNING id",
			P(hx_p_text("a")), 1, &f->err));
	assert_int_equal(id, 1);
	CHECK(hx_db_int(db, &id, "INSERT INTO t_items (name) VALUES (?) RETURNING id",
			P(hx_p_text("b")), 1, &f->err));
	assert_int_equal(id, 2);
	hx_arena *a = hx_arena_new();
	hx_rows *r = NULL;
	CHECK(hx_db_query(db, a, &r, "INSERT INTO t_items (name) VALUES (?) RETURNING id, name",
			  P(hx_p_text("c")), 1, &f->err));
	assert_int_equal(r->nrows, 1);
	assert_int_equal(hx_rows_int(r, 0, "id"), 3);
	assert_string_equal(hx_rows_get(r, 0, "name"), "c");
	hx_arena_free(a);
	hx_db_put(db);
}

static void test_unique_violation_is_conflict(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 1);
	hx_db *db = get(f, s);
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("dup")), 1, NULL,
			 &f->err));
	hx_err_clear(&f->err);
	assert_int_equal(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("dup")),
				    1, NULL, &f->err),
			 HX_ECONFLICT);
	assert_int_equal(f->err.code, HX_ECONFLICT);
	assert_string_equal(f->err.key, "conflict");
	assert_null(strchr(f->err.msg, '\n'));
	/* The connection goes on working. */
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 1);
	hx_db_put(db);
}

static void test_foreign_key_violation_is_invalid(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 1);
	hx_db *db = get(f, s);
	assert_int_equal(hx_db_exec(db, "INSERT INTO t_lines (item_id, label) VALUES (?, ?)",
				    P(hx_p_int(999), hx_p_text("orphan")), 2, NULL, &f->err),
			 HX_EINVAL);
	assert_string_equal(f->err.key, "foreign_key");
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_lines"), 0);
	hx_db_put(db);
}

static void test_trigger_refusal_is_read_only(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 1);
	fill(f, s);
	hx_db *db = get(f, s);
	assert_int_equal(hx_db_exec(db, "UPDATE t_lines SET label = ?", P(hx_p_text("changed")), 1,
				    NULL, &f->err),
			 HX_EPERM);
	assert_string_equal(f->err.key, "read_only");
	assert_non_null(strstr(f->err.msg, "lines are read-only"));
	hx_db_put(db);
}

static void test_rollback_leaves_nothing(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 1);
	hx_db *db = get(f, s);
	CHECK(hx_db_begin_write(db, &f->err));
	assert_true(hx_db_in_tx(db));
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("gone")), 1, NULL,
			 &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_settings (k, v) VALUES (?, ?)",
			 P(hx_p_text("k"), hx_p_text("v")), 2, NULL, &f->err));
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 1);
	CHECK(hx_db_rollback(db));
	assert_false(hx_db_in_tx(db));
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 0);
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_settings"), 0);
	/* A connection given back inside a transaction is rolled back too. */
	CHECK(hx_db_begin_write(db, &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("gone too")), 1,
			 NULL, &f->err));
	hx_db_put(db);
	db = get(f, s);
	assert_false(hx_db_in_tx(db));
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 0);
	/* And a commit keeps what it wrote. */
	CHECK(hx_db_begin_write(db, &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("kept")), 1, NULL,
			 &f->err));
	CHECK(hx_db_commit(db, &f->err));
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 1);
	hx_db_put(db);
}

static void test_commit_after_failed_statement_never_hides_a_lost_write(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 1);
	hx_db *db = get(f, s);
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("dup")), 1, NULL,
			 &f->err));
	CHECK(hx_db_begin_write(db, &f->err));
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("new")), 1, NULL,
			 &f->err));
	assert_int_equal(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("dup")),
				    1, NULL, &f->err),
			 HX_ECONFLICT);
	int rc = hx_db_commit(db, &f->err);
	if (f->pg) {
		/* PostgreSQL aborted the transaction: COMMIT must not say success. */
		assert_int_equal(rc, HX_EDB);
		assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 1);
	} else {
		/* SQLite undoes only the failed statement: the commit keeps "new". */
		assert_int_equal(rc, 0);
		assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 2);
	}
	assert_false(hx_db_in_tx(db));
	hx_db_put(db);
}

static void test_like_pattern_escapes_wildcards(void **state)
{
	fx *f = fixture(state);
	hx_arena *a = hx_arena_new();
	assert_string_equal(hx_store_like_pattern(a, "50%_a\\b"), "%50\\%\\_a\\\\b%");
	assert_string_equal(hx_store_like_pattern(a, ""), "%%");
	assert_string_equal(hx_store_like_pattern(a, "劳动"), "%劳动%");
	hx_store *s = open_store(f, 0, 1, 1);
	hx_db *db = get(f, s);
	const char *names[] = {"50%", "500", "5_0", "550", "a\\b", "ab", "劳动合同", "劳务"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		CHECK(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text(names[i])), 1,
				 NULL, &f->err));
	static const struct {
		const char *text;
		const char *only;
	} cases[] = {{"50%", "50%"}, {"5_", "5_0"}, {"\\", "a\\b"}, {"劳动", "劳动合同"}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		hx_rows *r = NULL;
		const char *pat = hx_store_like_pattern(a, cases[i].text);
		CHECK(hx_db_query(db, a, &r, "SELECT name FROM t_items WHERE name LIKE ? ESCAPE '\\'",
				  P(hx_p_text(pat)), 1, &f->err));
		assert_int_equal(r->nrows, 1);
		assert_string_equal(hx_rows_cell(r, 0, 0), cases[i].only);
	}
	hx_db_put(db);
	hx_arena_free(a);
}

static void test_backup_restore_round_trip_keeps_checksums(void **state)
{
	fx *f = fixture(state);
	hx_store *src = open_store(f, 0, 1, 1);
	fill(f, src);
	FILE *b = backup(f, src);
	hx_store *dst = open_store(f, 1, 2, 0);
	CHECK(hx_store_restore(dst, b, 0, &f->err));
	fclose(b);
	assert_same_checksums(f, src, dst);
	char *sums = checksums(f, dst);
	assert_non_null(strstr(sums, "t_items 3 "));
	assert_non_null(strstr(sums, "t_lines 2 "));
	assert_non_null(strstr(sums, "t_settings 1 "));
	free(sums);
	hx_db *db = get(f, dst);
	long long id = 0;
	CHECK(hx_db_int(db, &id, "SELECT id FROM t_items WHERE name = ?", P(hx_p_text(CHINESE)), 1,
			&f->err));
	assert_int_equal(id, 2);
	/* The id sequence moved past the restored ids. */
	CHECK(hx_db_int(db, &id, "INSERT INTO t_items (name) VALUES (?) RETURNING id",
			P(hx_p_text("after restore")), 1, &f->err));
	assert_int_equal(id, 4);
	CHECK(hx_db_int(db, &id, "INSERT INTO t_lines (item_id) VALUES (?) RETURNING id",
			P(hx_p_int(4)), 1, &f->err));
	assert_int_equal(id, 3);
	hx_db_put(db);
	int empty = 1;
	CHECK(hx_store_is_empty(dst, &empty, &f->err));
	assert_false(empty);
}

static void test_restore_refuses_non_empty_store_without_force(void **state)
{
	fx *f = fixture(state);
	hx_store *src = open_store(f, 0, 1, 1);
	fill(f, src);
	hx_store *dst = open_store(f, 1, 1, 1);
	hx_db *db = get(f, dst);
	CHECK(hx_db_exec(db, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("local")), 1, NULL,
			 &f->err));
	hx_db_put(db);
	FILE *b = backup(f, src);
	assert_int_equal(hx_store_restore(dst, b, 0, &f->err), HX_ECONFLICT);
	assert_string_equal(f->err.key, "not_empty");
	db = get(f, dst);
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 1);
	hx_db_put(db);
	rewind(b);
	CHECK(hx_store_restore(dst, b, 1, &f->err));
	fclose(b);
	assert_same_checksums(f, src, dst);
	db = get(f, dst);
	long long n = -1;
	CHECK(hx_db_int(db, &n, "SELECT count(*) FROM t_items WHERE name = ?",
			P(hx_p_text("local")), 1, &f->err));
	assert_int_equal(n, 0);
	hx_db_put(db);
}

static void test_restore_rejects_a_truncated_backup(void **state)
{
	fx *f = fixture(state);
	hx_store *src = open_store(f, 0, 1, 1);
	fill(f, src);
	FILE *b = backup(f, src);
	/* Keep all but the last line (the end-of-backup marker). */
	char *all = NULL;
	size_t len = 0;
	FILE *cut = open_memstream(&all, &len);
	char line[4096];
	char prev[4096] = "";
	int have = 0;
	while (fgets(line, sizeof line, b)) {
		if (have)
			fputs(prev, cut);
		snprintf(prev, sizeof prev, "%s", line);
		have = 1;
	}
	fclose(cut);
	fclose(b);
	FILE *in = fmemopen(all, len, "r");
	hx_store *dst = open_store(f, 1, 1, 0);
	assert_int_equal(hx_store_restore(dst, in, 0, &f->err), HX_EINVAL);
	assert_string_equal(f->err.key, "bad_backup");
	fclose(in);
	free(all);
	/* Nothing of the half-restored data was committed. */
	hx_db *db = get(f, dst);
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), 0);
	hx_db_put(db);
}

static void test_backup_crosses_backends(void **state)
{
	fx *f = fixture(state);
	if (!f->pg)
		skip(); /* runs once, in the PostgreSQL group */
	/* SQLite → PostgreSQL. */
	hx_store *lite = open_on(f, 0, 0, 1, 1);
	fill(f, lite);
	FILE *b = backup(f, lite);
	hx_store *pg = open_on(f, 1, 1, 1, 0);
	CHECK(hx_store_restore(pg, b, 0, &f->err));
	fclose(b);
	assert_same_checksums(f, lite, pg);
	/* PostgreSQL → SQLite, after a change made on PostgreSQL. */
	hx_db *db = get(f, pg);
	long long id = 0;
	CHECK(hx_db_int(db, &id, "INSERT INTO t_items (name, qty) VALUES (?, ?) RETURNING id",
			P(hx_p_text("from pg"), hx_p_int(-1)), 2, &f->err));
	assert_int_equal(id, 4);
	hx_db_put(db);
	b = backup(f, pg);
	hx_store *lite2 = open_on(f, 2, 0, 1, 0);
	CHECK(hx_store_restore(lite2, b, 0, &f->err));
	fclose(b);
	assert_same_checksums(f, pg, lite2);
}

static void test_pool_hands_out_distinct_connections(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 2, 1);
	hx_db *a = get(f, s), *b = get(f, s);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(hx_db_store(a), s);
	/* Each connection has its own transaction. */
	CHECK(hx_db_begin_write(a, &f->err));
	CHECK(hx_db_exec(a, "INSERT INTO t_items (name) VALUES (?)", P(hx_p_text("uncommitted")), 1,
			 NULL, &f->err));
	assert_int_equal(count(f, b, "SELECT count(*) FROM t_items"), 0);
	CHECK(hx_db_commit(a, &f->err));
	assert_int_equal(count(f, b, "SELECT count(*) FROM t_items"), 1);
	hx_db_put(a);
	hx_db *c = get(f, s);
	assert_ptr_equal(c, a); /* given back, taken again */
	hx_db_put(c);
	hx_db_put(b);
}

struct counter {
	long long rows;
	long long stop_at;
	long long sum;
};

static int count_cb(void *ctx, int ncols, const char *const *names, const char *const *vals)
{
	struct counter *c = ctx;
	if (ncols != 2 || strcmp(names[0], "id") != 0 || !vals[0])
		return -100;
	c->rows++;
	c->sum += strtoll(vals[0], NULL, 10);
	return c->rows == c->stop_at ? 99 : 0;
}

static void test_each_streams_rows_and_stops_on_request(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 1);
	hx_db *db = get(f, s);
	enum { N = 3000 };
	CHECK(hx_db_begin_write(db, &f->err));
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof name, "item %d", i);
		CHECK(hx_db_exec(db, "INSERT INTO t_items (name, qty) VALUES (?, ?)",
				 P(hx_p_text(name), hx_p_int(i)), 2, NULL, &f->err));
	}
	CHECK(hx_db_commit(db, &f->err));
	struct counter c = {0, 0, 0};
	CHECK(hx_db_each(db, "SELECT id, name FROM t_items ORDER BY id", NULL, 0, count_cb, &c,
			 &f->err));
	assert_int_equal(c.rows, N);
	assert_true(c.sum == (long long)N * (N + 1) / 2);
	/* A callback's non-zero return stops the loop and comes back; inside a
	 * transaction, which stays usable. */
	CHECK(hx_db_begin_read(db, &f->err));
	struct counter d = {0, 10, 0};
	assert_int_equal(hx_db_each(db, "SELECT id, name FROM t_items ORDER BY id", NULL, 0,
				    count_cb, &d, &f->err),
			 99);
	assert_int_equal(d.rows, 10);
	assert_int_equal(count(f, db, "SELECT count(*) FROM t_items"), N);
	CHECK(hx_db_commit(db, &f->err));
	hx_db_put(db);
}

static void test_many_parameters_and_columns_round_trip(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 0);
	hx_db *db = get(f, s);
	enum { N = 40 };
	char sql[1024] = "SELECT ";
	hx_param p[N];
	char text[N][16];
	for (int i = 0; i < N; i++) {
		size_t len = strlen(sql);
		snprintf(sql + len, sizeof sql - len, "%s? AS c%d", i ? ", " : "", i);
		snprintf(text[i], sizeof text[i], "v%d", i);
		p[i] = i % 3 == 0 ? hx_p_text(text[i]) : i % 3 == 1 ? hx_p_int(i) : hx_p_null();
	}
	hx_arena *a = hx_arena_new();
	hx_rows *r = NULL;
	CHECK(hx_db_query(db, a, &r, sql, p, N, &f->err));
	assert_int_equal(r->ncols, N);
	assert_int_equal(r->nrows, 1);
	for (int i = 0; i < N; i++) {
		const char *v = hx_rows_cell(r, 0, i);
		if (i % 3 == 0)
			assert_string_equal(v, text[i]);
		else if (i % 3 == 1)
			assert_int_equal(strtoll(v, NULL, 10), i);
		else
			assert_null(v);
	}
	hx_arena_free(a);
	hx_db_put(db);
}

static void test_table_recreated_with_other_columns_is_read_afresh(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 2, 0);
	hx_db *a = get(f, s), *b = get(f, s);
	hx_arena *ar = hx_arena_new();
	hx_rows *r = NULL;
	CHECK(hx_db_exec(a, "CREATE TABLE t_tmp (x TEXT)", NULL, 0, NULL, &f->err));
	CHECK(hx_db_exec(a, "INSERT INTO t_tmp (x) VALUES (?)", P(hx_p_text("one")), 1, NULL,
			 &f->err));
	CHECK(hx_db_query(a, ar, &r, "SELECT * FROM t_tmp", NULL, 0, &f->err));
	assert_int_equal(r->ncols, 1);
	/* Another connection makes the table anew with two columns. */
	CHECK(hx_db_exec(b, "DROP TABLE t_tmp", NULL, 0, NULL, &f->err));
	CHECK(hx_db_exec(b, "CREATE TABLE t_tmp (x TEXT, y BIGINT)", NULL, 0, NULL, &f->err));
	CHECK(hx_db_exec(b, "INSERT INTO t_tmp (x, y) VALUES (?, ?)",
			 P(hx_p_text("two"), hx_p_int(2)), 2, NULL, &f->err));
	/* The first connection's cached statement does not poison the query. */
	CHECK(hx_db_query(a, ar, &r, "SELECT * FROM t_tmp", NULL, 0, &f->err));
	assert_int_equal(r->ncols, 2);
	assert_string_equal(hx_rows_get(r, 0, "x"), "two");
	assert_string_equal(hx_rows_get(r, 0, "y"), "2");
	/* And the same on the connection that changed it. */
	CHECK(hx_db_exec(b, "DROP TABLE t_tmp", NULL, 0, NULL, &f->err));
	CHECK(hx_db_exec(b, "CREATE TABLE t_tmp (z TEXT)", NULL, 0, NULL, &f->err));
	CHECK(hx_db_exec(b, "INSERT INTO t_tmp (z) VALUES (?)", P(hx_p_text("three")), 1, NULL,
			 &f->err));
	CHECK(hx_db_query(b, ar, &r, "SELECT * FROM t_tmp", NULL, 0, &f->err));
	CHECK(hx_db_query(a, ar, &r, "SELECT * FROM t_tmp", NULL, 0, &f->err));
	assert_int_equal(r->ncols, 1);
	assert_string_equal(r->names[0], "z");
	assert_string_equal(hx_rows_cell(r, 0, 0), "three");
	hx_arena_free(ar);
	hx_db_put(a);
	hx_db_put(b);
}

static void test_open_fails_cleanly_on_a_bad_url(void **state)
{
	fx *f = fixture(state);
	hx_store *s = NULL;
	const char *url = f->pg ? "postgresql://postgres:s3cret-pw@127.0.0.1:1/nowhere"
				: "sqlite:/nonexistent-hexie-dir/a/b.db";
	assert_int_equal(hx_store_open(&s, url, 1, &f->err), HX_EDB);
	assert_null(s);
	assert_true(f->err.msg[0] != '\0');
	assert_null(strstr(f->err.msg, "s3cret-pw"));
	assert_null(strchr(f->err.msg, '\n'));
}

static void test_pg_connection_recovers_after_server_side_termination(void **state)
{
	fx *f = fixture(state);
	if (!f->pg)
		skip();
	hx_store *s = open_store(f, 0, 1, 1);
	hx_db *db = get(f, s);
	long long pid = 0;
	CHECK(hx_db_int(db, &pid, "SELECT pg_backend_pid()", NULL, 0, &f->err));
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", pid);
	pg_admin(sql);
	/* The call that meets the broken connection fails; the next reconnects
	 * (outside a transaction) with a fresh statement cache. */
	long long n = -1;
	int rc = hx_db_int(db, &n, "SELECT count(*) FROM t_items", NULL, 0, &f->err);
	assert_true(rc == 0 || rc == HX_EDB);
	CHECK(hx_db_int(db, &n, "SELECT count(*) FROM t_items", NULL, 0, &f->err));
	assert_int_equal(n, 0);
	long long pid2 = 0;
	CHECK(hx_db_int(db, &pid2, "SELECT pg_backend_pid()", NULL, 0, &f->err));
	assert_true(pid2 != pid);
	hx_db_put(db);
}

#define STORE_TESTS                                                                             \
	T(test_migrate_applies_each_migration_once),                                           \
	T(test_values_round_trip_literally),                                                   \
	T(test_question_mark_in_literal_is_not_a_placeholder),                                 \
	T(test_insert_returning_id_gives_new_ids),                                             \
	T(test_unique_violation_is_conflict),                                                  \
	T(test_foreign_key_violation_is_invalid),                                              \
	T(test_trigger_refusal_is_read_only),                                                  \
	T(test_rollback_leaves_nothing),                                                       \
	T(test_commit_after_failed_statement_never_hides_a_lost_write),                        \
	T(test_like_pattern_escapes_wildcards),                                                \
	T(test_backup_restore_round_trip_keeps_checksums),                                     \
	T(test_restore_refuses_non_empty_store_without_force),                                 \
	T(test_restore_rejects_a_truncated_backup),                                            \
	T(test_backup_crosses_backends),                                                       \
	T(test_pool_hands_out_distinct_connections),                                           \
	T(test_each_streams_rows_and_stops_on_request),                                        \
	T(test_many_parameters_and_columns_round_trip),                                        \
	T(test_table_recreated_with_other_columns_is_read_afresh),                             \
	T(test_open_fails_cleanly_on_a_bad_url),                                               \
	T(test_pg_connection_recovers_after_server_side_termination)

#else /* the real embedded migrations */

static void test_embedded_migrations_apply_once(void **state)
{
	fx *f = fixture(state);
	hx_store *s = open_store(f, 0, 1, 0);
	int applied = -1;
	CHECK(hx_store_migrate(s, &applied, &f->err));
	assert_int_equal(applied, (int)hx_migrations_count);
	CHECK(hx_store_migrate(s, &applied, &f->err));
	assert_int_equal(applied, 0);
	hx_db *db = get(f, s);
	assert_int_equal(count(f, db, "SELECT count(*) FROM schema_migrations"),
			 (long long)hx_migrations_count);
	hx_db_put(db);
}

static void test_embedded_schema_backs_up_and_restores(void **state)
{
	fx *f = fixture(state);
	hx_store *src = open_store(f, 0, 1, 1);
	FILE *b = backup(f, src);
	hx_store *dst = open_store(f, 1, 1, 0);
	CHECK(hx_store_restore(dst, b, 0, &f->err));
	fclose(b);
	assert_same_checksums(f, src, dst);
}

static void test_embedded_schema_crosses_backends(void **state)
{
	fx *f = fixture(state);
	if (!f->pg)
		skip(); /* runs once, in the PostgreSQL group */
	hx_store *lite = open_on(f, 0, 0, 1, 1);
	FILE *b = backup(f, lite);
	hx_store *pg = open_on(f, 1, 1, 1, 0);
	CHECK(hx_store_restore(pg, b, 0, &f->err));
	fclose(b);
	assert_same_checksums(f, lite, pg);
	b = backup(f, pg);
	hx_store *lite2 = open_on(f, 2, 0, 1, 0);
	CHECK(hx_store_restore(lite2, b, 0, &f->err));
	fclose(b);
	assert_same_checksums(f, pg, lite2);
}

#define STORE_TESTS                                                                             \
	T(test_embedded_migrations_apply_once),                                                \
	T(test_embedded_schema_backs_up_and_restores),                                         \
	T(test_embedded_schema_crosses_backends)

#endif

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {STORE_TESTS};
	const char *url = getenv("HEXIE_TEST_PG_URL");
	g_pg_url = url && *url ? url : NULL;
	int failed = 0;
	g_pg = 0;
	failed += cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
	g_pg = 1;
	failed += cmocka_run_group_tests_name("postgresql", tests, NULL, NULL);
	return failed ? 1 : 0;
}
