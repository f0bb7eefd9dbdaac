/* hsts_hash.h: the preload index's hash and entry record, shared by the
 * runtime index (hsts_list.c) and the build-time tool that makes the
 * built-in index (data/hsts_mkblob.c), so both place names alike. */
#ifndef TD_HSTS_HASH_H
#define TD_HSTS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* One entry: the name at names + off (NUL-terminated), TD_HSTS_F_* flags. */
typedef struct {
  uint32_t off;
  uint8_t len;
  uint8_t flags;
  uint8_t pad[2];
} td_hsts_ent_t;

/* FNV-1a over the name read right to left, so that one pass over a host
 * yields the hash of every parent: "www.example.com" passes through "com"
 * and "example.com" on the way. td_hsts_mix spreads the low bits the
 * table uses. */
#define TD_FNV_BASIS 2166136261u
#define TD_FNV_PRIME 16777619u

static inline uint32_t td_hsts_mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/* Hash of s[0..n), already lowercase. */
static inline uint32_t td_hsts_hash(const char *s, size_t n) {
  uint32_t h = TD_FNV_BASIS;
  while (n > 0) h = (h ^ (unsigned char)s[--n]) * TD_FNV_PRIME;
  return td_hsts_mix(h);
}

/* The built-in index as the build embeds it (native byte order: it is
 * made on the machine that compiles the library). After the header:
 * td_hsts_ent_t ent[n], uint64_t slot[nslot] (hash << 32 | index + 1,
 * 0 empty, linear probing, at most half full), char names[names_len]. */
#define TD_HSTS_BLOB_MAGIC "TDHSTS1"
typedef struct {
  char magic[8];     /* TD_HSTS_BLOB_MAGIC, NUL-terminated */
  uint32_t n;        /* entries */
  uint32_t nforce;   /* of which force-https */
  uint32_t nslot;    /* a power of two */
  uint32_t names_len;
  int64_t date;      /* the snapshot's date, Unix seconds (00:00 UTC) */
  char date_str[16]; /* "YYYY-MM-DD" */
  char source[336];  /* provenance, one line, NUL-terminated */
} td_hsts_blob_t;

#endif /* TD_HSTS_HASH_H */
