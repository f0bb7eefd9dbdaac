/* test_hsts_list.c: loading preload lists: the fixtures in tests/data/hsts
 * (comments, Chromium's full format, every kind of broken file) and
 * hostile input from memory. Each error must be TLSDIAG_E_HSTS_LIST with
 * the line and column, never a crash or a leak. The real list is in
 * test_hsts_realdata.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdrun.h"

#include "tlsdiag/tlsdiag.h"

#define DATA TD_SOURCE_DIR "/tests/data/hsts/"

static tlsdiag_hsts_t *load_ok(const char *file) {
  tlsdiag_hsts_t *h = NULL;
  char err[256] = "";
  tlsdiag_err_t e = tlsdiag_hsts_load_ex(file, &h, err, sizeof(err));
  if (e != TLSDIAG_OK) fail_msg("%s: %s (%s)", file, tlsdiag_strerror(e), err);
  assert_non_null(h);
  return h;
}

/* Loads `file` expecting failure with this message. */
static void load_fails(const char *file, tlsdiag_err_t want, const char *msg) {
  tlsdiag_hsts_t *h = (tlsdiag_hsts_t *)1;
  char err[256] = "";
  tlsdiag_err_t e = tlsdiag_hsts_load_ex(file, &h, err, sizeof(err));
  assert_null(h);
  if (e != want || strcmp(err, msg))
    fail_msg("%s: got %d '%s', expected %d '%s'", file, e, err, want, msg);
  /* the plain API gives a static reason */
  const char *why = NULL;
  h = (tlsdiag_hsts_t *)1;
  assert_int_equal(tlsdiag_hsts_load(file, &h, &why), want);
  assert_null(h);
  assert_non_null(why);
}

static void mem_fails(const char *json, const char *msg) {
  tlsdiag_hsts_t *h = (tlsdiag_hsts_t *)1;
  char err[256] = "";
  tlsdiag_err_t e = tlsdiag_hsts_load_mem(json, strlen(json), &h, err,
                                          sizeof(err));
  assert_null(h);
  if (e != TLSDIAG_E_HSTS_LIST || strcmp(err, msg))
    fail_msg("%s\n  got %d '%s', expected '%s'", json, e, err, msg);
}

static tlsdiag_hsts_t *mem_ok(const char *json) {
  tlsdiag_hsts_t *h = NULL;
  char err[256] = "";
  tlsdiag_err_t e = tlsdiag_hsts_load_mem(json, strlen(json), &h, err,
                                          sizeof(err));
  if (e != TLSDIAG_OK) fail_msg("%s\n  rejected: %s", json, err);
  return h;
}

static void expect(const tlsdiag_hsts_t *h, const char *name, int preloaded,
                   const char *entry, int subs) {
  const char *e = (const char *)1;
  int s = -1;
  int got = tlsdiag_hsts_lookup(h, name, &e, &s);
  if (got != preloaded)
    fail_msg("%s: preloaded %d, expected %d", name, got, preloaded);
  if (!preloaded) {
    assert_null(e);
    assert_int_equal(s, 0);
    return;
  }
  assert_string_equal(e, entry);
  assert_int_equal(s, subs);
}

/* ---- files --------------------------------------------------------------- */

static void test_hsts_list_comments_everywhere(void **state) {
  (void)state;
  tlsdiag_hsts_t *h = load_ok(DATA "comments.json");
  assert_int_equal(tlsdiag_hsts_count(h), 5);
  expect(h, "example.test", 1, "example.test", 1);
  expect(h, "a.b.example.test", 1, "example.test", 1);
  expect(h, "exact.test", 1, "exact.test", 0);
  expect(h, "www.exact.test", 0, NULL, 0);
  /* names are lowercased, escapes decoded */
  expect(h, "upper.test", 1, "upper.test", 0);
  expect(h, "UPPER.TEST.", 1, "upper.test", 0);
  expect(h, "escaped.test", 1, "escaped.test", 0);
  /* a whole TLD */
  expect(h, "tld", 1, "tld", 1);
  expect(h, "anything.tld", 1, "tld", 1);
  expect(h, "tld.example", 0, NULL, 0);
  /* a pin-only entry under an includeSubDomains one shadows it */
  expect(h, "pins.example.test", 0, NULL, 0);
  expect(h, "x.pins.example.test", 0, NULL, 0);
  expect(h, "x.example.test", 1, "example.test", 1);
  tlsdiag_hsts_free(h);
}

static void test_hsts_list_full_chromium_format(void **state) {
  (void)state;
  tlsdiag_hsts_t *h = load_ok(DATA "full_format.json");
  assert_int_equal(tlsdiag_hsts_count(h), 4);
  expect(h, "hsts.full.test", 1, "hsts.full.test", 0);
  expect(h, "x.hsts.full.test", 0, NULL, 0);
  expect(h, "subs.full.test", 1, "subs.full.test", 1);
  expect(h, "x.y.subs.full.test", 1, "subs.full.test", 1);
  expect(h, "pinned.full.test", 0, NULL, 0);
  expect(h, "x.pinned.full.test", 0, NULL, 0);
  expect(h, "both.full.test", 1, "both.full.test", 1);
  expect(h, "ct.full.test", 0, NULL, 0);
  expect(h, "future.full.test", 1, "future.full.test", 0);
  expect(h, "full.test", 0, NULL, 0);
  tlsdiag_hsts_free(h);
}

static void test_hsts_list_bad_json_says_where(void **state) {
  (void)state;
  load_fails(DATA "bad_json.json", TLSDIAG_E_HSTS_LIST,
             "line 5, column 5: ',' or ']' expected (after entry 1)");
}

static void test_hsts_list_wrong_types_are_errors(void **state) {
  (void)state;
  load_fails(DATA "name_not_string.json", TLSDIAG_E_HSTS_LIST,
             "line 4, column 15: \"name\" is not a string (entry 2)");
  load_fails(DATA "subdomains_not_bool.json", TLSDIAG_E_HSTS_LIST,
             "line 3, column 70: \"include_subdomains\" is not a boolean "
             "(entry 1)");
  load_fails(DATA "mode_unknown.json", TLSDIAG_E_HSTS_LIST,
             "line 1, column 44: unknown \"mode\" (only \"force-https\" is "
             "known) (entry 1)");
  load_fails(DATA "entries_not_array.json", TLSDIAG_E_HSTS_LIST,
             "line 1, column 14: \"entries\" is not an array");
}

static void test_hsts_list_truncated_file(void **state) {
  (void)state;
  load_fails(DATA "truncated.json", TLSDIAG_E_HSTS_LIST,
             "line 5, column 15: unterminated string (entry 2)");
}

static void test_hsts_list_empty_file(void **state) {
  (void)state;
  load_fails(DATA "empty.json", TLSDIAG_E_HSTS_LIST,
             "line 1, column 1: empty file (no JSON object)");
}

static void test_hsts_list_deep_nesting_is_refused(void **state) {
  (void)state;
  load_fails(DATA "deep_nesting.json", TLSDIAG_E_HSTS_LIST,
             "line 2, column 57: nesting deeper than 32 levels");
}

static void test_hsts_list_unreadable_files(void **state) {
  (void)state;
  load_fails(DATA "no-such-file.json", TLSDIAG_E_HSTS_LIST,
             "cannot open: No such file or directory");
  load_fails(DATA, TLSDIAG_E_HSTS_LIST, "is a directory, not a file");
  /* a character device reads as empty */
  load_fails("/dev/null", TLSDIAG_E_HSTS_LIST,
             "line 1, column 1: empty file (no JSON object)");
}

static void test_hsts_list_bad_arguments(void **state) {
  (void)state;
  tlsdiag_hsts_t *h = NULL;
  char err[64];
  assert_int_equal(tlsdiag_hsts_load(NULL, &h, NULL), TLSDIAG_E_INVAL);
  assert_int_equal(tlsdiag_hsts_load(DATA "comments.json", NULL, NULL),
                   TLSDIAG_E_INVAL);
  assert_int_equal(tlsdiag_hsts_load_mem(NULL, 5, &h, err, sizeof(err)),
                   TLSDIAG_E_INVAL);
  assert_string_equal(err, "invalid argument");
  /* a one-byte buffer still gets its NUL, a NULL one is fine */
  err[0] = 'x';
  assert_int_equal(tlsdiag_hsts_load_mem("[", 1, &h, err, 1),
                   TLSDIAG_E_HSTS_LIST);
  assert_int_equal(err[0], 0);
  assert_int_equal(tlsdiag_hsts_load_mem("[", 1, &h, NULL, 0),
                   TLSDIAG_E_HSTS_LIST);
  tlsdiag_hsts_free(NULL);
  assert_int_equal(tlsdiag_hsts_count(NULL), 0);
  assert_int_equal(tlsdiag_hsts_lookup(NULL, "a.test", NULL, NULL), 0);
}

/* ---- hostile input from memory ------------------------------------------- */

static void test_hsts_list_json_syntax_errors(void **state) {
  (void)state;
  mem_fails("[]", "line 1, column 1: the top level is not a JSON object");
  mem_fails("{}", "line 1, column 1: no \"entries\" array");
  mem_fails("{\"entries\": []} x", "line 1, column 17: data after the "
                                   "top-level object");
  mem_fails("{\"entries\": [],}", "line 1, column 16: trailing comma");
  mem_fails("{\"entries\": [{\"name\": \"a.test\",}]}",
            "line 1, column 32: trailing comma (entry 1)");
  mem_fails("{\"entries\": [] \"x\": 1}", "line 1, column 16: ',' or '}' "
                                          "expected");
  mem_fails("{\"entries\" []}", "line 1, column 12: ':' expected after a "
                                "member name");
  mem_fails("{entries: []}", "line 1, column 2: a member name (string) was "
                             "expected");
  mem_fails("{\"entries\": [], \"x\": tru}",
            "line 1, column 22: invalid literal (true, false or null "
            "expected)");
  mem_fails("{\"entries\": [], \"x\": 01}", "line 1, column 23: ',' or '}' "
                                            "expected");
  mem_fails("{\"entries\": [], \"x\": -}", "line 1, column 23: invalid number");
  mem_fails("{\"entries\": [], \"x\": 1.}", "line 1, column 24: invalid number");
  mem_fails("{\"entries\": [], \"x\": 1e}", "line 1, column 24: invalid number");
  mem_fails("{\"entries\": [], \"x\": 'a'}",
            "line 1, column 22: unexpected character (a JSON value was "
            "expected)");
  mem_fails("{\"entries\": [] /* open", "line 1, column 16: unterminated /* "
                                        "comment");
  mem_fails("{\"entries\": [] / }", "line 1, column 16: ',' or '}' expected");
  mem_fails("{\"entries\": [", "line 1, column 14: unexpected end of file "
                               "(truncated?) (entry 1)");
  mem_fails("{\"entries\": [{\"name\"", "line 1, column 21: ':' expected after "
                                        "a member name (entry 1)");
  mem_fails("{\"entries\": [], \"entries\": []}",
            "line 1, column 17: \"entries\" appears twice");
}

static void test_hsts_list_string_errors(void **state) {
  (void)state;
  mem_fails("{\"entries\": [], \"x\": \"a\tb\"}",
            "line 1, column 24: control character in a string");
  mem_fails("{\"entries\": [], \"x\": \"a\nb\"}",
            "line 1, column 24: unterminated string (newline inside)");
  mem_fails("{\"entries\": [], \"x\": \"\\q\"}",
            "line 1, column 24: unknown escape in a string");
  mem_fails("{\"entries\": [], \"x\": \"\\u12\"}",
            "line 1, column 25: bad \\u escape (4 hex digits expected)");
  mem_fails("{\"entries\": [], \"x\": \"\\ud800\"}",
            "line 1, column 29: unpaired surrogate in a \\u escape");
  mem_fails("{\"entries\": [], \"x\": \"\\udc00\"}",
            "line 1, column 29: unpaired surrogate in a \\u escape");
  mem_fails("{\"entries\": [], \"x\": \"\xC0\xAF\"}",
            "line 1, column 23: invalid UTF-8 in a string");
  mem_fails("{\"entries\": [], \"x\": \"\xED\xA0\x80\"}",
            "line 1, column 23: invalid UTF-8 in a string");
  /* a valid pair and valid UTF-8 are fine */
  tlsdiag_hsts_t *h = mem_ok("{\"entries\": [], \"x\": \"\\ud83d\\ude00 "
                             "\xF0\x9F\x98\x80 \\u00e9\"}");
  assert_int_equal(tlsdiag_hsts_count(h), 0);
  tlsdiag_hsts_free(h);
}

static void test_hsts_list_nul_bytes(void **state) {
  (void)state;
  static const char a[] = "{\"entries\": [{\"name\": \"a\0b\"}]}";
  tlsdiag_hsts_t *h = (tlsdiag_hsts_t *)1;
  char err[128];
  assert_int_equal(tlsdiag_hsts_load_mem(a, sizeof(a) - 1, &h, err,
                                         sizeof(err)),
                   TLSDIAG_E_HSTS_LIST);
  assert_null(h);
  assert_string_equal(err, "line 1, column 25: control character in a string "
                           "(entry 1)");
  static const char c[] = "{\"entries\": [] // a\0b\n}";
  assert_int_equal(tlsdiag_hsts_load_mem(c, sizeof(c) - 1, &h, err,
                                         sizeof(err)),
                   TLSDIAG_E_HSTS_LIST);
  assert_string_equal(err, "line 1, column 20: NUL byte in a comment");
  static const char d[] = "{\"entries\": [] /* a\0b */}";
  assert_int_equal(tlsdiag_hsts_load_mem(d, sizeof(d) - 1, &h, err,
                                         sizeof(err)),
                   TLSDIAG_E_HSTS_LIST);
  assert_string_equal(err, "line 1, column 20: NUL byte in a comment");
  static const char b[] = "{\"entries\": []}\0";
  assert_int_equal(tlsdiag_hsts_load_mem(b, sizeof(b) - 1, &h, err,
                                         sizeof(err)),
                   TLSDIAG_E_HSTS_LIST);
  assert_string_equal(err, "line 1, column 16: data after the top-level "
                           "object");
}

static void test_hsts_list_entry_errors(void **state) {
  (void)state;
  mem_fails("{\"entries\": [1]}", "line 1, column 14: an entry is not an "
                                  "object (entry 1)");
  mem_fails("{\"entries\": [{}]}", "line 1, column 14: an entry has no "
                                   "\"name\" (entry 1)");
  mem_fails("{\"entries\": [{\"mode\": \"force-https\"}]}",
            "line 1, column 14: an entry has no \"name\" (entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"a.test\", \"name\": \"b.test\"}]}",
            "line 1, column 33: a member appears twice in an entry (entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"\"}]}",
            "line 1, column 23: \"name\" is not a host name (entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"a b.test\"}]}",
            "line 1, column 23: \"name\" is not a host name (entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"a..test\"}]}",
            "line 1, column 23: \"name\" is not a host name (entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"a.test.\"}]}",
            "line 1, column 23: \"name\" is not a host name (entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"b\\u00fccher.test\"}]}",
            "line 1, column 23: \"name\" is not a host name (entry 1)");
  mem_fails("{\"entries\": [{\"name\": null}]}",
            "line 1, column 23: \"name\" is not a string (entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"a.test\", \"mode\": 1}]}",
            "line 1, column 41: \"mode\" is not a string (entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"a.test\", \"include_subdomains\": 1}]}",
            "line 1, column 55: \"include_subdomains\" is not a boolean "
            "(entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"a.test\", \"include_subdomains\": "
            "null}]}",
            "line 1, column 55: \"include_subdomains\" is not a boolean "
            "(entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"a.test\", \"pins\": []}]}",
            "line 1, column 41: \"pins\" is not a string (entry 1)");
  mem_fails("{\"entries\": [{\"name\": \"a.test\", \"expect_ct\": \"yes\"}]}",
            "line 1, column 46: \"expect_ct\" is not a boolean (entry 1)");
  mem_fails("{\"entries\": [\n {\"name\": \"a.test\"},\n {\"name\": \"A.Test\"}\n]}",
            "line 3, column 11: \"a.test\" is listed twice");
  /* label and name limits */
  char big[400];
  snprintf(big, sizeof(big), "{\"entries\": [{\"name\": \"%0*d.test\"}]}", 64,
           0);
  mem_fails(big, "line 1, column 23: \"name\" is not a host name (entry 1)");
  snprintf(big, sizeof(big), "{\"entries\": [{\"name\": \"%0*d.test\"}]}", 63,
           0);
  tlsdiag_hsts_t *h = mem_ok(big);
  tlsdiag_hsts_free(h);
}

static void test_hsts_list_empty_entries_and_lookups(void **state) {
  (void)state;
  tlsdiag_hsts_t *h = mem_ok("\xEF\xBB\xBF{\"entries\": []}");
  assert_int_equal(tlsdiag_hsts_count(h), 0);
  expect(h, "a.test", 0, NULL, 0);
  tlsdiag_hsts_free(h);
}

static void test_hsts_list_lookup_of_odd_names(void **state) {
  (void)state;
  tlsdiag_hsts_t *h = mem_ok(
      "{\"entries\": [{\"name\": \"a.test\", \"mode\": \"force-https\", "
      "\"include_subdomains\": true}, {\"name\": \"test\", \"mode\": "
      "\"force-https\"}, {\"name\": \"xn--bcher-kva.test\", \"mode\": "
      "\"force-https\"}]}");
  expect(h, "a.test", 1, "a.test", 1);
  expect(h, "A.TEST", 1, "a.test", 1);
  expect(h, "a.test.", 1, "a.test", 1);
  expect(h, "a.test..", 0, NULL, 0);
  expect(h, ".a.test", 1, "a.test", 1); /* an empty label is no entry */
  expect(h, "x..a.test", 1, "a.test", 1);
  expect(h, "", 0, NULL, 0);
  expect(h, ".", 0, NULL, 0);
  expect(h, "test", 1, "test", 0);
  expect(h, "b.test", 0, NULL, 0);
  expect(h, "ba.test", 0, NULL, 0);
  expect(h, "a test", 0, NULL, 0);
  /* UTF-8 names are converted to A-labels */
  expect(h, "bücher.test", 1, "xn--bcher-kva.test", 0);
  expect(h, "BÜCHER.test", 1, "xn--bcher-kva.test", 0);
  expect(h, "\xff\xfe.test", 0, NULL, 0);
  /* longer than a DNS name */
  char longname[600];
  memset(longname, 'a', sizeof(longname));
  memcpy(longname + sizeof(longname) - 8, ".a.test", 8);
  expect(h, longname, 0, NULL, 0);
  int subs = 7;
  assert_int_equal(tlsdiag_hsts_lookup(h, "a.test", NULL, &subs), 1);
  assert_int_equal(subs, 1);
  assert_int_equal(tlsdiag_hsts_lookup(h, NULL, NULL, NULL), 0);
  tlsdiag_hsts_free(h);
}

/* The index keeps working past its growth steps. */
static void test_hsts_list_many_entries(void **state) {
  (void)state;
  size_t n = 50000;
  char *s = malloc(n * 80 + 64);
  assert_non_null(s);
  size_t k = (size_t)sprintf(s, "{\"entries\": [\n");
  for (size_t i = 0; i < n; i++)
    k += (size_t)sprintf(s + k, "%s{\"name\": \"n%zu.test\", \"mode\": "
                         "\"force-https\"%s}\n",
                         i ? "," : "", i,
                         i % 2 ? ", \"include_subdomains\": true" : "");
  k += (size_t)sprintf(s + k, "]}\n");
  tlsdiag_hsts_t *h = NULL;
  char err[128];
  assert_int_equal(tlsdiag_hsts_load_mem(s, k, &h, err, sizeof(err)),
                   TLSDIAG_OK);
  assert_int_equal(tlsdiag_hsts_count(h), n);
  for (size_t i = 0; i < n; i += 997) {
    char name[64], want[64];
    snprintf(want, sizeof(want), "n%zu.test", i);
    expect(h, want, 1, want, (int)(i % 2));
    snprintf(name, sizeof(name), "www.n%zu.test", i);
    expect(h, name, (int)(i % 2), want, 1);
  }
  tlsdiag_hsts_free(h);
  free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hsts_list_comments_everywhere),
      cmocka_unit_test(test_hsts_list_full_chromium_format),
      cmocka_unit_test(test_hsts_list_bad_json_says_where),
      cmocka_unit_test(test_hsts_list_wrong_types_are_errors),
      cmocka_unit_test(test_hsts_list_truncated_file),
      cmocka_unit_test(test_hsts_list_empty_file),
      cmocka_unit_test(test_hsts_list_deep_nesting_is_refused),
      cmocka_unit_test(test_hsts_list_unreadable_files),
      cmocka_unit_test(test_hsts_list_bad_arguments),
      cmocka_unit_test(test_hsts_list_json_syntax_errors),
      cmocka_unit_test(test_hsts_list_string_errors),
      cmocka_unit_test(test_hsts_list_nul_bytes),
      cmocka_unit_test(test_hsts_list_entry_errors),
      cmocka_unit_test(test_hsts_list_empty_entries_and_lookups),
      cmocka_unit_test(test_hsts_list_lookup_of_odd_names),
      cmocka_unit_test(test_hsts_list_many_entries),
  };
  return td_run_tests(tests, NULL, NULL);
}
