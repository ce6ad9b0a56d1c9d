/* Retention of contracts (合同文本的保存): a contract's documents, terms,
 * signatures and evidence are kept at least two years after it ends
 * (劳动合同法 第五十条第三款: 用人单位对已经解除或者终止的劳动合同的文本，
 * 至少保存二年备查), and removed after that only on the operator's explicit
 * `hexie retention purge` (个人信息保护法 第十九条: no longer than needed),
 * each purge written to the operation log. No interface of the server
 * deletes a sent contract; this file is the one path that removes its
 * content. Also: what the contract's detail says of its standing for the
 * caller (purged, kept until, whether the caller may sign or seal, whether
 * its links point at this machine). */
#include "contract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../core/timeutil.h"

/* The period, in months. */
#define RETENTION_MONTHS 24
/* One run looks at this many contracts at most; run again for more. */
#define RETENTION_BATCH 100000

/* The day a contract ended (into out, "" when it has not): the date of
 * its termination, the end of its term when that has passed, or the day
 * it was closed unsigned. prefix selects the row's own columns ("") or its
 * parent's ("p_"). */
static void ended_on(char out[11], const hx_rows *r, int i, const char *prefix, const char *today)
{
	char col[32];
#define COL(name) (snprintf(col, sizeof col, "%s" name, prefix), hx_rows_get(r, i, col))
	const char *status = COL("status"), *term_end = COL("term_end"), *ended_at = COL("ended_at"),
		   *updated_at = COL("updated_at");
#undef COL
	out[0] = '\0';
	if (!status)
		return;
	const char *d = NULL;
	if (strcmp(status, "ended") == 0)
		d = ended_at;
	else if (strcmp(status, "signed") == 0 && term_end && strcmp(term_end, today) < 0)
		d = term_end;
	else if (strcmp(status, "withdrawn") == 0 || strcmp(status, "rejected") == 0 || strcmp(status, "expired") == 0)
		d = updated_at;
	char day[11];
	if (d && strlen(d) >= 10) {
		snprintf(day, sizeof day, "%.10s", d);
		if (hx_date_parse(day, NULL, NULL, NULL) == 0)
			memcpy(out, day, 11);
	}
}

static int cutoff(char out[11], const char *before, hx_err *err)
{
	char today[11], min[11];
	hx_today(today);
	hx_date_add_months(min, today, -RETENTION_MONTHS);
	if (!before || !*before) {
		memcpy(out, min, 11);
		return 0;
	}
	if (strlen(before) != 10 || hx_date_parse(before, NULL, NULL, NULL))
		return hx_err_set(err, HX_EINVAL, "bad_date", "before", "--before 应为有效日期（YYYY-MM-DD）");
	if (strcmp(before, min) > 0)
		return hx_err_set(err, HX_EINVAL, "retention_period", "before",
				  "合同文本应在解除或者终止后至少保存二年（《劳动合同法》第五十条第三款）：--before 不能晚于%s",
				  min);
	memcpy(out, before, 11);
	return 0;
}

static int candidates(json_t **items, hx_ctx *c, const char *before, hx_err *err)
{
	char today[11];
	hx_today(today);
	hx_rows *r;
	hx_param p[] = {hx_p_int(RETENTION_BATCH)};
	int rc = hx_db_query(
		c->db, c->arena, &r,
		"SELECT k.id AS id, k.kind AS kind, k.status AS status, k.term_end AS term_end, k.ended_at AS ended_at,"
		" k.updated_at AS updated_at, k.parent_id AS parent_id, p.status AS p_status, p.term_end AS p_term_end,"
		" p.ended_at AS p_ended_at, p.updated_at AS p_updated_at, e.name AS enterprise_name, w.name AS worker_name"
		" FROM contracts k JOIN enterprises e ON e.id = k.enterprise_id JOIN workers w ON w.id = k.worker_id"
		" LEFT JOIN contracts p ON p.id = k.parent_id"
		" WHERE k.status <> 'draft' AND k.purged_at IS NULL ORDER BY k.id LIMIT ?",
		p, 1, err);
	if (rc)
		return rc;
	json_t *a = json_array();
	for (int i = 0; i < r->nrows; i++) {
		char end[11];
		const char *kind = hx_rows_get(r, i, "kind");
		/* an amendment or a termination certificate is part of the
		 * contract it changes or ends: kept as long as that one */
		int part = (strcmp(kind, "amendment") == 0 || strcmp(kind, "termination") == 0) &&
			   hx_rows_get(r, i, "parent_id");
		ended_on(end, r, i, part ? "p_" : "", today);
		if (!end[0] || strcmp(end, before) >= 0)
			continue;
		char until[11];
		hx_date_add_months(until, end, RETENTION_MONTHS);
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s}", "contract_id",
						   (json_int_t)hx_rows_int(r, i, "id"), "enterprise_name",
						   hx_rows_get(r, i, "enterprise_name"), "worker_name",
						   hx_rows_get(r, i, "worker_name"), "kind", kind, "status",
						   hx_rows_get(r, i, "status"), "ended_on", end, "retain_until", until));
	}
	*items = a;
	return 0;
}

int hx_contract_retention_list(json_t **out, hx_ctx *c, const char *before, hx_err *err)
{
	char cut[11];
	json_t *items = NULL;
	int rc;
	if ((rc = cutoff(cut, before, err)) || (rc = candidates(&items, c, cut, err)))
		return rc;
	*out = json_pack("{s:s,s:i,s:o}", "before", cut, "period_months", RETENTION_MONTHS, "items", items);
	return 0;
}

int hx_contract_retention_purge(json_t **out, hx_ctx *c, const char *before, hx_err *err)
{
	char cut[11], now[21];
	json_t *items = NULL;
	char *empty = NULL;
	int rc;
	hx_now_iso(now);
	if ((rc = cutoff(cut, before, err)) || (rc = candidates(&items, c, cut, err)))
		return rc;
	/* the terms (names, ID number, wages) go; an empty object keeps the
	 * row readable */
	if ((rc = hx_seal(&empty, c->keys->pii, "{}", "contracts.terms", err)))
		goto done;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		long long id = json_integer_value(json_object_get(it, "contract_id"));
		hx_param p[] = {hx_p_int(id)};
		hx_param u[] = {hx_p_text(empty), hx_p_text(now), hx_p_text(now), hx_p_int(id)};
		long long n = 0;
		if ((rc = hx_db_exec(c->db, "DELETE FROM contract_documents WHERE contract_id = ?", p, 1, NULL, err)) ||
		    (rc = hx_db_exec(c->db, "DELETE FROM contract_signatures WHERE contract_id = ?", p, 1, NULL, err)) ||
		    (rc = hx_db_exec(c->db, "DELETE FROM signer_sessions WHERE contract_id = ?", p, 1, NULL, err)) ||
		    (rc = hx_db_exec(c->db,
				     "UPDATE contracts SET terms_enc = ?, lint = '{}', lint_errors = 0, job = NULL,"
				     " monthly_wage = NULL, link_hash = NULL, link_enc = NULL, purged_at = ?, updated_at = ?"
				     " WHERE id = ? AND purged_at IS NULL",
				     u, 4, &n, err)))
			goto done;
		if (n != 1) {
			rc = hx_err_set(err, HX_ECONFLICT, "conflict", "", "合同%lld已被其他进程清除", id);
			goto done;
		}
		json_t *ch = json_pack("{s:[n,s],s:[n,s],s:[n,s]}", "ended_on", json_string_value(json_object_get(it, "ended_on")),
				       "retain_until", json_string_value(json_object_get(it, "retain_until")), "purged",
				       "documents, terms, signatures");
		rc = hx_audit_write(c, "contract.purge", "contract", id,
				    hx_arena_printf(c->arena, "%s · %s", json_string_value(json_object_get(it, "enterprise_name")),
						    json_string_value(json_object_get(it, "worker_name"))),
				    ch, err);
		json_decref(ch);
		/* the contract's own chain says it was purged, and when */
		if (!rc)
			rc = hx_evidence_add(c, id, "purged", "system",
					     json_pack("{s:s?,s:s?}", "ended_on", json_string_value(json_object_get(it, "ended_on")),
						       "retain_until", json_string_value(json_object_get(it, "retain_until"))),
					     err);
		if (rc)
			goto done;
	}
	*out = json_pack("{s:s,s:i,s:O}", "before", cut, "period_months", RETENTION_MONTHS, "items", items);
done:
	free(empty);
	json_decref(items);
	return rc;
}

/* 1 when a link to base_url would open only on this machine. */
static int url_is_local(const char *url)
{
	const char *h = url ? strstr(url, "://") : NULL;
	if (!h)
		return 1;
	h += 3;
	size_t n = strcspn(h, ":/");
	if (*h == '[') /* IPv6 literal */
		n = strcspn(h, "]") + 1;
	return (n == 9 && strncmp(h, "localhost", 9) == 0) || strncmp(h, "127.", 4) == 0 ||
	       (n == 7 && strncmp(h, "0.0.0.0", 7) == 0) || (n == 5 && strncmp(h, "[::1]", 5) == 0) || n == 0;
}

int hx_contract_link_is_local(void)
{
	return url_is_local(hx_cenv.base_url);
}

int hx_contract_detail_standing(json_t *o, hx_ctx *c, const hx_contract_row *k, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(k->id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT purged_at FROM contracts WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	const char *purged = r->nrows ? hx_rows_get(r, 0, "purged_at") : NULL;
	json_object_set_new(o, "purged_at", purged ? json_string(purged) : json_null());
	/* only the enterprise's own HR signs or seals in its name: an
	 * administrator or an officer sees the contract, not the pen */
	int own = c->me && c->me->user_id && c->me->scope.kind == HX_SCOPE_ENTERPRISE &&
		  c->me->scope.enterprise_id == k->enterprise_id && hx_can(c->me, HX_PERM_CONTRACT_DRAFT) && !purged;
	json_object_set_new(o, "can_sign", json_boolean(own));
	json_object_set_new(o, "can_seal", json_boolean(own));
	json_object_set_new(o, "link_is_local", json_boolean(hx_contract_link_is_local()));
	json_object_set_new(o, "public_url", hx_cenv.base_url ? json_string(hx_cenv.base_url) : json_null());
	return 0;
}
