/* test_verdicts.c: verdicts that must be true on real configurations,
 * end to end on loopback through the library and `tlsdiag check --json`
 * (exit code included): the clock override judges dates and is never
 * skew; a redirect to plain http; the verify evidence (chain to a root,
 * name, dates, verdict) and the session ticket facts. */
#include "tdtest.h"

#define DAY 86400
#define LIST TD_SOURCE_DIR "/tests/data/hsts/e2e.json"

typedef struct {
  const char *host;     /* name checked (pinned to 127.0.0.1) */
  const char *cert;     /* tdcerts case served */
  const char *priority; /* server priority, NULL = NORMAL */
  int64_t date_offset;  /* server Date = real time + this */
  int http_status;      /* 0: 200 */
  const char *headers;  /* extra response header lines */
  int session_tickets;
  unsigned ticket_lifetime_s; /* the server's ticket lifetime; 0 default */
  /* client side */
  int64_t now_offset;   /* the override (--now) = PKI time + 60 s + this */
  int real_clock;       /* no override at all */
  int with_list;        /* the e2e HSTS preload list */
  int resume;           /* --resume */
  const char *extra_arg; /* one more CLI argument (e.g. --explain) */
} vcase_t;

typedef tt_both_t vrun_t;

static tlsdiag_hsts_t *list;

static int setup(void **state) {
  if (tt_setup(state) != 0) return -1;
  char err[256];
  if (tlsdiag_hsts_load_ex(LIST, &list, err, sizeof(err)) != TLSDIAG_OK) {
    fprintf(stderr, "%s: %s\n", LIST, err);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  tlsdiag_hsts_free(list);
  return tt_teardown(state);
}

static void run(const vcase_t *c, vrun_t *out) {
  memset(out, 0, sizeof(*out));
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, c->cert);
  cfg.priority = c->priority;
  cfg.date_offset_s = c->date_offset;
  if (c->http_status) cfg.http_status = c->http_status;
  cfg.extra_headers = c->headers;
  cfg.session_tickets = c->session_tickets;
  cfg.ticket_lifetime_s = c->ticket_lifetime_s;
  cfg.alpn = "http/1.1";
  out->s = tt_server_cfg(&cfg);
  uint16_t port = tdserver_port(out->s);
  tt_opts_t t;
  tt_opts(&t, c->host, port);
  t.o.now += c->now_offset;
  if (c->real_clock) t.o.now = 0;
  if (c->with_list) t.o.hsts = list;
  if (c->resume) t.o.flags |= TLSDIAG_F_RESUME;
  const char *args[4] = {0};
  size_t n = 0;
  if (c->with_list) {
    args[n++] = "--hsts-list";
    args[n++] = LIST;
  }
  if (c->resume) args[n++] = "--resume";
  tt_check_both(c->host, &t, args, out);
}

/* The CLI's finding with this code, or NULL. */
static json_t *cli_finding(vrun_t *v, tlsdiag_cause_t code) {
  return tt_jfinding(v->cli, code);
}

static void expect_absent(vrun_t *v, tlsdiag_cause_t code) {
  if (tlsdiag_result_find(v->r, code) >= 0)
    fail_msg("unexpected finding %s: %s", tlsdiag_cause_name(code),
             tlsdiag_result_finding_message(
                 v->r, (size_t)tlsdiag_result_find(v->r, code)));
  assert_null(cli_finding(v, code));
}

/* The finding exists with this severity in the API and the CLI. */
static void expect_finding(vrun_t *v, tlsdiag_cause_t code,
                           tlsdiag_severity_t sev) {
  long i = tlsdiag_result_find(v->r, code);
  if (i < 0) fail_msg("no finding %s", tlsdiag_cause_name(code));
  assert_int_equal(tlsdiag_result_finding_severity(v->r, (size_t)i), sev);
  json_t *f = cli_finding(v, code);
  if (!f) fail_msg("the CLI has no finding %s", tlsdiag_cause_name(code));
  assert_string_equal(tt_jstr(f, "severity"), tlsdiag_severity_name(sev));
}

/* Evidence as text from the API; the CLI's must say the same. */
static const char *ev(vrun_t *v, tlsdiag_cause_t code, const char *key) {
  long i = tlsdiag_result_find(v->r, code);
  if (i < 0) fail_msg("no finding %s", tlsdiag_cause_name(code));
  const char *s = tlsdiag_result_finding_evidence(v->r, (size_t)i, key);
  if (!s) fail_msg("%s has no evidence %s", tlsdiag_cause_name(code), key);
  json_t *e = json_object_get(json_object_get(cli_finding(v, code), "evidence"),
                              key);
  if (!e) fail_msg("the CLI's %s has no evidence %s", tlsdiag_cause_name(code),
                   key);
  char buf[64];
  if (json_is_string(e)) assert_string_equal(json_string_value(e), s);
  else if (json_is_integer(e)) {
    snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(e));
    assert_string_equal(buf, s);
  } else if (json_is_boolean(e))
    assert_string_equal(json_is_true(e) ? "true" : "false", s);
  return s;
}

/* Evidence from the API only (a clock reading differs between the two
 * runs); the CLI must have the key too. */
static const char *ev_api(vrun_t *v, tlsdiag_cause_t code, const char *key) {
  long i = tlsdiag_result_find(v->r, code);
  if (i < 0) fail_msg("no finding %s", tlsdiag_cause_name(code));
  const char *s = tlsdiag_result_finding_evidence(v->r, (size_t)i, key);
  if (!s) fail_msg("%s has no evidence %s", tlsdiag_cause_name(code), key);
  assert_non_null(json_object_get(
      json_object_get(cli_finding(v, code), "evidence"), key));
  return s;
}

static void iso(int64_t t, char out[32]) { td_time_iso(t, out); }

/* ---- item 7: the clock override is a question, never skew --------------- */

/* "Will this certificate be valid in 400 days?" It will have expired; the
 * server's Date (the real time) is no evidence of a wrong clock. */
static void test_verdicts_now_ahead_judges_dates_not_skew(void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid", .now_offset = 400 * DAY};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_CERT_EXPIRED);
  expect_finding(&v, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR);
  expect_absent(&v, TLSDIAG_CAUSE_CLOCK_SKEW);
  /* the staple is judged by the real clock: fresh today */
  expect_absent(&v, TLSDIAG_CAUSE_OCSP_STAPLE_INVALID);
  assert_int_equal(tlsdiag_result_finding_count(v.r), 1);
  char want[32];
  iso(v.now, want);
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_CERT_EXPIRED, "now"), want);
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_CERT_EXPIRED, "clock"), "override");
  /* valid until PKI + 90 days; asked about PKI + 60 s + 400 days */
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_CERT_EXPIRED, "days"), "-310");
  iso(tdcerts_now(tt_pki) + 90 * DAY, want);
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_CERT_EXPIRED, "not_after"), want);
  assert_non_null(strstr(tlsdiag_result_finding_message(
                             v.r, (size_t)tlsdiag_result_find(
                                      v.r, TLSDIAG_CAUSE_CERT_EXPIRED)),
                         "(the time asked about)"));
  iso(v.now, want);
  assert_string_equal(tt_jstr(v.cli, "time.now"), want);
  assert_true(json_is_true(tt_jget(v.cli, "time.clock_override")));
  tt_both_free(&v);
}

static void test_verdicts_now_behind_judges_dates_not_skew(void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid", .now_offset = -60 * DAY};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_CERT_NOT_YET_VALID);
  expect_absent(&v, TLSDIAG_CAUSE_CLOCK_SKEW);
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_CERT_NOT_YET_VALID, "days"), "30");
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_CERT_NOT_YET_VALID, "clock"),
                      "override");
  tt_both_free(&v);
}

/* No override; the server's clock an hour behind the real one: a warning
 * about the clocks, as before. */
static void test_verdicts_server_date_hour_off_is_skew_warning(void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid", .date_offset = -3600,
               .real_clock = 1};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_OK);
  expect_finding(&v, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_WARNING);
  long off = atol(ev_api(&v, TLSDIAG_CAUSE_CLOCK_SKEW, "offset_s"));
  assert_true(off >= 3600 && off <= 3720);
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_CLOCK_SKEW, "threshold_s"), "300");
  assert_false(json_is_true(tt_jget(v.cli, "time.clock_override")));
  tt_both_free(&v);
}

/* Both at once: the dates are judged at the time asked about (expired),
 * and the skew is the real clock against the server's Date (one hour),
 * not the 400 days of the override. */
static void test_verdicts_skew_measured_on_real_clock_under_override(
    void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid", .date_offset = -3600,
               .now_offset = 400 * DAY};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_CERT_EXPIRED);
  expect_finding(&v, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_WARNING);
  long off = atol(ev_api(&v, TLSDIAG_CAUSE_CLOCK_SKEW, "offset_s"));
  assert_true(off >= 3600 && off <= 3720);
  int64_t local = 0;
  assert_int_equal(tlsdiag_time_parse(ev_api(&v, TLSDIAG_CAUSE_CLOCK_SKEW,
                                             "local_time"), &local),
                   TLSDIAG_OK);
  int64_t real = (int64_t)time(NULL);
  assert_true(local <= real && local > real - 120);
  tt_both_free(&v);
}

/* ---- item 8: a redirect to plain http ----------------------------------- */

static void test_verdicts_redirect_to_http_is_warning(void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid", .http_status = 301,
               .headers = "Location: http://localhost/login\r\n"};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_OK);
  expect_finding(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT,
                 TLSDIAG_SEVERITY_WARNING);
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "location"),
                      "http://localhost/login");
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "status"),
                      "301");
  assert_string_equal(
      ev(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "location_host"),
      "localhost");
  /* no list: nothing said about preloading */
  assert_null(tlsdiag_result_finding_evidence(
      v.r, (size_t)tlsdiag_result_find(v.r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT),
      "preloaded"));
  tt_both_free(&v);
}

/* valid.tlsdiag.test is preloaded: browsers never go to http://it, they go
 * back to https://it. */
static void test_verdicts_redirect_to_http_on_preloaded_host_is_error(
    void **state) {
  (void)state;
  vcase_t c = {.host = "valid.tlsdiag.test", .cert = "valid",
               .http_status = 302, .with_list = 1,
               .headers = "Location: HTTP://Valid.TLSdiag.test:8080/x\r\n"};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT);
  expect_finding(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT,
                 TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "location"),
                      "HTTP://Valid.TLSdiag.test:8080/x");
  assert_string_equal(
      ev(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "location_host"),
      "valid.tlsdiag.test");
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "preloaded"),
                      "true");
  assert_string_equal(
      ev(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "preload_entry"),
      "valid.tlsdiag.test");
  tt_both_free(&v);
}

/* The same host unlisted, with the list given: a warning, preloaded false. */
static void test_verdicts_redirect_to_http_unlisted_host_with_list(
    void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid", .http_status = 307,
               .with_list = 1, .headers = "Location: http://localhost/\r\n"};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_OK);
  expect_finding(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT,
                 TLSDIAG_SEVERITY_WARNING);
  assert_string_equal(ev(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "preloaded"),
                      "false");
  tt_both_free(&v);
}

static void test_verdicts_relative_and_https_redirects_are_fine(void **state) {
  (void)state;
  const char *locs[] = {"Location: /login\r\n", "Location: login?a=http://x\r\n",
                        "Location: https://localhost/\r\n",
                        "Location: //localhost/x\r\n"};
  for (size_t i = 0; i < sizeof(locs) / sizeof(locs[0]); i++) {
    vcase_t c = {.host = "valid.tlsdiag.test", .cert = "valid",
                 .http_status = 301, .headers = locs[i], .with_list = 1};
    vrun_t v;
    run(&c, &v);
    expect_absent(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT);
    assert_int_equal(tlsdiag_result_http_status(v.r), 301);
    tt_both_free(&v);
  }
}

/* A Location on a 200 is not a redirect. */
static void test_verdicts_location_without_redirect_is_fine(void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid",
               .headers = "Location: http://localhost/\r\n"};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_OK);
  expect_absent(&v, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT);
  tt_both_free(&v);
}

/* ---- item 9: evidence that is true -------------------------------------- */

/* tls.verify in one JSON: each part and the verdict. */
static void expect_verify(json_t *j, int trusted, int chain, int name,
                          int dates, const char *judged_at) {
  assert_int_equal(json_is_true(tt_jget(j, "tls.verify.trusted")), trusted);
  assert_true(json_is_boolean(tt_jget(j, "tls.verify.trusted")));
  assert_int_equal(json_is_true(tt_jget(j, "tls.verify.chain_to_root")), chain);
  assert_int_equal(json_is_true(tt_jget(j, "tls.verify.name_ok")), name);
  assert_int_equal(json_is_true(tt_jget(j, "tls.verify.dates_ok")), dates);
  assert_string_equal(tt_jstr(j, "tls.verify.judged_at"), judged_at);
}

static char *text_report(const tlsdiag_result_t *r) {
  char *t = NULL;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT,
                                         TLSDIAG_FMT_VERBOSE, &t, NULL),
                   TLSDIAG_OK);
  return t;
}

/* The chain reaches the root and the name matches, but the leaf expired
 * 10 days ago: "trusted" must appear nowhere. */
static void test_verdicts_expired_cert_is_never_trusted(void **state) {
  (void)state;
  vcase_t c = {.host = "expired.tlsdiag.test", .cert = "expired"};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_CERT_EXPIRED);
  char at[32];
  iso(v.now, at);
  expect_verify(v.j, 0, 1, 1, 0, at);
  expect_verify(v.cli, 0, 1, 1, 0, at);
  /* GnuTLS's "The certificate is trusted." (time checks off) is not shown */
  assert_true(json_is_null(tt_jget(v.cli, "tls.verify.text")));
  assert_int_equal(json_integer_value(tt_jget(v.cli, "tls.verify.status")), 0);
  char *t = text_report(v.r);
  char want[160];
  snprintf(want, sizeof(want),
           "\n  verify       not trusted: chain to root yes, name yes, dates "
           "no (at %s)\n", at);
  if (!strstr(t, want)) fail_msg("no \"%s\" in:\n%s", want, t);
  assert_null(strstr(t, "is trusted"));
  tlsdiag_free(t);
  tt_both_free(&v);
}

static void test_verdicts_valid_cert_is_trusted(void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid"};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_OK);
  char at[32];
  iso(v.now, at);
  expect_verify(v.j, 1, 1, 1, 1, at);
  expect_verify(v.cli, 1, 1, 1, 1, at);
  char *t = text_report(v.r);
  assert_non_null(strstr(t, "  verify       trusted: chain to root yes, "
                            "name yes, dates yes (at "));
  tlsdiag_free(t);
  tt_both_free(&v);
}

static void test_verdicts_wrong_name_is_not_trusted(void **state) {
  (void)state;
  vcase_t c = {.host = "wrong-host.tlsdiag.test", .cert = "wrong_host"};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  char at[32];
  iso(v.now, at);
  expect_verify(v.cli, 0, 1, 0, 1, at);
  tt_both_free(&v);
}

/* Valid by dates, name and chain, yet revoked by its staple: the verdict
 * is the finding's, not the three parts'. */
static void test_verdicts_revoked_cert_is_not_trusted(void **state) {
  (void)state;
  vcase_t c = {.host = "revoked.tlsdiag.test", .cert = "revoked"};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_CERT_REVOKED);
  char at[32];
  iso(v.now, at);
  expect_verify(v.cli, 0, 1, 1, 1, at);
  tt_both_free(&v);
}

/* The timeline's NewSessionTicket events, and the size of each. */
static size_t nst_sizes(json_t *j, unsigned *sizes, size_t max) {
  json_t *tl = tt_jget(j, "timeline");
  size_t n = 0;
  for (size_t i = 0; i < json_array_size(tl) && n < max; i++) {
    json_t *e = json_array_get(tl, i);
    if (strcmp(tt_jstr(e, "what"), "NewSessionTicket")) continue;
    sizes[n++] = (unsigned)atoi(tt_jstr(e, "detail"));
  }
  return n;
}

/* The server gives its tickets 2 hours (GnuTLS's client would say 6). */
static void test_verdicts_ticket_lifetime_is_the_servers_tls13(void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid", .session_tickets = 1,
               .ticket_lifetime_s = 7200, .resume = 1};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_OK);
  assert_string_equal(tt_jstr(v.cli, "tls.version"), "TLS1.3");
  assert_true(json_is_true(tt_jget(v.cli, "anatomy.resumption.resumed")));
  assert_int_equal(json_integer_value(tt_jget(v.cli, "anatomy.ticket_lifetime_s")),
                   7200);
  assert_int_equal(json_integer_value(tt_jget(v.j, "anatomy.ticket_lifetime_s")),
                   7200);
  /* the whole message: lifetime, age_add, nonce, the ticket (GnuTLS's
   * encrypted state, over 100 bytes), extensions; not GnuTLS's 2-byte
   * leftover */
  unsigned sizes[8];
  size_t n = nst_sizes(v.cli, sizes, 8);
  assert_true(n >= 1);
  for (size_t i = 0; i < n; i++)
    if (sizes[i] < 100) fail_msg("NewSessionTicket of %u bytes", sizes[i]);
  assert_int_equal(v.r->anat.ticket_bytes, sizes[0]);
  tt_both_free(&v);
}

static void test_verdicts_ticket_lifetime_is_the_servers_tls12(void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid", .session_tickets = 1,
               .ticket_lifetime_s = 600, .resume = 1,
               .priority = TDS_PRIORITY_TLS12_ONLY};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_OK);
  assert_string_equal(tt_jstr(v.cli, "tls.version"), "TLS1.2");
  assert_int_equal(json_integer_value(tt_jget(v.cli, "anatomy.ticket_lifetime_s")),
                   600);
  unsigned sizes[8];
  assert_int_equal(nst_sizes(v.cli, sizes, 8), 1);
  assert_true(sizes[0] >= 100);
  tt_both_free(&v);
}

/* TLS 1.2 ECDHE: the group and sizes of ServerKeyExchange and
 * ClientKeyExchange, not a TLS 1.3 ClientHello's unused shares. */
static void test_verdicts_tls12_key_exchange_is_reported(void **state) {
  (void)state;
  vcase_t c = {.host = "localhost", .cert = "valid",
               .priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-GROUP-ALL:"
                           "+GROUP-SECP384R1"};
  vrun_t v;
  run(&c, &v);
  tt_expect_cause(&v, TLSDIAG_CAUSE_OK);
  json_t *ks = tt_jget(v.cli, "key_schedule");
  assert_string_equal(tt_jstr(ks, "version"), "TLS1.2");
  assert_string_equal(tt_jstr(ks, "server_key_share.0.group"), "secp384r1");
  assert_int_equal(json_integer_value(tt_jget(ks, "server_key_share.0.bytes")), 97);
  assert_int_equal(json_array_size(tt_jget(ks, "client_key_shares")), 1);
  assert_string_equal(tt_jstr(ks, "client_key_shares.0.group"), "secp384r1");
  assert_int_equal(json_integer_value(tt_jget(ks, "client_key_shares.0.bytes")), 97);
  assert_int_equal(json_integer_value(tt_jget(ks, "shared_secret_bytes")), 48);
  assert_int_equal(json_integer_value(tt_jget(ks, "secrets.0.bytes")), 48);
  assert_string_equal(tt_jstr(ks, "secrets.0.name"), "pre_master_secret");
  tt_both_free(&v);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_verdicts_now_ahead_judges_dates_not_skew),
      cmocka_unit_test(test_verdicts_now_behind_judges_dates_not_skew),
      cmocka_unit_test(test_verdicts_server_date_hour_off_is_skew_warning),
      cmocka_unit_test(test_verdicts_skew_measured_on_real_clock_under_override),
      cmocka_unit_test(test_verdicts_redirect_to_http_is_warning),
      cmocka_unit_test(test_verdicts_redirect_to_http_on_preloaded_host_is_error),
      cmocka_unit_test(test_verdicts_redirect_to_http_unlisted_host_with_list),
      cmocka_unit_test(test_verdicts_relative_and_https_redirects_are_fine),
      cmocka_unit_test(test_verdicts_location_without_redirect_is_fine),
      cmocka_unit_test(test_verdicts_expired_cert_is_never_trusted),
      cmocka_unit_test(test_verdicts_valid_cert_is_trusted),
      cmocka_unit_test(test_verdicts_wrong_name_is_not_trusted),
      cmocka_unit_test(test_verdicts_revoked_cert_is_not_trusted),
      cmocka_unit_test(test_verdicts_ticket_lifetime_is_the_servers_tls13),
      cmocka_unit_test(test_verdicts_ticket_lifetime_is_the_servers_tls12),
      cmocka_unit_test(test_verdicts_tls12_key_exchange_is_reported),
  };
  return td_run_tests(tests, setup, teardown);
}
