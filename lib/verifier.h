/* verifier.h: the certificate path verifier shared by the live check
 * (verify.c, after the handshake) and offline verification
 * (tlsdiag_verify_chain, `tlsdiag verify`). Not installed; foreign types
 * allowed.
 *
 * The verifier builds a path from the leaf to a trust anchor over the
 * certificates it is given (any order, extras and cross-signs allowed),
 * checks every signature with the issuer's key, and applies the RFC 5280
 * and Web PKI (CA/B Forum) rules GnuTLS's own verification leaves out. It
 * writes its conclusions into the result: r->verify (GnuTLS-style status
 * bits, trusted, name_ok, issuer_missing) and one finding per rule that
 * failed, each with the evidence "rule" (docs/verify.md lists them).
 * classify.c adds the date, trust, name and strength findings for the
 * certificates in r->chain as before; the verifier reports the dates and
 * strength of path certificates classify does not see (the trust anchor,
 * intermediates found elsewhere than in r->chain).
 *
 * Pure: no I/O, no clock (the time is an input), no globals.
 */
#ifndef TD_VERIFIER_H
#define TD_VERIFIER_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "internal.h"

/* Longest path built: leaf + intermediates + anchor (GnuTLS's limit too;
 * classify.c explains a longer chain). */
#define TD_V_MAX_PATH 16
/* Certificates in one chain or pool; more are ignored. */
#define TD_V_MAX_INPUT 256

/* A verification context: the trust anchors (a GnuTLS trust list, owned or
 * borrowed) and caches of parsed certificates and signature checks, so
 * that certificates shared between chains (intermediates, roots) are
 * parsed and verified once. One thread at a time. */
typedef struct td_vctx td_vctx_t;

/* anchors: the trust list to look issuers up in; owned (freed with the
 * context) when own is 1. NULL on out-of-memory. */
td_vctx_t *td_vctx_new(gnutls_x509_trust_list_t anchors, int own);
void td_vctx_free(td_vctx_t *ctx);
/* The trust list (never NULL). */
gnutls_x509_trust_list_t td_vctx_anchors(const td_vctx_t *ctx);

typedef struct td_vreq {
  const gnutls_datum_t *chain; /* DER, leaf first (as sent / as given) */
  size_t nchain;
  const gnutls_datum_t *pool;  /* further untrusted certificates (DER) */
  size_t npool;
  const gnutls_datum_t *crls;  /* DER CRLs to check revocation against */
  size_t ncrls;
  const char *name;            /* A-label or IP literal; NULL: no name */
  int name_is_ip;
  int64_t now;                 /* judge dates at this time (Unix s) */
  tlsdiag_purpose_t purpose;
  int max_depth;               /* intermediates allowed; -1: no limit */
} td_vreq_t;

/* Verifies req and records the outcome in r (r->verify and findings).
 * With reorder set, r->chain must be empty and is filled with the path
 * built (leaf first, up to the anchor when the anchor was among the
 * given certificates), followed by the given chain certificates that are
 * not on it; otherwise r->chain is left as it is (the chain as sent).
 * Returns 0, or -1 on out-of-memory (r->verify.status then says why). */
int td_verifier_run(td_vctx_t *ctx, const td_vreq_t *req,
                    tlsdiag_result_t *r, int reorder);

/* 1 if the DER certificate parses as X.509 (and caches it), 0 if not, -1
 * on out-of-memory. */
int td_vctx_parses(td_vctx_t *ctx, const gnutls_datum_t *der);

/* The strict verdict (verify_strict.c): GnuTLS's verification of q's
 * chain as sent (q->pool is not used) against ctx's anchors, with q's
 * name and purpose, time checks disabled. Fills v->strict_*. The status
 * of a chain (without the name, checked per call with GnuTLS's own
 * hostname check) is remembered in ctx, so a sweep of many names over one
 * certificate pays GnuTLS's signatures once. */
void td_strict_run(td_vctx_t *ctx, const td_vreq_t *q, td_verify_t *v);

/* A remembered strict status: key is SHA-256 over the purpose and the
 * chain's certificates. */
#define TD_STRICT_SLOTS 1024
typedef struct td_strict_slot {
  unsigned char key[32];
  int used;
  unsigned status;
} td_strict_slot_t;
/* The slot for key (compare slot->key); NULL on out-of-memory. */
td_strict_slot_t *td_vctx_strict_slot(td_vctx_t *ctx,
                                      const unsigned char key[32]);

#endif
