/* The backend-independent part of the store: the connection pool,
 * transactions, result sets, migrations, and the portable backup format. */
#include "store_impl.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/crypto.h"
#include "../core/timeutil.h"

static const hx_store_ops *ops_for(const char *url, const char **path)
{
	if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
		*path = url;
		return &hx_store_pg_ops;
	}
	*path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
	return &hx_store_sqlite_ops;
}

int hx_store_open(hx_store **out, const char *url, int pool, hx_err *err)
{
	const char *path;
	const hx_store_ops *ops = ops_for(url, &path);
	hx_store *s = calloc(1, sizeof *s);
	if (!s)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	s->ops = ops;
	s->url = strdup(path);
	s->pool_size = pool < 1 ? 1 : pool;
	s->pool = calloc((size_t)s->pool_size, sizeof *s->pool);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	/* Open the first connection now so a bad URL fails at once. */
	int rc = ops->connect(&s->pool[0], s, s->url, err);
	if (rc) {
		hx_store_close(s);
		return rc;
	}
	s->opened = 1;
	*out = s;
	return 0;
}

void hx_store_close(hx_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->pool_size; i++)
		if (s->pool[i])
			s->ops->disconnect(s->pool[i]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s->pool);
	free(s->url);
	free(s);
}

hx_store_kind hx_store_kind_of(const hx_store *s)
{
	return s->ops->kind;
}

int hx_db_get(hx_db **out, hx_store *s, hx_err *err)
{
	pthread_mutex_lock(&s->mu);
	for (;;) {
		int empty_slot = -1;
		for (int i = 0; i < s->pool_size; i++) {
			if (s->pool[i] && !s->pool[i]->in_use) {
				s->pool[i]->in_use = 1;
				*out = s->pool[i];
				pthread_mutex_unlock(&s->mu);
				return 0;
			}
			if (!s->pool[i] && empty_slot < 0)
				empty_slot = i;
		}
		if (empty_slot >= 0) {
			hx_db *db = NULL;
			/* Connect outside the lock would be nicer; connections are made
			 * once per slot, so holding it here is simple and rare. */
			int rc = s->ops->connect(&db, s, s->url, err);
			if (rc) {
				pthread_mutex_unlock(&s->mu);
				return rc;
			}
			db->in_use = 1;
			s->pool[empty_slot] = db;
			*out = db;
			pthread_mutex_unlock(&s->mu);
			return 0;
		}
		pthread_cond_wait(&s->cv, &s->mu);
	}
}

void hx_db_put(hx_db *db)
{
	if (!db)
		return;
	if (db->tx != HX_TX_NONE)
		hx_db_rollback(db);
	hx_store *s = db->store;
	pthread_mutex_lock(&s->mu);
	db->in_use = 0;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

hx_store *hx_db_store(hx_db *db)
{
	return db->store;
}

static int begin(hx_db *db, int mode, hx_err *err)
{
	if (db->tx != HX_TX_NONE)
		return hx_err_set(err, HX_EINTERNAL, "tx", "", "transaction already open");
	int rc = db->store->ops->begin(db, mode, err);
	if (!rc)
		db->tx = mode;
	return rc;
}

int hx_db_begin_read(hx_db *db, hx_err *err) { return begin(db, HX_TX_READ, err); }
int hx_db_begin_write(hx_db *db, hx_err *err) { return begin(db, HX_TX_WRITE, err); }
int hx_db_begin_snapshot(hx_db *db, hx_err *err) { return begin(db, HX_TX_SNAPSHOT, err); }

int hx_db_commit(hx_db *db, hx_err *err)
{
	if (db->tx == HX_TX_NONE)
		return 0;
	int rc = db->store->ops->commit(db, err);
	if (rc)
		db->store->ops->rollback(db);
	db->tx = HX_TX_NONE;
	return rc;
}

int hx_db_rollback(hx_db *db)
{
	if (db->tx == HX_TX_NONE)
		return 0;
	int rc = db->store->ops->rollback(db);
	db->tx = HX_TX_NONE;
	return rc;
}

int hx_db_in_tx(const hx_db *db)
{
	return db->tx != HX_TX_NONE;
}

int hx_db_in_read_tx(const hx_db *db)
{
	return db->tx == HX_TX_READ || db->tx == HX_TX_SNAPSHOT;
}

int hx_db_exec(hx_db *db, const char *sql, const hx_param *p, int np, long long *changes,
	       hx_err *err)
{
	return db->store->ops->exec(db, sql, p, np, changes, err);
}

int hx_db_each(hx_db *db, const char *sql, const hx_param *p, int np, hx_row_cb cb, void *ctx,
	       hx_err *err)
{
	return db->store->ops->each(db, sql, p, np, cb, ctx, err);
}

struct collect {
	hx_arena *a;
	hx_rows *r;
	size_t cap;
	const char **cells; /* malloc'd while collecting */
};

static int collect_row(void *ctx, int ncols, const char *const *names, const char *const *vals)
{
	struct collect *c = ctx;
	hx_rows *r = c->r;
	if (!r->names) {
		r->ncols = ncols;
		r->names = hx_arena_alloc(c->a, sizeof(char *) * (size_t)(ncols ? ncols : 1));
		for (int i = 0; i < ncols; i++)
			r->names[i] = hx_arena_strdup(c->a, names[i]);
	}
	size_t need = ((size_t)r->nrows + 1) * (size_t)ncols;
	if (need > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		while (cap < need)
			cap *= 2;
		const char **n = realloc(c->cells, cap * sizeof *n);
		if (!n)
			return HX_ENOMEM;
		c->cells = n;
		c->cap = cap;
	}
	for (int i = 0; i < ncols; i++)
		c->cells[(size_t)r->nrows * (size_t)ncols + (size_t)i] = hx_arena_strdup(c->a, vals[i]);
	r->nrows++;
	return 0;
}

int hx_db_query(hx_db *db, hx_arena *a, hx_rows **out, const char *sql, const hx_param *p,
		int np, hx_err *err)
{
	struct collect c = {a, hx_arena_alloc(a, sizeof(hx_rows)), 0, NULL};
	int rc = hx_db_each(db, sql, p, np, collect_row, &c, err);
	if (rc == HX_ENOMEM)
		hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	if (!rc) {
		size_t n = (size_t)c.r->nrows * (size_t)c.r->ncols;
		c.r->cells = hx_arena_alloc(a, sizeof(char *) * (n ? n : 1));
		if (n)
			memcpy(c.r->cells, c.cells, n * sizeof(char *));
		if (!c.r->names)
			c.r->names = hx_arena_alloc(a, sizeof(char *));
		*out = c.r;
	}
	free(c.cells);
	return rc;
}

struct one_int {
	long long v;
	int seen;
};

static int one_int_cb(void *ctx, int ncols, const char *const *names, const char *const *vals)
{
	(void)names;
	struct one_int *o = ctx;
	if (!o->seen && ncols > 0 && vals[0])
		o->v = strtoll(vals[0], NULL, 10);
	o->seen = 1;
	return 0;
}

int hx_db_int(hx_db *db, long long *out, const char *sql, const hx_param *p, int np, hx_err *err)
{
	struct one_int o = {0, 0};
	int rc = hx_db_each(db, sql, p, np, one_int_cb, &o, err);
	if (rc)
		return rc;
	if (!o.seen)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "no row");
	*out = o.v;
	return 0;
}

const char *hx_rows_get(const hx_rows *r, int row, const char *name)
{
	hx_rows *m = (hx_rows *)r; /* the hint is a cache, not the value */
	for (int k = 0; k < r->ncols; k++) {
		int i = (m->hint + k) % r->ncols;
		if (strcmp(r->names[i], name) == 0) {
			m->hint = i + 1 < r->ncols ? i + 1 : 0;
			return hx_rows_cell(r, row, i);
		}
	}
	return NULL;
}

long long hx_rows_int(const hx_rows *r, int row, const char *name)
{
	const char *v = hx_rows_get(r, row, name);
	return v ? strtoll(v, NULL, 10) : 0;
}

char *hx_store_like_pattern(hx_arena *a, const char *text)
{
	size_t n = strlen(text);
	char *p = hx_arena_alloc(a, 2 * n + 3), *q = p;
	*q++ = '%';
	for (const char *s = text; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			*q++ = '\\';
		*q++ = *s;
	}
	*q++ = '%';
	*q = '\0';
	return p;
}

/* ---- migrations ---- */

/* Keeps the lines of sql that belong to this dialect and expands {{ID}}. */
static char *dialect_sql(const char *sql, hx_store_kind kind)
{
	hx_buf b;
	hx_buf_init(&b, 0);
	int keep = 1;
	const char *line = sql;
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
		if (strncmp(line, "-- @sqlite", 10) == 0)
			keep = kind == HX_STORE_SQLITE;
		else if (strncmp(line, "-- @pg", 6) == 0)
			keep = kind == HX_STORE_PG;
		else if (strncmp(line, "-- @both", 8) == 0)
			keep = 1;
		else if (keep) {
			const char *l = line, *end = line + len;
			while (l < end) {
				const char *m = strstr(l, "{{ID}}");
				if (!m || m >= end) {
					hx_buf_append(&b, l, (size_t)(end - l));
					break;
				}
				hx_buf_append(&b, l, (size_t)(m - l));
				hx_buf_puts(&b, kind == HX_STORE_PG
						    ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
						    : "INTEGER PRIMARY KEY");
				l = m + 6;
			}
		}
		line += len;
	}
	return hx_buf_steal(&b, NULL);
}

int hx_store_migrate(hx_store *s, int *applied, hx_err *err)
{
	hx_db *db = NULL;
	int rc = hx_db_get(&db, s, err), n = 0;
	if (rc)
		return rc;
	rc = s->ops->script(db,
			    "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
			    err);
	for (size_t i = 0; !rc && i < hx_migrations_count; i++) {
		const hx_migration *m = &hx_migrations[i];
		long long have = 0;
		hx_param p[] = {hx_p_text(m->id)};
		if ((rc = hx_db_begin_write(db, err)))
			break;
		rc = hx_db_int(db, &have, "SELECT count(*) FROM schema_migrations WHERE id = ?", p, 1, err);
		if (!rc && !have) {
			char *sql = dialect_sql(m->sql, s->ops->kind);
			rc = s->ops->script(db, sql, err);
			free(sql);
			if (rc) {
				char msg[sizeof err->msg];
				snprintf(msg, sizeof msg, "%s", err->msg);
				hx_err_set(err, HX_EDB, "migration", "", "migration %s: %s", m->id, msg);
			}
			char now[21];
			hx_now_iso(now);
			hx_param q[] = {hx_p_text(m->id), hx_p_text(now)};
			if (!rc)
				rc = hx_db_exec(db, "INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)",
						q, 2, NULL, err);
			if (!rc)
				n++;
		}
		if (rc)
			hx_db_rollback(db);
		else
			rc = hx_db_commit(db, err);
	}
	hx_db_put(db);
	if (applied)
		*applied = n;
	return rc;
}

/* ---- backup / restore ---- */

struct name_list {
	char **v;
	int n;
};

static int name_cb(void *ctx, int ncols, const char *const *names, const char *const *vals)
{
	(void)ncols;
	(void)names;
	struct name_list *l = ctx;
	if (strcmp(vals[0], "schema_migrations") == 0)
		return 0;
	char **v = realloc(l->v, sizeof(char *) * (size_t)(l->n + 1));
	if (!v)
		return HX_ENOMEM;
	l->v = v;
	l->v[l->n++] = strdup(vals[0]);
	return 0;
}

static void names_free(struct name_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int valid_ident(const char *s)
{
	if (!*s || strlen(s) > 63)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

struct dump {
	FILE *out;
	EVP_MD_CTX *md;
	long long rows;
	int wrote_cols;
	const char *table;
};

static int dump_row(void *ctx, int ncols, const char *const *names, const char *const *vals)
{
	struct dump *d = ctx;
	if (!d->wrote_cols && d->out) {
		json_t *h = json_object(), *cols = json_array();
		for (int i = 0; i < ncols; i++)
			json_array_append_new(cols, json_string(names[i]));
		json_object_set_new(h, "table", json_string(d->table));
		json_object_set_new(h, "columns", cols);
		char *t = json_dumps(h, JSON_COMPACT);
		fprintf(d->out, "%s\n", t);
		free(t);
		json_decref(h);
	}
	d->wrote_cols = 1;
	json_t *row = json_array();
	for (int i = 0; i < ncols; i++)
		json_array_append_new(row, vals[i] ? json_string(vals[i]) : json_null());
	char *t = json_dumps(row, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(row);
	if (!t)
		return HX_ENOMEM;
	EVP_DigestUpdate(d->md, t, strlen(t));
	EVP_DigestUpdate(d->md, "\n", 1);
	if (d->out)
		fprintf(d->out, "%s\n", t);
	free(t);
	d->rows++;
	return 0;
}

/* Dumps (out != NULL) or checksums (sums != NULL) every table from one
 * snapshot. */
static int walk_tables(hx_store *s, FILE *out, FILE *sums, hx_err *err)
{
	hx_db *db = NULL;
	struct name_list tables = {0};
	int rc = hx_db_get(&db, s, err);
	if (rc)
		return rc;
	if ((rc = hx_db_begin_snapshot(db, err)))
		goto done;
	if ((rc = hx_db_each(db, s->ops->list_tables_sql, NULL, 0, name_cb, &tables, err)))
		goto done;
	if (out) {
		json_t *h = json_object(), *migs = json_array();
		char now[21];
		hx_now_iso(now);
		json_object_set_new(h, "hexie_backup", json_integer(1));
		json_object_set_new(h, "created_at", json_string(now));
		json_object_set_new(h, "backend",
				    json_string(s->ops->kind == HX_STORE_PG ? "postgresql" : "sqlite"));
		for (size_t i = 0; i < hx_migrations_count; i++)
			json_array_append_new(migs, json_string(hx_migrations[i].id));
		json_object_set_new(h, "migrations", migs);
		char *t = json_dumps(h, JSON_COMPACT);
		fprintf(out, "%s\n", t);
		free(t);
		json_decref(h);
	}
	for (int i = 0; i < tables.n; i++) {
		if (!valid_ident(tables.v[i]))
			continue;
		char sql[256];
		/* Rows in primary-key order: a table's own references (a parent
		 * area) come before the rows that point at them. */
		snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY 1", tables.v[i]);
		struct dump d = {out, EVP_MD_CTX_new(), 0, 0, tables.v[i]};
		EVP_DigestInit_ex(d.md, EVP_sha256(), NULL);
		rc = hx_db_each(db, sql, NULL, 0, dump_row, &d, err);
		uint8_t md[32];
		unsigned int mdlen = 32;
		EVP_DigestFinal_ex(d.md, md, &mdlen);
		EVP_MD_CTX_free(d.md);
		if (rc)
			goto done;
		char hex[65];
		hx_hex(hex, md, 32);
		if (out) {
			if (!d.wrote_cols)
				fprintf(out, "{\"table\":\"%s\",\"columns\":[]}\n", tables.v[i]);
			fprintf(out, "{\"end\":\"%s\",\"rows\":%lld,\"sha256\":\"%s\"}\n", tables.v[i],
				d.rows, hex);
		}
		if (sums)
			fprintf(sums, "%s %lld %s\n", tables.v[i], d.rows, hex);
	}
	if (out)
		fprintf(out, "{\"end_backup\":true,\"tables\":%d}\n", tables.n);
	hx_db_rollback(db);
done:
	names_free(&tables);
	hx_db_put(db);
	if (!rc && out && (fflush(out) != 0 || ferror(out)))
		rc = hx_err_set(err, HX_EIO, "io", "", "cannot write the backup file");
	return rc;
}

int hx_store_backup(hx_store *s, FILE *out, hx_err *err)
{
	return walk_tables(s, out, NULL, err);
}

int hx_store_checksums(hx_store *s, FILE *out, hx_err *err)
{
	return walk_tables(s, NULL, out, err);
}

/* Tables whose rows "hexie init" loads as reference data: a store holding
 * only these is still empty for restore. */
static int is_reference_table(const char *t)
{
	static const char *const ref[] = {"areas", "organizations", "registry_generations", "evidence_head", NULL};
	for (int i = 0; ref[i]; i++)
		if (strcmp(t, ref[i]) == 0)
			return 1;
	return 0;
}

int hx_store_is_empty(hx_store *s, int *empty, hx_err *err)
{
	hx_db *db = NULL;
	struct name_list tables = {0};
	int rc = hx_db_get(&db, s, err);
	if (rc)
		return rc;
	*empty = 1;
	if ((rc = hx_db_each(db, s->ops->list_tables_sql, NULL, 0, name_cb, &tables, err)))
		goto done;
	for (int i = 0; i < tables.n && *empty; i++) {
		if (!valid_ident(tables.v[i]) || is_reference_table(tables.v[i]))
			continue;
		char sql[256];
		long long n = 0;
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables.v[i]);
		if ((rc = hx_db_int(db, &n, sql, NULL, 0, err)))
			goto done;
		if (n)
			*empty = 0;
	}
done:
	names_free(&tables);
	hx_db_put(db);
	return rc;
}

static char *read_line(FILE *in, hx_buf *b)
{
	hx_buf_reset(b);
	int c;
	while ((c = fgetc(in)) != EOF && c != '\n') {
		char ch = (char)c;
		if (hx_buf_append(b, &ch, 1))
			return NULL;
	}
	if (c == EOF && b->len == 0)
		return NULL;
	if (!b->data)
		hx_buf_append(b, "", 0);
	return b->data;
}

int hx_store_restore(hx_store *s, FILE *in, int force, hx_err *err)
{
	hx_buf line;
	hx_buf_init(&line, (size_t)256 << 20);
	hx_db *db = NULL;
	struct name_list tables = {0};
	json_t *j = NULL, *cols = NULL;
	char *table = NULL;
	int rc = 0, empty = 0;
	char *sql = NULL;
	hx_param *params = NULL;

	if (!read_line(in, &line) || !(j = json_loads(line.data, 0, NULL)) ||
	    json_integer_value(json_object_get(j, "hexie_backup")) != 1) {
		rc = hx_err_set(err, HX_EINVAL, "bad_backup", "", "not a Hexie backup file");
		goto done;
	}
	json_t *migs = json_object_get(j, "migrations");
	size_t mi;
	json_t *mv;
	json_array_foreach(migs, mi, mv) {
		int known = 0;
		for (size_t k = 0; k < hx_migrations_count; k++)
			if (strcmp(hx_migrations[k].id, json_string_value(mv) ? json_string_value(mv) : "") == 0)
				known = 1;
		if (!known) {
			rc = hx_err_set(err, HX_EINVAL, "bad_backup", "",
					"the backup was made by a newer Hexie (unknown migration %s)",
					json_string_value(mv));
			goto done;
		}
	}
	json_decref(j);
	j = NULL;

	if ((rc = hx_store_is_empty(s, &empty, err)))
		goto done;
	if (!empty && !force) {
		rc = hx_err_set(err, HX_ECONFLICT, "not_empty", "",
				"the store already holds data; use --force to replace it");
		goto done;
	}
	if ((rc = hx_db_get(&db, s, err)))
		goto done;
	/* Start from a fresh schema: drop every table (newest first), migrate. */
	if ((rc = hx_db_each(db, s->ops->list_tables_sql, NULL, 0, name_cb, &tables, err)))
		goto done;
	for (int i = tables.n - 1; i >= 0; i--)
		if (valid_ident(tables.v[i]) && (rc = s->ops->drop_table(db, tables.v[i], err)))
			goto done;
	if ((rc = s->ops->drop_table(db, "schema_migrations", err)))
		goto done;
	hx_db_put(db);
	db = NULL;
	if ((rc = hx_store_migrate(s, NULL, err)))
		goto done;
	if ((rc = hx_db_get(&db, s, err)) || (rc = hx_db_begin_write(db, err)))
		goto done;
	/* Reference rows loaded by migrations are replaced by the backup's. */
	names_free(&tables);
	if ((rc = hx_db_each(db, s->ops->list_tables_sql, NULL, 0, name_cb, &tables, err)))
		goto done;
	int ncols = 0;
	long long nrows = 0;
	while (read_line(in, &line)) {
		json_t *v = json_loads(line.data, JSON_DECODE_ANY, NULL);
		if (!v) {
			rc = hx_err_set(err, HX_EINVAL, "bad_backup", "", "corrupt line in backup");
			goto done;
		}
		if (json_is_array(v)) {
			if (!table || (int)json_array_size(v) != ncols) {
				json_decref(v);
				rc = hx_err_set(err, HX_EINVAL, "bad_backup", "", "row outside a table");
				goto done;
			}
			for (int i = 0; i < ncols; i++) {
				json_t *c = json_array_get(v, (size_t)i);
				params[i] = json_is_string(c) ? hx_p_text(json_string_value(c)) : hx_p_null();
			}
			rc = hx_db_exec(db, sql, params, ncols, NULL, err);
			json_decref(v);
			if (rc)
				goto done;
			nrows++;
			continue;
		}
		const char *t = json_string_value(json_object_get(v, "table"));
		const char *e = json_string_value(json_object_get(v, "end"));
		if (t) {
			free(table);
			table = strdup(t);
			json_decref(cols);
			cols = json_incref(json_object_get(v, "columns"));
			ncols = (int)json_array_size(cols);
			nrows = 0;
			int known = valid_ident(table) && strcmp(table, "schema_migrations") != 0;
			for (int i = 0; known && i < tables.n; i++)
				if (strcmp(tables.v[i], table) == 0)
					known = 2;
			if (known != 2) {
				json_decref(v);
				rc = hx_err_set(err, HX_EINVAL, "bad_backup", "", "unknown table in backup");
				goto done;
			}
			char del[128];
			snprintf(del, sizeof del, "DELETE FROM %s", table);
			if ((rc = hx_db_exec(db, del, NULL, 0, NULL, err))) {
				json_decref(v);
				goto done;
			}
			hx_buf q;
			hx_buf_init(&q, 0);
			hx_buf_printf(&q, "INSERT INTO %s (", table);
			for (int i = 0; i < ncols; i++) {
				const char *cn = json_string_value(json_array_get(cols, (size_t)i));
				if (!cn || !valid_ident(cn)) {
					hx_buf_free(&q);
					json_decref(v);
					rc = hx_err_set(err, HX_EINVAL, "bad_backup", "", "bad column name");
					goto done;
				}
				hx_buf_printf(&q, "%s%s", i ? ", " : "", cn);
			}
			hx_buf_puts(&q, ") VALUES (");
			for (int i = 0; i < ncols; i++)
				hx_buf_puts(&q, i ? ", ?" : "?");
			hx_buf_puts(&q, ")");
			free(sql);
			sql = hx_buf_steal(&q, NULL);
			free(params);
			params = calloc((size_t)(ncols ? ncols : 1), sizeof *params);
		} else if (e) {
			if (!table || strcmp(e, table) != 0 ||
			    json_integer_value(json_object_get(v, "rows")) != nrows) {
				json_decref(v);
				rc = hx_err_set(err, HX_EINVAL, "bad_backup", "",
						"row count of table %s does not match the backup", e);
				goto done;
			}
			if ((rc = s->ops->reset_sequence(db, table, err))) {
				json_decref(v);
				goto done;
			}
			free(table);
			table = NULL;
		} else if (json_is_true(json_object_get(v, "end_backup"))) {
			json_decref(v);
			rc = hx_db_commit(db, err);
			goto done;
		}
		json_decref(v);
	}
	rc = hx_err_set(err, HX_EINVAL, "bad_backup", "", "the backup file is truncated");
done:
	if (db)
		hx_db_put(db);
	names_free(&tables);
	json_decref(j);
	json_decref(cols);
	free(table);
	free(sql);
	free(params);
	hx_buf_free(&line);
	return rc;
}
