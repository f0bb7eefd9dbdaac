/* report_mermaid.c: the check as a Mermaid sequence diagram: Client,
 * Resolver and Server, each timeline event as a message or note, failure
 * notes where the failing phase ended, and the verdict. Every string from
 * the network goes through mm_text, so it cannot break the syntax. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "report.h"

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

/* Client, and the resolver when DNS was involved. */
static void mm_participants(td_buf_t *b, const tlsdiag_result_t *r,
                            int has_dns) {
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
}

/* "host (addr:port)", or "addr:port" for an IP literal. */
static void mm_server(td_buf_t *b, const tlsdiag_result_t *r) {
  const char *host = r->host ? r->host : r->ace_host;
  const char *addr = r->connected_addr;
  if (!addr && r->nattempts) addr = r->attempts[0].addr;
  if (!addr && r->naddrs) addr = r->addrs[0];
  if (!addr && r->host_is_ip) addr = host;
  td_buf_t a;
  td_buf_init(&a);
  if (addr && strchr(addr, ':'))
    td_buf_printf(&a, "[%s]:%u", addr, (unsigned)td_conn_port(r));
  else if (addr) td_buf_printf(&a, "%s:%u", addr, (unsigned)td_conn_port(r));
  else td_buf_printf(&a, "port %u", (unsigned)td_conn_port(r));
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
}

/* Each event as a message or note, with the failure notes where the
 * failing phase ended. */
static void mm_events(td_buf_t *b, const tlsdiag_result_t *r, int has_dns) {
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
}

static void mm_verdict(td_buf_t *b, const tlsdiag_result_t *r) {
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
    tlsdiag_cause_t c = td_report_verdict_cause(r);
    td_buf_puts(&v, "✘ ");
    td_report_put_upper(&v, tlsdiag_cause_name(c));
    td_buf_puts(&v, " — ");
    mm_text(&v, td_report_cause_message(r, c), 0);
  }
  if (isfinite(r->total_ms)) td_buf_printf(&v, " (total %.1f ms)", r->total_ms);
  mm_stmt(b, "Note over Client,Server", &v);
  td_buf_free(&v);
}

void td_report_mermaid(td_buf_t *b, const tlsdiag_result_t *r) {
  td_buf_puts(b, "sequenceDiagram\n");
  if (!r) return;
  int has_dns = td_report_ran(&r->phase[TLSDIAG_PHASE_DNS]);
  for (size_t i = 0; i < r->nevents && !has_dns; i++)
    has_dns =
        r->events[i].dir == TD_DIR_C2DNS || r->events[i].dir == TD_DIR_DNS2C;
  mm_participants(b, r, has_dns);
  mm_server(b, r);
  mm_events(b, r, has_dns);
  mm_verdict(b, r);
}
