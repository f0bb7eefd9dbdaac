/* test_sweep_memory.c: what one check holds while it runs is bounded
 * (issue 15 item 5): the key schedule capture allocates a record at its
 * exact size when its header arrives (no buffer up front), keeps records
 * only until the handshake completes, then opens each as it comes and
 * drops it, and releases everything once both directions are proven; the
 * GnuTLS priorities are parsed once per engine; an engine runs at most
 * 256 lookups (a c-ares channel each) at once. Byte counts from the
 * capture's own accounting, not RSS. */
#include "tdtest.h"

#include "engine.h"
#include "keysched.h"

/* A TLS record header for a body of n bytes (handshake, TLS 1.2). */
static void header(unsigned char h[5], size_t n) {
  h[0] = 22;
  h[1] = 3;
  h[2] = 3;
  h[3] = (unsigned char)(n >> 8);
  h[4] = (unsigned char)n;
}

/* Before the handshake: a record costs its own size once its header is
 * in, nothing before; each further record adds exactly its size. */
static void test_sweep_memory_capture_exact_size(void **state) {
  (void)state;
  td_kscap_t *k = td_ks_capture_new(0);
  assert_non_null(k);
  assert_int_equal(td_ks_capture_held(k), 0);
  unsigned char rec[5 + 406];
  header(rec, 406);
  memset(rec + 5, 0xab, 406);
  td_ks_capture_bytes(k, 0, rec, 3); /* half a header: nothing yet */
  assert_int_equal(td_ks_capture_held(k), 0);
  td_ks_capture_bytes(k, 0, rec + 3, 100);
  assert_int_equal(td_ks_capture_held(k), 411); /* exactly the record */
  td_ks_capture_bytes(k, 0, rec + 103, sizeof(rec) - 103);
  size_t one = td_ks_capture_held(k);
  assert_true(one >= 411 && one < 411 + 1024); /* + the record list */
  unsigned char big[5 + 1000];
  header(big, 1000);
  memset(big + 5, 0xcd, 1000);
  td_ks_capture_bytes(k, 1, big, sizeof(big));
  assert_int_equal(td_ks_capture_held(k), one + sizeof(big));
  assert_int_equal(td_ks_capture_peak(k), one + sizeof(big));
  td_ks_capture_free(k);
}

/* Before the handshake completes at most 512 KiB of records are kept:
 * a server sending far more (30 full records) cannot grow the capture. */
static void test_sweep_memory_capture_bound_before_handshake(void **state) {
  (void)state;
  td_kscap_t *k = td_ks_capture_new(0);
  unsigned char *rec = malloc(5 + 16384);
  header(rec, 16384);
  memset(rec + 5, 0x11, 16384);
  size_t at20 = 0;
  for (int i = 0; i < 60; i++) {
    td_ks_capture_bytes(k, 1, rec, 5 + 16384);
    if (i == 39) at20 = td_ks_capture_held(k);
  }
  size_t held = td_ks_capture_held(k);
  assert_true(held <= 512 * 1024 + 4096);
  assert_int_equal(held, at20); /* nothing more after the bound */
  assert_int_equal(td_ks_capture_peak(k), held);
  free(rec);
  td_ks_capture_free(k);
}

/* A whole check (TLS 1.3, a fetch of an 800 kB body: the response spans
 * 49 records): the keys are all proven, the capture never held more than
 * the handshake plus one record, and nothing when the connection closed.
 * Before, it kept every record up to 512 KiB until the close. */
static void test_sweep_memory_check_releases_capture(void **state) {
  (void)state;
  tt_fetch_t f;
  tt_fetch_x_body(800000, &f);
  tlsdiag_result_t *r = f.r;
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  json_t *j = tt_json(r);
  json_t *rows = tt_jget(j, "key_schedule.rows");
  assert_int_equal(json_array_size(rows), 14);
  for (size_t i = 0; i < json_array_size(rows); i++)
    if (!json_is_true(json_object_get(json_array_get(rows, i), "ok")))
      fail_msg("row %zu not proven", i);
  /* the handshake's records (< 8 KB with this chain) + one record of at
   * most 16 KiB + its expansion, + the proof's state */
  size_t peak = r->anat.ks_cap_peak[0];
  if (peak == 0 || peak > 40 * 1024) fail_msg("capture peak %zu bytes", peak);
  assert_int_equal(r->anat.ks_cap_left[0], 0);
  json_decref(j);
  tt_fetch_free(&f);
}

/* A check stalled after its ClientHello (the server accepts and never
 * answers) holds the ClientHello's copy, not a reassembly buffer. */
static void test_sweep_memory_stalled_check_holds_hello(void **state) {
  (void)state;
  tdserver_t *s = tt_server(TDS_SILENT, "valid");
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(s));
  t.o.connect_timeout_ms = 300;
  t.o.flags |= TLSDIAG_F_NO_VERSION_PROBE;
  tlsdiag_result_t *r = tt_check("localhost", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TLS_TIMEOUT);
  size_t peak = r->anat.ks_cap_peak[0];
  /* a ClientHello is 200-600 bytes; the record list adds < 1 KB */
  if (peak < 200 || peak > 2048) fail_msg("capture peak %zu bytes", peak);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* Nothing to prove (a CBC suite: its records are not opened): the
 * records kept during the handshake are dropped when it completes, and
 * the rest of the connection is not read at all. */
static void test_sweep_memory_nothing_kept_without_proof(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC";
  tdserver_t *s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(s));
  tlsdiag_result_t *r = tt_check("localhost", &t.o);
  json_t *j = tt_json(r);
  assert_non_null(strstr(tt_jstr(j, "tls.cipher"), "AES_128_CBC"));
  assert_int_equal(json_integer_value(tt_jget(j, "http.status")), 200);
  assert_non_null(strstr(tt_jstr(j, "key_schedule.not_derivable"),
                         "a CBC suite"));
  assert_true(r->anat.ks_cap_peak[0] > 1000); /* the handshake was kept */
  assert_int_equal(r->anat.ks_cap_left[0], 0);
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* One parsed priority cache per distinct string per engine; an invalid
 * string is not cached (the session then reports GnuTLS's error). */
static void test_sweep_memory_priority_once_per_engine(void **state) {
  (void)state;
  td_shared_t *sh = td_shared_new();
  assert_non_null(sh);
  char *a = td_tls_priority(TLSDIAG_TLS1_2, TLSDIAG_TLS1_3, 0);
  char *a2 = td_tls_priority(TLSDIAG_TLS1_2, TLSDIAG_TLS1_3, 0);
  char *p = td_tls_priority(TLSDIAG_TLS1_0, TLSDIAG_TLS1_0, 1);
  gnutls_priority_t pa = td_shared_priority(sh, a);
  assert_non_null(pa);
  assert_ptr_equal(td_shared_priority(sh, a2), pa); /* the same string */
  gnutls_priority_t pp = td_shared_priority(sh, p);
  assert_non_null(pp);
  assert_ptr_not_equal(pp, pa);
  assert_null(td_shared_priority(sh, "NORMAL:+NO-SUCH-THING"));
  assert_null(td_shared_priority(NULL, a));
  free(a);
  free(a2);
  free(p);
  td_shared_free(sh);
}

static void drop_cb(tlsdiag_result_t *r, void *user, void *data) {
  (void)user;
  (void)data;
  tlsdiag_result_free(r);
}

/* A fake DNS server that drops every query for PREFIX0..PREFIX299
 * .tlsdiag.test, with o set to use it (server: its address, kept by the
 * caller as long as o), and those 300 checks added to m. */
static tddns_t *add_dropped(tlsdiag_multi_t *m, const char *prefix,
                            tlsdiag_options_t *o, char server[64]) {
  tddns_t *d = NULL;
  assert_int_equal(tddns_start("127.0.0.1", &d), 0);
  char name[64];
  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof(name), "%s%d.tlsdiag.test", prefix, i);
    assert_int_equal(tddns_set_behavior(d, name, TDDNS_DROP), 0);
  }
  snprintf(server, 64, "127.0.0.1:%u", tddns_port(d));
  o->dns_servers = server;
  for (int i = 0; i < 300; i++) {
    snprintf(name, sizeof(name), "%s%d.tlsdiag.test", prefix, i);
    assert_int_equal(tlsdiag_multi_add(m, name, o, NULL), TLSDIAG_OK);
  }
  return d;
}

/* An engine starts at most 256 lookups at once (each holds a c-ares
 * channel, ~76 KB): 300 checks of names the DNS server never answers,
 * room for all 300, yet 256 in DNS and 44 still queued, and the loop is not
 * told to spin (timeout > 0). */
static void test_sweep_memory_dns_lookups_bounded(void **state) {
  (void)state;
  char server[64];
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.connect_timeout_ms = 60000;
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(1000, drop_cb, NULL, &m), TLSDIAG_OK);
  tddns_t *d = add_dropped(m, "d", &o, server);
  assert_int_equal(tlsdiag_multi_process(m, NULL, 0), TLSDIAG_OK);
  assert_int_equal(td_multi_in_dns(m), 256);
  assert_int_equal(td_multi_in_dns_walk(m), 256);
  assert_int_equal(tlsdiag_multi_pending(m), 300);
  assert_true(tlsdiag_multi_timeout_ms(m) > 0);
  tlsdiag_multi_free(m); /* abandons them */
  tddns_stop(d);
}

/* Lookups that end let the queued ones start: 600 names answered
 * NXDOMAIN, never more than 256 in DNS, every check delivered. */
typedef struct {
  tlsdiag_multi_t *m;
  size_t done, nx, max_dns;
} dns_run_t;

static void dns_cb(tlsdiag_result_t *r, void *user, void *data) {
  (void)user;
  dns_run_t *x = data;
  x->done++;
  if (r && tlsdiag_result_cause(r) == TLSDIAG_CAUSE_DNS_NXDOMAIN) x->nx++;
  size_t n = td_multi_in_dns(x->m);
  assert_int_equal(n, td_multi_in_dns_walk(x->m)); /* the counter holds */
  if (n > x->max_dns) x->max_dns = n;
  tlsdiag_result_free(r);
}

static void test_sweep_memory_dns_queue_drains(void **state) {
  (void)state;
  tddns_t *d = NULL;
  assert_int_equal(tddns_start("127.0.0.1", &d), 0);
  char name[64], server[64];
  snprintf(server, sizeof(server), "127.0.0.1:%u", tddns_port(d));
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.dns_servers = server;
  dns_run_t x = {0};
  assert_int_equal(tlsdiag_multi_new(1000, dns_cb, &x, &x.m), TLSDIAG_OK);
  for (int i = 0; i < 600; i++) {
    snprintf(name, sizeof(name), "nx%d.tlsdiag.test", i); /* unknown */
    assert_int_equal(tlsdiag_multi_add(x.m, name, &o, NULL), TLSDIAG_OK);
  }
  assert_int_equal(tlsdiag_multi_run(x.m), TLSDIAG_OK);
  assert_int_equal(x.done, 600);
  assert_int_equal(x.nx, 600);
  assert_true(x.max_dns <= 256);
  tlsdiag_multi_free(x.m);
  tddns_stop(d);
}

/* Lookups that time out leave the DNS phase too: 300 dropped names with
 * max_time 400 ms, driven from an outside loop; after every process the
 * O(1) counter equals the walk over the checks in flight, and it ends at
 * 0 with every check delivered as a timeout. */
typedef struct {
  tlsdiag_multi_t *m;
  size_t done, timeouts;
} to_run_t;

static void to_cb(tlsdiag_result_t *r, void *user, void *data) {
  (void)user;
  to_run_t *x = data;
  x->done++;
  assert_int_equal(td_multi_in_dns(x->m), td_multi_in_dns_walk(x->m));
  if (r && tlsdiag_result_cause(r) == TLSDIAG_CAUSE_DNS_TIMEOUT) x->timeouts++;
  tlsdiag_result_free(r);
}

static void test_sweep_memory_dns_counter_follows_timeouts(void **state) {
  (void)state;
  char server[64];
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.max_time_ms = 400;
  to_run_t x = {0};
  assert_int_equal(tlsdiag_multi_new(1000, to_cb, &x, &x.m), TLSDIAG_OK);
  tddns_t *d = add_dropped(x.m, "t", &o, server);
  struct pollfd fds[2048];
  size_t rounds = 0;
  while (tlsdiag_multi_pending(x.m) && rounds++ < 100000) {
    size_t n = tlsdiag_multi_fds(x.m, fds, 2048);
    int rc = poll(fds, (nfds_t)n, tlsdiag_multi_timeout_ms(x.m));
    assert_int_equal(tlsdiag_multi_process(x.m, fds, rc > 0 ? n : 0),
                     TLSDIAG_OK);
    assert_int_equal(td_multi_in_dns(x.m), td_multi_in_dns_walk(x.m));
    assert_true(td_multi_in_dns(x.m) <= 256);
  }
  assert_int_equal(x.done, 300);
  assert_int_equal(x.timeouts, 300);
  assert_int_equal(td_multi_in_dns(x.m), 0);
  assert_int_equal(td_multi_in_dns_walk(x.m), 0);
  tlsdiag_multi_free(x.m);
  tddns_stop(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sweep_memory_capture_exact_size),
      cmocka_unit_test(test_sweep_memory_capture_bound_before_handshake),
      cmocka_unit_test(test_sweep_memory_check_releases_capture),
      cmocka_unit_test(test_sweep_memory_stalled_check_holds_hello),
      cmocka_unit_test(test_sweep_memory_nothing_kept_without_proof),
      cmocka_unit_test(test_sweep_memory_priority_once_per_engine),
      cmocka_unit_test(test_sweep_memory_dns_lookups_bounded),
      cmocka_unit_test(test_sweep_memory_dns_queue_drains),
      cmocka_unit_test(test_sweep_memory_dns_counter_follows_timeouts),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
