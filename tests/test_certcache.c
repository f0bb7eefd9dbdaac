/* test_certcache.c: an engine's parsed certificates (lib/certcache.c). A
 * certificate taken from the cache has every field td_cert_parse gives it,
 * the same bytes are parsed once, the cache holds 128 certificates and
 * replaces the oldest, and what must not be kept (failed parses, very
 * large certificates) is parsed every time. Also: the fingerprint hashed
 * from the DER equals GnuTLS's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tdrun.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "engine.h"
#include "internal.h"
#include "tdcerts.h"

#define SLOTS 128 /* TD_CERT_CACHE_SLOTS */

typedef struct der {
  unsigned char *p;
  size_t n;
} der_t;

/* Every distinct certificate of the generated test PKIs, DER. */
static der_t *ders;
static size_t nders;

static int same_der(const der_t *a, const gnutls_datum_t *b) {
  return a->n == b->size && memcmp(a->p, b->data, b->size) == 0;
}

static void add_der(const gnutls_datum_t *d) {
  for (size_t i = 0; i < nders; i++)
    if (same_der(&ders[i], d)) return;
  der_t *n = realloc(ders, (nders + 1) * sizeof(*n));
  assert_non_null(n);
  ders = n;
  ders[nders].p = malloc(d->size);
  assert_non_null(ders[nders].p);
  memcpy(ders[nders].p, d->data, d->size);
  ders[nders].n = d->size;
  nders++;
}

static void add_chain(const char *pem) {
  gnutls_x509_crt_t *crts = NULL;
  unsigned n = 0;
  gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
  /* a case whose certificate GnuTLS refuses on purpose adds nothing */
  if (gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0) < 0)
    return;
  for (unsigned i = 0; i < n; i++) {
    gnutls_datum_t der;
    assert_int_equal(gnutls_x509_crt_export2(crts[i], GNUTLS_X509_FMT_DER,
                                             &der),
                     0);
    add_der(&der);
    gnutls_free(der.data);
    gnutls_x509_crt_deinit(crts[i]);
  }
  gnutls_free(crts);
}

static int group_setup(void **state) {
  (void)state;
  /* Sets until there are more than 128 distinct certificates (a set has
   * about 22; each has its own keys, so nothing repeats between sets). */
  for (int s = 0; s < 12 && nders <= SLOTS + 8; s++) {
    tdcerts_t *set = NULL;
    if (tdcerts_generate((int64_t)time(NULL), &set) != 0) return -1;
    add_chain(tdcerts_root_pem(set));
    add_chain(tdcerts_unknown_root_pem(set));
    for (size_t i = 0; i < tdcerts_case_count(set); i++)
      add_chain(tdcerts_case_at(set, i)->chain_pem);
    tdcerts_free(set);
  }
  if (nders <= SLOTS + 2) fprintf(stderr, "only %zu certificates\n", nders);
  return nders > SLOTS + 2 ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  for (size_t i = 0; i < nders; i++) free(ders[i].p);
  free(ders);
  return 0;
}

static void str_eq(const char *a, const char *b) {
  if (!a || !b) {
    assert_ptr_equal(a, b);
    return;
  }
  assert_string_equal(a, b);
}

/* Every field td_cert_parse fills. */
static void cert_eq(const td_cert_t *a, const td_cert_t *b) {
  str_eq(a->subject, b->subject);
  str_eq(a->issuer, b->issuer);
  str_eq(a->common_name, b->common_name);
  assert_int_equal(a->nsans, b->nsans);
  for (size_t i = 0; i < a->nsans; i++) {
    assert_int_equal(a->sans[i].type, b->sans[i].type);
    str_eq(a->sans[i].value, b->sans[i].value);
    assert_ptr_not_equal(a->sans[i].value, b->sans[i].value); /* a copy */
  }
  str_eq(a->serial, b->serial);
  assert_int_equal(a->not_before, b->not_before);
  assert_int_equal(a->not_after, b->not_after);
  str_eq(a->key_type, b->key_type);
  assert_int_equal(a->key_bits, b->key_bits);
  str_eq(a->sig_alg, b->sig_alg);
  assert_int_equal(a->sig_weak, b->sig_weak);
  assert_string_equal(a->sha256, b->sha256);
  assert_string_equal(a->spki_sha256, b->spki_sha256);
  assert_int_equal(a->is_ca, b->is_ca);
  assert_int_equal(a->self_issued, b->self_issued);
  assert_int_equal(a->self_signed, b->self_signed);
  str_eq(a->aia_ca_issuers, b->aia_ca_issuers);
  str_eq(a->ocsp_url, b->ocsp_url);
  assert_int_equal(a->der_len, b->der_len);
  assert_memory_equal(a->der, b->der, a->der_len);
  assert_ptr_not_equal(a->der, b->der);
  assert_string_equal(a->not_before_iso, b->not_before_iso);
  assert_string_equal(a->not_after_iso, b->not_after_iso);
  str_eq(a->sans_text, b->sans_text);
  assert_string_equal(a->key_bits_text, b->key_bits_text);
}

static void stats_are(const td_cert_cache_t *cc, size_t hits, size_t misses) {
  size_t h, m;
  td_cert_cache_stats(cc, &h, &m);
  assert_int_equal(h, hits);
  assert_int_equal(m, misses);
}

/* A certificate from the cache is the one td_cert_parse makes, for every
 * certificate of the set (leaves with DNS, IP, IDN and many SANs, AIA,
 * CAs, self-signed roots); the second parse of the same bytes is a hit. */
static void test_copy_equals_parse(void **state) {
  (void)state;
  td_cert_cache_t *cc = td_cert_cache_new();
  assert_non_null(cc);
  for (size_t i = 0; i < nders; i++) {
    td_cert_t direct, first, second;
    assert_int_equal(td_cert_parse(&direct, ders[i].p, ders[i].n), 0);
    assert_int_equal(td_cert_cache_parse(cc, &first, ders[i].p, ders[i].n), 0);
    assert_int_equal(td_cert_cache_parse(cc, &second, ders[i].p, ders[i].n),
                     0);
    cert_eq(&direct, &first);
    cert_eq(&direct, &second);
    td_cert_clear(&direct);
    td_cert_clear(&first);
    td_cert_clear(&second);
    stats_are(cc, i + 1, i + 1);
  }
  td_cert_cache_free(cc);
}

/* The fingerprint td_cert_parse hashes from the DER is GnuTLS's. */
static void test_fingerprint_is_gnutls(void **state) {
  (void)state;
  for (size_t i = 0; i < nders; i++) {
    td_cert_t c;
    assert_int_equal(td_cert_parse(&c, ders[i].p, ders[i].n), 0);
    gnutls_x509_crt_t crt;
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    gnutls_datum_t d = {ders[i].p, (unsigned)ders[i].n};
    assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER), 0);
    unsigned char fp[32];
    size_t n = sizeof(fp);
    assert_int_equal(
        gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &n), 0);
    char hex[65];
    for (size_t k = 0; k < 32; k++)
      snprintf(hex + 2 * k, 3, "%02x", fp[k]);
    assert_string_equal(c.sha256, hex);
    gnutls_x509_crt_deinit(crt);
    td_cert_clear(&c);
  }
}

static void parse_ok(td_cert_cache_t *cc, size_t i) {
  td_cert_t c;
  assert_int_equal(td_cert_cache_parse(cc, &c, ders[i].p, ders[i].n), 0);
  td_cert_clear(&c);
}

/* 128 certificates are kept: the first is still there after 127 others,
 * and gone after 128 others (replaced in turn). */
static void test_bounded(void **state) {
  (void)state;
  td_cert_cache_t *cc = td_cert_cache_new();
  assert_non_null(cc);
  for (size_t i = 0; i < SLOTS; i++) parse_ok(cc, i);
  stats_are(cc, 0, SLOTS);
  parse_ok(cc, 0); /* 127 others came after it: still kept */
  stats_are(cc, 1, SLOTS);
  parse_ok(cc, SLOTS); /* the 129th distinct one replaces the first */
  stats_are(cc, 1, SLOTS + 1);
  parse_ok(cc, 1); /* the second is still kept */
  stats_are(cc, 2, SLOTS + 1);
  parse_ok(cc, 0); /* the first was replaced: parsed again */
  stats_are(cc, 2, SLOTS + 2);
  td_cert_cache_free(cc);
}

/* What does not parse is parsed (and fails) every time, never kept; a
 * certificate over 16 KiB is parsed every time without a lookup; a NULL
 * cache parses. */
static void test_not_kept(void **state) {
  (void)state;
  td_cert_cache_t *cc = td_cert_cache_new();
  assert_non_null(cc);
  /* the first certificate, cut short: not a certificate */
  size_t half = ders[0].n / 2;
  for (int k = 0; k < 2; k++) {
    td_cert_t c;
    assert_int_equal(td_cert_cache_parse(cc, &c, ders[0].p, half), -1);
    td_cert_clear(&c);
  }
  stats_are(cc, 0, 2);

  char *root = NULL, *chain = NULL, *key = NULL;
  assert_int_equal(tdcerts_many_sans((int64_t)time(NULL), "big.tlsdiag.test",
                                     1000, &root, &chain, &key),
                   0);
  gnutls_x509_crt_t crt;
  assert_int_equal(gnutls_x509_crt_init(&crt), 0);
  gnutls_datum_t pem = {(unsigned char *)chain, (unsigned)strlen(chain)};
  assert_int_equal(gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM), 0);
  gnutls_datum_t der;
  assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der),
                   0);
  assert_true(der.size > 16 * 1024);
  for (int k = 0; k < 2; k++) {
    td_cert_t c;
    assert_int_equal(td_cert_cache_parse(cc, &c, der.data, der.size), 0);
    assert_int_equal(c.nsans, 1000); /* MAX_SANS kept, the rest counted */
    td_cert_clear(&c);
  }
  stats_are(cc, 0, 2); /* no lookup for it */

  td_cert_t c;
  assert_int_equal(td_cert_cache_parse(NULL, &c, ders[1].p, ders[1].n), 0);
  assert_non_null(c.subject);
  td_cert_clear(&c);
  gnutls_free(der.data);
  gnutls_x509_crt_deinit(crt);
  free(root);
  free(chain);
  free(key);
  td_cert_cache_free(cc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_copy_equals_parse),
      cmocka_unit_test(test_fingerprint_is_gnutls),
      cmocka_unit_test(test_bounded),
      cmocka_unit_test(test_not_kept),
  };
  return td_run_tests(tests, group_setup, group_teardown);
}
