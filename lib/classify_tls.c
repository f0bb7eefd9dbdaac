/* classify_tls.c: a handshake that did not complete -> findings: the
 * alert or error, what the version probes observed, a certificate GnuTLS
 * refused mid-handshake, a certificate message too large. Pure, as
 * classify.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <gnutls/gnutls.h>

#include "classify.h"
#include "hsts.h"
#include "internal.h"

/* ---- the handshake ------------------------------------------------------ */

static void probe_lists(const tlsdiag_result_t *r, td_buf_t *acc,
                        td_buf_t *allowed, int *any_allowed_accepted,
                        int *any_accepted) {
  *any_allowed_accepted = *any_accepted = 0;
  for (int i = 3; i >= 0; i--) {
    const td_probe_t *p = &r->probes[i];
    int v = TLSDIAG_TLS1_0 + i;
    if (p->ran && p->accepted) {
      if (acc->len) td_buf_puts(acc, ", ");
      td_buf_puts(acc, tls_name(v));
      *any_accepted = 1;
      if (v >= (int)r->tls_min && v <= (int)r->tls_max)
        *any_allowed_accepted = 1;
    }
  }
  for (int v = (int)r->tls_max; v >= (int)r->tls_min; v--) {
    if (allowed->len) td_buf_puts(allowed, ", ");
    td_buf_puts(allowed, tls_name(v));
  }
}

static int is_protocol_garbage(int err) {
  return err == GNUTLS_E_UNEXPECTED_PACKET_LENGTH ||
         err == GNUTLS_E_UNEXPECTED_PACKET ||
         err == GNUTLS_E_UNSUPPORTED_VERSION_PACKET ||
         err == GNUTLS_E_DECRYPTION_FAILED || err == GNUTLS_E_RECORD_OVERFLOW ||
         err == GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET;
}

/* The server's first record was a TLS record (change_cipher_spec, alert,
 * handshake): it speaks TLS, whatever GnuTLS made of it. */
static int is_tls_record(const tlsdiag_result_t *r) {
  return r->tls_first_record >= 20 && r->tls_first_record <= 22;
}

static void tls_error_evidence(td_finding_t *f, const tlsdiag_result_t *r) {
  if (r->tls_alert) {
    td_ev_str(f, "alert", r->tls_alert);
    td_ev_int(f, "alert_number", r->tls_alert_num);
  }
  if (r->tls_error_name) td_ev_str(f, "gnutls_error", r->tls_error_name);
  if (r->tls_error_text) td_ev_str(f, "error", r->tls_error_text);
}

/* Per version, newest first, what the probe observed: "TLS1.2:
 * accepted", "TLS1.3: alert protocol_version", "TLS1.1: not probed (the
 * check's time ran out)". out[i] must hold 160 bytes. */
static size_t probe_outcomes(const tlsdiag_result_t *r, char out[4][160],
                             const char *ptr[4]) {
  size_t n = 0;
  for (int i = 3; i >= 0; i--) {
    const td_probe_t *p = &r->probes[i];
    const char *v = tls_name(TLSDIAG_TLS1_0 + i);
    if (p->ran && p->accepted) snprintf(out[n], 160, "%s: accepted", v);
    else if (p->ran)
      snprintf(out[n], 160, "%s: %s", v, p->error ? p->error : "refused");
    else
      snprintf(out[n], 160, "%s: not probed (%s)", v,
               p->error ? p->error : "not reached");
    ptr[n] = out[n];
    n++;
  }
  return n;
}

static int probes_ran(const tlsdiag_result_t *r) {
  int n = 0;
  for (int i = 0; i < 4; i++) n += r->probes[i].ran != 0;
  return n;
}

/* "at every TLS version" only when every version was probed; else "at
 * TLS1.3, TLS1.2 (not probed: TLS1.1, TLS1.0)". */
static char *probe_where(const tlsdiag_result_t *r) {
  if (probes_ran(r) == 4) return td_strdup("at every TLS version");
  td_buf_t b, np;
  td_buf_init(&b);
  td_buf_init(&np);
  td_buf_puts(&b, "at ");
  int first = 1;
  for (int i = 3; i >= 0; i--) {
    const char *v = tls_name(TLSDIAG_TLS1_0 + i);
    if (r->probes[i].ran) {
      td_buf_printf(&b, "%s%s", first ? "" : ", ", v);
      first = 0;
    } else {
      td_buf_printf(&np, "%s%s", np.len ? ", " : "", v);
    }
  }
  char *nps = td_buf_steal(&np, NULL);
  td_buf_printf(&b, " (not probed: %s)", nps ? nps : "");
  free(nps);
  return td_buf_steal(&b, NULL);
}

/* The versions (probed, refused) at which the server sent `alert`, or any
 * alert but protocol_version when alert is -2. */
static char *versions_with_alert(const tlsdiag_result_t *r, int alert) {
  td_buf_t b;
  td_buf_init(&b);
  td_buf_puts(&b, "");
  for (int i = 3; i >= 0; i--) {
    const td_probe_t *p = &r->probes[i];
    int a = r->probe_alert[i];
    if (!p->ran || p->accepted || a < 0) continue;
    if (alert == -2 ? a == GNUTLS_A_PROTOCOL_VERSION : a != alert) continue;
    td_buf_printf(&b, "%s%s", b.len ? ", " : "", tls_name(TLSDIAG_TLS1_0 + i));
  }
  return td_buf_steal(&b, NULL);
}

static void classify_probed(tlsdiag_result_t *r, const char *where) {
  td_finding_t *f;
  td_buf_t acc, allowed;
  td_buf_init(&acc);
  td_buf_init(&allowed);
  int allowed_ok, any_ok;
  probe_lists(r, &acc, &allowed, &allowed_ok, &any_ok);
  char *accs = td_buf_steal(&acc, NULL), *alls = td_buf_steal(&allowed, NULL);
  /* What the refusals (probed, not accepted) said. */
  int nref = 0, nalert = 0, npv = 0, same = -1, mixed = 0;
  for (int i = 0; i < 4; i++) {
    const td_probe_t *p = &r->probes[i];
    if (!p->ran || p->accepted) continue;
    nref++;
    int a = r->probe_alert[i];
    if (a < 0) {
      mixed = 1;
      continue;
    }
    nalert++;
    if (a == GNUTLS_A_PROTOCOL_VERSION) npv++;
    if (same < 0) same = a;
    else if (same != a) mixed = 1;
  }
  char *at = probe_where(r);
  if (any_ok && !allowed_ok) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_VERSION_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "no common TLS version: server accepts {%s}; client "
                       "allows {%s}",
                       accs ? accs : "", alls ? alls : "");
  } else if (allowed_ok) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server speaks {%s} but accepts none of the "
                       "cipher suites, groups or signatures offered",
                       accs ? accs : "");
  } else if (npv > 0 && nalert > npv) {
    /* protocol_version at some versions, another refusal at others: the
     * others are versions it speaks, with nothing else in common. */
    char *pv = versions_with_alert(r, GNUTLS_A_PROTOCOL_VERSION);
    char *other = versions_with_alert(r, -2);
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server refuses {%s} with alert protocol_version "
                       "but {%s} with another alert: it speaks {%s} and "
                       "accepts none of the cipher suites, groups or "
                       "signatures offered",
                       pv ? pv : "", other ? other : "", other ? other : "");
    free(pv);
    free(other);
  } else if (nref > 0 && !mixed && npv == nref) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_VERSION_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server answered alert protocol_version %s; "
                       "client allows {%s}",
                       at ? at : "", alls ? alls : "");
  } else if (nref > 0 && !mixed && same >= 0) {
    const char *an = "?"; /* probe.c wrote "alert NAME" */
    for (int i = 0; i < 4; i++)
      if (r->probes[i].ran && r->probe_alert[i] == same && r->probes[i].error &&
          !strncmp(r->probes[i].error, "alert ", 6))
        an = r->probes[i].error + 6;
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server aborted the handshake with alert %s %s",
                       an, at ? at : "");
  } else if (nalert > 0) {
    char list[4][160];
    const char *ptr[4];
    size_t n = probe_outcomes(r, list, ptr);
    td_buf_t b;
    td_buf_init(&b);
    for (size_t i = 0; i < n; i++)
      td_buf_printf(&b, "%s%s", i ? "; " : "", ptr[i]);
    char *bs = td_buf_steal(&b, NULL);
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server refused every TLS version probed: %s",
                       bs ? bs : "");
    free(bs);
  } else if (is_protocol_garbage(r->tls_error) && !is_tls_record(r)) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s:%u does not answer in TLS %s (%s): is it plain "
                       "HTTP or another protocol?",
                       where, td_conn_port(r), at ? at : "",
                       r->tls_error_text ? r->tls_error_text : "");
  } else {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server closed the connection during the "
                       "handshake, %s (%s)",
                       at ? at : "",
                       r->tls_error_text ? r->tls_error_text : "");
  }
  const char *accepted[4];
  size_t na = 0;
  for (int i = 3; i >= 0; i--)
    if (r->probes[i].ran && r->probes[i].accepted)
      accepted[na++] = tls_name(TLSDIAG_TLS1_0 + i);
  td_ev_list(f, "server_accepts", accepted, na);
  const char *allow[4];
  size_t nl = 0;
  for (int v = (int)r->tls_max; v >= (int)r->tls_min && nl < 4; v--)
    allow[nl++] = tls_name(v);
  td_ev_list(f, "client_allows", allow, nl);
  char outs[4][160];
  const char *optr[4];
  size_t no = probe_outcomes(r, outs, optr);
  td_ev_list(f, "probes", optr, no);
  tls_error_evidence(f, r);
  free(at);
  free(accs);
  free(alls);
}


/* The server's certificate list against what clients accept: BoringSSL
 * (Chrome) and OpenSSL (curl) refuse a Certificate message larger than
 * their max_cert_list, 100 KiB by default (SSL_MAX_CERT_LIST_DEFAULT);
 * GnuTLS's default handshake limit is 128 KiB. `over_ours`: even our own
 * limit (r->tls_cert_msg_limit) was exceeded, so the size is unknown. */
#define CERT_LIST_MAX_BORINGSSL_OPENSSL (100 * 1024)
#define CERT_LIST_MAX_GNUTLS_DEFAULT (128 * 1024)
void td_classify_chain_size(tlsdiag_result_t *r, int over_ours) {
  size_t bytes = r->tls_cert_msg_bytes;
  if (!over_ours && bytes <= CERT_LIST_MAX_BORINGSSL_OPENSSL) return;
  const char *refuse[3] = {"Chrome (BoringSSL)", "curl and others (OpenSSL)",
                           "GnuTLS clients (default limit)"};
  size_t nrefuse = over_ours || bytes > CERT_LIST_MAX_GNUTLS_DEFAULT ? 3 : 2;
  td_finding_t *f;
  if (over_ours)
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_CHAIN_TOO_LARGE,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server's certificate message (a handshake "
                       "message after the ServerHello) is more than %zu "
                       "bytes; browsers refuse more than %u",
                       r->tls_cert_msg_limit,
                       (unsigned)CERT_LIST_MAX_BORINGSSL_OPENSSL);
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_CHAIN_TOO_LARGE,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server's certificate message is %zu bytes (%zu "
                       "certificate%s); Chrome and OpenSSL-based clients "
                       "refuse more than %u",
                       bytes, r->nchain, r->nchain == 1 ? "" : "s",
                       (unsigned)CERT_LIST_MAX_BORINGSSL_OPENSSL);
  if (over_ours) {
    td_ev_str(f, "bytes", "unknown");
    td_ev_int(f, "more_than_bytes", (int64_t)r->tls_cert_msg_limit);
    tls_error_evidence(f, r);
  } else {
    td_ev_int(f, "bytes", (int64_t)bytes);
    td_ev_int(f, "certificates", (int64_t)r->nchain);
  }
  td_ev_int(f, "limit", CERT_LIST_MAX_BORINGSSL_OPENSSL);
  td_ev_list(f, "refused_by", refuse, nrefuse);
}

/* GnuTLS received the chain and aborted the handshake over it (e.g. the
 * key usage does not allow the key exchange): the chain is judged like
 * any other, and the handshake error is kept as evidence. */
static void classify_refused_chain(tlsdiag_result_t *r) {
  size_t before = r->nfindings;
  td_classify_cert(r);
  int ku = r->tls_leaf_ku;
  if (r->tls_error == GNUTLS_E_KEY_USAGE_VIOLATION && ku >= 0) {
    /* RSA key transport encrypts with the key; every other exchange
     * (ECDHE, DHE, TLS 1.3) signs with it. */
    int rsa_kx = r->tls_kx && !strcmp(r->tls_kx, "RSA");
    unsigned need = rsa_kx ? GNUTLS_KEY_KEY_ENCIPHERMENT
                           : GNUTLS_KEY_DIGITAL_SIGNATURE;
    if (!((unsigned)ku & need)) {
      const td_cert_t *leaf = &r->chain[0];
      td_finding_t *f = td_finding_add(
          r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
          "the certificate for %s%s has a keyUsage that does not allow %s, "
          "which the %s key exchange needs; the handshake was aborted",
          cert_label(leaf), leaf->is_ca ? " is a CA certificate and" : "",
          rsa_kx ? "keyEncipherment" : "digitalSignature",
          r->tls_kx ? r->tls_kx : "negotiated");
      td_ev_str(f, "rule", "key_usage");
      td_ev_str(f, "subject", leaf->subject);
      td_ev_int(f, "key_usage", ku);
      td_ev_str(f, "key_usage_needed",
                rsa_kx ? "keyEncipherment" : "digitalSignature");
      td_ev_bool(f, "is_ca", leaf->is_ca);
      if (r->tls_kx) td_ev_str(f, "key_exchange", r->tls_kx);
    }
  }
  int any_error = 0;
  for (size_t i = before; i < r->nfindings; i++)
    any_error |= r->findings[i].severity == TLSDIAG_SEVERITY_ERROR;
  if (!any_error) {
    td_finding_add(r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
                   "the certificate was refused during the handshake: %s",
                   r->tls_error_text ? r->tls_error_text : "?");
  }
  /* The handshake failure, as evidence on each certificate finding. */
  for (size_t i = before; i < r->nfindings; i++) {
    td_finding_t *f = &r->findings[i];
    if (f->severity != TLSDIAG_SEVERITY_ERROR) continue;
    td_ev_str(f, "handshake", "aborted by the client over this chain");
    if (r->tls_error_name) td_ev_str(f, "handshake_error", r->tls_error_name);
    if (r->tls_error_text) td_ev_str(f, "handshake_error_text", r->tls_error_text);
  }
}

/* Alert unrecognized_name answers the SNI: the server (nginx's
 * ssl_reject_handshake, a CDN, a load balancer) has no site for the name.
 * The version probes see the same alert at every version, which read as
 * probes would say "no common cipher suite": the name is the cause. */
static void classify_unrecognized_name(tlsdiag_result_t *r, const char *where) {
  td_finding_t *f;
  if (r->sni && r->sni[0]) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s does not serve \"%s\": it answered the name "
                       "sent in SNI with alert unrecognized_name; check the "
                       "name, or the server's configuration for it "
                       "(server_name, certificate, virtual host)",
                       where, r->sni);
  } else {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s needs a name to choose its site and none was sent "
                       "(an IP address is never sent in SNI): it answered "
                       "with alert unrecognized_name; check it by name "
                       "(--resolve NAME:PORT:ADDRESS)",
                       where);
  }
  td_ev_str(f, "sni", r->sni ? r->sni : "");
  td_ev_str(f, "address", where);
  tls_error_evidence(f, r);
}

/* The server cut the handshake off without a word (RST or close) and
 * answered it in TLS after a PROXY protocol header (probe.c): the port is
 * a load balancer's backend listener (nginx `listen ... proxy_protocol`,
 * haproxy `accept-proxy`), not a TLS port for clients. Not the server's
 * TLS configuration, which "reset during the handshake" suggests. */
static void classify_proxy_protocol(tlsdiag_result_t *r, const char *where) {
  int reset = r->tls_sys_errno == ECONNRESET;
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR, TLSDIAG_SEVERITY_ERROR,
      "%s:%u expects a PROXY protocol header before TLS: it %s the "
      "connection on a plain ClientHello, and %s after a \"PROXY UNKNOWN\" "
      "header (a load balancer's backend port, as nginx's `listen ... "
      "proxy_protocol`): connect through the load balancer, or stop "
      "expecting the header on this listener",
      where, td_conn_port(r), reset ? "reset" : "closed",
      r->proxy_probe == 1 ? "completed the handshake"
                          : "answered with a ServerHello");
  td_ev_str(f, "address", where);
  td_ev_str(f, "proxy_protocol", "v1");
  td_ev_str(f, "without_header", reset ? "reset (ECONNRESET)" : "closed");
  td_ev_str(f, "with_header", r->proxy_probe == 1 ? "handshake completed"
                                                  : "ServerHello");
  tls_error_evidence(f, r);
}

void td_classify_tls_failure(tlsdiag_result_t *r) {
  td_finding_t *f;
  const char *where = r->connected_addr ? r->connected_addr : "?";
  if (r->phase[TLSDIAG_PHASE_TLS].status == TLSDIAG_STATUS_TIMEOUT) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_TIMEOUT, TLSDIAG_SEVERITY_ERROR,
                       "%s accepted TCP but did not complete the TLS handshake "
                       "in %.0f ms",
                       where, r->phase[TLSDIAG_PHASE_TLS].ms);
    td_ev_str(f, "address", where);
    td_ev_int(f, "ms", (int64_t)r->phase[TLSDIAG_PHASE_TLS].ms);
    return;
  }
  if (r->tls_cert_rejected && r->nchain > 0) {
    classify_refused_chain(r);
    return;
  }
  if (r->tls_error == GNUTLS_E_HANDSHAKE_TOO_LARGE) {
    td_classify_chain_size(r, 1);
    return;
  }
  if (r->tls_alert_num == GNUTLS_A_UNRECOGNIZED_NAME) {
    classify_unrecognized_name(r, where);
    return;
  }
  if (r->proxy_probe > 0) {
    classify_proxy_protocol(r, where);
    return;
  }
  if (r->probed && probes_ran(r) > 0) {
    classify_probed(r, where);
    return;
  }
  int err = r->tls_error;
  if (r->tls_alert) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server aborted the handshake with alert %s",
                       r->tls_alert);
  } else if (r->tls_first_hello_version >= 0x0301 &&
             r->tls_first_hello_version <= 0x0303 &&
             r->tls_first_hello_version - 0x0301 + TLSDIAG_TLS1_0 <
                 (int)r->tls_min) {
    /* Its ServerHello chose a version below what the client allows. */
    const char *chosen =
        tls_name(r->tls_first_hello_version - 0x0301 + TLSDIAG_TLS1_0);
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_VERSION_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server chose %s in its ServerHello; the client "
                       "allows %s at the lowest",
                       chosen, tls_name((int)r->tls_min));
    td_ev_str(f, "server_chose", chosen);
  } else if (is_protocol_garbage(err) && !is_tls_record(r)) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s:%u does not answer in TLS (%s): is it plain HTTP or "
                       "another protocol?",
                       where, td_conn_port(r),
                       r->tls_error_text ? r->tls_error_text : "");
  } else if (r->tls_sys_errno == ECONNRESET) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server reset the connection (RST) during the TLS "
                       "handshake");
    td_ev_str(f, "errno", "ECONNRESET");
  } else if (err == GNUTLS_E_PREMATURE_TERMINATION || err == GNUTLS_E_PULL_ERROR ||
             err == GNUTLS_E_PUSH_ERROR || err == GNUTLS_E_SESSION_EOF) {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED,
                       TLSDIAG_SEVERITY_ERROR,
                       "the server closed the connection during the TLS "
                       "handshake (%s)",
                       r->tls_error_text ? r->tls_error_text : "");
  } else {
    f = td_finding_add(r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE,
                       TLSDIAG_SEVERITY_ERROR, "the TLS handshake failed: %s",
                       r->tls_error_text ? r->tls_error_text : "unknown error");
  }
  td_ev_str(f, "address", where);
  tls_error_evidence(f, r);
}
