/* test_field_verdicts2.c: verdicts found wrong in a field test against
 * real server configurations (nginx), through the API and `check --json`:
 * - nginx's default server answering 421 Misdirected Request for a name
 *   it has no site for (HTTP/2 and HTTP/1.1) was "no problem found",
 *   exit 0: every request to the site fails;
 * - a listener expecting the PROXY protocol header (`listen ... ssl
 *   proxy_protocol`, a load balancer's backend port) was "the server
 *   reset the connection during the TLS handshake", which sends an
 *   operator to the TLS configuration;
 * - an expired intermediate was "the issuing certificate for <its own
 *   name>", read as that certificate's issuer;
 * - gnutls-serv's answer to HEAD without a status line was only "status
 *   line is not HTTP/1.x": now the finding quotes what came;
 * - a chain with the leaf twice (or out of order) and a root the client
 *   lacks was "not its issuer ... the wrong intermediate", naming as
 *   missing an intermediate the server sent. */
#include "tdtest.h"

static pid_t srv_pid = -1; /* nginx or gnutls-serv; killed by stop_server */

/* nginx with ports[0]: HTTP/2 and HTTP/1.1, a default server answering
 * 421 to every request (here for "localhost", which the certificate
 * covers) and "rsa.tlsdiag.test" answering 200; ports[1]:
 * `ssl proxy_protocol`, "rsa.tlsdiag.test" behind a PROXY header. */
static void start_nginx(uint16_t ports[2]) {
  tt_case_files_t c = tt_case_files("valid_rsa");
  tt_free_ports(ports, 2);
  tt_nginx_http(
      &srv_pid, ports, 2,
      " ssl_certificate %s; ssl_certificate_key %s;\n"
      " server { listen 127.0.0.1:%u ssl http2 default_server;"
      " server_name _; location / { return 421; } }\n"
      " server { listen 127.0.0.1:%u ssl http2; server_name rsa.tlsdiag.test;"
      " location / { return 200 \"ok\\n\"; } }\n"
      " server { listen 127.0.0.1:%u ssl proxy_protocol;"
      " server_name rsa.tlsdiag.test;"
      " location / { return 200 \"ok\\n\"; } }\n",
      c.chain, c.key, ports[0], ports[0], ports[1]);
}

static void stop_server(void) {
  tt_stop_child(&srv_pid);
}

static uint16_t ports[2];

/* The CLI's evidence key of the first finding equals the API's string. */
static void same_str(const tt_both_t *b, tlsdiag_cause_t code,
                     const char *key) {
  char path[128];
  snprintf(path, sizeof(path), "findings.0.evidence.%s", key);
  assert_string_equal(tt_jstr(b->cli, "findings.0.code"),
                      tlsdiag_cause_name(code));
  assert_string_equal(tt_jstr(b->cli, path), tt_ev(b->r, code, key));
}

/* ---- 421 Misdirected Request ---------------------------------------------- */

static void expect_421(const char *alpn_arg, const char *version) {
  tt_both_t b = {0};
  tt_opts_t t;
  tt_opts(&t, "localhost", ports[0]);
  if (!strcmp(alpn_arg, "--http1.1")) t.o.http_version = TLSDIAG_HTTP1_1;
  tt_check_both("localhost", &t,
                (const char *const[]){alpn_arg, NULL}, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP_SERVER_ERROR);
  long i = tlsdiag_result_find(b.r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(b.r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, "status"),
                      "421");
  assert_string_equal(tt_ev(b.r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, "sni"),
                      "localhost");
  assert_string_equal(
      tt_ev(b.r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, "http_version"), version);
  const char *msg = tlsdiag_result_finding_message(b.r, (size_t)i);
  if (!strstr(msg, "localhost answered 421 Misdirected Request: "
                   "the server has no site for this name on this port"))
    fail_msg("message: %s", msg);
  same_str(&b, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, "http_version");
  same_str(&b, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, "sni");
  tt_both_free(&b);
}

static void test_misdirected_nginx(void **st) {
  (void)st;
  start_nginx(ports);
  expect_421("--http2", "HTTP/2");
  expect_421("--http1.1", "HTTP/1.1");
  /* the name it serves, on the same port: fine */
  tt_both_t b = {0};
  tt_opts_t t;
  tt_opts(&t, "rsa.tlsdiag.test", ports[0]);
  tt_check_both("rsa.tlsdiag.test", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_find(b.r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR),
                   -1);
  tt_both_free(&b);
  stop_server();
}

/* ---- a PROXY protocol listener -------------------------------------------- */

static void test_proxy_protocol_nginx(void **st) {
  (void)st;
  start_nginx(ports);
  tt_both_t b = {0};
  tt_opts_t t;
  tt_opts(&t, "rsa.tlsdiag.test", ports[1]);
  tt_check_both("rsa.tlsdiag.test", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR);
  const tlsdiag_cause_t pe = TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR;
  long i = tlsdiag_result_find(b.r, pe);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(b.r, pe, "proxy_protocol"), "v1");
  /* nginx resets a connection whose first bytes are no PROXY header */
  assert_string_equal(tt_ev(b.r, pe, "without_header"), "reset (ECONNRESET)");
  assert_string_equal(tt_ev(b.r, pe, "with_header"), "handshake completed");
  assert_string_equal(tt_ev(b.r, pe, "address"), "127.0.0.1");
  char want[256];
  snprintf(want, sizeof(want),
           "127.0.0.1:%u expects a PROXY protocol header before TLS: it "
           "reset the connection on a plain ClientHello, and completed the "
           "handshake after a \"PROXY UNKNOWN\" header",
           ports[1]);
  const char *msg = tlsdiag_result_finding_message(b.r, (size_t)i);
  if (!strstr(msg, want)) fail_msg("message: %s", msg);
  same_str(&b, pe, "with_header");
  same_str(&b, pe, "without_header");
  tt_both_free(&b);
  /* --no-probe: no second connection, the reset as it was seen */
  t.o.flags |= TLSDIAG_F_NO_VERSION_PROBE;
  tt_check_both("rsa.tlsdiag.test", &t,
                (const char *const[]){"--no-probe", NULL}, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED);
  assert_null(tlsdiag_result_finding_evidence(b.r, 0, "proxy_protocol"));
  tt_both_free(&b);
  stop_server();
}

/* The in-process server in `mode` with case "valid", checked as
 * valid.tlsdiag.test at `now` (0: the real clock). */
static void check_in_process(tdserver_mode_t mode, int64_t now,
                             tt_both_t *b) {
  b->s = tt_server(mode, "valid");
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(b->s));
  t.o.now = now;
  tt_check_both("valid.tlsdiag.test", &t, NULL, b);
}

/* A server that resets every connection, with a PROXY header too: the
 * reset it is, no PROXY verdict. */
static void test_reset_is_not_proxy(void **st) {
  (void)st;
  tt_both_t b = {0};
  check_in_process(TDS_RESET, 0, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED);
  assert_string_equal(
      tt_ev(b.r, TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED, "errno"), "ECONNRESET");
  assert_null(tlsdiag_result_finding_evidence(b.r, 0, "proxy_protocol"));
  assert_int_equal(tlsdiag_result_find(b.r, TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR),
                   -1);
  tt_both_free(&b);
}

/* ---- an expired intermediate ---------------------------------------------- */

/* An intermediate's date finding named it "the issuing certificate for
 * <its own name>", which reads as that certificate's issuer. Judged 6
 * years on: the leaf and the intermediate (now-5y .. now+5y) expired, the
 * root (now+10y) not. */
static void test_expired_ca_named(void **st) {
  (void)st;
  tt_both_t b = {0};
  check_in_process(TDS_HTTP, (int64_t)time(NULL) + 6 * 365 * 86400, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_CERT_EXPIRED);
  int seen = 0;
  for (size_t i = 0; i < tlsdiag_result_finding_count(b.r); i++) {
    if (tlsdiag_result_finding_code(b.r, i) != TLSDIAG_CAUSE_CERT_EXPIRED)
      continue;
    const char *idx = tlsdiag_result_finding_evidence(b.r, i, "chain_index");
    const char *msg = tlsdiag_result_finding_message(b.r, i);
    assert_non_null(idx);
    assert_int_equal(tlsdiag_result_finding_severity(b.r, i),
                     TLSDIAG_SEVERITY_ERROR);
    if (!strcmp(idx, "1")) {
      assert_string_equal(tlsdiag_result_finding_evidence(b.r, i, "subject"),
                          "O=tlsdiag test,CN=tlsdiag Test Intermediate CA");
      if (!strstr(msg, "(the time asked about) the CA certificate tlsdiag "
                       "Test Intermediate CA has expired: it was valid until "))
        fail_msg("message: %s", msg);
      /* the same text through the CLI */
      char path[64];
      snprintf(path, sizeof(path), "findings.%zu.message", i);
      assert_string_equal(tt_jstr(b.cli, path), msg);
    } else if (!strcmp(idx, "0")) {
      if (!strstr(msg, "(the time asked about) the certificate for localhost "
                       "has expired"))
        fail_msg("message: %s", msg);
    } else {
      fail_msg("chain_index %s: %s", idx, msg);
    }
    seen |= 1 << (idx[0] - '0');
  }
  assert_int_equal(seen, 3);
  tt_both_free(&b);
}

/* ---- an answer without a status line (gnutls-serv --http, HEAD) ----------- */

/* gnutls-serv --http answers HEAD with a bare HTML page, no status line
 * (HTTP/0.9 style; curl -I: "Received HTTP/0.9 when not allowed"). The
 * finding said only "status line is not HTTP/1.x": now it quotes what
 * came. GET gets "HTTP/1.0 200 OK": no finding. */
static void test_no_status_line_gnutls_serv(void **st) {
  (void)st;
  char port_s[16];
  tt_case_files_t c = tt_case_files("valid_rsa");
  uint16_t port = tt_free_port();
  snprintf(port_s, sizeof(port_s), "%u", port);
  const char *argv[] = {"gnutls-serv", "--http", "--port", port_s,
                        "--x509certfile", c.chain, "--x509keyfile", c.key,
                        NULL};
  tt_spawn_server(&srv_pid, argv, NULL, port);
  tt_both_t b = {0};
  tt_opts_t t;
  tt_opts(&t, "rsa.tlsdiag.test", port);
  tt_check_both("rsa.tlsdiag.test", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP_MALFORMED);
  const tlsdiag_cause_t m = TLSDIAG_CAUSE_HTTP_MALFORMED;
  assert_string_equal(tt_ev(b.r, m, "received"),
                      "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">");
  assert_string_equal(tt_ev(b.r, m, "no_status_line"), "true");
  assert_string_equal(tt_ev(b.r, m, "request"), "HEAD / HTTP/1.1");
  const char *msg = tlsdiag_result_finding_message(b.r, 0);
  if (!strstr(msg, "the answer began \"<!DOCTYPE HTML PUBLIC ") ||
      !strstr(msg, "(no status line: an HTTP/0.9-style answer"))
    fail_msg("message: %s", msg);
  same_str(&b, m, "received");
  tt_both_free(&b);
  t.o.http_method = "GET";
  tt_check_both("rsa.tlsdiag.test", &t,
                (const char *const[]){"--method", "GET", NULL}, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  tt_both_free(&b);
  stop_server();
}

/* ---- a chain sent with a duplicate, root not trusted ----------------------- */

/* nginx with the leaf twice before its intermediate (a chain file pasted
 * twice), checked with a trust store that lacks the root: the finding
 * said the issuer (the intermediate, which was sent) was missing, "the
 * server's chain holds the wrong intermediate". The missing link is the
 * root. With the chain in order the verdict is the same, without the
 * note on the order. */
static void expect_untrusted_root(int duplicate) {
  const tdcerts_case_t *c = tt_case("valid");
  const char *end = strstr(c->chain_pem, "-----END CERTIFICATE-----\n");
  assert_non_null(end);
  size_t leaf_len = (size_t)(end - c->chain_pem) + 26;
  char *chain = calloc(1, leaf_len + strlen(c->chain_pem) + 1);
  assert_non_null(chain);
  if (duplicate) memcpy(chain, c->chain_pem, leaf_len);
  strcat(chain, c->chain_pem);
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.chain_pem = chain;
  cfg.chain_as_is = 1;
  tt_both_t b = {0};
  b.s = tt_server_cfg(&cfg);
  char other_root[128];
  snprintf(other_root, sizeof(other_root), "%s/unknown-root.pem", tt_dir);
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(b.s));
  t.o.cafile = other_root;
  tt_check_both("valid.tlsdiag.test", &t, NULL, &b);
  const tlsdiag_cause_t u = TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER;
  tt_expect_cause(&b, u);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(b.r, u, "missing_issuer"),
                      "O=tlsdiag test,CN=tlsdiag Test Root CA");
  assert_string_equal(tt_ev(b.r, u, "chain_length"), duplicate ? "3" : "2");
  const char *msg = tlsdiag_result_finding_message(b.r, 0);
  if (!strstr(msg, "the chain's issuer \"O=tlsdiag test,CN=tlsdiag Test Root "
                   "CA\" is not in the trust store"))
    fail_msg("message: %s", msg);
  assert_int_equal(strstr(msg, "out of order or with a duplicate") != NULL,
                   duplicate);
  if (duplicate) {
    assert_string_equal(tt_ev(b.r, u, "chain_order"),
                        "out of order or duplicated");
    same_str(&b, u, "chain_order");
  } else {
    assert_null(tlsdiag_result_finding_evidence(b.r, 0, "chain_order"));
  }
  same_str(&b, u, "missing_issuer");
  tt_both_free(&b);
  free(chain);
}

static void test_duplicate_leaf_untrusted_root(void **st) {
  (void)st;
  expect_untrusted_root(1);
  expect_untrusted_root(0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_misdirected_nginx),
      cmocka_unit_test(test_proxy_protocol_nginx),
      cmocka_unit_test(test_reset_is_not_proxy),
      cmocka_unit_test(test_expired_ca_named),
      cmocka_unit_test(test_no_status_line_gnutls_serv),
      cmocka_unit_test(test_duplicate_leaf_untrusted_root),
  };
  int rc = td_run_tests(tests, tt_setup, tt_teardown);
  stop_server();
  return rc;
}
