/* fuzz_hello.c: the handshake-message readers of the connection anatomy
 * (td_anatomy_message: ClientHello and ServerHello key shares, the
 * HelloRetryRequest marker and its selected group, the HRR extensions
 * block GnuTLS hands over, NewSessionTicket counting), fed a sequence of
 * messages as captured from the wire, then the anatomy's JSON, key
 * schedule, text and findings.
 *
 * Input: records [type u8][dir u8 (bit 0: incoming)][len u16 BE][body];
 * type is the TLS HandshakeType, 6 standing for GnuTLS's
 * GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST (1025).
 * Properties: no crash or leak; at most 8 shares kept per ClientHello;
 * every share, selected group and ServerHello share reported was read
 * from a message of that kind (its group and length appear there as two
 * big-endian u16 values, within the message); the JSON members are valid
 * JSON; tickets count exactly the incoming NewSessionTickets. */
#include <jansson.h>

#include <gnutls/gnutls.h>

#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSGS 16

typedef struct msg {
  unsigned type;
  int incoming;
  const uint8_t *p;
  size_t n;
} msg_t;

/* 1 if the u16 pair (a, b) appears in some message of kind t/incoming. */
static int pair_in(const msg_t *m, size_t nm, unsigned t, int incoming,
                   unsigned a, int with_b, unsigned b) {
  for (size_t i = 0; i < nm; i++) {
    if (m[i].type != t || m[i].incoming != incoming) continue;
    size_t need = with_b ? 4 : 2;
    for (size_t k = 0; k + need <= m[i].n; k++) {
      const uint8_t *q = m[i].p + k;
      if (((unsigned)q[0] << 8 | q[1]) != a) continue;
      if (!with_b || ((unsigned)q[2] << 8 | q[3]) == b) return 1;
    }
  }
  return 0;
}

static void json_ok(const char *what, const td_buf_t *b) {
  json_error_t err;
  json_t *j = json_loadb(b->data ? b->data : "", b->len, JSON_DECODE_ANY, &err);
  FZ_ASSERT(j != NULL, "%s: invalid JSON (%s): %.*s", what, err.text,
            (int)b->len, b->data ? b->data : "");
  json_decref(j);
}

/* 1 if the value v appears as a big-endian u8 (width 1) or u16 (width 2)
 * in some message of kind t/incoming. */
static int val_in(const msg_t *m, size_t nm, unsigned t, int incoming,
                  unsigned v, size_t width) {
  for (size_t i = 0; i < nm; i++) {
    if (m[i].type != t || m[i].incoming != incoming) continue;
    for (size_t k = 0; k + width <= m[i].n; k++) {
      const uint8_t *q = m[i].p + k;
      unsigned got = width == 1 ? q[0] : ((unsigned)q[0] << 8 | q[1]);
      if (got == v) return 1;
    }
  }
  return 0;
}

/* TLS 1.2 key exchange messages: a share taken from one of them (ECDHE:
 * the group as u16 and the point's length as u8; DHE: the value's length
 * as u16) must be in it. */
static int kx_share_in(const msg_t *m, size_t nm, unsigned t, int incoming,
                       unsigned group, unsigned bytes) {
  if (group && !val_in(m, nm, t, incoming, group, 2) &&
      t == GNUTLS_HANDSHAKE_SERVER_KEY_EXCHANGE)
    return 0;
  return val_in(m, nm, t, incoming, bytes, 1) ||
         val_in(m, nm, t, incoming, bytes, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  msg_t m[MAX_MSGS];
  size_t nm = 0;
  for (size_t i = 0; nm < MAX_MSGS && i + 4 <= size;) {
    size_t len = (size_t)data[i + 2] << 8 | data[i + 3];
    if (len > size - i - 4) len = size - i - 4;
    m[nm].type = data[i] == 6 ? GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST : data[i];
    m[nm].incoming = data[i + 1] & 1;
    m[nm].p = data + i + 4;
    m[nm].n = len;
    nm++;
    i += 4 + len;
  }
  tlsdiag_result_t *r = td_result_new();
  if (!r) return 0;
  /* a completed TLS 1.3 connection, so every JSON and text part runs */
  r->phase[TLSDIAG_PHASE_DNS].status = TLSDIAG_STATUS_OK;
  r->phase[TLSDIAG_PHASE_TCP].status = TLSDIAG_STATUS_OK;
  r->phase[TLSDIAG_PHASE_TLS].status = TLSDIAG_STATUS_OK;
  r->tls_version_num = size && (data[0] & 0x80) ? TLSDIAG_TLS1_2
                                                : TLSDIAG_TLS1_3;
  r->anat.prf_hash = td_strdup("SHA256");
  r->tls_cipher = td_strdup("AES-128-GCM");
  r->anat.hash_bytes = 32;
  r->anat.key_bytes = 16;
  r->anat.iv_bytes = 12;
  unsigned tickets = 0;
  for (size_t i = 0; i < nm; i++) {
    /* the body is copied so ASan sees a read past its end */
    unsigned char *body = malloc(m[i].n ? m[i].n : 1);
    if (!body) abort();
    memcpy(body, m[i].p, m[i].n);
    td_anatomy_message(r, m[i].type, m[i].incoming, body, m[i].n);
    free(body);
    if (m[i].type == GNUTLS_HANDSHAKE_NEW_SESSION_TICKET && m[i].incoming)
      tickets++;
  }
  const td_anatomy_t *a = &r->anat;
  FZ_ASSERT(a->tickets == tickets, "%u tickets counted, %u sent", a->tickets,
            tickets);
  FZ_ASSERT(a->noffered <= 8 && a->noffered2 <= 8, "%zu/%zu shares kept",
            a->noffered, a->noffered2);
  const unsigned ch = GNUTLS_HANDSHAKE_CLIENT_HELLO;
  const unsigned sh = GNUTLS_HANDSHAKE_SERVER_HELLO;
  const unsigned hrr = GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST;
  const unsigned ske = GNUTLS_HANDSHAKE_SERVER_KEY_EXCHANGE;
  const unsigned cke = GNUTLS_HANDSHAKE_CLIENT_KEY_EXCHANGE;
  for (size_t i = 0; i < a->noffered; i++)
    FZ_ASSERT(pair_in(m, nm, ch, 0, a->offered[i].group, 1,
                      a->offered[i].bytes) ||
                  kx_share_in(m, nm, cke, 0, a->offered[i].group,
                              a->offered[i].bytes),
              "share %zu (0x%04x, %u) not in any ClientHello or "
              "ClientKeyExchange", i, a->offered[i].group,
              a->offered[i].bytes);
  for (size_t i = 0; i < a->noffered2; i++)
    FZ_ASSERT(pair_in(m, nm, ch, 0, a->offered2[i].group, 1,
                      a->offered2[i].bytes),
              "second share %zu not in any ClientHello", i);
  if (a->noffered2) FZ_ASSERT(a->hello_retry, "second shares without HRR");
  if (a->server_share.group || a->server_share.bytes)
    FZ_ASSERT(pair_in(m, nm, sh, 1, a->server_share.group, 1,
                      a->server_share.bytes) ||
                  kx_share_in(m, nm, ske, 1, a->server_share.group,
                              a->server_share.bytes),
              "server share not in any ServerHello or ServerKeyExchange");
  if (a->hrr_group)
    FZ_ASSERT(pair_in(m, nm, sh, 1, a->hrr_group, 0, 0) ||
                  pair_in(m, nm, hrr, 1, a->hrr_group, 0, 0),
              "HRR group 0x%04x not in any message", a->hrr_group);
  if (a->hello_retry) {
    int any = 0;
    for (size_t i = 0; i < nm; i++)
      if (m[i].incoming && (m[i].type == sh || m[i].type == hrr)) any = 1;
    FZ_ASSERT(any, "HelloRetryRequest without an incoming hello");
  }

  td_buf_t b;
  td_jw_t w;
  td_buf_init(&b);
  td_jw_init(&w, &b, 0);
  td_anatomy_json(&w, NULL, r);
  json_ok("anatomy", &b);
  td_buf_free(&b);
  td_buf_init(&b);
  td_jw_init(&w, &b, 1); /* pretty too: the indenting path */
  td_key_schedule_json(&w, NULL, r);
  json_ok("key_schedule", &b);
  td_buf_free(&b);
  td_buf_init(&b);
  td_anatomy_text(&b, r, 1);
  td_buf_free(&b);
  td_anatomy_classify(r);
  tlsdiag_result_free(r);
  return 0;
}
