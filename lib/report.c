/* report.c: human text and mermaid reports (STUB, being written). */
#include "internal.h"
void td_report_text(td_buf_t *b, const tlsdiag_result_t *r, unsigned flags) { (void)r; (void)flags; td_buf_puts(b, "\n"); }
void td_report_mermaid(td_buf_t *b, const tlsdiag_result_t *r) { (void)r; td_buf_puts(b, "sequenceDiagram\n"); }
void td_text_safe(td_buf_t *b, const char *s) { td_buf_puts(b, s); }
