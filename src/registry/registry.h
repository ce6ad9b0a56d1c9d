/* The registry (登记): areas (county → 乡镇 / 街道 / 园区), enterprises
 * (uscc, 统一社会信用代码), workers (the roster, 职工名册, with ID numbers
 * sealed at rest), the assignment of enterprises to third-party agencies,
 * and spreadsheet import and export. Every query takes the caller's data
 * scope from ctx->me; an object outside it does not exist (HX_ENOTFOUND). */
#ifndef HX_REGISTRY_H
#define HX_REGISTRY_H

#include <jansson.h>
#include <stdio.h>

#include "../account/account.h"
#include "../core/ctx.h"
#include "../core/err.h"

/* Areas. */
int hx_registry_areas_load(hx_ctx *c, const char *path, int *loaded, hx_err *err);
int hx_registry_area_list(json_t **out, hx_ctx *c, hx_err *err);
int hx_registry_area_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_registry_area_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
/* Name of an area; HX_ENOTFOUND when there is none. *name is arena memory. */
int hx_registry_area_name(const char **name, hx_ctx *c, long long id, hx_err *err);

/* Enterprises. */
typedef struct hx_enterprise_filter {
	const char *q;
	long long area_id;
	const char *industry;
	int above_scale, is_company, newly_registered, special_difficulty, is_sme; /* -1 any */
	int deleted; /* 1: only deleted ones */
	const char *sort;
} hx_enterprise_filter;

int hx_registry_enterprise_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_registry_enterprise_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_registry_enterprise_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_registry_enterprise_delete(hx_ctx *c, long long id, hx_err *err);
int hx_registry_enterprise_restore(json_t **out, hx_ctx *c, long long id, hx_err *err);
/* page_size 0: every row (export). */
int hx_registry_enterprise_list(json_t **out, hx_ctx *c, const hx_enterprise_filter *f,
				long long page, long long page_size, hx_err *err);
/* The same list serialized as JSON text (malloc'd), served from the
 * registry's cache while nothing changed (county and area scopes). */
int hx_registry_enterprise_list_text(char **out, size_t *len, hx_ctx *c,
				     const hx_enterprise_filter *f, long long page,
				     long long page_size, hx_err *err);
/* 0 when the enterprise is in the caller's scope and not deleted;
 * HX_ENOTFOUND otherwise. */
int hx_registry_enterprise_visible(hx_ctx *c, long long id, hx_err *err);
/* The same, deleted enterprises included: for records that outlive the
 * enterprise's place in the registry (contracts kept for 劳动合同法
 * 第五十条第三款). */
int hx_registry_enterprise_in_scope(hx_ctx *c, long long id, hx_err *err);
/* Name of an enterprise in the caller's scope (HX_ENOTFOUND outside). */
int hx_registry_enterprise_name(const char **name, hx_ctx *c, long long id, hx_err *err);
int hx_registry_enterprise_by_uscc(long long *id, hx_ctx *c, const char *uscc, hx_err *err);

/* Workers. */
typedef struct hx_worker_filter {
	long long enterprise_id;
	const char *q;
	const char *employment_type;
	int active; /* -1 any */
	const char *sort;
} hx_worker_filter;

int hx_registry_worker_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_registry_worker_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_registry_worker_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_registry_worker_delete(hx_ctx *c, long long id, hx_err *err);
int hx_registry_worker_list(json_t **out, hx_ctx *c, const hx_worker_filter *f, long long page,
			    long long page_size, hx_err *err);
int hx_registry_worker_exists(hx_ctx *c, long long id, hx_err *err);

/* Agencies' enterprises. */
int hx_registry_agency_enterprises(json_t **out, hx_ctx *c, long long org_id, hx_err *err);
int hx_registry_agency_assign(hx_ctx *c, long long org_id, json_t *enterprise_ids, hx_err *err);
int hx_registry_agency_count(long long *n, hx_ctx *c, long long org_id, hx_err *err);

/* Import (registry_import.c). kind is "enterprises" or "workers". The import
 * job row is made by hx_registry_import_create in the request's transaction;
 * hx_registry_import_run runs it (on its own connections: it validates every
 * row, updating progress, then writes all rows in one transaction). */
typedef void (*hx_import_progress)(void *ctx, const char *status, long long done, long long total);
int hx_registry_import_create(json_t **out, hx_ctx *c, const char *kind, long long enterprise_id,
			      const char *filename, const void *data, size_t len, hx_err *err);
int hx_registry_import_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_registry_import_list(json_t **out, hx_ctx *c, hx_err *err);
/* Runs queued imports until none is left (server worker thread, CLI). */
struct hx_store;
int hx_registry_import_run_pending(struct hx_store *s, const struct hx_keys *keys,
				   const char *data_dir, hx_err *err);
/* Marks imports left running by a stopped process as failed (at start). */
int hx_registry_import_recover(hx_ctx *c, hx_err *err);
/* Templates for import: .xlsx bytes (malloc'd). */
int hx_registry_import_template(char **out, size_t *len, const char *kind, hx_err *err);

/* Demo data (示例): fictional enterprises and workers, every code valid. */
int hx_registry_demo_load(hx_ctx *c, int enterprises, int workers_per, unsigned seed, hx_err *err);

/* What the roster says, for other modules' checks (rating's child-labor
 * veto): active workers, those under 16 today or on their hire date, and
 * minors (16–17 today). Within the caller's scope. */
typedef struct hx_roster_stats {
	long long active, under16, minors, dispatched;
} hx_roster_stats;
int hx_registry_roster_stats(hx_roster_stats *out, hx_ctx *c, long long enterprise_id, hx_err *err);
/* One area as JSON (any logged-in user may read areas). */
int hx_registry_area_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
/* 1 when the caller's scope covers the area (county, or the area or one
 * above it for an area scope). */
int hx_registry_area_in_scope(hx_ctx *c, long long area_id);
/* Ids of the live enterprises in the area and below (a JSON array). */
int hx_registry_area_enterprise_ids(json_t **out, hx_ctx *c, long long area_id, hx_err *err);

/* Meta lists for forms. */
json_t *hx_registry_industries_json(void);
const char *hx_registry_industry_name(const char *code);

#endif
