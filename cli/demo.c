/* demo.c: `tlsdiag demo`: with no network, starts local servers (and a
 * local DNS responder) for every diagnosis tlsdiag makes, checks each, and
 * prints one table. Each row states the cause it expects, so the demo
 * checks itself: the exit status is 0 only if every row matched. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h" /* td_bad_roots_extra: the demo's leaked root */
#include "tdcerts.h"
#include "tddns.h"
#include "tdserver.h"
#include "tlsdiag/tlsdiag.h"

#define DAY 86400

typedef enum { NET_SERVER = 0, NET_REFUSED, NET_DNS } net_t;

typedef struct {
  const char *title;    /* what the row shows */
  const char *host;     /* name checked */
  net_t net;
  tdserver_mode_t mode;
  const char *cert;     /* tdcerts case */
  const char *priority; /* server priority */
  int64_t date_offset;  /* server's Date header offset */
  int64_t now_offset;   /* client clock override offset */
  tlsdiag_tls_version_t tls_min;
  int dns_behavior;     /* NET_DNS: tddns behaviour of the name */
  int alert;
  const char *expect;   /* the cause the row must give */
  const char *expect_finding; /* and a finding it must have, or NULL */
  int http_status;      /* the server's answer (0: 200) */
  const char *headers;  /* and its extra header lines, or NULL */
} demo_case_t;

/* The row whose server requires a client certificate (from the demo's
 * root CA; none is presented). By host, so the rows keep their shape. */
#define MTLS_HOST "mtls.tlsdiag.test"

/* The row judged against the built-in HSTS preload list (by title, so the
 * rows keep their shape). */
#define STALE_LIST_ROW "built-in preload list is stale"

/* The row whose must-staple certificate is served without its staple
 * (by title, so the rows keep their shape). */
#define NO_STAPLE_ROW "must-staple, no staple sent"

#define MANY_SANS "(many SANs)" /* the cert of the big-chain row */
#define WEAK_DH "(weak DH)" /* valid_rsa, served by openssl s_server */
#define MANY_SANS_COUNT 4000

/* The row whose server presents a client certificate from a CA the
 * server does not accept (the demo's "unknown root" leaf). */
#define MTLS_REJECT_HOST "mtls-rejected.tlsdiag.test"

/* The row whose certificate comes from a root the demo generates, trusts
 * (as interception software installs its root) and declares leaked
 * through the library's test hook: the shipped table stays real. */
#define LEAKED "(leaked root)"
#define LEAKED_HOST "intercepted.tlsdiag.test"
/* The two-verdict rows' chains (not tdcerts cases), sent as they are. */
#define CROSS_SIGNED "(cross-signed)" /* tdcerts_cross_signed */
#define SELF_ISSUED "(self-issued)"   /* tdcerts_self_issued */
#define MALFORMED "(malformed)" /* valid leaf + unparsable intermediate */
/* The rows whose server picks h2 by ALPN (by title prefix, so the rows
 * keep their shape); H2_GOAWAY's answers the client's preface with
 * SETTINGS and GOAWAY PROTOCOL_ERROR (raw frames, RFC 9113 section 4.1). */
#define H2_ROW "HTTP/2 "
#define H2_GOAWAY "HTTP/2 GOAWAY, no response"
static const unsigned char h2_goaway[] = {
    0, 0, 0, 4, 0, 0, 0, 0, 0,                   /* SETTINGS, empty */
    0, 0, 12, 7, 0, 0, 0, 0, 0,                  /* GOAWAY, 12 bytes */
    0, 0, 0, 0, 0, 0, 0, 1, 'd', 'e', 'm', 'o'}; /* last 0, PROTOCOL_ERROR */
static const char *const extra_certs[] = {CROSS_SIGNED, SELF_ISSUED,
                                          MALFORMED};
#define NEXTRA (sizeof(extra_certs) / sizeof(extra_certs[0]))

static const demo_case_t cases[] = {
    {"valid chain, TLS 1.3", "valid.tlsdiag.test", NET_DNS, TDS_HTTP, "valid",
     NULL, 0, 0, 0, TDDNS_ANSWER, 0, "ok", NULL, 0, NULL},
    {"IDN name (U-label)", "b\xc3\xbc" "cher.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "idn", NULL, 0, 0, 0, 0, 0, "ok", NULL, 0, NULL},
    {"wildcard certificate", "a.wild.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "wildcard", NULL, 0, 0, 0, 0, 0, "ok", NULL, 0, NULL},
    {"expires in 10 days", "soon.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "expiring_soon", NULL, 0, 0, 0, 0, 0, "ok", "cert_expires_soon", 0, NULL},
    {"expired certificate", "expired.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "expired", NULL, 0, 0, 0, 0, 0, "cert_expired", NULL, 0, NULL},
    {"not yet valid", "future.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "not_yet_valid", NULL, 0, 0, 0, 0, 0, "cert_not_yet_valid", NULL, 0, NULL},
    /* Our clock 200 days ahead of the world: the server's Date and its
     * certificate (expired by our clock 10 days ago, valid 200 days
     * earlier) both live 200 days in our past. */
    {"our clock 200 days ahead", "expired.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "expired", NULL, -200 * DAY, 0, 0, 0, 0, "clock_skew", NULL, 0, NULL},
    /* --now asks "valid then?": dates at that time, no skew. */
    {"--now 400 days ahead", "valid.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "valid", NULL, 0, 400 * DAY, 0, 0, 0, "cert_expired", NULL, 0, NULL},
    {"server clock 1 hour off", "valid.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "valid", NULL, -3600, 0, 0, 0, 0, "ok", "clock_skew", 0, NULL},
    {"redirect to http://", "valid.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "valid", NULL, 0, 0, 0, 0, 0, "ok", "http_insecure_redirect", 301,
     "Location: http://valid.tlsdiag.test/\r\n"},
    /* The snapshot shipped with tlsdiag (2026-06-01) is over 180 days old
     * from 2026-11-28 on: an info finding says so. */
    {STALE_LIST_ROW, "valid.tlsdiag.test", NET_SERVER, TDS_HTTP, "valid",
     NULL, 0, 0, 0, 0, 0, "ok", "hsts_list_stale", 0, NULL},
    {"self-signed", "self-signed.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "self_signed", NULL, 0, 0, 0, 0, 0, "cert_self_signed", NULL, 0, NULL},
    {"unknown root CA", "unknown-root.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "unknown_root", NULL, 0, 0, 0, 0, 0, "cert_untrusted_issuer", NULL, 0, NULL},
    {"leaf only, issuer unknown", "incomplete.tlsdiag.test", NET_SERVER,
     TDS_HTTP, "no_intermediate", NULL, 0, 0, 0, 0, 0, "cert_unknown_issuer",
     NULL, 0, NULL},
    {"wrong host name", "wrong-host.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "wrong_host", NULL, 0, 0, 0, 0, 0, "cert_hostname_mismatch", NULL, 0, NULL},
    {"revoked (OCSP staple)", "revoked.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "revoked", NULL, 0, 0, 0, 0, 0, "cert_revoked", NULL, 0, NULL},
    /* A leaf with 4,000 SANs (~120 kB): over the 100 KiB Chrome and
     * OpenSSL accept (made by tdcerts_many_sans, not a tdcerts case). */
    {"certificate list over 100 KiB", "big-chain.tlsdiag.test", NET_SERVER,
     TDS_HTTP, MANY_SANS, NULL, 0, 0, 0, 0, 0, "cert_chain_too_large", NULL, 0,
     NULL},
    {NO_STAPLE_ROW, "must-staple.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "must_staple", NULL, 0, 0, 0, 0, 0, "ocsp_must_staple_missing", NULL, 0,
     NULL},
    {"SHA-1 signature", "sha1.tlsdiag.test", NET_SERVER, TDS_HTTP, "sha1",
     NULL, 0, 0, 0, 0, 0, "cert_weak_signature", NULL, 0, NULL},
    {"RSA-1024 key", "weak-key.tlsdiag.test", NET_SERVER, TDS_HTTP, "rsa1024",
     NULL, 0, 0, 0, 0, 0, "cert_weak_key", NULL, 0, NULL},
    /* Two verdicts (issue 12): tlsdiag's path building beside GnuTLS's
     * verification of the chain as sent. A cross-signed intermediate sent
     * first: only path building reaches the trusted root (a warning). A
     * self-issued CA under pathlen 0: RFC 5280 does not count it, GnuTLS
     * does (fail closed). An intermediate that does not parse. */
    {"cross-signed path, browsers only", "cross.tlsdiag.test", NET_SERVER,
     TDS_HTTP, CROSS_SIGNED, NULL, 0, 0, 0, 0, 0, "ok",
     "cert_path_browser_only", 0, NULL},
    {"self-issued CA under pathlen 0", "self-issued.tlsdiag.test", NET_SERVER,
     TDS_HTTP, SELF_ISSUED, NULL, 0, 0, 0, 0, 0, "cert_verifiers_disagree",
     NULL, 0, NULL},
    {"intermediate does not parse", "malformed.tlsdiag.test", NET_SERVER,
     TDS_HTTP, MALFORMED, NULL, 0, 0, 0, 0, 0, "cert_malformed", NULL, 0,
     NULL},
    {"TLS 1.0-only server", "valid.tlsdiag.test", NET_SERVER, TDS_HTTP, "valid",
     TDS_PRIORITY_TLS10_ONLY, 0, 0, 0, 0, 0, "tls_version_mismatch", NULL, 0, NULL},
    {"TLS 1.0 allowed (--tls-min 1.0)", "valid.tlsdiag.test", NET_SERVER,
     TDS_HTTP, "valid", TDS_PRIORITY_TLS10_ONLY, 0, 0, TLSDIAG_TLS1_0, 0, 0,
     "ok", "tls_legacy_version", 0, NULL},
    {"no common cipher", "rsa.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "valid_rsa", TDS_PRIORITY_CIPHER_MISMATCH, 0, 0, 0, 0, 0,
     "tls_cipher_mismatch", NULL, 0, NULL},
    /* Key exchange and cipher quality. The weak DH group is served by
     * openssl s_server (demo_dhe.c says why not GnuTLS); the check stops
     * after the handshake, since s_server is no HTTP server. */
    {"1024-bit DH group (OpenSSL)", "rsa.tlsdiag.test", NET_SERVER,
     TDS_HTTP, WEAK_DH, NULL, 0, 0, 0, 0, 0, "tls_weak_dh", NULL, 0, NULL},
    /* Chrome (131+) and Edge offer no static RSA: they cannot connect. */
    {"static RSA key exchange", "rsa.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "valid_rsa", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA", 0, 0, 0, 0, 0,
     "tls_cipher_mismatch", NULL, 0, NULL},
    {"CBC with SHA-1 MAC", "valid.tlsdiag.test", NET_SERVER, TDS_HTTP, "valid",
     "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:-MAC-ALL:+SHA1",
     0, 0, 0, 0, 0, "ok", "tls_legacy_cipher", 0, NULL},
    {"client certificate required", MTLS_HOST, NET_SERVER,
     TDS_HTTP, "valid", NULL, 0, 0, 0, 0, 0, "tls_client_cert_required",
     NULL, 0, NULL},
    {"client certificate rejected", MTLS_REJECT_HOST, NET_SERVER, TDS_HTTP,
     "valid", TDS_PRIORITY_TLS12_ONLY, 0, 0, 0, 0, 0,
     "tls_client_cert_rejected", NULL, 0, NULL},
    {"interception root, key public", LEAKED_HOST, NET_SERVER, TDS_HTTP,
     LEAKED, NULL, 0, 0, 0, 0, 0, "cert_compromised_issuer", NULL, 0, NULL},
    {"server sends an alert", "alert.tlsdiag.test", NET_SERVER, TDS_ALERT,
     NULL, NULL, 0, 0, 0, 0, 80, "tls_handshake_failure", NULL, 0, NULL},
    /* nginx's ssl_reject_handshake, a CDN or a load balancer without a
     * site for the name answers its SNI with alert unrecognized_name. */
    {"name not served (SNI refused)", "unserved.tlsdiag.test", NET_SERVER,
     TDS_ALERT, NULL, NULL, 0, 0, 0, 0, 112, "tls_unrecognized_name", NULL, 0,
     NULL},
    {"plain text, not TLS", "plain.tlsdiag.test", NET_SERVER, TDS_GARBAGE,
     NULL, NULL, 0, 0, 0, 0, 0, "tls_protocol_error", NULL, 0, NULL},
    {"silent after accept", "silent.tlsdiag.test", NET_SERVER, TDS_SILENT,
     NULL, NULL, 0, 0, 0, 0, 0, "tls_timeout", NULL, 0, NULL},
    {"SYN dropped", "filtered.tlsdiag.test", NET_SERVER, TDS_NO_ACCEPT, NULL,
     NULL, 0, 0, 0, 0, 0, "tcp_timeout", NULL, 0, NULL},
    {"closed port", "closed.tlsdiag.test", NET_REFUSED, TDS_HTTP, NULL, NULL,
     0, 0, 0, 0, 0, "tcp_refused", NULL, 0, NULL},
    /* tlsdiag's copy of one server record gets a flipped byte (the test
     * hook TLSDIAG_TEST_CORRUPT_RECORD; GnuTLS reads the real bytes), as an
     * interception device rewriting records would look. */
    {"record rewritten in transit", "valid.tlsdiag.test", NET_SERVER,
     TDS_HTTP, "valid", TDS_PRIORITY_TLS13_ONLY, 0, 0, 0, 0, 0,
     "tls_key_schedule_mismatch", NULL, 0, NULL},
    {"site behind answers 503", "valid.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "valid", NULL, 0, 0, 0, 0, 0, "http_server_error", NULL, 503, NULL},
    {"redirect to itself", "valid.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "valid", NULL, 0, 0, 0, 0, 0, "http_redirect_loop", NULL, 301,
     "Location: /\r\n"},
    /* ECDHE, but AES-CBC: a suite Chrome offers, which RFC 9113 appendix
     * A forbids under h2: Chrome refuses, curl goes on. */
    {H2_ROW "over AES-CBC", "valid.tlsdiag.test", NET_SERVER, TDS_HTTP,
     "valid", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC", 0, 0,
     0, 0, 0, "http2_inadequate_security", NULL, 0, NULL},
    {H2_GOAWAY, "valid.tlsdiag.test", NET_SERVER, TDS_RAW_RESPONSE, "valid",
     NULL, 0, 0, 0, 0, 0, "http2_protocol_error", NULL, 0, NULL},
    {"no answer to HTTP", "valid.tlsdiag.test", NET_SERVER,
     TDS_HANDSHAKE_THEN_SILENT, "valid", NULL, 0, 0, 0, 0, 0, "http_timeout",
     NULL, 0, NULL},
    {"unknown name", "missing.tlsdiag.test", NET_DNS, TDS_HTTP, NULL, NULL, 0,
     0, 0, TDDNS_NXDOMAIN, 0, "dns_nxdomain", NULL, 0, NULL},
    {"DNS server fails", "broken.tlsdiag.test", NET_DNS, TDS_HTTP, NULL, NULL,
     0, 0, 0, TDDNS_SERVFAIL, 0, "dns_failure", NULL, 0, NULL},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

typedef struct {
  int color;
  int json;
  char dir[64];
  char root[128];
  tdcerts_t *pki;
  char *many_root, *many_chain, *many_key; /* tdcerts_many_sans */
  char *leak_root, *leak_chain, *leak_key; /* tdcerts_private_root */
  td_bad_root_t leak;                      /* its row for the hook */
  char leak_spki[65];
  char client[128]; /* the rejected client certificate and its key */
  char *x_root[NEXTRA], *x_chain[NEXTRA], *x_key[NEXTRA]; /* extra_certs */
  tddns_t *dns;
  char dns_server[64];
} demo_t;

/* A loopback port with nothing listening: bound, never listened on. */
static int closed_port(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t l = sizeof(sa);
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &l) < 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(sa.sin_port);
  return fd;
}

static long extra_index(const char *cert) {
  for (size_t i = 0; cert && i < NEXTRA; i++)
    if (!strcmp(cert, extra_certs[i])) return (long)i;
  return -1;
}

static int run_one(demo_t *d, const demo_case_t *c, tlsdiag_result_t **out,
                   char *err, size_t errlen) {
  tdserver_t *srv = NULL;
  td_demo_dhe_t dhe = {0, -1, 0};
  int hold = -1;
  uint16_t port = 0;
  *out = NULL;
  int weak_dh = c->cert && !strcmp(c->cert, WEAK_DH);
  if (weak_dh) {
    const tdcerts_case_t *tc = tdcerts_case(d->pki, "valid_rsa");
    if (td_demo_dhe_start(&dhe, d->dir, tc->chain_pem, tc->key_pem, err,
                          errlen) != 0)
      return -1;
    port = dhe.port;
  } else if (c->net == NET_REFUSED) {
    if ((hold = closed_port(&port)) < 0) {
      snprintf(err, errlen, "cannot reserve a port: %s", strerror(errno));
      return -1;
    }
  } else if (c->net == NET_SERVER || c->dns_behavior == TDDNS_ANSWER) {
    tdserver_config_t cfg;
    tdserver_config_init(&cfg);
    cfg.mode = c->mode;
    cfg.priority = c->priority;
    cfg.date_offset_s = c->date_offset;
    if (c->http_status) cfg.http_status = c->http_status;
    cfg.extra_headers = c->headers;
    cfg.alpn = strncmp(c->title, H2_ROW, strlen(H2_ROW)) ? "http/1.1" : "h2";
    if (!strcmp(c->title, H2_GOAWAY)) {
      cfg.raw_response = (const char *)h2_goaway;
      cfg.raw_len = sizeof(h2_goaway);
    }
    cfg.conn_timeout_ms = 5000;
    if (c->alert) cfg.alert = c->alert;
    if (!strcmp(c->host, MTLS_HOST) || !strcmp(c->host, MTLS_REJECT_HOST))
      cfg.client_ca_pem = tdcerts_root_pem(d->pki);
    cfg.client_verify = !strcmp(c->host, MTLS_REJECT_HOST);
    long x = extra_index(c->cert);
    if (c->cert && !strcmp(c->cert, MANY_SANS)) {
      cfg.chain_pem = d->many_chain;
      cfg.key_pem = d->many_key;
    } else if (c->cert && !strcmp(c->cert, LEAKED)) {
      cfg.chain_pem = d->leak_chain;
      cfg.key_pem = d->leak_key;
    } else if (x >= 0) {
      cfg.chain_pem = d->x_chain[x];
      cfg.key_pem = d->x_key[x];
      cfg.chain_as_is = 1; /* GnuTLS would sort, drop or refuse some */
    } else if (c->cert) {
      const tdcerts_case_t *tc = tdcerts_case(d->pki, c->cert);
      cfg.chain_pem = tc->chain_pem;
      cfg.key_pem = tc->key_pem;
      if (strcmp(c->title, NO_STAPLE_ROW)) {
        cfg.ocsp_der = tc->ocsp_der;
        cfg.ocsp_len = tc->ocsp_len;
      }
    }
    int rc = tdserver_start(&cfg, &srv);
    if (rc != 0) {
      snprintf(err, errlen, "cannot start the local server: %s",
               tdserver_strerror(rc));
      return -1;
    }
    port = tdserver_port(srv);
  } else {
    port = 443; /* never reached: DNS fails first */
  }

  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.port = port;
  o.cafile = d->root;
  o.connect_timeout_ms = 1000;
  o.max_time_ms = 3000;
  if (c->tls_min) o.tls_min = c->tls_min;
  if (c->now_offset) o.now = (int64_t)time(NULL) + c->now_offset;
  if (!strcmp(c->title, STALE_LIST_ROW)) o.hsts = tlsdiag_hsts_builtin();
  if (!strcmp(c->host, MTLS_REJECT_HOST)) o.client_cert = d->client;
  if (weak_dh) o.flags |= TLSDIAG_F_NO_HTTP;
  char pin[300];
  const char *pins[2] = {pin, NULL};
  if (c->net == NET_DNS) {
    tddns_set_behavior(d->dns, c->host, (tddns_behavior_t)c->dns_behavior);
    if (c->dns_behavior == TDDNS_ANSWER) tddns_add_a(d->dns, c->host, "127.0.0.1");
    o.dns_servers = d->dns_server;
  } else {
    /* The name may be a U-label; pins are matched on the A-label, which
     * the test names here already are, except the IDN row. */
    const char *h = c->host;
    if (strncmp(h, "b\xc3\xbc" "cher", 6) == 0) h = "xn--bcher-kva.tlsdiag.test";
    snprintf(pin, sizeof(pin), "%s:%u:127.0.0.1", h, port);
    o.resolve = pins;
    /* Any other name a check looks up (a certificate's AIA host) asks the
     * demo's own DNS server too: the demo sends nothing off this machine. */
    o.dns_servers = d->dns_server;
  }
  int tamper = !strcmp(c->expect, "tls_key_schedule_mismatch");
  if (tamper) setenv("TLSDIAG_TEST_CORRUPT_RECORD", "s2c:4", 1);
  tlsdiag_err_t e = tlsdiag_check(c->host, &o, out);
  if (tamper) unsetenv("TLSDIAG_TEST_CORRUPT_RECORD");
  if (hold >= 0) close(hold);
  tdserver_stop(srv);
  td_demo_dhe_stop(&dhe);
  if (e != TLSDIAG_OK) {
    snprintf(err, errlen, "%s", tlsdiag_strerror(e));
    return -1;
  }
  return 0;
}

/* The message that explains the row: the root cause's, or the first
 * warning's when the check passed with one. */
static const char *row_message(const tlsdiag_result_t *r, const char *want) {
  long i = -1;
  if (want) i = tlsdiag_result_find(r, (tlsdiag_cause_t)tlsdiag_cause_from_name(want));
  if (i < 0 && tlsdiag_result_finding_count(r) > 0) i = 0;
  if (i < 0) {
    const char *v = tlsdiag_result_tls_version(r);
    return v ? "connection, certificate and HTTP all fine" : "no problem found";
  }
  return tlsdiag_result_finding_message(r, (size_t)i);
}

/* Prints s padded to w display columns (UTF-8 aware, cut with "…"). */
static void put_col(const char *s, int w) {
  int cols = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (*p && cols < w) {
    int len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : 4;
    if (cols == w - 1 && p[len]) {
      fputs("\xe2\x80\xa6", stdout);
      cols++;
      break;
    }
    fwrite(p, 1, (size_t)len, stdout);
    p += len;
    cols++;
  }
  for (; cols < w; cols++) putchar(' ');
}

/* The two-verdict rows' chains: a cross-signed and a self-issued path
 * (each with its own root), and the valid leaf followed by a copy of the
 * intermediate whose signature algorithms disagree (it does not parse). */
static int setup_extra(demo_t *d) {
  int64_t now = (int64_t)time(NULL);
  if (tdcerts_cross_signed(now, "cross.tlsdiag.test", &d->x_root[0],
                           &d->x_chain[0], &d->x_key[0]) != 0 ||
      tdcerts_self_issued(now, "self-issued.tlsdiag.test", &d->x_root[1],
                          &d->x_chain[1], &d->x_key[1]) != 0)
    return -1;
  const tdcerts_case_t *v = tdcerts_case(d->pki, "valid");
  const char *end = strstr(v->chain_pem, "-----END CERTIFICATE-----");
  char *bad = tdcerts_mismatched_sigalg(tdcerts_intermediate_pem(d->pki));
  size_t n = end ? (size_t)(end - v->chain_pem) +
                       sizeof("-----END CERTIFICATE-----\n") - 1
                 : 0;
  d->x_chain[2] = bad ? malloc(n + strlen(bad) + 1) : NULL;
  d->x_key[2] = strdup(v->key_pem);
  if (!end || !d->x_chain[2] || !d->x_key[2]) {
    free(bad);
    return -1;
  }
  memcpy(d->x_chain[2], v->chain_pem, n); /* the leaf, through "-----\n" */
  strcpy(d->x_chain[2] + n, bad);
  free(bad);
  return 0;
}

static int setup(demo_t *d) {
  if (tdcerts_generate((int64_t)time(NULL), &d->pki) != 0) {
    fputs("tlsdiag demo: cannot generate the test certificates\n", stderr);
    return -1;
  }
  const char *tmp = getenv("TMPDIR");
  snprintf(d->dir, sizeof(d->dir), "%s/tlsdiag-demo-XXXXXX",
           tmp && strlen(tmp) < 40 ? tmp : "/tmp");
  if (!mkdtemp(d->dir)) {
    fprintf(stderr, "tlsdiag demo: cannot create %s: %s\n", d->dir,
            strerror(errno));
    return -1;
  }
  if (tdcerts_many_sans((int64_t)time(NULL), "big-chain.tlsdiag.test",
                        MANY_SANS_COUNT, &d->many_root, &d->many_chain,
                        &d->many_key) != 0) {
    fputs("tlsdiag demo: cannot generate the many-SANs certificate\n", stderr);
    return -1;
  }
  if (tdcerts_private_root((int64_t)time(NULL), LEAKED_HOST,
                           "tlsdiag Demo Leaked Root CA", &d->leak_root,
                           &d->leak_chain, &d->leak_key) != 0 ||
      tdcerts_spki_sha256(d->leak_root, d->leak_spki) != 0) {
    fputs("tlsdiag demo: cannot generate the leaked root\n", stderr);
    return -1;
  }
  d->leak.name = "tlsdiag-demo";
  d->leak.spki_sha256 = d->leak_spki;
  td_bad_roots_extra(&d->leak, 1);
  if (setup_extra(d) < 0) {
    fputs("tlsdiag demo: cannot generate the two-verdict chains\n", stderr);
    return -1;
  }
  /* Every root in the one CA file every row trusts. */
  snprintf(d->root, sizeof(d->root), "%s/root.pem", d->dir);
  FILE *f = fopen(d->root, "w");
  int bad = !f || fputs(tdcerts_root_pem(d->pki), f) < 0 ||
            fputs(d->many_root, f) < 0 || fputs(d->leak_root, f) < 0;
  for (size_t i = 0; f && i < NEXTRA; i++)
    if (d->x_root[i] && fputs(d->x_root[i], f) < 0) bad = 1;
  if (f && fclose(f) != 0) bad = 1;
  if (bad) {
    fprintf(stderr, "tlsdiag demo: cannot write %s\n", d->root);
    return -1;
  }
  /* A client certificate the mTLS server refuses: from the unknown root. */
  const tdcerts_case_t *stranger = tdcerts_case(d->pki, "unknown_root");
  snprintf(d->client, sizeof(d->client), "%s/client.pem", d->dir);
  int cfd = open(d->client, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  f = cfd >= 0 ? fdopen(cfd, "w") : NULL;
  if (!f || fputs(stranger->chain_pem, f) < 0 ||
      fputs(stranger->key_pem, f) < 0 || fclose(f) != 0) {
    fprintf(stderr, "tlsdiag demo: cannot write %s\n", d->client);
    return -1;
  }
  if (tddns_start("127.0.0.1", &d->dns) != 0) {
    fputs("tlsdiag demo: cannot start the local DNS responder\n", stderr);
    return -1;
  }
  snprintf(d->dns_server, sizeof(d->dns_server), "127.0.0.1:%u",
           tddns_port(d->dns));
  return 0;
}

static void cleanup(demo_t *d) {
  td_bad_roots_extra(NULL, 0);
  tddns_stop(d->dns);
  if (d->root[0]) unlink(d->root);
  if (d->client[0]) unlink(d->client);
  if (d->dir[0]) rmdir(d->dir);
  tdcerts_free(d->pki);
  free(d->many_root);
  free(d->many_chain);
  free(d->many_key);
  free(d->leak_root);
  free(d->leak_chain);
  free(d->leak_key);
  for (size_t i = 0; i < NEXTRA; i++) {
    free(d->x_root[i]);
    free(d->x_chain[i]);
    free(d->x_key[i]);
  }
}

static void demo_usage(FILE *o) {
  fputs("usage: tlsdiag demo [--json] [--color WHEN]\n"
        "Starts local servers for every diagnosis (no network needed),\n"
        "checks each and prints a table (--json: one report per line).\n"
        "Exit status 0 when every case gave the cause it demonstrates.\n",
        o);
}

int td_cli_demo(int argc, char **argv) {
  demo_t d;
  memset(&d, 0, sizeof(d));
  td_cli_opts_t c;
  td_cli_opts_init(&c, TD_C_DEMO, 1u << TLSDIAG_FORMAT_JSON, demo_usage);
  int first = 0;
  int rc = td_cli_parse(&c, argc, argv, NULL, NULL, &first);
  if (rc < 0) rc = td_cli_operands(argc, first, 0, 0, argv, "nothing");
  td_cli_opts_free(&c);
  if (rc >= 0) return rc;
  d.json = c.fmt == TLSDIAG_FORMAT_JSON;
  d.color = c.color >= 0 ? c.color : isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
  if (setup(&d) < 0) {
    cleanup(&d);
    return TD_EXIT_USAGE;
  }
  const char *red = d.color ? "\x1b[31m" : "", *green = d.color ? "\x1b[32m" : "",
             *yellow = d.color ? "\x1b[33m" : "", *bold = d.color ? "\x1b[1m" : "",
             *dim = d.color ? "\x1b[2m" : "", *off = d.color ? "\x1b[0m" : "";
  if (!d.json) {
    printf("%stlsdiag %s demo%s: %zu HTTPS failures, each on its own local "
           "server (no network used)\n\n",
           bold, tlsdiag_version_str(), off, NCASES);
    printf("%s  ", bold);
    put_col("CASE", 33);
    put_col("CAUSE", 26);
    printf("WHY%s\n", off);
  }
  int mismatches = 0;
  for (size_t i = 0; i < NCASES; i++) {
    const demo_case_t *dc = &cases[i];
    tlsdiag_result_t *r = NULL;
    char err[256] = "";
    int ok = run_one(&d, dc, &r, err, sizeof(err)) == 0;
    const char *cause = ok ? tlsdiag_cause_name(tlsdiag_result_cause(r)) : "error";
    int match = ok && !strcmp(cause, dc->expect);
    if (match && dc->expect_finding)
      match = tlsdiag_result_find(
                  r, (tlsdiag_cause_t)tlsdiag_cause_from_name(dc->expect_finding)) >= 0;
    if (!match) mismatches++;
    if (d.json) {
      char *js = NULL;
      size_t n = 0;
      if (ok && tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &js, &n) == 0) {
        if (td_cli_write(js, n) < 0) mismatches++;
        tlsdiag_free(js);
      }
    } else {
      const char *msg = ok ? row_message(r, dc->expect_finding ? dc->expect_finding
                                                               : dc->expect)
                           : err;
      int warn = ok && !strcmp(cause, "ok") && dc->expect_finding;
      const char *mark = !match ? "!" : !strcmp(cause, "ok") ? (warn ? "~" : "\xe2\x9c\x94")
                                                           : "\xe2\x9c\x98";
      const char *col = !match ? red : !strcmp(cause, "ok") ? (warn ? yellow : green) : red;
      printf("%s%s%s ", col, mark, off);
      put_col(dc->title, 33);
      printf("%s", col);
      put_col(warn ? dc->expect_finding : cause, 26);
      printf("%s%s", off, dim);
      printf("%s%s", msg ? msg : "", off);
      if (!match) printf("  %s(expected %s)%s", red, dc->expect, off);
      putchar('\n');
    }
    tlsdiag_result_free(r);
  }
  if (!d.json) {
    printf("\n%s%zu cases, %d as expected%s%s\n", bold, NCASES,
           (int)NCASES - mismatches, off,
           mismatches ? "" : "  (\xe2\x9c\x94 ok, ~ warning, \xe2\x9c\x98 error found)");
    printf("Try one yourself: tlsdiag check --cacert CA.pem --resolve "
           "NAME:PORT:127.0.0.1 NAME:PORT\n");
  }
  fflush(stdout);
  cleanup(&d);
  return mismatches ? TD_EXIT_FAIL : TD_EXIT_OK;
}
