/* Message channels (消息通道), part of the trust service: how the platform's
 * outgoing messages (one-time codes, notices) reach people. A message is
 * written to the `outbox` table inside the transaction of the operation
 * that makes it (a transactional outbox: no message for a rolled-back
 * operation, none lost for a committed one); a background worker then
 * delivers it outside any transaction:
 *   - a phone number goes to an SMS gateway over HTTP (HEXIE_SMS_URL);
 *   - an e-mail address goes through SMTP (HEXIE_SMTP_URL);
 *   - with no channel set for it, the message stays in the outbox
 *     (status 'kept'), where administrators read it.
 * Texts hold one-time codes and signing links: they are stored sealed
 * (AES-256-GCM with the ctx's keys->pii, like hx_seal), opened only by the
 * delivery worker and, in demo mode, by the administrators' outbox page;
 * they are never logged, and never copied into an error message or the
 * row's error column.
 *
 * Demo mode (`hexie serve --demo`, hx_channels_set_demo) is the only mode
 * in which kept messages are shown to anyone: without it a message with no
 * channel stays sealed in the outbox, unread, and one-time codes are
 * refused (src/trust/otp.c), since nobody could receive them.
 *
 * Configuration is read once at start-up from the environment (see
 * docs/operations.md, "消息通道 / Message channels"):
 *   HEXIE_SMS_URL        URL template, {phone} and {text} replaced
 *                        URL-encoded, e.g.
 *                        http://gw.example/send?to={phone}&msg={text}
 *   HEXIE_SMS_BODY       optional body template (the request is then a
 *                        POST): JSON-escaped values and Content-Type
 *                        application/json when it starts with '{', else
 *                        URL-encoded values and
 *                        application/x-www-form-urlencoded
 *   HEXIE_SMTP_URL       smtp://host:port (STARTTLS when offered, required
 *                        with a password) or smtps://host:port
 *   HEXIE_SMTP_FROM      sender, "addr@example.org" or
 *                        "Name <addr@example.org>" (required with the URL)
 *   HEXIE_SMTP_USER, HEXIE_SMTP_PASSWORD   optional login */
#ifndef HX_CHANNELS_H
#define HX_CHANNELS_H

#include "../core/ctx.h"
#include "../core/err.h"

struct hx_store;

#define HX_MESSAGE_TEXT_MAX 4096     /* bytes of a message's text */
#define HX_MESSAGE_SUBJECT_MAX 200   /* bytes of an e-mail subject */
#define HX_MESSAGE_RECIPIENT_MAX 254 /* an e-mail address (RFC 5321 path) */
#define HX_MESSAGE_MAX_ATTEMPTS 6    /* then the row is 'failed' */
#define HX_MESSAGE_TIMEOUT_MS 10000  /* per delivery attempt */

/* Reads the environment variables above and sets the process-wide
 * channels, replacing earlier ones (unset variables clear a channel). Call
 * at start-up, before requests and the delivery worker run (tests may call
 * it again between cases). HX_EINVAL "channel_config" names the variable
 * at fault in err->field; the channels are then left unset. */
int hx_channels_configure_from_env(hx_err *err);

/* What is configured, for the start-up log line: "outbox", "sms-gateway",
 * "outbox+smtp" or "sms-gateway+smtp" (the first part is where phone
 * messages go). */
const char *hx_channels_describe(void);

/* Where hx_message_queue would put a message for recipient now: "sms",
 * "email", or "outbox" (no channel configured for it); NULL for a
 * recipient it would refuse. */
const char *hx_message_channel(const char *recipient);

/* Demo mode, server-wide: set once at start-up from `hexie serve --demo`. */
void hx_channels_set_demo(int on);
int hx_channels_demo(void);

/* Whether a phone message would reach a phone now: an SMS gateway is
 * configured. */
int hx_channels_sms_configured(void);

/* Seals the texts of outbox rows written before texts were sealed
 * (migration trust/003), in one transaction; *n (may be NULL) gets how
 * many. Run at start-up by `hexie serve`. */
struct hx_keys;
int hx_messages_seal_existing(struct hx_store *s, const struct hx_keys *keys, long long *n, hx_err *err);

/* Opens a stored outbox text (sealed = 1) or copies a legacy clear one
 * (sealed = 0): *out is malloc'd, the caller wipes and frees it. */
int hx_message_text_open(char **out, const struct hx_keys *keys, const char *recipient, const char *stored,
			 int sealed, hx_err *err);

/* Sets the clock (unix seconds) used for created_at, next_try_at and
 * sent_at; NULL restores hx_now_unix. For tests. */
void hx_channels_set_clock(long long (*now)(void));

/* Writes one message to the outbox inside the caller's transaction (c->db).
 * recipient is a phone number ("+" and 5 to 20 digits) or an e-mail
 * address (it holds an '@'); subject is for e-mail (NULL gives a default
 * one). The row is channel 'sms' / 'email', status 'queued', due now when
 * the channel for it is configured, else channel 'outbox', status 'kept'.
 * HX_EINVAL "invalid_recipient" (field "recipient"), "invalid_subject"
 * (a control character), HX_ETOOBIG "message_too_long" (field "text" or
 * "subject"), and the store's. */
int hx_message_queue(hx_ctx *c, const char *recipient, const char *subject, const char *text,
		     hx_err *err);
/* The same with created_at and the first due time at now (unix seconds):
 * for callers with their own clock (the one-time codes' hx_otp_set_clock). */
int hx_message_queue_at(hx_ctx *c, const char *recipient, const char *subject, const char *text,
			long long now, hx_err *err);

/* Delivers up to max (≤0: 20; at most 200) queued messages that are due,
 * oldest first; called by a background thread. Each row is claimed with a
 * guarded UPDATE (status 'queued', due, attempts unchanged) that also moves
 * next_try_at ahead, so two workers (in one or two processes) never send
 * the same message twice, and a worker that dies mid-send leaves the row to
 * be retried. It is then sent with no transaction open and no store
 * connection held (libcurl, HX_MESSAGE_TIMEOUT_MS), and marked 'sent', or
 * given a retry 30 s, 2 min, 10 min, 30 min, 1 h after the attempt with
 * the error, or 'failed' after HX_MESSAGE_MAX_ATTEMPTS attempts. The text
 * is opened with keys (a row that cannot be opened is 'failed' at once).
 * Returns
 * the number of messages attempted (sent or not), or a negative HX_E… code
 * when the store failed. */
int hx_messages_deliver_pending(struct hx_store *s, const struct hx_keys *keys, int max, hx_err *err);

#endif
