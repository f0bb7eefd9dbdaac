/* test_http2.c: ALPN h2 and the request over HTTP/2 (issue 17, item 5):
 * real nginx answers over HTTP/2 (and over HTTP/1.1 with --http1.1), a
 * TLS 1.2 suite HTTP/2 forbids gives http2_inadequate_security, and a
 * scripted server's GOAWAY, RST_STREAM or malformed SETTINGS gives
 * http2_protocol_error with the frame's code as evidence. */
#include "tdtest.h"

/* ---- raw HTTP/2 frames for the scripted server ------------------------- */

/* Appends one frame (RFC 9113 section 4.1) to buf at *n. */
static void frame(unsigned char *buf, size_t *n, unsigned type,
                  unsigned flags, uint32_t stream, const void *payload,
                  size_t len) {
  unsigned char *p = buf + *n;
  p[0] = (unsigned char)(len >> 16);
  p[1] = (unsigned char)(len >> 8);
  p[2] = (unsigned char)len;
  p[3] = (unsigned char)type;
  p[4] = (unsigned char)flags;
  p[5] = (unsigned char)(stream >> 24);
  p[6] = (unsigned char)(stream >> 16);
  p[7] = (unsigned char)(stream >> 8);
  p[8] = (unsigned char)stream;
  if (len) memcpy(p + 9, payload, len);
  *n += 9 + len;
}

static void be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* GOAWAY: last stream id, error code, debug data. */
static void goaway(unsigned char *buf, size_t *n, uint32_t last,
                   uint32_t code, const char *debug) {
  unsigned char p[128];
  size_t dl = strlen(debug);
  be32(p, last);
  be32(p + 4, code);
  memcpy(p + 8, debug, dl);
  frame(buf, n, 7, 0, 0, p, 8 + dl);
}

/* A server that picks h2 by ALPN, reads the client's preface (it ends in
 * an empty line, as a request head does) and sends raw, then closes. */
static tdserver_t *h2_server(const unsigned char *raw, size_t len) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_RAW_RESPONSE, "valid");
  cfg.alpn = "h2";
  cfg.raw_response = (const char *)raw;
  cfg.raw_len = len;
  return tt_server_cfg(&cfg);
}

/* The http2 finding's evidence in the API and the same in both JSONs. */
static void expect_h2_ev(const tt_both_t *b, tlsdiag_cause_t cause,
                         const char *key, const char *want) {
  assert_string_equal(tt_ev(b->r, cause, key), want);
  long i = tlsdiag_result_find(b->r, cause);
  char path[96];
  snprintf(path, sizeof(path), "findings.%ld.evidence.%s", i, key);
  json_t *lib = tt_jget(b->j, path), *cli = tt_jget(b->cli, path);
  assert_non_null(lib);
  assert_non_null(cli);
  assert_true(json_equal(lib, cli));
}

static void check_raw(const unsigned char *raw, size_t len, tt_both_t *b) {
  b->s = h2_server(raw, len);
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(b->s));
  tt_check_both("valid.tlsdiag.test", &t, NULL, b);
  assert_string_equal(tlsdiag_result_tls_alpn(b->r), "h2");
  assert_string_equal(tt_jstr(b->cli, "tls.alpn"), "h2");
  assert_string_equal(tt_jstr(b->cli, "http.request"), "HEAD / HTTP/2");
  assert_int_equal(tlsdiag_result_phase_status(b->r, TLSDIAG_PHASE_HTTP),
                   TLSDIAG_STATUS_FAILED);
}

/* ---- scripted servers --------------------------------------------------- */

static void test_http2_goaway_protocol_error(void **state) {
  (void)state;
  unsigned char raw[256];
  size_t n = 0;
  frame(raw, &n, 4, 0, 0, NULL, 0); /* SETTINGS, empty */
  goaway(raw, &n, 0, 1, "no thanks\x1b[31m");
  tt_both_t b;
  check_raw(raw, n, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR);
  long i = tlsdiag_result_find(b.r, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "frame", "GOAWAY");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "sent_by", "server");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "error_code",
               "PROTOCOL_ERROR");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "error_code_num", "1");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "last_stream_id", "0");
  /* The debug data is the server's: escaped, never a terminal escape. */
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "debug_data",
               "no thanks\\x1b[31m");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "alpn", "h2");
  tt_both_free(&b);
}

static void test_http2_malformed_settings(void **state) {
  (void)state;
  /* A SETTINGS payload of 5 bytes (not a multiple of 6): the client
   * answers GOAWAY FRAME_SIZE_ERROR (RFC 9113 section 6.5). */
  unsigned char raw[64];
  size_t n = 0;
  frame(raw, &n, 4, 0, 0, "\0\x03\0\0\0", 5);
  tt_both_t b;
  check_raw(raw, n, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR);
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "frame", "GOAWAY");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "sent_by", "client");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "error_code",
               "FRAME_SIZE_ERROR");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "error_code_num", "6");
  tt_both_free(&b);
}

static void test_http2_http1_answer_on_h2(void **state) {
  (void)state;
  /* ALPN said h2, the server speaks HTTP/1.1: its first bytes are no
   * SETTINGS frame. */
  static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  tt_both_t b;
  check_raw((const unsigned char *)resp, sizeof(resp) - 1, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR);
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "sent_by", "client");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "frame", "GOAWAY");
  tt_both_free(&b);
}

static void test_http2_rst_stream_before_response(void **state) {
  (void)state;
  unsigned char raw[64], code[4];
  size_t n = 0;
  frame(raw, &n, 4, 0, 0, NULL, 0);
  be32(code, 7); /* REFUSED_STREAM */
  frame(raw, &n, 3, 0, 1, code, 4);
  tt_both_t b;
  check_raw(raw, n, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR);
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "frame", "RST_STREAM");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "sent_by", "server");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "error_code",
               "REFUSED_STREAM");
  assert_null(tlsdiag_result_finding_evidence(
      b.r, (size_t)tlsdiag_result_find(b.r, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR),
      "last_stream_id"));
  tt_both_free(&b);
}

/* HEADERS on stream 1 (END_STREAM | END_HEADERS): ":status: 200" (HPACK
 * static index 8) and one field as a literal without indexing. */
static void headers_200(unsigned char *buf, size_t *n, const char *name,
                        const char *value) {
  unsigned char p[128];
  size_t nl = strlen(name), vl = strlen(value), k = 0;
  p[k++] = 0x88;
  p[k++] = 0x00;
  p[k++] = (unsigned char)nl;
  memcpy(p + k, name, nl);
  k += nl;
  p[k++] = (unsigned char)vl;
  memcpy(p + k, value, vl);
  k += vl;
  frame(buf, n, 1, 0x05, 1, p, k);
}

static void test_http2_scripted_response_fields(void **state) {
  (void)state;
  unsigned char raw[256];
  size_t n = 0;
  frame(raw, &n, 4, 0, 0, NULL, 0);
  headers_200(raw, &n, "strict-transport-security", "max-age=300");
  tt_both_t b;
  b.s = h2_server(raw, n);
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(b.s));
  tt_check_both("valid.tlsdiag.test", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_http_status(b.r), 200);
  assert_string_equal(tt_jstr(b.cli, "http.version"), "HTTP/2");
  assert_string_equal(tt_jstr(b.cli, "http.headers.strict-transport-security"),
                      "max-age=300");
  /* the HSTS judgement sees it: valid, but short */
  assert_string_equal(tt_ev(b.r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, "max_age"),
                      "300");
  assert_int_equal(tlsdiag_result_find(b.r, TLSDIAG_CAUSE_HSTS_HEADER_MISSING),
                   -1);
  /* the client's preface, then a request as the HTTP/1.1 path's */
  char *req = tdserver_last_request(b.s);
  assert_non_null(req);
  assert_int_equal(strncmp(req, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24), 0);
  free(req);
  tt_both_free(&b);
}

static void test_http2_malformed_response_field(void **state) {
  (void)state;
  /* An uppercase field name is malformed in HTTP/2 (RFC 9113 section
   * 8.2.1): the client resets the stream with PROTOCOL_ERROR. */
  unsigned char raw[256];
  size_t n = 0;
  frame(raw, &n, 4, 0, 0, NULL, 0);
  headers_200(raw, &n, "Server", "x");
  tt_both_t b;
  check_raw(raw, n, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR);
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "frame", "RST_STREAM");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "sent_by", "client");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR, "error_code",
               "PROTOCOL_ERROR");
  tt_both_free(&b);
}

static void test_http2_server_goaway_inadequate_security(void **state) {
  (void)state;
  unsigned char raw[128];
  size_t n = 0;
  frame(raw, &n, 4, 0, 0, NULL, 0);
  goaway(raw, &n, 0, 12, "weak suite");
  tt_both_t b;
  check_raw(raw, n, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY);
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "sent_by",
               "server");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "error_code",
               "INADEQUATE_SECURITY");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "debug_data",
               "weak suite");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "tls_version",
               "TLS1.3");
  tt_both_free(&b);
}

/* h2 chosen, then silence: the check's max_time ends the HTTP phase,
 * through the same poll loop and deadlines as over HTTP/1.1. */
static void test_http2_silent_server_times_out(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HANDSHAKE_THEN_SILENT, "valid");
  cfg.alpn = "h2";
  tdserver_t *s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(s));
  t.o.max_time_ms = 700;
  int64_t t0 = td_mono_us();
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  double ms = tt_ms_since(t0);
  assert_string_equal(tlsdiag_result_tls_alpn(r), "h2");
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_HTTP_TIMEOUT);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_HTTP),
                   TLSDIAG_STATUS_TIMEOUT);
  if (ms < 700 || ms > td_upper_ms(700 * 1.1 + 50))
    fail_msg("max_time of 700 ms took %.1f ms", ms);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

static void test_http2_option_values(void **state) {
  (void)state;
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  assert_int_equal(o.http_version, TLSDIAG_HTTP_DEFAULT);
  o.http_version = (tlsdiag_http_version_t)7;
  tlsdiag_result_t *r = NULL;
  assert_int_equal(tlsdiag_check("localhost", &o, &r), TLSDIAG_E_OPTIONS);
  assert_null(r);
  /* --http1.1 against an h2-only server: no protocol in common, the
   * server picks none, and the request goes over HTTP/1.1. */
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.alpn = "http/1.1";
  tdserver_t *s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(s));
  t.o.http_version = TLSDIAG_HTTP2; /* offers h2, accepts http/1.1 */
  r = tt_check("valid.tlsdiag.test", &t.o);
  assert_string_equal(tlsdiag_result_tls_alpn(r), "http/1.1");
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* ---- real nginx -------------------------------------------------------- */

static pid_t nginx_pid = -1;

/* nginx 1.22 (bookworm: "listen ... ssl http2"; 1.25 has "http2 on"):
 * ports[0] a modern h2 site with HSTS; ports[1] h2 over TLS 1.2 with
 * ECDHE-RSA-AES128-SHA only (a suite Chrome offers; not AEAD, so RFC
 * 9113 appendix A forbids it under h2). */
static void start_nginx(uint16_t ports[3]) {
  tt_case_files_t c = tt_case_files("valid_rsa");
  /* A body larger than HTTP/2's initial windows (65,535 bytes): the fetch
   * must open them as it reads. */
  char big[300001], bigpath[256];
  for (size_t i = 0; i < sizeof(big) - 1; i++) big[i] = (char)('a' + i % 26);
  big[sizeof(big) - 1] = '\0';
  tt_write_tmp(bigpath, sizeof(bigpath), "big", big);
  tt_free_ports(ports, 3);
  tt_nginx_http(
      &nginx_pid, ports, 3,
      " ssl_certificate %s; ssl_certificate_key %s;\n"
      " server { listen 127.0.0.1:%u ssl http2;"
      " ssl_protocols TLSv1.2 TLSv1.3;"
      " add_header Strict-Transport-Security \"max-age=31536000; "
      "includeSubDomains\" always;"
      " location / { return 200 \"hello over h2\\n\"; }"
      " location /big { root %s; } }\n"
      " server { listen 127.0.0.1:%u ssl http2; ssl_protocols TLSv1.2;"
      " ssl_ciphers ECDHE-RSA-AES128-SHA:@SECLEVEL=0;"
      " location / { return 200 \"ok\\n\"; } }\n"
      " server { listen 127.0.0.1:%u ssl http2; ssl_protocols TLSv1.3;"
      " ssl_verify_client on; ssl_client_certificate %s;"
      " location / { return 200 \"ok\\n\"; } }\n",
      c.chain, c.key, ports[0], tt_dir, ports[1], ports[2], tt_root);
}

static void stop_nginx(void) {
  tt_stop_child(&nginx_pid);
}

static void test_http2_nginx(void **state) {
  (void)state;
  uint16_t ports[3];
  start_nginx(ports);
  tt_opts_t t;
  tt_both_t b = {0};

  /* The default offers h2 first: nginx answers over HTTP/2, and the
   * response's fields reach the HSTS logic as over HTTP/1.1. */
  tt_opts(&t, "localhost", ports[0]);
  tt_check_both("localhost", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  assert_string_equal(tlsdiag_result_tls_alpn(b.r), "h2");
  assert_int_equal(tlsdiag_result_http_status(b.r), 200);
  assert_string_equal(tt_jstr(b.cli, "tls.alpn"), "h2");
  assert_string_equal(tt_jstr(b.cli, "http.version"), "HTTP/2");
  assert_string_equal(tt_jstr(b.cli, "http.status_line"), "HTTP/2 200");
  assert_string_equal(tt_jstr(b.cli, "http.request"), "HEAD / HTTP/2");
  assert_string_equal(tt_jstr(b.cli, "http.headers.strict-transport-security"),
                      "max-age=31536000; includeSubDomains");
  assert_string_equal(tt_jstr(b.cli, "hsts.header.value"),
                      "max-age=31536000; includeSubDomains");
  assert_true(json_is_true(tt_jget(b.cli, "hsts.header.valid")));
  assert_int_equal(json_integer_value(tt_jget(b.cli, "hsts.header.max_age")),
                   31536000);
  assert_int_equal(tlsdiag_result_find(b.r, TLSDIAG_CAUSE_HSTS_HEADER_MISSING),
                   -1);
  tt_both_free(&b);

  /* --http1.1 on the same server: http/1.1, the same header. */
  static const char *const h11[] = {"--http1.1", NULL};
  tt_check_both("localhost", &t, h11, &b);
  assert_string_equal(tt_jstr(b.cli, "tls.alpn"), "http/1.1");
  assert_string_equal(tt_jstr(b.cli, "http.version"), "HTTP/1.1");
  assert_string_equal(tt_jstr(b.cli, "http.headers.strict-transport-security"),
                      "max-age=31536000; includeSubDomains");
  assert_string_equal(tt_jstr(b.cli, "cause"), "ok");
  assert_int_equal(b.cli_exit, 0);
  tt_both_free(&b);
  t.o.http_version = TLSDIAG_HTTP1_1;
  tlsdiag_result_t *r = tt_check("localhost", &t.o);
  assert_string_equal(tlsdiag_result_tls_alpn(r), "http/1.1");
  tlsdiag_result_free(r);
  /* --http2 as curl's: h2 preferred. */
  static const char *const h2[] = {"--http2", NULL};
  t.o.http_version = TLSDIAG_HTTP2;
  tt_check_both("localhost", &t, h2, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  assert_string_equal(tlsdiag_result_tls_alpn(b.r), "h2");
  assert_string_equal(tt_jstr(b.cli, "tls.alpn"), "h2");
  assert_string_equal(tt_jstr(b.cli, "http.version"), "HTTP/2");
  tt_both_free(&b);
  /* 0-RTT data is an HTTP/1.1 request: early data offers http/1.1 on
   * both connections, whatever http_version says. */
  t.o.flags |= TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA;
  r = tt_check("localhost", &t.o);
  assert_string_equal(tlsdiag_result_tls_alpn(r), "http/1.1");
  assert_int_equal(tlsdiag_result_http_status(r), 200);
  tlsdiag_result_free(r);
  t.o.flags &= ~(unsigned)(TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA);

  /* A fetch over h2: the body from DATA frames, whole. */
  char url[80];
  snprintf(url, sizeof(url), "https://localhost:%u/x", ports[0]);
  t.o.http_version = TLSDIAG_HTTP_DEFAULT;
  unsigned char *body = NULL;
  size_t blen = 0;
  assert_int_equal(tlsdiag_fetch(url, &t.o, 1024, &r, &body, &blen),
                   TLSDIAG_OK);
  assert_string_equal(tlsdiag_result_tls_alpn(r), "h2");
  assert_non_null(body);
  assert_int_equal(blen, 14);
  assert_memory_equal(body, "hello over h2\n", 14);
  tlsdiag_free(body);
  tlsdiag_result_free(r);
  /* 300,000 bytes through the flow-control windows. */
  snprintf(url, sizeof(url), "https://localhost:%u/big", ports[0]);
  body = NULL;
  assert_int_equal(tlsdiag_fetch(url, &t.o, 1 << 20, &r, &body, &blen),
                   TLSDIAG_OK);
  assert_non_null(body);
  assert_int_equal(blen, 300000);
  assert_int_equal(body[299999], 'a' + 299999 % 26);
  tlsdiag_free(body);
  tlsdiag_result_free(r);
  snprintf(url, sizeof(url), "https://localhost:%u/x", ports[0]);
  /* ... and bounded as over HTTP/1.1. */
  body = NULL;
  assert_int_equal(tlsdiag_fetch(url, &t.o, 8, &r, &body, &blen), TLSDIAG_OK);
  assert_null(body);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_HTTP_TOO_LARGE);
  tlsdiag_result_free(r);

  /* h2 over TLS 1.2 with AES-CBC: browsers refuse (Chrome's
   * ERR_HTTP2_INADEQUATE_TRANSPORT_SECURITY); curl uses it anyway. */
  tt_opts(&t, "localhost", ports[1]);
  tt_check_both("localhost", &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY);
  long i = tlsdiag_result_find(b.r, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "cipher_suite",
               "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "tls_version",
               "TLS1.2");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "alpn", "h2");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "frame", "GOAWAY");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "sent_by",
               "client");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "error_code",
               "INADEQUATE_SECURITY");
  expect_h2_ev(&b, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY, "error_code_num",
               "12");
  assert_non_null(strstr(tlsdiag_result_finding_message(b.r, (size_t)i),
                         "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"));
  tt_both_free(&b);
  /* The same server over HTTP/1.1: no HTTP/2 finding, warnings only. */
  t.o.http_version = TLSDIAG_HTTP1_1;
  tt_check_both("localhost", &t, h11, &b);
  assert_string_equal(tt_jstr(b.cli, "tls.alpn"), "http/1.1");
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  assert_int_equal(
      tlsdiag_result_find(b.r, TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY), -1);
  tt_both_free(&b);

  /* A client certificate required (TLS 1.3): nginx answers 400 and names
   * the problem in the body, which over HTTP/2 is a DATA frame of its
   * own: read as over HTTP/1.1. */
  static const char *const get[] = {"--method", "GET", NULL};
  tt_opts(&t, "localhost", ports[2]);
  t.o.http_method = "GET";
  tt_check_both("localhost", &t, get, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_TLS_CLIENT_CERT_REQUIRED);
  assert_string_equal(tlsdiag_result_tls_alpn(b.r), "h2");
  assert_int_equal(tlsdiag_result_http_status(b.r), 400);
  assert_string_equal(
      tt_ev(b.r, TLSDIAG_CAUSE_TLS_CLIENT_CERT_REQUIRED, "http_body"),
      "No required SSL certificate was sent");
  assert_string_equal(
      tt_jstr(b.cli, "findings.0.evidence.http_body"),
      "No required SSL certificate was sent");
  tt_both_free(&b);
  stop_nginx();
}

static int teardown_all(void **state) {
  stop_nginx();
  return tt_teardown(state);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_http2_goaway_protocol_error),
      cmocka_unit_test(test_http2_malformed_settings),
      cmocka_unit_test(test_http2_http1_answer_on_h2),
      cmocka_unit_test(test_http2_rst_stream_before_response),
      cmocka_unit_test(test_http2_scripted_response_fields),
      cmocka_unit_test(test_http2_malformed_response_field),
      cmocka_unit_test(test_http2_server_goaway_inadequate_security),
      cmocka_unit_test(test_http2_silent_server_times_out),
      cmocka_unit_test(test_http2_option_values),
      cmocka_unit_test(test_http2_nginx),
  };
  return td_run_tests(tests, tt_setup, teardown_all);
}
