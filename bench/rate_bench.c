/* Benchmark: scoring throughput of the rating engine. Builds N facts
 * objects with random answers and metrics for a rubric, compiles them, and
 * scores 100,000 evaluations in one process with no file I/O in the loop.
 * Prints evaluations per second (scoring only, and compile + score).
 *
 *   build/bench/rate_bench [DATA_DIR] [RUBRIC_ID] [EVALUATIONS]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rating/rating.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *data = argc > 1 ? argv[1] : "data";
	const char *id = argc > 2 ? argv[2] : "lishui-2021-enterprise";
	long n = argc > 3 ? atol(argv[3]) : 100000;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/rubrics", data);
	hx_rubric_set *set = NULL;
	hx_err err = {0};
	if (hx_rubric_set_load(&set, dir, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	const hx_rubric *r = hx_rubric_set_find(set, id, 0);
	if (!r) {
		fprintf(stderr, "no rubric %s in %s\n", id, dir);
		return 1;
	}
	/* the rubric's criteria and metrics, from its own JSON */
	json_t *doc = hx_rubric_json(r);
	json_t *crit = json_array(), *metrics = json_object_get(doc, "metrics");
	size_t i, j, k;
	json_t *it, *el, *c;
	json_array_foreach(json_object_get(doc, "items"), i, it) {
		json_array_foreach(json_object_get(it, "criteria"), j, c)
			json_array_append(crit, c);
		json_array_foreach(json_object_get(it, "elements"), j, el)
			json_array_foreach(json_object_get(el, "criteria"), k, c)
				json_array_append(crit, c);
	}
	enum { VARIANTS = 1000 };
	hx_facts *facts[VARIANTS];
	char *texts[VARIANTS];
	srand(42);
	double t0 = now();
	for (int v = 0; v < VARIANTS; v++) {
		json_t *f = json_object(), *a = json_object(), *m = json_object();
		json_array_foreach(crit, i, c) {
			double max = json_number_value(json_object_get(c, "max"));
			int r3 = rand() % 3;
			if (max > 0 && r3 == 2)
				json_object_set_new(a, json_string_value(json_object_get(c, "id")),
						    json_real((double)(rand() % ((int)(max * 2) + 1)) / 2));
			else
				json_object_set_new(a, json_string_value(json_object_get(c, "id")),
						    json_boolean(rand() % 10 != 0 ? max > 0 : max == 0));
		}
		const char *mk;
		json_t *mv;
		json_object_foreach(metrics, mk, mv) {
			const char *t = json_string_value(json_object_get(mv, "type"));
			if (strcmp(t, "bool") == 0)
				json_object_set_new(m, mk, json_boolean(rand() % 2));
			else if (strcmp(t, "rate") == 0)
				json_object_set_new(m, mk, json_real(0.5 + (rand() % 501) / 1000.0));
			else
				json_object_set_new(m, mk, json_integer(rand() % 5000));
		}
		json_object_set_new(f, "answers", a);
		json_object_set_new(f, "metrics", m);
		texts[v] = json_dumps(f, JSON_COMPACT);
		if (hx_facts_compile(&facts[v], r, f, &err)) {
			fprintf(stderr, "facts: %s\n", err.msg);
			return 1;
		}
		json_decref(f);
	}
	double t1 = now();
	hx_score *s = hx_score_new(r);
	long long sum = 0;
	double t2 = now();
	for (long e = 0; e < n; e++) {
		hx_rate(s, r, facts[e % VARIANTS]);
		sum += s->total2 + s->vetoed;
	}
	double t3 = now();
	/* end to end: each evaluation parses its facts text, checks and
	 * compiles it, and scores it */
	double t4 = now();
	for (long e = 0; e < n; e++) {
		json_t *doc_e = json_loads(texts[e % VARIANTS], 0, NULL);
		hx_facts *f = NULL;
		if (!doc_e || hx_facts_compile(&f, r, doc_e, &err))
			return 1;
		hx_rate(s, r, f);
		sum += s->total2;
		hx_facts_free(f);
		json_decref(doc_e);
	}
	double t5 = now();
	printf("rubric %s v%d: %ld evaluations in %.3f s on one core\n", hx_rubric_id(r), hx_rubric_version(r), n,
	       t3 - t2);
	printf("scoring only:            %.0f evaluations/s\n", (double)n / (t3 - t2));
	printf("parse + check + score:   %.0f evaluations/s (from the facts JSON text each time)\n",
	       (double)n / (t5 - t4));
	(void)t0;
	(void)t1;
	printf("(checksum %lld)\n", sum);
	hx_score_free(s);
	for (int v = 0; v < VARIANTS; v++) {
		hx_facts_free(facts[v]);
		free(texts[v]);
	}
	json_decref(crit);
	json_decref(doc);
	hx_rubric_set_free(set);
	return 0;
}
