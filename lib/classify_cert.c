/* td_classify_cert.c: the certificate findings: dates (and the clock
 * skew that explains them), trust and issuer, name, key strength, OCSP,
 * and the two verdicts (tlsdiag's path builder and GnuTLS). Pure, as
 * classify.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <gnutls/gnutls.h>

#include "classify.h"
#include "hsts.h"
#include "internal.h"
#include "psl.h"
#include "x509.h"

#define WEAK_RSA_BITS 2048
#define WEAK_EC_BITS 256
/* ---- certificates -------------------------------------------------------- */

/* Would every certificate on the path be valid at time t? */
static int dates_ok_at(const tlsdiag_result_t *r, size_t n, int64_t t) {
  for (size_t i = 0; i < n; i++)
    if (t < r->chain[i].not_before || t > r->chain[i].not_after) return 0;
  return 1;
}

static void date_evidence(td_finding_t *f, const tlsdiag_result_t *r,
                          const td_cert_t *c, int64_t now) {
  td_ev_str(f, "subject", c->subject);
  td_ev_time(f, "not_before", c->not_before);
  td_ev_time(f, "not_after", c->not_after);
  td_ev_time(f, "now", now);
  /* whose time "now" is: the caller's question (options.now, --now) or
   * this machine's clock */
  td_ev_str(f, "clock", r->clock_overridden ? "override" : "local");
}

/* Returns the time to judge the OCSP staple's freshness by: the server's
 * when our clock was found wrong; under an override, the real clock (the
 * server staples what is fresh now, and will staple another by then);
 * else r->now.
 *
 * Two clocks, kept apart: certificate dates are judged at r->now, which is
 * the override when the caller gave one ("will this be valid then?") and
 * the real clock otherwise. Skew is always the real clock (recorded when
 * the response arrived) against the server's Date header; it can explain
 * a date error only when the dates were judged by that real clock. */
/* The clock facts classify_dates works from: the time dates are judged at
 * (the user's override, or ours), and our clock against the server's Date
 * header (always the real clock). */
typedef struct {
  int64_t now;
  int over;     /* dates judged at the time the user asked about */
  int have_date;
  int64_t offset, aoff; /* local minus server, and its size */
  int skewed;   /* over the threshold */
  char at[32];  /* now, ISO 8601 */
} clock_facts_t;

static clock_facts_t clock_facts(const tlsdiag_result_t *r) {
  clock_facts_t k;
  k.now = r->now;
  k.over = r->clock_overridden;
  k.have_date = r->http_date > 0 && r->http_date_received > 0;
  k.offset = k.have_date ? r->http_date_received - r->http_date : 0;
  k.aoff = k.offset < 0 ? -k.offset : k.offset;
  k.skewed = k.have_date && r->clock_skew_s > 0 && k.aoff > r->clock_skew_s;
  td_time_iso(k.now, k.at);
  return k;
}

static void skew_evidence(td_finding_t *f, const tlsdiag_result_t *r,
                          const clock_facts_t *k) {
  td_ev_time(f, "local_time", r->http_date_received);
  td_ev_time(f, "server_time", r->http_date);
  td_ev_int(f, "offset_s", k->offset);
  td_ev_int(f, "threshold_s", r->clock_skew_s);
}

/* The server's clock makes the chain valid: ours is the wrong one. */
static void skew_explains_dates(tlsdiag_result_t *r, size_t plen,
                                const clock_facts_t *k) {
  const td_cert_t *c = &r->chain[0];
  for (size_t i = 0; i < plen; i++)
    if (k->now < r->chain[i].not_before || k->now > r->chain[i].not_after) {
      c = &r->chain[i];
      break;
    }
  char dur[32];
  duration_text(k->aoff, dur);
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_ERROR,
      "the local clock is %s %s; by the server's clock the "
      "certificate is valid (by ours it is %s)",
      dur, k->offset > 0 ? "ahead" : "behind",
      k->now > c->not_after ? "expired" : "not yet valid");
  skew_evidence(f, r, k);
  date_evidence(f, r, c, k->now);
}

/* How a message names the path's certificate i, before its label: the
 * leaf "for" its name; a CA certificate by its own name (not "the issuing
 * certificate for X", which reads as X's issuer). */
static const char *cert_what(size_t i) {
  return i == 0 ? "the certificate for" : "the CA certificate";
}

static td_finding_t *expired_finding(tlsdiag_result_t *r, const td_cert_t *c,
                                     const char *which,
                                     const clock_facts_t *k) {
  int64_t d = -td_days_between(k->now, c->not_after);
  td_finding_t *f;
  if (k->over)
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR,
                       "at %s (the time asked about) %s %s has "
                       "expired: it was valid until %s (%lld day%s "
                       "earlier)",
                       k->at, which, cert_label(c), c->not_after_iso,
                       (long long)d, d == 1 ? "" : "s");
  else if (d == 0)
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR,
                       "%s %s expired less than a day ago (%s)", which,
                       cert_label(c), c->not_after_iso);
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_EXPIRED, TLSDIAG_SEVERITY_ERROR,
                       "%s %s expired %lld day%s ago (%s)", which,
                       cert_label(c), (long long)d, d == 1 ? "" : "s",
                       c->not_after_iso);
  td_ev_int(f, "days", -d);
  return f;
}

static td_finding_t *not_yet_valid_finding(tlsdiag_result_t *r,
                                           const td_cert_t *c,
                                           const char *which,
                                           const clock_facts_t *k) {
  /* "valid in N days" rounds up: 9.5 days away is "in 10 days" */
  int64_t d = (c->not_before - k->now + 86399) / 86400;
  td_finding_t *f;
  if (k->over)
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_NOT_YET_VALID,
                       TLSDIAG_SEVERITY_ERROR,
                       "at %s (the time asked about) %s %s is not "
                       "yet valid: it becomes valid at %s (%lld day%s "
                       "later)",
                       k->at, which, cert_label(c), c->not_before_iso,
                       (long long)d, d == 1 ? "" : "s");
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_NOT_YET_VALID,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s %s is not valid until %s (in %lld day%s)",
                       which, cert_label(c), c->not_before_iso, (long long)d,
                       d == 1 ? "" : "s");
  td_ev_int(f, "days", d);
  return f;
}

/* A skew the dates did not depend on: a warning about the clocks. With
 * an override the dates were judged at the time asked about, so the skew
 * is reported whatever they say. Otherwise the path is valid by our
 * clock; when it is not by the server's Date, the validity window may
 * say whose clock is off. Not yet valid by the server's Date: the server's
 * clock is behind (a CA issues a certificate valid from about when it
 * issues it, so the true time is past not_before). Expired by it: either
 * the server's clock is ahead, or ours is behind and the certificate has
 * really expired, for every other client too; the message says both. */
static void skew_warning(tlsdiag_result_t *r, size_t plen,
                         const clock_facts_t *k) {
  char dur[32];
  duration_text(k->aoff, dur);
  td_finding_t *f;
  int server_invalid =
      !k->over && plen > 0 && !dates_ok_at(r, plen, r->http_date);
  int server_expired = 0;
  for (size_t i = 0; i < plen; i++)
    server_expired |= r->http_date > r->chain[i].not_after;
  const char *wrong = "either";
  if (server_invalid && !server_expired) {
    wrong = "server";
    f = td_finding_add(
        r, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_WARNING,
        "the server's clock is off: its Date is %s %s ours (%lld s); by it "
        "the certificate would be not yet valid, by ours it is valid",
        dur, k->offset > 0 ? "behind" : "ahead of", (long long)k->aoff);
  } else if (server_invalid) {
    f = td_finding_add(
        r, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_WARNING,
        "the local clock is %s %s the server's (%lld s), and by the "
        "server's Date the certificate has expired: either the server's "
        "clock is ahead, or this machine's is behind and the certificate "
        "has expired for every client with a right clock",
        dur, k->offset > 0 ? "ahead of" : "behind", (long long)k->aoff);
  } else if (k->over) {
    f = td_finding_add(
        r, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_WARNING,
        "the local clock is %s %s the server's (%lld s); certificate "
        "dates were judged at %s, the time asked about, not by it",
        dur, k->offset > 0 ? "ahead of" : "behind", (long long)k->aoff, k->at);
  } else {
    f = td_finding_add(
        r, TLSDIAG_CAUSE_CLOCK_SKEW, TLSDIAG_SEVERITY_WARNING,
        "the local clock is %s %s the server's (%lld s); dates still "
        "check out",
        dur, k->offset > 0 ? "ahead of" : "behind", (long long)k->aoff);
  }
  skew_evidence(f, r, k);
  if (!k->over) td_ev_str(f, "wrong_clock", wrong);
}

/* The soonest expiry on the path, not among extra certificates. */
static void expires_soon(tlsdiag_result_t *r, size_t plen, int64_t now) {
  size_t soon = 0;
  for (size_t i = 1; i < plen; i++)
    if (r->chain[i].not_after < r->chain[soon].not_after) soon = i;
  const td_cert_t *c = &r->chain[soon];
  int64_t d = td_days_between(now, c->not_after);
  if (d >= r->warn_days) return;
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_CERT_EXPIRES_SOON, TLSDIAG_SEVERITY_WARNING,
      "%s %s expires in %lld day%s (%s)",
      cert_what(soon),
      cert_label(c), (long long)d, d == 1 ? "" : "s", c->not_after_iso);
  td_ev_str(f, "subject", c->subject);
  td_ev_time(f, "not_after", c->not_after);
  td_ev_int(f, "days_left", d);
  td_ev_int(f, "warn_days", r->warn_days);
  td_ev_int(f, "chain_index", (int64_t)soon);
}

/* Dates of the path's certificates, and the clock skew that explains them
 * (or not). Returns the time OCSP freshness is judged at. */
static int64_t classify_dates(tlsdiag_result_t *r, size_t plen) {
  clock_facts_t k = clock_facts(r);
  int bad = !dates_ok_at(r, plen, k.now);
  if (!k.over && bad && k.skewed && dates_ok_at(r, plen, r->http_date)) {
    skew_explains_dates(r, plen, &k);
    return r->http_date;
  }
  for (size_t i = 0; i < plen; i++) {
    const td_cert_t *c = &r->chain[i];
    const char *which = cert_what(i);
    td_finding_t *f = NULL;
    if (k.now > c->not_after) f = expired_finding(r, c, which, &k);
    else if (k.now < c->not_before) f = not_yet_valid_finding(r, c, which, &k);
    if (f) {
      date_evidence(f, r, c, k.now);
      td_ev_int(f, "chain_index", (int64_t)i);
      if (k.have_date) td_ev_time(f, "server_time", r->http_date);
    }
  }
  if (k.skewed && (!bad || k.over)) skew_warning(r, plen, &k);
  if (!bad && plen > 0) expires_soon(r, plen, k.now);
  return k.over && r->started_wall ? r->started_wall : k.now;
}

/* The verifier (verifier.c) already reported a rule that failed: a finding
 * with the evidence "rule". Then a generic "does not verify" would only
 * repeat it. */
static int has_rule_finding(const tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nfindings; i++)
    if (td_ev_get(&r->findings[i], "rule")) return 1;
  return 0;
}

/* What the AIA fetch of the missing issuer showed (none when not tried). */
static void aia_evidence(td_finding_t *f, const tlsdiag_result_t *r,
                         const td_cert_t *top) {
  const td_aia_t *a = &r->aia;
  if (top->aia_ca_issuers)
    td_ev_str(f, "aia_ca_issuers", top->aia_ca_issuers);
  if (a->outcome == TD_AIA_NONE) return;
  td_ev_str(f, "aia_outcome", td_aia_outcome_name(a->outcome));
  if (!a->tried) return;
  td_ev_str(f, "aia_url", a->url);
  td_ev_int(f, "aia_status", a->status);
  td_ev_int(f, "aia_bytes", (int64_t)a->bytes);
  td_ev_int(f, "aia_ms", (int64_t)(a->ms + 0.5));
  td_ev_int(f, "aia_cached", a->cached);
  if (a->error) td_ev_str(f, "aia_error", a->error);
  if (a->issuer_subject) td_ev_str(f, "aia_issuer", a->issuer_subject);
}

static void compromised_finding(tlsdiag_result_t *r, const td_bad_root_t *b,
                                const char *subject, const char *spki,
                                long chain_index) {
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER, TLSDIAG_SEVERITY_ERROR,
      "the chain %s the %s root \"%s\"%s, whose private key is public: "
      "anyone can issue certificates under it (interception software or a "
      "development tool installed it)",
      chain_index < 0 ? "ends in" : "contains", b->name,
      subject ? subject : "?",
      chain_index < 0 ? " (in the trust store, not sent)" : "");
  td_ev_str(f, "compromised_root", b->name);
  td_ev_str(f, "subject", subject);
  td_ev_str(f, "spki_sha256", spki);
  if (chain_index >= 0) td_ev_int(f, "chain_index", chain_index);
  td_ev_str(f, "found_in", chain_index < 0 ? "trust store" : "chain sent");
  td_ev_int(f, "trusted_locally", r->verify.trusted);
  td_ev_str(f, "remedy",
            "remove the root from the trust store and uninstall what "
            "added it");
}

/* A root whose private key is public anywhere in the chain (sent, or the
 * anchor the path ends in, as when interception software installed it
 * and its proxy sends only the leaf): anyone can mint certificates under
 * it. */
static void classify_compromised(tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nchain; i++) {
    const td_cert_t *c = &r->chain[i];
    const td_bad_root_t *b = td_bad_root_lookup(c->spki_sha256);
    if (!b) continue;
    compromised_finding(r, b, c->subject, c->spki_sha256, (long)i);
    return;
  }
  const td_verify_t *v = &r->verify;
  const td_bad_root_t *b = td_bad_root_lookup(v->anchor_spki_sha256);
  if (b) compromised_finding(r, b, v->anchor_subject, v->anchor_spki_sha256, -1);
}

/* The sent certificates after the path (plen of them form it): their
 * subjects, as evidence "not_in_path". */
static void unrelated_evidence(td_finding_t *f, const tlsdiag_result_t *r,
                               size_t plen) {
  const char *v[16];
  size_t n = 0;
  for (size_t i = plen; i < r->nchain && n < 16; i++)
    v[n++] = r->chain[i].subject ? r->chain[i].subject : "?";
  td_ev_list(f, "not_in_path", v, n);
}

/* The top of the chain as sent, followed past the in-order path: while
 * top's issuer is the subject of another certificate the server sent
 * (out of order, or after a duplicate), that one; top itself when its
 * issuer was not sent. */
static const td_cert_t *sent_top(const tlsdiag_result_t *r,
                                 const td_cert_t *top) {
  for (size_t step = 0; step < r->nchain && !top->self_signed && top->issuer;
       step++) {
    const td_cert_t *up = NULL;
    for (size_t i = 0; i < r->nchain && !up; i++)
      if (&r->chain[i] != top && r->chain[i].subject &&
          !strcmp(r->chain[i].subject, top->issuer))
        up = &r->chain[i];
    if (!up) break;
    top = up;
  }
  return top;
}

/* The issuer was sent, out of the order RFC 8446 4.4.2 asks for (or after
 * a duplicate): GnuTLS, curl and browsers reorder it, so the missing link
 * is further up, where the chain as sent ends. */
static td_finding_t *untrusted_out_of_order(tlsdiag_result_t *r,
                                            const td_cert_t *stop) {
  td_finding_t *f;
  if (stop->self_signed) {
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER,
                       TLSDIAG_SEVERITY_ERROR,
                       "the chain ends in the root \"%s\", which is not in "
                       "the trust store (the server sends its chain out of "
                       "order or with a duplicate; clients reorder it)",
                       cert_label(stop));
    td_ev_str(f, "root", stop->subject);
  } else {
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER,
                       TLSDIAG_SEVERITY_ERROR,
                       "the chain's issuer \"%s\" is not in the trust store "
                       "(the server sends its chain out of order or with a "
                       "duplicate; clients reorder it)",
                       stop->issuer ? stop->issuer : "?");
    td_ev_str(f, "missing_issuer", stop->issuer);
  }
  td_ev_str(f, "chain_order", "out of order or duplicated");
  return f;
}

static void classify_trust(tlsdiag_result_t *r, size_t plen) {
  const td_verify_t *v = &r->verify;
  const td_cert_t *leaf = &r->chain[0];
  if (v->trusted) return;
  td_finding_t *f;
  if (leaf->self_signed && r->nchain >= 1) {
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_SELF_SIGNED, TLSDIAG_SEVERITY_ERROR,
                       "the certificate for %s is self-signed (its own issuer) "
                       "and not in the trust store",
                       cert_label(leaf));
    td_ev_str(f, "subject", leaf->subject);
    td_ev_str(f, "issuer", leaf->issuer);
    td_ev_str(f, "sha256_fingerprint", leaf->sha256);
  } else if (v->issuer_missing) {
    const td_cert_t *top = &r->chain[plen - 1];
    const td_cert_t *stop = sent_top(r, top);
    if (stop != top) {
      f = untrusted_out_of_order(r, stop);
    } else if (top->self_signed) {
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER,
                         TLSDIAG_SEVERITY_ERROR,
                         "the chain ends in the root \"%s\", which is not in "
                         "the trust store",
                         cert_label(top));
      td_ev_str(f, "root", top->subject);
    } else if (r->aia.outcome == TD_AIA_INTERMEDIATE) {
      /* Fetched by AIA: the issuer exists and chains to a trusted root,
       * so the server provably omits it. */
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_INCOMPLETE_CHAIN,
                         TLSDIAG_SEVERITY_ERROR,
                         "the server does not send the intermediate \"%s\" "
                         "that links %s to a trusted root (fetched from %s): "
                         "browsers that fetch AIA connect; curl, OpenSSL, "
                         "Java and most agents fail",
                         r->aia.issuer_subject ? r->aia.issuer_subject : "?",
                         cert_label(top), r->aia.url ? r->aia.url : "?");
      td_ev_str(f, "missing_issuer", top->issuer);
      td_ev_str(f, "add_to_chain", r->aia.issuer_subject);
      td_ev_str(f, "clients_that_connect", "browsers that fetch AIA");
      td_ev_str(f, "clients_that_fail",
                "curl, OpenSSL, Java, most agents (no AIA fetch)");
      aia_evidence(f, r, top);
    } else if (r->aia.outcome == TD_AIA_ROOT) {
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER,
                         TLSDIAG_SEVERITY_ERROR,
                         "%s was issued by the root \"%s\" (fetched from "
                         "%s), which is not in the trust store",
                         cert_label(top),
                         r->aia.issuer_subject ? r->aia.issuer_subject : "?",
                         r->aia.url ? r->aia.url : "?");
      td_ev_str(f, "root", r->aia.issuer_subject);
      td_ev_str(f, "remedy",
                "add the root to the client's trust store, or have the "
                "server use a certificate from a public CA");
      aia_evidence(f, r, top);
    } else if (!top->is_ca && r->nchain > plen) {
      /* The leaf, plus certificates that are not its issuer: a chain file
       * left with an old intermediate after a renewal under a new one. */
      const char *x = top->issuer ? top->issuer : "?";
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER,
                         TLSDIAG_SEVERITY_ERROR,
                         "the server sent its certificate and %zu other%s "
                         "(\"%s\"%s) but not its issuer \"%s\", which is "
                         "not trusted either: either the server's chain holds "
                         "the wrong intermediate, or \"%s\" is a root your "
                         "trust store lacks",
                         r->nchain - plen, r->nchain - plen == 1 ? "" : "s",
                         r->chain[plen].subject ? r->chain[plen].subject : "?",
                         r->nchain - plen > 1 ? ", ..." : "", x, x);
      td_ev_str(f, "missing_issuer", top->issuer);
      unrelated_evidence(f, r, plen);
      td_ev_str(f, "remedy_server",
                "if the issuer is an intermediate: send it instead of the "
                "certificates listed in not_in_path");
      td_ev_str(f, "remedy_client",
                "if the issuer is a private root: add it to the client's "
                "trust store (--cacert)");
      aia_evidence(f, r, top);
    } else if (!top->is_ca) {
      /* Only the leaf was sent and its issuer is unknown: from the wire a
       * missing intermediate and a private root look the same. */
      const char *x = top->issuer ? top->issuer : "?";
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER,
                         TLSDIAG_SEVERITY_ERROR,
                         "the server sent only its certificate; its issuer "
                         "\"%s\" is neither sent nor trusted: either the "
                         "server omits an intermediate, or \"%s\" is a root "
                         "your trust store lacks",
                         x, x);
      td_ev_str(f, "missing_issuer", top->issuer);
      td_ev_str(f, "remedy_server",
                "if the issuer is an intermediate: add it to the server's "
                "certificate chain");
      td_ev_str(f, "remedy_client",
                "if the issuer is a private root: add it to the client's "
                "trust store (--cacert), or use a certificate from a public "
                "CA");
      aia_evidence(f, r, top);
    } else {
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_UNTRUSTED_ISSUER,
                         TLSDIAG_SEVERITY_ERROR,
                         "the chain's issuer \"%s\" is not in the trust store",
                         top->issuer ? top->issuer : "?");
      td_ev_str(f, "missing_issuer", top->issuer);
      aia_evidence(f, r, top);
    }
    td_ev_int(f, "chain_length", (int64_t)r->nchain);
  } else if (has_rule_finding(r)) {
    return;
  } else if (r->nchain > 16) {
    /* GnuTLS refuses to verify more than 16 (DEFAULT_MAX_VERIFY_DEPTH) and
     * only says "Some constraint limits were reached." */
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
                       "the server sent %zu certificates; a chain longer "
                       "than 16 is not verified",
                       r->nchain);
    td_ev_int(f, "chain_length", (int64_t)r->nchain);
  } else {
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
                       "the chain does not verify: %s",
                       v->status_text ? v->status_text : "unknown reason");
  }
  td_ev_int(f, "verify_status", v->status);
  if (v->status_text) td_ev_str(f, "verify_text", v->status_text);
}

/* The leaf's wildcard SAN that would cover the host but stands directly
 * over an ICANN public suffix (x509_names.c never matches it), or NULL;
 * *suffix gets the suffix. */
static const char *wildcard_over_suffix(const tlsdiag_result_t *r,
                                        const char **suffix) {
  const td_cert_t *leaf = &r->chain[0];
  const char *host = r->ace_host ? r->ace_host : r->host;
  const char *dot = host ? strchr(host, '.') : NULL;
  if (!dot || dot == host) return NULL;
  for (size_t i = 0; i < leaf->nsans; i++) {
    const char *v = leaf->sans[i].value;
    if (leaf->sans[i].type != TD_SAN_DNS || !v) continue;
    const char *x = td_x509_wildcard_suffix(v, strlen(v));
    if (x && !strcasecmp(x, dot + 1)) {
      *suffix = x;
      return v;
    }
  }
  return NULL;
}

/* For an IP address: the leaf's dNSName SAN spelling that address, or
 * NULL. An address matches only an iPAddress SAN (RFC 6125 1.7.2, RFC
 * 9110 4.3.5); browsers and curl alike refuse the dNSName. */
static const char *ip_as_dns_san(const tlsdiag_result_t *r) {
  const td_cert_t *leaf = &r->chain[0];
  if (!r->host_is_ip || !r->host) return NULL;
  const char *addr = r->ace_host ? r->ace_host : r->host; /* "127.1" read */
  for (size_t i = 0; i < leaf->nsans; i++)
    if (leaf->sans[i].type == TD_SAN_DNS && leaf->sans[i].value &&
        (strcasecmp(leaf->sans[i].value, r->host) == 0 ||
         strcasecmp(leaf->sans[i].value, addr) == 0))
      return leaf->sans[i].value;
  return NULL;
}

/* The leaf's dNSName SAN written in Unicode (a U-label, raw UTF-8) whose
 * A-label (libidn2) is the host asked for, or NULL; *alabel gets that
 * A-label (malloc'd). A dNSName holds A-labels only (RFC 5280 7.2);
 * browsers and curl compare the host's A-label byte for byte, so the
 * Unicode spelling never matches. */
static const char *ulabel_dns_san(const tlsdiag_result_t *r, char **alabel) {
  const td_cert_t *leaf = &r->chain[0];
  *alabel = NULL;
  if (r->host_is_ip || !r->ace_host) return NULL;
  for (size_t i = 0; i < leaf->nsans; i++) {
    const char *v = leaf->sans[i].value;
    if (leaf->sans[i].type != TD_SAN_DNS || !v) continue;
    int ascii = 1;
    for (const char *p = v; *p && ascii; p++) ascii = (unsigned char)*p < 0x80;
    if (ascii) continue;
    char *a = td_idn_to_ascii(v, NULL);
    if (a && !strcasecmp(a, r->ace_host)) {
      *alabel = a;
      return v;
    }
    free(a);
  }
  return NULL;
}

/* The names a certificate covers, for a message: the first three, then
 * how many more (malloc'd; NULL without memory). */
static char *covered_names(const char *const *sans, size_t n) {
  td_buf_t b;
  td_buf_init(&b);
  for (size_t i = 0; i < n && i < 3; i++)
    td_buf_printf(&b, "%s%s", i ? ", " : "", sans[i] ? sans[i] : "");
  if (n > 3) td_buf_printf(&b, " and %zu more", n - 3);
  return td_buf_steal(&b, NULL);
}

static void classify_name(tlsdiag_result_t *r) {
  if (r->verify.name_ok) return;
  const td_cert_t *leaf = &r->chain[0];
  const char *ipdns = ip_as_dns_san(r);
  char *alabel = NULL;
  const char *ulabel = ipdns ? NULL : ulabel_dns_san(r, &alabel);
  const char *suffix = NULL, *wild = wildcard_over_suffix(r, &suffix);
  const char *sans[64];
  size_t n = 0;
  for (size_t i = 0; i < leaf->nsans && n < 64; i++)
    if (leaf->sans[i].type != TD_SAN_OTHER) sans[n++] = leaf->sans[i].value;
  td_finding_t *f;
  if (wild)
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the certificate is not valid for %s: its name %s is a "
                       "wildcard directly over the public suffix %s, which "
                       "browsers never match",
                       name_of(r), wild, suffix);
  else if (ipdns)
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the certificate is not valid for the IP address %s: "
                       "it lists \"%s\" as a DNS name (dNSName), and an IP "
                       "address matches only an IP address (iPAddress) "
                       "subjectAltName",
                       r->host, ipdns);
  else if (ulabel)
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the certificate is not valid for %s: it lists the "
                       "name in Unicode, \"%s\", where a DNS name (dNSName) "
                       "must hold its A-label %s; browsers and curl compare "
                       "the A-label only",
                       name_of(r), ulabel, alabel);
  else if (n == 0)
    f = td_finding_add(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                       TLSDIAG_SEVERITY_ERROR,
                       "the certificate has no subjectAltName; browsers ignore "
                       "its CN \"%s\", so it is valid for no name",
                       leaf->common_name ? leaf->common_name : "");
  else {
    char *names = covered_names(sans, n);
    if (r->sni_default == 1)
      /* The same leaf without SNI (probe.c): the server's default. */
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                         TLSDIAG_SEVERITY_ERROR,
                         "the certificate is not valid for %s; it covers "
                         "%s. It is the server's default certificate (the "
                         "one it sends without SNI): the server has no site "
                         "or certificate for %s; configure one "
                         "(server_name, virtual host) or point the name "
                         "elsewhere",
                         name_of(r), names ? names : sans[0], name_of(r));
    else
      f = td_finding_add(r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH,
                         TLSDIAG_SEVERITY_ERROR,
                         "the certificate is not valid for %s; it covers %s",
                         name_of(r), names ? names : sans[0]);
    free(names);
  }
  td_ev_str(f, "name", r->host);
  td_ev_str(f, "ace_name", r->ace_host);
  td_ev_list(f, "sans", sans, n);
  if (leaf->common_name) td_ev_str(f, "common_name", leaf->common_name);
  /* the handshake without SNI, when it ran: whether this is the default */
  if (r->sni_default == 1 || r->sni_default == 2)
    td_ev_bool(f, "server_default", r->sni_default == 1);
  if (ipdns) {
    td_ev_str(f, "rule", "ip_address_in_dns_name");
    td_ev_str(f, "standard", "RFC 6125 1.7.2, RFC 9110 4.3.5");
    td_ev_str(f, "dns_name", ipdns);
  }
  if (ulabel) {
    td_ev_str(f, "rule", "u_label_in_dns_name");
    td_ev_str(f, "standard", "RFC 5280 7.2, RFC 6125 6.4.2");
    td_ev_str(f, "dns_name", ulabel);
    td_ev_str(f, "a_label", alabel);
  }
  free(alabel);
  if (wild) {
    int64_t mtime = 0;
    td_ev_str(f, "rule", "wildcard_public_suffix");
    td_ev_str(f, "standard", "CABF BR 3.2.2.6; Public Suffix List (ICANN)");
    td_ev_str(f, "wildcard", wild);
    td_ev_str(f, "public_suffix", suffix);
    td_ev_str(f, "psl_source", td_psl_source(&mtime));
  }
}

static void classify_strength(tlsdiag_result_t *r, size_t plen) {
  for (size_t i = 0; i < plen; i++) {
    const td_cert_t *c = &r->chain[i];
    if (c->sig_weak && !c->self_signed) {
      td_finding_t *f = td_finding_add(
          r, TLSDIAG_CAUSE_CERT_WEAK_SIGNATURE, TLSDIAG_SEVERITY_ERROR,
          "%s %s is signed with %s, which browsers reject",
          cert_what(i), cert_label(c),
          c->sig_alg ? c->sig_alg : "a weak algorithm");
      td_ev_str(f, "subject", c->subject);
      td_ev_str(f, "signature_algorithm", c->sig_alg);
      td_ev_int(f, "chain_index", (int64_t)i);
    }
  }
  for (size_t i = 0; i < plen; i++) {
    const td_cert_t *c = &r->chain[i];
    if (!c->key_type || c->key_bits == 0) continue;
    int rsa_like = !strcmp(c->key_type, "RSA") || !strcmp(c->key_type, "DSA") ||
                   !strncmp(c->key_type, "RSA-", 4);
    int ec = !strcmp(c->key_type, "ECDSA");
    if ((rsa_like && c->key_bits < WEAK_RSA_BITS) ||
        (ec && c->key_bits < WEAK_EC_BITS)) {
      td_finding_t *f = td_finding_add(
          r, TLSDIAG_CAUSE_CERT_WEAK_KEY, TLSDIAG_SEVERITY_ERROR,
          "%s %s has a %u-bit %s key (minimum %u)",
          cert_what(i), cert_label(c),
          c->key_bits, c->key_type, rsa_like ? WEAK_RSA_BITS : WEAK_EC_BITS);
      td_ev_str(f, "subject", c->subject);
      td_ev_str(f, "key_type", c->key_type);
      td_ev_int(f, "key_bits", c->key_bits);
      td_ev_int(f, "minimum_bits", rsa_like ? WEAK_RSA_BITS : WEAK_EC_BITS);
    }
  }
}

static void classify_ocsp(tlsdiag_result_t *r, int64_t at) {
  const td_verify_t *v = &r->verify;
  int stale = v->ocsp_status >= 0 && v->ocsp_status != 1 &&
              v->ocsp_status != 3 && v->ocsp_next_update &&
              v->ocsp_next_update < at;
  /* A CRL's verdict is reported by the verifier (source "crl"). */
  int crl_revoked = tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_REVOKED) >= 0;
  if (v->ocsp_status == 1 ||
      ((v->status & GNUTLS_CERT_REVOKED) && !crl_revoked)) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CERT_REVOKED, TLSDIAG_SEVERITY_ERROR,
        "the certificate for %s was revoked by its CA (stapled OCSP)",
        cert_label(&r->chain[0]));
    td_ev_str(f, "subject", r->chain[0].subject);
    td_ev_str(f, "serial", r->chain[0].serial);
    td_ev_str(f, "source", "ocsp_staple");
    if (v->ocsp_revoked_at) td_ev_time(f, "revoked_at", v->ocsp_revoked_at);
    if (v->ocsp_this_update) td_ev_time(f, "this_update", v->ocsp_this_update);
  } else if (v->ocsp_status == 3) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_OCSP_STAPLE_INVALID, TLSDIAG_SEVERITY_WARNING,
        "the stapled OCSP response is unusable: %s",
        v->ocsp_error ? v->ocsp_error : "unknown reason");
    td_ev_str(f, "error", v->ocsp_error);
  } else if (v->must_staple && v->ocsp_status < 0) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_OCSP_MUST_STAPLE_MISSING, TLSDIAG_SEVERITY_ERROR,
        "the certificate for %s requires an OCSP staple (TLS feature "
        "status_request, \"must-staple\") and the server sent none: "
        "Firefox and GnuTLS clients refuse the connection, Chrome and "
        "OpenSSL clients connect; enable OCSP stapling on the server",
        cert_label(&r->chain[0]));
    td_ev_str(f, "subject", r->chain[0].subject);
    td_ev_str(f, "serial", r->chain[0].serial);
    td_ev_str(f, "tls_feature", "status_request");
    td_ev_bool(f, "stapled", 0);
  } else if (stale) {
    char nu[32];
    td_time_iso(v->ocsp_next_update, nu);
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_OCSP_STAPLE_INVALID, TLSDIAG_SEVERITY_WARNING,
        "the stapled OCSP response is stale (nextUpdate %s has passed)", nu);
    td_ev_time(f, "next_update", v->ocsp_next_update);
    td_ev_time(f, "now", at);
  }
}

/* Bits classify_* explain; anything else is reported as cert_invalid. */
#define EXPLAINED_BITS                                                     \
  (GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND |                    \
   GNUTLS_CERT_UNEXPECTED_OWNER | GNUTLS_CERT_INSECURE_ALGORITHM |         \
   GNUTLS_CERT_REVOKED | GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED | \
   GNUTLS_CERT_INVALID_OCSP_STATUS | GNUTLS_CERT_MISSING_OCSP_STATUS |     \
   GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |                                \
   GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE)

static void classify_two_verdicts(tlsdiag_result_t *r);

void td_classify_cert(tlsdiag_result_t *r) {
  if (r->nchain == 0) {
    td_finding_add(r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
                   "the server sent no certificate");
    return;
  }
  size_t plen = td_chain_path_len(r);
  int64_t at = classify_dates(r, plen);
  classify_ocsp(r, at);
  classify_compromised(r);
  classify_trust(r, plen);
  /* Trusted, yet bits remain that nothing above explains. */
  unsigned extra = r->verify.status & ~(unsigned)EXPLAINED_BITS;
  if (r->verify.trusted && extra && !has_rule_finding(r)) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CERT_INVALID, TLSDIAG_SEVERITY_ERROR,
        "the chain does not verify: %s",
        r->verify.status_text ? r->verify.status_text : "unknown reason");
    td_ev_int(f, "verify_status", r->verify.status);
  }
  classify_name(r);
  classify_strength(r, plen);
  td_classify_chain_size(r, 0);
  classify_two_verdicts(r);
  if (r->tls_version_num && r->tls_version_num <= TLSDIAG_TLS1_1) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_TLS_LEGACY_VERSION, TLSDIAG_SEVERITY_WARNING,
        "%s was negotiated; browsers have refused TLS 1.0 and 1.1 since 2020",
        r->tls_version);
    td_ev_str(f, "version", r->tls_version);
  }
}

/* A finding that says the certificate fails (what a browser refuses): a
 * certificate cause, expiring soon when asked to be an error, the preload
 * rule's own finding, or any verifier rule. */
static int is_cert_error(const td_finding_t *f) {
  if (f->severity != TLSDIAG_SEVERITY_ERROR) return 0;
  return td_cause_is_cert(f->code) ||
         f->code == TLSDIAG_CAUSE_CERT_EXPIRES_SOON ||
         f->code == TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR ||
         td_ev_get(f, "rule") != NULL;
}

/* A date finding: both verdicts leave dates to classify_dates. */
static int is_date_cause(tlsdiag_cause_t c) {
  return c == TLSDIAG_CAUSE_CERT_EXPIRED ||
         c == TLSDIAG_CAUSE_CERT_NOT_YET_VALID ||
         c == TLSDIAG_CAUSE_CLOCK_SKEW || c == TLSDIAG_CAUSE_CERT_EXPIRES_SOON;
}

int td_browser_ok(const tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if (!v->done || r->nchain == 0 || !v->trusted || !v->name_ok ||
      v->ocsp_status == 1)
    return 0;
  for (size_t i = 0; i < r->nfindings; i++) {
    const td_finding_t *f = &r->findings[i];
    if (f->code == TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE ||
        f->code == TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY ||
        is_date_cause(f->code))
      continue;
    if (is_cert_error(f)) return 0;
  }
  return 1;
}

/* Why only path building finds the path, as the evidence names it. */
static const char *browser_only_why(const td_verify_t *v) {
  if (v->path_unsent) return "intermediate_not_sent";
  if (v->path_reordered) return "chain_order";
  return "cross_sign_path";
}

/* The leaf's dNSName written with a trailing dot ("www.example.com.")
 * when that is all GnuTLS holds against the chain, or NULL. Clients
 * differ on such a name: Chrome and OpenSSL (curl) drop the dot and
 * match, mozilla::pkix (Firefox) and GnuTLS take a presented name with
 * a trailing dot as invalid (SSL_ERROR_BAD_CERT_DOMAIN). */
static const char *trailing_dot_san(const tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if ((v->strict_status & ~(unsigned)GNUTLS_CERT_INVALID) !=
          GNUTLS_CERT_UNEXPECTED_OWNER ||
      r->host_is_ip)
    return NULL;
  const td_cert_t *leaf = &r->chain[0];
  for (size_t i = 0; i < leaf->nsans; i++) {
    const char *s = leaf->sans[i].value;
    size_t n = s ? strlen(s) : 0;
    if (leaf->sans[i].type == TD_SAN_DNS && n > 1 && s[n - 1] == '.')
      return s;
  }
  return NULL;
}

/* A name only some clients match (trailing_dot_san): an error naming who
 * fails (Firefox users cannot connect, as with a missing must-staple
 * staple), instead of the bare disagreement of two verifiers. Returns 1
 * when it was that. */
static int trailing_dot_name(tlsdiag_result_t *r) {
  const char *san = trailing_dot_san(r);
  if (!san) return 0;
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH, TLSDIAG_SEVERITY_ERROR,
      "the certificate lists %s as \"%s\", with a trailing dot: Chrome and "
      "curl match it, Firefox (SSL_ERROR_BAD_CERT_DOMAIN) and GnuTLS-based "
      "clients do not; reissue it without the dot",
      name_of(r), san);
  td_ev_str(f, "name", r->host);
  td_ev_str(f, "rule", "trailing_dot_in_dns_name");
  td_ev_str(f, "standard", "RFC 5280 4.2.1.6 (preferred name syntax)");
  td_ev_str(f, "dns_name", san);
  td_ev_str(f, "clients_fail", "Firefox, GnuTLS-based clients (wget, "
                               "gnutls-cli)");
  td_ev_str(f, "clients_ok", "Chrome, curl (OpenSSL)");
  td_ev_str(f, "strict", r->verify.strict_text ? r->verify.strict_text
                                               : "rejected");
  td_ev_int(f, "strict_status", r->verify.strict_status);
  return 1;
}

/* The browser verdict (tlsdiag's verifier) against the strict one
 * (GnuTLS's, the chain as sent): a warning when only path building
 * succeeds, an error when GnuTLS rejects for any other reason. */
static void classify_two_verdicts(tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if (!v->strict_done) return;
  int browser = td_browser_ok(r);
  const char *stext = v->strict_text ? v->strict_text : "rejected";
  switch (td_two_verdicts(browser, v->strict_ok, v->strict_status)) {
  case TD_TWO_OK:
  case TD_TWO_BOTH_FAIL:
    return;
  case TD_TWO_BROWSER_ONLY: {
    /* Which clients fail depends on why: none but browsers fetch AIA;
     * an extra or cross-signed certificate sent before the one on the
     * trusted path misleads OpenSSL 3 too (curl 7.88 with OpenSSL 3.0:
     * "unable to get local issuer certificate"): its alternative chains
     * only swap in trusted certificates. A mere reordering GnuTLS alone
     * trips on. */
    const char *why = browser_only_why(v);
    int unsent = !strcmp(why, "intermediate_not_sent");
    int cross = !strcmp(why, "cross_sign_path");
    const char *clients =
        unsent ? "curl, wget, OpenSSL, GnuTLS and Java clients (no AIA fetch)"
        : cross
            ? "curl, wget and other clients that follow the chain as sent "
              "(OpenSSL, GnuTLS)"
            : "GnuTLS-based clients (wget, gnutls-cli, GnuTLS libraries)";
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY, TLSDIAG_SEVERITY_WARNING,
        "browsers find a path to a trust anchor, but %s fail on the chain "
        "as sent: %s",
        clients,
        unsent ? "an intermediate on the path was not sent (browsers fetch "
                 "it via AIA or know it already)"
        : !strcmp(why, "chain_order")
            ? "the chain is sent out of order"
            : "the certificates sent lead to an issuer they do not trust "
              "(an extra or cross-signed certificate comes first); "
              "browsers build another path");
    td_ev_str(f, "why", why);
    td_ev_str(f, "clients", clients);
    td_ev_int(f, "strict_status", v->strict_status);
    td_ev_str(f, "strict", stext);
    return;
  }
  case TD_TWO_DISAGREE: {
    if (trailing_dot_name(r)) return;
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE, TLSDIAG_SEVERITY_ERROR,
        "tlsdiag's verifier accepts the chain, GnuTLS's rejects it: %s",
        stext);
    td_ev_str(f, "browser", "accepted: a path to a trust anchor, name and "
                            "rules hold");
    td_ev_str(f, "strict", stext);
    td_ev_int(f, "strict_status", v->strict_status);
    return;
  }
  case TD_TWO_STRICT_ONLY:
    /* tlsdiag's rule stands; GnuTLS's view is evidence on its findings */
    for (size_t i = 0; i < r->nfindings; i++)
      if (is_cert_error(&r->findings[i]) && !is_date_cause(r->findings[i].code))
        td_ev_str(&r->findings[i], "gnutls", "accepts the chain as sent");
    return;
  }
}

td_verdict_t td_verify_verdict(const tlsdiag_result_t *r) {
  td_verdict_t v;
  memset(&v, 0, sizeof(v));
  if (!r || !r->verify.done || r->nchain == 0) return v;
  v.chain_to_root = r->verify.trusted != 0;
  v.name_ok = r->verify.name_ok != 0;
  v.dates_ok = dates_ok_at(r, td_chain_path_len(r), r->now);
  int cert_error = r->verify.ocsp_status == 1;
  for (size_t i = 0; i < r->nfindings && !cert_error; i++)
    cert_error = is_cert_error(&r->findings[i]);
  v.trusted = v.chain_to_root && v.name_ok && v.dates_ok && !cert_error;
  return v;
}

