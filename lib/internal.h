/* internal.h: types shared by the modules of libtlsdiag (not installed). */
#ifndef TD_INTERNAL_H
#define TD_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsdiag/tlsdiag.h"
#include "kx_quality.h"

#if defined(__GNUC__)
#define TD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TD_PRINTF(a, b)
#endif

/* ---- buf.c: growable byte buffer, always NUL-terminated ---------------- */
typedef struct td_buf {
  char *data; /* NULL until the first append */
  size_t len;
  size_t cap;
  int oom; /* sticky: an append failed; the content is incomplete */
} td_buf_t;

void td_buf_init(td_buf_t *b);
void td_buf_free(td_buf_t *b);
void td_buf_append(td_buf_t *b, const void *p, size_t n);
void td_buf_puts(td_buf_t *b, const char *s);
void td_buf_putc(td_buf_t *b, char c);
void td_buf_printf(td_buf_t *b, const char *fmt, ...) TD_PRINTF(2, 3);
void td_buf_vprintf(td_buf_t *b, const char *fmt, va_list ap)
    TD_PRINTF(2, 0);
/* Hands the data to the caller (malloc'd, NUL-terminated; "" if empty) and
 * resets b. NULL if an append ran out of memory. */
char *td_buf_steal(td_buf_t *b, size_t *len);

/* ---- options.c --------------------------------------------------------- */
/* The options every public entry point works with: in itself when the
 * caller knows the current version; else defaults in *tmp overlaid with
 * the prefix of in that the caller's version has (NULL in: defaults). An
 * unknown version is kept for validation to refuse. */
const tlsdiag_options_t *td_options_import(const tlsdiag_options_t *in,
                                           tlsdiag_options_t *tmp);

/* ---- timeparse.c: times as users write them ---------------------------- */
/* Parses s into Unix seconds: "2026-01-02T03:04:05Z" (RFC 3339 / ISO 8601,
 * 'T', 't' or ' ' between date and time, seconds optional, a fraction read
 * and ignored, "Z", "+02:00", "-0530", "+05" or no zone = UTC), a date
 * alone ("2026-12-31" = 00:00:00Z), "@UNIX" (seconds), or a time
 * relative to now: "+30d", "-12h" (units s, m, h, d, w). Every result lies
 * in 1970..9999. TLSDIAG_E_TIME with *why (if not NULL) a static reason;
 * TLSDIAG_E_INVAL for NULL s or out. Pure. */
tlsdiag_err_t td_time_parse(const char *s, int64_t now, int64_t *out,
                            const char **why);
/* Days since 1970-01-01 of a proleptic Gregorian date (any TZ). */
int64_t td_days_from_civil(int64_t y, int m, int d);
/* Days in month m (1-12) of year y; 0 for a month out of range. */
int td_days_in_month(int64_t y, int m);

/* ---- util.c ------------------------------------------------------------ */
char *td_strdup(const char *s);              /* NULL-safe */
char *td_strndup(const char *s, size_t n);   /* copies up to n bytes */
char *td_asprintf(const char *fmt, ...) TD_PRINTF(1, 2);
/* Writes the reason into why (len bytes, may be NULL/0) and returns err:
 * for API calls that explain an error in a caller's buffer. */
tlsdiag_err_t td_say(char *why, size_t len, tlsdiag_err_t err,
                     const char *fmt, ...) TD_PRINTF(4, 5);
char *td_vasprintf(const char *fmt, va_list ap) TD_PRINTF(1, 0);
int td_strcasecmp(const char *a, const char *b);
/* ISO 8601 UTC "2026-01-02T03:04:05Z" into out (>= 21 bytes). */
void td_time_iso(int64_t t, char out[32]);
/* Whole days from now to t, truncated toward zero (negative when past). */
int64_t td_days_between(int64_t now, int64_t t);
/* Length of the well-formed UTF-8 sequence at s[0..n) (n >= 1) and its
 * code point in *cp; 0 if ill-formed, with *bad the length of the maximal
 * ill-formed subpart (one U+FFFD each). No overlongs, no surrogates, nothing
 * above U+10FFFF. The one UTF-8 decoder of lib/: the JSON writer, the
 * terminal renderer, the Prometheus labels and the preload-list reader. */
size_t td_utf8_next(const unsigned char *s, size_t n, uint32_t *cp,
                    size_t *bad);
/* Encodes cp as UTF-8 into out and returns its length (1 to 4); a
 * surrogate or a value above U+10FFFF is written as U+FFFD. */
size_t td_utf8_put(uint32_t cp, unsigned char out[4]);
/* Monotonic clock in microseconds. */
int64_t td_mono_us(void);
/* Wall clock, Unix seconds. */
int64_t td_wall_now(void);

/* ---- evidence and findings -------------------------------------------- */
typedef enum {
  TD_EV_STR = 0,
  TD_EV_INT = 1,
  TD_EV_BOOL = 2,
  TD_EV_LIST = 3 /* list of strings */
} td_ev_type_t;

typedef struct td_evidence {
  char *key;
  td_ev_type_t type;
  char *text;    /* always set: the value as text (list joined with ", ") */
  int64_t num;   /* TD_EV_INT, TD_EV_BOOL */
  char **list;   /* TD_EV_LIST */
  size_t nlist;
} td_evidence_t;

/* What ended an HTTP/2 connection early (http2.c), as evidence. */
typedef struct td_h2_info {
  char *frame;        /* "GOAWAY", "RST_STREAM" or NULL */
  int by_client;      /* we sent it (a malformed frame, inadequate TLS) */
  uint32_t error_code;  /* RFC 9113 section 7 */
  char *error_name;   /* "PROTOCOL_ERROR", "INADEQUATE_SECURITY", ... */
  int32_t last_stream_id; /* a GOAWAY's; -1 otherwise */
  char *debug;        /* GOAWAY debug data or nghttp2's reason, escaped,
                         at most 256 bytes */
} td_h2_info_t;

typedef struct td_finding {
  tlsdiag_cause_t code;
  tlsdiag_severity_t severity;
  char *message; /* one line, specific to this result */
  td_evidence_t *ev;
  size_t nev;
} td_finding_t;

/* ---- the observed sequence (for the text and mermaid reports) ---------- */
typedef enum {
  TD_DIR_LOCAL = 0,  /* something the client did or measured */
  TD_DIR_C2S = 1,    /* client -> server */
  TD_DIR_S2C = 2,    /* server -> client */
  TD_DIR_C2DNS = 3,  /* client -> resolver */
  TD_DIR_DNS2C = 4   /* resolver -> client */
} td_dir_t;

typedef struct td_event {
  double t_ms;    /* since the check started */
  td_dir_t dir;
  char *what;     /* "ClientHello", "SYN", "HEAD / HTTP/1.1", ... */
  char *detail;   /* may be NULL: "TLS1.3, x25519", ... */
} td_event_t;

/* ---- per-phase records ------------------------------------------------- */
typedef struct td_phase {
  tlsdiag_status_t status;
  double start_ms; /* since the check started */
  double ms;       /* duration */
  char *error;     /* short text of what failed, or NULL */
} td_phase_t;

/* Happy Eyeballs' Connection Attempt Delay (RFC 8305 5; race.c): the
 * default of options' happy_eyeballs_timeout_ms. */
#define TD_RACE_DELAY_MS 250

typedef struct td_attempt {
  char addr[64];   /* textual address */
  int family;      /* AF_INET / AF_INET6 */
  tlsdiag_status_t status;
  int err;         /* errno of the failure, 0 if none */
  char *error;     /* text of the failure, or NULL */
  double ms;       /* from its start to its outcome */
  double started_ms; /* its start, since the check started */
  int abandoned;   /* closed while pending: another attempt won */
} td_attempt_t;

typedef enum { TD_SAN_DNS = 0, TD_SAN_IP = 1, TD_SAN_OTHER = 2 } td_san_type_t;

typedef struct td_san {
  td_san_type_t type;
  char *value; /* DNS name as encoded, IP as text, other as "type:value" */
} td_san_t;

typedef struct td_cert {
  char *subject;        /* RFC 4514 string */
  char *issuer;
  char *common_name;    /* first CN, or NULL */
  td_san_t *sans;
  size_t nsans;
  char *serial;         /* lowercase hex, colon-free */
  int64_t not_before;   /* Unix seconds */
  int64_t not_after;
  char *key_type;       /* "RSA", "ECDSA", "Ed25519", ... */
  unsigned key_bits;
  char *sig_alg;        /* "RSA-SHA256", "ECDSA-SHA256", ... */
  int sig_weak;         /* signature hash is SHA-1 or MD5 */
  char sha256[65];      /* lowercase hex fingerprint */
  char spki_sha256[65]; /* lowercase hex SHA-256 of the SubjectPublicKeyInfo */
  int is_ca;            /* basicConstraints CA:TRUE */
  int self_issued;      /* subject == issuer */
  int self_signed;      /* self-issued and its signature verifies */
  char *aia_ca_issuers; /* first caIssuers URL, or NULL */
  char *ocsp_url;       /* first OCSP URL, or NULL */
  unsigned char *der;
  size_t der_len;
  /* text forms served by tlsdiag_result_cert_field() */
  char not_before_iso[32]; /* set by td_cert_parse */
  char not_after_iso[32];  /* set by td_cert_parse */
  char *sans_text;         /* SAN values joined with ", "; td_cert_parse */
  char key_bits_text[16];  /* td_cert_parse */
  int64_t days_left;       /* set by check.c once "now" is known */
  char days_left_text[24]; /* set with days_left */
} td_cert_t;

typedef struct td_header {
  char *name;
  char *value;
} td_header_t;

/* Verification outcome, the raw material classify.c judges. */
typedef struct td_verify {
  int done;            /* verification ran */
  unsigned status;     /* GnuTLS status bits (time checks disabled) */
  char *status_text;   /* gnutls_certificate_verification_status_print */
  int trusted;         /* a path to a trust anchor was found */
  int name_ok;         /* the host matched a SAN (or CN without SANs) */
  int issuer_missing;  /* top of the sent chain has no issuer we know */
  int chain_ends_in_root; /* the sent chain ends in a self-signed cert */
  int ocsp_status;     /* -1 none, 0 good, 1 revoked, 2 unknown, 3 bad */
  char *ocsp_error;    /* why a staple was unusable */
  int must_staple;     /* the leaf's TLS feature extension (RFC 7633) asks
                          for status_request */
  int64_t ocsp_this_update, ocsp_next_update, ocsp_revoked_at;
  /* The second verdict (verify_strict.c): GnuTLS's own verification of
   * the chain as sent, with the same trust list, name and purpose (time
   * checks disabled: dates are judged once, by classify.c). */
  int strict_done;
  int strict_ok;
  unsigned strict_status; /* GnuTLS status bits */
  char *strict_text;      /* its _status_print text, or why it failed */
  /* How tlsdiag's path differs from the chain as sent (verifier.c):
   * a certificate on it was not sent (found in the pool), or the sent
   * certificates are on it in another order. */
  int path_unsent;
  int path_reordered;
  int path_complete;   /* the verifier found a path to a trust anchor */
  uint64_t path_mask;  /* bit i: r->chain[i] is on that path (i < 64) */
  /* The trust anchor that path ends in (set with path_complete), sent or
   * not: compromised.c's roots are matched on it too. */
  char *anchor_subject;
  char anchor_spki_sha256[65]; /* lowercase hex; "" when unknown */
} td_verify_t;

/* The AIA caIssuers fetch of a missing issuer (aia.c), as evidence. */
typedef enum {
  TD_AIA_NONE = 0,     /* not tried: nothing missing, or flags said no */
  TD_AIA_DISABLED,     /* an issuer was missing; TLSDIAG_F_NO_AIA */
  TD_AIA_NO_URL,       /* the certificate names no http:// caIssuers URL */
  TD_AIA_FAILED,       /* DNS, TCP, HTTP status, timeout, size */
  TD_AIA_UNPARSABLE,   /* a body that is neither DER nor PKCS#7 certs */
  TD_AIA_NOT_ISSUER,   /* parsed, but none of it signed the certificate */
  TD_AIA_INTERMEDIATE, /* the issuer, and it chains to a trusted root */
  TD_AIA_UNTRUSTED,    /* the issuer, not self-signed, and not trusted */
  TD_AIA_ROOT          /* the issuer is a self-signed root not trusted */
} td_aia_outcome_t;

typedef struct td_aia {
  td_aia_outcome_t outcome;
  int tried;           /* a fetch ran (or its cached result was used) */
  int cached;          /* the result came from an earlier fetch */
  char *url;
  int status;          /* HTTP status, 0 if none */
  size_t bytes;        /* body bytes read */
  double ms;           /* the fetch's duration */
  char *error;         /* why it failed, or NULL */
  char *issuer_subject; /* the fetched issuer's subject */
  char *issuer_sha256;  /* and its fingerprint */
} td_aia_t;

/* Version probe after a failed handshake (diagnosis). */
typedef struct td_probe {
  tlsdiag_tls_version_t version;
  int ran;
  int accepted;    /* the server completed a handshake at this version */
  char *error;     /* alert name or error text when refused; with ran 0,
                      why it was not probed ("our deadline", a local
                      GnuTLS error): never counted as a server refusal */
} td_probe_t;

/* Connection anatomy (anatomy.c): what the handshake messages and the key
 * log callback showed, and the resumption attempt. Never secret values. */
typedef struct td_keyshare {
  uint16_t group;  /* IANA NamedGroup */
  uint16_t bytes;  /* key_exchange length */
} td_keyshare_t;

typedef struct td_secret_seen {
  char label[40];  /* NSS key log label, e.g. "SERVER_TRAFFIC_SECRET_0" */
  unsigned bytes;
  double t_ms;
  int resumed_conn; /* seen on the resumption connection */
} td_secret_seen_t;

/* One value of the key schedule derived from the connection's own secrets
 * (keysched.c): never the value, only its fingerprint (first 4 bytes of
 * its SHA-256, hex) and what proved it. */
#define TD_KS_PROVEN_MAX 320
typedef struct td_ks_row {
  const char *name;         /* "server_handshake_write_key" (static) */
  const char *derived_from; /* static text */
  const char *label;        /* HKDF or PRF label, or NULL */
  unsigned length;          /* bytes */
  char fingerprint[9];      /* "" when the value never existed */
  char proven_by[TD_KS_PROVEN_MAX];
  int ok;                   /* 1 proven, 0 mismatch, -1 not proven */
  int conn;                 /* 0 first connection, 1 the resumed one */
} td_ks_row_t;

typedef struct td_anatomy {
  td_keyshare_t offered[8];  /* key shares of the first ClientHello */
  size_t noffered;
  td_keyshare_t offered2[8]; /* of the second ClientHello (after HRR) */
  size_t noffered2;
  int hello_retry;           /* the server sent a HelloRetryRequest */
  uint16_t hrr_group;        /* the group it asked for */
  td_keyshare_t server_share; /* the ServerHello's key share */
  td_secret_seen_t secrets[24];
  size_t nsecrets;
  unsigned tickets;          /* NewSessionTicket messages received */
  int64_t ticket_lifetime;   /* seconds: the first NewSessionTicket's
                                ticket_lifetime (TLS 1.2: its lifetime
                                hint, 0 = unspecified); -1 none */
  unsigned ticket_bytes;     /* the first NewSessionTicket's body size */
  int tls13;                 /* the ServerHello chose TLS 1.3 */
  unsigned dh_prime_bytes;   /* TLS 1.2 finite-field DHE: size of p */
  int rsa_kx;                /* TLS 1.2 RSA key transport (no DH) */
  /* negotiated primitives, for the key schedule */
  char *prf_hash;            /* "SHA256", "SHA384" */
  unsigned hash_bytes;
  unsigned key_bytes, iv_bytes, mac_key_bytes;
  int ems;                   /* TLS 1.2 extended master secret */
  /* resumption (TLSDIAG_F_RESUME) */
  int resume_tried;
  int resumed;
  double hs_ms_first, hs_ms_resumed, tcp_ms_resumed;
  char *psk_mode;            /* "psk_dhe_ke", "psk_ke", "ticket", ... */
  int early_data_tried;
  int early_data_accepted;
  char *resume_error;
  int parsing; /* 0: first connection, 1: the resumption connection */
  /* the key schedule derived and proven (keysched.c) */
  td_ks_row_t *ks_rows;
  size_t nks_rows;
  const char *ks_note[2];    /* per connection: what GnuTLS does not expose
                                (static text), or NULL */
  /* per connection, not reported: the most bytes its key schedule
   * capture held at once (record copies, buffers, proof state), and what
   * it still held when the connection closed (0 once both directions
   * were proven: everything was released then) */
  size_t ks_cap_peak[2], ks_cap_left[2];
} td_anatomy_t;

/* Client certificates (clientcert.c): what the server asked for, what we
 * sent, and how the server answered after it. */
#define TD_CC_MAX_CA_NAMES 16
typedef struct td_clientcert_seen {
  int requested;          /* the server sent a CertificateRequest */
  char *ca_names[TD_CC_MAX_CA_NAMES]; /* the CAs it named (RFC 4514,
                             control bytes made visible, cut at 256) */
  size_t nca_names;
  size_t ca_names_total;  /* how many it named (may exceed the list) */
  int configured;         /* the caller gave a client certificate */
  int presented;          /* and we sent it */
  char *subject, *issuer; /* of that certificate (the leaf) */
  int64_t not_before, not_after;
  int issuer_listed;      /* its issuer is among ca_names: 1, 0, or -1
                             when the server named no CA */
  char *alert;            /* a fatal alert received after our side of the
                             handshake completed (TLS 1.3), or NULL */
  int alert_num;          /* its number, -1 if none */
  char *http_body;        /* the telling line of a 4xx body, or NULL */
  int http_body_other;    /* a 4xx body that speaks of something else */
} td_clientcert_seen_t;

struct tlsdiag_result {
  /* the request */
  char *host;          /* as given */
  char *ace_host;      /* A-label (lowercase); the IP text for literals */
  char *sni;           /* "" when none was sent */
  uint16_t port;
  int host_is_ip;
  /* where the bytes go (a connect_to rule): the TCP destination */
  char *conn_rule;     /* the rule that matched, or NULL */
  char *conn_host;     /* its HOST2 (A-label or literal), NULL: ace_host */
  int conn_is_ip;      /* conn_host (or ace_host) is an IP literal */
  uint16_t conn_port;  /* the TCP port: port unless a rule changed it */
  int offline;         /* certificate files checked without a connection */
  tlsdiag_tls_version_t tls_min, tls_max;
  char *http_method, *http_path;
  int64_t now;         /* Unix seconds used to judge dates */
  int clock_overridden;
  int64_t started_wall; /* real wall clock at start, Unix seconds */
  int warn_days;
  int crit_days;
  int clock_skew_s;
  const tlsdiag_hsts_t *hsts_list; /* borrowed from the options: valid only
                                      while the check runs (classify) */
  struct td_hsts_report *hsts;     /* owned: what hsts.c found, or NULL */
  double total_ms;
  double queued_ms;    /* waited for the engine's politeness gate and
                          (DNS look-ahead) for a connection slot */
  int race_delay_ms;   /* the Happy Eyeballs delay the TCP race used */

  td_phase_t phase[TLSDIAG_PHASE_COUNT_];

  /* DNS */
  char *dns_server;    /* the configured servers, or NULL for system */
  int dns_status;      /* c-ares status, 0 ok */
  char *dns_error;     /* c-ares text */
  int dns_pinned;      /* addresses came from a resolve pin */
  int dns_queries;     /* queries asked together (A and AAAA: 2) */
  char **addrs;        /* textual addresses in the order tried */
  int *addr_family;
  size_t naddrs;

  /* TCP */
  td_attempt_t *attempts;
  size_t nattempts;
  char *connected_addr;
  char *local_addr;    /* our side, "addr:port" */

  /* TLS */
  char *tls_version;   /* "TLS1.3" */
  int tls_version_num; /* tlsdiag_tls_version_t of the negotiated version */
  char *tls_cipher;    /* "TLS_AES_256_GCM_SHA384" (IANA-like name) */
  char *tls_kx;        /* "ECDHE-RSA", "ECDHE", ... */
  char *tls_group;     /* "X25519", "SECP256R1", or NULL */
  char *tls_alpn;      /* negotiated protocol or NULL */
  char *tls_sig_alg;   /* the server's handshake signature, or NULL */
  int ocsp_stapled;
  int session_ticket;  /* the server issued a ticket (resumption) */
  int resumed;
  int tls_error;       /* GnuTLS error code of the failure, 0 if none */
  char *tls_error_name;/* "GNUTLS_E_FATAL_ALERT_RECEIVED" */
  char *tls_error_text;
  char *tls_alert;     /* name of a fatal alert received, or NULL */
  int tls_sys_errno;   /* errno behind a pull/push error (ECONNRESET) */
  int tls_alert_num;   /* its number, -1 if none */
  td_cert_t *chain;    /* as sent, leaf first */
  size_t nchain;
  /* The trust store verified against (tls.c td_tls_trust_record). */
  const char *trust_kind; /* "system", "cafile", "capath", "cafile+capath"
                             (static); NULL: none recorded */
  char *trust_source;     /* "system", "option", or the caller's label
                             ("SSL_CERT_FILE") */
  char *trust_cafile;     /* the bundle file (the system's too), or NULL */
  char *trust_capath;     /* the directory, or NULL */
  int trust_roots;        /* certificates the store gave GnuTLS */
  td_verify_t verify;
  td_aia_t aia;        /* the missing issuer fetched by AIA (aia.c) */
  td_probe_t probes[4]; /* TLS 1.0, 1.1, 1.2, 1.3 */
  int probed;
  int probe_alert[4];   /* per probe: the alert the server sent, or -1 */
  /* probe.c, after a handshake the server cut off (RST or EOF) before
   * sending a byte: a second connection sending a PROXY protocol v1
   * header ("PROXY UNKNOWN\r\n") first. 0 not run; 1 the server
   * completed the handshake after it, 2 it answered a ServerHello (then
   * failed); -1 no answer in TLS with it either. */
  int proxy_probe;
  /* probe.c, after a completed handshake that settled on something
   * Chrome does not offer (browser_offer.c): one more handshake offering
   * what Chrome offers. 0 not run; 1 it completed; -1 the server refused
   * it (bprobe_alert: the alert, or -1); -2 it could not run (our side,
   * time). bprobe_error: what happened, as text. */
  int bprobe;
  int bprobe_alert;
  char *bprobe_error;
  /* After a name mismatch with SNI sent (probe.c): the same handshake
   * without SNI. 1 the server sent the same leaf (its default
   * certificate: it has none for the name), 2 another leaf (the name's
   * own certificate is the wrong one), -1 the server refused it, -2 it
   * could not run (our side, time); 0 not tried. */
  int sni_default;
  /* What the failed first handshake showed beyond its error (tls.c):
   * the server's first record (a TLS alert record proves a TLS server
   * even when GnuTLS reports a version error), and a certificate GnuTLS
   * refused after receiving it (the chain is then kept and verified). */
  int tls_first_record; /* content type of the server's first record, 0 */
  int tls_first_alert;  /* its alert description if it is an alert, -1 */
  int tls_first_hello_version; /* a ServerHello's version (0x0301), 0 */
  int tls_cert_rejected; /* GnuTLS aborted the handshake over the chain */
  int tls_leaf_ku;      /* the leaf's keyUsage bits, -1 without the ext. */
  size_t tls_cert_msg_bytes; /* the Certificate message's body, 0 unknown */
  size_t tls_cert_msg_limit; /* the largest one we accept (tls.c) */

  /* HTTP */
  char *http_request;   /* the request line sent */
  char *http_status_line;
  /* A response that is not HTTP/1.x: its first line (80 bytes at most,
   * control characters, NUL and invalid UTF-8 made visible), the evidence
   * of what answered instead (an HTML page, an SSH banner, a TLS record);
   * NULL otherwise. */
  char *http_received;
  int http_status;
  /* The status a HEAD request got before the check asked again with GET
   * (405 or 501: the server does not take HEAD, browsers GET); 0 when
   * the answer judged is the first. */
  int http_head_status;
  char *http_version;   /* "HTTP/1.1" */
  td_header_t *headers;
  size_t nheaders;
  size_t http_head_bytes;
  size_t http_body_bytes; /* a fetch: body bytes received (decoded) */
  int64_t http_date;    /* parsed Date, 0 if none or bad */
  int64_t http_date_received; /* the real wall clock when read (never
                                 the override: skew is measured on it) */
  tlsdiag_cause_t http_cause;  /* why the HTTP phase failed, or OK */
  td_h2_info_t h2;      /* HTTP/2 (http2.c): what ended the connection */

  /* the diagnosis */
  td_finding_t *findings;
  size_t nfindings;
  tlsdiag_cause_t cause;

  td_event_t *events;
  size_t nevents;

  td_anatomy_t anat;
  td_kx_facts_t kx; /* kx_quality.c: the suite and DH group judged */

  td_clientcert_seen_t cc; /* clientcert.c */
};

/* tls.c: records in r which trust store o names (kind, source, paths)
 * and its root count, for the reports. 0, or -1 out of memory. */
int td_tls_trust_record(tlsdiag_result_t *r, const tlsdiag_options_t *o,
                        int roots);

/* ---- result.c: building a result --------------------------------------- */
tlsdiag_result_t *td_result_new(void);
/* Each returns 0, or -1 on out-of-memory (the result stays consistent). */
int td_result_event(tlsdiag_result_t *r, double t_ms, td_dir_t dir,
                    const char *what, const char *detail_fmt, ...)
    TD_PRINTF(5, 6);
int td_result_header(tlsdiag_result_t *r, const char *name, size_t nlen,
                     const char *value, size_t vlen);
const char *td_result_header_get(const tlsdiag_result_t *r, const char *name);
void td_cert_clear(td_cert_t *c);
/* A deep copy of src into dst (whose old contents are not freed): 0, or
 * -1 when out of memory (dst then cleared). */
int td_cert_copy(td_cert_t *dst, const td_cert_t *src);
/* How many certificates, from the leaf, form the path the server sent: each
 * issued by the next (issuer name = subject name), ending at the first
 * self-signed one; once the verifier found a path to a trust anchor, the
 * leading certificates on that path (a cross-signed root sent after them is
 * not). Extra certificates after it are information only: their dates must
 * not raise alarms (FIELD-NOTES: the AddTrust expiry). */
size_t td_chain_path_len(const tlsdiag_result_t *r);
/* Index in r->chain of the certificate whose expiry counts: the leaf, or
 * (TLSDIAG_EXPIRY_PATH) the earliest notAfter on the verified path (the
 * certificates the verifier chained to a trust anchor; without such a path,
 * the sent path of td_chain_path_len), never an extra certificate the
 * server sent besides it. -1 without any certificate. */
long td_expiry_index(const tlsdiag_result_t *r, tlsdiag_expiry_t which);
/* tlsdiag_global_init() once per process, for callers that did not. */
tlsdiag_err_t td_global_init_once(void);

/* Findings: add one, then attach evidence to the returned pointer (which is
 * valid until the next td_finding_add). NULL on out-of-memory. */
td_finding_t *td_finding_add(tlsdiag_result_t *r, tlsdiag_cause_t code,
                             tlsdiag_severity_t sev, const char *fmt, ...)
    TD_PRINTF(4, 5);
/* Drops the findings from index n on (a trial classification undone). */
void td_findings_truncate(tlsdiag_result_t *r, size_t n);
void td_ev_str(td_finding_t *f, const char *key, const char *value);
void td_ev_int(td_finding_t *f, const char *key, int64_t value);
void td_ev_bool(td_finding_t *f, const char *key, int value);
void td_ev_time(td_finding_t *f, const char *key, int64_t t); /* ISO text */
void td_ev_list(td_finding_t *f, const char *key, const char *const *v,
                size_t n);
const td_evidence_t *td_ev_get(const td_finding_t *f, const char *key);

/* ---- cause.c ----------------------------------------------------------- */
/* Position of a cause in the root-cause order (lower wins). */
int td_cause_rank(tlsdiag_cause_t c);
/* 1 for a cause that says the certificate (or its path) fails, the kind a
 * browser refuses to connect over, when the finding is an error. */
int td_cause_is_cert(tlsdiag_cause_t c);
/* "TLS1.0" ... "TLS1.3"; NULL for TLSDIAG_TLS_DEFAULT or out of range. */
const char *td_tls_version_name(tlsdiag_tls_version_t v);

/* ---- json.c: JSON writer ----------------------------------------------- */
/* Appends s (any bytes, n of them) as a JSON string literal with quotes.
 * Invalid UTF-8 is replaced by U+FFFD; control characters are escaped. */
void td_json_str(td_buf_t *b, const char *s, size_t n);
void td_json_cstr(td_buf_t *b, const char *s); /* NULL -> null */
/* The whole result as one JSON object (no trailing newline). */
void td_json_result(td_buf_t *b, const tlsdiag_result_t *r, int pretty);

/* The one streaming JSON writer every JSON output goes through (the
 * report, and the members hsts.c and anatomy.c contribute). It places
 * commas, keys and, when pretty, line breaks and two-space indentation;
 * every string goes through td_json_str. `key` is the member name inside
 * an object and NULL inside an array or at the top. The writer never
 * allocates beyond its buffer and needs no cleanup. */
typedef struct td_jw {
  td_buf_t *b;
  int pretty;
  int depth;
  int first; /* nothing written yet in the innermost open container */
  int flat;  /* depth of a container kept on one line in pretty mode, or 0 */
} td_jw_t;
void td_jw_init(td_jw_t *w, td_buf_t *b, int pretty);
void td_jw_obj(td_jw_t *w, const char *key);
void td_jw_obj_end(td_jw_t *w);
void td_jw_arr(td_jw_t *w, const char *key);
/* An array of a few scalars, kept on one line when pretty: ["a", "b"]. */
void td_jw_arr_flat(td_jw_t *w, const char *key);
void td_jw_arr_end(td_jw_t *w);
void td_jw_null(td_jw_t *w, const char *key);
void td_jw_str(td_jw_t *w, const char *key, const char *s); /* NULL: null */
void td_jw_strn(td_jw_t *w, const char *key, const char *s, size_t n);
void td_jw_str_ne(td_jw_t *w, const char *key, const char *s); /* "": null */
void td_jw_int(td_jw_t *w, const char *key, int64_t v);
void td_jw_bool(td_jw_t *w, const char *key, int v);
/* Milliseconds with 3 decimals; null when not finite (JSON has no NaN). */
void td_jw_ms(td_jw_t *w, const char *key, double v);
/* ISO 8601 UTC time, or null for 0 (not recorded). */
void td_jw_time(td_jw_t *w, const char *key, int64_t t);

/* ---- report.c: human text and mermaid ---------------------------------- */
void td_report_text(td_buf_t *b, const tlsdiag_result_t *r, unsigned flags);
void td_report_mermaid(td_buf_t *b, const tlsdiag_result_t *r);
/* Appends s with every control character, escape sequence and invalid
 * UTF-8 made visible (\xNN), so server data cannot drive the terminal. */
void td_text_safe(td_buf_t *b, const char *s);
/* td_text_safe into a new string (free()); NULL without memory. For
 * messages that quote outside input and must stay on one line. */
char *td_text_safe_dup(const char *s);

/* ---- chain.c: certificate fields --------------------------------------- */
/* Fills c from one DER certificate. 0 on success, -1 if it cannot be
 * parsed (c->der is still kept, other fields may be NULL). */
int td_cert_parse(td_cert_t *c, const unsigned char *der, size_t len);

/* ---- idn.c ------------------------------------------------------------- */
/* Converts a UTF-8 host name to its lowercase A-label form (UTS#46
 * non-transitional, as browsers do). Returns a new string or NULL, with
 * *err set to a static message. Rejects empty names, names over 253
 * bytes, labels over 63 bytes. */
char *td_idn_to_ascii(const char *host, const char **err);
/* A-label back to Unicode for display, or NULL. */
char *td_idn_to_unicode(const char *ace);
/* 1 if s is an IPv4 or IPv6 literal (no brackets). */
int td_is_ip_literal(const char *s);
/* The syntax of a lowercase ASCII host name s[0..n), no trailing dot:
 * labels of 1..63 bytes of [a-z0-9_-], at most 253 bytes. NULL if fine,
 * else a static reason. Never allocates (the preload list checks 10^5
 * names with it). */
const char *td_host_syntax(const char *s, size_t n);
/* The one host check (tlsdiag_check, tlsdiag_multi_add,
 * tlsdiag_host_check, --resolve pins): an IP literal, bracketed or not
 * (brackets must hold one), or a DNS name in UTF-8 or A-label form (one
 * trailing dot allowed). Returns TLSDIAG_OK and, if ace is not NULL, *ace
 * the bare literal or the lowercase A-label (caller frees) and *is_ip (may
 * be NULL); TLSDIAG_E_HOST with *why (may be NULL) a static reason;
 * TLSDIAG_E_NOMEM; TLSDIAG_E_INVAL for a NULL host. */
tlsdiag_err_t td_host_check(const char *host, char **ace, int *is_ip,
                            const char **why);

/* ---- plain_http.c: one bounded plain-HTTP GET (no TLS) ---------------- */
/* GET path from host:port (connect_to, pins, DNS from o; connect_timeout
 * per connect, max_time in all). TLSDIAG_OK with *out a result holding the
 * response head (status, headers; free with tlsdiag_result_free), or *out
 * NULL and *error (malloc'd) saying what failed. TLSDIAG_E_OPTIONS for a
 * malformed connect_to rule, TLSDIAG_E_NOMEM. */
tlsdiag_err_t td_plain_http_get(const char *host, uint16_t port,
                                const char *path, const tlsdiag_options_t *o,
                                tlsdiag_result_t **out, char **error);

/* ---- connect_to.c: "HOST1:PORT1:HOST2:PORT2" rules (curl's) ------------ */
/* 0 if the rule parses, else -1. */
int td_connect_to_check(const char *rule);
/* The TCP port of a result's connections (its connect_to port, or the
 * port). */
static inline uint16_t td_conn_port(const tlsdiag_result_t *r) {
  return r->conn_port ? r->conn_port : r->port;
}
/* Where a connection to host:port goes: *to_host a new copy of HOST2 (NULL:
 * the same host), *to_port PORT2 (port when empty or no rule matches),
 * *matched (may be NULL) the first rule that matched, or NULL. 0, or -1 if
 * a rule before the match is malformed or memory ran out. */
int td_connect_to_apply(const char *const *rules, const char *host,
                        uint16_t port, char **to_host, uint16_t *to_port,
                        const char **matched);

/* ---- http.c: HTTP/1.x response head parser (pure) ---------------------- */
#define TD_HTTP_MAX_HEAD (64 * 1024) /* bytes of status line + headers */
#define TD_HTTP_MAX_HEADERS 200

typedef enum {
  TD_HTTP_NEED_MORE = 0, /* no complete head yet */
  TD_HTTP_DONE = 1,      /* head complete; *consumed tells how much */
  TD_HTTP_MALFORMED = 2,
  TD_HTTP_TOO_LARGE = 3  /* over TD_HTTP_MAX_HEAD or TD_HTTP_MAX_HEADERS */
} td_http_rc_t;

/* Parses the head in buf[0..len). On DONE fills r->http_status,
 * http_status_line, http_version, headers and http_date. On MALFORMED or
 * TOO_LARGE, *why gets a static reason. */
td_http_rc_t td_http_parse_head(tlsdiag_result_t *r, const char *buf,
                                size_t len, size_t *consumed,
                                const char **why);
/* Forgets a stored response head (status, status line, version, headers,
 * Date), as before the first: a request asked again (check_http.c). */
void td_http_reset(tlsdiag_result_t *r);
/* Parses an IMF-fixdate (and the two obsolete forms RFC 9110 allows) into
 * Unix seconds; -1 if invalid. */
int64_t td_http_parse_date(const char *s);
/* Builds the request: "METHOD PATH HTTP/1.1\r\nHost: ...\r\n..." */
char *td_http_request(const char *method, const char *path,
                      const char *host_header, size_t *len);
/* The same with flags: TD_HTTP_REQ_IDENTITY adds "Accept-Encoding:
 * identity" (a fetch wants the bytes themselves, not a content coding). */
#define TD_HTTP_REQ_IDENTITY 1u
/* TD_HTTP_REQ_KEEP_ALIVE leaves out "Connection: close", so the connection
 * can carry a second request (a GET after a HEAD the server refused). */
#define TD_HTTP_REQ_KEEP_ALIVE 2u
char *td_http_request_ex(const char *method, const char *path,
                         const char *host_header, unsigned flags,
                         size_t *len);
/* 1 if the response's Content-Encoding names a coding other than
 * identity (its body is not the resource's bytes). */
int td_http_content_coded(const tlsdiag_result_t *r);

/* How the body of a response is delimited (RFC 9112 section 6.3). */
typedef enum {
  TD_BODY_NONE = 0,    /* HEAD, 1xx, 204, 304: no body */
  TD_BODY_LENGTH = 1,  /* Content-Length bytes */
  TD_BODY_CHUNKED = 2, /* chunked transfer coding */
  TD_BODY_CLOSE = 3,   /* everything until the server closes */
  TD_BODY_H2 = 4       /* HTTP/2 DATA frames up to END_STREAM (http2.c) */
} td_body_kind_t;

/* Decides the body framing of the stored head in r (after
 * td_http_parse_head returned DONE) for a request with `method`. Strict:
 * Content-Length must be digits, and repeated ones must agree; a
 * Transfer-Encoding other than exactly "chunked", one in an HTTP/1.0
 * response, or one together with Content-Length is MALFORMED (with *why),
 * as RFC 9112 lets a client treat faulty framing. DONE otherwise, with
 * *kind and, for TD_BODY_LENGTH, *length. */
td_http_rc_t td_http_body_framing(const tlsdiag_result_t *r,
                                  const char *method, td_body_kind_t *kind,
                                  uint64_t *length, const char **why);

/* Chunked transfer coding decoder (RFC 9112 section 7.1), fed the bytes
 * after the head as they arrive. Strict and bounded: a chunk size is 1-16
 * hex digits; chunk extensions must parse (and are skipped, at most
 * TD_HTTP_MAX_CHUNK_EXT bytes in all); every line ends in CRLF (no bare LF
 * or CR, no NUL); a chunk-size or trailer line is at most
 * TD_HTTP_CHUNK_LINE bytes; trailer fields must parse as header fields
 * (and are skipped; at most TD_HTTP_MAX_HEAD bytes and TD_HTTP_MAX_HEADERS
 * fields). The decoded data never exceeds the caller's limit: a chunk that
 * would is refused before its data is read. */
#define TD_HTTP_CHUNK_LINE 4096
#define TD_HTTP_MAX_CHUNK_EXT (64 * 1024)

typedef struct td_chunked {
  int st;            /* internal state */
  td_http_rc_t err;  /* the sticky failure, once st says so */
  const char *why;
  uint64_t left;     /* data bytes left in the current chunk */
  size_t line_len;
  size_t ext_bytes;
  size_t trailer_bytes;
  size_t ntrailers;
  char line[TD_HTTP_CHUNK_LINE];
} td_chunked_t;

void td_chunked_init(td_chunked_t *d);
/* Decodes in[0..len), appending the data to body, whose length may not
 * pass max. Returns NEED_MORE (all of in consumed, the message not ended),
 * DONE (the last chunk and the trailer section ended after *consumed
 * bytes; what follows is not part of the body), MALFORMED or TOO_LARGE
 * (*why gets a static reason; TOO_LARGE also when body ran out of memory).
 * Failures and DONE are sticky: later calls return them again, consuming
 * nothing. */
td_http_rc_t td_chunked_feed(td_chunked_t *d, const char *in, size_t len,
                             td_buf_t *body, size_t max, size_t *consumed,
                             const char **why);

/* ---- hsts.c: Strict-Transport-Security and the preload list ----------- */
/* Judges the response's STS header and the host's preload status (from
 * r->hsts_list) and adds the hsts_* findings; fills r->hsts. Called by
 * td_classify after the other findings exist. */
void td_hsts_classify(tlsdiag_result_t *r);
void td_hsts_report_free(struct td_hsts_report *h);
/* Writes the report's "hsts" member (an object) under key. */
void td_hsts_json(td_jw_t *w, const char *key, const tlsdiag_result_t *r);

/* ---- anatomy.c: round trips, resumption, key schedule ------------------ */
/* Feeds one handshake message body (as the GnuTLS hook gives it). */
void td_anatomy_message(tlsdiag_result_t *r, unsigned htype, int incoming,
                        const unsigned char *body, size_t len);
/* Write the report's "anatomy" and "key_schedule" members (objects, or
 * null) under key. */
void td_anatomy_json(td_jw_t *w, const char *key, const tlsdiag_result_t *r);
void td_key_schedule_json(td_jw_t *w, const char *key,
                          const tlsdiag_result_t *r);
/* Text sections: round trips (always) and the key schedule (--explain). */
void td_anatomy_text(td_buf_t *b, const tlsdiag_result_t *r, int explain);
/* IANA group name ("x25519", "secp256r1", ...) or NULL. */
const char *td_group_name(uint16_t group);
/* The findings: tls_hello_retry, tls_no_resumption. */
void td_anatomy_classify(tlsdiag_result_t *r);

/* ---- keysched_report.c: the derived and proven key schedule ----------- */
/* The members "rows", "resumed_rows" (arrays or null) and "not_derivable"
 * of the report's "key_schedule" object. */
void td_ks_json(td_jw_t *w, const tlsdiag_result_t *r);
/* --explain: the rows, with a check mark for each proven one. */
void td_ks_text(td_buf_t *b, const tlsdiag_result_t *r);
/* The finding tls_key_schedule_mismatch (one, the first row disproved). */
void td_ks_classify(tlsdiag_result_t *r);

/* ---- clientcert.c: client certificates (the pure part) ---------------- */
/* The findings tls_client_cert_required and tls_client_cert_rejected. */
void td_clientcert_classify(tlsdiag_result_t *r);
void td_clientcert_seen_free(td_clientcert_seen_t *cc);
/* Keeps the line of a refusing HTTP body that names the problem (nginx:
 * "No required SSL certificate was sent"), when a client certificate was
 * asked for. body need not be NUL-terminated. */
void td_clientcert_http_body(tlsdiag_result_t *r, const char *body,
                             size_t n);

/* ---- monitor.c: outputs monitoring systems read ----------------------- */
void td_report_nagios(td_buf_t *b, const tlsdiag_result_t *r);
void td_report_prometheus(td_buf_t *b, const tlsdiag_result_t *r);

/* ---- aia.c: the missing issuer from the AIA caIssuers URL ------------- */
/* "no_url", "failed", "intermediate", ... (the JSON's aia.outcome). */
const char *td_aia_outcome_name(td_aia_outcome_t o);

/* ---- compromised.c: roots whose private keys are public ---------------- */
typedef struct td_bad_root {
  const char *name;        /* "Superfish" */
  const char *spki_sha256; /* lowercase hex SHA-256 of the SPKI DER */
} td_bad_root_t;
extern const td_bad_root_t td_bad_roots[];
extern const size_t td_nbad_roots;
/* The row of table[0..n) whose SPKI hash is spki_sha256_hex (64 lowercase
 * hex digits), or NULL. Pure. */
const td_bad_root_t *td_bad_root_match(const char *spki_sha256_hex,
                                       const td_bad_root_t *table, size_t n);
/* td_bad_roots, then the extra table set by td_bad_roots_extra. */
const td_bad_root_t *td_bad_root_lookup(const char *spki_sha256_hex);
/* Test hook, for `tlsdiag demo` and tests only (the library never calls
 * it): also match table[0..n) (borrowed; NULL, 0 to clear), so a root
 * they generate can stand for a leaked one without a fake row in the
 * shipped table. Process-wide: set it before any check runs and clear it
 * after the last. */
void td_bad_roots_extra(const td_bad_root_t *table, size_t n);

/* ---- classify.c: evidence -> findings + root cause (pure) -------------- */
void td_classify(tlsdiag_result_t *r);
/* The certificate findings only, for a chain checked without a connection
 * (r->chain, r->verify, r->host/ace_host, r->now, thresholds filled). */
void td_classify_offline(tlsdiag_result_t *r);
/* Sorts the findings (errors first, by documented rank within) and sets
 * r->cause to the first error; again after a finding's severity changed. */
void td_classify_order(tlsdiag_result_t *r);
/* The certificate verdict, each part stated apart: a path to a trust
 * anchor (r->verify.trusted: whatever the dates), the name, the dates
 * (every certificate on the path valid at r->now, the judged time), and
 * the overall verdict: all three and no certificate error finding
 * (revoked, weak key, a verifier rule, ...). */
typedef struct td_verdict {
  int chain_to_root;
  int name_ok;
  int dates_ok;
  int trusted; /* the overall verdict */
} td_verdict_t;
td_verdict_t td_verify_verdict(const tlsdiag_result_t *r);

/* The two verdicts on one chain (verify_strict.c), compared. browser:
 * tlsdiag's verifier (path building); strict: GnuTLS's, over the chain as
 * sent, with its status bits. Pure. */
typedef enum {
  TD_TWO_OK,           /* both accept */
  TD_TWO_BOTH_FAIL,    /* both reject */
  TD_TWO_BROWSER_ONLY, /* strict finds no issuer: cert_path_browser_only */
  TD_TWO_DISAGREE,     /* strict rejects for another reason: fail closed */
  TD_TWO_STRICT_ONLY   /* only GnuTLS accepts: tlsdiag's rule stands */
} td_two_t;
td_two_t td_two_verdicts(int browser_ok, int strict_ok,
                         unsigned strict_status);
/* The browser verdict: tlsdiag's verifier accepts the chain (path, name,
 * rules, not revoked); the dates are judged apart. */
int td_browser_ok(const tlsdiag_result_t *r);

#endif /* TD_INTERNAL_H */
