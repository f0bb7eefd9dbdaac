/* resolve.c: DNS through c-ares (A and AAAA), resolve pins and the DNS
 * server option. A lookup either has a channel of its own (the caller's
 * loop drives it) or is submitted to its engine's channels (td_dns_engine:
 * one channel per distinct server list and budget, driven once per loop
 * by the engine, answers delivered by callback). */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine.h"

#define MAX_ADDRS 64 /* more than any real name needs; bounds the work */

/* One shared channel: the engine's for one (servers, timeout). */
typedef struct dns_chan {
  struct dns_chan *next;
  char *servers; /* NULL: the system's resolv.conf */
  int timeout_ms;
  ares_channel ch;
  size_t pending; /* queries submitted and not yet called back */
  struct td_dns_engine *eng;
} dns_chan_t;

struct td_dns_engine {
  dns_chan_t *chans;
  unsigned long orphans; /* callbacks that found their check gone */
  unsigned long channels_made;
};

struct td_resolver {
  ares_channel ch; /* own channel; NULL: shared (chan) or from the cache */
  dns_chan_t *chan; /* the engine channel the query went to, or NULL */
  int orphan;       /* freed by its check while pending: the callback
                       frees it (the cancel half of the scheme) */
  int done;
  int status;
  char *addrs[MAX_ADDRS];
  int fam[MAX_ADDRS];
  size_t n;
  int ttl;   /* the smallest TTL of the answer's records, -1 unknown */
  char *key; /* the cache key (name, servers, family), or NULL */
};

/* ---- pins ---------------------------------------------------------------- */

static int parse_port(const char *s, size_t n, uint16_t *port) {
  if (n == 0 || n > 5) return -1;
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return -1;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v == 0 || v > 65535) return -1;
  *port = (uint16_t)v;
  return 0;
}

void td_pin_clear(td_pin_t *pin) {
  free(pin->host);
  for (size_t i = 0; i < pin->naddrs; i++) free(pin->addrs[i]);
  free(pin->addrs);
  memset(pin, 0, sizeof(*pin));
}

tlsdiag_err_t td_pin_parse(const char *spec, td_pin_t *pin) {
  memset(pin, 0, sizeof(*pin));
  if (!spec || strlen(spec) > 4096) return TLSDIAG_E_RESOLVE;
  const char *c1 = strchr(spec, ':');
  if (!c1 || c1 == spec) return TLSDIAG_E_RESOLVE;
  const char *c2 = strchr(c1 + 1, ':');
  if (!c2 || parse_port(c1 + 1, (size_t)(c2 - c1 - 1), &pin->port) < 0)
    return TLSDIAG_E_RESOLVE;
  /* The pin's host in the form the check compares: the A-label (or the
   * literal), so "Bücher.de." pins the host "bücher.de" names. */
  char *given = td_strndup(spec, (size_t)(c1 - spec));
  if (!given) return TLSDIAG_E_NOMEM;
  tlsdiag_err_t herr = td_host_check(given, &pin->host, NULL, NULL);
  free(given);
  if (herr == TLSDIAG_E_NOMEM) return herr;
  if (herr) return TLSDIAG_E_RESOLVE;
  const char *p = c2 + 1;
  if (!*p) goto bad;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    const char *a = p;
    if (n >= 2 && a[0] == '[' && a[n - 1] == ']') {
      a++;
      n -= 2;
    }
    char *addr = td_strndup(a, n);
    if (!addr) goto nomem;
    if (n == 0 || n >= 64 || !td_is_ip_literal(addr)) {
      free(addr);
      goto bad;
    }
    char **na = realloc(pin->addrs, (pin->naddrs + 1) * sizeof(*na));
    if (!na) {
      free(addr);
      goto nomem;
    }
    pin->addrs = na;
    pin->addrs[pin->naddrs++] = addr;
    if (!end) break;
    p = end + 1;
    if (!*p) goto bad;
  }
  return TLSDIAG_OK;
bad:
  td_pin_clear(pin);
  return TLSDIAG_E_RESOLVE;
nomem:
  td_pin_clear(pin);
  return TLSDIAG_E_NOMEM;
}

tlsdiag_err_t td_dns_servers_check(const char *csv) {
  if (!csv || !*csv || strlen(csv) > 4096) return TLSDIAG_E_DNS_SERVER;
  const char *p = csv;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    char item[128];
    if (n == 0 || n >= sizeof(item)) return TLSDIAG_E_DNS_SERVER;
    memcpy(item, p, n);
    item[n] = '\0';
    char *host = item, *port = NULL;
    if (item[0] == '[') {
      char *rb = strchr(item, ']');
      if (!rb) return TLSDIAG_E_DNS_SERVER;
      *rb = '\0';
      host = item + 1;
      if (rb[1] == ':') port = rb + 2;
      else if (rb[1]) return TLSDIAG_E_DNS_SERVER;
    } else {
      char *colon = strchr(item, ':');
      if (colon && strchr(colon + 1, ':')) colon = NULL; /* bare IPv6 */
      if (colon) {
        *colon = '\0';
        port = colon + 1;
      }
    }
    uint16_t pv;
    if (!td_is_ip_literal(host)) return TLSDIAG_E_DNS_SERVER;
    if (port && parse_port(port, strlen(port), &pv) < 0)
      return TLSDIAG_E_DNS_SERVER;
    if (!end) break;
    p = end + 1;
    if (!*p) return TLSDIAG_E_DNS_SERVER;
  }
  return TLSDIAG_OK;
}

/* ---- lookups ------------------------------------------------------------- */

static void add_addr(td_resolver_t *rs, int family, const void *a) {
  char txt[INET6_ADDRSTRLEN];
  if (rs->n >= MAX_ADDRS || !inet_ntop(family, a, txt, sizeof(txt))) return;
  for (size_t i = 0; i < rs->n; i++)
    if (strcmp(rs->addrs[i], txt) == 0) return;
  rs->addrs[rs->n] = td_strdup(txt);
  if (!rs->addrs[rs->n]) return;
  rs->fam[rs->n++] = family;
}

static void resolver_release(td_resolver_t *rs) {
  for (size_t i = 0; i < rs->n; i++) free(rs->addrs[i]);
  free(rs->key);
  free(rs);
}

static void on_addrinfo(void *arg, int status, int timeouts,
                        struct ares_addrinfo *res) {
  (void)timeouts;
  td_resolver_t *rs = arg;
  if (rs->chan) {
    rs->chan->pending--;
    if (rs->orphan) { /* its check ended first: nobody to tell */
      rs->chan->eng->orphans++;
      if (res) ares_freeaddrinfo(res);
      resolver_release(rs);
      return;
    }
    /* Destruction of the engine with this check still alive: the check
     * sees a failed lookup and never touches the channel again. */
    if (status == ARES_EDESTRUCTION) rs->chan = NULL;
  }
  rs->done = 1;
  rs->status = status;
  if (status == ARES_SUCCESS && res) {
    for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
      if (rs->ttl < 0 || n->ai_ttl < rs->ttl) rs->ttl = n->ai_ttl;
      if (n->ai_family == AF_INET)
        add_addr(rs, AF_INET, &((struct sockaddr_in *)n->ai_addr)->sin_addr);
      else if (n->ai_family == AF_INET6)
        add_addr(rs, AF_INET6,
                 &((struct sockaddr_in6 *)n->ai_addr)->sin6_addr);
    }
    if (rs->n == 0) rs->status = ARES_ENODATA;
  }
  if (res) ares_freeaddrinfo(res);
}

/* A channel with tlsdiag's settings: two tries within timeout_ms, SERVFAIL
 * and REFUSED reported as such, only DNS when servers are named. */
static tlsdiag_err_t chan_init(ares_channel *ch, const char *servers,
                               int timeout_ms, int shared) {
  struct ares_options ao;
  memset(&ao, 0, sizeof(ao));
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
  /* Two tries within the budget: one lost UDP packet is not a failure. */
  ao.timeout = timeout_ms / 2 > 100 ? timeout_ms / 2 : 100;
  ao.tries = 2;
  ao.flags = ARES_FLAG_NOCHECKRESP; /* report SERVFAIL/REFUSED as such */
  /* A shared channel keeps its sockets between bursts of a sweep. */
  if (shared) ao.flags |= ARES_FLAG_STAYOPEN;
  char lookups[] = "b";
  if (servers) {
    /* With an explicit server, ask only DNS (like dig @server): the hosts
     * file would hide what the server says. */
    ao.lookups = lookups;
    mask |= ARES_OPT_LOOKUPS;
  }
  if (ares_init_options(ch, &ao, mask) != ARES_SUCCESS) return TLSDIAG_E_INIT;
  if (servers && ares_set_servers_ports_csv(*ch, servers) != ARES_SUCCESS) {
    ares_destroy(*ch);
    *ch = NULL;
    return TLSDIAG_E_DNS_SERVER;
  }
  return TLSDIAG_OK;
}

static void submit(td_resolver_t *rs, ares_channel ch, const char *name,
                   int family) {
  struct ares_addrinfo_hints hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = family;
  hints.ai_flags = ARES_AI_NOSORT; /* keep the server's order; we try all */
  ares_getaddrinfo(ch, name, NULL, &hints, on_addrinfo, rs);
}

/* The sockets c-ares waits on in ch, appended to fds (up to max). */
static size_t ch_fds(ares_channel ch, struct pollfd *fds, size_t max) {
  ares_socket_t socks[ARES_GETSOCK_MAXNUM];
  unsigned bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
  size_t n = 0;
  for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM && n < max; i++) {
    short ev = 0;
    /* c-ares's ARES_GETSOCK_WRITABLE shifts a signed 1 into bit 31 (UB);
     * the same test on unsigned bits. */
    if (bits & (1u << i)) ev |= POLLIN;
    if (bits & (1u << (i + ARES_GETSOCK_MAXNUM))) ev |= POLLOUT;
    if (!ev) continue;
    fds[n].fd = socks[i];
    fds[n].events = ev;
    fds[n].revents = 0;
    n++;
  }
  return n;
}

static int64_t ch_timeout_us(ares_channel ch) {
  struct timeval tv, *t = ares_timeout(ch, NULL, &tv);
  if (!t) return -1;
  return (int64_t)t->tv_sec * 1000000 + t->tv_usec;
}

/* Hands the ready sockets among fds to ch (c-ares ignores those that are
 * not its own) until *stop; 1 if any was ready. */
static int ch_feed(ares_channel ch, const struct pollfd *fds, size_t nfds,
                   const int *stop) {
  int any = 0;
  for (size_t i = 0; i < nfds && !*stop; i++) {
    if (!fds[i].revents) continue;
    any = 1;
    ares_socket_t rfd = (fds[i].revents & (POLLIN | POLLERR | POLLHUP))
                            ? fds[i].fd
                            : ARES_SOCKET_BAD;
    ares_socket_t wfd = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
    ares_process_fd(ch, rfd, wfd);
  }
  return any;
}

tlsdiag_err_t td_resolver_start(const char *name, const char *servers,
                                int family, int timeout_ms,
                                td_resolver_t **out) {
  *out = NULL;
  td_resolver_t *rs = calloc(1, sizeof(*rs));
  if (!rs) return TLSDIAG_E_NOMEM;
  rs->ttl = -1;
  tlsdiag_err_t err = chan_init(&rs->ch, servers, timeout_ms, 0);
  if (err) {
    free(rs);
    return err;
  }
  submit(rs, rs->ch, name, family);
  *out = rs;
  return TLSDIAG_OK;
}

/* ---- the engine's channels ------------------------------------------------
 * Checks of one engine submit to a channel it keeps per distinct (server
 * list, budget): in a sweep, one. The engine polls the channels' sockets
 * once and runs their timers; c-ares calls back into the resolver, which
 * its check then finds done. A check that ends while its query is pending
 * marks the resolver an orphan instead of freeing it: the callback, which
 * always comes (the answer, c-ares's own timeout or the engine's
 * destruction), frees it. */

td_dns_engine_t *td_dns_engine_new(void) {
  return calloc(1, sizeof(td_dns_engine_t));
}

void td_dns_engine_free(td_dns_engine_t *eng) {
  if (!eng) return;
  for (dns_chan_t *c = eng->chans, *next; c; c = next) {
    next = c->next;
    ares_destroy(c->ch); /* every pending callback runs: orphans freed */
    free(c->servers);
    free(c);
  }
  free(eng);
}

static int str_same(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

static tlsdiag_err_t engine_chan(td_dns_engine_t *eng, const char *servers,
                                 int timeout_ms, dns_chan_t **out) {
  for (dns_chan_t *c = eng->chans; c; c = c->next)
    if (c->timeout_ms == timeout_ms && str_same(c->servers, servers)) {
      *out = c;
      return TLSDIAG_OK;
    }
  dns_chan_t *c = calloc(1, sizeof(*c));
  if (!c) return TLSDIAG_E_NOMEM;
  if (servers && !(c->servers = td_strdup(servers))) {
    free(c);
    return TLSDIAG_E_NOMEM;
  }
  tlsdiag_err_t err = chan_init(&c->ch, servers, timeout_ms, 1);
  if (err) {
    free(c->servers);
    free(c);
    return err;
  }
  c->timeout_ms = timeout_ms;
  c->eng = eng;
  c->next = eng->chans;
  eng->chans = c;
  eng->channels_made++;
  *out = c;
  return TLSDIAG_OK;
}

static tlsdiag_err_t engine_submit(td_dns_engine_t *eng, const char *name,
                                   const char *servers, int family,
                                   int timeout_ms, td_resolver_t **out) {
  *out = NULL;
  dns_chan_t *chan = NULL;
  tlsdiag_err_t err = engine_chan(eng, servers, timeout_ms, &chan);
  if (err) return err;
  td_resolver_t *rs = calloc(1, sizeof(*rs));
  if (!rs) return TLSDIAG_E_NOMEM;
  rs->ttl = -1;
  rs->chan = chan;
  chan->pending++;
  submit(rs, chan->ch, name, family); /* may call back at once */
  *out = rs;
  return TLSDIAG_OK;
}

size_t td_dns_engine_fds(td_dns_engine_t *eng, struct pollfd *fds,
                         size_t max) {
  size_t n = 0;
  for (dns_chan_t *c = eng ? eng->chans : NULL; c && n < max; c = c->next)
    if (c->pending) n += ch_fds(c->ch, fds + n, max - n);
  return n;
}

int64_t td_dns_engine_timeout_us(td_dns_engine_t *eng) {
  int64_t best = -1;
  for (dns_chan_t *c = eng ? eng->chans : NULL; c; c = c->next) {
    int64_t t = c->pending ? ch_timeout_us(c->ch) : -1;
    if (t >= 0 && (best < 0 || t < best)) best = t;
  }
  return best;
}

/* Hands ready sockets to every channel (each takes only its own) and runs
 * the timers of the channels whose time has come. */
void td_dns_engine_process(td_dns_engine_t *eng, const struct pollfd *fds,
                           size_t nfds) {
  static const int never = 0;
  for (dns_chan_t *c = eng ? eng->chans : NULL; c; c = c->next) {
    if (!c->pending) continue;
    if (!ch_feed(c->ch, fds, nfds, &never) && ch_timeout_us(c->ch) == 0)
      ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  }
}

unsigned long td_dns_engine_orphans(const td_dns_engine_t *eng) {
  return eng ? eng->orphans : 0;
}

unsigned long td_dns_engine_channels(const td_dns_engine_t *eng) {
  return eng ? eng->channels_made : 0;
}

size_t td_dns_engine_pending(const td_dns_engine_t *eng) {
  size_t n = 0;
  for (dns_chan_t *c = eng ? eng->chans : NULL; c; c = c->next)
    n += c->pending;
  return n;
}

size_t td_resolver_fds(td_resolver_t *rs, struct pollfd *fds, size_t max) {
  if (!rs || rs->done || !rs->ch) return 0;
  return ch_fds(rs->ch, fds, max);
}

int64_t td_resolver_timeout_us(td_resolver_t *rs) {
  if (!rs || rs->done || !rs->ch) return -1;
  return ch_timeout_us(rs->ch);
}

void td_resolver_process(td_resolver_t *rs, const struct pollfd *fds,
                         size_t nfds) {
  if (!rs || rs->done || !rs->ch) return;
  if (!ch_feed(rs->ch, fds, nfds, &rs->done) && !rs->done) /* timers only */
    ares_process_fd(rs->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

int td_resolver_done(const td_resolver_t *rs) { return rs->done; }
int td_resolver_status(const td_resolver_t *rs) { return rs->status; }
size_t td_resolver_count(const td_resolver_t *rs) { return rs->n; }
const char *td_resolver_addr(const td_resolver_t *rs, size_t i, int *family) {
  if (i >= rs->n) return NULL;
  if (family) *family = rs->fam[i];
  return rs->addrs[i];
}

void td_resolver_free(td_resolver_t *rs) {
  if (!rs) return;
  if (rs->chan && !rs->done) { /* pending on the engine: the callback frees */
    rs->orphan = 1;
    return;
  }
  /* ares_destroy runs pending callbacks with ARES_EDESTRUCTION. */
  if (rs->ch) ares_destroy(rs->ch);
  resolver_release(rs);
}

int td_resolver_ttl(const td_resolver_t *rs) { return rs->ttl; }

/* ---- the answer cache of one engine --------------------------------------
 * c-ares 1.18 keeps no answers, so an engine does, for their TTL: a sweep
 * of many names on one host, or the AIA host of many chains, asks once per
 * TTL. Only successful answers are kept; a bounded table, the entry that
 * expires soonest giving way when it is full. One thread at a time. */

#define DNS_CACHE_MAX 4096

typedef struct {
  char *key;
  int64_t expires; /* monotonic us */
  char *addrs[MAX_ADDRS];
  int fam[MAX_ADDRS];
  size_t n;
} dns_ent_t;

struct td_dns_cache {
  dns_ent_t *ent;
  size_t n, cap;
};

td_dns_cache_t *td_dns_cache_new(void) {
  return calloc(1, sizeof(td_dns_cache_t));
}

static void ent_clear(dns_ent_t *e) {
  free(e->key);
  for (size_t i = 0; i < e->n; i++) free(e->addrs[i]);
  memset(e, 0, sizeof(*e));
}

void td_dns_cache_free(td_dns_cache_t *dc) {
  if (!dc) return;
  for (size_t i = 0; i < dc->n; i++) ent_clear(&dc->ent[i]);
  free(dc->ent);
  free(dc);
}

static char *cache_key(const char *name, const char *servers, int family) {
  return td_asprintf("%d|%s|%s", family, servers ? servers : "", name);
}

static dns_ent_t *cache_find(td_dns_cache_t *dc, const char *key) {
  for (size_t i = 0; i < dc->n; i++)
    if (strcmp(dc->ent[i].key, key) == 0) return &dc->ent[i];
  return NULL;
}

tlsdiag_err_t td_resolver_start_cached(td_dns_cache_t *dc,
                                       td_dns_engine_t *eng, const char *name,
                                       const char *servers, int family,
                                       int timeout_ms, td_resolver_t **out,
                                       int *cached) {
  *cached = 0;
  char *key = dc ? cache_key(name, servers, family) : NULL;
  dns_ent_t *e = key ? cache_find(dc, key) : NULL;
  int64_t now = td_mono_us();
  if (e && e->expires > now) {
    td_resolver_t *rs = calloc(1, sizeof(*rs));
    if (!rs) {
      free(key);
      return TLSDIAG_E_NOMEM;
    }
    for (size_t i = 0; i < e->n; i++)
      if ((rs->addrs[rs->n] = td_strdup(e->addrs[i])))
        rs->fam[rs->n++] = e->fam[i];
    rs->done = 1;
    rs->status = rs->n ? ARES_SUCCESS : ARES_ENOMEM;
    rs->ttl = (int)((e->expires - now) / 1000000);
    free(key); /* no key: td_dns_cache_put leaves the entry as it is */
    *cached = 1;
    *out = rs;
    return TLSDIAG_OK;
  }
  tlsdiag_err_t err =
      eng ? engine_submit(eng, name, servers, family, timeout_ms, out)
          : td_resolver_start(name, servers, family, timeout_ms, out);
  if (err) free(key);
  else (*out)->key = key;
  return err;
}

void td_dns_cache_put(td_dns_cache_t *dc, const td_resolver_t *rs) {
  if (!dc || !rs->key || rs->status != ARES_SUCCESS || rs->ttl <= 0 ||
      rs->n == 0)
    return;
  int64_t now = td_mono_us(), expires = now + (int64_t)rs->ttl * 1000000;
  dns_ent_t *e = cache_find(dc, rs->key);
  if (!e && dc->n == dc->cap && dc->cap < DNS_CACHE_MAX) {
    size_t cap = dc->cap ? dc->cap * 2 : 64;
    dns_ent_t *ne = realloc(dc->ent, cap * sizeof(*ne));
    if (!ne) return;
    dc->ent = ne;
    dc->cap = cap;
  }
  if (!e && dc->n < dc->cap) {
    e = &dc->ent[dc->n++];
    memset(e, 0, sizeof(*e));
  }
  if (!e) { /* full: the entry that expires soonest gives way */
    e = &dc->ent[0];
    for (size_t i = 1; i < dc->n; i++)
      if (dc->ent[i].expires < e->expires) e = &dc->ent[i];
  }
  ent_clear(e);
  if (!(e->key = td_strdup(rs->key))) {
    *e = dc->ent[--dc->n]; /* drop the empty slot */
    memset(&dc->ent[dc->n], 0, sizeof(dc->ent[dc->n]));
    return;
  }
  e->expires = expires;
  for (size_t i = 0; i < rs->n; i++)
    if ((e->addrs[e->n] = td_strdup(rs->addrs[i]))) e->fam[e->n++] = rs->fam[i];
}
