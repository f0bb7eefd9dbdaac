/* test_field_verdicts3.c: verdicts found wrong in field test round 3,
 * against real nginx (OpenSSL) with an OpenSSL-made PKI, through the API
 * and `check --json`:
 * - nginx with `ssl_ecdh_curve X448;` (no browser offers X448) and a
 *   leaf with an Ed25519 key (no browser offers EdDSA signatures) were
 *   "no problem found", exit 0: tlsdiag's GnuTLS offer is broader than a
 *   browser's, and curl (OpenSSL) gets through too, while every browser
 *   fails (ERR_SSL_VERSION_OR_CIPHER_MISMATCH). Now a handshake offering
 *   what Chrome offers is tried, and its refusal is tls_cipher_mismatch;
 * - `ssl_ecdh_curve secp521r1;` fails in Chrome only (Firefox offers
 *   P-521): the same finding, also an error (most visitors, on Chrome
 *   and Edge, cannot connect);
 * - a server preferring X448 that also has X25519: the browser offer
 *   completes, no finding;
 * - a leaf whose dNSName SAN spells the IP address asked for was "not
 *   valid for 127.0.0.1; it covers 127.0.0.1". */
#include <time.h>

#include "tdtest.h"

static pid_t srv_pid = -1; /* nginx; killed by stop_server */
static tt_openssl_ca_t ca;
static uint16_t ports[6];

#define HOST "ft3.tlsdiag.test"
#define MISMATCH TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH

static void stop_server(void) { tt_stop_child(&srv_pid); }

/* The CA and the leaves, then nginx with one server per port:
 * [0] X448 only (TLS 1.2 and 1.3), [1] secp521r1 only, [2] an Ed25519
 * leaf, [3] X448 preferred over X25519 (TLS 1.2, server order), [4] a
 * leaf whose only SAN is DNS:127.0.0.1, [5] a P-521 leaf (TLS 1.2: the
 * signature names no curve). */
static void start_nginx(void) {
  tt_openssl_ca(&ca, "ft3");
  tt_openssl_leaf(&ca, "ecdsa", "EC", "DNS:" HOST);
  tt_openssl_leaf(&ca, "ed25519", "ED25519", "DNS:" HOST);
  tt_openssl_leaf(&ca, "ipdns", "EC", "DNS:127.0.0.1");
  tt_openssl_leaf(&ca, "p521", "P-521", "DNS:" HOST);
  tt_free_ports(ports, 6);
  const char *d = tt_dir;
  tt_nginx_http(
      &srv_pid, ports, 6,
      " ssl_certificate %s/ecdsa.pem; ssl_certificate_key %s/ecdsa.key;\n"
      " server { listen 127.0.0.1:%u ssl; ssl_ecdh_curve X448;"
      " ssl_protocols TLSv1.2 TLSv1.3; return 200 \"ok\\n\"; }\n"
      " server { listen 127.0.0.1:%u ssl; ssl_ecdh_curve secp521r1;"
      " ssl_protocols TLSv1.2 TLSv1.3; return 200 \"ok\\n\"; }\n"
      " server { listen 127.0.0.1:%u ssl; ssl_certificate %s/ed25519.pem;"
      " ssl_certificate_key %s/ed25519.key; return 200 \"ok\\n\"; }\n"
      " server { listen 127.0.0.1:%u ssl; ssl_ecdh_curve X448:X25519;"
      " ssl_prefer_server_ciphers on; ssl_protocols TLSv1.2;"
      " return 200 \"ok\\n\"; }\n"
      " server { listen 127.0.0.1:%u ssl; ssl_certificate %s/ipdns.pem;"
      " ssl_certificate_key %s/ipdns.key; return 200 \"ok\\n\"; }\n"
      " server { listen 127.0.0.1:%u ssl; ssl_certificate %s/p521.pem;"
      " ssl_certificate_key %s/p521.key; ssl_protocols TLSv1.2;"
      " return 200 \"ok\\n\"; }\n",
      d, d, ports[0], ports[1], ports[2], d, d, ports[3], ports[4], d, d,
      ports[5], d, d);
}

/* The browser-offer finding, an error: whether Firefox offers the part
 * Chrome lacks (evidence key what = value), the probe's refusal, and the
 * message's start; the CLI's evidence equal to the API's. */
static void expect_browser_finding(const tt_both_t *b, int firefox,
                                   const char *what, const char *value,
                                   const char *msg_start) {
  long i = tlsdiag_result_find(b->r, MISMATCH);
  if (i < 0) fail_msg("no tls_cipher_mismatch finding");
  assert_int_equal(tlsdiag_result_finding_severity(b->r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(b->r, MISMATCH, what), value);
  assert_string_equal(tt_ev(b->r, MISMATCH, "not_offered_by_chrome"), value);
  assert_string_equal(tt_ev(b->r, MISMATCH, "browser_probe"),
                      "alert handshake_failure");
  assert_string_equal(tt_ev(b->r, MISMATCH, "alert"), "handshake_failure");
  const char *remedy = tt_ev(b->r, MISMATCH, "remedy");
  if (!strncmp(what, "group", 5) ? strncmp(remedy, "offer X25519 or P-256", 21)
                                 : strncmp(remedy, "serve a certificate with "
                                                   "an ECDSA P-256/P-384 or "
                                                   "RSA key", 48))
    fail_msg("remedy: %s", remedy);
  assert_string_equal(tt_ev(b->r, MISMATCH, "firefox_offers"),
                      firefox ? "true" : "false");
  const char *msg = tlsdiag_result_finding_message(b->r, (size_t)i);
  if (strncmp(msg, msg_start, strlen(msg_start)) != 0)
    fail_msg("message: %s", msg);
  json_t *f = tt_jfinding_or_fail(b->cli, MISMATCH);
  assert_string_equal(json_string_value(json_object_get(f, "severity")),
                      "error");
  json_t *ev = json_object_get(f, "evidence");
  assert_string_equal(json_string_value(json_object_get(ev, what)), value);
  assert_string_equal(
      json_string_value(json_object_get(ev, "browser_probe")),
      "alert handshake_failure");
  assert_string_equal(json_string_value(json_object_get(f, "message")), msg);
}

static void test_browser_offer_nginx(void **st) {
  (void)st;
  start_nginx();
  tt_both_t b = {0};

  /* X448 only: tlsdiag's handshake completes on X448; no browser's. */
  tt_check_ca(HOST, ports[0], ca.cert, &b);
  tt_expect_cause(&b, MISMATCH);
  assert_string_equal(tt_jstr(b.j, "tls.group"), "X448");
  expect_browser_finding(
      &b, 0, "group", "X448",
      "browsers cannot connect: this check's handshake settled on group "
      "X448, which Chrome does not support, and a handshake offering what "
      "Chrome offers failed (alert handshake_failure); Firefox does not "
      "support it either");
  tt_both_free(&b);

  /* secp521r1 only: Chrome fails, Firefox connects: still an error (most
   * visitors cannot connect). */
  memset(&b, 0, sizeof(b));
  tt_check_ca(HOST, ports[1], ca.cert, &b);
  tt_expect_cause(&b, MISMATCH);
  expect_browser_finding(&b, 1, "group", "SECP521R1",
                         "Chrome and Edge cannot connect: this check's "
                         "handshake settled on group SECP521R1");
  tt_both_free(&b);

  /* An Ed25519 leaf: only EdDSA-capable clients (GnuTLS, OpenSSL). */
  memset(&b, 0, sizeof(b));
  tt_check_ca(HOST, ports[2], ca.cert, &b);
  tt_expect_cause(&b, MISMATCH);
  assert_string_equal(tt_jstr(b.cli, "chain.0.key_type"), "Ed25519");
  assert_string_equal(tt_ev(b.r, MISMATCH, "leaf_key"), "Ed25519");
  expect_browser_finding(&b, 0, "signature",
                         "EdDSA-Ed25519",
                         "browsers cannot connect: this check's handshake "
                         "settled on signature EdDSA-Ed25519");
  tt_both_free(&b);

  /* A P-521 leaf at TLS 1.2: "ECDSA-SHA256" names no curve, but Chrome
   * refuses the curve (and nginx will not pick that certificate for a
   * client without P-521); Firefox takes it. */
  memset(&b, 0, sizeof(b));
  tt_check_ca(HOST, ports[5], ca.cert, &b);
  tt_expect_cause(&b, MISMATCH);
  assert_string_equal(tt_jstr(b.j, "tls.signature"), "ECDSA-SHA256");
  expect_browser_finding(&b, 1, "certificate_key",
                         "ECDSA P-521",
                         "Chrome and Edge cannot connect: this check's "
                         "handshake settled on certificate key ECDSA P-521, "
                         "which Chrome does not support");
  tt_both_free(&b);

  /* X448 preferred, X25519 too: the browser offer completes. */
  memset(&b, 0, sizeof(b));
  tt_check_ca(HOST, ports[3], ca.cert, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  assert_string_equal(tt_jstr(b.j, "tls.group"), "X448");
  assert_int_equal(tlsdiag_result_find(b.r, MISMATCH), -1);
  json_t *tl = tt_jget(b.cli, "timeline"), *e;
  size_t k;
  int seen = 0;
  json_array_foreach(tl, k, e) {
    if (!strcmp(json_string_value(json_object_get(e, "what")),
                "browser offer")) {
      assert_string_equal(json_string_value(json_object_get(e, "detail")),
                          "a handshake offering what Chrome offers: "
                          "completed");
      seen = 1;
    }
  }
  assert_true(seen);
  tt_both_free(&b);

  /* X25519 (browsers' first group): no second handshake at all. */
  memset(&b, 0, sizeof(b));
  /* the name does not match: still no probe */
  tt_check_ca(HOST, ports[4], ca.cert, &b);
  assert_string_equal(tt_jstr(b.j, "tls.group"), "X25519");
  assert_int_equal(tlsdiag_result_find(b.r, MISMATCH), -1);
  json_array_foreach(tt_jget(b.cli, "timeline"), k, e)
    assert_string_not_equal(json_string_value(json_object_get(e, "what")),
                            "browser offer");
  tt_both_free(&b);
  stop_server();
}

/* An IP address asked for, the certificate listing it as a dNSName:
 * browsers and curl refuse it; the message said "it covers" the very
 * address it is not valid for. */
static void test_ip_listed_as_dns_name(void **st) {
  (void)st;
  start_nginx();
  tt_both_t b = {0};
  tt_check_ca("127.0.0.1", ports[4], ca.cert, &b);
  const tlsdiag_cause_t m = TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH;
  tt_expect_cause(&b, m);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(b.r, m, "rule"), "ip_address_in_dns_name");
  assert_string_equal(tt_ev(b.r, m, "dns_name"), "127.0.0.1");
  assert_string_equal(tt_ev(b.r, m, "name"), "127.0.0.1");
  assert_string_equal(
      tlsdiag_result_finding_message(b.r, 0),
      "the certificate is not valid for the IP address 127.0.0.1: it lists "
      "\"127.0.0.1\" as a DNS name (dNSName), and an IP address matches only "
      "an IP address (iPAddress) subjectAltName");
  json_t *f = tt_jfinding_or_fail(b.cli, m);
  assert_string_equal(
      json_string_value(json_object_get(json_object_get(f, "evidence"),
                                        "rule")),
      "ip_address_in_dns_name");
  assert_string_equal(json_string_value(json_object_get(f, "message")),
                      tlsdiag_result_finding_message(b.r, 0));
  tt_both_free(&b);
  stop_server();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_browser_offer_nginx),
      cmocka_unit_test(test_ip_listed_as_dns_name),
  };
  int rc = td_run_tests(tests, tt_setup, tt_teardown);
  stop_server();
  return rc;
}
