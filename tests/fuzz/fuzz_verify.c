/* fuzz_verify.c: the offline path validator through its public API
 * (tlsdiag_verifier_new with trusted blobs, tlsdiag_verifier_verify, or
 * tlsdiag_verify_chain): its PEM and DER reading, then what it parses of
 * each certificate (names, SANs, name constraints, AKI/SKI, EKU, key
 * usage, basic constraints) and the path rules. Input: a header byte
 * (bit 0: client purpose; bits 1-3: max_depth, 7 = none; bit 4:
 * expiring_within_days 30; bit 5: the one-shot call) then the records of
 * fuzz_x509.h; with no trusted record, the fuzz root is the anchor.
 *
 * Properties: no crash or leak; an error has a one-line reason; a result
 * is valid JSON; verifying the same input again with the same verifier
 * (its caches warm) gives the same verdict; and "never trust bytes GnuTLS
 * cannot parse": a verdict of success only if GnuTLS itself imports
 * (gnutls_x509_crt_import) every certificate of the accepted path, each
 * one found, by its SHA-256, among the input's certificates. */
#include <jansson.h>

#include "fuzz_x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fps {
  unsigned char fp[64][32];
  size_t n;
} fps_t;

static void add_fp(const gnutls_datum_t *der, void *ctx) {
  fps_t *f = ctx;
  gnutls_x509_crt_t c;
  if (f->n == 64 || gnutls_x509_crt_init(&c) < 0) return;
  size_t sz = 32;
  if (gnutls_x509_crt_import(c, der, GNUTLS_X509_FMT_DER) >= 0 &&
      gnutls_x509_crt_get_fingerprint(c, GNUTLS_DIG_SHA256, f->fp[f->n],
                                      &sz) >= 0 &&
      sz == 32)
    f->n++;
  gnutls_x509_crt_deinit(c);
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* 1 if hex (64 digits, maybe ':'-separated) is one of the fingerprints. */
static int known_fp(const fps_t *f, const char *hex) {
  unsigned char fp[32];
  size_t k = 0;
  for (const char *s = hex; *s && k < 64; s++) {
    if (*s == ':') continue;
    int v = hexval(*s);
    if (v < 0) return 0;
    if (k % 2 == 0) fp[k / 2] = (unsigned char)(v << 4);
    else fp[k / 2] |= (unsigned char)v;
    k++;
  }
  if (k != 64) return 0;
  for (size_t i = 0; i < f->n; i++)
    if (!memcmp(f->fp[i], fp, 32)) return 1;
  return 0;
}

static int same(const char *a, const char *b) {
  return a && b && strcmp(a, b) == 0;
}

/* The accepted path as the result shows it: the leaf, then each next
 * certificate of the chain that is the issuer of the one before. */
static void check_path(const tlsdiag_result_t *r, const fps_t *f) {
  size_t n = tlsdiag_result_chain_length(r);
  FZ_ASSERT(n >= 1, "a verdict of success with no certificate");
  for (size_t i = 0; i < n; i++) {
    const char *fp = tlsdiag_result_cert_field(r, i, "sha256_fingerprint");
    FZ_ASSERT(fp && known_fp(f, fp),
              "success, but path certificate %zu (%s) is not one GnuTLS "
              "imports from the input",
              i, fp ? fp : "no fingerprint");
    const char *sub = tlsdiag_result_cert_field(r, i, "subject");
    const char *iss = tlsdiag_result_cert_field(r, i, "issuer");
    if (i + 1 >= n || same(sub, iss) ||
        !same(iss, tlsdiag_result_cert_field(r, i + 1, "subject")))
      break;
  }
}

static void check_err(const char *why) {
  FZ_ASSERT(why && *why, "an error without a reason");
  FZ_ASSERT(!strchr(why, '\n'), "reason is more than one line: %s", why);
}

static void check_json(const tlsdiag_result_t *r) {
  char *out = NULL;
  size_t len = 0;
  if (tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &out, &len) !=
      TLSDIAG_OK)
    return; /* out of memory */
  json_error_t err;
  json_t *j = json_loadb(out, len, 0, &err);
  FZ_ASSERT(j != NULL, "result JSON invalid: %s", err.text);
  json_decref(j);
  tlsdiag_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned hdr = data[0];
  fx_input_t in;
  fx_split(&in, data + 1, size - 1, -1);
  tlsdiag_blob_t root = {fx_root_pem, sizeof(fx_root_pem) - 1};
  const tlsdiag_blob_t *trusted = in.n[FX_TRUSTED] ? in.blob[FX_TRUSTED] : &root;
  size_t ntrusted = in.n[FX_TRUSTED] ? in.n[FX_TRUSTED] : 1;

  fps_t fps = {.n = 0};
  for (int role = FX_CHAIN; role <= FX_TRUSTED; role++)
    for (size_t i = 0; i < in.n[role]; i++)
      fx_each_der(&in.blob[role][i], fx_cert_labels, add_fp, &fps);
  if (!in.n[FX_TRUSTED]) fx_each_der(&root, fx_cert_labels, add_fp, &fps);

  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.now = FX_NOW;
  tlsdiag_verify_input_t vi;
  tlsdiag_verify_input_init(&vi);
  vi.chain = in.blob[FX_CHAIN];
  vi.nchain = in.n[FX_CHAIN];
  vi.untrusted = in.blob[FX_UNTRUSTED];
  vi.nuntrusted = in.n[FX_UNTRUSTED];
  vi.crls = in.blob[FX_CRL];
  vi.ncrls = in.n[FX_CRL];
  vi.host = in.host;
  vi.purpose = hdr & 1 ? TLSDIAG_PURPOSE_CLIENT : TLSDIAG_PURPOSE_SERVER;
  vi.max_depth = (hdr >> 1 & 7) == 7 ? -1 : (int)(hdr >> 1 & 7);
  vi.expiring_within_days = hdr & 0x10 ? 30 : -1;

  tlsdiag_result_t *r = NULL;
  if (hdr & 0x20) {
    vi.trusted = trusted;
    vi.ntrusted = ntrusted;
    tlsdiag_err_t e = tlsdiag_verify_chain(&vi, &o, &r);
    if (e == TLSDIAG_OK) {
      if (tlsdiag_result_ok(r)) check_path(r, &fps);
      check_json(r);
      tlsdiag_result_free(r);
    } else {
      FZ_ASSERT(r == NULL, "an error with a result");
    }
    fx_free(&in);
    return 0;
  }

  tlsdiag_verifier_t *v = NULL;
  char err[256];
  memset(err, 'x', sizeof(err));
  tlsdiag_err_t e = tlsdiag_verifier_new(&o, trusted, ntrusted, &v, err,
                                         sizeof(err));
  if (e != TLSDIAG_OK) {
    FZ_ASSERT(v == NULL, "a failed verifier_new returned a verifier");
    FZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL, "reason unterminated");
    check_err(err);
    fx_free(&in);
    return 0;
  }
  e = tlsdiag_verifier_verify(v, &vi, &r);
  if (e != TLSDIAG_OK) {
    FZ_ASSERT(r == NULL, "an error with a result");
    check_err(tlsdiag_verifier_error(v));
  } else {
    int ok = tlsdiag_result_ok(r);
    if (ok) check_path(r, &fps);
    check_json(r);
    if (getenv("FX_DEBUG"))
      fprintf(stderr, "verdict: ok=%d cause=%s findings=%zu\n",
              tlsdiag_result_ok(r), tlsdiag_cause_name(tlsdiag_result_cause(r)),
              tlsdiag_result_finding_count(r));
    tlsdiag_result_t *r2 = NULL;
    FZ_ASSERT(tlsdiag_verifier_verify(v, &vi, &r2) == TLSDIAG_OK,
              "the second verification failed");
    FZ_ASSERT(tlsdiag_result_ok(r2) == ok &&
                  tlsdiag_result_cause(r2) == tlsdiag_result_cause(r) &&
                  tlsdiag_result_finding_count(r2) ==
                      tlsdiag_result_finding_count(r) &&
                  tlsdiag_result_chain_length(r2) ==
                      tlsdiag_result_chain_length(r),
              "the same input verified twice: %s/%zu then %s/%zu",
              tlsdiag_cause_name(tlsdiag_result_cause(r)),
              tlsdiag_result_finding_count(r),
              tlsdiag_cause_name(tlsdiag_result_cause(r2)),
              tlsdiag_result_finding_count(r2));
    tlsdiag_result_free(r2);
    tlsdiag_result_free(r);
  }
  tlsdiag_verifier_free(v);
  fx_free(&in);
  return 0;
}
