/* cause.c: the one table of causes: stable name, severity, description,
 * and the order in which a root cause is chosen. */
#include <string.h>

#include "internal.h"

typedef struct {
  const char *name;
  tlsdiag_severity_t severity;
  int rank; /* root-cause order: lower wins among errors */
  const char *description;
} cause_row_t;

#define E TLSDIAG_SEVERITY_ERROR
#define W TLSDIAG_SEVERITY_WARNING
#define I TLSDIAG_SEVERITY_INFO

/* Root-cause order: the phase that failed first wins (a failure there
 * hides everything after it); within certificates, what a user can least
 * work around comes first: a wrong clock explains date errors, so it beats
 * them; revocation beats trust; trust beats names; names beat dates. */
static const cause_row_t causes[TLSDIAG_CAUSE_COUNT_] = {
    [TLSDIAG_CAUSE_OK] = {"ok", I, 999, "no problem found"},
    [TLSDIAG_CAUSE_DNS_NXDOMAIN] = {"dns_nxdomain", E, 10,
                                    "the name does not exist in DNS"},
    [TLSDIAG_CAUSE_DNS_NO_ADDRESS] = {"dns_no_address", E, 11,
                                      "the name has no A or AAAA record"},
    [TLSDIAG_CAUSE_DNS_TIMEOUT] = {"dns_timeout", E, 12,
                                   "the DNS server did not answer in time"},
    [TLSDIAG_CAUSE_DNS_FAILURE] = {"dns_failure", E, 13,
                                   "the DNS lookup failed"},
    [TLSDIAG_CAUSE_TCP_REFUSED] = {"tcp_refused", E, 20,
                                   "the server refused the TCP connection"},
    [TLSDIAG_CAUSE_TCP_TIMEOUT] = {"tcp_timeout", E, 21,
                                   "the TCP connection timed out"},
    [TLSDIAG_CAUSE_TCP_UNREACHABLE] = {"tcp_unreachable", E, 22,
                                       "the server's network is unreachable"},
    [TLSDIAG_CAUSE_TCP_FAILURE] = {"tcp_failure", E, 23,
                                   "the TCP connection failed"},
    [TLSDIAG_CAUSE_TLS_TIMEOUT] = {"tls_timeout", E, 30,
                                   "the TLS handshake timed out"},
    [TLSDIAG_CAUSE_TLS_VERSION_MISMATCH] = {
        "tls_version_mismatch", E, 31,
        "client and server share no TLS version"},
    [TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH] = {
        "tls_cipher_mismatch", E, 32, "client and server share no cipher suite"},
    [TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE] = {"tls_handshake_failure", E, 33,
                                             "the TLS handshake failed"},
    [TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED] = {
        "tls_connection_closed", E, 34,
        "the server closed the connection during the handshake"},
    [TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR] = {"tls_protocol_error", E, 35,
                                          "the server does not speak TLS"},
    /* Before the handshake failure or closed connection they explain
     * (a TLS 1.3 server refuses after our Finished, so the symptom may
     * be an HTTP one, or none: nginx answers 400). */
    [TLSDIAG_CAUSE_TLS_CLIENT_CERT_REQUIRED] = {
        "tls_client_cert_required", E, 28,
        "the server requires a client certificate"},
    [TLSDIAG_CAUSE_TLS_CLIENT_CERT_REJECTED] = {
        "tls_client_cert_rejected", E, 29,
        "the server rejected the client certificate"},
    [TLSDIAG_CAUSE_CERT_REVOKED] = {"cert_revoked", E, 40,
                                    "the certificate has been revoked"},
    [TLSDIAG_CAUSE_CLOCK_SKEW] = {
        "clock_skew", E, 41,
        "the local clock is wrong; the certificate is valid by the server's"},
    [TLSDIAG_CAUSE_CERT_SELF_SIGNED] = {"cert_self_signed", E, 42,
                                        "the certificate is self-signed"},
    [TLSDIAG_CAUSE_CERT_INCOMPLETE_CHAIN] = {
        "cert_incomplete_chain", E, 43,
        "the server did not send the intermediate certificate"},
    [TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER] = {
        "cert_compromised_issuer", E, 39,
        "the chain contains a root whose private key is public"},
    [TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER] = {
        "cert_unknown_issuer", E, 43,
        "the server sent only its certificate and its issuer is unknown"},
    [TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER] = {
        "cert_untrusted_issuer", E, 44,
        "the certificate's issuer is not trusted"},
    [TLSDIAG_CAUSE_CERT_INVALID] = {"cert_invalid", E, 45,
                                    "the certificate chain is invalid"},
    [TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH] = {
        "cert_hostname_mismatch", E, 46,
        "the certificate is not valid for this name"},
    [TLSDIAG_CAUSE_CERT_EXPIRED] = {"cert_expired", E, 47,
                                    "the certificate has expired"},
    [TLSDIAG_CAUSE_CERT_NOT_YET_VALID] = {"cert_not_yet_valid", E, 48,
                                          "the certificate is not yet valid"},
    [TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE] = {
        "cert_weak_signature", E, 49,
        "the chain uses a weak signature algorithm (SHA-1 or MD5)"},
    [TLSDIAG_CAUSE_CERT_WEAK_KEY] = {"cert_weak_key", E, 50,
                                     "the certificate's key is too weak"},
    [TLSDIAG_CAUSE_CERT_CHAIN_TOO_LARGE] = {
        "cert_chain_too_large", E, 53,
        "the certificate list is larger than browsers accept"},
    [TLSDIAG_CAUSE_OCSP_STAPLE_INVALID] = {
        "ocsp_staple_invalid", W, 51,
        "the stapled OCSP response could not be used"},
    [TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR] = {
        "hsts_preloaded_cert_error", E, 52,
        "the host is HSTS-preloaded: browsers allow no click-through"},
    [TLSDIAG_CAUSE_HTTP_TIMEOUT] = {"http_timeout", E, 60,
                                    "the server did not answer the request"},
    [TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED] = {
        "http_connection_closed", E, 61,
        "the server closed the connection before answering"},
    [TLSDIAG_CAUSE_HTTP_MALFORMED] = {"http_malformed", E, 62,
                                      "the HTTP response is malformed"},
    [TLSDIAG_CAUSE_HTTP_TOO_LARGE] = {"http_too_large", E, 63,
                                      "the HTTP response is too large"},
    [TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT] = {
        "http_insecure_redirect", W, 64,
        "the HTTPS page redirects to plain http://"},
    [TLSDIAG_CAUSE_TIMEOUT] = {"timeout", E, 70,
                               "the check ran out of time"},
    [TLSDIAG_CAUSE_CERT_EXPIRES_SOON] = {"cert_expires_soon", W, 80,
                                         "the certificate expires soon"},
    [TLSDIAG_CAUSE_TLS_LEGACY_VERSION] = {
        "tls_legacy_version", W, 81,
        "an obsolete TLS version (1.0 or 1.1) was negotiated"},
    [TLSDIAG_CAUSE_HSTS_HEADER_MISSING] = {
        "hsts_header_missing", W, 82, "no Strict-Transport-Security header"},
    [TLSDIAG_CAUSE_HSTS_HEADER_INVALID] = {
        "hsts_header_invalid", W, 83,
        "the Strict-Transport-Security header is invalid"},
    [TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT] = {
        "hsts_max_age_short", W, 84, "HSTS max-age is shorter than one year"},
    [TLSDIAG_CAUSE_HSTS_NO_INCLUDE_SUBDOMAINS] = {
        "hsts_no_include_subdomains", W, 85,
        "HSTS lacks includeSubDomains"},
    [TLSDIAG_CAUSE_HSTS_PRELOAD_DIRECTIVE_MISSING] = {
        "hsts_preload_directive_missing", W, 86,
        "HSTS lacks the preload directive"},
    [TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH] = {
        "hsts_preload_mismatch", W, 87,
        "the host is preloaded but its header no longer qualifies"},
    [TLSDIAG_CAUSE_TLS_NO_RESUMPTION] = {
        "tls_no_resumption", I, 90, "the server does not resume sessions"},
    [TLSDIAG_CAUSE_TLS_HELLO_RETRY] = {
        "tls_hello_retry", I, 91,
        "the server asked for another key share (one more round trip)"},
    /* A weak DH group is an error of the key exchange itself: after the
     * certificate errors (a browser would not even get there: it no longer
     * offers DHE), before HTTP. The two suite warnings rank with the
     * legacy version. */
    [TLSDIAG_CAUSE_TLS_WEAK_DH] = {
        "tls_weak_dh", E, 53,
        "the server's Diffie-Hellman group is weak"},
    [TLSDIAG_CAUSE_TLS_NO_FORWARD_SECRECY] = {
        "tls_no_forward_secrecy", W, 88,
        "static RSA key exchange: no forward secrecy"},
    [TLSDIAG_CAUSE_TLS_LEGACY_CIPHER] = {
        "tls_legacy_cipher", W, 89,
        "a legacy cipher suite (CBC, 3DES, RC4, NULL or SHA-1 MAC) was "
        "negotiated"},
    [TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY] = {
        "cert_path_browser_only", W, 88,
        "only clients that build paths (browsers) accept the chain as sent"},
    [TLSDIAG_CAUSE_CERT_MALFORMED] = {"cert_malformed", E, 39,
                                      "a certificate is malformed"},
    [TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE] = {
        "cert_verifiers_disagree", E, 53,
        "tlsdiag's verifier accepts the chain but GnuTLS's rejects it"},
    [TLSDIAG_CAUSE_HSTS_LIST_STALE] = {
        "hsts_list_stale", I, 92,
        "the HSTS preload list used is more than 180 days old"},
    /* Records the connection's own keys do not open put everything read
     * over them in doubt (an interception device, a TLS library bug): a
     * TLS-phase error, ranked before anything judged from those records. */
    [TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH] = {
        "tls_key_schedule_mismatch", E, 38,
        "a key derived from the connection's own secrets does not match its "
        "records"},
    /* A name the server does not serve: before the version and cipher
     * probes' readings, which the same alert at every version would
     * otherwise turn into a false "no common cipher suite". */
    [TLSDIAG_CAUSE_TLS_UNRECOGNIZED_NAME] = {
        "tls_unrecognized_name", E, 30,
        "the server does not serve this name (SNI refused)"},
    /* The site behind a working HTTPS server fails: after every TLS and
     * certificate problem and the HTTP failures (a warning only for a 501
     * to HEAD; also a 421 Misdirected Request, classify.c). */
    [TLSDIAG_CAUSE_HTTP_SERVER_ERROR] = {
        "http_server_error", E, 65,
        "the server answered with a 5xx status (or 421: no site for this "
        "name): HTTPS works, the site behind it fails"},
    /* Firefox refuses the connection; among the certificate errors, after
     * trust, names and dates (what the certificate says is fine, the
     * server's configuration is not). */
    [TLSDIAG_CAUSE_OCSP_MUST_STAPLE_MISSING] = {
        "ocsp_must_staple_missing", E, 51,
        "the certificate requires an OCSP staple (must-staple) and none was "
        "sent"},
    /* HTTP-phase errors: the server answered nothing a browser can use.
     * Inadequate TLS under h2 is the server's configuration (ALPN h2 with
     * a suite RFC 9113 forbids): before the generic HTTP failures. */
    [TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY] = {
        "http2_inadequate_security", E, 59,
        "HTTP/2 was negotiated over TLS that HTTP/2 forbids (browsers "
        "refuse it)"},
    [TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR] = {
        "http2_protocol_error", E, 62,
        "the HTTP/2 connection failed (GOAWAY, RST_STREAM or a malformed "
        "frame)"},
    /* The site behind a working HTTPS server sends the browser round in
     * a circle: beside the 5xx answers (a response is either). */
    [TLSDIAG_CAUSE_HTTP_REDIRECT_LOOP] = {
        "http_redirect_loop", E, 66,
        "the server redirects to the very URL asked for: browsers give up "
        "(too many redirects)"},
};

#undef E
#undef W
#undef I

static const cause_row_t *row(tlsdiag_cause_t c) {
  if ((unsigned)c >= TLSDIAG_CAUSE_COUNT_ || !causes[c].name) return NULL;
  return &causes[c];
}

const char *tlsdiag_cause_name(tlsdiag_cause_t c) {
  const cause_row_t *r = row(c);
  return r ? r->name : "unknown";
}

const char *tlsdiag_cause_description(tlsdiag_cause_t c) {
  const cause_row_t *r = row(c);
  return r ? r->description : "unknown cause";
}

tlsdiag_severity_t tlsdiag_cause_severity(tlsdiag_cause_t c) {
  const cause_row_t *r = row(c);
  return r ? r->severity : TLSDIAG_SEVERITY_ERROR;
}

int tlsdiag_cause_from_name(const char *name) {
  if (!name) return -1;
  for (int i = 0; i < TLSDIAG_CAUSE_COUNT_; i++)
    if (causes[i].name && strcmp(causes[i].name, name) == 0) return i;
  return -1;
}

int td_cause_is_cert(tlsdiag_cause_t c) {
  switch (c) {
  case TLSDIAG_CAUSE_CERT_EXPIRED:
  case TLSDIAG_CAUSE_CERT_NOT_YET_VALID:
  case TLSDIAG_CAUSE_CLOCK_SKEW: /* a date error by our clock */
  case TLSDIAG_CAUSE_CERT_SELF_SIGNED:
  case TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER:
  case TLSDIAG_CAUSE_CERT_INCOMPLETE_CHAIN:
  case TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER:
  case TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER:
  case TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH:
  case TLSDIAG_CAUSE_CERT_REVOKED:
  case TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE:
  case TLSDIAG_CAUSE_CERT_WEAK_KEY:
  case TLSDIAG_CAUSE_CERT_INVALID:
  case TLSDIAG_CAUSE_CERT_CHAIN_TOO_LARGE:
  case TLSDIAG_CAUSE_CERT_MALFORMED:
  case TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE: return 1;
  default: return 0;
  }
}

int td_cause_rank(tlsdiag_cause_t c) {
  const cause_row_t *r = row(c);
  return r ? r->rank : 1000;
}

const char *tlsdiag_severity_name(tlsdiag_severity_t s) {
  switch (s) {
  case TLSDIAG_SEVERITY_INFO: return "info";
  case TLSDIAG_SEVERITY_WARNING: return "warning";
  case TLSDIAG_SEVERITY_ERROR: return "error";
  }
  return "unknown";
}

const char *td_tls_version_name(tlsdiag_tls_version_t v) {
  switch (v) {
  case TLSDIAG_TLS1_0: return "TLS1.0";
  case TLSDIAG_TLS1_1: return "TLS1.1";
  case TLSDIAG_TLS1_2: return "TLS1.2";
  case TLSDIAG_TLS1_3: return "TLS1.3";
  case TLSDIAG_TLS_DEFAULT: break;
  }
  return NULL;
}

const char *tlsdiag_phase_name(tlsdiag_phase_t p) {
  switch (p) {
  case TLSDIAG_PHASE_DNS: return "dns";
  case TLSDIAG_PHASE_TCP: return "tcp";
  case TLSDIAG_PHASE_TLS: return "tls";
  case TLSDIAG_PHASE_HTTP: return "http";
  case TLSDIAG_PHASE_COUNT_: break;
  }
  return "unknown";
}

const char *tlsdiag_status_name(tlsdiag_status_t s) {
  switch (s) {
  case TLSDIAG_STATUS_NOT_RUN: return "not_run";
  case TLSDIAG_STATUS_SKIPPED: return "skipped";
  case TLSDIAG_STATUS_OK: return "ok";
  case TLSDIAG_STATUS_FAILED: return "failed";
  case TLSDIAG_STATUS_TIMEOUT: return "timeout";
  }
  return "unknown";
}

/* A switch, so the compiler warns when a code has no text. */
const char *tlsdiag_strerror(tlsdiag_err_t e) {
  switch (e) {
  case TLSDIAG_OK: return "no error";
  case TLSDIAG_E_INVAL: return "invalid argument";
  case TLSDIAG_E_NOMEM: return "out of memory";
  case TLSDIAG_E_HOST: return "malformed host name";
  case TLSDIAG_E_PORT: return "port out of range (1-65535)";
  case TLSDIAG_E_CAFILE: return "cannot load the trust store";
  case TLSDIAG_E_RESOLVE: return "malformed resolve pin (HOST:PORT:ADDR)";
  case TLSDIAG_E_DNS_SERVER: return "malformed DNS server list";
  case TLSDIAG_E_OPTIONS: return "invalid options";
  case TLSDIAG_E_INIT: return "library initialisation failed";
  case TLSDIAG_E_FORMAT: return "unknown output format";
  case TLSDIAG_E_TIME: return "malformed time (use 2026-01-02T03:04:05Z)";
  case TLSDIAG_E_KEYLOG: return "cannot open the key log file";
  case TLSDIAG_E_HSTS_LIST: return "cannot load the HSTS preload list";
  case TLSDIAG_E_URL: return "malformed URL (https://HOST[:PORT][/PATH])";
  }
  return "unknown error";
}

unsigned tlsdiag_version_num(void) { return TLSDIAG_VERSION_NUM; }
const char *tlsdiag_version_str(void) { return TLSDIAG_VERSION_STR; }
