/* Real-name verification (实名核验), part of the trust service: before a
 * worker's identity step is accepted, an external provider confirms that
 * the name and ID number belong together and that the phone the contract
 * was sent to is registered to that person (运营商三要素, the check Chinese
 * platforms use). Without a provider the platform can only compare the
 * name and ID number with the employer's roster and send a code to the
 * roster's phone — data the employer typed — so a deployment should
 * configure one (docs/operations.md, "实名核验 / Identity verification").
 *
 * Configuration, read once at start-up from the environment:
 *   HEXIE_IDV_URL         http:// or https:// endpoint; POST
 *                         {"name","id_number","phone"} (JSON, UTF-8)
 *   HEXIE_IDV_TOKEN       optional; sent as "Authorization: Bearer …"
 *   HEXIE_IDV_TIMEOUT_MS  optional, 500..30000 (default 5000)
 * The answer must be status 200 with a JSON object {"match": true|false,
 * "provider": "name of the provider" (1..64 bytes), "ref": "the provider's
 * reference" (optional, up to 64 printable ASCII bytes)}. Anything else —
 * no answer within the timeout, another status, a body that is not such
 * an object — is HX_ECONFLICT "idv_unavailable": the identity step fails,
 * nothing is skipped. The ID number is never logged and never copied into
 * an error message or the result. */
#ifndef HX_IDV_H
#define HX_IDV_H

#include "../core/err.h"

#define HX_IDV_TIMEOUT_MS 5000
#define HX_IDV_ANSWER_MAX 16384 /* bytes of the provider's answer */

typedef struct hx_idv_result {
	int match;         /* 1: name, ID number and the phone's owner agree */
	char provider[65]; /* as the provider names itself */
	char ref[65];      /* its reference for this check ("" when none) */
} hx_idv_result;

/* Reads HEXIE_IDV_URL, HEXIE_IDV_TOKEN and HEXIE_IDV_TIMEOUT_MS (unset:
 * no provider). HX_EINVAL "idv_config" naming the variable at fault. */
int hx_idv_configure_from_env(hx_err *err);

/* Whether a provider is configured. */
int hx_idv_configured(void);

/* How identities are verified, in plain Chinese for pages and evidence:
 * "运营商三要素实名核验（姓名、身份证号码、手机号码）＋短信验证码" with a
 * provider, "用人单位登记信息＋短信验证码" without. */
const char *hx_idv_method_text(void);
/* The same as a machine key: "carrier_3factor+sms" or "employer_record+sms". */
const char *hx_idv_method_key(void);

/* Asks the provider (no transaction may be open: this waits on the
 * network). 0 with *out filled when the provider answered, match or not;
 * HX_ECONFLICT "idv_unavailable" otherwise; HX_EINVAL "idv_not_configured"
 * without a provider. */
int hx_idv_check(hx_idv_result *out, const char *name, const char *id_number, const char *phone, hx_err *err);

#endif
