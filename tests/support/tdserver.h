/* tdserver.h: an in-process loopback TLS/HTTP server that misbehaves on
 * request, for the test suite and for `tlsdiag demo`.
 *
 * One listener thread accepts; each connection runs on its own thread, so a
 * client stuck on one connection never blocks the next. All I/O is poll()ed
 * together with a stop pipe, so tdserver_stop() ends every thread promptly;
 * each connection also has a safety timeout (TDSERVER_CONN_TIMEOUT_MS by
 * default) so nothing is left running if a client never goes away.
 *
 * The server never prints; failures are returned as negative codes (see
 * tdserver_strerror). Loopback use only: bind_addr should be 127.0.0.0/8 or
 * ::1.
 *
 * Threads: a tdserver_t may be queried from any thread while it runs; start
 * and stop must not race with other calls on the same server.
 */
#ifndef TDSERVER_H
#define TDSERVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- priority strings, each checked by tests/test_support.c ------------ */

/* Version-pinned servers (GnuTLS 3.7.9 on Debian 12 still builds TLS 1.0). */
#define TDS_PRIORITY_TLS10_ONLY "NORMAL:-VERS-ALL:+VERS-TLS1.0"
#define TDS_PRIORITY_TLS12_ONLY "NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define TDS_PRIORITY_TLS13_ONLY "NORMAL:-VERS-ALL:+VERS-TLS1.3"

/* A genuine cipher mismatch with a client on
 * "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2": the versions overlap (TLS
 * 1.2), but the server only allows Camellia-GCM suites, which NORMAL does
 * not offer. The server fails with GNUTLS_E_NO_CIPHER_SUITES and sends
 * handshake_failure (40); the client gets GNUTLS_E_FATAL_ALERT_RECEIVED.
 * Works with RSA and ECDSA certificates. */
#define TDS_PRIORITY_CIPHER_MISMATCH \
  "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+CAMELLIA-128-GCM:+CAMELLIA-256-GCM"

/* Forces a HelloRetryRequest against a default ("NORMAL") GnuTLS client:
 * TLS 1.3 only, and the only group is SECP384R1, for which GnuTLS clients
 * send no key share in the first ClientHello (they send X25519 and
 * SECP256R1). The handshake then completes on SECP384R1. GnuTLS 3.7.9 has
 * no GNUTLS_SFLAGS_HRR: a client sees the retry with a handshake hook on
 * GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST (incoming). */
#define TDS_PRIORITY_HRR \
  "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1"

#define TDSERVER_CONN_TIMEOUT_MS 30000 /* default per-connection limit */
#define TDSERVER_MAX_REQUEST 16384     /* request head bytes kept/read */

/* Error codes: 0 is success; -errno values (-EINVAL, -ENOMEM, -EADDRINUSE,
 * ...) for argument and system failures; TDSERVER_E_TLS + a GnuTLS error
 * code (so <= TDSERVER_E_TLS) when GnuTLS rejected the certificate, key or
 * priority string. */
#define TDSERVER_E_TLS (-100000)

typedef enum {
  TDS_HTTP = 0,   /* TLS handshake, read the request head, send the
                     configured response, close */
  TDS_SILENT,     /* accept TCP, never send anything */
  TDS_CLOSE,      /* accept then close at once (a FIN, not a RST) */
  TDS_RESET,      /* read the ClientHello, then close with RST */
  TDS_GARBAGE,    /* read the ClientHello, answer "HTTP/1.0 400 Bad
                     Request" (plain text), close */
  TDS_ALERT,      /* read the ClientHello, send a fatal TLS alert
                     (cfg->alert), close */
  TDS_HANDSHAKE_THEN_SILENT, /* complete TLS, then never answer HTTP */
  TDS_RAW_RESPONSE, /* complete TLS, read the request head, then send
                       cfg->raw_response verbatim, dripping it when
                       drip_ms > 0; then close (with close_notify
                       unless raw_no_close_notify) */
  TDS_NO_ACCEPT   /* listen with backlog 0, never accept, and fill the
                     backlog at start so that a client's SYN is dropped
                     and its connect() times out */
} tdserver_mode_t;

/* Initialise with tdserver_config_init(), then set fields. tdserver_start
 * copies everything it needs: the config and the strings it points to may
 * be freed once tdserver_start returns. */
typedef struct tdserver_config {
  const char *bind_addr; /* "127.0.0.1" default; "::1" for IPv6 */
  uint16_t port;         /* 0: ephemeral */
  tdserver_mode_t mode;
  const char *chain_pem; /* certificate chain, leaf first; required for
                            the TLS modes (HTTP, HANDSHAKE_THEN_SILENT,
                            RAW_RESPONSE) */
  const char *key_pem;
  const unsigned char *ocsp_der; /* OCSP staple, optional: served verbatim
                                    (even expired or for another cert) */
  size_t ocsp_len;
  const char *priority;  /* GnuTLS priority string; NULL = "NORMAL" */
  int alert;             /* TDS_ALERT: alert number (default 40) */
  int http_status;       /* TDS_HTTP: status code (default 200) */
  const char *extra_headers; /* raw "Name: value\r\n" lines, may be NULL */
  int send_date;         /* TDS_HTTP: send a Date header (default 1) */
  int64_t date_offset_s; /* Date = the real time + offset */
  const char *raw_response; /* TDS_RAW_RESPONSE: bytes to send */
  size_t raw_len;
  int drip_ms;           /* >0: send drip_bytes, then wait drip_ms, ... */
  size_t drip_bytes;     /* bytes per drip; 0 = 1 */
  int session_tickets;   /* 1: issue TLS session tickets (resumable) */
  int early_data;        /* with session_tickets: accept TLS 1.3 0-RTT */
  const char *alpn;      /* ALPN protocol the server accepts, or NULL */
  int max_connections;   /* 0 = unlimited; after that many accepts the
                            listener closes (later connects are refused) */
  int conn_timeout_ms;   /* per-connection safety limit; 0 = default */
  int raw_no_close_notify; /* TDS_RAW_RESPONSE: end with a TCP FIN but no
                              TLS close_notify (a truncation attack) */
  unsigned ticket_lifetime_s; /* with session_tickets: the lifetime the
                                 NewSessionTickets carry; 0 = GnuTLS's
                                 default (6 hours) */
  const char *client_ca_pem; /* TLS modes: require a client certificate
                                (GNUTLS_CERT_REQUIRE); the CertificateRequest
                                names these CAs (PEM, one or more). No
                                certificate: the handshake fails (TLS 1.3:
                                alert certificate_required after the
                                client's Finished; TLS 1.2: an alert during
                                the handshake) */
  int client_verify;         /* with client_ca_pem: also verify the client's
                                certificate against them and refuse one
                                that does not verify (GnuTLS picks the
                                alert) */
  int chain_as_is;           /* 1: send chain_pem's certificates in its
                                order, all of them, even one after the
                                leaf that GnuTLS cannot parse (GnuTLS
                                otherwise sorts the chain and drops what
                                does not follow from the leaf, e.g. a
                                second path); at most 16 */
} tdserver_config_t;

typedef struct tdserver tdserver_t;

/* Defaults: 127.0.0.1, ephemeral port, TDS_HTTP, status 200, send_date 1,
 * alert 40, priority NULL, everything else 0/NULL. */
void tdserver_config_init(tdserver_config_t *cfg);

/* Binds, listens and starts the listener thread. Returns 0 and *out, or a
 * negative code (see above) and *out = NULL. For TDS_NO_ACCEPT it also
 * fills the backlog (this takes about 0.2 s). */
int tdserver_start(const tdserver_config_t *cfg, tdserver_t **out);

/* The port bound (useful with port 0). */
uint16_t tdserver_port(const tdserver_t *s);

/* Connections accepted so far. */
unsigned tdserver_connections(const tdserver_t *s);
/* HTTP request heads read so far (over all connections). */
unsigned tdserver_requests(const tdserver_t *s);

/* What the most recent connection saw, for asserts. Each returns a new
 * string the caller frees ("" when not seen yet), or NULL on out of memory.
 * The values are recorded as soon as they are known, before the server
 * answers: the SNI when the ClientHello arrives (also in the RESET, ALERT
 * and GARBAGE modes, parsed from the raw ClientHello), the version name
 * ("TLS1.3") when the ServerHello is chosen, and the request head once it
 * is complete, before the response is sent. So once a client has seen the
 * server's answer, these describe its connection. */
char *tdserver_last_sni(tdserver_t *s);
char *tdserver_last_request(tdserver_t *s);
char *tdserver_last_version(tdserver_t *s);

/* Closes the listener, ends every connection thread promptly (a client
 * holding a connection sees it closed), joins them and frees everything.
 * NULL is fine. */
void tdserver_stop(tdserver_t *s);

/* Static English text for a code returned by tdserver_start (or by
 * tddns_start). Never NULL. */
const char *tdserver_strerror(int rc);

#ifdef __cplusplus
}
#endif

#endif /* TDSERVER_H */
