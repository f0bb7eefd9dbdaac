/* test_sweep.c: `tlsdiag sweep` end to end against local servers: one JSON
 * line per unique valid target (comments, bad lines with their numbers,
 * duplicates, a 1 MB line), completion order with a silent server, shards
 * that partition the list, --expiring-within, the nagios and prometheus
 * formats (the latter through a strict exposition parser), exit codes. */
#include <fcntl.h>

#include "tdprom.h"
#include "tdtest.h"

static char *write_list(const char *name, const char *text) {
  static char path[256];
  return tt_write_tmp(path, sizeof(path), name, text);
}

/* Each stdout line parsed as JSON (fails on invalid JSON); *n lines. */
static json_t **json_lines(const char *out, size_t *n) {
  json_t **v = NULL;
  *n = 0;
  for (const char *l = out; *l;) {
    const char *nl = strchr(l, '\n');
    assert_non_null(nl);
    json_error_t e;
    json_t *j = json_loadb(l, (size_t)(nl - l), JSON_REJECT_DUPLICATES, &e);
    if (!j) fail_msg("invalid JSON line (%s): %.*s", e.text, (int)(nl - l), l);
    v = realloc(v, (*n + 1) * sizeof(*v));
    v[(*n)++] = j;
    l = nl + 1;
  }
  return v;
}

static void json_lines_free(json_t **v, size_t n) {
  for (size_t i = 0; i < n; i++) json_decref(v[i]);
  free(v);
}

/* Servers of the mixed list, and the arguments every sweep of it needs. */
typedef struct {
  tdserver_t *valid, *expired, *soon, *wrong, *silent;
  uint16_t refused;
  int refused_fd; /* holds the refused port (bound, not listening) */
  char pins[6][160];
  char now[32];
  const char *args[40];
  size_t nargs;
} fleet_t;

static void fleet_start(fleet_t *f) {
  memset(f, 0, sizeof(*f));
  f->valid = tt_server(TDS_HTTP, "valid");
  f->expired = tt_server(TDS_HTTP, "expired");
  f->soon = tt_server(TDS_HTTP, "expiring_soon");
  f->wrong = tt_server(TDS_HTTP, "wrong_host");
  f->silent = tt_server(TDS_SILENT, NULL);
  f->refused_fd = tt_refusing_port("127.0.0.1", &f->refused);
  snprintf(f->pins[0], 160, "valid.tlsdiag.test:%u:127.0.0.1", tdserver_port(f->valid));
  snprintf(f->pins[1], 160, "expired.tlsdiag.test:%u:127.0.0.1", tdserver_port(f->expired));
  snprintf(f->pins[2], 160, "soon.tlsdiag.test:%u:127.0.0.1", tdserver_port(f->soon));
  snprintf(f->pins[3], 160, "wrong-host.tlsdiag.test:%u:127.0.0.1", tdserver_port(f->wrong));
  snprintf(f->pins[4], 160, "silent.tlsdiag.test:%u:127.0.0.1", tdserver_port(f->silent));
  snprintf(f->pins[5], 160, "refused.tlsdiag.test:%u:127.0.0.1", f->refused);
  snprintf(f->now, sizeof(f->now), "@%lld", (long long)(tdcerts_now(tt_pki) + 60));
  f->args[f->nargs++] = "sweep";
  f->args[f->nargs++] = "--cacert";
  f->args[f->nargs++] = tt_root;
  for (int i = 0; i < 6; i++) {
    f->args[f->nargs++] = "--resolve";
    f->args[f->nargs++] = f->pins[i];
  }
  f->args[f->nargs++] = "--now";
  f->args[f->nargs++] = f->now;
  f->args[f->nargs++] = "--connect-timeout";
  f->args[f->nargs++] = "1";
  f->args[f->nargs++] = "--max-time";
  f->args[f->nargs++] = "5";
  f->args[f->nargs++] = "--no-progress";
}

/* fleet args + extra (NULL-terminated) */
static tt_cli_run_t fleet_run(fleet_t *f, const char *input, const char *const *extra) {
  const char *args[80];
  size_t n = 0;
  for (size_t i = 0; i < f->nargs; i++) args[n++] = f->args[i];
  for (const char *const *e = extra; e && *e; e++) args[n++] = *e;
  args[n] = NULL;
  return tt_cli_input(input, args);
}

static void fleet_stop(fleet_t *f) {
  tdserver_stop(f->valid);
  tdserver_stop(f->expired);
  tdserver_stop(f->soon);
  tdserver_stop(f->wrong);
  tdserver_stop(f->silent);
  close(f->refused_fd);
}

static const char *jhost(json_t *j) { return tt_jstr(j, "target.host"); }

static json_t *by_host(json_t **v, size_t n, const char *host) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(jhost(v[i]), host)) return v[i];
  fail_msg("no record for %s", host);
  return NULL;
}

static void test_sweep_one_record_per_unique_valid_target(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  char *text = NULL;
  /* line numbers matter: the bad ones are asserted below */
  text = td_asprintf(
      "# fleet\n"                                      /* 1 */
      "silent.tlsdiag.test:%u\n"                       /* 2 */
      "\n"                                             /* 3 */
      "valid.tlsdiag.test:%u   # the good one\n"       /* 4 */
      "expired.tlsdiag.test:%u\n"                      /* 5 */
      "soon.tlsdiag.test:%u\n"                         /* 6 */
      "wrong-host.tlsdiag.test:%u\n"                   /* 7 */
      "refused.tlsdiag.test:%u\n"                      /* 8 */
      "VALID.tlsdiag.test:%u\n"                        /* 9: duplicate */
      "bad.tlsdiag.test:99999\n"                       /* 10: bad port */
      "one two three\n"                                /* 11: fields */
      "[::1\n"                                         /* 12: bracket */
      "valid.tlsdiag.test:%u sni=other.example\n"      /* 13: own target */
      "valid.tlsdiag.test:%u color=\x1b[31mblue\n"    /* 14: bad field */
      "   \t  \n"                                      /* 15 */
      "x..y.test:443\n"                                /* 16: bad name */
      "valid.tlsdiag.test:%u\r\n",                     /* 17: duplicate */
      tdserver_port(f.silent), tdserver_port(f.valid),
      tdserver_port(f.expired), tdserver_port(f.soon), tdserver_port(f.wrong),
      f.refused, tdserver_port(f.valid), tdserver_port(f.valid),
      tdserver_port(f.valid), tdserver_port(f.valid));
  /* line 18: 1 MB on one line; line 19 still counts */
  td_buf_t b;
  td_buf_init(&b);
  td_buf_puts(&b, text);
  for (int i = 0; i < 1024 * 1024; i++) td_buf_putc(&b, 'a');
  td_buf_puts(&b, "\nrefused.tlsdiag.test:");
  td_buf_printf(&b, "%u", f.refused);
  td_buf_puts(&b, "  # 19: a duplicate after the long line\n");
  char *list = write_list("fleet.txt", b.data);
  td_buf_free(&b);
  free(text);

  const char *extra[] = {"--summary", list, NULL};
  int64_t t0 = td_mono_us();
  tt_cli_run_t r = fleet_run(&f, NULL, extra);
  double ms = tt_ms_since(t0);
  size_t n = 0;
  json_t **v = json_lines(r.out, &n);
  /* A record for each bad line first, in line order; then the 7 unique
   * valid targets and the summary record */
  assert_int_equal(n, 6 + 8);
  static const int bad_line[] = {10, 11, 12, 14, 16, 18};
  for (size_t i = 0; i < 6; i++) {
    assert_string_equal(tt_jstr(v[i], "record"), "bad_line");
    assert_int_equal(json_integer_value(tt_jget(v[i], "line")), bad_line[i]);
  }
  assert_string_equal(tt_jstr(v[0], "message"),
                      "bad target 'bad.tlsdiag.test:99999': port out of range "
                      "(1-65535)");
  char in14[80];
  snprintf(in14, sizeof(in14), "valid.tlsdiag.test:%u color=\\x1b[31mblue",
           tdserver_port(f.valid));
  assert_string_equal(tt_jstr(v[3], "input"), in14);
  assert_int_equal(strlen(tt_jstr(v[5], "input")), 200); /* cut short */
  json_t **w = v + 6;
  assert_non_null(json_object_get(w[7], "summary"));
  assert_int_equal(json_integer_value(tt_jget(w[7], "summary.targets")), 7);
  assert_int_equal(json_integer_value(tt_jget(w[7], "summary.bad_lines")), 6);
  assert_int_equal(json_integer_value(tt_jget(w[7], "summary.duplicates")), 3);
  assert_int_equal(json_integer_value(tt_jget(w[7], "summary.causes.ok")), 3);
  assert_string_equal(tt_jstr(by_host(w, 7, "expired.tlsdiag.test"), "cause"),
                      "cert_expired");
  assert_string_equal(tt_jstr(by_host(w, 7, "soon.tlsdiag.test"), "cause"),
                      "ok");
  assert_string_equal(tt_jstr(by_host(w, 7, "wrong-host.tlsdiag.test"), "cause"),
                      "cert_hostname_mismatch");
  assert_string_equal(tt_jstr(by_host(w, 7, "refused.tlsdiag.test"), "cause"),
                      "tcp_refused");
  assert_string_equal(tt_jstr(by_host(w, 7, "silent.tlsdiag.test"), "cause"),
                      "tls_timeout");
  /* Same host:port, two SNIs: two targets. */
  size_t nvalid = 0;
  for (size_t i = 0; i < 7; i++)
    if (!strcmp(jhost(w[i]), "valid.tlsdiag.test")) {
      nvalid++;
      const char *sni = tt_jstr(w[i], "target.sni");
      assert_true(!strcmp(sni, "valid.tlsdiag.test") ||
                  !strcmp(sni, "other.example"));
    }
  assert_int_equal(nvalid, 2);
  /* Completion order: the silent one, first in the list, comes last; it
   * held nobody back, and the sweep ended at its deadline. */
  assert_string_equal(jhost(w[6]), "silent.tlsdiag.test");
  assert_true(ms < td_upper_ms(4000));
  /* Bad lines: reported with their numbers on stderr too. */
  static const char *const bad[] = {":10: ", ":11: ", ":12: ", ":14: ",
                                    ":16: ", ":18: "};
  for (size_t i = 0; i < 6; i++) {
    char want[300];
    snprintf(want, sizeof(want), "%s%s", list, bad[i]);
    if (!strstr(r.err, want)) fail_msg("no '%s' in stderr:\n%s", want, r.err);
  }
  assert_non_null(strstr(r.err, ":18: line longer than 4096 bytes"));
  assert_non_null(strstr(r.err, "port out of range"));
  assert_null(strstr(r.err, ":13: "));
  assert_null(strchr(r.err, '\x1b')); /* quoted as \x1b, not sent */
  assert_non_null(strstr(r.err, "color=\\x1b[31mblue"));
  /* The stderr summary: counts per cause, soonest expiries. */
  assert_non_null(strstr(r.err, "7 targets"));
  assert_non_null(strstr(r.err, "cert_expired 1"));
  assert_non_null(strstr(r.err, "soonest expiries"));
  assert_int_equal(r.rc, 1); /* bad input lines: exit 1, after the sweep */
  json_lines_free(v, n);
  tt_cli_run_free(&r);
  fleet_stop(&f);
}

static void test_sweep_shards_partition_the_list(void **state) {
  (void)state;
  uint16_t port = 0;
  int hold = tt_refusing_port("127.0.0.1", &port); /* bound, not listening */
  td_buf_t list, pins;
  td_buf_init(&list);
  td_buf_init(&pins);
  const char *args[200];
  size_t na = 0;
  args[na++] = "sweep";
  args[na++] = "--no-progress";
  args[na++] = "-q";
  char pinv[40][96];
  for (int i = 0; i < 40; i++) {
    td_buf_printf(&list, "t%d.shard.test:%u\n", i, port);
    snprintf(pinv[i], sizeof(pinv[i]), "t%d.shard.test:%u:127.0.0.1", i, port);
    args[na++] = "--resolve";
    args[na++] = pinv[i];
  }
  char *path = write_list("shards.txt", list.data);
  int seen[40] = {0};
  const char *shard_arg[] = {"1/3", "2/3", "3/3"};
  for (int k = 0; k < 3; k++) {
    args[na] = "--shard";
    args[na + 1] = shard_arg[k];
    args[na + 2] = path;
    args[na + 3] = NULL;
    tt_cli_run_t r = tt_cli_input(NULL, args);
    assert_int_equal(r.rc, 2); /* every target refused */
    size_t n = 0;
    json_t **v = json_lines(r.out, &n);
    assert_true(n > 0); /* 40 targets: every shard gets some */
    for (size_t i = 0; i < n; i++) {
      int idx = -1;
      assert_int_equal(sscanf(jhost(v[i]), "t%d.shard.test", &idx), 1);
      assert_true(idx >= 0 && idx < 40);
      seen[idx]++;
    }
    json_lines_free(v, n);
    tt_cli_run_free(&r);
  }
  for (int i = 0; i < 40; i++)
    if (seen[i] != 1) fail_msg("t%d seen in %d shards", i, seen[i]);
  /* The same shard twice gives the same targets (stable hash). */
  args[na] = "--shard";
  args[na + 1] = "2/3";
  args[na + 2] = path;
  args[na + 3] = NULL;
  tt_cli_run_t a = tt_cli_input(NULL, args), b = tt_cli_input(NULL, args);
  size_t na1 = 0, nb1 = 0;
  for (const char *p = a.out; *p; p++) na1 += *p == '\n';
  for (const char *p = b.out; *p; p++) nb1 += *p == '\n';
  assert_int_equal(na1, nb1);
  tt_cli_run_free(&a);
  tt_cli_run_free(&b);
  static const char *const bad[] = {"0/3", "4/3", "3", "a/b", "1/0"};
  for (size_t i = 0; i < 5; i++) {
    const char *bargs[] = {"sweep", "--shard", bad[i], path, NULL};
    tt_cli_run_t r = tt_cli_input(NULL, bargs);
    assert_int_equal(r.rc, 1);
    assert_non_null(strstr(r.err, "--shard"));
    tt_cli_run_free(&r);
  }
  td_buf_free(&list);
  td_buf_free(&pins);
  close(hold);
}

static void test_sweep_expiring_within_sorts_by_days_left(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  char *text = td_asprintf(
      "valid.tlsdiag.test:%u\nsoon.tlsdiag.test:%u\nexpired.tlsdiag.test:%u\n"
      "refused.tlsdiag.test:%u\n",
      tdserver_port(f.valid), tdserver_port(f.soon), tdserver_port(f.expired),
      f.refused);
  /* From stdin this time. */
  const char *extra[] = {"--expiring-within", "30", "-", NULL};
  tt_cli_run_t r = fleet_run(&f, text, extra);
  size_t n = 0;
  json_t **v = json_lines(r.out, &n);
  assert_int_equal(n, 2);
  assert_string_equal(jhost(v[0]), "expired.tlsdiag.test");
  assert_string_equal(jhost(v[1]), "soon.tlsdiag.test");
  assert_int_equal(json_integer_value(tt_jget(v[0], "chain.0.days_left")), -10);
  assert_int_equal(json_integer_value(tt_jget(v[1], "chain.0.days_left")), 9);
  assert_int_equal(r.rc, 2);
  json_lines_free(v, n);
  tt_cli_run_free(&r);

  /* 95 days later everything has expired: all three, in order. */
  char later[32];
  snprintf(later, sizeof(later), "@%lld",
           (long long)(tdcerts_now(tt_pki) + 60 + 95 * 86400));
  const char *extra2[] = {"--now", later, "--expiring-within", "0", "-", NULL};
  r = fleet_run(&f, text, extra2);
  v = json_lines(r.out, &n);
  assert_int_equal(n, 3);
  assert_string_equal(jhost(v[0]), "expired.tlsdiag.test");
  assert_string_equal(jhost(v[1]), "soon.tlsdiag.test");
  assert_string_equal(jhost(v[2]), "valid.tlsdiag.test");
  json_lines_free(v, n);
  tt_cli_run_free(&r);

  /* Nothing needs action: nothing printed, exit 0. */
  char *ok = td_asprintf("valid.tlsdiag.test:%u\n", tdserver_port(f.valid));
  const char *extra3[] = {"--expiring-within", "30", "-", NULL};
  r = fleet_run(&f, ok, extra3);
  assert_string_equal(r.out, "");
  assert_int_equal(r.rc, 0);
  tt_cli_run_free(&r);
  free(ok);
  free(text);
  fleet_stop(&f);
}

/* The first line of a Nagios output: "TLSDIAG STATE - text | perfdata". */
static void nagios_first_line_ok(const char *out, const char *state) {
  char want[64];
  snprintf(want, sizeof(want), "TLSDIAG %s - ", state);
  if (strncmp(out, want, strlen(want)))
    fail_msg("expected '%s...', got: %s", want, out);
  const char *nl = strchr(out, '\n');
  assert_non_null(nl);
  const char *bar = strchr(out, '|');
  assert_true(bar && bar < nl);
  assert_null(strchr(bar + 1, '|')); /* perfdata only once, in line one */
  char *perf = strndup(bar + 2, (size_t)(nl - bar - 2));
  char *save = NULL;
  for (char *it = strtok_r(perf, " ", &save); it; it = strtok_r(NULL, " ", &save)) {
    /* 'label'=value[UOM][;warn;crit...] */
    assert_non_null(strchr(it, '='));
    char *q = it[0] == '\'' ? strchr(it + 1, '\'') : strchr(it, '=') - 1;
    assert_true(it[0] == '\''); /* every label quoted */
    assert_true(q && q[1] == '=');
    char *end = NULL;
    strtod(q + 2, &end);
    assert_true(end > q + 2);
  }
  free(perf);
}

static void test_sweep_nagios_states_and_exit_codes(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  struct {
    const char *host;
    uint16_t port;
    const char *crit;
    const char *state;
    int rc;
  } cases[] = {
      {"valid.tlsdiag.test", tdserver_port(f.valid), "7", "OK", 0},
      {"soon.tlsdiag.test", tdserver_port(f.soon), "7", "WARNING", 1},
      {"soon.tlsdiag.test", tdserver_port(f.soon), "15", "CRITICAL", 2},
      {"expired.tlsdiag.test", tdserver_port(f.expired), "7", "CRITICAL", 2},
      {"refused.tlsdiag.test", f.refused, "7", "CRITICAL", 2},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *list = td_asprintf("%s:%u\n", cases[i].host, cases[i].port);
    const char *extra[] = {"--format", "nagios", "--crit-days", cases[i].crit,
                           "-", NULL};
    tt_cli_run_t r = fleet_run(&f, list, extra);
    nagios_first_line_ok(r.out, cases[i].state);
    assert_int_equal(r.rc, cases[i].rc);
    tt_cli_run_free(&r);

    /* `check --format nagios`: one line, the same state. */
    char target[200], pin[200];
    snprintf(target, sizeof(target), "%s:%u", cases[i].host, cases[i].port);
    snprintf(pin, sizeof(pin), "%s:%u:127.0.0.1", cases[i].host, cases[i].port);
    const char *cargs[] = {"check", "--format", "nagios", "--cacert", tt_root,
                           "--resolve", pin, "--now", f.now, "--crit-days",
                           cases[i].crit, target, NULL};
    r = tt_cli_input(NULL, cargs);
    nagios_first_line_ok(r.out, cases[i].state);
    assert_int_equal(strchr(r.out, '\n') - r.out + 1, (long)strlen(r.out));
    assert_int_equal(r.rc, cases[i].rc);
    tt_cli_run_free(&r);
    free(list);
  }

  /* The whole fleet: the worst state, one line per target after it. */
  char *all = td_asprintf("valid.tlsdiag.test:%u\nsoon.tlsdiag.test:%u\n"
                          "expired.tlsdiag.test:%u\n",
                          tdserver_port(f.valid), tdserver_port(f.soon),
                          tdserver_port(f.expired));
  const char *extra[] = {"--format", "nagios", "-", NULL};
  tt_cli_run_t r = fleet_run(&f, all, extra);
  nagios_first_line_ok(r.out, "CRITICAL");
  assert_non_null(strstr(r.out, "3 targets: 1 CRITICAL, 0 UNKNOWN, 1 WARNING, 1 OK"));
  assert_non_null(strstr(r.out, "\nCRITICAL - expired.tlsdiag.test:"));
  assert_non_null(strstr(r.out, "\nWARNING - soon.tlsdiag.test:"));
  assert_non_null(strstr(r.out, "\nOK - valid.tlsdiag.test:"));
  assert_int_equal(r.rc, 2);
  tt_cli_run_free(&r);
  free(all);

  /* The resolver failing: UNKNOWN. */
  tddns_t *dns = NULL;
  assert_int_equal(tddns_start(NULL, &dns), 0);
  assert_int_equal(tddns_set_behavior(dns, "broken.tlsdiag.test", TDDNS_SERVFAIL), 0);
  char server[64];
  snprintf(server, sizeof(server), "127.0.0.1:%u", tddns_port(dns));
  const char *dargs[] = {"sweep", "--format", "nagios", "--dns-server", server,
                         "--no-progress", "-", NULL};
  r = tt_cli_input("broken.tlsdiag.test\n", dargs);
  nagios_first_line_ok(r.out, "UNKNOWN");
  assert_non_null(strstr(r.out, "dns_failure"));
  assert_int_equal(r.rc, 3);
  tt_cli_run_free(&r);
  tddns_stop(dns);

  /* Usage errors are UNKNOWN for a plugin. */
  const char *uargs[] = {"sweep", "--format", "nagios", "--bogus", NULL};
  r = tt_cli_input(NULL, uargs);
  assert_int_equal(r.rc, 3);
  tt_cli_run_free(&r);
  fleet_stop(&f);
}

static void test_sweep_prometheus_is_valid_exposition(void **state) {
  (void)state;
  fleet_t f;
  fleet_start(&f);
  char *list = td_asprintf(
      "valid.tlsdiag.test:%u\nexpired.tlsdiag.test:%u\nsoon.tlsdiag.test:%u\n"
      "refused.tlsdiag.test:%u\nvalid.tlsdiag.test:%u sni=valid.tlsdiag.test\n",
      tdserver_port(f.valid), tdserver_port(f.expired), tdserver_port(f.soon),
      f.refused, tdserver_port(f.valid));
  const char *extra[] = {"--format", "prometheus", "-", NULL};
  tt_cli_run_t r = fleet_run(&f, list, extra);
  tdprom_t p;
  if (tdprom_parse(r.out, &p)) fail_msg("%s\n%s", p.err, r.out);
  /* The real parser too, where it is installed (Debian: prometheus). */
  if (system("command -v promtool >/dev/null 2>&1") == 0) {
    char path[200], cmd[300];
    snprintf(path, sizeof(path), "%s/metrics.prom", tt_dir);
    FILE *mf = fopen(path, "wb");
    assert_non_null(mf);
    fputs(r.out, mf);
    fclose(mf);
    snprintf(cmd, sizeof(cmd), "timeout %.0f promtool check metrics < '%s'",
             60 * td_time_scale(), path);
    assert_int_equal(system(cmd), 0);
  }
  size_t n = 0;
  tdprom_find(&p, "tlsdiag_check_success", NULL, &n);
  assert_int_equal(n, 4); /* sni=NAME equal to the default is a duplicate */
  char vt[100], et[100], st[100], rt[100];
  snprintf(vt, sizeof(vt), "target=valid.tlsdiag.test:%u", tdserver_port(f.valid));
  snprintf(et, sizeof(et), "target=expired.tlsdiag.test:%u", tdserver_port(f.expired));
  snprintf(st, sizeof(st), "target=soon.tlsdiag.test:%u", tdserver_port(f.soon));
  snprintf(rt, sizeof(rt), "target=refused.tlsdiag.test:%u", f.refused);
  /* Identity once: target on every sample, host/port/sni on the info
   * gauge only, sni on the others only when it is not the host's own. */
  const char *v1[] = {vt, NULL};
  const tdprom_sample_t *x = tdprom_find(&p, "tlsdiag_check_success", v1, &n);
  assert_int_equal(n, 1);
  assert_int_equal(x->nlabels, 1);
  const char *v2[] = {vt, "host=valid.tlsdiag.test", "sni=valid.tlsdiag.test",
                      NULL};
  x = tdprom_find(&p, "tlsdiag_check_info", v2, &n);
  assert_int_equal(n, 1);
  assert_int_equal(x->nlabels, 4);
  const char *e1[] = {et, NULL};
  assert_true(tdprom_find(&p, "tlsdiag_check_success", e1, NULL)->value == 0);
  const char *e2[] = {et, "cause=cert_expired", NULL};
  assert_true(tdprom_find(&p, "tlsdiag_cause_info", e2, NULL)->value == 1);
  /* Expiry facts survive a failed validation (blackbox_exporter #423). */
  const char *e3[] = {et, "cert=leaf", NULL};
  x = tdprom_find(&p, "tlsdiag_cert_expiry_seconds", e3, NULL);
  assert_non_null(x);
  assert_true(x->value < -9 * 86400 && x->value > -11 * 86400);
  const char *s1[] = {st, "cert=path_earliest", NULL};
  x = tdprom_find(&p, "tlsdiag_cert_not_after_seconds", s1, NULL);
  assert_non_null(x);
  assert_true(x->value > (double)tdcerts_now(tt_pki));
  const char *r1[] = {rt, "cause=tcp_refused", NULL};
  assert_non_null(tdprom_find(&p, "tlsdiag_cause_info", r1, NULL));
  const char *r2[] = {rt, NULL};
  assert_null(tdprom_find(&p, "tlsdiag_tls_version_info", r2, NULL));
  const char *t1[] = {vt, "version=TLS1.3", NULL};
  assert_non_null(tdprom_find(&p, "tlsdiag_tls_version_info", t1, NULL));
  const char *ph[] = {vt, "phase=tls", NULL};
  x = tdprom_find(&p, "tlsdiag_phase_duration_seconds", ph, NULL);
  assert_true(x && x->value > 0 && x->value < 5);
  assert_int_equal(r.rc, 2);
  tdprom_free(&p);
  tt_cli_run_free(&r);
  free(list);
  fleet_stop(&f);
}

static void test_sweep_usage_errors_exit_1(void **state) {
  (void)state;
  const char *dir[] = {"sweep", tt_dir, NULL};
  tt_cli_run_t r = tt_cli_input(NULL, dir);
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "is a directory"));
  assert_string_equal(r.out, "");
  tt_cli_run_free(&r);
  const char *missing[] = {"sweep", "/nonexistent/list.txt", NULL};
  r = tt_cli_input(NULL, missing);
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "cannot open"));
  tt_cli_run_free(&r);
  static const char *const bad[][3] = {
      {"--concurrency", "0", NULL}, {"--format", "xml", NULL},
      {"--expiring-within", "soon", NULL}, {"--cacert", "/nonexistent", NULL},
      {"--dns-server", "not an address", NULL}, {"--resolve", "x:1:nope", NULL},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    const char *args[] = {"sweep", bad[i][0], bad[i][1], "-", NULL};
    r = tt_cli_input("localhost:1\n", args);
    if (r.rc != 1) fail_msg("%s %s: exit %d", bad[i][0], bad[i][1], r.rc);
    assert_string_equal(r.out, "");
    tt_cli_run_free(&r);
  }
  /* Nothing to do is not an error. */
  const char *empty[] = {"sweep", "-q", "-", NULL};
  r = tt_cli_input("# only a comment\n\n", empty);
  assert_int_equal(r.rc, 0);
  assert_string_equal(r.out, "");
  tt_cli_run_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sweep_one_record_per_unique_valid_target),
      cmocka_unit_test(test_sweep_shards_partition_the_list),
      cmocka_unit_test(test_sweep_expiring_within_sorts_by_days_left),
      cmocka_unit_test(test_sweep_nagios_states_and_exit_codes),
      cmocka_unit_test(test_sweep_prometheus_is_valid_exposition),
      cmocka_unit_test(test_sweep_usage_errors_exit_1),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
