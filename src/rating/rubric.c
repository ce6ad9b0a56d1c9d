/* Loading rubric files: parse, check every field, and compile into the
 * flat arrays the scorer walks. A malformed file is refused with the file,
 * the JSON path of the fault and the reason. */
#include "rating_impl.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/crypto.h"

struct hx_rubric_set {
	hx_rubric **v;
	size_t n;
};

typedef struct loader {
	hx_rubric *r;
	const char *name;
	hx_err *err;
	char path[256];
} loader;

__attribute__((format(printf, 2, 3))) static int fail(loader *L, const char *fmt, ...)
{
	char why[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return hx_err_set(L->err, HX_EINVAL, "bad_rubric", "", "%s: %s: %s", L->name, L->path[0] ? L->path : "(top)",
			  why);
}

static void at(loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void at(loader *L, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(L->path, sizeof L->path, fmt, ap);
	va_end(ap);
}

static int str_field(loader *L, json_t *o, const char *k, int required, char **out)
{
	json_t *v = json_object_get(o, k);
	if (!v) {
		if (required)
			return fail(L, "missing \"%s\"", k);
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v) || !json_string_length(v))
		return fail(L, "\"%s\" must be a non-empty string", k);
	*out = strdup(json_string_value(v));
	return 0;
}

/* Points: a number ≥ 0 in halves. */
static int points_field(loader *L, json_t *o, const char *k, int *out2)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_number(v))
		return fail(L, "\"%s\" must be a number", k);
	double d = json_number_value(v);
	double h = d * 2;
	if (d < 0 || d > 10000 || h != floor(h))
		return fail(L, "\"%s\" must be ≥ 0 in halves, got %g", k, d);
	*out2 = (int)h;
	return 0;
}

static int micro_of(json_t *v, int64_t *out)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v) ? HX_MICRO : 0;
		return 0;
	}
	if (!json_is_number(v))
		return -1;
	double d = json_number_value(v);
	if (!isfinite(d) || fabs(d) > 1e12)
		return -1;
	*out = llround(d * (double)HX_MICRO);
	return 0;
}

static int op_of(const char *s, cmp_op *out)
{
	static const char *const ops[] = {">=", ">", "<=", "<", "=="};
	for (int i = 0; s && i < 5; i++)
		if (strcmp(s, ops[i]) == 0) {
			*out = (cmp_op)i;
			return 0;
		}
	return -1;
}

static int metric_index(const hx_rubric *r, const char *name)
{
	for (int i = 0; name && i < r->nmetrics; i++)
		if (strcmp(r->metrics[i].name, name) == 0)
			return i;
	return -1;
}

static int metric_ref(loader *L, json_t *o, const char *k, int *out)
{
	const char *name = json_string_value(json_object_get(o, k));
	if (!name)
		return fail(L, "\"%s\" must name a metric", k);
	*out = metric_index(L->r, name);
	if (*out < 0)
		return fail(L, "metric \"%s\" is not declared in \"metrics\"", name);
	return 0;
}

static int value_field(loader *L, json_t *o, const char *k, int64_t *out)
{
	if (micro_of(json_object_get(o, k), out))
		return fail(L, "\"%s\" must be a number or a boolean", k);
	return 0;
}

static int parse_cond(loader *L, json_t *c, cond *out)
{
	if (!json_is_object(c))
		return fail(L, "a condition must be an object");
	out->answer = -1;
	out->metric = out->other = -1;
	json_t *a = json_object_get(c, "answer");
	if (a) {
		if (!json_is_boolean(a) || json_object_size(c) != 1)
			return fail(L, "an answer condition is {\"answer\": true|false}");
		out->answer = json_is_true(a);
		return 0;
	}
	int rc;
	if ((rc = metric_ref(L, c, "metric", &out->metric)))
		return rc;
	if (op_of(json_string_value(json_object_get(c, "op")), &out->op))
		return fail(L, "\"op\" must be one of >=, >, <=, <, ==");
	if (json_object_get(c, "other")) {
		if ((rc = metric_ref(L, c, "other", &out->other)))
			return rc;
		return 0;
	}
	return value_field(L, c, "value", &out->value);
}

static int parse_conds(loader *L, json_t *rule, const char *k, cond **out, int *n)
{
	json_t *a = json_object_get(rule, k);
	if (!json_is_array(a) || !json_array_size(a))
		return fail(L, "\"%s\" must be a non-empty array of conditions", k);
	*n = (int)json_array_size(a);
	*out = calloc((size_t)*n, sizeof **out);
	char base[256];
	snprintf(base, sizeof base, "%s", L->path);
	for (int i = 0; i < *n; i++) {
		at(L, "%s.%s[%d]", base, k, i);
		int rc = parse_cond(L, json_array_get(a, (size_t)i), &(*out)[i]);
		if (rc)
			return rc;
	}
	snprintf(L->path, sizeof L->path, "%s", base);
	return 0;
}

static int parse_rule(loader *L, json_t *rule, criterion *c)
{
	c->kind = RK_ANSWER;
	c->metric = -1;
	c->reads_answer = 1;
	if (!rule)
		return 0;
	if (!json_is_object(rule))
		return fail(L, "\"rule\" must be an object");
	const char *k = json_string_value(json_object_get(rule, "kind"));
	static const char *const kinds[] = {"answer", "metric", "metric_and_answer", "ladder", "step_deduction",
					    "band", "zero_item", "deduct", "veto"};
	int found = -1;
	for (int i = 0; k && i < 9; i++)
		if (strcmp(k, kinds[i]) == 0)
			found = i;
	if (found < 0)
		return fail(L, "unknown rule kind \"%s\"", k ? k : "(none)");
	c->kind = (rule_kind)found;
	int rc = 0;
	char base[256];
	snprintf(base, sizeof base, "%s", L->path);
	switch (c->kind) {
	case RK_ANSWER:
		break;
	case RK_METRIC:
	case RK_METRIC_AND_ANSWER:
		c->reads_answer = c->kind == RK_METRIC_AND_ANSWER;
		if ((rc = metric_ref(L, rule, "metric", &c->metric)))
			return rc;
		if (op_of(json_string_value(json_object_get(rule, "op")), &c->op))
			return fail(L, "\"op\" must be one of >=, >, <=, <, ==");
		if ((rc = value_field(L, rule, "value", &c->value)))
			return rc;
		break;
	case RK_LADDER: {
		c->reads_answer = 0;
		if ((rc = metric_ref(L, rule, "metric", &c->metric)))
			return rc;
		json_t *t = json_object_get(rule, "tiers");
		if (!json_is_array(t) || !json_array_size(t))
			return fail(L, "\"tiers\" must be a non-empty array");
		c->ntiers = (int)json_array_size(t);
		c->tiers = calloc((size_t)c->ntiers, sizeof *c->tiers);
		for (int i = 0; i < c->ntiers; i++) {
			json_t *ti = json_array_get(t, (size_t)i);
			at(L, "%s.tiers[%d]", base, i);
			if (op_of(json_string_value(json_object_get(ti, "op")), &c->tiers[i].op))
				return fail(L, "\"op\" must be one of >=, >, <=, <, ==");
			if ((rc = value_field(L, ti, "value", &c->tiers[i].value)) ||
			    (rc = points_field(L, ti, "points", &c->tiers[i].points2)))
				return rc;
			if (c->tiers[i].points2 > c->max2)
				return fail(L, "tier points exceed the criterion's max");
		}
		break;
	}
	case RK_STEP:
		c->reads_answer = 0;
		if ((rc = metric_ref(L, rule, "metric", &c->metric)) || (rc = value_field(L, rule, "full_at", &c->full_at)) ||
		    (rc = value_field(L, rule, "step", &c->step)) || (rc = points_field(L, rule, "points_per_step", &c->per_step2)))
			return rc;
		if (c->step <= 0)
			return fail(L, "\"step\" must be > 0");
		break;
	case RK_BAND:
		if ((rc = metric_ref(L, rule, "metric", &c->metric)) || (rc = value_field(L, rule, "full_at", &c->full_at)) ||
		    (rc = value_field(L, rule, "zero_below", &c->zero_below)))
			return rc;
		if (c->zero_below > c->full_at)
			return fail(L, "\"zero_below\" must not exceed \"full_at\"");
		break;
	case RK_ZERO_ITEM:
	case RK_DEDUCT:
		if ((rc = parse_conds(L, rule, "when", &c->when, &c->nwhen)))
			return rc;
		if (c->kind == RK_DEDUCT) {
			if ((rc = points_field(L, rule, "points", &c->points2)))
				return rc;
			const char *from = json_string_value(json_object_get(rule, "from"));
			if (!from || (strcmp(from, "element") != 0 && strcmp(from, "item") != 0))
				return fail(L, "\"from\" must be \"element\" or \"item\"");
			c->from_item = strcmp(from, "item") == 0;
		}
		break;
	case RK_VETO:
		if ((rc = parse_conds(L, rule, "when_any", &c->when, &c->nwhen)))
			return rc;
		break;
	}
	if (c->kind >= RK_ZERO_ITEM) {
		c->reads_answer = 0;
		for (int i = 0; i < c->nwhen; i++)
			if (c->when[i].answer >= 0)
				c->reads_answer = 1;
		if (c->max2 != 0)
			return fail(L, "a %s criterion must have max 0", kinds[found]);
	}
	return 0;
}

static int check_id_unique(loader *L, const char *id)
{
	hx_rubric *r = L->r;
	for (int i = 0; i < r->ncriteria; i++)
		if (r->criteria[i].id && strcmp(r->criteria[i].id, id) == 0)
			return fail(L, "duplicate id \"%s\"", id);
	for (int i = 0; i < r->nelements; i++)
		if (r->elements[i].id && strcmp(r->elements[i].id, id) == 0)
			return fail(L, "duplicate id \"%s\"", id);
	return 0;
}

static int parse_criteria(loader *L, json_t *arr, int item_ix, int element_ix, int *first, int *count, int *sum2)
{
	char base[256];
	snprintf(base, sizeof base, "%s", L->path);
	*first = L->r->ncriteria;
	*count = 0;
	*sum2 = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return fail(L, "\"criteria\" must be an array");
	size_t i;
	json_t *cj;
	json_array_foreach(arr, i, cj) {
		at(L, "%s.criteria[%zu]", base, i);
		if (!json_is_object(cj))
			return fail(L, "a criterion must be an object");
		criterion c;
		memset(&c, 0, sizeof c);
		int rc;
		if ((rc = str_field(L, cj, "id", 1, &c.id)))
			return rc;
		if ((rc = check_id_unique(L, c.id))) {
			free(c.id);
			return rc;
		}
		if ((rc = str_field(L, cj, "text", 1, &c.text)) || (rc = points_field(L, cj, "max", &c.max2)) ||
		    (rc = str_field(L, cj, "platform", 0, &c.platform))) {
			free(c.id);
			free(c.text);
			free(c.platform);
			return rc;
		}
		c.item = item_ix;
		c.element = element_ix;
		L->r->criteria[L->r->ncriteria++] = c;
		criterion *cp = &L->r->criteria[L->r->ncriteria - 1];
		at(L, "%s.criteria[%zu].rule", base, i);
		if ((rc = parse_rule(L, json_object_get(cj, "rule"), cp)))
			return rc;
		(*count)++;
		*sum2 += cp->max2;
	}
	snprintf(L->path, sizeof L->path, "%s", base);
	return 0;
}

static size_t count_criteria(json_t *doc)
{
	size_t n = 0, i, j;
	json_t *it, *el;
	json_array_foreach(json_object_get(doc, "items"), i, it) {
		n += json_array_size(json_object_get(it, "criteria"));
		json_array_foreach(json_object_get(it, "elements"), j, el)
			n += json_array_size(json_object_get(el, "criteria"));
	}
	return n;
}

static size_t count_elements(json_t *doc)
{
	size_t n = 0, i;
	json_t *it;
	json_array_foreach(json_object_get(doc, "items"), i, it)
		n += json_array_size(json_object_get(it, "elements"));
	return n;
}

static _Thread_local const hx_rubric *sort_rubric;

static int by_crit_id(const void *a, const void *b)
{
	return strcmp(sort_rubric->criteria[*(const int *)a].id, sort_rubric->criteria[*(const int *)b].id);
}

int hx_rubric_parse(hx_rubric **out, const char *text, size_t len, const char *name, hx_err *err)
{
	json_error_t je;
	hx_rubric *r = calloc(1, sizeof *r);
	loader L = {r, name, err, ""};
	int rc = 0;
	r->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!r->doc) {
		rc = hx_err_set(err, HX_EINVAL, "bad_rubric", "", "%s: line %d column %d: %s", name, je.line, je.column,
				je.text);
		goto done;
	}
	hx_sha256_hex(r->sha256, text, len);
	json_t *d = r->doc;
	if (!json_is_object(d)) {
		rc = fail(&L, "a rubric must be a JSON object");
		goto done;
	}
	if ((rc = str_field(&L, d, "id", 1, &r->id)) || (rc = str_field(&L, d, "title", 1, &r->title)) ||
	    (rc = str_field(&L, d, "subject", 1, &r->subject)) || (rc = str_field(&L, d, "source", 0, &r->source)) ||
	    (rc = points_field(&L, d, "total", &r->total2)))
		goto done;
	if (strcmp(r->subject, "enterprise") != 0 && strcmp(r->subject, "park") != 0) {
		rc = fail(&L, "\"subject\" must be \"enterprise\" or \"park\"");
		goto done;
	}
	json_t *ver = json_object_get(d, "version");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1 || json_integer_value(ver) > 1000000) {
		rc = fail(&L, "\"version\" must be a positive integer");
		goto done;
	}
	r->version = (int)json_integer_value(ver);
	/* metrics */
	json_t *ms = json_object_get(d, "metrics");
	if (ms && !json_is_object(ms)) {
		rc = fail(&L, "\"metrics\" must be an object");
		goto done;
	}
	r->metrics = calloc(json_object_size(ms) + 1, sizeof *r->metrics);
	const char *mk;
	json_t *mv;
	json_object_foreach(ms, mk, mv) {
		at(&L, "metrics.%s", mk);
		static const char *const types[] = {"rate", "number", "count", "bool"};
		const char *t = json_string_value(json_object_get(mv, "type"));
		int ti = -1;
		for (int i = 0; t && i < 4; i++)
			if (strcmp(t, types[i]) == 0)
				ti = i;
		if (ti < 0) {
			rc = fail(&L, "\"type\" must be rate, number, count or bool");
			goto done;
		}
		metric *m = &r->metrics[r->nmetrics++];
		m->name = strdup(mk);
		m->type = (metric_type)ti;
		const char *lab = json_string_value(json_object_get(mv, "label"));
		m->label = strdup(lab ? lab : mk);
		const char *pf = json_string_value(json_object_get(mv, "platform"));
		m->platform = pf ? strdup(pf) : NULL;
	}
	/* items */
	json_t *items = json_object_get(d, "items");
	L.path[0] = '\0';
	if (!json_is_array(items) || !json_array_size(items)) {
		rc = fail(&L, "\"items\" must be a non-empty array");
		goto done;
	}
	r->items = calloc(json_array_size(items), sizeof *r->items);
	r->criteria = calloc(count_criteria(d) + 1, sizeof *r->criteria);
	r->elements = calloc(count_elements(d) + 1, sizeof *r->elements);
	int sum_items2 = 0;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		at(&L, "items[%zu]", i);
		if (!json_is_object(it)) {
			rc = fail(&L, "an item must be an object");
			goto done;
		}
		item *I = &r->items[r->nitems++];
		if ((rc = str_field(&L, it, "id", 1, &I->id)) || (rc = str_field(&L, it, "title", 1, &I->title)) ||
		    (rc = points_field(&L, it, "max", &I->max2)))
			goto done;
		for (int k = 0; k < r->nitems - 1; k++)
			if (strcmp(r->items[k].id, I->id) == 0) {
				rc = fail(&L, "duplicate item id \"%s\"", I->id);
				goto done;
			}
		I->veto = json_is_true(json_object_get(it, "veto"));
		json_t *deps = json_object_get(it, "departments");
		if (deps && !json_is_array(deps)) {
			rc = fail(&L, "\"departments\" must be an array of names");
			goto done;
		}
		I->departments = deps ? json_incref(deps) : json_array();
		char ipath[256];
		snprintf(ipath, sizeof ipath, "%s", L.path);
		int sum2 = 0, s2;
		if ((rc = parse_criteria(&L, json_object_get(it, "criteria"), r->nitems - 1, -1, &I->first, &I->count, &s2)))
			goto done;
		sum2 += s2;
		json_t *els = json_object_get(it, "elements");
		I->efirst = r->nelements;
		size_t j;
		json_t *el;
		if (els && !json_is_array(els)) {
			rc = fail(&L, "\"elements\" must be an array");
			goto done;
		}
		json_array_foreach(els, j, el) {
			at(&L, "%s.elements[%zu]", ipath, j);
			char *eid = NULL;
			if ((rc = str_field(&L, el, "id", 1, &eid)) || (rc = check_id_unique(&L, eid))) {
				free(eid);
				goto done;
			}
			element *E = &r->elements[r->nelements++];
			E->id = eid;
			I->ecount++;
			if ((rc = str_field(&L, el, "title", 1, &E->title)) || (rc = points_field(&L, el, "max", &E->max2)))
				goto done;
			if ((rc = parse_criteria(&L, json_object_get(el, "criteria"), r->nitems - 1, r->nelements - 1,
						 &E->first, &E->count, &s2)))
				goto done;
			if (!E->count) {
				rc = fail(&L, "an element needs criteria");
				goto done;
			}
			if (s2 != E->max2) {
				rc = fail(&L, "the criteria of element %s add up to %g, not its max %g", E->id, s2 / 2.0,
					  E->max2 / 2.0);
				goto done;
			}
			sum2 += E->max2;
		}
		L.path[0] = '\0';
		at(&L, "%s", ipath);
		if (!I->count && !I->ecount) {
			rc = fail(&L, "item %s has no criteria", I->id);
			goto done;
		}
		if (sum2 != I->max2) {
			rc = fail(&L, "the points of item %s add up to %g, not its max %g", I->id, sum2 / 2.0, I->max2 / 2.0);
			goto done;
		}
		if (I->veto) {
			for (int k = I->first; k < I->first + I->count; k++)
				if (r->criteria[k].kind != RK_VETO) {
					rc = fail(&L, "veto item %s holds a criterion (%s) that is not a veto", I->id,
						  r->criteria[k].id);
					goto done;
				}
		}
		sum_items2 += I->max2;
	}
	L.path[0] = '\0';
	if (sum_items2 != r->total2) {
		rc = fail(&L, "the items add up to %g points, not the stated total %g", sum_items2 / 2.0, r->total2 / 2.0);
		goto done;
	}
	r->by_id = malloc(sizeof *r->by_id * (size_t)(r->ncriteria + 1));
	for (int k = 0; k < r->ncriteria; k++)
		r->by_id[k] = k;
	sort_rubric = r;
	qsort(r->by_id, (size_t)r->ncriteria, sizeof *r->by_id, by_crit_id);
	sort_rubric = NULL;
done:
	if (rc) {
		hx_rubric_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int hx_rubric_criterion_index(const hx_rubric *r, const char *id)
{
	int lo = 0, hi = r->ncriteria - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(r->criteria[r->by_id[mid]].id, id);
		if (c == 0)
			return r->by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

void hx_rubric_free(hx_rubric *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->ncriteria; i++) {
		free(r->criteria[i].id);
		free(r->criteria[i].text);
		free(r->criteria[i].tiers);
		free(r->criteria[i].when);
		free(r->criteria[i].platform);
	}
	for (int i = 0; i < r->nelements; i++) {
		free(r->elements[i].id);
		free(r->elements[i].title);
	}
	for (int i = 0; i < r->nitems; i++) {
		free(r->items[i].id);
		free(r->items[i].title);
		json_decref(r->items[i].departments);
	}
	for (int i = 0; i < r->nmetrics; i++) {
		free(r->metrics[i].name);
		free(r->metrics[i].label);
		free(r->metrics[i].platform);
	}
	free(r->by_id);
	free(r->criteria);
	free(r->elements);
	free(r->items);
	free(r->metrics);
	free(r->id);
	free(r->title);
	free(r->subject);
	free(r->source);
	json_decref(r->doc);
	free(r);
}

/* ---- sets ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int hx_rubric_set_load(hx_rubric_set **out, const char *dir, hx_err *err)
{
	hx_rubric_set *s = calloc(1, sizeof *s);
	DIR *d = opendir(dir);
	int rc = 0;
	char **names = NULL;
	size_t nn = 0;
	if (!d) {
		*out = s; /* no rubrics directory: an empty set */
		return 0;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0 && e->d_name[0] != '.') {
			names = realloc(names, sizeof *names * (nn + 1));
			names[nn++] = strdup(e->d_name);
		}
	}
	closedir(d);
	if (nn)
		qsort(names, nn, sizeof *names, by_name);
	for (size_t i = 0; i < nn && !rc; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "rb");
		if (!f) {
			rc = hx_err_set(err, HX_EIO, "bad_rubric", "", "%s: cannot open", path);
			break;
		}
		hx_buf b;
		hx_buf_init(&b, 8 << 20);
		char chunk[8192];
		size_t n;
		while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
			if (hx_buf_append(&b, chunk, n))
				rc = hx_err_set(err, HX_ETOOBIG, "bad_rubric", "", "%s: larger than 8 MiB", path);
		fclose(f);
		hx_rubric *r = NULL;
		if (!rc)
			rc = hx_rubric_parse(&r, b.data ? b.data : "", b.len, path, err);
		hx_buf_free(&b);
		if (rc)
			break;
		for (size_t k = 0; k < s->n; k++)
			if (strcmp(s->v[k]->id, r->id) == 0 && s->v[k]->version == r->version) {
				rc = hx_err_set(err, HX_EINVAL, "bad_rubric", "", "%s: rubric %s version %d is defined twice",
						path, r->id, r->version);
				hx_rubric_free(r);
				r = NULL;
				break;
			}
		if (r) {
			s->v = realloc(s->v, sizeof *s->v * (s->n + 1));
			s->v[s->n++] = r;
		}
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	if (rc) {
		hx_rubric_set_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void hx_rubric_set_free(hx_rubric_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		hx_rubric_free(s->v[i]);
	free(s->v);
	free(s);
}

size_t hx_rubric_set_count(const hx_rubric_set *s)
{
	return s->n;
}

const hx_rubric *hx_rubric_set_at(const hx_rubric_set *s, size_t i)
{
	return i < s->n ? s->v[i] : NULL;
}

const hx_rubric *hx_rubric_set_find(const hx_rubric_set *s, const char *id, int version)
{
	const hx_rubric *best = NULL;
	for (size_t i = 0; id && i < s->n; i++)
		if (strcmp(s->v[i]->id, id) == 0 && (version ? s->v[i]->version == version
							      : (!best || s->v[i]->version > best->version)))
			best = s->v[i];
	return best;
}

const char *hx_rubric_id(const hx_rubric *r) { return r->id; }
int hx_rubric_version(const hx_rubric *r) { return r->version; }
const char *hx_rubric_title(const hx_rubric *r) { return r->title; }
const char *hx_rubric_subject(const hx_rubric *r) { return r->subject; }
const char *hx_rubric_sha256(const hx_rubric *r) { return r->sha256; }

json_t *hx_rubric_json(const hx_rubric *r)
{
	return json_deep_copy(r->doc);
}

json_t *hx_rubric_summary_json(const hx_rubric *r)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:s?,s:f,s:i,s:i,s:s}", "id", r->id, "version", r->version, "title",
			 r->title, "subject", r->subject, "source", r->source, "total", r->total2 / 2.0, "items",
			 r->nitems, "criteria", r->ncriteria, "sha256", r->sha256);
}
