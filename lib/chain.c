/* chain.c: certificate fields (names, SANs, dates, key, fingerprint).
 *
 * Certificates come from servers nobody trusts: every length is checked,
 * every loop bounded, and field bytes are kept as they are (the JSON and
 * text writers escape them) except NUL, which a C string cannot hold. A NUL
 * is rendered as the four characters "\x00", so "good.example\0.evil.com"
 * can neither be cut short into a different valid name nor ever match a
 * host name (a backslash is not a host name character).
 */
#include <arpa/inet.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509-ext.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "x509_der.h"

#define MAX_SANS 1000  /* kept; the rest are counted in sans_text */
#define MAX_AIA 64     /* access descriptions looked at */
#define MAX_FIELD (1u << 20) /* a serial or signature larger is refused */

static const char hexdig[] = "0123456789abcdef";

static void put_hex(td_buf_t *b, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    td_buf_putc(b, hexdig[p[i] >> 4]);
    td_buf_putc(b, hexdig[p[i] & 15]);
  }
}

/* Appends the bytes as they are, NUL as "\x00". */
static void put_visible(td_buf_t *b, const unsigned char *p, size_t n) {
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i]) continue;
    td_buf_append(b, p + run, i - run);
    td_buf_puts(b, "\\x00");
    run = i + 1;
  }
  td_buf_append(b, p + run, n - run);
}

static char *dup_visible(const unsigned char *p, size_t n) {
  td_buf_t b;
  td_buf_init(&b);
  put_visible(&b, p, n);
  return td_buf_steal(&b, NULL);
}

static void put_utf8(td_buf_t *b, unsigned long cp) {
  if (cp == 0) {
    td_buf_puts(b, "\\x00");
    return;
  }
  unsigned char u[4];
  td_buf_append(b, u, td_utf8_put((uint32_t)cp, u));
}

/* The content of a DirectoryString as UTF-8 text, or NULL if the string
 * type is not one we decode. */
static char *directory_string(unsigned tag, const unsigned char *v,
                              size_t n) {
  td_buf_t b;
  td_buf_init(&b);
  switch (tag) {
  case 0x0c: /* UTF8String */
  case 0x12: /* NumericString */
  case 0x13: /* PrintableString */
  case 0x14: /* TeletexString: bytes as sent */
  case 0x16: /* IA5String */
  case 0x1a: /* VisibleString */
    put_visible(&b, v, n);
    break;
  case 0x1e: /* BMPString: UCS-2 big endian */
    if (n % 2) return NULL;
    for (size_t i = 0; i < n; i += 2)
      put_utf8(&b, ((unsigned long)v[i] << 8) | v[i + 1]);
    break;
  case 0x1c: /* UniversalString: UCS-4 big endian */
    if (n % 4) return NULL;
    for (size_t i = 0; i < n; i += 4)
      put_utf8(&b, ((unsigned long)v[i] << 24) |
                       ((unsigned long)v[i + 1] << 16) |
                       ((unsigned long)v[i + 2] << 8) | v[i + 3]);
    break;
  default: return NULL;
  }
  return td_buf_steal(&b, NULL);
}

/* The first CN, unescaped (the string gnutls gives is RFC 4514-escaped,
 * which would turn a quote into \" and a NUL into #0c...). */
static char *first_cn(gnutls_x509_crt_t crt) {
  size_t sz = 0;
  int ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                          1, NULL, &sz);
  if (ret != GNUTLS_E_SHORT_MEMORY_BUFFER || sz == 0 || sz > MAX_FIELD)
    return NULL;
  unsigned char *raw = malloc(sz);
  char *cn = NULL;
  if (!raw) return NULL;
  ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 1,
                                      raw, &sz);
  if (ret >= 0) {
    unsigned tag = 0;
    const unsigned char *v = NULL;
    size_t vlen = 0, tot = 0;
    if (td_der_next_lax(raw, sz, &tag, &v, &vlen, &tot) == 0 && tot == sz)
      cn = directory_string(tag, v, vlen);
  }
  if (!cn && ret >= 0) {
    /* an unusual string type: fall back to gnutls's escaped text */
    size_t tsz = 0;
    ret = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                        0, NULL, &tsz);
    if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER && tsz > 0 && tsz <= MAX_FIELD) {
      unsigned char *t = malloc(tsz);
      if (t && gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
                                             0, 0, t, &tsz) >= 0)
        cn = dup_visible(t, strnlen((char *)t, tsz));
      free(t);
    }
  }
  free(raw);
  return cn;
}

static char *dn_text(gnutls_x509_crt_t crt, int issuer) {
  gnutls_datum_t d = {NULL, 0};
  int ret = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &d,
                                                    GNUTLS_X509_DN_FLAG_COMPAT)
                   : gnutls_x509_crt_get_dn3(crt, &d,
                                             GNUTLS_X509_DN_FLAG_COMPAT);
  /* An empty DN (legal for a subject with SANs) gives "" */
  char *s = ret >= 0 ? dup_visible(d.data, d.size) : td_strdup("");
  gnutls_free(d.data);
  return s;
}

static int same_raw_dn(gnutls_x509_crt_t crt) {
  gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
  int same = gnutls_x509_crt_get_raw_dn(crt, &a) >= 0 &&
             gnutls_x509_crt_get_raw_issuer_dn(crt, &b) >= 0 &&
             a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
  gnutls_free(a.data);
  gnutls_free(b.data);
  return same;
}

/* Does the certificate's signature verify with its own key? Weak and
 * broken algorithms are allowed here: whether the signature is strong is
 * sig_weak's question, this one is only "who signed it". */
static int signed_by_itself(gnutls_x509_crt_t crt, const unsigned char *der,
                            size_t len) {
  unsigned tag = 0;
  const unsigned char *v = NULL, *tv = NULL;
  size_t vlen = 0, tlen = 0, tot = 0, tbs_len = 0;
  if (td_der_next_lax(der, len, &tag, &v, &vlen, &tot) || tag != 0x30)
    return 0;
  if (td_der_next_lax(v, vlen, &tag, &tv, &tlen, &tbs_len) || tag != 0x30 ||
      tbs_len > UINT_MAX)
    return 0;
  int algo = gnutls_x509_crt_get_signature_algorithm(crt);
  if (algo <= 0) return 0;

  int ok = 0;
  unsigned char *sig = NULL;
  gnutls_pubkey_t pub = NULL;
  size_t ssz = 0;
  if (gnutls_x509_crt_get_signature(crt, NULL, &ssz) !=
          GNUTLS_E_SHORT_MEMORY_BUFFER ||
      ssz == 0 || ssz > MAX_FIELD)
    goto out;
  sig = malloc(ssz);
  if (!sig || gnutls_x509_crt_get_signature(crt, (char *)sig, &ssz) < 0)
    goto out;
  if (gnutls_pubkey_init(&pub) < 0) {
    pub = NULL;
    goto out;
  }
  if (gnutls_pubkey_import_x509(pub, crt, 0) < 0) goto out;
  gnutls_datum_t tbs = {(unsigned char *)v, (unsigned)tbs_len};
  gnutls_datum_t s = {sig, (unsigned)ssz};
  ok = gnutls_pubkey_verify_data2(pub, (gnutls_sign_algorithm_t)algo,
                                  GNUTLS_VERIFY_ALLOW_BROKEN |
                                      GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1,
                                  &tbs, &s) >= 0;
out:
  if (pub) gnutls_pubkey_deinit(pub);
  free(sig);
  return ok;
}

static unsigned curve_bits(gnutls_ecc_curve_t curve) {
  switch (curve) {
  case GNUTLS_ECC_CURVE_SECP192R1: return 192;
  case GNUTLS_ECC_CURVE_SECP224R1: return 224;
  case GNUTLS_ECC_CURVE_SECP256R1: return 256;
  case GNUTLS_ECC_CURVE_SECP384R1: return 384;
  case GNUTLS_ECC_CURVE_SECP521R1: return 521;
  default: return (unsigned)gnutls_ecc_curve_get_size(curve) * 8;
  }
}

static int fill_key(td_cert_t *c, gnutls_x509_crt_t crt) {
  unsigned bits = 0;
  int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
  const char *name;
  switch (pk) {
  case GNUTLS_PK_RSA: name = "RSA"; break;
  case GNUTLS_PK_RSA_PSS: name = "RSA-PSS"; break;
  case GNUTLS_PK_DSA: name = "DSA"; break;
  case GNUTLS_PK_EDDSA_ED25519: name = "Ed25519"; break;
  case GNUTLS_PK_EDDSA_ED448: name = "Ed448"; break;
  case GNUTLS_PK_ECDSA: {
    name = "ECDSA";
    /* gnutls reports the curve's byte size * 8 (528 for P-521) */
    gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
    gnutls_datum_t x = {NULL, 0}, y = {NULL, 0};
    if (gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, &x, &y) >= 0)
      bits = curve_bits(curve);
    gnutls_free(x.data);
    gnutls_free(y.data);
    break;
  }
  default:
    name = pk > 0 ? gnutls_pk_get_name((gnutls_pk_algorithm_t)pk) : NULL;
    if (!name) name = "unknown";
    break;
  }
  c->key_type = td_strdup(name);
  c->key_bits = pk > 0 ? bits : 0;
  snprintf(c->key_bits_text, sizeof(c->key_bits_text), "%u", c->key_bits);
  return c->key_type ? 0 : -1;
}

/* Signature OIDs whose hash is MD2, MD4, MD5 or SHA-1, for algorithms
 * gnutls has no name for. */
static int weak_sig_oid(const char *oid) {
  static const char *const weak[] = {
      "1.2.840.113549.1.1.2", "1.2.840.113549.1.1.3", "1.2.840.113549.1.1.4",
      "1.2.840.113549.1.1.5", "1.3.14.3.2.29",        "1.2.840.10040.4.3",
      "1.2.840.10045.4.1",    "1.3.14.3.2.3",         "1.3.14.3.2.27"};
  for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
    if (strcmp(oid, weak[i]) == 0) return 1;
  return 0;
}

static int fill_sig(td_cert_t *c, gnutls_x509_crt_t crt) {
  int algo = gnutls_x509_crt_get_signature_algorithm(crt);
  const char *name =
      algo > 0 ? gnutls_sign_get_name((gnutls_sign_algorithm_t)algo) : NULL;
  if (name) {
    gnutls_digest_algorithm_t h =
        gnutls_sign_get_hash_algorithm((gnutls_sign_algorithm_t)algo);
    c->sig_weak = h == GNUTLS_DIG_SHA1 || h == GNUTLS_DIG_MD5 ||
                  h == GNUTLS_DIG_MD2;
    c->sig_alg = td_strdup(name);
  } else {
    char oid[128];
    size_t sz = sizeof(oid);
    if (gnutls_x509_crt_get_signature_oid(crt, oid, &sz) >= 0 &&
        sz < sizeof(oid)) {
      oid[sz] = '\0';
      c->sig_weak = weak_sig_oid(oid);
      c->sig_alg = td_strdup(oid);
    } else {
      c->sig_alg = td_strdup("unknown");
    }
  }
  return c->sig_alg ? 0 : -1;
}

static int fill_serial(td_cert_t *c, gnutls_x509_crt_t crt) {
  unsigned char small[64], *p = small;
  size_t sz = sizeof(small);
  int ret = gnutls_x509_crt_get_serial(crt, p, &sz);
  if (ret == GNUTLS_E_SHORT_MEMORY_BUFFER && sz <= MAX_FIELD) {
    p = malloc(sz ? sz : 1);
    if (!p) return -1;
    ret = gnutls_x509_crt_get_serial(crt, p, &sz);
  }
  td_buf_t b;
  td_buf_init(&b);
  /* Bytes as encoded, sign padding included, as certtool shows them. */
  if (ret >= 0) put_hex(&b, p, sz);
  if (p != small) free(p);
  c->serial = td_buf_steal(&b, NULL);
  return c->serial ? 0 : -1;
}

/* Renders one general name. Sets *type. */
static char *san_text(unsigned type, const gnutls_datum_t *v,
                      const gnutls_datum_t *oid, td_san_type_t *st) {
  td_buf_t b;
  td_buf_init(&b);
  *st = TD_SAN_OTHER;
  switch (type) {
  case GNUTLS_SAN_DNSNAME:
    *st = TD_SAN_DNS;
    put_visible(&b, v->data, v->size);
    break;
  case GNUTLS_SAN_IPADDRESS: {
    char ip[INET6_ADDRSTRLEN];
    if ((v->size == 4 && inet_ntop(AF_INET, v->data, ip, sizeof(ip))) ||
        (v->size == 16 && inet_ntop(AF_INET6, v->data, ip, sizeof(ip)))) {
      *st = TD_SAN_IP;
      td_buf_puts(&b, ip);
    } else {
      /* neither 4 nor 16 bytes: not an address, show the bytes */
      td_buf_puts(&b, "ip:");
      put_hex(&b, v->data, v->size);
    }
    break;
  }
  case GNUTLS_SAN_RFC822NAME:
    td_buf_puts(&b, "email:");
    put_visible(&b, v->data, v->size);
    break;
  case GNUTLS_SAN_URI:
    td_buf_puts(&b, "uri:");
    put_visible(&b, v->data, v->size);
    break;
  case GNUTLS_SAN_REGISTERED_ID:
    td_buf_puts(&b, "registeredID:");
    put_visible(&b, v->data, v->size);
    break;
  case GNUTLS_SAN_DN: {
    gnutls_datum_t s = {NULL, 0};
    td_buf_puts(&b, "dirName:");
    if (gnutls_x509_rdn_get2(v, &s, GNUTLS_X509_DN_FLAG_COMPAT) >= 0)
      put_visible(&b, s.data, s.size);
    else
      put_hex(&b, v->data, v->size);
    gnutls_free(s.data);
    break;
  }
  case GNUTLS_SAN_OTHERNAME_XMPP:
    td_buf_puts(&b, "xmpp:");
    put_visible(&b, v->data, v->size);
    break;
  case GNUTLS_SAN_OTHERNAME_KRB5PRINCIPAL:
    td_buf_puts(&b, "krb5:");
    put_visible(&b, v->data, v->size);
    break;
  case GNUTLS_SAN_OTHERNAME_MSUSERPRINCIPAL:
    td_buf_puts(&b, "upn:");
    put_visible(&b, v->data, v->size);
    break;
  case GNUTLS_SAN_OTHERNAME:
    td_buf_puts(&b, "othername:");
    if (oid && oid->data) {
      put_visible(&b, oid->data, oid->size);
      td_buf_putc(&b, ':');
    }
    put_hex(&b, v->data, v->size);
    break;
  default:
    td_buf_printf(&b, "type%u:", type);
    put_hex(&b, v->data, v->size);
    break;
  }
  return td_buf_steal(&b, NULL);
}

static int fill_sans(td_cert_t *c, gnutls_x509_crt_t crt) {
  gnutls_datum_t ext = {NULL, 0};
  unsigned critical;
  gnutls_subject_alt_names_t sans = NULL;
  td_buf_t text;
  td_buf_init(&text);
  int rc = -1;
  size_t more = 0, cap = 0;

  if (gnutls_x509_crt_get_extension_by_oid2(crt, "2.5.29.17", 0, &ext,
                                            &critical) < 0)
    goto text; /* no SAN extension */
  if (gnutls_subject_alt_names_init(&sans) < 0) {
    sans = NULL;
    goto out;
  }
  /* An unparsable extension leaves the list empty; verification will
   * report the name mismatch. */
  if (gnutls_x509_ext_import_subject_alt_names(&ext, sans, 0) < 0) goto text;
  for (unsigned i = 0;; i++) {
    unsigned type;
    gnutls_datum_t v, oid = {NULL, 0};
    if (gnutls_subject_alt_names_get(sans, i, &type, &v, &oid) < 0) break;
    if (c->nsans >= MAX_SANS) {
      more++; /* bounded by the entries gnutls decoded */
      continue;
    }
    if (c->nsans == cap) {
      cap = cap ? cap * 2 : 8;
      if (cap > MAX_SANS) cap = MAX_SANS;
      td_san_t *n = realloc(c->sans, cap * sizeof(*n));
      if (!n) goto out;
      c->sans = n;
    }
    td_san_type_t st;
    char *s = san_text(type, &v, &oid, &st);
    if (!s) goto out;
    c->sans[c->nsans].type = st;
    c->sans[c->nsans].value = s;
    c->nsans++;
  }
text:
  for (size_t i = 0; i < c->nsans; i++) {
    if (i) td_buf_puts(&text, ", ");
    td_buf_puts(&text, c->sans[i].value);
  }
  if (more) td_buf_printf(&text, ", ... (%zu more)", more);
  c->sans_text = td_buf_steal(&text, NULL);
  rc = c->sans_text ? 0 : -1;
out:
  td_buf_free(&text);
  if (sans) gnutls_subject_alt_names_deinit(sans);
  gnutls_free(ext.data);
  return rc;
}

static int fill_aia(td_cert_t *c, gnutls_x509_crt_t crt) {
  gnutls_datum_t ext = {NULL, 0};
  unsigned critical;
  gnutls_x509_aia_t aia = NULL;
  int rc = 0;
  if (gnutls_x509_crt_get_extension_by_oid2(crt, "1.3.6.1.5.5.7.1.1", 0, &ext,
                                            &critical) < 0)
    return 0;
  if (gnutls_x509_aia_init(&aia) < 0) {
    gnutls_free(ext.data);
    return -1;
  }
  if (gnutls_x509_ext_import_aia(&ext, aia, 0) < 0) goto out;
  for (unsigned i = 0; i < MAX_AIA; i++) {
    gnutls_datum_t oid, san;
    unsigned san_type;
    if (gnutls_x509_aia_get(aia, i, &oid, &san_type, &san) < 0) break;
    if (san_type != GNUTLS_SAN_URI || !oid.data) continue;
    char **dst = NULL;
    if (oid.size == strlen(GNUTLS_OID_AD_CAISSUERS) &&
        memcmp(oid.data, GNUTLS_OID_AD_CAISSUERS, oid.size) == 0)
      dst = &c->aia_ca_issuers;
    else if (oid.size == strlen(GNUTLS_OID_AD_OCSP) &&
             memcmp(oid.data, GNUTLS_OID_AD_OCSP, oid.size) == 0)
      dst = &c->ocsp_url;
    if (!dst || *dst) continue; /* keep the first of each */
    *dst = dup_visible(san.data, san.size);
    if (!*dst) {
      rc = -1;
      break;
    }
  }
out:
  gnutls_x509_aia_deinit(aia);
  gnutls_free(ext.data);
  return rc;
}

static void hex_sha256(char out[65], const unsigned char h[32]) {
  for (size_t i = 0; i < 32; i++) {
    out[2 * i] = hexdig[h[i] >> 4];
    out[2 * i + 1] = hexdig[h[i] & 15];
  }
  out[64] = '\0';
}

int td_cert_parse(td_cert_t *c, const unsigned char *der, size_t len) {
  if (!c) return -1;
  /* c is expected fresh; zeroing it cannot crash on garbage where a
   * td_cert_clear() would. */
  memset(c, 0, sizeof(*c));
  if (!der || len == 0 || len > UINT_MAX) return -1;
  c->der = malloc(len);
  if (!c->der) return -1;
  memcpy(c->der, der, len);
  c->der_len = len;

  gnutls_x509_crt_t crt;
  if (gnutls_x509_crt_init(&crt) < 0) return -1;
  int rc = -1;
  gnutls_datum_t d = {c->der, (unsigned)len};
  if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) goto out;

  c->subject = dn_text(crt, 0);
  c->issuer = dn_text(crt, 1);
  if (!c->subject || !c->issuer) goto out;
  c->common_name = first_cn(crt); /* NULL when there is none */

  c->not_before = (int64_t)gnutls_x509_crt_get_activation_time(crt);
  c->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
  td_time_iso(c->not_before, c->not_before_iso);
  td_time_iso(c->not_after, c->not_after_iso);

  if (fill_serial(c, crt) < 0 || fill_key(c, crt) < 0 ||
      fill_sig(c, crt) < 0 || fill_sans(c, crt) < 0 || fill_aia(c, crt) < 0)
    goto out;

  unsigned char fp[32];
  /* GnuTLS's fingerprint, not a hash of the bytes as received: for a
   * certificate that is not in canonical DER, GnuTLS hashes its own
   * encoding, and the verifier and the reports name certificates by
   * GnuTLS's fingerprint (fuzz_verify found the difference). */
  size_t fpsz = sizeof(fp);
  if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &fpsz) >=
          0 &&
      fpsz == sizeof(fp))
    hex_sha256(c->sha256, fp);
  /* GnuTLS's SHA-256 key ID is the hash of the SubjectPublicKeyInfo DER
   * (what compromised.c matches; openssl x509 -pubkey | sha256sum). */
  fpsz = sizeof(fp);
  if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, fp, &fpsz) >=
          0 &&
      fpsz == sizeof(fp))
    hex_sha256(c->spki_sha256, fp);

  unsigned critical = 0, ca = 0;
  int pathlen = -1;
  c->is_ca = gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca,
                                                   &pathlen) >= 0 &&
             ca;
  c->self_issued = same_raw_dn(crt);
  c->self_signed = c->self_issued && signed_by_itself(crt, der, len);
  rc = 0;
out:
  gnutls_x509_crt_deinit(crt);
  return rc;
}
