/* fuzz_http_head.c: the HTTP/1.x response head parser (td_http_parse_head)
 * and the Date parser (td_http_parse_date) on bytes a server sends.
 * Properties: the parser's answer is one of the four codes and bounded by
 * its limits; a complete head is consumed within the input, has a status
 * 100-999 and at most TD_HTTP_MAX_HEADERS headers; every failure has a
 * reason; cutting a complete head short never makes it malformed (the
 * caller re-parses a growing buffer); a date is -1 or a sane time. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  tlsdiag_result_t *r = td_result_new();
  if (!r) return 0;
  size_t used = 0;
  const char *why = NULL;
  td_http_rc_t rc = td_http_parse_head(r, buf, size, &used, &why);
  FZ_ASSERT(rc == TD_HTTP_NEED_MORE || rc == TD_HTTP_DONE ||
                rc == TD_HTTP_MALFORMED || rc == TD_HTTP_TOO_LARGE,
            "rc %d", (int)rc);
  if (rc == TD_HTTP_DONE) {
    FZ_ASSERT(used > 0 && used <= size && used <= TD_HTTP_MAX_HEAD,
              "consumed %zu of %zu", used, size);
    FZ_ASSERT(r->http_status >= 100 && r->http_status <= 999, "status %d",
              r->http_status);
    FZ_ASSERT(r->nheaders <= TD_HTTP_MAX_HEADERS, "%zu headers",
              r->nheaders);
    FZ_ASSERT(r->http_status_line && r->http_version, "no status line");
    for (size_t i = 0; i < r->nheaders; i++) {
      FZ_ASSERT(r->headers[i].name && r->headers[i].name[0],
                "empty header name");
      FZ_ASSERT(r->headers[i].value, "header without value");
      FZ_ASSERT(!strpbrk(r->headers[i].value, "\r\n"),
                "CR/LF in a header value");
    }
    /* The same bytes again: the same head (the parser keeps no state). */
    size_t used2 = 0;
    FZ_ASSERT(td_http_parse_head(r, buf, size, &used2, &why) ==
                      TD_HTTP_DONE &&
                  used2 == used,
              "second parse differs");
    /* Any shorter prefix of the head is "need more", never an error. */
    if (used > 1) {
      size_t cut = (size_t)data[0] % used;
      td_http_rc_t p = td_http_parse_head(NULL, buf, cut, NULL, &why);
      FZ_ASSERT(p == TD_HTTP_NEED_MORE || p == TD_HTTP_DONE,
                "prefix of %zu bytes of a good head gave %d (%s)", cut,
                (int)p, why ? why : "");
    }
  } else if (rc != TD_HTTP_NEED_MORE) {
    FZ_ASSERT(why && *why, "failure %d without a reason", (int)rc);
    FZ_ASSERT(r->nheaders == 0 && r->http_status == 0,
              "a failed parse stored a head");
  } else {
    FZ_ASSERT(size < TD_HTTP_MAX_HEAD, "%zu bytes still need more", size);
  }
  tlsdiag_result_free(r);

  /* Date: up to 64 bytes of the input as a header value. */
  char date[65];
  size_t dn = size < 64 ? size : 64;
  memcpy(date, data, dn);
  date[dn] = '\0';
  int64_t t = td_http_parse_date(date);
  /* 1900-01-01 .. 9999-12-31T23:59:60 */
  FZ_ASSERT(t == -1 || (t >= -2208988800LL && t <= 253402300800LL),
            "date %lld", (long long)t);
  return 0;
}
