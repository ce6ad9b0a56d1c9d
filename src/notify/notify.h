/* Notifications (消息): short messages to the users of an organization
 * (a department asked to finish its review), of an enterprise (a health
 * check is coming, with the papers to prepare) or to one user. Written in
 * the same transaction as the event that causes them; read by whoever
 * they are addressed to. */
#ifndef HX_NOTIFY_H
#define HX_NOTIFY_H

#include <jansson.h>

#include "../core/ctx.h"
#include "../core/err.h"

int hx_notify_org(hx_ctx *c, long long org_id, const char *text, const char *link, hx_err *err);
int hx_notify_enterprise(hx_ctx *c, long long enterprise_id, const char *text, const char *link, hx_err *err);
/* The caller's messages, newest first: {"items":[{"id","text","link","created_at","read"}]}. */
int hx_notify_list(json_t **out, hx_ctx *c, hx_err *err);

struct hx_server;
void hx_notify_http_register(struct hx_server *s);

#endif
