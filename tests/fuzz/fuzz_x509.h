/* fuzz_x509.h: what fuzz_verify and fuzz_crl share (header-only): the
 * input split into blobs, a signing key so mutated certificates and CRLs
 * can carry valid signatures, and GnuTLS's own reading of the blobs.
 *
 * Input: records [kind u8][len u16 BE][bytes]. kind & 0x0f, modulo 5, is
 * the role: 0 chain (leaf first), 1 untrusted, 2 trusted, 3 CRL, 4 the
 * host name. kind & 0x10: the bytes are a TBSCertificate / TBSCertList
 * that the harness signs with the fuzz key (Ed25519) into a certificate
 * or CRL; kind & 0x20: the result is wrapped as PEM. Otherwise the bytes
 * are passed as they are (PEM or DER).
 *
 * Every certificate of the fuzz PKI below uses the one fuzz key, so a
 * signed TBS verifies under any of them whatever its issuer name says.
 * Made with certtool 3.7.9 (corpus/fuzz_verify/SOURCE says how); valid
 * 2020-01-01 .. 2030-01-01 (the leaf), 2040 (the CAs). */
#ifndef TD_FUZZ_X509_H
#define TD_FUZZ_X509_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "fuzz.h"
#include "tlsdiag/tlsdiag.h"

#define FX_NOW 1800000000 /* 2027-01-15, inside every validity above */
#define FX_MAX 16         /* records read */

static const char fx_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIBXp71i8TwheOC8u+zRaGa5V2U7oUgG77r8esgxAtp0T\n"
    "-----END PRIVATE KEY-----\n";
static const char fx_root_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBRjCB+aADAgECAgEBMAUGAytlcDArMRUwEwYDVQQKEwx0bHNkaWFnIGZ1enox\n"
    "EjAQBgNVBAMTCWZ1enogcm9vdDAeFw0yMDAxMDEwMDAwMDBaFw00MDAxMDEwMDAw\n"
    "MDBaMCsxFTATBgNVBAoTDHRsc2RpYWcgZnV6ejESMBAGA1UEAxMJZnV6eiByb290\n"
    "MCowBQYDK2VwAyEACDDWOVq56UOQ9F2awZAUjIOwaQHb6ds5sKTuPO0Me4ijQjBA\n"
    "MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBRxiICX\n"
    "cLtCNkRqgTGv/X4FIO1C8jAFBgMrZXADQQANDK4Z+VfkfaQmcP3jh+R1FeTIKlSj\n"
    "MfMJ6CbIAbY9nSAIbO1Ep2szZavjmXACp+0lVFL7JCpxBIo2NUkoUbQF\n"
    "-----END CERTIFICATE-----\n";
static const char fx_int_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBxDCCAXagAwIBAgIBAjAFBgMrZXAwKzEVMBMGA1UEChMMdGxzZGlhZyBmdXp6\n"
    "MRIwEAYDVQQDEwlmdXp6IHJvb3QwHhcNMjAwMTAxMDAwMDAwWhcNNDAwMTAxMDAw\n"
    "MDAwWjAzMRUwEwYDVQQKEwx0bHNkaWFnIGZ1enoxGjAYBgNVBAMTEWZ1enogaW50\n"
    "ZXJtZWRpYXRlMCowBQYDK2VwAyEACDDWOVq56UOQ9F2awZAUjIOwaQHb6ds5sKTu\n"
    "PO0Me4ijgbYwgbMwEgYDVR0TAQH/BAgwBgEB/wIBATBNBgNVHR4BAf8EQzBBoCow\n"
    "CocIwKgAAP//AAAwDYILZXhhbXBsZS5jb20wDYELZXhhbXBsZS5jb22hEzARgg9i\n"
    "YWQuZXhhbXBsZS5jb20wDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBRxiICXcLtC\n"
    "NkRqgTGv/X4FIO1C8jAfBgNVHSMEGDAWgBRxiICXcLtCNkRqgTGv/X4FIO1C8jAF\n"
    "BgMrZXADQQCxvabvUUA5w/d9oQH21Ffd0df3j44okVQnwBHtSX56jIGPUQVrE2AQ\n"
    "oRQa1M3sHJfyXWOngUKVedwVPQMTlOgD\n"
    "-----END CERTIFICATE-----\n";
static const char fx_leaf_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICIDCCAdKgAwIBAgIBAzAFBgMrZXAwMzEVMBMGA1UEChMMdGxzZGlhZyBmdXp6\n"
    "MRowGAYDVQQDExFmdXp6IGludGVybWVkaWF0ZTAeFw0yMDAxMDEwMDAwMDBaFw0z\n"
    "MDAxMDEwMDAwMDBaMDExFTATBgNVBAoTDHRsc2RpYWcgZnV6ejEYMBYGA1UEAxMP\n"
    "d3d3LmV4YW1wbGUuY29tMCowBQYDK2VwAyEACDDWOVq56UOQ9F2awZAUjIOwaQHb\n"
    "6ds5sKTuPO0Me4ijggELMIIBBzAMBgNVHRMBAf8EAjAAMDEGA1UdEQQqMCiCD3d3\n"
    "dy5leGFtcGxlLmNvbYIPKi5hLmV4YW1wbGUuY29thwTAqAEBMBMGA1UdJQQMMAoG\n"
    "CCsGAQUFBwMBMF8GCCsGAQUFBwEBBFMwUTAkBggrBgEFBQcwAYYYaHR0cDovL29j\n"
    "c3AuZXhhbXBsZS5jb20vMCkGCCsGAQUFBzAChh1odHRwOi8vY2EuZXhhbXBsZS5j\n"
    "b20vaW50LmRlcjAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFHGIgJdwu0I2RGqB\n"
    "Ma/9fgUg7ULyMB8GA1UdIwQYMBaAFHGIgJdwu0I2RGqBMa/9fgUg7ULyMAUGAytl\n"
    "cANBAGSAXx113k1zXcEoKfAy+J7WDbQcskWsfXq9W+ZbVpU9jZwXMPnyIwaB2Kfn\n"
    "YMExHufi9JbCK3QTALQfSmxz4Qs=\n"
    "-----END CERTIFICATE-----\n";

enum { FX_CHAIN, FX_UNTRUSTED, FX_TRUSTED, FX_CRL, FX_HOST, FX_ROLES };

typedef struct fx_input {
  tlsdiag_blob_t blob[FX_ROLES][FX_MAX];
  size_t n[FX_ROLES];
  unsigned char *owned[FX_MAX]; /* signed or PEM-wrapped bytes */
  size_t nowned;
  char *host;
} fx_input_t;

/* DER length octets of n into out (at most 5); returns their count. */
static FZ_UNUSED size_t fx_der_len(size_t n, unsigned char *out) {
  if (n < 0x80) {
    out[0] = (unsigned char)n;
    return 1;
  }
  size_t k = 0;
  for (size_t v = n; v; v >>= 8) k++;
  out[0] = (unsigned char)(0x80 | k);
  for (size_t i = 0; i < k; i++) out[1 + i] = (unsigned char)(n >> (8 * (k - 1 - i)));
  return 1 + k;
}

static gnutls_privkey_t fx_key(void) {
  static gnutls_privkey_t key;
  if (!key) {
    gnutls_datum_t d = {(unsigned char *)fx_key_pem, sizeof(fx_key_pem) - 1};
    if (gnutls_privkey_init(&key) < 0 ||
        gnutls_privkey_import_x509_raw(key, &d, GNUTLS_X509_FMT_PEM, NULL,
                                       0) < 0)
      abort();
  }
  return key;
}

/* SEQUENCE { tbs, AlgorithmIdentifier Ed25519, BIT STRING signature }. */
static unsigned char *fx_sign(const uint8_t *tbs, size_t n, size_t *len) {
  static const unsigned char alg[] = {0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70};
  gnutls_datum_t in = {(unsigned char *)tbs, (unsigned)n}, sig = {NULL, 0};
  if (gnutls_privkey_sign_data2(fx_key(), GNUTLS_SIGN_EDDSA_ED25519, 0, &in,
                                &sig) < 0)
    abort();
  unsigned char bl[6], tl[6];
  size_t bll = fx_der_len(sig.size + 1, bl);
  size_t body = n + sizeof(alg) + 1 + bll + 1 + sig.size;
  size_t tll = fx_der_len(body, tl);
  unsigned char *p = malloc(1 + tll + body), *q = p;
  if (!p) abort();
  *q++ = 0x30;
  memcpy(q, tl, tll), q += tll;
  memcpy(q, tbs, n), q += n;
  memcpy(q, alg, sizeof(alg)), q += sizeof(alg);
  *q++ = 0x03;
  memcpy(q, bl, bll), q += bll;
  *q++ = 0x00;
  memcpy(q, sig.data, sig.size), q += sig.size;
  gnutls_free(sig.data);
  *len = (size_t)(q - p);
  return p;
}

static unsigned char *fx_pem(const unsigned char *der, size_t n,
                             const char *label, size_t *len) {
  gnutls_datum_t in = {(unsigned char *)der, (unsigned)n}, out = {NULL, 0};
  if (gnutls_pem_base64_encode2(label, &in, &out) < 0) abort();
  unsigned char *p = malloc(out.size ? out.size : 1);
  if (!p) abort();
  memcpy(p, out.data, out.size);
  *len = out.size;
  gnutls_free(out.data);
  return p;
}

/* Splits the records; force_role >= 0 gives every record that role. */
static FZ_UNUSED void fx_split(fx_input_t *in, const uint8_t *data,
                               size_t size, int force_role) {
  memset(in, 0, sizeof(*in));
  for (size_t i = 0, k = 0; k < FX_MAX && i + 3 <= size; k++) {
    unsigned kind = data[i];
    size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
    if (len > size - i - 3) len = size - i - 3;
    const uint8_t *p = data + i + 3;
    i += 3 + len;
    unsigned role = force_role >= 0 ? (unsigned)force_role
                                    : (kind & 0x0f) % FX_ROLES;
    if (role == FX_HOST) {
      free(in->host);
      in->host = fz_cstr(p, len);
      continue;
    }
    tlsdiag_blob_t b = {p, len};
    if (kind & 0x30) {
      size_t n = len;
      unsigned char *s = kind & 0x10 ? fx_sign(p, len, &n) : NULL;
      if (kind & 0x20) {
        unsigned char *w = fx_pem(s ? s : p, n,
                                  role == FX_CRL ? "X509 CRL" : "CERTIFICATE",
                                  &n);
        free(s);
        s = w;
      }
      in->owned[in->nowned++] = s;
      b.data = s;
      b.len = n;
    }
    in->blob[role][in->n[role]++] = b;
  }
}

static FZ_UNUSED void fx_free(fx_input_t *in) {
  for (size_t i = 0; i < in->nowned; i++) free(in->owned[i]);
  free(in->host);
}

/* The DER objects GnuTLS finds in a blob: each PEM block with one of the
 * labels, or the whole blob when it has no "-----BEGIN ". Calls back
 * with each; stops at 64. */
static const unsigned char *fx_find(const unsigned char *h, size_t n,
                                    const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; k && i + k <= n; i++)
    if (!memcmp(h + i, needle, k)) return h + i;
  return NULL;
}

typedef void (*fx_each_fn)(const gnutls_datum_t *der, void *ctx);

static FZ_UNUSED void fx_each_der(const tlsdiag_blob_t *b,
                                  const char *const *labels, fx_each_fn fn,
                                  void *ctx) {
  const unsigned char *p = b->data;
  size_t n = b->len;
  if (!fx_find(p, n, "-----BEGIN ")) {
    gnutls_datum_t d = {(unsigned char *)p, (unsigned)n};
    fn(&d, ctx);
    return;
  }
  size_t count = 0;
  for (const char *const *l = labels; *l; l++) {
    char head[64];
    snprintf(head, sizeof(head), "-----BEGIN %s-----", *l);
    const unsigned char *s = p;
    while (count < 64 &&
           (s = fx_find(s, n - (size_t)(s - p), head)) != NULL) {
      gnutls_datum_t pem = {(unsigned char *)s, (unsigned)(n - (size_t)(s - p))};
      gnutls_datum_t der = {NULL, 0};
      if (gnutls_pem_base64_decode2(*l, &pem, &der) >= 0) {
        fn(&der, ctx);
        count++;
      }
      gnutls_free(der.data);
      s++;
    }
  }
}

static const char *const fx_cert_labels[] = {
    "CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE", NULL};
static const char *const fx_crl_labels[] = {"X509 CRL", NULL};

#endif /* TD_FUZZ_X509_H */
