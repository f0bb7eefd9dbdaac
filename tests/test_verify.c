/* test_verify.c: offline verification (tlsdiag_verify_chain, the verifier
 * handle and `tlsdiag verify`) on the files testcerts makes: every
 * certificate cause through the library API and through the CLI (--json
 * parsed with jansson, exit codes), path building over unordered and extra
 * intermediates, CRLs, names, time, purpose and depth, and hostile input
 * (broken PEM, keys, junk, dangling links, directories). */
#include "tdtest.h"

#include <fcntl.h>

#include <gnutls/gnutls.h>

#define DAY 86400

static char path_buf[8][256];
static int path_next;

/* tt_dir/name, in one of a few rotating buffers */
static const char *P(const char *name) {
  char *b = path_buf[path_next++ % 8];
  snprintf(b, sizeof(path_buf[0]), "%s/%s", tt_dir, name);
  return b;
}


static int64_t at(void) { return tdcerts_now(tt_pki) + 60; }

/* ---- the library ----------------------------------------------------- */

typedef struct {
  const char *chain;      /* PEM text (leaf first) */
  const char *host;
  const char *untrusted;  /* PEM text or NULL */
  const char *crl;        /* PEM text or NULL */
  int64_t now_offset;
  tlsdiag_purpose_t purpose;
  int max_depth;
  int expiring_within;
  const char *cafile;     /* NULL: the test root */
} vin_t;

static tlsdiag_result_t *verify(const vin_t *v) {
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.now = at() + v->now_offset;
  o.cafile = v->cafile ? v->cafile : tt_root;
  tlsdiag_verify_input_t in;
  tlsdiag_verify_input_init(&in);
  tlsdiag_blob_t chain = {v->chain, strlen(v->chain)};
  tlsdiag_blob_t un = {v->untrusted, v->untrusted ? strlen(v->untrusted) : 0};
  tlsdiag_blob_t crl = {v->crl, v->crl ? strlen(v->crl) : 0};
  in.chain = &chain;
  in.nchain = 1;
  if (v->untrusted) {
    in.untrusted = &un;
    in.nuntrusted = 1;
  }
  if (v->crl) {
    in.crls = &crl;
    in.ncrls = 1;
  }
  in.host = v->host;
  in.purpose = v->purpose;
  in.max_depth = v->max_depth ? v->max_depth : -1;
  if (v->max_depth == -2) in.max_depth = 0;
  in.expiring_within_days = v->expiring_within ? v->expiring_within : -1;
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t e = tlsdiag_verify_chain(&in, &o, &r);
  if (e != TLSDIAG_OK) fail_msg("tlsdiag_verify_chain: %s", tlsdiag_strerror(e));
  return r;
}

static const char *chain_of(const char *cname) { return tt_case(cname)->chain_pem; }

static void expect_cause(tlsdiag_result_t *r, tlsdiag_cause_t want) {
  if (tlsdiag_result_cause(r) != want)
    fail_msg("cause %s, expected %s (%s)",
             tlsdiag_cause_name(tlsdiag_result_cause(r)),
             tlsdiag_cause_name(want),
             tlsdiag_result_finding_count(r) ? tlsdiag_result_finding_message(r, 0)
                                             : "no findings");
}

/* Every certificate cause, through the API: the same case table as the
 * live diagnosis (test_diagnose.c), so one verifier serves both. */
typedef struct {
  const char *cname;
  const char *host;
  tlsdiag_cause_t cause;
} cause_case_t;

static const cause_case_t causes[] = {
    {"valid", "localhost", TLSDIAG_CAUSE_OK},
    {"valid_rsa", "rsa.tlsdiag.test", TLSDIAG_CAUSE_OK},
    {"idn", "b\xc3\xbc" "cher.tlsdiag.test", TLSDIAG_CAUSE_OK},
    {"wildcard", "a.wild.tlsdiag.test", TLSDIAG_CAUSE_OK},
    {"with_root", "with-root.tlsdiag.test", TLSDIAG_CAUSE_OK},
    {"expiring_soon", "soon.tlsdiag.test", TLSDIAG_CAUSE_OK},
    {"expired", "expired.tlsdiag.test", TLSDIAG_CAUSE_CERT_EXPIRED},
    {"not_yet_valid", "future.tlsdiag.test", TLSDIAG_CAUSE_CERT_NOT_YET_VALID},
    {"self_signed", "self-signed.tlsdiag.test", TLSDIAG_CAUSE_CERT_SELF_SIGNED},
    {"unknown_root", "unknown-root.tlsdiag.test",
     TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER},
    {"no_intermediate", "incomplete.tlsdiag.test",
     TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER},
    {"wrong_host", "wrong-host.tlsdiag.test",
     TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH},
    {"cn_only", "cn-only.tlsdiag.test", TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH},
    {"rsa1024", "weak-key.tlsdiag.test", TLSDIAG_CAUSE_CERT_WEAK_KEY},
    {"sha1", "sha1.tlsdiag.test", TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE},
};
#define NCAUSES (sizeof(causes) / sizeof(causes[0]))

static void test_verify_every_cause_library(void **state) {
  (void)state;
  for (size_t i = 0; i < NCAUSES; i++) {
    vin_t v = {.chain = chain_of(causes[i].cname), .host = causes[i].host};
    tlsdiag_result_t *r = verify(&v);
    if (tlsdiag_result_cause(r) != causes[i].cause)
      fail_msg("%s: cause %s, expected %s (%s)", causes[i].cname,
               tlsdiag_cause_name(tlsdiag_result_cause(r)),
               tlsdiag_cause_name(causes[i].cause),
               tlsdiag_result_finding_count(r)
                   ? tlsdiag_result_finding_message(r, 0) : "-");
    /* no network phase ran; the chain is reported */
    for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++)
      assert_int_equal(tlsdiag_result_phase_status(r, (tlsdiag_phase_t)p),
                       TLSDIAG_STATUS_NOT_RUN);
    assert_true(tlsdiag_result_chain_length(r) >= 1);
    json_t *j = tt_json(r);
    assert_string_equal(tt_jstr(j, "cause"), tlsdiag_cause_name(causes[i].cause));
    assert_true(json_is_object(tt_jget(j, "tls.verify")));
    json_decref(j);
    tlsdiag_result_free(r);
  }
}

static void test_verify_expired_evidence(void **state) {
  (void)state;
  vin_t v = {.chain = chain_of("expired"), .host = "expired.tlsdiag.test"};
  tlsdiag_result_t *r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_CERT_EXPIRED);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_CERT_EXPIRED, "days"), "-10");
  char want[32];
  td_time_iso(tdcerts_now(tt_pki) - 10 * DAY, want);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_CERT_EXPIRED, "not_after"), want);
  assert_int_equal(tlsdiag_result_chain_length(r), 2);
  tlsdiag_result_free(r);
}

/* The clock override: 200 days on, the valid leaf has expired. */
static void test_verify_at_time(void **state) {
  (void)state;
  vin_t v = {.chain = chain_of("valid"), .host = "localhost",
             .now_offset = 200 * DAY};
  tlsdiag_result_t *r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_CERT_EXPIRED);
  tlsdiag_result_free(r);
  vin_t early = {.chain = chain_of("not_yet_valid"),
                 .host = "future.tlsdiag.test", .now_offset = 11 * DAY};
  r = verify(&early);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
}

static void test_verify_untrusted_issuer_evidence(void **state) {
  (void)state;
  vin_t v = {.chain = chain_of("unknown_root"), .host = "unknown-root.tlsdiag.test"};
  tlsdiag_result_t *r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER);
  assert_non_null(strstr(tt_ev(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER, "missing_issuer"),
                         "tlsdiag Unknown Root CA"));
  tlsdiag_result_free(r);
}

/* A missing intermediate, then the same leaf with the intermediate given
 * as an untrusted extra: the path is built from it. */
static void test_verify_incomplete_then_built_from_untrusted(void **state) {
  (void)state;
  vin_t v = {.chain = chain_of("no_intermediate"), .host = "incomplete.tlsdiag.test"};
  tlsdiag_result_t *r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER, "aia_ca_issuers"),
                      "http://aia.tlsdiag.test/intermediate.der");
  tlsdiag_result_free(r);
  v.untrusted = tdcerts_intermediate_pem(tt_pki);
  r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  /* the intermediate found in the pool is on the reported path */
  assert_int_equal(tlsdiag_result_chain_length(r), 2);
  assert_non_null(strstr(tlsdiag_result_cert_field(r, 1, "subject"),
                         "Intermediate CA"));
  tlsdiag_result_free(r);
}

/* Unordered and extra certificates: root first, an unrelated CA, then
 * the intermediate. The path is found; chain[] lists it first. */
static void test_verify_unordered_chain_with_extras(void **state) {
  (void)state;
  const tdcerts_case_t *c = tt_case("valid");
  const char *leaf_end = strstr(c->chain_pem, "-----END CERTIFICATE-----");
  assert_non_null(leaf_end);
  leaf_end += strlen("-----END CERTIFICATE-----\n");
  td_buf_t b;
  td_buf_init(&b);
  td_buf_append(&b, c->chain_pem, (size_t)(leaf_end - c->chain_pem));
  td_buf_puts(&b, tdcerts_root_pem(tt_pki));
  td_buf_puts(&b, tdcerts_unknown_intermediate_pem(tt_pki));
  td_buf_puts(&b, tdcerts_intermediate_pem(tt_pki));
  char *pem = td_buf_steal(&b, NULL);
  vin_t v = {.chain = pem, .host = "localhost"};
  tlsdiag_result_t *r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  assert_int_equal(tlsdiag_result_chain_length(r), 4);
  assert_non_null(strstr(tlsdiag_result_cert_field(r, 1, "subject"),
                         "Test Intermediate CA"));
  assert_non_null(strstr(tlsdiag_result_cert_field(r, 2, "subject"),
                         "Test Root CA"));
  tlsdiag_result_free(r);
  free(pem);
}

static void test_verify_revoked_by_crl(void **state) {
  (void)state;
  vin_t v = {.chain = chain_of("revoked"), .host = "revoked.tlsdiag.test",
             .crl = tdcerts_crl_pem(tt_pki)};
  tlsdiag_result_t *r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_CERT_REVOKED);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_CERT_REVOKED, "source"), "crl");
  char want[32];
  td_time_iso(tdcerts_now(tt_pki) - DAY, want);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_CERT_REVOKED, "revoked_at"), want);
  tlsdiag_result_free(r);
  /* the same CRL does not list the valid leaf */
  vin_t ok = {.chain = chain_of("valid"), .host = "localhost",
              .crl = tdcerts_crl_pem(tt_pki)};
  r = verify(&ok);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
  /* without the CRL, the revoked leaf verifies (its staple is not here) */
  vin_t none = {.chain = chain_of("revoked"), .host = "revoked.tlsdiag.test"};
  r = verify(&none);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
}

static void test_verify_names_dns_ip_idn(void **state) {
  (void)state;
  static const struct {
    const char *host;
    int ok;
  } t[] = {{"localhost", 1},      {"LOCALHOST", 1},
           {"valid.tlsdiag.test", 1}, {"127.0.0.1", 1},
           {"::1", 1},            {"[::1]", 1},
           {"127.0.0.2", 0},      {"other.tlsdiag.test", 0}};
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    vin_t v = {.chain = chain_of("valid"), .host = t[i].host};
    tlsdiag_result_t *r = verify(&v);
    if (tlsdiag_result_ok(r) != t[i].ok)
      fail_msg("%s: ok=%d", t[i].host, tlsdiag_result_ok(r));
    tlsdiag_result_free(r);
  }
  vin_t idn = {.chain = chain_of("idn"), .host = "m\xc3\xbcnchen.tlsdiag.test"};
  tlsdiag_result_t *r = verify(&idn);
  expect_cause(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH, "ace_name"),
                      "xn--mnchen-3ya.tlsdiag.test");
  tlsdiag_result_free(r);
  /* no host: no name check */
  vin_t none = {.chain = chain_of("wrong_host")};
  r = verify(&none);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
}

/* The leaves are for TLS servers: as a client certificate, the EKU rule
 * fails and says so. */
static void test_verify_purpose_client(void **state) {
  (void)state;
  vin_t v = {.chain = chain_of("valid"), .purpose = TLSDIAG_PURPOSE_CLIENT};
  tlsdiag_result_t *r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_CERT_INVALID);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_CERT_INVALID, "rule"),
                      "extended_key_usage");
  tlsdiag_result_free(r);
}

static void test_verify_max_depth(void **state) {
  (void)state;
  vin_t v = {.chain = chain_of("valid"), .host = "localhost", .max_depth = -2};
  tlsdiag_result_t *r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_CERT_INVALID);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_CERT_INVALID, "rule"), "max_depth");
  tlsdiag_result_free(r);
  v.max_depth = 1;
  r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
}

/* --expiring-within: a leaf expiring in 10 days is a warning by default
 * and an error when asked to look 30 days ahead. */
static void test_verify_expiring_within(void **state) {
  (void)state;
  vin_t v = {.chain = chain_of("expiring_soon"), .host = "soon.tlsdiag.test"};
  tlsdiag_result_t *r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  assert_true(tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_EXPIRES_SOON) >= 0);
  tlsdiag_result_free(r);
  v.expiring_within = 30;
  r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_CERT_EXPIRES_SOON);
  assert_int_equal(tlsdiag_result_ok(r), 0);
  assert_string_equal(tt_ev(r, TLSDIAG_CAUSE_CERT_EXPIRES_SOON, "expiring_within_days"),
                      "30");
  tlsdiag_result_free(r);
  v.expiring_within = 5;
  r = verify(&v);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
}

/* The handle: one verifier, many chains; input errors say what is wrong. */
static void test_verify_handle_and_input_errors(void **state) {
  (void)state;
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.now = at();
  tlsdiag_blob_t root = {tdcerts_root_pem(tt_pki), strlen(tdcerts_root_pem(tt_pki))};
  tlsdiag_verifier_t *v = NULL;
  char err[200];
  assert_int_equal(tlsdiag_verifier_new(&o, &root, 1, &v, err, sizeof(err)),
                   TLSDIAG_OK);
  tlsdiag_verify_input_t in;
  tlsdiag_verify_input_init(&in);
  static const struct {
    const char *data;
    const char *why;
  } bad[] = {
      {"", "empty"},
      {"hello, world\n", "neither PEM nor DER"},
      {"-----BEGIN CERTIFICATE-----\n!!!!notbase64\n-----END CERTIFICATE-----\n",
       "not valid base64"},
      {"-----BEGIN CERTIFICATE-----\nMIIB\n", "no END line"},
      {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
       "private key"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    tlsdiag_blob_t b = {bad[i].data, strlen(bad[i].data)};
    in.chain = &b;
    in.nchain = 1;
    tlsdiag_result_t *r = (tlsdiag_result_t *)1;
    assert_int_equal(tlsdiag_verifier_verify(v, &in, &r), TLSDIAG_E_INVAL);
    assert_null(r);
    if (!strstr(tlsdiag_verifier_error(v), bad[i].why))
      fail_msg("input %zu: error \"%s\" lacks \"%s\"", i,
               tlsdiag_verifier_error(v), bad[i].why);
  }
  /* DER that is no X.509 certificate: a verdict (issue 12), not an
   * input error: cert_malformed, naming GnuTLS's error */
  {
    tlsdiag_blob_t b = {"\x30\x03\x02\x01\x00", 5};
    in.chain = &b;
    in.nchain = 1;
    tlsdiag_result_t *r = NULL;
    assert_int_equal(tlsdiag_verifier_verify(v, &in, &r), TLSDIAG_OK);
    assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_CERT_MALFORMED);
    assert_int_equal(tlsdiag_result_finding_severity(r, 0),
                     TLSDIAG_SEVERITY_ERROR);
    assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "rule"), "parse");
    assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "certificate"),
                        "0");
    assert_non_null(tlsdiag_result_finding_evidence(r, 0, "error"));
    assert_false(tlsdiag_result_ok(r));
    tlsdiag_result_free(r);
  }
  /* many chains through one verifier, DER input too */
  for (size_t i = 0; i < NCAUSES; i++) {
    tlsdiag_blob_t b = {chain_of(causes[i].cname), strlen(chain_of(causes[i].cname))};
    in.chain = &b;
    in.host = causes[i].host;
    tlsdiag_result_t *r = NULL;
    assert_int_equal(tlsdiag_verifier_verify(v, &in, &r), TLSDIAG_OK);
    assert_int_equal(tlsdiag_result_cause(r), causes[i].cause);
    assert_string_equal(tlsdiag_verifier_error(v), "");
    tlsdiag_result_free(r);
  }
  gnutls_datum_t pem = {(unsigned char *)chain_of("valid"),
                        (unsigned)strlen(chain_of("valid"))};
  gnutls_datum_t der = {NULL, 0};
  assert_int_equal(gnutls_pem_base64_decode2("CERTIFICATE", &pem, &der), 0);
  tlsdiag_blob_t db[2] = {{der.data, der.size},
                          {tdcerts_intermediate_pem(tt_pki),
                           strlen(tdcerts_intermediate_pem(tt_pki))}};
  in.chain = db;
  in.nchain = 2;
  in.host = "localhost";
  tlsdiag_result_t *r = NULL;
  assert_int_equal(tlsdiag_verifier_verify(v, &in, &r), TLSDIAG_OK);
  expect_cause(r, TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
  gnutls_free(der.data);
  tlsdiag_blob_t vb = {chain_of("valid"), strlen(chain_of("valid"))};
  in.chain = &vb;
  in.nchain = 1;
  /* trusted blobs belong to the verifier; a bad host is an API error */
  in.trusted = &root;
  in.ntrusted = 1;
  assert_int_equal(tlsdiag_verifier_verify(v, &in, &r), TLSDIAG_E_INVAL);
  in.trusted = NULL;
  in.ntrusted = 0;
  in.host = "bad..name";
  assert_int_equal(tlsdiag_verifier_verify(v, &in, &r), TLSDIAG_E_HOST);
  tlsdiag_verifier_free(v);
  tlsdiag_verifier_free(NULL);
  /* anchors that are not certificates */
  tlsdiag_blob_t junk = {"junk", 4};
  assert_int_equal(tlsdiag_verifier_new(&o, &junk, 1, &v, err, sizeof(err)),
                   TLSDIAG_E_CAFILE);
  assert_null(v);
  assert_true(strlen(err) > 0);
}

/* ---- the CLI ------------------------------------------------------------ */

/* Runs the CLI; stdout and stderr captured; returns the exit status
 * (bounded: tt_run). */
static int cli(char **out, char **err, const char *const *args) {
  const char *argv[64];
  size_t n = 0;
  argv[n++] = TD_CLI_PATH;
  for (size_t i = 0; args[i] && n < 63; i++) argv[n++] = args[i];
  argv[n] = NULL;
  return tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, out, err);
}

/* Each JSON line of s parsed, in order (fails on invalid JSON). */
static size_t json_lines(const char *s, json_t **out, size_t max) {
  size_t n = 0;
  while (s && *s && n < max) {
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    json_error_t e;
    out[n] = json_loadb(s, len, JSON_REJECT_DUPLICATES, &e);
    if (!out[n]) fail_msg("invalid JSON line (%s): %.*s", e.text, (int)len, s);
    n++;
    s = nl ? nl + 1 : s + len;
  }
  return n;
}

static void test_verify_every_cause_cli(void **state) {
  (void)state;
  char now[32];
  snprintf(now, sizeof(now), "@%lld", (long long)at());
  for (size_t i = 0; i < NCAUSES; i++) {
    char file[128];
    snprintf(file, sizeof(file), "%s.chain.pem", causes[i].cname);
    const char *args[] = {"verify", "--json", "--cacert", tt_root, "--at", now,
                          "--host", causes[i].host, P(file), NULL};
    char *out, *err;
    int rc = cli(&out, &err, args);
    json_t *j[2];
    assert_int_equal(json_lines(out, j, 2), 1);
    assert_string_equal(tt_jstr(j[0], "cause"), tlsdiag_cause_name(causes[i].cause));
    assert_string_equal(tt_jstr(j[0], "file"), P(file));
    assert_string_equal(tt_jstr(j[0], "schema"), "tlsdiag/1");
    int bad = causes[i].cause != TLSDIAG_CAUSE_OK;
    assert_int_equal(json_is_true(tt_jget(j[0], "ok")), !bad);
    if (rc != (bad ? 2 : 0))
      fail_msg("%s: exit %d; stderr: %s", causes[i].cname, rc, err);
    assert_string_equal(err, "");
    json_decref(j[0]);
    free(out);
    free(err);
  }
}

static void test_verify_crl_cli(void **state) {
  (void)state;
  char now[32];
  snprintf(now, sizeof(now), "@%lld", (long long)at());
  const char *args[] = {"verify", "--json", "--cacert", tt_root, "--at", now,
                        "--crl", P("intermediate.crl.pem"),
                        P("revoked.chain.pem"), P("valid.chain.pem"), NULL};
  char *out, *err;
  int rc = cli(&out, &err, args);
  assert_int_equal(rc, 2);
  json_t *j[3];
  assert_int_equal(json_lines(out, j, 3), 2);
  assert_string_equal(tt_jstr(j[0], "cause"), "cert_revoked");
  assert_string_equal(tt_jstr(j[0], "findings.0.evidence.source"), "crl");
  assert_string_equal(tt_jstr(j[1], "cause"), "ok");
  json_decref(j[0]);
  json_decref(j[1]);
  free(out);
  free(err);
  /* a CRL file that is not a CRL is a usage error: nothing is checked */
  const char *bad[] = {"verify", "--cacert", tt_root, "--crl", tt_root,
                       P("valid.chain.pem"), NULL};
  rc = cli(&out, &err, bad);
  assert_int_equal(rc, 1);
  assert_non_null(strstr(err, "crl"));
  assert_string_equal(out, "");
  free(out);
  free(err);
}

/* A directory with certificates, junk, broken PEM, a key, a dangling
 * link and a directory named like a certificate: per-file errors on
 * stderr, the rest checked, exit 2. */
static void test_verify_directory_with_junk(void **state) {
  (void)state;
  char dir[160], sub[200], path[260];
  snprintf(dir, sizeof(dir), "%s/store", tt_dir);
  assert_int_equal(mkdir(dir, 0755), 0);
  char *valid = tt_read_file_or_fail(P("valid.chain.pem"));
  snprintf(path, sizeof(path), "%s/a-valid.pem", dir);
  tt_write_text(path, valid);
  char *expired = tt_read_file_or_fail(P("expired.chain.pem"));
  snprintf(path, sizeof(path), "%s/b-expired.crt", dir);
  tt_write_text(path, expired);
  snprintf(path, sizeof(path), "%s/c-notes.pem", dir);
  tt_write_text(path, "just some notes, no certificate here\n");
  snprintf(path, sizeof(path), "%s/d-broken.pem", dir);
  tt_write_text(path, "-----BEGIN CERTIFICATE-----\nMIIB%%%%\n-----END CERTIFICATE-----\n");
  snprintf(path, sizeof(path), "%s/e-key.pem", dir);
  tt_write_text(path, tt_case("valid")->key_pem);
  snprintf(path, sizeof(path), "%s/f-dangling.crt", dir);
  assert_int_equal(symlink("/nonexistent/tlsdiag/x.pem", path), 0);
  snprintf(path, sizeof(path), "%s/readme.txt", dir); /* not looked at */
  tt_write_text(path, "ignored\n");
  snprintf(sub, sizeof(sub), "%s/g-nested.pem", dir); /* a directory */
  assert_int_equal(mkdir(sub, 0755), 0);
  snprintf(path, sizeof(path), "%s/h-deep.cer", sub);
  tt_write_text(path, valid);
  char now[32];
  snprintf(now, sizeof(now), "@%lld", (long long)at());
  const char *args[] = {"verify", "--json", "--cacert", tt_root, "--at", now,
                        dir, NULL};
  char *out, *err;
  int rc = cli(&out, &err, args);
  assert_int_equal(rc, 2);
  json_t *j[8];
  size_t n = json_lines(out, j, 8);
  assert_int_equal(n, 3);
  assert_non_null(strstr(tt_jstr(j[0], "file"), "a-valid.pem"));
  assert_string_equal(tt_jstr(j[0], "cause"), "ok");
  assert_non_null(strstr(tt_jstr(j[1], "file"), "b-expired.crt"));
  assert_string_equal(tt_jstr(j[1], "cause"), "cert_expired");
  assert_non_null(strstr(tt_jstr(j[2], "file"), "g-nested.pem/h-deep.cer"));
  assert_string_equal(tt_jstr(j[2], "cause"), "ok");
  for (size_t i = 0; i < n; i++) json_decref(j[i]);
  /* one clear line per bad file */
  static const char *const want[] = {
      "c-notes.pem: chain: neither PEM nor DER",
      "d-broken.pem: chain: PEM block 1 (CERTIFICATE) is not valid base64",
      "e-key.pem: chain: holds a private key, no certificate",
      "f-dangling.crt: dangling symbolic link"};
  for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
    if (!strstr(err, want[i])) fail_msg("stderr lacks \"%s\":\n%s", want[i], err);
  assert_null(strstr(err, "readme.txt"));
  free(out);
  free(err);
  /* the same directory, text output: still every good file */
  const char *targs[] = {"verify", "--cacert", tt_root, "--at", now, dir, NULL};
  rc = cli(&out, &err, targs);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "a-valid.pem"));
  assert_non_null(strstr(out, "CERT_EXPIRED"));
  free(out);
  free(err);
  free(valid);
  free(expired);
}

static void test_verify_cli_files_and_usage(void **state) {
  (void)state;
  char *out, *err;
  /* a missing file among good ones: reported, the others checked */
  const char *args[] = {"verify", "--json", "--cacert", tt_root,
                        P("nope.pem"), P("valid.chain.pem"), NULL};
  int rc = cli(&out, &err, args);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(err, "nope.pem: No such file or directory"));
  json_t *j[2];
  assert_int_equal(json_lines(out, j, 2), 1);
  json_decref(j[0]);
  free(out);
  free(err);
  /* usage errors: exit 1, nothing on stdout */
  static const char *const usage[][8] = {
      {"verify", NULL},
      {"verify", "--purpose", "email", "x.pem", NULL},
      {"verify", "--host", "a.example", "--ip", "127.0.0.1", "x.pem", NULL},
      {"verify", "--ip", "not-an-ip", "x.pem", NULL},
      {"verify", "--at", "yesterday", "x.pem", NULL},
      {"verify", "--cacert", "/nonexistent/ca.pem", "x.pem", NULL},
      {"verify", "--format", "mermaid", "x.pem", NULL},
      {"verify", "--bogus", "x.pem", NULL},
  };
  for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
    rc = cli(&out, &err, usage[i]);
    if (rc != 1) fail_msg("usage case %zu: exit %d", i, rc);
    assert_string_equal(out, "");
    assert_true(strlen(err) > 0);
    free(out);
    free(err);
  }
  /* --ip and --expiring-within */
  char now[32];
  snprintf(now, sizeof(now), "@%lld", (long long)at());
  const char *ip[] = {"verify", "--cacert", tt_root, "--at", now, "--ip", "::1",
                      P("valid.chain.pem"), NULL};
  rc = cli(&out, &err, ip);
  assert_int_equal(rc, 0);
  free(out);
  free(err);
  const char *soon[] = {"verify", "--json", "--cacert", tt_root, "--at", now,
                        "--expiring-within", "30", P("expiring_soon.chain.pem"),
                        NULL};
  rc = cli(&out, &err, soon);
  assert_int_equal(rc, 2);
  assert_int_equal(json_lines(out, j, 2), 1);
  assert_string_equal(tt_jstr(j[0], "cause"), "cert_expires_soon");
  json_decref(j[0]);
  free(out);
  free(err);
}

static void test_verify_cli_nagios_prometheus(void **state) {
  (void)state;
  char now[32];
  snprintf(now, sizeof(now), "@%lld", (long long)at());
  char *out, *err;
  const char *ok[] = {"verify", "--format", "nagios", "--cacert", tt_root,
                      "--at", now, P("valid.chain.pem"), NULL};
  int rc = cli(&out, &err, ok);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(out, "OK"));
  free(out);
  free(err);
  const char *crit[] = {"verify", "--format", "nagios", "--cacert", tt_root,
                        "--at", now, P("valid.chain.pem"),
                        P("expired.chain.pem"), NULL};
  rc = cli(&out, &err, crit);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "CRITICAL"));
  free(out);
  free(err);
  const char *prom[] = {"verify", "--format", "prometheus", "--cacert", tt_root,
                        "--at", now, P("valid.chain.pem"),
                        P("expired.chain.pem"), NULL};
  rc = cli(&out, &err, prom);
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "# TYPE"));
  free(out);
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_verify_every_cause_library),
      cmocka_unit_test(test_verify_expired_evidence),
      cmocka_unit_test(test_verify_at_time),
      cmocka_unit_test(test_verify_untrusted_issuer_evidence),
      cmocka_unit_test(test_verify_incomplete_then_built_from_untrusted),
      cmocka_unit_test(test_verify_unordered_chain_with_extras),
      cmocka_unit_test(test_verify_revoked_by_crl),
      cmocka_unit_test(test_verify_names_dns_ip_idn),
      cmocka_unit_test(test_verify_purpose_client),
      cmocka_unit_test(test_verify_max_depth),
      cmocka_unit_test(test_verify_expiring_within),
      cmocka_unit_test(test_verify_handle_and_input_errors),
      cmocka_unit_test(test_verify_every_cause_cli),
      cmocka_unit_test(test_verify_crl_cli),
      cmocka_unit_test(test_verify_directory_with_junk),
      cmocka_unit_test(test_verify_cli_files_and_usage),
      cmocka_unit_test(test_verify_cli_nagios_prometheus),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
