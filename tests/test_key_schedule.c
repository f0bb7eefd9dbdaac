/* test_key_schedule.c: the key schedule derived from the connection's own
 * secrets and proven on its records: TLS 1.3 (full, HelloRetryRequest,
 * resumption, 0-RTT), TLS 1.2, a corrupted record copy, and no secret or
 * key value in any output. */
#include "tdtest.h"

#include <gnutls/crypto.h>

static const char *const rows13[] = {
    "client_handshake_traffic_secret",
    "client_handshake_write_key",
    "client_handshake_write_iv",
    "client_finished_key",
    "server_handshake_traffic_secret",
    "server_handshake_write_key",
    "server_handshake_write_iv",
    "server_finished_key",
    "client_application_traffic_secret_0",
    "client_application_write_key",
    "client_application_write_iv",
    "server_application_traffic_secret_0",
    "server_application_write_key",
    "server_application_write_iv"};
#define NROWS13 (sizeof(rows13) / sizeof(rows13[0]))

static const char *const rows12[] = {
    "master_secret",    "key_block",        "client_write_key",
    "client_write_iv",  "server_write_key", "server_write_iv",
    "client_verify_data", "server_verify_data"};
#define NROWS12 (sizeof(rows12) / sizeof(rows12[0]))

/* A check against a tdserver with the certificate "valid": priority NULL
 * for GnuTLS's default, tickets issued when asked, 0-RTT accepted when
 * the check sends it. */
static tlsdiag_result_t *run(const char *priority, int tickets, unsigned flags,
                             const char *keylog, tdserver_t **srv) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = priority;
  cfg.session_tickets = tickets;
  cfg.early_data = (flags & TLSDIAG_F_EARLY_DATA) != 0;
  *srv = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(*srv));
  t.o.flags |= flags;
  t.o.keylog_file = keylog;
  return tt_check("localhost", &t.o);
}

static void done(json_t *j, tlsdiag_result_t *r, tdserver_t *s) {
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

static json_t *row_named(json_t *rows, const char *name) {
  size_t i;
  json_t *v;
  json_array_foreach(rows, i, v) {
    if (!strcmp(json_string_value(json_object_get(v, "name")), name)) return v;
  }
  return NULL;
}

/* Every row named, in order, derived, fingerprinted and proven. */
static void assert_all_proven(json_t *rows, const char *const *names,
                              size_t n) {
  assert_true(json_is_array(rows));
  if (json_array_size(rows) != n)
    fail_msg("%zu rows, expected %zu", json_array_size(rows), n);
  for (size_t i = 0; i < n; i++) {
    json_t *v = json_array_get(rows, i);
    const char *name = json_string_value(json_object_get(v, "name"));
    if (strcmp(name, names[i]))
      fail_msg("row %zu is %s, expected %s", i, name, names[i]);
    if (!json_is_true(json_object_get(v, "ok")))
      fail_msg("%s not proven: %s", name,
               json_string_value(json_object_get(v, "proven_by")));
    const char *fp = json_string_value(json_object_get(v, "fingerprint"));
    assert_non_null(fp);
    assert_int_equal(strlen(fp), 8);
    assert_int_equal(strspn(fp, "0123456789abcdef"), 8);
    assert_true(json_integer_value(json_object_get(v, "length")) > 0);
    assert_non_null(json_string_value(json_object_get(v, "derived_from")));
  }
}

static const char *proven_by(json_t *rows, const char *name) {
  json_t *v = row_named(rows, name);
  if (!v) fail_msg("no row %s", name);
  return json_string_value(json_object_get(v, "proven_by"));
}

/* These rows (among others) proven. */
static void assert_proven(json_t *rows, const char *const *names, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!json_is_true(json_object_get(row_named(rows, names[i]), "ok")))
      fail_msg("%s: %s", names[i], proven_by(rows, names[i]));
}

/* TLS 1.3, full handshake: the handshake keys open EncryptedExtensions ..
 * Finished and the client Finished, both Finished verify, the application
 * keys open the HTTP request and response. */
static void test_key_schedule_tls13_full(void **state) {
  (void)state;
  tdserver_t *s;
  tlsdiag_result_t *r = run(TDS_PRIORITY_TLS13_ONLY, 0, 0, NULL, &s);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH), -1);
  json_t *j = tt_json(r);
  json_t *rows = tt_jget(j, "key_schedule.rows");
  assert_all_proven(rows, rows13, NROWS13);
  assert_true(json_is_null(tt_jget(j, "key_schedule.resumed_rows")));
  assert_non_null(strstr(proven_by(rows, "server_handshake_write_key"),
                         "EncryptedExtensions, Certificate, CertificateVerify, "
                         "Finished"));
  assert_non_null(strstr(proven_by(rows, "client_handshake_write_key"),
                         "c2s record"));
  assert_non_null(strstr(proven_by(rows, "server_finished_key"),
                         "HMAC(finished_key, SHA"));
  assert_non_null(strstr(proven_by(rows, "server_finished_key"),
                         "(ClientHello, ServerHello, EncryptedExtensions, "
                         "Certificate, CertificateVerify))"));
  assert_non_null(strstr(proven_by(rows, "client_application_write_key"),
                         "HTTP request ("));
  assert_non_null(strstr(proven_by(rows, "server_application_write_key"),
                         "HTTP response ("));
  json_t *k = row_named(rows, "server_handshake_write_key");
  assert_string_equal(json_string_value(json_object_get(k, "derived_from")),
                      "server_handshake_traffic_secret");
  assert_string_equal(json_string_value(json_object_get(k, "label")), "key");
  assert_non_null(tt_jstr(j, "key_schedule.not_derivable"));
  /* --explain marks each row */
  char *txt = NULL;
  tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, TLSDIAG_FMT_EXPLAIN, &txt, NULL);
  assert_non_null(strstr(txt, "\xe2\x9c\x93 server_handshake_write_key"));
  assert_null(strstr(txt, "\xe2\x9c\x97"));
  tlsdiag_free(txt);
  done(j, r, s);
}

/* A HelloRetryRequest: the server Finished verifies only over the
 * transcript with ClientHello1 replaced by its message_hash. */
static void test_key_schedule_hello_retry(void **state) {
  (void)state;
  tdserver_t *s;
  tlsdiag_result_t *r = run(TDS_PRIORITY_HRR, 0, 0, NULL, &s);
  assert_true(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_HELLO_RETRY) >= 0);
  json_t *j = tt_json(r);
  json_t *rows = tt_jget(j, "key_schedule.rows");
  assert_all_proven(rows, rows13, NROWS13);
  assert_non_null(strstr(proven_by(rows, "server_finished_key"),
                         "(message_hash(ClientHello1), HelloRetryRequest, "
                         "ClientHello, ServerHello,"));
  done(j, r, s);
}

/* Resumption: the second connection's keys on the PSK branch, proven the
 * same way (no Certificate in its transcript). */
static void test_key_schedule_resumption(void **state) {
  (void)state;
  tdserver_t *s;
  tlsdiag_result_t *r = run(NULL, 1, TLSDIAG_F_RESUME, NULL, &s);
  json_t *j = tt_json(r);
  assert_true(json_is_true(tt_jget(j, "anatomy.resumption.resumed")));
  assert_all_proven(tt_jget(j, "key_schedule.rows"), rows13, NROWS13);
  json_t *rr = tt_jget(j, "key_schedule.resumed_rows");
  /* no request on the resumed connection: the client's application key
   * opens its close_notify; nothing from the server is read after its
   * Finished, so the server's application key stays unproven (null) */
  const char *hs[] = {"client_handshake_write_key", "server_handshake_write_key",
                      "client_finished_key", "server_finished_key",
                      "client_application_write_key"};
  assert_proven(rr, hs, sizeof(hs) / sizeof(hs[0]));
  assert_non_null(strstr(proven_by(rr, "server_finished_key"),
                         "(ClientHello, ServerHello, EncryptedExtensions))"));
  assert_non_null(strstr(proven_by(rr, "client_application_write_key"), "alert"));
  assert_true(json_is_null(json_object_get(
      row_named(rr, "server_application_write_key"), "ok")));
  assert_string_equal(proven_by(rr, "server_application_write_key"),
                      "not proven: no server application record was captured");
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH), -1);
  char *txt = NULL;
  tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, TLSDIAG_FMT_EXPLAIN, &txt, NULL);
  if (getenv("TD_KS_SHOW")) fprintf(stderr, "%s\n", txt);
  assert_non_null(strstr(txt, "the resumed connection (psk_dhe_ke):"));
  tlsdiag_free(txt);
  assert_non_null(strstr(json_string_value(json_object_get(
                             row_named(rr, "server_handshake_traffic_secret"),
                             "derived_from")),
                         "PSK branch"));
  done(j, r, s);
}

/* 0-RTT: the early traffic secret's keys open the early data record. */
static void test_key_schedule_early_data(void **state) {
  (void)state;
  tdserver_t *s;
  tlsdiag_result_t *r = run(NULL, 1, TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA, NULL, &s);
  json_t *j = tt_json(r);
  assert_true(json_is_true(tt_jget(j, "anatomy.resumption.early_data.accepted")));
  json_t *rr = tt_jget(j, "key_schedule.resumed_rows");
  const char *names[] = {"client_early_traffic_secret", "client_early_write_key",
                         "client_early_write_iv", "client_handshake_write_key",
                         "client_finished_key"};
  assert_proven(rr, names, sizeof(names) / sizeof(names[0]));
  assert_non_null(strstr(proven_by(rr, "client_early_write_key"),
                         "early data: HTTP request ("));
  assert_non_null(strstr(proven_by(rr, "client_early_write_key"),
                         "EndOfEarlyData"));
  done(j, r, s);

  /* Rejected 0-RTT: the early record still opens under the early key (it
   * is the client's own); no EndOfEarlyData, the client's next record is
   * under its handshake key. */
  {
    tdserver_config_t cfg;
    tt_server_config(&cfg, TDS_HTTP, "valid");
    cfg.session_tickets = 1; /* no early_data: 0-RTT is refused */
    s = tt_server_cfg(&cfg);
    tt_opts_t t;
    tt_opts(&t, "localhost", tdserver_port(s));
    t.o.flags |= TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA;
    r = tt_check("localhost", &t.o);
  }
  j = tt_json(r);
  assert_true(json_is_false(tt_jget(j, "anatomy.resumption.early_data.accepted")));
  rr = tt_jget(j, "key_schedule.resumed_rows");
  assert_proven(rr, names, sizeof(names) / sizeof(names[0]));
  assert_null(strstr(proven_by(rr, "client_early_write_key"), "EndOfEarlyData"));
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH), -1);
  done(j, r, s);
}

/* TLS 1.2: the key block cut from the key log's master secret opens the
 * Finished and HTTP records; both verify_data match. */
static void test_key_schedule_tls12(void **state) {
  (void)state;
  tdserver_t *s;
  tlsdiag_result_t *r = run(TDS_PRIORITY_TLS12_ONLY, 0, 0, NULL, &s);
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "tls.version"), "TLS1.2");
  json_t *rows = tt_jget(j, "key_schedule.rows");
  assert_all_proven(rows, rows12, NROWS12);
  assert_non_null(strstr(proven_by(rows, "server_verify_data"),
                         "PRF(master_secret, SHA"));
  assert_non_null(strstr(proven_by(rows, "client_write_key"), "HTTP request ("));
  assert_non_null(strstr(tt_jstr(j, "key_schedule.not_derivable"),
                         "not the pre-master secret"));
  done(j, r, s);

  /* With a session ticket (RFC 5077): the NewSessionTicket is part of the
   * TLS 1.2 handshake transcript (OpenSSL and nginx send one). */
  r = run(TDS_PRIORITY_TLS12_ONLY, 1, TLSDIAG_F_RESUME, NULL, &s);
  j = tt_json(r);
  assert_true(json_is_true(tt_jget(j, "anatomy.resumption.resumed")));
  rows = tt_jget(j, "key_schedule.rows");
  assert_all_proven(rows, rows12, NROWS12);
  assert_non_null(strstr(proven_by(rows, "server_verify_data"),
                         "CertificateStatus, ServerKeyExchange, ServerHelloDone, "
                         "ClientKeyExchange, client Finished, NewSessionTicket))"));
  /* GnuTLS logs no secret for a resumed TLS 1.2 session: said, not
   * guessed */
  assert_true(json_is_null(tt_jget(j, "key_schedule.resumed_rows")));
  assert_non_null(strstr(tt_jstr(j, "key_schedule.resumed_not_derivable"),
                         "a resumed TLS 1.2 session takes it from the ticket"));
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH), -1);
  done(j, r, s);
}

/* One byte of the copy of a captured record flipped (the test hook; GnuTLS
 * read the real bytes, so the check itself succeeds): that record does not
 * open, which is the finding, through the API and the CLI. */
static void test_key_schedule_corrupted_record(void **state) {
  (void)state;
  static const struct {
    const char *hook, *row, *proven_by;
  } cases[] = {
      {"s2c:4", "server_handshake_write_key",
       "s2c record 4 did not open: its AEAD tag does not verify under the "
       "server handshake key and IV"},
      {"c2s:4", "client_application_write_key",
       "c2s record 4 did not open: its AEAD tag does not verify under the "
       "client application key and IV"},
  };
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    setenv("TLSDIAG_TEST_CORRUPT_RECORD", cases[c].hook, 1);
    tdserver_t *s;
    tlsdiag_result_t *r = run(TDS_PRIORITY_TLS13_ONLY, 0, 0, NULL, &s);
    assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH);
    long i = tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH);
    assert_true(i >= 0);
    assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                     TLSDIAG_SEVERITY_ERROR);
    assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "row"),
                        cases[c].row);
    assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "proven_by"),
                        cases[c].proven_by);
    assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "connection"),
                        "first");
    json_t *j = tt_json(r);
    json_t *v = row_named(tt_jget(j, "key_schedule.rows"), cases[c].row);
    assert_true(json_is_false(json_object_get(v, "ok")));
    assert_string_equal(tt_jstr(j, "cause"), "tls_key_schedule_mismatch");
    json_decref(j);
    char *txt = NULL;
    tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, TLSDIAG_FMT_EXPLAIN, &txt, NULL);
    char want[96];
    snprintf(want, sizeof(want), "\xe2\x9c\x97 %s", cases[c].row);
    assert_non_null(strstr(txt, want));
    tlsdiag_free(txt);
    /* the monitoring outputs: CRITICAL, and the cause as a label */
    tlsdiag_result_format(r, TLSDIAG_FORMAT_NAGIOS, 0, &txt, NULL);
    assert_true(strncmp(txt, "CRITICAL", 8) == 0 || strstr(txt, " CRITICAL"));
    assert_non_null(strstr(txt, "tls_key_schedule_mismatch"));
    tlsdiag_free(txt);
    tlsdiag_result_format(r, TLSDIAG_FORMAT_PROMETHEUS, 0, &txt, NULL);
    assert_non_null(strstr(txt, "cause=\"tls_key_schedule_mismatch\""));
    tlsdiag_free(txt);
    tlsdiag_result_free(r);
    /* the CLI: the same cause, exit status 2 */
    char pin[64], target[64];
    snprintf(pin, sizeof(pin), "localhost:%u:127.0.0.1", tdserver_port(s));
    snprintf(target, sizeof(target), "localhost:%u", tdserver_port(s));
    char *out = NULL;
    int rc = tt_cli(&out, "check", "--json", "--cacert", tt_root, "--resolve",
                    pin, target, (char *)NULL);
    assert_int_equal(rc, 2);
    json_t *cj = json_loads(out, 0, NULL);
    assert_non_null(cj);
    assert_string_equal(tt_jstr(cj, "cause"), "tls_key_schedule_mismatch");
    assert_string_equal(tt_jstr(cj, "findings.0.code"), "tls_key_schedule_mismatch");
    assert_string_equal(tt_jstr(cj, "findings.0.severity"), "error");
    assert_string_equal(tt_jstr(cj, "findings.0.evidence.row"), cases[c].row);
    json_decref(cj);
    free(out);
    unsetenv("TLSDIAG_TEST_CORRUPT_RECORD");
    tdserver_stop(s);
  }
}

static void hex(const unsigned char *v, size_t n, char *out, int upper) {
  const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = d[v[i] >> 4];
    out[2 * i + 1] = d[v[i] & 15];
  }
  out[2 * n] = '\0';
}

static void assert_absent(const char *const *outs, size_t nouts,
                          const unsigned char *v, size_t n, const char *what) {
  char h[2 * 64 + 1];
  for (int up = 0; up < 2; up++) {
    hex(v, n, h, up);
    for (size_t i = 0; i < nouts; i++)
      if (strstr(outs[i], h)) fail_msg("%s appears in output %zu", what, i);
  }
}

/* The test's own HKDF-Expand-Label (RFC 8446 7.1), to know the keys. */
static void expand(const unsigned char *sec, size_t n, const char *label,
                   unsigned char *out, size_t len) {
  unsigned char info[64];
  size_t ll = strlen(label);
  info[0] = 0;
  info[1] = (unsigned char)len;
  info[2] = (unsigned char)(6 + ll);
  memcpy(info + 3, "tls13 ", 6);
  memcpy(info + 9, label, ll);
  info[9 + ll] = 0;
  gnutls_datum_t k = {(unsigned char *)sec, (unsigned)n};
  gnutls_datum_t in = {info, (unsigned)(10 + ll)};
  assert_int_equal(gnutls_hkdf_expand(n == 48 ? GNUTLS_MAC_SHA384 : GNUTLS_MAC_SHA256,
                                      &k, &in, out, len), 0);
}

/* Whether some row called name (either connection) has this fingerprint. */
static int has_fingerprint(json_t *j, const char *name, const unsigned char *v,
                           size_t n) {
  unsigned char h[32];
  char fp[9];
  gnutls_hash_fast(GNUTLS_DIG_SHA256, v, n, h);
  hex(h, 4, fp, 0);
  const char *arrs[] = {"key_schedule.rows", "key_schedule.resumed_rows"};
  for (size_t a = 0; a < 2; a++) {
    json_t *rows = tt_jget(j, arrs[a]);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
      if (!strcmp(json_string_value(json_object_get(r, "name")), name) &&
          !strcmp(json_string_value(json_object_get(r, "fingerprint")), fp))
        return 1;
    }
  }
  return 0;
}

/* Scans outs for every secret of the key log at path and for the write
 * keys and IVs the test derives from them itself; checks those keys'
 * fingerprints against the report's rows (an independent derivation). */
static void scan_keylog(const char *path, const char *const *outs, size_t nouts,
                        json_t *j) {
  static const struct {
    const char *label, *key_row, *iv_row;
  } map[] = {
      {"CLIENT_EARLY_TRAFFIC_SECRET", "client_early_write_key", "client_early_write_iv"},
      {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "client_handshake_write_key",
       "client_handshake_write_iv"},
      {"SERVER_HANDSHAKE_TRAFFIC_SECRET", "server_handshake_write_key",
       "server_handshake_write_iv"},
      {"CLIENT_TRAFFIC_SECRET_0", "client_application_write_key",
       "client_application_write_iv"},
      {"SERVER_TRAFFIC_SECRET_0", "server_application_write_key",
       "server_application_write_iv"},
  };
  /* The key length of the suite the report names (RFC 8446 B.4) */
  const char *suite = json_string_value(json_object_get(json_object_get(j, "tls"), "cipher"));
  assert_non_null(suite);
  size_t klen = !strcmp(suite, "TLS_AES_128_GCM_SHA256")   ? 16
                : !strcmp(suite, "TLS_AES_256_GCM_SHA384") ? 32
                                                           : 0;
  if (!klen) fail_msg("unexpected suite %s", suite);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[512];
  int lines = 0, keys = 0;
  while (fgets(line, sizeof(line), f)) {
    char label[64], cr[80], sh[160];
    if (sscanf(line, "%63s %79s %159s", label, cr, sh) != 3) continue;
    unsigned char sec[64];
    size_t n = strlen(sh) / 2;
    assert_true(n <= sizeof(sec));
    for (size_t i = 0; i < n; i++) {
      unsigned x;
      sscanf(sh + 2 * i, "%2x", &x);
      sec[i] = (unsigned char)x;
    }
    assert_absent(outs, nouts, sec, n, label);
    lines++;
    for (size_t m = 0; m < sizeof(map) / sizeof(map[0]); m++) {
      if (strcmp(label, map[m].label)) continue;
      unsigned char key[32], iv[12];
      expand(sec, n, "key", key, klen);
      expand(sec, n, "iv", iv, 12);
      assert_absent(outs, nouts, key, klen, map[m].key_row);
      assert_absent(outs, nouts, iv, 12, map[m].iv_row);
      if (!has_fingerprint(j, map[m].key_row, key, klen))
        fail_msg("no %s row has the fingerprint of the key derived here",
                 map[m].key_row);
      assert_true(has_fingerprint(j, map[m].iv_row, iv, 12));
      keys++;
    }
  }
  fclose(f);
  assert_true(lines >= 6);
  assert_true(keys >= 4);
}

/* No secret of the key log, and no key or IV derived from them, appears
 * in the JSON, the text, the --explain text or the CLI's outputs. */
static void test_key_schedule_no_secret_in_output(void **state) {
  (void)state;
  char path[160], path2[160];
  snprintf(path, sizeof(path), "%s/ks-keylog.txt", tt_dir);
  snprintf(path2, sizeof(path2), "%s/ks-keylog-cli.txt", tt_dir);
  unlink(path);
  unlink(path2);
  tdserver_t *s;
  tlsdiag_result_t *r = run(NULL, 1, TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA, path, &s);
  char *outs[6] = {NULL};
  tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &outs[0], NULL);
  tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, 0, &outs[1], NULL);
  tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, TLSDIAG_FMT_EXPLAIN, &outs[2], NULL);
  tlsdiag_result_format(r, TLSDIAG_FORMAT_MERMAID, 0, &outs[3], NULL);
  json_t *j = tt_json(r);
  scan_keylog(path, (const char *const *)outs, 4, j);
  json_decref(j);
  tlsdiag_result_free(r);
  /* the CLI, with its own key log: --json and --explain */
  char pin[64], target[64];
  snprintf(pin, sizeof(pin), "localhost:%u:127.0.0.1", tdserver_port(s));
  snprintf(target, sizeof(target), "localhost:%u", tdserver_port(s));
  assert_int_equal(tt_cli(&outs[4], "check", "--json", "--resume", "--early-data",
                          "--keylog", path2, "--cacert", tt_root, "--resolve",
                          pin, target, (char *)NULL), 0);
  assert_int_equal(tt_cli(&outs[5], "check", "--explain", "--resume",
                          "--early-data", "--keylog", path2, "--cacert", tt_root,
                          "--resolve", pin, target, (char *)NULL), 0);
  assert_non_null(strstr(outs[5], "\xe2\x9c\x93 server_handshake_write_key"));
  json_t *cj = json_loads(outs[4], 0, NULL);
  assert_non_null(cj);
  /* path2 holds both CLI runs' secrets: none in either output */
  const char *cli_outs[] = {outs[4], outs[5]};
  FILE *f = fopen(path2, "r");
  assert_non_null(f);
  char line[512];
  while (fgets(line, sizeof(line), f)) {
    char label[64], cr[80], sh[160];
    if (sscanf(line, "%63s %79s %159s", label, cr, sh) != 3) continue;
    for (size_t i = 0; i < 2; i++) assert_null(strstr(cli_outs[i], sh));
  }
  fclose(f);
  json_decref(cj);
  for (size_t i = 0; i < 6; i++) tlsdiag_free(outs[i]);
  tdserver_stop(s);

  /* TLS 1.2: the master secret (CLIENT_RANDOM) and the key block */
  unlink(path);
  r = run(TDS_PRIORITY_TLS12_ONLY, 0, 0, path, &s);
  tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &outs[0], NULL);
  tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, TLSDIAG_FMT_EXPLAIN, &outs[1], NULL);
  f = fopen(path, "r");
  assert_non_null(f);
  int n = 0;
  while (fgets(line, sizeof(line), f)) {
    char label[64], cr[80], sh[160];
    if (sscanf(line, "%63s %79s %159s", label, cr, sh) != 3) continue;
    assert_string_equal(label, "CLIENT_RANDOM");
    for (size_t i = 0; i < 2; i++) assert_null(strstr(outs[i], sh));
    n++;
  }
  fclose(f);
  assert_int_equal(n, 1);
  tlsdiag_free(outs[0]);
  tlsdiag_free(outs[1]);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* A body far larger than what is captured (a fetch of 800 kB): the records
 * past the bounds are not kept, in either direction, so no later record is
 * taken for a mismatch; the keys are proven on the first ones. */
static void test_key_schedule_capture_bounds(void **state) {
  (void)state;
  tt_fetch_t f;
  tt_fetch_x_body(800000, &f);
  tlsdiag_result_t *r = f.r;
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH), -1);
  json_t *j = tt_json(r);
  assert_all_proven(tt_jget(j, "key_schedule.rows"), rows13, NROWS13);
  assert_non_null(strstr(proven_by(tt_jget(j, "key_schedule.rows"),
                                   "server_application_write_key"),
                         "HTTP response ("));
  json_decref(j);
  tt_fetch_free(&f);
}

/* ---- real nginx (OpenSSL): its records, its ticket, its HRR ------------ */

static pid_t ngx_pid = -1;

/* nginx with TLS 1.3 only secp384r1 (so a HelloRetryRequest) and
 * ChaCha20-Poly1305, TLS 1.2 AES-128-GCM, TLS 1.2 ChaCha20-Poly1305; all
 * issue session tickets (nginx's default). */
static void start_nginx(uint16_t ports[3]) {
  tt_case_files_t c = tt_case_files("valid_rsa");
  tt_free_ports(ports, 3);
  tt_nginx_http(
      &ngx_pid, ports, 3,
      " ssl_certificate %s; ssl_certificate_key %s;\n"
      " server { listen 127.0.0.1:%u ssl; ssl_protocols TLSv1.3;"
      " ssl_ecdh_curve secp384r1;"
      " ssl_conf_command Ciphersuites TLS_CHACHA20_POLY1305_SHA256;"
      " location / { return 200 \"ok\\n\"; } }\n"
      " server { listen 127.0.0.1:%u ssl; ssl_protocols TLSv1.2;"
      " ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;"
      " location / { return 200 \"ok\\n\"; } }\n"
      " server { listen 127.0.0.1:%u ssl; ssl_protocols TLSv1.2;"
      " ssl_ciphers ECDHE-RSA-CHACHA20-POLY1305;"
      " location / { return 200 \"ok\\n\"; } }\n",
      c.chain, c.key, ports[0], ports[1], ports[2]);
}

static int ks_nginx_teardown(void **state) {
  (void)state;
  tt_stop_child(&ngx_pid);
  return 0;
}

/* Every row proven against OpenSSL's records too: its TLS 1.3 HRR with
 * ChaCha20-Poly1305 (SHA-256 schedule) and the resumption, its TLS 1.2
 * GCM and ChaCha20 records with a NewSessionTicket in the transcript. */
static void test_key_schedule_nginx(void **state) {
  (void)state;
  uint16_t ports[3];
  start_nginx(ports);
  for (int i = 0; i < 3; i++) {
    tt_opts_t t;
    tt_opts(&t, "localhost", ports[i]);
    t.o.flags |= TLSDIAG_F_RESUME;
    tlsdiag_result_t *r = tt_check("localhost", &t.o);
    json_t *j = tt_json(r);
    assert_int_equal(json_integer_value(tt_jget(j, "http.status")), 200);
    assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH), -1);
    json_t *rows = tt_jget(j, "key_schedule.rows");
    if (i == 0) {
      assert_string_equal(tt_jstr(j, "tls.cipher"), "TLS_CHACHA20_POLY1305_SHA256");
      assert_true(json_is_true(tt_jget(j, "anatomy.hello_retry")));
      assert_all_proven(rows, rows13, NROWS13);
      assert_non_null(strstr(proven_by(rows, "server_finished_key"),
                             "SHA256(message_hash(ClientHello1), HelloRetryRequest,"));
      assert_true(json_is_true(tt_jget(j, "anatomy.resumption.resumed")));
      json_t *rr = tt_jget(j, "key_schedule.resumed_rows");
      assert_true(json_is_true(json_object_get(row_named(rr, "server_finished_key"), "ok")));
      assert_true(json_is_true(json_object_get(row_named(rr, "client_finished_key"), "ok")));
    } else {
      assert_string_equal(tt_jstr(j, "tls.version"), "TLS1.2");
      assert_all_proven(rows, rows12, NROWS12);
      assert_non_null(strstr(proven_by(rows, "server_verify_data"),
                             "client Finished, NewSessionTicket))"));
      assert_non_null(strstr(tt_jstr(j, "tls.cipher"),
                             i == 1 ? "AES_128_GCM" : "CHACHA20_POLY1305"));
    }
    json_decref(j);
    tlsdiag_result_free(r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_schedule_tls13_full),
      cmocka_unit_test(test_key_schedule_hello_retry),
      cmocka_unit_test(test_key_schedule_resumption),
      cmocka_unit_test(test_key_schedule_early_data),
      cmocka_unit_test(test_key_schedule_tls12),
      cmocka_unit_test(test_key_schedule_corrupted_record),
      cmocka_unit_test(test_key_schedule_no_secret_in_output),
      cmocka_unit_test(test_key_schedule_capture_bounds),
      cmocka_unit_test_teardown(test_key_schedule_nginx, ks_nginx_teardown),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
