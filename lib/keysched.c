/* keysched.c: the key schedule derived from the connection's own secrets
 * (the values the key log gets) and proven on its captured records: each
 * derived key must open the records it protects, each Finished key must
 * reproduce the peer's verify_data. Values never leave this file: rows
 * carry names, lengths and fingerprints (SHA-256, first 4 bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "keysched.h"

#define KS_MAX_RECS 96
#define KS_MAX_BYTES (512 * 1024)
#define KS_REC_MAX (5 + 16384 + 2048)
#define KS_MAX_SECRETS 8
#define KS_SECRET_MAX 64

typedef struct {
  unsigned char *p;
  size_t n;
  int dir;
  unsigned num; /* 1-based, per direction */
} ks_rec_t;

typedef struct {
  char label[40];
  unsigned char v[KS_SECRET_MAX];
  size_t n;
} ks_secret_t;

typedef struct ks ks_t; /* the proof, from td_ks_capture_done on */

/* Until the handshake completes, the records are kept (the keys cannot be
 * derived before the session says which suite it chose); from then on
 * each record is opened as it completes and its copy dropped at once, and
 * a direction is read no further once its application key opened
 * application data: one record proves a key, and a sweep of 10,000 checks
 * in flight must not hold every response. Memory per check: the
 * handshake's records (a few KB), then one record at a time. */
struct td_kscap {
  int conn, done;
  int dead[2];            /* the stream stopped looking like TLS records */
  int full;               /* the bounds were reached: nothing more kept */
  int stop[2];            /* proven as far as records can: not read on */
  unsigned char hdr[2][5]; /* the header of the record being read */
  size_t hdrn[2];
  unsigned char *part[2]; /* the record being read (when it is kept) */
  size_t partn[2], need[2];
  unsigned num[2];
  ks_rec_t *recs;         /* kept until the handshake completes */
  size_t nrecs, caprecs, bytes;
  ks_secret_t sec[KS_MAX_SECRETS];
  size_t nsec;
  int corrupt_dir; /* test hook: -1 none */
  unsigned corrupt_num;
  ks_t *ks;
  size_t held, peak; /* record bytes now; what cap_held was at most */
};

static const char *const dir_name[2] = {"c2s", "s2c"};

static void ks_record(ks_t *k, const ks_rec_t *rec);
static void ks_after_record(td_kscap_t *cap, int d);
static size_t ks_held(const ks_t *k);

/* Everything the capture holds beyond its own struct. */
static size_t cap_held(const td_kscap_t *k) {
  return k->held + k->caprecs * sizeof(ks_rec_t) + (k->ks ? ks_held(k->ks) : 0);
}

static void cap_peak(td_kscap_t *k) {
  size_t h = cap_held(k);
  if (h > k->peak) k->peak = h;
}

size_t td_ks_capture_held(const td_kscap_t *k) { return k ? cap_held(k) : 0; }
size_t td_ks_capture_peak(const td_kscap_t *k) { return k ? k->peak : 0; }

td_kscap_t *td_ks_capture_new(int conn) {
  td_kscap_t *k = calloc(1, sizeof(*k));
  if (!k) return NULL;
  k->conn = conn;
  k->corrupt_dir = -1;
  const char *t = getenv("TLSDIAG_TEST_CORRUPT_RECORD");
  unsigned num = 0;
  char d[4] = "";
  if (conn == 0 && t && sscanf(t, "%3[a-z2]:%u", d, &num) == 2 && num > 0) {
    if (!strcmp(d, "c2s")) k->corrupt_dir = 0;
    if (!strcmp(d, "s2c")) k->corrupt_dir = 1;
    k->corrupt_num = num;
  }
  return k;
}

static void recs_free(td_kscap_t *k) {
  for (size_t i = 0; i < k->nrecs; i++) {
    gnutls_memset(k->recs[i].p, 0, k->recs[i].n);
    free(k->recs[i].p);
    k->held -= k->recs[i].n;
  }
  free(k->recs);
  k->recs = NULL;
  k->nrecs = k->caprecs = 0;
}

static void ks_free(ks_t *k);

void td_ks_capture_free(td_kscap_t *k) {
  if (!k) return;
  recs_free(k);
  for (int d = 0; d < 2; d++) {
    if (k->part[d]) gnutls_memset(k->part[d], 0, k->need[d]);
    free(k->part[d]);
  }
  ks_free(k->ks);
  gnutls_memset(k->sec, 0, sizeof(k->sec));
  free(k);
}

/* A record header is in: keep the record, or only count it. */
static void record_start(td_kscap_t *k, int d) {
  size_t n = 5 + ((size_t)k->hdr[d][3] << 8 | k->hdr[d][4]);
  k->need[d] = n;
  k->partn[d] = 5;
  /* Past the bounds nothing more is kept, in either direction: a record
   * missing in the middle would shift the sequence numbers of the next
   * ones (and the transcript), which would look like a mismatch. After
   * the handshake a record is held only until it is opened. */
  if (!k->full && !k->ks &&
      (k->nrecs >= KS_MAX_RECS || k->bytes + n > KS_MAX_BYTES))
    k->full = 1;
  if (k->full) return;
  if (!(k->part[d] = malloc(n))) {
    k->full = 1;
    return;
  }
  memcpy(k->part[d], k->hdr[d], 5);
  k->held += n;
}

static void record_done(td_kscap_t *k, int d) {
  unsigned char *p = k->part[d];
  size_t n = k->need[d];
  unsigned num = ++k->num[d];
  k->part[d] = NULL;
  k->hdrn[d] = k->partn[d] = 0;
  if (!p) return;
  cap_peak(k);
  if (d == k->corrupt_dir && num == k->corrupt_num && n > 5)
    p[n - 1] ^= 0x01; /* the copy only: GnuTLS read the real bytes */
  ks_rec_t r = {p, n, d, num};
  if (k->ks) { /* open it now, then drop it */
    ks_record(k->ks, &r);
    gnutls_memset(p, 0, n);
    free(p);
    k->held -= n;
    ks_after_record(k, d);
    return;
  }
  if (k->nrecs == k->caprecs) {
    size_t c = k->caprecs ? 2 * k->caprecs : 16;
    ks_rec_t *nr = realloc(k->recs, c * sizeof(*nr));
    if (!nr) {
      gnutls_memset(p, 0, n);
      free(p);
      k->held -= n;
      k->full = 1;
      return;
    }
    k->recs = nr;
    k->caprecs = c;
  }
  k->recs[k->nrecs++] = r;
  k->bytes += n;
}

void td_ks_capture_bytes(td_kscap_t *k, int d, const void *data, size_t n) {
  const unsigned char *p = data;
  if (!k || d < 0 || d > 1 || k->dead[d] || k->stop[d]) return;
  while (n && !k->stop[d]) {
    if (k->hdrn[d] < 5) {
      size_t take = 5 - k->hdrn[d] < n ? 5 - k->hdrn[d] : n;
      memcpy(k->hdr[d] + k->hdrn[d], p, take);
      k->hdrn[d] += take;
      p += take;
      n -= take;
      if (k->hdrn[d] < 5) break;
      if (5 + ((size_t)k->hdr[d][3] << 8 | k->hdr[d][4]) > KS_REC_MAX) {
        k->dead[d] = 1;
        break;
      }
      record_start(k, d);
    } else {
      size_t take = k->need[d] - k->partn[d] < n ? k->need[d] - k->partn[d] : n;
      if (k->part[d]) memcpy(k->part[d] + k->partn[d], p, take);
      k->partn[d] += take;
      p += take;
      n -= take;
    }
    if (k->partn[d] == k->need[d]) record_done(k, d);
  }
  cap_peak(k);
}

void td_ks_capture_secret(td_kscap_t *k, const char *label,
                          const unsigned char *v, size_t n) {
  if (!k || !label || n > KS_SECRET_MAX || k->nsec >= KS_MAX_SECRETS) return;
  ks_secret_t *s = &k->sec[k->nsec++];
  snprintf(s->label, sizeof(s->label), "%s", label);
  memcpy(s->v, v, n);
  s->n = n;
}

static const ks_secret_t *secret(const td_kscap_t *k, const char *label) {
  for (size_t i = 0; i < k->nsec; i++)
    if (!strcmp(k->sec[i].label, label)) return &k->sec[i];
  return NULL;
}

/* ---- rows --------------------------------------------------------------- */

static void fingerprint(const unsigned char *v, size_t n, char out[9]) {
  unsigned char h[32];
  static const char hex[] = "0123456789abcdef";
  gnutls_hash_fast(GNUTLS_DIG_SHA256, v, n, h);
  for (int i = 0; i < 4; i++) {
    out[2 * i] = hex[h[i] >> 4];
    out[2 * i + 1] = hex[h[i] & 15];
  }
  out[8] = '\0';
}

/* Appends a row (ok -1: nothing proved it yet); its index, or -1. */
static long add_row(tlsdiag_result_t *r, int conn, const char *name,
                    const char *from, const char *label,
                    const unsigned char *v, size_t n) {
  td_anatomy_t *a = &r->anat;
  td_ks_row_t *rows = realloc(a->ks_rows, (a->nks_rows + 1) * sizeof(*rows));
  if (!rows) return -1;
  a->ks_rows = rows;
  td_ks_row_t *w = &rows[a->nks_rows];
  memset(w, 0, sizeof(*w));
  w->name = name;
  w->derived_from = from;
  w->label = label;
  w->length = (unsigned)n;
  if (v) fingerprint(v, n, w->fingerprint); /* else known later */
  w->ok = -1;
  w->conn = conn;
  return (long)a->nks_rows++;
}

static td_ks_row_t *row_at(tlsdiag_result_t *r, long i) {
  return i >= 0 ? &r->anat.ks_rows[i] : NULL;
}

static void row_set(tlsdiag_result_t *r, long i, int ok, const char *by) {
  td_ks_row_t *w = row_at(r, i);
  if (!w) return;
  w->ok = ok;
  snprintf(w->proven_by, sizeof(w->proven_by), "%s", by);
}

/* ok of a value proven through the values derived from it. */
static void row_from_children(tlsdiag_result_t *r, long i, const long *kids,
                              size_t n, const char *by) {
  int ok = -1;
  for (size_t j = 0; j < n; j++) {
    const td_ks_row_t *c = row_at(r, kids[j]);
    if (!c || c->ok < 0) continue;
    if (c->ok == 0) ok = 0;
    else if (ok < 0) ok = 1;
  }
  row_set(r, i, ok, ok < 0 ? "not proven: no record it protects was "
                             "captured" : by);
}

/* ---- derivation ----------------------------------------------------------- */

/* RFC 8446 7.1: HKDF-Expand-Label(secret, label, "", len). */
static int expand_label(gnutls_mac_algorithm_t mac, const ks_secret_t *s,
                        const char *label, unsigned char *out, size_t len) {
  unsigned char info[2 + 1 + 6 + 32 + 1];
  size_t ll = strlen(label);
  if (ll > 32) return -1;
  info[0] = (unsigned char)(len >> 8);
  info[1] = (unsigned char)len;
  info[2] = (unsigned char)(6 + ll);
  memcpy(info + 3, "tls13 ", 6);
  memcpy(info + 9, label, ll);
  info[9 + ll] = 0;
  gnutls_datum_t key = {(unsigned char *)s->v, (unsigned)s->n};
  gnutls_datum_t in = {info, (unsigned)(10 + ll)};
  return gnutls_hkdf_expand(mac, &key, &in, out, len);
}

/* RFC 5246 5: PRF(secret, label, seed) = P_hash(secret, label + seed). */
static int prf12(gnutls_mac_algorithm_t mac, const unsigned char *sec,
                 size_t slen, const char *label, const unsigned char *seed,
                 size_t seedlen, unsigned char *out, size_t len) {
  unsigned char ls[64 + 128], a[64 + 64 + 128], h[64];
  size_t hl = gnutls_hmac_get_len(mac), ll = strlen(label);
  if (ll + seedlen > 128 || hl == 0 || hl > 64) return -1;
  memcpy(ls, label, ll);
  memcpy(ls + ll, seed, seedlen);
  size_t lsn = ll + seedlen;
  /* A(1) = HMAC(secret, label + seed) */
  if (gnutls_hmac_fast(mac, sec, slen, ls, lsn, a) < 0) return -1;
  for (size_t off = 0; off < len; off += hl) {
    memcpy(a + hl, ls, lsn);
    if (gnutls_hmac_fast(mac, sec, slen, a, hl + lsn, h) < 0) return -1;
    memcpy(out + off, h, len - off < hl ? len - off : hl);
    if (gnutls_hmac_fast(mac, sec, slen, a, hl, a) < 0) return -1;
  }
  gnutls_memset(a, 0, sizeof(a));
  gnutls_memset(h, 0, sizeof(h));
  return 0;
}

/* ---- one direction's keys ------------------------------------------------ */

/* How a record's nonce is made. */
typedef enum { NONCE_XOR, NONCE_EXPLICIT } nonce_t;

typedef struct {
  const char *what;      /* "server handshake" */
  int have;
  unsigned char key[32], iv[12];
  size_t klen, ivlen;
  unsigned char fin[64]; /* TLS 1.3 finished key */
  size_t finlen;
  uint64_t seq;
  int state;             /* -1 no record yet, 1 opened, 0 failed */
  unsigned first, last, failed_at;
  char seen[160];        /* what the records held */
  long row_secret, row_key, row_iv, row_fin;
  const char *data_name; /* its application data: "HTTP request" */
} epoch_t;

struct ks {
  tlsdiag_result_t *r;
  int conn, tls13;
  int derived;          /* keys derived: the rows are written at the end */
  int appdata[2];       /* application data opened after the handshake */
  size_t hscap[2];      /* bytes allocated for hs[] */
  gnutls_cipher_algorithm_t cipher;
  gnutls_mac_algorithm_t mac;
  gnutls_digest_algorithm_t dig;
  size_t tag, hash_len;
  nonce_t nonce;
  td_buf_t transcript, tnames;
  int hrr_done, hs_done, fin_seen[2];
  unsigned broken;      /* a handshake record that did not open: the
                           transcript after it is incomplete */
  int broken_dir;
  unsigned char *hs[2]; /* handshake message reassembly */
  size_t hsn[2];
  int cur[2];           /* epoch index per direction, -1 plaintext */
  int enc12[2];         /* TLS 1.2: after ChangeCipherSpec */
  int dead[2];
  epoch_t ep[5];
  /* TLS 1.2 */
  unsigned char master[48];
  size_t master_len;
  long row_cvd, row_svd, row_ms, row_kb;
};

static size_t ks_held(const ks_t *k) {
  return sizeof(*k) + k->transcript.cap + k->tnames.cap + k->hscap[0] +
         k->hscap[1];
}

/* Nothing more will be opened: the keys and the transcript go. The
 * epochs' findings (states, record numbers, what they held) stay for the
 * rows. */
static void ks_release(ks_t *k) {
  for (size_t i = 0; i < sizeof(k->ep) / sizeof(k->ep[0]); i++) {
    epoch_t *e = &k->ep[i];
    gnutls_memset(e->key, 0, sizeof(e->key));
    gnutls_memset(e->iv, 0, sizeof(e->iv));
    gnutls_memset(e->fin, 0, sizeof(e->fin));
  }
  gnutls_memset(k->master, 0, sizeof(k->master));
  if (k->transcript.data) gnutls_memset(k->transcript.data, 0, k->transcript.len);
  td_buf_free(&k->transcript);
  td_buf_free(&k->tnames);
  td_buf_init(&k->transcript);
  td_buf_init(&k->tnames);
  for (int d = 0; d < 2; d++) {
    if (k->hs[d]) gnutls_memset(k->hs[d], 0, k->hsn[d]);
    free(k->hs[d]);
    k->hs[d] = NULL;
    k->hsn[d] = k->hscap[d] = 0;
  }
}

static void ks_free(ks_t *k) {
  if (!k) return;
  ks_release(k);
  free(k);
}

enum { EP_CE, EP_CHS, EP_SHS, EP_CAP, EP_SAP }; /* TLS 1.3 */
enum { EP12_C = 0, EP12_S = 1 };                 /* TLS 1.2 */

static void seen_add(epoch_t *e, const char *what) {
  size_t n = strlen(e->seen);
  if (n + strlen(what) + 3 >= sizeof(e->seen)) {
    if (n + 5 < sizeof(e->seen) && strcmp(e->seen + n - 3, "...") != 0)
      strcat(e->seen, ", ...");
    return;
  }
  if (n) strcat(e->seen, ", ");
  strcat(e->seen, what);
}

static int aead_open(ks_t *k, epoch_t *e, const unsigned char *rec, size_t n,
                     unsigned char *out, size_t *outlen) {
  unsigned char nonce[12], aad[13];
  const unsigned char *ct = rec + 5;
  size_t ctn = n - 5, aadn = 5;
  if (n < 5 + k->tag) return -1;
  if (k->nonce == NONCE_EXPLICIT) {
    if (ctn < 8 + k->tag || e->ivlen != 4) return -1;
    memcpy(nonce, e->iv, 4);
    memcpy(nonce + 4, ct, 8);
    ct += 8;
    ctn -= 8;
  } else {
    if (e->ivlen != 12) return -1;
    memcpy(nonce, e->iv, 12);
    for (int i = 0; i < 8; i++)
      nonce[4 + i] ^= (unsigned char)(e->seq >> (56 - 8 * i));
  }
  if (k->tls13) {
    memcpy(aad, rec, 5);
  } else { /* seq, type, version, plaintext length */
    for (int i = 0; i < 8; i++) aad[i] = (unsigned char)(e->seq >> (56 - 8 * i));
    aad[8] = rec[0];
    aad[9] = rec[1];
    aad[10] = rec[2];
    aad[11] = (unsigned char)((ctn - k->tag) >> 8);
    aad[12] = (unsigned char)(ctn - k->tag);
    aadn = 13;
  }
  gnutls_aead_cipher_hd_t h;
  gnutls_datum_t key = {e->key, (unsigned)e->klen};
  if (gnutls_aead_cipher_init(&h, k->cipher, &key) < 0) return -1;
  *outlen = ctn;
  int rc = gnutls_aead_cipher_decrypt(h, nonce, sizeof(nonce), aad, aadn,
                                      k->tag, ct, ctn, out, outlen);
  gnutls_aead_cipher_deinit(h);
  return rc < 0 ? -1 : 0;
}

static const char *hs_name(unsigned t, int hrr) {
  switch (t) {
  case 0: return "HelloRequest";
  case 1: return "ClientHello";
  case 2: return hrr ? "HelloRetryRequest" : "ServerHello";
  case 4: return "NewSessionTicket";
  case 5: return "EndOfEarlyData";
  case 8: return "EncryptedExtensions";
  case 11: return "Certificate";
  case 12: return "ServerKeyExchange";
  case 13: return "CertificateRequest";
  case 14: return "ServerHelloDone";
  case 15: return "CertificateVerify";
  case 16: return "ClientKeyExchange";
  case 20: return "Finished";
  case 22: return "CertificateStatus";
  case 24: return "KeyUpdate";
  }
  return "handshake message";
}

static const unsigned char hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
    0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
    0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

static void transcript_add(ks_t *k, const unsigned char *m, size_t n,
                           const char *name) {
  td_buf_append(&k->transcript, m, n);
  td_buf_printf(&k->tnames, "%s%s", k->tnames.len ? ", " : "", name);
}

/* A Finished message: verify_data against the one we compute. */
static void finished(ks_t *k, int d, const unsigned char *m, size_t n,
                     epoch_t *e, unsigned recnum) {
  unsigned char th[64], want[64];
  size_t wl = 0;
  int ok = 0;
  gnutls_hash_fast(k->dig, k->transcript.data, k->transcript.len, th);
  if (k->tls13) {
    if (e && e->have && gnutls_hmac_fast(k->mac, e->fin, e->finlen, th,
                                         k->hash_len, want) == 0)
      wl = k->hash_len;
  } else if (k->master_len &&
             prf12(k->mac, k->master, k->master_len,
                   d ? "server finished" : "client finished", th,
                   k->hash_len, want, 12) == 0) {
    wl = 12;
  }
  if (wl == 0) return;
  long ri = k->tls13 ? (e ? e->row_fin : -1) : d ? k->row_svd : k->row_cvd;
  char by[TD_KS_PROVEN_MAX];
  if (k->broken) {
    snprintf(by, sizeof(by),
             "not proven: the transcript is incomplete (%s record %u did not "
             "open)", dir_name[k->broken_dir], k->broken);
    row_set(k->r, ri, -1, by);
    return;
  }
  ok = n == 4 + wl && gnutls_memcmp(m + 4, want, wl) == 0;
  const char *who = d ? "server" : "client";
  if (ok)
    snprintf(by, sizeof(by),
             "%s record %u: the %s Finished verify_data = %s(%s, %s(%s))",
             dir_name[d], recnum, who, k->tls13 ? "HMAC" : "PRF",
             k->tls13 ? "finished_key" : "master_secret",
             gnutls_digest_get_name(k->dig), k->tnames.data);
  else
    snprintf(by, sizeof(by),
             "%s record %u: the %s Finished verify_data differs from the one "
             "computed over %s(%s)",
             dir_name[d], recnum, who, gnutls_digest_get_name(k->dig),
             k->tnames.data);
  row_set(k->r, ri, ok, by);
  if (!k->tls13 && ri >= 0) /* verify_data exists once the transcript does */
    fingerprint(want, wl, row_at(k->r, ri)->fingerprint);
  gnutls_memset(want, 0, sizeof(want));
}

/* One whole handshake message, in the order the connection saw it. */
static void hs_message(ks_t *k, int d, const unsigned char *m, size_t n,
                       unsigned recnum) {
  unsigned t = m[0];
  int hrr = t == 2 && n >= 4 + 2 + 32 && !memcmp(m + 6, hrr_random, 32);
  epoch_t *e = k->cur[d] >= 0 ? &k->ep[k->cur[d]] : NULL;
  if (e) seen_add(e, hs_name(t, hrr));
  /* post-handshake messages are not in the transcript (a TLS 1.2
   * NewSessionTicket is part of the handshake) */
  if (k->hs_done || t == 0 || (k->tls13 && (t == 4 || t == 24))) return;
  if (hrr && k->tls13 && !k->hrr_done) {
    /* RFC 8446 4.4.1: ClientHello1 is replaced by message_hash. */
    unsigned char h[4 + 64];
    h[0] = 254;
    h[1] = 0;
    h[2] = 0;
    h[3] = (unsigned char)k->hash_len;
    gnutls_hash_fast(k->dig, k->transcript.data, k->transcript.len, h + 4);
    k->transcript.len = 0;
    k->tnames.len = 0;
    if (k->tnames.data) k->tnames.data[0] = '\0';
    transcript_add(k, h, 4 + k->hash_len, "message_hash(ClientHello1)");
    k->hrr_done = 1;
  }
  if (t == 20) {
    finished(k, d, m, n, k->tls13 ? e : NULL, recnum);
    transcript_add(k, m, n, d ? "server Finished" : "client Finished");
    if (k->tls13) k->cur[d] = d ? EP_SAP : EP_CAP;
    k->fin_seen[d] = 1;
    k->hs_done = k->fin_seen[0] && k->fin_seen[1];
    return;
  }
  if (t == 5 && k->tls13 && !d) k->cur[0] = EP_CHS;
  transcript_add(k, m, n, hs_name(t, hrr));
}

static void hs_bytes(ks_t *k, int d, const unsigned char *p, size_t n,
                     unsigned recnum) {
  if (!n) return;
  unsigned char *nb = realloc(k->hs[d], k->hsn[d] + n);
  if (!nb) {
    k->dead[d] = 1;
    return;
  }
  k->hs[d] = nb;
  if (k->hsn[d] + n > k->hscap[d]) k->hscap[d] = k->hsn[d] + n;
  memcpy(nb + k->hsn[d], p, n);
  k->hsn[d] += n;
  size_t off = 0;
  while (k->hsn[d] - off >= 4) {
    size_t l = (size_t)nb[off + 1] << 16 | (size_t)nb[off + 2] << 8 | nb[off + 3];
    if (k->hsn[d] - off < 4 + l) break;
    hs_message(k, d, nb + off, 4 + l, recnum);
    off += 4 + l;
  }
  memmove(nb, nb + off, k->hsn[d] - off);
  k->hsn[d] -= off;
}

static void epoch_fail(ks_t *k, int d, epoch_t *e, unsigned recnum) {
  e->state = 0;
  e->failed_at = recnum;
  k->dead[d] = 1;
  if (!k->hs_done && !k->broken) {
    k->broken = recnum;
    k->broken_dir = d;
  }
}

/* An encrypted record of direction d. */
static void open_record(ks_t *k, const ks_rec_t *rec) {
  int d = rec->dir;
  if (k->cur[d] < 0) return;
  epoch_t *e = &k->ep[k->cur[d]];
  unsigned char *pt = malloc(rec->n);
  size_t pn = 0;
  if (!pt) {
    k->dead[d] = 1;
    return;
  }
  int rc = e->have ? aead_open(k, e, rec->p, rec->n, pt, &pn) : -1;
  if (rc < 0 && k->tls13 && k->cur[d] == EP_CE && k->ep[EP_CHS].have) {
    /* Early data ends without EndOfEarlyData when the server rejected
     * it: the client's next record is under its handshake key. */
    epoch_t *h = &k->ep[EP_CHS];
    if (aead_open(k, h, rec->p, rec->n, pt, &pn) == 0) {
      k->cur[d] = EP_CHS;
      e = h;
      rc = 0;
    }
  }
  if (rc < 0) {
    if (e->have) epoch_fail(k, d, e, rec->num);
    else k->dead[d] = 1;
    goto out;
  }
  e->seq++;
  if (e->state < 0) {
    e->state = 1;
    e->first = rec->num;
  }
  e->last = rec->num;
  unsigned type = rec->p[0];
  if (k->tls13) { /* TLSInnerPlaintext: content, type, zeros */
    while (pn && pt[pn - 1] == 0) pn--;
    if (!pn) goto out;
    type = pt[--pn];
  }
  if (type == 22) {
    hs_bytes(k, d, pt, pn, rec->num);
  } else if (type == 23) {
    if (k->hs_done) k->appdata[d] = 1;
    char what[64];
    snprintf(what, sizeof(what), "%s (%zu bytes)",
             e->data_name ? e->data_name : "application data", pn);
    seen_add(e, what);
  } else if (type == 21) {
    seen_add(e, "alert");
  }
out:
  gnutls_memset(pt, 0, rec->n);
  free(pt);
}

/* One record, in the order the connection saw it. */
static void ks_record(ks_t *k, const ks_rec_t *rec) {
  int d = rec->dir;
  unsigned type = rec->p[0];
  if (k->dead[d]) return;
  if (k->tls13) {
    if (type == 20) return; /* middlebox-compatibility CCS */
    if (type == 23 && k->cur[d] < 0)
      k->cur[d] = d ? EP_SHS : k->ep[EP_CE].have ? EP_CE : EP_CHS;
    if (type == 23) open_record(k, rec);
    else if (type == 22 && k->cur[d] < 0)
      hs_bytes(k, d, rec->p + 5, rec->n - 5, rec->num);
    return;
  }
  if (type == 20) {
    k->cur[d] = d ? EP12_S : EP12_C;
    return;
  }
  if (k->cur[d] >= 0) open_record(k, rec);
  else if (type == 22) hs_bytes(k, d, rec->p + 5, rec->n - 5, rec->num);
}

/* A direction whose application key opened application data, or that
 * stopped opening, is read no further; with both, the proof is as far as
 * records can take it and its keys and transcript are released. */
static void cap_stop(td_kscap_t *cap, int d) {
  cap->stop[d] = 1;
  if (cap->part[d]) { /* a record half read when the handshake ended */
    gnutls_memset(cap->part[d], 0, cap->need[d]);
    free(cap->part[d]);
    cap->part[d] = NULL;
    cap->held -= cap->need[d];
  }
}

static void ks_after_record(td_kscap_t *cap, int d) {
  ks_t *k = cap->ks;
  if (!k->dead[d] && !k->appdata[d]) return;
  cap_stop(cap, d);
  if (cap->stop[0] && cap->stop[1]) ks_release(k);
}

/* The key and IV rows of an epoch, from what its records showed. */
static void epoch_rows(ks_t *k, int d, epoch_t *e) {
  char by[TD_KS_PROVEN_MAX];
  int ok = e->state;
  if (!e->have) return;
  if (ok == 1 && e->first == e->last)
    snprintf(by, sizeof(by), "%s record %u opened (AEAD tag verified): %s",
             dir_name[d], e->first, e->seen);
  else if (ok == 1)
    snprintf(by, sizeof(by), "%s records %u-%u opened (AEAD tags verified): %s",
             dir_name[d], e->first, e->last, e->seen);
  else if (ok == 0)
    snprintf(by, sizeof(by),
             "%s record %u did not open: its AEAD tag does not verify under "
             "the %s key and IV",
             dir_name[d], e->failed_at, e->what);
  else if (e->data_name && !strncmp(e->data_name, "early", 5))
    snprintf(by, sizeof(by), "not proven: no early data was sent");
  else
    snprintf(by, sizeof(by), "not proven: no %s record was captured", e->what);
  row_set(k->r, e->row_key, ok, by);
  row_set(k->r, e->row_iv, ok, by);
}

/* ---- TLS 1.3 ------------------------------------------------------------ */

typedef struct {
  const char *secret_row, *keylog, *hkdf_label, *what;
  const char *key_row, *iv_row, *fin_row, *data_name;
  int dir;
} ep_def_t;

static const ep_def_t ep13[] = {
    [EP_CE] = {"client_early_traffic_secret", "CLIENT_EARLY_TRAFFIC_SECRET",
               "c e traffic", "client early", "client_early_write_key",
               "client_early_write_iv", NULL, "early data: HTTP request", 0},
    [EP_CHS] = {"client_handshake_traffic_secret",
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "c hs traffic",
                "client handshake", "client_handshake_write_key",
                "client_handshake_write_iv", "client_finished_key", NULL, 0},
    [EP_SHS] = {"server_handshake_traffic_secret",
                "SERVER_HANDSHAKE_TRAFFIC_SECRET", "s hs traffic",
                "server handshake", "server_handshake_write_key",
                "server_handshake_write_iv", "server_finished_key", NULL, 1},
    [EP_CAP] = {"client_application_traffic_secret_0",
                "CLIENT_TRAFFIC_SECRET_0", "c ap traffic", "client application",
                "client_application_write_key", "client_application_write_iv",
                NULL, "HTTP request", 0},
    [EP_SAP] = {"server_application_traffic_secret_0",
                "SERVER_TRAFFIC_SECRET_0", "s ap traffic", "server application",
                "server_application_write_key", "server_application_write_iv",
                NULL, "HTTP response", 1},
};

static const char *secret_from(int ep, int conn) {
  if (ep == EP_CE) return "early_secret = HKDF-Extract(0, PSK from the ticket)";
  if (ep == EP_CHS || ep == EP_SHS)
    return conn ? "handshake_secret (PSK branch: its early_secret = "
                  "HKDF-Extract(0, PSK from the ticket))"
                : "handshake_secret (early_secret without a PSK)";
  return "master_secret";
}

static void derive13(ks_t *k, const td_kscap_t *cap) {
  gnutls_cipher_algorithm_t c = k->cipher;
  size_t klen = (size_t)gnutls_cipher_get_key_size(c);
  for (int i = 0; i <= EP_SAP; i++) {
    const ep_def_t *def = &ep13[i];
    epoch_t *e = &k->ep[i];
    e->what = def->what;
    e->data_name = def->data_name;
    e->state = -1;
    e->row_secret = e->row_key = e->row_iv = e->row_fin = -1;
    const ks_secret_t *s = secret(cap, def->keylog);
    if (!s || s->n != k->hash_len || klen > sizeof(e->key)) continue;
    e->klen = klen;
    e->ivlen = 12;
    if (expand_label(k->mac, s, "key", e->key, e->klen) < 0 ||
        expand_label(k->mac, s, "iv", e->iv, e->ivlen) < 0)
      continue;
    e->have = 1;
    e->row_secret = add_row(k->r, k->conn, def->secret_row,
                            secret_from(i, k->conn), def->hkdf_label, s->v, s->n);
    e->row_key = add_row(k->r, k->conn, def->key_row, def->secret_row, "key",
                         e->key, e->klen);
    e->row_iv = add_row(k->r, k->conn, def->iv_row, def->secret_row, "iv",
                        e->iv, e->ivlen);
    if (def->fin_row) {
      e->finlen = k->hash_len;
      if (expand_label(k->mac, s, "finished", e->fin, e->finlen) == 0)
        e->row_fin = add_row(k->r, k->conn, def->fin_row, def->secret_row,
                             "finished", e->fin, e->finlen);
    }
  }
  k->derived = 1;
}

/* The rows, from what the records showed. */
static void rows13(ks_t *k) {
  for (int i = 0; i <= EP_SAP; i++) {
    epoch_t *e = &k->ep[i];
    if (!e->have) continue;
    epoch_rows(k, ep13[i].dir, e);
    if (e->row_fin >= 0 && !row_at(k->r, e->row_fin)->proven_by[0])
      row_set(k->r, e->row_fin, -1,
              "not proven: the Finished message was not captured");
    long kids[3] = {e->row_key, e->row_iv, e->row_fin};
    row_from_children(k->r, e->row_secret, kids, 3,
                      "through the keys derived from it");
  }
}

/* ---- TLS 1.2 ------------------------------------------------------------ */

static const char *note12_resumed =
    "GnuTLS calls the key log only when it derives a master secret: a "
    "resumed TLS 1.2 session takes it from the ticket, so no secret of "
    "this connection is exposed and nothing can be derived";

static void derive12(ks_t *k, const td_kscap_t *cap, gnutls_session_t s) {
  const ks_secret_t *ms = secret(cap, "CLIENT_RANDOM");
  if (!ms || ms->n != 48) {
    if (gnutls_session_is_resumed(s))
      k->r->anat.ks_note[k->conn ? 1 : 0] = note12_resumed;
    return;
  }
  memcpy(k->master, ms->v, 48);
  k->master_len = 48;
  gnutls_datum_t cr, sr;
  gnutls_session_get_random(s, &cr, &sr);
  if (cr.size != 32 || sr.size != 32) return;
  int ems = (gnutls_session_get_flags(s) & GNUTLS_SFLAGS_EXT_MASTER_SECRET) != 0;
  k->row_ms = add_row(k->r, k->conn, "master_secret",
                        "pre_master_secret (not exposed by GnuTLS: taken from "
                        "the key log's CLIENT_RANDOM line)",
                        ems ? "extended master secret" : "master secret",
                        ms->v, 48);
  k->row_cvd = k->row_svd = -1;
  size_t klen = (size_t)gnutls_cipher_get_key_size(k->cipher);
  size_t ivlen = k->nonce == NONCE_EXPLICIT ? 4 : 12;
  unsigned char seed[64], block[2 * (32 + 12)];
  memcpy(seed, sr.data, 32);
  memcpy(seed + 32, cr.data, 32);
  size_t blen = 2 * (klen + ivlen);
  if (klen > 32 || prf12(k->mac, k->master, 48, "key expansion", seed, 64,
                         block, blen) < 0)
    return;
  k->row_kb = add_row(k->r, k->conn, "key_block", "master_secret",
                        "key expansion", block, blen);
  /* AEAD suites: no MAC keys; client key, server key, client IV, server
   * IV, in that order (RFC 5246 6.3). */
  static const char *const names[2][2] = {
      {"client_write_key", "client_write_iv"},
      {"server_write_key", "server_write_iv"}};
  for (int d = 0; d < 2; d++) {
    epoch_t *e = &k->ep[d];
    e->what = d ? "server write" : "client write";
    e->data_name = d ? "HTTP response" : "HTTP request";
    e->state = -1;
    e->klen = klen;
    e->ivlen = ivlen;
    memcpy(e->key, block + (size_t)d * klen, klen);
    memcpy(e->iv, block + 2 * klen + (size_t)d * ivlen, ivlen);
    e->have = 1;
    e->row_secret = e->row_fin = -1;
    e->row_key = add_row(k->r, k->conn, names[d][0], "key_block", NULL, e->key,
                         klen);
    e->row_iv = add_row(k->r, k->conn, names[d][1], "key_block", NULL, e->iv,
                        ivlen);
  }
  gnutls_memset(block, 0, sizeof(block));
  k->row_cvd = add_row(k->r, k->conn, "client_verify_data", "master_secret",
                       "client finished", NULL, 12);
  k->row_svd = add_row(k->r, k->conn, "server_verify_data", "master_secret",
                       "server finished", NULL, 12);
  k->derived = 1;
}

static void rows12(ks_t *k) {
  long kids[6];
  size_t nk = 0;
  for (int d = 0; d < 2; d++) {
    epoch_rows(k, d, &k->ep[d]);
    kids[nk++] = k->ep[d].row_key;
    kids[nk++] = k->ep[d].row_iv;
  }
  row_from_children(k->r, k->row_kb, kids, nk, "through the write keys and IVs cut "
                                            "from it");
  long vds[2] = {k->row_cvd, k->row_svd};
  for (int i = 0; i < 2; i++)
    if (row_at(k->r, vds[i]) && !row_at(k->r, vds[i])->proven_by[0])
      row_set(k->r, vds[i], -1, "not proven: the Finished message was not "
                                "captured");
  row_from_children(k->r, k->row_ms, vds, 2, "through both Finished messages' "
                                          "verify_data");
}

/* ---- the whole ---------------------------------------------------------- */

static const char *note13 =
    "GnuTLS hands out the traffic secrets (the key log's values), not the "
    "(EC)DHE shared secret, early_secret, handshake_secret or master_secret: "
    "the traffic secrets are taken as given and proven through the keys "
    "derived from them; the resumption_master_secret (so the PSK binder) "
    "is not exposed either";
static const char *note12 =
    "GnuTLS exposes the master secret (the key log's CLIENT_RANDOM line), "
    "not the pre-master secret: the (EC)DHE step and the master secret's "
    "own PRF cannot be recomputed; the master secret is proven through "
    "both Finished messages and the key block through the records";

void td_ks_capture_done(td_kscap_t *cap, gnutls_session_t s,
                        tlsdiag_result_t *r) {
  if (!cap || cap->done || !s || !r) return;
  cap->done = 1;
  ks_t *k = calloc(1, sizeof(*k));
  if (!k) {
    cap_stop(cap, 0);
    cap_stop(cap, 1);
    recs_free(cap);
    return;
  }
  k->r = r;
  k->conn = cap->conn;
  k->cur[0] = k->cur[1] = -1;
  k->row_ms = k->row_kb = -1;
  gnutls_protocol_t v = gnutls_protocol_get_version(s);
  k->tls13 = v == GNUTLS_TLS1_3;
  k->cipher = gnutls_cipher_get(s);
  k->dig = gnutls_prf_hash_get(s);
  k->mac = k->dig == GNUTLS_DIG_SHA384 ? GNUTLS_MAC_SHA384 : GNUTLS_MAC_SHA256;
  k->hash_len = gnutls_hash_get_len(k->dig);
  k->tag = gnutls_cipher_get_tag_size(k->cipher);
  td_buf_init(&k->transcript);
  td_buf_init(&k->tnames);
  const char **note = &r->anat.ks_note[cap->conn ? 1 : 0];
  int aead = k->tag > 0;
  if (k->cipher == GNUTLS_CIPHER_CHACHA20_POLY1305 || k->tls13)
    k->nonce = NONCE_XOR;
  else
    k->nonce = NONCE_EXPLICIT; /* GCM, CCM: 4-byte salt + explicit 8 bytes */
  if (v != GNUTLS_TLS1_3 && v != GNUTLS_TLS1_2) {
    *note = "only TLS 1.2 and 1.3 are derived";
  } else if (!aead) {
    *note = "a CBC suite: its records are MAC-then-encrypt, which tlsdiag "
            "does not open; only AEAD suites are proven";
  } else if (k->tls13) {
    *note = note13;
    derive13(k, cap);
  } else {
    *note = note12;
    derive12(k, cap, s);
  }
  cap->ks = k;
  if (!k->derived) { /* nothing to prove: keep nothing */
    cap_stop(cap, 0);
    cap_stop(cap, 1);
    recs_free(cap);
    ks_release(k);
    return;
  }
  for (size_t i = 0; i < cap->nrecs; i++) ks_record(k, &cap->recs[i]);
  recs_free(cap);
  ks_after_record(cap, 0);
  ks_after_record(cap, 1);
  cap_peak(cap);
}

void td_ks_finish(td_kscap_t *cap, gnutls_session_t s, tlsdiag_result_t *r) {
  (void)s;
  if (!cap || !r) return;
  int c = cap->conn ? 1 : 0;
  r->anat.ks_cap_peak[c] = cap->peak;
  r->anat.ks_cap_left[c] = cap_held(cap) - (cap->ks ? sizeof(ks_t) : 0);
  ks_t *k = cap->ks;
  if (!k || !k->derived) return;
  if (k->tls13) rows13(k);
  else rows12(k);
  ks_release(k);
}
