/* test_support.c: the test fixtures themselves (tdserver, tddns), checked
 * against a plain GnuTLS client and against c-ares. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tdrun.h"

#include <ares.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tddns.h"
#include "tdserver.h"

#define CLIENT_BOTH "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* ---- certificates made here, so these tests need nothing else ---------- */

typedef struct pem_pair {
  char *chain;
  char *key;
} pem_pair_t;

static pem_pair_t g_ecdsa, g_rsa;

static char *datum_str(gnutls_datum_t *d) {
  char *s = malloc(d->size + 1);
  assert_non_null(s);
  memcpy(s, d->data, d->size);
  s[d->size] = '\0';
  gnutls_free(d->data);
  return s;
}

static void make_cert(gnutls_pk_algorithm_t pk, unsigned bits,
                      pem_pair_t *out) {
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t d;
  time_t now = time(NULL);
  unsigned char serial[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  assert_int_equal(gnutls_x509_privkey_init(&key), 0);
  assert_int_equal(gnutls_x509_privkey_generate(key, pk, bits, 0), 0);
  assert_int_equal(gnutls_x509_crt_init(&crt), 0);
  assert_int_equal(gnutls_x509_crt_set_version(crt, 3), 0);
  assert_int_equal(gnutls_x509_crt_set_serial(crt, serial, sizeof serial), 0);
  assert_int_equal(gnutls_x509_crt_set_activation_time(crt, now - 3600), 0);
  assert_int_equal(
      gnutls_x509_crt_set_expiration_time(crt, now + 30 * 86400), 0);
  assert_int_equal(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
                                                 0, "localhost", 9),
                   0);
  assert_int_equal(gnutls_x509_crt_set_subject_alt_name(
                       crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                       GNUTLS_FSAN_SET),
                   0);
  assert_int_equal(gnutls_x509_crt_set_key(crt, key), 0);
  assert_int_equal(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), 0);
  assert_int_equal(
      gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0),
      0);
  assert_int_equal(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0),
                   0);
  assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d), 0);
  out->chain = datum_str(&d);
  assert_int_equal(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d),
                   0);
  out->key = datum_str(&d);
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_privkey_deinit(key);
}

static int group_setup(void **state) {
  (void)state;
  make_cert(GNUTLS_PK_ECDSA,
            GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), &g_ecdsa);
  make_cert(GNUTLS_PK_RSA, 2048, &g_rsa);
  return ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  free(g_ecdsa.chain);
  free(g_ecdsa.key);
  free(g_rsa.chain);
  free(g_rsa.key);
  ares_library_cleanup();
  return 0;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a plain blocking GnuTLS client ------------------------------------ */

typedef struct client {
  /* in */
  const char *addr;     /* NULL: 127.0.0.1 */
  const char *priority; /* NULL: NORMAL */
  const char *sni;      /* NULL: none */
  const char *request;  /* NULL: "GET / HTTP/1.1\r\nHost: localhost..." */
  int no_request;       /* only the handshake */
  const char *alpn;     /* offered as "h2" then this */
  int timeout_ms;       /* handshake and each read; 0: 5000 */
  gnutls_datum_t resume; /* session data to resume, if any */
  /* out */
  int connect_errno;
  int hs_rc;
  int alert; /* received alert, -1 none */
  int hrr, resumed;
  gnutls_group_t group;
  char version[16];
  char alpn_out[32];
  unsigned char ocsp[64];
  size_t ocsp_len;
  char *resp;
  size_t resp_len;
  int read_rc;          /* last gnutls_record_recv result */
  gnutls_datum_t session_data; /* gnutls_free */
} client_t;

static int tcp_connect(const char *addr, uint16_t port, int *err) {
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    len = sizeof *in4;
  } else {
    assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    len = sizeof *in6;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
    *err = errno;
    close(fd);
    return -1;
  }
  *err = 0;
  return fd;
}

/* GnuTLS 3.7.9 has no GNUTLS_SFLAGS_HRR: a hook sees the retry request. */
static int on_hrr(gnutls_session_t s, unsigned htype, unsigned when,
                  unsigned incoming, const gnutls_datum_t *msg) {
  (void)when;
  (void)msg;
  client_t *c = gnutls_session_get_ptr(s);
  if (htype == GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST && incoming) c->hrr = 1;
  return 0;
}

static void client_run(uint16_t port, client_t *c) {
  gnutls_certificate_credentials_t cred;
  gnutls_session_t s;
  c->alert = -1;
  c->resp = NULL;
  c->resp_len = 0;
  c->session_data.data = NULL;
  c->session_data.size = 0;
  int fd = tcp_connect(c->addr ? c->addr : "127.0.0.1", port,
                       &c->connect_errno);
  if (fd < 0) return;
  int tmo = c->timeout_ms ? c->timeout_ms : 5000;
  assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
  assert_int_equal(gnutls_init(&s, GNUTLS_CLIENT), 0);
  assert_int_equal(
      gnutls_priority_set_direct(s, c->priority ? c->priority : "NORMAL",
                                 NULL),
      0);
  assert_int_equal(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), 0);
  if (c->sni)
    assert_int_equal(gnutls_server_name_set(s, GNUTLS_NAME_DNS, c->sni,
                                            strlen(c->sni)),
                     0);
  if (c->alpn) {
    gnutls_datum_t p[2] = {{(unsigned char *)"h2", 2},
                           {(unsigned char *)c->alpn,
                            (unsigned)strlen(c->alpn)}};
    assert_int_equal(gnutls_alpn_set_protocols(s, p, 2, 0), 0);
  }
  if (c->resume.data)
    assert_int_equal(gnutls_session_set_data(s, c->resume.data,
                                             c->resume.size),
                     0);
  gnutls_session_set_ptr(s, c);
  gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST,
                                     GNUTLS_HOOK_POST, on_hrr);
  gnutls_transport_set_int(s, fd);
  gnutls_handshake_set_timeout(s, (unsigned)tmo);
  gnutls_record_set_timeout(s, (unsigned)tmo);
  do {
    c->hs_rc = gnutls_handshake(s);
  } while (c->hs_rc < 0 && !gnutls_error_is_fatal(c->hs_rc));
  if (c->hs_rc == GNUTLS_E_FATAL_ALERT_RECEIVED ||
      c->hs_rc == GNUTLS_E_WARNING_ALERT_RECEIVED)
    c->alert = (int)gnutls_alert_get(s);
  if (c->hs_rc == 0) {
    snprintf(c->version, sizeof c->version, "%s",
             gnutls_protocol_get_name(gnutls_protocol_get_version(s)));
    c->resumed = gnutls_session_is_resumed(s);
    c->group = gnutls_group_get(s);
    gnutls_datum_t d;
    if (gnutls_alpn_get_selected_protocol(s, &d) == 0 &&
        d.size < sizeof c->alpn_out) {
      memcpy(c->alpn_out, d.data, d.size);
      c->alpn_out[d.size] = '\0';
    }
    if (gnutls_ocsp_status_request_get(s, &d) == 0 &&
        d.size <= sizeof c->ocsp) {
      memcpy(c->ocsp, d.data, d.size);
      c->ocsp_len = d.size;
    }
    if (!c->no_request) {
      const char *req = c->request ? c->request
                                   : "GET / HTTP/1.1\r\nHost: localhost\r\n"
                                     "Connection: close\r\n\r\n";
      assert_int_equal(gnutls_record_send(s, req, strlen(req)),
                       (ssize_t)strlen(req));
      size_t cap = 0;
      for (;;) {
        if (c->resp_len + 16384 + 1 > cap) {
          cap = cap ? cap * 2 : 65536;
          c->resp = realloc(c->resp, cap);
          assert_non_null(c->resp);
        }
        ssize_t r = gnutls_record_recv(s, c->resp + c->resp_len, 16384);
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) continue;
        c->read_rc = (int)r;
        if (r <= 0) break;
        c->resp_len += (size_t)r;
      }
      c->resp[c->resp_len] = '\0';
      gnutls_session_get_data2(s, &c->session_data);
    }
  }
  gnutls_deinit(s);
  gnutls_certificate_free_credentials(cred);
  close(fd);
}

static void client_free(client_t *c) {
  free(c->resp);
  c->resp = NULL;
  gnutls_free(c->session_data.data);
  c->session_data.data = NULL;
}

static tdserver_t *start_server(tdserver_config_t *cfg) {
  tdserver_t *s = NULL;
  if (!cfg->chain_pem) {
    cfg->chain_pem = g_ecdsa.chain;
    cfg->key_pem = g_ecdsa.key;
  }
  int rc = tdserver_start(cfg, &s);
  if (rc != 0) fail_msg("tdserver_start: %s", tdserver_strerror(rc));
  assert_non_null(s);
  assert_true(tdserver_port(s) > 0);
  return s;
}

static void assert_last(char *got, const char *want) {
  assert_non_null(got);
  assert_string_equal(got, want);
  free(got);
}

/* Reads from a raw socket until EOF (or error / 5 s); returns the bytes. */
static char *raw_read_all(int fd, size_t *len, int *err) {
  size_t cap = 4096, n = 0;
  char *b = malloc(cap + 1);
  assert_non_null(b);
  *err = 0;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) {
      *err = ETIMEDOUT;
      break;
    }
    if (n == cap) {
      cap *= 2;
      b = realloc(b, cap + 1);
      assert_non_null(b);
    }
    ssize_t r = recv(fd, b + n, cap - n, 0);
    if (r < 0) *err = errno;
    if (r <= 0) break;
    n += (size_t)r;
  }
  b[n] = '\0';
  *len = n;
  return b;
}

/* ---- tdserver: modes ---------------------------------------------------- */

static void test_support_server_http_serves_default_response(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_string_equal(c.version, "TLS1.3");
  assert_int_equal(c.read_rc, 0); /* close_notify, then EOF */
  assert_non_null(strstr(c.resp, "HTTP/1.1 200 OK\r\n"));
  assert_true(strncmp(c.resp, "HTTP/1.1 200 OK\r\nDate: ", 23) == 0);
  assert_non_null(strstr(c.resp, "\r\nServer: tdserver\r\n"));
  assert_non_null(strstr(c.resp, "\r\nContent-Length: 0\r\n"
                                 "Connection: close\r\n\r\n"));
  assert_last(tdserver_last_sni(s), "localhost");
  assert_last(tdserver_last_version(s), "TLS1.3");
  assert_last(tdserver_last_request(s), "GET / HTTP/1.1\r\nHost: localhost\r\n"
                                        "Connection: close\r\n\r\n");
  assert_int_equal(tdserver_connections(s), 1);
  client_free(&c);
  tdserver_stop(s);
}

static void test_support_server_http_status_headers_and_date_offset(
    void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.http_status = 503;
  cfg.extra_headers = "Strict-Transport-Security: max-age=31536000\r\n"
                      "X-Test: 1\r\n";
  cfg.date_offset_s = -400 * 86400; /* a server clock 400 days behind */
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_true(strncmp(c.resp, "HTTP/1.1 503 Service Unavailable\r\n", 34) ==
              0);
  assert_non_null(strstr(c.resp, "\r\nStrict-Transport-Security: "
                                 "max-age=31536000\r\nX-Test: 1\r\n"
                                 "Content-Length: 0\r\n"));
  const char *d = strstr(c.resp, "\r\nDate: ");
  assert_non_null(d);
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(d + 8, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  assert_non_null(end);
  assert_true(strncmp(end, "\r\n", 2) == 0);
  int64_t got = (int64_t)timegm(&tm);
  int64_t want = (int64_t)time(NULL) - 400 * 86400;
  assert_true(got >= want - 5 && got <= want + 1);
  client_free(&c);
  tdserver_stop(s);
}

static void test_support_server_http_without_date(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.send_date = 0;
  tdserver_t *s = start_server(&cfg);
  client_t c = {0};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_string_equal(c.resp, "HTTP/1.1 200 OK\r\nServer: tdserver\r\n"
                              "Content-Length: 0\r\nConnection: close\r\n\r\n");
  assert_last(tdserver_last_sni(s), ""); /* the client sent no SNI */
  client_free(&c);
  tdserver_stop(s);
}

static void test_support_server_silent_times_out_handshake(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_SILENT;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost", .timeout_ms = 300};
  int64_t t0 = now_ms();
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.connect_errno, 0);
  assert_int_equal(c.hs_rc, GNUTLS_E_TIMEDOUT);
  assert_true(now_ms() - t0 >= 250);
  tdserver_stop(s);
}

static void test_support_server_close_ends_handshake(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_CLOSE;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.connect_errno, 0);
  /* a FIN before any server byte */
  assert_int_equal(c.hs_rc, GNUTLS_E_PREMATURE_TERMINATION);
  assert_int_equal(tdserver_connections(s), 1);
  tdserver_stop(s);
}

static void test_support_server_reset_sends_rst(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_RESET;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "reset.example"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, GNUTLS_E_PULL_ERROR); /* ECONNRESET */
  assert_last(tdserver_last_sni(s), "reset.example");
  tdserver_stop(s);
}

static void test_support_server_garbage_is_not_tls(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_GARBAGE;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost"};
  client_run(tdserver_port(s), &c);
  assert_true(c.hs_rc < 0);
  assert_int_equal(c.alert, -1);
  /* What arrives, seen without TLS. */
  int err;
  int fd = tcp_connect("127.0.0.1", tdserver_port(s), &err);
  assert_true(fd >= 0);
  static const char hello[] = "\x16\x03\x01\x00\x01\x01";
  assert_int_equal(send(fd, hello, 6, MSG_NOSIGNAL), 6);
  size_t n;
  char *b = raw_read_all(fd, &n, &err);
  assert_int_equal(err, 0);
  assert_true(strncmp(b, "HTTP/1.0 400 Bad Request\r\n", 26) == 0);
  free(b);
  close(fd);
  tdserver_stop(s);
}

static void test_support_server_alert_default_handshake_failure(
    void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_ALERT;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "alert.example"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, GNUTLS_E_FATAL_ALERT_RECEIVED);
  assert_int_equal(c.alert, GNUTLS_A_HANDSHAKE_FAILURE);
  assert_last(tdserver_last_sni(s), "alert.example");
  tdserver_stop(s);
}

static void test_support_server_alert_configured_number(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_ALERT;
  cfg.alert = GNUTLS_A_UNRECOGNIZED_NAME; /* 112 */
  tdserver_t *s = start_server(&cfg);
  /* whatever versions the client offers (a version probe, too) */
  const char *prios[] = {CLIENT_BOTH, TDS_PRIORITY_TLS13_ONLY,
                         TDS_PRIORITY_TLS12_ONLY, TDS_PRIORITY_TLS10_ONLY};
  for (size_t i = 0; i < sizeof prios / sizeof prios[0]; i++) {
    client_t c = {.sni = "localhost", .priority = prios[i]};
    client_run(tdserver_port(s), &c);
    assert_int_equal(c.hs_rc, GNUTLS_E_FATAL_ALERT_RECEIVED);
    assert_int_equal(c.alert, 112);
  }
  tdserver_stop(s);
}

static void test_support_server_handshake_then_silent(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_HANDSHAKE_THEN_SILENT;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost", .timeout_ms = 300};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_int_equal(c.read_rc, GNUTLS_E_TIMEDOUT);
  assert_int_equal(c.resp_len, 0);
  client_free(&c);
  tdserver_stop(s);
}

static void test_support_server_raw_response_verbatim(void **state) {
  (void)state;
  static const char raw[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                            "Bogus header line\r\n\r\nhello";
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_RAW_RESPONSE;
  cfg.raw_response = raw;
  cfg.raw_len = sizeof raw - 1;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_int_equal(c.resp_len, sizeof raw - 1);
  assert_memory_equal(c.resp, raw, sizeof raw - 1);
  client_free(&c);
  tdserver_stop(s);
}

static void test_support_server_raw_response_huge(void **state) {
  (void)state;
  size_t n = 1024 * 1024;
  char *raw = malloc(n);
  assert_non_null(raw);
  for (size_t i = 0; i < n; i++) raw[i] = (char)('a' + i % 26);
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_RAW_RESPONSE;
  cfg.raw_response = raw;
  cfg.raw_len = n;
  tdserver_t *s = start_server(&cfg);
  free(raw); /* the server keeps its own copy */
  client_t c = {.sni = "localhost"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_int_equal(c.resp_len, n);
  assert_int_equal(c.resp[n - 1], 'a' + (n - 1) % 26);
  client_free(&c);
  tdserver_stop(s);
}

static void test_support_server_raw_response_drips(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_RAW_RESPONSE;
  cfg.raw_response = "HTTP/1.1 200";
  cfg.raw_len = 12;
  cfg.drip_ms = 30;
  cfg.drip_bytes = 3; /* 4 drips, 3 pauses */
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost"};
  int64_t t0 = now_ms();
  client_run(tdserver_port(s), &c);
  int64_t took = now_ms() - t0;
  assert_int_equal(c.hs_rc, 0);
  assert_string_equal(c.resp, "HTTP/1.1 200");
  assert_true(took >= 85);
  client_free(&c);
  tdserver_stop(s);
}

static void test_support_server_no_accept_connect_times_out(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_NO_ACCEPT;
  tdserver_t *s = start_server(&cfg);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(tdserver_port(s));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
  assert_int_equal(rc, -1);
  assert_int_equal(errno, EINPROGRESS);
  struct pollfd p = {fd, POLLOUT, 0};
  assert_int_equal(poll(&p, 1, 300), 0); /* still in SYN_SENT */
  close(fd);
  assert_int_equal(tdserver_connections(s), 0);
  tdserver_stop(s);
}

static void test_support_server_stop_is_prompt_with_client_attached(
    void **state) {
  (void)state;
  tdserver_mode_t modes[] = {TDS_SILENT, TDS_HANDSHAKE_THEN_SILENT,
                             TDS_RAW_RESPONSE};
  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    tdserver_config_t cfg;
    tdserver_config_init(&cfg);
    cfg.mode = modes[m];
    cfg.raw_response = "HTTP/1.1 200 OK\r\n\r\n";
    cfg.raw_len = 19;
    cfg.drip_ms = 10000; /* one byte every 10 s */
    tdserver_t *s = start_server(&cfg);
    int err;
    int fd = tcp_connect("127.0.0.1", tdserver_port(s), &err);
    assert_true(fd >= 0);
    gnutls_session_t ss = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    if (modes[m] != TDS_SILENT) { /* get the server into its idle wait */
      assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
      assert_int_equal(gnutls_init(&ss, GNUTLS_CLIENT), 0);
      assert_int_equal(gnutls_set_default_priority(ss), 0);
      assert_int_equal(
          gnutls_credentials_set(ss, GNUTLS_CRD_CERTIFICATE, cred), 0);
      gnutls_transport_set_int(ss, fd);
      gnutls_handshake_set_timeout(ss, 5000);
      assert_int_equal(gnutls_handshake(ss), 0);
      assert_int_equal(gnutls_record_send(ss, "GET / HTTP/1.1\r\n\r\n", 18),
                       18);
    }
    /* the server has the connection */
    for (int i = 0; i < 500 && tdserver_connections(s) == 0; i++)
      poll(NULL, 0, 10);
    assert_int_equal(tdserver_connections(s), 1);
    poll(NULL, 0, 100);
    int64_t t0 = now_ms();
    tdserver_stop(s);
    int64_t took = now_ms() - t0;
    assert_true(took < 1000);
    /* the client sees its connection end */
    size_t n;
    char *b = raw_read_all(fd, &n, &err);
    assert_int_not_equal(err, ETIMEDOUT);
    free(b);
    if (ss) gnutls_deinit(ss);
    if (cred) gnutls_certificate_free_credentials(cred);
    close(fd);
  }
}

static void test_support_server_conn_timeout_closes_idle_client(
    void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_SILENT;
  cfg.conn_timeout_ms = 200;
  tdserver_t *s = start_server(&cfg);
  int err;
  int fd = tcp_connect("127.0.0.1", tdserver_port(s), &err);
  assert_true(fd >= 0);
  int64_t t0 = now_ms();
  size_t n;
  char *b = raw_read_all(fd, &n, &err); /* EOF once the limit passes */
  int64_t took = now_ms() - t0;
  assert_int_equal(err, 0);
  assert_int_equal(n, 0);
  assert_true(took >= 150 && took < 2000);
  free(b);
  close(fd);
  tdserver_stop(s);
}

static void test_support_server_max_connections_then_refused(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.max_connections = 1;
  tdserver_t *s = start_server(&cfg);
  client_t c = {0};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  client_free(&c);
  client_t c2 = {0};
  client_run(tdserver_port(s), &c2);
  assert_int_equal(c2.connect_errno, ECONNREFUSED);
  assert_int_equal(tdserver_connections(s), 1);
  tdserver_stop(s);
}

static void test_support_server_serves_many_connections(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  tdserver_t *s = start_server(&cfg);
  for (int i = 0; i < 20; i++) {
    client_t c = {0};
    client_run(tdserver_port(s), &c);
    assert_int_equal(c.hs_rc, 0);
    assert_true(strncmp(c.resp, "HTTP/1.1 200 OK", 15) == 0);
    client_free(&c);
  }
  assert_int_equal(tdserver_connections(s), 20);
  tdserver_stop(s);
}

/* ---- tdserver: TLS features --------------------------------------------- */

static void test_support_server_ipv6(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.bind_addr = "::1";
  cfg.chain_pem = g_ecdsa.chain;
  cfg.key_pem = g_ecdsa.key;
  tdserver_t *s = NULL;
  int rc = tdserver_start(&cfg, &s);
  if (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT)
    TD_SKIP("no IPv6 loopback (::1) here");
  assert_int_equal(rc, 0);
  client_t c = {.addr = "::1", .sni = "localhost"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_true(strncmp(c.resp, "HTTP/1.1 200 OK", 15) == 0);
  client_free(&c);
  tdserver_stop(s);
}

static void version_check(const char *server_prio, const pem_pair_t *cert,
                          const char *want) {
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.priority = server_prio;
  cfg.chain_pem = cert->chain;
  cfg.key_pem = cert->key;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost"}; /* client: NORMAL */
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_string_equal(c.version, want);
  assert_true(strncmp(c.resp, "HTTP/1.1 200 OK", 15) == 0);
  assert_last(tdserver_last_version(s), want);
  client_free(&c);
  tdserver_stop(s);
}

static void test_support_priority_tls10_only(void **state) {
  (void)state;
  version_check(TDS_PRIORITY_TLS10_ONLY, &g_ecdsa, "TLS1.0");
  version_check(TDS_PRIORITY_TLS10_ONLY, &g_rsa, "TLS1.0");
}

static void test_support_priority_tls12_only(void **state) {
  (void)state;
  version_check(TDS_PRIORITY_TLS12_ONLY, &g_ecdsa, "TLS1.2");
}

static void test_support_priority_tls13_only(void **state) {
  (void)state;
  version_check(TDS_PRIORITY_TLS13_ONLY, &g_ecdsa, "TLS1.3");
  version_check(TDS_PRIORITY_TLS13_ONLY, &g_rsa, "TLS1.3");
}

static void test_support_priority_tls13_only_refuses_tls12_client(
    void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.priority = TDS_PRIORITY_TLS13_ONLY;
  tdserver_t *s = start_server(&cfg);
  /* GnuTLS 3.7.9 answers a TLS 1.2 client with handshake_failure (its
   * error is "no supported cipher suites"), a TLS 1.0 one with
   * protocol_version: a version mismatch does not always say so. */
  client_t c = {.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, GNUTLS_E_FATAL_ALERT_RECEIVED);
  assert_int_equal(c.alert, GNUTLS_A_HANDSHAKE_FAILURE);
  client_t c2 = {.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.0"};
  client_run(tdserver_port(s), &c2);
  assert_int_equal(c2.hs_rc, GNUTLS_E_FATAL_ALERT_RECEIVED);
  assert_int_equal(c2.alert, GNUTLS_A_PROTOCOL_VERSION);
  tdserver_stop(s);
}

static void test_support_priority_tls10_only_refuses_modern_client(
    void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.priority = TDS_PRIORITY_TLS10_ONLY;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.priority = CLIENT_BOTH};
  client_run(tdserver_port(s), &c);
  /* the server answers with a TLS 1.0 ServerHello; the client refuses it
   * itself (and sends protocol_version) */
  assert_int_equal(c.hs_rc, GNUTLS_E_UNSUPPORTED_VERSION_PACKET);
  assert_int_equal(c.alert, -1);
  tdserver_stop(s);
}

static void test_support_priority_cipher_mismatch(void **state) {
  (void)state;
  const pem_pair_t *certs[] = {&g_ecdsa, &g_rsa};
  for (size_t i = 0; i < 2; i++) {
    tdserver_config_t cfg;
    tdserver_config_init(&cfg);
    cfg.priority = TDS_PRIORITY_CIPHER_MISMATCH;
    cfg.chain_pem = certs[i]->chain;
    cfg.key_pem = certs[i]->key;
    tdserver_t *s = start_server(&cfg);
    client_t c = {.sni = "localhost", .priority = CLIENT_BOTH};
    client_run(tdserver_port(s), &c);
    assert_int_equal(c.hs_rc, GNUTLS_E_FATAL_ALERT_RECEIVED);
    assert_int_equal(c.alert, GNUTLS_A_HANDSHAKE_FAILURE);
    /* versions overlap: the same client only pinned to TLS 1.2 with the
     * server's cipher succeeds, so the mismatch is the cipher alone */
    client_t c2 = {.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:"
                               "+CAMELLIA-128-GCM"};
    client_run(tdserver_port(s), &c2);
    assert_int_equal(c2.hs_rc, 0);
    assert_string_equal(c2.version, "TLS1.2");
    client_free(&c2);
    tdserver_stop(s);
  }
}

static void test_support_priority_hrr(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.priority = TDS_PRIORITY_HRR;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_string_equal(c.version, "TLS1.3");
  assert_int_equal(c.hrr, 1);
  assert_int_equal(c.group, GNUTLS_GROUP_SECP384R1);
  client_free(&c);
  /* and a plain server does not ask for a retry */
  tdserver_stop(s);
  tdserver_config_init(&cfg);
  s = start_server(&cfg);
  client_t c2 = {.sni = "localhost"};
  client_run(tdserver_port(s), &c2);
  assert_int_equal(c2.hs_rc, 0);
  assert_int_equal(c2.hrr, 0);
  client_free(&c2);
  tdserver_stop(s);
}

static void tickets_check(const char *client_prio, int tickets,
                          int want_resumed) {
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.session_tickets = tickets;
  tdserver_t *s = start_server(&cfg);
  client_t c = {.sni = "localhost", .priority = client_prio};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_int_equal(c.resumed, 0);
  client_t c2 = {.sni = "localhost", .priority = client_prio,
                 .resume = c.session_data};
  client_run(tdserver_port(s), &c2);
  assert_int_equal(c2.hs_rc, 0);
  assert_int_equal(c2.resumed, want_resumed);
  client_free(&c);
  client_free(&c2);
  tdserver_stop(s);
}

static void test_support_server_session_tickets(void **state) {
  (void)state;
  tickets_check("NORMAL:-VERS-ALL:+VERS-TLS1.3", 1, 1);
  tickets_check("NORMAL:-VERS-ALL:+VERS-TLS1.2", 1, 1);
  tickets_check("NORMAL:-VERS-ALL:+VERS-TLS1.3", 0, 0);
  tickets_check("NORMAL:-VERS-ALL:+VERS-TLS1.2", 0, 0);
}

static void test_support_server_alpn(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.alpn = "http/1.1";
  tdserver_t *s = start_server(&cfg);
  client_t c = {.alpn = "http/1.1"};
  client_run(tdserver_port(s), &c);
  assert_int_equal(c.hs_rc, 0);
  assert_string_equal(c.alpn_out, "http/1.1");
  client_free(&c);
  tdserver_stop(s);
  tdserver_config_init(&cfg); /* no ALPN configured: none negotiated */
  s = start_server(&cfg);
  client_t c2 = {.alpn = "http/1.1"};
  client_run(tdserver_port(s), &c2);
  assert_int_equal(c2.hs_rc, 0);
  assert_string_equal(c2.alpn_out, "");
  client_free(&c2);
  tdserver_stop(s);
}

static void test_support_server_ocsp_staple_served_verbatim(void **state) {
  (void)state;
  /* OCSPResponse { responseStatus malformedRequest(1) }: the server must
   * staple whatever it is given, good or bad. */
  static const unsigned char staple[] = {0x30, 0x03, 0x0a, 0x01, 0x01};
  const char *prios[] = {TDS_PRIORITY_TLS13_ONLY, TDS_PRIORITY_TLS12_ONLY};
  for (size_t i = 0; i < 2; i++) {
    tdserver_config_t cfg;
    tdserver_config_init(&cfg);
    cfg.priority = prios[i];
    cfg.ocsp_der = staple;
    cfg.ocsp_len = sizeof staple;
    tdserver_t *s = start_server(&cfg);
    client_t c = {.sni = "localhost"};
    client_run(tdserver_port(s), &c);
    assert_int_equal(c.hs_rc, 0);
    assert_int_equal(c.ocsp_len, sizeof staple);
    assert_memory_equal(c.ocsp, staple, sizeof staple);
    client_free(&c);
    tdserver_stop(s);
  }
}

static void test_support_server_start_rejects_bad_config(void **state) {
  (void)state;
  tdserver_t *s = (tdserver_t *)&s;
  tdserver_config_t cfg;
  tdserver_config_init(&cfg); /* TLS mode without a certificate */
  assert_int_equal(tdserver_start(&cfg, &s), -EINVAL);
  assert_null(s);
  cfg.chain_pem = g_ecdsa.chain;
  cfg.key_pem = g_ecdsa.key;
  cfg.bind_addr = "192.0.2.1"; /* loopback only */
  assert_int_equal(tdserver_start(&cfg, &s), -EINVAL);
  cfg.bind_addr = "not an address";
  assert_int_equal(tdserver_start(&cfg, &s), -EINVAL);
  cfg.bind_addr = NULL;
  cfg.priority = "NORMAL:+NO-SUCH-THING";
  int rc = tdserver_start(&cfg, &s);
  assert_true(rc <= TDSERVER_E_TLS);
  assert_string_equal(tdserver_strerror(rc),
                      gnutls_strerror(GNUTLS_E_INVALID_REQUEST));
  cfg.priority = NULL;
  cfg.key_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  assert_true(tdserver_start(&cfg, &s) <= TDSERVER_E_TLS);
  assert_null(s);
  assert_int_equal(tdserver_start(NULL, &s), -EINVAL);
  assert_string_equal(tdserver_strerror(-EINVAL), "Invalid argument");
  tdserver_stop(NULL);
  /* a taken port */
  tdserver_config_init(&cfg);
  cfg.mode = TDS_SILENT;
  tdserver_t *a = start_server(&cfg);
  cfg.port = tdserver_port(a);
  assert_int_equal(tdserver_start(&cfg, &s), -EADDRINUSE);
  tdserver_stop(a);
}

/* ---- tddns through c-ares ----------------------------------------------- */

typedef struct lookup {
  int done;
  int status;
  int n4, n6;
  char first4[INET_ADDRSTRLEN];
} lookup_t;

static void on_addrinfo(void *arg, int status, int timeouts,
                        struct ares_addrinfo *res) {
  (void)timeouts;
  lookup_t *l = arg;
  l->done = 1;
  l->status = status;
  if (res) {
    for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
      if (n->ai_family == AF_INET) {
        if (l->n4 == 0)
          inet_ntop(AF_INET, &((struct sockaddr_in *)n->ai_addr)->sin_addr,
                    l->first4, sizeof l->first4);
        l->n4++;
      } else if (n->ai_family == AF_INET6) {
        l->n6++;
      }
    }
    ares_freeaddrinfo(res);
  }
}

/* Resolves name through c-ares against the fake server only (no hosts
 * file, no search domains), driving the channel with poll(). */
static lookup_t resolve_flags(const tddns_t *d, const char *name,
                              int family, int flags) {
  ares_channel ch;
  struct ares_options o;
  memset(&o, 0, sizeof o);
  o.flags = flags;
  o.timeout = 200;
  o.tries = 1;
  o.ndomains = 0;
  o.domains = NULL;
  o.lookups = (char *)"b";
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
             ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS;
  assert_int_equal(ares_init_options(&ch, &o, mask), ARES_SUCCESS);
  char csv[64];
  snprintf(csv, sizeof csv, "127.0.0.1:%u", (unsigned)tddns_port(d));
  assert_int_equal(ares_set_servers_ports_csv(ch, csv), ARES_SUCCESS);
  lookup_t l;
  memset(&l, 0, sizeof l);
  struct ares_addrinfo_hints h;
  memset(&h, 0, sizeof h);
  h.ai_family = family;
  h.ai_flags = ARES_AI_NOSORT;
  ares_getaddrinfo(ch, name, NULL, &h, on_addrinfo, &l);
  int64_t give_up = now_ms() + 5000;
  while (!l.done && now_ms() < give_up) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    /* not ARES_GETSOCK_WRITABLE(): it shifts a signed 1 by 31 (UB) */
    unsigned bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
    struct pollfd p[ARES_GETSOCK_MAXNUM];
    nfds_t n = 0;
    for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
      short ev = 0;
      if ((bits >> i) & 1u) ev |= POLLIN;
      if ((bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u) ev |= POLLOUT;
      if (ev) p[n++] = (struct pollfd){socks[i], ev, 0};
    }
    struct timeval max = {1, 0}, tv;
    struct timeval *t = ares_timeout(ch, &max, &tv);
    int ms = (int)(t->tv_sec * 1000 + t->tv_usec / 1000) + 1;
    int rc = poll(p, n, ms);
    if (rc <= 0) {
      ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
      continue;
    }
    for (nfds_t i = 0; i < n; i++) {
      if (!p[i].revents) continue;
      ares_socket_t r = (p[i].revents & (POLLIN | POLLHUP | POLLERR))
                            ? p[i].fd
                            : ARES_SOCKET_BAD;
      ares_socket_t w = (p[i].revents & POLLOUT) ? p[i].fd : ARES_SOCKET_BAD;
      ares_process_fd(ch, r, w);
    }
  }
  ares_destroy(ch); /* completes a pending query with ARES_EDESTRUCTION */
  assert_true(l.done);
  return l;
}

static lookup_t resolve(const tddns_t *d, const char *name, int family) {
  return resolve_flags(d, name, family, 0);
}

static tddns_t *start_dns(void) {
  tddns_t *d = NULL;
  int rc = tddns_start("127.0.0.1", &d);
  if (rc != 0) fail_msg("tddns_start: %s", tdserver_strerror(rc));
  assert_true(tddns_port(d) > 0);
  return d;
}

static void test_support_dns_a_and_aaaa_answers(void **state) {
  (void)state;
  tddns_t *d = start_dns();
  assert_int_equal(tddns_add_a(d, "www.example.test", "127.0.0.7"), 0);
  assert_int_equal(tddns_add_aaaa(d, "WWW.Example.Test.", "::1"), 0);
  lookup_t l = resolve(d, "Www.EXAMPLE.test", AF_UNSPEC);
  assert_int_equal(l.status, ARES_SUCCESS);
  assert_int_equal(l.n4, 1);
  assert_int_equal(l.n6, 1);
  assert_string_equal(l.first4, "127.0.0.7");
  assert_int_equal(tddns_queries(d), 2); /* A and AAAA */
  tddns_stop(d);
}

static void test_support_dns_several_addresses(void **state) {
  (void)state;
  tddns_t *d = start_dns();
  assert_int_equal(tddns_add_a(d, "multi.test", "127.0.0.1"), 0);
  assert_int_equal(tddns_add_a(d, "multi.test", "127.0.0.2"), 0);
  assert_int_equal(tddns_add_a(d, "multi.test", "127.0.0.3"), 0);
  lookup_t l = resolve(d, "multi.test", AF_INET);
  assert_int_equal(l.status, ARES_SUCCESS);
  assert_int_equal(l.n4, 3);
  assert_string_equal(l.first4, "127.0.0.1");
  tddns_stop(d);
}

static void expect_status_flags(tddns_behavior_t b, int family, int flags,
                                int want) {
  tddns_t *d = start_dns();
  assert_int_equal(tddns_add_a(d, "x.test", "127.0.0.1"), 0);
  assert_int_equal(tddns_add_aaaa(d, "x.test", "::1"), 0);
  assert_int_equal(tddns_set_behavior(d, "x.test", b), 0);
  lookup_t l = resolve_flags(d, "x.test", family, flags);
  if (l.status != want)
    fail_msg("behaviour %d family %d: got %s (%d), want %s", (int)b, family,
             ares_strerror(l.status), l.status, ares_strerror(want));
  tddns_stop(d);
}

static void expect_status(tddns_behavior_t b, int family, int want) {
  expect_status_flags(b, family, 0, want);
}

static void test_support_dns_nxdomain(void **state) {
  (void)state;
  tddns_t *d = start_dns();
  lookup_t l = resolve(d, "unknown.test", AF_UNSPEC); /* never configured */
  assert_int_equal(l.status, ARES_ENOTFOUND);
  tddns_stop(d);
  expect_status(TDDNS_NXDOMAIN, AF_UNSPEC, ARES_ENOTFOUND);
  expect_status(TDDNS_NXDOMAIN, AF_INET, ARES_ENOTFOUND);
}

/* c-ares 1.18.1 treats SERVFAIL and REFUSED as "skip this server"; with
 * no server left the query ends with ARES_ECONNREFUSED ("Could not contact
 * DNS servers"), not ARES_ESERVFAIL / ARES_EREFUSED. */
static void test_support_dns_servfail(void **state) {
  (void)state;
  expect_status(TDDNS_SERVFAIL, AF_UNSPEC, ARES_ECONNREFUSED);
  expect_status(TDDNS_SERVFAIL, AF_INET, ARES_ECONNREFUSED);
}

static void test_support_dns_refused(void **state) {
  (void)state;
  expect_status(TDDNS_REFUSED, AF_UNSPEC, ARES_ECONNREFUSED);
  expect_status(TDDNS_REFUSED, AF_INET, ARES_ECONNREFUSED);
}

/* With ARES_FLAG_NOCHECKRESP the rcode reaches the caller (but c-ares then
 * no longer tries another server after a SERVFAIL/REFUSED). */
static void test_support_dns_servfail_refused_with_nocheckresp(void **state) {
  (void)state;
  expect_status_flags(TDDNS_SERVFAIL, AF_UNSPEC, ARES_FLAG_NOCHECKRESP,
                      ARES_ESERVFAIL);
  expect_status_flags(TDDNS_REFUSED, AF_UNSPEC, ARES_FLAG_NOCHECKRESP,
                      ARES_EREFUSED);
  expect_status_flags(TDDNS_NXDOMAIN, AF_UNSPEC, ARES_FLAG_NOCHECKRESP,
                      ARES_ENOTFOUND);
  expect_status_flags(TDDNS_ANSWER, AF_UNSPEC, ARES_FLAG_NOCHECKRESP,
                      ARES_SUCCESS);
}

static void test_support_dns_nodata(void **state) {
  (void)state;
  expect_status(TDDNS_NODATA, AF_UNSPEC, ARES_ENODATA);
  expect_status(TDDNS_NODATA, AF_INET, ARES_ENODATA);
  /* only an A record: AAAA is NODATA, A+AAAA still succeeds */
  tddns_t *d = start_dns();
  assert_int_equal(tddns_add_a(d, "v4only.test", "127.0.0.1"), 0);
  lookup_t l = resolve(d, "v4only.test", AF_INET6);
  assert_int_equal(l.status, ARES_ENODATA);
  l = resolve(d, "v4only.test", AF_UNSPEC);
  assert_int_equal(l.status, ARES_SUCCESS);
  assert_int_equal(l.n4, 1);
  assert_int_equal(l.n6, 0);
  tddns_stop(d);
}

static void test_support_dns_drop_times_out(void **state) {
  (void)state;
  int64_t t0 = now_ms();
  expect_status(TDDNS_DROP, AF_UNSPEC, ARES_ETIMEOUT);
  expect_status(TDDNS_DROP, AF_INET, ARES_ETIMEOUT);
  assert_true(now_ms() - t0 < 3000);
}

static void test_support_dns_wrong_id_times_out(void **state) {
  (void)state;
  expect_status(TDDNS_WRONG_ID, AF_INET, ARES_ETIMEOUT);
}

static void test_support_dns_truncated_retries_over_tcp(void **state) {
  (void)state;
  tddns_t *d = start_dns();
  assert_int_equal(tddns_add_a(d, "tc.test", "127.0.0.9"), 0);
  assert_int_equal(tddns_set_behavior(d, "tc.test", TDDNS_TRUNCATED), 0);
  lookup_t l = resolve(d, "tc.test", AF_INET);
  assert_int_equal(l.status, ARES_SUCCESS);
  assert_int_equal(l.n4, 1);
  assert_string_equal(l.first4, "127.0.0.9");
  assert_int_equal(tddns_queries(d), 2); /* UDP, then TCP */
  tddns_stop(d);
}

static void test_support_dns_truncated_always(void **state) {
  (void)state;
  expect_status(TDDNS_TRUNCATED_ALWAYS, AF_INET, ARES_ECONNREFUSED);
}

static void test_support_dns_malformed(void **state) {
  (void)state;
  expect_status(TDDNS_MALFORMED, AF_INET, ARES_EBADRESP);
  expect_status(TDDNS_MALFORMED, AF_UNSPEC, ARES_EBADRESP);
}

static void test_support_dns_cname_loop(void **state) {
  (void)state;
  expect_status(TDDNS_CNAME_LOOP, AF_INET, ARES_ENODATA);
  expect_status(TDDNS_CNAME_LOOP, AF_UNSPEC, ARES_ENODATA);
}

static void test_support_dns_300_addresses_over_tcp(void **state) {
  (void)state;
  tddns_t *d = start_dns();
  char ip[64];
  for (int i = 0; i < 300; i++) {
    snprintf(ip, sizeof ip, "127.1.%d.%d", i / 250, i % 250 + 1);
    assert_int_equal(tddns_add_a(d, "many.test", ip), 0);
    snprintf(ip, sizeof ip, "fd00::%x", i + 1);
    assert_int_equal(tddns_add_aaaa(d, "many.test", ip), 0);
  }
  lookup_t l = resolve(d, "many.test", AF_INET);
  assert_int_equal(l.status, ARES_SUCCESS);
  assert_int_equal(l.n4, 300);
  assert_string_equal(l.first4, "127.1.0.1");
  assert_int_equal(tddns_queries(d), 2); /* truncated over UDP, then TCP */
  l = resolve(d, "many.test", AF_UNSPEC);
  assert_int_equal(l.status, ARES_SUCCESS);
  assert_int_equal(l.n4, 300);
  assert_int_equal(l.n6, 300);
  tddns_stop(d);
}

/* The wire format, checked by hand over UDP. */
static void test_support_dns_wire_format(void **state) {
  (void)state;
  tddns_t *d = start_dns();
  assert_int_equal(tddns_add_a(d, "wire.test", "127.0.0.5"), 0);
  assert_int_equal(tddns_add_a(d, "wire.test", "127.0.0.6"), 0);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_in sa = {0};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(tddns_port(d));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  /* garbage first: ignored, not answered, not counted */
  assert_int_equal(send(fd, "\x12\x34\x01", 3, 0), 3);
  static const unsigned char q[] = {
      0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, /* RD, 1 question */
      4, 'W', 'i', 'R', 'e', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};
  assert_int_equal(send(fd, q, sizeof q, 0), (ssize_t)sizeof q);
  unsigned char r[512];
  struct pollfd p = {fd, POLLIN, 0};
  assert_int_equal(poll(&p, 1, 2000), 1);
  ssize_t n = recv(fd, r, sizeof r, 0);
  assert_int_equal(n, (ssize_t)sizeof q + 2 * 16);
  assert_int_equal(r[0], 0xbe);
  assert_int_equal(r[1], 0xef);
  assert_int_equal(r[2], 0x85); /* QR, AA, RD */
  assert_int_equal(r[3] & 0x0f, 0); /* NOERROR */
  assert_int_equal(r[5], 1);  /* qdcount */
  assert_int_equal(r[7], 2);  /* ancount */
  assert_memory_equal(r + 12, q + 12, sizeof q - 12); /* case kept */
  const unsigned char *a = r + sizeof q;
  static const unsigned char rr1[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60,
                                      0, 4, 127, 0, 0, 5};
  assert_memory_equal(a, rr1, sizeof rr1);
  assert_int_equal(a[16 + 15], 6);
  assert_int_equal(tddns_queries(d), 1);
  close(fd);
  tddns_stop(d);
}

static void test_support_dns_rejects_bad_input(void **state) {
  (void)state;
  tddns_t *d = NULL;
  assert_int_equal(tddns_start("192.0.2.1", &d), -EINVAL);
  assert_null(d);
  d = start_dns();
  assert_int_equal(tddns_add_a(d, "ok.test", "::1"), -EINVAL);
  assert_int_equal(tddns_add_aaaa(d, "ok.test", "127.0.0.1"), -EINVAL);
  assert_int_equal(tddns_add_a(d, "", "127.0.0.1"), -EINVAL);
  assert_int_equal(tddns_add_a(d, "a..b", "127.0.0.1"), -EINVAL);
  assert_int_equal(tddns_set_behavior(d, "ok.test", (tddns_behavior_t)99),
                   -EINVAL);
  tddns_stop(d);
  tddns_stop(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_support_server_http_serves_default_response),
      cmocka_unit_test(test_support_server_http_status_headers_and_date_offset),
      cmocka_unit_test(test_support_server_http_without_date),
      cmocka_unit_test(test_support_server_silent_times_out_handshake),
      cmocka_unit_test(test_support_server_close_ends_handshake),
      cmocka_unit_test(test_support_server_reset_sends_rst),
      cmocka_unit_test(test_support_server_garbage_is_not_tls),
      cmocka_unit_test(test_support_server_alert_default_handshake_failure),
      cmocka_unit_test(test_support_server_alert_configured_number),
      cmocka_unit_test(test_support_server_handshake_then_silent),
      cmocka_unit_test(test_support_server_raw_response_verbatim),
      cmocka_unit_test(test_support_server_raw_response_huge),
      cmocka_unit_test(test_support_server_raw_response_drips),
      cmocka_unit_test(test_support_server_no_accept_connect_times_out),
      cmocka_unit_test(test_support_server_stop_is_prompt_with_client_attached),
      cmocka_unit_test(test_support_server_conn_timeout_closes_idle_client),
      cmocka_unit_test(test_support_server_max_connections_then_refused),
      cmocka_unit_test(test_support_server_serves_many_connections),
      cmocka_unit_test(test_support_server_ipv6),
      cmocka_unit_test(test_support_priority_tls10_only),
      cmocka_unit_test(test_support_priority_tls12_only),
      cmocka_unit_test(test_support_priority_tls13_only),
      cmocka_unit_test(test_support_priority_tls13_only_refuses_tls12_client),
      cmocka_unit_test(test_support_priority_tls10_only_refuses_modern_client),
      cmocka_unit_test(test_support_priority_cipher_mismatch),
      cmocka_unit_test(test_support_priority_hrr),
      cmocka_unit_test(test_support_server_session_tickets),
      cmocka_unit_test(test_support_server_alpn),
      cmocka_unit_test(test_support_server_ocsp_staple_served_verbatim),
      cmocka_unit_test(test_support_server_start_rejects_bad_config),
      cmocka_unit_test(test_support_dns_a_and_aaaa_answers),
      cmocka_unit_test(test_support_dns_several_addresses),
      cmocka_unit_test(test_support_dns_nxdomain),
      cmocka_unit_test(test_support_dns_servfail),
      cmocka_unit_test(test_support_dns_refused),
      cmocka_unit_test(test_support_dns_servfail_refused_with_nocheckresp),
      cmocka_unit_test(test_support_dns_nodata),
      cmocka_unit_test(test_support_dns_drop_times_out),
      cmocka_unit_test(test_support_dns_wrong_id_times_out),
      cmocka_unit_test(test_support_dns_truncated_retries_over_tcp),
      cmocka_unit_test(test_support_dns_truncated_always),
      cmocka_unit_test(test_support_dns_malformed),
      cmocka_unit_test(test_support_dns_cname_loop),
      cmocka_unit_test(test_support_dns_300_addresses_over_tcp),
      cmocka_unit_test(test_support_dns_wire_format),
      cmocka_unit_test(test_support_dns_rejects_bad_input),
  };
  return td_run_tests(tests, group_setup, group_teardown);
}
