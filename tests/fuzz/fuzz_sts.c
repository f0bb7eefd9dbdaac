/* fuzz_sts.c: the Strict-Transport-Security header parser (td_sts_parse)
 * on a value a server sends. Properties: a valid header has a max-age
 * >= 0; an invalid one has a reason pointing inside the value, and
 * max-age -1 unless it was parsed before the error; the answer does not
 * depend on what follows the n bytes given (no read past the value). */
#include "fuzz.h"
#include "hsts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  td_sts_t s;
  /* an exact-size copy: ASan catches any read past the value */
  char *v = malloc(size ? size : 1);
  if (!v) return 0;
  memcpy(v, data, size);
  if (td_sts_parse(v, size, &s) != 0) {
    free(v);
    return 0; /* out of memory */
  }
  if (s.valid) {
    FZ_ASSERT(s.max_age >= 0, "valid with max-age %lld",
              (long long)s.max_age);
    FZ_ASSERT(!s.error, "valid with an error '%s'", s.error);
  } else {
    FZ_ASSERT(s.error && *s.error, "invalid without a reason");
    FZ_ASSERT(s.error_at <= size, "error at %zu of %zu", s.error_at, size);
  }
  FZ_ASSERT(s.ndirectives <= size, "%zu directives in %zu bytes",
            s.ndirectives, size);
  td_sts_t again;
  FZ_ASSERT(td_sts_parse(v, size, &again) == 0 && again.valid == s.valid &&
                again.max_age == s.max_age &&
                again.include_subdomains == s.include_subdomains &&
                again.preload == s.preload,
            "second parse differs");
  free(v);
  return 0;
}
