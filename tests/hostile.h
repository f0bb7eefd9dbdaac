/* hostile.h: shared helpers of the hostile tests (test_hostile_*.c): a
 * timed check with its outcome asserted, and a tiny PKI built with the
 * GnuTLS X.509 API: certificates whose subject and SAN bytes are
 * chosen exactly (raw DER, so quotes, controls, invalid UTF-8 and NUL bytes
 * reach the wire as written), long chains, huge SAN lists. tdcerts makes
 * well-formed certificates only and keeps its keys, so these tests bring
 * their own CA and hand its PEM to the library as cafile.
 *
 * Header-only (static) like tdtest.h; include after it. Every helper fails
 * the running cmocka test on error, so callers need no error paths. */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tdtest.h"

/* ---- timed checks with an exact expected outcome ---------------------- */

/* A check must end within its deadline x 1.1 + SLACK_MS (x TD_TIME_SCALE). */
#define SLACK_MS 100.0

typedef struct {
  const char *name;        /* for the log line */
  tlsdiag_phase_t phase;   /* the phase that fails */
  tlsdiag_status_t status; /* its status */
  tlsdiag_cause_t cause;
  const char *message;     /* substring of the root finding's message */
  int deadline_ms;         /* the limit that must bound the check */
  int must_wait;           /* a timeout: must not end before deadline_ms */
} expect_t;

typedef struct {
  tlsdiag_result_t *r;
  json_t *j;
  double ms;
} hrun_t;

/* Runs one check through the library, timed, with its JSON parsed. */
static TT_UNUSED void hrun(const char *host, const tlsdiag_options_t *o,
                           hrun_t *h) {
  int64_t t0 = td_mono_us();
  h->r = tt_check(host, o);
  h->ms = tt_ms_since(t0);
  h->j = tt_json(h->r);
}

static TT_UNUSED void hrun_free(hrun_t *h) {
  tlsdiag_result_free(h->r);
  json_decref(h->j);
}

/* hrun of localhost:port trusting cafile (NULL: the test root), with
 * these connect and total limits (0: tt_opts's). */
static TT_UNUSED void hrun_local(uint16_t port, const char *cafile,
                                 int cto_ms, int max_ms, hrun_t *h) {
  tt_opts_t t;
  tt_opts(&t, "localhost", port);
  if (cafile) t.o.cafile = cafile;
  if (cto_ms) t.o.connect_timeout_ms = cto_ms;
  if (max_ms) t.o.max_time_ms = max_ms;
  hrun("localhost", &t.o, h);
}

/* Asserts e on h, and logs the outcome (the measured numbers). */
static TT_UNUSED void expect(const hrun_t *h, const expect_t *e) {
  tlsdiag_cause_t got = tlsdiag_result_cause(h->r);
  tlsdiag_status_t st = tlsdiag_result_phase_status(h->r, e->phase);
  const char *msg = tlsdiag_result_finding_count(h->r)
                        ? tlsdiag_result_finding_message(h->r, 0)
                        : "";
  print_message("hostile %-24s cause=%s phase=%s/%s %.1f ms "
                "(deadline %d ms) \"%s\"\n",
                e->name, tlsdiag_cause_name(got), tlsdiag_phase_name(e->phase),
                tlsdiag_status_name(st), h->ms, e->deadline_ms, msg);
  if (got != e->cause)
    fail_msg("%s: cause %s, expected %s (%s)", e->name,
             tlsdiag_cause_name(got), tlsdiag_cause_name(e->cause), msg);
  assert_int_equal(tlsdiag_result_phase_status(h->r, e->phase), e->status);
  for (int p = (int)e->phase + 1; p < TLSDIAG_PHASE_COUNT_; p++)
    assert_int_equal(tlsdiag_result_phase_status(h->r, (tlsdiag_phase_t)p),
                     TLSDIAG_STATUS_NOT_RUN);
  /* The root cause is the first finding, and says what happened. */
  assert_int_equal(tlsdiag_result_finding_code(h->r, 0), e->cause);
  if (!strstr(msg, e->message))
    fail_msg("%s: message \"%s\" lacks \"%s\"", e->name, msg, e->message);
  /* The same in the JSON. */
  assert_string_equal(tt_jstr(h->j, "cause"), tlsdiag_cause_name(e->cause));
  char path[64];
  snprintf(path, sizeof(path), "phases.%s.status",
           tlsdiag_phase_name(e->phase));
  assert_string_equal(tt_jstr(h->j, path), tlsdiag_status_name(e->status));
  assert_true(json_is_false(tt_jget(h->j, "ok")));
  /* Bounded, and a timeout is a timeout (not an early give-up). */
  if (h->ms > td_upper_ms(e->deadline_ms * 1.1 + SLACK_MS))
    fail_msg("%s: took %.1f ms, deadline %d ms", e->name, h->ms,
             e->deadline_ms);
  if (e->must_wait && h->ms < e->deadline_ms)
    fail_msg("%s: gave up after %.1f ms, before the %d ms limit", e->name,
             h->ms, e->deadline_ms);
}

/* ---- the PKI ------------------------------------------------------------ */

typedef struct hp_cert {
  gnutls_x509_crt_t crt;
  gnutls_x509_privkey_t key;
  char *pem;     /* the certificate, PEM */
  char *key_pem; /* its key, PKCS#8 PEM */
} hp_cert_t;

/* What goes into one certificate. Byte strings are taken as they are
 * (lengths given, so NUL bytes are kept). */
typedef struct hp_spec {
  const char *cn;        /* CN as a UTF8String, or NULL for none */
  size_t cn_len;
  const char *o;         /* O as a UTF8String, or NULL */
  size_t o_len;
  const unsigned char *san_der; /* the SAN extension value (GeneralNames
                                   DER), or NULL for none */
  size_t san_len;
  int ca;                /* CA:TRUE, keyCertSign */
  int64_t not_before, not_after; /* 0: now - 1 day, now + 365 days */
} hp_spec_t;

#define HP_TRY(x)                                                           \
  do {                                                                      \
    int hp_rc_ = (x);                                                       \
    if (hp_rc_ < 0) fail_msg("%s: %s", #x, gnutls_strerror(hp_rc_));        \
  } while (0)

/* DER tag + length + value appended to b (lengths up to 2^32 - 1). */
static TT_UNUSED void hp_der_tlv(td_buf_t *b, unsigned char tag,
                                 const void *v, size_t n) {
  unsigned char hdr[6];
  size_t h = 0;
  hdr[h++] = tag;
  if (n < 0x80) {
    hdr[h++] = (unsigned char)n;
  } else {
    unsigned char len[4];
    size_t k = 0;
    for (size_t x = n; x; x >>= 8) len[k++] = (unsigned char)(x & 0xff);
    hdr[h++] = (unsigned char)(0x80 | k);
    while (k) hdr[h++] = len[--k];
  }
  td_buf_append(b, hdr, h);
  td_buf_append(b, v, n);
}

/* GeneralNames builder: add dNSName / iPAddress entries, then finish. */
typedef struct hp_sans {
  td_buf_t names; /* the concatenated GeneralName TLVs */
  td_buf_t der;   /* the final SEQUENCE */
} hp_sans_t;

static TT_UNUSED void hp_sans_init(hp_sans_t *s) {
  td_buf_init(&s->names);
  td_buf_init(&s->der);
}

static TT_UNUSED void hp_sans_dns(hp_sans_t *s, const char *v, size_t n) {
  hp_der_tlv(&s->names, 0x82, v, n); /* [2] IMPLICIT IA5String */
}

static TT_UNUSED void hp_sans_ip4(hp_sans_t *s, const unsigned char ip[4]) {
  hp_der_tlv(&s->names, 0x87, ip, 4); /* [7] IMPLICIT OCTET STRING */
}

static TT_UNUSED const unsigned char *hp_sans_der(hp_sans_t *s, size_t *n) {
  td_buf_free(&s->der);
  td_buf_init(&s->der);
  hp_der_tlv(&s->der, 0x30, s->names.data ? s->names.data : "",
             s->names.len);
  assert_false(s->names.oom || s->der.oom);
  *n = s->der.len;
  return (const unsigned char *)s->der.data;
}

static TT_UNUSED void hp_sans_free(hp_sans_t *s) {
  td_buf_free(&s->names);
  td_buf_free(&s->der);
}

static TT_UNUSED char *hp_export_pem(gnutls_x509_crt_t crt) {
  gnutls_datum_t d = {NULL, 0};
  HP_TRY(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d));
  char *s = td_strndup((const char *)d.data, d.size);
  gnutls_free(d.data);
  assert_non_null(s);
  return s;
}

/* Sets one subject attribute as a raw UTF8String (any bytes). */
static TT_UNUSED void hp_set_dn_raw(gnutls_x509_crt_t crt, const char *oid,
                                    const char *v, size_t n) {
  td_buf_t b;
  td_buf_init(&b);
  hp_der_tlv(&b, 0x0c, v, n);
  assert_false(b.oom);
  HP_TRY(gnutls_x509_crt_set_dn_by_oid(crt, oid, 1, b.data,
                                       (unsigned)b.len));
  td_buf_free(&b);
}

/* Makes a certificate for spec, signed by issuer (NULL: self-signed). The
 * result is re-imported from its DER so it is exactly what is served. */
static TT_UNUSED void hp_make(const hp_spec_t *spec, const hp_cert_t *issuer,
                              hp_cert_t *out) {
  static unsigned serial_counter;
  memset(out, 0, sizeof(*out));
  gnutls_x509_crt_t crt;
  HP_TRY(gnutls_x509_privkey_init(&out->key));
  HP_TRY(gnutls_x509_privkey_generate(
      out->key, GNUTLS_PK_ECDSA,
      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
  HP_TRY(gnutls_x509_crt_init(&crt));
  HP_TRY(gnutls_x509_crt_set_version(crt, 3));
  unsigned char serial[8] = {0x01, 0x68, 0x6f, 0x73, 0, 0, 0, 0};
  unsigned sn = ++serial_counter;
  serial[4] = (unsigned char)(sn >> 24);
  serial[5] = (unsigned char)(sn >> 16);
  serial[6] = (unsigned char)(sn >> 8);
  serial[7] = (unsigned char)sn;
  HP_TRY(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
  if (spec->o)
    hp_set_dn_raw(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, spec->o,
                  spec->o_len);
  if (spec->cn)
    hp_set_dn_raw(crt, GNUTLS_OID_X520_COMMON_NAME, spec->cn, spec->cn_len);
  int64_t now = (int64_t)time(NULL);
  HP_TRY(gnutls_x509_crt_set_activation_time(
      crt, (time_t)(spec->not_before ? spec->not_before : now - 86400)));
  HP_TRY(gnutls_x509_crt_set_expiration_time(
      crt, (time_t)(spec->not_after ? spec->not_after : now + 365 * 86400)));
  HP_TRY(gnutls_x509_crt_set_key(crt, out->key));
  HP_TRY(gnutls_x509_crt_set_basic_constraints(crt, (unsigned)spec->ca, -1));
  if (spec->ca) {
    HP_TRY(gnutls_x509_crt_set_key_usage(
        crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));
  } else {
    HP_TRY(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
    HP_TRY(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER,
                                               0));
  }
  if (spec->san_der)
    HP_TRY(gnutls_x509_crt_set_extension_by_oid(
        crt, "2.5.29.17", spec->san_der, spec->san_len, 0));
  HP_TRY(gnutls_x509_crt_sign2(crt, issuer ? issuer->crt : crt,
                               issuer ? issuer->key : out->key,
                               GNUTLS_DIG_SHA256, 0));
  gnutls_datum_t der = {NULL, 0};
  HP_TRY(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der));
  gnutls_x509_crt_deinit(crt);
  HP_TRY(gnutls_x509_crt_init(&out->crt));
  HP_TRY(gnutls_x509_crt_import(out->crt, &der, GNUTLS_X509_FMT_DER));
  gnutls_free(der.data);
  out->pem = hp_export_pem(out->crt);
  gnutls_datum_t k = {NULL, 0};
  HP_TRY(gnutls_x509_privkey_export2_pkcs8(out->key, GNUTLS_X509_FMT_PEM,
                                           NULL, GNUTLS_PKCS_PLAIN, &k));
  out->key_pem = td_strndup((const char *)k.data, k.size);
  gnutls_free(k.data);
  assert_non_null(out->key_pem);
}

static TT_UNUSED void hp_free(hp_cert_t *c) {
  if (c->crt) gnutls_x509_crt_deinit(c->crt);
  if (c->key) gnutls_x509_privkey_deinit(c->key);
  free(c->pem);
  free(c->key_pem);
  memset(c, 0, sizeof(*c));
}

/* A CA with a plain name, for signing the hostile leaves. */
static TT_UNUSED void hp_make_ca(const char *cn, const hp_cert_t *issuer,
                                 hp_cert_t *out) {
  hp_spec_t s;
  memset(&s, 0, sizeof(s));
  s.cn = cn;
  s.cn_len = strlen(cn);
  s.o = "tlsdiag hostile test";
  s.o_len = strlen(s.o);
  s.ca = 1;
  hp_make(&s, issuer, out);
}

/* A TDS_HTTP test server sending leaf alone (its PEM and key). */
static TT_UNUSED tdserver_t *hp_leaf_server(const hp_cert_t *leaf) {
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.mode = TDS_HTTP;
  cfg.chain_pem = leaf->pem;
  cfg.key_pem = leaf->key_pem;
  return tt_server_cfg(&cfg);
}

/* Fails the test unless s[0..n) is valid UTF-8 without C0 controls other
 * than '\n', without DEL and without ESC: what a terminal may be shown. */
static TT_UNUSED void hp_assert_terminal_safe(const char *what, const char *s,
                                              size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    unsigned c = p[i];
    if (c < 0x20 && c != '\n')
      fail_msg("%s: control byte 0x%02x at offset %zu", what, c, i);
    if (c == 0x7f) fail_msg("%s: DEL at offset %zu", what, i);
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need = c >= 0xf0 && c <= 0xf4   ? 3
                  : c >= 0xe0 && c <= 0xef ? 2
                  : c >= 0xc2 && c <= 0xdf ? 1
                                           : 0;
    if (!need) fail_msg("%s: invalid UTF-8 at offset %zu", what, i);
    uint32_t cp = c & (need == 1 ? 0x1f : need == 2 ? 0x0f : 0x07);
    for (size_t k = 1; k <= need; k++) {
      if (i + k >= n || (p[i + k] & 0xc0) != 0x80)
        fail_msg("%s: invalid UTF-8 at offset %zu", what, i);
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      fail_msg("%s: ill-formed UTF-8 at offset %zu", what, i);
    if (cp >= 0x80 && cp <= 0x9f)
      fail_msg("%s: C1 control U+%04X at offset %zu", what, (unsigned)cp, i);
    if (cp == 0x202e || cp == 0x202d || cp == 0x2066 || cp == 0x2067 ||
        cp == 0x2068 || cp == 0x2069 || cp == 0x202a || cp == 0x202b)
      fail_msg("%s: bidi control U+%04X at offset %zu", what, (unsigned)cp,
               i);
    i += need + 1;
  }
}

#endif /* HOSTILE_H */
