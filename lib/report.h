/* report.h: private to the human-readable reports: report.c (terminal-safe
 * text and what the reports share), report_text.c (the text report),
 * report_chain.c (its certificates section) and report_mermaid.c (the
 * sequence diagram). */
#ifndef TD_REPORT_H
#define TD_REPORT_H

#include "internal.h"

/* ---- report.c: shared by the text and the diagram ---------------------- */
/* 1 if the phase ran (not "not run", not "skipped"). */
int td_report_ran(const td_phase_t *p);
/* The cause the verdict names: the root cause, or, if classification left
 * it unset while an error exists, the first error. */
tlsdiag_cause_t td_report_verdict_cause(const tlsdiag_result_t *r);
/* The finding's message for cause c, else the cause's description. */
const char *td_report_cause_message(const tlsdiag_result_t *r,
                                    tlsdiag_cause_t c);
/* Appends s in capitals (a cause name in the verdict). */
void td_report_put_upper(td_buf_t *b, const char *s);

/* ---- the text report's writer ------------------------------------------ */
#define ANSI_RESET "\033[0m"
#define ANSI_BOLD "\033[1m"
#define ANSI_DIM "\033[2m"
#define ANSI_RED "\033[31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_YELLOW "\033[33m"

#define KEY_WIDTH 13 /* "  key          value" columns in the summaries */

typedef struct {
  td_buf_t *b;
  unsigned flags;
  int color;
} tw_t;

/* The small writing steps both text files use. */
static inline void sgr(tw_t *w, const char *code) {
  if (w->color) td_buf_puts(w->b, code);
}

static inline void safe(tw_t *w, const char *s) {
  td_text_safe(w->b, s ? s : "-");
}

/* Displayed width of UTF-8 text we produced ourselves (no wide chars). */
static inline size_t text_width(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80) n++;
  return n;
}

static inline void pad(tw_t *w, const char *s, size_t width) {
  td_buf_puts(w->b, s);
  for (size_t n = text_width(s); n < width; n++) td_buf_putc(w->b, ' ');
}

static inline void heading(tw_t *w, const char *title) {
  td_buf_putc(w->b, '\n');
  sgr(w, ANSI_BOLD);
  td_buf_puts(w->b, title);
  sgr(w, ANSI_RESET);
  td_buf_putc(w->b, '\n');
}

/* ---- report_chain.c ---------------------------------------------------- */
/* The "Certificates" section: one line each, or every field when
 * verbose. */
void td_report_chain(tw_t *w, const tlsdiag_result_t *r);

#endif
