/* The contract row: its columns (HX_CONTRACT_K_COLS, with the roster's
 * names beside them), loading one in the caller's scope or by the worker's
 * link, whose turn it is to sign, and its documents — each PDF revision
 * stored whole or as the incremental update a signature appended, read
 * back with its SHA-256 checked. Also the module's loaded state (hx_cenv)
 * and the fault points of the crash tests. Drafting is in drafting.c,
 * what happens to a contract after it is drafted in lifecycle.c. */
#include "contract_impl.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../core/timeutil.h"
#include "../registry/registry.h"

hx_contract_env hx_cenv;

int hx_contract_fault(const char *point)
{
	const char *f = getenv("HEXIE_FAULT");
	return f && strcmp(f, point) == 0;
}

const char *hx_contract_actor(hx_ctx *c)
{
	if (c->me && c->me->user_id)
		return hx_arena_printf(c->arena, "user:%lld:%s", c->me->user_id,
				       c->me->display_name ? c->me->display_name : c->me->username);
	return "system";
}

static const char *const STATUS_OPEN[] = {"sent", "signing", NULL};

int hx_contract_is_open(const char *status)
{
	for (int i = 0; STATUS_OPEN[i]; i++)
		if (strcmp(status, STATUS_OPEN[i]) == 0)
			return 1;
	return 0;
}

int hx_contract_needs(const hx_contract_row *k, const char *party)
{
	if (strcmp(party, "worker") == 0)
		return strcmp(k->kind, "termination") != 0 && !k->worker_signed_at;
	return !k->enterprise_signed_at;
}

const char *hx_contract_turn(const hx_contract_row *k)
{
	if (!hx_contract_is_open(k->status) || k->pending)
		return NULL;
	int w = hx_contract_needs(k, "worker"), e = hx_contract_needs(k, "enterprise");
	if (w && e)
		return strcmp(k->sign_order, "enterprise_first") == 0 ? "enterprise" : "worker";
	return w ? "worker" : e ? "enterprise" : NULL;
}

int hx_contract_row_fill(hx_contract_row *k, hx_ctx *c, hx_rows *r, hx_err *err)
{
	memset(k, 0, sizeof *k);
	k->id = hx_rows_int(r, 0, "id");
	k->enterprise_id = hx_rows_int(r, 0, "enterprise_id");
	k->worker_id = hx_rows_int(r, 0, "worker_id");
	k->parent_id = hx_rows_int(r, 0, "parent_id");
	k->kind = hx_rows_get(r, 0, "kind");
	k->template_id = hx_rows_get(r, 0, "template_id");
	k->event = hx_rows_get(r, 0, "event");
	k->status = hx_rows_get(r, 0, "status");
	k->sign_order = hx_rows_get(r, 0, "sign_order");
	k->pending = (int)hx_rows_int(r, 0, "pending");
	k->doc_version = (int)hx_rows_int(r, 0, "doc_version");
	k->expires_days = (int)hx_rows_int(r, 0, "expires_days");
	k->lint_errors = (int)hx_rows_int(r, 0, "lint_errors");
	k->worker_signed_at = hx_rows_get(r, 0, "worker_signed_at");
	k->enterprise_signed_at = hx_rows_get(r, 0, "enterprise_signed_at");
	k->sent_at = hx_rows_get(r, 0, "sent_at");
	k->completed_at = hx_rows_get(r, 0, "completed_at");
	k->expires_at = hx_rows_get(r, 0, "expires_at");
	k->doc_sha256 = hx_rows_get(r, 0, "doc_sha256");
	k->link_enc = hx_rows_get(r, 0, "link_enc");
	k->effective_date = hx_rows_get(r, 0, "effective_date");
	k->term_end = hx_rows_get(r, 0, "term_end");
	k->worker_name = hx_rows_get(r, 0, "worker_name");
	k->worker_id_hash = hx_rows_get(r, 0, "worker_id_hash");
	k->worker_phone = hx_rows_get(r, 0, "worker_phone");
	k->enterprise_name = hx_rows_get(r, 0, "enterprise_name");
	k->number = hx_rows_get(r, 0, "number");
	k->sign_boxes = hx_rows_get(r, 0, "sign_boxes");
	char *plain = NULL;
	int rc = hx_open(&plain, c->keys->pii, hx_rows_get(r, 0, "terms_enc"), "contracts.terms", err);
	if (rc)
		return rc;
	k->terms = json_loads(plain, 0, NULL);
	free(plain);
	if (!k->terms)
		return hx_err_set(err, HX_EINTERNAL, "bad_terms", "", "合同条款无法解析");
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, k->terms);
	return 0;
}

int hx_contract_in_scope(hx_ctx *c, long long enterprise_id, long long worker_id, hx_err *err)
{
	if (!c->me || !c->me->user_id)
		return 0;
	if (c->me->scope.kind == HX_SCOPE_SELF)
		return worker_id == c->me->scope.worker_id
			       ? 0
			       : hx_err_set(err, HX_ENOTFOUND, "not_found", "", "合同不存在或不在您的管理范围内");
	/* a deleted enterprise's contracts stay readable (劳动合同法 第五十条第三款) */
	int rc = hx_registry_enterprise_in_scope(c, enterprise_id, err);
	if (rc == HX_ENOTFOUND)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "合同不存在或不在您的管理范围内");
	return rc;
}

int hx_contract_load(hx_contract_row *out, hx_ctx *c, long long id, int scoped, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, HX_CONTRACT_K_COLS " WHERE k.id = ?", p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "合同不存在或不在您的管理范围内");
	if (scoped && (rc = hx_contract_in_scope(c, hx_rows_int(r, 0, "enterprise_id"), hx_rows_int(r, 0, "worker_id"), err)))
		return rc;
	return hx_contract_row_fill(out, c, r, err);
}

int hx_contract_by_link(hx_contract_row *out, hx_ctx *c, const char *token, hx_err *err)
{
	char h[65];
	size_t n = token ? strlen(token) : 0;
	if (n < 16 || n > 128)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "链接无效或已失效");
	hx_hmac_hex(h, c->keys->misc, token, n);
	hx_rows *r;
	hx_param p[] = {hx_p_text(h)};
	int rc = hx_db_query(c->db, c->arena, &r, HX_CONTRACT_K_COLS " WHERE k.link_hash = ?", p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "链接无效或已失效");
	return hx_contract_row_fill(out, c, r, err);
}

int hx_contract_link(char **token, hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	if (!k->link_enc)
		return hx_err_set(err, HX_ECONFLICT, "not_sent", "", "合同尚未发送");
	return hx_open(token, c->keys->pii, k->link_enc, "contracts.link", err);
}

/* ---- documents ----
 * Version 1 (the frozen text) is stored whole. A signed version is the one
 * before it plus the incremental update its signature appended (ISO
 * 32000-1 §7.5.6: the earlier bytes stay untouched, which is what keeps
 * the first signature valid), so it is stored as those appended bytes only
 * (delta = 1, migration 010), deflated and then sealed: the update is
 * mostly the zero-filled /Contents room: ~36 KB that deflate to ~3 KB.
 * Reading version N joins the last whole copy at or before N with the
 * deltas after it and checks the SHA-256 of the result against the one
 * stored for N. Rows written before migration 010 are whole copies. */

#define DOC_AAD "contract_documents.pdf"
#define DELTA_AAD "contract_documents.delta"

static int doc_corrupt(hx_err *err)
{
	return hx_err_set(err, HX_EINTERNAL, "document_tampered", "", "合同文件与登记的哈希不符");
}

int hx_contract_doc_get(unsigned char **pdf, size_t *len, char sha[65], hx_ctx *c, long long id, int version,
			hx_err *err)
{
	return hx_contract_doc_get_hashed(pdf, len, sha, NULL, c, id, version, err);
}

int hx_contract_doc_get_hashed(unsigned char **pdf, size_t *len, char sha[65], EVP_MD_CTX **state, hx_ctx *c,
			       long long id, int version, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id), hx_p_int(version), hx_p_int(id), hx_p_int(version)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT version, sha256, size, delta, pdf_enc FROM contract_documents WHERE contract_id = ?"
			     " AND version <= ? AND version >= (SELECT MAX(version) FROM contract_documents"
			     " WHERE contract_id = ? AND version <= ? AND delta = 0) ORDER BY version",
			     p, 4, err);
	if (rc)
		return rc;
	if (r->nrows < 1 || hx_rows_int(r, r->nrows - 1, "version") != version)
		return hx_err_set(err, HX_ENOTFOUND, "no_document", "version", "合同文件不存在");
	int first = (int)hx_rows_int(r, 0, "version");
	if (r->nrows != version - first + 1 || hx_rows_int(r, 0, "delta") != 0)
		return doc_corrupt(err); /* a gap in the chain of revisions */
	uint8_t *bytes = NULL, *z = NULL;
	size_t n = 0, zn = 0;
	if ((rc = hx_open_bytes(&bytes, &n, c->keys->pii, hx_rows_get(r, 0, "pdf_enc"), DOC_AAD, err)))
		return rc;
	for (int i = 1; i < r->nrows; i++) {
		/* the stored size of the whole revision bounds what is inflated */
		long long want = hx_rows_int(r, i, "size");
		if (want <= (long long)n || (size_t)want > HX_PADES_PDF_MAX) {
			rc = doc_corrupt(err);
			goto fail;
		}
		if ((rc = hx_open_bytes(&z, &zn, c->keys->pii, hx_rows_get(r, i, "pdf_enc"), DELTA_AAD, err)))
			goto fail;
		uint8_t *grown = realloc(bytes, (size_t)want + 1);
		if (!grown) {
			rc = hx_err_set(err, HX_EINTERNAL, "no_memory", "", "内存不足");
			goto fail;
		}
		bytes = grown;
		uLongf out = (uLongf)((size_t)want - n);
		uLong in = (uLong)zn;
		int zr = uncompress2(bytes + n, &out, z, &in);
		free(z);
		z = NULL;
		if (zr != Z_OK || out != (uLongf)((size_t)want - n) || in != (uLong)zn) {
			rc = doc_corrupt(err);
			goto fail;
		}
		n = (size_t)want;
		bytes[n] = '\0';
	}
	/* the check of the whole revision; its SHA-256 state, before the
	 * final step, is what a signature appended to it goes on from */
	char check[65];
	unsigned char md[32];
	EVP_MD_CTX *m = EVP_MD_CTX_new(), *fin = EVP_MD_CTX_new();
	if (!m || !fin || EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(m, bytes, n) != 1 ||
	    EVP_MD_CTX_copy_ex(fin, m) != 1 || EVP_DigestFinal_ex(fin, md, NULL) != 1) {
		EVP_MD_CTX_free(m);
		EVP_MD_CTX_free(fin);
		rc = hx_err_set(err, HX_EINTERNAL, "digest_failed", "", "摘要计算失败");
		goto fail;
	}
	EVP_MD_CTX_free(fin);
	hx_hex(check, md, 32);
	if (strcmp(check, hx_rows_get(r, r->nrows - 1, "sha256")) != 0) {
		EVP_MD_CTX_free(m);
		rc = doc_corrupt(err);
		goto fail;
	}
	if (sha)
		memcpy(sha, check, 65);
	if (state)
		*state = m;
	else
		EVP_MD_CTX_free(m);
	*pdf = bytes;
	*len = n;
	return 0;
fail:
	free(bytes);
	return rc;
}

int hx_contract_doc_seal(char **sealed, char sha[65], hx_ctx *c, const unsigned char *pdf, size_t len, hx_err *err)
{
	int rc = hx_seal_bytes(sealed, c->keys->pii, pdf, len, DOC_AAD, err);
	if (!rc)
		hx_sha256_hex(sha, pdf, len);
	return rc;
}

int hx_contract_doc_seal_delta(char **sealed, char sha[65], hx_ctx *c, const unsigned char *pdf, size_t len,
			       size_t base_len, hx_err *err)
{
	return hx_contract_doc_seal_delta_from(sealed, sha, c, pdf, len, base_len, NULL, err);
}

int hx_contract_doc_seal_delta_from(char **sealed, char sha[65], hx_ctx *c, const unsigned char *pdf, size_t len,
				    size_t base_len, const EVP_MD_CTX *base_state, hx_err *err)
{
	if (base_len == 0 || base_len >= len)
		return hx_err_set(err, HX_EINTERNAL, "bad_revision", "", "签署后的文件未在原文件后追加内容");
	uLongf zn = compressBound((uLong)(len - base_len));
	unsigned char *z = malloc(zn);
	if (!z)
		return hx_err_set(err, HX_EINTERNAL, "no_memory", "", "内存不足");
	int rc = 0;
	/* the fastest level: the padding goes at any level, and level 6 saved
	 * only a tenth more of the CMS's hex */
	if (compress2(z, &zn, pdf + base_len, (uLong)(len - base_len), 1) != Z_OK)
		rc = hx_err_set(err, HX_EINTERNAL, "deflate", "", "压缩合同文件失败");
	else
		rc = hx_seal_bytes(sealed, c->keys->pii, z, zn, DELTA_AAD, err);
	free(z);
	if (rc)
		return rc;
	/* the new revision's SHA-256 goes on from the base's state when the
	 * caller has it (the base's bytes were hashed when read) */
	EVP_MD_CTX *m = base_state ? EVP_MD_CTX_new() : NULL;
	unsigned char md[32];
	if (m && EVP_MD_CTX_copy_ex(m, base_state) == 1 && EVP_DigestUpdate(m, pdf + base_len, len - base_len) == 1 &&
	    EVP_DigestFinal_ex(m, md, NULL) == 1)
		hx_hex(sha, md, 32);
	else
		hx_sha256_hex(sha, pdf, len);
	EVP_MD_CTX_free(m);
	return 0;
}

int hx_contract_doc_insert(hx_ctx *c, long long id, int version, const char *sha, size_t size, int delta,
			   const char *sealed, hx_err *err)
{
	char at[21];
	hx_now_iso(at);
	hx_param p[] = {hx_p_int(id),	    hx_p_int(version), hx_p_text(sha), hx_p_int((long long)size),
			hx_p_int(delta ? 1 : 0), hx_p_text(sealed), hx_p_text(at)};
	return hx_db_exec(c->db,
			  "INSERT INTO contract_documents (contract_id, version, sha256, size, delta, pdf_enc, created_at)"
			  " VALUES (?, ?, ?, ?, ?, ?, ?)",
			  p, 7, NULL, err);
}

int hx_contract_doc_put(hx_ctx *c, long long id, int version, const unsigned char *pdf, size_t len,
			char sha_out[65], hx_err *err)
{
	char sha[65], *sealed = NULL;
	int rc = hx_contract_doc_seal(&sealed, sha, c, pdf, len, err);
	if (!rc)
		rc = hx_contract_doc_insert(c, id, version, sha, len, 0, sealed, err);
	free(sealed);
	if (!rc && sha_out)
		memcpy(sha_out, sha, 65);
	return rc;
}
