/* test_anatomy.c: round trips, HelloRetryRequest, resumption, 0-RTT, the
 * key log and the key schedule of real loopback connections. */
#include "tdtest.h"

#include <regex.h>

static tlsdiag_result_t *check_server(tdserver_config_t *cfg, unsigned flags,
                                      const char *keylog, tdserver_t **srv) {
  *srv = tt_server_cfg(cfg);
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(*srv));
  t.o.flags |= flags;
  t.o.keylog_file = keylog;
  return tt_check("localhost", &t.o);
}

static json_t *arr_find(json_t *arr, const char *key, const char *val) {
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    json_t *k = json_object_get(v, key);
    if (json_is_string(k) && !strcmp(json_string_value(k), val)) return v;
  }
  return NULL;
}

/* A TLS 1.3 server that accepts only secp384r1: the client's first key
 * shares miss, the server asks again, one more round trip is counted. */
static void test_anatomy_hello_retry(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = TDS_PRIORITY_HRR;
  tdserver_t *s;
  tlsdiag_result_t *r = check_server(&cfg, 0, NULL, &s);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  long i = tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_HELLO_RETRY);
  assert_true(i >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i), TLSDIAG_SEVERITY_INFO);
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "requested"),
                      "secp384r1");
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "offered"),
                      "x25519, secp256r1"); /* browsers' order */
  json_t *j = tt_json(r);
  assert_int_equal(json_integer_value(tt_jget(j, "anatomy.round_trips.tls")), 2);
  assert_int_equal(json_integer_value(tt_jget(j, "anatomy.ttfb_rtts")), 4);
  assert_true(json_is_true(tt_jget(j, "anatomy.hello_retry")));
  assert_string_equal(tt_jstr(j, "anatomy.hello_retry_group"), "secp384r1");
  assert_string_equal(tt_jstr(j, "key_schedule.client_key_shares_after_retry.0.group"),
                      "secp384r1");
  assert_int_equal(json_integer_value(
                       tt_jget(j, "key_schedule.client_key_shares_after_retry.0.bytes")),
                   97);
  assert_string_equal(tt_jstr(j, "key_schedule.server_key_share.0.group"), "secp384r1");
  /* the sequence shows the retry */
  char *txt = NULL;
  tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, 0, &txt, NULL);
  assert_non_null(strstr(txt, "HelloRetryRequest"));
  assert_non_null(strstr(txt, "one more: HelloRetryRequest"));
  tlsdiag_free(txt);
  char *m = NULL;
  tlsdiag_result_format(r, TLSDIAG_FORMAT_MERMAID, 0, &m, NULL);
  assert_non_null(strstr(m, "HelloRetryRequest"));
  tlsdiag_free(m);
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* Without a retry: one TLS round trip for TLS 1.3, two for TLS 1.2. */
static void test_anatomy_round_trips_by_version(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  tdserver_t *s;
  tlsdiag_result_t *r = check_server(&cfg, 0, NULL, &s);
  json_t *j = tt_json(r);
  assert_int_equal(json_integer_value(tt_jget(j, "anatomy.round_trips.tcp")), 1);
  assert_int_equal(json_integer_value(tt_jget(j, "anatomy.round_trips.tls")), 1);
  assert_int_equal(json_integer_value(tt_jget(j, "anatomy.round_trips.http")), 1);
  assert_int_equal(json_integer_value(tt_jget(j, "anatomy.ttfb_rtts")), 3);
  assert_true(json_real_value(tt_jget(j, "anatomy.rtt_ms")) > 0);
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_HELLO_RETRY), -1);
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);

  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = TDS_PRIORITY_TLS12_ONLY;
  r = check_server(&cfg, 0, NULL, &s);
  j = tt_json(r);
  assert_string_equal(tt_jstr(j, "tls.version"), "TLS1.2");
  assert_int_equal(json_integer_value(tt_jget(j, "anatomy.round_trips.tls")), 2);
  assert_int_equal(json_integer_value(tt_jget(j, "anatomy.ttfb_rtts")), 4);
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* A server that issues tickets: the second connection resumes. */
static void test_anatomy_resumption(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.session_tickets = 1;
  tdserver_t *s;
  tlsdiag_result_t *r = check_server(&cfg, TLSDIAG_F_RESUME, NULL, &s);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_NO_RESUMPTION), -1);
  json_t *j = tt_json(r);
  assert_true(json_is_true(tt_jget(j, "anatomy.resumption.resumed")));
  assert_string_equal(tt_jstr(j, "anatomy.resumption.psk_mode"), "psk_dhe_ke");
  assert_true(json_real_value(tt_jget(j, "anatomy.resumption.handshake_ms_first")) > 0);
  assert_true(json_real_value(tt_jget(j, "anatomy.resumption.handshake_ms_resumed")) > 0);
  assert_true(json_integer_value(tt_jget(j, "anatomy.tickets")) >= 1);
  assert_true(json_integer_value(tt_jget(j, "anatomy.ticket_lifetime_s")) > 0);
  assert_true(json_is_null(tt_jget(j, "anatomy.resumption.early_data")));
  assert_int_equal(tdserver_connections(s), 2);
  json_decref(j);
  char *m = NULL;
  tlsdiag_result_format(r, TLSDIAG_FORMAT_MERMAID, 0, &m, NULL);
  assert_non_null(strstr(m, "second connection"));
  assert_non_null(strstr(m, "resumed"));
  tlsdiag_free(m);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* A server that issues no tickets: tls_no_resumption (info). */
static void test_anatomy_no_resumption(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.session_tickets = 0;
  tdserver_t *s;
  tlsdiag_result_t *r = check_server(&cfg, TLSDIAG_F_RESUME, NULL, &s);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  long i = tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_NO_RESUMPTION);
  assert_true(i >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i), TLSDIAG_SEVERITY_INFO);
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "tickets"), "0");
  json_t *j = tt_json(r);
  assert_true(json_is_false(tt_jget(j, "anatomy.resumption.resumed")));
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* 0-RTT: accepted by a server that allows early data, refused otherwise. */
static void test_anatomy_early_data(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.session_tickets = 1;
  cfg.early_data = 1;
  tdserver_t *s;
  tlsdiag_result_t *r =
      check_server(&cfg, TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA, NULL, &s);
  json_t *j = tt_json(r);
  assert_true(json_is_true(tt_jget(j, "anatomy.resumption.resumed")));
  assert_true(json_is_true(tt_jget(j, "anatomy.resumption.early_data.sent")));
  assert_true(json_is_true(tt_jget(j, "anatomy.resumption.early_data.accepted")));
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);

  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.session_tickets = 1;
  r = check_server(&cfg, TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA, NULL, &s);
  j = tt_json(r);
  assert_true(json_is_true(tt_jget(j, "anatomy.resumption.resumed")));
  assert_true(json_is_false(tt_jget(j, "anatomy.resumption.early_data.accepted")));
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* The TLS 1.3 key schedule: the RFC 8446 secrets in order, with labels and
 * lengths (SHA-384 suite: 48 bytes), the ones the key log saw marked. The
 * client offers AES-128-GCM first (browsers' order): a server imposing its
 * own order, AES-256-GCM first, gives the SHA-384 suite. */
static void test_anatomy_key_schedule_tls13(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = "NORMAL:%SERVER_PRECEDENCE";
  tdserver_t *s;
  tlsdiag_result_t *r = check_server(&cfg, 0, NULL, &s);
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "key_schedule.hash"), "SHA384");
  assert_int_equal(json_integer_value(tt_jget(j, "key_schedule.hash_bytes")), 48);
  json_t *sec = tt_jget(j, "key_schedule.secrets");
  const char *order[] = {"early_secret", "handshake_secret",
                         "client_handshake_traffic_secret",
                         "server_handshake_traffic_secret", "master_secret",
                         "client_application_traffic_secret_0",
                         "server_application_traffic_secret_0",
                         "exporter_master_secret", "resumption_master_secret"};
  assert_int_equal(json_array_size(sec), 9);
  for (size_t i = 0; i < 9; i++) {
    json_t *e = json_array_get(sec, i);
    assert_string_equal(json_string_value(json_object_get(e, "name")), order[i]);
    assert_int_equal(json_integer_value(json_object_get(e, "bytes")), 48);
  }
  json_t *shs = arr_find(sec, "name", "server_handshake_traffic_secret");
  assert_string_equal(json_string_value(json_object_get(shs, "label")), "s hs traffic");
  assert_true(json_is_true(json_object_get(shs, "observed")));
  assert_string_equal(json_string_value(json_array_get(json_object_get(shs, "protects"), 1)),
                      "Certificate");
  json_t *cap = arr_find(sec, "name", "client_application_traffic_secret_0");
  assert_string_equal(json_string_value(json_object_get(cap, "label")), "c ap traffic");
  assert_true(json_is_true(json_object_get(cap, "observed")));
  assert_int_equal(json_integer_value(tt_jget(j, "key_schedule.traffic_keys.key_bytes")), 32);
  assert_int_equal(json_integer_value(tt_jget(j, "key_schedule.traffic_keys.iv_bytes")), 12);
  assert_int_equal(json_integer_value(tt_jget(j, "key_schedule.shared_secret_bytes")), 32);
  char *txt = NULL;
  tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, TLSDIAG_FMT_EXPLAIN, &txt, NULL);
  const char *p = strstr(txt, "Key schedule");
  assert_non_null(p);
  for (size_t i = 0; i < 9; i++) {
    const char *q = strstr(p, order[i]);
    if (!q) fail_msg("--explain lacks %s in order", order[i]);
    p = q;
  }
  tlsdiag_free(txt);
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* TLS 1.2: master secret (extended), key block, fixed IV for GCM. */
static void test_anatomy_key_schedule_tls12(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = TDS_PRIORITY_TLS12_ONLY;
  tdserver_t *s;
  tlsdiag_result_t *r = check_server(&cfg, 0, NULL, &s);
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "key_schedule.version"), "TLS1.2");
  assert_true(json_is_true(tt_jget(j, "key_schedule.extended_master_secret")));
  json_t *sec = tt_jget(j, "key_schedule.secrets");
  assert_int_equal(json_array_size(sec), 3);
  assert_string_equal(tt_jstr(j, "key_schedule.secrets.0.name"), "pre_master_secret");
  assert_string_equal(tt_jstr(j, "key_schedule.secrets.1.name"), "master_secret");
  assert_string_equal(tt_jstr(j, "key_schedule.secrets.1.label"), "extended master secret");
  assert_int_equal(json_integer_value(tt_jget(j, "key_schedule.secrets.1.bytes")), 48);
  assert_true(json_is_true(tt_jget(j, "key_schedule.secrets.1.observed")));
  assert_string_equal(tt_jstr(j, "key_schedule.secrets.2.name"), "key_block");
  /* AES-128-GCM (the client's first choice): 2 x (0 MAC + 16 key + 4
   * fixed IV) */
  assert_string_equal(tt_jstr(j, "tls.cipher"), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  assert_int_equal(json_integer_value(tt_jget(j, "key_schedule.secrets.2.bytes")), 40);
  assert_int_equal(json_integer_value(tt_jget(j, "key_schedule.traffic_keys.iv_bytes")), 4);
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* The key log: NSS format, 0600, and its secrets never in the report. */
static void test_anatomy_keylog_file(void **state) {
  (void)state;
  char path[160];
  snprintf(path, sizeof(path), "%s/keylog.txt", tt_dir);
  unlink(path);
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  tdserver_t *s;
  tlsdiag_result_t *r = check_server(&cfg, 0, path, &s);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  regex_t re;
  assert_int_equal(regcomp(&re, "^[A-Z_0-9]+ [0-9a-f]{64} ([0-9a-f]{2})+$", REG_EXTENDED), 0);
  char line[512];
  int labels = 0;
  char *json = NULL;
  tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &json, NULL);
  char *txt = NULL;
  tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, TLSDIAG_FMT_EXPLAIN, &txt, NULL);
  while (fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = '\0';
    if (regexec(&re, line, 0, NULL, 0) != 0) fail_msg("bad key log line: %s", line);
    labels += !strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32) ||
              !strncmp(line, "SERVER_HANDSHAKE_TRAFFIC_SECRET ", 32) ||
              !strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) ||
              !strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24);
    const char *secret = strrchr(line, ' ') + 1;
    assert_null(strstr(json, secret));
    assert_null(strstr(txt, secret));
  }
  assert_int_equal(labels, 4);
  regfree(&re);
  fclose(f);
  tlsdiag_free(json);
  tlsdiag_free(txt);
  tlsdiag_result_free(r);
  tdserver_stop(s);
  /* an unwritable key log is an API error, not a finding */
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.keylog_file = "/nonexistent-dir/keylog.txt";
  assert_int_equal(tlsdiag_check("localhost", &o, &r), TLSDIAG_E_KEYLOG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_anatomy_hello_retry),
      cmocka_unit_test(test_anatomy_round_trips_by_version),
      cmocka_unit_test(test_anatomy_resumption),
      cmocka_unit_test(test_anatomy_no_resumption),
      cmocka_unit_test(test_anatomy_early_data),
      cmocka_unit_test(test_anatomy_key_schedule_tls13),
      cmocka_unit_test(test_anatomy_key_schedule_tls12),
      cmocka_unit_test(test_anatomy_keylog_file),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
