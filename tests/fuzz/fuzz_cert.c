/* fuzz_cert.c: one DER certificate as a server sends it (td_cert_parse).
 * Properties: no crash or leak whatever the bytes; a parsed certificate
 * has its text fields, none holding a NUL before its end (NUL is shown as
 * \x00); SAN counts stay bounded; every text field survives the JSON
 * writer as valid JSON and td_text_safe as terminal-safe text. */
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
  }
  td_cert_clear(&c);
  return 0;
}
