/* test_multi.c: the concurrent engine (tlsdiag_multi_*): every add gets
 * exactly one callback with the right diagnosis, a silent server ends at
 * its own deadline without holding the others, the in-flight limit holds
 * (seen from the server side), an external poll loop drives it, options
 * are copied at add, errors come back from add, and freeing with checks
 * pending is clean. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdtest.h"

#include "engine.h"

#define NTARGETS 200

typedef struct {
  int calls[NTARGETS + 8];
  tlsdiag_cause_t cause[NTARGETS + 8];
  double done_ms[NTARGETS + 8]; /* since the run started */
  double total_ms[NTARGETS + 8];
  size_t order[NTARGETS + 8]; /* completion rank */
  size_t ncalls;
  int64_t t0;
  tlsdiag_multi_t *m;
  int readd_until; /* callback adds user+1 while below this */
  tt_opts_t readd_opts;
  const char *readd_host;
  int nested_rc;
} rec_t;

static void record(tlsdiag_result_t *r, void *user, void *cb_data) {
  rec_t *rec = cb_data;
  size_t i = (size_t)(uintptr_t)user;
  assert_true(i < NTARGETS + 8);
  assert_non_null(r);
  rec->calls[i]++;
  rec->cause[i] = tlsdiag_result_cause(r);
  rec->done_ms[i] = tt_ms_since(rec->t0);
  rec->total_ms[i] = 0;
  for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++)
    rec->total_ms[i] += tlsdiag_result_phase_ms(r, (tlsdiag_phase_t)p);
  rec->order[i] = rec->ncalls++;
  if (rec->m) {
    /* Callbacks may add, not process. */
    rec->nested_rc = (int)tlsdiag_multi_process(rec->m, NULL, 0);
    if ((int)i + 1 < rec->readd_until)
      assert_int_equal(tlsdiag_multi_add(rec->m, rec->readd_host,
                                         &rec->readd_opts.o,
                                         (void *)(uintptr_t)(i + 1)),
                       TLSDIAG_OK);
  }
  tlsdiag_result_free(r);
}

static void test_multi_every_add_gets_one_callback(void **state) {
  (void)state;
  tdserver_t *valid = tt_server(TDS_HTTP, "valid");
  tdserver_t *expired = tt_server(TDS_HTTP, "expired");
  tdserver_t *wrong = tt_server(TDS_HTTP, "wrong_host");
  tdserver_t *silent = tt_server(TDS_SILENT, NULL);
  uint16_t refused = 0;
  int hold = tt_refusing_port("127.0.0.1", &refused); /* bound, no listen */
  struct {
    const char *host;
    uint16_t port;
    tlsdiag_cause_t cause;
  } kinds[] = {
      {"localhost", tdserver_port(valid), TLSDIAG_CAUSE_OK},
      {"expired.tlsdiag.test", tdserver_port(expired), TLSDIAG_CAUSE_CERT_EXPIRED},
      {"wrong-host.tlsdiag.test", tdserver_port(wrong),
       TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH},
      {"refused.tlsdiag.test", refused, TLSDIAG_CAUSE_TCP_REFUSED},
  };
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(16, record, &rec, &m), TLSDIAG_OK);

  /* The silent target first, with a deadline of its own. */
  const int silent_ms = 2000;
  tt_opts_t so;
  tt_opts(&so, "silent.tlsdiag.test", tdserver_port(silent));
  so.o.connect_timeout_ms = silent_ms;
  so.o.max_time_ms = silent_ms + 1000;
  assert_int_equal(tlsdiag_multi_add(m, "silent.tlsdiag.test", &so.o,
                                     (void *)(uintptr_t)0),
                   TLSDIAG_OK);
  for (size_t i = 1; i < NTARGETS; i++) {
    tt_opts_t t;
    tt_opts(&t, kinds[i % 4].host, kinds[i % 4].port);
    /* tt_opts' strings live on this stack frame: the multi copies them. */
    assert_int_equal(tlsdiag_multi_add(m, kinds[i % 4].host, &t.o,
                                       (void *)(uintptr_t)i),
                     TLSDIAG_OK);
  }
  assert_int_equal(tlsdiag_multi_pending(m), NTARGETS);
  rec.t0 = td_mono_us();
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  double run_ms = tt_ms_since(rec.t0);
  assert_int_equal(tlsdiag_multi_pending(m), 0);
  /* The engine parsed each distinct certificate once (certcache.c): the
   * three leaves and the intermediate of every chain of two. */
  size_t ntls = 0, hits = 0, misses = 0;
  for (size_t i = 1; i < NTARGETS; i++) ntls += i % 4 != 3;
  td_cert_cache_stats(td_shared_certs(td_multi_shared(m)), &hits, &misses);
  assert_int_equal(misses, 4);
  assert_int_equal(hits, 2 * ntls - 4);
  tlsdiag_multi_free(m);

  assert_int_equal(rec.ncalls, NTARGETS);
  double others_max = 0;
  for (size_t i = 0; i < NTARGETS; i++) {
    assert_int_equal(rec.calls[i], 1);
    if (i == 0) continue;
    if (rec.cause[i] != kinds[i % 4].cause)
      fail_msg("target %zu (%s): %s, expected %s", i, kinds[i % 4].host,
               tlsdiag_cause_name(rec.cause[i]),
               tlsdiag_cause_name(kinds[i % 4].cause));
    if (rec.total_ms[i] > others_max) others_max = rec.total_ms[i];
  }
  /* The silent one ends at its own deadline... */
  assert_int_equal(rec.cause[0], TLSDIAG_CAUSE_TLS_TIMEOUT);
  assert_true(rec.done_ms[0] >= silent_ms - 5);
  assert_true(rec.done_ms[0] < td_upper_ms(silent_ms + 1500));
  /* ...and no other check waited for it: each took far less than the
   * silent deadline, and most finished while it was still waiting (all
   * of them on an idle machine; a sanitizer build is slower). Time bounds
   * scale with TD_TIME_SCALE; under valgrind (a scale of 10 or more) the
   * one loop is the bottleneck and the order is not asserted. */
  assert_true(others_max < td_upper_ms(silent_ms));
  if (td_time_scale() < 10) assert_true(rec.order[0] >= NTARGETS / 2);
  print_message("200 checks, 16 in flight: %.0f ms; slowest non-silent %.1f ms; "
                "silent ended at %.0f ms\n",
                run_ms, others_max, rec.done_ms[0]);
  tdserver_stop(valid);
  tdserver_stop(expired);
  tdserver_stop(wrong);
  tdserver_stop(silent);
  close(hold);
}

/* The limit seen from the server: with 12 checks of a silent server and 4
 * in flight, it has accepted exactly 4 connections while the first wave
 * waits. Driven by an external poll loop that also counts the descriptors
 * it is given. */
static void test_multi_limit_holds_in_external_loop(void **state) {
  (void)state;
  tdserver_t *silent = tt_server(TDS_SILENT, NULL);
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(4, record, &rec, &m), TLSDIAG_OK);
  const int wave_ms = 600;
  for (size_t i = 0; i < 12; i++) {
    tt_opts_t t;
    tt_opts(&t, "silent.tlsdiag.test", tdserver_port(silent));
    t.o.connect_timeout_ms = wave_ms;
    t.o.max_time_ms = wave_ms + 1000;
    assert_int_equal(tlsdiag_multi_add(m, "silent.tlsdiag.test", &t.o,
                                       (void *)(uintptr_t)i),
                     TLSDIAG_OK);
  }
  /* Nothing runs before the first process: add only queues. */
  assert_int_equal(tdserver_connections(silent), 0);
  assert_int_equal(tlsdiag_multi_timeout_ms(m), 0);
  rec.t0 = td_mono_us();
  size_t max_fds = 0, iterations = 0;
  unsigned seen_in_first_wave = 0;
  struct pollfd fds[64];
  while (tlsdiag_multi_pending(m) && iterations++ < 100000) {
    size_t n = tlsdiag_multi_fds(m, fds, 64);
    if (n > max_fds) max_fds = n;
    int timeout = tlsdiag_multi_timeout_ms(m);
    assert_true(timeout >= 0 && timeout <= wave_ms);
    int rc = poll(fds, n, timeout);
    assert_true(rc >= 0);
    if (tt_ms_since(rec.t0) > wave_ms / 2 && !seen_in_first_wave)
      seen_in_first_wave = tdserver_connections(silent);
    assert_int_equal(tlsdiag_multi_process(m, fds, rc > 0 ? n : 0), TLSDIAG_OK);
  }
  double ms = tt_ms_since(rec.t0);
  tlsdiag_multi_free(m);
  assert_int_equal(rec.ncalls, 12);
  for (size_t i = 0; i < 12; i++) {
    assert_int_equal(rec.calls[i], 1);
    assert_int_equal(rec.cause[i], TLSDIAG_CAUSE_TLS_TIMEOUT);
  }
  assert_int_equal(max_fds, 4);
  assert_int_equal(seen_in_first_wave, 4);
  assert_int_equal(tdserver_connections(silent), 12);
  /* Three waves of 4, one after the other. */
  assert_true(ms >= 3 * wave_ms - 15);
  assert_true(ms < td_upper_ms(3 * wave_ms + 2000));
  /* Checks of one wave finish before any of the next. */
  for (size_t i = 0; i < 12; i++)
    assert_int_equal(rec.order[i] / 4, i / 4);
  tdserver_stop(silent);
}

static void test_multi_add_reports_errors_not_callbacks(void **state) {
  (void)state;
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(0, NULL, NULL, &m), TLSDIAG_E_INVAL);
  assert_null(m);
  assert_int_equal(tlsdiag_multi_new(0, record, &rec, &m), TLSDIAG_OK);
  tt_opts_t t;
  tt_opts(&t, "localhost", 443);
  assert_int_equal(tlsdiag_multi_add(m, "", &t.o, NULL), TLSDIAG_E_HOST);
  assert_int_equal(tlsdiag_multi_add(m, "[not-an-ip]", &t.o, NULL),
                   TLSDIAG_E_HOST);
  assert_int_equal(tlsdiag_multi_add(m, NULL, &t.o, NULL), TLSDIAG_E_INVAL);
  t.o.port = 0;
  assert_int_equal(tlsdiag_multi_add(m, "localhost", &t.o, NULL), TLSDIAG_E_PORT);
  t.o.port = 443;
  t.o.cafile = "/nonexistent/ca.pem";
  assert_int_equal(tlsdiag_multi_add(m, "localhost", &t.o, NULL),
                   TLSDIAG_E_CAFILE);
  t.o.cafile = tt_root;
  const char *bad_pin[] = {"localhost:443:not-an-address", NULL};
  t.o.resolve = bad_pin;
  assert_int_equal(tlsdiag_multi_add(m, "localhost", &t.o, NULL),
                   TLSDIAG_E_RESOLVE);
  t.o.resolve = t.pins;
  t.o.version = 99;
  assert_int_equal(tlsdiag_multi_add(m, "localhost", &t.o, NULL),
                   TLSDIAG_E_OPTIONS);
  t.o.version = TLSDIAG_OPTIONS_VERSION;
  t.o.dns_servers = "not a server";
  assert_int_equal(tlsdiag_multi_add(m, "localhost", &t.o, NULL),
                   TLSDIAG_E_DNS_SERVER);
  assert_int_equal(tlsdiag_multi_pending(m), 0);
  assert_int_equal(tlsdiag_multi_timeout_ms(m), -1);
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  assert_int_equal(rec.ncalls, 0);
  tlsdiag_multi_free(m);
  tlsdiag_multi_free(NULL);
  assert_int_equal(tlsdiag_multi_pending(NULL), 0);
}

/* Options and every string they point to are copied at add: the caller's
 * may be overwritten and freed before the check runs. Two trust stores in
 * one multi give each check its own. */
static void test_multi_copies_options_at_add(void **state) {
  (void)state;
  tdserver_t *valid = tt_server(TDS_HTTP, "valid");
  uint16_t port = tdserver_port(valid);
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(2, record, &rec, &m), TLSDIAG_OK);
  char unknown[200];
  snprintf(unknown, sizeof(unknown), "%s/unknown-root.pem", tt_dir);
  for (int k = 0; k < 2; k++) {
    tt_opts_t t;
    tt_opts(&t, NULL, port);
    char *host = strdup("valid.tlsdiag.test");
    char *pin = td_asprintf("valid.tlsdiag.test:%u:127.0.0.1", port);
    char *sni = strdup("valid.tlsdiag.test");
    char *ca = strdup(k == 0 ? tt_root : unknown);
    char *path = strdup("/");
    const char **pins = calloc(2, sizeof(*pins));
    pins[0] = pin;
    t.o.resolve = pins;
    t.o.sni = sni;
    t.o.cafile = ca;
    t.o.http_path = path;
    assert_int_equal(tlsdiag_multi_add(m, host, &t.o, (void *)(uintptr_t)k),
                     TLSDIAG_OK);
    char *all[] = {host, pin, sni, ca, path};
    for (size_t i = 0; i < 5; i++) {
      memset(all[i], 'x', strlen(all[i]));
      free(all[i]);
    }
    free(pins);
  }
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  tlsdiag_multi_free(m);
  assert_int_equal(rec.calls[0], 1);
  assert_int_equal(rec.calls[1], 1);
  assert_int_equal(rec.cause[0], TLSDIAG_CAUSE_OK);
  assert_int_equal(rec.cause[1], TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER);
  tdserver_stop(valid);
}

/* A callback may add more checks (they run in the same loop); it may not
 * re-enter process. */
static void test_multi_callback_may_add(void **state) {
  (void)state;
  tdserver_t *valid = tt_server(TDS_HTTP, "valid");
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(4, record, &rec, &m), TLSDIAG_OK);
  rec.m = m;
  rec.readd_until = 10;
  rec.readd_host = "localhost";
  tt_opts(&rec.readd_opts, "localhost", tdserver_port(valid));
  rec.nested_rc = -1;
  assert_int_equal(tlsdiag_multi_add(m, "localhost", &rec.readd_opts.o,
                                     (void *)(uintptr_t)0),
                   TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  tlsdiag_multi_free(m);
  assert_int_equal(rec.ncalls, 10);
  for (size_t i = 0; i < 10; i++) {
    assert_int_equal(rec.calls[i], 1);
    assert_int_equal(rec.cause[i], TLSDIAG_CAUSE_OK);
  }
  assert_int_equal(rec.nested_rc, TLSDIAG_E_INVAL);
  tdserver_stop(valid);
}

/* Freeing with checks queued and running abandons them: no callback, no
 * leak (the sanitizer run checks), no descriptor left open. */
static void test_multi_free_with_checks_pending(void **state) {
  (void)state;
  /* Every open descriptor counted, before the server starts and after it
   * stops (its accepted connections close with it). */
  char before_fds[4096], after_fds[4096];
  int before = tt_open_fds(before_fds, sizeof(before_fds));
  tdserver_t *silent = tt_server(TDS_SILENT, NULL);
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(3, record, &rec, &m), TLSDIAG_OK);
  for (size_t i = 0; i < 8; i++) {
    tt_opts_t t;
    tt_opts(&t, "silent.tlsdiag.test", tdserver_port(silent));
    assert_int_equal(tlsdiag_multi_add(m, "silent.tlsdiag.test", &t.o,
                                       (void *)(uintptr_t)i),
                     TLSDIAG_OK);
  }
  struct pollfd fds[16];
  for (int k = 0; k < 5; k++) {
    size_t n = tlsdiag_multi_fds(m, fds, 16);
    int rc = poll(fds, n, 20);
    assert_int_equal(tlsdiag_multi_process(m, fds, rc > 0 ? n : 0), TLSDIAG_OK);
  }
  assert_int_equal(tlsdiag_multi_pending(m), 8);
  tlsdiag_multi_free(m);
  assert_int_equal(rec.ncalls, 0);
  tdserver_stop(silent);
  int after = tt_open_fds(after_fds, sizeof(after_fds));
  if (after != before)
    fail_msg("%d descriptors open before, %d after:\n%s---\n%s", before,
             after, before_fds, after_fds);
}

/* tlsdiag_check, tlsdiag_multi_add and tlsdiag_options_check share one
 * validation: for the same bad options they return the same error, and the
 * engine refuses them at add (no queued check, no callback). A key log file
 * that cannot be opened (its directory is missing; it is a directory: both
 * fail for root too) was once accepted by add and reported later as a
 * failed check (tcp_failure). */
static void test_multi_add_validates_options_as_check_does(void **state) {
  (void)state;
  static rec_t rec;
  memset(&rec, 0, sizeof(rec));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(0, record, &rec, &m), TLSDIAG_OK);
  const char *bad_pin[] = {"localhost:443:not-an-address", NULL};
  char nodir[128];
  snprintf(nodir, sizeof(nodir), "%s/no-such-dir/keys.log", tt_dir);
  struct {
    const char *what;
    tlsdiag_err_t want;
  } cases[] = {
      {"keylog_file in a missing directory", TLSDIAG_E_KEYLOG},
      {"keylog_file is a directory", TLSDIAG_E_KEYLOG},
      {"port 0", TLSDIAG_E_PORT},
      {"version 99", TLSDIAG_E_OPTIONS},
      {"tls_min > tls_max", TLSDIAG_E_OPTIONS},
      {"max_time_ms 0", TLSDIAG_E_OPTIONS},
      {"IPv4 and IPv6 only", TLSDIAG_E_OPTIONS},
      {"bad DNS server", TLSDIAG_E_DNS_SERVER},
      {"bad resolve pin", TLSDIAG_E_RESOLVE},
      {"missing CA file", TLSDIAG_E_CAFILE},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    tt_opts_t t;
    tt_opts(&t, "localhost", 443);
    switch (i) {
    case 0: t.o.keylog_file = nodir; break;
    case 1: t.o.keylog_file = tt_dir; break;
    case 2: t.o.port = 0; break;
    case 3: t.o.version = 99; break;
    case 4:
      t.o.tls_min = TLSDIAG_TLS1_3;
      t.o.tls_max = TLSDIAG_TLS1_2;
      break;
    case 5: t.o.max_time_ms = 0; break;
    case 6: t.o.flags = TLSDIAG_F_IPV4_ONLY | TLSDIAG_F_IPV6_ONLY; break;
    case 7: t.o.dns_servers = "not a server"; break;
    case 8: t.o.resolve = bad_pin; break;
    case 9: t.o.cafile = "/nonexistent/ca.pem"; break;
    }
    tlsdiag_result_t *r = NULL;
    char why[256];
    tlsdiag_err_t by_check = tlsdiag_check("localhost", &t.o, &r);
    tlsdiag_err_t by_add = tlsdiag_multi_add(m, "localhost", &t.o, NULL);
    tlsdiag_err_t by_opts = tlsdiag_options_check(&t.o, why, sizeof(why));
    if (by_check != cases[i].want || by_add != cases[i].want ||
        by_opts != cases[i].want)
      fail_msg("%s: check %d, multi_add %d, options_check %d, want %d",
               cases[i].what, by_check, by_add, by_opts, cases[i].want);
    assert_null(r);
    assert_true(why[0] != '\0');
  }
  /* The reason names the key log file and what is wrong with it. */
  tt_opts_t t;
  tt_opts(&t, "localhost", 443);
  char why[256], want[256];
  t.o.keylog_file = nodir;
  assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)),
                   TLSDIAG_E_KEYLOG);
  snprintf(want, sizeof(want),
           "key log file '%s' cannot be opened for writing: "
           "No such file or directory", nodir);
  assert_string_equal(why, want);
  t.o.keylog_file = tt_dir;
  assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)),
                   TLSDIAG_E_KEYLOG);
  snprintf(want, sizeof(want),
           "key log file '%s' cannot be opened for writing: Is a directory",
           tt_dir);
  assert_string_equal(why, want);
  /* A writable one that does not exist yet passes, and validating it
   * leaves no file behind (the check itself creates it). */
  char fresh[128];
  snprintf(fresh, sizeof(fresh), "%s/fresh-keys.log", tt_dir);
  t.o.keylog_file = fresh;
  assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)), TLSDIAG_OK);
  assert_string_equal(why, "");
  assert_int_equal(tlsdiag_multi_add(m, "localhost", &t.o, NULL), TLSDIAG_OK);
  assert_int_equal(access(fresh, F_OK), -1);
  /* Nothing refused was queued: only the last add is pending. */
  assert_int_equal(tlsdiag_multi_pending(m), 1);
  tlsdiag_multi_free(m);
  assert_int_equal(rec.ncalls, 0);
  /* NULL options are the defaults, which are valid. */
  assert_int_equal(tlsdiag_options_check(NULL, NULL, 0), TLSDIAG_OK);
}

/* Why a trust store does not load: which file, and whether it is missing,
 * a directory, unreadable, empty, holds no certificate, or which of its
 * certificates does not parse. The error is TLSDIAG_E_CAFILE, the same as
 * tlsdiag_multi_add's for those options. The reason is always cut to the
 * buffer and NUL-terminated. */
static void test_multi_options_check_says_why_ca_file_fails(void **state) {
  (void)state;
  char *root = tt_read_file_or_fail(tt_root);
  /* The root certificate, then a copy whose base64 is broken. */
  char *two = malloc(2 * strlen(root) + 64);
  assert_non_null(two);
  strcpy(two, root);
  size_t lines = 0;
  for (const char *p = root; *p; p++) lines += *p == '\n';
  char *second = two + strlen(two);
  strcat(two, root);
  char *body = strstr(second, "-----\n") + 6;
  memcpy(body, "!!!!", 4);
  char path[160], dir[160], want[512], why[512];
  struct {
    const char *name, *content, *tail; /* after "CA file '<path>'" */
  } cases[] = {
      {NULL, NULL, ": No such file or directory"},
      {"", NULL, " is a directory (set capath for a directory)"},
      {"empty.pem", "", " is empty"},
      {"text.pem", "this is not a certificate\n",
       " holds no certificate (no PEM CERTIFICATE block, and not one DER "
       "certificate)"},
      {"two.pem", two, NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (!cases[i].name) snprintf(path, sizeof(path), "%s/missing.pem", tt_dir);
    else if (!cases[i].name[0]) snprintf(path, sizeof(path), "%s", tt_dir);
    else tt_write_tmp(path, sizeof(path), cases[i].name, cases[i].content);
    if (cases[i].tail)
      snprintf(want, sizeof(want), "CA file '%s'%s", path, cases[i].tail);
    else
      snprintf(want, sizeof(want),
               "CA file '%s': certificate 2 (line %zu) does not parse: "
               "Base64 unexpected header error.", path, lines + 1);
    tt_opts_t t;
    tt_opts(&t, "localhost", 443);
    t.o.cafile = path;
    assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)),
                     TLSDIAG_E_CAFILE);
    assert_string_equal(why, want);
    tlsdiag_multi_t *m = NULL;
    static rec_t rec;
    assert_int_equal(tlsdiag_multi_new(0, record, &rec, &m), TLSDIAG_OK);
    assert_int_equal(tlsdiag_multi_add(m, "localhost", &t.o, NULL),
                     TLSDIAG_E_CAFILE);
    tlsdiag_multi_free(m);
  }
  if (geteuid() != 0) { /* root reads anything */
    tt_write_tmp(path, sizeof(path), "unreadable.pem", root);
    assert_int_equal(chmod(path, 0), 0);
    tt_opts_t t;
    tt_opts(&t, "localhost", 443);
    t.o.cafile = path;
    assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)),
                     TLSDIAG_E_CAFILE);
    snprintf(want, sizeof(want), "CA file '%s' cannot be read: "
             "Permission denied", path);
    assert_string_equal(why, want);
  }
  /* capath: missing, a file, a directory with no certificate. */
  tt_opts_t t;
  tt_opts(&t, "localhost", 443);
  t.o.cafile = NULL;
  snprintf(dir, sizeof(dir), "%s/no-such-dir", tt_dir);
  t.o.capath = dir;
  assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)),
                   TLSDIAG_E_CAFILE);
  snprintf(want, sizeof(want), "CA directory '%s': No such file or directory",
           dir);
  assert_string_equal(why, want);
  t.o.capath = tt_root;
  assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)),
                   TLSDIAG_E_CAFILE);
  snprintf(want, sizeof(want),
           "CA directory '%s' is not a directory (set cafile for a file)",
           tt_root);
  assert_string_equal(why, want);
  snprintf(dir, sizeof(dir), "%s/empty-dir", tt_dir);
  assert_int_equal(mkdir(dir, 0700), 0);
  t.o.capath = dir;
  assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)),
                   TLSDIAG_E_CAFILE);
  snprintf(want, sizeof(want),
           "CA directory '%s' holds no PEM certificate that parses", dir);
  assert_string_equal(why, want);
  /* A good file with a bad directory: the directory is named. */
  t.o.cafile = tt_root;
  assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)),
                   TLSDIAG_E_CAFILE);
  assert_string_equal(why, want);
  /* A good store: OK and "". A short buffer is cut, still terminated. */
  t.o.capath = NULL;
  assert_int_equal(tlsdiag_options_check(&t.o, why, sizeof(why)), TLSDIAG_OK);
  assert_string_equal(why, "");
  t.o.cafile = "/nonexistent/ca.pem";
  char small[8];
  assert_int_equal(tlsdiag_options_check(&t.o, small, sizeof(small)),
                   TLSDIAG_E_CAFILE);
  assert_string_equal(small, "CA file");
  free(root);
  free(two);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_multi_every_add_gets_one_callback),
      cmocka_unit_test(test_multi_limit_holds_in_external_loop),
      cmocka_unit_test(test_multi_add_reports_errors_not_callbacks),
      cmocka_unit_test(test_multi_copies_options_at_add),
      cmocka_unit_test(test_multi_callback_may_add),
      cmocka_unit_test(test_multi_free_with_checks_pending),
      cmocka_unit_test(test_multi_add_validates_options_as_check_does),
      cmocka_unit_test(test_multi_options_check_says_why_ca_file_fails),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
