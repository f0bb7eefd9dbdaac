/* test_field_verdicts.c: three verdicts first seen wrong or missing on
 * ordinary server configurations, through the API and `check --json`:
 * - a name the server does not serve (nginx's ssl_reject_handshake: alert
 *   unrecognized_name) was reported as "no common cipher suite";
 * - a site answering 5xx (nginx proxying to a dead upstream: 502) was
 *   "OK", exit 0, green in every monitor;
 * - an OCSP must-staple certificate served without a staple (Firefox
 *   refuses it) was "OK".
 * Each against the in-process server and, where the configuration is
 * nginx's, against real nginx. */
#include "tdtest.h"

/* ---- real nginx ---------------------------------------------------------- */

static pid_t nginx_pid = -1;

/* nginx on one port: a default server that refuses every handshake
 * (ssl_reject_handshake on), "rsa.tlsdiag.test" answering 200 on / and
 * proxying /api to `dead` (a port that refuses: nginx answers 502). */
static uint16_t start_nginx(uint16_t dead) {
  tt_case_files_t c = tt_case_files("valid_rsa");
  uint16_t port = tt_free_port();
  tt_nginx_http(
      &nginx_pid, &port, 1,
      " server { listen 127.0.0.1:%u ssl default_server;"
      " ssl_reject_handshake on; }\n"
      " server { listen 127.0.0.1:%u ssl; server_name rsa.tlsdiag.test;"
      " ssl_certificate %s; ssl_certificate_key %s;"
      " location / { return 200 \"ok\\n\"; }"
      " location /api { proxy_pass http://127.0.0.1:%u; } }\n",
      port, port, c.chain, c.key, dead);
  return port;
}

static void stop_nginx(void) {
  tt_stop_child(&nginx_pid);
}

/* The evidence `key` of the first finding in the CLI's JSON equals the
 * API's. */
static void same_evidence(const tt_both_t *b, tlsdiag_cause_t code,
                          const char *key) {
  char path[128];
  snprintf(path, sizeof(path), "findings.0.evidence.%s", key);
  assert_string_equal(tt_jstr(b->cli, "findings.0.code"),
                      tlsdiag_cause_name(code));
  json_t *v = tt_jget(b->cli, path);
  const char *api = tt_ev(b->r, code, key);
  char text[64];
  if (json_is_string(v)) {
    assert_string_equal(json_string_value(v), api);
    return;
  }
  if (json_is_integer(v))
    snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
  else if (json_is_boolean(v))
    snprintf(text, sizeof(text), "%s", json_is_true(v) ? "true" : "false");
  else
    fail_msg("%s: not a string, integer or boolean", path);
  assert_string_equal(text, api);
}

/* ---- unrecognized_name ---------------------------------------------------- */

static void test_unrecognized_name_in_process(void **st) {
  (void)st;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_ALERT, NULL);
  cfg.alert = 112; /* unrecognized_name */
  tt_both_t b;
  b.s = tt_server_cfg(&cfg);
  const char *host = "unserved.tlsdiag.test";
  tt_opts_t t;
  tt_opts(&t, host, tdserver_port(b.s));
  tt_check_both(host, &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME);
  assert_string_equal(tt_ev(b.r, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME, "sni"),
                      host);
  assert_string_equal(
      tt_ev(b.r, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME, "alert"),
      "unrecognized_name");
  assert_string_equal(
      tt_ev(b.r, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME, "alert_number"), "112");
  assert_string_equal(tlsdiag_result_finding_message(b.r, 0),
                      "127.0.0.1 does not serve \"unserved.tlsdiag.test\": "
                      "it answered the name sent in SNI with alert "
                      "unrecognized_name; check the name, or the server's "
                      "configuration for it (server_name, certificate, "
                      "virtual host)");
  /* never the probes' reading of the same alert at every version */
  assert_int_equal(tlsdiag_result_find(b.r, TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH),
                   -1);
  assert_int_equal(
      tlsdiag_result_find(b.r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE), -1);
  same_evidence(&b, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME, "sni");
  tt_both_free(&b);
}

static void test_unrecognized_name_nginx(void **st) {
  (void)st;
  uint16_t dead = 0;
  int hold = tt_refusing_port("127.0.0.1", &dead);
  uint16_t port = start_nginx(dead);
  /* a name nginx has no server for */
  tt_both_t b = {0};
  tt_opts_t t;
  tt_opts(&t, "other.tlsdiag.test", port);
  tt_check_both("other.tlsdiag.test", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME);
  assert_string_equal(tt_ev(b.r, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME, "sni"),
                      "other.tlsdiag.test");
  same_evidence(&b, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME, "alert");
  tt_both_free(&b);
  /* by address: no SNI at all */
  tt_opts(&t, NULL, port);
  tlsdiag_result_t *r = tt_check("127.0.0.1", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME, "sni"), "");
  if (!strstr(tlsdiag_result_finding_message(r, 0), "none was sent"))
    fail_msg("message: %s", tlsdiag_result_finding_message(r, 0));
  tlsdiag_result_free(r);
  /* the name it serves: fine; its /api behind a dead upstream: 502 */
  tt_opts(&t, "rsa.tlsdiag.test", port);
  tt_check_both("rsa.tlsdiag.test", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  tt_both_free(&b);
  t.o.http_path = "/api";
  tt_check_both("rsa.tlsdiag.test", &t,
                (const char *const[]){"--path", "/api", NULL}, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP_SERVER_ERROR);
  assert_string_equal(tt_ev(b.r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, "status"),
                      "502");
  assert_string_equal(tt_ev(b.r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, "request"),
                      "HEAD /api HTTP/1.1");
  if (!strstr(tlsdiag_result_finding_message(b.r, 0),
              "answered 502 (a gateway whose upstream is down or too slow)"))
    fail_msg("message: %s", tlsdiag_result_finding_message(b.r, 0));
  same_evidence(&b, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, "status_line");
  tt_both_free(&b);
  stop_nginx();
  close(hold);
}

/* ---- 5xx ------------------------------------------------------------------ */

/* The in-process server answering `status` to `method`: the finding's
 * severity, or -1 for none. */
static int status_verdict(int status, const char *method, tt_both_t *b) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.http_status = status;
  b->s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(b->s));
  t.o.http_method = method;
  tt_check_both("valid.tlsdiag.test", &t,
                (const char *const[]){"--method", method, NULL}, b);
  long i = tlsdiag_result_find(b->r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR);
  return i < 0 ? -1 : (int)tlsdiag_result_finding_severity(b->r, (size_t)i);
}

static void test_http_server_error_statuses(void **st) {
  (void)st;
  tt_both_t b;
  assert_int_equal(status_verdict(503, "HEAD", &b), TLSDIAG_SEVERITY_ERROR);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP_SERVER_ERROR);
  assert_string_equal(tlsdiag_result_finding_message(b.r, 0),
                      "valid.tlsdiag.test answered 503 (unavailable: "
                      "overloaded or in maintenance); HTTPS works "
                      "(connection, handshake and certificate), the site "
                      "behind it fails");
  same_evidence(&b, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, "status");
  tt_both_free(&b);
  assert_int_equal(status_verdict(500, "GET", &b), TLSDIAG_SEVERITY_ERROR);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP_SERVER_ERROR);
  tt_both_free(&b);
  /* 501 to HEAD: the method, not the site: a warning, exit 0 */
  assert_int_equal(status_verdict(501, "HEAD", &b), TLSDIAG_SEVERITY_WARNING);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  tt_both_free(&b);
  assert_int_equal(status_verdict(501, "GET", &b), TLSDIAG_SEVERITY_ERROR);
  tt_both_free(&b);
  /* 4xx and 2xx: no finding */
  assert_int_equal(status_verdict(404, "HEAD", &b), -1);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  tt_both_free(&b);
  assert_int_equal(status_verdict(200, "HEAD", &b), -1);
  tt_both_free(&b);
}

/* ---- must-staple ----------------------------------------------------------- */

static void must_staple(const char *priority, int staple, tt_both_t *b) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "must_staple");
  cfg.priority = priority;
  if (!staple) {
    cfg.ocsp_der = NULL;
    cfg.ocsp_len = 0;
  }
  b->s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, "must-staple.tlsdiag.test", tdserver_port(b->s));
  tt_check_both("must-staple.tlsdiag.test", &t, NULL, b);
}

static void test_must_staple(void **st) {
  (void)st;
  static const char *const prio[] = {TDS_PRIORITY_TLS13_ONLY,
                                     TDS_PRIORITY_TLS12_ONLY};
  for (int i = 0; i < 2; i++) {
    tt_both_t b;
    /* stapled (TLS 1.3: in the Certificate entry; 1.2: CertificateStatus) */
    must_staple(prio[i], 1, &b);
    tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
    assert_true(json_is_true(tt_jget(b.cli, "tls.ocsp_stapled")));
    assert_int_equal(
        tlsdiag_result_find(b.r, TLSDIAG_CAUSE_OCSP_MUST_STAPLE_MISSING), -1);
    tt_both_free(&b);
    /* the same certificate, no staple */
    must_staple(prio[i], 0, &b);
    tt_expect_cause(&b, TLSDIAG_CAUSE_OCSP_MUST_STAPLE_MISSING);
    assert_true(json_is_false(tt_jget(b.cli, "tls.ocsp_stapled")));
    assert_string_equal(
        tt_ev(b.r, TLSDIAG_CAUSE_OCSP_MUST_STAPLE_MISSING, "tls_feature"),
        "status_request");
    assert_string_equal(
        tt_ev(b.r, TLSDIAG_CAUSE_OCSP_MUST_STAPLE_MISSING, "subject"),
        "O=tlsdiag test,CN=must-staple.tlsdiag.test");
    same_evidence(&b, TLSDIAG_CAUSE_OCSP_MUST_STAPLE_MISSING, "stapled");
    tt_both_free(&b);
  }
  /* an ordinary certificate without a staple: nothing to say */
  tt_both_t b;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid_rsa");
  b.s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, "rsa.tlsdiag.test", tdserver_port(b.s));
  tt_check_both("rsa.tlsdiag.test", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_finding_count(b.r), 0);
  tt_both_free(&b);
}

/* ---- the wrong intermediate ------------------------------------------------ */

/* A chain file left with another CA's intermediate: the server sends its
 * leaf and a certificate that is not the leaf's issuer. Never "sent only
 * its certificate". */
static void test_wrong_intermediate_sent(void **st) {
  (void)st;
  const tdcerts_case_t *c = tt_case("valid_rsa");
  const char *other = tdcerts_unknown_intermediate_pem(tt_pki);
  const char *end = strstr(c->chain_pem, "-----END CERTIFICATE-----");
  assert_non_null(end);
  size_t leaf_len = (size_t)(end - c->chain_pem) + 26;
  char *chain = malloc(leaf_len + strlen(other) + 1);
  assert_non_null(chain);
  memcpy(chain, c->chain_pem, leaf_len);
  strcpy(chain + leaf_len, other);
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid_rsa");
  cfg.chain_pem = chain;
  cfg.chain_as_is = 1;
  tt_both_t b;
  b.s = tt_server_cfg(&cfg);
  free(chain);
  tt_opts_t t;
  tt_opts(&t, "rsa.tlsdiag.test", tdserver_port(b.s));
  tt_check_both("rsa.tlsdiag.test", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER);
  assert_int_equal(tlsdiag_result_chain_length(b.r), 2);
  const char *missing =
      tt_ev(b.r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER, "missing_issuer");
  const char *unrelated =
      tt_ev(b.r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER, "not_in_path");
  if (!strstr(missing, "CN=tlsdiag Test Intermediate CA"))
    fail_msg("missing_issuer: %s", missing);
  if (!strstr(unrelated, "CN=tlsdiag Unknown Intermediate CA"))
    fail_msg("not_in_path: %s", unrelated);
  const char *msg = tlsdiag_result_finding_message(b.r, 0);
  if (strstr(msg, "sent only its certificate") ||
      !strstr(msg, "the server sent its certificate and 1 other ("))
    fail_msg("message: %s", msg);
  same_evidence(&b, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER, "missing_issuer");
  tt_both_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unrecognized_name_in_process),
      cmocka_unit_test(test_unrecognized_name_nginx),
      cmocka_unit_test(test_http_server_error_statuses),
      cmocka_unit_test(test_must_staple),
      cmocka_unit_test(test_wrong_intermediate_sent),
  };
  int rc = td_run_tests(tests, tt_setup, tt_teardown);
  stop_nginx();
  return rc;
}
