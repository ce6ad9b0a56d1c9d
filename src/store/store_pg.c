/* PostgreSQL backend over libpq: `?` placeholders rewritten to $n, every
 * value sent and received as text, a small per-connection cache of named
 * prepared statements (the hot path of list endpoints), rows streamed in
 * single-row mode so exports and backups run in flat memory, and SQLSTATEs
 * mapped to the same error values as the SQLite backend. */
#include "store_impl.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE 48
#define STACK_PARAMS 16
#define STACK_COLS 32

struct cached {
	char *sql; /* the module's text, with `?`: the cache key */
	char name[24]; /* server-side prepared statement name */
	int nparams;
	unsigned long long used;
};

typedef struct pg_db {
	hx_db base;
	PGconn *c;
	struct cached cache[STMT_CACHE];
	unsigned long long tick;
	unsigned long long next_name;
} pg_db;

/* libpq's default notice processor prints to stderr (DROP … IF EXISTS,
 * CASCADE); library code does not print. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Copies a libpq message into err as one line. */
static int set_msg(hx_err *err, int code, const char *key, const char *prefix, const char *msg,
		   const char *detail)
{
	char line[sizeof err->msg];
	snprintf(line, sizeof line, "%s%s%s%s%s", prefix, msg ? msg : "unknown error",
		 detail && *detail ? " (" : "", detail && *detail ? detail : "",
		 detail && *detail ? ")" : "");
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return hx_err_set(err, code, key, "", "%s", line);
}

static int conn_error(pg_db *d, hx_err *err)
{
	return set_msg(err, HX_EDB, "db", "postgresql: ", PQerrorMessage(d->c), NULL);
}

/* Maps a failed result to an error value by SQLSTATE. */
static int result_error(pg_db *d, const PGresult *res, hx_err *err)
{
	if (!res)
		return conn_error(d, err);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	if (!msg)
		msg = PQresultErrorMessage(res);
	if (!state)
		state = "";
	if (strcmp(state, "23505") == 0)
		return set_msg(err, HX_ECONFLICT, "conflict", "", msg, detail);
	if (strcmp(state, "23503") == 0)
		return set_msg(err, HX_EINVAL, "foreign_key", "", msg, detail);
	/* P0001: a trigger's RAISE EXCEPTION; 42501: insufficient_privilege. */
	if (strcmp(state, "P0001") == 0 || strcmp(state, "42501") == 0)
		return set_msg(err, HX_EPERM, "read_only", "", msg, detail);
	/* Serialization failure, deadlock, lock not available: SQLite's BUSY. */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return set_msg(err, HX_EDB, "busy", "database busy: ", msg, detail);
	return set_msg(err, HX_EDB, "db", "postgresql: ", msg, detail);
}

static int is_state(const PGresult *res, const char *state)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	return s && strcmp(s, state) == 0;
}

static void cache_clear(pg_db *d)
{
	for (int i = 0; i < STMT_CACHE; i++) {
		free(d->cache[i].sql);
		memset(&d->cache[i], 0, sizeof d->cache[i]);
	}
}

/* Forgets one cached statement, deallocating it on the server when it can
 * (not in an aborted transaction; then it lives on, unnamed by the cache,
 * until DEALLOCATE ALL or the end of the connection). */
static void cache_forget(pg_db *d, struct cached *e)
{
	if (!e->sql)
		return;
	if (PQtransactionStatus(d->c) != PQTRANS_INERROR) {
		char sql[48];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", e->name);
		PQclear(PQexec(d->c, sql));
	}
	free(e->sql);
	memset(e, 0, sizeof *e);
}

/* Session settings, made on connect and again after a reset. */
static int setup_session(pg_db *d, hx_err *err)
{
	if (PQsetClientEncoding(d->c, "UTF8") != 0)
		return conn_error(d, err);
	PGresult *res = PQexec(d->c, "SET TimeZone = 'UTC'; SET client_min_messages = warning");
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : result_error(d, res, err);
	PQclear(res);
	return rc;
}

/* A pooled connection outlives server restarts: when it broke while no
 * transaction was open, reconnect (prepared statements are gone with it). */
static int live(pg_db *d, hx_err *err)
{
	if (PQstatus(d->c) == CONNECTION_OK)
		return 0;
	if (d->base.tx != HX_TX_NONE)
		return conn_error(d, err);
	cache_clear(d);
	PQreset(d->c);
	if (PQstatus(d->c) != CONNECTION_OK)
		return conn_error(d, err);
	return setup_session(d, err);
}

static int pg_connect(hx_db **out, hx_store *s, const char *url, hx_err *err)
{
	pg_db *d = calloc(1, sizeof *d);
	if (!d)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	int rc = 0;
	d->c = PQconnectdb(url);
	if (!d->c) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
		goto done;
	}
	/* The message names host and port, never the URL's password. */
	if (PQstatus(d->c) != CONNECTION_OK) {
		rc = set_msg(err, HX_EDB, "db", "cannot connect to postgresql: ", PQerrorMessage(d->c),
			     NULL);
		goto done;
	}
	PQsetNoticeProcessor(d->c, quiet_notice, NULL);
	if ((rc = setup_session(d, err)))
		goto done;
	d->base.store = s;
	*out = &d->base;
done:
	if (rc) {
		PQfinish(d->c);
		free(d);
	}
	return rc;
}

static void pg_disconnect(hx_db *db)
{
	pg_db *d = (pg_db *)db;
	cache_clear(d);
	PQfinish(d->c);
	free(d);
}

static int pg_script(hx_db *db, const char *sql, hx_err *err)
{
	pg_db *d = (pg_db *)db;
	int rc = live(d, err);
	if (rc)
		return rc;
	PGresult *res = PQexec(d->c, sql);
	ExecStatusType st = PQresultStatus(res);
	if (!res || (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY))
		rc = result_error(d, res, err);
	PQclear(res);
	return rc;
}

static int pg_begin(hx_db *db, int mode, hx_err *err)
{
	/* Plain BEGIN for reads too: a GET may write audit rows. */
	return pg_script(db,
			 mode == HX_TX_SNAPSHOT ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
						: "BEGIN",
			 err);
}

static int pg_commit(hx_db *db, hx_err *err)
{
	pg_db *d = (pg_db *)db;
	/* COMMIT of a transaction aborted by an earlier error succeeds as a
	 * ROLLBACK on PostgreSQL: say so instead of reporting success. */
	int aborted = PQtransactionStatus(d->c) == PQTRANS_INERROR;
	PGresult *res = PQexec(d->c, "COMMIT");
	int rc = 0;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = result_error(d, res, err);
	else if (aborted || strcmp(PQcmdStatus(res), "ROLLBACK") == 0)
		rc = hx_err_set(err, HX_EDB, "db", "",
				"postgresql: the transaction was rolled back after an earlier error");
	PQclear(res);
	return rc;
}

static int pg_rollback(hx_db *db)
{
	pg_db *d = (pg_db *)db;
	PGresult *res = PQexec(d->c, "ROLLBACK");
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : HX_EDB;
	PQclear(res);
	return rc;
}

static int ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '$' || (unsigned char)ch >= 0x80;
}

/* Rewrites `?` to $1…$n, leaving alone what sits in '…' and E'…' literals,
 * "…" identifiers, $tag$…$tag$ strings and -- or nested block comments.
 * Writes to out when it is not NULL (sized by a first pass); returns the
 * length and sets *nparams. */
static size_t rewrite(const char *sql, char *out, int *nparams)
{
	size_t o = 0;
	int n = 0;
	/* Evaluates its argument exactly once, whether it writes or counts. */
#define PUT(expr)                       \
	do {                            \
		char put_ = (expr);     \
		if (out)                \
			out[o] = put_;  \
		o++;                    \
	} while (0)
	const char *p = sql;
	while (*p) {
		char ch = *p;
		if (ch == '\'') {
			int esc = p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
				  (p - 1 == sql || !ident_char(p[-2]));
			PUT(*p++);
			while (*p) {
				if (esc && *p == '\\' && p[1]) {
					PUT(*p++);
					PUT(*p++);
					continue;
				}
				if (*p == '\'') {
					PUT(*p++);
					break;
				}
				PUT(*p++);
			}
		} else if (ch == '"') {
			PUT(*p++);
			while (*p && *p != '"')
				PUT(*p++);
			if (*p)
				PUT(*p++);
		} else if (ch == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				PUT(*p++);
		} else if (ch == '/' && p[1] == '*') {
			int depth = 0;
			do {
				if (p[0] == '/' && p[1] == '*') {
					depth++;
					PUT(*p++);
					PUT(*p++);
				} else if (p[0] == '*' && p[1] == '/') {
					depth--;
					PUT(*p++);
					PUT(*p++);
				} else {
					PUT(*p++);
				}
			} while (*p && depth > 0);
		} else if (ch == '$' && (p == sql || !ident_char(p[-1])) &&
			   (p[1] == '$' || (ident_char(p[1]) && !(p[1] >= '0' && p[1] <= '9')))) {
			/* A dollar quote opens with $tag$; a tag cannot start with a
			 * digit ($1 is a parameter) nor hold a '$'. */
			const char *t = p + 1;
			while (*t && *t != '$' && ident_char(*t))
				t++;
			if (*t != '$') {
				PUT(*p++);
				continue;
			}
			size_t tlen = (size_t)(t - p) + 1; /* "$tag$" */
			const char *end = NULL;
			for (const char *q = t + 1; !end && *q; q++)
				if (*q == '$' && strncmp(q, p, tlen) == 0)
					end = q + tlen;
			if (!end)
				end = p + strlen(p);
			while (p < end)
				PUT(*p++);
		} else if (ch == '?') {
			char num[16];
			int k = snprintf(num, sizeof num, "$%d", ++n);
			for (int i = 0; i < k; i++)
				PUT(num[i]);
			p++;
		} else {
			PUT(*p++);
		}
	}
	PUT('\0');
#undef PUT
	*nparams = n;
	return o;
}

/* The prepared statement for sql, from the cache or prepared now. */
static int prepare(pg_db *d, const char *sql, struct cached **out, hx_err *err)
{
	int victim = 0;
	for (int i = 0; i < STMT_CACHE; i++) {
		if (d->cache[i].sql && strcmp(d->cache[i].sql, sql) == 0) {
			d->cache[i].used = ++d->tick;
			*out = &d->cache[i];
			return 0;
		}
		if (d->cache[i].used < d->cache[victim].used)
			victim = i;
	}
	int nparams = 0, rc = 0;
	size_t len = rewrite(sql, NULL, &nparams);
	char *text = malloc(len), *key = strdup(sql);
	char name[24];
	if (!text || !key) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
		goto done;
	}
	rewrite(sql, text, &nparams);
	snprintf(name, sizeof name, "hx_%llu", ++d->next_name);
	PGresult *res = PQprepare(d->c, name, text, nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = result_error(d, res, err);
	PQclear(res);
	if (rc)
		goto done;
	struct cached *e = &d->cache[victim];
	cache_forget(d, e);
	e->sql = key;
	key = NULL;
	memcpy(e->name, name, sizeof e->name);
	e->nparams = nparams;
	e->used = ++d->tick;
	*out = e;
done:
	free(text);
	free(key);
	return rc;
}

/* Runs sql; each row goes to cb (when not NULL), and *changes (when not
 * NULL) gets the command's row count. */
static int run(pg_db *d, const char *sql, const hx_param *p, int np, hx_row_cb cb, void *ctx,
	       long long *changes, hx_err *err)
{
	char ibuf_stack[STACK_PARAMS][24];
	const char *vals_stack[STACK_PARAMS];
	const char *cols_stack[2 * STACK_COLS];
	char (*ibuf)[24] = ibuf_stack;
	const char **vals = vals_stack;
	const char **cols = cols_stack; /* names, then values */
	int ncols_cap = STACK_COLS;
	int rc = live(d, err), retried = 0, cb_rc, rows, stale;
	struct cached *st;
	PGresult *res;
	if (rc)
		return rc;
	if (np < 0 || (np > 0 && !p))
		return hx_err_set(err, HX_EINTERNAL, "db", "", "bad parameter list");
	if (np > STACK_PARAMS) {
		ibuf = malloc((size_t)np * sizeof *ibuf);
		vals = malloc((size_t)np * sizeof *vals);
		if (!ibuf || !vals) {
			rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
			goto done;
		}
	}
	for (int i = 0; i < np; i++) {
		switch (p[i].type) {
		case HX_P_TEXT:
			vals[i] = p[i].s;
			break;
		case HX_P_INT:
			snprintf(ibuf[i], sizeof ibuf[i], "%lld", p[i].i);
			vals[i] = ibuf[i];
			break;
		default:
			vals[i] = NULL;
		}
	}
again:
	cb_rc = rows = stale = 0;
	st = NULL;
	if ((rc = prepare(d, sql, &st, err)))
		goto done;
	if (np != st->nparams) {
		rc = hx_err_set(err, HX_EINTERNAL, "db", "", "statement wants %d parameters, got %d",
				st->nparams, np);
		goto done;
	}
	if (!PQsendQueryPrepared(d->c, st->name, np, vals, NULL, NULL, 0)) {
		rc = conn_error(d, err);
		goto done;
	}
	/* Rows one at a time: memory stays flat however big the result. */
	PQsetSingleRowMode(d->c);
	/* Read every result to the end, even after cb stopped or an error, so
	 * the connection is ready for the next command (cancelling instead
	 * would abort the caller's transaction). */
	while ((res = PQgetResult(d->c))) {
		ExecStatusType s = PQresultStatus(res);
		if (s == PGRES_SINGLE_TUPLE || s == PGRES_TUPLES_OK) {
			int ncols = PQnfields(res), nrows = PQntuples(res);
			if (cb && !cb_rc && !rc && nrows > 0 && ncols > ncols_cap) {
				if (cols != cols_stack)
					free(cols);
				cols = malloc(2 * (size_t)ncols * sizeof *cols);
				if (!cols) {
					cols = cols_stack;
					ncols_cap = STACK_COLS;
					rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
				} else {
					ncols_cap = ncols;
				}
			}
			for (int r = 0; cb && !cb_rc && !rc && r < nrows; r++) {
				for (int i = 0; i < ncols; i++) {
					cols[i] = PQfname(res, i);
					cols[ncols + i] = PQgetisnull(res, r, i) ? NULL
										  : PQgetvalue(res, r, i);
				}
				rows++;
				cb_rc = cb(ctx, ncols, cols, cols + ncols);
			}
			if (s == PGRES_TUPLES_OK && changes)
				*changes = strtoll(PQcmdTuples(res), NULL, 10);
		} else if (s == PGRES_COMMAND_OK) {
			if (changes)
				*changes = strtoll(PQcmdTuples(res), NULL, 10);
		} else if (s != PGRES_EMPTY_QUERY && !rc) {
			/* 26000: the statement is gone (DEALLOCATE ALL elsewhere);
			 * 0A000: its result type changed with the table. */
			stale = rows == 0 && (is_state(res, "26000") || is_state(res, "0A000"));
			rc = result_error(d, res, err);
		}
		PQclear(res);
	}
	if (cb_rc) {
		rc = cb_rc;
		goto done;
	}
	if (!rc && PQstatus(d->c) != CONNECTION_OK)
		rc = conn_error(d, err);
	if (stale) {
		cache_forget(d, st);
		/* Outside a transaction nothing was lost: prepare anew once. */
		if (!retried && PQtransactionStatus(d->c) == PQTRANS_IDLE) {
			retried = 1;
			rc = 0;
			goto again;
		}
	}
done:
	if (ibuf != ibuf_stack)
		free(ibuf);
	if (vals != vals_stack)
		free(vals);
	if (cols != cols_stack)
		free(cols);
	return rc;
}

static int pg_each(hx_db *db, const char *sql, const hx_param *p, int np, hx_row_cb cb, void *ctx,
		   hx_err *err)
{
	return run((pg_db *)db, sql, p, np, cb, ctx, NULL, err);
}

static int pg_exec(hx_db *db, const char *sql, const hx_param *p, int np, long long *changes,
		   hx_err *err)
{
	long long n = 0;
	int rc = run((pg_db *)db, sql, p, np, NULL, NULL, &n, err);
	if (!rc && changes)
		*changes = n;
	return rc;
}

static int pg_drop(hx_db *db, const char *table, hx_err *err)
{
	pg_db *d = (pg_db *)db;
	int rc = live(d, err);
	if (rc)
		return rc;
	char *ident = PQescapeIdentifier(d->c, table, strlen(table));
	if (!ident)
		return conn_error(d, err);
	size_t n = strlen(ident) + 64;
	char *sql = malloc(n);
	if (!sql) {
		PQfreemem(ident);
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	}
	snprintf(sql, n, "DROP TABLE IF EXISTS %s CASCADE", ident);
	PQfreemem(ident);
	rc = pg_script(db, sql, err);
	free(sql);
	/* Cached plans may refer to the table; a re-created table of the same
	 * name must not meet them. */
	if (PQtransactionStatus(d->c) != PQTRANS_INERROR) {
		int drc = pg_script(db, "DEALLOCATE ALL", rc ? NULL : err);
		if (!rc)
			rc = drc;
	}
	cache_clear(d);
	return rc;
}

static int seq_cb(void *ctx, int ncols, const char *const *names, const char *const *vals)
{
	(void)names;
	char **seq = ctx;
	if (ncols > 0 && vals[0] && !*seq)
		*seq = strdup(vals[0]);
	return 0;
}

static int pg_reset_sequence(hx_db *db, const char *table, hx_err *err)
{
	pg_db *d = (pg_db *)db;
	char *seq = NULL, *ident = NULL, *sql = NULL;
	hx_param p[] = {hx_p_text(table)};
	/* Only tables with an `id` column: pg_get_serial_sequence raises an
	 * error (aborting the restore's transaction) on a missing column. */
	int rc = run(d,
		     "SELECT pg_get_serial_sequence(c.oid::regclass::text, 'id')"
		     " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
		     " WHERE c.oid = to_regclass(?) AND a.attname = 'id' AND NOT a.attisdropped",
		     p, 1, seq_cb, &seq, NULL, err);
	if (rc || !seq)
		goto done;
	if (!(ident = PQescapeIdentifier(d->c, table, strlen(table)))) {
		rc = conn_error(d, err);
		goto done;
	}
	size_t n = strlen(ident) + 128;
	if (!(sql = malloc(n))) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
		goto done;
	}
	snprintf(sql, n, "SELECT setval(?::regclass, coalesce(max(id), 0) + 1, false) FROM %s", ident);
	hx_param q[] = {hx_p_text(seq)};
	rc = run(d, sql, q, 1, NULL, NULL, NULL, err);
done:
	free(seq);
	free(sql);
	PQfreemem(ident);
	return rc;
}

const hx_store_ops hx_store_pg_ops = {
	.kind = HX_STORE_PG,
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.script = pg_script,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec = pg_exec,
	.each = pg_each,
	.list_tables_sql = "SELECT c.relname AS name FROM pg_class c"
			   " JOIN pg_namespace n ON n.oid = c.relnamespace"
			   " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
			   " AND NOT c.relispartition ORDER BY c.oid",
	.drop_table = pg_drop,
	.reset_sequence = pg_reset_sequence,
};
