/* test_hsts.c: the Strict-Transport-Security parser (RFC 6797 section 6.1
 * and hostile headers), the hsts_* findings on hand-built results, and the
 * "hsts" member of the JSON and text reports. No network, no files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdrun.h"
#include <jansson.h>

#include "hsts.h"
#include "internal.h"

/* ---- the parser ----------------------------------------------------------- */

static td_sts_t parse(const char *v) {
  td_sts_t s;
  assert_int_equal(td_sts_parse(v, strlen(v), &s), 0);
  return s;
}

static void expect_valid(const char *v, int64_t age, int subs, int preload) {
  td_sts_t s = parse(v);
  if (!s.valid) fail_msg("'%s' rejected: %s at %zu", v, s.error, s.error_at);
  assert_null(s.error);
  assert_int_equal(s.max_age, age);
  assert_int_equal(s.include_subdomains, subs);
  assert_int_equal(s.preload, preload);
}

static void expect_invalid(const char *v, const char *why, size_t at) {
  td_sts_t s = parse(v);
  if (s.valid) fail_msg("'%s' accepted (max-age %lld)", v, (long long)s.max_age);
  assert_non_null(s.error);
  if (strcmp(s.error, why))
    fail_msg("'%s': reason '%s', expected '%s'", v, s.error, why);
  if (s.error_at != at)
    fail_msg("'%s': position %zu, expected %zu", v, s.error_at, at);
}

/* RFC 6797 section 6.2's examples. */
static void test_hsts_parse_rfc6797_examples(void **state) {
  (void)state;
  expect_valid("max-age=31536000", 31536000, 0, 0);
  expect_valid("max-age=15768000 ; includeSubDomains", 15768000, 1, 0);
  expect_valid("max-age=\"31536000\"", 31536000, 0, 0);
  expect_valid("max-age=0", 0, 0, 0);
  expect_valid("max-age=0; includeSubDomains", 0, 1, 0);
}

static void test_hsts_parse_names_are_case_insensitive(void **state) {
  (void)state;
  expect_valid("MAX-AGE=10; INCLUDESUBDOMAINS; PRELOAD", 10, 1, 1);
  expect_valid("Max-Age=10;includesubdomains;Preload", 10, 1, 1);
  expect_valid("mAx-AgE=10; iNcLuDeSuBdOmAiNs", 10, 1, 0);
}

static void test_hsts_parse_order_and_whitespace_do_not_matter(void **state) {
  (void)state;
  expect_valid("preload; includeSubDomains; max-age=63072000", 63072000, 1, 1);
  expect_valid("  max-age = 10  ;\tincludeSubDomains\t", 10, 1, 0);
  expect_valid("max-age=\t\"10\"\t; preload", 10, 0, 1);
}

static void test_hsts_parse_empty_directives_are_allowed(void **state) {
  (void)state;
  expect_valid(";;max-age=10;;", 10, 0, 0);
  expect_valid(" ; max-age=10 ; ; includeSubDomains ;", 10, 1, 0);
}

static void test_hsts_parse_unknown_directives_are_ignored(void **state) {
  (void)state;
  expect_valid("max-age=10; foo", 10, 0, 0);
  expect_valid("max-age=10; foo=bar; report-uri=\"https://x.test/r\"", 10, 0, 0);
  /* a quoted value may hold ';', '=' and escaped quotes */
  expect_valid("max-age=10; foo=\"a;b=c \\\"q\\\" \\\\\"; preload", 10, 0, 1);
  td_sts_t s = parse("max-age=10; a; b=1; c=\"x\"");
  assert_int_equal(s.ndirectives, 4);
}

static void test_hsts_parse_quoted_max_age(void **state) {
  (void)state;
  expect_valid("max-age=\"0\"", 0, 0, 0);
  /* a quoted-pair stands for its character */
  expect_valid("max-age=\"3\\1536000\"", 31536000, 0, 0);
  expect_invalid("max-age=\"\"", "max-age is not a non-negative integer", 9);
  expect_invalid("max-age=\"1 0\"", "max-age is not a non-negative integer", 9);
  expect_invalid("max-age=\"10", "unterminated quoted string", 8);
  expect_invalid("max-age=\"10\\", "unterminated quoted string", 8);
  expect_invalid("max-age=\"1\x01\"", "invalid character in a quoted string",
                 10);
}

static void test_hsts_parse_max_age_must_be_digits(void **state) {
  (void)state;
  const char *why = "max-age is not a non-negative integer";
  expect_invalid("max-age=abc", why, 8);
  expect_invalid("max-age=-1", why, 8);
  expect_invalid("max-age=+1", why, 8);
  expect_invalid("max-age=1.5", why, 8);
  expect_invalid("max-age=0x10", why, 8);
  expect_invalid("max-age=1e6", why, 8);
  expect_invalid("max-age", "max-age has no value", 0);
  expect_invalid("preload; max-age ;", "max-age has no value", 9);
  expect_invalid("max-age=", "a directive has '=' but no value", 8);
  expect_invalid("max-age=;", "a directive has '=' but no value", 8);
  expect_invalid("max-age=1 2", "';' expected after a directive", 10);
  expect_valid("max-age=0031536000", 31536000, 0, 0); /* leading zeros */
}

static void test_hsts_parse_max_age_overflow_is_capped(void **state) {
  (void)state;
  td_sts_t s = parse("max-age=9223372036854775807");
  assert_true(s.valid);
  assert_int_equal(s.max_age, INT64_MAX);
  assert_false(s.max_age_capped);
  s = parse("max-age=9223372036854775808");
  assert_true(s.valid);
  assert_int_equal(s.max_age, INT64_MAX);
  assert_true(s.max_age_capped);
  s = parse("max-age=99999999999999999999999999999999999999999999; preload");
  assert_true(s.valid);
  assert_int_equal(s.max_age, INT64_MAX);
  assert_true(s.max_age_capped);
  assert_true(s.preload);
  /* digits after the cap are still checked */
  expect_invalid("max-age=99999999999999999999x",
                 "max-age is not a non-negative integer", 8);
}

static void test_hsts_parse_duplicate_directive_is_invalid(void **state) {
  (void)state;
  const char *why = "a directive appears more than once";
  expect_invalid("max-age=10; max-age=20", why, 12);
  expect_invalid("max-age=10; MAX-AGE=10", why, 12);
  expect_invalid("max-age=10; includeSubDomains; includesubdomains", why, 31);
  expect_invalid("preload; max-age=10; preload", why, 21);
  /* RFC 6797 6.1 item 2: all directives, unknown ones too */
  expect_invalid("max-age=10; foo=1; Foo=2", why, 19);
}

static void test_hsts_parse_valueless_directives_take_no_value(void **state) {
  (void)state;
  expect_invalid("max-age=10; includeSubDomains=yes",
                 "includeSubDomains takes no value", 12);
  expect_invalid("max-age=10; preload=\"\"", "preload takes no value", 12);
}

static void test_hsts_parse_missing_max_age_is_invalid(void **state) {
  (void)state;
  expect_invalid("includeSubDomains; preload", "max-age is missing", 0);
  expect_invalid("maxage=10", "max-age is missing", 0);
  expect_invalid("max_age=10", "max-age is missing", 0);
}

static void test_hsts_parse_empty_header_is_invalid(void **state) {
  (void)state;
  expect_invalid("", "the header has no directives", 0);
  expect_invalid("   \t ", "the header has no directives", 0);
  expect_invalid(";;;", "the header has no directives", 0);
  td_sts_t s;
  assert_int_equal(td_sts_parse(NULL, 5, &s), 0);
  assert_false(s.valid);
}

static void test_hsts_parse_broken_syntax_is_invalid(void **state) {
  (void)state;
  expect_invalid("max-age=10, includeSubDomains",
                 "';' expected after a directive", 10);
  expect_invalid("max-age=10; @x", "a directive name is not a token", 12);
  expect_invalid("=10", "a directive name is not a token", 0);
  expect_invalid("max-age=10; \"quoted\"", "a directive name is not a token",
                 12);
  expect_invalid("max age=10", "';' expected after a directive", 4);
  expect_invalid("max-age=10; pr\xC3\xA9load", "';' expected after a directive",
                 14);
  expect_invalid("max-age=10;\r\n preload", "a directive name is not a token",
                 11);
  /* a NUL inside the value */
  td_sts_t s;
  assert_int_equal(td_sts_parse("max-age=1\0; preload", 19, &s), 0);
  assert_false(s.valid);
  assert_int_equal(s.error_at, 9);
}

/* 64 KiB headers: distinct unknown directives (fine), one huge quoted
 * value (fine), many copies of one directive (invalid), all spaces. */
static void test_hsts_parse_huge_headers_are_bounded(void **state) {
  (void)state;
  size_t cap = 64 * 1024;
  char *v = malloc(cap + 64);
  assert_non_null(v);
  size_t n = (size_t)snprintf(v, cap, "max-age=31536000");
  for (unsigned i = 0; n + 16 < cap; i++)
    n += (size_t)snprintf(v + n, cap - n, "; x%u", i);
  td_sts_t s;
  assert_int_equal(td_sts_parse(v, n, &s), 0);
  assert_true(s.valid);
  assert_true(s.ndirectives > 8000);

  n = (size_t)snprintf(v, cap, "max-age=1; foo=\"");
  memset(v + n, 'q', cap - n - 2);
  v[cap - 2] = '"';
  assert_int_equal(td_sts_parse(v, cap - 1, &s), 0);
  assert_true(s.valid);
  assert_int_equal(s.max_age, 1);

  n = 0;
  while (n + 8 < cap) {
    memcpy(v + n, "preload;", 8);
    n += 8;
  }
  assert_int_equal(td_sts_parse(v, n, &s), 0);
  assert_false(s.valid);
  assert_string_equal(s.error, "a directive appears more than once");
  assert_int_equal(s.error_at, 8);

  memset(v, ' ', cap);
  assert_int_equal(td_sts_parse(v, cap, &s), 0);
  assert_false(s.valid);

  memset(v, '9', cap);
  memcpy(v, "max-age=", 8);
  assert_int_equal(td_sts_parse(v, cap, &s), 0);
  assert_true(s.valid);
  assert_true(s.max_age_capped);
  free(v);
}

/* ---- findings on hand-built results ---------------------------------------- */

static const char fixture[] =
    "// hand-made list for the findings tests\n"
    "{\"entries\": [\n"
    " {\"name\": \"own.test\", \"mode\": \"force-https\", \"include_subdomains\": true},\n"
    " {\"name\": \"exact.test\", \"mode\": \"force-https\"},\n"
    " {\"name\": \"pins.own.test\", \"pins\": \"x\"}\n"
    "]}\n";

static tlsdiag_hsts_t *list;

static int setup(void **state) {
  (void)state;
  char err[200];
  return tlsdiag_hsts_load_mem(fixture, strlen(fixture), &list, err,
                               sizeof(err)) == TLSDIAG_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  tlsdiag_hsts_free(list);
  return 0;
}

/* A result as check.c leaves it after a successful exchange: TLS and HTTP
 * done, a status line, the given STS headers (NULL-terminated). */
static tlsdiag_result_t *result(const char *host, int with_list,
                                const char *const *sts) {
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  r->host = strdup(host);
  r->ace_host = strdup(host);
  r->sni = strdup(host);
  r->port = 443;
  for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++)
    r->phase[p].status = TLSDIAG_STATUS_OK;
  r->http_status = 200;
  r->http_status_line = strdup("HTTP/1.1 200 OK");
  assert_int_equal(td_result_header(r, "Server", 6, "t", 1), 0);
  for (size_t i = 0; sts && sts[i]; i++)
    assert_int_equal(td_result_header(r, "Strict-Transport-Security", 25,
                                      sts[i], strlen(sts[i])),
                     0);
  r->hsts_list = with_list ? list : NULL;
  return r;
}

static void classify(tlsdiag_result_t *r) {
  td_hsts_classify(r);
  r->hsts_list = NULL; /* as check.c does: borrowed for the check only */
}

/* "code/severity code/severity ..." of the findings in the order added. */
static char *codes(const tlsdiag_result_t *r) {
  td_buf_t b;
  td_buf_init(&b);
  for (size_t i = 0; i < r->nfindings; i++)
    td_buf_printf(&b, "%s%s/%s", i ? " " : "",
                  tlsdiag_cause_name(r->findings[i].code),
                  tlsdiag_severity_name(r->findings[i].severity));
  return td_buf_steal(&b, NULL);
}

static void expect_codes(const tlsdiag_result_t *r, const char *want) {
  char *got = codes(r);
  if (strcmp(got, want)) fail_msg("findings [%s], expected [%s]", got, want);
  free(got);
}

static const char *ev(const tlsdiag_result_t *r, tlsdiag_cause_t c,
                      const char *key) {
  long i = tlsdiag_result_find(r, c);
  if (i < 0) fail_msg("no %s", tlsdiag_cause_name(c));
  const char *v = tlsdiag_result_finding_evidence(r, (size_t)i, key);
  if (!v) fail_msg("%s has no evidence '%s'", tlsdiag_cause_name(c), key);
  return v;
}

#define FULL "max-age=63072000; includeSubDomains; preload"

static void test_hsts_findings_none_for_a_plain_site_without_list(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("plain.test", 0, NULL);
  classify(r);
  expect_codes(r, "");
  assert_non_null(r->hsts);
  assert_false(r->hsts->list_given);
  assert_null(r->hsts->header);
  tlsdiag_result_free(r);
  /* a modest header without `preload` asks for no preload advice, but a
   * weak header always gets a word (issue 14 item 2): info, no list */
  r = result("plain.test", 0, (const char *[]){"max-age=300", NULL});
  classify(r);
  expect_codes(r, "hsts_max_age_short/info");
  assert_true(r->hsts->sts.valid);
  tlsdiag_result_free(r);
}

static void test_hsts_findings_none_for_a_compliant_header(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("plain.test", 0, (const char *[]){FULL, NULL});
  classify(r);
  expect_codes(r, "");
  tlsdiag_result_free(r);
  r = result("own.test", 1, (const char *[]){FULL, NULL});
  classify(r);
  expect_codes(r, "");
  assert_true(r->hsts->preloaded);
  assert_string_equal(r->hsts->entry, "own.test");
  tlsdiag_result_free(r);
}

static void test_hsts_findings_preload_directive_makes_rules_warnings(void **state) {
  (void)state;
  tlsdiag_result_t *r = result(
      "plain.test", 0, (const char *[]){"max-age=86400; preload", NULL});
  classify(r);
  expect_codes(r, "hsts_max_age_short/warning "
                  "hsts_no_include_subdomains/warning");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, "max_age"),
                      "86400");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, "minimum"),
                      "31536000");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, "header"),
                      "max-age=86400; preload");
  tlsdiag_result_free(r);
}

static void test_hsts_findings_info_when_a_list_is_given(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("plain.test", 1, NULL);
  classify(r);
  expect_codes(r, "hsts_header_missing/info");
  assert_true(tlsdiag_result_ok(r));
  tlsdiag_result_free(r);
  r = result("plain.test", 1, (const char *[]){"max-age=300", NULL});
  classify(r);
  expect_codes(r, "hsts_max_age_short/info hsts_no_include_subdomains/info "
                  "hsts_preload_directive_missing/info");
  tlsdiag_result_free(r);
}

static void test_hsts_findings_preloaded_host_without_header(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("own.test", 1, NULL);
  classify(r);
  expect_codes(r, "hsts_header_missing/warning hsts_preload_mismatch/warning");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH, "entry"),
                      "own.test");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH, "problems"),
                      "header_missing");
  assert_true(tlsdiag_result_ok(r));
  tlsdiag_result_free(r);
}

static void test_hsts_findings_preloaded_host_with_max_age_zero(void **state) {
  (void)state;
  tlsdiag_result_t *r = result(
      "own.test", 1, (const char *[]){"max-age=0; includeSubDomains; preload",
                                      NULL});
  classify(r);
  expect_codes(r, "hsts_max_age_short/warning hsts_preload_mismatch/warning");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH, "problems"),
                      "max_age_zero");
  assert_non_null(strstr(tlsdiag_result_finding_message(
                             r, (size_t)tlsdiag_result_find(
                                    r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH)),
                         "max-age=0"));
  tlsdiag_result_free(r);
}

static void test_hsts_findings_preloaded_host_lacking_each_rule(void **state) {
  (void)state;
  tlsdiag_result_t *r =
      result("exact.test", 1, (const char *[]){"max-age=31536000", NULL});
  classify(r);
  expect_codes(r, "hsts_no_include_subdomains/warning "
                  "hsts_preload_directive_missing/warning "
                  "hsts_preload_mismatch/warning");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH, "problems"),
                      "no_include_subdomains, no_preload_directive");
  assert_string_equal(
      ev(r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH, "include_subdomains"), "false");
  assert_string_equal(r->findings[2].message,
                      "exact.test is on the HSTS preload list but lacks "
                      "includeSubDomains and lacks preload; hstspreload.org "
                      "may remove it");
  tlsdiag_result_free(r);
}

static void test_hsts_findings_subdomain_of_preloaded_entry_gets_info(void **state) {
  (void)state;
  /* www.own.test is preloaded through own.test; its own header is advice */
  tlsdiag_result_t *r =
      result("www.own.test", 1, (const char *[]){"max-age=300", NULL});
  classify(r);
  expect_codes(r, "hsts_max_age_short/info hsts_no_include_subdomains/info "
                  "hsts_preload_directive_missing/info");
  assert_true(r->hsts->preloaded);
  assert_false(r->hsts->entry_exact);
  assert_string_equal(r->hsts->entry, "own.test");
  tlsdiag_result_free(r);
}

static void test_hsts_findings_invalid_header_is_a_warning(void **state) {
  (void)state;
  tlsdiag_result_t *r = result(
      "plain.test", 0, (const char *[]){"max-age=1; max-age=2", NULL});
  classify(r);
  expect_codes(r, "hsts_header_invalid/warning");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_HEADER_INVALID, "error"),
                      "a directive appears more than once");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_HEADER_INVALID, "header"),
                      "max-age=1; max-age=2");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_HEADER_INVALID, "position"),
                      "11");
  tlsdiag_result_free(r);
  r = result("own.test", 1, (const char *[]){"max-age=-1", NULL});
  classify(r);
  expect_codes(r, "hsts_header_invalid/warning hsts_preload_mismatch/warning");
  tlsdiag_result_free(r);
}

static void test_hsts_findings_only_the_first_header_counts(void **state) {
  (void)state;
  tlsdiag_result_t *r = result(
      "own.test", 1, (const char *[]){FULL, "max-age=0", NULL});
  classify(r);
  /* the second header changes nothing browsers do; preloading wants one */
  expect_codes(r, "hsts_preload_mismatch/warning");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH, "problems"),
                      "multiple_headers");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH, "header_count"),
                      "2");
  assert_int_equal(r->hsts->sts.max_age, 63072000);
  assert_int_equal(r->hsts->header_count, 2);
  tlsdiag_result_free(r);
  r = result("plain.test", 0, (const char *[]){"max-age=0; preload", FULL, NULL});
  classify(r);
  expect_codes(r, "hsts_max_age_short/warning "
                  "hsts_no_include_subdomains/warning");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, "header_count"),
                      "2");
  tlsdiag_result_free(r);
}

static void test_hsts_findings_preloaded_cert_error(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("own.test", 1, (const char *[]){FULL, NULL});
  td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRES_SOON, TLSDIAG_SEVERITY_WARNING,
                 "not an error");
  td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR, "x");
  td_finding_add(r, TLSDIAG_CAUSE_CERT_SELF_SIGNED, TLSDIAG_SEVERITY_ERROR, "y");
  classify(r);
  expect_codes(r, "cert_expires_soon/warning cert_expired/error "
                  "cert_self_signed/error hsts_preloaded_cert_error/error");
  /* the most fundamental certificate problem is named */
  assert_string_equal(
      ev(r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR, "cert_cause"),
      "cert_self_signed");
  assert_string_equal(ev(r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR, "entry"),
                      "own.test");
  assert_string_equal(
      ev(r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR, "include_subdomains"),
      "true");
  tlsdiag_result_free(r);

  /* through a parent entry, and with the HTTP phase failed */
  r = result("a.b.own.test", 1, NULL);
  r->phase[TLSDIAG_PHASE_HTTP].status = TLSDIAG_STATUS_FAILED;
  td_finding_add(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                 TLSDIAG_SEVERITY_ERROR, "x");
  classify(r);
  expect_codes(r, "cert_hostname_mismatch/error hsts_preloaded_cert_error/error");
  assert_string_equal(
      ev(r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR, "entry_is_host"), "false");
  assert_non_null(strstr(r->findings[1].message, "through own.test"));
  tlsdiag_result_free(r);
}

static void test_hsts_findings_cert_error_on_unlisted_host(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("plain.test", 1, (const char *[]){FULL, NULL});
  td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR, "x");
  classify(r);
  expect_codes(r, "cert_expired/error");
  tlsdiag_result_free(r);
}

static void test_hsts_findings_pin_only_entry_shadows_its_parent(void **state) {
  (void)state;
  /* Chromium: the most specific listed name decides. pins.own.test has no
   * mode and no include_subdomains, so neither it nor its subdomains are
   * forced to HTTPS although own.test includes subdomains. */
  const char *e = NULL;
  int subs = -1;
  assert_int_equal(tlsdiag_hsts_lookup(list, "pins.own.test", &e, &subs), 0);
  assert_null(e);
  assert_int_equal(tlsdiag_hsts_lookup(list, "x.pins.own.test", &e, NULL), 0);
  assert_int_equal(tlsdiag_hsts_lookup(list, "x.own.test", &e, &subs), 1);
  assert_string_equal(e, "own.test");
  tlsdiag_result_t *r = result("x.pins.own.test", 1, NULL);
  td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR, "x");
  classify(r);
  expect_codes(r, "cert_expired/error hsts_header_missing/info");
  assert_false(r->hsts->preloaded);
  assert_string_equal(r->hsts->entry, "pins.own.test");
  tlsdiag_result_free(r);
}

static void test_hsts_findings_not_for_ip_literals(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("127.0.0.1", 1, (const char *[]){"bad", NULL});
  r->host_is_ip = 1;
  td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR, "x");
  classify(r);
  expect_codes(r, "cert_expired/error");
  assert_false(r->hsts->looked_up);
  tlsdiag_result_free(r);
}

static void test_hsts_findings_no_header_findings_without_http(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("own.test", 1, NULL);
  r->phase[TLSDIAG_PHASE_HTTP].status = TLSDIAG_STATUS_SKIPPED;
  classify(r);
  expect_codes(r, "");
  assert_true(r->hsts->preloaded);
  tlsdiag_result_free(r);
}

static void test_hsts_findings_have_causes_in_the_table(void **state) {
  (void)state;
  for (int c = TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR;
       c <= TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH; c++)
    assert_string_not_equal(tlsdiag_cause_name((tlsdiag_cause_t)c), "unknown");
  assert_int_equal(tlsdiag_cause_severity(TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_not_equal(tlsdiag_strerror(TLSDIAG_E_HSTS_LIST),
                          "unknown error");
}

/* ---- reports --------------------------------------------------------------- */

static json_t *json_of(const tlsdiag_result_t *r, unsigned flags) {
  char *s = NULL;
  size_t n = 0;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, flags, &s, &n),
                   TLSDIAG_OK);
  json_error_t err;
  json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &err);
  if (!j) fail_msg("invalid JSON (%s): %s", err.text, s);
  tlsdiag_free(s);
  json_t *h = json_object_get(j, "hsts");
  assert_true(json_is_object(h));
  json_incref(h);
  json_decref(j);
  return h;
}

static void test_hsts_json_without_list_or_header(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("plain.test", 0, NULL);
  classify(r);
  json_t *h = json_of(r, 0);
  assert_int_equal(json_object_size(h), 6);
  assert_true(json_is_null(json_object_get(h, "list")));
  assert_true(json_is_null(json_object_get(h, "preloaded")));
  assert_true(json_is_null(json_object_get(h, "entry")));
  assert_true(json_is_null(json_object_get(h, "include_subdomains")));
  assert_true(json_is_null(json_object_get(h, "entry_is_host")));
  assert_true(json_is_null(json_object_get(h, "header")));
  json_decref(h);
  tlsdiag_result_free(r);
  /* a result classify never saw still has the member */
  r = result("plain.test", 0, NULL);
  h = json_of(r, TLSDIAG_FMT_PRETTY);
  assert_true(json_is_null(json_object_get(h, "preloaded")));
  json_decref(h);
  tlsdiag_result_free(r);
}

static void test_hsts_json_preloaded_with_header(void **state) {
  (void)state;
  for (unsigned flags = 0; flags <= TLSDIAG_FMT_PRETTY; flags += TLSDIAG_FMT_PRETTY) {
    tlsdiag_result_t *r = result("www.own.test", 1,
                                 (const char *[]){FULL, "max-age=1", NULL});
    classify(r);
    json_t *h = json_of(r, flags);
    json_t *l = json_object_get(h, "list");
    assert_int_equal(json_object_size(l), 5);
    assert_string_equal(json_string_value(json_object_get(l, "source")),
                        "memory");
    assert_true(json_is_null(json_object_get(l, "path")));
    assert_true(json_is_null(json_object_get(l, "date")));
    assert_int_equal(json_integer_value(json_object_get(l, "entries")),
                     (json_int_t)tlsdiag_hsts_count(list));
    assert_true(json_is_false(json_object_get(l, "stale")));
    assert_true(json_is_true(json_object_get(h, "preloaded")));
    assert_string_equal(json_string_value(json_object_get(h, "entry")),
                        "own.test");
    assert_true(json_is_true(json_object_get(h, "include_subdomains")));
    assert_true(json_is_false(json_object_get(h, "entry_is_host")));
    json_t *hd = json_object_get(h, "header");
    assert_int_equal(json_object_size(hd), 7);
    assert_string_equal(json_string_value(json_object_get(hd, "value")), FULL);
    assert_true(json_is_true(json_object_get(hd, "valid")));
    assert_true(json_is_null(json_object_get(hd, "error")));
    assert_int_equal(json_integer_value(json_object_get(hd, "max_age")),
                     63072000);
    assert_true(json_is_true(json_object_get(hd, "include_subdomains")));
    assert_true(json_is_true(json_object_get(hd, "preload")));
    assert_int_equal(json_integer_value(json_object_get(hd, "count")), 2);
    json_decref(h);
    tlsdiag_result_free(r);
  }
}

static void test_hsts_json_invalid_hostile_header(void **state) {
  (void)state;
  tlsdiag_result_t *r = result(
      "plain.test", 0, (const char *[]){"max-age=\"\x1b[31m\xff\"", NULL});
  classify(r);
  json_t *h = json_of(r, 0); /* jansson rejects invalid UTF-8 */
  json_t *hd = json_object_get(h, "header");
  assert_true(json_is_false(json_object_get(hd, "valid")));
  assert_string_equal(json_string_value(json_object_get(hd, "error")),
                      "invalid character in a quoted string");
  assert_true(json_is_null(json_object_get(hd, "max_age")));
  json_decref(h);
  char *t = NULL;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, 0, &t, NULL),
                   TLSDIAG_OK);
  assert_null(strchr(t, '\x1b')); /* the terminal escape is defused */
  assert_non_null(strstr(t, "\nHSTS\n"));
  assert_non_null(strstr(t, "invalid: invalid character in a quoted string"));
  tlsdiag_free(t);
  tlsdiag_result_free(r);
}

static void test_hsts_text_section(void **state) {
  (void)state;
  tlsdiag_result_t *r = result("own.test", 1, (const char *[]){FULL, NULL});
  classify(r);
  char *t = NULL;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, 0, &t, NULL),
                   TLSDIAG_OK);
  const char *s = strstr(t, "\nHSTS\n");
  assert_non_null(s);
  assert_non_null(strstr(s, "  preload list preloaded: entry own.test "
                            "(includeSubDomains)\n"));
  assert_non_null(strstr(s, "  header       " FULL "\n"));
  assert_non_null(strstr(s, "valid: max-age 63072000 s (730 days), "
                            "includeSubDomains, preload\n"));
  tlsdiag_free(t);
  tlsdiag_result_free(r);
  /* nothing to say: no section */
  r = result("plain.test", 0, NULL);
  classify(r);
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, 0, &t, NULL),
                   TLSDIAG_OK);
  assert_null(strstr(t, "\nHSTS\n"));
  tlsdiag_free(t);
  tlsdiag_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hsts_parse_rfc6797_examples),
      cmocka_unit_test(test_hsts_parse_names_are_case_insensitive),
      cmocka_unit_test(test_hsts_parse_order_and_whitespace_do_not_matter),
      cmocka_unit_test(test_hsts_parse_empty_directives_are_allowed),
      cmocka_unit_test(test_hsts_parse_unknown_directives_are_ignored),
      cmocka_unit_test(test_hsts_parse_quoted_max_age),
      cmocka_unit_test(test_hsts_parse_max_age_must_be_digits),
      cmocka_unit_test(test_hsts_parse_max_age_overflow_is_capped),
      cmocka_unit_test(test_hsts_parse_duplicate_directive_is_invalid),
      cmocka_unit_test(test_hsts_parse_valueless_directives_take_no_value),
      cmocka_unit_test(test_hsts_parse_missing_max_age_is_invalid),
      cmocka_unit_test(test_hsts_parse_empty_header_is_invalid),
      cmocka_unit_test(test_hsts_parse_broken_syntax_is_invalid),
      cmocka_unit_test(test_hsts_parse_huge_headers_are_bounded),
      cmocka_unit_test(test_hsts_findings_none_for_a_plain_site_without_list),
      cmocka_unit_test(test_hsts_findings_none_for_a_compliant_header),
      cmocka_unit_test(test_hsts_findings_preload_directive_makes_rules_warnings),
      cmocka_unit_test(test_hsts_findings_info_when_a_list_is_given),
      cmocka_unit_test(test_hsts_findings_preloaded_host_without_header),
      cmocka_unit_test(test_hsts_findings_preloaded_host_with_max_age_zero),
      cmocka_unit_test(test_hsts_findings_preloaded_host_lacking_each_rule),
      cmocka_unit_test(test_hsts_findings_subdomain_of_preloaded_entry_gets_info),
      cmocka_unit_test(test_hsts_findings_invalid_header_is_a_warning),
      cmocka_unit_test(test_hsts_findings_only_the_first_header_counts),
      cmocka_unit_test(test_hsts_findings_preloaded_cert_error),
      cmocka_unit_test(test_hsts_findings_cert_error_on_unlisted_host),
      cmocka_unit_test(test_hsts_findings_pin_only_entry_shadows_its_parent),
      cmocka_unit_test(test_hsts_findings_not_for_ip_literals),
      cmocka_unit_test(test_hsts_findings_no_header_findings_without_http),
      cmocka_unit_test(test_hsts_findings_have_causes_in_the_table),
      cmocka_unit_test(test_hsts_json_without_list_or_header),
      cmocka_unit_test(test_hsts_json_preloaded_with_header),
      cmocka_unit_test(test_hsts_json_invalid_hostile_header),
      cmocka_unit_test(test_hsts_text_section),
  };
  return td_run_tests(tests, setup, teardown);
}
