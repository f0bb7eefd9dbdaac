/* test_hsts_update_verdicts.c: `tlsdiag hsts update` (and tlsdiag_fetch
 * under it) sends its request only when both verifiers accept the server
 * (issue 12): tlsdiag's path building ("browser") and GnuTLS's
 * verification of the chain as sent ("strict"). Four loopback servers:
 * (a) only GnuTLS rejects (a cross-signed intermediate sent first: only
 * path building finds the trusted root), (b) only tlsdiag rejects (an
 * RSA-1024 leaf GnuTLS accepts), (c) both reject (a chain to an unknown
 * root), (d) both accept. The server counts the requests it reads: none
 * in (a)-(c), where the CLI says why in one line and the old list stays;
 * one in (d), where the list is replaced. */
#include "tdtest.h"

#define LIST_BODY                                                          \
  "{\"entries\": [{\"name\": \"new.tlsdiag.test\", \"mode\": "             \
  "\"force-https\", \"include_subdomains\": true}]}\n"
#define OLD_LIST "{\"entries\": []}\n"

static char cache_file[256]; /* the list `hsts update` writes */
static char *x_root, *x_chain, *x_key; /* tdcerts_cross_signed */
static char x_root_file[256];
static char *s_root, *s_chain, *s_key; /* tdcerts_self_issued */
static char s_root_file[256];

static int setup(void **state) {
  if (tt_setup(state)) return -1;
  if (tdcerts_cross_signed(tdcerts_now(tt_pki), "cross.tlsdiag.test", &x_root,
                           &x_chain, &x_key) != 0 ||
      tdcerts_self_issued(tdcerts_now(tt_pki), "self-issued.tlsdiag.test",
                          &s_root, &s_chain, &s_key) != 0)
    return -1;
  snprintf(x_root_file, sizeof(x_root_file), "%s/cross-root.pem", tt_dir);
  snprintf(s_root_file, sizeof(s_root_file), "%s/self-root.pem", tt_dir);
  snprintf(cache_file, sizeof(cache_file), "%s/hsts.json", tt_dir);
  tt_write_text(x_root_file, x_root);
  tt_write_text(s_root_file, s_root);
  return 0;
}

static int teardown(void **state) {
  free(x_root);
  free(x_chain);
  free(x_key);
  free(s_root);
  free(s_chain);
  free(s_key);
  return tt_teardown(state);
}

/* A server answering any request with the list (Content-Length). */
static tdserver_t *serve(const char *chain, const char *key) {
  static char raw[512];
  snprintf(raw, sizeof(raw),
           "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
           strlen(LIST_BODY), LIST_BODY);
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_RAW_RESPONSE;
  cfg.chain_pem = chain;
  cfg.key_pem = key;
  cfg.raw_response = raw;
  cfg.raw_len = strlen(raw);
  cfg.chain_as_is = 1; /* all of it, as OpenSSL-based servers send it */
  return tt_server_cfg(&cfg);
}

static tdserver_t *serve_case(const char *name) {
  return serve(tt_case(name)->chain_pem, tt_case(name)->key_pem);
}

/* `hsts update --url https://HOST:PORT/list --hsts-list cache_file`
 * trusting cafile, HOST pinned to 127.0.0.1 unless it is that address.
 * Returns the exit status with stdout and stderr. */
static int update(const char *host, uint16_t port, const char *cafile,
                  char **out, char **err) {
  FILE *f = fopen(cache_file, "w");
  assert_non_null(f);
  fputs(OLD_LIST, f);
  assert_int_equal(fclose(f), 0);
  char url[300], pin[300];
  snprintf(url, sizeof(url), "https://%s:%u/list", host, port);
  snprintf(pin, sizeof(pin), "%s:%u:127.0.0.1", host, port);
  int ip = !strcmp(host, "127.0.0.1");
  const char *argv[] = {TD_CLI_PATH,  "hsts",     "update", "--url",
                        url,          "--cacert", cafile,   "--hsts-list",
                        cache_file,   "--max-time", "20",
                        ip ? NULL : "--resolve", pin, NULL};
  return tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, out, err);
}

/* The cache file as it is now (malloc'd). */
static char *cache(void) {
  FILE *f = fopen(cache_file, "r");
  assert_non_null(f);
  char buf[1024];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strdup(buf);
}

/* A refused update: exit 2, one stderr line "tlsdiag: hsts update: URL:
 * <why> ... was not changed", the old list kept, and the server read no
 * request (it did complete a handshake: the refusal came after it). */
static void expect_refused(tdserver_t *s, const char *host, const char *cafile,
                           const char *why) {
  char *out = NULL, *err = NULL;
  int rc = update(host, tdserver_port(s), cafile, &out, &err);
  if (rc != 2 || !strstr(err, why))
    fail_msg("exit %d (expected 2), no '%s' in: %s", rc, why, err);
  assert_string_equal(out, "");
  char head[300];
  snprintf(head, sizeof(head), "tlsdiag: hsts update: https://%s:%u/list: ",
           host, tdserver_port(s));
  assert_true(strncmp(err, head, strlen(head)) == 0);
  assert_non_null(strstr(err, " was not changed\n"));
  assert_true(strchr(err, '\n') + 1 == err + strlen(err));
  char *c = cache();
  assert_string_equal(c, OLD_LIST);
  free(c);
  assert_int_equal(tdserver_connections(s), 1);
  assert_int_equal(tdserver_requests(s), 0);
  char *req = tdserver_last_request(s);
  assert_string_equal(req, "");
  free(req);
  free(out);
  free(err);
}

/* tlsdiag_fetch of the same server: no body; the result as the API and
 * its JSON give it. */
static tlsdiag_result_t *fetch(tdserver_t *s, const char *host,
                               const char *cafile) {
  tt_opts_t t;
  tt_opts(&t, strcmp(host, "127.0.0.1") ? host : NULL, tdserver_port(s));
  t.o.cafile = cafile;
  char url[300];
  snprintf(url, sizeof(url), "https://%s:%u/list", host, tdserver_port(s));
  tlsdiag_result_t *r = NULL;
  unsigned char *body = NULL;
  size_t blen = 0;
  assert_int_equal(tlsdiag_fetch(url, &t.o, 1 << 20, &r, &body, &blen),
                   TLSDIAG_OK);
  assert_null(body);
  assert_int_equal(blen, 0);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_HTTP),
                   TLSDIAG_STATUS_SKIPPED);
  return r;
}

static long find(const tlsdiag_result_t *r, tlsdiag_cause_t c) {
  long i = tlsdiag_result_find(r, c);
  if (i < 0) fail_msg("no %s finding", tlsdiag_cause_name(c));
  return i;
}

/* (a) Only GnuTLS rejects: the cross-signed intermediate sent first leads
 * GnuTLS to the untrusted root; tlsdiag's path building finds the trusted
 * one. A check calls this a warning (cert_path_browser_only); a fetch
 * sends nothing. The URL is the IP literal, in the leaf's SANs. */
static void test_hsts_update_verdicts_only_gnutls_rejects(void **state) {
  (void)state;
  tdserver_t *s = serve(x_chain, x_key);
  expect_refused(s, "127.0.0.1", x_root_file,
                 ": the request was not sent: both verifiers must accept the "
                 "server: cert_path_browser_only: browsers find a path to a "
                 "trust anchor, but curl, wget and other clients that follow "
                 "the chain as sent (OpenSSL, GnuTLS) fail on the chain as "
                 "sent: the certificates sent lead to an issuer they do not "
                 "trust (an extra or cross-signed certificate comes first); "
                 "browsers build another path;");
  tlsdiag_result_t *r = fetch(s, "127.0.0.1", x_root_file);
  assert_int_equal(tdserver_requests(s), 0);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  long i = find(r, TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_WARNING);
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i,
                                                      "strict_status"),
                      "66");
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "why"),
                      "cross_sign_path");
  json_t *j = tt_json(r);
  assert_true(json_is_true(tt_jget(j, "tls.verify.browser.ok")));
  assert_true(json_is_false(tt_jget(j, "tls.verify.strict.ok")));
  assert_non_null(
      strstr(tt_jstr(j, "tls.verify.strict.reason"), "issuer is unknown"));
  assert_string_equal(tt_jstr(j, "phases.http.status"), "skipped");
  json_decref(j);
  /* the text report gives both verdicts with their reasons */
  char *txt = NULL;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_TEXT, 0, &txt, NULL),
                   TLSDIAG_OK);
  assert_non_null(strstr(txt, "\n  browser      accepts (tlsdiag's path "
                              "building)\n  strict       rejects (GnuTLS on "
                              "the chain as sent, as curl and wget): The "
                              "certificate is NOT trusted. The certificate "
                              "issuer is unknown. (status 0x42)\n"));
  tlsdiag_free(txt);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* (b) Only tlsdiag rejects: GnuTLS accepts an RSA-1024 leaf; tlsdiag's
 * rule stands (cert_weak_key), with GnuTLS's view as evidence. */
static void test_hsts_update_verdicts_only_tlsdiag_rejects(void **state) {
  (void)state;
  tdserver_t *s = serve_case("rsa1024");
  expect_refused(s, "weak-key.tlsdiag.test", tt_root,
                 ": cert_weak_key: the certificate for weak-key.tlsdiag.test "
                 "has a 1024-bit RSA key (minimum 2048)");
  tlsdiag_result_t *r = fetch(s, "weak-key.tlsdiag.test", tt_root);
  assert_int_equal(tdserver_requests(s), 0);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_CERT_WEAK_KEY);
  long i = find(r, TLSDIAG_CAUSE_CERT_WEAK_KEY);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "gnutls"),
                      "accepts the chain as sent");
  json_t *j = tt_json(r);
  assert_true(json_is_false(tt_jget(j, "tls.verify.browser.ok")));
  assert_true(json_is_true(tt_jget(j, "tls.verify.strict.ok")));
  assert_true(json_is_null(tt_jget(j, "tls.verify.strict.reason")));
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* (c) Both reject: a chain to a root nobody trusts. */
static void test_hsts_update_verdicts_both_reject(void **state) {
  (void)state;
  tdserver_t *s = serve_case("unknown_root");
  expect_refused(s, "unknown-root.tlsdiag.test", tt_root,
                 ": cert_untrusted_issuer: the chain's issuer");
  tlsdiag_result_t *r = fetch(s, "unknown-root.tlsdiag.test", tt_root);
  assert_int_equal(tdserver_requests(s), 0);
  assert_int_equal(tlsdiag_result_cause(r),
                   TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER);
  assert_int_equal(tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY),
                   -1);
  assert_int_equal(
      tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE), -1);
  json_t *j = tt_json(r);
  assert_true(json_is_false(tt_jget(j, "tls.verify.browser.ok")));
  assert_true(json_is_false(tt_jget(j, "tls.verify.strict.ok")));
  json_decref(j);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* Only GnuTLS rejects, and not for want of a path: a self-issued CA
 * under an intermediate with pathLenConstraint 0 (RFC 5280 does not count
 * it; GnuTLS does). Fail closed: cert_verifiers_disagree, an error with
 * both reasons, for a check (API and `check --json`, exit 2) and a fetch
 * (no request). */
static void test_hsts_update_verdicts_disagree_fails_closed(void **state) {
  (void)state;
  tdserver_t *s = serve(s_chain, s_key);
  expect_refused(s, "127.0.0.1", s_root_file,
                 ": cert_verifiers_disagree: tlsdiag's verifier accepts the "
                 "chain, GnuTLS's rejects it: The certificate is NOT trusted. "
                 "The certificate chain violates the signer's constraints.");
  tlsdiag_result_t *r = fetch(s, "127.0.0.1", s_root_file);
  assert_int_equal(tdserver_requests(s), 0);
  assert_int_equal(tlsdiag_result_cause(r),
                   TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE);
  long i = find(r, TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE);
  assert_int_equal(tlsdiag_result_finding_severity(r, (size_t)i),
                   TLSDIAG_SEVERITY_ERROR);
  assert_string_equal(
      tlsdiag_result_finding_evidence(r, (size_t)i, "strict_status"),
      "65538"); /* INVALID | SIGNER_CONSTRAINTS_FAILURE */
  assert_string_equal(tlsdiag_result_finding_evidence(r, (size_t)i, "browser"),
                      "accepted: a path to a trust anchor, name and rules "
                      "hold");
  tlsdiag_result_free(r);
  /* a check: the same cause through the CLI, exit 2 */
  char target[64], *out = NULL;
  snprintf(target, sizeof(target), "127.0.0.1:%u", tdserver_port(s));
  int rc = tt_cli(&out, "check", "--json", "--cacert", s_root_file,
                  "--no-http", "--no-probe", target, NULL);
  assert_int_equal(rc, 2);
  json_error_t err;
  json_t *j = json_loads(out, 0, &err);
  if (!j) fail_msg("not JSON: %s", out);
  assert_string_equal(tt_jstr(j, "cause"), "cert_verifiers_disagree");
  assert_true(json_is_true(tt_jget(j, "tls.verify.browser.ok")));
  assert_true(json_is_false(tt_jget(j, "tls.verify.strict.ok")));
  assert_int_equal(json_integer_value(tt_jget(j, "tls.verify.strict.status")),
                   65538);
  json_decref(j);
  free(out);
  tdserver_stop(s);
}

/* The text report of `tlsdiag verify` (no connection) states both
 * verdicts too, under "Verification", as tls.verify does in the JSON. */
static void test_hsts_update_verdicts_verify_text_has_both(void **state) {
  (void)state;
  char chain[300], *out = NULL;
  snprintf(chain, sizeof(chain), "%s/self-issued-chain.pem", tt_dir);
  tt_write_text(chain, s_chain);
  int rc = tt_cli(&out, "verify", "--host",
                  "self-issued.tlsdiag.test", "--cacert", s_root_file, chain,
                  NULL);
  if (rc != 2 ||
      !strstr(out, "\nVerification\n  verify       ") ||
      !strstr(out, "\n  browser      accepts (tlsdiag's path building)\n"
                   "  strict       rejects (GnuTLS on the chain as sent, as "
                   "curl and wget): The certificate is NOT trusted. The "
                   "certificate chain violates the signer's constraints. "
                   "(status 0x10002)\n"))
    fail_msg("exit %d:\n%s", rc, out);
  free(out);
}

/* (d) Both accept: one request, the list replaced. */
static void test_hsts_update_verdicts_both_accept(void **state) {
  (void)state;
  tdserver_t *s = serve_case("valid");
  char *out = NULL, *err = NULL;
  int rc = update("127.0.0.1", tdserver_port(s), tt_root, &out, &err);
  if (rc != 0) fail_msg("exit %d: %s", rc, err);
  char want[400];
  snprintf(want, sizeof(want),
           "hsts update: 1 force-https entries, %zu bytes written to %s\n",
           strlen(LIST_BODY), cache_file);
  assert_string_equal(out, want);
  assert_string_equal(err, "");
  char *c = cache();
  assert_string_equal(c, LIST_BODY);
  free(c);
  assert_int_equal(tdserver_requests(s), 1);
  char *req = tdserver_last_request(s);
  assert_true(strncmp(req, "GET /list HTTP/1.1\r\n", 20) == 0);
  free(req);
  free(out);
  free(err);
  tdserver_stop(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hsts_update_verdicts_only_gnutls_rejects),
      cmocka_unit_test(test_hsts_update_verdicts_only_tlsdiag_rejects),
      cmocka_unit_test(test_hsts_update_verdicts_both_reject),
      cmocka_unit_test(test_hsts_update_verdicts_disagree_fails_closed),
      cmocka_unit_test(test_hsts_update_verdicts_verify_text_has_both),
      cmocka_unit_test(test_hsts_update_verdicts_both_accept),
  };
  return td_run_tests(tests, setup, teardown);
}
