/* certcache.c: the certificates an engine has parsed, kept by their DER.
 *
 * A sweep meets the same certificates again and again: the few
 * intermediates of the public CAs on almost every host, and one wildcard
 * or multi-name certificate on every name it serves. Parsing one for the
 * report (td_cert_parse: GnuTLS's ASN.1 decoding, names, SANs, key ID)
 * costs more than the rest of the check's own work after the handshake,
 * so an engine parses each distinct certificate once and copies the
 * fields after that. The key is the SHA-256 of the DER, and a hit also
 * compares the DER itself: a copy is only ever made of the same bytes.
 *
 * Bounded: TD_CERT_CACHE_SLOTS entries, replaced in turn, and only
 * certificates of ordinary size (a hostile 280 kB leaf is parsed, not
 * kept). One engine, one thread: no lock (shared.c). */
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "engine.h"
#include "internal.h"

#define TD_CERT_CACHE_SLOTS 128
/* Larger certificates are rare and each would hold many KB of names. */
#define TD_CERT_CACHE_MAX_DER (16 * 1024)

typedef struct {
  int used;
  unsigned char key[32]; /* SHA-256 of cert.der */
  td_cert_t cert;
} slot_t;

struct td_cert_cache {
  slot_t slot[TD_CERT_CACHE_SLOTS];
  size_t next; /* the slot replaced next */
  size_t hits, misses;
};

td_cert_cache_t *td_cert_cache_new(void) {
  return calloc(1, sizeof(td_cert_cache_t));
}

void td_cert_cache_free(td_cert_cache_t *cc) {
  if (!cc) return;
  for (size_t i = 0; i < TD_CERT_CACHE_SLOTS; i++)
    if (cc->slot[i].used) td_cert_clear(&cc->slot[i].cert);
  free(cc);
}

static slot_t *find(td_cert_cache_t *cc, const unsigned char key[32],
                    const unsigned char *der, size_t len) {
  for (size_t i = 0; i < TD_CERT_CACHE_SLOTS; i++) {
    slot_t *s = &cc->slot[i];
    if (s->used && s->cert.der_len == len &&
        memcmp(s->key, key, sizeof(s->key)) == 0 &&
        memcmp(s->cert.der, der, len) == 0)
      return s;
  }
  return NULL;
}

/* Keeps a copy of c (parsed from the DER whose hash is key); a copy that
 * cannot be made is simply not kept. */
static void keep(td_cert_cache_t *cc, const unsigned char key[32],
                 const td_cert_t *c) {
  slot_t *s = &cc->slot[cc->next];
  cc->next = (cc->next + 1) % TD_CERT_CACHE_SLOTS;
  if (s->used) td_cert_clear(&s->cert);
  s->used = td_cert_copy(&s->cert, c) == 0;
  memcpy(s->key, key, sizeof(s->key));
}

int td_cert_cache_parse(td_cert_cache_t *cc, td_cert_t *c,
                        const unsigned char *der, size_t len) {
  unsigned char key[32];
  if (!cc || !der || len == 0 || len > TD_CERT_CACHE_MAX_DER ||
      gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, key) != 0)
    return td_cert_parse(c, der, len);
  const slot_t *s = find(cc, key, der, len);
  if (s) {
    cc->hits++;
    if (td_cert_copy(c, &s->cert) == 0) return 0;
    return td_cert_parse(c, der, len); /* out of memory: try the long way */
  }
  cc->misses++;
  int rc = td_cert_parse(c, der, len);
  if (rc == 0) keep(cc, key, c); /* a certificate that failed is not kept */
  return rc;
}

void td_cert_cache_stats(const td_cert_cache_t *cc, size_t *hits,
                         size_t *misses) {
  *hits = cc ? cc->hits : 0;
  *misses = cc ? cc->misses : 0;
}
