/* Results of list queries — totals and whole first pages — kept per
 * process and reused while the store's change counter for the tables they
 * read (registry_generations, bumped by triggers on every write) has not
 * moved. The counter is read in the request's own transaction, so nothing
 * served from here is older than the transaction's view of the store, and
 * several processes sharing a store each see every change.
 *
 * Only read transactions use the cache: a transaction that wrote could
 * store a result under a counter value that its rollback then hands to a
 * different change. */
#include "registry_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/crypto.h"

#define SLOTS 512
#define MAX_VALUE (256 * 1024)

struct slot {
	char key[65]; /* SHA-256 of what the result depends on */
	long long gen;
	long long total;
	char *text; /* a serialized answer, or NULL for a total */
	unsigned long long used;
};

static struct slot cache[SLOTS];
static unsigned long long tick;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void key_of(char out[65], const char *sql, const hx_param *p, int np)
{
	hx_buf b;
	hx_buf_init(&b, 1 << 20);
	hx_buf_puts(&b, sql);
	for (int i = 0; i < np; i++) {
		if (p[i].type == HX_P_TEXT)
			hx_buf_printf(&b, "\x1ft%s", p[i].s);
		else if (p[i].type == HX_P_INT)
			hx_buf_printf(&b, "\x1fi%lld", p[i].i);
		else
			hx_buf_puts(&b, "\x1fn");
	}
	hx_sha256_hex(out, b.data ? b.data : "", b.len);
	hx_buf_free(&b);
}

static unsigned bucket(const char *key)
{
	unsigned h = 0;
	for (int i = 0; i < 8; i++)
		h = h * 16 + (unsigned)(key[i] <= '9' ? key[i] - '0' : key[i] - 'a' + 10);
	return h;
}

int hx_registry_generation(long long *gen, hx_ctx *c, int table, hx_err *err)
{
	/* table 1: enterprises and areas; 2: workers, whose lists also read
	 * enterprises, so they follow both counters (their sum). */
	hx_param g[] = {hx_p_int(table)};
	return table == 1 ? hx_db_int(c->db, gen, "SELECT n FROM registry_generations WHERE id = ?", g, 1, err)
			  : hx_db_int(c->db, gen, "SELECT sum(n) FROM registry_generations", NULL, 0, err);
}

/* Finds key at gen; returns the slot (locked) or NULL. */
static struct slot *find(const char *key, long long gen)
{
	unsigned h = bucket(key);
	for (int k = 0; k < 4; k++) {
		struct slot *s = &cache[(h + (unsigned)k) % SLOTS];
		if (s->gen == gen && strcmp(s->key, key) == 0) {
			s->used = ++tick;
			return s;
		}
	}
	return NULL;
}

static void put(const char *key, long long gen, long long total, const char *text)
{
	unsigned h = bucket(key);
	struct slot *victim = &cache[h % SLOTS];
	for (int k = 0; k < 4; k++) {
		struct slot *s = &cache[(h + (unsigned)k) % SLOTS];
		if (strcmp(s->key, key) == 0) {
			victim = s;
			break;
		}
		if (s->used < victim->used)
			victim = s;
	}
	free(victim->text);
	memcpy(victim->key, key, 65);
	victim->gen = gen;
	victim->total = total;
	victim->text = text ? strdup(text) : NULL;
	victim->used = ++tick;
}

int hx_registry_count(long long *total, hx_ctx *c, int table, const char *sql, const hx_param *p,
		      int np, hx_err *err)
{
	long long gen = 0;
	if (!hx_db_in_read_tx(c->db))
		return hx_db_int(c->db, total, sql, p, np, err);
	int rc = hx_registry_generation(&gen, c, table, err);
	if (rc)
		return rc;
	char key[65];
	key_of(key, sql, p, np);
	pthread_mutex_lock(&mu);
	struct slot *s = find(key, gen);
	if (s && !s->text) {
		*total = s->total;
		pthread_mutex_unlock(&mu);
		return 0;
	}
	pthread_mutex_unlock(&mu);
	if ((rc = hx_db_int(c->db, total, sql, p, np, err)))
		return rc;
	pthread_mutex_lock(&mu);
	put(key, gen, *total, NULL);
	pthread_mutex_unlock(&mu);
	return 0;
}

char *hx_registry_cache_get(const char *what, long long gen)
{
	char key[65];
	key_of(key, what, NULL, 0);
	char *out = NULL;
	pthread_mutex_lock(&mu);
	struct slot *s = find(key, gen);
	if (s && s->text)
		out = strdup(s->text);
	pthread_mutex_unlock(&mu);
	return out;
}

void hx_registry_cache_put(const char *what, long long gen, const char *text)
{
	if (strlen(text) > MAX_VALUE)
		return;
	char key[65];
	key_of(key, what, NULL, 0);
	pthread_mutex_lock(&mu);
	put(key, gen, 0, text);
	pthread_mutex_unlock(&mu);
}
