/* The HTTP server: libmicrohttpd with a thread pool, the request lifecycle
 * and the answer. A request's body is gathered across callbacks with a cap
 * (413 past it); the answer is queued on a later call than the first, which
 * keeps connections alive (see TOOLCHAIN.md). API requests run the chain
 * session → CSRF → permission → one transaction → handler → commit (or
 * rollback when the answer is an error). Everything else is the web app. */
#include "http.h"
#include "server_impl.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../core/buf.h"
#include "../core/json.h"
#include "../core/log.h"
#include "../core/timeutil.h"

#define COOKIE "hexie_session"

typedef struct conn_state {
	hx_req req;
	hx_buf body;
	const hx_route *route;
	int too_big;
	int method_ok;
	struct timespec t0;
} conn_state;

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
			  "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
			  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

static void add_security_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(resp, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

/* ---- routing ---- */

void hx_server_routes(hx_server *s, const hx_route *routes, size_t n)
{
	hx_route *v = realloc(s->routes, sizeof *v * (s->nroutes + n));
	if (!v)
		abort();
	memcpy(v + s->nroutes, routes, sizeof *v * n);
	s->routes = v;
	s->nroutes += n;
}

/* Matches path against pattern; fills params; returns the number of literal
 * segments matched (+1) or 0 when it does not match. */
static int match(const char *pattern, const char *path, const char **params, hx_arena *a)
{
	int lits = 1, np = 0;
	const char *p = pattern, *q = path;
	while (*p && *q) {
		if (*p != '/' || *q != '/')
			return 0;
		p++;
		q++;
		const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p), ql = qe ? (size_t)(qe - q) : strlen(q);
		if (*p == ':') {
			if (ql == 0)
				return 0;
			if (params && np < 4)
				params[np] = hx_arena_strndup(a, q, ql);
			np++;
		} else {
			if (pl != ql || memcmp(p, q, pl) != 0)
				return 0;
			lits++;
		}
		p += pl;
		q += ql;
	}
	return (*p || *q) ? 0 : lits;
}

static const hx_route *find_route(hx_server *s, const char *method, const char *path,
				  int *method_ok)
{
	const hx_route *best = NULL;
	int best_lits = 0;
	*method_ok = 0;
	for (size_t i = 0; i < s->nroutes; i++) {
		int l = match(s->routes[i].pattern, path, NULL, NULL);
		if (!l)
			continue;
		if (strcmp(s->routes[i].method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 && strcmp(s->routes[i].method, "GET") == 0)) {
			*method_ok = *method_ok ? *method_ok : -1;
			continue;
		}
		*method_ok = 1;
		if (l > best_lits) {
			best = &s->routes[i];
			best_lits = l;
		}
	}
	return best;
}

/* ---- request helpers ---- */

const char *hx_req_query(hx_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *hx_req_header(hx_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

long long hx_req_param_id(hx_req *r, int i)
{
	const char *s = i >= 0 && i < 4 ? r->params[i] : NULL;
	if (!s || !*s || strlen(s) > 18)
		return 0;
	long long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
	}
	return v;
}

int hx_req_json(hx_req *r, int status, json_t *j)
{
	if (r->json)
		json_decref(r->json);
	r->status = status;
	r->json = j;
	return 0;
}

int hx_req_fail(hx_req *r, const hx_err *err)
{
	int status = hx_err_http_status(err->code);
	const char *msg = err->msg;
	if (status >= 500) {
		hx_log(HX_LOG_ERROR, "%s %s: %s: %s", r->method, r->path, err->key, err->msg);
		msg = "服务器内部错误，请稍后重试";
	}
	json_t *e = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", err->key[0] ? err->key : "error",
			      "message", msg, "field", err->field);
	return hx_req_json(r, status, e);
}

int hx_req_file(hx_req *r, char *bytes, size_t len, const char *content_type,
		const char *filename)
{
	free(r->raw);
	r->raw = bytes;
	r->raw_len = len;
	r->content_type = content_type;
	r->filename = filename;
	r->status = 200;
	return 0;
}

int hx_req_body_json(hx_req *r, json_t **out, const char *const *allowed)
{
	hx_err err = {0};
	json_t *j = NULL;
	int rc = hx_json_parse_object(&j, r->body, r->body_len, &err);
	if (!rc && allowed && (rc = hx_json_only(j, allowed, &err)))
		json_decref(j);
	if (rc) {
		hx_req_fail(r, &err);
		return rc;
	}
	hx_arena_defer(r->ctx.arena, (void (*)(void *))json_decref, j);
	*out = j;
	return 0;
}

int hx_req_query_int(hx_req *r, const char *key, long long def, long long min, long long max,
		     long long *out, hx_err *err)
{
	const char *s = hx_req_query(r, key);
	if (!s || !*s) {
		*out = def;
		return 0;
	}
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end || strlen(s) > 18)
		return hx_err_set(err, HX_EBADREQ, "wrong_type", key, "参数%s应为整数", key);
	if (v < min || v > max)
		return hx_err_set(err, HX_EINVAL, "out_of_range", key, "参数%s应在%lld到%lld之间", key,
				  min, max);
	*out = v;
	return 0;
}

int hx_req_query_flag(hx_req *r, const char *key, int *out, hx_err *err)
{
	const char *s = hx_req_query(r, key);
	if (!s || !*s) {
		*out = -1;
		return 0;
	}
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
		*out = 0;
	else
		return hx_err_set(err, HX_EBADREQ, "wrong_type", key, "参数%s应为1或0", key);
	return 0;
}

/* ---- the API chain ---- */

static const char *cookie_token(hx_req *r)
{
	const char *t = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE);
	if (!t || strlen(t) != 64)
		return NULL;
	return t;
}

static int is_write_method(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

static void run_api(hx_server *s, conn_state *st)
{
	hx_req *r = &st->req;
	hx_err err = {0};
	const hx_route *rt = st->route;
	int write = is_write_method(r->method);
	hx_db *db = NULL;

	if (!rt) {
		if (st->method_ok == -1)
			hx_err_set(&err, HX_EBADREQ, "method_not_allowed", "", "不支持该请求方法");
		else
			hx_err_set(&err, HX_ENOTFOUND, "not_found", "", "接口不存在");
		hx_req_fail(r, &err);
		if (st->method_ok == -1)
			r->status = 405;
		return;
	}
	match(rt->pattern, r->path, r->params, r->ctx.arena);
	if (st->too_big) {
		hx_err_set(&err, HX_ETOOBIG, "too_large", "", "请求内容过大（上限%s）",
			   (rt->flags & HX_ROUTE_UPLOAD) ? "20 MiB" : "1 MiB");
		hx_req_fail(r, &err);
		return;
	}
	if (hx_db_get(&db, s->store, &err)) {
		hx_req_fail(r, &err);
		return;
	}
	r->ctx.db = db;
	if (!(rt->flags & HX_ROUTE_PUBLIC)) {
		const char *tok = cookie_token(r);
		if (!tok) {
			hx_err_set(&err, HX_EAUTH, "unauthenticated", "", "请先登录");
			goto fail;
		}
		if (hx_account_session_check(&r->me, &r->ctx, tok, s->cfg.session_idle,
					     s->cfg.session_max, &err))
			goto fail;
		r->ctx.me = &r->me;
		/* A one-time password (set by an administrator, or the first
		 * one) opens nothing but its own change: no record, document or
		 * file is readable with a password someone else has seen. */
		if (r->me.must_change_password && !(rt->flags & HX_ROUTE_PW_CHANGE)) {
			hx_err_set(&err, HX_EPERM, "password_change_required", "", "请先修改初始密码后再使用系统");
			goto fail;
		}
		if (write && !(rt->flags & HX_ROUTE_NO_CSRF)) {
			const char *h = hx_req_header(r, "X-CSRF-Token");
			if (!h || !hx_ct_equal(h, r->me.csrf)) {
				hx_err_set(&err, HX_EPERM, "csrf", "", "请求缺少有效的CSRF令牌，请刷新页面后重试");
				goto fail;
			}
		}
		if (rt->perm && ((rt->flags & HX_ROUTE_PERM_ANY) ? !(r->me.perms & rt->perm) : !hx_can(&r->me, rt->perm))) {
			hx_err_set(&err, HX_EPERM, "forbidden", "", "没有权限执行此操作");
			goto fail;
		}
	}
	if (!(rt->flags & HX_ROUTE_NO_TX)) {
		int rc = write ? hx_db_begin_write(db, &err) : hx_db_begin_read(db, &err);
		if (rc)
			goto fail;
	}
	rt->fn(r);
	if (r->status == 0)
		r->status = r->json || r->raw ? 200 : 204;
	if (hx_db_in_tx(db)) {
		if (r->status < 400 || r->commit_anyway) {
			if (hx_db_commit(db, &err)) {
				json_decref(r->json);
				r->json = NULL;
				free(r->raw);
				r->raw = NULL;
				hx_req_fail(r, &err);
			}
		} else
			hx_db_rollback(db);
	}
	hx_db_put(db);
	return;
fail:
	hx_req_fail(r, &err);
	hx_db_put(db);
}

/* ---- MHD callbacks ---- */

static enum MHD_Result send_answer(hx_server *s, struct MHD_Connection *conn, conn_state *st)
{
	hx_req *r = &st->req;
	struct MHD_Response *resp;
	if (r->raw) {
		resp = MHD_create_response_from_buffer(r->raw_len, r->raw, MHD_RESPMEM_MUST_FREE);
		r->raw = NULL;
		MHD_add_response_header(resp, "Content-Type",
					r->content_type ? r->content_type : "application/octet-stream");
		if (r->filename) {
			/* RFC 6266 / 5987: UTF-8 file names, percent-encoded. */
			hx_buf b;
			hx_buf_init(&b, 2048);
			hx_buf_puts(&b, "attachment; filename=\"download\"; filename*=UTF-8''");
			for (const unsigned char *p = (const unsigned char *)r->filename; *p; p++) {
				if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_')
					hx_buf_append(&b, p, 1);
				else
					hx_buf_printf(&b, "%%%02X", *p);
			}
			MHD_add_response_header(resp, "Content-Disposition", b.data);
			hx_buf_free(&b);
		}
	} else if (r->json) {
		char *t = json_dumps(r->json, JSON_COMPACT);
		resp = MHD_create_response_from_buffer(strlen(t), t, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	add_security_headers(resp);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->set_cookie)
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	(void)s;
	return ret;
}

static void client_ip(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "?");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	hx_server *s = cls;
	conn_state *st = *con_cls;
	if (!st) {
		st = calloc(1, sizeof *st);
		if (!st)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &st->t0);
		st->req.ctx.arena = hx_arena_new();
		st->req.srv = s;
		st->req.conn = conn;
		st->req.method = hx_arena_strdup(st->req.ctx.arena, method);
		st->req.path = hx_arena_strdup(st->req.ctx.arena, url);
		st->req.ctx.keys = &s->keys;
		st->req.ctx.data_dir = s->cfg.data_dir;
		char ip[64];
		const char *fwd = s->trust_proxy
					  ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Real-IP")
					  : NULL;
		if (fwd && strlen(fwd) < sizeof ip)
			snprintf(ip, sizeof ip, "%s", fwd);
		else
			client_ip(conn, ip, sizeof ip);
		st->req.ctx.ip = hx_arena_strdup(st->req.ctx.arena, ip);
		size_t cap = HX_BODY_MAX;
		if (strncmp(url, "/api/", 5) == 0) {
			st->route = find_route(s, method, url, &st->method_ok);
			if (st->route && (st->route->flags & HX_ROUTE_UPLOAD))
				cap = HX_UPLOAD_MAX;
		}
		hx_buf_init(&st->body, cap);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > cap)
			st->too_big = 1;
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!st->too_big && hx_buf_append(&st->body, upload_data, *upload_data_size))
			st->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	hx_req *r = &st->req;
	r->body = st->body.data;
	r->body_len = st->body.len;
	if (strncmp(url, "/api/", 5) == 0)
		run_api(s, st);
	else if (strcmp(url, "/healthz") == 0)
		hx_http_healthz(s, r);
	else
		return hx_http_static(s, conn, r);
	return send_answer(s, conn, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	(void)toe;
	hx_server *s = cls;
	conn_state *st = *con_cls;
	if (!st)
		return;
	if (s->access_log) {
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = (double)(t1.tv_sec - st->t0.tv_sec) * 1e3 +
			    (double)(t1.tv_nsec - st->t0.tv_nsec) / 1e6;
		/* The path only: query strings may carry search terms (names,
		 * ID numbers) that must not reach the log. */
		hx_log(HX_LOG_INFO, "%s %s %s %d %.1fms", st->req.ctx.ip, st->req.method, st->req.path,
		       st->req.status, ms);
	}
	json_decref(st->req.json);
	free(st->req.raw);
	hx_buf_free(&st->body);
	hx_arena_free(st->req.ctx.arena);
	free(st);
	*con_cls = NULL;
}

void hx_http_healthz(hx_server *s, hx_req *r)
{
	hx_err err = {0};
	hx_db *db = NULL;
	long long one = 0;
	if (hx_db_get(&db, s->store, &err) == 0 && hx_db_int(db, &one, "SELECT 1", NULL, 0, &err) == 0 &&
	    one == 1) {
		hx_req_json(r, 200, json_pack("{s:s}", "status", "ok"));
	} else {
		hx_req_json(r, 503, json_pack("{s:s}", "status", "unavailable"));
	}
	hx_db_put(db);
}

/* ---- lifecycle ---- */

int hx_server_new(hx_server **out, const hx_server_config *cfg, hx_store *store,
		  const hx_keys *keys, hx_err *err)
{
	hx_server *s = calloc(1, sizeof *s);
	if (!s)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	s->cfg = *cfg;
	s->store = store;
	s->keys = *keys;
	s->access_log = getenv("HEXIE_ACCESS_LOG") && strcmp(getenv("HEXIE_ACCESS_LOG"), "0") != 0;
	s->trust_proxy = getenv("HEXIE_TRUST_PROXY") && strcmp(getenv("HEXIE_TRUST_PROXY"), "1") == 0;
	if (s->cfg.session_idle <= 0)
		s->cfg.session_idle = 2 * 3600;
	if (s->cfg.session_max <= 0)
		s->cfg.session_max = 12 * 3600;
	if (s->cfg.threads <= 0)
		s->cfg.threads = 4;
	if (cfg->web_dir) {
		int rc = hx_http_static_load(s, cfg->web_dir, err);
		if (rc) {
			free(s);
			return rc;
		}
	}
	*out = s;
	return 0;
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, hx_err *err)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return hx_err_set(err, HX_EINVAL, "listen", "listen", "--listen should be HOST:PORT, got %s", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	int port = atoi(colon + 1);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return hx_err_set(err, HX_EINVAL, "listen", "listen", "--listen should be IPv4:PORT, got %s", listen);
	return 0;
}

int hx_server_start(hx_server *s, hx_err *err)
{
	struct sockaddr_in sa;
	int rc = parse_listen(s->cfg.listen ? s->cfg.listen : "127.0.0.1:8080", &sa, err);
	if (rc)
		return rc;
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
				  ntohs(sa.sin_port), NULL, NULL, on_request, s,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg.threads,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
				  MHD_OPTION_END);
	if (!s->mhd)
		return hx_err_set(err, HX_EIO, "listen", "listen", "cannot listen on %s",
				  s->cfg.listen ? s->cfg.listen : "127.0.0.1:8080");
	return 0;
}

void hx_server_stop(hx_server *s)
{
	if (s && s->mhd) {
		MHD_stop_daemon(s->mhd);
		s->mhd = NULL;
	}
}

void hx_server_free(hx_server *s)
{
	if (!s)
		return;
	hx_server_stop(s);
	hx_http_static_free(s);
	free(s->routes);
	free(s);
}

hx_store *hx_server_store(hx_server *s)
{
	return s->store;
}

const hx_server_config *hx_server_cfg(hx_server *s)
{
	return &s->cfg;
}
