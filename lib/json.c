/* json.c: JSON writer (STUB, being written). */
#include "internal.h"
void td_json_str(td_buf_t *b, const char *s, size_t n) { (void)s; (void)n; td_buf_puts(b, "\"\""); }
void td_json_cstr(td_buf_t *b, const char *s) { (void)s; td_buf_puts(b, "null"); }
void td_json_result(td_buf_t *b, const tlsdiag_result_t *r, int pretty) { (void)r; (void)pretty; td_buf_puts(b, "{}"); }
