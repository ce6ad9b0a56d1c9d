/* HTTP handlers of contracts on the enterprise's and the authority's side:
 * the legal check, templates, drafts (one or a batch), sending, the QR
 * code of the worker's link, the documents, signing in HR's browser or
 * with the enterprise seal, withdrawal, change, renewal, termination, the
 * evidence package, checking an uploaded PDF and certificates; and the
 * module's route table, which also names the handlers of trust_http.c and
 * oversight_http.c: one table, so that routes match in the same order. */
#include "contract_impl.h"
#include "contract_http_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../core/ids.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../http/http.h"
#include "../registry/registry.h"
#include "../report/report.h"

static int h_lint(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	if (hx_contract_lint(&out, b, hx_cenv.wages, NULL, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_templates(hx_req *r)
{
	json_t *items = json_array();
	for (size_t i = 0; hx_cenv.templates && i < hx_cenv.templates->n; i++) {
		const hx_template *t = &hx_cenv.templates->items[i];
		json_array_append_new(items, json_pack("{s:s,s:i,s:s}", "id", t->id, "version", t->version, "title", t->title));
	}
	return hx_req_json(r, 200, json_pack("{s:o}", "items", items));
}

/* The draft as a PDF, only when it passes the legal check. */
static int h_render(hx_req *r)
{
	json_t *b, *lint = NULL;
	const hx_template *t;
	hx_err err = {0};
	char *pdf = NULL;
	size_t len = 0;
	const char *id = hx_req_query(r, "template");
	if (!id || !*id)
		hx_err_set(&err, HX_EBADREQ, "required", "template", "缺少参数template（合同范本）");
	if (err.code || hx_template_find(&t, hx_cenv.templates, id, &err))
		return hx_req_fail(r, &err);
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	if (hx_contract_lint(&lint, b, hx_cenv.wages, NULL, &err))
		return hx_req_fail(r, &err);
	json_t *first = json_array_get(json_object_get(lint, "errors"), 0);
	if (first) {
		const char *field = json_string_value(json_object_get(first, "field"));
		const char *msg = json_string_value(json_object_get(first, "message"));
		/* err.msg is bounded: cut a long message at a character */
		size_t n = msg ? strlen(msg) : 0;
		if (n >= sizeof err.msg)
			for (n = sizeof err.msg - 1; n && ((unsigned char)msg[n] & 0xC0) == 0x80; n--)
				;
		hx_err_set(&err, HX_EINVAL, "lint_failed", field ? field : "", "%.*s", (int)n, msg ? msg : "");
		json_decref(lint);
		return hx_req_fail(r, &err);
	}
	json_decref(lint);
	/* a document with a blank line is never issued: name the first field */
	json_t *missing = NULL;
	if (hx_contract_render_missing(&missing, t, b, &err))
		return hx_req_fail(r, &err);
	const char *gap = json_string_value(json_array_get(missing, 0));
	if (gap) {
		const char *label = hx_contract_field_label(gap);
		hx_err_set(&err, HX_EINVAL, "lint_failed", gap, "文书中的“%s”（%s）尚未填写", label ? label : gap, gap);
		json_decref(missing);
		return hx_req_fail(r, &err);
	}
	json_decref(missing);
	if (hx_contract_render_pdf(&pdf, &len, t, b, &err))
		return hx_req_fail(r, &err);
	const char *name = json_string_value(json_object_get(json_object_get(b, "worker"), "name"));
	return hx_req_file(r, pdf, len, "application/pdf",
			   name && *name ? hx_arena_printf(r->ctx.arena, "劳动合同-%s.pdf", name) : "劳动合同.pdf");
}

/* ---- who may read a contract (附件3 第十七条; 个人信息保护法) ----
 *
 * Lists and details: the enterprise's own HR (contract.draft, its scope),
 * officers (contract.oversee, theirs) and the authorities (contract.inquire,
 * theirs). The signed PDF and the evidence package carry full ID numbers:
 * they go only to the enterprise party and to roles with pii.read, and
 * every download is in the operation log. An authority (劳动保障监察,
 * 劳动人事争议仲裁, 人民法院) reads only under a case number and a reason,
 * which go to the operation log and to the contract's evidence. */

#define READERS (HX_PERM_CONTRACT_DRAFT | HX_PERM_CONTRACT_OVERSEE | HX_PERM_CONTRACT_INQUIRE)

/* Reads under a case: the authorities, who neither draft nor oversee. */
static int inquirer(const hx_principal *me)
{
	return hx_can(me, HX_PERM_CONTRACT_INQUIRE) &&
	       !(me->perms & (HX_PERM_CONTRACT_DRAFT | HX_PERM_CONTRACT_OVERSEE));
}

typedef struct access_case {
	const char *case_no; /* 案号: （2026）浙1125民初123号, 云劳监〔2026〕12号 */
	const char *reason;
} access_case;

static int case_field(const char **out, hx_req *r, const char *key, const char *label, size_t minc,
		      size_t maxc, hx_err *err)
{
	const char *v = hx_req_query(r, key);
	while (v && *v == ' ')
		v++;
	if (!v || !*v)
		return hx_err_set(err, HX_EINVAL, "required", key, "请填写%s（%s）", label, key);
	size_t n = strlen(v);
	if (!hx_utf8_valid(v, n))
		return hx_err_set(err, HX_EINVAL, "invalid", key, "%s含有无效字符", label);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return hx_err_set(err, HX_EINVAL, "invalid", key, "%s含有无效字符", label);
	size_t chars = hx_utf8_len(v);
	if (chars < minc || chars > maxc)
		return hx_err_set(err, HX_EINVAL, "invalid_length", key, "%s应为%zu至%zu个字符", label, minc, maxc);
	*out = v;
	return 0;
}

/* The case number and reason of an authority's access (query parameters
 * case_no and reason). A case number has its year and serial in digits. */
static int case_args(access_case *out, hx_req *r, hx_err *err)
{
	int rc;
	if ((rc = case_field(&out->case_no, r, "case_no", "案号", 4, 64, err)) ||
	    (rc = case_field(&out->reason, r, "reason", "调取事由", 2, 200, err)))
		return rc;
	if (!strpbrk(out->case_no, "0123456789"))
		return hx_err_set(err, HX_EINVAL, "invalid_case_no", "case_no",
				  "案号格式不正确，应含年份和序号，如（2026）浙1125民初123号");
	return 0;
}

/* The enterprise party: its own HR (contract.draft in its scope). */
static int enterprise_party(const hx_principal *me, long long enterprise_id)
{
	return hx_can(me, HX_PERM_CONTRACT_DRAFT) && me->scope.kind == HX_SCOPE_ENTERPRISE &&
	       me->scope.enterprise_id == enterprise_id;
}

/* Whether the caller may take the documents with full ID numbers: the
 * enterprise party, or a role with pii.read (k is in scope). */
static int may_take_documents(const hx_principal *me, const hx_contract_row *k)
{
	return hx_can(me, HX_PERM_PII_READ) || enterprise_party(me, k->enterprise_id);
}

static int documents_forbidden(hx_err *err)
{
	return hx_err_set(err, HX_EPERM, "forbidden", "",
			  "合同文件和证据包载有公民身份号码，仅合同当事人和有权查看个人信息的人员可以下载");
}

/* Records one read in the operation log (what: "detail", "pdf",
 * "package"); an authority's also in the contract's evidence, with its
 * case number, reason and organization. Runs in the caller's write
 * transaction. */
static int record_read(hx_req *r, long long id, const char *label, const char *what, int version,
		       const access_case *ac, hx_err *err)
{
	json_t *ch = json_pack("{s:[n,s]}", "what", what);
	if (version)
		json_object_set_new(ch, "version", json_pack("[n,i]", version));
	if (ac) {
		json_object_set_new(ch, "case_no", json_pack("[n,s]", ac->case_no));
		json_object_set_new(ch, "reason", json_pack("[n,s]", ac->reason));
	}
	int rc = hx_audit_write(&r->ctx, ac ? "contract.inquire" : strcmp(what, "pdf") == 0 ? "contract.document" : "contract.package",
				"contract", id, label, ch, err);
	json_decref(ch);
	if (rc)
		return rc;
	if (ac) {
		json_t *org = NULL, *d;
		hx_err e2 = {0};
		d = json_pack("{s:s,s:s,s:s}", "what", what, "case_no", ac->case_no, "reason", ac->reason);
		if (r->me.org_id && hx_account_org_get(&org, &r->ctx, r->me.org_id, &e2) == 0)
			json_object_set(d, "org", json_object_get(org, "name"));
		json_decref(org);
		return hx_evidence_add(&r->ctx, id, "inquired", hx_contract_actor(&r->ctx), d, err);
	}
	if (strcmp(what, "package") == 0)
		return hx_evidence_add(&r->ctx, id, "downloaded", hx_contract_actor(&r->ctx),
				       json_pack("{s:s}", "what", "package"), err);
	return 0;
}

/* ---- contracts ---- */

/* The list's filters from the query string (a new object, or NULL with
 * err set). */
static json_t *list_filter(hx_req *r, hx_err *err)
{
	json_t *f = json_object();
	long long v;
	static const char *const strs[] = {"status", "event", "kind", "q", NULL};
	for (int i = 0; strs[i]; i++) {
		const char *s = hx_req_query(r, strs[i]);
		if (s && *s)
			json_object_set_new(f, strs[i], json_string(s));
	}
	static const char *const ids[] = {"enterprise_id", "worker_id", "parent_id", NULL};
	for (int i = 0; ids[i]; i++) {
		if (hx_req_query_int(r, ids[i], 0, 0, INT64_MAX, &v, err)) {
			json_decref(f);
			return NULL;
		}
		if (v)
			json_object_set_new(f, ids[i], json_integer(v));
	}
	return f;
}

static int h_list(hx_req *r)
{
	hx_err err = {0};
	json_t *f, *out = NULL;
	long long page, per;
	if (!(f = list_filter(r, &err)))
		return hx_req_fail(r, &err);
	if (hx_req_query_int(r, "page", 1, 1, 1000000, &page, &err) ||
	    hx_req_query_int(r, "per_page", 20, 1, 200, &per, &err) || hx_contract_list(&out, &r->ctx, f, page, per, &err)) {
		json_decref(f);
		return hx_req_fail(r, &err);
	}
	json_decref(f);
	return hx_req_json(r, 200, out);
}

static const char *const STATUS_MAP[] = {"draft", "草稿", "sent", "待签署", "signing", "签署中", "signed", "已签署",
					 "rejected", "已拒签", "withdrawn", "已撤回", "expired", "已过期", "ended", "已终止",
					 NULL};
static const char *const EVENT_MAP[] = {"new", "新签", "renew", "续签", "change", "变更", "rescind", "解除",
					"terminate", "终止", NULL};
static const char *const KIND_MAP[] = {"full_time", "全日制", "part_time", "非全日制", "amendment", "变更协议",
				       "termination", "解除/终止证明", NULL};
static const char *const TERM_MAP[] = {"fixed", "固定期限", "open_ended", "无固定期限", "task",
				       "以完成一定工作任务为期限", NULL};

/* The list as .xlsx: the same filters, every row the caller may see (up to
 * 100,000), no ID numbers. */
static int h_export(hx_req *r)
{
	hx_err err = {0};
	json_t *f, *out = NULL;
	if (!(f = list_filter(r, &err)))
		return hx_req_fail(r, &err);
	int rc = hx_contract_list(&out, &r->ctx, f, 1, 100000, &err);
	json_decref(f);
	if (rc)
		return hx_req_fail(r, &err);
	static const hx_xlsx_col cols[] = {
		{"id", "合同编号", 1, NULL},
		{"enterprise_name", "用人单位", 0, NULL},
		{"worker_name", "劳动者", 0, NULL},
		{"event", "类型", 0, EVENT_MAP},
		{"kind", "用工形式", 0, KIND_MAP},
		{"term_type", "期限类型", 0, TERM_MAP},
		{"term_start", "起始日期", 0, NULL},
		{"term_end", "终止日期", 0, NULL},
		{"job", "岗位", 0, NULL},
		{"monthly_wage", "月工资（元）", 1, NULL},
		{"status", "状态", 0, STATUS_MAP},
		{"sent_at", "发送时间", 0, NULL},
		{"worker_signed_at", "劳动者签署时间", 0, NULL},
		{"enterprise_signed_at", "用人单位签署时间", 0, NULL},
		{"completed_at", "签署完成时间", 0, NULL},
		{"expires_at", "签署截止", 0, NULL},
		{"ended_at", "终止时间", 0, NULL},
	};
	json_t *ch = json_pack("{s:[n,I]}", "rows", (json_int_t)json_array_size(json_object_get(out, "items")));
	hx_audit_write(&r->ctx, "export", "contract", 0, "电子劳动合同", ch, &err);
	json_decref(ch);
	rc = hx_req_xlsx(r, "电子劳动合同.xlsx", "电子劳动合同", cols, sizeof cols / sizeof cols[0],
			 json_object_get(out, "items"));
	json_decref(out);
	return rc;
}

static int h_create(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	if (hx_contract_create(&out, &r->ctx, b, 0, "new", &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 201, out);
}



/* The shapes most handlers share: the object's :id (and a JSON body) in,
 * the module's JSON answer out. */
typedef int (*id_fn)(json_t **out, hx_ctx *c, long long id, hx_err *err);
typedef int (*id_body_fn)(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);

static int with_id(hx_req *r, id_fn fn, int status)
{
	json_t *out = NULL;
	hx_err err = {0};
	if (fn(&out, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, status, out);
}

static int with_id_body(hx_req *r, id_body_fn fn, int status)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	if (fn(&out, &r->ctx, hx_req_param_id(r, 0), b, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, status, out);
}

/* Without the route's transaction: an authority's reading is recorded
 * (write), anyone else's is a plain read. */
static int h_get(hx_req *r)
{
	hx_err err = {0};
	access_case ac = {0};
	json_t *out = NULL;
	long long id = hx_req_param_id(r, 0);
	int inq = inquirer(&r->me);
	if (inq && case_args(&ac, r, &err))
		return hx_req_fail(r, &err);
	if ((inq ? hx_db_begin_write(r->ctx.db, &err) : hx_db_begin_read(r->ctx.db, &err)) ||
	    hx_contract_get(&out, &r->ctx, id, &err) ||
	    (inq && record_read(r, id, json_string_value(json_object_get(out, "worker_name")), "detail", 0, &ac, &err))) {
		json_decref(out);
		return hx_req_fail(r, &err); /* the server rolls back */
	}
	/* the worker's signing link is the employer's to pass on, nobody else's */
	if (!enterprise_party(&r->me, json_integer_value(json_object_get(out, "enterprise_id")))) {
		json_object_del(out, "link");
		json_object_del(out, "link_path");
	}
	return hx_req_json(r, 200, out);
}

static int h_update(hx_req *r)
{
	return with_id_body(r, hx_contract_update, 200);
}

static int h_send(hx_req *r)
{
	return with_id(r, hx_contract_send, 200);
}

/* A JSON body that may be absent (then {}): the routes that took none
 * before still answer the clearer error (not the enterprise, no code). */
static int body_or_empty(hx_req *r, json_t **b, const char *const *allowed)
{
	if (r->body_len == 0) {
		*b = json_object();
		hx_arena_defer(r->ctx.arena, (void (*)(void *))json_decref, *b);
		return 0;
	}
	return hx_req_body_json(r, b, allowed);
}

/* A new seal key needs the acting HR user's intent code (意愿确认); a
 * wrong try counts, so it is committed. */
static int h_seal_make(hx_req *r)
{
	static const char *const allowed[] = {"code", NULL};
	json_t *b, *out = NULL;
	const char *code = NULL;
	int refused = 0;
	hx_err err = {0};
	if (body_or_empty(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&code, NULL, b, "code", "验证码", 0, 6, &err) ||
	    hx_contract_seal_make_confirmed(&out, &r->ctx, hx_req_param_id(r, 0), code, &refused, &err)) {
		r->commit_anyway = refused;
		return hx_req_fail(r, &err);
	}
	return hx_req_json(r, 201, out);
}

static int h_seal_make_intent(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	if (hx_contract_intent_request_seal_key(&out, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

/* The code for sealing or signing one contract for the enterprise. */
static int h_intent(hx_req *r)
{
	static const char *const allowed[] = {"method", NULL};
	json_t *b, *out = NULL;
	const char *method = NULL;
	hx_err err = {0};
	if (body_or_empty(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&method, NULL, b, "method", "签署方式", 0, 16, &err) ||
	    hx_contract_intent_request(&out, &r->ctx, hx_req_param_id(r, 0), method, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

static int h_amend(hx_req *r)
{
	return with_id_body(r, hx_contract_amend, 201);
}

static int h_terminate(hx_req *r)
{
	return with_id_body(r, hx_contract_terminate, 201);
}

static int h_delete(hx_req *r)
{
	hx_err err = {0};
	if (hx_contract_delete(&r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}


static int h_qr(hx_req *r)
{
	hx_contract_row k;
	hx_err err = {0};
	char *tok = NULL, *svg = NULL;
	size_t len = 0;
	if (hx_contract_load(&k, &r->ctx, hx_req_param_id(r, 0), 1, &err))
		return hx_req_fail(r, &err);
	if (!enterprise_party(&r->me, k.enterprise_id)) {
		hx_err_set(&err, HX_EPERM, "forbidden", "", "签署链接只交给用人单位转交职工");
		return hx_req_fail(r, &err);
	}
	if (hx_contract_link(&tok, &r->ctx, &k, &err))
		return hx_req_fail(r, &err);
	char *url = hx_arena_printf(r->ctx.arena, "%s/s/%s", hx_cenv.base_url, tok);
	free(tok);
	if (hx_qr_svg(&svg, &len, url, &err))
		return hx_req_fail(r, &err);
	return hx_req_file(r, svg, len, "image/svg+xml", NULL);
}

/* A draft as a PDF, from its stored terms, for a look before sending. The
 * ID number is masked for a caller without pii.read (a county
 * administrator), as on the detail page: the preview is not the contract,
 * the frozen PDF made at sending is. */
static int h_preview(hx_req *r)
{
	hx_contract_row k;
	const hx_template *t;
	hx_err err = {0};
	char *pdf = NULL;
	size_t len = 0;
	if (hx_contract_load(&k, &r->ctx, hx_req_param_id(r, 0), 1, &err))
		return hx_req_fail(r, &err);
	if (strcmp(k.status, "draft") != 0)
		hx_err_set(&err, HX_ECONFLICT, "not_draft", "", "合同已发送，请查看合同文件");
	else if (k.lint_errors)
		hx_err_set(&err, HX_EINVAL, "lint_failed", "", "合同条款未通过合法性检查，请先修改");
	if (err.code || hx_template_find(&t, hx_cenv.templates, k.template_id, &err))
		return hx_req_fail(r, &err);
	json_t *terms = json_deep_copy(k.terms);
	json_t *wk = json_object_get(terms, "worker");
	const char *idn = json_string_value(json_object_get(wk, "id_number"));
	if (idn && !hx_can(&r->me, HX_PERM_PII_READ)) {
		char masked[19];
		hx_idnum_mask(idn, masked);
		json_object_set_new(wk, "id_number", json_string(masked));
	}
	int rc = hx_contract_render_pdf(&pdf, &len, t, terms, &err);
	json_decref(terms);
	if (rc)
		return hx_req_fail(r, &err);
	rc = hx_req_file(r, pdf, len, "application/pdf",
			 hx_arena_printf(r->ctx.arena, "劳动合同草稿-%s-%lld.pdf", k.worker_name, k.id));
	r->filename = NULL; /* shown in the browser, not saved */
	return rc;
}

/* Without the route's transaction: each download is logged (write). */
static int h_document(hx_req *r)
{
	hx_contract_row k;
	hx_err err = {0};
	access_case ac = {0};
	long long v = 0;
	unsigned char *pdf = NULL;
	size_t len = 0;
	int inq = inquirer(&r->me);
	if (hx_req_query_int(r, "version", 0, 0, 1000, &v, &err) || (inq && case_args(&ac, r, &err)) ||
	    hx_db_begin_write(r->ctx.db, &err) || hx_contract_load(&k, &r->ctx, hx_req_param_id(r, 0), 1, &err))
		return hx_req_fail(r, &err);
	if (!may_take_documents(&r->me, &k)) {
		documents_forbidden(&err);
		return hx_req_fail(r, &err);
	}
	if (!k.doc_version) {
		hx_err_set(&err, HX_ECONFLICT, "not_sent", "", "合同尚未发送，请先预览草稿");
		return hx_req_fail(r, &err);
	}
	if (record_read(r, k.id, k.worker_name, "pdf", v ? (int)v : k.doc_version, inq ? &ac : NULL, &err) ||
	    hx_contract_doc_get(&pdf, &len, NULL, &r->ctx, k.id, v ? (int)v : k.doc_version, &err))
		return hx_req_fail(r, &err);
	int rc = hx_req_file(r, (char *)pdf, len, "application/pdf",
			     hx_arena_printf(r->ctx.arena, "劳动合同-%s-%lld.pdf", k.worker_name, k.id));
	const char *d = hx_req_query(r, "download");
	if (!d || strcmp(d, "1") != 0)
		r->filename = NULL;
	return rc;
}

static int h_withdraw(hx_req *r)
{
	static const char *const allowed[] = {"reason", NULL};
	json_t *b, *out = NULL;
	const char *reason;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&reason, NULL, b, "reason", "撤回原因", 1, 500, &err) ||
	    hx_contract_withdraw(&r->ctx, hx_req_param_id(r, 0), reason, &err) ||
	    hx_contract_get(&out, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

/* The signature starts only with the HR user's intent code (意愿确认,
 * 电子签名法 第十三条); the completion signs what was prepared here. */
static int h_sign_prepare(hx_req *r)
{
	static const char *const allowed[] = {"cert_serial", "code", NULL};
	hx_contract_row k;
	json_t *b, *out = NULL;
	const char *serial, *code = NULL;
	int refused = 0;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&serial, NULL, b, "cert_serial", "证书编号", 1, 64, &err) ||
	    hx_json_get_str(&code, NULL, b, "code", "验证码", 0, 6, &err) ||
	    hx_contract_load(&k, &r->ctx, hx_req_param_id(r, 0), 1, &err) ||
	    hx_contract_sign_prepare_confirmed(&out, &r->ctx, &k, serial, code, &refused, &err)) {
		r->commit_anyway = refused;
		return hx_req_fail(r, &err);
	}
	return hx_req_json(r, 200, out);
}

static int answer_signed(hx_req *r, long long id, int pending)
{
	hx_err err = {0};
	json_t *out = NULL;
	if (hx_db_begin_read(r->ctx.db, &err) || hx_contract_get(&out, &r->ctx, id, &err)) {
		hx_db_rollback(r->ctx.db);
		return hx_req_fail(r, &err);
	}
	hx_db_rollback(r->ctx.db);
	return hx_req_json(r, pending ? 202 : 200, out);
}

/* Without a transaction: the completion runs its own. */
static int h_sign(hx_req *r)
{
	static const char *const allowed[] = {"signature_id", "signature", NULL};
	hx_contract_row k;
	json_t *b;
	long long sid;
	const char *sig;
	int pending = 0, rc;
	hx_err err = {0};
	long long id = hx_req_param_id(r, 0);
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_int(&sid, NULL, b, "signature_id", "签名请求", 1, 1, INT64_MAX, &err) ||
	    hx_json_get_str(&sig, NULL, b, "signature", "签名", 1, 512, &err))
		return hx_req_fail(r, &err);
	if (hx_db_begin_read(r->ctx.db, &err))
		return hx_req_fail(r, &err);
	rc = hx_contract_load(&k, &r->ctx, id, 1, &err);
	hx_db_rollback(r->ctx.db);
	if (rc || hx_contract_sign_complete(&r->ctx, id, sid, "enterprise", sig, &pending, &err))
		return hx_req_fail(r, &err);
	return answer_signed(r, id, pending);
}

/* Own transactions (the code is checked in the prepare's). */
static int h_seal(hx_req *r)
{
	static const char *const allowed[] = {"code", NULL};
	json_t *b;
	const char *code = NULL;
	int pending = 0;
	hx_err err = {0};
	long long id = hx_req_param_id(r, 0);
	if (body_or_empty(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&code, NULL, b, "code", "验证码", 0, 6, &err) ||
	    hx_contract_seal_sign_confirmed(&r->ctx, id, code, NULL, &pending, &err))
		return hx_req_fail(r, &err);
	return answer_signed(r, id, pending);
}

static int batch_ids(json_t **ids, hx_req *r, json_t *b, hx_err *err)
{
	(void)r;
	*ids = json_object_get(b, "ids");
	if (!json_is_array(*ids) || json_array_size(*ids) == 0 || json_array_size(*ids) > 1000)
		return hx_err_set(err, HX_EINVAL, "invalid_ids", "ids", "请选择1至1000份合同");
	return 0;
}

/* The code for a batch seal: it confirms exactly these ids. */
static int h_seal_batch_intent(hx_req *r)
{
	static const char *const allowed[] = {"ids", NULL};
	json_t *b, *ids, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (batch_ids(&ids, r, b, &err) || hx_contract_intent_request_batch(&out, &r->ctx, ids, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

/* One code for the whole batch, checked (and a wrong try committed) in a
 * transaction of its own; then each contract with its own transactions,
 * its evidence recording the confirmation. */
static int batch_confirm(hx_intent *in, hx_req *r, json_t *ids, const char *code, hx_err *err)
{
	int rc;
	if (!r->me.user_id || r->me.scope.kind != HX_SCOPE_ENTERPRISE)
		return hx_err_set(err, HX_EPERM, "not_the_enterprise", "", "只有本企业的人员可以使用企业电子印章");
	if ((rc = hx_db_begin_write(r->ctx.db, err)))
		return rc;
	rc = hx_contract_intent_check(in, &r->ctx, hx_contract_intent_batch_subject(&r->ctx, ids), code, 0, err);
	if (rc && !in->refused) {
		hx_db_rollback(r->ctx.db);
		return rc;
	}
	hx_err e2 = {0};
	int crc = hx_db_commit(r->ctx.db, rc ? &e2 : err);
	if (crc)
		hx_db_rollback(r->ctx.db);
	in->batch = 1;
	return rc ? rc : crc;
}

static int h_seal_batch(hx_req *r)
{
	static const char *const allowed[] = {"ids", "code", NULL};
	json_t *b, *ids;
	const char *code = NULL;
	hx_intent in;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (batch_ids(&ids, r, b, &err) || hx_json_get_str(&code, NULL, b, "code", "验证码", 0, 6, &err) ||
	    batch_confirm(&in, r, ids, code, &err))
		return hx_req_fail(r, &err);
	json_t *signed_ = json_array(), *pend = json_array(), *failed = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		hx_err e = {0};
		int pending = 0;
		if (!json_is_integer(v)) {
			json_array_append_new(failed, json_pack("{s:O,s:s}", "id", v, "message", "编号应为整数"));
			continue;
		}
		if (hx_contract_seal_sign_confirmed(&r->ctx, json_integer_value(v), NULL, &in, &pending, &e))
			json_array_append_new(failed, json_pack("{s:O,s:s,s:s}", "id", v, "code", e.key, "message", e.msg));
		else
			json_array_append(pending ? pend : signed_, v);
	}
	return hx_req_json(r, 200, json_pack("{s:o,s:o,s:o}", "signed", signed_, "pending", pend, "failed", failed));
}



static int h_renew(hx_req *r)
{
	static const char *const allowed[] = {"terms", NULL};
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_contract_renew(&out, &r->ctx, hx_req_param_id(r, 0), b, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 201, out);
}


/* The package needs a checkpoint over the contract's events: one write
 * transaction to make it, one snapshot to read. */
static int h_package(hx_req *r)
{
	hx_contract_row k;
	hx_err err = {0};
	access_case ac = {0};
	char *zip = NULL;
	size_t len = 0;
	long long id = hx_req_param_id(r, 0);
	int inq = inquirer(&r->me);
	if (inq && case_args(&ac, r, &err))
		return hx_req_fail(r, &err);
	if (hx_db_begin_write(r->ctx.db, &err) || hx_contract_load(&k, &r->ctx, id, 1, &err) ||
	    (!may_take_documents(&r->me, &k) && documents_forbidden(&err)) ||
	    record_read(r, id, k.worker_name, "package", 0, inq ? &ac : NULL, &err) ||
	    hx_evidence_checkpoint(&r->ctx, NULL, &err) || hx_db_commit(r->ctx.db, &err)) {
		hx_db_rollback(r->ctx.db);
		return hx_req_fail(r, &err);
	}
	if (hx_db_begin_snapshot(r->ctx.db, &err) || hx_evidence_package(&zip, &len, &r->ctx, id, &err)) {
		hx_db_rollback(r->ctx.db);
		return hx_req_fail(r, &err);
	}
	hx_db_rollback(r->ctx.db);
	return hx_req_file(r, zip, len, "application/zip", hx_arena_printf(r->ctx.arena, "证据包-%lld-%s.zip", id, k.worker_name));
}

static int h_verify(hx_req *r)
{
	hx_err err = {0};
	json_t *rep = NULL;
	char sha[65], ca[4096];
	if (r->body_len < 5 || memcmp(r->body, "%PDF-", 5) != 0) {
		hx_err_set(&err, HX_EUNSUPPORTED, "not_pdf", "file", "请上传PDF文件");
		return hx_req_fail(r, &err);
	}
	snprintf(ca, sizeof ca, "%s/ca.crt", hx_cenv.keys_dir);
	if (hx_pades_verify(&rep, (const unsigned char *)r->body, r->body_len, ca, &err))
		return hx_req_fail(r, &err);
	hx_sha256_hex(sha, r->body, r->body_len);
	hx_rows *rows;
	hx_param p[] = {hx_p_text(sha)};
	if (hx_db_query(r->ctx.db, r->ctx.arena, &rows,
			"SELECT d.contract_id AS contract_id, d.version AS version, k.enterprise_id AS enterprise_id,"
			" k.doc_version AS doc_version FROM contract_documents d JOIN contracts k ON k.id = d.contract_id"
			" WHERE d.sha256 = ? ORDER BY d.version DESC LIMIT 1",
			p, 1, &err)) {
		json_decref(rep);
		return hx_req_fail(r, &err);
	}
	int known = rows->nrows == 1;
	/* tampered: signatures that do not hold, or a signed document the
	 * platform does not know */
	int nsig = (int)json_array_size(json_object_get(rep, "signatures"));
	int valid = json_is_true(json_object_get(rep, "valid"));
	int tampered = (nsig > 0 && !valid) || (!known && nsig > 0 && json_is_true(json_object_get(rep, "modified_after_last")));
	json_t *o = json_pack("{s:b,s:b,s:s,s:o}", "known", known, "tampered", tampered || (!known && nsig == 0 ? 0 : tampered),
			      "sha256", sha, "report", rep);
	/* which contract it is, only to those who may read that contract */
	hx_contract_row k;
	hx_err e2 = {0};
	if (known && hx_contract_load(&k, &r->ctx, hx_rows_int(rows, 0, "contract_id"), 1, &e2) == 0) {
		json_object_set_new(o, "contract_id", json_integer(hx_rows_int(rows, 0, "contract_id")));
		json_object_set_new(o, "version", json_integer(hx_rows_int(rows, 0, "version")));
		json_object_set_new(o, "latest", json_boolean(hx_rows_int(rows, 0, "version") == hx_rows_int(rows, 0, "doc_version")));
	}
	json_object_set_new(o, "message",
			    json_string(known && valid	 ? "文件与平台存档一致，签名有效"
					: known		 ? "文件与平台存档一致（尚未签署）"
					: tampered	 ? "文件已被篡改：签名无效或签名后被改动"
					: nsig		 ? "签名有效，但平台没有这份文件的存档"
							 : "平台没有这份文件的存档，文件中也没有签名"));
	return hx_req_json(r, 200, o);
}

static int h_cert(hx_req *r)
{
	static const char *const allowed[] = {"spki", "proof", NULL};
	json_t *b, *out = NULL;
	const char *spki, *proof, *ename;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	long long eid = r->me.scope.enterprise_id;
	if (!eid) {
		hx_err_set(&err, HX_EPERM, "not_enterprise", "", "只有企业用户可以申请企业签名证书");
		return hx_req_fail(r, &err);
	}
	if (hx_json_get_str(&spki, NULL, b, "spki", "公钥", 1, 1024, &err) ||
	    hx_json_get_str(&proof, NULL, b, "proof", "持有证明", 1, 256, &err) ||
	    hx_registry_enterprise_name(&ename, &r->ctx, eid, &err) ||
	    hx_contract_cert_issue(&out, &r->ctx, "user", hx_arena_printf(r->ctx.arena, "%lld", r->me.user_id), eid, ename,
				   ename, spki, proof, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 201, out);
}

/* Only the holder, the enterprise's own HR (its seal) and county
 * administrators revoke; logged, evidenced, the holder told
 * (hx_contract_cert_revoke_by). */
static int h_cert_revoke(hx_req *r)
{
	static const char *const allowed[] = {"reason", NULL};
	json_t *b;
	const char *reason = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, allowed))
		return 0;
	if (hx_json_get_str(&reason, NULL, b, "reason", "吊销原因", 1, 200, &err) ||
	    hx_contract_cert_revoke_by(&r->ctx, r->params[0], reason, NULL, &err))
		return hx_req_fail(r, &err);
	r->status = 204;
	return 0;
}

static int h_batch_create(hx_req *r)
{
	json_t *b, *out = NULL;
	hx_err err = {0};
	if (hx_req_body_json(r, &b, NULL))
		return 0;
	if (hx_contract_batch_create(&out, &r->ctx, b, &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 202, out);
}

static int h_batch_get(hx_req *r)
{
	json_t *out = NULL;
	hx_err err = {0};
	if (hx_contract_batch_get(&out, &r->ctx, hx_req_param_id(r, 0), &err))
		return hx_req_fail(r, &err);
	return hx_req_json(r, 200, out);
}

#define DRAFT HX_PERM_CONTRACT_DRAFT
/* reading: any one of draft, oversee, inquire (READERS) */
#define READ READERS
#define ANY HX_ROUTE_PERM_ANY

void hx_contract_http_register(struct hx_server *s)
{
	static const hx_route routes[] = {
		{"POST", "/api/v1/contracts/lint", h_lint, HX_ROUTE_NO_TX, 0},
		{"GET", "/api/v1/contracts/templates", h_templates, HX_ROUTE_NO_TX, 0},
		{"POST", "/api/v1/contracts/render", h_render, HX_ROUTE_NO_TX, 0},
		{"GET", "/api/v1/contracts", h_list, ANY, READ},
		{"GET", "/api/v1/contracts/export.xlsx", h_export, ANY, DRAFT | HX_PERM_CONTRACT_OVERSEE},
		{"POST", "/api/v1/contracts", h_create, 0, DRAFT},
		{"POST", "/api/v1/contracts/batches", h_batch_create, 0, DRAFT},
		{"GET", "/api/v1/contracts/batches/:id", h_batch_get, 0, DRAFT},
		{"POST", "/api/v1/contracts/seal", h_seal_batch, HX_ROUTE_NO_TX, DRAFT},
		{"POST", "/api/v1/contracts/seal/intent", h_seal_batch_intent, 0, DRAFT},
		{"POST", "/api/v1/contracts/verify", h_verify, HX_ROUTE_UPLOAD | ANY, READ},
		{"POST", "/api/v1/contracts/certificates", h_cert, 0, DRAFT},
		{"POST", "/api/v1/contracts/certificates/:serial/revoke", h_cert_revoke, 0, 0},
		{"GET", "/api/v1/contracts/rates", hx_contract_http_rates, 0, HX_PERM_CONTRACT_OVERSEE},
		{"GET", "/api/v1/contracts/rates.xlsx", hx_contract_http_rates_xlsx, 0, HX_PERM_CONTRACT_OVERSEE},
		{"GET", "/api/v1/contracts/filing", hx_contract_http_filing, 0, HX_PERM_CONTRACT_OVERSEE},
		{"GET", "/api/v1/contracts/filing.xlsx", hx_contract_http_filing_xlsx, 0, HX_PERM_CONTRACT_OVERSEE},
		{"GET", "/api/v1/contracts/wage-tiers", hx_contract_http_tiers, 0, 0},
		{"PUT", "/api/v1/contracts/wage-tiers/:id", hx_contract_http_tier_set, 0, HX_PERM_AREAS_MANAGE},
		{"GET", "/api/v1/contracts/:id", h_get, HX_ROUTE_NO_TX | ANY, READ},
		{"PUT", "/api/v1/contracts/:id", h_update, 0, DRAFT},
		{"DELETE", "/api/v1/contracts/:id", h_delete, 0, DRAFT},
		{"POST", "/api/v1/contracts/:id/send", h_send, 0, DRAFT},
		{"GET", "/api/v1/contracts/:id/qr.png", h_qr, 0, DRAFT},
		{"GET", "/api/v1/contracts/:id/qr.svg", h_qr, 0, DRAFT},
		{"GET", "/api/v1/contracts/:id/document.pdf", h_document, HX_ROUTE_NO_TX | ANY, READ},
		{"GET", "/api/v1/contracts/:id/preview.pdf", h_preview, 0, DRAFT},
		{"POST", "/api/v1/contracts/:id/withdraw", h_withdraw, 0, DRAFT},
		{"POST", "/api/v1/contracts/:id/sign/prepare", h_sign_prepare, 0, DRAFT},
		{"POST", "/api/v1/contracts/:id/sign", h_sign, HX_ROUTE_NO_TX, DRAFT},
		{"POST", "/api/v1/contracts/:id/seal", h_seal, HX_ROUTE_NO_TX, DRAFT},
		{"POST", "/api/v1/contracts/:id/intent", h_intent, 0, DRAFT},
		{"POST", "/api/v1/contracts/:id/amend", h_amend, 0, DRAFT},
		{"POST", "/api/v1/contracts/:id/renew", h_renew, 0, DRAFT},
		{"POST", "/api/v1/contracts/:id/terminate", h_terminate, 0, DRAFT},
		{"GET", "/api/v1/contracts/:id/evidence.zip", h_package, HX_ROUTE_NO_TX | ANY, READ},
		{"POST", "/api/v1/enterprises/:id/seal", h_seal_make, 0, DRAFT},
		{"POST", "/api/v1/enterprises/:id/seal/intent", h_seal_make_intent, 0, DRAFT},
		{"GET", "/api/v1/trust/ca.crt", hx_contract_http_ca, HX_ROUTE_PUBLIC | HX_ROUTE_NO_TX, 0},
		{"GET", "/api/v1/trust/issuing.crt", hx_contract_http_issuing, HX_ROUTE_PUBLIC | HX_ROUTE_NO_TX, 0},
		{"GET", "/api/v1/trust/crl", hx_contract_http_crl, HX_ROUTE_PUBLIC, 0},
		{"GET", "/api/v1/trust/checkpoint", hx_contract_http_checkpoint, HX_ROUTE_PUBLIC, 0},
		{"POST", "/api/v1/trust/tsa", hx_contract_http_tsa, HX_ROUTE_PUBLIC | HX_ROUTE_NO_TX | HX_ROUTE_NO_CSRF, 0},
		{"GET", "/api/v1/outbox", hx_contract_http_outbox, 0, HX_PERM_USERS_MANAGE},
	};
	hx_server_routes(s, routes, sizeof routes / sizeof routes[0]);
	hx_contract_signer_http_register(s);
}
