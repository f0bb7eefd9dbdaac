/* test_two_verdicts.c: every chain gets two verdicts (issue 12): tlsdiag's
 * path building ("browser") and GnuTLS's verification of the chain as
 * sent ("strict"); only path building succeeding is cert_path_browser_only
 * (a warning), GnuTLS rejecting for another reason fails closed
 * (cert_verifiers_disagree). */
#include "tdtest.h"

#include <gnutls/gnutls.h>

static int64_t at(void) { return tdcerts_now(tt_pki) + 60; }

/* The first PEM block of the valid case's chain (the leaf), into buf. */
static const char *valid_leaf(char *buf, size_t len) {
  const char *c = tt_case("valid")->chain_pem;
  const char *end = strstr(c, "-----END CERTIFICATE-----");
  assert_non_null(end);
  size_t n = (size_t)(end - c) + strlen("-----END CERTIFICATE-----\n");
  assert_true(n < len);
  memcpy(buf, c, n);
  buf[n] = '\0';
  return buf;
}

static tlsdiag_result_t *verify(const char *chain, const char *untrusted) {
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.now = at();
  o.cafile = tt_root;
  tlsdiag_verify_input_t in;
  tlsdiag_verify_input_init(&in);
  tlsdiag_blob_t cb = {chain, strlen(chain)};
  tlsdiag_blob_t ub = {untrusted, untrusted ? strlen(untrusted) : 0};
  in.chain = &cb;
  in.nchain = 1;
  if (untrusted) {
    in.untrusted = &ub;
    in.nuntrusted = 1;
  }
  in.host = "localhost";
  tlsdiag_result_t *r = NULL;
  assert_int_equal(tlsdiag_verify_chain(&in, &o, &r), TLSDIAG_OK);
  return r;
}

static long find(const tlsdiag_result_t *r, tlsdiag_cause_t c) {
  for (size_t i = 0; i < tlsdiag_result_finding_count(r); i++)
    if (tlsdiag_result_finding_code(r, i) == c) return (long)i;
  return -1;
}

/* The decision over the two verdicts, as a pure function. A real chain
 * that tlsdiag accepts and GnuTLS rejects for a non-path reason (a
 * self-issued CA under pathlen 0, tdcerts_self_issued, after x509-limbo's
 * pathlen::self-issued-certs-pathlen) is served on loopback in
 * test_hsts_update_verdicts.c and in the demo. */
static void test_two_verdicts_decision(void **state) {
  (void)state;
  unsigned nf = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
  assert_int_equal(td_two_verdicts(1, 1, 0), TD_TWO_OK);
  assert_int_equal(td_two_verdicts(0, 0, nf), TD_TWO_BOTH_FAIL);
  assert_int_equal(td_two_verdicts(1, 0, nf), TD_TWO_BROWSER_ONLY);
  assert_int_equal(td_two_verdicts(0, 1, 0), TD_TWO_STRICT_ONLY);
  /* anything but "no issuer" fails closed */
  assert_int_equal(td_two_verdicts(1, 0, GNUTLS_CERT_INVALID), TD_TWO_DISAGREE);
  assert_int_equal(
      td_two_verdicts(1, 0, nf | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE),
      TD_TWO_DISAGREE);
  assert_int_equal(
      td_two_verdicts(1, 0, GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNATURE_FAILURE),
      TD_TWO_DISAGREE);
  assert_int_equal(
      td_two_verdicts(1, 0, GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER),
      TD_TWO_DISAGREE);
  assert_int_equal(
      td_two_verdicts(1, 0, GNUTLS_CERT_INVALID | GNUTLS_CERT_PURPOSE_MISMATCH),
      TD_TWO_DISAGREE);
}

/* The intermediate is not sent but known (--untrusted, as a browser's
 * AIA fetch or cache): path building succeeds, the chain as sent does
 * not. A warning, with GnuTLS's status as evidence; the result is ok. */
static void test_two_verdicts_unsent_intermediate_browser_only(void **state) {
  (void)state;
  char leaf[16384];
  tlsdiag_result_t *r =
      verify(valid_leaf(leaf, sizeof(leaf)), tdcerts_intermediate_pem(tt_pki));
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  long i = find(r, TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY);
  assert_true(i >= 0);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_WARNING);
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "why"),
                      "intermediate_not_sent");
  assert_string_equal(
      tlsdiag_result_finding_evidence(r, (size_t)i, "strict_status"), "66");
  assert_non_null(strstr(tlsdiag_result_finding_evidence(r, (size_t)i, "strict"),
                         "issuer"));
  char *js = NULL;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &js, NULL),
                   TLSDIAG_OK);
  assert_non_null(strstr(js, "\"browser\":{\"ok\":true,\"reason\":null}"));
  assert_non_null(strstr(js, "\"strict\":{\"ok\":false,"));
  assert_non_null(strstr(js, "\"status\":66}"));
  tlsdiag_free(js);
  tlsdiag_result_free(r);
}

/* Neither finds the intermediate: both reject, no two-verdict finding.
 * (Offline, no AIA fetch can tell a missing intermediate from a missing
 * root: the leaf's issuer is unknown.) */
static void test_two_verdicts_both_reject(void **state) {
  (void)state;
  char leaf[16384];
  tlsdiag_result_t *r = verify(valid_leaf(leaf, sizeof(leaf)), NULL);
  assert_int_equal(tlsdiag_result_cause(r),
                   TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER);
  assert_int_equal(find(r, TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY), -1);
  assert_int_equal(find(r, TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE), -1);
  char *js = NULL;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &js, NULL),
                   TLSDIAG_OK);
  assert_non_null(strstr(js, "\"browser\":{\"ok\":false,"));
  assert_non_null(strstr(js, "\"strict\":{\"ok\":false,"));
  tlsdiag_free(js);
  tlsdiag_result_free(r);
}

/* The chain as sent, in order: both accept, nothing to say. */
static void test_two_verdicts_both_accept(void **state) {
  (void)state;
  tlsdiag_result_t *r = verify(tt_case("valid")->chain_pem, NULL);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  assert_int_equal(find(r, TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY), -1);
  char *js = NULL;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &js, NULL),
                   TLSDIAG_OK);
  assert_non_null(
      strstr(js, "\"strict\":{\"ok\":true,\"reason\":null,\"status\":0}"));
  tlsdiag_free(js);
  tlsdiag_result_free(r);
}

/* The same through the CLI: exit 0 (a warning), the cause in the JSON. */
static void test_two_verdicts_cli_browser_only(void **state) {
  (void)state;
  char leaf[16384], lp[512], ip[512], at_s[32];
  snprintf(lp, sizeof(lp), "%s/leaf.pem", tt_dir);
  snprintf(ip, sizeof(ip), "%s/inter.pem", tt_dir);
  tt_write_text(lp, valid_leaf(leaf, sizeof(leaf)));
  tt_write_text(ip, tdcerts_intermediate_pem(tt_pki));
  snprintf(at_s, sizeof(at_s), "@%lld", (long long)at());
  char *out = NULL;
  int rc = tt_cli(&out, "verify", "--json", "--host", "localhost", "--cacert",
                  tt_root, "--untrusted", ip, "--at", at_s, lp, NULL);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, "\"cert_path_browser_only\""));
  assert_non_null(strstr(out, "\"intermediate_not_sent\""));
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_two_verdicts_decision),
      cmocka_unit_test(test_two_verdicts_unsent_intermediate_browser_only),
      cmocka_unit_test(test_two_verdicts_both_reject),
      cmocka_unit_test(test_two_verdicts_both_accept),
      cmocka_unit_test(test_two_verdicts_cli_browser_only),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
