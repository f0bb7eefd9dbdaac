/* verify_strict.c: the second verdict on every chain. GnuTLS's own
 * verification (gnutls_x509_trust_list_verify_crt2) of the chain as sent,
 * with the trust list tlsdiag's verifier used, the name and the purpose:
 * what curl, wget and most agents conclude. Trust never rests on one
 * home-made parser: classify.c compares this verdict with tlsdiag's and
 * fails closed when only tlsdiag's accepts for a reason other than path
 * building. GnuTLS 3.7.9 cannot verify at a given time, so its time checks
 * are disabled and the dates are judged once, against r->now. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "verifier.h"

/* The chain as GnuTLS certificates; a certificate GnuTLS cannot import
 * is a rejection, named in text. n gets how many were imported. */
static int import_chain(const gnutls_datum_t *der, size_t nder,
                        gnutls_x509_crt_t *crts, unsigned *n, char **text) {
  *n = 0;
  for (size_t i = 0; i < nder; i++) {
    if (gnutls_x509_crt_init(&crts[i]) < 0) return -1;
    (*n)++;
    int rc = gnutls_x509_crt_import(crts[i], &der[i], GNUTLS_X509_FMT_DER);
    if (rc < 0) {
      *text = td_asprintf("GnuTLS cannot parse certificate %zu: %s", i + 1,
                          gnutls_strerror(rc));
      return 1;
    }
  }
  return 0;
}

void td_strict_run(gnutls_x509_trust_list_t tl, const td_vreq_t *q,
                   td_verify_t *v) {
  gnutls_x509_crt_t crts[TD_V_MAX_INPUT];
  unsigned n = 0;
  size_t nder = q->nchain < TD_V_MAX_INPUT ? q->nchain : TD_V_MAX_INPUT;
  v->strict_done = 1;
  v->strict_ok = 0;
  v->strict_status = GNUTLS_CERT_INVALID;
  if (nder == 0) {
    v->strict_text = td_strdup("no certificate");
    return;
  }
  int rc = import_chain(q->chain, nder, crts, &n, &v->strict_text);
  if (rc != 0) {
    if (rc < 0) v->strict_text = td_strdup("out of memory");
    goto out;
  }
  gnutls_typed_vdata_st vd[2];
  unsigned nvd = 0;
  unsigned char ip[16];
  memset(vd, 0, sizeof(vd));
  if (q->name && q->name_is_ip) {
    int is6 = strchr(q->name, ':') != NULL;
    if (inet_pton(is6 ? AF_INET6 : AF_INET, q->name, ip) == 1) {
      vd[nvd].type = GNUTLS_DT_IP_ADDRESS;
      vd[nvd].data = ip;
      vd[nvd].size = is6 ? 16u : 4u;
      nvd++;
    }
  } else if (q->name) {
    vd[nvd].type = GNUTLS_DT_DNS_HOSTNAME;
    vd[nvd].data = (unsigned char *)(uintptr_t)q->name;
    nvd++;
  }
  vd[nvd].type = GNUTLS_DT_KEY_PURPOSE_OID;
  vd[nvd].data = (unsigned char *)(uintptr_t)(
      q->purpose == TLSDIAG_PURPOSE_CLIENT ? GNUTLS_KP_TLS_WWW_CLIENT
                                           : GNUTLS_KP_TLS_WWW_SERVER);
  nvd++;
  unsigned status = 0;
  rc = gnutls_x509_trust_list_verify_crt2(
      tl, crts, n, vd, nvd,
      GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
          GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
      &status, NULL);
  if (rc < 0) {
    v->strict_text = td_asprintf("GnuTLS could not verify: %s",
                                 gnutls_strerror(rc));
    goto out;
  }
  v->strict_status = status;
  v->strict_ok = status == 0;
  if (status) {
    gnutls_datum_t txt = {NULL, 0};
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                     &txt, 0) == 0) {
      v->strict_text = td_strndup((const char *)txt.data, txt.size);
      gnutls_free(txt.data);
    }
  }
out:
  for (unsigned i = 0; i < n; i++) gnutls_x509_crt_deinit(crts[i]);
}

td_two_t td_two_verdicts(int browser_ok, int strict_ok,
                         unsigned strict_status) {
  if (browser_ok == strict_ok) return browser_ok ? TD_TWO_OK : TD_TWO_BOTH_FAIL;
  if (!browser_ok) return TD_TWO_STRICT_ONLY;
  /* Only "no issuer found" is a path-building difference; anything else
   * (a parse failure, a signature, a usage, the name) GnuTLS rejects for
   * a reason tlsdiag's verifier missed or decided otherwise. */
  unsigned path = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
  if (strict_status && (strict_status & ~path) == 0 &&
      (strict_status & GNUTLS_CERT_SIGNER_NOT_FOUND))
    return TD_TWO_BROWSER_ONLY;
  return TD_TWO_DISAGREE;
}
