/* test_hsts_builtin.c: the preload list built into tlsdiag (issue 14):
 * the embedded index answers exactly what the shipped snapshot says; its
 * date and the hsts_list_stale finding (180 days, at the check's clock);
 * a weak STS header without a list; and, on loopback with a real
 * preloaded name (github.com) pinned to 127.0.0.1, what `check` says
 * through the API and through the CLI run on a fresh install (empty HOME
 * and cache, no environment): preload status, hsts.list, the insecure
 * redirect and the certificate error of a preloaded host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "hsts.h"
#include "tdcerts.h"
#include "tdserver.h"
#include "tlsdiag/tlsdiag.h"
#include "tdrun.h"
#include "tdtest.h"

#define SNAPSHOT TD_SOURCE_DIR "/lib/data/hsts_preload.txt.xz"
#define SNAPSHOT_DATE 1780272000 /* 2026-06-01T00:00:00Z */
#define SNAPSHOT_ENTRIES 94600
#define NAME "github.com" /* preloaded, own entry, includeSubDomains */
#define FULL "max-age=63072000; includeSubDomains; preload"
#define DAY 86400

static char gh_root[200];  /* a root that signed a leaf for NAME */
static char *gh_chain, *gh_key;
static char fresh_home[200]; /* empty HOME; its .cache stays empty */

static int setup(void **state) {
  if (tt_setup(state)) return -1;
  char *root = NULL;
  if (tdcerts_many_sans(tdcerts_now(tt_pki), NAME, 1, &root, &gh_chain,
                        &gh_key) != 0)
    return -1;
  snprintf(gh_root, sizeof(gh_root), "%s/github-root.pem", tt_dir);
  tt_write_text(gh_root, root);
  free(root);
  snprintf(fresh_home, sizeof(fresh_home), "%s/home", tt_dir);
  return mkdir(fresh_home, 0700) != 0 ? -1 : 0;
}

static int teardown(void **state) {
  free(gh_chain);
  free(gh_key);
  return tt_teardown(state);
}

/* ---- the list itself ----------------------------------------------------- */

static void test_hsts_builtin_list_facts(void **state) {
  (void)state;
  const tlsdiag_hsts_t *b = tlsdiag_hsts_builtin();
  assert_non_null(b);
  assert_ptr_equal(tlsdiag_hsts_builtin(), b); /* one per process */
  assert_int_equal(tlsdiag_hsts_count(b), SNAPSHOT_ENTRIES);
  assert_int_equal(tlsdiag_hsts_source(b), TLSDIAG_HSTS_SOURCE_BUILTIN);
  assert_string_equal(tlsdiag_hsts_source_name(tlsdiag_hsts_source(b)),
                      "builtin");
  assert_null(tlsdiag_hsts_path(b));
  assert_int_equal(tlsdiag_hsts_date(b), SNAPSHOT_DATE);
  /* borrowed: it cannot be relabelled, and freeing it does nothing */
  assert_int_equal(tlsdiag_hsts_set_source((tlsdiag_hsts_t *)b,
                                           TLSDIAG_HSTS_SOURCE_CACHE),
                   TLSDIAG_E_INVAL);
  tlsdiag_hsts_free((tlsdiag_hsts_t *)b);
  const char *entry = NULL;
  int subs = 0;
  assert_int_equal(tlsdiag_hsts_lookup(b, "api.GitHub.com.", &entry, &subs), 1);
  assert_string_equal(entry, "github.com");
  assert_int_equal(subs, 1);
  assert_int_equal(tlsdiag_hsts_lookup(b, "foo.dev", &entry, &subs), 1);
  assert_string_equal(entry, "dev");
  assert_int_equal(tlsdiag_hsts_lookup(b, "example.com", &entry, &subs), 0);
  assert_null(entry);
  assert_int_equal(tlsdiag_hsts_lookup(b, "localhost", &entry, &subs), 0);
  assert_non_null(strstr(td_hsts_builtin_source(), "hstspreload 2026.6.1"));
}

/* Every line of the shipped snapshot, looked up in the embedded index: the
 * entry itself decides, with the snapshot's flags; and a name under it is
 * preloaded exactly when the entry has force-https and include_subdomains. */
static void test_hsts_builtin_matches_snapshot(void **state) {
  (void)state;
  const tlsdiag_hsts_t *b = tlsdiag_hsts_builtin();
  FILE *p = popen("xz -dc '" SNAPSHOT "'", "r");
  assert_non_null(p);
  char line[400], sub[420];
  size_t n = 0, force = 0;
  assert_non_null(fgets(line, sizeof(line), p));
  assert_int_equal(strncmp(line, "#tlsdiag-hsts-snapshot\t2026-06-01\t", 34), 0);
  while (fgets(line, sizeof(line), p)) {
    char *tab = strchr(line, '\t');
    assert_non_null(tab);
    *tab = 0;
    unsigned flags = (unsigned)(tab[1] - '0');
    const char *entry = NULL;
    int subs = -1, exact = -1;
    int pre = td_hsts_list_find(b, line, &entry, &subs, &exact);
    if (!entry || strcmp(entry, line) || !exact ||
        subs != !!(flags & TD_HSTS_F_SUBDOMAINS) ||
        pre != !!(flags & TD_HSTS_F_FORCE_HTTPS))
      fail_msg("%s (flags %u): entry %s, exact %d, subs %d, preloaded %d",
               line, flags, entry ? entry : "(none)", exact, subs, pre);
    snprintf(sub, sizeof(sub), "zz-tlsdiag-probe.%s", line);
    assert_int_equal(td_hsts_list_find(b, sub, NULL, NULL, NULL),
                     flags == (TD_HSTS_F_FORCE_HTTPS | TD_HSTS_F_SUBDOMAINS));
    force += (flags & TD_HSTS_F_FORCE_HTTPS) != 0;
    n++;
  }
  assert_int_equal(pclose(p), 0);
  assert_int_equal(n, SNAPSHOT_ENTRIES);
  assert_int_equal(force, tlsdiag_hsts_count(b));
}

/* ---- findings without a server (td_hsts_classify) ------------------------ */

/* A result after a 200 with the given STS header (or none), judged at
 * `now` against the built-in list. */
static tlsdiag_result_t *judged(const char *host, const char *sts,
                                int64_t now) {
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  r->host = strdup(host);
  r->ace_host = strdup(host);
  r->now = now;
  for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++)
    r->phase[p].status = TLSDIAG_STATUS_OK;
  r->http_status = 200;
  if (sts)
    assert_int_equal(td_result_header(r, "Strict-Transport-Security", 25, sts,
                                      strlen(sts)),
                     0);
  r->hsts_list = tlsdiag_hsts_builtin();
  td_hsts_classify(r);
  r->hsts_list = NULL;
  return r;
}

static const char *evidence(const tlsdiag_result_t *r, tlsdiag_cause_t c,
                            const char *key) {
  long i = tlsdiag_result_find(r, c);
  if (i < 0) fail_msg("no %s", tlsdiag_cause_name(c));
  const char *v = tlsdiag_result_finding_evidence(r, (size_t)i, key);
  if (!v) fail_msg("%s has no evidence %s", tlsdiag_cause_name(c), key);
  return v;
}

/* 180 days after the snapshot is still fresh; 181 is stale (info). */
static void test_hsts_builtin_stale_after_180_days(void **state) {
  (void)state;
  tlsdiag_result_t *r = judged(NAME, FULL, SNAPSHOT_DATE + 180 * DAY + 3600);
  assert_int_equal(tlsdiag_result_finding_count(r), 0);
  assert_false(r->hsts->list_stale);
  tlsdiag_result_free(r);

  r = judged(NAME, FULL, SNAPSHOT_DATE + 181 * DAY);
  assert_int_equal(tlsdiag_result_finding_count(r), 1);
  assert_int_equal(tlsdiag_result_finding_code(r, 0),
                   TLSDIAG_CAUSE_HSTS_LIST_STALE);
  assert_int_equal(tlsdiag_result_finding_severity(r, 0),
                   TLSDIAG_SEVERITY_INFO);
  assert_string_equal(tlsdiag_cause_name(TLSDIAG_CAUSE_HSTS_LIST_STALE),
                      "hsts_list_stale");
  assert_string_equal(evidence(r, TLSDIAG_CAUSE_HSTS_LIST_STALE, "source"),
                      "builtin");
  assert_string_equal(evidence(r, TLSDIAG_CAUSE_HSTS_LIST_STALE, "date"),
                      "2026-06-01");
  assert_string_equal(evidence(r, TLSDIAG_CAUSE_HSTS_LIST_STALE, "age_days"),
                      "181");
  assert_string_equal(evidence(r, TLSDIAG_CAUSE_HSTS_LIST_STALE, "max_days"),
                      "180");
  assert_string_equal(tlsdiag_result_finding_message(r, 0),
                      "the built-in HSTS preload list is a snapshot of "
                      "2026-06-01, 181 days old: hosts preloaded since are "
                      "missing (run `tlsdiag hsts update`)");
  assert_true(tlsdiag_result_ok(r));
  tlsdiag_result_free(r);
}

/* With the built-in list (not a list the user chose), a host that is not
 * preloaded gets no preload advice, but a weak header still gets one info
 * finding; `preload` without includeSubDomains is a warning (it asks to
 * be judged); a preloaded host's own entry keeps its warnings. */
static void test_hsts_builtin_weak_header_rules(void **state) {
  (void)state;
  const int64_t fresh = SNAPSHOT_DATE + 10 * DAY;
  tlsdiag_result_t *r = judged("plain.tlsdiag.test", NULL, fresh);
  assert_int_equal(tlsdiag_result_finding_count(r), 0);
  tlsdiag_result_free(r);

  r = judged("plain.tlsdiag.test", "max-age=300", fresh);
  assert_int_equal(tlsdiag_result_finding_count(r), 1);
  assert_int_equal(tlsdiag_result_finding_code(r, 0),
                   TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT);
  assert_int_equal(tlsdiag_result_finding_severity(r, 0),
                   TLSDIAG_SEVERITY_INFO);
  assert_string_equal(evidence(r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, "max_age"),
                      "300");
  assert_string_equal(evidence(r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, "minimum"),
                      "31536000");
  assert_string_equal(tlsdiag_result_finding_message(r, 0),
                      "HSTS max-age is 300 s (5 minutes): browsers stop "
                      "forcing HTTPS for plain.tlsdiag.test 5 minutes after "
                      "the last visit; one year (31536000 s) is the usual "
                      "minimum");
  tlsdiag_result_free(r);

  r = judged("plain.tlsdiag.test", "max-age=63072000; preload", fresh);
  assert_int_equal(tlsdiag_result_finding_count(r), 1);
  assert_int_equal(tlsdiag_result_finding_code(r, 0),
                   TLSDIAG_CAUSE_HSTS_NO_INCLUDE_SUBDOMAINS);
  assert_int_equal(tlsdiag_result_finding_severity(r, 0),
                   TLSDIAG_SEVERITY_WARNING);
  tlsdiag_result_free(r);

  r = judged(NAME, "max-age=300; includeSubDomains; preload", fresh);
  assert_int_equal(tlsdiag_result_finding_count(r), 2);
  assert_int_equal(tlsdiag_result_finding_code(r, 0),
                   TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT);
  assert_int_equal(tlsdiag_result_finding_severity(r, 0),
                   TLSDIAG_SEVERITY_WARNING);
  assert_int_equal(tlsdiag_result_finding_code(r, 1),
                   TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH);
  assert_string_equal(evidence(r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH, "entry"),
                      NAME);
  tlsdiag_result_free(r);
}

/* ---- on loopback: the API and the CLI of a fresh install ---------------- */

typedef struct {
  tdserver_t *s;
  char pin[300];
  int64_t now;
  tlsdiag_result_t *r; /* the API's check, with the built-in list */
  json_t *j;           /* its JSON */
  json_t *cli;         /* `tlsdiag check --json` on a fresh install */
  int cli_exit;
} gh_run_t;

/* Runs a server for NAME (its own certificate, or the "valid" case's for
 * another name when wrong_cert), answering status with extra headers;
 * checks it through the API and the CLI, both at the same clock. */
static void gh_run(gh_run_t *g, int wrong_cert, int status,
                   const char *headers) {
  memset(g, 0, sizeof(*g));
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  if (!wrong_cert) {
    cfg.chain_pem = gh_chain;
    cfg.key_pem = gh_key;
    cfg.ocsp_der = NULL; /* the "valid" case's staple is for its own leaf */
    cfg.ocsp_len = 0;
  }
  cfg.http_status = status;
  cfg.extra_headers = headers;
  g->s = tt_server_cfg(&cfg);
  uint16_t port = tdserver_port(g->s);
  tt_opts_t t;
  tt_opts(&t, NAME, port);
  t.o.cafile = wrong_cert ? tt_root : gh_root;
  t.o.hsts = tlsdiag_hsts_builtin();
  t.o.flags |= TLSDIAG_F_NO_VERSION_PROBE;
  g->now = t.o.now;
  g->r = tt_check(NAME, &t.o);
  g->j = tt_json(g->r);

  char target[300], nowarg[40], home[260], cache[260];
  snprintf(g->pin, sizeof(g->pin), "%s", t.pin);
  snprintf(target, sizeof(target), "%s:%u", NAME, port);
  snprintf(nowarg, sizeof(nowarg), "@%lld", (long long)g->now);
  snprintf(home, sizeof(home), "HOME=%s", fresh_home);
  snprintf(cache, sizeof(cache), "XDG_CACHE_HOME=%s/.cache", fresh_home);
  /* env -i: nothing of ours (no TLSDIAG_*), as on a fresh install */
  const char *argv[] = {"/usr/bin/env", "-i", home, cache, TD_CLI_PATH,
                        "check", "--json", "--cacert",
                        t.o.cafile, "--resolve", g->pin, "--now", nowarg,
                        target, NULL};
  char *out = NULL;
  g->cli_exit = tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &out, NULL);
  json_error_t err;
  g->cli = json_loads(out, 0, &err);
  if (!g->cli) fail_msg("CLI printed invalid JSON (%s): %s", err.text, out);
  free(out);
}

static void gh_free(gh_run_t *g) {
  tlsdiag_result_free(g->r);
  json_decref(g->j);
  json_decref(g->cli);
  tdserver_stop(g->s);
}

/* The same "code/severity ..." from the API and the CLI (report order:
 * by severity). */
static void gh_expect(const gh_run_t *g, const char *want) {
  for (int k = 0; k < 2; k++) {
    json_t *f = tt_jget(k ? g->cli : g->j, "findings");
    td_buf_t b;
    td_buf_init(&b);
    for (size_t i = 0; i < json_array_size(f); i++)
      td_buf_printf(&b, "%s%s/%s", i ? " " : "",
                    json_string_value(json_object_get(json_array_get(f, i), "code")),
                    json_string_value(
                        json_object_get(json_array_get(f, i), "severity")));
    char *got = td_buf_steal(&b, NULL);
    if (strcmp(got ? got : "", want))
      fail_msg("%s findings [%s], expected [%s]", k ? "CLI" : "API",
               got ? got : "", want);
    free(got);
  }
}

/* hsts.* as both report it: NAME preloaded by its own entry, from the
 * built-in snapshot, stale at the test's clock (later than 2026-11-28). */
static void gh_expect_hsts(const gh_run_t *g) {
  char age[32];
  snprintf(age, sizeof(age), "%lld",
           (long long)((g->now - SNAPSHOT_DATE) / DAY));
  assert_true(g->now - SNAPSHOT_DATE > 180 * DAY);
  for (int k = 0; k < 2; k++) {
    json_t *j = k ? g->cli : g->j;
    assert_true(json_is_true(tt_jget(j, "hsts.preloaded")));
    assert_string_equal(tt_jstr(j, "hsts.entry"), NAME);
    assert_true(json_is_true(tt_jget(j, "hsts.include_subdomains")));
    assert_true(json_is_true(tt_jget(j, "hsts.entry_is_host")));
    json_t *l = tt_jget(j, "hsts.list");
    assert_int_equal(json_object_size(l), 5);
    assert_string_equal(tt_jstr(j, "hsts.list.source"), "builtin");
    assert_true(json_is_null(tt_jget(j, "hsts.list.path")));
    assert_string_equal(tt_jstr(j, "hsts.list.date"), "2026-06-01T00:00:00Z");
    assert_int_equal(json_integer_value(tt_jget(j, "hsts.list.entries")),
                     SNAPSHOT_ENTRIES);
    assert_true(json_is_true(tt_jget(j, "hsts.list.stale")));
  }
  assert_string_equal(evidence(g->r, TLSDIAG_CAUSE_HSTS_LIST_STALE, "age_days"),
                      age);
}

/* Acceptance: a fresh install's `check` reports preload status from the
 * built-in snapshot; the compliant host gets only the stale-list note. */
static void test_hsts_builtin_check_fresh_install(void **state) {
  (void)state;
  gh_run_t g;
  gh_run(&g, 0, 200, "Strict-Transport-Security: " FULL "\r\n");
  gh_expect(&g, "hsts_list_stale/info");
  gh_expect_hsts(&g);
  assert_int_equal(g.cli_exit, 0);
  assert_string_equal(tt_jstr(g.cli, "cause"), "ok");
  assert_true(json_is_true(tt_jget(g.cli, "ok")));
  gh_free(&g);
}

/* Acceptance: `hsts lookup` on a fresh install answers from the snapshot. */
static void test_hsts_builtin_lookup_fresh_install(void **state) {
  (void)state;
  char home[260], cache[260];
  snprintf(home, sizeof(home), "HOME=%s", fresh_home);
  snprintf(cache, sizeof(cache), "XDG_CACHE_HOME=%s/.cache", fresh_home);
  const char *argv[] = {"/usr/bin/env", "-i", home, cache, TD_CLI_PATH,
                        "hsts", "lookup", NAME, "www.example.com", NULL};
  char *out = NULL;
  int rc = tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &out, NULL);
  assert_int_equal(rc, 2); /* www.example.com is not preloaded */
  assert_string_equal(out,
                      "HSTS preload list: built-in snapshot of 2026-06-01, "
                      "94600 entries\n"
                      "github.com: preloaded by entry github.com "
                      "(includeSubDomains)\n"
                      "www.example.com: not preloaded\n");
  free(out);
  /* TLSDIAG_HSTS_BUILTIN=off: no list at all */
  const char *off[] = {"/usr/bin/env", "-i", home, cache,
                       "TLSDIAG_HSTS_BUILTIN=off", TD_CLI_PATH, "hsts",
                       "lookup", NAME, NULL};
  rc = tt_run(off, NULL, TT_RUN_TIMEOUT_MS, &out, NULL);
  assert_int_equal(rc, 1);
  assert_string_equal(out, "");
  free(out);
}

/* Issue 14 item 4: a preloaded host whose HTTPS answer redirects to
 * http:// gets http_insecure_redirect as an error (browsers loop). */
static void test_hsts_builtin_preloaded_insecure_redirect(void **state) {
  (void)state;
  gh_run_t g;
  gh_run(&g, 0, 301,
         "Location: http://github.com/login\r\n"
         "Strict-Transport-Security: " FULL "\r\n");
  gh_expect(&g, "http_insecure_redirect/error hsts_list_stale/info");
  gh_expect_hsts(&g);
  assert_int_equal(tlsdiag_result_cause(g.r),
                   TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT);
  assert_string_equal(tt_jstr(g.cli, "cause"), "http_insecure_redirect");
  assert_string_equal(
      evidence(g.r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "location"),
      "http://github.com/login");
  assert_string_equal(
      evidence(g.r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "preloaded"),
      "true");
  assert_string_equal(
      evidence(g.r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT, "preload_entry"),
      NAME);
  assert_int_equal(g.cli_exit, 2);
  assert_true(json_is_false(tt_jget(g.cli, "ok")));
  gh_free(&g);
}

/* Issue 14 item 4: a preloaded host with a failing certificate keeps
 * hsts_preloaded_cert_error with the built-in list. */
static void test_hsts_builtin_preloaded_cert_error(void **state) {
  (void)state;
  gh_run_t g;
  gh_run(&g, 1, 200, "Strict-Transport-Security: " FULL "\r\n");
  gh_expect(&g, "cert_hostname_mismatch/error hsts_preloaded_cert_error/error "
                "hsts_list_stale/info");
  assert_int_equal(tlsdiag_result_cause(g.r),
                   TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH);
  assert_string_equal(tt_jstr(g.cli, "cause"), "cert_hostname_mismatch");
  assert_string_equal(
      evidence(g.r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR, "cert_cause"),
      "cert_hostname_mismatch");
  assert_string_equal(
      evidence(g.r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR, "entry"), NAME);
  assert_string_equal(
      evidence(g.r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR, "entry_is_host"),
      "true");
  assert_int_equal(g.cli_exit, 2);
  gh_free(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hsts_builtin_list_facts),
      cmocka_unit_test(test_hsts_builtin_matches_snapshot),
      cmocka_unit_test(test_hsts_builtin_stale_after_180_days),
      cmocka_unit_test(test_hsts_builtin_weak_header_rules),
      cmocka_unit_test(test_hsts_builtin_check_fresh_install),
      cmocka_unit_test(test_hsts_builtin_lookup_fresh_install),
      cmocka_unit_test(test_hsts_builtin_preloaded_insecure_redirect),
      cmocka_unit_test(test_hsts_builtin_preloaded_cert_error),
  };
  return td_run_tests(tests, setup, teardown);
}
