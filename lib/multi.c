/* multi.c: many checks in one event loop (STUB, being written). */
#include <poll.h>
#include "check.h"

tlsdiag_err_t tlsdiag_multi_new(unsigned max_in_flight, tlsdiag_multi_cb cb,
                                void *cb_data, tlsdiag_multi_t **out) {
  (void)max_in_flight; (void)cb; (void)cb_data;
  if (out) *out = NULL;
  return TLSDIAG_E_INVAL;
}
tlsdiag_err_t tlsdiag_multi_add(tlsdiag_multi_t *m, const char *host,
                                const tlsdiag_options_t *opts, void *user) {
  (void)m; (void)host; (void)opts; (void)user;
  return TLSDIAG_E_INVAL;
}
size_t tlsdiag_multi_pending(const tlsdiag_multi_t *m) { (void)m; return 0; }
size_t tlsdiag_multi_fds(tlsdiag_multi_t *m, struct pollfd *fds, size_t max) {
  (void)m; (void)fds; (void)max;
  return 0;
}
int tlsdiag_multi_timeout_ms(tlsdiag_multi_t *m) { (void)m; return -1; }
tlsdiag_err_t tlsdiag_multi_process(tlsdiag_multi_t *m,
                                    const struct pollfd *fds, size_t n) {
  (void)m; (void)fds; (void)n;
  return TLSDIAG_E_INVAL;
}
tlsdiag_err_t tlsdiag_multi_run(tlsdiag_multi_t *m) { (void)m; return TLSDIAG_E_INVAL; }
void tlsdiag_multi_free(tlsdiag_multi_t *m) { (void)m; }
