/* test_clientcert.c: servers that ask for a client certificate:
 * tls_client_cert_required (none sent, refused) and
 * tls_client_cert_rejected (ours refused), against the in-process server
 * (TLS 1.3 and 1.2), nginx (ssl_verify_client on: HTTP 400) and
 * gnutls-serv (--require-client-cert --verify-client-cert); through the
 * API and `tlsdiag check --json`. */
#include "tdtest.h"

static char cc_dir[64];
static char srvca[128], srvcert[128], srvkey[128], clica[128];
static char client_pem[128], client_key[128], client_p12[128];
static char stranger_pem[128], stranger_key[128];

/* openssl makes the PKI: a server CA and server, a client CA and a
 * client (also as PKCS#12, password "s3cret"), and a stranger from
 * another CA. */
static const char *mkpki =
    "set -e; cd \"$1\"\n"
    "o() { openssl \"$@\" 2>/dev/null; }\n"
    "mkca() { o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
    "-keyout $1.key -out $1.pem -days 30 -subj \"/CN=$2\" -addext "
    "basicConstraints=critical,CA:TRUE -addext "
    "keyUsage=critical,keyCertSign,cRLSign; }\n"
    "mkleaf() { o req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
    "-keyout $1.key -out $1.csr -subj \"/CN=$2\"\n"
    " printf 'basicConstraints=CA:FALSE\\nextendedKeyUsage=%s\\n"
    "subjectAltName=%s\\n' \"$4\" \"$5\" > $1.ext\n"
    " o x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -CAcreateserial "
    "-out $1.pem -days 20 -extfile $1.ext; }\n"
    "mkca srvca 'tlsdiag server CA'\n"
    "mkleaf server localhost srvca serverAuth 'DNS:localhost,IP:127.0.0.1'\n"
    "mkca clica 'tlsdiag client CA'\n"
    "mkca otherca 'tlsdiag other CA'\n"
    "mkleaf client 'tlsdiag client' clica clientAuth DNS:client.test\n"
    "mkleaf stranger 'tlsdiag stranger' otherca clientAuth "
    "DNS:stranger.test\n"
    "o pkcs12 -export -in client.pem -inkey client.key -out client.p12 "
    "-passout pass:s3cret\n";

static int setup(void **state) {
  (void)state;
  snprintf(cc_dir, sizeof(cc_dir), "/tmp/tlsdiag-cc-XXXXXX");
  if (!mkdtemp(cc_dir)) return -1;
  const char *argv[] = {"/bin/sh", "-c", mkpki, "mkpki", cc_dir, NULL};
  char *out = NULL, *err = NULL;
  int rc = tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &out, &err);
  free(out);
  free(err);
  if (rc != 0) return -1;
#define F(v, n) snprintf(v, sizeof(v), "%s/" n, cc_dir)
  F(srvca, "srvca.pem");
  F(srvcert, "server.pem");
  F(srvkey, "server.key");
  F(clica, "clica.pem");
  F(client_pem, "client.pem");
  F(client_key, "client.key");
  F(client_p12, "client.p12");
  F(stranger_pem, "stranger.pem");
  F(stranger_key, "stranger.key");
#undef F
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cc_dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* A file the setup wrote, never empty. */
static char *slurp(const char *path) {
  char *s = tt_read_file_or_fail(path);
  if (!*s) fail_msg("%s is empty", path);
  return s;
}

/* Options for 127.0.0.1:port trusting our server CA. */
static void opts(tlsdiag_options_t *o, uint16_t port) {
  tlsdiag_options_init(o);
  o->port = port;
  o->cafile = srvca;
  o->connect_timeout_ms = 3000;
  o->max_time_ms = 10000;
}

static tlsdiag_result_t *check(const tlsdiag_options_t *o) {
  tlsdiag_result_t *r = NULL;
  assert_int_equal(tlsdiag_check("127.0.0.1", o, &r), TLSDIAG_OK);
  return r;
}

/* The root cause is `cause`, an error, and its evidence is in *ev. */
static json_t *expect_cause(const tlsdiag_result_t *r, const char *cause,
                            json_t **root) {
  assert_string_equal(tlsdiag_cause_name(tlsdiag_result_cause(r)), cause);
  long i = tlsdiag_result_find(r, tlsdiag_result_cause(r));
  assert_true(i >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  *root = tt_json(r);
  json_t *f = tt_jget(*root, "findings.0");
  assert_string_equal(tt_jstr(f, "code"), cause);
  return json_object_get(f, "evidence");
}

static void expect_ca_list(json_t *ev) {
  assert_string_equal(tt_jstr(ev, "accepted_ca_names.0"),
                      "CN=tlsdiag client CA");
  assert_int_equal(json_integer_value(tt_jget(ev, "accepted_ca_names_total")),
                   1);
  assert_true(json_is_true(tt_jget(ev, "certificate_request")));
}

/* ---- the in-process server ---------------------------------------------- */

/* The in-process server at priority (NULL: the default); ask: it asks
 * for a client certificate (from the client CA), verify: and verifies it. */
static tdserver_t *srv(const char *priority, int ask, int verify) {
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  char *chain = slurp(srvcert), *key = slurp(srvkey);
  char *ca = ask ? slurp(clica) : NULL;
  cfg.chain_pem = chain;
  cfg.key_pem = key;
  cfg.client_ca_pem = ca;
  cfg.client_verify = verify;
  cfg.priority = priority;
  tdserver_t *s = tt_server_cfg(&cfg);
  free(chain);
  free(key);
  free(ca);
  return s;
}

/* A check, without a client certificate, of the in-process server asking
 * for one at priority: tls_client_cert_required naming the client CA.
 * Returns its evidence, within *j (the result's JSON: json_decref it). */
static json_t *expect_required(const char *priority, json_t **j) {
  tdserver_t *s = srv(priority, 1, 0);
  tlsdiag_options_t o;
  opts(&o, tdserver_port(s));
  tlsdiag_result_t *r = check(&o);
  json_t *ev = expect_cause(r, "tls_client_cert_required", j);
  expect_ca_list(ev);
  tlsdiag_result_free(r);
  tdserver_stop(s);
  return ev;
}

static void test_clientcert_tdserver_tls13_required(void **state) {
  (void)state;
  json_t *j;
  json_t *ev = expect_required(TDS_PRIORITY_TLS13_ONLY, &j);
  assert_true(json_is_false(tt_jget(ev, "client_cert_presented")));
  /* TLS 1.3: the refusal comes after our Finished */
  assert_string_equal(tt_jstr(ev, "alert"), "certificate_required");
  assert_int_equal(json_integer_value(tt_jget(ev, "alert_number")), 116);
  assert_non_null(strstr(tt_jstr(ev, "remedy"), "--cert"));
  json_decref(j);
}

static void test_clientcert_tdserver_tls12_required(void **state) {
  (void)state;
  json_t *j;
  json_t *ev = expect_required(TDS_PRIORITY_TLS12_ONLY, &j);
  /* A GnuTLS 3.7 server answers an empty Certificate with this. */
  assert_string_equal(tt_jstr(ev, "refusal"), "alert decode_error");
  /* no version probe after a CertificateRequest */
  assert_null(tt_jget(j, "probes.0"));
  json_decref(j);
}

static void test_clientcert_tdserver_rejected_and_ok(void **state) {
  (void)state;
  tdserver_t *s = srv(TDS_PRIORITY_TLS12_ONLY, 1, 1);
  tlsdiag_options_t o;
  opts(&o, tdserver_port(s));
  o.client_cert = stranger_pem;
  o.client_key = stranger_key;
  tlsdiag_result_t *r = check(&o);
  json_t *j;
  json_t *ev = expect_cause(r, "tls_client_cert_rejected", &j);
  expect_ca_list(ev);
  assert_string_equal(tt_jstr(ev, "client_cert_subject"),
                      "CN=tlsdiag stranger");
  assert_string_equal(tt_jstr(ev, "client_cert_issuer"), "CN=tlsdiag other CA");
  assert_true(json_is_false(tt_jget(ev, "issuer_accepted")));
  assert_true(json_is_false(tt_jget(ev, "client_cert_expired")));
  assert_non_null(tt_jget(ev, "client_cert_not_after"));
  assert_non_null(tt_jget(ev, "alert"));
  json_decref(j);
  tlsdiag_result_free(r);

  o.client_cert = client_pem;
  o.client_key = client_key;
  r = check(&o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* Present only when asked: a server that does not ask sees none, and the
 * check is ok. */
static void test_clientcert_not_asked(void **state) {
  (void)state;
  tdserver_t *s = srv(NULL, 0, 0);
  tlsdiag_options_t o;
  opts(&o, tdserver_port(s));
  o.client_cert = client_pem;
  o.client_key = client_key;
  tlsdiag_result_t *r = check(&o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  json_t *j = tt_json(r);
  char *txt = json_dumps(j, 0);
  assert_null(strstr(txt, "client certificate asked for"));
  assert_null(strstr(txt, "tls_client_cert"));
  free(txt);
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

static void test_clientcert_options_check(void **state) {
  (void)state;
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  char why[512];
  o.client_key = client_key;
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)),
                   TLSDIAG_E_OPTIONS);
  assert_non_null(strstr(why, "without a client certificate"));
  o.client_cert = "/nonexistent/c.pem";
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)),
                   TLSDIAG_E_OPTIONS);
  assert_non_null(strstr(why, "/nonexistent/c.pem"));
  o.client_cert = client_pem;
  o.client_key = stranger_key;
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)),
                   TLSDIAG_E_OPTIONS);
  assert_non_null(strstr(why, "does not match"));
  o.client_cert = client_p12;
  o.client_key = NULL;
  o.client_cert_password = "wrong";
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)),
                   TLSDIAG_E_OPTIONS);
  o.client_cert_password = "s3cret";
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)), TLSDIAG_OK);
  tlsdiag_result_t *r = NULL;
  o.client_cert = "/nonexistent/c.pem";
  assert_int_equal(tlsdiag_check("127.0.0.1", &o, &r), TLSDIAG_E_OPTIONS);
  assert_null(r);
}

/* ---- real servers -------------------------------------------------------- */

static pid_t nginx_pid = -1;
static uint16_t nginx_port;

static int nginx_up(void **state) {
  (void)state;
  nginx_port = tt_free_port();
  char conf[160], logs[160];
  snprintf(logs, sizeof(logs), "%s/logs", cc_dir);
  mkdir(logs, 0700);
  snprintf(conf, sizeof(conf), "%s/nginx.conf", cc_dir);
  FILE *f = fopen(conf, "w");
  if (!f) return -1;
  fprintf(f,
          "daemon off; worker_processes 1; error_log %s/error.log;\n"
          "pid %s/nginx.pid;\n"
          "events { worker_connections 64; }\n"
          "http { access_log off; client_body_temp_path %s;\n"
          " proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s;\n"
          " scgi_temp_path %s;\n"
          " server { listen 127.0.0.1:%u ssl;\n"
          "  ssl_certificate %s; ssl_certificate_key %s;\n"
          "  ssl_verify_client on; ssl_client_certificate %s;\n"
          "  location / { return 200 \"hello\\n\"; } } }\n",
          logs, logs, logs, logs, logs, logs, logs, nginx_port, srvcert,
          srvkey, clica);
  fclose(f);
  const char *argv[] = {"nginx", "-p", cc_dir, "-c", conf, NULL};
  tt_spawn_server(&nginx_pid, argv, NULL, nginx_port);
  return 0;
}

static int nginx_down(void **state) {
  (void)state;
  tt_stop_child(&nginx_pid);
  return 0;
}

static void test_clientcert_nginx_required(void **state) {
  (void)state;
  tlsdiag_options_t o;
  opts(&o, nginx_port);
  o.http_method = "GET"; /* HEAD gets the 400 without its body */
  tlsdiag_result_t *r = check(&o);
  json_t *j;
  json_t *ev = expect_cause(r, "tls_client_cert_required", &j);
  expect_ca_list(ev);
  assert_int_equal(json_integer_value(tt_jget(ev, "http_status")), 400);
  assert_string_equal(tt_jstr(ev, "http_body"),
                      "No required SSL certificate was sent");
  assert_string_equal(tt_jstr(ev, "refusal"),
                      "HTTP 400 \"No required SSL certificate was sent\"");
  json_decref(j);
  tlsdiag_result_free(r);

  /* the CLI, with its default HEAD: the same cause, exit 2 */
  char port[16], *out = NULL;
  snprintf(port, sizeof(port), "127.0.0.1:%u", nginx_port);
  int rc = tt_cli(&out, "check", port, "--cacert", srvca, "--json", NULL);
  assert_int_equal(rc, 2);
  json_t *cj = json_loads(out, 0, NULL);
  assert_non_null(cj);
  assert_string_equal(tt_jstr(cj, "cause"), "tls_client_cert_required");
  assert_string_equal(tt_jstr(cj, "findings.0.severity"), "error");
  assert_int_equal(
      json_integer_value(tt_jget(cj, "findings.0.evidence.http_status")), 400);
  json_decref(cj);
  free(out);
}

static void test_clientcert_nginx_rejected(void **state) {
  (void)state;
  tlsdiag_options_t o;
  opts(&o, nginx_port);
  o.http_method = "GET";
  o.client_cert = stranger_pem;
  o.client_key = stranger_key;
  tlsdiag_result_t *r = check(&o);
  json_t *j;
  json_t *ev = expect_cause(r, "tls_client_cert_rejected", &j);
  expect_ca_list(ev);
  assert_string_equal(tt_jstr(ev, "http_body"), "The SSL certificate error");
  assert_string_equal(tt_jstr(ev, "client_cert_issuer"), "CN=tlsdiag other CA");
  assert_true(json_is_false(tt_jget(ev, "issuer_accepted")));
  json_decref(j);
  tlsdiag_result_free(r);

  char port[16], *out = NULL;
  snprintf(port, sizeof(port), "127.0.0.1:%u", nginx_port);
  int rc = tt_cli(&out, "check", port, "--cacert", srvca, "--json", "--cert",
                  stranger_pem, "--key", stranger_key, NULL);
  assert_int_equal(rc, 2);
  json_t *cj = json_loads(out, 0, NULL);
  assert_non_null(cj);
  assert_string_equal(tt_jstr(cj, "cause"), "tls_client_cert_rejected");
  json_decref(cj);
  free(out);
}

static void test_clientcert_nginx_ok_pem_and_p12(void **state) {
  (void)state;
  tlsdiag_options_t o;
  opts(&o, nginx_port);
  o.client_cert = client_pem;
  o.client_key = client_key;
  tlsdiag_result_t *r = check(&o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_http_status(r), 200);
  tlsdiag_result_free(r);

  char port[16], cert[200], *out = NULL;
  snprintf(port, sizeof(port), "127.0.0.1:%u", nginx_port);
  snprintf(cert, sizeof(cert), "%s:s3cret", client_p12);
  int rc = tt_cli(&out, "check", port, "--cacert", srvca, "--json", "--cert",
                  cert, NULL);
  assert_int_equal(rc, 0);
  json_t *cj = json_loads(out, 0, NULL);
  assert_non_null(cj);
  assert_string_equal(tt_jstr(cj, "cause"), "ok");
  assert_int_equal(json_integer_value(tt_jget(cj, "http.status")), 200);
  json_decref(cj);
  free(out);
}

static void test_clientcert_gnutls_serv(void **state) {
  (void)state;
  uint16_t port = tt_free_port();
  char p[16];
  snprintf(p, sizeof(p), "%u", port);
  const char *argv[] = {"gnutls-serv", "--http", "--port", p,
                        "--x509certfile", srvcert, "--x509keyfile", srvkey,
                        "--require-client-cert", "--verify-client-cert",
                        "--x509cafile", clica, NULL};
  pid_t pid = -1;
  tt_spawn_server(&pid, argv, NULL, port);
  tlsdiag_options_t o;
  opts(&o, port);
  o.http_method = "GET"; /* gnutls-serv answers HEAD without a status line */
  o.tls_max = TLSDIAG_TLS1_2;
  tlsdiag_result_t *r = check(&o);
  json_t *j;
  json_t *ev = expect_cause(r, "tls_client_cert_required", &j);
  expect_ca_list(ev);
  assert_string_equal(tt_jstr(ev, "alert"), "decode_error");
  json_decref(j);
  tlsdiag_result_free(r);

  o.client_cert = stranger_pem;
  o.client_key = stranger_key;
  r = check(&o);
  ev = expect_cause(r, "tls_client_cert_rejected", &j);
  assert_string_equal(tt_jstr(ev, "alert"), "access_denied");
  json_decref(j);
  tlsdiag_result_free(r);

  o.tls_max = TLSDIAG_TLS1_3;
  o.client_cert = client_pem;
  o.client_key = client_key;
  r = check(&o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
  tt_kill_child(pid);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clientcert_tdserver_tls13_required),
      cmocka_unit_test(test_clientcert_tdserver_tls12_required),
      cmocka_unit_test(test_clientcert_tdserver_rejected_and_ok),
      cmocka_unit_test(test_clientcert_not_asked),
      cmocka_unit_test(test_clientcert_options_check),
      cmocka_unit_test_setup_teardown(test_clientcert_nginx_required,
                                      nginx_up, nginx_down),
      cmocka_unit_test_setup_teardown(test_clientcert_nginx_rejected,
                                      nginx_up, nginx_down),
      cmocka_unit_test_setup_teardown(test_clientcert_nginx_ok_pem_and_p12,
                                      nginx_up, nginx_down),
      cmocka_unit_test(test_clientcert_gnutls_serv),
  };
  return td_run_tests(tests, setup, teardown);
}
