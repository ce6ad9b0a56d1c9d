/* Inside the HTTP server: the server struct and the static-file part. */
#ifndef HX_SERVER_IMPL_H
#define HX_SERVER_IMPL_H

#include <microhttpd.h>

#include "http.h"

typedef struct hx_static_file {
	char *path; /* "/assets/index-abc.js" */
	char *data;
	size_t len;
	const char *type;
	char etag[24];
	int immutable;
} hx_static_file;

struct hx_server {
	hx_server_config cfg;
	hx_store *store;
	hx_keys keys;
	struct MHD_Daemon *mhd;
	hx_route *routes;
	size_t nroutes;
	hx_static_file *files;
	size_t nfiles;
	int access_log;
	int trust_proxy;
};

void hx_http_healthz(hx_server *s, hx_req *r);
int hx_http_static_load(hx_server *s, const char *dir, hx_err *err);
void hx_http_static_free(hx_server *s);
enum MHD_Result hx_http_static(hx_server *s, struct MHD_Connection *conn, hx_req *r);

#endif
