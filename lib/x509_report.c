/* x509_report.c: the verifier's outcome written into a result: one
 * finding per violation with its evidence (rule, standard, subject,
 * positions), the GnuTLS-style status bits, and r->chain as built. */
#include <stdlib.h>
#include <string.h>

#include "x509.h"

static const char *cert_name(const td_vcert_t *c) {
  for (size_t i = 0; i < c->ncn; i++)
    if (c->cn[i] && *c->cn[i]) return c->cn[i];
  return c->subject && *c->subject ? c->subject : "?";
}

/* Index of c in r->chain, or -1. */
static long chain_index(const tlsdiag_result_t *r, const td_vcert_t *c) {
  for (size_t i = 0; i < r->nchain; i++)
    if (r->chain[i].der_len == c->der_len &&
        memcmp(r->chain[i].der, c->der, c->der_len) == 0)
      return (long)i;
  return -1;
}

static void common_evidence(td_finding_t *f, const tlsdiag_result_t *r,
                            const td_vpath_t *p, int pos, td_rule_t rule,
                            const char *rname) {
  td_ev_str(f, "rule", rname ? rname : td_x509_rules[rule].name);
  td_ev_str(f, "standard", td_x509_rules[rule].standard);
  if (pos < 0) return;
  const td_vcert_t *c = p->c[pos];
  td_ev_str(f, "subject", c->subject);
  long ci = chain_index(r, c);
  if (ci >= 0) td_ev_int(f, "chain_index", ci);
  td_ev_int(f, "path_index", pos);
  if (p->anchored && (size_t)pos == p->n - 1) td_ev_bool(f, "trust_anchor", 1);
}

static const char *role(const td_vpath_t *p, int pos) {
  if (pos == 0) return "the certificate";
  if (p->anchored && (size_t)pos == p->n - 1) return "the trust anchor";
  return "the issuing certificate";
}

static void emit_viol(tlsdiag_result_t *r, const td_vpath_t *p,
                      const td_viol_t *v, const td_vreq_t *q) {
  td_finding_t *f;
  const td_vcert_t *c = v->pos >= 0 ? p->c[v->pos] : NULL;
  if (v->rule == TD_R_REVOKED && c) {
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_REVOKED, TLSDIAG_SEVERITY_ERROR,
                       "%s for %s was revoked by its CA (CRL)",
                       role(p, v->pos), cert_name(c));
    common_evidence(f, r, p, v->pos, v->rule, v->rname);
    td_ev_str(f, "source", "crl");
    if (v->when > 0) td_ev_time(f, "revoked_at", v->when);
    return;
  }
  if (v->rule == TD_R_VALIDITY && c) {
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
  if (c && (v->rule == TD_R_KEY_ALG || v->rule == TD_R_KEY_SIZE ||
            v->rule == TD_R_WEAK_KEY)) {
    const char *kn = gnutls_pk_get_name((gnutls_pk_algorithm_t)c->pk);
    td_ev_str(f, "key_type", kn ? kn : "unknown");
    td_ev_int(f, "key_bits", c->bits);
  }
  if (c && v->rule == TD_R_WEAK_SIG)
    td_ev_str(f, "signature_algorithm", c->sig_name);
  if (v->rule == TD_R_CHAIN_DEPTH || v->rule == TD_R_MAX_DEPTH) {
    td_ev_int(f, "path_certificates", (int64_t)p->n);
    if (v->rule == TD_R_CHAIN_DEPTH)
      td_ev_int(f, "max_intermediates", TD_V_BROWSER_MAX_INTER);
    else
      td_ev_int(f, "max_intermediates", q->max_depth);
  }
}

void td_x509_uncovered_checks(tlsdiag_result_t *r, td_vpath_t *p) {
  size_t plen = td_chain_path_len(r);
  for (size_t i = 0; i < p->n; i++) {
    const td_vcert_t *c = p->c[i];
    long ci = chain_index(r, c);
    if (ci >= 0 && (size_t)ci < plen) continue;
    int is_pk_rsa = c->pk == GNUTLS_PK_RSA || c->pk == GNUTLS_PK_RSA_PSS ||
                    c->pk == GNUTLS_PK_DSA;
    if ((is_pk_rsa && c->bits < 2048) ||
        (c->pk == GNUTLS_PK_ECDSA && c->bits && c->bits < 256))
      td_viol_add(p, TD_R_WEAK_KEY, TLSDIAG_CAUSE_CERT_WEAK_KEY, (int)i,
                  "has a %u-bit key (minimum %u)", c->bits,
                  is_pk_rsa ? 2048u : 256u);
    if (c->sig_insecure && !(p->anchored && i == p->n - 1) && !c->self_issued)
      td_viol_add(p, TD_R_WEAK_SIG, TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE, (int)i,
                  "is signed with %s, which browsers reject", c->sig_name);
  }
}

unsigned td_x509_status_bits(const td_vpath_t *p) {
  unsigned st = 0;
  for (size_t i = 0; i < p->nv; i++) {
    const td_viol_t *v = &p->v[i];
    if (v->rule == TD_R_VALIDITY || v->rule == TD_R_WEAK_KEY) continue;
    st |= td_x509_rules[v->rule].bits | GNUTLS_CERT_INVALID;
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
static int show(tlsdiag_result_t *r, td_vcert_t *c) {
  if (!c->shown) {
    c->shown = calloc(1, sizeof(*c->shown));
    if (!c->shown) return -1;
    td_cert_parse(c->shown, c->der, c->der_len);
  }
  return cert_copy(&r->chain[r->nchain++], c->shown);
}

int td_x509_fill_chain(tlsdiag_result_t *r, const td_vpath_t *p,
                      td_vcert_t *const *given, size_t ngiven,
                      const td_vcert_t *anchor_given) {
  size_t cap = p->n + ngiven;
  r->chain = calloc(cap ? cap : 1, sizeof(*r->chain));
  if (!r->chain) return -1;
  r->nchain = 0;
  for (size_t i = 0; i < p->n; i++) {
    td_vcert_t *c = p->c[i];
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

void td_x509_emit_all(tlsdiag_result_t *r, const td_vpath_t *p,
                      const td_vreq_t *q) {
  for (size_t i = 0; i < p->nv; i++) {
    const td_viol_t *v = &p->v[i];
    if (v->rule == TD_R_VALIDITY) {
      long ci = v->pos >= 0 ? chain_index(r, p->c[v->pos]) : -1;
      if (ci >= 0 && (size_t)ci < td_chain_path_len(r)) continue;
    }
    emit_viol(r, p, v, q);
  }
}

void td_x509_emit_unparsable(tlsdiag_result_t *r, size_t idx, int import_rc) {
  const char *why = import_rc ? gnutls_strerror(import_rc) : "malformed";
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_CERT_MALFORMED, TLSDIAG_SEVERITY_ERROR,
      "%s %zu of the chain does not parse as X.509: %s",
      idx ? "certificate" : "the leaf, certificate", idx + 1, why);
  td_ev_int(f, "certificate", (int64_t)idx);
  td_ev_str(f, "error", why);
  td_ev_str(f, "rule", td_x509_rules[TD_R_PARSE].name);
  td_ev_str(f, "standard", td_x509_rules[TD_R_PARSE].standard);
}
