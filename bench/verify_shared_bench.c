/* verify_shared_bench.c: chains/s for a sweep-like workload (issue 12
 * item 7, issue 15 item 1): the same chain (leaf + intermediate under the
 * test root) verified as a live check verifies it after the handshake
 * (td_verifier_run: path building, every rule, and GnuTLS's strict
 * verdict), N times, two ways:
 *   fresh   a verifier context per check (what every check did before
 *           engines shared one): parse and verify every signature again;
 *   shared  one context per engine, as now: the chain's certificates and
 *           signatures are remembered across checks.
 * The trust list is built once either way (the engine shares it).
 *
 * usage: verify_shared_bench [SECONDS_PER_MEASUREMENT]   (default 2)
 * Internal API (lib/verifier.h): linked with the library's objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tdcerts.h"
#include "verifier.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verifications per second for secs seconds; ctx NULL: a fresh context
 * per verification. */
static double rate(gnutls_x509_trust_list_t tl, td_vctx_t *shared,
                   const td_vreq_t *q, double secs, int *trusted) {
  size_t n = 0;
  double t0 = now_s(), t;
  do {
    for (int k = 0; k < 50; k++, n++) {
      td_vctx_t *x = shared ? shared : td_vctx_new(tl, 0);
      tlsdiag_result_t *r = td_result_new();
      if (!x || !r || td_verifier_run(x, q, r, 0) < 0) {
        fprintf(stderr, "verify_shared_bench: out of memory\n");
        exit(1);
      }
      *trusted = r->verify.trusted;
      tlsdiag_result_free(r);
      if (!shared) td_vctx_free(x);
    }
    t = now_s() - t0;
  } while (t < secs);
  return (double)n / t;
}

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 2.0;
  if (secs <= 0) secs = 2.0;
  tdcerts_t *set = NULL;
  if (gnutls_global_init() < 0 || tdcerts_generate(time(NULL), &set) < 0) {
    fprintf(stderr, "verify_shared_bench: test PKI generation failed\n");
    return 1;
  }
  const tdcerts_case_t *cs = tdcerts_case(set, "valid");
  gnutls_datum_t pem = {(unsigned char *)cs->chain_pem,
                        (unsigned)strlen(cs->chain_pem)};
  gnutls_x509_crt_t crts[8];
  unsigned ncrt = 8;
  gnutls_datum_t der[8];
  gnutls_datum_t root = {(unsigned char *)tdcerts_root_pem(set),
                         (unsigned)strlen(tdcerts_root_pem(set))};
  gnutls_x509_trust_list_t tl;
  if (gnutls_x509_crt_list_import(crts, &ncrt, &pem, GNUTLS_X509_FMT_PEM,
                                  0) < 0 ||
      gnutls_x509_trust_list_init(&tl, 0) < 0 ||
      gnutls_x509_trust_list_add_trust_mem(tl, &root, NULL,
                                           GNUTLS_X509_FMT_PEM, 0, 0) <= 0) {
    fprintf(stderr, "verify_shared_bench: bad test chain\n");
    return 1;
  }
  for (unsigned i = 0; i < ncrt; i++)
    gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER, &der[i]);
  td_vreq_t q;
  memset(&q, 0, sizeof(q));
  q.chain = der;
  q.nchain = ncrt;
  q.name = cs->hostname;
  q.now = tdcerts_now(set);
  q.purpose = TLSDIAG_PURPOSE_SERVER;
  q.max_depth = -1;
  int tf = 0, ts = 0;
  double fresh = rate(tl, NULL, &q, secs, &tf);
  td_vctx_t *x = td_vctx_new(tl, 0);
  double shared = rate(tl, x, &q, secs, &ts);
  td_vctx_free(x);
  printf("chain: %s (%u certificates), trusted %d/%d\n", cs->hostname, ncrt,
         tf, ts);
  printf("fresh verifier per check : %8.0f chains/s\n", fresh);
  printf("one verifier per engine  : %8.0f chains/s (%.1fx)\n", shared,
         shared / fresh);
  for (unsigned i = 0; i < ncrt; i++) {
    gnutls_free(der[i].data);
    gnutls_x509_crt_deinit(crts[i]);
  }
  gnutls_x509_trust_list_deinit(tl, 1);
  tdcerts_free(set);
  return tf && ts ? 0 : 2;
}
