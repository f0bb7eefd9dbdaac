/* clientcert.c: client certificates on the GnuTLS side: loading the one
 * the caller gave (PEM or PKCS#12), noticing a server's
 * CertificateRequest and the CA names it lists, presenting the
 * certificate only then, and the alert or HTTP answer that refused it.
 * What it all means is decided in clientcert_classify.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <gnutls/abstract.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>

#include "engine.h"

#define CA_NAME_MAX 256 /* bytes of one CA name kept (before escaping) */


void td_clientcert_free(td_clientcert_t *cc) {
  if (!cc) return;
  for (unsigned i = 0; i < cc->npcert; i++) gnutls_pcert_deinit(&cc->pcert[i]);
  free(cc->pcert);
  if (cc->key) gnutls_privkey_deinit(cc->key);
  free(cc->subject);
  free(cc->issuer);
  gnutls_free(cc->issuer_dn.data);
  free(cc);
}

/* PKCS#12 by name (curl's --cert-type P12 is implied by .p12/.pfx) or by
 * content: a file without a PEM block is taken as DER PKCS#12. */
static int is_pkcs12(const char *path) {
  size_t n = strlen(path);
  if (n > 4 && (strcasecmp(path + n - 4, ".p12") == 0 ||
                strcasecmp(path + n - 4, ".pfx") == 0))
    return 1;
  gnutls_datum_t d = {NULL, 0};
  if (gnutls_load_file(path, &d) < 0) return 0;
  int pem = 0;
  for (unsigned i = 0; i + 11 <= d.size && !pem; i++)
    pem = memcmp(d.data + i, "-----BEGIN ", 11) == 0;
  gnutls_free(d.data);
  return !pem;
}

static char *dn_text(gnutls_x509_crt_t crt, int issuer) {
  gnutls_datum_t d = {NULL, 0};
  int rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d, 0)
                  : gnutls_x509_crt_get_dn3(crt, &d, 0);
  if (rc < 0) return td_strdup("");
  char *s = td_strndup((const char *)d.data, d.size);
  gnutls_free(d.data);
  return s;
}

/* What GnuTLS said, in the words of the option that is wrong. */
static tlsdiag_err_t load_error(const tlsdiag_options_t *o, int rc, char *why,
                                size_t len) {
  const char *key = o->client_key ? o->client_key : o->client_cert;
  switch (rc) {
  case GNUTLS_E_DECRYPTION_FAILED:
  case GNUTLS_E_MAC_VERIFY_FAILED:
    return td_say(why, len, TLSDIAG_E_OPTIONS,
               "client certificate '%s': %s (wrong or missing password?)",
               o->client_cert, gnutls_strerror(rc));
  case GNUTLS_E_CERTIFICATE_KEY_MISMATCH:
    return td_say(why, len, TLSDIAG_E_OPTIONS,
               "client key '%s' does not match the certificate in '%s'", key,
               o->client_cert);
  case GNUTLS_E_MEMORY_ERROR:
    return td_say(why, len, TLSDIAG_E_NOMEM, "out of memory loading '%s'",
               o->client_cert);
  default:
    return td_say(why, len, TLSDIAG_E_OPTIONS,
               "client certificate '%s'%s%s%s cannot be loaded: %s",
               o->client_cert, o->client_key ? " with key '" : "",
               o->client_key ? o->client_key : "", o->client_key ? "'" : "",
               gnutls_strerror(rc));
  }
}

/* Copies what the credentials hold into cc: pcerts, the key, and the
 * leaf's names and dates. */
static int take_from_cred(gnutls_certificate_credentials_t cred,
                          td_clientcert_t *cc) {
  gnutls_x509_crt_t *crts = NULL;
  unsigned ncrts = 0;
  gnutls_x509_privkey_t xkey = NULL;
  int rc = gnutls_certificate_get_x509_crt(cred, 0, &crts, &ncrts);
  if (rc < 0) return rc;
  if (ncrts == 0) {
    rc = GNUTLS_E_NO_CERTIFICATE_FOUND;
    goto out;
  }
  if ((rc = gnutls_certificate_get_x509_key(cred, 0, &xkey)) < 0) goto out;
  cc->pcert = calloc(ncrts, sizeof(*cc->pcert));
  if (!cc->pcert) {
    rc = GNUTLS_E_MEMORY_ERROR;
    goto out;
  }
  unsigned n = ncrts;
  if ((rc = gnutls_pcert_import_x509_list(cc->pcert, crts, &n, 0)) < 0)
    goto out;
  cc->npcert = n;
  if ((rc = gnutls_privkey_init(&cc->key)) < 0 ||
      (rc = gnutls_privkey_import_x509(cc->key, xkey,
                                       GNUTLS_PRIVKEY_IMPORT_COPY)) < 0)
    goto out;
  cc->subject = dn_text(crts[0], 0);
  cc->issuer = dn_text(crts[0], 1);
  cc->not_before = (int64_t)gnutls_x509_crt_get_activation_time(crts[0]);
  cc->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crts[0]);
  rc = gnutls_x509_crt_get_raw_issuer_dn(crts[0], &cc->issuer_dn);
  if (rc >= 0 && (!cc->subject || !cc->issuer)) rc = GNUTLS_E_MEMORY_ERROR;
out:
  for (unsigned i = 0; i < ncrts; i++) gnutls_x509_crt_deinit(crts[i]);
  gnutls_free(crts);
  if (xkey) gnutls_x509_privkey_deinit(xkey);
  return rc < 0 ? rc : 0;
}

tlsdiag_err_t td_clientcert_load(const tlsdiag_options_t *o,
                                 td_clientcert_t **out, char *why,
                                 size_t len) {
  *out = NULL;
  if (!o->client_cert) {
    if (o->client_key)
      return td_say(why, len, TLSDIAG_E_OPTIONS,
                 "client key '%s' given without a client certificate",
                 o->client_key);
    if (o->client_cert_password)
      return td_say(why, len, TLSDIAG_E_OPTIONS,
                 "client certificate password given without a client "
                 "certificate");
    return TLSDIAG_OK;
  }
  const char *files[2] = {o->client_cert, o->client_key};
  for (int i = 0; i < 2; i++) {
    struct stat st;
    if (!files[i]) continue;
    if (stat(files[i], &st) != 0)
      return td_say(why, len, TLSDIAG_E_OPTIONS, "client %s '%s': %s",
                 i ? "key" : "certificate", files[i], strerror(errno));
    if (S_ISDIR(st.st_mode))
      return td_say(why, len, TLSDIAG_E_OPTIONS, "client %s '%s' is a directory",
                 i ? "key" : "certificate", files[i]);
  }
  int p12 = is_pkcs12(o->client_cert);
  if (p12 && o->client_key)
    return td_say(why, len, TLSDIAG_E_OPTIONS,
               "client certificate '%s' is PKCS#12, which holds its own key: "
               "leave the key option out",
               o->client_cert);
  gnutls_certificate_credentials_t tmp = NULL;
  if (gnutls_certificate_allocate_credentials(&tmp) < 0)
    return td_say(why, len, TLSDIAG_E_NOMEM, "out of memory");
  int rc;
  if (p12)
    rc = gnutls_certificate_set_x509_simple_pkcs12_file(
        tmp, o->client_cert, GNUTLS_X509_FMT_DER, o->client_cert_password);
  else
    rc = gnutls_certificate_set_x509_key_file2(
        tmp, o->client_cert, o->client_key ? o->client_key : o->client_cert,
        GNUTLS_X509_FMT_PEM, o->client_cert_password, 0);
  tlsdiag_err_t err = TLSDIAG_OK;
  td_clientcert_t *cc = NULL;
  if (rc < 0) {
    err = load_error(o, rc, why, len);
    goto out;
  }
  if (!(cc = calloc(1, sizeof(*cc)))) {
    err = td_say(why, len, TLSDIAG_E_NOMEM, "out of memory");
    goto out;
  }
  if ((rc = take_from_cred(tmp, cc)) < 0) {
    err = load_error(o, rc, why, len);
    goto out;
  }
  *out = cc;
  cc = NULL;
out:
  td_clientcert_free(cc);
  gnutls_certificate_free_credentials(tmp);
  return err;
}

/* ---- during the handshake ---------------------------------------------- */

static void record_request(tlsdiag_result_t *r, const gnutls_datum_t *ca,
                           int nca, const td_clientcert_t *cc) {
  td_clientcert_seen_t *s = &r->cc;
  if (s->requested) return; /* the first connection's request tells */
  s->requested = 1;
  s->ca_names_total = nca > 0 ? (size_t)nca : 0;
  s->issuer_listed = nca > 0 && cc ? 0 : -1;
  for (int i = 0; i < nca; i++) {
    if (cc && ca[i].size == cc->issuer_dn.size &&
        memcmp(ca[i].data, cc->issuer_dn.data, ca[i].size) == 0)
      s->issuer_listed = 1;
    if (s->nca_names >= TD_CC_MAX_CA_NAMES) continue;
    gnutls_datum_t str = {NULL, 0};
    if (gnutls_x509_rdn_get2(&ca[i], &str, 0) < 0) continue;
    size_t n = str.size > CA_NAME_MAX ? CA_NAME_MAX : str.size;
    char *raw = td_strndup((const char *)str.data, n);
    gnutls_free(str.data);
    char *safe = raw ? td_text_safe_dup(raw) : NULL;
    free(raw);
    if (safe) s->ca_names[s->nca_names++] = safe;
  }
  if (cc) {
    s->configured = 1;
    s->subject = td_strdup(cc->subject);
    s->issuer = td_strdup(cc->issuer);
    s->not_before = cc->not_before;
    s->not_after = cc->not_after;
  }
}

/* GnuTLS calls this only when the server sent a CertificateRequest. */
static int retrieve_cb(gnutls_session_t s, const gnutls_datum_t *req_ca_dn,
                       int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                       int pk_algos_length, gnutls_pcert_st **pcert,
                       unsigned int *pcert_length, gnutls_privkey_t *pkey) {
  (void)pk_algos;
  (void)pk_algos_length;
  *pcert = NULL;
  *pcert_length = 0;
  *pkey = NULL;
  const td_tls_hook_t *h = gnutls_session_get_ptr(s);
  if (!h) return 0; /* a version probe: no certificate, nothing recorded */
  const td_clientcert_t *cc = h->cc;
  if (h->r) {
    record_request(h->r, req_ca_dn, nreqs, cc);
    if (cc) h->r->cc.presented = 1;
    td_result_event(h->r, (double)(td_mono_us() - h->t0) / 1000.0,
                    TD_DIR_LOCAL, "client certificate asked for",
                    "%zu CA name%s; %s",
                    h->r->cc.ca_names_total,
                    h->r->cc.ca_names_total == 1 ? "" : "s",
                    cc ? "presenting ours" : "none to present");
  }
  if (cc) {
    /* Borrowed: retrieve_function2 does not free what it is given. */
    *pcert = cc->pcert;
    *pcert_length = cc->npcert;
    *pkey = cc->key;
  }
  return 0;
}

void td_clientcert_install(gnutls_certificate_credentials_t cred) {
  gnutls_certificate_set_retrieve_function2(cred, retrieve_cb);
}

void td_clientcert_note_alert(tlsdiag_result_t *r, gnutls_session_t s,
                              int err) {
  if (!s || r->cc.alert || err != GNUTLS_E_FATAL_ALERT_RECEIVED) return;
  int a = (int)gnutls_alert_get(s);
  r->cc.alert_num = a;
  r->cc.alert = td_strdup(td_tls_alert_name(a));
}
