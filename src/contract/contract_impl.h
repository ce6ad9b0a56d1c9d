/* What the files of the contract module share and nothing outside uses:
 * the trust material the server opened (CA, TSA, log key), the loaded
 * data, the evidence log, documents and the row of a contract. */
#ifndef HX_CONTRACT_IMPL_H
#define HX_CONTRACT_IMPL_H

#include <jansson.h>
#include <openssl/evp.h>

#include "../account/account.h"
#include "../core/arena.h"
#include "../core/crypto.h"
#include "../core/ctx.h"
#include "../core/err.h"
#include "../store/store.h"
#include "../trust/ca.h"
#include "../trust/pades.h"
#include "../trust/trust.h"
#include "contract.h"

/* The origin line of the evidence log's checkpoints. */
#define HX_EVIDENCE_ORIGIN "hexie/evidence/v1"
/* A signer's session (after the identity check) lasts this long. */
#define HX_SIGNER_TTL 1800
/* A signer certificate is valid this long (days). */
#define HX_SIGNER_CERT_DAYS 730

typedef struct hx_contract_env {
	const hx_wages *wages;
	const hx_template_set *templates;
	hx_ca *ca;
	hx_tsa *tsa;
	EVP_PKEY *log_key;
	const char *tsa_url; /* external TSA, NULL for the built-in one */
	const char *keys_dir;
	const char *base_url; /* for links in messages: "http://127.0.0.1:8080" */
} hx_contract_env;

/* The module's loaded state; trust members are NULL until
 * hx_contract_trust_open (the server opens them, the CLI lint does not). */
extern hx_contract_env hx_cenv;

/* Fault injection for the crash tests: 1 when the environment variable
 * HEXIE_FAULT names this point; the caller then _exit()s. */
int hx_contract_fault(const char *point);

/* ---- the contract row ---- */
typedef struct hx_contract_row {
	long long id, enterprise_id, worker_id, parent_id;
	const char *kind, *template_id, *event, *status, *sign_order;
	int pending, doc_version, expires_days, lint_errors;
	const char *worker_signed_at, *enterprise_signed_at, *sent_at, *completed_at, *expires_at;
	const char *doc_sha256, *link_enc, *effective_date, *term_end;
	json_t *terms; /* opened; freed with the arena */
	/* from the roster */
	const char *worker_name, *worker_id_hash, *worker_phone, *enterprise_name;
	/* 合同编号 (NULL until sent) and the signature boxes of the frozen PDF
	 * (JSON, see hx_contract_render_pdf_numbered; NULL before) */
	const char *number, *sign_boxes;
} hx_contract_row;

/* Loads a contract within the caller's scope (c->me; NULL = no scope, for
 * the signer's link and background jobs). HX_ENOTFOUND outside. */
int hx_contract_load(hx_contract_row *out, hx_ctx *c, long long id, int scoped, hx_err *err);
/* Whether the party still has to sign, and whose turn it is. */
int hx_contract_needs(const hx_contract_row *k, const char *party);
/* "worker", "enterprise" or NULL when nobody can sign now. */
const char *hx_contract_turn(const hx_contract_row *k);
/* Whether a contract in this status waits for a signature (sent, signing). */
int hx_contract_is_open(const char *status);

/* The columns of a contract row with the roster's names beside them, for
 * hx_contract_row_fill (row.c) and the list (hx_contract_list_item). */
#define HX_CONTRACT_K_COLS                                                                                         \
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

/* Fills k from row 0 of r (HX_CONTRACT_K_COLS); the terms opened. */
int hx_contract_row_fill(hx_contract_row *k, hx_ctx *c, hx_rows *r, hx_err *err);
/* 0 when the caller (c->me; NULL = no scope) may see a contract of this
 * enterprise and worker, else HX_ENOTFOUND (not_found). */
int hx_contract_in_scope(hx_ctx *c, long long enterprise_id, long long worker_id, hx_err *err);

/* Documents: version 1 is the frozen text; each signature adds one, stored
 * as the bytes its incremental update appended to the version before
 * (row.c). The whole PDF of any version is returned malloc'd, its
 * SHA-256 checked against the stored one. */
int hx_contract_doc_get(unsigned char **pdf, size_t *len, char sha[65], hx_ctx *c, long long id, int version,
			hx_err *err);
/* The same, and *state (when state is not NULL; EVP_MD_CTX_free) gets the
 * SHA-256 state over the revision's bytes before the final step, for a
 * signature appended to it to go on from. */
int hx_contract_doc_get_hashed(unsigned char **pdf, size_t *len, char sha[65], EVP_MD_CTX **state, hx_ctx *c,
			       long long id, int version, hx_err *err);
/* A whole copy (version 1). */
int hx_contract_doc_put(hx_ctx *c, long long id, int version, const unsigned char *pdf, size_t len,
			char sha_out[65], hx_err *err);
/* The same in two steps: sealing (no store access) and the insert. The
 * delta form seals only pdf[base_len..len), the bytes appended to the
 * version before (whose length is base_len); sha is of the whole pdf.
 * Insert with delta = 1 for what hx_contract_doc_seal_delta sealed; size
 * is the whole revision's. */
int hx_contract_doc_seal(char **sealed, char sha[65], hx_ctx *c, const unsigned char *pdf, size_t len, hx_err *err);
int hx_contract_doc_seal_delta(char **sealed, char sha[65], hx_ctx *c, const unsigned char *pdf, size_t len,
			       size_t base_len, hx_err *err);
/* The same, the SHA-256 going on from base_state (over pdf[0, base_len),
 * NULL: hashed whole). */
int hx_contract_doc_seal_delta_from(char **sealed, char sha[65], hx_ctx *c, const unsigned char *pdf, size_t len,
				    size_t base_len, const EVP_MD_CTX *base_state, hx_err *err);
int hx_contract_doc_insert(hx_ctx *c, long long id, int version, const char *sha, size_t size, int delta,
			   const char *sealed, hx_err *err);

/* ---- evidence (evidence.c) ---- */
/* Appends one event (kind, actor, detail: stolen) in the caller's write
 * transaction. */
int hx_evidence_add(hx_ctx *c, long long contract_id, const char *kind, const char *actor, json_t *detail,
		    hx_err *err);
/* Events of a contract for the detail page. */
int hx_evidence_list(json_t **out, hx_ctx *c, long long contract_id, hx_err *err);
/* Signs a checkpoint over the whole log when it grew (write transaction).
 * *size gets the size checkpointed (or the latest one's). */
int hx_evidence_checkpoint(hx_ctx *c, long long *size, hx_err *err);
/* The evidence package (zip, malloc'd) of a contract. */
int hx_evidence_package(char **out, size_t *len, hx_ctx *c, long long contract_id, hx_err *err);
/* Verifies a package offline; *report gets the findings. 0 when it holds,
 * HX_EINVAL when something does not hold, other errors when unusable. */
int hx_evidence_verify_package(json_t **report, const void *zip, size_t len, const char *ca_path,
			       const char *log_key_path, hx_err *err);
/* The log key (var/keys/log.key, ECDSA P-256), made when missing. */
int hx_evidence_log_key(EVP_PKEY **out, const char *dir, int create, hx_err *err);

/* ---- actor strings for evidence ---- */
const char *hx_contract_actor(hx_ctx *c);

/* ---- signing (signing.c) ---- */
/* Certificates. holder_kind "worker" (holder = ID lookup hash), "user"
 * (holder = user id), "seal" (holder = enterprise id). */
int hx_contract_cert_issue(json_t **out, hx_ctx *c, const char *holder_kind, const char *holder,
			   long long enterprise_id, const char *cn, const char *org, const char *spki_b64,
			   const char *proof_b64, hx_err *err);
int hx_contract_cert_revoke(hx_ctx *c, const char *serial, const char *reason, hx_err *err);
int hx_contract_crl(unsigned char **der, size_t *len, hx_ctx *c, hx_err *err);

/* Prepares a signature of party on contract k with the certificate
 * serial; *out gets {"signature_id","to_sign"}. */
int hx_contract_sign_prepare(json_t **out, hx_ctx *c, const hx_contract_row *k, const char *party,
			     const char *serial, const char *method, hx_err *err);
/* Completes a prepared signature: runs its own transactions on the store
 * (c->db must not be in one). *pending is set when the timestamp could not
 * be had and the signature waits. */
int hx_contract_sign_complete(hx_ctx *c, long long contract_id, long long signature_id, const char *party,
			      const char *sig_b64, int *pending, hx_err *err);
/* Signs with the enterprise's seal (prepare + complete, own transactions). */
int hx_contract_seal_sign(hx_ctx *c, long long contract_id, int *pending, hx_err *err);
int hx_contract_seal_make(json_t **out, hx_ctx *c, long long enterprise_id, hx_err *err);
/* The background retry of pending timestamps, expiry and reminders. */
int hx_contract_run_pending(hx_store *s, const hx_keys *keys, const char *data_dir, hx_err *err);

/* ---- signature appearances (appearance.c) ---- */
/* The worker's handwritten name: a PNG of at most this many bytes. */
#define HX_HANDWRITING_MAX (256 << 10)

/* A party's visible signature, ready for hx_pades_prepare_visible (use
 * &look.ap when visible is set; nothing is shown otherwise). */
typedef struct hx_contract_look {
	hx_pades_appearance ap;
	unsigned char *rgb_z, *alpha_z; /* owned: the planes ap points at */
	int visible;
} hx_contract_look;

/* 0 when png is a PNG of sane size (60×30 … 2000×2000 pixels, at most
 * HX_HANDWRITING_MAX bytes) with strokes on it; HX_EINVAL with
 * "bad_handwriting", "handwriting_too_big" or "handwriting_empty". */
int hx_contract_handwriting_check(const unsigned char *png, size_t len, hx_err *err);
/* Draws party's look into its box of boxes (the contract's sign_boxes
 * JSON): for "enterprise" the round seal with enterprise_name, for
 * "worker" the handwritten png (or signer_name in print when png is
 * NULL), each with the Beijing day of signing_time. Not visible when the
 * contract has no boxes (sent before they were recorded). */
int hx_contract_look_make(hx_contract_look *look, const char *boxes, const char *party, const char *enterprise_name,
			  const char *signer_name, const unsigned char *png, size_t png_len, const char *signing_time,
			  hx_err *err);
void hx_contract_look_free(hx_contract_look *look);

/* As hx_contract_sign_prepare, with the worker's handwritten name (a
 * base64 PNG, may be NULL) drawn as the signature's appearance and kept
 * (sealed) with the signature. */
int hx_contract_sign_prepare_hand(json_t **out, hx_ctx *c, const hx_contract_row *k, const char *party,
				  const char *serial, const char *method, const char *handwriting_b64, hx_err *err);

/* After a contract is fully signed (write transaction): status, the
 * parent's end, the roster's leave date, notifications. */
int hx_contract_on_signed(hx_ctx *c, const hx_contract_row *k, hx_err *err);

/* ---- the worker's link (row.c; the portal's side in lifecycle.c) ---- */
/* The contract of a link token (no scope), HX_ENOTFOUND when unknown. */
int hx_contract_by_link(hx_contract_row *out, hx_ctx *c, const char *token, hx_err *err);
/* Contracts of one person (by the ID lookup hash) sent to phone (the
 * number frozen at sending), for the worker portal: a login confirmed on
 * one phone never shows what was sent to another. */
int hx_contract_list_for_holder(json_t **out, hx_ctx *c, const char *holder, const char *phone, hx_err *err);
/* The contract's text as sections for the phone page. */
int hx_contract_text(json_t **out, hx_ctx *c, const hx_contract_row *k, hx_err *err);
int hx_contract_reject(hx_ctx *c, const hx_contract_row *k, const char *reason, hx_err *err);

/* HR's side (drafting.c, lifecycle.c, batch.c). */
int hx_contract_create(json_t **out, hx_ctx *c, json_t *body, long long parent_id, const char *event,
		       hx_err *err);
int hx_contract_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_contract_delete(hx_ctx *c, long long id, hx_err *err);
int hx_contract_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_contract_list(json_t **out, hx_ctx *c, json_t *filter, long long page, long long per_page, hx_err *err);
int hx_contract_send(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_contract_withdraw(hx_ctx *c, long long id, const char *reason, hx_err *err);
int hx_contract_amend(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_contract_renew(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_contract_terminate(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_contract_link(char **token, hx_ctx *c, const hx_contract_row *k, hx_err *err);
int hx_contract_batch_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_contract_batch_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_contract_batches_run(hx_store *s, const hx_keys *keys, const char *data_dir, hx_err *err);

/* ---- drafting (drafting.c), shared with lifecycle.c and batch.c ---- */
/* What the legal check of a draft needs to know besides its terms. */
typedef struct hx_contract_draft_ref {
	long long id;        /* the contract checked (0 before it exists) */
	long long worker_id; /* its roster entry */
	long long parent_id; /* the contract it renews or changes */
	const char *event;   /* new, renew, change, rescind, terminate */
} hx_contract_draft_ref;

/* The string at o.a (o.a.b when b is not NULL), NULL when none. */
const char *hx_contract_jstr(const json_t *o, const char *a, const char *b);
/* The terms sealed for contracts.terms_enc (*out malloc'd). */
int hx_contract_sealed_terms(char **out, hx_ctx *c, json_t *terms, hx_err *err);
/* Reads the HR part of a draft body into *terms_out (a new object); kind
 * is fixed_kind when not NULL. */
int hx_contract_draft_fields(json_t **terms_out, const char **kind, const char **order, long long *days, hx_ctx *c,
			     json_t *body, const char *fixed_kind, hx_err *err);
/* The legal check of a draft and the fields its document would print
 * blank; *lint a new object, *nerr the number of its errors. */
int hx_contract_lint_terms(json_t **lint, int *nerr, hx_ctx *c, const char *kind, json_t *terms,
			   const hx_contract_draft_ref *ref, hx_err *err);
/* Drafts a contract for worker_id with terms (the roster's part added),
 * checked and logged; *out (when not NULL) gets its detail. */
int hx_contract_create_with(json_t **out, hx_ctx *c, long long worker_id, const char *kind, const char *event,
			    long long parent_id, const char *order, long long days, json_t *terms, hx_err *err);
/* A contract row as a list item (new object). */
json_t *hx_contract_list_item(const hx_rows *r, int i);
/* lifecycle.c: a draft amendment or certificate edited by HR keeps what it
 * was made from. */
int hx_contract_keep_made_from(json_t *terms, hx_ctx *c, const hx_contract_row *k, hx_err *err);

/* Filing, rates and wage tiers (filing.c). */
int hx_contract_rates(json_t **out, hx_ctx *c, long long area_id, hx_err *err);
int hx_contract_filing(json_t **out, hx_ctx *c, const char *month, long long area_id, hx_err *err);
int hx_contract_wage_tiers(json_t **out, hx_ctx *c, hx_err *err);
int hx_contract_wage_tier_set(json_t **out, hx_ctx *c, long long area_id, int tier, hx_err *err);
/* The tier an admin set for the area of an enterprise (0 when none). */
int hx_contract_area_tier(int *tier, hx_ctx *c, long long enterprise_id, hx_err *err);

/* ---- the enterprise's intent (intent.c; 意愿确认, 电子签名法 第十三条) ---- */
/* The one-time code's purpose for everything the enterprise confirms. */
#define HX_INTENT_PURPOSE "enterprise_intent"
/* A checked confirmation: who (user:N) and the masked phone it went to.
 * refused is set when a wrong, expired or used code was tried: the try
 * counts, so the caller commits (nothing else is written before it). */
typedef struct hx_intent {
	const char *by, *phone_hint;
	int refused, batch;
} hx_intent;
/* "138****1234". */
const char *hx_contract_phone_hint(hx_arena *a, const char *phone);
/* The code's subject: the acting user and the thing confirmed
 * ("u5:k12" a contract, "u5:seal3" a seal key, "u5:batch:<hash>" a set). */
const char *hx_contract_intent_subject(hx_ctx *c, const char *what, long long id);
const char *hx_contract_intent_batch_subject(hx_ctx *c, const json_t *ids);
/* Sends a code to the acting HR user's own phone (write transaction);
 * *out gets {"phone_hint","expires_in","purpose"}. For one contract (in
 * scope, the enterprise's turn; method "seal" also needs the seal key, so
 * no code is spent on a seal that is missing), a batch of ids, or the
 * seal key. */
int hx_contract_intent_request(json_t **out, hx_ctx *c, long long contract_id, const char *method, hx_err *err);
int hx_contract_intent_request_batch(json_t **out, hx_ctx *c, const json_t *ids, hx_err *err);
int hx_contract_intent_request_seal_key(json_t **out, hx_ctx *c, long long enterprise_id, hx_err *err);
/* Checks code for subject (write transaction); errors name field "code"
 * (HX_EINVAL: missing, wrong, expired, used, never sent; HX_EPERM: locked);
 * HX_ECONFLICT "no_phone" when the user has no phone on record. A refused
 * code on a contract is written to its evidence. */
int hx_contract_intent_check(hx_intent *out, hx_ctx *c, const char *subject, const char *code, long long contract_id,
			     hx_err *err);
/* The confirmation in a contract's evidence (method "seal" or "browser"). */
int hx_contract_intent_record(hx_ctx *c, long long contract_id, const hx_intent *in, const char *method, hx_err *err);
/* The confirmation as operation-log changes (new object). */
json_t *hx_contract_intent_audit(const hx_intent *in);

/* Confirmed variants for HR users over HTTP (signing.c); the unconfirmed
 * ones above stay for the command line, the demo and the bench. code is
 * checked after the cheap checks (scope, own enterprise, turn), so a
 * refused code never hides a clearer error. */
int hx_contract_sign_prepare_confirmed(json_t **out, hx_ctx *c, const hx_contract_row *k, const char *serial,
				       const char *code, int *refused, hx_err *err);
/* One contract with the seal: code checked in the prepare transaction
 * (checked == NULL), or a batch's confirmation already checked. */
int hx_contract_seal_sign_confirmed(hx_ctx *c, long long contract_id, const char *code, const hx_intent *checked,
				    int *pending, hx_err *err);
int hx_contract_seal_make_confirmed(json_t **out, hx_ctx *c, long long enterprise_id, const char *code, int *refused,
				    hx_err *err);
/* Revokes a certificate (write transaction). worker_holder is the ID
 * lookup hash of a worker acting through a confirmed signer session, NULL
 * for a logged-in user (c->me) or the command line. Allowed: the holder
 * (an HR user their own certificate, a worker theirs), the enterprise's
 * own HR for its seal, county administrators; others HX_EPERM when the
 * certificate's enterprise or worker is in their scope, else HX_ENOTFOUND.
 * reason is required. Logged, put in the evidence of the contracts signed
 * with it (else the holder's latest contract), and the holder is told. */
int hx_contract_cert_revoke_by(hx_ctx *c, const char *serial, const char *reason, const char *worker_holder,
			       hx_err *err);
/* retention.c: adds to a contract's detail what it says of its standing for the
 * caller: purged_at, can_sign / can_seal (only the enterprise's own HR),
 * link_is_local and public_url. */
int hx_contract_detail_standing(json_t *o, hx_ctx *c, const hx_contract_row *k, hx_err *err);

/* certs.c: a required base64 argument of at most max decoded bytes, decoded
 * into *out (freed by the caller); HX_EINVAL naming field otherwise. Also
 * used for the signature in signing.c. */
int hx_contract_b64_arg(uint8_t **out, size_t *len, const char *b64, const char *field, size_t max, hx_err *err);

/* evidence.c, shared with the offline verification in verify.c: */
/* cprev of a contract's first event */
#define HX_EVIDENCE_ZERO "0000000000000000000000000000000000000000000000000000000000000000"
/* The manifest's format line; hexie verify refuses another. */
#define HX_MANIFEST_FORMAT "hexie/evidence-package/v1"
/* 64 hex digits into 32 bytes; -1 when hex is not that. */
int hx_evidence_unhex32(uint8_t out[32], const char *hex);
/* An event's hash: SHA-256 of the previous event's hash (as bytes) and
 * the event's canonical text, in hex. */
void hx_evidence_chain_hash(char out[65], const char *prev_hex, const char *leaf);

#endif
