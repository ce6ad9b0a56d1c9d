/* The platform's certificate authority (数字证书), part of the trust
 * service (src/trust/trust.h includes this header): the root (ca.key,
 * ca.crt, made by hx_tsa_keys_make) issues an issuing CA (issuing.key,
 * issuing.crt), which issues the signers' certificates — for a key the
 * signer's browser made and keeps (WebCrypto, non-extractable) after the
 * identity check, or for an enterprise seal key kept encrypted on the
 * server. Revocation is a list the contract module keeps in the store; the
 * CRL is made from it here. */
#ifndef HX_CA_H
#define HX_CA_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

typedef struct hx_ca hx_ca;

/* Creates, when missing, under dir: the root and TSA (hx_tsa_keys_make)
 * and the issuing CA (issuing.key, issuing.crt: ECDSA P-256, CN
 * "Hexie 电子合同签名证书 CA", pathLen 0, keyCertSign + cRLSign, 10 years),
 * PEM, mode 0600. Existing files are kept. */
int hx_ca_keys_make(const char *dir, hx_err *err);

/* Loads the issuing key and both certificates; read-only afterwards,
 * shared by threads. */
int hx_ca_open(hx_ca **out, const char *dir, hx_err *err);
void hx_ca_free(hx_ca *ca);
/* DER of the issuing CA and of the root certificate (owned by ca). */
const unsigned char *hx_ca_issuing_der(const hx_ca *ca, size_t *len);
const unsigned char *hx_ca_root_der(const hx_ca *ca, size_t *len);
/* Path of the root certificate's PEM file (for verifiers). */
const char *hx_ca_root_path(const hx_ca *ca);

/* Issues an end-entity certificate for the EC P-256 public key spki (DER
 * SubjectPublicKeyInfo, as WebCrypto exports "spki"): subject CN=cn,
 * O=org when not NULL, serialNumber=subject_id (a pseudonymous id, never
 * an ID number); a random 16-byte serial (hex, lower case, into serial);
 * validity [not_before, not_after] (unix seconds); keyUsage critical
 * digitalSignature + nonRepudiation; basicConstraints CA:FALSE; subject
 * and authority key identifiers. *cert_der is malloc'd. HX_EINVAL
 * "bad_key" when spki is not an EC P-256 key. */
int hx_ca_issue(unsigned char **cert_der, size_t *len, char serial[33], const hx_ca *ca,
		const unsigned char *spki, size_t spki_len, const char *cn, const char *org,
		const char *subject_id, long long not_before, long long not_after, hx_err *err);

/* 0 when cert_der was issued by this CA and is valid at time at (unix
 * seconds). HX_EINVAL "cert_expired" (or not yet valid), "cert_untrusted"
 * (not ours / bad signature), "bad_cert" (unparsable). */
int hx_ca_check_cert(const hx_ca *ca, const unsigned char *cert_der, size_t len, long long at, hx_err *err);

/* Serial (hex, lower case), subject CN (UTF-8) and validity of a
 * certificate. Any out pointer may be NULL. */
int hx_cert_info(const unsigned char *cert_der, size_t len, char serial[33], char cn[256],
		 long long *not_before, long long *not_after, hx_err *err);

/* A CRL (DER, v2) signed by the issuing CA listing serials (hex) with
 * their revocation times, thisUpdate now, nextUpdate now + 1 day. */
int hx_ca_crl(unsigned char **der, size_t *len, const hx_ca *ca, const char *const *serials,
	      const long long *revoked_at, size_t n, long long now, hx_err *err);

/* 0 when sig (raw r||s of 64 bytes or DER) is an ECDSA-with-SHA-256
 * signature over data by the public key spki. HX_EINVAL "bad_signature"
 * / "bad_key". Proof of possession at enrolment uses it. */
int hx_ec_verify(const unsigned char *spki, size_t spki_len, const unsigned char *data, size_t n,
		 const unsigned char *sig, size_t sig_len, hx_err *err);

/* Enterprise seal keys (企业电子印章) kept on the server: a new EC P-256
 * key whose PKCS#8 PEM comes back sealed with key (AES-256-GCM, aad
 * "seal_key") in *sealed, its SPKI in *spki (malloc'd). */
int hx_seal_key_new(char **sealed, unsigned char **spki, size_t *spki_len, const uint8_t key[32], hx_err *err);
/* Signs data (ECDSA with SHA-256, DER signature into *sig, malloc'd) with
 * a sealed key. */
int hx_seal_key_sign(unsigned char **sig, size_t *sig_len, const char *sealed, const uint8_t key[32],
		     const unsigned char *data, size_t n, hx_err *err);

/* ---- an external time-stamping authority (RFC 3161 over HTTP) ----
 * Sends a TimeStampQuery for sha256 (nonce, certReq) to url with
 * Content-Type application/timestamp-query (libcurl, timeout_ms), checks
 * the response (status granted, nonce, imprint) and gives the token DER.
 * HX_EIO "tsa_unavailable" when the TSA cannot be reached or does not
 * answer in time, HX_EINVAL "tsa_rejected" when it refuses or answers
 * something wrong. */
int hx_tsa_client_stamp(unsigned char **token_der, size_t *len, const char *url,
			const unsigned char sha256[32], long timeout_ms, hx_err *err);

#endif
