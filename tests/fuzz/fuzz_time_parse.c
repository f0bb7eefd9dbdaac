/* fuzz_time_parse.c: the one parser of times users write (--now, --at:
 * RFC 3339 with offsets and fractions, dates, @UNIX, +30d). Properties:
 * an accepted time lies in 1970..9999 (a relative one too, from a fixed
 * now); a refused one has a reason; the answer depends only on the
 * string, not on what lies past its NUL. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NOW 1764806400           /* 2025-12-04T00:00:00Z */
#define FZ_Y10000 253402300800LL    /* 10000-01-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1); /* exact size: ASan sees a read past it */
  if (!s) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  int64_t t = -1;
  const char *why = NULL;
  tlsdiag_err_t err = td_time_parse(s, FZ_NOW, &t, &why);
  if (err == TLSDIAG_OK) {
    FZ_ASSERT(t >= 0 && t < FZ_Y10000, "'%s' accepted as %lld", s,
              (long long)t);
  } else {
    FZ_ASSERT(err == TLSDIAG_E_TIME, "'%s': error %d", s, (int)err);
    FZ_ASSERT(why && *why, "'%s' refused without a reason", s);
  }
  int64_t again = -1;
  FZ_ASSERT(td_time_parse(s, FZ_NOW, &again, NULL) == err &&
                (err != TLSDIAG_OK || again == t),
            "second parse of '%s' differs", s);
  free(s);
  return 0;
}
