/* test_trust_store.c: every report names the trust store the chain was
 * verified against (JSON tls.trust_store, one text line, the Prometheus
 * tlsdiag_trust_store_info/_roots), through the API, a multi (sweep) and
 * the CLI; and the CLI takes SSL_CERT_FILE / SSL_CERT_DIR as curl and
 * OpenSSL do: --cacert/--capath win over them, they win over the system
 * bundle, a variable naming no file is a usage error. */
#include "tdprom.h"
#include "tdtest.h"

/* bundle.pem: the test root, the unknown root and the intermediate (3
 * certificates); cadir/: the test root and the unknown root (2 files). */
static char bundle[200], cadir[200], sysfile[200];
static int sysroots;

/* The system bundle GnuTLS on this machine loads, and its certificates,
 * counted apart from GnuTLS. */
static void system_bundle(void) {
  static const char *const known[] = {"/etc/ssl/certs/ca-certificates.crt",
                                      "/etc/pki/tls/certs/ca-bundle.crt"};
  sysfile[0] = 0;
  sysroots = 0;
  for (size_t i = 0; i < 2 && !sysfile[0]; i++) {
    FILE *f = fopen(known[i], "r");
    if (!f) continue;
    snprintf(sysfile, sizeof(sysfile), "%s", known[i]);
    char line[512];
    while (fgets(line, sizeof(line), f))
      if (strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0) sysroots++;
    fclose(f);
  }
}

static int setup(void **state) {
  if (tt_setup(state)) return -1;
  snprintf(bundle, sizeof(bundle), "%s/bundle.pem", tt_dir);
  snprintf(cadir, sizeof(cadir), "%s/cadir", tt_dir);
  char a[240], b[240];
  snprintf(a, sizeof(a), "%s/a.pem", cadir);
  snprintf(b, sizeof(b), "%s/b.pem", cadir);
  system_bundle();
  char *three = td_asprintf("%s%s%s", tdcerts_root_pem(tt_pki),
                            tdcerts_unknown_root_pem(tt_pki),
                            tdcerts_intermediate_pem(tt_pki));
  if (!three) return -1;
  tt_write_text(bundle, three);
  free(three);
  if (mkdir(cadir, 0700)) return -1;
  tt_write_text(a, tdcerts_root_pem(tt_pki));
  tt_write_text(b, tdcerts_unknown_root_pem(tt_pki));
  return 0;
}

/* tls.trust_store of a parsed report, exactly. */
static void expect_store(json_t *j, const char *kind, const char *source,
                         const char *file, const char *dir, int roots) {
  json_t *t = tt_jget(j, "tls.trust_store");
  if (!json_is_object(t)) fail_msg("tls.trust_store is not an object");
  assert_int_equal(json_object_size(t), 5);
  assert_string_equal(tt_jstr(t, "kind"), kind);
  assert_string_equal(tt_jstr(t, "source"), source);
  if (file) assert_string_equal(tt_jstr(t, "file"), file);
  else assert_true(json_is_null(json_object_get(t, "file")));
  if (dir) assert_string_equal(tt_jstr(t, "dir"), dir);
  else assert_true(json_is_null(json_object_get(t, "dir")));
  json_t *n = json_object_get(t, "roots");
  assert_true(json_is_integer(n));
  assert_int_equal(json_integer_value(n), roots);
}

static void expect_result_store(const tlsdiag_result_t *r, const char *kind,
                                const char *source, const char *file,
                                const char *dir, int roots) {
  json_t *j = tt_json(r);
  expect_store(j, kind, source, file, dir, roots);
  json_decref(j);
}

/* ---- through the API --------------------------------------------------- */

static void test_trust_store_api_cafile_capath_system(void **st) {
  (void)st;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(s));

  t.o.cafile = bundle;
  tlsdiag_result_t *r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  expect_result_store(r, "cafile", "option", bundle, NULL, 3);
  tlsdiag_result_free(r);

  t.o.cafile = NULL;
  t.o.capath = cadir;
  r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_OK);
  expect_result_store(r, "capath", "option", NULL, cadir, 2);
  tlsdiag_result_free(r);

  t.o.cafile = bundle;
  t.o.trust_source = "SSL_CERT_FILE+SSL_CERT_DIR"; /* the caller's label */
  r = tt_check("valid.tlsdiag.test", &t.o);
  /* 3 + 2 certificates, 3 distinct: each root counts once */
  expect_result_store(r, "cafile+capath", "SSL_CERT_FILE+SSL_CERT_DIR", bundle,
                      cadir, 3);
  tlsdiag_result_free(r);

  /* The system store: our test root is not in it, and the report says
   * which bundle was used and how many roots it gave. */
  t.o.cafile = NULL;
  t.o.capath = NULL;
  t.o.trust_source = NULL;
  r = tt_check("valid.tlsdiag.test", &t.o);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER);
  if (sysfile[0])
    expect_result_store(r, "system", "system", sysfile, NULL, sysroots);
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

/* A multi shares one trust store among its checks: each result still
 * states it, with the root count. */
typedef struct {
  tlsdiag_result_t *rs[2];
  size_t n;
} got_t;

static void collect_cb(tlsdiag_result_t *r, void *user, void *data) {
  (void)user;
  got_t *g = data;
  if (g->n < 2) g->rs[g->n++] = r;
  else tlsdiag_result_free(r);
}

static void test_trust_store_api_multi_shared(void **st) {
  (void)st;
  tdserver_t *s = tt_server(TDS_HTTP, "valid");
  tt_opts_t t;
  tt_opts(&t, "valid.tlsdiag.test", tdserver_port(s));
  t.o.cafile = bundle;
  tlsdiag_multi_t *m = NULL;
  got_t g = {{NULL, NULL}, 0};
  assert_int_equal(tlsdiag_multi_new(2, collect_cb, &g, &m), TLSDIAG_OK);
  for (int i = 0; i < 2; i++)
    assert_int_equal(tlsdiag_multi_add(m, "valid.tlsdiag.test", &t.o, NULL),
                     TLSDIAG_OK);
  assert_int_equal(tlsdiag_multi_run(m), TLSDIAG_OK);
  assert_int_equal(g.n, 2);
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(tlsdiag_result_cause(g.rs[i]), TLSDIAG_CAUSE_OK);
    expect_result_store(g.rs[i], "cafile", "option", bundle, NULL, 3);
    tlsdiag_result_free(g.rs[i]);
  }
  tlsdiag_multi_free(m);
  tdserver_stop(s);
}

/* ---- through the CLI --------------------------------------------------- */

/* Runs `env [SETTINGS...] tlsdiag ARGS...` with SSL_CERT_FILE/DIR removed
 * first (the machine may set them), capturing stdout and stderr. */
static int run_env(char **out, char **err, const char *const *env,
                   const char *const *args) {
  const char *argv[64];
  size_t n = 0;
  argv[n++] = "/usr/bin/env";
  argv[n++] = "-u";
  argv[n++] = "SSL_CERT_FILE";
  argv[n++] = "-u";
  argv[n++] = "SSL_CERT_DIR";
  for (; env && *env && n < 40; env++) argv[n++] = *env;
  argv[n++] = TD_CLI_PATH;
  for (; *args && n < 63; args++) argv[n++] = *args;
  argv[n] = NULL;
  return tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, out, err);
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

typedef struct {
  tdserver_t *s;
  char pin[160], target[100];
} srv_t;

static void srv_start(srv_t *v) {
  v->s = tt_server(TDS_HTTP, "valid");
  snprintf(v->pin, sizeof(v->pin), "valid.tlsdiag.test:%u:127.0.0.1",
           tdserver_port(v->s));
  snprintf(v->target, sizeof(v->target), "valid.tlsdiag.test:%u",
           tdserver_port(v->s));
}

/* One JSON document from a run's stdout; fails the test with both
 * streams shown otherwise. */
static json_t *json_of(const char *out, const char *err) {
  json_error_t je;
  json_t *j = json_loads(out, 0, &je);
  if (!j) fail_msg("not JSON (%s): %s / %s", je.text, out, err);
  return j;
}

/* `check --json` with an environment; exit code and trust store exact. */
static void cli_expect(const srv_t *v, const char *const *env,
                       const char *cacert, int rc_want, const char *kind,
                       const char *source, const char *file, const char *dir,
                       int roots) {
  char *out = NULL, *err = NULL;
  int rc = cacert ? run_env(&out, &err, env,
                            L("check", "--json", "--cacert", cacert,
                              "--resolve", v->pin, v->target))
                  : run_env(&out, &err, env,
                            L("check", "--json", "--resolve", v->pin,
                              v->target));
  json_t *j = json_of(out, err);
  assert_int_equal(rc, rc_want);
  expect_store(j, kind, source, file, dir, roots);
  json_decref(j);
  free(out);
  free(err);
}

static void test_trust_store_cli_environment(void **st) {
  (void)st;
  srv_t v;
  srv_start(&v);
  char fenv[240], denv[240];
  snprintf(fenv, sizeof(fenv), "SSL_CERT_FILE=%s", bundle);
  snprintf(denv, sizeof(denv), "SSL_CERT_DIR=%s", cadir);
  /* The environment over the system store. */
  cli_expect(&v, L(fenv), NULL, 0, "cafile", "SSL_CERT_FILE", bundle, NULL, 3);
  cli_expect(&v, L(denv), NULL, 0, "capath", "SSL_CERT_DIR", NULL, cadir, 2);
  cli_expect(&v, L(fenv, denv), NULL, 0, "cafile+capath",
             "SSL_CERT_FILE+SSL_CERT_DIR", bundle, cadir, 3);
  /* --cacert over the environment, the directory included (as curl). */
  cli_expect(&v, L(fenv, denv), tt_root, 0, "cafile", "option", tt_root, NULL,
             1);
  /* An empty variable is unset: the system store, which lacks our root. */
  if (sysfile[0])
    cli_expect(&v, L("SSL_CERT_FILE="), NULL, 2, "system", "system", sysfile,
               NULL, sysroots);
  tdserver_stop(v.s);
}

static void test_trust_store_cli_env_missing_file_is_usage_error(void **st) {
  (void)st;
  char fenv[300], denv[240], want[600];
  snprintf(fenv, sizeof(fenv), "SSL_CERT_FILE=%s/nonexistent.pem", tt_dir);
  char *out = NULL, *err = NULL;
  int rc = run_env(&out, &err, L(fenv), L("check", "--json", "127.0.0.1:1"));
  assert_int_equal(rc, 1);
  assert_string_equal(out, "");
  snprintf(want, sizeof(want),
           "tlsdiag check: cannot read CA file '%s/nonexistent.pem' named by "
           "SSL_CERT_FILE: No such file or directory\n", tt_dir);
  assert_string_equal(err, want);
  free(out);
  free(err);
  /* A file where a directory belongs, in sweep as in check. */
  snprintf(denv, sizeof(denv), "SSL_CERT_DIR=%s", bundle);
  rc = run_env(&out, &err, L(denv), L("sweep", "--json"));
  assert_int_equal(rc, 1);
  snprintf(want, sizeof(want),
           "tlsdiag sweep: SSL_CERT_DIR '%s' is not a directory (use "
           "SSL_CERT_FILE for a file)\n", bundle);
  assert_string_equal(err, want);
  free(out);
  free(err);
  /* A readable file with no certificate: the library says why, the CLI
   * names the variable, in check and sweep alike. */
  char empty[240];
  snprintf(empty, sizeof(empty), "%s/empty.pem", tt_dir);
  tt_write_text(empty, "");
  snprintf(fenv, sizeof(fenv), "SSL_CERT_FILE=%s", empty);
  static const char *const cmds[] = {"check", "sweep"};
  for (size_t i = 0; i < 2; i++) {
    rc = i == 0 ? run_env(&out, &err, L(fenv), L("check", "127.0.0.1:1"))
                : run_env(&out, &err, L(fenv), L("sweep", "--json"));
    assert_int_equal(rc, 1);
    snprintf(want, sizeof(want),
             "tlsdiag %s: no usable CA certificate in SSL_CERT_FILE: CA file "
             "'%s' is empty\n", cmds[i], empty);
    assert_string_equal(err, want);
    free(out);
    free(err);
  }
  snprintf(fenv, sizeof(fenv), "SSL_CERT_FILE=%s/nonexistent.pem", tt_dir);
  /* Given --cacert, the environment is not even looked at (curl). */
  rc = run_env(&out, &err, L(fenv),
               L("check", "--json", "--cacert", tt_root, "--max-time", "5",
                 "127.0.0.1:1"));
  assert_int_equal(rc, 2);
  assert_non_null(strstr(out, "\"cause\":\"tcp_refused\""));
  free(out);
  free(err);
}

/* The text line and the Prometheus gauges, from a sweep (a multi) with
 * the store from SSL_CERT_FILE. */
static void test_trust_store_cli_text_and_prometheus(void **st) {
  (void)st;
  srv_t v;
  srv_start(&v);
  char fenv[240], want[400];
  snprintf(fenv, sizeof(fenv), "SSL_CERT_FILE=%s", bundle);
  char *out = NULL, *err = NULL;
  int rc = run_env(&out, &err, L(fenv),
                   L("check", "--resolve", v.pin, "--color", "never",
                     v.target));
  assert_int_equal(rc, 0);
  snprintf(want, sizeof(want),
           "\n  trust store  cafile %s, 3 roots (from SSL_CERT_FILE)\n",
           bundle);
  if (!strstr(out, want)) fail_msg("no '%s' in:\n%s", want, out);
  free(out);
  free(err);

  char list[300];
  snprintf(list, sizeof(list), "%s/targets.txt", tt_dir);
  char *line = td_asprintf("%s\n", v.target);
  tt_write_text(list, line);
  free(line);
  const char *argv[] = {"/usr/bin/env", "-u", "SSL_CERT_DIR", fenv,
                        TD_CLI_PATH, "sweep", "--format", "prometheus",
                        "--resolve", v.pin, "--no-progress", NULL};
  rc = tt_run(argv, list, TT_RUN_TIMEOUT_MS, &out, &err);
  assert_int_equal(rc, 0);
  tdprom_t p;
  if (tdprom_parse(out, &p)) fail_msg("%s\n%s", p.err, out);
  char tl[120];
  snprintf(tl, sizeof(tl), "target=%s", v.target);
  char fl[260];
  snprintf(fl, sizeof(fl), "file=%s", bundle);
  const char *info[] = {tl, "kind=cafile", "source=SSL_CERT_FILE", fl, "dir=",
                        NULL};
  size_t n = 0;
  const tdprom_sample_t *x =
      tdprom_find(&p, "tlsdiag_trust_store_info", info, &n);
  assert_int_equal(n, 1);
  assert_true(x->value == 1.0);
  assert_int_equal(x->nlabels, 5);
  const char *roots[] = {tl, NULL};
  x = tdprom_find(&p, "tlsdiag_trust_store_roots", roots, &n);
  assert_int_equal(n, 1);
  assert_true(x->value == 3.0);
  tdprom_free(&p);
  free(out);
  free(err);
  tdserver_stop(v.s);
}

/* tlsdiag verify states its store the same way; explicit anchors (the
 * API's trusted blobs) are no store: null. */
static void test_trust_store_verify(void **st) {
  (void)st;
  char chain[200], fenv[240], at[32];
  snprintf(chain, sizeof(chain), "%s/valid.chain.pem", tt_dir);
  snprintf(fenv, sizeof(fenv), "SSL_CERT_FILE=%s", bundle);
  snprintf(at, sizeof(at), "@%lld", (long long)(tdcerts_now(tt_pki) + 60));
  char *out = NULL, *err = NULL;
  int rc = run_env(&out, &err, L(fenv), L("verify", "--json", "--at", at,
                                          "--host", "localhost", chain));
  json_t *j = json_of(out, err);
  assert_int_equal(rc, 0);
  assert_string_equal(tt_jstr(j, "cause"), "ok");
  expect_store(j, "cafile", "SSL_CERT_FILE", bundle, NULL, 3);
  json_decref(j);
  free(out);
  free(err);

  tlsdiag_blob_t anchor = {tdcerts_root_pem(tt_pki),
                           strlen(tdcerts_root_pem(tt_pki))};
  const tdcerts_case_t *c = tt_case("valid");
  tlsdiag_blob_t leaf = {c->chain_pem, strlen(c->chain_pem)};
  tlsdiag_verify_input_t in;
  tlsdiag_verify_input_init(&in);
  in.chain = &leaf;
  in.nchain = 1;
  in.trusted = &anchor;
  in.ntrusted = 1;
  tlsdiag_result_t *r = NULL;
  assert_int_equal(tlsdiag_verify_chain(&in, NULL, &r), TLSDIAG_OK);
  json_t *jr = tt_json(r);
  assert_true(json_is_null(tt_jget(jr, "tls.trust_store")));
  json_decref(jr);
  tlsdiag_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_trust_store_api_cafile_capath_system),
      cmocka_unit_test(test_trust_store_api_multi_shared),
      cmocka_unit_test(test_trust_store_cli_environment),
      cmocka_unit_test(test_trust_store_cli_env_missing_file_is_usage_error),
      cmocka_unit_test(test_trust_store_cli_text_and_prometheus),
      cmocka_unit_test(test_trust_store_verify),
  };
  return td_run_tests(tests, setup, tt_teardown);
}
