/* test_aia.c: a leaf sent without its issuer (issue 11): the issuer
 * fetched from the AIA caIssuers URL (DER, PKCS#7, failures, limits,
 * cache, --no-aia) decides between cert_incomplete_chain,
 * cert_untrusted_issuer and cert_unknown_issuer; and roots whose private
 * key is public (cert_compromised_issuer). */
#include "tdtest.h"
#include "tdhttp.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/pkcs7.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define DATA TD_SOURCE_DIR "/tests/data/compromised"


/* SHA-256 of the SubjectPublicKeyInfo, computed apart from chain.c:
 * the public key exported as DER and hashed. */
static void spki_hex(const char *pem, char out[65]) {
  gnutls_x509_crt_t crt;
  gnutls_pubkey_t pk;
  gnutls_datum_t d = {(unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem)};
  assert_int_equal(gnutls_x509_crt_init(&crt), 0);
  assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
  assert_int_equal(gnutls_pubkey_init(&pk), 0);
  assert_int_equal(gnutls_pubkey_import_x509(pk, crt, 0), 0);
  gnutls_datum_t spki = {NULL, 0};
  assert_int_equal(gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &spki), 0);
  unsigned char h[32];
  assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, h),
                   0);
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", h[i]);
  gnutls_free(spki.data);
  gnutls_pubkey_deinit(pk);
  gnutls_x509_crt_deinit(crt);
}

static tlsdiag_result_t *verify_pem(const char *pem, const char *host) {
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.now = tdcerts_now(tt_pki) + 60;
  o.cafile = tt_root;
  tlsdiag_verify_input_t in;
  tlsdiag_verify_input_init(&in);
  tlsdiag_blob_t chain = {pem, strlen(pem)};
  in.chain = &chain;
  in.nchain = 1;
  in.host = host;
  tlsdiag_result_t *r = NULL;
  assert_int_equal(tlsdiag_verify_chain(&in, &o, &r), TLSDIAG_OK);
  return r;
}

/* ---- compromised roots ------------------------------------------------- */

/* The match is a pure lookup over the table it is given: a generated
 * root matches a test table holding its SPKI hash, and nothing else. */
static void test_aia_compromised_match_is_pure(void **state) {
  (void)state;
  char h[65], other[65];
  spki_hex(tdcerts_unknown_root_pem(tt_pki), h);
  spki_hex(tdcerts_root_pem(tt_pki), other);
  const td_bad_root_t table[] = {{"Test Leaked Root", h}};
  const td_bad_root_t *m = td_bad_root_match(h, table, 1);
  assert_non_null(m);
  assert_string_equal(m->name, "Test Leaked Root");
  assert_null(td_bad_root_match(other, table, 1));
  assert_null(td_bad_root_match("", table, 1));
  assert_null(td_bad_root_match(NULL, table, 1));
  /* the generated root is in no real table */
  assert_null(td_bad_root_match(h, td_bad_roots, td_nbad_roots));
}

/* The hashes in lib/compromised.c are those of the real certificates
 * (tests/data/compromised/SOURCE), computed here independently. */
static void test_aia_compromised_table_matches_real_certs(void **state) {
  (void)state;
  const char *files[] = {DATA "/superfish.pem", DATA "/edellroot.pem",
                         DATA "/preact-cli.pem"};
  const char *names[] = {"Superfish", "eDellRoot", "preact-cli"};
  for (int i = 0; i < 3; i++) {
    char *pem = tt_read_file_or_fail(files[i]);
    char h[65];
    spki_hex(pem, h);
    const td_bad_root_t *m = td_bad_root_match(h, td_bad_roots, td_nbad_roots);
    if (!m) fail_msg("%s: SPKI %s not in the table", files[i], h);
    assert_string_equal(m->name, names[i]);
    free(pem);
  }
}

/* Superfish's root as the chain: cert_compromised_issuer wins over
 * "self-signed", with its evidence, through the API and the CLI. */
static void test_aia_compromised_superfish_cause(void **state) {
  (void)state;
  char *pem = tt_read_file_or_fail(DATA "/superfish.pem");
  tlsdiag_result_t *r = verify_pem(pem, "superfish.example");
  assert_int_equal(tlsdiag_result_cause(r),
                   TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER);
  assert_int_equal(TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, 48); /* stable */
  long i = tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(
      tt_ev(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, "compromised_root"),
      "Superfish");
  assert_string_equal(
      tt_ev(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, "spki_sha256"),
      "4bb8f35ba1e126f8dde1b0c420625ed86dce61a7bddadbdea9aba578ff13145e");
  assert_string_equal(
      tt_ev(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, "chain_index"), "0");
  assert_string_equal(
      tt_ev(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, "trusted_locally"), "0");
  tlsdiag_result_free(r);
  free(pem);

  char *out = NULL;
  int rc = tt_cli(&out, "verify", "--json", "--cacert", tt_root, "--host",
                  "superfish.example", DATA "/superfish.pem", (char *)NULL);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "\"cause\":\"cert_compromised_issuer\""));
  assert_non_null(strstr(out, "\"compromised_root\":\"Superfish\""));
  free(out);
}

/* An ordinary root matches nothing: no false alarm. */
static void test_aia_compromised_not_for_ordinary_roots(void **state) {
  (void)state;
  tlsdiag_result_t *r =
      verify_pem(tt_case("valid")->chain_pem, "localhost");
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_true(tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER) <
              0);
  tlsdiag_result_free(r);
}

/* ---- the AIA fetch ------------------------------------------------------ */

/* A certs-only PKCS#7 holding pem's certificate. */
static unsigned char *p7_of(const char *pem, size_t *len) {
  gnutls_pkcs7_t p7;
  gnutls_x509_crt_t crt;
  gnutls_datum_t in = {(unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem)};
  assert_int_equal(gnutls_pkcs7_init(&p7), 0);
  assert_int_equal(gnutls_x509_crt_init(&crt), 0);
  assert_int_equal(gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM), 0);
  assert_int_equal(gnutls_pkcs7_set_crt(p7, crt), 0);
  gnutls_datum_t out = {NULL, 0};
  assert_int_equal(gnutls_pkcs7_export2(p7, GNUTLS_X509_FMT_DER, &out), 0);
  unsigned char *d = malloc(out.size);
  memcpy(d, out.data, out.size);
  *len = out.size;
  gnutls_free(out.data);
  gnutls_x509_crt_deinit(crt);
  gnutls_pkcs7_deinit(p7);
  return d;
}

/* The leaf-only server and options for a check of it, its AIA host
 * aia.tlsdiag.test:80 sent to the loopback HTTP server on aia_port by
 * connect_to. Filled in place: t and rules point into it. */
typedef struct {
  tdserver_t *s;
  tt_opts_t t;
  char rule[96];
  const char *rules[2];
} leaf_only_t;

static void leaf_only_start(leaf_only_t *lo, uint16_t aia_port) {
  lo->s = tt_server(TDS_HTTP, "no_intermediate");
  tt_opts(&lo->t, "incomplete.tlsdiag.test", tdserver_port(lo->s));
  snprintf(lo->rule, sizeof(lo->rule), "aia.tlsdiag.test:80:127.0.0.1:%u",
           aia_port);
  lo->rules[0] = lo->rule;
  lo->rules[1] = NULL;
  lo->t.o.connect_to = lo->rules;
}

/* One check of the leaf-only server (each tlsdiag_check has an AIA cache
 * of its own). */
static tlsdiag_result_t *check_leaf_only(uint16_t aia_port, unsigned flags,
                                         int max_time_ms) {
  leaf_only_t lo;
  leaf_only_start(&lo, aia_port);
  lo.t.o.flags |= flags;
  if (max_time_ms) lo.t.o.max_time_ms = max_time_ms;
  tlsdiag_result_t *r = tt_check("incomplete.tlsdiag.test", &lo.t.o);
  tdserver_stop(lo.s);
  return r;
}

/* The AIA server answering 200 with the test intermediate in DER. */
static void serve_intermediate(tt_http_t *h) {
  size_t len;
  unsigned char *der = tt_der_of(tdcerts_intermediate_pem(tt_pki), &len);
  tt_http_start(h, 200, der, len);
  free(der);
}

static void expect_cause(const tlsdiag_result_t *r, tlsdiag_cause_t want) {
  if (tlsdiag_result_cause(r) != want)
    fail_msg("cause %s, expected %s (%s)",
             tlsdiag_cause_name(tlsdiag_result_cause(r)),
             tlsdiag_cause_name(want),
             tlsdiag_result_finding_count(r)
                 ? tlsdiag_result_finding_message(r, 0)
                 : "no findings");
}

#define URL "http://aia.tlsdiag.test/intermediate.der"

static void expect_served_intermediate(const void *body, size_t len) {
  tt_http_t h;
  tt_http_start(&h, 200, body, len);
  tlsdiag_result_t *r = check_leaf_only(h.port, 0, 0);
  expect_cause(r, TLSDIAG_CAUSE_CERT_INCOMPLETE_CHAIN);
  tlsdiag_cause_t k = TLSDIAG_CAUSE_CERT_INCOMPLETE_CHAIN;
  assert_string_equal(tt_ev(r, k, "aia_outcome"), "intermediate");
  assert_string_equal(tt_ev(r, k, "aia_url"), URL);
  assert_string_equal(tt_ev(r, k, "aia_status"), "200");
  char n[32];
  snprintf(n, sizeof(n), "%zu", len);
  assert_string_equal(tt_ev(r, k, "aia_bytes"), n);
  assert_string_equal(tt_ev(r, k, "aia_cached"), "0");
  assert_non_null(strstr(tt_ev(r, k, "add_to_chain"),
                         "tlsdiag Test Intermediate CA"));
  assert_non_null(strstr(tt_ev(r, k, "clients_that_fail"), "curl"));
  assert_true(atoi(tt_ev(r, k, "aia_ms")) >= 0);
  assert_int_equal(__atomic_load_n(&h.requests, __ATOMIC_SEQ_CST), 1);
  tlsdiag_result_free(r);
  tt_http_stop(&h);
}

static void test_aia_der_intermediate_proves_incomplete_chain(void **state) {
  (void)state;
  size_t len;
  unsigned char *der = tt_der_of(tdcerts_intermediate_pem(tt_pki), &len);
  expect_served_intermediate(der, len);
  free(der);
}

static void test_aia_pkcs7_intermediate_proves_incomplete_chain(void **state) {
  (void)state;
  size_t len;
  unsigned char *p7 = p7_of(tdcerts_intermediate_pem(tt_pki), &len);
  expect_served_intermediate(p7, len);
  free(p7);
}

/* Every failure leaves the question open: cert_unknown_issuer, with what
 * the fetch saw. */
static void expect_unknown(uint16_t port, unsigned flags, int max_time_ms,
                           const char *outcome, const char *error_part) {
  tlsdiag_result_t *r = check_leaf_only(port, flags, max_time_ms);
  expect_cause(r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER);
  tlsdiag_cause_t k = TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER;
  long i = tlsdiag_result_find(r, k);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tt_ev(r, k, "aia_outcome"), outcome);
  assert_non_null(strstr(tt_ev(r, k, "missing_issuer"),
                         "tlsdiag Test Intermediate CA"));
  assert_non_null(strstr(tt_ev(r, k, "remedy_server"), "intermediate"));
  assert_non_null(strstr(tt_ev(r, k, "remedy_client"), "trust store"));
  if (error_part) assert_non_null(strstr(tt_ev(r, k, "aia_error"), error_part));
  tlsdiag_result_free(r);
}

static void test_aia_404_is_unknown_issuer(void **state) {
  (void)state;
  tt_http_t h;
  tt_http_start(&h, 404, "no", 2);
  expect_unknown(h.port, 0, 0, "failed", "HTTP status 404");
  tt_http_stop(&h);
}

static void test_aia_garbage_is_unknown_issuer(void **state) {
  (void)state;
  tt_http_t h;
  tt_http_start(&h, 200, "this is not a certificate", 25);
  expect_unknown(h.port, 0, 0, "unparsable", NULL);
  tt_http_stop(&h);
}

static void test_aia_too_large_is_unknown_issuer(void **state) {
  (void)state;
  size_t big = 64 * 1024 + 1;
  char *junk = calloc(1, big);
  tt_http_t h;
  tt_http_start(&h, 200, junk, big);
  expect_unknown(h.port, 0, 0, "failed", "64 KiB");
  tt_http_stop(&h);
  free(junk);
}

/* A server that never answers: the check still ends by its max_time. */
static void test_aia_silent_server_bounded_by_deadline(void **state) {
  (void)state;
  tt_http_t h;
  tt_http_start(&h, 200, "", 0);
  h.silent = 1;
  int64_t t0 = td_mono_us();
  expect_unknown(h.port, 0, 1500, "failed", "timed out");
  assert_true((double)(td_mono_us() - t0) / 1000.0 < td_upper_ms(4000));
  tt_http_stop(&h);
}

static void test_aia_no_aia_flag_fetches_nothing(void **state) {
  (void)state;
  tt_http_t h;
  serve_intermediate(&h);
  expect_unknown(h.port, TLSDIAG_F_NO_AIA, 0, "disabled", NULL);
  assert_int_equal(__atomic_load_n(&h.requests, __ATOMIC_SEQ_CST), 0);
  tt_http_stop(&h);
}

/* An embedder's address filter (tlsdiag serve --allow-target) judges the
 * AIA host too: the server's certificate names the URL, so a hostile
 * target must not steer a request past the allowlist. */
static int refuse_port(const char *addr, uint16_t port, void *data) {
  (void)addr;
  return port != *(const uint16_t *)data;
}

static void test_aia_address_filter_applies(void **state) {
  (void)state;
  tt_http_t h;
  serve_intermediate(&h);
  leaf_only_t lo;
  leaf_only_start(&lo, h.port);
  uint16_t refused = h.port;
  lo.t.o.address_filter = refuse_port;
  lo.t.o.address_filter_data = &refused;
  tlsdiag_result_t *r = tt_check("incomplete.tlsdiag.test", &lo.t.o);
  tdserver_stop(lo.s);
  expect_cause(r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER);
  tlsdiag_cause_t k = TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER;
  assert_string_equal(tt_ev(r, k, "aia_outcome"), "failed");
  assert_non_null(strstr(tt_ev(r, k, "aia_error"), "address filter"));
  assert_int_equal(__atomic_load_n(&h.requests, __ATOMIC_SEQ_CST), 0);
  tlsdiag_result_free(r);
  tt_http_stop(&h);
}

/* Two checks of one engine (as a sweep makes) needing the same
 * intermediate: one fetch, the other says it used the cache. The cache is
 * the engine's: two tlsdiag_check calls share nothing, each fetches. */
static void collect(tlsdiag_result_t *r, void *user, void *data) {
  (void)user;
  tlsdiag_result_t **got = data;
  if (!got[0]) got[0] = r;
  else got[1] = r;
}

static void test_aia_same_url_fetched_once(void **state) {
  (void)state;
  tt_http_t h;
  serve_intermediate(&h);
  leaf_only_t lo;
  leaf_only_start(&lo, h.port);
  tlsdiag_result_t *got[2] = {NULL, NULL};
  tlsdiag_multi_t *m = NULL;
  assert_int_equal(tlsdiag_multi_new(2, collect, got, &m), TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_add(m, "incomplete.tlsdiag.test", &lo.t.o,
                                     NULL), TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_add(m, "incomplete.tlsdiag.test", &lo.t.o,
                                     NULL), TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  tlsdiag_multi_free(m);
  tdserver_stop(lo.s);
  tlsdiag_cause_t k = TLSDIAG_CAUSE_CERT_INCOMPLETE_CHAIN;
  expect_cause(got[0], k);
  expect_cause(got[1], k);
  int cached = atoi(tt_ev(got[0], k, "aia_cached")) +
               atoi(tt_ev(got[1], k, "aia_cached"));
  assert_int_equal(cached, 1);
  assert_int_equal(__atomic_load_n(&h.requests, __ATOMIC_SEQ_CST), 1);
  tlsdiag_result_free(got[0]);
  tlsdiag_result_free(got[1]);

  tlsdiag_result_t *a = check_leaf_only(h.port, 0, 0);
  tlsdiag_result_t *b = check_leaf_only(h.port, 0, 0);
  expect_cause(a, k);
  expect_cause(b, k);
  assert_string_equal(tt_ev(a, k, "aia_cached"), "0");
  assert_string_equal(tt_ev(b, k, "aia_cached"), "0");
  assert_int_equal(__atomic_load_n(&h.requests, __ATOMIC_SEQ_CST), 3);
  tlsdiag_result_free(a);
  tlsdiag_result_free(b);
  tt_http_stop(&h);
}

/* The CLI: --connect-to and --no-aia, cause and exit code. */
static void test_aia_cli(void **state) {
  (void)state;
  tt_http_t h;
  serve_intermediate(&h);
  tdserver_t *s = tt_server(TDS_HTTP, "no_intermediate");
  char pin[96], rule[96], port[64];
  snprintf(pin, sizeof(pin), "incomplete.tlsdiag.test:%u:127.0.0.1",
           tdserver_port(s));
  snprintf(rule, sizeof(rule), "aia.tlsdiag.test:80:127.0.0.1:%u", h.port);
  snprintf(port, sizeof(port), "incomplete.tlsdiag.test:%u", tdserver_port(s));
  char *out = NULL;
  int rc = tt_cli(&out, "check", "--json", "--cacert", tt_root, "--resolve",
                  pin, "--connect-to", rule, port, (char *)NULL);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "\"cause\":\"cert_incomplete_chain\""));
  assert_non_null(strstr(out, "\"aia_outcome\":\"intermediate\""));
  free(out);
  rc = tt_cli(&out, "check", "--json", "--no-aia", "--cacert", tt_root,
              "--resolve", pin, "--connect-to", rule, port, (char *)NULL);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "\"cause\":\"cert_unknown_issuer\""));
  free(out);
  tdserver_stop(s);
  tt_http_stop(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aia_compromised_match_is_pure),
      cmocka_unit_test(test_aia_compromised_table_matches_real_certs),
      cmocka_unit_test(test_aia_compromised_superfish_cause),
      cmocka_unit_test(test_aia_compromised_not_for_ordinary_roots),
      cmocka_unit_test(test_aia_der_intermediate_proves_incomplete_chain),
      cmocka_unit_test(test_aia_pkcs7_intermediate_proves_incomplete_chain),
      cmocka_unit_test(test_aia_404_is_unknown_issuer),
      cmocka_unit_test(test_aia_garbage_is_unknown_issuer),
      cmocka_unit_test(test_aia_too_large_is_unknown_issuer),
      cmocka_unit_test(test_aia_silent_server_bounded_by_deadline),
      cmocka_unit_test(test_aia_no_aia_flag_fetches_nothing),
      cmocka_unit_test(test_aia_same_url_fetched_once),
      cmocka_unit_test(test_aia_address_filter_applies),
      cmocka_unit_test(test_aia_cli),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
