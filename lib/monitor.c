/* monitor.c: Nagios and Prometheus outputs (STUB, being written). */
#include "internal.h"

void td_report_nagios(td_buf_t *b, const tlsdiag_result_t *r) { (void)r; td_buf_puts(b, "UNKNOWN\n"); }
void td_report_prometheus(td_buf_t *b, const tlsdiag_result_t *r) { (void)r; td_buf_puts(b, "\n"); }
int tlsdiag_result_nagios_state(const tlsdiag_result_t *r) { (void)r; return 3; }
