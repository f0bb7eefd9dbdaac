/* test_chain.c: certificate fields, from certificates built right here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdrun.h"
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "internal.h"

#define NOT_BEFORE 1700000000 /* 2023-11-14T22:13:20Z */
#define NOT_AFTER 1800000000  /* 2027-01-15T08:00:00Z */

static const unsigned char SERIAL[] = {0x01, 0xa2, 0xb3, 0xc4,
                                       0xd5, 0xe6, 0xf7};

/* Keys and a CA shared by the tests (generated once: RSA is slow). */
static struct {
  gnutls_x509_privkey_t ca_key, leaf_key, rsa_key, other_key;
  gnutls_x509_crt_t ca;
} k;

static gnutls_x509_privkey_t gen_key(gnutls_pk_algorithm_t pk,
                                     unsigned bits) {
  gnutls_x509_privkey_t key;
  assert_int_equal(gnutls_x509_privkey_init(&key), 0);
  assert_int_equal(gnutls_x509_privkey_generate(key, pk, bits, 0), 0);
  return key;
}

static gnutls_x509_privkey_t gen_ec(gnutls_ecc_curve_t curve) {
  return gen_key(GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(curve));
}

/* A v3 certificate for key with the shared serial and dates. */
static gnutls_x509_crt_t new_crt(gnutls_x509_privkey_t key, const char *cn) {
  gnutls_x509_crt_t c;
  assert_int_equal(gnutls_x509_crt_init(&c), 0);
  assert_int_equal(gnutls_x509_crt_set_version(c, 3), 0);
  assert_int_equal(gnutls_x509_crt_set_serial(c, SERIAL, sizeof(SERIAL)), 0);
  assert_int_equal(gnutls_x509_crt_set_activation_time(c, NOT_BEFORE), 0);
  assert_int_equal(gnutls_x509_crt_set_expiration_time(c, NOT_AFTER), 0);
  if (cn)
    assert_int_equal(gnutls_x509_crt_set_dn_by_oid(
                         c, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn)),
                     0);
  assert_int_equal(gnutls_x509_crt_set_key(c, key), 0);
  return c;
}

/* Signs (issuer NULL: self-signed), exports DER, frees c. */
static gnutls_datum_t finish(gnutls_x509_crt_t c, gnutls_x509_crt_t issuer,
                             gnutls_x509_privkey_t issuer_key,
                             gnutls_digest_algorithm_t dig) {
  gnutls_datum_t der = {NULL, 0};
  int ret = gnutls_x509_crt_sign2(c, issuer ? issuer : c, issuer_key, dig, 0);
  if (ret < 0) fail_msg("sign: %s", gnutls_strerror(ret));
  assert_int_equal(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der), 0);
  gnutls_x509_crt_deinit(c);
  return der;
}

static void parse_ok(td_cert_t *tc, const gnutls_datum_t *der) {
  assert_int_equal(td_cert_parse(tc, der->data, der->size), 0);
}

static int group_setup(void **state) {
  (void)state;
  k.ca_key = gen_ec(GNUTLS_ECC_CURVE_SECP256R1);
  k.leaf_key = gen_ec(GNUTLS_ECC_CURVE_SECP256R1);
  k.other_key = gen_ec(GNUTLS_ECC_CURVE_SECP256R1);
  k.rsa_key = gen_key(GNUTLS_PK_RSA, 1024);
  k.ca = new_crt(k.ca_key, NULL);
  gnutls_x509_crt_set_dn(k.ca, "O=tlsdiag tests,CN=Test Root CA", NULL);
  gnutls_x509_crt_set_basic_constraints(k.ca, 1, -1);
  gnutls_x509_crt_set_key_usage(k.ca, GNUTLS_KEY_KEY_CERT_SIGN);
  assert_int_equal(
      gnutls_x509_crt_sign2(k.ca, k.ca, k.ca_key, GNUTLS_DIG_SHA256, 0), 0);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  gnutls_x509_crt_deinit(k.ca);
  gnutls_x509_privkey_deinit(k.ca_key);
  gnutls_x509_privkey_deinit(k.leaf_key);
  gnutls_x509_privkey_deinit(k.other_key);
  gnutls_x509_privkey_deinit(k.rsa_key);
  return 0;
}

static void fingerprint_hex(const gnutls_datum_t *der, char out[65]) {
  gnutls_x509_crt_t c;
  unsigned char fp[32];
  size_t sz = sizeof(fp);
  assert_int_equal(gnutls_x509_crt_init(&c), 0);
  assert_int_equal(gnutls_x509_crt_import(c, der, GNUTLS_X509_FMT_DER), 0);
  assert_int_equal(
      gnutls_x509_crt_get_fingerprint(c, GNUTLS_DIG_SHA256, fp, &sz), 0);
  assert_int_equal(sz, 32);
  for (size_t i = 0; i < sz; i++) snprintf(out + 2 * i, 3, "%02x", fp[i]);
  gnutls_x509_crt_deinit(c);
}

static void test_chain_leaf_fields(void **state) {
  (void)state;
  gnutls_x509_crt_t c = new_crt(k.leaf_key, NULL);
  gnutls_x509_crt_set_dn(c, "O=Example Org,CN=leaf.example", NULL);
  gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, "leaf.example",
                                       12, GNUTLS_FSAN_APPEND);
  gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);

  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.subject, "CN=leaf.example,O=Example Org");
  assert_string_equal(tc.issuer, "CN=Test Root CA,O=tlsdiag tests");
  assert_string_equal(tc.common_name, "leaf.example");
  assert_string_equal(tc.serial, "01a2b3c4d5e6f7");
  assert_int_equal(tc.not_before, NOT_BEFORE);
  assert_int_equal(tc.not_after, NOT_AFTER);
  assert_string_equal(tc.not_before_iso, "2023-11-14T22:13:20Z");
  assert_string_equal(tc.not_after_iso, "2027-01-15T08:00:00Z");
  assert_string_equal(tc.key_type, "ECDSA");
  assert_int_equal(tc.key_bits, 256);
  assert_string_equal(tc.key_bits_text, "256");
  assert_string_equal(tc.sig_alg, "ECDSA-SHA256");
  assert_int_equal(tc.sig_weak, 0);
  char fp[65];
  fingerprint_hex(&der, fp);
  assert_string_equal(tc.sha256, fp);
  assert_int_equal(tc.is_ca, 0);
  assert_int_equal(tc.self_issued, 0);
  assert_int_equal(tc.self_signed, 0);
  assert_null(tc.aia_ca_issuers);
  assert_null(tc.ocsp_url);
  assert_int_equal(tc.nsans, 1);
  assert_string_equal(tc.sans_text, "leaf.example");
  assert_int_equal(tc.der_len, der.size);
  assert_memory_equal(tc.der, der.data, der.size);
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_ca_is_self_signed(void **state) {
  (void)state;
  gnutls_datum_t der;
  assert_int_equal(gnutls_x509_crt_export2(k.ca, GNUTLS_X509_FMT_DER, &der),
                   0);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.subject, "CN=Test Root CA,O=tlsdiag tests");
  assert_string_equal(tc.issuer, tc.subject);
  assert_int_equal(tc.is_ca, 1);
  assert_int_equal(tc.self_issued, 1);
  assert_int_equal(tc.self_signed, 1);
  assert_string_equal(tc.common_name, "Test Root CA");
  assert_string_equal(tc.sans_text, "");
  assert_int_equal(tc.nsans, 0);
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

/* A non-CA leaf signed by its own key is self-signed too. */
static void test_chain_self_signed_leaf(void **state) {
  (void)state;
  gnutls_x509_crt_t c = new_crt(k.leaf_key, "self.example");
  gnutls_datum_t der = finish(c, NULL, k.leaf_key, GNUTLS_DIG_SHA256);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.subject, "CN=self.example");
  assert_int_equal(tc.is_ca, 0);
  assert_int_equal(tc.self_issued, 1);
  assert_int_equal(tc.self_signed, 1);
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

/* Same subject and issuer, but another key signed it. */
static void test_chain_self_issued_is_not_self_signed(void **state) {
  (void)state;
  gnutls_x509_crt_t other = new_crt(k.other_key, "Same Name");
  gnutls_x509_crt_t c = new_crt(k.leaf_key, "Same Name");
  gnutls_datum_t der = finish(c, other, k.other_key, GNUTLS_DIG_SHA256);
  gnutls_x509_crt_deinit(other);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.subject, "CN=Same Name");
  assert_string_equal(tc.issuer, "CN=Same Name");
  assert_int_equal(tc.self_issued, 1);
  assert_int_equal(tc.self_signed, 0);
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_rsa_1024_key(void **state) {
  (void)state;
  gnutls_x509_crt_t c = new_crt(k.rsa_key, "rsa.example");
  gnutls_datum_t der = finish(c, NULL, k.rsa_key, GNUTLS_DIG_SHA256);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.key_type, "RSA");
  assert_int_equal(tc.key_bits, 1024);
  assert_string_equal(tc.key_bits_text, "1024");
  assert_string_equal(tc.sig_alg, "RSA-SHA256");
  assert_int_equal(tc.sig_weak, 0);
  assert_int_equal(tc.self_signed, 1);
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_sha1_signature_is_weak(void **state) {
  (void)state;
  /* ECDSA-SHA1, self-signed: the signature still verifies */
  gnutls_x509_crt_t c = new_crt(k.leaf_key, "sha1.example");
  gnutls_datum_t der = finish(c, NULL, k.leaf_key, GNUTLS_DIG_SHA1);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.sig_alg, "ECDSA-SHA1");
  assert_int_equal(tc.sig_weak, 1);
  assert_int_equal(tc.self_signed, 1);
  td_cert_clear(&tc);
  gnutls_free(der.data);

  /* RSA-SHA1, issued by another key */
  gnutls_x509_crt_t issuer = new_crt(k.rsa_key, "RSA Issuer");
  c = new_crt(k.leaf_key, "rsa-sha1.example");
  der = finish(c, issuer, k.rsa_key, GNUTLS_DIG_SHA1);
  gnutls_x509_crt_deinit(issuer);
  parse_ok(&tc, &der);
  assert_string_equal(tc.sig_alg, "RSA-SHA1");
  assert_int_equal(tc.sig_weak, 1);
  assert_int_equal(tc.self_signed, 0);
  assert_string_equal(tc.issuer, "CN=RSA Issuer");
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_ecdsa_curve_sizes(void **state) {
  (void)state;
  struct {
    gnutls_ecc_curve_t curve;
    unsigned bits;
    const char *text;
  } cases[] = {{GNUTLS_ECC_CURVE_SECP384R1, 384, "384"},
               {GNUTLS_ECC_CURVE_SECP521R1, 521, "521"}};
  for (size_t i = 0; i < 2; i++) {
    gnutls_x509_privkey_t key = gen_ec(cases[i].curve);
    gnutls_x509_crt_t c = new_crt(key, "ec.example");
    gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
    td_cert_t tc;
    parse_ok(&tc, &der);
    assert_string_equal(tc.key_type, "ECDSA");
    assert_int_equal(tc.key_bits, cases[i].bits);
    assert_string_equal(tc.key_bits_text, cases[i].text);
    td_cert_clear(&tc);
    gnutls_free(der.data);
    gnutls_x509_privkey_deinit(key);
  }
}

static void test_chain_ed25519_key(void **state) {
  (void)state;
  gnutls_x509_privkey_t key =
      gen_key(GNUTLS_PK_EDDSA_ED25519,
              GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519));
  gnutls_x509_crt_t c = new_crt(key, "ed.example");
  gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.key_type, "Ed25519");
  assert_int_equal(tc.key_bits, 256);
  td_cert_clear(&tc);
  gnutls_free(der.data);
  gnutls_x509_privkey_deinit(key);
}

static void test_chain_san_types(void **state) {
  (void)state;
  gnutls_x509_crt_t c = new_crt(k.leaf_key, "san.example");
  static const unsigned char v4[4] = {192, 0, 2, 1};
  static const unsigned char v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                       0,    0,    0,    0,    0, 0, 0, 1};
  const unsigned f = GNUTLS_FSAN_APPEND;
  gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, "a.example", 9,
                                       f);
  gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_DNSNAME, "*.b.example",
                                       11, f);
  gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_IPADDRESS, v4, 4, f);
  gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_IPADDRESS, v6, 16, f);
  gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_RFC822NAME,
                                       "admin@example.com", 17, f);
  gnutls_x509_crt_set_subject_alt_name(c, GNUTLS_SAN_URI,
                                       "https://example.com/x", 21, f);
  gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_int_equal(tc.nsans, 6);
  struct {
    td_san_type_t type;
    const char *value;
  } want[] = {{TD_SAN_DNS, "a.example"},
              {TD_SAN_DNS, "*.b.example"},
              {TD_SAN_IP, "192.0.2.1"},
              {TD_SAN_IP, "2001:db8::1"},
              {TD_SAN_OTHER, "email:admin@example.com"},
              {TD_SAN_OTHER, "uri:https://example.com/x"}};
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(tc.sans[i].type, want[i].type);
    assert_string_equal(tc.sans[i].value, want[i].value);
  }
  assert_string_equal(tc.sans_text,
                      "a.example, *.b.example, 192.0.2.1, 2001:db8::1, "
                      "email:admin@example.com, uri:https://example.com/x");
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

/* DER length octets for n (n < 16 MiB). */
static size_t der_len(unsigned char *p, size_t n) {
  if (n < 0x80) {
    p[0] = (unsigned char)n;
    return 1;
  }
  if (n < 0x100) {
    p[0] = 0x81;
    p[1] = (unsigned char)n;
    return 2;
  }
  if (n < 0x10000) {
    p[0] = 0x82;
    p[1] = (unsigned char)(n >> 8);
    p[2] = (unsigned char)n;
    return 3;
  }
  p[0] = 0x83;
  p[1] = (unsigned char)(n >> 16);
  p[2] = (unsigned char)(n >> 8);
  p[3] = (unsigned char)n;
  return 4;
}

/* A SubjectAltName extension value with `n` dNSNames, written by hand so
 * any bytes (NUL included) can be put in. */
static unsigned char *san_ext(const char *const *names, const size_t *lens,
                              size_t n, size_t *out_len) {
  size_t body = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char tmp[4];
    body += 1 + der_len(tmp, lens[i]) + lens[i];
  }
  unsigned char *p = malloc(body + 8);
  assert_non_null(p);
  size_t o = 0;
  p[o++] = 0x30;
  o += der_len(p + o, body);
  for (size_t i = 0; i < n; i++) {
    p[o++] = 0x82; /* [2] dNSName */
    o += der_len(p + o, lens[i]);
    memcpy(p + o, names[i], lens[i]);
    o += lens[i];
  }
  *out_len = o;
  return p;
}

static gnutls_datum_t cert_with_san_ext(const unsigned char *ext,
                                        size_t len) {
  gnutls_x509_crt_t c = new_crt(k.leaf_key, "raw-san.example");
  assert_int_equal(
      gnutls_x509_crt_set_extension_by_oid(c, "2.5.29.17", ext, len, 0), 0);
  return finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
}

static void test_chain_nul_in_dns_san_is_visible(void **state) {
  (void)state;
  const char evil[] = "good.example\0.evil.example";
  const char *names[] = {evil, "plain.example"};
  size_t lens[] = {sizeof(evil) - 1, 13};
  size_t len;
  unsigned char *ext = san_ext(names, lens, 2, &len);
  gnutls_datum_t der = cert_with_san_ext(ext, len);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_int_equal(tc.nsans, 2);
  /* not truncated into "good.example", which it must never match */
  assert_string_equal(tc.sans[0].value, "good.example\\x00.evil.example");
  assert_string_not_equal(tc.sans[0].value, "good.example");
  assert_string_equal(tc.sans[1].value, "plain.example");
  assert_string_equal(tc.sans_text,
                      "good.example\\x00.evil.example, plain.example");
  td_cert_clear(&tc);
  gnutls_free(der.data);
  free(ext);
}

/* n names of the form "<i>-aaaa...aaaa.example" of `width` bytes each. */
static gnutls_datum_t cert_with_many_sans(size_t n, size_t width,
                                          size_t *ext_size) {
  char **names = calloc(n, sizeof(char *));
  size_t *lens = calloc(n, sizeof(size_t));
  assert_non_null(names);
  assert_non_null(lens);
  for (size_t i = 0; i < n; i++) {
    names[i] = malloc(width + 1);
    assert_non_null(names[i]);
    int w = snprintf(names[i], width + 1, "%zu-", i);
    memset(names[i] + w, 'a', width - (size_t)w - 8);
    memcpy(names[i] + width - 8, ".example", 8);
    names[i][width] = '\0';
    lens[i] = width;
  }
  unsigned char *ext =
      san_ext((const char *const *)names, lens, n, ext_size);
  gnutls_datum_t der = cert_with_san_ext(ext, *ext_size);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  free(lens);
  free(ext);
  return der;
}

static void test_chain_64k_san_list(void **state) {
  (void)state;
  size_t ext_size;
  gnutls_datum_t der = cert_with_many_sans(1000, 70, &ext_size);
  assert_true(ext_size >= 64 * 1024);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_int_equal(tc.nsans, 1000);
  assert_int_equal(tc.sans[0].type, TD_SAN_DNS);
  assert_int_equal(strlen(tc.sans[0].value), 70);
  assert_memory_equal(tc.sans[0].value, "0-aaaa", 6);
  assert_memory_equal(tc.sans[999].value, "999-aaaa", 8);
  assert_int_equal(strlen(tc.sans_text), 1000 * 70 + 999 * 2);
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_san_count_is_bounded(void **state) {
  (void)state;
  size_t ext_size;
  gnutls_datum_t der = cert_with_many_sans(1500, 20, &ext_size);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_int_equal(tc.nsans, 1000);
  assert_memory_equal(tc.sans[999].value, "999-", 4);
  const char *tail = ", ... (500 more)";
  size_t tl = strlen(tc.sans_text);
  assert_true(tl > strlen(tail));
  assert_string_equal(tc.sans_text + tl - strlen(tail), tail);
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_aia_uris(void **state) {
  (void)state;
  gnutls_x509_crt_t c = new_crt(k.leaf_key, "aia.example");
  gnutls_datum_t ocsp = {(unsigned char *)"http://ocsp.example/", 20};
  gnutls_datum_t ca1 = {(unsigned char *)"http://ca.example/int.crt", 25};
  gnutls_datum_t ca2 = {(unsigned char *)"http://ca.example/other.crt", 27};
  assert_int_equal(
      gnutls_x509_crt_set_authority_info_access(c, GNUTLS_IA_OCSP_URI, &ocsp),
      0);
  assert_int_equal(gnutls_x509_crt_set_authority_info_access(
                       c, GNUTLS_IA_CAISSUERS_URI, &ca1),
                   0);
  assert_int_equal(gnutls_x509_crt_set_authority_info_access(
                       c, GNUTLS_IA_CAISSUERS_URI, &ca2),
                   0);
  gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.ocsp_url, "http://ocsp.example/");
  assert_string_equal(tc.aia_ca_issuers, "http://ca.example/int.crt");
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_control_characters_are_kept(void **state) {
  (void)state;
  const char cn[] = "evil\x1b[31m\"quoted\"\x01\x7f\xff";
  gnutls_x509_crt_t c = new_crt(k.leaf_key, cn);
  gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
  td_cert_t tc;
  parse_ok(&tc, &der);
  /* RFC 4514 escapes the quotes; every other byte is as sent */
  assert_string_equal(tc.subject,
                      "CN=evil\x1b[31m\\\"quoted\\\"\x01\x7f\xff");
  /* the CN itself is unescaped */
  assert_string_equal(tc.common_name, cn);
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_nul_in_cn_is_visible(void **state) {
  (void)state;
  gnutls_x509_crt_t c = new_crt(k.leaf_key, NULL);
  assert_int_equal(gnutls_x509_crt_set_dn_by_oid(
                       c, GNUTLS_OID_X520_COMMON_NAME, 0, "nul\0after", 9),
                   0);
  gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.common_name, "nul\\x00after");
  /* gnutls writes such a value as RFC 4514 hex */
  assert_string_equal(tc.subject, "CN=#0c096e756c006166746572");
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_bmp_and_universal_cn_become_utf8(void **state) {
  (void)state;
  /* raw_flag 1: the value is DER (BMPString "Aé", UniversalString "é") */
  static const unsigned char bmp[] = {0x1e, 0x04, 0x00, 0x41, 0x00, 0xe9};
  static const unsigned char uni[] = {0x1c, 0x04, 0x00, 0x00, 0x00, 0xe9};
  const unsigned char *vals[] = {bmp, uni};
  const char *want[] = {"A\xc3\xa9", "\xc3\xa9"};
  for (size_t i = 0; i < 2; i++) {
    gnutls_x509_crt_t c = new_crt(k.leaf_key, NULL);
    assert_int_equal(gnutls_x509_crt_set_dn_by_oid(
                         c, GNUTLS_OID_X520_COMMON_NAME, 1, vals[i], 6),
                     0);
    gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
    td_cert_t tc;
    parse_ok(&tc, &der);
    assert_string_equal(tc.common_name, want[i]);
    td_cert_clear(&tc);
    gnutls_free(der.data);
  }
}

static void test_chain_serial_keeps_encoded_bytes(void **state) {
  (void)state;
  static const unsigned char serial[] = {0x00, 0x9a, 0x01};
  gnutls_x509_crt_t c = new_crt(k.leaf_key, "serial.example");
  assert_int_equal(gnutls_x509_crt_set_serial(c, serial, sizeof(serial)), 0);
  gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_string_equal(tc.serial, "009a01");
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_dates_after_2049(void **state) {
  (void)state;
  /* GeneralizedTime from 2050 on */
  gnutls_x509_crt_t c;
  assert_int_equal(gnutls_x509_crt_init(&c), 0);
  assert_int_equal(gnutls_x509_crt_set_version(c, 3), 0);
  assert_int_equal(gnutls_x509_crt_set_serial(c, SERIAL, sizeof(SERIAL)), 0);
  assert_int_equal(gnutls_x509_crt_set_activation_time(c, NOT_BEFORE), 0);
  assert_int_equal(gnutls_x509_crt_set_expiration_time(c, 2600000000), 0);
  assert_int_equal(gnutls_x509_crt_set_key(c, k.leaf_key), 0);
  gnutls_datum_t der = finish(c, k.ca, k.ca_key, GNUTLS_DIG_SHA256);
  td_cert_t tc;
  parse_ok(&tc, &der);
  assert_int_equal(tc.not_after, INT64_C(2600000000));
  assert_string_equal(tc.not_after_iso, "2052-05-22T14:13:20Z");
  /* no subject at all: empty DN, no CN */
  assert_string_equal(tc.subject, "");
  assert_null(tc.common_name);
  td_cert_clear(&tc);
  gnutls_free(der.data);
}

static void test_chain_garbage_der_fails(void **state) {
  (void)state;
  td_cert_t tc;
  static const unsigned char junk[] = "not a certificate";
  assert_int_equal(td_cert_parse(&tc, junk, sizeof(junk) - 1), -1);
  /* the bytes are kept as evidence */
  assert_int_equal(tc.der_len, sizeof(junk) - 1);
  assert_memory_equal(tc.der, junk, sizeof(junk) - 1);
  assert_null(tc.subject);
  assert_null(tc.sans_text);
  td_cert_clear(&tc);

  /* a real certificate cut short */
  gnutls_datum_t der;
  assert_int_equal(gnutls_x509_crt_export2(k.ca, GNUTLS_X509_FMT_DER, &der),
                   0);
  assert_int_equal(td_cert_parse(&tc, der.data, der.size / 2), -1);
  assert_int_equal(tc.der_len, der.size / 2);
  td_cert_clear(&tc);
  /* a length that claims more than there is */
  unsigned char lie[] = {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30, 0x00};
  assert_int_equal(td_cert_parse(&tc, lie, sizeof(lie)), -1);
  td_cert_clear(&tc);
  /* its signature flipped: still parses, no longer self-signed */
  der.data[der.size - 1] ^= 0x01;
  assert_int_equal(td_cert_parse(&tc, der.data, der.size), 0);
  assert_int_equal(tc.self_issued, 1);
  assert_int_equal(tc.self_signed, 0);
  td_cert_clear(&tc);
  gnutls_free(der.data);

  assert_int_equal(td_cert_parse(&tc, NULL, 0), -1);
  assert_null(tc.der);
  td_cert_clear(&tc);
  assert_int_equal(td_cert_parse(&tc, junk, 0), -1);
  td_cert_clear(&tc);
}

/* GnuTLS imports a certificate whose outer length has a leading zero
 * octet (not DER); chain.c must read it as GnuTLS did, so a self-signed
 * root stays self-signed. */
static void test_chain_non_minimal_length_still_self_signed(void **state) {
  (void)state;
  gnutls_datum_t der;
  assert_int_equal(gnutls_x509_crt_export2(k.ca, GNUTLS_X509_FMT_DER, &der),
                   0);
  assert_int_equal(der.data[1], 0x82); /* two length octets */
  size_t n = der.size + 1;
  unsigned char *odd = malloc(n);
  assert_non_null(odd);
  odd[0] = 0x30;
  odd[1] = 0x83;
  odd[2] = 0x00;
  memcpy(odd + 3, der.data + 2, der.size - 2);
  td_cert_t tc;
  assert_int_equal(td_cert_parse(&tc, odd, n), 0);
  assert_int_equal(tc.self_issued, 1);
  assert_int_equal(tc.self_signed, 1);
  td_cert_clear(&tc);
  free(odd);
  gnutls_free(der.data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_leaf_fields),
      cmocka_unit_test(test_chain_ca_is_self_signed),
      cmocka_unit_test(test_chain_self_signed_leaf),
      cmocka_unit_test(test_chain_self_issued_is_not_self_signed),
      cmocka_unit_test(test_chain_rsa_1024_key),
      cmocka_unit_test(test_chain_sha1_signature_is_weak),
      cmocka_unit_test(test_chain_ecdsa_curve_sizes),
      cmocka_unit_test(test_chain_ed25519_key),
      cmocka_unit_test(test_chain_san_types),
      cmocka_unit_test(test_chain_nul_in_dns_san_is_visible),
      cmocka_unit_test(test_chain_64k_san_list),
      cmocka_unit_test(test_chain_san_count_is_bounded),
      cmocka_unit_test(test_chain_aia_uris),
      cmocka_unit_test(test_chain_control_characters_are_kept),
      cmocka_unit_test(test_chain_nul_in_cn_is_visible),
      cmocka_unit_test(test_chain_bmp_and_universal_cn_become_utf8),
      cmocka_unit_test(test_chain_serial_keeps_encoded_bytes),
      cmocka_unit_test(test_chain_dates_after_2049),
      cmocka_unit_test(test_chain_garbage_der_fails),
      cmocka_unit_test(test_chain_non_minimal_length_still_self_signed),
  };
  return td_run_tests(tests, group_setup, group_teardown);
}
