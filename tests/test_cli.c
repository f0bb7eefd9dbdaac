/* test_cli.c: the command's contract: exit codes, output formats, the demo,
 * and the library's promise of one check per thread. */
#include "tdtest.h"
#include "tdprom.h"

#include <pthread.h>

static char *port_str(uint16_t port) {
  static char buf[16];
  snprintf(buf, sizeof(buf), "%u", port);
  return buf;
}

/* 0 when no error is found, warnings included. */
static void test_cli_exit_ok_and_warning(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "expiring_soon");
  char pin[128], target[128];
  snprintf(pin, sizeof(pin), "soon.tlsdiag.test:%u:127.0.0.1", tdserver_port(s));
  snprintf(target, sizeof(target), "soon.tlsdiag.test:%u", tdserver_port(s));
  char *out = NULL;
  int rc = tt_cli(&out, "check", "--cacert", tt_root, "--resolve", pin, target, NULL);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, "cert_expires_soon"));
  free(out);
  tdserver_stop(s);
}

/* 2 when the check found an error; the report is still printed. */
static void test_cli_exit_failure(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "expired");
  char pin[128], target[128];
  snprintf(pin, sizeof(pin), "expired.tlsdiag.test:%u:127.0.0.1", tdserver_port(s));
  snprintf(target, sizeof(target), "expired.tlsdiag.test:%u", tdserver_port(s));
  char *out = NULL;
  int rc = tt_cli(&out, "check", "--cacert", tt_root, "--resolve", pin, target, NULL);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "CERT_EXPIRED"));
  free(out);
  tdserver_stop(s);
}

/* 1 for usage and setup errors, with nothing on stdout. */
static void test_cli_exit_usage(void **state) {
  (void)state;
  const char *cases[][4] = {
      {"check", NULL, NULL, NULL},
      {"check", "--bogus", "localhost", NULL},
      {"check", "--tls-min", "0.9", "localhost"},
      {"check", "--connect-timeout", "-1", "localhost"},
      {"check", "--now", "yesterday", "localhost"},
      {"check", "--cacert", "/nonexistent.pem", "localhost"},
      {"check", "--format", "xml", "localhost"},
      {"check", "localhost:0", NULL, NULL},
      {"check", "bad host", NULL, NULL},
      {"check", "[zz]", NULL, NULL},
      {"nosuchcommand", NULL, NULL, NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *out = NULL;
    int rc = tt_cli(&out, cases[i][0], cases[i][1], cases[i][2], cases[i][3], NULL);
    if (rc != 1) fail_msg("case %zu (%s %s): exit %d, expected 1", i, cases[i][0],
                          cases[i][1] ? cases[i][1] : "", rc);
    assert_string_equal(out, "");
    free(out);
  }
}

/* Every format `check` offers (text, json and its --json alias, mermaid,
 * nagios, prometheus), for one failed check: each says tcp_refused in its
 * own way, and each exits 2 (for nagios: CRITICAL). */
static void test_cli_formats(void **state) {
  (void)state;
  char target[64], tlabel[80];
  /* A literal address and a port held without listen(): refused at once,
   * and no other process can take the port while the test runs. */
  uint16_t port = 0;
  int hold = tt_refusing_port("127.0.0.1", &port);
  snprintf(target, sizeof(target), "127.0.0.1:%s", port_str(port));
  snprintf(tlabel, sizeof(tlabel), "target=%s", target);
  char *out = NULL;

  /* json, both spellings: the same report, one line, newline-terminated
   * (JSON Lines-safe) */
  const char *json_args[2][3] = {{"--json", NULL, NULL},
                                 {"--format", "json", NULL}};
  for (size_t k = 0; k < 2; k++) {
    int rc = json_args[k][1]
                 ? tt_cli(&out, "check", json_args[k][0], json_args[k][1], target, NULL)
                 : tt_cli(&out, "check", json_args[k][0], target, NULL);
    assert_int_equal(rc, 2);
    json_error_t err;
    json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &err);
    if (!j) fail_msg("invalid JSON: %s", out);
    assert_string_equal(tt_jstr(j, "cause"), "tcp_refused");
    assert_true(json_is_false(json_object_get(j, "ok")));
    assert_string_equal(tt_jstr(j, "phases.tcp.status"), "failed");
    assert_string_equal(tt_jstr(j, "phases.dns.status"), "skipped");
    assert_string_equal(tt_jstr(j, "findings.0.evidence.address"), "127.0.0.1");
    json_decref(j);
    assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
    free(out);
  }

  /* text: the verdict first, then the finding with its evidence */
  assert_int_equal(tt_cli(&out, "check", "--format", "text", target, NULL), 2);
  if (strncmp(out, "\xe2\x9c\x98 TCP_REFUSED  ", 17) || !strstr(out, target))
    fail_msg("text verdict line: %s", out);
  assert_non_null(strstr(out, "\nFindings\n  error    tcp_refused  "));
  assert_non_null(strstr(out, "address: 127.0.0.1\n"));
  assert_null(strchr(out, '\x1b')); /* not a terminal: no colour */
  free(out);

  /* mermaid: a sequence diagram of the failed connect */
  assert_int_equal(tt_cli(&out, "check", "--format", "mermaid", target, NULL), 2);
  assert_memory_equal(out, "sequenceDiagram\n", 16);
  assert_non_null(strstr(out, "TCP_REFUSED"));
  assert_non_null(strstr(out, "SYN (127.0.0.1:"));
  free(out);

  /* nagios: one CRITICAL line with perfdata, exit 2 (CRITICAL) */
  assert_int_equal(tt_cli(&out, "check", "--format", "nagios", target, NULL), 2);
  char want[160];
  snprintf(want, sizeof(want), "TLSDIAG CRITICAL - %s tcp_refused: ", target);
  assert_memory_equal(out, want, strlen(want));
  assert_non_null(strstr(out, " | 'tcp_ms'="));
  assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
  free(out);

  /* prometheus: a valid exposition (strict parser) with the cause */
  assert_int_equal(tt_cli(&out, "check", "--format", "prometheus", target, NULL), 2);
  tdprom_t p;
  if (tdprom_parse(out, &p)) fail_msg("%s\n%s", p.err, out);
  const char *ok_l[] = {tlabel, NULL};
  const tdprom_sample_t *x = tdprom_find(&p, "tlsdiag_check_success", ok_l, NULL);
  assert_non_null(x);
  assert_true(x->value == 0);
  const char *cause_l[] = {tlabel, "cause=tcp_refused", NULL};
  x = tdprom_find(&p, "tlsdiag_cause_info", cause_l, NULL);
  assert_non_null(x);
  assert_true(x->value == 1);
  x = tdprom_find(&p, "tlsdiag_nagios_state", ok_l, NULL);
  assert_non_null(x);
  assert_true(x->value == 2);
  tdprom_free(&p);
  free(out);
  close(hold);
}

/* In a network namespace without loopback, connects fail with ENETUNREACH:
 * tcp_unreachable without a packet leaving anywhere. Needs root. */
static void test_cli_tcp_unreachable(void **state) {
  (void)state;
  if (geteuid() != 0 || system("unshare -n true 2>/dev/null") != 0)
    TD_SKIP("tcp_unreachable needs root and unshare -n");
  const char *argv[] = {"/usr/bin/unshare", "-n", TD_CLI_PATH, "check",
                        "--json", "127.0.0.1:443", NULL};
  char *buf = NULL;
  assert_int_equal(tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &buf, NULL), 2);
  json_error_t err;
  json_t *j = json_loads(buf, 0, &err);
  if (!j) fail_msg("invalid JSON: %s", buf);
  assert_string_equal(tt_jstr(j, "cause"), "tcp_unreachable");
  json_decref(j);
  free(buf);
}

/* The demo: every row as expected, and with --json every line parses. */
static void test_cli_demo_checks_itself(void **state) {
  (void)state;
  char *out = NULL;
  assert_int_equal(tt_cli(&out, "demo", "--json", NULL), 0);
  size_t lines = 0;
  char *save = NULL;
  int nx = 0, expired = 0, skew = 0, big = 0, leaked = 0, rejected = 0;
  int weak_dh = 0, h2_weak = 0, h2_goaway = 0;
  for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    json_error_t err;
    json_t *j = json_loads(l, JSON_REJECT_DUPLICATES, &err);
    if (!j) fail_msg("demo line %zu is not JSON: %s", lines + 1, err.text);
    const char *c = tt_jstr(j, "cause");
    nx += !strcmp(c, "dns_nxdomain");
    expired += !strcmp(c, "cert_expired");
    skew += !strcmp(c, "clock_skew");
    big += !strcmp(c, "cert_chain_too_large");
    rejected += !strcmp(c, "tls_client_cert_rejected");
    if (!strcmp(c, "tls_weak_dh")) {
      /* openssl s_server with RFC 2409's 1024-bit group (demo_dhe.c) */
      weak_dh++;
      json_t *f = tt_jget(j, "findings.0");
      assert_string_equal(tt_jstr(f, "code"), "tls_weak_dh");
      assert_string_equal(tt_jstr(f, "severity"), "error");
      assert_int_equal(json_integer_value(tt_jget(f, "evidence.bits")), 1024);
      assert_string_equal(tt_jstr(f, "evidence.reason"), "small_prime");
      assert_string_equal(tt_jstr(f, "evidence.group"),
                          "RFC 2409 group 2 (1024-bit MODP)");
      assert_string_equal(tt_jstr(f, "evidence.suite"),
                          "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
    }
    if (!strcmp(c, "http2_inadequate_security")) {
      /* h2 over ECDHE with AES-CBC: not AEAD */
      h2_weak++;
      json_t *f = tt_jget(j, "findings.0");
      assert_string_equal(tt_jstr(f, "severity"), "error");
      assert_string_equal(tt_jstr(f, "evidence.cipher_suite"),
                          "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA");
      assert_string_equal(tt_jstr(f, "evidence.sent_by"), "client");
      assert_string_equal(tt_jstr(f, "evidence.error_code"),
                          "INADEQUATE_SECURITY");
    }
    if (!strcmp(c, "http2_protocol_error")) {
      h2_goaway++;
      json_t *f = tt_jget(j, "findings.0");
      assert_string_equal(tt_jstr(f, "severity"), "error");
      assert_string_equal(tt_jstr(f, "evidence.frame"), "GOAWAY");
      assert_string_equal(tt_jstr(f, "evidence.sent_by"), "server");
      assert_string_equal(tt_jstr(f, "evidence.error_code"), "PROTOCOL_ERROR");
      assert_string_equal(tt_jstr(f, "evidence.debug_data"), "demo");
    }
    if (!strcmp(c, "cert_compromised_issuer")) {
      /* the demo's generated root, trusted, declared leaked by the hook */
      leaked++;
      json_t *f = tt_jget(j, "findings.0");
      assert_string_equal(tt_jstr(f, "code"), "cert_compromised_issuer");
      assert_string_equal(tt_jstr(f, "severity"), "error");
      assert_string_equal(tt_jstr(f, "evidence.compromised_root"),
                          "tlsdiag-demo");
      assert_string_equal(tt_jstr(f, "evidence.found_in"), "trust store");
      assert_int_equal(
          json_integer_value(tt_jget(f, "evidence.trusted_locally")), 1);
    }
    json_decref(j);
    lines++;
  }
  assert_int_equal(lines, 46);
  assert_int_equal(nx, 1);
  assert_int_equal(big, 1);
  assert_int_equal(leaked, 1);
  assert_int_equal(rejected, 1);
  assert_int_equal(weak_dh, 1);
  assert_int_equal(h2_weak, 1);
  assert_int_equal(h2_goaway, 1);
  /* the expired certificate, and --now 400 days ahead (never clock_skew) */
  assert_int_equal(expired, 2);
  assert_int_equal(skew, 1);
  free(out);
  assert_int_equal(tt_cli(&out, "demo", "--color", "never", NULL), 0);
  assert_non_null(strstr(out, "46 cases, 46 as expected"));
  assert_null(strchr(out, '\x1b'));
  free(out);
}

/* One check per thread, many threads: results are independent. Every
 * result of every thread is kept and checked, not only the last. */
#define JOB_RUNS 5
typedef struct {
  const char *host;
  uint16_t port;
  int api_err[JOB_RUNS];
  tlsdiag_cause_t got[JOB_RUNS];
  uint16_t got_port[JOB_RUNS];
  char got_host[JOB_RUNS][64];
} job_t;

static void *run_job(void *arg) {
  job_t *j = arg;
  tt_opts_t t;
  tt_opts(&t, j->host, j->port);
  for (int i = 0; i < JOB_RUNS; i++) {
    tlsdiag_result_t *r = NULL;
    j->api_err[i] = (int)tlsdiag_check(j->host, &t.o, &r);
    if (j->api_err[i] != TLSDIAG_OK) continue;
    j->got[i] = tlsdiag_result_cause(r);
    j->got_port[i] = tlsdiag_result_port(r);
    snprintf(j->got_host[i], sizeof(j->got_host[i]), "%s",
             tlsdiag_result_host(r));
    tlsdiag_result_free(r);
  }
  return NULL;
}

static void test_cli_threads_one_check_each(void **state) {
  (void)state;
  assert_int_equal(tlsdiag_global_init(), TLSDIAG_OK);
  tdserver_t *ok = tt_server(TDS_HTTP, "valid");
  tdserver_t *bad = tt_server(TDS_HTTP, "expired");
  job_t jobs[8];
  pthread_t th[8];
  memset(jobs, 0, sizeof(jobs));
  for (int i = 0; i < 8; i++) {
    jobs[i].host = i % 2 ? "expired.tlsdiag.test" : "localhost";
    jobs[i].port = tdserver_port(i % 2 ? bad : ok);
    for (int k = 0; k < JOB_RUNS; k++) jobs[i].got[k] = TLSDIAG_CAUSE_COUNT_;
    assert_int_equal(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
  }
  for (int i = 0; i < 8; i++) assert_int_equal(pthread_join(th[i], NULL), 0);
  for (int i = 0; i < 8; i++) {
    tlsdiag_cause_t want = i % 2 ? TLSDIAG_CAUSE_CERT_EXPIRED : TLSDIAG_CAUSE_OK;
    for (int k = 0; k < JOB_RUNS; k++) {
      if (jobs[i].api_err[k] != TLSDIAG_OK)
        fail_msg("thread %d, check %d: %s", i, k,
                 tlsdiag_strerror((tlsdiag_err_t)jobs[i].api_err[k]));
      if (jobs[i].got[k] != want || jobs[i].got_port[k] != jobs[i].port ||
          strcmp(jobs[i].got_host[k], jobs[i].host))
        fail_msg("thread %d, check %d: %s of %s:%u, expected %s of %s:%u", i, k,
                 tlsdiag_cause_name(jobs[i].got[k]), jobs[i].got_host[k],
                 jobs[i].got_port[k], tlsdiag_cause_name(want), jobs[i].host,
                 jobs[i].port);
    }
  }
  tdserver_stop(ok);
  tdserver_stop(bad);
  tlsdiag_global_cleanup();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cli_exit_ok_and_warning),
      cmocka_unit_test(test_cli_exit_failure),
      cmocka_unit_test(test_cli_exit_usage),
      cmocka_unit_test(test_cli_formats),
      cmocka_unit_test(test_cli_tcp_unreachable),
      cmocka_unit_test(test_cli_demo_checks_itself),
      cmocka_unit_test(test_cli_threads_one_check_each),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
