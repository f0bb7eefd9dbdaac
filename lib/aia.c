/* aia.c: the missing issuer of a certificate, fetched from its AIA
 * caIssuers URL (RFC 5280 4.2.2.1) as browsers do, so that "the server
 * omits an intermediate" can be told from "the issuer is a root the trust
 * store lacks". One plain-HTTP GET (http:// only, as RFC 5280 says), on
 * its own connection, non-blocking inside the check: DNS through the
 * check's resolver and pins, connect_to applied, at most AIA_MAX_BODY
 * bytes, within connect_timeout and the check's max_time. Bodies are
 * cached per engine (a sweep fetches a shared intermediate once). */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <stdio.h>
#include <strings.h>
#include <sys/socket.h>
#include <gnutls/pkcs7.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define AIA_MAX_BODY (64 * 1024)
#define AIA_MAX_CERTS 16
#define AIA_CACHE_MAX 256
#define AIA_WAIT_US 5000 /* how often a waiting check looks at the cache */

const char *td_aia_outcome_name(td_aia_outcome_t o) {
  switch (o) {
  case TD_AIA_NONE: return "none";
  case TD_AIA_DISABLED: return "disabled";
  case TD_AIA_NO_URL: return "no_url";
  case TD_AIA_FAILED: return "failed";
  case TD_AIA_UNPARSABLE: return "unparsable";
  case TD_AIA_NOT_ISSUER: return "not_issuer";
  case TD_AIA_INTERMEDIATE: return "intermediate";
  case TD_AIA_UNTRUSTED: return "untrusted";
  case TD_AIA_ROOT: return "root";
  }
  return "unknown";
}

static int parse_port(const char *t, uint16_t *port) {
  if (!*t) {
    *port = 0;
    return 0;
  }
  char *end = NULL;
  long v = strtol(t, &end, 10);
  if (*end || v < 1 || v > 65535) return -1;
  *port = (uint16_t)v;
  return 0;
}

/* ---- the cache ----------------------------------------------------------- */

typedef struct {
  char *key;
  int done;             /* 0: a check is fetching it now */
  int status;
  unsigned char *body;
  size_t len;
  char *error;          /* the fetch failed (no body) */
  double ms;
} cache_ent_t;

/* One engine's bodies (a sweep fetches a shared intermediate once); the
 * engine is driven by one thread, so no lock. */
struct td_aia_cache {
  cache_ent_t ent[AIA_CACHE_MAX];
  size_t n;
};

td_aia_cache_t *td_aia_cache_new(void) {
  return calloc(1, sizeof(td_aia_cache_t));
}

void td_aia_cache_free(td_aia_cache_t *ac) {
  if (!ac) return;
  for (size_t i = 0; i < ac->n; i++) {
    free(ac->ent[i].key);
    free(ac->ent[i].body);
    free(ac->ent[i].error);
  }
  free(ac);
}

static cache_ent_t *cache_find(td_aia_cache_t *ac, const char *key) {
  for (size_t i = 0; i < ac->n; i++)
    if (strcmp(ac->ent[i].key, key) == 0) return &ac->ent[i];
  return NULL;
}

/* 1: a finished entry copied out; 0: pending elsewhere; -1: absent, and
 * now marked pending for this caller (*owner = 1) if there is room. */
static int cache_lookup(td_aia_cache_t *ac, const char *key, int *owner,
                        int *status, unsigned char **body, size_t *len,
                        char **error) {
  cache_ent_t *e = cache_find(ac, key);
  if (e && e->done) {
    *status = e->status;
    *len = e->len;
    *body = e->len ? malloc(e->len) : NULL;
    if (*body) memcpy(*body, e->body, e->len);
    *error = td_strdup(e->error);
    return 1;
  }
  if (e) return 0;
  if (ac->n < AIA_CACHE_MAX && (ac->ent[ac->n].key = td_strdup(key))) {
    ac->ent[ac->n].done = 0;
    ac->n++;
    *owner = 1;
  }
  return -1;
}

/* The owner's fetch ended: keep it (keep = 1) or drop the mark. */
static void cache_settle(td_aia_cache_t *ac, const char *key, int keep,
                         int status, const unsigned char *body, size_t len,
                         const char *error, double ms) {
  cache_ent_t *e = cache_find(ac, key);
  if (!e || e->done) return;
  unsigned char *copy = len ? malloc(len) : NULL;
  if (keep && (!len || copy)) {
    if (len) memcpy(copy, body, len);
    e->done = 1;
    e->status = status;
    e->body = copy;
    e->len = len;
    e->error = td_strdup(error);
    e->ms = ms;
  } else {
    free(copy);
    free(e->key);
    *e = ac->ent[--ac->n];
    memset(&ac->ent[ac->n], 0, sizeof(ac->ent[ac->n]));
  }
}

/* ---- judging what came back -------------------------------------------- */

static int import_certs(const unsigned char *body, size_t len,
                        gnutls_x509_crt_t *crts, unsigned *n) {
  gnutls_datum_t d = {(unsigned char *)(uintptr_t)body, (unsigned)len};
  *n = 0;
  if (gnutls_x509_crt_init(&crts[0]) < 0) return -1;
  if (gnutls_x509_crt_import(crts[0], &d, GNUTLS_X509_FMT_DER) >= 0) {
    *n = 1;
    return 0;
  }
  gnutls_x509_crt_deinit(crts[0]);
  gnutls_pkcs7_t p7;
  if (gnutls_pkcs7_init(&p7) < 0) return -1;
  int rc = -1;
  if (gnutls_pkcs7_import(p7, &d, GNUTLS_X509_FMT_DER) >= 0) {
    int cnt = gnutls_pkcs7_get_crt_count(p7);
    for (int i = 0; i < cnt && *n < AIA_MAX_CERTS; i++) {
      gnutls_datum_t raw = {NULL, 0};
      if (gnutls_pkcs7_get_crt_raw2(p7, (unsigned)i, &raw) < 0) continue;
      if (gnutls_x509_crt_init(&crts[*n]) >= 0) {
        if (gnutls_x509_crt_import(crts[*n], &raw, GNUTLS_X509_FMT_DER) >= 0)
          (*n)++;
        else
          gnutls_x509_crt_deinit(crts[*n]);
      }
      gnutls_free(raw.data);
    }
    rc = *n ? 0 : -1;
  }
  gnutls_pkcs7_deinit(p7);
  return rc;
}

#define NO_TIME                                                            \
  (GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS)

/* Which of crts signed the certificate (subject = its issuer, signature
 * verifies with its key), and what that issuer is. */
static td_aia_outcome_t judge(tlsdiag_result_t *r, const td_cert_t *top,
                              gnutls_certificate_credentials_t cred,
                              const unsigned char *body, size_t len) {
  gnutls_x509_crt_t crts[AIA_MAX_CERTS], child;
  unsigned n = 0;
  if (import_certs(body, len, crts, &n) < 0) return TD_AIA_UNPARSABLE;
  td_aia_outcome_t out = TD_AIA_NOT_ISSUER;
  gnutls_datum_t cd = {top->der, (unsigned)top->der_len};
  if (gnutls_x509_crt_init(&child) < 0) goto out;
  if (gnutls_x509_crt_import(child, &cd, GNUTLS_X509_FMT_DER) < 0) {
    gnutls_x509_crt_deinit(child);
    goto out;
  }
  for (unsigned i = 0; i < n; i++) {
    unsigned st = 1;
    if (!gnutls_x509_crt_check_issuer(child, crts[i]) ||
        gnutls_x509_crt_verify(child, &crts[i], 1, NO_TIME, &st) < 0 || st)
      continue;
    /* the issuer, then what else came with it, toward a trust anchor */
    gnutls_x509_crt_t path[AIA_MAX_CERTS];
    unsigned np = 0;
    path[np++] = crts[i];
    for (unsigned k = 0; k < n; k++)
      if (k != i) path[np++] = crts[k];
    gnutls_x509_trust_list_t tl = NULL;
    unsigned vst = 1;
    gnutls_certificate_get_trust_list(cred, &tl);
    int trusted = tl && gnutls_x509_trust_list_verify_crt2(
                            tl, path, np, NULL, 0, NO_TIME, &vst, NULL) >= 0 &&
                  vst == 0;
    unsigned sst = 1;
    int self = gnutls_x509_crt_check_issuer(crts[i], crts[i]) &&
               gnutls_x509_crt_verify(crts[i], &crts[i], 1, NO_TIME, &sst) >=
                   0 &&
               sst == 0;
    out = trusted ? TD_AIA_INTERMEDIATE : self ? TD_AIA_ROOT : TD_AIA_UNTRUSTED;
    gnutls_datum_t dn = {NULL, 0};
    if (gnutls_x509_crt_get_dn3(crts[i], &dn, 0) >= 0) {
      r->aia.issuer_subject = td_strndup((const char *)dn.data, dn.size);
      gnutls_free(dn.data);
    }
    break;
  }
  gnutls_x509_crt_deinit(child);
out:
  for (unsigned i = 0; i < n; i++) gnutls_x509_crt_deinit(crts[i]);
  return out;
}

/* ---- the fetch ----------------------------------------------------------- */

void td_aia_free(td_check_aia_t *a) {
  if (a->owner && a->key) cache_settle(a->cache, a->key, 0, 0, NULL, 0, NULL, 0);
  a->owner = 0;
  td_resolver_free(a->rs);
  a->rs = NULL;
  for (size_t i = 0; i < a->naddrs; i++) free(a->addrs[i]);
  free(a->addrs);
  a->addrs = NULL;
  a->naddrs = 0;
  free(a->host);
  free(a->path);
  free(a->key);
  free(a->conn_host);
  free(a->req);
  td_buf_free(&a->in);
  a->host = a->path = a->key = a->conn_host = a->req = NULL;
}

static const td_cert_t *missing_top(const tlsdiag_result_t *r) {
  if (!r->verify.done || r->verify.trusted || !r->verify.issuer_missing ||
      r->nchain == 0)
    return NULL;
  const td_cert_t *top = &r->chain[td_chain_path_len(r) - 1];
  return top->self_signed ? NULL : top;
}

/* The fetch is over: judge the body (if any), record, finish. */
static void aia_done(td_check_t *c, int status, const unsigned char *body,
                     size_t len, const char *error, int from_cache) {
  tlsdiag_result_t *r = c->r;
  td_check_aia_t *a = &c->aia;
  td_aia_t *ev = &r->aia;
  ev->ms = (double)(td_mono_us() - a->start) / 1000.0;
  ev->status = status;
  ev->bytes = len;
  ev->cached = from_cache;
  if (error) {
    ev->outcome = TD_AIA_FAILED;
    ev->error = td_strdup(error);
  } else {
    ev->outcome = judge(r, missing_top(r), c->cred, body, len);
  }
  td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "AIA result",
                  "%s: %s%s%s (%zu bytes, %.1f ms%s)",
                  ev->url, td_aia_outcome_name(ev->outcome),
                  error ? ", " : "", error ? error : "", len, ev->ms,
                  from_cache ? ", cached" : "");
  td_check_finish(c);
}

/* The fetch failed before a response: record and finish; a timeout is
 * not cached (another check may have more time). */
static void aia_fail(td_check_t *c, const char *why, int cacheable) {
  td_check_aia_t *a = &c->aia;
  td_check_close_conn(c);
  if (a->owner) cache_settle(a->cache, a->key, cacheable, 0, NULL, 0, why, 0);
  a->owner = 0;
  aia_done(c, 0, NULL, 0, why, 0);
}

/* "http://host[:port]/path": 0, or -1 when not plain http. */
static int parse_url(const char *url, char **host, uint16_t *port,
                     char **path) {
  if (strncasecmp(url, "http://", 7) != 0) return -1;
  const char *h = url + 7, *e = h + strcspn(h, "/?#");
  const char *colon = NULL;
  if (*h == '[') {
    const char *rb = memchr(h, ']', (size_t)(e - h));
    if (!rb) return -1;
    if (rb + 1 < e && rb[1] == ':') colon = rb + 1;
    *host = td_strndup(h + 1, (size_t)(rb - h - 1));
  } else {
    colon = memchr(h, ':', (size_t)(e - h));
    *host = td_strndup(h, (size_t)((colon ? colon : e) - h));
  }
  *port = 80;
  if (colon) {
    char pt[8];
    size_t pl = (size_t)(e - colon - 1);
    if (pl == 0 || pl >= sizeof(pt)) return -1;
    memcpy(pt, colon + 1, pl);
    pt[pl] = '\0';
    if (parse_port(pt, port) < 0) return -1;
  }
  *path = td_strdup(*e == '/' ? e : "/");
  return *host && **host && *path ? 0 : -1;
}

static int add_addr(td_check_aia_t *a, const char *addr) {
  char **na = realloc(a->addrs, (a->naddrs + 1) * sizeof(*na));
  if (!na) return -1;
  a->addrs = na;
  if (!(na[a->naddrs] = td_strdup(addr))) return -1;
  a->naddrs++;
  return 0;
}

static int is_ip(const char *h) {
  unsigned char buf[16];
  return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

static void next_addr(td_check_t *c);

static void arm(td_check_t *c, int64_t us_from_now) {
  int64_t d = td_mono_us() + us_from_now;
  c->deadline = d < c->aia.deadline ? d : c->aia.deadline;
}

/* The addresses: a pin, an IP literal, or a lookup. */
static void start_dns(td_check_t *c) {
  td_check_aia_t *a = &c->aia;
  for (char **p = c->resolve; p && *p; p++) {
    td_pin_t pin;
    if (td_pin_parse(*p, &pin)) continue;
    int hit = pin.port == a->conn_port && strcasecmp(pin.host, a->conn_host) == 0;
    for (size_t i = 0; hit && i < pin.naddrs; i++) add_addr(a, pin.addrs[i]);
    td_pin_clear(&pin);
    if (hit) break;
  }
  if (!a->naddrs && is_ip(a->conn_host)) add_addr(a, a->conn_host);
  if (a->naddrs) {
    next_addr(c);
    return;
  }
  int64_t left = (a->deadline - td_mono_us()) / 1000;
  if (left < 1 || td_resolver_start(a->conn_host, c->dns_servers, c->family,
                                    (int)left, &a->rs)) {
    aia_fail(c, "the AIA host's DNS lookup could not start", 0);
    return;
  }
  a->st = TD_AIA_ST_DNS;
  c->deadline = a->deadline;
  if (td_resolver_done(a->rs)) td_aia_step(c, NULL, 0);
}

static void dns_over(td_check_t *c) {
  td_check_aia_t *a = &c->aia;
  int st = td_resolver_status(a->rs);
  if (st == ARES_SUCCESS)
    for (size_t i = 0; i < td_resolver_count(a->rs); i++) {
      int fam = 0;
      add_addr(a, td_resolver_addr(a->rs, i, &fam));
    }
  td_resolver_free(a->rs);
  a->rs = NULL;
  if (!a->naddrs) {
    char why[160];
    snprintf(why, sizeof(why), "DNS lookup of %s failed: %s", a->conn_host,
             ares_strerror(st));
    aia_fail(c, why, st != ARES_ETIMEOUT);
    return;
  }
  next_addr(c);
}

static void send_request(td_check_t *c);

static void next_addr(td_check_t *c) {
  td_check_aia_t *a = &c->aia;
  int filtered = 0;
  while (a->idx < a->naddrs) {
    const char *addr = a->addrs[a->idx++];
    int done = 0, err = 0;
    /* The embedder's address filter (the exporter's allowlist) judges the
     * AIA host as it judges the target: the certificate names the URL, so
     * a hostile server must not steer the fetch anywhere else. */
    if (c->filter && !c->filter(addr, a->conn_port, c->filter_data)) {
      td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL, "AIA refused",
                      strchr(addr, ':') ? "[%s]:%u by the address filter"
                                        : "%s:%u by the address filter",
                      addr, a->conn_port);
      filtered = 1;
      continue;
    }
    td_result_event(c->r, td_check_now_ms(c), TD_DIR_C2S, "AIA SYN",
                    strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr,
                    a->conn_port);
    c->fd = td_tcp_start(addr, td_check_addr_family(addr), a->conn_port,
                         &done, &err);
    if (c->fd < 0) continue;
    if (done) {
      send_request(c);
      return;
    }
    a->st = TD_AIA_ST_TCP;
    c->want = POLLOUT;
    arm(c, (int64_t)c->connect_timeout_ms * 1000);
    return;
  }
  if (filtered) /* not cached: another check may be allowed there */
    aia_fail(c, "the address filter refused the AIA host", 0);
  else
    aia_fail(c, "no address of the AIA host accepted the connection", 1);
}

static void send_request(td_check_t *c) {
  td_check_aia_t *a = &c->aia;
  /* HTTP/1.0: no chunked body; the server closes after it. */
  a->req = td_asprintf("GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: "
                       "tlsdiag\r\nAccept: */*\r\n\r\n",
                       a->path, a->host);
  if (!a->req) {
    aia_fail(c, "out of memory", 0);
    return;
  }
  a->req_len = strlen(a->req);
  a->req_off = 0;
  a->st = TD_AIA_ST_SEND;
  c->want = POLLOUT;
  c->deadline = a->deadline;
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_C2S, "AIA GET", "%s",
                  c->r->aia.url);
}

/* The whole response is in a->in (closed, or Content-Length reached). */
static void response_over(td_check_t *c, int closed) {
  td_check_aia_t *a = &c->aia;
  tlsdiag_result_t *h = td_result_new();
  size_t used = 0;
  const char *why = NULL;
  if (!h) {
    aia_fail(c, "out of memory", 0);
    return;
  }
  td_http_rc_t rc = td_http_parse_head(h, a->in.data, a->in.len, &used, &why);
  if (rc != TD_HTTP_DONE) {
    tlsdiag_result_free(h);
    if (rc == TD_HTTP_NEED_MORE && !closed) return;
    aia_fail(c, why ? why : "the response ended inside its head", 1);
    return;
  }
  size_t blen = a->in.len - used;
  if (blen > AIA_MAX_BODY) {
    tlsdiag_result_free(h);
    aia_fail(c, "the AIA response is larger than 64 KiB", 1);
    return;
  }
  const char *cl = NULL;
  for (size_t i = 0; i < h->nheaders; i++)
    if (!strcasecmp(h->headers[i].name, "content-length"))
      cl = h->headers[i].value;
  if (!closed && !(cl && strtoull(cl, NULL, 10) <= blen)) {
    tlsdiag_result_free(h);
    return; /* more to come */
  }
  int status = h->http_status;
  tlsdiag_result_free(h);
  td_check_close_conn(c);
  char err[64];
  const char *fail = NULL;
  if (status != 200) {
    snprintf(err, sizeof(err), "HTTP status %d", status);
    fail = err;
  }
  const unsigned char *body = (const unsigned char *)a->in.data + used;
  if (a->owner)
    cache_settle(a->cache, a->key, 1, status, fail ? NULL : body,
                 fail ? 0 : blen, fail, 0);
  a->owner = 0;
  aia_done(c, status, fail ? NULL : body, blen, fail, 0);
}

static void io_step(td_check_t *c, int revents) {
  td_check_aia_t *a = &c->aia;
  if (a->st == TD_AIA_ST_TCP) {
    if (!revents) return;
    int err = td_tcp_finish(c->fd);
    if (err) {
      td_check_close_conn(c);
      next_addr(c);
      return;
    }
    send_request(c);
  }
  if (a->st == TD_AIA_ST_SEND) {
    while (a->req_off < a->req_len) {
      ssize_t n = send(c->fd, a->req + a->req_off, a->req_len - a->req_off,
                       MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (n <= 0) {
        aia_fail(c, "the AIA server closed the connection", 1);
        return;
      }
      a->req_off += (size_t)n;
    }
    a->st = TD_AIA_ST_RECV;
    c->want = POLLIN;
    return;
  }
  if (a->st == TD_AIA_ST_RECV && revents) {
    char buf[8192];
    for (;;) {
      ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (n < 0) {
        aia_fail(c, "the AIA connection was reset", 1);
        return;
      }
      if (n == 0) {
        response_over(c, 1);
        return;
      }
      td_buf_append(&a->in, buf, (size_t)n);
      if (a->in.oom) {
        aia_fail(c, "out of memory", 0);
        return;
      }
      /* the head (bounded by the parser) plus at most AIA_MAX_BODY */
      if (a->in.len > (size_t)TD_HTTP_MAX_HEAD + AIA_MAX_BODY) {
        aia_fail(c, "the AIA response is larger than 64 KiB", 1);
        return;
      }
    }
    size_t used = 0;
    const char *why = NULL;
    tlsdiag_result_t *h = td_result_new();
    if (h && td_http_parse_head(h, a->in.data, a->in.len, &used, &why) ==
                 TD_HTTP_DONE && a->in.len - used > AIA_MAX_BODY) {
      tlsdiag_result_free(h);
      aia_fail(c, "the AIA response is larger than 64 KiB", 1);
      return;
    }
    tlsdiag_result_free(h);
    response_over(c, 0);
  }
}

int td_aia_start(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_check_aia_t *a = &c->aia;
  if (a->ran || c->http.fetch) return 0;
  a->ran = 1;
  const td_cert_t *top = missing_top(r);
  if (!top) return 0;
  if (c->flags & TLSDIAG_F_NO_AIA) {
    r->aia.outcome = TD_AIA_DISABLED;
    return 0;
  }
  const char *url = top->aia_ca_issuers;
  uint16_t port = 80;
  if (!url || parse_url(url, &a->host, &port, &a->path) < 0) {
    r->aia.outcome = TD_AIA_NO_URL;
    return 0;
  }
  if (td_connect_to_apply((const char *const *)c->connect_to, a->host, port,
                          &a->conn_host, &a->conn_port, NULL) < 0)
    return 0;
  if (!a->conn_host) a->conn_host = td_strdup(a->host);
  r->aia.url = td_strdup(url);
  a->cache = td_shared_aia(c->sh);
  a->key = td_asprintf("%s|%s|%u", url, a->conn_host ? a->conn_host : "",
                       a->conn_port);
  if (!a->conn_host || !r->aia.url || !a->key) return 0;
  r->aia.tried = 1;
  a->start = td_mono_us();
  a->deadline = c->deadline_total;
  td_buf_init(&a->in);
  td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "AIA fetch",
                  "issuer of %s from %s", top->subject ? top->subject : "?",
                  url);
  c->st = TD_CHECK_AIA;
  a->st = TD_AIA_ST_WAIT;
  c->deadline = td_mono_us(); /* look at the cache in the first step */
  td_aia_step(c, NULL, 0);
  return 1;
}

size_t td_aia_fds(td_check_t *c, struct pollfd *fds, size_t max) {
  td_check_aia_t *a = &c->aia;
  if (a->st == TD_AIA_ST_WAIT) return 0;
  if (a->st == TD_AIA_ST_DNS) return td_resolver_fds(a->rs, fds, max);
  fds[0].fd = c->fd;
  fds[0].events = (short)c->want;
  fds[0].revents = 0;
  return 1;
}

int64_t td_aia_deadline(td_check_t *c) {
  td_check_aia_t *a = &c->aia;
  int64_t d = c->deadline;
  if (a->st == TD_AIA_ST_DNS && a->rs) {
    int64_t t = td_resolver_timeout_us(a->rs);
    if (t >= 0 && td_mono_us() + t < d) d = td_mono_us() + t;
  }
  return d;
}

void td_aia_step(td_check_t *c, const struct pollfd *fds, size_t nfds) {
  td_check_aia_t *a = &c->aia;
  int64_t now = td_mono_us();
  if (a->st == TD_AIA_ST_WAIT) {
    int status = 0;
    unsigned char *body = NULL;
    size_t len = 0;
    char *error = NULL;
    int rc = cache_lookup(a->cache, a->key, &a->owner, &status, &body, &len, &error);
    if (rc == 1) {
      td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL, "AIA cached",
                      "%s", c->r->aia.url);
      aia_done(c, status, body, len, error, 1);
      free(body);
      free(error);
      return;
    }
    if (rc == 0) { /* another check is fetching it: look again soon */
      if (now >= a->deadline) {
        aia_fail(c, "timed out waiting for the AIA fetch", 0);
        return;
      }
      arm(c, AIA_WAIT_US);
      return;
    }
    start_dns(c);
    return;
  }
  if (now >= a->deadline) {
    aia_fail(c, "the AIA fetch timed out", 0);
    return;
  }
  if (a->st == TD_AIA_ST_DNS) {
    td_resolver_process(a->rs, fds, nfds);
    if (td_resolver_done(a->rs)) dns_over(c);
    return;
  }
  int revents = 0;
  for (size_t i = 0; i < nfds; i++)
    if (fds[i].fd == c->fd) revents |= fds[i].revents;
  if (a->st == TD_AIA_ST_TCP && !revents && now >= c->deadline) {
    td_check_close_conn(c);
    next_addr(c);
    return;
  }
  io_step(c, revents);
}
