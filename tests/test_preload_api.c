/* test_preload_api: tlsdiag_preload_check through the library: domain-form
 * issues without any server, a refused https:// port, the getters, the
 * formats and the API errors. The rules against real servers are
 * tests/test_preload_check.sh's (nginx). */
#include "tdtest.h"

static tlsdiag_preload_t *run(const char *domain, const tlsdiag_options_t *o) {
  tlsdiag_preload_t *p = NULL;
  tlsdiag_err_t e = tlsdiag_preload_check(domain, o, &p);
  if (e != TLSDIAG_OK) fail_msg("%s: %s", domain, tlsdiag_strerror(e));
  return p;
}

static void expect_one(const tlsdiag_preload_t *p, const char *code,
                       const char *rule) {
  assert_false(tlsdiag_preload_eligible(p));
  assert_int_equal(tlsdiag_preload_issue_count(p), 1);
  assert_string_equal(tlsdiag_preload_issue_code(p, 0), code);
  assert_int_equal(tlsdiag_preload_issue_level(p, 0), TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tlsdiag_preload_issue_rule(p, 0), rule);
  assert_non_null(tlsdiag_preload_issue_message(p, 0));
}

static void test_preload_api_domain_form(void **state) {
  (void)state;
  static const struct {
    const char *domain, *code;
  } cases[] = {
      {"www.example.com", "domain.is_subdomain"},
      {"a.b.github.io", "domain.is_subdomain"}, /* private PSL section */
      {"github.io", "domain.format.public_suffix"},
      {"co.uk", "domain.format.public_suffix"},
      {"192.0.2.1", "domain.format.is_ip_address"},
      {"::1", "domain.format.is_ip_address"},
      {".example.com", "domain.format.begins_with_dot"},
      {"example.com.", "domain.format.ends_with_dot"},
      {"example..com", "domain.format.contains_double_dot"},
      {"exa_mple.com", "domain.format.invalid_characters"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    tlsdiag_preload_t *p = run(cases[i].domain, NULL);
    if (tlsdiag_preload_issue_count(p) != 1 ||
        strcmp(tlsdiag_preload_issue_code(p, 0), cases[i].code) != 0)
      fail_msg("%s: %s, expected %s", cases[i].domain,
               tlsdiag_preload_issue_count(p)
                   ? tlsdiag_preload_issue_code(p, 0)
                   : "no issue",
               cases[i].code);
    expect_one(p, cases[i].code, "domain");
    assert_string_equal(tlsdiag_preload_status(p), "unknown");
    tlsdiag_preload_free(p);
  }
}

/* https:// refuses: domain.tls.cannot_connect, and the other rules are
 * skipped; the JSON says so, one line. */
static void test_preload_api_https_refused(void **state) {
  (void)state;
  uint16_t port = 0;
  int fd = tt_refusing_port("127.0.0.1", &port);
  assert_true(fd >= 0);
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  char rule[96];
  snprintf(rule, sizeof(rule), "preload.example:443:127.0.0.1:%u", port);
  const char *rules[] = {rule, NULL};
  o.connect_to = rules;
  o.cafile = tt_root;
  tlsdiag_preload_t *p = run("preload.example", &o);
  expect_one(p, "domain.tls.cannot_connect", "https");
  assert_non_null(strstr(tlsdiag_preload_issue_message(p, 0), "tcp_refused"));
  assert_false(tlsdiag_preload_removable(p));
  char *js = NULL;
  size_t n = 0;
  assert_int_equal(tlsdiag_preload_format(p, TLSDIAG_FORMAT_JSON, &js, &n),
                   TLSDIAG_OK);
  json_error_t err;
  json_t *j = json_loadb(js, n, JSON_REJECT_DUPLICATES, &err);
  assert_non_null(j);
  assert_string_equal(tt_jstr(j, "schema"), "tlsdiag-preload/1");
  assert_true(json_is_false(tt_jget(j, "eligible")));
  assert_string_equal(tt_jstr(j, "rules.0.verdict"), "pass");
  assert_string_equal(tt_jstr(j, "rules.1.rule"), "https");
  assert_string_equal(tt_jstr(j, "rules.1.verdict"), "fail");
  assert_string_equal(tt_jstr(j, "rules.2.verdict"), "skipped");
  assert_string_equal(tt_jstr(j, "issues.0.code"), "domain.tls.cannot_connect");
  json_decref(j);
  assert_true(n > 0 && js[n - 1] == '\n' && !memchr(js, '\n', n - 1));
  tlsdiag_free(js);
  assert_int_equal(tlsdiag_preload_format(p, TLSDIAG_FORMAT_TEXT, &js, &n),
                   TLSDIAG_OK);
  assert_non_null(strstr(js, "preload.example: NOT eligible"));
  tlsdiag_free(js);
  assert_int_equal(tlsdiag_preload_format(p, TLSDIAG_FORMAT_NAGIOS, &js, &n),
                   TLSDIAG_E_FORMAT);
  assert_null(js);
  tlsdiag_preload_free(p);
  close(fd);
}

static void test_preload_api_errors(void **state) {
  (void)state;
  tlsdiag_preload_t *p = (tlsdiag_preload_t *)&p;
  assert_int_equal(tlsdiag_preload_check(NULL, NULL, &p), TLSDIAG_E_INVAL);
  assert_null(p);
  assert_int_equal(tlsdiag_preload_check("example.com", NULL, NULL),
                   TLSDIAG_E_INVAL);
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  const char *bad[] = {"not-a-rule", NULL};
  o.connect_to = bad;
  assert_int_equal(tlsdiag_preload_check("example.com", &o, &p),
                   TLSDIAG_E_OPTIONS);
  assert_null(p);
  /* getters on NULL */
  assert_false(tlsdiag_preload_eligible(NULL));
  assert_int_equal(tlsdiag_preload_issue_count(NULL), 0);
  assert_null(tlsdiag_preload_issue_code(NULL, 0));
  assert_string_equal(tlsdiag_preload_status(NULL), "unknown");
  tlsdiag_preload_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_preload_api_domain_form),
      cmocka_unit_test(test_preload_api_https_refused),
      cmocka_unit_test(test_preload_api_errors),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
