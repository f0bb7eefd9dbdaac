/* fuzz_http_body.c: what a fetch does with the bytes after a response
 * head: the body framing (td_http_body_framing) of the head at the start
 * of the input, then the chunked decoder (td_chunked_feed) on the rest
 * (on the whole input when there is no head). Properties: the decoder
 * answers one of the four codes; the data never passes the limit; DONE
 * consumes within the input; failures have a reason; feeding the input
 * in two pieces, cut anywhere, gives the same answer and the same data. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct out {
  td_http_rc_t rc;
  size_t used;
  const char *why;
  td_buf_t body;
} out_t;

static out_t decode(const char *p, size_t n, size_t max, size_t cut) {
  out_t o;
  memset(&o, 0, sizeof(o));
  td_buf_init(&o.body);
  td_chunked_t *d = malloc(sizeof(*d));
  if (!d) abort();
  td_chunked_init(d);
  size_t u1 = 0, u2 = 0;
  o.rc = td_chunked_feed(d, p, cut, &o.body, max, &u1, &o.why);
  if (o.rc == TD_HTTP_NEED_MORE) {
    FZ_ASSERT(u1 == cut, "need more after %zu of %zu", u1, cut);
    o.rc = td_chunked_feed(d, p + cut, n - cut, &o.body, max, &u2, &o.why);
  }
  o.used = u1 + u2;
  free(d);
  return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  size_t start = 0;
  tlsdiag_result_t *r = td_result_new();
  if (!r) return 0;
  size_t head = 0;
  if (td_http_parse_head(r, buf, size, &head, NULL) == TD_HTTP_DONE) {
    td_body_kind_t kind = TD_BODY_NONE;
    uint64_t len = 0;
    const char *why = NULL;
    td_http_rc_t rc = td_http_body_framing(r, "GET", &kind, &len, &why);
    FZ_ASSERT(rc == TD_HTTP_DONE || rc == TD_HTTP_MALFORMED, "framing %d",
              (int)rc);
    if (rc != TD_HTTP_DONE) FZ_ASSERT(why && *why, "no reason");
    if (kind != TD_BODY_LENGTH) FZ_ASSERT(len == 0, "length %llu",
                                          (unsigned long long)len);
    start = head;
  }
  tlsdiag_result_free(r);

  const char *p = buf + start;
  size_t n = size - start;
  size_t max = size ? (size_t)data[0] * 4 : 0;
  out_t a = decode(p, n, max, n);
  FZ_ASSERT(a.rc == TD_HTTP_NEED_MORE || a.rc == TD_HTTP_DONE ||
                a.rc == TD_HTTP_MALFORMED || a.rc == TD_HTTP_TOO_LARGE,
            "rc %d", (int)a.rc);
  FZ_ASSERT(a.body.len <= max, "body %zu over %zu", a.body.len, max);
  if (a.rc == TD_HTTP_DONE) FZ_ASSERT(a.used <= n, "used %zu of %zu", a.used, n);
  if (a.rc == TD_HTTP_NEED_MORE) FZ_ASSERT(a.used == n, "need more, used %zu", a.used);
  if (a.rc == TD_HTTP_MALFORMED || a.rc == TD_HTTP_TOO_LARGE)
    FZ_ASSERT(a.why && *a.why, "failure without a reason");
  size_t cut = n ? (size_t)data[size - 1] * 31 % (n + 1) : 0;
  out_t b = decode(p, n, max, cut);
  FZ_ASSERT(b.rc == a.rc, "split at %zu: %d, whole: %d", cut, (int)b.rc,
            (int)a.rc);
  FZ_ASSERT(b.body.len == a.body.len &&
                (a.body.len == 0 || !memcmp(a.body.data, b.body.data, a.body.len)),
            "split at %zu changed the data", cut);
  if (a.rc == TD_HTTP_DONE) FZ_ASSERT(b.used == a.used, "split used %zu vs %zu", b.used, a.used);
  td_buf_free(&a.body);
  td_buf_free(&b.body);
  return 0;
}
