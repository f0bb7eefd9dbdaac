/* test_aia_root.c: a private CA's server sends only its leaf, and the
 * leaf's AIA caIssuers URL (a loopback HTTP server) serves the CA: a
 * self-signed root that is not in the trust store. The verdict is
 * cert_untrusted_issuer naming the fetched root (the fix is the trust
 * store, not the server's chain), through the API and `check --json`; the
 * same leaf with that root trusted is fine, unless the root is one whose
 * key is public (cert_compromised_issuer on the anchor, not sent). */
#include "tdtest.h"
#include "tdhttp.h"

#define HOST "private.tlsdiag.test"
#define ROOT_CN "tlsdiag Private Root CA"
#define URL "http://aia.tlsdiag.test/intermediate.der"
/* The root's subject as the AIA fetch prints it (RFC 4514 order), and as
 * the leaf's issuer field prints (the chain's order). */
#define ROOT_DN "CN=" ROOT_CN ",O=tlsdiag test"
#define ISSUER_DN "O=tlsdiag test,CN=" ROOT_CN

typedef struct {
  char *root, *leaf, *key;  /* tdcerts_private_root */
  char root_file[192];      /* the root as a CA file */
  tt_http_t http;           /* the AIA URL's server */
  char rule[96];            /* --connect-to for the AIA host */
  const char *rules[2];
} priv_t;

static void priv_start(priv_t *p, int serve_root) {
  memset(p, 0, sizeof(*p));
  assert_int_equal(tdcerts_private_root(tdcerts_now(tt_pki), HOST, ROOT_CN,
                                        &p->root, &p->leaf, &p->key),
                   0);
  snprintf(p->root_file, sizeof(p->root_file), "%s/private-root.pem", tt_dir);
  tt_write_text(p->root_file, p->root);
  size_t len = 0;
  unsigned char *der = tt_der_of(p->root, &len);
  if (serve_root)
    tt_http_start(&p->http, 200, der, len);
  else
    tt_http_start(&p->http, 404, "no", 2);
  free(der);
  snprintf(p->rule, sizeof(p->rule), "aia.tlsdiag.test:80:127.0.0.1:%u",
           p->http.port);
  p->rules[0] = p->rule;
}

static void priv_stop(priv_t *p) {
  tt_http_stop(&p->http);
  unlink(p->root_file);
  free(p->root);
  free(p->leaf);
  free(p->key);
}

/* Checks HOST on a server sending only the private leaf, through the API
 * and the CLI (--connect-to sends the AIA host to the HTTP server). */
static void check_private(priv_t *p, const char *cafile, tt_both_t *out) {
  memset(out, 0, sizeof(*out));
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, NULL);
  cfg.chain_pem = p->leaf;
  cfg.key_pem = p->key;
  cfg.alpn = "http/1.1";
  out->s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, HOST, tdserver_port(out->s));
  if (cafile) t.o.cafile = cafile;
  t.o.connect_to = p->rules;
  const char *extra[] = {"--connect-to", p->rule, NULL};
  tt_check_both(HOST, &t, extra, out);
}

/* The AIA URL serves a self-signed root nobody trusts: the issuer is
 * known now, and it is a root: cert_untrusted_issuer naming it, with
 * what the fetch saw; never cert_incomplete_chain (the server's chain is
 * complete) nor cert_unknown_issuer (the question is answered). */
static void test_aia_root_fetched_root_is_untrusted_issuer(void **state) {
  (void)state;
  priv_t p;
  priv_start(&p, 1);
  tt_both_t b;
  check_private(&p, NULL, &b);
  const tlsdiag_cause_t k = TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER;
  tt_expect_cause(&b, k);
  long i = tlsdiag_result_find(b.r, k);
  assert_int_equal(tlsdiag_result_finding_severity(b.r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tlsdiag_result_finding_message(b.r, (size_t)i),
                      HOST " was issued by the root \"" ROOT_DN
                      "\" (fetched from " URL "), which is not in the "
                      "trust store");
  assert_string_equal(tt_ev(b.r, k, "root"), ROOT_DN);
  assert_string_equal(tt_ev(b.r, k, "aia_issuer"), ROOT_DN);
  assert_string_equal(tt_ev(b.r, k, "aia_outcome"), "root");
  assert_string_equal(tt_ev(b.r, k, "aia_url"), URL);
  assert_string_equal(tt_ev(b.r, k, "aia_ca_issuers"), URL);
  assert_string_equal(tt_ev(b.r, k, "aia_status"), "200");
  assert_string_equal(tt_ev(b.r, k, "aia_cached"), "0");
  assert_string_equal(tt_ev(b.r, k, "chain_length"), "1");
  assert_non_null(strstr(tt_ev(b.r, k, "remedy"), "trust store"));
  assert_true(tlsdiag_result_find(b.r, TLSDIAG_CAUSE_CERT_INCOMPLETE_CHAIN) <
              0);
  assert_true(tlsdiag_result_find(b.r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER) < 0);
  /* One fetch per process: this one's and the CLI's (each its cache). */
  assert_int_equal(p.http.requests, 2);
  /* The CLI, its own process: the same verdict and evidence. */
  assert_string_equal(tt_jev(b.cli, k, "root"), ROOT_DN);
  assert_string_equal(tt_jev(b.cli, k, "aia_outcome"), "root");
  assert_string_equal(tt_jev(b.cli, k, "aia_url"), URL);
  tt_both_free(&b);
  priv_stop(&p);
}

/* The control: the fetch failing leaves the question open
 * (cert_unknown_issuer), so the root verdict above came from the root the
 * URL served, not from the leaf alone. */
static void test_aia_root_without_fetch_is_unknown_issuer(void **state) {
  (void)state;
  priv_t p;
  priv_start(&p, 0);
  tt_both_t b;
  check_private(&p, NULL, &b);
  const tlsdiag_cause_t k = TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER;
  tt_expect_cause(&b, k);
  assert_string_equal(tt_ev(b.r, k, "missing_issuer"), ISSUER_DN);
  assert_string_equal(tt_ev(b.r, k, "aia_outcome"), "failed");
  assert_non_null(strstr(tt_ev(b.r, k, "aia_error"), "HTTP status 404"));
  assert_string_equal(tt_jev(b.cli, k, "aia_outcome"), "failed");
  tt_both_free(&b);
  priv_stop(&p);
}

/* The same leaf with its root in the trust store: nothing to fetch,
 * nothing wrong. */
static void test_aia_root_trusted_root_is_fine(void **state) {
  (void)state;
  priv_t p;
  priv_start(&p, 1);
  tt_both_t b;
  check_private(&p, p.root_file, &b);
  tt_expect_cause(&b, TLSDIAG_CAUSE_OK);
  assert_true(json_is_true(tt_jget(b.cli, "tls.verify.trusted")));
  assert_int_equal(p.http.requests, 0);
  tt_both_free(&b);
  priv_stop(&p);
}

/* The same private root trusted, but declared leaked (the test hook,
 * as the shipped table names Superfish): its proxy sends only the leaf,
 * so the root is matched as the anchor the path ends in. Cleared, the
 * same check is fine. */
static void test_aia_root_leaked_anchor_is_compromised(void **state) {
  (void)state;
  priv_t p;
  priv_start(&p, 1);
  char spki[65];
  assert_int_equal(tdcerts_spki_sha256(p.root, spki), 0);
  const td_bad_root_t leaked = {"Test Leaked Root", spki};
  td_bad_roots_extra(&leaked, 1);
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, NULL);
  cfg.chain_pem = p.leaf;
  cfg.key_pem = p.key;
  tdserver_t *s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, HOST, tdserver_port(s));
  t.o.cafile = p.root_file;
  tlsdiag_result_t *r = tt_check(HOST, &t.o);
  const tlsdiag_cause_t k = TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER;
  assert_int_equal(tlsdiag_result_cause(r), k);
  long i = tlsdiag_result_find(r, k);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tlsdiag_result_finding_message(r, (size_t)i),
                      "the chain ends in the Test Leaked Root root \""
                      ISSUER_DN "\" (in the trust store, not sent), whose "
                      "private key is public: anyone can issue "
                      "certificates under it (interception software or a "
                      "development tool installed it)");
  assert_string_equal(tt_ev(r, k, "compromised_root"), "Test Leaked Root");
  assert_string_equal(tt_ev(r, k, "spki_sha256"), spki);
  assert_string_equal(tt_ev(r, k, "found_in"), "trust store");
  assert_string_equal(tt_ev(r, k, "trusted_locally"), "1");
  assert_null(tlsdiag_result_finding_evidence(r, (size_t)i, "chain_index"));
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "cause"), "cert_compromised_issuer");
  json_decref(j);
  tlsdiag_result_free(r);
  td_bad_roots_extra(NULL, 0);
  r = tt_check(HOST, &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  tlsdiag_result_free(r);
  tdserver_stop(s);
  assert_int_equal(p.http.requests, 0);
  priv_stop(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aia_root_fetched_root_is_untrusted_issuer),
      cmocka_unit_test(test_aia_root_without_fetch_is_unknown_issuer),
      cmocka_unit_test(test_aia_root_trusted_root_is_fine),
      cmocka_unit_test(test_aia_root_leaked_anchor_is_compromised),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
