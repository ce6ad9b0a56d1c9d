/* The health-check checklist: loading and checking the data file, and the
 * grading rule it carries (weighted risk score and ordered rules). */
#include "checkup_impl.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"

static const char *const SEVERITIES[] = {"一般", "较大", "重大"};
static const char *const AUTOS[] = {"written_contract_rate", "child_labor", "minor_workers", "dispatched_share",
				    "probation_too_long"};

static int sev_of(const char *s)
{
	for (int i = 0; s && i < 3; i++)
		if (strcmp(s, SEVERITIES[i]) == 0)
			return i;
	return -1;
}

__attribute__((format(printf, 4, 5))) static int bad(hx_err *err, const char *name, const char *place,
						      const char *fmt, ...)
{
	char why[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return hx_err_set(err, HX_EINVAL, "bad_checklist", "", "%s: %s: %s", name, place, why);
}

static int need_str(json_t *o, const char *k, const char *name, const char *place, hx_err *err)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v) || !json_string_length(v))
		return bad(err, name, place, "\"%s\" must be a non-empty string", k);
	return 0;
}

int hx_checklist_parse(hx_checklist **out, const char *text, size_t len, const char *name, hx_err *err)
{
	json_error_t je;
	hx_checklist *c = calloc(1, sizeof *c);
	int rc = 0;
	char place[128] = "(top)";
	c->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!c->doc) {
		rc = hx_err_set(err, HX_EINVAL, "bad_checklist", "", "%s: line %d: %s", name, je.line, je.text);
		goto done;
	}
	json_t *d = c->doc;
	if ((rc = need_str(d, "id", name, place, err)) || (rc = need_str(d, "title", name, place, err)))
		goto done;
	c->id = json_string_value(json_object_get(d, "id"));
	json_t *ver = json_object_get(d, "version");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1) {
		rc = bad(err, name, place, "\"version\" must be a positive integer");
		goto done;
	}
	c->version = (int)json_integer_value(ver);
	json_t *areas = json_object_get(d, "areas"), *items = json_object_get(d, "items");
	if (!json_is_array(areas) || !json_array_size(areas)) {
		rc = bad(err, name, place, "\"areas\" must be a non-empty array");
		goto done;
	}
	size_t i, j;
	json_t *a, *it;
	json_array_foreach(areas, i, a) {
		snprintf(place, sizeof place, "areas[%zu]", i);
		if ((rc = need_str(a, "id", name, place, err)) || (rc = need_str(a, "name", name, place, err)))
			goto done;
		for (j = 0; j < i; j++)
			if (strcmp(json_string_value(json_object_get(json_array_get(areas, j), "id")),
				   json_string_value(json_object_get(a, "id"))) == 0) {
				rc = bad(err, name, place, "duplicate area id");
				goto done;
			}
	}
	if (!json_is_array(items) || !json_array_size(items)) {
		snprintf(place, sizeof place, "(top)");
		rc = bad(err, name, place, "\"items\" must be a non-empty array");
		goto done;
	}
	c->items = calloc(json_array_size(items), sizeof *c->items);
	json_array_foreach(items, i, it) {
		snprintf(place, sizeof place, "items[%zu]", i);
		static const char *const req[] = {"id", "area", "title", "check", "severity", "advice"};
		for (size_t k = 0; k < 6; k++)
			if ((rc = need_str(it, req[k], name, place, err)))
				goto done;
		citem *ci = &c->items[c->nitems];
		ci->id = json_string_value(json_object_get(it, "id"));
		ci->area = json_string_value(json_object_get(it, "area"));
		ci->severity = json_string_value(json_object_get(it, "severity"));
		ci->sev = sev_of(ci->severity);
		if (ci->sev < 0) {
			rc = bad(err, name, place, "\"severity\" must be 重大, 较大 or 一般");
			goto done;
		}
		int area_ok = 0;
		json_array_foreach(areas, j, a)
			if (strcmp(json_string_value(json_object_get(a, "id")), ci->area) == 0)
				area_ok = 1;
		if (!area_ok) {
			rc = bad(err, name, place, "unknown area \"%s\"", ci->area);
			goto done;
		}
		for (size_t k = 0; k < c->nitems; k++)
			if (strcmp(c->items[k].id, ci->id) == 0) {
				rc = bad(err, name, place, "duplicate id \"%s\"", ci->id);
				goto done;
			}
		json_t *basis = json_object_get(it, "basis"), *papers = json_object_get(it, "papers");
		json_t *cs = json_object_get(it, "case");
		if (!json_is_array(basis) || !json_array_size(basis)) {
			rc = bad(err, name, place, "\"basis\" must list the legal basis");
			goto done;
		}
		if (!json_is_array(papers)) {
			rc = bad(err, name, place, "\"papers\" must be an array");
			goto done;
		}
		if (!json_is_object(cs) || !json_is_string(json_object_get(cs, "facts")) ||
		    !json_is_string(json_object_get(cs, "decision")) || !json_is_string(json_object_get(cs, "lesson"))) {
			rc = bad(err, name, place, "\"case\" needs facts, decision and lesson");
			goto done;
		}
		json_t *auto_ = json_object_get(it, "auto");
		if (auto_) {
			int ok = 0;
			for (size_t k = 0; k < sizeof AUTOS / sizeof AUTOS[0]; k++)
				if (json_is_string(auto_) && strcmp(json_string_value(auto_), AUTOS[k]) == 0)
					ok = 1;
			if (!ok) {
				rc = bad(err, name, place, "unknown \"auto\" value");
				goto done;
			}
		}
		ci->flags = json_object_get(it, "flags");
		if (ci->flags && !json_is_array(ci->flags)) {
			rc = bad(err, name, place, "\"flags\" must be an array");
			goto done;
		}
		c->nitems++;
	}
	json_t *g = json_object_get(d, "grading");
	snprintf(place, sizeof place, "grading");
	json_t *w = json_object_get(g, "weights");
	for (int s = 0; s < 3; s++) {
		json_t *v = json_object_get(w, SEVERITIES[s]);
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			rc = bad(err, name, place, "weights needs an integer for %s", SEVERITIES[s]);
			goto done;
		}
		c->weights[s] = (int)json_integer_value(v);
	}
	json_t *rules = json_object_get(g, "rules");
	if (!json_is_array(rules) || !json_array_size(rules)) {
		rc = bad(err, name, place, "\"rules\" must be a non-empty array");
		goto done;
	}
	c->rules = calloc(json_array_size(rules), sizeof *c->rules);
	int has_always = 0;
	json_array_foreach(rules, i, a) {
		snprintf(place, sizeof place, "grading.rules[%zu]", i);
		rule *r = &c->rules[c->nrules++];
		const char *gr = json_string_value(json_object_get(a, "grade"));
		const char *when = json_string_value(json_object_get(a, "when"));
		if (!gr || strlen(gr) != 1 || gr[0] < 'A' || gr[0] > 'D') {
			rc = bad(err, name, place, "\"grade\" must be A, B, C or D");
			goto done;
		}
		r->grade = gr[0];
		if (when && strcmp(when, "always") == 0) {
			r->kind = 0;
			has_always = 1;
		} else if (when && strcmp(when, "any_flag") == 0) {
			r->kind = 1;
			r->flags = json_object_get(a, "flags");
			if (!json_is_array(r->flags)) {
				rc = bad(err, name, place, "any_flag needs \"flags\"");
				goto done;
			}
		} else if (when && strcmp(when, "severity_at_least") == 0) {
			r->kind = 2;
			r->sev = sev_of(json_string_value(json_object_get(a, "severity")));
			json_t *cnt = json_object_get(a, "count");
			r->count = json_is_integer(cnt) ? (int)json_integer_value(cnt) : 1;
			if (r->sev < 0 || r->count < 1) {
				rc = bad(err, name, place, "severity_at_least needs a severity and a count ≥ 1");
				goto done;
			}
		} else if (when && strcmp(when, "score_at_least") == 0) {
			r->kind = 3;
			json_t *sc = json_object_get(a, "score");
			if (!json_is_integer(sc)) {
				rc = bad(err, name, place, "score_at_least needs an integer \"score\"");
				goto done;
			}
			r->score = (int)json_integer_value(sc);
		} else {
			rc = bad(err, name, place, "unknown \"when\"");
			goto done;
		}
	}
	if (!has_always) {
		snprintf(place, sizeof place, "grading.rules");
		rc = bad(err, name, place, "the last rule must be \"always\" so every case gets a grade");
		goto done;
	}
done:
	if (rc) {
		hx_checklist_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void hx_checklist_free(hx_checklist *c)
{
	if (!c)
		return;
	free(c->items);
	free(c->rules);
	json_decref(c->doc);
	free(c);
}

const char *hx_checklist_id(const hx_checklist *c) { return c->id; }
int hx_checklist_version(const hx_checklist *c) { return c->version; }
size_t hx_checklist_item_count(const hx_checklist *c) { return c->nitems; }
json_t *hx_checklist_json(const hx_checklist *c) { return json_incref(c->doc); }

int hx_checklist_grade(char *grade, int *score, json_t **flags, const hx_checklist *c, const json_t *risks,
		       hx_err *err)
{
	int counts[3] = {0, 0, 0}, sc = 0;
	json_t *fl = json_array();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)risks, k, v) {
		if (!json_is_true(v))
			continue;
		const citem *ci = NULL;
		for (size_t i = 0; i < c->nitems; i++)
			if (strcmp(c->items[i].id, k) == 0)
				ci = &c->items[i];
		if (!ci) {
			json_decref(fl);
			return hx_err_set(err, HX_EINVAL, "unknown_item", k, "体检清单中没有检查项%.20s", k);
		}
		counts[ci->sev]++;
		sc += c->weights[ci->sev];
		size_t j;
		json_t *f;
		json_array_foreach(ci->flags, j, f) {
			int seen = 0;
			size_t m;
			json_t *g;
			json_array_foreach(fl, m, g)
				if (json_equal(g, f))
					seen = 1;
			if (!seen)
				json_array_append(fl, f);
		}
	}
	char gr = 'A';
	for (size_t i = 0; i < c->nrules; i++) {
		const rule *r = &c->rules[i];
		int holds = 0;
		if (r->kind == 0)
			holds = 1;
		else if (r->kind == 1) {
			size_t a, b;
			json_t *x, *y;
			json_array_foreach(r->flags, a, x)
				json_array_foreach(fl, b, y)
					if (json_equal(x, y))
						holds = 1;
		} else if (r->kind == 2) {
			int n = 0;
			for (int s = r->sev; s < 3; s++)
				n += counts[s];
			holds = n >= r->count;
		} else
			holds = sc >= r->score;
		if (holds) {
			gr = r->grade;
			break;
		}
	}
	/* the invariants, whatever the rules say */
	size_t a;
	json_t *x;
	json_array_foreach(fl, a, x)
		if (strcmp(json_string_value(x), "wage_arrears") == 0)
			gr = 'D';
	if (!json_object_size((json_t *)risks) || (counts[0] + counts[1] + counts[2]) == 0)
		gr = 'A';
	*grade = gr;
	*score = sc;
	*flags = fl;
	return 0;
}

int hx_checklist_load_dir(hx_checklist ***out, size_t *n, const char *dir, hx_err *err)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int rc = 0;
	hx_checklist **v = NULL;
	size_t nv = 0;
	while (!rc && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f) {
			rc = hx_err_set(err, HX_EIO, "bad_checklist", "", "%s: cannot open", path);
			break;
		}
		hx_buf b;
		hx_buf_init(&b, 16 << 20);
		char chunk[8192];
		size_t got;
		while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
			if (hx_buf_append(&b, chunk, got)) {
				rc = hx_err_set(err, HX_ETOOBIG, "bad_checklist", "", "%s: too large", path);
				break;
			}
		fclose(f);
		hx_checklist *c = NULL;
		if (!rc && !(rc = hx_checklist_parse(&c, b.data ? b.data : "", b.len, path, err))) {
			for (size_t k = 0; !rc && k < nv; k++)
				if (strcmp(v[k]->id, c->id) == 0 && v[k]->version == c->version)
					rc = hx_err_set(err, HX_EINVAL, "bad_checklist", "", "%s: %s version %d defined twice", path,
							c->id, c->version);
			if (rc)
				hx_checklist_free(c);
			else {
				v = realloc(v, sizeof *v * (nv + 1));
				v[nv++] = c;
			}
		}
		hx_buf_free(&b);
	}
	closedir(d);
	if (rc) {
		for (size_t k = 0; k < nv; k++)
			hx_checklist_free(v[k]);
		free(v);
		return rc;
	}
	*out = v;
	*n = nv;
	return 0;
}

const citem *hx_checklist_item(const hx_checklist *c, const char *id)
{
	for (size_t i = 0; id && i < c->nitems; i++)
		if (strcmp(c->items[i].id, id) == 0)
			return &c->items[i];
	return NULL;
}

json_t *hx_checklist_item_json(const hx_checklist *c, const char *id)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(c->doc, "items"), i, it)
		if (strcmp(json_string_value(json_object_get(it, "id")), id) == 0)
			return it;
	return NULL;
}

const json_t *hx_checklist_doc(const hx_checklist *c)
{
	return c->doc;
}
