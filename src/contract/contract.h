/* Electronic labor contracts (电子劳动合同). This first part is the legal
 * check (lint) of contract terms against the Labor Contract Law, run on
 * every draft before it can be sent and available as `hexie contract
 * lint`; templates, signing and the evidence chain build on it. */
#ifndef HX_CONTRACT_H
#define HX_CONTRACT_H

#include <jansson.h>

#include "../core/err.h"

/* Minimum wages (data/wages/zhejiang.json): loaded once. */
typedef struct hx_wages hx_wages;
int hx_wages_load(hx_wages **out, const char *path, hx_err *err);
void hx_wages_free(hx_wages *w);
/* The standard in force on date for an area code (tier by longest prefix):
 * monthly and hourly, in yuan. HX_ENOTFOUND before the first standard. */
int hx_wages_minimum(double *monthly, double *hourly, int *tier, const hx_wages *w, const char *area_code,
		     const char *date, hx_err *err);

/* Checks contract terms (the shape of docs/api.md "Contract lint"). *out
 * gets {"errors":[…],"warnings":[…]}, each {"code","field","message"}.
 * today is the date the check is made for (late signing, ages); NULL for
 * today. HX_EBADREQ when the input is unusable (not an object, wrong
 * types), with the field named. */
int hx_contract_lint(json_t **out, const json_t *terms, const hx_wages *w, const char *today, hx_err *err);

/* Module start and the HTTP routes. */
int hx_contract_init(const char *data_dir, hx_err *err);
void hx_contract_shutdown(void);
struct hx_server;
void hx_contract_http_register(struct hx_server *s);

#endif
