/* SQLite backend: WAL, foreign keys on, synchronous=FULL, a busy handler,
 * and a small per-connection cache of prepared statements. */
#include "store_impl.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STMT_CACHE 48

struct cached {
	unsigned long hash;
	char *sql;
	sqlite3_stmt *st;
	unsigned long long used;
};

typedef struct sq_db {
	hx_db base;
	sqlite3 *h;
	struct cached cache[STMT_CACHE];
	unsigned long long tick;
} sq_db;

static int sq_error(sq_db *d, int rc, hx_err *err)
{
	int ext = sqlite3_extended_errcode(d->h);
	const char *msg = sqlite3_errmsg(d->h);
	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return hx_err_set(err, HX_ECONFLICT, "conflict", "", "%s", msg);
	if (ext == SQLITE_CONSTRAINT_TRIGGER)
		return hx_err_set(err, HX_EPERM, "read_only", "", "%s", msg);
	if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
		return hx_err_set(err, HX_EINVAL, "foreign_key", "", "%s", msg);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return hx_err_set(err, HX_EDB, "busy", "", "database busy: %s", msg);
	return hx_err_set(err, HX_EDB, "db", "", "sqlite: %s", msg);
}

/* Waiting for another connection's write lock. SQLite's own busy timeout
 * sleeps 1, 2, 5, 10, 15… ms between tries: longer than most write
 * transactions here hold the lock (a contract signature stores its result
 * and commits in about a millisecond), so two threads writing in turn
 * spent most of their time asleep. Poll every 100 µs for the first 5 ms,
 * then every 500 µs up to 55 ms, then every 2 ms: 10 s in all, as before. */
static int sq_busy(void *arg, int n)
{
	(void)arg;
	if (n < 50)
		usleep(100);
	else if (n < 150)
		usleep(500);
	else if (n < 150 + 4972)
		usleep(2000);
	else
		return 0;
	return 1;
}

static int sq_connect(hx_db **out, hx_store *s, const char *url, hx_err *err)
{
	sq_db *d = calloc(1, sizeof *d);
	if (!d)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	int rc = sqlite3_open_v2(url, &d->h,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		hx_err_set(err, HX_EDB, "db", "", "cannot open %s: %s", url,
			   d->h ? sqlite3_errmsg(d->h) : "out of memory");
		sqlite3_close(d->h);
		free(d);
		return HX_EDB;
	}
	sqlite3_busy_handler(d->h, sq_busy, NULL);
	sqlite3_extended_result_codes(d->h, 1);
	char *msg = NULL;
	rc = sqlite3_exec(d->h,
			  "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
			  " PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;",
			  NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		hx_err_set(err, HX_EDB, "db", "", "cannot set up %s: %s", url, msg ? msg : "");
		sqlite3_free(msg);
		sqlite3_close(d->h);
		free(d);
		return HX_EDB;
	}
	d->base.store = s;
	*out = &d->base;
	return 0;
}

static void sq_disconnect(hx_db *db)
{
	sq_db *d = (sq_db *)db;
	for (int i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(d->cache[i].st);
		free(d->cache[i].sql);
	}
	sqlite3_close(d->h);
	free(d);
}

static int sq_script(hx_db *db, const char *sql, hx_err *err)
{
	sq_db *d = (sq_db *)db;
	char *msg = NULL;
	int rc = sqlite3_exec(d->h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		hx_err_set(err, HX_EDB, "db", "", "sqlite: %s", msg ? msg : sqlite3_errmsg(d->h));
		sqlite3_free(msg);
		return HX_EDB;
	}
	return 0;
}

static int sq_begin(hx_db *db, int mode, hx_err *err)
{
	return sq_script(db, mode == HX_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

static int sq_commit(hx_db *db, hx_err *err)
{
	return sq_script(db, "COMMIT", err);
}

static int sq_rollback(hx_db *db)
{
	return sq_script(db, "ROLLBACK", NULL);
}

static unsigned long sql_hash(const char *s)
{
	unsigned long h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* Prepared statement for sql, from the cache or freshly prepared. */
static int prepare(sq_db *d, const char *sql, sqlite3_stmt **out, hx_err *err)
{
	int victim = 0;
	unsigned long h = sql_hash(sql);
	for (int i = 0; i < STMT_CACHE; i++) {
		if (d->cache[i].sql && d->cache[i].hash == h && strcmp(d->cache[i].sql, sql) == 0) {
			d->cache[i].used = ++d->tick;
			sqlite3_reset(d->cache[i].st);
			sqlite3_clear_bindings(d->cache[i].st);
			*out = d->cache[i].st;
			return 0;
		}
		if (d->cache[i].used < d->cache[victim].used)
			victim = i;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(d->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_error(d, rc, err);
	sqlite3_finalize(d->cache[victim].st);
	free(d->cache[victim].sql);
	d->cache[victim].sql = strdup(sql);
	d->cache[victim].hash = h;
	d->cache[victim].st = st;
	d->cache[victim].used = ++d->tick;
	*out = st;
	return 0;
}

static int bind(sq_db *d, sqlite3_stmt *st, const hx_param *p, int np, hx_err *err)
{
	if (np != sqlite3_bind_parameter_count(st))
		return hx_err_set(err, HX_EINTERNAL, "db", "", "statement wants %d parameters, got %d",
				  sqlite3_bind_parameter_count(st), np);
	for (int i = 0; i < np; i++) {
		int rc;
		switch (p[i].type) {
		case HX_P_TEXT:
			rc = sqlite3_bind_text(st, i + 1, p[i].s, -1, SQLITE_STATIC);
			break;
		case HX_P_INT:
			rc = sqlite3_bind_int64(st, i + 1, p[i].i);
			break;
		default:
			rc = sqlite3_bind_null(st, i + 1);
		}
		if (rc != SQLITE_OK)
			return sq_error(d, rc, err);
	}
	return 0;
}

static int sq_each(hx_db *db, const char *sql, const hx_param *p, int np, hx_row_cb cb, void *ctx,
		   hx_err *err)
{
	sq_db *d = (sq_db *)db;
	sqlite3_stmt *st = NULL;
	const char *names_stack[32], *vals_stack[32];
	const char **names = names_stack, **vals = vals_stack;
	int cap = 32;
	int rc = prepare(d, sql, &st, err);
	if (rc)
		return rc;
	if ((rc = bind(d, st, p, np, err)))
		goto done;
	for (;;) {
		int s = sqlite3_step(st);
		if (s == SQLITE_DONE)
			break;
		if (s != SQLITE_ROW) {
			rc = sq_error(d, s, err);
			goto done;
		}
		/* Columns are read after the step: it may have re-prepared the
		 * statement (a schema change, or a new value bound to a LIKE
		 * parameter), which frees the old names and may change the count. */
		int ncols = sqlite3_column_count(st);
		if (ncols > cap) {
			if (names != names_stack) {
				free(names);
				free(vals);
			}
			names = malloc(sizeof *names * (size_t)ncols);
			vals = malloc(sizeof *vals * (size_t)ncols);
			cap = ncols;
			if (!names || !vals) {
				rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
				goto done;
			}
		}
		for (int i = 0; i < ncols; i++) {
			names[i] = sqlite3_column_name(st, i);
			vals[i] = (const char *)sqlite3_column_text(st, i);
		}
		if (cb && (rc = cb(ctx, ncols, names, vals)))
			goto done;
	}
done:
	if (names != names_stack) {
		free(names);
		free(vals);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int sq_exec(hx_db *db, const char *sql, const hx_param *p, int np, long long *changes,
		   hx_err *err)
{
	sq_db *d = (sq_db *)db;
	int rc = sq_each(db, sql, p, np, NULL, NULL, err);
	if (!rc && changes)
		*changes = sqlite3_changes64(d->h);
	return rc;
}

static int sq_drop(hx_db *db, const char *table, hx_err *err)
{
	sq_db *d = (sq_db *)db;
	/* Cached statements may refer to the table. */
	for (int i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(d->cache[i].st);
		free(d->cache[i].sql);
		d->cache[i].st = NULL;
		d->cache[i].sql = NULL;
		d->cache[i].used = 0;
	}
	char sql[160];
	snprintf(sql, sizeof sql, "PRAGMA foreign_keys=OFF; DROP TABLE IF EXISTS %s; PRAGMA foreign_keys=ON;", table);
	return sq_script(db, sql, err);
}

static int sq_reset_sequence(hx_db *db, const char *table, hx_err *err)
{
	(void)db;
	(void)table;
	(void)err;
	return 0; /* INTEGER PRIMARY KEY continues from max(rowid) by itself */
}

const hx_store_ops hx_store_sqlite_ops = {
	.kind = HX_STORE_SQLITE,
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.script = sq_script,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.each = sq_each,
	.list_tables_sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
			   " AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
	.drop_table = sq_drop,
	.reset_sequence = sq_reset_sequence,
};
