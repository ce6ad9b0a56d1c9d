/* Benchmark: health-check report PDFs (体检报告), as the batch job makes
 * them. Builds N report objects shaped like hx_checkup_report's answer
 * from the real checklist — random risks (about one item in eight, some
 * reports with none), graded by the checklist's own rule, a rectification
 * plan in every state — then renders every one to PDF in one process, on
 * THREADS threads, with no I/O in the loop. Prints reports per second and
 * what a county's 210 reports take at that rate.
 *
 *   build/bench/checkup_reports [DATA_DIR] [N] [THREADS] [SAMPLE.pdf]
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkup/checkup.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *const STATUS[] = {"open", "answered", "confirmed", "reopened"};

/* One report like hx_checkup_report's: check, areas, risks, plan, grading. */
static json_t *make_report(const hx_checklist *l, json_t *doc, int k, unsigned *seed)
{
	json_t *items = json_object_get(doc, "items"), *answers = json_object(), *risky = json_object();
	size_t i, j;
	json_t *it, *a;
	int clean = rand_r(seed) % 10 == 0; /* one report in ten finds nothing */
	json_array_foreach(items, i, it) {
		int r = rand_r(seed) % 100;
		const char *res = !clean && r < 12 ? "risk" : r > 95 ? "na" : "pass";
		const char *id = json_string_value(json_object_get(it, "id"));
		json_object_set_new(answers, id, json_string(res));
		if (strcmp(res, "risk") == 0)
			json_object_set_new(risky, id, json_true());
	}
	char grade = 'A';
	int score = 0;
	json_t *flags = NULL;
	hx_err err = {0};
	if (hx_checklist_grade(&grade, &score, &flags, l, risky, &err) == 0)
		json_decref(flags);
	json_t *areas = json_array();
	json_array_foreach(json_object_get(doc, "areas"), i, a) {
		const char *aid = json_string_value(json_object_get(a, "id"));
		int total = 0, passed = 0, risk = 0;
		json_array_foreach(items, j, it) {
			if (strcmp(json_string_value(json_object_get(it, "area")), aid) != 0)
				continue;
			const char *res = json_string_value(json_object_get(answers, json_string_value(json_object_get(it, "id"))));
			if (strcmp(res, "na") == 0)
				continue;
			total++;
			passed += strcmp(res, "pass") == 0;
			risk += strcmp(res, "risk") == 0;
		}
		json_array_append_new(areas, json_pack("{s:s,s:O,s:i,s:i,s:i,s:i}", "id", aid, "name", json_object_get(a, "name"),
						       "checked", total, "passed", passed, "risks", risk, "score",
						       total ? 100 * passed / total : 100));
	}
	json_t *risks = json_array(), *plan = json_array();
	json_array_foreach(items, i, it) {
		const char *id = json_string_value(json_object_get(it, "id"));
		if (!json_object_get(risky, id))
			continue;
		json_array_append_new(risks, json_pack("{s:s,s:O,s:O,s:O,s:O,s:O,s:O,s:s,s:b}", "item_id", id, "area",
						       json_object_get(it, "area"), "title", json_object_get(it, "title"),
						       "severity", json_object_get(it, "severity"), "basis",
						       json_object_get(it, "basis"), "advice", json_object_get(it, "advice"),
						       "case", json_object_get(it, "case"), "note",
						       "现场抽查职工名册、劳动合同台账和近三个月工资表，发现该项存在问题，企业人事负责人在场确认。",
						       "auto", 0));
		const char *st = STATUS[rand_r(seed) % 4];
		int open = strcmp(st, "open") == 0;
		json_array_append_new(plan, json_pack("{s:s,s:O,s:s,s:s?,s:s?,s:s?}", "item_id", id, "title",
						      json_object_get(it, "title"), "status", st, "action",
						      open ? NULL : "对照整改建议逐项整改，修订相关制度并经职工代表大会讨论后公示",
						      "due_on", open ? NULL : "2026-12-31", "followup_note",
						      strcmp(st, "confirmed") == 0 ? "回访核实已整改到位"
						      : strcmp(st, "reopened") == 0 ? "回访发现尚未公示，退回继续整改"
										    : NULL));
	}
	json_decref(answers);
	json_decref(risky);
	char name[128], g[2] = {grade, 0};
	snprintf(name, sizeof name, "云和县示例木制玩具有限公司%03d", k + 1);
	json_t *check = json_pack("{s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:i,s:n}", "id", k + 1, "year", 2026, "enterprise_name",
				  name, "org_name", "丽水市某某劳动关系咨询服务有限公司", "scheduled_on", "2026-09-15",
				  "reported_at", "2026-09-20T02:30:00Z", "grade", g, "score", score, "regraded_from");
	json_t *grading = json_object_get(doc, "grading");
	return json_pack("{s:o,s:s,s:o,s:o,s:o,s:O,s:O,s:O}", "check", check, "enterprise_name", name, "areas", areas,
			 "risks", risks, "plan", plan, "grading", json_object_get(grading, "explain"), "checklist_title",
			 json_object_get(doc, "title"), "checklist_source", json_object_get(doc, "source"));
}

typedef struct work {
	json_t **reports;
	int n;
	atomic_int next;
	atomic_long bytes;
	atomic_int failed;
	const char *sample;
} work;

static void *render(void *arg)
{
	work *w = arg;
	for (int i; (i = atomic_fetch_add(&w->next, 1)) < w->n;) {
		char *pdf = NULL;
		size_t len = 0;
		hx_err err = {0};
		if (hx_checkup_report_pdf(&pdf, &len, w->reports[i], &err)) {
			fprintf(stderr, "report %d: %s\n", i, err.msg);
			atomic_fetch_add(&w->failed, 1);
			continue;
		}
		atomic_fetch_add(&w->bytes, (long)len);
		if (i == 0 && w->sample) {
			FILE *f = fopen(w->sample, "wb");
			if (f) {
				fwrite(pdf, 1, len, f);
				fclose(f);
			}
		}
		free(pdf);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *data = argc > 1 ? argv[1] : "data";
	int n = argc > 2 ? atoi(argv[2]) : 210;
	int threads = argc > 3 ? atoi(argv[3]) : 2;
	if (n < 1 || threads < 1 || threads > 64) {
		fprintf(stderr, "usage: checkup_reports [DATA_DIR] [N] [THREADS] [SAMPLE.pdf]\n");
		return 2;
	}
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/checklists", data);
	hx_checklist **lists = NULL;
	size_t nlists = 0;
	hx_err err = {0};
	if (hx_checklist_load_dir(&lists, &nlists, dir, &err) || !nlists) {
		fprintf(stderr, "%s\n", nlists ? err.msg : "no checklist");
		return 1;
	}
	const hx_checklist *l = lists[0];
	for (size_t i = 1; i < nlists; i++)
		if (hx_checklist_version(lists[i]) > hx_checklist_version(l))
			l = lists[i];
	json_t *doc = hx_checklist_json(l);
	unsigned seed = 42;
	work w = {.n = n, .sample = argc > 4 ? argv[4] : NULL};
	w.reports = calloc((size_t)n, sizeof *w.reports);
	size_t nrisks = 0;
	for (int k = 0; k < n; k++) {
		w.reports[k] = make_report(l, doc, k, &seed);
		nrisks += json_array_size(json_object_get(w.reports[k], "risks"));
	}
	double t0 = now();
	pthread_t th[64];
	for (int t = 0; t < threads; t++)
		pthread_create(&th[t], NULL, render, &w);
	for (int t = 0; t < threads; t++)
		pthread_join(th[t], NULL);
	double dt = now() - t0;
	double rate = (double)n / dt;
	printf("checkup report PDFs (%s v%d, %.1f risks per report on average)\n", hx_checklist_id(l),
	       hx_checklist_version(l), (double)nrisks / n);
	printf("  %d reports on %d thread%s: %.2f s, %.1f reports/s, %.0f KB per PDF%s\n", n, threads,
	       threads > 1 ? "s" : "", dt, rate, (double)atomic_load(&w.bytes) / 1024 / n,
	       atomic_load(&w.failed) ? " (SOME FAILED)" : "");
	printf("  210 reports at this rate: %.1f s\n", 210 / rate);
	for (int k = 0; k < n; k++)
		json_decref(w.reports[k]);
	free(w.reports);
	json_decref(doc);
	for (size_t i = 0; i < nlists; i++)
		hx_checklist_free(lists[i]);
	free(lists);
	return 0;
}
