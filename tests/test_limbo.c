/* test_limbo.c: the x509-limbo path-validation suite through the library
 * verifier (tlsdiag_verify_chain). Every case is run with what it gives
 * (validation time, peer name, trusted and untrusted certificates, CRLs,
 * purpose, max depth); one line per case is printed (id, expected, got,
 * agree/DISAGREE, reason), then the totals. Fails when agreement drops
 * below LIMBO_MIN_AGREE, or when a case of high or critical importance
 * disagrees without being listed in tests/limbo_exceptions.txt, or when a
 * listed exception names no case or now agrees (a stale line). Skipped
 * (never passed) when the data is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tdrun.h"
#include <jansson.h>

#include "tlsdiag/tlsdiag.h"

#define LIMBO_PATH td_shared_path("data/x509-limbo/limbo.json")
#define EXCEPTIONS_PATH TD_SOURCE_DIR "/tests/limbo_exceptions.txt"
/* The agreement reached (docs/verify.md); raise it, never lower it. */
#define LIMBO_MIN_AGREE 194

typedef struct {
  char id[200];
  char why[1024];
  int seen;      /* the case was run */
  int disagreed; /* ... and disagreed */
} exception_t;

static exception_t *exceptions;
static size_t nexceptions;

static void load_exceptions(void) {
  FILE *f = fopen(EXCEPTIONS_PATH, "r");
  if (!f) fail_msg("cannot read %s", EXCEPTIONS_PATH);
  char line[1024];
  for (int n = 0; n < 10000 && fgets(line, sizeof(line), f); n++) {
    char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '#' || *p == '\n' || !*p) continue;
    if (!strncmp(p, "cli:", 4)) continue; /* test_limbo_cli.sh's only */
    char *sp = p + strcspn(p, " \t\n");
    char *why = sp + strspn(sp, " \t");
    why[strcspn(why, "\n")] = '\0';
    *sp = '\0';
    if (!*why) fail_msg("limbo_exceptions.txt: %s has no reason", p);
    exception_t *e = realloc(exceptions, (nexceptions + 1) * sizeof(*e));
    assert_non_null(e);
    exceptions = e;
    snprintf(e[nexceptions].id, sizeof(e[0].id), "%.199s", p);
    snprintf(e[nexceptions].why, sizeof(e[0].why), "%s", why);
    e[nexceptions].seen = e[nexceptions].disagreed = 0;
    nexceptions++;
  }
  fclose(f);
}

static exception_t *exception_for(const char *id) {
  for (size_t i = 0; i < nexceptions; i++)
    if (!strcmp(exceptions[i].id, id)) return &exceptions[i];
  return NULL;
}

/* "2024-03-01T00:00:00.999+00:00" -> Unix seconds, fraction dropped (the
 * time is floored, as RFC 5280's one-second granularity suggests). */
static int64_t parse_time(const char *s) {
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  int y, mo, d, h, mi, se;
  if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &se) != 6)
    fail_msg("bad validation_time %s", s);
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  const char *z = strpbrk(s + 19, "Z+-");
  if (z && *z != 'Z' && strcmp(z, "+00:00") != 0)
    fail_msg("validation_time not in UTC: %s", s);
  return (int64_t)timegm(&tm);
}

static size_t blobs(json_t *arr, tlsdiag_blob_t **out) {
  size_t n = json_array_size(arr);
  *out = calloc(n ? n : 1, sizeof(**out));
  assert_non_null(*out);
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(arr, i));
    (*out)[i].data = s;
    (*out)[i].len = s ? strlen(s) : 0;
  }
  return n;
}

static int has_str(json_t *arr, const char *v) {
  for (size_t i = 0; i < json_array_size(arr); i++)
    if (!strcmp(json_string_value(json_array_get(arr, i)) ?: "", v)) return 1;
  return 0;
}

/* Runs one case; returns 1 for SUCCESS, 0 for FAILURE; why gets a reason. */
static int run_case(json_t *tc, char *why, size_t whylen) {
  tlsdiag_verify_input_t in;
  tlsdiag_verify_input_init(&in);
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  tlsdiag_blob_t leaf = {json_string_value(json_object_get(tc, "peer_certificate")), 0};
  leaf.len = strlen(leaf.data);
  in.chain = &leaf;
  in.nchain = 1;
  tlsdiag_blob_t *tr, *un, *crl;
  in.ntrusted = blobs(json_object_get(tc, "trusted_certs"), &tr);
  in.trusted = tr;
  in.nuntrusted = blobs(json_object_get(tc, "untrusted_intermediates"), &un);
  in.untrusted = un;
  in.ncrls = blobs(json_object_get(tc, "crls"), &crl);
  in.crls = crl;
  json_t *vt = json_object_get(tc, "validation_time");
  if (json_is_string(vt)) o.now = parse_time(json_string_value(vt));
  json_t *md = json_object_get(tc, "max_chain_depth");
  if (json_is_integer(md)) in.max_depth = (int)json_integer_value(md);
  json_t *eku = json_object_get(tc, "extended_key_usage");
  const char *kind = json_string_value(json_object_get(tc, "validation_kind"));
  in.purpose = has_str(eku, "clientAuth") ||
                       (kind && !strcmp(kind, "CLIENT") && !has_str(eku, "serverAuth"))
                   ? TLSDIAG_PURPOSE_CLIENT
                   : TLSDIAG_PURPOSE_SERVER;
  json_t *peer = json_object_get(tc, "expected_peer_name");
  if (json_is_object(peer)) {
    const char *k = json_string_value(json_object_get(peer, "kind"));
    if (k && (!strcmp(k, "DNS") || !strcmp(k, "IP")))
      in.host = json_string_value(json_object_get(peer, "value"));
  }
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t e = tlsdiag_verify_chain(&in, &o, &r);
  int ok = 0;
  if (e == TLSDIAG_OK && getenv("LIMBO_CASE")) {
    /* LIMBO_CASE=id: the whole report of that case, for debugging */
    char *js = NULL;
    if (tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, TLSDIAG_FMT_PRETTY, &js,
                              NULL) == TLSDIAG_OK)
      printf("%s", js);
    tlsdiag_free(js);
  }
  if (e != TLSDIAG_OK) {
    snprintf(why, whylen, "not verified: %s", tlsdiag_strerror(e));
  } else {
    ok = tlsdiag_result_ok(r);
    if (ok) {
      snprintf(why, whylen, "ok");
    } else {
      const char *rule = tlsdiag_result_finding_evidence(r, 0, "rule");
      snprintf(why, whylen, "%s%s%s: %s",
               tlsdiag_cause_name(tlsdiag_result_cause(r)), rule ? "/" : "",
               rule ? rule : "", tlsdiag_result_finding_message(r, 0));
    }
  }
  tlsdiag_result_free(r);
  free(tr);
  free(un);
  free(crl);
  return ok;
}

static void test_limbo_agreement(void **state) {
  (void)state;
  json_error_t jerr;
  FILE *probe = fopen(LIMBO_PATH, "r");
  if (!probe) TD_SKIP("limbo data absent (%s)", LIMBO_PATH);
  fclose(probe);
  json_t *root = json_load_file(LIMBO_PATH, 0, &jerr);
  if (!root) fail_msg("limbo.json: %s (line %d)", jerr.text, jerr.line);
  load_exceptions();
  json_t *cases = json_object_get(root, "testcases");
  assert_true(json_is_array(cases));
  size_t total = json_array_size(cases), agree = 0, high = 0, high_agree = 0;
  size_t unexplained_high = 0, excepted = 0;
  for (size_t i = 0; i < total; i++) {
    json_t *tc = json_array_get(cases, i);
    const char *id = json_string_value(json_object_get(tc, "id"));
    const char *exp = json_string_value(json_object_get(tc, "expected_result"));
    const char *imp = json_string_value(json_object_get(tc, "importance"));
    if (getenv("LIMBO_CASE") && strcmp(getenv("LIMBO_CASE"), id ? id : ""))
      continue;
    char why[512];
    int got = run_case(tc, why, sizeof(why));
    int want = exp && !strcmp(exp, "SUCCESS");
    int same = got == want;
    int is_high = imp && (!strcmp(imp, "high") || !strcmp(imp, "critical"));
    exception_t *x = exception_for(id);
    if (x) {
      x->seen = 1;
      x->disagreed = !same;
    }
    agree += same ? 1u : 0u;
    if (is_high) {
      high++;
      high_agree += same ? 1u : 0u;
      if (!same && !x) unexplained_high++;
    }
    if (!same && x) excepted++;
    printf("%-70s %-7s %-7s %-8s %s%s%s%s\n", id, want ? "SUCCESS" : "FAILURE",
           got ? "SUCCESS" : "FAILURE", same ? "agree" : "DISAGREE", why,
           !same && x ? "  [exception: " : "", !same && x ? x->why : "",
           !same && x ? "]" : "");
  }
  printf("limbo: %zu/%zu agree (%.1f%%); high/critical importance %zu/%zu; "
         "%zu disagreements listed as exceptions; minimum %d\n",
         agree, total, 100.0 * (double)agree / (double)(total ? total : 1),
         high_agree, high, excepted, LIMBO_MIN_AGREE);
  json_decref(root);
  size_t stale = 0;
  for (size_t i = 0; i < nexceptions && !getenv("LIMBO_CASE"); i++)
    if (!exceptions[i].seen || !exceptions[i].disagreed) {
      printf("stale exception %s: %s; remove its line\n", exceptions[i].id,
             exceptions[i].seen ? "the case now agrees" : "no such case");
      stale++;
    }
  free(exceptions);
  exceptions = NULL;
  nexceptions = 0;
  if (getenv("LIMBO_CASE")) return; /* one case: no verdict on totals */
  assert_int_equal(stale, 0);
  assert_int_equal(unexplained_high, 0);
  if (agree < LIMBO_MIN_AGREE)
    fail_msg("agreement %zu is below the recorded %d", agree, LIMBO_MIN_AGREE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_limbo_agreement),
  };
  /* Without ../shared the test skips: the program exits 77 (ctest shows
   * it as skipped), never 0. */
  return td_run_tests(tests, NULL, NULL);
}
