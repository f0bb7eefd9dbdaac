/* test_handshake_verdicts.c: the verdicts around the handshake (issue 11):
 * a certificate GnuTLS aborts the handshake over (openssl s_server with a
 * leaf lacking digitalSignature, or serving its CA certificate) is
 * cert_invalid with the chain kept; the host is matched against every SAN;
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
  tt_write_text(rootfile, root->pem);
  hp_sans_free(&sans);
}

/* A check of localhost served big_san_leaf(n) alone, its root trusted
 * (server and certificates gone when it returns); hrun_free *h. */
static void big_san_check(int n, hrun_t *h) {
  hp_cert_t root, leaf;
  char rootfile[160];
  big_san_leaf(n, &root, &leaf, rootfile, sizeof(rootfile));
  tdserver_t *s = hp_leaf_server(&leaf);
  hrun_local(tdserver_port(s), rootfile, 0, 0, h);
  tdserver_stop(s);
  hp_free(&leaf);
  hp_free(&root);
}

/* A leaf with 4,000 SANs (~120 kB; tdserver, a GnuTLS server, cannot send
 * the 10,000-SAN one: checked by hand with openssl s_server), over
 * BoringSSL/OpenSSL's 100 KiB, under our 1 MiB. */
static void test_handshake_verdicts_chain_too_large(void **state) {
  (void)state;
  hrun_t h;
  big_san_check(4000, &h);
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
  hrun_t h;
  big_san_check(2000, &h);
  assert_int_equal(tlsdiag_result_find(h.r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH),
                   -1);
  assert_int_equal(tlsdiag_result_cause(h.r), TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_phase_status(h.r, TLSDIAG_PHASE_TLS),
                   TLSDIAG_STATUS_OK);
  hrun_free(&h);
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

/* ---- real servers (openssl s_server, gnutls-serv) as child processes -- */

static pid_t srv_pid = -1; /* the child server; killed in srv_teardown */
static char srv_log[200];

/* Starts argv (argv[0] a path; stdin /dev/null, output to srv_log) and
 * waits, bounded (10 s, scaled), until 127.0.0.1:port accepts. */
static void srv_start(const char *const *argv, uint16_t port) {
  snprintf(srv_log, sizeof(srv_log), "%s/server.log", tt_dir);
  tt_spawn_server(&srv_pid, argv, srv_log, port);
}

static int srv_teardown(void **state) {
  (void)state;
  tt_stop_child(&srv_pid);
  return 0;
}

/* Runs a tool (argv[0] a path) that must succeed. */
static void must_run(const char *const *argv) {
  char *out = NULL, *err = NULL;
  int rc = tt_run(argv, NULL, 30000, &out, &err);
  if (rc != 0) fail_msg("%s failed (%d): %s", argv[0], rc, err ? err : "");
  free(out);
  free(err);
}

/* `tlsdiag check --json --cacert ca --resolve localhost:port:127.0.0.1
 * [extra] localhost:port`: the exit status, the JSON in *j. */
static int cli_check(const char *ca, uint16_t port, const char *extra,
                     json_t **j) {
  char pin[64], target[32];
  snprintf(pin, sizeof(pin), "localhost:%u:127.0.0.1", port);
  snprintf(target, sizeof(target), "localhost:%u", port);
  char *out = NULL;
  int rc = extra ? tt_cli(&out, "check", "--json", "--cacert", ca,
                          "--resolve", pin, extra, target, NULL)
                 : tt_cli(&out, "check", "--json", "--cacert", ca,
                          "--resolve", pin, target, NULL);
  json_error_t e;
  *j = json_loads(out ? out : "", 0, &e);
  if (!*j) fail_msg("tlsdiag check --json: not JSON (%s): %s", e.text, out);
  free(out);
  return rc;
}

/* An OpenSSL-made PKI in tt_dir: hs-ca.pem/.key (CA:TRUE, keyCertSign,
 * cRLSign) and hs-leaf.pem/.key, an ECDSA leaf for localhost whose
 * keyUsage is keyEncipherment only (no digitalSignature). */
static void openssl_pki(char ca[160], char cakey[160], char leaf[160],
                        char leafkey[160]) {
  char csr[160], ext[160], srl[160];
  snprintf(ca, 160, "%s/hs-ca.pem", tt_dir);
  snprintf(cakey, 160, "%s/hs-ca.key", tt_dir);
  snprintf(leaf, 160, "%s/hs-leaf.pem", tt_dir);
  snprintf(leafkey, 160, "%s/hs-leaf.key", tt_dir);
  snprintf(csr, sizeof(csr), "%s/hs-leaf.csr", tt_dir);
  snprintf(ext, sizeof(ext), "%s/hs-leaf.ext", tt_dir);
  snprintf(srl, sizeof(srl), "%s/hs-ca.srl", tt_dir);
  const char *mkca[] = {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", cakey, "-out", ca, "-subj",
                        "/CN=handshake test CA", "-days", "365", "-addext",
                        "basicConstraints=critical,CA:TRUE", "-addext",
                        "keyUsage=critical,keyCertSign,cRLSign", NULL};
  must_run(mkca);
  const char *mkcsr[] = {"/usr/bin/openssl", "req", "-new", "-newkey", "ec",
                         "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-keyout", leafkey, "-out", csr, "-subj",
                         "/CN=localhost", NULL};
  must_run(mkcsr);
  tt_write_text(ext, "basicConstraints=CA:FALSE\n"
                     "keyUsage=critical,keyEncipherment\n"
                     "extendedKeyUsage=serverAuth\n"
                     "subjectAltName=DNS:localhost\n");
  const char *sign[] = {"/usr/bin/openssl", "x509", "-req", "-in", csr, "-CA",
                        ca, "-CAkey", cakey, "-CAserial", srl,
                        "-CAcreateserial", "-out", leaf, "-days", "365",
                        "-extfile", ext, NULL};
  must_run(sign);
}

static void s_server(const char *cert, const char *key, uint16_t port) {
  char accept[32];
  snprintf(accept, sizeof(accept), "127.0.0.1:%u", port);
  const char *argv[] = {"/usr/bin/openssl", "s_server", "-accept", accept,
                        "-cert", cert, "-key", key, "-www", "-quiet", NULL};
  srv_start(argv, port);
}

/* The evidence every finding on a chain GnuTLS refused carries. */
static void assert_refused_chain(json_t *f) {
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(f, "evidence"), "handshake")),
                      "aborted by the client over this chain");
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(f, "evidence"), "handshake_error")),
                      "GNUTLS_E_KEY_USAGE_VIOLATION");
}

/* Class 2: openssl s_server with an ECDSA leaf whose keyUsage is
 * keyEncipherment only. OpenSSL serves it (and curl accepts it); GnuTLS
 * aborts the ECDHE handshake over it: the chain is kept and judged, the
 * verdict is cert_invalid (rule key_usage), not tls_handshake_failure. */
static void test_handshake_verdicts_openssl_leaf_without_digital_signature(
    void **state) {
  (void)state;
  char ca[160], cakey[160], leaf[160], leafkey[160];
  openssl_pki(ca, cakey, leaf, leafkey);
  uint16_t port = tt_free_port();
  s_server(leaf, leafkey, port);
  /* through the API */
  hrun_t h;
  hrun_local(port, ca, 0, 0, &h);
  print_message("keyEncipherment-only leaf: %s: %s\n",
                tlsdiag_cause_name(tlsdiag_result_cause(h.r)),
                tlsdiag_result_finding_message(h.r, 0));
  assert_int_equal(tlsdiag_result_cause(h.r), TLSDIAG_CAUSE_CERT_INVALID);
  assert_int_equal(tlsdiag_result_finding_severity(h.r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_int_equal(tlsdiag_result_find(h.r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE),
                   -1);
  assert_int_equal(tlsdiag_result_phase_status(h.r, TLSDIAG_PHASE_TLS),
                   TLSDIAG_STATUS_FAILED);
  assert_string_equal(tlsdiag_result_finding_message(h.r, 0),
                      "the certificate for localhost has a keyUsage that does "
                      "not allow digitalSignature, which the ECDHE key "
                      "exchange needs; the handshake was aborted");
  assert_string_equal(json_string_value(ev(h.j, "rule")), "key_usage");
  assert_int_equal(json_integer_value(ev(h.j, "key_usage")),
                   32 /* GNUTLS_KEY_KEY_ENCIPHERMENT */);
  assert_string_equal(json_string_value(ev(h.j, "key_usage_needed")),
                      "digitalSignature");
  assert_false(json_boolean_value(ev(h.j, "is_ca")));
  assert_string_equal(json_string_value(ev(h.j, "key_exchange")), "ECDHE");
  assert_refused_chain(tt_jget(h.j, "findings.0"));
  assert_string_equal(tt_jstr(h.j, "chain.0.subject"), "CN=localhost");
  hrun_free(&h);
  /* through the CLI */
  json_t *j = NULL;
  assert_int_equal(cli_check(ca, port, NULL, &j), 2);
  assert_string_equal(tt_jstr(j, "cause"), "cert_invalid");
  assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
  assert_string_equal(tt_jstr(j, "findings.0.evidence.rule"), "key_usage");
  assert_refused_chain(tt_jget(j, "findings.0"));
  json_decref(j);
}

/* Class 2: the CA certificate itself served as the server certificate
 * (keyCertSign, cRLSign; no SAN): cert_invalid (key_usage, is_ca), and
 * the name finding keeps the handshake error too. */
static void test_handshake_verdicts_openssl_serves_ca_cert(void **state) {
  (void)state;
  char ca[160], cakey[160], leaf[160], leafkey[160];
  openssl_pki(ca, cakey, leaf, leafkey);
  uint16_t port = tt_free_port();
  s_server(ca, cakey, port);
  json_t *j = NULL;
  assert_int_equal(cli_check(ca, port, NULL, &j), 2);
  assert_string_equal(tt_jstr(j, "cause"), "cert_invalid");
  assert_string_equal(tt_jstr(j, "findings.0.code"), "cert_invalid");
  assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
  assert_string_equal(tt_jstr(j, "findings.0.message"),
                      "the certificate for handshake test CA is a CA "
                      "certificate and has a keyUsage that does not allow "
                      "digitalSignature, which the ECDHE key exchange needs; "
                      "the handshake was aborted");
  assert_string_equal(tt_jstr(j, "findings.0.evidence.rule"), "key_usage");
  assert_true(json_boolean_value(tt_jget(j, "findings.0.evidence.is_ca")));
  assert_int_equal(json_integer_value(tt_jget(j, "findings.0.evidence.key_usage")),
                   4 | 2 /* keyCertSign | cRLSign */);
  assert_refused_chain(tt_jget(j, "findings.0"));
  assert_string_equal(tt_jstr(j, "findings.1.code"), "cert_hostname_mismatch");
  assert_refused_chain(tt_jget(j, "findings.1"));
  assert_string_equal(tt_jstr(j, "phases.tls.status"), "failed");
  json_decref(j);
}

/* Class 3 through the CLI: exit 2, cert_chain_too_large with its size. */
static void test_handshake_verdicts_chain_too_large_cli(void **state) {
  (void)state;
  hp_cert_t root, leaf;
  char rootfile[160];
  big_san_leaf(4000, &root, &leaf, rootfile, sizeof(rootfile));
  tdserver_t *s = hp_leaf_server(&leaf);
  json_t *j = NULL;
  assert_int_equal(cli_check(rootfile, tdserver_port(s), NULL, &j), 2);
  assert_string_equal(tt_jstr(j, "cause"), "cert_chain_too_large");
  assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
  json_int_t bytes = json_integer_value(tt_jget(j, "findings.0.evidence.bytes"));
  assert_true(bytes > 100 * 1024 && bytes < 128 * 1024);
  assert_int_equal(json_integer_value(tt_jget(j, "findings.0.evidence.limit")),
                   102400);
  assert_string_equal(tt_jstr(j, "phases.tls.status"), "ok");
  json_decref(j);
  /* Nagios: CRITICAL (2) naming the cause; Prometheus: the cause label. */
  char pin[64], target[32], *out = NULL;
  snprintf(pin, sizeof(pin), "localhost:%u:127.0.0.1", tdserver_port(s));
  snprintf(target, sizeof(target), "localhost:%u", tdserver_port(s));
  assert_int_equal(tt_cli(&out, "check", "--format", "nagios", "--cacert",
                          rootfile, "--resolve", pin, target, NULL),
                   2);
  assert_non_null(strstr(out, "CRITICAL - "));
  assert_non_null(strstr(out, "cert_chain_too_large: the server's certificate "
                              "message is "));
  free(out);
  assert_int_equal(tt_cli(&out, "check", "--format", "prometheus", "--cacert",
                          rootfile, "--resolve", pin, target, NULL),
                   2);
  assert_non_null(strstr(out, "cause=\"cert_chain_too_large\""));
  free(out);
  tdserver_stop(s);
  hp_free(&leaf);
  hp_free(&root);
}

/* Class 6: a TLS 1.2-only server whose only suites use the NULL cipher
 * (which no probe offers) answers handshake_failure at TLS 1.3 and 1.2
 * and protocol_version at 1.1 and 1.0: it speaks 1.2/1.3 and shares no
 * suite, so tls_cipher_mismatch, not a version mismatch. */
#define PRIORITY_NULL_ONLY \
  "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+NULL:+SHA1:+SHA256"
static void test_handshake_verdicts_mixed_alerts(void **state) {
  (void)state;
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = PRIORITY_NULL_ONLY;
  tdserver_t *s = tt_server_cfg(&cfg);
  json_t *j = NULL;
  assert_int_equal(cli_check(tt_root, tdserver_port(s), NULL, &j), 2);
  assert_string_equal(tt_jstr(j, "cause"), "tls_cipher_mismatch");
  assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
  assert_string_equal(tt_jstr(j, "findings.0.message"),
                      "the server refuses {TLS1.1, TLS1.0} with alert "
                      "protocol_version but {TLS1.3, TLS1.2} with another "
                      "alert: it speaks {TLS1.3, TLS1.2} and accepts none of "
                      "the cipher suites, groups or signatures offered");
  json_t *p = tt_jget(j, "findings.0.evidence.probes");
  assert_int_equal(json_array_size(p), 4);
  assert_string_equal(json_string_value(json_array_get(p, 0)),
                      "TLS1.3: alert handshake_failure");
  assert_string_equal(json_string_value(json_array_get(p, 3)),
                      "TLS1.0: alert protocol_version");
  assert_int_equal(json_array_size(tt_jget(j, "findings.0.evidence.server_accepts")),
                   0);
  json_decref(j);
  tdserver_stop(s);
}

/* Class 6: versions the local GnuTLS refuses (its system priority file
 * disables TLS 1.0 and 1.1) are "not probed (why)", never the server's
 * refusal, and the message names only the versions probed. */
static void test_handshake_verdicts_probe_refused_locally(void **state) {
  (void)state;
  char cfgfile[160];
  snprintf(cfgfile, sizeof(cfgfile), "%s/gnutls-system.cfg", tt_dir);
  tt_write_text(cfgfile, "[overrides]\ndisabled-version = tls1.0\n"
                         "disabled-version = tls1.1\n");
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  cfg.priority = PRIORITY_NULL_ONLY;
  tdserver_t *s = tt_server_cfg(&cfg);
  json_t *j = NULL;
  /* only the child (the CLI) reads it: GnuTLS reads it at load time */
  setenv("GNUTLS_SYSTEM_PRIORITY_FILE", cfgfile, 1);
  int rc = cli_check(tt_root, tdserver_port(s), NULL, &j);
  unsetenv("GNUTLS_SYSTEM_PRIORITY_FILE");
  assert_int_equal(rc, 2);
  assert_string_equal(tt_jstr(j, "cause"), "tls_handshake_failure");
  assert_string_equal(tt_jstr(j, "findings.0.message"),
                      "the server aborted the handshake with alert "
                      "handshake_failure at TLS1.3, TLS1.2 (not probed: "
                      "TLS1.1, TLS1.0)");
  json_t *p = tt_jget(j, "findings.0.evidence.probes");
  assert_int_equal(json_array_size(p), 4);
  assert_string_equal(json_string_value(json_array_get(p, 1)),
                      "TLS1.2: alert handshake_failure");
  const char *v11 = json_string_value(json_array_get(p, 2));
  assert_non_null(strstr(v11, "TLS1.1: not probed (the local TLS library "
                              "refuses it: "));
  assert_null(strstr(tt_jstr(j, "findings.0.message"), "every"));
  json_decref(j);
  tdserver_stop(s);
}

/* Class 6 against a real server: gnutls-serv limited to TLS 1.0, checked
 * with --no-probe: its ServerHello says TLS1.0, a version mismatch, never
 * tls_protocol_error ("not TLS / plain HTTP"). */
static void test_handshake_verdicts_gnutls_serv_tls10_no_probe(void **state) {
  (void)state;
  char port_s[8];
  tt_case_files_t c = tt_case_files("valid");
  uint16_t port = tt_free_port();
  snprintf(port_s, sizeof(port_s), "%u", port);
  const char *argv[] = {"/usr/bin/gnutls-serv", "-p", port_s,
                        "--x509certfile", c.chain, "--x509keyfile", c.key,
                        "--priority", TDS_PRIORITY_TLS10_ONLY, NULL};
  srv_start(argv, port);
  json_t *j = NULL;
  assert_int_equal(cli_check(tt_root, port, "--no-probe", &j), 2);
  assert_string_equal(tt_jstr(j, "cause"), "tls_version_mismatch");
  assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
  assert_string_equal(tt_jstr(j, "findings.0.message"),
                      "the server chose TLS1.0 in its ServerHello; the "
                      "client allows TLS1.2 at the lowest");
  assert_string_equal(tt_jstr(j, "findings.0.evidence.server_chose"), "TLS1.0");
  for (size_t i = 0; i < json_array_size(json_object_get(j, "findings")); i++) {
    char path[48];
    snprintf(path, sizeof(path), "findings.%zu.code", i);
    assert_string_not_equal(tt_jstr(j, path), "tls_protocol_error");
  }
  json_decref(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_handshake_verdicts_chain_too_large),
      cmocka_unit_test(test_handshake_verdicts_old_server_no_probe),
      cmocka_unit_test(test_handshake_verdicts_old_server_probed),
      cmocka_unit_test(test_handshake_verdicts_host_in_last_of_2000_sans),
      cmocka_unit_test(test_handshake_verdicts_host_in_last_of_10000_sans),
      cmocka_unit_test_teardown(
          test_handshake_verdicts_openssl_leaf_without_digital_signature,
          srv_teardown),
      cmocka_unit_test_teardown(test_handshake_verdicts_openssl_serves_ca_cert,
                                srv_teardown),
      cmocka_unit_test(test_handshake_verdicts_chain_too_large_cli),
      cmocka_unit_test(test_handshake_verdicts_mixed_alerts),
      cmocka_unit_test(test_handshake_verdicts_probe_refused_locally),
      cmocka_unit_test_teardown(test_handshake_verdicts_gnutls_serv_tls10_no_probe,
                                srv_teardown),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
