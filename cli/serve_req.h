/* serve_req.h: the bounded HTTP/1.x request parser of `tlsdiag serve`.
 * Pure (bytes in, fields out, no I/O), so it can be fuzzed
 * (tests/fuzz/fuzz_serve_req.c) and tested without a socket. */
#ifndef TD_SERVE_REQ_H
#define TD_SERVE_REQ_H

#include <stddef.h>

#define TD_REQ_MAX_HEAD 8192  /* request line + headers, bytes */
#define TD_REQ_MAX_TARGET 4096 /* request-target, bytes */

typedef struct td_req {
  int head;                          /* HEAD (else GET) */
  char target[TD_REQ_MAX_TARGET + 1]; /* request-target as sent */
  double scrape_timeout;             /* X-Prometheus-Scrape-Timeout-Seconds,
                                        0 when absent */
} td_req_t;

#define TD_REQ_MORE 0 /* a complete head is not there yet */
#define TD_REQ_DONE 1 /* *req filled */
/* Parses the request head at buf[0..len) (everything received so far).
 * Returns TD_REQ_MORE, TD_REQ_DONE, or the HTTP status to refuse it with
 * (400, 405, 414, 431, 501, 505) and *why a static one-line reason. Never
 * reads past len; the head is bounded by TD_REQ_MAX_HEAD. */
int td_req_parse(const char *buf, size_t len, td_req_t *req,
                 const char **why);

/* Splits a request-target "/path?query": path (up to '?') into path[0..
 * plen), and the value of the query parameter `name`, percent-decoded,
 * into val[0..vlen) (*found 1 when present). 0, or 400 with *why (a
 * parameter twice, a bad %-escape, a NUL, too long). */
int td_req_query(const char *target, const char *name, char *path,
                 size_t plen, char *val, size_t vlen, int *found,
                 const char **why);

#endif
