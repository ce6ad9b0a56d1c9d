/* The checkup module's root: the checklists loaded from data/checklists
 * (every check names the version it was made with), and the clock and
 * permission helpers every step of the health check shares. */
#include "checkup_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../account/account.h"
#include "../core/arena.h"
#include "../core/timeutil.h"

static hx_checklist **g_lists;
static size_t g_nlists;

int hx_checkup_init(const char *data_dir, hx_err *err)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/checklists", data_dir ? data_dir : "data");
	hx_checkup_shutdown();
	return hx_checklist_load_dir(&g_lists, &g_nlists, dir, err);
}

void hx_checkup_shutdown(void)
{
	for (size_t i = 0; i < g_nlists; i++)
		hx_checklist_free(g_lists[i]);
	free(g_lists);
	g_lists = NULL;
	g_nlists = 0;
}

const hx_checklist *hx_checkup_checklist(void)
{
	const hx_checklist *best = NULL;
	for (size_t i = 0; i < g_nlists; i++)
		if (!best || g_lists[i]->version > best->version)
			best = g_lists[i];
	return best;
}

const hx_checklist *hx_checkup_checklist_find(const char *id, int version)
{
	for (size_t i = 0; id && i < g_nlists; i++)
		if (strcmp(g_lists[i]->id, id) == 0 && g_lists[i]->version == version)
			return g_lists[i];
	return NULL;
}

const char *hx_checkup_now_iso(hx_ctx *c)
{
	char t[21];
	hx_now_iso(t);
	return hx_arena_strdup(c->arena, t);
}

const char *hx_checkup_today(hx_ctx *c)
{
	char t[11];
	hx_today(t);
	return hx_arena_strdup(c->arena, t);
}

int hx_checkup_can(hx_ctx *c, unsigned p)
{
	return hx_can(c->me, p);
}
