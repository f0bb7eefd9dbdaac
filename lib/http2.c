/* http2.c: the check's one request over HTTP/2 when ALPN chose "h2".
 * nghttp2 does the framing, HPACK and the protocol's rules; this file
 * moves its bytes through GnuTLS without blocking (mem_send/mem_recv),
 * stores the response head in the result exactly where the HTTP/1.1
 * parser does (so HSTS, redirects and the clock see the same), and turns
 * what ends a connection early (GOAWAY, RST_STREAM, a malformed frame,
 * TLS that RFC 9113 forbids) into evidence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "http2.h"

#define H2_DEBUG_MAX 256 /* bytes of GOAWAY debug data kept */

struct td_h2 {
  nghttp2_session *s;
  int32_t stream;     /* our request's stream, or -1 */
  td_buf_t out;       /* frames nghttp2 gave, not yet taken by GnuTLS */
  size_t out_off;
  int status;         /* the current header block's :status */
  int interim;        /* the current header block is a 1xx */
  int head_done;      /* the final response head is stored */
  int body;           /* a fetch reads the 200's DATA */
  int closing;        /* GOAWAY submitted by us: flush, then stop */
  size_t head_bytes;  /* decoded header bytes, as "name: value\r\n" */
  int too_large;      /* the head is over TD_HTTP_MAX_HEAD(ERS) */
  int body_over;      /* a fetch's body is over body_max */
  char reason[160];   /* nghttp2's last error message */
};

int td_h2_transport_inadequate(gnutls_session_t s, const char **why) {
  gnutls_protocol_t v = gnutls_protocol_get_version(s);
  *why = NULL;
  if (v == GNUTLS_TLS1_3) return 0;
  if (v != GNUTLS_TLS1_2) {
    *why = "HTTP/2 requires TLS 1.2 or newer, RFC 9113 section 9.2";
    return 1;
  }
  /* Appendix A lists every TLS 1.2 suite defined by 2015 that is not both
   * AEAD and ephemeral (EC)DHE: these two tests are that list. */
  if (gnutls_mac_get(s) != GNUTLS_MAC_AEAD) {
    *why = "the cipher suite is not AEAD, RFC 9113 appendix A";
    return 1;
  }
  switch (gnutls_kx_get(s)) {
  case GNUTLS_KX_ECDHE_RSA:
  case GNUTLS_KX_ECDHE_ECDSA:
  case GNUTLS_KX_DHE_RSA:
  case GNUTLS_KX_DHE_DSS:
  case GNUTLS_KX_ECDHE_PSK:
  case GNUTLS_KX_DHE_PSK: return 0;
  default:
    *why = "the key exchange is not ephemeral, RFC 9113 appendix A";
    return 1;
  }
}

/* ---- evidence ----------------------------------------------------------- */

static void set_str(char **dst, const char *v) {
  free(*dst);
  *dst = v ? td_strdup(v) : NULL;
}

/* The frame that ended the exchange; the first one recorded wins. */
static void note_frame(td_check_t *c, const char *frame, int by_client,
                       uint32_t code, int32_t last, const uint8_t *dbg,
                       size_t dlen) {
  td_h2_info_t *i = &c->r->h2;
  if (i->frame) return;
  set_str(&i->frame, frame);
  i->by_client = by_client;
  i->error_code = code;
  set_str(&i->error_name, nghttp2_http2_strerror(code));
  i->last_stream_id = last;
  if (dlen > H2_DEBUG_MAX) dlen = H2_DEBUG_MAX;
  char *raw = dlen ? td_strndup((const char *)dbg, dlen) : NULL;
  char *safe = raw ? td_text_safe_dup(raw) : NULL;
  free(raw);
  free(i->debug);
  i->debug = safe;
  td_result_event(c->r, td_check_now_ms(c),
                  by_client ? TD_DIR_C2S : TD_DIR_S2C, frame, "%s%s%s",
                  i->error_name ? i->error_name : "?", safe ? ": " : "",
                  safe ? safe : "");
}

/* ---- nghttp2's callbacks ------------------------------------------------ */

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f,
                            void *u) {
  td_check_t *c = u;
  struct td_h2 *h = c->http.h2;
  (void)s;
  if (f->hd.stream_id == h->stream && !h->head_done) {
    h->status = 0;
    h->interim = 0;
  }
  return 0;
}

static int parse_status(const uint8_t *v, size_t n) {
  if (n != 3) return 0;
  int st = 0;
  for (size_t i = 0; i < 3; i++) {
    if (v[i] < '0' || v[i] > '9') return 0;
    st = st * 10 + (v[i] - '0');
  }
  return st >= 100 ? st : 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f,
                     const uint8_t *name, size_t nlen, const uint8_t *value,
                     size_t vlen, uint8_t flags, void *u) {
  td_check_t *c = u;
  struct td_h2 *h = c->http.h2;
  (void)s;
  (void)flags;
  if (f->hd.stream_id != h->stream || h->head_done || h->too_large)
    return 0;
  h->head_bytes += nlen + vlen + 4;
  if (h->head_bytes > TD_HTTP_MAX_HEAD ||
      c->r->nheaders >= TD_HTTP_MAX_HEADERS) {
    h->too_large = 1;
    return 0;
  }
  if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
    h->status = parse_status(value, vlen);
    h->interim = h->status >= 100 && h->status < 200;
    return 0;
  }
  /* 1xx heads (103 Early Hints) are not the response: skipped, as the
   * HTTP/1.1 parser skips them. */
  if (h->interim || (nlen && name[0] == ':')) return 0;
  if (td_result_header(c->r, (const char *)name, nlen, (const char *)value,
                       vlen) < 0)
    h->too_large = 1;
  return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f,
                         void *u) {
  td_check_t *c = u;
  struct td_h2 *h = c->http.h2;
  (void)s;
  switch (f->hd.type) {
  case NGHTTP2_GOAWAY:
    note_frame(c, "GOAWAY", 0, f->goaway.error_code,
               f->goaway.last_stream_id, f->goaway.opaque_data,
               f->goaway.opaque_data_len);
    break;
  case NGHTTP2_RST_STREAM:
    if (f->hd.stream_id == h->stream)
      note_frame(c, "RST_STREAM", 0, f->rst_stream.error_code, -1, NULL, 0);
    break;
  case NGHTTP2_HEADERS:
    if (f->hd.stream_id == h->stream && !h->head_done && !h->interim &&
        h->status >= 200 && (f->hd.flags & NGHTTP2_FLAG_END_HEADERS))
      h->head_done = 1;
    break;
  default: break;
  }
  return 0;
}

static int on_frame_send(nghttp2_session *s, const nghttp2_frame *f,
                         void *u) {
  td_check_t *c = u;
  struct td_h2 *h = c->http.h2;
  (void)s;
  const char *why = h->reason[0] ? h->reason : NULL;
  size_t wl = why ? strlen(why) : 0;
  if (f->hd.type == NGHTTP2_GOAWAY && f->goaway.error_code != 0)
    note_frame(c, "GOAWAY", 1, f->goaway.error_code, f->goaway.last_stream_id,
               why ? (const uint8_t *)why : f->goaway.opaque_data,
               why ? wl : f->goaway.opaque_data_len);
  else if (f->hd.type == NGHTTP2_RST_STREAM && f->hd.stream_id == h->stream)
    note_frame(c, "RST_STREAM", 1, f->rst_stream.error_code, -1,
               (const uint8_t *)why, wl);
  return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id,
                   const uint8_t *data, size_t len, void *u) {
  td_check_t *c = u;
  td_check_http_t *hh = &c->http;
  (void)s;
  (void)flags;
  if (id == hh->h2->stream && !hh->fetch && hh->h2->head_done &&
      hh->h2->status >= 400 && hh->in.len < 4096) {
    /* A refusal's first bytes, as the HTTP/1.1 path reads them after the
     * head (nginx's "No required SSL certificate was sent"). */
    td_buf_append(&hh->in, (const char *)data, len < 4096 ? len : 4096);
    return 0;
  }
  /* DATA may come in the same read as the head, before judge() saw it. */
  if (id != hh->h2->stream || !hh->fetch || !hh->h2->head_done ||
      hh->h2->status != 200 || hh->body_done || hh->h2->body_over)
    return 0;
  if (len > hh->body_max - hh->body.len) {
    hh->h2->body_over = 1;
    return 0;
  }
  td_buf_append(&hh->body, (const char *)data, len);
  return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t code, void *u) {
  td_check_t *c = u;
  struct td_h2 *h = c->http.h2;
  (void)s;
  if (id == h->stream) {
    h->stream = -1;
    if (code && !c->r->h2.frame) /* reset, no frame seen: nghttp2's own */
      note_frame(c, "RST_STREAM", 1, code, -1, (const uint8_t *)h->reason,
                 strlen(h->reason));
  }
  return 0;
}

static int on_error(nghttp2_session *s, int lib_error, const char *msg,
                    size_t len, void *u) {
  td_check_t *c = u;
  struct td_h2 *h = c->http.h2;
  (void)s;
  (void)lib_error;
  if (len >= sizeof(h->reason)) len = sizeof(h->reason) - 1;
  memcpy(h->reason, msg, len);
  h->reason[len] = '\0';
  return 0;
}

/* A frame nghttp2 refused, when it gave no message of its own. */
static int on_invalid_frame(nghttp2_session *s, const nghttp2_frame *f,
                            int lib_error, void *u) {
  td_check_t *c = u;
  struct td_h2 *h = c->http.h2;
  (void)s;
  (void)f;
  if (!h->reason[0])
    snprintf(h->reason, sizeof(h->reason), "%s", nghttp2_strerror(lib_error));
  return 0;
}

/* ---- the session -------------------------------------------------------- */

static int session_new(td_check_t *c, struct td_h2 *h) {
  nghttp2_session_callbacks *cb;
  if (nghttp2_session_callbacks_new(&cb)) return -1;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
                                                          on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
  nghttp2_session_callbacks_set_error_callback2(cb, on_error);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(
      cb, on_invalid_frame);
  int rc = nghttp2_session_client_new(&h->s, cb, c);
  nghttp2_session_callbacks_del(cb);
  if (rc) return -1;
  /* One stream, no push (as browsers), a window that fits a fetch's
   * bounded body without waiting on updates. */
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
  };
  return nghttp2_submit_settings(h->s, NGHTTP2_FLAG_NONE, iv,
                                 sizeof(iv) / sizeof(iv[0]))
             ? -1
             : 0;
}

#define NV(n, v)                                                             \
  {(uint8_t *)(uintptr_t)(n), (uint8_t *)(uintptr_t)(v), strlen(n),          \
   strlen(v), NGHTTP2_NV_FLAG_NONE}

/* The request the HTTP/1.1 path writes (http.c), as HTTP/2 fields: Host
 * becomes :authority and Connection is not allowed (section 8.2.2). */
static int submit_request(td_check_t *c, struct td_h2 *h,
                          const char *hosthdr) {
  const tlsdiag_result_t *r = c->r;
  nghttp2_nv nv[] = {
      NV(":method", r->http_method),
      NV(":scheme", "https"),
      NV(":authority", hosthdr),
      NV(":path", r->http_path),
      NV("user-agent", "tlsdiag/" TLSDIAG_VERSION_STR),
      NV("accept", "*/*"),
      NV("accept-encoding", "identity"),
  };
  size_t n = sizeof(nv) / sizeof(nv[0]) - (c->http.fetch ? 0 : 1);
  h->stream = nghttp2_submit_request(h->s, NULL, nv, n, NULL, NULL);
  return h->stream < 0 ? -1 : 0;
}

void td_h2_free(struct td_h2 *h) {
  if (!h) return;
  nghttp2_session_del(h->s);
  td_buf_free(&h->out);
  free(h);
}

/* ---- the end ------------------------------------------------------------ */

static void h2_failed(td_check_t *c, tlsdiag_cause_t why, const char *msg) {
  struct td_h2 *h = c->http.h2;
  if (h->body) {
    td_check_http_body_failed(c, why, "%s", msg);
    return;
  }
  c->r->http_head_bytes = h->head_bytes;
  td_check_http_done(c, TLSDIAG_STATUS_FAILED, msg, why);
}

/* What the recorded frame says, as the phase's error. */
static void frame_failed(td_check_t *c) {
  const td_h2_info_t *i = &c->r->h2;
  const tlsdiag_result_t *r = c->r;
  tlsdiag_cause_t why = i->error_code == NGHTTP2_INADEQUATE_SECURITY
                            ? TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY
                            : TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR;
  char *msg;
  if (i->by_client && why == TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY)
    msg = td_asprintf("the server chose h2 over %s with %s, which HTTP/2 "
                      "forbids (%s): browsers refuse the connection "
                      "(ERR_HTTP2_INADEQUATE_TRANSPORT_SECURITY); we sent "
                      "GOAWAY INADEQUATE_SECURITY",
                      r->tls_version ? r->tls_version : "?",
                      r->tls_cipher ? r->tls_cipher : "?",
                      i->debug ? i->debug : "RFC 9113 section 9.2");
  else
    msg = td_asprintf(
      "%s %s %s%s%s%s", i->by_client ? "we sent" : "the server sent",
      i->frame, i->error_name ? i->error_name : "?",
      c->http.h2->head_done ? " during the body" : " before the response",
      i->debug ? ": " : "", i->debug ? i->debug : "");
  h2_failed(c, why, msg ? msg : "HTTP/2 connection error");
  free(msg);
}

/* The connection failed under us: after a GOAWAY or RST_STREAM (ours or
 * the server's, closing at once), that frame is the reason. */
static void conn_failed(td_check_t *c, const char *err) {
  if (c->r->h2.frame) frame_failed(c);
  else h2_failed(c, TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED, err);
}

/* The final head is stored: the HTTP/1.1 path's bookkeeping, then the
 * body (a fetch's 200) or the end. */
static void head_received(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  struct td_h2 *h = c->http.h2;
  free(r->http_version); /* a second request's head replaces the first */
  free(r->http_status_line);
  r->http_status = h->status;
  r->http_version = td_strdup("HTTP/2");
  r->http_status_line = td_asprintf("HTTP/2 %d", h->status);
  r->http_head_bytes = h->head_bytes;
  const char *date = td_result_header_get(r, "date");
  if (date) {
    int64_t t = td_http_parse_date(date);
    r->http_date = t < 0 ? 0 : t;
  }
  r->http_date_received = td_wall_now();
  td_result_event(r, td_check_now_ms(c), TD_DIR_S2C,
                  r->http_status_line ? r->http_status_line : "response",
                  "%zu header bytes (HPACK-decoded)", h->head_bytes);
  td_clientcert_http_body(r, c->http.in.data, c->http.in.len);
  if (td_check_http_head_refused(c)) {
    /* the GET on a new stream of this connection */
    h->head_done = 0;
    h->status = 0;
    h->head_bytes = 0;
    c->http.in.len = 0;
    free(r->http_request);
    r->http_request = td_asprintf("%s %s HTTP/2", r->http_method,
                                  r->http_path);
    if (submit_request(c, h, c->http.hosthdr) < 0) {
      td_check_http_done(c, TLSDIAG_STATUS_FAILED,
                         "the HTTP/2 request could not be built",
                         TLSDIAG_CAUSE_HTTP_MALFORMED);
      return;
    }
    td_result_event(r, td_check_now_ms(c), TD_DIR_C2S, r->http_request,
                    "stream %d, :authority %s", (int)h->stream,
                    c->http.hosthdr);
    return;
  }
  if (!c->http.fetch || h->status != 200) {
    td_check_http_done(c, TLSDIAG_STATUS_OK, NULL, TLSDIAG_CAUSE_OK);
    return;
  }
  if (td_http_content_coded(r)) {
    h->body = 1;
    td_check_http_body_failed(c, TLSDIAG_CAUSE_HTTP_MALFORMED,
                              "the body has a Content-Encoding (%.64s) "
                              "although the request asked for identity",
                              td_result_header_get(r, "content-encoding"));
    return;
  }
  c->http.body_kind = TD_BODY_H2;
  h->body = 1;
  c->http.st = TD_HTTP_IO_BODY;
}

/* A 4xx head after the server asked for a client certificate: its body
 * may say why (clientcert_classify.c), and over HTTP/2 it comes in its own
 * DATA frames, so wait for the first of them or the stream's end. */
static int awaits_refusal(const td_check_t *c) {
  const struct td_h2 *h = c->http.h2;
  return !c->http.fetch && c->r->cc.requested && h->status >= 400 &&
         h->status <= 499 && c->http.in.len == 0 && h->stream >= 0;
}

/* 1 when the exchange is over (the phase ended), 0 to go on. */
static int judge(td_check_t *c) {
  struct td_h2 *h = c->http.h2;
  td_check_http_t *hh = &c->http;
  if (h->too_large) {
    h2_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
              "response head larger than 64 KiB or 200 fields");
    return 1;
  }
  if (h->closing) return 0; /* our GOAWAY goes out first */
  if (!h->head_done && c->r->h2.frame &&
      (c->r->h2.by_client || c->r->h2.error_code ||
       c->r->h2.last_stream_id < 1 || h->stream < 0)) {
    frame_failed(c);
    return 1;
  }
  if (h->head_done && !h->body) {
    if (awaits_refusal(c)) return 0;
    head_received(c);
    if (c->st == TD_CHECK_HTTP && !h->head_done) return 0; /* asked again */
    if (!h->body || hh->body_done || c->st != TD_CHECK_HTTP) return 1;
  }
  if (h->body && h->body_over) {
    td_check_http_body_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE,
                              "body over the limit of %zu bytes",
                              hh->body_max);
    return 1;
  }
  if (h->body && h->stream < 0) {
    if (c->r->h2.frame && (c->r->h2.error_code || c->r->h2.by_client))
      frame_failed(c);
    else
      td_check_http_body_finished(c);
    return 1;
  }
  if (!h->head_done && h->stream < 0) {
    h2_failed(c, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR,
              "the stream closed without a response");
    return 1;
  }
  return 0;
}

/* GnuTLS takes what nghttp2 has to send. 1 sent all, 0 must wait, -1 a
 * fatal error (the phase ended). */
static int flush(td_check_t *c) {
  struct td_h2 *h = c->http.h2;
  for (;;) {
    if (h->out_off == h->out.len) {
      td_buf_free(&h->out);
      h->out_off = 0;
      const uint8_t *p;
      ssize_t n = nghttp2_session_mem_send(h->s, &p);
      if (n < 0) {
        h2_failed(c, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR,
                  nghttp2_strerror((int)n));
        return -1;
      }
      if (n == 0) return 1;
      td_buf_append(&h->out, (const char *)p, (size_t)n);
      if (h->out.oom) {
        h2_failed(c, TLSDIAG_CAUSE_HTTP_TOO_LARGE, "out of memory");
        return -1;
      }
    }
    ssize_t w = gnutls_record_send(c->sess, h->out.data + h->out_off,
                                   h->out.len - h->out_off);
    if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
      td_check_tls_wait(c);
      return 0;
    }
    if (w < 0) {
      td_clientcert_note_alert(c->r, c->sess, (int)w);
      conn_failed(c, gnutls_strerror((int)w));
      return -1;
    }
    h->out_off += (size_t)w;
  }
}

/* The server's bytes into nghttp2. 1 more may come, 0 must wait, -1 the
 * phase ended. */
static int receive(td_check_t *c) {
  struct td_h2 *h = c->http.h2;
  char tmp[16384];
  ssize_t n = gnutls_record_recv(c->sess, tmp, sizeof(tmp));
  if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
    td_check_tls_wait(c);
    return 0;
  }
  if (n < 0 && !gnutls_error_is_fatal((int)n)) return 1;
  if (n == 0 || n == GNUTLS_E_PREMATURE_TERMINATION) {
    conn_failed(c, h->body ? "the server closed the connection in the body"
                           : "connection closed before any response");
    return -1;
  }
  if (n < 0) {
    td_clientcert_note_alert(c->r, c->sess, (int)n);
    conn_failed(c, gnutls_strerror((int)n));
    return -1;
  }
  ssize_t used = nghttp2_session_mem_recv(h->s, (const uint8_t *)tmp,
                                          (size_t)n);
  if (used < 0) {
    h2_failed(c, TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR,
              nghttp2_strerror((int)used));
    return -1;
  }
  return 1;
}

static void h2_timed_out(td_check_t *c) {
  struct td_h2 *h = c->http.h2;
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL,
                  "no response in time", NULL);
  if (h->body) {
    c->r->http_body_bytes = c->http.body.len;
    td_buf_free(&c->http.body);
  }
  c->r->http_head_bytes = h->head_bytes;
  td_check_http_done(c, TLSDIAG_STATUS_TIMEOUT,
                     h->body ? "no complete response body in time"
                             : "no complete response in time",
                     TLSDIAG_CAUSE_HTTP_TIMEOUT);
}

void td_h2_step(td_check_t *c, int revents, int timed_out) {
  struct td_h2 *h = c->http.h2;
  (void)revents;
  for (;;) {
    if (timed_out || td_mono_us() >= c->deadline_total) {
      h2_timed_out(c);
      return;
    }
    int f = flush(c);
    if (f < 0) return;
    if (f == 1 && h->closing && !nghttp2_session_want_write(h->s)) {
      h->closing = 0;
      frame_failed(c);
      return;
    }
    if (judge(c)) return;
    if (f == 0) return; /* waiting to write; reading can wait */
    if (nghttp2_session_want_write(h->s)) continue; /* a GET after HEAD */
    int rc = receive(c);
    if (rc <= 0) return;
  }
}

void td_h2_start(td_check_t *c, const char *hosthdr) {
  tlsdiag_result_t *r = c->r;
  struct td_h2 *h = calloc(1, sizeof(*h));
  c->http.h2 = h;
  free(r->http_request);
  r->http_request = td_asprintf("%s %s HTTP/2", r->http_method, r->http_path);
  if (!h || session_new(c, h) < 0) {
    td_check_http_done(c, TLSDIAG_STATUS_FAILED,
                       "the HTTP/2 session could not be set up",
                       TLSDIAG_CAUSE_HTTP_TOO_LARGE);
    return;
  }
  h->stream = -1;
  const char *why = NULL;
  if (td_h2_transport_inadequate(c->sess, &why)) {
    /* As Chrome: the connection error RFC 9113 section 9.2.2 allows. */
    td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL,
                    "HTTP/2 over inadequate TLS", "%s, %s",
                    r->tls_cipher ? r->tls_cipher : "?", why);
    nghttp2_submit_goaway(h->s, NGHTTP2_FLAG_NONE, 0,
                          NGHTTP2_INADEQUATE_SECURITY, (const uint8_t *)why,
                          strlen(why));
    h->closing = 1;
  } else if (submit_request(c, h, hosthdr) < 0) {
    td_check_http_done(c, TLSDIAG_STATUS_FAILED,
                       "the HTTP/2 request could not be built",
                       TLSDIAG_CAUSE_HTTP_MALFORMED);
    return;
  } else {
    td_result_event(r, td_check_now_ms(c), TD_DIR_C2S, r->http_request,
                    "stream 1, :authority %s", hosthdr);
  }
  c->st = TD_CHECK_HTTP;
  c->http.st = TD_HTTP_IO_HEAD;
  c->want = POLLIN;
  c->deadline = c->deadline_total;
  td_h2_step(c, 0, 0);
}
