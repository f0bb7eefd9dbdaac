/* test_trust_limits.c: limits browsers apply to a chain (issue 12 items 4
 * and 5), each through the library (tlsdiag_verify_chain) and through
 * `tlsdiag verify --json` (exit code, cause, severity, evidence):
 * - a wildcard directly over an ICANN public suffix (Public Suffix List via
 *   libpsl: *.co.uk, *.com, a TLD the list lacks) never matches: a
 *   hostname mismatch naming the rule; a wildcard over a private-section
 *   suffix (*.s3.amazonaws.com, *.appspot.com) matches, as in Chromium;
 * - more than 6 intermediates (Firefox's limit) fail rule chain_depth,
 *   unless --max-depth sets the limit.
 * The PKI is generated here with GnuTLS at a fixed time. */
#include "tdtest.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define T0 ((int64_t)1767225600) /* 2026-01-01T00:00:00Z */
#define AT (T0 + 86400)
#define MAX_INTER 8

typedef struct {
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  char *pem;
} node_t;

static node_t root, inter[MAX_INTER];
static char dir[64], root_path[128];
static unsigned serial_next = 0x1001;

static void make_key(node_t *n) {
  assert_int_equal(gnutls_x509_privkey_init(&n->key), 0);
  assert_int_equal(gnutls_x509_privkey_generate(n->key, GNUTLS_PK_ECDSA,
                                                GNUTLS_CURVE_TO_BITS(
                                                    GNUTLS_ECC_CURVE_SECP256R1),
                                                0),
                   0);
}

static char *export_pem(gnutls_x509_crt_t c) {
  gnutls_datum_t d = {NULL, 0};
  assert_int_equal(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_PEM, &d), 0);
  char *s = strndup((const char *)d.data, d.size);
  gnutls_free(d.data);
  assert_non_null(s);
  return s;
}

/* A certificate for n, signed by issuer (NULL: self-signed), a CA or a
 * server leaf with the DNS names sans (NULL-terminated). */
static void make_cert(node_t *n, const node_t *issuer, const char *cn, int ca,
                      const char *const *sans) {
  gnutls_x509_crt_t c;
  unsigned char id[64], ser[4];
  size_t idlen = sizeof(id);
  assert_int_equal(gnutls_x509_crt_init(&c), 0);
  assert_int_equal(gnutls_x509_crt_set_version(c, 3), 0);
  unsigned s = serial_next++;
  for (int i = 0; i < 4; i++) ser[i] = (unsigned char)(s >> (24 - 8 * i));
  assert_int_equal(gnutls_x509_crt_set_serial(c, ser, sizeof(ser)), 0);
  gnutls_x509_crt_set_activation_time(c, (time_t)T0);
  gnutls_x509_crt_set_expiration_time(c, (time_t)(T0 + 365 * 86400));
  char dn[160];
  snprintf(dn, sizeof(dn), "O=tlsdiag trust limits,CN=%s", cn);
  assert_int_equal(gnutls_x509_crt_set_dn(c, dn, NULL), 0);
  assert_int_equal(gnutls_x509_crt_set_key(c, n->key), 0);
  assert_int_equal(gnutls_x509_crt_get_key_id(c, 0, id, &idlen), 0);
  assert_int_equal(gnutls_x509_crt_set_subject_key_id(c, id, idlen), 0);
  if (issuer) {
    idlen = sizeof(id);
    assert_int_equal(gnutls_x509_crt_get_subject_key_id(issuer->crt, id,
                                                        &idlen, NULL),
                     0);
    assert_int_equal(gnutls_x509_crt_set_authority_key_id(c, id, idlen), 0);
  }
  if (ca) {
    gnutls_x509_crt_set_basic_constraints(c, 1, -1);
    gnutls_x509_crt_set_key_usage(c, GNUTLS_KEY_KEY_CERT_SIGN |
                                         GNUTLS_KEY_CRL_SIGN);
  } else {
    gnutls_x509_crt_set_basic_constraints(c, 0, -1);
    gnutls_x509_crt_set_key_usage(c, GNUTLS_KEY_DIGITAL_SIGNATURE);
    gnutls_x509_crt_set_key_purpose_oid(c, GNUTLS_KP_TLS_WWW_SERVER, 0);
  }
  for (size_t i = 0; sans && sans[i]; i++)
    assert_int_equal(gnutls_x509_crt_set_subject_alt_name(
                         c, GNUTLS_SAN_DNSNAME, sans[i],
                         (unsigned)strlen(sans[i]), GNUTLS_FSAN_APPEND),
                     0);
  assert_int_equal(gnutls_x509_crt_sign2(c, issuer ? issuer->crt : c,
                                         issuer ? issuer->key : n->key,
                                         GNUTLS_DIG_SHA256, 0),
                   0);
  n->crt = c;
  n->pem = export_pem(c);
}

static void node_free(node_t *n) {
  if (n->crt) gnutls_x509_crt_deinit(n->crt);
  if (n->key) gnutls_x509_privkey_deinit(n->key);
  free(n->pem);
  memset(n, 0, sizeof(*n));
}

static int group_setup(void **state) {
  (void)state;
  snprintf(dir, sizeof(dir), "/tmp/tlsdiag-limits-XXXXXX");
  if (!mkdtemp(dir)) return -1;
  make_key(&root);
  make_cert(&root, NULL, "Limits Root", 1, NULL);
  for (int i = 0; i < MAX_INTER; i++) {
    char cn[32];
    snprintf(cn, sizeof(cn), "Limits Intermediate %d", i + 1);
    make_key(&inter[i]);
    make_cert(&inter[i], i ? &inter[i - 1] : &root, cn, 1, NULL);
  }
  snprintf(root_path, sizeof(root_path), "%s/root.pem", dir);
  FILE *f = fopen(root_path, "w");
  if (!f || fputs(root.pem, f) < 0 || fclose(f) != 0) return -1;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  node_free(&root);
  for (int i = 0; i < MAX_INTER; i++) node_free(&inter[i]);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* A leaf with sans under ninter intermediates: the chain as a server sends
 * it (leaf first, then the intermediates from the lowest up), malloc'd. */
static char *chain_with(size_t ninter, const char *const *sans) {
  node_t leaf;
  memset(&leaf, 0, sizeof(leaf));
  make_key(&leaf);
  make_cert(&leaf, ninter ? &inter[ninter - 1] : &root, "limits leaf", 0,
            sans);
  td_buf_t b;
  td_buf_init(&b);
  td_buf_append(&b, leaf.pem, strlen(leaf.pem));
  for (size_t i = ninter; i > 0; i--)
    td_buf_append(&b, inter[i - 1].pem, strlen(inter[i - 1].pem));
  node_free(&leaf);
  return td_buf_steal(&b, NULL);
}

typedef struct {
  int ok;
  tlsdiag_cause_t cause;
  tlsdiag_severity_t severity;
  const char *rule; /* evidence "rule" of the first finding, or NULL */
} want_t;

/* The library's verdict on chain for host (max_depth -1: none). */
static tlsdiag_result_t *api_verify(const char *chain, const char *host,
                                    int max_depth, const want_t *w) {
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.now = AT;
  o.cafile = root_path;
  tlsdiag_verify_input_t in;
  tlsdiag_verify_input_init(&in);
  tlsdiag_blob_t cb = {chain, strlen(chain)};
  in.chain = &cb;
  in.nchain = 1;
  in.host = host;
  in.max_depth = max_depth;
  tlsdiag_result_t *r = NULL;
  assert_int_equal(tlsdiag_verify_chain(&in, &o, &r), TLSDIAG_OK);
  assert_int_equal(tlsdiag_result_ok(r), w->ok);
  assert_int_equal(tlsdiag_result_cause(r), w->cause);
  if (!w->ok) {
    assert_int_equal(tlsdiag_result_finding_code(r, 0), w->cause);
    assert_int_equal(tlsdiag_result_finding_severity(r, 0), w->severity);
    const char *rule = tlsdiag_result_finding_evidence(r, 0, "rule");
    assert_non_null(rule);
    assert_string_equal(rule, w->rule);
  }
  return r;
}

/* The same through `tlsdiag verify --json`: one JSON line, exit 0 or 2;
 * returns the parsed report (its first finding checked against w). */
static json_t *cli_verify(const char *chain, const char *host, int max_depth,
                          const want_t *w) {
  char path[128], atbuf[32], depth[16];
  snprintf(path, sizeof(path), "%s/chain.pem", dir);
  tt_write_text(path, chain);
  snprintf(atbuf, sizeof(atbuf), "@%lld", (long long)AT);
  snprintf(depth, sizeof(depth), "%d", max_depth);
  char *out = NULL;
  int rc = max_depth < 0
               ? tt_cli(&out, "verify", "--json", path, "--cacert", root_path,
                        "--at", atbuf, "--host", host, NULL)
               : tt_cli(&out, "verify", "--json", path, "--cacert", root_path,
                        "--at", atbuf, "--host", host, "--max-depth", depth,
                        NULL);
  assert_int_equal(rc, w->ok ? 0 : 2);
  json_error_t err;
  json_t *j = json_loads(out, JSON_REJECT_DUPLICATES, &err);
  if (!j) fail_msg("invalid JSON (%s): %s", err.text, out);
  free(out);
  assert_int_equal(json_is_true(json_object_get(j, "ok")), w->ok);
  assert_string_equal(tt_jstr(j, "cause"), tlsdiag_cause_name(w->cause));
  if (!w->ok) {
    assert_string_equal(tt_jstr(j, "findings.0.code"),
                        tlsdiag_cause_name(w->cause));
    assert_string_equal(tt_jstr(j, "findings.0.severity"), "error");
    assert_string_equal(tt_jstr(j, "findings.0.evidence.rule"), w->rule);
  }
  return j;
}

static const want_t MISMATCH = {0, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                                TLSDIAG_SEVERITY_ERROR,
                                "wildcard_public_suffix"};
static const want_t OK = {1, TLSDIAG_CAUSE_OK, TLSDIAG_SEVERITY_INFO, NULL};

/* A wildcard directly over the public suffix `suffix` fails for host, in
 * both runs, with the wildcard, the suffix and the list named. */
static void wildcard_over_suffix_fails(const char *wildcard, const char *host,
                                       const char *suffix) {
  const char *sans[] = {wildcard, NULL};
  char *chain = chain_with(1, sans);
  tlsdiag_result_t *r = api_verify(chain, host, -1, &MISMATCH);
  assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "wildcard"),
                      wildcard);
  assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "public_suffix"),
                      suffix);
  assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "name"), host);
  assert_non_null(tlsdiag_result_finding_evidence(r, 0, "psl_source"));
  char msg[256];
  snprintf(msg, sizeof(msg),
           "the certificate is not valid for %s: its name %s is a wildcard "
           "directly over the public suffix %s, which browsers never match",
           host, wildcard, suffix);
  assert_string_equal(tlsdiag_result_finding_message(r, 0), msg);
  tlsdiag_result_free(r);
  json_t *j = cli_verify(chain, host, -1, &MISMATCH);
  assert_string_equal(tt_jstr(j, "findings.0.evidence.public_suffix"), suffix);
  assert_string_equal(tt_jstr(j, "findings.0.evidence.wildcard"), wildcard);
  assert_string_equal(tt_jstr(j, "findings.0.message"), msg);
  json_decref(j);
  free(chain);
}

/* chain is accepted for host, by the library and by the CLI. */
static void accepted(const char *chain, const char *host, int max_depth) {
  tlsdiag_result_free(api_verify(chain, host, max_depth, &OK));
  json_decref(cli_verify(chain, host, max_depth, &OK));
}

static void wildcard_matches(const char *wildcard, const char *host) {
  const char *sans[] = {wildcard, NULL};
  char *chain = chain_with(1, sans);
  accepted(chain, host, -1);
  free(chain);
}

/* *.co.uk: only the PSL knows co.uk is a suffix (two labels). GnuTLS
 * itself accepts the name: tlsdiag's rule stands. */
static void test_trust_limits_wildcard_co_uk_fails(void **state) {
  (void)state;
  wildcard_over_suffix_fails("*.co.uk", "example.co.uk", "co.uk");
}

static void test_trust_limits_wildcard_com_fails(void **state) {
  (void)state;
  wildcard_over_suffix_fails("*.com", "example.com", "com");
}

/* A TLD the list lacks counts as a suffix (the list's implicit "*" rule;
 * Chromium: INCLUDE_UNKNOWN_REGISTRIES). */
static void test_trust_limits_wildcard_unknown_tld_fails(void **state) {
  (void)state;
  wildcard_over_suffix_fails("*.tlsdiag-no-such-tld", "www.tlsdiag-no-such-tld",
                             "tlsdiag-no-such-tld");
}

/* Private-section suffixes: Chromium matches them on purpose, and AWS and
 * Google serve such wildcards. */
static void test_trust_limits_wildcard_private_suffix_matches(void **state) {
  (void)state;
  wildcard_matches("*.s3.amazonaws.com", "bucket.s3.amazonaws.com");
  wildcard_matches("*.appspot.com", "my-app.appspot.com");
}

/* The registrable domain under a multi-label suffix stays matchable. */
static void test_trust_limits_wildcard_below_suffix_matches(void **state) {
  (void)state;
  wildcard_matches("*.example.co.uk", "www.example.co.uk");
  wildcard_matches("*.a.tlsdiag-no-such-tld", "www.a.tlsdiag-no-such-tld");
}

/* 6 intermediates: what Firefox still accepts. */
static void test_trust_limits_six_intermediates_ok(void **state) {
  (void)state;
  const char *sans[] = {"deep.example", NULL};
  char *chain = chain_with(6, sans);
  accepted(chain, "deep.example", -1);
  free(chain);
}

/* 7 intermediates: Firefox builds no path (MAX_SUBCA_COUNT 6); GnuTLS
 * (16) and Chromium accept, so the rule is tlsdiag's, with GnuTLS's
 * verdict as evidence. */
static void test_trust_limits_seven_intermediates_fail(void **state) {
  (void)state;
  const char *sans[] = {"deep.example", NULL};
  want_t w = {0, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
              "chain_depth"};
  char *chain = chain_with(7, sans);
  tlsdiag_result_t *r = api_verify(chain, "deep.example", -1, &w);
  assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "max_intermediates"),
                      "6");
  assert_string_equal(
      tlsdiag_result_finding_evidence(r, 0, "path_certificates"), "9");
  assert_string_equal(tlsdiag_result_finding_message(r, 0),
                      "the path has 7 intermediate certificates between the "
                      "leaf and the trust anchor; Firefox accepts at most 6 "
                      "(Chromium has no fixed limit, GnuTLS 16 certificates)");
  assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "gnutls"),
                      "accepts the chain as sent");
  tlsdiag_result_free(r);
  json_t *j = cli_verify(chain, "deep.example", -1, &w);
  json_t *mi = tt_jget(j, "findings.0.evidence.max_intermediates");
  assert_true(json_is_integer(mi));
  assert_int_equal(json_integer_value(mi), 6);
  assert_true(json_is_true(tt_jget(j, "tls.verify.strict.ok")));
  assert_true(json_is_false(tt_jget(j, "tls.verify.browser.ok")));
  json_decref(j);
  free(chain);
}

/* --max-depth replaces the browsers' limit, in both directions. */
static void test_trust_limits_max_depth_option_replaces_limit(void **state) {
  (void)state;
  const char *sans[] = {"deep.example", NULL};
  want_t w = {0, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
              "max_depth"};
  char *chain = chain_with(7, sans);
  accepted(chain, "deep.example", 7);
  tlsdiag_result_t *r = api_verify(chain, "deep.example", 3, &w);
  assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "max_intermediates"),
                      "3");
  tlsdiag_result_free(r);
  json_decref(cli_verify(chain, "deep.example", 3, &w));
  free(chain);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trust_limits_wildcard_co_uk_fails),
      cmocka_unit_test(test_trust_limits_wildcard_com_fails),
      cmocka_unit_test(test_trust_limits_wildcard_unknown_tld_fails),
      cmocka_unit_test(test_trust_limits_wildcard_private_suffix_matches),
      cmocka_unit_test(test_trust_limits_wildcard_below_suffix_matches),
      cmocka_unit_test(test_trust_limits_six_intermediates_ok),
      cmocka_unit_test(test_trust_limits_seven_intermediates_fail),
      cmocka_unit_test(test_trust_limits_max_depth_option_replaces_limit),
  };
  return td_run_tests(tests, group_setup, group_teardown);
}
