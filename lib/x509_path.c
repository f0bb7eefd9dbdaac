/* x509_path.c: building certification paths: the verification context
 * (trust anchors, caches of parsed certificates and signature checks) and
 * the depth-first search from the leaf to a trust anchor over unordered,
 * extra and cross-signed certificates. Each complete path is judged by
 * x509_rules.c; the search is bounded by TD_V_BUDGET_* and TD_V_MAX_PATH. */
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "x509.h"

#define CACHE_MAX 4096       /* parsed certificates kept by a context */
#define CACHE_BUCKETS 1024
#define SIGC_SLOTS 8192      /* signature results cached per context */

/* One cached signature check: did issuer's key sign child? */
typedef struct {
  const td_vcert_t *child, *issuer;
  int ok;
} sigc_t;

struct td_vctx {
  gnutls_x509_trust_list_t tl;
  int own_tl;
  td_vcert_t *bucket[CACHE_BUCKETS];
  size_t ncache;
  sigc_t *sigc;           /* SIGC_SLOTS, open addressing; NULL: no cache */
  size_t nsigc;
  td_strict_slot_t *strict; /* TD_STRICT_SLOTS, direct-mapped; NULL: none */
};

td_strict_slot_t *td_vctx_strict_slot(td_vctx_t *x,
                                      const unsigned char key[32]) {
  if (!x->strict) x->strict = calloc(TD_STRICT_SLOTS, sizeof(*x->strict));
  if (!x->strict) return NULL;
  size_t h = ((size_t)key[0] << 8 | key[1]) % TD_STRICT_SLOTS;
  return &x->strict[h];
}

td_vctx_t *td_vctx_new(gnutls_x509_trust_list_t anchors, int own) {
  td_vctx_t *x = calloc(1, sizeof(*x));
  if (!x) return NULL;
  x->tl = anchors;
  x->own_tl = own;
  return x; /* the signature cache is made on first use */
}

static void cache_clear(td_vctx_t *x) {
  for (size_t b = 0; b < CACHE_BUCKETS; b++) {
    td_vcert_t *c = x->bucket[b];
    while (c) {
      td_vcert_t *n = c->next;
      td_vcert_free(c);
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
  free(x->strict);
  free(x);
}

gnutls_x509_trust_list_t td_vctx_anchors(const td_vctx_t *x) { return x->tl; }

td_vcert_t *td_vctx_get(td_vctx_t *x, const unsigned char *der, size_t len) {
  unsigned char sha[32];
  if (!der || len == 0 || len > (64u << 20)) return NULL;
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, sha) < 0) return NULL;
  size_t b = ((size_t)sha[0] << 8 | sha[1]) % CACHE_BUCKETS;
  for (td_vcert_t *c = x->bucket[b]; c; c = c->next)
    if (memcmp(c->sha, sha, 32) == 0 && c->der_len == len) return c;
  td_vcert_t *c = td_vcert_parse(der, len, sha);
  if (!c) return NULL;
  c->next = x->bucket[b];
  x->bucket[b] = c;
  x->ncache++;
  return c;
}

void td_vctx_trim(td_vctx_t *x) {
  if (x->ncache > CACHE_MAX || x->nsigc >= SIGC_SLOTS / 2) cache_clear(x);
}

int td_vctx_parses(td_vctx_t *x, const gnutls_datum_t *der) {
  td_vcert_t *c = td_vctx_get(x, der->data, der->size);
  if (!c) return -1;
  return c->crt != NULL;
}

/* Did `issuer`'s key sign `child`? Weak algorithms are allowed here: their
 * weakness is a separate finding, the question is only who signed. */
static int sig_ok(td_vctx_t *x, td_vcert_t *child, td_vcert_t *issuer,
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
  gnutls_pubkey_t pub = td_vcert_pub(issuer);
  if (pub && child->tbs && child->sig && child->sig_algo > 0 &&
      !child->sig_mismatch) {
    gnutls_datum_t tbs = {(unsigned char *)child->tbs,
                          (unsigned)child->tbs_len};
    gnutls_datum_t s = {child->sig, (unsigned)child->sig_len};
    (*checks)++;
    ok = gnutls_pubkey_verify_data2(
             pub, (gnutls_sign_algorithm_t)child->sig_algo,
             GNUTLS_VERIFY_ALLOW_BROKEN | GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1,
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
static td_vcert_t *anchor_of(td_vctx_t *x, td_vcert_t *c) {
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
    c->anchor = td_vctx_get(x, der.data, der.size);
  gnutls_free(der.data);
  gnutls_x509_crt_deinit(a);
  if (c->anchor && !c->anchor->crt) c->anchor = NULL;
  return c->anchor;
}

static int in_path(const td_vpath_t *p, const td_vcert_t *c) {
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

static int issues(const td_vcert_t *child, const td_vcert_t *cand) {
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

static void note_partial(td_vbuild_t *b, int sigfail) {
  if (!b->have_partial || b->cur.n > b->partial.n) {
    b->partial = b->cur;
    b->have_partial = 1;
    b->sig_failed_top = sigfail;
  }
}

/* Depth-first search from b->cur's top; returns 1 when a path without
 * path-dependent violations was found (the search stops there). */
static int extend(td_vbuild_t *b) {
  td_vpath_t *p = &b->cur;
  td_vcert_t *top = p->c[p->n - 1];
  int sigfail = 0;
  if (++b->steps > TD_V_BUDGET_STEPS || b->paths >= TD_V_BUDGET_PATHS) {
    b->exhausted = 1;
    return 0;
  }
  td_vcert_t *a = anchor_of(b->x, top);
  if (a) {
    if (a == top || (a->der_len == top->der_len &&
                     memcmp(a->der, top->der, a->der_len) == 0)) {
      /* top is itself a trust anchor: the path ends here */
      p->anchored = 1;
      td_x509_judge(b);
      p->anchored = 0;
      return b->best.path_viol == 0;
    } else if (p->n < TD_V_MAX_PATH && !in_path(p, a) &&
               sig_ok(b->x, top, a, &b->checks)) {
      p->c[p->n++] = a;
      p->anchored = 1;
      td_x509_judge(b);
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
  td_vcert_t *cand[TD_V_MAX_INPUT];
  size_t nc = 0;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < b->npool && nc < TD_V_MAX_INPUT; i++) {
      td_vcert_t *c = b->pool[i];
      if (!c || c == a || !issues(top, c) || in_path(p, c)) continue;
      if (td_vcert_valid_at(c, b->req->now) != (pass == 0)) continue;
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

void td_x509_build(td_vbuild_t *b, td_vcert_t *leaf) {
  b->cur.c[0] = leaf;
  b->cur.n = 1;
  extend(b);
}
