/* check.h: one check as a non-blocking state machine. tlsdiag_check() is a
 * poll() loop over it; a concurrent engine runs many in one loop. */
#ifndef TD_CHECK_H
#define TD_CHECK_H

#include <gnutls/gnutls.h>
#include <poll.h>

#include "engine.h"
#include "internal.h"

typedef struct td_check td_check_t;

/* Validates the host and options and starts the check (it may already be
 * done on return, e.g. a refused connection to a literal address). */
tlsdiag_err_t td_check_new(const char *host, const tlsdiag_options_t *opts,
                           td_check_t **out);
/* The same within an engine: sh's trust store, caches and gate are used
 * (sh outlives the check). */
tlsdiag_err_t td_check_new_shared(const char *host,
                                  const tlsdiag_options_t *opts,
                                  td_shared_t *sh, td_check_t **out);
/* A fetch (tlsdiag_fetch): the request is sent only when the server's
 * certificate verifies (chain, name, dates); a 200 response's body is then
 * read (Content-Length, chunked or until close), at most body_max bytes,
 * and kept for td_check_take_body. The flags NO_HTTP, RESUME and
 * EARLY_DATA are ignored. */
tlsdiag_err_t td_check_new_fetch(const char *host,
                                 const tlsdiag_options_t *opts,
                                 size_t body_max, td_check_t **out);
int td_check_done(const td_check_t *c);
/* 1 while the check waits in DNS and its engine's channel has answered:
 * the engine steps it without a poll event or a deadline. */
int td_check_dns_answered(const td_check_t *c);
/* 1 while the check waits for its DNS lookup (it holds a resolver). */
int td_check_in_dns(const td_check_t *c);
/* The descriptors to wait for (up to max); 0 when nothing (then only the
 * deadline matters). */
size_t td_check_fds(td_check_t *c, struct pollfd *fds, size_t max);
/* Monotonic microseconds by which td_check_step must be called. */
int64_t td_check_deadline(td_check_t *c);
/* Advances with the poll results for the descriptors td_check_fds gave. */
void td_check_step(td_check_t *c, const struct pollfd *fds, size_t nfds);
/* Hands over the finished result (once). */
tlsdiag_result_t *td_check_take_result(td_check_t *c);
/* A fetch's body once it arrived whole (malloc'd, NUL-terminated, the NUL
 * not counted in *len; the caller frees it), else NULL. Once. */
unsigned char *td_check_take_body(td_check_t *c, size_t *len);
/* Drives c with poll() until it is done (bounded by its max_time). */
void td_check_run(td_check_t *c);
void td_check_free(td_check_t *c);

/* ==== Inside a check =====================================================
 * The rest is private to the check's own modules: check.c (the order of
 * the phases, the deadlines, the probe and retry decisions, DNS, the
 * politeness gate and the TLS handshake), race.c (the TCP connections,
 * raced as Happy Eyeballs v2), check_http.c (the request and response on
 * the session), probe.c (the version probe after a refused handshake) and
 * resume.c (the second connection: resumption and 0-RTT). Each module
 * owns its part of td_check and its sub-states; check.c moves between
 * them through the start and step functions below. A new layer (HTTP/2)
 * is a new module with its own part and state. */

/* Where the check is; each module keeps its own sub-state. */
typedef enum {
  TD_CHECK_DNS,
  TD_CHECK_TCP,
  TD_CHECK_TLS,
  TD_CHECK_HTTP,   /* check_http.c: td_check_http_t.st */
  TD_CHECK_PROBE,  /* probe.c: td_check_probe_t.tls */
  TD_CHECK_RESUME, /* resume.c: td_check_resume_t.tls */
  TD_CHECK_AIA,    /* aia.c: td_check_aia_t.st */
  TD_CHECK_HELD,   /* its DNS answered, waiting for one of the engine's
                      connection slots (td_hold_t): no descriptor, no
                      timer, its deadlines stopped */
  TD_CHECK_DONE
} td_check_state_t;

/* check_http.c: one request and its response on the session. */
typedef enum {
  TD_HTTP_IO_SEND, /* writing the request */
  TD_HTTP_IO_HEAD, /* reading the response head */
  TD_HTTP_IO_BODY  /* a fetch: reading a 200 response's body */
} td_http_io_t;

typedef struct td_check_http {
  td_http_io_t st;
  char *req;
  size_t req_len, req_off;
  td_buf_t in; /* the response head as read */

  /* a fetch: the body of a 200 response, at most body_max bytes */
  int fetch;
  size_t body_max;
  td_body_kind_t body_kind;
  uint64_t body_expect;  /* TD_BODY_LENGTH: Content-Length */
  td_chunked_t *chunked; /* TD_BODY_CHUNKED: the decoder */
  td_buf_t body;
  int body_done; /* the whole body arrived */
  struct td_h2 *h2; /* http2.c: the exchange when ALPN chose h2, or NULL */
  char *hosthdr;    /* the Host (:authority) sent, for a second request */
  size_t stale;     /* after a refused HEAD: bytes of a body the server
                       may still send it (its Content-Length), skipped
                       before the GET's status line */
} td_check_http_t;

/* probe.c: one connection per version, newest first. */
typedef struct td_check_probe {
  int idx; /* index into r->probes (3 = TLS1.3 ... 0 = TLS1.0) */
  int tls; /* 0 connecting, 1 in the handshake */
  int proxy; /* the PROXY header probe is running (not the versions) */
  int then_versions; /* after it, the version probe (if it found none) */
  int browser; /* the browser-offer probe is running */
  int then_resume; /* after it, the resumption (td_resume_start) */
  int dflt; /* the handshake without SNI (the default certificate) */
} td_check_probe_t;

/* race.c: the TCP phase as RFC 8305 (Happy Eyeballs v2) races it. */
#define TD_RACE_MAX 8        /* attempts in flight at once, at most */

typedef struct td_race_conn {
  int fd;
  size_t attempt;  /* index into r->attempts */
  int64_t start;   /* monotonic us */
} td_race_conn_t;

typedef struct td_check_race {
  size_t *order;   /* indexes into r->addrs: IPv6 first, then the
                      families alternating */
  size_t norder;
  size_t next;     /* the next of order to start */
  td_race_conn_t pend[TD_RACE_MAX];
  size_t npend;
  int64_t next_start; /* when the next attempt starts (monotonic us) */
} td_check_race_t;

/* resume.c: the first session, presented again on a second connection. */
typedef struct td_check_resume {
  gnutls_datum_t data; /* the first session, to resume */
  int64_t hs_start;
  int tls; /* 0 connecting, 1 in the handshake */
} td_check_resume_t;

/* aia.c: the missing issuer over plain HTTP, on its own connection. */
typedef enum {
  TD_AIA_ST_WAIT, /* another check fetches the same URL: wait for it */
  TD_AIA_ST_DNS,
  TD_AIA_ST_TCP,
  TD_AIA_ST_SEND,
  TD_AIA_ST_RECV
} td_aia_st_t;

typedef struct td_check_aia {
  int ran;          /* started once; never again */
  td_aia_st_t st;
  char *host, *path, *key; /* the URL's host and path; the cache key */
  char *conn_host;  /* where to connect (after connect_to) */
  uint16_t conn_port;
  td_resolver_t *rs;
  char **addrs;
  size_t naddrs, idx;
  char *req;
  size_t req_len, req_off;
  td_buf_t in;
  int64_t start, deadline;
  int owner;        /* this check holds the cache entry's pending mark */
  td_aia_cache_t *cache; /* the engine's (borrowed) */
} td_check_aia_t;

struct td_check {
  tlsdiag_result_t *r;
  /* options we need after start, copied so the caller's may go away */
  int connect_timeout_ms;
  int race_delay_ms; /* options' happy_eyeballs_timeout_ms */
  unsigned flags;
  int offer_h2; /* ALPN offers "h2" before "http/1.1" (http2.c speaks it) */
  int family;
  int (*filter)(const char *addr, uint16_t port, void *data); /* options' */
  void *filter_data;
  char *dns_servers;

  int64_t t0;             /* monotonic start, us */
  int64_t deadline_total; /* t0 + max_time */
  int64_t deadline;       /* current wait's deadline */
  td_check_state_t st;

  td_resolver_t *rs;
  int fd;
  int want; /* POLLIN / POLLOUT for fd */
  int64_t attempt_start;

  td_shared_t *sh;   /* the engine's trust stores and caches */
  int sh_own;        /* made for this check alone (tlsdiag_check) */
  td_trust_t *trust; /* in sh: the options' trust store */
  gnutls_certificate_credentials_t cred; /* trust's, set by the first
                                            handshake (loaded then) */
  int64_t queued_us; /* time spent waiting for the politeness gate and
                        for an engine connection slot (held) */
  td_hold_t *hold;   /* the engine's connection slots (sh's), or NULL */
  int hold_slot;     /* this check counts in hold->past */
  int64_t held_since; /* TD_CHECK_HELD since (monotonic us) */
  struct td_check *held_next; /* the hold's FIFO */
  int64_t gate_since; /* waiting since (monotonic us), 0: not waiting */
  char *gate_addr;   /* the address held in the gate, or NULL */
  unsigned gate_tries; /* times refused in a row (the retry backs off) */
  gnutls_session_t sess;
  td_tls_hook_t hook;
  struct td_kscap *kscap; /* the current connection's records and secrets
                             (keysched.h); proven and freed at close */
  td_clientcert_t *clientcert; /* options' client certificate, or NULL */
  td_tls_peek_t peek; /* the server's first record (first handshake and
                         each probe) */
  char *priority;

  td_check_http_t http;
  td_check_probe_t probe;
  td_check_resume_t resume;
  td_check_race_t race;
  td_check_aia_t aia;
  char **resolve;    /* copies of the options' resolve pins and */
  char **connect_to; /* connect_to rules, for the AIA fetch */
};

/* ---- DNS look-ahead: an engine's connection slots ----------------------
 * An engine that looks DNS up ahead keeps more checks alive than it lets
 * connect: at most max are past their DNS phase (connecting, TLS, HTTP,
 * probes, resumption, AIA) at once. A check whose lookup succeeded when
 * all max are taken is held (TD_CHECK_HELD) in a FIFO until one ends; the
 * engine (multi.c) releases held checks oldest first. Owned by the engine;
 * its checks borrow it through td_shared_hold. One thread. */
struct td_hold {
  unsigned max;   /* checks past DNS at once (the engine's in flight) */
  unsigned past;  /* past DNS now: slots taken */
  td_check_t *head, *tail; /* held, oldest first (td_check.held_next) */
  size_t nheld;
};
/* multi.c. For check.c, when c is about to connect: c takes a slot (1)
 * or, all taken or others held before it, joins the FIFO (0). */
int td_hold_enter(td_hold_t *h, td_check_t *c);
/* For check.c: a check past DNS ended (done or freed): its slot is
 * free. */
void td_hold_leave(td_hold_t *h);
/* For the engine: the oldest held check, out of the FIFO and given a
 * slot (NULL when none is held or no slot is free); the engine goes on
 * with td_check_unhold. */
td_check_t *td_hold_next(td_hold_t *h);
/* A held check given its slot: the time held is added to queued_ms and
 * to its deadlines, then it connects (through the politeness gate). It
 * may be done on return. */
void td_check_unhold(td_check_t *c);

/* ---- check.c: what the modules share ----------------------------------- */
/* Milliseconds since the check started (for events and phases). */
double td_check_now_ms(const td_check_t *c);
void td_check_phase_begin(td_check_t *c, tlsdiag_phase_t p);
void td_check_phase_end(td_check_t *c, tlsdiag_phase_t p,
                        tlsdiag_status_t st, const char *error);
/* The current wait ends connect_timeout after `from` (monotonic us), and
 * never after the check's own deadline. */
void td_check_arm(td_check_t *c, int64_t from);
/* Waits in the direction GnuTLS asks for. */
void td_check_tls_wait(td_check_t *c);
/* One handshake step on c->sess: GNUTLS_E_AGAIN while it waits (the
 * direction set), else 0 or a fatal GnuTLS error. */
int td_check_handshake(td_check_t *c);
/* Closes the session and the socket, if any. */
void td_check_close_conn(td_check_t *c);
/* AF_INET6 for an address with a colon, else AF_INET. */
int td_check_addr_family(const char *addr);
/* A new connection to the address that took the first one, for the probe
 * or resumption (st): the socket in c->fd, then a wait for POLLOUT until
 * connect_timeout after c->attempt_start. 1 if already connected, 0 if
 * pending, -1 (*err = errno) if it failed. */
int td_check_reconnect(td_check_t *c, td_check_state_t st, int *err);
/* The TCP phase won (c->fd connected): the handshake starts. */
void td_check_tls_start(td_check_t *c);
/* The HTTP phase ended (its status recorded): resumption or the end. */
void td_check_http_over(td_check_t *c);
/* Classifies and marks the check done. */
void td_check_finish(td_check_t *c);

/* ---- check_http.c ------------------------------------------------------ */
void td_check_http_init(td_check_http_t *h, int fetch, size_t body_max);
/* After a final response head is stored: when it is a 405 or 501 to our
 * HEAD on a connection that stays open, switches the request to GET (the
 * result's method and request line, an event), forgets the head and
 * returns 1: the caller sends the GET on the same connection. 0
 * otherwise (the head is the answer). Once per check. */
int td_check_http_head_refused(td_check_t *c);
void td_check_http_free(td_check_http_t *h);
/* After the handshake: builds and sends the request. */
void td_check_http_start(td_check_t *c);
void td_check_http_step(td_check_t *c, int revents, int timed_out);
/* For http2.c, the HTTP/1.1 path's endings: the phase's status, error
 * and cause, then resumption or the end; a fetch's body refused (the
 * received bytes counted and dropped) or complete. */
void td_check_http_done(td_check_t *c, tlsdiag_status_t st, const char *err,
                        tlsdiag_cause_t why);
void td_check_http_body_failed(td_check_t *c, tlsdiag_cause_t why,
                               const char *fmt, ...) TD_PRINTF(3, 4);
void td_check_http_body_finished(td_check_t *c);

/* ---- race.c ------------------------------------------------------------ */
/* The order of r->addrs to try (RFC 8305 4: IPv6 first, then alternating
 * families); TLSDIAG_E_NOMEM without memory. The first to try, or NULL
 * when there is none, in *first. */
tlsdiag_err_t td_race_init(td_check_t *c, const char **first);
/* Starts the race: a new attempt every race_delay_ms while earlier ones
 * are pending, or at once when one fails; each attempt has its own
 * connect_timeout_ms, all of them the check's max_time. The first to
 * connect wins (td_check_tls_start), the others are closed and recorded
 * "abandoned"; when none is left the TCP phase has failed (the check
 * finishes). */
void td_race_start(td_check_t *c);
size_t td_race_fds(td_check_t *c, struct pollfd *fds, size_t max);
int64_t td_race_deadline(const td_check_t *c);
void td_race_step(td_check_t *c, const struct pollfd *fds, size_t nfds);
void td_race_free(td_check_race_t *rc);

/* ---- probe.c ----------------------------------------------------------- */
/* Which versions the server accepts, on the address that took the
 * connection; finishes the check when done. */
void td_probe_start(td_check_t *c);
/* Before (then_versions) or instead of the version probe: whether the
 * server answers TLS after a PROXY protocol header (r->proxy_probe). */
void td_probe_proxy_start(td_check_t *c, int then_versions);
void td_probe_step(td_check_t *c, int revents, int timed_out);
/* After a completed first connection: when it settled on something
 * Chrome does not offer (td_browser_lacks), one handshake offering what
 * Chrome offers (r->bprobe); then the resumption (then_resume) or the
 * end. Returns 0 when no probe is wanted (the caller
 * goes on), 1 when it started (it goes on itself). */
int td_probe_browser_start(td_check_t *c, int then_resume);
/* Before it: after a name mismatch with SNI sent, one handshake without
 * SNI, whose leaf tells whether the server answered with its default
 * certificate (r->sni_default); then td_probe_browser_start, and the
 * resumption or the end. 0 when not wanted, 1 when started. */
int td_probe_default_start(td_check_t *c, int then_resume);

/* ---- resume.c ---------------------------------------------------------- */
/* Keeps the session (and its ticket's lifetime) before the first
 * connection closes. */
void td_resume_save(td_check_t *c);
/* The second connection; finishes the check when done. */
void td_resume_start(td_check_t *c);
void td_resume_step(td_check_t *c, int revents, int timed_out);
void td_resume_free(td_check_resume_t *rs);

/* ---- aia.c ------------------------------------------------------------- */
/* Before the check finishes: 1 if an issuer is missing and the AIA fetch
 * started (it finishes the check when done), else 0 (r->aia.outcome says
 * why not). */
int td_aia_start(td_check_t *c);
size_t td_aia_fds(td_check_t *c, struct pollfd *fds, size_t max);
int64_t td_aia_deadline(td_check_t *c);
void td_aia_step(td_check_t *c, const struct pollfd *fds, size_t nfds);
void td_aia_free(td_check_aia_t *a);

#endif
