/* test_hostile_server.c: servers that misbehave on purpose. Each case runs
 * one check against a loopback server built to fail in one way, and asserts
 * the failing phase, the exact cause, a message that says what happened,
 * valid JSON, and the time it took: every check must end within its
 * deadline (connect timeout or max time) x 1.1 + 100 ms, and a timeout must
 * not fire early. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include "tdtest.h"
#include "hostile.h"

/* Checks localhost against a tdserver started from cfg and asserts e on
 * the outcome; the server is stopped. keep NULL: the run is freed; else
 * it is left in *keep for more assertions (hrun_free it). */
static void run_mode(tdserver_config_t *cfg, int cto_ms, int max_ms,
                     const expect_t *e, hrun_t *keep) {
  tdserver_t *s = tt_server_cfg(cfg);
  hrun_t h;
  hrun_local(tdserver_port(s), NULL, cto_ms, max_ms, &h);
  tdserver_stop(s);
  expect(&h, e);
  if (keep) *keep = h;
  else hrun_free(&h);
}

/* ---- the handshake ------------------------------------------------------ */

static void test_hostile_server_silent_after_accept(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_SILENT, NULL);
  expect_t e = {"silent after accept", TLSDIAG_PHASE_TLS,
                TLSDIAG_STATUS_TIMEOUT, TLSDIAG_CAUSE_TLS_TIMEOUT,
                "accepted TCP but did not complete the TLS handshake in", 700,
                1};
  run_mode(&cfg, 700, 5000, &e, NULL);
}

static void test_hostile_server_closes_after_accept(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_CLOSE, NULL);
  expect_t e = {"closes after accept", TLSDIAG_PHASE_TLS,
                TLSDIAG_STATUS_FAILED, TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED,
                "closed the connection during the handshake, at every TLS "
                "version",
                2000, 0};
  run_mode(&cfg, 2000, 5000, &e, NULL);
}

static void test_hostile_server_garbage_instead_of_server_hello(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_GARBAGE, NULL);
  expect_t e = {"garbage for a hello", TLSDIAG_PHASE_TLS,
                TLSDIAG_STATUS_FAILED, TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR,
                "does not answer in TLS", 2000, 0};
  run_mode(&cfg, 2000, 5000, &e, NULL);
}

static void test_hostile_server_fatal_alert(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_ALERT, NULL);
  cfg.alert = 80; /* internal_error */
  expect_t e = {"fatal alert", TLSDIAG_PHASE_TLS, TLSDIAG_STATUS_FAILED,
                TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE,
                "aborted the handshake with alert internal_error", 2000, 0};
  run_mode(&cfg, 2000, 5000, &e, NULL);
}

static void test_hostile_server_reset_mid_handshake(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_RESET, NULL);
  expect_t e = {"RST mid-handshake", TLSDIAG_PHASE_TLS,
                TLSDIAG_STATUS_FAILED, TLSDIAG_CAUSE_TLS_CONNECTION_CLOSED,
                "reset the connection (RST) during the TLS handshake", 2000, 0};
  run_mode(&cfg, 2000, 5000, &e, NULL);
}

/* A raw server that reads the ClientHello, sends the first 20 bytes of a
 * 122-byte ServerHello record, and then stalls: the client is stuck in the
 * middle of a record, in the middle of the handshake. */
typedef struct {
  int lfd;
  int stop[2];
  pthread_t th;
  uint16_t port;
  unsigned accepted;
} stall_t;

/* Waits for fd or the stop pipe: 1 fd ready, 0 timeout, -1 stop. */
static int stall_wait(stall_t *s, int fd, int ms) {
  struct pollfd p[2] = {{s->stop[0], POLLIN, 0}, {fd, POLLIN, 0}};
  int rc = poll(p, 2, ms);
  if (rc < 0) return errno == EINTR ? 0 : -1;
  if (p[0].revents) return -1;
  return p[1].revents ? 1 : 0;
}

static void *stall_main(void *arg) {
  stall_t *s = arg;
  int64_t give_up = td_mono_us() + (int64_t)(td_upper_ms(20000) * 1000.0);
  while (td_mono_us() < give_up) {
    int w = stall_wait(s, s->lfd, 200);
    if (w < 0) break;
    if (w == 0) continue; /* never block in accept() */
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0) continue;
    s->accepted++;
    /* The ClientHello: a record header, then its body. */
    unsigned char buf[16384 + 5];
    size_t have = 0, want = 5;
    while (have < want && stall_wait(s, fd, 2000) > 0) {
      ssize_t n = recv(fd, buf + have, want - have, 0);
      if (n <= 0) break;
      have += (size_t)n;
      if (have == 5) want = 5 + (((size_t)buf[3] << 8) | buf[4]);
      if (want > sizeof(buf)) break;
    }
    static const unsigned char partial[20] = {
        0x16, 0x03, 0x03, 0x00, 0x7a,       /* handshake record, 122 bytes */
        0x02, 0x00, 0x00, 0x76,             /* ServerHello, 118 bytes */
        0x03, 0x03,                         /* legacy_version */
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99}; /* random.. */
    if (send(fd, partial, sizeof(partial), MSG_NOSIGNAL) < 0) {
      close(fd);
      continue;
    }
    /* Stall: drop input until the client gives up or we are stopped. */
    int r;
    while ((r = stall_wait(s, fd, 1000)) >= 0 && td_mono_us() < give_up) {
      if (r == 0) continue;
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
    }
    close(fd);
    if (r < 0) break;
  }
  return NULL;
}

static void stall_start(stall_t *s) {
  memset(s, 0, sizeof(*s));
  s->lfd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(s->lfd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(s->lfd, 8), 0);
  socklen_t l = sizeof(sa);
  assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &l), 0);
  s->port = ntohs(sa.sin_port);
  assert_int_equal(pipe(s->stop), 0);
  assert_int_equal(pthread_create(&s->th, NULL, stall_main, s), 0);
}

static void stall_stop(stall_t *s) {
  assert_int_equal(write(s->stop[1], "x", 1), 1);
  pthread_join(s->th, NULL);
  close(s->lfd);
  close(s->stop[0]);
  close(s->stop[1]);
}

static void test_hostile_server_stalls_mid_handshake(void **state) {
  (void)state;
  stall_t s;
  stall_start(&s);
  hrun_t h;
  hrun_local(s.port, NULL, 700, 5000, &h);
  expect_t e = {"stall mid-handshake", TLSDIAG_PHASE_TLS,
                TLSDIAG_STATUS_TIMEOUT, TLSDIAG_CAUSE_TLS_TIMEOUT,
                "accepted TCP but did not complete the TLS handshake in", 700,
                1};
  expect(&h, &e);
  hrun_free(&h);
  stall_stop(&s);
  /* One connection: a handshake timeout is not probed further. */
  assert_int_equal(s.accepted, 1);
}

/* ---- HTTP after a good handshake ---------------------------------------- */

static void test_hostile_server_never_answers_http(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HANDSHAKE_THEN_SILENT, "valid");
  expect_t e = {"silent after TLS", TLSDIAG_PHASE_HTTP,
                TLSDIAG_STATUS_TIMEOUT, TLSDIAG_CAUSE_HTTP_TIMEOUT,
                "no complete response in time", 900, 1};
  run_mode(&cfg, 2000, 900, &e, NULL);
}

static void test_hostile_server_drips_one_byte_a_second(void **state) {
  (void)state;
  static const char resp[] = "HTTP/1.1 200 OK\r\nServer: drip\r\n\r\n";
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_RAW_RESPONSE, "valid");
  cfg.raw_response = resp;
  cfg.raw_len = sizeof(resp) - 1;
  cfg.drip_ms = 1000;
  cfg.drip_bytes = 1;
  expect_t e = {"drip 1 byte/s", TLSDIAG_PHASE_HTTP, TLSDIAG_STATUS_TIMEOUT,
                TLSDIAG_CAUSE_HTTP_TIMEOUT, "no complete response in time",
                2500, 1};
  run_mode(&cfg, 2000, 2500, &e, NULL);
}

/* A raw response of head + n copies of unit (+ tail), built in memory. */
static char *repeat(const char *head, const char *unit, size_t n,
                    const char *tail, size_t *len) {
  td_buf_t b;
  td_buf_init(&b);
  td_buf_puts(&b, head);
  size_t ul = strlen(unit);
  for (size_t i = 0; i < n; i++) td_buf_append(&b, unit, ul);
  td_buf_puts(&b, tail);
  return td_buf_steal(&b, len);
}

/* run_mode of a TDS_RAW_RESPONSE server sending raw[0..len), which fails
 * the HTTP phase with cause and message within 5 s; keep as run_mode's. */
static void run_raw(const char *name, const char *raw, size_t len,
                    tlsdiag_cause_t cause, const char *message, hrun_t *keep) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_RAW_RESPONSE, "valid");
  cfg.raw_response = raw;
  cfg.raw_len = len;
  expect_t e = {name, TLSDIAG_PHASE_HTTP, TLSDIAG_STATUS_FAILED, cause,
                message, 5000, 0};
  run_mode(&cfg, 2000, 5000, &e, keep);
}

static void test_hostile_server_one_mib_header_line(void **state) {
  (void)state;
  size_t len = 0;
  char *raw = repeat("HTTP/1.1 200 OK\r\nX-Big: ", "aaaaaaaaaaaaaaaa",
                     65536, "\r\n\r\n", &len); /* 1 MiB value */
  assert_true(len > 1024 * 1024);
  run_raw("1 MiB header line", raw, len, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
          "response head larger than 64 KiB", NULL);
  free(raw);
}

static void test_hostile_server_ten_thousand_headers(void **state) {
  (void)state;
  size_t len = 0;
  char *raw = repeat("HTTP/1.1 200 OK\r\n", "X-H: 1\r\n", 10000, "\r\n", &len);
  run_raw("10,000 headers", raw, len, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
          "more than 200 header fields", NULL);
  free(raw);
}

/* Header lines keep coming (fewer than the field limit, each under 1 KiB)
 * and the empty line never does: the size limit ends it. */
static void test_hostile_server_head_never_ends(void **state) {
  (void)state;
  char unit[801];
  memcpy(unit, "X-Pad: ", 7);
  memset(unit + 7, 'p', sizeof(unit) - 10);
  memcpy(unit + sizeof(unit) - 3, "\r\n", 3);
  size_t len = 0;
  char *raw = repeat("HTTP/1.1 200 OK\r\n", unit, 150, "", &len);
  assert_true(len > 100 * 1024);
  run_raw("no header end", raw, len, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
          "response head larger than 64 KiB", NULL);
  free(raw);
}

/* The head stops half-way and the server closes. */
static void test_hostile_server_head_cut_by_close(void **state) {
  (void)state;
  static const char raw[] = "HTTP/1.1 200 OK\r\nServer: cut\r\nX-Half";
  run_raw("head cut by close", raw, sizeof(raw) - 1,
          TLSDIAG_CAUSE_HTTP_MALFORMED,
          "connection closed in the middle of the response head", NULL);
}

/* Binary bytes instead of an HTTP response (a TLS alert record, a NUL, a
 * terminal escape, a backslash): the first line is the evidence, every
 * byte of it visible and none able to drive a terminal. */
static void test_hostile_server_binary_instead_of_http(void **state) {
  (void)state;
  static const char raw[] = "\x15\x03\x03\x00\x02\x02\x28\x1b[2J\\\r\nrest";
  hrun_t h;
  run_raw("binary for HTTP", raw, sizeof(raw) - 1,
          TLSDIAG_CAUSE_HTTP_MALFORMED, "status line is not HTTP/1.x", &h);
  const char *want = "\\x15\\x03\\x03\\x00\\x02\\x02(\\x1b[2J\\\\";
  assert_string_equal(tt_ev(h.r, TLSDIAG_CAUSE_HTTP_MALFORMED, "received"),
                      want);
  assert_string_equal(tt_jstr(h.j, "findings.0.evidence.received"), want);
  hrun_free(&h);
}

/* ---- certificates ------------------------------------------------------- */

/* tdserver loads its chain with gnutls_certificate_set_x509_key_mem2, which
 * keeps at most 16 certificates; to put 50 on the wire this test serves
 * them itself, from credentials set with gnutls_certificate_set_x509_key
 * (which keeps them all): one connection, a handshake, one response. */
typedef struct {
  int lfd;
  uint16_t port;
  pthread_t th;
  gnutls_certificate_credentials_t cred;
  int handshake_rc;
  unsigned sent; /* certificates in the credentials */
} chain_server_t;

static void *chain_server_main(void *arg) {
  chain_server_t *cs = arg;
  cs->handshake_rc = 1;
  struct pollfd p = {cs->lfd, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) return NULL;
  int fd = accept(cs->lfd, NULL, NULL);
  if (fd < 0) return NULL;
  struct timeval tv = {5, 0}; /* every blocking call is bounded */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  gnutls_session_t ss;
  if (gnutls_init(&ss, GNUTLS_SERVER | GNUTLS_NO_TICKETS) == 0) {
    gnutls_set_default_priority(ss);
    gnutls_credentials_set(ss, GNUTLS_CRD_CERTIFICATE, cs->cred);
    gnutls_transport_set_int(ss, fd);
    int rc;
    do {
      rc = gnutls_handshake(ss);
    } while (rc < 0 && !gnutls_error_is_fatal(rc));
    cs->handshake_rc = rc;
    if (rc == 0) {
      char req[4096];
      size_t have = 0;
      while (have < sizeof(req) - 1) {
        ssize_t n = gnutls_record_recv(ss, req + have, sizeof(req) - 1 - have);
        if (n <= 0) break;
        have += (size_t)n;
        req[have] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
      }
      static const char resp[] =
          "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      gnutls_record_send(ss, resp, sizeof(resp) - 1);
      gnutls_bye(ss, GNUTLS_SHUT_WR);
    }
    gnutls_deinit(ss);
  }
  close(fd);
  return NULL;
}

static void chain_server_start(chain_server_t *cs, const char *chain_pem,
                               const char *key_pem) {
  memset(cs, 0, sizeof(*cs));
  gnutls_datum_t cd = {(unsigned char *)chain_pem, (unsigned)strlen(chain_pem)};
  gnutls_datum_t kd = {(unsigned char *)key_pem, (unsigned)strlen(key_pem)};
  gnutls_x509_crt_t *list = NULL;
  unsigned n = 0;
  HP_TRY(gnutls_x509_crt_list_import2(&list, &n, &cd, GNUTLS_X509_FMT_PEM, 0));
  gnutls_x509_privkey_t key;
  HP_TRY(gnutls_x509_privkey_init(&key));
  HP_TRY(gnutls_x509_privkey_import(key, &kd, GNUTLS_X509_FMT_PEM));
  HP_TRY(gnutls_certificate_allocate_credentials(&cs->cred));
  HP_TRY(gnutls_certificate_set_x509_key(cs->cred, list, (int)n, key));
  gnutls_x509_crt_t *kept = NULL;
  unsigned nkept = 0;
  HP_TRY(gnutls_certificate_get_x509_crt(cs->cred, 0, &kept, &nkept));
  cs->sent = nkept;
  for (unsigned i = 0; i < nkept; i++) gnutls_x509_crt_deinit(kept[i]);
  gnutls_free(kept);
  for (unsigned i = 0; i < n; i++) gnutls_x509_crt_deinit(list[i]);
  gnutls_free(list);
  gnutls_x509_privkey_deinit(key);
  cs->lfd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(cs->lfd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(cs->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(cs->lfd, 4), 0);
  socklen_t l = sizeof(sa);
  assert_int_equal(getsockname(cs->lfd, (struct sockaddr *)&sa, &l), 0);
  cs->port = ntohs(sa.sin_port);
  assert_int_equal(pthread_create(&cs->th, NULL, chain_server_main, cs), 0);
}

static void chain_server_stop(chain_server_t *cs) {
  pthread_join(cs->th, NULL);
  close(cs->lfd);
  gnutls_certificate_free_credentials(cs->cred);
}

/* leaf + 49 intermediates under a root of our own, which is trusted. */
static void test_hostile_server_chain_of_fifty(void **state) {
  (void)state;
  enum { NINT = 49 };
  hp_cert_t root, inter[NINT], leaf;
  hp_make_ca("hostile chain root", NULL, &root);
  for (int i = 0; i < NINT; i++) {
    char cn[64];
    snprintf(cn, sizeof(cn), "hostile intermediate %02d", i + 1);
    hp_make_ca(cn, i ? &inter[i - 1] : &root, &inter[i]);
  }
  hp_sans_t sans;
  hp_sans_init(&sans);
  hp_sans_dns(&sans, "localhost", 9);
  hp_spec_t sp;
  memset(&sp, 0, sizeof(sp));
  sp.cn = "localhost";
  sp.cn_len = 9;
  sp.san_der = hp_sans_der(&sans, &sp.san_len);
  hp_make(&sp, &inter[NINT - 1], &leaf);
  td_buf_t chain;
  td_buf_init(&chain);
  td_buf_puts(&chain, leaf.pem);
  for (int i = NINT - 1; i >= 0; i--) td_buf_puts(&chain, inter[i].pem);
  char *chain_pem = td_buf_steal(&chain, NULL);
  char rootfile[160];
  snprintf(rootfile, sizeof(rootfile), "%s/hostile-chain-root.pem", tt_dir);
  tt_write_text(rootfile, root.pem);

  chain_server_t cs;
  chain_server_start(&cs, chain_pem, leaf.key_pem);
  assert_int_equal(cs.sent, 50);
  hrun_t h;
  hrun_local(cs.port, rootfile, 3000, 5000, &h);
  chain_server_stop(&cs);
  assert_int_equal(cs.handshake_rc, 0);
  const char *msg = tlsdiag_result_finding_count(h.r)
                        ? tlsdiag_result_finding_message(h.r, 0)
                        : "";
  print_message("hostile %-24s cause=%s %.1f ms (deadline 5000 ms), %zu "
                "certificates kept: \"%s\"\n",
                "chain of 50", tlsdiag_cause_name(tlsdiag_result_cause(h.r)),
                h.ms, tlsdiag_result_chain_length(h.r), msg);
  /* The handshake completes; the whole chain is in the report; GnuTLS
   * verifies at most 16 certificates, so it is never trusted. */
  assert_int_equal(tlsdiag_result_phase_status(h.r, TLSDIAG_PHASE_TLS),
                   TLSDIAG_STATUS_OK);
  assert_int_equal(tlsdiag_result_chain_length(h.r), 50);
  assert_int_equal(json_array_size(tt_jget(h.j, "chain")), 50);
  assert_string_equal(tt_jstr(h.j, "chain.49.subject"),
                      "O=tlsdiag hostile test,CN=hostile intermediate 01");
  assert_int_equal(tlsdiag_result_cause(h.r), TLSDIAG_CAUSE_CERT_INVALID);
  assert_non_null(strstr(msg, "the server sent 50 certificates; a chain "
                              "longer than 16 is not verified"));
  assert_string_equal(tt_jstr(h.j, "cause"), "cert_invalid");
  assert_true(h.ms < td_upper_ms(5000 * 1.1 + SLACK_MS));
  hrun_free(&h);
  free(chain_pem);
  hp_sans_free(&sans);
  hp_free(&leaf);
  for (int i = 0; i < NINT; i++) hp_free(&inter[i]);
  hp_free(&root);
}

/* A leaf with more than 64 KiB of SAN entries; the checked name is the
 * very last entry. */
static void test_hostile_server_huge_san_list(void **state) {
  (void)state;
  hp_cert_t root, leaf;
  hp_make_ca("hostile san root", NULL, &root);
  hp_sans_t sans;
  hp_sans_init(&sans);
  size_t n = 0;
  for (int i = 0; sans.names.len < 64 * 1024; i++, n++) {
    char name[64];
    int k = snprintf(name, sizeof(name), "n%05d.many-sans.tlsdiag.test", i);
    hp_sans_dns(&sans, name, (size_t)k);
  }
  hp_sans_dns(&sans, "localhost", 9);
  n++;
  hp_spec_t sp;
  memset(&sp, 0, sizeof(sp));
  sp.cn = "many sans";
  sp.cn_len = 9;
  sp.san_der = hp_sans_der(&sans, &sp.san_len);
  assert_true(sp.san_len > 64 * 1024);
  hp_make(&sp, &root, &leaf);
  char rootfile[160];
  snprintf(rootfile, sizeof(rootfile), "%s/hostile-san-root.pem", tt_dir);
  tt_write_text(rootfile, root.pem);

  tdserver_t *s = hp_leaf_server(&leaf);
  hrun_t h;
  hrun_local(tdserver_port(s), rootfile, 0, 5000, &h);
  print_message("hostile %-24s cause=%s %.1f ms, %zu SANs, %zu bytes\n",
                "64 KiB SAN list",
                tlsdiag_cause_name(tlsdiag_result_cause(h.r)), h.ms, n,
                sp.san_len);
  /* The name matches (GnuTLS looks at every entry); the report keeps the
   * first 1000 entries and counts the rest. */
  assert_int_equal(tlsdiag_result_cause(h.r), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_chain_length(h.r), 1);
  json_t *js = tt_jget(h.j, "chain.0.sans");
  assert_true(json_is_array(js));
  assert_int_equal(json_array_size(js), 1000);
  const char *text = tlsdiag_result_cert_field(h.r, 0, "sans");
  assert_non_null(text);
  char more[64];
  snprintf(more, sizeof(more), ", ... (%zu more)", n - 1000);
  assert_non_null(strstr(text, more));
  assert_true(h.ms < td_upper_ms(5000 * 1.1 + SLACK_MS));
  hrun_free(&h);
  tdserver_stop(s);
  hp_sans_free(&sans);
  hp_free(&leaf);
  hp_free(&root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hostile_server_silent_after_accept),
      cmocka_unit_test(test_hostile_server_closes_after_accept),
      cmocka_unit_test(test_hostile_server_garbage_instead_of_server_hello),
      cmocka_unit_test(test_hostile_server_fatal_alert),
      cmocka_unit_test(test_hostile_server_reset_mid_handshake),
      cmocka_unit_test(test_hostile_server_stalls_mid_handshake),
      cmocka_unit_test(test_hostile_server_never_answers_http),
      cmocka_unit_test(test_hostile_server_drips_one_byte_a_second),
      cmocka_unit_test(test_hostile_server_one_mib_header_line),
      cmocka_unit_test(test_hostile_server_ten_thousand_headers),
      cmocka_unit_test(test_hostile_server_head_never_ends),
      cmocka_unit_test(test_hostile_server_head_cut_by_close),
      cmocka_unit_test(test_hostile_server_binary_instead_of_http),
      cmocka_unit_test(test_hostile_server_chain_of_fifty),
      cmocka_unit_test(test_hostile_server_huge_san_list),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
