/* classify.c: evidence -> findings + root cause. Pure: reads the facts
 * check.c recorded (phases, chain, verification bits, probes, HTTP Date)
 * and writes findings; no I/O, no clock (the result carries "now"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <gnutls/gnutls.h>

#include "hsts.h"
#include "internal.h"

#define WEAK_RSA_BITS 2048
#define WEAK_EC_BITS 256

static const char *name_of(const tlsdiag_result_t *r) {
  return r->host ? r->host : "";
}

static const char *cert_label(const td_cert_t *c) {
  return c->common_name ? c->common_name : (c->subject ? c->subject : "?");
}

static const char *tls_name(int v) {
  const char *n = td_tls_version_name((tlsdiag_tls_version_t)v);
  return n ? n : "?";
}

/* "200 days", "3 hours", "12 minutes", "40 s": for messages. */
static void duration_text(int64_t s, char out[32]) {
  if (s < 0) s = -s;
  if (s >= 2 * 86400) snprintf(out, 32, "%lld days", (long long)(s / 86400));
  else if (s >= 2 * 3600) snprintf(out, 32, "%lld hours", (long long)(s / 3600));
  else if (s >= 120) snprintf(out, 32, "%lld minutes", (long long)(s / 60));
  else snprintf(out, 32, "%lld s", (long long)s);
}

/* ---- before TLS --------------------------------------------------------- */

static void classify_dns(tlsdiag_result_t *r) {
  int st = r->dns_status;
  const char *err = r->dns_error ? r->dns_error : ares_strerror(st);
  td_finding_t *f;
  if (st == ARES_ENOTFOUND)
    f = td_finding_add(r, TLSDIAG_CAUSE_DNS_NXDOMAIN, TLSDIAG_SEVERITY_ERROR,
                       "%s does not exist in DNS (NXDOMAIN)", r->ace_host);
  else if (st == ARES_ENODATA)
    f = td_finding_add(r, TLSDIAG_CAUSE_DNS_NO_ADDRESS, TLSDIAG_SEVERITY_ERROR,
                       "%s exists but has no A or AAAA record", r->ace_host);
  else if (st == ARES_ETIMEOUT)
    f = td_finding_add(r, TLSDIAG_CAUSE_DNS_TIMEOUT, TLSDIAG_SEVERITY_ERROR,
                       "no DNS answer for %s in %.0f ms", r->ace_host,
                       r->phase[TLSDIAG_PHASE_DNS].ms);
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_DNS_FAILURE, TLSDIAG_SEVERITY_ERROR,
                       "DNS lookup of %s failed: %s", r->ace_host, err);
  td_ev_str(f, "name", r->ace_host);
  td_ev_str(f, "server", r->dns_server ? r->dns_server : "system resolver");
  td_ev_str(f, "resolver_error", err);
  td_ev_int(f, "resolver_status", st);
}

static void classify_tcp(tlsdiag_result_t *r) {
  if (r->naddrs == 0) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_DNS_NO_ADDRESS, TLSDIAG_SEVERITY_ERROR,
        "no address of %s to connect to (address family filter)", name_of(r));
    td_ev_str(f, "name", r->ace_host);
    return;
  }
  /* The run's max_time ran out between phases, before any address was
   * tried (check.c next_address): no phase's own timeout applies. */
  if (r->nattempts == 0 &&
      r->phase[TLSDIAG_PHASE_TCP].status == TLSDIAG_STATUS_TIMEOUT) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_TIMEOUT, TLSDIAG_SEVERITY_ERROR,
        "the check ran out of time (max_time) before connecting to %s",
        name_of(r));
    td_ev_str(f, "phase", tlsdiag_phase_name(TLSDIAG_PHASE_TCP));
    td_ev_int(f, "addresses_not_tried", (int64_t)r->naddrs);
    return;
  }
  /* Several addresses: the most telling failure wins; refused says a host
   * answered, unreachable says the network did, a timeout says nothing. */
  int refused = 0, unreach = 0, timeout = 0;
  const td_attempt_t *pick = NULL;
  for (size_t i = 0; i < r->nattempts; i++) {
    const td_attempt_t *a = &r->attempts[i];
    if (a->status == TLSDIAG_STATUS_TIMEOUT) timeout++;
    else if (a->err == ECONNREFUSED) refused++;
    else if (a->err == ENETUNREACH || a->err == EHOSTUNREACH) unreach++;
  }
  tlsdiag_cause_t code;
  const char *what;
  if (refused) {
    code = TLSDIAG_CAUSE_TCP_REFUSED;
    what = "refused the connection (nothing listens on the port)";
  } else if (unreach) {
    code = TLSDIAG_CAUSE_TCP_UNREACHABLE;
    what = "is unreachable (no route)";
  } else if (timeout) {
    code = TLSDIAG_CAUSE_TCP_TIMEOUT;
    what = "did not answer the TCP handshake in time (filtered or down)";
  } else {
    code = TLSDIAG_CAUSE_TCP_FAILURE;
    what = "could not be connected to";
  }
  for (size_t i = 0; i < r->nattempts && !pick; i++) {
    const td_attempt_t *a = &r->attempts[i];
    if ((code == TLSDIAG_CAUSE_TCP_REFUSED && a->err == ECONNREFUSED) ||
        (code == TLSDIAG_CAUSE_TCP_UNREACHABLE &&
         (a->err == ENETUNREACH || a->err == EHOSTUNREACH)) ||
        (code == TLSDIAG_CAUSE_TCP_TIMEOUT &&
         a->status == TLSDIAG_STATUS_TIMEOUT) ||
        code == TLSDIAG_CAUSE_TCP_FAILURE)
      pick = a;
  }
  td_finding_t *f;
  if (pick && strchr(pick->addr, ':'))
    f = td_finding_add(r, code, TLSDIAG_SEVERITY_ERROR, "[%s]:%u %s",
                       pick->addr, r->port, what);
  else
    f = td_finding_add(r, code, TLSDIAG_SEVERITY_ERROR, "%s:%u %s",
                       pick ? pick->addr : "?", r->port, what);
  if (pick) {
    td_ev_str(f, "address", pick->addr);
    td_ev_str(f, "error", pick->error ? pick->error : "");
    td_ev_int(f, "ms", (int64_t)pick->ms);
  }
  td_ev_int(f, "port", r->port);
  td_ev_int(f, "addresses_tried", (int64_t)r->nattempts);
}

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
                       where, r->port, at ? at : "",
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

static void classify_cert(tlsdiag_result_t *r);

/* The server's certificate list against what clients accept: BoringSSL
 * (Chrome) and OpenSSL (curl) refuse a Certificate message larger than
 * their max_cert_list, 100 KiB by default (SSL_MAX_CERT_LIST_DEFAULT);
 * GnuTLS's default handshake limit is 128 KiB. `over_ours`: even our own
 * limit (r->tls_cert_msg_limit) was exceeded, so the size is unknown. */
#define CERT_LIST_MAX_BORINGSSL_OPENSSL (100 * 1024)
#define CERT_LIST_MAX_GNUTLS_DEFAULT (128 * 1024)
static void classify_chain_size(tlsdiag_result_t *r, int over_ours) {
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
  classify_cert(r);
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

static void classify_tls_failure(tlsdiag_result_t *r) {
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
    classify_chain_size(r, 1);
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
                       where, r->port, r->tls_error_text ? r->tls_error_text : "");
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

/* ---- certificates -------------------------------------------------------- */

/* Would every certificate on the path be valid at time t? */
static int dates_ok_at(const tlsdiag_result_t *r, size_t n, int64_t t) {
  for (size_t i = 0; i < n; i++)
    if (t < r->chain[i].not_before || t > r->chain[i].not_after) return 0;
  return 1;
}

static void date_evidence(td_finding_t *f, const tlsdiag_result_t *r,
                          const td_cert_t *c, int64_t now) {
  td_ev_str(f, "subject", c->subject);
  td_ev_time(f, "not_before", c->not_before);
  td_ev_time(f, "not_after", c->not_after);
  td_ev_time(f, "now", now);
  /* whose time "now" is: the caller's question (options.now, --now) or
   * this machine's clock */
  td_ev_str(f, "clock", r->clock_overridden ? "override" : "local");
}

/* Returns the time to judge the OCSP staple's freshness by: the server's
 * when our clock was found wrong; under an override, the real clock (the
 * server staples what is fresh now, and will staple another by then);
 * else r->now.
 *
 * Two clocks, kept apart: certificate dates are judged at r->now, which is
 * the override when the caller gave one ("will this be valid then?") and
 * the real clock otherwise. Skew is always the real clock (recorded when
 * the response arrived) against the server's Date header; it can explain
 * a date error only when the dates were judged by that real clock. */
static int64_t classify_dates(tlsdiag_result_t *r, size_t plen) {
  int64_t now = r->now;
  int over = r->clock_overridden;
  int bad = !dates_ok_at(r, plen, now);
  int have_date = r->http_date > 0 && r->http_date_received > 0;
  int64_t offset = have_date ? r->http_date_received - r->http_date : 0;
  int64_t aoff = offset < 0 ? -offset : offset;
  int skewed = have_date && r->clock_skew_s > 0 && aoff > r->clock_skew_s;
  char at[32];
  td_time_iso(now, at);

  if (!over && bad && skewed && dates_ok_at(r, plen, r->http_date)) {
    /* The server's clock makes the chain valid: ours is the wrong one. */
    const td_cert_t *c = &r->chain[0];
    for (size_t i = 0; i < plen; i++)
      if (now < r->chain[i].not_before || now > r->chain[i].not_after) {
        c = &r->chain[i];
        break;
      }
    char dur[32];
    duration_text(aoff, dur);
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_ERROR,
        "the local clock is %s %s; by the server's clock the "
        "certificate is valid (by ours it is %s)",
        dur, offset > 0 ? "ahead" : "behind",
        now > c->not_after ? "expired" : "not yet valid");
    td_ev_time(f, "local_time", r->http_date_received);
    td_ev_time(f, "server_time", r->http_date);
    td_ev_int(f, "offset_s", offset);
    td_ev_int(f, "threshold_s", r->clock_skew_s);
    date_evidence(f, r, c, now);
    return r->http_date;
  }
  for (size_t i = 0; i < plen; i++) {
    const td_cert_t *c = &r->chain[i];
    const char *which = i == 0 ? "the certificate" : "the issuing certificate";
    td_finding_t *f = NULL;
    if (now > c->not_after) {
      int64_t d = -td_days_between(now, c->not_after);
      if (over)
        f = td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED,
                           TLSDIAG_SEVERITY_ERROR,
                           "at %s (the time asked about) %s for %s has "
                           "expired: it was valid until %s (%lld day%s "
                           "earlier)",
                           at, which, cert_label(c), c->not_after_iso,
                           (long long)d, d == 1 ? "" : "s");
      else if (d == 0)
        f = td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED,
                           TLSDIAG_SEVERITY_ERROR,
                           "%s for %s expired less than a day ago (%s)", which,
                           cert_label(c), c->not_after_iso);
      else
        f = td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED,
                           TLSDIAG_SEVERITY_ERROR,
                           "%s for %s expired %lld day%s ago (%s)", which,
                           cert_label(c), (long long)d, d == 1 ? "" : "s",
                           c->not_after_iso);
      td_ev_int(f, "days", -d);
    } else if (now < c->not_before) {
      /* "valid in N days" rounds up: 9.5 days away is "in 10 days" */
      int64_t d = (c->not_before - now + 86399) / 86400;
      if (over)
        f = td_finding_add(r, TLSDIAG_CAUSE_CERT_NOT_YET_VALID,
                           TLSDIAG_SEVERITY_ERROR,
                           "at %s (the time asked about) %s for %s is not "
                           "yet valid: it becomes valid at %s (%lld day%s "
                           "later)",
                           at, which, cert_label(c), c->not_before_iso,
                           (long long)d, d == 1 ? "" : "s");
      else
        f = td_finding_add(r, TLSDIAG_CAUSE_CERT_NOT_YET_VALID,
                           TLSDIAG_SEVERITY_ERROR,
                           "%s for %s is not valid until %s (in %lld day%s)",
                           which, cert_label(c), c->not_before_iso,
                           (long long)d, d == 1 ? "" : "s");
      td_ev_int(f, "days", d);
    }
    if (f) {
      date_evidence(f, r, c, now);
      td_ev_int(f, "chain_index", (int64_t)i);
      if (have_date) td_ev_time(f, "server_time", r->http_date);
    }
  }
  /* A skew the dates did not depend on: a warning about this machine's
   * clock. With an override the dates were judged at the time asked
   * about, so the skew is reported whatever they say. */
  if (skewed && (!bad || over)) {
    char dur[32];
    duration_text(aoff, dur);
    td_finding_t *f;
    if (over)
      f = td_finding_add(
          r, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_WARNING,
          "the local clock is %s %s of the server's (%lld s); certificate "
          "dates were judged at %s, the time asked about, not by it",
          dur, offset > 0 ? "ahead" : "behind", (long long)aoff, at);
    else
      f = td_finding_add(
          r, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_WARNING,
          "the local clock is %s %s of the server's (%lld s); dates still "
          "check out",
          dur, offset > 0 ? "ahead" : "behind", (long long)aoff);
    td_ev_time(f, "local_time", r->http_date_received);
    td_ev_time(f, "server_time", r->http_date);
    td_ev_int(f, "offset_s", offset);
    td_ev_int(f, "threshold_s", r->clock_skew_s);
  }
  if (!bad && plen > 0) {
    /* The soonest expiry on the path, not among extra certificates. */
    size_t soon = 0;
    for (size_t i = 1; i < plen; i++)
      if (r->chain[i].not_after < r->chain[soon].not_after) soon = i;
    const td_cert_t *c = &r->chain[soon];
    int64_t d = td_days_between(now, c->not_after);
    if (d < r->warn_days) {
      td_finding_t *f = td_finding_add(
          r, TLSDIAG_CAUSE_CERT_EXPIRES_SOON, TLSDIAG_SEVERITY_WARNING,
          "%s for %s expires in %lld day%s (%s)",
          soon == 0 ? "the certificate" : "the issuing certificate",
          cert_label(c), (long long)d, d == 1 ? "" : "s", c->not_after_iso);
      td_ev_str(f, "subject", c->subject);
      td_ev_time(f, "not_after", c->not_after);
      td_ev_int(f, "days_left", d);
      td_ev_int(f, "warn_days", r->warn_days);
      td_ev_int(f, "chain_index", (int64_t)soon);
    }
  }
  return over && r->started_wall ? r->started_wall : now;
}

/* The verifier (verifier.c) already reported a rule that failed: a finding
 * with the evidence "rule". Then a generic "does not verify" would only
 * repeat it. */
static int has_rule_finding(const tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nfindings; i++)
    if (td_ev_get(&r->findings[i], "rule")) return 1;
  return 0;
}

/* What the AIA fetch of the missing issuer showed (none when not tried). */
static void aia_evidence(td_finding_t *f, const tlsdiag_result_t *r,
                         const td_cert_t *top) {
  const td_aia_t *a = &r->aia;
  if (top->aia_ca_issuers)
    td_ev_str(f, "aia_ca_issuers", top->aia_ca_issuers);
  if (a->outcome == TD_AIA_NONE) return;
  td_ev_str(f, "aia_outcome", td_aia_outcome_name(a->outcome));
  if (!a->tried) return;
  td_ev_str(f, "aia_url", a->url);
  td_ev_int(f, "aia_status", a->status);
  td_ev_int(f, "aia_bytes", (int64_t)a->bytes);
  td_ev_int(f, "aia_ms", (int64_t)(a->ms + 0.5));
  td_ev_int(f, "aia_cached", a->cached);
  if (a->error) td_ev_str(f, "aia_error", a->error);
  if (a->issuer_subject) td_ev_str(f, "aia_issuer", a->issuer_subject);
}

/* A root whose private key is public anywhere in the chain (sent, or the
 * anchor the path ends in): anyone can mint certificates under it. */
static void classify_compromised(tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nchain; i++) {
    const td_cert_t *c = &r->chain[i];
    const td_bad_root_t *b =
        td_bad_root_match(c->spki_sha256, td_bad_roots, td_nbad_roots);
    if (!b) continue;
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, TLSDIAG_SEVERITY_ERROR,
        "the chain contains the %s root \"%s\", whose private key is "
        "public: anyone can issue certificates under it (interception "
        "software or a development tool installed it)",
        b->name, c->subject ? c->subject : "?");
    td_ev_str(f, "compromised_root", b->name);
    td_ev_str(f, "subject", c->subject);
    td_ev_str(f, "spki_sha256", c->spki_sha256);
    td_ev_int(f, "chain_index", (int64_t)i);
    td_ev_int(f, "trusted_locally", r->verify.trusted);
    td_ev_str(f, "remedy",
              "remove the root from the trust store and uninstall what "
              "added it");
    return;
  }
}

static void classify_trust(tlsdiag_result_t *r, size_t plen) {
  const td_verify_t *v = &r->verify;
  const td_cert_t *leaf = &r->chain[0];
  if (v->trusted) return;
  td_finding_t *f;
  if (leaf->self_signed && r->nchain >= 1) {
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_SELF_SIGNED, TLSDIAG_SEVERITY_ERROR,
                       "the certificate for %s is self-signed (its own issuer) "
                       "and not in the trust store",
                       cert_label(leaf));
    td_ev_str(f, "subject", leaf->subject);
    td_ev_str(f, "issuer", leaf->issuer);
    td_ev_str(f, "sha256_fingerprint", leaf->sha256);
  } else if (v->issuer_missing) {
    const td_cert_t *top = &r->chain[plen - 1];
    if (top->self_signed) {
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER,
                         TLSDIAG_SEVERITY_ERROR,
                         "the chain ends in the root \"%s\", which is not in "
                         "the trust store",
                         cert_label(top));
      td_ev_str(f, "root", top->subject);
    } else if (r->aia.outcome == TD_AIA_INTERMEDIATE) {
      /* Fetched by AIA: the issuer exists and chains to a trusted root,
       * so the server provably omits it. */
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_INCOMPLETE_CHAIN,
                         TLSDIAG_SEVERITY_ERROR,
                         "the server does not send the intermediate \"%s\" "
                         "that links %s to a trusted root (fetched from %s): "
                         "browsers that fetch AIA connect; curl, OpenSSL, "
                         "Java and most agents fail",
                         r->aia.issuer_subject ? r->aia.issuer_subject : "?",
                         cert_label(top), r->aia.url ? r->aia.url : "?");
      td_ev_str(f, "missing_issuer", top->issuer);
      td_ev_str(f, "add_to_chain", r->aia.issuer_subject);
      td_ev_str(f, "clients_that_connect", "browsers that fetch AIA");
      td_ev_str(f, "clients_that_fail",
                "curl, OpenSSL, Java, most agents (no AIA fetch)");
      aia_evidence(f, r, top);
    } else if (r->aia.outcome == TD_AIA_ROOT) {
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER,
                         TLSDIAG_SEVERITY_ERROR,
                         "%s was issued by the root \"%s\" (fetched from "
                         "%s), which is not in the trust store",
                         cert_label(top),
                         r->aia.issuer_subject ? r->aia.issuer_subject : "?",
                         r->aia.url ? r->aia.url : "?");
      td_ev_str(f, "root", r->aia.issuer_subject);
      td_ev_str(f, "remedy",
                "add the root to the client's trust store, or have the "
                "server use a certificate from a public CA");
      aia_evidence(f, r, top);
    } else if (!top->is_ca) {
      /* Only the leaf was sent and its issuer is unknown: from the wire a
       * missing intermediate and a private root look the same. */
      const char *x = top->issuer ? top->issuer : "?";
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER,
                         TLSDIAG_SEVERITY_ERROR,
                         "the server sent only its certificate; its issuer "
                         "\"%s\" is neither sent nor trusted: either the "
                         "server omits an intermediate, or \"%s\" is a root "
                         "your trust store lacks",
                         x, x);
      td_ev_str(f, "missing_issuer", top->issuer);
      td_ev_str(f, "remedy_server",
                "if the issuer is an intermediate: add it to the server's "
                "certificate chain");
      td_ev_str(f, "remedy_client",
                "if the issuer is a private root: add it to the client's "
                "trust store (--cacert), or use a certificate from a public "
                "CA");
      aia_evidence(f, r, top);
    } else {
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER,
                         TLSDIAG_SEVERITY_ERROR,
                         "the chain's issuer \"%s\" is not in the trust store",
                         top->issuer ? top->issuer : "?");
      td_ev_str(f, "missing_issuer", top->issuer);
      aia_evidence(f, r, top);
    }
    td_ev_int(f, "chain_length", (int64_t)r->nchain);
  } else if (has_rule_finding(r)) {
    return;
  } else if (r->nchain > 16) {
    /* GnuTLS refuses to verify more than 16 (DEFAULT_MAX_VERIFY_DEPTH) and
     * only says "Some constraint limits were reached." */
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
                       "the server sent %zu certificates; a chain longer "
                       "than 16 is not verified",
                       r->nchain);
    td_ev_int(f, "chain_length", (int64_t)r->nchain);
  } else {
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
                       "the chain does not verify: %s",
                       v->status_text ? v->status_text : "unknown reason");
  }
  td_ev_int(f, "verify_status", v->status);
  if (v->status_text) td_ev_str(f, "verify_text", v->status_text);
}

static void classify_name(tlsdiag_result_t *r) {
  if (r->verify.name_ok) return;
  const td_cert_t *leaf = &r->chain[0];
  const char *sans[64];
  size_t n = 0;
  for (size_t i = 0; i < leaf->nsans && n < 64; i++)
    if (leaf->sans[i].type != TD_SAN_OTHER) sans[n++] = leaf->sans[i].value;
  td_finding_t *f;
  if (n == 0)
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the certificate has no subjectAltName; browsers ignore "
                       "its CN \"%s\", so it is valid for no name",
                       leaf->common_name ? leaf->common_name : "");
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the certificate is not valid for %s; it covers %s%s",
                       name_of(r), sans[0], n > 1 ? " and others" : "");
  td_ev_str(f, "name", r->host);
  td_ev_str(f, "ace_name", r->ace_host);
  td_ev_list(f, "sans", sans, n);
  if (leaf->common_name) td_ev_str(f, "common_name", leaf->common_name);
}

static void classify_strength(tlsdiag_result_t *r, size_t plen) {
  for (size_t i = 0; i < plen; i++) {
    const td_cert_t *c = &r->chain[i];
    if (c->sig_weak && !c->self_signed) {
      td_finding_t *f = td_finding_add(
          r, TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE, TLSDIAG_SEVERITY_ERROR,
          "%s for %s is signed with %s, which browsers reject",
          i == 0 ? "the certificate" : "the issuing certificate", cert_label(c),
          c->sig_alg ? c->sig_alg : "a weak algorithm");
      td_ev_str(f, "subject", c->subject);
      td_ev_str(f, "signature_algorithm", c->sig_alg);
      td_ev_int(f, "chain_index", (int64_t)i);
    }
  }
  for (size_t i = 0; i < plen; i++) {
    const td_cert_t *c = &r->chain[i];
    if (!c->key_type || c->key_bits == 0) continue;
    int rsa_like = !strcmp(c->key_type, "RSA") || !strcmp(c->key_type, "DSA") ||
                   !strncmp(c->key_type, "RSA-", 4);
    int ec = !strcmp(c->key_type, "ECDSA");
    if ((rsa_like && c->key_bits < WEAK_RSA_BITS) ||
        (ec && c->key_bits < WEAK_EC_BITS)) {
      td_finding_t *f = td_finding_add(
          r, TLSDIAG_CAUSE_CERT_WEAK_KEY, TLSDIAG_SEVERITY_ERROR,
          "%s for %s has a %u-bit %s key (minimum %u)",
          i == 0 ? "the certificate" : "the issuing certificate", cert_label(c),
          c->key_bits, c->key_type, rsa_like ? WEAK_RSA_BITS : WEAK_EC_BITS);
      td_ev_str(f, "subject", c->subject);
      td_ev_str(f, "key_type", c->key_type);
      td_ev_int(f, "key_bits", c->key_bits);
      td_ev_int(f, "minimum_bits", rsa_like ? WEAK_RSA_BITS : WEAK_EC_BITS);
    }
  }
}

static void classify_ocsp(tlsdiag_result_t *r, int64_t at) {
  const td_verify_t *v = &r->verify;
  int stale = v->ocsp_status >= 0 && v->ocsp_status != 1 &&
              v->ocsp_status != 3 && v->ocsp_next_update &&
              v->ocsp_next_update < at;
  /* A CRL's verdict is reported by the verifier (source "crl"). */
  int crl_revoked = tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_REVOKED) >= 0;
  if (v->ocsp_status == 1 ||
      ((v->status & GNUTLS_CERT_REVOKED) && !crl_revoked)) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CERT_REVOKED, TLSDIAG_SEVERITY_ERROR,
        "the certificate for %s was revoked by its CA (stapled OCSP)",
        cert_label(&r->chain[0]));
    td_ev_str(f, "subject", r->chain[0].subject);
    td_ev_str(f, "serial", r->chain[0].serial);
    td_ev_str(f, "source", "ocsp_staple");
    if (v->ocsp_revoked_at) td_ev_time(f, "revoked_at", v->ocsp_revoked_at);
    if (v->ocsp_this_update) td_ev_time(f, "this_update", v->ocsp_this_update);
  } else if (v->ocsp_status == 3) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_OCSP_STAPLE_INVALID, TLSDIAG_SEVERITY_WARNING,
        "the stapled OCSP response is unusable: %s",
        v->ocsp_error ? v->ocsp_error : "unknown reason");
    td_ev_str(f, "error", v->ocsp_error);
  } else if (stale) {
    char nu[32];
    td_time_iso(v->ocsp_next_update, nu);
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_OCSP_STAPLE_INVALID, TLSDIAG_SEVERITY_WARNING,
        "the stapled OCSP response is stale (nextUpdate %s has passed)", nu);
    td_ev_time(f, "next_update", v->ocsp_next_update);
    td_ev_time(f, "now", at);
  }
}

/* Bits classify_* explain; anything else is reported as cert_invalid. */
#define EXPLAINED_BITS                                                     \
  (GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND |                    \
   GNUTLS_CERT_UNEXPECTED_OWNER | GNUTLS_CERT_INSECURE_ALGORITHM |         \
   GNUTLS_CERT_REVOKED | GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED | \
   GNUTLS_CERT_INVALID_OCSP_STATUS | GNUTLS_CERT_MISSING_OCSP_STATUS |     \
   GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |                                \
   GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE)

static void classify_two_verdicts(tlsdiag_result_t *r);

static void classify_cert(tlsdiag_result_t *r) {
  if (r->nchain == 0) {
    td_finding_add(r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
                   "the server sent no certificate");
    return;
  }
  size_t plen = td_chain_path_len(r);
  int64_t at = classify_dates(r, plen);
  classify_ocsp(r, at);
  classify_compromised(r);
  classify_trust(r, plen);
  /* Trusted, yet bits remain that nothing above explains. */
  unsigned extra = r->verify.status & ~(unsigned)EXPLAINED_BITS;
  if (r->verify.trusted && extra && !has_rule_finding(r)) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
        "the chain does not verify: %s",
        r->verify.status_text ? r->verify.status_text : "unknown reason");
    td_ev_int(f, "verify_status", r->verify.status);
  }
  classify_name(r);
  classify_strength(r, plen);
  classify_chain_size(r, 0);
  classify_two_verdicts(r);
  if (r->tls_version_num && r->tls_version_num <= TLSDIAG_TLS1_1) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_TLS_LEGACY_VERSION, TLSDIAG_SEVERITY_WARNING,
        "%s was negotiated; browsers have refused TLS 1.0 and 1.1 since 2020",
        r->tls_version);
    td_ev_str(f, "version", r->tls_version);
  }
}

/* A finding that says the certificate fails (what a browser refuses): a
 * certificate cause, expiring soon when asked to be an error, the preload
 * rule's own finding, or any verifier rule. */
static int is_cert_error(const td_finding_t *f) {
  if (f->severity != TLSDIAG_SEVERITY_ERROR) return 0;
  return td_cause_is_cert(f->code) ||
         f->code == TLSDIAG_CAUSE_CERT_EXPIRES_SOON ||
         f->code == TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR ||
         td_ev_get(f, "rule") != NULL;
}

/* A date finding: both verdicts leave dates to classify_dates. */
static int is_date_cause(tlsdiag_cause_t c) {
  return c == TLSDIAG_CAUSE_CERT_EXPIRED ||
         c == TLSDIAG_CAUSE_CERT_NOT_YET_VALID ||
         c == TLSDIAG_CAUSE_CLOCK_SKEW || c == TLSDIAG_CAUSE_CERT_EXPIRES_SOON;
}

int td_browser_ok(const tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if (!v->done || r->nchain == 0 || !v->trusted || !v->name_ok ||
      v->ocsp_status == 1)
    return 0;
  for (size_t i = 0; i < r->nfindings; i++) {
    const td_finding_t *f = &r->findings[i];
    if (f->code == TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE ||
        f->code == TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY ||
        is_date_cause(f->code))
      continue;
    if (is_cert_error(f)) return 0;
  }
  return 1;
}

/* Why only path building finds the path, as the evidence names it. */
static const char *browser_only_why(const td_verify_t *v) {
  if (v->path_unsent) return "intermediate_not_sent";
  if (v->path_reordered) return "chain_order";
  return "cross_sign_path";
}

/* The browser verdict (tlsdiag's verifier) against the strict one
 * (GnuTLS's, the chain as sent): a warning when only path building
 * succeeds, an error when GnuTLS rejects for any other reason. */
static void classify_two_verdicts(tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if (!v->strict_done) return;
  int browser = td_browser_ok(r);
  const char *stext = v->strict_text ? v->strict_text : "rejected";
  switch (td_two_verdicts(browser, v->strict_ok, v->strict_status)) {
  case TD_TWO_OK:
  case TD_TWO_BOTH_FAIL:
    return;
  case TD_TWO_BROWSER_ONLY: {
    const char *why = browser_only_why(v);
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY, TLSDIAG_SEVERITY_WARNING,
        "browsers find a path to a trust anchor, but clients that verify the "
        "chain as sent (curl, wget, GnuTLS, OpenSSL-based agents) fail: %s",
        !strcmp(why, "intermediate_not_sent")
            ? "an intermediate on the path was not sent (browsers fetch it "
              "via AIA or know it already)"
        : !strcmp(why, "chain_order")
            ? "the chain is sent out of order"
            : "the path needs a cross-signed certificate the sent order does "
              "not lead to");
    td_ev_str(f, "why", why);
    td_ev_str(f, "clients", "curl, wget, GnuTLS and OpenSSL clients");
    td_ev_int(f, "strict_status", v->strict_status);
    td_ev_str(f, "strict", stext);
    return;
  }
  case TD_TWO_DISAGREE: {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE, TLSDIAG_SEVERITY_ERROR,
        "tlsdiag's verifier accepts the chain, GnuTLS's rejects it: %s",
        stext);
    td_ev_str(f, "browser", "accepted: a path to a trust anchor, name and "
                            "rules hold");
    td_ev_str(f, "strict", stext);
    td_ev_int(f, "strict_status", v->strict_status);
    return;
  }
  case TD_TWO_STRICT_ONLY:
    /* tlsdiag's rule stands; GnuTLS's view is evidence on its findings */
    for (size_t i = 0; i < r->nfindings; i++)
      if (is_cert_error(&r->findings[i]) && !is_date_cause(r->findings[i].code))
        td_ev_str(&r->findings[i], "gnutls", "accepts the chain as sent");
    return;
  }
}

td_verdict_t td_verify_verdict(const tlsdiag_result_t *r) {
  td_verdict_t v;
  memset(&v, 0, sizeof(v));
  if (!r || !r->verify.done || r->nchain == 0) return v;
  v.chain_to_root = r->verify.trusted != 0;
  v.name_ok = r->verify.name_ok != 0;
  v.dates_ok = dates_ok_at(r, td_chain_path_len(r), r->now);
  int cert_error = r->verify.ocsp_status == 1;
  for (size_t i = 0; i < r->nfindings && !cert_error; i++)
    cert_error = is_cert_error(&r->findings[i]);
  v.trusted = v.chain_to_root && v.name_ok && v.dates_ok && !cert_error;
  return v;
}

/* ---- HTTP --------------------------------------------------------------- */

static void classify_http(tlsdiag_result_t *r) {
  const td_phase_t *p = &r->phase[TLSDIAG_PHASE_HTTP];
  if (p->status != TLSDIAG_STATUS_FAILED && p->status != TLSDIAG_STATUS_TIMEOUT)
    return;
  tlsdiag_cause_t code = r->http_cause ? r->http_cause
                                       : TLSDIAG_CAUSE_HTTP_MALFORMED;
  if (p->status == TLSDIAG_STATUS_TIMEOUT) code = TLSDIAG_CAUSE_HTTP_TIMEOUT;
  td_finding_t *f = td_finding_add(r, code, TLSDIAG_SEVERITY_ERROR,
                                   "HTTP %s: %s",
                                   r->http_request ? r->http_request : "request",
                                   p->error ? p->error : "failed");
  td_ev_str(f, "request", r->http_request);
  td_ev_int(f, "ms", (int64_t)p->ms);
  if (r->http_head_bytes) td_ev_int(f, "bytes", (int64_t)r->http_head_bytes);
  /* a fetch's body: how much had arrived when it was refused */
  if (r->http_body_bytes)
    td_ev_int(f, "body_bytes", (int64_t)r->http_body_bytes);
}

/* ---- redirects ---------------------------------------------------------- */

static const char *first_header(const tlsdiag_result_t *r, const char *name) {
  for (size_t i = 0; i < r->nheaders; i++)
    if (r->headers[i].name && !td_strcasecmp(r->headers[i].name, name))
      return r->headers[i].value; /* NULL: present without a value */
  return NULL;
}

/* The host of an absolute "http://" URL, lowercased, without user info,
 * port, brackets or a trailing dot, into out; 0 if loc is not such a URL
 * (relative, "//host" (same scheme: https), https:, another scheme). */
static int http_location_host(const char *loc, char *out, size_t outlen) {
  while (*loc == ' ' || *loc == '\t') loc++;
  if (strncasecmp(loc, "http://", 7) != 0) return 0;
  const char *h = loc + 7;
  size_t n = strcspn(h, "/?#");
  const char *at = NULL;
  for (size_t i = 0; i < n; i++)
    if (h[i] == '@') at = h + i;
  if (at) {
    n -= (size_t)(at + 1 - h);
    h = at + 1;
  }
  if (n && h[0] == '[') {
    const char *close = memchr(h, ']', n);
    n = close ? (size_t)(close - h - 1) : n - 1;
    h++;
  } else {
    const char *colon = memchr(h, ':', n);
    if (colon) n = (size_t)(colon - h);
  }
  if (n && h[n - 1] == '.') n--;
  if (n >= outlen) n = outlen - 1;
  for (size_t i = 0; i < n; i++)
    out[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
  out[n] = '\0';
  return 1;
}

/* An HTTPS answer that sends the browser to plain http: the next page
 * loads without TLS. On an HSTS-preloaded host that redirects to itself,
 * browsers refuse the plain-http hop and rewrite it to https, which leads
 * back here: an error. */
static void classify_redirect(tlsdiag_result_t *r) {
  if (r->phase[TLSDIAG_PHASE_HTTP].status != TLSDIAG_STATUS_OK ||
      r->http_status < 300 || r->http_status > 399)
    return;
  const char *loc = first_header(r, "location");
  char lhost[256];
  if (!loc || !http_location_host(loc, lhost, sizeof(lhost))) return;
  const char *self = r->ace_host ? r->ace_host : "";
  int same = td_strcasecmp(lhost, self) == 0;
  int have_list = r->hsts_list != NULL && lhost[0] != '\0';
  const char *entry = NULL;
  int preloaded = 0;
  if (same && r->hsts && r->hsts->looked_up) {
    preloaded = r->hsts->preloaded;
    entry = r->hsts->entry;
  } else if (have_list && !same) {
    preloaded = tlsdiag_hsts_lookup(r->hsts_list, lhost, &entry, NULL);
  }
  td_finding_t *f;
  if (same && preloaded)
    f = td_finding_add(r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s answers %d with a redirect to plain http (%s), but "
                       "it is HSTS-preloaded: browsers refuse plain http for "
                       "it and rewrite the target to https, back to this "
                       "server (a redirect loop if it answers the same way)",
                       self, r->http_status, loc);
  else if (preloaded)
    f = td_finding_add(r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT,
                       TLSDIAG_SEVERITY_WARNING,
                       "%s answers %d with a redirect to plain http (%s): "
                       "browsers upgrade it (%s is HSTS-preloaded), other "
                       "clients load it without TLS",
                       self, r->http_status, loc, lhost);
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT,
                       TLSDIAG_SEVERITY_WARNING,
                       "%s answers %d with a redirect to plain http (%s): the "
                       "page it leads to loads without TLS",
                       self, r->http_status, loc);
  td_ev_str(f, "location", loc);
  td_ev_int(f, "status", r->http_status);
  td_ev_str(f, "location_host", lhost);
  if (have_list || (same && r->hsts && r->hsts->looked_up)) {
    td_ev_bool(f, "preloaded", preloaded);
    if (entry) td_ev_str(f, "preload_entry", entry);
  }
}

/* ---- ordering ------------------------------------------------------------ */

static int finding_cmp(const void *a, const void *b) {
  const td_finding_t *x = a, *y = b;
  if (x->severity != y->severity) return (int)y->severity - (int)x->severity;
  return td_cause_rank(x->code) - td_cause_rank(y->code);
}

void td_classify_offline(tlsdiag_result_t *r) {
  /* Certificate files checked without a connection (tlsdiag verify):
   * only the certificate findings apply. */
  classify_cert(r);
  td_classify_order(r);
}

void td_classify(tlsdiag_result_t *r) {
  if (r->phase[TLSDIAG_PHASE_DNS].status == TLSDIAG_STATUS_FAILED ||
      r->phase[TLSDIAG_PHASE_DNS].status == TLSDIAG_STATUS_TIMEOUT)
    classify_dns(r);
  else if (r->phase[TLSDIAG_PHASE_TCP].status != TLSDIAG_STATUS_OK)
    classify_tcp(r);
  else if (r->phase[TLSDIAG_PHASE_TLS].status != TLSDIAG_STATUS_OK)
    classify_tls_failure(r);
  else {
    classify_cert(r);
    classify_http(r);
  }
  td_clientcert_classify(r); /* clientcert_classify.c */
  td_anatomy_classify(r);
  td_kx_classify(r); /* kx_quality.c: nothing unless a handshake completed */
  td_hsts_classify(r);
  classify_redirect(r); /* after the preload lookup */
  td_classify_order(r);
}

void td_classify_order(tlsdiag_result_t *r) {
  /* Stable order: errors, warnings, info; by documented rank within. A
   * merge-free qsort is fine: equal keys keep no promised order. */
  if (r->nfindings > 1)
    qsort(r->findings, r->nfindings, sizeof(*r->findings), finding_cmp);
  r->cause = TLSDIAG_CAUSE_OK;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR) {
      r->cause = r->findings[i].code;
      break;
    }
}
