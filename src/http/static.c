/* The web app's static files (web/dist), read into memory at start. Paths
 * without a file fall back to index.html (the app routes in the browser);
 * hashed assets under /assets/ are cached for a year. */
#include "server_impl.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/crypto.h"

static const char *mime(const char *path)
{
	const char *dot = strrchr(path, '.');
	static const char *const m[] = {
		".html", "text/html; charset=utf-8", ".js", "text/javascript; charset=utf-8",
		".mjs", "text/javascript; charset=utf-8", ".css", "text/css; charset=utf-8",
		".json", "application/json", ".svg", "image/svg+xml", ".png", "image/png",
		".ico", "image/x-icon", ".woff2", "font/woff2", ".woff", "font/woff",
		".ttf", "font/ttf", ".txt", "text/plain; charset=utf-8", ".map", "application/json",
		NULL};
	for (int i = 0; dot && m[i]; i += 2)
		if (strcmp(dot, m[i]) == 0)
			return m[i + 1];
	return "application/octet-stream";
}

static int load_dir(hx_server *s, const char *root, const char *rel, hx_err *err, int depth)
{
	if (depth > 8)
		return 0;
	char dirpath[4096];
	snprintf(dirpath, sizeof dirpath, "%s%s", root, rel);
	DIR *d = opendir(dirpath);
	if (!d)
		return hx_err_set(err, HX_EIO, "web_dir", "web", "cannot open web directory %s", dirpath);
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char relp[2048], full[4096];
		snprintf(relp, sizeof relp, "%s/%s", rel, e->d_name);
		snprintf(full, sizeof full, "%s%s", root, relp);
		struct stat stt;
		if (stat(full, &stt))
			continue;
		if (S_ISDIR(stt.st_mode)) {
			rc = load_dir(s, root, relp, err, depth + 1);
			continue;
		}
		if (!S_ISREG(stt.st_mode) || stt.st_size > (64 << 20))
			continue;
		FILE *f = fopen(full, "rb");
		if (!f)
			continue;
		char *data = malloc((size_t)stt.st_size + 1);
		size_t n = data ? fread(data, 1, (size_t)stt.st_size, f) : 0;
		fclose(f);
		hx_static_file *v = realloc(s->files, sizeof *v * (s->nfiles + 1));
		if (!data || !v) {
			free(data);
			closedir(d);
			return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
		}
		s->files = v;
		hx_static_file *sf = &s->files[s->nfiles++];
		memset(sf, 0, sizeof *sf);
		sf->path = strdup(relp);
		sf->data = data;
		sf->len = n;
		sf->type = mime(relp);
		char h[65];
		hx_sha256_hex(h, data, n);
		snprintf(sf->etag, sizeof sf->etag, "\"%.16s\"", h);
		sf->immutable = strncmp(relp, "/assets/", 8) == 0;
	}
	closedir(d);
	return rc;
}

int hx_http_static_load(hx_server *s, const char *dir, hx_err *err)
{
	struct stat st;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0; /* no web app built: the API still works */
	return load_dir(s, dir, "", err, 0);
}

void hx_http_static_free(hx_server *s)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].data);
	}
	free(s->files);
	s->files = NULL;
	s->nfiles = 0;
}

static const hx_static_file *find(hx_server *s, const char *path)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (strcmp(s->files[i].path, path) == 0)
			return &s->files[i];
	return NULL;
}

enum MHD_Result hx_http_static(hx_server *s, struct MHD_Connection *conn, hx_req *r)
{
	const char *path = r->path;
	int is_get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	const hx_static_file *f = NULL;
	if (is_get) {
		f = find(s, path);
		const char *last = strrchr(path, '/');
		if (!f && (!last || !strchr(last, '.')))
			f = find(s, "/index.html");
	}
	struct MHD_Response *resp;
	unsigned status = 200;
	if (!f) {
		static const char nf[] = "Not Found";
		resp = MHD_create_response_from_buffer(sizeof nf - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
		status = is_get ? 404 : 405;
	} else {
		const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
		if (inm && strcmp(inm, f->etag) == 0) {
			resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
			status = 304;
		} else
			resp = MHD_create_response_from_buffer(f->len, f->data, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Content-Type", f->type);
		MHD_add_response_header(resp, "ETag", f->etag);
		MHD_add_response_header(resp, "Cache-Control",
					f->immutable ? "public, max-age=31536000, immutable" : "no-cache");
	}
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
				"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
				"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	r->status = (int)status;
	enum MHD_Result ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}
