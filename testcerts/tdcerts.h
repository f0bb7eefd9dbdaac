/* tdcerts.h: generates the test PKI (roots, intermediates, one leaf per
 * failure case) used by the tests, `tlsdiag demo` and the benchmarks.
 *
 * Everything is made in memory in one call, with validity dates relative to
 * a caller-given "now", so the set is fresh on every run and tests can move
 * the clock instead of sleeping. Nothing is printed and nothing global is
 * kept: separate sets may be generated and used from different threads.
 *
 * Hierarchy:
 *   "tlsdiag Test Root CA"     (the trust anchor: tdcerts_root_pem)
 *     -> "tlsdiag Test Intermediate CA"  (tdcerts_intermediate_pem)
 *          -> the leaves of most cases
 *   "tlsdiag Unknown Root CA"  (trusted by nobody: tdcerts_unknown_root_pem)
 *     -> "tlsdiag Unknown Intermediate CA" -> the "unknown_root" leaf
 *
 * Errors are negative GnuTLS codes (gnutls_strerror() gives the text) or,
 * for file output, negative errno values. */
#ifndef TDCERTS_H
#define TDCERTS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tdcerts tdcerts_t;

/* One test case: a server certificate chain and its key. Owned by the set;
 * every pointer stays valid until tdcerts_free(). */
typedef struct tdcerts_case {
  const char *name;        /* fixed case name, e.g. "expired" */
  const char *hostname;    /* the name a client should check (UTF-8) */
  const char *description; /* one line, e.g. "leaf expired 10 days ago" */
  char *chain_pem;         /* what the server sends: leaf first, then CAs */
  char *key_pem;           /* the leaf's private key, PKCS#8 PEM */
  unsigned char *ocsp_der; /* OCSP response to staple, or NULL */
  size_t ocsp_len;
} tdcerts_case_t;

/* Generates the whole set with validity dates relative to `now` (Unix
 * seconds; must lie between 1980 and 9989 so every date is encodable).
 * On success stores a new set in *out (free it with tdcerts_free) and
 * returns 0. Otherwise returns a negative GnuTLS error
 * (GNUTLS_E_INVALID_REQUEST for a bad argument, GNUTLS_E_MEMORY_ERROR, ...)
 * and sets *out to NULL. Takes well under a second (two RSA keys; the rest
 * is ECDSA P-256). */
int tdcerts_generate(int64_t now, tdcerts_t **out);

/* The case called `name`, or NULL if there is none (or set is NULL). */
const tdcerts_case_t *tdcerts_case(const tdcerts_t *set, const char *name);
/* Number of cases, and the i-th in a fixed order (NULL if i is too big). */
size_t tdcerts_case_count(const tdcerts_t *set);
const tdcerts_case_t *tdcerts_case_at(const tdcerts_t *set, size_t i);

/* CA certificates as PEM, borrowed from the set. */
const char *tdcerts_root_pem(const tdcerts_t *set);         /* trust anchor */
const char *tdcerts_intermediate_pem(const tdcerts_t *set); /* under root */
const char *tdcerts_unknown_root_pem(const tdcerts_t *set); /* untrusted */
const char *tdcerts_unknown_intermediate_pem(const tdcerts_t *set);
/* The `now` the set was generated for. */
int64_t tdcerts_now(const tdcerts_t *set);
/* A CRL (PEM) issued by the intermediate that revokes the leaf of case
 * "revoked" (revocation date now-1d; cRLNumber 1; valid now-1h..now+7d).
 * Borrowed from the set; NULL for NULL. */
const char *tdcerts_crl_pem(const tdcerts_t *set);

/* Writes the set into `dir` (created if missing, mode 0755): root.pem,
 * unknown-root.pem, intermediate.pem, intermediate.crl.pem (the CRL
 * above), and per case CASE.chain.pem,
 * CASE.key.pem (mode 0600) and CASE.ocsp.der when the case has one, plus
 * manifest.txt (one "name<TAB>hostname<TAB>description" line per case).
 * Existing files are replaced. Returns 0, or -errno of the first failure. */
int tdcerts_write_dir(const tdcerts_t *set, const char *dir);

/* Outside the set (it is large and few need it): a fresh root ("tlsdiag
 * Many SANs Root CA") and an ECDSA leaf for `hostname` signed by it whose
 * subjectAltName lists nsans names "nNNNNN.many-sans.tlsdiag.test" and
 * then hostname, the last entry (4,000 names make a ~120 kB certificate,
 * over the 100 KiB browsers accept). Dates: now-30d..now+90d. On success
 * *out_root, *out_chain (the leaf) and *out_key (PKCS#8 PEM) are malloc'd
 * and 0 is returned; else a negative GnuTLS error and all three NULL. */
int tdcerts_many_sans(int64_t now, const char *hostname, size_t nsans,
                      char **out_root, char **out_chain, char **out_key);

/* Also outside the set: a fresh self-signed root called root_cn (CA,
 * now-10y..now+10y, trusted by nothing until the caller says so) and an
 * ECDSA leaf for `hostname` (its only SAN) signed directly by it, with the
 * AIA URLs of case "no_intermediate" (caIssuers
 * http://aia.tlsdiag.test/intermediate.der, OCSP http://ocsp.tlsdiag.test/),
 * now-30d..now+90d: a private CA's server that sends only its leaf. Each
 * call makes new keys. Returns as tdcerts_many_sans. */
int tdcerts_private_root(int64_t now, const char *hostname,
                         const char *root_cn, char **out_root,
                         char **out_chain, char **out_key);

/* The SHA-256 of the SubjectPublicKeyInfo (DER) of the first certificate
 * in pem, as 64 lowercase hex digits and a NUL in out (what
 * `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum`
 * prints). Returns 0 or a negative GnuTLS error. */
int tdcerts_spki_sha256(const char *pem, char out[65]);

/* Outside the set: a chain only path building verifies. A fresh root
 * ("tlsdiag Two Paths Root CA", *out_root), an intermediate under it, the
 * same intermediate (name and key) cross-signed by a root nobody trusts,
 * and an ECDSA leaf for hostname (SANs hostname and 127.0.0.1, now-30d ..
 * now+90d). *out_chain is what the server sends: leaf, the cross-signed
 * intermediate, then the intermediate under the root. A client that
 * follows the chain as sent (GnuTLS 3.7.9) reaches the untrusted root;
 * one that builds paths finds the trusted one. Returns 0 with the three
 * strings malloc'd, or a negative GnuTLS error and all three NULL. */
int tdcerts_cross_signed(int64_t now, const char *hostname, char **out_root,
                         char **out_chain, char **out_key);
/* The same shape, but the second certificate is a self-issued CA (the
 * intermediate's name, a new key, signed by the intermediate) that issues
 * the leaf, under an intermediate with pathLenConstraint 0. RFC 5280
 * (6.1.4 (l)) does not count self-issued certificates against the path
 * length, so tlsdiag's verifier accepts; GnuTLS 3.7.9 counts it and
 * rejects (signer's constraints): the verifiers disagree. */
int tdcerts_self_issued(int64_t now, const char *hostname, char **out_root,
                        char **out_chain, char **out_key);

/* A copy of the ECDSA-SHA256-signed certificate in pem whose outer
 * signatureAlgorithm says ecdsa-with-SHA384 while the signed part says
 * SHA-256 (RFC 5280 4.1.1.2 requires them equal): GnuTLS refuses to parse
 * it, OpenSSL loads it. malloc'd PEM, or NULL (not such a certificate, no
 * memory). */
char *tdcerts_mismatched_sigalg(const char *pem);

/* Frees the set and every case in it. NULL is ok. */
void tdcerts_free(tdcerts_t *set);

#ifdef __cplusplus
}
#endif

#endif /* TDCERTS_H */
