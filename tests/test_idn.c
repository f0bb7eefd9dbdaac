/* test_idn.c: host names to A-labels, IP literal detection, the host
 * check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdrun.h"

#include "engine.h"
#include "internal.h"

/* Converts and expects success with exactly `want`. */
static void expect_ace(const char *in, const char *want) {
  const char *err = "unset";
  char *out = td_idn_to_ascii(in, &err);
  if (!out) fail_msg("%s: unexpected error: %s", in, err ? err : "(null)");
  assert_null(err);
  assert_string_equal(out, want);
  free(out);
}

/* Converts and expects failure with exactly the message `want`. */
static void expect_err(const char *in, const char *want) {
  const char *err = NULL;
  char *out = td_idn_to_ascii(in, &err);
  if (out) fail_msg("%s: expected an error, got %s", in ? in : "(null)", out);
  assert_non_null(err);
  assert_string_equal(err, want);
}

/* "a" repeated n times */
static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  assert_non_null(s);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void test_idn_ulabel_becomes_alabel(void **state) {
  (void)state;
  expect_ace("b\xc3\xbc" "cher.example", "xn--bcher-kva.example");
  expect_ace("\xc3\xa9", "xn--9ca");
}

static void test_idn_uppercase_is_folded(void **state) {
  (void)state;
  expect_ace("WWW.Example.COM", "www.example.com");
  expect_ace("B\xc3\x9c" "CHER.Example", "xn--bcher-kva.example");
}

static void test_idn_trailing_dot_is_removed(void **state) {
  (void)state;
  expect_ace("example.com.", "example.com");
  expect_ace("b\xc3\xbc" "cher.example.", "xn--bcher-kva.example");
  /* a mapped ideographic full stop is a dot too */
  expect_ace("b\xc3\xbc" "cher\xe3\x80\x82" "example",
             "xn--bcher-kva.example");
}

static void test_idn_ascii_names_pass_through(void **state) {
  (void)state;
  expect_ace("_dmarc.example.com", "_dmarc.example.com");
  /* CheckHyphens is off, as in browsers: real hosts look like this */
  expect_ace("r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com");
  expect_ace("localhost", "localhost");
  expect_ace("192.0.2.1", "192.0.2.1");
}

static void test_idn_label_of_63_bytes_is_accepted(void **state) {
  (void)state;
  char *label = repeat('a', 63);
  char *name = td_asprintf("%s.example", label);
  expect_ace(name, name);
  free(label);
  free(name);
}

static void test_idn_label_of_64_bytes_is_rejected(void **state) {
  (void)state;
  char *label = repeat('a', 64);
  char *name = td_asprintf("%s.example", label);
  expect_err(name, "label longer than 63 bytes");
  free(label);
  free(name);
}

/* 63+1+63+1+63+1+61 = 253 */
static void test_idn_name_of_253_bytes_is_accepted(void **state) {
  (void)state;
  char *l63 = repeat('a', 63), *l61 = repeat('b', 61);
  char *name = td_asprintf("%s.%s.%s.%s", l63, l63, l63, l61);
  assert_int_equal(strlen(name), 253);
  expect_ace(name, name);
  free(name);
  free(l63);
  free(l61);
}

static void test_idn_name_of_254_bytes_is_rejected(void **state) {
  (void)state;
  char *l63 = repeat('a', 63), *l62 = repeat('b', 62);
  char *name = td_asprintf("%s.%s.%s.%s", l63, l63, l63, l62);
  assert_int_equal(strlen(name), 254);
  expect_err(name, "host name longer than 253 bytes");
  /* with the root dot it is still 254 bytes of name */
  char *fqdn = td_asprintf("%s.", name);
  expect_err(fqdn, "host name longer than 253 bytes");
  char *huge = repeat('a', 100000);
  expect_err(huge, "host name longer than 253 bytes");
  free(huge);
  free(fqdn);
  free(name);
  free(l63);
  free(l62);
}

static void test_idn_empty_name_is_rejected(void **state) {
  (void)state;
  expect_err("", "host name is empty");
  expect_err(".", "host name is empty");
  expect_err(NULL, "host name is empty");
}

static void test_idn_empty_label_is_rejected(void **state) {
  (void)state;
  expect_err("a..b", "empty label in host name");
  expect_err(".example.com", "empty label in host name");
  expect_err("example.com..", "empty label in host name");
}

static void test_idn_invalid_punycode_is_rejected(void **state) {
  (void)state;
  expect_err("xn--zz", "invalid IDN: string contains invalid punycode data");
  expect_err("xn--zz.example",
             "invalid IDN: string contains invalid punycode data");
  expect_err("XN--ZZ.example",
             "invalid IDN: string contains invalid punycode data");
  /* decodes to plain "abc": not an A-label */
  expect_err("xn--abc-.example",
             "invalid IDN: string contains invalid punycode data");
}

static void test_idn_valid_alabel_is_kept(void **state) {
  (void)state;
  expect_ace("xn--bcher-kva.example", "xn--bcher-kva.example");
  expect_ace("XN--BCHER-KVA.Example", "xn--bcher-kva.example");
}

static void test_idn_disallowed_characters_are_rejected(void **state) {
  (void)state;
  const char *msg = "host name contains a character not allowed in host names";
  expect_err("a b.example", msg);
  expect_err("a/b.example", msg);
  expect_err("exa\x01mple.com", msg);
  expect_err("example.com\r\nX: y", msg);
  expect_err("[::1]", msg);
  expect_err("user@example.com", msg);
  expect_err("example.com:443", msg);
  /* a space next to a U-label survives libidn2: we still refuse it */
  expect_err("b\xc3\xbc" "cher x.example", msg);
}

static void test_idn_invalid_utf8_is_rejected(void **state) {
  (void)state;
  expect_err("exa\xffmple.com", "invalid IDN: string encoding error");
}

/* Non-transitional, as browsers: ß stays ß (xn--fa-hia), not "ss". */
static void test_idn_uses_nontransitional_mapping(void **state) {
  (void)state;
  expect_ace("fa\xc3\x9f.de", "xn--fa-hia.de");
  /* capital sharp s maps to "ss" in both modes */
  expect_ace("\xe1\xba\x9e.de", "ss.de");
}

/* Symbols UTS#46 allows and libidn2's IDNA2008 check refuses. */
static void test_idn_symbols_fall_back_like_browsers(void **state) {
  (void)state;
  expect_ace("\xe2\x98\x83.net", "xn--n3h.net");
  expect_ace("xn--n3h.net", "xn--n3h.net");
  expect_ace("\xf0\x9f\x92\xa9.la", "xn--ls8h.la");
}

static void test_idn_to_unicode_decodes_alabels(void **state) {
  (void)state;
  char *u = td_idn_to_unicode("xn--bcher-kva.example");
  assert_non_null(u);
  assert_string_equal(u, "b\xc3\xbc" "cher.example");
  free(u);
  u = td_idn_to_unicode("www.example.com");
  assert_string_equal(u, "www.example.com");
  free(u);
  assert_null(td_idn_to_unicode("xn--zz"));
  assert_null(td_idn_to_unicode(NULL));
}

static void test_idn_ip_literal_detection(void **state) {
  (void)state;
  assert_int_equal(td_is_ip_literal("192.0.2.1"), 1);
  assert_int_equal(td_is_ip_literal("0.0.0.0"), 1);
  assert_int_equal(td_is_ip_literal("::1"), 1);
  assert_int_equal(td_is_ip_literal("2001:db8::1"), 1);
  assert_int_equal(td_is_ip_literal("::ffff:192.0.2.1"), 1);
  assert_int_equal(td_is_ip_literal("[::1]"), 0);
  assert_int_equal(td_is_ip_literal("1.2.3"), 0);
  assert_int_equal(td_is_ip_literal("256.1.1.1"), 0);
  assert_int_equal(td_is_ip_literal("1.2.3.4 "), 0);
  assert_int_equal(td_is_ip_literal("fe80::1%eth0"), 0);
  assert_int_equal(td_is_ip_literal("example.com"), 0);
  assert_int_equal(td_is_ip_literal(""), 0);
  assert_int_equal(td_is_ip_literal(NULL), 0);
}

/* td_host_check: one answer for every entry point (tlsdiag_check,
 * tlsdiag_multi_add, tlsdiag_host_check, --resolve pins). */
static void expect_host(const char *in, tlsdiag_err_t rc, const char *ace,
                        int is_ip, const char *why) {
  char *out = (char *)"unset";
  int ip = -1;
  const char *w = "unset";
  assert_int_equal(td_host_check(in, &out, &ip, &w), rc);
  if (rc == TLSDIAG_OK) {
    assert_string_equal(out, ace);
    assert_int_equal(ip, is_ip);
    assert_null(w);
  } else {
    assert_null(out);
    assert_int_equal(ip, 0);
    if (why) assert_string_equal(w, why);
  }
  free(out);
  const char *pw = "unset";
  assert_int_equal(tlsdiag_host_check(in, &pw), rc);
  if (why) assert_string_equal(pw, why);
}

static void test_idn_host_check_is_one_function(void **state) {
  (void)state;
  expect_host("Bücher.DE.", TLSDIAG_OK, "xn--bcher-kva.de", 0, NULL);
  expect_host("192.0.2.1", TLSDIAG_OK, "192.0.2.1", 1, NULL);
  expect_host("[2001:db8::1]", TLSDIAG_OK, "2001:db8::1", 1, NULL);
  expect_host("::1", TLSDIAG_OK, "::1", 1, NULL);
  expect_host("[example.test]", TLSDIAG_E_HOST, NULL, 0,
              "not an IPv6 address inside the brackets");
  expect_host("[::1", TLSDIAG_E_HOST, NULL, 0,
              "not an IPv6 address inside the brackets");
  expect_host("a b.test", TLSDIAG_E_HOST, NULL, 0,
              "host name contains a character not allowed in host names");
  expect_host("", TLSDIAG_E_HOST, NULL, 0, "host name is empty");
  expect_host(NULL, TLSDIAG_E_INVAL, NULL, 0, NULL);
  /* NULL out-parameters are allowed */
  assert_int_equal(td_host_check("example.test", NULL, NULL, NULL), TLSDIAG_OK);
}

/* A --resolve pin names its host as the target does: its A-label, so a
 * U-label, capitals or a trailing dot still pin; a malformed host is a
 * bad pin, not a pin that silently never matches. */
static void test_idn_resolve_pin_host_is_checked_like_the_target(void **state) {
  (void)state;
  td_pin_t pin;
  assert_int_equal(td_pin_parse("Bücher.DE.:443:127.0.0.1", &pin), TLSDIAG_OK);
  assert_string_equal(pin.host, "xn--bcher-kva.de");
  assert_int_equal(pin.port, 443);
  assert_int_equal(pin.naddrs, 1);
  td_pin_clear(&pin);
  assert_int_equal(td_pin_parse("192.0.2.7:8443:[::1]", &pin), TLSDIAG_OK);
  assert_string_equal(pin.host, "192.0.2.7");
  assert_string_equal(pin.addrs[0], "::1");
  td_pin_clear(&pin);
  assert_int_equal(td_pin_parse("bad host!:443:127.0.0.1", &pin),
                   TLSDIAG_E_RESOLVE);
  assert_null(pin.host);
  assert_int_equal(td_pin_parse("a..b:443:127.0.0.1", &pin), TLSDIAG_E_RESOLVE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_idn_ulabel_becomes_alabel),
      cmocka_unit_test(test_idn_uppercase_is_folded),
      cmocka_unit_test(test_idn_trailing_dot_is_removed),
      cmocka_unit_test(test_idn_ascii_names_pass_through),
      cmocka_unit_test(test_idn_label_of_63_bytes_is_accepted),
      cmocka_unit_test(test_idn_label_of_64_bytes_is_rejected),
      cmocka_unit_test(test_idn_name_of_253_bytes_is_accepted),
      cmocka_unit_test(test_idn_name_of_254_bytes_is_rejected),
      cmocka_unit_test(test_idn_empty_name_is_rejected),
      cmocka_unit_test(test_idn_empty_label_is_rejected),
      cmocka_unit_test(test_idn_invalid_punycode_is_rejected),
      cmocka_unit_test(test_idn_valid_alabel_is_kept),
      cmocka_unit_test(test_idn_disallowed_characters_are_rejected),
      cmocka_unit_test(test_idn_invalid_utf8_is_rejected),
      cmocka_unit_test(test_idn_uses_nontransitional_mapping),
      cmocka_unit_test(test_idn_symbols_fall_back_like_browsers),
      cmocka_unit_test(test_idn_to_unicode_decodes_alabels),
      cmocka_unit_test(test_idn_ip_literal_detection),
      cmocka_unit_test(test_idn_host_check_is_one_function),
      cmocka_unit_test(test_idn_resolve_pin_host_is_checked_like_the_target),
  };
  return td_run_tests(tests, NULL, NULL);
}
