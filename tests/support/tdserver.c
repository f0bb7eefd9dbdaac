/* tdserver.c: loopback TLS/HTTP server with scripted failures (tests, demo).
 *
 * Layout: a listener thread accepts and starts one thread per connection.
 * Every wait is a poll() on the socket plus the read end of a stop pipe,
 * bounded by the connection's deadline, so tdserver_stop() (which makes the
 * pipe readable for good) ends all threads within one poll wake-up.
 */
#include "tdserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#define MAX_FILLERS 16       /* TDS_NO_ACCEPT: connections queued by us */
#define FILL_WAIT_MS 150     /* a filler not connected by then: queue full */
#define LINGER_MS 1000       /* wait for the client's EOF after our FIN */
#define HELLO_MAX (16384 + 5) /* one TLS record */

typedef struct conn {
  struct tdserver *srv;
  int fd;
  pthread_t thread;
  int done; /* under srv->lock: the thread has finished its work */
  int64_t deadline; /* monotonic ms */
  gnutls_session_t session;
  struct conn *next;
} conn_t;

struct tdserver {
  tdserver_config_t cfg; /* pointer fields refer to the copies below */
  char *priority_copy, *extra_copy, *alpn_copy;
  int client_auth; /* cfg.client_ca_pem was set */
  unsigned char *raw_copy, *ocsp_copy;
  int lfd;
  int stop_pipe[2];
  uint16_t port;
  pthread_t listener;
  int listener_started;
  pthread_mutex_t lock;
  conn_t *conns;
  unsigned nconn;
  char *last_sni, *last_request, *last_version;
  unsigned nrequests; /* request heads read, over all connections */
  gnutls_certificate_credentials_t cred;
  gnutls_priority_t prio;
  gnutls_datum_t ticket_key;
  gnutls_anti_replay_t anti_replay; /* 0-RTT needs one (RFC 8446 8) */
  unsigned char seen[64][32];        /* ClientHello keys it has seen */
  unsigned nseen;
  pthread_mutex_t seen_lock;
  int fillers[MAX_FILLERS];
  int nfillers;
};

/* ---- small helpers ------------------------------------------------------ */

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_str(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

static char *dup_mem_str(const void *p, size_t n) {
  char *s = malloc(n + 1);
  if (!s) return NULL;
  if (n) memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

static void set_last(tdserver_t *s, char **slot, const void *p, size_t n) {
  char *v = dup_mem_str(p, n);
  if (!v) return; /* keep the old value: these are only for asserts */
  pthread_mutex_lock(&s->lock);
  free(*slot);
  *slot = v;
  pthread_mutex_unlock(&s->lock);
}

/* A new ClientHello: its SNI, and no version or request seen yet. */
static void record_hello(tdserver_t *s, const char *sni, size_t n) {
  char *v = dup_mem_str(sni, n), *e1 = dup_str(""), *e2 = dup_str("");
  if (v && e1 && e2) {
    pthread_mutex_lock(&s->lock);
    free(s->last_sni);
    free(s->last_version);
    free(s->last_request);
    s->last_sni = v;
    s->last_version = e1;
    s->last_request = e2;
    pthread_mutex_unlock(&s->lock);
    return;
  }
  free(v);
  free(e1);
  free(e2);
}

static char *get_last(tdserver_t *s, char *const *slot) {
  if (!s) return NULL;
  pthread_mutex_lock(&s->lock);
  char *v = dup_str(*slot ? *slot : "");
  pthread_mutex_unlock(&s->lock);
  return v;
}

/* Waits until fd has one of events, the server stops, or `until`.
 * 1: ready (or hung up/errored: the next call will tell), 0: time is up,
 * -1: stopping. */
static int wait_fd(const conn_t *c, short events, int64_t until) {
  for (;;) {
    int64_t left = until - mono_ms();
    if (left <= 0) return 0;
    struct pollfd p[2] = {{c->srv->stop_pipe[0], POLLIN, 0},
                          {c->fd, events, 0}};
    int rc = poll(p, 2, left > 1000 ? 1000 : (int)left);
    if (rc < 0 && errno != EINTR) return -1;
    if (rc <= 0) continue;
    if (p[0].revents) return -1;
    if (p[1].revents) return 1;
  }
}

/* Sleeps ms unless the server stops first (-1). */
static int pause_ms(const conn_t *c, int ms) {
  int64_t until = mono_ms() + ms;
  if (until > c->deadline) until = c->deadline;
  for (;;) {
    int64_t left = until - mono_ms();
    if (left <= 0) return 0;
    struct pollfd p = {c->srv->stop_pipe[0], POLLIN, 0};
    int rc = poll(&p, 1, (int)left);
    if (rc > 0) return -1;
  }
}

/* Raw bytes: one recv after waiting; >0 bytes, 0 EOF, -1 failure/timeout. */
static ssize_t raw_read(conn_t *c, void *buf, size_t n, int64_t until) {
  for (;;) {
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (wait_fd(c, POLLIN, until) <= 0) return -1;
  }
}

static int raw_write_all(conn_t *c, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (wait_fd(c, POLLOUT, c->deadline) <= 0) return -1;
  }
  return 0;
}

/* Sends our FIN, then reads and drops whatever the client still sends until
 * its EOF, so that close() does not turn into a RST that could destroy data
 * the client has not read yet. */
static void close_gracefully(conn_t *c) {
  char scratch[4096];
  shutdown(c->fd, SHUT_WR);
  int64_t until = mono_ms() + LINGER_MS;
  if (until > c->deadline) until = c->deadline;
  while (raw_read(c, scratch, sizeof scratch, until) > 0) {
  }
}

/* Holds the connection open, dropping input, until the client closes, the
 * server stops or the deadline passes. */
static void idle_until_close(conn_t *c) {
  char scratch[4096];
  while (raw_read(c, scratch, sizeof scratch, c->deadline) > 0) {
  }
}

/* ---- raw ClientHello: read one record and find the SNI ------------------ */

static size_t get16(const unsigned char *p) {
  return ((size_t)p[0] << 8) | p[1];
}

/* Finds the host_name in a ClientHello record; "" when absent or the record
 * is not a ClientHello. Bounded by n throughout. */
static void hello_sni(const unsigned char *b, size_t n, char *out,
                      size_t outsz) {
  out[0] = '\0';
  if (n < 5 + 4 || b[0] != 0x16 || b[5] != 1) return;
  size_t end = 5 + get16(b + 3);
  if (end > n) end = n;
  size_t i = 5 + 4 + 2 + 32; /* handshake header, version, random */
  if (i + 1 > end) return;
  i += 1 + b[i]; /* session id */
  if (i + 2 > end) return;
  i += 2 + get16(b + i); /* cipher suites */
  if (i + 1 > end) return;
  i += 1 + b[i]; /* compression methods */
  if (i + 2 > end) return;
  size_t ext_end = i + 2 + get16(b + i);
  if (ext_end > end) ext_end = end;
  i += 2;
  while (i + 4 <= ext_end) {
    size_t type = get16(b + i), len = get16(b + i + 2);
    i += 4;
    if (i + len > ext_end) return;
    if (type == 0 && len >= 5 && b[i + 2] == 0) {
      size_t nl = get16(b + i + 3);
      if (5 + nl > len) return;
      if (nl >= outsz) nl = outsz - 1;
      memcpy(out, b + i + 5, nl);
      out[nl] = '\0';
      return;
    }
    i += len;
  }
}

/* Reads the first TLS record the client sends (bounded), records its SNI.
 * Returns 0 if something arrived, -1 on EOF/timeout/stop. */
static int read_client_hello(conn_t *c) {
  unsigned char *b = malloc(HELLO_MAX);
  if (!b) return -1;
  size_t have = 0, want = 5;
  int rc = -1;
  while (have < want) {
    ssize_t r = raw_read(c, b + have, HELLO_MAX - have, c->deadline);
    if (r <= 0) break;
    have += (size_t)r;
    rc = 0;
    if (b[0] != 0x16) break; /* not TLS: take what came */
    if (have >= 5) want = 5 + get16(b + 3);
    if (want > HELLO_MAX) want = HELLO_MAX;
  }
  if (rc == 0) {
    char sni[256];
    hello_sni(b, have, sni, sizeof sni);
    record_hello(c->srv, sni, strlen(sni));
  }
  free(b);
  return rc;
}

/* ---- TLS ---------------------------------------------------------------- */

static ssize_t tls_pull(gnutls_transport_ptr_t p, void *buf, size_t n) {
  conn_t *c = p;
  for (;;) {
    ssize_t r = recv(c->fd, buf, n, 0);
    if (r >= 0) return r;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      gnutls_transport_set_errno(c->session, errno);
      return -1;
    }
    int w = wait_fd(c, POLLIN, c->deadline);
    if (w <= 0) {
      gnutls_transport_set_errno(c->session, w < 0 ? ECONNABORTED : ETIMEDOUT);
      return -1;
    }
  }
}

static int tls_pull_timeout(gnutls_transport_ptr_t p, unsigned int ms) {
  conn_t *c = p;
  int64_t until = c->deadline;
  if (ms != GNUTLS_INDEFINITE_TIMEOUT && mono_ms() + ms < until)
    until = mono_ms() + ms;
  int w = wait_fd(c, POLLIN, until);
  if (w < 0) {
    gnutls_transport_set_errno(c->session, ECONNABORTED);
    return -1;
  }
  return w;
}

static ssize_t tls_push(gnutls_transport_ptr_t p, const void *buf, size_t n) {
  conn_t *c = p;
  for (;;) {
    ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);
    if (w >= 0) return w;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      gnutls_transport_set_errno(c->session, errno);
      return -1;
    }
    int r = wait_fd(c, POLLOUT, c->deadline);
    if (r <= 0) {
      gnutls_transport_set_errno(c->session, r < 0 ? ECONNABORTED : ETIMEDOUT);
      return -1;
    }
  }
}

static int on_client_hello(gnutls_session_t session) {
  conn_t *c = gnutls_session_get_ptr(session);
  char name[256];
  size_t len = sizeof name;
  unsigned type = 0;
  if (gnutls_server_name_get(session, name, &len, &type, 0) != 0 ||
      type != GNUTLS_NAME_DNS)
    len = 0;
  if (len >= sizeof name) len = sizeof name - 1;
  record_hello(c->srv, name, len);
  return 0;
}

static int on_server_hello(gnutls_session_t session, unsigned htype,
                           unsigned when, unsigned incoming,
                           const gnutls_datum_t *msg) {
  (void)htype;
  (void)when;
  (void)incoming;
  (void)msg;
  conn_t *c = gnutls_session_get_ptr(session);
  const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(session));
  if (!v) v = "";
  set_last(c->srv, &c->srv->last_version, v, strlen(v));
  return 0;
}

/* The anti-replay store (a ring of recent keys): GnuTLS refuses all early
 * data without one. An entry seen before is a replay. */
static int replay_add(void *ptr, time_t exp, const gnutls_datum_t *key,
                      const gnutls_datum_t *data) {
  (void)exp;
  (void)data;
  tdserver_t *s = ptr;
  unsigned char k[32];
  memset(k, 0, sizeof(k));
  memcpy(k, key->data, key->size < sizeof(k) ? key->size : sizeof(k));
  int rc = 0;
  pthread_mutex_lock(&s->seen_lock);
  unsigned n = s->nseen < 64 ? s->nseen : 64;
  for (unsigned i = 0; i < n && rc == 0; i++)
    if (memcmp(s->seen[i], k, sizeof(k)) == 0) rc = GNUTLS_E_DB_ENTRY_EXISTS;
  if (rc == 0) memcpy(s->seen[s->nseen++ % 64], k, sizeof(k));
  pthread_mutex_unlock(&s->seen_lock);
  return rc;
}

/* Sets up c->session and runs the handshake. 0 on success. */
static int tls_handshake(conn_t *c) {
  tdserver_t *s = c->srv;
  unsigned flags = GNUTLS_SERVER;
  if (!s->cfg.session_tickets) flags |= GNUTLS_NO_TICKETS;
  if (s->anti_replay) flags |= GNUTLS_ENABLE_EARLY_DATA;
  if (gnutls_init(&c->session, flags) < 0) {
    c->session = NULL;
    return -1;
  }
  gnutls_session_t ss = c->session;
  gnutls_session_set_ptr(ss, c);
  if (gnutls_priority_set(ss, s->prio) < 0 ||
      gnutls_credentials_set(ss, GNUTLS_CRD_CERTIFICATE, s->cred) < 0)
    return -1;
  gnutls_certificate_server_set_request(
      ss, s->client_auth ? GNUTLS_CERT_REQUIRE : GNUTLS_CERT_IGNORE);
  if (s->client_auth && s->cfg.client_verify)
    gnutls_session_set_verify_cert(ss, NULL, 0);
  if (s->cfg.session_tickets &&
      gnutls_session_ticket_enable_server(ss, &s->ticket_key) < 0)
    return -1;
  /* The lifetime GnuTLS writes into each NewSessionTicket. */
  if (s->cfg.session_tickets && s->cfg.ticket_lifetime_s)
    gnutls_db_set_cache_expiration(ss, (int)s->cfg.ticket_lifetime_s);
  if (s->anti_replay) {
    gnutls_anti_replay_enable(ss, s->anti_replay);
    if (gnutls_record_set_max_early_data_size(ss, 16384) < 0) return -1;
  }
  if (s->alpn_copy) {
    gnutls_datum_t proto = {(unsigned char *)s->alpn_copy,
                            (unsigned)strlen(s->alpn_copy)};
    if (gnutls_alpn_set_protocols(ss, &proto, 1, 0) < 0) return -1;
  }
  gnutls_handshake_set_post_client_hello_function(ss, on_client_hello);
  gnutls_handshake_set_hook_function(ss, GNUTLS_HANDSHAKE_SERVER_HELLO,
                                     GNUTLS_HOOK_PRE, on_server_hello);
  gnutls_transport_set_ptr(ss, c);
  gnutls_transport_set_pull_function(ss, tls_pull);
  gnutls_transport_set_pull_timeout_function(ss, tls_pull_timeout);
  gnutls_transport_set_push_function(ss, tls_push);
  gnutls_handshake_set_timeout(ss, 0); /* our deadline applies instead */

  int rc;
  do {
    rc = gnutls_handshake(ss);
  } while (rc < 0 && !gnutls_error_is_fatal(rc) && mono_ms() < c->deadline);
  if (rc < 0) {
    /* As real servers do: tell the client why (protocol_version,
     * handshake_failure, ...), then let it read that before we close. */
    if (rc != GNUTLS_E_PUSH_ERROR && rc != GNUTLS_E_PULL_ERROR &&
        rc != GNUTLS_E_PREMATURE_TERMINATION &&
        gnutls_alert_send_appropriate(ss, rc) == 0)
      close_gracefully(c);
    return -1;
  }
  return 0;
}

/* Reads the request head (up to "\r\n\r\n", at most TDSERVER_MAX_REQUEST
 * bytes) and records it. 0 when a head (or a full buffer) arrived, -1 when
 * the client went away first. */
static int read_request(conn_t *c) {
  char *buf = malloc(TDSERVER_MAX_REQUEST + 1);
  if (!buf) return -1;
  size_t have = 0;
  int rc = -1;
  while (have < TDSERVER_MAX_REQUEST && mono_ms() < c->deadline) {
    ssize_t r = gnutls_record_recv(c->session, buf + have,
                                   TDSERVER_MAX_REQUEST - have);
    if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) continue;
    if (r <= 0) break;
    have += (size_t)r;
    buf[have] = '\0';
    if (strstr(buf, "\r\n\r\n")) {
      rc = 0;
      break;
    }
  }
  if (have == TDSERVER_MAX_REQUEST) rc = 0;
  if (rc == 0) {
    set_last(c->srv, &c->srv->last_request, buf, have);
    pthread_mutex_lock(&c->srv->lock);
    c->srv->nrequests++;
    pthread_mutex_unlock(&c->srv->lock);
  }
  free(buf);
  return rc;
}

static int tls_send_all(conn_t *c, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = gnutls_record_send(c->session, p, n);
    if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
      if (mono_ms() >= c->deadline) return -1;
      continue;
    }
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void tls_close(conn_t *c) {
  gnutls_bye(c->session, GNUTLS_SHUT_WR); /* best effort */
  close_gracefully(c);
}

static const char *reason_phrase(int status) {
  switch (status) {
  case 200: return "OK";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 421: return "Misdirected Request";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Status";
  }
}

/* IMF-fixdate, locale independent: "Sun, 06 Nov 1994 08:49:37 GMT". */
static void imf_date(int64_t t, char out[40]) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                     "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
  time_t tt = (time_t)t;
  struct tm tm;
  if (!gmtime_r(&tt, &tm)) {
    snprintf(out, 40, "Thu, 01 Jan 1970 00:00:00 GMT");
    return;
  }
  snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT",
           days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
           tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static char *build_response(const tdserver_t *s, size_t *len) {
  char date[64] = "";
  if (s->cfg.send_date) {
    char d[40];
    imf_date((int64_t)time(NULL) + s->cfg.date_offset_s, d);
    snprintf(date, sizeof date, "Date: %s\r\n", d);
  }
  const char *extra = s->extra_copy ? s->extra_copy : "";
  size_t cap = 128 + strlen(date) + strlen(extra);
  char *r = malloc(cap);
  if (!r) return NULL;
  int n = snprintf(r, cap,
                   "HTTP/1.1 %d %s\r\n%sServer: tdserver\r\n%s"
                   "Content-Length: 0\r\nConnection: close\r\n\r\n",
                   s->cfg.http_status, reason_phrase(s->cfg.http_status),
                   date, extra);
  if (n < 0 || (size_t)n >= cap) {
    free(r);
    return NULL;
  }
  *len = (size_t)n;
  return r;
}

static void serve_http(conn_t *c) {
  if (tls_handshake(c) != 0 || read_request(c) != 0) return;
  size_t len = 0;
  char *resp = build_response(c->srv, &len);
  if (!resp) return;
  int rc = tls_send_all(c, resp, len);
  free(resp);
  if (rc == 0) tls_close(c);
}

static void serve_raw(conn_t *c) {
  const tdserver_t *s = c->srv;
  if (tls_handshake(c) != 0 || read_request(c) != 0) return;
  const char *p = (const char *)s->raw_copy;
  size_t n = s->cfg.raw_len;
  size_t step = n;
  if (s->cfg.drip_ms > 0) step = s->cfg.drip_bytes ? s->cfg.drip_bytes : 1;
  while (n > 0) {
    size_t k = n < step ? n : step;
    if (tls_send_all(c, p, k) != 0) return;
    p += k;
    n -= k;
    if (n > 0 && s->cfg.drip_ms > 0 && pause_ms(c, s->cfg.drip_ms) != 0)
      return;
    if (mono_ms() >= c->deadline) return;
  }
  if (s->cfg.raw_no_close_notify) close_gracefully(c);
  else tls_close(c);
}

static void serve_alert(conn_t *c) {
  if (read_client_hello(c) != 0) return;
  /* A plaintext fatal alert record, as a server sends before ServerHello. */
  unsigned char rec[7] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02,
                          (unsigned char)c->srv->cfg.alert};
  if (raw_write_all(c, rec, sizeof rec) == 0) close_gracefully(c);
}

static void serve_garbage(conn_t *c) {
  static const char body[] =
      "HTTP/1.0 400 Bad Request\r\n"
      "Content-Type: text/html\r\n"
      "Connection: close\r\n"
      "\r\n"
      "<html><body><h1>400 Bad Request</h1>"
      "The plain HTTP request was sent to HTTPS port</body></html>\r\n";
  if (read_client_hello(c) != 0) return;
  if (raw_write_all(c, body, sizeof body - 1) == 0) close_gracefully(c);
}

static void serve_reset(conn_t *c) {
  if (read_client_hello(c) != 0) return;
  struct linger lg = {1, 0}; /* close() now sends RST */
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void *conn_main(void *arg) {
  conn_t *c = arg;
  tdserver_t *s = c->srv;
  switch (s->cfg.mode) {
  case TDS_HTTP: serve_http(c); break;
  case TDS_SILENT: idle_until_close(c); break;
  case TDS_CLOSE: close_gracefully(c); break;
  case TDS_RESET: serve_reset(c); break;
  case TDS_GARBAGE: serve_garbage(c); break;
  case TDS_ALERT: serve_alert(c); break;
  case TDS_HANDSHAKE_THEN_SILENT:
    if (tls_handshake(c) == 0) idle_until_close(c);
    break;
  case TDS_RAW_RESPONSE: serve_raw(c); break;
  case TDS_NO_ACCEPT: break; /* never accepted */
  }
  if (c->session) gnutls_deinit(c->session);
  c->session = NULL;
  close(c->fd);
  c->fd = -1;
  pthread_mutex_lock(&s->lock);
  c->done = 1;
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

/* ---- listener ----------------------------------------------------------- */

/* Joins and frees finished connection threads (all of them with all=1;
 * only when stopping, since it waits for running ones). */
static void reap(tdserver_t *s, int all) {
  conn_t *done = NULL;
  pthread_mutex_lock(&s->lock);
  conn_t **pp = &s->conns;
  while (*pp) {
    conn_t *c = *pp;
    if (all || c->done) {
      *pp = c->next;
      c->next = done;
      done = c;
    } else {
      pp = &c->next;
    }
  }
  pthread_mutex_unlock(&s->lock);
  while (done) {
    conn_t *c = done;
    done = c->next;
    pthread_join(c->thread, NULL);
    free(c);
  }
}

static int conn_timeout_ms(const tdserver_t *s) {
  return s->cfg.conn_timeout_ms > 0 ? s->cfg.conn_timeout_ms
                                    : TDSERVER_CONN_TIMEOUT_MS;
}

static void spawn(tdserver_t *s, int fd) {
  conn_t *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return;
  }
  c->srv = s;
  c->fd = fd;
  c->deadline = mono_ms() + conn_timeout_ms(s);
  pthread_mutex_lock(&s->lock);
  s->nconn++;
  c->next = s->conns;
  s->conns = c;
  if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
    s->conns = c->next;
    pthread_mutex_unlock(&s->lock);
    close(fd);
    free(c);
    return;
  }
  pthread_mutex_unlock(&s->lock);
}

static void *listener_main(void *arg) {
  tdserver_t *s = arg;
  for (;;) {
    reap(s, 0);
    struct pollfd p[2] = {{s->stop_pipe[0], POLLIN, 0}, {s->lfd, POLLIN, 0}};
    int rc = poll(p, s->lfd >= 0 ? 2 : 1, 1000);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    if (p[0].revents) break;
    if (s->lfd < 0 || !(p[1].revents & POLLIN)) continue;
    int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
          errno == ENOBUFS) {
        struct pollfd st = {s->stop_pipe[0], POLLIN, 0};
        poll(&st, 1, 100); /* don't spin while out of resources */
      }
      continue;
    }
    /* Like nginx: each TLS record goes out at once. Without it, the
     * server's later handshake records wait for the client's delayed ACK
     * (40 ms), which a client would measure as server latency. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* The last one allowed: refuse later clients before serving it, so a
     * client that has been answered knows the port is closed. */
    if (s->cfg.max_connections > 0 &&
        tdserver_connections(s) + 1 >= (unsigned)s->cfg.max_connections) {
      close(s->lfd);
      s->lfd = -1;
    }
    spawn(s, fd);
  }
  return NULL;
}

/* ---- start / stop ------------------------------------------------------- */

static int parse_addr(const char *addr, uint16_t port,
                      struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
    /* loopback only: these servers exist to misbehave */
    if ((ntohl(in4->sin_addr.s_addr) >> 24) != 127) return -EINVAL;
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    *len = sizeof *in4;
    return 0;
  }
  if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return -EINVAL;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    *len = sizeof *in6;
    return 0;
  }
  return -EINVAL;
}

static int ocsp_cb(gnutls_session_t session, void *ptr,
                   gnutls_datum_t *resp) {
  (void)session;
  const tdserver_t *s = ptr;
  resp->data = gnutls_malloc(s->cfg.ocsp_len);
  if (!resp->data) return GNUTLS_E_MEMORY_ERROR;
  memcpy(resp->data, s->ocsp_copy, s->cfg.ocsp_len);
  resp->size = (unsigned)s->cfg.ocsp_len;
  return 0;
}

static int is_tls_mode(tdserver_mode_t m) {
  return m == TDS_HTTP || m == TDS_HANDSHAKE_THEN_SILENT ||
         m == TDS_RAW_RESPONSE;
}

/* One PEM certificate of the chain at *p as a pcert, advancing *p past
 * it; 1 when there is none left. A certificate after the leaf that GnuTLS
 * cannot parse is sent all the same (its bytes in a copy of the leaf's
 * pcert: only the bytes of a CA certificate are used), as OpenSSL-based
 * servers send what they were given. */
static int next_pcert(const char **p, gnutls_pcert_st *pc,
                      const gnutls_pcert_st *leaf) {
  static const char end[] = "-----END CERTIFICATE-----";
  const char *b = strstr(*p, "-----BEGIN CERTIFICATE-----");
  const char *e = b ? strstr(b, end) : NULL;
  if (!e) return 1;
  gnutls_datum_t pem = {(unsigned char *)(uintptr_t)b,
                        (unsigned)(e + sizeof(end) - 1 - b)};
  *p = e + sizeof(end) - 1;
  gnutls_datum_t der = {NULL, 0};
  int rc = gnutls_pem_base64_decode2("CERTIFICATE", &pem, &der);
  if (rc < 0) return rc;
  rc = gnutls_pcert_import_x509_raw(pc, &der, GNUTLS_X509_FMT_DER, 0);
  if (rc < 0 && leaf) {
    rc = gnutls_pcert_import_x509_raw(pc, &leaf->cert, GNUTLS_X509_FMT_DER, 0);
    if (rc >= 0) {
      gnutls_free(pc->cert.data);
      pc->cert = der;
      return 0;
    }
  }
  gnutls_free(der.data);
  return rc;
}

/* The chain as given: every certificate, in its order, set with
 * gnutls_certificate_set_key, which neither sorts nor drops any (the
 * usual loaders sort the chain and drop what does not follow from the
 * leaf). Returns the credentials' index or a negative GnuTLS error. */
static int set_chain_as_is(gnutls_certificate_credentials_t cred,
                           const char *chain, const gnutls_datum_t *key) {
  gnutls_pcert_st pcerts[16];
  unsigned n = 0;
  gnutls_privkey_t pk = NULL;
  const char *p = chain;
  int rc = 0;
  while (n < 16 && (rc = next_pcert(&p, &pcerts[n], n ? &pcerts[0] : NULL)) == 0)
    n++;
  if (rc > 0) rc = n ? 0 : GNUTLS_E_NO_CERTIFICATE_FOUND;
  if (rc >= 0) rc = gnutls_privkey_init(&pk);
  if (rc >= 0)
    rc = gnutls_privkey_import_x509_raw(pk, key, GNUTLS_X509_FMT_PEM, NULL, 0);
  /* on success the credentials own the certificates and the key */
  if (rc >= 0) rc = gnutls_certificate_set_key(cred, NULL, 0, pcerts, (int)n, pk);
  if (rc < 0) {
    for (unsigned i = 0; i < n; i++) gnutls_pcert_deinit(&pcerts[i]);
    if (pk) gnutls_privkey_deinit(pk);
  }
  return rc;
}

static int setup_tls(tdserver_t *s, const tdserver_config_t *cfg) {
  int rc = gnutls_certificate_allocate_credentials(&s->cred);
  if (rc < 0) {
    s->cred = NULL;
    return TDSERVER_E_TLS + rc;
  }
  gnutls_certificate_set_flags(s->cred, GNUTLS_CERTIFICATE_API_V2);
  gnutls_datum_t chain = {(unsigned char *)cfg->chain_pem,
                          (unsigned)strlen(cfg->chain_pem)};
  gnutls_datum_t key = {(unsigned char *)cfg->key_pem,
                        (unsigned)strlen(cfg->key_pem)};
  int idx = cfg->chain_as_is ? set_chain_as_is(s->cred, cfg->chain_pem, &key)
                             : gnutls_certificate_set_x509_key_mem(
                                   s->cred, &chain, &key, GNUTLS_X509_FMT_PEM);
  if (idx < 0) return TDSERVER_E_TLS + idx;
  if (cfg->client_ca_pem) {
    gnutls_datum_t ca = {(unsigned char *)cfg->client_ca_pem,
                         (unsigned)strlen(cfg->client_ca_pem)};
    rc = gnutls_certificate_set_x509_trust_mem(s->cred, &ca,
                                               GNUTLS_X509_FMT_PEM);
    if (rc <= 0) return TDSERVER_E_TLS + (rc < 0 ? rc : GNUTLS_E_BASE64_DECODING_ERROR);
  }
  if (s->ocsp_copy) {
    /* A callback, not _set_ocsp_status_request_mem: that one refuses
     * expired or mismatched responses, which tests need to serve. */
    rc = gnutls_certificate_set_ocsp_status_request_function2(
        s->cred, (unsigned)idx, ocsp_cb, s);
    if (rc < 0) return TDSERVER_E_TLS + rc;
  }
  const char *err = NULL;
  rc = gnutls_priority_init(&s->prio, s->priority_copy ? s->priority_copy
                                                       : "NORMAL", &err);
  if (rc < 0) {
    s->prio = NULL;
    return TDSERVER_E_TLS + rc;
  }
  if (cfg->session_tickets) {
    rc = gnutls_session_ticket_key_generate(&s->ticket_key);
    if (rc < 0) {
      s->ticket_key.data = NULL;
      return TDSERVER_E_TLS + rc;
    }
    if (cfg->early_data) {
      rc = gnutls_anti_replay_init(&s->anti_replay);
      if (rc < 0) {
        s->anti_replay = NULL;
        return TDSERVER_E_TLS + rc;
      }
      pthread_mutex_init(&s->seen_lock, NULL);
      gnutls_anti_replay_set_add_function(s->anti_replay, replay_add);
      gnutls_anti_replay_set_ptr(s->anti_replay, s);
    }
  }
  return 0;
}

static int copy_config(tdserver_t *s, const tdserver_config_t *cfg) {
  s->cfg = *cfg;
  s->cfg.bind_addr = NULL; /* only needed during start */
  s->cfg.chain_pem = s->cfg.key_pem = NULL;
  s->cfg.client_ca_pem = NULL; /* loaded into the credentials at start */
  s->client_auth = cfg->client_ca_pem != NULL;
  s->priority_copy = dup_str(cfg->priority);
  s->extra_copy = dup_str(cfg->extra_headers);
  s->alpn_copy = dup_str(cfg->alpn);
  if ((cfg->priority && !s->priority_copy) ||
      (cfg->extra_headers && !s->extra_copy) || (cfg->alpn && !s->alpn_copy))
    return -ENOMEM;
  if (cfg->raw_len) {
    s->raw_copy = malloc(cfg->raw_len);
    if (!s->raw_copy) return -ENOMEM;
    memcpy(s->raw_copy, cfg->raw_response, cfg->raw_len);
  }
  if (cfg->ocsp_der && cfg->ocsp_len) {
    s->ocsp_copy = malloc(cfg->ocsp_len);
    if (!s->ocsp_copy) return -ENOMEM;
    memcpy(s->ocsp_copy, cfg->ocsp_der, cfg->ocsp_len);
  } else {
    s->cfg.ocsp_len = 0;
  }
  s->cfg.priority = s->priority_copy;
  s->cfg.extra_headers = s->extra_copy;
  s->cfg.alpn = s->alpn_copy;
  s->cfg.raw_response = (const char *)s->raw_copy;
  s->cfg.ocsp_der = s->ocsp_copy;
  return 0;
}

/* TDS_NO_ACCEPT: connects to ourselves until a connect no longer completes,
 * i.e. the accept queue (backlog 0) is full and the kernel drops SYNs. */
static int fill_backlog(tdserver_t *s, const struct sockaddr_storage *ss,
                        socklen_t len) {
  for (int i = 0; i < MAX_FILLERS; i++) {
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    if (fd < 0) return -errno;
    if (connect(fd, (const struct sockaddr *)ss, len) != 0 &&
        errno != EINPROGRESS) {
      int e = errno;
      close(fd);
      return -e;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int rc = poll(&p, 1, FILL_WAIT_MS);
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (rc > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
        soerr == 0) {
      s->fillers[s->nfillers++] = fd;
      continue;
    }
    close(fd); /* still in SYN_SENT: the queue is full */
    return 0;
  }
  return -EAGAIN; /* the kernel kept accepting into the queue */
}

void tdserver_config_init(tdserver_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->bind_addr = "127.0.0.1";
  cfg->mode = TDS_HTTP;
  cfg->http_status = 200;
  cfg->send_date = 1;
  cfg->alert = 40;
}

int tdserver_start(const tdserver_config_t *cfg, tdserver_t **out) {
  if (!out) return -EINVAL;
  *out = NULL;
  if (!cfg || (unsigned)cfg->mode > TDS_NO_ACCEPT) return -EINVAL;
  if (is_tls_mode(cfg->mode) && (!cfg->chain_pem || !cfg->key_pem))
    return -EINVAL;
  if (cfg->mode == TDS_RAW_RESPONSE && cfg->raw_len && !cfg->raw_response)
    return -EINVAL;
  if (cfg->alert < 0 || cfg->alert > 255 || cfg->http_status < 100 ||
      cfg->http_status > 999 || cfg->drip_ms < 0)
    return -EINVAL;
  struct sockaddr_storage ss;
  socklen_t slen = 0;
  int rc = parse_addr(cfg->bind_addr ? cfg->bind_addr : "127.0.0.1",
                      cfg->port, &ss, &slen);
  if (rc != 0) return rc;

  tdserver_t *s = calloc(1, sizeof *s);
  if (!s) return -ENOMEM;
  s->lfd = -1;
  s->stop_pipe[0] = s->stop_pipe[1] = -1;
  pthread_mutex_init(&s->lock, NULL);
  rc = copy_config(s, cfg);
  if (rc != 0) goto fail;
  if (is_tls_mode(cfg->mode)) {
    rc = setup_tls(s, cfg);
    if (rc != 0) goto fail;
  }
  if (pipe2(s->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    rc = -errno;
    goto fail;
  }
  s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  0);
  if (s->lfd < 0) {
    rc = -errno;
    goto fail;
  }
  int one = 1;
  setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6)
    setsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(s->lfd, (struct sockaddr *)&ss, slen) != 0 ||
      listen(s->lfd, cfg->mode == TDS_NO_ACCEPT ? 0 : 64) != 0) {
    rc = -errno;
    goto fail;
  }
  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  if (getsockname(s->lfd, (struct sockaddr *)&bound, &blen) != 0) {
    rc = -errno;
    goto fail;
  }
  s->port = ntohs(bound.ss_family == AF_INET6
                      ? ((struct sockaddr_in6 *)&bound)->sin6_port
                      : ((struct sockaddr_in *)&bound)->sin_port);
  if (cfg->mode == TDS_NO_ACCEPT) {
    rc = fill_backlog(s, &bound, blen);
    if (rc != 0) goto fail;
  } else {
    if (pthread_create(&s->listener, NULL, listener_main, s) != 0) {
      rc = -EAGAIN;
      goto fail;
    }
    s->listener_started = 1;
  }
  *out = s;
  return 0;
fail:
  tdserver_stop(s);
  return rc;
}

uint16_t tdserver_port(const tdserver_t *s) { return s ? s->port : 0; }

unsigned tdserver_connections(const tdserver_t *s) {
  if (!s) return 0;
  pthread_mutex_lock((pthread_mutex_t *)&s->lock);
  unsigned n = s->nconn;
  pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
  return n;
}

unsigned tdserver_requests(const tdserver_t *s) {
  if (!s) return 0;
  pthread_mutex_lock((pthread_mutex_t *)&s->lock);
  unsigned n = s->nrequests;
  pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
  return n;
}

char *tdserver_last_sni(tdserver_t *s) { return get_last(s, &s->last_sni); }

char *tdserver_last_request(tdserver_t *s) {
  return get_last(s, &s->last_request);
}

char *tdserver_last_version(tdserver_t *s) {
  return get_last(s, &s->last_version);
}

void tdserver_stop(tdserver_t *s) {
  if (!s) return;
  if (s->stop_pipe[1] >= 0) {
    ssize_t w;
    do {
      w = write(s->stop_pipe[1], "x", 1); /* never read: stays readable */
    } while (w < 0 && errno == EINTR);
  }
  if (s->listener_started) pthread_join(s->listener, NULL);
  reap(s, 1);
  for (int i = 0; i < s->nfillers; i++) close(s->fillers[i]);
  if (s->lfd >= 0) close(s->lfd);
  if (s->stop_pipe[0] >= 0) close(s->stop_pipe[0]);
  if (s->stop_pipe[1] >= 0) close(s->stop_pipe[1]);
  if (s->prio) gnutls_priority_deinit(s->prio);
  if (s->cred) gnutls_certificate_free_credentials(s->cred);
  if (s->ticket_key.data) {
    gnutls_memset(s->ticket_key.data, 0, s->ticket_key.size);
    gnutls_free(s->ticket_key.data);
  }
  if (s->anti_replay) {
    gnutls_anti_replay_deinit(s->anti_replay);
    pthread_mutex_destroy(&s->seen_lock);
  }
  free(s->priority_copy);
  free(s->extra_copy);
  free(s->alpn_copy);
  free(s->raw_copy);
  free(s->ocsp_copy);
  free(s->last_sni);
  free(s->last_request);
  free(s->last_version);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

const char *tdserver_strerror(int rc) {
  if (rc == 0) return "success";
  if (rc <= TDSERVER_E_TLS) return gnutls_strerror(rc - TDSERVER_E_TLS);
  if (rc < 0) {
    const char *d = strerrordesc_np(-rc);
    return d ? d : "unknown error";
  }
  return "unknown error";
}
