/* Offline verification of a contract's evidence package (证据包核验,
 * `hexie verify`): with nothing but the package, the CA certificate and
 * the log's public key, it checks the package — the signed manifest
 * against every file in it, the handwriting images, each event's hash,
 * its inclusion in the signed checkpoint and the document hashes it
 * records, the chain and count of events (nothing dropped, reordered,
 * duplicated or borrowed from another contract), and the signatures and
 * timestamps of the last PDF — and reports each check with its verdict. */
#include "contract_impl.h"

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
		hx_evidence_chain_hash(h, prev, leaf);
		hx_merkle_leaf_hash(lh, leaf, strlen(leaf));
		json_t *lj = json_loads(leaf, 0, NULL);
		const char *lprev = json_string_value(json_object_get(lj, "prev"));
		if (strcmp(h, hash) != 0 || hx_evidence_unhex32(lh_given, lh_hex) || memcmp(lh, lh_given, 32) != 0 || !lprev ||
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
			ok = hx_evidence_unhex32(pp[k], json_string_value(json_array_get(path, k))) == 0;
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

int hx_contract_verify_package(json_t **report, const void *zip, size_t len, const char *ca_path,
			       const char *log_key_path, hx_err *err)
{
	return hx_evidence_verify_package(report, zip, len, ca_path, log_key_path, err);
}
