/* test_diagnose.c: every diagnosis end to end: a real handshake on loopback
 * against a local server built for the case, the cause, the findings and
 * their key evidence asserted through the library API and through
 * `tlsdiag check --json` (exit code included). */
#include "tdtest.h"

#include <sched.h>

#define DAY 86400

typedef struct {
  const char *host;     /* name checked (pinned to 127.0.0.1) */
  tdserver_mode_t mode;
  const char *cert;     /* tdcerts case served */
  const char *priority; /* server priority, NULL = NORMAL */
  int alert;
  int64_t date_offset;  /* server Date = real time + this */
  /* client side */
  const char *cafile;   /* NULL = our test root */
  tlsdiag_tls_version_t tls_min, tls_max;
  int64_t now_offset;   /* client clock override = real time + this */
  int real_clock;       /* no override (--now) at all: dates at the real
                           clock */
  int max_time_ms;
  const char *raw;      /* TDS_RAW_RESPONSE */
  size_t raw_len;
  const unsigned char *ocsp; /* staple served instead of the case's own */
  size_t ocsp_len;
} dcase_t;

typedef tt_both_t run_t;

static const char *version_arg(tlsdiag_tls_version_t v) {
  return v == TLSDIAG_TLS1_0   ? "1.0"
         : v == TLSDIAG_TLS1_1 ? "1.1"
         : v == TLSDIAG_TLS1_2 ? "1.2"
                               : "1.3";
}

static char *unknown_root_file(void) {
  static char path[160];
  snprintf(path, sizeof(path), "%s/unknown-root.pem", tt_dir);
  return path;
}

static void run_case(const dcase_t *c, run_t *out) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, c->mode, c->cert);
  cfg.priority = c->priority;
  if (c->alert) cfg.alert = c->alert;
  cfg.date_offset_s = c->date_offset;
  cfg.raw_response = c->raw;
  cfg.raw_len = c->raw_len;
  if (c->ocsp) {
    cfg.ocsp_der = c->ocsp;
    cfg.ocsp_len = c->ocsp_len;
  }
  out->s = tt_server_cfg(&cfg);
  uint16_t port = tdserver_port(out->s);
  tt_opts_t t;
  tt_opts(&t, c->host, port);
  if (c->cafile) t.o.cafile = c->cafile;
  if (c->tls_min) t.o.tls_min = c->tls_min;
  if (c->tls_max) t.o.tls_max = c->tls_max;
  t.o.now += c->now_offset;
  if (c->real_clock) t.o.now = 0;
  if (c->max_time_ms) t.o.max_time_ms = c->max_time_ms;
  /* Through the library and the CLI, with the same limits and versions. */
  char cto[32], mt[32];
  snprintf(cto, sizeof(cto), "%.3f", t.o.connect_timeout_ms / 1000.0);
  snprintf(mt, sizeof(mt), "%.3f", t.o.max_time_ms / 1000.0);
  const char *args[16] = {0};
  size_t n = 0;
  args[n++] = "--connect-timeout";
  args[n++] = cto;
  args[n++] = "--max-time";
  args[n++] = mt;
  if (c->tls_min) {
    args[n++] = "--tls-min";
    args[n++] = version_arg(c->tls_min);
  }
  if (c->tls_max) {
    args[n++] = "--tls-max";
    args[n++] = version_arg(c->tls_max);
  }
  tt_check_both(c->host, &t, args, out);
}

/* The exact list of finding codes, in report order. */
static void expect_findings(run_t *r, const char *const *codes) {
  size_t n = 0;
  while (codes[n]) n++;
  td_buf_t got;
  td_buf_init(&got);
  for (size_t i = 0; i < tlsdiag_result_finding_count(r->r); i++)
    td_buf_printf(&got, "%s ", tlsdiag_cause_name(tlsdiag_result_finding_code(r->r, i)));
  td_buf_t want;
  td_buf_init(&want);
  for (size_t i = 0; i < n; i++) td_buf_printf(&want, "%s ", codes[i]);
  if (strcmp(got.data ? got.data : "", want.data ? want.data : ""))
    fail_msg("findings [%s], expected [%s]", got.data ? got.data : "",
             want.data ? want.data : "");
  assert_int_equal(json_array_size(tt_jget(r->cli, "findings")), n);
  td_buf_free(&got);
  td_buf_free(&want);
}

static const char *ev(run_t *r, tlsdiag_cause_t code, const char *key) {
  long i = tlsdiag_result_find(r->r, code);
  if (i < 0) fail_msg("no finding %s", tlsdiag_cause_name(code));
  const char *v = tlsdiag_result_finding_evidence(r->r, (size_t)i, key);
  if (!v) fail_msg("finding %s has no evidence '%s'", tlsdiag_cause_name(code), key);
  return v;
}

static tlsdiag_severity_t sev(run_t *r, tlsdiag_cause_t code) {
  long i = tlsdiag_result_find(r->r, code);
  assert_true(i >= 0);
  return tlsdiag_result_finding_severity(r->r, (size_t)i);
}

static void iso(int64_t t, char out[32]) { td_time_iso(t, out); }

/* ---- the cases --------------------------------------------------------- */

static void test_diagnose_ok(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_HTTP, .cert = "valid"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_OK);
  expect_findings(&r, (const char *[]){NULL});
  tt_both_free(&r);
}

static void test_diagnose_cert_expired(void **state) {
  (void)state;
  dcase_t c = {.host = "expired.tlsdiag.test", .mode = TDS_HTTP, .cert = "expired"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_EXPIRED);
  expect_findings(&r, (const char *[]){"cert_expired", NULL});
  char want[32];
  iso(tdcerts_now(tt_pki) - 10 * DAY, want);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_EXPIRED, "not_after"), want);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_EXPIRED, "days"), "-10");
  assert_non_null(ev(&r, TLSDIAG_CAUSE_CERT_EXPIRED, "now"));
  /* the chain is reported even though it failed */
  assert_int_equal(json_array_size(tt_jget(r.cli, "chain")), 2);
  tt_both_free(&r);
}

static void test_diagnose_cert_not_yet_valid(void **state) {
  (void)state;
  dcase_t c = {.host = "future.tlsdiag.test", .mode = TDS_HTTP, .cert = "not_yet_valid"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_NOT_YET_VALID);
  expect_findings(&r, (const char *[]){"cert_not_yet_valid", NULL});
  char want[32];
  iso(tdcerts_now(tt_pki) + 10 * DAY, want);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_NOT_YET_VALID, "not_before"), want);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_NOT_YET_VALID, "days"), "10");
  tt_both_free(&r);
}

/* The client's real clock is 200 days ahead of the world: by it the
 * certificate expired, by the server's Date it is valid, so the clock is
 * blamed. The world (server Date, certificate dates) is moved 200 days
 * back instead of our clock: the same configuration, seen from here.
 * (--now is never skew: see test_verdicts.) */
static void test_diagnose_clock_skew_explains_expiry(void **state) {
  (void)state;
  dcase_t c = {.host = "expired.tlsdiag.test", .mode = TDS_HTTP,
               .cert = "expired", .date_offset = -200 * DAY,
               .real_clock = 1};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CLOCK_SKEW);
  expect_findings(&r, (const char *[]){"clock_skew", NULL});
  long off = atol(ev(&r, TLSDIAG_CAUSE_CLOCK_SKEW, "offset_s"));
  /* our clock: real time; theirs: real time - 200 days */
  assert_true(off >= 200 * DAY && off < 200 * DAY + 120);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CLOCK_SKEW, "clock"), "local");
  assert_non_null(ev(&r, TLSDIAG_CAUSE_CLOCK_SKEW, "server_time"));
  assert_non_null(ev(&r, TLSDIAG_CAUSE_CLOCK_SKEW, "local_time"));
  assert_non_null(ev(&r, TLSDIAG_CAUSE_CLOCK_SKEW, "not_after"));
  tt_both_free(&r);
}

/* A server whose own clock is far off but whose certificate is valid by
 * ours: only a warning. */
static void test_diagnose_clock_skew_warning_only(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_HTTP, .cert = "valid",
               .date_offset = -3600};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_OK);
  expect_findings(&r, (const char *[]){"clock_skew", NULL});
  assert_int_equal(sev(&r, TLSDIAG_CAUSE_CLOCK_SKEW), TLSDIAG_SEVERITY_WARNING);
  long off = atol(ev(&r, TLSDIAG_CAUSE_CLOCK_SKEW, "offset_s"));
  assert_true(off >= 3600 && off <= 3720);
  tt_both_free(&r);
}

/* Expired for real: the server's Date agrees with ours, no skew. */
static void test_diagnose_expired_not_skew_when_clocks_agree(void **state) {
  (void)state;
  dcase_t c = {.host = "expired.tlsdiag.test", .mode = TDS_HTTP, .cert = "expired",
               .date_offset = 60};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_EXPIRED);
  assert_int_equal(tlsdiag_result_find(r.r, TLSDIAG_CAUSE_CLOCK_SKEW), -1);
  tt_both_free(&r);
}

static void test_diagnose_cert_self_signed(void **state) {
  (void)state;
  dcase_t c = {.host = "self-signed.tlsdiag.test", .mode = TDS_HTTP, .cert = "self_signed"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_SELF_SIGNED);
  expect_findings(&r, (const char *[]){"cert_self_signed", NULL});
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_SELF_SIGNED, "subject"),
                      ev(&r, TLSDIAG_CAUSE_CERT_SELF_SIGNED, "issuer"));
  tt_both_free(&r);
}

static void test_diagnose_cert_untrusted_issuer(void **state) {
  (void)state;
  dcase_t c = {.host = "unknown-root.tlsdiag.test", .mode = TDS_HTTP, .cert = "unknown_root"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER);
  expect_findings(&r, (const char *[]){"cert_untrusted_issuer", NULL});
  assert_non_null(strstr(ev(&r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER, "missing_issuer"),
                         "tlsdiag Unknown Root CA"));
  tt_both_free(&r);
}

/* The server sends its root too: the chain ends in a root we don't trust. */
static void test_diagnose_untrusted_root_sent(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_HTTP, .cert = "with_root",
               .cafile = NULL};
  c.cafile = unknown_root_file(); /* trust something else */
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER);
  assert_non_null(strstr(ev(&r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER, "root"),
                         "tlsdiag Test Root CA"));
  tt_both_free(&r);
}

/* Only the leaf, its issuer unknown and its AIA host unreachable: a
 * missing intermediate and a private root look the same from the wire
 * (tests/test_aia.c fetches the issuer). */
static void test_diagnose_cert_unknown_issuer(void **state) {
  (void)state;
  dcase_t c = {.host = "incomplete.tlsdiag.test", .mode = TDS_HTTP, .cert = "no_intermediate"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER);
  expect_findings(&r, (const char *[]){"cert_unknown_issuer", NULL});
  assert_non_null(strstr(ev(&r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER, "missing_issuer"),
                         "tlsdiag Test Intermediate CA"));
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER, "aia_ca_issuers"),
                      "http://aia.tlsdiag.test/intermediate.der");
  tt_both_free(&r);
}

static void test_diagnose_cert_hostname_mismatch(void **state) {
  (void)state;
  dcase_t c = {.host = "wrong-host.tlsdiag.test", .mode = TDS_HTTP, .cert = "wrong_host"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  expect_findings(&r, (const char *[]){"cert_hostname_mismatch", NULL});
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH, "name"),
                      "wrong-host.tlsdiag.test");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH, "sans"),
                      "other.example");
  json_t *sans = NULL;
  json_t *f = json_array_get(tt_jget(r.cli, "findings"), 0);
  sans = json_object_get(json_object_get(f, "evidence"), "sans");
  assert_true(json_is_array(sans));
  assert_string_equal(json_string_value(json_array_get(sans, 0)), "other.example");
  tt_both_free(&r);
}

/* An IDN name whose A-label is not in the SANs: both forms in evidence. */
static void test_diagnose_idn_hostname_mismatch(void **state) {
  (void)state;
  dcase_t c = {.host = "m\xc3\xbcnchen.tlsdiag.test", .mode = TDS_HTTP, .cert = "idn"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH, "ace_name"),
                      "xn--mnchen-3ya.tlsdiag.test");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH, "sans"),
                      "xn--bcher-kva.tlsdiag.test");
  tt_both_free(&r);
}

static void test_diagnose_wildcard_matches_one_label(void **state) {
  (void)state;
  dcase_t ok = {.host = "a.wild.tlsdiag.test", .mode = TDS_HTTP, .cert = "wildcard"};
  run_t r;
  run_case(&ok, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_OK);
  tt_both_free(&r);
  /* RFC 6125: the wildcard covers one label only. */
  dcase_t deep = {.host = "a.b.wild.tlsdiag.test", .mode = TDS_HTTP, .cert = "wildcard"};
  run_case(&deep, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  tt_both_free(&r);
  dcase_t bare = {.host = "wild.tlsdiag.test", .mode = TDS_HTTP, .cert = "wildcard"};
  run_case(&bare, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  tt_both_free(&r);
}

/* No SAN at all: browsers ignore the CN, so does tlsdiag. */
static void test_diagnose_cn_only_is_mismatch(void **state) {
  (void)state;
  dcase_t c = {.host = "cn-only.tlsdiag.test", .mode = TDS_HTTP, .cert = "cn_only"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH, "common_name"),
                      "cn-only.tlsdiag.test");
  tt_both_free(&r);
}

static void test_diagnose_cert_revoked(void **state) {
  (void)state;
  dcase_t c = {.host = "revoked.tlsdiag.test", .mode = TDS_HTTP, .cert = "revoked"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_REVOKED);
  expect_findings(&r, (const char *[]){"cert_revoked", NULL});
  char want[32];
  iso(tdcerts_now(tt_pki) - DAY, want);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_REVOKED, "revoked_at"), want);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_REVOKED, "source"), "ocsp_staple");
  tt_both_free(&r);
}

static void test_diagnose_cert_weak_signature(void **state) {
  (void)state;
  dcase_t c = {.host = "sha1.tlsdiag.test", .mode = TDS_HTTP, .cert = "sha1"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE);
  expect_findings(&r, (const char *[]){"cert_weak_signature", NULL});
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE, "signature_algorithm"),
                      "ECDSA-SHA1");
  tt_both_free(&r);
}

static void test_diagnose_cert_weak_key(void **state) {
  (void)state;
  dcase_t c = {.host = "weak-key.tlsdiag.test", .mode = TDS_HTTP, .cert = "rsa1024"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_WEAK_KEY);
  expect_findings(&r, (const char *[]){"cert_weak_key", NULL});
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_WEAK_KEY, "key_bits"), "1024");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_WEAK_KEY, "key_type"), "RSA");
  tt_both_free(&r);
}

static void test_diagnose_cert_expires_soon(void **state) {
  (void)state;
  dcase_t c = {.host = "soon.tlsdiag.test", .mode = TDS_HTTP, .cert = "expiring_soon"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_OK);
  expect_findings(&r, (const char *[]){"cert_expires_soon", NULL});
  assert_int_equal(sev(&r, TLSDIAG_CAUSE_CERT_EXPIRES_SOON), TLSDIAG_SEVERITY_WARNING);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_EXPIRES_SOON, "days_left"), "9");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_CERT_EXPIRES_SOON, "warn_days"), "30");
  tt_both_free(&r);
}

static void test_diagnose_tls_legacy_version(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_HTTP, .cert = "valid",
               .priority = TDS_PRIORITY_TLS10_ONLY, .tls_min = TLSDIAG_TLS1_0};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_OK);
  /* TLS 1.0 has no AEAD suite: what it negotiates is CBC too. */
  expect_findings(&r, (const char *[]){"tls_legacy_version",
                                       "tls_legacy_cipher", NULL});
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_TLS_LEGACY_VERSION, "version"), "TLS1.0");
  tt_both_free(&r);
}

/* A TLS 1.0-only server against the default client (1.2-1.3). */
static void test_diagnose_tls_version_mismatch_old_server(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_HTTP, .cert = "valid",
               .priority = TDS_PRIORITY_TLS10_ONLY};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_TLS_VERSION_MISMATCH);
  expect_findings(&r, (const char *[]){"tls_version_mismatch", NULL});
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_TLS_VERSION_MISMATCH, "server_accepts"),
                      "TLS1.0");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_TLS_VERSION_MISMATCH, "client_allows"),
                      "TLS1.3, TLS1.2");
  assert_non_null(strstr(tlsdiag_result_finding_message(r.r, 0),
                         "server accepts {TLS1.0}; client allows {TLS1.3, TLS1.2}"));
  tt_both_free(&r);
}

/* A TLS 1.2-only server against a client demanding 1.3. */
static void test_diagnose_tls_version_mismatch_client_min(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_HTTP, .cert = "valid",
               .priority = TDS_PRIORITY_TLS12_ONLY, .tls_min = TLSDIAG_TLS1_3};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_TLS_VERSION_MISMATCH);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_TLS_VERSION_MISMATCH, "server_accepts"),
                      "TLS1.2");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_TLS_VERSION_MISMATCH, "client_allows"),
                      "TLS1.3");
  tt_both_free(&r);
}

static void test_diagnose_tls_cipher_mismatch(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_HTTP, .cert = "valid_rsa",
               .priority = TDS_PRIORITY_CIPHER_MISMATCH};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH);
  expect_findings(&r, (const char *[]){"tls_cipher_mismatch", NULL});
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH, "server_accepts"),
                      "TLS1.2");
  tt_both_free(&r);
}

static void test_diagnose_tls_handshake_failure_alert(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_ALERT, .alert = 80 /* internal_error */};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE, "alert"),
                      "internal_error");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE, "server_accepts"), "");
  tt_both_free(&r);
}

static void test_diagnose_tls_protocol_error(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_GARBAGE};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR);
  tt_both_free(&r);
}

static void test_diagnose_tls_connection_closed(void **state) {
  (void)state;
  dcase_t c = {.host = "localhost", .mode = TDS_CLOSE};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED);
  tt_both_free(&r);
}

static void test_diagnose_http_too_large(void **state) {
  (void)state;
  size_t n = 1024 * 1024;
  char *big = malloc(n + 64);
  int k = snprintf(big, 64, "HTTP/1.1 200 OK\r\nX-Big: ");
  memset(big + k, 'a', n);
  dcase_t c = {.host = "localhost", .mode = TDS_RAW_RESPONSE, .cert = "valid",
               .raw = big, .raw_len = n + (size_t)k};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_HTTP_TOO_LARGE);
  tt_both_free(&r);
  free(big);
}

static void test_diagnose_http_malformed(void **state) {
  (void)state;
  const char *raw = "SSH-2.0-OpenSSH_9.2\r\n\r\n";
  dcase_t c = {.host = "localhost", .mode = TDS_RAW_RESPONSE, .cert = "valid",
               .raw = raw, .raw_len = strlen(raw)};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_HTTP_MALFORMED);
  /* what answered instead of HTTP: the first line, as evidence */
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_HTTP_MALFORMED, "received"),
                      "SSH-2.0-OpenSSH_9.2");
  assert_string_equal(tt_jstr(r.cli, "findings.0.evidence.received"),
                      "SSH-2.0-OpenSSH_9.2");
  tt_both_free(&r);
}

/* An expired certificate for the wrong name from an unknown issuer: every
 * problem is a finding; the documented order picks the root cause. */
static void test_diagnose_several_problems_ordered(void **state) {
  (void)state;
  dcase_t c = {.host = "elsewhere.tlsdiag.test", .mode = TDS_HTTP, .cert = "expired"};
  c.cafile = unknown_root_file();
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER);
  expect_findings(&r, (const char *[]){"cert_untrusted_issuer",
                                        "cert_hostname_mismatch", "cert_expired",
                                        NULL});
  tt_both_free(&r);
}

/* ---- failures before TLS, through the API and the CLI ------------------ */

/* Runs `host` through the library (opts) and the CLI (args + host), and
 * asserts the cause in both and the CLI's exit code 2. */
static void both(const char *host, const tlsdiag_options_t *o,
                 const char *const *cli_args, tlsdiag_cause_t want) {
  /* The CLI takes HOST:PORT; the library the host and opts->port. */
  char target[300];
  if (o->port != 443) snprintf(target, sizeof(target), "%s:%u", host, o->port);
  else snprintf(target, sizeof(target), "%s", host);
  tlsdiag_result_t *r = tt_check(host, o);
  if (tlsdiag_result_cause(r) != want)
    fail_msg("library: cause %s, expected %s",
             tlsdiag_cause_name(tlsdiag_result_cause(r)), tlsdiag_cause_name(want));
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "cause"), tlsdiag_cause_name(want));
  json_decref(j);
  tlsdiag_result_free(r);
  const char *a[16] = {0};
  size_t n = 0;
  a[n++] = "check";
  a[n++] = "--json";
  for (size_t i = 0; cli_args && cli_args[i] && n < 14; i++) a[n++] = cli_args[i];
  a[n++] = target;
  char *out = NULL;
  int rc = tt_cli(&out, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
                  a[9], a[10], a[11], a[12], a[13], a[14], NULL);
  json_error_t err;
  json_t *cj = json_loads(out, JSON_REJECT_DUPLICATES, &err);
  if (!cj) fail_msg("CLI printed invalid JSON: %s", out);
  assert_string_equal(tt_jstr(cj, "cause"), tlsdiag_cause_name(want));
  assert_int_equal(rc, 2);
  json_decref(cj);
  free(out);
}

static void test_diagnose_dns_nxdomain_and_failure(void **state) {
  (void)state;
  tddns_t *d = NULL;
  assert_int_equal(tddns_start("127.0.0.1", &d), 0);
  assert_int_equal(tddns_set_behavior(d, "broken.tlsdiag.test", TDDNS_SERVFAIL), 0);
  char servers[64];
  snprintf(servers, sizeof(servers), "127.0.0.1:%u", tddns_port(d));
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.dns_servers = servers;
  o.cafile = tt_root;
  const char *args[] = {"--dns-server", servers, "--cacert", tt_root, NULL};
  both("missing.tlsdiag.test", &o, args, TLSDIAG_CAUSE_DNS_NXDOMAIN);
  both("broken.tlsdiag.test", &o, args, TLSDIAG_CAUSE_DNS_FAILURE);
  assert_int_equal(tddns_set_behavior(d, "slow.tlsdiag.test", TDDNS_DROP), 0);
  o.connect_timeout_ms = 400;
  const char *args2[] = {"--dns-server", servers, "--connect-timeout", "0.4", NULL};
  both("slow.tlsdiag.test", &o, args2, TLSDIAG_CAUSE_DNS_TIMEOUT);
  tddns_stop(d);
}

static void test_diagnose_tcp_and_tls_timeouts(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_NO_ACCEPT, NULL);
  tt_opts_t t;
  tt_opts(&t, "filtered.tlsdiag.test", tdserver_port(s));
  t.o.connect_timeout_ms = 400;
  const char *args[] = {"--resolve", t.pin, "--connect-timeout", "0.4", NULL};
  both("filtered.tlsdiag.test", &t.o, args, TLSDIAG_CAUSE_TCP_TIMEOUT);
  tdserver_stop(s);
  s = tt_server(TDS_SILENT, NULL);
  tt_opts(&t, "silent.tlsdiag.test", tdserver_port(s));
  t.o.connect_timeout_ms = 400;
  const char *args2[] = {"--resolve", t.pin, "--connect-timeout", "0.4", NULL};
  both("silent.tlsdiag.test", &t.o, args2, TLSDIAG_CAUSE_TLS_TIMEOUT);
  tdserver_stop(s);
}

static void test_diagnose_tcp_refused(void **state) {
  (void)state;
  uint16_t port = 0;
  int hold = tt_refusing_port("127.0.0.1", &port); /* bound, not listening */
  tt_opts_t t;
  tt_opts(&t, "closed.tlsdiag.test", port);
  const char *args[] = {"--resolve", t.pin, NULL};
  both("closed.tlsdiag.test", &t.o, args, TLSDIAG_CAUSE_TCP_REFUSED);
  close(hold);
}

/* A stapled OCSP response that cannot be used is a warning, not an
 * error: the check still passes (exit 0), with ocsp_staple_invalid and
 * why. Two ways: a GOOD response signed by a key that is not the CA's
 * (tdcerts' ocsp_bad_signature case), and bytes that are no OCSP response
 * at all. */
static void test_diagnose_ocsp_staple_invalid(void **state) {
  (void)state;
  dcase_t c = {.host = "ocsp-bad.tlsdiag.test", .mode = TDS_HTTP,
               .cert = "ocsp_bad_signature"};
  run_t r;
  run_case(&c, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_OK);
  expect_findings(&r, (const char *[]){"ocsp_staple_invalid", NULL});
  assert_int_equal(sev(&r, TLSDIAG_CAUSE_OCSP_STAPLE_INVALID),
                   TLSDIAG_SEVERITY_WARNING);
  const char *why = ev(&r, TLSDIAG_CAUSE_OCSP_STAPLE_INVALID, "error");
  if (strncmp(why, "the OCSP response signature does not verify (0x", 47))
    fail_msg("evidence error: %s", why);
  assert_true(json_is_true(tt_jget(r.cli, "tls.ocsp_stapled")));
  assert_string_equal(tt_jstr(r.cli, "findings.0.code"), "ocsp_staple_invalid");
  assert_string_equal(tt_jstr(r.cli, "findings.0.severity"), "warning");
  assert_string_equal(tt_jstr(r.cli, "findings.0.evidence.error"), why);
  tt_both_free(&r);

  static const unsigned char garbage[] = "this is not an OCSP response";
  dcase_t g = {.host = "localhost", .mode = TDS_HTTP, .cert = "valid",
               .ocsp = garbage, .ocsp_len = sizeof(garbage) - 1};
  run_case(&g, &r);
  tt_expect_cause(&r, TLSDIAG_CAUSE_OK);
  expect_findings(&r, (const char *[]){"ocsp_staple_invalid", NULL});
  assert_int_equal(sev(&r, TLSDIAG_CAUSE_OCSP_STAPLE_INVALID),
                   TLSDIAG_SEVERITY_WARNING);
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_OCSP_STAPLE_INVALID, "error"),
                      "the stapled OCSP response does not parse");
  assert_string_equal(tt_jstr(r.cli, "findings.0.evidence.error"),
                      "the stapled OCSP response does not parse");
  tt_both_free(&r);
}

/* A connect() that fails locally with an error that is neither refused,
 * unreachable nor a timeout: tcp_failure, with the address and the errno
 * as evidence. A link-local IPv6 address without a scope is such a case:
 * Linux rejects it at once with EINVAL, and no packet is sent. */
static void test_diagnose_tcp_failure(void **state) {
  (void)state;
  int probe = socket(AF_INET6, SOCK_STREAM, 0);
  if (probe < 0) TD_SKIP("no IPv6 sockets here");
  close(probe);
  const char *host = "failure.tlsdiag.test";
  tt_opts_t t;
  tt_opts(&t, NULL, 443);
  snprintf(t.pin, sizeof(t.pin), "%s:443:fe80::1", host);
  t.pins[0] = t.pin;
  t.pins[1] = NULL;
  t.o.resolve = t.pins;
  tlsdiag_result_t *r = tt_check(host, &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TCP_FAILURE);
  assert_false(tlsdiag_result_ok(r));
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_TCP),
                   TLSDIAG_STATUS_FAILED);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_TLS),
                   TLSDIAG_STATUS_NOT_RUN);
  long i = tlsdiag_result_find(r, TLSDIAG_CAUSE_TCP_FAILURE);
  assert_true(i >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "address"),
                      "fe80::1");
  const char *e = tlsdiag_result_finding_evidence(r, (size_t)i, "error");
  if (!e || !strstr(e, "(EINVAL)")) fail_msg("evidence error: %s", e ? e : "none");
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "findings.0.code"), "tcp_failure");
  assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
  assert_int_equal(json_integer_value(tt_jget(j, "phases.tcp.attempts.0.errno")),
                   EINVAL);
  json_decref(j);
  tlsdiag_result_free(r);
  /* the CLI agrees, exit 2 */
  const char *args[] = {"--resolve", t.pin, NULL};
  both(host, &t.o, args, TLSDIAG_CAUSE_TCP_FAILURE);
}

/* In an empty network namespace (loopback down) connects fail with
 * ENETUNREACH; a forked child enters it so this process keeps its own. */
static void test_diagnose_tcp_unreachable_library(void **state) {
  (void)state;
  if (geteuid() != 0) TD_SKIP("tcp_unreachable needs root (a network namespace)");
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    int cause = -1;
    if (unshare(CLONE_NEWNET) == 0) {
      tlsdiag_result_t *r = NULL;
      if (tlsdiag_check("127.0.0.1", NULL, &r) == TLSDIAG_OK)
        cause = (int)tlsdiag_result_cause(r);
      tlsdiag_result_free(r);
    } else {
      cause = -2;
    }
    if (write(pfd[1], &cause, sizeof(cause)) != sizeof(cause)) _exit(1);
    _exit(0);
  }
  close(pfd[1]);
  /* Bounded: a child that hangs is killed and fails the test. */
  int64_t deadline = td_mono_us() + (int64_t)(td_upper_ms(30000) * 1000.0);
  struct pollfd pp = {pfd[0], POLLIN, 0};
  int cause = -1, st = 0;
  int ready = poll(&pp, 1, (int)td_upper_ms(30000));
  ssize_t got = ready > 0 ? read(pfd[0], &cause, sizeof(cause)) : -1;
  close(pfd[0]);
  if (!tt_wait_child(pid, deadline, &st)) {
    tt_kill_child(pid);
    fail_msg("the namespace child did not finish in time");
  }
  assert_int_equal(got, sizeof(cause));
  if (cause == -2) TD_SKIP("no permission for a network namespace here");
  assert_int_equal(cause, TLSDIAG_CAUSE_TCP_UNREACHABLE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_diagnose_ok),
      cmocka_unit_test(test_diagnose_cert_expired),
      cmocka_unit_test(test_diagnose_cert_not_yet_valid),
      cmocka_unit_test(test_diagnose_clock_skew_explains_expiry),
      cmocka_unit_test(test_diagnose_clock_skew_warning_only),
      cmocka_unit_test(test_diagnose_expired_not_skew_when_clocks_agree),
      cmocka_unit_test(test_diagnose_cert_self_signed),
      cmocka_unit_test(test_diagnose_cert_untrusted_issuer),
      cmocka_unit_test(test_diagnose_untrusted_root_sent),
      cmocka_unit_test(test_diagnose_cert_unknown_issuer),
      cmocka_unit_test(test_diagnose_cert_hostname_mismatch),
      cmocka_unit_test(test_diagnose_idn_hostname_mismatch),
      cmocka_unit_test(test_diagnose_wildcard_matches_one_label),
      cmocka_unit_test(test_diagnose_cn_only_is_mismatch),
      cmocka_unit_test(test_diagnose_cert_revoked),
      cmocka_unit_test(test_diagnose_cert_weak_signature),
      cmocka_unit_test(test_diagnose_cert_weak_key),
      cmocka_unit_test(test_diagnose_cert_expires_soon),
      cmocka_unit_test(test_diagnose_tls_legacy_version),
      cmocka_unit_test(test_diagnose_tls_version_mismatch_old_server),
      cmocka_unit_test(test_diagnose_tls_version_mismatch_client_min),
      cmocka_unit_test(test_diagnose_tls_cipher_mismatch),
      cmocka_unit_test(test_diagnose_tls_handshake_failure_alert),
      cmocka_unit_test(test_diagnose_tls_protocol_error),
      cmocka_unit_test(test_diagnose_tls_connection_closed),
      cmocka_unit_test(test_diagnose_http_too_large),
      cmocka_unit_test(test_diagnose_http_malformed),
      cmocka_unit_test(test_diagnose_several_problems_ordered),
      cmocka_unit_test(test_diagnose_dns_nxdomain_and_failure),
      cmocka_unit_test(test_diagnose_tcp_and_tls_timeouts),
      cmocka_unit_test(test_diagnose_tcp_refused),
      cmocka_unit_test(test_diagnose_tcp_failure),
      cmocka_unit_test(test_diagnose_ocsp_staple_invalid),
      cmocka_unit_test(test_diagnose_tcp_unreachable_library),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
