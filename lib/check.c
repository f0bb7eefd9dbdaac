/* check.c: one check as a non-blocking state machine (DNS -> TCP -> TLS ->
 * HTTP, then the version probe after a failed handshake), and the blocking
 * tlsdiag_check() that drives it with poll(). A fetch (fetch.c) is the same
 * check that also reads a 200 response's body, and sends its request only
 * over an authenticated session. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "engine.h"

typedef enum {
  ST_DNS,
  ST_TCP,
  ST_TLS,
  ST_HTTP_SEND,
  ST_HTTP_RECV,
  ST_HTTP_BODY,
  ST_PROBE_TCP,
  ST_PROBE_TLS,
  ST_RESUME_TCP,
  ST_RESUME_TLS,
  ST_DONE
} state_t;

struct td_check {
  tlsdiag_result_t *r;
  /* options we need after start, copied so the caller's may go away */
  int connect_timeout_ms;
  unsigned flags;
  int family;
  char *dns_servers;

  int64_t t0;             /* monotonic start, us */
  int64_t deadline_total; /* t0 + max_time */
  int64_t deadline;       /* current wait's deadline */
  state_t st;

  td_resolver_t *rs;
  size_t addr_idx;
  int fd;
  int want; /* POLLIN / POLLOUT for fd */
  int64_t attempt_start;

  gnutls_certificate_credentials_t cred;
  int cred_shared; /* cred belongs to the caller (a multi handle) */
  gnutls_session_t sess;
  td_tls_hook_t hook;
  char *priority;

  char *req;
  size_t req_len, req_off;
  td_buf_t in;

  int probe_idx; /* index into r->probes (3 = TLS1.3 ... 0 = TLS1.0) */

  /* a fetch: the body of a 200 response, at most body_max bytes */
  int fetch;
  size_t body_max;
  td_body_kind_t body_kind;
  uint64_t body_expect;  /* TD_BODY_LENGTH: Content-Length */
  td_chunked_t *chunked; /* TD_BODY_CHUNKED: the decoder */
  td_buf_t body;
  int body_done;         /* the whole body arrived */

  gnutls_datum_t resume_data; /* the first session, to resume */
  int64_t resume_hs_start;
};

static double ms_since(const td_check_t *c, int64_t t) {
  return (double)(t - c->t0) / 1000.0;
}
static double now_ms(const td_check_t *c) { return ms_since(c, td_mono_us()); }

static void phase_begin(td_check_t *c, tlsdiag_phase_t p) {
  c->r->phase[p].start_ms = now_ms(c);
}

static void phase_end(td_check_t *c, tlsdiag_phase_t p, tlsdiag_status_t st,
                      const char *error) {
  td_phase_t *ph = &c->r->phase[p];
  ph->status = st;
  ph->ms = now_ms(c) - ph->start_ms;
  if (ph->ms < 0) ph->ms = 0;
  free(ph->error);
  ph->error = td_strdup(error);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void close_conn(td_check_t *c) {
  if (c->sess) {
    gnutls_deinit(c->sess);
    c->sess = NULL;
  }
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
}

/* ---- start ------------------------------------------------------------- */

static tlsdiag_err_t add_addr(tlsdiag_result_t *r, const char *a, int fam) {
  char **na = realloc(r->addrs, (r->naddrs + 1) * sizeof(*na));
  if (!na) return TLSDIAG_E_NOMEM;
  r->addrs = na;
  int *nf = realloc(r->addr_family, (r->naddrs + 1) * sizeof(*nf));
  if (!nf) return TLSDIAG_E_NOMEM;
  r->addr_family = nf;
  if (!(r->addrs[r->naddrs] = td_strdup(a))) return TLSDIAG_E_NOMEM;
  r->addr_family[r->naddrs++] = fam;
  return TLSDIAG_OK;
}

static int addr_family_of(const char *a) {
  return strchr(a, ':') ? AF_INET6 : AF_INET;
}

static int family_allowed(const td_check_t *c, int fam) {
  return c->family == AF_UNSPEC || c->family == fam;
}

void td_check_free(td_check_t *c) {
  if (!c) return;
  close_conn(c);
  td_resolver_free(c->rs);
  if (c->cred && !c->cred_shared) gnutls_certificate_free_credentials(c->cred);
  if (c->hook.keylog_fd >= 0) close(c->hook.keylog_fd);
  if (c->resume_data.data) {
    gnutls_memset(c->resume_data.data, 0, c->resume_data.size);
    gnutls_free(c->resume_data.data);
  }
  free(c->priority);
  free(c->req);
  free(c->dns_servers);
  td_buf_free(&c->in);
  td_buf_free(&c->body);
  free(c->chunked);
  tlsdiag_result_free(c->r);
  free(c);
}

static void start_tcp(td_check_t *c);
static void finish(td_check_t *c);

static tlsdiag_err_t check_new(const char *host, const tlsdiag_options_t *opts,
                               gnutls_certificate_credentials_t shared,
                               int fetch, size_t body_max, td_check_t **out);

tlsdiag_err_t td_check_new(const char *host, const tlsdiag_options_t *opts,
                           td_check_t **out) {
  return check_new(host, opts, NULL, 0, 0, out);
}

tlsdiag_err_t td_check_new_cred(const char *host,
                                const tlsdiag_options_t *opts,
                                gnutls_certificate_credentials_t shared,
                                td_check_t **out) {
  return check_new(host, opts, shared, 0, 0, out);
}

tlsdiag_err_t td_check_new_fetch(const char *host,
                                 const tlsdiag_options_t *opts,
                                 size_t body_max, td_check_t **out) {
  return check_new(host, opts, NULL, 1, body_max, out);
}

static tlsdiag_err_t check_new(const char *host, const tlsdiag_options_t *opts,
                               gnutls_certificate_credentials_t shared,
                               int fetch, size_t body_max, td_check_t **out) {
  tlsdiag_options_t def;
  tlsdiag_err_t err = TLSDIAG_OK;
  *out = NULL;
  if (!host) return TLSDIAG_E_INVAL;
  if (!opts) {
    tlsdiag_options_init(&def);
    opts = &def;
  }
  if (opts->version < 1 || opts->version > TLSDIAG_OPTIONS_VERSION)
    return TLSDIAG_E_OPTIONS;
  if (opts->port == 0) return TLSDIAG_E_PORT;
  tlsdiag_tls_version_t vmin = opts->tls_min ? opts->tls_min : TLSDIAG_TLS1_2;
  tlsdiag_tls_version_t vmax = opts->tls_max ? opts->tls_max : TLSDIAG_TLS1_3;
  if (vmin < TLSDIAG_TLS1_0 || vmax > TLSDIAG_TLS1_3 || vmin > vmax)
    return TLSDIAG_E_OPTIONS;
  if (opts->connect_timeout_ms <= 0 || opts->max_time_ms <= 0)
    return TLSDIAG_E_OPTIONS;
  if ((opts->flags & TLSDIAG_F_IPV4_ONLY) && (opts->flags & TLSDIAG_F_IPV6_ONLY))
    return TLSDIAG_E_OPTIONS;
  if (opts->dns_servers && (err = td_dns_servers_check(opts->dns_servers)))
    return err;

  err = td_global_init_once();
  if (err) return err;

  td_check_t *c = calloc(1, sizeof(*c));
  if (!c) return TLSDIAG_E_NOMEM;
  c->fd = -1;
  c->hook.keylog_fd = -1;
  td_buf_init(&c->in);
  td_buf_init(&c->body);
  c->fetch = fetch;
  c->body_max = body_max;
  c->t0 = td_mono_us();
  c->connect_timeout_ms = opts->connect_timeout_ms;
  c->deadline_total = c->t0 + (int64_t)opts->max_time_ms * 1000;
  c->flags = opts->flags;
  /* A fetch is one request on one connection, never skipped or replayed. */
  if (fetch)
    c->flags &= ~(TLSDIAG_F_NO_HTTP | TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA);
  c->family = (opts->flags & TLSDIAG_F_IPV4_ONLY)   ? AF_INET
              : (opts->flags & TLSDIAG_F_IPV6_ONLY) ? AF_INET6
                                                    : AF_UNSPEC;
  tlsdiag_result_t *r = c->r = td_result_new();
  if (!r) {
    free(c);
    return TLSDIAG_E_NOMEM;
  }
  r->port = opts->port;
  r->tls_min = vmin;
  r->tls_max = vmax;
  r->warn_days = opts->warn_days;
  r->crit_days = opts->crit_days;
  r->hsts_list = opts->hsts;
  r->clock_skew_s = opts->clock_skew_s;
  r->started_wall = td_wall_now();
  r->clock_overridden = opts->now != 0;
  r->now = opts->now ? opts->now : r->started_wall;
  r->http_method = td_strdup(opts->http_method ? opts->http_method : "HEAD");
  r->http_path = td_strdup(opts->http_path ? opts->http_path : "/");
  r->host = td_strdup(host);
  if (!r->host || !r->http_method || !r->http_path) goto nomem;
  if (opts->dns_servers && !(c->dns_servers = td_strdup(opts->dns_servers)))
    goto nomem;

  /* The host: an IP literal (brackets allowed) or a name to A-label. */
  if ((err = td_host_check(host, &r->ace_host, &r->host_is_ip, NULL)))
    goto fail;
  /* No SNI for IP literals (RFC 6066); "" means send none. */
  if (opts->sni) r->sni = td_strdup(opts->sni);
  else r->sni = td_strdup(r->host_is_ip ? "" : r->ace_host);
  if (!r->sni) goto nomem;

  if (opts->keylog_file) {
    /* 0600: the file holds secrets that decrypt the traffic. */
    c->hook.keylog_fd = open(opts->keylog_file,
                             O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (c->hook.keylog_fd < 0) {
      err = TLSDIAG_E_KEYLOG;
      goto fail;
    }
  }
  if (shared) {
    c->cred = shared;
    c->cred_shared = 1;
  } else {
    err = td_tls_cred_new(opts, &c->cred);
    if (err) goto fail;
  }

  /* Resolve pins first: they replace DNS for their host:port. */
  int pinned = 0;
  for (const char *const *p = opts->resolve; p && *p; p++) {
    td_pin_t pin;
    err = td_pin_parse(*p, &pin);
    if (err) goto fail;
    if (!pinned && pin.port == r->port && strcmp(pin.host, r->ace_host) == 0) {
      pinned = 1;
      for (size_t i = 0; i < pin.naddrs && !err; i++)
        if (family_allowed(c, addr_family_of(pin.addrs[i])))
          err = add_addr(r, pin.addrs[i], addr_family_of(pin.addrs[i]));
    }
    td_pin_clear(&pin);
    if (err) goto fail;
  }

  if (pinned || r->host_is_ip) {
    r->dns_pinned = pinned;
    r->phase[TLSDIAG_PHASE_DNS].status = TLSDIAG_STATUS_SKIPPED;
    if (r->host_is_ip && !pinned) {
      if (family_allowed(c, addr_family_of(r->ace_host)))
        err = add_addr(r, r->ace_host, addr_family_of(r->ace_host));
      if (err) goto fail;
    }
    *out = c;
    start_tcp(c);
    return TLSDIAG_OK;
  }

  r->dns_server = td_strdup(opts->dns_servers);
  r->dns_queries = c->family == AF_UNSPEC ? 2 : 1;
  phase_begin(c, TLSDIAG_PHASE_DNS);
  td_result_event(r, now_ms(c), TD_DIR_C2DNS, "query A+AAAA", "%s",
                  r->ace_host);
  int64_t dns_budget = min64((int64_t)c->connect_timeout_ms,
                             (c->deadline_total - c->t0) / 1000);
  err = td_resolver_start(r->ace_host, opts->dns_servers, c->family,
                          (int)dns_budget, &c->rs);
  if (err) goto fail;
  c->st = ST_DNS;
  c->deadline = min64(c->t0 + dns_budget * 1000, c->deadline_total);
  *out = c;
  /* c-ares may answer at once (hosts file, cache). */
  if (td_resolver_done(c->rs)) td_check_step(c, NULL, 0);
  return TLSDIAG_OK;
nomem:
  err = TLSDIAG_E_NOMEM;
fail:
  td_check_free(c);
  return err;
}

/* ---- DNS --------------------------------------------------------------- */

static void dns_finished(td_check_t *c, int timed_out) {
  tlsdiag_result_t *r = c->r;
  int st = timed_out ? ARES_ETIMEOUT : td_resolver_status(c->rs);
  r->dns_status = st;
  if (st == ARES_SUCCESS) {
    for (size_t i = 0; i < td_resolver_count(c->rs); i++) {
      int fam = 0;
      const char *a = td_resolver_addr(c->rs, i, &fam);
      if (add_addr(r, a, fam)) break;
    }
    td_buf_t b;
    td_buf_init(&b);
    for (size_t i = 0; i < r->naddrs; i++) {
      if (i) td_buf_puts(&b, ", ");
      td_buf_puts(&b, r->addrs[i]);
    }
    char *list = td_buf_steal(&b, NULL);
    phase_end(c, TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_OK, NULL);
    td_result_event(r, now_ms(c), TD_DIR_DNS2C, "answer", "%s",
                    list ? list : "");
    free(list);
  } else {
    r->dns_error = td_strdup(ares_strerror(st));
    phase_end(c, TLSDIAG_PHASE_DNS,
              st == ARES_ETIMEOUT ? TLSDIAG_STATUS_TIMEOUT
                                  : TLSDIAG_STATUS_FAILED,
              ares_strerror(st));
    td_result_event(r, now_ms(c), TD_DIR_DNS2C, "error", "%s",
                    ares_strerror(st));
  }
  td_resolver_free(c->rs);
  c->rs = NULL;
  if (st == ARES_SUCCESS) start_tcp(c);
  else finish(c);
}

/* ---- TCP --------------------------------------------------------------- */

static void start_tls(td_check_t *c);

static td_attempt_t *new_attempt(td_check_t *c, const char *addr, int fam) {
  tlsdiag_result_t *r = c->r;
  td_attempt_t *na = realloc(r->attempts, (r->nattempts + 1) * sizeof(*na));
  if (!na) return NULL;
  r->attempts = na;
  td_attempt_t *a = &na[r->nattempts++];
  memset(a, 0, sizeof(*a));
  strncpy(a->addr, addr, sizeof(a->addr) - 1);
  a->family = fam;
  return a;
}

static void attempt_failed(td_check_t *c, tlsdiag_status_t st, int err) {
  td_attempt_t *a = &c->r->attempts[c->r->nattempts - 1];
  a->status = st;
  a->err = err;
  a->ms = ms_since(c, td_mono_us()) - ms_since(c, c->attempt_start);
  a->error = st == TLSDIAG_STATUS_TIMEOUT
                 ? td_strdup("connection timed out")
                 : td_asprintf("%s (%s)", strerror(err), td_errno_name(err));
  td_result_event(c->r, now_ms(c), TD_DIR_LOCAL, "connect failed", "%s: %s",
                  a->addr, a->error ? a->error : "");
  close_conn(c);
  c->addr_idx++;
}

static void tcp_connected(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_attempt_t *a = &r->attempts[r->nattempts - 1];
  a->status = TLSDIAG_STATUS_OK;
  a->ms = ms_since(c, td_mono_us()) - ms_since(c, c->attempt_start);
  r->connected_addr = td_strdup(a->addr);
  r->local_addr = td_tcp_local(c->fd);
  phase_end(c, TLSDIAG_PHASE_TCP, TLSDIAG_STATUS_OK, NULL);
  td_result_event(r, now_ms(c), TD_DIR_S2C, "SYN-ACK", "%.1f ms", a->ms);
  start_tls(c);
}

/* Tries the next address; on none left, the TCP phase has failed. */
static void next_address(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  while (c->addr_idx < r->naddrs) {
    if (td_mono_us() >= c->deadline_total) break;
    const char *addr = r->addrs[c->addr_idx];
    int fam = r->addr_family[c->addr_idx];
    td_attempt_t *a = new_attempt(c, addr, fam);
    if (!a) break;
    c->attempt_start = td_mono_us();
    td_result_event(r, now_ms(c), TD_DIR_C2S, "SYN",
                    fam == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, r->port);
    int done = 0, err = 0;
    c->fd = td_tcp_start(addr, fam, r->port, &done, &err);
    if (c->fd < 0) {
      attempt_failed(c, TLSDIAG_STATUS_FAILED, err);
      continue;
    }
    if (done) {
      tcp_connected(c);
      return;
    }
    c->st = ST_TCP;
    c->want = POLLOUT;
    c->deadline = min64(c->attempt_start + (int64_t)c->connect_timeout_ms * 1000,
                        c->deadline_total);
    return;
  }
  /* Every address failed: the phase takes the status of the last one. */
  tlsdiag_status_t st = TLSDIAG_STATUS_FAILED;
  const char *why = r->naddrs ? "no address accepted the connection"
                              : "no address to connect to";
  if (r->naddrs && !r->nattempts && td_mono_us() >= c->deadline_total) {
    st = TLSDIAG_STATUS_TIMEOUT; /* max_time, not a server: cause timeout */
    why = "max_time ran out before a connection was tried";
  }
  if (r->nattempts) {
    st = r->attempts[r->nattempts - 1].status;
    if (st == TLSDIAG_STATUS_NOT_RUN) st = TLSDIAG_STATUS_TIMEOUT;
    why = r->attempts[r->nattempts - 1].error;
  }
  phase_end(c, TLSDIAG_PHASE_TCP, st, why);
  finish(c);
}

static void start_tcp(td_check_t *c) {
  phase_begin(c, TLSDIAG_PHASE_TCP);
  c->addr_idx = 0;
  next_address(c);
}

static void tcp_step(td_check_t *c, int revents, int timed_out) {
  if (revents) {
    int err = td_tcp_finish(c->fd);
    if (err == 0) {
      tcp_connected(c);
      return;
    }
    attempt_failed(c, TLSDIAG_STATUS_FAILED, err);
    next_address(c);
    return;
  }
  if (timed_out) {
    attempt_failed(c, TLSDIAG_STATUS_TIMEOUT, ETIMEDOUT);
    next_address(c);
  }
}

/* ---- TLS --------------------------------------------------------------- */

static void start_http(td_check_t *c);
static void start_probe(td_check_t *c);
static void start_resume(td_check_t *c);

static int tls_wait(td_check_t *c) {
  c->want = gnutls_record_get_direction(c->sess) ? POLLOUT : POLLIN;
  return 0;
}

static void start_tls(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  phase_begin(c, TLSDIAG_PHASE_TLS);
  c->priority = td_tls_priority(r->tls_min, r->tls_max, 0);
  c->hook.r = r;
  c->hook.t0 = c->t0;
  int rc = c->priority ? td_tls_session_new(c->cred, c->fd, r->sni,
                                            c->priority, &c->hook, 0, &c->sess)
                       : GNUTLS_E_MEMORY_ERROR;
  if (rc < 0) {
    td_tls_record_error(r, NULL, rc);
    phase_end(c, TLSDIAG_PHASE_TLS, TLSDIAG_STATUS_FAILED, gnutls_strerror(rc));
    finish(c);
    return;
  }
  c->st = ST_TLS;
  c->deadline = min64(td_mono_us() + (int64_t)c->connect_timeout_ms * 1000,
                      c->deadline_total);
  td_check_step(c, NULL, 0);
}

/* Errors after which asking "which versions does the server accept" can
 * tell a version mismatch from a cipher mismatch or another refusal. */
static int worth_probing(int err) {
  switch (err) {
  case GNUTLS_E_FATAL_ALERT_RECEIVED:
  case GNUTLS_E_UNSUPPORTED_VERSION_PACKET: /* an old server's alert */
  case GNUTLS_E_NO_CIPHER_SUITES:
  case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
  case GNUTLS_E_INSUFFICIENT_SECURITY:
  case GNUTLS_E_NO_COMMON_KEY_SHARE:
  case GNUTLS_E_PREMATURE_TERMINATION:
  case GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER:
  case GNUTLS_E_UNKNOWN_PK_ALGORITHM:
  case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
    return 1;
  }
  return 0;
}

static void tls_failed(td_check_t *c, int rc) {
  tlsdiag_result_t *r = c->r;
  /* GnuTLS's pull/push errors keep the socket's errno: the difference
   * between "closed" and "reset" (RST) is worth keeping. */
  int sys = (rc == GNUTLS_E_PULL_ERROR || rc == GNUTLS_E_PUSH_ERROR) ? errno : 0;
  td_tls_record_error(r, c->sess, rc);
  r->tls_sys_errno = sys;
  if (r->tls_alert)
    td_result_event(r, now_ms(c), TD_DIR_S2C, "Alert", "%s (fatal)",
                    r->tls_alert);
  phase_end(c, TLSDIAG_PHASE_TLS, TLSDIAG_STATUS_FAILED, gnutls_strerror(rc));
  close_conn(c);
  if (!(c->flags & TLSDIAG_F_NO_VERSION_PROBE) && worth_probing(rc))
    start_probe(c);
  else
    finish(c);
}

/* For a fetch, before the request: the chain verified to a trust anchor,
 * for this name, not revoked by its staple, every certificate on the path
 * the server sent valid at r->now, and no error finding from the verifier.
 * classify.c judges the same evidence again afterwards; this only decides
 * whether the request may be sent. */
static int authenticated(const tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if (!v->done || !v->trusted || !v->name_ok || v->status != 0 ||
      v->ocsp_status == 1 || r->nchain == 0)
    return 0;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR) return 0;
  size_t plen = td_chain_path_len(r);
  for (size_t i = 0; i < plen; i++)
    if (r->now < r->chain[i].not_before || r->now > r->chain[i].not_after)
      return 0;
  return 1;
}

static void tls_step(td_check_t *c, int timed_out) {
  tlsdiag_result_t *r = c->r;
  if (timed_out) {
    td_tls_record_error(r, c->sess, GNUTLS_E_TIMEDOUT);
    phase_end(c, TLSDIAG_PHASE_TLS, TLSDIAG_STATUS_TIMEOUT,
              "no answer to the handshake in time");
    td_result_event(r, now_ms(c), TD_DIR_LOCAL, "handshake timed out", NULL);
    close_conn(c);
    finish(c);
    return;
  }
  int rc = gnutls_handshake(c->sess);
  if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
    tls_wait(c);
    return;
  }
  if (rc < 0 && !gnutls_error_is_fatal(rc)) {
    /* warning alerts etc.: keep going */
    tls_wait(c);
    return;
  }
  if (rc < 0) {
    tls_failed(c, rc);
    return;
  }
  td_tls_collect(r, c->sess);
  td_verify_session(r, c->sess, c->cred);
  phase_end(c, TLSDIAG_PHASE_TLS, TLSDIAG_STATUS_OK, NULL);
  r->anat.hs_ms_first = r->phase[TLSDIAG_PHASE_TLS].ms;
  td_result_event(r, now_ms(c), TD_DIR_LOCAL, "handshake complete",
                  "%s, %s%s%s", r->tls_version ? r->tls_version : "?",
                  r->tls_cipher ? r->tls_cipher : "?",
                  r->tls_group ? ", " : "", r->tls_group ? r->tls_group : "");
  if (c->flags & TLSDIAG_F_NO_HTTP) {
    r->phase[TLSDIAG_PHASE_HTTP].status = TLSDIAG_STATUS_SKIPPED;
    close_conn(c);
    finish(c);
    return;
  }
  if (c->fetch && !authenticated(r)) {
    /* A fetch trusts what it reads: nothing goes to an impostor. */
    td_phase_t *ph = &r->phase[TLSDIAG_PHASE_HTTP];
    ph->status = TLSDIAG_STATUS_SKIPPED;
    ph->error = td_strdup("request not sent: the server is not authenticated");
    td_result_event(r, now_ms(c), TD_DIR_LOCAL, "request not sent",
                    "the certificate does not verify");
    close_conn(c);
    finish(c);
    return;
  }
  start_http(c);
}

/* ---- HTTP -------------------------------------------------------------- */

static void http_done(td_check_t *c, tlsdiag_status_t st, const char *err,
                      tlsdiag_cause_t why) {
  tlsdiag_result_t *r = c->r;
  r->http_cause = why;
  phase_end(c, TLSDIAG_PHASE_HTTP, st, err);
  /* TLS 1.3 tickets arrive after the handshake: look again. */
  if (c->sess && (gnutls_session_get_flags(c->sess) & GNUTLS_SFLAGS_SESSION_TICKET))
    r->session_ticket = 1;
  if (c->sess) gnutls_bye(c->sess, GNUTLS_SHUT_WR); /* best effort */
  if (c->sess && (c->flags & TLSDIAG_F_RESUME)) {
    if (gnutls_session_get_data2(c->sess, &c->resume_data) < 0) {
      c->resume_data.data = NULL;
    } else if (r->anat.tickets) {
      /* The packed session carries the ticket's expiry. */
      time_t exp = gnutls_db_check_entry_expire_time(&c->resume_data);
      if (exp > 0) r->anat.ticket_lifetime = (int64_t)exp - td_wall_now();
    }
    close_conn(c);
    start_resume(c);
    return;
  }
  close_conn(c);
  finish(c);
}

static void start_http(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  phase_begin(c, TLSDIAG_PHASE_HTTP);
  char *hosthdr;
  int v6 = r->host_is_ip && strchr(r->ace_host, ':');
  if (r->port == 443)
    hosthdr = td_asprintf(v6 ? "[%s]" : "%s", r->ace_host);
  else
    hosthdr = td_asprintf(v6 ? "[%s]:%u" : "%s:%u", r->ace_host, r->port);
  c->req = hosthdr ? td_http_request_ex(r->http_method, r->http_path, hosthdr,
                                        c->fetch ? TD_HTTP_REQ_IDENTITY : 0,
                                        &c->req_len)
                   : NULL;
  free(hosthdr);
  if (!c->req) {
    http_done(c, TLSDIAG_STATUS_FAILED, "the request could not be built",
              TLSDIAG_CAUSE_HTTP_MALFORMED);
    return;
  }
  const char *eol = strstr(c->req, "\r\n");
  r->http_request = td_strndup(c->req, eol ? (size_t)(eol - c->req) : 0);
  c->req_off = 0;
  c->st = ST_HTTP_SEND;
  c->deadline = c->deadline_total;
  td_check_step(c, NULL, 0);
}

static void http_send_step(td_check_t *c) {
  while (c->req_off < c->req_len) {
    ssize_t n = gnutls_record_send(c->sess, c->req + c->req_off,
                                   c->req_len - c->req_off);
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      tls_wait(c);
      return;
    }
    if (n < 0) {
      http_done(c, TLSDIAG_STATUS_FAILED, gnutls_strerror((int)n),
                TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED);
      return;
    }
    c->req_off += (size_t)n;
  }
  td_result_event(c->r, now_ms(c), TD_DIR_C2S, c->r->http_request, NULL);
  c->st = ST_HTTP_RECV;
  c->want = POLLIN;
  td_check_step(c, NULL, 0);
}

/* ---- HTTP body (fetch only) ------------------------------------------- */

static const char *body_kind_name(td_body_kind_t k) {
  switch (k) {
  case TD_BODY_NONE: return "no body";
  case TD_BODY_LENGTH: return "Content-Length";
  case TD_BODY_CHUNKED: return "chunked";
  case TD_BODY_CLOSE: return "until close";
  }
  return "?";
}

static void body_failed(td_check_t *c, tlsdiag_cause_t why, const char *fmt,
                        ...) TD_PRINTF(3, 4);

static void body_failed(td_check_t *c, tlsdiag_cause_t why, const char *fmt,
                        ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = td_vasprintf(fmt, ap);
  va_end(ap);
  c->r->http_body_bytes = c->body.len;
  td_result_event(c->r, now_ms(c), TD_DIR_LOCAL, "body refused", "%s",
                  msg ? msg : "");
  td_buf_free(&c->body);
  http_done(c, TLSDIAG_STATUS_FAILED, msg ? msg : "body refused", why);
  free(msg);
}

static void body_finished(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  r->http_body_bytes = c->body.len;
  c->body_done = 1;
  td_result_event(r, now_ms(c), TD_DIR_S2C, "body", "%zu bytes (%s)",
                  c->body.len, body_kind_name(c->body_kind));
  http_done(c, TLSDIAG_STATUS_OK, NULL, TLSDIAG_CAUSE_OK);
}

/* Takes n received body bytes. 1 when the body is finished (complete or
 * refused: the check moved on), 0 when more is needed. */
static int body_feed(td_check_t *c, const char *p, size_t n) {
  switch (c->body_kind) {
  case TD_BODY_LENGTH: {
    uint64_t want = c->body_expect - c->body.len;
    size_t take = (uint64_t)n < want ? n : (size_t)want;
    td_buf_append(&c->body, p, take);
    break;
  }
  case TD_BODY_CHUNKED: {
    size_t used = 0;
    const char *why = NULL;
    td_http_rc_t rc = td_chunked_feed(c->chunked, p, n, &c->body,
                                      c->body_max, &used, &why);
    if (rc == TD_HTTP_DONE) {
      body_finished(c);
      return 1;
    }
    if (rc == TD_HTTP_TOO_LARGE && !c->body.oom) {
      body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                  "body over the limit of %zu bytes (%s)", c->body_max,
                  why ? why : "chunked");
      return 1;
    }
    if (rc != TD_HTTP_NEED_MORE) {
      body_failed(c, rc == TD_HTTP_TOO_LARGE ? TLSDIAG_CAUSE_HTTP_TOO_LARGE
                                             : TLSDIAG_CAUSE_HTTP_MALFORMED,
                  "bad chunked body after %zu bytes: %s", c->body.len,
                  why ? why : "malformed");
      return 1;
    }
    break;
  }
  case TD_BODY_CLOSE:
    if (n > c->body_max - c->body.len) {
      body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                  "body over the limit of %zu bytes", c->body_max);
      return 1;
    }
    td_buf_append(&c->body, p, n);
    break;
  case TD_BODY_NONE:
    break;
  }
  if (c->body.oom) {
    body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                "out of memory for the body");
    return 1;
  }
  if (c->body_kind == TD_BODY_NONE ||
      (c->body_kind == TD_BODY_LENGTH && c->body.len == c->body_expect)) {
    body_finished(c);
    return 1;
  }
  return 0;
}

static void http_body_step(td_check_t *c);

/* After a 200 head: how the body is framed, then the bytes already read
 * past the head, then the socket. */
static void start_body(td_check_t *c, const char *rest, size_t nrest) {
  tlsdiag_result_t *r = c->r;
  const char *why = NULL;
  uint64_t len = 0;
  if (td_http_body_framing(r, r->http_method, &c->body_kind, &len, &why) !=
      TD_HTTP_DONE) {
    body_failed(c, TLSDIAG_CAUSE_HTTP_MALFORMED, "%s",
                why ? why : "bad body framing");
    return;
  }
  if (td_http_content_coded(r)) {
    body_failed(c, TLSDIAG_CAUSE_HTTP_MALFORMED,
                "the body has a Content-Encoding (%.64s) although the "
                "request asked for identity",
                td_result_header_get(r, "Content-Encoding"));
    return;
  }
  if (c->body_kind == TD_BODY_LENGTH && len > (uint64_t)c->body_max) {
    body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                "Content-Length %llu is over the limit of %zu bytes",
                (unsigned long long)len, c->body_max);
    return;
  }
  c->body_expect = len;
  if (c->body_kind == TD_BODY_CHUNKED) {
    c->chunked = malloc(sizeof(*c->chunked));
    if (!c->chunked) {
      body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                  "out of memory for the body");
      return;
    }
    td_chunked_init(c->chunked);
  }
  c->st = ST_HTTP_BODY;
  c->want = POLLIN;
  if (body_feed(c, rest, nrest)) return;
  http_body_step(c);
}

static void http_body_step(td_check_t *c) {
  char tmp[16384];
  for (;;) {
    /* A fast server must not keep us here past the deadline. */
    if (td_mono_us() >= c->deadline_total) {
      td_check_step(c, NULL, 0);
      return;
    }
    ssize_t n = gnutls_record_recv(c->sess, tmp, sizeof(tmp));
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      tls_wait(c);
      return;
    }
    if (n < 0 && !gnutls_error_is_fatal((int)n)) continue;
    if (n == 0 && c->body_kind == TD_BODY_CLOSE) {
      body_finished(c); /* close_notify: the end, authenticated */
      return;
    }
    if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
      const char *how = n == 0 ? "closed the connection"
                               : "closed the connection without TLS "
                                 "close_notify";
      if (c->body_kind == TD_BODY_LENGTH)
        body_failed(c, TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED,
                    "truncated body: the server %s after %zu of %llu bytes",
                    how, c->body.len, (unsigned long long)c->body_expect);
      else if (c->body_kind == TD_BODY_CHUNKED)
        body_failed(c, TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED,
                    "truncated body: the server %s after %zu bytes, before "
                    "the last chunk",
                    how, c->body.len);
      else
        body_failed(c, TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED,
                    "possibly truncated body: the server %s after %zu bytes",
                    how, c->body.len);
      return;
    }
    if (n < 0) {
      body_failed(c, TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED,
                  "body after %zu bytes: %s", c->body.len,
                  gnutls_strerror((int)n));
      return;
    }
    if (body_feed(c, tmp, (size_t)n)) return;
  }
}

static void http_recv_step(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  char tmp[16384];
  for (;;) {
    ssize_t n = gnutls_record_recv(c->sess, tmp, sizeof(tmp));
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      tls_wait(c);
      return;
    }
    if (n < 0 && !gnutls_error_is_fatal((int)n)) continue;
    if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
      if (c->in.len == 0)
        http_done(c, TLSDIAG_STATUS_FAILED,
                  "connection closed before any response",
                  TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED);
      else
        http_done(c, TLSDIAG_STATUS_FAILED,
                  "connection closed in the middle of the response head",
                  TLSDIAG_CAUSE_HTTP_MALFORMED);
      return;
    }
    if (n < 0) {
      http_done(c, TLSDIAG_STATUS_FAILED, gnutls_strerror((int)n),
                TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED);
      return;
    }
    /* Keep at most the limit plus one read: enough to know it is over. */
    if (c->in.len <= TD_HTTP_MAX_HEAD) td_buf_append(&c->in, tmp, (size_t)n);
    if (c->in.oom) {
      http_done(c, TLSDIAG_STATUS_FAILED, "out of memory",
                TLSDIAG_CAUSE_HTTP_TOO_LARGE);
      return;
    }
    size_t used = 0;
    const char *why = NULL;
    td_http_rc_t rc = td_http_parse_head(r, c->in.data, c->in.len, &used, &why);
    if (rc == TD_HTTP_NEED_MORE) continue;
    r->http_head_bytes = rc == TD_HTTP_DONE ? used : c->in.len;
    if (rc == TD_HTTP_DONE) {
      r->http_date_received = r->now + (td_wall_now() - r->started_wall);
      td_result_event(r, now_ms(c), TD_DIR_S2C,
                      r->http_status_line ? r->http_status_line : "response",
                      "%zu header bytes", used);
      if (c->fetch && r->http_status == 200)
        start_body(c, c->in.data + used, c->in.len - used);
      else
        http_done(c, TLSDIAG_STATUS_OK, NULL, TLSDIAG_CAUSE_OK);
    } else {
      td_result_event(r, now_ms(c), TD_DIR_S2C, "bad response", "%s",
                      why ? why : "");
      http_done(c, TLSDIAG_STATUS_FAILED, why ? why : "bad response",
                rc == TD_HTTP_TOO_LARGE ? TLSDIAG_CAUSE_HTTP_TOO_LARGE
                                        : TLSDIAG_CAUSE_HTTP_MALFORMED);
    }
    return;
  }
}

/* ---- version probe ----------------------------------------------------- */

static void probe_next(td_check_t *c);
static void probe_step(td_check_t *c, int timed_out);

static void start_probe(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  if (!r->connected_addr) {
    finish(c);
    return;
  }
  r->probed = 1;
  c->probe_idx = 4; /* probe_next pre-decrements: TLS 1.3 first */
  probe_next(c);
}

static void probe_result(td_check_t *c, int accepted, const char *err) {
  td_probe_t *p = &c->r->probes[c->probe_idx];
  p->ran = 1;
  p->accepted = accepted;
  free(p->error);
  p->error = td_strdup(err);
  close_conn(c);
  probe_next(c);
}

static void probe_next(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  if (c->probe_idx == 0 || td_mono_us() >= c->deadline_total) {
    finish(c);
    return;
  }
  c->probe_idx--;
  tlsdiag_tls_version_t v = (tlsdiag_tls_version_t)(TLSDIAG_TLS1_0 + c->probe_idx);
  r->probes[c->probe_idx].version = v;
  int done = 0, err = 0;
  int fam = addr_family_of(r->connected_addr);
  c->fd = td_tcp_start(r->connected_addr, fam, r->port, &done, &err);
  if (c->fd < 0) {
    probe_result(c, 0, strerror(err));
    return;
  }
  c->attempt_start = td_mono_us();
  c->deadline = min64(c->attempt_start + (int64_t)c->connect_timeout_ms * 1000,
                      c->deadline_total);
  c->st = ST_PROBE_TCP;
  c->want = POLLOUT;
  if (done) probe_step(c, 0);
}

static void probe_step(td_check_t *c, int timed_out) {
  tlsdiag_result_t *r = c->r;
  if (timed_out) {
    probe_result(c, 0, "timed out");
    return;
  }
  if (c->st == ST_PROBE_TCP) {
    int e = td_tcp_finish(c->fd);
    if (e) {
      probe_result(c, 0, strerror(e));
      return;
    }
    tlsdiag_tls_version_t v = (tlsdiag_tls_version_t)(TLSDIAG_TLS1_0 + c->probe_idx);
    char *prio = td_tls_priority(v, v, 1);
    int rc = prio ? td_tls_session_new(c->cred, c->fd, r->sni, prio, NULL, 0,
                                       &c->sess)
                  : GNUTLS_E_MEMORY_ERROR;
    free(prio);
    if (rc < 0) {
      probe_result(c, 0, gnutls_strerror(rc));
      return;
    }
    c->st = ST_PROBE_TLS;
  }
  int rc = gnutls_handshake(c->sess);
  if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED ||
      (rc < 0 && !gnutls_error_is_fatal(rc))) {
    tls_wait(c);
    return;
  }
  if (rc == 0) {
    gnutls_bye(c->sess, GNUTLS_SHUT_WR);
    probe_result(c, 1, NULL);
    return;
  }
  if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
    char *msg = td_asprintf("alert %s",
                            td_tls_alert_name((int)gnutls_alert_get(c->sess)));
    probe_result(c, 0, msg);
    free(msg);
    return;
  }
  probe_result(c, 0, gnutls_strerror(rc));
}

/* ---- resumption --------------------------------------------------------- */

static void resume_done(td_check_t *c, const char *err) {
  td_anatomy_t *a = &c->r->anat;
  free(a->resume_error);
  a->resume_error = td_strdup(err);
  a->parsing = 0;
  close_conn(c);
  finish(c);
}

/* A second connection presenting the first one's session (ticket), with
 * the request as 0-RTT data when asked. Only the handshake is measured:
 * the resumed connection sends no second request unless it is early data. */
static void resume_step(td_check_t *c, int ready, int timed_out);

static void start_resume(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_anatomy_t *a = &r->anat;
  a->resume_tried = 1;
  a->parsing = 1;
  if (!c->resume_data.data) {
    resume_done(c, "no session to resume");
    return;
  }
  if (td_mono_us() >= c->deadline_total) {
    resume_done(c, "no time left for the second connection");
    return;
  }
  td_result_event(r, now_ms(c), TD_DIR_LOCAL, "second connection",
                  "resuming the first session");
  int done = 0, err = 0;
  int fam = addr_family_of(r->connected_addr);
  c->attempt_start = td_mono_us();
  td_result_event(r, now_ms(c), TD_DIR_C2S, "SYN",
                  fam == AF_INET6 ? "[%s]:%u" : "%s:%u", r->connected_addr, r->port);
  c->fd = td_tcp_start(r->connected_addr, fam, r->port, &done, &err);
  if (c->fd < 0) {
    char *m = td_asprintf("connect: %s", strerror(err));
    resume_done(c, m);
    free(m);
    return;
  }
  c->deadline = min64(c->attempt_start + (int64_t)c->connect_timeout_ms * 1000,
                      c->deadline_total);
  c->st = ST_RESUME_TCP;
  c->want = POLLOUT;
  if (done) resume_step(c, 1, 0);
}

static void resume_step(td_check_t *c, int ready, int timed_out) {
  tlsdiag_result_t *r = c->r;
  td_anatomy_t *a = &r->anat;
  if (timed_out) {
    resume_done(c, "the second connection timed out");
    return;
  }
  if (c->st == ST_RESUME_TCP) {
    if (!ready) return;
    int e = td_tcp_finish(c->fd);
    if (e) {
      char *m = td_asprintf("connect: %s", strerror(e));
      resume_done(c, m);
      free(m);
      return;
    }
    a->tcp_ms_resumed = (double)(td_mono_us() - c->attempt_start) / 1000.0;
    td_result_event(r, now_ms(c), TD_DIR_S2C, "SYN-ACK", "%.1f ms",
                    a->tcp_ms_resumed);
    unsigned early = (c->flags & TLSDIAG_F_EARLY_DATA) ? GNUTLS_ENABLE_EARLY_DATA : 0;
    int rc = td_tls_session_new(c->cred, c->fd, r->sni, c->priority, &c->hook,
                                early, &c->sess);
    if (rc >= 0) rc = gnutls_session_set_data(c->sess, c->resume_data.data,
                                              c->resume_data.size);
    if (rc >= 0 && early && c->req) {
      /* GnuTLS sends it with the ClientHello if the ticket allows 0-RTT. */
      ssize_t n = gnutls_record_send_early_data(c->sess, c->req, c->req_len);
      a->early_data_tried = n >= 0;
      if (n >= 0)
        td_result_event(r, now_ms(c), TD_DIR_C2S, "early data", "%s",
                        r->http_request ? r->http_request : "");
    }
    if (rc < 0) {
      resume_done(c, gnutls_strerror(rc));
      return;
    }
    c->st = ST_RESUME_TLS;
    c->resume_hs_start = td_mono_us();
    c->deadline = min64(c->resume_hs_start + (int64_t)c->connect_timeout_ms * 1000,
                        c->deadline_total);
  }
  int rc = gnutls_handshake(c->sess);
  if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED ||
      (rc < 0 && !gnutls_error_is_fatal(rc))) {
    tls_wait(c);
    return;
  }
  if (rc < 0) {
    resume_done(c, gnutls_strerror(rc));
    return;
  }
  a->hs_ms_resumed = (double)(td_mono_us() - c->resume_hs_start) / 1000.0;
  a->resumed = gnutls_session_is_resumed(c->sess) != 0;
  unsigned fl = gnutls_session_get_flags(c->sess);
  a->early_data_accepted = a->early_data_tried && (fl & GNUTLS_SFLAGS_EARLY_DATA);
  if (a->resumed) {
    if (gnutls_protocol_get_version(c->sess) == GNUTLS_TLS1_3)
      /* psk_dhe_ke runs a fresh (EC)DHE; psk_ke reuses the PSK alone. */
      a->psk_mode = td_strdup(gnutls_group_get(c->sess) ? "psk_dhe_ke" : "psk_ke");
    else
      a->psk_mode = td_strdup("session ticket");
  }
  td_result_event(r, now_ms(c), TD_DIR_LOCAL, "handshake complete",
                  "%s in %.1f ms%s", a->resumed ? "resumed" : "full handshake",
                  a->hs_ms_resumed,
                  a->early_data_tried ? (a->early_data_accepted ? ", 0-RTT accepted"
                                                                : ", 0-RTT rejected")
                                      : "");
  gnutls_bye(c->sess, GNUTLS_SHUT_WR);
  resume_done(c, a->resumed ? NULL : "the server did a full handshake");
}

/* ---- finishing --------------------------------------------------------- */

static void finish(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  c->st = ST_DONE;
  close_conn(c);
  for (size_t i = 0; i < r->nchain; i++) {
    td_cert_t *ct = &r->chain[i];
    ct->days_left = td_days_between(r->now, ct->not_after);
    snprintf(ct->days_left_text, sizeof(ct->days_left_text), "%lld",
             (long long)ct->days_left);
  }
  r->total_ms = now_ms(c);
  td_classify(r);
  r->hsts_list = NULL; /* borrowed for the check only */
}

/* ---- driving ----------------------------------------------------------- */

int td_check_done(const td_check_t *c) { return c->st == ST_DONE; }

size_t td_check_fds(td_check_t *c, struct pollfd *fds, size_t max) {
  if (c->st == ST_DONE || max == 0) return 0;
  if (c->st == ST_DNS) return td_resolver_fds(c->rs, fds, max);
  /* GnuTLS may hold decrypted bytes already: then don't wait at all. */
  if (c->sess && c->want == POLLIN && gnutls_record_check_pending(c->sess))
    return 0;
  fds[0].fd = c->fd;
  fds[0].events = (short)c->want;
  fds[0].revents = 0;
  return 1;
}

int64_t td_check_deadline(td_check_t *c) {
  if (c->st == ST_DONE) return td_mono_us();
  if (c->sess && c->want == POLLIN && gnutls_record_check_pending(c->sess))
    return td_mono_us();
  int64_t d = c->deadline;
  if (c->st == ST_DNS) {
    int64_t t = td_resolver_timeout_us(c->rs);
    if (t >= 0) d = min64(d, td_mono_us() + t);
  }
  return d;
}

void td_check_step(td_check_t *c, const struct pollfd *fds, size_t nfds) {
  int64_t now = td_mono_us();
  int timed_out = now >= c->deadline;
  int revents = 0;
  if (c->st == ST_DNS) {
    td_resolver_process(c->rs, fds, nfds);
    if (td_resolver_done(c->rs)) dns_finished(c, 0);
    else if (timed_out) dns_finished(c, 1);
    return;
  }
  for (size_t i = 0; i < nfds; i++)
    if (fds[i].fd == c->fd) revents |= fds[i].revents;
  switch (c->st) {
  case ST_TCP:
    tcp_step(c, revents, timed_out);
    break;
  case ST_TLS:
    tls_step(c, timed_out && !revents);
    break;
  case ST_HTTP_SEND:
  case ST_HTTP_RECV:
  case ST_HTTP_BODY:
    /* The body's own loop checks the clock: there, time is up even
     * with bytes pending. */
    if (timed_out && ((!revents &&
                       !(c->sess && gnutls_record_check_pending(c->sess))) ||
                      c->st == ST_HTTP_BODY)) {
      td_result_event(c->r, now_ms(c), TD_DIR_LOCAL, "no response in time",
                      NULL);
      if (c->st == ST_HTTP_BODY) {
        c->r->http_body_bytes = c->body.len;
        td_buf_free(&c->body);
      }
      http_done(c, TLSDIAG_STATUS_TIMEOUT,
                c->st == ST_HTTP_SEND   ? "request could not be sent in time"
                : c->st == ST_HTTP_BODY ? "no complete response body in time"
                                        : "no complete response in time",
                TLSDIAG_CAUSE_HTTP_TIMEOUT);
    } else if (c->st == ST_HTTP_SEND)
      http_send_step(c);
    else if (c->st == ST_HTTP_BODY)
      http_body_step(c);
    else
      http_recv_step(c);
    break;
  case ST_PROBE_TCP:
  case ST_PROBE_TLS:
    /* Waiting for the connect: only readiness or the deadline moves on. */
    if (c->st == ST_PROBE_TCP && !revents && !timed_out) break;
    probe_step(c, timed_out && !revents);
    break;
  case ST_RESUME_TCP:
  case ST_RESUME_TLS:
    resume_step(c, revents != 0 || c->st == ST_RESUME_TLS,
                timed_out && !revents);
    break;
  case ST_DNS:
  case ST_DONE:
    break;
  }
}

tlsdiag_result_t *td_check_take_result(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  c->r = NULL;
  return r;
}

unsigned char *td_check_take_body(td_check_t *c, size_t *len) {
  *len = 0;
  if (!c->body_done) return NULL;
  c->body_done = 0;
  return (unsigned char *)td_buf_steal(&c->body, len);
}

void td_check_run(td_check_t *c) {
  while (!td_check_done(c)) {
    struct pollfd fds[ARES_GETSOCK_MAXNUM + 1];
    size_t n = td_check_fds(c, fds, ARES_GETSOCK_MAXNUM + 1);
    int64_t wait_us = td_check_deadline(c) - td_mono_us();
    int timeout = wait_us <= 0 ? 0 : (int)((wait_us + 999) / 1000);
    /* A failing poll only delays the step: every state has a deadline. */
    int rc = poll(fds, (nfds_t)n, timeout);
    td_check_step(c, fds, rc > 0 ? n : 0);
  }
}

/* ---- the blocking API -------------------------------------------------- */

tlsdiag_err_t tlsdiag_check(const char *host, const tlsdiag_options_t *opts,
                            tlsdiag_result_t **out) {
  if (!out) return TLSDIAG_E_INVAL;
  *out = NULL;
  td_check_t *c = NULL;
  tlsdiag_err_t err = td_check_new(host, opts, &c);
  if (err) return err;
  td_check_run(c);
  *out = td_check_take_result(c);
  td_check_free(c);
  return *out ? TLSDIAG_OK : TLSDIAG_E_NOMEM;
}
