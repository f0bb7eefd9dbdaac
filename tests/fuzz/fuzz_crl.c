/* fuzz_crl.c: the verifier's CRL input (tlsdiag_verify_input_t.crls)
 * through the public API: PEM/DER reading, GnuTLS's CRL import, then
 * crl.c's reading (issuer, TBS and signature, cRLNumber, delta and
 * critical extensions, revoked serials) and its verdict for a fixed valid
 * path (fuzz leaf <- fuzz intermediate <- fuzz root, fuzz_x509.h). Every
 * record is a CRL; with flag 0x10 the harness signs it with the fuzz key,
 * so the verdict logic behind the signature check is reached.
 *
 * Properties: no crash or leak; an error has a one-line reason; a result
 * says "revoked" only if GnuTLS finds the leaf or the intermediate listed
 * in one of the CRLs (gnutls_x509_crt_check_revocation); and fail closed:
 * a CRL that GnuTLS verifies as signed by the certificate's issuer and
 * that lists the certificate never leaves the result ok. */
#include "fuzz_x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct crls {
  gnutls_x509_crl_t c[64];
  size_t n;
} crls_t;

static void add_crl(const gnutls_datum_t *der, void *ctx) {
  crls_t *l = ctx;
  if (l->n == 64 || gnutls_x509_crl_init(&l->c[l->n]) < 0) return;
  if (gnutls_x509_crl_import(l->c[l->n], der, GNUTLS_X509_FMT_DER) >= 0)
    l->n++;
  else
    gnutls_x509_crl_deinit(l->c[l->n]);
}

static gnutls_x509_crt_t crt(const char *pem) {
  gnutls_x509_crt_t c;
  gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
  if (gnutls_x509_crt_init(&c) < 0 ||
      gnutls_x509_crt_import(c, &d, GNUTLS_X509_FMT_PEM) < 0)
    abort();
  return c;
}

/* 1 if a CRL signed by issuer's key (as GnuTLS verifies it) lists c. */
static int listed_by_issuer(const crls_t *l, gnutls_x509_crt_t c,
                            gnutls_x509_crt_t issuer) {
  for (size_t i = 0; i < l->n; i++) {
    unsigned st = 1;
    if (gnutls_x509_crl_verify(l->c[i], &issuer, 1, 0, &st) >= 0 && st == 0 &&
        gnutls_x509_crt_check_revocation(c, &l->c[i], 1) == 1)
      return 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static gnutls_x509_crt_t leaf, inter, root;
  if (!leaf) {
    leaf = crt(fx_leaf_pem);
    inter = crt(fx_int_pem);
    root = crt(fx_root_pem);
  }
  fx_input_t in;
  fx_split(&in, data, size, FX_CRL);
  if (in.n[FX_CRL] == 0) {
    fx_free(&in);
    return 0;
  }
  crls_t l = {.n = 0};
  for (size_t i = 0; i < in.n[FX_CRL]; i++)
    fx_each_der(&in.blob[FX_CRL][i], fx_crl_labels, add_crl, &l);

  tlsdiag_blob_t chain[2] = {{fx_leaf_pem, sizeof(fx_leaf_pem) - 1},
                             {fx_int_pem, sizeof(fx_int_pem) - 1}};
  tlsdiag_blob_t anchor = {fx_root_pem, sizeof(fx_root_pem) - 1};
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.now = FX_NOW;
  tlsdiag_verify_input_t vi;
  tlsdiag_verify_input_init(&vi);
  vi.chain = chain;
  vi.nchain = 2;
  vi.trusted = &anchor;
  vi.ntrusted = 1;
  vi.crls = in.blob[FX_CRL];
  vi.ncrls = in.n[FX_CRL];
  vi.host = "www.example.com";
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t e = tlsdiag_verify_chain(&vi, &o, &r);
  if (e != TLSDIAG_OK) {
    FZ_ASSERT(e == TLSDIAG_E_INVAL && r == NULL, "error %d", (int)e);
  } else {
    if (tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_REVOKED) >= 0)
      FZ_ASSERT(gnutls_x509_crt_check_revocation(leaf, l.c, (unsigned)l.n) ==
                        1 ||
                    gnutls_x509_crt_check_revocation(inter, l.c,
                                                     (unsigned)l.n) == 1,
                "revoked, but no CRL lists the leaf or the intermediate");
    if (listed_by_issuer(&l, leaf, inter) || listed_by_issuer(&l, inter, root))
      FZ_ASSERT(!tlsdiag_result_ok(r),
                "a validly signed CRL lists a path certificate, yet the "
                "result is ok (cause %s)",
                tlsdiag_cause_name(tlsdiag_result_cause(r)));
    if (getenv("FX_DEBUG"))
      fprintf(stderr, "verdict: ok=%d cause=%s findings=%zu\n",
              tlsdiag_result_ok(r), tlsdiag_cause_name(tlsdiag_result_cause(r)),
              tlsdiag_result_finding_count(r));
    tlsdiag_result_free(r);
  }
  for (size_t i = 0; i < l.n; i++) gnutls_x509_crl_deinit(l.c[i]);
  fx_free(&in);
  return 0;
}
