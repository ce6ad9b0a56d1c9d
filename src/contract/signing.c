/* Signing electronic contracts (电子签名): one signature from prepare to
 * done (the signers' certificates, their revocation and the CRL are
 * certs.c) — the PDF's incremental update, the bytes to sign, the
 * signature checked against the certificate, the RFC 3161 timestamp on
 * it, the CMS put into the PDF, the new revision and the evidence, all in
 * one transaction. A signature whose timestamp cannot be had waits
 * ("pending") and is completed by the retry: no signature is ever
 * completed with a local time. */
#include "contract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../core/timeutil.h"
#include "../notify/notify.h"
#include "../registry/registry.h"
#include "../trust/channels.h"

typedef struct cert_row {
	const char *serial, *holder_kind, *holder, *cn;
	long long enterprise_id;
	uint8_t *der;
	size_t len;
} cert_row;

/* The certificate, checked for the party: the holder's, not revoked, in
 * its validity, issued by our CA. der is freed with the arena. */
static int cert_for(cert_row *out, hx_ctx *c, const hx_contract_row *k, const char *party, const char *method,
		    const char *serial, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_text(serial)};
	int rc;
	if (!serial || !*serial)
		return hx_err_set(err, HX_EINVAL, "required", "cert_serial", "缺少签名证书编号（cert_serial）");
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT serial, holder_kind, holder, enterprise_id, cn, cert, revoked_at FROM certificates"
			      " WHERE serial = ?",
			      p, 1, err)))
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_EINVAL, "cert_unknown", "cert_serial", "签名证书不存在，请重新申请证书");
	out->serial = hx_rows_get(r, 0, "serial");
	out->holder_kind = hx_rows_get(r, 0, "holder_kind");
	out->holder = hx_rows_get(r, 0, "holder");
	out->cn = hx_rows_get(r, 0, "cn");
	out->enterprise_id = hx_rows_int(r, 0, "enterprise_id");
	int mine;
	if (strcmp(party, "worker") == 0)
		mine = strcmp(out->holder_kind, "worker") == 0 && strcmp(out->holder, k->worker_id_hash) == 0;
	else if (strcmp(method, "seal") == 0)
		mine = strcmp(out->holder_kind, "seal") == 0 && out->enterprise_id == k->enterprise_id;
	else
		mine = strcmp(out->holder_kind, "user") == 0 && out->enterprise_id == k->enterprise_id && c->me &&
		       strtoll(out->holder, NULL, 10) == c->me->user_id;
	if (!mine)
		return hx_err_set(err, HX_EINVAL, "cert_not_yours", "cert_serial", "该证书不属于本合同的签署人");
	if (hx_rows_get(r, 0, "revoked_at"))
		return hx_err_set(err, HX_EINVAL, "cert_revoked", "cert_serial", "签名证书已吊销，请重新申请证书");
	uint8_t *der = NULL;
	size_t len = 0;
	if (hx_b64_decode(&der, &len, hx_rows_get(r, 0, "cert")))
		return hx_err_set(err, HX_EINTERNAL, "bad_cert", "", "证书损坏");
	hx_arena_defer(c->arena, free, der);
	if ((rc = hx_ca_check_cert(hx_cenv.ca, der, len, hx_now_unix(), err))) {
		if (strcmp(err->key, "cert_expired") == 0)
			hx_err_set(err, HX_EINVAL, "cert_expired", "cert_serial", "签名证书已过期，请重新申请证书");
		return rc;
	}
	out->der = der;
	out->len = len;
	return 0;
}

static int turn_check(const hx_contract_row *k, const char *party, hx_err *err)
{
	if (strcmp(k->status, "sent") != 0 && strcmp(k->status, "signing") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_sendable", "", "合同当前不在待签署状态");
	if (!hx_contract_needs(k, party))
		return hx_err_set(err, HX_ECONFLICT, "already_signed", "", "您已签署过本合同");
	if (k->pending)
		return hx_err_set(err, HX_ECONFLICT, "signature_pending", "", "另一方的签名正在等待时间戳，请稍后再试");
	const char *turn = hx_contract_turn(k);
	if (!turn || strcmp(turn, party) != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_your_turn", "",
				  strcmp(party, "worker") == 0 ? "请等待企业先签署" : "请等待劳动者先签署");
	return 0;
}

static const char *field_of(const char *party)
{
	return strcmp(party, "worker") == 0 ? "worker_signature" : "enterprise_signature";
}

static const char *reason_of(const char *party)
{
	return strcmp(party, "worker") == 0 ? "乙方（劳动者）签署" : "甲方（用人单位）签署";
}

/* The incremental update of revision base for this signature, its widget
 * drawn in the party's box of the signature block (the seal, or the
 * worker's handwritten name png, with the day) when the contract has
 * the boxes. The same arguments make the same bytes (prepare, then the
 * completion). */
static int prepare_doc(hx_pades_prep *prep, hx_ctx *c, long long contract_id, int base, const char *party,
		       const char *signer, const char *signing_time, const unsigned char *png, size_t png_len,
		       EVP_MD_CTX **base_state, hx_err *err)
{
	unsigned char *pdf = NULL;
	size_t len = 0;
	EVP_MD_CTX *state = NULL; /* SHA-256 over the base revision, from reading it */
	hx_contract_look look = {0};
	hx_rows *r;
	hx_param p[] = {hx_p_int(contract_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT k.sign_boxes AS sign_boxes, e.name AS name FROM contracts k"
			     " JOIN enterprises e ON e.id = k.enterprise_id WHERE k.id = ?",
			     p, 1, err);
	if (rc || (rc = hx_contract_look_make(&look, r->nrows ? hx_rows_get(r, 0, "sign_boxes") : NULL, party,
					      r->nrows ? hx_rows_get(r, 0, "name") : NULL, signer, png, png_len,
					      signing_time, err)))
		return rc;
	if (!(rc = hx_contract_doc_get_hashed(&pdf, &len, NULL, &state, c, contract_id, base, err)))
		rc = hx_pades_prepare_hashed(prep, pdf, len, state, field_of(party), signer, reason_of(party), signing_time,
					     look.visible ? &look.ap : NULL, err);
	free(pdf);
	if (!rc && base_state) {
		*base_state = state;
		state = NULL;
	}
	EVP_MD_CTX_free(state);
	hx_contract_look_free(&look);
	return rc;
}

/* The handwritten name kept with a signature (NULL when none); *png is
 * freed with the arena. */
static int sig_handwriting(unsigned char **png, size_t *len, char sha[65], hx_ctx *c, long long sig_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(sig_id)};
	char *b64 = NULL;
	*png = NULL;
	*len = 0;
	if (sha)
		sha[0] = '\0';
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT handwriting_enc, handwriting_sha256 FROM contract_signatures WHERE id = ?", p, 1, err);
	if (rc || r->nrows != 1 || !hx_rows_get(r, 0, "handwriting_enc"))
		return rc;
	if ((rc = hx_open(&b64, c->keys->pii, hx_rows_get(r, 0, "handwriting_enc"), "contract_signatures.handwriting",
			  err)))
		return rc;
	uint8_t *d = NULL;
	if (hx_b64_decode(&d, len, b64))
		rc = hx_err_set(err, HX_EINTERNAL, "bad_handwriting", "", "手写签名数据损坏");
	else
		hx_arena_defer(c->arena, free, d);
	free(b64);
	*png = d;
	if (sha && !rc)
		snprintf(sha, 65, "%s", hx_rows_get(r, 0, "handwriting_sha256") ?: "");
	return rc;
}

/* What the signed event says about the signature's look. */
static void look_detail(json_t *detail, hx_ctx *c, const char *party, long long sig_id, const char *signing_time)
{
	unsigned char *png = NULL;
	size_t len = 0;
	char sha[65] = "";
	hx_err e = {0};
	struct tm tm = {0};
	if (signing_time && strptime(signing_time, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		time_t t = timegm(&tm) + 8 * 3600; /* the day that party signed, Beijing time */
		char day[11];
		gmtime_r(&t, &tm);
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
		json_object_set_new(detail, "sign_date", json_string(day));
	}
	if (strcmp(party, "enterprise") == 0) {
		json_object_set_new(detail, "appearance", json_string("seal"));
		return;
	}
	sig_handwriting(&png, &len, sha, c, sig_id, &e);
	json_object_set_new(detail, "appearance", json_string(png ? "handwriting" : "name"));
	if (png)
		json_object_set_new(detail, "handwriting_sha256", json_string(sha));
}

int hx_contract_sign_prepare(json_t **out, hx_ctx *c, const hx_contract_row *k, const char *party,
			     const char *serial, const char *method, hx_err *err)
{
	return hx_contract_sign_prepare_hand(out, c, k, party, serial, method, NULL, err);
}

/* The prepare step; keep, when given, receives the incremental update
 * made (its bytes, offsets and digest) for a caller that completes the
 * signature at once (the seal): the completion then need not make it
 * again from the stored base revision. */
static int prepare_keep(json_t **out, hx_pades_prep *keep, hx_ctx *c, const hx_contract_row *k, const char *party,
			const char *serial, const char *method, const char *handwriting_b64, hx_err *err);

int hx_contract_sign_prepare_hand(json_t **out, hx_ctx *c, const hx_contract_row *k, const char *party,
				  const char *serial, const char *method, const char *handwriting_b64, hx_err *err)
{
	return prepare_keep(out, NULL, c, k, party, serial, method, handwriting_b64, err);
}

static int prepare_keep(json_t **out, hx_pades_prep *keep, hx_ctx *c, const hx_contract_row *k, const char *party,
			const char *serial, const char *method, const char *handwriting_b64, hx_err *err)
{
	cert_row cr;
	hx_pades_prep prep = {0};
	unsigned char *attrs = NULL;
	uint8_t *png = NULL;
	size_t alen = 0, png_len = 0;
	char now[21], *attrs_b64 = NULL, *hand_enc = NULL, hand_sha[65];
	int rc;
	if (handwriting_b64) {
		/* the worker's own hand at 乙方（签字）; the enterprise's look is its seal */
		if (strcmp(party, "worker") != 0)
			return hx_err_set(err, HX_EINVAL, "bad_handwriting", "handwriting", "只有劳动者签署时提交手写签名");
		if (strlen(handwriting_b64) > (HX_HANDWRITING_MAX / 3 + 1) * 4)
			return hx_err_set(err, HX_EINVAL, "handwriting_too_big", "handwriting", "手写签名图片过大（上限%d KB）",
					  HX_HANDWRITING_MAX >> 10);
		if (hx_b64_decode(&png, &png_len, handwriting_b64) || !png_len)
			return hx_err_set(err, HX_EINVAL, "bad_handwriting", "handwriting", "手写签名应为base64编码的PNG图片");
		hx_arena_defer(c->arena, free, png);
		if ((rc = hx_contract_handwriting_check(png, png_len, err)))
			return rc;
		hx_sha256_hex(hand_sha, png, png_len);
	}
	if ((rc = turn_check(k, party, err)) || (rc = cert_for(&cr, c, k, party, method, serial, err)))
		return rc;
	hx_now_iso(now);
	if ((rc = prepare_doc(&prep, c, k->id, k->doc_version, party, cr.cn, now, png, png_len, NULL, err)) ||
	    (rc = hx_cms_signed_attrs(&attrs, &alen, prep.digest, cr.der, cr.len, err)))
		goto done;
	attrs_b64 = hx_b64_encode(attrs, alen);
	long long id = 0;
	hx_param p[] = {hx_p_int(k->id),	  hx_p_text(party), hx_p_text(method), hx_p_int(k->doc_version),
			hx_p_text(cr.serial), hx_p_text(cr.cn), hx_p_text(now),	  hx_p_text(attrs_b64),
			hx_p_text(now)};
	if ((rc = hx_db_int(c->db, &id,
			    "INSERT INTO contract_signatures (contract_id, party, method, status, base_version, cert_serial,"
			    " signer, signing_time, attrs, created_at) VALUES (?, ?, ?, 'prepared', ?, ?, ?, ?, ?, ?)"
			    " RETURNING id",
			    p, 9, err)))
		goto done;
	if (png) {
		/* a person's signature image: sealed like the documents */
		if ((rc = hx_seal(&hand_enc, c->keys->pii, handwriting_b64, "contract_signatures.handwriting", err)))
			goto done;
		hx_param h[] = {hx_p_text(hand_enc), hx_p_text(hand_sha), hx_p_int(id)};
		if ((rc = hx_db_exec(c->db,
				     "UPDATE contract_signatures SET handwriting_enc = ?, handwriting_sha256 = ? WHERE id = ?", h,
				     3, NULL, err)))
			goto done;
	}
	*out = json_pack("{s:I,s:s,s:s,s:s}", "signature_id", (json_int_t)id, "to_sign", attrs_b64, "algorithm",
			 "ECDSA-P256-SHA256", "signing_time", now);
	if (png)
		json_object_set_new(*out, "handwriting_sha256", json_string(hand_sha));
	if (keep) { /* handed over: the caller frees it */
		*keep = prep;
		memset(&prep, 0, sizeof prep);
	}
done:
	hx_pades_prep_free(&prep);
	free(attrs);
	free(attrs_b64);
	free(hand_enc);
	return rc;
}

/* ---- completion ---- */

typedef struct sig_row {
	long long id, contract_id;
	const char *party, *method, *status, *serial, *signer, *signing_time, *attrs_b64, *sig_b64;
	int base;
} sig_row;

static int sig_load(sig_row *s, hx_ctx *c, long long id, long long contract_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id), hx_p_int(contract_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT id, contract_id, party, method, status, cert_serial, signer, signing_time, attrs, signature,"
			     " base_version FROM contract_signatures WHERE id = ? AND contract_id = ?",
			     p, 2, err);
	if (rc)
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_ENOTFOUND, "no_signature", "signature_id", "签名请求不存在");
	s->id = id;
	s->contract_id = contract_id;
	s->party = hx_rows_get(r, 0, "party");
	s->method = hx_rows_get(r, 0, "method");
	s->status = hx_rows_get(r, 0, "status");
	s->serial = hx_rows_get(r, 0, "cert_serial");
	s->signer = hx_rows_get(r, 0, "signer");
	s->signing_time = hx_rows_get(r, 0, "signing_time");
	s->attrs_b64 = hx_rows_get(r, 0, "attrs");
	s->sig_b64 = hx_rows_get(r, 0, "signature");
	s->base = (int)hx_rows_int(r, 0, "base_version");
	return 0;
}

static int with_tx(hx_ctx *c, int write, hx_err *err)
{
	return write ? hx_db_begin_write(c->db, err) : hx_db_begin_read(c->db, err);
}

static int end_tx(hx_ctx *c, int rc, hx_err *err)
{
	if (!hx_db_in_tx(c->db))
		return rc;
	if (rc) {
		hx_db_rollback(c->db);
		return rc;
	}
	return hx_db_commit(c->db, err);
}

/* A timestamp on the signature value: the external TSA when configured,
 * else the built-in one. Never a local time. The built-in one's token is
 * verified against the root as it is made (gen gets its time: parsing it
 * again cost a fifth of a signature); an external one's gen stays empty
 * and build_signed verifies the token it received. */
static int get_timestamp(unsigned char **tst, size_t *tlen, char gen[32], const unsigned char digest[32], hx_err *err)
{
	gen[0] = '\0';
	if (hx_cenv.tsa_url && *hx_cenv.tsa_url)
		return hx_tsa_client_stamp(tst, tlen, hx_cenv.tsa_url, digest, 5000, err);
	if (!hx_cenv.tsa)
		return hx_err_set(err, HX_EIO, "tsa_unavailable", "", "时间戳服务不可用");
	char ca_path[4096];
	snprintf(ca_path, sizeof ca_path, "%s/ca.crt", hx_cenv.keys_dir);
	return hx_tsa_stamp_digest_verified(tst, tlen, gen, hx_cenv.tsa, digest, ca_path, err);
}

/* The signed revision, built outside any transaction from the base
 * revision: the incremental update (the same bytes the signer signed the
 * digest of), the CMS with the timestamp, the new PDF sealed for storage. */
typedef struct built {
	char sha[65], gen[32], tst_sha[65], sig_digest[65];
	char *tst_b64; /* the timestamp token, kept for the evidence package */
	char *sealed; /* the bytes the signature appended, as stored (a delta) */
	size_t size;  /* of the whole new revision */
} built;

static void built_free(built *b)
{
	free(b->sealed);
	b->sealed = NULL;
	free(b->tst_b64);
	b->tst_b64 = NULL;
}

static int build_signed(built *b, hx_ctx *c, const sig_row *s, const cert_row *cr, const uint8_t *sig, size_t sig_len,
			const unsigned char *tst, size_t tlen, hx_pades_prep *have, hx_err *err)
{
	hx_pades_prep prep = {0};
	EVP_MD_CTX *base_state = NULL; /* SHA-256 over the base revision as read */
	unsigned char *attrs = NULL, *cms = NULL, *check = NULL, *png = NULL;
	size_t alen = 0, cmslen = 0, checklen = 0, png_len = 0;
	char gen[32];
	int rc;
	/* b->gen set: the token was verified as it was made (get_timestamp) */
	memcpy(gen, b->gen, sizeof gen);
	memset(b, 0, sizeof *b);
	if (have && have->pdf) {
		/* made a moment ago by this caller's prepare, from the same base,
		 * signer and time; the signed attributes below must still match */
		prep = *have;
		memset(have, 0, sizeof *have);
	} else if ((rc = sig_handwriting(&png, &png_len, NULL, c, s->id, err)) ||
		   (rc = prepare_doc(&prep, c, s->contract_id, s->base, s->party, s->signer, s->signing_time, png, png_len,
				     &base_state, err)))
		goto done;
	if ((rc = hx_cms_signed_attrs(&check, &checklen, prep.digest, cr->der, cr->len, err)))
		goto done;
	if (hx_b64_decode(&attrs, &alen, s->attrs_b64) || alen != checklen || memcmp(attrs, check, alen) != 0) {
		rc = hx_err_set(err, HX_EINTERNAL, "prepare_mismatch", "", "签名准备数据不一致");
		goto done;
	}
	size_t ilen = 0;
	const unsigned char *issuing = hx_ca_issuing_der(hx_cenv.ca, &ilen);
	const unsigned char *chain[] = {issuing};
	size_t chain_len[] = {ilen};
	unsigned char sd[32];
	char ca_path[4096];
	snprintf(ca_path, sizeof ca_path, "%s/ca.crt", hx_cenv.keys_dir);
	if ((rc = hx_cms_assemble(&cms, &cmslen, attrs, alen, sig, sig_len, cr->der, cr->len, chain, chain_len, 1, tst, tlen,
				  err)) ||
	    (rc = hx_pades_embed(&prep, cms, cmslen, err)) || (rc = hx_cms_signature_digest(sd, sig, sig_len, err)))
		goto done;
	if (gen[0] && memchr(gen, '\0', sizeof gen))
		memcpy(b->gen, gen, sizeof gen);
	else if ((rc = hx_tsa_verify_token(tst, tlen, sd, ca_path, b->gen, err)))
		goto done;
	hx_sha256_hex(b->tst_sha, tst, tlen);
	hx_hex(b->sig_digest, sd, 32);
	b->tst_b64 = hx_b64_encode(tst, tlen);
	b->size = prep.len;
	/* stored as what the update appended to the base revision */
	long long base_len = 0;
	hx_param bp[] = {hx_p_int(s->contract_id), hx_p_int(s->base)};
	if ((rc = hx_db_int(c->db, &base_len, "SELECT size FROM contract_documents WHERE contract_id = ? AND version = ?",
			    bp, 2, err)))
		goto done;
	rc = hx_contract_doc_seal_delta_from(&b->sealed, b->sha, c, prep.pdf, prep.len, (size_t)base_len,
					     base_state && prep.len > (size_t)base_len ? base_state : NULL, err);
done:
	EVP_MD_CTX_free(base_state);
	hx_pades_prep_free(&prep);
	free(attrs);
	free(check);
	free(cms);
	if (rc)
		built_free(b);
	return rc;
}

/* The write transaction that puts the signed revision in place: the
 * contract must still be on the revision the signature was prepared on,
 * the party must not have signed, the certificate must not have been
 * revoked meanwhile. */
static int finish(hx_ctx *c, const sig_row *s, const built *b, const uint8_t *sig, size_t sig_len, hx_err *err)
{
	hx_contract_row k;
	char now[21];
	int rc;
	if ((rc = hx_contract_load(&k, c, s->contract_id, 0, err)))
		return rc;
	if (k.doc_version != s->base)
		return hx_err_set(err, HX_ECONFLICT, "stale_signature", "", "合同文件已变化，请重新签署");
	if (!hx_contract_needs(&k, s->party))
		return hx_err_set(err, HX_ECONFLICT, "already_signed", "", "您已签署过本合同");
	if (strcmp(k.status, "sent") != 0 && strcmp(k.status, "signing") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_sendable", "", "合同当前不在待签署状态");
	long long revoked = 0;
	hx_param rp[] = {hx_p_text(s->serial)};
	if ((rc = hx_db_int(c->db, &revoked, "SELECT count(*) FROM certificates WHERE serial = ? AND revoked_at IS NOT NULL",
			    rp, 1, err)))
		return rc;
	if (revoked)
		return hx_err_set(err, HX_EINVAL, "cert_revoked", "cert_serial", "签名证书已吊销，请重新申请证书");
	char prev_sha[65];
	snprintf(prev_sha, sizeof prev_sha, "%s", k.doc_sha256 ? k.doc_sha256 : "");
	int version = k.doc_version + 1;
	if ((rc = hx_contract_doc_insert(c, k.id, version, b->sha, b->size, 1, b->sealed, err)))
		return rc;
	hx_now_iso(now);
	int w_after = strcmp(s->party, "worker") == 0 ? 0 : hx_contract_needs(&k, "worker");
	int e_after = strcmp(s->party, "enterprise") == 0 ? 0 : hx_contract_needs(&k, "enterprise");
	int complete = !w_after && !e_after;
	const char *col = strcmp(s->party, "worker") == 0 ? "worker_signed_at" : "enterprise_signed_at";
	hx_param p[] = {hx_p_int(version), hx_p_text(b->sha), hx_p_text(now), hx_p_text(complete ? "signed" : "signing"),
			complete ? hx_p_text(now) : hx_p_null(), hx_p_text(now), hx_p_int(k.id), hx_p_int(s->base)};
	long long n = 0;
	if ((rc = hx_db_exec(c->db,
			     hx_arena_printf(c->arena,
					     "UPDATE contracts SET doc_version = ?, doc_sha256 = ?, %s = ?, status = ?,"
					     " completed_at = ?, pending = 0, updated_at = ? WHERE id = ? AND doc_version = ?",
					     col),
			     p, 8, &n, err)))
		return rc;
	if (n != 1)
		return hx_err_set(err, HX_ECONFLICT, "stale_signature", "", "合同文件已变化，请重新签署");
	char *sig_b64 = hx_b64_encode(sig, sig_len);
	hx_param q[] = {hx_p_text(sig_b64), hx_p_text(b->gen), hx_p_text(b->tst_b64), hx_p_text(b->sig_digest),
			hx_p_text(now), hx_p_int(s->id)};
	rc = hx_db_exec(c->db,
			"UPDATE contract_signatures SET status = 'done', signature = ?, timestamp_time = ?, tst = ?,"
			" sig_digest = ?, signed_at = ?, last_error = NULL WHERE id = ?",
			q, 6, NULL, err);
	free(sig_b64);
	if (rc)
		return rc;
	const char *actor = strcmp(s->party, "worker") == 0 ? hx_arena_printf(c->arena, "worker:%lld", k.worker_id)
							    : s->method && strcmp(s->method, "seal") == 0
								      ? hx_arena_printf(c->arena, "seal:%lld", k.enterprise_id)
								      : hx_contract_actor(c);
	json_t *detail = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s}", "party", s->party, "method", s->method, "signer",
				   s->signer, "cert_serial", s->serial, "version", version, "sha256", b->sha,
				   "previous_sha256", prev_sha, "signing_time", s->signing_time);
	look_detail(detail, c, s->party, s->id, s->signing_time);
	if ((rc = hx_evidence_add(c, k.id, "signed", actor, detail, err)) ||
	    (rc = hx_evidence_add(c, k.id, "timestamped", "tsa",
				  json_pack("{s:s,s:s,s:s,s:s}", "party", s->party, "gen_time", b->gen, "token_sha256",
					    b->tst_sha, "tsa",
					    hx_cenv.tsa_url && *hx_cenv.tsa_url ? hx_cenv.tsa_url : "built-in"),
				  err)))
		return rc;
	if (complete) {
		k.status = "signed";
		k.completed_at = now;
		k.doc_version = version;
		return hx_contract_on_signed(c, &k, err);
	}
	/* the other side's turn */
	if (strcmp(s->party, "worker") == 0)
		return hx_notify_enterprise(c, k.enterprise_id,
					    hx_arena_printf(c->arena, "%s已签署劳动合同，待企业签署", k.worker_name),
					    hx_arena_printf(c->arena, "/contracts/%lld", k.id), err);
	if (k.worker_phone && *k.worker_phone) {
		char *tok = NULL;
		if (hx_contract_link(&tok, c, &k, err) == 0) {
			rc = hx_message_queue(c, k.worker_phone, "电子劳动合同",
					      hx_arena_printf(c->arena,
							      "【和谐劳动】%s已签署劳动合同，请打开 %s/s/%s 核验身份后签署。",
							      k.enterprise_name, hx_cenv.base_url, tok),
					      err);
			free(tok);
		}
	}
	return rc;
}

/* Marks a checked signature as waiting for its timestamp. */
static int mark_pending(hx_ctx *c, const sig_row *s, const char *sig_b64, const hx_err *why, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(sig_b64), hx_p_text(why->msg), hx_p_int(s->id)};
	int rc = hx_db_exec(c->db,
			    "UPDATE contract_signatures SET status = 'pending', signature = ?, attempts = attempts + 1,"
			    " last_error = ? WHERE id = ?",
			    p, 3, NULL, err);
	hx_param q[] = {hx_p_text(now), hx_p_int(s->contract_id)};
	if (!rc)
		rc = hx_db_exec(c->db, "UPDATE contracts SET pending = 1, updated_at = ? WHERE id = ?", q, 2, NULL, err);
	if (!rc && strcmp(s->status, "prepared") == 0)
		rc = hx_evidence_add(c, s->contract_id, "timestamp_pending", "system",
				     json_pack("{s:s,s:s}", "party", s->party, "reason", why->msg), err);
	return rc;
}

/* Steps after the signature bytes are known; own transactions. The work
 * that needs no lock (checks, the incremental update, the timestamp, the
 * CMS) runs outside the write transaction, which only stores the result. */
static int complete_with(hx_ctx *c, long long contract_id, long long sig_id, const char *party, const uint8_t *sig,
			 size_t sig_len, hx_pades_prep *have, int *pending, hx_err *err)
{
	sig_row s;
	hx_contract_row k;
	cert_row cr;
	uint8_t *attrs = NULL;
	size_t alen = 0;
	unsigned char *tst = NULL, sd[32];
	size_t tlen = 0;
	built b = {0};
	hx_err ts_err = {0};
	int rc, ts_rc = 0;
	*pending = 0;
	/* 1. read and check, without holding the write lock */
	if ((rc = with_tx(c, 0, err)))
		return rc;
	if ((rc = sig_load(&s, c, sig_id, contract_id, err)) || (rc = hx_contract_load(&k, c, contract_id, 0, err)))
		goto read_done;
	if (party && strcmp(s.party, party) != 0) {
		rc = hx_err_set(err, HX_ENOTFOUND, "no_signature", "signature_id", "签名请求不存在");
		goto read_done;
	}
	if (strcmp(s.status, "prepared") != 0 && strcmp(s.status, "pending") != 0) {
		rc = hx_err_set(err, HX_ECONFLICT, "already_signed", "", "该签名已完成");
		goto read_done;
	}
	if (strcmp(s.status, "pending") == 0 && party) {
		rc = hx_err_set(err, HX_ECONFLICT, "signature_pending", "", "签名已提交，正在等待时间戳");
		goto read_done;
	}
	if (k.doc_version != s.base) {
		rc = hx_err_set(err, HX_ECONFLICT, "stale_signature", "", "合同文件已变化，请重新签署");
		goto read_done;
	}
	if (!hx_contract_needs(&k, s.party)) {
		rc = hx_err_set(err, HX_ECONFLICT, "already_signed", "", "您已签署过本合同");
		goto read_done;
	}
	if ((rc = cert_for(&cr, c, &k, s.party, s.method, s.serial, err)))
		goto read_done;
	if (hx_b64_decode(&attrs, &alen, s.attrs_b64)) {
		rc = hx_err_set(err, HX_EINTERNAL, "bad_attrs", "", "签名数据损坏");
		goto read_done;
	}
	if ((rc = hx_cms_check_signature(attrs, alen, sig, sig_len, cr.der, cr.len, err))) {
		rc = hx_err_set(err, HX_EINVAL, "bad_signature", "signature", "签名与待签署内容或证书不符");
		goto read_done;
	}
	rc = hx_cms_signature_digest(sd, sig, sig_len, err);
	/* 2. the timestamp, outside any transaction (an external TSA may be slow) */
	ts_rc = rc ? 0 : get_timestamp(&tst, &tlen, b.gen, sd, &ts_err);
	/* 3. the signed revision from the base one, still reading */
	if (!rc && !ts_rc)
		rc = build_signed(&b, c, &s, &cr, sig, sig_len, tst, tlen, have, err);
read_done:
	free(attrs);
	hx_db_rollback(c->db);
	if (rc)
		goto out;
	/* 4. one write transaction: all of it or none */
	if ((rc = with_tx(c, 1, err)))
		goto out;
	if ((rc = sig_load(&s, c, sig_id, contract_id, err)))
		goto write_done;
	if (strcmp(s.status, "prepared") != 0 && strcmp(s.status, "pending") != 0) {
		rc = hx_err_set(err, HX_ECONFLICT, "already_signed", "", "该签名已完成");
		goto write_done;
	}
	if (ts_rc) {
		char *b64 = hx_b64_encode(sig, sig_len);
		/* the unique index admits one non-prepared signature per party */
		rc = mark_pending(c, &s, b64, &ts_err, err);
		free(b64);
		if (!rc)
			*pending = 1;
		goto write_done;
	}
	rc = finish(c, &s, &b, sig, sig_len, err);
	if (!rc && hx_contract_fault("sign_commit")) {
		/* the crash test: die with the transaction open */
		_exit(86);
	}
write_done:
	rc = end_tx(c, rc, err);
out:
	built_free(&b);
	free(tst);
	return rc;
}

int hx_contract_sign_complete(hx_ctx *c, long long contract_id, long long signature_id, const char *party,
			      const char *sig_b64, int *pending, hx_err *err)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	int rc = hx_contract_b64_arg(&sig, &len, sig_b64, "signature", 512, err);
	if (rc)
		return rc;
	rc = complete_with(c, contract_id, signature_id, party, sig, len, NULL, pending, err);
	free(sig);
	return rc;
}

/* ---- the enterprise seal ---- */

/* Only the enterprise itself signs for the enterprise: an officer who
 * can see its contracts cannot use its seal. */
static int own_enterprise(hx_ctx *c, long long enterprise_id, hx_err *err)
{
	if (!c->me || !c->me->user_id)
		return 0; /* the command line and the background jobs */
	if (c->me->scope.kind != HX_SCOPE_ENTERPRISE || c->me->scope.enterprise_id != enterprise_id)
		return hx_err_set(err, HX_EPERM, "not_the_enterprise", "", "只有本企业的人员可以使用企业电子印章");
	return 0;
}

/* in: the HR user's confirmation, for the operation log (NULL from the
 * command line, the demo and the bench). */
static int seal_make_with(json_t **out, hx_ctx *c, long long enterprise_id, const hx_intent *in, hx_err *err)
{
	char *sealed = NULL, *spki_b64 = NULL, now[21];
	unsigned char *spki = NULL;
	size_t spki_len = 0;
	const char *name;
	json_t *cert = NULL, *log = NULL;
	int rc;
	if ((rc = hx_registry_enterprise_name(&name, c, enterprise_id, err)) || (rc = own_enterprise(c, enterprise_id, err)))
		return rc;
	if ((rc = hx_seal_key_new(&sealed, &spki, &spki_len, c->keys->pii, err)))
		return rc;
	spki_b64 = hx_b64_encode(spki, spki_len);
	if ((rc = hx_contract_cert_issue(&cert, c, "seal", hx_arena_printf(c->arena, "%lld", enterprise_id), enterprise_id,
					 name, name, spki_b64, NULL, err)))
		goto done;
	hx_now_iso(now);
	/* the old seal's certificate is revoked with the key */
	hx_param r[] = {hx_p_text(now), hx_p_int(enterprise_id)};
	if ((rc = hx_db_exec(c->db,
			     "UPDATE certificates SET revoked_at = ?, revoke_reason = 'superseded' WHERE serial IN"
			     " (SELECT cert_serial FROM seal_keys WHERE enterprise_id = ?)",
			     r, 2, NULL, err)))
		goto done;
	hx_param p[] = {hx_p_int(enterprise_id), hx_p_text(sealed), hx_p_text(json_string_value(json_object_get(cert, "serial"))),
			hx_p_text(now)};
	hx_param d[] = {hx_p_int(enterprise_id)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM seal_keys WHERE enterprise_id = ?", d, 1, NULL, err)) ||
	    (rc = hx_db_exec(c->db, "INSERT INTO seal_keys (enterprise_id, key_enc, cert_serial, created_at) VALUES (?, ?, ?, ?)",
			     p, 4, NULL, err)) ||
	    (rc = hx_audit_write(c, "contract.seal_make", "enterprise", enterprise_id, name,
				 (log = in ? hx_contract_intent_audit(in) : NULL), err)))
		goto done;
	*out = json_pack("{s:O,s:O}", "cert_serial", json_object_get(cert, "serial"), "not_after",
			 json_object_get(cert, "not_after"));
done:
	json_decref(log);
	json_decref(cert);
	free(sealed);
	free(spki);
	free(spki_b64);
	return rc;
}

int hx_contract_seal_make(json_t **out, hx_ctx *c, long long enterprise_id, hx_err *err)
{
	return seal_make_with(out, c, enterprise_id, NULL, err);
}

/* The seal's signature. confirm: NULL for the program itself (command
 * line, demo, bench); else an HR user's confirmation, checked here in the
 * prepare transaction when code is set, or already checked (a batch). */
static int seal_sign_with(hx_ctx *c, long long contract_id, int confirm, const char *code, const hx_intent *checked,
			  int *pending, hx_err *err)
{
	hx_contract_row k;
	hx_intent in = {0};
	json_t *prep = NULL;
	hx_pades_prep made = {0}; /* the update prepare made, for the completion */
	unsigned char *sig = NULL;
	uint8_t *attrs = NULL;
	size_t siglen = 0, alen = 0;
	char *key = NULL;
	long long sid = 0;
	int rc;
	if ((rc = with_tx(c, 1, err)))
		return rc;
	if ((rc = hx_contract_load(&k, c, contract_id, 1, err)))
		goto tx;
	if ((rc = own_enterprise(c, k.enterprise_id, err)))
		goto tx;
	hx_rows *r;
	hx_param p[] = {hx_p_int(k.enterprise_id)};
	if ((rc = hx_db_query(c->db, c->arena, &r, "SELECT key_enc, cert_serial FROM seal_keys WHERE enterprise_id = ?", p,
			      1, err)))
		goto tx;
	if (r->nrows != 1) {
		rc = hx_err_set(err, HX_ECONFLICT, "no_seal", "", "企业尚未设置电子印章，请先生成印章密钥");
		goto tx;
	}
	if (confirm) {
		if (checked)
			in = *checked;
		else if ((rc = turn_check(&k, "enterprise", err)) ||
			 (rc = hx_contract_intent_check(&in, c, hx_contract_intent_subject(c, "k", k.id), code, k.id, err))) {
			/* the wrong try counts: nothing else is written yet */
			if (in.refused) {
				hx_err e2 = {0};
				if (hx_db_commit(c->db, &e2))
					hx_db_rollback(c->db);
			}
			goto tx;
		}
	}
	key = strdup(hx_rows_get(r, 0, "key_enc"));
	if ((rc = prepare_keep(&prep, &made, c, &k, "enterprise", hx_rows_get(r, 0, "cert_serial"), "seal", NULL, err)))
		goto tx;
	sid = json_integer_value(json_object_get(prep, "signature_id"));
	if (confirm && (rc = hx_contract_intent_record(c, k.id, &in, "seal", err)))
		goto tx;
	if (hx_b64_decode(&attrs, &alen, json_string_value(json_object_get(prep, "to_sign")))) {
		rc = hx_err_set(err, HX_EINTERNAL, "bad_attrs", "", "签名数据损坏");
		goto tx;
	}
	rc = hx_seal_key_sign(&sig, &siglen, key, c->keys->pii, attrs, alen, err);
tx:
	rc = end_tx(c, rc, err);
	if (!rc)
		rc = complete_with(c, contract_id, sid, "enterprise", sig, siglen, &made, pending, err);
	hx_pades_prep_free(&made);
	json_decref(prep);
	free(sig);
	free(attrs);
	free(key);
	return rc;
}

/* The command line, `hexie init --demo` and the bench: the program acting
 * on its operator's instruction, not an HR user, so no intent code. */
int hx_contract_seal_sign(hx_ctx *c, long long contract_id, int *pending, hx_err *err)
{
	return seal_sign_with(c, contract_id, 0, NULL, NULL, pending, err);
}

int hx_contract_seal_sign_confirmed(hx_ctx *c, long long contract_id, const char *code, const hx_intent *checked,
				    int *pending, hx_err *err)
{
	return seal_sign_with(c, contract_id, 1, code, checked, pending, err);
}

int hx_contract_seal_make_confirmed(json_t **out, hx_ctx *c, long long enterprise_id, const char *code, int *refused,
				    hx_err *err)
{
	hx_intent in;
	const char *name;
	int rc;
	*refused = 0;
	if ((rc = hx_registry_enterprise_name(&name, c, enterprise_id, err)) || (rc = own_enterprise(c, enterprise_id, err)))
		return rc;
	if (!c->me || !c->me->user_id)
		return seal_make_with(out, c, enterprise_id, NULL, err);
	if ((rc = hx_contract_intent_check(&in, c, hx_contract_intent_subject(c, "seal", enterprise_id), code, 0, err))) {
		*refused = in.refused;
		return rc;
	}
	return seal_make_with(out, c, enterprise_id, &in, err);
}

/* HR's browser signature: the cheap checks first, then the code, then the
 * prepared signature with the confirmation in the evidence, all in the
 * caller's write transaction. */
int hx_contract_sign_prepare_confirmed(json_t **out, hx_ctx *c, const hx_contract_row *k, const char *serial,
				       const char *code, int *refused, hx_err *err)
{
	hx_intent in;
	cert_row cr;
	int rc;
	*refused = 0;
	if ((rc = own_enterprise(c, k->enterprise_id, err)) || (rc = turn_check(k, "enterprise", err)) ||
	    (rc = cert_for(&cr, c, k, "enterprise", "browser", serial, err)))
		return rc;
	if ((rc = hx_contract_intent_check(&in, c, hx_contract_intent_subject(c, "k", k->id), code, k->id, err))) {
		*refused = in.refused;
		return rc;
	}
	if ((rc = hx_contract_sign_prepare(out, c, k, "enterprise", serial, "browser", err)) ||
	    (rc = hx_contract_intent_record(c, k->id, &in, "browser", err)))
		return rc;
	return 0;
}

/* ---- background: pending timestamps, expiry, reminders, checkpoints ---- */

static int retry_pending(hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	int rc;
	if ((rc = with_tx(c, 0, err)))
		return rc;
	rc = hx_db_query(c->db, c->arena, &r,
			 "SELECT id, contract_id, signature FROM contract_signatures WHERE status = 'pending' ORDER BY id LIMIT 50",
			 NULL, 0, err);
	hx_db_rollback(c->db);
	if (rc)
		return rc;
	for (int i = 0; i < r->nrows; i++) {
		uint8_t *sig = NULL;
		size_t len = 0;
		int pending = 0;
		hx_err e = {0};
		if (hx_b64_decode(&sig, &len, hx_rows_get(r, i, "signature")))
			continue;
		complete_with(c, hx_rows_int(r, i, "contract_id"), hx_rows_int(r, i, "id"), NULL, sig, len, NULL, &pending, &e);
		free(sig);
		if (pending) /* the TSA is still down: try the rest later */
			break;
	}
	return 0;
}

static int expire_and_remind(hx_ctx *c, hx_err *err)
{
	char now[21], soon[21];
	hx_now_iso(now);
	hx_iso_from_unix(soon, hx_now_unix() + 86400);
	hx_rows *r;
	int rc;
	/* a read first: most ticks have nothing to do and take no write lock */
	long long due = 0;
	hx_param t[] = {hx_p_text(now), hx_p_text(soon), hx_p_text(now)};
	if ((rc = with_tx(c, 0, err)))
		return rc;
	rc = hx_db_int(c->db, &due,
		       "SELECT (SELECT COUNT(*) FROM contracts WHERE status IN ('sent', 'signing') AND"
		       " ((pending = 0 AND expires_at < ?) OR (reminded_at IS NULL AND expires_at < ? AND expires_at > ?)))"
		       " + (SELECT COALESCE(MAX(n), 0) FROM evidence_head WHERE id = 1)"
		       " - (SELECT COALESCE(MAX(size), 0) FROM evidence_checkpoints)",
		       t, 3, err);
	hx_db_rollback(c->db);
	if (rc || due <= 0)
		return rc;
	if ((rc = with_tx(c, 1, err)))
		return rc;
	hx_param p[] = {hx_p_text(now)};
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT id FROM contracts WHERE status IN ('sent', 'signing') AND pending = 0 AND expires_at < ?"
			      " LIMIT 100",
			      p, 1, err)))
		goto done;
	for (int i = 0; !rc && i < r->nrows; i++) {
		long long id = hx_rows_int(r, i, "id");
		hx_contract_row k;
		if ((rc = hx_contract_load(&k, c, id, 0, err)))
			break;
		hx_param q[] = {hx_p_text(now), hx_p_int(id)};
		if ((rc = hx_db_exec(c->db, "UPDATE contracts SET status = 'expired', closed_reason = 'expired', updated_at = ? WHERE id = ?",
				     q, 2, NULL, err)) ||
		    (rc = hx_evidence_add(c, id, "expired", "system", json_pack("{s:s}", "expires_at", k.expires_at), err)))
			break;
		rc = hx_notify_enterprise(c, k.enterprise_id,
					  hx_arena_printf(c->arena, "%s的劳动合同已过签署期限未签署", k.worker_name),
					  hx_arena_printf(c->arena, "/contracts/%lld", id), err);
	}
	hx_param s[] = {hx_p_text(soon), hx_p_text(now)};
	if (!rc)
		rc = hx_db_query(c->db, c->arena, &r,
				 "SELECT id FROM contracts WHERE status IN ('sent', 'signing') AND reminded_at IS NULL"
				 " AND expires_at < ? AND expires_at > ? LIMIT 100",
				 s, 2, err);
	for (int i = 0; !rc && i < r->nrows; i++) {
		long long id = hx_rows_int(r, i, "id");
		hx_contract_row k;
		if ((rc = hx_contract_load(&k, c, id, 0, err)))
			break;
		hx_param q[] = {hx_p_text(now), hx_p_int(id)};
		if ((rc = hx_db_exec(c->db, "UPDATE contracts SET reminded_at = ? WHERE id = ?", q, 2, NULL, err)))
			break;
		const char *turn = hx_contract_turn(&k);
		char *tok = NULL;
		if (turn && strcmp(turn, "worker") == 0 && k.worker_phone && hx_contract_link(&tok, c, &k, err) == 0) {
			rc = hx_message_queue(c, k.worker_phone, "电子劳动合同",
					      hx_arena_printf(c->arena,
							      "【和谐劳动】提醒：%s发送的劳动合同将于%.10s到期未签，请打开 %s/s/%s 签署。",
							      k.enterprise_name, k.expires_at, hx_cenv.base_url, tok),
					      err);
			free(tok);
		} else if (turn)
			rc = hx_notify_enterprise(c, k.enterprise_id,
						  hx_arena_printf(c->arena, "提醒：%s的劳动合同将于%.10s到期，待企业签署",
								  k.worker_name, k.expires_at),
						  hx_arena_printf(c->arena, "/contracts/%lld", id), err);
		hx_err_clear(err);
		if (!rc)
			rc = hx_evidence_add(c, id, "reminded", "system", json_pack("{s:s?}", "turn", turn), err);
	}
	if (!rc)
		rc = hx_evidence_checkpoint(c, NULL, err);
done:
	return end_tx(c, rc, err);
}

int hx_contract_run_pending(hx_store *s, const hx_keys *keys, const char *data_dir, hx_err *err)
{
	hx_db *db;
	hx_arena *a = hx_arena_new();
	int rc = hx_db_get(&db, s, err);
	if (rc) {
		hx_arena_free(a);
		return rc;
	}
	hx_ctx c = {.db = db, .arena = a, .keys = keys, .ip = "background", .data_dir = data_dir};
	rc = retry_pending(&c, err);
	if (!rc)
		rc = expire_and_remind(&c, err);
	hx_db_put(db);
	hx_arena_free(a);
	if (!rc)
		rc = hx_contract_batches_run(s, keys, data_dir, err);
	return rc;
}
