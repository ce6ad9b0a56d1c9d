/* The enterprise's intent (意愿确认): before an HR user seals or signs a
 * contract for the enterprise, seals a batch, or makes or renews the
 * enterprise's seal key, a one-time code goes to that user's own phone
 * (users.phone, not a number the roster or the contract holds) and comes
 * back with the request. 附件3 第七、八条 ask that each party's will to sign
 * be confirmed, and 电子签名法 第十三条 that the signing key be under the
 * signer's sole control at the time of signing: a session cookie alone
 * (left open on a shared office computer) does not show that the person
 * meant to bind the enterprise. The code is bound to the user and to the
 * exact contract, batch of contracts or seal key, under its own purpose,
 * so it confirms nothing else; the confirmation goes into each contract's
 * evidence (or the operation log for a seal key).
 *
 * The command line and `hexie init --demo` are the program acting on the
 * operator's instruction, not an HR user: they call the unconfirmed
 * functions and ask no code. */
#include "contract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../registry/registry.h"
#include "../trust/otp.h"

const char *hx_contract_phone_hint(hx_arena *a, const char *phone)
{
	size_t n = phone ? strlen(phone) : 0;
	return n >= 7 ? hx_arena_printf(a, "%.3s****%s", phone, phone + n - 4) : "";
}

/* Only someone of the enterprise itself confirms for it (an officer who
 * may see its contracts cannot). */
static int acting_hr(hx_ctx *c, long long enterprise_id, hx_err *err)
{
	if (!c->me || !c->me->user_id || c->me->scope.kind != HX_SCOPE_ENTERPRISE ||
	    (enterprise_id && c->me->scope.enterprise_id != enterprise_id))
		return hx_err_set(err, HX_EPERM, "not_the_enterprise", "", "只有本企业的人员可以使用企业电子印章");
	return 0;
}

/* The acting user's own phone on record. */
static int my_phone(const char **out, hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(c->me->user_id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT phone FROM users WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	const char *phone = r->nrows == 1 ? hx_rows_get(r, 0, "phone") : NULL;
	if (!phone || !*phone)
		return hx_err_set(err, HX_ECONFLICT, "no_phone", "phone",
				  "请先在账号信息中登记本人手机号码（由系统管理员在用户管理中填写），以接收意愿确认验证码");
	*out = phone;
	return 0;
}

const char *hx_contract_intent_subject(hx_ctx *c, const char *what, long long id)
{
	return hx_arena_printf(c->arena, "u%lld:%s%lld", c->me ? c->me->user_id : 0LL, what, id);
}

/* A batch is named by its set of ids (sorted, without repeats): the code
 * confirms exactly those contracts. Non-integers are left out (they fail
 * in the batch anyway). */
const char *hx_contract_intent_batch_subject(hx_ctx *c, const json_t *ids)
{
	size_t n = json_array_size(ids), m = 0;
	long long *v = hx_arena_alloc(c->arena, sizeof(long long) * (n + 1));
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(ids, i);
		if (json_is_integer(x))
			v[m++] = json_integer_value(x);
	}
	/* insertion sort: at most 1000 ids */
	for (size_t i = 1; i < m; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			long long t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	hx_buf b;
	hx_buf_init(&b, 32 * (n + 1));
	for (size_t i = 0; i < m; i++)
		if (i == 0 || v[i] != v[i - 1])
			hx_buf_printf(&b, "%lld,", v[i]);
	char sha[65];
	hx_sha256_hex(sha, b.data ? b.data : "", b.len);
	hx_buf_free(&b);
	return hx_arena_printf(c->arena, "u%lld:batch:%.32s", c->me ? c->me->user_id : 0LL, sha);
}

static int send_code(json_t **out, hx_ctx *c, const char *subject, const char *text, hx_err *err)
{
	const char *phone;
	int rc;
	if ((rc = my_phone(&phone, c, err)) || (rc = hx_otp_send(c, HX_INTENT_PURPOSE, subject, phone, text, err)))
		return rc;
	*out = json_pack("{s:s,s:i,s:s}", "phone_hint", hx_contract_phone_hint(c->arena, phone), "expires_in", HX_OTP_TTL,
			 "purpose", HX_INTENT_PURPOSE);
	return 0;
}

int hx_contract_intent_request(json_t **out, hx_ctx *c, long long contract_id, const char *method, hx_err *err)
{
	hx_contract_row k;
	int rc;
	if ((rc = hx_contract_load(&k, c, contract_id, 1, err)) || (rc = acting_hr(c, k.enterprise_id, err)))
		return rc;
	/* no code for a signature that cannot be made now */
	if (strcmp(k.status, "sent") != 0 && strcmp(k.status, "signing") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_sendable", "", "合同当前不在待签署状态");
	if (!hx_contract_needs(&k, "enterprise"))
		return hx_err_set(err, HX_ECONFLICT, "already_signed", "", "企业已签署过本合同");
	if (k.pending)
		return hx_err_set(err, HX_ECONFLICT, "signature_pending", "", "另一方的签名正在等待时间戳，请稍后再试");
	const char *turn = hx_contract_turn(&k);
	if (!turn || strcmp(turn, "enterprise") != 0)
		return hx_err_set(err, HX_ECONFLICT, "not_your_turn", "", "请等待劳动者先签署");
	if (method && strcmp(method, "seal") == 0) {
		/* no code for a seal that does not exist yet */
		long long n = 0;
		hx_param q[] = {hx_p_int(k.enterprise_id)};
		if ((rc = hx_db_int(c->db, &n, "SELECT COUNT(*) FROM seal_keys WHERE enterprise_id = ?", q, 1, err)))
			return rc;
		if (!n)
			return hx_err_set(err, HX_ECONFLICT, "no_seal", "", "企业尚未设置电子印章，请先生成印章密钥");
	} else if (method && strcmp(method, "browser") != 0)
		return hx_err_set(err, HX_EINVAL, "invalid_method", "method", "签署方式应为 seal 或 browser");
	char *text = hx_arena_printf(c->arena,
				     "【和谐劳动】意愿确认码%%s，5分钟内有效，请勿告诉他人。您正在以用人单位名义签署劳动合同"
				     "（平台编号%lld），签署即表示本单位同意合同全部内容。",
				     k.id);
	if ((rc = send_code(out, c, hx_contract_intent_subject(c, "k", k.id), text, err)))
		return rc;
	return hx_evidence_add(c, k.id, "code_sent", "system",
			       json_pack("{s:s,s:s,s:O}", "purpose", HX_INTENT_PURPOSE, "to", "enterprise", "phone",
					 json_object_get(*out, "phone_hint")),
			       err);
}

int hx_contract_intent_request_batch(json_t **out, hx_ctx *c, const json_t *ids, hx_err *err)
{
	int rc;
	if ((rc = acting_hr(c, 0, err)))
		return rc;
	size_t n = json_array_size(ids);
	char *text = hx_arena_printf(c->arena,
				     "【和谐劳动】意愿确认码%%s，5分钟内有效，请勿告诉他人。您正在以用人单位电子印章批量签署%zu份"
				     "劳动合同，签署即表示本单位同意各合同全部内容。",
				     n);
	if ((rc = send_code(out, c, hx_contract_intent_batch_subject(c, ids), text, err)))
		return rc;
	json_object_set_new(*out, "count", json_integer((json_int_t)n));
	return 0;
}

int hx_contract_intent_request_seal_key(json_t **out, hx_ctx *c, long long enterprise_id, hx_err *err)
{
	const char *name;
	int rc;
	if ((rc = hx_registry_enterprise_name(&name, c, enterprise_id, err)) || (rc = acting_hr(c, enterprise_id, err)))
		return rc;
	return send_code(out, c, hx_contract_intent_subject(c, "seal", enterprise_id),
			 "【和谐劳动】意愿确认码%s，5分钟内有效，请勿告诉他人。您正在为本单位生成新的电子印章密钥（原印章证书将被吊销）。",
			 err);
}

int hx_contract_intent_check(hx_intent *out, hx_ctx *c, const char *subject, const char *code, long long contract_id,
			     hx_err *err)
{
	const char *phone;
	int rc;
	memset(out, 0, sizeof *out);
	if (!c->me || !c->me->user_id)
		return hx_err_set(err, HX_EPERM, "not_the_enterprise", "", "只有本企业的人员可以使用企业电子印章");
	if ((rc = my_phone(&phone, c, err)))
		return rc;
	if (!code || !*code)
		return hx_err_set(err, HX_EINVAL, "required", "code",
				  "请先获取意愿确认验证码（发送到本人手机），并填写验证码（code）");
	rc = hx_otp_verify(c, HX_INTENT_PURPOSE, subject, code, err);
	if (rc) {
		/* a wrong try counts (otp.h): the caller commits; a code that was
		 * never sent is a wrong code of this request, not a missing object */
		if (rc == HX_ENOTFOUND)
			rc = hx_err_set(err, HX_EINVAL, "no_code", "code", "请先获取意愿确认验证码");
		snprintf(err->field, sizeof err->field, "code");
		out->refused = rc == HX_EINVAL || rc == HX_EPERM;
		if (out->refused && contract_id) {
			hx_err e2 = {0};
			hx_evidence_add(c, contract_id, "code_refused", hx_contract_actor(c),
					json_pack("{s:s,s:s}", "purpose", HX_INTENT_PURPOSE, "reason", err->key), &e2);
		}
		return rc;
	}
	out->by = hx_arena_printf(c->arena, "user:%lld", c->me->user_id);
	out->phone_hint = hx_contract_phone_hint(c->arena, phone);
	return 0;
}

int hx_contract_intent_record(hx_ctx *c, long long contract_id, const hx_intent *in, const char *method, hx_err *err)
{
	return hx_evidence_add(c, contract_id, "intent_confirmed", hx_contract_actor(c),
			       json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "party", "enterprise", "by", in->by, "purpose",
					 HX_INTENT_PURPOSE, "phone", in->phone_hint, "method", method, "batch", in->batch),
			       err);
}

json_t *hx_contract_intent_audit(const hx_intent *in)
{
	return json_pack("{s:[n,s],s:[n,s],s:[n,s]}", "intent_confirmed", in->by, "intent_purpose", HX_INTENT_PURPOSE,
			 "intent_phone", in->phone_hint);
}
