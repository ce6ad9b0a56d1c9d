/* Demo contracts (示例) for `hexie init --demo`: a few contracts of the
 * first demo enterprise in the states a county sees — a draft, one waiting
 * for the worker, one the enterprise sealed first, two fully signed, one
 * rejected — made through the same calls as the web pages. The enterprise
 * signs with its seal; where the worker signs, the demo makes the
 * worker's key (as a phone's browser would) and says so in the evidence:
 * no identity check or intent code is pretended. */
#include "contract_impl.h"

#include <openssl/ec.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/timeutil.h"

typedef int (*step_fn)(hx_ctx *c, void *arg, hx_err *err);

/* Runs fn with a context of its own: in one write transaction (in_tx), or
 * without one for the signing calls, which run their own (no_tx). */
static int run_step(int tx, hx_store *s, const hx_keys *keys, const hx_principal *me, step_fn fn, void *arg,
		    hx_err *err)
{
	hx_db *db;
	hx_arena *a = hx_arena_new();
	int rc = hx_db_get(&db, s, err);
	if (!rc) {
		hx_ctx c = {.db = db, .arena = a, .keys = keys, .me = me, .ip = "demo", .data_dir = "data"};
		if (!tx)
			rc = fn(&c, arg, err);
		else {
			if (!(rc = hx_db_begin_write(db, err)) && !(rc = fn(&c, arg, err)))
				rc = hx_db_commit(db, err);
			if (rc)
				hx_db_rollback(db);
		}
		hx_db_put(db);
	}
	hx_arena_free(a);
	return rc;
}
#define in_tx(...) run_step(1, __VA_ARGS__)
#define no_tx(...) run_step(0, __VA_ARGS__)

typedef struct demo {
	long long enterprise_id;
	long long workers[6];
	int nworkers;
	long long contract;      /* the one a step works on */
	const char *order;       /* sign_order of the next draft */
	double wage;
	int send;
	EVP_PKEY *key;           /* the worker's key of the step */
	char serial[64];
	long long signature_id;
	char *sig_b64;
} demo;

static int find_fn(hx_ctx *c, void *arg, hx_err *err)
{
	demo *d = arg;
	long long n = 0;
	hx_rows *r;
	int rc;
	if ((rc = hx_db_int(c->db, &n, "SELECT count(*) FROM contracts", NULL, 0, err)) || n)
		return rc; /* contracts exist: nothing to add */
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT e.id AS id FROM enterprises e WHERE e.is_demo = 1 AND e.deleted_at IS NULL AND"
			      " (SELECT count(*) FROM workers w WHERE w.enterprise_id = e.id AND w.leave_date IS NULL"
			      " AND w.deleted_at IS NULL AND w.phone IS NOT NULL AND w.employment_type = 'full_time') >= 6"
			      " ORDER BY e.id LIMIT 1",
			      NULL, 0, err)))
		return rc;
	if (r->nrows != 1)
		return 0;
	d->enterprise_id = hx_rows_int(r, 0, "id");
	hx_param p[] = {hx_p_int(d->enterprise_id)};
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "SELECT id FROM workers WHERE enterprise_id = ? AND leave_date IS NULL AND deleted_at IS NULL"
			      " AND phone IS NOT NULL AND employment_type = 'full_time' ORDER BY id LIMIT 6",
			      p, 1, err)))
		return rc;
	for (int i = 0; i < r->nrows && i < 6; i++)
		d->workers[d->nworkers++] = hx_rows_int(r, i, "id");
	return 0;
}

static int draft_fn(hx_ctx *c, void *arg, hx_err *err)
{
	demo *d = arg;
	char start[11], today[11];
	hx_today(today);
	hx_date_add_days(start, today, 7);
	int y, m, dd;
	hx_date_parse(start, &y, &m, &dd);
	char end[11];
	hx_date_format(end, y + 3, m, dd);
	hx_date_add_days(end, end, -1);
	json_t *out = NULL;
	json_t *body = json_pack(
		"{s:I,s:s,s:s,s:i,s:{s:{s:s,s:s,s:s},s:i,s:{s:s,s:s},s:{s:s,s:i},s:{s:f,s:f,s:i},s:b,s:s,s:s}}", "worker_id",
		(json_int_t)d->workers[0], "kind", "full_time", "sign_order", d->order, "expires_days", 14, "terms", "term",
		"type", "fixed", "start", start, "end", end, "probation_months", 0, "job", "title", "木制玩具装配工", "location",
		"浙江省丽水市云和县", "hours", "system", "standard", "hours_per_week", 40, "pay", "monthly", d->wage,
		"probation_monthly", d->wage, "pay_day", 15, "social_insurance", 1, "protection",
		"提供符合国家标准的劳动防护用品，每年组织一次职业健康检查", "worker_address", "浙江省丽水市云和县（示例地址）");
	int rc = hx_contract_create(&out, c, body, 0, "new", err);
	json_decref(body);
	if (!rc) {
		d->contract = json_integer_value(json_object_get(out, "id"));
		if (d->send)
			rc = hx_contract_send(NULL, c, d->contract, err);
	}
	json_decref(out);
	return rc;
}

/* `hexie init --demo` is the program itself acting on its operator's
 * command, not an HR user: it makes and uses the seal without the
 * enterprise's intent code (意愿确认), which HTTP asks of every HR user. */
static int seal_make_fn(hx_ctx *c, void *arg, hx_err *err)
{
	demo *d = arg;
	json_t *out = NULL;
	int rc = hx_contract_seal_make(&out, c, d->enterprise_id, err);
	json_decref(out);
	return rc;
}

static int seal_fn(hx_ctx *c, void *arg, hx_err *err)
{
	demo *d = arg;
	int pending = 0;
	return hx_contract_seal_sign(c, d->contract, &pending, err);
}

static char *b64_of(const unsigned char *p, size_t n)
{
	return hx_b64_encode(p, n);
}

/* The worker's certificate for a key the demo made, and a prepared
 * signature over the revision as it stands. */
static int worker_prepare_fn(hx_ctx *c, void *arg, hx_err *err)
{
	demo *d = arg;
	hx_contract_row k;
	json_t *cert = NULL, *prep = NULL;
	unsigned char *spki = NULL, *proof = NULL, *attrs = NULL, *sig = NULL;
	int rc, spki_len;
	size_t plen = 0, alen = 0, slen = 0;
	char *spki_b64 = NULL, *proof_b64 = NULL;
	if ((rc = hx_contract_load(&k, c, d->contract, 0, err)))
		return rc;
	if (!(d->key = EVP_EC_gen("P-256")) || (spki_len = i2d_PUBKEY(d->key, &spki)) <= 0)
		return hx_err_set(err, HX_EINTERNAL, "demo_key", "", "示例密钥生成失败");
	spki_b64 = b64_of(spki, (size_t)spki_len);
	char *msg = hx_arena_printf(c->arena, "hexie-enrol:%s", spki_b64);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	if (EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, d->key) != 1 ||
	    EVP_DigestSign(m, NULL, &plen, (const unsigned char *)msg, strlen(msg)) != 1 || !(proof = malloc(plen)) ||
	    EVP_DigestSign(m, proof, &plen, (const unsigned char *)msg, strlen(msg)) != 1) {
		EVP_MD_CTX_free(m);
		rc = hx_err_set(err, HX_EINTERNAL, "demo_key", "", "示例签名失败");
		goto done;
	}
	EVP_MD_CTX_free(m);
	proof_b64 = b64_of(proof, plen);
	if ((rc = hx_contract_cert_issue(&cert, c, "worker", k.worker_id_hash, 0, k.worker_name, NULL, spki_b64, proof_b64,
					 err)) ||
	    (rc = hx_contract_sign_prepare(&prep, c, &k, "worker", json_string_value(json_object_get(cert, "serial")),
					   "browser", err)))
		goto done;
	d->signature_id = json_integer_value(json_object_get(prep, "signature_id"));
	if (hx_b64_decode(&attrs, &alen, json_string_value(json_object_get(prep, "to_sign")))) {
		rc = hx_err_set(err, HX_EINTERNAL, "demo_attrs", "", "示例签名数据损坏");
		goto done;
	}
	m = EVP_MD_CTX_new();
	if (EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, d->key) != 1 || EVP_DigestSign(m, NULL, &slen, attrs, alen) != 1 ||
	    !(sig = malloc(slen)) || EVP_DigestSign(m, sig, &slen, attrs, alen) != 1) {
		EVP_MD_CTX_free(m);
		rc = hx_err_set(err, HX_EINTERNAL, "demo_key", "", "示例签名失败");
		goto done;
	}
	EVP_MD_CTX_free(m);
	d->sig_b64 = b64_of(sig, slen);
	rc = hx_evidence_add(c, k.id, "demo_note", "system",
			     json_pack("{s:s}", "note", "示例数据：劳动者的签名密钥由演示程序代为生成，未经身份核验与意愿确认"),
			     err);
done:
	OPENSSL_free(spki);
	free(proof);
	free(attrs);
	free(sig);
	free(spki_b64);
	free(proof_b64);
	json_decref(cert);
	json_decref(prep);
	EVP_PKEY_free(d->key);
	d->key = NULL;
	return rc;
}

static int worker_sign_fn(hx_ctx *c, void *arg, hx_err *err)
{
	demo *d = arg;
	int pending = 0;
	int rc = hx_contract_sign_complete(c, d->contract, d->signature_id, "worker", d->sig_b64, &pending, err);
	free(d->sig_b64);
	d->sig_b64 = NULL;
	return rc;
}

static int reject_fn(hx_ctx *c, void *arg, hx_err *err)
{
	demo *d = arg;
	hx_contract_row k;
	int rc = hx_contract_load(&k, c, d->contract, 0, err);
	return rc ? rc : hx_contract_reject(c, &k, "（示例）岗位与面试时约定的不一致", err);
}

int hx_contract_demo_load(hx_store *s, const hx_keys *keys, int *made, hx_err *err)
{
	hx_principal cli;
	hx_account_cli_principal(&cli);
	demo d = {0};
	int rc;
	*made = 0;
	if ((rc = in_tx(s, keys, &cli, find_fn, &d, err)) || d.nworkers < 6)
		return rc;
	if ((rc = in_tx(s, keys, &cli, seal_make_fn, &d, err)))
		return rc;
	static const struct {
		const char *order;
		int send, seal, worker, reject;
		double wage;
	} plan[6] = {
		{"worker_first", 0, 0, 0, 0, 4200},     /* a draft */
		{"worker_first", 1, 0, 0, 0, 4300},     /* waiting for the worker */
		{"enterprise_first", 1, 1, 0, 0, 4600}, /* sealed, waiting for the worker */
		{"enterprise_first", 1, 1, 1, 0, 4800}, /* signed: seal, then worker */
		{"worker_first", 1, 2, 1, 0, 5100},     /* signed: worker, then seal */
		{"worker_first", 1, 0, 0, 1, 3900},     /* rejected */
	};
	for (int i = 0; !rc && i < 6; i++) {
		d.workers[0] = d.workers[i];
		d.order = plan[i].order;
		d.wage = plan[i].wage;
		d.send = plan[i].send;
		if ((rc = in_tx(s, keys, &cli, draft_fn, &d, err)))
			break;
		if (plan[i].seal == 1 && (rc = no_tx(s, keys, &cli, seal_fn, &d, err)))
			break;
		if (plan[i].worker && !(rc = in_tx(s, keys, &cli, worker_prepare_fn, &d, err)))
			rc = no_tx(s, keys, &cli, worker_sign_fn, &d, err);
		if (!rc && plan[i].seal == 2)
			rc = no_tx(s, keys, &cli, seal_fn, &d, err);
		if (!rc && plan[i].reject)
			rc = in_tx(s, keys, &cli, reject_fn, &d, err);
		if (!rc)
			(*made)++;
	}
	free(d.sig_b64);
	return rc;
}
