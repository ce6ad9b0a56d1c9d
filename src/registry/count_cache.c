/* Totals of list queries, kept per process and reused while the store's
 * change counter for the table (registry_generations) has not moved. A list
 * page then costs an index walk of 20 rows instead of a count over the
 * whole table. The counter is read in the request's own transaction, so a
 * total is never older than the rows it is shown with. */
#include "registry_impl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../core/crypto.h"

#define SLOTS 512

struct slot {
	char key[65]; /* SHA-256 of the query and its parameters */
	long long gen;
	long long total;
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

int hx_registry_count(long long *total, hx_ctx *c, int table, const char *sql, const hx_param *p,
		      int np, hx_err *err)
{
	long long gen = 0;
	/* table 1: enterprises and areas; 2: workers, whose lists also read
	 * enterprises, so they follow both counters (their sum). */
	hx_param g[] = {hx_p_int(table)};
	int rc = table == 1 ? hx_db_int(c->db, &gen, "SELECT n FROM registry_generations WHERE id = ?", g, 1, err)
			    : hx_db_int(c->db, &gen, "SELECT sum(n) FROM registry_generations", NULL, 0, err);
	if (rc)
		return rc;
	char key[65];
	key_of(key, sql, p, np);
	unsigned h = (unsigned)strtoul((char[9]){key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7], 0}, NULL, 16);
	pthread_mutex_lock(&mu);
	for (int k = 0; k < 4; k++) {
		struct slot *s = &cache[(h + (unsigned)k) % SLOTS];
		if (s->gen == gen && strcmp(s->key, key) == 0) {
			s->used = ++tick;
			*total = s->total;
			pthread_mutex_unlock(&mu);
			return 0;
		}
	}
	pthread_mutex_unlock(&mu);
	if ((rc = hx_db_int(c->db, total, sql, p, np, err)))
		return rc;
	pthread_mutex_lock(&mu);
	struct slot *victim = &cache[h % SLOTS];
	for (int k = 0; k < 4; k++) {
		struct slot *s = &cache[(h + (unsigned)k) % SLOTS];
		if (strcmp(s->key, key) == 0 || s->used < victim->used) {
			victim = s;
			if (strcmp(s->key, key) == 0)
				break;
		}
	}
	memcpy(victim->key, key, sizeof key);
	victim->gen = gen;
	victim->total = *total;
	victim->used = ++tick;
	pthread_mutex_unlock(&mu);
	return 0;
}
