/* test_tdcerts.c: the test-certificate generator makes, for every case, the
 * chain, dates, keys, names and OCSP staple it promises, as GnuTLS sees
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tdrun.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/ocsp.h>
#include <gnutls/x509.h>

#include "tdcerts.h"

#define DAY INT64_C(86400)
#define YEAR (365 * DAY)

typedef struct fixture {
  int64_t now;
  tdcerts_t *set;
} fixture_t;

/* What each case must look like. */
typedef struct expect {
  const char *name;
  const char *hostname;
  const char *check_as;   /* the A-label a client checks, NULL: hostname */
  const char *cn;         /* subject CN */
  const char *issuer_cn;  /* leaf issuer CN */
  unsigned status;        /* chain verified at now, root as the anchor */
  int name_ok;            /* gnutls_x509_crt_check_hostname(check_as) */
  gnutls_pk_algorithm_t pk;
  unsigned bits;
  gnutls_sign_algorithm_t sig;
  int64_t not_before, not_after; /* relative to now */
  unsigned chain_len;
  int ocsp;               /* -1 none, else gnutls_ocsp_cert_status_t */
  const char *san[4];     /* "DNS:x" / "IP:x", in order */
} expect_t;

#define INTER "tlsdiag Test Intermediate CA"
#define USUAL -30 * DAY, 90 * DAY
#define EC GNUTLS_PK_ECDSA, 256, GNUTLS_SIGN_ECDSA_SHA256
#define BAD (GNUTLS_CERT_INVALID)

static const expect_t expects[] = {
    {"valid", "localhost", NULL, "localhost", INTER, 0, 1, EC, USUAL, 2,
     GNUTLS_OCSP_CERT_GOOD,
     {"DNS:localhost", "DNS:valid.tlsdiag.test", "IP:127.0.0.1", "IP:::1"}},
    {"valid_rsa", "rsa.tlsdiag.test", NULL, "rsa.tlsdiag.test", INTER, 0, 1,
     GNUTLS_PK_RSA, 2048, GNUTLS_SIGN_ECDSA_SHA256, USUAL, 2, -1,
     {"DNS:rsa.tlsdiag.test", "DNS:localhost", "IP:127.0.0.1"}},
    {"idn", "b\xc3\xbc"
            "cher.tlsdiag.test",
     "xn--bcher-kva.tlsdiag.test", "xn--bcher-kva.tlsdiag.test", INTER, 0, 1,
     EC, USUAL, 2, -1, {"DNS:xn--bcher-kva.tlsdiag.test"}},
    {"wildcard", "a.wild.tlsdiag.test", NULL, "*.wild.tlsdiag.test", INTER, 0,
     1, EC, USUAL, 2, -1, {"DNS:*.wild.tlsdiag.test"}},
    {"expired", "expired.tlsdiag.test", NULL, "expired.tlsdiag.test", INTER,
     GNUTLS_CERT_EXPIRED | BAD, 1, EC, -400 * DAY, -10 * DAY, 2, -1,
     {"DNS:expired.tlsdiag.test"}},
    {"not_yet_valid", "future.tlsdiag.test", NULL, "future.tlsdiag.test",
     INTER, GNUTLS_CERT_NOT_ACTIVATED | BAD, 1, EC, 10 * DAY, 400 * DAY, 2, -1,
     {"DNS:future.tlsdiag.test"}},
    {"expiring_soon", "soon.tlsdiag.test", NULL, "soon.tlsdiag.test", INTER, 0,
     1, EC, -80 * DAY, 10 * DAY, 2, -1, {"DNS:soon.tlsdiag.test"}},
    {"self_signed", "self-signed.tlsdiag.test", NULL,
     "self-signed.tlsdiag.test", "self-signed.tlsdiag.test",
     GNUTLS_CERT_SIGNER_NOT_FOUND | BAD, 1, EC, USUAL, 1, -1,
     {"DNS:self-signed.tlsdiag.test"}},
    {"unknown_root", "unknown-root.tlsdiag.test", NULL,
     "unknown-root.tlsdiag.test", "tlsdiag Unknown Intermediate CA",
     GNUTLS_CERT_SIGNER_NOT_FOUND | BAD, 1, EC, USUAL, 2, -1,
     {"DNS:unknown-root.tlsdiag.test"}},
    {"wrong_host", "wrong-host.tlsdiag.test", NULL, "other.example", INTER, 0,
     0, EC, USUAL, 2, -1, {"DNS:other.example"}},
    {"no_intermediate", "incomplete.tlsdiag.test", NULL,
     "incomplete.tlsdiag.test", INTER, GNUTLS_CERT_SIGNER_NOT_FOUND | BAD, 1,
     EC, USUAL, 1, -1, {"DNS:incomplete.tlsdiag.test"}},
    {"sha1", "sha1.tlsdiag.test", NULL, "sha1.tlsdiag.test", INTER,
     GNUTLS_CERT_INSECURE_ALGORITHM | BAD, 1, GNUTLS_PK_ECDSA, 256,
     GNUTLS_SIGN_ECDSA_SHA1, USUAL, 2, -1, {"DNS:sha1.tlsdiag.test"}},
    {"rsa1024", "weak-key.tlsdiag.test", NULL, "weak-key.tlsdiag.test", INTER,
     0, 1, GNUTLS_PK_RSA, 1024, GNUTLS_SIGN_ECDSA_SHA256, USUAL, 2, -1,
     {"DNS:weak-key.tlsdiag.test"}},
    {"revoked", "revoked.tlsdiag.test", NULL, "revoked.tlsdiag.test", INTER, 0,
     1, EC, USUAL, 2, GNUTLS_OCSP_CERT_REVOKED, {"DNS:revoked.tlsdiag.test"}},
    {"cn_only", "cn-only.tlsdiag.test", NULL, "cn-only.tlsdiag.test", INTER, 0,
     1, EC, USUAL, 2, -1, {NULL}},
    {"with_root", "with-root.tlsdiag.test", NULL, "with-root.tlsdiag.test",
     INTER, 0, 1, EC, USUAL, 3, -1, {"DNS:with-root.tlsdiag.test"}},
    {"ocsp_bad_signature", "ocsp-bad.tlsdiag.test", NULL,
     "ocsp-bad.tlsdiag.test", INTER, 0, 1, EC, USUAL, 2,
     GNUTLS_OCSP_CERT_GOOD, {"DNS:ocsp-bad.tlsdiag.test"}},
    {"must_staple", "must-staple.tlsdiag.test", NULL,
     "must-staple.tlsdiag.test", INTER, 0, 1, EC, USUAL, 2,
     GNUTLS_OCSP_CERT_GOOD, {"DNS:must-staple.tlsdiag.test"}},
};

#define NEXPECTS (sizeof(expects) / sizeof(expects[0]))

/* ---- helpers ------------------------------------------------------------ */

static int group_setup(void **state)
{
  fixture_t *f = calloc(1, sizeof(*f));

  if (!f)
    return -1;
  f->now = (int64_t)time(NULL);
  if (tdcerts_generate(f->now, &f->set) != 0) {
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

static int group_teardown(void **state)
{
  fixture_t *f = *state;

  tdcerts_free(f->set);
  free(f);
  return 0;
}

static gnutls_datum_t text_datum(const char *s)
{
  gnutls_datum_t d;

  d.data = (unsigned char *)s;
  d.size = (unsigned)strlen(s);
  return d;
}

static gnutls_x509_crt_t load_crt(const char *pem)
{
  gnutls_x509_crt_t crt;
  gnutls_datum_t d = text_datum(pem);

  assert_int_equal(gnutls_x509_crt_init(&crt), 0);
  assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
  return crt;
}

typedef struct chain {
  gnutls_x509_crt_t *crts;
  unsigned n;
} chain_t;

static chain_t load_chain(const char *pem)
{
  chain_t c = {NULL, 0};
  gnutls_datum_t d = text_datum(pem);

  assert_int_equal(gnutls_x509_crt_list_import2(&c.crts, &c.n, &d,
                                                GNUTLS_X509_FMT_PEM, 0),
                   0);
  assert_true(c.n >= 1);
  return c;
}

static void chain_free(chain_t *c)
{
  unsigned i;

  for (i = 0; i < c->n; i++)
    gnutls_x509_crt_deinit(c->crts[i]);
  gnutls_free(c->crts);
  c->crts = NULL;
  c->n = 0;
}

/* Verifies crts with the test root as the only trust anchor. */
static unsigned verify_with_root(const tdcerts_t *set, gnutls_x509_crt_t *crts,
                                 unsigned n, const char *hostname,
                                 unsigned flags)
{
  gnutls_x509_trust_list_t tl;
  gnutls_datum_t root = text_datum(tdcerts_root_pem(set));
  gnutls_typed_vdata_st data[1];
  unsigned status = ~0u;

  assert_int_equal(gnutls_x509_trust_list_init(&tl, 0), 0);
  assert_int_equal(gnutls_x509_trust_list_add_trust_mem(
                       tl, &root, NULL, GNUTLS_X509_FMT_PEM, 0, 0),
                   1);
  data[0].type = GNUTLS_DT_DNS_HOSTNAME;
  data[0].data = (unsigned char *)hostname;
  data[0].size = 0;
  assert_int_equal(gnutls_x509_trust_list_verify_crt2(
                       tl, crts, n, data, hostname ? 1 : 0, flags, &status,
                       NULL),
                   0);
  gnutls_x509_trust_list_deinit(tl, 1);
  return status;
}

static unsigned verify_case(const tdcerts_t *set, const char *name,
                            const char *hostname, unsigned flags)
{
  const tdcerts_case_t *c = tdcerts_case(set, name);
  chain_t chain;
  unsigned status;

  assert_non_null(c);
  chain = load_chain(c->chain_pem);
  status = verify_with_root(set, chain.crts, chain.n, hostname, flags);
  chain_free(&chain);
  return status;
}

static void assert_cn(gnutls_x509_crt_t crt, int issuer, const char *want)
{
  char buf[256];
  size_t len = sizeof(buf);

  if (issuer)
    assert_int_equal(gnutls_x509_crt_get_issuer_dn_by_oid(
                         crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &len),
                     0);
  else
    assert_int_equal(gnutls_x509_crt_get_dn_by_oid(
                         crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &len),
                     0);
  assert_string_equal(buf, want);
}

static void assert_org(gnutls_x509_crt_t crt)
{
  char buf[256];
  size_t len = sizeof(buf);

  assert_int_equal(gnutls_x509_crt_get_dn_by_oid(
                       crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, 0, buf, &len),
                   0);
  assert_string_equal(buf, "tlsdiag test");
}

static void key_id(gnutls_x509_crt_t crt, int authority, unsigned char *out,
                   size_t *len)
{
  unsigned critical = 0;

  if (authority)
    assert_int_equal(
        gnutls_x509_crt_get_authority_key_id(crt, out, len, &critical), 0);
  else
    assert_int_equal(
        gnutls_x509_crt_get_subject_key_id(crt, out, len, &critical), 0);
  assert_int_equal(critical, 0);
  assert_int_equal(*len, 20);
}

static void assert_serial_16_positive(gnutls_x509_crt_t crt,
                                      unsigned char out[16])
{
  unsigned char s[32];
  size_t len = sizeof(s);

  assert_int_equal(gnutls_x509_crt_get_serial(crt, s, &len), 0);
  assert_int_equal(len, 16);
  assert_true(s[0] != 0 && s[0] < 0x80);
  memcpy(out, s, 16);
}

static const expect_t *expect_for(const char *name)
{
  size_t i;

  for (i = 0; i < NEXPECTS; i++)
    if (strcmp(expects[i].name, name) == 0)
      return &expects[i];
  fail_msg("no expectation for case %s", name);
  return NULL;
}

/* ---- the set and its cases ---------------------------------------------- */

static void test_tdcerts_generate_rejects_bad_arguments(void **state)
{
  tdcerts_t *set = (tdcerts_t *)1;

  (void)state;
  assert_int_equal(tdcerts_generate(1700000000, NULL),
                   GNUTLS_E_INVALID_REQUEST);
  assert_int_equal(tdcerts_generate(0, &set), GNUTLS_E_INVALID_REQUEST);
  assert_null(set);
  assert_int_equal(tdcerts_generate(INT64_MAX, &set),
                   GNUTLS_E_INVALID_REQUEST);
  assert_null(set);
  tdcerts_free(NULL);
  assert_null(tdcerts_case(NULL, "valid"));
  assert_int_equal(tdcerts_case_count(NULL), 0);
  assert_null(tdcerts_case_at(NULL, 0));
  assert_null(tdcerts_root_pem(NULL));
  assert_int_equal(tdcerts_write_dir(NULL, "/tmp"), -EINVAL);
}

static void test_tdcerts_every_case_is_listed_once(void **state)
{
  fixture_t *f = *state;
  size_t i, j, n = tdcerts_case_count(f->set);

  assert_int_equal(n, NEXPECTS);
  assert_null(tdcerts_case_at(f->set, n));
  assert_null(tdcerts_case(f->set, "no_such_case"));
  assert_int_equal(tdcerts_now(f->set), f->now);
  for (i = 0; i < n; i++) {
    const tdcerts_case_t *c = tdcerts_case_at(f->set, i);
    const expect_t *e = expect_for(c->name);

    assert_ptr_equal(tdcerts_case(f->set, c->name), c);
    assert_string_equal(c->hostname, e->hostname);
    assert_non_null(c->description);
    assert_true(strlen(c->description) > 0 && !strchr(c->description, '\n'));
    assert_non_null(strstr(c->chain_pem, "-----BEGIN CERTIFICATE-----"));
    assert_non_null(strstr(c->key_pem, "-----BEGIN PRIVATE KEY-----"));
    if (e->ocsp < 0) {
      assert_null(c->ocsp_der);
      assert_int_equal(c->ocsp_len, 0);
    } else {
      assert_non_null(c->ocsp_der);
      assert_true(c->ocsp_len > 100);
    }
    for (j = 0; j < i; j++)
      assert_string_not_equal(tdcerts_case_at(f->set, j)->name, c->name);
  }
}

static void test_tdcerts_ca_hierarchy(void **state)
{
  fixture_t *f = *state;
  gnutls_x509_crt_t root = load_crt(tdcerts_root_pem(f->set));
  gnutls_x509_crt_t inter = load_crt(tdcerts_intermediate_pem(f->set));
  gnutls_x509_crt_t uroot = load_crt(tdcerts_unknown_root_pem(f->set));
  gnutls_x509_crt_t uinter =
      load_crt(tdcerts_unknown_intermediate_pem(f->set));
  gnutls_x509_crt_t cas[2];
  unsigned usage = 0, critical = 0, ca = 0;
  int pathlen = 99;
  unsigned char ski[20], aki[20];
  size_t ski_len = sizeof(ski), aki_len = sizeof(aki);

  assert_cn(root, 0, "tlsdiag Test Root CA");
  assert_cn(root, 1, "tlsdiag Test Root CA");
  assert_org(root);
  assert_true(gnutls_x509_crt_check_issuer(root, root));
  assert_int_equal(gnutls_x509_crt_get_activation_time(root),
                   f->now - 10 * YEAR);
  assert_int_equal(gnutls_x509_crt_get_expiration_time(root),
                   f->now + 10 * YEAR);
  assert_int_equal(
      gnutls_x509_crt_get_basic_constraints(root, &critical, &ca, &pathlen),
      1);
  assert_int_equal(ca, 1);
  assert_int_equal(pathlen, -1);

  assert_cn(inter, 0, INTER);
  assert_cn(inter, 1, "tlsdiag Test Root CA");
  assert_org(inter);
  assert_int_equal(gnutls_x509_crt_get_activation_time(inter),
                   f->now - 5 * YEAR);
  assert_int_equal(gnutls_x509_crt_get_expiration_time(inter),
                   f->now + 5 * YEAR);
  assert_int_equal(
      gnutls_x509_crt_get_basic_constraints(inter, &critical, &ca, &pathlen),
      1);
  assert_int_equal(critical, 1);
  assert_int_equal(ca, 1);
  assert_int_equal(pathlen, 0);
  assert_int_equal(gnutls_x509_crt_get_key_usage(inter, &usage, &critical), 0);
  assert_int_equal(usage, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
  key_id(root, 0, ski, &ski_len);
  key_id(inter, 1, aki, &aki_len);
  assert_memory_equal(ski, aki, 20);
  assert_int_equal(gnutls_x509_crt_get_signature_algorithm(inter),
                   GNUTLS_SIGN_ECDSA_SHA256);

  /* The intermediate chains to the root; the unknown one does not. */
  cas[0] = inter;
  assert_int_equal(verify_with_root(f->set, cas, 1, NULL, 0), 0);
  cas[0] = uinter;
  assert_int_equal(verify_with_root(f->set, cas, 1, NULL, 0),
                   GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_INVALID);
  cas[0] = uinter;
  cas[1] = uroot;
  assert_int_equal(verify_with_root(f->set, cas, 2, NULL, 0),
                   GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_INVALID);
  assert_cn(uroot, 0, "tlsdiag Unknown Root CA");
  assert_cn(uinter, 0, "tlsdiag Unknown Intermediate CA");
  assert_cn(uinter, 1, "tlsdiag Unknown Root CA");
  assert_true(gnutls_x509_crt_check_issuer(uinter, uroot));
  assert_false(gnutls_x509_crt_check_issuer(uinter, root));

  gnutls_x509_crt_deinit(root);
  gnutls_x509_crt_deinit(inter);
  gnutls_x509_crt_deinit(uroot);
  gnutls_x509_crt_deinit(uinter);
}

static void test_tdcerts_leaf_profile(void **state)
{
  fixture_t *f = *state;
  unsigned char serials[NEXPECTS][16];
  size_t i, j;

  for (i = 0; i < NEXPECTS; i++) {
    const expect_t *e = &expects[i];
    const tdcerts_case_t *c = tdcerts_case(f->set, e->name);
    chain_t chain = load_chain(c->chain_pem);
    gnutls_x509_crt_t leaf = chain.crts[0];
    unsigned usage = 0, critical = 0, ca = 7, want_usage;
    int pathlen;
    char oid[64];
    size_t oid_len = sizeof(oid);
    unsigned char ski[20], aki[20], issuer_ski[20];
    size_t ski_len = sizeof(ski), aki_len = sizeof(aki);
    size_t issuer_len = sizeof(issuer_ski);

    assert_int_equal(chain.n, e->chain_len);
    assert_int_equal(gnutls_x509_crt_get_version(leaf), 3);
    assert_cn(leaf, 0, e->cn);
    assert_cn(leaf, 1, e->issuer_cn);
    assert_org(leaf);
    assert_int_equal(
        gnutls_x509_crt_get_basic_constraints(leaf, &critical, &ca, &pathlen),
        0);
    assert_int_equal(ca, 0);
    assert_int_equal(gnutls_x509_crt_get_key_usage(leaf, &usage, &critical),
                     0);
    want_usage = GNUTLS_KEY_DIGITAL_SIGNATURE;
    if (e->pk == GNUTLS_PK_RSA)
      want_usage |= GNUTLS_KEY_KEY_ENCIPHERMENT;
    assert_int_equal(usage, want_usage);
    assert_int_equal(
        gnutls_x509_crt_get_key_purpose_oid(leaf, 0, oid, &oid_len, NULL), 0);
    assert_string_equal(oid, GNUTLS_KP_TLS_WWW_SERVER);
    oid_len = sizeof(oid);
    assert_int_equal(
        gnutls_x509_crt_get_key_purpose_oid(leaf, 1, oid, &oid_len, NULL),
        GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
    assert_int_equal(gnutls_x509_crt_get_signature_algorithm(leaf), e->sig);

    /* AKI names the issuer's SKI (the leaf's own for self_signed). */
    key_id(leaf, 0, ski, &ski_len);
    key_id(leaf, 1, aki, &aki_len);
    if (chain.n > 1) {
      key_id(chain.crts[1], 0, issuer_ski, &issuer_len);
      assert_memory_equal(aki, issuer_ski, 20);
      assert_true(gnutls_x509_crt_check_issuer(leaf, chain.crts[1]));
    } else if (strcmp(e->name, "self_signed") == 0) {
      assert_memory_equal(aki, ski, 20);
      assert_true(gnutls_x509_crt_check_issuer(leaf, leaf));
    } else {
      gnutls_x509_crt_t inter = load_crt(tdcerts_intermediate_pem(f->set));

      key_id(inter, 0, issuer_ski, &issuer_len);
      assert_memory_equal(aki, issuer_ski, 20);
      gnutls_x509_crt_deinit(inter);
    }
    assert_serial_16_positive(leaf, serials[i]);
    for (j = 0; j < i; j++)
      assert_memory_not_equal(serials[i], serials[j], 16);
    chain_free(&chain);
  }
}

static void test_tdcerts_leaf_dates_are_relative_to_now(void **state)
{
  fixture_t *f = *state;
  size_t i;

  for (i = 0; i < NEXPECTS; i++) {
    const expect_t *e = &expects[i];
    gnutls_x509_crt_t leaf =
        load_crt(tdcerts_case(f->set, e->name)->chain_pem);

    assert_int_equal(gnutls_x509_crt_get_activation_time(leaf),
                     f->now + e->not_before);
    assert_int_equal(gnutls_x509_crt_get_expiration_time(leaf),
                     f->now + e->not_after);
    gnutls_x509_crt_deinit(leaf);
  }
}

static void test_tdcerts_leaf_keys_match_and_load(void **state)
{
  fixture_t *f = *state;
  size_t i;

  for (i = 0; i < NEXPECTS; i++) {
    const expect_t *e = &expects[i];
    const tdcerts_case_t *c = tdcerts_case(f->set, e->name);
    gnutls_x509_crt_t leaf = load_crt(c->chain_pem);
    gnutls_certificate_credentials_t cred;
    gnutls_datum_t cert = text_datum(c->chain_pem);
    gnutls_datum_t key = text_datum(c->key_pem);
    unsigned bits = 0;

    assert_int_equal(gnutls_x509_crt_get_pk_algorithm(leaf, &bits), e->pk);
    assert_int_equal(bits, e->bits);
    if (e->pk == GNUTLS_PK_ECDSA) {
      gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;

      assert_int_equal(
          gnutls_x509_crt_get_pk_ecc_raw(leaf, &curve, NULL, NULL), 0);
      assert_int_equal(curve, GNUTLS_ECC_CURVE_SECP256R1);
    }
    /* The server loader checks that the key belongs to the leaf. */
    assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
    assert_int_equal(gnutls_certificate_set_x509_key_mem(
                         cred, &cert, &key, GNUTLS_X509_FMT_PEM),
                     0);
    gnutls_certificate_free_credentials(cred);
    gnutls_x509_crt_deinit(leaf);
  }
}

static void san_text(gnutls_x509_crt_t crt, unsigned i, char *out,
                     size_t outlen, int *rc)
{
  char buf[256];
  size_t len = sizeof(buf) - 1;
  unsigned critical = 0;
  int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &len, &critical);

  *rc = type;
  if (type < 0)
    return;
  assert_int_equal(critical, 0);
  if (type == GNUTLS_SAN_DNSNAME) {
    buf[len] = '\0';
    snprintf(out, outlen, "DNS:%s", buf);
  } else if (type == GNUTLS_SAN_IPADDRESS) {
    char ip[INET6_ADDRSTRLEN];

    assert_true(len == 4 || len == 16);
    assert_non_null(
        inet_ntop(len == 4 ? AF_INET : AF_INET6, buf, ip, sizeof(ip)));
    snprintf(out, outlen, "IP:%s", ip);
  } else {
    snprintf(out, outlen, "type%d", type);
  }
}

static void test_tdcerts_leaf_subject_alt_names(void **state)
{
  fixture_t *f = *state;
  size_t i;

  for (i = 0; i < NEXPECTS; i++) {
    const expect_t *e = &expects[i];
    gnutls_x509_crt_t leaf =
        load_crt(tdcerts_case(f->set, e->name)->chain_pem);
    gnutls_datum_t aia = {NULL, 0};
    unsigned k;
    int rc;

    for (k = 0; k < 4 && e->san[k]; k++) {
      char got[300];

      san_text(leaf, k, got, sizeof(got), &rc);
      assert_true(rc >= 0);
      assert_string_equal(got, e->san[k]);
    }
    {
      char got[300];

      san_text(leaf, k, got, sizeof(got), &rc);
      assert_int_equal(rc, GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
    }
    /* Only no_intermediate carries AIA: the OCSP access description
     * first, then caIssuers. */
    rc = gnutls_x509_crt_get_authority_info_access(
        leaf, 0, GNUTLS_IA_OCSP_URI, &aia, NULL);
    if (strcmp(e->name, "no_intermediate") == 0) {
      assert_int_equal(rc, 0);
      assert_int_equal(aia.size, strlen("http://ocsp.tlsdiag.test/"));
      assert_memory_equal(aia.data, "http://ocsp.tlsdiag.test/", aia.size);
      gnutls_free(aia.data);
      aia.data = NULL;
      assert_int_equal(gnutls_x509_crt_get_authority_info_access(
                           leaf, 1, GNUTLS_IA_CAISSUERS_URI, &aia, NULL),
                       0);
      assert_int_equal(aia.size,
                       strlen("http://aia.tlsdiag.test/intermediate.der"));
      assert_memory_equal(aia.data, "http://aia.tlsdiag.test/intermediate.der",
                          aia.size);
      gnutls_free(aia.data);
      assert_int_equal(gnutls_x509_crt_get_authority_info_access(
                           leaf, 2, GNUTLS_IA_URI, &aia, NULL),
                       GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
    } else {
      assert_true(rc < 0);
    }
    gnutls_x509_crt_deinit(leaf);
  }
}

static void test_tdcerts_cn_only_has_no_san_extension(void **state)
{
  fixture_t *f = *state;
  gnutls_x509_crt_t leaf =
      load_crt(tdcerts_case(f->set, "cn_only")->chain_pem);
  char oid[128];
  size_t len;
  unsigned i;

  for (i = 0;; i++) {
    int rc;

    len = sizeof(oid);
    rc = gnutls_x509_crt_get_extension_oid(leaf, i, oid, &len);
    if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
      break;
    assert_int_equal(rc, 0);
    assert_string_not_equal(oid, "2.5.29.17");
  }
  assert_true(i >= 5); /* BC, KU, EKU, SKI, AKI are still there */
  gnutls_x509_crt_deinit(leaf);
}

/* ---- verification ------------------------------------------------------- */

static void test_tdcerts_chain_verification_status(void **state)
{
  fixture_t *f = *state;
  size_t i;

  for (i = 0; i < NEXPECTS; i++) {
    const expect_t *e = &expects[i];
    unsigned status = verify_case(f->set, e->name, NULL, 0);

    if (status != e->status)
      fail_msg("%s: status 0x%x, want 0x%x", e->name, status, e->status);
  }
}

static void test_tdcerts_only_dates_fail_for_date_cases(void **state)
{
  fixture_t *f = *state;

  assert_int_equal(verify_case(f->set, "expired", NULL,
                               GNUTLS_VERIFY_DISABLE_TIME_CHECKS),
                   0);
  assert_int_equal(verify_case(f->set, "not_yet_valid", NULL,
                               GNUTLS_VERIFY_DISABLE_TIME_CHECKS),
                   0);
}

static void test_tdcerts_sha1_fails_only_for_its_algorithm(void **state)
{
  fixture_t *f = *state;

  assert_int_equal(verify_case(f->set, "sha1", NULL,
                               GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1),
                   0);
}

static void test_tdcerts_rsa1024_verifies_but_is_weak(void **state)
{
  fixture_t *f = *state;
  gnutls_x509_crt_t leaf =
      load_crt(tdcerts_case(f->set, "rsa1024")->chain_pem);
  unsigned bits = 0;

  assert_int_equal(verify_case(f->set, "rsa1024", NULL, 0), 0);
  assert_int_equal(gnutls_x509_crt_get_pk_algorithm(leaf, &bits),
                   GNUTLS_PK_RSA);
  assert_int_equal(bits, 1024);
  assert_true(gnutls_pk_bits_to_sec_param(GNUTLS_PK_RSA, bits) <
              GNUTLS_SEC_PARAM_MEDIUM);
  gnutls_x509_crt_deinit(leaf);
}

static void test_tdcerts_hostname_checks(void **state)
{
  fixture_t *f = *state;
  gnutls_x509_crt_t valid;
  size_t i;

  for (i = 0; i < NEXPECTS; i++) {
    const expect_t *e = &expects[i];
    const char *name = e->check_as ? e->check_as : e->hostname;
    gnutls_x509_crt_t leaf =
        load_crt(tdcerts_case(f->set, e->name)->chain_pem);

    if (!!gnutls_x509_crt_check_hostname(leaf, name) != e->name_ok)
      fail_msg("%s: hostname check of %s should be %d", e->name, name,
               e->name_ok);
    gnutls_x509_crt_deinit(leaf);
  }
  /* The same through the verifier, as tlsdiag asks it. */
  assert_int_equal(verify_case(f->set, "wrong_host",
                               "wrong-host.tlsdiag.test", 0),
                   GNUTLS_CERT_UNEXPECTED_OWNER | GNUTLS_CERT_INVALID);
  assert_int_equal(verify_case(f->set, "valid", "localhost", 0), 0);
  assert_int_equal(
      verify_case(f->set, "idn", "xn--bcher-kva.tlsdiag.test", 0), 0);

  valid = load_crt(tdcerts_case(f->set, "valid")->chain_pem);
  assert_true(gnutls_x509_crt_check_ip(valid, (const unsigned char *)
                                       "\x7f\x00\x00\x01", 4, 0));
  assert_true(gnutls_x509_crt_check_ip(
      valid,
      (const unsigned char *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16, 0));
  assert_true(gnutls_x509_crt_check_hostname(valid, "valid.tlsdiag.test"));
  gnutls_x509_crt_deinit(valid);
}

static void test_tdcerts_dates_move_with_now(void **state)
{
  int64_t then = (int64_t)time(NULL) - 200 * DAY;
  tdcerts_t *old = NULL;
  gnutls_x509_crt_t leaf;

  (void)state;
  assert_int_equal(tdcerts_generate(then, &old), 0);
  leaf = load_crt(tdcerts_case(old, "valid")->chain_pem);
  assert_int_equal(gnutls_x509_crt_get_activation_time(leaf), then - 30 * DAY);
  assert_int_equal(gnutls_x509_crt_get_expiration_time(leaf), then + 90 * DAY);
  /* Checked today, a set made for 200 days ago has an expired "valid"
   * leaf and a "not_yet_valid" leaf that is valid now. */
  assert_int_equal(verify_case(old, "valid", NULL, 0),
                   GNUTLS_CERT_EXPIRED | GNUTLS_CERT_INVALID);
  assert_int_equal(verify_case(old, "not_yet_valid", NULL, 0), 0);
  gnutls_x509_crt_deinit(leaf);
  tdcerts_free(old);
}

static void test_tdcerts_each_set_is_fresh(void **state)
{
  fixture_t *f = *state;
  tdcerts_t *other = NULL;

  assert_int_equal(tdcerts_generate(f->now, &other), 0);
  assert_string_not_equal(tdcerts_root_pem(other), tdcerts_root_pem(f->set));
  assert_string_not_equal(tdcerts_case(other, "valid")->key_pem,
                          tdcerts_case(f->set, "valid")->key_pem);
  /* a leaf of one set does not chain to the other set's root */
  {
    const tdcerts_case_t *c = tdcerts_case(other, "valid");
    chain_t chain = load_chain(c->chain_pem);

    assert_int_equal(verify_with_root(f->set, chain.crts, chain.n, NULL, 0),
                     GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_INVALID);
    chain_free(&chain);
  }
  tdcerts_free(other);
}

/* ---- OCSP --------------------------------------------------------------- */

typedef struct single {
  gnutls_digest_algorithm_t digest;
  gnutls_datum_t name_hash, key_hash, serial;
  unsigned status, reason;
  time_t this_update, next_update, revoked_at;
} single_t;

static gnutls_ocsp_resp_t load_ocsp(const tdcerts_case_t *c)
{
  gnutls_ocsp_resp_t resp;
  gnutls_datum_t d;

  d.data = c->ocsp_der;
  d.size = (unsigned)c->ocsp_len;
  assert_int_equal(gnutls_ocsp_resp_init(&resp), 0);
  assert_int_equal(gnutls_ocsp_resp_import(resp, &d), 0);
  assert_int_equal(gnutls_ocsp_resp_get_status(resp),
                   GNUTLS_OCSP_RESP_SUCCESSFUL);
  return resp;
}

static void get_single(gnutls_ocsp_resp_t resp, single_t *s)
{
  memset(s, 0, sizeof(*s));
  assert_int_equal(gnutls_ocsp_resp_get_single(
                       resp, 0, &s->digest, &s->name_hash, &s->key_hash,
                       &s->serial, &s->status, &s->this_update,
                       &s->next_update, &s->revoked_at, &s->reason),
                   0);
}

static void single_free(single_t *s)
{
  gnutls_free(s->name_hash.data);
  gnutls_free(s->key_hash.data);
  gnutls_free(s->serial.data);
}

/* Checks the parts every staple of this set shares: the CertID is the one
 * GnuTLS computes itself for (issuer, leaf), the responder is the CA by
 * key hash, the times follow now, and the response is about the leaf. */
static void check_staple(const fixture_t *f, const char *name,
                         gnutls_ocsp_resp_t resp, single_t *s,
                         gnutls_x509_crt_t *leaf_out,
                         gnutls_x509_crt_t *inter_out)
{
  const tdcerts_case_t *c = tdcerts_case(f->set, name);
  gnutls_x509_crt_t leaf = load_crt(c->chain_pem);
  gnutls_x509_crt_t inter = load_crt(tdcerts_intermediate_pem(f->set));
  gnutls_ocsp_req_t req;
  gnutls_digest_algorithm_t dig;
  gnutls_datum_t nh, kh, sn, rid;
  unsigned char ski[20], serial[32];
  size_t ski_len = sizeof(ski), serial_len = sizeof(serial);

  get_single(resp, s);
  assert_int_equal(s->digest, GNUTLS_DIG_SHA1);
  assert_int_equal(gnutls_ocsp_req_init(&req), 0);
  assert_int_equal(gnutls_ocsp_req_add_cert(req, GNUTLS_DIG_SHA1, inter, leaf),
                   0);
  assert_int_equal(gnutls_ocsp_req_get_cert_id(req, 0, &dig, &nh, &kh, &sn),
                   0);
  assert_int_equal(s->name_hash.size, nh.size);
  assert_memory_equal(s->name_hash.data, nh.data, nh.size);
  assert_int_equal(s->key_hash.size, kh.size);
  assert_memory_equal(s->key_hash.data, kh.data, kh.size);
  assert_int_equal(s->serial.size, sn.size);
  assert_memory_equal(s->serial.data, sn.data, sn.size);
  gnutls_free(nh.data);
  gnutls_free(kh.data);
  gnutls_free(sn.data);
  gnutls_ocsp_req_deinit(req);

  assert_int_equal(gnutls_x509_crt_get_serial(leaf, serial, &serial_len), 0);
  assert_int_equal(s->serial.size, serial_len);
  assert_memory_equal(s->serial.data, serial, serial_len);

  assert_int_equal(gnutls_ocsp_resp_get_responder_raw_id(
                       resp, GNUTLS_OCSP_RESP_ID_KEY, &rid),
                   0);
  assert_int_equal(
      gnutls_x509_crt_get_subject_key_id(inter, ski, &ski_len, NULL), 0);
  assert_int_equal(rid.size, ski_len);
  assert_memory_equal(rid.data, ski, ski_len);
  gnutls_free(rid.data);

  assert_int_equal(gnutls_ocsp_resp_get_produced(resp), f->now);
  assert_int_equal(s->this_update, f->now - 3600);
  assert_int_equal(s->next_update, f->now + 7 * DAY);
  assert_int_equal(gnutls_ocsp_resp_get_signature_algorithm(resp),
                   GNUTLS_SIGN_ECDSA_SHA256);
  assert_int_equal(gnutls_ocsp_resp_check_crt(resp, 0, leaf), 0);
  {
    single_t none;

    memset(&none, 0, sizeof(none));
    assert_int_equal(gnutls_ocsp_resp_get_single(
                         resp, 1, &none.digest, &none.name_hash,
                         &none.key_hash, &none.serial, &none.status,
                         &none.this_update, &none.next_update,
                         &none.revoked_at, &none.reason),
                     GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE);
  }
  *leaf_out = leaf;
  *inter_out = inter;
}

static void test_tdcerts_ocsp_good_staple_verifies(void **state)
{
  fixture_t *f = *state;
  gnutls_ocsp_resp_t resp = load_ocsp(tdcerts_case(f->set, "valid"));
  gnutls_x509_crt_t leaf, inter, other;
  unsigned verify = ~0u;
  single_t s;

  check_staple(f, "valid", resp, &s, &leaf, &inter);
  assert_int_equal(gnutls_ocsp_resp_verify_direct(resp, inter, &verify, 0), 0);
  assert_int_equal(verify, 0);
  assert_int_equal(s.status, GNUTLS_OCSP_CERT_GOOD);
  /* The staple is about this leaf and no other. */
  other = load_crt(tdcerts_case(f->set, "revoked")->chain_pem);
  assert_int_equal(gnutls_ocsp_resp_check_crt(resp, 0, other),
                   GNUTLS_E_OCSP_RESPONSE_ERROR);
  gnutls_x509_crt_deinit(other);
  single_free(&s);
  gnutls_x509_crt_deinit(leaf);
  gnutls_x509_crt_deinit(inter);
  gnutls_ocsp_resp_deinit(resp);
}

static void test_tdcerts_ocsp_revoked_staple(void **state)
{
  fixture_t *f = *state;
  gnutls_ocsp_resp_t resp = load_ocsp(tdcerts_case(f->set, "revoked"));
  gnutls_x509_crt_t leaf, inter;
  unsigned verify = ~0u;
  single_t s;

  check_staple(f, "revoked", resp, &s, &leaf, &inter);
  assert_int_equal(gnutls_ocsp_resp_verify_direct(resp, inter, &verify, 0), 0);
  assert_int_equal(verify, 0);
  assert_int_equal(s.status, GNUTLS_OCSP_CERT_REVOKED);
  assert_int_equal(s.revoked_at, f->now - DAY);
  assert_int_equal(s.reason, GNUTLS_X509_CRLREASON_KEYCOMPROMISE);
  single_free(&s);
  gnutls_x509_crt_deinit(leaf);
  gnutls_x509_crt_deinit(inter);
  gnutls_ocsp_resp_deinit(resp);
}

static void test_tdcerts_ocsp_bad_signature_staple(void **state)
{
  fixture_t *f = *state;
  gnutls_ocsp_resp_t resp =
      load_ocsp(tdcerts_case(f->set, "ocsp_bad_signature"));
  gnutls_x509_crt_t leaf, inter, uinter;
  unsigned verify = 0;
  single_t s;

  check_staple(f, "ocsp_bad_signature", resp, &s, &leaf, &inter);
  assert_int_equal(s.status, GNUTLS_OCSP_CERT_GOOD);
  assert_int_equal(gnutls_ocsp_resp_verify_direct(resp, inter, &verify, 0), 0);
  assert_int_equal(verify, GNUTLS_OCSP_VERIFY_SIGNATURE_FAILURE);
  /* it was signed by the unknown intermediate's key */
  uinter = load_crt(tdcerts_unknown_intermediate_pem(f->set));
  verify = ~0u;
  assert_int_equal(gnutls_ocsp_resp_verify_direct(resp, uinter, &verify, 0),
                   0);
  assert_int_equal(verify, 0);
  gnutls_x509_crt_deinit(uinter);
  single_free(&s);
  gnutls_x509_crt_deinit(leaf);
  gnutls_x509_crt_deinit(inter);
  gnutls_ocsp_resp_deinit(resp);
}

/* ---- a real handshake over a socketpair --------------------------------- */

/* Runs a TLS handshake between a server using case `name` (chain, key and
 * staple) and a client that trusts the test root and asks for the staple.
 * Returns the client's verification status for `hostname`. */
static unsigned handshake_status(const tdcerts_t *set, const char *name,
                                 const char *hostname, int *ocsp_checked)
{
  const tdcerts_case_t *c = tdcerts_case(set, name);
  gnutls_certificate_credentials_t scred, ccred;
  gnutls_session_t server, client;
  gnutls_datum_t cert = text_datum(c->chain_pem), key = text_datum(c->key_pem);
  gnutls_datum_t root = text_datum(tdcerts_root_pem(set));
  gnutls_typed_vdata_st data;
  int sv[2], src = GNUTLS_E_AGAIN, crc = GNUTLS_E_AGAIN, rounds;
  unsigned status = ~0u;

  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
  assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);

  assert_int_equal(gnutls_certificate_allocate_credentials(&scred), 0);
  /* GnuTLS refuses to load a REVOKED staple (GNUTLS_E_EXPIRED) unless the
   * loader's checks are skipped; a test server wants to send it anyway. */
  gnutls_certificate_set_flags(scred,
                               GNUTLS_CERTIFICATE_SKIP_OCSP_RESPONSE_CHECK);
  assert_int_equal(gnutls_certificate_set_x509_key_mem(scred, &cert, &key,
                                                       GNUTLS_X509_FMT_PEM),
                   0);
  if (c->ocsp_der) {
    gnutls_datum_t ocsp = {c->ocsp_der, (unsigned)c->ocsp_len};

    assert_true(gnutls_certificate_set_ocsp_status_request_mem(
                    scred, &ocsp, 0, GNUTLS_X509_FMT_DER) >= 0);
  }
  assert_int_equal(gnutls_certificate_allocate_credentials(&ccred), 0);
  assert_int_equal(
      gnutls_certificate_set_x509_trust_mem(ccred, &root, GNUTLS_X509_FMT_PEM),
      1);

  assert_int_equal(gnutls_init(&server, GNUTLS_SERVER | GNUTLS_NONBLOCK), 0);
  assert_int_equal(gnutls_set_default_priority(server), 0);
  assert_int_equal(
      gnutls_credentials_set(server, GNUTLS_CRD_CERTIFICATE, scred), 0);
  gnutls_transport_set_int(server, sv[0]);

  assert_int_equal(gnutls_init(&client, GNUTLS_CLIENT | GNUTLS_NONBLOCK), 0);
  assert_int_equal(gnutls_set_default_priority(client), 0);
  assert_int_equal(
      gnutls_credentials_set(client, GNUTLS_CRD_CERTIFICATE, ccred), 0);
  assert_int_equal(gnutls_server_name_set(client, GNUTLS_NAME_DNS, hostname,
                                          strlen(hostname)),
                   0);
  assert_int_equal(gnutls_ocsp_status_request_enable_client(client, NULL, 0,
                                                            NULL),
                   0);
  gnutls_transport_set_int(client, sv[1]);

  for (rounds = 0; rounds < 1000 && (src != 0 || crc != 0); rounds++) {
    struct pollfd p[2] = {{sv[0], POLLIN, 0}, {sv[1], POLLIN, 0}};

    if (src != 0)
      src = gnutls_handshake(server);
    if (crc != 0)
      crc = gnutls_handshake(client);
    if ((src < 0 && src != GNUTLS_E_AGAIN) ||
        (crc < 0 && crc != GNUTLS_E_AGAIN))
      break;
    if (src != 0 || crc != 0)
      (void)poll(p, 2, 100);
  }
  if (src != 0 || crc != 0)
    fail_msg("%s: handshake failed: server %s, client %s", name,
             gnutls_strerror(src), gnutls_strerror(crc));

  data.type = GNUTLS_DT_DNS_HOSTNAME;
  data.data = (unsigned char *)hostname;
  data.size = 0;
  assert_int_equal(gnutls_certificate_verify_peers(client, &data, 1, &status),
                   0);
  *ocsp_checked = (int)gnutls_ocsp_status_request_is_checked(client, 0);

  gnutls_deinit(client);
  gnutls_deinit(server);
  gnutls_certificate_free_credentials(ccred);
  gnutls_certificate_free_credentials(scred);
  close(sv[0]);
  close(sv[1]);
  return status;
}

static void test_tdcerts_server_handshake_with_staple(void **state)
{
  static const struct {
    const char *name, *sni;
    unsigned status; /* the client's verification of the peer */
    int ocsp_ok;     /* gnutls_ocsp_status_request_is_checked */
  } hs[] = {
      {"valid", "localhost", 0, 1},
      {"valid_rsa", "rsa.tlsdiag.test", 0, 0},
      {"revoked", "revoked.tlsdiag.test",
       GNUTLS_CERT_REVOKED | GNUTLS_CERT_INVALID, 0},
      {"ocsp_bad_signature", "ocsp-bad.tlsdiag.test",
       GNUTLS_CERT_INVALID_OCSP_STATUS | GNUTLS_CERT_INVALID, 0},
      {"wrong_host", "wrong-host.tlsdiag.test",
       GNUTLS_CERT_UNEXPECTED_OWNER | GNUTLS_CERT_INVALID, 0},
      {"no_intermediate", "incomplete.tlsdiag.test",
       GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_INVALID, 0},
      {"with_root", "with-root.tlsdiag.test", 0, 0},
  };
  fixture_t *f = *state;
  size_t i;

  for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
    int checked = -1;
    unsigned status = handshake_status(f->set, hs[i].name, hs[i].sni,
                                       &checked);

    if (status != hs[i].status || !!checked != hs[i].ocsp_ok)
      fail_msg("%s: client status 0x%x (want 0x%x), ocsp checked %d",
               hs[i].name, status, hs[i].status, checked);
  }
}

/* ---- files -------------------------------------------------------------- */

static char *read_all(const char *dir, const char *name, size_t *len)
{
  char path[512];
  FILE *fp;
  char *buf;
  long n;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  fp = fopen(path, "rb");
  if (!fp)
    fail_msg("cannot open %s: %s", path, strerror(errno));
  assert_int_equal(fseek(fp, 0, SEEK_END), 0);
  n = ftell(fp);
  assert_true(n >= 0);
  rewind(fp);
  buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
  buf[n] = '\0';
  fclose(fp);
  *len = (size_t)n;
  return buf;
}

static void remove_dir(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[512];

  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    assert_int_equal(unlink(path), 0);
  }
  closedir(d);
  assert_int_equal(rmdir(dir), 0);
}

static void test_tdcerts_write_dir_files_load(void **state)
{
  fixture_t *f = *state;
  char dir[] = "/tmp/tdcerts-test-XXXXXX";
  char sub[64], name[128];
  size_t i, len;
  char *text;
  struct stat st;

  assert_non_null(mkdtemp(dir));
  snprintf(sub, sizeof(sub), "%s/out", dir);
  assert_int_equal(tdcerts_write_dir(f->set, sub), 0);
  /* writing again replaces the files */
  assert_int_equal(tdcerts_write_dir(f->set, sub), 0);

  text = read_all(sub, "root.pem", &len);
  assert_string_equal(text, tdcerts_root_pem(f->set));
  free(text);
  text = read_all(sub, "intermediate.pem", &len);
  assert_string_equal(text, tdcerts_intermediate_pem(f->set));
  free(text);
  text = read_all(sub, "unknown-root.pem", &len);
  assert_string_equal(text, tdcerts_unknown_root_pem(f->set));
  free(text);

  for (i = 0; i < tdcerts_case_count(f->set); i++) {
    const tdcerts_case_t *c = tdcerts_case_at(f->set, i);
    gnutls_certificate_credentials_t cred;
    char chain_path[512], key_path[512];
    char line[512];
    int rc;

    snprintf(chain_path, sizeof(chain_path), "%s/%s.chain.pem", sub, c->name);
    snprintf(key_path, sizeof(key_path), "%s/%s.key.pem", sub, c->name);
    assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
    assert_int_equal(gnutls_certificate_set_x509_key_file(
                         cred, chain_path, key_path, GNUTLS_X509_FMT_PEM),
                     0);
    assert_int_equal(stat(key_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(name, sizeof(name), "%s.ocsp.der", c->name);
    if (c->ocsp_der) {
      char ocsp_path[512];

      snprintf(ocsp_path, sizeof(ocsp_path), "%s/%s", sub, name);
      /* the loader checks the staple matches the leaf, and refuses a
       * REVOKED one unless told to skip its checks */
      rc = gnutls_certificate_set_ocsp_status_request_file(cred, ocsp_path,
                                                           0);
      if (strcmp(c->name, "revoked") == 0) {
        assert_int_equal(rc, GNUTLS_E_EXPIRED);
        gnutls_certificate_set_flags(
            cred, GNUTLS_CERTIFICATE_SKIP_OCSP_RESPONSE_CHECK);
        rc = gnutls_certificate_set_ocsp_status_request_file(cred, ocsp_path,
                                                             0);
      }
      assert_int_equal(rc, 0);
      text = read_all(sub, name, &len);
      assert_int_equal(len, c->ocsp_len);
      assert_memory_equal(text, c->ocsp_der, len);
      free(text);
    } else {
      snprintf(line, sizeof(line), "%s/%s", sub, name);
      assert_int_equal(access(line, F_OK), -1);
    }
    gnutls_certificate_free_credentials(cred);

    /* one manifest line per case */
    snprintf(line, sizeof(line), "\n%s\t%s\t%s\n", c->name, c->hostname,
             c->description);
    text = read_all(sub, "manifest.txt", &len);
    assert_non_null(strstr(text, line));
    free(text);
  }
  remove_dir(sub);
  assert_int_equal(rmdir(dir), 0);
  assert_true(tdcerts_write_dir(f->set, "/nonexistent-dir/x") < 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tdcerts_generate_rejects_bad_arguments),
      cmocka_unit_test(test_tdcerts_every_case_is_listed_once),
      cmocka_unit_test(test_tdcerts_ca_hierarchy),
      cmocka_unit_test(test_tdcerts_leaf_profile),
      cmocka_unit_test(test_tdcerts_leaf_dates_are_relative_to_now),
      cmocka_unit_test(test_tdcerts_leaf_keys_match_and_load),
      cmocka_unit_test(test_tdcerts_leaf_subject_alt_names),
      cmocka_unit_test(test_tdcerts_cn_only_has_no_san_extension),
      cmocka_unit_test(test_tdcerts_chain_verification_status),
      cmocka_unit_test(test_tdcerts_only_dates_fail_for_date_cases),
      cmocka_unit_test(test_tdcerts_sha1_fails_only_for_its_algorithm),
      cmocka_unit_test(test_tdcerts_rsa1024_verifies_but_is_weak),
      cmocka_unit_test(test_tdcerts_hostname_checks),
      cmocka_unit_test(test_tdcerts_dates_move_with_now),
      cmocka_unit_test(test_tdcerts_each_set_is_fresh),
      cmocka_unit_test(test_tdcerts_ocsp_good_staple_verifies),
      cmocka_unit_test(test_tdcerts_ocsp_revoked_staple),
      cmocka_unit_test(test_tdcerts_ocsp_bad_signature_staple),
      cmocka_unit_test(test_tdcerts_server_handshake_with_staple),
      cmocka_unit_test(test_tdcerts_write_dir_files_load),
  };

  return td_run_tests(tests, group_setup, group_teardown);
}
