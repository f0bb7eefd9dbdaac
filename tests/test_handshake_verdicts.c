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

/* A leaf with 4,000 SANs (~120 kB; tdserver, a GnuTLS server, cannot send
 * the 10,000-SAN one: checked by hand with openssl s_server), over
 * BoringSSL/OpenSSL's 100 KiB, under our 1 MiB. */
static void test_handshake_verdicts_chain_too_large(void **state) {
  (void)state;
  hp_cert_t root, leaf;
  hp_make_ca("big san root", NULL, &root);
  hp_sans_t sans;
  hp_sans_init(&sans);
  for (int i = 0; i < 4000; i++) {
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
  hp_make(&sp, &root, &leaf);
  char rootfile[160];
  snprintf(rootfile, sizeof(rootfile), "%s/big-san-root.pem", tt_dir);
  hp_write_file(rootfile, root.pem);

  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_HTTP;
  cfg.chain_pem = leaf.pem;
  cfg.key_pem = leaf.key_pem;
  tdserver_t *s = tt_server_cfg(&cfg);
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
  hp_sans_free(&sans);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_verdicts_chain_too_large),
      cmocka_unit_test(test_handshake_verdicts_old_server_no_probe),
      cmocka_unit_test(test_handshake_verdicts_old_server_probed),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
