/* verify.c: peer chain verification after the handshake: the chain goes
 * through the shared verifier (verifier.h; x509_*.c: path, trust, name,
 * Web PKI rules), then the OCSP staple is checked, as raw evidence. Dates,
 * trust, name and strength findings are classify.c's. */
#include <stdlib.h>
#include <string.h>

#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include "engine.h"
#include "verifier.h"

/* RFC 7633: a TLS feature extension listing status_request (5) makes a
 * staple mandatory; Firefox and GnuTLS clients refuse the connection
 * without one. Read by GnuTLS, not by our DER reader. */
static int leaf_must_staple(gnutls_x509_crt_t leaf) {
  gnutls_x509_tlsfeatures_t feat;
  if (gnutls_x509_tlsfeatures_init(&feat) < 0) return 0;
  int must = 0;
  if (gnutls_x509_crt_get_tlsfeatures(leaf, feat, 0, NULL) == 0) {
    unsigned f = 0;
    for (unsigned i = 0; gnutls_x509_tlsfeatures_get(feat, i, &f) == 0; i++)
      if (f == 5) must = 1; /* status_request, RFC 6066 */
  }
  gnutls_x509_tlsfeatures_deinit(feat);
  return must;
}

static void check_ocsp(tlsdiag_result_t *r, gnutls_session_t s,
                       gnutls_certificate_credentials_t cred,
                       gnutls_x509_crt_t leaf) {
  td_verify_t *v = &r->verify;
  gnutls_datum_t d;
  gnutls_ocsp_resp_t resp = NULL;
  gnutls_x509_crt_t issuer = NULL;
  v->must_staple = leaf_must_staple(leaf);
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
                       gnutls_certificate_credentials_t cred,
                       td_vctx_t *vctx) {
  td_verify_t *v = &r->verify;
  v->done = 1;
  /* The same verifier as `tlsdiag verify`, over the chain as sent and the
   * credentials' trust store (time checks are ours: r->now). */
  gnutls_x509_trust_list_t tl = NULL;
  gnutls_certificate_get_trust_list(cred, &tl);
  gnutls_datum_t peers[TD_V_MAX_INPUT];
  size_t n = r->nchain < TD_V_MAX_INPUT ? r->nchain : TD_V_MAX_INPUT;
  for (size_t i = 0; i < n; i++) {
    peers[i].data = r->chain[i].der;
    peers[i].size = (unsigned)r->chain[i].der_len;
  }
  td_vreq_t q;
  memset(&q, 0, sizeof(q));
  q.chain = peers;
  q.nchain = n;
  q.name = r->ace_host;
  q.name_is_ip = r->host_is_ip;
  q.now = r->now;
  q.purpose = TLSDIAG_PURPOSE_SERVER;
  q.max_depth = -1;
  td_vctx_t *ctx = vctx ? vctx : tl ? td_vctx_new(tl, 0) : NULL;
  if (!ctx || td_verifier_run(ctx, &q, r, 0) < 0) {
    if (!v->status) v->status = GNUTLS_CERT_INVALID;
    if (!v->status_text)
      v->status_text = td_strdup("the chain could not be verified (out of memory)");
  }
  if (ctx != vctx) td_vctx_free(ctx);

  if (r->nchain == 0) return;
  gnutls_x509_crt_t leaf;
  if (gnutls_x509_crt_init(&leaf) < 0) return;
  gnutls_datum_t ld = {r->chain[0].der, (unsigned)r->chain[0].der_len};
  if (gnutls_x509_crt_import(leaf, &ld, GNUTLS_X509_FMT_DER) == 0)
    check_ocsp(r, s, cred, leaf);
  gnutls_x509_crt_deinit(leaf);
}
