/* test_json.c: the JSON escaper and the JSON report, parsed back with
 * jansson (which rejects invalid UTF-8 and, here, duplicate keys). */
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
#include <jansson.h>

#include "internal.h"

#define FFFD "\xEF\xBF\xBD"

/* ---- helpers ------------------------------------------------------------- */

static json_t *parse(const char *s, size_t n) {
  json_error_t err;
  size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY;
  json_t *j = json_loadb(s, n, flags, &err);
  if (!j)
    fail_msg("invalid JSON (%s at %d): %.*s", err.text, err.position, (int)n,
             s);
  return j;
}

/* The literal td_json_str writes for s[0..n). Caller frees. */
static char *literal(const char *s, size_t n) {
  td_buf_t b;
  td_buf_init(&b);
  td_json_str(&b, s, n);
  char *out = td_buf_steal(&b, NULL);
  assert_non_null(out);
  return out;
}

/* Escapes s[0..n), parses it back as a JSON string, and checks that the
 * decoded bytes are exactly want[0..wn). */
static void roundtrip(const char *s, size_t n, const char *want, size_t wn) {
  char *lit = literal(s, n);
  json_t *j = parse(lit, strlen(lit));
  assert_true(json_is_string(j));
  assert_int_equal(json_string_length(j), wn);
  assert_memory_equal(json_string_value(j), want, wn);
  /* nothing raw below 0x20 and no DEL in the literal itself */
  for (const char *p = lit; *p; p++) {
    assert_true((unsigned char)*p >= 0x20);
    assert_true((unsigned char)*p != 0x7F);
  }
  json_decref(j);
  free(lit);
}

#define RT(in, want) roundtrip(in, sizeof(in) - 1, want, sizeof(want) - 1)

static char *render(const tlsdiag_result_t *r, int pretty, size_t *len) {
  td_buf_t b;
  td_buf_init(&b);
  td_json_result(&b, r, pretty);
  char *out = td_buf_steal(&b, len);
  assert_non_null(out);
  return out;
}

static json_t *render_parse(const tlsdiag_result_t *r, int pretty) {
  size_t n;
  char *s = render(r, pretty, &n);
  json_t *j = parse(s, n);
  assert_true(json_is_object(j));
  free(s);
  return j;
}

/* json_object_get along a "a.b.c" path (array index as a number). */
static json_t *at(json_t *j, const char *path) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", path);
  for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && j;
       k = strtok_r(NULL, ".", &save)) {
    if (json_is_array(j)) j = json_array_get(j, (size_t)atoi(k));
    else j = json_object_get(j, k);
  }
  if (!j) fail_msg("no value at %s", path);
  return j;
}

static void str_at(json_t *j, const char *path, const char *want) {
  json_t *v = at(j, path);
  if (!json_is_string(v)) fail_msg("%s is not a string", path);
  assert_string_equal(json_string_value(v), want);
}

static void int_at(json_t *j, const char *path, json_int_t want) {
  json_t *v = at(j, path);
  if (!json_is_integer(v)) fail_msg("%s is not an integer", path);
  assert_int_equal(json_integer_value(v), want);
}

static void real_at(json_t *j, const char *path, double want) {
  json_t *v = at(j, path);
  if (!json_is_real(v)) fail_msg("%s is not a real", path);
  assert_true(fabs(json_real_value(v) - want) < 1e-9);
}

static void bool_at(json_t *j, const char *path, int want) {
  json_t *v = at(j, path);
  if (!json_is_boolean(v)) fail_msg("%s is not a boolean", path);
  assert_int_equal(json_is_true(v), want);
}

static void null_at(json_t *j, const char *path) {
  if (!json_is_null(at(j, path))) fail_msg("%s is not null", path);
}

static void size_at(json_t *j, const char *path, size_t want) {
  json_t *v = at(j, path);
  if (json_is_array(v)) assert_int_equal(json_array_size(v), want);
  else if (json_is_object(v)) assert_int_equal(json_object_size(v), want);
  else fail_msg("%s is not a container", path);
}

/* ---- a complete result, built by hand --------------------------------- */

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

static char *dup(const char *s) {
  char *p = td_strdup(s);
  assert_non_null(p);
  return p;
}

static void set_cert(td_cert_t *c, const char *cn, const char *issuer,
                     int64_t nb, int64_t na) {
  char subj[256];
  snprintf(subj, sizeof(subj), "CN=%s", cn);
  c->subject = dup(subj);
  c->issuer = dup(issuer);
  c->common_name = dup(cn);
  c->serial = dup("01ab");
  c->not_before = nb;
  c->not_after = na;
  td_time_iso(nb, c->not_before_iso);
  td_time_iso(na, c->not_after_iso);
  c->key_type = dup("ECDSA");
  c->key_bits = 256;
  c->sig_alg = dup("ECDSA-SHA256");
  memset(c->sha256, 'a', 64);
  c->days_left = td_days_between(NOW, na);
  snprintf(c->days_left_text, sizeof(c->days_left_text), "%lld",
           (long long)c->days_left);
}

static tlsdiag_result_t *full_result(void) {
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  r->host = dup("b\xC3\xBC"
                "cher.tlsdiag.test");
  r->ace_host = dup("xn--bcher-kva.tlsdiag.test");
  r->sni = dup("xn--bcher-kva.tlsdiag.test");
  r->port = 443;
  r->tls_min = TLSDIAG_TLS1_2;
  r->tls_max = TLSDIAG_TLS1_3;
  r->http_method = dup("HEAD");
  r->http_path = dup("/");
  r->now = NOW;
  r->clock_overridden = 1;
  r->started_wall = NOW + 7;
  r->warn_days = 30;
  r->clock_skew_s = 300;
  r->total_ms = 12.3456;

  tlsdiag_status_t st[] = {TLSDIAG_STATUS_OK, TLSDIAG_STATUS_OK,
                           TLSDIAG_STATUS_OK, TLSDIAG_STATUS_OK};
  double start[] = {0.0, 1.5, 2.0, 9.0}, ms[] = {1.23456, 0.5, 7.0, 3.25};
  for (int i = 0; i < 4; i++) {
    r->phase[i].status = st[i];
    r->phase[i].start_ms = start[i];
    r->phase[i].ms = ms[i];
  }

  r->naddrs = 2;
  r->addrs = calloc(2, sizeof(char *));
  r->addr_family = calloc(2, sizeof(int));
  assert_non_null(r->addrs);
  assert_non_null(r->addr_family);
  r->addrs[0] = dup("127.0.0.1");
  r->addr_family[0] = AF_INET;
  r->addrs[1] = dup("::1");
  r->addr_family[1] = AF_INET6;

  r->nattempts = 1;
  r->attempts = calloc(1, sizeof(td_attempt_t));
  assert_non_null(r->attempts);
  snprintf(r->attempts[0].addr, sizeof(r->attempts[0].addr), "127.0.0.1");
  r->attempts[0].family = AF_INET;
  r->attempts[0].status = TLSDIAG_STATUS_OK;
  r->attempts[0].ms = 0.5;
  r->connected_addr = dup("127.0.0.1");
  r->local_addr = dup("127.0.0.1:5555");

  r->tls_version = dup("TLS1.3");
  r->tls_version_num = TLSDIAG_TLS1_3;
  r->tls_cipher = dup("TLS_AES_256_GCM_SHA384");
  r->tls_kx = dup("ECDHE");
  r->tls_group = dup("X25519");
  r->tls_alpn = dup("http/1.1");
  r->tls_sig_alg = dup("ECDSA-SECP256R1-SHA256");
  r->ocsp_stapled = 1;
  r->session_ticket = 1;
  r->verify.done = 1;
  r->verify.status = 0x402;
  r->verify.status_text = dup("The certificate chain uses expired "
                              "certificate.");
  r->verify.trusted = 1;
  r->verify.name_ok = 1;
  r->verify.ocsp_status = 0;
  r->verify.ocsp_this_update = NOW - 3600;

  r->nchain = 2;
  r->chain = calloc(2, sizeof(td_cert_t));
  assert_non_null(r->chain);
  set_cert(&r->chain[0],
           "b\xC3\xBC"
           "cher.tlsdiag.test",
           "CN=tlsdiag Test CA,O=tlsdiag", NOW - 100 * 86400, NOW - 10 * 86400);
  r->chain[0].nsans = 2;
  r->chain[0].sans = calloc(2, sizeof(td_san_t));
  assert_non_null(r->chain[0].sans);
  r->chain[0].sans[0].type = TD_SAN_DNS;
  r->chain[0].sans[0].value = dup("xn--bcher-kva.tlsdiag.test");
  r->chain[0].sans[1].type = TD_SAN_IP;
  r->chain[0].sans[1].value = dup("127.0.0.1");
  r->chain[0].ocsp_url = dup("http://ocsp.tlsdiag.test/");
  set_cert(&r->chain[1], "tlsdiag Test CA", "CN=tlsdiag Test CA,O=tlsdiag",
           NOW - 1000 * 86400, NOW + 1000 * 86400);
  r->chain[1].is_ca = 1;
  r->chain[1].self_issued = 1;
  r->chain[1].self_signed = 1;

  r->http_request = dup("HEAD / HTTP/1.1");
  r->http_status_line = dup("HTTP/1.1 200 OK");
  r->http_status = 200;
  r->http_version = dup("HTTP/1.1");
  static const char date[] = "Thu, 01 Jan 2026 00:02:00 GMT";
  assert_int_equal(td_result_header(r, "Date", 4, date, sizeof(date) - 1), 0);
  assert_int_equal(td_result_header(r, "Server", 6, "tdserver", 8), 0);
  assert_int_equal(td_result_header(r, "X-Dup", 5, "1", 1), 0);
  assert_int_equal(td_result_header(r, "X-Dup", 5, "2", 1), 0);
  r->http_head_bytes = 120;
  r->http_date = NOW + 120;
  r->http_date_received = NOW + 7;

  td_finding_t *f =
      td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR,
                     "the certificate expired %d days ago", 10);
  assert_non_null(f);
  td_ev_time(f, "not_after", NOW - 10 * 86400);
  td_ev_time(f, "now", NOW);
  td_ev_int(f, "days", -10);
  td_ev_bool(f, "clock_override", 1);
  const char *sans[] = {"xn--bcher-kva.tlsdiag.test", "127.0.0.1"};
  td_ev_list(f, "sans", sans, 2);
  f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_HEADER_MISSING,
                     TLSDIAG_SEVERITY_WARNING,
                     "no Strict-Transport-Security header");
  assert_non_null(f);
  r->cause = TLSDIAG_CAUSE_CERT_EXPIRED;

  assert_int_equal(td_result_event(r, 0.01, TD_DIR_C2DNS, "A? AAAA?", "%s",
                                   "xn--bcher-kva.tlsdiag.test"),
                   0);
  assert_int_equal(
      td_result_event(r, 1.2, TD_DIR_DNS2C, "answer", "127.0.0.1, ::1"), 0);
  assert_int_equal(td_result_event(r, 1.5, TD_DIR_C2S, "SYN", NULL), 0);
  assert_int_equal(td_result_event(r, 2.0, TD_DIR_S2C, "SYN-ACK", NULL), 0);
  assert_int_equal(
      td_result_event(r, 2.1, TD_DIR_C2S, "ClientHello", "SNI=%s", r->sni), 0);
  assert_int_equal(
      td_result_event(r, 8.0, TD_DIR_S2C, "ServerHello", "TLS1.3, X25519"), 0);
  assert_int_equal(
      td_result_event(r, 8.5, TD_DIR_LOCAL, "verification", "expired"), 0);
  assert_int_equal(td_result_event(r, 9.0, TD_DIR_C2S, "HEAD / HTTP/1.1", NULL),
                   0);
  assert_int_equal(
      td_result_event(r, 12.25, TD_DIR_S2C, "HTTP/1.1 200 OK", NULL), 0);
  return r;
}

/* ---- the escaper --------------------------------------------------------- */

static void test_json_str_escapes_quote_and_backslash(void **state) {
  (void)state;
  char *lit = literal("a\"b\\c/", 6);
  assert_string_equal(lit, "\"a\\\"b\\\\c/\"");
  free(lit);
  RT("\"\\\"\\", "\"\\\"\\");
}

static void test_json_str_escapes_controls(void **state) {
  (void)state;
  char *lit = literal("\n\r\t\b\f\x01\x1f\x7f", 8);
  assert_string_equal(lit, "\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"");
  free(lit);
  char all[32];
  for (int i = 0; i < 32; i++) all[i] = (char)i;
  roundtrip(all, 32, all, 32);
}

static void test_json_str_escapes_nul_inside_length(void **state) {
  (void)state;
  char *lit = literal("a\0b", 3);
  assert_string_equal(lit, "\"a\\u0000b\"");
  free(lit);
  roundtrip("a\0b\0", 4, "a\0b\0", 4);
}

static void test_json_str_escapes_terminal_sequences(void **state) {
  (void)state;
  static const char seq[] = "\x1b[31mred\x1b[0m\x1b]0;title\x07";
  char *lit = literal(seq, sizeof(seq) - 1);
  assert_string_equal(lit,
                      "\"\\u001b[31mred\\u001b[0m\\u001b]0;title\\u0007\"");
  free(lit);
  RT("\x1b[2J\x1b[H", "\x1b[2J\x1b[H");
}

static void test_json_str_replaces_invalid_utf8(void **state) {
  (void)state;
  /* one U+FFFD per maximal ill-formed subpart */
  RT("a\x80z", "a" FFFD "z");                      /* lone continuation */
  RT("\xC0\xAF", FFFD FFFD);                       /* overlong 2-byte */
  RT("\xC1\xBF", FFFD FFFD);                       /* overlong 2-byte */
  RT("\xE0\x80\xAF", FFFD FFFD FFFD);              /* overlong 3-byte */
  RT("\xF0\x80\x80\xAF", FFFD FFFD FFFD FFFD);     /* overlong 4-byte */
  RT("\xED\xA0\x80", FFFD FFFD FFFD);              /* high surrogate */
  RT("\xED\xBF\xBF", FFFD FFFD FFFD);              /* low surrogate */
  RT("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);     /* > U+10FFFF */
  RT("\xF5\x80\x80\x80", FFFD FFFD FFFD FFFD);     /* invalid lead */
  RT("\xFE\xFF", FFFD FFFD);                       /* never valid */
  RT("x\xE2\x82y", "x" FFFD "y");                  /* truncated 3-byte */
  RT("x\xF0\x9F\x94", "x" FFFD);                   /* truncated at end */
  RT("\xC3", FFFD);                                /* truncated 2-byte */
  RT("\xE2\x82\xAC\xE2\x82", "\xE2\x82\xAC" FFFD); /* valid, truncated */
}

static void test_json_str_keeps_valid_utf8(void **state) {
  (void)state;
  const char *s = "b\xC3\xBC"
                  "cher \xE6\x97\xA5\xE6\x9C\xAC "
                  "\xF0\x9F\x94\x92 \xEF\xBF\xBF \xF4\x8F\xBF\xBF";
  char *lit = literal(s, strlen(s));
  /* unchanged bytes between the quotes */
  assert_int_equal(strlen(lit), strlen(s) + 2);
  assert_memory_equal(lit + 1, s, strlen(s));
  free(lit);
  roundtrip(s, strlen(s), s, strlen(s));
}

static void test_json_str_escapes_line_separators(void **state) {
  (void)state;
  char *lit = literal("a\xE2\x80\xA8"
                      "b\xE2\x80\xA9",
                      8);
  assert_string_equal(lit, "\"a\\u2028b\\u2029\"");
  free(lit);
  RT("\xE2\x80\xA8\xE2\x80\xA9", "\xE2\x80\xA8\xE2\x80\xA9");
}

static void test_json_str_keeps_bidi_marks_as_data(void **state) {
  (void)state;
  /* RLO, RLM, LRI, PDI: valid UTF-8, carried exactly (JSON is data) */
  RT("moc.\xE2\x80\xAE"
     "evil\xE2\x80\x8F\xE2\x81\xA6x\xE2\x81\xA9",
     "moc.\xE2\x80\xAE"
     "evil\xE2\x80\x8F\xE2\x81\xA6x\xE2\x81\xA9");
}

static void test_json_str_random_bytes_always_valid(void **state) {
  (void)state;
  uint32_t x = 2463534242u; /* xorshift32: reproducible */
  char in[64];
  for (int iter = 0; iter < 3000; iter++) {
    size_t n = (size_t)(iter % 64);
    for (size_t i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      /* bias towards interesting bytes */
      in[i] = (char)((x & 0x100) ? (0x80 | (x & 0x7F)) : (x & 0xFF));
    }
    char *lit = literal(in, n);
    json_t *j = parse(lit, strlen(lit));
    assert_true(json_is_string(j));
    json_decref(j);
    free(lit);
  }
}

static void test_json_cstr_null_is_null(void **state) {
  (void)state;
  td_buf_t b;
  td_buf_init(&b);
  td_json_cstr(&b, NULL);
  td_buf_putc(&b, ' ');
  td_json_cstr(&b, "");
  assert_string_equal(b.data, "null \"\"");
  td_buf_free(&b);
}

/* ---- the result ---------------------------------------------------------- */

static void test_json_empty_result_is_valid(void **state) {
  (void)state;
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  r->host = dup("example.com");
  for (int pretty = 0; pretty < 2; pretty++) {
    json_t *j = render_parse(r, pretty);
    str_at(j, "schema", "tlsdiag/1");
    str_at(j, "tool.name", "tlsdiag");
    str_at(j, "tool.version", tlsdiag_version_str());
    str_at(j, "target.host", "example.com");
    null_at(j, "target.ace");
    null_at(j, "target.sni");
    int_at(j, "target.port", 0);
    null_at(j, "time.now");
    null_at(j, "time.started");
    bool_at(j, "ok", 1);
    str_at(j, "cause", "ok");
    str_at(j, "message", "no problem found");
    size_at(j, "findings", 0);
    str_at(j, "phases.dns.status", "not_run");
    str_at(j, "phases.http.status", "not_run");
    null_at(j, "phases.tls.gnutls_error");
    size_at(j, "phases.dns.addresses", 0);
    null_at(j, "tls.version");
    null_at(j, "tls.verify");
    null_at(j, "tls.probes");
    null_at(j, "tls.alert");
    null_at(j, "tls.alert_number");
    size_at(j, "chain", 0);
    null_at(j, "http.status");
    null_at(j, "http.date");
    null_at(j, "http.server_clock_offset_s");
    null_at(j, "http.headers.strict-transport-security");
    size_at(j, "timeline", 0);
    real_at(j, "total_ms", 0.0);
    json_decref(j);
  }
  tlsdiag_result_free(r);
}

static void test_json_full_result_round_trips(void **state) {
  (void)state;
  tlsdiag_result_t *r = full_result();
  json_t *j = render_parse(r, 0);

  str_at(j, "target.host",
         "b\xC3\xBC"
         "cher.tlsdiag.test");
  str_at(j, "target.ace", "xn--bcher-kva.tlsdiag.test");
  str_at(j, "target.sni", "xn--bcher-kva.tlsdiag.test");
  int_at(j, "target.port", 443);
  bool_at(j, "target.ip_literal", 0);
  str_at(j, "options.tls_min", "TLS1.2");
  str_at(j, "options.tls_max", "TLS1.3");
  int_at(j, "options.warn_days", 30);
  int_at(j, "options.clock_skew_s", 300);
  str_at(j, "time.now", "2026-01-01T00:00:00Z");
  bool_at(j, "time.clock_override", 1);
  str_at(j, "time.started", "2026-01-01T00:00:07Z");

  bool_at(j, "ok", 0);
  str_at(j, "cause", "cert_expired");
  str_at(j, "message", "the certificate expired 10 days ago");

  size_at(j, "findings", 2);
  str_at(j, "findings.0.code", "cert_expired");
  str_at(j, "findings.0.severity", "error");
  str_at(j, "findings.0.message", "the certificate expired 10 days ago");
  str_at(j, "findings.0.evidence.not_after", "2025-12-22T00:00:00Z");
  str_at(j, "findings.0.evidence.now", "2026-01-01T00:00:00Z");
  int_at(j, "findings.0.evidence.days", -10);
  bool_at(j, "findings.0.evidence.clock_override", 1);
  size_at(j, "findings.0.evidence.sans", 2);
  str_at(j, "findings.0.evidence.sans.0", "xn--bcher-kva.tlsdiag.test");
  str_at(j, "findings.0.evidence.sans.1", "127.0.0.1");
  str_at(j, "findings.1.code", "hsts_header_missing");
  str_at(j, "findings.1.severity", "warning");
  size_at(j, "findings.1.evidence", 0);

  str_at(j, "phases.dns.status", "ok");
  real_at(j, "phases.dns.ms", 1.235); /* three decimals */
  real_at(j, "phases.dns.start_ms", 0.0);
  null_at(j, "phases.dns.error");
  null_at(j, "phases.dns.server");
  bool_at(j, "phases.dns.pinned", 0);
  str_at(j, "phases.dns.addresses.0.address", "127.0.0.1");
  str_at(j, "phases.dns.addresses.0.family", "ipv4");
  str_at(j, "phases.dns.addresses.1.address", "::1");
  str_at(j, "phases.dns.addresses.1.family", "ipv6");
  int_at(j, "phases.dns.ares_status", 0);
  str_at(j, "phases.tcp.connected", "127.0.0.1");
  str_at(j, "phases.tcp.local", "127.0.0.1:5555");
  str_at(j, "phases.tcp.attempts.0.address", "127.0.0.1");
  str_at(j, "phases.tcp.attempts.0.status", "ok");
  real_at(j, "phases.tcp.attempts.0.ms", 0.5);
  int_at(j, "phases.tcp.attempts.0.errno", 0);
  null_at(j, "phases.tcp.attempts.0.error");
  str_at(j, "phases.tls.status", "ok");
  real_at(j, "phases.tls.ms", 7.0);
  null_at(j, "phases.tls.gnutls_error");
  str_at(j, "phases.http.status", "ok");
  int_at(j, "phases.http.head_bytes", 120);

  str_at(j, "tls.version", "TLS1.3");
  str_at(j, "tls.cipher", "TLS_AES_256_GCM_SHA384");
  str_at(j, "tls.kx", "ECDHE");
  str_at(j, "tls.group", "X25519");
  str_at(j, "tls.alpn", "http/1.1");
  str_at(j, "tls.signature", "ECDSA-SECP256R1-SHA256");
  bool_at(j, "tls.ocsp_stapled", 1);
  bool_at(j, "tls.session_ticket", 1);
  bool_at(j, "tls.resumed", 0);
  int_at(j, "tls.verify.status", 0x402);
  str_at(j, "tls.verify.text",
         "The certificate chain uses expired certificate.");
  /* A path to the root and the name, but the leaf expired 10 days before
   * the judged time: never "trusted". */
  bool_at(j, "tls.verify.trusted", 0);
  bool_at(j, "tls.verify.chain_to_root", 1);
  bool_at(j, "tls.verify.name_ok", 1);
  bool_at(j, "tls.verify.dates_ok", 0);
  str_at(j, "tls.verify.judged_at", "2026-01-01T00:00:00Z");
  str_at(j, "tls.verify.ocsp", "good");
  str_at(j, "tls.verify.ocsp_this_update", "2025-12-31T23:00:00Z");
  null_at(j, "tls.verify.ocsp_next_update");
  null_at(j, "tls.probes");

  size_at(j, "chain", 2);
  str_at(j, "chain.0.subject",
         "CN=b\xC3\xBC"
         "cher.tlsdiag.test");
  str_at(j, "chain.0.issuer", "CN=tlsdiag Test CA,O=tlsdiag");
  str_at(j, "chain.0.common_name",
         "b\xC3\xBC"
         "cher.tlsdiag.test");
  str_at(j, "chain.0.sans.0.type", "dns");
  str_at(j, "chain.0.sans.0.value", "xn--bcher-kva.tlsdiag.test");
  str_at(j, "chain.0.sans.1.type", "ip");
  str_at(j, "chain.0.serial", "01ab");
  str_at(j, "chain.0.not_after", "2025-12-22T00:00:00Z");
  int_at(j, "chain.0.days_left", -10);
  str_at(j, "chain.0.key_type", "ECDSA");
  int_at(j, "chain.0.key_bits", 256);
  str_at(j, "chain.0.signature_algorithm", "ECDSA-SHA256");
  bool_at(j, "chain.0.weak_signature", 0);
  str_at(j, "chain.0.sha256_fingerprint",
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  bool_at(j, "chain.0.is_ca", 0);
  null_at(j, "chain.0.aia_ca_issuers");
  str_at(j, "chain.0.ocsp_url", "http://ocsp.tlsdiag.test/");
  bool_at(j, "chain.1.is_ca", 1);
  bool_at(j, "chain.1.self_signed", 1);
  int_at(j, "chain.1.days_left", 1000);

  str_at(j, "http.method", "HEAD");
  str_at(j, "http.request", "HEAD / HTTP/1.1");
  int_at(j, "http.status", 200);
  str_at(j, "http.status_line", "HTTP/1.1 200 OK");
  str_at(j, "http.version", "HTTP/1.1");
  str_at(j, "http.headers.date", "Thu, 01 Jan 2026 00:02:00 GMT");
  str_at(j, "http.headers.server", "tdserver");
  null_at(j, "http.headers.location");
  null_at(j, "http.headers.strict-transport-security");
  size_at(j, "http.all_headers", 4);
  str_at(j, "http.all_headers.2.0", "X-Dup");
  str_at(j, "http.all_headers.3.1", "2");
  str_at(j, "http.date", "2026-01-01T00:02:00Z");
  int_at(j, "http.server_clock_offset_s", 113);

  size_at(j, "timeline", 9);
  real_at(j, "timeline.0.t_ms", 0.01);
  str_at(j, "timeline.0.dir", "c2dns");
  str_at(j, "timeline.1.dir", "dns2c");
  str_at(j, "timeline.2.dir", "c2s");
  str_at(j, "timeline.3.dir", "s2c");
  str_at(j, "timeline.4.what", "ClientHello");
  str_at(j, "timeline.4.detail", "SNI=xn--bcher-kva.tlsdiag.test");
  str_at(j, "timeline.6.dir", "local");
  null_at(j, "timeline.2.detail");
  real_at(j, "total_ms", 12.346);

  json_decref(j);
  tlsdiag_result_free(r);
}

static void test_json_pretty_and_compact_agree(void **state) {
  (void)state;
  tlsdiag_result_t *r = full_result();
  size_t n;
  char *compact = render(r, 0, &n);
  char *pretty = render(r, 1, NULL);
  json_t *a = parse(compact, n), *b = parse(pretty, strlen(pretty));
  assert_true(json_equal(a, b));
  assert_null(memchr(compact, '\n', n));
  assert_true(compact[0] == '{' && compact[n - 1] == '}');
  assert_non_null(strstr(pretty, "{\n  \"schema\": \"tlsdiag/1\",\n"));
  assert_non_null(strstr(pretty, "\n    \"host\": "));
  assert_non_null(strstr(pretty, "\"findings\": [\n    {\n      \"code\""));
  /* header pairs stay on one line */
  assert_non_null(strstr(pretty, "\n      [\"Server\", \"tdserver\"],\n"));
  /* empty containers stay on one line */
  assert_non_null(strstr(pretty, "\"evidence\": {}"));
  assert_int_equal(pretty[strlen(pretty) - 1], '}');
  json_decref(a);
  json_decref(b);
  free(compact);
  free(pretty);
  tlsdiag_result_free(r);
}

/* Every line of the pretty form is indented two spaces per open container
 * (closers one level less), including the members anatomy.c and hsts.c
 * write: they go through the same writer, not a re-indenter. */
static void assert_indent_follows_nesting(const char *pretty) {
  int depth = 0, in_str = 0;
  const char *p = pretty;
  while (*p) {
    const char *line = p;
    int spaces = 0;
    while (line[spaces] == ' ') spaces++;
    int want = depth;
    if (line[spaces] == '}' || line[spaces] == ']') want--;
    if (spaces != 2 * want)
      fail_msg("indent %d, want %d: %.60s", spaces, 2 * want, line);
    for (; *p && *p != '\n'; p++) {
      if (in_str) {
        if (*p == '\\') p++;
        else if (*p == '"') in_str = 0;
      } else if (*p == '"') {
        in_str = 1;
      } else if (*p == '{' || *p == '[') {
        depth++;
      } else if (*p == '}' || *p == ']') {
        depth--;
      }
    }
    if (*p) p++;
  }
  assert_int_equal(depth, 0);
}

static void test_json_pretty_indent_follows_nesting(void **state) {
  (void)state;
  for (int v13 = 0; v13 < 2; v13++) {
    tlsdiag_result_t *r = full_result();
    td_anatomy_t *a = &r->anat;
    r->tls_version_num = v13 ? TLSDIAG_TLS1_3 : TLSDIAG_TLS1_2;
    a->prf_hash = dup("SHA256");
    a->hash_bytes = 32;
    a->key_bytes = 16;
    a->iv_bytes = 12;
    a->offered[0].group = 0x1d;
    a->offered[0].bytes = 32;
    a->noffered = 1;
    a->server_share = a->offered[0];
    a->resume_tried = 1;
    a->resume_error = dup("no \"ticket\"}]");
    char *pretty = render(r, 1, NULL);
    assert_non_null(strstr(pretty, "\n  \"key_schedule\": {\n"));
    assert_non_null(strstr(pretty, "\n    \"resumption\": {\n"));
    assert_indent_follows_nesting(pretty);
    free(pretty);
    tlsdiag_result_free(r);
  }
}

/* The public quoting the CLI uses for its own JSON is td_json_str's. */
static void test_json_quote_public_matches_writer(void **state) {
  (void)state;
  static const char in[] = "a\"b\\c\n\x01\x7f\xff\xe2\x82!\xe2\x80\xa8\xc3\xa9";
  char *q = NULL;
  size_t n = 99;
  assert_int_equal(tlsdiag_json_quote(in, sizeof(in) - 1, &q, &n), TLSDIAG_OK);
  char *want = literal(in, sizeof(in) - 1);
  assert_string_equal(q, want);
  assert_int_equal(n, strlen(want));
  assert_string_equal(q, "\"a\\\"b\\\\c\\n\\u0001\\u007f" FFFD FFFD
                         "!\\u2028\xc3\xa9\"");
  free(want);
  tlsdiag_free(q);
  assert_int_equal(tlsdiag_json_quote(NULL, 0, &q, NULL), TLSDIAG_OK);
  assert_string_equal(q, "\"\"");
  tlsdiag_free(q);
  q = (char *)1;
  assert_int_equal(tlsdiag_json_quote(NULL, 1, &q, &n), TLSDIAG_E_INVAL);
  assert_null(q);
  assert_int_equal(n, 0);
  assert_int_equal(tlsdiag_json_quote("x", 1, NULL, NULL), TLSDIAG_E_INVAL);
}

static void test_json_top_level_key_order_is_stable(void **state) {
  (void)state;
  static const char *const want[] = {
      "schema", "tool",  "target",  "options",  "time",
      "ok",     "cause", "message", "findings", "phases",
      "tls",    "chain", "expiry",  "http",     "hsts",     "anatomy",
      "key_schedule", "timeline", "total_ms", "queued_ms"};
  tlsdiag_result_t *r = full_result();
  char *pretty = render(r, 1, NULL);
  size_t k = 0;
  for (char *line = strtok(pretty, "\n"); line; line = strtok(NULL, "\n")) {
    if (strncmp(line, "  \"", 3) != 0) continue; /* only depth 1 */
    assert_true(k < sizeof(want) / sizeof(want[0]));
    size_t l = strlen(want[k]);
    assert_memory_equal(line + 3, want[k], l);
    assert_int_equal(line[3 + l], '"');
    k++;
  }
  assert_int_equal(k, sizeof(want) / sizeof(want[0]));
  free(pretty);
  tlsdiag_result_free(r);
}

static void test_json_format_is_one_line_with_newline(void **state) {
  (void)state;
  tlsdiag_result_t *r = full_result();
  /* hostile text with newlines everywhere the network reaches */
  free(r->http_status_line);
  r->http_status_line = dup("HTTP/1.1 200 OK\r\nX: y\n");
  free(r->chain[0].subject);
  r->chain[0].subject = dup("CN=a\nb\rc\xE2\x80\xA8");
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &out, &len),
                   TLSDIAG_OK);
  assert_non_null(out);
  assert_int_equal(strlen(out), len);
  assert_int_equal(out[len - 1], '\n');
  assert_ptr_equal(strchr(out, '\n'), out + len - 1);
  assert_null(strchr(out, '\r'));
  assert_null(strstr(out, "\xE2\x80\xA8"));
  json_t *j = parse(out, len);
  str_at(j, "http.status_line", "HTTP/1.1 200 OK\r\nX: y\n");
  str_at(j, "chain.0.subject", "CN=a\nb\rc\xE2\x80\xA8");
  json_decref(j);
  tlsdiag_free(out);

  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON,
                                         TLSDIAG_FMT_PRETTY, &out, &len),
                   TLSDIAG_OK);
  j = parse(out, len);
  json_decref(j);
  tlsdiag_free(out);
  tlsdiag_result_free(r);
}

static void test_json_hostile_fields_stay_valid(void **state) {
  (void)state;
  tlsdiag_result_t *r = full_result();
  free(r->chain[0].common_name);
  r->chain[0].common_name = dup("\x1b[31m\"evil\"\\\x7f\xC0\xAF\xED\xA0\x80");
  free(r->headers[1].value);
  r->headers[1].value = dup("nginx\x01\xFF");
  assert_int_equal(td_result_event(r, 13.0, TD_DIR_S2C, "Alert\"}]",
                                   "\xE2\x80\xAE"
                                   "txet"),
                   0);
  td_finding_t *f = td_finding_add(r, TLSDIAG_CAUSE_CERT_INVALID,
                                   TLSDIAG_SEVERITY_ERROR, "bad\tcert\n");
  assert_non_null(f);
  td_ev_str(f, "issuer\"", "O=\x1b]8;;http://x\x07");
  for (int pretty = 0; pretty < 2; pretty++) {
    json_t *j = render_parse(r, pretty);
    str_at(j, "chain.0.common_name",
           "\x1b[31m\"evil\"\\\x7f" FFFD FFFD FFFD FFFD FFFD);
    str_at(j, "http.headers.server", "nginx\x01" FFFD);
    str_at(j, "timeline.9.what", "Alert\"}]");
    str_at(j, "timeline.9.detail",
           "\xE2\x80\xAE"
           "txet");
    str_at(j, "findings.2.message", "bad\tcert\n");
    str_at(j, "findings.2.evidence.issuer\"", "O=\x1b]8;;http://x\x07");
    json_decref(j);
  }
  tlsdiag_result_free(r);
}

static void test_json_evidence_types_and_duplicate_keys(void **state) {
  (void)state;
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  r->host = dup("x.test");
  td_finding_t *f = td_finding_add(r, TLSDIAG_CAUSE_CLOCK_SKEW,
                                   TLSDIAG_SEVERITY_ERROR, "clock");
  assert_non_null(f);
  td_ev_int(f, "offset_s", -86400 * 400LL);
  td_ev_bool(f, "ahead", 0);
  td_ev_bool(f, "behind", 7);
  td_ev_list(f, "empty", NULL, 0);
  td_ev_str(f, "empty_str", "");
  td_ev_str(f, "offset_s", "second value, ignored");
  r->cause = TLSDIAG_CAUSE_CLOCK_SKEW;
  json_t *j = render_parse(r, 0); /* rejects duplicate keys */
  int_at(j, "findings.0.evidence.offset_s", -86400 * 400LL);
  bool_at(j, "findings.0.evidence.ahead", 0);
  bool_at(j, "findings.0.evidence.behind", 1);
  size_at(j, "findings.0.evidence.empty", 0);
  str_at(j, "findings.0.evidence.empty_str", "");
  size_at(j, "findings.0.evidence", 5);
  bool_at(j, "ok", 0);
  str_at(j, "cause", "clock_skew");
  str_at(j, "message", "clock");
  json_decref(j);
  tlsdiag_result_free(r);
}

static void test_json_numbers_never_nan_or_inf(void **state) {
  (void)state;
  tlsdiag_result_t *r = full_result();
  r->phase[TLSDIAG_PHASE_TLS].ms = NAN;
  r->phase[TLSDIAG_PHASE_DNS].start_ms = -INFINITY;
  r->total_ms = INFINITY;
  r->events[0].t_ms = NAN;
  size_t n;
  char *s = render(r, 0, &n);
  assert_null(strstr(s, "nan"));
  assert_null(strstr(s, "inf"));
  json_t *j = parse(s, n);
  null_at(j, "phases.tls.ms");
  null_at(j, "phases.dns.start_ms");
  null_at(j, "total_ms");
  null_at(j, "timeline.0.t_ms");
  json_decref(j);
  free(s);
  tlsdiag_result_free(r);
}

static void test_json_failure_details(void **state) {
  (void)state;
  tlsdiag_result_t *r = full_result();
  r->phase[TLSDIAG_PHASE_TLS].status = TLSDIAG_STATUS_FAILED;
  r->phase[TLSDIAG_PHASE_TLS].error = dup("handshake failed");
  r->phase[TLSDIAG_PHASE_HTTP].status = TLSDIAG_STATUS_NOT_RUN;
  r->tls_error = -110;
  r->tls_error_name = dup("GNUTLS_E_FATAL_ALERT_RECEIVED");
  r->tls_error_text = dup("A TLS fatal alert has been received.");
  r->tls_alert = dup("handshake_failure");
  r->tls_alert_num = 40;
  r->probed = 1;
  r->probes[0] = (td_probe_t){TLSDIAG_TLS1_0, 1, 1, NULL};
  r->probes[1] = (td_probe_t){TLSDIAG_TLS1_1, 0, 0, NULL};
  r->probes[2].version = TLSDIAG_TLS1_2;
  r->probes[2].ran = 1;
  r->probes[2].error = dup("protocol_version");
  r->verify.done = 0;
  r->verify.ocsp_status = 1;
  json_t *j = render_parse(r, 1);
  str_at(j, "phases.tls.status", "failed");
  str_at(j, "phases.tls.error", "handshake failed");
  int_at(j, "phases.tls.gnutls_error.code", -110);
  str_at(j, "phases.tls.gnutls_error.name", "GNUTLS_E_FATAL_ALERT_RECEIVED");
  str_at(j, "phases.tls.gnutls_error.text",
         "A TLS fatal alert has been received.");
  str_at(j, "phases.http.status", "not_run");
  str_at(j, "tls.alert", "handshake_failure");
  int_at(j, "tls.alert_number", 40);
  null_at(j, "tls.verify");
  size_at(j, "tls.probes", 2);
  str_at(j, "tls.probes.0.version", "TLS1.0");
  bool_at(j, "tls.probes.0.accepted", 1);
  null_at(j, "tls.probes.0.error");
  str_at(j, "tls.probes.1.version", "TLS1.2");
  bool_at(j, "tls.probes.1.accepted", 0);
  str_at(j, "tls.probes.1.error", "protocol_version");
  json_decref(j);
  tlsdiag_result_free(r);
}

static void test_json_root_message_falls_back_to_description(void **state) {
  (void)state;
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  r->cause = TLSDIAG_CAUSE_TCP_REFUSED; /* no finding carries it */
  json_t *j = render_parse(r, 0);
  null_at(j, "target.host");
  str_at(j, "cause", "tcp_refused");
  str_at(j, "message", "the server refused the TCP connection");
  json_decref(j);
  tlsdiag_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_str_escapes_quote_and_backslash),
      cmocka_unit_test(test_json_str_escapes_controls),
      cmocka_unit_test(test_json_str_escapes_nul_inside_length),
      cmocka_unit_test(test_json_str_escapes_terminal_sequences),
      cmocka_unit_test(test_json_str_replaces_invalid_utf8),
      cmocka_unit_test(test_json_str_keeps_valid_utf8),
      cmocka_unit_test(test_json_str_escapes_line_separators),
      cmocka_unit_test(test_json_str_keeps_bidi_marks_as_data),
      cmocka_unit_test(test_json_str_random_bytes_always_valid),
      cmocka_unit_test(test_json_cstr_null_is_null),
      cmocka_unit_test(test_json_empty_result_is_valid),
      cmocka_unit_test(test_json_full_result_round_trips),
      cmocka_unit_test(test_json_pretty_and_compact_agree),
      cmocka_unit_test(test_json_pretty_indent_follows_nesting),
      cmocka_unit_test(test_json_quote_public_matches_writer),
      cmocka_unit_test(test_json_top_level_key_order_is_stable),
      cmocka_unit_test(test_json_format_is_one_line_with_newline),
      cmocka_unit_test(test_json_hostile_fields_stay_valid),
      cmocka_unit_test(test_json_evidence_types_and_duplicate_keys),
      cmocka_unit_test(test_json_numbers_never_nan_or_inf),
      cmocka_unit_test(test_json_failure_details),
      cmocka_unit_test(test_json_root_message_falls_back_to_description),
  };
  return td_run_tests(tests, NULL, NULL);
}
