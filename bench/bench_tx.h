/* Shared by the contract and evidence benchmarks: a monotonic clock and
 * one function run in its own context and transaction (header-only: each
 * bench is one program). */
#ifndef HX_BENCH_TX_H
#define HX_BENCH_TX_H

#include <time.h>

#include "core/arena.h"
#include "store/store.h"

static inline double bench_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef int (*bench_fn)(hx_ctx *c, void *arg, hx_err *err);

/* Runs fn in a write transaction (committed when it returns 0), or in a
 * read transaction (always rolled back) when write is 0. */
static inline int bench_tx(hx_store *s, const hx_keys *keys, const hx_principal *me, int write, bench_fn fn, void *arg,
			   hx_err *err)
{
	hx_db *db;
	hx_arena *a = hx_arena_new();
	int rc = hx_db_get(&db, s, err);
	if (!rc) {
		hx_ctx c = {.db = db, .arena = a, .keys = keys, .me = me, .ip = "bench", .data_dir = "data"};
		if (!(rc = write ? hx_db_begin_write(db, err) : hx_db_begin_read(db, err)) && !(rc = fn(&c, arg, err)) &&
		    write)
			rc = hx_db_commit(db, err);
		if (rc || !write)
			hx_db_rollback(db);
		hx_db_put(db);
	}
	hx_arena_free(a);
	return rc;
}

#endif
