/* fuzz_idn.c: host names to A-labels (td_idn_to_ascii, libidn2 underneath)
 * and back (td_idn_to_unicode). Properties: an accepted name is lowercase
 * LDH(+underscore) ASCII, at most 253 bytes, labels 1-63 bytes, and
 * converting it again gives itself (what is checked is what is matched);
 * a rejected name has a reason. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_alabel(const char *a) {
  size_t n = strlen(a);
  FZ_ASSERT(n >= 1 && n <= 253, "length %zu", n);
  size_t label = 0;
  for (size_t i = 0; i <= n; i++) {
    char c = a[i];
    if (c == '.' || c == '\0') {
      FZ_ASSERT(label >= 1 && label <= 63, "label of %zu in '%s'", label, a);
      label = 0;
      continue;
    }
    FZ_ASSERT((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_',
              "byte 0x%02x in '%s'", (unsigned char)c, a);
    label++;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fz_cstr(data, size);
  const char *err = NULL;
  char *a = td_idn_to_ascii(s, &err);
  if (a) {
    check_alabel(a);
    const char *err2 = NULL;
    char *b = td_idn_to_ascii(a, &err2);
    FZ_ASSERT(b && strcmp(a, b) == 0, "'%s' converts to '%s' (%s)", a,
              b ? b : "(null)", err2 ? err2 : "");
    free(b);
    char *u = td_idn_to_unicode(a);
    if (u) FZ_ASSERT(fz_valid_utf8(u, strlen(u)), "U-label not UTF-8");
    free(u);
    free(a);
  } else {
    FZ_ASSERT(err && *err, "rejected without a reason");
  }
  (void)td_is_ip_literal(s);
  free(s);
  return 0;
}
