/* hsts.c: Strict-Transport-Security parsing and the HSTS preload list
 * (STUB, being written). */
#include "internal.h"

void td_hsts_classify(tlsdiag_result_t *r) { (void)r; }
void td_hsts_report_free(struct td_hsts_report *h) { (void)h; }
void td_hsts_json(td_buf_t *b, const tlsdiag_result_t *r, int pretty,
                  int indent) {
  (void)r; (void)pretty; (void)indent;
  td_buf_puts(b, "null");
}
tlsdiag_err_t tlsdiag_hsts_load(const char *path, tlsdiag_hsts_t **out,
                                const char **why) {
  (void)path;
  if (out) *out = NULL;
  if (why) *why = "not implemented";
  return TLSDIAG_E_INVAL;
}
void tlsdiag_hsts_free(tlsdiag_hsts_t *h) { (void)h; }
int tlsdiag_hsts_lookup(const tlsdiag_hsts_t *h, const char *name,
                        const char **entry, int *include_subdomains) {
  (void)h; (void)name; (void)entry; (void)include_subdomains;
  return 0;
}
size_t tlsdiag_hsts_count(const tlsdiag_hsts_t *h) { (void)h; return 0; }
