/* hexie: the one binary of the platform. Parses the sub-command and its
 * options (flags, or HEXIE_* environment variables) and calls a module. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account/account.h"
#include "audit/audit.h"
#include "checkup/checkup.h"
#include "checkup/supervision.h"
#include "contract/contract.h"
#include "notify/notify.h"
#include "trust/channels.h"
#include "trust/idv.h"
#include "core/arena.h"
#include "core/crypto.h"
#include "core/log.h"
#include "http/http.h"
#include "rating/rating.h"
#include "registry/registry.h"
#include "store/store.h"

typedef struct opts {
	const char *db, *var, *data, *web, *listen;
	int threads, session_idle, session_max, secure_cookie, demo, force;
	const char *enterprise, *role, *display, *out, *filter_q, *rubric, *date;
	int list, version;
	long long area_id;
	const char *pdf; /* rate: also write the score sheet (评分表) as PDF */
	const char *ca, *log_key; /* verify: the trusted root and log key */
	const char *public_url;   /* serve: where links in messages point (HEXIE_PUBLIC_URL) */
	const char *before;       /* retention: the cut-off date */
	int json;                 /* retention list: JSON instead of a table */
} opts;

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);
	return v && *v ? v : def;
}

static void defaults(opts *o)
{
	memset(o, 0, sizeof *o);
	o->var = env_or("HEXIE_VAR", "var");
	o->db = env_or("HEXIE_DB", NULL);
	o->data = env_or("HEXIE_DATA", "data");
	o->web = env_or("HEXIE_WEB", "web/dist");
	o->listen = env_or("HEXIE_LISTEN", "127.0.0.1:8080");
	/* one worker thread per core serves best (measured: bench/) */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char defthreads[16];
	snprintf(defthreads, sizeof defthreads, "%ld", ncpu > 0 && ncpu <= 64 ? ncpu : 4);
	o->threads = atoi(env_or("HEXIE_THREADS", defthreads));
	o->session_idle = atoi(env_or("HEXIE_SESSION_IDLE", "7200"));
	o->session_max = atoi(env_or("HEXIE_SESSION_MAX", "43200"));
	o->secure_cookie = atoi(env_or("HEXIE_SECURE_COOKIE", "0"));
	/* HEXIE_BASE_URL is the older name */
	o->public_url = env_or("HEXIE_PUBLIC_URL", env_or("HEXIE_BASE_URL", NULL));
}

static const char *db_url(opts *o, char *buf, size_t n)
{
	if (o->db)
		return o->db;
	snprintf(buf, n, "sqlite:%s/hexie.db", o->var);
	return buf;
}

static const char USAGE[] =
	"usage: hexie [--version] [--help] COMMAND [OPTIONS]\n"
	"\n"
	"Hexie (和谐) — the county labor-relations platform.\n"
	"\n"
	"commands:\n"
	"  serve              serve the web app and the API (default http://127.0.0.1:8080)\n"
	"  init [--demo]      make the store, keys, county areas and the first admin\n"
	"  user add|passwd|list   manage accounts from the command line\n"
	"  import enterprises|workers FILE   import an .xlsx or .csv file\n"
	"  export enterprises|workers|audit --out FILE.xlsx\n"
	"  backup FILE        consistent online copy of the store\n"
	"  restore FILE       restore a backup into an empty store (--force to replace)\n"
	"  checksums          row counts and SHA-256 per table, to compare stores\n"
	"  rate --rubric ID FACTS.json   score facts against a rubric (和谐企业/园区评价)\n"
	"  contract lint FILE.json       legal check of labor-contract terms (电子劳动合同)\n"
	"  verify PACKAGE.zip            check a contract's evidence package offline\n"
	"  retention list|purge          contracts past the two-year retention period (合同文本保存期)\n"
	"\n"
	"common options (or environment variables):\n"
	"  --db URL           sqlite:PATH or postgresql://… (HEXIE_DB; default sqlite:VAR/hexie.db)\n"
	"  --var DIR          state directory: database, keys (HEXIE_VAR; default ./var)\n"
	"  --data DIR         data files: areas, organizations (HEXIE_DATA; default ./data)\n"
	"\n"
	"Run 'hexie COMMAND --help' for a command's own options.\n";

static int open_store(hx_store **s, opts *o, int create_var, hx_keys *keys, int pool)
{
	hx_err err = {0};
	char buf[4096];
	if (create_var && mkdir(o->var, 0700) < 0 && access(o->var, F_OK) != 0) {
		fprintf(stderr, "hexie: cannot create %s\n", o->var);
		return 1;
	}
	char kd[4096];
	snprintf(kd, sizeof kd, "%s/keys", o->var);
	if (hx_keys_load(keys, kd, create_var, &err)) {
		fprintf(stderr, "hexie: %s (run 'hexie init' first)\n", err.msg);
		return 1;
	}
	if (hx_store_open(s, db_url(o, buf, sizeof buf), pool, &err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		return 1;
	}
	int n = 0;
	if (hx_store_migrate(*s, &n, &err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		hx_store_close(*s);
		return 1;
	}
	return 0;
}

/* Runs fn inside one write transaction with the CLI principal. */
typedef int (*cli_fn)(hx_ctx *c, void *arg, hx_err *err);
static int in_tx(hx_store *s, const hx_keys *keys, opts *o, cli_fn fn, void *arg)
{
	hx_err err = {0};
	hx_db *db = NULL;
	hx_principal me;
	hx_account_cli_principal(&me);
	hx_arena *a = hx_arena_new();
	hx_ctx c = {.arena = a, .keys = keys, .me = &me, .ip = "cli", .data_dir = o->data};
	int rc = hx_db_get(&db, s, &err);
	if (!rc) {
		c.db = db;
		rc = hx_db_begin_write(db, &err);
		if (!rc)
			rc = fn(&c, arg, &err);
		if (!rc)
			rc = hx_db_commit(db, &err);
		else
			hx_db_rollback(db);
		hx_db_put(db);
	}
	if (rc)
		fprintf(stderr, "hexie: %s%s%s\n", err.msg, err.field[0] ? " — " : "", err.field);
	hx_arena_free(a);
	return rc ? 1 : 0;
}

/* ---- init ---- */

static int init_fn(hx_ctx *c, void *arg, hx_err *err)
{
	opts *o = arg;
	char path[4096];
	int loaded = 0, rc;
	snprintf(path, sizeof path, "%s/areas/yunhe.json", o->data);
	if ((rc = hx_registry_areas_load(c, path, &loaded, err)) || (rc = hx_account_org_seed(c, err)))
		return rc;
	printf("areas: %d loaded\n", loaded);
	long long users = 0;
	if ((rc = hx_account_user_count(&users, c, err)))
		return rc;
	if (!users) {
		const char *pw = getenv("HEXIE_ADMIN_PASSWORD");
		char gen[17];
		json_t *b = json_pack("{s:s,s:s,s:s}", "username", "admin", "display_name", "系统管理员", "role", "admin");
		if (pw && *pw)
			json_object_set_new(b, "password", json_string(pw));
		json_t *u = NULL;
		rc = hx_account_user_create(&u, c, b, err);
		json_decref(b);
		if (rc)
			return rc;
		const char *initial = json_string_value(json_object_get(u, "initial_password"));
		if (initial) {
			snprintf(gen, sizeof gen, "%s", initial);
			printf("\n  first admin account:  admin\n  one-time password:    %s\n"
			       "  (shown once; you will be asked to change it at first login)\n\n", gen);
		} else
			printf("admin account created with the password from HEXIE_ADMIN_PASSWORD\n");
		json_decref(u);
	}
	if (o->demo) {
		long long n = 0;
		if ((rc = hx_db_int(c->db, &n, "SELECT count(*) FROM enterprises WHERE is_demo = 1", NULL, 0, err)))
			return rc;
		if (!n) {
			if ((rc = hx_registry_demo_load(c, 36, 12, 20211125u, err)))
				return rc;
			printf("demo data (示例) loaded\n");
		}
	}
	return 0;
}

static int cmd_init(opts *o)
{
	hx_store *s;
	hx_keys keys;
	if (open_store(&s, o, 1, &keys, 1))
		return 1;
	int rc = in_tx(s, &keys, o, init_fn, o);
	if (!rc) {
		/* the platform CA, TSA and evidence log keys (var/keys, 0600) */
		char kd[4096];
		hx_err err = {0};
		int made = 0;
		snprintf(kd, sizeof kd, "%s/keys", o->var);
		if (hx_contract_keys_make(kd, &err) ||
		    (o->demo && (hx_contract_init(o->data, &err) || hx_contract_trust_open(kd, NULL, &err) ||
				 hx_contract_demo_load(s, &keys, &made, &err)))) {
			fprintf(stderr, "hexie: %s\n", err.msg);
			rc = 1;
		} else {
			if (made)
				printf("demo contracts (示例): %d\n", made);
			printf("store ready\n");
		}
		hx_contract_shutdown();
	}
	hx_store_close(s);
	return rc;
}

/* ---- serve ---- */

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct import_worker {
	hx_store *store;
	hx_keys *keys;
	const char *data;
};

static void *import_loop(void *arg)
{
	struct import_worker *w = arg;
	while (!stop_flag) {
		hx_err err = {0};
		if (hx_registry_import_run_pending(w->store, w->keys, w->data, &err))
			hx_log(HX_LOG_ERROR, "import: %s", err.msg);
		if (hx_checkup_batches_run_pending(w->store, w->keys, w->data, &err))
			hx_log(HX_LOG_ERROR, "report batch: %s", err.msg);
		if (hx_contract_run_pending(w->store, w->keys, w->data, &err))
			hx_log(HX_LOG_ERROR, "contracts: %s", err.msg);
		usleep(200 * 1000);
	}
	return NULL;
}

struct message_worker {
	hx_store *store;
	const hx_keys *keys;
};

/* Sends queued messages (SMS gateway, SMTP) outside any transaction. */
static void *message_loop(void *arg)
{
	struct message_worker *w = arg;
	hx_store *s = w->store;
	while (!stop_flag) {
		hx_err err = {0};
		int n = hx_messages_deliver_pending(s, w->keys, 20, &err);
		if (n < 0)
			hx_log(HX_LOG_ERROR, "messages: %s", err.msg);
		for (int i = 0; i < (n == 20 ? 1 : 10) && !stop_flag; i++)
			usleep(200 * 1000);
	}
	return NULL;
}

static int recover_fn(hx_ctx *c, void *arg, hx_err *err)
{
	(void)arg;
	return hx_registry_import_recover(c, err);
}

static int cmd_serve(opts *o)
{
	hx_store *s;
	hx_keys keys;
	hx_err err = {0};
	if (open_store(&s, o, 0, &keys, o->threads + 2))
		return 1;
	if (in_tx(s, &keys, o, recover_fn, NULL)) {
		hx_store_close(s);
		return 1;
	}
	hx_server_config cfg = {.listen = o->listen, .threads = o->threads, .web_dir = o->web,
				.data_dir = o->data, .var_dir = o->var, .session_idle = o->session_idle,
				.session_max = o->session_max, .secure_cookie = o->secure_cookie, .demo = o->demo};
	/* demo mode: with no SMS gateway, codes and links are shown in the
	 * outbox page; without it they are shown to nobody */
	hx_channels_set_demo(o->demo);
	long long sealed_n = 0;
	if (hx_messages_seal_existing(s, &keys, &sealed_n, &err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		hx_store_close(s);
		return 1;
	}
	if (sealed_n)
		hx_log(HX_LOG_INFO, "sealed %lld outbox messages stored in clear", sealed_n);
	hx_server *srv;
	if (hx_server_new(&srv, &cfg, s, &keys, &err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		return 1;
	}
	char rdir[4096];
	snprintf(rdir, sizeof rdir, "%s/rubrics", o->data);
	hx_rubric_set *rubrics = NULL;
	if (hx_rubric_set_load(&rubrics, rdir, &err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		return 1;
	}
	if (hx_rating_init(rubrics, o->data, &err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		return 1;
	}
	hx_meta_http_register(srv);
	hx_notify_http_register(srv);
	hx_rating_http_register(srv, rubrics);
	hx_rating_campaign_http_register(srv);
	if (hx_checkup_init(o->data, &err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		return 1;
	}
	hx_checkup_http_register(srv);
	hx_checkup_supervision_http_register(srv);
	if (hx_contract_init(o->data, &err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		return 1;
	}
	char kd[4096];
	snprintf(kd, sizeof kd, "%s/keys", o->var);
	/* Links in messages and QR codes: the public address workers' phones
	 * reach (HEXIE_PUBLIC_URL / --public-url); without one they point at
	 * the listening address, and the contract page says so. */
	const char *base = o->public_url;
	char defbase[600];
	snprintf(defbase, sizeof defbase, "http://%s", o->listen);
	if (base && ((strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) || strlen(base) > 400 ||
		     strpbrk(base, " \t\r\n\"'<>"))) {
		fprintf(stderr, "hexie: HEXIE_PUBLIC_URL / --public-url must be an http:// or https:// address (at most 400 "
				"characters), such as https://hexie.example.gov.cn\n");
		return 2;
	}
	if (hx_contract_trust_open(kd, base ? base : defbase, &err) || hx_channels_configure_from_env(&err) ||
	    hx_idv_configure_from_env(&err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		return 1;
	}
	hx_contract_http_register(srv);
	hx_account_http_register(srv);
	hx_audit_http_register(srv);
	hx_registry_http_register(srv);
	if (hx_server_start(srv, &err)) {
		fprintf(stderr, "hexie: %s\n", err.msg);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	struct import_worker iw = {s, &keys, o->data};
	pthread_t th, mth;
	pthread_create(&th, NULL, import_loop, &iw);
	struct message_worker mw = {s, &keys};
	pthread_create(&mth, NULL, message_loop, &mw);
	if (hx_contract_link_is_local())
		hx_log(HX_LOG_WARN, "links in messages point at %s, which workers' phones cannot open: set HEXIE_PUBLIC_URL",
		       base ? base : defbase);
	hx_log(HX_LOG_INFO, "hexie %s serving http://%s (%s store, messages: %s, TSA: %s, identity: %s%s)", HX_VERSION,
	       o->listen, hx_store_kind_of(s) == HX_STORE_PG ? "PostgreSQL" : "SQLite", hx_channels_describe(),
	       getenv("HEXIE_TSA_URL") && *getenv("HEXIE_TSA_URL") ? "external" : "built-in",
	       hx_idv_configured() ? "provider" : "employer record only", o->demo ? ", DEMO MODE" : "");
	if (!o->demo && !hx_channels_sms_configured())
		hx_log(HX_LOG_INFO, "no SMS gateway (HEXIE_SMS_URL) and not --demo: one-time codes cannot be sent");
	while (!stop_flag)
		pause();
	hx_log(HX_LOG_INFO, "stopping");
	hx_server_stop(srv);
	pthread_join(th, NULL);
	pthread_join(mth, NULL);
	hx_server_free(srv);
	hx_rubric_set_free(rubrics);
	hx_checkup_shutdown();
	hx_contract_shutdown();
	hx_store_close(s);
	return 0;
}

/* ---- rate ---- */

/* The score sheet as PDF in path, whole or not at all: written to
 * path.tmp, synced, then renamed. Returns the exit code. */
static int write_sheet_pdf(const char *path, const hx_score *s, const hx_rubric *r, const hx_facts *f,
			   const char *applicant)
{
	hx_err err = {0};
	char *pdf = NULL;
	size_t len = 0;
	if (hx_rating_sheet_pdf(&pdf, &len, s, r, f, applicant, NULL, &err)) {
		if (err.code == HX_EINVAL) { /* the applicant's name */
			fprintf(stderr, "hexie rate: --name: %s\n", err.msg);
			return 2;
		}
		fprintf(stderr, "hexie rate: cannot make the PDF: %s\n", err.msg);
		return 1;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *fp = fopen(tmp, "wb");
	int ok = fp && fwrite(pdf, 1, len, fp) == len && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
	if (fp && fclose(fp) != 0)
		ok = 0;
	if (ok && rename(tmp, path) != 0)
		ok = 0;
	if (!ok) {
		fprintf(stderr, "hexie rate: cannot write %s\n", path);
		unlink(tmp);
	}
	free(pdf);
	return ok ? 0 : 1;
}

static int cmd_rate(opts *o, int nargs, char **args)
{
	hx_err err = {0};
	char rdir[4096];
	snprintf(rdir, sizeof rdir, "%s/rubrics", o->data);
	hx_rubric_set *set = NULL;
	if (hx_rubric_set_load(&set, rdir, &err)) {
		fprintf(stderr, "hexie rate: %s\n", err.msg);
		return 2;
	}
	int rc = 0;
	if (o->list) {
		for (size_t i = 0; i < hx_rubric_set_count(set); i++) {
			const hx_rubric *r = hx_rubric_set_at(set, i);
			printf("%-26s v%-3d %-10s %s\n", hx_rubric_id(r), hx_rubric_version(r), hx_rubric_subject(r),
			       hx_rubric_title(r));
		}
		goto done;
	}
	if (!o->rubric || nargs != 1) {
		fprintf(stderr, "hexie rate: usage: hexie rate --rubric ID FACTS.json (or --list)\n");
		rc = 2;
		goto done;
	}
	const hx_rubric *r = hx_rubric_set_find(set, o->rubric, o->version);
	if (!r) {
		fprintf(stderr, "hexie rate: unknown rubric \"%s\"%s (hexie rate --list)\n", o->rubric,
			o->version ? " at that version" : "");
		rc = 2;
		goto done;
	}
	json_error_t je;
	json_t *facts = strcmp(args[0], "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &je)
						  : json_load_file(args[0], JSON_REJECT_DUPLICATES, &je);
	if (!facts) {
		fprintf(stderr, "hexie rate: %s: not JSON (line %d: %s)\n", args[0], je.line, je.text);
		rc = 2;
		goto done;
	}
	hx_facts *f = NULL;
	if (hx_facts_compile(&f, r, facts, &err)) {
		fprintf(stderr, "hexie rate: %s: %s\n", args[0], err.msg);
		json_decref(facts);
		rc = 2;
		goto done;
	}
	hx_score *s = hx_score_new(r);
	hx_rate(s, r, f);
	json_t *out = hx_score_json(s, r, f);
	char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	json_decref(out);
	if (o->pdf) {
		fflush(stdout);
		rc = write_sheet_pdf(o->pdf, s, r, f, o->display);
	}
	hx_score_free(s);
	hx_facts_free(f);
	json_decref(facts);
done:
	hx_rubric_set_free(set);
	return rc;
}

/* ---- user ---- */

struct user_arg {
	const char *sub, *username, *password;
	opts *o;
};

static int user_fn(hx_ctx *c, void *arg, hx_err *err)
{
	struct user_arg *u = arg;
	int rc;
	if (strcmp(u->sub, "list") == 0) {
		json_t *out;
		if ((rc = hx_account_user_list(&out, c, NULL, NULL, 0, 1, 100000, err)))
			return rc;
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(out, "items"), i, it)
			printf("%-20s %-12s %-16s %s%s\n", json_string_value(json_object_get(it, "username")),
			       json_string_value(json_object_get(it, "role")),
			       json_string_value(json_object_get(it, "display_name")),
			       json_string_value(json_object_get(it, "role_name")),
			       json_is_true(json_object_get(it, "disabled")) ? " (停用)" : "");
		json_decref(out);
		return 0;
	}
	if (strcmp(u->sub, "add") == 0) {
		json_t *b = json_pack("{s:s,s:s,s:s}", "username", u->username, "display_name",
				      u->o->display ? u->o->display : u->username, "role", u->o->role ? u->o->role : "county_officer");
		if (u->password)
			json_object_set_new(b, "password", json_string(u->password));
		if (u->o->area_id)
			json_object_set_new(b, "area_id", json_integer(u->o->area_id));
		if (u->o->enterprise) {
			long long eid;
			if ((rc = hx_registry_enterprise_by_uscc(&eid, c, u->o->enterprise, err))) {
				json_decref(b);
				return rc;
			}
			json_object_set_new(b, "enterprise_id", json_integer(eid));
		}
		json_t *out;
		rc = hx_account_user_create(&out, c, b, err);
		json_decref(b);
		if (rc)
			return rc;
		const char *ip = json_string_value(json_object_get(out, "initial_password"));
		printf("user %s created%s%s\n", u->username, ip ? "; one-time password: " : "", ip ? ip : "");
		json_decref(out);
		return 0;
	}
	long long id;
	if ((rc = hx_account_user_find(&id, c, u->username, err)))
		return rc;
	char gen[17];
	if (u->password && (rc = hx_account_password_policy(u->password, u->username, "password", err)))
		return rc;
	if ((rc = hx_account_user_set_password(c, id, u->password, u->password ? 0 : 1, gen, err)))
		return rc;
	if (!u->password)
		printf("one-time password for %s: %s\n", u->username, gen);
	else
		printf("password of %s changed\n", u->username);
	return 0;
}

/* ---- import / export ---- */

struct import_arg {
	const char *kind, *file;
	opts *o;
	long long id;
};

static int import_create_fn(hx_ctx *c, void *arg, hx_err *err)
{
	struct import_arg *ia = arg;
	FILE *f = fopen(ia->file, "rb");
	if (!f)
		return hx_err_set(err, HX_EIO, "io", "file", "cannot open %s", ia->file);
	char *data = malloc(HX_UPLOAD_MAX + 1);
	size_t n = data ? fread(data, 1, HX_UPLOAD_MAX + 1, f) : 0;
	fclose(f);
	if (n > HX_UPLOAD_MAX) {
		free(data);
		return hx_err_set(err, HX_ETOOBIG, "too_large", "file", "文件超过20 MiB");
	}
	long long eid = 0;
	int rc;
	if (ia->o->enterprise && (rc = hx_registry_enterprise_by_uscc(&eid, c, ia->o->enterprise, err))) {
		free(data);
		return rc;
	}
	const char *base = strrchr(ia->file, '/');
	json_t *out;
	rc = hx_registry_import_create(&out, c, ia->kind, eid, base ? base + 1 : ia->file, data, n, err);
	free(data);
	if (!rc) {
		ia->id = json_integer_value(json_object_get(out, "id"));
		json_decref(out);
	}
	return rc;
}

static int import_result_fn(hx_ctx *c, void *arg, hx_err *err)
{
	struct import_arg *ia = arg;
	hx_rows *r;
	hx_param p[] = {hx_p_int(ia->id)};
	int rc = hx_db_query(c->db, c->arena, &r, "SELECT status, message, errors FROM imports WHERE id = ?", p, 1, err);
	if (rc)
		return rc;
	printf("%s\n", hx_rows_get(r, 0, "message") ? hx_rows_get(r, 0, "message") : "");
	json_t *e = json_loads(hx_rows_get(r, 0, "errors"), 0, NULL);
	size_t i;
	json_t *it;
	json_array_foreach(e, i, it)
		printf("  第%lld行 %s: %s\n", (long long)json_integer_value(json_object_get(it, "row")),
		       json_string_value(json_object_get(it, "column")), json_string_value(json_object_get(it, "message")));
	json_decref(e);
	return strcmp(hx_rows_get(r, 0, "status"), "done") == 0 ? 0 : hx_err_set(err, HX_EINVAL, "import_failed", "", "导入失败");
}

struct export_arg {
	const char *what, *out;
	opts *o;
};

static int next_item(void *ctx, const char **vals);
struct export_rows {
	json_t *items;
	size_t i;
	const char *const *keys;
	size_t n;
	char **tmp;
};
static int next_item(void *ctx, const char **vals)
{
	struct export_rows *e = ctx;
	for (size_t k = 0; k < e->n; k++) {
		free(e->tmp[k]);
		e->tmp[k] = NULL;
	}
	if (e->i >= json_array_size(e->items))
		return 0;
	json_t *it = json_array_get(e->items, e->i++);
	for (size_t k = 0; k < e->n; k++) {
		json_t *v = json_object_get(it, e->keys[k]);
		if (json_is_string(v))
			e->tmp[k] = strdup(json_string_value(v));
		else if (json_is_boolean(v))
			e->tmp[k] = strdup(json_is_true(v) ? "是" : "否");
		else if (v && !json_is_null(v))
			e->tmp[k] = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		vals[k] = e->tmp[k];
	}
	return 1;
}

#include "report/report.h"

static int export_fn(hx_ctx *c, void *arg, hx_err *err)
{
	struct export_arg *ea = arg;
	json_t *out = NULL;
	int rc;
	static const char *const ek[] = {"uscc", "name", "legal_representative", "address", "area_name", "industry",
					 "registered_on", "employee_count", "above_scale", "is_company",
					 "newly_registered", "special_difficulty", "is_sme", "is_demo"};
	static const char *const eh[] = {"统一社会信用代码", "企业名称", "法定代表人", "地址", "所属区域", "行业门类",
					 "成立日期", "职工人数", "规模以上", "公司制", "新注册", "特殊困难", "中小微", "示例数据"};
	static const char *const wk[] = {"enterprise_name", "name", "id_number_masked", "sex", "birth_date", "phone",
					 "hire_date", "job", "employment_type_name", "leave_date", "is_demo"};
	static const char *const wh[] = {"所属企业", "姓名", "身份证号码", "性别", "出生日期", "手机号码", "入职日期",
					 "岗位", "用工形式", "离职日期", "示例数据"};
	static const char *const ak[] = {"id", "at", "actor_name", "ip", "action", "object_type", "object_id",
					 "object_label", "changes"};
	static const char *const ah[] = {"序号", "时间（UTC）", "操作人", "地址", "操作", "对象类型", "对象编号", "对象", "变更内容"};
	const char *const *keys, *const *hdr;
	size_t n;
	if (strcmp(ea->what, "enterprises") == 0) {
		hx_enterprise_filter f = {.above_scale = -1, .is_company = -1, .newly_registered = -1,
					  .special_difficulty = -1, .is_sme = -1, .q = ea->o->filter_q};
		rc = hx_registry_enterprise_list(&out, c, &f, 1, 0, err);
		keys = ek, hdr = eh, n = sizeof ek / sizeof ek[0];
	} else if (strcmp(ea->what, "workers") == 0) {
		hx_worker_filter f = {.active = -1, .q = ea->o->filter_q};
		rc = hx_registry_worker_list(&out, c, &f, 1, 0, err);
		keys = wk, hdr = wh, n = sizeof wk / sizeof wk[0];
	} else if (strcmp(ea->what, "audit") == 0) {
		hx_audit_filter f = {.q = ea->o->filter_q};
		rc = hx_audit_list(&out, c, &f, 1, 0, err);
		keys = ak, hdr = ah, n = sizeof ak / sizeof ak[0];
	} else
		return hx_err_set(err, HX_EINVAL, "usage", "", "export what? enterprises, workers or audit");
	if (rc)
		return rc;
	struct export_rows er = {json_object_get(out, "items"), 0, keys, n, calloc(n, sizeof(char *))};
	rc = hx_xlsx_write(ea->out, ea->what, n, hdr, NULL, next_item, &er, err);
	for (size_t k = 0; k < n; k++)
		free(er.tmp[k]);
	free(er.tmp);
	if (!rc)
		printf("%zu rows written to %s\n", json_array_size(er.items), ea->out);
	json_decref(out);
	if (!rc)
		rc = hx_audit_write(c, "export", ea->what, 0, ea->out, NULL, err);
	return rc;
}

/* ---- contract lint ---- */

static int cmd_contract(opts *o, int nargs, char **args)
{
	if (nargs != 2 || strcmp(args[0], "lint") != 0) {
		fputs("usage: hexie contract lint FILE.json [--date YYYY-MM-DD]\n", stderr);
		return 2;
	}
	hx_err err = {0};
	char path[4096];
	snprintf(path, sizeof path, "%s/wages/zhejiang.json", o->data);
	hx_wages *w = NULL;
	if (hx_wages_load(&w, path, &err)) {
		fprintf(stderr, "hexie contract lint: %s\n", err.msg);
		return 2;
	}
	json_error_t je;
	json_t *terms = strcmp(args[1], "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &je)
						  : json_load_file(args[1], JSON_REJECT_DUPLICATES, &je);
	if (!terms) {
		fprintf(stderr, "hexie contract lint: %s: not JSON (line %d: %s)\n", args[1], je.line, je.text);
		hx_wages_free(w);
		return 2;
	}
	json_t *out = NULL;
	int rc = hx_contract_lint(&out, terms, w, o->date, &err);
	json_decref(terms);
	hx_wages_free(w);
	if (rc) {
		fprintf(stderr, "hexie contract lint: %s%s%s\n", err.msg, err.field[0] ? " — " : "", err.field);
		return 2;
	}
	char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	free(text);
	int errors = (int)json_array_size(json_object_get(out, "errors"));
	json_decref(out);
	return errors ? 1 : 0;
}

/* ---- verify ---- */

static int cmd_verify(opts *o, int nargs, char **args)
{
	if (nargs != 1) {
		fputs("usage: hexie verify PACKAGE.zip [--ca ROOT.crt] [--log-key LOG-KEY.pem]\n", stderr);
		return 2;
	}
	FILE *f = strcmp(args[0], "-") == 0 ? stdin : fopen(args[0], "rb");
	if (!f) {
		fprintf(stderr, "hexie verify: cannot read %s\n", args[0]);
		return 2;
	}
	size_t cap = 64u << 20, len = 0;
	char *buf = malloc(cap + 1);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap + 1 - len, f)) > 0)
		len += n;
	if (f != stdin)
		fclose(f);
	if (!buf || len > cap) {
		free(buf);
		fprintf(stderr, "hexie verify: %s is over 64 MiB\n", args[0]);
		return 2;
	}
	json_t *rep = NULL;
	hx_err err = {0};
	int rc = hx_contract_verify_package(&rep, buf, len, o->ca, o->log_key, &err);
	free(buf);
	if (rep) {
		char *t = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(t);
		free(t);
		json_decref(rep);
	}
	if (rc == 0)
		return 0;
	fprintf(stderr, "hexie verify: %s\n", err.msg);
	return rc == HX_EINVAL ? 1 : 2;
}

/* ---- retention ---- */

struct retention_arg {
	int purge;
	opts *o;
	json_t *out;
};

static int retention_fn(hx_ctx *c, void *arg, hx_err *err)
{
	struct retention_arg *ra = arg;
	return ra->purge ? hx_contract_retention_purge(&ra->out, c, ra->o->before, err)
			 : hx_contract_retention_list(&ra->out, c, ra->o->before, err);
}

static int cmd_retention(opts *o, int purge)
{
	hx_store *s;
	hx_keys keys;
	if (open_store(&s, o, 0, &keys, 1))
		return 1;
	struct retention_arg ra = {purge, o, NULL};
	int rc = in_tx(s, &keys, o, retention_fn, &ra);
	hx_store_close(s);
	if (rc)
		return rc;
	json_t *items = json_object_get(ra.out, "items");
	if (o->json) {
		char *t = json_dumps(ra.out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(t);
		free(t);
	} else {
		printf("%s: %zu contract(s) ended before %s (kept %d months)\n", purge ? "purged" : "may be purged",
		       json_array_size(items), json_string_value(json_object_get(ra.out, "before")),
		       (int)json_integer_value(json_object_get(ra.out, "period_months")));
		if (json_array_size(items))
			printf("合同\t终止日期\t保存至\t类型\t状态\t用人单位\t劳动者\n");
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it)
			printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long)json_integer_value(json_object_get(it, "contract_id")),
			       json_string_value(json_object_get(it, "ended_on")),
			       json_string_value(json_object_get(it, "retain_until")),
			       json_string_value(json_object_get(it, "kind")), json_string_value(json_object_get(it, "status")),
			       json_string_value(json_object_get(it, "enterprise_name")),
			       json_string_value(json_object_get(it, "worker_name")));
	}
	json_decref(ra.out);
	return 0;
}

/* ---- option parsing ---- */

enum { O_DB = 256, O_VAR, O_DATA, O_WEB, O_LISTEN, O_THREADS, O_DEMO, O_FORCE, O_ENT, O_ROLE,
       O_DISPLAY, O_OUT, O_Q, O_AREA, O_HELP, O_IDLE, O_MAX, O_SECURE, O_RUBRIC, O_LIST, O_VERSION, O_PDF, O_DATE,
       O_CA, O_LOGKEY, O_PUBLIC_URL, O_BEFORE, O_JSON };

static const struct option LONGOPTS[] = {
	{"db", required_argument, 0, O_DB},       {"var", required_argument, 0, O_VAR},
	{"data", required_argument, 0, O_DATA},   {"web", required_argument, 0, O_WEB},
	{"listen", required_argument, 0, O_LISTEN}, {"threads", required_argument, 0, O_THREADS},
	{"demo", no_argument, 0, O_DEMO},         {"force", no_argument, 0, O_FORCE},
	{"enterprise", required_argument, 0, O_ENT}, {"role", required_argument, 0, O_ROLE},
	{"name", required_argument, 0, O_DISPLAY}, {"out", required_argument, 0, O_OUT},
	{"q", required_argument, 0, O_Q},         {"area-id", required_argument, 0, O_AREA},
	{"session-idle", required_argument, 0, O_IDLE}, {"session-max", required_argument, 0, O_MAX},
	{"secure-cookie", no_argument, 0, O_SECURE}, {"help", no_argument, 0, O_HELP},
	{"rubric", required_argument, 0, O_RUBRIC}, {"list", no_argument, 0, O_LIST},
	{"rubric-version", required_argument, 0, O_VERSION}, {"date", required_argument, 0, O_DATE},
	{"pdf", required_argument, 0, O_PDF},
	{"ca", required_argument, 0, O_CA},       {"log-key", required_argument, 0, O_LOGKEY},
	{"public-url", required_argument, 0, O_PUBLIC_URL}, {"before", required_argument, 0, O_BEFORE},
	{"json", no_argument, 0, O_JSON},
	{0, 0, 0, 0}};

static const char *help_for(const char *cmd)
{
	if (strcmp(cmd, "serve") == 0)
		return "usage: hexie serve [--listen HOST:PORT] [--threads N] [--web DIR] [--db URL] [--var DIR]\n"
		       "                   [--session-idle SECONDS] [--session-max SECONDS] [--secure-cookie]\n"
		       "                   [--public-url https://HOST]\n"
		       "Serves the web app and the API. --public-url (HEXIE_PUBLIC_URL): the address workers'\n"
		       "phones open, used in signing links and QR codes (default: the listening address).\n"
		       "Environment: HEXIE_LISTEN, HEXIE_THREADS, HEXIE_WEB,\n"
		       "HEXIE_DB, HEXIE_VAR, HEXIE_SESSION_IDLE, HEXIE_SESSION_MAX, HEXIE_SECURE_COOKIE=1 (behind TLS),\n"
		       "HEXIE_TRUST_PROXY=1 (take the client address from X-Real-IP), HEXIE_ACCESS_LOG=1.\n"
		       "Messages: HEXIE_SMS_URL (SMS gateway), HEXIE_SMTP_URL … (see docs/operations.md).\n"
		       "Identity: HEXIE_IDV_URL (real-name provider, 运营商三要素: name, ID number and the phone's\n"
		       "owner, checked at the worker's identity step; HEXIE_IDV_TOKEN, HEXIE_IDV_TIMEOUT_MS). Without\n"
		       "it identities rest on the employer's roster and a code; a deployment should configure one.\n"
		       "--demo  demo mode (演示模式): with no SMS gateway, one-time codes and signing links are kept\n"
		       "        in the outbox and shown to administrators (GET /api/v1/outbox, the 发件箱 page).\n"
		       "        Without --demo they are shown to nobody: the outbox answers 403 demo_only, and\n"
		       "        with no HEXIE_SMS_URL sending a code fails (409 sms_unavailable).\n";
	if (strcmp(cmd, "init") == 0)
		return "usage: hexie init [--demo] [--db URL] [--var DIR] [--data DIR]\n"
		       "Creates VAR/ and its keys, migrates the store, loads the county's areas and the\n"
		       "organizations, and makes the first admin (password from HEXIE_ADMIN_PASSWORD, or a\n"
		       "one-time password printed once). --demo adds fictional demo data (示例). Idempotent.\n";
	if (strcmp(cmd, "user") == 0)
		return "usage: hexie user add USERNAME [--role ROLE] [--name NAME] [--area-id ID] [--enterprise USCC]\n"
		       "       hexie user passwd USERNAME      (new password from HEXIE_PASSWORD, else a one-time one)\n"
		       "       hexie user list\n"
		       "Roles: admin, county_officer, reviewer, area_officer, agency, enterprise_hr, worker.\n";
	if (strcmp(cmd, "import") == 0)
		return "usage: hexie import enterprises FILE\n"
		       "       hexie import workers FILE [--enterprise USCC]\n"
		       "FILE is .xlsx or .csv (UTF-8 or GBK) laid out like the template. Every row is checked\n"
		       "first; the file is imported whole or not at all.\n";
	if (strcmp(cmd, "export") == 0)
		return "usage: hexie export enterprises|workers|audit --out FILE.xlsx [--q TEXT]\n";
	if (strcmp(cmd, "backup") == 0)
		return "usage: hexie backup FILE\n"
		       "A consistent copy of the whole store, taken while the server runs (portable format:\n"
		       "restores into SQLite or PostgreSQL).\n";
	if (strcmp(cmd, "contract") == 0)
		return "usage: hexie contract lint FILE.json [--date YYYY-MM-DD]   (FILE may be -)\n"
		       "Checks labor-contract terms against the Labor Contract Law and the Zhejiang minimum\n"
		       "wages (data/wages/); prints {\"errors\":[…],\"warnings\":[…]}. Exit 0 without errors,\n"
		       "1 with errors, 2 when the input is unusable. --date: the day of the check (default today).\n";
	if (strcmp(cmd, "verify") == 0)
		return "usage: hexie verify PACKAGE.zip [--ca ROOT.crt] [--log-key LOG-KEY.pem]\n"
		       "Checks a contract's evidence package (证据包) offline: the signed manifest (every\n"
		       "file by its hash, nothing added or missing), the contract's chain of events (none\n"
		       "dropped, reordered, duplicated or from another contract) and their count, the PDF's\n"
		       "signatures and timestamps, each event's hash, the Merkle inclusion proofs, the\n"
		       "checkpoint's signature and the document hashes. Prints a JSON report (\"reason\"\n"
		       "says what failed); exit 0 when everything\n"
		       "holds, 1 when something does not, 2 when the package is unusable. Without --ca and\n"
		       "--log-key the package's own copies are used: compare their fingerprints with the\n"
		       "platform's.\n";
	if (strcmp(cmd, "rate") == 0)
		return "usage: hexie rate --rubric ID [--rubric-version N] [--pdf FILE [--name APPLICANT]] FACTS.json\n"
		       "       hexie rate --list\n"
		       "Scores facts {\"answers\":{…},\"metrics\":{…}} against a rubric of data/rubrics/ and\n"
		       "prints the score sheet as JSON (FACTS.json may be -). --pdf also writes the filled\n"
		       "score sheet (评分表) to FILE, with APPLICANT (申报单位) and today's date on it.\n"
		       "Exit 0 when scored, 2 on bad input (the error names it), 1 when the PDF cannot be\n"
		       "made or written. See docs/rubric-format.md.\n";
	if (strcmp(cmd, "checksums") == 0)
		return "usage: hexie checksums\n"
		       "Prints each table's row count and the SHA-256 of its rows (the same figures a backup\n"
		       "file records), to compare two stores.\n";
	if (strcmp(cmd, "retention") == 0)
		return "usage: hexie retention list [--before DATE] [--json]\n"
		       "       hexie retention purge [--before DATE] [--json]\n"
		       "Contracts are kept at least two years after they end (劳动合同法 第五十条第三款). list shows\n"
		       "those that ended before DATE (default: two years before today; a later DATE is refused);\n"
		       "purge removes their documents, terms and signatures, keeps the row (marked purged) and the\n"
		       "evidence log's leaves, and writes each purge to the operation log.\n";
	if (strcmp(cmd, "restore") == 0)
		return "usage: hexie restore FILE [--force]\n"
		       "Restores a backup. Refuses a store that already holds data unless --force.\n";
	return NULL;
}

int main(int argc, char **argv)
{
	opts o;
	defaults(&o);
	if (sodium_init() < 0) {
		fprintf(stderr, "hexie: libsodium failed to start\n");
		return 1;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("hexie %s\n", HX_VERSION);
		return 0;
	}
	const char *cmd = argv[1];
	const char *help = help_for(cmd);
	if (!help) {
		fprintf(stderr, "hexie: unknown command '%s'\n\n%s", cmd, USAGE);
		return 2;
	}
	optind = 2;
	int ch;
	while ((ch = getopt_long(argc, argv, "", LONGOPTS, NULL)) != -1) {
		switch (ch) {
		case O_DB: o.db = optarg; break;
		case O_VAR: o.var = optarg; break;
		case O_DATA: o.data = optarg; break;
		case O_WEB: o.web = optarg; break;
		case O_LISTEN: o.listen = optarg; break;
		case O_THREADS: o.threads = atoi(optarg); break;
		case O_DEMO: o.demo = 1; break;
		case O_FORCE: o.force = 1; break;
		case O_ENT: o.enterprise = optarg; break;
		case O_ROLE: o.role = optarg; break;
		case O_DISPLAY: o.display = optarg; break;
		case O_OUT: o.out = optarg; break;
		case O_Q: o.filter_q = optarg; break;
		case O_AREA: o.area_id = atoll(optarg); break;
		case O_IDLE: o.session_idle = atoi(optarg); break;
		case O_MAX: o.session_max = atoi(optarg); break;
		case O_SECURE: o.secure_cookie = 1; break;
		case O_RUBRIC: o.rubric = optarg; break;
		case O_LIST: o.list = 1; break;
		case O_VERSION: o.version = atoi(optarg); break;
		case O_DATE: o.date = optarg; break;
		case O_PDF: o.pdf = optarg; break;
		case O_CA: o.ca = optarg; break;
		case O_LOGKEY: o.log_key = optarg; break;
		case O_PUBLIC_URL: o.public_url = optarg; break;
		case O_BEFORE: o.before = optarg; break;
		case O_JSON: o.json = 1; break;
		case O_HELP: fputs(help, stdout); return 0;
		default: fputs(help, stderr); return 2;
		}
	}
	char **args = argv + optind;
	int nargs = argc - optind;
	if (o.threads < 1 || o.threads > 256) {
		fprintf(stderr, "hexie: --threads must be 1..256\n");
		return 2;
	}
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(&o);
	if (strcmp(cmd, "init") == 0)
		return cmd_init(&o);
	if (strcmp(cmd, "rate") == 0)
		return cmd_rate(&o, nargs, args);
	if (strcmp(cmd, "contract") == 0)
		return cmd_contract(&o, nargs, args);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(&o, nargs, args);
	if (strcmp(cmd, "retention") == 0) {
		if (nargs != 1 || (strcmp(args[0], "list") != 0 && strcmp(args[0], "purge") != 0)) {
			fputs(help, stderr);
			return 2;
		}
		return cmd_retention(&o, strcmp(args[0], "purge") == 0);
	}

	hx_store *s;
	hx_keys keys;
	int rc = 0;
	if (strcmp(cmd, "user") == 0) {
		if (nargs < 1 || (strcmp(args[0], "list") != 0 && nargs < 2) ||
		    (strcmp(args[0], "list") != 0 && strcmp(args[0], "add") != 0 && strcmp(args[0], "passwd") != 0)) {
			fputs(help, stderr);
			return 2;
		}
		if (open_store(&s, &o, 0, &keys, 1))
			return 1;
		struct user_arg ua = {args[0], nargs > 1 ? args[1] : NULL, getenv("HEXIE_PASSWORD"), &o};
		rc = in_tx(s, &keys, &o, user_fn, &ua);
	} else if (strcmp(cmd, "import") == 0) {
		if (nargs != 2) {
			fputs(help, stderr);
			return 2;
		}
		if (open_store(&s, &o, 0, &keys, 2))
			return 1;
		struct import_arg ia = {args[0], args[1], &o, 0};
		rc = in_tx(s, &keys, &o, import_create_fn, &ia);
		if (!rc) {
			hx_err err = {0};
			if (hx_registry_import_run_pending(s, &keys, o.data, &err)) {
				fprintf(stderr, "hexie: %s\n", err.msg);
				rc = 1;
			} else
				rc = in_tx(s, &keys, &o, import_result_fn, &ia);
		}
	} else if (strcmp(cmd, "export") == 0) {
		if (nargs != 1 || !o.out) {
			fputs(help, stderr);
			return 2;
		}
		if (open_store(&s, &o, 0, &keys, 1))
			return 1;
		struct export_arg ea = {args[0], o.out, &o};
		rc = in_tx(s, &keys, &o, export_fn, &ea);
	} else if (strcmp(cmd, "checksums") == 0) {
		hx_err err = {0};
		if (open_store(&s, &o, 0, &keys, 1))
			return 1;
		if (hx_store_checksums(s, stdout, &err)) {
			fprintf(stderr, "hexie: %s\n", err.msg);
			rc = 1;
		}
	} else if (strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0) {
		if (nargs != 1) {
			fputs(help, stderr);
			return 2;
		}
		hx_err err = {0};
		int backup = strcmp(cmd, "backup") == 0;
		if (open_store(&s, &o, !backup, &keys, 1))
			return 1;
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", args[0]);
		FILE *f = backup ? fopen(tmp, "wb") : fopen(args[0], "rb");
		if (!f) {
			fprintf(stderr, "hexie: cannot open %s\n", backup ? tmp : args[0]);
			hx_store_close(s);
			return 1;
		}
		if (backup) {
			rc = hx_store_backup(s, f, &err);
			if (fsync(fileno(f)) != 0 && !rc)
				rc = hx_err_set(&err, HX_EIO, "io", "", "cannot sync the backup file");
			fclose(f);
			if (!rc && rename(tmp, args[0]) != 0)
				rc = hx_err_set(&err, HX_EIO, "io", "", "cannot rename the backup file");
			if (rc)
				unlink(tmp);
		} else {
			rc = hx_store_restore(s, f, o.force, &err);
			fclose(f);
		}
		if (rc) {
			fprintf(stderr, "hexie: %s\n", err.msg);
			rc = 1;
		} else
			printf("%s: done\n", cmd);
	}
	hx_store_close(s);
	return rc;
}
