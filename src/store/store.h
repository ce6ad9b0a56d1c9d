/* The store: one portable API over SQLite (the embedded default) and
 * PostgreSQL (libpq). Modules write plain SQL with `?` placeholders; the
 * PostgreSQL backend rewrites them to $n. Values travel as text (or NULL)
 * both ways, so a module never sees a backend's types.
 *
 * Portability rules for module SQL (both backends run the same text):
 * - no `? IS NULL` or `? || '%'` (PostgreSQL cannot infer the parameter's
 *   type): build LIKE patterns in C and branch in C;
 * - booleans are INTEGER 0/1; dates are TEXT "YYYY-MM-DD"; instants TEXT
 *   UTC "YYYY-MM-DDTHH:MM:SSZ";
 * - new ids come back with INSERT … RETURNING id;
 * - LIKE patterns use `ESCAPE '\'` with hx_store_like_pattern().
 *
 * Migrations are the files src/<module>/migrations/NNN_<what>.sql, embedded
 * at build time and applied in order, each in a transaction, recorded in
 * schema_migrations. A file may hold dialect sections started by a line
 * `-- @sqlite`, `-- @pg` or `-- @both`; `{{ID}}` expands to the dialect's
 * auto-increment integer primary key. */
#ifndef HX_STORE_H
#define HX_STORE_H

#include <stddef.h>
#include <stdio.h>

#include "../core/arena.h"
#include "../core/err.h"

typedef struct hx_store hx_store;
typedef struct hx_db hx_db;

typedef enum { HX_STORE_SQLITE, HX_STORE_PG } hx_store_kind;

typedef enum { HX_P_NULL, HX_P_TEXT, HX_P_INT } hx_param_type;
typedef struct hx_param {
	hx_param_type type;
	const char *s;
	long long i;
} hx_param;

static inline hx_param hx_p_text(const char *s)
{
	hx_param p = {s ? HX_P_TEXT : HX_P_NULL, s, 0};
	return p;
}
static inline hx_param hx_p_int(long long i)
{
	hx_param p = {HX_P_INT, NULL, i};
	return p;
}
static inline hx_param hx_p_null(void)
{
	hx_param p = {HX_P_NULL, NULL, 0};
	return p;
}

/* A result set; every cell is text or NULL, allocated in the arena given to
 * the query. cells is row-major: cells[row * ncols + col]. */
typedef struct hx_rows {
	int ncols;
	int nrows;
	const char **names;
	const char **cells;
	int hint; /* where hx_rows_get looks first (callers read columns in order) */
} hx_rows;

const char *hx_rows_get(const hx_rows *r, int row, const char *name); /* NULL if no such column */
static inline const char *hx_rows_cell(const hx_rows *r, int row, int col)
{
	return r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}
long long hx_rows_int(const hx_rows *r, int row, const char *name); /* NULL → 0 */

/* Opens a store: url is a file path or "sqlite:PATH" for SQLite, or
 * "postgresql://…" / "postgres://…" for PostgreSQL. pool is the number of
 * connections kept (≥1). Does not migrate. */
int hx_store_open(hx_store **out, const char *url, int pool, hx_err *err);
void hx_store_close(hx_store *s);
hx_store_kind hx_store_kind_of(const hx_store *s);
/* Applies pending migrations; *applied (may be NULL) gets how many. */
int hx_store_migrate(hx_store *s, int *applied, hx_err *err);

/* Takes a connection from the pool (waits if all are busy) / gives it back.
 * A connection given back inside a transaction is rolled back. */
int hx_db_get(hx_db **out, hx_store *s, hx_err *err);
void hx_db_put(hx_db *db);
hx_store *hx_db_store(hx_db *db);

/* Transactions. begin_write takes the write lock at once on SQLite
 * (BEGIN IMMEDIATE) so that a request never fails on lock upgrade;
 * begin_snapshot is a read transaction with one consistent view
 * (REPEATABLE READ on PostgreSQL). */
int hx_db_begin_read(hx_db *db, hx_err *err);
int hx_db_begin_write(hx_db *db, hx_err *err);
int hx_db_begin_snapshot(hx_db *db, hx_err *err);
int hx_db_commit(hx_db *db, hx_err *err);
int hx_db_rollback(hx_db *db);
int hx_db_in_tx(const hx_db *db);
/* 1 inside a read or snapshot transaction (one that has written nothing
 * the registry caches depend on). */
int hx_db_in_read_tx(const hx_db *db);

/* Runs a statement; *changes (may be NULL) gets the number of rows changed.
 * A unique-constraint violation is HX_ECONFLICT "conflict"; a trigger that
 * refuses a change (RAISE / EXCEPTION) is HX_EPERM "read_only". */
int hx_db_exec(hx_db *db, const char *sql, const hx_param *p, int np, long long *changes,
	       hx_err *err);
/* Runs a query and returns all rows, allocated in arena a. */
int hx_db_query(hx_db *db, hx_arena *a, hx_rows **out, const char *sql, const hx_param *p,
		int np, hx_err *err);
/* Runs a query and calls cb for each row (for big results: export, backup).
 * A non-zero return from cb stops the loop and is returned. */
typedef int (*hx_row_cb)(void *ctx, int ncols, const char *const *names,
			 const char *const *vals);
int hx_db_each(hx_db *db, const char *sql, const hx_param *p, int np, hx_row_cb cb,
	       void *ctx, hx_err *err);
/* Runs one query expected to return one integer (count(*), RETURNING id). */
int hx_db_int(hx_db *db, long long *out, const char *sql, const hx_param *p, int np, hx_err *err);

/* LIKE pattern "%text%" with %, _ and \ escaped (use with ESCAPE '\'). */
char *hx_store_like_pattern(hx_arena *a, const char *text);

/* Backup and restore in Hexie's portable format (JSON lines: a header, then
 * per table its columns, rows and a SHA-256 of the rows), taken from one
 * consistent snapshot while the server runs. A backup of either backend
 * restores into either. Restore refuses a store that already holds data
 * unless force is set (then every table is dropped and made anew). */
int hx_store_backup(hx_store *s, FILE *out, hx_err *err);
int hx_store_restore(hx_store *s, FILE *in, int force, hx_err *err);
/* Whether the store holds any row in tables other than schema_migrations
 * and the reference tables listed by modules as seed data (areas). */
int hx_store_is_empty(hx_store *s, int *empty, hx_err *err);
/* Per-table row counts and SHA-256 of the rows in canonical order, one line
 * per table "name rows sha256", for comparing two stores. */
int hx_store_checksums(hx_store *s, FILE *out, hx_err *err);

#endif
