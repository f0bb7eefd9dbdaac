/* tls.c: GnuTLS client sessions: credentials, priorities, the observed
 * handshake messages, and what was negotiated. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "engine.h"
#include "keysched.h"
#include "x509.h"

tlsdiag_err_t td_tls_cred_new(const tlsdiag_options_t *o,
                              gnutls_certificate_credentials_t *out,
                              int *roots) {
  gnutls_certificate_credentials_t cred;
  gnutls_x509_trust_list_t tl;
  int n = 0;
  *out = NULL;
  if (roots) *roots = 0;
  if (gnutls_certificate_allocate_credentials(&cred) < 0)
    return TLSDIAG_E_NOMEM;
  if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
    gnutls_certificate_free_credentials(cred);
    return TLSDIAG_E_NOMEM;
  }
  /* The verifier's loader (no duplicates, the distinct count), so a check
   * and tlsdiag verify read a store the same way. */
  tlsdiag_err_t err = td_trust_list_load(tl, o, &n, NULL, 0);
  if (err) {
    gnutls_x509_trust_list_deinit(tl, 1);
    gnutls_certificate_free_credentials(cred);
    return err;
  }
  gnutls_certificate_set_trust_list(cred, tl, 0); /* cred owns tl now */
  if (roots) *roots = n;
  /* Dates are judged against our own (possibly overridden) clock. */
  gnutls_certificate_set_verify_flags(
      cred, GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS);
  /* Every CertificateRequest is recorded; a client certificate, if the
   * check has one, is presented only then (clientcert.c). */
  td_clientcert_install(cred);
  *out = cred;
  return TLSDIAG_OK;
}

int td_tls_trust_record(tlsdiag_result_t *r, const tlsdiag_options_t *o,
                        int roots) {
  r->trust_roots = roots;
  if (o->cafile && o->capath) r->trust_kind = "cafile+capath";
  else if (o->cafile) r->trust_kind = "cafile";
  else if (o->capath) r->trust_kind = "capath";
  else r->trust_kind = "system";
  const char *source = o->trust_source ? o->trust_source
                       : o->cafile || o->capath ? "option"
                                                : "system";
  const char *sys = TD_SYSTEM_TRUST_FILE; /* CMake: read from libgnutls */
  const char *file = o->cafile ? o->cafile
                     : !o->capath && *sys ? sys
                                          : NULL;
  r->trust_source = td_strdup(source);
  r->trust_cafile = file ? td_strdup(file) : NULL;
  r->trust_capath = o->capath ? td_strdup(o->capath) : NULL;
  return !r->trust_source || (file && !r->trust_cafile) ||
                 (o->capath && !r->trust_capath)
             ? -1
             : 0;
}

char *td_tls_priority(tlsdiag_tls_version_t min, tlsdiag_tls_version_t max,
                      int broad) {
  td_buf_t b;
  td_buf_init(&b);
  /* GnuTLS still allows TLS 1.0 by default: enable exactly the range.
   * The groups in the order browsers offer them (Chrome, Firefox; curl
   * with OpenSSL too): X25519 first, so a server that follows the
   * client's order picks the group a browser gets (GnuTLS's own default
   * puts SECP256R1 first). The ciphers likewise in Chrome's order,
   * AES-128-GCM first (GnuTLS's puts AES-256 first, so a server that
   * follows the client chose TLS_AES_256_GCM_SHA384 where a browser gets
   * TLS_AES_128_GCM_SHA256). The same groups and ciphers as NORMAL. */
  td_buf_puts(&b, "NORMAL:-VERS-ALL:-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1"
                  ":+GROUP-SECP384R1:+GROUP-SECP521R1:+GROUP-X448"
                  ":+GROUP-FFDHE2048:+GROUP-FFDHE3072:+GROUP-FFDHE4096"
                  ":+GROUP-FFDHE6144:+GROUP-FFDHE8192"
                  ":-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305"
                  ":+AES-128-CCM:+AES-256-CCM:+AES-128-CBC:+AES-256-CBC");
  for (int v = (int)max; v >= (int)min; v--)
    td_buf_printf(&b, ":+VERS-%s", td_tls_version_name((tlsdiag_tls_version_t)v));
  if (broad)
    /* A probe asks "would the server talk at this version at all", so it
     * offers everything GnuTLS can do, legacy included. */
    td_buf_puts(&b, ":+CIPHER-ALL:+MAC-ALL:+KX-ALL:+SIGN-ALL:+GROUP-ALL"
                    ":+CAMELLIA-128-GCM:+CAMELLIA-256-GCM:+CAMELLIA-128-CBC"
                    ":+CAMELLIA-256-CBC:+3DES-CBC"
                    ":+ARCFOUR-128:+SHA1:+MD5:%COMPAT");
  return td_buf_steal(&b, NULL);
}

static int hook_cb(gnutls_session_t s, unsigned htype, unsigned when,
                   unsigned incoming, const gnutls_datum_t *msg) {
  td_tls_hook_t *h = gnutls_session_get_ptr(s);
  if (!h || !h->r) return 0;
  /* Each message once, after GnuTLS took it, except a NewSessionTicket:
   * GnuTLS consumes a TLS 1.3 one before its POST hook (which then sees
   * a 2-byte stub), so that one is taken whole, before. */
  int nst = htype == GNUTLS_HANDSHAKE_NEW_SESSION_TICKET;
  if ((when == GNUTLS_HOOK_PRE) != nst) return 0;
  const char *name =
      gnutls_handshake_description_get_name((gnutls_handshake_description_t)htype);
  if (msg) td_anatomy_message(h->r, htype, (int)incoming, msg->data, msg->size);
  if (msg && incoming && htype == GNUTLS_HANDSHAKE_CERTIFICATE_PKT)
    h->r->tls_cert_msg_bytes = msg->size;
  double t = (double)(td_mono_us() - h->t0) / 1000.0;
  if (!name) name = "handshake message";
  /* "CLIENT HELLO" -> "ClientHello", the names RFC 8446 uses. */
  char nice[64];
  size_t j = 0;
  int up = 1;
  for (const char *p = name; *p && j + 1 < sizeof(nice); p++) {
    if (*p == ' ' || *p == '_') {
      up = 1;
      continue;
    }
    nice[j++] = up ? *p : (char)tolower((unsigned char)*p);
    up = 0;
  }
  nice[j] = '\0';
  td_result_event(h->r, t, incoming ? TD_DIR_S2C : TD_DIR_C2S, nice,
                  "%u bytes", msg ? msg->size : 0);
  return 0;
}

/* The key log: every secret's label and length is recorded for the key
 * schedule report; the secret itself only goes to the file the user asked
 * for, one write() per line so concurrent checks don't interleave. */
static int keylog_cb(gnutls_session_t s, const char *label,
                     const gnutls_datum_t *secret) {
  td_tls_hook_t *h = gnutls_session_get_ptr(s);
  if (!h || !h->r || !label || !secret) return 0;
  td_anatomy_t *a = &h->r->anat;
  if (a->nsecrets < sizeof(a->secrets) / sizeof(a->secrets[0])) {
    td_secret_seen_t *x = &a->secrets[a->nsecrets++];
    snprintf(x->label, sizeof(x->label), "%s", label);
    x->bytes = secret->size;
    x->t_ms = (double)(td_mono_us() - h->t0) / 1000.0;
    x->resumed_conn = a->parsing;
  }
  td_ks_capture_secret(h->cap, label, secret->data, secret->size);
  if (h->keylog_fd < 0 || secret->size > 128) return 0;
  gnutls_datum_t cr, sr;
  gnutls_session_get_random(s, &cr, &sr);
  char line[64 + 2 * 32 + 2 * 128 + 4];
  static const char hex[] = "0123456789abcdef";
  size_t n = (size_t)snprintf(line, sizeof(line), "%s ", label);
  for (unsigned i = 0; i < cr.size && n + 3 < sizeof(line); i++) {
    line[n++] = hex[cr.data[i] >> 4];
    line[n++] = hex[cr.data[i] & 15];
  }
  line[n++] = ' ';
  for (unsigned i = 0; i < secret->size && n + 3 < sizeof(line); i++) {
    line[n++] = hex[secret->data[i] >> 4];
    line[n++] = hex[secret->data[i] & 15];
  }
  line[n++] = '\n';
  ssize_t w = write(h->keylog_fd, line, n);
  (void)w; /* a key log is best effort, like curl's */
  gnutls_memset(line, 0, sizeof(line));
  return 0;
}

/* The transport when the records are captured: the bytes as they pass. */
static ssize_t cap_pull(gnutls_transport_ptr_t p, void *buf, size_t len) {
  td_tls_hook_t *h = p;
  ssize_t n = recv(h->fd, buf, len, 0);
  if (n > 0) td_ks_capture_bytes(h->cap, 1, buf, (size_t)n);
  return n;
}

/* A flight goes out in one sendmsg, as GnuTLS's own writev push does: a
 * server that answers its first record with an alert and a close must not
 * make a later record's write fail before that alert is read. */
static ssize_t cap_push(gnutls_transport_ptr_t p, const giovec_t *iov,
                        int iovcnt) {
  td_tls_hook_t *h = p;
  struct msghdr m;
  memset(&m, 0, sizeof(m));
  m.msg_iov = (struct iovec *)(uintptr_t)iov;
  m.msg_iovlen = (size_t)iovcnt;
  ssize_t n = sendmsg(h->fd, &m, MSG_NOSIGNAL);
  size_t left = n > 0 ? (size_t)n : 0;
  for (int i = 0; i < iovcnt && left; i++) {
    size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
    td_ks_capture_bytes(h->cap, 0, iov[i].iov_base, k);
    left -= k;
  }
  return n;
}

int td_tls_session_new(gnutls_certificate_credentials_t cred, int fd,
                       const char *sni, const char *priority,
                       gnutls_priority_t pc, td_tls_hook_t *hook,
                       unsigned init_flags, gnutls_session_t *out) {
  gnutls_session_t s;
  *out = NULL;
  /* GNUTLS_NO_SIGNAL: a server that refused us (a TLS 1.3 client
   * certificate refusal comes after our Finished) must not kill the
   * process with SIGPIPE when the request or close_notify is written. */
  int rc = gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL |
                               init_flags);
  if (rc < 0) return rc;
  const char *err = NULL;
  if ((rc = pc ? gnutls_priority_set(s, pc)
               : gnutls_priority_set_direct(s, priority, &err)) < 0)
    goto fail;
  if ((rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred)) < 0)
    goto fail;
  if (sni && *sni &&
      (rc = gnutls_server_name_set(s, GNUTLS_NAME_DNS, sni, strlen(sni))) < 0)
    goto fail;
  gnutls_ocsp_status_request_enable_client(s, NULL, 0, NULL);
  /* Read certificate lists up to TD_TLS_MAX_HANDSHAKE: their size is
   * judged by classify.c against what browsers accept. */
  gnutls_handshake_set_max_packet_length(s, TD_TLS_MAX_HANDSHAKE);
  gnutls_session_set_ptr(s, hook);
  if (hook) {
    gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_ANY,
                                       GNUTLS_HOOK_BOTH, hook_cb);
    gnutls_session_set_keylog_function(s, keylog_cb);
  }
  gnutls_transport_set_int(s, fd);
  if (hook && hook->cap) {
    hook->fd = fd;
    gnutls_transport_set_ptr(s, hook);
    gnutls_transport_set_pull_function(s, cap_pull);
    gnutls_transport_set_vec_push_function(s, cap_push);
  }
  *out = s;
  return 0;
fail:
  gnutls_deinit(s);
  return rc;
}

void td_tls_set_alpn(gnutls_session_t s, int h2) {
  /* Browsers' order: h2 first; the server chooses. Once per session:
   * GnuTLS 3.7 counts a second call's protocols on top of the first's
   * (an empty name goes out, and OpenSSL refuses the ClientHello). */
  gnutls_datum_t alpn[2] = {{(unsigned char *)"h2", 2},
                            {(unsigned char *)"http/1.1", 8}};
  gnutls_alpn_set_protocols(s, h2 ? alpn : alpn + 1, h2 ? 2 : 1, 0);
}

static void set_str(char **dst, const char *v) {
  free(*dst);
  *dst = v ? td_strdup(v) : NULL;
}

/* The chain as sent (at most 64 certificates); 1 if r has one. */
static int keep_peers(tlsdiag_result_t *r, gnutls_session_t s,
                      td_cert_cache_t *cc) {
  unsigned n = 0;
  const gnutls_datum_t *peers = gnutls_certificate_get_peers(s, &n);
  if (r->chain) return 1;
  if (!peers || n == 0) return 0;
  if (n > 64) n = 64; /* a 50-certificate chain is hostile enough */
  r->chain = calloc(n, sizeof(*r->chain));
  if (!r->chain) return 0;
  r->nchain = n;
  for (unsigned i = 0; i < n; i++)
    td_cert_cache_parse(cc, &r->chain[i], peers[i].data, peers[i].size);
  return 1;
}

void td_tls_collect(tlsdiag_result_t *r, gnutls_session_t s,
                    td_cert_cache_t *cc) {
  gnutls_protocol_t v = gnutls_protocol_get_version(s);
  set_str(&r->tls_version, gnutls_protocol_get_name(v));
  switch (v) {
  case GNUTLS_TLS1_0: r->tls_version_num = TLSDIAG_TLS1_0; break;
  case GNUTLS_TLS1_1: r->tls_version_num = TLSDIAG_TLS1_1; break;
  case GNUTLS_TLS1_2: r->tls_version_num = TLSDIAG_TLS1_2; break;
  case GNUTLS_TLS1_3: r->tls_version_num = TLSDIAG_TLS1_3; break;
  default: r->tls_version_num = 0; break;
  }
  set_str(&r->tls_cipher, gnutls_ciphersuite_get(s));
  gnutls_group_t g = gnutls_group_get(s);
  if (v == GNUTLS_TLS1_3) {
    /* TLS 1.3 separates key exchange from authentication; GnuTLS still
     * names a 1.2-style pair ("ECDHE-RSA"), which would mislead. */
    const char *gn = g ? gnutls_group_get_name(g) : NULL;
    set_str(&r->tls_kx, gn && strncmp(gn, "FFDHE", 5) == 0 ? "DHE" : "ECDHE");
  } else {
    set_str(&r->tls_kx, gnutls_kx_get_name(gnutls_kx_get(s)));
  }
  set_str(&r->tls_group, g ? gnutls_group_get_name(g) : NULL);
  gnutls_datum_t p;
  if (gnutls_alpn_get_selected_protocol(s, &p) == 0 && p.size < 256) {
    free(r->tls_alpn);
    r->tls_alpn = td_strndup((const char *)p.data, p.size);
  }
  /* What the key schedule is built from. */
  td_anatomy_t *a = &r->anat;
  gnutls_digest_algorithm_t prf = gnutls_prf_hash_get(s);
  free(a->prf_hash);
  a->prf_hash = td_strdup(gnutls_digest_get_name(prf));
  a->hash_bytes = gnutls_hash_get_len(prf);
  gnutls_cipher_algorithm_t ca = gnutls_cipher_get(s);
  a->key_bytes = (unsigned)gnutls_cipher_get_key_size(ca);
  a->iv_bytes = (unsigned)gnutls_cipher_get_iv_size(ca);
  a->mac_key_bytes = (unsigned)gnutls_mac_get_key_size(gnutls_mac_get(s));
  a->ems = (gnutls_session_get_flags(s) & GNUTLS_SFLAGS_EXT_MASTER_SECRET) != 0;
  int sig = gnutls_sign_algorithm_get(s);
  set_str(&r->tls_sig_alg,
          sig > 0 ? gnutls_sign_get_name((gnutls_sign_algorithm_t)sig) : NULL);
  gnutls_datum_t oc;
  r->ocsp_stapled = gnutls_ocsp_status_request_get(s, &oc) == 0;
  r->resumed = gnutls_session_is_resumed(s) != 0;
  r->session_ticket = (gnutls_session_get_flags(s) & GNUTLS_SFLAGS_SESSION_TICKET) != 0;

  keep_peers(r, s, cc);
}

/* Errors GnuTLS raises about the server's certificate after it arrived
 * (it checks the key usage against the key exchange even without
 * auto-verify). */
static int cert_refused(int err) {
  switch (err) {
  case GNUTLS_E_KEY_USAGE_VIOLATION:
  case GNUTLS_E_CERTIFICATE_ERROR:
  case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
  case GNUTLS_E_X509_UNSUPPORTED_CRITICAL_EXTENSION:
    return 1;
  }
  return 0;
}

int td_tls_keep_refused_chain(tlsdiag_result_t *r, gnutls_session_t s,
                              int err) {
  if (!s || !cert_refused(err) || !keep_peers(r, s, NULL)) return 0;
  r->tls_cert_rejected = 1;
  /* The suite was chosen in the ServerHello: what the key must do. */
  gnutls_kx_algorithm_t kx = gnutls_kx_get(s);
  if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3)
    set_str(&r->tls_kx, "ECDHE"); /* 1.3: the key always signs */
  else if (kx)
    set_str(&r->tls_kx, gnutls_kx_get_name(kx));
  gnutls_x509_crt_t leaf;
  if (gnutls_x509_crt_init(&leaf) < 0) return 1;
  gnutls_datum_t d = {r->chain[0].der, (unsigned)r->chain[0].der_len};
  unsigned ku = 0, crit = 0;
  if (gnutls_x509_crt_import(leaf, &d, GNUTLS_X509_FMT_DER) == 0 &&
      gnutls_x509_crt_get_key_usage(leaf, &ku, &crit) >= 0)
    r->tls_leaf_ku = (int)ku;
  gnutls_x509_crt_deinit(leaf);
  return 1;
}

static ssize_t peek_pull(gnutls_transport_ptr_t p, void *buf, size_t len) {
  td_tls_peek_t *pk = p;
  ssize_t n = recv(pk->fd, buf, len, 0);
  if (n > 0) td_ks_capture_bytes(pk->cap, 1, buf, (size_t)n);
  if (n > 0 && pk->seen < sizeof(pk->hdr)) {
    size_t k = sizeof(pk->hdr) - pk->seen;
    if (k > (size_t)n) k = (size_t)n;
    memcpy(pk->hdr + pk->seen, buf, k);
    pk->seen += k;
  }
  return n;
}

void td_tls_peek_install(gnutls_session_t s, td_tls_peek_t *pk, int fd) {
  memset(pk, 0, sizeof(*pk));
  pk->fd = fd;
  const td_tls_hook_t *h = gnutls_session_get_ptr(s);
  pk->cap = h ? h->cap : NULL;
  /* Reads go through pk; writes keep what td_tls_session_new set. */
  gnutls_transport_ptr_t rp, sp;
  gnutls_transport_get_ptr2(s, &rp, &sp);
  gnutls_transport_set_ptr2(s, pk, sp);
  gnutls_transport_set_pull_function(s, peek_pull);
}

int td_tls_peek_type(const td_tls_peek_t *pk) {
  return pk->seen ? pk->hdr[0] : 0;
}

int td_tls_peek_hello_version(const td_tls_peek_t *pk) {
  /* type 22, version, length, then msg type 2, 3-byte length, version */
  if (pk->seen < 11 || pk->hdr[0] != 22 || pk->hdr[5] != 2) return 0;
  return pk->hdr[9] << 8 | pk->hdr[10];
}

int td_tls_peek_alert(const td_tls_peek_t *pk) {
  /* type 21, version, length 2, level, description */
  if (pk->seen < 7 || pk->hdr[0] != 21 || pk->hdr[3] != 0 || pk->hdr[4] != 2)
    return -1;
  return pk->hdr[6];
}

const char *td_tls_alert_name(int alert) {
  /* RFC 8446 names ("handshake_failure"), not GnuTLS's "GNUTLS_A_...". */
  static __thread char buf[64];
  const char *n = gnutls_alert_get_strname((gnutls_alert_description_t)alert);
  if (!n) return "unknown";
  if (strncmp(n, "GNUTLS_A_", 9) == 0) n += 9;
  size_t i = 0;
  for (; n[i] && i + 1 < sizeof(buf); i++)
    buf[i] = (char)tolower((unsigned char)n[i]);
  buf[i] = '\0';
  return buf;
}

void td_tls_record_error(tlsdiag_result_t *r, gnutls_session_t s, int err) {
  r->tls_error = err;
  set_str(&r->tls_error_name, gnutls_strerror_name(err));
  set_str(&r->tls_error_text, gnutls_strerror(err));
  if (s && (err == GNUTLS_E_FATAL_ALERT_RECEIVED ||
            err == GNUTLS_E_WARNING_ALERT_RECEIVED)) {
    gnutls_alert_description_t a = gnutls_alert_get(s);
    r->tls_alert_num = (int)a;
    set_str(&r->tls_alert, td_tls_alert_name((int)a));
  }
}
