/* report_text.c: the human text report: verdict, findings, phases, the
 * sequence of messages, TLS, certificates (report_chain.c), HTTP, HSTS and
 * the connection anatomy. Colour only when asked (TLSDIAG_FMT_COLOR). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hsts.h"
#include "report.h"

#define LIST_MAX 8 /* list evidence items shown before "+N more" */

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
  if (r->conn_rule) {
    const char *to = r->conn_host ? r->conn_host : r->ace_host;
    td_buf_puts(w->b, " via ");
    if (strchr(to, ':')) td_buf_putc(w->b, '[');
    safe(w, to);
    if (strchr(to, ':')) td_buf_putc(w->b, ']');
    td_buf_printf(w->b, ":%u (connect-to)", (unsigned)td_conn_port(r));
  }
}

static void put_ms(tw_t *w, double ms) {
  if (isfinite(ms)) td_buf_printf(w->b, "%.1f ms", ms);
  else td_buf_puts(w->b, "? ms");
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
    tlsdiag_cause_t c = td_report_verdict_cause(r);
    sgr(w, ANSI_BOLD ANSI_RED);
    td_buf_puts(w->b, "✘ ");
    td_report_put_upper(w->b, tlsdiag_cause_name(c));
    sgr(w, ANSI_RESET);
    td_buf_puts(w->b, "  ");
    put_target(w, r);
    td_buf_puts(w->b, " — ");
    safe(w, td_report_cause_message(r, c));
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

/* The Happy Eyeballs race, when one was decided while others were still
 * pending: one line naming the winner and every loser. */
static void text_race(tw_t *w, const tlsdiag_result_t *r) {
  const td_attempt_t *win = NULL;
  int abandoned = 0;
  for (size_t i = 0; i < r->nattempts; i++) {
    if (r->attempts[i].status == TLSDIAG_STATUS_OK) win = &r->attempts[i];
    abandoned |= r->attempts[i].abandoned;
  }
  if (!win || !abandoned) return;
  td_buf_puts(w->b, "          ");
  sgr(w, ANSI_DIM);
  td_buf_puts(w->b, "↳ happy eyeballs: ");
  safe(w, win->addr);
  td_buf_printf(w->b, " won (started at +%.1f ms); lost:", win->started_ms);
  const char *sep = " ";
  for (size_t i = 0; i < r->nattempts; i++) {
    const td_attempt_t *a = &r->attempts[i];
    if (a == win) continue;
    td_buf_puts(w->b, sep);
    safe(w, a->addr);
    td_buf_printf(w->b, " %s after ",
                  a->abandoned ? "abandoned" : status_text(a->status));
    put_ms(w, a->ms);
    sep = ", ";
  }
  sgr(w, ANSI_RESET);
  td_buf_putc(w->b, '\n');
}

static void text_phases(tw_t *w, const tlsdiag_result_t *r) {
  static const char *const label[] = {"DNS", "TCP", "TLS", "HTTP"};
  heading(w, "Phases");
  for (int p = 0; p < TLSDIAG_PHASE_COUNT_; p++) {
    const td_phase_t *ph = &r->phase[p];
    td_buf_puts(w->b, "  ");
    pad(w, label[p], 6);
    if (td_report_ran(ph) && isfinite(ph->ms))
      td_buf_printf(w->b, "%9.1f ms  ", ph->ms);
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
        if (a->status == TLSDIAG_STATUS_OK || a->abandoned) continue;
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
      text_race(w, r);
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

/* What the completed handshake negotiated. */
static void text_tls_session(tw_t *w, const tlsdiag_result_t *r) {
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
}

/* One part of the verdict: "label yes" in green or "label no" in red. */
static void verdict_part(tw_t *w, const char *label, int ok) {
  sgr(w, ok ? ANSI_GREEN : ANSI_RED);
  td_buf_printf(w->b, "%s %s", label, ok ? "yes" : "no");
  sgr(w, ANSI_RESET);
}

/* The two verdicts, as tls.verify.browser / .strict in the JSON: tlsdiag's
 * path building (what browsers get) and GnuTLS's verification of the
 * chain as sent (what curl, wget and most agents get), each with its
 * reason when it rejects. Dates are judged apart (the line above). */
/* "label  accepts (who)" or "label  rejects (who): reason" (the reason's
 * trailing blanks, as GnuTLS's text ends, dropped). */
static void verdict_line(tw_t *w, const char *label, int ok, const char *who,
                         const char *reason, unsigned status) {
  key(w, label);
  sgr(w, ok ? ANSI_GREEN : ANSI_RED);
  td_buf_puts(w->b, ok ? "accepts" : "rejects");
  sgr(w, ANSI_RESET);
  td_buf_printf(w->b, " (%s)", who);
  if (!ok) {
    char t[512];
    snprintf(t, sizeof(t), "%s", reason ? reason : "rejected");
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\n')) t[--n] = '\0';
    td_buf_puts(w->b, ": ");
    safe(w, t);
    if (status) td_buf_printf(w->b, " (status 0x%x)", status);
  }
  td_buf_putc(w->b, '\n');
}

static void text_two_verdicts(tw_t *w, const tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  int browser = td_browser_ok(r);
  verdict_line(w, "browser", browser, "tlsdiag's path building",
               r->nfindings ? r->findings[0].message : v->status_text, 0);
  if (!v->strict_done) {
    key(w, "strict");
    td_buf_puts(w->b, "not run\n");
    return;
  }
  verdict_line(w, "strict", v->strict_ok,
               "GnuTLS on the chain as sent, as curl and wget", v->strict_text,
               v->strict_status);
}

/* The verdict, then each part apart ("trusted" only when all hold), and
 * the status bits. */
static void text_tls_verify(tw_t *w, const tlsdiag_result_t *r) {
  td_verdict_t vd = td_verify_verdict(r);
  char at[32];
  td_time_iso(r->now, at);
  key(w, "verify");
  sgr(w, vd.trusted ? ANSI_GREEN : ANSI_RED);
  td_buf_puts(w->b, vd.trusted ? "trusted" : "not trusted");
  sgr(w, ANSI_RESET);
  td_buf_puts(w->b, ": ");
  verdict_part(w, "chain to root", vd.chain_to_root);
  td_buf_puts(w->b, ", ");
  verdict_part(w, "name", vd.name_ok);
  td_buf_puts(w->b, ", ");
  verdict_part(w, "dates", vd.dates_ok);
  td_buf_printf(w->b, " (at %s)", at);
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
  text_two_verdicts(w, r);
}

/* Which versions the probe found accepted or refused. */
static void text_tls_probes(tw_t *w, const tlsdiag_result_t *r) {
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

/* A phase's section heading; 0 when the phase did not run and left
 * nothing to show (then only its status is written). */
static int section(tw_t *w, const char *title, const td_phase_t *ph,
                   int have) {
  heading(w, title);
  if (!td_report_ran(ph) && !have) {
    td_buf_printf(w->b, "  %s\n", status_text(ph->status));
    return 0;
  }
  return 1;
}

/* "system /etc/ssl/certs/ca-certificates.crt, 144 roots", with where the
 * store came from when the caller named it ("from SSL_CERT_FILE"). */
static void text_trust_store(tw_t *w, const tlsdiag_result_t *r) {
  if (!r->trust_kind) return;
  key(w, "trust store");
  td_buf_puts(w->b, r->trust_kind);
  if (r->trust_cafile) {
    td_buf_putc(w->b, ' ');
    safe(w, r->trust_cafile);
  }
  if (r->trust_capath) {
    td_buf_putc(w->b, ' ');
    safe(w, r->trust_capath);
  }
  if (r->trust_roots >= 0) /* else the check ended before it loaded */
    td_buf_printf(w->b, ", %d root%s", r->trust_roots,
                  r->trust_roots == 1 ? "" : "s");
  if (r->trust_source && strcmp(r->trust_source, "system") != 0 &&
      strcmp(r->trust_source, "option") != 0) {
    td_buf_puts(w->b, " (from ");
    safe(w, r->trust_source);
    td_buf_putc(w->b, ')');
  }
  td_buf_putc(w->b, '\n');
}

static void text_tls(tw_t *w, const tlsdiag_result_t *r) {
  if (!section(w, "TLS", &r->phase[TLSDIAG_PHASE_TLS],
               r->tls_version != NULL)) {
    text_trust_store(w, r);
    return;
  }
  if (r->tls_version) {
    text_tls_session(w, r);
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
  if (r->verify.done) text_tls_verify(w, r);
  text_trust_store(w, r);
  if (r->probed) text_tls_probes(w, r);
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
  if (!section(w, "HTTP", ph, r->http_status_line != NULL)) return;
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
  if (h->list_given) {
    char date[32] = "date unknown";
    if (h->list_date) {
      td_time_iso(h->list_date, date);
      date[10] = 0;
    }
    key(w, "list");
    if (h->list_source == TLSDIAG_HSTS_SOURCE_BUILTIN) {
      td_buf_printf(w->b, "built-in snapshot of %s", date);
    } else {
      td_buf_printf(w->b, "%s ", tlsdiag_hsts_source_name(h->list_source));
      if (h->list_path) safe(w, h->list_path);
      td_buf_printf(w->b, "%s(%s)", h->list_path ? " " : "", date);
    }
    td_buf_printf(w->b, ", %zu entries", h->list_entries);
    if (h->list_stale) {
      sgr(w, ANSI_YELLOW);
      td_buf_puts(w->b, " (stale)");
      sgr(w, ANSI_RESET);
    }
    td_buf_putc(w->b, '\n');
  }
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
    if (r->verify.done) {
      heading(&w, "Verification");
      text_tls_verify(&w, r);
    }
    td_report_chain(&w, r);
    return;
  }
  text_phases(&w, r);
  text_sequence(&w, r);
  text_tls(&w, r);
  td_report_chain(&w, r);
  text_http(&w, r);
  text_hsts(&w, r);
  td_anatomy_text(b, r, (flags & TLSDIAG_FMT_EXPLAIN) != 0);
}
