/* x509_rules.c: the RFC 5280 and Web PKI (CA/B Forum) rules the verifier
 * applies to a path: each certificate by itself, the leaf, and what
 * depends on the path (basic constraints, path length, key usage, EKU,
 * name constraints, revocation, depth). A broken rule is recorded as a
 * violation on the path; x509_report.c turns violations into findings. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "x509.h"

#define NC_MAX_CHECKS 250000 /* name x constraint comparisons per path */

#define SC GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE
const td_rule_row_t td_x509_rules[TD_R_COUNT_] = {
    [TD_R_SIGNATURE] = {"signature", "RFC 5280 6.1.3(a)(1)",
                     GNUTLS_CERT_SIGNATURE_FAILURE},
    [TD_R_PATH_BUILDING] = {"path_building", "tlsdiag limit", 0},
    [TD_R_MAX_DEPTH] = {"max_depth", "verifier option", SC},
    [TD_R_PATH_LENGTH] = {"path_length", "RFC 5280 4.2.1.9", SC},
    [TD_R_BASIC_CONSTRAINTS] = {"basic_constraints", "RFC 5280 4.2.1.9",
                             GNUTLS_CERT_SIGNER_NOT_CA},
    [TD_R_LEAF_IS_CA] = {"leaf_is_ca", "CABF BR 7.1.2.7.8", 0},
    [TD_R_KEY_USAGE] = {"key_usage", "RFC 5280 4.2.1.3", SC},
    [TD_R_EKU] = {"extended_key_usage", "RFC 5280 4.2.1.12, CABF BR 7.1.2.7.10",
               GNUTLS_CERT_PURPOSE_MISMATCH},
    [TD_R_NC] = {"name_constraints", "RFC 5280 4.2.1.10", SC},
    [TD_R_NC_INVALID] = {"name_constraints_invalid", "RFC 5280 4.2.1.10", SC},
    [TD_R_NC_LIMIT] = {"name_constraints_limit", "tlsdiag limit", SC},
    [TD_R_UNKNOWN_CRIT] = {"unknown_critical_extension", "RFC 5280 4.2",
                        GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS},
    [TD_R_DUP_EXT] = {"duplicate_extension", "RFC 5280 4.2", 0},
    [TD_R_EXT_CRIT] = {"extension_criticality", "RFC 5280 4.2.1, CABF BR 7.1.2",
                    0},
    [TD_R_AKI] = {"authority_key_id", "RFC 5280 4.2.1.1, CABF BR 7.1.2.1.3", 0},
    [TD_R_SKI] = {"subject_key_id", "RFC 5280 4.2.1.2", 0},
    [TD_R_SERIAL] = {"serial_number", "RFC 5280 4.1.2.2", 0},
    [TD_R_VERSION] = {"version", "CABF BR 7.1.1", 0},
    [TD_R_EMPTY_NAME] = {"empty_name", "RFC 5280 4.1.2.4, 4.1.2.6", 0},
    [TD_R_SAN] = {"subject_alt_name", "RFC 5280 4.2.1.6, CABF BR 7.1.2.7.12",
               0},
    [TD_R_CN] = {"common_name", "CABF BR 7.1.4.3", 0},
    [TD_R_AIA] = {"authority_info_access", "RFC 5280 4.2.2.1", 0},
    [TD_R_KEY_ALG] = {"key_algorithm", "CABF BR 6.1.5, 7.1.3.1", 0},
    [TD_R_KEY_SIZE] = {"key_size", "CABF BR 6.1.5", 0},
    [TD_R_SIG_ALG] = {"signature_algorithm", "RFC 5280 4.1.1.2", 0},
    [TD_R_VALIDITY] = {"validity", "RFC 5280 4.1.2.5", 0},
    [TD_R_WEAK_KEY] = {"key_size", "CABF BR 6.1.5", 0},
    [TD_R_WEAK_SIG] = {"signature_algorithm", "CABF BR 7.1.3.2",
                    GNUTLS_CERT_INSECURE_ALGORITHM},
    [TD_R_CRL] = {"crl", "RFC 5280 6.3", 0},
    [TD_R_REVOKED] = {"revoked", "RFC 5280 6.3", GNUTLS_CERT_REVOKED},
    [TD_R_PARSE] = {"parse", "RFC 5280 4.1", 0},
    [TD_R_CHAIN_DEPTH] = {"chain_depth",
                          "Firefox (mozilla::pkix: at most 6 intermediates)",
                          SC},
};

void td_viol_add(td_vpath_t *p, td_rule_t rule, tlsdiag_cause_t code, int pos,
                     const char *fmt, ...) {
  if (p->nv >= TD_V_MAX_VIOL) return;
  td_viol_t *v = &p->v[p->nv++];
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

static int purpose_ok(const td_vcert_t *c, tlsdiag_purpose_t purpose) {
  unsigned want =
      purpose == TLSDIAG_PURPOSE_CLIENT ? TD_F_EKU_CLIENT : TD_F_EKU_SERVER;
  return (c->f & want) != 0;
}

static const char *purpose_name(tlsdiag_purpose_t purpose) {
  return purpose == TLSDIAG_PURPOSE_CLIENT ? "clientAuth" : "serverAuth";
}

/* Rules of the leaf alone (the same on every path). */
void td_x509_leaf_rules(td_vbuild_t *b, td_vpath_t *p) {
  const td_vcert_t *l = p->c[0];
  const td_vreq_t *q = b->req;
  int trusted_itself = p->anchored && p->n == 1;
  if (l->version != 3 && !trusted_itself)
    td_viol_add(p, TD_R_VERSION, TLSDIAG_CAUSE_CERT_INVALID, 0,
                "is an X.509 version %d certificate; version 3 is required",
                l->version);
  if (l->ca && !trusted_itself)
    td_viol_add(
        p, TD_R_LEAF_IS_CA, TLSDIAG_CAUSE_CERT_INVALID, 0,
        "is a CA certificate (basicConstraints cA is true) but is used as "
        "the end-entity certificate");
  if ((l->f & TD_F_KU) && (l->ku & GNUTLS_KEY_KEY_CERT_SIGN) && !l->ca)
    td_viol_add(p, TD_R_KEY_USAGE, TLSDIAG_CAUSE_CERT_INVALID, 0,
                "asserts keyCertSign without being a CA (cA is not true)");
  if (l->f & TD_F_EKU) {
    if (l->f & TD_F_EKU_EMPTY)
      td_viol_add(p, TD_R_EKU, TLSDIAG_CAUSE_CERT_INVALID, 0,
                  "has an empty extendedKeyUsage extension");
    else if (l->f & TD_F_EKU_ANY)
      td_viol_add(
          p, TD_R_EKU, TLSDIAG_CAUSE_CERT_INVALID, 0,
          "lists anyExtendedKeyUsage, which subscriber certificates must "
          "not");
    else if (!purpose_ok(l, q->purpose))
      td_viol_add(p, TD_R_EKU, TLSDIAG_CAUSE_CERT_INVALID, 0,
                  "is not valid for %s: its extendedKeyUsage does not list it",
                  purpose_name(q->purpose));
    if (l->f & TD_F_EKU_CRIT)
      td_viol_add(p, TD_R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, 0,
                  "marks extendedKeyUsage critical, which subscriber "
                  "certificates must not");
  }
  if ((l->f & TD_F_NC) && !l->ca)
    td_viol_add(
        p, TD_R_NC_INVALID, TLSDIAG_CAUSE_CERT_INVALID, 0,
        "has a nameConstraints extension, which only CA certificates may "
        "carry");
  if (l->f & TD_F_SAN) {
    /* A malformed entry (bad DNS syntax, an IP that is not 4 or 16
     * bytes) never matches a name, as in browsers; a malformed extension
     * is a finding of its own. */
    if (l->san_bad)
      td_viol_add(p, TD_R_SAN, TLSDIAG_CAUSE_CERT_INVALID, 0, "has %s",
                  l->san_bad);
    if ((l->f & TD_F_EMPTY_SUBJECT) && !(l->f & TD_F_SAN_CRIT))
      td_viol_add(p, TD_R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, 0,
                  "has an empty subject but a non-critical subjectAltName");
    if (!(l->f & TD_F_EMPTY_SUBJECT) && (l->f & TD_F_SAN_CRIT) &&
        q->purpose == TLSDIAG_PURPOSE_SERVER)
      td_viol_add(p, TD_R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, 0,
                  "marks subjectAltName critical although its subject is not "
                  "empty");
  }
  if (q->purpose == TLSDIAG_PURPOSE_SERVER && l->nsan > 0 && !trusted_itself)
    for (size_t k = 0; k < l->ncn; k++) {
      const char *why = td_x509_cn_problem(l, l->cn[k]);
      if (why) {
        td_viol_add(p, TD_R_CN, TLSDIAG_CAUSE_CERT_INVALID, 0,
                    "has the common name \"%.80s\", %s", l->cn[k], why);
        break;
      }
    }
}

/* Rules of one certificate by itself, at position i of the path. */
void td_x509_cert_rules(td_vpath_t *p, size_t i) {
  const td_vcert_t *c = p->c[i];
  int anchor = p->anchored && i == p->n - 1;
  if (c->f & TD_F_UNKNOWN_CRIT)
    td_viol_add(p, TD_R_UNKNOWN_CRIT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "has an unknown critical extension (%s)", c->crit_oid);
  if (c->f & TD_F_DUP_EXT)
    td_viol_add(p, TD_R_DUP_EXT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "has the same extension more than once");
  if (c->f & (TD_F_AKI_CRIT | TD_F_SKI_CRIT))
    td_viol_add(p, TD_R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "marks its %s critical, which RFC 5280 forbids",
                (c->f & TD_F_AKI_CRIT) ? "authorityKeyIdentifier"
                                 : "subjectKeyIdentifier");
  if (c->sig_mismatch)
    td_viol_add(p, TD_R_SIG_ALG, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "names different signature algorithms inside and outside the "
                "signed part");
  if (c->key_bad)
    td_viol_add(p, c->pk == GNUTLS_PK_RSA ? TD_R_KEY_SIZE : TD_R_KEY_ALG,
                TLSDIAG_CAUSE_CERT_WEAK_KEY, (int)i, "has %s", c->key_bad);
  if (c->ca && (c->f & TD_F_EMPTY_SUBJECT))
    td_viol_add(p, TD_R_EMPTY_NAME, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "is a CA certificate with an empty subject");
  if (c->f & TD_F_AKI_BAD)
    td_viol_add(p, TD_R_AKI, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "has an authorityKeyIdentifier that does not parse");
  if (anchor) {
    /* Trust anchors: only what real root stores do not violate (see
     * tests/limbo_exceptions.txt for the rules relaxed here). */
    if (c->self_issued && (c->f & TD_F_AKI) &&
        (c->akid_len == 0 ||
         ((c->f & TD_F_SKI) &&
          (c->akid_len != c->ski_len || memcmp(c->akid, c->ski, c->ski_len)))))
      td_viol_add(p, TD_R_AKI, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                  c->akid_len
                      ? "has an authorityKeyIdentifier that differs from "
                        "its own subjectKeyIdentifier"
                      : "has an authorityKeyIdentifier without a "
                        "keyIdentifier");
    return;
  }
  if (c->serial_bad)
    td_viol_add(p, TD_R_SERIAL, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "has a serial number that is %s", c->serial_bad);
  if (c->f & TD_F_EMPTY_ISSUER)
    td_viol_add(p, TD_R_EMPTY_NAME, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "has an empty issuer name");
  /* Issuers need a key identifier to be found (RFC 5280 4.2.1.1); a
   * leaf without one is accepted by browsers (tests/limbo_exceptions.txt). */
  if (c->akid_len == 0 && i > 0)
    td_viol_add(p, TD_R_AKI, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "has no authorityKeyIdentifier keyIdentifier");
  if (c->ca && !(c->f & TD_F_SKI))
    td_viol_add(p, TD_R_SKI, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "is a CA certificate without a subjectKeyIdentifier");
  if ((c->f & TD_F_PC) && !(c->f & TD_F_PC_CRIT))
    td_viol_add(p, TD_R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "has a non-critical policyConstraints extension");
  if (c->f & TD_F_AIA_CRIT)
    td_viol_add(p, TD_R_EXT_CRIT, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "marks authorityInfoAccess critical");
  if (c->f & TD_F_AIA_BAD)
    td_viol_add(p, TD_R_AIA, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "has a malformed or empty authorityInfoAccess extension");
}

/* Does the constraint set of issuer `ca` allow certificate `c`? */
static void nc_apply(td_vpath_t *p, size_t ci, size_t ai, long *budget) {
  const td_vcert_t *c = p->c[ci], *ca = p->c[ai];
  /* names to check: SAN entries, and the subject as a directoryName */
  size_t nnames = c->nsan + (!(c->f & TD_F_EMPTY_SUBJECT) ? 1 : 0);
  size_t ncons = ca->nperm + ca->nexcl;
  *budget -= (long)(nnames * (ncons ? ncons : 1));
  if (*budget < 0) {
    td_viol_add(p, TD_R_NC_LIMIT, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
                "has too many names to check against %zu name constraints of "
                "\"%s\"",
                ncons, ca->subject);
    return;
  }
  for (size_t k = 0; k < nnames; k++) {
    td_gname_t subj = {GNUTLS_SAN_DN, c->subj.data, c->subj.size, NULL, 0};
    const td_gname_t *nm = k < c->nsan ? &c->san[k] : &subj;
    unsigned type = nm->type;
    if (type == GNUTLS_SAN_OTHERNAME || type == GNUTLS_SAN_URI) {
      /* a constrained form we do not process: reject (RFC 5280) */
      int constrained = 0;
      for (size_t j = 0; j < ca->nperm; j++)
        if (ca->perm[j].type == type) constrained = 1;
      for (size_t j = 0; j < ca->nexcl; j++)
        if (ca->excl[j].type == type) constrained = 1;
      if (constrained) {
        td_viol_add(p, TD_R_NC, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
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
        td_viol_add(p, TD_R_NC, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
                    "has a malformed name that the name constraints of \"%s\" "
                    "cannot permit",
                    ca->subject);
        return;
      }
      continue;
    }
    for (size_t j = 0; j < ca->nexcl; j++)
      if (ca->excl[j].type == type &&
          td_x509_nc_match(type, nm->v, nm->n, nm, &ca->excl[j], 1)) {
        td_viol_add(
            p, TD_R_NC, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
            "has the name \"%.*s\", which the name constraints of \"%s\" "
            "exclude",
            type == GNUTLS_SAN_DN || type == GNUTLS_SAN_IPADDRESS
                ? 0
                : (int)(nm->n > 80 ? 80 : nm->n),
            (const char *)nm->v, ca->subject);
        return;
      }
    int have = 0, ok = 0;
    for (size_t j = 0; j < ca->nperm && !ok; j++)
      if (ca->perm[j].type == type) {
        have = 1;
        ok = td_x509_nc_match(type, nm->v, nm->n, nm, &ca->perm[j], 0);
      }
    if (have && !ok) {
      char ip[INET6_ADDRSTRLEN] = "";
      if (type == GNUTLS_SAN_IPADDRESS)
        inet_ntop(nm->n == 4 ? AF_INET : AF_INET6, nm->v, ip, sizeof(ip));
      td_viol_add(p, TD_R_NC, TLSDIAG_CAUSE_CERT_INVALID, (int)ci,
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

/* Dates: judged against the request's time, not the wall clock. */
static void validity_rule(td_vpath_t *p, size_t i, int64_t now) {
  const td_vcert_t *c = p->c[i];
  if (!td_vcert_valid_at(c, now))
    td_viol_add(p, TD_R_VALIDITY,
                now > c->not_after ? TLSDIAG_CAUSE_CERT_EXPIRED
                                   : TLSDIAG_CAUSE_CERT_NOT_YET_VALID,
                (int)i, "is not valid at the verification time");
}

/* pathLenConstraint of p->c[i]: non-self-issued intermediates between it
 * and the leaf. */
static void path_length_rule(td_vpath_t *p, size_t i) {
  const td_vcert_t *c = p->c[i];
  if (c->pathlen < 0) return;
  int inter = 0;
  for (size_t k = 1; k < i; k++)
    if (!p->c[k]->self_issued) inter++;
  if (inter > c->pathlen)
    td_viol_add(p, TD_R_PATH_LENGTH, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "allows %d intermediate certificate%s below it "
                "(pathLenConstraint) but the path has %d",
                c->pathlen, c->pathlen == 1 ? "" : "s", inter);
}

/* The name constraints of p->c[i] over every certificate below it (a
 * self-issued intermediate is exempt, RFC 5280 6.1.3(b)); the first
 * certificate that breaks them is enough. */
static void nc_rule(td_vpath_t *p, size_t i, long *budget) {
  const td_vcert_t *c = p->c[i];
  if (!(c->f & TD_F_NC)) return;
  if (c->nc_bad) {
    td_viol_add(p, TD_R_NC_INVALID, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "has %s", c->nc_bad);
    return;
  }
  size_t before = p->nv;
  for (size_t k = 0; k < i && p->nv == before; k++)
    if (k == 0 || !p->c[k]->self_issued) nc_apply(p, k, i, budget);
}

/* Revocation of p->c[i - 1] by the CRLs of its issuer p->c[i]. */
static void revocation_rule(const td_vbuild_t *b, td_vpath_t *p, size_t i) {
  td_crl_verdict_t v;
  td_vcert_t *c = p->c[i], *child = p->c[i - 1];
  if (!b->crls) return;
  td_crl_check(b->crls, child->crt, c->crt, td_vcert_pub(c),
               (c->f & TD_F_KU) != 0, c->ku, &v);
  if (v.status == TD_CRL_REVOKED) {
    td_viol_add(p, TD_R_REVOKED, TLSDIAG_CAUSE_CERT_REVOKED, (int)(i - 1),
                "was revoked");
    if (p->nv) p->v[p->nv - 1].when = v.revoked_at;
  } else if (v.status == TD_CRL_UNUSABLE) {
    td_viol_add(p, TD_R_CRL, TLSDIAG_CAUSE_CERT_INVALID, (int)(i - 1),
                "cannot be checked for revocation: %s", v.why);
    if (p->nv) p->v[p->nv - 1].rname = v.rule;
  }
}

/* The rules p->c[i] must meet because it issued p->c[i - 1]. */
static void issuer_rules(const td_vbuild_t *b, td_vpath_t *p, size_t i,
                         long *nc_budget) {
  const td_vreq_t *q = b->req;
  const td_vcert_t *c = p->c[i];
  int anchor = p->anchored && i == p->n - 1;
  if (!(c->f & TD_F_BC) ? !(anchor && c->version < 3) : !c->ca)
    td_viol_add(p, TD_R_BASIC_CONSTRAINTS, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "issues certificates but is not a CA (%s)",
                (c->f & TD_F_BC) ? "basicConstraints cA is false"
                                 : "no basicConstraints extension");
  if ((c->f & TD_F_KU) && !(c->ku & GNUTLS_KEY_KEY_CERT_SIGN))
    td_viol_add(p, TD_R_KEY_USAGE, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "issues certificates but its keyUsage lacks keyCertSign");
  if ((c->f & TD_F_EKU) && !anchor && !(c->f & TD_F_EKU_ANY) &&
      !purpose_ok(c, q->purpose))
    td_viol_add(p, TD_R_EKU, TLSDIAG_CAUSE_CERT_INVALID, (int)i,
                "restricts its extendedKeyUsage to purposes without %s",
                purpose_name(q->purpose));
  path_length_rule(p, i);
  nc_rule(p, i, nc_budget);
  revocation_rule(b, p, i);
}

/* The verifier option: intermediates allowed on the path. */
static void max_depth_rule(const td_vreq_t *q, td_vpath_t *p) {
  size_t n = p->n;
  if (q->max_depth < 0) return;
  int inter = 0;
  for (size_t k = 1; k + 1 < n; k++)
    if (!p->c[k]->self_issued) inter++;
  if (!p->anchored && n > 1 && !p->c[n - 1]->self_issued) inter++;
  if (inter > q->max_depth)
    td_viol_add(p, TD_R_MAX_DEPTH, TLSDIAG_CAUSE_CERT_INVALID, -1,
                "the path has %d intermediate certificates; at most %d are "
                "allowed",
                inter, q->max_depth);
}

/* The browsers' limit when the caller sets none: Firefox (mozilla::pkix
 * MAX_SUBCA_COUNT) builds no path with more than 6 certificates between
 * the leaf and the trust anchor, self-issued ones included, and answers
 * "unknown issuer". It is the smallest among clients: GnuTLS verifies up
 * to 16 certificates (gnutls_certificate_set_verify_limits), OpenSSL 100,
 * Chromium has no depth limit (only 20 path-building iterations). */
static void browser_depth_rule(const td_vreq_t *q, td_vpath_t *p) {
  if (q->max_depth >= 0 || !p->anchored || p->n < 2) return;
  size_t inter = p->n - 2;
  if (inter > TD_V_BROWSER_MAX_INTER)
    td_viol_add(p, TD_R_CHAIN_DEPTH, TLSDIAG_CAUSE_CERT_INVALID, -1,
                "the path has %zu intermediate certificates between the "
                "leaf and the trust anchor; Firefox accepts at most %d "
                "(Chromium has no fixed limit, GnuTLS 16 certificates)",
                inter, TD_V_BROWSER_MAX_INTER);
}

/* All path-dependent rules of the complete (anchored) path in p. */
static void path_rules(td_vbuild_t *b, td_vpath_t *p) {
  long nc_budget = NC_MAX_CHECKS;
  for (size_t i = 0; i < p->n; i++) {
    if (i > 0) td_x509_cert_rules(p, i);
    validity_rule(p, i, b->req->now);
    if (i > 0) issuer_rules(b, p, i, &nc_budget);
  }
  max_depth_rule(b->req, p);
  browser_depth_rule(b->req, p);
}

void td_x509_partial_rules(td_vpath_t *p, int64_t now, int judged) {
  for (size_t i = 0; i < p->n && judged; i++) {
    if (i > 0) td_x509_cert_rules(p, i);
    validity_rule(p, i, now);
  }
}

void td_x509_judge(td_vbuild_t *b) {
  td_vpath_t *p = &b->cur;
  p->nv = 0;
  path_rules(b, p);
  p->path_viol = p->nv;
  b->paths++;
  if (!b->have_best || p->path_viol < b->best.path_viol) {
    b->best = *p;
    b->have_best = 1;
  }
}
