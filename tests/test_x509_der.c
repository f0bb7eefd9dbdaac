/* test_x509_der.c: the one DER reader (strict for the verifier, lax where
 * GnuTLS's own acceptance must be matched) and the PEM/DER input blobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tdrun.h"

#include "x509_der.h"

typedef int (*reader_t)(const unsigned char *, size_t, unsigned *,
                        const unsigned char **, size_t *, size_t *);

/* rc of reader over p[0..n), with the element's fields when it is read. */
static int read_one(reader_t rd, const unsigned char *p, size_t n,
                    unsigned *tag, size_t *clen, size_t *total) {
  const unsigned char *content = NULL;
  *tag = 0;
  *clen = *total = 0;
  int rc = rd(p, n, tag, &content, clen, total);
  if (rc == 0) assert_ptr_equal(content, p + (*total - *clen));
  return rc;
}

static void test_x509_der_short_and_long_form(void **state) {
  (void)state;
  static const unsigned char s[] = {0x04, 0x03, 'a', 'b', 'c', 0xff};
  unsigned tag;
  size_t clen, total;
  assert_int_equal(read_one(td_der_next, s, sizeof(s), &tag, &clen, &total),
                   0);
  assert_int_equal(tag, 0x04);
  assert_int_equal(clen, 3);
  assert_int_equal(total, 5); /* the trailing byte is not part of it */

  unsigned char l[3 + 200];
  memset(l, 'x', sizeof(l));
  l[0] = 0x30;
  l[1] = 0x81;
  l[2] = 200;
  assert_int_equal(read_one(td_der_next, l, sizeof(l), &tag, &clen, &total),
                   0);
  assert_int_equal(tag, 0x30);
  assert_int_equal(clen, 200);
  assert_int_equal(total, 203);
}

/* DER wants the shortest length form; GnuTLS imports certificates that
 * do not use it, so only the lax reader accepts them. */
static void test_x509_der_non_minimal_length_lax_only(void **state) {
  (void)state;
  static const unsigned char long_for_short[] = {0x30, 0x81, 0x02, 0x05, 0x00};
  static const unsigned char leading_zero[] = {0x30, 0x82, 0x00, 0x02,
                                               0x05, 0x00};
  unsigned tag;
  size_t clen, total;
  assert_int_equal(read_one(td_der_next, long_for_short,
                            sizeof(long_for_short), &tag, &clen, &total),
                   -1);
  assert_int_equal(read_one(td_der_next_lax, long_for_short,
                            sizeof(long_for_short), &tag, &clen, &total),
                   0);
  assert_int_equal(clen, 2);
  assert_int_equal(total, 5);
  assert_int_equal(read_one(td_der_next, leading_zero, sizeof(leading_zero),
                            &tag, &clen, &total),
                   -1);
  assert_int_equal(read_one(td_der_next_lax, leading_zero,
                            sizeof(leading_zero), &tag, &clen, &total),
                   0);
  assert_int_equal(clen, 2);
  assert_int_equal(total, 6);
}

static void test_x509_der_malformed_refused_by_both(void **state) {
  (void)state;
  static const struct {
    const char *what;
    unsigned char b[8];
    size_t n;
  } bad[] = {
      {"multi-byte tag", {0x1f, 0x01, 0x00}, 3},
      {"indefinite length", {0x30, 0x80, 0x00, 0x00}, 4},
      {"five length octets", {0x30, 0x85, 0, 0, 0, 0, 1, 0}, 8},
      {"content past the end", {0x04, 0x05, 'a', 'b'}, 4},
      {"length octets past the end", {0x04, 0x82, 0x01}, 3},
      {"one byte", {0x04}, 1},
  };
  reader_t readers[] = {td_der_next, td_der_next_lax};
  for (size_t r = 0; r < 2; r++)
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      unsigned tag;
      size_t clen, total;
      if (read_one(readers[r], bad[i].b, bad[i].n, &tag, &clen, &total) != -1)
        fail_msg("%s reader accepted %s", r ? "lax" : "strict", bad[i].what);
    }
  unsigned tag;
  const unsigned char *content;
  size_t clen, total;
  assert_int_equal(td_der_next(NULL, 4, &tag, &content, &clen, &total), -1);
}

static const char pem_key_and_cert[] =
    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    "junk between blocks\n"
    "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";

static void test_x509_der_blobs_pem_and_der(void **state) {
  (void)state;
  static const unsigned char der[] = {0x30, 0x03, 0x02, 0x01, 0x01};
  tlsdiag_blob_t b[2] = {{pem_key_and_cert, sizeof(pem_key_and_cert) - 1},
                         {der, sizeof(der)}};
  td_derlist_t l = {0};
  char err[200] = "";
  assert_int_equal(td_der_decode_all(b, 2, 0, "chain", &l, err, sizeof(err)),
                   0);
  assert_int_equal(l.n, 2);
  /* the key block is skipped; the certificate block is base64 of der */
  assert_int_equal(l.d[0].size, sizeof(der));
  assert_memory_equal(l.d[0].data, der, sizeof(der));
  assert_int_equal(l.d[1].size, sizeof(der));
  assert_memory_equal(l.d[1].data, der, sizeof(der));
  td_derlist_free(&l);
  assert_int_equal(l.n, 0);
  assert_null(l.d);
}

static void test_x509_der_blob_errors_named(void **state) {
  (void)state;
  static const char key_only[] =
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  static const char no_end[] = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n";
  static const char text[] = "hello";
  static const char cert_only[] =
      "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n";
  tlsdiag_blob_t ok = {pem_key_and_cert, sizeof(pem_key_and_cert) - 1};
  struct {
    tlsdiag_blob_t second;
    int crl;
    const char *want;
  } cases[] = {
      {{key_only, sizeof(key_only) - 1}, 0,
       "chain 2: holds a private key, no certificate"},
      {{no_end, sizeof(no_end) - 1}, 0,
       "chain 2: PEM block 1 (CERTIFICATE) has no END line"},
      {{text, sizeof(text) - 1}, 0,
       "chain 2: neither PEM nor DER (no \"-----BEGIN\" line and not one DER "
       "object)"},
      {{text, 0}, 0, "chain 2: empty"},
      {{cert_only, sizeof(cert_only) - 1}, 1,
       "chain 1: holds a private key, no CRL"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    tlsdiag_blob_t b[2] = {ok, cases[i].second};
    td_derlist_t l = {0};
    char err[200] = "";
    assert_int_equal(
        td_der_decode_all(b, 2, cases[i].crl, "chain", &l, err, sizeof(err)),
        -1);
    assert_string_equal(err, cases[i].want);
    td_derlist_free(&l);
  }
  /* one blob: no index in the message */
  td_derlist_t l = {0};
  char err[200] = "";
  tlsdiag_blob_t one = {text, 0};
  assert_int_equal(td_der_decode_all(&one, 1, 0, "trusted", &l, err,
                                     sizeof(err)),
                   -1);
  assert_string_equal(err, "trusted: empty");
  td_derlist_free(&l);
  /* CRLs wanted, a certificate given */
  tlsdiag_blob_t cert = {cert_only, sizeof(cert_only) - 1};
  assert_int_equal(td_der_decode_all(&cert, 1, 1, "crl", &l, err, sizeof(err)),
                   -1);
  assert_string_equal(err, "crl: no \"X509 CRL\" block in 1 PEM block");
  td_derlist_free(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_x509_der_short_and_long_form),
      cmocka_unit_test(test_x509_der_non_minimal_length_lax_only),
      cmocka_unit_test(test_x509_der_malformed_refused_by_both),
      cmocka_unit_test(test_x509_der_blobs_pem_and_der),
      cmocka_unit_test(test_x509_der_blob_errors_named),
  };
  return td_run_tests(tests, NULL, NULL);
}
