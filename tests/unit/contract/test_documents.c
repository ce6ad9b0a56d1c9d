/* Unit tests of a contract's stored revisions (src/contract/row.c,
 * hx_contract_doc_*): version 1 is a whole copy, each signed version the
 * bytes its incremental update appended (migration 010). Every version
 * reads back byte-identical to what was stored, whole copies written
 * before the migration still read (also with a delta after them), and a
 * swapped, altered or missing row is refused rather than read wrong.
 *
 * One SQLite store in a temp folder; each case runs in a write transaction
 * that is rolled back. Foreign keys are off: the cases store documents of
 * contract ids that have no contract row (the documents do not read it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contract/contract_impl.h"
#include "core/arena.h"
#include "core/crypto.h"
#include "store/store.h"

typedef struct fx {
	char dir[64];
	hx_store *store;
	hx_db *db;
	hx_keys keys;
	hx_ctx c;
	hx_err err;
	unsigned char *v[4]; /* revisions 1..3 (v[0] unused) */
	size_t len[4];
} fx;

#define OK(e)                                                                                  \
	do {                                                                                   \
		int rc_ = (e);                                                                 \
		if (rc_)                                                                       \
			fail_msg("%s -> %d [%s] %s (field %s)", #e, rc_, f->err.key, f->err.msg, \
				 f->err.field);                                                \
	} while (0)

/* Revision 1: 120 KB of varied bytes; 2 and 3 each append 38 KB, mostly
 * the '0' padding of an empty /Contents, as a signature's update does. */
static void make_revisions(fx *f)
{
	size_t base = 120 * 1024, add = 38 * 1024;
	for (int i = 1; i <= 3; i++) {
		f->len[i] = base + (size_t)(i - 1) * add;
		f->v[i] = malloc(f->len[i]);
		assert_non_null(f->v[i]);
	}
	uint32_t x = 12345;
	for (size_t i = 0; i < f->len[3]; i++) {
		x = x * 1103515245u + 12345u;
		f->v[3][i] = (unsigned char)(x >> 16);
	}
	for (int k = 0; k < 2; k++) /* each update: 3 KB of "CMS", then the padding */
		memset(f->v[3] + base + (size_t)k * add + 3072, '0', add - 4096);
	memcpy(f->v[1], f->v[3], f->len[1]);
	memcpy(f->v[2], f->v[3], f->len[2]);
}

static int group_setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/hx-documents-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char url[128];
	snprintf(url, sizeof url, "sqlite:%s/hexie.db", f->dir);
	OK(hx_store_open(&f->store, url, 1, &f->err));
	OK(hx_store_migrate(f->store, NULL, &f->err));
	OK(hx_db_get(&f->db, f->store, &f->err));
	OK(hx_db_exec(f->db, "PRAGMA foreign_keys=OFF", NULL, 0, NULL, &f->err));
	memset(f->keys.pii, 0x11, sizeof f->keys.pii);
	memset(f->keys.pii_index, 0x22, sizeof f->keys.pii_index);
	memset(f->keys.misc, 0x33, sizeof f->keys.misc);
	f->c = (hx_ctx){.db = f->db, .keys = &f->keys, .ip = "test"};
	make_revisions(f);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	fx *f = *state;
	if (!f)
		return 0;
	if (f->db)
		hx_db_put(f->db);
	hx_store_close(f->store);
	char path[PATH_MAX];
	DIR *d = opendir(f->dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(f->dir);
	for (int i = 1; i <= 3; i++)
		free(f->v[i]);
	free(f);
	return 0;
}

static int setup(void **state)
{
	fx *f = *state;
	f->c.arena = hx_arena_new();
	hx_err_clear(&f->err);
	OK(hx_db_begin_write(f->db, &f->err));
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	hx_db_rollback(f->db);
	hx_arena_free(f->c.arena);
	f->c.arena = NULL;
	return 0;
}

/* Stores revision v of contract id: a whole copy, or the delta from v-1. */
static void store_rev(fx *f, long long id, int v, int delta)
{
	char sha[65], *sealed = NULL;
	if (delta)
		OK(hx_contract_doc_seal_delta(&sealed, sha, &f->c, f->v[v], f->len[v], f->len[v - 1], &f->err));
	else
		OK(hx_contract_doc_seal(&sealed, sha, &f->c, f->v[v], f->len[v], &f->err));
	OK(hx_contract_doc_insert(&f->c, id, v, sha, f->len[v], delta, sealed, &f->err));
	free(sealed);
}

/* Revision v reads back whole: the same bytes and their SHA-256. */
static void reads_back(fx *f, long long id, int v)
{
	unsigned char *pdf = NULL;
	size_t len = 0;
	char sha[65], want[65];
	OK(hx_contract_doc_get(&pdf, &len, sha, &f->c, id, v, &f->err));
	assert_int_equal(len, f->len[v]);
	assert_memory_equal(pdf, f->v[v], len);
	hx_sha256_hex(want, f->v[v], f->len[v]);
	assert_string_equal(sha, want);
	free(pdf);
}

static long long stored_len(fx *f, long long id, int v)
{
	long long n = -1;
	hx_param p[] = {hx_p_int(id), hx_p_int(v)};
	OK(hx_db_int(f->db, &n, "SELECT LENGTH(pdf_enc) FROM contract_documents WHERE contract_id = ? AND version = ?", p,
		     2, &f->err));
	return n;
}

static void test_signed_revisions_store_the_appended_bytes_and_read_back_whole(void **state)
{
	fx *f = *state;
	store_rev(f, 101, 1, 0);
	store_rev(f, 101, 2, 1);
	store_rev(f, 101, 3, 1);
	for (int v = 1; v <= 3; v++)
		reads_back(f, 101, v);
	/* a whole copy would be over 210 KB of base64; the appended 38 KB
	 * deflate to a few: under 16 KB a signature */
	assert_true(stored_len(f, 101, 1) > 150 * 1024);
	assert_true(stored_len(f, 101, 2) < 16 * 1024);
	assert_true(stored_len(f, 101, 3) < 16 * 1024);
	long long deltas = 0;
	hx_param p[] = {hx_p_int(101)};
	OK(hx_db_int(f->db, &deltas, "SELECT SUM(delta) FROM contract_documents WHERE contract_id = ?", p, 1, &f->err));
	assert_int_equal(deltas, 2);
}

static void test_whole_copies_from_before_the_migration_still_read(void **state)
{
	fx *f = *state;
	/* as stored before migration 010: every version whole (delta = 0) */
	store_rev(f, 102, 1, 0);
	store_rev(f, 102, 2, 0);
	for (int v = 1; v <= 2; v++)
		reads_back(f, 102, v);
	/* the next signature after the upgrade: a delta on the old whole copy */
	store_rev(f, 102, 3, 1);
	reads_back(f, 102, 3);
	reads_back(f, 102, 2);
}

static void test_swapped_delta_is_refused(void **state)
{
	fx *f = *state;
	store_rev(f, 103, 1, 0);
	store_rev(f, 103, 2, 1);
	store_rev(f, 103, 3, 1);
	/* version 3's appended bytes put in version 2's place: they decrypt,
	 * but the result is not what was stored */
	hx_param p[] = {hx_p_int(103)};
	OK(hx_db_exec(f->db,
		      "UPDATE contract_documents SET pdf_enc = (SELECT pdf_enc FROM contract_documents d"
		      " WHERE d.contract_id = contract_documents.contract_id AND d.version = 3)"
		      " WHERE contract_id = ? AND version = 2",
		      p, 1, NULL, &f->err));
	unsigned char *pdf = NULL;
	size_t len = 0;
	for (int v = 2; v <= 3; v++) {
		hx_err e = {0};
		assert_int_equal(hx_contract_doc_get(&pdf, &len, NULL, &f->c, 103, v, &e), HX_EINTERNAL);
		assert_string_equal(e.key, "document_tampered");
		assert_null(pdf);
	}
	reads_back(f, 103, 1);
}

static void test_delta_marked_whole_is_refused(void **state)
{
	fx *f = *state;
	store_rev(f, 104, 1, 0);
	store_rev(f, 104, 2, 1);
	hx_param p[] = {hx_p_int(104)};
	/* the flag flipped: sealed for a delta, it does not open as a whole copy */
	OK(hx_db_exec(f->db, "UPDATE contract_documents SET delta = 0 WHERE contract_id = ? AND version = 2", p, 1, NULL,
		      &f->err));
	unsigned char *pdf = NULL;
	size_t len = 0;
	hx_err e = {0};
	assert_true(hx_contract_doc_get(&pdf, &len, NULL, &f->c, 104, 2, &e) < 0);
	assert_null(pdf);
}

static void test_missing_revision_breaks_the_chain(void **state)
{
	fx *f = *state;
	store_rev(f, 105, 1, 0);
	store_rev(f, 105, 2, 1);
	store_rev(f, 105, 3, 1);
	hx_param p[] = {hx_p_int(105)};
	OK(hx_db_exec(f->db, "DELETE FROM contract_documents WHERE contract_id = ? AND version = 2", p, 1, NULL, &f->err));
	unsigned char *pdf = NULL;
	size_t len = 0;
	hx_err e = {0};
	assert_int_equal(hx_contract_doc_get(&pdf, &len, NULL, &f->c, 105, 2, &e), HX_ENOTFOUND);
	assert_int_equal(hx_contract_doc_get(&pdf, &len, NULL, &f->c, 105, 3, &e), HX_EINTERNAL);
	assert_string_equal(e.key, "document_tampered");
	assert_null(pdf);
}

static void test_delta_needs_appended_bytes(void **state)
{
	fx *f = *state;
	char sha[65], *sealed = NULL;
	hx_err e = {0};
	assert_int_equal(hx_contract_doc_seal_delta(&sealed, sha, &f->c, f->v[2], f->len[2], f->len[2], &e), HX_EINTERNAL);
	assert_int_equal(hx_contract_doc_seal_delta(&sealed, sha, &f->c, f->v[2], f->len[2], 0, &e), HX_EINTERNAL);
	assert_null(sealed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signed_revisions_store_the_appended_bytes_and_read_back_whole, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_whole_copies_from_before_the_migration_still_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_delta_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_marked_whole_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_revision_breaks_the_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta_needs_appended_bytes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
