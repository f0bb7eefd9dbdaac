/* plain_http.c: one bounded plain-HTTP request (http://, port 80 by
 * default), blocking, for the HSTS preload check's redirect rules: the
 * destination through connect_to, resolve pins or DNS (resolve.c), a
 * non-blocking connect per address (connect.c), the request and the
 * response head written and parsed by http.c. Only the head is read (at
 * most TD_HTTP_MAX_HEAD bytes), within connect_timeout per connect and
 * max_time for the whole request. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine.h"
#include "internal.h"

#define PLAIN_MAX_ADDRS 16

typedef struct {
  char *addrs[PLAIN_MAX_ADDRS];
  int fam[PLAIN_MAX_ADDRS];
  size_t n;
} addrs_t;

static void addrs_clear(addrs_t *a) {
  for (size_t i = 0; i < a->n; i++) free(a->addrs[i]);
  a->n = 0;
}

static void addrs_add(addrs_t *a, const char *addr, int fam) {
  if (a->n < PLAIN_MAX_ADDRS && (a->addrs[a->n] = td_strdup(addr)))
    a->fam[a->n++] = fam;
}

static int fam_of(const char *addr) {
  return strchr(addr, ':') ? AF_INET6 : AF_INET;
}

/* Milliseconds left until deadline (monotonic us), at least 0. */
static int left_ms(int64_t deadline) {
  int64_t d = (deadline - td_mono_us()) / 1000;
  return d < 0 ? 0 : d > 600000 ? 600000 : (int)d;
}

/* The addresses for name:port: a pin, the literal, or DNS. */
static char *lookup(const char *name, uint16_t port,
                    const tlsdiag_options_t *o, int64_t deadline,
                    addrs_t *out) {
  int is_ip = 0;
  char *ace = NULL;
  if (td_host_check(name, &ace, &is_ip, NULL) != TLSDIAG_OK)
    return td_asprintf("'%s' is not a host name", name);
  char *err = NULL;
  if (is_ip) {
    addrs_add(out, ace, fam_of(ace));
    goto out;
  }
  for (const char *const *p = o->resolve; p && *p; p++) {
    td_pin_t pin;
    if (td_pin_parse(*p, &pin) != TLSDIAG_OK) continue;
    int hit = pin.port == port && strcmp(pin.host, ace) == 0;
    for (size_t i = 0; hit && i < pin.naddrs; i++)
      addrs_add(out, pin.addrs[i], fam_of(pin.addrs[i]));
    td_pin_clear(&pin);
    if (hit) goto out;
  }
  td_resolver_t *rs = NULL;
  int family = (o->flags & TLSDIAG_F_IPV4_ONLY)   ? AF_INET
               : (o->flags & TLSDIAG_F_IPV6_ONLY) ? AF_INET6
                                                  : AF_UNSPEC;
  if (td_resolver_start(ace, o->dns_servers, family, left_ms(deadline),
                        &rs) != TLSDIAG_OK) {
    err = td_asprintf("DNS lookup of %s could not start", ace);
    goto out;
  }
  while (!td_resolver_done(rs) && td_mono_us() < deadline) {
    struct pollfd fds[8];
    size_t n = td_resolver_fds(rs, fds, 8);
    int64_t t = td_resolver_timeout_us(rs) / 1000;
    int wait = left_ms(deadline);
    if (t >= 0 && t < wait) wait = (int)t;
    int rc = poll(fds, (nfds_t)n, wait);
    td_resolver_process(rs, rc > 0 ? fds : NULL, rc > 0 ? n : 0);
  }
  if (!td_resolver_done(rs)) err = td_asprintf("DNS lookup of %s timed out",
                                               ace);
  else if (td_resolver_count(rs) == 0)
    err = td_asprintf("DNS lookup of %s found no address", ace);
  for (size_t i = 0; !err && i < td_resolver_count(rs); i++) {
    int fam = 0;
    const char *a = td_resolver_addr(rs, i, &fam);
    addrs_add(out, a, fam);
  }
  td_resolver_free(rs);
out:
  free(ace);
  return err;
}

/* Waits for events on fd until deadline: 1 ready, 0 timed out. */
static int wait_fd(int fd, short events, int64_t deadline) {
  struct pollfd p = {.fd = fd, .events = events, .revents = 0};
  int rc;
  do rc = poll(&p, 1, left_ms(deadline));
  while (rc < 0 && errno == EINTR);
  return rc > 0;
}

/* A connected socket to one of the addresses, or -1 with *err set. */
static int connect_any(const addrs_t *a, uint16_t port, int timeout_ms,
                       int64_t deadline, char **err) {
  for (size_t i = 0; i < a->n; i++) {
    int done = 0, e = 0;
    int fd = td_tcp_start(a->addrs[i], a->fam[i], port, &done, &e);
    if (fd >= 0 && !done) {
      int64_t d = td_mono_us() + (int64_t)timeout_ms * 1000;
      if (d > deadline) d = deadline;
      e = wait_fd(fd, POLLOUT, d) ? td_tcp_finish(fd) : ETIMEDOUT;
      done = e == 0;
    }
    if (done) return fd;
    if (fd >= 0) close(fd);
    free(*err);
    *err = td_asprintf("connect to %s port %u: %s", a->addrs[i], port,
                       td_errno_name(e));
  }
  if (!*err) *err = td_strdup("no address to connect to");
  return -1;
}

/* Sends the request and reads the response head into r. */
static char *exchange(int fd, const char *req, size_t len, int64_t deadline,
                      tlsdiag_result_t *r) {
  for (size_t off = 0; off < len;) {
    if (!wait_fd(fd, POLLOUT, deadline)) return td_strdup("send timed out");
    ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return td_asprintf("send: %s", td_errno_name(errno));
    if (n > 0) off += (size_t)n;
  }
  td_buf_t in;
  td_buf_init(&in);
  char *err = NULL;
  for (;;) {
    if (!wait_fd(fd, POLLIN, deadline)) {
      err = td_strdup("no complete response head in time");
      break;
    }
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      err = n == 0 ? td_strdup("the server closed before a response head")
                   : td_asprintf("recv: %s", td_errno_name(errno));
      break;
    }
    td_buf_append(&in, buf, (size_t)n);
    size_t used = 0;
    const char *why = NULL;
    td_http_rc_t rc = td_http_parse_head(r, in.data, in.len, &used, &why);
    if (rc == TD_HTTP_DONE) break;
    if (rc != TD_HTTP_NEED_MORE) {
      err = td_asprintf("malformed response head: %s", why ? why : "?");
      break;
    }
  }
  td_buf_free(&in);
  return err;
}

tlsdiag_err_t td_plain_http_get(const char *host, uint16_t port,
                                const char *path, const tlsdiag_options_t *o,
                                tlsdiag_result_t **out, char **error) {
  *out = NULL;
  *error = NULL;
  int64_t deadline = td_mono_us() + (int64_t)o->max_time_ms * 1000;
  char *to = NULL;
  uint16_t to_port = port;
  if (td_connect_to_apply(o->connect_to, host, port, &to, &to_port, NULL) < 0)
    return TLSDIAG_E_OPTIONS;
  addrs_t a = {.n = 0};
  tlsdiag_result_t *r = td_result_new();
  char *req = NULL, *hosthdr = NULL;
  if (!r) goto nomem;
  *error = lookup(to ? to : host, to_port, o, deadline, &a);
  if (*error) goto out;
  int fd = connect_any(&a, to_port, o->connect_timeout_ms, deadline, error);
  if (fd < 0) goto out;
  hosthdr = port == 80 ? td_strdup(host) : td_asprintf("%s:%u", host, port);
  size_t len = 0;
  req = hosthdr ? td_http_request("GET", path, hosthdr, &len) : NULL;
  if (!req) {
    close(fd);
    goto nomem;
  }
  *error = exchange(fd, req, len, deadline, r);
  close(fd);
  if (!*error) {
    *out = r;
    r = NULL;
  }
out:
  free(to);
  free(req);
  free(hosthdr);
  addrs_clear(&a);
  tlsdiag_result_free(r);
  return TLSDIAG_OK;
nomem:
  free(to);
  addrs_clear(&a);
  tlsdiag_result_free(r);
  return TLSDIAG_E_NOMEM;
}
