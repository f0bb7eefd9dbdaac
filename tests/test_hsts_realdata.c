/* test_hsts_realdata.c: the preload list loader on real data from
 * ../shared/data/hsts (see its SOURCE.txt): a 2026 snapshot of Chromium's
 * list (94,600 force-https entries) and Chromium's own unit-test fixture
 * in the full format. Every entry is checked against an independent read
 * of the file with jansson.
 *
 * A checkout without ../shared (or $TD_SHARED_DIR) skips these tests
 * (TD_SKIP) and exits 77, so that a runner told SKIP_RETURN_CODE 77
 * reports "skipped" and none reports "passed". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tdrun.h"

#include <jansson.h>

#include "tlsdiag/tlsdiag.h"

#define DERIVED \
  td_shared_path("data/hsts/transport_security_state_static.derived.json")
#define UNITTEST                                                  \
  td_shared_path(                                                 \
      "data/hsts/transport_security_state_static_unittest_default.json")

static tlsdiag_hsts_t *real;    /* the derived list, loaded once */
static json_t *real_json;       /* the same file read by jansson */

/* jansson has no comments: drop the lines that are one (Chromium's own
 * files have only whole-line comments). */
static json_t *jansson_read(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  char line[4096];
  while (buf && fgets(line, sizeof(line), f)) {
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (p[0] == '/' && p[1] == '/') continue;
    size_t l = strlen(line);
    if (n + l + 1 > cap) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
    }
    memcpy(buf + n, line, l);
    n += l;
  }
  fclose(f);
  if (!buf) return NULL;
  json_error_t err;
  json_t *j = json_loadb(buf, n, 0, &err);
  free(buf);
  return j;
}

static int have(const char *path) { return access(path, R_OK) == 0; }

static int setup(void **state) {
  (void)state;
  if (!have(DERIVED)) return 0;
  char err[256];
  if (tlsdiag_hsts_load_ex(DERIVED, &real, err, sizeof(err)) != TLSDIAG_OK) {
    fprintf(stderr, "cannot load %s: %s\n", DERIVED, err);
    return -1;
  }
  real_json = jansson_read(DERIVED);
  return real_json ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  tlsdiag_hsts_free(real);
  json_decref(real_json);
  return 0;
}

#define NEED_REAL()                                                       \
  do {                                                                    \
    if (!real) TD_SKIP("%s is absent", DERIVED);                          \
  } while (0)

static void expect(const tlsdiag_hsts_t *h, const char *name, int preloaded,
                   const char *entry, int subs) {
  const char *e = NULL;
  int s = -1;
  int got = tlsdiag_hsts_lookup(h, name, &e, &s);
  if (got != preloaded)
    fail_msg("%s: preloaded %d, expected %d", name, got, preloaded);
  if (preloaded) {
    if (strcmp(e, entry)) fail_msg("%s: entry %s, expected %s", name, e, entry);
    if (s != subs)
      fail_msg("%s: include_subdomains %d, expected %d", name, s, subs);
  }
}

static int is_force(json_t *e) {
  json_t *m = json_object_get(e, "mode");
  return json_is_string(m) && !strcmp(json_string_value(m), "force-https");
}

static void test_hsts_realdata_count_matches_jansson(void **state) {
  (void)state;
  NEED_REAL();
  json_t *entries = json_object_get(real_json, "entries");
  assert_true(json_is_array(entries));
  size_t force = 0, i;
  json_t *e;
  json_array_foreach(entries, i, e) force += (size_t)is_force(e);
  assert_int_equal(force, 94600); /* SOURCE.txt */
  assert_int_equal(tlsdiag_hsts_count(real), force);
}

/* Every entry is found as itself with its own include_subdomains, and a
 * new child label below it is preloaded exactly when it includes
 * subdomains (unless a more specific entry sits in between, which a fresh
 * label cannot have). */
static void test_hsts_realdata_every_entry_and_its_children(void **state) {
  (void)state;
  NEED_REAL();
  json_t *entries = json_object_get(real_json, "entries");
  size_t i, subs_n = 0;
  json_t *e;
  json_array_foreach(entries, i, e) {
    const char *name = json_string_value(json_object_get(e, "name"));
    int subs = json_is_true(json_object_get(e, "include_subdomains"));
    assert_non_null(name);
    expect(real, name, is_force(e), name, subs);
    char child[300];
    snprintf(child, sizeof(child), "zz-tlsdiag-child.%s", name);
    expect(real, child, is_force(e) && subs, name, 1);
    subs_n += (size_t)subs;
  }
  assert_int_equal(subs_n, 94350); /* SOURCE.txt */
}

static void test_hsts_realdata_known_names(void **state) {
  (void)state;
  NEED_REAL();
  expect(real, "github.com", 1, "github.com", 1);
  expect(real, "api.github.com", 1, "github.com", 1);
  expect(real, "a.b.c.github.com", 1, "github.com", 1);
  expect(real, "paypal.com", 1, "paypal.com", 0);
  expect(real, "www.paypal.com", 1, "www.paypal.com", 0);
  expect(real, "history.paypal.com", 0, NULL, 0);
  expect(real, "twitter.com", 1, "twitter.com", 0);
  expect(real, "mobile.twitter.com", 0, NULL, 0);
  expect(real, "x.www.twitter.com", 1, "www.twitter.com", 1);
  expect(real, "mail.google.com", 1, "mail.google.com", 1);
  expect(real, "inbox.mail.google.com", 1, "mail.google.com", 1);
  /* case and the trailing dot of a fully qualified name */
  expect(real, "GitHub.COM.", 1, "github.com", 1);
}

static void test_hsts_realdata_names_not_listed(void **state) {
  (void)state;
  NEED_REAL();
  expect(real, "example.com", 0, NULL, 0);
  expect(real, "www.example.org", 0, NULL, 0);
  expect(real, "com", 0, NULL, 0);
  expect(real, "github.com.evil.example", 0, NULL, 0);
  expect(real, "notgithub.com", 0, NULL, 0);
  expect(real, "tlsdiag.test", 0, NULL, 0);
}

static void test_hsts_realdata_whole_tlds(void **state) {
  (void)state;
  NEED_REAL();
  static const char *const tlds[] = {"app", "dev", "bank", "google", "page",
                                     "foo", "zip", "mov"};
  for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++) {
    char name[64];
    expect(real, tlds[i], 1, tlds[i], 1);
    snprintf(name, sizeof(name), "my-project.%s", tlds[i]);
    expect(real, name, 1, tlds[i], 1);
    snprintf(name, sizeof(name), "a.b.c.%s.", tlds[i]);
    expect(real, name, 1, tlds[i], 1);
  }
  /* an IDN TLD, given as a U-label (amazon in Chinese) */
  expect(real, "xn--jlq480n2rg", 1, "xn--jlq480n2rg", 1);
  expect(real, "shop.\xe4\xba\x9a\xe9\xa9\xac\xe9\x80\x8a", 1,
         "xn--jlq480n2rg", 1);
}

/* Chromium's rule: the most specific listed name decides. www.figma.com
 * is listed without include_subdomains under figma.com, which has it: a
 * name below www.figma.com is not preloaded. */
static void test_hsts_realdata_most_specific_entry_decides(void **state) {
  (void)state;
  NEED_REAL();
  expect(real, "figma.com", 1, "figma.com", 1);
  expect(real, "api.figma.com", 1, "figma.com", 1);
  expect(real, "www.figma.com", 1, "www.figma.com", 0);
  expect(real, "static.www.figma.com", 0, NULL, 0);
  expect(real, "makeyourlaws.org", 1, "makeyourlaws.org", 1);
  expect(real, "x.www.makeyourlaws.org", 0, NULL, 0);
}

/* Chromium's net_unittests fixture, in the full format (pinsets, policy,
 * pins, expect_ct). */
static void test_hsts_realdata_chromium_unittest_fixture(void **state) {
  (void)state;
  if (!have(UNITTEST)) TD_SKIP("%s is absent", UNITTEST);
  tlsdiag_hsts_t *h = NULL;
  char err[256];
  if (tlsdiag_hsts_load_ex(UNITTEST, &h, err, sizeof(err)) != TLSDIAG_OK)
    fail_msg("%s", err);
  json_t *j = jansson_read(UNITTEST);
  assert_non_null(j);
  size_t i, force = 0;
  json_t *e;
  json_array_foreach(json_object_get(j, "entries"), i, e) force +=
      (size_t)is_force(e);
  assert_int_equal(force, 3);
  assert_int_equal(tlsdiag_hsts_count(h), force);
  expect(h, "hsts-preloaded.test", 1, "hsts-preloaded.test", 0);
  expect(h, "www.hsts-preloaded.test", 0, NULL, 0);
  expect(h, "include-subdomains-hsts-preloaded.test", 1,
         "include-subdomains-hsts-preloaded.test", 1);
  expect(h, "a.include-subdomains-hsts-preloaded.test", 1,
         "include-subdomains-hsts-preloaded.test", 1);
  expect(h, "hsts-hpkp-preloaded.test", 1, "hsts-hpkp-preloaded.test", 0);
  /* pin-only and expect-CT-only entries force nothing */
  expect(h, "no-rejected-pins-pkp.preloaded.test", 0, NULL, 0);
  expect(h, "with-report-uri-pkp.preloaded.test", 0, NULL, 0);
  expect(h, "expect-ct.preloaded.test", 0, NULL, 0);
  expect(h, "preloaded.test", 0, NULL, 0);
  json_decref(j);
  tlsdiag_hsts_free(h);
}

/* The list is read-only after load: lookups from many threads at once
 * need no lock (run under ThreadSanitizer/helgrind to see it). */
#include <pthread.h>
static void *lookups(void *arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++) {
    const char *e = NULL;
    if (!tlsdiag_hsts_lookup(real, i % 2 ? "api.github.com" : "foo.dev", &e,
                             NULL) ||
        !e)
      return (void *)1;
  }
  return NULL;
}

static void test_hsts_realdata_lookups_from_threads(void **state) {
  (void)state;
  NEED_REAL();
  pthread_t t[4];
  for (int i = 0; i < 4; i++)
    assert_int_equal(pthread_create(&t[i], NULL, lookups, NULL), 0);
  for (int i = 0; i < 4; i++) {
    void *rv = (void *)1;
    assert_int_equal(pthread_join(t[i], &rv), 0);
    assert_null(rv);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hsts_realdata_count_matches_jansson),
      cmocka_unit_test(test_hsts_realdata_every_entry_and_its_children),
      cmocka_unit_test(test_hsts_realdata_known_names),
      cmocka_unit_test(test_hsts_realdata_names_not_listed),
      cmocka_unit_test(test_hsts_realdata_whole_tlds),
      cmocka_unit_test(test_hsts_realdata_most_specific_entry_decides),
      cmocka_unit_test(test_hsts_realdata_chromium_unittest_fixture),
      cmocka_unit_test(test_hsts_realdata_lookups_from_threads),
  };
  return td_run_tests(tests, setup, teardown);
}
