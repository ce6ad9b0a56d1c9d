/* Accounts (账号): organizations (机构: county departments and 考评单位,
 * third-party agencies, unions, mediation bodies, task forces), users who
 * belong to them, roles with their permissions, each user's data scope,
 * passwords (Argon2id), login throttling and sessions (random tokens kept
 * only as hashes). Every module asks this one who is acting and what they
 * may see. */
#ifndef HX_ACCOUNT_H
#define HX_ACCOUNT_H

#include <jansson.h>

#include "../core/ctx.h"
#include "../core/err.h"

struct hx_arena;

/* Permissions. */
enum {
	HX_PERM_REGISTRY_READ = 1u << 0,
	HX_PERM_REGISTRY_WRITE = 1u << 1,
	HX_PERM_REGISTRY_DELETE = 1u << 2,
	HX_PERM_IMPORT = 1u << 3,
	HX_PERM_PII_READ = 1u << 4,
	HX_PERM_AREAS_MANAGE = 1u << 5,
	HX_PERM_ORGS_MANAGE = 1u << 6,
	HX_PERM_USERS_MANAGE = 1u << 7,
	HX_PERM_AUDIT_READ = 1u << 8,
	HX_PERM_RATING_MANAGE = 1u << 9, /* open and run rating campaigns */
	HX_PERM_RATING_APPLY = 1u << 10, /* apply and self-assess */
	HX_PERM_RATING_REVIEW = 1u << 11, /* score one's department's items */
	HX_PERM_CHECKUP_MANAGE = 1u << 12, /* targets, assignment, warnings, supervision */
	HX_PERM_CHECKUP_INSPECT = 1u << 13, /* on-site checks and follow-up visits */
	HX_PERM_CHECKUP_RESPOND = 1u << 14, /* the enterprise: acknowledge, rectify, rate */
	HX_PERM_CONTRACT_DRAFT = 1u << 15, /* the enterprise: draft, send, sign contracts */
	HX_PERM_CONTRACT_OVERSEE = 1u << 16, /* read contracts, filing export, rates */
	/* 附件3 第四条's 法律法规授权机构 (labor inspection, arbitration,
	 * courts): read contracts and evidence packages in scope, each access
	 * under a case number (案号) that goes to the log and the evidence */
	HX_PERM_CONTRACT_INQUIRE = 1u << 17,
	HX_PERM_ALL = (1u << 18) - 1,
};

/* Data scope (数据范围) of a user. */
typedef enum {
	HX_SCOPE_COUNTY = 0,     /* everything */
	HX_SCOPE_AREA = 1,       /* one 乡镇/街道/园区 and below */
	HX_SCOPE_ENTERPRISE = 2, /* one enterprise */
	HX_SCOPE_ORG = 3,        /* the enterprises assigned to an agency */
	HX_SCOPE_SELF = 4,       /* a worker: their own records */
} hx_scope_kind;

typedef struct hx_scope {
	hx_scope_kind kind;
	long long area_id;
	long long enterprise_id;
	long long org_id;
	long long worker_id;
} hx_scope;

typedef struct hx_principal {
	long long user_id; /* 0 for the command line */
	const char *username;
	const char *display_name;
	const char *role;
	unsigned perms;
	hx_scope scope;
	long long org_id;
	long long session_id;
	char csrf[65];
	int must_change_password;
} hx_principal;

typedef struct hx_role {
	const char *key;
	const char *name;
	hx_scope_kind scope_kind;
	unsigned perms;
	/* a county-scope role whose user may be limited to one area: with an
	 * area set, the principal's scope is HX_SCOPE_AREA */
	int area_optional;
	/* organization kinds the user must belong to (NULL: any or none) */
	const char *const *org_kinds;
} hx_role;

const hx_role *hx_account_role(const char *key); /* NULL if unknown */
const hx_role *hx_account_roles(size_t *n);
const char *hx_account_perm_key(unsigned perm);
const char *hx_account_scope_kind_key(hx_scope_kind k);
/* The principal of the command line: county scope, every permission. */
void hx_account_cli_principal(hx_principal *out);
static inline int hx_can(const hx_principal *p, unsigned perm)
{
	return (p->perms & perm) == perm;
}

int hx_account_phone_check(const char *phone, const char *field, hx_err *err);

/* A principal as text, for jobs that run later on the requester's behalf
 * (imports, report batches), and back. thaw fails (-1) on an unknown role;
 * its strings live in the arena. */
char *hx_account_principal_freeze(const hx_principal *p);
int hx_account_principal_thaw(hx_principal *out, struct hx_arena *a, const char *text);

/* Passwords. */
int hx_account_password_hash(char out[128], const char *password, hx_err *err);
int hx_account_password_verify(const char *hash, const char *password);
/* A readable random password (16 characters). */
void hx_account_password_generate(char out[17]);
int hx_account_password_policy(const char *password, const char *username, const char *field,
			       hx_err *err);

/* Users. Fields in body as in docs/api.md. */
int hx_account_user_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_account_user_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_account_user_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_account_user_list(json_t **out, hx_ctx *c, const char *q, const char *role, long long org_id,
			 long long page, long long page_size, hx_err *err);
/* Sets a new password; generated (and returned in *generated) when
 * password is NULL; must_change marks a one-time password. Ends the
 * user's sessions. */
int hx_account_user_set_password(hx_ctx *c, long long id, const char *password, int must_change,
				 char generated[17], hx_err *err);
int hx_account_user_find(long long *id, hx_ctx *c, const char *username, hx_err *err);
/* Count of users (to know whether the first admin exists). */
int hx_account_user_count(long long *n, hx_ctx *c, hx_err *err);
json_t *hx_account_principal_json(hx_ctx *c, const hx_principal *p);

/* Organizations. */
int hx_account_org_create(json_t **out, hx_ctx *c, json_t *body, hx_err *err);
int hx_account_org_update(json_t **out, hx_ctx *c, long long id, json_t *body, hx_err *err);
int hx_account_org_list(json_t **out, hx_ctx *c, hx_err *err);
int hx_account_org_get(json_t **out, hx_ctx *c, long long id, hx_err *err);
int hx_account_org_kind_valid(const char *kind);
/* The organization with this exact name. */
int hx_account_org_find(long long *id, hx_ctx *c, const char *name, hx_err *err);
/* Loads the organizations the seeds name (idempotent, by name). */
int hx_account_org_seed(hx_ctx *c, hx_err *err);

/* Sessions. login: checks throttling, verifies the password, and makes a
 * session; *token (65 bytes) gets the cookie value. Failures are recorded
 * (so the caller must commit even on error: see commit_anyway). */
int hx_account_login(hx_principal *out, char token[65], hx_ctx *c, const char *username,
		     const char *password, hx_err *err);
/* Resolves a cookie token into a principal (arena strings). HX_EAUTH when
 * unknown or expired. idle/max are the limits in seconds. */
int hx_account_session_check(hx_principal *out, hx_ctx *c, const char *token, int idle, int max,
			     hx_err *err);
int hx_account_logout(hx_ctx *c, long long session_id, hx_err *err);
int hx_account_password_change(hx_ctx *c, const char *old_password, const char *new_password,
			       hx_err *err);

#endif
