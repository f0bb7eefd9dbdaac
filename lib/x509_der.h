/* x509_der.h: the one DER reader of libtlsdiag, and the decoding of
 * PEM/DER input blobs into DER objects. Shared by the verifier (x509_*.c),
 * crl.c and chain.c; it knows nothing of paths or rules, so those can use
 * it without depending on the verifier. Not installed. */
#ifndef TD_X509_DER_H
#define TD_X509_DER_H

#include <stddef.h>

#include <gnutls/gnutls.h>

#include "tlsdiag/tlsdiag.h"

/* Reads one DER element at p[0..n): tag (first octet), content and total
 * size. Returns 0, or -1 when truncated or not DER (indefinite length,
 * multi-byte tag, over-long length form). */
int td_der_next(const unsigned char *p, size_t n, unsigned *tag,
                const unsigned char **content, size_t *clen, size_t *total);

/* td_der_next, but accepting length octets that are not in the shortest
 * form (a leading zero, the long form for a length below 128). GnuTLS
 * imports such certificates; code that describes what GnuTLS accepted
 * (chain.c) must not read them more strictly than GnuTLS did. */
int td_der_next_lax(const unsigned char *p, size_t n, unsigned *tag,
                    const unsigned char **content, size_t *clen,
                    size_t *total);

/* A growable list of DER objects; the data is gnutls-allocated. */
typedef struct td_derlist {
  gnutls_datum_t *d;
  size_t n, cap;
} td_derlist_t;

void td_derlist_free(td_derlist_t *l); /* empties l; the struct stays */

/* Appends the DER objects of one kind (certificates, or CRLs when crl is
 * set) found in the blobs b[0..n) to out. A PEM blob gives every block
 * with an accepted label (other blocks, such as keys, are skipped); any
 * other blob must be one DER object. what names the blobs in err
 * ("trusted", "chain": "chain 2: empty"). Returns 0, -1 with err set, or
 * -2 on out-of-memory (err "out of memory"). */
int td_der_decode_all(const tlsdiag_blob_t *b, size_t n, int crl,
                      const char *what, td_derlist_t *out, char *err,
                      size_t errlen);

#endif
