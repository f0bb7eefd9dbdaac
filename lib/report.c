/* report.c: the human text report and the Mermaid sequence diagram.
 *
 * Data in, data out, like json.c. Every string that came from the network or
 * a certificate is written through td_text_safe (text) or mm_text (Mermaid),
 * so a hostile server cannot move the cursor, recolour the terminal, reorder
 * text with bidi controls, or break the diagram's syntax. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "hsts.h"

/* ---- terminal-safe text -------------------------------------------------- */

/* Code points a terminal would act on rather than show: C1 controls, the
 * bidi marks, embeddings, overrides and isolates (which can make
 * "evil.com/.moc.knab" read as something else), and line separators. */
static int cp_unsafe(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
         cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

void td_text_safe(td_buf_t *b, const char *s) {
  if (!s) return;
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), i = 0;
  while (i < n) {
    size_t run = i;
    while (run < n && p[run] >= 0x20 && p[run] < 0x7F && p[run] != '\\') run++;
    if (run > i) {
      td_buf_append(b, p + i, run - i);
      i = run;
      continue;
    }
    if (p[i] == '\\') {
      td_buf_puts(b, "\\\\");
      i++;
      continue;
    }
    if (p[i] < 0x80) { /* C0 control, ESC, DEL */
      td_buf_printf(b, "\\x%02x", p[i]);
      i++;
      continue;
    }
    uint32_t cp = 0;
    size_t bad = 1;
    size_t len = td_utf8_next(p + i, n - i, &cp, &bad);
    if (!len) {
      for (size_t k = 0; k < bad; k++) td_buf_printf(b, "\\x%02x", p[i + k]);
      i += bad;
    } else if (cp_unsafe(cp)) {
      td_buf_printf(b, "\\u{%04X}", (unsigned)cp);
      i += len;
    } else {
      td_buf_append(b, p + i, len);
      i += len;
    }
  }
}

/* ---- text helpers -------------------------------------------------------- */

#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"
#define ANSI_DIM "\033[2m"
#define ANSI_RED "\033[31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"

#define KEY_WIDTH 13 /* "  key          value" columns in the summaries */
#define LIST_MAX 8   /* list evidence items shown before "+N more" */

typedef struct {
  td_buf_t *b;
  unsigned flags;
  int color;
} tw_t;

static void sgr(tw_t *w, const char *code) {
  if (w->color) td_buf_puts(w->b, code);
}

static void safe(tw_t *w, const char *s) { td_text_safe(w->b, s ? s : "-"); }

/* Displayed width of UTF-8 text we produced ourselves (no wide chars). */
static size_t text_width(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n;
}

static void pad(tw_t *w, const char *s, size_t width) {
  td_buf_puts(w->b, s);
  for (size_t n = text_width(s); n < width; n++) td_buf_putc(w->b, ' ');
}

static void heading(tw_t *w, const char *title) {
  td_buf_putc(w->b, '\n');
  sgr(w, ANSI_BOLD);
  td_buf_puts(w->b, title);
  sgr(w, ANSI_RESET);
  td_buf_putc(w->b, '\n');
}

/* "  key         " */
static void key(tw_t *w, const char *k) {
  td_buf_puts(w->b, "  ");
  pad(w, k, KEY_WIDTH);
}

static const char *sev_color(tlsdiag_severity_t s) {
  switch (s) {
  case TLSDIAG_SEVERITY_ERROR: return ANSI_RED;
  case TLSDIAG_SEVERITY_WARNING: return ANSI_YELLOW;
  case TLSDIAG_SEVERITY_INFO: break;
  }
  return ANSI_DIM;
}

static const char *status_color(tlsdiag_status_t s) {
  switch (s) {
  case TLSDIAG_STATUS_OK: return ANSI_GREEN;
  case TLSDIAG_STATUS_FAILED:
  case TLSDIAG_STATUS_TIMEOUT: return ANSI_RED;
  case TLSDIAG_STATUS_NOT_RUN:
  case TLSDIAG_STATUS_SKIPPED: break;
  }
  return ANSI_DIM;
}

static const char *status_text(tlsdiag_status_t s) {
  switch (s) {
  case TLSDIAG_STATUS_NOT_RUN: return "not run";
  case TLSDIAG_STATUS_SKIPPED: return "skipped";
  case TLSDIAG_STATUS_OK: return "ok";
  case TLSDIAG_STATUS_FAILED: return "failed";
  case TLSDIAG_STATUS_TIMEOUT: return "timeout";
  }
  return "?";
}

static int ran(const td_phase_t *p) {
  return p->status != TLSDIAG_STATUS_NOT_RUN &&
         p->status != TLSDIAG_STATUS_SKIPPED;
}

/* The cause the verdict names: the root cause, or, if classification left
 * it unset while an error exists, the first error. */
static tlsdiag_cause_t verdict_cause(const tlsdiag_result_t *r) {
  if (r->cause != TLSDIAG_CAUSE_OK) return r->cause;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR)
      return r->findings[i].code;
  return TLSDIAG_CAUSE_OK;
}

static const char *cause_message(const tlsdiag_result_t *r, tlsdiag_cause_t c) {
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].code == c && r->findings[i].message)
      return r->findings[i].message;
  return tlsdiag_cause_description(c);
}

/* "host:port", "[v6]:port", and the A-label when it differs. */
static void put_target(tw_t *w, const tlsdiag_result_t *r) {
  const char *h = r->host ? r->host : r->ace_host;
  int v6 = h && strchr(h, ':') != NULL;
  if (r->offline) {
    /* certificate files: a name to check them for, maybe none */
    td_buf_puts(w->b, h ? "for " : "(no host name given)");
    if (h) safe(w, h);
    return;
  }
  if (v6) td_buf_putc(w->b, '[');
  safe(w, h);
  if (v6) td_buf_putc(w->b, ']');
  td_buf_printf(w->b, ":%u", (unsigned)r->port);
  if (r->host && r->ace_host && !r->host_is_ip &&
      td_strcasecmp(r->host, r->ace_host) != 0) {
    td_buf_puts(w->b, " (");
    safe(w, r->ace_host);
    td_buf_putc(w->b, ')');
  }
}

static void put_ms(tw_t *w, double ms) {
  if (isfinite(ms)) td_buf_printf(w->b, "%.1f ms", ms);
  else td_buf_puts(w->b, "? ms");
}

/* The value of the first CN attribute of an RFC 4514 name, unescaped, or
 * the whole name when it has none. */
static void put_dn_cn(tw_t *w, const char *dn) {
  if (!dn) {
    safe(w, NULL);
    return;
  }
  const char *p = dn;
  while (*p) {
    while (*p == ' ') p++;
    if (tolower((unsigned char)p[0]) == 'c' &&
        tolower((unsigned char)p[1]) == 'n' && p[2] == '=') {
      td_buf_t v;
      td_buf_init(&v);
      for (p += 3; *p && *p != ',' && *p != '+'; p++) {
        if (*p == '\\' && p[1]) {
          p++;
          if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
            char hx[3] = {p[0], p[1], 0};
            td_buf_putc(&v, (char)strtol(hx, NULL, 16));
            p++;
          } else {
            td_buf_putc(&v, *p);
          }
        } else {
          td_buf_putc(&v, *p);
        }
      }
      safe(w, v.data ? v.data : "");
      td_buf_free(&v);
      return;
    }
    /* next attribute: skip to an unescaped ',' or '+' */
    for (; *p && *p != ',' && *p != '+'; p++)
      if (*p == '\\' && p[1]) p++;
    if (*p) p++;
  }
  safe(w, dn);
}

static const char *cert_cn(const td_cert_t *c) {
  return c->common_name ? c->common_name : c->subject;
}

static int cert_days(const tlsdiag_result_t *r, const td_cert_t *c,
                     int64_t *days) {
  if (c->days_left_text[0]) {
    *days = c->days_left;
    return 1;
  }
  if (r->now && c->not_after) {
    *days = td_days_between(r->now, c->not_after);
    return 1;
  }
  return 0;
}

/* "89 days left"; past dates as "expired 10 days ago", or in the one-line
 * chain view (where the date sits right before it) just "10 days ago". */
static void put_days(tw_t *w, const tlsdiag_result_t *r, int64_t d, int terse) {
  int warn = r->warn_days > 0 ? r->warn_days : 30;
  if (d < warn) sgr(w, d < 0 ? ANSI_RED : ANSI_YELLOW);
  if (d < 0)
    td_buf_printf(w->b, "%s%lld day%s ago", terse ? "" : "expired ",
                  (long long)-d, d == -1 ? "" : "s");
  else td_buf_printf(w->b, "%lld day%s left", (long long)d, d == 1 ? "" : "s");
  if (d < warn) sgr(w, ANSI_RESET);
}

/* ---- text sections ------------------------------------------------------- */

static void text_verdict(tw_t *w, const tlsdiag_result_t *r) {
  if (tlsdiag_result_ok(r)) {
    sgr(w, ANSI_BOLD ANSI_GREEN);
    td_buf_puts(w->b, "✔ OK");
    sgr(w, ANSI_RESET);
    td_buf_puts(w->b, "  ");
    put_target(w, r);
    if (r->tls_version) {
      td_buf_puts(w->b, "  ");
      safe(w, r->tls_version);
      if (r->tls_cipher) {
        td_buf_putc(w->b, ' ');
        safe(w, r->tls_cipher);
      }
    }
    if (r->http_status) td_buf_printf(w->b, "  HTTP %d", r->http_status);
    td_buf_puts(w->b, "  (");
    put_ms(w, r->total_ms);
    td_buf_putc(w->b, ')');
    size_t nwarn = 0;
    for (size_t i = 0; i < r->nfindings; i++)
      if (r->findings[i].severity == TLSDIAG_SEVERITY_WARNING) nwarn++;
    if (nwarn) {
      td_buf_puts(w->b, "  ");
      sgr(w, ANSI_YELLOW);
      td_buf_printf(w->b, "%zu warning%s", nwarn, nwarn == 1 ? "" : "s");
      sgr(w, ANSI_RESET);
    }
  } else {
    tlsdiag_cause_t c = verdict_cause(r);
    sgr(w, ANSI_BOLD ANSI_RED);
    td_buf_puts(w->b, "✘ ");
    for (const char *p = tlsdiag_cause_name(c); *p; p++)
      td_buf_putc(w->b, (char)toupper((unsigned char)*p));
    sgr(w, ANSI_RESET);
    td_buf_puts(w->b, "  ");
    put_target(w, r);
    td_buf_puts(w->b, " — ");
    safe(w, cause_message(r, c));
  }
  td_buf_putc(w->b, '\n');
}

static void text_evidence(tw_t *w, const td_evidence_t *e, size_t indent) {
  for (size_t i = 0; i < indent; i++) td_buf_putc(w->b, ' ');
  sgr(w, ANSI_DIM);
  safe(w, e->key);
  td_buf_putc(w->b, ':');
  sgr(w, ANSI_RESET);
  td_buf_putc(w->b, ' ');
  if (e->type == TD_EV_LIST) {
    for (size_t i = 0; i < e->nlist && i < LIST_MAX; i++) {
      if (i) td_buf_puts(w->b, ", ");
      safe(w, e->list[i]);
    }
    if (e->nlist > LIST_MAX)
      td_buf_printf(w->b, ", … (+%zu more)", e->nlist - LIST_MAX);
    if (!e->nlist) td_buf_puts(w->b, "(none)");
  } else {
    safe(w, e->text);
  }
  td_buf_putc(w->b, '\n');
}

static void text_findings(tw_t *w, const tlsdiag_result_t *r) {
  heading(w, "Findings");
  if (!r->nfindings) {
    td_buf_puts(w->b, "  none\n");
    return;
  }
  size_t cw = 0;
  for (size_t i = 0; i < r->nfindings; i++) {
    size_t l = strlen(tlsdiag_cause_name(r->findings[i].code));
    if (l > cw) cw = l;
  }
  for (size_t i = 0; i < r->nfindings; i++) {
    const td_finding_t *f = &r->findings[i];
    const char *code = tlsdiag_cause_name(f->code);
    td_buf_puts(w->b, "  ");
    sgr(w, sev_color(f->severity));
    pad(w, tlsdiag_severity_name(f->severity), 8);
    sgr(w, ANSI_RESET);
    td_buf_putc(w->b, ' ');
    sgr(w, ANSI_BOLD);
    td_buf_puts(w->b, code);
    sgr(w, ANSI_RESET);
    const char *msg = f->message ? f->message : "";
    if (11 + cw + 2 + strlen(msg) <= 100) {
      for (size_t n = strlen(code); n < cw + 2; n++) td_buf_putc(w->b, ' ');
      safe(w, msg);
      td_buf_putc(w->b, '\n');
    } else { /* long message: its own line, under the code */
      td_buf_puts(w->b, "\n           ");
      safe(w, msg);
      td_buf_putc(w->b, '\n');
    }
    for (size_t j = 0; j < f->nev; j++) text_evidence(w, &f->ev[j], 13);
  }
}

static void put_addr_list(tw_t *w, const tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->naddrs && i < 4; i++) {
    if (i) td_buf_puts(w->b, ", ");
    safe(w, r->addrs[i]);
  }
  if (r->naddrs > 4) td_buf_printf(w->b, " (+%zu more)", r->naddrs - 4);
}

static void phase_detail(tw_t *w, const tlsdiag_result_t *r,
                         tlsdiag_phase_t p) {
  const td_phase_t *ph = &r->phase[p];
  if (ph->status == TLSDIAG_STATUS_NOT_RUN) {
    if (p != TLSDIAG_PHASE_DNS) td_buf_puts(w->b, "(an earlier phase failed)");
    return;
  }
  if (ph->status == TLSDIAG_STATUS_FAILED ||
      ph->status == TLSDIAG_STATUS_TIMEOUT) {
    if (p == TLSDIAG_PHASE_TLS && r->tls_alert) {
      td_buf_puts(w->b, "alert ");
      safe(w, r->tls_alert);
      if (ph->error) td_buf_puts(w->b, " — ");
    }
    if (ph->error) safe(w, ph->error);
    else if (p == TLSDIAG_PHASE_DNS && r->dns_error) safe(w, r->dns_error);
    else if (p == TLSDIAG_PHASE_TLS && r->tls_error_text && !r->tls_alert)
      safe(w, r->tls_error_text);
    return;
  }
  switch (p) {
  case TLSDIAG_PHASE_DNS:
    if (r->host_is_ip) {
      td_buf_puts(w->b, "IP literal, no lookup");
      break;
    }
    if (r->dns_pinned) td_buf_puts(w->b, "pinned: ");
    put_addr_list(w, r);
    if (r->dns_server && ph->status == TLSDIAG_STATUS_OK) {
      td_buf_puts(w->b, "  via ");
      safe(w, r->dns_server);
    }
    break;
  case TLSDIAG_PHASE_TCP:
    if (r->connected_addr) safe(w, r->connected_addr);
    if (r->local_addr) {
      td_buf_puts(w->b, "  from ");
      safe(w, r->local_addr);
    }
    break;
  case TLSDIAG_PHASE_TLS:
    if (r->tls_version) safe(w, r->tls_version);
    if (r->tls_cipher) {
      td_buf_putc(w->b, ' ');
      safe(w, r->tls_cipher);
    }
    if (r->resumed) td_buf_puts(w->b, " (resumed)");
    break;
  case TLSDIAG_PHASE_HTTP:
    if (r->http_status_line) safe(w, r->http_status_line);
    break;
  case TLSDIAG_PHASE_COUNT_: break;
  }
}

static void text_phases(tw_t *w, const tlsdiag_result_t *r) {
  static const char *const label[] = {"DNS", "TCP", "TLS", "HTTP"};
  heading(w, "Phases");
  for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++) {
    const td_phase_t *ph = &r->phase[p];
    td_buf_puts(w->b, "  ");
    pad(w, label[p], 6);
    if (ran(ph) && isfinite(ph->ms)) td_buf_printf(w->b, "%9.1f ms  ", ph->ms);
    else td_buf_puts(w->b, "        -     ");
    sgr(w, status_color(ph->status));
    pad(w, status_text(ph->status), 9);
    sgr(w, ANSI_RESET);
    phase_detail(w, r, (tlsdiag_phase_t)p);
    td_buf_putc(w->b, '\n');
    /* each failed attempt, when several addresses were tried (with one,
     * the phase line already says it) */
    if (p == TLSDIAG_PHASE_TCP && r->nattempts > 1) {
      for (size_t i = 0; i < r->nattempts; i++) {
        const td_attempt_t *a = &r->attempts[i];
        if (a->status == TLSDIAG_STATUS_OK) continue;
        td_buf_puts(w->b, "          ");
        sgr(w, ANSI_DIM);
        td_buf_puts(w->b, "↳ ");
        safe(w, a->addr);
        td_buf_puts(w->b, "  ");
        td_buf_puts(w->b, status_text(a->status));
        if (a->error) {
          td_buf_puts(w->b, ": ");
          safe(w, a->error);
        }
        td_buf_puts(w->b, " (");
        put_ms(w, a->ms);
        td_buf_putc(w->b, ')');
        sgr(w, ANSI_RESET);
        td_buf_putc(w->b, '\n');
      }
    }
  }
  td_buf_puts(w->b, "  ");
  pad(w, "total", 6);
  if (isfinite(r->total_ms)) td_buf_printf(w->b, "%9.1f ms\n", r->total_ms);
  else td_buf_puts(w->b, "        ? ms\n");
}

static const char *dir_label(td_dir_t d) {
  switch (d) {
  case TD_DIR_C2S: return "client → server";
  case TD_DIR_S2C: return "server → client";
  case TD_DIR_C2DNS: return "client → DNS";
  case TD_DIR_DNS2C: return "DNS → client";
  case TD_DIR_LOCAL: break;
  }
  return "client (local)";
}

static void text_sequence(tw_t *w, const tlsdiag_result_t *r) {
  heading(w, "Sequence");
  if (!r->nevents) {
    td_buf_puts(w->b, "  (nothing was sent)\n");
    return;
  }
  for (size_t i = 0; i < r->nevents; i++) {
    const td_event_t *e = &r->events[i];
    sgr(w, ANSI_DIM);
    if (isfinite(e->t_ms)) td_buf_printf(w->b, "%9.1f ms", e->t_ms);
    else td_buf_puts(w->b, "        ? ms");
    sgr(w, ANSI_RESET);
    td_buf_puts(w->b, "  ");
    pad(w, dir_label(e->dir), 16);
    td_buf_puts(w->b, "  ");
    int alert = e->what && strstr(e->what, "Alert") != NULL;
    if (alert) sgr(w, ANSI_RED);
    safe(w, e->what);
    if (alert) sgr(w, ANSI_RESET);
    if (e->detail && *e->detail) {
      td_buf_puts(w->b, "  ");
      safe(w, e->detail);
    }
    td_buf_putc(w->b, '\n');
  }
}

static const char *ocsp_text(int s) {
  switch (s) {
  case 0: return "good";
  case 1: return "revoked";
  case 2: return "unknown";
  case 3: return "invalid";
  default: return "no status";
  }
}

static void text_tls(tw_t *w, const tlsdiag_result_t *r) {
  const td_phase_t *ph = &r->phase[TLSDIAG_PHASE_TLS];
  heading(w, "TLS");
  if (!ran(ph) && !r->tls_version) {
    td_buf_printf(w->b, "  %s\n", status_text(ph->status));
    return;
  }
  if (r->tls_version) {
    key(w, "version");
    safe(w, r->tls_version);
    td_buf_putc(w->b, '\n');
    key(w, "cipher");
    safe(w, r->tls_cipher);
    td_buf_putc(w->b, '\n');
    key(w, "key exchange");
    safe(w, r->tls_kx);
    if (r->tls_group) {
      td_buf_puts(w->b, ", group ");
      safe(w, r->tls_group);
    }
    td_buf_putc(w->b, '\n');
    key(w, "ALPN");
    safe(w, r->tls_alpn ? r->tls_alpn : "(none)");
    td_buf_putc(w->b, '\n');
    if (r->tls_sig_alg) {
      key(w, "signature");
      safe(w, r->tls_sig_alg);
      td_buf_putc(w->b, '\n');
    }
    key(w, "OCSP staple");
    if (r->ocsp_stapled) {
      td_buf_puts(w->b, "yes, ");
      td_buf_puts(w->b, ocsp_text(r->verify.ocsp_status));
      if (r->verify.ocsp_error) {
        td_buf_puts(w->b, " (");
        safe(w, r->verify.ocsp_error);
        td_buf_putc(w->b, ')');
      }
    } else {
      td_buf_puts(w->b, "no");
    }
    td_buf_putc(w->b, '\n');
    key(w, "session");
    td_buf_puts(w->b, r->resumed          ? "resumed"
                      : r->session_ticket ? "ticket issued"
                                          : "no ticket");
    td_buf_putc(w->b, '\n');
  } else {
    key(w, "handshake");
    sgr(w, ANSI_RED);
    td_buf_puts(w->b, "did not complete");
    sgr(w, ANSI_RESET);
    td_buf_putc(w->b, '\n');
  }
  if (r->tls_alert) {
    key(w, "alert");
    safe(w, r->tls_alert);
    if (r->tls_alert_num >= 0) td_buf_printf(w->b, " (%d)", r->tls_alert_num);
    td_buf_putc(w->b, '\n');
  }
  if (r->tls_error_name || r->tls_error_text) {
    key(w, "error");
    safe(w, r->tls_error_name);
    if (r->tls_error_text) {
      td_buf_puts(w->b, ": ");
      safe(w, r->tls_error_text);
    }
    td_buf_putc(w->b, '\n');
  }
  if (r->verify.done) {
    /* The verdict, then each part apart: "trusted" only when all hold. */
    td_verdict_t vd = td_verify_verdict(r);
    char at[32];
    td_time_iso(r->now, at);
    key(w, "verify");
    sgr(w, vd.trusted ? ANSI_GREEN : ANSI_RED);
    td_buf_puts(w->b, vd.trusted ? "trusted" : "not trusted");
    sgr(w, ANSI_RESET);
    td_buf_puts(w->b, ": ");
    sgr(w, vd.chain_to_root ? ANSI_GREEN : ANSI_RED);
    td_buf_puts(w->b, vd.chain_to_root ? "chain to root yes"
                                       : "chain to root no");
    sgr(w, ANSI_RESET);
    td_buf_puts(w->b, ", ");
    sgr(w, vd.name_ok ? ANSI_GREEN : ANSI_RED);
    td_buf_puts(w->b, vd.name_ok ? "name yes" : "name no");
    sgr(w, ANSI_RESET);
    td_buf_puts(w->b, ", ");
    sgr(w, vd.dates_ok ? ANSI_GREEN : ANSI_RED);
    td_buf_printf(w->b, "dates %s (at %s)", vd.dates_ok ? "yes" : "no", at);
    sgr(w, ANSI_RESET);
    if (r->verify.status)
      td_buf_printf(w->b, "  (status 0x%x)", r->verify.status);
    td_buf_putc(w->b, '\n');
    /* GnuTLS's text only explains set bits: with none it would say
     * "trusted", dates unchecked. */
    if (r->verify.status_text && r->verify.status) {
      key(w, "");
      safe(w, r->verify.status_text);
      td_buf_putc(w->b, '\n');
    }
  }
  if (r->probed) {
    key(w, "versions");
    int any = 0;
    for (int i = 0; i < 4; i++) {
      const td_probe_t *p = &r->probes[i];
      if (!p->ran) continue;
      if (any++) td_buf_puts(w->b, ", ");
      td_buf_puts(w->b, td_tls_version_name(
                            (tlsdiag_tls_version_t)(TLSDIAG_TLS1_0 + i)));
      sgr(w, p->accepted ? ANSI_GREEN : ANSI_RED);
      td_buf_puts(w->b, p->accepted ? " accepted" : " refused");
      sgr(w, ANSI_RESET);
      if (!p->accepted && p->error) {
        td_buf_puts(w->b, " (");
        safe(w, p->error);
        td_buf_putc(w->b, ')');
      }
    }
    if (!any) td_buf_puts(w->b, "(no probe ran)");
    td_buf_putc(w->b, '\n');
  }
}

static void put_date(tw_t *w, const char *iso, int64_t t, int date_only) {
  char tmp[32];
  if (!iso || !iso[0]) {
    if (!t) {
      td_buf_puts(w->b, "?");
      return;
    }
    td_time_iso(t, tmp);
    iso = tmp;
  }
  if (date_only && strlen(iso) >= 10) td_buf_append(w->b, iso, 10);
  else td_buf_puts(w->b, iso);
}

static void cert_line(tw_t *w, const tlsdiag_result_t *r, size_t i) {
  const td_cert_t *c = &r->chain[i];
  int64_t days;
  td_buf_printf(w->b, "  [%zu] ", i);
  sgr(w, ANSI_BOLD);
  safe(w, cert_cn(c));
  sgr(w, ANSI_RESET);
  td_buf_puts(w->b, " ← ");
  put_dn_cn(w, c->issuer);
  td_buf_puts(w->b, "  ");
  put_date(w, c->not_after_iso, c->not_after, 1);
  if (cert_days(r, c, &days)) {
    td_buf_puts(w->b, " (");
    put_days(w, r, days, 1);
    td_buf_putc(w->b, ')');
  }
  td_buf_puts(w->b, "  ");
  safe(w, c->key_type);
  if (c->key_bits) td_buf_printf(w->b, "-%u", c->key_bits);
  td_buf_puts(w->b, "  ");
  safe(w, c->sig_alg);
  if (c->sig_weak) {
    sgr(w, ANSI_RED);
    td_buf_puts(w->b, " (weak)");
    sgr(w, ANSI_RESET);
  }
  td_buf_putc(w->b, '\n');
}

static void cert_kv(tw_t *w, const char *k, const char *v) {
  td_buf_puts(w->b, "     ");
  pad(w, k, KEY_WIDTH);
  safe(w, v);
  td_buf_putc(w->b, '\n');
}

static void cert_full(tw_t *w, const tlsdiag_result_t *r, size_t i) {
  const td_cert_t *c = &r->chain[i];
  int64_t days;
  td_buf_printf(w->b, "  [%zu] ", i);
  sgr(w, ANSI_BOLD);
  safe(w, cert_cn(c));
  sgr(w, ANSI_RESET);
  td_buf_putc(w->b, '\n');
  cert_kv(w, "subject", c->subject);
  cert_kv(w, "issuer", c->issuer);
  td_buf_puts(w->b, "     ");
  pad(w, "SANs", KEY_WIDTH);
  if (!c->nsans) td_buf_puts(w->b, "(none)");
  for (size_t j = 0; j < c->nsans; j++) {
    if (j) td_buf_puts(w->b, ", ");
    td_buf_puts(w->b, c->sans[j].type == TD_SAN_DNS  ? "DNS:"
                      : c->sans[j].type == TD_SAN_IP ? "IP:"
                                                     : "");
    safe(w, c->sans[j].value);
  }
  td_buf_putc(w->b, '\n');
  cert_kv(w, "serial", c->serial);
  td_buf_puts(w->b, "     ");
  pad(w, "valid", KEY_WIDTH);
  put_date(w, c->not_before_iso, c->not_before, 0);
  td_buf_puts(w->b, " → ");
  put_date(w, c->not_after_iso, c->not_after, 0);
  if (cert_days(r, c, &days)) {
    td_buf_puts(w->b, " (");
    put_days(w, r, days, 0);
    td_buf_putc(w->b, ')');
  }
  td_buf_putc(w->b, '\n');
  td_buf_puts(w->b, "     ");
  pad(w, "key", KEY_WIDTH);
  safe(w, c->key_type);
  if (c->key_bits) td_buf_printf(w->b, " %u bits", c->key_bits);
  td_buf_putc(w->b, '\n');
  td_buf_puts(w->b, "     ");
  pad(w, "signature", KEY_WIDTH);
  safe(w, c->sig_alg);
  if (c->sig_weak) {
    sgr(w, ANSI_RED);
    td_buf_puts(w->b, " (weak)");
    sgr(w, ANSI_RESET);
  }
  td_buf_putc(w->b, '\n');
  cert_kv(w, "sha256", c->sha256[0] ? c->sha256 : NULL);
  td_buf_puts(w->b, "     ");
  pad(w, "flags", KEY_WIDTH);
  td_buf_puts(w->b, c->is_ca ? "CA" : "end-entity");
  if (c->self_signed) td_buf_puts(w->b, ", self-signed");
  else if (c->self_issued) td_buf_puts(w->b, ", self-issued");
  td_buf_putc(w->b, '\n');
  if (c->aia_ca_issuers) cert_kv(w, "CA issuers", c->aia_ca_issuers);
  if (c->ocsp_url) cert_kv(w, "OCSP", c->ocsp_url);
}

static void text_chain(tw_t *w, const tlsdiag_result_t *r) {
  if (!r->nchain) {
    if (!ran(&r->phase[TLSDIAG_PHASE_TLS])) return;
    heading(w, "Certificates");
    td_buf_puts(w->b, "  none received\n");
    return;
  }
  td_buf_t t;
  td_buf_init(&t);
  td_buf_printf(&t, r->offline ? "Certificates (%zu: the path built, then the rest given)"
                              : "Certificates (%zu sent by the server)",
                r->nchain);
  heading(w, t.data ? t.data : "Certificates");
  td_buf_free(&t);
  for (size_t i = 0; i < r->nchain; i++) {
    if (w->flags & TLSDIAG_FMT_VERBOSE) cert_full(w, r, i);
    else cert_line(w, r, i);
  }
}

static void http_header_line(tw_t *w, const tlsdiag_result_t *r,
                             const char *label, const char *name) {
  const char *v = td_result_header_get(r, name);
  if (!v) return;
  key(w, label);
  safe(w, v);
  td_buf_putc(w->b, '\n');
}

static void text_http(tw_t *w, const tlsdiag_result_t *r) {
  const td_phase_t *ph = &r->phase[TLSDIAG_PHASE_HTTP];
  heading(w, "HTTP");
  if (!ran(ph) && !r->http_status_line) {
    td_buf_printf(w->b, "  %s\n", status_text(ph->status));
    return;
  }
  if (r->http_request) {
    key(w, "request");
    safe(w, r->http_request);
    td_buf_putc(w->b, '\n');
  }
  key(w, "response");
  if (r->http_status_line) safe(w, r->http_status_line);
  else {
    sgr(w, ANSI_RED);
    td_buf_puts(w->b, "none");
    sgr(w, ANSI_RESET);
    if (ph->error) {
      td_buf_puts(w->b, " (");
      safe(w, ph->error);
      td_buf_putc(w->b, ')');
    }
  }
  td_buf_putc(w->b, '\n');
  if (!r->http_status_line) return;
  key(w, "HSTS");
  const char *sts = td_result_header_get(r, "strict-transport-security");
  if (sts) safe(w, sts);
  else {
    sgr(w, ANSI_YELLOW);
    td_buf_puts(w->b, "(none)");
    sgr(w, ANSI_RESET);
  }
  td_buf_putc(w->b, '\n');
  const char *date = td_result_header_get(r, "date");
  if (date) {
    key(w, "Date");
    safe(w, date);
    if (r->http_date && r->http_date_received) {
      long long off = (long long)(r->http_date - r->http_date_received);
      td_buf_printf(w->b, "  (server clock %+lld s)", off);
    }
    td_buf_putc(w->b, '\n');
  }
  http_header_line(w, r, "Server", "server");
  http_header_line(w, r, "Location", "location");
  if (w->flags & TLSDIAG_FMT_VERBOSE) {
    key(w, "headers");
    td_buf_printf(w->b, "%zu\n", r->nheaders);
    for (size_t i = 0; i < r->nheaders; i++) {
      td_buf_puts(w->b, "    ");
      safe(w, r->headers[i].name);
      td_buf_puts(w->b, ": ");
      safe(w, r->headers[i].value);
      td_buf_putc(w->b, '\n');
    }
  }
}

/* The HSTS section: the host's place on the preload list and the parsed
 * header; shown when a list was given or the server sent a header. */
static void text_hsts(tw_t *w, const tlsdiag_result_t *r) {
  const struct td_hsts_report *h = r->hsts;
  if (!h || (!h->list_given && !(h->http_ok && h->header))) return;
  heading(w, "HSTS");
  key(w, "preload list");
  if (!h->list_given) {
    td_buf_puts(w->b, "not given");
  } else if (!h->looked_up) {
    td_buf_puts(w->b, r->host_is_ip ? "not applicable (IP literal)"
                                    : "not looked up");
  } else if (h->preloaded) {
    sgr(w, ANSI_GREEN);
    td_buf_puts(w->b, "preloaded");
    sgr(w, ANSI_RESET);
    td_buf_puts(w->b, h->entry_exact ? ": entry " : " through ");
    safe(w, h->entry);
    td_buf_puts(w->b, h->entry_include_subdomains ? " (includeSubDomains)"
                                                  : " (this name only)");
  } else if (h->entry) {
    td_buf_puts(w->b, "not preloaded: entry ");
    safe(w, h->entry);
    td_buf_puts(w->b, h->entry_exact ? " is not force-https"
                                     : " covers only itself");
  } else {
    td_buf_puts(w->b, "not preloaded");
  }
  td_buf_putc(w->b, '\n');
  if (!h->http_ok) return;
  key(w, "header");
  if (!h->header) {
    sgr(w, ANSI_YELLOW);
    td_buf_puts(w->b, "(none)");
    sgr(w, ANSI_RESET);
    td_buf_putc(w->b, '\n');
    return;
  }
  safe(w, h->header);
  td_buf_putc(w->b, '\n');
  key(w, "");
  if (h->sts.valid) {
    td_buf_printf(w->b, "valid: max-age %lld s", (long long)h->sts.max_age);
    if (h->sts.max_age >= 86400)
      td_buf_printf(w->b, " (%lld days)",
                    (long long)(h->sts.max_age / 86400));
    if (h->sts.include_subdomains) td_buf_puts(w->b, ", includeSubDomains");
    if (h->sts.preload) td_buf_puts(w->b, ", preload");
  } else {
    sgr(w, ANSI_YELLOW);
    td_buf_puts(w->b, "invalid");
    sgr(w, ANSI_RESET);
    td_buf_printf(w->b, ": %s (at byte %zu); browsers ignore it",
                  h->sts.error ? h->sts.error : "?", h->sts.error_at);
  }
  td_buf_putc(w->b, '\n');
  if (h->header_count > 1) {
    key(w, "");
    td_buf_printf(w->b, "%zu headers received; only the first counts\n",
                  h->header_count);
  }
}

void td_report_text(td_buf_t *b, const tlsdiag_result_t *r, unsigned flags) {
  tw_t w = {b, flags, (flags & TLSDIAG_FMT_COLOR) != 0};
  if (!r) return;
  text_verdict(&w, r);
  text_findings(&w, r);
  if (r->offline) { /* no connection: no phases, sequence or TLS */
    text_chain(&w, r);
    return;
  }
  text_phases(&w, r);
  text_sequence(&w, r);
  text_tls(&w, r);
  text_chain(&w, r);
  text_http(&w, r);
  text_hsts(&w, r);
  td_anatomy_text(b, r, (flags & TLSDIAG_FMT_EXPLAIN) != 0);
}

/* ---- Mermaid ------------------------------------------------------------- */

/* Writes s so that it cannot end a Mermaid statement or start a comment,
 * entity or directive: td_text_safe first (no newlines or controls), then
 * ';' -> ',', '#' -> U+FF03, '<' '>' -> U+2039 U+203A (no HTML), the
 * second '%' of "%%" -> U+FF05, and in participant aliases ':' -> U+A789
 * (a colon look-alike). */
static void mm_text(td_buf_t *b, const char *s, int alias) {
  td_buf_t t;
  td_buf_init(&t);
  td_text_safe(&t, s ? s : "?");
  for (size_t i = 0; i < t.len; i++) {
    char c = t.data[i];
    switch (c) {
    case ';': td_buf_putc(b, ','); break;
    case '#': td_buf_puts(b, "\xEF\xBC\x83"); break;
    case '<': td_buf_puts(b, "\xE2\x80\xB9"); break;
    case '>': td_buf_puts(b, "\xE2\x80\xBA"); break;
    case '%':
      if (i > 0 && t.data[i - 1] == '%') td_buf_puts(b, "\xEF\xBC\x85");
      else td_buf_putc(b, c);
      break;
    case ':':
      if (alias) td_buf_puts(b, "\xEA\x9E\x89");
      else td_buf_putc(b, c);
      break;
    default: td_buf_putc(b, c); break;
    }
  }
  td_buf_free(&t);
}

static int prefix_ci(const char *s, const char *pre) {
  for (; *pre; s++, pre++)
    if (tolower((unsigned char)*s) != *pre) return 0;
  return 1;
}

/* Emits one statement "<head>: <text>". Mermaid strips a leading
 * "wrap:", "nowrap:" or ":wrap:" from a message as a directive, so the
 * colon of such a prefix is replaced by its look-alike. */
static void mm_stmt(td_buf_t *b, const char *head, const td_buf_t *msg) {
  const char *m = msg->data ? msg->data : "";
  const char *p = m + (m[0] == ':');
  if (prefix_ci(p, "no")) p += 2;
  td_buf_puts(b, "    ");
  td_buf_puts(b, head);
  td_buf_puts(b, ": ");
  if (prefix_ci(p, "wrap:")) {
    td_buf_append(b, m, (size_t)(p - m) + 4);
    td_buf_puts(b, "\xEA\x9E\x89");
    td_buf_puts(b, p + 5);
  } else {
    td_buf_puts(b, m);
  }
  td_buf_putc(b, '\n');
}

static const char *phase_title(tlsdiag_phase_t p) {
  static const char *const t[] = {"DNS", "TCP", "TLS", "HTTP"};
  return (unsigned)p < TLSDIAG_PHASE_COUNT_ ? t[p] : "?";
}

static void mm_phase_note(td_buf_t *b, const tlsdiag_result_t *r,
                          tlsdiag_phase_t p, int has_dns) {
  const td_phase_t *ph = &r->phase[p];
  td_buf_t m;
  td_buf_init(&m);
  td_buf_puts(&m, phase_title(p));
  td_buf_puts(&m,
              ph->status == TLSDIAG_STATUS_TIMEOUT ? " timed out" : " failed");
  const char *why = ph->error;
  if (p == TLSDIAG_PHASE_DNS && !why) why = r->dns_error;
  if (p == TLSDIAG_PHASE_TLS && !why) why = r->tls_error_name;
  if (p == TLSDIAG_PHASE_TLS && r->tls_alert) {
    td_buf_puts(&m, ": alert ");
    mm_text(&m, r->tls_alert, 0);
  } else if (why) {
    td_buf_puts(&m, ": ");
    mm_text(&m, why, 0);
  }
  if (isfinite(ph->ms)) td_buf_printf(&m, " [after %.1f ms]", ph->ms);
  mm_stmt(b,
          p == TLSDIAG_PHASE_DNS && has_dns ? "Note over Client,Resolver"
                                            : "Note over Client,Server",
          &m);
  td_buf_free(&m);
}

static int failed(const td_phase_t *p) {
  return p->status == TLSDIAG_STATUS_FAILED ||
         p->status == TLSDIAG_STATUS_TIMEOUT;
}

void td_report_mermaid(td_buf_t *b, const tlsdiag_result_t *r) {
  td_buf_puts(b, "sequenceDiagram\n");
  if (!r) return;
  int has_dns = ran(&r->phase[TLSDIAG_PHASE_DNS]);
  for (size_t i = 0; i < r->nevents && !has_dns; i++)
    has_dns =
        r->events[i].dir == TD_DIR_C2DNS || r->events[i].dir == TD_DIR_DNS2C;

  td_buf_puts(b, "    participant Client\n");
  if (has_dns) {
    td_buf_puts(b, "    participant Resolver as ");
    if (r->dns_server) {
      td_buf_puts(b, "DNS ");
      mm_text(b, r->dns_server, 1);
    } else {
      td_buf_puts(b, "system resolver");
    }
    td_buf_putc(b, '\n');
  }
  /* Server "host (addr:port)", or "addr:port" for an IP literal */
  const char *host = r->host ? r->host : r->ace_host;
  const char *addr = r->connected_addr;
  if (!addr && r->nattempts) addr = r->attempts[0].addr;
  if (!addr && r->naddrs) addr = r->addrs[0];
  if (!addr && r->host_is_ip) addr = host;
  td_buf_t a;
  td_buf_init(&a);
  if (addr && strchr(addr, ':'))
    td_buf_printf(&a, "[%s]:%u", addr, (unsigned)r->port);
  else if (addr) td_buf_printf(&a, "%s:%u", addr, (unsigned)r->port);
  else td_buf_printf(&a, "port %u", (unsigned)r->port);
  td_buf_puts(b, "    participant Server as ");
  if (r->host_is_ip && addr) {
    mm_text(b, a.data, 1);
  } else {
    mm_text(b, host, 1);
    td_buf_puts(b, " (");
    mm_text(b, a.data, 1);
    td_buf_putc(b, ')');
  }
  td_buf_putc(b, '\n');
  td_buf_free(&a);

  /* failure notes go where the failing phase ended */
  int noted[TLSDIAG_PHASE_COUNT_] = {0};
  for (size_t i = 0; i <= r->nevents; i++) {
    const td_event_t *e = i < r->nevents ? &r->events[i] : NULL;
    for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++) {
      const td_phase_t *ph = &r->phase[p];
      if (noted[p] || !failed(ph)) continue;
      if (e && !(e->t_ms > ph->start_ms + ph->ms)) continue;
      mm_phase_note(b, r, (tlsdiag_phase_t)p, has_dns);
      noted[p] = 1;
    }
    if (!e) break;
    const char *head;
    switch (e->dir) {
    case TD_DIR_C2S: head = "Client->>Server"; break;
    case TD_DIR_S2C: head = "Server-->>Client"; break;
    case TD_DIR_C2DNS: head = "Client->>Resolver"; break;
    case TD_DIR_DNS2C: head = "Resolver-->>Client"; break;
    case TD_DIR_LOCAL:
    default: head = "Note over Client"; break;
    }
    td_buf_t m;
    td_buf_init(&m);
    mm_text(&m, e->what, 0);
    if (e->detail && *e->detail) {
      td_buf_puts(&m, " (");
      mm_text(&m, e->detail, 0);
      td_buf_putc(&m, ')');
    }
    if (isfinite(e->t_ms)) td_buf_printf(&m, " [t=%.1f ms]", e->t_ms);
    mm_stmt(b, head, &m);
    td_buf_free(&m);
  }

  td_buf_t v;
  td_buf_init(&v);
  if (tlsdiag_result_ok(r)) {
    td_buf_puts(&v, "✔ OK");
    if (r->tls_version) {
      td_buf_puts(&v, ", ");
      mm_text(&v, r->tls_version, 0);
    }
    if (r->http_status) td_buf_printf(&v, ", HTTP %d", r->http_status);
  } else {
    tlsdiag_cause_t c = verdict_cause(r);
    td_buf_puts(&v, "✘ ");
    for (const char *p = tlsdiag_cause_name(c); *p; p++)
      td_buf_putc(&v, (char)toupper((unsigned char)*p));
    td_buf_puts(&v, " — ");
    mm_text(&v, cause_message(r, c), 0);
  }
  if (isfinite(r->total_ms)) td_buf_printf(&v, " (total %.1f ms)", r->total_ms);
  mm_stmt(b, "Note over Client,Server", &v);
  td_buf_free(&v);
}
