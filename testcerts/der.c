/* der.c: the few DER encoding helpers the OCSP builder needs, and a reader
 * for picking one field out of a SubjectPublicKeyInfo. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tdcerts_int.h"

void tdc_der_init(tdc_der_t *d) { memset(d, 0, sizeof(*d)); }

void tdc_der_free(tdc_der_t *d)
{
  free(d->data);
  tdc_der_init(d);
}

static int reserve(tdc_der_t *d, size_t extra)
{
  size_t want, cap;
  unsigned char *p;

  if (d->failed)
    return -1;
  if (extra > SIZE_MAX / 2 - d->len) {
    d->failed = GNUTLS_E_MEMORY_ERROR;
    return -1;
  }
  want = d->len + extra;
  if (want <= d->cap)
    return 0;
  cap = d->cap ? d->cap : 256;
  while (cap < want)
    cap *= 2;
  p = realloc(d->data, cap);
  if (!p) {
    d->failed = GNUTLS_E_MEMORY_ERROR;
    return -1;
  }
  d->data = p;
  d->cap = cap;
  return 0;
}

void tdc_der_raw(tdc_der_t *d, const void *p, size_t n)
{
  if (reserve(d, n) < 0)
    return;
  if (n)
    memcpy(d->data + d->len, p, n);
  d->len += n;
}

/* Bytes needed after the first length octet for a long-form length. */
static size_t len_octets(size_t n)
{
  size_t k = 0;

  while (n) {
    k++;
    n >>= 8;
  }
  return k;
}

static void put_len(unsigned char *out, size_t n, size_t k)
{
  size_t i;

  out[0] = (unsigned char)(0x80 | k);
  for (i = 0; i < k; i++)
    out[k - i] = (unsigned char)(n >> (8 * i));
}

size_t tdc_der_begin(tdc_der_t *d, unsigned tag)
{
  unsigned char hdr[2];

  hdr[0] = (unsigned char)tag;
  hdr[1] = 0; /* placeholder, fixed up by tdc_der_end */
  tdc_der_raw(d, hdr, sizeof(hdr));
  return d->len; /* the content starts here */
}

void tdc_der_end(tdc_der_t *d, size_t mark)
{
  size_t clen, k;

  if (d->failed)
    return;
  if (mark < 2 || mark > d->len) {
    d->failed = GNUTLS_E_INVALID_REQUEST;
    return;
  }
  clen = d->len - mark;
  if (clen < 0x80) {
    d->data[mark - 1] = (unsigned char)clen;
    return;
  }
  /* Long form: make room for k more length octets after the first one. */
  k = len_octets(clen);
  if (reserve(d, k) < 0)
    return;
  memmove(d->data + mark + k, d->data + mark, clen);
  put_len(d->data + mark - 1, clen, k);
  d->len += k;
}

void tdc_der_tlv(tdc_der_t *d, unsigned tag, const void *p, size_t n)
{
  unsigned char hdr[2 + sizeof(size_t)];
  size_t hlen;

  hdr[0] = (unsigned char)tag;
  if (n < 0x80) {
    hdr[1] = (unsigned char)n;
    hlen = 2;
  } else {
    size_t k = len_octets(n);
    put_len(hdr + 1, n, k);
    hlen = 2 + k;
  }
  tdc_der_raw(d, hdr, hlen);
  tdc_der_raw(d, p, n);
}

void tdc_der_uint(tdc_der_t *d, const unsigned char *be, size_t n)
{
  size_t mark;

  while (n > 1 && be[0] == 0) {
    be++;
    n--;
  }
  mark = tdc_der_begin(d, TDC_DER_INTEGER);
  if (n == 0 || (be[0] & 0x80))
    tdc_der_raw(d, "", 1); /* a zero octet keeps the value positive */
  tdc_der_raw(d, be, n);
  tdc_der_end(d, mark);
}

void tdc_der_small(tdc_der_t *d, unsigned tag, unsigned v)
{
  unsigned char be[sizeof(v)];
  size_t i;

  for (i = 0; i < sizeof(v); i++)
    be[sizeof(v) - 1 - i] = (unsigned char)(v >> (8 * i));
  if (tag == TDC_DER_INTEGER) {
    tdc_der_uint(d, be, sizeof(be));
  } else {
    /* Same content rules as INTEGER, different tag. */
    size_t mark = d->len;
    tdc_der_uint(d, be, sizeof(be));
    if (!d->failed)
      d->data[mark] = (unsigned char)tag;
  }
}

/* Appends one OID arc in base-128. */
static void put_arc(tdc_der_t *d, unsigned long v)
{
  unsigned char tmp[sizeof(v) * 8 / 7 + 1];
  size_t n = 0;

  do {
    tmp[sizeof(tmp) - 1 - n] = (unsigned char)((v & 0x7f) | (n ? 0x80 : 0));
    v >>= 7;
    n++;
  } while (v);
  tdc_der_raw(d, tmp + sizeof(tmp) - n, n);
}

void tdc_der_oid(tdc_der_t *d, const char *dotted)
{
  unsigned long arcs[32];
  size_t n = 0, i, mark;
  const char *s = dotted;

  while (*s) {
    char *end;
    unsigned long v;

    if (*s < '0' || *s > '9' || n == sizeof(arcs) / sizeof(arcs[0]))
      goto bad;
    v = strtoul(s, &end, 10);
    arcs[n++] = v;
    s = end;
    if (*s == '.')
      s++;
    else if (*s)
      goto bad;
  }
  if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) ||
      arcs[1] > (unsigned long)-1 - 80)
    goto bad;
  mark = tdc_der_begin(d, TDC_DER_OID);
  put_arc(d, arcs[0] * 40 + arcs[1]);
  for (i = 2; i < n; i++)
    put_arc(d, arcs[i]);
  tdc_der_end(d, mark);
  return;
bad:
  if (!d->failed)
    d->failed = GNUTLS_E_INVALID_REQUEST;
}

void tdc_der_gtime(tdc_der_t *d, int64_t t)
{
  struct tm tm;
  time_t tt = (time_t)t;
  char s[32];
  int n;

  if ((int64_t)tt != t || !gmtime_r(&tt, &tm) || tm.tm_year + 1900 < 0 ||
      tm.tm_year + 1900 > 9999) {
    if (!d->failed)
      d->failed = GNUTLS_E_INVALID_REQUEST;
    return;
  }
  n = snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  tdc_der_tlv(d, TDC_DER_GENERALIZED_TIME, s, (size_t)n);
}

void tdc_der_bits(tdc_der_t *d, const void *p, size_t n)
{
  size_t mark = tdc_der_begin(d, TDC_DER_BIT_STRING);

  tdc_der_raw(d, "", 1); /* no unused bits */
  tdc_der_raw(d, p, n);
  tdc_der_end(d, mark);
}

void tdc_der_null(tdc_der_t *d) { tdc_der_tlv(d, TDC_DER_NULL, NULL, 0); }

int tdc_der_steal(tdc_der_t *d, unsigned char **out, size_t *len)
{
  int rc = d->failed;

  *out = NULL;
  *len = 0;
  if (rc) {
    tdc_der_free(d);
    return rc;
  }
  *out = d->data;
  *len = d->len;
  tdc_der_init(d);
  return 0;
}

int tdc_der_read(const unsigned char *p, size_t n, unsigned *tag,
                 const unsigned char **content, size_t *clen, size_t *total)
{
  size_t hlen = 2, len;

  if (n < 2 || (p[0] & 0x1f) == 0x1f)
    return -1;
  len = p[1];
  if (len & 0x80) {
    size_t k = len & 0x7f, i;

    if (k == 0 || k > sizeof(size_t) || k > n - 2)
      return -1;
    len = 0;
    for (i = 0; i < k; i++)
      len = (len << 8) | p[2 + i];
    if (len < 0x80 || p[2] == 0) /* not the shortest form */
      return -1;
    hlen += k;
  }
  if (len > n - hlen)
    return -1;
  *tag = p[0];
  *content = p + hlen;
  *clen = len;
  *total = hlen + len;
  return 0;
}

int tdc_pubkey_hash(gnutls_pubkey_t pub, unsigned char out[TDC_KEYID_LEN])
{
  gnutls_datum_t spki = {NULL, 0};
  const unsigned char *seq, *alg, *bits;
  size_t seq_len, alg_len, bits_len, total;
  unsigned tag;
  int rc;

  rc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki);
  if (rc < 0)
    return rc;
  /* SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
   *                                     subjectPublicKey BIT STRING } */
  rc = GNUTLS_E_ASN1_DER_ERROR;
  if (tdc_der_read(spki.data, spki.size, &tag, &seq, &seq_len, &total) < 0 ||
      tag != TDC_DER_SEQUENCE)
    goto out;
  if (tdc_der_read(seq, seq_len, &tag, &alg, &alg_len, &total) < 0 ||
      tag != TDC_DER_SEQUENCE)
    goto out;
  if (tdc_der_read(seq + total, seq_len - total, &tag, &bits, &bits_len,
                   &total) < 0 ||
      tag != TDC_DER_BIT_STRING || bits_len < 1 || bits[0] != 0)
    goto out;
  rc = gnutls_hash_fast(GNUTLS_DIG_SHA1, bits + 1, bits_len - 1, out);
out:
  gnutls_free(spki.data);
  return rc;
}
