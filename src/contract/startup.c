/* Start and shutdown of the contract module: the data it loads (minimum
 * wages, contract templates) and the trust material the server opens (CA,
 * TSA, the evidence log's key), kept in hx_cenv for the other files. */
#include "contract_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hx_wages *g_wages;
static hx_template_set *g_templates;

int hx_contract_init(const char *data_dir, hx_err *err)
{
	char path[4096];
	const char *data = data_dir ? data_dir : "data";
	hx_contract_shutdown();
	snprintf(path, sizeof path, "%s/wages/zhejiang.json", data);
	int rc = hx_wages_load(&g_wages, path, err);
	snprintf(path, sizeof path, "%s/templates", data);
	if (!rc)
		rc = hx_template_load_dir(&g_templates, path, err);
	if (rc)
		hx_contract_shutdown();
	hx_cenv.wages = g_wages;
	hx_cenv.templates = g_templates;
	return rc;
}

int hx_contract_trust_open(const char *keys_dir, const char *base_url, hx_err *err)
{
	static char dir[4096], base[512];
	snprintf(dir, sizeof dir, "%s", keys_dir);
	snprintf(base, sizeof base, "%s", base_url && *base_url ? base_url : "http://127.0.0.1:8080");
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		base[--n] = 0;
	hx_cenv.keys_dir = dir;
	hx_cenv.base_url = base;
	const char *tsa = getenv("HEXIE_TSA_URL");
	hx_cenv.tsa_url = tsa && *tsa ? tsa : NULL;
	int rc = hx_ca_keys_make(dir, err);
	if (!rc)
		rc = hx_ca_open(&hx_cenv.ca, dir, err);
	if (!rc)
		rc = hx_tsa_open(&hx_cenv.tsa, dir, err);
	if (!rc)
		rc = hx_evidence_log_key(&hx_cenv.log_key, dir, 1, err);
	return rc;
}

void hx_contract_shutdown(void)
{
	hx_wages_free(g_wages);
	g_wages = NULL;
	hx_template_set_free(g_templates);
	g_templates = NULL;
	hx_cenv.wages = NULL;
	hx_cenv.templates = NULL;
	hx_ca_free(hx_cenv.ca);
	hx_cenv.ca = NULL;
	hx_tsa_free(hx_cenv.tsa);
	hx_cenv.tsa = NULL;
	EVP_PKEY_free(hx_cenv.log_key);
	hx_cenv.log_key = NULL;
}
