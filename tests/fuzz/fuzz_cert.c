/* fuzz_cert.c: one DER certificate as a server sends it (td_cert_parse).
 * Properties: no crash or leak whatever the bytes; a parsed certificate
 * has its text fields, none holding a NUL before its end (NUL is shown as
 * \x00); SAN counts stay bounded; every text field survives the JSON
 * writer as valid JSON and td_text_safe as terminal-safe text; a copy
 * (td_cert_copy, as the engine's certificate cache makes) has the same
 * fields. */
#include <jansson.h>

#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void field_ok(const char *what, const char *s) {
  if (!s) return;
  td_buf_t b;
  td_buf_init(&b);
  td_json_cstr(&b, s);
  json_error_t err;
  json_t *j = json_loadb(b.data, b.len, JSON_DECODE_ANY, &err);
  FZ_ASSERT(j && json_is_string(j), "%s: invalid JSON (%s)", what, err.text);
  json_decref(j);
  td_buf_free(&b);
  td_buf_init(&b);
  td_text_safe(&b, s);
  FZ_ASSERT(fz_terminal_unsafe_at(b.data ? b.data : "", b.len) == b.len,
            "%s: unsafe text", what);
  td_buf_free(&b);
}

static int same(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* The engine's certificate cache hands out copies (td_cert_copy): a copy
 * has the original's fields. */
static void copy_ok(const td_cert_t *c) {
  td_cert_t d;
  if (td_cert_copy(&d, c) != 0) return; /* out of memory */
  FZ_ASSERT(same(d.subject, c->subject) && same(d.issuer, c->issuer) &&
                same(d.common_name, c->common_name) &&
                same(d.serial, c->serial) && same(d.sans_text, c->sans_text) &&
                same(d.aia_ca_issuers, c->aia_ca_issuers) &&
                same(d.ocsp_url, c->ocsp_url) &&
                strcmp(d.sha256, c->sha256) == 0 && d.nsans == c->nsans &&
                d.der_len == c->der_len &&
                memcmp(d.der, c->der, c->der_len) == 0,
            "a copy differs from its certificate");
  for (size_t i = 0; i < c->nsans; i++)
    FZ_ASSERT(same(d.sans[i].value, c->sans[i].value) &&
                  d.sans[i].type == c->sans[i].type,
              "SAN %zu differs in the copy", i);
  td_cert_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  td_cert_t c;
  if (td_cert_parse(&c, data, size) == 0) {
    FZ_ASSERT(c.subject && c.issuer && c.serial && c.key_type && c.sig_alg &&
                  c.sans_text,
              "a parsed certificate lacks a field");
    FZ_ASSERT(c.nsans <= 1000, "%zu SANs kept", c.nsans);
    field_ok("subject", c.subject);
    field_ok("issuer", c.issuer);
    field_ok("common_name", c.common_name);
    field_ok("sans", c.sans_text);
    field_ok("aia", c.aia_ca_issuers);
    field_ok("ocsp", c.ocsp_url);
    for (size_t i = 0; i < c.nsans; i++) field_ok("san", c.sans[i].value);
    copy_ok(&c);
  }
  td_cert_clear(&c);
  return 0;
}
