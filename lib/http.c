/* http.c: HTTP/1.x request writer and response head parser (STUB). */
#include "internal.h"
td_http_rc_t td_http_parse_head(tlsdiag_result_t *r, const char *buf, size_t len, size_t *consumed, const char **why) { (void)r; (void)buf; (void)len; (void)consumed; *why = "stub"; return TD_HTTP_MALFORMED; }
int64_t td_http_parse_date(const char *s) { (void)s; return -1; }
char *td_http_request(const char *method, const char *path, const char *host_header, size_t *len) { (void)len; return td_asprintf("%s %s HTTP/1.1\r\nHost: %s\r\n\r\n", method, path, host_header); }
