/* test_check.c: the whole HTTPS connection, observed step by step, against
 * local servers and a local DNS responder. */
#include "tdtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define HSTS "max-age=63072000; includeSubDomains; preload"

static tddns_t *dns_with(const char *name, const char *a, const char *aaaa,
                         char *servers, size_t n) {
  tddns_t *d = NULL;
  assert_int_equal(tddns_start("127.0.0.1", &d), 0);
  if (a) assert_int_equal(tddns_add_a(d, name, a), 0);
  if (aaaa) assert_int_equal(tddns_add_aaaa(d, name, aaaa), 0);
  snprintf(servers, n, "127.0.0.1:%u", tddns_port(d));
  return d;
}

/* A full successful check through DNS, TCP, TLS and HTTP, every field of
 * the report asserted. */
static void test_check_valid_full_report(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.extra_headers = "Strict-Transport-Security: " HSTS "\r\n"
                      "Location: https://valid.tlsdiag.test/next\r\n";
  cfg.alpn = "http/1.1";
  tdserver_t *s = tt_server_cfg(&cfg);
  char servers[64];
  tddns_t *d = dns_with("valid.tlsdiag.test", "127.0.0.1", NULL, servers,
                        sizeof(servers));
  tt_opts_t t;
  tt_opts(&t, NULL, tdserver_port(s));
  t.o.dns_servers = servers;
  int64_t t0 = td_mono_us();
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  double wall_ms = tt_ms_since(t0);

  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_true(tlsdiag_result_ok(r));
  /* Every phase ran, so took some time, and no more than the whole call
   * measured around it; together they fit in it too. */
  double sum_ms = 0;
  for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++) {
    assert_int_equal(tlsdiag_result_phase_status(r, (tlsdiag_phase_t)p),
                     TLSDIAG_STATUS_OK);
    double ms = tlsdiag_result_phase_ms(r, (tlsdiag_phase_t)p);
    if (!(ms > 0.0 && ms <= wall_ms))
      fail_msg("phase %s took %.3f ms; the check took %.3f ms",
               tlsdiag_phase_name((tlsdiag_phase_t)p), ms, wall_ms);
    sum_ms += ms;
  }
  if (sum_ms > wall_ms)
    fail_msg("phases add up to %.3f ms, the check took %.3f ms", sum_ms, wall_ms);
  /* A and AAAA, both asked of our responder (nothing else to ask). */
  unsigned asked = tddns_queries(d);
  assert_int_equal(asked, 2);
  assert_int_equal(tlsdiag_result_address_count(r), 1);
  assert_string_equal(tlsdiag_result_address(r, 0), "127.0.0.1");
  assert_string_equal(tlsdiag_result_connected_address(r), "127.0.0.1");
  assert_string_equal(tlsdiag_result_sni(r), "valid.tlsdiag.test");
  char *sni = tdserver_last_sni(s);
  assert_string_equal(sni, "valid.tlsdiag.test");
  free(sni);
  char *req = tdserver_last_request(s);
  assert_non_null(strstr(req, "HEAD / HTTP/1.1\r\n"));
  assert_non_null(strstr(req, "\r\nHost: valid.tlsdiag.test:"));
  free(req);

  assert_string_equal(tlsdiag_result_tls_version(r), "TLS1.3");
  assert_non_null(tlsdiag_result_tls_cipher(r));
  /* browsers' order, AES-128-GCM and X25519 first (GnuTLS's own order
   * has AES-256-GCM and SECP256R1 first); the GnuTLS server follows the
   * client */
  assert_string_equal(tlsdiag_result_tls_cipher(r), "TLS_AES_128_GCM_SHA256");
  assert_string_equal(tlsdiag_result_tls_group(r), "X25519");
  assert_string_equal(tlsdiag_result_tls_alpn(r), "http/1.1");

  assert_int_equal(tlsdiag_result_chain_length(r), 2);
  assert_string_equal(tlsdiag_result_cert_field(r, 0, "common_name"), "localhost");
  assert_non_null(strstr(tlsdiag_result_cert_field(r, 0, "sans"),
                         "valid.tlsdiag.test"));
  assert_string_equal(tlsdiag_result_cert_field(r, 0, "key_type"), "ECDSA");
  assert_string_equal(tlsdiag_result_cert_field(r, 0, "key_bits"), "256");
  assert_string_equal(tlsdiag_result_cert_field(r, 0, "signature_algorithm"),
                      "ECDSA-SHA256");
  assert_int_equal(strlen(tlsdiag_result_cert_field(r, 0, "sha256_fingerprint")), 64);
  assert_string_equal(tlsdiag_result_cert_field(r, 0, "days_left"), "89");
  assert_int_equal(strlen(tlsdiag_result_cert_field(r, 0, "not_after")), 20);
  assert_non_null(strstr(tlsdiag_result_cert_field(r, 1, "subject"),
                         "tlsdiag Test Intermediate CA"));

  assert_int_equal(tlsdiag_result_http_status(r), 200);
  assert_string_equal(tlsdiag_result_http_header(r, "strict-transport-security"), HSTS);
  assert_non_null(tlsdiag_result_http_header(r, "Date"));
  assert_string_equal(tlsdiag_result_http_header(r, "Server"), "tdserver");
  assert_string_equal(tlsdiag_result_http_header(r, "location"),
                      "https://valid.tlsdiag.test/next");

  json_t *j = tt_json(r);
  json_t *ok = json_object_get(j, "ok");
  if (!json_is_boolean(ok)) fail_msg("\"ok\" is missing or not a boolean");
  assert_true(json_is_true(ok));
  assert_string_equal(tt_jstr(j, "cause"), "ok");
  assert_string_equal(tt_jstr(j, "phases.dns.status"), "ok");
  assert_string_equal(tt_jstr(j, "phases.tcp.status"), "ok");
  assert_string_equal(tt_jstr(j, "phases.tls.status"), "ok");
  assert_string_equal(tt_jstr(j, "phases.http.status"), "ok");
  assert_string_equal(tt_jstr(j, "phases.dns.addresses.0.address"), "127.0.0.1");
  assert_string_equal(tt_jstr(j, "tls.version"), "TLS1.3");
  assert_string_equal(tt_jstr(j, "tls.group"), "X25519");
  assert_true(json_is_true(tt_jget(j, "tls.ocsp_stapled")));
  assert_string_equal(tt_jstr(j, "chain.0.common_name"), "localhost");
  assert_int_equal(json_integer_value(tt_jget(j, "http.status")), 200);
  assert_true(json_array_size(tt_jget(j, "findings")) == 0);
  /* The report counts the queries the responder received. */
  json_t *nq = tt_jget(j, "anatomy.dns_queries");
  if (!json_is_integer(nq)) fail_msg("anatomy.dns_queries is not an integer");
  assert_int_equal(json_integer_value(nq), asked);
  assert_int_equal(json_integer_value(tt_jget(j, "anatomy.round_trips.dns")), 1);
  json_decref(j);

  char *m = NULL;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_MERMAID, 0, &m, NULL),
                   TLSDIAG_OK);
  assert_memory_equal(m, "sequenceDiagram", 15);
  assert_non_null(strstr(m, "ClientHello"));
  assert_non_null(strstr(m, "ServerHello"));
  assert_non_null(strstr(m, "HEAD / HTTP/1.1"));
  assert_non_null(strstr(m, "127.0.0.1"));
  assert_non_null(strstr(m, "TLS1.3"));
  tlsdiag_free(m);

  char *txt = NULL;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, 0, &txt, NULL),
                   TLSDIAG_OK);
  const char *order[] = {"query", "SYN", "ClientHello", "ServerHello",
                         "Certificate", "Finished", "HEAD / HTTP/1.1",
                         "HTTP/1.1 200"};
  const char *p = txt;
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    const char *q = strstr(p, order[i]);
    if (!q) fail_msg("text report lacks '%s' after position %zu", order[i],
                     (size_t)(p - txt));
    p = q;
  }
  tlsdiag_free(txt);

  tlsdiag_result_free(r);
  tddns_stop(d);
  tdserver_stop(s);
}

/* IDN: the U-label is turned into the A-label for DNS, SNI and the name
 * check; the report keeps both. */
static void test_check_idn_name(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "idn");
  char servers[64];
  tddns_t *d = dns_with("xn--bcher-kva.tlsdiag.test", "127.0.0.1", NULL,
                        servers, sizeof(servers));
  tt_opts_t t;
  tt_opts(&t, NULL, tdserver_port(s));
  t.o.dns_servers = servers;
  tlsdiag_result_t *r = tt_check("b\xc3\xbc" "cher.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_string_equal(tlsdiag_result_ace_host(r), "xn--bcher-kva.tlsdiag.test");
  char *sni = tdserver_last_sni(s);
  assert_string_equal(sni, "xn--bcher-kva.tlsdiag.test");
  free(sni);
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "target.host"), "b\xc3\xbc" "cher.tlsdiag.test");
  assert_string_equal(tt_jstr(j, "target.ace"), "xn--bcher-kva.tlsdiag.test");
  json_decref(j);
  tlsdiag_result_free(r);
  tddns_stop(d);
  tdserver_stop(s);
}

/* An IPv6 server found through AAAA. */
static void test_check_ipv6_aaaa(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.bind_addr = "::1";
  tdserver_t *s = NULL;
  if (tdserver_start(&cfg, &s) != 0) TD_SKIP("no IPv6 loopback (::1) here");
  char servers[64];
  tddns_t *d = dns_with("valid.tlsdiag.test", NULL, "::1", servers,
                        sizeof(servers));
  tt_opts_t t;
  tt_opts(&t, NULL, tdserver_port(s));
  t.o.dns_servers = servers;
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_string_equal(tlsdiag_result_connected_address(r), "::1");
  tlsdiag_result_free(r);
  tddns_stop(d);
  tdserver_stop(s);
}

/* A literal address: no DNS, no SNI, the name check against IP SANs. */
static void test_check_ip_literal_no_sni(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  tt_opts_t t;
  tt_opts(&t, NULL, tdserver_port(s));
  tlsdiag_result_t *r = tt_check("127.0.0.1", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_SKIPPED);
  assert_string_equal(tlsdiag_result_sni(r), "");
  char *sni = tdserver_last_sni(s);
  assert_string_equal(sni, "");
  free(sni);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* NXDOMAIN from the local responder stops the check in the DNS phase. */
static void test_check_nxdomain(void **state) {
  (void)state;
  char servers[64];
  tddns_t *d = dns_with("known.tlsdiag.test", "127.0.0.1", NULL, servers,
                        sizeof(servers));
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.dns_servers = servers;
  o.cafile = tt_root;
  tlsdiag_result_t *r = tt_check("unknown.tlsdiag.test", &o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_DNS_NXDOMAIN);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_FAILED);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_TCP),
                   TLSDIAG_STATUS_NOT_RUN);
  long i = tlsdiag_result_find(r, TLSDIAG_CAUSE_DNS_NXDOMAIN);
  assert_true(i >= 0);
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "name"),
                      "unknown.tlsdiag.test");
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "server"),
                      servers);
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "cause"), "dns_nxdomain");
  assert_string_equal(tt_jstr(j, "phases.dns.status"), "failed");
  json_decref(j);
  tlsdiag_result_free(r);
  tddns_stop(d);
}

/* A port nobody listens on. */
static void test_check_refused(void **state) {
  (void)state;
  uint16_t port = 0;
  int fd = tt_refusing_port("127.0.0.1", &port);
  tt_opts_t t;
  tt_opts(&t, "refused.tlsdiag.test", port);
  tlsdiag_result_t *r = tt_check("refused.tlsdiag.test", &t.o);
  close(fd);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TCP_REFUSED);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_SKIPPED);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_TCP),
                   TLSDIAG_STATUS_FAILED);
  long i = tlsdiag_result_find(r, TLSDIAG_CAUSE_TCP_REFUSED);
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "address"),
                      "127.0.0.1");
  tlsdiag_result_free(r);
}

/* A listener whose backlog is full drops SYNs: the connect timeout is
 * honoured within 10% (plus scheduling slack). */
static void test_check_connect_timeout(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_NO_ACCEPT, NULL);
  tt_opts_t t;
  tt_opts(&t, "blackhole.tlsdiag.test", tdserver_port(s));
  t.o.connect_timeout_ms = 600;
  int64_t t0 = td_mono_us();
  tlsdiag_result_t *r = tt_check("blackhole.tlsdiag.test", &t.o);
  double ms = tt_ms_since(t0);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TCP_TIMEOUT);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_TCP),
                   TLSDIAG_STATUS_TIMEOUT);
  if (ms < 600 || ms > td_upper_ms(600 * 1.1 + 50))
    fail_msg("connect timeout of 600 ms took %.1f ms", ms);
  /* the TCP phase itself: at least the timeout, at most the call */
  double tcp_ms = tlsdiag_result_phase_ms(r, TLSDIAG_PHASE_TCP);
  if (tcp_ms < 600 || tcp_ms > ms)
    fail_msg("TCP phase took %.1f ms (timeout 600 ms, call %.1f ms)", tcp_ms, ms);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* A server that accepts and never speaks: the handshake timeout. */
static void test_check_handshake_timeout(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_SILENT, NULL);
  tt_opts_t t;
  tt_opts(&t, "silent.tlsdiag.test", tdserver_port(s));
  t.o.connect_timeout_ms = 500;
  int64_t t0 = td_mono_us();
  tlsdiag_result_t *r = tt_check("silent.tlsdiag.test", &t.o);
  double ms = tt_ms_since(t0);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TLS_TIMEOUT);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_TLS),
                   TLSDIAG_STATUS_TIMEOUT);
  if (ms < 500 || ms > td_upper_ms(500 * 1.1 + 50))
    fail_msg("handshake timeout of 500 ms took %.1f ms", ms);
  double tls_ms = tlsdiag_result_phase_ms(r, TLSDIAG_PHASE_TLS);
  if (tls_ms < 500 || tls_ms > ms)
    fail_msg("TLS phase took %.1f ms (timeout 500 ms, call %.1f ms)", tls_ms, ms);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* --max-time bounds the whole run, whatever phase it is in. */
static void test_check_max_time_bounds_http(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HANDSHAKE_THEN_SILENT, "valid");
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(s));
  t.o.max_time_ms = 700;
  int64_t t0 = td_mono_us();
  tlsdiag_result_t *r = tt_check("localhost", &t.o);
  double ms = tt_ms_since(t0);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_HTTP_TIMEOUT);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_TLS),
                   TLSDIAG_STATUS_OK);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_HTTP),
                   TLSDIAG_STATUS_TIMEOUT);
  if (ms < 700 || ms > td_upper_ms(700 * 1.1 + 50))
    fail_msg("max time of 700 ms took %.1f ms", ms);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* GET and a path are sent as asked; the request line is in the report. */
static void test_check_get_with_path(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(s));
  t.o.http_method = "GET";
  t.o.http_path = "/health?x=1";
  tlsdiag_result_t *r = tt_check("localhost", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  char *req = tdserver_last_request(s);
  assert_memory_equal(req, "GET /health?x=1 HTTP/1.1\r\n", 26);
  free(req);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* API errors are errors, not causes. */
static void test_check_api_errors(void **state) {
  (void)state;
  tlsdiag_result_t *r = (tlsdiag_result_t *)1;
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  assert_int_equal(tlsdiag_check("", &o, &r), TLSDIAG_E_HOST);
  assert_null(r);
  assert_int_equal(tlsdiag_check("a..b", &o, &r), TLSDIAG_E_HOST);
  o.cafile = "/nonexistent/ca.pem";
  assert_int_equal(tlsdiag_check("localhost", &o, &r), TLSDIAG_E_CAFILE);
  tlsdiag_options_init(&o);
  const char *bad[] = {"localhost:443", NULL};
  o.resolve = bad;
  assert_int_equal(tlsdiag_check("localhost", &o, &r), TLSDIAG_E_RESOLVE);
  tlsdiag_options_init(&o);
  o.dns_servers = "not-an-ip";
  assert_int_equal(tlsdiag_check("localhost", &o, &r), TLSDIAG_E_DNS_SERVER);
  tlsdiag_options_init(&o);
  o.tls_min = TLSDIAG_TLS1_3;
  o.tls_max = TLSDIAG_TLS1_2;
  assert_int_equal(tlsdiag_check("localhost", &o, &r), TLSDIAG_E_OPTIONS);
  tlsdiag_options_init(&o);
  o.version = 99;
  assert_int_equal(tlsdiag_check("localhost", &o, &r), TLSDIAG_E_OPTIONS);
  assert_int_equal(tlsdiag_check("localhost", &o, NULL), TLSDIAG_E_INVAL);
}

/* The last tlsdiag_err_t. The enum has no count: a code added after it
 * makes test_check_every_error_has_a_string fail until this is moved. */
#define TT_LAST_ERR TLSDIAG_E_URL

/* Every API error, up to the last, has its own text; one past the last
 * has none (so the walk cannot stop short of a new code). */
static void test_check_every_error_has_a_string(void **state) {
  (void)state;
  for (int e = 0; e <= TT_LAST_ERR; e++) {
    const char *s = tlsdiag_strerror((tlsdiag_err_t)e);
    if (!s || !*s || !strcmp(s, "unknown error"))
      fail_msg("tlsdiag_err_t %d has no text", e);
    for (int k = 0; k < e; k++)
      if (!strcmp(s, tlsdiag_strerror((tlsdiag_err_t)k)))
        fail_msg("tlsdiag_err_t %d and %d share the text '%s'", k, e, s);
  }
  if (strcmp(tlsdiag_strerror((tlsdiag_err_t)(TT_LAST_ERR + 1)), "unknown error"))
    fail_msg("tlsdiag_err_t %d has a text: move TT_LAST_ERR to the last code",
             TT_LAST_ERR + 1);
  assert_string_equal(tlsdiag_strerror((tlsdiag_err_t)-1), "unknown error");
}

/* Target and time parsers shared by the CLI and embedders. */
static void test_check_target_and_time_parse(void **state) {
  (void)state;
  char *h = NULL;
  uint16_t p = 0;
  assert_int_equal(tlsdiag_target_parse("example.com", 443, &h, &p), TLSDIAG_OK);
  assert_string_equal(h, "example.com");
  assert_int_equal(p, 443);
  tlsdiag_free(h);
  assert_int_equal(tlsdiag_target_parse("example.com:8443", 443, &h, &p), TLSDIAG_OK);
  assert_int_equal(p, 8443);
  tlsdiag_free(h);
  assert_int_equal(tlsdiag_target_parse("[::1]:4433", 443, &h, &p), TLSDIAG_OK);
  assert_string_equal(h, "::1");
  assert_int_equal(p, 4433);
  tlsdiag_free(h);
  assert_int_equal(tlsdiag_target_parse("::1", 443, &h, &p), TLSDIAG_OK);
  assert_string_equal(h, "::1");
  tlsdiag_free(h);
  assert_int_equal(tlsdiag_target_parse("host:0", 443, &h, &p), TLSDIAG_E_PORT);
  assert_int_equal(tlsdiag_target_parse("host:65536", 443, &h, &p), TLSDIAG_E_PORT);
  assert_int_equal(tlsdiag_target_parse("host:x", 443, &h, &p), TLSDIAG_E_PORT);
  assert_int_equal(tlsdiag_target_parse("[::1", 443, &h, &p), TLSDIAG_E_HOST);
  assert_int_equal(tlsdiag_target_parse("", 443, &h, &p), TLSDIAG_E_HOST);
  assert_int_equal(tlsdiag_target_parse(":443", 443, &h, &p), TLSDIAG_E_HOST);
  int64_t t = 0;
  assert_int_equal(tlsdiag_time_parse("2026-01-02T03:04:05Z", &t), TLSDIAG_OK);
  assert_int_equal(t, 1767323045);
  assert_int_equal(tlsdiag_time_parse("2026-01-02", &t), TLSDIAG_OK);
  assert_int_equal(t, 1767312000);
  assert_int_equal(tlsdiag_time_parse("@12345", &t), TLSDIAG_OK);
  assert_int_equal(t, 12345);
  assert_int_equal(tlsdiag_time_parse("2026-02-30", &t), TLSDIAG_E_TIME);
  assert_int_equal(tlsdiag_time_parse("2026-01-02T25:00:00Z", &t), TLSDIAG_E_TIME);
  assert_int_equal(tlsdiag_time_parse("yesterday", &t), TLSDIAG_E_TIME);
}

/* Every cause, up to the last, has a name, a description, a severity and
 * a rank, and names round-trip; one past the last has none of them. */
static void test_check_cause_table_complete(void **state) {
  (void)state;
  for (int c = 0; c < TLSDIAG_CAUSE_COUNT_; c++) {
    const tlsdiag_cause_t cc = (tlsdiag_cause_t)c;
    const char *n = tlsdiag_cause_name(cc);
    if (!n || !*n || !strcmp(n, "unknown")) fail_msg("cause %d has no name", c);
    assert_int_equal(tlsdiag_cause_from_name(n), c);
    const char *d = tlsdiag_cause_description(cc);
    if (!d || !*d || !strcmp(d, "unknown cause"))
      fail_msg("cause %s has no description", n);
    tlsdiag_severity_t sv = tlsdiag_cause_severity(cc);
    if (strcmp(tlsdiag_severity_name(sv), "unknown") == 0)
      fail_msg("cause %s has no severity (%d)", n, (int)sv);
    assert_true(td_cause_rank(cc) < 1000);
  }
  /* OK is the only cause that is not a problem at all. */
  assert_int_equal(tlsdiag_cause_severity(TLSDIAG_CAUSE_OK), TLSDIAG_SEVERITY_INFO);
  assert_string_equal(tlsdiag_cause_name(TLSDIAG_CAUSE_COUNT_), "unknown");
  assert_string_equal(tlsdiag_cause_description(TLSDIAG_CAUSE_COUNT_),
                      "unknown cause");
  assert_int_equal(td_cause_rank(TLSDIAG_CAUSE_COUNT_), 1000);
  assert_int_equal(tlsdiag_cause_from_name("no_such_cause"), -1);
}

/* max_time running out between phases (DNS answered, no address tried
 * yet; check.c next_address) is the run's own timeout, not a TCP failure
 * of a "?" address. Classified from a hand-built result: the window is
 * too short to hit on purpose through a real check. */
static void test_check_max_time_between_phases_is_timeout(void **state) {
  (void)state;
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  r->host = td_strdup("late.tlsdiag.test");
  r->ace_host = td_strdup("late.tlsdiag.test");
  r->port = 443;
  r->addrs = calloc(2, sizeof(*r->addrs));
  r->addr_family = calloc(2, sizeof(*r->addr_family));
  assert_non_null(r->addrs);
  assert_non_null(r->addr_family);
  r->addrs[0] = td_strdup("127.0.0.1");
  r->addrs[1] = td_strdup("::1");
  r->addr_family[0] = AF_INET;
  r->addr_family[1] = AF_INET6;
  r->naddrs = 2;
  r->phase[TLSDIAG_PHASE_DNS].status = TLSDIAG_STATUS_OK;
  r->phase[TLSDIAG_PHASE_TCP].status = TLSDIAG_STATUS_TIMEOUT;
  td_classify(r);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TIMEOUT);
  assert_int_equal(tlsdiag_result_finding_count(r), 1);
  assert_int_equal(tlsdiag_result_finding_severity(r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tlsdiag_result_finding_message(r, 0),
                      "the check ran out of time (max_time) before "
                      "connecting to late.tlsdiag.test");
  assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "phase"), "tcp");
  assert_string_equal(
      tlsdiag_result_finding_evidence(r, 0, "addresses_not_tried"), "2");
  tlsdiag_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_valid_full_report),
      cmocka_unit_test(test_check_idn_name),
      cmocka_unit_test(test_check_ipv6_aaaa),
      cmocka_unit_test(test_check_ip_literal_no_sni),
      cmocka_unit_test(test_check_nxdomain),
      cmocka_unit_test(test_check_refused),
      cmocka_unit_test(test_check_connect_timeout),
      cmocka_unit_test(test_check_handshake_timeout),
      cmocka_unit_test(test_check_max_time_bounds_http),
      cmocka_unit_test(test_check_get_with_path),
      cmocka_unit_test(test_check_api_errors),
      cmocka_unit_test(test_check_every_error_has_a_string),
      cmocka_unit_test(test_check_target_and_time_parse),
      cmocka_unit_test(test_check_cause_table_complete),
      cmocka_unit_test(test_check_max_time_between_phases_is_timeout),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
