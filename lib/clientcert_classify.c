/* clientcert_classify.c: what a server's CertificateRequest and its answer
 * mean: tls_client_cert_required (it asked, we had none, it refused) and
 * tls_client_cert_rejected (it refused the one we sent). Pure: reads what
 * clientcert.c, check.c and check_http.c recorded. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define BODY_LINE_MAX 200

void td_clientcert_seen_free(td_clientcert_seen_t *cc) {
  for (size_t i = 0; i < cc->nca_names; i++) free(cc->ca_names[i]);
  free(cc->subject);
  free(cc->issuer);
  free(cc->alert);
  free(cc->http_body);
  memset(cc, 0, sizeof(*cc));
}

/* A line that talks about certificates, HTML tags removed: nginx answers
 * "400 No required SSL certificate was sent" or "400 The SSL certificate
 * error" in its error page's title and body. */
void td_clientcert_http_body(tlsdiag_result_t *r, const char *body,
                             size_t n) {
  if (!r->cc.requested || r->cc.http_body || !body || n == 0 ||
      r->http_status < 400 || r->http_status > 499)
    return;
  if (n > 4096) n = 4096;
  char line[BODY_LINE_MAX + 1];
  size_t ln = 0;
  int in_tag = 0;
  for (size_t i = 0; i <= n; i++) {
    char ch = i < n ? body[i] : '\n';
    if (ch == '\n' || ch == '\r') {
      line[ln] = '\0';
      char *p = line;
      while (*p == ' ' || *p == '\t') p++;
      /* the status code nginx puts before the reason in its title */
      if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
          isdigit((unsigned char)p[2]) && p[3] == ' ')
        p += 4;
      size_t len = strlen(p);
      while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) p[--len] = '\0';
      int hit = 0;
      for (size_t k = 0; k + 11 <= len && !hit; k++)
        hit = strncasecmp(p + k, "certificate", 11) == 0;
      if (hit) {
        r->cc.http_body = td_text_safe_dup(p);
        return;
      }
      ln = 0;
      continue;
    }
    if (ch == '<') in_tag = 1;
    else if (ch == '>') in_tag = 0;
    else if (!in_tag && ln < BODY_LINE_MAX) line[ln++] = ch;
  }
  r->cc.http_body_other = 1;
}

/* Alerts with which a server refuses a missing or unacceptable client
 * certificate (RFC 8446 6.2, RFC 5246 7.2.2). */
static int cert_alert(int a) {
  switch (a) {
  case 40:  /* handshake_failure: TLS 1.2 servers without a certificate */
  case 42:  /* bad_certificate */
  case 43:  /* unsupported_certificate */
  case 44:  /* certificate_revoked */
  case 45:  /* certificate_expired */
  case 46:  /* certificate_unknown */
  case 48:  /* unknown_ca */
  case 49:  /* access_denied */
  case 116: /* certificate_required */
    return 1;
  }
  return 0;
}

typedef struct refusal {
  const char *alert; /* NULL: none */
  int alert_num;
  int http_status;   /* 0: not an HTTP refusal */
  int closed;        /* the server closed without a word */
  char text[160];    /* "alert certificate_required", "HTTP 400", ... */
} refusal_t;

static int is_closed_error(const char *name) {
  return name && (!strcmp(name, "GNUTLS_E_PREMATURE_TERMINATION") ||
                  !strcmp(name, "GNUTLS_E_PULL_ERROR") ||
                  !strcmp(name, "GNUTLS_E_PUSH_ERROR"));
}

/* How the server answered after asking: 1 if that was a refusal. Having
 * sent no certificate, any fatal alert that follows is taken as the
 * refusal (GnuTLS servers answer an empty Certificate in TLS 1.2 with
 * decode_error); having sent one, only the alerts about certificates. */
static int find_refusal(const tlsdiag_result_t *r, refusal_t *f) {
  const td_clientcert_seen_t *s = &r->cc;
  memset(f, 0, sizeof(*f));
  f->alert_num = -1;
  tlsdiag_status_t tls = r->phase[TLSDIAG_PHASE_TLS].status;
  tlsdiag_status_t http = r->phase[TLSDIAG_PHASE_HTTP].status;
  if (tls == TLSDIAG_STATUS_FAILED && r->tls_alert &&
      (!s->presented || cert_alert(r->tls_alert_num))) {
    f->alert = r->tls_alert;
    f->alert_num = r->tls_alert_num;
  } else if (tls == TLSDIAG_STATUS_OK && s->alert &&
             (!s->presented || cert_alert(s->alert_num))) {
    /* TLS 1.3: our Finished went first; the refusal came with the
     * server's first record after it. */
    f->alert = s->alert;
    f->alert_num = s->alert_num;
  } else if (tls == TLSDIAG_STATUS_OK && http == TLSDIAG_STATUS_OK &&
             (r->http_status == 400 || r->http_status == 495 ||
              r->http_status == 496) &&
             !s->http_body_other) {
    /* nginx finishes the handshake and refuses in HTTP (its 496 "no
     * certificate" and 495 "certificate error" go out as 400). A body
     * that does not speak of certificates is another problem; without
     * one (HEAD), the 400 right after the request is taken as the
     * refusal. */
    f->http_status = r->http_status;
  } else if ((tls == TLSDIAG_STATUS_FAILED && !r->tls_alert &&
              is_closed_error(r->tls_error_name)) ||
             (tls == TLSDIAG_STATUS_OK && http == TLSDIAG_STATUS_FAILED &&
              r->http_cause == TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED &&
              !s->alert && r->http_head_bytes == 0)) {
    f->closed = 1;
  } else {
    return 0;
  }
  if (f->alert)
    snprintf(f->text, sizeof(f->text), "alert %s", f->alert);
  else if (f->http_status)
    snprintf(f->text, sizeof(f->text), "HTTP %d%s%s%s", f->http_status,
             s->http_body ? " \"" : "", s->http_body ? s->http_body : "",
             s->http_body ? "\"" : "");
  else
    snprintf(f->text, sizeof(f->text), "connection closed without an alert");
  return 1;
}

static void refusal_evidence(td_finding_t *f, const tlsdiag_result_t *r,
                             const refusal_t *x) {
  td_ev_str(f, "refusal", x->text);
  if (x->alert) {
    td_ev_str(f, "alert", x->alert);
    td_ev_int(f, "alert_number", x->alert_num);
  }
  if (x->http_status) {
    td_ev_int(f, "http_status", x->http_status);
    if (r->cc.http_body) td_ev_str(f, "http_body", r->cc.http_body);
  }
  td_ev_bool(f, "certificate_request", 1);
  td_ev_list(f, "accepted_ca_names", (const char *const *)r->cc.ca_names,
             r->cc.nca_names);
  td_ev_int(f, "accepted_ca_names_total", (int64_t)r->cc.ca_names_total);
}

/* "CN=A, CN=B" or "any CA (the server named none)" */
static void ca_list_text(const td_clientcert_seen_t *s, td_buf_t *b) {
  if (s->nca_names == 0) {
    td_buf_puts(b, "any CA (the server named none)");
    return;
  }
  for (size_t i = 0; i < s->nca_names; i++) {
    if (i) td_buf_puts(b, "; ");
    td_buf_puts(b, s->ca_names[i]);
  }
  if (s->ca_names_total > s->nca_names)
    td_buf_printf(b, "; and %zu more", s->ca_names_total - s->nca_names);
}

void td_clientcert_classify(tlsdiag_result_t *r) {
  const td_clientcert_seen_t *s = &r->cc;
  refusal_t x;
  if (!s->requested || !find_refusal(r, &x)) return;
  td_buf_t b;
  td_buf_init(&b);
  ca_list_text(s, &b);
  char *cas = td_buf_steal(&b, NULL);
  td_finding_t *f;
  if (!s->presented) {
    f = td_finding_add(
        r, TLSDIAG_CAUSE_TLS_CLIENT_CERT_REQUIRED, TLSDIAG_SEVERITY_ERROR,
        "the server requires a client certificate: it asked for one and "
        "refused the connection without it (%s); it accepts certificates "
        "issued by: %s",
        x.text, cas ? cas : "?");
    refusal_evidence(f, r, &x);
    td_ev_bool(f, "client_cert_presented", 0);
    td_ev_str(f, "remedy",
              "present a client certificate issued by one of the accepted "
              "CAs: --cert FILE[:PASSWORD] --key FILE (PEM), or --cert "
              "FILE.p12[:PASSWORD]");
  } else {
    int expired = s->not_after && r->now > s->not_after;
    int not_yet = s->not_before && r->now < s->not_before;
    const char *why = expired ? "; it has expired"
                      : not_yet ? "; it is not yet valid"
                      : s->issuer_listed == 0
                          ? "; its issuer is not among the CAs the server "
                            "accepts"
                          : "";
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_CLIENT_CERT_REJECTED,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server rejected the client certificate \"%s\" "
                       "issued by \"%s\" (%s)%s; it accepts certificates "
                       "issued by: %s",
                       s->subject ? s->subject : "?",
                       s->issuer ? s->issuer : "?", x.text, why,
                       cas ? cas : "?");
    refusal_evidence(f, r, &x);
    td_ev_bool(f, "client_cert_presented", 1);
    td_ev_str(f, "client_cert_subject", s->subject);
    td_ev_str(f, "client_cert_issuer", s->issuer);
    td_ev_time(f, "client_cert_not_before", s->not_before);
    td_ev_time(f, "client_cert_not_after", s->not_after);
    td_ev_bool(f, "client_cert_expired", expired);
    if (s->issuer_listed >= 0)
      td_ev_bool(f, "issuer_accepted", s->issuer_listed);
    td_ev_str(f, "remedy",
              expired || not_yet
                  ? "renew the client certificate"
              : s->issuer_listed == 0
                  ? "present a client certificate issued by one of the "
                    "accepted CAs"
                  : "the issuer is accepted: ask the server's operator why "
                    "this certificate is refused (revoked, not authorised, "
                    "wrong key usage)");
  }
  free(cas);
}
