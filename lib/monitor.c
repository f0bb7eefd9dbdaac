/* monitor.c: the outputs monitoring systems read: a Nagios/Icinga plugin
 * status line with performance data, and the Prometheus text exposition
 * format (for node_exporter's textfile collector), for one result or many.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { ST_OK = 0, ST_WARNING = 1, ST_CRITICAL = 2, ST_UNKNOWN = 3 };

static const char *const state_names[] = {"OK", "WARNING", "CRITICAL",
                                          "UNKNOWN"};

/* ---- expiry ------------------------------------------------------------ */

/* Index of the certificate whose expiry counts, or -1 without any. */
static long expiry_index(const tlsdiag_result_t *r, tlsdiag_expiry_t which) {
  return td_expiry_index(r, which); /* result.c: on the verified path */
}

int tlsdiag_result_expiry(const tlsdiag_result_t *r, tlsdiag_expiry_t which,
                          int64_t *not_after, int64_t *days_left) {
  long i = expiry_index(r, which);
  if (i < 0) return 0;
  if (not_after) *not_after = r->chain[i].not_after;
  if (days_left) *days_left = td_days_between(r->now, r->chain[i].not_after);
  return 1;
}

/* ---- Nagios ------------------------------------------------------------ */

int tlsdiag_result_nagios_state(const tlsdiag_result_t *r) {
  if (!r) return ST_UNKNOWN;
  if (r->cause == TLSDIAG_CAUSE_DNS_TIMEOUT ||
      r->cause == TLSDIAG_CAUSE_DNS_FAILURE)
    return ST_UNKNOWN;
  int64_t days = 0;
  int have = tlsdiag_result_expiry(r, TLSDIAG_EXPIRY_PATH, NULL, &days);
  int warned = 0;
  for (size_t i = 0; i < r->nfindings; i++) {
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR) return ST_CRITICAL;
    if (r->findings[i].severity == TLSDIAG_SEVERITY_WARNING) warned = 1;
  }
  if (have && days < r->crit_days) return ST_CRITICAL;
  if (warned || (have && days < r->warn_days)) return ST_WARNING;
  return ST_OK;
}

/* Worst first: CRITICAL, UNKNOWN, WARNING, OK (Icinga 2's order). */
static int state_rank(int st) {
  static const int rank[] = {0, 1, 3, 2};
  return st >= 0 && st <= 3 ? rank[st] : 2;
}

int tlsdiag_results_nagios_state(const tlsdiag_result_t *const *rs, size_t n) {
  if (!rs || n == 0) return ST_UNKNOWN;
  int worst = ST_OK;
  for (size_t i = 0; i < n; i++) {
    int st = tlsdiag_result_nagios_state(rs[i]);
    if (state_rank(st) > state_rank(worst)) worst = st;
  }
  return worst;
}

/* Text from servers and certificates in plugin output: '|' would start
 * the performance data and a newline the long output, so neither passes;
 * other control characters become spaces. */
static void nagios_text(td_buf_t *b, const char *s) {
  for (; s && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '|') td_buf_puts(b, "/");
    else if (ch < 0x20 || ch == 0x7f) td_buf_putc(b, ' ');
    else td_buf_putc(b, (char)ch);
  }
}

static void target_text(td_buf_t *b, const tlsdiag_result_t *r) {
  const char *h = r->host ? r->host : "?";
  int v6 = strchr(h, ':') && h[0] != '[';
  td_buf_printf(b, v6 ? "[%s]:%u" : "%s:%u", h, r->port);
}

/* "TLS1.3, certificate expires in 89 days (2026-02-23T10:00:00Z)" */
static void expiry_text(td_buf_t *b, const tlsdiag_result_t *r) {
  long i = expiry_index(r, TLSDIAG_EXPIRY_PATH);
  if (i < 0) return;
  const td_cert_t *c = &r->chain[i];
  int64_t d = td_days_between(r->now, c->not_after);
  if (i == 0) td_buf_puts(b, "certificate");
  else {
    td_buf_puts(b, "issuing certificate ");
    nagios_text(b, c->common_name ? c->common_name : c->subject);
  }
  if (d < 0)
    td_buf_printf(b, " expired %lld day%s ago", (long long)-d, d == -1 ? "" : "s");
  else
    td_buf_printf(b, " expires in %lld day%s", (long long)d, d == 1 ? "" : "s");
  td_buf_printf(b, " (%s)", c->not_after_iso);
}

/* The finding that explains a non-OK state, or NULL. */
static const td_finding_t *reason(const tlsdiag_result_t *r, int st) {
  if (st == ST_OK) return NULL;
  tlsdiag_severity_t want =
      st == ST_WARNING ? TLSDIAG_SEVERITY_WARNING : TLSDIAG_SEVERITY_ERROR;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == want) return &r->findings[i];
  return NULL;
}

/* "OK - host:port TLS1.3, certificate expires in ..." (no perfdata). */
static void nagios_status(td_buf_t *b, const tlsdiag_result_t *r, int st) {
  td_buf_printf(b, "%s - ", state_names[st]);
  target_text(b, r);
  td_buf_putc(b, ' ');
  const td_finding_t *f = reason(r, st);
  if (f) {
    td_buf_printf(b, "%s: ", tlsdiag_cause_name(f->code));
    nagios_text(b, f->message);
    return;
  }
  if (r->tls_version) {
    nagios_text(b, r->tls_version);
    if (r->nchain) td_buf_puts(b, ", ");
  }
  if (r->nchain) {
    expiry_text(b, r);
    if (st == ST_CRITICAL) td_buf_printf(b, ", below %d days", r->crit_days);
    else if (st == ST_WARNING) td_buf_printf(b, ", below %d days", r->warn_days);
  }
}

/* 'days'=89;30:;7: in the plugin guidelines' grammar
 * ('label'=value[UOM];[warn];[crit];[min];[max]). Days have no UOM there
 * ("d" is not one), so none. The thresholds are ranges: "30:" alerts below
 * 30, as the state does; check_ssl_cert's plain "30" would mean "alert
 * outside 0..30", i.e. on every healthy certificate, to a consumer that
 * evaluates ranges. An expired certificate's negative days fall below
 * both. */
static void perf_days(td_buf_t *b, const char *label, int64_t days,
                      const tlsdiag_result_t *r) {
  td_buf_printf(b, "'%s'=%lld;%d:;%d:", label, (long long)days, r->warn_days,
                r->crit_days);
}

static void nagios_perf(td_buf_t *b, const tlsdiag_result_t *r) {
  int64_t days = 0;
  const char *sep = "";
  if (tlsdiag_result_expiry(r, TLSDIAG_EXPIRY_PATH, NULL, &days)) {
    /* check_ssl_cert's label, so graphs carry over */
    perf_days(b, "days", days, r);
    sep = " ";
  }
  for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++) {
    tlsdiag_status_t st = r->phase[p].status;
    if (st == TLSDIAG_STATUS_NOT_RUN || st == TLSDIAG_STATUS_SKIPPED) continue;
    td_buf_printf(b, "%s'%s_ms'=%.3fms", sep,
                  tlsdiag_phase_name((tlsdiag_phase_t)p), r->phase[p].ms);
    sep = " ";
  }
  td_buf_printf(b, "%s'total_ms'=%.3fms", sep, r->total_ms);
}

void td_report_nagios(td_buf_t *b, const tlsdiag_result_t *r) {
  td_buf_puts(b, "TLSDIAG ");
  nagios_status(b, r, tlsdiag_result_nagios_state(r));
  td_buf_puts(b, " | ");
  nagios_perf(b, r);
  td_buf_putc(b, '\n');
}

static void nagios_many(td_buf_t *b, const tlsdiag_result_t *const *rs,
                        size_t n) {
  size_t count[4] = {0, 0, 0, 0};
  const tlsdiag_result_t *soonest = NULL;
  int64_t soon_days = 0;
  for (size_t i = 0; i < n; i++) {
    count[tlsdiag_result_nagios_state(rs[i])]++;
    int64_t d;
    if (rs[i] && tlsdiag_result_expiry(rs[i], TLSDIAG_EXPIRY_PATH, NULL, &d) &&
        (!soonest || d < soon_days)) {
      soonest = rs[i];
      soon_days = d;
    }
  }
  int worst = tlsdiag_results_nagios_state(rs, n);
  td_buf_printf(b, "TLSDIAG %s - %zu target%s: %zu CRITICAL, %zu UNKNOWN, "
                   "%zu WARNING, %zu OK",
                state_names[worst], n, n == 1 ? "" : "s", count[ST_CRITICAL],
                count[ST_UNKNOWN], count[ST_WARNING], count[ST_OK]);
  if (soonest) {
    td_buf_puts(b, "; soonest expiry ");
    target_text(b, soonest);
    if (soon_days < 0)
      td_buf_printf(b, " expired %lld day%s ago", (long long)-soon_days,
                    soon_days == -1 ? "" : "s");
    else
      td_buf_printf(b, " in %lld day%s", (long long)soon_days,
                    soon_days == 1 ? "" : "s");
  }
  td_buf_printf(b, " | 'targets'=%zu;;;0 'critical'=%zu;;;0 "
                   "'unknown'=%zu;;;0 'warning'=%zu;;;0 'ok'=%zu;;;0",
                n, count[ST_CRITICAL], count[ST_UNKNOWN], count[ST_WARNING],
                count[ST_OK]);
  if (soonest) {
    td_buf_putc(b, ' ');
    perf_days(b, "min_days_left", soon_days, soonest);
  }
  td_buf_putc(b, '\n');
  /* Long output: one line per target, worst state first, input order
   * within a state. */
  static const int order[] = {ST_CRITICAL, ST_UNKNOWN, ST_WARNING, ST_OK};
  for (size_t k = 0; k < 4; k++)
    for (size_t i = 0; i < n; i++) {
      if (!rs[i] || tlsdiag_result_nagios_state(rs[i]) != order[k]) continue;
      nagios_status(b, rs[i], order[k]);
      td_buf_putc(b, '\n');
    }
}

/* ---- Prometheus -------------------------------------------------------- */

/* Appends s as a label value: valid UTF-8 only (one U+FFFD per maximal
 * ill-formed subpart, as in JSON), with \\, \" and \n escaped as the
 * exposition format requires; at most max characters (0: no limit), so
 * that text from a certificate cannot make a label value unbounded. */
static void prom_value_max(td_buf_t *b, const char *s, size_t max) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t n = strlen((const char *)p), i = 0;
  for (size_t chars = 0; i < n && (!max || chars < max); chars++) {
    unsigned char c = p[i];
    uint32_t cp;
    size_t bad = 1, len;
    if (c == '\\' || c == '"' || c == '\n') {
      td_buf_puts(b, c == '\\' ? "\\\\" : c == '"' ? "\\\"" : "\\n");
      i++;
    } else if ((len = td_utf8_next(p + i, n - i, &cp, &bad)) != 0) {
      td_buf_append(b, p + i, len);
      i += len;
    } else {
      td_buf_puts(b, "\xef\xbf\xbd");
      i += bad;
    }
  }
}

static void prom_value(td_buf_t *b, const char *s) { prom_value_max(b, s, 0); }

/* Certificate names as label values: the CN only (never a whole DN), cut
 * at this many characters (docs/exporter.md "Metric names"). */
#define PROM_CN_MAX 64

typedef struct {
  td_buf_t *b;
  const char *name; /* the family */
  int started;      /* HELP and TYPE written */
} family_t;

/* The SNI a check of the host sends unless told otherwise. */
static int sni_is_default(const tlsdiag_result_t *r) {
  const char *def = r->host_is_ip ? "" : r->ace_host ? r->ace_host : r->host;
  return r->sni && def && strcmp(r->sni, def) == 0;
}

/* Starts a sample of the family: HELP and TYPE before the first one, then
 * the name and the identity label every sample has: target ("host:port",
 * as blackbox_exporter's instance), plus sni only when the check sent
 * another name than the host's own, since two checks of one target then
 * differ only by it. host, port and sni are on tlsdiag_check_info alone.
 * The caller appends its own labels with prom_label and ends with
 * prom_end. */
static void prom_begin(family_t *f, const char *help,
                       const tlsdiag_result_t *r) {
  if (!f->started) {
    td_buf_printf(f->b, "# HELP %s %s\n# TYPE %s gauge\n", f->name, help,
                  f->name);
    f->started = 1;
  }
  td_buf_printf(f->b, "%s{target=\"", f->name);
  td_buf_t t;
  td_buf_init(&t);
  target_text(&t, r);
  prom_value(f->b, t.data);
  td_buf_free(&t);
  td_buf_putc(f->b, '"');
  if (!sni_is_default(r)) {
    td_buf_puts(f->b, ",sni=\"");
    prom_value(f->b, r->sni);
    td_buf_putc(f->b, '"');
  }
}

static void prom_label(family_t *f, const char *name, const char *value) {
  td_buf_printf(f->b, ",%s=\"", name);
  prom_value(f->b, value);
  td_buf_putc(f->b, '"');
}

static void prom_label_max(family_t *f, const char *name, const char *value,
                           size_t max) {
  td_buf_printf(f->b, ",%s=\"", name);
  prom_value_max(f->b, value, max);
  td_buf_putc(f->b, '"');
}

static void prom_end_int(family_t *f, int64_t v) {
  td_buf_printf(f->b, "} %lld\n", (long long)v);
}

static void prom_end_sec(family_t *f, double ms) {
  td_buf_printf(f->b, "} %.6f\n", ms / 1000.0);
}

/* One metric family: its name, help, and a writer for one result's
 * samples (none is fine). */
typedef struct {
  const char *name;
  const char *help;
  void (*write)(family_t *f, const char *help, const tlsdiag_result_t *r);
} metric_t;

/* Who was checked: the identity labels, once per check. sni is there even
 * when it is the default, so a join never misses it. */
static void m_info(family_t *f, const char *help, const tlsdiag_result_t *r) {
  char port[8];
  snprintf(port, sizeof(port), "%u", r->port);
  prom_begin(f, help, r);
  prom_label(f, "host", r->host);
  prom_label(f, "port", port);
  if (sni_is_default(r)) prom_label(f, "sni", r->sni);
  prom_end_int(f, 1);
}

static void m_success(family_t *f, const char *help, const tlsdiag_result_t *r) {
  prom_begin(f, help, r);
  prom_end_int(f, tlsdiag_result_ok(r));
}

static void m_cause(family_t *f, const char *help, const tlsdiag_result_t *r) {
  prom_begin(f, help, r);
  prom_label(f, "cause", tlsdiag_cause_name(r->cause));
  prom_end_int(f, 1);
}

static void m_finding(family_t *f, const char *help, const tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nfindings; i++) {
    size_t k = 0; /* one sample per code: a repeated code is one series */
    while (k < i && r->findings[k].code != r->findings[i].code) k++;
    if (k < i) continue;
    prom_begin(f, help, r);
    prom_label(f, "code", tlsdiag_cause_name(r->findings[i].code));
    prom_label(f, "severity", tlsdiag_severity_name(r->findings[i].severity));
    prom_end_int(f, 1);
  }
}

static void m_state(family_t *f, const char *help, const tlsdiag_result_t *r) {
  prom_begin(f, help, r);
  prom_end_int(f, tlsdiag_result_nagios_state(r));
}

static void cert_samples(family_t *f, const char *help,
                         const tlsdiag_result_t *r, int until) {
  static const struct {
    tlsdiag_expiry_t which;
    const char *label;
  } certs[] = {{TLSDIAG_EXPIRY_LEAF, "leaf"},
               {TLSDIAG_EXPIRY_PATH, "path_earliest"}};
  for (size_t i = 0; i < 2; i++) {
    int64_t t;
    if (!tlsdiag_result_expiry(r, certs[i].which, &t, NULL)) continue;
    prom_begin(f, help, r);
    prom_label(f, "cert", certs[i].label);
    prom_end_int(f, until ? t - r->now : t);
  }
}

static void m_not_after(family_t *f, const char *help,
                        const tlsdiag_result_t *r) {
  cert_samples(f, help, r, 0);
}

static void m_expiry(family_t *f, const char *help, const tlsdiag_result_t *r) {
  cert_samples(f, help, r, 1);
}

/* The CN of an RFC 4514 DN string ("CN=Test CA,O=Org": "Test CA"), its
 * escapes undone, or "" without one. */
static void dn_cn(td_buf_t *out, const char *dn) {
  if (!dn) return;
  for (const char *p = dn; *p;) {
    int at_cn = (p[0] == 'C' || p[0] == 'c') && (p[1] == 'N' || p[1] == 'n') &&
                p[2] == '=';
    for (p += at_cn ? 3 : 0; *p && *p != ','; p++) {
      if (*p == '\\' && isxdigit((unsigned char)p[1]) &&
          isxdigit((unsigned char)p[2])) { /* "\2C": one byte in hex */
        char hex[3] = {p[1], p[2], 0};
        if (at_cn) td_buf_putc(out, (char)strtol(hex, NULL, 16));
        p += 2;
        continue;
      }
      if (*p == '\\' && p[1]) p++;
      if (at_cn) td_buf_putc(out, *p);
    }
    if (at_cn) return;
    if (*p == ',') p++;
    while (*p == ' ') p++;
  }
}

static void m_chain(family_t *f, const char *help, const tlsdiag_result_t *r) {
  size_t on_path = td_chain_path_len(r);
  for (size_t i = 0; i < r->nchain; i++) {
    char idx[24];
    snprintf(idx, sizeof(idx), "%zu", i);
    const td_cert_t *c = &r->chain[i];
    prom_begin(f, help, r);
    prom_label(f, "index", idx);
    prom_label_max(f, "cn", c->common_name, PROM_CN_MAX);
    td_buf_t icn;
    td_buf_init(&icn);
    dn_cn(&icn, c->issuer);
    prom_label_max(f, "issuer_cn", icn.data, PROM_CN_MAX);
    td_buf_free(&icn);
    prom_label_max(f, "serial_no", c->serial, PROM_CN_MAX);
    prom_label(f, "on_path", i < on_path ? "true" : "false");
    prom_end_int(f, c->not_after);
  }
}

static void m_phase(family_t *f, const char *help, const tlsdiag_result_t *r) {
  for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++) {
    tlsdiag_status_t st = r->phase[p].status;
    if (st == TLSDIAG_STATUS_NOT_RUN || st == TLSDIAG_STATUS_SKIPPED) continue;
    prom_begin(f, help, r);
    prom_label(f, "phase", tlsdiag_phase_name((tlsdiag_phase_t)p));
    prom_end_sec(f, r->phase[p].ms);
  }
}

static void m_duration(family_t *f, const char *help,
                       const tlsdiag_result_t *r) {
  prom_begin(f, help, r);
  prom_end_sec(f, r->total_ms);
}

static void m_version(family_t *f, const char *help, const tlsdiag_result_t *r) {
  if (!r->tls_version) return;
  prom_begin(f, help, r);
  prom_label(f, "version", r->tls_version);
  prom_label(f, "cipher", r->tls_cipher);
  prom_end_int(f, 1);
}

static void m_http(family_t *f, const char *help, const tlsdiag_result_t *r) {
  if (r->http_status <= 0) return;
  prom_begin(f, help, r);
  prom_end_int(f, r->http_status);
}

static void m_time(family_t *f, const char *help, const tlsdiag_result_t *r) {
  prom_begin(f, help, r);
  prom_end_int(f, r->started_wall);
}

static void m_trust(family_t *f, const char *help, const tlsdiag_result_t *r) {
  if (!r->trust_kind) return;
  prom_begin(f, help, r);
  prom_label(f, "kind", r->trust_kind);
  prom_label(f, "source", r->trust_source);
  prom_label(f, "file", r->trust_cafile);
  prom_label(f, "dir", r->trust_capath);
  prom_end_int(f, 1);
}

static void m_roots(family_t *f, const char *help, const tlsdiag_result_t *r) {
  if (!r->trust_kind || r->trust_roots < 0) return; /* not loaded */
  prom_begin(f, help, r);
  prom_end_int(f, r->trust_roots);
}

/* Names and labels are documented in docs/sweep.md; a rename is listed
 * under "Metric names" in docs/exporter.md. */
static const metric_t metrics[] = {
    {"tlsdiag_check_info",
     "The checked target's host, port and SNI; always 1.", m_info},
    {"tlsdiag_check_success",
     "1 if the check found no error (warnings allowed), else 0.", m_success},
    {"tlsdiag_cause_info",
     "Root cause of the check (\"ok\" when none); always 1.", m_cause},
    {"tlsdiag_finding_info", "Every finding of the check by code; always 1.",
     m_finding},
    {"tlsdiag_nagios_state",
     "Nagios plugin state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.", m_state},
    {"tlsdiag_cert_not_after_seconds",
     "notAfter of the leaf and of the earliest-expiring certificate on the "
     "path (Unix seconds).",
     m_not_after},
    {"tlsdiag_cert_expiry_seconds",
     "Seconds from the check's clock to notAfter of the leaf and of the "
     "earliest on the path; negative once expired.",
     m_expiry},
    {"tlsdiag_chain_cert_not_after_seconds",
     "notAfter of every certificate the server sent (on_path=false: extra, "
     "not counted for expiry).",
     m_chain},
    {"tlsdiag_phase_duration_seconds",
     "Duration of each phase that ran (dns, tcp, tls, http).", m_phase},
    {"tlsdiag_check_duration_seconds", "Duration of the whole check.",
     m_duration},
    {"tlsdiag_tls_version_info",
     "Negotiated TLS version and cipher suite; always 1.", m_version},
    {"tlsdiag_http_status_code", "HTTP status code of the one request.",
     m_http},
    {"tlsdiag_check_timestamp_seconds", "When the check ran (Unix seconds).",
     m_time},
    {"tlsdiag_trust_store_info",
     "The trust store the chain was verified against; always 1.", m_trust},
    {"tlsdiag_trust_store_roots",
     "Certificates in that trust store (0: empty, nothing verifies).",
     m_roots},
};

static void prometheus_many(td_buf_t *b, const tlsdiag_result_t *const *rs,
                            size_t n) {
  for (size_t k = 0; k < sizeof(metrics) / sizeof(metrics[0]); k++) {
    family_t f = {b, metrics[k].name, 0};
    for (size_t i = 0; i < n; i++)
      if (rs[i]) metrics[k].write(&f, metrics[k].help, rs[i]);
  }
}

void td_report_prometheus(td_buf_t *b, const tlsdiag_result_t *r) {
  prometheus_many(b, &r, 1);
}

tlsdiag_err_t tlsdiag_results_format(const tlsdiag_result_t *const *rs,
                                     size_t n, tlsdiag_format_t fmt,
                                     unsigned flags, char **out, size_t *len) {
  if (!out || (n && !rs)) return TLSDIAG_E_INVAL;
  *out = NULL;
  td_buf_t b;
  td_buf_init(&b);
  switch (fmt) {
  case TLSDIAG_FORMAT_PROMETHEUS: prometheus_many(&b, rs, n); break;
  case TLSDIAG_FORMAT_NAGIOS: nagios_many(&b, rs, n); break;
  case TLSDIAG_FORMAT_JSON:
    for (size_t i = 0; i < n; i++) {
      if (!rs[i]) continue;
      td_json_result(&b, rs[i], (flags & TLSDIAG_FMT_PRETTY) != 0);
      td_buf_putc(&b, '\n');
    }
    break;
  default: return TLSDIAG_E_FORMAT;
  }
  *out = td_buf_steal(&b, len);
  return *out ? TLSDIAG_OK : TLSDIAG_E_NOMEM;
}
