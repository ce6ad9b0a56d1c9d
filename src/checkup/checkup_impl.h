/* Inside the checkup module: the compiled checklist, the check as its
 * steps load it, and the helpers the module's files share. */
#ifndef HX_CHECKUP_IMPL_H
#define HX_CHECKUP_IMPL_H

#include "checkup.h"

typedef struct citem {
	const char *id, *area, *severity;
	int sev; /* 0 一般, 1 较大, 2 重大 */
	json_t *flags;
} citem;

typedef struct rule {
	char grade;
	int kind; /* 0 always, 1 any_flag, 2 severity_at_least, 3 score_at_least */
	json_t *flags;
	int sev, count, score;
} rule;

struct hx_checklist {
	json_t *doc;
	const char *id;
	int version;
	citem *items;
	size_t nitems;
	int weights[3];
	rule *rules;
	size_t nrules;
};


/* The item with this id, or NULL. */
const citem *hx_checklist_item(const hx_checklist *c, const char *id);
/* The item's JSON object in the checklist document. */
json_t *hx_checklist_item_json(const hx_checklist *c, const char *id);

/* A check as loaded for one request (its strings live in the request's arena). */
typedef struct hx_checkup_chk {
	long long id, year, enterprise_id, org_id, inspector_id, score;
	const char *status, *grade, *flags, *scheduled_on, *reported_at, *acknowledged_at, *regraded_from,
		*regraded_at, *closed_at, *created_at, *checklist_id;
	int has_score;
	const hx_checklist *list;
	const char *enterprise_name, *org_name;
} hx_checkup_chk;

/* checkup.c: now and today as strings in the request's arena; the caller's permission. */
const char *hx_checkup_now_iso(hx_ctx *c);
const char *hx_checkup_today(hx_ctx *c);
int hx_checkup_can(hx_ctx *c, unsigned p);

/* targets.c: an organization's kind and name; HX_EINVAL when there is none. */
int hx_checkup_org_kind(const char **kind, const char **name, hx_ctx *c, long long org, hx_err *err);

/* checks.c: loads a check the caller may see (HX_ENOTFOUND otherwise); whether
 * the caller inspects it or is its enterprise; the platform's own answers. */
int hx_checkup_chk_load(hx_checkup_chk *k, hx_ctx *c, long long id, hx_err *err);
int hx_checkup_is_inspector(hx_ctx *c, const hx_checkup_chk *k);
int hx_checkup_is_enterprise(hx_ctx *c, const hx_checkup_chk *k);
int hx_checkup_auto_answers(json_t **out, hx_ctx *c, const hx_checkup_chk *k, hx_err *err);

#endif
