/* test_field_verdicts4.c: verdicts found wrong in field test round 4
 * (names), against real nginx (OpenSSL) with an OpenSSL-made PKI, through
 * the API and `check --json`:
 * - an IPv4 address in another spelling that browsers (the WHATWG URL
 *   host parser) and curl read as that address: "127.1", "0x7f.1",
 *   "0177.0.0.1", "127.0.0.01", "2130706433". tlsdiag took them for DNS
 *   names: dns_nxdomain for "127.1" and "0x7f.1", a handshake sending SNI
 *   "0177.0.0.1" (nginx: alert illegal_parameter, "tls_handshake_failure")
 *   and a name mismatch for "127.0.0.01", where curl got 200 from all;
 * - a leaf listing the host's IDN in Unicode (raw UTF-8 in a dNSName):
 *   rightly a mismatch (browsers and curl compare A-labels), but the
 *   message said "not valid for münchen.test; it covers münchen.test";
 * - a dNSName with a trailing dot ("www.dot.test."): Chrome and curl
 *   connect, Firefox does not; tlsdiag said cert_verifiers_disagree;
 * - a redirect to the very URL asked for (nginx `return 301 /`): "no
 *   problem found" where browsers fail with ERR_TOO_MANY_REDIRECTS; now
 *   http_redirect_loop. */
#include <time.h>

#include "tdtest.h"

static pid_t srv_pid = -1; /* nginx; killed by stop_server */
static tt_openssl_ca_t ca;
static uint16_t ports[5];

#define MISMATCH TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH

static void stop_server(void) { tt_stop_child(&srv_pid); }

/* The CA and the leaves, then nginx with one server per port: [0] IP
 * 127.0.0.1, [1] IP 127.0.0.2, [2] DNS:127.0.0.1, [3] DNS:münchen.test
 * (the U-label), [4] DNS:www.dot.test. (a trailing dot). */
static void start_nginx(void) {
  tt_openssl_ca(&ca, "ft4");
  tt_openssl_leaf(&ca, "ip1", "EC", "IP:127.0.0.1");
  tt_openssl_leaf(&ca, "ip2", "EC", "IP:127.0.0.2");
  tt_openssl_leaf(&ca, "ipdns", "EC", "DNS:127.0.0.1");
  tt_openssl_leaf(&ca, "ulabel", "EC", "DNS:m\xc3\xbcnchen.test");
  tt_openssl_leaf(&ca, "dot", "EC", "DNS:www.dot.test.");
  tt_free_ports(ports, 5);
  const char *d = tt_dir;
  tt_nginx_http(&srv_pid, ports, 5,
                " server { listen 127.0.0.1:%u ssl; ssl_certificate %s/ip1.pem;"
                " ssl_certificate_key %s/ip1.key; return 200 \"ok\\n\"; }\n"
                " server { listen 127.0.0.1:%u ssl; ssl_certificate %s/ip2.pem;"
                " ssl_certificate_key %s/ip2.key; return 200 \"ok\\n\"; }\n"
                " server { listen 127.0.0.1:%u ssl; ssl_certificate "
                "%s/ipdns.pem; ssl_certificate_key %s/ipdns.key;"
                " return 200 \"ok\\n\"; }\n"
                " server { listen 127.0.0.1:%u ssl; ssl_certificate "
                "%s/ulabel.pem; ssl_certificate_key %s/ulabel.key;"
                " return 200 \"ok\\n\"; }\n"
                " server { listen 127.0.0.1:%u ssl; ssl_certificate "
                "%s/dot.pem; ssl_certificate_key %s/dot.key;"
                " return 200 \"ok\\n\"; }\n",
                ports[0], d, d, ports[1], d, d, ports[2], d, d, ports[3], d,
                d, ports[4], d, d);
}

/* The target as the API's JSON and the CLI's give it: an address. */
static void expect_ipv4_target(json_t *j, const char *given) {
  assert_string_equal(tt_jstr(j, "target.host"), given);
  assert_string_equal(tt_jstr(j, "target.ace"), "127.0.0.1");
  assert_true(json_is_true(tt_jget(j, "target.ip_literal")));
  assert_true(json_is_null(tt_jget(j, "target.sni")));
  assert_string_equal(tt_jstr(j, "phases.dns.status"), "skipped");
  assert_string_equal(tt_jstr(j, "phases.tcp.connected"), "127.0.0.1");
}

/* The name-mismatch finding i of the API says want, and the CLI's has
 * the same message and rule. */
static void expect_rule_message(const tt_both_t *b, size_t i,
                                const char *rule, const char *want) {
  assert_string_equal(tlsdiag_result_finding_message(b->r, i), want);
  assert_string_equal(tt_jev(b->cli, MISMATCH, "rule"), rule);
  assert_string_equal(
      json_string_value(json_object_get(tt_jfinding_or_fail(b->cli, MISMATCH),
                                        "message")),
      want);
}

/* Each spelling reaches 127.0.0.1, sends no SNI, and the iPAddress SAN
 * 127.0.0.1 matches: no problem, as in curl (200) and browsers. */
static void test_ipv4_other_spellings(void **st) {
  (void)st;
  start_nginx();
  const char *forms[] = {"127.1", "0x7f.1", "0177.0.0.1", "127.0.0.01",
                         "2130706433", "0x7F000001", "127.0.0.1."};
  for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
    tt_both_t b = {0};
    tt_check_ca(forms[k], ports[0], ca.cert, &b);
    tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
    expect_ipv4_target(b.j, forms[k]);
    expect_ipv4_target(b.cli, forms[k]);
    assert_int_equal(json_integer_value(tt_jget(b.cli, "http.status")), 200);
    tt_both_free(&b);
  }

  /* Another address in the certificate: the mismatch names both. */
  tt_both_t b = {0};
  tt_check_ca("127.1", ports[1], ca.cert, &b);
  tt_expect_cause(&b, MISMATCH);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(b.r, MISMATCH, "name"), "127.1");
  assert_string_equal(tt_ev(b.r, MISMATCH, "ace_name"), "127.0.0.1");
  assert_string_equal(tt_jev(b.cli, MISMATCH, "ace_name"), "127.0.0.1");
  assert_string_equal(tlsdiag_result_finding_message(b.r, 0),
                      "the certificate is not valid for 127.1; it covers "
                      "127.0.0.2");
  tt_both_free(&b);

  /* The address as a dNSName: named so for the short spelling too. */
  memset(&b, 0, sizeof(b));
  tt_check_ca("127.1", ports[2], ca.cert, &b);
  tt_expect_cause(&b, MISMATCH);
  assert_string_equal(tt_ev(b.r, MISMATCH, "rule"), "ip_address_in_dns_name");
  assert_string_equal(tt_ev(b.r, MISMATCH, "dns_name"), "127.0.0.1");
  assert_string_equal(tt_jev(b.cli, MISMATCH, "rule"),
                      "ip_address_in_dns_name");
  tt_both_free(&b);
  stop_server();
}

/* What is not an IPv4 spelling stays a name (or is refused), as in the
 * WHATWG parser: five parts, a letter label last, an octal part with an
 * 8, white space, an empty part. */
static void test_ipv4_not_an_address(void **st) {
  (void)st;
  const char *names[] = {"1.2.3.4.5", "foo.123", "08.0.0.1", "127.0.0.1..",
                         "127..1",    ".127.1",  "1e3",      "0x7f.1.g"};
  for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
    char *ace = NULL;
    int is_ip = -1;
    tlsdiag_err_t e = td_host_check(names[k], &ace, &is_ip, NULL);
    if (e == TLSDIAG_OK && is_ip) fail_msg("%s read as the IP %s", names[k], ace);
    free(ace);
  }
  char *ace = NULL;
  int is_ip = 0;
  assert_int_equal(td_host_check("0300.0250.1.0xff", &ace, &is_ip, NULL),
                   TLSDIAG_OK);
  assert_int_equal(is_ip, 1);
  assert_string_equal(ace, "192.168.1.255");
  free(ace);
  assert_int_not_equal(td_host_check("127.1 x", NULL, NULL, NULL), TLSDIAG_OK);
}

/* The leaf lists "münchen.test" in Unicode: browsers and curl compare
 * the A-label xn--mnchen-3ya.test only, so it never matches; the message
 * says why instead of "it covers münchen.test". */
static void test_ulabel_dns_name(void **st) {
  (void)st;
  start_nginx();
  const char *hosts[] = {"m\xc3\xbcnchen.test", "xn--mnchen-3ya.test"};
  for (size_t k = 0; k < 2; k++) {
    tt_both_t b = {0};
    tt_check_ca(hosts[k], ports[3], ca.cert, &b);
    tt_expect_cause(&b, MISMATCH);
    assert_int_equal(tlsdiag_result_finding_severity(b.r, 0),
                     TLSDIAG_SEVERITY_ERROR);
    assert_string_equal(tt_ev(b.r, MISMATCH, "rule"), "u_label_in_dns_name");
    assert_string_equal(tt_ev(b.r, MISMATCH, "dns_name"), "m\xc3\xbcnchen.test");
    assert_string_equal(tt_ev(b.r, MISMATCH, "a_label"), "xn--mnchen-3ya.test");
    assert_string_equal(tt_ev(b.r, MISMATCH, "standard"),
                        "RFC 5280 7.2, RFC 6125 6.4.2");
    char want[400];
    snprintf(want, sizeof(want),
             "the certificate is not valid for %s: it lists the name in "
             "Unicode, \"m\xc3\xbcnchen.test\", where a DNS name (dNSName) "
             "must hold its A-label xn--mnchen-3ya.test; browsers and curl "
             "compare the A-label only",
             hosts[k]);
    expect_rule_message(&b, 0, "u_label_in_dns_name", want);
    assert_string_equal(tt_jev(b.cli, MISMATCH, "a_label"),
                        "xn--mnchen-3ya.test");
    tt_both_free(&b);
  }
  stop_server();
}

/* A dNSName written with a trailing dot, "www.dot.test.": Chrome drops the
 * dot and connects, curl (OpenSSL) too (200); Firefox's mozilla::pkix
 * takes a presented name with a trailing dot as invalid
 * (SSL_ERROR_BAD_CERT_DOMAIN), GnuTLS too. tlsdiag said
 * cert_verifiers_disagree, naming neither the name nor who fails. */
static void test_trailing_dot_dns_name(void **st) {
  (void)st;
  start_nginx();
  tt_both_t b = {0};
  tt_check_ca("www.dot.test", ports[4], ca.cert, &b);
  /* An error, as a must-staple leaf without its staple: Firefox users
   * cannot connect. */
  tt_expect_cause(&b, MISMATCH);
  long i = tlsdiag_result_find(b.r, MISMATCH);
  assert_true(i >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_null(tt_jfinding(b.cli, TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE));
  assert_string_equal(tt_ev(b.r, MISMATCH, "rule"), "trailing_dot_in_dns_name");
  assert_string_equal(tt_ev(b.r, MISMATCH, "dns_name"), "www.dot.test.");
  assert_string_equal(tt_ev(b.r, MISMATCH, "clients_ok"),
                      "Chrome, curl (OpenSSL)");
  assert_string_equal(tt_ev(b.r, MISMATCH, "clients_fail"),
                      "Firefox, GnuTLS-based clients (wget, gnutls-cli)");
  const char *want =
      "the certificate lists www.dot.test as \"www.dot.test.\", with a "
      "trailing dot: Chrome and curl match it, Firefox "
      "(SSL_ERROR_BAD_CERT_DOMAIN) and GnuTLS-based clients do not; reissue "
      "it without the dot";
  expect_rule_message(&b, (size_t)i, "trailing_dot_in_dns_name", want);
  tt_both_free(&b);
  stop_server();
}

/* nginx redirecting to the URL asked for: [0] `return 301 /` (nginx
 * makes it absolute, https://HOST:PORT/), [1] `absolute_redirect off;
 * return 308 /`, [2] https://HOST.:PORT/#top in other case, [3] a 302 to
 * itself setting a cookie, [4] a 301 to /other, [5] a 302 to HOST
 * without the port (443: another URL). Browsers fail the first three with
 * ERR_TOO_MANY_REDIRECTS (curl -L: "Maximum (50) redirects followed");
 * tlsdiag said "no problem found". */
#define LOOP_HOST "valid.tlsdiag.test"
static void test_redirect_to_itself(void **st) {
  (void)st;
  uint16_t p[6];
  tt_free_ports(p, 6);
  tt_case_files_t cf = tt_case_files("valid");
  tt_nginx_http(
      &srv_pid, p, 6,
      " ssl_certificate %s; ssl_certificate_key %s;\n"
      " server { listen 127.0.0.1:%u ssl; return 301 /; }\n"
      " server { listen 127.0.0.1:%u ssl; absolute_redirect off;"
      " return 308 /; }\n"
      " server { listen 127.0.0.1:%u ssl;"
      " return 302 https://VALID.tlsdiag.test.:%u/#top; }\n"
      " server { listen 127.0.0.1:%u ssl; add_header Set-Cookie seen=1;"
      " return 302 /; }\n"
      " server { listen 127.0.0.1:%u ssl; return 301 /other; }\n"
      " server { listen 127.0.0.1:%u ssl;"
      " return 302 https://" LOOP_HOST "/; }\n",
      cf.chain, cf.key, p[0], p[1], p[2], p[2], p[3], p[4], p[5]);
  char want[6][96];
  snprintf(want[0], sizeof(want[0]), "https://" LOOP_HOST ":%u/", p[0]);
  snprintf(want[1], sizeof(want[1]), "/");
  snprintf(want[2], sizeof(want[2]), "https://VALID.tlsdiag.test.:%u/#top",
           p[2]);
  const int status[] = {301, 308, 302};
  const tlsdiag_cause_t loop = TLSDIAG_CAUSE_HTTP_REDIRECT_LOOP;
  for (size_t i = 0; i < 6; i++) {
    tt_opts_t t;
    tt_opts(&t, LOOP_HOST, p[i]);
    tt_both_t b = {0};
    tt_check_both(LOOP_HOST, &t, NULL, &b);
    if (i >= 3) { /* not the same URL, or a cookie changes the next answer */
      tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
      assert_int_equal(tlsdiag_result_find(b.r, loop), -1);
      tt_both_free(&b);
      continue;
    }
    tt_expect_cause(&b, loop);
    assert_int_equal(tlsdiag_result_finding_severity(b.r, 0),
                     TLSDIAG_SEVERITY_ERROR);
    assert_string_equal(tt_ev(b.r, loop, "location"), want[i]);
    assert_int_equal(atoi(tt_ev(b.r, loop, "status")), status[i]);
    assert_string_equal(tt_ev(b.r, loop, "path"), "/");
    assert_string_equal(tt_ev(b.r, loop, "request"), "HEAD / HTTP/1.1");
    char msg[1024];
    snprintf(msg, sizeof(msg),
             LOOP_HOST " answers %d with a redirect to the URL it was asked "
             "for (%s): browsers follow it round until they give up "
             "(ERR_TOO_MANY_REDIRECTS)",
             status[i], want[i]);
    assert_string_equal(tlsdiag_result_finding_message(b.r, 0), msg);
    json_t *f = tt_jfinding_or_fail(b.cli, loop);
    assert_string_equal(json_string_value(json_object_get(f, "severity")),
                        "error");
    assert_string_equal(json_string_value(json_object_get(f, "message")), msg);
    assert_string_equal(tt_jev(b.cli, loop, "location"), want[i]);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(f, "evidence"),
                                           "status")),
        status[i]);
    tt_both_free(&b);
  }
  stop_server();
}

/* The server's Date 200 days behind ours, its certificate valid by our
 * clock only (issued 30 days ago): the message said "the local clock is
 * 200 days ahead of the server's", blaming this machine; the validity
 * window says the server's clock is off. An hour off, the certificate
 * valid by both: either clock may be wrong. 200 days ahead, the
 * certificate expired by the server's Date: either clock, and if ours is
 * the wrong one the certificate has really expired (a monitor whose
 * clock lags must not call that fine without saying so). */
static void test_server_clock_off(void **st) {
  (void)st;
  const int64_t offs[] = {-200 * 86400, 3600, 200 * 86400};
  for (size_t i = 0; i < 3; i++) {
    tdserver_config_t cfg;
    tt_server_config(&cfg, TDS_HTTP, "valid");
    cfg.date_offset_s = offs[i];
    cfg.alpn = "http/1.1";
    tt_both_t b = {0};
    b.s = tt_server_cfg(&cfg);
    tt_opts_t t;
    tt_opts(&t, "localhost", tdserver_port(b.s));
    t.o.now = 0; /* the real clock: skew is measured on it */
    tt_check_both("localhost", &t, NULL, &b);
    tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
    const tlsdiag_cause_t sk = TLSDIAG_CAUSE_CLOCK_SKEW;
    long k = tlsdiag_result_find(b.r, sk);
    assert_true(k >= 0);
    assert_int_equal(tlsdiag_result_finding_severity(b.r, (size_t)k),
                     TLSDIAG_SEVERITY_WARNING);
    const char *msg = tlsdiag_result_finding_message(b.r, (size_t)k);
    long off = atol(tt_ev(b.r, sk, "offset_s"));
    if (i == 0) {
      assert_true(off >= 200 * 86400 && off < 200 * 86400 + 120);
      assert_string_equal(tt_ev(b.r, sk, "wrong_clock"), "server");
      assert_string_equal(tt_jev(b.cli, sk, "wrong_clock"), "server");
      const char *want = "the server's clock is off: its Date is 200 days "
                         "behind ours (";
      if (strncmp(msg, want, strlen(want)) ||
          !strstr(msg, " s); by it the certificate would be not yet valid, "
                       "by ours it is valid"))
        fail_msg("message: %s", msg);
    } else if (i == 2) {
      assert_true(off <= -200 * 86400 && off > -200 * 86400 - 120);
      assert_string_equal(tt_ev(b.r, sk, "wrong_clock"), "either");
      assert_string_equal(tt_jev(b.cli, sk, "wrong_clock"), "either");
      const char *want = "the local clock is 200 days behind the server's (";
      if (strncmp(msg, want, strlen(want)) ||
          !strstr(msg, " s), and by the server's Date the certificate has "
                       "expired: either the server's clock is ahead, or "
                       "this machine's is behind and the certificate has "
                       "expired for every client with a right clock"))
        fail_msg("message: %s", msg);
    } else {
      assert_true(off <= -3600 && off > -3600 - 120);
      assert_string_equal(tt_ev(b.r, sk, "wrong_clock"), "either");
      assert_string_equal(tt_jev(b.cli, sk, "wrong_clock"), "either");
      const char *want = "the local clock is 60 minutes behind the server's (";
      if (strncmp(msg, want, strlen(want)) ||
          !strstr(msg, " s); dates still check out"))
        fail_msg("message: %s", msg);
    }
    assert_string_equal(
        json_string_value(json_object_get(tt_jfinding_or_fail(b.cli, sk), "message")),
        msg);
    tt_both_free(&b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ipv4_other_spellings),
      cmocka_unit_test(test_ipv4_not_an_address),
      cmocka_unit_test(test_ulabel_dns_name),
      cmocka_unit_test(test_trailing_dot_dns_name),
      cmocka_unit_test(test_redirect_to_itself),
      cmocka_unit_test(test_server_clock_off),
  };
  int rc = td_run_tests(tests, tt_setup, tt_teardown);
  stop_server();
  return rc;
}
