/* What the store's backends share: the connection header every backend's
 * connection starts with, and the operations a backend provides
 * (store_sqlite.c, store_pg.c), like Redis's ae_epoll.c / ae_kqueue.c. */
#ifndef HX_STORE_IMPL_H
#define HX_STORE_IMPL_H

#include <pthread.h>

#include "store.h"

enum { HX_TX_NONE, HX_TX_READ, HX_TX_WRITE, HX_TX_SNAPSHOT };

struct hx_db {
	hx_store *store;
	int tx; /* HX_TX_… */
	int in_use;
};

typedef struct hx_store_ops {
	hx_store_kind kind;
	int (*connect)(hx_db **out, hx_store *s, const char *url, hx_err *err);
	void (*disconnect)(hx_db *db);
	/* Runs several statements without parameters (migrations). */
	int (*script)(hx_db *db, const char *sql, hx_err *err);
	int (*begin)(hx_db *db, int mode, hx_err *err);
	int (*commit)(hx_db *db, hx_err *err);
	int (*rollback)(hx_db *db);
	int (*exec)(hx_db *db, const char *sql, const hx_param *p, int np, long long *changes,
		    hx_err *err);
	int (*each)(hx_db *db, const char *sql, const hx_param *p, int np, hx_row_cb cb, void *ctx,
		    hx_err *err);
	/* SQL listing the user tables in creation order, one column "name". */
	const char *list_tables_sql;
	/* Drops one table (and what depends on it). */
	int (*drop_table)(hx_db *db, const char *table, hx_err *err);
	/* After rows were inserted with explicit ids: move the id sequence on. */
	int (*reset_sequence)(hx_db *db, const char *table, hx_err *err);
} hx_store_ops;

extern const hx_store_ops hx_store_sqlite_ops;
extern const hx_store_ops hx_store_pg_ops;

struct hx_store {
	const hx_store_ops *ops;
	char *url;
	int pool_size;
	int opened;
	hx_db **pool;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* One embedded migration (generated from src/<module>/migrations/). */
typedef struct hx_migration {
	const char *id; /* "registry/001_init" */
	const char *sql;
} hx_migration;
extern const hx_migration hx_migrations[];
extern const size_t hx_migrations_count;

#endif
