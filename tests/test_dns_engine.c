/* test_dns_engine.c: one c-ares channel per engine (issue 15, item 1).
 * The checks of a multi handle submit their lookups to the engine's
 * channel: its sockets are in the poll set once, not once per check; each
 * answer reaches the check that asked; a check that times out, or is
 * freed, while its query is pending never gets the callback (the engine
 * counts such late callbacks and frees what they carry); a private engine
 * (tlsdiag_check) does the same alone; `tlsdiag sweep` through the
 * local responder gives every target its own answer and verdict. */
#include "tdtest.h"

#include "../lib/engine.h"

#define NNAMES 40


static void opts_for(tt_opts_t *t, const tt_dns_t *x, uint16_t port, int cto) {
  tt_opts(t, NULL, port);
  t->o.dns_servers = x->servers;
  t->o.connect_timeout_ms = cto;
  t->o.max_time_ms = 5000;
  t->o.flags |= TLSDIAG_F_IPV4_ONLY; /* one query per name */
}

typedef struct {
  int calls[NNAMES];
  tlsdiag_cause_t cause[NNAMES];
  tlsdiag_status_t dns[NNAMES];
  char addr[NNAMES][64];
  char ev_name[NNAMES][64];
  double done_us[NNAMES]; /* td_mono_us at the callback */
  size_t order[NNAMES];
  size_t ncalls;
} rec_t;

static void record(tlsdiag_result_t *r, void *user, void *cb_data) {
  rec_t *rec = cb_data;
  size_t i = (size_t)(uintptr_t)user;
  assert_true(i < NNAMES);
  rec->calls[i]++;
  rec->cause[i] = tlsdiag_result_cause(r);
  rec->dns[i] = tlsdiag_result_phase_status(r, TLSDIAG_PHASE_DNS);
  rec->done_us[i] = (double)td_mono_us();
  const char *a = tlsdiag_result_address_count(r) == 1
                      ? tlsdiag_result_address(r, 0)
                      : "";
  snprintf(rec->addr[i], sizeof(rec->addr[i]), "%s", a ? a : "");
  long f = tlsdiag_result_find(r, TLSDIAG_CAUSE_DNS_TIMEOUT);
  const char *ev =
      f >= 0 ? tlsdiag_result_finding_evidence(r, (size_t)f, "name") : NULL;
  snprintf(rec->ev_name[i], sizeof(rec->ev_name[i]), "%s", ev ? ev : "");
  rec->order[i] = rec->ncalls++;
  tlsdiag_result_free(r);
}

/* 40 checks in DNS at once: one socket in the poll set, one channel; each
 * answer (a distinct 127.0.1.N) reaches its own check, which then finds
 * the port refused there. */
static void test_dns_engine_one_socket_every_answer_to_its_check(void **st) {
  (void)st;
  tt_dns_t x;
  tt_dns_start(&x);
  uint16_t port = 0;
  int hold = tt_refusing_port("0.0.0.0", &port); /* refused on all 127/8 */
  char names[NNAMES][64], addrs[NNAMES][32];
  for (int i = 0; i < NNAMES; i++) {
    snprintf(names[i], sizeof(names[i]), "h%d.engine.tlsdiag.test", i);
    snprintf(addrs[i], sizeof(addrs[i]), "127.0.1.%d", i + 1);
    assert_int_equal(tddns_add_a(x.d, names[i], addrs[i]), 0);
  }
  tt_opts_t t;
  opts_for(&t, &x, port, 3000);
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(64, record, &rec, &m), TLSDIAG_OK);
  for (int i = 0; i < NNAMES; i++)
    assert_int_equal(
        tlsdiag_multi_add(m, names[i], &t.o, (void *)(uintptr_t)i),
        TLSDIAG_OK);
  /* Start them all: every query is sent before any answer is read. */
  assert_int_equal(tlsdiag_multi_process(m, NULL, 0), TLSDIAG_OK);
  td_dns_engine_t *eng = td_shared_dns_engine(td_multi_shared(m));
  assert_int_equal(td_dns_engine_pending(eng), NNAMES);
  assert_int_equal(td_dns_engine_channels(eng), 1);
  struct pollfd fds[4 * NNAMES];
  size_t n = tlsdiag_multi_fds(m, fds, 4 * NNAMES);
  assert_int_equal(n, 1); /* the channel's UDP socket, once */
  assert_int_equal(fds[0].events, POLLIN);
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  for (int i = 0; i < NNAMES; i++) {
    assert_int_equal(rec.calls[i], 1);
    assert_int_equal(rec.dns[i], TLSDIAG_STATUS_OK);
    assert_int_equal(rec.cause[i], TLSDIAG_CAUSE_TCP_REFUSED);
    assert_string_equal(rec.addr[i], addrs[i]);
  }
  assert_int_equal(tddns_queries(x.d), NNAMES);
  assert_int_equal(td_dns_engine_pending(eng), 0);
  assert_int_equal(td_dns_engine_orphans(eng), 0);
  tlsdiag_multi_free(m);
  close(hold);
  tddns_stop(x.d);
}

/* A check whose DNS budget (150 ms) ends before c-ares gives up on its
 * query (tries of 100 + 200 ms) ends with dns_timeout at its own deadline;
 * the engine keeps running for a slower check (1500 ms), c-ares's timeout
 * for the first query then comes back to nobody: counted, freed. */
static void test_dns_engine_timed_out_check_gets_no_callback(void **st) {
  (void)st;
  tt_dns_t x;
  tt_dns_start(&x);
  assert_int_equal(tddns_add_a(x.d, "fast.silent.tlsdiag.test", "127.0.0.1"),
                   0);
  assert_int_equal(tddns_add_a(x.d, "slow.silent.tlsdiag.test", "127.0.0.1"),
                   0);
  assert_int_equal(
      tddns_set_behavior(x.d, "fast.silent.tlsdiag.test", TDDNS_DROP), 0);
  assert_int_equal(
      tddns_set_behavior(x.d, "slow.silent.tlsdiag.test", TDDNS_DROP), 0);
  tt_opts_t fast, slow;
  opts_for(&fast, &x, 443, 150);
  opts_for(&slow, &x, 443, 1500);
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(8, record, &rec, &m), TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_add(m, "fast.silent.tlsdiag.test", &fast.o,
                                     (void *)(uintptr_t)0),
                   TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_add(m, "slow.silent.tlsdiag.test", &slow.o,
                                     (void *)(uintptr_t)1),
                   TLSDIAG_OK);
  int64_t t0 = td_mono_us();
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  double ms = tt_ms_since(t0);
  td_dns_engine_t *eng = td_shared_dns_engine(td_multi_shared(m));
  for (int i = 0; i < 2; i++) {
    assert_int_equal(rec.calls[i], 1);
    assert_int_equal(rec.cause[i], TLSDIAG_CAUSE_DNS_TIMEOUT);
    assert_int_equal(rec.dns[i], TLSDIAG_STATUS_TIMEOUT);
  }
  assert_string_equal(rec.ev_name[0], "fast.silent.tlsdiag.test");
  assert_string_equal(rec.ev_name[1], "slow.silent.tlsdiag.test");
  assert_int_equal(rec.order[0], 0);
  /* Each at its own deadline (wall time from the run's start). */
  double fast_ms = (rec.done_us[0] - (double)t0) / 1000.0;
  double slow_ms = (rec.done_us[1] - (double)t0) / 1000.0;
  assert_true(fast_ms >= 150.0 && fast_ms < td_upper_ms(150 * 1.1 + 250));
  assert_true(slow_ms >= 1500.0);
  assert_true(ms < td_upper_ms(1500 * 1.1 + 250));
  /* Two channels (their budgets differ); the fast query's end came back
   * after its check was gone; the slow one is still pending in c-ares. */
  assert_int_equal(td_dns_engine_channels(eng), 2);
  assert_int_equal(td_dns_engine_orphans(eng), 1);
  assert_int_equal(td_dns_engine_pending(eng), 1);
  tlsdiag_multi_free(m); /* the last callback runs here, to nobody */
  tddns_stop(x.d);
}

/* Freeing the handle with lookups in flight: every check is freed first,
 * then the channel, whose callbacks find only cancelled lookups. */
static void test_dns_engine_free_with_lookups_pending(void **st) {
  (void)st;
  tt_dns_t x;
  tt_dns_start(&x);
  assert_int_equal(tddns_add_a(x.d, "drop.tlsdiag.test", "127.0.0.1"), 0);
  assert_int_equal(tddns_set_behavior(x.d, "drop.tlsdiag.test", TDDNS_DROP),
                   0);
  tt_opts_t t;
  opts_for(&t, &x, 443, 3000);
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(16, record, &rec, &m), TLSDIAG_OK);
  for (int i = 0; i < 10; i++)
    assert_int_equal(tlsdiag_multi_add(m, "drop.tlsdiag.test", &t.o,
                                       (void *)(uintptr_t)i),
                     TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_process(m, NULL, 0), TLSDIAG_OK);
  td_dns_engine_t *eng = td_shared_dns_engine(td_multi_shared(m));
  assert_int_equal(td_dns_engine_pending(eng), 10);
  struct pollfd fds[64];
  assert_int_equal(tlsdiag_multi_fds(m, fds, 64), 1);
  tlsdiag_multi_free(m);
  assert_int_equal(rec.ncalls, 0); /* freed, not delivered */
  tddns_stop(x.d);
}

/* The blocking call has an engine of its own: the same channel code,
 * driven by the check's own loop. */
static void test_dns_engine_private_engine_answers_and_times_out(void **st) {
  (void)st;
  tt_dns_t x;
  tt_dns_start(&x);
  uint16_t port = 0;
  int hold = tt_refusing_port("127.0.0.1", &port);
  assert_int_equal(tddns_add_a(x.d, "ok.tlsdiag.test", "127.0.0.1"), 0);
  assert_int_equal(tddns_add_a(x.d, "drop.tlsdiag.test", "127.0.0.1"), 0);
  assert_int_equal(tddns_set_behavior(x.d, "drop.tlsdiag.test", TDDNS_DROP),
                   0);
  tt_opts_t t;
  opts_for(&t, &x, port, 300);
  tlsdiag_result_t *r = tt_check("ok.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TCP_REFUSED);
  assert_string_equal(tlsdiag_result_address(r, 0), "127.0.0.1");
  tlsdiag_result_free(r);
  int64_t t0 = td_mono_us();
  r = tt_check("drop.tlsdiag.test", &t.o);
  double ms = tt_ms_since(t0);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_DNS_TIMEOUT);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_TIMEOUT);
  assert_true(ms >= 300.0 && ms < td_upper_ms(300 * 1.1 + 250));
  tlsdiag_result_free(r);
  close(hold);
  tddns_stop(x.d);
}

/* The CLI: a sweep of 30 answering names (each its own 127.0.1.N, where
 * the port is refused), one the server never answers and one it does not
 * know, through one engine: one record each, with the exact verdict. */
static void test_dns_engine_cli_sweep_verdicts(void **st) {
  (void)st;
  tt_dns_t x;
  tt_dns_start(&x);
  uint16_t port = 0;
  int hold = tt_refusing_port("0.0.0.0", &port);
  td_buf_t list;
  td_buf_init(&list);
  for (int i = 0; i < 30; i++) {
    char name[64], addr[32];
    snprintf(name, sizeof(name), "c%d.engine.tlsdiag.test", i);
    snprintf(addr, sizeof(addr), "127.0.1.%d", i + 1);
    assert_int_equal(tddns_add_a(x.d, name, addr), 0);
    td_buf_printf(&list, "%s:%u\n", name, (unsigned)port);
  }
  assert_int_equal(tddns_add_a(x.d, "drop.engine.tlsdiag.test", "127.0.0.1"),
                   0);
  assert_int_equal(
      tddns_set_behavior(x.d, "drop.engine.tlsdiag.test", TDDNS_DROP), 0);
  td_buf_printf(&list, "drop.engine.tlsdiag.test:%u\n", (unsigned)port);
  td_buf_printf(&list, "unknown.engine.tlsdiag.test:%u\n", (unsigned)port);
  const char *args[] = {"sweep", "--json", "-q", "--no-progress",
                        "--jobs", "1", "--concurrency", "64",
                        "--per-ip", "0", "-4", "--dns-server", x.servers,
                        "--connect-timeout", "1", "--max-time", "5", "-",
                        NULL};
  tt_cli_run_t r = tt_cli_input(list.data, args);
  assert_int_equal(r.rc, 2); /* every target has an error */
  int seen[32] = {0};
  size_t lines = 0;
  for (const char *l = r.out; *l; lines++) {
    const char *nl = strchr(l, '\n');
    assert_non_null(nl);
    json_error_t e;
    json_t *j = json_loadb(l, (size_t)(nl - l), 0, &e);
    if (!j) fail_msg("invalid JSON line: %s", e.text);
    const char *host = tt_jstr(j, "target.host");
    int idx = -1;
    if (sscanf(host, "c%d.engine.tlsdiag.test", &idx) == 1) {
      assert_true(idx >= 0 && idx < 30);
      char addr[32];
      snprintf(addr, sizeof(addr), "127.0.1.%d", idx + 1);
      assert_string_equal(tt_jstr(j, "cause"), "tcp_refused");
      assert_string_equal(tt_jstr(j, "phases.dns.status"), "ok");
      assert_string_equal(tt_jstr(j, "phases.dns.addresses.0.address"),
                          addr);
      seen[idx]++;
    } else if (strcmp(host, "drop.engine.tlsdiag.test") == 0) {
      assert_string_equal(tt_jstr(j, "cause"), "dns_timeout");
      assert_string_equal(tt_jstr(j, "findings.0.code"), "dns_timeout");
      assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
      assert_string_equal(tt_jstr(j, "findings.0.evidence.name"), host);
      assert_string_equal(tt_jstr(j, "findings.0.evidence.server"),
                          x.servers);
      assert_string_equal(tt_jstr(j, "phases.dns.status"), "timeout");
      seen[30]++;
    } else {
      assert_string_equal(host, "unknown.engine.tlsdiag.test");
      assert_string_equal(tt_jstr(j, "cause"), "dns_nxdomain");
      assert_string_equal(tt_jstr(j, "findings.0.code"), "dns_nxdomain");
      assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
      assert_string_equal(tt_jstr(j, "findings.0.evidence.name"), host);
      seen[31]++;
    }
    json_decref(j);
    l = nl + 1;
  }
  assert_int_equal(lines, 32);
  for (int i = 0; i < 32; i++) assert_int_equal(seen[i], 1);
  tt_cli_run_free(&r);
  td_buf_free(&list);
  close(hold);
  tddns_stop(x.d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dns_engine_one_socket_every_answer_to_its_check),
      cmocka_unit_test(test_dns_engine_timed_out_check_gets_no_callback),
      cmocka_unit_test(test_dns_engine_free_with_lookups_pending),
      cmocka_unit_test(test_dns_engine_private_engine_answers_and_times_out),
      cmocka_unit_test(test_dns_engine_cli_sweep_verdicts),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
