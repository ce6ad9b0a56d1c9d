/* Benchmark: the evidence log of electronic contracts at scale.
 *
 * Appends N evidence events (the hash chain, the Merkle leaf and the inner
 * nodes each completes; transactions of 1,000 events) to one SQLite store,
 * then times:
 *   - a signed checkpoint over all N events, from the stored nodes;
 *   - for comparison, the root computed the way a log without stored nodes
 *     must: read every leaf hash and hash the whole tree in memory.
 * Both roots are compared, so the figure is of a correct answer.
 *
 *   build/bench/evidence_bench [N]       (run from the source root)
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract/contract_impl.h"
#include "core/arena.h"
#include "core/crypto.h"
#include "store/store.h"

#include "bench_tx.h"

static hx_store *g_store;
static hx_keys g_keys;

static void die(const char *what, const hx_err *err)
{
	fprintf(stderr, "evidence_bench: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static int in_tx(int write, bench_fn fn, void *arg, hx_err *err)
{
	return bench_tx(g_store, &g_keys, NULL, write, fn, arg, err);
}

static int append_fn(hx_ctx *c, void *arg, hx_err *err)
{
	int count = *(int *)arg, rc = 0;
	for (int i = 0; !rc && i < count; i++)
		rc = hx_evidence_add(c, 0, "bench", "system", json_pack("{s:i}", "i", i), err);
	return rc;
}

static int checkpoint_fn(hx_ctx *c, void *arg, hx_err *err)
{
	return hx_evidence_checkpoint(c, (long long *)arg, err);
}

static int root_fn(hx_ctx *c, void *arg, hx_err *err)
{
	uint8_t *out = arg;
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT root FROM evidence_checkpoints ORDER BY size DESC LIMIT 1",
			     NULL, 0, err);
	if (rc || r->nrows != 1)
		return rc ? rc : hx_err_set(err, HX_EINTERNAL, "no_checkpoint", "", "no checkpoint");
	memcpy(out, hx_rows_get(r, 0, "root"), 64);
	return 0;
}

/* Every leaf hash, then the root in memory: the cost without stored nodes. */
static int leaves_root_fn(hx_ctx *c, void *arg, hx_err *err)
{
	char *hex = arg;
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT leaf_hash FROM evidence ORDER BY idx", NULL, 0, err);
	if (rc)
		return rc;
	uint8_t(*leaves)[32] = malloc((size_t)(r->nrows ? r->nrows : 1) * 32);
	if (!leaves)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	for (int i = 0; i < r->nrows; i++) {
		const char *h = hx_rows_get(r, i, "leaf_hash");
		for (int k = 0; k < 32; k++) {
			unsigned v = 0;
			sscanf(h + 2 * k, "%2x", &v);
			leaves[i][k] = (uint8_t)v;
		}
	}
	uint8_t root[32];
	hx_merkle_root(root, (const uint8_t(*)[32])leaves, (size_t)r->nrows);
	free(leaves);
	hx_hex(hex, root, 32);
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200000;
	if (n < 1 || n > 10000000) {
		fprintf(stderr, "usage: evidence_bench [N]\n");
		return 2;
	}
	char dir[] = "/tmp/hexie-bench-XXXXXX", url[256], kd[300];
	if (!mkdtemp(dir))
		return 1;
	snprintf(url, sizeof url, "sqlite:%s/hexie.db", dir);
	snprintf(kd, sizeof kd, "%s/keys", dir);
	hx_err err = {0};
	if (hx_store_open(&g_store, url, 2, &err) || hx_store_migrate(g_store, NULL, &err) ||
	    hx_keys_load(&g_keys, kd, 1, &err) || hx_contract_trust_open(kd, "http://127.0.0.1:8080", &err))
		die("setup", &err);

	double t0 = bench_now();
	for (int done = 0; done < n;) {
		int chunk = n - done < 1000 ? n - done : 1000;
		if (in_tx(1, append_fn, &chunk, &err))
			die("append", &err);
		done += chunk;
	}
	double append_s = bench_now() - t0;
	printf("evidence appended:    %d events in %.2f s = %.0f events/s (chain, leaf, inner nodes; 1,000 per commit)\n", n,
	       append_s, n / append_s);

	long long size = 0;
	t0 = bench_now();
	if (in_tx(1, checkpoint_fn, &size, &err))
		die("checkpoint", &err);
	double cp_ms = (bench_now() - t0) * 1000;
	char from_nodes[65] = {0}, from_leaves[65] = {0};
	if (in_tx(0, root_fn, from_nodes, &err))
		die("root", &err);
	t0 = bench_now();
	if (in_tx(0, leaves_root_fn, from_leaves, &err))
		die("leaves", &err);
	double leaves_ms = (bench_now() - t0) * 1000;
	printf("signed checkpoint:    %.2f ms over %lld events, from the stored nodes (incl. ECDSA signature, commit)\n",
	       cp_ms, size);
	printf("root from every leaf: %.1f ms (what a checkpoint cost without stored nodes)\n", leaves_ms);
	printf("roots agree:          %s\n", strcmp(from_nodes, from_leaves) == 0 ? "yes" : "NO");
	hx_contract_shutdown();
	hx_store_close(g_store);
	return strcmp(from_nodes, from_leaves) == 0 ? 0 : 1;
}
