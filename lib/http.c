/* http.c: HTTP/1.x request writer and bounded response head parser.
 *
 * Pure: bytes in, fields out, no I/O or clock. The parser keeps no state
 * between calls; the caller hands it the whole buffer received so far, and
 * it touches the result only when it returns TD_HTTP_DONE.
 */
#include <stdlib.h>
#include <string.h>

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
  if (len) *len = 0;
  if (!is_token(method) || !is_safe_field(path, 1) ||
      !is_safe_field(host_header, 0))
    return NULL;
  td_buf_t b;
  td_buf_init(&b);
  td_buf_printf(&b,
                "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlsdiag/"
                TLSDIAG_VERSION_STR
                "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
                method, path, host_header);
  return td_buf_steal(&b, len);
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

static int is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil); used instead of timegm() so the result depends on
 * neither TZ nor struct tm normalisation. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int64_t make_time(int y, int mon, int d, int h, int mi, int s) {
  static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
  if (y < 1900 || mon < 0 || mon > 11 || d < 1) return -1;
  int dim = mdays[mon] + (mon == 1 && is_leap(y));
  if (d > dim) return -1;
  return days_from_civil(y, mon + 1, d) * 86400 + h * 3600 + mi * 60 + s;
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
