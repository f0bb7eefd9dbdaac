/* test_report.c: the human text report, td_text_safe and the Mermaid
 * diagram, on results built by hand (no network). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "tdrun.h"

#include "internal.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

/* ---- helpers ------------------------------------------------------------ */

static char *dup(const char *s) {
  char *p = td_strdup(s);
  assert_non_null(p);
  return p;
}

static char *safe(const char *s) {
  td_buf_t b;
  td_buf_init(&b);
  td_text_safe(&b, s);
  char *out = td_buf_steal(&b, NULL);
  assert_non_null(out);
  return out;
}

static void safe_is(const char *in, const char *want) {
  char *got = safe(in);
  assert_string_equal(got, want);
  free(got);
}

static char *text(const tlsdiag_result_t *r, unsigned flags) {
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(
      tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, flags, &out, &len),
      TLSDIAG_OK);
  assert_non_null(out);
  assert_int_equal(strlen(out), len);
  return out;
}

static char *mermaid(const tlsdiag_result_t *r) {
  char *out = NULL;
  assert_int_equal(
      tlsdiag_result_format(r, TLSDIAG_FORMAT_MERMAID, 0, &out, NULL),
      TLSDIAG_OK);
  assert_non_null(out);
  return out;
}

/* 1 if s is well-formed UTF-8 (same rules as the library). */
static int utf8_valid(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p, lo = 0x80, hi = 0xBF;
    int need;
    if (c < 0x80) {
      p++;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else return 0;
    p++;
    for (int i = 0; i < need; i++, p++) {
      if (*p < lo || *p > hi) return 0;
      lo = 0x80;
      hi = 0xBF;
    }
  }
  return 1;
}

/* No byte a terminal would act on: C0 except '\n', DEL, C1 (as UTF-8),
 * bidi controls; and the text is valid UTF-8. */
static void assert_terminal_safe(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 && *p != '\n')
      fail_msg("control 0x%02x at %zu", *p,
               (size_t)(p - (const unsigned char *)s));
    assert_int_not_equal(*p, 0x7F);
    if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) fail_msg("C1 control");
    if (p[0] == 0xE2 && p[1] == 0x80 &&
        (p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xAA && p[2] <= 0xAE)))
      fail_msg("bidi control");
    if (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)
      fail_msg("bidi isolate");
  }
  assert_true(utf8_valid(s));
}

static int starts_with(const char *s, const char *pre) {
  return strncmp(s, pre, strlen(pre)) == 0;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

static const char *line_with(const char *s, const char *needle) {
  const char *p = strstr(s, needle);
  if (!p) fail_msg("missing: %s", needle);
  while (p > s && p[-1] != '\n') p--;
  return p;
}

/* ---- results built by hand ------------------------------------------- */

static void set_cert(td_cert_t *c, const char *cn, const char *issuer,
                     int64_t na) {
  char subj[256];
  snprintf(subj, sizeof(subj), "CN=%s,O=tlsdiag", cn);
  c->subject = dup(subj);
  c->issuer = dup(issuer);
  c->common_name = dup(cn);
  c->serial = dup("5e7a11");
  c->not_before = NOW - 200 * 86400;
  c->not_after = na;
  td_time_iso(c->not_before, c->not_before_iso);
  td_time_iso(na, c->not_after_iso);
  c->key_type = dup("ECDSA");
  c->key_bits = 256;
  c->sig_alg = dup("ECDSA-SHA256");
  memset(c->sha256, 'b', 64);
  c->days_left = td_days_between(NOW, na);
  snprintf(c->days_left_text, sizeof(c->days_left_text), "%lld",
           (long long)c->days_left);
}

static void add_event(tlsdiag_result_t *r, double t, td_dir_t d,
                      const char *what, const char *detail) {
  if (detail) assert_int_equal(td_result_event(r, t, d, what, "%s", detail), 0);
  else assert_int_equal(td_result_event(r, t, d, what, NULL), 0);
}

/* A complete, healthy check of www.tlsdiag.test via the system resolver. */
static tlsdiag_result_t *ok_result(void) {
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  r->host = dup("www.tlsdiag.test");
  r->ace_host = dup("www.tlsdiag.test");
  r->sni = dup("www.tlsdiag.test");
  r->port = 443;
  r->now = NOW;
  r->started_wall = NOW;
  r->warn_days = 30;
  r->total_ms = 23.456;
  double start[] = {0.0, 1.2, 1.6, 15.0}, ms[] = {1.2, 0.4, 13.4, 8.4};
  for (int i = 0; i < 4; i++) {
    r->phase[i].status = TLSDIAG_STATUS_OK;
    r->phase[i].start_ms = start[i];
    r->phase[i].ms = ms[i];
  }
  r->naddrs = 1;
  r->addrs = calloc(1, sizeof(char *));
  r->addr_family = calloc(1, sizeof(int));
  assert_non_null(r->addrs);
  assert_non_null(r->addr_family);
  r->addrs[0] = dup("127.0.0.1");
  r->addr_family[0] = AF_INET;
  r->nattempts = 1;
  r->attempts = calloc(1, sizeof(td_attempt_t));
  assert_non_null(r->attempts);
  snprintf(r->attempts[0].addr, sizeof(r->attempts[0].addr), "127.0.0.1");
  r->attempts[0].status = TLSDIAG_STATUS_OK;
  r->attempts[0].ms = 0.4;
  r->connected_addr = dup("127.0.0.1");
  r->local_addr = dup("127.0.0.1:40000");
  r->tls_version = dup("TLS1.3");
  r->tls_cipher = dup("TLS_AES_256_GCM_SHA384");
  r->tls_kx = dup("ECDHE");
  r->tls_group = dup("X25519");
  r->tls_alpn = dup("http/1.1");
  r->ocsp_stapled = 1;
  r->verify.done = 1;
  r->verify.trusted = 1;
  r->verify.name_ok = 1;
  r->verify.ocsp_status = 0;
  r->nchain = 2;
  r->chain = calloc(2, sizeof(td_cert_t));
  assert_non_null(r->chain);
  set_cert(&r->chain[0], "www.tlsdiag.test", "CN=tlsdiag Intermediate,O=td",
           NOW + 89 * 86400);
  r->chain[0].nsans = 1;
  r->chain[0].sans = calloc(1, sizeof(td_san_t));
  assert_non_null(r->chain[0].sans);
  r->chain[0].sans[0].value = dup("www.tlsdiag.test");
  set_cert(&r->chain[1], "tlsdiag Intermediate", "CN=tlsdiag Root,O=td",
           NOW + 900 * 86400);
  r->chain[1].is_ca = 1;
  r->http_request = dup("HEAD / HTTP/1.1");
  r->http_status_line = dup("HTTP/1.1 200 OK");
  r->http_status = 200;
  r->http_version = dup("HTTP/1.1");
  assert_int_equal(td_result_header(r, "Server", 6, "tdserver", 8), 0);
  assert_int_equal(td_result_header(r, "Strict-Transport-Security", 25,
                                    "max-age=63072000", 16),
                   0);
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_HSTS_PRELOAD_DIRECTIVE_MISSING, TLSDIAG_SEVERITY_WARNING,
      "HSTS lacks the preload directive");
  assert_non_null(f);
  td_ev_str(f, "header", "max-age=63072000");

  add_event(r, 0.02, TD_DIR_C2DNS, "A? www.tlsdiag.test", NULL);
  add_event(r, 1.15, TD_DIR_DNS2C, "A", "127.0.0.1");
  add_event(r, 1.25, TD_DIR_C2S, "SYN", "127.0.0.1:443");
  add_event(r, 1.55, TD_DIR_S2C, "SYN-ACK", NULL);
  add_event(r, 1.7, TD_DIR_C2S, "ClientHello", "SNI=www.tlsdiag.test");
  add_event(r, 9.3, TD_DIR_S2C, "ServerHello", "TLS1.3, X25519");
  add_event(r, 9.4, TD_DIR_S2C, "Certificate", "2 certificates");
  add_event(r, 9.5, TD_DIR_S2C, "Finished", NULL);
  add_event(r, 14.9, TD_DIR_LOCAL, "verification", "trusted, name ok");
  add_event(r, 15.1, TD_DIR_C2S, "HEAD / HTTP/1.1", NULL);
  add_event(r, 23.4, TD_DIR_S2C, "HTTP/1.1 200 OK", NULL);
  return r;
}

/* The same host, but its certificate expired ten days ago. */
static tlsdiag_result_t *expired_result(void) {
  tlsdiag_result_t *r = ok_result();
  r->chain[0].not_after = NOW - 10 * 86400;
  td_time_iso(r->chain[0].not_after, r->chain[0].not_after_iso);
  r->chain[0].days_left = -10;
  snprintf(r->chain[0].days_left_text, sizeof(r->chain[0].days_left_text),
           "-10");
  td_finding_t *f =
      td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR,
                     "the certificate expired 10 days ago");
  assert_non_null(f);
  td_ev_time(f, "not_after", r->chain[0].not_after);
  td_ev_int(f, "days", -10);
  r->cause = TLSDIAG_CAUSE_CERT_EXPIRED;
  return r;
}

/* TLS fails with an alert; HTTP never runs; an IP literal skips DNS. */
static tlsdiag_result_t *alert_result(void) {
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  r->host = dup("::1");
  r->ace_host = dup("::1");
  r->sni = dup("");
  r->host_is_ip = 1;
  r->port = 8443;
  r->now = NOW;
  r->total_ms = 4.2;
  r->phase[TLSDIAG_PHASE_DNS].status = TLSDIAG_STATUS_SKIPPED;
  r->phase[TLSDIAG_PHASE_TCP].status = TLSDIAG_STATUS_OK;
  r->phase[TLSDIAG_PHASE_TCP].ms = 0.2;
  r->phase[TLSDIAG_PHASE_TLS].status = TLSDIAG_STATUS_FAILED;
  r->phase[TLSDIAG_PHASE_TLS].start_ms = 0.3;
  r->phase[TLSDIAG_PHASE_TLS].ms = 3.0;
  r->phase[TLSDIAG_PHASE_TLS].error = dup("fatal alert received");
  r->phase[TLSDIAG_PHASE_HTTP].status = TLSDIAG_STATUS_NOT_RUN;
  r->connected_addr = dup("::1");
  r->tls_alert = dup("handshake_failure");
  r->tls_alert_num = 40;
  r->tls_error = -12;
  r->tls_error_name = dup("GNUTLS_E_FATAL_ALERT_RECEIVED");
  r->probed = 1;
  r->probes[2] = (td_probe_t){TLSDIAG_TLS1_2, 1, 0, dup("handshake_failure")};
  r->probes[3] = (td_probe_t){TLSDIAG_TLS1_3, 1, 0, dup("handshake_failure")};
  td_finding_t *f =
      td_finding_add(r, TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH,
                     TLSDIAG_SEVERITY_ERROR, "no cipher suite in common");
  assert_non_null(f);
  td_ev_str(f, "alert", "handshake_failure");
  r->cause = TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH;
  add_event(r, 0.1, TD_DIR_C2S, "SYN", "[::1]:8443");
  add_event(r, 0.2, TD_DIR_S2C, "SYN-ACK", NULL);
  add_event(r, 0.4, TD_DIR_C2S, "ClientHello", "no SNI");
  add_event(r, 3.2, TD_DIR_S2C, "Alert", "fatal handshake_failure");
  return r;
}

#define EVIL                                                                   \
  "\x1b[2J\x1b]0;pwned\x07\r\b\x7f\xC2\x9B"                                    \
  "31m\xE2\x80\xAE"                                                            \
  "gpj.exe\xFF\xC0\xAF;#\n%%{init}%%"

/* Every field a server or certificate controls holds terminal escapes,
 * bidi overrides, invalid UTF-8 and Mermaid syntax. */
static tlsdiag_result_t *hostile_result(void) {
  tlsdiag_result_t *r = expired_result();
  free(r->chain[0].subject);
  free(r->chain[0].common_name);
  free(r->chain[0].issuer);
  free(r->chain[0].sans[0].value);
  free(r->chain[0].sig_alg);
  r->chain[0].subject = dup("CN=" EVIL);
  r->chain[0].common_name = dup(EVIL);
  r->chain[0].issuer = dup("CN=" EVIL ",O=x");
  r->chain[0].sans[0].value = dup(EVIL);
  r->chain[0].sig_alg = dup(EVIL);
  free(r->http_status_line);
  r->http_status_line = dup("HTTP/1.1 200 " EVIL);
  free(r->headers[0].value);
  r->headers[0].value = dup(EVIL);
  assert_int_equal(td_result_header(r, "Location", 8, EVIL, strlen(EVIL)), 0);
  assert_int_equal(td_result_header(r, "Date", 4, EVIL, strlen(EVIL)), 0);
  free(r->events[6].detail);
  r->events[6].detail = dup(EVIL);
  free(r->events[10].what);
  r->events[10].what = dup(EVIL);
  td_finding_t *f = &r->findings[1];
  free(f->message);
  f->message = dup("expired: " EVIL);
  td_ev_str(f, "subject", EVIL);
  const char *list[] = {EVIL, "ok"};
  td_ev_list(f, "sans", list, 2);
  free(r->host);
  r->host = dup("host;evil#x:1");
  return r;
}

/* ---- td_text_safe ---------------------------------------------------------
 */

static void test_report_text_safe_passes_printable_text(void **state) {
  (void)state;
  safe_is("plain ASCII ~!@#$%^&*()", "plain ASCII ~!@#$%^&*()");
  safe_is("b\xC3\xBC"
          "cher \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x94\x92",
          "b\xC3\xBC"
          "cher \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x94\x92");
  safe_is("", "");
}

static void test_report_text_safe_escapes_controls(void **state) {
  (void)state;
  safe_is("a\x1b[31mb", "a\\x1b[31mb");
  safe_is("\n\r\t\b\x07\x01\x1f", "\\x0a\\x0d\\x09\\x08\\x07\\x01\\x1f");
  safe_is("del\x7f", "del\\x7f");
  safe_is("back\\slash", "back\\\\slash");
  /* C1 controls arrive as valid UTF-8: CSI, NEL */
  safe_is("\xC2\x9B"
          "2J\xC2\x85",
          "\\u{009B}2J\\u{0085}");
}

static void test_report_text_safe_escapes_bidi(void **state) {
  (void)state;
  safe_is("a\xE2\x80\xAE"
          "b",
          "a\\u{202E}b");                                    /* RLO */
  safe_is("\xE2\x80\xAA\xE2\x80\xAC", "\\u{202A}\\u{202C}"); /* LRE PDF */
  safe_is("\xE2\x81\xA6\xE2\x81\xA9", "\\u{2066}\\u{2069}"); /* LRI PDI */
  safe_is("\xE2\x80\x8E\xE2\x80\x8F", "\\u{200E}\\u{200F}"); /* LRM RLM */
  safe_is("\xE2\x80\xA8", "\\u{2028}");                      /* line sep. */
}

static void test_report_text_safe_shows_invalid_utf8_bytes(void **state) {
  (void)state;
  safe_is("\xFF", "\\xff");
  safe_is("\xC0\xAF", "\\xc0\\xaf");                   /* overlong */
  safe_is("\xED\xA0\x80", "\\xed\\xa0\\x80");          /* surrogate */
  safe_is("x\xE2\x82", "x\\xe2\\x82");                 /* truncated */
  safe_is("\xF4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* > U+10FFFF */
  char *s = safe(EVIL);
  assert_terminal_safe(s);
  assert_null(strchr(s, '\n'));
  free(s);
}

/* ---- text report ----------------------------------------------------------
 */

static void test_report_text_ok_verdict_first(void **state) {
  (void)state;
  tlsdiag_result_t *r = ok_result();
  char *t = text(r, 0);
  const char *want = "✔ OK  www.tlsdiag.test:443  TLS1.3 TLS_AES_256_GCM_SHA384"
                     "  HTTP 200  (23.5 ms)  1 warning\n";
  assert_memory_equal(t, want, strlen(want));
  free(t);
  tlsdiag_result_free(r);
}

static void test_report_text_error_verdict_names_root_cause(void **state) {
  (void)state;
  tlsdiag_result_t *r = expired_result();
  char *t = text(r, 0);
  const char *want = "✘ CERT_EXPIRED  www.tlsdiag.test:443 — the certificate "
                     "expired 10 days ago\n";
  assert_memory_equal(t, want, strlen(want));
  free(t);
  tlsdiag_result_free(r);
}

static void test_report_text_lists_findings_with_evidence(void **state) {
  (void)state;
  tlsdiag_result_t *r = expired_result();
  char *t = text(r, 0);
  const char *fnd = strstr(t, "\nFindings\n");
  assert_non_null(fnd);
  const char *l1 = line_with(t, "hsts_preload_directive_missing");
  assert_memory_equal(l1, "  warning  hsts_preload_directive_missing", 40);
  assert_non_null(strstr(l1, "HSTS lacks the preload directive\n"));
  assert_non_null(strstr(t, "\n             header: max-age=63072000\n"));
  const char *l2 = line_with(t, "  error    cert_expired");
  assert_non_null(strstr(l2, "the certificate expired 10 days ago\n"));
  assert_non_null(
      strstr(l2, "\n             not_after: 2025-12-22T00:00:00Z\n"));
  assert_non_null(strstr(l2, "\n             days: -10\n"));
  assert_true(fnd < l1);
  /* the chain line says how long ago the leaf expired */
  assert_non_null(strstr(t, "\n  [0] www.tlsdiag.test ← tlsdiag Intermediate"
                            "  2025-12-22 (10 days ago)  ECDSA-256"));
  free(t);
  tlsdiag_result_free(r);
}

static void test_report_text_events_in_order(void **state) {
  (void)state;
  tlsdiag_result_t *r = ok_result();
  char *t = text(r, 0);
  const char *seq = strstr(t, "\nSequence\n");
  assert_non_null(seq);
  const char *prev = seq;
  for (size_t i = 0; i < r->nevents; i++) {
    const char *p = strstr(prev, r->events[i].what);
    if (!p)
      fail_msg("event %zu (%s) missing or out of order", i, r->events[i].what);
    prev = p;
  }
  assert_non_null(strstr(
      t,
      "\n      1.7 ms  client → server   ClientHello  SNI=www.tlsdiag.test\n"));
  assert_non_null(strstr(t, "\n      0.0 ms  client → DNS      A? "));
  assert_non_null(
      strstr(t, "\n      1.1 ms  DNS → client      A  127.0.0.1\n"));
  assert_non_null(strstr(t, "\n      9.3 ms  server → client   ServerHello"));
  assert_non_null(
      strstr(t, "\n     14.9 ms  client (local)    verification  trusted"));
  free(t);
  tlsdiag_result_free(r);
}

static void test_report_text_summaries(void **state) {
  (void)state;
  tlsdiag_result_t *r = ok_result();
  char *t = text(r, 0);
  assert_non_null(
      strstr(t, "\nPhases\n  DNS         1.2 ms  ok       127.0.0.1\n"));
  assert_non_null(
      strstr(t, "\n  TCP         0.4 ms  ok       127.0.0.1  from "));
  assert_non_null(strstr(t, "\n  total      23.5 ms\n"));
  assert_non_null(strstr(t, "\nTLS\n  version      TLS1.3\n"));
  assert_non_null(strstr(t, "\n  cipher       TLS_AES_256_GCM_SHA384\n"));
  assert_non_null(strstr(t, "\n  key exchange ECDHE, group X25519\n"));
  assert_non_null(strstr(t, "\n  ALPN         http/1.1\n"));
  assert_non_null(strstr(t, "\n  OCSP staple  yes, good\n"));
  assert_non_null(strstr(t, "\n  session      no ticket\n"));
  assert_non_null(strstr(t, "\n  verify       trusted: chain to root yes, "
                            "name yes, dates yes (at 2026-01-01T00:00:00Z)\n"));
  assert_non_null(strstr(t, "\nCertificates (2 sent by the server)\n"));
  assert_non_null(strstr(t, "\n  [0] www.tlsdiag.test ← tlsdiag Intermediate"
                            "  2026-03-31 (89 days left)  ECDSA-256  "
                            "ECDSA-SHA256\n"));
  assert_non_null(strstr(t, "\n  [1] tlsdiag Intermediate ← tlsdiag Root  "
                            "2028-06-19 (900 days left)"));
  assert_non_null(strstr(t, "\nHTTP\n  request      HEAD / HTTP/1.1\n"
                            "  response     HTTP/1.1 200 OK\n"
                            "  HSTS         max-age=63072000\n"));
  assert_non_null(strstr(t, "\n  Server       tdserver\n"));
  /* compact chain: no serial or fingerprint */
  assert_null(strstr(t, "5e7a11"));
  free(t);
  tlsdiag_result_free(r);
}

static void test_report_text_verbose_shows_whole_chain(void **state) {
  (void)state;
  tlsdiag_result_t *r = ok_result();
  char *t = text(r, TLSDIAG_FMT_VERBOSE);
  assert_non_null(
      strstr(t, "\n     subject      CN=www.tlsdiag.test,O=tlsdiag\n"));
  assert_non_null(
      strstr(t, "\n     issuer       CN=tlsdiag Intermediate,O=td\n"));
  assert_non_null(strstr(t, "\n     SANs         DNS:www.tlsdiag.test\n"));
  assert_non_null(strstr(t, "\n     serial       5e7a11\n"));
  assert_non_null(strstr(t, "\n     valid        2025-06-15T00:00:00Z → "
                            "2026-03-31T00:00:00Z (89 days left)\n"));
  assert_non_null(strstr(t, "\n     key          ECDSA 256 bits\n"));
  assert_non_null(strstr(t, "\n     sha256       bbbbbbbb"));
  assert_non_null(strstr(t, "\n     flags        CA\n"));
  assert_non_null(strstr(t, "\n    Server: tdserver\n"));
  free(t);
  tlsdiag_result_free(r);
}

static void test_report_text_shows_phases_not_run(void **state) {
  (void)state;
  tlsdiag_result_t *r = alert_result();
  char *t = text(r, 0);
  const char *want = "✘ TLS_CIPHER_MISMATCH  [::1]:8443 — no cipher suite in "
                     "common\n";
  assert_memory_equal(t, want, strlen(want));
  assert_non_null(
      strstr(t, "\n  DNS           -     skipped  IP literal, no lookup\n"));
  assert_non_null(strstr(t, "\n  TLS         3.0 ms  failed   alert "
                            "handshake_failure — fatal alert received\n"));
  assert_non_null(strstr(t, "\n  HTTP          -     not run  (an earlier "
                            "phase failed)\n"));
  assert_non_null(strstr(t, "\n  handshake    did not complete\n"));
  assert_non_null(strstr(t, "\n  alert        handshake_failure (40)\n"));
  assert_non_null(strstr(t,
                         "\n  versions     TLS1.2 refused (handshake_failure)"
                         ", TLS1.3 refused (handshake_failure)\n"));
  assert_non_null(strstr(t, "\nCertificates\n  none received\n"));
  assert_non_null(strstr(t, "\nHTTP\n  not run\n"));
  free(t);
  tlsdiag_result_free(r);
}

static void test_report_text_lists_failed_attempts(void **state) {
  (void)state;
  tlsdiag_result_t *r = ok_result();
  td_attempt_t *a = realloc(r->attempts, 2 * sizeof(*a));
  assert_non_null(a);
  r->attempts = a;
  a[1] = a[0];
  memset(&a[0], 0, sizeof(a[0]));
  snprintf(a[0].addr, sizeof(a[0].addr), "::1");
  a[0].status = TLSDIAG_STATUS_FAILED;
  a[0].error = dup("Connection refused (ECONNREFUSED)");
  a[0].ms = 0.25;
  r->nattempts = 2;
  char *t = text(r, 0);
  assert_non_null(strstr(t, "\n  TCP         0.4 ms  ok       127.0.0.1  from "
                            "127.0.0.1:40000\n          ↳ ::1  failed: "
                            "Connection refused (ECONNREFUSED) (0.2 ms)\n"
                            "  TLS "));
  free(t);
  tlsdiag_result_free(r);
}

static void test_report_text_no_control_bytes_from_hostile_fields(void **s) {
  (void)s;
  tlsdiag_result_t *r = hostile_result();
  for (unsigned v = 0; v < 2; v++) {
    char *t = text(r, v ? TLSDIAG_FMT_VERBOSE : 0);
    assert_null(strchr(t, 0x1b));
    assert_terminal_safe(t);
    /* the escapes are visible instead */
    assert_non_null(strstr(t, "\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x08\\x7f"
                              "\\u{009B}31m\\u{202E}gpj.exe\\xff\\xc0\\xaf"));
    free(t);
  }
  tlsdiag_result_free(r);
}

static void test_report_text_color_only_with_flag(void **state) {
  (void)state;
  tlsdiag_result_t *ok = ok_result(), *bad = expired_result();
  char *t = text(ok, 0);
  assert_null(strchr(t, 0x1b));
  free(t);
  t = text(bad, TLSDIAG_FMT_VERBOSE);
  assert_null(strchr(t, 0x1b));
  free(t);
  t = text(ok, TLSDIAG_FMT_COLOR);
  assert_true(starts_with(t, "\x1b[1m\x1b[32m✔ OK\x1b[0m  www."));
  assert_non_null(strstr(t, "\x1b[33mwarning"));
  free(t);
  t = text(bad, TLSDIAG_FMT_COLOR);
  assert_true(starts_with(t, "\x1b[1m\x1b[31m✘ CERT_EXPIRED\x1b[0m  www."));
  assert_non_null(strstr(t, "\x1b[31merror"));
  free(t);
  tlsdiag_result_free(ok);
  tlsdiag_result_free(bad);
}

static void test_report_text_lines_fit_100_columns(void **state) {
  (void)state;
  tlsdiag_result_t *rs[] = {ok_result(), expired_result(), alert_result()};
  for (size_t i = 0; i < 3; i++) {
    for (unsigned v = 0; v < 2; v++) {
      char *t = text(rs[i], v ? TLSDIAG_FMT_VERBOSE : 0);
      size_t cols = 0;
      for (const char *p = t; *p; p++) {
        if (*p == '\n') cols = 0;
        else if (((unsigned char)*p & 0xC0) != 0x80 && ++cols > 100)
          fail_msg("line over 100 columns in result %zu:\n%s", i, t);
      }
      free(t);
    }
    tlsdiag_result_free(rs[i]);
  }
}

static void test_report_text_empty_result(void **state) {
  (void)state;
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  char *t = text(r, TLSDIAG_FMT_VERBOSE | TLSDIAG_FMT_COLOR);
  assert_non_null(strstr(t, "OK"));
  assert_non_null(strstr(t, "(nothing was sent)"));
  free(t);
  t = mermaid(r);
  assert_memory_equal(t, "sequenceDiagram\n", 16);
  free(t);
  tlsdiag_result_free(r);
}

/* ---- Mermaid ---------------------------------------------------------- */

static void test_report_mermaid_starts_with_sequence_diagram(void **state) {
  (void)state;
  tlsdiag_result_t *r = ok_result();
  char *m = mermaid(r);
  assert_memory_equal(m, "sequenceDiagram\n", 16);
  free(m);
  tlsdiag_result_free(r);
}

static void test_report_mermaid_has_participants(void **state) {
  (void)state;
  tlsdiag_result_t *r = ok_result();
  char *m = mermaid(r);
  assert_non_null(strstr(m, "\n    participant Client\n"
                            "    participant Resolver as system resolver\n"
                            "    participant Server as www.tlsdiag.test "
                            "(127.0.0.1\xEA\x9E\x89"
                            "443)\n"));
  free(m);
  tlsdiag_result_free(r);

  r = alert_result(); /* IP literal: no resolver */
  m = mermaid(r);
  assert_null(strstr(m, "Resolver"));
  assert_non_null(strstr(m, "\n    participant Server as [\xEA\x9E\x89\xEA"
                            "\x9E\x89"
                            "1]\xEA\x9E\x89"
                            "8443\n"));
  free(m);
  tlsdiag_result_free(r);
}

static void test_report_mermaid_one_arrow_per_event(void **state) {
  (void)state;
  tlsdiag_result_t *r = ok_result();
  char *m = mermaid(r);
  size_t arrows = 0;
  for (size_t i = 0; i < r->nevents; i++)
    if (r->events[i].dir != TD_DIR_LOCAL) arrows++;
  assert_int_equal(count(m, "->>"), arrows);
  assert_int_equal(count(m, "\n    Client->>Server: "), 3);
  assert_int_equal(count(m, "\n    Server-->>Client: "), 5);
  assert_int_equal(count(m, "\n    Client->>Resolver: "), 1);
  assert_int_equal(count(m, "\n    Resolver-->>Client: "), 1);
  assert_non_null(strstr(m, "\n    Client->>Server: ClientHello "
                            "(SNI=www.tlsdiag.test) [t=1.7 ms]\n"));
  assert_non_null(strstr(m, "\n    Note over Client: verification "
                            "(trusted, name ok) [t=14.9 ms]\n"));
  /* events in order */
  const char *prev = m;
  for (size_t i = 0; i < r->nevents; i++) {
    prev = strstr(prev, r->events[i].what);
    assert_non_null(prev);
  }
  /* final verdict note */
  assert_non_null(strstr(m, "\n    Note over Client,Server: ✔ OK, TLS1.3, "
                            "HTTP 200 (total 23.5 ms)\n"));
  free(m);
  tlsdiag_result_free(r);
}

static void test_report_mermaid_notes_failures(void **state) {
  (void)state;
  tlsdiag_result_t *r = alert_result();
  char *m = mermaid(r);
  const char *alert = strstr(m, "Server-->>Client: Alert");
  const char *note = strstr(m, "\n    Note over Client,Server: TLS failed: "
                               "alert handshake_failure [after 3.0 ms]\n");
  assert_non_null(alert);
  assert_non_null(note);
  assert_true(alert < note); /* where the phase ended */
  assert_non_null(strstr(m, "\n    Note over Client,Server: ✘ "
                            "TLS_CIPHER_MISMATCH — no cipher suite in common "
                            "(total 4.2 ms)\n"));
  free(m);
  tlsdiag_result_free(r);
}

static void test_report_mermaid_hostile_input_is_inert(void **state) {
  (void)state;
  tlsdiag_result_t *r = hostile_result();
  char *m = mermaid(r);
  assert_null(strchr(m, ';'));
  assert_null(strchr(m, '#'));
  assert_null(strstr(m, "%%"));
  assert_null(strchr(m, '<'));
  assert_terminal_safe(m);
  /* every line is one statement we wrote: no newline got into a message */
  size_t lines = 0, arrows = 0, notes = 0;
  char *save = NULL;
  for (char *l = strtok_r(m, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    if (lines++ == 0) {
      assert_string_equal(l, "sequenceDiagram");
      continue;
    }
    if (!strncmp(l, "    participant ", 16)) continue;
    if (!strncmp(l, "    Note over ", 14)) {
      notes++;
      continue;
    }
    if (!strncmp(l, "    Client->>", 13) || !strncmp(l, "    Server-->>", 14) ||
        !strncmp(l, "    Resolver-->>", 16)) {
      arrows++;
      continue;
    }
    fail_msg("unexpected line: %s", l);
  }
  assert_int_equal(arrows, 10);
  assert_int_equal(notes, 2); /* the local event and the verdict */
  assert_int_equal(lines, 1 + 3 + 10 + 2);
  free(m);
  tlsdiag_result_free(r);
}

static void test_report_mermaid_defuses_wrap_directive(void **state) {
  (void)state;
  tlsdiag_result_t *r = ok_result();
  free(r->events[10].what);
  r->events[10].what = dup("wrap:HTTP/1.1 200 OK");
  free(r->events[9].what);
  r->events[9].what = dup(":NoWrap:x");
  char *m = mermaid(r);
  assert_non_null(strstr(m, "Server-->>Client: wrap\xEA\x9E\x89HTTP/1.1"));
  assert_non_null(strstr(m, "Client->>Server: :NoWrap\xEA\x9E\x89x"));
  free(m);
  tlsdiag_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_report_text_safe_passes_printable_text),
      cmocka_unit_test(test_report_text_safe_escapes_controls),
      cmocka_unit_test(test_report_text_safe_escapes_bidi),
      cmocka_unit_test(test_report_text_safe_shows_invalid_utf8_bytes),
      cmocka_unit_test(test_report_text_ok_verdict_first),
      cmocka_unit_test(test_report_text_error_verdict_names_root_cause),
      cmocka_unit_test(test_report_text_lists_findings_with_evidence),
      cmocka_unit_test(test_report_text_events_in_order),
      cmocka_unit_test(test_report_text_summaries),
      cmocka_unit_test(test_report_text_verbose_shows_whole_chain),
      cmocka_unit_test(test_report_text_shows_phases_not_run),
      cmocka_unit_test(test_report_text_lists_failed_attempts),
      cmocka_unit_test(test_report_text_no_control_bytes_from_hostile_fields),
      cmocka_unit_test(test_report_text_color_only_with_flag),
      cmocka_unit_test(test_report_text_lines_fit_100_columns),
      cmocka_unit_test(test_report_text_empty_result),
      cmocka_unit_test(test_report_mermaid_starts_with_sequence_diagram),
      cmocka_unit_test(test_report_mermaid_has_participants),
      cmocka_unit_test(test_report_mermaid_one_arrow_per_event),
      cmocka_unit_test(test_report_mermaid_notes_failures),
      cmocka_unit_test(test_report_mermaid_hostile_input_is_inert),
      cmocka_unit_test(test_report_mermaid_defuses_wrap_directive),
  };
  return td_run_tests(tests, NULL, NULL);
}
