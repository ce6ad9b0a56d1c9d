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

/* The filled score sheet (评分表) as an A4 PDF, laid out like the seeds'
 * tables (考核项目 / 分值 / 评分标准 / 考评单位 / 得分; evaluation elements
 * as sub-rows; 否决 / 未否决 per veto condition), with the rubric, the
 * applicant, the date (YYYY-MM-DD; NULL: today) and the result above it
 * and the warnings under 提示. *out is malloc'd (free()). HX_EINVAL
 * (field "applicant" or "date") for a name over 300 bytes or not UTF-8,
 * or a malformed date; the PDF renderer's errors otherwise (src/report). */
int hx_rating_sheet_pdf(char **out, size_t *len, const hx_score *s, const hx_rubric *r, const hx_facts *f,
			const char *applicant, const char *date, hx_err *err);

/* ---- campaigns (创建活动), campaign.c ---- */
#include "../core/ctx.h"

/* Called once at start: the rubrics the campaigns use and data/rating/
 * (the mapping of the seeds' 考评单位 to the county's organizations). */
int hx_rating_init(const hx_rubric_set *set, const char *data_dir, hx_err *err);
const hx_rubric_set *hx_rating_rubrics(void);

int hx_rating_campaign_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_rating_campaign_list(json_t **out, hx_ctx *c, hx_err *err);
int hx_rating_campaign_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_rating_campaign_assign(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_rating_campaign_remind(hx_ctx *c, long long id, long long org_id, hx_err *err);
/* action: "close", "confirm" or "publish" (valid_years for publish). */
int hx_rating_campaign_step(json_t **out, hx_ctx *c, long long id, const char *action, int valid_years,
			    hx_err *err);
int hx_rating_campaign_results(json_t **out, hx_ctx *c, long long id, hx_err *err);

int hx_rating_application_create(json_t **out, hx_ctx *c, long long campaign_id, json_t *body, hx_err *err);
int hx_rating_application_list(json_t **out, hx_ctx *c, long long campaign_id, hx_err *err);
int hx_rating_application_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_rating_application_self(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_rating_application_submit(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_rating_application_review(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_rating_application_metric(json_t **out, hx_ctx *c, long long id, const char *name, json_t *body,
				 hx_err *err);
/* The live score sheet pieces of an application, for the PDF. */
int hx_rating_application_scored(const hx_rubric **rubric, hx_facts **facts, hx_score **score,
				 const char **applicant, hx_ctx *c, long long id, hx_err *err);

int hx_rating_evidence_add(json_t **out, hx_ctx *c, long long app_id, const char *criterion_id,
			   const char *filename, const void *data, size_t len, hx_err *err);
int hx_rating_evidence_get(char **bytes, size_t *len, const char **filename, hx_ctx *c, long long id,
			   hx_err *err);

int hx_rating_poll_issue(json_t **out, hx_ctx *c, long long app_id, long long count, hx_err *err);
int hx_rating_poll_info(json_t **out, hx_ctx *c, long long app_id, const char *token, hx_err *err);
int hx_rating_poll_vote(hx_ctx *c, long long app_id, const char *token, int satisfied, hx_err *err);


#endif
