/* test_field_verdicts5.c: verdicts found wrong in field test round 5
 * (trust paths, SNI defaults, HTTP methods), against real nginx (OpenSSL),
 * through the API and `check --json`:
 * - a server (an appliance, a framework's router) answering 405 (or 501)
 *   to HEAD but serving GET: tlsdiag judged the HEAD answer alone, so a
 *   GET redirect loop (ERR_TOO_MANY_REDIRECTS in browsers) or a GET 503
 *   was "no problem found", and the status, HSTS header and Location
 *   reported were the 405's. Now the check asks again with GET on the
 *   same connection (HTTP/1.1 keep-alive or a new HTTP/2 stream) and
 *   judges that answer; the timeline says so and http.head_status keeps
 *   the 405;
 * - nginx with a default_server (a certificate for other names) and a
 *   server block per site: a name it has no site for got the default
 *   certificate and "the certificate is not valid for NAME; it covers
 *   other.example", which sends the operator to reissue a certificate
 *   where the server lacks a site for the name. Now one more handshake
 *   without SNI tells the default certificate apart (the same leaf comes
 *   back), the message says so and lists the names it covers, and the
 *   evidence has server_default. curl: "no alternative certificate
 *   subject name matches target host name"; browsers:
 *   ERR_CERT_COMMON_NAME_INVALID, for both. */
#include "tdtest.h"

static pid_t srv_pid = -1; /* nginx; killed by stop_server */

static void stop_server(void) { tt_stop_child(&srv_pid); }

#define HOST "valid.tlsdiag.test"

/* An nginx location refusing HEAD with `refuse` and answering GET with
 * `get` (an nginx `return`). */
#define REFUSE_HEAD(refuse, get)                                             \
  " location / { if ($request_method = HEAD) { return " refuse "; }"        \
  " return " get "; }"

/* The timeline's event named what, or NULL. */
static json_t *event_named(json_t *j, const char *what) {
  json_t *tl = json_object_get(j, "timeline"), *e;
  size_t i;
  json_array_foreach(tl, i, e) {
    const char *w = json_string_value(json_object_get(e, "what"));
    if (w && !strcmp(w, what)) return e;
  }
  return NULL;
}

/* The HTTP facts of both reports: the method and request line judged,
 * the status, the refused HEAD's status (0: none, JSON null). */
static void expect_http(const tt_both_t *b, const char *request, int status,
                        int head_status) {
  json_t *js[] = {b->j, b->cli};
  for (size_t i = 0; i < 2; i++) {
    json_t *h = json_object_get(js[i], "http");
    assert_string_equal(tt_jstr(h, "request"), request);
    assert_int_equal(json_integer_value(json_object_get(h, "status")),
                     status);
    json_t *hs = json_object_get(h, "head_status");
    if (head_status) {
      assert_int_equal(json_integer_value(hs), head_status);
      json_t *e = event_named(js[i], "HEAD refused");
      if (!e) fail_msg("no 'HEAD refused' event in the timeline");
      char want[96];
      snprintf(want, sizeof(want),
               "%d to HEAD: asking again with GET, as browsers do",
               head_status);
      assert_string_equal(tt_jstr(e, "detail"), want);
    } else {
      assert_true(json_is_null(hs));
      assert_null(event_named(js[i], "HEAD refused"));
    }
  }
  assert_int_equal(tlsdiag_result_http_status(b->r), status);
}

/* nginx: [0] HEAD 405, GET 200 (with HSTS, sent on 2xx only, as
 * add_header does); [1] HEAD 405, GET a 301 to itself; [2] the first over
 * HTTP/2; [3] HEAD 405, GET 503; [4] HEAD 501 (nginx closes the
 * connection after a 501: no second request, the warning as before);
 * [5] a site taking HEAD (no second request). */
static void test_head_refused_get_judged(void **st) {
  (void)st;
  uint16_t p[6];
  tt_free_ports(p, 6);
  tt_case_files_t cf = tt_case_files("valid");
  tt_nginx_http(
      &srv_pid, p, 6,
      " ssl_certificate %s; ssl_certificate_key %s;\n"
      " add_header Strict-Transport-Security max-age=31536000;\n"
      " server { listen 127.0.0.1:%u ssl;" REFUSE_HEAD("405", "200 ok") "}\n"
      " server { listen 127.0.0.1:%u ssl;" REFUSE_HEAD("405", "301 /") "}\n"
      " server { listen 127.0.0.1:%u ssl http2;" REFUSE_HEAD("405", "200 ok")
      "}\n"
      " server { listen 127.0.0.1:%u ssl;" REFUSE_HEAD("405", "503") "}\n"
      " server { listen 127.0.0.1:%u ssl;" REFUSE_HEAD("501", "200 ok") "}\n"
      " server { listen 127.0.0.1:%u ssl; return 200 ok; }\n",
      cf.chain, cf.key, p[0], p[1], p[2], p[3], p[4], p[5]);
  tt_opts_t t;
  tt_both_t b = {0};

  /* [0] fine, as in browsers and `curl` (GET: 200; `curl -I`: 405) */
  tt_opts(&t, HOST, p[0]);
  tt_check_both(HOST, &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  expect_http(&b, "GET / HTTP/1.1", 200, 405);
  assert_string_equal(tt_jstr(b.cli, "http.method"), "GET");
  /* the GET's header, which the 405 did not carry */
  assert_string_equal(
      tt_jstr(b.cli, "http.headers.strict-transport-security"),
      "max-age=31536000");
  tt_both_free(&b);

  /* [1] the GET loops: browsers fail (ERR_TOO_MANY_REDIRECTS); this was
   * "no problem found" from the 405 */
  const tlsdiag_cause_t loop = TLSDIAG_CAUSE_HTTP_REDIRECT_LOOP;
  tt_opts(&t, HOST, p[1]);
  tt_check_both(HOST, &t, NULL, &b);
  tt_expect_cause(&b, loop);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(b.r, loop, "request"), "GET / HTTP/1.1");
  assert_string_equal(tt_jev(b.cli, loop, "request"), "GET / HTTP/1.1");
  assert_string_equal(tt_ev(b.r, loop, "status"), "301");
  expect_http(&b, "GET / HTTP/1.1", 301, 405);
  tt_both_free(&b);

  /* [2] the same over HTTP/2: GET on stream 3 */
  tt_opts(&t, HOST, p[2]);
  tt_check_both(HOST, &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  expect_http(&b, "GET / HTTP/2", 200, 405);
  assert_string_equal(tt_jstr(b.cli, "http.version"), "HTTP/2");
  tt_both_free(&b);

  /* [3] the site behind fails for browsers: an error, from the GET */
  const tlsdiag_cause_t err5 = TLSDIAG_CAUSE_HTTP_SERVER_ERROR;
  tt_opts(&t, HOST, p[3]);
  tt_check_both(HOST, &t, NULL, &b);
  tt_expect_cause(&b, err5);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(b.r, err5, "status"), "503");
  assert_string_equal(tt_ev(b.r, err5, "request"), "GET / HTTP/1.1");
  assert_string_equal(tt_jev(b.cli, err5, "request"), "GET / HTTP/1.1");
  expect_http(&b, "GET / HTTP/1.1", 503, 405);
  tt_both_free(&b);

  /* [4] "Connection: close" after the 501: one request, the warning */
  tt_opts(&t, HOST, p[4]);
  tt_check_both(HOST, &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  long w = tlsdiag_result_find(b.r, err5);
  assert_true(w >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, (size_t)w),
                   TLSDIAG_SEVERITY_WARNING);
  assert_string_equal(tt_ev(b.r, err5, "status"), "501");
  assert_string_equal(
      json_string_value(json_object_get(tt_jfinding_or_fail(b.cli, err5),
                                        "severity")),
      "warning");
  expect_http(&b, "HEAD / HTTP/1.1", 501, 0);
  tt_both_free(&b);

  /* [5] HEAD answered: one request */
  tt_opts(&t, HOST, p[5]);
  tt_check_both(HOST, &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  expect_http(&b, "HEAD / HTTP/1.1", 200, 0);
  tt_both_free(&b);
  stop_server();
}

/* A server (Python's ssl) answering HEAD with 405, Content-Length 18,
 * and then the 18 bytes of a body HEAD must not get (as sloppy embedded
 * servers do), late: just before its answer to the next request (so the
 * test does not depend on timing); GET: 200 "ok". argv: port, chain,
 * key. */
static const char sloppy_py[] =
    "import socket,ssl,sys\n"
    "ctx=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "ctx.load_cert_chain(sys.argv[2],sys.argv[3])\n"
    "s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
    "s.bind(('127.0.0.1',int(sys.argv[1])));s.listen(8)\n"
    "while True:\n"
    " c,_=s.accept()\n"
    " try:\n"
    "  c=ctx.wrap_socket(c,server_side=True);b=b'';late=b''\n"
    "  while True:\n"
    "   d=c.recv(4096)\n"
    "   if not d: break\n"
    "   b+=d\n"
    "   while b'\\r\\n\\r\\n' in b:\n"
    "    q,b=b.split(b'\\r\\n\\r\\n',1)\n"
    "    if q.startswith(b'HEAD '):\n"
    "     c.sendall(b'HTTP/1.1 405 Method Not Allowed\\r\\n"
    "Content-Length: 18\\r\\n\\r\\n');late=b'method not allowed'\n"
    "    else:\n"
    "     c.sendall(late);late=b''\n"
    "     c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: 2"
    "\\r\\n\\r\\nok')\n"
    " except Exception: pass\n"
    " c.close()\n";

/* The body a sloppy server sends after its 405 to HEAD is not read as
 * the GET's answer (it was http_malformed "the answer began \"method not
 * allowed\""; before the GET retry, no problem: curl GET gets 200). */
static void test_head_refused_body_skipped(void **st) {
  (void)st;
  uint16_t port = tt_free_port();
  tt_case_files_t cf = tt_case_files("valid");
  char portarg[8];
  snprintf(portarg, sizeof(portarg), "%u", port);
  const char *argv[] = {"/usr/bin/python3", "-c", sloppy_py, portarg,
                        cf.chain, cf.key, NULL};
  tt_spawn_server(&srv_pid, argv, NULL, port);
  tt_opts_t t;
  tt_both_t b = {0};
  tt_opts(&t, HOST, port);
  tt_check_both(HOST, &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  expect_http(&b, "GET / HTTP/1.1", 200, 405);
  json_t *e = event_named(b.cli, "body to HEAD");
  if (!e) fail_msg("no 'body to HEAD' event");
  assert_string_equal(tt_jstr(e, "detail"),
                      "18 bytes the server sent after its answer to HEAD, "
                      "skipped");
  tt_both_free(&b);
  stop_server();
}

#define MISMATCH TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH

/* The finding's server_default evidence in the CLI's JSON: 1 true, 0
 * false, -1 absent. */
static int cli_server_default(const tt_both_t *b) {
  json_t *ev = json_object_get(tt_jfinding_or_fail(b->cli, MISMATCH),
                               "evidence");
  json_t *v = json_object_get(ev, "server_default");
  return v ? json_is_true(v) : -1;
}

/* nginx: [0] a default_server with wrong_host's certificate (only
 * other.example) and a site for valid.tlsdiag.test; [1] a default_server
 * with valid's certificate and a site for rsa.tlsdiag.test serving
 * wrong_host's (the site exists, its certificate is wrong). */
static void test_default_certificate_named(void **st) {
  (void)st;
  uint16_t p[2];
  tt_free_ports(p, 2);
  tt_case_files_t ok = tt_case_files("valid");
  tt_case_files_t wrong = tt_case_files("wrong_host");
  tt_nginx_http(
      &srv_pid, p, 2,
      " server { listen 127.0.0.1:%u ssl default_server; server_name _;"
      " ssl_certificate %s; ssl_certificate_key %s; return 200 x; }\n"
      " server { listen 127.0.0.1:%u ssl; server_name " HOST ";"
      " ssl_certificate %s; ssl_certificate_key %s; return 200 ok; }\n"
      " server { listen 127.0.0.1:%u ssl default_server; server_name _;"
      " ssl_certificate %s; ssl_certificate_key %s; return 200 x; }\n"
      " server { listen 127.0.0.1:%u ssl; server_name rsa.tlsdiag.test;"
      " ssl_certificate %s; ssl_certificate_key %s; return 200 ok; }\n",
      p[0], wrong.chain, wrong.key, p[0], ok.chain, ok.key, p[1], ok.chain,
      ok.key, p[1], wrong.chain, wrong.key);
  tt_opts_t t;
  tt_both_t b = {0};
  const char *name = "api.tlsdiag.test";
  const char *msg =
      "the certificate is not valid for api.tlsdiag.test; it covers "
      "other.example. It is the server's default certificate (the one it "
      "sends without SNI): the server has no site or certificate for "
      "api.tlsdiag.test; configure one (server_name, virtual host) or point "
      "the name elsewhere";
  tt_opts(&t, name, p[0]);
  tt_check_both(name, &t, NULL, &b);
  tt_expect_cause(&b, MISMATCH);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tlsdiag_result_finding_message(b.r, 0), msg);
  assert_string_equal(tt_jstr(b.cli, "message"), msg);
  assert_string_equal(tt_ev(b.r, MISMATCH, "server_default"), "true");
  assert_string_equal(tt_ev(b.r, MISMATCH, "name"), name);
  assert_int_equal(cli_server_default(&b), 1);
  json_t *e = event_named(b.cli, "handshake without SNI");
  if (!e) fail_msg("no 'handshake without SNI' event");
  assert_string_equal(tt_jstr(e, "detail"),
                      "the same certificate: the server's default");
  tt_both_free(&b);

  /* the name it has a site for: fine, no second handshake */
  tt_opts(&t, HOST, p[0]);
  tt_check_both(HOST, &t, NULL, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  assert_null(event_named(b.cli, "handshake without SNI"));
  tt_both_free(&b);

  /* its site serves the wrong certificate: not the default one */
  tt_opts(&t, "rsa.tlsdiag.test", p[1]);
  tt_check_both("rsa.tlsdiag.test", &t, NULL, &b);
  tt_expect_cause(&b, MISMATCH);
  assert_string_equal(tlsdiag_result_finding_message(b.r, 0),
                      "the certificate is not valid for rsa.tlsdiag.test; it "
                      "covers other.example");
  assert_string_equal(tt_ev(b.r, MISMATCH, "server_default"), "false");
  assert_int_equal(cli_server_default(&b), 0);
  tt_both_free(&b);

  /* --no-probe: no second handshake, the message as before */
  tt_opts(&t, name, p[0]);
  t.o.flags |= TLSDIAG_F_NO_VERSION_PROBE;
  tt_check_both(name, &t, (const char *const[]){"--no-probe", NULL}, &b);
  tt_expect_cause(&b, MISMATCH);
  assert_string_equal(tlsdiag_result_finding_message(b.r, 0),
                      "the certificate is not valid for api.tlsdiag.test; it "
                      "covers other.example");
  assert_int_equal(cli_server_default(&b), -1);
  assert_null(event_named(b.cli, "handshake without SNI"));
  tt_both_free(&b);
  stop_server();
}

static int teardown(void **st) {
  stop_server();
  return tt_teardown(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_head_refused_get_judged),
      cmocka_unit_test(test_head_refused_body_skipped),
      cmocka_unit_test(test_default_certificate_named),
  };
  return td_run_tests(tests, tt_setup, teardown);
}
