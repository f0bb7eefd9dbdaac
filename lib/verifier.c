/* verifier.c: certificate path verification, shared by the live check
 * (verify.c) and offline verification (tlsdiag_verifier_*,
 * tlsdiag_verify_chain). td_verifier_run puts the steps in order: parse
 * (x509_cert.c), build (x509_path.c), judge (x509_rules.c), report
 * (x509_report.c); the public API turns PEM/DER blobs into a request and
 * a result. See verifier.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x509.h"

/* ---- one verification ---------------------------------------------------- */

/* What one td_verifier_run works with. */
typedef struct run {
  td_vbuild_t *b;
  td_vcert_t **given; /* the chain, then the pool, parsed */
  size_t nchain, npool;
  td_crl_t *crls;
} run_t;

/* Parses the request's certificates and CRLs (bounded by TD_V_MAX_INPUT)
 * into u. -1 on out-of-memory. */
static int run_load(run_t *u, td_vctx_t *x, const td_vreq_t *q) {
  u->nchain = q->nchain > TD_V_MAX_INPUT ? TD_V_MAX_INPUT : q->nchain;
  u->npool = q->npool > TD_V_MAX_INPUT ? TD_V_MAX_INPUT : q->npool;
  u->b = calloc(1, sizeof(*u->b));
  u->given = calloc(u->nchain + u->npool + 1, sizeof(*u->given));
  if (!u->b || !u->given) return -1;
  u->b->x = x;
  u->b->req = q;
  if (q->ncrls) {
    u->crls = td_crl_load(q->crls, q->ncrls);
    if (!u->crls) return -1;
    u->b->crls = u->crls;
  }
  for (size_t i = 0; i < u->nchain; i++) {
    u->given[i] = td_vctx_get(x, q->chain[i].data, q->chain[i].size);
    if (!u->given[i]) return -1;
  }
  for (size_t i = 0; i < u->npool; i++) {
    size_t k = u->nchain + i;
    u->given[k] = td_vctx_get(x, q->pool[i].data, q->pool[i].size);
    if (!u->given[k]) return -1;
  }
  /* issuers come from everything given but the leaf */
  u->b->pool = u->given + 1;
  u->b->npool = u->nchain + u->npool ? u->nchain + u->npool - 1 : 0;
  return 0;
}

static void report_unparsable(tlsdiag_result_t *r, const run_t *u) {
  td_verify_t *vr = &r->verify;
  vr->status = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
  vr->issuer_missing = 1;
  vr->status_text = td_strdup("The certificate does not parse.");
  if (u->nchain) td_x509_emit_unparsable(r, 0, u->given[0]->import_rc);
}

/* Sent certificates after the leaf that do not parse: each is named
 * (cert_malformed), though a path may be built without them. */
static void report_unparsable_rest(tlsdiag_result_t *r, const run_t *u) {
  for (size_t i = 1; i < u->nchain; i++)
    if (!u->given[i]->crt)
      td_x509_emit_unparsable(r, i, u->given[i]->import_rc);
}

static int on_path(const td_vpath_t *p, const td_vcert_t *c) {
  for (size_t i = 0; i < p->n; i++)
    if (p->c[i] == c) return 1;
  return 0;
}

/* Where tlsdiag's path p leaves the chain as sent: a certificate on it
 * that was not sent (the pool gave it; a browser would need AIA or a
 * cache), or sent certificates in another order. A path certificate
 * sent after one that is on no path (an extra or cross-signed
 * certificate for the same name) is not a reordering: the chain leads
 * elsewhere, which cross_sign_path names. The trust anchor need not be
 * sent. */
static void path_vs_sent(td_verify_t *vr, const td_vpath_t *p,
                         const run_t *u) {
  size_t last = p->anchored ? p->n - 1 : p->n;
  for (size_t i = 1; i < p->n; i++) {
    size_t k = u->nchain;
    for (size_t j = 0; j < u->nchain; j++)
      if (u->given[j] == p->c[i]) {
        k = j;
        break;
      }
    if (k == u->nchain) {
      if (i < last) vr->path_unsent = 1;
    } else if (k != i) {
      int extra_before = 0;
      for (size_t j = 1; j < k; j++)
        if (!on_path(p, u->given[j])) extra_before = 1;
      if (!extra_before) vr->path_reordered = 1;
    }
  }
}

/* The path to report: the best complete one, else the longest partial one,
 * held to the rules that do not need an anchor. */
static td_vpath_t *chosen_path(td_vbuild_t *b, int64_t now) {
  if (b->have_best) return &b->best;
  td_vpath_t *p = b->have_partial ? &b->partial : &b->cur;
  if (!b->have_partial) b->cur.n = 1;
  p->anchored = 0;
  p->nv = 0;
  /* a path cut at TD_V_MAX_PATH is not judged at all, as in GnuTLS */
  td_x509_partial_rules(p, now, !(b->depth_cut && p->n >= TD_V_MAX_PATH));
  return p;
}

/* r->chain as built; the anchor is listed only if it was given. */
static int record_chain(tlsdiag_result_t *r, const td_vpath_t *p,
                        const run_t *u) {
  const td_vcert_t *top = p->c[p->n - 1], *anchor_given = NULL;
  if (p->anchored)
    for (size_t i = 0; i < u->nchain + u->npool; i++)
      if (u->given[i]->der_len == top->der_len &&
          !memcmp(u->given[i]->der, top->der, top->der_len))
        anchor_given = top;
  /* (record_path marks which of these the path uses: an extra
   * cross-signed certificate named like the anchor is not on it.) */
  return td_x509_fill_chain(r, p, u->given, u->nchain, anchor_given);
}

/* Why no complete path was found: the status bits, and the violations
 * that say so. */
static unsigned incomplete_bits(const td_vbuild_t *b, td_vpath_t *p,
                                tlsdiag_result_t *r) {
  if (b->depth_cut && p->n >= TD_V_MAX_PATH) {
    /* Too long to verify, as GnuTLS (16): classify.c says so for a sent
     * chain that long; otherwise the rule does. */
    if (r->nchain <= TD_V_MAX_PATH)
      td_viol_add(p, TD_R_PATH_BUILDING, TLSDIAG_CAUSE_CERT_INVALID, -1,
                  "no path to a trust anchor within %d certificates",
                  TD_V_MAX_PATH);
    return GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE;
  }
  r->verify.issuer_missing = !b->sig_failed_top;
  if (b->sig_failed_top)
    td_viol_add(p, TD_R_SIGNATURE, TLSDIAG_CAUSE_CERT_INVALID, (int)(p->n - 1),
                "has a signature that its issuer's key does not verify");
  if (b->exhausted)
    td_viol_add(p, TD_R_PATH_BUILDING, TLSDIAG_CAUSE_CERT_INVALID, -1,
                "no path to a trust anchor was found within the limit of %d "
                "candidate issuers",
                TD_V_BUDGET_STEPS);
  return GNUTLS_CERT_INVALID | (b->sig_failed_top
                                    ? GNUTLS_CERT_SIGNATURE_FAILURE
                                    : GNUTLS_CERT_SIGNER_NOT_FOUND);
}

/* r->verify from the status bits st of the chosen path p: the name, weak
 * signatures, trust and GnuTLS's text for the bits. */
static void set_verdict(tlsdiag_result_t *r, const td_vpath_t *p,
                        const td_vreq_t *q, unsigned st, int complete) {
  td_verify_t *vr = &r->verify;
  if (q->name) {
    vr->name_ok = td_x509_name_matches(p->c[0], q->name, q->name_is_ip);
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
  if (r->nchain > 0)
    vr->chain_ends_in_root = r->chain[r->nchain - 1].self_signed;
}

/* Which certificates of r->chain the chosen path uses (their expiry is
 * what counts; extra certificates sent besides it do not). */
static void record_path(tlsdiag_result_t *r, const td_vpath_t *p,
                        int complete) {
  td_verify_t *vr = &r->verify;
  vr->path_complete = complete;
  vr->path_mask = 0;
  for (size_t j = 0; j < r->nchain && j < 64; j++)
    for (size_t i = 0; i < p->n; i++)
      if (r->chain[j].der_len == p->c[i]->der_len &&
          !memcmp(r->chain[j].der, p->c[i]->der, p->c[i]->der_len)) {
        vr->path_mask |= (uint64_t)1 << j;
        break;
      }
  free(vr->anchor_subject);
  vr->anchor_subject = NULL;
  vr->anchor_spki_sha256[0] = '\0';
  const td_vcert_t *top = p->n ? p->c[p->n - 1] : NULL;
  if (!complete || !p->anchored || !top || !top->crt) return;
  /* GnuTLS's SHA-256 key ID is the hash of the SubjectPublicKeyInfo DER,
   * as chain.c's spki_sha256 of the sent certificates. */
  unsigned char id[32];
  size_t idlen = sizeof(id);
  if (gnutls_x509_crt_get_key_id(top->crt, GNUTLS_KEYID_USE_SHA256, id,
                                 &idlen) < 0 ||
      idlen != sizeof(id))
    return;
  static const char hexdig[] = "0123456789abcdef";
  for (size_t i = 0; i < idlen; i++) {
    vr->anchor_spki_sha256[2 * i] = hexdig[id[i] >> 4];
    vr->anchor_spki_sha256[2 * i + 1] = hexdig[id[i] & 15];
  }
  vr->anchor_spki_sha256[64] = '\0';
  if (top->subject) vr->anchor_subject = td_strdup(top->subject);
}

int td_verifier_run(td_vctx_t *x, const td_vreq_t *q, tlsdiag_result_t *r,
                    int reorder) {
  td_verify_t *vr = &r->verify;
  run_t u;
  int rc = -1;
  memset(&u, 0, sizeof(u));
  vr->done = 1;
  td_vctx_trim(x);
  if (run_load(&u, x, q) < 0) goto out;
  /* The second verdict, over the chain as sent, with the same anchors. */
  td_strict_run(x, q, vr);
  if (u.nchain == 0 || !u.given[0]->crt) {
    report_unparsable(r, &u);
    rc = 0;
    goto out;
  }
  td_x509_build(u.b, u.given[0]);
  int complete = u.b->have_best;
  td_vpath_t *p = chosen_path(u.b, q->now);
  /* the leaf's own rules, then what classify.c does not see */
  td_x509_cert_rules(p, 0);
  td_x509_leaf_rules(u.b, p);
  if (reorder && record_chain(r, p, &u) < 0) goto out;
  record_path(r, p, complete); /* before anything uses td_chain_path_len */
  td_x509_uncovered_checks(r, p);
  unsigned st = td_x509_status_bits(p);
  if (!complete) st |= incomplete_bits(u.b, p, r);
  set_verdict(r, p, q, st, complete);
  if (complete) path_vs_sent(vr, p, &u);
  /* one finding per rule that failed (classify.c reports the rest) */
  td_x509_emit_all(r, p, q);
  report_unparsable_rest(r, &u);
  rc = 0;
out:
  if (rc < 0 && !vr->status) {
    vr->status = GNUTLS_CERT_INVALID;
    free(vr->status_text);
    vr->status_text = td_strdup("out of memory while verifying");
  }
  td_crl_free(u.crls);
  free(u.given);
  free(u.b);
  return rc;
}

/* ---- the public API: blobs in, a result out ----------------------------- */

struct tlsdiag_verifier {
  td_vctx_t *ctx;
  int64_t now;          /* 0: the real clock at each verification */
  int warn_days, crit_days;
  char err[512];
  /* The trust store, for the reports (tls.trust_store); none with
   * explicit anchors (has_store 0). */
  int has_store, roots;
  char *cafile, *capath, *source;
};

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


/* Adds the trusted certificates given as blobs (PEM or DER) to tl. */
static tlsdiag_err_t add_trusted_blobs(gnutls_x509_trust_list_t tl,
                                       const tlsdiag_blob_t *trusted,
                                       size_t ntrusted, char *errbuf,
                                       size_t errlen) {
  td_derlist_t anchors = {0};
  tlsdiag_err_t err = TLSDIAG_E_NOMEM;
  char why[400];
  int rc = td_der_decode_all(trusted, ntrusted, 0, "trusted", &anchors, why,
                             sizeof(why));
  if (rc == -2) goto out;
  if (rc < 0) {
    set_err(errbuf, errlen, why);
    err = TLSDIAG_E_CAFILE;
    goto out;
  }
  for (size_t i = 0; i < anchors.n; i++) {
    gnutls_x509_crt_t crt = NULL;
    if (gnutls_x509_crt_init(&crt) < 0) goto out;
    if (gnutls_x509_crt_import(crt, &anchors.d[i], GNUTLS_X509_FMT_DER) < 0) {
      gnutls_x509_crt_deinit(crt);
      if (errbuf && errlen)
        snprintf(errbuf, errlen, "trusted certificate %zu does not parse",
                 i + 1);
      err = TLSDIAG_E_CAFILE;
      goto out;
    }
    if (gnutls_x509_trust_list_add_cas(tl, &crt, 1, 0) != 1) {
      gnutls_x509_crt_deinit(crt);
      goto out;
    }
  }
  err = TLSDIAG_OK;
out:
  td_derlist_free(&anchors);
  return err;
}

/* GnuTLS reports how many certificates a file or directory gave; none is
 * an error the caller must see, not an empty trust store. */
static tlsdiag_err_t need_some(int added, const char *where, char *errbuf,
                               size_t errlen) {
  if (added > 0) return TLSDIAG_OK;
  if (errbuf && errlen)
    snprintf(errbuf, errlen, "no usable CA certificate in '%s'", where);
  return TLSDIAG_E_CAFILE;
}

/* Distinct certificates in tl (GnuTLS's add calls count duplicates too:
 * Debian's SSL_CERT_DIR holds every root twice, and the bundle once more). */
static int distinct_roots(gnutls_x509_trust_list_t tl) {
  gnutls_x509_trust_list_iter_t it = NULL;
  gnutls_x509_crt_t crt;
  int n = 0;
  while (gnutls_x509_trust_list_iter_get_ca(tl, &it, &crt) == 0) {
    n++;
    gnutls_x509_crt_deinit(crt);
  }
  gnutls_x509_trust_list_iter_deinit(it);
  return n;
}

tlsdiag_err_t td_trust_list_load(gnutls_x509_trust_list_t tl,
                                 const tlsdiag_options_t *opts, int *roots,
                                 char *errbuf, size_t errlen) {
  const unsigned nodup = GNUTLS_TL_NO_DUPLICATES;
  tlsdiag_err_t err = TLSDIAG_OK;
  *roots = 0;
  if (opts->cafile) {
    int rc = gnutls_x509_trust_list_add_trust_file(tl, opts->cafile, NULL,
                                                   GNUTLS_X509_FMT_PEM, nodup, 0);
    if (rc <= 0)
      rc = gnutls_x509_trust_list_add_trust_file(tl, opts->cafile, NULL,
                                                 GNUTLS_X509_FMT_DER, nodup, 0);
    err = need_some(rc, opts->cafile, errbuf, errlen);
  }
  if (!err && opts->capath) {
    int rc = gnutls_x509_trust_list_add_trust_dir(tl, opts->capath, NULL,
                                                  GNUTLS_X509_FMT_PEM, nodup, 0);
    err = need_some(rc, opts->capath, errbuf, errlen);
  }
  if (!opts->cafile && !opts->capath)
    /* An empty system store is not an error: every chain is then
     * untrusted, which is the truth. */
    (void)gnutls_x509_trust_list_add_system_trust(tl, nodup, 0);
  if (!err) *roots = distinct_roots(tl);
  return err;
}

/* Keeps which store opts name, for the reports. 0, or -1 out of memory. */
static int keep_store(tlsdiag_verifier_t *v, const tlsdiag_options_t *opts,
                      int roots) {
  v->has_store = 1;
  v->roots = roots;
  v->cafile = opts->cafile ? td_strdup(opts->cafile) : NULL;
  v->capath = opts->capath ? td_strdup(opts->capath) : NULL;
  v->source = opts->trust_source ? td_strdup(opts->trust_source) : NULL;
  return (opts->cafile && !v->cafile) || (opts->capath && !v->capath) ||
                 (opts->trust_source && !v->source)
             ? -1
             : 0;
}

tlsdiag_err_t tlsdiag_verifier_new(const tlsdiag_options_t *opts,
                                   const tlsdiag_blob_t *trusted,
                                   size_t ntrusted, tlsdiag_verifier_t **out,
                                   char *errbuf, size_t errlen) {
  tlsdiag_options_t def;
  gnutls_x509_trust_list_t tl = NULL;
  tlsdiag_verifier_t *v = NULL;
  tlsdiag_err_t err;
  set_err(errbuf, errlen, "");
  if (!out || (ntrusted && !trusted)) return TLSDIAG_E_INVAL;
  *out = NULL;
  opts = td_options_import(opts, &def); /* older callers, NULL */
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
  int roots = 0;
  if (ntrusted) err = add_trusted_blobs(tl, trusted, ntrusted, errbuf, errlen);
  else err = td_trust_list_load(tl, opts, &roots, errbuf, errlen);
  if (err != TLSDIAG_OK) goto fail;
  err = TLSDIAG_E_NOMEM;
  if (!ntrusted && keep_store(v, opts, roots)) goto fail;
  err = TLSDIAG_E_NOMEM;
  v->ctx = td_vctx_new(tl, 1);
  if (!v->ctx) goto fail;
  *out = v;
  return TLSDIAG_OK;
fail:
  if (tl) gnutls_x509_trust_list_deinit(tl, 1);
  tlsdiag_verifier_free(v);
  return err;
}

void tlsdiag_verifier_free(tlsdiag_verifier_t *v) {
  if (!v) return;
  td_vctx_free(v->ctx);
  free(v->cafile);
  free(v->capath);
  free(v->source);
  free(v);
}

const char *tlsdiag_verifier_error(const tlsdiag_verifier_t *v) {
  return v ? v->err : "";
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
  if (changed) td_classify_order(r);
}

/* A lowercased copy of host if it is plain LDH labels (letters, digits,
 * hyphens; 1-63 bytes each, 253 in all), else NULL. An ASCII name that
 * IDNA refuses (an invalid "xn--" label) can still be asked about: no
 * certificate may match it, which is a verdict, not a usage error. */
static char *ldh_copy(const char *host) {
  size_t n = strlen(host), label = 0;
  if (n == 0 || n > 253) return NULL;
  for (size_t i = 0; i < n; i++) {
    char ch = host[i];
    if (ch == '.') {
      if (label == 0) return NULL;
      label = 0;
      continue;
    }
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '-') || ++label > 63)
      return NULL;
  }
  if (label == 0) return NULL;
  char *c = td_strdup(host);
  for (char *p = c; p && *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  return c;
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
  if (!r->ace_host) r->ace_host = ldh_copy(host);
  if (!r->ace_host) {
    char *shown = td_text_safe_dup(host); /* one line, whatever the input */
    snprintf(err, errlen, "host '%s': %s", shown ? shown : "?",
             why ? why : "malformed");
    free(shown);
    return TLSDIAG_E_HOST;
  }
  return TLSDIAG_OK;
}


/* Input refused before any blob is read; v->err says why. */
static int input_invalid(tlsdiag_verifier_t *v,
                         const tlsdiag_verify_input_t *in) {
  if (in->version < 1 || in->version > TLSDIAG_VERIFY_INPUT_VERSION ||
      in->ntrusted || in->nchain == 0 || !in->chain ||
      (in->nuntrusted && !in->untrusted) || (in->ncrls && !in->crls) ||
      (in->purpose != TLSDIAG_PURPOSE_SERVER &&
       in->purpose != TLSDIAG_PURPOSE_CLIENT)) {
    snprintf(v->err, sizeof(v->err), "%s",
             in->ntrusted ? "trusted certificates belong to the verifier"
             : in->nchain == 0 ? "no chain given"
                               : "invalid input");
    return 1;
  }
  return 0;
}

/* Every CRL must parse: a broken one named now beats a finding later. */
static int crls_parse(tlsdiag_verifier_t *v, const td_derlist_t *crls) {
  for (size_t i = 0; i < crls->n; i++) {
    gnutls_x509_crl_t c = NULL;
    int ok = gnutls_x509_crl_init(&c) >= 0 &&
             gnutls_x509_crl_import(c, &crls->d[i], GNUTLS_X509_FMT_DER) >= 0;
    if (c) gnutls_x509_crl_deinit(c);
    if (!ok) {
      snprintf(v->err, sizeof(v->err), "crl %zu does not parse as a CRL",
               i + 1);
      return -1;
    }
  }
  return 0;
}

/* Every certificate must parse as X.509 (what names them in v->err).
 * 0, -1, or -2 on out-of-memory. */
static int certs_parse(tlsdiag_verifier_t *v, const td_derlist_t *l,
                       const char *what) {
  for (size_t i = 0; i < l->n; i++) {
    int ok = td_vctx_parses(v->ctx, &l->d[i]);
    if (ok < 0) return -2;
    if (!ok) {
      snprintf(v->err, sizeof(v->err), "%s %zu does not parse as X.509", what,
               i + 1);
      return -1;
    }
  }
  return 0;
}

/* Decodes and checks the input blobs: the shared inputs first, so their
 * errors are named as theirs. 0, -1 (v->err says why), -2 out-of-memory. */
static int decode_inputs(tlsdiag_verifier_t *v,
                         const tlsdiag_verify_input_t *in, td_derlist_t *chain,
                         td_derlist_t *pool, td_derlist_t *crls) {
  int rc = td_der_decode_all(in->untrusted, in->nuntrusted, 0, "untrusted",
                             pool, v->err, sizeof(v->err));
  if (!rc)
    rc = td_der_decode_all(in->crls, in->ncrls, 1, "crl", crls, v->err,
                           sizeof(v->err));
  if (!rc) rc = crls_parse(v, crls);
  if (!rc) rc = certs_parse(v, pool, "untrusted certificate");
  if (!rc)
    rc = td_der_decode_all(in->chain, in->nchain, 0, "chain", chain, v->err,
                           sizeof(v->err));
  /* A chain certificate that does not parse is a verdict (cert_malformed,
   * td_verifier_run), not an input error. */
  return rc;
}

/* A result for offline verification, at the verifier's time. */
static tlsdiag_result_t *offline_result(const tlsdiag_verifier_t *v,
                                        const tlsdiag_verify_input_t *in) {
  tlsdiag_result_t *r = td_result_new();
  if (!r) return NULL;
  r->offline = 1;
  r->started_wall = td_wall_now();
  r->clock_overridden = v->now != 0;
  r->now = v->now ? v->now : r->started_wall;
  r->warn_days = v->warn_days;
  if (in->expiring_within_days > r->warn_days)
    r->warn_days = in->expiring_within_days;
  r->crit_days = v->crit_days;
  if (v->has_store) {
    tlsdiag_options_t o;
    memset(&o, 0, sizeof(o));
    o.cafile = v->cafile;
    o.capath = v->capath;
    o.trust_source = v->source;
    if (td_tls_trust_record(r, &o, v->roots)) {
      tlsdiag_result_free(r);
      return NULL;
    }
  }
  return r;
}

static void fill_request(td_vreq_t *q, const td_derlist_t *chain,
                         const td_derlist_t *pool, const td_derlist_t *crls,
                         const tlsdiag_result_t *r,
                         const tlsdiag_verify_input_t *in) {
  memset(q, 0, sizeof(*q));
  q->chain = chain->d;
  q->nchain = chain->n;
  q->pool = pool->d;
  q->npool = pool->n;
  q->crls = crls->d;
  q->ncrls = crls->n;
  q->name = r->ace_host;
  q->name_is_ip = r->host_is_ip;
  q->now = r->now;
  q->purpose = in->purpose;
  q->max_depth = in->max_depth;
}

/* The dates as classify.c reads them, then its findings. */
static void classify_offline(tlsdiag_result_t *r,
                             const tlsdiag_verify_input_t *in) {
  for (size_t i = 0; i < r->nchain; i++) {
    td_cert_t *ct = &r->chain[i];
    ct->days_left = td_days_between(r->now, ct->not_after);
    snprintf(ct->days_left_text, sizeof(ct->days_left_text), "%lld",
             (long long)ct->days_left);
  }
  td_classify_offline(r);
  if (in->expiring_within_days >= 0)
    expiring_within(r, in->expiring_within_days);
}

tlsdiag_err_t tlsdiag_verifier_verify(tlsdiag_verifier_t *v,
                                      const tlsdiag_verify_input_t *in,
                                      tlsdiag_result_t **out) {
  td_derlist_t chain = {0}, pool = {0}, crls = {0};
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t err = TLSDIAG_E_NOMEM;
  if (out) *out = NULL;
  if (!v || !in || !out) return TLSDIAG_E_INVAL;
  v->err[0] = '\0';
  if (input_invalid(v, in)) return TLSDIAG_E_INVAL;
  int rc = decode_inputs(v, in, &chain, &pool, &crls);
  if (rc == -2) goto out;
  if (rc < 0) {
    err = TLSDIAG_E_INVAL;
    goto out;
  }
  r = offline_result(v, in);
  if (!r) goto out;
  if (in->host && *in->host) {
    err = set_host(r, in->host, v->err, sizeof(v->err));
    if (err) goto out;
  }
  err = TLSDIAG_E_NOMEM;
  td_vreq_t q;
  fill_request(&q, &chain, &pool, &crls, r, in);
  if (td_verifier_run(v->ctx, &q, r, 1) < 0) goto out;
  classify_offline(r, in);
  *out = r;
  r = NULL;
  err = TLSDIAG_OK;
out:
  if (err == TLSDIAG_E_NOMEM && !v->err[0])
    snprintf(v->err, sizeof(v->err), "out of memory");
  tlsdiag_result_free(r);
  td_derlist_free(&chain);
  td_derlist_free(&pool);
  td_derlist_free(&crls);
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
