/* test_connect_to: curl's --connect-to HOST1:PORT1:HOST2:PORT2 moves the
 * checked host's TCP destination (DNS, pins and every connection), never
 * its name: SNI, Host header and certificate name stay HOST1's, and the
 * report says where the bytes went. */
#include "tdtest.h"

/* Options with our root trusted and no resolve pin: only the rule can
 * bring the check to the loopback server. */
static void opts_no_pin(tt_opts_t *t) { tt_opts(t, NULL, 443); }

static const char *rules3[3];

static void set_rules(tlsdiag_options_t *o, const char *a, const char *b) {
  rules3[0] = a;
  rules3[1] = b;
  rules3[2] = NULL;
  o->connect_to = rules3;
}

static void expect_target(const tlsdiag_result_t *r, const char *rule,
                          const char *host, uint16_t port) {
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "target.connect_to.rule"), rule);
  assert_string_equal(tt_jstr(j, "target.connect_to.host"), host);
  assert_int_equal(json_integer_value(tt_jget(j, "target.connect_to.port")),
                   port);
  assert_int_equal(json_integer_value(tt_jget(j, "target.port")), 443);
  json_decref(j);
}

/* HOST1:PORT1 matched: the name is kept (SNI, certificate), the bytes go
 * to 127.0.0.1:PORT2 without any DNS. */
static void test_connect_to_moves_destination_not_name(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  tt_opts_t t;
  opts_no_pin(&t);
  char rule[96];
  snprintf(rule, sizeof(rule), "valid.tlsdiag.test:443:127.0.0.1:%u",
           tdserver_port(s));
  set_rules(&t.o, rule, NULL);
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_string_equal(tlsdiag_result_sni(r), "valid.tlsdiag.test");
  assert_string_equal(tlsdiag_result_connected_address(r), "127.0.0.1");
  assert_int_equal(tlsdiag_result_port(r), 443);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_SKIPPED);
  expect_target(r, rule, "127.0.0.1", tdserver_port(s));
  char *txt = NULL;
  size_t n = 0;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, 0, &txt, &n),
                   TLSDIAG_OK);
  char via[64];
  snprintf(via, sizeof(via), "valid.tlsdiag.test:443 via 127.0.0.1:%u "
           "(connect-to)", tdserver_port(s));
  if (!strstr(txt, via)) fail_msg("text report lacks '%s': %s", via, txt);
  tlsdiag_free(txt);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* The first matching rule wins; empty HOST1/PORT1 match any; a rule for
 * another host is passed over. */
static void test_connect_to_first_match_and_wildcards(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  tt_opts_t t;
  opts_no_pin(&t);
  char rule[96];
  snprintf(rule, sizeof(rule), "::127.0.0.1:%u", tdserver_port(s));
  set_rules(&t.o, "other.tlsdiag.test:443:127.0.0.2:1", rule);
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  expect_target(r, rule, "127.0.0.1", tdserver_port(s));
  tlsdiag_result_free(r);
  /* a wildcard rule listed first wins over an exact one after it */
  set_rules(&t.o, rule, "valid.tlsdiag.test:443:127.0.0.2:1");
  r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* An empty HOST2 keeps the name: its resolve pin is for HOST1:PORT2, as
 * curl looks --resolve up for the connect-to destination. */
static void test_connect_to_port_only_uses_pin_for_new_port(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(s)); /* pin at PORT2 */
  t.o.port = 443;
  char rule[96];
  snprintf(rule, sizeof(rule), "valid.tlsdiag.test:443::%u", tdserver_port(s));
  set_rules(&t.o, rule, NULL);
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_SKIPPED);
  expect_target(r, rule, "valid.tlsdiag.test", tdserver_port(s));
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* The certificate is judged for HOST1, not for where the bytes went. */
static void test_connect_to_certificate_judged_for_host1(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "wrong_host");
  tt_opts_t t;
  opts_no_pin(&t);
  char rule[96];
  snprintf(rule, sizeof(rule), "::127.0.0.1:%u", tdserver_port(s));
  set_rules(&t.o, rule, NULL);
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r),
                   TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* A refused mapped port: the TCP finding names the port the bytes went
 * to, not the URL's. */
static void test_connect_to_refused_names_mapped_port(void **state) {
  (void)state;
  uint16_t port = 0;
  int fd = tt_refusing_port("127.0.0.1", &port);
  assert_true(fd >= 0);
  tt_opts_t t;
  opts_no_pin(&t);
  char rule[96];
  snprintf(rule, sizeof(rule), "valid.tlsdiag.test:443:127.0.0.1:%u", port);
  set_rules(&t.o, rule, NULL);
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TCP_REFUSED);
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "findings.0.code"), "tcp_refused");
  assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
  assert_int_equal(json_integer_value(tt_jget(j, "findings.0.evidence.port")),
                   port);
  assert_string_equal(tt_jstr(j, "findings.0.evidence.address"), "127.0.0.1");
  json_decref(j);
  tlsdiag_result_free(r);
  close(fd);
}

/* No rule matched: connect_to is null and nothing moves. */
static void test_connect_to_no_match_is_null(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(s));
  set_rules(&t.o, "other.tlsdiag.test::127.0.0.2:1", NULL);
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  json_t *j = tt_json(r);
  assert_true(json_is_null(tt_jget(j, "target.connect_to")));
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* A malformed rule is an options error, whether or not it would match. */
static void test_connect_to_malformed_rule_rejected(void **state) {
  (void)state;
  static const char *const bad[] = {
      "valid.tlsdiag.test:443:127.0.0.1", "a:70000:b:1", "a:1:b:x",
      "[::1:1:b:2", "a:1:b:2:3", NULL};
  for (const char *const *p = bad; *p; p++) {
    tlsdiag_options_t o;
    tlsdiag_options_init(&o);
    const char *rules[] = {"zzz.example:1:127.0.0.1:2", *p, NULL};
    o.connect_to = rules;
    tlsdiag_result_t *r = NULL;
    if (tlsdiag_check("valid.tlsdiag.test", &o, &r) != TLSDIAG_E_OPTIONS)
      fail_msg("rule '%s' was accepted", *p);
    assert_null(r);
  }
}

/* The CLI: --connect-to for check, exit code and JSON; a bad rule is a
 * usage error (1). */
static void test_connect_to_cli(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  char rule[96];
  snprintf(rule, sizeof(rule), "valid.tlsdiag.test:443:127.0.0.1:%u",
           tdserver_port(s));
  char *out = NULL;
  int rc = tt_cli(&out, "check", "--json", "--cacert", tt_root,
                  "--connect-to", rule, "valid.tlsdiag.test", (char *)NULL);
  assert_int_equal(rc, 0);
  json_error_t e;
  json_t *j = json_loads(out, 0, &e);
  assert_non_null(j);
  assert_string_equal(tt_jstr(j, "cause"), "ok");
  assert_string_equal(tt_jstr(j, "target.connect_to.rule"), rule);
  assert_string_equal(tt_jstr(j, "target.sni"), "valid.tlsdiag.test");
  assert_string_equal(tt_jstr(j, "phases.tcp.connected"), "127.0.0.1");
  json_decref(j);
  free(out);
  rc = tt_cli(&out, "check", "--connect-to", "a:b:c", "valid.tlsdiag.test",
              (char *)NULL);
  assert_int_equal(rc, 1);
  free(out);
  tdserver_stop(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_connect_to_moves_destination_not_name),
      cmocka_unit_test(test_connect_to_first_match_and_wildcards),
      cmocka_unit_test(test_connect_to_port_only_uses_pin_for_new_port),
      cmocka_unit_test(test_connect_to_certificate_judged_for_host1),
      cmocka_unit_test(test_connect_to_refused_names_mapped_port),
      cmocka_unit_test(test_connect_to_no_match_is_null),
      cmocka_unit_test(test_connect_to_malformed_rule_rejected),
      cmocka_unit_test(test_connect_to_cli),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
