/* test_nagios_perfdata.c: every Nagios output of the CLI (check, sweep,
 * sweep --expiring-within) parses with a regular expression of the plugin
 * guidelines' grammar (Nagios Plugin Development Guidelines, "Performance
 * data": 'label'=value[UOM];[warn];[crit];[min];[max], UOM one of s ms us
 * % B KB MB TB c, warn/crit ranges [@][start:][end]); no other line holds
 * a '|'; and the expiry thresholds, evaluated as the guidelines define
 * ranges, give the state the plugin returned. */
#include <math.h>
#include <regex.h>

#include "tdtest.h"

#define NUM "-?[0-9]+([.][0-9]+)?"
#define RANGE "@?((" NUM "|~):)?(" NUM ")?"
#define LABEL "('([^']|'')+'|[^ '=]+)"
#define ITEM LABEL "=(" NUM "|U)(us|ms|s|%|B|KB|MB|TB|c)?" \
  "(;(" RANGE ")?(;(" RANGE ")?(;(" NUM ")?(;(" NUM ")?)?)?)?)?"
#define FIRST "^TLSDIAG (OK|WARNING|CRITICAL|UNKNOWN) - [^|]* [|] " \
  ITEM "( " ITEM ")*$"

static regex_t first_re, item_re;
static const char *const state_names[] = {"OK", "WARNING", "CRITICAL",
                                          "UNKNOWN"};

static int setup(void **state) {
  if (regcomp(&first_re, FIRST, REG_EXTENDED | REG_NOSUB) ||
      regcomp(&item_re, "^" ITEM "$", REG_EXTENDED | REG_NOSUB))
    return -1;
  return tt_setup(state);
}

static int teardown(void **state) {
  regfree(&first_re);
  regfree(&item_re);
  return tt_teardown(state);
}

/* Does the guidelines' range ("30:", "10", "@5:9", "~:3") alert on v? A
 * range alerts when v is outside start..end (inclusive), or inside with
 * '@'. */
static int range_alerts(const char *r, double v) {
  int inside = r[0] == '@';
  if (inside) r++;
  double lo = 0, hi = INFINITY;
  const char *colon = strchr(r, ':');
  if (colon) {
    lo = r[0] == '~' ? -INFINITY : strtod(r, NULL);
    if (colon[1]) hi = strtod(colon + 1, NULL);
  } else if (*r) {
    hi = strtod(r, NULL);
  }
  int out = v < lo || v > hi;
  return inside ? !out : out;
}

/* The perfdata item labelled `label` (quoted) in line: value, warn, crit.
 * 0 when absent. */
static int perf_item(const char *line, const char *label, double *v,
                     char *warn, char *crit) {
  char key[64];
  snprintf(key, sizeof(key), " '%s'=", label);
  const char *p = strstr(line, key);
  if (!p) return 0;
  p += strlen(key);
  char item[128];
  snprintf(item, sizeof(item), "%.*s", (int)strcspn(p, " \n"), p);
  *v = strtod(item, NULL);
  char *w = strchr(item, ';'), *c = w ? strchr(w + 1, ';') : NULL;
  assert_non_null(c);
  snprintf(warn, 32, "%.*s", (int)(c - w - 1), w + 1);
  snprintf(crit, 32, "%.*s", (int)strcspn(c + 1, ";"), c + 1);
  return 1;
}

/* The whole output against the grammar; the state it names; and the days
 * item's thresholds evaluated as ranges agree with the state when the
 * state comes from expiry alone (expiry_only). Returns the state. */
static int output_ok(const char *out, int rc, const char *days_label,
                     int expiry_only) {
  size_t len = strcspn(out, "\n");
  char *first = strndup(out, len);
  if (regexec(&first_re, first, 0, NULL, 0))
    fail_msg("not the guidelines' grammar: %s", first);
  /* each item on its own too, so one bad item cannot hide in a match */
  char *perf = strdup(strchr(first, '|') + 2), *save = NULL;
  for (char *it = strtok_r(perf, " ", &save); it; it = strtok_r(NULL, " ", &save))
    if (regexec(&item_re, it, 0, NULL, 0)) fail_msg("bad item: %s", it);
  free(perf);
  /* the long output: no line may start perfdata of its own */
  assert_null(strchr(out + len, '|'));
  int st = -1;
  for (int i = 0; i < 4; i++) {
    char want[32];
    snprintf(want, sizeof(want), "TLSDIAG %s - ", state_names[i]);
    if (!strncmp(first, want, strlen(want))) st = i;
  }
  assert_int_equal(st, rc);
  double v;
  char warn[32], crit[32];
  if (days_label && perf_item(first, days_label, &v, warn, crit)) {
    int by_ranges = range_alerts(crit, v) ? 2 : range_alerts(warn, v) ? 1 : 0;
    if (expiry_only) assert_int_equal(by_ranges, st);
    else assert_true(by_ranges <= st); /* other findings may add to it */
  } else if (days_label) {
    fail_msg("no '%s' item: %s", days_label, first);
  }
  free(first);
  return st;
}

typedef struct {
  tdserver_t *s[3]; /* valid, expiring_soon, expired */
  int refused_fd;
  uint16_t refused;
  char pins[4][160], targets[4][100], now[32];
} fleet_t;

static const char *const names[] = {"valid", "soon", "expired", "refused"};

static void fleet_start(fleet_t *f) {
  static const char *const cases[] = {"valid", "expiring_soon", "expired"};
  f->refused_fd = tt_refusing_port("127.0.0.1", &f->refused);
  assert_true(f->refused_fd >= 0);
  for (int i = 0; i < 4; i++) {
    uint16_t port = f->refused;
    if (i < 3) {
      f->s[i] = tt_server(TDS_HTTP, cases[i]);
      port = tdserver_port(f->s[i]);
    }
    snprintf(f->pins[i], 160, "%s.tlsdiag.test:%u:127.0.0.1", names[i], port);
    snprintf(f->targets[i], 100, "%s.tlsdiag.test:%u", names[i], port);
  }
  snprintf(f->now, sizeof(f->now), "@%lld",
           (long long)(tdcerts_now(tt_pki) + 60));
}

static void fleet_stop(fleet_t *f) {
  for (int i = 0; i < 3; i++) tdserver_stop(f->s[i]);
  close(f->refused_fd);
}

/* tlsdiag CMD --format nagios with the fleet's pins, extra arguments and
 * the targets (for a sweep: as its input file). */
static int run(fleet_t *f, const char *cmd, const char *const *extra,
               const int *which, size_t n, char **out) {
  const char *argv[64];
  size_t k = 0;
  argv[k++] = TD_CLI_PATH;
  argv[k++] = cmd;
  const char *fixed[] = {"--format", "nagios", "--cacert", tt_root, "--now",
                         f->now};
  for (size_t i = 0; i < 6; i++) argv[k++] = fixed[i];
  for (int i = 0; i < 4; i++) {
    argv[k++] = "--resolve";
    argv[k++] = f->pins[i];
  }
  for (; extra && *extra; extra++) argv[k++] = *extra;
  char list[200];
  snprintf(list, sizeof(list), "%s/nagios-targets.txt", tt_dir);
  if (!strcmp(cmd, "check")) {
    argv[k++] = f->targets[which[0]];
  } else {
    FILE *lf = fopen(list, "w");
    assert_non_null(lf);
    for (size_t i = 0; i < n; i++) fprintf(lf, "%s\n", f->targets[which[i]]);
    fclose(lf);
    argv[k++] = "--no-progress";
    argv[k++] = list;
  }
  argv[k] = NULL;
  char *err = NULL;
  int rc = tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, out, &err);
  free(err);
  return rc;
}

static void test_nagios_perfdata_check_is_guideline_grammar(void **st) {
  (void)st;
  fleet_t f;
  fleet_start(&f);
  /* valid: OK at 89 days; soon: 9 days, WARNING; expired: CRITICAL */
  static const int want[] = {0, 1, 2};
  for (int i = 0; i < 3; i++) {
    char *out = NULL;
    int rc = run(&f, "check", NULL, &i, 1, &out);
    assert_int_equal(output_ok(out, rc, "days", i != 1), want[i]);
    free(out);
  }
  /* With -w 5 -c 3 the 9-day certificate's thresholds no longer alert:
   * OK by the ranges; the state may still be WARNING from the finding
   * cert_expires_soon (its own 30-day threshold). */
  int soon = 1;
  char *out = NULL;
  int rc = run(&f, "check", (const char *const[]){"-w", "5", "-c", "3", NULL},
               &soon, 1, &out);
  output_ok(out, rc, "days", 0);
  assert_non_null(strstr(out, "'days'=9;5:;3:"));
  free(out);
  /* refused: no certificate, no days item; CRITICAL */
  int refused = 3;
  rc = run(&f, "check", NULL, &refused, 1, &out);
  assert_int_equal(output_ok(out, rc, NULL, 0), 2);
  assert_null(strstr(out, "'days'"));
  free(out);
  fleet_stop(&f);
}

static void test_nagios_perfdata_sweep_is_guideline_grammar(void **st) {
  (void)st;
  fleet_t f;
  fleet_start(&f);
  static const int all[] = {0, 1, 2, 3};
  char *out = NULL;
  int rc = run(&f, "sweep", NULL, all, 4, &out);
  assert_int_equal(output_ok(out, rc, "min_days_left", 0), 2);
  assert_non_null(strstr(out, "'targets'=4;;;0 'critical'=2;;;0 "
                              "'unknown'=0;;;0 'warning'=1;;;0 'ok'=1;;;0 "
                              "'min_days_left'=-10;30:;7:\n"));
  free(out);
  /* --expiring-within: healthy OK, 9 days WARNING, expired CRITICAL, each
   * agreeing with its thresholds read as ranges. */
  static const char *const exp[] = {"--expiring-within", "30", NULL};
  for (int i = 0; i < 3; i++) {
    rc = run(&f, "sweep", exp, &i, 1, &out);
    assert_int_equal(output_ok(out, rc, "days", 1), i);
    free(out);
  }
  rc = run(&f, "sweep", exp, all, 4, &out);
  assert_int_equal(output_ok(out, rc, "days", 0), 2);
  assert_non_null(strstr(out, "| 'days'=-10;30:;7: 'targets'=4;;;0 "
                              "'unreachable'=1;;;0\n"));
  free(out);
  fleet_stop(&f);
}

/* The grammar itself: what it must refuse, so the tests above can fail. */
static void test_nagios_perfdata_regex_refuses_bad_items(void **st) {
  (void)st;
  static const char *const bad[] = {
      "days=12d;30;7;;",     /* "d" is no UOM of the guidelines */
      "'days'=;30:;7:",      /* no value */
      "'days=1",             /* unterminated quote */
      "'days'=1;30:;7:;;;",  /* a sixth field */
      "'days'=1;3x;7",       /* not a range */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    if (!regexec(&item_re, bad[i], 0, NULL, 0)) fail_msg("accepted %s", bad[i]);
  static const char *const good[] = {"'days'=12;30:;7:;;", "days=12;30;7",
                                     "'a b'=1.5ms", "'x'=U", "'y'=3;@1:2;~:9;0;"};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
    if (regexec(&item_re, good[i], 0, NULL, 0)) fail_msg("refused %s", good[i]);
  assert_true(range_alerts("30:", 29) && !range_alerts("30:", 30));
  assert_true(range_alerts("30", 31) && !range_alerts("30", 5));
  assert_true(range_alerts("@1:2", 1.5) && !range_alerts("~:9", -100));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nagios_perfdata_check_is_guideline_grammar),
      cmocka_unit_test(test_nagios_perfdata_sweep_is_guideline_grammar),
      cmocka_unit_test(test_nagios_perfdata_regex_refuses_bad_items),
  };
  return td_run_tests(tests, setup, teardown);
}
