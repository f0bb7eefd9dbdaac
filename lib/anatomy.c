/* anatomy.c: the connection's anatomy: key shares and HelloRetryRequest
 * read from the handshake messages, round-trip accounting, resumption, and
 * the TLS key schedule of this connection (labels and lengths, never the
 * secret values). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "internal.h"

/* ---- reading handshake messages ----------------------------------------- */

typedef struct {
  const unsigned char *p;
  size_t n;
  int bad;
} rd_t;

static unsigned rd_u8(rd_t *r) {
  if (r->n < 1) {
    r->bad = 1;
    return 0;
  }
  unsigned v = r->p[0];
  r->p++;
  r->n--;
  return v;
}

static unsigned rd_u16(rd_t *r) {
  unsigned hi = rd_u8(r);
  return (hi << 8) | rd_u8(r);
}

static rd_t rd_sub(rd_t *r, size_t len) {
  rd_t s = {r->p, 0, 0};
  if (r->n < len) {
    r->bad = 1;
    s.bad = 1;
    return s;
  }
  s.n = len;
  r->p += len;
  r->n -= len;
  return s;
}

/* The fixed "random" that marks a ServerHello as a HelloRetryRequest
 * (RFC 8446 4.1.3: SHA-256 of "HelloRetryRequest"). */
static const unsigned char hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
    0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
    0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

#define EXT_KEY_SHARE 51
#define EXT_SUPPORTED_VERSIONS 43

/* Walks the extensions block, calling back for key_share. */
static rd_t find_ext(rd_t *r, unsigned type, int *found) {
  rd_t none = {NULL, 0, 1};
  *found = 0;
  unsigned total = rd_u16(r);
  rd_t exts = rd_sub(r, total);
  while (!exts.bad && exts.n >= 4) {
    unsigned t = rd_u16(&exts), l = rd_u16(&exts);
    rd_t body = rd_sub(&exts, l);
    if (exts.bad) break;
    if (t == type) {
      *found = 1;
      return body;
    }
  }
  return none;
}

static void client_hello(td_anatomy_t *a, rd_t r) {
  rd_sub(&r, 2 + 32);             /* legacy_version, random */
  rd_sub(&r, rd_u8(&r));          /* legacy_session_id */
  rd_sub(&r, rd_u16(&r));         /* cipher_suites */
  rd_sub(&r, rd_u8(&r));          /* legacy_compression_methods */
  if (r.bad) return;
  int found = 0;
  rd_t ks = find_ext(&r, EXT_KEY_SHARE, &found);
  if (!found) return;
  rd_t list = rd_sub(&ks, rd_u16(&ks));
  /* The first ClientHello, or the second one after a HelloRetryRequest. */
  td_keyshare_t *out = a->hello_retry ? a->offered2 : a->offered;
  size_t *n = a->hello_retry ? &a->noffered2 : &a->noffered;
  *n = 0;
  while (!list.bad && list.n >= 4 && *n < 8) {
    unsigned g = rd_u16(&list), l = rd_u16(&list);
    rd_sub(&list, l);
    if (list.bad) break;
    out[*n].group = (uint16_t)g;
    out[*n].bytes = (uint16_t)l;
    (*n)++;
  }
}

static void server_hello(td_anatomy_t *a, rd_t r, int is_hrr) {
  rd_sub(&r, 2);
  rd_t rnd = rd_sub(&r, 32);
  if (r.bad) return;
  if (memcmp(rnd.p, hrr_random, 32) == 0) is_hrr = 1;
  rd_sub(&r, rd_u8(&r)); /* legacy_session_id_echo */
  rd_sub(&r, 2 + 1);     /* cipher_suite, compression */
  if (r.bad) return;
  int found = 0;
  rd_t all = r;
  find_ext(&all, EXT_SUPPORTED_VERSIONS, &found);
  if (found && !is_hrr) a->tls13 = 1; /* only TLS 1.3 sends it back */
  rd_t ks = find_ext(&r, EXT_KEY_SHARE, &found);
  if (!found) return;
  if (is_hrr) {
    a->hello_retry = 1;
    a->hrr_group = (uint16_t)rd_u16(&ks); /* selected_group */
    return;
  }
  unsigned g = rd_u16(&ks), l = rd_u16(&ks);
  if (ks.bad) return;
  a->server_share.group = (uint16_t)g;
  a->server_share.bytes = (uint16_t)l;
}

/* TLS 1.2 (RFC 8422 5.4, RFC 5246 7.4.3): the server's ephemeral key.
 * ECDHE: curve_type named_curve (3), the group, the point; DHE: p, g, Ys.
 * The key shares of a TLS 1.3 ClientHello played no part: replaced. */
static void server_key_exchange(td_anatomy_t *a, rd_t r) {
  if (a->tls13) return;
  rd_t ec = r;
  if (rd_u8(&ec) == 3) {
    unsigned g = rd_u16(&ec);
    unsigned l = rd_u8(&ec);
    if (!ec.bad && td_group_name((uint16_t)g) && l > 0 && l <= ec.n) {
      a->server_share.group = (uint16_t)g;
      a->server_share.bytes = (uint16_t)l;
      a->noffered = 0;
      return;
    }
  }
  unsigned pl = rd_u16(&r);
  rd_sub(&r, pl);          /* dh_p */
  rd_sub(&r, rd_u16(&r));  /* dh_g */
  unsigned yl = rd_u16(&r); /* dh_Ys */
  if (r.bad || pl == 0 || yl == 0 || yl > r.n) return;
  a->dh_prime_bytes = pl;
  a->server_share.group = 0;
  a->server_share.bytes = (uint16_t)yl;
  a->noffered = 0;
}

/* TLS 1.2: the client's public value (ECDHE point, DHE Yc), or the
 * RSA-encrypted pre-master secret when no ServerKeyExchange came. */
static void client_key_exchange(td_anatomy_t *a, rd_t r) {
  if (a->tls13) return;
  unsigned l;
  if (a->server_share.group) {
    l = rd_u8(&r);
  } else if (a->dh_prime_bytes) {
    l = rd_u16(&r);
  } else {
    a->rsa_kx = 1;
    a->noffered = 0;
    return;
  }
  if (r.bad || l == 0) return;
  a->offered[0].group = a->server_share.group;
  a->offered[0].bytes = (uint16_t)l;
  a->noffered = 1;
}

void td_anatomy_message(tlsdiag_result_t *res, unsigned htype, int incoming,
                        const unsigned char *body, size_t len) {
  td_anatomy_t *a = &res->anat;
  rd_t r = {body, len, 0};
  if (a->parsing) return; /* the resumption connection's own hellos */
  switch (htype) {
  case GNUTLS_HANDSHAKE_CLIENT_HELLO:
    if (!incoming) client_hello(a, r);
    break;
  case GNUTLS_HANDSHAKE_SERVER_HELLO:
    if (incoming) server_hello(a, r, 0);
    break;
  case GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST:
    /* GnuTLS 3.7 hands over only the HRR's extensions block here. */
    if (incoming) {
      a->hello_retry = 1;
      int found = 0;
      rd_t ks = find_ext(&r, EXT_KEY_SHARE, &found);
      if (found) a->hrr_group = (uint16_t)rd_u16(&ks);
    }
    break;
  case GNUTLS_HANDSHAKE_NEW_SESSION_TICKET:
    /* The whole message (tls.c passes it before GnuTLS parses it): both
     * TLS 1.3's and TLS 1.2's (RFC 5077) start with the lifetime the
     * server gives the ticket, in seconds. */
    if (incoming) {
      unsigned long life = (unsigned long)rd_u16(&r) << 16;
      life |= rd_u16(&r);
      if (a->tickets++ == 0 && !r.bad) {
        a->ticket_lifetime = (int64_t)life;
        a->ticket_bytes = (unsigned)len;
      }
    }
    break;
  case GNUTLS_HANDSHAKE_SERVER_KEY_EXCHANGE:
    if (incoming) server_key_exchange(a, r);
    break;
  case GNUTLS_HANDSHAKE_CLIENT_KEY_EXCHANGE:
    if (!incoming) client_key_exchange(a, r);
    break;
  default: break;
  }
}

const char *td_group_name(uint16_t g) {
  switch (g) {
  case 0x0017: return "secp256r1";
  case 0x0018: return "secp384r1";
  case 0x0019: return "secp521r1";
  case 0x001d: return "x25519";
  case 0x001e: return "x448";
  case 0x0100: return "ffdhe2048";
  case 0x0101: return "ffdhe3072";
  case 0x0102: return "ffdhe4096";
  case 0x0103: return "ffdhe6144";
  case 0x0104: return "ffdhe8192";
  }
  return NULL;
}

/* Size of the (EC)DHE shared secret for a group, in bytes. */
static unsigned shared_secret_bytes(uint16_t g) {
  switch (g) {
  case 0x0017: return 32;
  case 0x0018: return 48;
  case 0x0019: return 66;
  case 0x001d: return 32;
  case 0x001e: return 56;
  case 0x0100: return 256;
  case 0x0101: return 384;
  case 0x0102: return 512;
  case 0x0103: return 768;
  case 0x0104: return 1024;
  }
  return 0;
}

/* The pre-master (TLS 1.2) or (EC)DHE shared secret (TLS 1.3) size:
 * by the group, the DH prime, or RSA's 48 bytes; 0 unknown. */
static unsigned premaster_bytes(const td_anatomy_t *a) {
  if (a->server_share.group) return shared_secret_bytes(a->server_share.group);
  if (a->dh_prime_bytes) return a->dh_prime_bytes;
  if (a->rsa_kx) return 48;
  return 0;
}

/* ---- round trips ------------------------------------------------------- */

typedef struct {
  int valid;
  double rtt_ms;
  int dns, tcp, tls, http;
  double ttfb_ms; /* SYN to the response head */
  double server_ms;
} rtts_t;

static rtts_t count_rtts(const tlsdiag_result_t *r) {
  rtts_t x;
  memset(&x, 0, sizeof(x));
  if (r->phase[TLSDIAG_PHASE_TCP].status != TLSDIAG_STATUS_OK) return x;
  for (size_t i = 0; i < r->nattempts; i++)
    if (r->attempts[i].status == TLSDIAG_STATUS_OK) x.rtt_ms = r->attempts[i].ms;
  x.valid = 1;
  /* A and AAAA go out together: one round trip to the resolver. */
  x.dns = r->phase[TLSDIAG_PHASE_DNS].status == TLSDIAG_STATUS_OK ? 1 : 0;
  x.tcp = 1;
  if (r->phase[TLSDIAG_PHASE_TLS].status == TLSDIAG_STATUS_OK) {
    x.tls = r->tls_version_num == TLSDIAG_TLS1_3 ? 1 : 2;
    if (r->resumed && r->tls_version_num != TLSDIAG_TLS1_3) x.tls = 1;
    if (r->anat.hello_retry) x.tls++;
  }
  if (r->phase[TLSDIAG_PHASE_HTTP].status == TLSDIAG_STATUS_OK) {
    x.http = 1;
    x.ttfb_ms = r->phase[TLSDIAG_PHASE_TCP].ms + r->phase[TLSDIAG_PHASE_TLS].ms +
                r->phase[TLSDIAG_PHASE_HTTP].ms;
    x.server_ms = x.ttfb_ms - (x.tcp + x.tls + x.http) * x.rtt_ms;
    if (x.server_ms < 0) x.server_ms = 0;
  }
  return x;
}

/* ---- JSON ------------------------------------------------------------------ */

/* A duration: 3 decimals, or null when not finite (JSON has no NaN). */
static void ms_json(td_buf_t *b, const char *key, double v) {
  td_buf_printf(b, ",\"%s\":", key);
  if (isfinite(v)) td_buf_printf(b, "%.3f", v);
  else td_buf_puts(b, "null");
}

static void shares_json(td_buf_t *b, const td_keyshare_t *s, size_t n) {
  td_buf_putc(b, '[');
  for (size_t i = 0; i < n; i++) {
    const char *name = td_group_name(s[i].group);
    td_buf_printf(b, "%s{\"group\":", i ? "," : "");
    if (name) td_json_cstr(b, name);
    else td_buf_printf(b, "\"0x%04x\"", s[i].group);
    td_buf_printf(b, ",\"bytes\":%u}", s[i].bytes);
  }
  td_buf_putc(b, ']');
}

void td_anatomy_json(td_buf_t *b, const tlsdiag_result_t *r) {
  const td_anatomy_t *a = &r->anat;
  rtts_t x = count_rtts(r);
  if (!x.valid) {
    td_buf_puts(b, "null");
    return;
  }
  td_buf_puts(b, "{\"rtt_ms\":");
  if (isfinite(x.rtt_ms)) td_buf_printf(b, "%.3f", x.rtt_ms);
  else td_buf_puts(b, "null");
  td_buf_printf(b, ",\"round_trips\":{\"dns\":%d,\"tcp\":%d,\"tls\":%d,"
                   "\"http\":%d},\"dns_queries\":%d",
                x.dns, x.tcp, x.tls, x.http, r->dns_queries);
  if (x.http) {
    ms_json(b, "ttfb_ms", x.ttfb_ms);
    td_buf_printf(b, ",\"ttfb_rtts\":%d", x.tcp + x.tls + x.http);
    ms_json(b, "server_ms", x.server_ms);
  } else
    td_buf_puts(b, ",\"ttfb_ms\":null,\"ttfb_rtts\":null,\"server_ms\":null");
  td_buf_printf(b, ",\"hello_retry\":%s,\"hello_retry_group\":",
                a->hello_retry ? "true" : "false");
  td_json_cstr(b, a->hello_retry ? td_group_name(a->hrr_group) : NULL);
  td_buf_puts(b, ",\"tickets\":");
  td_buf_printf(b, "%u,\"ticket_lifetime_s\":", a->tickets);
  if (a->ticket_lifetime >= 0) td_buf_printf(b, "%lld", (long long)a->ticket_lifetime);
  else td_buf_puts(b, "null");
  td_buf_puts(b, ",\"resumption\":");
  if (!a->resume_tried) {
    td_buf_puts(b, "null");
  } else {
    td_buf_printf(b, "{\"resumed\":%s,\"psk_mode\":", a->resumed ? "true" : "false");
    td_json_cstr(b, a->psk_mode);
    ms_json(b, "handshake_ms_first", a->hs_ms_first);
    ms_json(b, "handshake_ms_resumed", a->hs_ms_resumed);
    ms_json(b, "saved_ms", a->resumed ? a->hs_ms_first - a->hs_ms_resumed : 0.0);
    td_buf_puts(b, ",\"early_data\":");
    if (a->early_data_tried)
      td_buf_printf(b, "{\"sent\":true,\"accepted\":%s}",
                    a->early_data_accepted ? "true" : "false");
    else
      td_buf_puts(b, "null");
    td_buf_puts(b, ",\"error\":");
    td_json_cstr(b, a->resume_error);
    td_buf_putc(b, '}');
  }
  td_buf_putc(b, '}');
}

typedef struct {
  const char *name;       /* RFC 8446 name */
  const char *label;      /* HKDF label, or NULL */
  const char *keylog;     /* NSS key log label, or NULL */
  const char *derivation;
  const char *protects;   /* comma-separated, or NULL */
} secret_row_t;

/* RFC 8446 7.1, in the order the secrets are derived. */
static const secret_row_t tls13_rows[] = {
    {"early_secret", NULL, NULL,
     "HKDF-Extract(salt=0, IKM=PSK, or zeros without one)", NULL},
    {"client_early_traffic_secret", "c e traffic", "CLIENT_EARLY_TRAFFIC_SECRET",
     "Derive-Secret(early_secret, \"c e traffic\", ClientHello)",
     "0-RTT early data"},
    {"handshake_secret", NULL, NULL,
     "HKDF-Extract(salt=Derive-Secret(early_secret, \"derived\", \"\"), "
     "IKM=(EC)DHE shared secret)",
     NULL},
    {"client_handshake_traffic_secret", "c hs traffic",
     "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
     "Derive-Secret(handshake_secret, \"c hs traffic\", ClientHello..ServerHello)",
     "client Finished"},
    {"server_handshake_traffic_secret", "s hs traffic",
     "SERVER_HANDSHAKE_TRAFFIC_SECRET",
     "Derive-Secret(handshake_secret, \"s hs traffic\", ClientHello..ServerHello)",
     "EncryptedExtensions,Certificate,CertificateVerify,server Finished"},
    {"master_secret", NULL, NULL,
     "HKDF-Extract(salt=Derive-Secret(handshake_secret, \"derived\", \"\"), "
     "IKM=zeros)",
     NULL},
    {"client_application_traffic_secret_0", "c ap traffic",
     "CLIENT_TRAFFIC_SECRET_0",
     "Derive-Secret(master_secret, \"c ap traffic\", ClientHello..server Finished)",
     "HTTP request"},
    {"server_application_traffic_secret_0", "s ap traffic",
     "SERVER_TRAFFIC_SECRET_0",
     "Derive-Secret(master_secret, \"s ap traffic\", ClientHello..server Finished)",
     "HTTP response,NewSessionTicket"},
    {"exporter_master_secret", "exp master", "EXPORTER_SECRET",
     "Derive-Secret(master_secret, \"exp master\", ClientHello..server Finished)",
     NULL},
    {"resumption_master_secret", "res master", NULL,
     "Derive-Secret(master_secret, \"res master\", ClientHello..client Finished)",
     "session tickets (the PSK of a resumption)"},
};

static const td_secret_seen_t *seen(const td_anatomy_t *a, const char *label) {
  for (size_t i = 0; i < a->nsecrets; i++)
    if (!a->secrets[i].resumed_conn && strcmp(a->secrets[i].label, label) == 0)
      return &a->secrets[i];
  return NULL;
}

static void protects_json(td_buf_t *b, const char *csv) {
  td_buf_putc(b, '[');
  int first = 1;
  while (csv && *csv) {
    const char *e = strchr(csv, ',');
    size_t n = e ? (size_t)(e - csv) : strlen(csv);
    if (!first) td_buf_putc(b, ',');
    td_json_str(b, csv, n);
    first = 0;
    csv = e ? e + 1 : NULL;
  }
  td_buf_putc(b, ']');
}

void td_key_schedule_json(td_buf_t *b, const tlsdiag_result_t *r) {
  const td_anatomy_t *a = &r->anat;
  if (r->phase[TLSDIAG_PHASE_TLS].status != TLSDIAG_STATUS_OK || !a->prf_hash) {
    td_buf_puts(b, "null");
    return;
  }
  uint16_t g = a->server_share.group;
  td_buf_puts(b, "{\"version\":");
  td_json_cstr(b, r->tls_version);
  td_buf_puts(b, ",\"cipher_suite\":");
  td_json_cstr(b, r->tls_cipher);
  td_buf_puts(b, ",\"hash\":");
  td_json_cstr(b, a->prf_hash);
  td_buf_printf(b, ",\"hash_bytes\":%u,\"group\":", a->hash_bytes);
  td_json_cstr(b, r->tls_group);
  td_buf_puts(b, ",\"client_key_shares\":");
  shares_json(b, a->offered, a->noffered);
  if (a->hello_retry) {
    td_buf_puts(b, ",\"client_key_shares_after_retry\":");
    shares_json(b, a->offered2, a->noffered2);
  }
  td_buf_puts(b, ",\"server_key_share\":");
  if (g || a->server_share.bytes) shares_json(b, &a->server_share, 1);
  else td_buf_puts(b, "null");
  unsigned ss = premaster_bytes(a);
  if (ss) td_buf_printf(b, ",\"shared_secret_bytes\":%u", ss);
  else td_buf_puts(b, ",\"shared_secret_bytes\":null");
  td_buf_printf(b, ",\"hello_retry\":%s", a->hello_retry ? "true" : "false");

  if (r->tls_version_num == TLSDIAG_TLS1_3) {
    td_buf_puts(b, ",\"secrets\":[");
    int first = 1;
    for (size_t i = 0; i < sizeof(tls13_rows) / sizeof(tls13_rows[0]); i++) {
      const secret_row_t *row = &tls13_rows[i];
      const td_secret_seen_t *s = row->keylog ? seen(a, row->keylog) : NULL;
      /* Early traffic exists only with 0-RTT on this connection. */
      if (!strcmp(row->name, "client_early_traffic_secret") && !s) continue;
      td_buf_puts(b, first ? "{" : ",{");
      first = 0;
      td_buf_puts(b, "\"name\":");
      td_json_cstr(b, row->name);
      td_buf_puts(b, ",\"label\":");
      td_json_cstr(b, row->label);
      td_buf_printf(b, ",\"bytes\":%u,\"derivation\":", s ? s->bytes : a->hash_bytes);
      td_json_cstr(b, row->derivation);
      td_buf_puts(b, ",\"protects\":");
      protects_json(b, row->protects);
      td_buf_puts(b, ",\"keylog_label\":");
      td_json_cstr(b, row->keylog);
      td_buf_printf(b, ",\"observed\":%s}", s ? "true" : "false");
    }
    td_buf_printf(b, "],\"traffic_keys\":{\"key_bytes\":%u,\"iv_bytes\":%u,"
                     "\"derivation\":\"HKDF-Expand-Label(traffic_secret, "
                     "\\\"key\\\" | \\\"iv\\\", \\\"\\\", length)\"}}",
                  a->key_bytes, a->iv_bytes);
    return;
  }
  /* TLS 1.2 and older: one master secret, then a key block (RFC 5246 6.3,
   * RFC 7627 for the extended master secret). */
  const td_secret_seen_t *ms = seen(a, "CLIENT_RANDOM");
  td_buf_printf(b, ",\"extended_master_secret\":%s,\"secrets\":[", a->ems ? "true" : "false");
  td_buf_puts(b, "{\"name\":\"pre_master_secret\",\"label\":null,\"bytes\":");
  if (ss) td_buf_printf(b, "%u", ss);
  else td_buf_puts(b, "null");
  td_buf_puts(b, ",\"derivation\":\"the (EC)DHE shared secret\",\"protects\":[],"
                 "\"keylog_label\":null,\"observed\":false},");
  td_buf_printf(b, "{\"name\":\"master_secret\",\"label\":%s,\"bytes\":%u,"
                   "\"derivation\":%s,\"protects\":[],"
                   "\"keylog_label\":\"CLIENT_RANDOM\",\"observed\":%s},",
                a->ems ? "\"extended master secret\"" : "\"master secret\"",
                ms ? ms->bytes : 48,
                a->ems ? "\"PRF(pre_master_secret, \\\"extended master secret\\\", "
                         "session_hash)\""
                       : "\"PRF(pre_master_secret, \\\"master secret\\\", "
                         "client_random + server_random)\"",
                ms ? "true" : "false");
  unsigned fixed_iv = a->iv_bytes == 12 && a->mac_key_bytes == 0 &&
                              r->tls_cipher && strstr(r->tls_cipher, "GCM")
                          ? 4
                          : a->iv_bytes;
  unsigned block = 2 * (a->mac_key_bytes + a->key_bytes + fixed_iv);
  td_buf_printf(b, "{\"name\":\"key_block\",\"label\":\"key expansion\",\"bytes\":%u,"
                   "\"derivation\":\"PRF(master_secret, \\\"key expansion\\\", "
                   "server_random + client_random)\",\"protects\":[\"HTTP request\","
                   "\"HTTP response\",\"Finished\"],\"keylog_label\":null,"
                   "\"observed\":false}]",
                block);
  td_buf_printf(b, ",\"traffic_keys\":{\"mac_key_bytes\":%u,\"key_bytes\":%u,"
                   "\"iv_bytes\":%u,\"derivation\":\"client and server write "
                   "MAC key, key and IV, cut from key_block in that order\"}}",
                a->mac_key_bytes, a->key_bytes, fixed_iv);
}

/* ---- text --------------------------------------------------------------- */

static void shares_text(td_buf_t *b, const td_keyshare_t *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const char *name = td_group_name(s[i].group);
    if (name) td_buf_printf(b, "%s%s (%u bytes)", i ? ", " : "", name, s[i].bytes);
    else td_buf_printf(b, "%s0x%04x (%u bytes)", i ? ", " : "", s[i].group, s[i].bytes);
  }
  if (!n) td_buf_puts(b, "none");
}

void td_anatomy_text(td_buf_t *b, const tlsdiag_result_t *r, int explain) {
  const td_anatomy_t *a = &r->anat;
  rtts_t x = count_rtts(r);
  if (x.valid) {
    td_buf_puts(b, "\nRound trips\n");
    td_buf_printf(b, "  RTT          %.1f ms (the TCP handshake)\n", x.rtt_ms);
    if (x.dns)
      td_buf_printf(b, "  DNS          %d queries (A and AAAA together): 1 round trip "
                       "to the resolver\n", r->dns_queries);
    td_buf_printf(b, "  phases       DNS %d, TCP %d, TLS %d%s, HTTP %d\n", x.dns,
                  x.tcp, x.tls, a->hello_retry ? " (one more: HelloRetryRequest)" : "",
                  x.http);
    if (x.http)
      td_buf_printf(b, "  first byte   %.1f ms = %d RTT + %.1f ms server time\n",
                    x.ttfb_ms, x.tcp + x.tls + x.http, x.server_ms);
    if (a->hello_retry)
      td_buf_printf(b, "  retry        the server wanted %s, not the shares offered\n",
                    td_group_name(a->hrr_group) ? td_group_name(a->hrr_group) : "another group");
    if (a->resume_tried) {
      if (a->resumed)
        td_buf_printf(b, "  resumption   resumed (%s): handshake %.1f ms, first %.1f ms, "
                         "saved %.1f ms\n",
                      a->psk_mode ? a->psk_mode : "?", a->hs_ms_resumed,
                      a->hs_ms_first, a->hs_ms_first - a->hs_ms_resumed);
      else
        td_buf_printf(b, "  resumption   not resumed%s%s\n",
                      a->resume_error ? ": " : "", a->resume_error ? a->resume_error : "");
      if (a->early_data_tried)
        td_buf_printf(b, "  0-RTT        early data %s\n",
                      a->early_data_accepted ? "accepted" : "rejected");
    }
    if (a->tickets)
      td_buf_printf(b, "  tickets      %u received, lifetime %lld s\n", a->tickets,
                    (long long)a->ticket_lifetime);
  }
  if (!explain || r->phase[TLSDIAG_PHASE_TLS].status != TLSDIAG_STATUS_OK ||
      !a->prf_hash)
    return;
  td_buf_puts(b, "\nKey schedule (lengths only; values are never shown)\n");
  td_buf_printf(b, "  suite        %s, hash %s (%u bytes)\n",
                r->tls_cipher ? r->tls_cipher : "?", a->prf_hash, a->hash_bytes);
  td_buf_puts(b, "  key shares   client offered ");
  shares_text(b, a->offered, a->noffered);
  if (a->hello_retry) {
    td_buf_puts(b, "; after the retry ");
    shares_text(b, a->offered2, a->noffered2);
  }
  td_buf_puts(b, "; server chose ");
  shares_text(b, &a->server_share, a->server_share.group ? 1 : 0);
  td_buf_putc(b, '\n');
  if (r->tls_version_num == TLSDIAG_TLS1_3) {
    for (size_t i = 0; i < sizeof(tls13_rows) / sizeof(tls13_rows[0]); i++) {
      const secret_row_t *row = &tls13_rows[i];
      const td_secret_seen_t *s = row->keylog ? seen(a, row->keylog) : NULL;
      if (!strcmp(row->name, "client_early_traffic_secret") && !s) continue;
      td_buf_printf(b, "  %-36s %2u bytes%s\n", row->name,
                    s ? s->bytes : a->hash_bytes, s ? "  (observed)" : "");
      td_buf_printf(b, "      = %s\n", row->derivation);
      if (row->protects) td_buf_printf(b, "      protects: %s\n", row->protects);
    }
    td_buf_printf(b, "  traffic keys %u-byte key + %u-byte IV per direction, "
                     "HKDF-Expand-Label(secret, \"key\"/\"iv\")\n",
                  a->key_bytes, a->iv_bytes);
  } else {
    td_buf_printf(b, "  pre-master   %u bytes: %s\n", premaster_bytes(a),
                  a->rsa_kx ? "chosen by the client, sent RSA-encrypted"
                            : "the (EC)DHE shared secret");
    td_buf_printf(b, "  master       48 bytes = PRF(pre-master, \"%s\", %s)%s\n",
                  a->ems ? "extended master secret" : "master secret",
                  a->ems ? "session hash" : "client_random + server_random",
                  seen(a, "CLIENT_RANDOM") ? "  (observed)" : "");
    td_buf_printf(b, "  key block    PRF(master, \"key expansion\", server_random + "
                     "client_random) -> MAC key %u, key %u, IV %u bytes per direction\n",
                  a->mac_key_bytes, a->key_bytes, a->iv_bytes);
  }
}

/* ---- findings ------------------------------------------------------------ */

void td_anatomy_classify(tlsdiag_result_t *r) {
  const td_anatomy_t *a = &r->anat;
  if (a->hello_retry) {
    const char *want = td_group_name(a->hrr_group);
    const char *offered[8];
    for (size_t i = 0; i < a->noffered; i++) {
      offered[i] = td_group_name(a->offered[i].group);
      if (!offered[i]) offered[i] = "unknown";
    }
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_TLS_HELLO_RETRY, TLSDIAG_SEVERITY_INFO,
        "the server wanted a key share for %s, which the ClientHello did not "
        "carry: one more round trip",
        want ? want : "another group");
    td_ev_list(f, "offered", offered, a->noffered);
    td_ev_str(f, "requested", want ? want : "unknown");
    td_ev_int(f, "extra_round_trips", 1);
  }
  if (a->resume_tried && !a->resumed) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_TLS_NO_RESUMPTION, TLSDIAG_SEVERITY_INFO,
        "the server did not resume the session (%s): every connection pays "
        "the full handshake",
        a->resume_error ? a->resume_error
                        : a->tickets ? "ticket not accepted" : "no ticket issued");
    td_ev_int(f, "tickets", a->tickets);
    if (a->resume_error) td_ev_str(f, "error", a->resume_error);
  }
}
