/* tlsdiag.h: public API of libtlsdiag, the HTTPS connection diagnostician.
 *
 * One call, tlsdiag_check(), performs the connection a browser makes (DNS,
 * TCP, TLS, one HTTP request), records every step, and classifies what went
 * wrong into a stable cause with evidence.
 *
 * Conventions
 *  - Every create has one free; free(NULL) does nothing.
 *  - Getters return borrowed pointers valid while the result lives.
 *  - Strings are NUL-terminated UTF-8 as far as the peer sent UTF-8; values
 *    taken from certificates or servers may hold any byte except NUL.
 *  - The library never prints, exits or aborts on input.
 *  - Threads: every function is safe to call from any thread as long as one
 *    result, options or handle object is not used by two threads at once.
 *    The library initialises GnuTLS and c-ares itself, once, under a lock.
 *  - Enums are append-only: values are never renumbered or removed.
 */
#ifndef TLSDIAG_H
#define TLSDIAG_H

#include <stddef.h>
#include <stdint.h>

#include "tlsdiag_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TLSDIAG_STATICLIB)
#define TLSDIAG_API
#elif defined(__GNUC__)
#define TLSDIAG_API __attribute__((visibility("default")))
#else
#define TLSDIAG_API
#endif

/* ---------------------------------------------------------------------------
 * API errors: the call itself could not run. A check that ran and found a
 * problem (an expired certificate, a refused port) returns TLSDIAG_OK and
 * reports the problem as a cause in the result.
 */
typedef enum {
  TLSDIAG_OK = 0,
  TLSDIAG_E_INVAL = 1,      /* a NULL or out-of-range argument */
  TLSDIAG_E_NOMEM = 2,      /* out of memory */
  TLSDIAG_E_HOST = 3,       /* host name malformed (empty, too long, bad IDN) */
  TLSDIAG_E_PORT = 4,       /* port outside 1..65535 */
  TLSDIAG_E_CAFILE = 5,     /* trust store file/dir unreadable or empty */
  TLSDIAG_E_RESOLVE = 6,    /* a resolve pin is malformed */
  TLSDIAG_E_DNS_SERVER = 7, /* the DNS server list is malformed */
  TLSDIAG_E_OPTIONS = 8,    /* options version unknown or options invalid */
  TLSDIAG_E_INIT = 9,       /* a dependency failed to initialise */
  TLSDIAG_E_FORMAT = 10,    /* unknown output format */
  TLSDIAG_E_TIME = 11,      /* a time string could not be parsed */
  TLSDIAG_E_KEYLOG = 12,    /* the key log file cannot be opened */
  TLSDIAG_E_HSTS_LIST = 13, /* HSTS preload list unreadable or malformed */
  TLSDIAG_E_URL = 14        /* URL malformed or not https:// */
} tlsdiag_err_t;

/* Static English text for an error; never NULL. */
TLSDIAG_API const char *tlsdiag_strerror(tlsdiag_err_t err);

/* ---------------------------------------------------------------------------
 * Causes: what the check found. Each has a stable snake_case name used in the
 * JSON report (`cause`, `findings[].code`), a default severity and a message.
 */
typedef enum {
  TLSDIAG_CAUSE_OK = 0,
  /* before TLS */
  TLSDIAG_CAUSE_DNS_NXDOMAIN = 1,
  TLSDIAG_CAUSE_DNS_NO_ADDRESS = 2, /* name exists, no A/AAAA */
  TLSDIAG_CAUSE_DNS_TIMEOUT = 3,
  TLSDIAG_CAUSE_DNS_FAILURE = 4, /* SERVFAIL, REFUSED, malformed answer, ... */
  TLSDIAG_CAUSE_TCP_REFUSED = 5,
  TLSDIAG_CAUSE_TCP_TIMEOUT = 6,
  TLSDIAG_CAUSE_TCP_UNREACHABLE = 7,
  TLSDIAG_CAUSE_TCP_FAILURE = 8, /* any other socket error */
  /* TLS handshake */
  TLSDIAG_CAUSE_TLS_TIMEOUT = 9,
  TLSDIAG_CAUSE_TLS_VERSION_MISMATCH = 10,
  TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH = 11,
  TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE = 12, /* alert or error, named */
  TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED = 13, /* EOF/RST during handshake */
  TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR = 14,    /* the peer does not speak TLS */
  /* certificate */
  TLSDIAG_CAUSE_CERT_EXPIRED = 15,
  TLSDIAG_CAUSE_CERT_NOT_YET_VALID = 16,
  TLSDIAG_CAUSE_CLOCK_SKEW = 17,
  TLSDIAG_CAUSE_CERT_SELF_SIGNED = 18,
  TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER = 19,
  TLSDIAG_CAUSE_CERT_INCOMPLETE_CHAIN = 20,
  TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH = 21,
  TLSDIAG_CAUSE_CERT_REVOKED = 22,
  TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE = 23,
  TLSDIAG_CAUSE_CERT_WEAK_KEY = 24,
  TLSDIAG_CAUSE_CERT_INVALID = 25, /* any other verification failure */
  TLSDIAG_CAUSE_CERT_EXPIRES_SOON = 26,
  TLSDIAG_CAUSE_TLS_LEGACY_VERSION = 27,
  /* HTTP */
  TLSDIAG_CAUSE_HTTP_TIMEOUT = 28,
  TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED = 29,
  TLSDIAG_CAUSE_HTTP_MALFORMED = 30,   /* not an HTTP/1.x response */
  TLSDIAG_CAUSE_HTTP_TOO_LARGE = 31,   /* response head (or a fetched body)
                                          over the limit */
  TLSDIAG_CAUSE_TIMEOUT = 32,          /* max_time ran out between phases,
                                          before any TCP attempt; inside a
                                          phase it is that phase's
                                          *_TIMEOUT (every wait ends at
                                          max_time at the latest) */
  TLSDIAG_CAUSE_OCSP_STAPLE_INVALID = 33, /* stapled response unusable */
  TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR = 34,
  TLSDIAG_CAUSE_HSTS_HEADER_MISSING = 35,
  TLSDIAG_CAUSE_HSTS_HEADER_INVALID = 36,
  TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT = 37,
  TLSDIAG_CAUSE_HSTS_NO_INCLUDE_SUBDOMAINS = 38,
  TLSDIAG_CAUSE_HSTS_PRELOAD_DIRECTIVE_MISSING = 39,
  TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH = 40,
  TLSDIAG_CAUSE_TLS_NO_RESUMPTION = 41,
  TLSDIAG_CAUSE_TLS_HELLO_RETRY = 42,
  TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT = 43, /* a redirect to http:// */
  /* key exchange and cipher quality (issue 11) */
  TLSDIAG_CAUSE_TLS_WEAK_DH = 44,  /* DHE group < 2048 bits, composite, not
                                      a safe prime, or a tiny generator */
  TLSDIAG_CAUSE_TLS_NO_FORWARD_SECRECY = 45, /* static RSA key exchange */
  TLSDIAG_CAUSE_TLS_LEGACY_CIPHER = 46, /* CBC, 3DES, RC4, NULL, SHA-1 MAC */
  TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER = 47, /* only the leaf was sent and its
                                             issuer is unknown: a missing
                                             intermediate or a missing root */
  TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER = 48, /* a root whose private key
                                                 is public (Superfish...) */
  TLSDIAG_CAUSE_TLS_CLIENT_CERT_REQUIRED = 49, /* the server asked for a
                                                  client certificate and
                                                  refused us without one */
  TLSDIAG_CAUSE_TLS_CLIENT_CERT_REJECTED = 50, /* it refused the client
                                                  certificate we sent */
  TLSDIAG_CAUSE_CERT_CHAIN_TOO_LARGE = 51, /* certificate message larger
                                              than browsers accept */
  TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY = 52, /* only path building (browsers)
                                                finds a path; clients that
                                                verify the chain as sent
                                                (curl, wget) fail */
  TLSDIAG_CAUSE_CERT_MALFORMED = 53,  /* a certificate does not parse */
  TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE = 54, /* tlsdiag's verifier accepts,
                                                 GnuTLS's rejects for a
                                                 reason other than the path:
                                                 fail closed */
  TLSDIAG_CAUSE_HSTS_LIST_STALE = 55, /* the preload list used is more than
                                         TLSDIAG_HSTS_STALE_DAYS old */
  TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH = 56, /* a key derived from the
                                                   connection's own secrets
                                                   does not open its record
                                                   or verify its Finished */
  TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME = 57, /* the server refused the name
                                               sent in SNI (alert
                                               unrecognized_name) */
  TLSDIAG_CAUSE_HTTP_SERVER_ERROR = 58,     /* HTTPS works, the response is
                                               a 5xx */
  TLSDIAG_CAUSE_OCSP_MUST_STAPLE_MISSING = 59, /* the certificate requires an
                                                  OCSP staple (TLS feature
                                                  status_request), none sent */
  TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY = 60, /* h2 over TLS that RFC 9113
                                                   section 9.2 forbids (a
                                                   TLS 1.2 suite of its
                                                   appendix A), as Chrome's
                                                   INADEQUATE_TRANSPORT_
                                                   SECURITY */
  TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR = 61, /* GOAWAY or RST_STREAM before
                                              the response, or a malformed
                                              HTTP/2 frame */
  TLSDIAG_CAUSE_HTTP_REDIRECT_LOOP = 62, /* a redirect to the very URL
                                            asked for (browsers:
                                            ERR_TOO_MANY_REDIRECTS) */
  TLSDIAG_CAUSE_COUNT_ /* not a cause; one past the last */
} tlsdiag_cause_t;

typedef enum {
  TLSDIAG_SEVERITY_INFO = 0,
  TLSDIAG_SEVERITY_WARNING = 1,
  TLSDIAG_SEVERITY_ERROR = 2
} tlsdiag_severity_t;

/* Stable code ("cert_expired"); "unknown" for a value out of range. */
TLSDIAG_API const char *tlsdiag_cause_name(tlsdiag_cause_t cause);
/* Generic one-line description of the cause (static). */
TLSDIAG_API const char *tlsdiag_cause_description(tlsdiag_cause_t cause);
/* Default severity of the cause. */
TLSDIAG_API tlsdiag_severity_t tlsdiag_cause_severity(tlsdiag_cause_t cause);
/* Reverse lookup; returns -1 if the name is unknown. */
TLSDIAG_API int tlsdiag_cause_from_name(const char *name);
/* "info", "warning", "error". */
TLSDIAG_API const char *tlsdiag_severity_name(tlsdiag_severity_t sev);

/* ---------------------------------------------------------------------------
 * Options. The only public struct: initialise with tlsdiag_options_init(),
 * then change what you need. New fields are only ever appended; `version`
 * tells the library which fields the caller knows.
 */
#define TLSDIAG_OPTIONS_VERSION 5 /* 2 appended connect_to ..
                                     address_filter_data; 3 trust_source;
                                     4 happy_eyeballs_timeout_ms;
                                     5 http_version */

typedef enum {
  TLSDIAG_TLS_DEFAULT = 0,
  TLSDIAG_TLS1_0 = 10,
  TLSDIAG_TLS1_1 = 11,
  TLSDIAG_TLS1_2 = 12,
  TLSDIAG_TLS1_3 = 13
} tlsdiag_tls_version_t;

/* The HTTP versions offered by ALPN (and spoken when the server picks
 * one). The request goes over HTTP/2 when the server selects "h2". */
typedef enum {
  TLSDIAG_HTTP_DEFAULT = 0, /* "h2", "http/1.1", in browsers' order */
  TLSDIAG_HTTP1_1 = 11,     /* "http/1.1" only (curl --http1.1) */
  TLSDIAG_HTTP2 = 20        /* "h2", "http/1.1": h2 preferred, 1.1 allowed
                               (curl --http2 over TLS) */
} tlsdiag_http_version_t;

/* flags */
#define TLSDIAG_F_NO_HTTP (1u << 0)       /* stop after the TLS handshake */
#define TLSDIAG_F_NO_VERSION_PROBE (1u << 1) /* no extra handshakes: on
                                               failure, nor the browser
                                               offer after a handshake
                                               that got more than Chrome
                                               offers, nor the one
                                               without SNI after a name
                                               mismatch */
#define TLSDIAG_F_IPV4_ONLY (1u << 2)
#define TLSDIAG_F_IPV6_ONLY (1u << 3)
#define TLSDIAG_F_RESUME (1u << 4)     /* a second connection resuming the
                                          first one's session */
#define TLSDIAG_F_EARLY_DATA (1u << 5) /* with TLSDIAG_F_RESUME: send the
                                          request as TLS 1.3 0-RTT data */
#define TLSDIAG_F_NO_AIA (1u << 6)     /* never fetch a missing issuer from
                                          the certificate's AIA caIssuers
                                          URL */

typedef struct tlsdiag_options {
  unsigned version;         /* TLSDIAG_OPTIONS_VERSION */
  uint16_t port;            /* 443 */
  const char *sni;          /* NULL: the host's A-label; "" sends none */
  int connect_timeout_ms;   /* 10000: each TCP connect and the handshake */
  int max_time_ms;          /* 30000: the whole check */
  tlsdiag_tls_version_t tls_min; /* TLS 1.2 */
  tlsdiag_tls_version_t tls_max; /* TLS 1.3 */
  const char *cafile;       /* NULL: the system trust store */
  const char *capath;       /* NULL: the system trust store */
  const char *dns_servers;  /* NULL: system; "ADDR[:PORT],[ADDR6]:PORT,..." */
  const char *const *resolve; /* NULL-terminated "HOST:PORT:ADDR[,ADDR]..." */
  const char *http_method;  /* "HEAD" (or "GET") */
  const char *http_path;    /* "/" */
  int64_t now;              /* 0: the real clock; else Unix seconds used to
                               judge certificate dates ("clock override") */
  int warn_days;            /* 30: cert_expires_soon threshold */
  int clock_skew_s;         /* 300: clock_skew threshold in seconds */
  unsigned flags;           /* TLSDIAG_F_* */
  int crit_days;            /* 7: expiry CRITICAL threshold (nagios) */
  const struct tlsdiag_hsts *hsts; /* HSTS preload list to judge the host
                               against (borrowed; see tlsdiag_hsts_load),
                               or NULL for none */
  const char *keylog_file;  /* NULL: none. Appends the session secrets in
                               NSS key log format (as SSLKEYLOGFILE) so a
                               capture can be decrypted. Secret! */
  /* ---- version 2 ---- */
  const char *const *connect_to; /* NULL-terminated
                               "HOST1:PORT1:HOST2:PORT2" (as curl's
                               --connect-to): a connection to HOST1:PORT1
                               (an empty part matches any) goes to
                               HOST2:PORT2 instead (empty: unchanged);
                               the URL's name stays HOST1's (SNI, Host
                               header, certificate name). The first
                               matching rule applies to the checked host
                               (its DNS lookup and resolve pins are then
                               for HOST2:PORT2, and every connection of
                               the check goes there), the AIA fetch and
                               tlsdiag_fetch. A malformed rule:
                               TLSDIAG_E_OPTIONS */
  const char *client_cert;  /* NULL: none. A client certificate (chain,
                               leaf first) to present when, and only when,
                               the server asks for one: PEM, or PKCS#12 (a
                               name ending in .p12/.pfx, or a file with no
                               PEM block), which holds its key too */
  const char *client_key;   /* NULL: the key is in client_cert. A PEM
                               private key (PKCS#1/#8, may be encrypted) */
  const char *client_cert_password; /* NULL: none. Decrypts client_key (or
                               the key in client_cert, or the PKCS#12
                               file). Secret! */
  /* NULL: connect to any address. Else asked before every TCP connection
   * the check would open, with the address as the result lists it (numeric,
   * after DNS, a resolve pin or the literal) and the port: nonzero allows
   * it; 0 refuses it, and the address is not connected to (the attempt
   * fails with EACCES, "refused by the address filter"; the check goes on
   * to the next address). Because it judges the resolved address, DNS
   * rebinding cannot get past it. Runs on the thread driving the check,
   * with address_filter_data; tlsdiag_multi_add copies both as they are
   * (data must live until the check's callback). */
  int (*address_filter)(const char *addr, uint16_t port, void *data);
  void *address_filter_data;
  /* ---- version 3 ---- */
  const char *trust_source; /* NULL: cafile/capath (or the system store)
                               were chosen by the caller. Else what chose
                               them, as reports name it: the CLI sets
                               "SSL_CERT_FILE" / "SSL_CERT_DIR" when it
                               took them from the environment. Text only;
                               it selects nothing */
  /* ---- version 4 ---- */
  int happy_eyeballs_timeout_ms; /* 250: the TCP connections race as
                               browsers race them (Happy Eyeballs v2,
                               RFC 8305: IPv6 first, then the families
                               alternating); the next address is tried
                               this long after the previous one while
                               that one is still pending (at once when it
                               fails). curl's option of the same name. 0
                               starts every address at once; 0..60000 */
  /* ---- version 5 ---- */
  tlsdiag_http_version_t http_version; /* TLSDIAG_HTTP_DEFAULT. With
                               TLSDIAG_F_EARLY_DATA both connections offer
                               http/1.1 only: the 0-RTT request is
                               HTTP/1.1 bytes, and a resumed session must
                               keep the first one's ALPN */
} tlsdiag_options_t;

/* Fills *opts with the documented defaults. */
TLSDIAG_API void tlsdiag_options_init(tlsdiag_options_t *opts);

/* ---------------------------------------------------------------------------
 * Library set-up (optional). The first check, engine or verifier
 * initialises GnuTLS and c-ares once for the life of the process, under a
 * lock, so no call is needed, from any thread. tlsdiag_global_init() adds
 * a counted reference and tlsdiag_global_cleanup() releases one; the
 * libraries are released only when every explicit reference is gone and
 * the library never needed them itself. Both are thread-safe.
 */
TLSDIAG_API tlsdiag_err_t tlsdiag_global_init(void);
TLSDIAG_API void tlsdiag_global_cleanup(void);

/* Version of the library at run time, as TLSDIAG_VERSION_NUM. */
TLSDIAG_API unsigned tlsdiag_version_num(void);
TLSDIAG_API const char *tlsdiag_version_str(void);

/* ---------------------------------------------------------------------------
 * Checking.
 */
typedef struct tlsdiag_result tlsdiag_result_t; /* opaque, immutable */

/* Runs one check of https://HOST:PORT/ (port from opts). HOST is a DNS name
 * (UTF-8 or A-label), an IPv4 literal or an IPv6 literal (brackets allowed).
 * opts may be NULL for defaults. Blocks for at most opts->max_time_ms.
 * On TLSDIAG_OK, *out is a new result the caller frees with
 * tlsdiag_result_free(). On error, *out is NULL. */
TLSDIAG_API tlsdiag_err_t tlsdiag_check(const char *host,
                                        const tlsdiag_options_t *opts,
                                        tlsdiag_result_t **out);

TLSDIAG_API void tlsdiag_result_free(tlsdiag_result_t *r);

/* Fetches url with one GET over the same connection a check makes, and
 * diagnoses it as tlsdiag_check would. url is "https://HOST[:PORT][PATH]"
 * (scheme case-insensitive; HOST a name, IDN or IP literal, IPv6 in
 * brackets; PATH with its query, "/" when absent; a #fragment is dropped;
 * no user info, no spaces or control characters; at most 8 KiB). opts may
 * be NULL for defaults; its port, http_method and http_path are replaced by
 * the URL's and "GET", and the flags NO_HTTP, RESUME and EARLY_DATA are
 * ignored. Unlike tlsdiag_check, the request is sent only when the
 * server's certificate verifies (trusted chain, host name, dates at
 * opts->now, no certificate error such as a weak key) and both verifiers
 * accept the chain: tlsdiag's path building and GnuTLS's verification of
 * the chain as sent (so not on cert_path_browser_only); it adds
 * "Accept-Encoding: identity" to the check's request.
 *
 * A 200 response's body is read per RFC 9112 (Content-Length, chunked, or
 * until a TLS close_notify), at most max_body bytes; a body over the limit
 * (http_too_large), cut short (http_connection_closed), badly framed or
 * content-coded (http_malformed) or late (http_timeout) is a finding.
 * Other statuses are not read beyond the head.
 *
 * On TLSDIAG_OK, *out is the result (free with tlsdiag_result_free) and
 * *body the whole body (NUL-terminated, the NUL not counted in
 * *body_len; free with tlsdiag_free) if and only if the result is ok
 * (tlsdiag_result_ok: no error finding), the status is 200 and the body
 * arrived whole; else *body is NULL and *body_len 0: the result says why.
 * Errors (*out and *body NULL): TLSDIAG_E_INVAL (a NULL out-pointer),
 * TLSDIAG_E_URL, TLSDIAG_E_HOST, TLSDIAG_E_PORT, and tlsdiag_check's.
 * Blocks for at most opts->max_time_ms; threads as tlsdiag_check. */
TLSDIAG_API tlsdiag_err_t tlsdiag_fetch(const char *url,
                                        const tlsdiag_options_t *opts,
                                        size_t max_body,
                                        tlsdiag_result_t **out,
                                        unsigned char **body,
                                        size_t *body_len);

/* Parses "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" into a host (newly
 * allocated, brackets removed, caller frees with tlsdiag_free) and a port
 * (default_port when absent). */
TLSDIAG_API tlsdiag_err_t tlsdiag_target_parse(const char *target,
                                               uint16_t default_port,
                                               char **host, uint16_t *port);

/* Parses "https://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]" into a host
 * (brackets removed), a port (default_port when absent) and the request
 * path with its query ("/" when absent; the fragment is dropped), both
 * newly allocated (free with tlsdiag_free). Errors (*host and *path NULL):
 * TLSDIAG_E_URL (not https://, user info, a control character or space,
 * an IPv6 literal without brackets, longer than 8192 bytes),
 * TLSDIAG_E_HOST and TLSDIAG_E_PORT as tlsdiag_target_parse,
 * TLSDIAG_E_INVAL, TLSDIAG_E_NOMEM. */
TLSDIAG_API tlsdiag_err_t tlsdiag_url_parse(const char *url,
                                            uint16_t default_port,
                                            char **host, uint16_t *port,
                                            char **path);

/* Checks a host (name, IDN or IP literal) as tlsdiag_check would. Returns
 * TLSDIAG_OK, or TLSDIAG_E_HOST with *why (if not NULL) pointing to a
 * static reason ("label longer than 63 bytes", ...). */
TLSDIAG_API tlsdiag_err_t tlsdiag_host_check(const char *host,
                                             const char **why);

/* Parses a time as users write it into Unix seconds: RFC 3339 / ISO 8601
 * ("2026-01-02T03:04:05Z", "...+02:00", "...-0530", a fraction of a second
 * ignored; no zone means UTC), a date alone ("2026-12-31" = 00:00:00Z),
 * "@UNIX", or relative to the real clock ("+30d", "-12h"; units s, m, h,
 * d, w). TLSDIAG_E_TIME if malformed or out of 1970..9999. */
TLSDIAG_API tlsdiag_err_t tlsdiag_time_parse(const char *s, int64_t *out);

/* The same, relative times counted from now (0: the real clock), and on
 * TLSDIAG_E_TIME *why (if not NULL) a static reason ("month out of
 * range", ...). */
TLSDIAG_API tlsdiag_err_t tlsdiag_time_parse_from(const char *s, int64_t now,
                                                  int64_t *out,
                                                  const char **why);

/* Frees memory the library returned (formatted reports, parsed hosts). */
TLSDIAG_API void tlsdiag_free(void *p);

/* ---------------------------------------------------------------------------
 * Reading a result. All pointers are borrowed from the result.
 */
typedef enum {
  TLSDIAG_PHASE_DNS = 0,
  TLSDIAG_PHASE_TCP = 1,
  TLSDIAG_PHASE_TLS = 2,
  TLSDIAG_PHASE_HTTP = 3,
  TLSDIAG_PHASE_COUNT_
} tlsdiag_phase_t;

typedef enum {
  TLSDIAG_STATUS_NOT_RUN = 0, /* an earlier phase failed */
  TLSDIAG_STATUS_SKIPPED = 1, /* not needed (IP literal, pin, option) */
  TLSDIAG_STATUS_OK = 2,
  TLSDIAG_STATUS_FAILED = 3,
  TLSDIAG_STATUS_TIMEOUT = 4
} tlsdiag_status_t;

TLSDIAG_API const char *tlsdiag_phase_name(tlsdiag_phase_t phase);
TLSDIAG_API const char *tlsdiag_status_name(tlsdiag_status_t status);

/* Overall verdict: 1 when no finding has severity error. */
TLSDIAG_API int tlsdiag_result_ok(const tlsdiag_result_t *r);
/* Root cause: the first error in the documented order, or TLSDIAG_CAUSE_OK. */
TLSDIAG_API tlsdiag_cause_t tlsdiag_result_cause(const tlsdiag_result_t *r);
/* Host as given, its A-label, the SNI sent ("" when none), the port. */
TLSDIAG_API const char *tlsdiag_result_host(const tlsdiag_result_t *r);
TLSDIAG_API const char *tlsdiag_result_ace_host(const tlsdiag_result_t *r);
TLSDIAG_API const char *tlsdiag_result_sni(const tlsdiag_result_t *r);
TLSDIAG_API uint16_t tlsdiag_result_port(const tlsdiag_result_t *r);

TLSDIAG_API tlsdiag_status_t tlsdiag_result_phase_status(
    const tlsdiag_result_t *r, tlsdiag_phase_t phase);
/* Duration of the phase in milliseconds (fractional), 0 if not run. */
TLSDIAG_API double tlsdiag_result_phase_ms(const tlsdiag_result_t *r,
                                           tlsdiag_phase_t phase);

/* Addresses DNS (or a pin) gave, in the order tried. */
TLSDIAG_API size_t tlsdiag_result_address_count(const tlsdiag_result_t *r);
TLSDIAG_API const char *tlsdiag_result_address(const tlsdiag_result_t *r,
                                               size_t i);
/* The address the TCP connection was made to, or NULL. */
TLSDIAG_API const char *tlsdiag_result_connected_address(
    const tlsdiag_result_t *r);

/* Negotiated TLS parameters, NULL before a completed handshake. */
TLSDIAG_API const char *tlsdiag_result_tls_version(const tlsdiag_result_t *r);
TLSDIAG_API const char *tlsdiag_result_tls_cipher(const tlsdiag_result_t *r);
TLSDIAG_API const char *tlsdiag_result_tls_group(const tlsdiag_result_t *r);
TLSDIAG_API const char *tlsdiag_result_tls_alpn(const tlsdiag_result_t *r);

/* Findings, in report order (errors first, then warnings, then info). */
TLSDIAG_API size_t tlsdiag_result_finding_count(const tlsdiag_result_t *r);
TLSDIAG_API tlsdiag_cause_t tlsdiag_result_finding_code(
    const tlsdiag_result_t *r, size_t i);
TLSDIAG_API tlsdiag_severity_t tlsdiag_result_finding_severity(
    const tlsdiag_result_t *r, size_t i);
TLSDIAG_API const char *tlsdiag_result_finding_message(
    const tlsdiag_result_t *r, size_t i);
/* Evidence of finding i by key ("not_after", "sans", ...) as text, or NULL.
 * List values are joined with ", ". */
TLSDIAG_API const char *tlsdiag_result_finding_evidence(
    const tlsdiag_result_t *r, size_t i, const char *key);
/* Index of the first finding with this code, or -1. */
TLSDIAG_API long tlsdiag_result_find(const tlsdiag_result_t *r,
                                     tlsdiag_cause_t code);

/* Certificates as the server sent them (leaf first). Field names are those
 * of the JSON `chain[]` objects: "subject", "issuer", "serial",
 * "not_before", "not_after", "key_type", "signature_algorithm",
 * "sha256_fingerprint", "sans" (joined with ", "), "days_left", "key_bits". */
TLSDIAG_API size_t tlsdiag_result_chain_length(const tlsdiag_result_t *r);
TLSDIAG_API const char *tlsdiag_result_cert_field(const tlsdiag_result_t *r,
                                                  size_t i, const char *field);

/* HTTP: status code (0 if none), and a response header by name (first
 * occurrence, case-insensitive), or NULL. */
TLSDIAG_API int tlsdiag_result_http_status(const tlsdiag_result_t *r);
TLSDIAG_API const char *tlsdiag_result_http_header(const tlsdiag_result_t *r,
                                                   const char *name);

/* ---------------------------------------------------------------------------
 * Reports.
 */
typedef enum {
  TLSDIAG_FORMAT_TEXT = 0,   /* verdict line + observed sequence */
  TLSDIAG_FORMAT_JSON = 1,   /* one JSON object, one line, "\n"-terminated */
  TLSDIAG_FORMAT_MERMAID = 2, /* Mermaid sequenceDiagram */
  TLSDIAG_FORMAT_NAGIOS = 3,  /* one Nagios/Icinga plugin status line */
  TLSDIAG_FORMAT_PROMETHEUS = 4 /* text exposition format */
} tlsdiag_format_t;

#define TLSDIAG_FMT_COLOR (1u << 0)  /* ANSI colour in TEXT */
#define TLSDIAG_FMT_PRETTY (1u << 1) /* indented JSON */
#define TLSDIAG_FMT_VERBOSE (1u << 2) /* TEXT: the whole chain */
#define TLSDIAG_FMT_EXPLAIN (1u << 3) /* TEXT: the TLS key schedule */

/* Renders the result. *out is NUL-terminated, caller frees with
 * tlsdiag_free(); *len (may be NULL) gets its length. */
TLSDIAG_API tlsdiag_err_t tlsdiag_result_format(const tlsdiag_result_t *r,
                                                tlsdiag_format_t fmt,
                                                unsigned flags, char **out,
                                                size_t *len);

/* Nagios/Icinga plugin state of a result (docs/sweep.md has the table):
 *  2 CRITICAL  a finding of severity error (cause other than below), or the
 *              earliest expiry on the path less than crit_days away;
 *  3 UNKNOWN   the cause is dns_timeout or dns_failure (the resolver could
 *              not say anything about the target), or r is NULL;
 *  1 WARNING   otherwise, a warning finding, or the earliest expiry on the
 *              path less than warn_days away;
 *  0 OK        otherwise.
 * "Days" are whole days left, as tlsdiag_result_expiry gives them. */
TLSDIAG_API int tlsdiag_result_nagios_state(const tlsdiag_result_t *r);

/* Expiry of the leaf, or the earliest of the path: the leaf and the
 * issuers it chains to as sent, up to a self-signed one; extra
 * certificates the server sent are not counted. */
typedef enum {
  TLSDIAG_EXPIRY_LEAF = 0,
  TLSDIAG_EXPIRY_PATH = 1
} tlsdiag_expiry_t;

/* Gives the notAfter (Unix seconds) and the whole days left from the
 * check's clock (truncated toward zero, negative once expired); either
 * pointer may be NULL. Returns 1, or 0 when no certificate was seen. */
TLSDIAG_API int tlsdiag_result_expiry(const tlsdiag_result_t *r,
                                      tlsdiag_expiry_t which,
                                      int64_t *not_after, int64_t *days_left);

/* Renders n results as one report (a sweep):
 *  TLSDIAG_FORMAT_PROMETHEUS  each metric family once (HELP and TYPE), with
 *                             the samples of every result grouped under it;
 *  TLSDIAG_FORMAT_NAGIOS      one status line for all (the worst state,
 *                             counts, performance data), then one line per
 *                             result, worst first;
 *  TLSDIAG_FORMAT_JSON        JSON Lines, one object per result, in order.
 * Other formats: TLSDIAG_E_FORMAT. *out as for tlsdiag_result_format. */
TLSDIAG_API tlsdiag_err_t tlsdiag_results_format(
    const tlsdiag_result_t *const *rs, size_t n, tlsdiag_format_t fmt,
    unsigned flags, char **out, size_t *len);
/* Nagios state of n results together: CRITICAL if any is, else UNKNOWN if
 * any is, else WARNING if any is, else OK; UNKNOWN when n is 0. */
TLSDIAG_API int tlsdiag_results_nagios_state(const tlsdiag_result_t *const *rs,
                                             size_t n);

/* Quotes s[0..n) (any bytes) as a JSON string literal, quotes included,
 * exactly as the JSON report writes its strings: control characters and
 * U+2028/U+2029 escaped, invalid UTF-8 replaced by U+FFFD (one per maximal
 * ill-formed subpart). For callers that wrap reports in JSON of their own
 * (the CLI's "file" and sweep summary). *out is NUL-terminated, caller
 * frees with tlsdiag_free(); *len (may be NULL) gets its length.
 * TLSDIAG_E_INVAL when out is NULL or s is NULL with n > 0,
 * TLSDIAG_E_NOMEM. Thread-safe: no shared state. */
TLSDIAG_API tlsdiag_err_t tlsdiag_json_quote(const char *s, size_t n,
                                             char **out, size_t *len);

/* ---------------------------------------------------------------------------
 * HSTS preload list (Chromium's transport_security_state_static.json).
 * Load once, share read-only between any number of checks and threads.
 */
typedef struct tlsdiag_hsts tlsdiag_hsts_t;

/* Loads and indexes a preload list file: JSON with // and block comments,
 * whose "entries" array holds {"name", "mode", "include_subdomains", ...}
 * objects (docs/hsts.md). Only entries with "mode": "force-https" make a
 * host preloaded; the others (pins only) still shadow their parents, as in
 * Chromium. Files over 64 MiB, nesting over 32 levels, wrong member types,
 * names that are not host names and names listed twice are errors.
 * On success *out is a new list (free with tlsdiag_hsts_free); on error
 * *out is NULL and, when why is not NULL, *why points to a static
 * description. Errors: TLSDIAG_E_INVAL (NULL argument), TLSDIAG_E_NOMEM,
 * TLSDIAG_E_HSTS_LIST (unreadable, or not a valid list). */
TLSDIAG_API tlsdiag_err_t tlsdiag_hsts_load(const char *path,
                                            tlsdiag_hsts_t **out,
                                            const char **why);
/* The same, with a one-line description of an error that says where it is
 * ("line 12, column 40: \"include_subdomains\" is not a boolean (entry 3)")
 * written to errbuf (errlen bytes, always NUL-terminated when errlen > 0;
 * errbuf may be NULL). */
TLSDIAG_API tlsdiag_err_t tlsdiag_hsts_load_ex(const char *path,
                                               tlsdiag_hsts_t **out,
                                               char *errbuf, size_t errlen);
/* The same from memory: len bytes at data (no NUL needed), e.g. a list the
 * caller downloaded; data is not kept. */
TLSDIAG_API tlsdiag_err_t tlsdiag_hsts_load_mem(const void *data, size_t len,
                                                tlsdiag_hsts_t **out,
                                                char *errbuf, size_t errlen);
TLSDIAG_API void tlsdiag_hsts_free(tlsdiag_hsts_t *h); /* NULL ok */

/* The largest download tlsdiag_hsts_decode takes: base64 of the 64 MiB
 * the reader accepts, with room for line breaks. */
#define TLSDIAG_HSTS_MAX_DOWNLOAD ((size_t)96 << 20)

/* Turns a preload list as downloaded (e.g. with tlsdiag_fetch) into the
 * JSON tlsdiag_hsts_load_mem reads. Chromium's source server (gitiles,
 * "?format=TEXT") serves a file base64-encoded; a mirror may serve the
 * JSON itself. A body made only of base64 characters (A-Z a-z 0-9 + / =)
 * and whitespace is decoded (RFC 4648 with padding, whitespace ignored,
 * by GnuTLS); any other body is copied as it is. The JSON is not checked
 * here. On TLSDIAG_OK *json (NUL-terminated, the NUL not counted in
 * *json_len; free with tlsdiag_free) is the result and *was_base64 (may
 * be NULL) says which it was. Errors (*json NULL, one line in errbuf as
 * for tlsdiag_hsts_load_ex): TLSDIAG_E_INVAL, TLSDIAG_E_NOMEM,
 * TLSDIAG_E_HSTS_LIST (base64 that does not decode, or more than
 * TLSDIAG_HSTS_MAX_DOWNLOAD bytes). */
TLSDIAG_API tlsdiag_err_t tlsdiag_hsts_decode(const void *body, size_t len,
                                              unsigned char **json,
                                              size_t *json_len,
                                              int *was_base64, char *errbuf,
                                              size_t errlen);
/* Is `name` preloaded? name is a host name, A-label or UTF-8 (converted
 * like tlsdiag_check's host); case and one trailing dot are ignored. The
 * most specific listed name that is `name` or one of its parents decides,
 * as in Chromium: `name` is preloaded if that entry is `name` itself with
 * mode force-https, or a parent with force-https and include_subdomains.
 * Returns 1 and, when not NULL, the deciding entry's name (borrowed from h)
 * and its include_subdomains; 0 if not preloaded (then *entry is NULL).
 * Does not allocate for ASCII names. Safe from any number of threads. */
TLSDIAG_API int tlsdiag_hsts_lookup(const tlsdiag_hsts_t *h, const char *name,
                                    const char **entry,
                                    int *include_subdomains);
/* Number of force-https entries indexed (0 for NULL). */
TLSDIAG_API size_t tlsdiag_hsts_count(const tlsdiag_hsts_t *h);

/* The preload list built into the library: a snapshot of Chromium's list
 * taken when this tlsdiag was released (its date: tlsdiag_hsts_date),
 * embedded as a ready index, so getting it costs nothing (no file, no
 * parsing, no allocation; the first call sets up a static descriptor).
 * Borrowed and read-only for the life of the process: pass it in
 * tlsdiag_options_t.hsts, share it between threads; tlsdiag_hsts_free on
 * it does nothing. NULL only in a build made without the snapshot.
 * opts->hsts NULL still means no list: a check consults the built-in list
 * only when the caller passes it, so upgrading the library changes no
 * result by itself (tlsdiag check passes it when no other list is found,
 * docs/hsts.md). Thread-safe. */
TLSDIAG_API const tlsdiag_hsts_t *tlsdiag_hsts_builtin(void);

/* Where a list came from, as reports show it (hsts.list.source). */
typedef enum {
  TLSDIAG_HSTS_SOURCE_MEMORY = 0,  /* tlsdiag_hsts_load_mem */
  TLSDIAG_HSTS_SOURCE_FILE = 1,    /* tlsdiag_hsts_load, _load_ex */
  TLSDIAG_HSTS_SOURCE_BUILTIN = 2, /* tlsdiag_hsts_builtin */
  TLSDIAG_HSTS_SOURCE_CACHE = 3,   /* a file the caller found in its cache */
  TLSDIAG_HSTS_SOURCE_ENV = 4      /* a file named by the environment */
  /* append only */
} tlsdiag_hsts_source_t;

/* The list's source; "memory", "file", "builtin", "cache", "env" (static;
 * "unknown" out of range). */
TLSDIAG_API tlsdiag_hsts_source_t tlsdiag_hsts_source(const tlsdiag_hsts_t *h);
TLSDIAG_API const char *tlsdiag_hsts_source_name(tlsdiag_hsts_source_t s);
/* Relabels a loaded file list as CACHE or ENV (or FILE, MEMORY) for the
 * reports; TLSDIAG_E_INVAL for NULL, the built-in list or BUILTIN. Not
 * while checks use the list. */
TLSDIAG_API tlsdiag_err_t tlsdiag_hsts_set_source(tlsdiag_hsts_t *h,
                                                  tlsdiag_hsts_source_t s);
/* The file the list was loaded from (borrowed from h), or NULL. */
TLSDIAG_API const char *tlsdiag_hsts_path(const tlsdiag_hsts_t *h);
/* The list's date, Unix seconds: the built-in snapshot's date (00:00 UTC),
 * a file's modification time (when `hsts update` wrote it); 0 unknown
 * (a list from memory). A check whose clock is more than
 * TLSDIAG_HSTS_STALE_DAYS past it reports hsts_list_stale (info). */
TLSDIAG_API int64_t tlsdiag_hsts_date(const tlsdiag_hsts_t *h);
#define TLSDIAG_HSTS_STALE_DAYS 180

/* ---------------------------------------------------------------------------
 * HSTS preload eligibility (hstspreload.org's rules, run offline against the
 * domain's own servers): the domain's form (eTLD+1 by the Public Suffix
 * List, no IP, valid characters), https://DOMAIN with a valid chain and no
 * SHA-1, exactly one preloadable Strict-Transport-Security header,
 * http://DOMAIN redirecting first to https://DOMAIN with no plain-http hop
 * and at most 3 redirects (the same for https://DOMAIN), www.DOMAIN
 * completing a TLS handshake when it accepts TCP on 443, removal
 * eligibility, and the status in opts->hsts (if any). Issues carry
 * hstspreload.org's codes ("domain.is_subdomain",
 * "header.preloadable.max_age.below_1_year", ...) and levels (error or
 * warning); see docs/hsts.md.
 */
typedef struct tlsdiag_preload tlsdiag_preload_t; /* opaque, immutable */

/* Runs every rule for domain (ASCII, as hstspreload.org takes it). opts may
 * be NULL; its port, http_method, http_path and flags NO_HTTP, RESUME,
 * EARLY_DATA are not used (each request is a GET of "/" on 443 or 80);
 * resolve, connect_to, cafile, dns_servers, now, the timeouts and hsts are.
 * Blocks for at most a few times max_time_ms (one per request: the HTTPS
 * response, up to 4 redirects from http:// and from https://, www).
 * On TLSDIAG_OK *out is the verdict (free with tlsdiag_preload_free), even
 * when the domain is malformed (that is an issue, not an API error).
 * Errors: TLSDIAG_E_INVAL (NULL domain or out), TLSDIAG_E_OPTIONS,
 * TLSDIAG_E_CAFILE, TLSDIAG_E_NOMEM. Threads as tlsdiag_check. */
TLSDIAG_API tlsdiag_err_t tlsdiag_preload_check(const char *domain,
                                                const tlsdiag_options_t *opts,
                                                tlsdiag_preload_t **out);
TLSDIAG_API void tlsdiag_preload_free(tlsdiag_preload_t *p);
/* 1 when no issue is an error (warnings allowed). */
TLSDIAG_API int tlsdiag_preload_eligible(const tlsdiag_preload_t *p);
/* "preloaded", "not_listed", or "unknown" (no list given). A submitted but
 * not yet listed domain ("pending") cannot be known offline. */
TLSDIAG_API const char *tlsdiag_preload_status(const tlsdiag_preload_t *p);
/* The issues, in rule order: code (hstspreload.org's), level
 * (TLSDIAG_SEVERITY_ERROR or _WARNING), the rule it belongs to ("domain",
 * "https", "header", "http_redirects", "https_redirects", "www") and a
 * message with the evidence. Out of range: NULL / TLSDIAG_SEVERITY_INFO. */
TLSDIAG_API size_t tlsdiag_preload_issue_count(const tlsdiag_preload_t *p);
TLSDIAG_API const char *tlsdiag_preload_issue_code(const tlsdiag_preload_t *p,
                                                   size_t i);
TLSDIAG_API tlsdiag_severity_t tlsdiag_preload_issue_level(
    const tlsdiag_preload_t *p, size_t i);
TLSDIAG_API const char *tlsdiag_preload_issue_rule(const tlsdiag_preload_t *p,
                                                   size_t i);
TLSDIAG_API const char *tlsdiag_preload_issue_message(
    const tlsdiag_preload_t *p, size_t i);
/* 1 when the domain may ask for removal: it serves one HSTS header with a
 * max-age and without preload. */
TLSDIAG_API int tlsdiag_preload_removable(const tlsdiag_preload_t *p);
/* The verdict as TLSDIAG_FORMAT_TEXT (each rule, its verdict and evidence,
 * then the issues) or TLSDIAG_FORMAT_JSON (one line, docs/json-schema.md
 * "preload-check"); *out is NUL-terminated, free with tlsdiag_free.
 * Errors: TLSDIAG_E_INVAL, TLSDIAG_E_FORMAT (another format), NOMEM. */
TLSDIAG_API tlsdiag_err_t tlsdiag_preload_format(const tlsdiag_preload_t *p,
                                                 tlsdiag_format_t fmt,
                                                 char **out, size_t *len);

/* ---------------------------------------------------------------------------
 * Many checks at once: one event loop, a bounded number in flight.
 *
 * Drive it from your own loop (tlsdiag_multi_fds, _timeout_ms, _process)
 * or let tlsdiag_multi_run block until every check is done; to run it in
 * the background, call tlsdiag_multi_run on a thread of your own (the
 * library starts none). A multi handle is used by one thread at a time;
 * callbacks run on that thread, inside tlsdiag_multi_process/_run. Separate
 * handles may run on separate threads after tlsdiag_global_init().
 *
 * Every successful tlsdiag_multi_add gets exactly one callback (unless the
 * handle is freed first). Each check keeps its own deadlines: a silent
 * server delays nothing but its own check. A handle's checks share what
 * can be made once: a trust store and verifier per distinct (cafile,
 * capath) (the system store loaded by the first handshake that needs it),
 * fetched AIA issuers, and DNS answers for their TTL; all freed by
 * tlsdiag_multi_free.
 * Memory per check is bounded (the HTTP head is capped at 64 KiB; about
 * 21 KB for a check waiting on its handshake, docs/sweep.md "Memory"); a
 * queued check costs one allocation the size of its host and options. At
 * most 256 checks of a handle are in their DNS lookup at once (each holds
 * a resolver channel); the next queued checks start as lookups end. Names
 * are looked up ahead of the connections (tlsdiag_multi_set_dns_ahead).
 * docs/sweep.md has an example loop.
 */
typedef struct tlsdiag_multi tlsdiag_multi_t;

/* Called once per added check when it finishes. The callback owns r and
 * frees it with tlsdiag_result_free(); r is NULL only if memory ran out
 * for the result itself. user is what tlsdiag_multi_add got. The callback
 * may call tlsdiag_multi_add and _pending; _process and _run return
 * TLSDIAG_E_INVAL there, and _free must not be called. */
typedef void (*tlsdiag_multi_cb)(tlsdiag_result_t *r, void *user,
                                 void *cb_data);

/* max_in_flight: checks running at once (the rest wait in a queue);
 * 0 means 64. */
TLSDIAG_API tlsdiag_err_t tlsdiag_multi_new(unsigned max_in_flight,
                                            tlsdiag_multi_cb cb,
                                            void *cb_data,
                                            tlsdiag_multi_t **out);
/* Queues a check of host with opts (copied, with every string it points
 * to, the resolve pins included; opts->hsts is borrowed and must stay
 * loaded until the check's callback). opts may be NULL for defaults.
 * Nothing runs before the next _process or _run. Errors in host or opts
 * (TLSDIAG_E_HOST, _PORT, _OPTIONS, _RESOLVE, _DNS_SERVER, _CAFILE) are
 * reported here, not through the callback. */
TLSDIAG_API tlsdiag_err_t tlsdiag_multi_add(tlsdiag_multi_t *m,
                                            const char *host,
                                            const tlsdiag_options_t *opts,
                                            void *user);
/* Checks queued or running. */
TLSDIAG_API size_t tlsdiag_multi_pending(const tlsdiag_multi_t *m);

/* For an external loop: the descriptors to watch, as struct pollfd
 * ({int fd; short events; short revents;}, see poll(2)) written into
 * fds[0..max); returns how many were written (call again with a larger
 * array if it equals max). */
struct pollfd;
TLSDIAG_API size_t tlsdiag_multi_fds(tlsdiag_multi_t *m, struct pollfd *fds,
                                     size_t max);
/* Milliseconds until tlsdiag_multi_process must be called even without
 * activity; -1 when nothing is pending. */
TLSDIAG_API int tlsdiag_multi_timeout_ms(tlsdiag_multi_t *m);
/* Advances every check with the poll() results (fds as returned by
 * tlsdiag_multi_fds with revents filled; n may be 0 on a timeout) and
 * starts queued checks. Runs the callbacks of those that finished. */
TLSDIAG_API tlsdiag_err_t tlsdiag_multi_process(tlsdiag_multi_t *m,
                                                const struct pollfd *fds,
                                                size_t n);
/* Runs its own poll() loop until nothing is pending. Bounded: every
 * check ends by its own max_time. */
TLSDIAG_API tlsdiag_err_t tlsdiag_multi_run(tlsdiag_multi_t *m);
/* Frees the handle; checks still pending are abandoned without callback.
 */
TLSDIAG_API void tlsdiag_multi_free(tlsdiag_multi_t *m);
/* Politeness: at most per_ip TCP connections in flight to one address
 * (a check holds the first address it races, IPv6 first, from its first
 * connection until it ends; the Happy Eyeballs attempts to its other
 * addresses are not counted), at most rate checks starting to connect a
 * second overall, evenly spaced; 0 means
 * no limit (the default for both). A check that must wait is queued, not
 * failed: the wait does not count against its timeouts, and its result
 * says how long it waited (JSON "queued_ms"). Call while no check runs.
 * TLSDIAG_E_INVAL (m NULL, checks running), TLSDIAG_E_NOMEM. */
TLSDIAG_API tlsdiag_err_t tlsdiag_multi_set_limits(tlsdiag_multi_t *m,
                                                   unsigned per_ip,
                                                   unsigned rate);
/* DNS look-ahead: up to max_in_flight + n checks of m are alive, but at
 * most max_in_flight past their DNS lookup (connecting, in TLS, HTTP...).
 * A check whose lookup succeeded while max_in_flight are past theirs is
 * held, without a socket or a running timeout, until one of them ends;
 * held checks go on oldest first, then through the politeness limits.
 * The time held is reported like a politeness wait (JSON "queued_ms", a
 * "queued" and a "released" timeline event) and not counted against the
 * timeouts. A lookup that fails (NXDOMAIN, timeout...) is never held: the
 * check ends at once. So a slow or dead DNS server no longer holds a
 * connection slot. n = 0: off (every check alive is in flight). Default:
 * max_in_flight, at most 256. Call while no check runs. TLSDIAG_E_INVAL
 * (m NULL, checks running). */
TLSDIAG_API tlsdiag_err_t tlsdiag_multi_set_dns_ahead(tlsdiag_multi_t *m,
                                                      unsigned n);

/* ---------------------------------------------------------------------------
 * A sweep on all cores: `jobs` multi engines, each on a thread of its own
 * started by tlsdiag_sweep_run and joined before it returns. Checks are
 * dealt to the engines in turn as they are added; each engine keeps its
 * own trust store, caches and in-flight limit (nothing mutable is shared
 * but the politeness gate, which locks). Every successful tlsdiag_sweep_add
 * gets exactly one callback (unless stopped), in completion order, one
 * at a time (callbacks never overlap), on whichever engine thread finished
 * the check; the callback may not call tlsdiag_sweep_* other than
 * tlsdiag_sweep_stop. Records are the same as one engine's.
 */
typedef struct tlsdiag_sweep tlsdiag_sweep_t;

/* jobs: engines (threads); 0 means the number of online processors.
 * max_in_flight: per engine (0: 64). per_ip, rate: as
 * tlsdiag_multi_set_limits, over all the engines together. */
TLSDIAG_API tlsdiag_err_t tlsdiag_sweep_new(unsigned jobs,
                                            unsigned max_in_flight,
                                            unsigned per_ip, unsigned rate,
                                            tlsdiag_multi_cb cb,
                                            void *cb_data,
                                            tlsdiag_sweep_t **out);
/* As tlsdiag_multi_add (same errors); before tlsdiag_sweep_run. */
TLSDIAG_API tlsdiag_err_t tlsdiag_sweep_add(tlsdiag_sweep_t *sw,
                                            const char *host,
                                            const tlsdiag_options_t *opts,
                                            void *user);
/* The engines run until every check is done or tlsdiag_sweep_stop; then
 * the threads are joined. TLSDIAG_E_NOMEM (a thread could not start: the
 * checks of the engines that did start still end normally). */
TLSDIAG_API tlsdiag_err_t tlsdiag_sweep_run(tlsdiag_sweep_t *sw);
/* Asks the engines to stop: no further callback starts after the ones
 * running; checks not finished are abandoned (tlsdiag_sweep_run returns
 * within about 100 ms). Async-signal-safe; any thread. */
TLSDIAG_API void tlsdiag_sweep_stop(tlsdiag_sweep_t *sw);
/* tlsdiag_multi_set_dns_ahead(m, n) on every engine (n per engine; the
 * default is each engine's max_in_flight, at most 256). Before
 * tlsdiag_sweep_run. TLSDIAG_E_INVAL (sw NULL, running). */
TLSDIAG_API tlsdiag_err_t tlsdiag_sweep_set_dns_ahead(tlsdiag_sweep_t *sw,
                                                      unsigned n);
/* Engines used (after tlsdiag_sweep_new: jobs, or the processors). */
TLSDIAG_API unsigned tlsdiag_sweep_jobs(const tlsdiag_sweep_t *sw);
TLSDIAG_API void tlsdiag_sweep_free(tlsdiag_sweep_t *sw); /* NULL ok */

/* ---------------------------------------------------------------------------
 * Offline verification: certificate chains given as bytes (files, secrets,
 * a chain about to be deployed), judged by the same verifier as the live
 * check: path building over unordered, extra and cross-signed
 * intermediates, trust anchors, dates at opts->now (0: the real clock),
 * names (DNS and IP SANs, wildcards, IDN; never the CN), basic
 * constraints, path length, key usage and extended key usage for the
 * purpose, name constraints, algorithm and key-size policy, CRLs, and the
 * RFC 5280 / CA/Browser Forum rules GnuTLS does not check. Each rule that
 * fails is a finding (mostly cert_invalid) with the evidence "rule"
 * (docs/verify.md lists them). The result is an ordinary result: chain,
 * findings and cause, every phase not_run; render it with
 * tlsdiag_result_format. No network, no files read except opts->cafile /
 * opts->capath (or the system store) for the anchors.
 */
typedef enum {
  TLSDIAG_PURPOSE_SERVER = 0, /* a TLS server (id-kp-serverAuth), default */
  TLSDIAG_PURPOSE_CLIENT = 1  /* a TLS client (id-kp-clientAuth) */
} tlsdiag_purpose_t;

/* Bytes borrowed for the duration of a call: PEM (any number of blocks;
 * text between them is ignored) or a single DER object. */
typedef struct tlsdiag_blob {
  const void *data;
  size_t len;
} tlsdiag_blob_t;

#define TLSDIAG_VERIFY_INPUT_VERSION 1

/* What to verify. Initialise with tlsdiag_verify_input_init(); new fields
 * are only ever appended (version says which the caller knows). */
typedef struct tlsdiag_verify_input {
  unsigned version;                /* TLSDIAG_VERIFY_INPUT_VERSION */
  const tlsdiag_blob_t *chain;     /* the chain: leaf first, then the */
  size_t nchain;                   /*   intermediates (any order works) */
  const tlsdiag_blob_t *untrusted; /* more intermediates to build with */
  size_t nuntrusted;
  const tlsdiag_blob_t *trusted;   /* trust anchors (tlsdiag_verify_chain
                                      only); none: opts->cafile/capath,
                                      else the system store */
  size_t ntrusted;
  const tlsdiag_blob_t *crls;      /* CRLs to check revocation against */
  size_t ncrls;
  const char *host;                /* DNS name (UTF-8 or A-label) or IP
                                      literal the leaf must be valid for;
                                      NULL: no name check */
  tlsdiag_purpose_t purpose;       /* TLSDIAG_PURPOSE_SERVER */
  int max_depth;                   /* -1: no limit; else the most
                                      intermediates a path may have */
  int expiring_within_days;        /* -1: off; else a certificate on the
                                      path expiring within this many days
                                      is an error (cert_expires_soon with
                                      severity error) */
} tlsdiag_verify_input_t;

/* Fills *in with the defaults above. */
TLSDIAG_API void tlsdiag_verify_input_init(tlsdiag_verify_input_t *in);

/* A verifier: the trust anchors, loaded once, and caches of parsed
 * certificates and signature checks shared by every chain it verifies
 * (intermediates and roots are parsed and verified once). One thread at a
 * time; separate verifiers may run in parallel. */
typedef struct tlsdiag_verifier tlsdiag_verifier_t;

/* Creates a verifier with opts (copied; NULL for defaults: now, warn_days
 * and crit_days are used) and trust anchors: the PEM/DER blobs in
 * trusted[0..ntrusted) when ntrusted > 0, else opts->cafile/capath, else
 * the system store. Errors: TLSDIAG_E_INVAL, TLSDIAG_E_OPTIONS,
 * TLSDIAG_E_NOMEM, TLSDIAG_E_CAFILE (anchors unreadable or holding no
 * certificate). errbuf (errlen bytes, may be NULL) gets a one-line
 * reason, always NUL-terminated when errlen > 0. */
TLSDIAG_API tlsdiag_err_t tlsdiag_verifier_new(const tlsdiag_options_t *opts,
                                               const tlsdiag_blob_t *trusted,
                                               size_t ntrusted,
                                               tlsdiag_verifier_t **out,
                                               char *errbuf, size_t errlen);
/* Verifies one chain. in->trusted must be empty (the verifier's anchors
 * are fixed). On TLSDIAG_OK *out is a new result (free it with
 * tlsdiag_result_free). TLSDIAG_E_INVAL when an input cannot be read as
 * certificates (broken PEM, no certificate, a DER object that is not
 * X.509) or a CRL does not parse; TLSDIAG_E_HOST for a malformed host.
 * The reason is then in tlsdiag_verifier_error(v). */
TLSDIAG_API tlsdiag_err_t tlsdiag_verifier_verify(tlsdiag_verifier_t *v,
                                                  const tlsdiag_verify_input_t *in,
                                                  tlsdiag_result_t **out);
/* One line saying why the last call failed ("chain: PEM block 2 is not
 * valid base64"), "" after success; borrowed from v until its next call. */
TLSDIAG_API const char *tlsdiag_verifier_error(const tlsdiag_verifier_t *v);
TLSDIAG_API void tlsdiag_verifier_free(tlsdiag_verifier_t *v); /* NULL ok */

/* One-shot: a verifier for in->trusted (or opts' store), one chain, freed.
 * Errors as tlsdiag_verifier_new and tlsdiag_verifier_verify. */
TLSDIAG_API tlsdiag_err_t tlsdiag_verify_chain(const tlsdiag_verify_input_t *in,
                                               const tlsdiag_options_t *opts,
                                               tlsdiag_result_t **out);

/* ---------------------------------------------------------------------------
 * Why options are refused. tlsdiag_check and tlsdiag_multi_add return an
 * API error for bad options (TLSDIAG_E_CAFILE for a trust store that does
 * not load, ...); this says which option and why, in one line, as curl's
 * CURLOPT_ERRORBUFFER does.
 *
 * Validates opts exactly as tlsdiag_check and tlsdiag_multi_add do, the
 * trust store included (loaded as a check loads it), and returns the same
 * error they would for the same options; the host is theirs alone (see
 * tlsdiag_host_check). opts NULL means the defaults. On an error, why (if
 * not NULL and len > 0) gets the reason, always NUL-terminated, cut to len:
 * for a CA file, which file and whether it is missing, unreadable, empty,
 * holds no certificate, or which certificate (number and line) does not
 * parse: "CA file '/etc/x.pem': certificate 2 (line 31) does not parse:
 * Base64 decoding error." On TLSDIAG_OK, why is "".
 *
 * Errors: TLSDIAG_E_OPTIONS, _PORT, _DNS_SERVER, _RESOLVE, _KEYLOG (the key
 * log file cannot be opened for appending; one that did not exist is
 * created and removed again), _CAFILE, _NOMEM, _INIT. A client
 * certificate (client_cert, client_key, client_cert_password) is loaded
 * as a check loads it; one that does not load is TLSDIAG_E_OPTIONS with
 * the file and the reason (missing, wrong password, key that does not
 * match, a key or password without a certificate). Thread-safe: it
 * touches no handle and writes only to why.
 */
TLSDIAG_API tlsdiag_err_t tlsdiag_options_check(const tlsdiag_options_t *opts,
                                                char *why, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* TLSDIAG_H */
