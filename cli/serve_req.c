/* serve_req.c: the request parser of `tlsdiag serve` (see serve_req.h).
 * Strict where leniency would let a request mean two things (obs-fold,
 * Transfer-Encoding, a body on GET), bounded everywhere. */
#include "serve_req.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int tchar(unsigned char c) {
  return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Index just past the blank line ending the head, or 0 if not there. */
static size_t head_end(const char *b, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (b[i] != '\n') continue;
    if (i + 1 < len && b[i + 1] == '\n') return i + 2;
    if (i + 2 < len && b[i + 1] == '\r' && b[i + 2] == '\n') return i + 3;
  }
  return 0;
}

/* The line at b[*pos..end) without its CR LF (or LF); 0 at end. */
static int next_line(const char *b, size_t end, size_t *pos, const char **s,
                     size_t *n) {
  if (*pos >= end) return 0;
  const char *nl = memchr(b + *pos, '\n', end - *pos);
  size_t stop = nl ? (size_t)(nl - b) : end;
  *s = b + *pos;
  *n = stop - *pos;
  if (*n && (*s)[*n - 1] == '\r') (*n)--;
  *pos = stop + 1;
  return 1;
}

static int fail(const char **why, const char *w, int status) {
  *why = w;
  return status;
}

static int request_line(const char *s, size_t n, td_req_t *req,
                        const char **why) {
  size_t m = 0;
  while (m < n && tchar((unsigned char)s[m])) m++;
  if (m == 0 || m >= n || s[m] != ' ')
    return fail(why, "malformed request line", 400);
  size_t t0 = m + 1, t = t0;
  while (t < n && s[t] != ' ') t++;
  if (t >= n) return fail(why, "malformed request line", 400);
  size_t tlen = t - t0;
  if (tlen == 0 || s[t0] != '/')
    return fail(why, "the request target must start with /", 400);
  if (tlen > TD_REQ_MAX_TARGET)
    return fail(why, "request target too long", 414);
  for (size_t i = t0; i < t; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c >= 0x7f)
      return fail(why, "control or non-ASCII byte in the request target",
                  400);
  }
  const char *v = s + t + 1;
  size_t vn = n - t - 1;
  if (vn != 8 || memcmp(v, "HTTP/1.", 7) != 0)
    return fail(why, "not an HTTP/1.x request", vn >= 5 &&
                !memcmp(v, "HTTP/", 5) ? 505 : 400);
  if (v[7] != '0' && v[7] != '1')
    return fail(why, "HTTP version not supported", 505);
  if (m == 3 && !memcmp(s, "GET", 3)) req->head = 0;
  else if (m == 4 && !memcmp(s, "HEAD", 4)) req->head = 1;
  else return fail(why, "only GET and HEAD are served", 405);
  memcpy(req->target, s + t0, tlen);
  req->target[tlen] = '\0';
  return 0;
}

/* value[0..n) as seconds: > 0, finite, at most a day. */
static int seconds(const char *v, size_t n, double *out) {
  char tmp[32];
  if (n == 0 || n >= sizeof(tmp)) return -1;
  memcpy(tmp, v, n);
  tmp[n] = '\0';
  char *end = NULL;
  errno = 0;
  double d = strtod(tmp, &end);
  if (errno || end == tmp || *end || !(d > 0) || d > 86400) return -1;
  *out = d;
  return 0;
}

static int header(const char *s, size_t n, td_req_t *req, const char **why) {
  if (s[0] == ' ' || s[0] == '\t')
    return fail(why, "obsolete line folding in a header", 400);
  size_t k = 0;
  while (k < n && tchar((unsigned char)s[k])) k++;
  if (k == 0 || k >= n || s[k] != ':')
    return fail(why, "malformed header line", 400);
  const char *v = s + k + 1;
  size_t vn = n - k - 1;
  for (size_t i = 0; i < vn; i++) {
    unsigned char c = (unsigned char)v[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return fail(why, "control byte in a header value", 400);
  }
  while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
  while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t')) vn--;
  if (k == 17 && !strncasecmp(s, "Transfer-Encoding", k))
    return fail(why, "a request body is not accepted", 400);
  if (k == 14 && !strncasecmp(s, "Content-Length", k) &&
      !(vn == 1 && v[0] == '0'))
    return fail(why, "a request body is not accepted", 400);
  if (k == 35 && !strncasecmp(s, "X-Prometheus-Scrape-Timeout-Seconds", k) &&
      seconds(v, vn, &req->scrape_timeout))
    return fail(why, "bad X-Prometheus-Scrape-Timeout-Seconds", 400);
  return 0;
}

int td_req_parse(const char *buf, size_t len, td_req_t *req,
                 const char **why) {
  *why = "";
  size_t end = head_end(buf, len < TD_REQ_MAX_HEAD ? len : TD_REQ_MAX_HEAD);
  if (!end) {
    const char *nl = memchr(buf, '\n', len);
    size_t line = nl ? (size_t)(nl - buf) : len;
    if (line > TD_REQ_MAX_TARGET + 32)
      return fail(why, "request line too long", 414);
    if (len >= TD_REQ_MAX_HEAD)
      return fail(why, "request head too large", 431);
    return TD_REQ_MORE;
  }
  memset(req, 0, sizeof(*req));
  size_t pos = 0, n;
  const char *s;
  next_line(buf, end, &pos, &s, &n);
  if (memchr(s, '\0', n)) return fail(why, "NUL byte in the request", 400);
  int rc = request_line(s, n, req, why);
  if (rc) return rc;
  while (next_line(buf, end, &pos, &s, &n) && n > 0) {
    if (memchr(s, '\0', n)) return fail(why, "NUL byte in the request", 400);
    if ((rc = header(s, n, req, why))) return rc;
  }
  return TD_REQ_DONE;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) into out[0..cap) ('+' is a space, as forms
 * send it): 0, or -1. */
static int decode(const char *s, size_t n, char *out, size_t cap,
                  const char **why) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
      int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return *why = "bad %-escape in the query", -1;
      c = (char)(hi * 16 + lo);
      if (c == '\0') return *why = "%00 in the query", -1;
      i += 2;
    } else if (c == '+') {
      c = ' ';
    }
    if (o + 1 >= cap) return *why = "query parameter too long", -1;
    out[o++] = c;
  }
  out[o] = '\0';
  return 0;
}

int td_req_query(const char *target, const char *name, char *path,
                 size_t plen, char *val, size_t vlen, int *found,
                 const char **why) {
  *found = 0;
  *why = "";
  if (plen == 0 || vlen == 0) return *why = "no room", 400;
  val[0] = '\0';
  size_t pn = strcspn(target, "?#");
  if (pn >= plen) return *why = "path too long", 400;
  memcpy(path, target, pn);
  path[pn] = '\0';
  if (target[pn] != '?') return 0;
  const char *q = target + pn + 1;
  size_t qn = strcspn(q, "#"), nl = strlen(name);
  for (size_t i = 0; i < qn;) {
    size_t pl = strcspn(q + i, "&#");
    if (pl > qn - i) pl = qn - i;
    const char *p = q + i;
    size_t kn = strcspn(p, "=&#");
    if (kn > pl) kn = pl;
    char key[64];
    if (kn < sizeof(key) && !decode(p, kn, key, sizeof(key), why) &&
        strlen(key) == nl && !memcmp(key, name, nl)) {
      if (*found) return *why = "query parameter given twice", 400;
      *found = 1;
      const char *v = kn < pl ? p + kn + 1 : p + pl;
      if (decode(v, (size_t)(p + pl - v), val, vlen, why)) return 400;
    }
    i += pl + 1;
  }
  return 0;
}
