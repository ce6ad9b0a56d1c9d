/* The contract module's HTTP handlers that live outside contract_http.c
 * and are routed by its one route table. */
#ifndef HX_CONTRACT_HTTP_IMPL_H
#define HX_CONTRACT_HTTP_IMPL_H

#include "../http/http.h"

/* trust_http.c: the trust service's public side */
int hx_contract_http_ca(hx_req *r);
int hx_contract_http_issuing(hx_req *r);
int hx_contract_http_crl(hx_req *r);
int hx_contract_http_checkpoint(hx_req *r);
int hx_contract_http_tsa(hx_req *r);

/* oversight_http.c: rates, filing export, wage tiers, outbox */
int hx_contract_http_rates(hx_req *r);
int hx_contract_http_rates_xlsx(hx_req *r);
int hx_contract_http_filing(hx_req *r);
int hx_contract_http_filing_xlsx(hx_req *r);
int hx_contract_http_tiers(hx_req *r);
int hx_contract_http_tier_set(hx_req *r);
int hx_contract_http_outbox(hx_req *r);

#endif
