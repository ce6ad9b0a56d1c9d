/* One-time codes (验证码), part of the trust service (src/trust/trust.h):
 * a six-digit code sent to a phone confirms who someone is ("identity") or
 * that they mean what they do ("intent", e.g. signing a contract). A code
 * is valid for 5 minutes, can be resent once a minute per (purpose,
 * subject), is locked after 5 wrong tries and can be used once. The store
 * keeps only HMAC-SHA256(keys->misc, "purpose|subject|code"); the code
 * itself leaves this module only through the channel, never in a return
 * value, an error message or a log line.
 *
 * The channel is pluggable; the default hands each message to the
 * transactional outbox (hx_message_queue_at, src/trust/channels.h), which
 * stores it sealed: it is delivered by the SMS gateway when one is
 * configured, and otherwise kept in the `outbox` table, which
 * administrators read in demo mode only (`hexie serve --demo`). Without a
 * gateway and without demo mode the default channel refuses to send a
 * code (HX_ECONFLICT "sms_unavailable"): nobody could receive it.
 *
 * Transactions: both calls run in the caller's write transaction (c->db).
 * A failed hx_otp_verify has still counted the wrong try, so the caller
 * must commit on HX_EINVAL "wrong_code" and HX_EPERM "code_locked" (as the
 * login handler does with commit_anyway), or the 5-try lock is void. */
#ifndef HX_OTP_H
#define HX_OTP_H

#include <jansson.h>

#include "../core/ctx.h"
#include "../core/err.h"

#define HX_OTP_DIGITS 6
#define HX_OTP_TTL 300        /* seconds a code is valid */
#define HX_OTP_RESEND 60      /* seconds between two sends per (purpose, subject) */
#define HX_OTP_MAX_TRIES 5    /* wrong tries that lock a code */

/* Input caps (bytes). */
#define HX_OTP_PURPOSE_MAX 32   /* [a-z0-9_] */
#define HX_OTP_SUBJECT_MAX 128  /* printable ASCII without '|' */
#define HX_OTP_TEMPLATE_MAX 480 /* UTF-8 text with exactly one "%s" */

/* Where a message goes. send gets the full text (the code included); it
 * returns 0 or a negative HX_E… code with err filled. It must not log the
 * text. ctx is the channel's own data. */
typedef struct hx_otp_channel {
	int (*send)(void *ctx, hx_ctx *c, const char *phone, const char *text, hx_err *err);
	void *ctx;
} hx_otp_channel;

/* Sets the process-wide channel (copied); NULL restores the outbox. Call at
 * start-up (or in tests), not while requests run. */
void hx_otp_set_channel(const hx_otp_channel *ch);
/* Sets the clock (unix seconds) used for sending, expiry and the outbox's
 * created_at; NULL restores hx_now_unix. For tests, like the channel. */
void hx_otp_set_clock(long long (*now)(void));

/* Makes a new code for (purpose, subject), replacing any earlier one (which
 * stops working), and sends text_template with its one "%s" replaced by the
 * code to phone through the channel. Errors: HX_ETHROTTLE "resend_too_soon"
 * within HX_OTP_RESEND seconds of the last send; HX_EINVAL "invalid_purpose",
 * "invalid_subject", "invalid_phone", "invalid_template"; the channel's
 * (the default one: HX_ECONFLICT "sms_unavailable" with no SMS gateway
 * outside demo mode). */
int hx_otp_send(hx_ctx *c, const char *purpose, const char *subject, const char *phone,
		const char *text_template, hx_err *err);

/* Checks code against the current code of (purpose, subject); 0 when right,
 * and the code is then used up. Errors: HX_ENOTFOUND "no_code" (none sent);
 * HX_EINVAL "code_used" (a replay), "code_expired", "wrong_code" (the
 * message says how many tries are left); HX_EPERM "code_locked" on the
 * HX_OTP_MAX_TRIES-th wrong try and on every try after it. */
int hx_otp_verify(hx_ctx *c, const char *purpose, const char *subject, const char *code,
		  hx_err *err);

/* The newest outbox messages, {"items":[{id, channel, recipient, subject,
 * text, created_at, status, attempts, error, sent_at}]}, newest first
 * (subject, error and sent_at may be null; channel "outbox" with status
 * "kept", or "sms"/"email" with "queued", "sent" or "failed"); limit is
 * clamped to 1..500 (≤0 means 50). The texts are opened with c->keys.
 * Admin-only and demo mode only (the caller checks): the texts hold
 * codes and links. */
int hx_otp_outbox_list(json_t **out, hx_ctx *c, int limit, hx_err *err);

#endif
