/* test_handshake_verdicts.c: the verdicts around the handshake (issue 11):
 * a certificate list larger than browsers accept is a certificate finding
 * with its size, not a handshake failure; a server that answers at an
 * older version is a TLS server (never "not TLS"), with or without the
 * version probe, and the probe's per-version outcomes are evidence. */
#include <jansson.h>

#include "tdtest.h"
#include "hostile.h"

static json_t *ev(json_t *j, const char *key) {
  char path[96];
  snprintf(path, sizeof(path), "findings.0.evidence.%s", key);
  return tt_jget(j, path);
}

/* A leaf for "localhost" whose SAN list holds n names
 * nNNNNN.big-sans.tlsdiag.test and then "localhost" (the last entry),
 * signed by a fresh root written to rootfile (tt_dir/NAME). */
static void big_san_leaf(int n, hp_cert_t *root, hp_cert_t *leaf,
                         char *rootfile, size_t rootlen) {
  hp_make_ca("big san root", NULL, root);
  hp_sans_t sans;
  hp_sans_init(&sans);
  for (int i = 0; i < n; i++) {
    char name[64];
    int k = snprintf(name, sizeof(name), "n%05d.big-sans.tlsdiag.test", i);
    hp_sans_dns(&sans, name, (size_t)k);
  }
  hp_sans_dns(&sans, "localhost", 9);
  hp_spec_t sp;
  memset(&sp, 0, sizeof(sp));
  sp.cn = "big sans";
  sp.cn_len = 8;
  sp.san_der = hp_sans_der(&sans, &sp.san_len);
  hp_make(&sp, root, leaf);
  snprintf(rootfile, rootlen, "%s/big-san-root-%d.pem", tt_dir, n);
  hp_write_file(rootfile, root->pem);
  hp_sans_free(&sans);
}

static tdserver_t *leaf_server(const hp_cert_t *leaf) {
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_HTTP;
  cfg.chain_pem = leaf->pem;
  cfg.key_pem = leaf->key_pem;
  return tt_server_cfg(&cfg);
}

/* A leaf with 4,000 SANs (~120 kB; tdserver, a GnuTLS server, cannot send
 * the 10,000-SAN one: checked by hand with openssl s_server), over
 * BoringSSL/OpenSSL's 100 KiB, under our 1 MiB. */
static void test_handshake_verdicts_chain_too_large(void **state) {
  (void)state;
  hp_cert_t root, leaf;
  char rootfile[160];
  big_san_leaf(4000, &root, &leaf, rootfile, sizeof(rootfile));
  tdserver_t *s = leaf_server(&leaf);
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(s));
  t.o.cafile = rootfile;
  hrun_t h;
  hrun("localhost", &t.o, &h);
  print_message("4000 SANs: cause=%s %s\n",
                tlsdiag_cause_name(tlsdiag_result_cause(h.r)),
                tlsdiag_result_finding_message(h.r, 0));
  assert_int_equal(tlsdiag_result_cause(h.r),
                   TLSDIAG_CAUSE_CERT_CHAIN_TOO_LARGE);
  assert_int_equal(tlsdiag_result_phase_status(h.r, TLSDIAG_PHASE_TLS),
                   TLSDIAG_STATUS_OK);
  assert_string_equal(tt_jstr(h.j, "cause"), "cert_chain_too_large");
  assert_string_equal(tt_jstr(h.j, "findings.0.severity"), "error");
  json_int_t bytes = json_integer_value(ev(h.j, "bytes"));
  assert_true(bytes > 100 * 1024 && bytes < 1024 * 1024);
  assert_int_equal(json_integer_value(ev(h.j, "certificates")), 1);
  assert_int_equal(json_integer_value(ev(h.j, "limit")), 100 * 1024);
  assert_string_equal(json_string_value(json_array_get(ev(h.j, "refused_by"), 0)),
                      "Chrome (BoringSSL)");
  char want[96];
  snprintf(want, sizeof(want), "the server's certificate message is %lld bytes",
           (long long)bytes);
  assert_non_null(strstr(tlsdiag_result_finding_message(h.r, 0), want));
  hrun_free(&h);
  tdserver_stop(s);
  hp_free(&leaf);
  hp_free(&root);
}

/* A TLS 1.0-only server answers our TLS 1.2+ hello with a TLS 1.0
 * ServerHello: without the probe, a version mismatch, never
 * tls_protocol_error ("plain HTTP?"). */
static void test_handshake_verdicts_old_server_no_probe(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = TDS_PRIORITY_TLS10_ONLY;
  tdserver_t *s = tt_server_cfg(&cfg);
  const tdcerts_case_t *c = tdcerts_case(tt_pki, "valid");
  tt_opts_t t;
  tt_opts(&t, c->hostname, tdserver_port(s));
  t.o.flags |= TLSDIAG_F_NO_VERSION_PROBE;
  hrun_t h;
  hrun(c->hostname, &t.o, &h);
  assert_int_equal(tlsdiag_result_cause(h.r), TLSDIAG_CAUSE_TLS_VERSION_MISMATCH);
  assert_string_equal(tlsdiag_result_finding_message(h.r, 0),
                      "the server chose TLS1.0 in its ServerHello; the "
                      "client allows TLS1.2 at the lowest");
  assert_string_equal(json_string_value(ev(h.j, "server_chose")), "TLS1.0");
  assert_int_equal(tlsdiag_result_find(h.r, TLSDIAG_CAUSE_TLS_PROTOCOL_ERROR), -1);
  hrun_free(&h);
  tdserver_stop(s);
}

/* The same server probed: every version's outcome, as observed. */
static void test_handshake_verdicts_old_server_probed(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = TDS_PRIORITY_TLS10_ONLY;
  tdserver_t *s = tt_server_cfg(&cfg);
  const tdcerts_case_t *c = tdcerts_case(tt_pki, "valid");
  tt_opts_t t;
  tt_opts(&t, c->hostname, tdserver_port(s));
  hrun_t h;
  hrun(c->hostname, &t.o, &h);
  assert_int_equal(tlsdiag_result_cause(h.r), TLSDIAG_CAUSE_TLS_VERSION_MISMATCH);
  assert_string_equal(tlsdiag_result_finding_message(h.r, 0),
                      "no common TLS version: server accepts {TLS1.0}; "
                      "client allows {TLS1.3, TLS1.2}");
  json_t *p = ev(h.j, "probes");
  assert_int_equal(json_array_size(p), 4);
  assert_string_equal(json_string_value(json_array_get(p, 1)),
                      "TLS1.2: the server chose TLS1.0");
  assert_string_equal(json_string_value(json_array_get(p, 3)),
                      "TLS1.0: accepted");
  hrun_free(&h);
  tdserver_stop(s);
}

/* The name check covers every SAN: a leaf whose last SAN (of 2,001) is the
 * host is valid for it, checked against a server. */
static void test_handshake_verdicts_host_in_last_of_2000_sans(void **state) {
  (void)state;
  hp_cert_t root, leaf;
  char rootfile[160];
  big_san_leaf(2000, &root, &leaf, rootfile, sizeof(rootfile));
  tdserver_t *s = leaf_server(&leaf);
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(s));
  t.o.cafile = rootfile;
  hrun_t h;
  hrun("localhost", &t.o, &h);
  assert_int_equal(tlsdiag_result_find(h.r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH),
                   -1);
  assert_int_equal(tlsdiag_result_cause(h.r), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_phase_status(h.r, TLSDIAG_PHASE_TLS),
                   TLSDIAG_STATUS_OK);
  hrun_free(&h);
  tdserver_stop(s);
  hp_free(&leaf);
  hp_free(&root);
}

/* Past the verifier's old 4,096-name limit (the names beyond it were
 * dropped, so a host listed last was a name mismatch): 10,000 SANs, the
 * host last, verified offline; a name not listed still mismatches. */
static void test_handshake_verdicts_host_in_last_of_10000_sans(void **state) {
  (void)state;
  hp_cert_t root, leaf;
  char rootfile[160];
  big_san_leaf(10000, &root, &leaf, rootfile, sizeof(rootfile));
  tlsdiag_blob_t chain = {leaf.pem, strlen(leaf.pem)};
  tlsdiag_blob_t anchor = {root.pem, strlen(root.pem)};
  const char *hosts[2] = {"localhost", "n09999.big-sans.tlsdiag.test"};
  for (int i = 0; i < 3; i++) {
    tlsdiag_verify_input_t in;
    tlsdiag_verify_input_init(&in);
    in.chain = &chain;
    in.nchain = 1;
    in.trusted = &anchor;
    in.ntrusted = 1;
    in.host = i < 2 ? hosts[i] : "n10000.big-sans.tlsdiag.test";
    tlsdiag_result_t *r = NULL;
    assert_int_equal(tlsdiag_verify_chain(&in, NULL, &r), TLSDIAG_OK);
    if (i < 2) {
      assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH),
                       -1);
      assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
    } else {
      assert_int_equal(tlsdiag_result_cause(r),
                       TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
    }
    tlsdiag_result_free(r);
  }
  hp_free(&leaf);
  hp_free(&root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_verdicts_chain_too_large),
      cmocka_unit_test(test_handshake_verdicts_old_server_no_probe),
      cmocka_unit_test(test_handshake_verdicts_old_server_probed),
      cmocka_unit_test(test_handshake_verdicts_host_in_last_of_2000_sans),
      cmocka_unit_test(test_handshake_verdicts_host_in_last_of_10000_sans),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
