/* What the files of the trust service share and nothing outside uses: the
 * key directory that the time-stamping authority (tsa.c) and the
 * certificate authority (ca.c) keep their keys and certificates in, the
 * certificates they make, and the platform's own RFC 3161 request, which
 * the built-in TSA and the client of an external one (tsa_client.c) send
 * alike. Not part of trust.h. */
#ifndef HX_TRUST_IMPL_H
#define HX_TRUST_IMPL_H

#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <stddef.h>

#include "../core/err.h"

/* Fills err with what, followed by OpenSSL's last reason, and clears
 * OpenSSL's error queue (this thread's), since the error is now a value.
 * Returns code. */
int hx_trust_ossl_fail(hx_err *err, int code, const char *key, const char *what);

/* The DER of obj, an OpenSSL object of type it (ASN1_ITEM_rptr(X509)),
 * in *out (malloc'd). 0, or -1 with *out untouched. */
int hx_trust_der(unsigned char **out, size_t *len, const void *obj, const ASN1_ITEM *it);

/* ---- the key directory ----
 * PEM files, mode 0600, each written whole through a temporary file renamed
 * into place; made under dir/.lock so that concurrent `hexie init` runs make
 * them once. The error keys say whose files failed: "tsa_path"/"tsa_keys"
 * for the TSA's, "ca_path"/"ca_keys" for the CA's. */
typedef struct hx_keydir {
	const char *dir;
	const char *path_key; /* dir/name would not fit in PATH_MAX (HX_EINVAL) */
	const char *key;      /* any other failure */
} hx_keydir;

/* dir/name into out; HX_EINVAL when it does not fit. */
int hx_keydir_path(char out[PATH_MAX], const hx_keydir *kd, const char *name, hx_err *err);
/* 1 when something (a file, a link) is at path. */
int hx_keydir_exists(const char *path);
/* Takes dir/.lock (flock, exclusive) into *fd; hx_keydir_unlock releases
 * it. *fd is -1 on failure. */
int hx_keydir_lock(int *fd, const hx_keydir *kd, hx_err *err);
void hx_keydir_unlock(int fd);
/* Writes a private key (through secure memory) or a certificate as PEM to
 * dir/name; exactly one of key and cert is set. */
int hx_keydir_write_pem(const hx_keydir *kd, const char *name, EVP_PKEY *key, X509 *cert, hx_err *err);
/* Reads the PEM private key (key set) or certificate (cert set) at
 * dir/name; exactly one of key and cert is set. */
int hx_keydir_read_pem(EVP_PKEY **key, X509 **cert, const hx_keydir *kd, const char *name, hx_err *err);

/* ---- certificates of the platform's CAs ---- */
typedef struct hx_cert_ext {
	int nid;
	const char *value; /* X509V3_EXT_conf_nid syntax: "critical,CA:TRUE" */
} hx_cert_ext;

/* Adds exts to x, which issuer signs (issuer NULL: x signs itself).
 * 0, or -1 with the reason in OpenSSL's error queue. */
int hx_cert_add_exts(X509 *x, X509 *issuer, const hx_cert_ext *exts, size_t n);

/* Fills into with a fresh random serial; 1 on success, 0 otherwise. */
typedef int hx_serial_fn(ASN1_INTEGER *into);

/* A certificate the platform makes for a key of its own, kept in the key
 * directory as <stem>.key and <stem>.crt. */
typedef struct hx_cert_spec {
	const char *stem;
	const char *cn; /* subject CN, written as a UTF8String */
	long days;      /* valid from a minute ago (a lagging clock still accepts it) */
	hx_serial_fn *serial;
	const hx_cert_ext *exts;
	size_t nexts;
	const char *key_failed;  /* the messages when the key, or the */
	const char *cert_failed; /* certificate, cannot be made */
} hx_cert_spec;

/* Makes the certificate of spec for key, signed with SHA-256 by issuer_key
 * under issuer (issuer NULL: self-signed). 0, or -1 with the reason in
 * OpenSSL's error queue. */
int hx_cert_make(X509 **out, EVP_PKEY *key, const hx_cert_spec *spec, X509 *issuer, EVP_PKEY *issuer_key);

/* Makes a new ECDSA P-256 key and its certificate (hx_cert_make; issuer
 * NULL: self-signed with the new key) and writes <stem>.key, then
 * <stem>.crt, which thus marks a complete pair. */
int hx_keydir_make_pair(EVP_PKEY **key, X509 **cert, const hx_keydir *kd, const hx_cert_spec *spec,
			X509 *issuer, EVP_PKEY *issuer_key, hx_err *err);
/* Reads <stem>.crt, then <stem>.key, and checks that they belong
 * together. */
int hx_keydir_load_pair(EVP_PKEY **key, X509 **cert, const hx_keydir *kd, const char *stem, hx_err *err);

/* ---- RFC 3161 requests and responses (tsa.c) ---- */

/* The platform's request for a SHA-256 digest: version 1, a random 64-bit
 * nonce, certReq so the token carries the TSA certificate. NULL on
 * failure. */
TS_REQ *hx_tsa_digest_request(const unsigned char sha256[32]);
/* The PKIStatus of a response. */
long hx_tsa_resp_status(TS_RESP *r);

#endif
