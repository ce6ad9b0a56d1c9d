/* The evidence of electronic contracts (电子合同证据链): every step of every
 * contract — identity check, code sent, code confirmed, view, signature,
 * timestamp, notification, download, change — is one row of an
 * append-only table, in one sequence for the whole platform. Each row
 * carries the hash of the row before it, and is a leaf of the Merkle log
 * (RFC 9162) whose signed checkpoints let anyone check, offline, that an
 * event was in the log and that the log only grew. The evidence package
 * of a contract bundles its PDF revisions, its events, their inclusion
 * proofs, a checkpoint and the keys to check them with (`hexie verify`, in verify.c). */
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

#include "../core/timeutil.h"
#include "../report/report.h"

int hx_evidence_unhex32(uint8_t out[32], const char *hex)
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

void hx_evidence_chain_hash(char out[65], const char *prev_hex, const char *leaf)
{
	uint8_t prev[32] = {0};
	hx_evidence_unhex32(prev, prev_hex);
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
	if (r->nrows != 1 || hx_evidence_unhex32(out, hx_rows_get(r, 0, "hash")))
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
	hx_evidence_chain_hash(hash, prev, text);
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
		if (hx_rows_int(r, (int)i, "idx") != i || hx_evidence_unhex32(leaves[i], hx_rows_get(r, (int)i, "leaf_hash"))) {
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

int hx_contract_keys_make(const char *keys_dir, hx_err *err)
{
	EVP_PKEY *k = NULL;
	int rc = hx_ca_keys_make(keys_dir, err);
	if (!rc)
		rc = hx_evidence_log_key(&k, keys_dir, 1, err);
	EVP_PKEY_free(k);
	return rc;
}
