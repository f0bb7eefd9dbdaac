/* test_aia.c: a leaf sent without its issuer (issue 11): the issuer
 * fetched from the AIA caIssuers URL (DER, PKCS#7, failures, limits,
 * cache, --no-aia) decides between cert_incomplete_chain,
 * cert_untrusted_issuer and cert_unknown_issuer; and roots whose private
 * key is public (cert_compromised_issuer). */
#include "tdtest.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define DATA TD_SOURCE_DIR "/tests/data/compromised"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  td_buf_t b;
  td_buf_init(&b);
  char tmp[4096];
  size_t n;
  while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) td_buf_append(&b, tmp, n);
  fclose(f);
  return td_buf_steal(&b, NULL);
}

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

static const char *ev(const tlsdiag_result_t *r, tlsdiag_cause_t code,
                      const char *key) {
  long i = tlsdiag_result_find(r, code);
  if (i < 0) fail_msg("no finding %s", tlsdiag_cause_name(code));
  const char *v = tlsdiag_result_finding_evidence(r, (size_t)i, key);
  if (!v) fail_msg("%s has no evidence %s", tlsdiag_cause_name(code), key);
  return v;
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
  const char *files[] = {DATA "/superfish.pem", DATA "/edellroot.pem"};
  const char *names[] = {"Superfish", "eDellRoot"};
  for (int i = 0; i < 2; i++) {
    char *pem = slurp(files[i]);
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
  char *pem = slurp(DATA "/superfish.pem");
  tlsdiag_result_t *r = verify_pem(pem, "superfish.example");
  assert_int_equal(tlsdiag_result_cause(r),
                   TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER);
  assert_int_equal(TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, 45);
  long i = tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(
      ev(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, "compromised_root"),
      "Superfish");
  assert_string_equal(
      ev(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, "spki_sha256"),
      "4bb8f35ba1e126f8dde1b0c420625ed86dce61a7bddadbdea9aba578ff13145e");
  assert_string_equal(
      ev(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, "chain_index"), "0");
  assert_string_equal(
      ev(r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, "trusted_locally"), "0");
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aia_compromised_match_is_pure),
      cmocka_unit_test(test_aia_compromised_table_matches_real_certs),
      cmocka_unit_test(test_aia_compromised_superfish_cause),
      cmocka_unit_test(test_aia_compromised_not_for_ordinary_roots),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
