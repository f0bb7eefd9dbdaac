/* test_time_parse.c: --now / --at as users write times (issue 12 item 3):
 * RFC 3339 / ISO 8601 with Z or offsets, fractions ignored, a date alone,
 * @UNIX, relative +30d; every bad form refused with its reason, through
 * the one parser (lib/timeparse.c) and through each command's CLI. */
#include "tdtest.h"

/* A fixed "now" for the relative forms: 2026-01-02T03:04:05Z. */
#define NOW INT64_C(1767323045)

static int64_t ok(const char *s) {
  int64_t t = -12345;
  const char *why = "unset";
  tlsdiag_err_t e = td_time_parse(s, NOW, &t, &why);
  if (e != TLSDIAG_OK) fail_msg("'%s' refused: %s", s, why ? why : "?");
  assert_null(why);
  return t;
}

static void refused(const char *s, const char *reason) {
  int64_t t = -12345;
  const char *why = NULL;
  assert_int_equal(td_time_parse(s, NOW, &t, &why), TLSDIAG_E_TIME);
  assert_int_equal(t, -12345); /* untouched */
  if (!why || strcmp(why, reason))
    fail_msg("'%s': reason '%s', expected '%s'", s, why ? why : "(null)",
             reason);
}

static void test_time_parse_rfc3339_utc(void **state) {
  (void)state;
  assert_int_equal(ok("2026-01-02T03:04:05Z"), NOW);
  assert_int_equal(ok("2026-01-02t03:04:05z"), NOW);
  assert_int_equal(ok("2026-01-02 03:04:05Z"), NOW);
  assert_int_equal(ok("2026-01-02T03:04:05"), NOW); /* no zone: UTC */
  assert_int_equal(ok("2026-01-02T03:04Z"), NOW - 5);
  assert_int_equal(ok("1970-01-01T00:00:01Z"), 1);
  assert_int_equal(ok("9999-12-31T23:59:59Z"), INT64_C(253402300799));
  /* leap years, and the day after 28 February of a non-leap year */
  assert_int_equal(ok("2024-02-29T00:00:00Z"), INT64_C(1709164800));
  assert_int_equal(ok("2000-02-29T00:00:00Z"), INT64_C(951782400));
  assert_int_equal(ok("2025-03-01T00:00:00Z"), INT64_C(1740787200));
  /* a leap second reads as the next minute's first */
  assert_int_equal(ok("2016-12-31T23:59:60Z"), INT64_C(1483228800));
}

static void test_time_parse_offsets(void **state) {
  (void)state;
  assert_int_equal(ok("2024-01-01T00:00:00+00:00"), INT64_C(1704067200));
  assert_int_equal(ok("2024-01-01T00:00:00-00:00"), INT64_C(1704067200));
  /* 02:00 in UTC+2 is midnight UTC */
  assert_int_equal(ok("2024-01-01T02:00:00+02:00"), INT64_C(1704067200));
  assert_int_equal(ok("2024-01-01T02:00:00+0200"), INT64_C(1704067200));
  assert_int_equal(ok("2024-01-01T02:00:00+02"), INT64_C(1704067200));
  /* 18:30 the day before in UTC-05:30 is midnight UTC */
  assert_int_equal(ok("2023-12-31T18:30:00-0530"), INT64_C(1704067200));
  assert_int_equal(ok("2023-12-31T18:30:00-05:30"), INT64_C(1704067200));
  assert_int_equal(ok("2024-01-01T13:45:00+13:45"), INT64_C(1704067200));
}

static void test_time_parse_fractions_ignored(void **state) {
  (void)state;
  assert_int_equal(ok("2026-01-02T03:04:05.999Z"), NOW);
  assert_int_equal(ok("2026-01-02T03:04:05,5Z"), NOW);
  assert_int_equal(ok("2026-01-02T03:04:05.123456789+00:00"), NOW);
  assert_int_equal(ok("2026-01-02T05:04:05.000000001+02:00"), NOW);
}

static void test_time_parse_date_alone(void **state) {
  (void)state;
  assert_int_equal(ok("2026-12-31"), INT64_C(1798675200));
  assert_int_equal(ok("2026-01-02"), NOW - 3 * 3600 - 4 * 60 - 5);
}

static void test_time_parse_unix(void **state) {
  (void)state;
  assert_int_equal(ok("@0"), 0);
  assert_int_equal(ok("@1767323045"), NOW);
  assert_int_equal(ok("@+5"), 5);
  assert_int_equal(ok("@-0"), 0);
  assert_int_equal(ok("@253402300799"), INT64_C(253402300799));
  refused("@-86400", "out of range (1970 to 9999)");
  refused("@253402300800", "out of range (1970 to 9999)");
  refused("@1700001700000000", "out of range (1970 to 9999)");
  refused("@", "not a number of seconds after '@'");
  refused("@ 5", "not a number of seconds after '@'");
  refused("@12x", "trailing characters after the seconds");
  refused("@1.5", "trailing characters after the seconds");
  refused("@9999999999999999999", "out of range");
}

static void test_time_parse_relative(void **state) {
  (void)state;
  assert_int_equal(ok("+30d"), NOW + 30 * 86400);
  assert_int_equal(ok("+12h"), NOW + 12 * 3600);
  assert_int_equal(ok("-1d"), NOW - 86400);
  assert_int_equal(ok("+90m"), NOW + 90 * 60);
  assert_int_equal(ok("+45s"), NOW + 45);
  assert_int_equal(ok("+2w"), NOW + 14 * 86400);
  assert_int_equal(ok("+0d"), NOW);
  refused("+30", "a unit must follow the number (s, m, h, d, w)");
  refused("+30y", "a unit must follow the number (s, m, h, d, w)");
  refused("+d", "a number must follow the sign");
  refused("+30dd", "trailing characters after the unit");
  refused("+30d ", "trailing characters after the unit");
  refused("-30000d", "out of range (1970 to 9999)");
  refused("+2930000d", "out of range (1970 to 9999)");
  refused("+3000000d", "out of range");
  refused("+999999999999999999w", "out of range");
  refused("+9999999999999999999d", "out of range");
}

static void test_time_parse_bad_dates(void **state) {
  (void)state;
  refused("2026-13-01", "month out of range");
  refused("2026-00-10", "month out of range");
  refused("2026-02-30", "no such day in that month");
  refused("2025-02-29", "no such day in that month");
  refused("1900-02-29", "no such day in that month");
  refused("2026-04-31", "no such day in that month");
  refused("2026-01-00", "no such day in that month");
  refused("2026-1-2", "expected YYYY-MM-DD");
  refused("20260102", "expected YYYY-MM-DD");
  refused("2026-01", "expected YYYY-MM-DD");
  refused("24:00", "expected YYYY-MM-DD");
  refused("yesterday", "expected YYYY-MM-DD");
  refused("", "empty");
  refused("1969-12-31T23:59:59Z", "out of range (1970 to 9999)");
  refused("1970-01-01T00:30:00+01:00", "out of range (1970 to 9999)");
  refused("9999-12-31T23:59:59-01:00", "out of range (1970 to 9999)");
}

static void test_time_parse_bad_times(void **state) {
  (void)state;
  refused("2026-01-02T24:00:00Z", "hour out of range (00-23)");
  refused("2026-01-02T24:00", "hour out of range (00-23)");
  refused("2026-01-02T23:60:00Z", "minute out of range");
  refused("2026-01-02T23:59:61Z", "second out of range");
  refused("2026-01-02T3:04:05Z", "expected HH:MM after the date");
  refused("2026-01-02T", "expected HH:MM after the date");
  refused("2026-01-02X03:04:05Z", "expected 'T' between the date and the time");
  refused("2026-01-02T03:04:5Z", "expected two digits of seconds");
  refused("2026-01-02T03:04:05.Z", "empty fraction of a second");
  refused("2026-01-02T03:04:05Zjunk", "trailing characters after the time");
  refused("2026-01-02T03:04:05 Z", "trailing characters after the time");
  refused("2026-01-02T03:04:05+24:00", "UTC offset out of range");
  refused("2026-01-02T03:04:05+02:60", "UTC offset out of range");
  refused("2026-01-02T03:04:05+2", "malformed UTC offset");
  refused("2026-01-02T03:04:05+02:0", "malformed UTC offset");
  refused("2026-01-02T03:04:05+02:00x", "trailing characters after the UTC offset");
  refused("2026-01-02T03:04:05+02:00:00", "trailing characters after the UTC offset");
  char longs[100];
  memset(longs, '1', sizeof(longs) - 1);
  longs[sizeof(longs) - 1] = '\0';
  refused(longs, "too long");
}

/* The public entry points: the same parser, relative to the real clock
 * when now is 0; NULL arguments are E_INVAL. */
static void test_time_parse_public_api(void **state) {
  (void)state;
  int64_t t = 0;
  const char *why = NULL;
  assert_int_equal(tlsdiag_time_parse("2024-01-01T02:00:00+02:00", &t),
                   TLSDIAG_OK);
  assert_int_equal(t, INT64_C(1704067200));
  assert_int_equal(tlsdiag_time_parse_from("+1d", NOW, &t, &why), TLSDIAG_OK);
  assert_int_equal(t, NOW + 86400);
  int64_t before = (int64_t)time(NULL);
  assert_int_equal(tlsdiag_time_parse("+30d", &t), TLSDIAG_OK);
  int64_t after = (int64_t)time(NULL);
  assert_true(t >= before + 30 * 86400 && t <= after + 30 * 86400);
  assert_int_equal(tlsdiag_time_parse_from("-1d", 0, &t, NULL), TLSDIAG_OK);
  assert_true(t >= before - 86400 && t <= (int64_t)time(NULL) - 86400);
  assert_int_equal(tlsdiag_time_parse_from("2026-02-30", 0, &t, &why),
                   TLSDIAG_E_TIME);
  assert_string_equal(why, "no such day in that month");
  assert_int_equal(tlsdiag_time_parse(NULL, &t), TLSDIAG_E_INVAL);
  assert_int_equal(tlsdiag_time_parse("2026-01-02", NULL), TLSDIAG_E_INVAL);
}

/* ---- through the CLI ------------------------------------------------------ */

/* Runs the CLI; returns the exit status with stdout and stderr. */
static int cli(char **out, char **err, const char *const *args) {
  const char *argv[32];
  size_t n = 0;
  argv[n++] = TD_CLI_PATH;
  for (size_t i = 0; args[i] && n < 31; i++) argv[n++] = args[i];
  argv[n] = NULL;
  return tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, out, err);
}

/* A bad time: exit 1, nothing on stdout, one line on stderr naming the
 * option, the value and the reason. */
static void cli_refuses(const char *cmd, const char *opt, const char *value,
                        const char *reason) {
  char *out = NULL, *err = NULL, optv[128], line[512];
  snprintf(optv, sizeof(optv), "--%s=%s", opt, value);
  const char *verify_args[] = {cmd, optv, "/dev/null", NULL};
  const char *net_args[] = {cmd, optv, "127.0.0.1:1", NULL};
  int rc = cli(&out, &err, strcmp(cmd, "verify") ? net_args : verify_args);
  assert_int_equal(rc, 1);
  assert_string_equal(out, "");
  snprintf(line, sizeof(line),
           "tlsdiag %s: bad --%s '%s': %s (e.g. 2026-01-02T03:04:05Z, "
           "2026-01-02T05:04:05+02:00, 2026-12-31, @1767323045, +30d) "
           "(see 'tlsdiag %s --help')\n",
           cmd, opt, value, reason, cmd);
  assert_string_equal(err, line);
  free(out);
  free(err);
}

static void test_time_parse_cli_bad_values(void **state) {
  (void)state;
  static const char *const cmds[][2] = {
      {"check", "now"}, {"sweep", "now"}, {"verify", "now"}, {"verify", "at"}};
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
    cli_refuses(cmds[i][0], cmds[i][1], "2026-13-01", "month out of range");
    cli_refuses(cmds[i][0], cmds[i][1], "2026-02-30",
                "no such day in that month");
    cli_refuses(cmds[i][0], cmds[i][1], "2026-01-02T24:00:00Z",
                "hour out of range (00-23)");
    cli_refuses(cmds[i][0], cmds[i][1], "2026-01-02T00:00:00Z garbage",
                "trailing characters after the time");
    cli_refuses(cmds[i][0], cmds[i][1], "+99999999999d", "out of range");
  }
}

/* verify --at with an offset and a fraction judges at that instant: the
 * valid leaf (now-30d..now+90d) is fine 10 days after the PKI's "now",
 * expired 100 days after, whichever way the instant is written. */
static void test_time_parse_cli_verify_at(void **state) {
  (void)state;
  char chain[256], at[64], want[96];
  snprintf(chain, sizeof(chain), "%s/valid.chain.pem", tt_dir);
  int64_t t = tdcerts_now(tt_pki) + 10 * 86400;
  /* the same instant written in UTC+05:30, with a fraction */
  time_t local = (time_t)(t + 5 * 3600 + 30 * 60);
  struct tm tm;
  gmtime_r(&local, &tm);
  strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%S.75+05:30", &tm);
  char iso[32];
  td_time_iso(t, iso);
  snprintf(want, sizeof(want), "\"judged_at\":\"%s\"", iso);
  char *out = NULL;
  int rc = tt_cli(&out, "verify", "--json", "--host", "localhost", "--cacert",
                  tt_root, "--at", at, chain, NULL);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, want));
  free(out);
  /* @UNIX, 100 days on: expired */
  snprintf(at, sizeof(at), "@%lld", (long long)(t + 90 * 86400));
  rc = tt_cli(&out, "verify", "--json", "--host", "localhost", "--cacert",
              tt_root, "--at", at, chain, NULL);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "\"cause\":\"cert_expired\""));
  free(out);
  /* relative: "-1d" is a separate argument starting with '-'; the leaf
   * is valid a day before now (the PKI was made seconds ago) */
  rc = tt_cli(&out, "verify", "--json", "--host", "localhost", "--cacert",
              tt_root, "--at", "-1d", chain, NULL);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, "\"cause\":\"ok\""));
  free(out);
  /* +200d: expired (the leaf ends at now+90d) */
  rc = tt_cli(&out, "verify", "--json", "--host", "localhost", "--cacert",
              tt_root, "--at", "+200d", chain, NULL);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "\"cause\":\"cert_expired\""));
  free(out);
}

/* check and sweep take the same forms: the JSON's time.now is the instant
 * (a refused port: no server needed). */
static void test_time_parse_cli_check_and_sweep(void **state) {
  (void)state;
  uint16_t port;
  int fd = tt_refusing_port("127.0.0.1", &port);
  char target[64], list[128];
  snprintf(target, sizeof(target), "127.0.0.1:%u", port);
  snprintf(list, sizeof(list), "%s/targets.txt", tt_dir);
  char line[80];
  snprintf(line, sizeof(line), "%s\n", target);
  tt_write_text(list, line);
  const char *forms[] = {"2024-01-01T02:00:00+02:00", "2024-01-01",
                         "2023-12-31T18:30:00.5-0530", "@1704067200"};
  for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
    for (int sweep = 0; sweep < 2; sweep++) {
      char *out = NULL, *err = NULL;
      const char *args[] = {sweep ? "sweep" : "check", "--json", "--now",
                            forms[i], "--no-probe", sweep ? list : target, NULL};
      int rc = cli(&out, &err, args);
      if (rc != 2 || !strstr(out, "\"now\":\"2024-01-01T00:00:00Z\"") ||
          !strstr(out, "\"cause\":\"tcp_refused\""))
        fail_msg("%s --now %s: rc %d\n%s%s", args[0], forms[i], rc, out, err);
      free(out);
      free(err);
    }
  }
  close(fd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_time_parse_rfc3339_utc),
      cmocka_unit_test(test_time_parse_offsets),
      cmocka_unit_test(test_time_parse_fractions_ignored),
      cmocka_unit_test(test_time_parse_date_alone),
      cmocka_unit_test(test_time_parse_unix),
      cmocka_unit_test(test_time_parse_relative),
      cmocka_unit_test(test_time_parse_bad_dates),
      cmocka_unit_test(test_time_parse_bad_times),
      cmocka_unit_test(test_time_parse_public_api),
      cmocka_unit_test(test_time_parse_cli_bad_values),
      cmocka_unit_test(test_time_parse_cli_verify_at),
      cmocka_unit_test(test_time_parse_cli_check_and_sweep),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
