/* Employment health checks (劳动用工体检): the checklist as data
 * (data/checklists/, docs/checklist-format.md) with its grading rule, and
 * the work — targets drawn from the registry, assignment to an agency or
 * the task force, on-site answers saved as they go (the platform answers
 * what its data can), the report with grade A–D, rectification and
 * follow-up, warnings to labor inspection and arbitration, and the
 * enterprise's satisfaction with the service. */
#ifndef HX_CHECKUP_H
#define HX_CHECKUP_H

#include <jansson.h>
#include <stddef.h>

#include "../core/ctx.h"
#include "../core/err.h"

typedef struct hx_checklist hx_checklist;

/* Loads every checklist version under dir (one file per version); a
 * malformed file fails with file, place and reason. */
int hx_checklist_load_dir(hx_checklist ***out, size_t *n, const char *dir, hx_err *err);
int hx_checklist_parse(hx_checklist **out, const char *text, size_t len, const char *name, hx_err *err);
void hx_checklist_free(hx_checklist *c);
const char *hx_checklist_id(const hx_checklist *c);
int hx_checklist_version(const hx_checklist *c);
size_t hx_checklist_item_count(const hx_checklist *c);
json_t *hx_checklist_json(const hx_checklist *c);

/* Grades a set of findings: risks is a JSON object {item_id: true} of the
 * items found at risk. Fills grade ('A'…'D'), the weighted score and the
 * flags raised (JSON array, new reference). */
int hx_checklist_grade(char *grade, int *score, json_t **flags, const hx_checklist *c, const json_t *risks,
		       hx_err *err);

/* Module start: the checklists in use. */
int hx_checkup_init(const char *data_dir, hx_err *err);
void hx_checkup_shutdown(void);
/* The newest checklist (for new checks), or the given id and version. */
const hx_checklist *hx_checkup_checklist(void);
const hx_checklist *hx_checkup_checklist_find(const char *id, int version);

/* ---- the work (targets.c, checks.c, followup.c, warnings.c); all calls honour the caller's scope ---- */
int hx_checkup_targets_generate(json_t **out, hx_ctx *c, long long year, hx_err *err);
int hx_checkup_targets_list(json_t **out, hx_ctx *c, long long year, hx_err *err);
int hx_checkup_target_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_checkup_targets_fix(json_t **out, hx_ctx *c, long long year, hx_err *err);

int hx_checkup_contract_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_checkup_contract_list(json_t **out, hx_ctx *c, long long year, hx_err *err);

int hx_checkup_check_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_checkup_check_list(json_t **out, hx_ctx *c, long long year, const char *status, hx_err *err);
int hx_checkup_check_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_checkup_check_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_checkup_answers_put(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_checkup_file_add(json_t **out, hx_ctx *c, long long id, const char *item_id, const char *kind,
			const char *filename, const void *data, size_t len, hx_err *err);
int hx_checkup_file_get(char **bytes, size_t *len, const char **type, const char **name, hx_ctx *c,
			long long file_id, hx_err *err);
int hx_checkup_finish(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_checkup_report(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_checkup_acknowledge(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_checkup_rectify(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_checkup_followup(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_checkup_regrade(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_checkup_close(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_checkup_satisfaction(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);

int hx_checkup_warnings(json_t **out, hx_ctx *c, const char *kind, hx_err *err);
int hx_checkup_warning_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
/* Enterprises graded C or D and not upgraded since (the training priority
 * list other modules read). */
int hx_checkup_training_priority(json_t **out, hx_ctx *c, hx_err *err);

/* The report (体检报告, hx_checkup_report's JSON) as an A4 PDF: *out
 * (malloc'd, free()) gets the file. */
int hx_checkup_report_pdf(char **out, size_t *len, const json_t *report, hx_err *err);

/* ---- reports in batch (report_batch.c): a job, like a registry import ----
 * Creating one records the caller's scope; a worker thread renders the
 * PDF of every reported check of the year that scope sees into one .zip,
 * writing its progress (total, done) as it goes. Only its creator reads
 * it. Not the agencies' acceptance batches (supervision.h). */
int hx_checkup_report_batch_create(json_t **out, hx_ctx *c, long long year, hx_err *err);
int hx_checkup_report_batch_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
/* The finished .zip (*out malloc'd) and its file name (arena string);
 * HX_ECONFLICT while the job is not done. */
int hx_checkup_report_batch_download(char **out, size_t *len, const char **filename, hx_ctx *c,
				     long long id, hx_err *err);
/* Runs the queued report batches, one after another, on a connection of
 * its own; returns when none is left. The first call in a process queues
 * again a batch left running by a process that stopped. */
struct hx_store;
struct hx_keys;
int hx_checkup_batches_run_pending(struct hx_store *s, const struct hx_keys *keys, const char *data_dir,
				   hx_err *err);

#endif
