/* The operation log (操作日志): every write of every module records who
 * (actor), when, from where (address), what (action) on which object, and
 * the changed fields — in the same transaction as the change, so a change
 * and its log entry exist together or not at all. Resident ID numbers never
 * enter the log. Rows are append-only: the store refuses UPDATE and DELETE
 * on them by trigger, and no interface offers either. */
#ifndef HX_AUDIT_H
#define HX_AUDIT_H

#include <jansson.h>

#include "../core/ctx.h"
#include "../core/err.h"

/* Appends one entry. changes (may be NULL) is {"field":[old,new],…}; it is
 * not stolen. object_label is a human name for the object ("某某公司"). */
int hx_audit_write(hx_ctx *c, const char *action, const char *object_type, long long object_id,
		   const char *object_label, const json_t *changes, hx_err *err);
/* Same, for events without a logged-in actor (failed logins). */
int hx_audit_write_as(hx_ctx *c, long long actor_id, const char *actor_name, const char *action,
		      const char *object_type, long long object_id, const char *object_label,
		      const json_t *changes, hx_err *err);

/* Builds the changes object of an update: for each key of after that
 * differs from before, {"key":[before,after]}. Keys named in secret are
 * replaced by "***". Returns a new object (maybe empty). */
json_t *hx_audit_diff(const json_t *before, const json_t *after, const char *const *secret);

typedef struct hx_audit_filter {
	const char *q;
	long long actor_id;
	const char *action;
	const char *object_type;
	long long object_id;
	const char *from; /* YYYY-MM-DD */
	const char *to;
} hx_audit_filter;

/* Lists entries newest first (needs audit.read, enforced by the caller's
 * route), or all matching when page_size is 0 (export). */
int hx_audit_list(json_t **out, hx_ctx *c, const hx_audit_filter *f, long long page,
		  long long page_size, hx_err *err);
/* History of one object, newest first (for the object's detail page; the
 * caller has already checked the object is in scope). */
int hx_audit_history(json_t **out, hx_ctx *c, const char *object_type, long long object_id,
		     hx_err *err);

#endif
