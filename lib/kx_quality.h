/* kx_quality.h: key exchange and cipher quality of the negotiated suite
 * (finite-field DH groups, forward secrecy, legacy ciphers). */
#ifndef TD_KX_QUALITY_H
#define TD_KX_QUALITY_H

#include <stddef.h>
#include <stdint.h>

#include "tlsdiag/tlsdiag.h"

/* What the handshake negotiated, kept in the result (fixed size: no
 * allocation, nothing to free). Filled by td_kx_collect, read by the pure
 * td_kx_classify. */
typedef struct td_kx_facts {
  int collected;    /* 1 once a completed handshake was examined */
  int tls13;        /* TLS 1.3: AEAD only, named groups only */
  char kx[24];      /* GnuTLS names: "RSA", "DHE-RSA", "ECDHE-RSA" */
  char cipher[24];  /* "AES-128-CBC", "3DES-CBC", "AES-256-GCM" */
  char mac[16];     /* "SHA1", "AEAD" */
  int dhe;          /* finite-field DHE with server-chosen parameters */
  unsigned dh_bits; /* bits of the prime p */
  int dh_prime;     /* 1: p is (probably) prime, 0: composite, -1: unknown */
  int dh_safe;      /* 1: (p-1)/2 is prime too, 0: not, -1: unknown */
  int dh_g_small;   /* 1: g is 0, 1 or p-1 (order <= 2) */
  int dh_g_subgroup; /* safe p: 1 when g generates the order-q subgroup
                        (g^q = 1), 0 when its order is 2q, -1 unknown */
  uint64_t dh_g;    /* the generator, when it fits (dh_g_fits) */
  int dh_g_fits;
  const char *dh_group; /* well-known group's name (static), or NULL */
} td_kx_facts_t;

/* Judges p and g (big-endian magnitudes) with GMP: bits, primality,
 * safe-prime test, generator order, and whether p is a well-known group.
 * Fills the dh_* fields of *out (dhe = 1). Returns 0, or -1 when p or g
 * is empty. Pure; well-known primes skip the primality tests. */
int td_kx_dh_analyze(const unsigned char *p, size_t plen,
                     const unsigned char *g, size_t glen,
                     td_kx_facts_t *out);

/* The name of a well-known group with this prime, or NULL. */
const char *td_kx_dh_well_known(const unsigned char *p, size_t plen);

/* After a completed handshake: records the suite's parts into r->kx and,
 * for DHE in TLS 1.2 and older, the server's group (gnutls_dh_get_group)
 * judged by td_kx_dh_analyze. */
struct gnutls_session_int; /* gnutls_session_t, without its header */
void td_kx_collect(tlsdiag_result_t *r, struct gnutls_session_int *s);

/* Pure: tls_weak_dh, tls_no_forward_secrecy and tls_legacy_cipher from
 * r->kx (nothing when no handshake completed). */
void td_kx_classify(tlsdiag_result_t *r);

/* ---- browser_offer.c ----------------------------------------------------
 * Whether a browser would get through: what the handshake settled on
 * that Chrome does not offer, and the finding when a handshake offering
 * what Chrome offers (td_browser_priority, run by probe.c) failed. */
extern const char td_browser_priority[];
typedef struct td_browser_lack {
  const char *what;  /* "group", "key_exchange", "cipher", "signature",
                        "certificate_key" */
  const char *value; /* GnuTLS's name, borrowed from r */
  int firefox;       /* Firefox offers it */
} td_browser_lack_t;
/* The negotiated parameters (TLS 1.2/1.3 only) Chrome does not offer,
 * at most max into out; 0: nothing to probe. */
size_t td_browser_lacks(const tlsdiag_result_t *r, td_browser_lack_t *out,
                        size_t max);
/* Pure: tls_cipher_mismatch (an error, whether or not Firefox offers the
 * parts Chrome lacks: evidence firefox_offers) when the browser probe was
 * refused (r->bprobe). */
void td_browser_classify(tlsdiag_result_t *r);

#endif
