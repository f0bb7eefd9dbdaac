/* kx_quality.c: key exchange and cipher quality of the negotiated suite:
 * the server's finite-field DH group (size, primality, safe prime,
 * generator; GMP does the arithmetic), static RSA key exchange (no forward
 * secrecy), and legacy ciphers (CBC, 3DES, RC4, NULL, SHA-1/MD5 MACs). */
#include <stdio.h>
#include <string.h>

#include <gmp.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "internal.h"

/* ---- well-known groups ---------------------------------------------------
 * Identified by the SHA-256 of the prime (big-endian, no leading zero), so
 * the table stays small. The values were computed from the primes printed
 * by OpenSSL 3.0 (`openssl genpkey -genparam -algorithm DH -pkeyopt
 * group:modp_2048`, ffdhe2048, ...) and, for RFC 2409 group 2, from the
 * formula of RFC 2409 6.2 (2^1024 - 2^960 - 1 + 2^64 * ([2^894 pi] +
 * 129093)), checked to be a safe prime. */
typedef struct {
  const char *name;
  unsigned bits;
  const char *sha256;
} known_group_t;

static const known_group_t known_groups[] = {
    {"RFC 7919 ffdhe2048", 2048,
     "9cd3b7f336872f46c09428d1bbc19877a4d440512cda8d1c1cf0cd6e33698966"},
    {"RFC 7919 ffdhe3072", 3072,
     "0eaf67db3a839156d5013494a5318a772b5697d270d721f37f092efc69ea5a17"},
    {"RFC 7919 ffdhe4096", 4096,
     "4648414224ac881b3d0dc59b466f96d06a558278776807797ecf1f66ff397b3e"},
    {"RFC 7919 ffdhe6144", 6144,
     "227ac9066b3ddd9e193670cda2388fa884f65ba0cf98b742d1fe77a6687c79c7"},
    {"RFC 7919 ffdhe8192", 8192,
     "770b14efaf6f049929c523113b3fa99a8d11dab1b18af3609590122075d19833"},
    /* Apache httpd 2.4.7+ served this one with 1024-bit RSA keys. */
    {"RFC 2409 group 2 (1024-bit MODP)", 1024,
     "3f35a3f5f6c4376a744acad409bb22f8d897f949d2311d885adaa890981b67a0"},
    {"RFC 3526 1536-bit MODP group", 1536,
     "64fcc83ec403930bf18393dbc883ccaa1fbb08ac876f77f7aa99748ca945019b"},
    {"RFC 3526 2048-bit MODP group", 2048,
     "d66436f79bbd6b2e38c0ffbd079be904d2641415e2e67140e09448be9a60890e"},
    {"RFC 3526 3072-bit MODP group", 3072,
     "48cf8b092fbce4359d9871abf74f98e25b6163379eaa15cd9087e800c6d1c55c"},
    {"RFC 3526 4096-bit MODP group", 4096,
     "4ee95187682bcb230ad26a95205f6920e84708f6251b3894329b09ec23919e33"},
    {"RFC 3526 6144-bit MODP group", 6144,
     "d1bfe6d0925ce7e4da262b62861514a7755e35831e429f343e7b864848657efd"},
    {"RFC 3526 8192-bit MODP group", 8192,
     "39ab4feab950a3128fb71accb9fc3965d857012e081998a85996e3ea8b3c3bcf"},
};

const char *td_kx_dh_well_known(const unsigned char *p, size_t plen) {
  while (plen > 0 && *p == 0) { /* a DER integer may carry a 0x00 */
    p++;
    plen--;
  }
  if (plen == 0 || plen > 1024) return NULL;
  unsigned char d[32];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, p, plen, d) < 0) return NULL;
  char hex[65];
  for (size_t i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", d[i]);
  for (size_t i = 0; i < sizeof(known_groups) / sizeof(known_groups[0]); i++)
    if (known_groups[i].bits == plen * 8 &&
        strcmp(known_groups[i].sha256, hex) == 0)
      return known_groups[i].name;
  return NULL;
}

/* mpz_probab_prime_p: GMP 6.2 runs Baillie-PSW first; up to 24 reps add
 * no Miller-Rabin rounds, and BPSW has no known pseudoprime. */
#define PRIME_REPS 24
/* Larger than any group in use (ffdhe8192); beyond it, no tests. */
#define KX_TEST_MAX_BITS 8192

int td_kx_dh_analyze(const unsigned char *p, size_t plen,
                     const unsigned char *g, size_t glen,
                     td_kx_facts_t *out) {
  if (!p || !plen || !g || !glen) return -1;
  out->dhe = 1;
  out->dh_prime = out->dh_safe = out->dh_g_subgroup = -1;
  out->dh_g_small = 0;
  mpz_t P, G, Q, T;
  mpz_inits(P, G, Q, T, NULL);
  mpz_import(P, plen, 1, 1, 1, 0, p);
  mpz_import(G, glen, 1, 1, 1, 0, g);
  out->dh_bits = (unsigned)mpz_sizeinbase(P, 2);
  out->dh_g_fits = mpz_sizeinbase(G, 2) <= 64;
  out->dh_g = 0;
  if (out->dh_g_fits) {
    size_t n = 0;
    unsigned char b[8] = {0};
    mpz_export(b, &n, 1, 1, 1, 0, G); /* n <= 8: checked above */
    for (size_t i = 0; i < n; i++) out->dh_g = (out->dh_g << 8) | b[i];
  }
  out->dh_group = td_kx_dh_well_known(p, plen);
  /* g in {0, 1, p-1}: order 1 or 2, the "shared secret" is guessable. */
  mpz_sub_ui(T, P, 1);
  if (mpz_cmp_ui(G, 1) <= 0 || mpz_cmp(G, T) >= 0) out->dh_g_small = 1;
  if (out->dh_group) {
    /* Published safe primes: no need to spend the arithmetic. */
    out->dh_prime = out->dh_safe = 1;
  } else if (out->dh_bits > KX_TEST_MAX_BITS) {
    /* A hostile server's huge modulus must not hold the check past its
     * deadline in primality tests: left untested (-1), said as such. */
  } else {
    out->dh_prime = mpz_probab_prime_p(P, PRIME_REPS) ? 1 : 0;
    if (out->dh_prime) {
      mpz_fdiv_q_2exp(Q, T, 1); /* q = (p-1)/2 */
      out->dh_safe = mpz_probab_prime_p(Q, PRIME_REPS) ? 1 : 0;
    }
  }
  if (out->dh_safe == 1 && !out->dh_g_small) {
    /* For p = 2q+1 the order of g is 1, 2, q or 2q: g^q = 1 means q. */
    mpz_sub_ui(Q, P, 1);
    mpz_fdiv_q_2exp(Q, Q, 1);
    mpz_powm(T, G, Q, P);
    out->dh_g_subgroup = mpz_cmp_ui(T, 1) == 0;
  }
  mpz_clears(P, G, Q, T, NULL);
  return 0;
}

static void copy_name(char *dst, size_t n, const char *v) {
  snprintf(dst, n, "%s", v ? v : "");
}

void td_kx_collect(tlsdiag_result_t *r, struct gnutls_session_int *s) {
  td_kx_facts_t *k = &r->kx;
  memset(k, 0, sizeof(*k));
  k->collected = 1;
  k->tls13 = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3;
  gnutls_kx_algorithm_t kx = gnutls_kx_get(s);
  copy_name(k->kx, sizeof(k->kx), gnutls_kx_get_name(kx));
  copy_name(k->cipher, sizeof(k->cipher),
            gnutls_cipher_get_name(gnutls_cipher_get(s)));
  copy_name(k->mac, sizeof(k->mac), gnutls_mac_get_name(gnutls_mac_get(s)));
  /* TLS 1.3 negotiates named groups only (RFC 7919's), nothing to judge. */
  if (k->tls13 || (kx != GNUTLS_KX_DHE_RSA && kx != GNUTLS_KX_DHE_DSS))
    return;
  gnutls_datum_t gen = {NULL, 0}, prime = {NULL, 0};
  if (gnutls_dh_get_group(s, &gen, &prime) == 0)
    (void)td_kx_dh_analyze(prime.data, prime.size, gen.data, gen.size, k);
  else {
    k->dhe = 1;
    k->dh_bits = (unsigned)gnutls_dh_get_prime_bits(s);
    k->dh_prime = k->dh_safe = k->dh_g_subgroup = -1;
  }
  gnutls_free(gen.data);
  gnutls_free(prime.data);
}

/* ---- classification (pure) ---------------------------------------------- */

static const char browsers_dhe[] =
    "Chrome removed DHE key exchange in 2016 (Chrome 53), Firefox in 2020 "
    "(Firefox 78); curl/OpenSSL 3 refuse DH groups under 2048 bits at their "
    "default security level";

static void classify_dh(tlsdiag_result_t *r, const td_kx_facts_t *k) {
  const char *reason = NULL, *why = NULL;
  if (k->dh_prime == 0) {
    reason = "composite_modulus";
    why = "the modulus is not a prime";
  } else if (k->dh_g_small) {
    reason = "small_subgroup_generator";
    why = "the generator has order 1 or 2";
  } else if (k->dh_bits < 2048) {
    reason = "small_prime";
    why = "a group under 2048 bits is within reach of precomputation "
          "(Logjam, 2015)";
  } else if (k->dh_safe == 0) {
    reason = "not_safe_prime";
    why = "(p-1)/2 is not prime, so the generator's subgroup is unknown to "
          "the client, which cannot check the server's public value";
  }
  if (!reason) return;
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_TLS_WEAK_DH, TLSDIAG_SEVERITY_ERROR,
      "the server's DHE group is weak: %u-bit%s%s%s; %s", k->dh_bits,
      k->dh_group ? " " : "", k->dh_group ? k->dh_group : "",
      k->dh_group ? "" : " custom group", why);
  if (!f) return;
  td_ev_str(f, "suite", r->tls_cipher ? r->tls_cipher : "");
  td_ev_int(f, "bits", k->dh_bits);
  td_ev_str(f, "reason", reason);
  td_ev_bool(f, "well_known", k->dh_group != NULL);
  if (k->dh_group) td_ev_str(f, "group", k->dh_group);
  if (k->dh_prime >= 0) td_ev_bool(f, "prime", k->dh_prime);
  if (k->dh_safe >= 0) td_ev_bool(f, "safe_prime", k->dh_safe);
  if (k->dh_g_fits) td_ev_int(f, "generator", (int64_t)(k->dh_g & INT64_MAX));
  if (k->dh_g_subgroup >= 0)
    td_ev_str(f, "generator_order", k->dh_g_subgroup ? "q" : "2q");
  td_ev_str(f, "browsers", browsers_dhe);
}

static void classify_rsa_kx(tlsdiag_result_t *r, const td_kx_facts_t *k) {
  if (k->tls13 || strcmp(k->kx, "RSA") != 0) return;
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_TLS_NO_FORWARD_SECRECY, TLSDIAG_SEVERITY_WARNING,
      "%s uses static RSA key exchange: whoever obtains the server's "
      "private key can decrypt recorded traffic",
      r->tls_cipher ? r->tls_cipher : "the suite");
  if (!f) return;
  td_ev_str(f, "suite", r->tls_cipher ? r->tls_cipher : "");
  td_ev_str(f, "kx", "RSA");
  td_ev_str(f, "browsers",
            "Chrome's security panel has called RSA key exchange obsolete "
            "since 2018 and Chrome 131 (2024) no longer offers it; TLS 1.3 "
            "removed it");
}

static int has(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

static void classify_cipher(tlsdiag_result_t *r, const td_kx_facts_t *k) {
  if (k->tls13 || !k->cipher[0]) return;
  const char *props[6];
  size_t n = 0;
  const char *c = k->cipher;
  if (has(c, "3DES")) props[n++] = "3des";
  else if (has(c, "ARCFOUR") || has(c, "RC4")) props[n++] = "rc4";
  else if (strcmp(c, "NULL") == 0) props[n++] = "null_cipher";
  if (has(c, "CBC")) props[n++] = "cbc";
  if (strcmp(k->mac, "SHA1") == 0) props[n++] = "sha1_mac";
  else if (strcmp(k->mac, "MD5") == 0) props[n++] = "md5_mac";
  if (n == 0) return;
  int removed = strcmp(props[0], "3des") == 0 || strcmp(props[0], "rc4") == 0 ||
                strcmp(props[0], "null_cipher") == 0;
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_TLS_LEGACY_CIPHER, TLSDIAG_SEVERITY_WARNING,
      "%s is a legacy suite (%s%s%s%s%s); modern clients want AES-GCM or "
      "ChaCha20-Poly1305",
      r->tls_cipher ? r->tls_cipher : "the suite", props[0],
      n > 1 ? ", " : "", n > 1 ? props[1] : "", n > 2 ? ", " : "",
      n > 2 ? props[2] : "");
  if (!f) return;
  td_ev_str(f, "suite", r->tls_cipher ? r->tls_cipher : "");
  td_ev_list(f, "properties", props, n);
  td_ev_str(f, "cipher", k->cipher);
  td_ev_str(f, "mac", k->mac);
  td_ev_str(f, "browsers",
            removed ? "browsers removed RC4 in 2016 and 3DES in 2021 (Chrome "
                      "93, Firefox 93) and never offer NULL ciphers"
                    : "Chrome's security panel calls CBC-mode and SHA-1 MAC "
                      "suites obsolete; TLS 1.3 removed them");
}

void td_kx_classify(tlsdiag_result_t *r) {
  const td_kx_facts_t *k = &r->kx;
  if (!k->collected) return;
  if (k->dhe) classify_dh(r, k);
  classify_rsa_kx(r, k);
  classify_cipher(r, k);
}
