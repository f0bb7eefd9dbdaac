/* classify.h: what the classify*.c files share: small helpers for
 * messages, and the steps one file hands to another (the handshake's
 * failure path reports the certificate the server sent). Private. */
#ifndef TD_CLASSIFY_H
#define TD_CLASSIFY_H

#include <stdio.h>

#include "internal.h"

static inline const char *name_of(const tlsdiag_result_t *r) {
  return r->host ? r->host : "";
}

static inline const char *cert_label(const td_cert_t *c) {
  return c->common_name ? c->common_name : (c->subject ? c->subject : "?");
}

static inline const char *tls_name(int v) {
  const char *n = td_tls_version_name((tlsdiag_tls_version_t)v);
  return n ? n : "?";
}

/* "200 days", "3 hours", "12 minutes", "40 s": for messages. */
static inline void duration_text(int64_t s, char out[32]) {
  if (s < 0) s = -s;
  if (s >= 2 * 86400) snprintf(out, 32, "%lld days", (long long)(s / 86400));
  else if (s >= 2 * 3600) snprintf(out, 32, "%lld hours", (long long)(s / 3600));
  else if (s >= 120) snprintf(out, 32, "%lld minutes", (long long)(s / 60));
  else snprintf(out, 32, "%lld s", (long long)s);
}

/* classify_cert.c: the certificate findings of a completed (or aborted,
 * with a chain) handshake. */
void td_classify_cert(tlsdiag_result_t *r);
/* classify_tls.c: a handshake that did not complete. */
void td_classify_tls_failure(tlsdiag_result_t *r);
/* classify_tls.c: the certificate message's size against what clients
 * accept; over_ours: even tlsdiag's own limit was exceeded. */
void td_classify_chain_size(tlsdiag_result_t *r, int over_ours);

#endif /* TD_CLASSIFY_H */
