/* test_check_cancel.c: `tlsdiag check` stopped by SIGINT or SIGTERM while
 * the server has not answered (Ctrl-C, `timeout`, a Kubernetes deadline):
 * it reports the check as cancelled in the format asked for, replaces -o's
 * file with that report (a monitor must not keep the last good state), and
 * exits 128 + the signal, at once, not when the check would have ended. */
#include "tdtest.h"

/* Starts `tlsdiag check ARGS... TARGET` against a server that accepts and
 * never answers, waits until the server has the connection (the check is
 * in its handshake), sends sig, and collects exit status and output. */
static tt_cli_run_t run_cancelled(const char *const *args, int sig,
                                  double *ms) {
  tdserver_t *s = tt_server(TDS_SILENT, NULL);
  char pin[128], target[64], out_path[256], err_path[256];
  snprintf(pin, sizeof(pin), "silent.tlsdiag.test:%u:127.0.0.1",
           tdserver_port(s));
  snprintf(target, sizeof(target), "silent.tlsdiag.test:%u", tdserver_port(s));
  snprintf(out_path, sizeof(out_path), "%s/cancel.out", tt_dir);
  snprintf(err_path, sizeof(err_path), "%s/cancel.err", tt_dir);
  const char *argv[32];
  size_t n = 0;
  argv[n++] = TD_CLI_PATH;
  argv[n++] = "check";
  argv[n++] = "--resolve";
  argv[n++] = pin;
  for (; *args && n < 29; args++) argv[n++] = *args;
  argv[n++] = target;
  argv[n] = NULL;
  char **envp = tt_child_env();
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(126);
    execve(argv[0], (char *const *)argv, envp);
    _exit(127);
  }
  free(envp);
  int64_t deadline = td_mono_us() + (int64_t)(td_upper_ms(20000) * 1000.0);
  while (tdserver_connections(s) == 0 && td_mono_us() < deadline)
    poll(NULL, 0, 10);
  assert_int_equal(tdserver_connections(s), 1);
  int64_t t0 = td_mono_us();
  kill(pid, sig);
  int st = 0;
  if (!tt_wait_child(pid, deadline, &st)) {
    tt_kill_child(pid);
    fail_msg("check did not stop on signal %d", sig);
  }
  *ms = tt_ms_since(t0);
  tdserver_stop(s);
  tt_cli_run_t r;
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = tt_read_file(out_path);
  r.err = tt_read_file(err_path);
  return r;
}

static void test_check_cancel_json(void **st) {
  (void)st;
  double ms = 0;
  tt_cli_run_t r = run_cancelled((const char *[]){"--json", NULL}, SIGTERM, &ms);
  assert_int_equal(r.rc, 128 + SIGTERM);
  /* the check's own deadlines are 10 s and 30 s: it stopped for the signal */
  assert_true(ms < td_upper_ms(5000));
  json_error_t e;
  json_t *j = json_loads(r.out, JSON_REJECT_DUPLICATES, &e);
  if (!j) fail_msg("not one JSON object (%s): %s", e.text, r.out);
  assert_string_equal(tt_jstr(j, "schema"), "tlsdiag-sweep/1");
  assert_string_equal(tt_jstr(j, "record"), "cancelled");
  assert_string_equal(tt_jstr(j, "cause"), "cancelled");
  assert_string_equal(tt_jstr(j, "signal"), "SIGTERM");
  assert_true(json_is_false(tt_jget(j, "ok")));
  assert_string_equal(tt_jstr(j, "target.host"), "silent.tlsdiag.test");
  assert_string_equal(tt_jstr(j, "target.sni"), "silent.tlsdiag.test");
  /* exactly one line */
  assert_ptr_equal(strchr(r.out, '\n'), r.out + strlen(r.out) - 1);
  json_decref(j);
  tt_cli_run_free(&r);
}

static void test_check_cancel_text_and_nagios(void **st) {
  (void)st;
  double ms = 0;
  tt_cli_run_t r = run_cancelled((const char *[]){"--color", "never", NULL},
                                 SIGINT, &ms);
  assert_int_equal(r.rc, 128 + SIGINT);
  if (strncmp(r.out, "✘ CANCELLED  silent.tlsdiag.test:", 33) ||
      !strstr(r.out, "stopped by SIGINT after"))
    fail_msg("text: %s", r.out);
  tt_cli_run_free(&r);
  /* nagios: every exit a plugin state, UNKNOWN as the line says */
  r = run_cancelled((const char *[]){"--format", "nagios", NULL}, SIGTERM, &ms);
  assert_int_equal(r.rc, 3);
  if (strncmp(r.out, "TLSDIAG UNKNOWN - silent.tlsdiag.test:", 38) ||
      !strstr(r.out, "cancelled (SIGTERM)"))
    fail_msg("nagios: %s", r.out);
  tt_cli_run_free(&r);
}

/* -o: the file that held the last good report is replaced by the
 * cancelled one (success 0, cause "cancelled"), no temporary file left. */
static void test_check_cancel_output_file(void **st) {
  (void)st;
  char path[256];
  snprintf(path, sizeof(path), "%s/check.prom", tt_dir);
  tt_write_text(path, "tlsdiag_check_success{target=\"old\"} 1\n");
  double ms = 0;
  tt_cli_run_t r = run_cancelled(
      (const char *[]){"--format", "prometheus", "-o", path, NULL}, SIGTERM,
      &ms);
  assert_int_equal(r.rc, 128 + SIGTERM);
  assert_string_equal(r.out, "");
  char *prom = tt_read_file(path);
  if (!strstr(prom, "\ntlsdiag_check_success{target=\"silent.tlsdiag.test:") ||
      !strstr(prom, ",cause=\"cancelled\"} 1\n") || strstr(prom, "\"old\""))
    fail_msg("-o file: %s", prom);
  free(prom);
  char left[4096];
  DIR *d = opendir(tt_dir);
  assert_non_null(d);
  left[0] = '\0';
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (strstr(e->d_name, ".tmp-")) snprintf(left, sizeof(left), "%s", e->d_name);
  closedir(d);
  if (left[0]) fail_msg("temporary file left: %s", left);
  tt_cli_run_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_check_cancel_json),
      cmocka_unit_test(test_check_cancel_text_and_nagios),
      cmocka_unit_test(test_check_cancel_output_file),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
