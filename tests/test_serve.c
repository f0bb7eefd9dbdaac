/* test_serve.c: `tlsdiag serve`, the Prometheus exporter, over real
 * sockets: a probe of a valid server (metrics parsed strictly), the 400s
 * (missing, doubled, badly escaped or malformed target, another scheme),
 * 404, 405, 414 for a huge request line, 431 for huge headers, a slowloris
 * client cut off by --request-timeout, 503 beyond --max-concurrent while
 * the running probes (and /metrics) still answer, the scrape-timeout
 * header bounding a probe, --allow-target refusing a target after
 * resolution with 403 and no connection, and a graceful SIGTERM. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "tdprom.h"
#include "tdtest.h"

typedef struct {
  pid_t pid;
  uint16_t port;
} exporter_t;

/* Starts `tlsdiag serve --listen 127.0.0.1:0 ARGS...` and reads the port
 * from its first line. */
static exporter_t start(const char *const *args) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  const char *argv[64];
  size_t n = 0;
  argv[n++] = TD_CLI_PATH;
  argv[n++] = "serve";
  argv[n++] = "--listen";
  argv[n++] = "127.0.0.1:0";
  argv[n++] = "--quiet";
  for (const char *const *a = args; *a && n < 63; a++) argv[n++] = *a;
  argv[n] = NULL;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(p[1], 1);
    close(p[0]);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    execv(TD_CLI_PATH, (char *const *)argv);
    _exit(127);
  }
  close(p[1]);
  char line[256] = "";
  size_t len = 0;
  while (len < sizeof(line) - 1) {
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    if (poll(&pf, 1, 10000) <= 0) break;
    ssize_t r = read(p[0], line + len, 1);
    if (r <= 0 || line[len] == '\n') break;
    len++;
  }
  line[len] = '\0';
  close(p[0]);
  exporter_t e = {pid, 0};
  const char *colon = strrchr(line, ':');
  if (!strstr(line, "listening on http://127.0.0.1:") || !colon)
    fail_msg("serve did not start: '%s'", line);
  e.port = (uint16_t)atoi(colon + 1);
  return e;
}

/* SIGTERM, then the exit status within a bound. */
static int stop(exporter_t *e) {
  kill(e->pid, SIGTERM);
  int st = 0;
  int rc = tt_wait_child(e->pid, td_mono_us() + 5000000, &st);
  if (rc != 1) {
    fprintf(stderr, "serve did not stop within 5 s of SIGTERM\n");
    tt_kill_child(e->pid);
    return -1;
  }
  if (WIFEXITED(st) && WEXITSTATUS(st))
    fprintf(stderr, "serve exited %d\n", WEXITSTATUS(st));
  if (!WIFEXITED(st))
    fprintf(stderr, "serve died of signal %d\n", WTERMSIG(st));
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  return fd;
}

static void send_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0) return; /* the server may close early on a bad request */
    s += w;
    n -= (size_t)w;
  }
}

/* Reads until EOF (the exporter closes after each answer), at most
 * timeout_ms. The answer, or NULL on a timeout. */
static char *read_all(int fd, int timeout_ms) {
  td_buf_t b;
  td_buf_init(&b);
  int64_t end = td_mono_us() + (int64_t)timeout_ms * 1000;
  for (;;) {
    int left = (int)((end - td_mono_us()) / 1000);
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    if (left <= 0 || poll(&pf, 1, left) <= 0) {
      td_buf_free(&b);
      return NULL;
    }
    char tmp[4096];
    ssize_t r = read(fd, tmp, sizeof(tmp));
    if (r <= 0) break;
    td_buf_append(&b, tmp, (size_t)r);
  }
  char *s = td_buf_steal(&b, NULL);
  return s ? s : strdup("");
}

/* One raw request, its whole answer. */
static char *request(uint16_t port, const char *req, size_t n) {
  int fd = connect_to(port);
  send_all(fd, req, n);
  char *a = read_all(fd, (int)td_upper_ms(15000));
  close(fd);
  assert_non_null(a);
  return a;
}

static char *get(uint16_t port, const char *target) {
  char req[8192];
  int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
                   target);
  return request(port, req, (size_t)n);
}

static int status_of(const char *a) {
  int st = 0;
  return sscanf(a, "HTTP/1.1 %d ", &st) == 1 ? st : -1;
}

static const char *body_of(const char *a) {
  const char *b = strstr(a, "\r\n\r\n");
  return b ? b + 4 : "";
}

/* status and a body of exactly one line containing `want` */
static void expect(const char *a, int status, const char *want) {
  if (status_of(a) != status || !strstr(body_of(a), want))
    fail_msg("expected %d with '%s', got:\n%s", status, want, a);
  const char *body = body_of(a);
  const char *nl = strchr(body, '\n');
  if (status != 200) assert_true(nl && nl[1] == '\0');
}

static tdserver_t *valid, *silent;
static char valid_pin[128], silent_pin[128];

static int setup(void **state) {
  if (tt_setup(state)) return -1;
  valid = tt_server(TDS_HTTP, "valid");
  silent = tt_server(TDS_SILENT, NULL);
  snprintf(valid_pin, sizeof(valid_pin), "valid.tlsdiag.test:%u:127.0.0.1",
           tdserver_port(valid));
  snprintf(silent_pin, sizeof(silent_pin), "silent.tlsdiag.test:%u:127.0.0.1",
           tdserver_port(silent));
  return 0;
}

static int teardown(void **state) {
  tdserver_stop(valid);
  tdserver_stop(silent);
  return tt_teardown(state);
}

static void test_probe_valid(void **state) {
  (void)state;
  const char *args[] = {"--cacert", tt_root, "--resolve", valid_pin, NULL};
  exporter_t e = start(args);
  char t[128];
  snprintf(t, sizeof(t), "/probe?target=valid.tlsdiag.test:%u",
           tdserver_port(valid));
  char *a = get(e.port, t);
  assert_int_equal(status_of(a), 200);
  assert_non_null(strstr(a, "Content-Type: text/plain; version=0.0.4"));
  tdprom_t p;
  if (tdprom_parse(body_of(a), &p) != 0) fail_msg("%s", p.err);
  char tl[64];
  snprintf(tl, sizeof(tl), "target=valid.tlsdiag.test:%u", tdserver_port(valid));
  const char *want[] = {tl, NULL};
  const tdprom_sample_t *s = tdprom_find(&p, "tlsdiag_check_success", want, NULL);
  assert_non_null(s);
  assert_true(s->value == 1);
  tdprom_free(&p);
  free(a);
  /* the same through an https:// URL with a path, percent-encoded */
  snprintf(t, sizeof(t), "/probe?target=https%%3A%%2F%%2Fvalid.tlsdiag.test:%u"
           "%%2Fhealth", tdserver_port(valid));
  a = get(e.port, t);
  assert_int_equal(status_of(a), 200);
  assert_non_null(strstr(a, "tlsdiag_check_success{"));
  free(a);
  /* the exporter's own metrics count both */
  a = get(e.port, "/metrics");
  assert_int_equal(status_of(a), 200);
  assert_int_equal(tdprom_parse(body_of(a), &p), 0);
  const char *succ[] = {"result=success", NULL};
  assert_true(tdprom_find(&p, "tlsdiag_exporter_probes_total", succ, NULL)->value == 2);
  assert_true(tdprom_find(&p, "tlsdiag_exporter_probe_duration_seconds_count",
                          NULL, NULL)->value == 2);
  assert_true(tdprom_find(&p, "tlsdiag_exporter_probes_in_flight", NULL,
                          NULL)->value == 0);
  tdprom_free(&p);
  free(a);
  assert_int_equal(stop(&e), 0);
}

static void test_bad_requests(void **state) {
  (void)state;
  const char *args[] = {"--cacert", tt_root, NULL};
  exporter_t e = start(args);
  struct {
    const char *target;
    int status;
    const char *why;
  } cases[] = {
      {"/probe", 400, "missing the target parameter"},
      {"/probe?target=", 400, "missing the target parameter"},
      {"/probe?target=a&target=b", 400, "given twice"},
      {"/probe?target=%zz", 400, "bad %-escape"},
      {"/probe?target=a%00b", 400, "%00"},
      {"/probe?target=localhost:99999", 400, "bad target 'localhost:99999'"},
      {"/probe?target=http://localhost/", 400, "not an https://"},
      {"/probe?target=bad..name", 400, "bad target 'bad..name'"},
      {"/probe?target=%0aevil", 400, "bad target '?evil'"},
      {"/nope", 404, "not found: /nope"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *a = get(e.port, cases[i].target);
    expect(a, cases[i].status, cases[i].why);
    free(a);
  }
  static const char post[] = "POST /probe?target=x HTTP/1.1\r\n\r\n";
  char *a = request(e.port, post, sizeof(post) - 1);
  expect(a, 405, "only GET and HEAD");
  assert_non_null(strstr(a, "Allow: GET, HEAD\r\n"));
  free(a);
  static const char v2[] = "GET /metrics HTTP/2.0\r\n\r\n";
  a = request(e.port, v2, sizeof(v2) - 1);
  expect(a, 505, "not an HTTP/1.x request");
  free(a);
  static const char te[] = "GET /metrics HTTP/1.1\r\nTransfer-Encoding: "
                           "chunked\r\n\r\n";
  a = request(e.port, te, sizeof(te) - 1);
  expect(a, 400, "body is not accepted");
  free(a);
  static const char sto[] = "GET /probe?target=x HTTP/1.1\r\n"
                            "X-Prometheus-Scrape-Timeout-Seconds: -1\r\n\r\n";
  a = request(e.port, sto, sizeof(sto) - 1);
  expect(a, 400, "X-Prometheus-Scrape-Timeout-Seconds");
  free(a);
  /* a huge request line: 414 without waiting for its end */
  size_t n = 100000;
  char *huge = malloc(n + 1);
  memcpy(huge, "GET /probe?target=", 18);
  memset(huge + 18, 'a', n - 18);
  huge[n] = '\0';
  a = request(e.port, huge, n);
  expect(a, 414, "too long");
  free(a);
  /* huge headers: 431 */
  int k = snprintf(huge, n, "GET /metrics HTTP/1.1\r\n");
  for (int i = 0; i < 400; i++)
    k += snprintf(huge + k, n - (size_t)k, "X-Filler-%d: %040d\r\n", i, i);
  a = request(e.port, huge, (size_t)k);
  expect(a, 431, "too large");
  free(a);
  free(huge);
  /* garbage and a NUL */
  static const char nul[] = "GET /metrics\0 HTTP/1.1\r\n\r\n";
  a = request(e.port, nul, sizeof(nul) - 1);
  assert_int_equal(status_of(a), 400);
  free(a);
  /* still alive and counting */
  a = get(e.port, "/metrics");
  assert_int_equal(status_of(a), 200);
  tdprom_t p;
  assert_int_equal(tdprom_parse(body_of(a), &p), 0);
  const char *bad[] = {"reason=bad_request", NULL};
  assert_true(tdprom_find(&p, "tlsdiag_exporter_requests_rejected_total", bad,
                          NULL)->value >= 15);
  tdprom_free(&p);
  free(a);
  assert_int_equal(stop(&e), 0);
}

static void test_slowloris(void **state) {
  (void)state;
  const char *args[] = {"--request-timeout", "1", NULL};
  exporter_t e = start(args);
  /* half a request, then nothing: 408 after --request-timeout */
  int64_t t0 = td_mono_us();
  int fd = connect_to(e.port);
  send_all(fd, "GET /metr", 9);
  char *a = read_all(fd, (int)td_upper_ms(5000));
  close(fd);
  assert_non_null(a);
  expect(a, 408, "--request-timeout");
  free(a);
  double ms = tt_ms_since(t0);
  assert_true(ms >= 900 && ms < td_upper_ms(3000));
  /* a client that connects and says nothing is closed */
  fd = connect_to(e.port);
  a = read_all(fd, (int)td_upper_ms(5000));
  close(fd);
  assert_non_null(a);
  assert_string_equal(a, "");
  free(a);
  /* while clients dawdle, others are served at once */
  int idle[8];
  for (int i = 0; i < 8; i++) {
    idle[i] = connect_to(e.port);
    send_all(idle[i], "GET", 3);
  }
  t0 = td_mono_us();
  a = get(e.port, "/metrics");
  assert_int_equal(status_of(a), 200);
  assert_true(tt_ms_since(t0) < td_upper_ms(500));
  free(a);
  for (int i = 0; i < 8; i++) close(idle[i]);
  assert_int_equal(stop(&e), 0);
}

static void test_capacity(void **state) {
  (void)state;
  const char *args[] = {"--max-concurrent", "2", "--resolve", silent_pin,
                        "--max-time", "20", NULL};
  exporter_t e = start(args);
  char req[256];
  int n = snprintf(req, sizeof(req),
                   "GET /probe?target=silent.tlsdiag.test:%u HTTP/1.1\r\n"
                   "X-Prometheus-Scrape-Timeout-Seconds: 2\r\n\r\n",
                   tdserver_port(silent));
  int64_t t0 = td_mono_us();
  int fd[2];
  for (int i = 0; i < 2; i++) {
    fd[i] = connect_to(e.port);
    send_all(fd[i], req, (size_t)n);
  }
  /* both are running: poll /metrics until it says so */
  tdprom_t p;
  double inflight = 0;
  for (int i = 0; i < 100 && inflight < 2; i++) {
    char *a = get(e.port, "/metrics");
    assert_int_equal(tdprom_parse(body_of(a), &p), 0);
    inflight = tdprom_find(&p, "tlsdiag_exporter_probes_in_flight", NULL,
                           NULL)->value;
    tdprom_free(&p);
    free(a);
    if (inflight < 2) usleep(20000);
  }
  assert_true(inflight == 2);
  /* a third is refused at once */
  int64_t t1 = td_mono_us();
  char *a = request(e.port, req, (size_t)n);
  expect(a, 503, "busy: 2 probes running");
  assert_true(tt_ms_since(t1) < td_upper_ms(500));
  free(a);
  /* the two end by the scrape timeout less the margin (1.5 s), each
   * with its own answer: the silent server timed out the handshake */
  for (int i = 0; i < 2; i++) {
    a = read_all(fd[i], (int)td_upper_ms(8000));
    close(fd[i]);
    assert_non_null(a);
    assert_int_equal(status_of(a), 200);
    assert_non_null(strstr(a, "cause=\"tls_timeout\""));
    free(a);
  }
  double ms = tt_ms_since(t0);
  assert_true(ms >= 1400 && ms < td_upper_ms(4000));
  a = get(e.port, "/metrics");
  assert_int_equal(tdprom_parse(body_of(a), &p), 0);
  const char *busy[] = {"reason=busy", NULL};
  assert_true(tdprom_find(&p, "tlsdiag_exporter_requests_rejected_total", busy,
                          NULL)->value == 1);
  const char *failed[] = {"result=failure", NULL};
  assert_true(tdprom_find(&p, "tlsdiag_exporter_probes_total", failed,
                          NULL)->value == 2);
  tdprom_free(&p);
  free(a);
  assert_int_equal(stop(&e), 0);
}

static void test_allowlist(void **state) {
  (void)state;
  const char *args[] = {"--cacert", tt_root, "--resolve", valid_pin,
                        "--allow-target", "10.0.0.0/8", "--allow-target",
                        "192.0.2.1", NULL};
  exporter_t e = start(args);
  unsigned before = tdserver_connections(valid);
  char t[160];
  const char *forms[][2] = {{"valid.tlsdiag.test:", ""},
                            {"127.0.0.1:", ""},
                            {"[::ffff:127.0.0.1]:", ""},
                            {"https://127.0.0.1:", "/"}};
  for (size_t i = 0; i < 4; i++) {
    char tgt[96];
    snprintf(tgt, sizeof(tgt), "%s%u%s", forms[i][0], tdserver_port(valid),
             forms[i][1]);
    snprintf(t, sizeof(t), "/probe?target=%s", tgt);
    char *a = get(e.port, t);
    expect(a, 403, "outside --allow-target");
    assert_non_null(strstr(a, "127.0.0.1"));
    free(a);
  }
  assert_int_equal(tdserver_connections(valid), before); /* none at all */
  assert_int_equal(stop(&e), 0);
  /* the same target inside the list is probed */
  const char *args2[] = {"--cacert", tt_root, "--resolve", valid_pin,
                         "--allow-target", "127.0.0.0/8", NULL};
  e = start(args2);
  snprintf(t, sizeof(t), "/probe?target=valid.tlsdiag.test:%u",
           tdserver_port(valid));
  char *a = get(e.port, t);
  assert_int_equal(status_of(a), 200);
  assert_non_null(strstr(a, "tlsdiag_check_success{target=\"valid.tlsdiag.test"));
  free(a);
  assert_int_equal(stop(&e), 0);
}

static void test_usage(void **state) {
  (void)state;
  char *out = NULL;
  int rc = tt_cli(&out, "serve", "--listen", "0.0.0.0:0", NULL);
  assert_int_equal(rc, 1);
  free(out);
  rc = tt_cli(&out, "serve", "--listen", "nonsense", NULL);
  assert_int_equal(rc, 1);
  free(out);
  rc = tt_cli(&out, "serve", "--allow-target", "10.0.0.0/99", NULL);
  assert_int_equal(rc, 1);
  free(out);
  rc = tt_cli(&out, "serve", "--max-concurrent", "0", NULL);
  assert_int_equal(rc, 1);
  free(out);
  rc = tt_cli(&out, "serve", "--json", NULL);
  assert_int_equal(rc, 1);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_probe_valid),
      cmocka_unit_test(test_bad_requests),
      cmocka_unit_test(test_slowloris),
      cmocka_unit_test(test_capacity),
      cmocka_unit_test(test_allowlist),
      cmocka_unit_test(test_usage),
  };
  return td_run_tests(tests, setup, teardown);
}
