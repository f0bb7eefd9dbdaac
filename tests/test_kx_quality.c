/* test_kx_quality.c: key exchange and cipher quality (issue 11):
 * tls_weak_dh (error), tls_no_forward_secrecy and tls_legacy_cipher
 * (warnings), against the in-process GnuTLS server and real nginx. */
#include <gmp.h>
#include <gnutls/gnutls.h>

#include "tdtest.h"

/* RFC 2409 group 2 (Oakley 1024-bit MODP), g = 2. */
static const char rfc2409_1024_hex[] =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff";

/* mpz -> big-endian bytes (malloc'd). */
static unsigned char *mpz_bytes(const mpz_t v, size_t *n) {
  unsigned char *b = malloc(mpz_sizeinbase(v, 2) / 8 + 1);
  assert_non_null(b);
  mpz_export(b, n, 1, 1, 1, 0, v);
  return b;
}

static void ffdhe2048(mpz_t p) {
  mpz_import(p, gnutls_ffdhe_2048_group_prime.size, 1, 1, 1, 0,
             gnutls_ffdhe_2048_group_prime.data);
}

/* The largest odd composite below ffdhe2048's prime: 2048 bits. */
static void composite2048(mpz_t c) {
  ffdhe2048(c);
  do mpz_sub_ui(c, c, 2);
  while (mpz_probab_prime_p(c, 24));
}

static int is_safe(const mpz_t p) {
  mpz_t q;
  mpz_init(q);
  mpz_sub_ui(q, p, 1);
  mpz_fdiv_q_2exp(q, q, 1);
  int safe = mpz_probab_prime_p(q, 24) != 0;
  mpz_clear(q);
  return safe;
}

static void analyze(const mpz_t p, unsigned long g, td_kx_facts_t *k) {
  size_t pn = 0;
  unsigned char *pb = mpz_bytes(p, &pn);
  unsigned char gb[8];
  size_t gn = 0;
  for (unsigned long x = g; x; x >>= 8) gn++;
  for (size_t i = 0; i < gn; i++) gb[gn - 1 - i] = (unsigned char)(g >> (8 * i));
  memset(k, 0, sizeof(*k));
  assert_int_equal(td_kx_dh_analyze(pb, pn, gb, gn, k), 0);
  free(pb);
}

static const char *ev(const tlsdiag_result_t *r, long i, const char *key) {
  const char *v = tlsdiag_result_finding_evidence(r, (size_t)i, key);
  if (!v) fail_msg("finding %ld has no evidence %s", i, key);
  return v;
}

/* ---- the analysis itself (GMP), no server ------------------------------ */

static void test_kx_quality_dh_analysis(void **state) {
  (void)state;
  mpz_t p;
  mpz_init(p);
  td_kx_facts_t k;

  ffdhe2048(p); /* well known, safe, g = 2 generates the order-q group */
  analyze(p, 2, &k);
  assert_int_equal(k.dhe, 1);
  assert_int_equal(k.dh_bits, 2048);
  assert_string_equal(k.dh_group, "RFC 7919 ffdhe2048");
  assert_int_equal(k.dh_prime, 1);
  assert_int_equal(k.dh_safe, 1);
  assert_int_equal(k.dh_g_small, 0);
  assert_int_equal(k.dh_g_subgroup, 1);

  analyze(p, 7, &k); /* 7 is a non-residue mod ffdhe2048: order 2q */
  assert_int_equal(k.dh_g_subgroup, 0);

  mpz_sub_ui(p, p, 1); /* g = p-1: order 2 */
  mpz_t pm1;
  mpz_init_set(pm1, p);
  ffdhe2048(p);
  size_t pn = 0, gn = 0;
  unsigned char *pb = mpz_bytes(p, &pn), *gb = mpz_bytes(pm1, &gn);
  memset(&k, 0, sizeof(k));
  assert_int_equal(td_kx_dh_analyze(pb, pn, gb, gn, &k), 0);
  assert_int_equal(k.dh_g_small, 1);
  assert_int_equal(k.dh_g_fits, 0);
  free(pb);
  free(gb);
  mpz_clear(pm1);

  assert_int_equal(mpz_set_str(p, rfc2409_1024_hex, 16), 0);
  analyze(p, 2, &k);
  assert_int_equal(k.dh_bits, 1024);
  assert_string_equal(k.dh_group, "RFC 2409 group 2 (1024-bit MODP)");

  composite2048(p);
  analyze(p, 2, &k);
  assert_int_equal(k.dh_bits, 2048);
  assert_null(k.dh_group);
  assert_int_equal(k.dh_prime, 0);
  assert_int_equal(k.dh_safe, -1);

  /* A 2048-bit prime that is not a safe prime (DSA-style groups). */
  mpz_setbit(p, 2047);
  do mpz_nextprime(p, p);
  while (is_safe(p));
  analyze(p, 2, &k);
  assert_int_equal(k.dh_prime, 1);
  assert_int_equal(k.dh_safe, 0);
  assert_null(k.dh_group);
  assert_null(td_kx_dh_well_known((const unsigned char *)"\x00\x05", 2));
  assert_int_equal(td_kx_dh_analyze(NULL, 0, NULL, 0, &k), -1);
  mpz_clear(p);
}

/* The classification is pure: facts in, findings out, each reason. */
static void test_kx_quality_classify_reasons(void **state) {
  (void)state;
  static const struct {
    int prime, safe, g_small;
    unsigned bits;
    const char *reason;
  } cases[] = {
      {0, -1, 0, 2048, "composite_modulus"},
      {1, 1, 1, 2048, "small_subgroup_generator"},
      {1, 1, 0, 1024, "small_prime"},
      {1, 0, 0, 2048, "not_safe_prime"},
      {1, 1, 0, 2048, NULL},
      {1, 1, 0, 4096, NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    tlsdiag_result_t *r = td_result_new();
    assert_non_null(r);
    r->tls_cipher = td_strdup("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
    r->kx.collected = 1;
    snprintf(r->kx.kx, sizeof(r->kx.kx), "DHE-RSA");
    snprintf(r->kx.cipher, sizeof(r->kx.cipher), "AES-128-GCM");
    snprintf(r->kx.mac, sizeof(r->kx.mac), "AEAD");
    r->kx.dhe = 1;
    r->kx.dh_prime = cases[i].prime;
    r->kx.dh_safe = cases[i].safe;
    r->kx.dh_g_small = cases[i].g_small;
    r->kx.dh_g_subgroup = -1;
    r->kx.dh_bits = cases[i].bits;
    td_classify_order(r); /* empty */
    td_kx_classify(r);
    td_classify_order(r);
    long f = tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_WEAK_DH);
    if (!cases[i].reason) {
      assert_int_equal(f, -1);
      assert_int_equal(tlsdiag_result_finding_count(r), 0);
    } else {
      assert_true(f >= 0);
      assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)f),
                       TLSDIAG_SEVERITY_ERROR);
      assert_string_equal(ev(r, f, "reason"), cases[i].reason);
      char bits[16];
      snprintf(bits, sizeof(bits), "%u", cases[i].bits);
      assert_string_equal(ev(r, f, "bits"), bits);
      assert_string_equal(ev(r, f, "well_known"), "false");
      assert_non_null(strstr(ev(r, f, "browsers"), "Chrome 53"));
      assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TLS_WEAK_DH);
    }
    tlsdiag_result_free(r);
  }
}

/* ---- the in-process GnuTLS server ------------------------------------- */

static tlsdiag_result_t *check_tds(const char *priority, const char *cname) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, cname);
  cfg.priority = priority;
  tdserver_t *s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(s));
  tlsdiag_result_t *r = tt_check("localhost", &t.o);
  tdserver_stop(s);
  return r;
}

static void assert_no_kx_findings(const tlsdiag_result_t *r) {
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_WEAK_DH), -1);
  assert_int_equal(
      tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_NO_FORWARD_SECRECY), -1);
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_LEGACY_CIPHER),
                   -1);
}

/* What our client offers (GnuTLS NORMAL: CBC-SHA1, static RSA and DHE-RSA
 * after every ECDHE AEAD suite) must not change what a modern server
 * picks: ECDHE with AES-GCM, at TLS 1.3 and at TLS 1.2. */
static void test_kx_quality_modern_server_clean(void **state) {
  (void)state;
  const char *prios[] = {"NORMAL", TDS_PRIORITY_TLS12_ONLY};
  const char *certs[] = {"valid", "valid_rsa"};
  for (size_t i = 0; i < 2; i++)
    for (size_t c = 0; c < 2; c++) {
      tlsdiag_result_t *r = check_tds(prios[i], certs[c]);
      assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
      assert_no_kx_findings(r);
      assert_non_null(strstr(r->tls_kx, "ECDHE"));
      assert_non_null(strstr(r->kx.cipher, "GCM"));
      assert_string_equal(r->tls_version, i ? "TLS1.2" : "TLS1.3");
      tlsdiag_result_free(r);
    }
}

/* DHE over RFC 7919 ffdhe2048 is not weak. */
static void test_kx_quality_ffdhe2048_not_weak(void **state) {
  (void)state;
  tlsdiag_result_t *r =
      check_tds("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA", "valid_rsa");
  /* Not weak. But no browser offers DHE any more (Chrome 53, Firefox
   * 78): the handshake offering what Chrome offers is refused
   * (browser_offer.c), an error; no tls_weak_dh. */
  const tlsdiag_cause_t m = TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH;
  assert_int_equal(tlsdiag_result_cause(r), m);
  assert_int_equal(tlsdiag_result_finding_severity(r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(r, m, "key_exchange"), "DHE-RSA");
  assert_string_equal(tt_ev(r, m, "browser_probe"), "alert handshake_failure");
  assert_string_equal(tt_ev(r, m, "firefox_offers"), "false");
  /* The FFDHE group follows from the DHE key exchange: the fix is ECDHE */
  assert_string_equal(tt_ev(r, m, "group"), "FFDHE2048");
  assert_string_equal(tt_ev(r, m, "remedy"),
                      "enable ECDHE suites (ECDHE-ECDSA or ECDHE-RSA with "
                      "AES-GCM or ChaCha20-Poly1305)");
  assert_string_equal(r->tls_kx, "DHE-RSA");
  assert_int_equal(r->kx.dhe, 1);
  assert_string_equal(r->kx.dh_group, "RFC 7919 ffdhe2048");
  assert_no_kx_findings(r);
  tlsdiag_result_free(r);
}

#define PRIO_RSA_CBC_SHA1                                                   \
  "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+AES-128-CBC"    \
  ":-MAC-ALL:+SHA1"

static void assert_rsa_cbc_findings(const tlsdiag_result_t *r) {
  long f = tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_NO_FORWARD_SECRECY);
  assert_true(f >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)f),
                   TLSDIAG_SEVERITY_WARNING);
  assert_string_equal(ev(r, f, "suite"), "TLS_RSA_WITH_AES_128_CBC_SHA");
  assert_string_equal(ev(r, f, "kx"), "RSA");
  assert_non_null(strstr(ev(r, f, "browsers"), "Chrome 131"));
  f = tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_LEGACY_CIPHER);
  assert_true(f >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)f),
                   TLSDIAG_SEVERITY_WARNING);
  assert_string_equal(ev(r, f, "suite"), "TLS_RSA_WITH_AES_128_CBC_SHA");
  assert_string_equal(ev(r, f, "properties"), "cbc, sha1_mac");
  assert_string_equal(ev(r, f, "cipher"), "AES-128-CBC");
  assert_string_equal(ev(r, f, "mac"), "SHA1");
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_WEAK_DH), -1);
  /* Chrome 131+ offers no static RSA key exchange: it and Edge cannot
   * connect (Firefox can): an error, not a pass. */
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH);
  f = tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)f),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(ev(r, f, "key_exchange"), "RSA");
  assert_string_equal(ev(r, f, "firefox_offers"), "true");
}

static void test_kx_quality_static_rsa_cbc_tdserver(void **state) {
  (void)state;
  tlsdiag_result_t *r = check_tds(PRIO_RSA_CBC_SHA1, "valid_rsa");
  assert_rsa_cbc_findings(r);
  tlsdiag_result_free(r);
  /* ECDHE with CBC-SHA1: forward secret, still a legacy cipher. */
  r = check_tds("NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-CBC"
                ":-MAC-ALL:+SHA1",
                "valid");
  assert_int_equal(
      tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_NO_FORWARD_SECRECY), -1);
  long f = tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_LEGACY_CIPHER);
  assert_true(f >= 0);
  assert_string_equal(ev(r, f, "suite"),
                      "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA");
  tlsdiag_result_free(r);
}

/* ---- real nginx (OpenSSL ignores the client's FFDHE groups in TLS 1.2
 * and serves its ssl_dhparam; a GnuTLS server follows RFC 7919 and would
 * pick ffdhe2048 instead) ------------------------------------------------ */

static pid_t nginx_pid = -1;

/* PKCS#3 DHParameter: SEQUENCE { INTEGER p, INTEGER g } as PEM. */
static void write_dhparam(const char *path, const mpz_t p, unsigned g) {
  unsigned char der[1100];
  size_t pn = 0;
  unsigned char *pb = mpz_bytes(p, &pn);
  size_t ilen = pn + 1; /* leading 0x00: p's top bit is set */
  size_t body = 4 + ilen + 3;
  size_t o = 0;
  der[o++] = 0x30;
  der[o++] = 0x82;
  der[o++] = (unsigned char)(body >> 8);
  der[o++] = (unsigned char)body;
  der[o++] = 0x02;
  der[o++] = 0x82;
  der[o++] = (unsigned char)(ilen >> 8);
  der[o++] = (unsigned char)ilen;
  der[o++] = 0;
  memcpy(der + o, pb, pn);
  o += pn;
  der[o++] = 0x02;
  der[o++] = 1;
  der[o++] = (unsigned char)g;
  free(pb);
  gnutls_datum_t in = {der, (unsigned)o}, out = {NULL, 0};
  assert_int_equal(gnutls_pem_base64_encode2("DH PARAMETERS", &in, &out), 0);
  tt_write_file(path, out.data, out.size);
  gnutls_free(out.data);
}

/* nginx with three servers: static RSA + CBC-SHA1, DHE over RFC 2409's
 * 1024-bit group, DHE over a composite 2048-bit modulus. */
static void start_nginx(uint16_t ports[3]) {
  char d1[256], d2[256];
  tt_case_files_t c = tt_case_files("valid_rsa");
  mpz_t p;
  mpz_init(p);
  assert_int_equal(mpz_set_str(p, rfc2409_1024_hex, 16), 0);
  snprintf(d1, sizeof(d1), "%s/dh1024.pem", tt_dir);
  write_dhparam(d1, p, 2);
  composite2048(p);
  snprintf(d2, sizeof(d2), "%s/dhcomposite.pem", tt_dir);
  write_dhparam(d2, p, 2);
  mpz_clear(p);
  tt_free_ports(ports, 3);
  tt_nginx_http(
      &nginx_pid, ports, 3,
      " ssl_certificate %s; ssl_certificate_key %s; ssl_protocols TLSv1.2;\n"
      " server { listen 127.0.0.1:%u ssl; ssl_ciphers AES128-SHA:@SECLEVEL=0;"
      " location / { return 200 \"ok\\n\"; } }\n"
      " server { listen 127.0.0.1:%u ssl;"
      " ssl_ciphers DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0; ssl_dhparam %s;"
      " location / { return 200 \"ok\\n\"; } }\n"
      " server { listen 127.0.0.1:%u ssl;"
      " ssl_ciphers DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0; ssl_dhparam %s;"
      " location / { return 200 \"ok\\n\"; } }\n",
      c.chain, c.key, ports[0], ports[1], d1, ports[2], d2);
}

static void stop_nginx(void) {
  tt_stop_child(&nginx_pid);
}

static void test_kx_quality_nginx(void **state) {
  (void)state;
  uint16_t ports[3];
  start_nginx(ports);
  tt_opts_t t;

  /* AES128-SHA: static RSA, CBC, SHA-1 MAC. */
  tt_opts(&t, "localhost", ports[0]);
  tlsdiag_result_t *r = tt_check("localhost", &t.o);
  assert_rsa_cbc_findings(r);
  tlsdiag_result_free(r);

  /* RFC 2409's 1024-bit group (Logjam-era). */
  tt_opts(&t, "localhost", ports[1]);
  r = tt_check("localhost", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_TLS_WEAK_DH);
  long f = tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_WEAK_DH);
  assert_int_equal(f, 0);
  assert_int_equal(tlsdiag_result_finding_severity(r, 0),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(ev(r, 0, "bits"), "1024");
  assert_string_equal(ev(r, 0, "reason"), "small_prime");
  assert_string_equal(ev(r, 0, "well_known"), "true");
  assert_string_equal(ev(r, 0, "group"), "RFC 2409 group 2 (1024-bit MODP)");
  assert_string_equal(ev(r, 0, "suite"),
                      "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
  assert_string_equal(ev(r, 0, "safe_prime"), "true");
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_TLS_LEGACY_CIPHER),
                   -1);
  tlsdiag_result_free(r);

  /* A composite modulus: GnuTLS's client (and OpenSSL's) accept it. */
  char url[64];
  snprintf(url, sizeof(url), "https://localhost:%u/", ports[2]);
  char pin[64];
  snprintf(pin, sizeof(pin), "localhost:%u:127.0.0.1", ports[2]);
  char *out = NULL;
  int rc = tt_cli(&out, "check", "--json", "--cacert", tt_root, "--resolve",
                  pin, url, (char *)NULL);
  assert_int_equal(rc, 2);
  json_error_t err;
  json_t *j = json_loads(out, 0, &err);
  if (!j) fail_msg("invalid JSON: %s", out);
  assert_string_equal(tt_jstr(j, "cause"), "tls_weak_dh");
  assert_string_equal(tt_jstr(j, "findings.0.code"), "tls_weak_dh");
  assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
  json_t *e = tt_jget(j, "findings.0.evidence");
  assert_non_null(e);
  assert_string_equal(json_string_value(json_object_get(e, "reason")),
                      "composite_modulus");
  assert_int_equal(json_integer_value(json_object_get(e, "bits")), 2048);
  assert_true(json_is_false(json_object_get(e, "prime")));
  assert_true(json_is_false(json_object_get(e, "well_known")));
  json_decref(j);
  free(out);

  /* The CLI on the static-RSA server: Chrome cannot connect (exit 2,
   * tls_cipher_mismatch), and the two suite warnings. */
  snprintf(url, sizeof(url), "https://localhost:%u/", ports[0]);
  snprintf(pin, sizeof(pin), "localhost:%u:127.0.0.1", ports[0]);
  rc = tt_cli(&out, "check", "--json", "--cacert", tt_root, "--resolve", pin,
              url, (char *)NULL);
  assert_int_equal(rc, 2);
  j = json_loads(out, 0, &err);
  if (!j) fail_msg("invalid JSON: %s", out);
  assert_string_equal(tt_jstr(j, "cause"), "tls_cipher_mismatch");
  int seen = 0;
  json_t *fs = json_object_get(j, "findings");
  for (size_t i = 0; i < json_array_size(fs); i++) {
    const char *code =
        json_string_value(json_object_get(json_array_get(fs, i), "code"));
    const char *sev =
        json_string_value(json_object_get(json_array_get(fs, i), "severity"));
    if (!strcmp(code, "tls_no_forward_secrecy") ||
        !strcmp(code, "tls_legacy_cipher")) {
      assert_string_equal(sev, "warning");
      seen++;
    }
  }
  assert_int_equal(seen, 2);
  json_decref(j);
  free(out);
  stop_nginx();
}

static int teardown_all(void **state) {
  stop_nginx();
  return tt_teardown(state);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kx_quality_dh_analysis),
      cmocka_unit_test(test_kx_quality_classify_reasons),
      cmocka_unit_test(test_kx_quality_modern_server_clean),
      cmocka_unit_test(test_kx_quality_ffdhe2048_not_weak),
      cmocka_unit_test(test_kx_quality_static_rsa_cbc_tdserver),
      cmocka_unit_test(test_kx_quality_nginx),
  };
  return td_run_tests(tests, tt_setup, teardown_all);
}
