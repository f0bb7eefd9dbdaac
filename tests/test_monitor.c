/* test_monitor.c: the monitoring outputs from results built by hand: the
 * Nagios state rules and status line, expiry measured on the path (not on
 * extra certificates), and the Prometheus exposition (escaping, grouping
 * of many results) checked by a strict parser. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdrun.h"

#include "internal.h"
#include "tdprom.h"

#define DAY 86400
#define NOW 1800000000 /* 2027-01-15 */

/* A certificate issued by `issuer`, expiring `days` after NOW. */
static void add_cert(tlsdiag_result_t *r, const char *subject,
                     const char *issuer, int64_t days) {
  r->chain = realloc(r->chain, (r->nchain + 1) * sizeof(*r->chain));
  td_cert_t *c = &r->chain[r->nchain++];
  memset(c, 0, sizeof(*c));
  c->subject = strdup(subject);
  c->issuer = strdup(issuer);
  const char *cn = strstr(subject, "CN=");
  c->common_name = strdup(cn ? cn + 3 : subject);
  c->not_before = NOW - 30 * DAY;
  c->not_after = NOW + days * DAY + 3600; /* not on a day boundary */
  c->self_issued = c->self_signed = !strcmp(subject, issuer);
  td_time_iso(c->not_after, c->not_after_iso);
}

/* A completed check of host:443 with a leaf expiring in leaf_days and its
 * intermediate in int_days, no findings. */
static tlsdiag_result_t *result(const char *host, int64_t leaf_days,
                                int64_t int_days) {
  tlsdiag_result_t *r = td_result_new();
  r->host = strdup(host);
  r->ace_host = strdup(host);
  r->sni = strdup(host);
  r->port = 443;
  r->now = NOW;
  r->started_wall = NOW;
  r->warn_days = 30;
  r->crit_days = 7;
  r->tls_version = strdup("TLS1.3");
  r->tls_cipher = strdup("TLS_AES_256_GCM_SHA384");
  r->http_status = 200;
  for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++) {
    r->phase[p].status = TLSDIAG_STATUS_OK;
    r->phase[p].ms = 1.5 + p;
  }
  r->phase[TLSDIAG_PHASE_DNS].status = TLSDIAG_STATUS_SKIPPED;
  r->total_ms = 9.25;
  if (leaf_days > -100000) {
    add_cert(r, "CN=leaf", "CN=Intermediate", leaf_days);
    add_cert(r, "CN=Intermediate", "CN=Root", int_days);
  }
  return r;
}

static void finding(tlsdiag_result_t *r, tlsdiag_cause_t code,
                    tlsdiag_severity_t sev, const char *msg) {
  td_finding_add(r, code, sev, "%s", msg);
  if (sev == TLSDIAG_SEVERITY_ERROR && r->cause == TLSDIAG_CAUSE_OK)
    r->cause = code;
}

static char *fmt(const tlsdiag_result_t *r, tlsdiag_format_t f) {
  char *s = NULL;
  assert_int_equal(tlsdiag_result_format(r, f, 0, &s, NULL), TLSDIAG_OK);
  return s;
}

static size_t count_char(const char *s, char c) {
  size_t n = 0;
  for (; *s; s++) n += *s == c;
  return n;
}

/* ---- Nagios ------------------------------------------------------------ */

static void test_monitor_nagios_state_follows_findings_and_expiry(void **st) {
  (void)st;
  tlsdiag_result_t *r = result("ok.test", 89, 1000);
  assert_int_equal(tlsdiag_result_nagios_state(r), 0);
  tlsdiag_result_free(r);

  r = result("warn.test", 20, 1000); /* below warn_days 30 */
  assert_int_equal(tlsdiag_result_nagios_state(r), 1);
  tlsdiag_result_free(r);

  r = result("crit.test", 6, 1000); /* below crit_days 7 */
  assert_int_equal(tlsdiag_result_nagios_state(r), 2);
  tlsdiag_result_free(r);

  r = result("edge.test", 7, 1000); /* 7 days is not below 7 */
  assert_int_equal(tlsdiag_result_nagios_state(r), 1);
  tlsdiag_result_free(r);

  r = result("skew.test", 89, 1000);
  finding(r, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_WARNING, "clock off");
  assert_int_equal(tlsdiag_result_nagios_state(r), 1);
  tlsdiag_result_free(r);

  r = result("expired.test", -10, 1000);
  finding(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR, "expired");
  assert_int_equal(tlsdiag_result_nagios_state(r), 2);
  tlsdiag_result_free(r);

  r = result("nx.test", -100000, 0);
  finding(r, TLSDIAG_CAUSE_DNS_NXDOMAIN, TLSDIAG_SEVERITY_ERROR, "no name");
  assert_int_equal(tlsdiag_result_nagios_state(r), 2);
  tlsdiag_result_free(r);

  /* The resolver failing says nothing about the target. */
  tlsdiag_cause_t unknown[] = {TLSDIAG_CAUSE_DNS_TIMEOUT,
                               TLSDIAG_CAUSE_DNS_FAILURE};
  for (size_t i = 0; i < 2; i++) {
    r = result("dns.test", -100000, 0);
    finding(r, unknown[i], TLSDIAG_SEVERITY_ERROR, "resolver failed");
    assert_int_equal(tlsdiag_result_nagios_state(r), 3);
    tlsdiag_result_free(r);
  }
  assert_int_equal(tlsdiag_result_nagios_state(NULL), 3);
}

static void test_monitor_nagios_worst_state_of_many(void **st) {
  (void)st;
  tlsdiag_result_t *ok = result("a.test", 89, 1000);
  tlsdiag_result_t *warn = result("b.test", 20, 1000);
  tlsdiag_result_t *unk = result("c.test", -100000, 0);
  finding(unk, TLSDIAG_CAUSE_DNS_TIMEOUT, TLSDIAG_SEVERITY_ERROR, "timeout");
  tlsdiag_result_t *crit = result("d.test", -2, 1000); /* -1 day */
  finding(crit, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR, "expired");
  const tlsdiag_result_t *a[] = {ok, warn};
  const tlsdiag_result_t *b[] = {ok, warn, unk};
  const tlsdiag_result_t *c[] = {unk, crit, ok};
  assert_int_equal(tlsdiag_results_nagios_state(a, 1), 0);
  assert_int_equal(tlsdiag_results_nagios_state(a, 2), 1);
  assert_int_equal(tlsdiag_results_nagios_state(b, 3), 3);
  assert_int_equal(tlsdiag_results_nagios_state(c, 3), 2);
  assert_int_equal(tlsdiag_results_nagios_state(NULL, 0), 3);

  char *s = NULL;
  assert_int_equal(tlsdiag_results_format(c, 3, TLSDIAG_FORMAT_NAGIOS, 0, &s,
                                          NULL),
                   TLSDIAG_OK);
  /* Status line with counts and perfdata, then one line per target,
   * worst first. */
  const char *want =
      "TLSDIAG CRITICAL - 3 targets: 1 CRITICAL, 1 UNKNOWN, 0 WARNING, 1 OK; "
      "soonest expiry d.test:443 expired 1 day ago | 'targets'=3;;;0 "
      "'critical'=1;;;0 'unknown'=1;;;0 'warning'=0;;;0 'ok'=1;;;0 "
      "'min_days_left'=-1;30:;7:\n"
      "CRITICAL - d.test:443 cert_expired: expired\n"
      "UNKNOWN - c.test:443 dns_timeout: timeout\n"
      "OK - a.test:443 TLS1.3, certificate expires in 89 days";
  assert_memory_equal(s, want, strlen(want));
  assert_int_equal(count_char(s, '|'), 1); /* one '|' */
  tlsdiag_free(s);
  tlsdiag_result_free(ok);
  tlsdiag_result_free(warn);
  tlsdiag_result_free(unk);
  tlsdiag_result_free(crit);
}

/* Checks one perfdata item: 'label'=value[UOM][;warn[;crit[;min[;max]]]],
 * the label unquoted only if it holds no space, quote or '='. */
static void perf_item_ok(const char *item) {
  const char *eq = strchr(item, '=');
  assert_true(eq && eq > item);
  const char *q = eq - 1;
  if (item[0] == '\'') {
    q = strchr(item + 1, '\'');
    assert_non_null(q);
  } else {
    for (const char *c = item; c <= q; c++)
      assert_true(*c != ' ' && *c != '\'' && *c != '|');
  }
  assert_true(q[1] == '=');
  char *end = NULL;
  strtod(q + 2, &end);
  assert_true(end > q + 2);
  if (*end == 'm' && end[1] == 's') end += 2;
  assert_true(*end == '\0' || *end == ';');
}

static void test_monitor_nagios_line_has_status_and_perfdata(void **st) {
  (void)st;
  tlsdiag_result_t *r = result("www.example.test", 89, 1000);
  char *s = fmt(r, TLSDIAG_FORMAT_NAGIOS);
  const char *want = "TLSDIAG OK - www.example.test:443 TLS1.3, certificate "
                     "expires in 89 days (";
  assert_memory_equal(s, want, strlen(want));
  assert_non_null(strstr(s, " | 'days'=89;30:;7: 'tcp_ms'=2.500ms "
                            "'tls_ms'=3.500ms 'http_ms'=4.500ms "
                            "'total_ms'=9.250ms\n"));
  assert_null(strstr(s, "dns_ms")); /* skipped phases have no figure */
  /* one line (offsets, not pointer differences: gcc -O2 takes those
   * for uses of fmt()'s local once it is inlined) */
  assert_int_equal(strcspn(s, "\n") + 1, strlen(s));
  assert_int_equal(count_char(s, '|'), 1);
  char *perf = strdup(s + strcspn(s, "|") + 2);
  perf[strlen(perf) - 1] = '\0';
  char *save = NULL;
  for (char *it = strtok_r(perf, " ", &save); it; it = strtok_r(NULL, " ", &save))
    perf_item_ok(it);
  free(perf);
  tlsdiag_free(s);
  tlsdiag_result_free(r);

  /* Critical by expiry alone says so. */
  r = result("soon.test", 3, 1000);
  s = fmt(r, TLSDIAG_FORMAT_NAGIOS);
  assert_non_null(strstr(s, "TLSDIAG CRITICAL - soon.test:443 TLS1.3, "
                            "certificate expires in 3 days ("));
  assert_non_null(strstr(s, "below 7 days | 'days'=3;30:;7:"));
  tlsdiag_free(s);
  tlsdiag_result_free(r);
}

static void test_monitor_nagios_text_cannot_break_the_line(void **st) {
  (void)st;
  tlsdiag_result_t *r = result("x.test", 89, 1000);
  finding(r, TLSDIAG_CAUSE_TLS_HANDSHAKE_FAILURE, TLSDIAG_SEVERITY_ERROR,
          "alert | from\nserver\r\x1b[31m");
  char *s = fmt(r, TLSDIAG_FORMAT_NAGIOS);
  assert_string_equal(strchr(s, '\n'), "\n"); /* one line */
  assert_int_equal(count_char(s, '|'), 1);
  assert_non_null(strstr(s, "TLSDIAG CRITICAL - x.test:443 "
                            "tls_handshake_failure: alert / from server  [31m |"));
  tlsdiag_free(s);
  tlsdiag_result_free(r);
}

/* ---- expiry on the path ------------------------------------------------ */

static void test_monitor_expiry_ignores_extra_certificates(void **st) {
  (void)st;
  /* leaf 89 d <- intermediate 1000 d, then an extra cross-signed root the
   * server should not send, expiring in 2 days (AddTrust, 2020). */
  tlsdiag_result_t *r = result("x.test", 89, 1000);
  add_cert(r, "CN=Old Root", "CN=Older Root", 2);
  int64_t days = 0, na = 0;
  assert_int_equal(tlsdiag_result_expiry(r, TLSDIAG_EXPIRY_PATH, &na, &days), 1);
  assert_int_equal(days, 89);
  assert_int_equal(na, r->chain[0].not_after);
  assert_int_equal(tlsdiag_result_nagios_state(r), 0);

  /* The intermediate is on the path: when it expires first, it counts. */
  r->chain[1].not_after = NOW + 5 * DAY + 60;
  assert_int_equal(tlsdiag_result_expiry(r, TLSDIAG_EXPIRY_PATH, NULL, &days), 1);
  assert_int_equal(days, 5);
  assert_int_equal(tlsdiag_result_expiry(r, TLSDIAG_EXPIRY_LEAF, NULL, &days), 1);
  assert_int_equal(days, 89);
  assert_int_equal(tlsdiag_result_nagios_state(r), 2);
  char *s = fmt(r, TLSDIAG_FORMAT_NAGIOS);
  assert_non_null(strstr(s, "issuing certificate Intermediate expires in 5 days"));
  tlsdiag_free(s);

  s = fmt(r, TLSDIAG_FORMAT_PROMETHEUS);
  tdprom_t p;
  if (tdprom_parse(s, &p)) fail_msg("%s\n%s", p.err, s);
  const char *extra[] = {"index=2", "on_path=false", "cn=Old Root", NULL};
  const tdprom_sample_t *x =
      tdprom_find(&p, "tlsdiag_chain_cert_not_after_seconds", extra, NULL);
  assert_non_null(x);
  const char *inter[] = {"index=1", "on_path=true", NULL};
  assert_non_null(tdprom_find(&p, "tlsdiag_chain_cert_not_after_seconds", inter, NULL));
  const char *earliest[] = {"cert=path_earliest", NULL};
  x = tdprom_find(&p, "tlsdiag_cert_expiry_seconds", earliest, NULL);
  assert_non_null(x);
  assert_true(x->value == (double)(5 * DAY + 60));
  tdprom_free(&p);
  tlsdiag_free(s);
  tlsdiag_result_free(r);

  r = result("none.test", -100000, 0);
  assert_int_equal(tlsdiag_result_expiry(r, TLSDIAG_EXPIRY_PATH, &na, &days), 0);
  tlsdiag_result_free(r);
}

/* ---- Prometheus -------------------------------------------------------- */

/* The value of label `name` in sample c; fails the test without it. */
static const char *label(const tdprom_sample_t *c, const char *name) {
  for (size_t i = 0; i < c->nlabels; i++)
    if (!strcmp(c->lname[i], name)) return c->lvalue[i];
  fail_msg("no label %s", name);
  return NULL;
}

static void test_monitor_prometheus_escapes_label_values(void **st) {
  (void)st;
  tlsdiag_result_t *r = result("we\"ird\\host\nname", 89, 1000);
  free(r->chain[1].common_name);
  r->chain[1].common_name = strdup("bad \xff utf8 \xc3\xa9 \xed\xa0\x80 end");
  char *s = fmt(r, TLSDIAG_FORMAT_PROMETHEUS);
  tdprom_t p;
  if (tdprom_parse(s, &p)) fail_msg("%s\n%s", p.err, s);
  assert_non_null(strstr(s, "host=\"we\\\"ird\\\\host\\nname\""));
  /* host and port: on the info gauge only, not on every sample */
  const char *host[] = {"host=we\"ird\\host\nname", "port=443", NULL};
  const tdprom_sample_t *ok = tdprom_find(&p, "tlsdiag_check_info", host, NULL);
  assert_non_null(ok);
  assert_true(ok->value == 1.0);
  assert_null(tdprom_find(&p, "tlsdiag_check_success", host, NULL));
  const char *subj[] = {"index=1", NULL};
  const tdprom_sample_t *c =
      tdprom_find(&p, "tlsdiag_chain_cert_not_after_seconds", subj, NULL);
  assert_non_null(c);
  assert_string_equal(label(c, "cn"), "bad \xef\xbf\xbd utf8 \xc3\xa9 "
                                      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
  tdprom_free(&p);
  tlsdiag_free(s);
  tlsdiag_result_free(r);
}

/* A truncated sequence is one maximal ill-formed subpart: one U+FFFD, the
 * same text the JSON report carries (one UTF-8 decoder for both). */
static void test_monitor_prometheus_bad_utf8_as_in_json(void **st) {
  (void)st;
  tlsdiag_result_t *r = result("example.com", 89, 1000);
  free(r->chain[1].common_name);
  r->chain[1].common_name = strdup("\xe2\x82!\xf0\x9f\x98?");
  char *s = fmt(r, TLSDIAG_FORMAT_PROMETHEUS);
  tdprom_t p;
  if (tdprom_parse(s, &p)) fail_msg("%s\n%s", p.err, s);
  const char *subj[] = {"index=1", NULL};
  const tdprom_sample_t *c =
      tdprom_find(&p, "tlsdiag_chain_cert_not_after_seconds", subj, NULL);
  assert_non_null(c);
  assert_string_equal(label(c, "cn"), "\xef\xbf\xbd!\xef\xbf\xbd?");
  td_buf_t j;
  td_buf_init(&j);
  td_json_cstr(&j, r->chain[1].common_name);
  assert_string_equal(j.data, "\"\xef\xbf\xbd!\xef\xbf\xbd?\"");
  td_buf_free(&j);
  tdprom_free(&p);
  tlsdiag_free(s);
  tlsdiag_result_free(r);
}

/* No DN is a label value: the CN and the issuer's CN (from the issuer DN,
 * escapes undone), each cut at 64 characters, and the serial. */
static void test_monitor_prometheus_cert_labels_bounded(void **st) {
  (void)st;
  tlsdiag_result_t *r = result("example.com", 89, 1000);
  char longcn[200];
  memset(longcn, 0, sizeof(longcn));
  for (size_t i = 0; i < 99; i++) longcn[i] = (char)('a' + i % 26);
  strcpy(longcn + 99, "\xc3\xa9"); /* a 2-byte character past the cut */
  free(r->chain[0].common_name);
  r->chain[0].common_name = strdup(longcn);
  free(r->chain[0].issuer);
  r->chain[0].issuer = strdup("O=Org\\, Inc.,CN=Issuing \\2C CA,C=DE");
  free(r->chain[0].serial);
  r->chain[0].serial = strdup("0a1b2c");
  char *s = fmt(r, TLSDIAG_FORMAT_PROMETHEUS);
  tdprom_t p;
  if (tdprom_parse(s, &p)) fail_msg("%s\n%s", p.err, s);
  const char *leaf[] = {"index=0", NULL};
  const tdprom_sample_t *c =
      tdprom_find(&p, "tlsdiag_chain_cert_not_after_seconds", leaf, NULL);
  assert_non_null(c);
  assert_int_equal(c->nlabels, 6); /* target index cn issuer_cn serial_no
                                      on_path */
  assert_int_equal(strlen(label(c, "cn")), 64);
  assert_memory_equal(label(c, "cn"), longcn, 64);
  assert_string_equal(label(c, "issuer_cn"), "Issuing , CA");
  assert_string_equal(label(c, "serial_no"), "0a1b2c");
  assert_null(strstr(s, "subject="));
  assert_null(strstr(s, "O=Org"));
  tdprom_free(&p);
  tlsdiag_free(s);
  tlsdiag_result_free(r);
}

static void test_monitor_prometheus_groups_many_results(void **st) {
  (void)st;
  tlsdiag_result_t *a = result("a.test", 89, 1000);
  tlsdiag_result_t *b = result("b.test", -10, 1000);
  finding(b, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR, "expired");
  td_finding_add(b, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR, "again");
  tlsdiag_result_t *c = result("c.test", -100000, 0);
  finding(c, TLSDIAG_CAUSE_TCP_REFUSED, TLSDIAG_SEVERITY_ERROR, "refused");
  free(c->tls_version);
  c->tls_version = NULL;
  c->http_status = 0;
  const tlsdiag_result_t *rs[] = {a, b, c};
  char *s = NULL;
  assert_int_equal(tlsdiag_results_format(rs, 3, TLSDIAG_FORMAT_PROMETHEUS, 0,
                                          &s, NULL),
                   TLSDIAG_OK);
  tdprom_t p;
  if (tdprom_parse(s, &p)) fail_msg("%s\n%s", p.err, s);
  /* Each family once (the parser rejects a second HELP or TYPE, and
   * samples of a family that are not together). */
  assert_int_equal(tdprom_families(&p), 13); /* no trust store: no
                                                 tlsdiag_trust_store_* */

  size_t n = 0;
  tdprom_find(&p, "tlsdiag_check_success", NULL, &n);
  assert_int_equal(n, 3);
  const char *ta[] = {"target=a.test:443", NULL};
  const char *tb[] = {"target=b.test:443", NULL};
  const char *tc[] = {"target=c.test:443", NULL};
  assert_true(tdprom_find(&p, "tlsdiag_check_success", ta, NULL)->value == 1);
  assert_true(tdprom_find(&p, "tlsdiag_check_success", tb, NULL)->value == 0);
  const char *bc[] = {"target=b.test:443", "cause=cert_expired", NULL};
  assert_non_null(tdprom_find(&p, "tlsdiag_cause_info", bc, NULL));
  /* A code found twice is one series. */
  tdprom_find(&p, "tlsdiag_finding_info", tb, &n);
  assert_int_equal(n, 1);
  /* Expired: negative seconds left; certificate facts kept on failure. */
  const char *bl[] = {"target=b.test:443", "cert=leaf", NULL};
  assert_true(tdprom_find(&p, "tlsdiag_cert_expiry_seconds", bl, NULL)->value < 0);
  /* No certificate, no TLS, no HTTP: no sample, not a zero. */
  assert_null(tdprom_find(&p, "tlsdiag_cert_expiry_seconds", tc, NULL));
  assert_null(tdprom_find(&p, "tlsdiag_tls_version_info", tc, NULL));
  assert_null(tdprom_find(&p, "tlsdiag_http_status_code", tc, NULL));
  const char *tv[] = {"target=a.test:443", "version=TLS1.3", NULL};
  assert_true(tdprom_find(&p, "tlsdiag_tls_version_info", tv, NULL)->value == 1);
  const char *ph[] = {"target=a.test:443", "phase=tls", NULL};
  assert_true(tdprom_find(&p, "tlsdiag_phase_duration_seconds", ph, NULL)->value ==
              0.0035);
  const char *dns[] = {"target=a.test:443", "phase=dns", NULL};
  assert_null(tdprom_find(&p, "tlsdiag_phase_duration_seconds", dns, NULL));
  tdprom_free(&p);
  tlsdiag_free(s);

  /* JSON Lines of many: one parseable line each. */
  assert_int_equal(tlsdiag_results_format(rs, 3, TLSDIAG_FORMAT_JSON, 0, &s,
                                          NULL),
                   TLSDIAG_OK);
  size_t lines = 0;
  for (const char *q = s; *q; q++) lines += *q == '\n';
  assert_int_equal(lines, 3);
  tlsdiag_free(s);
  assert_int_equal(tlsdiag_results_format(rs, 3, TLSDIAG_FORMAT_MERMAID, 0, &s,
                                          NULL),
                   TLSDIAG_E_FORMAT);
  assert_int_equal(tlsdiag_results_format(NULL, 0, TLSDIAG_FORMAT_PROMETHEUS,
                                          0, &s, NULL),
                   TLSDIAG_OK);
  assert_string_equal(s, "");
  tlsdiag_free(s);
  tlsdiag_result_free(a);
  tlsdiag_result_free(b);
  tlsdiag_result_free(c);
}

/* The test parser itself rejects what Prometheus would. */
static void test_monitor_strict_parser_rejects_bad_exposition(void **st) {
  (void)st;
  static const char *const bad[] = {
      "x 1\n",                                            /* no TYPE */
      "# TYPE x gauge\nx 1",                              /* no final \n */
      "# TYPE x gauge\nx{a=\"1\"} 1\n# TYPE y gauge\ny 1\nx{a=\"2\"} 1\n",
      "# TYPE x gauge\n# TYPE x gauge\nx 1\n",
      "# TYPE x gauge\nx{a=\"\\t\"} 1\n",                 /* bad escape */
      "# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n",
      "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n",     /* duplicate */
      "# TYPE x gauge\nx{a=\"\xff\"} 1\n",
      "# TYPE x gauge\nx one\n",
      "# TYPE x gauge\n\nx 1\n",
      "# TYPE 1x gauge\n1x 1\n",
      "# TYPE x gauge\nx 1\n# HELP x late\n",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    tdprom_t p;
    if (tdprom_parse(bad[i], &p) == 0) fail_msg("accepted: %s", bad[i]);
    tdprom_free(&p);
  }
  tdprom_t p;
  assert_int_equal(tdprom_parse("# HELP x a \\\\ b\n# TYPE x gauge\n"
                                "x{a=\"q\\\"\\n\\\\\"} -1.5e3 1700000000\n",
                                &p),
                   0);
  tdprom_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_monitor_nagios_state_follows_findings_and_expiry),
      cmocka_unit_test(test_monitor_nagios_worst_state_of_many),
      cmocka_unit_test(test_monitor_nagios_line_has_status_and_perfdata),
      cmocka_unit_test(test_monitor_nagios_text_cannot_break_the_line),
      cmocka_unit_test(test_monitor_expiry_ignores_extra_certificates),
      cmocka_unit_test(test_monitor_prometheus_escapes_label_values),
      cmocka_unit_test(test_monitor_prometheus_bad_utf8_as_in_json),
      cmocka_unit_test(test_monitor_prometheus_cert_labels_bounded),
      cmocka_unit_test(test_monitor_prometheus_groups_many_results),
      cmocka_unit_test(test_monitor_strict_parser_rejects_bad_exposition),
  };
  return td_run_tests(tests, NULL, NULL);
}
