/* x509_cert.c: a certificate parsed for the verifier: the facts the rules
 * need (names, SANs, name constraints, key identifiers, EKU, key, serial,
 * signature layout), read once per context and cached by x509_path.c.
 * Extensions are read by hand with the DER reader where GnuTLS would hide
 * an encoding error the rules must see. Input is untrusted: every length
 * is checked and every list bounded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509-ext.h>

#include "x509.h"

#define MAX_EXT 64           /* extensions looked at per certificate */
#define MAX_NAMES 4096       /* name constraints per extension (more: the
                                extension is refused, never cut) */

#define OID_KP_ANY "2.5.29.37.0"

static void gnames_free(td_gname_t *g, size_t n) {
  for (size_t i = 0; i < n; i++) free(g[i].v);
  free(g);
}

void td_vcert_free(td_vcert_t *c) {
  if (!c) return;
  if (c->crt) gnutls_x509_crt_deinit(c->crt);
  if (c->pub) gnutls_pubkey_deinit(c->pub);
  gnutls_free(c->subj.data);
  gnutls_free(c->iss.data);
  free(c->der);
  free(c->sig);
  free(c->sig_name);
  free(c->subject);
  for (size_t i = 0; i < c->ncn; i++) free(c->cn[i]);
  gnames_free(c->san, c->nsan);
  gnames_free(c->perm, c->nperm);
  gnames_free(c->excl, c->nexcl);
  if (c->shown) {
    td_cert_clear(c->shown);
    free(c->shown);
  }
  free(c);
}

static int oid_is(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* Known extensions; an unknown one marked critical fails the path. */
static int ext_known(const char *oid) {
  static const char *const known[] = {
      "2.5.29.14", "2.5.29.15", "2.5.29.17", "2.5.29.18", "2.5.29.19",
      "2.5.29.30", "2.5.29.31", "2.5.29.32", "2.5.29.33", "2.5.29.35",
      "2.5.29.36", "2.5.29.37", "2.5.29.46", "2.5.29.54", "2.5.29.9",
      "1.3.6.1.5.5.7.1.1", "1.3.6.1.5.5.7.1.11", "1.3.6.1.5.5.7.1.24",
      "1.3.6.1.4.1.11129.2.4.2"};
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (oid_is(oid, known[i])) return 1;
  return 0;
}

static unsigned fold_type(unsigned t) {
  switch (t) {
  case GNUTLS_SAN_OTHERNAME_XMPP:
  case GNUTLS_SAN_OTHERNAME_KRB5PRINCIPAL:
  case GNUTLS_SAN_OTHERNAME_MSUSERPRINCIPAL:
    return GNUTLS_SAN_OTHERNAME;
  }
  return t;
}

/* Appends a name (copied) to arr[0..n): room grows by doubling (the
 * capacity is the power of two >= max(n, 8)), so a long list costs
 * O(n). 1 when n already reached `limit`, -1 out of memory, 0 ok. */
static int gname_push(td_gname_t **arr, size_t *n, size_t limit,
                      unsigned type, const unsigned char *v, size_t len) {
  if (*n >= limit) return 1;
  if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
    size_t cap = *n ? *n * 2 : 8;
    td_gname_t *a = realloc(*arr, cap * sizeof(**arr));
    if (!a) return -1;
    *arr = a;
  }
  td_gname_t *a = *arr;
  td_gname_t *g = &a[*n];
  memset(g, 0, sizeof(*g));
  g->type = fold_type(type);
  g->v = malloc(len ? len : 1);
  if (!g->v) return -1;
  if (len) memcpy(g->v, v, len);
  g->n = len;
  (*n)++;
  return 0;
}

/* GeneralName tag -> a GNUTLS_SAN_* type (forms we do not match get
 * their own values above 1000). */
static unsigned gn_type(unsigned tag) {
  switch (tag) {
  case 0xa0: return GNUTLS_SAN_OTHERNAME;
  case 0x81: return GNUTLS_SAN_RFC822NAME;
  case 0x82: return GNUTLS_SAN_DNSNAME;
  case 0xa4: return GNUTLS_SAN_DN;
  case 0x86: return GNUTLS_SAN_URI;
  case 0x87: return GNUTLS_SAN_IPADDRESS;
  case 0x88: return GNUTLS_SAN_REGISTERED_ID;
  }
  return 1000 + (tag & 0x1f);
}

/* One GeneralName (tag, content v[0..n)) onto out: 1 if malformed, 2 if
 * out already holds `limit` names, -1 on out-of-memory, 0 ok. */
static int push_general_name(unsigned tag, const unsigned char *v, size_t n,
                             td_gname_t **out, size_t *nout, size_t limit) {
  unsigned type = gn_type(tag);
  if (type == GNUTLS_SAN_DN) {
    /* [4] EXPLICIT Name: keep the Name's own DER */
    unsigned t2;
    const unsigned char *nv;
    size_t nl, ntot;
    if (td_der_next(v, n, &t2, &nv, &nl, &ntot) || t2 != 0x30 || ntot != n)
      return 1;
  }
  int rc = gname_push(out, nout, limit, type, v, n);
  return rc < 0 ? -1 : rc ? 2 : 0;
}

/* GeneralNames ::= SEQUENCE OF GeneralName, read by hand so every form and
 * encoding error is seen. -1 on out-of-memory, 1 if malformed, 0 ok. */
static int parse_general_names(const unsigned char *p, size_t n,
                               td_gname_t **out, size_t *nout) {
  unsigned tag;
  const unsigned char *v, *end;
  size_t vl, tot;
  if (td_der_next(p, n, &tag, &v, &vl, &tot) || tag != 0x30 || tot != n)
    return 1;
  end = v + vl;
  while (v < end) {
    const unsigned char *cv;
    size_t cl;
    if (td_der_next(v, (size_t)(end - v), &tag, &cv, &cl, &tot)) return 1;
    /* Every entry is kept: the name check and the name constraints must
     * see the whole list (a host listed 5,000th is listed), and the
     * extension's size bounds it (a GeneralName takes 2 bytes or more). */
    int rc = push_general_name(tag, cv, cl, out, nout, SIZE_MAX);
    if (rc) return rc;
    v += tot;
  }
  return 0;
}

static int parse_san(td_vcert_t *c, const gnutls_datum_t *ext) {
  int rc = parse_general_names(ext->data, ext->size, &c->san, &c->nsan);
  if (rc < 0) return -1;
  if (rc > 0) {
    c->san_bad = "a subjectAltName extension that does not parse";
    return 0;
  }
  if (c->nsan == 0) c->san_bad = "an empty subjectAltName extension";
  for (size_t i = 0; i < c->nsan; i++) {
    td_gname_t *g = &c->san[i];
    if (g->type == GNUTLS_SAN_DNSNAME) {
      g->bad = td_x509_dns_syntax(g->v, g->n, 1);
      g->over_suffix =
          !g->bad && td_x509_wildcard_suffix((const char *)g->v, g->n) != NULL;
    } else if (g->type == GNUTLS_SAN_IPADDRESS && g->n != 4 && g->n != 16)
      g->bad = "an IP address that is neither 4 nor 16 bytes";
    else if (g->type == GNUTLS_SAN_RFC822NAME &&
             !td_x509_email_syntax_ok(g->v, g->n, 0))
      g->bad = "a malformed email address";
  }
  return 0;
}

/* GeneralSubtrees ::= SEQUENCE OF GeneralSubtree { base, [0] min, [1] max } */
static int parse_subtrees(const unsigned char *p, size_t n, td_gname_t **out,
                          size_t *nout) {
  const unsigned char *end = p + n;
  while (p < end) {
    unsigned tag;
    const unsigned char *v, *bv;
    size_t vl, tot, bl, btot;
    if (td_der_next(p, (size_t)(end - p), &tag, &v, &vl, &tot) || tag != 0x30)
      return 1;
    if (td_der_next(v, vl, &tag, &bv, &bl, &btot)) return 1;
    if (btot != vl) return 1; /* minimum/maximum: not allowed (RFC 5280) */
    int rc = push_general_name(tag, bv, bl, out, nout, MAX_NAMES);
    if (rc) return rc;
    p += tot;
  }
  return 0;
}

static int parse_nc(td_vcert_t *c, const gnutls_datum_t *ext) {
  unsigned tag;
  const unsigned char *v, *end;
  size_t vl, tot;
  if (td_der_next(ext->data, ext->size, &tag, &v, &vl, &tot) || tag != 0x30 ||
      tot != ext->size) {
    c->nc_bad = "a nameConstraints extension that does not parse";
    return 0;
  }
  end = v + vl;
  while (v < end) {
    const unsigned char *cv;
    size_t cl;
    int rc = 1;
    if (td_der_next(v, (size_t)(end - v), &tag, &cv, &cl, &tot) == 0) {
      if (tag == 0xa0) rc = parse_subtrees(cv, cl, &c->perm, &c->nperm);
      else if (tag == 0xa1) rc = parse_subtrees(cv, cl, &c->excl, &c->nexcl);
    }
    if (rc < 0) return -1;
    if (rc == 2) {
      /* never check against part of the constraints */
      c->nc_bad = "a nameConstraints extension with more than 4096 names";
      return 0;
    }
    if (rc > 0) {
      c->nc_bad = "a nameConstraints extension that does not parse";
      return 0;
    }
    v += tot;
  }
  if (c->nperm + c->nexcl == 0)
    c->nc_bad = "a nameConstraints extension with neither permitted nor "
                "excluded subtrees";
  for (size_t i = 0; i < c->nperm && !c->nc_bad; i++)
    c->nc_bad = td_x509_constraint_bad(&c->perm[i]);
  for (size_t i = 0; i < c->nexcl && !c->nc_bad; i++)
    c->nc_bad = td_x509_constraint_bad(&c->excl[i]);
  return 0;
}

/* AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier, [1] issuer,
 * [2] serial } -- read by hand to see every field. */
static void parse_aki(td_vcert_t *c, const gnutls_datum_t *ext) {
  unsigned tag;
  const unsigned char *v, *end;
  size_t vl, tot;
  if (td_der_next(ext->data, ext->size, &tag, &v, &vl, &tot) || tag != 0x30 ||
      tot != ext->size) {
    c->f |= TD_F_AKI_BAD;
    return;
  }
  end = v + vl;
  while (v < end) {
    const unsigned char *cv;
    size_t cl;
    if (td_der_next(v, (size_t)(end - v), &tag, &cv, &cl, &tot)) {
      c->f |= TD_F_AKI_BAD;
      return;
    }
    if (tag == 0x80 && cl <= sizeof(c->akid)) {
      memcpy(c->akid, cv, cl);
      c->akid_len = cl;
    } else if (tag == 0xa1) {
      c->f |= TD_F_AKI_ISSUER;
    } else if (tag == 0x82) {
      c->f |= TD_F_AKI_SERIAL;
    }
    v += tot;
  }
}

static void parse_eku(td_vcert_t *c, const gnutls_datum_t *ext) {
  gnutls_x509_key_purposes_t p = NULL;
  if (gnutls_x509_key_purpose_init(&p) < 0) return;
  if (gnutls_x509_ext_import_key_purposes(ext, p, 0) < 0) {
    c->f |= TD_F_EKU_EMPTY;
    goto out;
  }
  unsigned i = 0;
  for (; i < MAX_NAMES; i++) {
    gnutls_datum_t oid;
    if (gnutls_x509_key_purpose_get(p, i, &oid) < 0) break;
    const char *o = (const char *)oid.data;
    if (oid_is(o, GNUTLS_KP_TLS_WWW_SERVER)) c->f |= TD_F_EKU_SERVER;
    else if (oid_is(o, GNUTLS_KP_TLS_WWW_CLIENT)) c->f |= TD_F_EKU_CLIENT;
    else if (oid_is(o, OID_KP_ANY)) c->f |= TD_F_EKU_ANY;
  }
  if (i == 0) c->f |= TD_F_EKU_EMPTY;
out:
  gnutls_x509_key_purpose_deinit(p);
}

static int parse_extensions(td_vcert_t *c) {
  char oids[MAX_EXT][64];
  size_t n = 0;
  for (unsigned i = 0; i < MAX_EXT; i++) {
    char oid[64];
    size_t osz = sizeof(oid);
    unsigned crit = 0;
    int rc = gnutls_x509_crt_get_extension_info(c->crt, i, oid, &osz, &crit);
    if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (rc < 0) {
      snprintf(oid, sizeof(oid), "?");
      osz = 1;
    }
    for (size_t k = 0; k < n; k++)
      if (oid_is(oids[k], oid)) c->f |= TD_F_DUP_EXT;
    snprintf(oids[n++], sizeof(oids[0]), "%s", oid);
    if (crit && !ext_known(oid) && !(c->f & TD_F_UNKNOWN_CRIT)) {
      c->f |= TD_F_UNKNOWN_CRIT;
      snprintf(c->crit_oid, sizeof(c->crit_oid), "%s", oid);
    }
    gnutls_datum_t d = {NULL, 0};
    if (gnutls_x509_crt_get_extension_data2(c->crt, i, &d) < 0) continue;
    int err = 0;
    if (oid_is(oid, "2.5.29.19")) {
      unsigned ca = 0;
      int pl = -1;
      c->f |= TD_F_BC | (crit ? TD_F_BC_CRIT : 0);
      if (gnutls_x509_ext_import_basic_constraints(&d, &ca, &pl) >= 0) {
        c->ca = ca != 0;
        c->pathlen = ca ? pl : -1;
      }
    } else if (oid_is(oid, "2.5.29.15")) {
      unsigned ku = 0;
      c->f |= TD_F_KU;
      if (gnutls_x509_ext_import_key_usage(&d, &ku) >= 0) c->ku = ku;
    } else if (oid_is(oid, "2.5.29.37")) {
      c->f |= TD_F_EKU | (crit ? TD_F_EKU_CRIT : 0);
      parse_eku(c, &d);
    } else if (oid_is(oid, "2.5.29.14")) {
      c->f |= TD_F_SKI | (crit ? TD_F_SKI_CRIT : 0);
      unsigned tag;
      const unsigned char *v;
      size_t vl, tot;
      if (!td_der_next(d.data, d.size, &tag, &v, &vl, &tot) && tag == 0x04 &&
          vl <= sizeof(c->ski)) {
        memcpy(c->ski, v, vl);
        c->ski_len = vl;
      }
    } else if (oid_is(oid, "2.5.29.35")) {
      c->f |= TD_F_AKI | (crit ? TD_F_AKI_CRIT : 0);
      parse_aki(c, &d);
    } else if (oid_is(oid, "2.5.29.17")) {
      c->f |= TD_F_SAN | (crit ? TD_F_SAN_CRIT : 0);
      err = parse_san(c, &d);
    } else if (oid_is(oid, "2.5.29.30")) {
      c->f |= TD_F_NC;
      err = parse_nc(c, &d);
    } else if (oid_is(oid, "2.5.29.36")) {
      c->f |= TD_F_PC | (crit ? TD_F_PC_CRIT : 0);
    } else if (oid_is(oid, "1.3.6.1.5.5.7.1.1")) {
      gnutls_x509_aia_t aia = NULL;
      if (crit) c->f |= TD_F_AIA_CRIT;
      if (gnutls_x509_aia_init(&aia) >= 0) {
        gnutls_datum_t o, s;
        unsigned t;
        if (gnutls_x509_ext_import_aia(&d, aia, 0) < 0 ||
            gnutls_x509_aia_get(aia, 0, &o, &t, &s) < 0)
          c->f |= TD_F_AIA_BAD;
        gnutls_x509_aia_deinit(aia);
      }
    }
    gnutls_free(d.data);
    if (err < 0) return -1;
  }
  if (n >= MAX_EXT && !(c->f & TD_F_UNKNOWN_CRIT)) {
    c->f |= TD_F_UNKNOWN_CRIT;
    snprintf(c->crit_oid, sizeof(c->crit_oid), "more than %d extensions",
             MAX_EXT);
  }
  return 0;
}

static void parse_key(td_vcert_t *c) {
  unsigned bits = 0;
  c->pk = gnutls_x509_crt_get_pk_algorithm(c->crt, &bits);
  c->bits = bits;
  c->curve = 0;
  switch (c->pk) {
  case GNUTLS_PK_RSA:
  case GNUTLS_PK_RSA_PSS:
    if (bits >= 2048 && bits % 8)
      c->key_bad = "an RSA modulus whose size is not a multiple of 8";
    break;
  case GNUTLS_PK_ECDSA: {
    gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
    gnutls_datum_t x = {NULL, 0}, y = {NULL, 0};
    if (gnutls_x509_crt_get_pk_ecc_raw(c->crt, &curve, &x, &y) < 0)
      c->key_bad = "an EC key without a named curve";
    gnutls_free(x.data);
    gnutls_free(y.data);
    c->curve = (int)curve;
    if (curve == GNUTLS_ECC_CURVE_SECP256R1) c->bits = 256;
    else if (curve == GNUTLS_ECC_CURVE_SECP384R1) c->bits = 384;
    else if (curve == GNUTLS_ECC_CURVE_SECP521R1) c->bits = 521;
    else if (curve == GNUTLS_ECC_CURVE_SECP192R1) c->bits = 192;
    else if (curve == GNUTLS_ECC_CURVE_SECP224R1) c->bits = 224;
    else if (!c->key_bad) c->key_bad = "an EC curve the Web PKI does not allow";
    break;
  }
  case GNUTLS_PK_EDDSA_ED25519:
  case GNUTLS_PK_EDDSA_ED448:
    break;
  case GNUTLS_PK_DSA:
    c->key_bad = "a DSA key (not allowed in the Web PKI)";
    break;
  default:
    c->key_bad = "a public key algorithm that is not supported";
    break;
  }
}

static void parse_serial(td_vcert_t *c) {
  unsigned char s[64];
  size_t n = sizeof(s);
  int rc = gnutls_x509_crt_get_serial(c->crt, s, &n);
  if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER || n > 20) {
    c->serial_bad = "longer than 20 octets";
    return;
  }
  if (rc < 0 || n == 0) {
    c->serial_bad = "unreadable";
    return;
  }
  if (s[0] & 0x80) {
    c->serial_bad = "negative";
    return;
  }
  int zero = 1;
  for (size_t i = 0; i < n; i++)
    if (s[i]) zero = 0;
  if (zero) c->serial_bad = "zero";
}

/* Splits the DER into TBS / outer algorithm / signature and compares the
 * two AlgorithmIdentifiers. */
static void parse_layout(td_vcert_t *c) {
  unsigned tag;
  const unsigned char *v, *t, *tv, *alg, *av;
  size_t vl, tot, tl, ttot, al, atot;
  if (td_der_next(c->der, c->der_len, &tag, &v, &vl, &tot) || tag != 0x30)
    return;
  if (td_der_next(v, vl, &tag, &tv, &tl, &ttot) || tag != 0x30) return;
  c->tbs = v;
  c->tbs_len = ttot;
  alg = v + ttot;
  if (td_der_next(alg, vl - ttot, &tag, &av, &al, &atot) || tag != 0x30) return;
  /* TBS: [0] version?, serial, signature AlgorithmIdentifier */
  t = tv;
  size_t left = tl;
  const unsigned char *cv;
  size_t cl, ct;
  if (td_der_next(t, left, &tag, &cv, &cl, &ct)) return;
  if (tag == 0xa0) {
    t += ct;
    left -= ct;
    if (td_der_next(t, left, &tag, &cv, &cl, &ct)) return;
  }
  t += ct; /* serial */
  left -= ct;
  if (td_der_next(t, left, &tag, &cv, &cl, &ct)) return;
  c->sig_mismatch = ct != atot || memcmp(t, alg, ct) != 0;
}

static char *dn_string(gnutls_x509_crt_t crt) {
  gnutls_datum_t d = {NULL, 0};
  char *s = NULL;
  if (gnutls_x509_crt_get_dn3(crt, &d, GNUTLS_X509_DN_FLAG_COMPAT) >= 0)
    s = td_strndup((const char *)d.data, d.size);
  gnutls_free(d.data);
  return s ? s : td_strdup("");
}

static void parse_cns(td_vcert_t *c) {
  for (unsigned i = 0; i < TD_V_MAX_CN; i++) {
    char buf[512];
    size_t sz = sizeof(buf) - 1;
    if (gnutls_x509_crt_get_dn_by_oid(c->crt, GNUTLS_OID_X520_COMMON_NAME, i,
                                      0, buf, &sz) < 0)
      break;
    buf[sz < sizeof(buf) ? sz : sizeof(buf) - 1] = '\0';
    c->cn[c->ncn] = td_strndup(buf, sz);
    if (c->cn[c->ncn]) c->ncn++;
  }
}

static int is_empty_name(const gnutls_datum_t *d) {
  return d->size == 2 && d->data[0] == 0x30 && d->data[1] == 0;
}

td_vcert_t *td_vcert_parse(const unsigned char *der, size_t len,
                            const unsigned char sha[32]) {
  td_vcert_t *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  memcpy(c->sha, sha, 32);
  c->pathlen = -1;
  c->der = malloc(len);
  if (!c->der) goto fail;
  memcpy(c->der, der, len);
  c->der_len = len;
  gnutls_datum_t d = {c->der, (unsigned)len};
  if (gnutls_x509_crt_init(&c->crt) < 0) {
    c->crt = NULL;
    goto fail;
  }
  int irc = gnutls_x509_crt_import(c->crt, &d, GNUTLS_X509_FMT_DER);
  if (irc < 0) {
    c->import_rc = irc;
    gnutls_x509_crt_deinit(c->crt);
    c->crt = NULL;
    return c; /* kept: a certificate that does not parse is a finding */
  }
  if (gnutls_x509_crt_get_raw_dn(c->crt, &c->subj) < 0 ||
      gnutls_x509_crt_get_raw_issuer_dn(c->crt, &c->iss) < 0)
    goto unusable;
  c->self_issued = c->subj.size == c->iss.size &&
                   memcmp(c->subj.data, c->iss.data, c->subj.size) == 0;
  if (is_empty_name(&c->subj)) c->f |= TD_F_EMPTY_SUBJECT;
  if (is_empty_name(&c->iss)) c->f |= TD_F_EMPTY_ISSUER;
  c->subject = dn_string(c->crt);
  c->version = gnutls_x509_crt_get_version(c->crt);
  c->not_before = (int64_t)gnutls_x509_crt_get_activation_time(c->crt);
  c->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(c->crt);
  parse_layout(c);
  c->sig_algo = gnutls_x509_crt_get_signature_algorithm(c->crt);
  if (c->sig_algo > 0) {
    const char *nm = gnutls_sign_get_name((gnutls_sign_algorithm_t)c->sig_algo);
    c->sig_name = td_strdup(nm ? nm : "unknown");
    c->sig_insecure =
        !gnutls_sign_is_secure2((gnutls_sign_algorithm_t)c->sig_algo,
                                GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS);
  } else {
    c->sig_name = td_strdup("unknown");
  }
  size_t ssz = 0;
  if (gnutls_x509_crt_get_signature(c->crt, NULL, &ssz) ==
          GNUTLS_E_SHORT_MEMORY_BUFFER &&
      ssz > 0 && ssz < (1u << 20)) {
    c->sig = malloc(ssz);
    if (c->sig &&
        gnutls_x509_crt_get_signature(c->crt, (char *)c->sig, &ssz) >= 0)
      c->sig_len = ssz;
  }
  parse_serial(c);
  parse_key(c);
  parse_cns(c);
  if (!c->subject || !c->sig_name || parse_extensions(c) < 0) goto fail;
  return c;
unusable:
  gnutls_x509_crt_deinit(c->crt);
  c->crt = NULL;
  return c;
fail:
  td_vcert_free(c);
  return NULL;
}

gnutls_pubkey_t td_vcert_pub(td_vcert_t *c) {
  if (c->pub_state == 0) {
    c->pub_state = -1;
    if (c->crt && gnutls_pubkey_init(&c->pub) >= 0) {
      if (gnutls_pubkey_import_x509(c->pub, c->crt, 0) >= 0) {
        c->pub_state = 1;
      } else {
        gnutls_pubkey_deinit(c->pub);
        c->pub = NULL;
      }
    }
  }
  return c->pub_state > 0 ? c->pub : NULL;
}

int td_vcert_valid_at(const td_vcert_t *c, int64_t t) {
  return t >= c->not_before && t <= c->not_after;
}
