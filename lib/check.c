/* check.c: one check as a non-blocking state machine: the order of the
 * phases (DNS -> TCP -> TLS -> HTTP, then the version probe after a
 * refused handshake or the resumed second connection), their deadlines
 * and the decisions between them; and the blocking tlsdiag_check() that
 * drives it with poll(). The HTTP exchange is in check_http.c, the probe
 * in probe.c, resumption in resume.c. A fetch (fetch.c) is the same check
 * that also reads a 200 response's body, and sends its request only over
 * an authenticated session. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "classify.h"
#include "keysched.h"

static double ms_since(const td_check_t *c, int64_t t) {
  return (double)(t - c->t0) / 1000.0;
}

double td_check_now_ms(const td_check_t *c) {
  return ms_since(c, td_mono_us());
}

void td_check_phase_begin(td_check_t *c, tlsdiag_phase_t p) {
  c->r->phase[p].start_ms = td_check_now_ms(c);
}

void td_check_phase_end(td_check_t *c, tlsdiag_phase_t p, tlsdiag_status_t st,
                        const char *error) {
  td_phase_t *ph = &c->r->phase[p];
  ph->status = st;
  ph->ms = td_check_now_ms(c) - ph->start_ms;
  if (ph->ms < 0) ph->ms = 0;
  free(ph->error);
  ph->error = td_strdup(error);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

void td_check_arm(td_check_t *c, int64_t from) {
  c->deadline = min64(from + (int64_t)c->connect_timeout_ms * 1000,
                      c->deadline_total);
}

void td_check_tls_wait(td_check_t *c) {
  c->want = gnutls_record_get_direction(c->sess) ? POLLOUT : POLLIN;
}

int td_check_handshake(td_check_t *c) {
  int rc = gnutls_handshake(c->sess);
  /* Not done yet, or a warning alert and the like: keep going. */
  if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED ||
      (rc < 0 && !gnutls_error_is_fatal(rc))) {
    td_check_tls_wait(c);
    return GNUTLS_E_AGAIN;
  }
  return rc;
}

void td_check_close_conn(td_check_t *c) {
  if (c->kscap) {
    /* The records are all in: derive the keys and prove them. */
    td_ks_finish(c->kscap, c->sess, c->r);
    td_ks_capture_free(c->kscap);
    c->kscap = NULL;
    c->hook.cap = NULL;
  }
  if (c->sess) {
    gnutls_deinit(c->sess);
    c->sess = NULL;
  }
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
}

int td_check_addr_family(const char *addr) {
  return strchr(addr, ':') ? AF_INET6 : AF_INET;
}

int td_check_reconnect(td_check_t *c, td_check_state_t st, int *err) {
  const tlsdiag_result_t *r = c->r;
  int done = 0;
  *err = 0;
  c->fd = td_tcp_start(r->connected_addr,
                       td_check_addr_family(r->connected_addr),
                       td_conn_port(r),
                       &done, err);
  if (c->fd < 0) return -1;
  td_check_arm(c, c->attempt_start);
  c->st = st;
  c->want = POLLOUT;
  return done;
}

/* ---- start ------------------------------------------------------------- */

/* A copy of a NULL-terminated string list, or NULL without memory. */
static char **strv_dup(const char *const *v) {
  size_t n = 0;
  while (v[n]) n++;
  char **o = calloc(n + 1, sizeof(*o));
  for (size_t i = 0; o && i < n; i++)
    if (!(o[i] = td_strdup(v[i]))) {
      while (i) free(o[--i]);
      free(o);
      return NULL;
    }
  return o;
}

static void strv_free(char **v) {
  for (size_t i = 0; v && v[i]; i++) free(v[i]);
  free(v);
}

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

static int family_allowed(const td_check_t *c, int fam) {
  return c->family == AF_UNSPEC || c->family == fam;
}

/* The address this check holds in the engine's gate, let go. */
static void gate_release(td_check_t *c) {
  td_gate_t *g = c->sh ? td_shared_gate(c->sh) : NULL;
  if (g && c->gate_addr) td_gate_release(g, c->gate_addr);
  free(c->gate_addr);
  c->gate_addr = NULL;
}

/* The engine connection slot this check took, given back. */
static void slot_give(td_check_t *c) {
  if (c->hold_slot) td_hold_leave(c->hold);
  c->hold_slot = 0;
}

void td_check_free(td_check_t *c) {
  if (!c) return;
  td_check_close_conn(c);
  td_resolver_free(c->rs);
  gate_release(c);
  slot_give(c); /* a held check is in no slot: its engine drops its FIFO */
  if (c->hook.keylog_fd >= 0) close(c->hook.keylog_fd);
  td_clientcert_free(c->clientcert);
  td_resume_free(&c->resume);
  td_race_free(&c->race);
  td_aia_free(&c->aia);
  strv_free(c->resolve);
  strv_free(c->connect_to);
  free(c->priority);
  free(c->dns_servers);
  td_check_http_free(&c->http);
  tlsdiag_result_free(c->r);
  if (c->sh_own) td_shared_free(c->sh); /* after td_aia_free: its cache */
  free(c);
}

static void start_tcp(td_check_t *c);

static tlsdiag_err_t check_new(const char *host, const tlsdiag_options_t *opts,
                               td_shared_t *sh, int fetch, size_t body_max,
                               td_check_t **out);

tlsdiag_err_t td_check_new(const char *host, const tlsdiag_options_t *opts,
                           td_check_t **out) {
  return check_new(host, opts, NULL, 0, 0, out);
}

tlsdiag_err_t td_check_new_shared(const char *host,
                                  const tlsdiag_options_t *opts,
                                  td_shared_t *sh, td_check_t **out) {
  return check_new(host, opts, sh, 0, 0, out);
}

tlsdiag_err_t td_check_new_fetch(const char *host,
                                 const tlsdiag_options_t *opts,
                                 size_t body_max, td_check_t **out) {
  return check_new(host, opts, NULL, 1, body_max, out);
}

/* The options a check cannot run with (optcheck.c: the same validation as
 * tlsdiag_multi_add's), and the version range it offers. */
static tlsdiag_err_t options_check(const char *host,
                                   const tlsdiag_options_t *opts,
                                   tlsdiag_tls_version_t *vmin,
                                   tlsdiag_tls_version_t *vmax) {
  tlsdiag_err_t err = td_options_validate(host, opts, NULL, 0);
  if (err) return err;
  *vmin = opts->tls_min ? opts->tls_min : TLSDIAG_TLS1_2;
  *vmax = opts->tls_max ? opts->tls_max : TLSDIAG_TLS1_3;
  return TLSDIAG_OK;
}

/* A new check with its result, the clock started; NULL without memory. */
static td_check_t *check_alloc(const tlsdiag_options_t *opts, int fetch,
                               size_t body_max) {
  td_check_t *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->fd = -1;
  c->hook.keylog_fd = -1;
  td_check_http_init(&c->http, fetch, body_max);
  c->t0 = td_mono_us();
  c->connect_timeout_ms = opts->connect_timeout_ms;
  c->race_delay_ms = opts->happy_eyeballs_timeout_ms;
  c->deadline_total = c->t0 + (int64_t)opts->max_time_ms * 1000;
  c->flags = opts->flags;
  c->filter = opts->address_filter;
  c->filter_data = opts->address_filter_data;
  /* A fetch is one request on one connection, never skipped or replayed. */
  if (fetch)
    c->flags &= ~(TLSDIAG_F_NO_HTTP | TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA);
  /* The 0-RTT request is HTTP/1.1 bytes, and a resumed session keeps the
   * first one's ALPN: early data offers http/1.1 on both connections. */
  c->offer_h2 = opts->http_version != TLSDIAG_HTTP1_1 &&
                !(c->flags & TLSDIAG_F_EARLY_DATA);
  c->family = (opts->flags & TLSDIAG_F_IPV4_ONLY)   ? AF_INET
              : (opts->flags & TLSDIAG_F_IPV6_ONLY) ? AF_INET6
                                                    : AF_UNSPEC;
  if (!(c->r = td_result_new())) {
    free(c);
    return NULL;
  }
  return c;
}

/* The options the result reports and the classifier judges by. */
static tlsdiag_err_t result_setup(td_check_t *c, const char *host,
                                  const tlsdiag_options_t *opts,
                                  tlsdiag_tls_version_t vmin,
                                  tlsdiag_tls_version_t vmax) {
  tlsdiag_result_t *r = c->r;
  r->port = opts->port;
  r->race_delay_ms = opts->happy_eyeballs_timeout_ms;
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
  if (!r->host || !r->http_method || !r->http_path) return TLSDIAG_E_NOMEM;
  if (opts->dns_servers && !(c->dns_servers = td_strdup(opts->dns_servers)))
    return TLSDIAG_E_NOMEM;
  if ((opts->resolve && !(c->resolve = strv_dup(opts->resolve))) ||
      (opts->connect_to && !(c->connect_to = strv_dup(opts->connect_to))))
    return TLSDIAG_E_NOMEM;
  return TLSDIAG_OK;
}

/* The host: an IP literal (brackets allowed) or a name to A-label; and
 * the SNI to send. */
static tlsdiag_err_t host_setup(tlsdiag_result_t *r, const char *host,
                                const char *sni) {
  tlsdiag_err_t err = td_host_check(host, &r->ace_host, &r->host_is_ip, NULL);
  if (err) return err;
  /* No SNI for IP literals (RFC 6066); "" means send none. */
  if (sni) r->sni = td_strdup(sni);
  else r->sni = td_strdup(r->host_is_ip ? "" : r->ace_host);
  return r->sni ? TLSDIAG_OK : TLSDIAG_E_NOMEM;
}

/* The key log file, the client certificate and the trust store (the
 * system store is only found here; the first handshake loads it). */
static tlsdiag_err_t tls_setup(td_check_t *c, const tlsdiag_options_t *opts) {
  if (opts->keylog_file) {
    /* 0600: the file holds secrets that decrypt the traffic. */
    c->hook.keylog_fd = open(opts->keylog_file,
                             O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (c->hook.keylog_fd < 0) return TLSDIAG_E_KEYLOG;
  }
  tlsdiag_err_t err = td_clientcert_load(opts, &c->clientcert, NULL, 0);
  if (err) return err;
  c->hook.cc = c->clientcert;
  if ((err = td_shared_trust(c->sh, opts, &c->trust))) return err;
  /* The system store's roots are counted when it loads (td_check_tls_start). */
  return td_tls_trust_record(c->r, opts, td_trust_roots(c->trust))
             ? TLSDIAG_E_NOMEM
             : TLSDIAG_OK;
}

/* The name DNS and the pins are asked for: a connect_to rule's HOST2, or
 * the host. */
static const char *dest_host(const tlsdiag_result_t *r) {
  return r->conn_host ? r->conn_host : r->ace_host;
}

/* A connect_to rule for host:port moves the TCP destination (as curl's
 * --connect-to): the name DNS and the pins see, and the port. The SNI,
 * the Host header and the certificate name stay the host's. */
static tlsdiag_err_t conn_setup(tlsdiag_result_t *r,
                                const char *const *rules) {
  r->conn_port = r->port;
  r->conn_is_ip = r->host_is_ip;
  char *to = NULL;
  const char *rule = NULL;
  if (td_connect_to_apply(rules, r->ace_host, r->port, &to, &r->conn_port,
                          &rule) < 0)
    return TLSDIAG_E_OPTIONS;
  if (!rule) return TLSDIAG_OK;
  tlsdiag_err_t err = TLSDIAG_E_NOMEM;
  if (!(r->conn_rule = td_strdup(rule))) goto out;
  err = TLSDIAG_OK;
  if (to) err = td_host_check(to, &r->conn_host, &r->conn_is_ip, NULL);
out:
  free(to);
  return err;
}

/* Resolve pins replace DNS for their host:port: the first pin for ours
 * gives the addresses (*pinned = 1). Every pin must parse. */
static tlsdiag_err_t apply_pins(td_check_t *c, const char *const *pins,
                                int *pinned) {
  tlsdiag_result_t *r = c->r;
  tlsdiag_err_t err = TLSDIAG_OK;
  *pinned = 0;
  for (const char *const *p = pins; p && *p; p++) {
    td_pin_t pin;
    err = td_pin_parse(*p, &pin);
    if (err) return err;
    if (!*pinned && pin.port == td_conn_port(r) &&
        strcmp(pin.host, dest_host(r)) == 0) {
      *pinned = 1;
      for (size_t i = 0; i < pin.naddrs && !err; i++) {
        int fam = td_check_addr_family(pin.addrs[i]);
        if (family_allowed(c, fam)) err = add_addr(r, pin.addrs[i], fam);
      }
    }
    td_pin_clear(&pin);
    if (err) return err;
  }
  return TLSDIAG_OK;
}

/* No lookup (a pinned name or an IP literal): straight to TCP. */
static tlsdiag_err_t start_without_dns(td_check_t *c, int pinned) {
  tlsdiag_result_t *r = c->r;
  r->dns_pinned = pinned;
  r->phase[TLSDIAG_PHASE_DNS].status = TLSDIAG_STATUS_SKIPPED;
  if (r->conn_is_ip && !pinned) {
    int fam = td_check_addr_family(dest_host(r));
    if (family_allowed(c, fam)) {
      tlsdiag_err_t err = add_addr(r, dest_host(r), fam);
      if (err) return err;
    }
  }
  start_tcp(c);
  return TLSDIAG_OK;
}

/* The A+AAAA lookup, within the connect timeout. */
static tlsdiag_err_t start_dns(td_check_t *c, const char *servers) {
  tlsdiag_result_t *r = c->r;
  r->dns_server = td_strdup(servers);
  r->dns_queries = c->family == AF_UNSPEC ? 2 : 1;
  td_check_phase_begin(c, TLSDIAG_PHASE_DNS);
  td_result_event(r, td_check_now_ms(c), TD_DIR_C2DNS, "query A+AAAA", "%s",
                  dest_host(r));
  int64_t dns_budget = min64((int64_t)c->connect_timeout_ms,
                             (c->deadline_total - c->t0) / 1000);
  int cached = 0;
  tlsdiag_err_t err = td_resolver_start_cached(
      td_shared_dns(c->sh), td_shared_dns_engine(c->sh), dest_host(r),
      servers, c->family, (int)dns_budget, &c->rs, &cached);
  if (err) return err;
  if (cached)
    td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "DNS cached",
                    "an answer of this run, %d s of TTL left",
                    td_resolver_ttl(c->rs));
  c->st = TD_CHECK_DNS;
  c->deadline = min64(c->t0 + dns_budget * 1000, c->deadline_total);
  return TLSDIAG_OK;
}

static tlsdiag_err_t check_new(const char *host, const tlsdiag_options_t *opts,
                               td_shared_t *sh, int fetch, size_t body_max,
                               td_check_t **out) {
  tlsdiag_options_t def;
  tlsdiag_tls_version_t vmin, vmax;
  *out = NULL;
  if (!host) return TLSDIAG_E_INVAL;
  opts = td_options_import(opts, &def); /* older callers, NULL */
  tlsdiag_err_t err = options_check(host, opts, &vmin, &vmax);
  if (!err) err = td_global_init_once();
  if (err) return err;

  td_check_t *c = check_alloc(opts, fetch, body_max);
  if (!c) return TLSDIAG_E_NOMEM;
  c->sh = sh;
  if (!sh) { /* a check of its own: nothing to share with */
    if (!(c->sh = td_shared_new())) {
      td_check_free(c);
      return TLSDIAG_E_NOMEM;
    }
    c->sh_own = 1;
  }
  c->hold = td_shared_hold(c->sh);
  int pinned = 0;
  if ((err = result_setup(c, host, opts, vmin, vmax)) ||
      (err = host_setup(c->r, host, opts->sni)) ||
      (err = conn_setup(c->r, opts->connect_to)) ||
      (err = tls_setup(c, opts)) ||
      (err = apply_pins(c, opts->resolve, &pinned)))
    goto fail;
  if (pinned || c->r->conn_is_ip) {
    /* The check may be done on return (a refused literal address). */
    if ((err = start_without_dns(c, pinned))) goto fail;
    *out = c;
    return TLSDIAG_OK;
  }
  if ((err = start_dns(c, opts->dns_servers))) goto fail;
  *out = c;
  /* c-ares may answer at once (hosts file, cache). */
  if (td_resolver_done(c->rs)) td_check_step(c, NULL, 0);
  return TLSDIAG_OK;
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
    td_dns_cache_put(td_shared_dns(c->sh), c->rs);
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
    td_check_phase_end(c, TLSDIAG_PHASE_DNS, TLSDIAG_STATUS_OK, NULL);
    td_result_event(r, td_check_now_ms(c), TD_DIR_DNS2C, "answer", "%s",
                    list ? list : "");
    free(list);
  } else {
    r->dns_error = td_strdup(ares_strerror(st));
    td_check_phase_end(c, TLSDIAG_PHASE_DNS,
                       st == ARES_ETIMEOUT ? TLSDIAG_STATUS_TIMEOUT
                                           : TLSDIAG_STATUS_FAILED,
                       ares_strerror(st));
    td_result_event(r, td_check_now_ms(c), TD_DIR_DNS2C, "error", "%s",
                    ares_strerror(st));
  }
  td_resolver_free(c->rs);
  c->rs = NULL;
  if (st == ARES_SUCCESS) start_tcp(c);
  else td_check_finish(c);
}

/* ---- TCP --------------------------------------------------------------- */


/* The engine's politeness gate (per-address and overall limits) for a
 * connection to addr: 1 when it may start (the address is held until the
 * check moves to another or ends), 0 when the check waits (c->deadline
 * says when to ask again). Time spent waiting is the gate's, not the
 * server's: it moves the check's deadlines and is reported as queued_ms. */
static int gate_pass(td_check_t *c, const char *addr) {
  td_gate_t *g = td_shared_gate(c->sh);
  if (!g || (c->gate_addr && strcmp(c->gate_addr, addr) == 0)) return 1;
  gate_release(c);
  int64_t now = td_mono_us(), retry = 0;
  char *copy = td_strdup(addr);
  if (copy && !td_gate_acquire(g, addr, &retry)) {
    free(copy);
    if (!c->gate_since) {
      c->gate_since = now;
      td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL, "queued",
                      "waiting for a connection slot to %s", addr);
    }
    /* A per-address slot frees when another check ends: look again
     * soon, then less often (many waiters must not spin). */
    if (c->gate_tries < 4) c->gate_tries++;
    if (retry < 20000) retry <<= c->gate_tries - 1;
    c->st = TD_CHECK_TCP;
    c->want = 0;
    c->deadline = now + (retry < 20000 ? retry : 20000);
    return 0;
  }
  c->gate_addr = copy; /* NULL without memory: not counted, not held */
  if (c->gate_since) {
    int64_t waited = now - c->gate_since;
    c->queued_us += waited;
    c->deadline_total += waited;
    c->r->queued_ms = (double)c->queued_us / 1000.0;
    c->gate_since = 0;
  }
  c->gate_tries = 0;
  return 1;
}

/* The race starts once the gate lets the check connect to the first
 * address of the order. The check holds that one slot for the whole race
 * (and until it ends): the gate counts checks per address, not the
 * race's other SYNs, which go to other addresses of the same host. */
static void race_go(td_check_t *c) {
  const td_check_race_t *rc = &c->race;
  if (rc->norder && !gate_pass(c, c->r->addrs[rc->order[0]])) return;
  td_race_start(c);
}

/* With a DNS look-ahead (c->hold), the check connects only with one of
 * the engine's connection slots; else it is held, its deadlines stopped,
 * until the engine releases it (td_check_unhold). */
static int slot_take(td_check_t *c) {
  if (!c->hold || c->hold_slot) return 1;
  if (td_hold_enter(c->hold, c)) {
    c->hold_slot = 1;
    return 1;
  }
  c->st = TD_CHECK_HELD;
  c->want = 0;
  c->held_since = td_mono_us();
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL, "queued",
                  "waiting for a connection slot: %u connections in flight "
                  "(engine limit)",
                  c->hold->max);
  return 0;
}

/* As the politeness gate's wait (gate_pass): the engine's, not the
 * server's; it moves the check's deadline and is reported in queued_ms. */
void td_check_unhold(td_check_t *c) {
  int64_t waited = td_mono_us() - c->held_since;
  c->hold_slot = 1;
  c->queued_us += waited;
  c->deadline_total += waited;
  c->r->queued_ms = (double)c->queued_us / 1000.0;
  c->held_since = 0;
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL, "released",
                  "a connection slot is free after %.1f ms",
                  (double)waited / 1000.0);
  start_tcp(c);
}

static void start_tcp(td_check_t *c) {
  if (!slot_take(c)) return;
  td_check_phase_begin(c, TLSDIAG_PHASE_TCP);
  c->st = TD_CHECK_TCP;
  const char *first = NULL;
  if (td_race_init(c, &first)) {
    td_check_phase_end(c, TLSDIAG_PHASE_TCP, TLSDIAG_STATUS_FAILED,
                       "out of memory");
    td_check_finish(c);
    return;
  }
  race_go(c);
}

static void tcp_step(td_check_t *c, const struct pollfd *fds, size_t nfds,
                     int timed_out) {
  if (!c->gate_since) td_race_step(c, fds, nfds);
  else if (timed_out) race_go(c); /* queued: ask the gate again */
}

/* ---- TLS --------------------------------------------------------------- */

void td_check_tls_start(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_check_phase_begin(c, TLSDIAG_PHASE_TLS);
  c->priority = td_tls_priority(r->tls_min, r->tls_max, 0);
  c->hook.r = r;
  c->hook.t0 = c->t0;
  c->kscap = td_ks_capture_new(0);
  c->hook.cap = c->kscap;
  /* The trust store loads here, for the first handshake of the engine
   * that needs it, not before DNS and TCP. */
  int rc = !c->priority || td_trust_cred(c->trust, &c->cred)
               ? GNUTLS_E_MEMORY_ERROR
               : td_tls_session_new(c->cred, c->fd, r->sni, c->priority,
                                    td_shared_priority(c->sh, c->priority),
                                    &c->hook, 0, &c->sess);
  if (c->cred) r->trust_roots = td_trust_roots(c->trust);
  if (rc < 0) {
    td_tls_record_error(r, NULL, rc);
    td_check_phase_end(c, TLSDIAG_PHASE_TLS, TLSDIAG_STATUS_FAILED,
                       gnutls_strerror(rc));
    td_check_finish(c);
    return;
  }
  td_tls_set_alpn(c->sess, c->offer_h2);
  td_tls_peek_install(c->sess, &c->peek, c->fd);
  r->tls_cert_msg_limit = TD_TLS_MAX_HANDSHAKE;
  c->st = TD_CHECK_TLS;
  td_check_arm(c, td_mono_us());
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
  r->tls_first_record = td_tls_peek_type(&c->peek);
  r->tls_first_alert = td_tls_peek_alert(&c->peek);
  r->tls_first_hello_version = td_tls_peek_hello_version(&c->peek);
  if (!r->tls_alert && r->tls_first_alert >= 0) {
    /* An alert record GnuTLS reported as something else (an old
     * server's alert in an older record version): still an alert. */
    r->tls_alert_num = r->tls_first_alert;
    r->tls_alert = td_strdup(td_tls_alert_name(r->tls_first_alert));
  }
  /* A certificate GnuTLS refused after receiving it: it is still the
   * server's chain, verified and judged like any other. */
  if (td_tls_keep_refused_chain(r, c->sess, rc))
    td_verify_session(r, c->sess, c->cred, td_trust_vctx(c->trust));
  if (r->tls_alert)
    td_result_event(r, td_check_now_ms(c), TD_DIR_S2C, "Alert", "%s (fatal)",
                    r->tls_alert);
  td_check_phase_end(c, TLSDIAG_PHASE_TLS, TLSDIAG_STATUS_FAILED,
                     gnutls_strerror(rc));
  td_check_close_conn(c);
  /* A server that asked for a client certificate got past version and
   * cipher: probing versions would only be refused the same way. */
  int probe = !(c->flags & TLSDIAG_F_NO_VERSION_PROBE) && !r->cc.requested;
  /* Cut off before the server sent a byte (a reset or a close, no alert):
   * a load balancer's backend port waits for a PROXY header first. */
  int silent = r->tls_first_record == 0 &&
               (rc == GNUTLS_E_PREMATURE_TERMINATION ||
                rc == GNUTLS_E_SESSION_EOF ||
                (rc == GNUTLS_E_PULL_ERROR && sys == ECONNRESET));
  if (probe && silent)
    td_probe_proxy_start(c, worth_probing(rc));
  else if (probe && worth_probing(rc))
    td_probe_start(c);
  else
    td_check_finish(c);
}

/* For a fetch, before the request: both verifiers accept (tlsdiag's and
 * GnuTLS's, verify_strict.c), the chain verified to a trust anchor,
 * for this name, not revoked by its staple, every certificate on the path
 * the server sent valid at r->now, and no error finding from the verifier.
 * classify.c judges the same evidence again afterwards; this only decides
 * whether the request may be sent. */
static int authenticated(tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if (!v->done || !v->trusted || !v->name_ok || v->status != 0 ||
      v->ocsp_status == 1 || r->nchain == 0)
    return 0;
  /* Both verdicts: GnuTLS's over the chain as sent must accept too. */
  if (!v->strict_done || !v->strict_ok) return 0;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR) return 0;
  size_t plen = td_chain_path_len(r);
  for (size_t i = 0; i < plen; i++)
    if (r->now < r->chain[i].not_before || r->now > r->chain[i].not_after)
      return 0;
  /* tlsdiag's own verdict is more than its path building: key sizes,
   * signatures, compromised roots, the two verdicts are judged by
   * classify_cert.c. Run it as the report will, then undo it. */
  size_t before = r->nfindings;
  td_classify_cert(r);
  int ok = td_browser_ok(r);
  for (size_t i = before; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR) ok = 0;
  td_findings_truncate(r, before);
  return ok;
}

static void tls_step(td_check_t *c, int timed_out) {
  tlsdiag_result_t *r = c->r;
  if (timed_out) {
    td_tls_record_error(r, c->sess, GNUTLS_E_TIMEDOUT);
    td_check_phase_end(c, TLSDIAG_PHASE_TLS, TLSDIAG_STATUS_TIMEOUT,
                       "no answer to the handshake in time");
    td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "handshake timed out",
                    NULL);
    td_check_close_conn(c);
    td_check_finish(c);
    return;
  }
  int rc = td_check_handshake(c);
  if (rc == GNUTLS_E_AGAIN) return;
  if (rc < 0) {
    tls_failed(c, rc);
    return;
  }
  td_tls_collect(r, c->sess, td_shared_certs(c->sh));
  td_ks_capture_done(c->kscap, c->sess, c->r);
  td_kx_collect(r, c->sess);
  td_verify_session(r, c->sess, c->cred, td_trust_vctx(c->trust));
  td_check_phase_end(c, TLSDIAG_PHASE_TLS, TLSDIAG_STATUS_OK, NULL);
  r->anat.hs_ms_first = r->phase[TLSDIAG_PHASE_TLS].ms;
  td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "handshake complete",
                  "%s, %s%s%s", r->tls_version ? r->tls_version : "?",
                  r->tls_cipher ? r->tls_cipher : "?",
                  r->tls_group ? ", " : "", r->tls_group ? r->tls_group : "");
  if (c->flags & TLSDIAG_F_NO_HTTP) {
    r->phase[TLSDIAG_PHASE_HTTP].status = TLSDIAG_STATUS_SKIPPED;
    td_check_close_conn(c);
    if (!td_probe_default_start(c, 0) && !td_probe_browser_start(c, 0))
      td_check_finish(c);
    return;
  }
  if (c->http.fetch && !authenticated(r)) {
    /* A fetch trusts what it reads: nothing goes to an impostor. */
    td_phase_t *ph = &r->phase[TLSDIAG_PHASE_HTTP];
    ph->status = TLSDIAG_STATUS_SKIPPED;
    ph->error = td_strdup("request not sent: the server is not authenticated");
    td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "request not sent",
                    "the certificate does not verify");
    td_check_close_conn(c);
    td_check_finish(c);
    return;
  }
  td_check_http_start(c);
}


/* ---- after HTTP -------------------------------------------------------- */

void td_check_http_over(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  /* TLS 1.3 tickets arrive after the handshake: look again. */
  if (c->sess &&
      (gnutls_session_get_flags(c->sess) & GNUTLS_SFLAGS_SESSION_TICKET))
    r->session_ticket = 1;
  if (c->sess) gnutls_bye(c->sess, GNUTLS_SHUT_WR); /* best effort */
  int resume = c->sess && (c->flags & TLSDIAG_F_RESUME);
  if (resume) td_resume_save(c);
  td_check_close_conn(c);
  /* A browser's offer first (when this one got more than a browser
   * would), then the resumption: it goes on itself when it runs. */
  if (td_probe_default_start(c, resume)) return;
  if (td_probe_browser_start(c, resume)) return;
  if (resume) td_resume_start(c);
  else td_check_finish(c);
}

/* ---- finishing --------------------------------------------------------- */

void td_check_finish(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_check_close_conn(c);
  gate_release(c); /* the server is done with; an AIA fetch goes elsewhere */
  /* An issuer missing: fetch it by AIA first (aia.c finishes again). */
  if (!c->aia.ran && td_aia_start(c)) return;
  c->st = TD_CHECK_DONE;
  slot_give(c); /* a held check of the engine may connect */
  for (size_t i = 0; i < r->nchain; i++) {
    td_cert_t *ct = &r->chain[i];
    ct->days_left = td_days_between(r->now, ct->not_after);
    snprintf(ct->days_left_text, sizeof(ct->days_left_text), "%lld",
             (long long)ct->days_left);
  }
  r->total_ms = td_check_now_ms(c);
  td_classify(r);
  r->hsts_list = NULL; /* borrowed for the check only */
}

/* ---- driving ----------------------------------------------------------- */

int td_check_done(const td_check_t *c) { return c->st == TD_CHECK_DONE; }

int td_check_dns_answered(const td_check_t *c) {
  return c->st == TD_CHECK_DNS && td_resolver_done(c->rs);
}

int td_check_in_dns(const td_check_t *c) {
  return c->st == TD_CHECK_DNS && c->rs != NULL;
}

size_t td_check_fds(td_check_t *c, struct pollfd *fds, size_t max) {
  if (c->st == TD_CHECK_DONE || c->st == TD_CHECK_HELD || max == 0) return 0;
  if (c->st == TD_CHECK_DNS) /* the engine's sockets, if it is ours */
    return c->sh_own && !td_resolver_done(c->rs)
               ? td_dns_engine_fds(td_shared_dns_engine(c->sh), fds, max)
               : 0;
  if (c->st == TD_CHECK_AIA) return td_aia_fds(c, fds, max);
  if (c->st == TD_CHECK_TCP && !c->gate_since)
    return td_race_fds(c, fds, max);
  if (c->fd < 0) return 0; /* queued at the gate: only the deadline */
  /* GnuTLS may hold decrypted bytes already: then don't wait at all. */
  if (c->sess && c->want == POLLIN && gnutls_record_check_pending(c->sess))
    return 0;
  fds[0].fd = c->fd;
  fds[0].events = (short)c->want;
  fds[0].revents = 0;
  return 1;
}

int64_t td_check_deadline(td_check_t *c) {
  if (c->st == TD_CHECK_DONE) return td_mono_us();
  if (c->st == TD_CHECK_HELD) return INT64_MAX; /* the engine releases it */
  if (c->st == TD_CHECK_AIA) return td_aia_deadline(c);
  if (c->st == TD_CHECK_TCP && !c->gate_since) return td_race_deadline(c);
  if (c->sess && c->want == POLLIN && gnutls_record_check_pending(c->sess))
    return td_mono_us();
  int64_t d = c->deadline;
  if (c->st == TD_CHECK_DNS) {
    if (td_resolver_done(c->rs)) return td_mono_us();
    /* A shared engine runs its channel's timers itself. */
    int64_t t = c->sh_own
                    ? td_dns_engine_timeout_us(td_shared_dns_engine(c->sh))
                    : -1;
    if (t >= 0) d = min64(d, td_mono_us() + t);
  }
  return d;
}

void td_check_step(td_check_t *c, const struct pollfd *fds, size_t nfds) {
  int64_t now = td_mono_us();
  int timed_out = now >= c->deadline;
  int revents = 0;
  if (c->st == TD_CHECK_DNS) {
    if (c->sh_own) /* else the engine did, and the answer came by callback */
      td_dns_engine_process(td_shared_dns_engine(c->sh), fds, nfds);
    if (td_resolver_done(c->rs)) dns_finished(c, 0);
    else if (timed_out) dns_finished(c, 1);
    return;
  }
  if (c->st == TD_CHECK_AIA) {
    td_aia_step(c, fds, nfds);
    return;
  }
  if (c->st == TD_CHECK_TCP) {
    tcp_step(c, fds, nfds, timed_out);
    return;
  }
  for (size_t i = 0; i < nfds; i++)
    if (fds[i].fd == c->fd) revents |= fds[i].revents;
  switch (c->st) {
  case TD_CHECK_TLS:
    tls_step(c, timed_out && !revents);
    break;
  case TD_CHECK_HTTP:
    td_check_http_step(c, revents, timed_out);
    break;
  case TD_CHECK_PROBE:
    td_probe_step(c, revents, timed_out);
    break;
  case TD_CHECK_RESUME:
    td_resume_step(c, revents, timed_out);
    break;
  case TD_CHECK_DNS:
  case TD_CHECK_TCP:
  case TD_CHECK_AIA:
  case TD_CHECK_HELD: /* no timer runs: only td_check_unhold moves it */
  case TD_CHECK_DONE:
    break;
  }
}

tlsdiag_result_t *td_check_take_result(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  c->r = NULL;
  return r;
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
