/* verifier.c: certificate path verification, shared by the live check and
 * offline verification: path building over unordered, extra and
 * cross-signed certificates, signatures, and the RFC 5280 / Web PKI rules
 * (basic constraints, path length, key usage, EKU, name constraints,
 * names, algorithms, extensions, CRLs). Writes evidence and findings into
 * a result; see verifier.h. Every loop is bounded by the TD_V_* limits. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509-ext.h>

#include "verifier.h"

#define CACHE_MAX 4096       /* parsed certificates kept by a context */
#define CACHE_BUCKETS 1024
#define SIGC_SLOTS 8192      /* signature results cached per context */
#define MAX_EXT 64           /* extensions looked at per certificate */
#define MAX_NAMES 4096       /* SAN entries / constraints kept */
#define MAX_CN 16
#define NC_MAX_CHECKS 250000 /* name x constraint comparisons per path */
#define BUDGET_STEPS 512     /* issuer candidates tried while building */
#define BUDGET_PATHS 32      /* complete paths judged */
#define MAX_VIOL 48

#define OID_KP_ANY "2.5.29.37.0"

/* ---- DER ----------------------------------------------------------------- */

int td_der_next(const unsigned char *p, size_t n, unsigned *tag,
                const unsigned char **content, size_t *clen, size_t *total) {
  if (!p || n < 2 || (p[0] & 0x1f) == 0x1f) return -1;
  size_t len, hdr;
  if (p[1] < 0x80) {
    len = p[1];
    hdr = 2;
  } else {
    size_t k = p[1] & 0x7f;
    if (k == 0 || k > 4 || n < 2 + k || p[2] == 0) return -1;
    len = 0;
    for (size_t i = 0; i < k; i++) len = (len << 8) | p[2 + i];
    if (len < 0x80) return -1; /* not the shortest form */
    hdr = 2 + k;
  }
  if (len > n - hdr) return -1;
  *tag = p[0];
  *content = p + hdr;
  *clen = len;
  *total = hdr + len;
  return 0;
}

/* ---- rules ----------------------------------------------------------------- */

typedef enum {
  R_SIGNATURE = 0,
  R_PATH_BUILDING,
  R_MAX_DEPTH,
  R_PATH_LENGTH,
  R_BASIC_CONSTRAINTS,
  R_LEAF_IS_CA,
  R_KEY_USAGE,
  R_EKU,
  R_NC,
  R_NC_INVALID,
  R_NC_LIMIT,
  R_UNKNOWN_CRIT,
  R_DUP_EXT,
  R_EXT_CRIT,
  R_AKI,
  R_SKI,
  R_SERIAL,
  R_VERSION,
  R_EMPTY_NAME,
  R_SAN,
  R_CN,
  R_AIA,
  R_KEY_ALG,
  R_KEY_SIZE,
  R_SIG_ALG,
  R_VALIDITY,
  R_WEAK_KEY,
  R_WEAK_SIG,
  R_CRL,
  R_REVOKED,
  R_PARSE,
  R_COUNT_
} rule_t;

typedef struct {
  const char *name;     /* evidence "rule" */
  const char *standard; /* evidence "standard" */
  unsigned bits;        /* GnuTLS-style status bits it sets */
} rule_row_t;

#define SC GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE
static const rule_row_t rules[R_COUNT_] = {
    [R_SIGNATURE] = {"signature", "RFC 5280 6.1.3(a)(1)",
                     GNUTLS_CERT_SIGNATURE_FAILURE},
    [R_PATH_BUILDING] = {"path_building", "tlsdiag limit", 0},
    [R_MAX_DEPTH] = {"max_depth", "verifier option", SC},
    [R_PATH_LENGTH] = {"path_length", "RFC 5280 4.2.1.9", SC},
    [R_BASIC_CONSTRAINTS] = {"basic_constraints", "RFC 5280 4.2.1.9",
                             GNUTLS_CERT_SIGNER_NOT_CA},
    [R_LEAF_IS_CA] = {"leaf_is_ca", "CABF BR 7.1.2.7.8", 0},
    [R_KEY_USAGE] = {"key_usage", "RFC 5280 4.2.1.3", SC},
    [R_EKU] = {"extended_key_usage", "RFC 5280 4.2.1.12, CABF BR 7.1.2.7.10",
               GNUTLS_CERT_PURPOSE_MISMATCH},
    [R_NC] = {"name_constraints", "RFC 5280 4.2.1.10", SC},
    [R_NC_INVALID] = {"name_constraints_invalid", "RFC 5280 4.2.1.10", SC},
    [R_NC_LIMIT] = {"name_constraints_limit", "tlsdiag limit", SC},
    [R_UNKNOWN_CRIT] = {"unknown_critical_extension", "RFC 5280 4.2",
                        GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS},
    [R_DUP_EXT] = {"duplicate_extension", "RFC 5280 4.2", 0},
    [R_EXT_CRIT] = {"extension_criticality", "RFC 5280 4.2.1, CABF BR 7.1.2",
                    0},
    [R_AKI] = {"authority_key_id", "RFC 5280 4.2.1.1, CABF BR 7.1.2.1.3", 0},
    [R_SKI] = {"subject_key_id", "RFC 5280 4.2.1.2", 0},
    [R_SERIAL] = {"serial_number", "RFC 5280 4.1.2.2", 0},
    [R_VERSION] = {"version", "CABF BR 7.1.1", 0},
    [R_EMPTY_NAME] = {"empty_name", "RFC 5280 4.1.2.4, 4.1.2.6", 0},
    [R_SAN] = {"subject_alt_name", "RFC 5280 4.2.1.6, CABF BR 7.1.2.7.12",
               0},
    [R_CN] = {"common_name", "CABF BR 7.1.4.3", 0},
    [R_AIA] = {"authority_info_access", "RFC 5280 4.2.2.1", 0},
    [R_KEY_ALG] = {"key_algorithm", "CABF BR 6.1.5, 7.1.3.1", 0},
    [R_KEY_SIZE] = {"key_size", "CABF BR 6.1.5", 0},
    [R_SIG_ALG] = {"signature_algorithm", "RFC 5280 4.1.1.2", 0},
    [R_VALIDITY] = {"validity", "RFC 5280 4.1.2.5", 0},
    [R_WEAK_KEY] = {"key_size", "CABF BR 6.1.5", 0},
    [R_WEAK_SIG] = {"signature_algorithm", "CABF BR 7.1.3.2",
                    GNUTLS_CERT_INSECURE_ALGORITHM},
    [R_CRL] = {"crl", "RFC 5280 6.3", 0},
    [R_REVOKED] = {"revoked", "RFC 5280 6.3", GNUTLS_CERT_REVOKED},
    [R_PARSE] = {"parse", "RFC 5280 4.1", 0},
};

/* ---- parsed certificates --------------------------------------------------- */

/* Facts found while parsing one certificate. */
enum {
  F_BC = 1u << 0, F_BC_CRIT = 1u << 1, F_KU = 1u << 2, F_EKU = 1u << 3,
  F_EKU_CRIT = 1u << 4, F_EKU_SERVER = 1u << 5, F_EKU_CLIENT = 1u << 6,
  F_EKU_ANY = 1u << 7, F_EKU_EMPTY = 1u << 8, F_SKI = 1u << 9,
  F_SKI_CRIT = 1u << 10, F_AKI = 1u << 11, F_AKI_CRIT = 1u << 12,
  F_AKI_ISSUER = 1u << 13, F_AKI_SERIAL = 1u << 14, F_SAN = 1u << 15,
  F_SAN_CRIT = 1u << 16, F_NC = 1u << 17, F_PC = 1u << 18,
  F_PC_CRIT = 1u << 19, F_AIA_CRIT = 1u << 20, F_AIA_BAD = 1u << 21,
  F_DUP_EXT = 1u << 22, F_EMPTY_SUBJECT = 1u << 23, F_EMPTY_ISSUER = 1u << 24,
  F_UNKNOWN_CRIT = 1u << 25, F_AKI_BAD = 1u << 26
};

typedef struct gname {
  unsigned type;      /* GNUTLS_SAN_* (othername forms folded) */
  unsigned char *v;   /* value bytes (DN: DER) */
  size_t n;
  const char *bad;    /* static: why the name/constraint is malformed */
} gname_t;

typedef struct vcert vcert_t;
typedef struct {
  const vcert_t *child, *issuer;
  int ok;
} sigc_t;

struct vcert {
  unsigned char sha[32];
  vcert_t *next;          /* cache bucket */
  unsigned char *der;
  size_t der_len;
  gnutls_x509_crt_t crt;  /* NULL if it does not parse */
  gnutls_pubkey_t pub;    /* lazily imported */
  int pub_state;          /* 0 not tried, 1 ok, -1 failed */
  const unsigned char *tbs;
  size_t tbs_len;
  unsigned char *sig;
  size_t sig_len;
  int sig_algo;
  int sig_insecure;
  int sig_mismatch;       /* outer and TBS AlgorithmIdentifier differ */
  char *sig_name;
  gnutls_datum_t subj, iss; /* raw DNs */
  char *subject;          /* RFC 4514 text, for messages */
  int self_issued;
  int version;
  int64_t not_before, not_after;
  unsigned f;             /* F_* */
  int ca;
  int pathlen;            /* -1: none */
  unsigned ku;
  unsigned char ski[64];
  size_t ski_len;
  unsigned char akid[64];
  size_t akid_len;
  char crit_oid[64];      /* first unknown critical extension */
  gname_t *san;
  size_t nsan;
  const char *san_bad;    /* static: why the SAN extension is malformed */
  char *cn[MAX_CN];
  size_t ncn;
  gname_t *perm, *excl;   /* name constraints */
  size_t nperm, nexcl;
  const char *nc_bad;
  const char *serial_bad;
  int pk;
  unsigned bits;
  int curve;
  const char *key_bad;    /* static: why the key is not allowed */
  td_cert_t *shown;       /* td_cert_parse of it, made once (reports) */
  int anchor_looked;
  vcert_t *anchor;        /* the trust anchor that issued it, or NULL */
};

struct td_vctx {
  gnutls_x509_trust_list_t tl;
  int own_tl;
  vcert_t *bucket[CACHE_BUCKETS];
  size_t ncache;
  sigc_t *sigc;           /* SIGC_SLOTS, open addressing; NULL: no cache */
  size_t nsigc;
};

static void gnames_free(gname_t *g, size_t n) {
  for (size_t i = 0; i < n; i++) free(g[i].v);
  free(g);
}

static void vcert_free(vcert_t *c) {
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

static int is_ldh_label(const unsigned char *s, size_t n) {
  if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-') return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum(s[i]) && s[i] != '-') return 0;
  return 1;
}

/* A DNS name in preferred syntax; a leading "*." label when wild is set.
 * Returns NULL or why it is not. */
static const char *dns_syntax(const unsigned char *s, size_t n, int wild) {
  if (n == 0) return "an empty DNS name";
  if (n > 253) return "a DNS name over 253 bytes";
  if (n && s[n - 1] == '.') n--; /* one trailing dot is fine */
  size_t start = 0, labels = 0;
  int all_digits = 1;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '.') continue;
    const unsigned char *l = s + start;
    size_t ln = i - start;
    if (ln == 1 && l[0] == '*' && labels == 0 && wild) {
      /* a whole-label wildcard, leftmost only */
    } else {
      for (size_t k = 0; k < ln; k++) {
        if (l[k] == '*') return "a wildcard that is not the whole leftmost label";
        if (l[k] == '_') return "an underscore";
        if (l[k] >= 0x80) return "non-ASCII bytes (IDNs must be A-labels)";
      }
      if (!is_ldh_label(l, ln)) return ln == 0 ? "an empty label" : "a label that is not letters, digits and hyphens";
      for (size_t k = 0; k < ln; k++)
        if (!isdigit(l[k])) all_digits = 0;
    }
    labels++;
    start = i + 1;
  }
  if (all_digits && labels == 4) return "an IP address written as a DNS name";
  if (wild && n >= 1 && s[0] == '*' && labels < 3)
    return "a wildcard over a top-level domain";
  return NULL;
}

static int email_syntax_ok(const unsigned char *s, size_t n, int constraint) {
  const unsigned char *at = NULL;
  size_t ats = 0;
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '@') {
      at = s + i;
      ats++;
    }
    if (s[i] < 0x21 || s[i] >= 0x7f) return 0;
  }
  if (ats > 1) return 0;
  if (!at) {
    if (!constraint) return 0; /* a mailbox needs an @ */
    const unsigned char *h = s[0] == '.' ? s + 1 : s;
    return dns_syntax(h, n - (size_t)(h - s), 0) == NULL;
  }
  size_t local = (size_t)(at - s), host = n - local - 1;
  return local > 0 && host > 0 && dns_syntax(at + 1, host, 0) == NULL;
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

static int gname_push(gname_t **arr, size_t *n, unsigned type,
                      const unsigned char *v, size_t len) {
  if (*n >= MAX_NAMES) return 0;
  gname_t *a = realloc(*arr, (*n + 1) * sizeof(**arr));
  if (!a) return -1;
  *arr = a;
  gname_t *g = &a[*n];
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

/* GeneralNames ::= SEQUENCE OF GeneralName, read by hand so every form and
 * encoding error is seen. -1 on out-of-memory, 1 if malformed, 0 ok. */
static int parse_general_names(const unsigned char *p, size_t n, gname_t **out,
                               size_t *nout) {
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
    unsigned type = gn_type(tag);
    if (type == GNUTLS_SAN_DN) {
      /* [4] EXPLICIT Name: keep the Name's own DER */
      unsigned t2;
      const unsigned char *nv;
      size_t nl, ntot;
      if (td_der_next(cv, cl, &t2, &nv, &nl, &ntot) || t2 != 0x30 || ntot != cl)
        return 1;
    }
    if (gname_push(out, nout, type, cv, cl) < 0) return -1;
    v += tot;
  }
  return 0;
}

static int parse_san(vcert_t *c, const gnutls_datum_t *ext) {
  int rc = parse_general_names(ext->data, ext->size, &c->san, &c->nsan);
  if (rc < 0) return -1;
  if (rc > 0) {
    c->san_bad = "a subjectAltName extension that does not parse";
    return 0;
  }
  if (c->nsan == 0) c->san_bad = "an empty subjectAltName extension";
  for (size_t i = 0; i < c->nsan; i++) {
    gname_t *g = &c->san[i];
    if (g->type == GNUTLS_SAN_DNSNAME) g->bad = dns_syntax(g->v, g->n, 1);
    else if (g->type == GNUTLS_SAN_IPADDRESS && g->n != 4 && g->n != 16)
      g->bad = "an IP address that is neither 4 nor 16 bytes";
    else if (g->type == GNUTLS_SAN_RFC822NAME && !email_syntax_ok(g->v, g->n, 0))
      g->bad = "a malformed email address";
  }
  return 0;
}

/* IP constraint: 8 or 32 bytes, address then a contiguous mask. */
static int ip_constraint_ok(const unsigned char *v, size_t n) {
  if (n != 8 && n != 32) return 0;
  size_t half = n / 2;
  int zeros = 0;
  for (size_t i = 0; i < half; i++) {
    unsigned char m = v[half + i];
    for (int b = 7; b >= 0; b--) {
      int bit = (m >> b) & 1;
      if (bit && zeros) return 0;
      if (!bit) zeros = 1;
    }
  }
  return 1;
}

static const char *constraint_bad(const gname_t *g) {
  switch (g->type) {
  case GNUTLS_SAN_DNSNAME:
    if (g->n == 0) return NULL; /* matches every name */
    if (g->v[0] == '.') return "a DNS constraint with a leading period";
    return dns_syntax(g->v, g->n, 0) ? "a malformed DNS constraint" : NULL;
  case GNUTLS_SAN_IPADDRESS:
    return ip_constraint_ok(g->v, g->n) ? NULL
                                        : "an IP constraint not in CIDR form";
  case GNUTLS_SAN_RFC822NAME:
    return email_syntax_ok(g->v, g->n, 1) ? NULL
                                          : "a malformed email constraint";
  default: return NULL;
  }
}

/* GeneralSubtrees ::= SEQUENCE OF GeneralSubtree { base, [0] min, [1] max } */
static int parse_subtrees(const unsigned char *p, size_t n, gname_t **out,
                          size_t *nout) {
  const unsigned char *end = p + n;
  while (p < end) {
    unsigned tag;
    const unsigned char *v, *bv;
    size_t vl, tot, bl, btot;
    if (td_der_next(p, (size_t)(end - p), &tag, &v, &vl, &tot) || tag != 0x30)
      return 1;
    if (td_der_next(v, vl, &tag, &bv, &bl, &btot)) return 1;
    unsigned type = gn_type(tag);
    if (type == GNUTLS_SAN_DN) {
      unsigned t2;
      const unsigned char *nv;
      size_t nl, ntot;
      if (td_der_next(bv, bl, &t2, &nv, &nl, &ntot) || t2 != 0x30 || ntot != bl)
        return 1;
    }
    if (btot != vl) return 1; /* minimum/maximum: not allowed (RFC 5280) */
    if (gname_push(out, nout, type, bv, bl) < 0) return -1;
    p += tot;
  }
  return 0;
}

static int parse_nc(vcert_t *c, const gnutls_datum_t *ext) {
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
    c->nc_bad = constraint_bad(&c->perm[i]);
  for (size_t i = 0; i < c->nexcl && !c->nc_bad; i++)
    c->nc_bad = constraint_bad(&c->excl[i]);
  return 0;
}

/* AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier, [1] issuer,
 * [2] serial } -- read by hand to see every field. */
static void parse_aki(vcert_t *c, const gnutls_datum_t *ext) {
  unsigned tag;
  const unsigned char *v, *end;
  size_t vl, tot;
  if (td_der_next(ext->data, ext->size, &tag, &v, &vl, &tot) || tag != 0x30 ||
      tot != ext->size) {
    c->f |= F_AKI_BAD;
    return;
  }
  end = v + vl;
  while (v < end) {
    const unsigned char *cv;
    size_t cl;
    if (td_der_next(v, (size_t)(end - v), &tag, &cv, &cl, &tot)) {
      c->f |= F_AKI_BAD;
      return;
    }
    if (tag == 0x80 && cl <= sizeof(c->akid)) {
      memcpy(c->akid, cv, cl);
      c->akid_len = cl;
    } else if (tag == 0xa1) {
      c->f |= F_AKI_ISSUER;
    } else if (tag == 0x82) {
      c->f |= F_AKI_SERIAL;
    }
    v += tot;
  }
}

static void parse_eku(vcert_t *c, const gnutls_datum_t *ext) {
  gnutls_x509_key_purposes_t p = NULL;
  if (gnutls_x509_key_purpose_init(&p) < 0) return;
  if (gnutls_x509_ext_import_key_purposes(ext, p, 0) < 0) {
    c->f |= F_EKU_EMPTY;
    goto out;
  }
  unsigned i = 0;
  for (; i < MAX_NAMES; i++) {
    gnutls_datum_t oid;
    if (gnutls_x509_key_purpose_get(p, i, &oid) < 0) break;
    const char *o = (const char *)oid.data;
    if (oid_is(o, GNUTLS_KP_TLS_WWW_SERVER)) c->f |= F_EKU_SERVER;
    else if (oid_is(o, GNUTLS_KP_TLS_WWW_CLIENT)) c->f |= F_EKU_CLIENT;
    else if (oid_is(o, OID_KP_ANY)) c->f |= F_EKU_ANY;
  }
  if (i == 0) c->f |= F_EKU_EMPTY;
out:
  gnutls_x509_key_purpose_deinit(p);
}

static int parse_extensions(vcert_t *c) {
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
      if (oid_is(oids[k], oid)) c->f |= F_DUP_EXT;
    snprintf(oids[n++], sizeof(oids[0]), "%s", oid);
    if (crit && !ext_known(oid) && !(c->f & F_UNKNOWN_CRIT)) {
      c->f |= F_UNKNOWN_CRIT;
      snprintf(c->crit_oid, sizeof(c->crit_oid), "%s", oid);
    }
    gnutls_datum_t d = {NULL, 0};
    if (gnutls_x509_crt_get_extension_data2(c->crt, i, &d) < 0) continue;
    int err = 0;
    if (oid_is(oid, "2.5.29.19")) {
      unsigned ca = 0;
      int pl = -1;
      c->f |= F_BC | (crit ? F_BC_CRIT : 0);
      if (gnutls_x509_ext_import_basic_constraints(&d, &ca, &pl) >= 0) {
        c->ca = ca != 0;
        c->pathlen = ca ? pl : -1;
      }
    } else if (oid_is(oid, "2.5.29.15")) {
      unsigned ku = 0;
      c->f |= F_KU;
      if (gnutls_x509_ext_import_key_usage(&d, &ku) >= 0) c->ku = ku;
    } else if (oid_is(oid, "2.5.29.37")) {
      c->f |= F_EKU | (crit ? F_EKU_CRIT : 0);
      parse_eku(c, &d);
    } else if (oid_is(oid, "2.5.29.14")) {
      c->f |= F_SKI | (crit ? F_SKI_CRIT : 0);
      unsigned tag;
      const unsigned char *v;
      size_t vl, tot;
      if (!td_der_next(d.data, d.size, &tag, &v, &vl, &tot) && tag == 0x04 &&
          vl <= sizeof(c->ski)) {
        memcpy(c->ski, v, vl);
        c->ski_len = vl;
      }
    } else if (oid_is(oid, "2.5.29.35")) {
      c->f |= F_AKI | (crit ? F_AKI_CRIT : 0);
      parse_aki(c, &d);
    } else if (oid_is(oid, "2.5.29.17")) {
      c->f |= F_SAN | (crit ? F_SAN_CRIT : 0);
      err = parse_san(c, &d);
    } else if (oid_is(oid, "2.5.29.30")) {
      c->f |= F_NC;
      err = parse_nc(c, &d);
    } else if (oid_is(oid, "2.5.29.36")) {
      c->f |= F_PC | (crit ? F_PC_CRIT : 0);
    } else if (oid_is(oid, "1.3.6.1.5.5.7.1.1")) {
      gnutls_x509_aia_t aia = NULL;
      if (crit) c->f |= F_AIA_CRIT;
      if (gnutls_x509_aia_init(&aia) >= 0) {
        gnutls_datum_t o, s;
        unsigned t;
        if (gnutls_x509_ext_import_aia(&d, aia, 0) < 0 ||
            gnutls_x509_aia_get(aia, 0, &o, &t, &s) < 0)
          c->f |= F_AIA_BAD;
        gnutls_x509_aia_deinit(aia);
      }
    }
    gnutls_free(d.data);
    if (err < 0) return -1;
  }
  if (n >= MAX_EXT && !(c->f & F_UNKNOWN_CRIT)) {
    c->f |= F_UNKNOWN_CRIT;
    snprintf(c->crit_oid, sizeof(c->crit_oid), "more than %d extensions",
             MAX_EXT);
  }
  return 0;
}

static void parse_key(vcert_t *c) {
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

static void parse_serial(vcert_t *c) {
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
static void parse_layout(vcert_t *c) {
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

static void parse_cns(vcert_t *c) {
  for (unsigned i = 0; i < MAX_CN; i++) {
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

static vcert_t *vcert_parse(const unsigned char *der, size_t len,
                            const unsigned char sha[32]) {
  vcert_t *c = calloc(1, sizeof(*c));
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
  if (gnutls_x509_crt_import(c->crt, &d, GNUTLS_X509_FMT_DER) < 0) {
    gnutls_x509_crt_deinit(c->crt);
    c->crt = NULL;
    return c; /* kept: a certificate that does not parse is a finding */
  }
  if (gnutls_x509_crt_get_raw_dn(c->crt, &c->subj) < 0 ||
      gnutls_x509_crt_get_raw_issuer_dn(c->crt, &c->iss) < 0)
    goto unusable;
  c->self_issued = c->subj.size == c->iss.size &&
                   memcmp(c->subj.data, c->iss.data, c->subj.size) == 0;
  if (is_empty_name(&c->subj)) c->f |= F_EMPTY_SUBJECT;
  if (is_empty_name(&c->iss)) c->f |= F_EMPTY_ISSUER;
  c->subject = dn_string(c->crt);
  c->version = gnutls_x509_crt_get_version(c->crt);
  c->not_before = (int64_t)gnutls_x509_crt_get_activation_time(c->crt);
  c->not_after = (int64_t)gnutls_x509_crt_get_expiration_time(c->crt);
  parse_layout(c);
  c->sig_algo = gnutls_x509_crt_get_signature_algorithm(c->crt);
  if (c->sig_algo > 0) {
    const char *nm = gnutls_sign_get_name((gnutls_sign_algorithm_t)c->sig_algo);
    c->sig_name = td_strdup(nm ? nm : "unknown");
    c->sig_insecure = !gnutls_sign_is_secure2(
        (gnutls_sign_algorithm_t)c->sig_algo, GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS);
  } else {
    c->sig_name = td_strdup("unknown");
  }
  size_t ssz = 0;
  if (gnutls_x509_crt_get_signature(c->crt, NULL, &ssz) ==
          GNUTLS_E_SHORT_MEMORY_BUFFER &&
      ssz > 0 && ssz < (1u << 20)) {
    c->sig = malloc(ssz);
    if (c->sig && gnutls_x509_crt_get_signature(c->crt, (char *)c->sig, &ssz) >= 0)
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
  vcert_free(c);
  return NULL;
}

/* ---- context and cache ------------------------------------------------------ */

td_vctx_t *td_vctx_new(gnutls_x509_trust_list_t anchors, int own) {
  td_vctx_t *x = calloc(1, sizeof(*x));
  if (!x) return NULL;
  x->tl = anchors;
  x->own_tl = own;
  return x; /* the signature cache is made on first use */
}

static void cache_clear(td_vctx_t *x) {
  for (size_t b = 0; b < CACHE_BUCKETS; b++) {
    vcert_t *c = x->bucket[b];
    while (c) {
      vcert_t *n = c->next;
      vcert_free(c);
      c = n;
    }
    x->bucket[b] = NULL;
  }
  x->ncache = 0;
  if (x->sigc) memset(x->sigc, 0, SIGC_SLOTS * sizeof(*x->sigc));
  x->nsigc = 0;
}

void td_vctx_free(td_vctx_t *x) {
  if (!x) return;
  cache_clear(x);
  if (x->own_tl && x->tl) gnutls_x509_trust_list_deinit(x->tl, 1);
  free(x->sigc);
  free(x);
}

gnutls_x509_trust_list_t td_vctx_anchors(const td_vctx_t *x) { return x->tl; }

static vcert_t *vcert_get(td_vctx_t *x, const unsigned char *der, size_t len) {
  unsigned char sha[32];
  if (!der || len == 0 || len > (64u << 20)) return NULL;
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, sha) < 0) return NULL;
  size_t b = ((size_t)sha[0] << 8 | sha[1]) % CACHE_BUCKETS;
  for (vcert_t *c = x->bucket[b]; c; c = c->next)
    if (memcmp(c->sha, sha, 32) == 0 && c->der_len == len) return c;
  vcert_t *c = vcert_parse(der, len, sha);
  if (!c) return NULL;
  c->next = x->bucket[b];
  x->bucket[b] = c;
  x->ncache++;
  return c;
}

static gnutls_pubkey_t vcert_pub(vcert_t *c) {
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

/* Did `issuer`'s key sign `child`? Weak algorithms are allowed here: their
 * weakness is a separate finding, the question is only who signed. */
static int sig_ok(td_vctx_t *x, vcert_t *child, vcert_t *issuer,
                  int *checks) {
  size_t h = 0;
  if (x->sigc) {
    h = (((size_t)child->sha[2] << 8 | child->sha[3]) * 31 +
         ((size_t)issuer->sha[2] << 8 | issuer->sha[3])) % SIGC_SLOTS;
    for (size_t k = 0; k < SIGC_SLOTS; k++) {
      sigc_t *e = &x->sigc[(h + k) % SIGC_SLOTS];
      if (!e->child) break;
      if (e->child == child && e->issuer == issuer) return e->ok;
    }
  }
  int ok = 0;
  gnutls_pubkey_t pub = vcert_pub(issuer);
  if (pub && child->tbs && child->sig && child->sig_algo > 0 &&
      !child->sig_mismatch) {
    gnutls_datum_t tbs = {(unsigned char *)child->tbs, (unsigned)child->tbs_len};
    gnutls_datum_t s = {child->sig, (unsigned)child->sig_len};
    (*checks)++;
    ok = gnutls_pubkey_verify_data2(pub, (gnutls_sign_algorithm_t)child->sig_algo,
                                    GNUTLS_VERIFY_ALLOW_BROKEN |
                                        GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1,
                                    &tbs, &s) >= 0;
  }
  if (!x->sigc) x->sigc = calloc(SIGC_SLOTS, sizeof(*x->sigc)); /* optional */
  if (x->sigc && x->nsigc < SIGC_SLOTS / 2) {
    for (size_t k = 0; k < SIGC_SLOTS; k++) {
      sigc_t *e = &x->sigc[(h + k) % SIGC_SLOTS];
      if (e->child) continue;
      e->child = child;
      e->issuer = issuer;
      e->ok = ok;
      x->nsigc++;
      break;
    }
  }
  return ok;
}

/* The trust anchor whose subject and key identifier match c's issuer. */
static vcert_t *anchor_of(td_vctx_t *x, vcert_t *c) {
  if (c->anchor_looked) return c->anchor;
  c->anchor_looked = 1;
  gnutls_x509_crt_t a = NULL;
  /* a copy: required for PKCS#11 trust stores, and thread-safe */
  if (!c->crt || !x->tl ||
      gnutls_x509_trust_list_get_issuer(x->tl, c->crt, &a,
                                        GNUTLS_TL_GET_COPY) < 0 ||
      !a)
    return NULL;
  gnutls_datum_t der = {NULL, 0};
  if (gnutls_x509_crt_export2(a, GNUTLS_X509_FMT_DER, &der) >= 0)
    c->anchor = vcert_get(x, der.data, der.size);
  gnutls_free(der.data);
  gnutls_x509_crt_deinit(a);
  if (c->anchor && !c->anchor->crt) c->anchor = NULL;
  return c->anchor;
}

/* ---- names ------------------------------------------------------------------ */

static int ieq(const unsigned char *a, size_t an, const unsigned char *b,
               size_t bn) {
  if (an != bn) return 0;
  for (size_t i = 0; i < an; i++)
    if (tolower(a[i]) != tolower(b[i])) return 0;
  return 1;
}

/* RFC 6125 / CABF: presented `p` (SAN dNSName) against reference `ref`
 * (A-label, lowercase). A wildcard is a whole leftmost label and stands
 * for exactly one label. */
static int dns_match(const gname_t *p, const char *ref) {
  if (p->bad) return 0;
  size_t rn = strlen(ref);
  const unsigned char *r = (const unsigned char *)ref;
  size_t pn = p->n;
  const unsigned char *pv = p->v;
  if (rn && r[rn - 1] == '.') rn--;
  if (pn && pv[pn - 1] == '.') pn--;
  if (pn >= 2 && pv[0] == '*' && pv[1] == '.') {
    const unsigned char *dot = memchr(r, '.', rn);
    if (!dot || dot == r) return 0;
    size_t off = (size_t)(dot - r);
    return ieq(pv + 1, pn - 1, r + off, rn - off);
  }
  return ieq(pv, pn, r, rn);
}

static int name_matches(const vcert_t *leaf, const char *name, int is_ip) {
  unsigned char ip[16];
  size_t iplen = 0;
  if (is_ip) {
    if (inet_pton(AF_INET, name, ip) == 1) iplen = 4;
    else if (inet_pton(AF_INET6, name, ip) == 1) iplen = 16;
    else return 0;
  }
  for (size_t i = 0; i < leaf->nsan; i++) {
    const gname_t *g = &leaf->san[i];
    if (is_ip && g->type == GNUTLS_SAN_IPADDRESS && g->n == iplen &&
        memcmp(g->v, ip, iplen) == 0)
      return 1;
    if (!is_ip && g->type == GNUTLS_SAN_DNSNAME && dns_match(g, name))
      return 1;
  }
  return 0;
}

/* Is DNS name n (maybe "*.x") within constraint c? For an excluded
 * constraint, `excluded` asks "could any name it stands for be in c". */
static int nc_dns(const unsigned char *n, size_t nn, const gname_t *c,
                  int excluded) {
  if (c->n == 0) return 1;
  if (nn && n[nn - 1] == '.') nn--;
  int wild = nn >= 2 && n[0] == '*' && n[1] == '.';
  const unsigned char *base = wild ? n + 2 : n;
  size_t bn = wild ? nn - 2 : nn;
  /* base within c: equal, or ends with "." + c */
  int within = ieq(base, bn, c->v, c->n) ||
               (bn > c->n && base[bn - c->n - 1] == '.' &&
                ieq(base + bn - c->n, c->n, c->v, c->n));
  if (within || !wild || !excluded) return within;
  /* "*.base" also stands for "label.base": is c exactly one label below? */
  const unsigned char *dot = memchr(c->v, '.', c->n);
  if (!dot || dot == c->v) return 0;
  size_t off = (size_t)(dot - c->v) + 1;
  return ieq(c->v + off, c->n - off, base, bn);
}

static int nc_ip(const gname_t *n, const gname_t *c) {
  if (c->n != n->n * 2) return 0;
  for (size_t i = 0; i < n->n; i++)
    if ((n->v[i] & c->v[n->n + i]) != (c->v[i] & c->v[n->n + i])) return 0;
  return 1;
}

static int nc_email(const gname_t *n, const gname_t *c) {
  const unsigned char *at = memchr(n->v, '@', n->n);
  if (!at) return 0;
  const unsigned char *host = at + 1;
  size_t hn = n->n - (size_t)(host - n->v);
  if (memchr(c->v, '@', c->n)) /* a mailbox: exact, local part literal */
    return n->n == c->n && memcmp(n->v, c->v, (size_t)(at - n->v)) == 0 &&
           ieq(host, hn, c->v + (at - n->v) + 1, c->n - (size_t)(at - n->v) - 1);
  if (c->n && c->v[0] == '.') /* any host below */
    return hn > c->n && ieq(host + hn - c->n, c->n, c->v, c->n);
  return ieq(host, hn, c->v, c->n);
}

/* DN: the constraint's RDNs are a prefix of the name's (DER compared). */
static int nc_dn(const unsigned char *n, size_t nn, const gname_t *c) {
  unsigned tag;
  const unsigned char *nv, *cv;
  size_t nl, cl, tot;
  if (td_der_next(n, nn, &tag, &nv, &nl, &tot) || tag != 0x30) return 0;
  if (td_der_next(c->v, c->n, &tag, &cv, &cl, &tot) || tag != 0x30) return 0;
  return cl <= nl && memcmp(nv, cv, cl) == 0 &&
         (cl == nl || td_der_next(nv + cl, nl - cl, &tag, &cv, &cl, &tot) == 0);
}

static int nc_match(unsigned type, const unsigned char *v, size_t n,
                    const gname_t *name, const gname_t *c, int excluded) {
  switch (type) {
  case GNUTLS_SAN_DNSNAME: return nc_dns(v, n, c, excluded);
  case GNUTLS_SAN_IPADDRESS: return nc_ip(name, c);
  case GNUTLS_SAN_RFC822NAME: return nc_email(name, c);
  case GNUTLS_SAN_DN: return nc_dn(v, n, c);
  }
  return 0;
}

/* ---- paths ------------------------------------------------------------------- */

typedef struct viol {
  rule_t rule;
  tlsdiag_cause_t code;
  int pos;          /* position in the path, -1 for the whole path */
  const char *rname; /* static rule name overriding rules[rule].name */
  int64_t when;     /* R_REVOKED: revocation time, 0 unknown */
  char detail[200];
} viol_t;

typedef struct path {
  vcert_t *c[TD_V_MAX_PATH + 1]; /* c[0] leaf ... c[n-1]; anchor last */
  size_t n;
  int anchored;     /* c[n-1] is a trust anchor */
  viol_t v[MAX_VIOL];
  size_t nv;
  size_t path_viol; /* violations that another path might avoid */
} path_t;

typedef struct build {
  td_vctx_t *x;
  const td_vreq_t *req;
  const td_crl_t *crls;
  vcert_t **pool;
  size_t npool;
  int steps, checks, paths;
  int exhausted;
  int depth_cut;    /* a path reached TD_V_MAX_PATH certificates */
  path_t cur;
  path_t best;      /* the complete path chosen so far */
  int have_best;
  path_t partial;   /* the longest incomplete path */
  int have_partial;
  int sig_failed_top; /* the partial's top had issuers that did not sign */
} build_t;

static void add_viol(path_t *p, rule_t rule, tlsdiag_cause_t code, int pos,
                     const char *fmt, ...) TD_PRINTF(5, 6);
static void add_viol(path_t *p, rule_t rule, tlsdiag_cause_t code, int pos,
                     const char *fmt, ...) {
  if (p->nv >= MAX_VIOL) return;
  viol_t *v = &p->v[p->nv++];
  v->rule = rule;
  v->code = code;
  v->pos = pos;
  v->rname = NULL;
  v->when = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
  va_end(ap);
}

static int purpose_ok(const vcert_t *c, tlsdiag_purpose_t purpose) {
  unsigned want = purpose == TLSDIAG_PURPOSE_CLIENT ? F_EKU_CLIENT : F_EKU_SERVER;
  return (c->f & want) != 0;
}

static const char *purpose_name(tlsdiag_purpose_t purpose) {
  return purpose == TLSDIAG_PURPOSE_CLIENT ? "clientAuth" : "serverAuth";
}

/* CABF 7.1.4.3: a CN repeats a SAN value character for character. A CN
 * naming something else entirely is left alone (browsers ignore the CN),
 * but one that is an IP address or an IDN, or that differs from a SAN only
 * by case or IDN encoding, must be an exact copy: it is what a user is
 * shown. Returns why it is not, or NULL. */
static const char *cn_problem(const vcert_t *l, const char *cn) {
  size_t cl = strlen(cn);
  struct in_addr a4;
  unsigned char a6[16];
  int ipish = cl > 0 && strspn(cn, "0123456789abcdefABCDEFxX.:") == cl;
  int is_ip = ipish && (inet_aton(cn, &a4) || inet_pton(AF_INET6, cn, a6) == 1);
  for (size_t i = 0; i < l->nsan; i++) {
    const gname_t *g = &l->san[i];
    char ip[INET6_ADDRSTRLEN] = "";
    if (g->type == GNUTLS_SAN_DNSNAME && g->n == cl && !memcmp(cn, g->v, cl))
      return NULL;
    if (g->type == GNUTLS_SAN_IPADDRESS &&
        ((g->n == 4 && inet_ntop(AF_INET, g->v, ip, sizeof(ip))) ||
         (g->n == 16 && inet_ntop(AF_INET6, g->v, ip, sizeof(ip)))) &&
        !strcmp(ip, cn))
      return NULL;
  }
  if (is_ip)
    return "an IP address that is not the canonical text of one of its IP "
           "subjectAltNames";
  for (size_t i = 0; i < l->nsan; i++)
    if (l->san[i].type == GNUTLS_SAN_DNSNAME &&
        ieq(l->san[i].v, l->san[i].n, (const unsigned char *)cn, cl))
      return "which differs from its subjectAltName only in letter case";
  /* An IDN (non-ASCII or an xn-- label) that is a valid host name. */
  int idn = strstr(cn, "xn--") != NULL || strstr(cn, "XN--") != NULL;
  for (size_t i = 0; i < cl; i++)
    if ((unsigned char)cn[i] >= 0x80) idn = 1;
  if (!idn || !strchr(cn, '.') || strpbrk(cn, " \t\"\\")) return NULL;
  const char *why = NULL;
  char *ace = td_idn_to_ascii(cn, &why);
  if (!ace) return NULL;
  free(ace);
  return "an internationalized name that is not one of its subjectAltName "
         "values as written there";
}

/* Rules of the leaf alone (the same on every path). */
static void leaf_rules(build_t *b, path_t *p) {
  const vcert_t *l = p->c[0];
  const td_vreq_t *q = b->req;
  int trusted_itself = p->anchored && p->n == 1;
  if (l->version != 3 && !trusted_itself)
    add_viol(p, R_VERSION, TLSDIAG_CAUSE_CERT_INVALID, 0,
             "is an X.509 version %d certificate; version 3 is required",
             l->version);
  if (l->ca && !trusted_itself)
    add_viol(p, R_LEAF_IS_CA, TLSDIAG_CAUSE_CERT_INVALID, 0,
             "is a CA certificate (basicConstraints cA is true) but is used as "
             "the end-entity certificate");
  if ((l->f & F_KU) && (l->ku & GNUTLS_KEY_KEY_CERT_SIGN) && !l->ca)
    add_viol(p, R_KEY_USAGE, TLSDIAG_CAUSE_CERT_INVALID, 0,
             "asserts keyCertSign without being a CA (cA is not true)");
  if (l->f & F_EKU) {
    if (l->f & F_EKU_EMPTY)
      add_viol(p, R_EKU, TLSDIAG_CAUSE_CERT_INVALID, 0,
               "has an empty extendedKeyUsage extension");
    else if (l->f & F_EKU_ANY)
      add_viol(p, R_EKU, TLSDIAG_CAUSE_CERT_INVALID, 0,
               "lists anyExtendedKeyUsage, which subscriber certificates must "
               "not");
    else if (!purpose_ok(l, q->purpose))
      add_viol(p, R_EKU, TLSDIAG_CAUSE_CERT_INVALID, 0,
               "is not valid for %s: its extendedKeyUsage does not list it",
               purpose_name(q->purpose));
    if (l->f & F_EKU_CRIT)
      add_viol(p, R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, 0,
               "marks extendedKeyUsage critical, which subscriber "
               "certificates must not");
  }
  if ((l->f & F_NC) && !l->ca)
    add_viol(p, R_NC_INVALID, TLSDIAG_CAUSE_CERT_INVALID, 0,
             "has a nameConstraints extension, which only CA certificates may "
             "carry");
  if (l->f & F_SAN) {
    /* A malformed entry (bad DNS syntax, an IP that is not 4 or 16
     * bytes) never matches a name, as in browsers; a malformed extension
     * is a finding of its own. */
    if (l->san_bad)
      add_viol(p, R_SAN, TLSDIAG_CAUSE_CERT_INVALID, 0, "has %s", l->san_bad);
    if ((l->f & F_EMPTY_SUBJECT) && !(l->f & F_SAN_CRIT))
      add_viol(p, R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, 0,
               "has an empty subject but a non-critical subjectAltName");
    if (!(l->f & F_EMPTY_SUBJECT) && (l->f & F_SAN_CRIT) &&
        q->purpose == TLSDIAG_PURPOSE_SERVER)
      add_viol(p, R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, 0,
               "marks subjectAltName critical although its subject is not "
               "empty");
  }
  if (q->purpose == TLSDIAG_PURPOSE_SERVER && l->nsan > 0 && !trusted_itself)
    for (size_t k = 0; k < l->ncn; k++) {
      const char *why = cn_problem(l, l->cn[k]);
      if (why) {
        add_viol(p, R_CN, TLSDIAG_CAUSE_CERT_INVALID, 0,
                 "has the common name \"%.80s\", %s", l->cn[k], why);
        break;
      }
    }
}

/* Rules of one certificate by itself, at position i of the path. */
static void cert_rules(path_t *p, size_t i) {
  const vcert_t *c = p->c[i];
  int anchor = p->anchored && i == p->n - 1;
  if (c->f & F_UNKNOWN_CRIT)
    add_viol(p, R_UNKNOWN_CRIT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "has an unknown critical extension (%s)", c->crit_oid);
  if (c->f & F_DUP_EXT)
    add_viol(p, R_DUP_EXT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "has the same extension more than once");
  if (c->f & (F_AKI_CRIT | F_SKI_CRIT))
    add_viol(p, R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "marks its %s critical, which RFC 5280 forbids",
             (c->f & F_AKI_CRIT) ? "authorityKeyIdentifier"
                                 : "subjectKeyIdentifier");
  if (c->sig_mismatch)
    add_viol(p, R_SIG_ALG, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "names different signature algorithms inside and outside the "
             "signed part");
  if (c->key_bad)
    add_viol(p, c->pk == GNUTLS_PK_RSA ? R_KEY_SIZE : R_KEY_ALG,
             TLSDIAG_CAUSE_CERT_WEAK_KEY, (int)i, "has %s", c->key_bad);
  if (c->ca && (c->f & F_EMPTY_SUBJECT))
    add_viol(p, R_EMPTY_NAME, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "is a CA certificate with an empty subject");
  if (c->f & F_AKI_BAD)
    add_viol(p, R_AKI, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "has an authorityKeyIdentifier that does not parse");
  if (anchor) {
    /* Trust anchors: only what real root stores do not violate (see
     * tests/limbo_exceptions.txt for the rules relaxed here). */
    if (c->self_issued && (c->f & F_AKI) &&
        (c->akid_len == 0 ||
         ((c->f & F_SKI) &&
          (c->akid_len != c->ski_len || memcmp(c->akid, c->ski, c->ski_len)))))
      add_viol(p, R_AKI, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
               c->akid_len ? "has an authorityKeyIdentifier that differs from "
                             "its own subjectKeyIdentifier"
                           : "has an authorityKeyIdentifier without a "
                             "keyIdentifier");
    return;
  }
  if (c->serial_bad)
    add_viol(p, R_SERIAL, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "has a serial number that is %s", c->serial_bad);
  if (c->f & F_EMPTY_ISSUER)
    add_viol(p, R_EMPTY_NAME, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "has an empty issuer name");
  /* Issuers need a key identifier to be found (RFC 5280 4.2.1.1); a
   * leaf without one is accepted by browsers (tests/limbo_exceptions.txt). */
  if (c->akid_len == 0 && i > 0)
    add_viol(p, R_AKI, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "has no authorityKeyIdentifier keyIdentifier");
  if (c->ca && !(c->f & F_SKI))
    add_viol(p, R_SKI, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "is a CA certificate without a subjectKeyIdentifier");
  if ((c->f & F_PC) && !(c->f & F_PC_CRIT))
    add_viol(p, R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "has a non-critical policyConstraints extension");
  if (c->f & F_AIA_CRIT)
    add_viol(p, R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "marks authorityInfoAccess critical");
  if (c->f & F_AIA_BAD)
    add_viol(p, R_AIA, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
             "has a malformed or empty authorityInfoAccess extension");
}

/* Does the constraint set of issuer `ca` allow certificate `c`? */
static void nc_apply(path_t *p, size_t ci, size_t ai, long *budget) {
  const vcert_t *c = p->c[ci], *ca = p->c[ai];
  /* names to check: SAN entries, and the subject as a directoryName */
  size_t nnames = c->nsan + (!(c->f & F_EMPTY_SUBJECT) ? 1 : 0);
  size_t ncons = ca->nperm + ca->nexcl;
  *budget -= (long)(nnames * (ncons ? ncons : 1));
  if (*budget < 0) {
    add_viol(p, R_NC_LIMIT, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
             "has too many names to check against %zu name constraints of "
             "\"%s\"",
             ncons, ca->subject);
    return;
  }
  for (size_t k = 0; k < nnames; k++) {
    gname_t subj = {GNUTLS_SAN_DN, c->subj.data, c->subj.size, NULL};
    const gname_t *nm = k < c->nsan ? &c->san[k] : &subj;
    unsigned type = nm->type;
    if (type == GNUTLS_SAN_OTHERNAME || type == GNUTLS_SAN_URI) {
      /* a constrained form we do not process: reject (RFC 5280) */
      int constrained = 0;
      for (size_t j = 0; j < ca->nperm; j++)
        if (ca->perm[j].type == type) constrained = 1;
      for (size_t j = 0; j < ca->nexcl; j++)
        if (ca->excl[j].type == type) constrained = 1;
      if (constrained) {
        add_viol(p, R_NC, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
                 "has a %s name, which \"%s\" constrains in a way tlsdiag "
                 "does not process",
                 type == GNUTLS_SAN_URI ? "URI" : "otherName", ca->subject);
        return;
      }
      continue;
    }
    if (nm->bad) {
      int constrained = 0;
      for (size_t j = 0; j < ca->nperm; j++)
        if (ca->perm[j].type == type) constrained = 1;
      if (constrained) {
        add_viol(p, R_NC, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
                 "has a malformed name that the name constraints of \"%s\" "
                 "cannot permit",
                 ca->subject);
        return;
      }
      continue;
    }
    for (size_t j = 0; j < ca->nexcl; j++)
      if (ca->excl[j].type == type &&
          nc_match(type, nm->v, nm->n, nm, &ca->excl[j], 1)) {
        add_viol(p, R_NC, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
                 "has the name \"%.*s\", which the name constraints of \"%s\" "
                 "exclude",
                 type == GNUTLS_SAN_DN || type == GNUTLS_SAN_IPADDRESS
                     ? 0 : (int)(nm->n > 80 ? 80 : nm->n),
                 (const char *)nm->v, ca->subject);
        return;
      }
    int have = 0, ok = 0;
    for (size_t j = 0; j < ca->nperm && !ok; j++)
      if (ca->perm[j].type == type) {
        have = 1;
        ok = nc_match(type, nm->v, nm->n, nm, &ca->perm[j], 0);
      }
    if (have && !ok) {
      char ip[INET6_ADDRSTRLEN] = "";
      if (type == GNUTLS_SAN_IPADDRESS)
        inet_ntop(nm->n == 4 ? AF_INET : AF_INET6, nm->v, ip, sizeof(ip));
      add_viol(p, R_NC, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
               "has the name \"%.*s\", which is outside the permitted name "
               "constraints of \"%s\"",
               type == GNUTLS_SAN_IPADDRESS ? (int)strlen(ip)
               : type == GNUTLS_SAN_DN      ? 0
                                            : (int)(nm->n > 80 ? 80 : nm->n),
               type == GNUTLS_SAN_IPADDRESS ? ip : (const char *)nm->v,
               ca->subject);
      return;
    }
  }
}

static int valid_at(const vcert_t *c, int64_t t) {
  return t >= c->not_before && t <= c->not_after;
}

/* All path-dependent rules of the complete (anchored) path in p. */
static void path_rules(build_t *b, path_t *p) {
  const td_vreq_t *q = b->req;
  size_t n = p->n;
  long nc_budget = NC_MAX_CHECKS;
  for (size_t i = 0; i < n; i++) {
    vcert_t *c = p->c[i];
    int anchor = p->anchored && i == n - 1;
    if (i > 0) cert_rules(p, i);
    if (!valid_at(c, q->now))
      add_viol(p, R_VALIDITY,
               q->now > c->not_after ? TLSDIAG_CAUSE_CERT_EXPIRED
                                     : TLSDIAG_CAUSE_CERT_NOT_YET_VALID,
               (int)i, "is not valid at the verification time");
    if (i == 0) continue;
    /* c issues p->c[i-1] */
    if (!(c->f & F_BC) ? !(anchor && c->version < 3) : !c->ca)
      add_viol(p, R_BASIC_CONSTRAINTS, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
               "issues certificates but is not a CA (%s)",
               (c->f & F_BC) ? "basicConstraints cA is false"
                             : "no basicConstraints extension");
    if ((c->f & F_KU) && !(c->ku & GNUTLS_KEY_KEY_CERT_SIGN))
      add_viol(p, R_KEY_USAGE, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
               "issues certificates but its keyUsage lacks keyCertSign");
    if ((c->f & F_EKU) && !anchor && !(c->f & F_EKU_ANY) &&
        !purpose_ok(c, q->purpose))
      add_viol(p, R_EKU, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
               "restricts its extendedKeyUsage to purposes without %s",
               purpose_name(q->purpose));
    if (c->pathlen >= 0) {
      /* non-self-issued intermediates between c and the leaf */
      int inter = 0;
      for (size_t k = 1; k < i; k++)
        if (!p->c[k]->self_issued) inter++;
      if (inter > c->pathlen)
        add_viol(p, R_PATH_LENGTH, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                 "allows %d intermediate certificate%s below it "
                 "(pathLenConstraint) but the path has %d",
                 c->pathlen, c->pathlen == 1 ? "" : "s", inter);
    }
    if (c->f & F_NC) {
      if (c->nc_bad) {
        add_viol(p, R_NC_INVALID, TLSDIAG_CAUSE_CERT_INVALID, (int)i, "has %s",
                 c->nc_bad);
      } else {
        size_t before = p->nv;
        for (size_t k = 0; k < i && p->nv == before; k++)
          if (k == 0 || !p->c[k]->self_issued) nc_apply(p, k, i, &nc_budget);
      }
    }
    /* revocation of the certificate c issued */
    if (b->crls && i >= 1) {
      td_crl_verdict_t v;
      vcert_t *child = p->c[i - 1];
      td_crl_check(b->crls, child->crt, c->crt, vcert_pub(c),
                   (c->f & F_KU) != 0, c->ku, &v);
      if (v.status == TD_CRL_REVOKED) {
        add_viol(p, R_REVOKED, TLSDIAG_CAUSE_CERT_REVOKED, (int)(i - 1),
                 "was revoked");
        if (p->nv) p->v[p->nv - 1].when = v.revoked_at;
      } else if (v.status == TD_CRL_UNUSABLE) {
        add_viol(p, R_CRL, TLSDIAG_CAUSE_CERT_INVALID, (int)(i - 1),
                 "cannot be checked for revocation: %s", v.why);
        if (p->nv) p->v[p->nv - 1].rname = v.rule;
      }
    }
  }
  if (q->max_depth >= 0) {
    int inter = 0;
    for (size_t k = 1; k + 1 < n; k++)
      if (!p->c[k]->self_issued) inter++;
    if (!p->anchored && n > 1 && !p->c[n - 1]->self_issued) inter++;
    if (inter > q->max_depth)
      add_viol(p, R_MAX_DEPTH, TLSDIAG_CAUSE_CERT_INVALID, -1,
               "the path has %d intermediate certificates; at most %d are "
               "allowed",
               inter, q->max_depth);
  }
}

static void judge(build_t *b) {
  path_t *p = &b->cur;
  p->nv = 0;
  path_rules(b, p);
  p->path_viol = p->nv;
  b->paths++;
  if (!b->have_best || p->path_viol < b->best.path_viol) {
    b->best = *p;
    b->have_best = 1;
  }
}

static int in_path(const path_t *p, const vcert_t *c) {
  for (size_t i = 0; i < p->n; i++) {
    if (p->c[i] == c) return 1;
    /* the same CA (subject and key) twice makes a loop */
    if (p->c[i]->subj.size == c->subj.size &&
        memcmp(p->c[i]->subj.data, c->subj.data, c->subj.size) == 0 &&
        p->c[i]->ski_len && p->c[i]->ski_len == c->ski_len &&
        memcmp(p->c[i]->ski, c->ski, c->ski_len) == 0)
      return 1;
  }
  return 0;
}

static int issues(const vcert_t *child, const vcert_t *cand) {
  if (!cand->crt || cand->subj.size != child->iss.size ||
      memcmp(cand->subj.data, child->iss.data, cand->subj.size) != 0)
    return 0;
  /* a mismatching key identifier means another key of that CA */
  if (child->akid_len && cand->ski_len &&
      (child->akid_len != cand->ski_len ||
       memcmp(child->akid, cand->ski, cand->ski_len) != 0))
    return 0;
  return 1;
}

static void note_partial(build_t *b, int sigfail) {
  if (!b->have_partial || b->cur.n > b->partial.n) {
    b->partial = b->cur;
    b->have_partial = 1;
    b->sig_failed_top = sigfail;
  }
}

/* Depth-first search from b->cur's top; returns 1 when a path without
 * path-dependent violations was found (the search stops there). */
static int extend(build_t *b) {
  path_t *p = &b->cur;
  vcert_t *top = p->c[p->n - 1];
  int sigfail = 0;
  if (++b->steps > BUDGET_STEPS || b->paths >= BUDGET_PATHS) {
    b->exhausted = 1;
    return 0;
  }
  vcert_t *a = anchor_of(b->x, top);
  if (a) {
    if (a == top || (a->der_len == top->der_len &&
                     memcmp(a->der, top->der, a->der_len) == 0)) {
      /* top is itself a trust anchor: the path ends here */
      p->anchored = 1;
      judge(b);
      p->anchored = 0;
      return b->best.path_viol == 0;
    } else if (p->n < TD_V_MAX_PATH && !in_path(p, a) &&
               sig_ok(b->x, top, a, &b->checks)) {
      p->c[p->n++] = a;
      p->anchored = 1;
      judge(b);
      p->anchored = 0;
      p->n--;
      if (b->best.path_viol == 0) return 1;
    } else if (!sig_ok(b->x, top, a, &b->checks)) {
      sigfail = 1;
    }
  }
  if (p->n >= TD_V_MAX_PATH) {
    b->depth_cut = 1;
    note_partial(b, sigfail);
    return 0;
  }
  /* candidates from the pool: valid ones first */
  vcert_t *cand[TD_V_MAX_INPUT];
  size_t nc = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < b->npool && nc < TD_V_MAX_INPUT; i++) {
      vcert_t *c = b->pool[i];
      if (!c || c == a || !issues(top, c) || in_path(p, c)) continue;
      if (valid_at(c, b->req->now) != (pass == 0)) continue;
      cand[nc++] = c;
    }
  int extended = 0;
  for (size_t i = 0; i < nc; i++) {
    if (!sig_ok(b->x, top, cand[i], &b->checks)) {
      sigfail = 1;
      continue;
    }
    extended = 1;
    p->c[p->n++] = cand[i];
    int done = extend(b);
    p->n--;
    if (done) return 1;
    if (b->exhausted) return 0;
  }
  if (!extended && !a) note_partial(b, sigfail);
  else if (!extended && a && !b->have_best) note_partial(b, sigfail);
  return 0;
}

/* ---- writing the outcome -------------------------------------------------- */

static const char *cert_name(const vcert_t *c) {
  for (size_t i = 0; i < c->ncn; i++)
    if (c->cn[i] && *c->cn[i]) return c->cn[i];
  return c->subject && *c->subject ? c->subject : "?";
}

/* Index of c in r->chain, or -1. */
static long chain_index(const tlsdiag_result_t *r, const vcert_t *c) {
  for (size_t i = 0; i < r->nchain; i++)
    if (r->chain[i].der_len == c->der_len &&
        memcmp(r->chain[i].der, c->der, c->der_len) == 0)
      return (long)i;
  return -1;
}

static void common_evidence(td_finding_t *f, const tlsdiag_result_t *r,
                            const path_t *p, int pos, rule_t rule,
                            const char *rname) {
  td_ev_str(f, "rule", rname ? rname : rules[rule].name);
  td_ev_str(f, "standard", rules[rule].standard);
  if (pos < 0) return;
  const vcert_t *c = p->c[pos];
  td_ev_str(f, "subject", c->subject);
  long ci = chain_index(r, c);
  if (ci >= 0) td_ev_int(f, "chain_index", ci);
  td_ev_int(f, "path_index", pos);
  if (p->anchored && (size_t)pos == p->n - 1) td_ev_bool(f, "trust_anchor", 1);
}

static const char *role(const path_t *p, int pos) {
  if (pos == 0) return "the certificate";
  if (p->anchored && (size_t)pos == p->n - 1) return "the trust anchor";
  return "the issuing certificate";
}

static void emit_viol(tlsdiag_result_t *r, const path_t *p, const viol_t *v,
                      const td_vreq_t *q) {
  td_finding_t *f;
  const vcert_t *c = v->pos >= 0 ? p->c[v->pos] : NULL;
  if (v->rule == R_REVOKED && c) {
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_REVOKED, TLSDIAG_SEVERITY_ERROR,
                       "%s for %s was revoked by its CA (CRL)",
                       role(p, v->pos), cert_name(c));
    common_evidence(f, r, p, v->pos, v->rule, v->rname);
    td_ev_str(f, "source", "crl");
    if (v->when > 0) td_ev_time(f, "revoked_at", v->when);
    return;
  }
  if (v->rule == R_VALIDITY && c) {
    int expired = v->code == TLSDIAG_CAUSE_CERT_EXPIRED;
    char iso[32];
    td_time_iso(expired ? c->not_after : c->not_before, iso);
    f = td_finding_add(r, v->code, TLSDIAG_SEVERITY_ERROR,
                       expired ? "%s \"%s\" expired on %s"
                               : "%s \"%s\" is not valid before %s",
                       role(p, v->pos), cert_name(c), iso);
    common_evidence(f, r, p, v->pos, v->rule, NULL);
    td_ev_time(f, "not_before", c->not_before);
    td_ev_time(f, "not_after", c->not_after);
    td_ev_time(f, "now", q->now);
    return;
  }
  if (!c)
    f = td_finding_add(r, v->code, TLSDIAG_SEVERITY_ERROR, "%s", v->detail);
  else
    f = td_finding_add(r, v->code, TLSDIAG_SEVERITY_ERROR, "%s for %s %s",
                       role(p, v->pos), cert_name(c), v->detail);
  common_evidence(f, r, p, v->pos, v->rule, v->rname);
  if (c && (v->rule == R_KEY_ALG || v->rule == R_KEY_SIZE ||
            v->rule == R_WEAK_KEY)) {
    const char *kn = gnutls_pk_get_name((gnutls_pk_algorithm_t)c->pk);
    td_ev_str(f, "key_type", kn ? kn : "unknown");
    td_ev_int(f, "key_bits", c->bits);
  }
  if (c && v->rule == R_WEAK_SIG)
    td_ev_str(f, "signature_algorithm", c->sig_name);
}

/* Dates and strength of path certificates classify.c does not see. */
static void uncovered_checks(tlsdiag_result_t *r, path_t *p,
                             const td_vreq_t *q) {
  size_t plen = td_chain_path_len(r);
  for (size_t i = 0; i < p->n; i++) {
    const vcert_t *c = p->c[i];
    long ci = chain_index(r, c);
    if (ci >= 0 && (size_t)ci < plen) continue;
    int is_pk_rsa = c->pk == GNUTLS_PK_RSA || c->pk == GNUTLS_PK_RSA_PSS ||
                    c->pk == GNUTLS_PK_DSA;
    if ((is_pk_rsa && c->bits < 2048) ||
        (c->pk == GNUTLS_PK_ECDSA && c->bits && c->bits < 256))
      add_viol(p, R_WEAK_KEY, TLSDIAG_CAUSE_CERT_WEAK_KEY, (int)i,
               "has a %u-bit key (minimum %u)", c->bits,
               is_pk_rsa ? 2048u : 256u);
    if (c->sig_insecure && !(p->anchored && i == p->n - 1) && !c->self_issued)
      add_viol(p, R_WEAK_SIG, TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE, (int)i,
               "is signed with %s, which browsers reject", c->sig_name);
  }
  (void)q;
}

static unsigned status_bits(const path_t *p) {
  unsigned st = 0;
  for (size_t i = 0; i < p->nv; i++) {
    const viol_t *v = &p->v[i];
    if (v->rule == R_VALIDITY || v->rule == R_WEAK_KEY) continue;
    st |= rules[v->rule].bits | GNUTLS_CERT_INVALID;
  }
  return st;
}

static char *dup_or_null(const char *s, int *bad) {
  if (!s) return NULL;
  char *d = td_strdup(s);
  if (!d) *bad = 1;
  return d;
}

/* A deep copy of the report fields of a parsed certificate. */
static int cert_copy(td_cert_t *d, const td_cert_t *s) {
  int bad = 0;
  *d = *s;
  d->subject = dup_or_null(s->subject, &bad);
  d->issuer = dup_or_null(s->issuer, &bad);
  d->common_name = dup_or_null(s->common_name, &bad);
  d->serial = dup_or_null(s->serial, &bad);
  d->key_type = dup_or_null(s->key_type, &bad);
  d->sig_alg = dup_or_null(s->sig_alg, &bad);
  d->aia_ca_issuers = dup_or_null(s->aia_ca_issuers, &bad);
  d->ocsp_url = dup_or_null(s->ocsp_url, &bad);
  d->sans_text = dup_or_null(s->sans_text, &bad);
  d->sans = NULL;
  d->nsans = 0;
  d->der = NULL;
  if (s->nsans) {
    d->sans = calloc(s->nsans, sizeof(*d->sans));
    if (!d->sans) bad = 1;
    for (size_t i = 0; d->sans && i < s->nsans; i++) {
      d->sans[i].type = s->sans[i].type;
      d->sans[i].value = dup_or_null(s->sans[i].value, &bad);
      d->nsans++;
    }
  }
  if (s->der) {
    d->der = malloc(s->der_len);
    if (d->der) memcpy(d->der, s->der, s->der_len);
    else bad = 1;
  }
  return bad ? -1 : 0;
}

/* r->chain gets c's report fields, parsed once per context. */
static int show(tlsdiag_result_t *r, vcert_t *c) {
  if (!c->shown) {
    c->shown = calloc(1, sizeof(*c->shown));
    if (!c->shown) return -1;
    td_cert_parse(c->shown, c->der, c->der_len);
  }
  return cert_copy(&r->chain[r->nchain++], c->shown);
}

static int fill_chain(tlsdiag_result_t *r, const path_t *p,
                      vcert_t *const *given, size_t ngiven,
                      const vcert_t *anchor_given) {
  size_t cap = p->n + ngiven;
  r->chain = calloc(cap ? cap : 1, sizeof(*r->chain));
  if (!r->chain) return -1;
  r->nchain = 0;
  for (size_t i = 0; i < p->n; i++) {
    vcert_t *c = p->c[i];
    if (p->anchored && i == p->n - 1 && i > 0 && c != anchor_given) break;
    if (show(r, c) < 0) return -1;
  }
  for (size_t i = 0; i < ngiven; i++) {
    int on = 0;
    for (size_t k = 0; k < p->n; k++)
      if (p->c[k] == given[i]) on = 1;
    for (size_t k = 0; k < i; k++)
      if (given[k] == given[i]) on = 1;
    if (!on && r->nchain < cap && show(r, given[i]) < 0) return -1;
  }
  return 0;
}

int td_verifier_run(td_vctx_t *x, const td_vreq_t *q, tlsdiag_result_t *r,
                    int reorder) {
  td_verify_t *vr = &r->verify;
  build_t *b = NULL;
  vcert_t **given = NULL;
  td_crl_t *crls = NULL;
  int rc = -1;
  vr->done = 1;
  if (x->ncache > CACHE_MAX || x->nsigc >= SIGC_SLOTS / 2) cache_clear(x);
  size_t nchain = q->nchain > TD_V_MAX_INPUT ? TD_V_MAX_INPUT : q->nchain;
  size_t npool = q->npool > TD_V_MAX_INPUT ? TD_V_MAX_INPUT : q->npool;
  b = calloc(1, sizeof(*b));
  given = calloc(nchain + npool + 1, sizeof(*given));
  if (!b || !given) goto out;
  b->x = x;
  b->req = q;
  if (q->ncrls) {
    crls = td_crl_load(q->crls, q->ncrls);
    if (!crls) goto out;
    b->crls = crls;
  }
  for (size_t i = 0; i < nchain; i++) {
    given[i] = vcert_get(x, q->chain[i].data, q->chain[i].size);
    if (!given[i]) goto out;
  }
  for (size_t i = 0; i < npool; i++) {
    given[nchain + i] = vcert_get(x, q->pool[i].data, q->pool[i].size);
    if (!given[nchain + i]) goto out;
  }
  b->pool = given + 1;
  b->npool = nchain + npool ? nchain + npool - 1 : 0;

  if (nchain == 0 || !given[0]->crt) {
    vr->status = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
    vr->issuer_missing = 1;
    vr->status_text = td_strdup("The certificate does not parse.");
    if (nchain) {
      td_finding_t *f = td_finding_add(r, TLSDIAG_CAUSE_CERT_INVALID,
                                       TLSDIAG_SEVERITY_ERROR,
                                       "the certificate does not parse as "
                                       "X.509");
      td_ev_str(f, "rule", rules[R_PARSE].name);
      td_ev_str(f, "standard", rules[R_PARSE].standard);
    }
    rc = 0;
    goto out;
  }

  b->cur.c[0] = given[0];
  b->cur.n = 1;
  extend(b);

  path_t *p;
  int complete = b->have_best;
  if (complete) {
    p = &b->best;
  } else {
    p = b->have_partial ? &b->partial : &b->cur;
    if (!b->have_partial) b->cur.n = 1;
    p->anchored = 0;
    p->nv = 0;
    /* a path cut at TD_V_MAX_PATH is not judged at all, as in GnuTLS */
    int judged = !(b->depth_cut && p->n >= TD_V_MAX_PATH);
    for (size_t i = 0; i < p->n && judged; i++) {
      if (i > 0) cert_rules(p, i);
      if (!valid_at(p->c[i], q->now))
        add_viol(p, R_VALIDITY,
                 q->now > p->c[i]->not_after ? TLSDIAG_CAUSE_CERT_EXPIRED
                                             : TLSDIAG_CAUSE_CERT_NOT_YET_VALID,
                 (int)i, "is not valid at the verification time");
    }
  }
  /* the leaf's own rules, then what classify.c does not see */
  cert_rules(p, 0);
  leaf_rules(b, p);
  if (reorder) {
    const vcert_t *anchor_given = NULL;
    if (p->anchored)
      for (size_t i = 0; i < nchain + npool; i++)
        if (given[i]->der_len == p->c[p->n - 1]->der_len &&
            !memcmp(given[i]->der, p->c[p->n - 1]->der, given[i]->der_len))
          anchor_given = p->c[p->n - 1];
    if (fill_chain(r, p, given, nchain, anchor_given) < 0) goto out;
  }
  uncovered_checks(r, p, q);

  unsigned st = status_bits(p);
  if (!complete && b->depth_cut && p->n >= TD_V_MAX_PATH) {
    /* Too long to verify, as GnuTLS (16): classify.c says so for a sent
     * chain that long; otherwise the rule does. */
    st |= GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE;
    if (r->nchain <= TD_V_MAX_PATH)
      add_viol(p, R_PATH_BUILDING, TLSDIAG_CAUSE_CERT_INVALID, -1,
               "no path to a trust anchor within %d certificates",
               TD_V_MAX_PATH);
  } else if (!complete) {
    st |= GNUTLS_CERT_INVALID |
          (b->sig_failed_top ? GNUTLS_CERT_SIGNATURE_FAILURE
                             : GNUTLS_CERT_SIGNER_NOT_FOUND);
    vr->issuer_missing = !b->sig_failed_top;
    if (b->sig_failed_top)
      add_viol(p, R_SIGNATURE, TLSDIAG_CAUSE_CERT_INVALID, (int)(p->n - 1),
               "has a signature that its issuer's key does not verify");
    if (b->exhausted)
      add_viol(p, R_PATH_BUILDING, TLSDIAG_CAUSE_CERT_INVALID, -1,
               "no path to a trust anchor was found within the limit of %d "
               "candidate issuers",
               BUDGET_STEPS);
  }
  /* the name */
  if (q->name) {
    vr->name_ok = name_matches(p->c[0], q->name, q->name_is_ip);
    if (!vr->name_ok) st |= GNUTLS_CERT_UNEXPECTED_OWNER | GNUTLS_CERT_INVALID;
  } else {
    vr->name_ok = 1;
  }
  for (size_t i = 0; i < p->n; i++)
    if (p->c[i]->sig_insecure && !(p->anchored && i == p->n - 1) &&
        !p->c[i]->self_issued)
      st |= GNUTLS_CERT_INSECURE_ALGORITHM | GNUTLS_CERT_INVALID;
  vr->status = st;
  vr->trusted = complete && !(st & (GNUTLS_CERT_SIGNER_NOT_FOUND |
                                    GNUTLS_CERT_SIGNER_NOT_CA |
                                    GNUTLS_CERT_SIGNATURE_FAILURE));
  gnutls_datum_t txt = {NULL, 0};
  if (gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &txt,
                                                   0) == 0) {
    vr->status_text = td_strndup((const char *)txt.data, txt.size);
    gnutls_free(txt.data);
  }
  if (r->nchain > 0) vr->chain_ends_in_root = r->chain[r->nchain - 1].self_signed;

  /* one finding per rule that failed (classify.c reports the rest) */
  for (size_t i = 0; i < p->nv; i++) {
    const viol_t *v = &p->v[i];
    if (v->rule == R_VALIDITY) {
      long ci = v->pos >= 0 ? chain_index(r, p->c[v->pos]) : -1;
      if (ci >= 0 && (size_t)ci < td_chain_path_len(r)) continue;
    }
    emit_viol(r, p, v, q);
  }
  rc = 0;
out:
  if (rc < 0 && !vr->status) {
    vr->status = GNUTLS_CERT_INVALID;
    free(vr->status_text);
    vr->status_text = td_strdup("out of memory while verifying");
  }
  td_crl_free(crls);
  free(given);
  free(b);
  return rc;
}

int td_vctx_parses(td_vctx_t *x, const gnutls_datum_t *der) {
  vcert_t *c = vcert_get(x, der->data, der->size);
  if (!c) return -1;
  return c->crt != NULL;
}

/* ---- the public API: blobs in, a result out --------------------------------- */

#define MAX_BLOB (64u << 20)
#define MAX_BLOCKS 1024

struct tlsdiag_verifier {
  td_vctx_t *ctx;
  int64_t now;          /* 0: the real clock at each verification */
  int warn_days, crit_days;
  char err[512];
};

typedef struct derlist {
  gnutls_datum_t *d;    /* gnutls-allocated data */
  size_t n, cap;
} derlist_t;

static void derlist_free(derlist_t *l) {
  for (size_t i = 0; i < l->n; i++) gnutls_free(l->d[i].data);
  free(l->d);
  memset(l, 0, sizeof(*l));
}

static int derlist_push(derlist_t *l, gnutls_datum_t d) {
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

/* Decodes a blob into DER objects of one kind (certificates or CRLs).
 * PEM: every block with an accepted label; other blocks (keys) skipped.
 * Otherwise the whole blob is one DER object. 0, or -1 with err set
 * (-2 on out-of-memory). */
static int decode_blob(const tlsdiag_blob_t *b, int crl, derlist_t *out,
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
  if (!s) {
    if (n == 0) {
      snprintf(err, errlen, "empty");
      return -1;
    }
    /* DER: one object, a SEQUENCE spanning the whole blob */
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
  while (s && block < MAX_BLOCKS) {
    block++;
    const unsigned char *lab = s + 11;
    const unsigned char *le = find_bytes(lab, (size_t)(end - lab), "-----");
    if (!le || le - lab > 64) {
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
    int want = crl ? !strcmp(label, "X509 CRL")
                   : (!strcmp(label, "CERTIFICATE") ||
                      !strcmp(label, "X509 CERTIFICATE") ||
                      !strcmp(label, "TRUSTED CERTIFICATE"));
    if (want) {
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

static int decode_all(const tlsdiag_blob_t *b, size_t n, int crl,
                      const char *what, derlist_t *out, char *err,
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

void tlsdiag_verify_input_init(tlsdiag_verify_input_t *in) {
  if (!in) return;
  memset(in, 0, sizeof(*in));
  in->version = TLSDIAG_VERIFY_INPUT_VERSION;
  in->purpose = TLSDIAG_PURPOSE_SERVER;
  in->max_depth = -1;
  in->expiring_within_days = -1;
}

static void set_err(char *buf, size_t len, const char *msg) {
  if (buf && len) snprintf(buf, len, "%s", msg);
}

tlsdiag_err_t tlsdiag_verifier_new(const tlsdiag_options_t *opts,
                                   const tlsdiag_blob_t *trusted,
                                   size_t ntrusted, tlsdiag_verifier_t **out,
                                   char *errbuf, size_t errlen) {
  tlsdiag_options_t def;
  gnutls_x509_trust_list_t tl = NULL;
  tlsdiag_verifier_t *v = NULL;
  derlist_t anchors = {0};
  tlsdiag_err_t err = TLSDIAG_E_NOMEM;
  set_err(errbuf, errlen, "");
  if (!out || (ntrusted && !trusted)) return TLSDIAG_E_INVAL;
  *out = NULL;
  if (!opts) {
    tlsdiag_options_init(&def);
    opts = &def;
  }
  if (opts->version < 1 || opts->version > TLSDIAG_OPTIONS_VERSION) {
    set_err(errbuf, errlen, "unknown options version");
    return TLSDIAG_E_OPTIONS;
  }
  if ((err = td_global_init_once()) != TLSDIAG_OK) return err;
  err = TLSDIAG_E_NOMEM;
  v = calloc(1, sizeof(*v));
  if (!v || gnutls_x509_trust_list_init(&tl, 0) < 0) {
    tl = NULL;
    goto fail;
  }
  v->now = opts->now;
  v->warn_days = opts->warn_days;
  v->crit_days = opts->crit_days;
  int added = 0;
  if (ntrusted) {
    char why[400];
    int rc = decode_all(trusted, ntrusted, 0, "trusted", &anchors, why,
                        sizeof(why));
    if (rc == -2) goto fail;
    if (rc < 0) {
      set_err(errbuf, errlen, why);
      err = TLSDIAG_E_CAFILE;
      goto fail;
    }
    for (size_t i = 0; i < anchors.n; i++) {
      gnutls_x509_crt_t crt = NULL;
      if (gnutls_x509_crt_init(&crt) < 0) goto fail;
      if (gnutls_x509_crt_import(crt, &anchors.d[i], GNUTLS_X509_FMT_DER) < 0) {
        gnutls_x509_crt_deinit(crt);
        if (errbuf && errlen)
          snprintf(errbuf, errlen, "trusted certificate %zu does not parse",
                   i + 1);
        err = TLSDIAG_E_CAFILE;
        goto fail;
      }
      if (gnutls_x509_trust_list_add_cas(tl, &crt, 1, 0) != 1) {
        gnutls_x509_crt_deinit(crt);
        goto fail;
      }
      added++;
    }
  } else if (opts->cafile || opts->capath) {
    if (opts->cafile) {
      int rc = gnutls_x509_trust_list_add_trust_file(tl, opts->cafile, NULL,
                                                     GNUTLS_X509_FMT_PEM, 0, 0);
      if (rc <= 0)
        rc = gnutls_x509_trust_list_add_trust_file(tl, opts->cafile, NULL,
                                                   GNUTLS_X509_FMT_DER, 0, 0);
      if (rc <= 0) {
        if (errbuf && errlen)
          snprintf(errbuf, errlen, "no usable CA certificate in '%s'",
                   opts->cafile);
        err = TLSDIAG_E_CAFILE;
        goto fail;
      }
      added += rc;
    }
    if (opts->capath) {
      int rc = gnutls_x509_trust_list_add_trust_dir(tl, opts->capath, NULL,
                                                    GNUTLS_X509_FMT_PEM, 0, 0);
      if (rc <= 0) {
        if (errbuf && errlen)
          snprintf(errbuf, errlen, "no usable CA certificate in '%s'",
                   opts->capath);
        err = TLSDIAG_E_CAFILE;
        goto fail;
      }
      added += rc;
    }
  } else {
    /* An empty system store is not an error: every chain is then
     * untrusted, which is the truth. */
    (void)gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
  }
  (void)added;
  v->ctx = td_vctx_new(tl, 1);
  if (!v->ctx) goto fail;
  derlist_free(&anchors);
  *out = v;
  return TLSDIAG_OK;
fail:
  derlist_free(&anchors);
  if (tl) gnutls_x509_trust_list_deinit(tl, 1);
  free(v);
  return err;
}

void tlsdiag_verifier_free(tlsdiag_verifier_t *v) {
  if (!v) return;
  td_vctx_free(v->ctx);
  free(v);
}

const char *tlsdiag_verifier_error(const tlsdiag_verifier_t *v) {
  return v ? v->err : "";
}

static int finding_order(const void *a, const void *b) {
  const td_finding_t *x = a, *y = b;
  if (x->severity != y->severity) return (int)y->severity - (int)x->severity;
  return td_cause_rank(x->code) - td_cause_rank(y->code);
}

/* --expiring-within: the soonest expiry on the path is an error. */
static void expiring_within(tlsdiag_result_t *r, int days) {
  int changed = 0;
  for (size_t i = 0; i < r->nfindings; i++) {
    td_finding_t *f = &r->findings[i];
    const td_evidence_t *e = td_ev_get(f, "days_left");
    if (f->code != TLSDIAG_CAUSE_CERT_EXPIRES_SOON || !e || e->num >= days)
      continue;
    f->severity = TLSDIAG_SEVERITY_ERROR;
    td_ev_int(f, "expiring_within_days", days);
    changed = 1;
  }
  if (!changed) return;
  qsort(r->findings, r->nfindings, sizeof(*r->findings), finding_order);
  r->cause = TLSDIAG_CAUSE_OK;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR) {
      r->cause = r->findings[i].code;
      break;
    }
}

static tlsdiag_err_t set_host(tlsdiag_result_t *r, const char *host,
                              char *err, size_t errlen) {
  size_t hl = strlen(host);
  char *lit = hl >= 2 && host[0] == '[' && host[hl - 1] == ']'
                  ? td_strndup(host + 1, hl - 2)
                  : td_strdup(host);
  r->host = td_strdup(host);
  if (!lit || !r->host) {
    free(lit);
    return TLSDIAG_E_NOMEM;
  }
  if (td_is_ip_literal(lit)) {
    r->host_is_ip = 1;
    r->ace_host = lit;
    return TLSDIAG_OK;
  }
  free(lit);
  const char *why = NULL;
  r->ace_host = td_idn_to_ascii(host, &why);
  if (!r->ace_host) {
    snprintf(err, errlen, "host '%s': %s", host, why ? why : "malformed");
    return TLSDIAG_E_HOST;
  }
  return TLSDIAG_OK;
}

tlsdiag_err_t tlsdiag_verifier_verify(tlsdiag_verifier_t *v,
                                      const tlsdiag_verify_input_t *in,
                                      tlsdiag_result_t **out) {
  derlist_t chain = {0}, pool = {0}, crls = {0};
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t err = TLSDIAG_E_NOMEM;
  if (out) *out = NULL;
  if (!v || !in || !out) return TLSDIAG_E_INVAL;
  v->err[0] = '\0';
  if (in->version < 1 || in->version > TLSDIAG_VERIFY_INPUT_VERSION ||
      in->ntrusted || in->nchain == 0 || !in->chain ||
      (in->nuntrusted && !in->untrusted) || (in->ncrls && !in->crls) ||
      (in->purpose != TLSDIAG_PURPOSE_SERVER &&
       in->purpose != TLSDIAG_PURPOSE_CLIENT)) {
    snprintf(v->err, sizeof(v->err), "%s",
             in->ntrusted ? "trusted certificates belong to the verifier"
             : in->nchain == 0 ? "no chain given"
                               : "invalid input");
    return TLSDIAG_E_INVAL;
  }
  /* the shared inputs first, so their errors are named as theirs */
  int rc = decode_all(in->untrusted, in->nuntrusted, 0, "untrusted", &pool,
                      v->err, sizeof(v->err));
  if (!rc)
    rc = decode_all(in->crls, in->ncrls, 1, "crl", &crls, v->err,
                    sizeof(v->err));
  for (size_t i = 0; !rc && i < crls.n; i++) {
    gnutls_x509_crl_t c = NULL;
    int ok = gnutls_x509_crl_init(&c) >= 0 &&
             gnutls_x509_crl_import(c, &crls.d[i], GNUTLS_X509_FMT_DER) >= 0;
    if (c) gnutls_x509_crl_deinit(c);
    if (!ok) {
      snprintf(v->err, sizeof(v->err), "crl %zu does not parse as a CRL",
               i + 1);
      rc = -1;
    }
  }
  for (size_t i = 0; !rc && i < pool.n; i++) {
    int ok = td_vctx_parses(v->ctx, &pool.d[i]);
    if (ok < 0) rc = -2;
    else if (!ok) {
      snprintf(v->err, sizeof(v->err), "untrusted certificate %zu does not "
               "parse as X.509", i + 1);
      rc = -1;
    }
  }
  if (!rc)
    rc = decode_all(in->chain, in->nchain, 0, "chain", &chain, v->err,
                    sizeof(v->err));
  if (rc == -2) goto out;
  if (rc < 0) {
    err = TLSDIAG_E_INVAL;
    goto out;
  }
  for (size_t i = 0; i < chain.n; i++) {
    int ok = td_vctx_parses(v->ctx, &chain.d[i]);
    if (ok < 0) goto out;
    if (!ok) {
      snprintf(v->err, sizeof(v->err), "certificate %zu does not parse as "
               "X.509", i + 1);
      err = TLSDIAG_E_INVAL;
      goto out;
    }
  }
  r = td_result_new();
  if (!r) goto out;
  r->offline = 1;
  r->started_wall = td_wall_now();
  r->clock_overridden = v->now != 0;
  r->now = v->now ? v->now : r->started_wall;
  r->warn_days = v->warn_days;
  if (in->expiring_within_days > r->warn_days)
    r->warn_days = in->expiring_within_days;
  r->crit_days = v->crit_days;
  if (in->host && *in->host) {
    err = set_host(r, in->host, v->err, sizeof(v->err));
    if (err) goto out;
  }
  err = TLSDIAG_E_NOMEM;
  td_vreq_t q;
  memset(&q, 0, sizeof(q));
  q.chain = chain.d;
  q.nchain = chain.n;
  q.pool = pool.d;
  q.npool = pool.n;
  q.crls = crls.d;
  q.ncrls = crls.n;
  q.name = r->ace_host;
  q.name_is_ip = r->host_is_ip;
  q.now = r->now;
  q.purpose = in->purpose;
  q.max_depth = in->max_depth;
  if (td_verifier_run(v->ctx, &q, r, 1) < 0) goto out;
  for (size_t i = 0; i < r->nchain; i++) {
    td_cert_t *ct = &r->chain[i];
    ct->days_left = td_days_between(r->now, ct->not_after);
    snprintf(ct->days_left_text, sizeof(ct->days_left_text), "%lld",
             (long long)ct->days_left);
  }
  td_classify_offline(r);
  if (in->expiring_within_days >= 0)
    expiring_within(r, in->expiring_within_days);
  *out = r;
  r = NULL;
  err = TLSDIAG_OK;
out:
  if (err == TLSDIAG_E_NOMEM && !v->err[0])
    snprintf(v->err, sizeof(v->err), "out of memory");
  tlsdiag_result_free(r);
  derlist_free(&chain);
  derlist_free(&pool);
  derlist_free(&crls);
  return err;
}

tlsdiag_err_t tlsdiag_verify_chain(const tlsdiag_verify_input_t *in,
                                   const tlsdiag_options_t *opts,
                                   tlsdiag_result_t **out) {
  tlsdiag_verifier_t *v = NULL;
  if (out) *out = NULL;
  if (!in || !out) return TLSDIAG_E_INVAL;
  tlsdiag_err_t err =
      tlsdiag_verifier_new(opts, in->trusted, in->ntrusted, &v, NULL, 0);
  if (err) return err;
  tlsdiag_verify_input_t copy = *in;
  copy.trusted = NULL;
  copy.ntrusted = 0;
  err = tlsdiag_verifier_verify(v, &copy, out);
  tlsdiag_verifier_free(v);
  return err;
}
