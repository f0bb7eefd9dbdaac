/* fuzz.h: helpers shared by the libFuzzer harnesses (header-only). A
 * harness states properties of a parser's output; a violated property
 * aborts with a message, which libFuzzer reports as a crash with the
 * input saved. */
#ifndef TD_FUZZ_H
#define TD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_UNUSED __attribute__((unused))

#define FZ_ASSERT(cond, ...)                                               \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "property failed: %s: ", #cond);                     \
      fprintf(stderr, __VA_ARGS__);                                        \
      fputc('\n', stderr);                                                 \
      abort();                                                             \
    }                                                                      \
  } while (0)

/* The input as a NUL-terminated string (cut at the first NUL, as a C API
 * taking a string would see it). Caller frees. */
static FZ_UNUSED char *fz_cstr(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (!s) abort();
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

/* Unicode 15, table 3-7 (well-formed UTF-8 byte sequences), written out
 * independently of the library's decoders. Returns the length of the
 * well-formed sequence at s[0..n) and its code point, or 0 with *bad the
 * length of the maximal subpart (>= 1) that is ill-formed. */
static FZ_UNUSED size_t fz_utf8(const unsigned char *s, size_t n,
                                uint32_t *cp, size_t *bad) {
  static const struct {
    unsigned char first_lo, first_hi, second_lo, second_hi, len;
  } rows[] = {
      {0x00, 0x7f, 0, 0, 1},       {0xc2, 0xdf, 0x80, 0xbf, 2},
      {0xe0, 0xe0, 0xa0, 0xbf, 3}, {0xe1, 0xec, 0x80, 0xbf, 3},
      {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3},
      {0xf0, 0xf0, 0x90, 0xbf, 4}, {0xf1, 0xf3, 0x80, 0xbf, 4},
      {0xf4, 0xf4, 0x80, 0x8f, 4},
  };
  for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
    if (s[0] < rows[r].first_lo || s[0] > rows[r].first_hi) continue;
    size_t len = rows[r].len;
    if (len == 1) {
      *cp = s[0];
      return 1;
    }
    uint32_t v = s[0] & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (size_t i = 1; i < len; i++) {
      unsigned char lo = i == 1 ? rows[r].second_lo : 0x80;
      unsigned char hi = i == 1 ? rows[r].second_hi : 0xbf;
      if (i >= n || s[i] < lo || s[i] > hi) {
        *bad = i;
        return 0;
      }
      v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
  }
  *bad = 1;
  return 0;
}

/* 1 if s[0..n) is well-formed UTF-8. */
static FZ_UNUSED int fz_valid_utf8(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t bad;
    size_t len = fz_utf8(p + i, n - i, &cp, &bad);
    if (!len) return 0;
    i += len;
  }
  return 1;
}

/* Text a terminal may show: valid UTF-8, no C0 control (not even '\n'),
 * no DEL, no C1 control, no bidi control or line separator. Returns the
 * offset of the first offending byte, or n. */
static FZ_UNUSED size_t fz_terminal_unsafe_at(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t bad;
    size_t len = fz_utf8(p + i, n - i, &cp, &bad);
    if (!len || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
        cp == 0x061c || cp == 0x200e || cp == 0x200f ||
        (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
        cp == 0x2028 || cp == 0x2029)
      return i;
    i += len;
  }
  return n;
}

#endif /* TD_FUZZ_H */
