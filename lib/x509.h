/* x509.h: the types the verifier's modules share: the parsed certificate
 * (x509_cert.c), name syntax, matching and constraints (x509_names.c),
 * path building (x509_path.c), the rules (x509_rules.c) and the outcome
 * written into a result (x509_report.c), all driven by td_verifier_run
 * (verifier.c). Not installed; foreign types allowed. Every loop is
 * bounded by the TD_V_* limits. */
#ifndef TD_X509_H
#define TD_X509_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "crl.h"
#include "internal.h"
#include "verifier.h"
#include "x509_der.h"

#define TD_V_MAX_CN 16           /* common names kept per certificate */
#define TD_V_MAX_VIOL 48         /* violations kept per path */
#define TD_V_BUDGET_STEPS 512    /* issuer candidates tried while building */
#define TD_V_BUDGET_PATHS 32     /* complete paths judged */
#define TD_V_BROWSER_MAX_INTER 6 /* Firefox's intermediates per path */

/* ---- rules (x509_rules.c) ---------------------------------------------- */

typedef enum {
  TD_R_SIGNATURE = 0,
  TD_R_PATH_BUILDING,
  TD_R_MAX_DEPTH,
  TD_R_PATH_LENGTH,
  TD_R_BASIC_CONSTRAINTS,
  TD_R_LEAF_IS_CA,
  TD_R_KEY_USAGE,
  TD_R_EKU,
  TD_R_NC,
  TD_R_NC_INVALID,
  TD_R_NC_LIMIT,
  TD_R_UNKNOWN_CRIT,
  TD_R_DUP_EXT,
  TD_R_EXT_CRIT,
  TD_R_AKI,
  TD_R_SKI,
  TD_R_SERIAL,
  TD_R_VERSION,
  TD_R_EMPTY_NAME,
  TD_R_SAN,
  TD_R_CN,
  TD_R_AIA,
  TD_R_KEY_ALG,
  TD_R_KEY_SIZE,
  TD_R_SIG_ALG,
  TD_R_VALIDITY,
  TD_R_WEAK_KEY,
  TD_R_WEAK_SIG,
  TD_R_CRL,
  TD_R_REVOKED,
  TD_R_PARSE,
  TD_R_CHAIN_DEPTH,
  TD_R_COUNT_
} td_rule_t;

typedef struct {
  const char *name;     /* evidence "rule" */
  const char *standard; /* evidence "standard" */
  unsigned bits;        /* GnuTLS-style status bits it sets */
} td_rule_row_t;

/* One row per rule (docs/verify.md lists the names). */
extern const td_rule_row_t td_x509_rules[TD_R_COUNT_];

/* ---- parsed certificates (x509_cert.c) ---------------------------------- */

/* Facts found while parsing one certificate (td_vcert_t.f). */
enum {
  TD_F_BC = 1u << 0,
  TD_F_BC_CRIT = 1u << 1,
  TD_F_KU = 1u << 2,
  TD_F_EKU = 1u << 3,
  TD_F_EKU_CRIT = 1u << 4,
  TD_F_EKU_SERVER = 1u << 5,
  TD_F_EKU_CLIENT = 1u << 6,
  TD_F_EKU_ANY = 1u << 7,
  TD_F_EKU_EMPTY = 1u << 8,
  TD_F_SKI = 1u << 9,
  TD_F_SKI_CRIT = 1u << 10,
  TD_F_AKI = 1u << 11,
  TD_F_AKI_CRIT = 1u << 12,
  TD_F_AKI_ISSUER = 1u << 13,
  TD_F_AKI_SERIAL = 1u << 14,
  TD_F_SAN = 1u << 15,
  TD_F_SAN_CRIT = 1u << 16,
  TD_F_NC = 1u << 17,
  TD_F_PC = 1u << 18,
  TD_F_PC_CRIT = 1u << 19,
  TD_F_AIA_CRIT = 1u << 20,
  TD_F_AIA_BAD = 1u << 21,
  TD_F_DUP_EXT = 1u << 22,
  TD_F_EMPTY_SUBJECT = 1u << 23,
  TD_F_EMPTY_ISSUER = 1u << 24,
  TD_F_UNKNOWN_CRIT = 1u << 25,
  TD_F_AKI_BAD = 1u << 26
};

/* A GeneralName: a SAN entry or a name constraint. */
typedef struct td_gname {
  unsigned type;      /* GNUTLS_SAN_* (othername forms folded) */
  unsigned char *v;   /* value bytes (DN: DER) */
  size_t n;
  const char *bad;    /* static: why the name/constraint is malformed */
  int over_suffix;    /* a SAN "*.X", X an ICANN public suffix: never
                         matches (td_x509_wildcard_suffix) */
} td_gname_t;

/* A certificate as the verifier sees it, parsed once per context. */
typedef struct td_vcert td_vcert_t;
struct td_vcert {
  unsigned char sha[32];
  td_vcert_t *next;       /* cache bucket */
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
  int import_rc;          /* GnuTLS's error when crt is NULL (0: none) */
  char *sig_name;
  gnutls_datum_t subj, iss; /* raw DNs */
  char *subject;          /* RFC 4514 text, for messages */
  int self_issued;
  int version;
  int64_t not_before, not_after;
  unsigned f;             /* TD_F_* */
  int ca;
  int pathlen;            /* -1: none */
  unsigned ku;
  unsigned char ski[64];
  size_t ski_len;
  unsigned char akid[64];
  size_t akid_len;
  char crit_oid[64];      /* first unknown critical extension */
  td_gname_t *san;
  size_t nsan;
  const char *san_bad;    /* static: why the SAN extension is malformed */
  char *cn[TD_V_MAX_CN];
  size_t ncn;
  td_gname_t *perm, *excl; /* name constraints */
  size_t nperm, nexcl;
  const char *nc_bad;
  const char *serial_bad;
  int pk;
  unsigned bits;
  int curve;
  const char *key_bad;    /* static: why the key is not allowed */
  td_cert_t *shown;       /* td_cert_parse of it, made once (reports) */
  int anchor_looked;
  td_vcert_t *anchor;     /* the trust anchor that issued it, or NULL */
};

/* Parses der (sha: its SHA-256, the cache key). A certificate that does
 * not parse is returned with crt NULL: that is a finding, not an error.
 * NULL on out-of-memory. */
td_vcert_t *td_vcert_parse(const unsigned char *der, size_t len,
                           const unsigned char sha[32]);
void td_vcert_free(td_vcert_t *c);
/* The public key, imported on first use; NULL if it cannot be. */
gnutls_pubkey_t td_vcert_pub(td_vcert_t *c);
/* 1 if t is within the validity period. */
int td_vcert_valid_at(const td_vcert_t *c, int64_t t);

/* ---- names (x509_names.c) ----------------------------------------------- */

/* Why s[0..n) is not a DNS name in preferred syntax (a leading "*." label
 * allowed when wild is set), or NULL if it is one. */
const char *td_x509_dns_syntax(const unsigned char *s, size_t n, int wild);
/* A mailbox (or, for a constraint, a host or ".domain") in valid syntax. */
int td_x509_email_syntax_ok(const unsigned char *s, size_t n, int constraint);
/* Why the name constraint g is malformed, or NULL. */
const char *td_x509_constraint_bad(const td_gname_t *g);
/* For a dNSName "*.X" whose X is a public suffix in the ICANN section of
 * the Public Suffix List (com, co.uk, or a TLD the list lacks): a pointer
 * to X inside s; else NULL. Such a wildcard never matches, as in Chromium
 * (X509Certificate::VerifyHostname); private-section suffixes
 * (s3.amazonaws.com, appspot.com) are allowed, as there. */
const char *td_x509_wildcard_suffix(const char *s, size_t n);
/* Does a SAN of leaf match name (A-label, or IP literal when is_ip)? */
int td_x509_name_matches(const td_vcert_t *leaf, const char *name, int is_ip);
/* Is name (type, value v[0..n)) within constraint c? With excluded set,
 * "could any name it stands for be in c" (a wildcard's). */
int td_x509_nc_match(unsigned type, const unsigned char *v, size_t n,
                     const td_gname_t *name, const td_gname_t *c,
                     int excluded);
/* Why the leaf's common name cn breaks CABF 7.1.4.3, or NULL. */
const char *td_x509_cn_problem(const td_vcert_t *leaf, const char *cn);

/* ---- paths (x509_path.c) ------------------------------------------------ */

typedef struct td_viol {
  td_rule_t rule;
  tlsdiag_cause_t code;
  int pos;           /* position in the path, -1 for the whole path */
  const char *rname; /* static rule name overriding td_x509_rules[].name */
  int64_t when;      /* TD_R_REVOKED: revocation time, 0 unknown */
  char detail[200];
} td_viol_t;

typedef struct td_vpath {
  td_vcert_t *c[TD_V_MAX_PATH + 1]; /* c[0] leaf ... c[n-1]; anchor last */
  size_t n;
  int anchored;      /* c[n-1] is a trust anchor */
  td_viol_t v[TD_V_MAX_VIOL];
  size_t nv;
  size_t path_viol;  /* violations that another path might avoid */
} td_vpath_t;

/* The state of one path search. */
typedef struct td_vbuild {
  td_vctx_t *x;
  const td_vreq_t *req;
  const td_crl_t *crls;
  td_vcert_t **pool;
  size_t npool;
  int steps, checks, paths;
  int exhausted;
  int depth_cut;       /* a path reached TD_V_MAX_PATH certificates */
  td_vpath_t cur;
  td_vpath_t best;     /* the complete path chosen so far */
  int have_best;
  td_vpath_t partial;  /* the longest incomplete path */
  int have_partial;
  int sig_failed_top;  /* the partial's top had issuers that did not sign */
} td_vbuild_t;

/* The certificate der from the context's cache, parsed on first sight.
 * NULL on out-of-memory or unusable input (empty, over 64 MiB). */
td_vcert_t *td_vctx_get(td_vctx_t *x, const unsigned char *der, size_t len);
/* Empties the caches when they are full, before a verification. */
void td_vctx_trim(td_vctx_t *x);
/* Searches paths from leaf up to a trust anchor over b->pool: b->best is
 * the best complete path (judged), else b->partial the longest one. */
void td_x509_build(td_vbuild_t *b, td_vcert_t *leaf);

/* ---- rules (x509_rules.c) ----------------------------------------------- */

void td_viol_add(td_vpath_t *p, td_rule_t rule, tlsdiag_cause_t code, int pos,
                 const char *fmt, ...) TD_PRINTF(5, 6);
/* Judges the complete path b->cur; keeps it in b->best if it is better. */
void td_x509_judge(td_vbuild_t *b);
/* The rules of the certificate at position i by itself. */
void td_x509_cert_rules(td_vpath_t *p, size_t i);
/* The rules of the leaf alone (the same on every path). */
void td_x509_leaf_rules(td_vbuild_t *b, td_vpath_t *p);
/* The rules an incomplete path can still be held to: each certificate's
 * own rules and dates (none when judged is 0). */
void td_x509_partial_rules(td_vpath_t *p, int64_t now, int judged);

/* ---- the outcome (x509_report.c) ---------------------------------------- */

/* r->chain: the path (leaf first; the anchor only if it was given), then
 * the given certificates not on it. -1 on out-of-memory. */
int td_x509_fill_chain(tlsdiag_result_t *r, const td_vpath_t *p,
                       td_vcert_t *const *given, size_t ngiven,
                       const td_vcert_t *anchor_given);
/* Dates and strength of path certificates classify.c does not see. */
void td_x509_uncovered_checks(tlsdiag_result_t *r, td_vpath_t *p);
/* GnuTLS-style status bits of the violations in p. */
unsigned td_x509_status_bits(const td_vpath_t *p);
/* One finding per violation in p (classify.c reports the dates of the
 * certificates it sees). */
void td_x509_emit_all(tlsdiag_result_t *r, const td_vpath_t *p,
                      const td_vreq_t *q);
/* The finding for a leaf that does not parse. */
/* cert_malformed for certificate idx (0: the leaf) of the chain, which
 * does not parse; import_rc is GnuTLS's error (0: unknown). */
void td_x509_emit_unparsable(tlsdiag_result_t *r, size_t idx, int import_rc);

/* verifier.c: loads opts' trust store into tl, without duplicates: the CA
 * file (PEM, else DER) and directory, or, with neither, the system store
 * (empty is not an error). *roots = distinct certificates in tl.
 * TLSDIAG_OK, or TLSDIAG_E_CAFILE with the reason in errbuf (may be
 * NULL). The one loader of checks (tls.c) and verifiers. */
tlsdiag_err_t td_trust_list_load(gnutls_x509_trust_list_t tl,
                                 const tlsdiag_options_t *opts, int *roots,
                                 char *errbuf, size_t errlen);

#endif
