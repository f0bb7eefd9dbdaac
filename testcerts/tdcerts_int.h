/* tdcerts_int.h: pieces shared by the files of the test-certificate
 * generator (not used outside testcerts/). */
#ifndef TDCERTS_INT_H
#define TDCERTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>

/* ---- der.c: a minimal DER writer and reader ---------------------------- */

/* DER tags used here (single-byte tags only). */
#define TDC_DER_INTEGER 0x02
#define TDC_DER_BIT_STRING 0x03
#define TDC_DER_OCTET_STRING 0x04
#define TDC_DER_NULL 0x05
#define TDC_DER_OID 0x06
#define TDC_DER_ENUMERATED 0x0a
#define TDC_DER_GENERALIZED_TIME 0x18
#define TDC_DER_SEQUENCE 0x30
#define TDC_DER_CTX(n) (0x80 | (n))      /* [n] IMPLICIT, primitive */
#define TDC_DER_CTX_CONS(n) (0xa0 | (n)) /* [n] EXPLICIT or constructed */

/* Growable output buffer. Every writer is a no-op once `failed` is set, so
 * a whole structure can be written and checked once at the end. */
typedef struct tdc_der {
  unsigned char *data;
  size_t len;
  size_t cap;
  int failed; /* GNUTLS_E_MEMORY_ERROR or GNUTLS_E_INVALID_REQUEST; sticky */
} tdc_der_t;

void tdc_der_init(tdc_der_t *d);
void tdc_der_free(tdc_der_t *d);
/* Opens a constructed element (SEQUENCE, [n] EXPLICIT, ...). Everything
 * written until the matching tdc_der_end() becomes its content. Returns a
 * mark to pass to tdc_der_end(); marks nest. */
size_t tdc_der_begin(tdc_der_t *d, unsigned tag);
void tdc_der_end(tdc_der_t *d, size_t mark);
/* Appends bytes that are already DER. */
void tdc_der_raw(tdc_der_t *d, const void *p, size_t n);
/* Appends tag, length and n bytes of content. */
void tdc_der_tlv(tdc_der_t *d, unsigned tag, const void *p, size_t n);
/* INTEGER from a non-negative big-endian magnitude (leading zeros are
 * dropped and a 0x00 is added when the top bit is set). */
void tdc_der_uint(tdc_der_t *d, const unsigned char *be, size_t n);
/* Small non-negative INTEGER or ENUMERATED (tag chooses which). */
void tdc_der_small(tdc_der_t *d, unsigned tag, unsigned v);
/* OBJECT IDENTIFIER from dotted text ("1.3.6.1.5.5.7.48.1.1"). */
void tdc_der_oid(tdc_der_t *d, const char *dotted);
/* GeneralizedTime "YYYYMMDDHHMMSSZ" (years 0000..9999). */
void tdc_der_gtime(tdc_der_t *d, int64_t t);
/* BIT STRING with no unused bits. */
void tdc_der_bits(tdc_der_t *d, const void *p, size_t n);
void tdc_der_null(tdc_der_t *d);
/* Hands the bytes to the caller (malloc'd) and resets d. Returns 0, or the
 * sticky error (d is then freed and *out set to NULL). */
int tdc_der_steal(tdc_der_t *d, unsigned char **out, size_t *len);

/* Reads the element at p[0..n): its tag, content and whole size. Returns 0,
 * or -1 if it is truncated or uses a form DER does not allow here
 * (multi-byte tag, indefinite or over-long length). */
int tdc_der_read(const unsigned char *p, size_t n, unsigned *tag,
                 const unsigned char **content, size_t *clen, size_t *total);

/* ---- keys -------------------------------------------------------------- */
#define TDC_KEYID_LEN 20

/* RFC 5280 4.2.1.2 method (1) key identifier: SHA-1 of the BIT STRING
 * subjectPublicKey of pub (without tag, length and unused-bits octet).
 * It serves as SubjectKeyIdentifier and as the OCSP issuerKeyHash and
 * responder KeyHash. Returns 0 or a negative GnuTLS error. */
int tdc_pubkey_hash(gnutls_pubkey_t pub, unsigned char out[TDC_KEYID_LEN]);

/* ---- ocsp.c: RFC 6960 OCSP responses ----------------------------------- */
typedef enum {
  TDC_OCSP_GOOD = 0,
  TDC_OCSP_REVOKED = 1
} tdc_ocsp_status_t;

typedef struct tdc_ocsp_params {
  gnutls_x509_crt_t leaf; /* the certificate the response is about */
  /* SHA-1 of the leaf issuer's subjectPublicKey (CertID.issuerKeyHash) */
  const unsigned char *issuer_key_hash;
  /* SHA-1 of the responder's subjectPublicKey (ResponderID byKey) */
  const unsigned char *responder_key_hash;
  gnutls_privkey_t signer; /* signs ResponseData with SHA-256 */
  tdc_ocsp_status_t status;
  int64_t produced_at;
  int64_t this_update;
  int64_t next_update;
  int64_t revoked_at;     /* TDC_OCSP_REVOKED only */
  int revocation_reason;  /* CRLReason, or -1 for none */
} tdc_ocsp_params_t;

/* Builds a signed OCSPResponse (successful, id-pkix-ocsp-basic) with one
 * SingleResponse. On success *der (malloc'd) and *len are set and 0 is
 * returned; otherwise a negative GnuTLS error. */
int tdc_ocsp_build(const tdc_ocsp_params_t *p, unsigned char **der,
                   size_t *len);

#endif /* TDCERTS_INT_H */
