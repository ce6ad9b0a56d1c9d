/* Inside the rating engine: the compiled rubric. Points are kept in half
 * points (int) and metric values in millionths (int64), so every
 * comparison and sum is exact. */
#ifndef HX_RATING_IMPL_H
#define HX_RATING_IMPL_H

#include <stdint.h>

#include "rating.h"

#define HX_MICRO 1000000LL

typedef enum {
	RK_ANSWER,
	RK_METRIC,
	RK_METRIC_AND_ANSWER,
	RK_LADDER,
	RK_STEP,
	RK_BAND,
	RK_ZERO_ITEM,
	RK_DEDUCT,
	RK_VETO,
} rule_kind;

typedef enum { OP_GE, OP_GT, OP_LE, OP_LT, OP_EQ } cmp_op;

typedef enum { MT_RATE, MT_NUMBER, MT_COUNT, MT_BOOL } metric_type;

typedef struct cond {
	int answer;     /* -1: not an answer condition; 0/1: answer must be false/true */
	int metric;     /* index, or -1 */
	cmp_op op;
	int64_t value;  /* millionths */
	int other;      /* metric index compared with, or -1 */
} cond;

typedef struct tier {
	cmp_op op;
	int64_t value;
	int points2;
} tier;

typedef struct criterion {
	char *id;
	char *text;
	int max2;
	rule_kind kind;
	int metric;
	cmp_op op;
	int64_t value;
	tier *tiers;
	int ntiers;
	int64_t full_at, step, zero_below;
	int per_step2;
	int points2;       /* deduct */
	int from_item;     /* deduct from the item (else from the element) */
	cond *when;
	int nwhen;
	int item, element; /* indexes; element -1 when directly in the item */
	int reads_answer;  /* the rule reads the answer */
	char *platform;    /* what the platform can tell about it ("child_labor"), or NULL */
} criterion;

typedef struct element {
	char *id, *title;
	int max2;
	int first, count; /* criteria range */
} element;

typedef struct item {
	char *id, *title;
	int max2;
	int veto;
	json_t *departments;
	int first, count;  /* criteria directly in the item */
	int efirst, ecount; /* elements */
} item;

typedef struct metric {
	char *name, *label;
	metric_type type;
	char *platform; /* computed from the platform's data ("is_company"), or NULL */
} metric;

struct hx_rubric {
	char *id, *title, *subject, *source;
	int version;
	int total2;
	char sha256[65];
	json_t *doc; /* the file as loaded */
	item *items;
	int nitems;
	element *elements;
	int nelements;
	criterion *criteria;
	int ncriteria;
	metric *metrics;
	int nmetrics;
	int *by_id; /* criterion indexes sorted by id, for lookups */
};

struct hx_facts {
	signed char *answer_kind; /* per criterion: 0 none, 1 bool, 2 number */
	int *answer2;             /* bool 0/1, or half points */
	int64_t *metric;          /* millionths */
	unsigned char *has_metric;
	json_t *warnings;         /* facts-level warnings (unknown metrics) */
};

/* Records the first use of a rubric version in the store; refuses a
 * version whose file changed since (HX_ECONFLICT "rubric_changed"). */
int hx_rating_use_rubric(hx_ctx *c, const hx_rubric *rb, hx_err *err);

/* Index of the criterion with this id, or -1 (binary search). */
int hx_rubric_criterion_index(const hx_rubric *r, const char *id);

#endif
