/* verify_bench.c: chains verified per second on the x509-limbo set (issue
 * 7's goal: >= 5,000/s), against a baseline in the same process: GnuTLS's
 * own gnutls_x509_trust_list_verify_crt2 on the same chains (leaf +
 * intermediates as given, certificates parsed and trust lists built once,
 * time checks disabled, host name and purpose as typed data).
 *
 * tlsdiag is measured two ways:
 *   warm  one tlsdiag_verifier per case, reused: anchors loaded once,
 *         certificates parsed and signatures verified once per verifier
 *         (what a sweep or `tlsdiag verify DIR` gets: shared
 *         intermediates and roots cost nothing after the first chain);
 *   cold  tlsdiag_verify_chain per chain: anchors, parsing and every
 *         signature from scratch.
 *
 * usage: verify_bench [LIMBO_JSON] [SECONDS_PER_MEASUREMENT]
 * Public API only (plus GnuTLS for the baseline). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "tlsdiag/tlsdiag.h"

#ifndef TD_SOURCE_DIR
#define TD_SOURCE_DIR "."
#endif
#define DEFAULT_LIMBO TD_SOURCE_DIR "/../shared/data/x509-limbo/limbo.json"

typedef struct {
  const char *id;
  tlsdiag_blob_t leaf;
  tlsdiag_blob_t *trusted, *untrusted, *crls;
  size_t ntrusted, nuntrusted, ncrls;
  tlsdiag_verify_input_t in;
  tlsdiag_options_t opts;
  tlsdiag_verifier_t *v;       /* warm */
  /* baseline */
  gnutls_x509_crt_t *chain;    /* leaf + untrusted intermediates */
  unsigned nchain;
  gnutls_x509_trust_list_t tl;
  gnutls_typed_vdata_st data[2];
  unsigned ndata;
  int ok;                      /* the case could be prepared */
} bcase_t;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t blobs(json_t *arr, tlsdiag_blob_t **out) {
  size_t n = json_array_size(arr);
  *out = calloc(n ? n : 1, sizeof(**out));
  for (size_t i = 0; *out && i < n; i++) {
    const char *s = json_string_value(json_array_get(arr, i));
    (*out)[i].data = s;
    (*out)[i].len = s ? strlen(s) : 0;
  }
  return *out ? n : 0;
}

static int64_t parse_time(const char *s) {
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  if (sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (int64_t)timegm(&tm);
}

static gnutls_x509_crt_t import_pem(const tlsdiag_blob_t *b) {
  gnutls_x509_crt_t c = NULL;
  gnutls_datum_t d = {(unsigned char *)b->data, (unsigned)b->len};
  if (gnutls_x509_crt_init(&c) < 0) return NULL;
  if (gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_PEM) < 0) {
    gnutls_x509_crt_deinit(c);
    return NULL;
  }
  return c;
}

static void prepare(bcase_t *c, json_t *tc) {
  c->id = json_string_value(json_object_get(tc, "id"));
  c->leaf.data = json_string_value(json_object_get(tc, "peer_certificate"));
  c->leaf.len = c->leaf.data ? strlen(c->leaf.data) : 0;
  c->ntrusted = blobs(json_object_get(tc, "trusted_certs"), &c->trusted);
  c->nuntrusted = blobs(json_object_get(tc, "untrusted_intermediates"), &c->untrusted);
  c->ncrls = blobs(json_object_get(tc, "crls"), &c->crls);
  tlsdiag_options_init(&c->opts);
  json_t *vt = json_object_get(tc, "validation_time");
  if (json_is_string(vt)) c->opts.now = parse_time(json_string_value(vt));
  tlsdiag_verify_input_init(&c->in);
  c->in.chain = &c->leaf;
  c->in.nchain = 1;
  c->in.untrusted = c->untrusted;
  c->in.nuntrusted = c->nuntrusted;
  c->in.crls = c->crls;
  c->in.ncrls = c->ncrls;
  json_t *md = json_object_get(tc, "max_chain_depth");
  if (json_is_integer(md)) c->in.max_depth = (int)json_integer_value(md);
  json_t *eku = json_object_get(tc, "extended_key_usage");
  for (size_t i = 0; i < json_array_size(eku); i++)
    if (!strcmp(json_string_value(json_array_get(eku, i)) ?: "", "clientAuth"))
      c->in.purpose = TLSDIAG_PURPOSE_CLIENT;
  json_t *peer = json_object_get(tc, "expected_peer_name");
  const char *kind = json_string_value(json_object_get(peer, "kind"));
  if (kind && (!strcmp(kind, "DNS") || !strcmp(kind, "IP")))
    c->in.host = json_string_value(json_object_get(peer, "value"));
  if (tlsdiag_verifier_new(&c->opts, c->trusted, c->ntrusted, &c->v, NULL, 0))
    return;
  /* baseline: the same certificates, imported once */
  c->chain = calloc(1 + c->nuntrusted, sizeof(*c->chain));
  if (!c->chain || !(c->chain[0] = import_pem(&c->leaf))) return;
  c->nchain = 1;
  for (size_t i = 0; i < c->nuntrusted; i++) {
    gnutls_x509_crt_t x = import_pem(&c->untrusted[i]);
    if (x) c->chain[c->nchain++] = x;
  }
  if (gnutls_x509_trust_list_init(&c->tl, 0) < 0) return;
  for (size_t i = 0; i < c->ntrusted; i++) {
    gnutls_x509_crt_t x = import_pem(&c->trusted[i]);
    if (x && gnutls_x509_trust_list_add_cas(c->tl, &x, 1, 0) != 1)
      gnutls_x509_crt_deinit(x);
  }
  c->ndata = 0;
  if (c->in.host && kind && !strcmp(kind, "DNS")) {
    c->data[c->ndata].type = GNUTLS_DT_DNS_HOSTNAME;
    c->data[c->ndata].data = (unsigned char *)c->in.host;
    c->ndata++;
  }
  c->data[c->ndata].type = GNUTLS_DT_KEY_PURPOSE_OID;
  c->data[c->ndata].data = (unsigned char *)(c->in.purpose == TLSDIAG_PURPOSE_CLIENT
                                                 ? GNUTLS_KP_TLS_WWW_CLIENT
                                                 : GNUTLS_KP_TLS_WWW_SERVER);
  c->ndata++;
  c->ok = 1;
}

static void release(bcase_t *c) {
  tlsdiag_verifier_free(c->v);
  for (unsigned i = 0; i < c->nchain; i++) gnutls_x509_crt_deinit(c->chain[i]);
  free(c->chain);
  if (c->tl) gnutls_x509_trust_list_deinit(c->tl, 1);
  free(c->trusted);
  free(c->untrusted);
  free(c->crls);
}

typedef enum { M_WARM, M_COLD, M_BASELINE } mode_t_;

/* Verifies every prepared case once; returns the chains done. */
static size_t round_once(bcase_t *cs, size_t n, mode_t_ m, size_t *accepted) {
  size_t done = 0;
  for (size_t i = 0; i < n; i++) {
    bcase_t *c = &cs[i];
    if (!c->ok) continue;
    if (m == M_BASELINE) {
      unsigned st = 0;
      int rc = gnutls_x509_trust_list_verify_crt2(
          c->tl, c->chain, c->nchain, c->data, c->ndata,
          GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
              GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS,
          &st, NULL);
      if (rc == 0 && st == 0) (*accepted)++;
    } else {
      tlsdiag_result_t *r = NULL;
      tlsdiag_err_t e;
      if (m == M_WARM) {
        e = tlsdiag_verifier_verify(c->v, &c->in, &r);
      } else {
        tlsdiag_verify_input_t in = c->in;
        in.trusted = c->trusted;
        in.ntrusted = c->ntrusted;
        e = tlsdiag_verify_chain(&in, &c->opts, &r);
      }
      if (e == TLSDIAG_OK && tlsdiag_result_ok(r)) (*accepted)++;
      tlsdiag_result_free(r);
    }
    done++;
  }
  return done;
}

static double measure(bcase_t *cs, size_t n, mode_t_ m, double secs,
                      size_t *accepted_per_round) {
  size_t acc = 0;
  round_once(cs, n, m, &acc); /* warm-up (and the warm caches) */
  *accepted_per_round = acc;
  size_t chains = 0;
  double t0 = now_s(), t;
  do {
    size_t a = 0;
    chains += round_once(cs, n, m, &a);
    t = now_s();
  } while (t - t0 < secs);
  return (double)chains / (t - t0);
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : DEFAULT_LIMBO;
  double secs = argc > 2 ? atof(argv[2]) : 3.0;
  if (secs <= 0) secs = 3.0;
  json_error_t jerr;
  json_t *root = json_load_file(path, 0, &jerr);
  if (!root) {
    fprintf(stderr, "verify_bench: %s: %s\n", path, jerr.text);
    return 1;
  }
  if (tlsdiag_global_init() != TLSDIAG_OK) return 1;
  json_t *cases = json_object_get(root, "testcases");
  size_t n = json_array_size(cases), ready = 0;
  bcase_t *cs = calloc(n ? n : 1, sizeof(*cs));
  if (!cs) return 1;
  for (size_t i = 0; i < n; i++) {
    prepare(&cs[i], json_array_get(cases, i));
    ready += cs[i].ok ? 1u : 0u;
  }
  printf("x509-limbo: %zu cases, %zu prepared (%s)\n", n, ready, path);
  size_t acc_w, acc_c, acc_b;
  double warm = measure(cs, n, M_WARM, secs, &acc_w);
  double cold = measure(cs, n, M_COLD, secs, &acc_c);
  double base = measure(cs, n, M_BASELINE, secs, &acc_b);
  printf("%-48s %10.0f chains/s  (%zu accepted per round)\n",
         "tlsdiag verifier, warm (reused verifier)", warm, acc_w);
  printf("%-48s %10.0f chains/s  (%zu accepted per round)\n",
         "tlsdiag_verify_chain, cold (all from scratch)", cold, acc_c);
  printf("%-48s %10.0f chains/s  (%zu accepted per round)\n",
         "baseline: gnutls_x509_trust_list_verify_crt2", base, acc_b);
  printf("ratio warm/baseline %.2f, cold/baseline %.2f; goal >= 5000 chains/s: "
         "%s (warm)\n",
         base > 0 ? warm / base : 0.0, base > 0 ? cold / base : 0.0,
         warm >= 5000 ? "met" : "NOT met");
  for (size_t i = 0; i < n; i++) release(&cs[i]);
  free(cs);
  json_decref(root);
  tlsdiag_global_cleanup();
  return 0;
}
