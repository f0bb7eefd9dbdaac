/* http.c: HTTP/1.x request writer and bounded response head parser.
 *
 * Pure: bytes in, fields out, no I/O or clock. The parser keeps no state
 * between calls; the caller hands it the whole buffer received so far, and
 * it touches the result only when it returns TD_HTTP_DONE.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* ---- request writer ------------------------------------------------------ */

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return 1;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_token(const char *s) {
  if (!s || !*s) return 0;
  for (; *s; s++)
    if (!is_tchar((unsigned char)*s)) return 0;
  return 1;
}

/* Request-target and Host: no controls (CR, LF, NUL, DEL, ...) and no
 * space, so nothing can end the line or the request early (smuggling). The
 * path may carry obs-text bytes (raw UTF-8), the host only visible ASCII. */
static int is_safe_field(const char *s, int allow_high) {
  if (!s || !*s) return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c <= 0x20 || c == 0x7f) return 0;
    if (c >= 0x80 && !allow_high) return 0;
  }
  return 1;
}

char *td_http_request(const char *method, const char *path,
                      const char *host_header, size_t *len) {
  return td_http_request_ex(method, path, host_header, 0, len);
}

char *td_http_request_ex(const char *method, const char *path,
                         const char *host_header, unsigned flags,
                         size_t *len) {
  if (len) *len = 0;
  if (!is_token(method) || !is_safe_field(path, 1) ||
      !is_safe_field(host_header, 0))
    return NULL;
  td_buf_t b;
  td_buf_init(&b);
  td_buf_printf(&b,
                "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsdiag/"
                TLSDIAG_VERSION_STR "\r\nAccept: */*\r\n%s%s\r\n",
                method, path, host_header,
                (flags & TD_HTTP_REQ_IDENTITY) ? "Accept-Encoding: identity\r\n"
                                               : "",
                (flags & TD_HTTP_REQ_KEEP_ALIVE) ? ""
                                                 : "Connection: close\r\n");
  return td_buf_steal(&b, len);
}

/* An element of Content-Encoding other than identity. */
static int coded_element(const char *s, size_t n, void *arg) {
  (void)arg;
  return !(n == 8 && strncasecmp(s, "identity", 8) == 0);
}

static int each_list_element(const char *v,
                             int (*fn)(const char *s, size_t n, void *arg),
                             void *arg);

int td_http_content_coded(const tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nheaders; i++)
    if (td_strcasecmp(r->headers[i].name, "Content-Encoding") == 0 &&
        each_list_element(r->headers[i].value, coded_element, NULL))
      return 1;
  return 0;
}

/* ---- response head parser ------------------------------------------------ */

typedef struct line {
  size_t start, len; /* content, without CR LF */
  size_t next;       /* offset after the line terminator */
} line_t;

/* Finds the line starting at pos. 1 if complete, 0 if more bytes are
 * needed, -1 (with *why) on a NUL or a bare CR. memchr keeps the rescans of
 * a growing buffer cheap (the caller re-parses after every read). */
static int next_line(const char *buf, size_t len, size_t pos, line_t *l,
                     const char **why) {
  const char *p = buf + pos;
  const char *nl = memchr(p, '\n', len - pos);
  size_t n = nl ? (size_t)(nl - p) : len - pos;
  if (memchr(p, '\0', n)) {
    *why = "NUL byte in response head";
    return -1;
  }
  /* A CR is only allowed right before the LF (or as the last byte so far,
   * where the LF may still come). */
  const char *cr = n ? memchr(p, '\r', n - 1) : NULL;
  if (cr) {
    *why = "bare CR in response head";
    return -1;
  }
  if (!nl) return 0;
  l->start = pos;
  l->len = n;
  if (n && p[n - 1] == '\r') l->len--;
  l->next = pos + n + 1;
  return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* "HTTP/1.x SSS[ reason]". Fills *status on success. */
static int parse_status_line(const char *s, size_t n, int *status,
                             const char **why) {
  if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !is_digit(s[7]) ||
      s[8] != ' ') {
    *why = "status line is not HTTP/1.x";
    return -1;
  }
  if (!is_digit(s[9]) || !is_digit(s[10]) || !is_digit(s[11]) ||
      s[9] == '0' || (n > 12 && s[12] != ' ')) {
    *why = "malformed status code";
    return -1;
  }
  for (size_t i = 13; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      *why = "control character in reason phrase";
      return -1;
    }
  }
  *status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
  return 0;
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }

/* "name: value" with OWS trimmed. */
static int parse_header_line(const char *s, size_t n, size_t *nlen,
                             size_t *vstart, size_t *vlen, const char **why) {
  if (is_ows(s[0])) {
    *why = "obsolete line folding in header";
    return -1;
  }
  size_t i = 0;
  while (i < n && is_tchar((unsigned char)s[i])) i++;
  if (i == 0 || i == n || s[i] != ':') {
    size_t j = i;
    while (j < n && is_ows(s[j])) j++;
    *why = i > 0 && j > i && j < n && s[j] == ':'
               ? "whitespace before colon in header"
               : "header name is not a token";
    return -1;
  }
  *nlen = i;
  size_t a = i + 1, z = n;
  while (a < z && is_ows(s[a])) a++;
  while (z > a && is_ows(s[z - 1])) z--;
  *vstart = a;
  *vlen = z - a;
  return 0;
}

typedef struct head {
  size_t status_start, status_len; /* the status line */
  int status;
  size_t end; /* offset after the empty line */
} head_t;

/* Scans one response head at pos without storing anything. */
static td_http_rc_t scan_head(const char *buf, size_t len, size_t pos,
                              head_t *h, const char **why) {
  line_t l;
  /* Never look past the limit: a line ending beyond it is too large. */
  size_t lim = len < TD_HTTP_MAX_HEAD ? len : TD_HTTP_MAX_HEAD;
  /* Reject a peer that is not speaking HTTP before its first line ends. */
  size_t have = len - pos < 7 ? len - pos : 7;
  if (memcmp(buf + pos, "HTTP/1.", have) != 0) {
    *why = "status line is not HTTP/1.x";
    return TD_HTTP_MALFORMED;
  }
  int rc = next_line(buf, lim, pos, &l, why);
  if (rc < 0) return TD_HTTP_MALFORMED;
  if (rc == 0) goto need_more;
  if (l.next > TD_HTTP_MAX_HEAD) goto too_large;
  if (parse_status_line(buf + l.start, l.len, &h->status, why) < 0)
    return TD_HTTP_MALFORMED;
  h->status_start = l.start;
  h->status_len = l.len;
  size_t nheaders = 0;
  pos = l.next;
  for (;;) {
    rc = next_line(buf, lim, pos, &l, why);
    if (rc < 0) return TD_HTTP_MALFORMED;
    if (rc == 0) goto need_more;
    if (l.next > TD_HTTP_MAX_HEAD) goto too_large;
    if (l.len == 0) break;
    size_t nlen, vstart, vlen;
    if (parse_header_line(buf + l.start, l.len, &nlen, &vstart, &vlen,
                          why) < 0)
      return TD_HTTP_MALFORMED;
    if (++nheaders > TD_HTTP_MAX_HEADERS) {
      *why = "more than 200 header fields";
      return TD_HTTP_TOO_LARGE;
    }
    pos = l.next;
  }
  h->end = l.next;
  return TD_HTTP_DONE;
need_more:
  /* Whatever still comes would end past the limit. */
  if (len >= TD_HTTP_MAX_HEAD) goto too_large;
  return TD_HTTP_NEED_MORE;
too_large:
  *why = "response head larger than 64 KiB";
  return TD_HTTP_TOO_LARGE;
}

/* Forgets what an earlier DONE stored, so a repeated call does not
 * duplicate headers. */
static void reset_http(tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nheaders; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  r->headers = NULL;
  r->nheaders = 0;
  free(r->http_status_line);
  r->http_status_line = NULL;
  free(r->http_version);
  r->http_version = NULL;
  r->http_status = 0;
  r->http_date = 0;
  r->http_head_bytes = 0;
}

void td_http_reset(tlsdiag_result_t *r) { reset_http(r); }

/* Stores the (already validated) final head. -1 on out-of-memory. */
static int store_head(tlsdiag_result_t *r, const char *buf, const head_t *h,
                      size_t consumed) {
  reset_http(r);
  r->http_status_line = td_strndup(buf + h->status_start, h->status_len);
  r->http_version = td_strndup(buf + h->status_start, 8);
  if (!r->http_status_line || !r->http_version) return -1;
  r->http_status = h->status;
  r->http_head_bytes = consumed;
  const char *dummy;
  line_t l;
  size_t pos = h->status_start;
  next_line(buf, h->end, pos, &l, &dummy);
  pos = l.next;
  while (next_line(buf, h->end, pos, &l, &dummy) == 1 && l.len) {
    size_t nlen, vstart, vlen;
    const char *s = buf + l.start;
    if (parse_header_line(s, l.len, &nlen, &vstart, &vlen, &dummy) < 0)
      return -1; /* cannot happen: scan_head accepted it */
    if (td_result_header(r, s, nlen, s + vstart, vlen) < 0) return -1;
    pos = l.next;
  }
  const char *date = td_result_header_get(r, "Date");
  if (date) {
    int64_t t = td_http_parse_date(date);
    r->http_date = t < 0 ? 0 : t;
  }
  return 0;
}

td_http_rc_t td_http_parse_head(tlsdiag_result_t *r, const char *buf,
                                size_t len, size_t *consumed,
                                const char **why) {
  const char *dummy;
  size_t dummy_consumed;
  if (!why) why = &dummy;
  if (!consumed) consumed = &dummy_consumed;
  *why = NULL;
  *consumed = 0;
  if (!buf && len) {
    *why = "no buffer";
    return TD_HTTP_MALFORMED;
  }
  size_t pos = 0;
  head_t h;
  /* Each interim head is at least 13 bytes and all of them count against
   * TD_HTTP_MAX_HEAD, so this loop is bounded. */
  for (;;) {
    if (pos == len) {
      if (len >= TD_HTTP_MAX_HEAD) {
        *why = "response head larger than 64 KiB";
        return TD_HTTP_TOO_LARGE;
      }
      return TD_HTTP_NEED_MORE;
    }
    memset(&h, 0, sizeof(h));
    td_http_rc_t rc = scan_head(buf, len, pos, &h, why);
    if (rc != TD_HTTP_DONE) return rc;
    /* 1xx are interim (100 Continue, 103 Early Hints), except 101, which
     * ends HTTP/1.1 on this connection and so is final. */
    if (h.status >= 200 || h.status == 101) break;
    pos = h.end;
  }
  if (r && store_head(r, buf, &h, h.end) < 0) {
    reset_http(r);
    *why = "out of memory storing the response head";
    return TD_HTTP_TOO_LARGE;
  }
  *consumed = h.end;
  return TD_HTTP_DONE;
}

/* ---- body framing (RFC 9112 section 6.3) --------------------------------- */

/* Calls fn on each element of a comma-separated list value (OWS trimmed,
 * empty elements skipped, as section 5.6.1 of RFC 9110 asks). Stops and
 * returns the first non-zero fn result. */
static int each_list_element(const char *v,
                             int (*fn)(const char *s, size_t n, void *arg),
                             void *arg) {
  const char *p = v;
  for (;;) {
    const char *comma = strchr(p, ',');
    const char *end = comma ? comma : p + strlen(p);
    const char *a = p, *z = end;
    while (a < z && is_ows(*a)) a++;
    while (z > a && is_ows(z[-1])) z--;
    if (z > a) {
      int rc = fn(a, (size_t)(z - a), arg);
      if (rc) return rc;
    }
    if (!comma) return 0;
    p = comma + 1;
  }
}

typedef struct te_scan {
  size_t codings;
  int chunked_last; /* the last coding seen is chunked */
  int chunked_before; /* chunked seen before another coding */
} te_scan_t;

static int te_element(const char *s, size_t n, void *arg) {
  te_scan_t *t = arg;
  if (t->chunked_last) t->chunked_before = 1;
  t->codings++;
  t->chunked_last = n == 7 && strncasecmp(s, "chunked", 7) == 0;
  return 0;
}

typedef struct cl_scan {
  int seen;
  uint64_t value;
  const char *why;
} cl_scan_t;

static int cl_element(const char *s, size_t n, void *arg) {
  cl_scan_t *c = arg;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(s[i])) {
      c->why = "Content-Length is not a number";
      return -1;
    }
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) {
      c->why = "Content-Length is out of range";
      return -1;
    }
    v = v * 10 + d;
  }
  if (c->seen && v != c->value) {
    c->why = "conflicting Content-Length values";
    return -1;
  }
  c->seen = 1;
  c->value = v;
  return 0;
}

td_http_rc_t td_http_body_framing(const tlsdiag_result_t *r,
                                  const char *method, td_body_kind_t *kind,
                                  uint64_t *length, const char **why) {
  const char *dummy;
  if (!why) why = &dummy;
  *why = NULL;
  *kind = TD_BODY_NONE;
  if (length) *length = 0;
  int st = r->http_status;
  if ((method && strcmp(method, "HEAD") == 0) || (st >= 100 && st < 200) ||
      st == 204 || st == 304)
    return TD_HTTP_DONE;
  te_scan_t te = {0, 0, 0};
  cl_scan_t cl = {0, 0, NULL};
  int have_te = 0, have_cl = 0;
  for (size_t i = 0; i < r->nheaders; i++) {
    const td_header_t *h = &r->headers[i];
    if (td_strcasecmp(h->name, "Transfer-Encoding") == 0) {
      have_te = 1;
      each_list_element(h->value, te_element, &te);
    } else if (td_strcasecmp(h->name, "Content-Length") == 0) {
      have_cl = 1;
      if (each_list_element(h->value, cl_element, &cl)) {
        *why = cl.why;
        return TD_HTTP_MALFORMED;
      }
    }
  }
  if (have_cl && !cl.seen) {
    *why = "Content-Length is empty";
    return TD_HTTP_MALFORMED;
  }
  if (have_te) {
    if (have_cl) {
      /* Section 6.3 item 3: a sender that does both may be smuggling. */
      *why = "both Transfer-Encoding and Content-Length";
      return TD_HTTP_MALFORMED;
    }
    if (r->http_version && strcmp(r->http_version, "HTTP/1.0") == 0) {
      *why = "Transfer-Encoding in an HTTP/1.0 response";
      return TD_HTTP_MALFORMED;
    }
    if (te.codings == 0 || te.chunked_before) {
      *why = "malformed Transfer-Encoding";
      return TD_HTTP_MALFORMED;
    }
    if (te.codings > 1 || !te.chunked_last) {
      /* We asked for none; their data would not be the resource's. */
      *why = "unsupported transfer coding (only chunked is)";
      return TD_HTTP_MALFORMED;
    }
    *kind = TD_BODY_CHUNKED;
    return TD_HTTP_DONE;
  }
  if (have_cl) {
    *kind = TD_BODY_LENGTH;
    if (length) *length = cl.value;
    return TD_HTTP_DONE;
  }
  *kind = TD_BODY_CLOSE;
  return TD_HTTP_DONE;
}

/* ---- chunked transfer coding (RFC 9112 section 7.1) ---------------------- */

enum {
  CH_SIZE_LINE = 0, /* collecting "1a;ext=v\r\n" */
  CH_DATA,          /* copying chunk data */
  CH_DATA_CR,       /* the CRLF after the data */
  CH_DATA_LF,
  CH_TRAILER_LINE,  /* collecting a trailer field line, or the end */
  CH_DONE,
  CH_FAILED
};

void td_chunked_init(td_chunked_t *d) {
  memset(d, 0, sizeof(*d));
  d->st = CH_SIZE_LINE;
}

static td_http_rc_t ch_fail(td_chunked_t *d, td_http_rc_t rc,
                            const char *why) {
  d->st = CH_FAILED;
  d->err = rc;
  d->why = why;
  return rc;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* quoted-string at s[*i..n): advances *i past it; 0 or -1. */
static int skip_quoted(const char *s, size_t n, size_t *i) {
  size_t k = *i + 1; /* after the opening quote */
  while (k < n) {
    unsigned char c = (unsigned char)s[k];
    if (c == '"') {
      *i = k + 1;
      return 0;
    }
    if (c == '\\') {
      if (k + 1 >= n) return -1;
      unsigned char e = (unsigned char)s[k + 1];
      if ((e < 0x20 && e != '\t') || e == 0x7f) return -1;
      k += 2;
      continue;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) return -1;
    k++;
  }
  return -1; /* unterminated */
}

/* chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), with
 * ext-val a token or quoted-string. 0 if s[0..n) is one, else -1. */
static int valid_chunk_ext(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    while (i < n && is_ows(s[i])) i++;
    if (i == n || s[i] != ';') return -1;
    i++;
    while (i < n && is_ows(s[i])) i++;
    size_t name = i;
    while (i < n && is_tchar((unsigned char)s[i])) i++;
    if (i == name) return -1;
    size_t j = i;
    while (j < n && is_ows(s[j])) j++;
    if (j < n && s[j] == '=') {
      j++;
      while (j < n && is_ows(s[j])) j++;
      if (j < n && s[j] == '"') {
        if (skip_quoted(s, n, &j) < 0) return -1;
      } else {
        size_t v = j;
        while (j < n && is_tchar((unsigned char)s[j])) j++;
        if (j == v) return -1;
      }
      i = j;
    }
  }
  return 0;
}

/* The chunk-size line in d->line (CRLF removed). */
static td_http_rc_t size_line(td_chunked_t *d, size_t n, const td_buf_t *body,
                              size_t max) {
  const char *s = d->line;
  size_t i = 0;
  uint64_t size = 0;
  while (i < n && hex_digit(s[i]) >= 0) {
    if (i == 16)
      return ch_fail(d, TD_HTTP_MALFORMED,
                     "chunk size longer than 16 hex digits");
    size = size << 4 | (uint64_t)hex_digit(s[i]);
    i++;
  }
  if (i == 0) return ch_fail(d, TD_HTTP_MALFORMED, "malformed chunk size");
  if (i < n) {
    if (valid_chunk_ext(s + i, n - i) < 0)
      return ch_fail(d, TD_HTTP_MALFORMED,
                     "malformed chunk size or extension");
    d->ext_bytes += n - i;
    if (d->ext_bytes > TD_HTTP_MAX_CHUNK_EXT)
      return ch_fail(d, TD_HTTP_TOO_LARGE,
                     "chunk extensions larger than 64 KiB");
  }
  if (size == 0) {
    d->st = CH_TRAILER_LINE;
    return TD_HTTP_NEED_MORE;
  }
  if (size > (uint64_t)(max - body->len))
    return ch_fail(d, TD_HTTP_TOO_LARGE, "chunk larger than the body limit");
  d->left = size;
  d->st = CH_DATA;
  return TD_HTTP_NEED_MORE;
}

/* A trailer field line in d->line (CRLF removed, not empty). */
static td_http_rc_t trailer_line(td_chunked_t *d, size_t n) {
  const char *why = NULL;
  size_t nlen, vstart, vlen;
  if (parse_header_line(d->line, n, &nlen, &vstart, &vlen, &why) < 0)
    return ch_fail(d, TD_HTTP_MALFORMED, "malformed trailer field");
  for (size_t k = 0; k < vlen; k++) {
    unsigned char c = (unsigned char)d->line[vstart + k];
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return ch_fail(d, TD_HTTP_MALFORMED,
                     "control character in a trailer field");
  }
  if (++d->ntrailers > TD_HTTP_MAX_HEADERS)
    return ch_fail(d, TD_HTTP_TOO_LARGE, "more than 200 trailer fields");
  return TD_HTTP_NEED_MORE;
}

/* Collects a line into d->line; returns 1 with *n (CRLF removed) when it
 * ended, 0 when more is needed (all of in[*i..len) used), or a failure. */
static int collect_line(td_chunked_t *d, const char *in, size_t len,
                        size_t *i, size_t *n, td_http_rc_t *rc) {
  while (*i < len) {
    char c = in[(*i)++];
    if (d->st == CH_TRAILER_LINE && ++d->trailer_bytes > TD_HTTP_MAX_HEAD) {
      *rc = ch_fail(d, TD_HTTP_TOO_LARGE, "trailer section larger than 64 KiB");
      return -1;
    }
    if (c == '\n') {
      if (d->line_len == 0 || d->line[d->line_len - 1] != '\r') {
        *rc = ch_fail(d, TD_HTTP_MALFORMED, "chunked line not ended by CRLF");
        return -1;
      }
      *n = d->line_len - 1;
      d->line_len = 0;
      return 1;
    }
    if (c == '\0') {
      *rc = ch_fail(d, TD_HTTP_MALFORMED, "NUL byte in chunked framing");
      return -1;
    }
    if (d->line_len && d->line[d->line_len - 1] == '\r') {
      *rc = ch_fail(d, TD_HTTP_MALFORMED, "bare CR in chunked framing");
      return -1;
    }
    if (d->line_len == sizeof(d->line)) {
      *rc = ch_fail(d, TD_HTTP_TOO_LARGE,
                    d->st == CH_SIZE_LINE ? "chunk-size line longer than 4 KiB"
                                          : "trailer field longer than 4 KiB");
      return -1;
    }
    d->line[d->line_len++] = c;
  }
  return 0;
}

td_http_rc_t td_chunked_feed(td_chunked_t *d, const char *in, size_t len,
                             td_buf_t *body, size_t max, size_t *consumed,
                             const char **why) {
  const char *dummy;
  size_t dummy_consumed;
  if (!why) why = &dummy;
  if (!consumed) consumed = &dummy_consumed;
  *why = NULL;
  *consumed = 0;
  if (d->st == CH_FAILED) {
    *why = d->why;
    return d->err;
  }
  if (d->st == CH_DONE) return TD_HTTP_DONE;
  if (!in && len) {
    *why = "no buffer";
    return TD_HTTP_MALFORMED;
  }
  size_t i = 0;
  td_http_rc_t rc = TD_HTTP_NEED_MORE;
  while (i < len && rc == TD_HTTP_NEED_MORE) {
    size_t n = 0;
    int got;
    switch (d->st) {
    case CH_SIZE_LINE:
      got = collect_line(d, in, len, &i, &n, &rc);
      if (got > 0) rc = size_line(d, n, body, max);
      break;
    case CH_DATA: {
      size_t take = len - i;
      if ((uint64_t)take > d->left) take = (size_t)d->left;
      td_buf_append(body, in + i, take);
      if (body->oom) {
        rc = ch_fail(d, TD_HTTP_TOO_LARGE, "out of memory for the body");
        break;
      }
      i += take;
      d->left -= take;
      if (d->left == 0) d->st = CH_DATA_CR;
      break;
    }
    case CH_DATA_CR:
    case CH_DATA_LF:
      if (in[i] != (d->st == CH_DATA_CR ? '\r' : '\n')) {
        rc = ch_fail(d, TD_HTTP_MALFORMED, "chunk data not followed by CRLF");
        break;
      }
      i++;
      d->st = d->st == CH_DATA_CR ? CH_DATA_LF : CH_SIZE_LINE;
      break;
    case CH_TRAILER_LINE:
      got = collect_line(d, in, len, &i, &n, &rc);
      if (got > 0 && n == 0) {
        d->st = CH_DONE;
        rc = TD_HTTP_DONE;
      } else if (got > 0) {
        rc = trailer_line(d, n);
      }
      break;
    default:
      rc = ch_fail(d, TD_HTTP_MALFORMED, "chunked decoder state");
      break;
    }
  }
  if (rc == TD_HTTP_MALFORMED || rc == TD_HTTP_TOO_LARGE) {
    *why = d->why;
    return rc;
  }
  *consumed = i;
  return rc;
}

/* ---- dates --------------------------------------------------------------- */

static const char *const wkday[7] = {"Sun", "Mon", "Tue", "Wed",
                                     "Thu", "Fri", "Sat"};
static const char *const weekday[7] = {"Sunday",   "Monday", "Tuesday",
                                       "Wednesday", "Thursday", "Friday",
                                       "Saturday"};
static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};

/* Index of the name s[0..n) in list, or -1 (case-sensitive, RFC 9110). */
static int name_index(const char *s, size_t n, const char *const *list,
                      int count) {
  for (int i = 0; i < count; i++)
    if (strlen(list[i]) == n && memcmp(s, list[i], n) == 0) return i;
  return -1;
}

/* n decimal digits, or -1. */
static int digits(const char *s, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

/* "HH:MM:SS" */
static int parse_tod(const char *s, int *h, int *m, int *sec) {
  if (s[2] != ':' || s[5] != ':') return -1;
  *h = digits(s, 2);
  *m = digits(s + 3, 2);
  *sec = digits(s + 6, 2);
  /* second 60 is a leap second (RFC 9110 allows 00-60) */
  if (*h < 0 || *h > 23 || *m < 0 || *m > 59 || *sec < 0 || *sec > 60)
    return -1;
  return 0;
}

static int64_t make_time(int y, int mon, int d, int h, int mi, int s) {
  /* td_days_from_civil: neither TZ nor struct tm normalisation */
  if (y < 1900 || mon < 0 || mon > 11 || d < 1) return -1;
  if (d > td_days_in_month(y, mon + 1)) return -1;
  return td_days_from_civil(y, mon + 1, d) * 86400 + h * 3600 + mi * 60 + s;
}

int64_t td_http_parse_date(const char *s) {
  if (!s) return -1;
  size_t n = strnlen(s, 64);
  int d, y, h, mi, sec, mon;
  const char *comma = memchr(s, ',', n);

  if (n == 29 && comma == s + 3) {
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (name_index(s, 3, wkday, 7) < 0 || s[4] != ' ' || s[7] != ' ' ||
        s[11] != ' ' || s[16] != ' ' || memcmp(s + 25, " GMT", 4) != 0)
      return -1;
    d = digits(s + 5, 2);
    mon = name_index(s + 8, 3, months, 12);
    y = digits(s + 12, 4);
    if (d < 0 || mon < 0 || y < 0 || parse_tod(s + 17, &h, &mi, &sec) < 0)
      return -1;
    return make_time(y, mon, d, h, mi, sec);
  }
  if (comma && comma > s + 3) {
    /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" */
    size_t wl = (size_t)(comma - s);
    if (name_index(s, wl, weekday, 7) < 0 || n != wl + 24) return -1;
    const char *p = comma + 1;
    if (p[0] != ' ' || p[3] != '-' || p[7] != '-' || p[10] != ' ' ||
        memcmp(p + 19, " GMT", 4) != 0)
      return -1;
    d = digits(p + 1, 2);
    mon = name_index(p + 4, 3, months, 12);
    y = digits(p + 8, 2);
    if (d < 0 || mon < 0 || y < 0 || parse_tod(p + 11, &h, &mi, &sec) < 0)
      return -1;
    /* Two-digit year: a fixed pivot (70-99 -> 19xx, 00-69 -> 20xx, as
     * POSIX %y) keeps the function free of a clock; RFC 9110's "more than
     * 50 years in the future" rule agrees with it until 2019 + 50. */
    y += y >= 70 ? 1900 : 2000;
    return make_time(y, mon, d, h, mi, sec);
  }
  if (n == 24 && !comma) {
    /* asctime: "Sun Nov  6 08:49:37 1994" */
    if (name_index(s, 3, wkday, 7) < 0 || s[3] != ' ' || s[7] != ' ' ||
        s[10] != ' ' || s[19] != ' ')
      return -1;
    mon = name_index(s + 4, 3, months, 12);
    if (s[8] == ' ')
      d = digits(s + 9, 1);
    else
      d = digits(s + 8, 2);
    y = digits(s + 20, 4);
    if (mon < 0 || d < 0 || y < 0 || parse_tod(s + 11, &h, &mi, &sec) < 0)
      return -1;
    return make_time(y, mon, d, h, mi, sec);
  }
  return -1;
}
