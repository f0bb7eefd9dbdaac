/* test_options_abi.c: the options struct can grow without breaking
 * programs built against an older header. Such a program passes a shorter
 * struct with an older `version`; the library must read only that prefix
 * and take defaults for every later field, whatever bytes follow it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "tdrun.h"

/* The last field a version-1 program knows (the layout of the 0.1 header;
 * fields are only ever appended, so it is a prefix of today's struct). */
#define V1_SIZE (offsetof(tlsdiag_options_t, keylog_file) + sizeof(char *))

/* A version-1 struct as an old program hands it over: its own fields set,
 * and garbage where today's later fields lie (that memory is not the
 * caller's struct at all). */
static tlsdiag_options_t *old_caller(unsigned char fill) {
  tlsdiag_options_t *o = malloc(sizeof(*o));
  assert_non_null(o);
  memset(o, fill, sizeof(*o));
  tlsdiag_options_t def;
  tlsdiag_options_init(&def);
  def.version = 1;
  def.port = 8443;
  def.sni = "sni.example";
  memcpy(o, &def, V1_SIZE);
  return o;
}

static void test_options_abi_v1_prefix_then_defaults(void **state) {
  (void)state;
  tlsdiag_options_t *o = old_caller(0xA5);
  tlsdiag_options_t tmp;
  const tlsdiag_options_t *in = td_options_import(o, &tmp);
  assert_ptr_equal(in, &tmp);
  assert_int_equal(in->version, TLSDIAG_OPTIONS_VERSION);
  /* the caller's fields */
  assert_int_equal(in->port, 8443);
  assert_string_equal(in->sni, "sni.example");
  assert_null(in->keylog_file);
  /* every later field: the default, not the garbage after the struct */
  assert_null(in->connect_to);
  assert_null(in->client_cert);
  assert_null(in->client_key);
  assert_null(in->client_cert_password);
  assert_null(in->address_filter);
  assert_null(in->address_filter_data);
  free(o);
}

/* Through the public API: the validation a check runs accepts the old
 * struct (garbage in the later fields would be an unreadable client
 * certificate or a bogus connect_to list). */
static void test_options_abi_v1_accepted_by_the_api(void **state) {
  (void)state;
  tlsdiag_options_t *o = old_caller(0xFF);
  char why[256] = "";
  assert_int_equal(tlsdiag_options_check(o, why, sizeof(why)), TLSDIAG_OK);
  free(o);
}

static void test_options_abi_current_is_used_as_is(void **state) {
  (void)state;
  tlsdiag_options_t o, tmp;
  tlsdiag_options_init(&o);
  assert_int_equal(o.version, TLSDIAG_OPTIONS_VERSION);
  assert_ptr_equal(td_options_import(&o, &tmp), &o);
  const tlsdiag_options_t *d = td_options_import(NULL, &tmp);
  assert_ptr_equal(d, &tmp);
  assert_int_equal(d->port, 443);
}

static void test_options_abi_unknown_versions_refused(void **state) {
  (void)state;
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  char why[256] = "";
  o.version = 0;
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)),
                   TLSDIAG_E_OPTIONS);
  o.version = TLSDIAG_OPTIONS_VERSION + 1; /* from a newer header */
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)),
                   TLSDIAG_E_OPTIONS);
  tlsdiag_result_t *r = NULL;
  assert_int_equal(tlsdiag_check("localhost", &o, &r), TLSDIAG_E_OPTIONS);
  assert_null(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options_abi_v1_prefix_then_defaults),
      cmocka_unit_test(test_options_abi_v1_accepted_by_the_api),
      cmocka_unit_test(test_options_abi_current_is_used_as_is),
      cmocka_unit_test(test_options_abi_unknown_versions_refused),
  };
  return td_run_tests(tests, NULL, NULL);
}
