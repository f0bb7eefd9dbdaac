/* serve.c: `tlsdiag serve`, a Prometheus exporter in the multi-target
 * pattern of blackbox_exporter: GET /probe?target=HOST[:PORT] (or an
 * https:// URL) runs one check and answers its metrics in the text
 * exposition format; GET /metrics answers the exporter's own.
 *
 * One thread, one poll() loop over the listening socket, the client
 * connections and the library's multi engine (tlsdiag_multi_fds /
 * _timeout_ms / _process), so many probes run at once without threads.
 * Every client is bounded: the request head (serve_req.c), the time to
 * send it and to read the answer (--request-timeout), the number of
 * connections, and the probes running (--max-concurrent, then 503).
 *
 * SSRF: /probe connects wherever it is told. --allow-target restricts it
 * to addresses (CIDR) checked by the library's address filter, i.e. on the
 * addresses the check itself resolved, right before each connection. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "serve_req.h"

#define DEFAULT_PORT 9219
#define SCRAPE_MARGIN_MS 500 /* what the scrape timeout leaves for us */

/* ---- the allowlist ------------------------------------------------------ */

typedef struct {
  int family; /* AF_INET or AF_INET6 */
  unsigned char addr[16];
  unsigned bits;
} cidr_t;

typedef struct {
  cidr_t *v;
  size_t n;
} allow_t;

static int allow_push(allow_t *a, int fam, const void *addr, unsigned bits) {
  cidr_t *nv = realloc(a->v, (a->n + 1) * sizeof(*nv));
  if (!nv) return -1;
  a->v = nv;
  cidr_t *c = &a->v[a->n++];
  memset(c, 0, sizeof(*c));
  c->family = fam;
  memcpy(c->addr, addr, fam == AF_INET ? 4 : 16);
  c->bits = bits;
  return 0;
}

/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.7", or a host name resolved now
 * (each of its addresses exactly). 0, or 1 after a message. */
static int allow_add(allow_t *a, const char *arg) {
  char buf[256];
  if (!*arg || strlen(arg) >= sizeof(buf))
    return td_cli_usage("bad --allow-target '%s'", arg);
  strcpy(buf, arg);
  char *slash = strchr(buf, '/');
  long bits = -1;
  if (slash) {
    *slash = '\0';
    if (td_cli_long(slash + 1, 0, 128, &bits))
      return td_cli_usage("bad --allow-target '%s' (ADDR/BITS)", arg);
  }
  const char *h = buf;
  size_t hl = strlen(buf);
  if (hl > 2 && buf[0] == '[' && buf[hl - 1] == ']') {
    buf[hl - 1] = '\0';
    h = buf + 1;
  }
  unsigned char bin[16];
  if (inet_pton(AF_INET, h, bin) == 1) {
    if (bits > 32)
      return td_cli_usage("bad --allow-target '%s' (at most /32)", arg);
    return allow_push(a, AF_INET, bin, bits < 0 ? 32u : (unsigned)bits)
               ? td_cli_error("out of memory") : 0;
  }
  if (inet_pton(AF_INET6, h, bin) == 1)
    return allow_push(a, AF_INET6, bin, bits < 0 ? 128u : (unsigned)bits)
               ? td_cli_error("out of memory") : 0;
  if (slash) return td_cli_usage("bad --allow-target '%s' (a prefix needs "
                                 "an IP address)", arg);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(h, NULL, &hints, &res);
  if (rc) return td_cli_error("--allow-target '%s': %s", arg,
                              gai_strerror(rc));
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET)
      rc = allow_push(a, AF_INET,
                      &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr,
                      32);
    else if (ai->ai_family == AF_INET6)
      rc = allow_push(a, AF_INET6,
                      &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr,
                      128);
    if (rc) break;
  }
  freeaddrinfo(res);
  return rc ? td_cli_error("out of memory") : 0;
}

static int prefix_match(const unsigned char *x, const unsigned char *y,
                        unsigned bits) {
  unsigned full = bits / 8, rest = bits % 8;
  if (memcmp(x, y, full)) return 0;
  if (!rest) return 1;
  unsigned char mask = (unsigned char)(0xff << (8 - rest));
  return (x[full] & mask) == (y[full] & mask);
}

/* Is the numeric address inside the list? An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is judged as the IPv4 address it is. */
static int allow_match(const allow_t *a, const char *addr) {
  unsigned char bin[16];
  int fam = AF_INET;
  if (inet_pton(AF_INET, addr, bin) != 1) {
    if (inet_pton(AF_INET6, addr, bin) != 1) return 0;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
                                             0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(bin, mapped, 12)) memmove(bin, bin + 12, 4);
    else fam = AF_INET6;
  }
  for (size_t i = 0; i < a->n; i++)
    if (a->v[i].family == fam && prefix_match(bin, a->v[i].addr, a->v[i].bits))
      return 1;
  return 0;
}

/* ---- the server --------------------------------------------------------- */

enum { C_READ, C_PROBE, C_WRITE };

typedef struct conn conn_t;
typedef struct server server_t;

struct conn {
  server_t *s;
  int fd;          /* -1 once closed (a probe may still run for it) */
  int state;       /* C_* */
  int head;        /* HEAD: no body */
  int64_t deadline; /* monotonic ms: request read, or answer written */
  int64_t t0;       /* probe start, monotonic ms */
  char in[TD_REQ_MAX_HEAD];
  size_t inlen;
  char *out;
  size_t outlen, outoff;
  int refused;      /* the address filter refused an address */
  char refused_addr[64];
  char target[TD_REQ_MAX_TARGET + 1];
  conn_t *next;
};

#define NBUCKETS 12
static const double buckets[NBUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5,   1,    2.5,   5,    10,  30};

struct server {
  td_cli_opts_t *c;
  allow_t allow;
  int lfd;
  unsigned max_concurrent, max_conns;
  int request_timeout_ms;
  int quiet;
  tlsdiag_multi_t *m;
  tlsdiag_hsts_t *hsts;
  conn_t *conns;
  unsigned nconns, in_flight;
  /* counters for /metrics */
  unsigned long long probes_ok, probes_failed, probes_refused;
  unsigned long long rejected_busy, bad_requests, requests;
  unsigned long long hist[NBUCKETS];
  double duration_sum;
};

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(const server_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(const server_t *s, const char *fmt, ...) {
  if (s->quiet) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("tlsdiag serve: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void conn_close_fd(conn_t *k) {
  if (k->fd >= 0) close(k->fd);
  k->fd = -1;
}

static void conn_free(server_t *s, conn_t *k) {
  for (conn_t **p = &s->conns; *p; p = &(*p)->next)
    if (*p == k) {
      *p = k->next;
      break;
    }
  conn_close_fd(k);
  free(k->out);
  free(k);
  s->nconns--;
}

/* Queues the answer (head + body, or head only for HEAD) and switches to
 * writing it; on no memory the connection is just closed. */
static void respond(conn_t *k, int status, const char *ctype,
                    const char *body, size_t blen) {
  static const struct {
    int code;
    const char *text;
  } reasons[] = {{200, "OK"},
                 {400, "Bad Request"},
                 {403, "Forbidden"},
                 {404, "Not Found"},
                 {405, "Method Not Allowed"},
                 {408, "Request Timeout"},
                 {414, "URI Too Long"},
                 {431, "Request Header Fields Too Large"},
                 {500, "Internal Server Error"},
                 {503, "Service Unavailable"},
                 {505, "HTTP Version Not Supported"}};
  const char *reason = "Error";
  for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
    if (reasons[i].code == status) reason = reasons[i].text;
  char hdr[256];
  int hn = snprintf(hdr, sizeof(hdr),
                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n",
                    status, reason, ctype, blen,
                    status == 405 ? "Allow: GET, HEAD\r\n" : "");
  size_t bl = k->head ? 0 : blen;
  free(k->out);
  k->out = malloc((size_t)hn + bl);
  k->outoff = 0;
  k->state = C_WRITE;
  k->deadline = mono_ms() + k->s->request_timeout_ms;
  if (!k->out) { /* no memory: the connection just closes */
    k->outlen = 0;
    return;
  }
  memcpy(k->out, hdr, (size_t)hn);
  if (bl) memcpy(k->out + hn, body, bl);
  k->outlen = (size_t)hn + bl;
}

/* A one-line plain-text answer. */
static void respond_text(conn_t *k, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void respond_text(conn_t *k, int status, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n > sizeof(line) - 2) n = (int)sizeof(line) - 2;
  /* one line whatever the target held */
  for (int i = 0; i < n; i++)
    if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) line[i] = '?';
  line[n++] = '\n';
  if (status >= 400 && status != 503 && status != 403) k->s->bad_requests++;
  respond(k, status, "text/plain; charset=utf-8", line, (size_t)n);
}

#define PROM_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- /metrics ---------------------------------------------------------- */

static void self_metrics(conn_t *k) {
  server_t *s = k->s;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) {
    respond_text(k, 500, "out of memory");
    return;
  }
  fprintf(f,
          "# HELP tlsdiag_exporter_build_info The tlsdiag version; always 1.\n"
          "# TYPE tlsdiag_exporter_build_info gauge\n"
          "tlsdiag_exporter_build_info{version=\"%s\"} 1\n",
          tlsdiag_version_str());
  fprintf(f,
          "# HELP tlsdiag_exporter_probes_total Probes answered, by result "
          "(success, failure: the check found an error, refused: "
          "--allow-target).\n"
          "# TYPE tlsdiag_exporter_probes_total counter\n"
          "tlsdiag_exporter_probes_total{result=\"success\"} %llu\n"
          "tlsdiag_exporter_probes_total{result=\"failure\"} %llu\n"
          "tlsdiag_exporter_probes_total{result=\"refused\"} %llu\n",
          s->probes_ok, s->probes_failed, s->probes_refused);
  fprintf(f,
          "# HELP tlsdiag_exporter_requests_rejected_total Requests refused "
          "before a probe ran, by reason.\n"
          "# TYPE tlsdiag_exporter_requests_rejected_total counter\n"
          "tlsdiag_exporter_requests_rejected_total{reason=\"busy\"} %llu\n"
          "tlsdiag_exporter_requests_rejected_total{reason=\"bad_request\"} "
          "%llu\n",
          s->rejected_busy, s->bad_requests);
  fprintf(f,
          "# HELP tlsdiag_exporter_http_requests_total HTTP requests "
          "parsed.\n"
          "# TYPE tlsdiag_exporter_http_requests_total counter\n"
          "tlsdiag_exporter_http_requests_total %llu\n",
          s->requests);
  fprintf(f,
          "# HELP tlsdiag_exporter_probes_in_flight Probes running now.\n"
          "# TYPE tlsdiag_exporter_probes_in_flight gauge\n"
          "tlsdiag_exporter_probes_in_flight %u\n"
          "# HELP tlsdiag_exporter_max_concurrent_probes --max-concurrent.\n"
          "# TYPE tlsdiag_exporter_max_concurrent_probes gauge\n"
          "tlsdiag_exporter_max_concurrent_probes %u\n",
          s->in_flight, s->max_concurrent);
  fputs("# HELP tlsdiag_exporter_probe_duration_seconds Duration of the "
        "probes answered (check and formatting).\n"
        "# TYPE tlsdiag_exporter_probe_duration_seconds histogram\n",
        f);
  unsigned long long total = s->probes_ok + s->probes_failed +
                             s->probes_refused;
  for (size_t i = 0; i < NBUCKETS; i++)
    fprintf(f, "tlsdiag_exporter_probe_duration_seconds_bucket{le=\"%g\"} "
               "%llu\n", buckets[i], s->hist[i]);
  fprintf(f,
          "tlsdiag_exporter_probe_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
          "tlsdiag_exporter_probe_duration_seconds_sum %.6f\n"
          "tlsdiag_exporter_probe_duration_seconds_count %llu\n",
          total, s->duration_sum, total);
  if (fclose(f) != 0 || !text) {
    free(text);
    respond_text(k, 500, "out of memory");
    return;
  }
  respond(k, 200, PROM_CTYPE, text, len);
  free(text);
}

/* ---- /probe ------------------------------------------------------------ */

static int filter(const char *addr, uint16_t port, void *data) {
  (void)port;
  conn_t *k = data;
  if (allow_match(&k->s->allow, addr)) return 1;
  if (!k->refused) snprintf(k->refused_addr, sizeof(k->refused_addr), "%s",
                            addr);
  k->refused = 1;
  return 0;
}

static void observe(server_t *s, double sec) {
  for (size_t i = 0; i < NBUCKETS; i++)
    if (sec <= buckets[i]) s->hist[i]++;
  s->duration_sum += sec;
}

/* The multi engine's callback: the check of conn `user` is done. */
static void probe_done(tlsdiag_result_t *r, void *user, void *cb_data) {
  server_t *s = cb_data;
  conn_t *k = user;
  s->in_flight--;
  double sec = (double)(mono_ms() - k->t0) / 1000.0;
  if (k->fd < 0) { /* the client left; nobody to answer */
    tlsdiag_result_free(r);
    conn_free(s, k);
    return;
  }
  if (!r) {
    respond_text(k, 500, "out of memory");
    return;
  }
  if (k->refused && !tlsdiag_result_connected_address(r)) {
    s->probes_refused++;
    observe(s, sec);
    logf_(s, "probe %s: refused, %s is outside --allow-target", k->target,
          k->refused_addr);
    respond_text(k, 403, "target '%s' resolves to %s, outside --allow-target",
                 k->target, k->refused_addr);
    tlsdiag_result_free(r);
    return;
  }
  char *out = NULL;
  size_t len = 0;
  tlsdiag_err_t err = tlsdiag_result_format(r, TLSDIAG_FORMAT_PROMETHEUS, 0,
                                            &out, &len);
  int ok = tlsdiag_result_ok(r);
  logf_(s, "probe %s: %s in %.3f s", k->target,
        tlsdiag_cause_name(tlsdiag_result_cause(r)), sec);
  tlsdiag_result_free(r);
  if (err) {
    respond_text(k, 500, "%s", tlsdiag_strerror(err));
    return;
  }
  if (ok) s->probes_ok++;
  else s->probes_failed++;
  observe(s, sec);
  respond(k, 200, PROM_CTYPE, out, len);
  tlsdiag_free(out);
}

/* The target parameter as a host, port and path (a URL's): 0, or 400
 * sent. */
static int probe_target(conn_t *k, const char *t, char **host,
                        uint16_t *port, char **path) {
  *host = *path = NULL;
  tlsdiag_err_t err;
  if (strstr(t, "://")) {
    err = tlsdiag_url_parse(t, 443, host, port, path);
    if (err) {
      respond_text(k, 400, "bad target '%s': %s", t,
                   err == TLSDIAG_E_URL ? "not an https://HOST[:PORT][/PATH] "
                                          "URL"
                                        : tlsdiag_strerror(err));
      return -1;
    }
  } else if ((err = tlsdiag_target_parse(t, 443, host, port))) {
    respond_text(k, 400, "bad target '%s': %s", t, tlsdiag_strerror(err));
    return -1;
  }
  const char *why = NULL;
  if (tlsdiag_host_check(*host, &why) != TLSDIAG_OK) {
    respond_text(k, 400, "bad target '%s': %s", t, why ? why : "bad host");
    tlsdiag_free(*host);
    tlsdiag_free(*path);
    *host = *path = NULL;
    return -1;
  }
  return 0;
}

static void probe_start(conn_t *k, const td_req_t *req, const char *t) {
  server_t *s = k->s;
  if (!*t) {
    respond_text(k, 400, "missing the target parameter "
                         "(/probe?target=HOST[:PORT])");
    return;
  }
  snprintf(k->target, sizeof(k->target), "%s", t);
  if (s->in_flight >= s->max_concurrent) {
    s->rejected_busy++;
    logf_(s, "probe %s: refused, %u probes running (--max-concurrent)", t,
          s->in_flight);
    respond_text(k, 503, "busy: %u probes running (--max-concurrent %u)",
                 s->in_flight, s->max_concurrent);
    return;
  }
  char *host = NULL, *path = NULL;
  uint16_t port = 443;
  if (probe_target(k, t, &host, &port, &path)) return;
  tlsdiag_options_t o = s->c->o;
  o.port = port;
  if (path) o.http_path = path;
  o.hsts = s->hsts;
  int budget = o.max_time_ms;
  if (req->scrape_timeout > 0) {
    double ms = req->scrape_timeout * 1000.0 - SCRAPE_MARGIN_MS;
    if (ms < 100) ms = 100; /* a probe needs some time to say anything */
    if (ms < budget) budget = (int)ms;
  }
  o.max_time_ms = budget;
  if (o.connect_timeout_ms > budget) o.connect_timeout_ms = budget;
  if (s->allow.n) {
    o.address_filter = filter;
    o.address_filter_data = k;
  }
  k->t0 = mono_ms();
  tlsdiag_err_t err = tlsdiag_multi_add(s->m, host, &o, k);
  tlsdiag_free(host);
  tlsdiag_free(path);
  if (err) {
    respond_text(k, 400, "bad target '%s': %s", t, tlsdiag_strerror(err));
    return;
  }
  s->in_flight++;
  k->state = C_PROBE;
}

static const char index_html[] =
    "<html><head><title>tlsdiag exporter</title></head><body>"
    "<h1>tlsdiag exporter</h1><p><a href=\"/metrics\">Metrics</a></p>"
    "<p>/probe?target=HOST[:PORT]</p></body></html>\n";

static void route(conn_t *k, const td_req_t *req) {
  char path[TD_REQ_MAX_TARGET + 1], target[TD_REQ_MAX_TARGET + 1];
  int found = 0;
  const char *why = "";
  k->head = req->head;
  k->s->requests++;
  if (td_req_query(req->target, "target", path, sizeof(path), target,
                   sizeof(target), &found, &why)) {
    respond_text(k, 400, "bad query: %s", why);
    return;
  }
  if (!strcmp(path, "/probe")) probe_start(k, req, found ? target : "");
  else if (!strcmp(path, "/metrics")) self_metrics(k);
  else if (!strcmp(path, "/"))
    respond(k, 200, "text/html; charset=utf-8", index_html,
            sizeof(index_html) - 1);
  else respond_text(k, 404, "not found: %s (try /probe?target=HOST or "
                    "/metrics)", path);
}

static void conn_read(conn_t *k) {
  size_t room = sizeof(k->in) - k->inlen;
  ssize_t n = room ? read(k->fd, k->in + k->inlen, room) : 0;
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0 && room) {
    conn_free(k->s, k); /* closed or failed before a whole request */
    return;
  }
  k->inlen += (size_t)n;
  td_req_t *req = malloc(sizeof(*req));
  if (!req) {
    conn_free(k->s, k);
    return;
  }
  const char *why = "";
  int rc = td_req_parse(k->in, k->inlen, req, &why);
  if (rc == TD_REQ_DONE) route(k, req);
  else if (rc != TD_REQ_MORE) respond_text(k, rc, "%s", why);
  free(req);
}

static void conn_write(conn_t *k) {
  while (k->outoff < k->outlen) {
    ssize_t n = send(k->fd, k->out + k->outoff, k->outlen - k->outoff,
                     MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) break;
    k->outoff += (size_t)n;
  }
  conn_free(k->s, k); /* all sent (or the peer is gone): Connection: close */
}

static void do_accept(server_t *s) {
  for (int i = 0; i < 64; i++) {
    int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (s->nconns >= s->max_conns) {
      static const char busy[] =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 29\r\n"
          "Connection: close\r\n\r\nbusy: too many connections\r\n\n";
      s->rejected_busy++;
      ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
      (void)w;
      close(fd);
      continue;
    }
    conn_t *k = calloc(1, sizeof(*k));
    if (!k) {
      close(fd);
      return;
    }
    k->s = s;
    k->fd = fd;
    k->state = C_READ;
    k->deadline = mono_ms() + s->request_timeout_ms;
    k->next = s->conns;
    s->conns = k;
    s->nconns++;
  }
}

/* ---- the loop ---------------------------------------------------------- */

static volatile sig_atomic_t stopping;
static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static int serve_loop(server_t *s) {
  size_t cap = 64;
  struct pollfd *fds = malloc(cap * sizeof(*fds));
  conn_t **who = malloc(cap * sizeof(*who));
  sigset_t block, empty;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &block, NULL);
  int rc = 0;
  if (!fds || !who) {
    free(fds);
    free(who);
    return td_cli_error("out of memory");
  }
  for (;;) {
    if (stopping && s->lfd >= 0) {
      close(s->lfd); /* no new clients; the probes running finish */
      s->lfd = -1;
      logf_(s, "stopping: %u probe%s to finish", s->in_flight,
            s->in_flight == 1 ? "" : "s");
    }
    if (stopping && s->in_flight == 0) {
      int writing = 0;
      for (conn_t *k = s->conns; k; k = k->next) writing |= k->state == C_WRITE;
      if (!writing) break;
    }
    size_t need = 1 + s->nconns + 64;
    if (need > cap) {
      size_t ncap = need * 2;
      struct pollfd *nf = realloc(fds, ncap * sizeof(*nf));
      if (nf) fds = nf;
      conn_t **nw = realloc(who, ncap * sizeof(*nw));
      if (nw) who = nw;
      if (!nf || !nw) break;
      cap = ncap;
    }
    size_t n = 0;
    int64_t now = mono_ms(), next = now + 1000;
    if (s->lfd >= 0) {
      fds[n].fd = s->lfd;
      fds[n].events = POLLIN;
      who[n++] = NULL;
    }
    for (conn_t *k = s->conns; k; k = k->next) {
      if (k->fd < 0 || k->state == C_PROBE) continue;
      fds[n].fd = k->fd;
      fds[n].events = k->state == C_READ ? POLLIN : POLLOUT;
      who[n++] = k;
      if (k->deadline < next) next = k->deadline;
    }
    size_t nconn = n;
    size_t nm;
    while ((nm = tlsdiag_multi_fds(s->m, fds + nconn, cap - nconn)) ==
           cap - nconn) {
      size_t ncap = cap * 2;
      struct pollfd *nf = realloc(fds, ncap * sizeof(*nf));
      if (!nf) break;
      fds = nf;
      conn_t **nw = realloc(who, ncap * sizeof(*nw));
      if (!nw) break;
      who = nw;
      cap = ncap;
    }
    int mt = tlsdiag_multi_timeout_ms(s->m);
    int64_t wait = next - now;
    if (mt >= 0 && mt < wait) wait = mt;
    if (wait < 0) wait = 0;
    struct timespec ts = {(time_t)(wait / 1000), (long)(wait % 1000) * 1000000};
    int pr = ppoll(fds, nconn + nm, &ts, &empty);
    if (pr < 0 && errno != EINTR) {
      rc = td_cli_error("poll: %s", strerror(errno));
      break;
    }
    if (pr < 0) continue;
    /* connections first: a callback below may free one */
    now = mono_ms();
    for (size_t i = 0; i < nconn; i++) {
      conn_t *k = who[i];
      short re = fds[i].revents;
      if (!k) {
        if (re & POLLIN) do_accept(s);
        continue;
      }
      if (re & (POLLIN | POLLOUT | POLLERR | POLLHUP)) {
        if (k->state == C_READ) conn_read(k);
        else if (k->state == C_WRITE) conn_write(k);
      } else if (now >= k->deadline) {
        if (k->state == C_READ && k->inlen > 0)
          respond_text(k, 408, "request not received within "
                       "--request-timeout");
        else conn_free(s, k); /* idle, or a reader that never reads */
      }
    }
    tlsdiag_err_t err = tlsdiag_multi_process(s->m, fds + nconn, nm);
    if (err) {
      rc = td_cli_error("%s", tlsdiag_strerror(err));
      break;
    }
  }
  free(fds);
  free(who);
  return rc;
}

/* ---- options and set-up ------------------------------------------------- */

static void usage(FILE *o) {
  fputs(
      "usage: tlsdiag serve [options]\n"
      "A Prometheus exporter (the multi-target pattern of blackbox_exporter):\n"
      "  GET /probe?target=HOST[:PORT]    one check, its metrics\n"
      "  GET /probe?target=https://HOST[:PORT]/PATH\n"
      "  GET /metrics                     the exporter's own metrics\n"
      "The probe's time budget is Prometheus's scrape timeout (header\n"
      "X-Prometheus-Scrape-Timeout-Seconds) less 0.5 s, at most --max-time.\n"
      "\n"
      "  --listen ADDR:PORT     where to listen (default 127.0.0.1:9219;\n"
      "                         port 0 picks one; the address is printed)\n"
      "  --listen-non-loopback  allow an ADDR that is not loopback\n"
      "  --allow-target A       probe only addresses in A: CIDR (10.0.0.0/8,\n"
      "                         2001:db8::/32), an address, or a host name\n"
      "                         (its addresses at start-up); repeatable.\n"
      "                         Checked on the addresses each probe resolved,\n"
      "                         before connecting: outside it -> 403.\n"
      "                         WITHOUT IT /probe CONNECTS ANYWHERE IT IS TOLD\n"
      "                         (internal hosts, cloud metadata, localhost).\n"
      "  --max-concurrent N     probes at once (default 32; more -> 503)\n"
      "  --request-timeout S    to send a request / read the answer (10)\n"
      "  -q, --quiet            no log line per probe on stderr\n"
      "check options, for every probe: --cacert --capath --resolve\n"
      "  --dns-server --tls-min --tls-max --connect-timeout --max-time\n"
      "  --method --path --now -w -c --clock-skew --hsts-list -4 -6\n"
      "  --no-http --no-probe --no-aia --connect-to --cert --key\n"
      "  (see tlsdiag --help)\n",
      o);
}

typedef struct {
  allow_t *allow;
  const char *listen;
  int non_loopback;
  int max_concurrent;
  int request_timeout_ms;
} serve_opts_t;

static int own(void *ctx, td_cli_opts_t *c, int id, const char *arg) {
  (void)c;
  serve_opts_t *so = ctx;
  switch (id) {
  case TD_O_LISTEN: so->listen = arg; return 0;
  case TD_O_PUBLIC: so->non_loopback = 1; return 0;
  case TD_O_ALLOW: return allow_add(so->allow, arg);
  case TD_O_MAXCONC:
    if (td_cli_int(arg, 1, 100000, &so->max_concurrent))
      return td_cli_usage("bad --max-concurrent '%s' (1 to 100000)", arg);
    return 0;
  case TD_O_REQTO:
    if (td_cli_seconds_ms(arg, &so->request_timeout_ms))
      return td_cli_usage("bad --request-timeout '%s' (seconds)", arg);
    return 0;
  default: return TD_CLI_NOT_MINE;
  }
}

/* "ADDR:PORT" or "[V6]:PORT" (numeric; port 0 allowed) into a socket
 * address. 0, or 1 after a usage line. */
static int listen_addr(const char *arg, struct sockaddr_storage *ss,
                       socklen_t *sl) {
  char buf[128];
  if (strlen(arg) >= sizeof(buf))
    return td_cli_usage("bad --listen '%s' (ADDR:PORT)", arg);
  strcpy(buf, arg);
  char *colon = strrchr(buf, ':');
  long port = 0;
  if (!colon || td_cli_long(colon + 1, 0, 65535, &port))
    return td_cli_usage("bad --listen '%s' (ADDR:PORT, e.g. 127.0.0.1:9219)",
                        arg);
  *colon = '\0';
  char *h = buf;
  size_t hl = strlen(h);
  if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
    h[hl - 1] = '\0';
    h++;
  }
  memset(ss, 0, sizeof(*ss));
  struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
  if (inet_pton(AF_INET, h, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    *sl = sizeof(*s4);
  } else if (inet_pton(AF_INET6, h, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    *sl = sizeof(*s6);
  } else {
    return td_cli_usage("bad --listen '%s' (a numeric IPv4 or [IPv6] "
                        "address)", arg);
  }
  return 0;
}

static int is_loopback(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s4 = (const void *)ss;
    return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
  }
  const struct sockaddr_in6 *s6 = (const void *)ss;
  return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}

static int open_listener(server_t *s, const char *arg, int non_loopback) {
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  if (listen_addr(arg, &ss, &sl)) return TD_EXIT_USAGE;
  if (!is_loopback(&ss)) {
    if (!non_loopback)
      return td_cli_usage("--listen %s is not a loopback address: add "
                          "--listen-non-loopback to expose the exporter "
                          "(and see --allow-target)", arg);
    fprintf(stderr, "tlsdiag serve: warning: listening on %s, not loopback: "
                    "anyone who reaches it can make this host connect%s\n",
            arg, s->allow.n ? " within --allow-target"
                            : " anywhere (no --allow-target)");
  }
  s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (s->lfd < 0 ||
      setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(s->lfd, (struct sockaddr *)&ss, sl) != 0 ||
      listen(s->lfd, 128) != 0)
    return td_cli_error("cannot listen on %s: %s", arg, strerror(errno));
  sl = sizeof(ss);
  getsockname(s->lfd, (struct sockaddr *)&ss, &sl);
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port;
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *s4 = (void *)&ss;
    inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
    port = ntohs(s4->sin_port);
    printf("listening on http://%s:%u/\n", host, port);
  } else {
    struct sockaddr_in6 *s6 = (void *)&ss;
    inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
    port = ntohs(s6->sin6_port);
    printf("listening on http://[%s]:%u/\n", host, port);
  }
  fflush(stdout);
  return 0;
}

int td_cli_serve(int argc, char **argv) {
  td_cli_opts_t c;
  td_cli_opts_init(&c, TD_C_SERVE, 0, usage);
  server_t s;
  memset(&s, 0, sizeof(s));
  s.lfd = -1;
  serve_opts_t so = {&s.allow, "127.0.0.1:9219", 0, 32, 10000};
  int first = 0, rc = td_cli_parse(&c, argc, argv, own, &so, &first);
  if (rc < 0) rc = td_cli_operands(argc, first, 0, 0, argv, "nothing");
  if (rc < 0) rc = td_cli_opts_check(&c);
  if (rc >= 0) goto out;
  rc = TD_EXIT_USAGE;
  char why[512];
  tlsdiag_err_t err = tlsdiag_options_check(&c.o, why, sizeof(why));
  if (err) {
    td_cli_error("%s", why[0] ? why : tlsdiag_strerror(err));
    goto out;
  }
  if (td_cli_hsts_load(c.hsts_path, &s.hsts) != 0) goto out;
  s.c = &c;
  s.quiet = c.quiet;
  s.max_concurrent = (unsigned)so.max_concurrent;
  s.max_conns = s.max_concurrent * 4 + 64;
  s.request_timeout_ms = so.request_timeout_ms;
  if (!s.allow.n)
    fprintf(stderr, "tlsdiag serve: note: no --allow-target: /probe "
                    "connects to any address it is given\n");
  if (open_listener(&s, so.listen, so.non_loopback)) goto out;
  if ((err = tlsdiag_multi_new(s.max_concurrent, probe_done, &s, &s.m))) {
    td_cli_error("%s", tlsdiag_strerror(err));
    goto out;
  }
  td_cli_on_signals(on_signal, 0);
  signal(SIGPIPE, SIG_IGN);
  rc = serve_loop(&s) ? TD_EXIT_USAGE : TD_EXIT_OK;
  logf_(&s, "stopped");
out:
  tlsdiag_multi_free(s.m);
  while (s.conns) conn_free(&s, s.conns);
  if (s.lfd >= 0) close(s.lfd);
  tlsdiag_hsts_free(s.hsts);
  free(s.allow.v);
  td_cli_opts_free(&c);
  return rc;
}
