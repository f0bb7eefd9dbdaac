/* report.c: what the human-readable reports share: terminal-safe text
 * (td_text_safe) and the verdict's cause. The text report is in
 * report_text.c and report_chain.c, the Mermaid diagram in
 * report_mermaid.c.
 *
 * Data in, data out, like json.c. Every string that came from the network or
 * a certificate is written through td_text_safe (text) or mm_text (Mermaid),
 * so a hostile server cannot move the cursor, recolour the terminal, reorder
 * text with bidi controls, or break the diagram's syntax. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "report.h"

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

char *td_text_safe_dup(const char *s) {
  td_buf_t b;
  td_buf_init(&b);
  td_text_safe(&b, s);
  return td_buf_steal(&b, NULL);
}

/* ---- shared by the text and the diagram --------------------------------- */

int td_report_ran(const td_phase_t *p) {
  return p->status != TLSDIAG_STATUS_NOT_RUN &&
         p->status != TLSDIAG_STATUS_SKIPPED;
}

tlsdiag_cause_t td_report_verdict_cause(const tlsdiag_result_t *r) {
  if (r->cause != TLSDIAG_CAUSE_OK) return r->cause;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR)
      return r->findings[i].code;
  return TLSDIAG_CAUSE_OK;
}

const char *td_report_cause_message(const tlsdiag_result_t *r,
                                    tlsdiag_cause_t c) {
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].code == c && r->findings[i].message)
      return r->findings[i].message;
  return tlsdiag_cause_description(c);
}

void td_report_put_upper(td_buf_t *b, const char *s) {
  for (const char *p = s; *p; p++)
    td_buf_putc(b, (char)toupper((unsigned char)*p));
}
