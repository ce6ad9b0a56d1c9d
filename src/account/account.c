/* Accounts: roles and permissions, password hashing (Argon2id), users and
 * organizations. */
#include "account.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/crypto.h"
#include "../core/json.h"
#include "../core/timeutil.h"
#include "../registry/registry.h"
#include "../store/store.h"

#define RW (HX_PERM_REGISTRY_READ | HX_PERM_REGISTRY_WRITE)

/* The organizations of 附件3 第四条's 法律法规授权机构 that may ask for a
 * contract in a case: 劳动保障监察, 劳动人事争议仲裁, 人民法院. */
static const char *const AUTHORITY_ORG_KINDS[] = {"labor_inspection", "arbitration", "court", NULL};

static const hx_role ROLES[] = {
	/* the administrator oversees; reading under a case number is the
	 * authorities' own (and needs pii.read, which the admin lacks) */
	{"admin", "系统管理员", HX_SCOPE_COUNTY, HX_PERM_ALL & ~(HX_PERM_PII_READ | HX_PERM_CONTRACT_INQUIRE), 0, NULL},
	{"county_officer", "县级业务人员", HX_SCOPE_COUNTY,
	 RW | HX_PERM_REGISTRY_DELETE | HX_PERM_IMPORT | HX_PERM_ORGS_MANAGE | HX_PERM_RATING_MANAGE |
		 HX_PERM_CHECKUP_MANAGE | HX_PERM_CONTRACT_OVERSEE, 0, NULL},
	{"reviewer", "考评单位人员", HX_SCOPE_COUNTY, HX_PERM_REGISTRY_READ | HX_PERM_RATING_REVIEW, 0, NULL},
	{"area_officer", "乡镇/街道/园区工作人员", HX_SCOPE_AREA, RW | HX_PERM_IMPORT | HX_PERM_RATING_APPLY | HX_PERM_CONTRACT_OVERSEE, 0, NULL},
	{"agency", "第三方机构人员", HX_SCOPE_ORG, HX_PERM_REGISTRY_READ | HX_PERM_CHECKUP_INSPECT, 0, NULL},
	{"enterprise_hr", "企业人事", HX_SCOPE_ENTERPRISE,
	 RW | HX_PERM_IMPORT | HX_PERM_PII_READ | HX_PERM_RATING_APPLY | HX_PERM_CHECKUP_RESPOND |
		 HX_PERM_CONTRACT_DRAFT, 0, NULL},
	{"worker", "劳动者", HX_SCOPE_SELF, HX_PERM_REGISTRY_READ | HX_PERM_PII_READ, 0, NULL},
	/* read-only: contracts and evidence packages (with the ID numbers they
	 * carry), nothing of the registry, no drafting, signing or revoking */
	{"authority", "执法司法机关人员", HX_SCOPE_COUNTY, HX_PERM_CONTRACT_INQUIRE | HX_PERM_PII_READ, 1,
	 AUTHORITY_ORG_KINDS},
};

static const char *const PERM_KEYS[] = {"registry.read", "registry.write", "registry.delete",
					"import", "pii.read", "areas.manage", "orgs.manage",
					"users.manage", "audit.read", "rating.manage", "rating.apply",
					"rating.review", "checkup.manage", "checkup.inspect",
					"checkup.respond", "contract.draft", "contract.oversee",
					"contract.inquire"};

const hx_role *hx_account_role(const char *key)
{
	for (size_t i = 0; key && i < sizeof ROLES / sizeof ROLES[0]; i++)
		if (strcmp(ROLES[i].key, key) == 0)
			return &ROLES[i];
	return NULL;
}

const hx_role *hx_account_roles(size_t *n)
{
	*n = sizeof ROLES / sizeof ROLES[0];
	return ROLES;
}

const char *hx_account_perm_key(unsigned perm)
{
	for (unsigned i = 0; i < sizeof PERM_KEYS / sizeof PERM_KEYS[0]; i++)
		if (perm == (1u << i))
			return PERM_KEYS[i];
	return NULL;
}

const char *hx_account_scope_kind_key(hx_scope_kind k)
{
	static const char *const K[] = {"county", "area", "enterprise", "org", "self"};
	return (unsigned)k < 5 ? K[k] : "none";
}

void hx_account_cli_principal(hx_principal *out)
{
	memset(out, 0, sizeof *out);
	out->username = "cli";
	out->display_name = "命令行";
	out->role = "admin";
	out->perms = HX_PERM_ALL;
	out->scope.kind = HX_SCOPE_COUNTY;
}

/* ---- passwords ---- */

int hx_account_password_hash(char out[128], const char *password, hx_err *err)
{
	if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return hx_err_set(err, HX_ENOMEM, "nomem", "", "password hashing ran out of memory");
	return 0;
}

int hx_account_password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void hx_account_password_generate(char out[17])
{
	/* No 0/O, 1/l/I: read aloud or copied from a screen. */
	static const char A[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	for (int i = 0; i < 16; i++)
		out[i] = A[randombytes_uniform(sizeof A - 1)];
	out[16] = '\0';
}

int hx_account_password_policy(const char *password, const char *username, const char *field,
			       hx_err *err)
{
	size_t n = password ? hx_utf8_len(password) : 0;
	if (n < 10)
		return hx_err_set(err, HX_EINVAL, "weak_password", field, "密码至少10个字符");
	if (n > 128)
		return hx_err_set(err, HX_EINVAL, "too_long", field, "密码不能超过128个字符");
	if (username && strcasecmp(password, username) == 0)
		return hx_err_set(err, HX_EINVAL, "weak_password", field, "密码不能与用户名相同");
	int kinds = 0, lower = 0, upper = 0, digit = 0, other = 0;
	for (const char *p = password; *p; p++) {
		if (islower((unsigned char)*p))
			lower = 1;
		else if (isupper((unsigned char)*p))
			upper = 1;
		else if (isdigit((unsigned char)*p))
			digit = 1;
		else
			other = 1;
	}
	kinds = lower + upper + digit + other;
	if (kinds < 2)
		return hx_err_set(err, HX_EINVAL, "weak_password", field,
				  "密码应至少包含字母、数字、符号中的两类");
	return 0;
}

/* ---- users ---- */

#define USER_COLS \
	"u.id AS id, u.username AS username, u.display_name AS display_name, u.phone AS phone, u.role AS role, u.org_id AS org_id, o.name AS org_name," \
	" u.scope_area_id AS scope_area_id, u.scope_enterprise_id AS scope_enterprise_id, u.scope_worker_id AS scope_worker_id, u.must_change_password AS must_change_password," \
	" u.disabled AS disabled, u.created_at AS created_at, u.last_login_at AS last_login_at"
#define USER_FROM " FROM users u LEFT JOIN organizations o ON o.id = u.org_id"

static json_t *id_or_null(const char *v)
{
	return v ? json_integer(atoll(v)) : json_null();
}

static json_t *user_json(hx_ctx *c, const hx_rows *r, int i)
{
	const hx_role *role = hx_account_role(hx_rows_get(r, i, "role"));
	json_t *u = json_object();
	json_object_set_new(u, "id", json_integer(hx_rows_int(r, i, "id")));
	json_object_set_new(u, "username", json_string(hx_rows_get(r, i, "username")));
	json_object_set_new(u, "display_name", json_string(hx_rows_get(r, i, "display_name")));
	json_object_set_new(u, "phone", hx_json_str_or_null(hx_rows_get(r, i, "phone")));
	json_object_set_new(u, "role", json_string(hx_rows_get(r, i, "role")));
	json_object_set_new(u, "role_name", json_string(role ? role->name : "未知"));
	json_object_set_new(u, "org_id", id_or_null(hx_rows_get(r, i, "org_id")));
	json_object_set_new(u, "org_name", hx_json_str_or_null(hx_rows_get(r, i, "org_name")));
	json_t *scope = json_object();
	hx_scope_kind k = role ? role->scope_kind : HX_SCOPE_SELF;
	const char *aid = hx_rows_get(r, i, "scope_area_id");
	if (role && role->area_optional && aid)
		k = HX_SCOPE_AREA;
	json_object_set_new(scope, "kind", json_string(hx_account_scope_kind_key(k)));
	const char *eid = hx_rows_get(r, i, "scope_enterprise_id");
	json_object_set_new(scope, "area_id", id_or_null(aid));
	json_object_set_new(scope, "enterprise_id", id_or_null(eid));
	json_object_set_new(scope, "worker_id", id_or_null(hx_rows_get(r, i, "scope_worker_id")));
	const char *name = NULL;
	hx_err e2 = {0};
	if (aid && hx_registry_area_name(&name, c, atoll(aid), &e2) == 0)
		json_object_set_new(scope, "area_name", json_string(name));
	if (eid) {
		/* the name regardless of the viewer's scope: it is the user's own */
		hx_principal cli;
		hx_account_cli_principal(&cli);
		hx_ctx c2 = *c;
		c2.me = &cli;
		if (hx_registry_enterprise_name(&name, &c2, atoll(eid), &e2) == 0)
			json_object_set_new(scope, "enterprise_name", json_string(name));
	}
	json_object_set_new(u, "scope", scope);
	json_t *perms = json_array();
	for (unsigned b = 1; role && b < HX_PERM_ALL; b <<= 1)
		if (role->perms & b)
			json_array_append_new(perms, json_string(hx_account_perm_key(b)));
	json_object_set_new(u, "permissions", perms);
	json_object_set_new(u, "must_change_password",
			    json_boolean(hx_rows_int(r, i, "must_change_password")));
	json_object_set_new(u, "disabled", json_boolean(hx_rows_int(r, i, "disabled")));
	json_object_set_new(u, "created_at", json_string(hx_rows_get(r, i, "created_at")));
	json_object_set_new(u, "last_login_at", hx_json_str_or_null(hx_rows_get(r, i, "last_login_at")));
	return u;
}

int hx_account_user_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT " USER_COLS USER_FROM " WHERE u.id = ?", p, 1, err);
	if (rc)
		return rc;
	if (r->nrows == 0)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "用户不存在");
	*out = user_json(c, r, 0);
	return 0;
}

json_t *hx_account_principal_json(hx_ctx *c, const hx_principal *p)
{
	json_t *u = NULL;
	hx_err err = {0};
	if (hx_account_user_get(&u, c, p->user_id, &err))
		return json_object();
	return u;
}

int hx_account_user_list(json_t **out, hx_ctx *c, const char *q, const char *role, long long org_id,
			 long long page, long long page_size, hx_err *err)
{
	hx_buf w;
	hx_buf_init(&w, 1024);
	hx_param p[8];
	int np = 0, rc;
	hx_buf_puts(&w, " WHERE 1=1");
	if (q && *q) {
		char *pat = hx_store_like_pattern(c->arena, q);
		hx_buf_puts(&w, " AND (u.username LIKE ? ESCAPE '\\' OR u.display_name LIKE ? ESCAPE '\\')");
		p[np++] = hx_p_text(pat);
		p[np++] = hx_p_text(pat);
	}
	if (role && *role) {
		hx_buf_puts(&w, " AND u.role = ?");
		p[np++] = hx_p_text(role);
	}
	if (org_id) {
		hx_buf_puts(&w, " AND u.org_id = ?");
		p[np++] = hx_p_int(org_id);
	}
	long long total = 0;
	if ((rc = hx_db_int(c->db, &total, hx_arena_printf(c->arena, "SELECT count(*)" USER_FROM "%s", w.data),
			    p, np, err)))
		goto done;
	p[np++] = hx_p_int(page_size);
	p[np++] = hx_p_int((page - 1) * page_size);
	hx_rows *r;
	if ((rc = hx_db_query(c->db, c->arena, &r,
			      hx_arena_printf(c->arena, "SELECT " USER_COLS USER_FROM "%s ORDER BY u.id LIMIT ? OFFSET ?", w.data),
			      p, np, err)))
		goto done;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, user_json(c, r, i));
	*out = json_pack("{s:o,s:I,s:I,s:I}", "items", items, "total", (json_int_t)total, "page",
			 (json_int_t)page, "page_size", (json_int_t)page_size);
done:
	hx_buf_free(&w);
	return rc;
}

static int valid_username(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 32)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-' && *s != '@')
			return 0;
	return 1;
}

int hx_account_phone_check(const char *phone, const char *field, hx_err *err);

static int check_org(hx_ctx *c, long long org_id, const char **kind, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(org_id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT kind FROM organizations WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	if (r->nrows == 0)
		return hx_err_set(err, HX_EINVAL, "invalid_org", "org_id", "所属机构不存在");
	if (kind)
		*kind = hx_rows_cell(r, 0, 0);
	return 0;
}

/* Reads and checks the role and scope fields of a user body. cur is the
 * current row (update) or NULL (create). */
typedef struct user_fields {
	const char *role;
	long long org_id, area_id, enterprise_id, worker_id;
} user_fields;

static int read_scope(user_fields *f, hx_ctx *c, json_t *body, int creating, hx_err *err)
{
	int rc, present;
	const char *role = NULL;
	long long v;
	if ((rc = hx_json_get_str(&role, &present, body, "role", "角色", creating, 32, err)))
		return rc;
	if (present)
		f->role = role;
	const hx_role *R = hx_account_role(f->role);
	if (!R)
		return hx_err_set(err, HX_EINVAL, "invalid_role", "role", "角色无效");
	struct {
		const char *key;
		const char *label;
		long long *dst;
	} ids[] = {{"org_id", "所属机构", &f->org_id},
		   {"area_id", "所辖区域", &f->area_id},
		   {"enterprise_id", "所属企业", &f->enterprise_id},
		   {"worker_id", "对应职工", &f->worker_id}};
	for (size_t i = 0; i < 4; i++) {
		json_t *j = json_object_get(body, ids[i].key);
		if (j && json_is_null(j)) {
			*ids[i].dst = 0;
			continue;
		}
		if ((rc = hx_json_get_int(&v, &present, body, ids[i].key, ids[i].label, 0, 1, INT64_MAX, err)))
			return rc;
		if (present)
			*ids[i].dst = v;
	}
	/* Keep only the scope field the role uses. */
	if (R->scope_kind != HX_SCOPE_AREA && !R->area_optional)
		f->area_id = 0;
	if (R->scope_kind != HX_SCOPE_ENTERPRISE)
		f->enterprise_id = 0;
	if (R->scope_kind != HX_SCOPE_SELF)
		f->worker_id = 0;
	const char *name, *kind = NULL;
	hx_principal cli;
	hx_account_cli_principal(&cli);
	hx_ctx c2 = *c;
	c2.me = &cli;
	if (f->org_id && (rc = check_org(c, f->org_id, &kind, err)))
		return rc;
	if (R->org_kinds) {
		int ok = 0;
		for (int i = 0; kind && R->org_kinds[i]; i++)
			ok |= strcmp(kind, R->org_kinds[i]) == 0;
		if (!f->org_id)
			return hx_err_set(err, HX_EINVAL, "required", "org_id", "请选择所属机构（劳动保障监察机构、劳动人事争议仲裁委员会或人民法院）");
		if (!ok)
			return hx_err_set(err, HX_EINVAL, "invalid_org", "org_id",
					  "执法司法机关人员应属于劳动保障监察机构、劳动人事争议仲裁委员会或人民法院");
	}
	if (R->area_optional && f->area_id && hx_registry_area_name(&name, &c2, f->area_id, err))
		return hx_err_set(err, HX_EINVAL, "invalid_area", "area_id", "所辖区域不存在");
	switch (R->scope_kind) {
	case HX_SCOPE_AREA:
		if (!f->area_id)
			return hx_err_set(err, HX_EINVAL, "required", "area_id", "请选择所辖区域");
		if (hx_registry_area_name(&name, &c2, f->area_id, err))
			return hx_err_set(err, HX_EINVAL, "invalid_area", "area_id", "所辖区域不存在");
		break;
	case HX_SCOPE_ENTERPRISE:
		if (!f->enterprise_id)
			return hx_err_set(err, HX_EINVAL, "required", "enterprise_id", "请选择所属企业");
		if (hx_registry_enterprise_name(&name, &c2, f->enterprise_id, err))
			return hx_err_set(err, HX_EINVAL, "invalid_enterprise", "enterprise_id", "所属企业不存在");
		break;
	case HX_SCOPE_ORG:
		if (!f->org_id)
			return hx_err_set(err, HX_EINVAL, "required", "org_id", "请选择所属第三方机构");
		if (strcmp(kind, "agency") != 0 && strcmp(kind, "task_force") != 0)
			return hx_err_set(err, HX_EINVAL, "invalid_org", "org_id",
					  "第三方机构人员应属于第三方服务机构或专班");
		break;
	case HX_SCOPE_SELF:
		if (!f->worker_id)
			return hx_err_set(err, HX_EINVAL, "required", "worker_id", "请指定对应的职工");
		if (hx_registry_worker_exists(&c2, f->worker_id, err))
			return hx_err_set(err, HX_EINVAL, "invalid_worker", "worker_id", "对应的职工不存在");
		break;
	default:
		break;
	}
	return 0;
}

static hx_param id_param(long long v)
{
	return v ? hx_p_int(v) : hx_p_null();
}

int hx_account_user_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	const char *username, *display, *password, *phone;
	int rc, has_pw;
	user_fields f = {0};
	char generated[17] = "", hash[128];
	if ((rc = hx_json_get_str(&username, NULL, body, "username", "用户名", 1, 32, err)) ||
	    (rc = hx_json_get_str(&display, NULL, body, "display_name", "姓名", 1, 50, err)) ||
	    (rc = hx_json_get_str(&password, &has_pw, body, "password", "密码", 0, 128, err)) ||
	    (rc = hx_json_get_str(&phone, NULL, body, "phone", "手机号码", 0, 20, err)))
		return rc;
	if (!valid_username(username))
		return hx_err_set(err, HX_EINVAL, "invalid_username", "username",
				  "用户名应为3到32位字母、数字或 _ . - @");
	if (phone && (rc = hx_account_phone_check(phone, "phone", err)))
		return rc;
	if (has_pw && (rc = hx_account_password_policy(password, username, "password", err)))
		return rc;
	if ((rc = read_scope(&f, c, body, 1, err)))
		return rc;
	if (!has_pw) {
		hx_account_password_generate(generated);
		password = generated;
	}
	if ((rc = hx_account_password_hash(hash, password, err)))
		return rc;
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(username), hx_p_text(display), hx_p_text(phone), hx_p_text(hash),
			hx_p_text(f.role), id_param(f.org_id), id_param(f.area_id),
			id_param(f.enterprise_id), id_param(f.worker_id), hx_p_int(!has_pw),
			hx_p_text(now), hx_p_text(now)};
	long long id;
	rc = hx_db_int(c->db, &id,
		       "INSERT INTO users (username, display_name, phone, password_hash, role, org_id,"
		       " scope_area_id, scope_enterprise_id, scope_worker_id, must_change_password,"
		       " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		       p, 12, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_username", "username", "用户名“%s”已被使用",
				  username);
	if (rc)
		return rc;
	if ((rc = hx_account_user_get(out, c, id, err)))
		return rc;
	json_t *ch = json_pack("{s:[n,s],s:[n,s],s:[n,s]}", "username", username, "display_name",
			       display, "role", f.role);
	rc = hx_audit_write(c, "create", "user", id, username, ch, err);
	json_decref(ch);
	if (!rc && !has_pw)
		json_object_set_new(*out, "initial_password", json_string(generated));
	return rc;
}

int hx_account_user_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	json_t *before = NULL;
	int rc = hx_account_user_get(&before, c, id, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, before);
	user_fields f = {0};
	f.role = hx_arena_strdup(c->arena, json_string_value(json_object_get(before, "role")));
	json_t *scope = json_object_get(before, "scope");
	f.org_id = json_integer_value(json_object_get(before, "org_id"));
	f.area_id = json_integer_value(json_object_get(scope, "area_id"));
	f.enterprise_id = json_integer_value(json_object_get(scope, "enterprise_id"));
	f.worker_id = json_integer_value(json_object_get(scope, "worker_id"));
	const char *display = json_string_value(json_object_get(before, "display_name"));
	const char *phone = json_string_value(json_object_get(before, "phone"));
	int disabled = json_is_true(json_object_get(before, "disabled")), present;
	const char *s;
	if ((rc = hx_json_get_str(&s, &present, body, "display_name", "姓名", 0, 50, err)))
		return rc;
	if (present)
		display = s;
	if (json_object_get(body, "phone")) {
		if ((rc = hx_json_get_str(&s, &present, body, "phone", "手机号码", 0, 20, err)))
			return rc;
		if (present && (rc = hx_account_phone_check(s, "phone", err)))
			return rc;
		phone = present ? s : NULL;
	}
	if ((rc = hx_json_get_bool(&disabled, NULL, body, "disabled", "停用", 0, err)))
		return rc;
	if (disabled && c->me && c->me->user_id == id)
		return hx_err_set(err, HX_EINVAL, "self_disable", "disabled", "不能停用自己的账号");
	if ((rc = read_scope(&f, c, body, 0, err)))
		return rc;
	if (c->me && c->me->user_id == id && strcmp(f.role, "admin") != 0)
		return hx_err_set(err, HX_EINVAL, "self_demote", "role", "不能修改自己的管理员角色");
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(display), hx_p_text(phone), hx_p_text(f.role), id_param(f.org_id),
			id_param(f.area_id), id_param(f.enterprise_id), id_param(f.worker_id),
			hx_p_int(disabled), hx_p_text(now), hx_p_int(id)};
	if ((rc = hx_db_exec(c->db,
			     "UPDATE users SET display_name = ?, phone = ?, role = ?, org_id = ?,"
			     " scope_area_id = ?, scope_enterprise_id = ?, scope_worker_id = ?,"
			     " disabled = ?, updated_at = ? WHERE id = ?",
			     p, 10, NULL, err)))
		return rc;
	if (disabled) {
		hx_param q[] = {hx_p_int(id)};
		if ((rc = hx_db_exec(c->db, "DELETE FROM sessions WHERE user_id = ?", q, 1, NULL, err)))
			return rc;
	}
	if ((rc = hx_account_user_get(out, c, id, err)))
		return rc;
	json_t *ch = hx_audit_diff(before, *out, NULL);
	rc = hx_audit_write(c, "update", "user", id, json_string_value(json_object_get(*out, "username")),
			    ch, err);
	json_decref(ch);
	return rc;
}

int hx_account_user_set_password(hx_ctx *c, long long id, const char *password, int must_change,
				 char generated[17], hx_err *err)
{
	char hash[128], now[21];
	int rc;
	if (!password) {
		hx_account_password_generate(generated);
		password = generated;
	}
	if ((rc = hx_account_password_hash(hash, password, err)))
		return rc;
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(hash), hx_p_int(must_change), hx_p_text(now), hx_p_int(id)};
	long long n = 0;
	if ((rc = hx_db_exec(c->db,
			     "UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = ?"
			     " WHERE id = ?",
			     p, 4, &n, err)))
		return rc;
	if (n == 0)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "用户不存在");
	/* End the user's other sessions (all of them when an admin resets). */
	hx_param q[] = {hx_p_int(id), hx_p_int(c->me ? c->me->session_id : 0)};
	if ((rc = hx_db_exec(c->db, "DELETE FROM sessions WHERE user_id = ? AND id <> ?", q, 2, NULL, err)))
		return rc;
	hx_param k[] = {hx_p_int(id)};
	hx_rows *r;
	if ((rc = hx_db_query(c->db, c->arena, &r, "SELECT username FROM users WHERE id = ?", k, 1, err)))
		return rc;
	return hx_audit_write(c, must_change ? "password_reset" : "password_change", "user", id,
			      r->nrows ? hx_rows_cell(r, 0, 0) : NULL, NULL, err);
}

int hx_account_user_find(long long *id, hx_ctx *c, const char *username, hx_err *err)
{
	hx_param p[] = {hx_p_text(username)};
	int rc = hx_db_int(c->db, id, "SELECT id FROM users WHERE username = ?", p, 1, err);
	if (rc == HX_ENOTFOUND)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "username", "用户“%s”不存在", username);
	return rc;
}

int hx_account_user_count(long long *n, hx_ctx *c, hx_err *err)
{
	return hx_db_int(c->db, n, "SELECT count(*) FROM users", NULL, 0, err);
}

int hx_account_phone_check(const char *phone, const char *field, hx_err *err)
{
	size_t n = strlen(phone);
	int ok = 0;
	if (n == 11 && phone[0] == '1' && phone[1] >= '3' && phone[1] <= '9') {
		ok = 1;
		for (size_t i = 0; i < n; i++)
			if (!isdigit((unsigned char)phone[i]))
				ok = 0;
	} else if (n >= 7 && n <= 20) {
		/* a landline: 0578-5123456 */
		ok = 1;
		for (size_t i = 0; i < n; i++)
			if (!isdigit((unsigned char)phone[i]) && phone[i] != '-')
				ok = 0;
	}
	return ok ? 0 : hx_err_set(err, HX_EINVAL, "invalid_phone", field,
				   "电话号码格式不正确（11位手机号码或带区号的固定电话）");
}

/* ---- organizations ---- */

static const char *const ORG_KINDS[] = {"department", "县级部门/考评单位", "agency", "第三方服务机构",
					"union", "工会", "mediation", "调解组织", "task_force", "专班",
					"enterprise_org", "企业", "labor_inspection", "劳动保障监察机构",
					"arbitration", "劳动人事争议仲裁委员会", "court", "人民法院", NULL};

int hx_account_org_kind_valid(const char *kind)
{
	for (int i = 0; kind && ORG_KINDS[i]; i += 2)
		if (strcmp(ORG_KINDS[i], kind) == 0)
			return 1;
	return 0;
}

static const char *org_kind_name(const char *kind)
{
	for (int i = 0; kind && ORG_KINDS[i]; i += 2)
		if (strcmp(ORG_KINDS[i], kind) == 0)
			return ORG_KINDS[i + 1];
	return "";
}

#define ORG_COLS \
	"o.id AS id, o.name AS name, o.kind AS kind, o.area_id AS area_id, o.contact AS contact, o.phone AS phone," \
	" (SELECT count(*) FROM users u WHERE u.org_id = o.id) AS user_count"

static json_t *org_json(hx_ctx *c, const hx_rows *r, int i)
{
	json_t *o = json_object();
	long long id = hx_rows_int(r, i, "id");
	const char *kind = hx_rows_get(r, i, "kind");
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "name", json_string(hx_rows_get(r, i, "name")));
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "kind_name", json_string(org_kind_name(kind)));
	json_object_set_new(o, "area_id", id_or_null(hx_rows_get(r, i, "area_id")));
	json_object_set_new(o, "contact", hx_json_str_or_null(hx_rows_get(r, i, "contact")));
	json_object_set_new(o, "phone", hx_json_str_or_null(hx_rows_get(r, i, "phone")));
	json_object_set_new(o, "user_count", json_integer(hx_rows_int(r, i, "user_count")));
	long long n = 0;
	hx_err e = {0};
	if (strcmp(kind, "agency") == 0 || strcmp(kind, "task_force") == 0)
		hx_registry_agency_count(&n, c, id, &e);
	json_object_set_new(o, "enterprise_count", json_integer(n));
	return o;
}

int hx_account_org_get(json_t **out, hx_ctx *c, long long id, hx_err *err)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT " ORG_COLS " FROM organizations o WHERE o.id = ?",
			     p, 1, err);
	if (rc)
		return rc;
	if (!r->nrows)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "机构不存在");
	*out = org_json(c, r, 0);
	return 0;
}

int hx_account_org_list(json_t **out, hx_ctx *c, hx_err *err)
{
	hx_rows *r;
	int rc = hx_db_query(c->db, c->arena, &r,
			     "SELECT " ORG_COLS " FROM organizations o ORDER BY o.kind, o.id", NULL, 0, err);
	if (rc)
		return rc;
	json_t *items = json_array();
	for (int i = 0; i < r->nrows; i++)
		json_array_append_new(items, org_json(c, r, i));
	*out = json_pack("{s:o}", "items", items);
	return 0;
}

static int org_fields(hx_ctx *c, json_t *body, int creating, const char **name, const char **kind,
		      long long *area_id, const char **contact, const char **phone, hx_err *err)
{
	int rc, present;
	const char *s;
	long long v;
	if ((rc = hx_json_get_str(&s, &present, body, "name", "机构名称", creating, 100, err)))
		return rc;
	if (present)
		*name = s;
	if ((rc = hx_json_get_str(&s, &present, body, "kind", "机构类型", creating, 32, err)))
		return rc;
	if (present) {
		if (!hx_account_org_kind_valid(s))
			return hx_err_set(err, HX_EINVAL, "invalid_kind", "kind", "机构类型无效");
		*kind = s;
	}
	if (json_is_null(json_object_get(body, "area_id")))
		*area_id = 0;
	else {
		if ((rc = hx_json_get_int(&v, &present, body, "area_id", "所在区域", 0, 1, INT64_MAX, err)))
			return rc;
		if (present) {
			const char *an;
			if (hx_registry_area_name(&an, c, v, err))
				return hx_err_set(err, HX_EINVAL, "invalid_area", "area_id", "所在区域不存在");
			*area_id = v;
		}
	}
	if (json_object_get(body, "contact")) {
		if ((rc = hx_json_get_str(&s, NULL, body, "contact", "联系人", 0, 50, err)))
			return rc;
		*contact = s;
	}
	if (json_object_get(body, "phone")) {
		if ((rc = hx_json_get_str(&s, &present, body, "phone", "联系电话", 0, 20, err)))
			return rc;
		if (present && (rc = hx_account_phone_check(s, "phone", err)))
			return rc;
		*phone = s;
	}
	return 0;
}

int hx_account_org_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err)
{
	const char *name = NULL, *kind = NULL, *contact = NULL, *phone = NULL;
	long long area_id = 0, id;
	int rc = org_fields(c, body, 1, &name, &kind, &area_id, &contact, &phone, err);
	if (rc)
		return rc;
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(name), hx_p_text(kind), id_param(area_id), hx_p_text(contact),
			hx_p_text(phone), hx_p_text(now), hx_p_text(now)};
	rc = hx_db_int(c->db, &id,
		       "INSERT INTO organizations (name, kind, area_id, contact, phone, created_at,"
		       " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
		       p, 7, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_org", "name", "机构“%s”已存在", name);
	if (rc || (rc = hx_account_org_get(out, c, id, err)))
		return rc;
	json_t *ch = hx_audit_diff(NULL, *out, NULL);
	rc = hx_audit_write(c, "create", "organization", id, name, ch, err);
	json_decref(ch);
	return rc;
}

int hx_account_org_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err)
{
	json_t *before;
	int rc = hx_account_org_get(&before, c, id, err);
	if (rc)
		return rc;
	hx_arena_defer(c->arena, (void (*)(void *))json_decref, before);
	const char *name = json_string_value(json_object_get(before, "name"));
	const char *kind = json_string_value(json_object_get(before, "kind"));
	const char *contact = json_string_value(json_object_get(before, "contact"));
	const char *phone = json_string_value(json_object_get(before, "phone"));
	long long area_id = json_integer_value(json_object_get(before, "area_id"));
	if ((rc = org_fields(c, body, 0, &name, &kind, &area_id, &contact, &phone, err)))
		return rc;
	char now[21];
	hx_now_iso(now);
	hx_param p[] = {hx_p_text(name), hx_p_text(kind), id_param(area_id), hx_p_text(contact),
			hx_p_text(phone), hx_p_text(now), hx_p_int(id)};
	rc = hx_db_exec(c->db,
			"UPDATE organizations SET name = ?, kind = ?, area_id = ?, contact = ?, phone = ?,"
			" updated_at = ? WHERE id = ?",
			p, 7, NULL, err);
	if (rc == HX_ECONFLICT)
		return hx_err_set(err, HX_ECONFLICT, "duplicate_org", "name", "机构“%s”已存在", name);
	if (rc || (rc = hx_account_org_get(out, c, id, err)))
		return rc;
	json_t *ch = hx_audit_diff(before, *out, NULL);
	rc = hx_audit_write(c, "update", "organization", id, name, ch, err);
	json_decref(ch);
	return rc;
}

int hx_account_org_seed(hx_ctx *c, hx_err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/organizations/yunhe.json", c->data_dir ? c->data_dir : "data");
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		return hx_err_set(err, HX_EIO, "data", "", "%s:%d: %s", path, je.line, je.text);
	size_t i;
	json_t *o;
	int rc = 0;
	char now[21];
	hx_now_iso(now);
	json_array_foreach(json_object_get(j, "organizations"), i, o) {
		const char *name = json_string_value(json_object_get(o, "name"));
		const char *kind = json_string_value(json_object_get(o, "kind"));
		if (!name || !hx_account_org_kind_valid(kind)) {
			rc = hx_err_set(err, HX_EINVAL, "data", "", "%s: organization %zu lacks name or kind",
					path, i);
			break;
		}
		long long n = 0;
		hx_param q[] = {hx_p_text(name)};
		if ((rc = hx_db_int(c->db, &n, "SELECT count(*) FROM organizations WHERE name = ?", q, 1, err)))
			break;
		if (n)
			continue;
		hx_param p[] = {hx_p_text(name), hx_p_text(kind), hx_p_text(now), hx_p_text(now)};
		if ((rc = hx_db_exec(c->db,
				     "INSERT INTO organizations (name, kind, created_at, updated_at)"
				     " VALUES (?, ?, ?, ?)",
				     p, 4, NULL, err)))
			break;
	}
	json_decref(j);
	return rc;
}

int hx_account_org_find(long long *id, hx_ctx *c, const char *name, hx_err *err)
{
	hx_param p[] = {hx_p_text(name)};
	int rc = hx_db_int(c->db, id, "SELECT id FROM organizations WHERE name = ?", p, 1, err);
	if (rc == HX_ENOTFOUND)
		return hx_err_set(err, HX_ENOTFOUND, "not_found", "", "机构“%s”不存在", name);
	return rc;
}

char *hx_account_principal_freeze(const hx_principal *me)
{
	json_t *j = json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "user_id", (json_int_t)me->user_id, "username",
			      me->username ? me->username : "", "display_name", me->display_name ? me->display_name : "",
			      "role", me->role ? me->role : "", "area_id", (json_int_t)me->scope.area_id, "enterprise_id",
			      (json_int_t)me->scope.enterprise_id, "org_id", (json_int_t)me->scope.org_id, "worker_id",
			      (json_int_t)me->scope.worker_id);
	char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return t;
}

int hx_account_principal_thaw(hx_principal *me, hx_arena *a, const char *text)
{
	json_t *j = json_loads(text ? text : "", 0, NULL);
	const hx_role *role = hx_account_role(json_string_value(json_object_get(j, "role")));
	if (!role) {
		json_decref(j);
		return -1;
	}
	memset(me, 0, sizeof *me);
	me->user_id = json_integer_value(json_object_get(j, "user_id"));
	me->username = hx_arena_strdup(a, json_string_value(json_object_get(j, "username")));
	me->display_name = hx_arena_strdup(a, json_string_value(json_object_get(j, "display_name")));
	me->role = role->key;
	/* the command line (user 0) acts for the whole county */
	me->perms = me->user_id ? role->perms : HX_PERM_ALL;
	me->scope.kind = me->user_id ? role->scope_kind : HX_SCOPE_COUNTY;
	me->scope.area_id = json_integer_value(json_object_get(j, "area_id"));
	if (me->user_id && role->area_optional && me->scope.area_id)
		me->scope.kind = HX_SCOPE_AREA;
	me->scope.enterprise_id = json_integer_value(json_object_get(j, "enterprise_id"));
	me->scope.org_id = json_integer_value(json_object_get(j, "org_id"));
	me->org_id = me->scope.org_id;
	me->scope.worker_id = json_integer_value(json_object_get(j, "worker_id"));
	json_decref(j);
	return 0;
}
