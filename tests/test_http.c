/* test_http.c: HTTP/1.x request writer, response head parser, dates. */
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

/* 1994-11-06T08:49:37Z, RFC 9110's example date */
#define EXAMPLE_TIME INT64_C(784111777)

typedef struct parsed {
  td_http_rc_t rc;
  size_t consumed;
  const char *why;
  tlsdiag_result_t *r;
} parsed_t;

static parsed_t parse(const char *buf, size_t len) {
  parsed_t p;
  p.r = td_result_new();
  assert_non_null(p.r);
  p.consumed = 12345;
  p.why = "unset";
  p.rc = td_http_parse_head(p.r, buf, len, &p.consumed, &p.why);
  return p;
}

static parsed_t parse_str(const char *s) { return parse(s, strlen(s)); }

static void expect_rc(const char *s, td_http_rc_t rc, const char *why) {
  parsed_t p = parse_str(s);
  assert_int_equal(p.rc, rc);
  assert_int_equal(p.consumed, 0);
  if (why) assert_string_equal(p.why, why);
  /* nothing stored on failure */
  assert_int_equal(p.r->nheaders, 0);
  assert_int_equal(p.r->http_status, 0);
  assert_null(p.r->http_status_line);
  tlsdiag_result_free(p.r);
}

static void expect_header(const tlsdiag_result_t *r, size_t i,
                          const char *name, const char *value) {
  assert_true(i < r->nheaders);
  assert_string_equal(r->headers[i].name, name);
  assert_string_equal(r->headers[i].value, value);
}

static void test_http_parses_a_normal_head(void **state) {
  (void)state;
  const char *head = "HTTP/1.1 200 OK\r\n"
                     "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                     "Server: nginx/1.22.1\r\n"
                     "Content-Type: text/html; charset=utf-8\r\n"
                     "\r\n";
  char buf[512];
  snprintf(buf, sizeof(buf), "%s<html>body", head);
  parsed_t p = parse_str(buf);
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.consumed, strlen(head));
  assert_null(p.why);
  assert_int_equal(p.r->http_status, 200);
  assert_string_equal(p.r->http_status_line, "HTTP/1.1 200 OK");
  assert_string_equal(p.r->http_version, "HTTP/1.1");
  assert_int_equal(p.r->nheaders, 3);
  expect_header(p.r, 0, "Date", "Sun, 06 Nov 1994 08:49:37 GMT");
  expect_header(p.r, 1, "Server", "nginx/1.22.1");
  expect_header(p.r, 2, "Content-Type", "text/html; charset=utf-8");
  assert_int_equal(p.r->http_date, EXAMPLE_TIME);
  assert_int_equal(p.r->http_head_bytes, strlen(head));
  assert_int_equal(tlsdiag_result_http_status(p.r), 200);
  tlsdiag_result_free(p.r);
}

static void test_http_accepts_http10(void **state) {
  (void)state;
  parsed_t p = parse_str("HTTP/1.0 404 Not Found\r\nX-A: b\r\n\r\n");
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.r->http_status, 404);
  assert_string_equal(p.r->http_version, "HTTP/1.0");
  assert_string_equal(p.r->http_status_line, "HTTP/1.0 404 Not Found");
  assert_int_equal(p.r->http_date, 0);
  tlsdiag_result_free(p.r);
}

static void test_http_accepts_missing_reason_phrase(void **state) {
  (void)state;
  parsed_t p = parse_str("HTTP/1.1 204\r\n\r\n");
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.consumed, 16);
  assert_int_equal(p.r->http_status, 204);
  assert_string_equal(p.r->http_status_line, "HTTP/1.1 204");
  assert_int_equal(p.r->nheaders, 0);
  tlsdiag_result_free(p.r);
  /* an empty reason after the space */
  p = parse_str("HTTP/1.1 301 \r\nLocation: https://example.com/\r\n\r\n");
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.r->http_status, 301);
  assert_string_equal(p.r->http_status_line, "HTTP/1.1 301 ");
  tlsdiag_result_free(p.r);
}

static void test_http_skips_interim_1xx_responses(void **state) {
  (void)state;
  const char *s = "HTTP/1.1 100 Continue\r\n\r\n"
                  "HTTP/1.1 103 Early Hints\r\n"
                  "Link: </style.css>; rel=preload; as=style\r\n\r\n"
                  "HTTP/1.1 200 OK\r\nX-Final: yes\r\n\r\n";
  parsed_t p = parse_str(s);
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.consumed, strlen(s));
  assert_int_equal(p.r->http_status, 200);
  assert_string_equal(p.r->http_status_line, "HTTP/1.1 200 OK");
  assert_int_equal(p.r->nheaders, 1);
  expect_header(p.r, 0, "X-Final", "yes");
  assert_null(tlsdiag_result_http_header(p.r, "Link"));
  tlsdiag_result_free(p.r);

  /* only the interim response so far */
  expect_rc("HTTP/1.1 100 Continue\r\n\r\n", TD_HTTP_NEED_MORE, NULL);
  /* 101 ends HTTP/1.1 on the connection: it is final */
  p = parse_str("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n");
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.r->http_status, 101);
  tlsdiag_result_free(p.r);
}

static void test_http_keeps_empty_header_values(void **state) {
  (void)state;
  parsed_t p = parse_str("HTTP/1.1 200 OK\r\nX-Empty:\r\nX-Blank: \t \r\n"
                         "X-Ows: \t a  b \t\r\n\r\n");
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.r->nheaders, 3);
  expect_header(p.r, 0, "X-Empty", "");
  expect_header(p.r, 1, "X-Blank", "");
  expect_header(p.r, 2, "X-Ows", "a  b");
  tlsdiag_result_free(p.r);
}

static void test_http_header_lookup_is_case_insensitive(void **state) {
  (void)state;
  parsed_t p = parse_str("HTTP/1.1 200 OK\r\n"
                         "strict-transport-security: max-age=63072000\r\n"
                         "Set-Cookie: a=1\r\nSET-COOKIE: b=2\r\n\r\n");
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_string_equal(
      tlsdiag_result_http_header(p.r, "Strict-Transport-Security"),
      "max-age=63072000");
  /* the first occurrence; all of them are kept in order */
  assert_string_equal(tlsdiag_result_http_header(p.r, "set-cookie"), "a=1");
  assert_int_equal(p.r->nheaders, 3);
  expect_header(p.r, 2, "SET-COOKIE", "b=2");
  assert_null(tlsdiag_result_http_header(p.r, "Location"));
  tlsdiag_result_free(p.r);
}

static void test_http_tolerates_bare_lf(void **state) {
  (void)state;
  const char *s = "HTTP/1.1 200 OK\nServer: x\r\nVia: y\n\nbody";
  parsed_t p = parse_str(s);
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.consumed, strlen(s) - 4);
  assert_string_equal(p.r->http_status_line, "HTTP/1.1 200 OK");
  assert_int_equal(p.r->nheaders, 2);
  expect_header(p.r, 0, "Server", "x");
  expect_header(p.r, 1, "Via", "y");
  tlsdiag_result_free(p.r);
}

static void test_http_rejects_obs_fold(void **state) {
  (void)state;
  expect_rc("HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n\r\n", TD_HTTP_MALFORMED,
            "obsolete line folding in header");
  expect_rc("HTTP/1.1 200 OK\r\nX-A: one\r\n\ttwo\r\n\r\n", TD_HTTP_MALFORMED,
            "obsolete line folding in header");
  /* detected as soon as the line is complete, before the head ends */
  expect_rc("HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n", TD_HTTP_MALFORMED,
            "obsolete line folding in header");
}

static void test_http_rejects_garbage_first_line(void **state) {
  (void)state;
  const char *notv1 = "status line is not HTTP/1.x";
  expect_rc("SSH-2.0-OpenSSH_9.2\r\n", TD_HTTP_MALFORMED, notv1);
  /* no need to wait for a line end to know it is not HTTP */
  expect_rc("SSH-2.0", TD_HTTP_MALFORMED, notv1);
  expect_rc("\x15\x03\x03\x00\x02\x02\x28", TD_HTTP_MALFORMED, notv1);
  expect_rc("<html>hello</html>\r\n\r\n", TD_HTTP_MALFORMED, notv1);
  expect_rc("HTTP/2 200\r\n\r\n", TD_HTTP_MALFORMED, notv1);
  expect_rc("HTTP/1.1\r\n\r\n", TD_HTTP_MALFORMED, notv1);
  expect_rc("\r\nHTTP/1.1 200 OK\r\n\r\n", TD_HTTP_MALFORMED, notv1);
  const char *code = "malformed status code";
  expect_rc("HTTP/1.1 20 OK\r\n\r\n", TD_HTTP_MALFORMED, code);
  expect_rc("HTTP/1.1 2000 OK\r\n\r\n", TD_HTTP_MALFORMED, code);
  expect_rc("HTTP/1.1 200OK\r\n\r\n", TD_HTTP_MALFORMED, code);
  expect_rc("HTTP/1.1 099 Nope\r\n\r\n", TD_HTTP_MALFORMED, code);
  expect_rc("HTTP/1.1 abc OK\r\n\r\n", TD_HTTP_MALFORMED, code);
  expect_rc("HTTP/1.1 200 O\x1bK\r\n\r\n", TD_HTTP_MALFORMED,
            "control character in reason phrase");
}

static void test_http_rejects_bad_header_lines(void **state) {
  (void)state;
  const char *tok = "header name is not a token";
  expect_rc("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", TD_HTTP_MALFORMED, tok);
  expect_rc("HTTP/1.1 200 OK\r\n: x\r\n\r\n", TD_HTTP_MALFORMED, tok);
  expect_rc("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", TD_HTTP_MALFORMED, tok);
  expect_rc("HTTP/1.1 200 OK\r\nNa\x01me: x\r\n\r\n", TD_HTTP_MALFORMED, tok);
  expect_rc("HTTP/1.1 200 OK\r\nName : x\r\n\r\n", TD_HTTP_MALFORMED,
            "whitespace before colon in header");
  parsed_t p = parse("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 25);
  assert_int_equal(p.rc, TD_HTTP_MALFORMED);
  assert_string_equal(p.why, "NUL byte in response head");
  tlsdiag_result_free(p.r);
  expect_rc("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", TD_HTTP_MALFORMED,
            "bare CR in response head");
}

static void test_http_needs_more_until_the_head_ends(void **state) {
  (void)state;
  expect_rc("", TD_HTTP_NEED_MORE, NULL);
  expect_rc("HTT", TD_HTTP_NEED_MORE, NULL);
  expect_rc("HTTP/1.1 200 OK\r", TD_HTTP_NEED_MORE, NULL);
  expect_rc("HTTP/1.1 200 OK\r\nServer: x\r\n", TD_HTTP_NEED_MORE, NULL);
  expect_rc("HTTP/1.1 200 OK\r\nServer: x\r\n\r", TD_HTTP_NEED_MORE, NULL);
}

/* Status line + n headers "H<i>: v" + empty line. */
static char *head_with_headers(int n) {
  td_buf_t b;
  td_buf_init(&b);
  td_buf_puts(&b, "HTTP/1.1 200 OK\r\n");
  for (int i = 0; i < n; i++) td_buf_printf(&b, "H%d: v\r\n", i);
  td_buf_puts(&b, "\r\n");
  char *s = td_buf_steal(&b, NULL);
  assert_non_null(s);
  return s;
}

static void test_http_header_count_limit(void **state) {
  (void)state;
  char *ok = head_with_headers(200);
  parsed_t p = parse_str(ok);
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.r->nheaders, 200);
  expect_header(p.r, 199, "H199", "v");
  tlsdiag_result_free(p.r);
  free(ok);

  char *over = head_with_headers(201);
  expect_rc(over, TD_HTTP_TOO_LARGE, "more than 200 header fields");
  free(over);
}

/* A head of exactly `size` bytes: one header padded to fit. */
static char *head_of_size(size_t size) {
  const char *pre = "HTTP/1.1 200 OK\r\nX-Pad: ";
  size_t fixed = strlen(pre) + 4; /* value's CRLF + final CRLF */
  char *s = malloc(size + 1);
  assert_non_null(s);
  memcpy(s, pre, strlen(pre));
  memset(s + strlen(pre), 'a', size - fixed);
  memcpy(s + size - 4, "\r\n\r\n", 4);
  s[size] = '\0';
  return s;
}

static void test_http_head_size_limit(void **state) {
  (void)state;
  char *s = head_of_size(TD_HTTP_MAX_HEAD);
  parsed_t p = parse_str(s);
  assert_int_equal(p.rc, TD_HTTP_DONE);
  assert_int_equal(p.consumed, TD_HTTP_MAX_HEAD);
  assert_int_equal(strlen(tlsdiag_result_http_header(p.r, "X-Pad")),
                   TD_HTTP_MAX_HEAD - strlen("HTTP/1.1 200 OK\r\nX-Pad: ") - 4);
  tlsdiag_result_free(p.r);
  free(s);

  s = head_of_size(TD_HTTP_MAX_HEAD + 1);
  expect_rc(s, TD_HTTP_TOO_LARGE, "response head larger than 64 KiB");
  free(s);
}

static void test_http_1mib_without_end_is_too_large(void **state) {
  (void)state;
  size_t n = 1024 * 1024;
  /* one endless header line */
  char *s = malloc(n + 1);
  assert_non_null(s);
  memset(s, 'a', n);
  memcpy(s, "HTTP/1.1 200 OK\r\nX: ", 20);
  s[n] = '\0';
  expect_rc(s, TD_HTTP_TOO_LARGE, "response head larger than 64 KiB");
  /* endless short header lines */
  for (size_t i = 17; i + 6 <= n; i += 6) memcpy(s + i, "X: y\r\n", 6);
  expect_rc(s, TD_HTTP_TOO_LARGE, NULL);
  /* endless 100 Continue responses */
  for (size_t i = 0; i + 25 <= n; i += 25)
    memcpy(s + i, "HTTP/1.1 100 Continue\r\n\r\n", 25);
  expect_rc(s, TD_HTTP_TOO_LARGE, "response head larger than 64 KiB");
  /* exactly at the limit without an end can never fit */
  s[TD_HTTP_MAX_HEAD] = '\0';
  expect_rc(s, TD_HTTP_TOO_LARGE, NULL);
  free(s);
}

static void assert_same_result(const tlsdiag_result_t *a,
                               const tlsdiag_result_t *b) {
  assert_int_equal(a->http_status, b->http_status);
  assert_string_equal(a->http_status_line, b->http_status_line);
  assert_string_equal(a->http_version, b->http_version);
  assert_int_equal(a->http_date, b->http_date);
  assert_int_equal(a->nheaders, b->nheaders);
  for (size_t i = 0; i < a->nheaders; i++) {
    assert_string_equal(a->headers[i].name, b->headers[i].name);
    assert_string_equal(a->headers[i].value, b->headers[i].value);
  }
}

static void test_http_byte_by_byte_gives_the_same_result(void **state) {
  (void)state;
  const char *s = "HTTP/1.1 103 Early Hints\r\nLink: </a.js>\r\n\r\n"
                  "HTTP/1.1 302 Found\r\n"
                  "Location: https://example.com/\n"
                  "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                  "X-Empty:\r\n"
                  "\r\nbody bytes";
  size_t head = strlen(s) - strlen("body bytes");
  parsed_t whole = parse_str(s);
  assert_int_equal(whole.rc, TD_HTTP_DONE);
  assert_int_equal(whole.consumed, head);

  /* one result fed the growing buffer, as a reader would */
  tlsdiag_result_t *r = td_result_new();
  assert_non_null(r);
  for (size_t len = 0; len <= strlen(s); len++) {
    size_t consumed = 99;
    const char *why = "unset";
    td_http_rc_t rc = td_http_parse_head(r, s, len, &consumed, &why);
    if (len < head) {
      assert_int_equal(rc, TD_HTTP_NEED_MORE);
      assert_int_equal(consumed, 0);
      assert_int_equal(r->nheaders, 0);
      assert_int_equal(r->http_status, 0);
    } else {
      assert_int_equal(rc, TD_HTTP_DONE);
      assert_int_equal(consumed, head);
      /* calling again after DONE replaces, never duplicates */
      assert_same_result(r, whole.r);
    }
  }
  assert_int_equal(r->nheaders, 3);
  assert_int_equal(r->http_date, EXAMPLE_TIME);
  tlsdiag_result_free(r);
  tlsdiag_result_free(whole.r);
}

static void test_http_bad_date_header_gives_zero(void **state) {
  (void)state;
  parsed_t p = parse_str("HTTP/1.1 200 OK\r\nDate: yesterday\r\n"
                         "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
  assert_int_equal(p.rc, TD_HTTP_DONE);
  /* the first Date counts, and it is not a date */
  assert_int_equal(p.r->http_date, 0);
  assert_string_equal(tlsdiag_result_http_header(p.r, "date"), "yesterday");
  tlsdiag_result_free(p.r);
}

static void test_http_parser_without_result_only_validates(void **state) {
  (void)state;
  size_t consumed = 0;
  const char *why = NULL;
  assert_int_equal(td_http_parse_head(NULL, "HTTP/1.1 200 OK\r\n\r\n", 19,
                                      &consumed, &why),
                   TD_HTTP_DONE);
  assert_int_equal(consumed, 19);
  assert_int_equal(td_http_parse_head(NULL, "HTTP/1.1 200 OK\r\n\r\n", 19,
                                      NULL, NULL),
                   TD_HTTP_DONE);
}

static void test_http_date_accepts_the_three_forms(void **state) {
  (void)state;
  assert_int_equal(td_http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT"),
                   EXAMPLE_TIME);
  assert_int_equal(td_http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT"),
                   EXAMPLE_TIME);
  assert_int_equal(td_http_parse_date("Sun Nov  6 08:49:37 1994"),
                   EXAMPLE_TIME);
  assert_int_equal(td_http_parse_date("Sun Nov 06 08:49:37 1994"),
                   EXAMPLE_TIME);
  assert_int_equal(td_http_parse_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  assert_int_equal(td_http_parse_date("Mon, 29 Feb 2016 00:00:00 GMT"),
                   INT64_C(1456704000));
  assert_int_equal(td_http_parse_date("Fri, 31 Dec 2100 23:59:59 GMT"),
                   INT64_C(4133980799));
  /* two-digit years: 70-99 are 19xx, 00-69 are 20xx */
  assert_int_equal(td_http_parse_date("Thursday, 01-Jan-26 00:00:00 GMT"),
                   INT64_C(1767225600));
  assert_int_equal(td_http_parse_date("Thursday, 01-Jan-70 00:00:00 GMT"), 0);
  /* a leap second rolls into the next minute */
  assert_int_equal(td_http_parse_date("Sat, 31 Dec 2016 23:59:60 GMT"),
                   INT64_C(1483228800));
}

static void test_http_date_rejects_invalid(void **state) {
  (void)state;
  const char *bad[] = {
      "Fri, 30 Feb 2024 00:00:00 GMT",  /* Feb 30 */
      "Wed, 29 Feb 2023 00:00:00 GMT",  /* not a leap year */
      "Mon, 31 Apr 2024 00:00:00 GMT",  /* April has 30 days */
      "Sun, 00 Nov 1994 08:49:37 GMT",  /* day 0 */
      "Sun, 06 Nov 1994 24:00:00 GMT",  /* hour 24 */
      "Sun, 06 Nov 1994 08:60:00 GMT",  /* minute 60 */
      "Sun, 06 Nov 1994 08:49:61 GMT",  /* second 61 */
      "Sun, 06 Nov 1994 08:49:37",      /* missing GMT */
      "Sun, 06 Nov 1994 08:49:37 UTC",  /* not GMT */
      "Sun, 06 Nov 1994 08:49:37 GMT ", /* trailing space */
      " Sun, 06 Nov 1994 08:49:37 GMT", /* leading space */
      "sun, 06 nov 1994 08:49:37 gmt",  /* names are case-sensitive */
      "Sun, 6 Nov 1994 08:49:37 GMT",   /* one-digit day */
      "Sun, 06 Foo 1994 08:49:37 GMT",  /* no such month */
      "Xyz, 06 Nov 1994 08:49:37 GMT",  /* no such day name */
      "Sun, 06 Nov 94 08:49:37 GMT",    /* two-digit year in IMF */
      "Sun, 06 Nov 1994 8:49:37 GMT",   /* one-digit hour */
      "Sun, 06 Nov 1994 08-49-37 GMT",  /* wrong separators */
      "Sun, 06 Nov 1994 08:49:3x GMT",  /* not a digit */
      "Sunday, 06-Nov-1994 08:49:37 GMT", /* four-digit RFC 850 year */
      "Sundae, 06-Nov-94 08:49:37 GMT", /* no such day name */
      "Sunday, 31-Nov-94 08:49:37 GMT", /* November has 30 days */
      "Sun Nov  6 08:49:37 1994 GMT",   /* asctime has no zone */
      "Sun Nov 6 08:49:37 1994",        /* asctime pads with a space */
      "Sun Nov  0 08:49:37 1994",       /* day 0 */
      "1994-11-06T08:49:37Z",           /* ISO 8601 is not HTTP */
      "784111777",
      "",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (td_http_parse_date(bad[i]) != -1) fail_msg("accepted: \"%s\"", bad[i]);
  }
  assert_int_equal(td_http_parse_date(NULL), -1);
}

static void test_http_request_has_the_documented_form(void **state) {
  (void)state;
  size_t len = 0;
  char *req = td_http_request("HEAD", "/", "example.com", &len);
  const char *want = "HEAD / HTTP/1.1\r\n"
                     "Host: example.com\r\n"
                     "User-Agent: tlsdiag/" TLSDIAG_VERSION_STR "\r\n"
                     "Accept: */*\r\n"
                     "Connection: close\r\n"
                     "\r\n";
  assert_non_null(req);
  assert_string_equal(req, want);
  assert_int_equal(len, strlen(want));
  free(req);

  req = td_http_request("GET", "/a/b?c=d%20e", "[2001:db8::1]:8443", NULL);
  assert_non_null(req);
  assert_string_equal(req, "GET /a/b?c=d%20e HTTP/1.1\r\n"
                           "Host: [2001:db8::1]:8443\r\n"
                           "User-Agent: tlsdiag/" TLSDIAG_VERSION_STR "\r\n"
                           "Accept: */*\r\n"
                           "Connection: close\r\n"
                           "\r\n");
  free(req);
}

static void test_http_request_rejects_injection(void **state) {
  (void)state;
  struct {
    const char *method, *path, *host;
  } bad[] = {
      {"GET", "/\r\nX-Injected: 1", "example.com"},
      {"GET", "/\nX: 1", "example.com"},
      {"GET", "/ HTTP/1.0\r\n\r\nGET /", "example.com"},
      {"GET", "/a b", "example.com"},
      {"GET", "/\x7f", "example.com"},
      {"GET", "/\x01", "example.com"},
      {"GET", "/\t", "example.com"},
      {"GET", "", "example.com"},
      {"GET", "/", "example.com\r\nX-Injected: 1"},
      {"GET", "/", "example.com\n"},
      {"GET", "/", "exa mple.com"},
      {"GET", "/", "example.com\t"},
      {"GET", "/", "ex\x01" "ample.com"},
      {"GET", "/", "b\xc3\xbc" "cher.example"},
      {"GET", "/", ""},
      {"GET /", "/", "example.com"},
      {"GE\r\nT", "/", "example.com"},
      {"GET\n", "/", "example.com"},
      {"G(T", "/", "example.com"},
      {"", "/", "example.com"},
      {NULL, "/", "example.com"},
      {"GET", NULL, "example.com"},
      {"GET", "/", NULL},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    size_t len = 77;
    char *req = td_http_request(bad[i].method, bad[i].path, bad[i].host, &len);
    if (req) fail_msg("case %zu accepted: %s", i, req);
    assert_int_equal(len, 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_http_parses_a_normal_head),
      cmocka_unit_test(test_http_accepts_http10),
      cmocka_unit_test(test_http_accepts_missing_reason_phrase),
      cmocka_unit_test(test_http_skips_interim_1xx_responses),
      cmocka_unit_test(test_http_keeps_empty_header_values),
      cmocka_unit_test(test_http_header_lookup_is_case_insensitive),
      cmocka_unit_test(test_http_tolerates_bare_lf),
      cmocka_unit_test(test_http_rejects_obs_fold),
      cmocka_unit_test(test_http_rejects_garbage_first_line),
      cmocka_unit_test(test_http_rejects_bad_header_lines),
      cmocka_unit_test(test_http_needs_more_until_the_head_ends),
      cmocka_unit_test(test_http_header_count_limit),
      cmocka_unit_test(test_http_head_size_limit),
      cmocka_unit_test(test_http_1mib_without_end_is_too_large),
      cmocka_unit_test(test_http_byte_by_byte_gives_the_same_result),
      cmocka_unit_test(test_http_bad_date_header_gives_zero),
      cmocka_unit_test(test_http_parser_without_result_only_validates),
      cmocka_unit_test(test_http_date_accepts_the_three_forms),
      cmocka_unit_test(test_http_date_rejects_invalid),
      cmocka_unit_test(test_http_request_has_the_documented_form),
      cmocka_unit_test(test_http_request_rejects_injection),
  };
  return td_run_tests(tests, NULL, NULL);
}
