/* Certificates of electronic contract signers (电子签名证书): issuing one
 * for a signer's own key (the browser's non-extractable WebCrypto key, or
 * the enterprise's seal key kept sealed on the server) against a proof of
 * possession, revoking one — who may, whom to tell, which contracts'
 * evidence records it — and the CRL that lists the revoked. */
#include "contract_impl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../audit/audit.h"
#include "../core/timeutil.h"
#include "../notify/notify.h"
#include "../registry/registry.h"
#include "../trust/channels.h"

int hx_contract_b64_arg(uint8_t **out, size_t *len, const char *b64, const char *field, size_t max, hx_err *err)
{
	if (!b64 || !*b64 || strlen(b64) > max * 2)
		return hx_err_set(err, HX_EINVAL, "required", field, "缺少或过长的 %s", field);
	if (hx_b64_decode(out, len, b64) || *len == 0)
		return hx_err_set(err, HX_EINVAL, "bad_base64", field, "%s 不是有效的 base64", field);
	return 0;
}

int hx_contract_cert_issue(json_t **out, hx_ctx *c, const char *holder_kind, const char *holder,
			   long long enterprise_id, const char *cn, const char *org, const char *spki_b64,
			   const char *proof_b64, hx_err *err)
{
	uint8_t *spki = NULL, *proof = NULL, *cert = NULL;
	size_t spki_len = 0, proof_len = 0, cert_len = 0;
	char serial[33], nb[21], na[21], now[21];
	char *cert_b64 = NULL;
	int rc;
	if (!hx_cenv.ca)
		return hx_err_set(err, HX_EINTERNAL, "no_ca", "", "证书服务未启动");
	if ((rc = hx_contract_b64_arg(&spki, &spki_len, spki_b64, "spki", 1024, err)))
		goto done;
	if (proof_b64) {
		/* proof of possession: the key signed "hexie-enrol:" + the spki */
		if ((rc = hx_contract_b64_arg(&proof, &proof_len, proof_b64, "proof", 256, err)))
			goto done;
		char *msg = hx_arena_printf(c->arena, "hexie-enrol:%s", spki_b64);
		if (hx_ec_verify(spki, spki_len, (const unsigned char *)msg, strlen(msg), proof, proof_len, err)) {
			rc = hx_err_set(err, HX_EINVAL, err->key[0] ? err->key : "bad_proof", "proof",
					"密钥持有证明无效（proof 应为该密钥对“hexie-enrol:”+spki 的签名）");
			goto done;
		}
	}
	long long t = hx_now_unix();
	long long until = t + (long long)HX_SIGNER_CERT_DAYS * 86400;
	if ((rc = hx_ca_issue(&cert, &cert_len, serial, hx_cenv.ca, spki, spki_len, cn, org,
			      hx_arena_printf(c->arena, "%s-%.16s", holder_kind, holder), t - 60, until, err)))
		goto done;
	hx_iso_from_unix(nb, t - 60);
	hx_iso_from_unix(na, until);
	hx_now_iso(now);
	cert_b64 = hx_b64_encode(cert, cert_len);
	/* a new key replaces the holder's earlier ones (re-enrolment) */
	if (strcmp(holder_kind, "seal") != 0) {
		hx_param r[] = {hx_p_text(now), hx_p_text(holder_kind), hx_p_text(holder)};
		if ((rc = hx_db_exec(c->db,
				     "UPDATE certificates SET revoked_at = ?, revoke_reason = 'superseded'"
				     " WHERE holder_kind = ? AND holder = ? AND revoked_at IS NULL",
				     r, 3, NULL, err)))
			goto done;
	}
	hx_param p[] = {hx_p_text(serial), hx_p_text(holder_kind), hx_p_text(holder),
			enterprise_id ? hx_p_int(enterprise_id) : hx_p_null(), hx_p_text(cn), hx_p_text(cert_b64),
			hx_p_text(nb), hx_p_text(na), hx_p_text(now)};
	if ((rc = hx_db_exec(c->db,
			     "INSERT INTO certificates (serial, holder_kind, holder, enterprise_id, cn, cert, not_before,"
			     " not_after, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			     p, 9, NULL, err)))
		goto done;
	*out = json_pack("{s:s,s:s,s:s,s:s}", "serial", serial, "certificate", cert_b64, "not_after", na, "cn", cn);
done:
	free(spki);
	free(proof);
	free(cert);
	free(cert_b64);
	return rc;
}

int hx_contract_cert_revoke(hx_ctx *c, const char *serial, const char *reason, hx_err *err)
{
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(now), hx_p_text(reason), hx_p_text(serial)};
	long long n = 0;
	int rc = hx_db_exec(c->db,
			    "UPDATE certificates SET revoked_at = ?, revoke_reason = ? WHERE serial = ? AND revoked_at IS NULL",
			    p, 3, &n, err);
	if (!rc && n != 1)
		rc = hx_err_set(err, HX_ENOTFOUND, "not_found", "serial", "证书不存在或已吊销");
	return rc;
}

/* ---- revocation: who may, and who is told ---- */

/* Whether the caller may revoke this certificate: 0, or HX_EPERM when it
 * is in their scope (an officer over the enterprise, a colleague), else
 * HX_ENOTFOUND (another enterprise's or person's: not said to exist). */
static int revoke_allowed(hx_ctx *c, const char *kind, const char *holder, long long eid, const char *worker_holder,
			  hx_err *err)
{
	const hx_principal *me = c->me;
	int visible = 0, rc;
	hx_err e = {0};
	if (worker_holder) /* a worker through their confirmed signer session: their own only */
		return strcmp(kind, "worker") == 0 && strcmp(holder, worker_holder) == 0
			       ? 0
			       : hx_err_set(err, HX_ENOTFOUND, "not_found", "serial", "证书不存在");
	if (!me || !me->user_id)
		return 0; /* the command line */
	/* county administrators (附件3: the platform's operator answers for the CA) */
	if (me->role && strcmp(me->role, "admin") == 0)
		return 0;
	if (strcmp(kind, "user") == 0 && strtoll(holder, NULL, 10) == me->user_id)
		return 0;
	if (strcmp(kind, "seal") == 0 && me->scope.kind == HX_SCOPE_ENTERPRISE && me->scope.enterprise_id == eid &&
	    hx_can(me, HX_PERM_CONTRACT_DRAFT))
		return 0;
	if (strcmp(kind, "worker") == 0) {
		hx_rows *r;
		hx_param p[] = {hx_p_text(holder)};
		if ((rc = hx_db_query(c->db, c->arena, &r,
				      "SELECT DISTINCT w.id AS worker_id, w.enterprise_id AS enterprise_id FROM workers w"
				      " WHERE w.id_hash = ?",
				      p, 1, err)))
			return rc;
		for (int i = 0; !visible && i < r->nrows; i++) {
			if (me->scope.kind == HX_SCOPE_SELF) {
				/* a worker's own account: the same person holds it */
				if (hx_rows_int(r, i, "worker_id") == me->scope.worker_id)
					return 0;
			} else
				visible = hx_registry_enterprise_visible(c, hx_rows_int(r, i, "enterprise_id"), &e) == 0;
		}
	} else if (me->scope.kind != HX_SCOPE_SELF)
		visible = eid && hx_registry_enterprise_visible(c, eid, &e) == 0;
	if (!visible)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "serial", "证书不存在");
	return hx_err_set(err, HX_EPERM, "not_holder", "",
			  "只有证书持有人、本企业人员（企业电子印章）或系统管理员可以吊销此证书");
}

/* The contracts whose evidence records the revocation: those signed with
 * the certificate, else the holder's latest one (none: the log only). */
static int revoke_targets(hx_rows **out, hx_ctx *c, const char *serial, const char *kind, const char *holder,
			  long long eid, int *signed_with, hx_err *err)
{
	hx_param p[] = {hx_p_text(serial)};
	int rc = hx_db_query(c->db, c->arena, out,
			     "SELECT DISTINCT contract_id AS id FROM contract_signatures WHERE cert_serial = ?"
			     " AND status IN ('done', 'pending') ORDER BY contract_id",
			     p, 1, err);
	*signed_with = !rc && (*out)->nrows > 0;
	if (rc || *signed_with)
		return rc;
	if (strcmp(kind, "worker") == 0) {
		hx_param q[] = {hx_p_text(holder)};
		return hx_db_query(c->db, c->arena, out,
				   "SELECT k.id AS id FROM contracts k JOIN workers w ON w.id = k.worker_id WHERE w.id_hash = ?"
				   " ORDER BY k.id DESC LIMIT 1",
				   q, 1, err);
	}
	hx_param q[] = {hx_p_int(eid), hx_p_int(strcmp(kind, "user") == 0 ? strtoll(holder, NULL, 10) : 0)};
	return hx_db_query(c->db, c->arena, out,
			   "SELECT id FROM contracts WHERE enterprise_id = ?"
			   " ORDER BY CASE WHEN created_by = ? THEN 1 ELSE 0 END DESC, id DESC LIMIT 1",
			   q, 2, err);
}

int hx_contract_cert_revoke_by(hx_ctx *c, const char *serial, const char *reason, const char *worker_holder,
			       hx_err *err)
{
	hx_rows *r, *t;
	hx_contract_row k = {0};
	int rc, signed_with = 0;
	if (!reason || !*reason)
		return hx_err_set(err, HX_EINVAL, "required", "reason", "请填写吊销原因（reason）");
	if (!serial || !*serial || strlen(serial) > 64)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "serial", "证书不存在");
	hx_param p[] = {hx_p_text(serial)};
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT holder_kind, holder, enterprise_id, cn, revoked_at FROM certificates WHERE serial = ?", p,
			      1, err)))
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "serial", "证书不存在");
	const char *kind = hx_rows_get(r, 0, "holder_kind"), *holder = hx_rows_get(r, 0, "holder"),
		   *cn = hx_rows_get(r, 0, "cn");
	long long eid = hx_rows_int(r, 0, "enterprise_id");
	if ((rc = revoke_allowed(c, kind, holder, eid, worker_holder, err)))
		return rc;
	if (hx_rows_get(r, 0, "revoked_at"))
		return hx_err_set(err, HX_ECONFLICT, "already_revoked", "serial", "证书已吊销");
	if ((rc = hx_contract_cert_revoke(c, serial, reason, err)) ||
	    (rc = revoke_targets(&t, c, serial, kind, holder, eid, &signed_with, err)))
		return rc;
	if (t->nrows && (rc = hx_contract_load(&k, c, hx_rows_int(t, 0, "id"), 0, err)))
		return rc;
	const char *actor = worker_holder ? hx_arena_printf(c->arena, "worker:%lld", k.worker_id) : hx_contract_actor(c);
	const char *what = strcmp(kind, "seal") == 0 ? "企业电子印章证书" : strcmp(kind, "user") == 0 ? "企业人员签名证书" : "劳动者签名证书";
	/* the operation log: who, which certificate, why */
	json_t *log = json_pack("{s:[n,s],s:[n,s],s:[n,s],s:[n,s]}", "serial", serial, "holder_kind", kind, "holder_name", cn,
				"reason", reason);
	rc = worker_holder ? hx_audit_write_as(c, 0, hx_arena_printf(c->arena, "劳动者本人（%s）", k.worker_name ? k.worker_name : cn),
					       "contract.cert_revoke", "certificate", 0, serial, log, err)
			   : hx_audit_write(c, "contract.cert_revoke", "certificate", 0, serial, log, err);
	json_decref(log);
	if (rc)
		return rc;
	/* the evidence of what was signed with it */
	for (int i = 0; i < t->nrows; i++)
		if ((rc = hx_evidence_add(c, hx_rows_int(t, i, "id"), "cert_revoked", actor,
					  json_pack("{s:s,s:s,s:s,s:s,s:b}", "serial", serial, "holder_kind", kind, "cn", cn,
						    "reason", reason, "signed_with", signed_with),
					  err)))
			return rc;
	/* the holder is told */
	char *text;
	if (strcmp(kind, "worker") == 0) {
		if (!k.id || !k.worker_phone || !*k.worker_phone)
			return 0;
		text = hx_arena_printf(c->arena,
				       "【和谐劳动】您用于签署劳动合同的数字证书（序列号%s）已被吊销，原因：%s。如非本人操作，请联系用人单位或劳动保障部门。",
				       serial, reason);
		return hx_message_queue(c, k.worker_phone, "数字证书已吊销", text, err);
	}
	if (!eid)
		return 0;
	text = hx_arena_printf(c->arena, "%s（%s，序列号%s）已被吊销，原因：%s", what, cn, serial, reason);
	return hx_notify_enterprise(c, eid, text, k.id ? hx_arena_printf(c->arena, "/contracts/%lld", k.id) : "/contracts", err);
}

int hx_contract_crl(unsigned char **der, size_t *len, hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT serial, revoked_at FROM certificates WHERE revoked_at IS NOT NULL ORDER BY serial", NULL,
			     0, err);
	if (rc)
		return rc;
	const char **serials = hx_arena_alloc(c->arena, sizeof(char *) * (size_t)(r->nrows + 1));
	long long *at = hx_arena_alloc(c->arena, sizeof(long long) * (size_t)(r->nrows + 1));
	for (int i = 0; i < r->nrows; i++) {
		serials[i] = hx_rows_get(r, i, "serial");
		struct tm tm = {0};
		strptime(hx_rows_get(r, i, "revoked_at"), "%Y-%m-%dT%H:%M:%SZ", &tm);
		at[i] = (long long)timegm(&tm);
	}
	return hx_ca_crl(der, len, hx_cenv.ca, serials, at, (size_t)r->nrows, hx_now_unix(), err);
}
