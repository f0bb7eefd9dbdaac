/* fuzz_text_safe.c: td_text_safe, the gate every server-controlled string
 * passes before the text report. Any bytes in; the output must be valid
 * UTF-8 without any C0 control, DEL, C1 control, bidi control or line
 * separator, so nothing a server sends can drive a terminal; and text
 * that is already safe (printable ASCII without '\\') passes unchanged. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fz_cstr(data, size);
  td_buf_t b;
  td_buf_init(&b);
  td_text_safe(&b, s);
  const char *o = b.data ? b.data : "";
  size_t at = fz_terminal_unsafe_at(o, b.len);
  FZ_ASSERT(at == b.len, "unsafe output at byte %zu of %zu", at, b.len);
  int plain = 1;
  for (const char *p = s; *p && plain; p++)
    plain = *p >= 0x20 && *p < 0x7f && *p != '\\';
  if (plain) FZ_ASSERT(strcmp(o, s) == 0, "plain text changed");
  td_buf_free(&b);
  free(s);
  return 0;
}
