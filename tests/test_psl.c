/* test_psl.c: lib/psl.c answers from the real Public Suffix List (libpsl
 * and the system's list): ICANN suffixes, private ones, eTLD+1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tdrun.h"
#include "psl.h"

static void test_psl_icann_suffixes(void **state) {
  (void)state;
  assert_int_equal(td_psl_is_public_suffix("com", TD_PSL_ICANN), 1);
  assert_int_equal(td_psl_is_public_suffix("co.uk", TD_PSL_ICANN), 1);
  assert_int_equal(td_psl_is_public_suffix("example.co.uk", TD_PSL_ICANN), 0);
  assert_int_equal(td_psl_is_public_suffix("example.com", TD_PSL_ICANN), 0);
  /* The implicit "*" rule: a TLD the list lacks is a suffix. */
  assert_int_equal(td_psl_is_public_suffix("intranet", TD_PSL_ICANN), 1);
  assert_int_equal(td_psl_is_public_suffix("", TD_PSL_ANY), 0);
  assert_int_equal(td_psl_is_public_suffix(NULL, TD_PSL_ANY), 0);
}

static void test_psl_private_section(void **state) {
  (void)state;
  /* s3.amazonaws.com and github.io are private-section rules. */
  assert_int_equal(td_psl_is_public_suffix("s3.amazonaws.com", TD_PSL_ANY), 1);
  assert_int_equal(td_psl_is_public_suffix("s3.amazonaws.com", TD_PSL_ICANN),
                   0);
  assert_int_equal(td_psl_is_public_suffix("github.io", TD_PSL_ANY), 1);
  assert_int_equal(td_psl_is_public_suffix("github.io", TD_PSL_ICANN), 0);
}

static void test_psl_registrable_domain(void **state) {
  (void)state;
  assert_string_equal(td_psl_registrable_domain("www.example.co.uk"),
                      "example.co.uk");
  assert_string_equal(td_psl_registrable_domain("a.b.example.com"),
                      "example.com");
  assert_string_equal(td_psl_registrable_domain("me.github.io"),
                      "me.github.io");
  assert_null(td_psl_registrable_domain("co.uk"));
  assert_null(td_psl_registrable_domain("com"));
  assert_null(td_psl_registrable_domain(""));
  /* IDN in A-label form under an IDN ccTLD (xn--p1ai, .рф). */
  assert_string_equal(td_psl_registrable_domain("www.xn--d1acufc.xn--p1ai"),
                      "xn--d1acufc.xn--p1ai");
}

static void test_psl_source_named(void **state) {
  (void)state;
  int64_t when = -1;
  const char *src = td_psl_source(&when);
  assert_non_null(src);
  assert_true(strcmp(src, "none") != 0);
  assert_true(when > 1262304000); /* a real date: after 2010 */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_psl_icann_suffixes),
      cmocka_unit_test(test_psl_private_section),
      cmocka_unit_test(test_psl_registrable_domain),
      cmocka_unit_test(test_psl_source_named),
  };
  return td_run_tests(tests, NULL, NULL);
}
