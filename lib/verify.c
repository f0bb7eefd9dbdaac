/* verify.c: peer chain verification after the handshake: trust, name and
 * the OCSP staple, as raw evidence. No policy: classify.c decides. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include "engine.h"

static int leaf_has_san(const td_cert_t *c) {
  for (size_t i = 0; i < c->nsans; i++)
    if (c->sans[i].type == TD_SAN_DNS || c->sans[i].type == TD_SAN_IP)
      return 1;
  return 0;
}

static int check_name(tlsdiag_result_t *r, gnutls_x509_crt_t leaf) {
  if (r->host_is_ip) {
    unsigned char ip[16];
    if (inet_pton(AF_INET, r->ace_host, ip) == 1)
      return gnutls_x509_crt_check_ip(leaf, ip, 4, 0) != 0;
    if (inet_pton(AF_INET6, r->ace_host, ip) == 1)
      return gnutls_x509_crt_check_ip(leaf, ip, 16, 0) != 0;
    return 0;
  }
  /* Browsers ignore the CN entirely (Chrome since 58): no SAN, no match,
   * even though GnuTLS would fall back to the CN. */
  if (r->nchain == 0 || !leaf_has_san(&r->chain[0])) return 0;
  return gnutls_x509_crt_check_hostname2(leaf, r->ace_host, 0) != 0;
}

static void check_ocsp(tlsdiag_result_t *r, gnutls_session_t s,
                       gnutls_certificate_credentials_t cred,
                       gnutls_x509_crt_t leaf) {
  td_verify_t *v = &r->verify;
  gnutls_datum_t d;
  gnutls_ocsp_resp_t resp = NULL;
  gnutls_x509_crt_t issuer = NULL;
  if (gnutls_ocsp_status_request_get(s, &d) != 0) return; /* none */
  v->ocsp_status = 3;
  if (gnutls_ocsp_resp_init(&resp) < 0) return;
  if (gnutls_ocsp_resp_import(resp, &d) < 0) {
    v->ocsp_error = td_strdup("the stapled OCSP response does not parse");
    goto out;
  }
  if (gnutls_ocsp_resp_get_status(resp) != GNUTLS_OCSP_RESP_SUCCESSFUL) {
    v->ocsp_error = td_strdup("the stapled OCSP response is not 'successful'");
    goto out;
  }
  if (gnutls_ocsp_resp_check_crt(resp, 0, leaf) != 0) {
    v->ocsp_error = td_strdup("the stapled OCSP response is for another certificate");
    goto out;
  }
  /* The issuer: sent by the server, or found in the trust store. */
  if (r->nchain > 1 && gnutls_x509_crt_init(&issuer) == 0) {
    gnutls_datum_t id = {r->chain[1].der, (unsigned)r->chain[1].der_len};
    if (gnutls_x509_crt_import(issuer, &id, GNUTLS_X509_FMT_DER) < 0 ||
        !gnutls_x509_crt_check_issuer(leaf, issuer)) {
      gnutls_x509_crt_deinit(issuer);
      issuer = NULL;
    }
  }
  /* GET_COPY: we own (and free) the issuer either way. */
  if (!issuer &&
      gnutls_certificate_get_issuer(cred, leaf, &issuer, GNUTLS_TL_GET_COPY) < 0)
    issuer = NULL;
  if (!issuer) {
    v->ocsp_error = td_strdup("the issuer needed to check the OCSP response is unknown");
    goto out;
  }
  unsigned vs = 0;
  if (gnutls_ocsp_resp_verify_direct(resp, issuer, &vs, 0) < 0 || vs != 0) {
    v->ocsp_error = td_asprintf("the OCSP response signature does not verify (0x%x)", vs);
    goto out;
  }
  unsigned cert_status = 0, reason = 0;
  time_t this_u = 0, next_u = 0, rev = 0;
  if (gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL, NULL,
                                  &cert_status, &this_u, &next_u, &rev,
                                  &reason) < 0) {
    v->ocsp_error = td_strdup("the OCSP response has no single response");
    goto out;
  }
  v->ocsp_this_update = this_u;
  v->ocsp_next_update = next_u == (time_t)-1 ? 0 : next_u;
  v->ocsp_revoked_at = rev == (time_t)-1 ? 0 : rev;
  if (cert_status == GNUTLS_OCSP_CERT_GOOD) v->ocsp_status = 0;
  else if (cert_status == GNUTLS_OCSP_CERT_REVOKED) v->ocsp_status = 1;
  else v->ocsp_status = 2;
out:
  if (issuer) gnutls_x509_crt_deinit(issuer);
  gnutls_ocsp_resp_deinit(resp);
}

void td_verify_session(tlsdiag_result_t *r, gnutls_session_t s,
                       gnutls_certificate_credentials_t cred) {
  td_verify_t *v = &r->verify;
  gnutls_typed_vdata_st data[2];
  unsigned n = 0;
  memset(data, 0, sizeof(data));
  if (!r->host_is_ip && r->ace_host) {
    data[n].type = GNUTLS_DT_DNS_HOSTNAME;
    data[n].data = (unsigned char *)r->ace_host;
    n++;
  }
  data[n].type = GNUTLS_DT_KEY_PURPOSE_OID;
  data[n].data = (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER;
  n++;
  unsigned status = 0;
  int rc = gnutls_certificate_verify_peers(s, data, n, &status);
  v->done = 1;
  if (rc < 0) {
    v->status = GNUTLS_CERT_INVALID;
    v->status_text = td_strdup(gnutls_strerror(rc));
    return;
  }
  v->status = status;
  gnutls_datum_t out = {NULL, 0};
  if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                   &out, 0) == 0) {
    v->status_text = td_strndup((const char *)out.data, out.size);
    gnutls_free(out.data);
  }
  v->issuer_missing = (status & GNUTLS_CERT_SIGNER_NOT_FOUND) != 0;
  v->trusted = !(status & (GNUTLS_CERT_SIGNER_NOT_FOUND |
                           GNUTLS_CERT_SIGNER_NOT_CA |
                           GNUTLS_CERT_SIGNATURE_FAILURE));
  if (r->nchain > 0)
    v->chain_ends_in_root = r->chain[r->nchain - 1].self_signed;

  if (r->nchain == 0) return;
  gnutls_x509_crt_t leaf;
  if (gnutls_x509_crt_init(&leaf) < 0) return;
  gnutls_datum_t ld = {r->chain[0].der, (unsigned)r->chain[0].der_len};
  if (gnutls_x509_crt_import(leaf, &ld, GNUTLS_X509_FMT_DER) == 0) {
    v->name_ok = check_name(r, leaf);
    check_ocsp(r, s, cred, leaf);
  }
  gnutls_x509_crt_deinit(leaf);
}
