/* Benchmark: electronic labor contracts (电子劳动合同), server side.
 *
 * 1. Contracts rendered to PDF per second: the full-time template filled
 *    from real drafts and rendered with cairo + pango (embedded CJK
 *    subsets), on THREADS threads, nothing else in the loop; and the
 *    sending path (render + seal + store + evidence + commit) on one
 *    thread.
 * 2. Signatures completed per second: what the server does after the
 *    signer's browser returns its signature — check the signature against
 *    the certificate, timestamp it (built-in RFC 3161 TSA), assemble the
 *    CMS, write the incremental update, store the new revision, append the
 *    evidence, commit — on THREADS threads against one SQLite store. The
 *    browser's part (ECDSA over the signed attributes) is done before the
 *    clock starts, with the enterprise seal key as the signer.
 *    With it: the CPU time per signature (the process's, over the phase),
 *    the revision storage per signature (the bytes of the signed
 *    revisions' rows: each is a delta, what the update appended), and the
 *    revisions read back after the run: how many came back whole (SHA-256
 *    as stored, equal to the contract's and the "signed" evidence event's,
 *    the base revision a byte prefix of the signed one, the signature valid).
 * 3. For scale, in the same run: the bare OpenSSL ECDSA P-256 sign rate,
 *    and durable commits per second on the store (one small row each, one
 *    thread): a signature commits once, and its commit holds the write
 *    lock through the fdatasync, so this is the ceiling of 2.
 *
 *   build/bench/contract_bench [N] [THREADS] [sign]   (run from the source root)
 *
 * "sign" leaves out the timing of 1's rendering (the contracts are still
 * rendered and sent, on one thread, as the signatures need them).
 */
#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account/account.h"
#include "contract/contract_impl.h"
#include "core/arena.h"
#include "core/crypto.h"
#include "registry/registry.h"
#include "store/store.h"

#include "bench_tx.h"

static hx_store *g_store;
static hx_keys g_keys;
static hx_principal g_me;

static void die(const char *what, const hx_err *err)
{
	fprintf(stderr, "contract_bench: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static int in_tx(bench_fn fn, void *arg, hx_err *err)
{
	return bench_tx(g_store, &g_keys, &g_me, 1, fn, arg, err);
}

/* ---- setup: one enterprise with N workers, N drafts ---- */

static int setup_fn(hx_ctx *c, void *arg, hx_err *err)
{
	int n = *(int *)arg, loaded = 0;
	int rc = hx_registry_areas_load(c, "data/areas/yunhe.json", &loaded, err);
	return rc ? rc : hx_registry_demo_load(c, 1, n, 7, err);
}

typedef struct draft_arg {
	json_t *ids; /* contract ids, filled */
} draft_arg;

static int drafts_fn(hx_ctx *c, void *arg, hx_err *err)
{
	draft_arg *d = arg;
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT id FROM workers WHERE leave_date IS NULL ORDER BY id", NULL, 0, err);
	if (rc)
		return rc;
	for (int i = 0; i < r->nrows; i++) {
		json_t *out = NULL;
		json_t *body = json_pack(
			"{s:I,s:s,s:s,s:{s:{s:s,s:s,s:s},s:i,s:{s:s,s:s},s:{s:s,s:i},s:{s:i,s:i,s:i},s:b,s:s,s:s}}", "worker_id",
			(json_int_t)hx_rows_int(r, i, "id"), "kind", "full_time", "sign_order", "enterprise_first", "terms", "term",
			"type", "fixed", "start", "2026-12-01", "end", "2029-11-30", "probation_months", 2, "job", "title",
			"木制玩具装配工", "location", "浙江省丽水市云和县", "hours", "system", "standard", "hours_per_week", 40, "pay",
			"monthly", 4200, "probation_monthly", 3400, "pay_day", 15, "social_insurance", 1, "protection",
			"提供符合国家标准的劳动防护用品，定期组织职业健康检查", "worker_address", "浙江省丽水市云和县元和街道");
		rc = hx_contract_create(&out, c, body, 0, "new", err);
		json_decref(body);
		if (rc)
			return rc;
		json_array_append_new(d->ids, json_integer(json_integer_value(json_object_get(out, "id"))));
		json_decref(out);
	}
	return 0;
}

/* ---- 1. rendering ---- */

typedef struct render_job {
	json_t *terms; /* one draft's terms per contract */
	atomic_int next;
	atomic_int done;
	size_t bytes;
} render_job;

static void *render_worker(void *arg)
{
	render_job *j = arg;
	const hx_template *t;
	hx_template_find(&t, hx_cenv.templates, "full_time", NULL);
	for (;;) {
		int i = atomic_fetch_add(&j->next, 1);
		if (i >= (int)json_array_size(j->terms))
			break;
		char *pdf = NULL;
		size_t len = 0;
		hx_err err = {0};
		if (hx_contract_render_pdf(&pdf, &len, t, json_array_get(j->terms, (size_t)i), &err))
			die("render", &err);
		j->bytes = len;
		free(pdf);
		atomic_fetch_add(&j->done, 1);
	}
	return NULL;
}

static int terms_fn(hx_ctx *c, void *arg, hx_err *err)
{
	json_t **pair = arg; /* [ids, out terms] */
	size_t i;
	json_t *v;
	json_array_foreach(pair[0], i, v) {
		hx_contract_row k;
		int rc = hx_contract_load(&k, c, json_integer_value(v), 0, err);
		if (rc)
			return rc;
		json_array_append(pair[1], k.terms);
	}
	return 0;
}

static int send_fn(hx_ctx *c, void *arg, hx_err *err)
{
	return hx_contract_send(NULL, c, *(long long *)arg, err);
}

/* ---- 2. signing ---- */

typedef struct sig_item {
	long long contract_id, signature_id;
	char *sig_b64;
} sig_item;

typedef struct prep_arg {
	sig_item *it;
	const char *sealed, *serial;
} prep_arg;

static int prepare_fn(hx_ctx *c, void *arg, hx_err *err)
{
	prep_arg *p = arg;
	hx_contract_row k;
	json_t *out = NULL;
	int rc;
	if ((rc = hx_contract_load(&k, c, p->it->contract_id, 0, err)) ||
	    (rc = hx_contract_sign_prepare(&out, c, &k, "enterprise", p->serial, "seal", err)))
		return rc;
	p->it->signature_id = json_integer_value(json_object_get(out, "signature_id"));
	uint8_t *attrs = NULL;
	size_t alen = 0;
	unsigned char *sig = NULL;
	size_t slen = 0;
	hx_b64_decode(&attrs, &alen, json_string_value(json_object_get(out, "to_sign")));
	rc = hx_seal_key_sign(&sig, &slen, p->sealed, g_keys.pii, attrs, alen, err);
	if (!rc)
		p->it->sig_b64 = hx_b64_encode(sig, slen);
	free(attrs);
	free(sig);
	json_decref(out);
	return rc;
}

typedef struct sign_job {
	sig_item *items;
	int n;
	atomic_int next;
	atomic_int done;
} sign_job;

static void *sign_worker(void *arg)
{
	sign_job *j = arg;
	hx_db *db;
	hx_err err = {0};
	if (hx_db_get(&db, g_store, &err))
		die("db", &err);
	for (;;) {
		int i = atomic_fetch_add(&j->next, 1);
		if (i >= j->n)
			break;
		hx_arena *a = hx_arena_new();
		hx_ctx c = {.db = db, .arena = a, .keys = &g_keys, .me = &g_me, .ip = "bench", .data_dir = "data"};
		int pending = 0;
		if (hx_contract_sign_complete(&c, j->items[i].contract_id, j->items[i].signature_id, "enterprise",
					      j->items[i].sig_b64, &pending, &err))
			die("sign", &err);
		if (pending)
			die("sign: pending", NULL);
		hx_arena_free(a);
		atomic_fetch_add(&j->done, 1);
	}
	hx_db_put(db);
	return NULL;
}

static int seal_fn(hx_ctx *c, void *arg, hx_err *err)
{
	json_t **out = arg;
	return hx_contract_seal_make(out, c, *(long long *)out[1], err);
}

/* The revisions read back after the run (see the header). */
typedef struct readback_arg {
	json_t *ids;
	int whole;	   /* contracts whose revisions all came back whole */
	long long stored;  /* bytes of the signed revisions' rows */
	long long nsigned; /* signed revisions */
} readback_arg;

static int readback_fn(hx_ctx *c, void *arg, hx_err *err)
{
	readback_arg *b = arg;
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(pdf_enc)), 0) AS bytes FROM contract_documents"
			     " WHERE version > 1",
			     NULL, 0, err);
	if (rc)
		return rc;
	b->nsigned = hx_rows_int(r, 0, "n");
	b->stored = hx_rows_int(r, 0, "bytes");
	char ca[4096];
	snprintf(ca, sizeof ca, "%s/ca.crt", hx_cenv.keys_dir);
	size_t i;
	json_t *v;
	json_array_foreach(b->ids, i, v) {
		hx_contract_row k;
		if ((rc = hx_contract_load(&k, c, json_integer_value(v), 0, err)))
			return rc;
		int ok = k.doc_version >= 2;
		unsigned char *prev = NULL;
		size_t prev_len = 0;
		for (int ver = 1; ok && ver <= k.doc_version; ver++) {
			unsigned char *pdf = NULL;
			size_t len = 0;
			char sha[65];
			hx_err e = {0};
			if (hx_contract_doc_get(&pdf, &len, sha, c, k.id, ver, &e)) {
				ok = 0;
				break;
			}
			if (prev && (len <= prev_len || memcmp(prev, pdf, prev_len) != 0))
				ok = 0;
			if (ver == k.doc_version) {
				/* the contract's hash and the evidence of the signature */
				long long n = 0;
				hx_param p[] = {hx_p_int(k.id), hx_p_text(hx_arena_printf(c->arena, "%%\"sha256\":\"%s\"%%", sha))};
				ok = ok && k.doc_sha256 && strcmp(k.doc_sha256, sha) == 0 &&
				     !hx_db_int(c->db, &n,
						"SELECT COUNT(*) FROM evidence WHERE contract_id = ? AND kind = 'signed' AND leaf LIKE ?",
						p, 2, &e) &&
				     n == 1;
				json_t *rep = NULL;
				ok = ok && !hx_pades_verify(&rep, pdf, len, ca, &e) && json_is_true(json_object_get(rep, "valid"));
				json_decref(rep);
			}
			free(prev);
			prev = pdf;
			prev_len = len;
		}
		free(prev);
		b->whole += ok;
	}
	return 0;
}

static int commit_fn(hx_ctx *c, void *arg, hx_err *err)
{
	hx_param p[] = {hx_p_int(*(long long *)arg)};
	return hx_db_exec(c->db, "INSERT INTO bench_commits (n) VALUES (?)", p, 1, NULL, err);
}

static int commit_table_fn(hx_ctx *c, void *arg, hx_err *err)
{
	(void)arg;
	return hx_db_exec(c->db, "CREATE TABLE bench_commits (n BIGINT)", NULL, 0, NULL, err);
}

/* Durable commits per second for a second, one small row each. */
static double commit_rate(void)
{
	hx_err err = {0};
	if (in_tx(commit_table_fn, NULL, &err))
		die("commit table", &err);
	long long n = 0;
	double t0 = bench_now(), t;
	do {
		if (in_tx(commit_fn, &n, &err))
			die("commit", &err);
		n++;
		t = bench_now();
	} while (t - t0 < 1.0);
	return (double)n / (t - t0);
}

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- 3. bare ECDSA ---- */

static double ecdsa_rate(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	unsigned char msg[200], sig[80];
	memset(msg, 7, sizeof msg);
	int n = 0;
	double t0 = bench_now(), t;
	do {
		for (int i = 0; i < 200; i++) {
			EVP_MD_CTX *m = EVP_MD_CTX_new();
			size_t sl = sizeof sig;
			EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k);
			EVP_DigestSign(m, sig, &sl, msg, sizeof msg);
			EVP_MD_CTX_free(m);
		}
		n += 200;
		t = bench_now();
	} while (t - t0 < 1.0);
	EVP_PKEY_free(k);
	return n / (t - t0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	int threads = argc > 2 ? atoi(argv[2]) : 2;
	int sign_only = argc > 3 && strcmp(argv[3], "sign") == 0;
	if (n < 1 || n > 100000 || threads < 1 || threads > 64 || (argc > 3 && !sign_only)) {
		fprintf(stderr, "usage: contract_bench [N] [THREADS] [sign]\n");
		return 2;
	}
	char dir[] = "/tmp/hexie-bench-XXXXXX", url[256], kd[300];
	if (!mkdtemp(dir))
		return 1;
	snprintf(url, sizeof url, "sqlite:%s/hexie.db", dir);
	snprintf(kd, sizeof kd, "%s/keys", dir);
	hx_err err = {0};
	if (hx_store_open(&g_store, url, threads + 1, &err) || hx_store_migrate(g_store, NULL, &err) ||
	    hx_keys_load(&g_keys, kd, 1, &err) || hx_contract_init("data", &err) ||
	    hx_contract_trust_open(kd, "http://127.0.0.1:8080", &err))
		die("setup", &err);
	g_me.perms = HX_PERM_ALL;
	g_me.scope.kind = HX_SCOPE_COUNTY;
	g_me.username = "bench";
	g_me.display_name = "bench";
	g_me.role = "admin";
	if (in_tx(setup_fn, &n, &err))
		die("demo data", &err);
	draft_arg d = {json_array()};
	if (in_tx(drafts_fn, &d, &err))
		die("drafts", &err);
	n = (int)json_array_size(d.ids);

	/* 1. rendering */
	json_t *pair[2] = {d.ids, json_array()};
	if (in_tx(terms_fn, pair, &err))
		die("terms", &err);
	render_job rj = {.terms = pair[1]};
	pthread_t th[64];
	double t0 = bench_now();
	if (!sign_only) {
		for (int i = 0; i < threads; i++)
			pthread_create(&th[i], NULL, render_worker, &rj);
		for (int i = 0; i < threads; i++)
			pthread_join(th[i], NULL);
		double render_s = bench_now() - t0;
		printf("contracts rendered:   %d PDFs in %.2f s = %.1f contracts/s on %d threads (%.0f KB each)\n", n,
		       render_s, n / render_s, threads, rj.bytes / 1024.0);
	}
	double ecdsa1 = ecdsa_rate();
	t0 = bench_now();
	for (int i = 0; i < n; i++) {
		long long id = json_integer_value(json_array_get(d.ids, (size_t)i));
		if (in_tx(send_fn, &id, &err))
			die("send", &err);
	}
	double send_s = bench_now() - t0;
	printf("contracts sent:       %.1f contracts/s on 1 thread (render + seal + store + evidence + commit)\n",
	       n / send_s);

	/* 2. signing */
	long long eid = 0;
	{
		hx_db *db;
		hx_arena *a = hx_arena_new();
		hx_db_get(&db, g_store, &err);
		hx_db_int(db, &eid, "SELECT MIN(enterprise_id) FROM contracts", NULL, 0, &err);
		hx_db_put(db);
		hx_arena_free(a);
	}
	json_t *seal = NULL;
	void *sarg[2] = {NULL, &eid};
	if (in_tx(seal_fn, sarg, &err))
		die("seal", &err);
	seal = sarg[0];
	char *sealed = NULL;
	{
		hx_db *db;
		hx_arena *a = hx_arena_new();
		hx_rows *r;
		hx_db_get(&db, g_store, &err);
		hx_param p[] = {hx_p_int(eid)};
		hx_db_query(db, a, &r, "SELECT key_enc FROM seal_keys WHERE enterprise_id = ?", p, 1, &err);
		sealed = strdup(hx_rows_get(r, 0, "key_enc"));
		hx_db_put(db);
		hx_arena_free(a);
	}
	sig_item *items = calloc((size_t)n, sizeof *items);
	for (int i = 0; i < n; i++) {
		items[i].contract_id = json_integer_value(json_array_get(d.ids, (size_t)i));
		prep_arg pa = {&items[i], sealed, json_string_value(json_object_get(seal, "cert_serial"))};
		if (in_tx(prepare_fn, &pa, &err))
			die("prepare", &err);
	}
	sign_job sj = {.items = items, .n = n};
	t0 = bench_now();
	double c0 = cpu_now();
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, sign_worker, &sj);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double sign_s = bench_now() - t0, sign_cpu = cpu_now() - c0;
	double ecdsa2 = ecdsa_rate();
	printf("signatures completed: %d in %.2f s = %.1f signatures/s on %d threads (check, timestamp, CMS, incremental "
	       "update, revision, evidence, commit)\n",
	       n, sign_s, n / sign_s, threads);
	printf("signature CPU time:   %.3f ms per signature (all threads' CPU over the phase)\n", sign_cpu * 1000 / n);
	readback_arg rb = {.ids = d.ids};
	if (bench_tx(g_store, &g_keys, &g_me, 0, readback_fn, &rb, &err))
		die("read back", &err);
	printf("revision storage:     %.1f KB stored per signature (%lld signed revisions, %.0f KB in all)\n",
	       rb.nsigned ? rb.stored / 1024.0 / (double)rb.nsigned : 0.0, rb.nsigned, rb.stored / 1024.0);
	printf("revisions read back:  %d of %d contracts whole (SHA-256 as stored and in the evidence, base a prefix of "
	       "the signed revision, signature valid)\n",
	       rb.whole, n);
	printf("bare OpenSSL ECDSA P-256 sign: %.0f signs/s on 1 thread (measured %.0f before and %.0f after)\n",
	       (ecdsa1 + ecdsa2) / 2, ecdsa1, ecdsa2);
	printf("durable commits:      %.0f commits/s on 1 thread (one small row each, synchronous=FULL)\n", commit_rate());
	for (int i = 0; i < n; i++)
		free(items[i].sig_b64);
	free(items);
	free(sealed);
	json_decref(seal);
	json_decref(d.ids);
	json_decref(pair[1]);
	hx_contract_shutdown();
	hx_store_close(g_store);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "contract_bench: could not remove %s\n", dir);
	return 0;
}
