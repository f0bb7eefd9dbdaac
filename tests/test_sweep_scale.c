/* test_sweep_scale.c: sweeps at scale (issue 15): the per-address cap seen
 * by a server counting its open connections (CLI, one engine and --jobs,
 * and the library's tlsdiag_multi_set_limits), --rate spacing, --jobs N
 * giving the same records as one engine (tlsdiag_sweep_* underneath), the
 * engine's DNS answer cache and its TTL, and
 * --resume after a sweep killed by SIGKILL or stopped by SIGTERM: exactly
 * one record of a finished check per target. */
#include <fcntl.h>
#include <signal.h>

#include "tdcount.h"
#include "tddns.h"
#include "tdtest.h"

#define NT 24 /* targets of the counting server */

/* NT names of the counting server, pinned to 127.0.0.1: one address. */
typedef struct {
  tdcount_t *srv;
  char list[256];
  char pins[NT][96];
  const char *argv[2 * NT + 40];
  size_t argc;
} counted_t;

static void counted_start(counted_t *c, size_t ntargets) {
  memset(c, 0, sizeof(*c));
  assert_int_equal(tdcount_start(&c->srv), 0);
  uint16_t port = tdcount_port(c->srv);
  snprintf(c->list, sizeof(c->list), "%s/counted.txt", tt_dir);
  FILE *f = fopen(c->list, "wb");
  assert_non_null(f);
  c->argv[c->argc++] = TD_CLI_PATH;
  c->argv[c->argc++] = "sweep";
  for (size_t i = 0; i < ntargets; i++) {
    fprintf(f, "h%zu.tlsdiag.test:%u\n", i, port);
    snprintf(c->pins[i], sizeof(c->pins[i]), "h%zu.tlsdiag.test:%u:127.0.0.1",
             i, port);
    c->argv[c->argc++] = "--resolve";
    c->argv[c->argc++] = c->pins[i];
  }
  fclose(f);
  /* The server never answers: each check holds its connection until the
   * handshake times out (0.3 s), long enough for the others to pile up. */
  static const char *const common[] = {"--json", "-q", "--connect-timeout",
                                       "0.3", "--no-probe", "--no-aia",
                                       "--no-http", "--concurrency", "64"};
  for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
    c->argv[c->argc++] = common[i];
}

/* Runs the sweep with extra arguments (NULL-terminated), the list last;
 * the records in *out. Returns the exit status. */
static int counted_run(counted_t *c, const char *const *extra, char **out) {
  const char *argv[2 * NT + 60];
  size_t n = 0;
  for (size_t i = 0; i < c->argc; i++) argv[n++] = c->argv[i];
  for (; *extra; extra++) argv[n++] = *extra;
  argv[n++] = c->list;
  argv[n] = NULL;
  return tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, out, NULL);
}

/* Parses JSON Lines; fails on a line that is not JSON. */
static json_t **lines(const char *text, size_t *n) {
  json_t **v = NULL;
  *n = 0;
  for (const char *l = text; *l;) {
    const char *nl = strchr(l, '\n');
    assert_non_null(nl);
    json_error_t e;
    json_t *j = json_loadb(l, (size_t)(nl - l), 0, &e);
    if (!j) fail_msg("not JSON (%s): %.*s", e.text, (int)(nl - l), l);
    v = realloc(v, (*n + 1) * sizeof(*v));
    assert_non_null(v);
    v[(*n)++] = j;
    l = nl + 1;
  }
  return v;
}

static void lines_free(json_t **v, size_t n) {
  for (size_t i = 0; i < n; i++) json_decref(v[i]);
  free(v);
}

static double jnum(json_t *j, const char *key) {
  json_t *v = json_object_get(j, key);
  assert_true(json_is_number(v));
  return json_number_value(v);
}

/* Every record: cause tls_timeout (the server is silent); how many did not
 * wait and the longest wait. */
static void expect_timeouts(const char *out, size_t want, size_t *unqueued,
                            double *max_wait) {
  size_t n;
  json_t **v = lines(out, &n);
  assert_int_equal(n, want);
  *unqueued = 0;
  *max_wait = 0;
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(tt_jstr(v[i], "cause"), "tls_timeout");
    double q = jnum(v[i], "queued_ms");
    if (q == 0) (*unqueued)++;
    if (q > *max_wait) *max_wait = q;
  }
  lines_free(v, n);
}

/* A sweep of n silent targets on one address (counted_start) with extra
 * arguments: exit 2 and every target tls_timeout (expect_timeouts).
 * Stop c->srv with tdcount_stop. */
static void timed_out_sweep(counted_t *c, size_t n, const char *const *extra,
                            size_t *unq, double *maxw) {
  counted_start(c, n);
  char *out = NULL;
  assert_int_equal(counted_run(c, extra, &out), 2);
  expect_timeouts(out, n, unq, maxw);
  free(out);
}

static void test_sweep_scale_per_ip_caps_connections(void **state) {
  (void)state;
  const char *extra[] = {"--per-ip", "3", "--jobs", "1", NULL};
  counted_t c;
  size_t unq;
  double maxw;
  timed_out_sweep(&c, NT, extra, &unq, &maxw);
  assert_int_equal(tdcount_max_open(c.srv), 3);
  assert_int_equal(tdcount_accepted(c.srv), NT);
  /* the first three went at once; every other one waited for a slot */
  assert_int_equal(unq, 3);
  assert_true(maxw >= 250.0 * (NT / 3 - 1));
  tdcount_stop(c.srv);
}

static void test_sweep_scale_per_ip_holds_across_jobs(void **state) {
  (void)state;
  const char *extra[] = {"--per-ip", "3", "--jobs", "4", NULL};
  counted_t c;
  size_t unq;
  double maxw;
  timed_out_sweep(&c, NT, extra, &unq, &maxw);
  assert_int_equal(tdcount_max_open(c.srv), 3);
  assert_int_equal(tdcount_accepted(c.srv), NT);
  assert_int_equal(unq, 3);
  tdcount_stop(c.srv);
}

/* The same sweep without the cap: all of them at once (so the test above
 * can fail). */
static void test_sweep_scale_per_ip_zero_is_unlimited(void **state) {
  (void)state;
  const char *extra[] = {"--per-ip", "0", "--jobs", "1", NULL};
  counted_t c;
  size_t unq;
  double maxw;
  timed_out_sweep(&c, NT, extra, &unq, &maxw);
  assert_int_equal(tdcount_max_open(c.srv), NT);
  assert_int_equal(unq, NT);
  tdcount_stop(c.srv);
}

/* --rate 20: connections 50 ms apart, so the tenth waited about 450 ms. */
static void test_sweep_scale_rate_spaces_connections(void **state) {
  (void)state;
  const char *extra[] = {"--per-ip", "0", "--rate", "20", "--jobs", "1",
                         NULL};
  counted_t c;
  size_t unq;
  double maxw;
  timed_out_sweep(&c, 10, extra, &unq, &maxw);
  assert_int_equal(unq, 1);
  assert_true(maxw >= 400.0);
  assert_int_equal(tdcount_accepted(c.srv), 10);
  tdcount_stop(c.srv);
}

/* The library: tlsdiag_multi_set_limits(2, 0) on one engine. */
static void collect(tlsdiag_result_t *r, void *user, void *data) {
  (void)user;
  json_t **v = data;
  size_t i = 0;
  while (v[i]) i++;
  v[i] = tt_json(r);
  tlsdiag_result_free(r);
}

static void test_sweep_scale_multi_set_limits(void **state) {
  (void)state;
  tdcount_t *srv;
  assert_int_equal(tdcount_start(&srv), 0);
  tt_opts_t t;
  tt_opts(&t, "127.0.0.1", tdcount_port(srv));
  t.o.connect_timeout_ms = 300;
  t.o.flags |= TLSDIAG_F_NO_VERSION_PROBE | TLSDIAG_F_NO_HTTP;
  json_t *got[9] = {NULL};
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(0, collect, got, &m), TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_set_limits(m, 2, 0), TLSDIAG_OK);
  for (int i = 0; i < 8; i++)
    assert_int_equal(tlsdiag_multi_add(m, "127.0.0.1", &t.o, NULL),
                     TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_set_limits(NULL, 1, 0), TLSDIAG_E_INVAL);
  tlsdiag_multi_free(m);
  assert_int_equal(tdcount_max_open(srv), 2);
  size_t waited = 0;
  for (int i = 0; i < 8; i++) {
    assert_non_null(got[i]);
    assert_string_equal(tt_jstr(got[i], "cause"), "tls_timeout");
    if (jnum(got[i], "queued_ms") > 0) waited++;
    json_decref(got[i]);
  }
  assert_int_equal(waited, 6);
  tdcount_stop(srv);
}

/* ---- the DNS answer cache of an engine ------------------------------------ */

static void keep_results(tlsdiag_result_t *r, void *user, void *data) {
  (void)user;
  tlsdiag_result_t **v = data;
  size_t i = 0;
  while (v[i]) i++;
  v[i] = r;
}

/* 1 if r's timeline has the event `what`. */
static int has_event(const tlsdiag_result_t *r, const char *what) {
  json_t *j = tt_json(r);
  json_t *tl = json_object_get(j, "timeline");
  int found = 0;
  for (size_t i = 0; i < json_array_size(tl) && !found; i++) {
    const char *w = json_string_value(
        json_object_get(json_array_get(tl, i), "what"));
    found = w && !strcmp(w, what);
  }
  json_decref(j);
  return found;
}

/* Four checks of one name, one at a time in one engine (no DNS
 * look-ahead: a lookup ahead would ask before the first answer is
 * cached): with a TTL the
 * name is asked once (A + AAAA), the other three answered from the cache
 * and saying so; with TTL 0 every check asks. tlsdiag_check alone shares
 * nothing. */
static void dns_round(tddns_t *d, uint16_t port, unsigned *queries,
                      size_t *cached) {
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  char dns[64];
  snprintf(dns, sizeof(dns), "127.0.0.1:%u", tddns_port(d));
  o.dns_servers = dns;
  o.port = port;
  tlsdiag_result_t *got[5] = {NULL};
  tlsdiag_multi_t *m = NULL;
  unsigned q0 = tddns_queries(d);
  assert_int_equal(tlsdiag_multi_new(1, keep_results, got, &m), TLSDIAG_OK);
  /* one at a time: no second lookup ahead while the first is out */
  assert_int_equal(tlsdiag_multi_set_dns_ahead(m, 0), TLSDIAG_OK);
  for (int i = 0; i < 4; i++)
    assert_int_equal(tlsdiag_multi_add(m, "cached.tlsdiag.test", &o, NULL),
                     TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  tlsdiag_multi_free(m);
  *queries = tddns_queries(d) - q0;
  *cached = 0;
  for (int i = 0; i < 4; i++) {
    assert_non_null(got[i]);
    assert_int_equal(tlsdiag_result_cause(got[i]), TLSDIAG_CAUSE_TCP_REFUSED);
    *cached += (size_t)has_event(got[i], "DNS cached");
    tlsdiag_result_free(got[i]);
  }
}

static void test_sweep_scale_dns_cache_respects_ttl(void **state) {
  (void)state;
  tddns_t *d = NULL;
  assert_int_equal(tddns_start("127.0.0.1", &d), 0);
  assert_int_equal(tddns_add_a(d, "cached.tlsdiag.test", "127.0.0.1"), 0);
  uint16_t refused;
  int rfd = tt_refusing_port("127.0.0.1", &refused);
  unsigned q;
  size_t cached;
  dns_round(d, refused, &q, &cached);
  assert_int_equal(q, 2);
  assert_int_equal(cached, 3);
  tddns_set_ttl(d, 0);
  dns_round(d, refused, &q, &cached);
  assert_int_equal(q, 8);
  assert_int_equal(cached, 0);
  /* tlsdiag_check: a cache of its own each time */
  tddns_set_ttl(d, 60);
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  char dns[64];
  snprintf(dns, sizeof(dns), "127.0.0.1:%u", tddns_port(d));
  o.dns_servers = dns;
  o.port = refused;
  unsigned q0 = tddns_queries(d);
  for (int i = 0; i < 2; i++) {
    tlsdiag_result_t *r = tt_check("cached.tlsdiag.test", &o);
    assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TCP_REFUSED);
    assert_false(has_event(r, "DNS cached"));
    tlsdiag_result_free(r);
  }
  assert_int_equal(tddns_queries(d) - q0, 4);
  close(rfd);
  tddns_stop(d);
}

/* ---- --jobs: the same records as one engine ----------------------------- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "host:port cause ok" of each record, sorted, one string. */
static char *record_set(const char *out, size_t *n) {
  json_t **v = lines(out, n);
  char **keys = calloc(*n + 1, sizeof(*keys));
  assert_non_null(keys);
  for (size_t i = 0; i < *n; i++) {
    keys[i] = NULL;
    assert_true(asprintf(&keys[i], "%s:%d %s %d",
                         tt_jstr(v[i], "target.host"),
                         (int)json_integer_value(tt_jget(v[i], "target.port")),
                         tt_jstr(v[i], "cause"),
                         json_is_true(json_object_get(v[i], "ok"))) > 0);
  }
  qsort(keys, *n, sizeof(*keys), cmp_str);
  char *all = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&all, &len);
  for (size_t i = 0; i < *n; i++) {
    fprintf(f, "%s\n", keys[i]);
    free(keys[i]);
  }
  fclose(f);
  free(keys);
  lines_free(v, *n);
  return all;
}

static void test_sweep_scale_jobs_same_records(void **state) {
  (void)state;
  const char *cases[] = {"valid", "expired", "wrong_host", "expiring_soon"};
  const char *names[] = {"valid.tlsdiag.test", "expired.tlsdiag.test",
                         "wrong-host.tlsdiag.test", "soon.tlsdiag.test"};
  tdserver_t *srv[4];
  char pins[4 * 6][128], now[32], list[256];
  const char *argv[80];
  size_t n = 0;
  argv[n++] = TD_CLI_PATH;
  argv[n++] = "sweep";
  snprintf(list, sizeof(list), "%s/jobs.txt", tt_dir);
  FILE *f = fopen(list, "wb");
  assert_non_null(f);
  size_t np = 0;
  for (int i = 0; i < 4; i++) {
    srv[i] = tt_server(TDS_HTTP, cases[i]);
    uint16_t port = tdserver_port(srv[i]);
    /* its own name, and four names its certificate does not cover */
    fprintf(f, "%s:%u\n", names[i], port);
    snprintf(pins[np], sizeof(pins[np]), "%s:%u:127.0.0.1", names[i], port);
    argv[n++] = "--resolve";
    argv[n++] = pins[np++];
    for (int k = 0; k < 4; k++) {
      fprintf(f, "n%d-%d.tlsdiag.test:%u\n", i, k, port);
      snprintf(pins[np], sizeof(pins[np]), "n%d-%d.tlsdiag.test:%u:127.0.0.1",
               i, k, port);
      argv[n++] = "--resolve";
      argv[n++] = pins[np++];
    }
  }
  fprintf(f, "localhost:%u\n127.0.0.1:%u\n", tdserver_port(srv[0]),
          tdserver_port(srv[0]));
  snprintf(pins[np], sizeof(pins[np]), "localhost:%u:127.0.0.1",
           tdserver_port(srv[0]));
  argv[n++] = "--resolve";
  argv[n++] = pins[np++];
  uint16_t refused;
  int rfd = tt_refusing_port("127.0.0.1", &refused);
  fprintf(f, "127.0.0.1:%u\nlocalhost:%u\n", refused, refused);
  fclose(f);
  snprintf(now, sizeof(now), "@%lld", (long long)(tdcerts_now(tt_pki) + 60));
  const char *rest[] = {"--cacert", tt_root, "--now", now, "-q", "--json",
                        "--per-ip", "0", "--resolve", NULL};
  for (const char *const *r = rest; *r; r++) argv[n++] = *r;
  char lp[96];
  snprintf(lp, sizeof(lp), "localhost:%u:127.0.0.1", refused);
  argv[n++] = lp;
  argv[n++] = "--jobs";
  size_t jpos = n++;
  argv[n++] = list;
  argv[n] = NULL;
  char *out1 = NULL, *out4 = NULL;
  argv[jpos] = "1";
  assert_int_equal(tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &out1, NULL), 2);
  argv[jpos] = "4";
  assert_int_equal(tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &out4, NULL), 2);
  size_t n1, n4;
  char *s1 = record_set(out1, &n1), *s4 = record_set(out4, &n4);
  assert_int_equal(n1, 24);
  assert_int_equal(n4, 24);
  assert_string_equal(s1, s4);
  /* and they are the right records */
  char want[160];
  snprintf(want, sizeof(want), "valid.tlsdiag.test:%u ok 1\n",
           tdserver_port(srv[0]));
  assert_non_null(strstr(s1, want));
  snprintf(want, sizeof(want), "127.0.0.1:%u ok 1\n", tdserver_port(srv[0]));
  assert_non_null(strstr(s1, want));
  snprintf(want, sizeof(want), "expired.tlsdiag.test:%u cert_expired 0\n",
           tdserver_port(srv[1]));
  assert_non_null(strstr(s1, want));
  snprintf(want, sizeof(want), "n3-3.tlsdiag.test:%u cert_hostname_mismatch"
           " 0\n", tdserver_port(srv[3]));
  assert_non_null(strstr(s1, want));
  snprintf(want, sizeof(want), "localhost:%u tcp_refused 0\n", refused);
  assert_non_null(strstr(s1, want));
  free(s1);
  free(s4);
  free(out1);
  free(out4);
  close(rfd);
  for (int i = 0; i < 4; i++) tdserver_stop(srv[i]);
}

/* The library's sweep with two engines: every check reported once. */
static void count_cb(tlsdiag_result_t *r, void *user, void *data) {
  (void)user;
  unsigned *n = data;
  if (tlsdiag_result_cause(r) == TLSDIAG_CAUSE_TCP_REFUSED) (*n)++;
  tlsdiag_result_free(r);
}

static void test_sweep_scale_sweep_api(void **state) {
  (void)state;
  uint16_t refused;
  int rfd = tt_refusing_port("127.0.0.1", &refused);
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.port = refused;
  unsigned n = 0;
  tlsdiag_sweep_t *sw = NULL;
  assert_int_equal(tlsdiag_sweep_new(0, 0, 0, 0, NULL, NULL, &sw),
                   TLSDIAG_E_INVAL);
  assert_int_equal(tlsdiag_sweep_new(2, 4, 1, 0, count_cb, &n, &sw),
                   TLSDIAG_OK);
  assert_int_equal(tlsdiag_sweep_jobs(sw), 2);
  for (int i = 0; i < 20; i++)
    assert_int_equal(tlsdiag_sweep_add(sw, "127.0.0.1", &o, NULL),
                     TLSDIAG_OK);
  assert_int_equal(tlsdiag_sweep_add(sw, "bad host!", &o, NULL),
                   TLSDIAG_E_HOST);
  assert_int_equal(tlsdiag_sweep_run(sw), TLSDIAG_OK);
  assert_int_equal(n, 20);
  tlsdiag_sweep_free(sw);
  close(rfd);
}

/* ---- --resume ----------------------------------------------------------- */

/* Lines in path. */
static size_t file_lines(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = 0;
  int ch;
  while ((ch = fgetc(f)) != EOF) n += ch == '\n';
  fclose(f);
  return n;
}

/* Starts the sweep in the background, waits until FILE has at least
 * `min_lines` records, then sends sig and reaps it. */
static void sweep_interrupted(counted_t *c, const char *file, int sig,
                              size_t min_lines) {
  const char *argv[2 * NT + 60];
  size_t n = 0;
  for (size_t i = 0; i < c->argc; i++) argv[n++] = c->argv[i];
  const char *extra[] = {"--per-ip", "4", "--jobs", "2", "--resume", file};
  for (size_t i = 0; i < 6; i++) argv[n++] = extra[i];
  argv[n++] = c->list;
  argv[n] = NULL;
  pid_t pid = tt_spawn(argv, NULL);
  int64_t deadline = td_mono_us() + 20 * 1000000;
  while (file_lines(file) < min_lines && td_mono_us() < deadline)
    poll(NULL, 0, 10);
  kill(pid, sig);
  int st = 0;
  if (!tt_wait_child(pid, td_mono_us() + 20 * 1000000, &st)) {
    tt_kill_child(pid);
    fail_msg("the sweep did not stop on signal %d", sig);
  }
  if (sig == SIGKILL) assert_true(WIFSIGNALED(st));
  else assert_int_equal(WEXITSTATUS(st), 128 + sig);
  assert_true(file_lines(file) >= min_lines);
  /* killed: some records; stopped: a record or a cancelled one for each */
  if (sig == SIGKILL) assert_true(file_lines(file) < NT);
  else assert_int_equal(file_lines(file), NT);
}

/* After the resume: one record of a finished check per target, exactly;
 * cancelled records (from SIGTERM) may stay, and count for nothing. */
static void expect_one_each(const char *file, size_t *cancelled) {
  FILE *f = fopen(file, "r");
  assert_non_null(f);
  char *text = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&text, &len);
  int ch;
  while ((ch = fgetc(f)) != EOF) fputc(ch, m);
  fclose(m);
  fclose(f);
  size_t n;
  json_t **v = lines(text, &n);
  int seen[NT] = {0};
  *cancelled = 0;
  for (size_t i = 0; i < n; i++) {
    const char *rec = json_string_value(json_object_get(v[i], "record"));
    if (rec && !strcmp(rec, "cancelled")) {
      (*cancelled)++;
      continue;
    }
    assert_string_equal(tt_jstr(v[i], "cause"), "tls_timeout");
    int k = -1;
    assert_int_equal(sscanf(tt_jstr(v[i], "target.host"), "h%d.", &k), 1);
    assert_true(k >= 0 && k < NT);
    seen[k]++;
  }
  for (int k = 0; k < NT; k++)
    if (seen[k] != 1) fail_msg("target h%d has %d records", k, seen[k]);
  lines_free(v, n);
  free(text);
}

static void resume_after(int sig) {
  counted_t c;
  counted_start(&c, NT);
  char file[256];
  snprintf(file, sizeof(file), "%s/resume-%d.jsonl", tt_dir, sig);
  unlink(file);
  sweep_interrupted(&c, file, sig, 5);
  /* a record cut mid-write, as a kill can leave it */
  FILE *f = fopen(file, "a");
  assert_non_null(f);
  fputs("{\"schema\":\"tlsdiag/1\",\"tool\":{\"name\":\"tlsd", f);
  fclose(f);
  size_t before = file_lines(file);
  char *out = NULL, *err = NULL;
  const char *argv[2 * NT + 60];
  size_t n = 0;
  for (size_t i = 0; i < c.argc; i++) /* not quiet: the summary line */
    argv[n++] = strcmp(c.argv[i], "-q") ? c.argv[i] : "--no-progress";
  const char *extra[] = {"--per-ip", "4", "--resume", file, c.list, NULL};
  for (const char *const *e = extra; *e; e++) argv[n++] = *e;
  argv[n] = NULL;
  assert_int_equal(tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &out, &err), 2);
  assert_string_equal(out, ""); /* records go to the file */
  assert_non_null(strstr(err, "a cut last line removed"));
  size_t cancelled;
  expect_one_each(file, &cancelled);
  if (sig == SIGKILL) assert_int_equal(cancelled, 0);
  else assert_true(cancelled > 0);
  /* the second sweep checked only what had no record */
  assert_int_equal(file_lines(file), NT + cancelled);
  assert_true(file_lines(file) > before);
  /* a third finds nothing to do */
  free(out);
  free(err);
  assert_int_equal(tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &out, &err), 0);
  assert_non_null(strstr(err, " 0 to check"));
  assert_int_equal(file_lines(file), NT + cancelled);
  free(out);
  free(err);
  tdcount_stop(c.srv);
}

static void test_sweep_scale_resume_after_sigkill(void **state) {
  (void)state;
  resume_after(SIGKILL);
}

static void test_sweep_scale_resume_after_sigterm(void **state) {
  (void)state;
  resume_after(SIGTERM);
}

static void test_sweep_scale_resume_usage(void **state) {
  (void)state;
  char *out = NULL;
  int rc = tt_cli(&out, "sweep", "--resume", "/tmp/x.jsonl", "--format",
                  "nagios", "/dev/null", NULL);
  assert_int_equal(rc, 3);
  free(out);
  rc = tt_cli(&out, "sweep", "--jobs", "0", "/dev/null", NULL);
  assert_int_equal(rc, 1);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sweep_scale_per_ip_caps_connections),
      cmocka_unit_test(test_sweep_scale_per_ip_holds_across_jobs),
      cmocka_unit_test(test_sweep_scale_per_ip_zero_is_unlimited),
      cmocka_unit_test(test_sweep_scale_rate_spaces_connections),
      cmocka_unit_test(test_sweep_scale_multi_set_limits),
      cmocka_unit_test(test_sweep_scale_dns_cache_respects_ttl),
      cmocka_unit_test(test_sweep_scale_jobs_same_records),
      cmocka_unit_test(test_sweep_scale_sweep_api),
      cmocka_unit_test(test_sweep_scale_resume_after_sigkill),
      cmocka_unit_test(test_sweep_scale_resume_after_sigterm),
      cmocka_unit_test(test_sweep_scale_resume_usage),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
