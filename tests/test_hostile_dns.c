/* test_hostile_dns.c: DNS servers that fail or lie. Each case points the
 * library at the local responder (dns_servers, so only DNS is asked, never
 * /etc/hosts) and asserts the exact cause, the failing phase, the time the
 * lookup took against the connect timeout, and valid JSON. */
#include "tdtest.h"
#include "hostile.h"

#define NAME "hostile.tlsdiag.test"


/* The name answers 127.0.0.1 and ::1, then misbehaves as b. */
static void dns_named(tt_dns_t *x, tddns_behavior_t b) {
  tt_dns_start(x);
  assert_int_equal(tddns_add_a(x->d, NAME, "127.0.0.1"), 0);
  assert_int_equal(tddns_add_aaaa(x->d, NAME, "::1"), 0);
  assert_int_equal(tddns_set_behavior(x->d, NAME, b), 0);
}

static void opts_for(tt_opts_t *t, const tt_dns_t *x, uint16_t port, int cto) {
  tt_opts(t, NULL, port);
  t->o.dns_servers = x->servers;
  t->o.connect_timeout_ms = cto;
  t->o.max_time_ms = 5000;
  t->o.flags |= TLSDIAG_F_IPV4_ONLY; /* the test server listens on v4 */
}

/* A failure in the DNS phase; nothing else runs. */
static void run_dns_failure(tddns_behavior_t b, const expect_t *e) {
  tt_dns_t x;
  dns_named(&x, b);
  tt_opts_t t;
  opts_for(&t, &x, 443, e->deadline_ms);
  hrun_t h;
  hrun(NAME, &t.o, &h);
  expect(&h, e);
  assert_int_equal(tlsdiag_result_address_count(h.r), 0);
  long i = tlsdiag_result_find(h.r, e->cause);
  assert_string_equal(tlsdiag_result_finding_evidence(h.r, (size_t)i, "name"),
                      NAME);
  assert_string_equal(
      tlsdiag_result_finding_evidence(h.r, (size_t)i, "server"), x.servers);
  assert_true(tddns_queries(x.d) >= 1);
  hrun_free(&h);
  tddns_stop(x.d);
}

static void test_hostile_dns_nxdomain(void **state) {
  (void)state;
  expect_t e = {"dns NXDOMAIN", TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_FAILED,
                TLSDIAG_CAUSE_DNS_NXDOMAIN,
                NAME " does not exist in DNS (NXDOMAIN)", 2000, 0};
  run_dns_failure(TDDNS_NXDOMAIN, &e);
}

static void test_hostile_dns_servfail(void **state) {
  (void)state;
  expect_t e = {"dns SERVFAIL", TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_FAILED,
                TLSDIAG_CAUSE_DNS_FAILURE,
                "DNS lookup of " NAME
                " failed: DNS server returned general failure",
                2000, 0};
  run_dns_failure(TDDNS_SERVFAIL, &e);
}

static void test_hostile_dns_refused(void **state) {
  (void)state;
  expect_t e = {"dns REFUSED", TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_FAILED,
                TLSDIAG_CAUSE_DNS_FAILURE,
                "DNS lookup of " NAME " failed: DNS server refused query",
                2000, 0};
  run_dns_failure(TDDNS_REFUSED, &e);
}

static void test_hostile_dns_nodata(void **state) {
  (void)state;
  expect_t e = {"dns NODATA", TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_FAILED,
                TLSDIAG_CAUSE_DNS_NO_ADDRESS,
                NAME " exists but has no A or AAAA record", 2000, 0};
  run_dns_failure(TDDNS_NODATA, &e);
}

/* No answer at all: the lookup is bounded by the connect timeout. */
static void test_hostile_dns_no_answer(void **state) {
  (void)state;
  expect_t e = {"dns no answer", TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_TIMEOUT,
                TLSDIAG_CAUSE_DNS_TIMEOUT, "no DNS answer for " NAME " in",
                800, 1};
  run_dns_failure(TDDNS_DROP, &e);
}

/* Answers under another query id are not answers: a timeout too. */
static void test_hostile_dns_wrong_id(void **state) {
  (void)state;
  expect_t e = {"dns wrong id", TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_TIMEOUT,
                TLSDIAG_CAUSE_DNS_TIMEOUT, "no DNS answer for " NAME " in",
                800, 1};
  run_dns_failure(TDDNS_WRONG_ID, &e);
}

static void test_hostile_dns_malformed(void **state) {
  (void)state;
  expect_t e = {"dns malformed", TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_FAILED,
                TLSDIAG_CAUSE_DNS_FAILURE,
                "DNS lookup of " NAME " failed: Misformatted DNS reply", 2000,
                0};
  run_dns_failure(TDDNS_MALFORMED, &e);
}

/* TC over UDP, and over TCP bytes that are not DNS. */
static void test_hostile_dns_truncated_always(void **state) {
  (void)state;
  expect_t e = {"dns truncated always", TLSDIAG_PHASE_DNS,
                TLSDIAG_STATUS_FAILED, TLSDIAG_CAUSE_DNS_FAILURE,
                "DNS lookup of " NAME " failed:", 2000, 0};
  run_dns_failure(TDDNS_TRUNCATED_ALWAYS, &e);
}

/* NAME -> loop.NAME -> NAME: no address at the end of it. */
static void test_hostile_dns_cname_loop(void **state) {
  (void)state;
  expect_t e = {"dns CNAME loop", TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_FAILED,
                TLSDIAG_CAUSE_DNS_NO_ADDRESS,
                NAME " exists but has no A or AAAA record", 2000, 0};
  run_dns_failure(TDDNS_CNAME_LOOP, &e);
}

/* TC over UDP, the answer over TCP: a normal, successful check. */
static void test_hostile_dns_truncated_then_tcp(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  tt_dns_t x;
  dns_named(&x, TDDNS_TRUNCATED);
  tt_opts_t t;
  opts_for(&t, &x, tdserver_port(s), 2000);
  hrun_t h;
  hrun(NAME, &t.o, &h);
  print_message("hostile %-24s cause=%s %.1f ms, %u queries\n",
                "dns truncated then TCP",
                tlsdiag_cause_name(tlsdiag_result_cause(h.r)), h.ms,
                tddns_queries(x.d));
  /* DNS worked; the certificate is for other names, which is all that is
   * wrong. */
  assert_int_equal(tlsdiag_result_phase_status(h.r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_OK);
  assert_int_equal(tlsdiag_result_cause(h.r),
                   TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  assert_int_equal(tlsdiag_result_address_count(h.r), 1);
  assert_string_equal(tlsdiag_result_address(h.r, 0), "127.0.0.1");
  assert_true(tddns_queries(x.d) >= 2); /* UDP, then TCP */
  assert_true(h.ms < td_upper_ms(5000));
  hrun_free(&h);
  tddns_stop(x.d);
  tdserver_stop(s);
}

/* 300 A and 300 AAAA records: at most 64 addresses are kept and tried, and
 * every one of them refuses (nothing listens on 127.1.x.y:port), so the
 * check stays short. */
static void test_hostile_dns_hundreds_of_addresses(void **state) {
  (void)state;
  tt_dns_t x;
  tt_dns_start(&x);
  /* a port nothing listens on: held bound (not listening) on 0.0.0.0, so
   * on every 127/8 address, for the whole test */
  uint16_t port = 0;
  int hold = tt_refusing_port("0.0.0.0", &port);
  for (int i = 0; i < 300; i++) {
    char ip[64];
    snprintf(ip, sizeof(ip), "127.1.%d.%d", i / 250, i % 250 + 1);
    assert_int_equal(tddns_add_a(x.d, NAME, ip), 0);
    snprintf(ip, sizeof(ip), "fd00::%x", i + 1);
    assert_int_equal(tddns_add_aaaa(x.d, NAME, ip), 0);
  }
  tt_opts_t t;
  opts_for(&t, &x, port, 2000);
  hrun_t h;
  hrun(NAME, &t.o, &h);
  expect_t e = {"dns 300 A records", TLSDIAG_PHASE_TCP, TLSDIAG_STATUS_FAILED,
                TLSDIAG_CAUSE_TCP_REFUSED,
                "refused the connection (nothing listens on the port)", 5000,
                0};
  expect(&h, &e);
  assert_int_equal(tlsdiag_result_phase_status(h.r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_OK);
  assert_int_equal(tlsdiag_result_address_count(h.r), 64);
  assert_string_equal(tlsdiag_result_address(h.r, 0), "127.1.0.1");
  long i = tlsdiag_result_find(h.r, TLSDIAG_CAUSE_TCP_REFUSED);
  assert_string_equal(
      tlsdiag_result_finding_evidence(h.r, (size_t)i, "addresses_tried"),
      "64");
  assert_int_equal(json_array_size(tt_jget(h.j, "phases.dns.addresses")), 64);
  assert_int_equal(json_array_size(tt_jget(h.j, "phases.tcp.attempts")), 64);
  hrun_free(&h);

  /* Both families: still 64. */
  t.o.flags &= ~(unsigned)TLSDIAG_F_IPV4_ONLY;
  hrun(NAME, &t.o, &h);
  assert_int_equal(tlsdiag_result_phase_status(h.r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_OK);
  assert_int_equal(tlsdiag_result_address_count(h.r), 64);
  assert_true(h.ms < td_upper_ms(5000 * 1.1 + 100));
  print_message("hostile %-24s cause=%s %.1f ms, %zu addresses kept\n",
                "dns 300 A + 300 AAAA",
                tlsdiag_cause_name(tlsdiag_result_cause(h.r)), h.ms,
                tlsdiag_result_address_count(h.r));
  hrun_free(&h);
  tddns_stop(x.d);
  close(hold);
}

/* The CLI says the same as the library, as valid JSON. */
static void test_hostile_dns_cli_json(void **state) {
  (void)state;
  tt_dns_t x;
  dns_named(&x, TDDNS_MALFORMED);
  char *out = NULL;
  int rc = tt_cli(&out, "check", "--json", "--dns-server", x.servers,
                  "--connect-timeout", "2", "--max-time", "5", NAME, NULL);
  assert_int_equal(rc, 2);
  json_error_t err;
  json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &err);
  if (!j) fail_msg("CLI printed invalid JSON (%s): %s", err.text, out);
  assert_string_equal(tt_jstr(j, "cause"), "dns_failure");
  assert_string_equal(tt_jstr(j, "phases.dns.status"), "failed");
  json_decref(j);
  free(out);
  tddns_stop(x.d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hostile_dns_nxdomain),
      cmocka_unit_test(test_hostile_dns_servfail),
      cmocka_unit_test(test_hostile_dns_refused),
      cmocka_unit_test(test_hostile_dns_nodata),
      cmocka_unit_test(test_hostile_dns_no_answer),
      cmocka_unit_test(test_hostile_dns_wrong_id),
      cmocka_unit_test(test_hostile_dns_malformed),
      cmocka_unit_test(test_hostile_dns_truncated_always),
      cmocka_unit_test(test_hostile_dns_cname_loop),
      cmocka_unit_test(test_hostile_dns_truncated_then_tcp),
      cmocka_unit_test(test_hostile_dns_hundreds_of_addresses),
      cmocka_unit_test(test_hostile_dns_cli_json),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
