/* tdcerts.c: the test PKI: the CA hierarchy, one leaf per case, getters. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tdcerts.h"
#include "tdcerts_int.h"

#define DAY INT64_C(86400)
#define YEAR (365 * DAY)
#define MAX_DATE INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

typedef enum { KEY_EC = 0, KEY_RSA2048, KEY_RSA1024 } keytype_t;
typedef enum { BY_INTERMEDIATE = 0, BY_SELF, BY_UNKNOWN } issuer_t;
/* What the server sends after the leaf. */
typedef enum { SEND_ISSUER = 0, SEND_LEAF_ONLY, SEND_ISSUER_AND_ROOT } sends_t;
typedef enum {
  STAPLE_NONE = 0,
  STAPLE_GOOD,
  STAPLE_REVOKED,
  STAPLE_BAD_SIGNATURE /* GOOD, but signed by a key that is not the CA's */
} staple_t;

typedef struct spec {
  const char *name;
  const char *hostname;
  const char *description;
  const char *cn;                /* subject CN; NULL means hostname */
  const char *san[4];            /* "DNS:name" / "IP:addr"; none: no SAN */
  int64_t not_before, not_after; /* relative to now */
  keytype_t key;
  issuer_t issuer;
  sends_t sends;
  staple_t staple;
  gnutls_digest_algorithm_t dig; /* 0 means SHA-256 */
  int aia;                       /* caIssuers and OCSP URLs */
  int must_staple;               /* TLS feature status_request (RFC 7633) */
} spec_t;

#define USUAL_DATES .not_before = -30 * DAY, .not_after = 90 * DAY

/* The order here is the order of tdcerts_case_at() and of the manifest. */
static const spec_t specs[] = {
    {.name = "valid",
     .hostname = "localhost",
     .description = "valid ECDSA leaf with a GOOD OCSP staple",
     .san = {"DNS:localhost", "DNS:valid.tlsdiag.test", "IP:127.0.0.1",
             "IP:::1"},
     USUAL_DATES,
     .staple = STAPLE_GOOD},
    {.name = "valid_rsa",
     .hostname = "rsa.tlsdiag.test",
     .description = "valid RSA-2048 leaf",
     .san = {"DNS:rsa.tlsdiag.test", "DNS:localhost", "IP:127.0.0.1"},
     USUAL_DATES,
     .key = KEY_RSA2048},
    {.name = "idn",
     .hostname = "b\xc3\xbc"
                 "cher.tlsdiag.test",
     .description = "internationalized name; SAN and CN hold the A-label",
     .cn = "xn--bcher-kva.tlsdiag.test",
     .san = {"DNS:xn--bcher-kva.tlsdiag.test"},
     USUAL_DATES},
    {.name = "wildcard",
     .hostname = "a.wild.tlsdiag.test",
     .description = "wildcard leaf for *.wild.tlsdiag.test",
     .cn = "*.wild.tlsdiag.test",
     .san = {"DNS:*.wild.tlsdiag.test"},
     USUAL_DATES},
    {.name = "expired",
     .hostname = "expired.tlsdiag.test",
     .description = "leaf expired 10 days ago",
     .san = {"DNS:expired.tlsdiag.test"},
     .not_before = -400 * DAY,
     .not_after = -10 * DAY},
    {.name = "not_yet_valid",
     .hostname = "future.tlsdiag.test",
     .description = "leaf becomes valid in 10 days",
     .san = {"DNS:future.tlsdiag.test"},
     .not_before = 10 * DAY,
     .not_after = 400 * DAY},
    {.name = "expiring_soon",
     .hostname = "soon.tlsdiag.test",
     .description = "leaf expires in 10 days",
     .san = {"DNS:soon.tlsdiag.test"},
     .not_before = -80 * DAY,
     .not_after = 10 * DAY},
    {.name = "self_signed",
     .hostname = "self-signed.tlsdiag.test",
     .description = "self-signed leaf (CA:FALSE) sent alone",
     .san = {"DNS:self-signed.tlsdiag.test"},
     USUAL_DATES,
     .issuer = BY_SELF,
     .sends = SEND_LEAF_ONLY},
    {.name = "unknown_root",
     .hostname = "unknown-root.tlsdiag.test",
     .description = "chain to a root nobody trusts",
     .san = {"DNS:unknown-root.tlsdiag.test"},
     USUAL_DATES,
     .issuer = BY_UNKNOWN},
    {.name = "wrong_host",
     .hostname = "wrong-host.tlsdiag.test",
     .description = "leaf for other.example only",
     .cn = "other.example",
     .san = {"DNS:other.example"},
     USUAL_DATES},
    {.name = "no_intermediate",
     .hostname = "incomplete.tlsdiag.test",
     .description = "intermediate not sent; leaf has AIA caIssuers and OCSP",
     .san = {"DNS:incomplete.tlsdiag.test"},
     USUAL_DATES,
     .sends = SEND_LEAF_ONLY,
     .aia = 1},
    {.name = "sha1",
     .hostname = "sha1.tlsdiag.test",
     .description = "leaf signed with ECDSA-SHA1",
     .san = {"DNS:sha1.tlsdiag.test"},
     USUAL_DATES,
     .dig = GNUTLS_DIG_SHA1},
    {.name = "rsa1024",
     .hostname = "weak-key.tlsdiag.test",
     .description = "RSA-1024 leaf key",
     .san = {"DNS:weak-key.tlsdiag.test"},
     USUAL_DATES,
     .key = KEY_RSA1024},
    {.name = "revoked",
     .hostname = "revoked.tlsdiag.test",
     .description = "OCSP staple says REVOKED (keyCompromise, 1 day ago)",
     .san = {"DNS:revoked.tlsdiag.test"},
     USUAL_DATES,
     .staple = STAPLE_REVOKED},
    {.name = "cn_only",
     .hostname = "cn-only.tlsdiag.test",
     .description = "name only in the CN, no subjectAltName",
     USUAL_DATES},
    {.name = "with_root",
     .hostname = "with-root.tlsdiag.test",
     .description = "valid, but the server also sends the root",
     .san = {"DNS:with-root.tlsdiag.test"},
     USUAL_DATES,
     .sends = SEND_ISSUER_AND_ROOT},
    {.name = "ocsp_bad_signature",
     .hostname = "ocsp-bad.tlsdiag.test",
     .description = "GOOD OCSP staple signed by the wrong key",
     .san = {"DNS:ocsp-bad.tlsdiag.test"},
     USUAL_DATES,
     .staple = STAPLE_BAD_SIGNATURE},
    {.name = "must_staple",
     .hostname = "must-staple.tlsdiag.test",
     .description = "OCSP must-staple (TLS feature status_request), GOOD staple",
     .san = {"DNS:must-staple.tlsdiag.test"},
     USUAL_DATES,
     .staple = STAPLE_GOOD,
     .must_staple = 1},
};

#define NCASES (sizeof(specs) / sizeof(specs[0]))

#define AIA_CA_ISSUERS "http://aia.tlsdiag.test/intermediate.der"
#define AIA_OCSP "http://ocsp.tlsdiag.test/"
#define ORG "tlsdiag test"

struct tdcerts {
  int64_t now;
  char *root_pem;
  char *intermediate_pem;
  char *unknown_root_pem;
  char *unknown_intermediate_pem;
  char *crl_pem; /* by the intermediate: revokes the "revoked" leaf */
  tdcerts_case_t cases[NCASES];
};

typedef struct keypair {
  gnutls_x509_privkey_t x509; /* owns the key; exported as PKCS#8 */
  gnutls_privkey_t priv;      /* signing view of x509 (borrows it) */
  gnutls_pubkey_t pub;
  unsigned char id[TDC_KEYID_LEN]; /* SKI / OCSP key hash */
} keypair_t;

typedef struct ca {
  keypair_t key;
  gnutls_x509_crt_t crt;
} ca_t;

/* Working state of one tdcerts_generate() call. */
typedef struct gen {
  int64_t now;
  ca_t root, inter, uroot, uinter;
} gen_t;

#define TRY(x)                                                                 \
  do {                                                                         \
    if ((rc = (x)) < 0)                                                        \
      goto out;                                                                \
  } while (0)

static void keypair_clear(keypair_t *k)
{
  if (k->pub)
    gnutls_pubkey_deinit(k->pub);
  if (k->priv)
    gnutls_privkey_deinit(k->priv);
  if (k->x509)
    gnutls_x509_privkey_deinit(k->x509);
  memset(k, 0, sizeof(*k));
}

/* Fills k with a fresh key; on failure the caller clears k. */
static int keypair_generate(keypair_t *k, keytype_t type)
{
  gnutls_pk_algorithm_t pk = GNUTLS_PK_RSA;
  unsigned bits;
  int rc;

  switch (type) {
  case KEY_RSA2048:
    bits = 2048;
    break;
  case KEY_RSA1024:
    bits = 1024;
    break;
  case KEY_EC:
  default:
    pk = GNUTLS_PK_ECDSA;
    bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
    break;
  }
  TRY(gnutls_x509_privkey_init(&k->x509));
  TRY(gnutls_x509_privkey_generate(k->x509, pk, bits, 0));
  TRY(gnutls_privkey_init(&k->priv));
  TRY(gnutls_privkey_import_x509(k->priv, k->x509, 0));
  TRY(gnutls_pubkey_init(&k->pub));
  TRY(gnutls_pubkey_import_privkey(k->pub, k->priv, 0, 0));
  TRY(tdc_pubkey_hash(k->pub, k->id));
out:
  return rc;
}

static void ca_clear(ca_t *ca)
{
  keypair_clear(&ca->key);
  if (ca->crt)
    gnutls_x509_crt_deinit(ca->crt);
  ca->crt = NULL;
}

/* What goes into one certificate. */
typedef struct certreq {
  const char *cn;
  const char *const *san; /* san[0..nsan) */
  size_t nsan;
  const gnutls_datum_t *san_ext; /* or the extension's DER, made elsewhere */
  int64_t not_before, not_after; /* absolute */
  int ca;                        /* CA:TRUE with pathlen below */
  int pathlen;                   /* -1: no limit */
  int aia;
  int must_staple;
  const keypair_t *key;
  gnutls_x509_crt_t issuer; /* NULL: self-signed with key */
  const keypair_t *issuer_key;
  gnutls_digest_algorithm_t dig;
} certreq_t;

static int random_serial(gnutls_x509_crt_t crt)
{
  unsigned char s[16];
  int rc = gnutls_rnd(GNUTLS_RND_NONCE, s, sizeof(s));

  if (rc < 0)
    return rc;
  /* positive, and 16 bytes long: the first octet is 0x01..0x7f */
  s[0] &= 0x7f;
  if (s[0] == 0)
    s[0] = 1;
  return gnutls_x509_crt_set_serial(crt, s, sizeof(s));
}

static int add_san(gnutls_x509_crt_t crt, const char *san)
{
  unsigned char ip[16];

  if (strncmp(san, "DNS:", 4) == 0)
    return gnutls_x509_crt_set_subject_alt_name(
        crt, GNUTLS_SAN_DNSNAME, san + 4, (unsigned)strlen(san + 4),
        GNUTLS_FSAN_APPEND);
  if (strncmp(san, "IP:", 3) == 0) {
    unsigned n = 0;

    if (inet_pton(AF_INET, san + 3, ip) == 1)
      n = 4;
    else if (inet_pton(AF_INET6, san + 3, ip) == 1)
      n = 16;
    if (n)
      return gnutls_x509_crt_set_subject_alt_name(
          crt, GNUTLS_SAN_IPADDRESS, ip, n, GNUTLS_FSAN_APPEND);
  }
  return GNUTLS_E_INVALID_REQUEST;
}

static int add_aia(gnutls_x509_crt_t crt)
{
  gnutls_x509_aia_t aia = NULL;
  gnutls_datum_t ext = {NULL, 0};
  gnutls_datum_t ca_issuers = {(unsigned char *)AIA_CA_ISSUERS,
                               sizeof(AIA_CA_ISSUERS) - 1};
  gnutls_datum_t ocsp = {(unsigned char *)AIA_OCSP, sizeof(AIA_OCSP) - 1};
  int rc;

  TRY(gnutls_x509_aia_init(&aia));
  TRY(gnutls_x509_aia_set(aia, GNUTLS_OID_AD_OCSP, GNUTLS_SAN_URI, &ocsp));
  TRY(gnutls_x509_aia_set(aia, GNUTLS_OID_AD_CAISSUERS, GNUTLS_SAN_URI,
                          &ca_issuers));
  TRY(gnutls_x509_ext_export_aia(aia, &ext));
  TRY(gnutls_x509_crt_set_extension_by_oid(crt, GNUTLS_OID_AIA, ext.data,
                                           ext.size, 0));
out:
  gnutls_free(ext.data);
  if (aia)
    gnutls_x509_aia_deinit(aia);
  return rc;
}

/* RFC 7633's TLS feature extension asking for status_request (5). */
static int add_must_staple(gnutls_x509_crt_t crt)
{
  gnutls_x509_tlsfeatures_t f = NULL;
  int rc;

  TRY(gnutls_x509_tlsfeatures_init(&f));
  TRY(gnutls_x509_tlsfeatures_add(f, 5));
  TRY(gnutls_x509_crt_set_tlsfeatures(crt, f));
out:
  if (f)
    gnutls_x509_tlsfeatures_deinit(f);
  return rc;
}

/* Builds and signs a certificate. The result is re-imported from its DER,
 * so every getter (raw DNs, serial) sees exactly the signed encoding. */
static int make_cert(const certreq_t *q, gnutls_x509_crt_t *out)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t der = {NULL, 0};
  unsigned usage;
  size_t i;
  int rc;

  *out = NULL;
  TRY(gnutls_x509_crt_init(&crt));
  TRY(gnutls_x509_crt_set_version(crt, 3));
  TRY(random_serial(crt));
  /* Encoded O first, then CN: printed as "CN=...,O=tlsdiag test". */
  TRY(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
                                    ORG, sizeof(ORG) - 1));
  TRY(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                    q->cn, (unsigned)strlen(q->cn)));
  TRY(gnutls_x509_crt_set_activation_time(crt, (time_t)q->not_before));
  TRY(gnutls_x509_crt_set_expiration_time(crt, (time_t)q->not_after));
  TRY(gnutls_x509_crt_set_pubkey(crt, q->key->pub));
  TRY(gnutls_x509_crt_set_basic_constraints(crt, (unsigned)q->ca,
                                            q->ca ? q->pathlen : -1));
  if (q->ca) {
    usage = GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN;
  } else {
    usage = GNUTLS_KEY_DIGITAL_SIGNATURE;
    if (gnutls_privkey_get_pk_algorithm(q->key->priv, NULL) == GNUTLS_PK_RSA)
      usage |= GNUTLS_KEY_KEY_ENCIPHERMENT;
    TRY(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
                                            0));
  }
  TRY(gnutls_x509_crt_set_key_usage(crt, usage));
  TRY(gnutls_x509_crt_set_subject_key_id(crt, q->key->id, TDC_KEYID_LEN));
  TRY(gnutls_x509_crt_set_authority_key_id(crt, q->issuer_key->id,
                                           TDC_KEYID_LEN));
  for (i = 0; i < q->nsan; i++)
    TRY(add_san(crt, q->san[i]));
  if (q->san_ext)
    TRY(gnutls_x509_crt_set_extension_by_oid(crt, "2.5.29.17",
                                             q->san_ext->data,
                                             q->san_ext->size, 0));
  if (q->aia)
    TRY(add_aia(crt));
  if (q->must_staple)
    TRY(add_must_staple(crt));
  TRY(gnutls_x509_crt_privkey_sign(crt, q->issuer ? q->issuer : crt,
                                   q->issuer_key->priv, q->dig, 0));

  TRY(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der));
  gnutls_x509_crt_deinit(crt);
  crt = NULL;
  TRY(gnutls_x509_crt_init(&crt));
  TRY(gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER));
  *out = crt;
  crt = NULL;
out:
  gnutls_free(der.data);
  if (crt)
    gnutls_x509_crt_deinit(crt);
  return rc;
}

static int make_ca(ca_t *ca, const char *cn, const ca_t *parent,
                   int64_t not_before, int64_t not_after, int pathlen)
{
  certreq_t q;
  int rc;

  TRY(keypair_generate(&ca->key, KEY_EC));
  memset(&q, 0, sizeof(q));
  q.cn = cn;
  q.not_before = not_before;
  q.not_after = not_after;
  q.ca = 1;
  q.pathlen = pathlen;
  q.key = &ca->key;
  q.issuer = parent ? parent->crt : NULL;
  q.issuer_key = parent ? &parent->key : &ca->key;
  q.dig = GNUTLS_DIG_SHA256;
  TRY(make_cert(&q, &ca->crt));
out:
  return rc;
}

/* Appends crt as PEM to a text buffer (tdc_der_t doubles as a plain byte
 * buffer here). */
static int append_pem(tdc_der_t *b, gnutls_x509_crt_t crt)
{
  gnutls_datum_t pem = {NULL, 0};
  int rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem);

  if (rc < 0)
    return rc;
  tdc_der_raw(b, pem.data, pem.size);
  gnutls_free(pem.data);
  return b->failed;
}

/* Hands a text buffer over as a NUL-terminated string. */
static int finish_text(tdc_der_t *b, char **out)
{
  unsigned char *p;
  size_t len;
  int rc;

  tdc_der_raw(b, "", 1);
  rc = tdc_der_steal(b, &p, &len);
  *out = (char *)p;
  return rc;
}

static int crt_pem(gnutls_x509_crt_t crt, char **out)
{
  tdc_der_t b;
  int rc;

  tdc_der_init(&b);
  rc = append_pem(&b, crt);
  if (rc < 0) {
    tdc_der_free(&b);
    return rc;
  }
  return finish_text(&b, out);
}

static int key_pem(const keypair_t *k, char **out)
{
  gnutls_datum_t pem = {NULL, 0};
  tdc_der_t b;
  int rc;

  rc = gnutls_x509_privkey_export2_pkcs8(k->x509, GNUTLS_X509_FMT_PEM, NULL,
                                         GNUTLS_PKCS_PLAIN, &pem);
  if (rc < 0)
    return rc;
  tdc_der_init(&b);
  tdc_der_raw(&b, pem.data, pem.size);
  gnutls_free(pem.data);
  return finish_text(&b, out);
}

static int make_staple(const gen_t *g, const spec_t *s, gnutls_x509_crt_t leaf,
                       const ca_t *issuer, tdcerts_case_t *c)
{
  tdc_ocsp_params_t p;

  memset(&p, 0, sizeof(p));
  p.leaf = leaf;
  p.issuer_key_hash = issuer->key.id;
  p.responder_key_hash = issuer->key.id;
  p.signer = issuer->key.priv;
  if (s->staple == STAPLE_BAD_SIGNATURE)
    p.signer = g->uinter.key.priv; /* claims to be the CA, is not */
  p.status = s->staple == STAPLE_REVOKED ? TDC_OCSP_REVOKED : TDC_OCSP_GOOD;
  p.produced_at = g->now;
  p.this_update = g->now - 3600;
  p.next_update = g->now + 7 * DAY;
  p.revoked_at = g->now - DAY;
  p.revocation_reason = s->staple == STAPLE_REVOKED
                            ? GNUTLS_X509_CRLREASON_KEYCOMPROMISE
                            : -1;
  return tdc_ocsp_build(&p, &c->ocsp_der, &c->ocsp_len);
}

static int make_case(const gen_t *g, const spec_t *s, tdcerts_case_t *c)
{
  keypair_t key;
  gnutls_x509_crt_t leaf = NULL;
  const ca_t *issuer = NULL, *root = &g->root;
  tdc_der_t chain;
  certreq_t q;
  int rc;

  memset(&key, 0, sizeof(key));
  tdc_der_init(&chain);
  c->name = s->name;
  c->hostname = s->hostname;
  c->description = s->description;
  if (s->issuer == BY_INTERMEDIATE) {
    issuer = &g->inter;
  } else if (s->issuer == BY_UNKNOWN) {
    issuer = &g->uinter;
    root = &g->uroot;
  }

  TRY(keypair_generate(&key, s->key));
  memset(&q, 0, sizeof(q));
  q.cn = s->cn ? s->cn : s->hostname;
  q.san = s->san;
  while (q.nsan < sizeof(s->san) / sizeof(s->san[0]) && s->san[q.nsan])
    q.nsan++;
  q.not_before = g->now + s->not_before;
  q.not_after = g->now + s->not_after;
  q.pathlen = -1;
  q.aia = s->aia;
  q.must_staple = s->must_staple;
  q.key = &key;
  q.issuer = issuer ? issuer->crt : NULL;
  q.issuer_key = issuer ? &issuer->key : &key;
  q.dig = s->dig ? s->dig : GNUTLS_DIG_SHA256;
  TRY(make_cert(&q, &leaf));

  TRY(append_pem(&chain, leaf));
  if (issuer && s->sends != SEND_LEAF_ONLY)
    TRY(append_pem(&chain, issuer->crt));
  if (issuer && s->sends == SEND_ISSUER_AND_ROOT)
    TRY(append_pem(&chain, root->crt));
  TRY(finish_text(&chain, &c->chain_pem));
  TRY(key_pem(&key, &c->key_pem));
  if (s->staple != STAPLE_NONE && issuer)
    TRY(make_staple(g, s, leaf, issuer, c));
out:
  tdc_der_free(&chain);
  if (leaf)
    gnutls_x509_crt_deinit(leaf);
  keypair_clear(&key);
  return rc;
}

/* A CRL from the intermediate (v2, cRLNumber 1, AKI, thisUpdate now-1h,
 * nextUpdate now+7d) listing the leaf of case "revoked" (revoked a day
 * ago), so the same leaf is revoked by OCSP staple and by CRL. */
static int make_crl(const gen_t *g, const tdcerts_case_t *revoked, char **out)
{
  gnutls_x509_crl_t crl = NULL;
  gnutls_x509_crt_t leaf = NULL;
  gnutls_datum_t pem = {(unsigned char *)revoked->chain_pem,
                        (unsigned)strlen(revoked->chain_pem)};
  gnutls_datum_t der = {NULL, 0};
  unsigned char serial[64], number = 1;
  size_t slen = sizeof(serial);
  tdc_der_t b;
  int rc;

  tdc_der_init(&b);
  TRY(gnutls_x509_crt_init(&leaf));
  TRY(gnutls_x509_crt_import(leaf, &pem, GNUTLS_X509_FMT_PEM));
  TRY(gnutls_x509_crt_get_serial(leaf, serial, &slen));
  TRY(gnutls_x509_crl_init(&crl));
  TRY(gnutls_x509_crl_set_version(crl, 2));
  TRY(gnutls_x509_crl_set_this_update(crl, (time_t)(g->now - 3600)));
  TRY(gnutls_x509_crl_set_next_update(crl, (time_t)(g->now + 7 * DAY)));
  TRY(gnutls_x509_crl_set_crt_serial(crl, serial, slen,
                                     (time_t)(g->now - DAY)));
  TRY(gnutls_x509_crl_set_number(crl, &number, 1));
  TRY(gnutls_x509_crl_set_authority_key_id(crl, g->inter.key.id,
                                           TDC_KEYID_LEN));
  TRY(gnutls_x509_crl_privkey_sign(crl, g->inter.crt, g->inter.key.priv,
                                   GNUTLS_DIG_SHA256, 0));
  TRY(gnutls_x509_crl_export2(crl, GNUTLS_X509_FMT_PEM, &der));
  tdc_der_raw(&b, der.data, der.size);
  rc = finish_text(&b, out);
out:
  tdc_der_free(&b);
  gnutls_free(der.data);
  if (crl)
    gnutls_x509_crl_deinit(crl);
  if (leaf)
    gnutls_x509_crt_deinit(leaf);
  return rc;
}

/* Every date must be encodable and fit time_t. */
static int now_ok(int64_t now)
{
  /* Range first: the sum below must not overflow for hostile input. */
  if (now < 10 * YEAR || now > MAX_DATE - 10 * YEAR)
    return 0;
  int64_t last = now + 10 * YEAR;
  return (int64_t)(time_t)last == last;
}

int tdcerts_generate(int64_t now, tdcerts_t **out)
{
  gen_t g;
  tdcerts_t *set = NULL;
  size_t i;
  int rc;

  if (!out)
    return GNUTLS_E_INVALID_REQUEST;
  *out = NULL;
  if (!now_ok(now))
    return GNUTLS_E_INVALID_REQUEST;
  memset(&g, 0, sizeof(g));
  g.now = now;
  set = calloc(1, sizeof(*set));
  if (!set)
    return GNUTLS_E_MEMORY_ERROR;
  set->now = now;

  TRY(make_ca(&g.root, "tlsdiag Test Root CA", NULL, now - 10 * YEAR,
              now + 10 * YEAR, -1));
  TRY(make_ca(&g.inter, "tlsdiag Test Intermediate CA", &g.root,
              now - 5 * YEAR, now + 5 * YEAR, 0));
  TRY(make_ca(&g.uroot, "tlsdiag Unknown Root CA", NULL, now - 10 * YEAR,
              now + 10 * YEAR, -1));
  TRY(make_ca(&g.uinter, "tlsdiag Unknown Intermediate CA", &g.uroot,
              now - 5 * YEAR, now + 5 * YEAR, 0));
  TRY(crt_pem(g.root.crt, &set->root_pem));
  TRY(crt_pem(g.inter.crt, &set->intermediate_pem));
  TRY(crt_pem(g.uroot.crt, &set->unknown_root_pem));
  TRY(crt_pem(g.uinter.crt, &set->unknown_intermediate_pem));
  for (i = 0; i < NCASES; i++)
    TRY(make_case(&g, &specs[i], &set->cases[i]));
  TRY(make_crl(&g, tdcerts_case(set, "revoked"), &set->crl_pem));
  *out = set;
  set = NULL;
  rc = 0;
out:
  ca_clear(&g.root);
  ca_clear(&g.inter);
  ca_clear(&g.uroot);
  ca_clear(&g.uinter);
  tdcerts_free(set);
  return rc;
}

/* A fresh root called root_cn and an ECDSA leaf for hostname signed by
 * it (SANs: san_ext, or hostname alone; the AIA URLs if aia), valid
 * now-30d..now+90d, as malloc'd PEM. */
static int leaf_under_new_root(int64_t now, const char *root_cn,
                               const char *hostname,
                               const gnutls_datum_t *san_ext, int aia,
                               char **out_root, char **out_chain,
                               char **out_key)
{
  ca_t root;
  keypair_t key;
  gnutls_x509_crt_t leaf = NULL;
  const char *san[1];
  char dns[300];
  certreq_t q;
  int rc;

  memset(&root, 0, sizeof(root));
  memset(&key, 0, sizeof(key));
  memset(&q, 0, sizeof(q));
  if (snprintf(dns, sizeof(dns), "DNS:%s", hostname) >= (int)sizeof(dns))
    return GNUTLS_E_INVALID_REQUEST;
  san[0] = dns;
  TRY(make_ca(&root, root_cn, NULL, now - 10 * YEAR, now + 10 * YEAR, -1));
  TRY(keypair_generate(&key, KEY_EC));
  q.cn = hostname;
  if (san_ext) {
    q.san_ext = san_ext;
  } else {
    q.san = san;
    q.nsan = 1;
  }
  q.not_before = now - 30 * DAY;
  q.not_after = now + 90 * DAY;
  q.pathlen = -1;
  q.aia = aia;
  q.key = &key;
  q.issuer = root.crt;
  q.issuer_key = &root.key;
  q.dig = GNUTLS_DIG_SHA256;
  TRY(make_cert(&q, &leaf));
  TRY(crt_pem(root.crt, out_root));
  TRY(crt_pem(leaf, out_chain));
  TRY(key_pem(&key, out_key));
out:
  if (leaf)
    gnutls_x509_crt_deinit(leaf);
  keypair_clear(&key);
  ca_clear(&root);
  return rc;
}

static int outs_check(int64_t now, const char *hostname, char **out_root,
                      char **out_chain, char **out_key)
{
  if (!out_root || !out_chain || !out_key)
    return GNUTLS_E_INVALID_REQUEST;
  *out_root = *out_chain = *out_key = NULL;
  if (!hostname || !now_ok(now))
    return GNUTLS_E_INVALID_REQUEST;
  return 0;
}

static void outs_free(char **out_root, char **out_chain, char **out_key)
{
  free(*out_root);
  free(*out_chain);
  free(*out_key);
  *out_root = *out_chain = *out_key = NULL;
}

int tdcerts_many_sans(int64_t now, const char *hostname, size_t nsans,
                      char **out_root, char **out_chain, char **out_key)
{
  gnutls_subject_alt_names_t sans = NULL;
  gnutls_datum_t ext = {NULL, 0};
  size_t i;
  int rc;

  if ((rc = outs_check(now, hostname, out_root, out_chain, out_key)) < 0)
    return rc;
  if (nsans > 100000)
    return GNUTLS_E_INVALID_REQUEST;
  /* One extension built at once (appending name by name re-encodes the
   * extension each time). */
  TRY(gnutls_subject_alt_names_init(&sans));
  for (i = 0; i <= nsans; i++) {
    char buf[300];
    int k = i < nsans
                ? snprintf(buf, sizeof(buf), "n%05zu.many-sans.tlsdiag.test", i)
                : snprintf(buf, sizeof(buf), "%s", hostname);
    gnutls_datum_t d = {(unsigned char *)buf, (unsigned)k};
    if (k <= 0 || (size_t)k >= sizeof(buf)) {
      rc = GNUTLS_E_INVALID_REQUEST;
      goto out;
    }
    TRY(gnutls_subject_alt_names_set(sans, GNUTLS_SAN_DNSNAME, &d, NULL));
  }
  TRY(gnutls_x509_ext_export_subject_alt_names(sans, &ext));
  TRY(leaf_under_new_root(now, "tlsdiag Many SANs Root CA", hostname, &ext, 0,
                          out_root, out_chain, out_key));
out:
  if (rc < 0)
    outs_free(out_root, out_chain, out_key);
  gnutls_free(ext.data);
  if (sans)
    gnutls_subject_alt_names_deinit(sans);
  return rc;
}

int tdcerts_private_root(int64_t now, const char *hostname,
                         const char *root_cn, char **out_root,
                         char **out_chain, char **out_key)
{
  int rc;

  if ((rc = outs_check(now, hostname, out_root, out_chain, out_key)) < 0)
    return rc;
  if (!root_cn)
    return GNUTLS_E_INVALID_REQUEST;
  rc = leaf_under_new_root(now, root_cn, hostname, NULL, 1, out_root,
                           out_chain, out_key);
  if (rc < 0)
    outs_free(out_root, out_chain, out_key);
  return rc;
}

int tdcerts_spki_sha256(const char *pem, char out[65])
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_pubkey_t pk = NULL;
  gnutls_datum_t in, spki = {NULL, 0};
  unsigned char h[32];
  int rc, i;

  if (!pem || !out)
    return GNUTLS_E_INVALID_REQUEST;
  in.data = (unsigned char *)(uintptr_t)pem;
  in.size = (unsigned)strlen(pem);
  TRY(gnutls_x509_crt_init(&crt));
  TRY(gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM));
  TRY(gnutls_pubkey_init(&pk));
  TRY(gnutls_pubkey_import_x509(pk, crt, 0));
  TRY(gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &spki));
  TRY(gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, h));
  for (i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", h[i]);
out:
  gnutls_free(spki.data);
  if (pk)
    gnutls_pubkey_deinit(pk);
  if (crt)
    gnutls_x509_crt_deinit(crt);
  return rc;
}

/* Root -> intermediate (pathlen 0) -> leaf for hostname, sent as leaf,
 * a second certificate for the intermediate's name, the intermediate.
 * self_issued 0: the second is the intermediate (same key) cross-signed
 * by another root nobody trusts, and the leaf is the intermediate's.
 * self_issued 1: the second is a self-issued CA (the intermediate's name,
 * a new key) signed by the intermediate, and it issues the leaf. */
static int two_paths(int64_t now, const char *hostname, int self_issued,
                     char **out_root, char **out_chain, char **out_key)
{
  ca_t root, other, inter, middle;
  keypair_t key;
  gnutls_x509_crt_t leaf = NULL;
  tdc_der_t chain;
  certreq_t q;
  char san[300];
  const char *sans[2];
  int rc;

  memset(&root, 0, sizeof(root));
  memset(&other, 0, sizeof(other));
  memset(&inter, 0, sizeof(inter));
  memset(&middle, 0, sizeof(middle));
  memset(&key, 0, sizeof(key));
  tdc_der_init(&chain);
  if (!out_root || !out_chain || !out_key)
    return GNUTLS_E_INVALID_REQUEST;
  *out_root = *out_chain = *out_key = NULL;
  if (!hostname || !now_ok(now) ||
      snprintf(san, sizeof(san), "DNS:%s", hostname) >= (int)sizeof(san))
    return GNUTLS_E_INVALID_REQUEST;
  TRY(make_ca(&root, "tlsdiag Two Paths Root CA", NULL, now - 10 * YEAR,
              now + 10 * YEAR, -1));
  TRY(make_ca(&inter, "tlsdiag Two Paths Intermediate CA", &root,
              now - 5 * YEAR, now + 5 * YEAR, 0));
  memset(&q, 0, sizeof(q));
  q.cn = "tlsdiag Two Paths Intermediate CA";
  q.not_before = now - 5 * YEAR;
  q.not_after = now + 5 * YEAR;
  q.ca = 1;
  q.pathlen = -1;
  q.dig = GNUTLS_DIG_SHA256;
  if (self_issued) {
    TRY(keypair_generate(&middle.key, KEY_EC));
    q.key = &middle.key;
    q.issuer = inter.crt;
    q.issuer_key = &inter.key;
  } else {
    TRY(make_ca(&other, "tlsdiag Two Paths Other Root CA", NULL,
                now - 10 * YEAR, now + 10 * YEAR, -1));
    q.key = &inter.key;
    q.issuer = other.crt;
    q.issuer_key = &other.key;
  }
  TRY(make_cert(&q, &middle.crt));
  TRY(keypair_generate(&key, KEY_EC));
  sans[0] = san;
  sans[1] = "IP:127.0.0.1";
  memset(&q, 0, sizeof(q));
  q.cn = hostname;
  q.san = sans;
  q.nsan = 2;
  q.not_before = now - 30 * DAY;
  q.not_after = now + 90 * DAY;
  q.pathlen = -1;
  q.key = &key;
  q.issuer = self_issued ? middle.crt : inter.crt;
  q.issuer_key = self_issued ? &middle.key : &inter.key;
  q.dig = GNUTLS_DIG_SHA256;
  TRY(make_cert(&q, &leaf));
  TRY(append_pem(&chain, leaf));
  TRY(append_pem(&chain, middle.crt));
  TRY(append_pem(&chain, inter.crt));
  TRY(finish_text(&chain, out_chain));
  TRY(crt_pem(root.crt, out_root));
  TRY(key_pem(&key, out_key));
out:
  if (rc < 0) {
    free(*out_root);
    free(*out_chain);
    free(*out_key);
    *out_root = *out_chain = *out_key = NULL;
  }
  tdc_der_free(&chain);
  if (leaf)
    gnutls_x509_crt_deinit(leaf);
  keypair_clear(&key);
  ca_clear(&root);
  ca_clear(&other);
  ca_clear(&inter);
  ca_clear(&middle);
  return rc;
}

int tdcerts_cross_signed(int64_t now, const char *hostname, char **out_root,
                         char **out_chain, char **out_key)
{
  return two_paths(now, hostname, 0, out_root, out_chain, out_key);
}

int tdcerts_self_issued(int64_t now, const char *hostname, char **out_root,
                        char **out_chain, char **out_key)
{
  return two_paths(now, hostname, 1, out_root, out_chain, out_key);
}

char *tdcerts_mismatched_sigalg(const char *pem)
{
  /* ecdsa-with-SHA256 (1.2.840.10045.4.3.2), DER-encoded */
  static const unsigned char oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                      0xce, 0x3d, 0x04, 0x03, 0x02};
  gnutls_datum_t in, der = {NULL, 0}, out = {NULL, 0};
  char *res = NULL;
  size_t i, last = 0;
  int found = 0;

  if (!pem)
    return NULL;
  in.data = (unsigned char *)(uintptr_t)pem;
  in.size = (unsigned)strlen(pem);
  if (gnutls_pem_base64_decode2("CERTIFICATE", &in, &der) < 0)
    return NULL;
  /* the last occurrence is the outer signatureAlgorithm */
  for (i = 0; der.size >= sizeof(oid) && i <= der.size - sizeof(oid); i++)
    if (memcmp(der.data + i, oid, sizeof(oid)) == 0) {
      last = i;
      found++;
    }
  if (found >= 2) {
    der.data[last + sizeof(oid) - 1] = 0x03; /* ecdsa-with-SHA384 */
    if (gnutls_pem_base64_encode2("CERTIFICATE", &der, &out) == 0) {
      res = malloc(out.size + 1);
      if (res) {
        memcpy(res, out.data, out.size);
        res[out.size] = '\0';
      }
    }
  }
  gnutls_free(der.data);
  gnutls_free(out.data);
  return res;
}

const tdcerts_case_t *tdcerts_case(const tdcerts_t *set, const char *name)
{
  size_t i;

  if (!set || !name)
    return NULL;
  for (i = 0; i < NCASES; i++)
    if (strcmp(set->cases[i].name, name) == 0)
      return &set->cases[i];
  return NULL;
}

size_t tdcerts_case_count(const tdcerts_t *set) { return set ? NCASES : 0; }

const tdcerts_case_t *tdcerts_case_at(const tdcerts_t *set, size_t i)
{
  return set && i < NCASES ? &set->cases[i] : NULL;
}

const char *tdcerts_root_pem(const tdcerts_t *set)
{
  return set ? set->root_pem : NULL;
}

const char *tdcerts_intermediate_pem(const tdcerts_t *set)
{
  return set ? set->intermediate_pem : NULL;
}

const char *tdcerts_unknown_root_pem(const tdcerts_t *set)
{
  return set ? set->unknown_root_pem : NULL;
}

const char *tdcerts_unknown_intermediate_pem(const tdcerts_t *set)
{
  return set ? set->unknown_intermediate_pem : NULL;
}

int64_t tdcerts_now(const tdcerts_t *set) { return set ? set->now : 0; }

const char *tdcerts_crl_pem(const tdcerts_t *set)
{
  return set ? set->crl_pem : NULL;
}

void tdcerts_free(tdcerts_t *set)
{
  size_t i;

  if (!set)
    return;
  for (i = 0; i < NCASES; i++) {
    free(set->cases[i].chain_pem);
    free(set->cases[i].key_pem);
    free(set->cases[i].ocsp_der);
  }
  free(set->root_pem);
  free(set->intermediate_pem);
  free(set->unknown_root_pem);
  free(set->unknown_intermediate_pem);
  free(set->crl_pem);
  free(set);
}
