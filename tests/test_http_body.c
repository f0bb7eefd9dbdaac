/* test_http_body.c: how a fetched body is framed (RFC 9112 section 6.3)
 * and the strict, bounded chunked decoder (section 7.1): valid codings fed
 * whole, byte by byte and split anywhere; hostile chunk sizes, overflow,
 * missing CRLF, bad extensions and trailers; the limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdrun.h"

#include "internal.h"

/* ---- the chunked decoder --------------------------------------------------- */

typedef struct decoded {
  td_http_rc_t rc;
  size_t consumed; /* total over all feeds */
  const char *why;
  td_buf_t body;
} decoded_t;

/* Feeds in[0..len) in pieces of `step` bytes (0: all at once) until the
 * decoder stops asking for more. */
static decoded_t decode_steps(const char *in, size_t len, size_t max,
                              size_t step) {
  decoded_t d;
  memset(&d, 0, sizeof(d));
  td_buf_init(&d.body);
  td_chunked_t *ch = malloc(sizeof(*ch));
  assert_non_null(ch);
  td_chunked_init(ch);
  size_t pos = 0;
  d.rc = TD_HTTP_NEED_MORE;
  do {
    size_t n = step ? (len - pos < step ? len - pos : step) : len - pos;
    size_t used = 0;
    d.why = "unset";
    d.rc = td_chunked_feed(ch, in + pos, n, &d.body, max, &used, &d.why);
    if (d.rc == TD_HTTP_NEED_MORE) assert_int_equal(used, n);
    pos += used;
  } while (d.rc == TD_HTTP_NEED_MORE && pos < len);
  d.consumed = pos;
  /* sticky: once ended, the decoder says so again and takes nothing */
  if (d.rc != TD_HTTP_NEED_MORE) {
    size_t used = 99;
    const char *why = NULL;
    assert_int_equal(td_chunked_feed(ch, "0\r\n\r\n", 5, &d.body, max, &used,
                                     &why),
                     d.rc);
    assert_int_equal(used, 0);
    if (d.rc != TD_HTTP_DONE) assert_string_equal(why, d.why);
  }
  free(ch);
  return d;
}

static decoded_t decode(const char *in, size_t max) {
  return decode_steps(in, strlen(in), max, 0);
}

static void expect_body(const char *in, const char *body) {
  size_t len = strlen(in);
  /* whole, byte by byte, and in pieces of 2, 3, 7: the same answer */
  static const size_t steps[] = {0, 1, 2, 3, 7};
  for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
    decoded_t d = decode_steps(in, len, 1 << 20, steps[k]);
    if (d.rc != TD_HTTP_DONE)
      fail_msg("step %zu: rc %d (%s) for %s", steps[k], (int)d.rc, d.why, in);
    assert_int_equal(d.consumed, len);
    assert_int_equal(d.body.len, strlen(body));
    assert_memory_equal(d.body.data ? d.body.data : "", body, strlen(body));
    td_buf_free(&d.body);
  }
}

static void expect_fail(const char *in, size_t max, td_http_rc_t rc,
                        const char *why) {
  decoded_t d = decode(in, max);
  if (d.rc != rc) fail_msg("rc %d (%s), expected %d for %s", (int)d.rc,
                           d.why ? d.why : "", (int)rc, in);
  assert_string_equal(d.why, why);
  /* and byte by byte: the same verdict */
  decoded_t b = decode_steps(in, strlen(in), max, 1);
  assert_int_equal(b.rc, rc);
  assert_string_equal(b.why, why);
  td_buf_free(&d.body);
  td_buf_free(&b.body);
}

static void test_http_body_chunked_decodes_chunks(void **state) {
  (void)state;
  expect_body("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
  expect_body("0\r\n\r\n", "");
  /* hex either case, leading zeros */
  expect_body("A\r\n0123456789\r\na\r\nabcdefghij\r\n0000\r\n\r\n",
              "0123456789abcdefghij");
  expect_body("0005\r\nhello\r\n0\r\n\r\n", "hello");
  /* data is data: CR, LF, NUL and "0\r\n\r\n" inside a chunk */
  static const char nul[] = "7\r\na\r\n\0\r\n0\r\n0\r\n\r\n0\r\n\r\n";
  decoded_t d = decode_steps(nul, sizeof(nul) - 1, 100, 0);
  assert_int_equal(d.rc, TD_HTTP_DONE);
  assert_int_equal(d.body.len, 7);
  assert_memory_equal(d.body.data, "a\r\n\0\r\n0", 7);
  assert_int_equal(d.consumed, sizeof(nul) - 1 - 5); /* the 2nd end is not */
  td_buf_free(&d.body);
}

static void test_http_body_chunked_split_anywhere(void **state) {
  (void)state;
  const char *msg = "3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n"
                    "0\r\nX-Trailer: t\r\n\r\n";
  size_t len = strlen(msg);
  for (size_t cut = 0; cut <= len; cut++) {
    td_chunked_t ch;
    td_chunked_init(&ch);
    td_buf_t body;
    td_buf_init(&body);
    size_t u1 = 0, u2 = 0;
    td_http_rc_t rc = td_chunked_feed(&ch, msg, cut, &body, 100, &u1, NULL);
    if (cut < len) {
      /* any strict prefix is incomplete, never an error, never done */
      assert_int_equal(rc, TD_HTTP_NEED_MORE);
      assert_int_equal(u1, cut);
      rc = td_chunked_feed(&ch, msg + cut, len - cut, &body, 100, &u2, NULL);
    }
    assert_int_equal(rc, TD_HTTP_DONE);
    assert_int_equal(u1 + u2, len);
    assert_int_equal(body.len, 19);
    assert_memory_equal(body.data, "abc0123456789abcdef", 19);
    td_buf_free(&body);
  }
}

static void test_http_body_chunked_stops_at_the_end(void **state) {
  (void)state;
  /* what follows the message is not consumed */
  decoded_t d = decode("2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", 100);
  assert_int_equal(d.rc, TD_HTTP_DONE);
  assert_int_equal(d.consumed, 12);
  td_buf_free(&d.body);
  /* nothing to feed: more is needed */
  td_chunked_t ch;
  td_chunked_init(&ch);
  td_buf_t body;
  td_buf_init(&body);
  size_t used = 5;
  assert_int_equal(td_chunked_feed(&ch, NULL, 0, &body, 10, &used, NULL),
                   TD_HTTP_NEED_MORE);
  assert_int_equal(used, 0);
}

static void test_http_body_chunked_extensions(void **state) {
  (void)state;
  /* RFC 9112 7.1.1: ; name [= token / quoted-string], BWS around */
  expect_body("5;name\r\nhello\r\n0\r\n\r\n", "hello");
  expect_body("5 ; a = b ;c=\"q \\\" ;x\"\t;d\r\nhello\r\n0;last\r\n\r\n",
              "hello");
  const char *bad[] = {
      "5;\r\nhello\r\n0\r\n\r\n",          /* no name */
      "5;=v\r\nhello\r\n0\r\n\r\n",        /* no name */
      "5;a=\r\nhello\r\n0\r\n\r\n",        /* no value */
      "5;a=\"open\r\nhello\r\n0\r\n\r\n",  /* unterminated quote */
      "5;a=b c\r\nhello\r\n0\r\n\r\n",     /* two values */
      "5;a b\r\nhello\r\n0\r\n\r\n",       /* no separator */
      "5 \r\nhello\r\n0\r\n\r\n",          /* whitespace, no extension */
      "5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n", /* control in quoted value */
      "5;a@b\r\nhello\r\n0\r\n\r\n",       /* not a token */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_fail(bad[i], 100, TD_HTTP_MALFORMED,
                "malformed chunk size or extension");
}

static void test_http_body_chunked_hostile_sizes(void **state) {
  (void)state;
  /* 2^64 - 1 fits the 16 digits: over any limit, refused before data */
  expect_fail("FFFFFFFFFFFFFFFF\r\nx", 1 << 20, TD_HTTP_TOO_LARGE,
              "chunk larger than the body limit");
  expect_fail("100001\r\n", 1 << 20, TD_HTTP_TOO_LARGE,
              "chunk larger than the body limit");
  decoded_t d = decode("100000\r\nabc", 1 << 20); /* 1 MiB: allowed */
  assert_int_equal(d.rc, TD_HTTP_NEED_MORE);
  assert_int_equal(d.body.len, 3);
  td_buf_free(&d.body);
  /* more digits could overflow: refused whatever their value */
  expect_fail("10000000000000000\r\n", 100, TD_HTTP_MALFORMED,
              "chunk size longer than 16 hex digits");
  expect_fail("00000000000000005\r\nhello\r\n0\r\n\r\n", 100,
              TD_HTTP_MALFORMED, "chunk size longer than 16 hex digits");
  const char *bad[] = {"-1\r\n", "+5\r\n", "0x5\r\n", " 5\r\n",
                       "\r\n",   "g\r\n",  ";a\r\n"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_fail(bad[i], 100, TD_HTTP_MALFORMED,
                strchr("-+ \r;g", bad[i][0]) ? "malformed chunk size"
                                             : "malformed chunk size or "
                                               "extension");
}

static void test_http_body_chunked_limit(void **state) {
  (void)state;
  /* exactly the limit is fine; one byte over, in any chunk, is not */
  decoded_t d = decode("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 10);
  assert_int_equal(d.rc, TD_HTTP_DONE);
  assert_int_equal(d.body.len, 10);
  td_buf_free(&d.body);
  d = decode("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 10);
  assert_int_equal(d.rc, TD_HTTP_TOO_LARGE);
  assert_string_equal(d.why, "chunk larger than the body limit");
  assert_int_equal(d.body.len, 5); /* the refused chunk was not read */
  td_buf_free(&d.body);
  expect_fail("1\r\nx\r\n0\r\n\r\n", 0, TD_HTTP_TOO_LARGE,
              "chunk larger than the body limit");
  expect_body("0\r\n\r\n", ""); /* an empty body fits any limit */
}

static void test_http_body_chunked_missing_crlf(void **state) {
  (void)state;
  expect_fail("5\r\nhelloX\r\n0\r\n\r\n", 100, TD_HTTP_MALFORMED,
              "chunk data not followed by CRLF");
  expect_fail("5\r\nhello\n0\r\n\r\n", 100, TD_HTTP_MALFORMED,
              "chunk data not followed by CRLF");
  expect_fail("5\r\nhello\r0\r\n\r\n", 100, TD_HTTP_MALFORMED,
              "chunk data not followed by CRLF");
  /* a chunk longer than its size says */
  expect_fail("3\r\nhello\r\n0\r\n\r\n", 100, TD_HTTP_MALFORMED,
              "chunk data not followed by CRLF");
  /* lines end in CRLF: no bare LF, no bare CR, no NUL */
  expect_fail("5\nhello\r\n0\r\n\r\n", 100, TD_HTTP_MALFORMED,
              "chunked line not ended by CRLF");
  expect_fail("5\r\nhello\r\n0\n\n", 100, TD_HTTP_MALFORMED,
              "chunked line not ended by CRLF");
  expect_fail("5\r\nhello\r\n0\r\n\n", 100, TD_HTTP_MALFORMED,
              "chunked line not ended by CRLF");
  expect_fail("5\r\r\nhello\r\n0\r\n\r\n", 100, TD_HTTP_MALFORMED,
              "bare CR in chunked framing");
  expect_fail("5;a\rb\r\nhello\r\n", 100, TD_HTTP_MALFORMED,
              "bare CR in chunked framing");
  static const char nul[] = "5\0\r\nhello\r\n0\r\n\r\n";
  decoded_t d = decode_steps(nul, sizeof(nul) - 1, 100, 0);
  assert_int_equal(d.rc, TD_HTTP_MALFORMED);
  assert_string_equal(d.why, "NUL byte in chunked framing");
  td_buf_free(&d.body);
}

static void test_http_body_chunked_trailers(void **state) {
  (void)state;
  /* trailer fields are checked and skipped: the body is the data */
  expect_body("2\r\nok\r\n0\r\nX-Checksum: abc\r\nServer-Timing: a;dur=1\r\n"
              "Empty:\r\n\r\n",
              "ok");
  const char *bad[] = {
      "0\r\n: x\r\n\r\n",        /* no name */
      "0\r\nX y: z\r\n\r\n",     /* not a token */
      "0\r\nX : z\r\n\r\n",      /* space before colon */
      "0\r\n folded\r\n\r\n",    /* obs-fold */
      "0\r\nno colon\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    expect_fail(bad[i], 100, TD_HTTP_MALFORMED, "malformed trailer field");
  expect_fail("0\r\nX: a\x01z\r\n\r\n", 100, TD_HTTP_MALFORMED,
              "control character in a trailer field");
  expect_fail("0\r\nX: a\x7fz\r\n\r\n", 100, TD_HTTP_MALFORMED,
              "control character in a trailer field");
}

static void test_http_body_chunked_bounded_framing(void **state) {
  (void)state;
  td_buf_t m;
  /* a chunk-size line over 4 KiB */
  td_buf_init(&m);
  td_buf_puts(&m, "5;a=");
  for (int i = 0; i < TD_HTTP_CHUNK_LINE; i++) td_buf_putc(&m, 'x');
  td_buf_puts(&m, "\r\nhello\r\n0\r\n\r\n");
  expect_fail(m.data, 100, TD_HTTP_TOO_LARGE,
              "chunk-size line longer than 4 KiB");
  td_buf_free(&m);
  /* extensions add up: 64 KiB over all chunks */
  td_buf_init(&m);
  for (int i = 0; i < 40; i++) {
    td_buf_puts(&m, "1;e=");
    for (int k = 0; k < 2000; k++) td_buf_putc(&m, 'v');
    td_buf_puts(&m, "\r\nx\r\n");
  }
  td_buf_puts(&m, "0\r\n\r\n");
  expect_fail(m.data, 100, TD_HTTP_TOO_LARGE,
              "chunk extensions larger than 64 KiB");
  td_buf_free(&m);
  /* 200 trailer fields are fine, 201 are not */
  for (int n = 200; n <= 201; n++) {
    td_buf_init(&m);
    td_buf_puts(&m, "0\r\n");
    for (int i = 0; i < n; i++) td_buf_printf(&m, "T%d: v\r\n", i);
    td_buf_puts(&m, "\r\n");
    if (n == 200) {
      expect_body(m.data, "");
    } else {
      expect_fail(m.data, 100, TD_HTTP_TOO_LARGE,
                  "more than 200 trailer fields");
    }
    td_buf_free(&m);
  }
  /* a trailer line over 4 KiB; a trailer section over 64 KiB */
  td_buf_init(&m);
  td_buf_puts(&m, "0\r\nX: ");
  for (int i = 0; i < TD_HTTP_CHUNK_LINE; i++) td_buf_putc(&m, 'v');
  td_buf_puts(&m, "\r\n\r\n");
  expect_fail(m.data, 100, TD_HTTP_TOO_LARGE,
              "trailer field longer than 4 KiB");
  td_buf_free(&m);
  td_buf_init(&m);
  td_buf_puts(&m, "0\r\n");
  for (int i = 0; i < 20; i++) {
    td_buf_printf(&m, "T%d: ", i);
    for (int k = 0; k < 4000; k++) td_buf_putc(&m, 'v');
    td_buf_puts(&m, "\r\n");
  }
  td_buf_puts(&m, "\r\n");
  expect_fail(m.data, 100, TD_HTTP_TOO_LARGE,
              "trailer section larger than 64 KiB");
  td_buf_free(&m);
}

/* ---- framing of a response -------------------------------------------------- */

typedef struct framed {
  td_http_rc_t rc;
  td_body_kind_t kind;
  uint64_t length;
  const char *why;
} framed_t;

static framed_t frame(const char *method, const char *head) {
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  assert_int_equal(td_http_parse_head(r, head, strlen(head), NULL, NULL),
                   TD_HTTP_DONE);
  framed_t f;
  f.length = 77;
  f.why = "unset";
  f.rc = td_http_body_framing(r, method, &f.kind, &f.length, &f.why);
  tlsdiag_result_free(r);
  return f;
}

static void expect_framing(const char *head, td_body_kind_t kind,
                           uint64_t length) {
  framed_t f = frame("GET", head);
  if (f.rc != TD_HTTP_DONE) fail_msg("%s: %s", head, f.why);
  assert_int_equal(f.kind, kind);
  assert_int_equal(f.length, length);
}

static void expect_bad_framing(const char *head, const char *why) {
  framed_t f = frame("GET", head);
  assert_int_equal(f.rc, TD_HTTP_MALFORMED);
  assert_string_equal(f.why, why);
}

static void test_http_body_framing(void **state) {
  (void)state;
  expect_framing("HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n",
                 TD_BODY_LENGTH, 42);
  expect_framing("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                 TD_BODY_LENGTH, 0);
  /* repeated, equal values are one value (RFC 9110 8.6) */
  expect_framing("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n"
                 "content-length: 7\r\n\r\n",
                 TD_BODY_LENGTH, 7);
  expect_framing("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n"
                 "\r\n",
                 TD_BODY_LENGTH, UINT64_MAX);
  expect_framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                 TD_BODY_CHUNKED, 0);
  expect_framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n",
                 TD_BODY_CHUNKED, 0);
  expect_framing("HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", TD_BODY_CLOSE, 0);
  expect_framing("HTTP/1.0 200 OK\r\n\r\n", TD_BODY_CLOSE, 0);
  /* no body, whatever the headers say */
  expect_framing("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                 TD_BODY_NONE, 0);
  expect_framing("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
                 TD_BODY_NONE, 0);
  expect_framing("HTTP/1.1 101 Switching Protocols\r\n\r\n", TD_BODY_NONE, 0);
  framed_t f = frame("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
  assert_int_equal(f.rc, TD_HTTP_DONE);
  assert_int_equal(f.kind, TD_BODY_NONE);

  expect_bad_framing("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                     "Content-Length: 6\r\n\r\n",
                     "conflicting Content-Length values");
  expect_bad_framing("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
                     "conflicting Content-Length values");
  expect_bad_framing("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                     "Content-Length is not a number");
  expect_bad_framing("HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n",
                     "Content-Length is not a number");
  expect_bad_framing("HTTP/1.1 200 OK\r\nContent-Length: 4 2\r\n\r\n",
                     "Content-Length is not a number");
  expect_bad_framing("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n",
                     "Content-Length is not a number");
  expect_bad_framing("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
                     "Content-Length is empty");
  expect_bad_framing("HTTP/1.1 200 OK\r\nContent-Length: "
                     "18446744073709551616\r\n\r\n",
                     "Content-Length is out of range");
  expect_bad_framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Length: 5\r\n\r\n",
                     "both Transfer-Encoding and Content-Length");
  expect_bad_framing("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                     "Transfer-Encoding in an HTTP/1.0 response");
  expect_bad_framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
                     "\r\n",
                     "unsupported transfer coding (only chunked is)");
  expect_bad_framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                     "unsupported transfer coding (only chunked is)");
  expect_bad_framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n",
                     "malformed Transfer-Encoding");
  expect_bad_framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n"
                     "\r\n",
                     "malformed Transfer-Encoding");
  expect_bad_framing("HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n",
                     "malformed Transfer-Encoding");
}

static void test_http_body_content_coding_and_request(void **state) {
  (void)state;
  const char *heads[] = {
      "HTTP/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Encoding: identity, br\r\n\r\n",
  };
  for (size_t i = 0; i < 4; i++) {
    tlsdiag_result_t *r = td_result_new();
    assert_int_equal(td_http_parse_head(r, heads[i], strlen(heads[i]), NULL,
                                        NULL),
                     TD_HTTP_DONE);
    assert_int_equal(td_http_content_coded(r), i >= 2);
    tlsdiag_result_free(r);
  }
  /* a fetch asks for the bytes themselves; a check's request is unchanged */
  char *req = td_http_request_ex("GET", "/x?format=TEXT", "h.test",
                                 TD_HTTP_REQ_IDENTITY, NULL);
  assert_string_equal(req, "GET /x?format=TEXT HTTP/1.1\r\nHost: h.test\r\n"
                           "User-Agent: tlsdiag/" TLSDIAG_VERSION_STR "\r\n"
                           "Accept: */*\r\nAccept-Encoding: identity\r\n"
                           "Connection: close\r\n\r\n");
  free(req);
  req = td_http_request("HEAD", "/", "h.test", NULL);
  assert_null(strstr(req, "Accept-Encoding"));
  free(req);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_http_body_chunked_decodes_chunks),
      cmocka_unit_test(test_http_body_chunked_split_anywhere),
      cmocka_unit_test(test_http_body_chunked_stops_at_the_end),
      cmocka_unit_test(test_http_body_chunked_extensions),
      cmocka_unit_test(test_http_body_chunked_hostile_sizes),
      cmocka_unit_test(test_http_body_chunked_limit),
      cmocka_unit_test(test_http_body_chunked_missing_crlf),
      cmocka_unit_test(test_http_body_chunked_trailers),
      cmocka_unit_test(test_http_body_chunked_bounded_framing),
      cmocka_unit_test(test_http_body_framing),
      cmocka_unit_test(test_http_body_content_coding_and_request),
  };
  return td_run_tests(tests, NULL, NULL);
}
