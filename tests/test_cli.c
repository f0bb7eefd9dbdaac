/* test_cli.c: the command's contract: exit codes, output formats, the demo,
 * and the library's promise of one check per thread. */
#include "tdtest.h"

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

/* Every format of a failed check: JSON parses; mermaid is a diagram. */
static void test_cli_formats(void **state) {
  (void)state;
  char target[64];
  /* A literal address and a port nobody listens on: refused at once. */
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.max_connections = 1;
  tdserver_t *s = tt_server_cfg(&cfg);
  uint16_t port = tdserver_port(s);
  tdserver_stop(s); /* the port is now closed */
  snprintf(target, sizeof(target), "127.0.0.1:%s", port_str(port));
  char *out = NULL;
  assert_int_equal(tt_cli(&out, "check", "--json", target, NULL), 2);
  json_error_t err;
  json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &err);
  if (!j) fail_msg("invalid JSON: %s", out);
  assert_string_equal(tt_jstr(j, "cause"), "tcp_refused");
  assert_string_equal(tt_jstr(j, "phases.tcp.status"), "failed");
  assert_string_equal(tt_jstr(j, "phases.dns.status"), "skipped");
  json_decref(j);
  /* one line, newline-terminated: JSON Lines-safe */
  assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
  free(out);
  assert_int_equal(tt_cli(&out, "check", "--format", "mermaid", target, NULL), 2);
  assert_memory_equal(out, "sequenceDiagram\n", 16);
  assert_non_null(strstr(out, "TCP_REFUSED"));
  free(out);
}

/* In a network namespace without loopback, connects fail with ENETUNREACH:
 * tcp_unreachable without a packet leaving anywhere. Needs root. */
static void test_cli_tcp_unreachable(void **state) {
  (void)state;
  if (geteuid() != 0 || system("unshare -n true 2>/dev/null") != 0) skip();
  char *cmd = NULL;
  assert_true(asprintf(&cmd, "unshare -n %s check --json 127.0.0.1:443", TD_CLI_PATH) > 0);
  FILE *p = popen(cmd, "r");
  free(cmd);
  assert_non_null(p);
  char buf[65536];
  size_t n = fread(buf, 1, sizeof(buf) - 1, p);
  buf[n] = '\0';
  int st = pclose(p);
  assert_int_equal(WEXITSTATUS(st), 2);
  json_error_t err;
  json_t *j = json_loads(buf, 0, &err);
  if (!j) fail_msg("invalid JSON: %s", buf);
  assert_string_equal(tt_jstr(j, "cause"), "tcp_unreachable");
  json_decref(j);
}

/* The demo: every row as expected, and with --json every line parses. */
static void test_cli_demo_checks_itself(void **state) {
  (void)state;
  char *out = NULL;
  assert_int_equal(tt_cli(&out, "demo", "--json", NULL), 0);
  size_t lines = 0;
  char *save = NULL;
  int nx = 0, expired = 0, skew = 0;
  for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    json_error_t err;
    json_t *j = json_loads(l, JSON_REJECT_DUPLICATES, &err);
    if (!j) fail_msg("demo line %zu is not JSON: %s", lines + 1, err.text);
    const char *c = tt_jstr(j, "cause");
    nx += !strcmp(c, "dns_nxdomain");
    expired += !strcmp(c, "cert_expired");
    skew += !strcmp(c, "clock_skew");
    json_decref(j);
    lines++;
  }
  assert_int_equal(lines, 28);
  assert_int_equal(nx, 1);
  /* the expired certificate, and --now 400 days ahead (never clock_skew) */
  assert_int_equal(expired, 2);
  assert_int_equal(skew, 1);
  free(out);
  assert_int_equal(tt_cli(&out, "demo", "--color", "never", NULL), 0);
  assert_non_null(strstr(out, "28 cases, 28 as expected"));
  assert_null(strchr(out, '\x1b'));
  free(out);
}

/* One check per thread, many threads: results are independent. */
typedef struct {
  const char *host;
  uint16_t port;
  tlsdiag_cause_t got;
} job_t;

static void *run_job(void *arg) {
  job_t *j = arg;
  tt_opts_t t;
  tt_opts(&t, j->host, j->port);
  for (int i = 0; i < 5; i++) {
    tlsdiag_result_t *r = NULL;
    if (tlsdiag_check(j->host, &t.o, &r) != TLSDIAG_OK) {
      j->got = TLSDIAG_CAUSE_COUNT_;
      return NULL;
    }
    j->got = tlsdiag_result_cause(r);
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
  for (int i = 0; i < 8; i++) {
    jobs[i].host = i % 2 ? "expired.tlsdiag.test" : "localhost";
    jobs[i].port = tdserver_port(i % 2 ? bad : ok);
    jobs[i].got = TLSDIAG_CAUSE_COUNT_;
    assert_int_equal(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
  }
  for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < 8; i++)
    assert_int_equal(jobs[i].got, i % 2 ? TLSDIAG_CAUSE_CERT_EXPIRED : TLSDIAG_CAUSE_OK);
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
  return cmocka_run_group_tests(tests, tt_setup, tt_teardown);
}
