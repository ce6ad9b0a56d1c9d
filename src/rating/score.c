/* Scoring: facts are checked and compiled once against a rubric (answers
 * by criterion index, metrics in millionths), then hx_rate walks the flat
 * arrays without allocating. Items and elements never go below 0; a veto
 * leaves the total as scored. */
#include "rating_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int crit_index(const hx_rubric *r, const char *id)
{
	return hx_rubric_criterion_index(r, id);
}

void hx_facts_free(hx_facts *f)
{
	if (!f)
		return;
	free(f->answer_kind);
	free(f->answer2);
	free(f->metric);
	free(f->has_metric);
	json_decref(f->warnings);
	free(f);
}

int hx_facts_compile(hx_facts **out, const hx_rubric *r, const json_t *facts, hx_err *err)
{
	if (!json_is_object(facts))
		return hx_err_set(err, HX_EINVAL, "bad_facts", "", "facts must be a JSON object {\"answers\":…,\"metrics\":…}");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)facts, k, v)
		if (strcmp(k, "answers") != 0 && strcmp(k, "metrics") != 0)
			return hx_err_set(err, HX_EINVAL, "bad_facts", k, "unknown key \"%s\" in facts (answers, metrics)", k);
	json_t *answers = json_object_get(facts, "answers"), *metrics = json_object_get(facts, "metrics");
	if (answers && !json_is_object(answers))
		return hx_err_set(err, HX_EINVAL, "bad_facts", "answers", "\"answers\" must be an object");
	if (metrics && !json_is_object(metrics))
		return hx_err_set(err, HX_EINVAL, "bad_facts", "metrics", "\"metrics\" must be an object");
	hx_facts *f = calloc(1, sizeof *f);
	f->answer_kind = calloc((size_t)r->ncriteria + 1, 1);
	f->answer2 = calloc((size_t)r->ncriteria + 1, sizeof *f->answer2);
	f->metric = calloc((size_t)r->nmetrics + 1, sizeof *f->metric);
	f->has_metric = calloc((size_t)r->nmetrics + 1, 1);
	f->warnings = json_array();
	int rc = 0;
	json_object_foreach(answers, k, v) {
		int i = crit_index(r, k);
		if (i < 0) {
			rc = hx_err_set(err, HX_EINVAL, "unknown_criterion", k, "rubric %s has no criterion \"%s\"", r->id, k);
			goto done;
		}
		const criterion *c = &r->criteria[i];
		if (json_is_boolean(v)) {
			f->answer_kind[i] = 1;
			f->answer2[i] = json_is_true(v);
		} else if (json_is_number(v)) {
			double d = json_number_value(v) * 2;
			if (!isfinite(d) || d < 0 || d > c->max2) {
				rc = hx_err_set(err, HX_EINVAL, "answer_out_of_range", k,
						"answer %s = %g is outside 0…%g", k, json_number_value(v), c->max2 / 2.0);
				goto done;
			}
			if (d != floor(d)) {
				rc = hx_err_set(err, HX_EINVAL, "answer_not_half", k,
						"answer %s = %g is not in half points", k, json_number_value(v));
				goto done;
			}
			f->answer_kind[i] = 2;
			f->answer2[i] = (int)d;
		} else {
			rc = hx_err_set(err, HX_EINVAL, "bad_answer", k, "answer %s must be true, false or a number", k);
			goto done;
		}
	}
	json_object_foreach(metrics, k, v) {
		int m = -1;
		for (int i = 0; i < r->nmetrics; i++)
			if (strcmp(r->metrics[i].name, k) == 0)
				m = i;
		if (m < 0) {
			char msg[200];
			snprintf(msg, sizeof msg, "评价标准%s不使用指标“%s”，已忽略", r->id, k);
			json_array_append_new(f->warnings, json_string(msg));
			continue;
		}
		const metric *M = &r->metrics[m];
		if (M->type == MT_BOOL) {
			if (!json_is_boolean(v)) {
				rc = hx_err_set(err, HX_EINVAL, "bad_metric", k, "metric %s must be true or false", k);
				goto done;
			}
			f->metric[m] = json_is_true(v) ? HX_MICRO : 0;
		} else {
			if (!json_is_number(v)) {
				rc = hx_err_set(err, HX_EINVAL, "bad_metric", k, "metric %s must be a number", k);
				goto done;
			}
			double d = json_number_value(v);
			if (!isfinite(d) || d < 0 || d > 1e12) {
				rc = hx_err_set(err, HX_EINVAL, "bad_metric", k, "metric %s = %g must be ≥ 0", k, d);
				goto done;
			}
			if (M->type == MT_RATE && d > 1) {
				rc = hx_err_set(err, HX_EINVAL, "rate_out_of_range", k, "rate %s = %g is outside 0…1", k, d);
				goto done;
			}
			if (M->type == MT_COUNT && d != floor(d)) {
				rc = hx_err_set(err, HX_EINVAL, "bad_metric", k, "metric %s must be a whole number", k);
				goto done;
			}
			f->metric[m] = llround(d * (double)HX_MICRO);
		}
		f->has_metric[m] = 1;
	}
done:
	if (rc) {
		hx_facts_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

hx_score *hx_score_new(const hx_rubric *r)
{
	hx_score *s = calloc(1, sizeof *s);
	s->item2 = calloc((size_t)r->nitems + 1, sizeof *s->item2);
	s->criterion2 = calloc((size_t)r->ncriteria + 1, sizeof *s->criterion2);
	s->vetoes = calloc((size_t)r->ncriteria + 1, sizeof *s->vetoes);
	return s;
}

void hx_score_free(hx_score *s)
{
	if (!s)
		return;
	free(s->item2);
	free(s->criterion2);
	free(s->vetoes);
	free(s);
}

static int cmp(int64_t a, cmp_op op, int64_t b)
{
	switch (op) {
	case OP_GE: return a >= b;
	case OP_GT: return a > b;
	case OP_LE: return a <= b;
	case OP_LT: return a < b;
	default: return a == b;
	}
}

/* 1 holds, 0 does not, -1 cannot tell (missing answer or metric). */
static int cond_holds(const cond *k, int ci, const hx_facts *f)
{
	if (k->answer >= 0) {
		if (f->answer_kind[ci] != 1)
			return -1;
		return f->answer2[ci] == k->answer;
	}
	if (!f->has_metric[k->metric] || (k->other >= 0 && !f->has_metric[k->other]))
		return -1;
	int64_t rhs = k->other >= 0 ? f->metric[k->other] : k->value;
	return cmp(f->metric[k->metric], k->op, rhs);
}

/* The criterion's own answer as points: true → max, number → itself. */
static int answer_points(const criterion *c, int ci, const hx_facts *f, int *known)
{
	*known = f->answer_kind[ci] != 0;
	if (f->answer_kind[ci] == 1)
		return f->answer2[ci] ? c->max2 : 0;
	if (f->answer_kind[ci] == 2)
		return f->answer2[ci];
	return 0;
}

/* Scores one criterion; *warn is set when something it needs is missing. */
static int criterion_points(const criterion *c, int ci, const hx_facts *f, int *warn)
{
	int known;
	*warn = 0;
	switch (c->kind) {
	case RK_ANSWER: {
		int p = answer_points(c, ci, f, &known);
		*warn = !known;
		return p;
	}
	case RK_METRIC:
		if (!f->has_metric[c->metric]) {
			/* without the metric, the evaluator's answer stands in */
			int p = answer_points(c, ci, f, &known);
			*warn = 1;
			return p;
		}
		return cmp(f->metric[c->metric], c->op, c->value) ? c->max2 : 0;
	case RK_METRIC_AND_ANSWER: {
		int p = answer_points(c, ci, f, &known);
		if (!known || !f->has_metric[c->metric]) {
			*warn = 1;
			return 0;
		}
		return cmp(f->metric[c->metric], c->op, c->value) ? p : 0;
	}
	case RK_LADDER:
		if (!f->has_metric[c->metric]) {
			*warn = 1;
			return 0;
		}
		for (int t = 0; t < c->ntiers; t++)
			if (cmp(f->metric[c->metric], c->tiers[t].op, c->tiers[t].value))
				return c->tiers[t].points2;
		return 0;
	case RK_STEP: {
		if (!f->has_metric[c->metric]) {
			*warn = 1;
			return 0;
		}
		int64_t v = f->metric[c->metric];
		if (v >= c->full_at)
			return c->max2;
		int64_t steps = (c->full_at - v) / c->step;
		int64_t p = (int64_t)c->max2 - steps * c->per_step2;
		return p < 0 ? 0 : (int)p;
	}
	case RK_BAND: {
		if (!f->has_metric[c->metric]) {
			*warn = 1;
			return 0;
		}
		int64_t v = f->metric[c->metric];
		if (v >= c->full_at)
			return c->max2;
		if (v < c->zero_below)
			return 0;
		int p = answer_points(c, ci, f, &known);
		*warn = !known;
		return p;
	}
	default:
		return 0;
	}
}

void hx_rate(hx_score *s, const hx_rubric *r, const hx_facts *f)
{
	s->total2 = 0;
	s->max2 = r->total2;
	s->vetoed = 0;
	s->nvetoes = 0;
	s->nwarnings = 0;
	for (int i = 0; i < r->nitems; i++) {
		const item *I = &r->items[i];
		int sum = 0, deduct_item = 0, zero = 0, warn;
		for (int ci = I->first; ci < I->first + I->count; ci++) {
			const criterion *c = &r->criteria[ci];
			int p = 0;
			if (c->kind == RK_ZERO_ITEM || c->kind == RK_DEDUCT) {
				int all = 1, unknown = 0;
				for (int k = 0; k < c->nwhen; k++) {
					int h = cond_holds(&c->when[k], ci, f);
					if (h < 0)
						unknown = 1;
					if (h != 1)
						all = 0;
				}
				s->nwarnings += unknown;
				if (all && c->kind == RK_ZERO_ITEM)
					zero = 1;
				if (all && c->kind == RK_DEDUCT)
					deduct_item += c->points2;
			} else if (c->kind == RK_VETO) {
				int any = 0;
				for (int k = 0; k < c->nwhen; k++) {
					int h = cond_holds(&c->when[k], ci, f);
					if (h == 1)
						any = 1;
				}
				if (any) {
					s->vetoed = 1;
					s->vetoes[s->nvetoes++] = ci;
				}
			} else {
				p = criterion_points(c, ci, f, &warn);
				s->nwarnings += warn;
			}
			s->criterion2[ci] = p;
			sum += p;
		}
		for (int e = I->efirst; e < I->efirst + I->ecount; e++) {
			const element *E = &r->elements[e];
			int esum = 0, ededuct = 0;
			for (int ci = E->first; ci < E->first + E->count; ci++) {
				const criterion *c = &r->criteria[ci];
				int p = 0;
				if (c->kind == RK_DEDUCT || c->kind == RK_ZERO_ITEM) {
					int all = 1;
					for (int k = 0; k < c->nwhen; k++)
						if (cond_holds(&c->when[k], ci, f) != 1)
							all = 0;
					if (all && c->kind == RK_DEDUCT) {
						if (c->from_item)
							deduct_item += c->points2;
						else
							ededuct += c->points2;
					}
					if (all && c->kind == RK_ZERO_ITEM)
						zero = 1;
				} else if (c->kind == RK_VETO) {
					for (int k = 0; k < c->nwhen; k++)
						if (cond_holds(&c->when[k], ci, f) == 1) {
							s->vetoed = 1;
							s->vetoes[s->nvetoes++] = ci;
							break;
						}
				} else {
					p = criterion_points(c, ci, f, &warn);
					s->nwarnings += warn;
				}
				s->criterion2[ci] = p;
				esum += p;
			}
			esum -= ededuct;
			if (esum < 0)
				esum = 0;
			if (esum > E->max2)
				esum = E->max2;
			sum += esum;
		}
		sum -= deduct_item;
		if (sum < 0 || zero)
			sum = 0;
		if (sum > I->max2)
			sum = I->max2;
		s->item2[i] = sum;
		s->total2 += sum;
	}
}

static json_t *points_json(int p2)
{
	return p2 % 2 ? json_real(p2 / 2.0) : json_integer(p2 / 2);
}

static void warn_missing(json_t *w, const hx_rubric *r, const hx_facts *f)
{
	/* unanswered criteria and missing metrics, each named once */
	unsigned char *seen = calloc((size_t)r->nmetrics + 1, 1);
	for (int ci = 0; ci < r->ncriteria; ci++) {
		const criterion *c = &r->criteria[ci];
		int needs_metric = c->metric >= 0;
		if (needs_metric && !f->has_metric[c->metric] && !seen[c->metric]) {
			seen[c->metric] = 1;
			char msg[300];
			snprintf(msg, sizeof msg, "缺少指标%s（%s）", r->metrics[c->metric].label,
				 r->metrics[c->metric].name);
			json_array_append_new(w, json_string(msg));
		}
		for (int k = 0; k < c->nwhen; k++) {
			int m = c->when[k].metric;
			if (m >= 0 && !f->has_metric[m] && !seen[m]) {
				seen[m] = 1;
				char msg[300];
				snprintf(msg, sizeof msg, "缺少指标%s（%s）", r->metrics[m].label, r->metrics[m].name);
				json_array_append_new(w, json_string(msg));
			}
		}
		int unanswered = 0;
		if (c->kind == RK_ANSWER || c->kind == RK_METRIC_AND_ANSWER)
			unanswered = !f->answer_kind[ci];
		else if (c->kind == RK_BAND && f->has_metric[c->metric] && f->metric[c->metric] < c->full_at &&
			 f->metric[c->metric] >= c->zero_below)
			unanswered = !f->answer_kind[ci];
		else if (c->kind >= RK_ZERO_ITEM && c->reads_answer)
			unanswered = !f->answer_kind[ci];
		if (unanswered) {
			char msg[200];
			snprintf(msg, sizeof msg, c->kind == RK_BAND ? "第%s项需评审人员给出分数（暂按0分计）"
								 : "第%s项未作答",
				 c->id);
			json_array_append_new(w, json_string(msg));
		}
	}
	free(seen);
}

json_t *hx_score_json(const hx_score *s, const hx_rubric *r, const hx_facts *f)
{
	json_t *items = json_array();
	for (int i = 0; i < r->nitems; i++) {
		const item *I = &r->items[i];
		json_t *crit = json_array();
		for (int ci = 0; ci < r->ncriteria; ci++)
			if (r->criteria[ci].item == i)
				json_array_append_new(crit, json_pack("{s:s,s:o,s:o}", "id", r->criteria[ci].id, "score",
								      points_json(s->criterion2[ci]), "max",
								      points_json(r->criteria[ci].max2)));
		json_array_append_new(items, json_pack("{s:s,s:s,s:o,s:o,s:O,s:o}", "id", I->id, "title", I->title,
						       "score", points_json(s->item2[i]), "max", points_json(I->max2),
						       "departments", I->departments, "criteria", crit));
	}
	json_t *vetoes = json_array();
	for (int k = 0; k < s->nvetoes; k++)
		json_array_append_new(vetoes, json_string(r->criteria[s->vetoes[k]].id));
	json_t *warnings = json_deep_copy(f->warnings);
	warn_missing(warnings, r, f);
	return json_pack("{s:s,s:i,s:o,s:o,s:b,s:o,s:o,s:o}", "rubric", r->id, "version", r->version, "total",
			 points_json(s->total2), "max", points_json(s->max2), "vetoed", s->vetoed, "vetoes", vetoes,
			 "items", items, "warnings", warnings);
}
