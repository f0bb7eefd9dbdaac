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

#include <gnutls/crypto.h>

#include "x509.h"

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

/* GnuTLS's status for the chain, without the name: remembered in x. */
static int chain_status(td_vctx_t *x, const td_vreq_t *q, size_t nder,
                        unsigned *status, char **text) {
  const char *kp = q->purpose == TLSDIAG_PURPOSE_CLIENT
                       ? GNUTLS_KP_TLS_WWW_CLIENT
                       : GNUTLS_KP_TLS_WWW_SERVER;
  unsigned char key[32];
  gnutls_hash_hd_t hh;
  if (gnutls_hash_init(&hh, GNUTLS_DIG_SHA256) < 0) return -1;
  gnutls_hash(hh, kp, strlen(kp) + 1);
  for (size_t i = 0; i < nder; i++) {
    td_vcert_t *c = td_vctx_get(x, q->chain[i].data, q->chain[i].size);
    if (!c) {
      gnutls_hash_deinit(hh, NULL);
      return -1;
    }
    gnutls_hash(hh, c->sha, 32);
  }
  gnutls_hash_deinit(hh, key);
  td_strict_slot_t *slot = td_vctx_strict_slot(x, key);
  if (slot && slot->used && !memcmp(slot->key, key, 32)) {
    *status = slot->status;
    return 0;
  }
  gnutls_x509_crt_t crts[TD_V_MAX_INPUT];
  unsigned n = 0;
  int rc = import_chain(q->chain, nder, crts, &n, text);
  if (rc == 0) {
    gnutls_typed_vdata_st vd;
    memset(&vd, 0, sizeof(vd));
    vd.type = GNUTLS_DT_KEY_PURPOSE_OID;
    vd.data = (unsigned char *)(uintptr_t)kp;
    int vrc = gnutls_x509_trust_list_verify_crt2(
        td_vctx_anchors(x), crts, n, &vd, 1,
        GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
            GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
        status, NULL);
    if (vrc < 0) {
      *text = td_asprintf("GnuTLS could not verify: %s", gnutls_strerror(vrc));
      rc = 1;
    } else if (slot) {
      memcpy(slot->key, key, 32);
      slot->used = 1;
      slot->status = *status;
    }
  }
  for (unsigned i = 0; i < n; i++) gnutls_x509_crt_deinit(crts[i]);
  return rc;
}

/* GnuTLS's own name check on the leaf (what verify_crt2 does with
 * GNUTLS_DT_DNS_HOSTNAME / GNUTLS_DT_IP_ADDRESS): 1 if it matches. */
static int name_matches(td_vctx_t *x, const td_vreq_t *q) {
  td_vcert_t *leaf = td_vctx_get(x, q->chain[0].data, q->chain[0].size);
  if (!leaf || !leaf->crt) return 0;
  if (q->name_is_ip) {
    unsigned char ip[16];
    int is6 = strchr(q->name, ':') != NULL;
    if (inet_pton(is6 ? AF_INET6 : AF_INET, q->name, ip) != 1) return 0;
    return gnutls_x509_crt_check_ip(leaf->crt, ip, is6 ? 16u : 4u, 0) != 0;
  }
  return gnutls_x509_crt_check_hostname2(leaf->crt, q->name, 0) != 0;
}

void td_strict_run(td_vctx_t *x, const td_vreq_t *q, td_verify_t *v) {
  size_t nder = q->nchain < TD_V_MAX_INPUT ? q->nchain : TD_V_MAX_INPUT;
  unsigned status = GNUTLS_CERT_INVALID;
  v->strict_done = 1;
  v->strict_ok = 0;
  v->strict_status = status;
  if (nder == 0) {
    v->strict_text = td_strdup("no certificate");
    return;
  }
  int rc = chain_status(x, q, nder, &status, &v->strict_text);
  if (rc != 0) {
    if (rc < 0 && !v->strict_text) v->strict_text = td_strdup("out of memory");
    return;
  }
  if (q->name && !name_matches(x, q))
    status |= GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER;
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
