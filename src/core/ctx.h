/* The context a module operation runs in: the store connection of the
 * current transaction, the arena that dies with the request, the keys for
 * personal data, who is acting (principal, defined by the account module)
 * and from where. HTTP handlers and CLI commands build one and pass it
 * down; modules never reach for globals. */
#ifndef HX_CTX_H
#define HX_CTX_H

struct hx_db;
struct hx_arena;
struct hx_keys;
struct hx_principal;

typedef struct hx_ctx {
	struct hx_db *db;
	struct hx_arena *arena;
	const struct hx_keys *keys;
	const struct hx_principal *me;
	const char *ip;         /* client address, "cli" for commands */
	const char *data_dir;   /* data/ (areas, later rubrics, templates) */
} hx_ctx;

#endif
