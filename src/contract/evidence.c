/* The evidence of electronic contracts (电子合同证据链): every step of every
 * contract — identity check, code sent, code confirmed, view, signature,
 * timestamp, notification, download, change — is one row of an
 * append-only table, in one sequence for the whole platform. Each row
 * carries the hash of the row before it, and is a leaf of the Merkle log
 * (RFC 9162) whose signed checkpoints let anyone check, offline, that an
 * event was in the log and that the log only grew. The evidence package
 * of a contract bundles its PDF revisions, its events, their inclusion
 * proofs, a checkpoint and the keys to check them with (`hexie verify`). */
#include "contract_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "../core/buf.h"
#include "../core/timeutil.h"
#include "../report/report.h"

/* cprev of a contract's first event */
#define HX_EVIDENCE_ZERO "0000000000000000000000000000000000000000000000000000000000000000"

static int unhex32(uint8_t out[32], const char *hex)
{
	if (!hex || strlen(hex) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void chain_hash(char out[65], const char *prev_hex, const char *leaf)
{
	uint8_t prev[32] = {0};
	unhex32(prev, prev_hex);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char d[32];
	unsigned int dl = 0;
	EVP_DigestInit_ex(m, EVP_sha256(), NULL);
	EVP_DigestUpdate(m, prev, 32);
	EVP_DigestUpdate(m, leaf, strlen(leaf));
	EVP_DigestFinal_ex(m, d, &dl);
	EVP_MD_CTX_free(m);
	hx_hex(out, d, 32);
}

/* ---- the stored inner nodes of the Merkle log (migration 002) ---- */

typedef struct node_src {
	hx_ctx *c;
	hx_err *err;
	long long known_idx; /* a leaf the caller has in hand (-1: none) */
	const uint8_t *known;
} node_src;

static int node_get(void *ctx, unsigned level, uint64_t index, uint8_t out[32])
{
	node_src *ns = ctx;
	if (level == 0 && ns->known && (long long)index == ns->known_idx) {
		memcpy(out, ns->known, 32);
		return 0;
	}
	hx_rows *r;
	hx_param p[] = {hx_p_int(level ? (long long)(index * 64 + level) : (long long)index)};
	int rc = hx_db_query(ns->c->db, ns->c->arena, &r,
			     level ? "SELECT hash FROM evidence_nodes WHERE pos = ?"
				   : "SELECT leaf_hash AS hash FROM evidence WHERE idx = ?",
			     p, 1, ns->err);
	if (rc)
		return rc;
	if (r->nrows != 1 || unhex32(out, hx_rows_get(r, 0, "hash")))
		return hx_err_set(ns->err, HX_EINTERNAL, "evidence_gap", "", "证据日志节点缺失（层%u，第%llu个）", level,
				  (unsigned long long)index);
	return 0;
}

/* Stores the nodes completed by leaves from..to-1 (inside the caller's
 * write transaction). leaf, when given, is the hash of leaf to-1. */
static int nodes_build(hx_ctx *c, long long from, long long to, const uint8_t *leaf, hx_err *err)
{
	node_src ns = {.c = c, .err = err, .known_idx = to - 1, .known = leaf};
	for (long long i = from; i < to; i++) {
		uint8_t lh[32];
		hx_merkle_node made[64];
		int count = 0, rc;
		if ((rc = node_get(&ns, 0, (uint64_t)i, lh)) ||
		    (rc = hx_merkle_append(made, &count, (uint64_t)i, lh, node_get, &ns)))
			return rc;
		for (int k = 0; k < count; k++) {
			char hex[65];
			hx_hex(hex, made[k].hash, 32);
			hx_param p[] = {hx_p_int((long long)(made[k].index * 64 + made[k].level)), hx_p_text(hex)};
			if ((rc = hx_db_exec(c->db, "INSERT INTO evidence_nodes (pos, hash) VALUES (?, ?)", p, 2, NULL, err)))
				return rc;
		}
	}
	return 0;
}

/* Brings the stored nodes up to the log's size (a log from before the
 * nodes were stored is caught up once). Inside a write transaction. */
static int nodes_sync(hx_ctx *c, long long *n_out, hx_err *err)
{
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT n, nodes_n FROM evidence_head WHERE id = 1", NULL, 0, err);
	if (rc)
		return rc;
	if (r->nrows != 1)
		return hx_err_set(err, HX_EINTERNAL, "evidence", "", "证据日志未初始化");
	long long n = hx_rows_int(r, 0, "n"), have = hx_rows_int(r, 0, "nodes_n");
	*n_out = n;
	if (have >= n)
		return 0;
	hx_param p[] = {hx_p_int(n)};
	if ((rc = nodes_build(c, have, n, NULL, err)) ||
	    (rc = hx_db_exec(c->db, "UPDATE evidence_head SET nodes_n = ? WHERE id = 1", p, 1, NULL, err)))
		return rc;
	return 0;
}

/* The position and previous hash for a contract's next event: one
 * indexed lookup of its last event. A contract whose last event is from
 * before migration 004 (no cseq) continues at the count of its events,
 * so cseq stays the event's position among all of the contract's events
 * and a package's events before it are chained in as well. */
static int chain_next(long long *cseq, const char **cprev, hx_ctx *c, long long contract_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(contract_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT cseq, hash FROM evidence WHERE contract_id = ? ORDER BY idx DESC LIMIT 1", p, 1, err);
	if (rc)
		return rc;
	if (r->nrows == 0) {
		*cseq = 1;
		*cprev = HX_EVIDENCE_ZERO;
		return 0;
	}
	*cprev = hx_rows_get(r, 0, "hash");
	if (hx_rows_get(r, 0, "cseq")) {
		*cseq = hx_rows_int(r, 0, "cseq") + 1;
		return 0;
	}
	long long n = 0;
	if ((rc = hx_db_int(c->db, &n, "SELECT count(*) FROM evidence WHERE contract_id = ?", p, 1, err)))
		return rc;
	*cseq = n + 1;
	return 0;
}

int hx_evidence_add(hx_ctx *c, long long contract_id, const char *kind, const char *actor, json_t *detail,
		    hx_err *err)
{
	hx_rows *r;
	char at[21], hash[65], leaf_hex[65];
	uint8_t lh[32];
	int rc;
	if (!detail)
		detail = json_object();
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      "UPDATE evidence_head SET n = n + 1 WHERE id = 1 RETURNING n, last_hash, nodes_n", NULL, 0, err)))
		goto done;
	if (r->nrows != 1) {
		rc = hx_err_set(err, HX_EINTERNAL, "evidence", "", "证据日志未初始化");
		goto done;
	}
	long long idx = hx_rows_int(r, 0, "n") - 1, nodes_n = hx_rows_int(r, 0, "nodes_n");
	const char *prev = hx_rows_get(r, 0, "last_hash");
	/* the contract's own chain (migration 004); the head row's lock taken
	 * above orders this lookup with every other append */
	long long cseq = 0;
	const char *cprev = HX_EVIDENCE_ZERO;
	if (contract_id && (rc = chain_next(&cseq, &cprev, c, contract_id, err)))
		goto done;
	hx_now_iso(at);
	json_t *leaf = json_pack("{s:I,s:o,s:s,s:s,s:s,s:O,s:s}", "idx", (json_int_t)idx, "contract_id",
				 contract_id ? json_integer(contract_id) : json_null(), "kind", kind, "actor",
				 actor ? actor : "system", "at", at, "detail", detail, "prev", prev);
	if (leaf && cseq) {
		json_object_set_new(leaf, "cseq", json_integer(cseq));
		json_object_set_new(leaf, "cprev", json_string(cprev));
	}
	char *text = json_dumps(leaf, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(leaf);
	if (!text) {
		rc = hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
		goto done;
	}
	chain_hash(hash, prev, text);
	hx_merkle_leaf_hash(lh, text, strlen(text));
	hx_hex(leaf_hex, lh, 32);
	hx_param p[] = {hx_p_int(idx), contract_id ? hx_p_int(contract_id) : hx_p_null(), hx_p_text(kind),
			hx_p_text(actor ? actor : "system"), hx_p_text(at), hx_p_text(text), hx_p_text(prev),
			hx_p_text(hash), hx_p_text(leaf_hex), cseq ? hx_p_int(cseq) : hx_p_null()};
	rc = hx_db_exec(c->db,
			"INSERT INTO evidence (idx, contract_id, kind, actor, at, leaf, prev_hash, hash, leaf_hash, cseq)"
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			p, 10, NULL, err);
	free(text);
	/* the Merkle nodes this leaf completes (and any a log from before
	 * migration 002 lacks) */
	if (!rc)
		rc = nodes_build(c, nodes_n < idx ? nodes_n : idx, idx + 1, lh, err);
	if (!rc) {
		hx_param q[] = {hx_p_text(hash), hx_p_int(idx + 1)};
		rc = hx_db_exec(c->db, "UPDATE evidence_head SET last_hash = ?, nodes_n = ? WHERE id = 1", q, 2, NULL, err);
	}
done:
	json_decref(detail);
	return rc;
}

int hx_evidence_list(json_t **out, hx_ctx *c, long long contract_id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(contract_id)};
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT idx, kind, actor, at, leaf, hash FROM evidence WHERE contract_id = ? ORDER BY idx", p, 1,
			     err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++) {
		json_t *leaf = json_loads(hx_rows_get(r, i, "leaf"), 0, NULL);
		json_t *detail = json_object_get(leaf, "detail");
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:s,s:O,s:s}", "seq", (json_int_t)hx_rows_int(r, i, "idx"),
						       "kind", hx_rows_get(r, i, "kind"), "actor", hx_rows_get(r, i, "actor"),
						       "at", hx_rows_get(r, i, "at"), "detail", detail ? detail : json_object(),
						       "hash", hx_rows_get(r, i, "hash")));
		json_decref(leaf);
	}
	*out = items;
	return 0;
}

/* The leaf hashes of the first n entries (malloc'd). */
static int load_leaves(uint8_t (**out)[32], hx_ctx *c, long long n, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(n)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT idx, leaf_hash FROM evidence WHERE idx < ? ORDER BY idx", p, 1,
			     err);
	if (rc)
		return rc;
	if (r->nrows != n)
		return hx_err_set(err, HX_EINTERNAL, "evidence_gap", "", "证据日志不连续（%d/%lld）", r->nrows, n);
	uint8_t(*leaves)[32] = malloc((size_t)(n ? n : 1) * 32);
	if (!leaves)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	for (long long i = 0; i < n; i++)
		if (hx_rows_int(r, (int)i, "idx") != i || unhex32(leaves[i], hx_rows_get(r, (int)i, "leaf_hash"))) {
			free(leaves);
			return hx_err_set(err, HX_EINTERNAL, "evidence_gap", "", "证据日志第%lld条损坏", i);
		}
	*out = leaves;
	return 0;
}

int hx_evidence_checkpoint(hx_ctx *c, long long *size, hx_err *err)
{
	long long n = 0, last = 0;
	int rc;
	if ((rc = nodes_sync(c, &n, err)) ||
	    (rc = hx_db_int(c->db, &last, "SELECT COALESCE(MAX(size), 0) FROM evidence_checkpoints", NULL, 0, err)))
		return rc;
	if (size)
		*size = last;
	if (n <= last || n == 0)
		return 0;
	if (!hx_cenv.log_key)
		return hx_err_set(err, HX_EINTERNAL, "no_log_key", "", "证据日志密钥未加载");
	uint8_t root[32];
	char *text = NULL, root_hex[65], at[21];
	node_src ns = {.c = c, .err = err, .known_idx = -1};
	if ((rc = hx_merkle_root_nodes(root, (uint64_t)n, node_get, &ns)) ||
	    (rc = hx_merkle_checkpoint_sign(&text, HX_EVIDENCE_ORIGIN, (size_t)n, root, hx_cenv.log_key, err)))
		goto done;
	hx_hex(root_hex, root, 32);
	hx_now_iso(at);
	hx_param p[] = {hx_p_int(n), hx_p_text(root_hex), hx_p_text(text), hx_p_text(at)};
	rc = hx_db_exec(c->db,
			"INSERT INTO evidence_checkpoints (size, root, text, created_at) VALUES (?, ?, ?, ?)"
			" ON CONFLICT (size) DO NOTHING",
			p, 4, NULL, err);
	if (!rc && size)
		*size = n;
done:
	free(text);
	return rc;
}

int hx_evidence_log_key(EVP_PKEY **out, const char *dir, int create, hx_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/log.key", dir);
	FILE *f = fopen(path, "r");
	if (!f && create && errno == ENOENT) {
		EVP_PKEY *k = EVP_EC_gen("P-256");
		snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
		int fd = k ? open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
		FILE *w = fd >= 0 ? fdopen(fd, "w") : NULL;
		int ok = w && PEM_write_PrivateKey(w, k, NULL, NULL, 0, NULL, NULL) && fflush(w) == 0 &&
			 fsync(fileno(w)) == 0;
		if (w)
			fclose(w);
		else if (fd >= 0)
			close(fd);
		EVP_PKEY_free(k);
		/* link() keeps a key another process made meanwhile */
		if (ok && link(tmp, path) < 0 && errno != EEXIST)
			ok = 0;
		unlink(tmp);
		if (!ok)
			return hx_err_set(err, HX_EIO, "log_key", "", "无法写入证据日志密钥 %s", path);
		f = fopen(path, "r");
	}
	if (!f)
		return hx_err_set(err, HX_EIO, "log_key", "", "无法读取证据日志密钥 %s：%s", path, strerror(errno));
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k)
		return hx_err_set(err, HX_EIO, "log_key", "", "证据日志密钥 %s 无法解析", path);
	*out = k;
	return 0;
}

/* ---- the package ---- */

/* The package being built and its manifest's list of files: every file
 * goes in through pkg_add, so none can be left out of the list. */
typedef struct pkg {
	hx_zip *z;
	json_t *files; /* {"name": {"sha256","size"}} in the order added */
} pkg;

static int pkg_add(pkg *p, const char *name, const void *data, size_t len, hx_err *err)
{
	char sha[65];
	hx_sha256_hex(sha, data, len);
	json_object_set_new(p->files, name, json_pack("{s:s,s:I}", "sha256", sha, "size", (json_int_t)len));
	return hx_zip_add(p->z, name, data, len, err);
}

/* j is stolen. */
static int pkg_add_json(pkg *p, const char *name, json_t *j, hx_err *err)
{
	char *t = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	int rc = t ? pkg_add(p, name, t, strlen(t), err) : hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
	free(t);
	return rc;
}

static int pkg_add_file(pkg *p, const char *name, const char *path, hx_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return hx_err_set(err, HX_EIO, "io", "", "无法读取 %s", path);
	char buf[65536];
	size_t n = fread(buf, 1, sizeof buf, f);
	int big = n == sizeof buf;
	fclose(f);
	if (big)
		return hx_err_set(err, HX_ETOOBIG, "io", "", "%s 超过 64 KB", path);
	return pkg_add(p, name, buf, n, err);
}

/* ECDSA (SHA-256) signature of data by key, base64 of the DER. */
static int sign_b64(char **out, EVP_PKEY *key, const void *data, size_t len, hx_err *err)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t sl = 0;
	int ok = m && EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestSign(m, NULL, &sl, data, len) == 1 && (sig = malloc(sl)) &&
		 EVP_DigestSign(m, sig, &sl, data, len) == 1;
	EVP_MD_CTX_free(m);
	*out = ok ? hx_b64_encode(sig, sl) : NULL;
	free(sig);
	return *out ? 0 : hx_err_set(err, HX_EINTERNAL, "sign_failed", "", "证据包清单签名失败");
}

static const char PACKAGE_README[] =
	"Hexie 电子劳动合同证据包\n"
	"\n"
	"contract.pdf      签署完成（或当前）的合同文件，内含各方的 PAdES 签名与 RFC 3161 时间戳\n"
	"versions/N.pdf    合同文件的每个版本：1 为发送时冻结的文本，其后每次签名增加一个版本\n"
	"evidence.json     本合同的全部证据事件：日志序号、事件原文（leaf）、前一条的哈希与本条哈希；\n"
	"                  每个事件原文含本合同内的序号 cseq（1、2、3…）与本合同上一事件的哈希 cprev，\n"
	"                  缺少、调换、重复或混入其他合同的事件都会断链\n"
	"proofs.json       每个事件对检查点的 Merkle 包含证明（RFC 9162）\n"
	"checkpoint.txt    证据日志的签名检查点\n"
	"log-key.pem       检查点与清单的签名公钥\n"
	"ca.crt            平台根证书；issuing.crt 签名证书颁发机构\n"
	"timestamps/       每个签名的 RFC 3161 时间戳（.tst）及其所盖的签名值摘要（.sha256），可用\n"
	"                  openssl ts -verify -digest 摘要 -in 文件.tst -token_in -CAfile ca.crt 核验\n"
	"manifest.json     清单：包内每个文件（本说明在内）的 SHA-256、合同编号、事件数、各事件哈希、\n"
	"                  最后一个事件的哈希与检查点（大小、根哈希）\n"
	"manifest.sig      清单的签名（ECDSA P-256、SHA-256，DER 的 base64），由日志密钥签发：\n"
	"                  openssl base64 -d -A -in manifest.sig -out m.der &&\n"
	"                  openssl dgst -sha256 -verify log-key.pem -signature m.der manifest.json\n"
	"signatures/worker.png  劳动者在手机上手写的签名（合同中乙方签字处所示），其 SHA-256\n"
	"                  记在该签名的 signed 事件中（handwriting_sha256）\n"
	"\n"
	"离线核验：hexie verify 本文件.zip [--ca 可信根证书] [--log-key 可信日志公钥]\n"
	"任何文件被改动、删除或增加，事件被删减、调换、重复或来自其他合同，核验均不通过。\n"
	"根证书与日志公钥应与平台公布的一致（核对指纹）。\n";

static char *pub_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL;
	if (b && PEM_write_bio_PUBKEY(b, k)) {
		char *p;
		long n = BIO_get_mem_data(b, &p);
		out = strndup(p, (size_t)n);
	}
	BIO_free(b);
	return out;
}

/* The manifest's format line; hexie verify refuses another. */
#define HX_MANIFEST_FORMAT "hexie/evidence-package/v1"

int hx_evidence_package(char **out, size_t *len, hx_ctx *c, long long contract_id, hx_err *err)
{
	hx_rows *cp, *ev, *docs;
	uint8_t(*leaves)[32] = NULL;
	int rc;
	hx_param p[] = {hx_p_int(contract_id)};
	if (!hx_cenv.log_key)
		return hx_err_set(err, HX_EINTERNAL, "no_log_key", "", "证据日志密钥未加载");
	if ((rc = hx_db_query(c->db, c->arena, &cp,
			      "SELECT size, root, text FROM evidence_checkpoints ORDER BY size DESC LIMIT 1", NULL, 0, err)))
		return rc;
	if (cp->nrows != 1)
		return hx_err_set(err, HX_ECONFLICT, "no_checkpoint", "", "证据日志尚无检查点，请稍后再试");
	long long n = hx_rows_int(cp, 0, "size");
	hx_param q[] = {hx_p_int(contract_id), hx_p_int(n)};
	if ((rc = hx_db_query(c->db, c->arena, &ev,
			      "SELECT idx, leaf, prev_hash, hash, leaf_hash FROM evidence WHERE contract_id = ? AND idx < ?"
			      " ORDER BY idx",
			      q, 2, err)) ||
	    (rc = hx_db_query(c->db, c->arena, &docs,
			      "SELECT version FROM contract_documents WHERE contract_id = ? ORDER BY version", p, 1, err)))
		return rc;
	/* the proofs come from the stored nodes; a log from before they were
	 * stored (not caught up yet: packages run in a read transaction) from
	 * its leaves */
	long long nodes_n = 0;
	if ((rc = hx_db_int(c->db, &nodes_n, "SELECT nodes_n FROM evidence_head WHERE id = 1", NULL, 0, err)))
		return rc;
	if (nodes_n < n && (rc = load_leaves(&leaves, c, n, err)))
		return rc;
	node_src ns = {.c = c, .err = err, .known_idx = -1};
	pkg pk = {.files = json_object()};
	if ((rc = hx_zip_new(&pk.z, err))) {
		free(leaves);
		json_decref(pk.files);
		return rc;
	}
	json_t *events = json_array(), *proofs = json_array(), *hashes = json_array();
	for (int i = 0; i < ev->nrows; i++) {
		long long idx = hx_rows_int(ev, i, "idx");
		json_array_append_new(events, json_pack("{s:I,s:s,s:s,s:s,s:s}", "idx", (json_int_t)idx, "leaf",
							hx_rows_get(ev, i, "leaf"), "prev_hash", hx_rows_get(ev, i, "prev_hash"),
							"hash", hx_rows_get(ev, i, "hash"), "leaf_hash",
							hx_rows_get(ev, i, "leaf_hash")));
		json_array_append_new(hashes, json_string(hx_rows_get(ev, i, "hash")));
		uint8_t(*proof)[32] = NULL;
		size_t plen = 0;
		json_t *path = json_array();
		int prc = leaves ? hx_merkle_inclusion_proof(&proof, &plen, (const uint8_t(*)[32])leaves, (size_t)n, (size_t)idx)
				 : hx_merkle_inclusion_proof_nodes(&proof, &plen, (uint64_t)n, (uint64_t)idx, node_get, &ns);
		if (prc) { /* a missing node was named in err by node_get */
			rc = prc == HX_ENOMEM ? hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory")
			     : leaves	      ? hx_err_set(err, HX_EINTERNAL, "evidence_gap", "", "证据日志不连续")
					      : prc;
			json_decref(path);
			break;
		}
		for (size_t k = 0; k < plen; k++) {
			char h[65];
			hx_hex(h, proof[k], 32);
			json_array_append_new(path, json_string(h));
		}
		free(proof);
		json_array_append_new(proofs, json_pack("{s:I,s:I,s:o}", "idx", (json_int_t)idx, "tree_size", (json_int_t)n,
							"path", path));
	}
	free(leaves);
	if (rc) {
		json_decref(events);
		json_decref(proofs);
		json_decref(hashes);
		goto done;
	}
	rc = pkg_add_json(&pk, "evidence.json",
			  json_pack("{s:I,s:s,s:o}", "contract_id", (json_int_t)contract_id, "origin", HX_EVIDENCE_ORIGIN,
				    "events", events),
			  err);
	if (!rc)
		rc = pkg_add_json(&pk, "proofs.json",
				  json_pack("{s:I,s:s,s:o}", "tree_size", (json_int_t)n, "root", hx_rows_get(cp, 0, "root"),
					    "proofs", proofs),
				  err);
	else
		json_decref(proofs);
	if (!rc)
		rc = pkg_add(&pk, "checkpoint.txt", hx_rows_get(cp, 0, "text"), strlen(hx_rows_get(cp, 0, "text")), err);
	if (!rc) {
		char *pem = pub_pem(hx_cenv.log_key);
		rc = pem ? pkg_add(&pk, "log-key.pem", pem, strlen(pem), err)
			 : hx_err_set(err, HX_EINTERNAL, "pem", "", "log key");
		free(pem);
	}
	if (!rc) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/ca.crt", hx_cenv.keys_dir);
		rc = pkg_add_file(&pk, "ca.crt", path, err);
		snprintf(path, sizeof path, "%s/issuing.crt", hx_cenv.keys_dir);
		if (!rc)
			rc = pkg_add_file(&pk, "issuing.crt", path, err);
	}
	if (!rc)
		rc = pkg_add(&pk, "README.txt", PACKAGE_README, strlen(PACKAGE_README), err);
	/* each signature's RFC 3161 token and the digest it stamps, for
	 * `openssl ts -verify -digest HEX -in N-party.tst -token_in -CAfile ca.crt` */
	hx_rows *ts = NULL;
	if (!rc)
		rc = hx_db_query(c->db, c->arena, &ts,
				 "SELECT id, party, tst, sig_digest FROM contract_signatures WHERE contract_id = ?"
				 " AND status = 'done' AND tst IS NOT NULL ORDER BY id",
				 p, 1, err);
	for (int i = 0; !rc && ts && i < ts->nrows; i++) {
		uint8_t *tok = NULL;
		size_t tl = 0;
		if (hx_b64_decode(&tok, &tl, hx_rows_get(ts, i, "tst")))
			continue;
		const char *party = hx_rows_get(ts, i, "party");
		rc = pkg_add(&pk, hx_arena_printf(c->arena, "timestamps/%d-%s.tst", i + 1, party), tok, tl, err);
		free(tok);
		const char *dg = hx_rows_get(ts, i, "sig_digest");
		if (!rc && dg)
			rc = pkg_add(&pk, hx_arena_printf(c->arena, "timestamps/%d-%s.sha256", i + 1, party), dg, strlen(dg), err);
	}
	/* the worker's handwritten name as it was given, the bytes whose
	 * SHA-256 the signed event records */
	hx_rows *hw = NULL;
	if (!rc)
		rc = hx_db_query(c->db, c->arena, &hw,
				 "SELECT party, handwriting_enc FROM contract_signatures WHERE contract_id = ?"
				 " AND status = 'done' AND handwriting_enc IS NOT NULL ORDER BY id",
				 p, 1, err);
	for (int i = 0; !rc && hw && i < hw->nrows; i++) {
		char *b64 = NULL;
		uint8_t *png = NULL;
		size_t pl = 0;
		if ((rc = hx_open(&b64, c->keys->pii, hx_rows_get(hw, i, "handwriting_enc"), "contract_signatures.handwriting",
				  err)))
			break;
		if (hx_b64_decode(&png, &pl, b64))
			rc = hx_err_set(err, HX_EINTERNAL, "bad_handwriting", "", "手写签名数据损坏");
		else
			rc = pkg_add(&pk, hx_arena_printf(c->arena, "signatures/%s.png", hx_rows_get(hw, i, "party")), png, pl,
				     err);
		free(b64);
		free(png);
	}
	for (int i = 0; !rc && i < docs->nrows; i++) {
		unsigned char *pdf = NULL;
		size_t plen = 0;
		char sha[65];
		int v = (int)hx_rows_int(docs, i, "version");
		if ((rc = hx_contract_doc_get(&pdf, &plen, sha, c, contract_id, v, err)))
			break;
		rc = pkg_add(&pk, hx_arena_printf(c->arena, "versions/%d.pdf", v), pdf, plen, err);
		if (!rc && i == docs->nrows - 1)
			rc = pkg_add(&pk, "contract.pdf", pdf, plen, err);
		free(pdf);
	}
	/* the signed manifest (附件3 第十七条; 电子签名法 第八条): every file
	 * by its hash, and the contract's events by count and hash, so a file
	 * changed, added or removed, or events cut from the end, are caught */
	if (!rc) {
		const char *last = ev->nrows ? hx_rows_get(ev, ev->nrows - 1, "hash") : NULL;
		char at[21];
		hx_now_iso(at);
		json_t *man = json_pack("{s:s,s:s,s:I,s:s,s:{s:I,s:s?,s:O},s:{s:I,s:s},s:O}", "format", HX_MANIFEST_FORMAT,
					"origin", HX_EVIDENCE_ORIGIN, "contract_id", (json_int_t)contract_id, "made_at", at,
					"events", "count", (json_int_t)ev->nrows, "last_hash", last, "hashes", hashes,
					"checkpoint", "size", (json_int_t)n, "root", hx_rows_get(cp, 0, "root"), "files",
					pk.files);
		char *mt = man ? json_dumps(man, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL, *sig = NULL;
		json_decref(man);
		rc = mt ? sign_b64(&sig, hx_cenv.log_key, mt, strlen(mt), err)
			: hx_err_set(err, HX_ENOMEM, "nomem", "", "out of memory");
		if (!rc)
			rc = hx_zip_add(pk.z, "manifest.json", mt, strlen(mt), err);
		if (!rc)
			rc = hx_zip_add(pk.z, "manifest.sig", sig, strlen(sig), err);
		free(mt);
		free(sig);
	}
	json_decref(hashes);
done:
	json_decref(pk.files);
	if (rc) {
		hx_zip_discard(pk.z);
		return rc;
	}
	return hx_zip_finish(out, len, pk.z, err);
}

/* ---- offline verification ---- */

/* The whole package is read into memory; no entry may be larger. */
#define HX_PACKAGE_ENTRY_MAX ((size_t)64 << 20)

static int zread(unsigned char **out, size_t *len, zip_t *z, const char *name, size_t cap)
{
	zip_stat_t st;
	if (zip_stat(z, name, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > cap)
		return -1;
	zip_file_t *f = zip_fopen(z, name, 0);
	if (!f)
		return -1;
	unsigned char *buf = malloc(st.size + 1);
	zip_int64_t got = buf ? zip_fread(f, buf, st.size) : -1;
	zip_fclose(f);
	if (got < 0 || (zip_uint64_t)got != st.size) {
		free(buf);
		return -1;
	}
	buf[st.size] = 0;
	*out = buf;
	*len = st.size;
	return 0;
}

/* The SHA-256 of entry i; -1 when it cannot be read. */
static int zsha_index(char sha[65], zip_t *z, zip_uint64_t i)
{
	zip_stat_t st;
	if (zip_stat_index(z, i, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) || st.size > HX_PACKAGE_ENTRY_MAX)
		return -1;
	zip_file_t *f = zip_fopen_index(z, i, 0);
	if (!f)
		return -1;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned char buf[65536], d[32];
	unsigned int dl = 0;
	zip_uint64_t total = 0;
	zip_int64_t got;
	EVP_DigestInit_ex(m, EVP_sha256(), NULL);
	while ((got = zip_fread(f, buf, sizeof buf)) > 0) {
		EVP_DigestUpdate(m, buf, (size_t)got);
		total += (zip_uint64_t)got;
	}
	EVP_DigestFinal_ex(m, d, &dl);
	EVP_MD_CTX_free(m);
	zip_fclose(f);
	if (got < 0 || total != st.size)
		return -1;
	hx_hex(sha, d, 32);
	return 0;
}

static void check(json_t *checks, const char *name, int ok, const char *detail, int *all)
{
	json_array_append_new(checks, json_pack("{s:s,s:b,s:s}", "check", name, "ok", ok, "detail", detail ? detail : ""));
	if (!ok)
		*all = 0;
}

static EVP_PKEY *read_pub(const unsigned char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return k;
}

static int write_tmp(char path[PATH_MAX], const unsigned char *data, size_t len)
{
	const char *base = getenv("TMPDIR");
	snprintf(path, PATH_MAX, "%s/hexie-verify-XXXXXX", base && *base ? base : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, data, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

/* Whether sig_b64 (DER, base64, trailing whitespace allowed) is key's
 * ECDSA SHA-256 signature of data. */
static int verify_b64(EVP_PKEY *key, const void *data, size_t len, const unsigned char *sig_b64, size_t sn)
{
	char *s = strndup((const char *)sig_b64, sn);
	uint8_t *sig = NULL;
	size_t sl = 0;
	if (!s)
		return 0;
	for (size_t k = strlen(s); k > 0 && (s[k - 1] == '\n' || s[k - 1] == '\r' || s[k - 1] == ' '); k--)
		s[k - 1] = 0;
	int ok = hx_b64_decode(&sig, &sl, s) == 0;
	free(s);
	EVP_MD_CTX *m = ok ? EVP_MD_CTX_new() : NULL;
	ok = m && EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(m, sig, sl, data, len) == 1;
	EVP_MD_CTX_free(m);
	free(sig);
	return ok;
}

/* Every entry of the zip is a file the signed manifest lists, with the
 * hash it lists, and every listed file is there (电子签名法 第八条: the
 * data as made, nothing added or taken away). Directory entries are
 * ignored (an unzip and zip again adds them). */
static void verify_files(json_t *checks, int *all, zip_t *z, json_t *files)
{
	json_t *seen = json_object();
	char why[512] = "";
	int ok = json_is_object(files) && json_object_size(files) > 0;
	if (!ok)
		snprintf(why, sizeof why, "清单中没有文件列表");
	zip_int64_t n = zip_get_num_entries(z, 0);
	for (zip_int64_t i = 0; ok && i < n; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_GUESS);
		size_t nl = name ? strlen(name) : 0;
		char sha[65];
		if (!name) {
			ok = 0;
			snprintf(why, sizeof why, "第 %lld 个文件无法读取", (long long)i + 1);
		} else if (nl && name[nl - 1] == '/') {
			continue;
		} else if (json_object_get(seen, name)) {
			ok = 0;
			snprintf(why, sizeof why, "文件 %.200s 在证据包中出现了两次", name);
		} else if (json_object_set_new(seen, name, json_true()), strcmp(name, "manifest.json") == 0 ||
										  strcmp(name, "manifest.sig") == 0) {
			continue;
		} else if (!json_object_get(files, name)) {
			ok = 0;
			snprintf(why, sizeof why, "证据包含有清单之外的文件 %.200s（文件被增加）", name);
		} else if (zsha_index(sha, z, (zip_uint64_t)i) ||
			   !json_is_string(json_object_get(json_object_get(files, name), "sha256")) ||
			   strcmp(sha, json_string_value(json_object_get(json_object_get(files, name), "sha256"))) != 0) {
			ok = 0;
			snprintf(why, sizeof why, "文件 %.200s 与清单记录的 SHA-256 不符（文件被改动）", name);
		}
	}
	const char *key;
	json_t *v;
	json_object_foreach(files, key, v) {
		if (ok && !json_object_get(seen, key)) {
			ok = 0;
			snprintf(why, sizeof why, "缺少清单所列的文件 %.200s（文件被删除）", key);
		}
	}
	json_decref(seen);
	check(checks, "manifest_files", ok, ok ? "证据包中的每个文件都在签名清单中且哈希一致，没有清单之外的文件" : why, all);
}

/* The events' own hashes and their inclusion in the checkpointed tree. */
/* The handwritten signature each signed event names (handwriting_sha256)
 * is the image in the package (signatures/<party>.png): the picture shown
 * at 乙方（签字） is the one the worker drew when signing. */
static void verify_handwriting(json_t *checks, int *all, json_t *events, zip_t *z)
{
	size_t i;
	json_t *e;
	int n = 0, ok = 1;
	char why[256] = "";
	json_array_foreach(events, i, e) {
		json_t *leaf = json_loads(json_string_value(json_object_get(e, "leaf")) ?: "", 0, NULL);
		json_t *d = json_object_get(leaf, "detail");
		const char *want = json_string_value(json_object_get(d, "handwriting_sha256"));
		const char *party = json_string_value(json_object_get(d, "party"));
		if (strcmp(json_string_value(json_object_get(leaf, "kind")) ?: "", "signed") == 0 && want && *want) {
			unsigned char *png = NULL;
			size_t len = 0;
			char name[64], have[65];
			n++;
			snprintf(name, sizeof name, "signatures/%.20s.png", party && strcmp(party, "worker") == 0 ? "worker" : "enterprise");
			if (zread(&png, &len, z, name, 1u << 20)) {
				ok = 0;
				snprintf(why, sizeof why, "签名事件记录了手写签名，但证据包中没有 %s", name);
			} else {
				hx_sha256_hex(have, png, len);
				if (strcmp(have, want) != 0) {
					ok = 0;
					snprintf(why, sizeof why, "%s 与签名事件记录的手写签名哈希不符", name);
				}
				free(png);
			}
		}
		json_decref(leaf);
	}
	if (n)
		check(checks, "handwriting", ok, ok ? "手写签名图像与签名事件记录的哈希一致" : why, all);
}

static void verify_events(json_t *checks, int *all, json_t *events, json_t *proofs, size_t tree, const uint8_t root[32],
			  json_t *doc_shas)
{
	size_t i;
	json_t *e;
	int hashes_ok = 1, proofs_ok = 1, docs_ok = 1;
	char why[256] = "", pwhy[256] = "", dwhy[256] = "";
	if (json_array_size(json_object_get(proofs, "proofs")) != json_array_size(events)) {
		proofs_ok = 0;
		snprintf(pwhy, sizeof pwhy, "包含证明有 %zu 个，事件有 %zu 个", json_array_size(json_object_get(proofs, "proofs")),
			 json_array_size(events));
	}
	json_array_foreach(events, i, e) {
		const char *leaf = json_string_value(json_object_get(e, "leaf"));
		const char *prev = json_string_value(json_object_get(e, "prev_hash"));
		const char *hash = json_string_value(json_object_get(e, "hash"));
		const char *lh_hex = json_string_value(json_object_get(e, "leaf_hash"));
		json_int_t idx = json_integer_value(json_object_get(e, "idx"));
		char h[65];
		uint8_t lh[32], lh_given[32];
		if (!leaf || !prev || !hash || !lh_hex || !json_is_integer(json_object_get(e, "idx")) || idx < 0) {
			hashes_ok = 0;
			snprintf(why, sizeof why, "第%zu个事件缺少字段", i + 1);
			continue;
		}
		chain_hash(h, prev, leaf);
		hx_merkle_leaf_hash(lh, leaf, strlen(leaf));
		json_t *lj = json_loads(leaf, 0, NULL);
		const char *lprev = json_string_value(json_object_get(lj, "prev"));
		if (strcmp(h, hash) != 0 || unhex32(lh_given, lh_hex) || memcmp(lh, lh_given, 32) != 0 || !lprev ||
		    strcmp(lprev, prev) != 0 || json_integer_value(json_object_get(lj, "idx")) != idx) {
			hashes_ok = 0;
			snprintf(why, sizeof why, "事件 %lld 的哈希不符（内容被改动）", (long long)idx);
		}
		/* document hashes the events name must be the package's revisions */
		json_t *d = json_object_get(lj, "detail");
		json_t *ver = json_object_get(d, "version");
		const char *sha = json_string_value(json_object_get(d, "sha256"));
		if (json_is_integer(ver) && sha) {
			const char *have = json_integer_value(ver) >= 0
						   ? json_string_value(json_array_get(doc_shas, (size_t)json_integer_value(ver)))
						   : NULL;
			if (!have || strcmp(have, sha) != 0) {
				docs_ok = 0;
				snprintf(dwhy, sizeof dwhy, "事件 %lld 所记录的文件版本 %lld 与证据包中的文件不符", (long long)idx,
					 (long long)json_integer_value(ver));
			}
		}
		json_decref(lj);
		json_t *pr = json_array_get(json_object_get(proofs, "proofs"), i);
		json_t *path = json_object_get(pr, "path");
		size_t plen = json_array_size(path);
		uint8_t(*pp)[32] = malloc((plen ? plen : 1) * 32);
		int ok = pp && json_integer_value(json_object_get(pr, "idx")) == idx &&
			 json_integer_value(json_object_get(pr, "tree_size")) == (json_int_t)tree;
		for (size_t k = 0; ok && k < plen; k++)
			ok = unhex32(pp[k], json_string_value(json_array_get(path, k))) == 0;
		if (!ok || hx_merkle_verify_inclusion(lh, (size_t)idx, tree, (const uint8_t(*)[32])pp, plen, root)) {
			proofs_ok = 0;
			snprintf(pwhy, sizeof pwhy, "事件 %lld 不在检查点的日志中", (long long)idx);
		}
		free(pp);
	}
	check(checks, "event_hashes", hashes_ok, hashes_ok ? "每个事件的哈希与内容一致" : why, all);
	check(checks, "inclusion_proofs", proofs_ok, proofs_ok ? "每个事件都在签名检查点的日志中" : pwhy, all);
	check(checks, "document_hashes", docs_ok, docs_ok ? "事件记录的文件哈希与证据包中的各版本一致" : dwhy, all);
}

/* The contract's own chain (migration 004): every event is this
 * contract's, in increasing log order, and each chained event is the
 * package's event number cseq and names the one before it (cprev). Events
 * from before the chain existed (no cseq) may only come first; a chained
 * event after them counts them too. What the chain cannot show — events
 * cut from the end — the signed manifest's count and last hash show. */
static void verify_chain(json_t *checks, int *all, json_t *events, json_int_t contract_id)
{
	size_t i;
	json_t *e;
	int ok = 1, chained = 0;
	char why[384] = "";
	json_int_t prev_idx = -1;
	const char *prev_hash = NULL;
	if (json_array_size(events) == 0) {
		ok = 0;
		snprintf(why, sizeof why, "证据包中没有任何事件（事件被全部删除）");
	}
	json_array_foreach(events, i, e) {
		if (!ok)
			break;
		json_int_t idx = json_integer_value(json_object_get(e, "idx"));
		json_t *lj = json_loads(json_string_value(json_object_get(e, "leaf")) ? json_string_value(json_object_get(e, "leaf")) : "",
				       0, NULL);
		json_t *cid = json_object_get(lj, "contract_id"), *cseq = json_object_get(lj, "cseq");
		const char *cprev = json_string_value(json_object_get(lj, "cprev"));
		if (!lj || !json_is_integer(json_object_get(e, "idx"))) {
			ok = 0;
			snprintf(why, sizeof why, "第 %zu 个事件无法解析", i + 1);
		} else if (idx <= prev_idx) {
			ok = 0;
			snprintf(why, sizeof why, "事件 %lld 排在事件 %lld 之后，日志序号不递增（事件被调换或重复）", (long long)idx,
				 (long long)prev_idx);
		} else if (!json_is_integer(cid) || json_integer_value(cid) != contract_id) {
			ok = 0;
			snprintf(why, sizeof why, "事件 %lld 属于合同 %lld，不是本合同 %lld 的事件（混入了其他合同的事件）",
				 (long long)idx, (long long)json_integer_value(cid), (long long)contract_id);
		} else if (cseq) {
			const char *want = i ? prev_hash : HX_EVIDENCE_ZERO;
			if (!json_is_integer(cseq) || json_integer_value(cseq) != (json_int_t)(i + 1)) {
				ok = 0;
				snprintf(why, sizeof why,
					 "事件 %lld 是本合同的第 %lld 个事件，在证据包中却排第 %zu 个（事件被删减、调换或重复）",
					 (long long)idx, (long long)json_integer_value(cseq), i + 1);
			} else if (!cprev || !want || strcmp(cprev, want) != 0) {
				ok = 0;
				snprintf(why, sizeof why, "事件 %lld 记录的上一事件哈希与证据包中排在它前面的事件不符（事件被删减、调换或替换）",
					 (long long)idx);
			}
			chained = 1;
		} else if (chained) {
			ok = 0;
			snprintf(why, sizeof why, "事件 %lld 没有本合同序号，却排在已编号的事件之后", (long long)idx);
		}
		prev_idx = idx;
		prev_hash = json_string_value(json_object_get(e, "hash"));
		json_decref(lj);
	}
	check(checks, "event_chain", ok,
	      !ok	  ? why
	      : chained ? "每个事件都属于本合同，按本合同序号 1…n 首尾相接，无删减、调换、重复或混入"
			: "每个事件都属于本合同；事件早于合同内序号，由签名清单的事件数与事件哈希保证完整",
	      all);
}

/* The manifest's count, list and last hash of the events (the tail). */
static void verify_count(json_t *checks, int *all, json_t *events, json_t *manifest)
{
	json_t *me = json_object_get(manifest, "events"), *hashes = json_object_get(me, "hashes");
	size_t n = json_array_size(events), i;
	json_int_t count = json_integer_value(json_object_get(me, "count"));
	const char *last = json_string_value(json_object_get(me, "last_hash"));
	const char *have_last = n ? json_string_value(json_object_get(json_array_get(events, n - 1), "hash")) : NULL;
	char why[256] = "";
	int ok = 1;
	if (!json_is_integer(json_object_get(me, "count")) || count != (json_int_t)n || json_array_size(hashes) != n) {
		ok = 0;
		snprintf(why, sizeof why, "签名清单记录本合同有 %lld 个事件，证据包中有 %zu 个（事件被删减或增加）",
			 (long long)count, n);
	} else if ((last || have_last) && (!last || !have_last || strcmp(last, have_last) != 0)) {
		ok = 0;
		snprintf(why, sizeof why, "最后一个事件与签名清单不符（末尾的事件被删去或替换）");
	}
	for (i = 0; ok && i < n; i++) {
		const char *a = json_string_value(json_array_get(hashes, i));
		const char *b = json_string_value(json_object_get(json_array_get(events, i), "hash"));
		if (!a || !b || strcmp(a, b) != 0) {
			ok = 0;
			snprintf(why, sizeof why, "第 %zu 个事件与签名清单记录的事件哈希不符（事件被删减、调换或替换）", i + 1);
		}
	}
	check(checks, "event_count", ok, ok ? "事件的数量、顺序与最后一个事件与签名清单一致" : why, all);
}

int hx_evidence_verify_package(json_t **report, const void *zipdata, size_t zlen, const char *ca_path,
			       const char *log_key_path, hx_err *err)
{
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(zipdata, zlen, 0, &ze);
	zip_t *z = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
	if (!z) {
		if (src)
			zip_source_free(src);
		return hx_err_set(err, HX_EBADREQ, "bad_package", "", "证据包不是有效的zip文件");
	}
	unsigned char *evj = NULL, *prj = NULL, *cpt = NULL, *lk = NULL, *ca = NULL, *pdf = NULL, *mj = NULL, *ms = NULL;
	size_t evn = 0, prn = 0, cpn = 0, lkn = 0, can = 0, pdfn = 0, mjn = 0, msn = 0;
	json_t *events = NULL, *proofs = NULL, *manifest = NULL, *checks = json_array(), *doc_shas = json_array(),
	       *pdfrep = NULL;
	EVP_PKEY *logk = NULL;
	char ca_tmp[PATH_MAX] = "", pdf_sha[65] = "", key_sha[65] = "";
	int rc = 0, all = 1;
	if (log_key_path) {
		FILE *f = fopen(log_key_path, "r");
		logk = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
		if (f)
			fclose(f);
		if (!logk) {
			rc = hx_err_set(err, HX_EBADREQ, "bad_key", "", "无法读取日志公钥 %s", log_key_path);
			goto done;
		}
	} else if (!zread(&lk, &lkn, z, "log-key.pem", 65536))
		logk = read_pub(lk, lkn);
	if (logk) { /* the key's fingerprint, to compare with the one the platform publishes */
		unsigned char *der = NULL;
		int dl = i2d_PUBKEY(logk, &der);
		if (dl > 0)
			hx_sha256_hex(key_sha, der, (size_t)dl);
		OPENSSL_free(der);
	}

	/* the signed manifest first: what the package must hold */
	int have_m = !zread(&mj, &mjn, z, "manifest.json", HX_PACKAGE_ENTRY_MAX) && !zread(&ms, &msn, z, "manifest.sig", 4096);
	if (!logk)
		check(checks, "manifest_signature", 0, "证据包缺少日志公钥 log-key.pem 或无法解析", &all);
	else if (!have_m)
		check(checks, "manifest_signature", 0,
		      "证据包缺少签名清单 manifest.json 或 manifest.sig（早于清单的证据包请重新下载）", &all);
	else if (!verify_b64(logk, mj, mjn, ms, msn))
		check(checks, "manifest_signature", 0, "签名清单的签名无效（清单被改动，或不是该日志密钥签发的）", &all);
	else if (!(manifest = json_loadb((const char *)mj, mjn, 0, NULL)) ||
		 !json_is_string(json_object_get(manifest, "format")) ||
		 strcmp(json_string_value(json_object_get(manifest, "format")), HX_MANIFEST_FORMAT) != 0) {
		json_decref(manifest);
		manifest = NULL;
		check(checks, "manifest_signature", 0, "签名清单的格式无法识别", &all);
	} else
		check(checks, "manifest_signature", 1, "签名清单由日志密钥签发", &all);
	if (manifest)
		verify_files(checks, &all, z, json_object_get(manifest, "files"));

	/* the files every package has */
	const char *missing = zread(&evj, &evn, z, "evidence.json", HX_PACKAGE_ENTRY_MAX)	? "evidence.json"
			      : zread(&prj, &prn, z, "proofs.json", HX_PACKAGE_ENTRY_MAX)	? "proofs.json"
			      : zread(&cpt, &cpn, z, "checkpoint.txt", 65536)			? "checkpoint.txt"
			      : zread(&pdf, &pdfn, z, "contract.pdf", HX_PADES_PDF_MAX)		? "contract.pdf"
			      : !ca_path && zread(&ca, &can, z, "ca.crt", 65536)		? "ca.crt"
			      : !logk								? "log-key.pem"
												: NULL;
	if (!missing) {
		events = json_loadb((const char *)evj, evn, 0, NULL);
		proofs = json_loadb((const char *)prj, prn, 0, NULL);
		if (!json_is_array(json_object_get(events, "events")) ||
		    !json_is_integer(json_object_get(events, "contract_id")) || !json_is_object(proofs))
			missing = "evidence.json 或 proofs.json（无法解析）";
	}
	if (missing) {
		char why[256];
		snprintf(why, sizeof why, "证据包缺少 %s，无法核验", missing);
		check(checks, "files_present", 0, why, &all);
		goto report;
	}
	json_int_t cid = json_integer_value(json_object_get(events, "contract_id"));
	json_t *evs = json_object_get(events, "events");
	if (manifest) {
		json_t *mc = json_object_get(manifest, "contract_id");
		int ok = json_is_integer(mc) && json_integer_value(mc) == cid;
		char why[160];
		snprintf(why, sizeof why, "evidence.json 的合同编号 %lld 与签名清单的 %lld 不符（合同编号被改动）", (long long)cid,
			 (long long)json_integer_value(mc));
		check(checks, "contract_id", ok, ok ? "合同编号与签名清单一致" : why, &all);
	}

	/* the revisions, in order */
	json_array_append_new(doc_shas, json_null());
	for (int v = 1; v < 100; v++) {
		unsigned char *b = NULL;
		size_t bn = 0;
		char name[32], sha[65];
		snprintf(name, sizeof name, "versions/%d.pdf", v);
		if (zread(&b, &bn, z, name, HX_PADES_PDF_MAX))
			break;
		hx_sha256_hex(sha, b, bn);
		free(b);
		json_array_append_new(doc_shas, json_string(sha));
	}
	hx_sha256_hex(pdf_sha, pdf, pdfn);
	const char *last = json_string_value(json_array_get(doc_shas, json_array_size(doc_shas) - 1));
	check(checks, "contract_is_last_version", last && strcmp(last, pdf_sha) == 0,
	      last && strcmp(last, pdf_sha) == 0 ? "contract.pdf 是最后一个版本" : "contract.pdf 与最后一个版本不同", &all);
	size_t tree = 0;
	uint8_t root[32];
	hx_err e2 = {0};
	char *cptext = strndup((const char *)cpt, cpn);
	int cp_ok = hx_merkle_checkpoint_verify(&tree, root, cptext, HX_EVIDENCE_ORIGIN, logk, &e2) == 0;
	free(cptext);
	check(checks, "checkpoint_signature", cp_ok, cp_ok ? "检查点签名有效" : e2.msg, &all);
	if (cp_ok) {
		/* proofs.json and the manifest name the checkpoint's tree */
		char root_hex[65], why[200] = "";
		hx_hex(root_hex, root, 32);
		json_t *mcp = json_object_get(manifest, "checkpoint");
		const char *pr = json_string_value(json_object_get(proofs, "root"));
		const char *mr = json_string_value(json_object_get(mcp, "root"));
		if (json_integer_value(json_object_get(proofs, "tree_size")) != (json_int_t)tree || !pr || strcmp(pr, root_hex))
			snprintf(why, sizeof why, "proofs.json 的日志大小或根哈希与签名检查点（%zu）不符", tree);
		else if (manifest && (json_integer_value(json_object_get(mcp, "size")) != (json_int_t)tree || !mr ||
				      strcmp(mr, root_hex)))
			snprintf(why, sizeof why, "签名清单的日志大小或根哈希与签名检查点（%zu）不符", tree);
		check(checks, "checkpoint_consistent", !*why,
		      *why ? why : "proofs.json 与签名清单的日志大小、根哈希与签名检查点一致", &all);
		verify_events(checks, &all, evs, proofs, tree, root, doc_shas);
	}
	verify_chain(checks, &all, evs, cid);
	verify_handwriting(checks, &all, evs, z);
	if (manifest)
		verify_count(checks, &all, evs, manifest);
	if (!ca_path) {
		if (write_tmp(ca_tmp, ca, can)) {
			rc = hx_err_set(err, HX_EIO, "io", "", "无法写入临时文件");
			goto done;
		}
	}
	hx_err e3 = {0};
	if (hx_pades_verify(&pdfrep, pdf, pdfn, ca_path ? ca_path : ca_tmp, &e3)) {
		check(checks, "signatures", 0, e3.msg, &all);
	} else {
		json_t *sigs = json_object_get(pdfrep, "signatures");
		size_t i;
		json_t *s;
		int ts_ok = json_array_size(sigs) > 0;
		json_array_foreach(sigs, i, s) {
			json_t *ts = json_object_get(s, "timestamp");
			if (!json_is_true(json_object_get(ts, "ok")))
				ts_ok = 0;
		}
		check(checks, "signatures", json_is_true(json_object_get(pdfrep, "valid")),
		      json_is_true(json_object_get(pdfrep, "valid")) ? "PDF 中的每个签名有效、证书可信、签名后未被改动"
								     : "PDF 签名无效或签名后被改动",
		      &all);
		check(checks, "timestamps", ts_ok, ts_ok ? "每个签名都有有效的 RFC 3161 时间戳" : "缺少有效的时间戳", &all);
	}
report:;
	/* the reason: what failed, in the order checked */
	hx_buf why;
	hx_buf_init(&why, 0);
	size_t i;
	json_t *ck;
	json_array_foreach(checks, i, ck) {
		if (json_is_true(json_object_get(ck, "ok")))
			continue;
		if (why.len)
			hx_buf_puts(&why, "；");
		hx_buf_puts(&why, json_string_value(json_object_get(ck, "detail")));
	}
	char *reason = hx_buf_steal(&why, NULL);
	const char *first = NULL; /* for the one-line message */
	json_array_foreach(checks, i, ck) {
		if (!first && !json_is_true(json_object_get(ck, "ok")))
			first = json_string_value(json_object_get(ck, "detail"));
	}
	char msg[400];
	snprintf(msg, sizeof msg, "%s", first && strlen(first) < sizeof msg ? first : "");
	json_t *cidj = json_object_get(events, "contract_id");
	*report = json_pack("{s:b,s:O,s:s?,s:o,s:o,s:s?,s:s?}", "ok", all, "contract_id", cidj ? cidj : json_null(),
			    "reason", all ? NULL : reason, "checks", checks, "pdf", pdfrep ? pdfrep : json_null(), "sha256",
			    *pdf_sha ? pdf_sha : NULL, "log_key_sha256", *key_sha ? key_sha : NULL);
	free(reason);
	checks = NULL;
	pdfrep = NULL;
	rc = all ? 0 : hx_err_set(err, HX_EINVAL, "evidence_invalid", "", "证据包核验未通过：%s", msg);
done:
	if (*ca_tmp)
		unlink(ca_tmp);
	zip_discard(z);
	free(evj);
	free(prj);
	free(cpt);
	free(lk);
	free(ca);
	free(pdf);
	free(mj);
	free(ms);
	json_decref(events);
	json_decref(proofs);
	json_decref(manifest);
	json_decref(checks);
	json_decref(doc_shas);
	json_decref(pdfrep);
	EVP_PKEY_free(logk);
	return rc;
}

int hx_contract_keys_make(const char *keys_dir, hx_err *err)
{
	EVP_PKEY *k = NULL;
	int rc = hx_ca_keys_make(keys_dir, err);
	if (!rc)
		rc = hx_evidence_log_key(&k, keys_dir, 1, err);
	EVP_PKEY_free(k);
	return rc;
}

int hx_contract_verify_package(json_t **report, const void *zip, size_t len, const char *ca_path,
			       const char *log_key_path, hx_err *err)
{
	return hx_evidence_verify_package(report, zip, len, ca_path, log_key_path, err);
}
