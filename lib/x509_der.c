/* x509_der.c: reading DER: the TLV reader every module uses (verifier,
 * CRLs, certificate fields), and PEM/DER input blobs split into DER
 * objects for offline verification. Input is untrusted: every length is
 * checked against what is left, and loops are bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509_der.h"

#define MAX_BLOB (64u << 20) /* bytes in one input blob */
#define MAX_BLOCKS 1024      /* PEM blocks looked at in one blob */

/* One reader for both entry points, so the strict and the lax reading
 * differ only in the shortest-form check. */
static int der_read(const unsigned char *p, size_t n, int strict,
                    unsigned *tag, const unsigned char **content, size_t *clen,
                    size_t *total) {
  if (!p || n < 2 || (p[0] & 0x1f) == 0x1f) return -1;
  size_t len, hdr;
  if (p[1] < 0x80) {
    len = p[1];
    hdr = 2;
  } else {
    size_t k = p[1] & 0x7f;
    if (k == 0 || k > 4 || n < 2 + k || (strict && p[2] == 0)) return -1;
    len = 0;
    for (size_t i = 0; i < k; i++) len = (len << 8) | p[2 + i];
    if (strict && len < 0x80) return -1; /* not the shortest form */
    hdr = 2 + k;
  }
  if (len > n - hdr) return -1;
  *tag = p[0];
  *content = p + hdr;
  *clen = len;
  *total = hdr + len;
  return 0;
}

int td_der_next(const unsigned char *p, size_t n, unsigned *tag,
                const unsigned char **content, size_t *clen, size_t *total) {
  return der_read(p, n, 1, tag, content, clen, total);
}

int td_der_next_lax(const unsigned char *p, size_t n, unsigned *tag,
                    const unsigned char **content, size_t *clen,
                    size_t *total) {
  return der_read(p, n, 0, tag, content, clen, total);
}

/* ---- PEM/DER blobs ------------------------------------------------------ */

void td_derlist_free(td_derlist_t *l) {
  for (size_t i = 0; i < l->n; i++) gnutls_free(l->d[i].data);
  free(l->d);
  memset(l, 0, sizeof(*l));
}

static int derlist_push(td_derlist_t *l, gnutls_datum_t d) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    gnutls_datum_t *n = realloc(l->d, cap * sizeof(*n));
    if (!n) return -1;
    l->d = n;
    l->cap = cap;
  }
  l->d[l->n++] = d;
  return 0;
}

static const unsigned char *find_bytes(const unsigned char *h, size_t hn,
                                       const char *needle) {
  size_t nn = strlen(needle);
  if (nn == 0 || hn < nn) return NULL;
  for (size_t i = 0; i + nn <= hn; i++)
    if (h[i] == (unsigned char)needle[0] && memcmp(h + i, needle, nn) == 0)
      return h + i;
  return NULL;
}

/* A blob without a "-----BEGIN" line: one DER object, a SEQUENCE spanning
 * the whole blob. */
static int decode_der(const unsigned char *p, size_t n, td_derlist_t *out,
                      char *err, size_t errlen) {
  if (n == 0) {
    snprintf(err, errlen, "empty");
    return -1;
  }
  unsigned tag;
  const unsigned char *v;
  size_t vl, tot;
  if (td_der_next(p, n, &tag, &v, &vl, &tot) || tag != 0x30 || tot != n) {
    snprintf(err, errlen, "neither PEM nor DER (no \"-----BEGIN\" line and "
                          "not one DER object)");
    return -1;
  }
  gnutls_datum_t d = {gnutls_malloc(n), (unsigned)n};
  if (!d.data) return -2;
  memcpy(d.data, p, n);
  if (derlist_push(out, d) < 0) {
    gnutls_free(d.data);
    return -2;
  }
  return 0;
}

static int wanted_label(const char *label, int crl) {
  return crl ? !strcmp(label, "X509 CRL")
             : (!strcmp(label, "CERTIFICATE") ||
                !strcmp(label, "X509 CERTIFICATE") ||
                !strcmp(label, "TRUSTED CERTIFICATE"));
}

/* The PEM block "label" spanning s..stop, base64-decoded onto out. */
static int decode_pem_block(const unsigned char *s, const unsigned char *stop,
                            const char *label, size_t block,
                            td_derlist_t *out, char *err, size_t errlen) {
  gnutls_datum_t pem = {(unsigned char *)s, (unsigned)(stop - s)};
  gnutls_datum_t der = {NULL, 0};
  if (gnutls_pem_base64_decode2(label, &pem, &der) < 0 || der.size == 0) {
    gnutls_free(der.data);
    snprintf(err, errlen, "PEM block %zu (%s) is not valid base64", block,
             label);
    return -1;
  }
  if (derlist_push(out, der) < 0) {
    gnutls_free(der.data);
    return -2;
  }
  return 0;
}

/* A PEM label is printable ASCII (RFC 7468); anything else would also end
 * up, quoted, in a one-line error. */
static int printable(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < 0x20 || s[i] > 0x7e) return 0;
  return 1;
}

/* Decodes a blob into DER objects of one kind (certificates or CRLs).
 * PEM: every block with an accepted label; other blocks (keys) skipped.
 * Otherwise the whole blob is one DER object. 0, or -1 with err set
 * (-2 on out-of-memory). */
static int decode_blob(const tlsdiag_blob_t *b, int crl, td_derlist_t *out,
                       char *err, size_t errlen) {
  const unsigned char *p = b->data, *end;
  size_t n = b->len;
  if (!p && n) {
    snprintf(err, errlen, "no data");
    return -1;
  }
  if (n > MAX_BLOB) {
    snprintf(err, errlen, "larger than %u MiB", MAX_BLOB >> 20);
    return -1;
  }
  end = p + n;
  size_t found = 0, other = 0, block = 0;
  int key = 0;
  const unsigned char *s = find_bytes(p, n, "-----BEGIN ");
  if (!s) return decode_der(p, n, out, err, errlen);
  while (s && block < MAX_BLOCKS) {
    block++;
    const unsigned char *lab = s + 11;
    const unsigned char *le = find_bytes(lab, (size_t)(end - lab), "-----");
    if (!le || le - lab > 64 || !printable(lab, (size_t)(le - lab))) {
      snprintf(err, errlen, "PEM block %zu has a malformed BEGIN line", block);
      return -1;
    }
    char label[80];
    snprintf(label, sizeof(label), "%.*s", (int)(le - lab), (const char *)lab);
    char endline[100];
    snprintf(endline, sizeof(endline), "-----END %s-----", label);
    const unsigned char *e = find_bytes(le, (size_t)(end - le), endline);
    if (!e) {
      snprintf(err, errlen, "PEM block %zu (%s) has no END line", block, label);
      return -1;
    }
    const unsigned char *stop = e + strlen(endline);
    if (wanted_label(label, crl)) {
      int rc = decode_pem_block(s, stop, label, block, out, err, errlen);
      if (rc < 0) return rc;
      found++;
    } else {
      other++;
      if (strstr(label, "PRIVATE KEY")) key = 1;
    }
    s = find_bytes(stop, (size_t)(end - stop), "-----BEGIN ");
  }
  if (found == 0) {
    if (key)
      snprintf(err, errlen, "holds a private key, no %s",
               crl ? "CRL" : "certificate");
    else
      snprintf(err, errlen, "no %s in %zu PEM block%s",
               crl ? "\"X509 CRL\" block" : "\"CERTIFICATE\" block", other,
               other == 1 ? "" : "s");
    return -1;
  }
  return 0;
}

int td_der_decode_all(const tlsdiag_blob_t *b, size_t n, int crl,
                      const char *what, td_derlist_t *out, char *err,
                      size_t errlen) {
  for (size_t i = 0; i < n; i++) {
    char why[300];
    int rc = decode_blob(&b[i], crl, out, why, sizeof(why));
    if (rc == -2) {
      snprintf(err, errlen, "out of memory");
      return -2;
    }
    if (rc < 0) {
      if (n > 1) snprintf(err, errlen, "%s %zu: %s", what, i + 1, why);
      else snprintf(err, errlen, "%s: %s", what, why);
      return -1;
    }
  }
  return 0;
}
