/* The built-in RFC 3161 time-stamping authority (时间戳服务), part of the
 * trust service (src/trust/trust.h includes this header): it makes the
 * platform's own root CA and TSA certificate, answers DER TimeStampReq
 * messages with TimeStampResp messages, stamps the SHA-256 digest of an
 * evidence event, and verifies the tokens it (or another TSA under the given
 * CA) issued. Tokens verify with `openssl ts -verify`.
 *
 * A stamp carries the TSA's clock only when the stamp succeeded: any failure
 * is an error value (or, for a bad request, an RFC 3161 rejection), never a
 * token with a made-up time. */
#ifndef HX_TSA_H
#define HX_TSA_H

#include <stddef.h>

#include "../core/err.h"

/* Hexie's private OID arc, under the ITU-T X.667 UUID arc (needs no
 * registration; UUID b2d001c1-8a9d-4ae9-8929-7689bf2c9002). Sub-arcs:
 *   .1     trust service
 *   .1.1   time-stamping policy, version 1: ECDSA P-256 key on the server,
 *          clock from the host (NTP-disciplined), accuracy ±1 s, SHA-256,
 *          SHA-384 or SHA-512 message imprints. */
#define HX_OID_ARC "2.25.237682616612634324900419358451364040706"
#define HX_TSA_POLICY_OID HX_OID_ARC ".1.1"

/* Caps on what the TSA reads: a TimeStampReq is a few hundred bytes, a token
 * a few kilobytes with its certificate. */
#define HX_TSA_REQ_MAX 16384
#define HX_TSA_TOKEN_MAX 65536

typedef struct hx_tsa hx_tsa;

/* Creates, when missing, under dir (made 0700): the platform root CA
 * (ca.key, ca.crt: ECDSA P-256, CN "Hexie 平台根证书", 20 years) and the TSA
 * certificate it issues (tsa.key, tsa.crt: ECDSA P-256, CN "Hexie 时间戳服务",
 * critical extendedKeyUsage timeStamping, 10 years). PEM files, mode 0600.
 * Existing files are kept: a second call changes nothing. An operator may put
 * an external CA's ca.crt with tsa.key/tsa.crt there instead; then ca.key is
 * not needed. Safe against a concurrent call from another process. */
int hx_tsa_keys_make(const char *dir, hx_err *err);

/* Loads tsa.key and tsa.crt from dir. The hx_tsa is read-only afterwards and
 * may be shared by threads. */
int hx_tsa_open(hx_tsa **out, const char *dir, hx_err *err);
void hx_tsa_free(hx_tsa *t);

/* Answers the DER TimeStampReq req_der with a DER TimeStampResp in
 * *resp_der (caller frees with free()). A request the TSA will not stamp
 * (malformed, unsupported digest or policy, extensions) still gets 0 and a
 * response with status rejection and the RFC 3161 failure info; the TSA
 * certificate is in the token when the request sets certReq, the nonce is
 * echoed. HX_ETOOBIG when req_len > HX_TSA_REQ_MAX; HX_EINTERNAL when the TSA
 * itself failed (clock, random source, signing), and then no response. */
int hx_tsa_stamp(unsigned char **resp_der, size_t *len, hx_tsa *t,
		 const unsigned char *req_der, size_t req_len, hx_err *err);

/* Stamps a SHA-256 digest for the platform: builds the request (with a nonce
 * and certReq) and gives the TimeStampToken (CMS SignedData, DER) in
 * *token_der (caller frees with free()). Any failure is HX_EINTERNAL. */
int hx_tsa_stamp_digest(unsigned char **token_der, size_t *len, hx_tsa *t,
			const unsigned char sha256[32], hx_err *err);

/* hx_tsa_stamp_digest with the token checked as hx_tsa_verify_token
 * checks one (the TSA certificate chained to the root of ca_pem_path, the
 * signature, the imprint; and the nonce), on the response as made, before
 * it is encoded: a caller that would verify the token it just got need not
 * parse it again. genTime as hx_tsa_verify_token gives it. */
int hx_tsa_stamp_digest_verified(unsigned char **token_der, size_t *len, char genTime[32], hx_tsa *t,
				 const unsigned char sha256[32], const char *ca_pem_path, hx_err *err);

/* Verifies a DER TimeStampToken: its signature by a TSA certificate (carried
 * in the token) that chains to the CA in ca_pem_path and is for
 * timeStamping, and its SHA-256 message imprint against sha256. On success
 * genTime holds the time as ISO-8601 UTC ("2025-01-31T08:00:00Z"). HX_EINVAL
 * when the token does not verify, HX_EIO when the CA file cannot be read. */
int hx_tsa_verify_token(const unsigned char *token_der, size_t len,
			const unsigned char sha256[32], const char *ca_pem_path,
			char genTime[32], hx_err *err);

#endif
