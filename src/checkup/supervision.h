/* Supervision of the agencies doing health checks (checkup module):
 * phased acceptance (分阶段验收) of batches of finished checks, random spot
 * checks (抽查) of a batch whose seed is recorded so anyone can repeat the
 * draw, a summary page per agency, the archive package of a closed check,
 * and the area analysis (区域劳动用工抽验分析). */
#ifndef HX_CHECKUP_SUPERVISION_H
#define HX_CHECKUP_SUPERVISION_H

#include <jansson.h>

#include "../core/ctx.h"
#include "../core/err.h"

int hx_checkup_batch_submit(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_checkup_batch_list(json_t **out, hx_ctx *c, long long org_id, hx_err *err);
int hx_checkup_batch_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
/* action "accept" or "return" (reasons required). */
int hx_checkup_batch_decide(json_t **out, hx_ctx *c, long long id, const char *action, json_t *body, hx_err *err);

/* Draws share (0…1] of a batch's checks; asking again for the same batch
 * answers the same draw. The draw orders the checks by SHA-256(seed ":"
 * check_id) and takes the first ceil(share × n), so it can be repeated by
 * anyone from the recorded seed. */
int hx_checkup_spotcheck_draw(json_t **out, hx_ctx *c, long long batch_id, json_t *body, hx_err *err);
int hx_checkup_spotcheck_record(json_t **out, hx_ctx *c, long long spot_id, long long check_id, json_t *body,
				hx_err *err);

int hx_checkup_agency_summary(json_t **out, hx_ctx *c, long long org_id, long long year, hx_err *err);

/* The archive package of a check: a zip with check.json (the record,
 * answers, rectifications, satisfaction and history), the files, and the
 * report PDF when the check is reported. */
int hx_checkup_archive_zip(char **out, size_t *len, const char **name, hx_ctx *c, long long id, hx_err *err);

/* Area analysis for a year and an optional area / industry / size:
 * grade distribution, the most common risks, upgrades, last year beside. */
typedef struct hx_checkup_analysis_filter {
	long long year, area_id;
	const char *industry;
	const char *size; /* "small" (<100 staff), "medium" (100–999), "large" (1000+) */
} hx_checkup_analysis_filter;
int hx_checkup_analysis(json_t **out, hx_ctx *c, const hx_checkup_analysis_filter *f, hx_err *err);
int hx_checkup_analysis_pdf(char **out, size_t *len, hx_ctx *c, const hx_checkup_analysis_filter *f, hx_err *err);

struct hx_server;
void hx_checkup_supervision_http_register(struct hx_server *s);

/* Shared with the rest of the module. */
struct hx_checklist;
const json_t *hx_checklist_doc(const struct hx_checklist *c);
int hx_checkup_report_pdf(char **out, size_t *len, const json_t *report, hx_err *err);

#endif
