/* test_cli_monitor.c: the monitoring recipes, run as a user runs them: the
 * node_exporter textfile recipe (-o/--output replaced whatever the sweep
 * found), the Nagios expiry check (healthy, expiring, expired,
 * unreachable; -w/-c), a sweep interrupted by SIGINT and SIGTERM mid-run,
 * https:// URL targets, and one usage-error line per subcommand. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include "tdprom.h"
#include "tdtest.h"

/* Starts `tlsdiag ARGS...` with stdin from `input` (NULL: /dev/null),
 * stdout and stderr to files. */
static pid_t spawn(const char *input, const char *const *args) {
  char out_path[128], err_path[128];
  snprintf(out_path, sizeof(out_path), "%s/out.txt", tt_dir);
  snprintf(err_path, sizeof(err_path), "%s/err.txt", tt_dir);
  const char *in_path = tt_cli_stdin(input);
  const char *argv[TT_CLI_MAX_ARGS];
  tt_cli_argv(argv, args);
  unlink(out_path); /* never the last run's output */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(TD_CLI_PATH, (char *const *)argv);
    _exit(127);
  }
  return pid;
}

static tt_cli_run_t collect(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  char out_path[128], err_path[128];
  snprintf(out_path, sizeof(out_path), "%s/out.txt", tt_dir);
  snprintf(err_path, sizeof(err_path), "%s/err.txt", tt_dir);
  tt_cli_run_t r;
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = tt_read_file_len(out_path, NULL);
  r.err = tt_read_file_len(err_path, NULL);
  return r;
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
  return n;
}

/* The port of a server that has stopped: connections are refused. */
static uint16_t closed_port(void) {
  tdserver_t *s = tt_server(TDS_SILENT, NULL);
  uint16_t port = tdserver_port(s);
  tdserver_stop(s);
  return port;
}

typedef struct {
  tdserver_t *valid, *expired, *soon, *silent;
  uint16_t refused;
  char pins[8][160];
  char now[32];
  const char *args[60];
  size_t nargs;
} fleet_t;

static void fleet_start(fleet_t *f) {
  memset(f, 0, sizeof(*f));
  f->valid = tt_server(TDS_HTTP, "valid");
  f->expired = tt_server(TDS_HTTP, "expired");
  f->soon = tt_server(TDS_HTTP, "expiring_soon");
  f->silent = tt_server(TDS_SILENT, NULL);
  f->refused = closed_port();
  snprintf(f->pins[0], 160, "valid.tlsdiag.test:%u:127.0.0.1", tdserver_port(f->valid));
  snprintf(f->pins[1], 160, "expired.tlsdiag.test:%u:127.0.0.1", tdserver_port(f->expired));
  snprintf(f->pins[2], 160, "soon.tlsdiag.test:%u:127.0.0.1", tdserver_port(f->soon));
  snprintf(f->pins[3], 160, "refused.tlsdiag.test:%u:127.0.0.1", f->refused);
  for (int i = 0; i < 3; i++)
    snprintf(f->pins[4 + i], 160, "stall%d.tlsdiag.test:%u:127.0.0.1", i,
             tdserver_port(f->silent));
  snprintf(f->now, sizeof(f->now), "@%lld", (long long)(tdcerts_now(tt_pki) + 60));
  f->args[f->nargs++] = "sweep";
  f->args[f->nargs++] = "--cacert";
  f->args[f->nargs++] = tt_root;
  for (int i = 0; i < 7; i++) {
    f->args[f->nargs++] = "--resolve";
    f->args[f->nargs++] = f->pins[i];
  }
  f->args[f->nargs++] = "--now";
  f->args[f->nargs++] = f->now;
  f->args[f->nargs++] = "--no-progress";
}

static const char *const *fleet_args(fleet_t *f, const char *const *extra) {
  static const char *args[100];
  size_t n = 0;
  for (size_t i = 0; i < f->nargs; i++) args[n++] = f->args[i];
  for (const char *const *e = extra; e && *e; e++) args[n++] = *e;
  args[n] = NULL;
  return args;
}

static void fleet_stop(fleet_t *f) {
  tdserver_stop(f->valid);
  tdserver_stop(f->expired);
  tdserver_stop(f->soon);
  tdserver_stop(f->silent);
}

/* Names in dir starting with prefix. */
static int files_with_prefix(const char *dir, const char *prefix) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (!strncmp(e->d_name, prefix, strlen(prefix))) n++;
  closedir(d);
  return n;
}

static void prom_valid(const char *text) {
  tdprom_t p;
  if (tdprom_parse(text, &p)) fail_msg("%s\n%s", p.err, text);
  tdprom_free(&p);
}

/* ---- 1. the textfile recipe --------------------------------------------- */

static void test_cli_monitor_textfile_recipe_replaced_on_failure(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  char dir[128], prom[160];
  snprintf(dir, sizeof(dir), "%s/textfile", tt_dir);
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(prom, sizeof(prom), "%s/tls.prom", dir);
  const char *extra[] = {"--format", "prometheus", "-q", "-o", prom, "-", NULL};

  /* Run 1: all healthy. */
  char *list = td_asprintf("valid.tlsdiag.test:%u\n", tdserver_port(f.valid));
  tt_cli_run_t r = tt_cli_input(list, fleet_args(&f, extra));
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.out, ""); /* everything went to the file */
  char *first = tt_read_file_len(prom, NULL);
  assert_non_null(first);
  prom_valid(first);
  assert_non_null(strstr(first, "tlsdiag_check_success{"));
  assert_non_null(strstr(first, "\ntlsdiag_sweep_complete 1\n"));
  assert_non_null(strstr(first, "\ntlsdiag_sweep_cancelled_targets 0\n"));
  assert_null(strstr(first, "refused.tlsdiag.test"));
  tt_cli_run_free(&r);
  free(list);

  /* Run 2: a target fails (exit 2), and the file is still replaced. */
  list = td_asprintf("valid.tlsdiag.test:%u\nrefused.tlsdiag.test:%u\n",
                     tdserver_port(f.valid), f.refused);
  r = tt_cli_input(list, fleet_args(&f, extra));
  assert_int_equal(r.rc, 2);
  char *second = tt_read_file_len(prom, NULL);
  prom_valid(second);
  char want[160];
  snprintf(want, sizeof(want),
           "tlsdiag_cause_info{target=\"refused.tlsdiag.test:%u\"",
           f.refused);
  assert_non_null(strstr(second, want));
  assert_non_null(strstr(second, "cause=\"tcp_refused\""));
  if (system("command -v promtool >/dev/null 2>&1") == 0) {
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s' >/dev/null 2>&1",
             prom);
    assert_int_equal(system(cmd), 0);
  }
  struct stat st;
  assert_int_equal(stat(prom, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0666 & ~(unsigned)umask(022));
  umask(022);
  assert_int_equal(files_with_prefix(dir, ".tls.prom.tmp-"), 0);
  tt_cli_run_free(&r);

  /* A usage error or a setup error: the file is left as it was, no temp. */
  const char *bad[] = {"--format", "prometheus", "-o", prom, "--concurrency",
                       "0", "-", NULL};
  r = tt_cli_input(list, fleet_args(&f, bad));
  assert_int_equal(r.rc, 1);
  tt_cli_run_free(&r);
  const char *missing[] = {"--format", "prometheus", "-o", prom,
                           "/nonexistent/list", NULL};
  r = tt_cli_input(NULL, fleet_args(&f, missing));
  assert_int_equal(r.rc, 1);
  tt_cli_run_free(&r);
  char *third = tt_read_file_len(prom, NULL);
  assert_string_equal(third, second);
  assert_int_equal(files_with_prefix(dir, ".tls.prom.tmp-"), 0);

  /* check -o too: the report replaces the file, exit 2 for the failure. */
  char target[64], out[160];
  snprintf(target, sizeof(target), "127.0.0.1:%u", f.refused);
  snprintf(out, sizeof(out), "%s/check.json", dir);
  const char *cargs[] = {"check", "--json", "-o", out, target, NULL};
  r = tt_cli_input(NULL, cargs);
  assert_int_equal(r.rc, 2);
  assert_string_equal(r.out, "");
  char *rep = tt_read_file_len(out, NULL);
  json_error_t e;
  json_t *j = json_loads(rep, 0, &e);
  assert_non_null(j);
  assert_string_equal(tt_jstr(j, "cause"), "tcp_refused");
  json_decref(j);
  free(rep);
  tt_cli_run_free(&r);
  free(first);
  free(second);
  free(third);
  free(list);
  fleet_stop(&f);
}

/* ---- 2. nagios expiry ----------------------------------------------------- */

/* sweep --expiring-within 30 --format nagios [-w W] [-c C] - */
static tt_cli_run_t nagios_expiry(fleet_t *f, const char *list, const char *w,
                           const char *c) {
  const char *extra[12] = {"--expiring-within", "30", "--format", "nagios"};
  size_t n = 4;
  if (w) extra[n++] = "-w", extra[n++] = w;
  if (c) extra[n++] = "-c", extra[n++] = c;
  extra[n++] = "-";
  extra[n] = NULL;
  return tt_cli_input(list, fleet_args(f, extra));
}

static void first_line_is(const char *out, const char *prefix) {
  if (strncmp(out, prefix, strlen(prefix)))
    fail_msg("expected '%s...', got: %s", prefix, out);
}

static void test_cli_monitor_nagios_expiry(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  char *valid = td_asprintf("valid.tlsdiag.test:%u\n", tdserver_port(f.valid));
  /* Healthy: OK, exit 0, the soonest expiry named. */
  tt_cli_run_t r = nagios_expiry(&f, valid, NULL, NULL);
  first_line_is(r.out, "TLSDIAG OK - 1 target, none expiring within 30 days; "
                       "soonest: valid.tlsdiag.test:");
  assert_non_null(strstr(r.out, " expires in "));
  assert_non_null(strstr(r.out, "| 'days'="));
  assert_non_null(strstr(r.out, ";30:;7: 'targets'=1;;;0 'unreachable'=0;;;0\n"));
  assert_int_equal(count(r.out, "\n"), 1);
  assert_int_equal(r.rc, 0);
  tt_cli_run_free(&r);

  /* Expiring in 9 days: WARNING below -w 30, CRITICAL with -c 10. */
  char *soon = td_asprintf("soon.tlsdiag.test:%u\n", tdserver_port(f.soon));
  r = nagios_expiry(&f, soon, NULL, NULL);
  first_line_is(r.out, "TLSDIAG WARNING - 1 target: 0 CRITICAL, 0 UNKNOWN, "
                       "1 WARNING, 0 OK; soonest: soon.tlsdiag.test:");
  assert_non_null(strstr(r.out, "expires in 9 days ("));
  assert_non_null(strstr(r.out, "| 'days'=9;30:;7: 'targets'=1;;;0"));
  assert_non_null(strstr(r.out, "\nWARNING - soon.tlsdiag.test:"));
  assert_int_equal(r.rc, 1);
  tt_cli_run_free(&r);
  r = nagios_expiry(&f, soon, "20", "10");
  first_line_is(r.out, "TLSDIAG CRITICAL - ");
  assert_non_null(strstr(r.out, "| 'days'=9;20:;10: "));
  assert_int_equal(r.rc, 2);
  tt_cli_run_free(&r);

  /* Expired: CRITICAL, "expired N days ago", never "in -N days". */
  char *expired = td_asprintf("expired.tlsdiag.test:%u\nvalid.tlsdiag.test:%u\n",
                              tdserver_port(f.expired), tdserver_port(f.valid));
  r = nagios_expiry(&f, expired, NULL, NULL);
  first_line_is(r.out, "TLSDIAG CRITICAL - 2 targets: 1 CRITICAL, 0 UNKNOWN, "
                       "0 WARNING, 1 OK; soonest: expired.tlsdiag.test:");
  assert_non_null(strstr(r.out, "expired 10 days ago ("));
  assert_null(strstr(r.out, "in -"));
  assert_non_null(strstr(r.out, "| 'days'=-10;30:;7: 'targets'=2;;;0 "
                                "'unreachable'=0;;;0\n"));
  assert_int_equal(r.rc, 2);
  tt_cli_run_free(&r);

  /* Unreachable: counted by its cause, CRITICAL, never dropped. */
  char *refused = td_asprintf("refused.tlsdiag.test:%u\nvalid.tlsdiag.test:%u\n",
                              f.refused, tdserver_port(f.valid));
  r = nagios_expiry(&f, refused, NULL, NULL);
  first_line_is(r.out, "TLSDIAG CRITICAL - 2 targets: 1 CRITICAL, 0 UNKNOWN, "
                       "0 WARNING, 1 OK; 1 unreachable (tcp_refused 1)");
  char want[128];
  snprintf(want, sizeof(want),
           "\nCRITICAL - refused.tlsdiag.test:%u unreachable: tcp_refused\n",
           f.refused);
  assert_non_null(strstr(r.out, want));
  assert_non_null(strstr(r.out, "'unreachable'=1;;;0\n"));
  assert_int_equal(r.rc, 2);
  tt_cli_run_free(&r);

  /* -w below -c: a usage error, UNKNOWN (3) for a plugin, 1 otherwise. */
  r = nagios_expiry(&f, valid, "5", "10");
  assert_int_equal(r.rc, 3);
  assert_string_equal(r.out, "");
  assert_non_null(strstr(r.err, "warn must be >= crit"));
  tt_cli_run_free(&r);
  char target[64], pin[100];
  snprintf(target, sizeof(target), "soon.tlsdiag.test:%u", tdserver_port(f.soon));
  snprintf(pin, sizeof(pin), "soon.tlsdiag.test:%u:127.0.0.1", tdserver_port(f.soon));
  const char *bad[] = {"check", "--format", "nagios", "-w", "5", "-c", "10",
                       target, NULL};
  r = tt_cli_input(NULL, bad);
  assert_int_equal(r.rc, 3);
  tt_cli_run_free(&r);
  const char *bad2[] = {"check", "-w", "5", "-c", "10", target, NULL};
  r = tt_cli_input(NULL, bad2);
  assert_int_equal(r.rc, 1);
  assert_string_equal(r.err, "tlsdiag check: the warning threshold (-w 5 days) "
                             "is below the critical one (-c 10 days): warn "
                             "must be >= crit (see 'tlsdiag check --help')\n");
  tt_cli_run_free(&r);
  /* check --format nagios with -w/-c: 9 days is WARNING below 10, CRITICAL
   * below 12 (-c). */
  const char *w1[] = {"check", "--format", "nagios", "--cacert", tt_root,
                      "--resolve", pin, "--now", f.now, "-w", "10", "-c", "5",
                      target, NULL};
  r = tt_cli_input(NULL, w1);
  first_line_is(r.out, "TLSDIAG WARNING - soon.tlsdiag.test:");
  assert_non_null(strstr(r.out, "'days'=9;10:;5:"));
  assert_int_equal(r.rc, 1);
  tt_cli_run_free(&r);
  const char *c1[] = {"check", "--format", "nagios", "--cacert", tt_root,
                      "--resolve", pin, "--now", f.now, "-w", "20", "-c", "12",
                      target, NULL};
  r = tt_cli_input(NULL, c1);
  first_line_is(r.out, "TLSDIAG CRITICAL - soon.tlsdiag.test:");
  assert_int_equal(r.rc, 2);
  tt_cli_run_free(&r);
  free(valid);
  free(soon);
  free(expired);
  free(refused);
  fleet_stop(&f);
}

/* ---- 3. signals ------------------------------------------------------------ */

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs a sweep of two fast targets and three that stall, signals it once
 * both fast records are out, and checks what it wrote. */
static void interrupted_sweep(fleet_t *f, int sig, int twice) {
  char *list = td_asprintf(
      "valid.tlsdiag.test:%u\nstall0.tlsdiag.test:%u\nexpired.tlsdiag.test:%u\n"
      "stall1.tlsdiag.test:%u\nstall2.tlsdiag.test:%u\n",
      tdserver_port(f->valid), tdserver_port(f->silent),
      tdserver_port(f->expired), tdserver_port(f->silent),
      tdserver_port(f->silent));
  const char *extra[] = {"--summary", "--connect-timeout", "60", "--max-time",
                         "60", "-", NULL};
  pid_t pid = spawn(list, fleet_args(f, extra));
  char out_path[128];
  snprintf(out_path, sizeof(out_path), "%s/out.txt", tt_dir);
  /* Each record is flushed when its check ends: wait (bounded) for both. */
  int64_t t0 = mono_ms();
  for (;;) {
    char *o = tt_read_file_len(out_path, NULL);
    size_t n = o ? count(o, "\n") : 0;
    free(o);
    if (n >= 2) break;
    if (mono_ms() - t0 > 20000) {
      kill(pid, SIGKILL);
      fail_msg("the finished records never appeared (streaming)");
    }
    poll(NULL, 0, 20);
  }
  int64_t t1 = mono_ms();
  kill(pid, sig);
  if (twice) kill(pid, sig);
  tt_cli_run_t r = collect(pid);
  int64_t took = mono_ms() - t1;
  if (took > 1500) fail_msg("took %lld ms to stop", (long long)took);
  assert_int_equal(r.rc, 128 + sig);
  /* Every line whole, valid JSON. */
  size_t nrec = 0, ncancel = 0, nsum = 0, valid = 0, expired = 0;
  for (const char *l = r.out; *l;) {
    const char *nl = strchr(l, '\n');
    if (!nl) fail_msg("partial last line: %s", l);
    json_error_t e;
    json_t *j = json_loadb(l, (size_t)(nl - l), JSON_REJECT_DUPLICATES, &e);
    if (!j) fail_msg("invalid JSON line: %.*s", (int)(nl - l), l);
    if (json_object_get(j, "summary")) {
      nsum++;
      assert_int_equal(json_integer_value(tt_jget(j, "summary.cancelled")), 3);
      assert_int_equal(json_integer_value(tt_jget(j, "summary.targets")), 2);
      assert_string_equal(tt_jstr(j, "summary.interrupted_by"),
                          sig == SIGINT ? "SIGINT" : "SIGTERM");
    } else if (!strcmp(tt_jstr(j, "cause"), "cancelled")) {
      ncancel++;
      assert_string_equal(tt_jstr(j, "record"), "cancelled");
      assert_true(!strncmp(tt_jstr(j, "target.host"), "stall", 5));
      assert_true(json_is_false(json_object_get(j, "ok")));
    } else {
      nrec++;
      const char *h = tt_jstr(j, "target.host");
      valid += !strcmp(h, "valid.tlsdiag.test");
      expired += !strcmp(h, "expired.tlsdiag.test");
      assert_string_equal(tt_jstr(j, "schema"), "tlsdiag/1");
    }
    json_decref(j);
    l = nl + 1;
  }
  if (!twice) {
    assert_int_equal(nrec, 2);
    assert_int_equal(valid, 1);
    assert_int_equal(expired, 1);
    assert_int_equal(ncancel, 3);
    assert_int_equal(nsum, 1);
    assert_non_null(strstr(r.err, "3 checks cancelled"));
  } else {
    assert_true(nrec == 2 && valid == 1 && expired == 1);
  }
  tt_cli_run_free(&r);
  free(list);
}

static void test_cli_monitor_sweep_sigint_sigterm(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  interrupted_sweep(&f, SIGINT, 0);
  interrupted_sweep(&f, SIGTERM, 0);
  interrupted_sweep(&f, SIGINT, 1); /* the second exits at once */
  fleet_stop(&f);
}

/* A sweep --format FMT -o FILE stopped by SIGTERM replaces FILE with what
 * finished, marked as interrupted. --concurrency 1 orders it: the refused
 * target ends before stall0 connects, so once the silent server has that
 * connection exactly 1 of the 4 targets has finished. */
static void interrupted_to_file(fleet_t *f, const char *fmt) {
  char dir[128], path[160], tmp[64];
  snprintf(dir, sizeof(dir), "%s/intr-%s", tt_dir, fmt);
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(path, sizeof(path), "%s/tls.out", dir);
  snprintf(tmp, sizeof(tmp), ".tls.out.tmp-");
  tt_write_text(path, "yesterday's green report\n");
  char *list = td_asprintf(
      "refused.tlsdiag.test:%u\nstall0.tlsdiag.test:%u\n"
      "stall1.tlsdiag.test:%u\nstall2.tlsdiag.test:%u\n",
      f->refused, tdserver_port(f->silent), tdserver_port(f->silent),
      tdserver_port(f->silent));
  const char *extra[] = {"--format", fmt, "-q", "-o", path, "--concurrency",
                         "1", "--connect-timeout", "60", "--max-time", "60",
                         "-", NULL};
  unsigned before = tdserver_connections(f->silent);
  pid_t pid = spawn(list, fleet_args(f, extra));
  int64_t t0 = mono_ms();
  while (tdserver_connections(f->silent) == before) {
    if (mono_ms() - t0 > 20000) {
      kill(pid, SIGKILL);
      fail_msg("stall0 never connected");
    }
    poll(NULL, 0, 10);
  }
  kill(pid, SIGTERM);
  tt_cli_run_t r = collect(pid);
  /* nagios: UNKNOWN (3), as its status line; Nagios reads 143 as "out of
   * bounds" and drops the text */
  assert_int_equal(r.rc, strcmp(fmt, "nagios") ? 128 + SIGTERM : 3);
  assert_string_equal(r.out, ""); /* everything went to the file */
  assert_int_equal(files_with_prefix(dir, tmp), 0);
  char *got = tt_read_file_len(path, NULL);
  assert_non_null(got);
  assert_null(strstr(got, "yesterday")); /* replaced */
  assert_null(strstr(got, "stall")); /* only what finished */
  char want[160];
  snprintf(want, sizeof(want), "refused.tlsdiag.test:%u", f->refused);
  assert_non_null(strstr(got, want));
  if (!strcmp(fmt, "prometheus")) {
    prom_valid(got);
    if (system("command -v promtool >/dev/null 2>&1") == 0) {
      char cmd[300];
      snprintf(cmd, sizeof(cmd),
               "promtool check metrics < '%s' >/dev/null 2>&1", path);
      assert_int_equal(system(cmd), 0);
    }
    assert_non_null(strstr(got, "cause=\"tcp_refused\""));
    assert_non_null(strstr(got, "\ntlsdiag_sweep_complete 0\n"));
    assert_non_null(strstr(got, "\ntlsdiag_sweep_targets 4\n"));
    assert_non_null(strstr(got, "\ntlsdiag_sweep_checked_targets 1\n"));
    assert_non_null(strstr(got, "\ntlsdiag_sweep_cancelled_targets 3\n"));
  } else {
    first_line_is(got, "TLSDIAG UNKNOWN - sweep interrupted by SIGTERM "
                       "after 1 of 4 targets\n");
    assert_non_null(strstr(got, "\nTLSDIAG CRITICAL - "));
  }
  free(got);
  tt_cli_run_free(&r);
  free(list);
}

static void test_cli_monitor_interrupted_sweep_replaces_file(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  interrupted_to_file(&f, "prometheus");
  interrupted_to_file(&f, "nagios");
  fleet_stop(&f);
}

/* ---- 4. URLs --------------------------------------------------------------- */

static void test_cli_monitor_url_targets(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  char url[160];
  snprintf(url, sizeof(url), "https://valid.tlsdiag.test:%u/health?x=1#frag",
           tdserver_port(f.valid));
  const char *cargs[] = {"check", "--json", "--cacert", tt_root, "--resolve",
                         f.pins[0], "--now", f.now, url, NULL};
  tt_cli_run_t r = tt_cli_input(NULL, cargs);
  if (r.rc != 0) fail_msg("exit %d: %s %s", r.rc, r.err, r.out);
  char *req = tdserver_last_request(f.valid);
  if (strncmp(req, "HEAD /health?x=1 HTTP/1.1\r\n", 27))
    fail_msg("request: %s", req);
  free(req);
  tt_cli_run_free(&r);

  /* In a sweep list, next to a plain target. */
  char *list = td_asprintf("https://valid.tlsdiag.test:%u/from-sweep\n",
                           tdserver_port(f.valid));
  const char *extra[] = {"-", NULL};
  r = tt_cli_input(list, fleet_args(&f, extra));
  if (r.rc != 0) fail_msg("exit %d: %s", r.rc, r.err);
  req = tdserver_last_request(f.valid);
  if (strncmp(req, "HEAD /from-sweep HTTP/1.1\r\n", 27)) fail_msg("request: %s", req);
  free(req);
  assert_int_equal(count(r.out, "\n"), 1);
  tt_cli_run_free(&r);
  free(list);

  /* [::1] with a port and a path: parsed (the port refuses). */
  snprintf(url, sizeof(url), "https://[::1]:%u/x", f.refused);
  const char *v6[] = {"check", "--json", url, NULL};
  r = tt_cli_input(NULL, v6);
  assert_int_equal(r.rc, 2);
  json_error_t e;
  json_t *j = json_loads(r.out, 0, &e);
  assert_non_null(j);
  assert_string_equal(tt_jstr(j, "target.host"), "::1");
  json_decref(j);
  tt_cli_run_free(&r);

  /* http:// and other schemes: one line, exit 1. */
  const char *h[] = {"check", "http://example.test/", NULL};
  r = tt_cli_input(NULL, h);
  assert_int_equal(r.rc, 1);
  assert_string_equal(r.err, "tlsdiag check: 'http://example.test/': http:// is "
                             "not checked: tlsdiag speaks https only (try "
                             "https://example.test/) (see 'tlsdiag check "
                             "--help')\n");
  tt_cli_run_free(&r);
  const char *ftp[] = {"check", "ftp://example.test/", NULL};
  r = tt_cli_input(NULL, ftp);
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "unsupported scheme 'ftp' (https:// only)"));
  assert_int_equal(count(r.err, "\n"), 1);
  tt_cli_run_free(&r);
  const char *sw[] = {"sweep", "-q", "-", NULL};
  r = tt_cli_input("http://example.test/\n", sw);
  assert_int_equal(r.rc, 1);
  assert_string_equal(r.err, "tlsdiag sweep: <stdin>:1: 'http://example.test/': "
                             "http:// is not checked: https only; line "
                             "skipped\n");
  tt_cli_run_free(&r);
  fleet_stop(&f);
}

/* ---- 4b. bad lines in a monitoring report ------------------------------------ */

/* A Nagios plugin's stderr reaches nobody: a bad line in the list must show
 * in the report, or a typo'd host stays unmonitored under a green status.
 * Prometheus gets a gauge of them. */
static void test_cli_monitor_bad_lines_reported(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  char *ok_list = td_asprintf("valid.tlsdiag.test:%u\nexa mple.test\n"
                              "https://[::1\n",
                              tdserver_port(f.valid));
  /* Every valid target OK: UNKNOWN, the bad lines on the status line, the
   * valid targets' report as long output. */
  const char *nagios[] = {"--format", "nagios", "-", NULL};
  tt_cli_run_t r = tt_cli_input(ok_list, fleet_args(&f, nagios));
  first_line_is(r.out, "TLSDIAG UNKNOWN - 2 bad lines in the target list, not "
                       "checked (<stdin>:2: unknown field 'mple.test' "
                       "(expected sni=NAME))\n");
  assert_non_null(strstr(r.out, ")\nTLSDIAG OK - 1 target"));
  assert_int_equal(r.rc, 3);
  tt_cli_run_free(&r);
  /* The same with --expiring-within. */
  r = nagios_expiry(&f, ok_list, NULL, NULL);
  first_line_is(r.out, "TLSDIAG UNKNOWN - 2 bad lines in the target list, not "
                       "checked (<stdin>:2: ");
  assert_non_null(strstr(r.out, ")\nTLSDIAG OK - 1 target, none expiring"));
  assert_int_equal(r.rc, 3);
  tt_cli_run_free(&r);
  /* CRITICAL stays CRITICAL; the bad lines are a long-output line. */
  char *crit_list = td_asprintf("expired.tlsdiag.test:%u\nx..y.test\n",
                                tdserver_port(f.expired));
  r = tt_cli_input(crit_list, fleet_args(&f, nagios));
  first_line_is(r.out, "TLSDIAG CRITICAL - 1 target");
  assert_non_null(strstr(r.out, "\nUNKNOWN - 1 bad line in the target list, "
                                "not checked (<stdin>:2: "));
  assert_int_equal(r.rc, 2);
  tt_cli_run_free(&r);
  /* Prometheus: the valid targets and the bad lines, counted apart (a
   * name the library refuses is a bad line, not a target). */
  const char *prom[] = {"--format", "prometheus", "-", NULL};
  r = tt_cli_input(ok_list, fleet_args(&f, prom));
  prom_valid(r.out);
  assert_non_null(strstr(r.out, "\ntlsdiag_sweep_targets 1\n"));
  assert_non_null(strstr(r.out, "\ntlsdiag_sweep_checked_targets 1\n"));
  assert_non_null(strstr(r.out, "\ntlsdiag_sweep_bad_lines 2\n"));
  assert_int_equal(r.rc, 1);
  tt_cli_run_free(&r);
  free(ok_list);
  free(crit_list);
  fleet_stop(&f);
}

/* The bad_line records of a JSON Lines output (valid JSON each, parsed
 * whole): how many, and the line numbers seen, as a bit mask. */
static size_t bad_records(const char *out, unsigned *lines) {
  size_t n = 0;
  for (const char *l = out; l && *l;) {
    const char *nl = strchr(l, '\n');
    if (!nl) fail_msg("partial last line: %s", l);
    json_error_t e;
    json_t *j = json_loadb(l, (size_t)(nl - l), JSON_REJECT_DUPLICATES, &e);
    if (!j) fail_msg("invalid JSON line: %.*s", (int)(nl - l), l);
    const char *rec = json_string_value(json_object_get(j, "record"));
    if (rec && !strcmp(rec, "bad_line")) {
      n++;
      *lines |= 1u << json_integer_value(json_object_get(j, "line"));
    }
    json_decref(j);
    l = nl + 1;
  }
  return n;
}

/* JSON Lines hold a record for every bad line (stderr may be lost to
 * cron or a pipe), before the checks' records; once across the shards of
 * one list and across --resume runs. */
static void test_cli_monitor_bad_line_records(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  char *list = td_asprintf("valid.tlsdiag.test:%u\nexa mple.test\n"
                           "https://[::1\nx..y.test\nexpired.tlsdiag.test:%u\n",
                           tdserver_port(f.valid), tdserver_port(f.expired));
  const char *json[] = {"-", NULL};
  tt_cli_run_t r = tt_cli_input(list, fleet_args(&f, json));
  assert_int_equal(r.rc, 1);
  const char *want[] = {
      "{\"schema\":\"tlsdiag-sweep/1\",\"record\":\"bad_line\",\"line\":2,"
      "\"input\":\"exa mple.test\",\"ok\":false,\"cause\":\"bad_line\","
      "\"message\":\"unknown field 'mple.test' (expected sni=NAME)\"}\n",
      "{\"schema\":\"tlsdiag-sweep/1\",\"record\":\"bad_line\",\"line\":3,"
      "\"input\":\"https://[::1\",\"ok\":false,\"cause\":\"bad_line\","
      "\"message\":\"bad target 'https://[::1': malformed host name\"}\n",
      "{\"schema\":\"tlsdiag-sweep/1\",\"record\":\"bad_line\",\"line\":4,"
      "\"input\":\"x..y.test:443\",\"ok\":false,\"cause\":\"bad_line\","
      "\"message\":\"'x..y.test': malformed host name\"}\n"};
  size_t off = 0;
  for (size_t i = 0; i < 3; i++) { /* first, in line order */
    assert_memory_equal(r.out + off, want[i], strlen(want[i]));
    off += strlen(want[i]);
  }
  assert_int_equal(count(r.out + off, "\"schema\":\"tlsdiag/1\""), 2);
  unsigned lines = 0;
  assert_int_equal(bad_records(r.out, &lines), 3);
  tt_cli_run_free(&r);

  /* Two shards: each bad line once in all. */
  lines = 0;
  size_t total = 0;
  const char *sh1[] = {"--shard", "1/2", "-", NULL};
  const char *sh2[] = {"--shard", "2/2", "-", NULL};
  r = tt_cli_input(list, fleet_args(&f, sh1));
  total += bad_records(r.out, &lines);
  tt_cli_run_free(&r);
  r = tt_cli_input(list, fleet_args(&f, sh2));
  total += bad_records(r.out, &lines);
  tt_cli_run_free(&r);
  assert_int_equal(total, 3);
  assert_int_equal(lines, (1u << 2) | (1u << 3) | (1u << 4));

  /* --resume twice over the same file: the bad lines recorded once. */
  char path[160];
  snprintf(path, sizeof(path), "%s/bad-resume.jsonl", tt_dir);
  const char *res[] = {"--resume", path, "-", NULL};
  for (int k = 0; k < 2; k++) {
    r = tt_cli_input(list, fleet_args(&f, res));
    assert_int_equal(r.rc, 1);
    tt_cli_run_free(&r);
  }
  char *got = tt_read_file_len(path, NULL);
  lines = 0;
  assert_int_equal(bad_records(got, &lines), 3);
  assert_int_equal(count(got, "\"schema\":\"tlsdiag/1\""), 2);
  free(got);
  free(list);
  fleet_stop(&f);
}

/* ---- 5. usage lines --------------------------------------------------------- */

static void expect_line(const char *const *args, const char *line) {
  tt_cli_run_t r = tt_cli_input(NULL, args);
  if (r.rc != 1) fail_msg("%s %s: exit %d", args[0], args[1], r.rc);
  assert_string_equal(r.out, "");
  assert_string_equal(r.err, line);
  tt_cli_run_free(&r);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_cli_monitor_usage_lines(void **state) {
  (void)state;
  expect_line(ARGS("check"), "tlsdiag check: missing HOST[:PORT] or https:// URL "
                             "(see 'tlsdiag check --help')\n");
  expect_line(ARGS("check", "a.test", "b.test"),
              "tlsdiag check: unexpected argument 'b.test' (see 'tlsdiag "
              "check --help')\n");
  expect_line(ARGS("check", "--bogus", "a.test"),
              "tlsdiag check: unknown or ambiguous option '--bogus' (see "
              "'tlsdiag check --help')\n");
  expect_line(ARGS("sweep", "a", "b"), "tlsdiag sweep: unexpected argument 'b' "
                                       "(see 'tlsdiag sweep --help')\n");
  expect_line(ARGS("sweep", "--bogus"), "tlsdiag sweep: unknown or ambiguous "
                                        "option '--bogus' (see 'tlsdiag sweep "
                                        "--help')\n");
  expect_line(ARGS("sweep", "--sni", "x"),
              "tlsdiag sweep: option '--sni' is not one of this command's "
              "(see 'tlsdiag sweep --help')\n");
  expect_line(ARGS("verify"), "tlsdiag verify: missing CERT (see 'tlsdiag "
                              "verify --help')\n");
  expect_line(ARGS("verify", "--bogus", "x.pem"),
              "tlsdiag verify: unknown or ambiguous option '--bogus' (see "
              "'tlsdiag verify --help')\n");
  expect_line(ARGS("hsts", "lookup"), "tlsdiag hsts lookup: missing NAME (see "
                                      "'tlsdiag hsts lookup --help')\n");
  expect_line(ARGS("hsts", "update", "extra"),
              "tlsdiag hsts update: unexpected argument 'extra' (see 'tlsdiag "
              "hsts update --help')\n");
  expect_line(ARGS("hsts", "update", "-x"),
              "tlsdiag hsts update: unknown option '-x' (see 'tlsdiag hsts "
              "update --help')\n");
  expect_line(ARGS("hsts", "frob"), "tlsdiag hsts: unknown command 'frob' "
                                    "(lookup, update or preload-check) (see "
                                    "'tlsdiag hsts --help')\n");
  expect_line(ARGS("hsts", "preload-check"),
              "tlsdiag hsts preload-check: missing DOMAIN (see 'tlsdiag hsts "
              "preload-check --help')\n");
  expect_line(ARGS("hsts", "preload-check", "a.example", "b.example"),
              "tlsdiag hsts preload-check: unexpected argument 'b.example' "
              "(see 'tlsdiag hsts preload-check --help')\n");
  expect_line(ARGS("demo", "extra"), "tlsdiag demo: unexpected argument 'extra' "
                                     "(see 'tlsdiag demo --help')\n");
  expect_line(ARGS("demo", "--color"), "tlsdiag demo: option '--color' needs a "
                                       "value (see 'tlsdiag demo --help')\n");
  expect_line(ARGS("frob"), "tlsdiag: unknown command 'frob' (see 'tlsdiag "
                            "--help')\n");
  /* What the user typed is quoted terminal-safe: C0 (ESC too), DEL and C1
   * controls as \xNN, readable UTF-8 as it is. */
  expect_line(ARGS("check", "a\x01" "b\x1b[31m.test"),
              "tlsdiag check: 'a\\x01b\\x1b[31m.test': host name contains a "
              "character not allowed in host names (see 'tlsdiag check "
              "--help')\n");
  expect_line(ARGS("check", "https://\xc2\x9b" "2J\x7f.test/"),
              "tlsdiag check: 'https://\\xc2\\x9b2J\\x7f.test/': malformed URL "
              "(https://HOST[:PORT][/PATH]) (see 'tlsdiag check --help')\n");
  expect_line(ARGS("check", "--bogus\x9b" "2J", "a.test"),
              "tlsdiag check: unknown or ambiguous option '--bogus\\x9b2J' (see "
              "'tlsdiag check --help')\n");
  expect_line(ARGS("check", "例え テスト"),
              "tlsdiag check: '例え テスト': host name contains a character not "
              "allowed in host names (see 'tlsdiag check --help')\n");
  char want[64];
  snprintf(want, sizeof(want), "tlsdiag %s\n", tlsdiag_version_str());
  const char *const *versions[] = {ARGS("-V"), ARGS("--version"),
                                   ARGS("check", "-V"), ARGS("sweep", "--version")};
  for (size_t i = 0; i < 4; i++) {
    tt_cli_run_t r = tt_cli_input(NULL, versions[i]);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, want);
    tt_cli_run_free(&r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cli_monitor_textfile_recipe_replaced_on_failure),
      cmocka_unit_test(test_cli_monitor_nagios_expiry),
      cmocka_unit_test(test_cli_monitor_sweep_sigint_sigterm),
      cmocka_unit_test(test_cli_monitor_interrupted_sweep_replaces_file),
      cmocka_unit_test(test_cli_monitor_url_targets),
      cmocka_unit_test(test_cli_monitor_bad_lines_reported),
      cmocka_unit_test(test_cli_monitor_bad_line_records),
      cmocka_unit_test(test_cli_monitor_usage_lines),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
