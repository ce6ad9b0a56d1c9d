/* PAdES B-T signatures in PDF (ETSI EN 319 142-1), part of the trust
 * service (src/trust/trust.h includes this header). A signature is added
 * as an incremental update: the signed bytes before it stay untouched, so
 * the worker's signature still verifies after the enterprise signs. The
 * CMS (ETSI.CAdES.detached) is built here around a signature made
 * elsewhere — by the signer's browser (WebCrypto ECDSA P-256, raw r||s) or
 * by an enterprise seal key on the server (DER) — and carries the RFC 3161
 * timestamp token on that signature as the unsigned attribute
 * id-aa-signatureTimeStampToken.
 *
 * The steps of one signature:
 *   1. hx_pades_prepare: the incremental update with an empty /Contents,
 *      and the SHA-256 over its /ByteRange;
 *   2. hx_cms_signed_attrs: the DER SignedAttributes over that digest, the
 *      bytes the signer signs (ECDSA with SHA-256);
 *   3. hx_cms_check_signature: the signer's signature checked against the
 *      certificate before anything is kept;
 *   4. hx_cms_signature_digest → a timestamp on the signature value;
 *   5. hx_cms_assemble → hx_pades_embed: the CMS into /Contents.
 * hx_pades_verify checks every signature of a PDF without the store. */
#ifndef HX_PADES_H
#define HX_PADES_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>

#include "../core/err.h"

/* Room kept in /Contents for the CMS (bytes, written as 2x hex digits):
 * certificates, signature and a timestamp token with its certificate. */
#define HX_PADES_CMS_MAX 16384
/* Input cap: a contract PDF is ~100 KB. */
#define HX_PADES_PDF_MAX ((size_t)32 << 20)

typedef struct hx_pades_prep {
	unsigned char *pdf;   /* the document with the update appended (malloc'd) */
	size_t len;
	size_t contents_off;  /* offset of the first hex digit inside <…> */
	size_t contents_len;  /* number of hex digits (2 * HX_PADES_CMS_MAX) */
	unsigned char digest[32]; /* SHA-256 over the two /ByteRange parts */
} hx_pades_prep;

/* Appends to pdf (a complete PDF with a classic xref table or an earlier
 * incremental update of this module) an incremental update holding: a
 * signature field named field_name (unique among the document's fields:
 * HX_ECONFLICT "field_exists" otherwise) with an invisible widget on the
 * first page, the /AcroForm with /SigFlags 3, and the signature dictionary
 * (/Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached
 * /ByteRange /Contents /M from signing_time "YYYY-MM-DDTHH:MM:SSZ", /Name
 * signer_name and /Reason reason as UTF-16BE text strings). HX_EINVAL
 * "bad_pdf" when pdf cannot be parsed, HX_ETOOBIG over HX_PADES_PDF_MAX. */
int hx_pades_prepare(hx_pades_prep *out, const unsigned char *pdf, size_t len, const char *field_name,
		     const char *signer_name, const char *reason, const char *signing_time, hx_err *err);
void hx_pades_prep_free(hx_pades_prep *p);

/* A signature's visible look (签章外观): an image drawn over rect on page
 * (0-based) — a seal, a handwritten name, with its date — so PDF readers
 * show the signature where the document says the party signs. */
typedef struct hx_pades_appearance {
	int page;
	double rect[4]; /* x0 y0 x1 y1 in the page's user space (points) */
	int width, height; /* of the image, at most 4096 each, 2048 * 2048 in all */
	/* its colour (DeviceRGB) and alpha (DeviceGray) planes, 8 bits,
	 * zlib-compressed as the PDF stores them (hx_pades_image_encode) */
	const unsigned char *rgb_z, *alpha_z;
	size_t rgb_zlen, alpha_zlen;
} hx_pades_appearance;

/* Compresses an image for hx_pades_appearance: rgba is width * height
 * pixels R G B A (not premultiplied), top row first. *rgb_z and *alpha_z
 * are malloc'd. The colour under fully transparent pixels is made the
 * same as its left neighbour's (it is never seen), which compresses the
 * colour plane of a seal or a signature to almost nothing. */
int hx_pades_image_encode(unsigned char **rgb_z, size_t *rgb_zlen, unsigned char **alpha_z, size_t *alpha_zlen,
			  const unsigned char *rgba, int width, int height, hx_err *err);

/* hx_pades_prepare with the widget made visible when ap is not NULL: its
 * /Rect is ap->rect on page ap->page (whose /Annots gets it), its normal
 * appearance (/AP /N) a form XObject painting the image (FlateDecode, the
 * alpha as /SMask). HX_EINVAL "bad_appearance" for a bad page number,
 * rectangle or image size; "bad_pdf" when the page does not exist. */
int hx_pades_prepare_visible(hx_pades_prep *out, const unsigned char *pdf, size_t len, const char *field_name,
			     const char *signer_name, const char *reason, const char *signing_time,
			     const hx_pades_appearance *ap, hx_err *err);
/* The same, with pdf_state (NULL: none) the SHA-256 state over the len
 * bytes of pdf, as the caller had it from reading them: the /ByteRange
 * digest goes on from it instead of hashing the document again. */
int hx_pades_prepare_hashed(hx_pades_prep *out, const unsigned char *pdf, size_t len, const EVP_MD_CTX *pdf_state,
			    const char *field_name, const char *signer_name, const char *reason, const char *signing_time,
			    const hx_pades_appearance *ap, hx_err *err);

/* The DER SignedAttributes (a SET OF Attribute, tag 0x31) for a document
 * digest: content-type id-data, message-digest, and ESS
 * signing-certificate-v2 naming cert_der by its SHA-256 (PAdES B-B; no
 * signing-time attribute: the time is /M and the timestamp). *out is
 * malloc'd. */
int hx_cms_signed_attrs(unsigned char **out, size_t *len, const unsigned char digest[32],
			const unsigned char *cert_der, size_t cert_len, hx_err *err);

/* 0 when sig is a valid ECDSA-with-SHA-256 signature over attrs by the key
 * of cert_der. sig may be raw r||s (64 bytes, as WebCrypto gives) or a DER
 * ECDSA-Sig-Value. HX_EINVAL "bad_signature" when not. */
int hx_cms_check_signature(const unsigned char *attrs, size_t attrs_len, const unsigned char *sig,
			   size_t sig_len, const unsigned char *cert_der, size_t cert_len, hx_err *err);

/* SHA-256 of the SignerInfo signature value as it will appear in the CMS
 * (the DER ECDSA-Sig-Value; raw r||s is converted first): the message
 * imprint of the signature timestamp (RFC 3161 Appendix A). */
int hx_cms_signature_digest(unsigned char out[32], const unsigned char *sig, size_t sig_len, hx_err *err);

/* The CMS ContentInfo(SignedData), DER, detached: version 1, digest
 * SHA-256, certificates cert_der then chain[0..nchain), one SignerInfo
 * (issuerAndSerialNumber of cert_der, the signed attributes attrs as
 * given, ecdsa-with-SHA256, the signature in DER form) with, when tst is
 * not NULL, the unsigned attribute id-aa-signatureTimeStampToken holding
 * the TimeStampToken tst. *out is malloc'd. */
int hx_cms_assemble(unsigned char **out, size_t *len, const unsigned char *attrs, size_t attrs_len,
		    const unsigned char *sig, size_t sig_len, const unsigned char *cert_der, size_t cert_len,
		    const unsigned char *const *chain, const size_t *chain_len, size_t nchain,
		    const unsigned char *tst, size_t tst_len, hx_err *err);

/* Writes the CMS as hex into the /Contents of p->pdf (the rest stays
 * zero). HX_ETOOBIG "cms_too_big" when it does not fit. */
int hx_pades_embed(hx_pades_prep *p, const unsigned char *cms, size_t cms_len, hx_err *err);

/* Checks every signature of a PDF: *out gets
 *   {"valid": bool,            every signature valid and nothing after the last
 *    "signatures": [{"field", "signer" (certificate CN), "issuer",
 *                    "serial" (hex), "signing_time" (/M),
 *                    "digest_ok", "signature_ok", "cert_trusted",
 *                    "timestamp": {"ok": bool, "time": "…Z"} | null,
 *                    "covers_whole": bool, "revision_end": offset,
 *                    "error": "…" (only when something failed)}],
 *    "modified_after_last": bool, "sha256": hex of the whole file}
 * cert_trusted means the chain ends in the root of ca_pem_path (the
 * certificates after the signer's in the CMS are the intermediates) and
 * the certificate was valid at the timestamp's time (or now without one);
 * revocation is the caller's. HX_EINVAL "bad_pdf" when pdf is no PDF;
 * a PDF without signatures is valid:false with an empty list. */
int hx_pades_verify(json_t **out, const unsigned char *pdf, size_t len, const char *ca_pem_path, hx_err *err);

#endif
