/* The HTTP server (libmicrohttpd): routing, the request lifecycle (body with
 * a cap → session → CSRF → permission → one transaction → handler →
 * commit or rollback → JSON answer), security headers and static files of
 * the web app. Modules register their routes; only src/http and the
 * modules' *_http.c files see this header. */
#ifndef HX_HTTP_H
#define HX_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "../account/account.h"
#include "../core/arena.h"
#include "../core/crypto.h"
#include "../core/ctx.h"
#include "../core/err.h"
#include "../core/json.h"
#include "../store/store.h"

#define HX_BODY_MAX ((size_t)1 << 20)    /* JSON bodies: 1 MiB */
#define HX_UPLOAD_MAX ((size_t)20 << 20) /* uploads: 20 MiB */

typedef struct hx_server hx_server;

typedef struct hx_server_config {
	const char *listen; /* "127.0.0.1:8080" */
	int threads;
	const char *web_dir;  /* built web app (web/dist), may be NULL */
	const char *data_dir; /* data/ */
	const char *var_dir;  /* var/ */
	int session_idle;     /* seconds */
	int session_max;      /* seconds */
	int secure_cookie;    /* add Secure (behind TLS) */
	int demo;             /* `serve --demo`: 演示模式 (codes shown in the outbox) */
} hx_server_config;

typedef struct hx_req {
	hx_ctx ctx;          /* db, arena, keys, me, ip */
	hx_server *srv;
	const char *method;
	const char *path;
	const char *body;
	size_t body_len;
	const char *params[4]; /* :name segments in route order */
	void *conn;            /* struct MHD_Connection *, for http/ only */
	hx_principal me;       /* filled when the route needs a session */

	/* the answer */
	int status;
	json_t *json;              /* sent as JSON when set (stolen) */
	char *raw;                 /* or raw bytes (malloc'd, stolen) */
	size_t raw_len;
	const char *content_type;
	const char *filename;      /* Content-Disposition: attachment */
	char *set_cookie;          /* arena string */
	int commit_anyway;         /* keep writes even when status >= 400 */
} hx_req;

typedef int (*hx_handler)(hx_req *r);

enum {
	HX_ROUTE_PUBLIC = 1,  /* no session needed */
	HX_ROUTE_UPLOAD = 2,  /* body up to HX_UPLOAD_MAX */
	HX_ROUTE_NO_CSRF = 4, /* state change allowed without CSRF (login) */
	HX_ROUTE_NO_TX = 8,   /* the handler runs without an open transaction */
	/* open to a session whose password is one-time (must_change_password);
	 * every other route answers 403 password_change_required */
	HX_ROUTE_PW_CHANGE = 16,
	/* perm lists alternatives: the caller needs any one of its bits */
	HX_ROUTE_PERM_ANY = 32,
};

typedef struct hx_route {
	const char *method;
	const char *pattern; /* "/api/v1/enterprises/:id" */
	hx_handler fn;
	unsigned flags;
	unsigned perm; /* HX_PERM_… the caller must hold (0: any logged-in user;
			  with HX_ROUTE_PERM_ANY, one of them) */
} hx_route;

int hx_server_new(hx_server **out, const hx_server_config *cfg, hx_store *store,
		  const hx_keys *keys, hx_err *err);
void hx_server_routes(hx_server *s, const hx_route *routes, size_t n);
int hx_server_start(hx_server *s, hx_err *err);
void hx_server_stop(hx_server *s);
void hx_server_free(hx_server *s);
hx_store *hx_server_store(hx_server *s);
const hx_server_config *hx_server_cfg(hx_server *s);

/* Request helpers. */
const char *hx_req_query(hx_req *r, const char *key); /* NULL when absent */
const char *hx_req_header(hx_req *r, const char *name);
long long hx_req_param_id(hx_req *r, int i); /* :id as a positive integer, 0 if not */
/* Parses the body as a JSON object, refusing keys not in allowed. */
int hx_req_body_json(hx_req *r, json_t **out, const char *const *allowed);
/* Sets the answer. hx_req_json steals j. */
int hx_req_json(hx_req *r, int status, json_t *j);
int hx_req_fail(hx_req *r, const hx_err *err);
int hx_req_file(hx_req *r, char *bytes, size_t len, const char *content_type,
		const char *filename);
/* Integer query parameter with bounds; def when absent. HX_EBADREQ when not
 * an integer, HX_EINVAL when out of range. */
int hx_req_query_int(hx_req *r, const char *key, long long def, long long min, long long max,
		     long long *out, hx_err *err);
/* 1/0 flag query parameter: -1 when absent. */
int hx_req_query_flag(hx_req *r, const char *key, int *out, hx_err *err);

/* Route registration of each module (called by main). */
void hx_account_http_register(hx_server *s);
void hx_audit_http_register(hx_server *s);
void hx_registry_http_register(hx_server *s);
void hx_meta_http_register(hx_server *s);
struct hx_rubric_set;
void hx_rating_http_register(hx_server *s, const struct hx_rubric_set *set);
void hx_rating_campaign_http_register(hx_server *s);
void hx_checkup_http_register(hx_server *s);

/* Answers with an .xlsx of items (a JSON array of objects): one column per
 * entry of cols, whose values are the items' keys; booleans become 是/否,
 * a "map" turns codes into labels. */
typedef struct hx_xlsx_col {
	const char *key;
	const char *label;
	int numeric;
	const char *const *map; /* NULL or {code, label, code, label, …, NULL} */
} hx_xlsx_col;
/* The most columns an .xlsx export has; more is refused, never cut. */
#define HX_XLSX_EXPORT_COLS 64
int hx_req_xlsx(hx_req *r, const char *filename, const char *sheet, const hx_xlsx_col *cols,
		size_t ncols, json_t *items);

#endif
