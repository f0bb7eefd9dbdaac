/* test_hsts_e2e.c: HSTS end to end on loopback: a local HTTPS server for a
 * name that tests/data/hsts/e2e.json preloads, with a bad certificate
 * (hsts_preloaded_cert_error) and with each Strict-Transport-Security
 * variant (the matching finding), through the library and through
 * `tlsdiag check --json --hsts-list`; where the CLI finds its list
 * (--hsts-list, $TLSDIAG_HSTS_LIST, the XDG cache); `tlsdiag hsts lookup`. */
#include "tdtest.h"

#define LIST TD_SOURCE_DIR "/tests/data/hsts/e2e.json"
#define BAD_LIST TD_SOURCE_DIR "/tests/data/hsts/bad_json.json"
#define FULL "max-age=63072000; includeSubDomains; preload"

static tlsdiag_hsts_t *list;
static char cache_dir[160]; /* XDG_CACHE_HOME of the CLI runs */

static int setup(void **state) {
  if (tt_setup(state)) return -1;
  char err[200];
  if (tlsdiag_hsts_load_ex(LIST, &list, err, sizeof(err)) != TLSDIAG_OK) {
    fprintf(stderr, "%s: %s\n", LIST, err);
    return -1;
  }
  /* the CLI must not pick up a list from the environment or from a real
   * cache of whoever runs the tests */
  snprintf(cache_dir, sizeof(cache_dir), "%s/cache", tt_dir);
  if (mkdir(cache_dir, 0700) != 0) return -1;
  setenv("XDG_CACHE_HOME", cache_dir, 1);
  unsetenv("TLSDIAG_HSTS_LIST");
  return 0;
}

static int teardown(void **state) {
  tlsdiag_hsts_free(list);
  return tt_teardown(state);
}

/* A check through the library and, when asked, the CLI (tt_check_both);
 * the CLI's fields stay 0 when it was not run. Freed by tt_both_free. */
typedef tt_both_t run_t;

/* Checks `host` against a server of certificate case `cert` that sends
 * `headers` (raw lines, may be NULL). with_list: judge it against e2e.json
 * (library: opts.hsts; CLI: --hsts-list). cli: run the CLI too. */
static void run(run_t *out, const char *host, const char *cert,
                const char *headers, int with_list, int cli) {
  memset(out, 0, sizeof(*out));
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, cert);
  cfg.extra_headers = headers;
  out->s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, host, tdserver_port(out->s));
  t.o.hsts = with_list ? list : NULL;
  if (cli) {
    static const char *const hsts_list[] = {"--hsts-list", LIST, NULL};
    tt_check_both(host, &t, with_list ? hsts_list : NULL, out);
    return;
  }
  out->r = tt_check(host, &t.o);
  out->j = tt_json(out->r);
}

/* The findings as "code/severity ..." in report order, from the API and
 * (when run) from the CLI's JSON: both must say the same. */
static void expect_findings(run_t *r, const char *want) {
  td_buf_t b;
  td_buf_init(&b);
  for (size_t i = 0; i < tlsdiag_result_finding_count(r->r); i++)
    td_buf_printf(&b, "%s%s/%s", i ? " " : "",
                  tlsdiag_cause_name(tlsdiag_result_finding_code(r->r, i)),
                  tlsdiag_severity_name(tlsdiag_result_finding_severity(r->r, i)));
  char *got = td_buf_steal(&b, NULL);
  if (strcmp(got, want)) fail_msg("findings [%s], expected [%s]", got, want);
  free(got);
  if (r->cli) {
    json_t *f = tt_jget(r->cli, "findings");
    td_buf_init(&b);
    for (size_t i = 0; i < json_array_size(f); i++)
      td_buf_printf(&b, "%s%s/%s", i ? " " : "",
                    json_string_value(json_object_get(json_array_get(f, i), "code")),
                    json_string_value(
                        json_object_get(json_array_get(f, i), "severity")));
    got = td_buf_steal(&b, NULL);
    if (strcmp(got, want))
      fail_msg("CLI findings [%s], expected [%s]", got, want);
    free(got);
  }
}

static const char *ev(run_t *r, tlsdiag_cause_t code, const char *key) {
  long i = tlsdiag_result_find(r->r, code);
  if (i < 0) fail_msg("no finding %s", tlsdiag_cause_name(code));
  const char *v = tlsdiag_result_finding_evidence(r->r, (size_t)i, key);
  if (!v) fail_msg("%s has no evidence '%s'", tlsdiag_cause_name(code), key);
  return v;
}

static void expect_hsts(json_t *j, int preloaded, const char *entry) {
  json_t *h = tt_jget(j, "hsts");
  assert_true(json_is_object(h));
  if (preloaded < 0) {
    assert_true(json_is_null(json_object_get(h, "preloaded")));
  } else {
    assert_int_equal(json_is_true(json_object_get(h, "preloaded")), preloaded);
  }
  if (entry)
    assert_string_equal(json_string_value(json_object_get(h, "entry")), entry);
  else
    assert_true(json_is_null(json_object_get(h, "entry")));
}

/* ---- a bad certificate on a preloaded host --------------------------------- */

static void test_hsts_e2e_preloaded_host_with_expired_cert(void **state) {
  (void)state;
  run_t r;
  run(&r, "expired.tlsdiag.test", "expired",
      "Strict-Transport-Security: " FULL "\r\n", 1, 1);
  assert_int_equal(tlsdiag_result_cause(r.r), TLSDIAG_CAUSE_CERT_EXPIRED);
  expect_findings(&r, "cert_expired/error hsts_preloaded_cert_error/error");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR,
                         "cert_cause"),
                      "cert_expired");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR, "entry"),
                      "expired.tlsdiag.test");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR,
                         "include_subdomains"),
                      "false");
  expect_hsts(r.j, 1, "expired.tlsdiag.test");
  expect_hsts(r.cli, 1, "expired.tlsdiag.test");
  assert_int_equal(r.cli_exit, 2);
  tt_both_free(&r);
}

/* valid's certificate covers localhost and valid.tlsdiag.test, not
 * preloaded.tlsdiag.test: a name mismatch, and no click-through. */
static void test_hsts_e2e_preloaded_host_with_wrong_name(void **state) {
  (void)state;
  run_t r;
  run(&r, "preloaded.tlsdiag.test", "valid", NULL, 1, 1);
  expect_findings(&r, "cert_hostname_mismatch/error "
                      "hsts_preloaded_cert_error/error "
                      "hsts_header_missing/warning "
                      "hsts_preload_mismatch/warning");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR,
                         "cert_cause"),
                      "cert_hostname_mismatch");
  assert_int_equal(r.cli_exit, 2);
  tt_both_free(&r);
}

/* Through a parent entry: a.wild.tlsdiag.test under wild.tlsdiag.test. */
static void test_hsts_e2e_subdomain_of_preloaded_entry_with_bad_cert(void **state) {
  (void)state;
  run_t r;
  run(&r, "a.wild.tlsdiag.test", "self_signed", NULL, 1, 0);
  expect_findings(&r, "cert_self_signed/error cert_hostname_mismatch/error "
                      "hsts_preloaded_cert_error/error "
                      "hsts_header_missing/info");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR, "entry"),
                      "wild.tlsdiag.test");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR,
                         "entry_is_host"),
                      "false");
  tt_both_free(&r);
}

/* The same bad certificate on a host that is not preloaded. */
static void test_hsts_e2e_unlisted_host_with_expired_cert(void **state) {
  (void)state;
  run_t r;
  run(&r, "expired.tlsdiag.test", "expired", NULL, 0, 1);
  expect_findings(&r, "cert_expired/error");
  expect_hsts(r.j, -1, NULL);
  expect_hsts(r.cli, -1, NULL);
  tt_both_free(&r);
}

/* ---- each header variant on a preloaded host --------------------------------- */

typedef struct {
  const char *headers;
  const char *findings;
  const char *problems; /* hsts_preload_mismatch's, or NULL */
} variant_t;

static void test_hsts_e2e_header_variants_on_preloaded_host(void **state) {
  (void)state;
  static const variant_t v[] = {
      {"Strict-Transport-Security: " FULL "\r\n", "", NULL},
      {"strict-transport-security: max-age=31536000;includesubdomains;PRELOAD\r\n",
       "", NULL},
      {NULL, "hsts_header_missing/warning hsts_preload_mismatch/warning",
       "header_missing"},
      {"Strict-Transport-Security: max-age=300; includeSubDomains; preload\r\n",
       "hsts_max_age_short/warning hsts_preload_mismatch/warning",
       "max_age_short"},
      {"Strict-Transport-Security: max-age=0\r\n",
       "hsts_max_age_short/warning hsts_no_include_subdomains/warning "
       "hsts_preload_directive_missing/warning hsts_preload_mismatch/warning",
       "max_age_zero, no_include_subdomains, no_preload_directive"},
      {"Strict-Transport-Security: max-age=31536000; preload\r\n",
       "hsts_no_include_subdomains/warning hsts_preload_mismatch/warning",
       "no_include_subdomains"},
      {"Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n",
       "hsts_preload_directive_missing/warning hsts_preload_mismatch/warning",
       "no_preload_directive"},
      {"Strict-Transport-Security: max-age=abc; includeSubDomains; preload\r\n",
       "hsts_header_invalid/warning hsts_preload_mismatch/warning",
       "header_invalid"},
      {"Strict-Transport-Security: max-age=31536000; max-age=31536000\r\n",
       "hsts_header_invalid/warning hsts_preload_mismatch/warning",
       "header_invalid"},
      {"Strict-Transport-Security: " FULL "\r\n"
       "Strict-Transport-Security: max-age=0\r\n",
       "hsts_preload_mismatch/warning", "multiple_headers"},
  };
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    run_t r;
    run(&r, "valid.tlsdiag.test", "valid", v[i].headers, 1, i < 3);
    expect_findings(&r, v[i].findings);
    assert_int_equal(tlsdiag_result_cause(r.r), TLSDIAG_CAUSE_OK);
    if (v[i].problems)
      assert_string_equal(ev(&r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH,
                             "problems"),
                          v[i].problems);
    expect_hsts(r.j, 1, "valid.tlsdiag.test");
    if (r.cli) {
      assert_int_equal(r.cli_exit, 0);
      expect_hsts(r.cli, 1, "valid.tlsdiag.test");
    }
    tt_both_free(&r);
  }
}

static void test_hsts_e2e_header_reported_in_json(void **state) {
  (void)state;
  run_t r;
  run(&r, "valid.tlsdiag.test", "valid",
      "Strict-Transport-Security: max-age=\"31536000\" ; includeSubDomains\r\n"
      "Strict-Transport-Security: max-age=1\r\n",
      1, 1);
  for (int k = 0; k < 2; k++) {
    json_t *j = k ? r.cli : r.j;
    assert_string_equal(tt_jstr(j, "hsts.list.source"), "file");
    assert_string_equal(tt_jstr(j, "hsts.list.path"), LIST);
    assert_int_equal(json_integer_value(tt_jget(j, "hsts.list.entries")), 4);
    assert_true(json_is_false(tt_jget(j, "hsts.list.stale")));
    assert_true(json_is_true(tt_jget(j, "hsts.include_subdomains")));
    assert_true(json_is_true(tt_jget(j, "hsts.entry_is_host")));
    assert_string_equal(tt_jstr(j, "hsts.header.value"),
                        "max-age=\"31536000\" ; includeSubDomains");
    assert_true(json_is_true(tt_jget(j, "hsts.header.valid")));
    assert_int_equal(json_integer_value(tt_jget(j, "hsts.header.max_age")),
                     31536000);
    assert_true(json_is_true(tt_jget(j, "hsts.header.include_subdomains")));
    assert_true(json_is_false(tt_jget(j, "hsts.header.preload")));
    assert_int_equal(json_integer_value(tt_jget(j, "hsts.header.count")), 2);
  }
  char *t = NULL;
  assert_int_equal(tlsdiag_result_format(r.r, TLSDIAG_FORMAT_TEXT, 0, &t, NULL),
                   TLSDIAG_OK);
  assert_non_null(strstr(t, "\nHSTS\n  preload list preloaded: entry "
                            "valid.tlsdiag.test (includeSubDomains)\n"));
  assert_non_null(strstr(t, "2 headers received; only the first counts\n"));
  tlsdiag_free(t);
  tt_both_free(&r);
}

/* ---- hosts that are not preloaded -------------------------------------------- */

static void test_hsts_e2e_header_variants_on_unlisted_host(void **state) {
  (void)state;
  run_t r;
  /* with a list: advice, as info; without: only a weak header (issue 14
   * item 2), as info, unless asked for */
  run(&r, "localhost", "valid", "Strict-Transport-Security: max-age=300\r\n", 1,
      1);
  expect_findings(&r, "hsts_max_age_short/info hsts_no_include_subdomains/info "
                      "hsts_preload_directive_missing/info");
  expect_hsts(r.j, 0, NULL);
  assert_int_equal(r.cli_exit, 0);
  assert_true(json_is_true(tt_jget(r.cli, "ok")));
  tt_both_free(&r);

  run(&r, "localhost", "valid", NULL, 1, 0);
  expect_findings(&r, "hsts_header_missing/info");
  tt_both_free(&r);

  run(&r, "localhost", "valid", "Strict-Transport-Security: max-age=300\r\n", 0,
      1);
  expect_findings(&r, "hsts_max_age_short/info");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, "max_age"),
                      "300");
  assert_int_equal(r.cli_exit, 0);
  tt_both_free(&r);

  run(&r, "localhost", "valid", NULL, 0, 1);
  expect_findings(&r, "");
  assert_true(json_is_null(tt_jget(r.cli, "hsts.header")));
  assert_true(json_is_null(tt_jget(r.cli, "hsts.list")));
  tt_both_free(&r);

  /* sending `preload` asks to be judged by the preload rules */
  run(&r, "localhost", "valid",
      "Strict-Transport-Security: max-age=86400; preload\r\n", 0, 1);
  expect_findings(&r, "hsts_max_age_short/warning "
                      "hsts_no_include_subdomains/warning");
  assert_int_equal(r.cli_exit, 0);
  tt_both_free(&r);

  run(&r, "localhost", "valid",
      "Strict-Transport-Security: includeSubDomains\r\n", 0, 1);
  expect_findings(&r, "hsts_header_invalid/warning");
  assert_string_equal(ev(&r, TLSDIAG_CAUSE_HSTS_HEADER_INVALID, "error"),
                      "max-age is missing");
  tt_both_free(&r);
}

/* ---- where the CLI gets its list ---------------------------------------------- */

static int cli_check_list(const char *list_arg, int *exit_code, json_t **j) {
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  uint16_t port = tdserver_port(s);
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", port);
  char target[300];
  snprintf(target, sizeof(target), "valid.tlsdiag.test:%u", port);
  char *out = NULL;
  if (list_arg)
    *exit_code = tt_cli(&out, "check", "--json", "--cacert", t.o.cafile,
                        "--resolve", t.pin, "--hsts-list", list_arg, target,
                        NULL);
  else
    *exit_code = tt_cli(&out, "check", "--json", "--cacert", t.o.cafile,
                        "--resolve", t.pin, target, NULL);
  tdserver_stop(s);
  *j = json_loads(out, 0, NULL);
  free(out);
  return *j != NULL;
}

static void test_hsts_e2e_cli_list_sources(void **state) {
  (void)state;
  int rc;
  json_t *j;
  /* nothing configured, no cache, and no built-in fallback (the tests'
   * default, TLSDIAG_HSTS_BUILTIN=off; test_hsts_builtin has it on): no
   * list, silently */
  assert_true(cli_check_list(NULL, &rc, &j));
  assert_int_equal(rc, 0);
  assert_true(json_is_null(tt_jget(j, "hsts.list")));
  json_decref(j);

  /* $TLSDIAG_HSTS_LIST */
  setenv("TLSDIAG_HSTS_LIST", LIST, 1);
  assert_true(cli_check_list(NULL, &rc, &j));
  assert_true(json_is_true(tt_jget(j, "hsts.preloaded")));
  assert_string_equal(tt_jstr(j, "hsts.list.source"), "env");
  assert_string_equal(tt_jstr(j, "hsts.list.path"), LIST);
  json_decref(j);
  /* a broken one is a setup error: nothing is checked */
  setenv("TLSDIAG_HSTS_LIST", BAD_LIST, 1);
  assert_false(cli_check_list(NULL, &rc, &j));
  assert_int_equal(rc, 1);
  unsetenv("TLSDIAG_HSTS_LIST");

  /* --hsts-list: missing or broken is a setup error */
  assert_false(cli_check_list(TD_SOURCE_DIR "/tests/data/hsts/none.json", &rc,
                              &j));
  assert_int_equal(rc, 1);
  assert_false(cli_check_list(BAD_LIST, &rc, &j));
  assert_int_equal(rc, 1);

  /* the cache: $XDG_CACHE_HOME/tlsdiag/hsts.json */
  char dir[200], file[240], cmd[600];
  snprintf(dir, sizeof(dir), "%s/tlsdiag", cache_dir);
  snprintf(file, sizeof(file), "%s/hsts.json", dir);
  assert_int_equal(mkdir(dir, 0700), 0);
  snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", LIST, file);
  assert_int_equal(system(cmd), 0);
  assert_true(cli_check_list(NULL, &rc, &j));
  assert_true(json_is_true(tt_jget(j, "hsts.preloaded")));
  assert_string_equal(tt_jstr(j, "hsts.list.source"), "cache");
  assert_string_equal(tt_jstr(j, "hsts.list.path"), file);
  json_decref(j);
  /* a broken cache is ignored with a warning, the check still runs */
  snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", BAD_LIST, file);
  assert_int_equal(system(cmd), 0);
  assert_true(cli_check_list(NULL, &rc, &j));
  assert_int_equal(rc, 0);
  assert_true(json_is_null(tt_jget(j, "hsts.list")));
  json_decref(j);
  unlink(file);
  rmdir(dir);
}

/* The first line of `hsts lookup` with LIST: the file and its date (mtime). */
static void lookup_head(char *out, size_t n) {
  struct stat st;
  assert_int_equal(stat(LIST, &st), 0);
  struct tm tm;
  char day[16];
  assert_non_null(gmtime_r(&st.st_mtime, &tm));
  strftime(day, sizeof(day), "%Y-%m-%d", &tm);
  snprintf(out, n, "HSTS preload list: file %s of %s, 4 entries\n", LIST,
           day);
}

static void test_hsts_e2e_cli_lookup(void **state) {
  (void)state;
  char *out = NULL, head[400], want[800];
  lookup_head(head, sizeof(head));
  int rc = tt_cli(&out, "hsts", "lookup", "--hsts-list", LIST,
                  "valid.tlsdiag.test", "A.Valid.TLSDIAG.test.", NULL);
  assert_int_equal(rc, 0);
  snprintf(want, sizeof(want), "%s%s", head,
           "valid.tlsdiag.test: preloaded by entry "
           "valid.tlsdiag.test (includeSubDomains)\n"
           "A.Valid.TLSDIAG.test.: preloaded by entry "
           "valid.tlsdiag.test (includeSubDomains)\n");
  assert_string_equal(out, want);
  free(out);
  rc = tt_cli(&out, "hsts", "lookup", "--hsts-list", LIST,
              "expired.tlsdiag.test", "www.expired.tlsdiag.test", NULL);
  assert_int_equal(rc, 2);
  snprintf(want, sizeof(want), "%s%s", head,
           "expired.tlsdiag.test: preloaded by entry "
           "expired.tlsdiag.test\n"
           "www.expired.tlsdiag.test: not preloaded\n");
  assert_string_equal(out, want);
  free(out);
  /* errors: a bad name, a bad list, no list at all, no name */
  rc = tt_cli(&out, "hsts", "lookup", "--hsts-list", LIST, "a b", NULL);
  assert_int_equal(rc, 1);
  assert_string_equal(out, "");
  free(out);
  rc = tt_cli(&out, "hsts", "lookup", "--hsts-list", BAD_LIST, "a.test", NULL);
  assert_int_equal(rc, 1);
  free(out);
  /* no list at all (no built-in fallback in the tests' environment) */
  rc = tt_cli(&out, "hsts", "lookup", "a.test", NULL);
  assert_int_equal(rc, 1);
  free(out);
  rc = tt_cli(&out, "hsts", "lookup", NULL);
  assert_int_equal(rc, 1);
  free(out);
  /* (never a bare `hsts update`: it would download Chromium's list) */
  rc = tt_cli(&out, "hsts", "update", "extra-argument", NULL);
  assert_int_equal(rc, 1);
  free(out);
  rc = tt_cli(&out, "hsts", "frobnicate", NULL);
  assert_int_equal(rc, 1);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hsts_e2e_preloaded_host_with_expired_cert),
      cmocka_unit_test(test_hsts_e2e_preloaded_host_with_wrong_name),
      cmocka_unit_test(test_hsts_e2e_subdomain_of_preloaded_entry_with_bad_cert),
      cmocka_unit_test(test_hsts_e2e_unlisted_host_with_expired_cert),
      cmocka_unit_test(test_hsts_e2e_header_variants_on_preloaded_host),
      cmocka_unit_test(test_hsts_e2e_header_reported_in_json),
      cmocka_unit_test(test_hsts_e2e_header_variants_on_unlisted_host),
      cmocka_unit_test(test_hsts_e2e_cli_list_sources),
      cmocka_unit_test(test_hsts_e2e_cli_lookup),
  };
  return td_run_tests(tests, setup, teardown);
}
