/* The life of an electronic labor contract on the enterprise's side:
 * drafting from the roster (the employer and worker parts of the terms
 * come from the registry, the rest from HR), the legal check on every
 * save, sending (the text frozen as a PDF whose SHA-256 is fixed, the
 * worker's link), withdrawal, the worker's rejection, change (amendment),
 * renewal and rescission/termination (the 第五十条 certificate), expiry,
 * and drafting many at once as a job with progress. Signing is in
 * signing.c, the evidence in evidence.c. */
#include "contract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../audit/audit.h"
#include "../core/buf.h"
#include "../core/ids.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../notify/notify.h"
#include "../registry/registry.h"
#include "../registry/registry_impl.h"
#include "../trust/channels.h"
#include "../trust/idv.h"

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

static int is_open(const char *status)
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
	if (!is_open(k->status) || k->pending)
		return NULL;
	int w = hx_contract_needs(k, "worker"), e = hx_contract_needs(k, "enterprise");
	if (w && e)
		return strcmp(k->sign_order, "enterprise_first") == 0 ? "enterprise" : "worker";
	return w ? "worker" : e ? "enterprise" : NULL;
}

#define K_COLS                                                                                                     \
	"SELECT k.id AS id, k.enterprise_id AS enterprise_id, k.worker_id AS worker_id, k.parent_id AS parent_id,"   \
	" k.kind AS kind, k.template_id AS template_id, k.event AS event, k.status AS status, k.sign_order AS sign_order," \
	" k.pending AS pending, k.doc_version AS doc_version, k.expires_days AS expires_days, k.lint_errors AS lint_errors," \
	" k.worker_signed_at AS worker_signed_at, k.enterprise_signed_at AS enterprise_signed_at, k.sent_at AS sent_at," \
	" k.completed_at AS completed_at, k.expires_at AS expires_at, k.doc_sha256 AS doc_sha256, k.link_enc AS link_enc," \
	" k.effective_date AS effective_date, k.term_end AS term_end, k.terms_enc AS terms_enc, k.lint AS lint,"     \
	" k.term_type AS term_type, k.term_start AS term_start, k.job AS job, k.monthly_wage AS monthly_wage,"      \
	" k.ended_at AS ended_at, k.closed_reason AS closed_reason, k.created_at AS created_at, k.updated_at AS updated_at," \
	" w.name AS worker_name, w.id_hash AS worker_id_hash,"                                                      \
	" CASE WHEN k.status = 'draft' THEN w.phone ELSE k.worker_phone END AS worker_phone, e.name AS enterprise_name," \
	" k.number AS number, k.sign_boxes AS sign_boxes"                                                            \
	" FROM contracts k JOIN workers w ON w.id = k.worker_id JOIN enterprises e ON e.id = k.enterprise_id"

static int row_fill(hx_contract_row *k, hx_ctx *c, hx_rows *r, hx_err *err)
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

static int in_scope(hx_ctx *c, long long enterprise_id, long long worker_id, hx_err *err)
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
	int rc = hx_db_query(c->db, c->arena, &r, K_COLS " WHERE k.id = ?", p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "合同不存在或不在您的管理范围内");
	if (scoped && (rc = in_scope(c, hx_rows_int(r, 0, "enterprise_id"), hx_rows_int(r, 0, "worker_id"), err)))
		return rc;
	return row_fill(out, c, r, err);
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
	int rc = hx_db_query(c->db, c->arena, &r, K_COLS " WHERE k.link_hash = ?", p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "链接无效或已失效");
	return row_fill(out, c, r, err);
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

/* ---- drafting ---- */

static const char *const DRAFT_KEYS[] = {"worker_id", "kind", "terms", "extra_clauses", "sign_order",
					 "expires_days", NULL};
static const char *const TERM_KEYS[] = {"term",	 "probation_months", "job",	   "hours",     "pay",
					"social_insurance", "protection", "prior", "worker_address", "hire_date",
					"effective_date", "changes", "reason", "legal_basis", "date", "event",
					"original", NULL};

/* The roster's part of the terms: employer and worker, from the registry
 * (the caller's scope applies). */
static int roster_terms(json_t *terms, long long *enterprise_id, hx_ctx *c, long long worker_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(worker_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT w.enterprise_id AS enterprise_id, w.name AS name, w.id_enc AS id_enc, w.phone AS phone,"
			     " w.hire_date AS hire_date, w.leave_date AS leave_date, e.uscc AS uscc, e.name AS ename,"
			     " e.legal_representative AS legal_representative, e.address AS address, a.code AS area_code,"
			     " a.id AS area_id"
			     " FROM workers w JOIN enterprises e ON e.id = w.enterprise_id JOIN areas a ON a.id = e.area_id"
			     " WHERE w.id = ? AND w.deleted_at IS NULL AND e.deleted_at IS NULL",
			     p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1 || in_scope(c, hx_rows_int(r, 0, "enterprise_id"), worker_id, err))
		return hx_err_set(err, HX_EINVAL, "no_worker", "worker_id", "职工不存在或不在您的管理范围内");
	char *idn = NULL;
	if ((rc = hx_open(&idn, c->keys->pii, hx_rows_get(r, 0, "id_enc"), "workers.id_number", err)))
		return rc;
	*enterprise_id = hx_rows_int(r, 0, "enterprise_id");
	json_t *emp = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?}", "uscc", hx_rows_get(r, 0, "uscc"), "name",
				hx_rows_get(r, 0, "ename"), "legal_representative", hx_rows_get(r, 0, "legal_representative"),
				"address", hx_rows_get(r, 0, "address"), "area_code", hx_rows_get(r, 0, "area_code"));
	int tier = 0;
	hx_param q[] = {hx_p_int(hx_rows_int(r, 0, "area_id"))};
	long long t = 0;
	if (hx_db_int(c->db, &t, "SELECT COALESCE(MAX(tier), 0) FROM wage_tiers WHERE area_id = ?", q, 1, err) == 0)
		tier = (int)t;
	if (tier)
		json_object_set_new(emp, "wage_tier", json_integer(tier));
	json_t *given_addr = json_object_get(terms, "worker_address");
	json_t *wk = json_pack("{s:s?,s:s,s:s?}", "name", hx_rows_get(r, 0, "name"), "id_number", idn, "phone",
			       hx_rows_get(r, 0, "phone"));
	free(idn);
	if (json_is_string(given_addr))
		json_object_set(wk, "address", given_addr);
	json_object_del(terms, "worker_address");
	json_object_set_new(terms, "employer", emp);
	json_object_set_new(terms, "worker", wk);
	if (!json_object_get(terms, "hire_date") && hx_rows_get(r, 0, "hire_date"))
		json_object_set_new(terms, "hire_date", json_string(hx_rows_get(r, 0, "hire_date")));
	return 0;
}

static int sealed_terms(char **out, hx_ctx *c, json_t *terms, hx_err *err)
{
	char *t = json_dumps(terms, JSON_COMPACT | JSON_SORT_KEYS);
	if (!t)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	int rc = hx_seal(out, c->keys->pii, t, "contracts.terms", err);
	free(t);
	return rc;
}

static const char *jstr(const json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

/* Reads the HR part of a draft body into terms (a new object). */
static int draft_fields(json_t **terms_out, const char **kind, const char **order, long long *days, hx_ctx *c,
			json_t *body, const char *fixed_kind, hx_err *err)
{
	int rc, present;
	if ((rc = hx_json_only(body, DRAFT_KEYS, err)))
		return rc;
	*kind = fixed_kind;
	if (!fixed_kind) {
		if ((rc = hx_json_get_str(kind, NULL, body, "kind", "合同类型", 1, 20, err)))
			return rc;
		if (strcmp(*kind, "full_time") != 0 && strcmp(*kind, "part_time") != 0)
			return hx_err_set(err, HX_EINVAL, "invalid_kind", "kind", "合同类型应为全日制（full_time）或非全日制（part_time）");
	}
	*order = "worker_first";
	if ((rc = hx_json_get_str(order, &present, body, "sign_order", "签署顺序", 0, 20, err)))
		return rc;
	if (!present)
		*order = "worker_first";
	if (strcmp(*order, "worker_first") != 0 && strcmp(*order, "enterprise_first") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_sign_order", "sign_order",
				  "签署顺序应为劳动者先签（worker_first）或企业先签（enterprise_first）");
	*days = 7;
	if ((rc = hx_json_get_int(days, &present, body, "expires_days", "签署期限（天）", 0, 1, 60, err)))
		return rc;
	if (!present)
		*days = 7;
	json_t *t = json_object_get(body, "terms");
	if (t && !json_is_object(t))
		return hx_err_set(err, HX_EBADREQ, "bad_type", "terms", "terms（合同条款）应为对象");
	if (t && (rc = hx_json_only(t, TERM_KEYS, err))) {
		char f[sizeof err->field + 8];
		snprintf(f, sizeof f, "terms.%s", err->field);
		snprintf(err->field, sizeof err->field, "%.63s", f);
		return rc;
	}
	json_t *terms = t ? json_deep_copy(t) : json_object();
	json_t *ex = json_object_get(body, "extra_clauses");
	if (ex && !json_is_array(ex)) {
		json_decref(terms);
		return hx_err_set(err, HX_EBADREQ, "bad_type", "extra_clauses", "extra_clauses（补充条款）应为字符串数组");
	}
	if (ex)
		json_object_set(terms, "extra_clauses", ex);
	json_object_set_new(terms, "kind", json_string(strcmp(*kind, "part_time") == 0 ? "part_time" : "full_time"));
	/* no sign_date: the day a contract is signed is each party's own
	 * (drawn with each signature), never the day HR drafted it */
	(void)c;
	*terms_out = terms;
	return 0;
}

static const char *template_of(const char *kind)
{
	return kind;
}

/* What the legal check of a draft needs to know besides its terms. */
typedef struct draft_ref {
	long long id;        /* the contract checked (0 before it exists) */
	long long worker_id; /* its roster entry */
	long long parent_id; /* the contract it renews or changes */
	const char *event;   /* new, renew, change, rescind, terminate */
} draft_ref;

/* 第十九条第二款 (同一用人单位与同一劳动者只能约定一次试用期): whether the
 * person already had a labor contract with a probation at this enterprise
 * (signed, or since ended), other than ref->id. The person is the ID
 * number, not the roster row: a rehire is a new row of the same person. */
static int had_probation(int *out, hx_ctx *c, const draft_ref *ref, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(ref->worker_id), hx_p_int(ref->id)};
	*out = 0;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT k.terms_enc AS terms_enc FROM contracts k JOIN workers w ON w.id = k.worker_id"
			     " JOIN workers me ON me.id = ? AND me.enterprise_id = k.enterprise_id"
			     " AND (me.id = w.id OR me.id_hash = w.id_hash)"
			     " WHERE k.kind IN ('full_time', 'part_time') AND k.status IN ('signed', 'ended') AND k.id <> ?"
			     " ORDER BY k.id",
			     p, 2, err);
	for (int i = 0; !rc && !*out && i < r->nrows; i++) {
		char *plain = NULL;
		if ((rc = hx_open(&plain, c->keys->pii, hx_rows_get(r, i, "terms_enc"), "contracts.terms", err)))
			break;
		json_t *t = json_loads(plain, 0, NULL);
		free(plain);
		json_t *pm = json_object_get(t, "probation_months");
		*out = json_is_integer(pm) && json_integer_value(pm) > 0;
		json_decref(t);
	}
	return rc;
}

/* The facts of the contract data the check reads under "prior" (set here,
 * never taken from HR's input): prior.had_probation, and for a renewal
 * prior.contract_end, the renewed contract's end, from which the 第十条
 * one-month limit runs instead of the hire date. */
static int prior_facts(json_t *copy, hx_ctx *c, const draft_ref *ref, hx_err *err)
{
	json_t *prior = json_object_get(copy, "prior");
	if (!prior) {
		prior = json_object();
		json_object_set_new(copy, "prior", prior);
	}
	if (!json_is_object(prior)) /* the check reports the wrong type */
		return 0;
	json_object_del(prior, "had_probation");
	json_object_del(prior, "contract_end");
	json_t *pm = json_object_get(copy, "probation_months");
	int had = 0, rc;
	if (ref && ref->worker_id && json_is_integer(pm) && json_integer_value(pm) > 0) {
		if ((rc = had_probation(&had, c, ref, err)))
			return rc;
		json_object_set_new(prior, "had_probation", json_boolean(had));
	}
	if (ref && ref->parent_id && ref->event && strcmp(ref->event, "renew") == 0) {
		hx_rows *r;
		hx_param p[] = {hx_p_int(ref->parent_id)};
		if ((rc = hx_db_query(c->db, c->arena, &r, "SELECT term_end FROM contracts WHERE id = ?", p, 1, err)))
			return rc;
		const char *end = r->nrows == 1 ? hx_rows_get(r, 0, "term_end") : NULL;
		const char *start = json_string_value(json_object_get(json_object_get(copy, "term"), "start"));
		char before[11];
		if (!end && start && hx_date_parse(start, NULL, NULL, NULL) == 0) {
			hx_date_add_days(before, start, -1); /* the renewal follows the old term */
			end = before;
		}
		if (end)
			json_object_set_new(prior, "contract_end", json_string(end));
		else /* nothing to count the month from: not the hire date */
			json_object_del(copy, "hire_date");
	}
	return 0;
}

/* Adds an error per field the document would print blank (a signed PDF
 * cannot be completed by hand), unless the check named that field already. */
static int unfilled(json_t *errors, const char *template_id, const json_t *terms, hx_err *err)
{
	const hx_template *t;
	json_t *missing = NULL;
	int rc;
	if ((rc = hx_template_find(&t, hx_cenv.templates, template_id, err)) ||
	    (rc = hx_contract_render_missing(&missing, t, terms, err)))
		return rc;
	size_t i, j;
	json_t *m, *e;
	json_array_foreach(missing, i, m) {
		const char *f = json_string_value(m), *label = hx_contract_field_label(f);
		int known = 0;
		json_array_foreach(errors, j, e) {
			known |= strcmp(json_string_value(json_object_get(e, "field")) ?: "", f) == 0;
		}
		if (known)
			continue;
		char msg[300];
		snprintf(msg, sizeof msg, "文书中的“%s”（%s）尚未填写：已签署的文书不能再手工补填，请填写后再发送",
			 label ? label : f, f);
		json_array_append_new(errors, json_pack("{s:s,s:s,s:s}", "code", "unfilled_field", "field", f, "message", msg));
	}
	json_decref(missing);
	return 0;
}

/* The legal check of a draft (labor contracts: hx_contract_lint, as of
 * today — at sending, the day of sending), and for every kind the fields
 * its document would leave blank (unfilled_field). */
static int lint_terms(json_t **lint, int *nerr, hx_ctx *c, const char *kind, json_t *terms, const draft_ref *ref,
		      hx_err *err)
{
	int rc = 0;
	*lint = NULL;
	if (strcmp(kind, "full_time") != 0 && strcmp(kind, "part_time") != 0)
		*lint = json_pack("{s:[],s:[]}", "errors", "warnings");
	else {
		json_t *copy = json_deep_copy(terms);
		json_object_del(copy, "extra_clauses");
		/* 第十条、第八十二条: the one-month check runs with today's date */
		json_object_del(copy, "sign_date");
		if (!(rc = prior_facts(copy, c, ref, err)))
			rc = hx_contract_lint(lint, copy, hx_cenv.wages, NULL, err);
		json_decref(copy);
		if (rc == HX_EBADREQ || rc == HX_EINVAL) { /* unusable terms: keep the draft, show why */
			*lint = json_pack("{s:[{s:s,s:s,s:s}],s:[]}", "errors", "code", err->key, "field", err->field,
					  "message", err->msg, "warnings");
			hx_err_clear(err);
			rc = 0;
		}
		if (rc)
			return rc;
	}
	json_t *errors = json_object_get(*lint, "errors");
	if ((rc = unfilled(errors, template_of(kind), terms, err))) {
		if (rc != HX_EBADREQ && rc != HX_EINVAL) {
			json_decref(*lint);
			*lint = NULL;
			return rc;
		}
		json_array_append_new(errors, json_pack("{s:s,s:s,s:s}", "code", err->key, "field", err->field, "message",
							 err->msg));
		hx_err_clear(err);
	}
	*nerr = (int)json_array_size(errors);
	return 0;
}

static int write_terms(hx_ctx *c, const draft_ref *ref, const char *kind, json_t *terms, hx_err *err)
{
	json_t *lint = NULL;
	int nerr = 0, rc;
	long long id = ref->id;
	char *sealed = NULL, *lint_text = NULL, now[21];
	if ((rc = lint_terms(&lint, &nerr, c, kind, terms, ref, err)) || (rc = sealed_terms(&sealed, c, terms, err)))
		goto done;
	lint_text = json_dumps(lint, JSON_COMPACT);
	hx_now_iso(now);
	json_t *pay = json_object_get(terms, "pay");
	json_t *mw = json_object_get(pay, strcmp(kind, "part_time") == 0 ? "hourly" : "monthly");
	char wage[32] = "";
	if (json_is_number(mw))
		snprintf(wage, sizeof wage, "%.2f", json_number_value(mw));
	hx_param p[] = {hx_p_text(sealed),
			hx_p_text(lint_text),
			hx_p_int(nerr),
			hx_p_text(jstr(terms, "term", "type")),
			hx_p_text(jstr(terms, "term", "start")),
			hx_p_text(jstr(terms, "term", "end")),
			hx_p_text(jstr(terms, "job", "title")),
			hx_p_text(*wage ? wage : NULL),
			hx_p_text(jstr(terms, "effective_date", NULL) ? jstr(terms, "effective_date", NULL)
								      : jstr(terms, "date", NULL)),
			hx_p_text(now),
			hx_p_int(id)};
	rc = hx_db_exec(c->db,
			"UPDATE contracts SET terms_enc = ?, lint = ?, lint_errors = ?, term_type = ?, term_start = ?,"
			" term_end = ?, job = ?, monthly_wage = ?, effective_date = ?, updated_at = ? WHERE id = ?",
			p, 11, NULL, err);
done:
	json_decref(lint);
	free(sealed);
	free(lint_text);
	return rc;
}

static int insert_contract(long long *id, hx_ctx *c, long long enterprise_id, long long worker_id, const char *kind,
			   const char *event, long long parent_id, const char *order, long long days, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_int(enterprise_id), hx_p_int(worker_id), hx_p_text(kind), hx_p_text(template_of(kind)),
			hx_p_text(event), parent_id ? hx_p_int(parent_id) : hx_p_null(), hx_p_text(order), hx_p_int(days),
			c->me && c->me->user_id ? hx_p_int(c->me->user_id) : hx_p_null(), hx_p_text(now), hx_p_text(now)};
	return hx_db_int(c->db, id,
			 "INSERT INTO contracts (enterprise_id, worker_id, kind, template_id, event, parent_id, status,"
			 " sign_order, expires_days, terms_enc, created_by, created_at, updated_at)"
			 " VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, '', ?, ?, ?) RETURNING id",
			 p, 11, err);
}

static int create_with(json_t **out, hx_ctx *c, long long worker_id, const char *kind, const char *event,
		       long long parent_id, const char *order, long long days, json_t *terms, hx_err *err)
{
	long long eid = 0, id = 0;
	int rc;
	if ((rc = roster_terms(terms, &eid, c, worker_id, err)) ||
	    (rc = insert_contract(&id, c, eid, worker_id, kind, event, parent_id, order, days, err)))
		return rc;
	draft_ref ref = {id, worker_id, parent_id, event};
	if ((rc = write_terms(c, &ref, kind, terms, err)))
		return rc;
	if ((rc = hx_audit_write(c, "contract.create", "contract", id, NULL, NULL, err)))
		return rc;
	return out ? hx_contract_get(out, c, id, err) : 0;
}

int hx_contract_create(json_t **out, hx_ctx *c, json_t *body, long long parent_id, const char *event, hx_err *err)
{
	json_t *terms = NULL;
	const char *kind, *order;
	long long days, worker_id;
	int rc;
	if ((rc = draft_fields(&terms, &kind, &order, &days, c, body, NULL, err)))
		return rc;
	if ((rc = hx_json_get_int(&worker_id, NULL, body, "worker_id", "职工", 1, 1, INT64_MAX, err)) == 0)
		rc = create_with(out, c, worker_id, kind, event ? event : "new", parent_id, order, days, terms, err);
	json_decref(terms);
	return rc;
}

static int keep_made_from(json_t *terms, hx_ctx *c, const hx_contract_row *k, hx_err *err);

int hx_contract_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_contract_row k;
	json_t *terms = NULL;
	const char *kind, *order;
	long long days, eid = 0;
	int rc;
	if ((rc = hx_contract_load(&k, c, id, 1, err)))
		return rc;
	if (strcmp(k.status, "draft") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_draft", "", "合同已发送，不能再修改");
	if (json_object_get(body, "worker_id"))
		return hx_err_set(err, HX_EINVAL, "immutable", "worker_id", "不能更换合同的劳动者，请另行起草");
	int labor = strcmp(k.kind, "full_time") == 0 || strcmp(k.kind, "part_time") == 0;
	if ((rc = draft_fields(&terms, &kind, &order, &days, c, body, labor ? NULL : k.kind, err)))
		return rc;
	if (!labor && (rc = keep_made_from(terms, c, &k, err)))
		goto done;
	draft_ref ref = {id, k.worker_id, k.parent_id, k.event};
	if ((rc = roster_terms(terms, &eid, c, k.worker_id, err)) || (rc = write_terms(c, &ref, kind, terms, err)))
		goto done;
	hx_param p[] = {hx_p_text(kind), hx_p_text(template_of(kind)), hx_p_text(order), hx_p_int(days), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "UPDATE contracts SET kind = ?, template_id = ?, sign_order = ?, expires_days = ? WHERE id = ?",
			     p, 5, NULL, err)) ||
	    (rc = hx_audit_write(c, "contract.update", "contract", id, NULL, NULL, err)))
		goto done;
	rc = hx_contract_get(out, c, id, err);
done:
	json_decref(terms);
	return rc;
}

int hx_contract_delete(hx_ctx *c, long long id, hx_err *err)
{
	hx_contract_row k;
	int rc;
	if ((rc = hx_contract_load(&k, c, id, 1, err)))
		return rc;
	if (strcmp(k.status, "draft") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_draft", "", "只能删除草稿；已发送的合同可以撤回");
	hx_param p[] = {hx_p_int(id)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM contracts WHERE id = ? AND status = 'draft'", p, 1, NULL, err)))
		return rc;
	return hx_audit_write(c, "contract.delete", "contract", id, NULL, NULL, err);
}

/* ---- reading ---- */

static json_t *list_item(const hx_rows *r, int i)
{
	json_t *o = json_object();
	static const char *const ints[] = {"id", "enterprise_id", "worker_id", "parent_id", NULL};
	static const char *const strs[] = {"enterprise_name", "worker_name", "kind", "event", "status", "sign_order",
					   "term_type", "term_start", "term_end", "job", "sent_at", "completed_at",
					   "expires_at", "worker_signed_at", "enterprise_signed_at", "effective_date",
					   "ended_at", "closed_reason", "created_at", "updated_at", "number", NULL};
	for (int k = 0; ints[k]; k++) {
		const char *v = hx_rows_get(r, i, ints[k]);
		json_object_set_new(o, ints[k], v ? json_integer(atoll(v)) : json_null());
	}
	for (int k = 0; strs[k]; k++) {
		const char *v = hx_rows_get(r, i, strs[k]);
		json_object_set_new(o, strs[k], v ? json_string(v) : json_null());
	}
	const char *mw = hx_rows_get(r, i, "monthly_wage");
	json_object_set_new(o, "monthly_wage", mw ? json_real(atof(mw)) : json_null());
	json_object_set_new(o, "pending", json_boolean(hx_rows_int(r, i, "pending")));
	json_object_set_new(o, "lint_errors", json_integer(hx_rows_int(r, i, "lint_errors")));
	return o;
}

int hx_contract_list(json_t **out, hx_ctx *c, json_t *f, long long page, long long per_page, hx_err *err)
{
	hx_buf w;
	hx_param p[16];
	int np = 0, rc;
	hx_buf_init(&w, 4096);
	hx_buf_puts(&w, " WHERE 1 = 1");
	hx_registry_scope_enterprises(&w, p, &np, c->me);
	if (c->me && c->me->scope.kind == HX_SCOPE_SELF) {
		hx_buf_puts(&w, " AND k.worker_id = ?");
		p[np++] = hx_p_int(c->me->scope.worker_id);
	}
	static const char *const eq[] = {"status", "k.status", "event", "k.event", "kind", "k.kind", NULL};
	for (int i = 0; eq[i]; i += 2) {
		const char *v = json_string_value(json_object_get(f, eq[i]));
		if (i == 0 && v && strcmp(v, "open") == 0) { /* waiting for a signature: either side */
			hx_buf_puts(&w, " AND k.status IN ('sent', 'signing')");
			continue;
		}
		if (v && *v) {
			hx_buf_printf(&w, " AND %s = ?", eq[i + 1]);
			p[np++] = hx_p_text(v);
		}
	}
	static const char *const ids[] = {"enterprise_id", "k.enterprise_id", "worker_id", "k.worker_id", "parent_id",
					  "k.parent_id", NULL};
	for (int i = 0; ids[i]; i += 2) {
		json_t *v = json_object_get(f, ids[i]);
		if (json_is_integer(v)) {
			hx_buf_printf(&w, " AND %s = ?", ids[i + 1]);
			p[np++] = hx_p_int(json_integer_value(v));
		}
	}
	const char *q = json_string_value(json_object_get(f, "q"));
	if (q && *q) {
		hx_buf_puts(&w, " AND w.name LIKE ? ESCAPE '\\'");
		p[np++] = hx_p_text(hx_store_like_pattern(c->arena, q));
	}
	long long total = 0;
	char *sql = hx_arena_printf(c->arena,
				    "SELECT count(*) FROM contracts k JOIN workers w ON w.id = k.worker_id"
				    " JOIN enterprises e ON e.id = k.enterprise_id%s",
				    w.data);
	if ((rc = hx_db_int(c->db, &total, sql, p, np, err)))
		goto done;
	hx_rows *r;
	p[np++] = hx_p_int(per_page);
	p[np++] = hx_p_int((page - 1) * per_page);
	sql = hx_arena_printf(c->arena, K_COLS "%s ORDER BY k.id DESC LIMIT ? OFFSET ?", w.data);
	if ((rc = hx_db_query(c->db, c->arena, &r, sql, p, np, err)))
		goto done;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, list_item(r, i));
	*out = json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "page", (json_int_t)page,
			 "per_page", (json_int_t)per_page);
done:
	hx_buf_free(&w);
	return rc;
}

int hx_contract_link(char **token, hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	if (!k->link_enc)
		return hx_err_set(err, HX_ECONFLICT, "not_sent", "", "合同尚未发送");
	return hx_open(token, c->keys->pii, k->link_enc, "contracts.link", err);
}

static int signatures_json(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, party, method, status, cert_serial, signer, signing_time, signed_at, timestamp_time,"
			     " attempts, last_error FROM contract_signatures WHERE contract_id = ? AND status <> 'prepared'"
			     " ORDER BY id",
			     p, 1, err);
	if (rc)
		return rc;
	json_t *a = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s?,s:s?,s:s?}", "id",
						   (json_int_t)hx_rows_int(r, i, "id"), "party", hx_rows_get(r, i, "party"),
						   "method", hx_rows_get(r, i, "method"), "status", hx_rows_get(r, i, "status"),
						   "cert_serial", hx_rows_get(r, i, "cert_serial"), "signer",
						   hx_rows_get(r, i, "signer"), "signed_at", hx_rows_get(r, i, "signed_at"),
						   "timestamp_time", hx_rows_get(r, i, "timestamp_time"), "last_error",
						   hx_rows_get(r, i, "last_error")));
	*out = a;
	return 0;
}

int hx_contract_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r, *ch;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, K_COLS " WHERE k.id = ?", p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "合同不存在或不在您的管理范围内");
	if ((rc = in_scope(c, hx_rows_int(r, 0, "enterprise_id"), hx_rows_int(r, 0, "worker_id"), err)))
		return rc;
	hx_contract_row k;
	if ((rc = row_fill(&k, c, r, err)))
		return rc;
	json_t *o = list_item(r, 0);
	json_t *terms = json_deep_copy(k.terms);
	/* the ID number only to those who may read it */
	if (!hx_can(c->me, HX_PERM_PII_READ)) {
		json_t *wk = json_object_get(terms, "worker");
		const char *idn = json_string_value(json_object_get(wk, "id_number"));
		if (idn) {
			char masked[19];
			hx_idnum_mask(idn, masked);
			json_object_set_new(wk, "id_number", json_string(masked));
		}
	}
	json_object_set_new(o, "extra_clauses", json_incref(json_object_get(terms, "extra_clauses")) ?: json_array());
	json_object_set_new(o, "terms", terms);
	json_object_set_new(o, "lint", json_loads(hx_rows_get(r, 0, "lint"), 0, NULL) ?: json_object());
	json_object_set_new(o, "doc_sha256", k.doc_sha256 ? json_string(k.doc_sha256) : json_null());
	json_object_set_new(o, "doc_version", json_integer(k.doc_version));
	/* where the frozen PDF's signature block has each party's box */
	json_object_set_new(o, "sign_boxes", (k.sign_boxes ? json_loads(k.sign_boxes, 0, NULL) : NULL) ?: json_null());
	const char *turn = hx_contract_turn(&k);
	json_object_set_new(o, "turn", turn ? json_string(turn) : json_null());
	json_object_set_new(o, "needs_worker", json_boolean(strcmp(k.kind, "termination") != 0));
	/* how the worker's identity is verified, said plainly (附件3 第七条) */
	json_object_set_new(o, "identity_method", json_string(hx_idv_method_text()));
	if (k.link_enc && c->me && hx_can(c->me, HX_PERM_CONTRACT_DRAFT)) {
		char *tok = NULL;
		if (hx_contract_link(&tok, c, &k, err) == 0) {
			json_object_set_new(o, "link", json_string(hx_arena_printf(c->arena, "%s/s/%s", hx_cenv.base_url, tok)));
			json_object_set_new(o, "link_path", json_string(hx_arena_printf(c->arena, "/s/%s", tok)));
			free(tok);
		}
		hx_err_clear(err);
	}
	json_t *sigs = NULL, *ev = NULL;
	if ((rc = signatures_json(&sigs, c, id, err)) || (rc = hx_evidence_list(&ev, c, id, err))) {
		json_decref(o);
		json_decref(sigs);
		return rc;
	}
	json_object_set_new(o, "signatures", sigs);
	json_object_set_new(o, "evidence", ev);
	if ((rc = hx_contract_detail_standing(o, c, &k, err))) {
		json_decref(o);
		return rc;
	}
	if ((rc = hx_db_query(c->db, c->arena, &ch,
			      "SELECT id, kind, event, status FROM contracts WHERE parent_id = ? ORDER BY id", p, 1, err))) {
		json_decref(o);
		return rc;
	}
	json_t *kids = json_array();
	for (int i = 0; i < ch->nrows; i++)
		json_array_append_new(kids, json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)hx_rows_int(ch, i, "id"), "kind",
						      hx_rows_get(ch, i, "kind"), "event", hx_rows_get(ch, i, "event"),
						      "status", hx_rows_get(ch, i, "status")));
	json_object_set_new(o, "children", kids);
	*out = o;
	return 0;
}

/* ---- sending ---- */

static const char *mask_phone(hx_arena *a, const char *phone)
{
	size_t n = phone ? strlen(phone) : 0;
	if (n < 7)
		return "";
	return hx_arena_printf(a, "%.3s****%s", phone, phone + n - 4);
}

static int message_worker(hx_ctx *c, const hx_contract_row *k, const char *text, const char *why, hx_err *err)
{
	if (!k->worker_phone || !*k->worker_phone)
		return 0;
	int rc = hx_message_queue(c, k->worker_phone, "电子劳动合同", text, err);
	if (rc)
		return rc;
	/* the channel tells HR whether a text message went out or the link
	 * waits in the platform's outbox (no SMS gateway configured) */
	const char *channel = hx_message_channel(k->worker_phone);
	return hx_evidence_add(c, k->id, "notified", "system",
			       json_pack("{s:s,s:s,s:s,s:s}", "to", "worker", "phone", mask_phone(c->arena, k->worker_phone),
					 "why", why, "channel", channel ? channel : "outbox"),
			       err);
}

static int message_enterprise(hx_ctx *c, const hx_contract_row *k, const char *text, const char *why, hx_err *err)
{
	int rc = hx_notify_enterprise(c, k->enterprise_id, text, hx_arena_printf(c->arena, "/contracts/%lld", k->id), err);
	if (rc)
		return rc;
	return hx_evidence_add(c, k->id, "notified", "system", json_pack("{s:s,s:s}", "to", "enterprise", "why", why), err);
}

static const char *title_of(const hx_contract_row *k)
{
	const hx_template *t;
	if (hx_template_find(&t, hx_cenv.templates, k->template_id, NULL) == 0)
		return t->title;
	return "劳动合同";
}

/* The county code that starts the enterprise's contract numbers: the
 * first six digits (县级区划代码) of the nearest area up from its own
 * that has a statistical code (a park has none: its county's). */
static int county_prefix(char out[7], hx_ctx *c, long long enterprise_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(enterprise_id)};
	long long area = 0;
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT area_id FROM enterprises WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	snprintf(out, 7, "000000");
	area = r->nrows ? hx_rows_int(r, 0, "area_id") : 0;
	for (int depth = 0; area && depth < 16; depth++) {
		hx_param q[] = {hx_p_int(area)};
		if ((rc = hx_db_query(c->db, c->arena, &r, "SELECT code, parent_id FROM areas WHERE id = ?", q, 1, err)))
			return rc;
		if (r->nrows != 1)
			break;
		const char *code = hx_rows_get(r, 0, "code");
		if (code && strlen(code) >= 6 && strspn(code, "0123456789") >= 6) {
			memcpy(out, code, 6);
			out[6] = '\0';
			break;
		}
		area = hx_rows_int(r, 0, "parent_id");
	}
	return 0;
}

/* Gives the contract its number (合同编号) when it has none: the county
 * code, the year of sending (Beijing time), a sequence per both. The
 * counter row is taken by one upsert, which PostgreSQL serialises on the
 * row and SQLite under its write lock; the unique index on the number is
 * the last guard. */
static int assign_number(const char **out, hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	char prefix[7], today[11];
	long long seq = 0;
	int rc;
	if (k->number && *k->number) {
		*out = k->number;
		return 0;
	}
	if ((rc = county_prefix(prefix, c, k->enterprise_id, err)))
		return rc;
	hx_today(today);
	int year = atoi(today);
	hx_param p[] = {hx_p_text(prefix), hx_p_int(year)};
	if ((rc = hx_db_int(c->db, &seq,
			    "INSERT INTO contract_numbers (prefix, seq_year, last_seq) VALUES (?, ?, 1)"
			    " ON CONFLICT (prefix, seq_year) DO UPDATE SET last_seq = contract_numbers.last_seq + 1"
			    " RETURNING last_seq",
			    p, 2, err)))
		return rc;
	const char *number = hx_arena_printf(c->arena, "%s-%04d-%06lld", prefix, year, seq);
	hx_param q[] = {hx_p_text(number), hx_p_int(k->id)};
	long long changed = 0;
	if ((rc = hx_db_exec(c->db, "UPDATE contracts SET number = ? WHERE id = ? AND number IS NULL", q, 2, &changed,
			     err)))
		return rc;
	if (changed != 1)
		return hx_err_set(err, HX_ECONFLICT, "not_draft", "", "合同已发送");
	*out = number;
	return 0;
}

/* Stores where the frozen PDF has its signature boxes. */
static int store_boxes(hx_ctx *c, long long id, json_t *boxes, hx_err *err)
{
	char *text = json_dumps(boxes, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		return hx_err_set(err, HX_ENOMEM, "no_memory", "", "out of memory");
	hx_param p[] = {hx_p_text(text), hx_p_int(id)};
	int rc = hx_db_exec(c->db, "UPDATE contracts SET sign_boxes = ? WHERE id = ?", p, 2, NULL, err);
	free(text);
	return rc;
}

int hx_contract_send(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_contract_row k;
	const hx_template *t;
	char *pdf = NULL, *sealed = NULL, sha[65], tok[49], link_hash[65], now[21], exp[21];
	size_t len = 0;
	json_t *lint = NULL;
	int nerr = 0, rc;
	if ((rc = hx_contract_load(&k, c, id, 1, err)))
		return rc;
	if (strcmp(k.status, "draft") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_draft", "", "合同已发送");
	/* the check again, for today (late signing, ages): 第十条's one month
	 * is counted to the day of sending, and every field of the document
	 * must be filled */
	draft_ref ref = {k.id, k.worker_id, k.parent_id, k.event};
	if ((rc = lint_terms(&lint, &nerr, c, k.kind, k.terms, &ref, err)))
		return rc;
	json_t *first = json_array_get(json_object_get(lint, "errors"), 0);
	if (first) {
		rc = hx_err_set(err, HX_EINVAL, "lint_failed", json_string_value(json_object_get(first, "field")) ?: "",
				"%.400s", json_string_value(json_object_get(first, "message")) ?: "合同未通过合法性检查");
		json_decref(lint);
		return rc;
	}
	/* the findings as of the day of sending are the ones the contract shows */
	char *lint_text = json_dumps(lint, JSON_COMPACT);
	json_decref(lint);
	hx_param lp[] = {hx_p_text(lint_text), hx_p_int(id)};
	rc = hx_db_exec(c->db, "UPDATE contracts SET lint = ?, lint_errors = 0 WHERE id = ?", lp, 2, NULL, err);
	free(lint_text);
	if (rc)
		return rc;
	/* the document prints the phone the codes will go to: the roster's as
	 * of sending, frozen below (a roster change after the draft was saved
	 * reaches the text too) */
	const char *tp = jstr(k.terms, "worker", "phone");
	json_t *wk = json_object_get(k.terms, "worker");
	if (k.worker_phone && *k.worker_phone && json_is_object(wk) && (!tp || strcmp(tp, k.worker_phone) != 0)) {
		char *st = NULL;
		json_object_set_new(wk, "phone", json_string(k.worker_phone));
		if ((rc = sealed_terms(&st, c, k.terms, err)))
			return rc;
		hx_param tpp[] = {hx_p_text(st), hx_p_int(id)};
		rc = hx_db_exec(c->db, "UPDATE contracts SET terms_enc = ? WHERE id = ?", tpp, 2, NULL, err);
		free(st);
		if (rc)
			return rc;
	}
	const char *number = NULL;
	json_t *boxes = NULL;
	if ((rc = hx_template_find(&t, hx_cenv.templates, k.template_id, err)) ||
	    (rc = assign_number(&number, c, &k, err)) ||
	    (rc = hx_contract_render_pdf_numbered(&pdf, &len, &boxes, t, k.terms, number, err)))
		return rc;
	rc = hx_contract_doc_put(c, id, 1, (unsigned char *)pdf, len, sha, err);
	if (!rc)
		rc = store_boxes(c, id, boxes, err);
	json_decref(boxes);
	free(pdf);
	if (rc)
		return rc;
	hx_token(tok, 24);
	hx_hmac_hex(link_hash, c->keys->misc, tok, strlen(tok));
	if ((rc = hx_seal(&sealed, c->keys->pii, tok, "contracts.link", err)))
		return rc;
	hx_now_iso(now);
	hx_iso_from_unix(exp, hx_now_unix() + (int64_t)k.expires_days * 86400);
	const char *order = strcmp(k.kind, "termination") == 0 ? "enterprise_first" : k.sign_order;
	/* the phone is frozen with the contract (k.worker_phone is the roster's
	 * while a draft): codes and messages go to the number the link was
	 * sent to, whatever the roster says later */
	hx_param p[] = {hx_p_text(sha), hx_p_text(link_hash), hx_p_text(sealed), hx_p_text(now), hx_p_text(exp),
			hx_p_text(order), hx_p_text(k.worker_phone), hx_p_text(now), hx_p_int(id)};
	long long changed = 0;
	rc = hx_db_exec(c->db,
			"UPDATE contracts SET status = 'sent', doc_version = 1, doc_sha256 = ?, link_hash = ?, link_enc = ?,"
			" sent_at = ?, expires_at = ?, sign_order = ?, worker_phone = ?, updated_at = ? WHERE id = ?"
			" AND status = 'draft'",
			p, 9, &changed, err);
	free(sealed);
	if (!rc && changed != 1)
		rc = hx_err_set(err, HX_ECONFLICT, "not_draft", "", "合同已发送");
	if (rc)
		return rc;
	if ((rc = hx_evidence_add(c, id, "sent", hx_contract_actor(c),
				  json_pack("{s:i,s:s,s:s,s:s,s:s,s:s}", "version", 1, "sha256", sha, "template", k.template_id,
					    "expires_at", exp, "sign_order", order, "number", number),
				  err)) ||
	    (rc = hx_audit_write(c, "contract.send", "contract", id, NULL, NULL, err)))
		return rc;
	k.status = "sent";
	k.sign_order = order;
	const char *title = title_of(&k);
	if (strcmp(k.kind, "termination") != 0 && strcmp(order, "worker_first") == 0)
		rc = message_worker(c, &k,
				    hx_arena_printf(c->arena,
						    "【和谐劳动】%s向您发送了《%s》，请于%.10s前打开 %s/s/%s 核验身份后阅读并签署。",
						    k.enterprise_name, title, exp, hx_cenv.base_url, tok),
				    "sent", err);
	else if (strcmp(k.kind, "termination") != 0)
		rc = message_worker(c, &k,
				    hx_arena_printf(c->arena, "【和谐劳动】%s拟与您签订《%s》，企业签署后您将收到签署链接：%s/s/%s",
						    k.enterprise_name, title, hx_cenv.base_url, tok),
				    "sent", err);
	if (!rc && strcmp(order, "enterprise_first") == 0)
		rc = message_enterprise(c, &k, hx_arena_printf(c->arena, "《%s》（%s）待企业签署", title, k.worker_name),
					"turn", err);
	if (rc)
		return rc;
	return out ? hx_contract_get(out, c, id, err) : 0;
}

int hx_contract_withdraw(hx_ctx *c, long long id, const char *reason, hx_err *err)
{
	hx_contract_row k;
	int rc;
	if ((rc = hx_contract_load(&k, c, id, 1, err)))
		return rc;
	if (!is_open(k.status))
		return hx_err_set(err, HX_ECONFLICT, "not_open", "", "只有待签署的合同可以撤回");
	if (k.worker_signed_at)
		return hx_err_set(err, HX_ECONFLICT, "already_signed", "", "劳动者已签署，不能撤回；如需终止请办理解除或终止");
	if (k.pending)
		return hx_err_set(err, HX_ECONFLICT, "signature_pending", "", "有签名正在等待时间戳，请稍后再试");
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(reason), hx_p_text(now), hx_p_int(id)};
	long long n = 0;
	if ((rc = hx_db_exec(c->db,
			     "UPDATE contracts SET status = 'withdrawn', closed_reason = ?, updated_at = ?"
			     " WHERE id = ? AND status IN ('sent', 'signing') AND worker_signed_at IS NULL",
			     p, 3, &n, err)))
		return rc;
	if (n != 1)
		return hx_err_set(err, HX_ECONFLICT, "already_signed", "", "合同状态已变化，请刷新");
	if ((rc = hx_evidence_add(c, id, "withdrawn", hx_contract_actor(c), json_pack("{s:s}", "reason", reason), err)) ||
	    (rc = hx_audit_write(c, "contract.withdraw", "contract", id, NULL, NULL, err)))
		return rc;
	return message_worker(c, &k,
			      hx_arena_printf(c->arena, "【和谐劳动】%s已撤回《%s》，原签署链接不再有效。", k.enterprise_name,
					      title_of(&k)),
			      "withdrawn", err);
}

int hx_contract_reject(hx_ctx *c, const hx_contract_row *k, const char *reason, hx_err *err)
{
	int rc;
	if (!is_open(k->status) || !hx_contract_needs(k, "worker"))
		return hx_err_set(err, HX_ECONFLICT, "not_open", "", "合同当前不能拒签");
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(reason), hx_p_text(now), hx_p_int(k->id)};
	long long n = 0;
	if ((rc = hx_db_exec(c->db,
			     "UPDATE contracts SET status = 'rejected', closed_reason = ?, updated_at = ?"
			     " WHERE id = ? AND status IN ('sent', 'signing') AND pending = 0",
			     p, 3, &n, err)))
		return rc;
	if (n != 1)
		return hx_err_set(err, HX_ECONFLICT, "not_open", "", "合同状态已变化，请刷新");
	if ((rc = hx_evidence_add(c, k->id, "rejected", hx_arena_printf(c->arena, "worker:%lld", k->worker_id),
				  json_pack("{s:s}", "reason", reason), err)))
		return rc;
	return message_enterprise(c, k,
				  hx_arena_printf(c->arena, "%s拒签了《%s》：%s", k->worker_name, title_of(k), reason),
				  "rejected", err);
}

/* ---- amendment, renewal, termination ---- */

static int need_signed(hx_contract_row *k, hx_ctx *c, long long id, hx_err *err)
{
	int rc = hx_contract_load(k, c, id, 1, err);
	if (rc)
		return rc;
	if (strcmp(k->status, "signed") != 0 ||
	    (strcmp(k->kind, "full_time") != 0 && strcmp(k->kind, "part_time") != 0))
		return hx_err_set(err, HX_ECONFLICT, "not_signed", "", "只能对已签署的劳动合同办理变更、续签或解除");
	/* a contract removed after its retention period (retention.c) has no
	 * terms left to change, renew or end */
	long long purged = 0;
	hx_param p[] = {hx_p_int(id)};
	if ((rc = hx_db_int(c->db, &purged, "SELECT count(*) FROM contracts WHERE id = ? AND purged_at IS NOT NULL", p, 1,
			    err)))
		return rc;
	if (purged)
		return hx_err_set(err, HX_ECONFLICT, "purged", "", "该合同已过保存期限并已清除，不能再办理变更、续签或解除");
	return 0;
}

/* The calendar date (China, UTC+8) of a stored UTC instant
 * "YYYY-MM-DDTHH:MM:SSZ"; "" when it is not one. */
static void beijing_date(char out[11], const char *iso)
{
	char d[11];
	int h;
	out[0] = '\0';
	if (!iso || strlen(iso) < 13 || iso[10] != 'T')
		return;
	memcpy(d, iso, 10);
	d[10] = '\0';
	h = (iso[11] - '0') * 10 + (iso[12] - '0');
	if (hx_date_parse(d, NULL, NULL, NULL) || h < 0 || h > 23)
		return;
	hx_date_add_days(out, d, h >= 16 ? 1 : 0);
}

/* What an amendment or a certificate prints of the contract it is about:
 * its id, kind, the day it was signed (第三十五条: the amendment names the
 * original), its term and job. */
static json_t *original_of(const hx_contract_row *k)
{
	char day[11], num[32];
	beijing_date(day, k->completed_at);
	/* 合同编号 given at sending; a contract sent before numbers existed is
	 * named by its platform id */
	snprintf(num, sizeof num, "%lld", k->id);
	return json_pack("{s:I,s:s,s:s,s:s?,s:s?,s:O?,s:O?}", "id", (json_int_t)k->id, "number",
			 k->number && *k->number ? k->number : num, "kind", k->kind, "signed_at", k->completed_at,
			 "signed_date", *day ? day : NULL, "term", json_object_get(k->terms, "term"), "job",
			 json_object_get(k->terms, "job"));
}

/* The worker's address as the original contract states it, for a document
 * made from it (the roster keeps none). */
static void keep_address(json_t *terms, const hx_contract_row *orig)
{
	json_t *a = json_object_get(json_object_get(orig->terms, "worker"), "address");
	if (json_is_string(a) && !json_object_get(terms, "worker_address"))
		json_object_set(terms, "worker_address", a);
}

/* 第三十五条: an amendment changes named terms of the contract. Each leaf of
 * changes must be a term an amendment may change (400 unknown_field
 * "changes.<path>" otherwise), at least one must differ from the original
 * (422 no_change), and the original's values of the changed terms go into
 * terms.before, so the document prints before → after. */
static int amend_terms(json_t *terms, const json_t *ch, const hx_contract_row *orig, hx_err *err)
{
	const char *k, *k2;
	json_t *v, *v2;
	char path[160];
	int changed = 0;
	if (!json_is_object(ch) || json_object_size(ch) == 0)
		return hx_err_set(err, HX_EINVAL, "required", "changes", "请填写变更的内容（changes）");
	json_object_foreach((json_t *)ch, k, v) {
		if (json_is_object(v) && !hx_contract_field_changeable(k)) {
			json_object_foreach(v, k2, v2) {
				snprintf(path, sizeof path, "changes.%.60s.%.60s", k, k2);
				if (!hx_contract_field_changeable(path + 8))
					return hx_err_set(err, HX_EBADREQ, "unknown_field", path, "变更协议不能变更“%s”", path + 8);
				if (json_is_object(v2) || json_is_array(v2))
					return hx_err_set(err, HX_EBADREQ, "wrong_type", path, "变更内容“%s”的类型不正确", path + 8);
				json_t *was = json_object_get(json_object_get(orig->terms, k), k2);
				changed += !(was ? json_equal(was, v2) : json_is_null(v2));
			}
		} else if (snprintf(path, sizeof path, "changes.%.60s", k), !hx_contract_field_changeable(k))
			return hx_err_set(err, HX_EBADREQ, "unknown_field", path, "变更协议不能变更“%.60s”", k);
		else if (json_is_object(v) || json_is_array(v))
			return hx_err_set(err, HX_EBADREQ, "wrong_type", path, "变更内容“%.60s”的类型不正确", k);
		else {
			json_t *was = json_object_get(orig->terms, k);
			changed += !(was ? json_equal(was, v) : json_is_null(v));
		}
	}
	if (!changed)
		return hx_err_set(err, HX_EINVAL, "no_change", "changes", "变更内容与原合同相同，没有需要变更的条款");
	json_t *before = json_object();
	json_object_foreach((json_t *)ch, k, v) {
		json_t *was = json_object_get(orig->terms, k);
		json_object_set_new(before, k, was ? json_deep_copy(was) : json_null());
	}
	json_object_set_new(terms, "before", before);
	json_object_set_new(terms, "original", original_of(orig));
	json_object_set(terms, "kind", json_object_get(orig->terms, "kind"));
	keep_address(terms, orig);
	return 0;
}

/* A draft amendment or certificate edited by HR keeps what it was made
 * from (the original and its kind; unless given, the hire date, term, job
 * and the worker's address; for an amendment the values before the change,
 * checked against the original again). */
static int keep_made_from(json_t *terms, hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	static const char *const kept[] = {"original", "kind", "hire_date", "term", "job", NULL};
	for (int i = 0; kept[i]; i++)
		if (json_object_get(k->terms, kept[i]) && (i < 2 || !json_object_get(terms, kept[i])))
			json_object_set(terms, kept[i], json_object_get(k->terms, kept[i]));
	json_t *a = json_object_get(json_object_get(k->terms, "worker"), "address");
	if (json_is_string(a) && !json_object_get(terms, "worker_address"))
		json_object_set(terms, "worker_address", a);
	if (strcmp(k->kind, "amendment") != 0 || !k->parent_id)
		return 0;
	hx_contract_row orig;
	int rc = hx_contract_load(&orig, c, k->parent_id, 1, err);
	return rc ? rc : amend_terms(terms, json_object_get(terms, "changes"), &orig, err);
}

int hx_contract_amend(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_contract_row k;
	static const char *const keys[] = {"changes", "effective_date", "extra_clauses", "sign_order", "expires_days", NULL};
	int rc;
	const char *eff;
	if ((rc = need_signed(&k, c, id, err)) || (rc = hx_json_only(body, keys, err)) ||
	    (rc = hx_json_get_date(&eff, NULL, body, "effective_date", "变更生效日期", 1, err)))
		return rc;
	json_t *ch = json_object_get(body, "changes");
	json_t *terms = json_pack("{s:s}", "effective_date", eff);
	if ((rc = amend_terms(terms, ch, &k, err))) {
		json_decref(terms);
		return rc;
	}
	json_object_set(terms, "changes", ch);
	/* the changed terms must still pass the legal check */
	json_t *merged = json_deep_copy(k.terms);
	json_object_update_recursive(merged, ch);
	json_t *lint = NULL;
	int nerr = 0;
	draft_ref ref = {k.id, k.worker_id, k.parent_id, k.event};
	if ((rc = lint_terms(&lint, &nerr, c, k.kind, merged, &ref, err))) {
		json_decref(merged);
		json_decref(terms);
		return rc;
	}
	json_t *first = json_array_get(json_object_get(lint, "errors"), 0);
	if (first) {
		rc = hx_err_set(err, HX_EINVAL, "lint_failed", json_string_value(json_object_get(first, "field")) ?: "changes",
				"%.400s", json_string_value(json_object_get(first, "message")) ?: "");
		json_decref(lint);
		json_decref(merged);
		json_decref(terms);
		return rc;
	}
	json_decref(lint);
	json_decref(merged);
	json_t *ex = json_object_get(body, "extra_clauses");
	if (json_is_array(ex))
		json_object_set(terms, "extra_clauses", ex);
	const char *order = json_string_value(json_object_get(body, "sign_order"));
	json_t *d = json_object_get(body, "expires_days");
	rc = create_with(out, c, k.worker_id, "amendment", "change", id,
			 order && strcmp(order, "enterprise_first") == 0 ? "enterprise_first" : "worker_first",
			 json_is_integer(d) && json_integer_value(d) >= 1 && json_integer_value(d) <= 60 ? json_integer_value(d) : 7,
			 terms, err);
	json_decref(terms);
	return rc;
}

int hx_contract_renew(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_contract_row k;
	int rc;
	if ((rc = need_signed(&k, c, id, err)))
		return rc;
	json_t *nb = json_object();
	json_t *terms = json_deep_copy(k.terms);
	json_object_del(terms, "employer");
	json_object_del(terms, "worker");
	json_object_del(terms, "kind");
	json_object_del(terms, "sign_date");
	json_t *ex = json_incref(json_object_get(terms, "extra_clauses"));
	json_object_del(terms, "extra_clauses");
	json_t *given = json_object_get(body, "terms");
	if (given && !json_is_object(given)) {
		json_decref(nb);
		json_decref(terms);
		json_decref(ex);
		return hx_err_set(err, HX_EBADREQ, "bad_type", "terms", "terms（合同条款）应为对象");
	}
	/* 第十九条第二款: the probation was the first contract's; a renewal
	 * carries none unless HR asks for one (which the check refuses) */
	json_object_set_new(terms, "probation_months", json_integer(0));
	json_object_del(json_object_get(terms, "pay"), "probation_monthly");
	keep_address(terms, &k);
	if (given)
		json_object_update(terms, given);
	/* one more fixed-term contract before this one (第十四条) */
	json_t *prior = json_object_get(terms, "prior");
	if (!json_is_object(prior)) {
		prior = json_object();
		json_object_set_new(terms, "prior", prior);
	}
	if (!given || !json_object_get(given, "prior")) {
		json_int_t n = json_integer_value(json_object_get(prior, "fixed_term_contracts"));
		const char *tt = jstr(k.terms, "term", "type");
		if (tt && strcmp(tt, "fixed") == 0)
			json_object_set_new(prior, "fixed_term_contracts", json_integer(n + 1));
	}
	json_object_set_new(nb, "worker_id", json_integer(k.worker_id));
	json_object_set_new(nb, "kind", json_string(k.kind));
	json_object_set_new(nb, "terms", terms);
	if (ex)
		json_object_set_new(nb, "extra_clauses", ex);
	json_object_set_new(nb, "sign_order", json_string(k.sign_order));
	rc = hx_contract_create(out, c, nb, id, "renew", err);
	json_decref(nb);
	return rc;
}

int hx_contract_terminate(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	hx_contract_row k;
	static const char *const keys[] = {"event", "date", "reason", "legal_basis", NULL};
	const char *event, *date, *reason, *basis = NULL;
	int rc;
	/* 第五十条、实施条例第二十四条: the certificate states the date, 解除 or
	 * 终止, the reason and its legal basis; none may be left blank */
	if ((rc = need_signed(&k, c, id, err)) || (rc = hx_json_only(body, keys, err)) ||
	    (rc = hx_json_get_str(&event, NULL, body, "event", "类型", 1, 20, err)) ||
	    (rc = hx_json_get_date(&date, NULL, body, "date", "解除或终止日期", 1, err)) ||
	    (rc = hx_json_get_str(&reason, NULL, body, "reason", "原因", 1, 500, err)) ||
	    (rc = hx_json_get_str(&basis, NULL, body, "legal_basis", "法律依据", 1, 200, err)))
		return rc;
	if (strcmp(event, "rescind") != 0 && strcmp(event, "terminate") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_event", "event", "类型应为解除（rescind）或终止（terminate）");
	/* the years of service run from the hire date the contract states */
	const char *hire = jstr(k.terms, "hire_date", NULL);
	if (hire && strcmp(date, hire) < 0)
		return hx_err_set(err, HX_EINVAL, "before_hire_date", "date", "解除或终止日期早于用工之日（%s）", hire);
	json_t *terms = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "kind", "termination", "event", event, "date", date,
				  "reason", reason, "legal_basis", basis, "original", original_of(&k));
	json_object_set(terms, "term", json_object_get(k.terms, "term"));
	json_object_set(terms, "job", json_object_get(k.terms, "job"));
	if (hire)
		json_object_set_new(terms, "hire_date", json_string(hire));
	keep_address(terms, &k);
	rc = create_with(out, c, k.worker_id, "termination", event, id, "enterprise_first", 7, terms, err);
	json_decref(terms);
	return rc;
}

/* ---- the signed contract's consequences ---- */

int hx_contract_on_signed(hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	int rc = 0;
	char now[21];
	hx_now_iso(now);
	const char *title = title_of(k);
	if (strcmp(k->kind, "termination") == 0 && k->parent_id) {
		const char *date = jstr(k->terms, "date", NULL);
		hx_param p[] = {hx_p_text(now), hx_p_text(k->event), hx_p_int(k->parent_id)};
		hx_param q[] = {hx_p_text(date), hx_p_text(now), hx_p_int(k->worker_id)};
		if ((rc = hx_db_exec(c->db,
				     "UPDATE contracts SET status = 'ended', ended_at = ?, closed_reason = ? WHERE id = ?", p, 3,
				     NULL, err)) ||
		    (rc = hx_db_exec(c->db, "UPDATE workers SET leave_date = ?, updated_at = ? WHERE id = ?", q, 3, NULL, err)) ||
		    (rc = hx_evidence_add(c, k->parent_id, "ended", "system",
					  json_pack("{s:I,s:s,s:s?}", "certificate_id", (json_int_t)k->id, "event",
						    k->event, "date", date),
					  err)))
			return rc;
	} else if (k->parent_id) {
		rc = hx_evidence_add(c, k->parent_id, strcmp(k->kind, "amendment") == 0 ? "changed" : "renewed", "system",
				     json_pack("{s:I}", "contract_id", (json_int_t)k->id), err);
		if (rc)
			return rc;
	}
	char *tok = NULL;
	if (hx_contract_link(&tok, c, k, err) == 0) {
		rc = message_worker(c, k,
				    hx_arena_printf(c->arena,
						    "【和谐劳动】《%s》已签署完成，您可随时免费查看、下载和打印：%s/s/%s",
						    title, hx_cenv.base_url, tok),
				    "completed", err);
		free(tok);
	}
	if (!rc)
		rc = message_enterprise(c, k, hx_arena_printf(c->arena, "《%s》（%s）已签署完成", title, k->worker_name),
					"completed", err);
	return rc;
}

/* ---- the worker's side ---- */

int hx_contract_list_for_holder(json_t **out, hx_ctx *c, const char *holder, const char *phone, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_text(holder), hx_p_text(phone ? phone : "")};
	int rc = hx_db_query(c->db, c->arena, &r,
			     K_COLS " WHERE w.id_hash = ? AND k.status <> 'draft' AND k.worker_phone = ?"
				    " ORDER BY k.id DESC LIMIT 500",
			     p, 2, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		json_t *o = list_item(r, i);
		hx_contract_row k;
		memset(&k, 0, sizeof k);
		json_object_set_new(o, "title", json_string(strcmp(hx_rows_get(r, i, "kind"), "termination") == 0
								    ? "解除或终止劳动合同证明"
								    : strcmp(hx_rows_get(r, i, "kind"), "amendment") == 0
									      ? "劳动合同变更协议"
									      : "劳动合同"));
		json_array_append_new(items, o);
	}
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

int hx_contract_text(json_t **out, hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	const hx_template *t;
	json_t *sections = NULL;
	(void)c;
	int rc;
	if ((rc = hx_template_find(&t, hx_cenv.templates, k->template_id, err)) ||
	    (rc = hx_contract_render_text(&sections, t, k->terms, err)))
		return rc;
	*out = json_pack("{s:s,s:s,s:o,s:s?,s:i}", "title", t->title, "enterprise", k->enterprise_name, "sections", sections,
			 "sha256", k->doc_sha256, "version", k->doc_version);
	return 0;
}

/* ---- batches ---- */

static const char *const BATCH_KEYS[] = {"worker_ids", "kind", "terms", "extra_clauses", "sign_order",
					 "expires_days", "send", NULL};

int hx_contract_batch_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	int rc;
	if ((rc = hx_json_only(body, BATCH_KEYS, err)))
		return rc;
	json_t *ids = json_object_get(body, "worker_ids");
	if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > 1000)
		return hx_err_set(err, HX_EINVAL, "invalid_worker_ids", "worker_ids", "请选择1至1000名职工");
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) if (!json_is_integer(v) || json_integer_value(v) < 1) return hx_err_set(
		err, HX_EBADREQ, "bad_type", "worker_ids", "worker_ids 应为职工编号数组");
	json_t *s = json_object_get(body, "send");
	if (s && !json_is_boolean(s))
		return hx_err_set(err, HX_EBADREQ, "bad_type", "send", "send 应为 true 或 false");
	/* the shared fields are checked now, once */
	json_t *probe = json_deep_copy(body), *terms = NULL;
	json_object_del(probe, "worker_ids");
	json_object_del(probe, "send");
	const char *kind, *order;
	long long days;
	rc = draft_fields(&terms, &kind, &order, &days, c, probe, NULL, err);
	json_decref(probe);
	json_decref(terms);
	if (rc)
		return rc;
	/* every worker must be in scope and in one enterprise */
	long long eid = 0;
	json_array_foreach(ids, i, v) {
		hx_rows *r;
		hx_param p[] = {hx_p_int(json_integer_value(v))};
		if ((rc = hx_db_query(c->db, c->arena, &r,
				      "SELECT enterprise_id FROM workers WHERE id = ? AND deleted_at IS NULL", p, 1, err)))
			return rc;
		if (r->nrows != 1 || in_scope(c, hx_rows_int(r, 0, "enterprise_id"), json_integer_value(v), err))
			return hx_err_set(err, HX_EINVAL, "no_worker", "worker_ids", "职工 %lld 不存在或不在您的管理范围内",
					  (long long)json_integer_value(v));
		if (eid && eid != hx_rows_int(r, 0, "enterprise_id"))
			return hx_err_set(err, HX_EINVAL, "mixed_enterprises", "worker_ids", "一批合同只能属于同一家企业");
		eid = hx_rows_int(r, 0, "enterprise_id");
	}
	char *req = json_dumps(body, JSON_COMPACT), now[21];
	char *frozen = c->me ? hx_account_principal_freeze(c->me) : NULL;
	hx_now_iso(now);
	long long id = 0;
	hx_param p[] = {hx_p_int(eid), c->me && c->me->user_id ? hx_p_int(c->me->user_id) : hx_p_null(),
			hx_p_text(c->me && c->me->username ? c->me->username : "system"), hx_p_text(frozen), hx_p_text(req),
			hx_p_int((long long)json_array_size(ids)), hx_p_text(now)};
	rc = hx_db_int(c->db, &id,
		       "INSERT INTO contract_batches (enterprise_id, user_id, actor_name, principal, request, status, total,"
		       " created_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING id",
		       p, 7, err);
	free(req);
	free(frozen);
	if (rc)
		return rc;
	*out = json_pack("{s:I}", "id", (json_int_t)id);
	return 0;
}

int hx_contract_batch_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, enterprise_id, status, total, done, failed, errors, contract_ids, created_at, finished_at"
			     " FROM contract_batches WHERE id = ?",
			     p, 1, err);
	if (rc)
		return rc;
	if (r->nrows != 1 || in_scope(c, hx_rows_int(r, 0, "enterprise_id"), 0, err))
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "批次不存在");
	*out = json_pack("{s:I,s:s,s:I,s:I,s:I,s:o,s:o,s:s,s:s?}", "id", (json_int_t)id, "status", hx_rows_get(r, 0, "status"),
			 "total", (json_int_t)hx_rows_int(r, 0, "total"), "done", (json_int_t)hx_rows_int(r, 0, "done"),
			 "failed", (json_int_t)hx_rows_int(r, 0, "failed"),
			 "errors", json_loads(hx_rows_get(r, 0, "errors"), 0, NULL) ?: json_array(), "contract_ids",
			 json_loads(hx_rows_get(r, 0, "contract_ids"), 0, NULL) ?: json_array(), "created_at",
			 hx_rows_get(r, 0, "created_at"), "finished_at", hx_rows_get(r, 0, "finished_at"));
	return 0;
}

/* A batch's progress after one more worker, in the caller's transaction. */
typedef struct batch_state {
	long long id;
	int done, failed, total;
	json_t *errors, *cids;
} batch_state;

static int batch_progress(hx_db *db, const batch_state *b, hx_err *err)
{
	char *et = json_dumps(b->errors, JSON_COMPACT), *ct = json_dumps(b->cids, JSON_COMPACT), now[21];
	hx_now_iso(now);
	int last = b->done >= b->total;
	hx_param p[] = {hx_p_int(b->done), hx_p_int(b->failed), hx_p_text(et), hx_p_text(ct), hx_p_text(last ? "done" : "running"),
			last ? hx_p_text(now) : hx_p_null(), hx_p_int(b->id)};
	int rc = hx_db_exec(db,
			    "UPDATE contract_batches SET done = ?, failed = ?, errors = ?, contract_ids = ?, status = ?,"
			    " finished_at = ? WHERE id = ?",
			    p, 7, NULL, err);
	free(et);
	free(ct);
	return rc;
}

/* One worker of a batch in its own transaction, as the batch's user; the
 * progress is written in the same transaction, so a restart neither
 * repeats nor skips a worker. */
static int batch_one(hx_store *s, const hx_keys *keys, const hx_principal *me, json_t *req, long long worker_id,
		     batch_state *b, hx_err *err)
{
	hx_db *db;
	hx_arena *a = hx_arena_new();
	int rc = hx_db_get(&db, s, err);
	if (rc) {
		hx_arena_free(a);
		return rc;
	}
	hx_ctx c = {.db = db, .arena = a, .keys = keys, .me = me, .ip = "batch"};
	json_t *body = json_deep_copy(req), *out = NULL;
	json_object_del(body, "worker_ids");
	int send = json_is_true(json_object_get(body, "send"));
	json_object_del(body, "send");
	json_object_set_new(body, "worker_id", json_integer(worker_id));
	if (!(rc = hx_db_begin_write(db, err)) && !(rc = hx_contract_create(&out, &c, body, 0, "new", err))) {
		long long cid = json_integer_value(json_object_get(out, "id"));
		if (send)
			rc = hx_contract_send(NULL, &c, cid, err);
		if (!rc) {
			b->done++;
			json_array_append_new(b->cids, json_integer(cid));
			if ((rc = batch_progress(db, b, err))) {
				b->done--;
				json_array_remove(b->cids, json_array_size(b->cids) - 1);
			}
		}
	}
	if (!rc)
		rc = hx_db_commit(db, err);
	else
		hx_db_rollback(db);
	if (rc) { /* the failure is progress too, in a transaction of its own */
		hx_err e2 = {0};
		b->done++;
		b->failed++;
		json_array_append_new(b->errors, json_pack("{s:I,s:s,s:s}", "worker_id", (json_int_t)worker_id, "field",
							   err->field, "message", err->msg));
		if (!hx_db_begin_write(db, &e2)) {
			if (batch_progress(db, b, &e2) == 0)
				hx_db_commit(db, &e2);
			else
				hx_db_rollback(db);
		}
	}
	json_decref(body);
	json_decref(out);
	hx_db_put(db);
	hx_arena_free(a);
	return rc;
}

int hx_contract_batches_run(hx_store *s, const hx_keys *keys, const char *data_dir, hx_err *err)
{
	(void)data_dir;
	hx_db *db;
	hx_arena *a = hx_arena_new();
	hx_rows *r;
	int rc = hx_db_get(&db, s, err);
	if (rc) {
		hx_arena_free(a);
		return rc;
	}
	json_t *req = NULL;
	batch_state b = {0};
	if ((rc = hx_db_begin_write(db, err)))
		goto put;
	rc = hx_db_query(db, a, &r,
			 "SELECT id, principal, request, done, failed, errors, contract_ids FROM contract_batches"
			 " WHERE status IN ('queued', 'running')"
			 " ORDER BY id LIMIT 1",
			 NULL, 0, err);
	long long bid = !rc && r->nrows ? hx_rows_int(r, 0, "id") : 0;
	const char *frozen = bid ? hx_rows_get(r, 0, "principal") : NULL;
	long long uid = frozen ? 1 : 0, skip = bid ? hx_rows_int(r, 0, "done") : 0;
	b.id = bid;
	if (bid) {
		b.done = (int)skip;
		b.failed = (int)hx_rows_int(r, 0, "failed");
		b.errors = json_loads(hx_rows_get(r, 0, "errors"), 0, NULL);
		b.cids = json_loads(hx_rows_get(r, 0, "contract_ids"), 0, NULL);
	}
	if (!json_is_array(b.errors)) {
		json_decref(b.errors);
		b.errors = json_array();
	}
	if (!json_is_array(b.cids)) {
		json_decref(b.cids);
		b.cids = json_array();
	}
	req = bid ? json_loads(hx_rows_get(r, 0, "request"), 0, NULL) : NULL;
	if (!rc && bid) {
		hx_param p[] = {hx_p_int(bid)};
		rc = hx_db_exec(db, "UPDATE contract_batches SET status = 'running' WHERE id = ?", p, 1, NULL, err);
	}
	hx_principal me;
	memset(&me, 0, sizeof me);
	if (!rc && bid && frozen && hx_account_principal_thaw(&me, a, frozen))
		rc = hx_err_set(err, HX_EINTERNAL, "principal", "", "批次的操作人无法恢复");
	if (!rc)
		rc = hx_db_commit(db, err);
	else
		hx_db_rollback(db);
	if (rc || !bid || !req)
		goto put;
	json_t *ids = json_object_get(req, "worker_ids");
	size_t i;
	json_t *v;
	b.total = (int)json_array_size(ids);
	json_array_foreach(ids, i, v) {
		if ((long long)i < skip) /* done before a restart */
			continue;
		hx_err e = {0};
		batch_one(s, keys, uid ? &me : NULL, req, json_integer_value(v), &b, &e);
	}
put:
	json_decref(req);
	json_decref(b.errors);
	json_decref(b.cids);
	hx_db_put(db);
	hx_arena_free(a);
	return rc;
}
