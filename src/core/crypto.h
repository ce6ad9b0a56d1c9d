/* Small cryptographic helpers over OpenSSL: random tokens, SHA-256, keyed
 * hashes (HMAC-SHA256) for lookups of secret values, and AES-256-GCM sealing
 * of personal data at rest (resident ID numbers). Keys live in files under
 * the key directory (var/keys/, mode 0600), made on first use. */
#ifndef HX_CRYPTO_H
#define HX_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

int hx_random(void *out, size_t n);
/* A random URL-safe token of nbytes of entropy; out holds 2*nbytes+1. */
int hx_token(char *out, size_t nbytes);
void hx_hex(char *out, const uint8_t *p, size_t n); /* out holds 2n+1 */
void hx_sha256_hex(char out[65], const void *p, size_t n);
void hx_hmac_hex(char out[65], const uint8_t key[32], const void *p, size_t n);
/* Constant-time string comparison. */
int hx_ct_equal(const char *a, const char *b);

/* Base64 (standard alphabet, padded). Caller frees the result. */
char *hx_b64_encode(const void *p, size_t n);
int hx_b64_decode(uint8_t **out, size_t *outlen, const char *s);

typedef struct hx_keys {
	uint8_t pii[32];      /* AES-256-GCM key for personal data */
	uint8_t pii_index[32]; /* HMAC key for lookups by ID number */
	uint8_t misc[32];     /* HMAC key for throttling keys and the like */
} hx_keys;

/* Loads the keys from dir, creating the directory (0700) and missing key
 * files (0600) from the system's random source when create is set. */
int hx_keys_load(hx_keys *out, const char *dir, int create, hx_err *err);

/* Seals plaintext: returns base64(nonce(12) || ciphertext || tag(16)),
 * with aad bound in (e.g. the table and column). Caller frees. */
int hx_seal(char **out, const uint8_t key[32], const char *plain, const char *aad, hx_err *err);
int hx_open(char **out, const uint8_t key[32], const char *sealed, const char *aad, hx_err *err);
/* The same for bytes (documents): *out is NUL-terminated too, *outlen
 * (may be NULL) gets the length. */
int hx_seal_bytes(char **out, const uint8_t key[32], const void *plain, size_t n, const char *aad, hx_err *err);
int hx_open_bytes(uint8_t **out, size_t *outlen, const uint8_t key[32], const char *sealed, const char *aad,
		  hx_err *err);

#endif
