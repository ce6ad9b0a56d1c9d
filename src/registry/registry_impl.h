/* Inside the registry: the scope clauses shared by its files. */
#ifndef HX_REGISTRY_IMPL_H
#define HX_REGISTRY_IMPL_H

#include "../core/buf.h"
#include "../store/store.h"
#include "registry.h"

/* Appends " AND …" limiting enterprises (alias e) to the caller's scope.
 * Returns hx_buf_failed(w): a query whose text did not fit (its scope
 * clause cut off) must not run. */
int hx_registry_scope_enterprises(hx_buf *w, hx_param *p, int *np, const hx_principal *me);
/* The error to answer with when a query's text did not fit. */
int hx_registry_query_too_long(hx_err *err);
/* Reads and checks an enterprise body (create when creating). */
int hx_registry_enterprise_fields(hx_ctx *c, json_t *body, int creating, json_t *cur, hx_err *err);
int hx_registry_enterprise_insert(long long *id, hx_ctx *c, json_t *f, int demo, hx_err *err);
int hx_registry_area_by_name(long long *id, hx_ctx *c, const char *name_or_code);
int hx_registry_phone_ok(const char *phone);

#define HX_EMPLOYMENT_TYPES "full_time", "全日制", "part_time", "非全日制", "dispatched", "劳务派遣"

/* A checked worker, ready to insert: ID number already sealed. */
typedef struct hx_worker_row {
	long long enterprise_id;
	const char *name, *phone, *hire_date, *job, *employment_type, *leave_date;
	const char *id_enc, *id_hash, *id_masked, *birth, *sex;
	/* a paper contract (纸质劳动合同) on file: start, end (NULL: open-ended) */
	const char *paper_start, *paper_end;
	char sexbuf[2];
} hx_worker_row;
/* Checks body (creating: all required fields) into row; arena strings. */
int hx_registry_worker_check(hx_worker_row *row, hx_ctx *c, json_t *body, int creating, hx_err *err);
int hx_registry_worker_insert(long long *id, hx_ctx *c, const hx_worker_row *row, int demo, hx_err *err);
const char *hx_registry_employment_type_key(const char *label_or_key);

/* count(*) of a list query (sql returns one integer), reused while the
 * table's change counter (1: enterprises/areas, 2: workers) stays put. */
int hx_registry_count(long long *total, hx_ctx *c, int table, const char *sql, const hx_param *p,
		      int np, hx_err *err);
int hx_registry_generation(long long *gen, hx_ctx *c, int table, hx_err *err);
/* A serialized answer stored under the description what (everything it
 * depends on) at generation gen; malloc'd copy or NULL. */
char *hx_registry_cache_get(const char *what, long long gen);
void hx_registry_cache_put(const char *what, long long gen, const char *text);

#endif
