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

/* A HelloRetryRequest's key_share holds only the selected group
 * (RFC 8446 4.2.8); one shorter than two bytes names no group. */
static void hrr_selected_group(td_anatomy_t *a, rd_t ks) {
  a->hello_retry = 1;
  unsigned sel = rd_u16(&ks);
  if (!ks.bad) a->hrr_group = (uint16_t)sel;
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
    hrr_selected_group(a, ks);
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
      int found = 0;
      rd_t ks = find_ext(&r, EXT_KEY_SHARE, &found);
      if (found) hrr_selected_group(a, ks);
      else a->hello_retry = 1;
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
    /* From the winning connection's SYN: the attempts that lost the
     * race (race.c) and the delay before it started are not the
     * server's time. */
    x.ttfb_ms = x.rtt_ms + r->phase[TLSDIAG_PHASE_TLS].ms +
                r->phase[TLSDIAG_PHASE_HTTP].ms;
    x.server_ms = x.ttfb_ms - (x.tcp + x.tls + x.http) * x.rtt_ms;
    if (x.server_ms < 0) x.server_ms = 0;
  }
  return x;
}

/* ---- JSON ------------------------------------------------------------------ */

/* A key share: the group's name (or its number, "0x001d") and its size. */
static void shares_json(td_jw_t *w, const char *key, const td_keyshare_t *s,
                        size_t n) {
  td_jw_arr(w, key);
  for (size_t i = 0; i < n; i++) {
    const char *name = td_group_name(s[i].group);
    char num[8];
    snprintf(num, sizeof(num), "0x%04x", s[i].group);
    td_jw_obj(w, NULL);
    td_jw_str(w, "group", name ? name : num);
    td_jw_int(w, "bytes", s[i].bytes);
    td_jw_obj_end(w);
  }
  td_jw_arr_end(w);
}

static void resumption_json(td_jw_t *w, const td_anatomy_t *a) {
  if (!a->resume_tried) {
    td_jw_null(w, "resumption");
    return;
  }
  td_jw_obj(w, "resumption");
  td_jw_bool(w, "resumed", a->resumed);
  td_jw_str(w, "psk_mode", a->psk_mode);
  td_jw_ms(w, "handshake_ms_first", a->hs_ms_first);
  td_jw_ms(w, "handshake_ms_resumed", a->hs_ms_resumed);
  td_jw_ms(w, "saved_ms",
           a->resumed ? a->hs_ms_first - a->hs_ms_resumed : 0.0);
  if (a->early_data_tried) {
    td_jw_obj(w, "early_data");
    td_jw_bool(w, "sent", 1);
    td_jw_bool(w, "accepted", a->early_data_accepted);
    td_jw_obj_end(w);
  } else {
    td_jw_null(w, "early_data");
  }
  td_jw_str(w, "error", a->resume_error);
  td_jw_obj_end(w);
}

void td_anatomy_json(td_jw_t *w, const char *key, const tlsdiag_result_t *r) {
  const td_anatomy_t *a = &r->anat;
  rtts_t x = count_rtts(r);
  if (!x.valid) {
    td_jw_null(w, key);
    return;
  }
  td_jw_obj(w, key);
  td_jw_ms(w, "rtt_ms", x.rtt_ms);
  td_jw_obj(w, "round_trips");
  td_jw_int(w, "dns", x.dns);
  td_jw_int(w, "tcp", x.tcp);
  td_jw_int(w, "tls", x.tls);
  td_jw_int(w, "http", x.http);
  td_jw_obj_end(w);
  td_jw_int(w, "dns_queries", r->dns_queries);
  if (x.http) {
    td_jw_ms(w, "ttfb_ms", x.ttfb_ms);
    td_jw_int(w, "ttfb_rtts", x.tcp + x.tls + x.http);
    td_jw_ms(w, "server_ms", x.server_ms);
  } else {
    td_jw_null(w, "ttfb_ms");
    td_jw_null(w, "ttfb_rtts");
    td_jw_null(w, "server_ms");
  }
  td_jw_bool(w, "hello_retry", a->hello_retry);
  td_jw_str(w, "hello_retry_group",
            a->hello_retry ? td_group_name(a->hrr_group) : NULL);
  td_jw_int(w, "tickets", a->tickets);
  if (a->ticket_lifetime >= 0)
    td_jw_int(w, "ticket_lifetime_s", a->ticket_lifetime);
  else td_jw_null(w, "ticket_lifetime_s");
  resumption_json(w, a);
  td_jw_obj_end(w);
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

/* One secret of the schedule: the same keys for every version. */
static void secret_json(td_jw_t *w, const char *name, const char *label,
                        unsigned bytes, int bytes_known,
                        const char *derivation, const char *protects_csv,
                        const char *keylog, int observed) {
  td_jw_obj(w, NULL);
  td_jw_str(w, "name", name);
  td_jw_str(w, "label", label);
  if (bytes_known) td_jw_int(w, "bytes", bytes);
  else td_jw_null(w, "bytes");
  td_jw_str(w, "derivation", derivation);
  td_jw_arr(w, "protects");
  for (const char *csv = protects_csv; csv && *csv;) {
    const char *e = strchr(csv, ',');
    size_t n = e ? (size_t)(e - csv) : strlen(csv);
    td_jw_strn(w, NULL, csv, n);
    csv = e ? e + 1 : NULL;
  }
  td_jw_arr_end(w);
  td_jw_str(w, "keylog_label", keylog);
  td_jw_bool(w, "observed", observed);
  td_jw_obj_end(w);
}

static void tls13_schedule_json(td_jw_t *w, const td_anatomy_t *a) {
  td_jw_null(w, "extended_master_secret"); /* TLS 1.2 only */
  td_jw_arr(w, "secrets");
  for (size_t i = 0; i < sizeof(tls13_rows) / sizeof(tls13_rows[0]); i++) {
    const secret_row_t *row = &tls13_rows[i];
    const td_secret_seen_t *s = row->keylog ? seen(a, row->keylog) : NULL;
    /* Early traffic exists only with 0-RTT on this connection. */
    if (!strcmp(row->name, "client_early_traffic_secret") && !s) continue;
    secret_json(w, row->name, row->label, s ? s->bytes : a->hash_bytes, 1,
                row->derivation, row->protects, row->keylog, s != NULL);
  }
  td_jw_arr_end(w);
  td_jw_obj(w, "traffic_keys");
  td_jw_null(w, "mac_key_bytes"); /* AEAD only: no MAC key */
  td_jw_int(w, "key_bytes", a->key_bytes);
  td_jw_int(w, "iv_bytes", a->iv_bytes);
  td_jw_str(w, "derivation",
            "HKDF-Expand-Label(traffic_secret, \"key\" | \"iv\", \"\", "
            "length)");
  td_jw_obj_end(w);
}

/* TLS 1.2 and older: one master secret, then a key block (RFC 5246 6.3,
 * RFC 7627 for the extended master secret). */
static void tls12_schedule_json(td_jw_t *w, const tlsdiag_result_t *r,
                                unsigned ss) {
  const td_anatomy_t *a = &r->anat;
  const td_secret_seen_t *ms = seen(a, "CLIENT_RANDOM");
  td_jw_bool(w, "extended_master_secret", a->ems);
  td_jw_arr(w, "secrets");
  secret_json(w, "pre_master_secret", NULL, ss, ss != 0,
              "the (EC)DHE shared secret", NULL, NULL, 0);
  secret_json(w, "master_secret",
              a->ems ? "extended master secret" : "master secret",
              ms ? ms->bytes : 48, 1,
              a->ems ? "PRF(pre_master_secret, \"extended master secret\", "
                       "session_hash)"
                     : "PRF(pre_master_secret, \"master secret\", "
                       "client_random + server_random)",
              NULL, "CLIENT_RANDOM", ms != NULL);
  unsigned fixed_iv = a->iv_bytes == 12 && a->mac_key_bytes == 0 &&
                              r->tls_cipher && strstr(r->tls_cipher, "GCM")
                          ? 4
                          : a->iv_bytes;
  unsigned block = 2 * (a->mac_key_bytes + a->key_bytes + fixed_iv);
  secret_json(w, "key_block", "key expansion", block, 1,
              "PRF(master_secret, \"key expansion\", "
              "server_random + client_random)",
              "HTTP request,HTTP response,Finished", NULL, 0);
  td_jw_arr_end(w);
  td_jw_obj(w, "traffic_keys");
  td_jw_int(w, "mac_key_bytes", a->mac_key_bytes);
  td_jw_int(w, "key_bytes", a->key_bytes);
  td_jw_int(w, "iv_bytes", fixed_iv);
  td_jw_str(w, "derivation", "client and server write MAC key, key and IV, "
                             "cut from key_block in that order");
  td_jw_obj_end(w);
}

void td_key_schedule_json(td_jw_t *w, const char *key,
                          const tlsdiag_result_t *r) {
  const td_anatomy_t *a = &r->anat;
  if (r->phase[TLSDIAG_PHASE_TLS].status != TLSDIAG_STATUS_OK || !a->prf_hash) {
    td_jw_null(w, key);
    return;
  }
  uint16_t g = a->server_share.group;
  td_jw_obj(w, key);
  td_jw_str(w, "version", r->tls_version);
  td_jw_str(w, "cipher_suite", r->tls_cipher);
  td_jw_str(w, "hash", a->prf_hash);
  td_jw_int(w, "hash_bytes", a->hash_bytes);
  td_jw_str(w, "group", r->tls_group);
  shares_json(w, "client_key_shares", a->offered, a->noffered);
  /* every key always present (docs/json-schema.md): null when n/a */
  if (a->hello_retry)
    shares_json(w, "client_key_shares_after_retry", a->offered2, a->noffered2);
  else td_jw_null(w, "client_key_shares_after_retry");
  if (g || a->server_share.bytes)
    shares_json(w, "server_key_share", &a->server_share, 1);
  else td_jw_null(w, "server_key_share");
  unsigned ss = premaster_bytes(a);
  if (ss) td_jw_int(w, "shared_secret_bytes", ss);
  else td_jw_null(w, "shared_secret_bytes");
  td_jw_bool(w, "hello_retry", a->hello_retry);
  if (r->tls_version_num == TLSDIAG_TLS1_3) tls13_schedule_json(w, a);
  else tls12_schedule_json(w, r, ss);
  td_ks_json(w, r);
  td_jw_obj_end(w);
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
  td_ks_text(b, r);
}

/* ---- findings ------------------------------------------------------------ */

void td_anatomy_classify(tlsdiag_result_t *r) {
  const td_anatomy_t *a = &r->anat;
  td_ks_classify(r);
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
