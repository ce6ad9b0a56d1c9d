/* Electronic labor contracts (电子劳动合同). This first part is the legal
 * check (lint) of contract terms against the Labor Contract Law, run on
 * every draft before it can be sent and available as `hexie contract
 * lint`; templates, signing and the evidence chain build on it. */
#ifndef HX_CONTRACT_H
#define HX_CONTRACT_H

#include <jansson.h>

#include "../core/err.h"

/* Minimum wages (data/wages/zhejiang.json): loaded once. */
typedef struct hx_wages hx_wages;
int hx_wages_load(hx_wages **out, const char *path, hx_err *err);
void hx_wages_free(hx_wages *w);
/* The standard in force on date for an area code (tier by longest prefix):
 * monthly and hourly, in yuan. HX_ENOTFOUND before the first standard. */
int hx_wages_minimum(double *monthly, double *hourly, int *tier, const hx_wages *w, const char *area_code,
		     const char *date, hx_err *err);

/* The standard of a given tier (an administrator's choice for an area). */
int hx_wages_minimum_tier(double *monthly, double *hourly, const hx_wages *w, int tier, const char *date);
/* The standards as [{"effective","monthly":[3],"hourly":[3]}]. */
int hx_wages_standards(json_t **out, const hx_wages *w);

/* Checks contract terms (the shape of docs/api.md "Contract lint"). *out
 * gets {"errors":[…],"warnings":[…]}, each {"code","field","message"}.
 * today is the date the check is made for (late signing, ages); NULL for
 * today. HX_EBADREQ when the input is unusable (not an object, wrong
 * types), with the field named. */
int hx_contract_lint(json_t **out, const json_t *terms, const hx_wages *w, const char *today, hx_err *err);

/* Module start and the HTTP routes. hx_contract_trust_open makes (when
 * missing) and loads the platform CA, the TSA and the evidence log key
 * under keys_dir; base_url is where links in messages point. The
 * external TSA is the environment's HEXIE_TSA_URL when set. */
int hx_contract_init(const char *data_dir, hx_err *err);
int hx_contract_trust_open(const char *keys_dir, const char *base_url, hx_err *err);
void hx_contract_shutdown(void);
/* 1 when links in messages would open only on this machine (127.0.0.1,
 * localhost): no public address (HEXIE_PUBLIC_URL) was configured. */
int hx_contract_link_is_local(void);
struct hx_server;
void hx_contract_http_register(struct hx_server *s);
void hx_contract_signer_http_register(struct hx_server *s);

/* Makes the trust keys for `hexie init` (CA root and issuing, TSA, log). */
int hx_contract_keys_make(const char *keys_dir, hx_err *err);

/* Background work of the server: timestamps that waited for the TSA,
 * expiry and reminders, checkpoints of the evidence log, drafting
 * batches. */
struct hx_store;
struct hx_keys;
int hx_contract_run_pending(struct hx_store *s, const struct hx_keys *keys, const char *data_dir, hx_err *err);

/* The written-contract rate of an enterprise (书面劳动合同签订率), counted as
 * the law counts it: the workers due a contract from this employer are the
 * active ones (on the roster, not left, not deleted) except dispatched
 * workers, whose employer is the dispatch agency (劳动合同法 第五十八条);
 * of those, electronic = a signed, current labor contract on the platform,
 * paper = a paper contract recorded on the roster and not ended (and no
 * current electronic one), unsigned = the rest. rate = (electronic +
 * paper) / due, 0 when nobody is due. known: the figure means something —
 * the enterprise has sent a contract on the platform or recorded a paper
 * one, and someone is due (otherwise the applicant or the inspector gives
 * it). Runs in the caller's transaction. */
struct hx_ctx;
typedef struct hx_contract_rate_parts {
	long long active, dispatched, due, electronic, paper, unsigned_;
	double rate;
	int known;
} hx_contract_rate_parts;
int hx_contract_rate_parts_get(hx_contract_rate_parts *out, struct hx_ctx *c, long long enterprise_id, hx_err *err);
/* The rate with its parts in words, for notes (checkup C01, rubrics):
 * "应签订书面劳动合同10人（劳务派遣1人由派遣单位签订）：电子2人、纸质5人、未签2人，签订率77.8%". */
void hx_contract_rate_note(char *buf, size_t n, const hx_contract_rate_parts *p);

/* The same figures through the older interface: *active is the number due,
 * *signed_ electronic + paper. */
int hx_contract_signing_rate(double *rate, long long *active, long long *signed_, struct hx_ctx *c,
			     long long enterprise_id, hx_err *err);
int hx_contract_rate_known(int *known, double *rate, long long *active, long long *signed_, struct hx_ctx *c,
			   long long enterprise_id, hx_err *err);

/* Retention (劳动合同法 第五十条第三款: the texts of ended contracts are
 * kept at least two years; 个人信息保护法 第十九条: no longer than needed).
 * A contract ends on its termination, at its term's end, or (never
 * signed) when withdrawn, rejected or expired; an amendment or a
 * termination certificate ends with the contract it belongs to. *out gets
 * {"before","items":[{contract_id,enterprise_name,worker_name,kind,status,
 * ended_on,retain_until}]} of the contracts that ended before `before`
 * (YYYY-MM-DD; NULL: two years before today) and are not purged yet.
 * HX_EINVAL when before is later than two years ago (field "before"). */
int hx_contract_retention_list(json_t **out, struct hx_ctx *c, const char *before, hx_err *err);
/* Purges what the list shows (write transaction): the documents, the
 * sealed terms, the signatures and the link; the row stays, marked
 * purged_at, and so do the evidence log's leaves (their hashes are in
 * signed checkpoints). Each purge is written to the operation log. *out
 * gets the list that was purged. */
int hx_contract_retention_purge(json_t **out, struct hx_ctx *c, const char *before, hx_err *err);

/* Demo contracts (示例) of the first demo enterprise, for `hexie init
 * --demo`, when the store has none; the trust must be open. *made gets how
 * many. */
int hx_contract_demo_load(struct hx_store *s, const struct hx_keys *keys, int *made, hx_err *err);

/* `hexie verify`: checks an evidence package offline. */
int hx_contract_verify_package(json_t **report, const void *zip, size_t len, const char *ca_path,
			       const char *log_key_path, hx_err *err);

/* ---- templates (合同范本) -------------------------------------------------
 *
 * Contract templates are data (data/templates/<id>.v<version>.json, format
 * in docs/template-format.md): a title and sections of paragraphs with
 * {{field.path}} placeholders naming fields of the terms, plus computed
 * ones ({{term.text}}, {{hours.text}} …). Rendering fills them in; a field
 * that is missing renders as a blank line "＿＿＿＿", and
 * hx_contract_render_missing names every such field, so that a document
 * with one is never sent (a signed PDF cannot be completed by hand). */

typedef struct hx_template {
	char id[33];    /* "full_time": [a-z0-9_], at most 32 */
	int version;    /* 1… */
	char *title;    /* "全日制劳动合同书" */
	json_t *sections; /* validated [{"heading","paragraphs":[…],"slot"?}] */
} hx_template;

typedef struct hx_template_set {
	hx_template *items; /* sorted by id, then version */
	size_t n;
} hx_template_set;

/* Loads every *.json of dir. A file that is not a valid template (bad
 * JSON, an unknown key, a name other than <id>.v<version>.json, a "{{"
 * without "}}" or a placeholder that is not a dotted field path) is
 * refused: HX_EINVAL with the file and the reason in the message. */
int hx_template_load_dir(hx_template_set **out, const char *dir, hx_err *err);
void hx_template_set_free(hx_template_set *s);
/* The highest version of template id; HX_ENOTFOUND when there is none. */
int hx_template_find(const hx_template **out, const hx_template_set *s, const char *id, hx_err *err);

/* Fills the template with terms: *out gets [{"heading","paragraphs":[…]}],
 * headings numbered 一、二、… in order (a section with an empty heading is
 * printed without one), and the terms' "extra_clauses" (an array of
 * strings) in the section 其他约定 when present. HX_EBADREQ when terms is
 * not an object or extra_clauses is not an array of strings; HX_EINVAL
 * over the limits (100 clauses of 4000 bytes); HX_ETOOBIG when a
 * paragraph grows past HX_PDF_TEXT_MAX. */
int hx_contract_render_text(json_t **out, const hx_template *t, const json_t *terms, hx_err *err);
/* The same as an A4 PDF (*out malloc'd, free()): the title, the parties
 * (甲方、乙方), the sections, and the signature block (甲方（盖章） with
 * 法定代表人, 乙方（签字）: boxes where the signatures' appearances go,
 * the last clause kept on their page). */
int hx_contract_render_pdf(char **out, size_t *len, const hx_template *t, const json_t *terms, hx_err *err);
/* The same with the contract's number (合同编号, printed in every page's
 * footer; NULL for a preview) and, when boxes is not NULL, where the
 * signature boxes are: {"enterprise"|"worker": {"page": 0-based,
 * "rect": [x0, y0, x1, y1] in PDF points}}, for the appearances. */
int hx_contract_render_pdf_numbered(char **out, size_t *len, json_t **boxes, const hx_template *t, const json_t *terms,
				    const char *number, hx_err *err);
/* The fields a rendering of t with terms would print blank, in the order
 * the document prints them: *out gets ["reason", "worker.address", …]
 * (paths into the terms; a computed placeholder names the field it lacks:
 * {{service.text}} without a hire date names "hire_date"). */
int hx_contract_render_missing(json_t **out, const hx_template *t, const json_t *terms, hx_err *err);
/* The Chinese name of a field a document prints ("pay.monthly" → 月工资), or
 * NULL; and whether an amendment may change it (第三十五条). */
const char *hx_contract_field_label(const char *path);
int hx_contract_field_changeable(const char *path);

#endif
