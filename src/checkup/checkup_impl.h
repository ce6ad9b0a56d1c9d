/* Inside the checkup module: the compiled checklist. */
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

#endif
