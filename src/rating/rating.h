/* Rating (和谐企业/园区评价): rubrics as data (data/rubrics/ (one JSON file per version), see
 * docs/rubric-format.md), loaded and checked once, and a scoring engine
 * that turns a facts object (answers and metrics) into a score sheet with
 * exact half points, vetoes and warnings. Campaigns, department review and
 * the worker poll build on this engine. */
#ifndef HX_RATING_H
#define HX_RATING_H

#include <jansson.h>
#include <stddef.h>

#include "../core/err.h"

typedef struct hx_rubric hx_rubric;
typedef struct hx_rubric_set hx_rubric_set;

/* Loads every *.json under dir. A malformed file fails the whole load with
 * err->msg naming the file, the JSON path and the reason. */
int hx_rubric_set_load(hx_rubric_set **out, const char *dir, hx_err *err);
void hx_rubric_set_free(hx_rubric_set *s);
size_t hx_rubric_set_count(const hx_rubric_set *s);
const hx_rubric *hx_rubric_set_at(const hx_rubric_set *s, size_t i);
/* The rubric with this id: the given version, or the highest when
 * version is 0. NULL when there is none. */
const hx_rubric *hx_rubric_set_find(const hx_rubric_set *s, const char *id, int version);

/* Parses one rubric from JSON text (what the loader does per file). */
int hx_rubric_parse(hx_rubric **out, const char *text, size_t len, const char *name, hx_err *err);
void hx_rubric_free(hx_rubric *r);

const char *hx_rubric_id(const hx_rubric *r);
int hx_rubric_version(const hx_rubric *r);
const char *hx_rubric_title(const hx_rubric *r);
const char *hx_rubric_subject(const hx_rubric *r);
const char *hx_rubric_sha256(const hx_rubric *r); /* of the file's bytes */
/* The rubric as JSON (as loaded: items, criteria, rules, metrics). */
json_t *hx_rubric_json(const hx_rubric *r);
/* A short listing entry {id, version, title, subject, total, items, criteria}. */
json_t *hx_rubric_summary_json(const hx_rubric *r);

/* Facts compiled against a rubric: answers indexed by criterion, metrics by
 * the rubric's metric list, values as exact integers. */
typedef struct hx_facts hx_facts;
/* Checks and compiles facts ({"answers":{…},"metrics":{…}}). HX_EINVAL
 * naming the problem for: an unknown criterion id, an answer number outside
 * 0…max (or not in halves), a rate outside 0…1, a metric of the wrong type,
 * a malformed object. Unknown metric names become warnings. */
int hx_facts_compile(hx_facts **out, const hx_rubric *r, const json_t *facts, hx_err *err);
void hx_facts_free(hx_facts *f);

/* The score sheet of one evaluation. Scores are in half points. */
typedef struct hx_score {
	int total2, max2;
	int vetoed;
	int *item2;      /* per item */
	int *criterion2; /* per criterion */
	int nvetoes;
	int *vetoes;     /* criterion indexes */
	int nwarnings;
} hx_score;

/* Allocates a score sheet sized for r (reuse it across evaluations). */
hx_score *hx_score_new(const hx_rubric *r);
void hx_score_free(hx_score *s);
/* Scores facts into s. No allocation: fit for hot loops. */
void hx_rate(hx_score *s, const hx_rubric *r, const hx_facts *f);
/* The full result as JSON (docs/rubric-format.md): rubric, version, total,
 * max, vetoed, vetoes, items with criteria, warnings. */
json_t *hx_score_json(const hx_score *s, const hx_rubric *r, const hx_facts *f);

#endif
