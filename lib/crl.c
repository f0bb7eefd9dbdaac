/* crl.c: certificate revocation lists for the verifier: which CRL was
 * issued by a certificate's issuer, whether it can be used (signature,
 * cRLSign, cRLNumber, critical extensions), and whether it lists the
 * certificate. RFC 5280 sections 5 and 6.3. Bounded: at most MAX_CRLS
 * lists and MAX_ENTRIES revoked serials each are read. */
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>

#include "crl.h"
#include "x509_der.h"

#define MAX_CRLS 64
#define MAX_ENTRIES 1000000
#define MAX_SERIAL 64

typedef struct revoked {
  unsigned char serial[MAX_SERIAL];
  size_t len;
  int64_t when;
} revoked_t;

typedef struct one {
  int parsed;               /* 0: the bytes are not a CRL */
  gnutls_datum_t issuer;    /* raw issuer DN */
  unsigned char *der;
  size_t der_len;
  const unsigned char *tbs; /* into der */
  size_t tbs_len;
  unsigned char *sig;
  size_t sig_len;
  int sig_algo;
  int has_number, number_critical;
  int unknown_critical;     /* an extension we cannot process is critical */
  int delta;                /* a delta CRL (not supported) */
  int64_t this_update, next_update;
  revoked_t *rev;
  size_t nrev;
} one_t;

struct td_crl {
  one_t *e;
  size_t n;
};

static int known_crl_ext(const char *oid) {
  return !strcmp(oid, "2.5.29.20") || !strcmp(oid, "2.5.29.35") ||
         !strcmp(oid, "2.5.29.28") || !strcmp(oid, "2.5.29.46") ||
         !strcmp(oid, "2.5.29.18") || !strcmp(oid, "1.3.6.1.5.5.7.1.1");
}

static int load_one(one_t *o, const gnutls_datum_t *d) {
  gnutls_x509_crl_t crl = NULL;
  int rc = 0;
  o->der = malloc(d->size ? d->size : 1);
  if (!o->der) return -1;
  memcpy(o->der, d->data, d->size);
  o->der_len = d->size;
  if (gnutls_x509_crl_init(&crl) < 0) return -1;
  gnutls_datum_t in = {o->der, (unsigned)o->der_len};
  if (gnutls_x509_crl_import(crl, &in, GNUTLS_X509_FMT_DER) < 0) goto out;
  if (gnutls_x509_crl_get_raw_issuer_dn(crl, &o->issuer) < 0) goto out;
  unsigned tag;
  const unsigned char *v, *tv;
  size_t vl, tot, tl, ttot;
  if (td_der_next(o->der, o->der_len, &tag, &v, &vl, &tot) || tag != 0x30 ||
      td_der_next(v, vl, &tag, &tv, &tl, &ttot) || tag != 0x30)
    goto out;
  o->tbs = v;
  o->tbs_len = ttot;
  o->sig_algo = gnutls_x509_crl_get_signature_algorithm(crl);
  size_t ssz = 0;
  if (gnutls_x509_crl_get_signature(crl, NULL, &ssz) !=
          GNUTLS_E_SHORT_MEMORY_BUFFER ||
      ssz == 0 || ssz > (1u << 20))
    goto out;
  o->sig = malloc(ssz);
  if (!o->sig) {
    rc = -1;
    goto out;
  }
  if (gnutls_x509_crl_get_signature(crl, (char *)o->sig, &ssz) < 0) goto out;
  o->sig_len = ssz;
  o->this_update = (int64_t)gnutls_x509_crl_get_this_update(crl);
  time_t nu = gnutls_x509_crl_get_next_update(crl);
  o->next_update = nu == (time_t)-1 ? 0 : (int64_t)nu;
  for (unsigned i = 0; i < 64; i++) {
    char oid[64];
    size_t osz = sizeof(oid);
    unsigned crit = 0;
    if (gnutls_x509_crl_get_extension_info(crl, i, oid, &osz, &crit) < 0) break;
    if (!strcmp(oid, "2.5.29.20")) {
      o->has_number = 1;
      o->number_critical = crit != 0;
    } else if (!strcmp(oid, "2.5.29.27")) {
      o->delta = 1;
    } else if (crit && !known_crl_ext(oid)) {
      o->unknown_critical = 1;
    }
  }
  gnutls_x509_crl_iter_t it = NULL;
  for (size_t i = 0; i < MAX_ENTRIES; i++) {
    unsigned char serial[MAX_SERIAL];
    size_t sl = sizeof(serial);
    time_t t = 0;
    if (gnutls_x509_crl_iter_crt_serial(crl, &it, serial, &sl, &t) < 0) break;
    if (o->nrev % 64 == 0) {
      revoked_t *n = realloc(o->rev, (o->nrev + 64) * sizeof(*n));
      if (!n) {
        rc = -1;
        break;
      }
      o->rev = n;
    }
    memcpy(o->rev[o->nrev].serial, serial, sl);
    o->rev[o->nrev].len = sl;
    o->rev[o->nrev].when = t == (time_t)-1 ? 0 : (int64_t)t;
    o->nrev++;
  }
  gnutls_x509_crl_iter_deinit(it);
  o->parsed = rc == 0;
out:
  gnutls_x509_crl_deinit(crl);
  return rc;
}

td_crl_t *td_crl_load(const gnutls_datum_t *crls, size_t n) {
  if (n == 0) return NULL;
  if (n > MAX_CRLS) n = MAX_CRLS;
  td_crl_t *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->e = calloc(n, sizeof(*c->e));
  if (!c->e) {
    free(c);
    return NULL;
  }
  c->n = n;
  for (size_t i = 0; i < n; i++)
    if (load_one(&c->e[i], &crls[i]) < 0) {
      td_crl_free(c);
      return NULL;
    }
  return c;
}

void td_crl_free(td_crl_t *c) {
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) {
    gnutls_free(c->e[i].issuer.data);
    free(c->e[i].der);
    free(c->e[i].sig);
    free(c->e[i].rev);
  }
  free(c->e);
  free(c);
}

size_t td_crl_count(const td_crl_t *c) { return c ? c->n : 0; }

void td_crl_check(const td_crl_t *c, gnutls_x509_crt_t cert,
                  gnutls_x509_crt_t issuer_crt, gnutls_pubkey_t issuer_pub,
                  int ku_present, unsigned ku, td_crl_verdict_t *out) {
  memset(out, 0, sizeof(*out));
  out->status = TD_CRL_NONE;
  (void)issuer_crt;
  if (!c || !cert) return;
  gnutls_datum_t iss = {NULL, 0};
  unsigned char serial[MAX_SERIAL];
  size_t sl = sizeof(serial);
  if (gnutls_x509_crt_get_raw_issuer_dn(cert, &iss) < 0) return;
  if (gnutls_x509_crt_get_serial(cert, serial, &sl) < 0) sl = 0;
  int bad_sig = 0;
  for (size_t i = 0; i < c->n; i++) {
    const one_t *o = &c->e[i];
    if (!o->parsed || o->issuer.size != iss.size ||
        memcmp(o->issuer.data, iss.data, iss.size) != 0)
      continue;
    gnutls_datum_t tbs = {(unsigned char *)o->tbs, (unsigned)o->tbs_len};
    gnutls_datum_t sig = {o->sig, (unsigned)o->sig_len};
    if (!issuer_pub || o->sig_algo <= 0 ||
        gnutls_pubkey_verify_data2(issuer_pub,
                                   (gnutls_sign_algorithm_t)o->sig_algo,
                                   GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &tbs,
                                   &sig) < 0) {
      bad_sig = 1; /* another key of a CA with the same name, or forged */
      continue;
    }
    out->this_update = o->this_update;
    out->next_update = o->next_update;
    out->status = TD_CRL_UNUSABLE;
    if (ku_present && !(ku & GNUTLS_KEY_CRL_SIGN)) {
      out->rule = "crl_issuer_key_usage";
      out->why = "the issuer's keyUsage does not allow cRLSign";
    } else if (!o->has_number) {
      out->rule = "crl_number";
      out->why = "the CRL has no cRLNumber extension";
    } else if (o->number_critical) {
      out->rule = "crl_number";
      out->why = "the CRL marks cRLNumber critical";
    } else if (o->delta) {
      out->rule = "crl_extension";
      out->why = "delta CRLs are not supported";
    } else if (o->unknown_critical) {
      out->rule = "crl_extension";
      out->why = "the CRL has an unknown critical extension";
    } else {
      out->status = TD_CRL_GOOD;
      for (size_t k = 0; k < o->nrev; k++)
        if (o->rev[k].len == sl && memcmp(o->rev[k].serial, serial, sl) == 0) {
          out->status = TD_CRL_REVOKED;
          out->revoked_at = o->rev[k].when;
          break;
        }
    }
    if (out->status == TD_CRL_REVOKED || out->status == TD_CRL_UNUSABLE)
      break; /* the worst verdict of a usable CRL stands */
  }
  if (out->status == TD_CRL_NONE && bad_sig) {
    out->status = TD_CRL_UNUSABLE;
    out->rule = "crl_signature";
    out->why = "the CRL's signature does not verify with the issuer's key";
  }
  gnutls_free(iss.data);
}
