/* test_dns_ahead.c: the engine's DNS look-ahead (tlsdiag_multi_set_dns_ahead,
 * `tlsdiag sweep --dns-ahead`): more checks alive than in flight, at most
 * max_in_flight past their lookup, the others held oldest first with the
 * wait in queued_ms; failed lookups never held; A = 0 as before. Against
 * the fake DNS (tddns) and a slow TLS server (tdserver dripping its
 * answer) behind a counting proxy in this file, all on loopback. */
#include <poll.h>
#include <pthread.h>

#include "check.h"
#include "tdtest.h"

#define PX_MAX 64
#define SLOW_MS 300 /* the server's pause inside its answer */

/* ---- a proxy counting the connections open at once ----------------------
 * Forwards each accepted connection to the backend. Before it counts a new
 * connection, it reads what every open one has pending (a close from the
 * client reaches it before the client's next connect on loopback), so the
 * maximum is exact. */
typedef struct {
  int c, b; /* client side, backend side */
} px_pair_t;

typedef struct {
  int lfd, stop[2];
  uint16_t port, backend;
  pthread_t th;
  px_pair_t p[PX_MAX];
  size_t n;
  pthread_mutex_t mu;
  unsigned max_open, accepted;
} px_t;

/* Moves what `from` has to `to`; 0 while both stay open. */
static int px_pump(int from, int to) {
  char buf[16384];
  for (;;) {
    ssize_t k = recv(from, buf, sizeof(buf), MSG_DONTWAIT);
    if (k == 0) return -1;
    if (k < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    for (ssize_t off = 0; off < k;) {
      ssize_t w = send(to, buf + off, (size_t)(k - off), MSG_NOSIGNAL);
      if (w <= 0) return -1;
      off += w;
    }
  }
}

static void px_drop(px_t *x, size_t i) {
  close(x->p[i].c);
  close(x->p[i].b);
  x->p[i] = x->p[--x->n];
}

/* Both directions of every pair, once; closed pairs dropped. */
static void px_service(px_t *x) {
  for (size_t i = x->n; i-- > 0;)
    if (px_pump(x->p[i].c, x->p[i].b) || px_pump(x->p[i].b, x->p[i].c))
      px_drop(x, i);
}

static int px_connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) return fd;
  if (fd >= 0) close(fd);
  return -1;
}

static void *px_main(void *arg) {
  px_t *x = arg;
  for (;;) {
    struct pollfd f[2 + 2 * PX_MAX];
    size_t nf = 0;
    f[nf++] = (struct pollfd){x->stop[0], POLLIN, 0};
    f[nf++] = (struct pollfd){x->lfd, POLLIN, 0};
    for (size_t i = 0; i < x->n; i++) {
      f[nf++] = (struct pollfd){x->p[i].c, POLLIN, 0};
      f[nf++] = (struct pollfd){x->p[i].b, POLLIN, 0};
    }
    if (poll(f, (nfds_t)nf, -1) < 0 && errno != EINTR) break;
    if (f[0].revents) break;
    px_service(x);
    if (!f[1].revents) continue;
    int c = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    int b = px_connect(x->backend);
    if (b < 0 || x->n == PX_MAX) {
      close(c);
      if (b >= 0) close(b);
      continue;
    }
    px_service(x); /* closes that came before this connect */
    x->p[x->n++] = (px_pair_t){c, b};
    pthread_mutex_lock(&x->mu);
    x->accepted++;
    if (x->n > x->max_open) x->max_open = (unsigned)x->n;
    pthread_mutex_unlock(&x->mu);
  }
  while (x->n) px_drop(x, x->n - 1);
  return NULL;
}

static void px_start(px_t *x, uint16_t backend) {
  memset(x, 0, sizeof(*x));
  x->backend = backend;
  pthread_mutex_init(&x->mu, NULL);
  assert_int_equal(pipe2(x->stop, O_CLOEXEC), 0);
  x->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(x->lfd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  assert_int_equal(bind(x->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(listen(x->lfd, 128), 0);
  assert_int_equal(getsockname(x->lfd, (struct sockaddr *)&a, &len), 0);
  x->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&x->th, NULL, px_main, x), 0);
}

static void px_stop(px_t *x) {
  assert_int_equal(write(x->stop[1], "x", 1), 1);
  pthread_join(x->th, NULL);
  close(x->lfd);
  close(x->stop[0]);
  close(x->stop[1]);
  pthread_mutex_destroy(&x->mu);
}

static unsigned px_max_open(px_t *x) {
  pthread_mutex_lock(&x->mu);
  unsigned n = x->max_open;
  pthread_mutex_unlock(&x->mu);
  return n;
}

static unsigned px_accepted(px_t *x) {
  pthread_mutex_lock(&x->mu);
  unsigned n = x->accepted;
  pthread_mutex_unlock(&x->mu);
  return n;
}

/* ---- the fixture: slow server, proxy, DNS ------------------------------- */

typedef struct {
  tdserver_t *srv;
  px_t px;
  tt_dns_t dns;
  tlsdiag_options_t o;
} fx_t;

static const char slow_resp[] = "HTTP/1.1 200 OK\r\nServer: slow\r\n"
                                "Content-Length: 0\r\nConnection: close\r\n\r\n";

/* A server for *.wild.tlsdiag.test answering after a pause of slow_ms;
 * names hN.wild.tlsdiag.test (N < 16) resolving to its proxy; anything
 * else NXDOMAIN. */
static void fx_start(fx_t *f, int slow_ms) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_RAW_RESPONSE, "wildcard");
  cfg.raw_response = slow_resp;
  cfg.raw_len = sizeof(slow_resp) - 1;
  cfg.drip_bytes = sizeof(slow_resp) - 3; /* two pieces, one pause */
  cfg.drip_ms = slow_ms;
  f->srv = tt_server_cfg(&cfg);
  px_start(&f->px, tdserver_port(f->srv));
  tt_dns_start(&f->dns);
  for (int i = 0; i < 16; i++) {
    char name[64];
    snprintf(name, sizeof(name), "h%d.wild.tlsdiag.test", i);
    assert_int_equal(tddns_add_a(f->dns.d, name, "127.0.0.1"), 0);
  }
  tlsdiag_options_init(&f->o);
  f->o.port = f->px.port;
  f->o.cafile = tt_root;
  f->o.dns_servers = f->dns.servers;
  f->o.now = tdcerts_now(tt_pki) + 60;
  f->o.flags |= TLSDIAG_F_IPV4_ONLY;
  f->o.connect_timeout_ms = 3000;
  f->o.max_time_ms = 10000;
}

static void fx_stop(fx_t *f) {
  tddns_stop(f->dns.d);
  px_stop(&f->px);
  tdserver_stop(f->srv);
}

/* What a run delivered: the results by the index given at add, and the
 * order they came in. */
#define RUN_MAX 16
typedef struct {
  tlsdiag_multi_t *m;
  tlsdiag_result_t *r[RUN_MAX];
  int order[RUN_MAX];
  size_t n;
  /* the engine's slots when the NXDOMAIN check was delivered */
  unsigned nx_past;
  size_t nx_held;
} run_t;

static void on_done(tlsdiag_result_t *r, void *user, void *data) {
  run_t *x = data;
  int i = (int)(intptr_t)user;
  x->r[i] = r;
  x->order[x->n++] = i;
  if (tlsdiag_result_cause(r) == TLSDIAG_CAUSE_DNS_NXDOMAIN) {
    td_hold_t *h = td_shared_hold(td_multi_shared(x->m));
    x->nx_past = h ? h->past : 0;
    x->nx_held = h ? h->nheld : 0;
  }
}

static void run_free(run_t *x) {
  for (size_t i = 0; i < RUN_MAX; i++) tlsdiag_result_free(x->r[i]);
}

/* 1 if r's timeline has the event `what` (and its detail contains
 * `detail`, unless NULL). */
static int has_event(const tlsdiag_result_t *r, const char *what,
                     const char *detail) {
  json_t *j = tt_json(r);
  json_t *tl = json_object_get(j, "timeline");
  int found = 0;
  for (size_t i = 0; i < json_array_size(tl) && !found; i++) {
    json_t *e = json_array_get(tl, i);
    const char *w = json_string_value(json_object_get(e, "what"));
    const char *d = json_string_value(json_object_get(e, "detail"));
    found = w && !strcmp(w, what) &&
            (!detail || (d && strstr(d, detail)));
  }
  json_decref(j);
  return found;
}

static double queued_ms(const tlsdiag_result_t *r) {
  json_t *j = tt_json(r);
  double v = json_number_value(json_object_get(j, "queued_ms"));
  json_decref(j);
  return v;
}

/* Held by the engine's look-ahead: both events, and the wait reported. */
static int was_held(const tlsdiag_result_t *r) {
  int q = has_event(r, "queued",
                    "waiting for a connection slot: 2 connections in flight "
                    "(engine limit)");
  int rel = has_event(r, "released", "a connection slot is free after");
  assert_int_equal(q, rel);
  if (q) assert_true(queued_ms(r) > 0);
  else assert_true(queued_ms(r) == 0);
  return q;
}

/* An engine in x->m with max in flight and look-ahead `ahead`, hosts
 * h0..h(n-1) queued on it (user data: their index). */
static void run_open(fx_t *f, unsigned max, unsigned ahead, size_t n,
                     run_t *x) {
  memset(x, 0, sizeof(*x));
  assert_int_equal(tlsdiag_multi_new(max, on_done, x, &x->m), TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_set_dns_ahead(x->m, ahead), TLSDIAG_OK);
  for (size_t i = 0; i < n; i++) {
    char host[64];
    snprintf(host, sizeof(host), "h%zu.wild.tlsdiag.test", i);
    assert_int_equal(tlsdiag_multi_add(x->m, host, &f->o, (void *)(intptr_t)i),
                     TLSDIAG_OK);
  }
}

/* Checks hosts h0..h(n-1) (and nx.wild.tlsdiag.test last when nx) with
 * max 2 in flight and look-ahead `ahead`. */
static void run_hosts(fx_t *f, unsigned ahead, size_t n, int nx, run_t *x) {
  run_open(f, 2, ahead, n, x);
  if (nx)
    assert_int_equal(tlsdiag_multi_add(x->m, "nx.wild.tlsdiag.test", &f->o,
                                       (void *)(intptr_t)n),
                     TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_run(x->m), TLSDIAG_OK);
  tlsdiag_multi_free(x->m);
  x->m = NULL;
  assert_int_equal(x->n, n + (nx ? 1 : 0));
}

/* ---- tests --------------------------------------------------------------- */

/* The FIFO itself: slots while free, then held in arrival order; a slot
 * freed while checks are held goes to the oldest, never to a newcomer. */
static void test_dns_ahead_hold_is_fifo(void **state) {
  (void)state;
  td_hold_t h = {.max = 2};
  td_check_t c[5];
  memset(c, 0, sizeof(c));
  assert_int_equal(td_hold_enter(&h, &c[0]), 1);
  assert_int_equal(td_hold_enter(&h, &c[1]), 1);
  assert_int_equal(td_hold_enter(&h, &c[2]), 0);
  assert_int_equal(td_hold_enter(&h, &c[3]), 0);
  assert_int_equal(h.past, 2);
  assert_int_equal(h.nheld, 2);
  assert_null(td_hold_next(&h)); /* no slot free */
  td_hold_leave(&h);
  /* a slot is free, but two are held: a newcomer queues behind them */
  assert_int_equal(td_hold_enter(&h, &c[4]), 0);
  assert_ptr_equal(td_hold_next(&h), &c[2]);
  assert_null(td_hold_next(&h));
  td_hold_leave(&h);
  td_hold_leave(&h);
  assert_ptr_equal(td_hold_next(&h), &c[3]);
  assert_ptr_equal(td_hold_next(&h), &c[4]);
  assert_null(td_hold_next(&h));
  assert_int_equal(h.past, 2);
  assert_int_equal(h.nheld, 0);
}

/* Max 2, look-ahead 2, 8 names: never more than 2 connections at the
 * server, every record ok; the 6 that resolved while both slots were busy
 * were held (both events, queued_ms > 0), the first 2 were not. Without
 * the hold, 4 checks are alive and connect at once (max_open 4). */
static void test_dns_ahead_caps_connections(void **state) {
  (void)state;
  fx_t f;
  fx_start(&f, SLOW_MS / 3);
  run_t x;
  run_hosts(&f, 2, 8, 0, &x);
  assert_int_equal(px_max_open(&f.px), 2);
  assert_int_equal(px_accepted(&f.px), 8);
  int held = 0;
  for (int i = 0; i < 8; i++) {
    assert_int_equal(tlsdiag_result_cause(x.r[i]), TLSDIAG_CAUSE_OK);
    held += was_held(x.r[i]);
  }
  assert_int_equal(held, 6);
  run_free(&x);
  fx_stop(&f);
}

/* An NXDOMAIN answer while both connection slots are busy and a third
 * check is held ends its check at once: dns_nxdomain, not held, delivered
 * first. It is added once h0 and h1 are connected and h2 is held. */
static void test_dns_ahead_nxdomain_not_held(void **state) {
  (void)state;
  fx_t f;
  fx_start(&f, SLOW_MS);
  run_t x;
  run_open(&f, 2, 2, 3, &x);
  td_hold_t *h = td_shared_hold(td_multi_shared(x.m));
  assert_non_null(h);
  int64_t end = td_mono_us() + (int64_t)(td_upper_ms(5000) * 1000);
  while (!(h->past == 2 && h->nheld == 1) && td_mono_us() < end) {
    struct pollfd fds[64];
    size_t n = tlsdiag_multi_fds(x.m, fds, 64);
    int rc = poll(fds, (nfds_t)n, tlsdiag_multi_timeout_ms(x.m));
    assert_int_equal(tlsdiag_multi_process(x.m, fds, rc > 0 ? n : 0),
                     TLSDIAG_OK);
  }
  assert_int_equal(h->past, 2);
  assert_int_equal(h->nheld, 1);
  assert_int_equal(x.n, 0);
  assert_int_equal(tlsdiag_multi_add(x.m, "nx.wild.tlsdiag.test", &f.o,
                                     (void *)(intptr_t)3),
                   TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_run(x.m), TLSDIAG_OK);
  tlsdiag_multi_free(x.m);
  assert_int_equal(x.n, 4);
  assert_int_equal(x.order[0], 3); /* before any slow check ended */
  assert_int_equal(x.nx_past, 2);
  assert_int_equal(x.nx_held, 1);
  const tlsdiag_result_t *nx = x.r[3];
  assert_int_equal(tlsdiag_result_cause(nx), TLSDIAG_CAUSE_DNS_NXDOMAIN);
  long fi = tlsdiag_result_find(nx, TLSDIAG_CAUSE_DNS_NXDOMAIN);
  assert_true(fi >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(nx, (size_t)fi),
                   TLSDIAG_SEVERITY_ERROR);
  assert_int_equal(tlsdiag_result_phase_status(nx, TLSDIAG_PHASE_DNS),
                   TLSDIAG_STATUS_FAILED);
  assert_string_equal(tt_ev(nx, TLSDIAG_CAUSE_DNS_NXDOMAIN, "name"),
                      "nx.wild.tlsdiag.test");
  assert_string_equal(tt_ev(nx, TLSDIAG_CAUSE_DNS_NXDOMAIN, "server"),
                      f.dns.servers);
  assert_int_equal(tlsdiag_result_phase_status(nx, TLSDIAG_PHASE_TCP),
                   TLSDIAG_STATUS_NOT_RUN);
  assert_int_equal(was_held(nx), 0);
  assert_true(nx->total_ms < SLOW_MS);
  for (int i = 0; i < 3; i++)
    assert_int_equal(tlsdiag_result_cause(x.r[i]), TLSDIAG_CAUSE_OK);
  assert_int_equal(was_held(x.r[2]), 1);
  assert_int_equal(px_max_open(&f.px), 2);
  run_free(&x);
  fx_stop(&f);
}

/* Look-ahead 0 is today's engine: the same causes for the same targets,
 * no check held, at most max connections (every check alive is in
 * flight). */
static void test_dns_ahead_zero_changes_nothing(void **state) {
  (void)state;
  fx_t f;
  fx_start(&f, SLOW_MS / 3);
  run_t on, off;
  run_hosts(&f, 2, 6, 1, &on);
  run_hosts(&f, 0, 6, 1, &off);
  assert_int_equal(px_max_open(&f.px), 2);
  int held_on = 0;
  for (int i = 0; i < 7; i++) {
    assert_int_equal(tlsdiag_result_cause(off.r[i]),
                     tlsdiag_result_cause(on.r[i]));
    assert_int_equal(tlsdiag_result_cause(off.r[i]),
                     i == 6 ? TLSDIAG_CAUSE_DNS_NXDOMAIN : TLSDIAG_CAUSE_OK);
    assert_int_equal(was_held(off.r[i]), 0);
    held_on += was_held(on.r[i]);
  }
  assert_int_equal(held_on, 4); /* the look-ahead held h2..h5 */
  run_free(&on);
  run_free(&off);
  fx_stop(&f);
}

/* Held longer than its connect timeout (100 ms) and than the rest of its
 * max_time (500 ms), the check still connects and gets "ok": the hold
 * moves its deadlines, as the politeness gate's wait does. */
static void test_dns_ahead_hold_is_not_a_timeout(void **state) {
  (void)state;
  fx_t f;
  fx_start(&f, SLOW_MS);
  f.o.connect_timeout_ms = 100;
  f.o.max_time_ms = 500;
  run_t x;
  run_open(&f, 1, 1, 2, &x);
  assert_int_equal(tlsdiag_multi_run(x.m), TLSDIAG_OK);
  tlsdiag_multi_free(x.m);
  assert_int_equal(x.n, 2);
  const tlsdiag_result_t *second = x.r[x.order[1]];
  assert_int_equal(tlsdiag_result_cause(x.r[0]), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_cause(x.r[1]), TLSDIAG_CAUSE_OK);
  assert_true(has_event(second, "queued",
                        "waiting for a connection slot: 1 connections in "
                        "flight (engine limit)"));
  assert_true(has_event(second, "released", NULL));
  assert_true(queued_ms(second) > 100);       /* past its connect timeout */
  assert_true(second->total_ms > 500);        /* and past its max_time */
  assert_int_equal(tlsdiag_result_phase_status(second, TLSDIAG_PHASE_TCP),
                   TLSDIAG_STATUS_OK);
  assert_int_equal(px_max_open(&f.px), 1);
  run_free(&x);
  fx_stop(&f);
}

/* Freeing an engine with held checks frees them (ASan builds check that
 * nothing leaks) and calls no callback. */
static void test_dns_ahead_free_with_held(void **state) {
  (void)state;
  fx_t f;
  fx_start(&f, SLOW_MS);
  run_t x;
  run_open(&f, 1, 3, 6, &x);
  td_hold_t *h = td_shared_hold(td_multi_shared(x.m));
  int64_t end = td_mono_us() + (int64_t)(td_upper_ms(5000) * 1000);
  while (h->nheld < 3 && td_mono_us() < end) {
    struct pollfd fds[64];
    size_t n = tlsdiag_multi_fds(x.m, fds, 64);
    int rc = poll(fds, (nfds_t)n, tlsdiag_multi_timeout_ms(x.m));
    assert_int_equal(tlsdiag_multi_process(x.m, fds, rc > 0 ? n : 0),
                     TLSDIAG_OK);
  }
  assert_int_equal(h->past, 1);
  assert_int_equal(h->nheld, 3);
  assert_int_equal(tlsdiag_multi_pending(x.m), 6); /* 4 alive, 2 queued */
  tlsdiag_multi_free(x.m);
  assert_int_equal(x.n, 0);
  fx_stop(&f);
}

/* The setter: only while nothing runs; the sweep's on every engine. */
static void test_dns_ahead_setters(void **state) {
  (void)state;
  assert_int_equal(tlsdiag_multi_set_dns_ahead(NULL, 1), TLSDIAG_E_INVAL);
  assert_int_equal(tlsdiag_sweep_set_dns_ahead(NULL, 1), TLSDIAG_E_INVAL);
  run_t x;
  memset(&x, 0, sizeof(x));
  assert_int_equal(tlsdiag_multi_new(10, on_done, &x, &x.m), TLSDIAG_OK);
  /* the default: max_in_flight, at most 256 */
  assert_non_null(td_shared_hold(td_multi_shared(x.m)));
  assert_int_equal(tlsdiag_multi_set_dns_ahead(x.m, 0), TLSDIAG_OK);
  assert_null(td_shared_hold(td_multi_shared(x.m)));
  tlsdiag_multi_free(x.m);
  tlsdiag_sweep_t *sw = NULL;
  assert_int_equal(tlsdiag_sweep_new(2, 4, 0, 0, on_done, &x, &sw),
                   TLSDIAG_OK);
  assert_int_equal(tlsdiag_sweep_set_dns_ahead(sw, 3), TLSDIAG_OK);
  tlsdiag_sweep_free(sw);
}

/* Records of a `tlsdiag sweep --json` output, by host. */
static json_t *cli_records(const char *out) {
  json_t *by = json_object();
  for (const char *l = out; *l;) {
    const char *nl = strchr(l, '\n');
    assert_non_null(nl);
    json_t *j = json_loadb(l, (size_t)(nl - l), 0, NULL);
    assert_non_null(j);
    const char *h = json_string_value(tt_jget(j, "target.host"));
    if (h) json_object_set(by, h, j);
    json_decref(j);
    l = nl + 1;
  }
  return by;
}

static size_t cli_held(json_t *by) {
  const char *k;
  json_t *j;
  size_t held = 0;
  json_object_foreach(by, k, j) {
    int q = json_number_value(json_object_get(j, "queued_ms")) > 0;
    held += (size_t)q;
  }
  return held;
}

/* The CLI: --concurrency 2 --dns-ahead 2 and --dns-ahead 0 give the same
 * causes (6 ok, one dns_nxdomain: exit 2), the first with held records,
 * the second with none; never more than 2 connections; a bad value is a
 * usage error. */
static void test_dns_ahead_cli(void **state) {
  (void)state;
  fx_t f;
  fx_start(&f, SLOW_MS / 3);
  char list[128], now[32], port[16];
  snprintf(list, sizeof(list), "%s/ahead.txt", tt_dir);
  FILE *fl = fopen(list, "wb");
  assert_non_null(fl);
  for (int i = 0; i < 6; i++)
    fprintf(fl, "h%d.wild.tlsdiag.test:%u\n", i, f.px.port);
  fprintf(fl, "nx.wild.tlsdiag.test:%u\n", f.px.port);
  fclose(fl);
  snprintf(now, sizeof(now), "@%lld", (long long)(tdcerts_now(tt_pki) + 60));
  snprintf(port, sizeof(port), "%u", f.px.port);
  const char *argv[] = {TD_CLI_PATH, "sweep", "--json", "-q", "--no-progress",
                        "--cacert", tt_root, "--now", now, "--dns-server",
                        f.dns.servers, "-4", "--per-ip", "0", "--jobs", "1",
                        "--concurrency", "2", "--dns-ahead", "2", list,
                        NULL};
  json_t *by[2];
  for (int k = 0; k < 2; k++) {
    argv[19] = k ? "0" : "2";
    char *out = NULL, *err = NULL;
    assert_int_equal(tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &out, &err), 2);
    by[k] = cli_records(out);
    free(out);
    free(err);
    assert_int_equal(json_object_size(by[k]), 7);
    for (int i = 0; i < 7; i++) {
      char host[64];
      if (i < 6) snprintf(host, sizeof(host), "h%d.wild.tlsdiag.test", i);
      else snprintf(host, sizeof(host), "nx.wild.tlsdiag.test");
      json_t *j = json_object_get(by[k], host);
      assert_non_null(j);
      assert_string_equal(json_string_value(json_object_get(j, "cause")),
                          i < 6 ? "ok" : "dns_nxdomain");
    }
  }
  assert_int_equal(cli_held(by[0]), 4); /* h2..h5, as above */
  assert_int_equal(cli_held(by[1]), 0);
  assert_int_equal(px_max_open(&f.px), 2);
  json_decref(by[0]);
  json_decref(by[1]);
  argv[19] = "x";
  char *out = NULL, *err = NULL;
  int rc = tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &out, &err);
  assert_int_equal(rc, 1); /* usage */
  assert_non_null(strstr(err, "bad --dns-ahead 'x' (0..100000)"));
  free(out);
  free(err);
  fx_stop(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dns_ahead_hold_is_fifo),
      cmocka_unit_test(test_dns_ahead_caps_connections),
      cmocka_unit_test(test_dns_ahead_nxdomain_not_held),
      cmocka_unit_test(test_dns_ahead_zero_changes_nothing),
      cmocka_unit_test(test_dns_ahead_hold_is_not_a_timeout),
      cmocka_unit_test(test_dns_ahead_free_with_held),
      cmocka_unit_test(test_dns_ahead_setters),
      cmocka_unit_test(test_dns_ahead_cli),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
