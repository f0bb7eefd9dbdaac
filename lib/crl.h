/* crl.h: certificate revocation lists (crl.c), read for the verifier's
 * revocation rule (x509_rules.c). crl.c needs GnuTLS and the DER reader
 * only, so the verifier uses it without a circle back. Not installed. */
#ifndef TD_CRL_H
#define TD_CRL_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

typedef struct td_crl td_crl_t;

/* Parses DER CRLs (unparsable ones are kept as "unusable" entries so a
 * broken CRL is reported, not silently ignored). NULL on out-of-memory
 * when n > 0; NULL with n == 0 is not an error. */
td_crl_t *td_crl_load(const gnutls_datum_t *crls, size_t n);
void td_crl_free(td_crl_t *c);

typedef enum {
  TD_CRL_NONE = 0,    /* no CRL from this issuer was given */
  TD_CRL_GOOD = 1,    /* a usable CRL from the issuer does not list it */
  TD_CRL_REVOKED = 2, /* listed */
  TD_CRL_UNUSABLE = 3 /* the issuer's CRL cannot be used (rule says why) */
} td_crl_status_t;

typedef struct td_crl_verdict {
  td_crl_status_t status;
  const char *rule;     /* static: "crl_signature", "crl_number", ... */
  const char *why;      /* static text for an unusable CRL */
  int64_t revoked_at;   /* for REVOKED; 0 if unknown */
  int64_t this_update;
  int64_t next_update;  /* 0 if absent */
} td_crl_verdict_t;

/* The revocation status of cert (DER serial as encoded, raw issuer DN)
 * according to the CRLs issued by issuer_crt, whose key usage (if
 * present: ku_present, ku) must allow cRLSign. */
void td_crl_check(const td_crl_t *c, gnutls_x509_crt_t cert,
                  gnutls_x509_crt_t issuer_crt, gnutls_pubkey_t issuer_pub,
                  int ku_present, unsigned ku, td_crl_verdict_t *out);
/* Number of CRLs loaded (0 for NULL). */
size_t td_crl_count(const td_crl_t *c);

#endif
