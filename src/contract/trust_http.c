/* HTTP handlers of the trust service's public side: the root and issuing
 * certificates, the CRL, the evidence log's latest checkpoint and RFC 3161
 * time-stamping over HTTP. Routed by contract_http.c's table. */
#include "contract_impl.h"
#include "contract_http_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../http/http.h"

static int send_file(hx_req *r, const char *name, const char *type)
{
	char path[4096];
	hx_err err = {0};
	snprintf(path, sizeof path, "%s/%s", hx_cenv.keys_dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		hx_err_set(&err, HX_ENOTFOUND, "not_found", "", "文件不存在");
		return hx_req_fail(r, &err);
	}
	char *buf = malloc(65536);
	size_t n = fread(buf, 1, 65536, f);
	fclose(f);
	return hx_req_file(r, buf, n, type, name);
}

int hx_contract_http_ca(hx_req *r)
{
	return send_file(r, "ca.crt", "application/x-pem-file");
}

int hx_contract_http_issuing(hx_req *r)
{
	return send_file(r, "issuing.crt", "application/x-pem-file");
}

int hx_contract_http_crl(hx_req *r)
{
	hx_err err = {0};
	unsigned char *der = NULL;
	size_t len = 0;
	if (hx_contract_crl(&der, &len, &r->ctx, &err))
		return hx_req_fail(r, &err);
	return hx_req_file(r, (char *)der, len, "application/pkix-crl", "hexie.crl");
}

int hx_contract_http_checkpoint(hx_req *r)
{
	hx_err err = {0};
	hx_rows *rows;
	if (hx_db_query(r->ctx.db, r->ctx.arena, &rows,
			"SELECT text FROM evidence_checkpoints ORDER BY size DESC LIMIT 1", NULL, 0, &err))
		return hx_req_fail(r, &err);
	if (rows->nrows != 1) {
		hx_err_set(&err, HX_ENOTFOUND, "no_checkpoint", "", "证据日志尚无检查点");
		return hx_req_fail(r, &err);
	}
	return hx_req_file(r, strdup(hx_rows_get(rows, 0, "text")), strlen(hx_rows_get(rows, 0, "text")),
			   "text/plain; charset=utf-8", NULL);
}

int hx_contract_http_tsa(hx_req *r)
{
	hx_err err = {0};
	unsigned char *resp = NULL;
	size_t len = 0;
	const char *ct = hx_req_header(r, "Content-Type");
	if (!ct || strncmp(ct, "application/timestamp-query", 27) != 0) {
		hx_err_set(&err, HX_EUNSUPPORTED, "bad_content_type", "", "Content-Type 应为 application/timestamp-query");
		return hx_req_fail(r, &err);
	}
	if (!hx_cenv.tsa || hx_tsa_stamp(&resp, &len, hx_cenv.tsa, (const unsigned char *)r->body, r->body_len, &err))
		return hx_req_fail(r, err.code ? &err : (hx_err_set(&err, HX_EINTERNAL, "tsa", "", "时间戳服务不可用"), &err));
	return hx_req_file(r, (char *)resp, len, "application/timestamp-reply", NULL);
}
