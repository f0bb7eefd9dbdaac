/* engine.h: internal interfaces of the network modules (resolve, connect,
 * tls, verify) that check.c drives. Not installed; foreign types allowed. */
#ifndef TD_ENGINE_H
#define TD_ENGINE_H

#include <ares.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <poll.h>

#include "internal.h"

/* certcache.c (below): the certificates an engine has parsed. */
typedef struct td_cert_cache td_cert_cache_t;

/* ---- resolve.c --------------------------------------------------------- */
/* A resolve pin "HOST:PORT:ADDR[,ADDR...]" (ADDR may be [v6]). */
typedef struct td_pin {
  char *host; /* lowercase */
  uint16_t port;
  char **addrs;
  size_t naddrs;
} td_pin_t;

tlsdiag_err_t td_pin_parse(const char *spec, td_pin_t *pin);
void td_pin_clear(td_pin_t *pin);
/* Validates an "ADDR[:PORT],..." DNS server list. */
tlsdiag_err_t td_dns_servers_check(const char *csv);

typedef struct td_resolver td_resolver_t;
/* Starts an A+AAAA lookup of `name` on a channel of its own (one-off
 * lookups: AIA, plain HTTP; checks use their engine's channel).  `servers` NULL means the system's
 * resolv.conf. family: AF_UNSPEC, AF_INET or AF_INET6. */
tlsdiag_err_t td_resolver_start(const char *name, const char *servers,
                                int family, int timeout_ms,
                                td_resolver_t **out);
/* Adds the resolver's sockets to fds (up to max); returns how many. */
size_t td_resolver_fds(td_resolver_t *rs, struct pollfd *fds, size_t max);
/* Microseconds until c-ares wants to be called for its own timers. */
int64_t td_resolver_timeout_us(td_resolver_t *rs);
/* Processes ready sockets (revents from poll) and timers. */
void td_resolver_process(td_resolver_t *rs, const struct pollfd *fds,
                         size_t nfds);
/* 1 when finished. Then status (ARES_*), and addresses. A resolver on an
 * engine channel has no fds or timeout of its own (the engine's). */
int td_resolver_done(const td_resolver_t *rs);
int td_resolver_status(const td_resolver_t *rs);
size_t td_resolver_count(const td_resolver_t *rs);
const char *td_resolver_addr(const td_resolver_t *rs, size_t i, int *family);
/* NULL ok. Pending on an engine channel: cancelled (the callback frees). */
void td_resolver_free(td_resolver_t *rs);

/* ---- connect.c --------------------------------------------------------- */
/* Starts a non-blocking connect. Returns the socket (>= 0) with *done set
 * to 1 if already connected, or -1 with *err = errno. */
int td_tcp_start(const char *addr, int family, uint16_t port, int *done,
                 int *err);
/* After POLLOUT: 0 if connected, else the socket error (errno value). */
int td_tcp_finish(int fd);
/* Short name of an errno value ("ECONNREFUSED"), never NULL. */
const char *td_errno_name(int err);
/* "addr:port" of the local end of fd, or NULL. */
char *td_tcp_local(int fd);

/* ---- tls.c ------------------------------------------------------------- */
/* Credentials: trust store from opts (system by default), time checks
 * disabled so dates are judged against our own clock. *roots (may be NULL)
 * gets how many certificates the store gave GnuTLS (0 for an empty system
 * store). */
tlsdiag_err_t td_tls_cred_new(const tlsdiag_options_t *o,
                              gnutls_certificate_credentials_t *out,
                              int *roots);
/* Priority string for a version range. `broad` adds every cipher, MAC,
 * key exchange and group GnuTLS knows (used by the version probe). */
char *td_tls_priority(tlsdiag_tls_version_t min, tlsdiag_tls_version_t max,
                      int broad);
/* Where handshake-message events go: r's timeline, times relative to t0
 * (monotonic microseconds). The caller owns it; it must outlive the
 * session. */
typedef struct td_tls_hook {
  tlsdiag_result_t *r;
  int64_t t0;
  int keylog_fd;   /* >= 0: append NSS key log lines here */
  const struct td_clientcert *cc; /* the client certificate to present
                                     when asked, or NULL */
  struct td_kscap *cap; /* the current connection's records and secrets
                           go here (keysched.h), or NULL */
  int fd;               /* the session's socket (set by td_tls_session_new) */
} td_tls_hook_t;

/* A client session on fd, OCSP status requested, no ALPN yet
 * (td_tls_set_alpn, once), with the priorities pc (td_shared_priority;
 * borrowed, it must outlive the session) or, when pc is NULL, the string
 * priority. hook may be
 * NULL (no events, no key log). With hook->cap, every byte read and written
 * and every secret also goes to that capture. init_flags are extra gnutls_init flags
 * (GNUTLS_ENABLE_EARLY_DATA). Returns 0 or a GnuTLS error. */
int td_tls_session_new(gnutls_certificate_credentials_t cred, int fd,
                       const char *sni, const char *priority,
                       gnutls_priority_t pc, td_tls_hook_t *hook,
                       unsigned init_flags, gnutls_session_t *out);
/* The ALPN list offered: "h2", "http/1.1" (h2 nonzero) or "http/1.1"
 * alone. Call once per session, before the handshake. */
void td_tls_set_alpn(gnutls_session_t s, int h2);
/* After a completed handshake: version, cipher, group, ALPN, chain (its
 * certificates parsed through the engine's cache cc; NULL: none). */
void td_tls_collect(tlsdiag_result_t *r, gnutls_session_t s,
                    td_cert_cache_t *cc);
/* The largest handshake message (so: certificate list) we accept. GnuTLS's
 * default, 128 KiB, is below what some sites send; browsers accept up to
 * 100 KiB (BoringSSL, and OpenSSL for curl: SSL_MAX_CERT_LIST_DEFAULT), so
 * we read more and report the size as a finding instead. */
#define TD_TLS_MAX_HANDSHAKE (1024 * 1024)
/* The first bytes the server sent on a session: its first record's content
 * type and, when that record is an alert, the alert (-1 otherwise). A TLS
 * alert record proves a TLS server even when GnuTLS reports a version
 * error. Owned by the caller; it must outlive the session. */
typedef struct td_tls_peek {
  int fd;
  struct td_kscap *cap; /* the session hook's capture, or NULL */
  unsigned char hdr[11];
  size_t seen;
} td_tls_peek_t;
/* Reads the session's socket through pk (the fd given at creation). */
void td_tls_peek_install(gnutls_session_t s, td_tls_peek_t *pk, int fd);
/* The first record's content type (0 if none yet) and alert (-1). */
int td_tls_peek_type(const td_tls_peek_t *pk);
int td_tls_peek_alert(const td_tls_peek_t *pk);
/* A first record carrying a ServerHello: its version (0x0301 = TLS 1.0),
 * else 0. */
int td_tls_peek_hello_version(const td_tls_peek_t *pk);
/* After GnuTLS aborted the handshake with err: when err is about the
 * server's certificate (it arrived, GnuTLS refused it), keeps the chain,
 * the leaf's keyUsage and the key exchange in r and returns 1. */
int td_tls_keep_refused_chain(tlsdiag_result_t *r, gnutls_session_t s,
                              int err);
/* After a failed handshake: error name/text and any alert. */
void td_tls_record_error(tlsdiag_result_t *r, gnutls_session_t s, int err);
/* RFC name of a TLS alert ("handshake_failure"); valid until the next call
 * in the same thread. */
const char *td_tls_alert_name(int alert);

/* ---- clientcert.c ----------------------------------------------------- */
/* A client certificate loaded from the options (client_cert, client_key,
 * client_cert_password), ready to hand to GnuTLS. */
typedef struct td_clientcert {
  gnutls_pcert_st *pcert;
  unsigned npcert;
  gnutls_privkey_t key;
  char *subject, *issuer;
  int64_t not_before, not_after;
  gnutls_datum_t issuer_dn; /* DER of the leaf's issuer name */
} td_clientcert_t;

/* Loads o's client certificate: *out NULL when none is set. Errors
 * (TLSDIAG_E_OPTIONS: a key or password without a certificate, a file
 * missing or unreadable, a wrong password, a key that does not match;
 * TLSDIAG_E_NOMEM) with one line in why (may be NULL). */
tlsdiag_err_t td_clientcert_load(const tlsdiag_options_t *o,
                                 td_clientcert_t **out, char *why,
                                 size_t len);
void td_clientcert_free(td_clientcert_t *cc); /* NULL ok */
/* Makes cred record every CertificateRequest (and its CA names) into the
 * session's hook result, and answer it with the hook's certificate. */
void td_clientcert_install(gnutls_certificate_credentials_t cred);
/* A fatal alert that ended the session after the handshake (a TLS 1.3
 * server refuses a client certificate then). */
void td_clientcert_note_alert(tlsdiag_result_t *r, gnutls_session_t s,
                              int err);

/* ---- optcheck.c -------------------------------------------------------- */
/* The one validation of a check's options (and host, unless NULL), done
 * by tlsdiag_check, tlsdiag_multi_add and tlsdiag_options_check before
 * anything runs: version, port, TLS range, timeouts, address families, DNS
 * servers, resolve pins, host, key log file (opened for appending; made
 * and removed if absent). Not the trust store, which each caller loads
 * (td_tls_cred_new). why (may be NULL) gets one line naming the option and
 * the reason, "" on success. */
tlsdiag_err_t td_options_validate(const char *host,
                                  const tlsdiag_options_t *o, char *why,
                                  size_t len);

/* ---- verify.c ---------------------------------------------------------- */
/* Verifies the peer chain after the handshake (trust, name, OCSP staple)
 * and records the outcome in r->verify. Dates are not judged here. */
struct td_vctx;
/* vctx: the engine's verifier context over cred's trust list (its caches
 * make a chain seen before cheap); NULL makes one for this call. */
void td_verify_session(tlsdiag_result_t *r, gnutls_session_t s,
                       gnutls_certificate_credentials_t cred,
                       struct td_vctx *vctx);

/* ---- shared.c: what the checks of one engine share --------------------- */
typedef struct td_shared td_shared_t;
typedef struct td_trust td_trust_t;
typedef struct td_aia_cache td_aia_cache_t;
typedef struct td_dns_cache td_dns_cache_t;
typedef struct td_gate td_gate_t;
typedef struct td_hold td_hold_t;

/* NULL on out-of-memory. Frees every trust store it made. */
td_shared_t *td_shared_new(void);
void td_shared_free(td_shared_t *sh); /* NULL ok */
/* The trust store for o's (cafile, capath), found or made: a store the
 * user named is loaded now (TLSDIAG_E_CAFILE), the system store on the
 * first td_trust_cred. */
tlsdiag_err_t td_shared_trust(td_shared_t *sh, const tlsdiag_options_t *o,
                              td_trust_t **out);
/* The credentials, loaded on first use (TLSDIAG_E_NOMEM). */
tlsdiag_err_t td_trust_cred(td_trust_t *t,
                            gnutls_certificate_credentials_t *out);
/* The verifier context over the loaded store (after td_trust_cred), made
 * on first use; NULL on out-of-memory. */
struct td_vctx *td_trust_vctx(td_trust_t *t);
/* Distinct certificates in the store, or -1 while it is not loaded. */
int td_trust_roots(const td_trust_t *t);
td_aia_cache_t *td_shared_aia(td_shared_t *sh);
td_dns_cache_t *td_shared_dns(td_shared_t *sh);
struct td_dns_engine *td_shared_dns_engine(td_shared_t *sh);
/* The politeness gate (polite.c), borrowed; NULL: none. */
td_gate_t *td_shared_gate(td_shared_t *sh);
void td_shared_set_gate(td_shared_t *sh, td_gate_t *g);
/* The engine's connection slots when it looks DNS up ahead (check.h,
 * td_hold_t), borrowed; NULL: none (every check alive is in flight). */
td_hold_t *td_shared_hold(td_shared_t *sh);
void td_shared_set_hold(td_shared_t *sh, td_hold_t *h);
/* The priority string parsed once for the engine (gnutls_priority_init),
 * for td_tls_session_new: a session referencing it does not parse a cache
 * of its own (about 8 KB each). NULL (sh NULL, out of memory, an invalid
 * string, too many distinct strings): the session sets the string itself.
 * Freed with sh, after every session that used it. */
gnutls_priority_t td_shared_priority(td_shared_t *sh, const char *str);
/* The engine's parsed certificates (certcache.c), made on first use; NULL
 * when sh is NULL or out of memory (then every certificate is parsed). */
td_cert_cache_t *td_shared_certs(td_shared_t *sh);

/* ---- certcache.c: certificates an engine has parsed, by their DER ------ */
td_cert_cache_t *td_cert_cache_new(void); /* NULL: out of memory */
void td_cert_cache_free(td_cert_cache_t *cc); /* NULL ok */
/* td_cert_parse(c, der, len), from the cache when cc has parsed the same
 * DER before (cc NULL: parses). Same return value. */
int td_cert_cache_parse(td_cert_cache_t *cc, td_cert_t *c,
                        const unsigned char *der, size_t len);
/* Lookups answered from the cache and lookups that parsed (tests). */
void td_cert_cache_stats(const td_cert_cache_t *cc, size_t *hits,
                         size_t *misses);

/* ---- multi.c ----------------------------------------------------------- */
/* Checks of m in their DNS phase now (each holds a c-ares channel); at
 * most TD_MULTI_DNS_MAX (multi.c) are started at once. O(1): a counter
 * kept as checks enter and leave the phase. */
size_t td_multi_in_dns(const struct tlsdiag_multi *m);
/* The same counted by walking every check in flight, O(in flight): for
 * tests, to prove the counter. */
size_t td_multi_in_dns_walk(const struct tlsdiag_multi *m);

/* ---- aia.c: the AIA body cache of one engine --------------------------- */
td_aia_cache_t *td_aia_cache_new(void);
void td_aia_cache_free(td_aia_cache_t *ac); /* NULL ok */

/* ---- resolve.c: the c-ares channels of one engine ----------------------
 * One channel per distinct (DNS servers, budget) the engine's checks use:
 * in a sweep, one. Checks submit lookups (td_resolver_start_cached with the
 * engine); the engine polls the channels' sockets once and processes them,
 * c-ares calls back into the resolver, and its check finds it done. A
 * resolver freed while its query is pending is left to the callback (which
 * always comes: answer, c-ares timeout, or td_dns_engine_free), so no
 * callback ever reaches a freed check. One thread at a time. */
typedef struct td_dns_engine td_dns_engine_t;
td_dns_engine_t *td_dns_engine_new(void); /* NULL on out-of-memory */
/* Destroys the channels: pending callbacks run (ARES_EDESTRUCTION). */
void td_dns_engine_free(td_dns_engine_t *eng); /* NULL ok */
/* The sockets of every channel with queries pending, once each. */
size_t td_dns_engine_fds(td_dns_engine_t *eng, struct pollfd *fds,
                         size_t max);
/* Microseconds until a channel's timer is due; -1: nothing pending. */
int64_t td_dns_engine_timeout_us(td_dns_engine_t *eng);
/* Processes the ready sockets among fds and the timers that are due;
 * callbacks run from here. */
void td_dns_engine_process(td_dns_engine_t *eng, const struct pollfd *fds,
                           size_t nfds);
/* Queries pending; channels made so far; callbacks that found their check
 * gone (for tests and the benchmark). */
size_t td_dns_engine_pending(const td_dns_engine_t *eng);
unsigned long td_dns_engine_channels(const td_dns_engine_t *eng);
unsigned long td_dns_engine_orphans(const td_dns_engine_t *eng);

/* ---- resolve.c: DNS answers kept for their TTL within an engine -------- */
td_dns_cache_t *td_dns_cache_new(void);
void td_dns_cache_free(td_dns_cache_t *dc); /* NULL ok */
/* Like td_resolver_start, answered from dc when it holds an unexpired
 * answer for the same name, servers and family (then *cached = 1 and the
 * resolver is already done). dc NULL: no cache. eng: submit to the
 * engine's channel (NULL: a channel of its own). */
tlsdiag_err_t td_resolver_start_cached(td_dns_cache_t *dc,
                                       td_dns_engine_t *eng, const char *name,
                                       const char *servers, int family,
                                       int timeout_ms, td_resolver_t **out,
                                       int *cached);
/* Keeps rs's successful answer in dc for its TTL (the smallest of the
 * answer's records; 0: not kept). */
void td_dns_cache_put(td_dns_cache_t *dc, const td_resolver_t *rs);
/* The answer's TTL in seconds (-1 unknown). */
int td_resolver_ttl(const td_resolver_t *rs);

/* ---- polite.c: per-address and overall connection limits ---------------- */
/* per_ip: connections in flight to one address (0: no limit); rate: new
 * connections per second overall (0: no limit). Locks: may be shared by
 * engines on several threads. NULL on out-of-memory. */
td_gate_t *td_gate_new(unsigned per_ip, unsigned rate);
void td_gate_free(td_gate_t *g); /* NULL ok */
/* 1: a connection to addr may start now (counted until td_gate_release);
 * 0: not yet, *retry_us says when to ask again. */
int td_gate_acquire(td_gate_t *g, const char *addr, int64_t *retry_us);
void td_gate_release(td_gate_t *g, const char *addr);
/* The largest number of connections held at once to one address. */
unsigned td_gate_max_seen(td_gate_t *g);

/* ---- multi.c ----------------------------------------------------------- */
/* Makes m's checks use g (a sweep's, shared by its engines; NULL: m's
 * own again). g outlives m's checks. */
void td_multi_share_gate(tlsdiag_multi_t *m, td_gate_t *g);
/* What m's checks share (its DNS engine, caches), borrowed. */
td_shared_t *td_multi_shared(tlsdiag_multi_t *m);

#endif
