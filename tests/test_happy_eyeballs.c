/* test_happy_eyeballs: the TCP phase races its addresses as RFC 8305
 * (Happy Eyeballs v2) says: IPv6 first, then the families alternating; the
 * next attempt 250 ms later while the earlier ones are pending, or at once
 * when one fails; the first to connect wins and the others are abandoned.
 * A blackholed address on loopback is a listener whose accept queue is
 * full (TDS_NO_ACCEPT): the kernel drops the SYNs. Through the API and
 * through `tlsdiag check --json`. */
#include "tdtest.h"

#define HOST "valid.tlsdiag.test"
#define DELAY 250.0
/* Loopback answers in well under a millisecond; the rest is scheduling. */
#define SLACK 60.0

/* A socket bound to addr:port (port 0: any), never listening: a connect to
 * it is answered with a RST. -1 with errno when the bind fails. */
static int refusing_socket(const char *addr, uint16_t *port) {
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof(ss));
  int fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
  if (fam == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(*port);
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) fail_msg("%s", addr);
    len = sizeof(*s6);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(*port);
    if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1) fail_msg("%s", addr);
    len = sizeof(*s4);
  }
  int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  if (fam == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
      getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  *port = ntohs(fam == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                : ((struct sockaddr_in *)&ss)->sin_port);
  return fd;
}

/* The working server on `good` and a blackholed listener on `bad`, the same
 * port (an ephemeral one of good's). Skips when ::1 is missing. */
typedef struct {
  tdserver_t *good, *bad;
  uint16_t port;
} pair_t;

static void pair_start(pair_t *p, const char *good, const char *bad) {
  for (int tries = 0; tries < 20; tries++) {
    tdserver_config_t cfg;
    tt_server_config(&cfg, TDS_HTTP, "valid");
    cfg.bind_addr = good;
    p->good = NULL;
    int rc = tdserver_start(&cfg, &p->good);
    if (rc != 0 && strchr(good, ':'))
      TD_SKIP("no IPv6 loopback (::1) here: %s", tdserver_strerror(rc));
    if (rc != 0) fail_msg("tdserver_start: %s", tdserver_strerror(rc));
    p->port = tdserver_port(p->good);
    tt_server_config(&cfg, TDS_NO_ACCEPT, NULL);
    cfg.bind_addr = bad;
    cfg.port = p->port;
    p->bad = NULL;
    rc = tdserver_start(&cfg, &p->bad);
    if (rc == 0) return;
    tdserver_stop(p->good);
    if (rc != -EADDRINUSE && strchr(bad, ':'))
      TD_SKIP("no IPv6 loopback (::1) here: %s", tdserver_strerror(rc));
    if (rc != -EADDRINUSE) fail_msg("tdserver_start: %s", tdserver_strerror(rc));
  }
  fail_msg("no port free on both addresses");
}

static void pair_stop(pair_t *p) {
  tdserver_stop(p->bad);
  tdserver_stop(p->good);
}

/* Options for HOST pinned to `addrs` (the order as given) on port. */
static void opts_pinned(tt_opts_t *t, uint16_t port, const char *addrs) {
  tt_opts(t, HOST, port);
  snprintf(t->pin, sizeof(t->pin), "%s:%u:%s", HOST, port, addrs);
}

/* A check of HOST pinned to addrs on port through the API and the CLI
 * (tt_check_both, b->s left NULL), its root cause asserted. */
static void race_both(uint16_t port, const char *addrs, tlsdiag_cause_t cause,
                      tt_both_t *b) {
  tt_opts_t t;
  opts_pinned(&t, port, addrs);
  memset(b, 0, sizeof(*b));
  tt_check_both(HOST, &t, NULL, b);
  tt_expect_cause(b, cause);
}

static char *report_text(const tlsdiag_result_t *r) {
  char *out = NULL;
  size_t len = 0;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, 0, &out, &len),
                   TLSDIAG_OK);
  assert_non_null(out);
  return out;
}

static double jreal(json_t *j, const char *path) {
  json_t *v = tt_jget(j, path);
  if (!json_is_number(v)) fail_msg("%s is not a number", path);
  return json_number_value(v);
}

static void in_range(const char *what, double v, double lo, double hi) {
  if (v < lo || v > hi)
    fail_msg("%s = %.1f ms, expected %.1f..%.1f", what, v, lo, hi);
}

/* One attempt as the JSON reports it. */
static void attempt_is(json_t *j, int i, const char *addr, const char *family,
                       const char *status) {
  char p[64];
  snprintf(p, sizeof(p), "phases.tcp.attempts.%d.address", i);
  assert_string_equal(tt_jstr(j, p), addr);
  snprintf(p, sizeof(p), "phases.tcp.attempts.%d.family", i);
  assert_string_equal(tt_jstr(j, p), family);
  snprintf(p, sizeof(p), "phases.tcp.attempts.%d.status", i);
  assert_string_equal(tt_jstr(j, p), status);
}

/* The second attempt started lo..hi ms after the first. */
static void second_started_after(json_t *j, double lo, double hi) {
  in_range("second attempt's start after the first's",
           jreal(j, "phases.tcp.attempts.1.started_ms") -
               jreal(j, "phases.tcp.attempts.0.started_ms"),
           lo, hi);
}

/* The blackholed-first race, in one JSON (the library's or the CLI's). */
static void blackholed_first(json_t *j, const char *lost, const char *lostfam,
                             const char *won, const char *wonfam) {
  assert_int_equal(json_array_size(tt_jget(j, "phases.tcp.attempts")), 2);
  attempt_is(j, 0, lost, lostfam, "abandoned");
  attempt_is(j, 1, won, wonfam, "ok");
  assert_string_equal(tt_jstr(j, "phases.tcp.connected"), won);
  assert_int_equal(json_integer_value(tt_jget(j, "phases.tcp.winner")), 1);
  assert_int_equal(json_integer_value(tt_jget(j, "phases.tcp.attempt_delay_ms")),
                   250);
  char why[128];
  snprintf(why, sizeof(why), "abandoned: %s connected first", won);
  assert_string_equal(tt_jstr(j, "phases.tcp.attempts.0.error"), why);
  assert_int_equal(json_integer_value(tt_jget(j, "phases.tcp.attempts.0.errno")),
                   0);
  /* The second attempt started 250 ms after the first, not after the
   * first one's connect timeout (3 s); the first was pending all along. */
  double s0 = jreal(j, "phases.tcp.attempts.0.started_ms");
  double s1 = jreal(j, "phases.tcp.attempts.1.started_ms");
  second_started_after(j, DELAY, td_upper_ms(DELAY + SLACK));
  in_range("the abandoned attempt's time", jreal(j, "phases.tcp.attempts.0.ms"),
           DELAY, td_upper_ms(DELAY + SLACK));
  in_range("the winner's connect", jreal(j, "phases.tcp.attempts.1.ms"), 0,
           td_upper_ms(SLACK));
  in_range("the TCP phase", jreal(j, "phases.tcp.ms"), DELAY,
           td_upper_ms(DELAY + SLACK));
  print_message("race: %s started at +%.1f ms, %s abandoned after %.1f ms, "
                "TCP phase %.1f ms\n",
                won, s1 - s0, lost, jreal(j, "phases.tcp.attempts.0.ms"),
                jreal(j, "phases.tcp.ms"));
}

/* IPv6 blackholed, IPv4 working: IPv6 is tried first (though the pin
 * lists it last), IPv4 250 ms later wins, IPv6 is abandoned. */
static void test_happy_eyeballs_ipv6_blackholed_ipv4_wins(void **state) {
  (void)state;
  pair_t p;
  pair_start(&p, "127.0.0.1", "::1");
  tt_both_t b;
  race_both(p.port, "127.0.0.1,::1", TLSDIAG_CAUSE_OK, &b);
  assert_string_equal(tlsdiag_result_connected_address(b.r), "127.0.0.1");
  blackholed_first(b.j, "::1", "ipv6", "127.0.0.1", "ipv4");
  blackholed_first(b.cli, "::1", "ipv6", "127.0.0.1", "ipv4");
  /* Time to first byte counts from the winner's SYN: the 250 ms spent on
   * the blackholed address are not the server's time. */
  in_range("ttfb", jreal(b.j, "anatomy.ttfb_ms"), 0, td_upper_ms(200));
  in_range("server time", jreal(b.j, "anatomy.server_ms"), 0, td_upper_ms(200));
  /* The text report names the winner and the loser on one line. */
  char *text = report_text(b.r);
  if (!strstr(text, "↳ happy eyeballs: 127.0.0.1 won (started at +"))
    fail_msg("no race line in:\n%s", text);
  if (!strstr(text, "; lost: ::1 abandoned after 25"))
    fail_msg("no loser in the race line:\n%s", text);
  free(text);
  tt_both_free(&b);
  pair_stop(&p);
}

/* The reverse: IPv4 blackholed, IPv6 working: IPv6 goes first and wins at
 * once; IPv4 is never tried. */
static void test_happy_eyeballs_ipv4_blackholed_ipv6_wins(void **state) {
  (void)state;
  pair_t p;
  pair_start(&p, "::1", "127.0.0.1");
  tt_both_t b;
  race_both(p.port, "127.0.0.1,::1", TLSDIAG_CAUSE_OK, &b);
  assert_string_equal(tlsdiag_result_connected_address(b.r), "::1");
  json_t *js[2] = {b.j, b.cli};
  for (int k = 0; k < 2; k++) {
    assert_int_equal(json_array_size(tt_jget(js[k], "phases.tcp.attempts")), 1);
    attempt_is(js[k], 0, "::1", "ipv6", "ok");
    assert_int_equal(json_integer_value(tt_jget(js[k], "phases.tcp.winner")),
                     0);
    in_range("the TCP phase", jreal(js[k], "phases.tcp.ms"), 0,
             td_upper_ms(SLACK));
  }
  char *text = report_text(b.r);
  assert_null(strstr(text, "happy eyeballs:")); /* no race was run */
  free(text);
  tt_both_free(&b);
  pair_stop(&p);
}

/* A refused IPv6 (RST) does not hold IPv4 back: it starts at once. */
static void test_happy_eyeballs_ipv6_refused_ipv4_at_once(void **state) {
  (void)state;
  tdserver_t *s = NULL;
  int fd = -1;
  uint16_t port = 0;
  for (int tries = 0; tries < 20 && fd < 0; tries++) {
    s = tt_server(TDS_HTTP, "valid");
    port = tdserver_port(s);
    fd = refusing_socket("::1", &port);
    if (fd >= 0) break;
    int e = errno;
    tdserver_stop(s);
    if (e != EADDRINUSE) TD_SKIP("no IPv6 loopback (::1) here: %s", strerror(e));
  }
  if (fd < 0) fail_msg("no port free on both addresses");
  tt_both_t b;
  race_both(port, "127.0.0.1,::1", TLSDIAG_CAUSE_OK, &b);
  b.s = s;
  json_t *js[2] = {b.j, b.cli};
  for (int k = 0; k < 2; k++) {
    json_t *j = js[k];
    assert_int_equal(json_array_size(tt_jget(j, "phases.tcp.attempts")), 2);
    attempt_is(j, 0, "::1", "ipv6", "failed");
    assert_int_equal(
        json_integer_value(tt_jget(j, "phases.tcp.attempts.0.errno")),
        ECONNREFUSED);
    attempt_is(j, 1, "127.0.0.1", "ipv4", "ok");
    assert_int_equal(json_integer_value(tt_jget(j, "phases.tcp.winner")), 1);
    second_started_after(j, 0, td_upper_ms(SLACK));
    in_range("the TCP phase", jreal(j, "phases.tcp.ms"), 0, td_upper_ms(SLACK));
  }
  tt_both_free(&b);
  close(fd);
}

/* The order: IPv6 first, then alternating, each family in the pin's order;
 * every address refuses, so each next attempt starts at once and the check
 * ends tcp_refused with all five tried. An IPv4-mapped IPv6 address counts
 * as IPv6 (it is reached through an AF_INET6 socket). */
static void test_happy_eyeballs_interleaves_families(void **state) {
  (void)state;
  uint16_t port = 0;
  int fd6 = -1, fd4 = -1;
  for (int tries = 0; tries < 20 && fd6 < 0; tries++) {
    port = 0;
    fd4 = refusing_socket("0.0.0.0", &port);
    if (fd4 < 0) fail_msg("bind 0.0.0.0: %s", strerror(errno));
    fd6 = refusing_socket("::1", &port);
    if (fd6 >= 0) break;
    int e = errno;
    close(fd4);
    if (e != EADDRINUSE) TD_SKIP("no IPv6 loopback (::1) here: %s", strerror(e));
  }
  if (fd6 < 0) fail_msg("no port free on both families");
  static const char *const want[][2] = {{"::1", "ipv6"},
                                        {"127.0.0.2", "ipv4"},
                                        {"::ffff:127.0.0.4", "ipv6"},
                                        {"127.0.0.3", "ipv4"},
                                        {"127.0.0.5", "ipv4"}};
  tt_both_t b;
  race_both(port, "127.0.0.2,127.0.0.3,::1,::ffff:127.0.0.4,127.0.0.5",
            TLSDIAG_CAUSE_TCP_REFUSED, &b);
  assert_string_equal(tt_ev(b.r, TLSDIAG_CAUSE_TCP_REFUSED, "addresses_tried"),
                      "5");
  json_t *js[2] = {b.j, b.cli};
  for (int k = 0; k < 2; k++) {
    json_t *j = js[k];
    assert_int_equal(json_array_size(tt_jget(j, "phases.tcp.attempts")), 5);
    for (int i = 0; i < 5; i++) {
      attempt_is(j, i, want[i][0], want[i][1], "failed");
      char p[64];
      snprintf(p, sizeof(p), "phases.tcp.attempts.%d.errno", i);
      assert_int_equal(json_integer_value(tt_jget(j, p)), ECONNREFUSED);
    }
    assert_true(json_is_null(tt_jget(j, "phases.tcp.winner")));
    assert_true(json_is_null(tt_jget(j, "phases.tcp.connected")));
    in_range("the TCP phase", jreal(j, "phases.tcp.ms"), 0, td_upper_ms(SLACK));
  }
  tt_both_free(&b);
  close(fd6);
  close(fd4);
}

/* Each attempt keeps its own connect timeout: with 100 ms, shorter than
 * the 250 ms delay, the blackholed IPv6 attempt times out first and IPv4
 * starts then, at 100 ms. */
static void test_happy_eyeballs_own_connect_timeout(void **state) {
  (void)state;
  pair_t p;
  pair_start(&p, "127.0.0.1", "::1");
  tt_opts_t t;
  opts_pinned(&t, p.port, "::1,127.0.0.1");
  t.o.connect_timeout_ms = 100;
  tlsdiag_result_t *r = tt_check(HOST, &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  json_t *j = tt_json(r);
  attempt_is(j, 0, "::1", "ipv6", "timeout");
  attempt_is(j, 1, "127.0.0.1", "ipv4", "ok");
  second_started_after(j, 100, td_upper_ms(100 + SLACK));
  json_decref(j);
  tlsdiag_result_free(r);
  pair_stop(&p);
}

/* The whole race ends at max_time: two blackholed addresses (IPv4 only,
 * so this runs without ::1), the second tried at 250 ms, both given up at
 * max_time (400 ms), not at their own connect timeout (3 s). */
static void test_happy_eyeballs_ends_at_max_time(void **state) {
  (void)state;
  tdserver_t *a = NULL, *b2 = NULL;
  uint16_t port = 0;
  for (int tries = 0; tries < 20 && !b2; tries++) {
    a = tt_server(TDS_NO_ACCEPT, NULL);
    port = tdserver_port(a);
    tdserver_config_t cfg;
    tt_server_config(&cfg, TDS_NO_ACCEPT, NULL);
    cfg.bind_addr = "127.0.0.2";
    cfg.port = port;
    int rc = tdserver_start(&cfg, &b2);
    if (rc == 0) break;
    tdserver_stop(a);
    if (rc != -EADDRINUSE) fail_msg("tdserver_start: %s", tdserver_strerror(rc));
  }
  if (!b2) fail_msg("no port free on both addresses");
  tt_opts_t t;
  opts_pinned(&t, port, "127.0.0.1,127.0.0.2");
  t.o.max_time_ms = 400;
  tlsdiag_result_t *r = tt_check(HOST, &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TCP_TIMEOUT);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_TCP),
                   TLSDIAG_STATUS_TIMEOUT);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_TCP_TIMEOUT, "addresses_tried"),
                      "2");
  json_t *j = tt_json(r);
  attempt_is(j, 0, "127.0.0.1", "ipv4", "timeout");
  attempt_is(j, 1, "127.0.0.2", "ipv4", "timeout");
  second_started_after(j, DELAY, td_upper_ms(DELAY + SLACK));
  in_range("the check", jreal(j, "total_ms"), 400, td_upper_ms(400 + SLACK));
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(b2);
  tdserver_stop(a);
}

/* Through DNS (A and AAAA from the fake server, whatever order c-ares
 * gives them): the same race, IPv6 first. */
static void test_happy_eyeballs_through_dns(void **state) {
  (void)state;
  pair_t p;
  pair_start(&p, "127.0.0.1", "::1");
  tddns_t *d = NULL;
  assert_int_equal(tddns_start("127.0.0.1", &d), 0);
  assert_int_equal(tddns_add_a(d, HOST, "127.0.0.1"), 0);
  assert_int_equal(tddns_add_aaaa(d, HOST, "::1"), 0);
  char servers[64];
  snprintf(servers, sizeof(servers), "127.0.0.1:%u", tddns_port(d));
  tt_opts_t t;
  tt_opts(&t, NULL, p.port);
  t.o.dns_servers = servers;
  tlsdiag_result_t *r = tt_check(HOST, &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_OK);
  assert_int_equal(tlsdiag_result_address_count(r), 2);
  json_t *j = tt_json(r);
  blackholed_first(j, "::1", "ipv6", "127.0.0.1", "ipv4");
  json_decref(j);
  tlsdiag_result_free(r);
  tddns_stop(d);
  pair_stop(&p);
}

/* --happy-eyeballs-timeout-ms (curl's name) moves the next attempt: at
 * 100 ms, IPv4 starts 100 ms after the blackholed IPv6; API and CLI. */
static void test_happy_eyeballs_timeout_option(void **state) {
  (void)state;
  pair_t p;
  pair_start(&p, "127.0.0.1", "::1");
  tt_opts_t t;
  opts_pinned(&t, p.port, "127.0.0.1,::1");
  t.o.happy_eyeballs_timeout_ms = 100;
  const char *extra[] = {"--happy-eyeballs-timeout-ms", "100", NULL};
  tt_both_t b;
  memset(&b, 0, sizeof(b));
  tt_check_both(HOST, &t, extra, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  json_t *js[2] = {b.j, b.cli};
  for (int k = 0; k < 2; k++) {
    json_t *j = js[k];
    attempt_is(j, 0, "::1", "ipv6", "abandoned");
    attempt_is(j, 1, "127.0.0.1", "ipv4", "ok");
    assert_int_equal(json_integer_value(tt_jget(j, "phases.tcp.attempt_delay_ms")),
                     100);
    second_started_after(j, 100, td_upper_ms(100 + SLACK));
  }
  tt_both_free(&b);
  pair_stop(&p);
}

/* 0..60000; a caller of options version 3 (before the field) gets 250, not
 * whatever lies past its struct; the CLI refuses a bad value. */
static void test_happy_eyeballs_timeout_option_checked(void **state) {
  (void)state;
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  assert_int_equal(o.happy_eyeballs_timeout_ms, 250);
  char why[256] = "";
  o.happy_eyeballs_timeout_ms = -1;
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)),
                   TLSDIAG_E_OPTIONS);
  assert_string_equal(why, "happy_eyeballs_timeout_ms -1 is not within 0..60000");
  o.happy_eyeballs_timeout_ms = 60001;
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)),
                   TLSDIAG_E_OPTIONS);
  o.happy_eyeballs_timeout_ms = 0;
  assert_int_equal(tlsdiag_options_check(&o, why, sizeof(why)), TLSDIAG_OK);

  tlsdiag_options_t *old = malloc(sizeof(*old));
  assert_non_null(old);
  memset(old, 0xA5, sizeof(*old)); /* garbage past a version-3 struct */
  tlsdiag_options_init(&o);
  o.version = 3;
  memcpy(old, &o, offsetof(tlsdiag_options_t, trust_source) +
                      sizeof(const char *));
  tlsdiag_options_t tmp;
  const tlsdiag_options_t *in = td_options_import(old, &tmp);
  assert_int_equal(in->happy_eyeballs_timeout_ms, 250);
  assert_int_equal(tlsdiag_options_check(old, why, sizeof(why)), TLSDIAG_OK);
  free(old);

  const char *args[] = {"check", "--happy-eyeballs-timeout-ms", "-5",
                        "127.0.0.1", NULL};
  tt_cli_run_t c = tt_cli_input(NULL, args);
  assert_int_equal(c.rc, 1); /* a usage error */
  assert_non_null(strstr(c.err, "bad --happy-eyeballs-timeout-ms '-5'"));
  tt_cli_run_free(&c);
}

/* In an engine: three checks race at once in one loop, each through the
 * engine's descriptors (two per check while both attempts are pending). */
typedef struct {
  tlsdiag_result_t *r[3];
  size_t n;
} got_t;

static void got(tlsdiag_result_t *r, void *user, void *cb_data) {
  (void)user;
  got_t *g = cb_data;
  if (g->n < 3) g->r[g->n++] = r;
  else tlsdiag_result_free(r);
}

static void test_happy_eyeballs_in_an_engine(void **state) {
  (void)state;
  pair_t p;
  pair_start(&p, "127.0.0.1", "::1");
  tt_opts_t t;
  opts_pinned(&t, p.port, "127.0.0.1,::1");
  got_t g;
  memset(&g, 0, sizeof(g));
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(8, got, &g, &m), TLSDIAG_OK);
  for (int i = 0; i < 3; i++)
    assert_int_equal(tlsdiag_multi_add(m, HOST, &t.o, NULL), TLSDIAG_OK);
  int64_t t0 = td_mono_us();
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  double ms = tt_ms_since(t0);
  tlsdiag_multi_free(m);
  assert_int_equal(g.n, 3);
  for (size_t i = 0; i < g.n; i++) {
    assert_int_equal(tlsdiag_result_cause(g.r[i]), TLSDIAG_CAUSE_OK);
    json_t *j = tt_json(g.r[i]);
    blackholed_first(j, "::1", "ipv6", "127.0.0.1", "ipv4");
    json_decref(j);
    tlsdiag_result_free(g.r[i]);
  }
  /* Together, not one after another (3 x 250 ms). */
  in_range("the engine's run", ms, DELAY, td_upper_ms(DELAY + 300));
  pair_stop(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_happy_eyeballs_ipv6_blackholed_ipv4_wins),
      cmocka_unit_test(test_happy_eyeballs_ipv4_blackholed_ipv6_wins),
      cmocka_unit_test(test_happy_eyeballs_ipv6_refused_ipv4_at_once),
      cmocka_unit_test(test_happy_eyeballs_interleaves_families),
      cmocka_unit_test(test_happy_eyeballs_own_connect_timeout),
      cmocka_unit_test(test_happy_eyeballs_in_an_engine),
      cmocka_unit_test(test_happy_eyeballs_through_dns),
      cmocka_unit_test(test_happy_eyeballs_ends_at_max_time),
      cmocka_unit_test(test_happy_eyeballs_timeout_option),
      cmocka_unit_test(test_happy_eyeballs_timeout_option_checked),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
