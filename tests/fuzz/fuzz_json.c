/* fuzz_json.c: the JSON writer's string escaper (td_json_str) round trip.
 * Any bytes in; the output must parse with jansson as one string, contain
 * no raw control byte and no raw U+2028/U+2029, and decode to exactly the
 * input with every maximal ill-formed UTF-8 subpart replaced by U+FFFD
 * (Unicode's "substitution of maximal subparts"), computed here by an
 * independent decoder (fuzz.h). */
#include <jansson.h>

#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  td_buf_t out, want;
  td_buf_init(&out);
  td_buf_init(&want);
  td_json_str(&out, (const char *)data, size);
  FZ_ASSERT(!out.oom, "out of memory");
  for (size_t i = 0; i < size;) {
    uint32_t cp;
    size_t bad = 1;
    size_t len = fz_utf8(data + i, size - i, &cp, &bad);
    if (len) {
      td_buf_append(&want, data + i, len);
      i += len;
    } else {
      td_buf_puts(&want, "\xef\xbf\xbd");
      i += bad;
    }
  }
  const unsigned char *o = (const unsigned char *)out.data;
  for (size_t i = 0; i < out.len; i++) {
    FZ_ASSERT(o[i] >= 0x20 && o[i] != 0x7f, "raw byte 0x%02x at %zu", o[i], i);
    if (i + 2 < out.len && o[i] == 0xe2 && o[i + 1] == 0x80)
      FZ_ASSERT(o[i + 2] != 0xa8 && o[i + 2] != 0xa9, "raw U+2028/9");
  }
  FZ_ASSERT(fz_valid_utf8(out.data, out.len), "output not UTF-8");
  json_error_t err;
  json_t *j = json_loadb(out.data, out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                         &err);
  FZ_ASSERT(j && json_is_string(j), "invalid JSON: %s", err.text);
  size_t n = json_string_length(j);
  FZ_ASSERT(n == want.len && memcmp(json_string_value(j),
                                    want.data ? want.data : "", n) == 0,
            "round trip differs (%zu vs %zu bytes)", n, want.len);
  json_decref(j);
  td_buf_free(&out);
  td_buf_free(&want);
  return 0;
}
