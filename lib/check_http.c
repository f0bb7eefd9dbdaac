/* check_http.c: the HTTP part of a check: writes the request on the TLS
 * session, reads the response head into the parser of http.c and, for a
 * fetch, a 200 response's body. The bytes go through GnuTLS; check.c calls
 * td_check_http_step when the socket is ready or the deadline passed. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "http2.h"

void td_check_http_init(td_check_http_t *h, int fetch, size_t body_max) {
  td_buf_init(&h->in);
  td_buf_init(&h->body);
  h->fetch = fetch;
  h->body_max = body_max;
}

void td_check_http_free(td_check_http_t *h) {
  free(h->req);
  td_buf_free(&h->in);
  td_buf_free(&h->body);
  free(h->chunked);
  td_h2_free(h->h2);
  free(h->hosthdr);
}

static void http_done(td_check_t *c, tlsdiag_status_t st, const char *err,
                      tlsdiag_cause_t why) {
  c->r->http_cause = why;
  td_check_phase_end(c, TLSDIAG_PHASE_HTTP, st, err);
  td_check_http_over(c);
}

void td_check_http_done(td_check_t *c, tlsdiag_status_t st, const char *err,
                        tlsdiag_cause_t why) {
  http_done(c, st, err, why);
}

/* ---- the request ------------------------------------------------------- */

/* The HTTP/1.1 request for r->http_method into h->req, its first line
 * into r->http_request. 0, or -1 without memory or for a method or path
 * td_http_request_ex refuses. */
static int build_request(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_check_http_t *h = &c->http;
  free(h->req);
  free(r->http_request);
  r->http_request = NULL;
  /* A HEAD keeps the connection open for the GET a refusal calls for. */
  unsigned flags = h->fetch ? TD_HTTP_REQ_IDENTITY
                   : !strcmp(r->http_method, "HEAD") ? TD_HTTP_REQ_KEEP_ALIVE
                                                     : 0;
  h->req = td_http_request_ex(r->http_method, r->http_path, h->hosthdr, flags,
                              &h->req_len);
  if (!h->req) return -1;
  const char *eol = strstr(h->req, "\r\n");
  r->http_request = td_strndup(h->req, eol ? (size_t)(eol - h->req) : 0);
  return r->http_request ? 0 : -1;
}

/* Sends h->req from its start, then reads the answer. */
static void send_request(td_check_t *c) {
  td_check_http_t *h = &c->http;
  h->req_off = 0;
  h->in.len = 0;
  c->st = TD_CHECK_HTTP;
  h->st = TD_HTTP_IO_SEND;
  c->deadline = c->deadline_total;
  td_check_step(c, NULL, 0);
}

void td_check_http_start(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_check_http_t *h = &c->http;
  td_check_phase_begin(c, TLSDIAG_PHASE_HTTP);
  int v6 = r->host_is_ip && strchr(r->ace_host, ':');
  if (r->port == 443)
    h->hosthdr = td_asprintf(v6 ? "[%s]" : "%s", r->ace_host);
  else
    h->hosthdr = td_asprintf(v6 ? "[%s]:%u" : "%s:%u", r->ace_host, r->port);
  if (!h->hosthdr || build_request(c) < 0) {
    http_done(c, TLSDIAG_STATUS_FAILED, "the request could not be built",
              TLSDIAG_CAUSE_HTTP_MALFORMED);
    return;
  }
  if (r->tls_alpn && strcmp(r->tls_alpn, "h2") == 0) {
    /* The same request (checked by td_http_request_ex) over HTTP/2. */
    td_h2_start(c, h->hosthdr);
    return;
  }
  send_request(c);
}

/* 1 when the comma-separated header value v lists token tok (any case). */
static int lists_token(const char *v, const char *tok) {
  size_t n = strlen(tok);
  while (*v) {
    while (*v == ' ' || *v == '\t' || *v == ',') v++;
    size_t len = strcspn(v, ",");
    size_t end = len;
    while (end && (v[end - 1] == ' ' || v[end - 1] == '\t')) end--;
    if (end == n && strncasecmp(v, tok, n) == 0) return 1;
    v += len;
  }
  return 0;
}

/* 1 when the server said, in the head just stored, that it closes this
 * connection after the answer (HTTP/1.0 without keep-alive, or
 * "Connection: close"): a second request needs another connection. */
static int head_closes(const tlsdiag_result_t *r) {
  const char *conn = td_result_header_get(r, "Connection");
  int v10 = r->http_version && !strcmp(r->http_version, "HTTP/1.0");
  if (!conn) return v10;
  if (lists_token(conn, "close")) return 1;
  return v10 && !lists_token(conn, "keep-alive");
}

int td_check_http_head_refused(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_check_http_t *h = &c->http;
  int st = r->http_status;
  if (r->http_head_status || h->fetch || (st != 405 && st != 501) ||
      !r->http_method || strcmp(r->http_method, "HEAD") != 0 ||
      (!h->h2 && head_closes(r)))
    return 0;
  char *get = td_strdup("GET");
  if (!get) return 0;
  free(r->http_method);
  r->http_method = get;
  r->http_head_status = st;
  td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "HEAD refused",
                  "%d to HEAD: asking again with GET, as browsers do", st);
  td_http_reset(r);
  r->http_date_received = 0;
  return 1;
}

/* A 405 or 501 to HEAD: the same request as GET on this connection.
 * Not when bytes followed the head (a body sent to HEAD against RFC 9110
 * would be read as the GET's answer). */
static int retry_with_get(td_check_t *c, size_t extra) {
  const char *cl = td_result_header_get(c->r, "Content-Length");
  unsigned long long n = cl ? strtoull(cl, NULL, 10) : 0;
  if (extra || !td_check_http_head_refused(c)) return 0;
  /* A server that sends the body anyway, later: skipped (skip_stale). */
  c->http.stale = n <= TD_HTTP_MAX_HEAD ? (size_t)n : 0;
  if (build_request(c) < 0)
    http_done(c, TLSDIAG_STATUS_FAILED, "the request could not be built",
              TLSDIAG_CAUSE_HTTP_MALFORMED);
  else
    send_request(c);
  return 1;
}

static void http_send_step(td_check_t *c) {
  td_check_http_t *h = &c->http;
  while (h->req_off < h->req_len) {
    ssize_t n = gnutls_record_send(c->sess, h->req + h->req_off,
                                   h->req_len - h->req_off);
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      td_check_tls_wait(c);
      return;
    }
    if (n < 0) {
      td_clientcert_note_alert(c->r, c->sess, (int)n);
      http_done(c, TLSDIAG_STATUS_FAILED, gnutls_strerror((int)n),
                TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED);
      return;
    }
    h->req_off += (size_t)n;
  }
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_C2S, c->r->http_request,
                  NULL);
  h->st = TD_HTTP_IO_HEAD;
  c->want = POLLIN;
  td_check_step(c, NULL, 0);
}

/* ---- the body (fetch only) --------------------------------------------- */

static const char *body_kind_name(td_body_kind_t k) {
  switch (k) {
  case TD_BODY_NONE: return "no body";
  case TD_BODY_LENGTH: return "Content-Length";
  case TD_BODY_CHUNKED: return "chunked";
  case TD_BODY_CLOSE: return "until close";
  case TD_BODY_H2: return "HTTP/2 DATA frames";
  }
  return "?";
}

static void body_failed(td_check_t *c, tlsdiag_cause_t why, const char *fmt,
                        ...) TD_PRINTF(3, 4);

static void body_vfailed(td_check_t *c, tlsdiag_cause_t why,
                         const char *fmt, va_list ap) TD_PRINTF(3, 0);

static void body_failed(td_check_t *c, tlsdiag_cause_t why, const char *fmt,
                        ...) {
  va_list ap;
  va_start(ap, fmt);
  body_vfailed(c, why, fmt, ap);
  va_end(ap);
}

void td_check_http_body_failed(td_check_t *c, tlsdiag_cause_t why,
                               const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  body_vfailed(c, why, fmt, ap);
  va_end(ap);
}

static void body_vfailed(td_check_t *c, tlsdiag_cause_t why,
                         const char *fmt, va_list ap) {
  char *msg = td_vasprintf(fmt, ap);
  c->r->http_body_bytes = c->http.body.len;
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL, "body refused",
                  "%s", msg ? msg : "");
  td_buf_free(&c->http.body);
  http_done(c, TLSDIAG_STATUS_FAILED, msg ? msg : "body refused", why);
  free(msg);
}

static void body_finished(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_check_http_t *h = &c->http;
  r->http_body_bytes = h->body.len;
  h->body_done = 1;
  td_result_event(r, td_check_now_ms(c), TD_DIR_S2C, "body", "%zu bytes (%s)",
                  h->body.len, body_kind_name(h->body_kind));
  http_done(c, TLSDIAG_STATUS_OK, NULL, TLSDIAG_CAUSE_OK);
}

void td_check_http_body_finished(td_check_t *c) { body_finished(c); }

/* Feeds the chunked decoder. 1 when the body is finished (complete or
 * refused), 0 when more is needed. */
static int chunked_feed(td_check_t *c, const char *p, size_t n) {
  td_check_http_t *h = &c->http;
  size_t used = 0;
  const char *why = NULL;
  td_http_rc_t rc = td_chunked_feed(h->chunked, p, n, &h->body, h->body_max,
                                    &used, &why);
  if (rc == TD_HTTP_DONE) {
    body_finished(c);
    return 1;
  }
  if (rc == TD_HTTP_TOO_LARGE && !h->body.oom) {
    body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                "body over the limit of %zu bytes (%s)", h->body_max,
                why ? why : "chunked");
    return 1;
  }
  if (rc != TD_HTTP_NEED_MORE) {
    body_failed(c, rc == TD_HTTP_TOO_LARGE ? TLSDIAG_CAUSE_HTTP_TOO_LARGE
                                           : TLSDIAG_CAUSE_HTTP_MALFORMED,
                "bad chunked body after %zu bytes: %s", h->body.len,
                why ? why : "malformed");
    return 1;
  }
  return 0;
}

/* Takes n received body bytes. 1 when the body is finished (complete or
 * refused: the check moved on), 0 when more is needed. */
static int body_feed(td_check_t *c, const char *p, size_t n) {
  td_check_http_t *h = &c->http;
  switch (h->body_kind) {
  case TD_BODY_LENGTH: {
    uint64_t want = h->body_expect - h->body.len;
    size_t take = (uint64_t)n < want ? n : (size_t)want;
    td_buf_append(&h->body, p, take);
    break;
  }
  case TD_BODY_CHUNKED:
    if (chunked_feed(c, p, n)) return 1;
    break;
  case TD_BODY_CLOSE:
    if (n > h->body_max - h->body.len) {
      body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                  "body over the limit of %zu bytes", h->body_max);
      return 1;
    }
    td_buf_append(&h->body, p, n);
    break;
  case TD_BODY_NONE:
  case TD_BODY_H2: /* http2.c reads its own */
    break;
  }
  if (h->body.oom) {
    body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                "out of memory for the body");
    return 1;
  }
  if (h->body_kind == TD_BODY_NONE ||
      (h->body_kind == TD_BODY_LENGTH && h->body.len == h->body_expect)) {
    body_finished(c);
    return 1;
  }
  return 0;
}

static void http_body_step(td_check_t *c);

/* After a 200 head: how the body is framed, then the bytes already read
 * past the head, then the socket. */
static void start_body(td_check_t *c, const char *rest, size_t nrest) {
  tlsdiag_result_t *r = c->r;
  td_check_http_t *h = &c->http;
  const char *why = NULL;
  uint64_t len = 0;
  if (td_http_body_framing(r, r->http_method, &h->body_kind, &len, &why) !=
      TD_HTTP_DONE) {
    body_failed(c, TLSDIAG_CAUSE_HTTP_MALFORMED, "%s",
                why ? why : "bad body framing");
    return;
  }
  if (td_http_content_coded(r)) {
    body_failed(c, TLSDIAG_CAUSE_HTTP_MALFORMED,
                "the body has a Content-Encoding (%.64s) although the "
                "request asked for identity",
                td_result_header_get(r, "Content-Encoding"));
    return;
  }
  if (h->body_kind == TD_BODY_LENGTH && len > (uint64_t)h->body_max) {
    body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                "Content-Length %llu is over the limit of %zu bytes",
                (unsigned long long)len, h->body_max);
    return;
  }
  h->body_expect = len;
  if (h->body_kind == TD_BODY_CHUNKED) {
    h->chunked = malloc(sizeof(*h->chunked));
    if (!h->chunked) {
      body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                  "out of memory for the body");
      return;
    }
    td_chunked_init(h->chunked);
  }
  h->st = TD_HTTP_IO_BODY;
  c->want = POLLIN;
  if (body_feed(c, rest, nrest)) return;
  http_body_step(c);
}

/* The server closed before the body was complete (n is 0 or GnuTLS's
 * premature termination). */
static void body_cut(td_check_t *c, ssize_t n) {
  td_check_http_t *h = &c->http;
  const char *how = n == 0 ? "closed the connection"
                           : "closed the connection without TLS "
                             "close_notify";
  if (h->body_kind == TD_BODY_LENGTH)
    body_failed(c, TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED,
                "truncated body: the server %s after %zu of %llu bytes", how,
                h->body.len, (unsigned long long)h->body_expect);
  else if (h->body_kind == TD_BODY_CHUNKED)
    body_failed(c, TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED,
                "truncated body: the server %s after %zu bytes, before "
                "the last chunk",
                how, h->body.len);
  else
    body_failed(c, TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED,
                "possibly truncated body: the server %s after %zu bytes",
                how, h->body.len);
}

static void http_body_step(td_check_t *c) {
  td_check_http_t *h = &c->http;
  char tmp[16384];
  for (;;) {
    /* A fast server must not keep us here past the deadline. */
    if (td_mono_us() >= c->deadline_total) {
      td_check_step(c, NULL, 0);
      return;
    }
    ssize_t n = gnutls_record_recv(c->sess, tmp, sizeof(tmp));
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      td_check_tls_wait(c);
      return;
    }
    if (n < 0 && !gnutls_error_is_fatal((int)n)) continue;
    if (n == 0 && h->body_kind == TD_BODY_CLOSE) {
      body_finished(c); /* close_notify: the end, authenticated */
      return;
    }
    if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
      body_cut(c, n);
      return;
    }
    if (n < 0) {
      body_failed(c, TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED,
                  "body after %zu bytes: %s", h->body.len,
                  gnutls_strerror((int)n));
      return;
    }
    if (body_feed(c, tmp, (size_t)n)) return;
  }
}

/* ---- the response head ------------------------------------------------- */

/* The first line of a response that is not HTTP: at most 80 bytes, made
 * terminal-safe as td_text_safe does, a NUL byte written \x00 too. NULL
 * for an empty first line or without memory. */
static char *first_line(const char *p, size_t n) {
  size_t len = 0;
  while (len < n && len < 80 && p[len] != '\r' && p[len] != '\n') len++;
  if (len == 0) return NULL;
  td_buf_t out;
  td_buf_init(&out);
  for (size_t i = 0; i <= len;) {
    /* each run between NULs, as a string of its own */
    size_t end = i;
    while (end < len && p[end] != '\0') end++;
    char *seg = td_strndup(p + i, end - i);
    td_text_safe(&out, seg ? seg : "");
    if (!seg) out.oom = 1;
    free(seg);
    if (end < len) td_buf_puts(&out, "\\x00");
    i = end + 1;
  }
  return td_buf_steal(&out, NULL);
}

/* The head in c->http.in was parsed (rc not NEED_MORE): on to the body, or
 * the end of the HTTP phase. */
static void head_parsed(td_check_t *c, td_http_rc_t rc, size_t used,
                        const char *why) {
  tlsdiag_result_t *r = c->r;
  td_check_http_t *h = &c->http;
  r->http_head_bytes = rc == TD_HTTP_DONE ? used : h->in.len;
  if (rc == TD_HTTP_DONE) {
    /* The real clock, never the override: skew is about this machine. */
    r->http_date_received = td_wall_now();
    td_result_event(r, td_check_now_ms(c), TD_DIR_S2C,
                    r->http_status_line ? r->http_status_line : "response",
                    "%zu header bytes", used);
    /* what followed the head in the same reads: a refusal's reason */
    td_clientcert_http_body(r, h->in.data + used, h->in.len - used);
    if (retry_with_get(c, h->in.len - used)) return;
    if (h->fetch && r->http_status == 200)
      start_body(c, h->in.data + used, h->in.len - used);
    else
      http_done(c, TLSDIAG_STATUS_OK, NULL, TLSDIAG_CAUSE_OK);
  } else {
    if (rc == TD_HTTP_MALFORMED && !r->http_received)
      r->http_received = first_line(h->in.data, h->in.len);
    td_result_event(r, td_check_now_ms(c), TD_DIR_S2C, "bad response", "%s",
                    why ? why : "");
    http_done(c, TLSDIAG_STATUS_FAILED, why ? why : "bad response",
              rc == TD_HTTP_TOO_LARGE ? TLSDIAG_CAUSE_HTTP_TOO_LARGE
                                      : TLSDIAG_CAUSE_HTTP_MALFORMED);
  }
}

/* After a refused HEAD: drops what comes before the GET's "HTTP/" when it
 * is the HEAD answer's body, sent against RFC 9110 (at most its
 * Content-Length). 1 when more bytes are needed to tell. */
static int skip_stale(td_check_t *c) {
  td_check_http_t *h = &c->http;
  size_t k = h->in.len < 5 ? h->in.len : 5;
  if (memcmp(h->in.data, "HTTP/", k) == 0) {
    if (k == 5) h->stale = 0; /* the answer: nothing to skip */
    return k < 5;
  }
  size_t drop = h->in.len < h->stale ? h->in.len : h->stale;
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_S2C, "body to HEAD",
                  "%zu bytes the server sent after its answer to HEAD, "
                  "skipped", drop);
  memmove(h->in.data, h->in.data + drop, h->in.len - drop);
  h->in.len -= drop;
  h->stale -= drop;
  return h->in.len == 0;
}

static void http_recv_step(td_check_t *c) {
  td_check_http_t *h = &c->http;
  char tmp[16384];
  for (;;) {
    ssize_t n = gnutls_record_recv(c->sess, tmp, sizeof(tmp));
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
      td_check_tls_wait(c);
      return;
    }
    if (n < 0 && !gnutls_error_is_fatal((int)n)) continue;
    if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
      if (h->in.len == 0)
        http_done(c, TLSDIAG_STATUS_FAILED,
                  "connection closed before any response",
                  TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED);
      else
        http_done(c, TLSDIAG_STATUS_FAILED,
                  "connection closed in the middle of the response head",
                  TLSDIAG_CAUSE_HTTP_MALFORMED);
      return;
    }
    if (n < 0) {
      td_clientcert_note_alert(c->r, c->sess, (int)n);
      http_done(c, TLSDIAG_STATUS_FAILED, gnutls_strerror((int)n),
                TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED);
      return;
    }
    /* Keep at most the limit plus one read: enough to know it is over. */
    if (h->in.len <= TD_HTTP_MAX_HEAD) td_buf_append(&h->in, tmp, (size_t)n);
    if (h->in.oom) {
      http_done(c, TLSDIAG_STATUS_FAILED, "out of memory",
                TLSDIAG_CAUSE_HTTP_TOO_LARGE);
      return;
    }
    if (h->stale && skip_stale(c)) continue;
    size_t used = 0;
    const char *why = NULL;
    td_http_rc_t rc =
        td_http_parse_head(c->r, h->in.data, h->in.len, &used, &why);
    if (rc == TD_HTTP_NEED_MORE) continue;
    head_parsed(c, rc, used, why);
    return;
  }
}

/* ---- driving ----------------------------------------------------------- */

static void http_timed_out(td_check_t *c) {
  td_check_http_t *h = &c->http;
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL,
                  "no response in time", NULL);
  if (h->st == TD_HTTP_IO_BODY) {
    c->r->http_body_bytes = h->body.len;
    td_buf_free(&h->body);
  }
  http_done(c, TLSDIAG_STATUS_TIMEOUT,
            h->st == TD_HTTP_IO_SEND   ? "request could not be sent in time"
            : h->st == TD_HTTP_IO_BODY ? "no complete response body in time"
                                       : "no complete response in time",
            TLSDIAG_CAUSE_HTTP_TIMEOUT);
}

void td_check_http_step(td_check_t *c, int revents, int timed_out) {
  td_check_http_t *h = &c->http;
  if (h->h2) {
    td_h2_step(c, revents, timed_out);
    return;
  }
  /* The body's own loop checks the clock: there, time is up even with
   * bytes pending. */
  if (timed_out &&
      ((!revents && !(c->sess && gnutls_record_check_pending(c->sess))) ||
       h->st == TD_HTTP_IO_BODY))
    http_timed_out(c);
  else if (h->st == TD_HTTP_IO_SEND)
    http_send_step(c);
  else if (h->st == TD_HTTP_IO_BODY)
    http_body_step(c);
  else
    http_recv_step(c);
}

unsigned char *td_check_take_body(td_check_t *c, size_t *len) {
  *len = 0;
  if (!c->http.body_done) return NULL;
  c->http.body_done = 0;
  return (unsigned char *)td_buf_steal(&c->http.body, len);
}
