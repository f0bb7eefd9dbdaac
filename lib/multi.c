/* multi.c: many checks in one event loop. A FIFO of queued checks, at most
 * max_in_flight td_check_t running, one poll set over all their
 * descriptors, each check's own deadline, and a callback per finished
 * check. What checks can share is made once per handle (shared.c): the
 * trust stores per distinct (cafile, capath) with their verifier context,
 * the AIA and DNS caches and the c-ares channel, whose sockets are in the
 * poll set once (not per check); the politeness gate may be shared by
 * handles. With a DNS look-ahead of A (tlsdiag_multi_set_dns_ahead), up
 * to max_in_flight + A checks are alive but at most max_in_flight past
 * their DNS phase: the others look their names up, or wait (held, FIFO)
 * for a connection slot (td_hold_t, check.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine.h"

/* A check reports one socket (its AIA fetch in DNS up to
 * ARES_GETSOCK_MAXNUM); the engine's DNS sockets are the engine's. */
/* Lookups at once per engine. They share the engine's c-ares channel,
 * but each holds its query state and, before the channel was shared, a
 * channel of its own (about 76 KB with c-ares 1.18): 10,000 checks
 * starting together held 760 MB. Queued checks wait (before they start: no
 * timeout runs) while this many are in DNS; at 20-300 ms a lookup that is
 * still 850-12,800 lookups a second, more than the handshakes an engine
 * does. The default DNS look-ahead is max_in_flight capped at this: the
 * checks alive beyond max_in_flight (in DNS or held) stay as bounded. */
#define TD_MULTI_DNS_MAX 256
#define SLOT_FDS (ARES_GETSOCK_MAXNUM + 1)
#define DNS_SERIAL UINT64_MAX /* fd_owner of an engine DNS socket */
#define DNS_FDS (4 * ARES_GETSOCK_MAXNUM)

/* A queued check: its host and a deep copy of its options, all in one
 * allocation (the strings and the pin array follow the struct), so a queued
 * check costs one malloc of about the size of what it was given. Every
 * string field of tlsdiag_options_t must be copied in job_new; the HSTS
 * list (opts->hsts) is borrowed, as documented. */
typedef struct job {
  struct job *next;
  char *host;
  tlsdiag_options_t o;
  void *user;
} job_t;

/* A running check. Slots are kept dense: slots[0..running). */
typedef struct slot {
  job_t *job;
  td_check_t *c;
  uint64_t serial;  /* unique per started check: stale fd maps are ignored */
  int64_t deadline; /* td_check_deadline, refreshed after each step */
  struct pollfd fds[SLOT_FDS]; /* what tlsdiag_multi_fds reported */
  size_t nfds;
  struct pollfd rev[SLOT_FDS]; /* poll results gathered for this check */
  size_t nrev;
  int in_dns; /* counted in ndns (td_check_in_dns when last looked at) */
} slot_t;

typedef struct fd_owner {
  size_t slot;
  uint64_t serial; /* 0: none */
} fd_owner_t;

struct tlsdiag_multi {
  unsigned max;
  tlsdiag_multi_cb cb;
  void *cb_data;
  job_t *qhead, *qtail;
  size_t queued;
  slot_t *slots;
  size_t running, cap;
  uint64_t next_serial;
  td_shared_t *sh;
  td_gate_t *gate; /* owned (tlsdiag_multi_set_limits), or NULL */
  fd_owner_t *owner; /* indexed by fd; filled by tlsdiag_multi_fds */
  size_t nowner;
  int busy;          /* inside process: no nested process/run */
  int dns_full;      /* start_queued stopped: TD_MULTI_DNS_MAX in DNS */
  unsigned ahead;    /* DNS look-ahead: checks alive beyond max (0: off) */
  td_hold_t hold;    /* connection slots (ahead > 0): max of them */
  size_t ndns;       /* slots with in_dns set: checks in their DNS phase */
  struct pollfd *pfd; /* tlsdiag_multi_run's poll set */
  size_t pfd_cap;
  struct pollfd dnsrev[DNS_FDS]; /* poll results of the DNS sockets */
  size_t ndnsrev;
};

/* ---- handle ------------------------------------------------------------ */

tlsdiag_err_t tlsdiag_multi_new(unsigned max_in_flight, tlsdiag_multi_cb cb,
                                void *cb_data, tlsdiag_multi_t **out) {
  if (!out) return TLSDIAG_E_INVAL;
  *out = NULL;
  if (!cb) return TLSDIAG_E_INVAL;
  tlsdiag_err_t err = td_global_init_once();
  if (err) return err;
  tlsdiag_multi_t *m = calloc(1, sizeof(*m));
  if (!m) return TLSDIAG_E_NOMEM;
  m->max = max_in_flight ? max_in_flight : 64;
  m->ahead = m->max < TD_MULTI_DNS_MAX ? m->max : TD_MULTI_DNS_MAX;
  m->hold.max = m->max;
  m->cb = cb;
  m->cb_data = cb_data;
  m->next_serial = 1;
  if (!(m->sh = td_shared_new())) {
    free(m);
    return TLSDIAG_E_NOMEM;
  }
  td_shared_set_hold(m->sh, &m->hold);
  *out = m;
  return TLSDIAG_OK;
}

tlsdiag_err_t tlsdiag_multi_set_dns_ahead(tlsdiag_multi_t *m, unsigned n) {
  if (!m || m->running || m->busy) return TLSDIAG_E_INVAL;
  m->ahead = n;
  td_shared_set_hold(m->sh, n ? &m->hold : NULL);
  return TLSDIAG_OK;
}

/* Checks alive at once: max_in_flight, plus the look-ahead. */
static size_t alive_max(const tlsdiag_multi_t *m) {
  return (size_t)m->max + m->ahead;
}

/* ---- connection slots (check.h, td_hold_t) ------------------------------ */

int td_hold_enter(td_hold_t *h, td_check_t *c) {
  /* Strictly FIFO: a slot freed while others wait is theirs. */
  if (!h->head && h->past < h->max) {
    h->past++;
    return 1;
  }
  c->held_next = NULL;
  if (h->tail) h->tail->held_next = c;
  else h->head = c;
  h->tail = c;
  h->nheld++;
  return 0;
}

void td_hold_leave(td_hold_t *h) {
  if (h->past) h->past--;
}

td_check_t *td_hold_next(td_hold_t *h) {
  td_check_t *c = h->head;
  if (!c || h->past >= h->max) return NULL;
  h->head = c->held_next;
  if (!h->head) h->tail = NULL;
  c->held_next = NULL;
  h->nheld--;
  h->past++;
  return c;
}

/* Held checks given the slots checks that ended freed, oldest first;
 * how many. */
static size_t release_held(tlsdiag_multi_t *m) {
  size_t n = 0;
  for (td_check_t *c; (c = td_hold_next(&m->hold)); n++) td_check_unhold(c);
  return n;
}

tlsdiag_err_t tlsdiag_multi_set_limits(tlsdiag_multi_t *m, unsigned per_ip,
                                       unsigned rate) {
  if (!m || m->running || m->busy) return TLSDIAG_E_INVAL;
  td_gate_t *g = NULL;
  if ((per_ip || rate) && !(g = td_gate_new(per_ip, rate)))
    return TLSDIAG_E_NOMEM;
  td_gate_free(m->gate);
  m->gate = g;
  td_shared_set_gate(m->sh, g);
  return TLSDIAG_OK;
}

void td_multi_share_gate(tlsdiag_multi_t *m, td_gate_t *g) {
  td_shared_set_gate(m->sh, g ? g : m->gate);
}

td_shared_t *td_multi_shared(tlsdiag_multi_t *m) { return m->sh; }

/* Keeps m->ndns in step with td_check_in_dns(s->c): called when a check
 * starts and after each step, so a check is counted when it enters its DNS
 * phase and uncounted once when it leaves it (answered, failed, timed
 * out). O(1): start_queued must not walk every check in flight. */
static void dns_track(tlsdiag_multi_t *m, slot_t *s) {
  int now = s->c && td_check_in_dns(s->c);
  if (now == s->in_dns) return;
  s->in_dns = now;
  if (now) m->ndns++;
  else m->ndns--;
}

/* A check leaving its slot (delivered, or abandoned by free). */
static void dns_untrack(tlsdiag_multi_t *m, slot_t *s) {
  if (s->in_dns) m->ndns--;
  s->in_dns = 0;
}

void tlsdiag_multi_free(tlsdiag_multi_t *m) {
  if (!m) return;
  for (size_t i = 0; i < m->running; i++) {
    dns_untrack(m, &m->slots[i]);
    td_check_free(m->slots[i].c);
    free(m->slots[i].job);
  }
  for (job_t *j = m->qhead, *next; j; j = next) {
    next = j->next;
    free(j);
  }
  /* Only after every check that borrowed them is gone. */
  td_shared_free(m->sh);
  td_gate_free(m->gate);
  free(m->slots);
  free(m->owner);
  free(m->pfd);
  free(m);
}

size_t tlsdiag_multi_pending(const tlsdiag_multi_t *m) {
  return m ? m->queued + m->running : 0;
}

/* ---- adding ------------------------------------------------------------ */

static size_t slen(const char *s) { return s ? strlen(s) + 1 : 0; }

/* Copies s into the job's block at *pos; NULL stays NULL. */
static char *put(char **pos, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = memcpy(*pos, s, n);
  *pos += n;
  return d;
}

/* Entries in a NULL-terminated list (NULL: none), and their bytes. */
static size_t list_count(const char *const *l, size_t *bytes) {
  size_t n = 0;
  for (; l && l[n]; n++) *bytes += slen(l[n]);
  return n;
}

/* Copies a list of n strings into slots (n + 1 of them) and pos. */
static const char *const *put_list(char ***slots, char **pos,
                                   const char *const *l, size_t n) {
  if (!l) return NULL;
  char **out = *slots;
  for (size_t i = 0; i < n; i++) out[i] = put(pos, l[i]);
  out[n] = NULL;
  *slots += n + 1;
  return (const char *const *)out;
}

static job_t *job_new(const char *host, const tlsdiag_options_t *o) {
  size_t bytes = slen(host);
  size_t npins = list_count(o->resolve, &bytes);
  size_t nconn = list_count(o->connect_to, &bytes);
  bytes += slen(o->sni) + slen(o->cafile) + slen(o->capath) +
           slen(o->dns_servers) + slen(o->http_method) + slen(o->http_path) +
           slen(o->keylog_file) + slen(o->client_cert) +
           slen(o->client_key) + slen(o->client_cert_password) +
           slen(o->trust_source);
  size_t nslots = (o->resolve ? npins + 1 : 0) +
                  (o->connect_to ? nconn + 1 : 0);
  job_t *j = calloc(1, sizeof(*j) + nslots * sizeof(char *) + bytes);
  if (!j) return NULL;
  char **slots = (char **)(void *)(j + 1);
  char *pos = (char *)(j + 1) + nslots * sizeof(char *);
  j->o = *o;
  j->host = put(&pos, host);
  j->o.sni = put(&pos, o->sni);
  j->o.cafile = put(&pos, o->cafile);
  j->o.capath = put(&pos, o->capath);
  j->o.dns_servers = put(&pos, o->dns_servers);
  j->o.http_method = put(&pos, o->http_method);
  j->o.http_path = put(&pos, o->http_path);
  j->o.keylog_file = put(&pos, o->keylog_file);
  j->o.client_cert = put(&pos, o->client_cert);
  j->o.client_key = put(&pos, o->client_key);
  j->o.client_cert_password = put(&pos, o->client_cert_password);
  j->o.trust_source = put(&pos, o->trust_source);
  j->o.resolve = put_list(&slots, &pos, o->resolve, npins);
  j->o.connect_to = put_list(&slots, &pos, o->connect_to, nconn);
  return j;
}

tlsdiag_err_t tlsdiag_multi_add(tlsdiag_multi_t *m, const char *host,
                                const tlsdiag_options_t *opts, void *user) {
  if (!m || !host) return TLSDIAG_E_INVAL;
  tlsdiag_options_t def;
  opts = td_options_import(opts, &def); /* older callers, NULL */
  /* The same validation as tlsdiag_check, at add time, so that the error
   * goes to the caller rather than to the callback as a failed check. */
  tlsdiag_err_t err = td_options_validate(host, opts, NULL, 0);
  if (err) return err;
  td_trust_t *trust = NULL; /* a store the user named: loaded (and judged)
                               now; the system's on the first handshake */
  if ((err = td_shared_trust(m->sh, opts, &trust))) return err;
  job_t *j = job_new(host, opts);
  if (!j) return TLSDIAG_E_NOMEM;
  j->user = user;
  if (m->qtail) m->qtail->next = j;
  else m->qhead = j;
  m->qtail = j;
  m->queued++;
  return TLSDIAG_OK;
}

/* ---- running ----------------------------------------------------------- */

/* A check that could not even start (out of memory, in practice) still
 * gets its one callback, with a result that says so. */
static tlsdiag_result_t *start_failure(const job_t *j, tlsdiag_err_t err) {
  tlsdiag_result_t *r = td_result_new();
  if (!r) return NULL;
  r->host = td_strdup(j->host);
  r->ace_host = td_strdup(j->host);
  r->sni = td_strdup(j->o.sni ? j->o.sni : "");
  r->port = j->o.port;
  r->tls_min = j->o.tls_min;
  r->tls_max = j->o.tls_max;
  r->warn_days = j->o.warn_days;
  r->crit_days = j->o.crit_days;
  r->started_wall = td_wall_now();
  r->now = j->o.now ? j->o.now : r->started_wall;
  r->clock_overridden = j->o.now != 0;
  if (td_finding_add(r, TLSDIAG_CAUSE_TCP_FAILURE, TLSDIAG_SEVERITY_ERROR,
                     "the check could not start: %s", tlsdiag_strerror(err)))
    r->cause = TLSDIAG_CAUSE_TCP_FAILURE;
  return r;
}

static void deliver(tlsdiag_multi_t *m, job_t *j, tlsdiag_result_t *r) {
  void *user = j->user;
  free(j);
  m->cb(r, user, m->cb_data);
}

static tlsdiag_err_t grow_slots(tlsdiag_multi_t *m) {
  if (m->running < m->cap) return TLSDIAG_OK;
  size_t cap = m->cap ? m->cap * 2 : 16;
  if (cap > alive_max(m)) cap = alive_max(m);
  slot_t *s = realloc(m->slots, cap * sizeof(*s));
  if (!s) return TLSDIAG_E_NOMEM;
  m->slots = s;
  m->cap = cap;
  return TLSDIAG_OK;
}

/* Starts queued checks while there is room; those that fail to start are
 * delivered at once. */
static void start_queued(tlsdiag_multi_t *m) {
  m->dns_full = 0;
  while (m->qhead && m->running < alive_max(m)) {
    if (m->ndns >= TD_MULTI_DNS_MAX) {
      m->dns_full = 1; /* a lookup that ends lets the next one start */
      return;
    }
    if (grow_slots(m)) return; /* retried on the next call */
    job_t *j = m->qhead;
    td_check_t *c = NULL;
    tlsdiag_err_t err = td_check_new_shared(j->host, &j->o, m->sh, &c);
    if (err == TLSDIAG_E_NOMEM && m->running > 0) return; /* wait for room */
    m->qhead = j->next;
    if (!m->qhead) m->qtail = NULL;
    m->queued--;
    j->next = NULL;
    if (err) {
      deliver(m, j, start_failure(j, err));
      continue;
    }
    slot_t *s = &m->slots[m->running++];
    s->nfds = s->nrev = 0;
    s->job = j;
    s->c = c;
    s->serial = m->next_serial++;
    s->deadline = td_check_deadline(c);
    s->in_dns = 0;
    dns_track(m, s);
  }
}

size_t td_multi_in_dns(const tlsdiag_multi_t *m) { return m ? m->ndns : 0; }

size_t td_multi_in_dns_walk(const tlsdiag_multi_t *m) {
  size_t n = 0;
  for (size_t i = 0; m && i < m->running; i++)
    if (td_check_in_dns(m->slots[i].c)) n++;
  return n;
}

/* Delivers every finished check; slots stay dense (the last one moves into
 * the hole), so indices are only valid until the next reap. */
static void reap(tlsdiag_multi_t *m) {
  size_t i = 0;
  while (i < m->running) {
    slot_t *s = &m->slots[i];
    if (!td_check_done(s->c)) {
      i++;
      continue;
    }
    tlsdiag_result_t *r = td_check_take_result(s->c);
    dns_untrack(m, s);
    td_check_free(s->c);
    job_t *j = s->job;
    if (i != m->running - 1) *s = m->slots[m->running - 1];
    m->running--;
    deliver(m, j, r);
  }
}

static tlsdiag_err_t own_fd(tlsdiag_multi_t *m, int fd, size_t slot,
                            uint64_t serial) {
  if (fd < 0) return TLSDIAG_OK;
  if ((size_t)fd >= m->nowner) {
    size_t n = m->nowner ? m->nowner : 64;
    while (n <= (size_t)fd) n *= 2;
    fd_owner_t *o = realloc(m->owner, n * sizeof(*o));
    if (!o) return TLSDIAG_E_NOMEM;
    memset(o + m->nowner, 0, (n - m->nowner) * sizeof(*o));
    m->owner = o;
    m->nowner = n;
  }
  m->owner[fd].slot = slot;
  m->owner[fd].serial = serial;
  return TLSDIAG_OK;
}

size_t tlsdiag_multi_fds(tlsdiag_multi_t *m, struct pollfd *fds, size_t max) {
  if (!m || !fds) return 0;
  /* The engine's DNS sockets first, once for all its checks. */
  size_t n = td_dns_engine_fds(td_shared_dns_engine(m->sh), fds,
                               max < DNS_FDS ? max : DNS_FDS);
  for (size_t k = 0; k < n; k++)
    if (own_fd(m, fds[k].fd, 0, DNS_SERIAL)) return k;
  for (size_t i = 0; i < m->running; i++) {
    slot_t *s = &m->slots[i];
    s->nfds = td_check_fds(s->c, s->fds, SLOT_FDS);
    s->deadline = td_check_deadline(s->c);
    for (size_t k = 0; k < s->nfds; k++) {
      if (n == max) return n;
      if (own_fd(m, s->fds[k].fd, i, s->serial)) return n;
      fds[n++] = s->fds[k];
    }
  }
  return n;
}

int tlsdiag_multi_timeout_ms(tlsdiag_multi_t *m) {
  if (!m || (!m->running && !m->queued)) return -1;
  if (m->queued && m->running < alive_max(m) && !m->dns_full) return 0;
  int64_t now = td_mono_us(), soonest = INT64_MAX;
  int64_t dns = td_dns_engine_timeout_us(td_shared_dns_engine(m->sh));
  if (dns >= 0) soonest = now + dns;
  for (size_t i = 0; i < m->running; i++)
    if (m->slots[i].deadline < soonest) soonest = m->slots[i].deadline;
  if (soonest <= now) return 0;
  if (soonest == INT64_MAX) return 1000; /* held only: not expected */
  int64_t ms = (soonest - now + 999) / 1000;
  return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Hands each poll result to the check that asked for its descriptor. */
static void gather(tlsdiag_multi_t *m, const struct pollfd *fds, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int fd = fds[i].fd;
    if (!fds[i].revents || fd < 0 || (size_t)fd >= m->nowner) continue;
    fd_owner_t *o = &m->owner[fd];
    if (o->serial == DNS_SERIAL) {
      if (m->ndnsrev < DNS_FDS) m->dnsrev[m->ndnsrev++] = fds[i];
      continue;
    }
    if (!o->serial || o->slot >= m->running) continue;
    slot_t *s = &m->slots[o->slot];
    if (s->serial != o->serial || s->nrev == SLOT_FDS) continue;
    for (size_t k = 0; k < s->nfds; k++)
      if (s->fds[k].fd == fd) {
        s->rev[s->nrev++] = fds[i];
        break;
      }
  }
}

tlsdiag_err_t tlsdiag_multi_process(tlsdiag_multi_t *m,
                                    const struct pollfd *fds, size_t n) {
  if (!m || (n && !fds)) return TLSDIAG_E_INVAL;
  if (m->busy) return TLSDIAG_E_INVAL; /* called from a callback */
  m->busy = 1;
  m->ndnsrev = 0;
  gather(m, fds, n);
  /* The channel first: its callbacks mark the checks it answered. */
  td_dns_engine_process(td_shared_dns_engine(m->sh), m->dnsrev, m->ndnsrev);
  int64_t now = td_mono_us();
  for (size_t i = 0; i < m->running; i++) {
    slot_t *s = &m->slots[i];
    if (s->nrev == 0 && s->deadline > now && !td_check_dns_answered(s->c))
      continue;
    td_check_step(s->c, s->rev, s->nrev);
    dns_track(m, s);
    s->nrev = 0;
    s->nfds = 0; /* the step may have closed them */
    s->serial = m->next_serial++;
    if (!td_check_done(s->c)) s->deadline = td_check_deadline(s->c);
  }
  /* Reaping frees room, starting may finish checks at once (a refused
   * loopback port): repeat until neither changes anything. */
  size_t before, released;
  do {
    before = m->queued + m->running;
    reap(m);
    released = release_held(m); /* they may end at once, too */
    start_queued(m);
  } while (m->queued + m->running != before || released);
  m->busy = 0;
  return TLSDIAG_OK;
}

tlsdiag_err_t tlsdiag_multi_run(tlsdiag_multi_t *m) {
  if (!m) return TLSDIAG_E_INVAL;
  if (m->busy) return TLSDIAG_E_INVAL;
  while (m->running || m->queued) {
    size_t want = (size_t)m->running * 2 + 16;
    if (m->pfd_cap < want) {
      struct pollfd *p = realloc(m->pfd, want * sizeof(*p));
      if (!p) return TLSDIAG_E_NOMEM;
      m->pfd = p;
      m->pfd_cap = want;
    }
    size_t n = tlsdiag_multi_fds(m, m->pfd, m->pfd_cap);
    if (n == m->pfd_cap) { /* a resolver with many sockets: grow, retry */
      size_t cap = m->pfd_cap * 2;
      struct pollfd *p = realloc(m->pfd, cap * sizeof(*p));
      if (!p) return TLSDIAG_E_NOMEM;
      m->pfd = p;
      m->pfd_cap = cap;
      continue;
    }
    int timeout = tlsdiag_multi_timeout_ms(m);
    int rc = poll(m->pfd, (nfds_t)n, timeout);
    if (rc < 0 && errno != EINTR && errno != EAGAIN) {
      /* poll itself failed (too many descriptors for RLIMIT_NOFILE):
       * every check still ends by its own deadline. */
      poll(NULL, 0, timeout < 0 || timeout > 50 ? 50 : timeout);
    }
    tlsdiag_err_t err = tlsdiag_multi_process(m, m->pfd, rc > 0 ? n : 0);
    if (err) return err;
  }
  return TLSDIAG_OK;
}
