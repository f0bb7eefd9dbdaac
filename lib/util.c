/* util.c: strings, clocks and the UTF-8 codec shared by the modules. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

char *td_strdup(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

char *td_strndup(const char *s, size_t n) {
  if (!s) return NULL;
  size_t l = strnlen(s, n);
  char *p = malloc(l + 1);
  if (!p) return NULL;
  memcpy(p, s, l);
  p[l] = '\0';
  return p;
}

char *td_vasprintf(const char *fmt, va_list ap) {
  td_buf_t b;
  td_buf_init(&b);
  td_buf_vprintf(&b, fmt, ap);
  return td_buf_steal(&b, NULL);
}

char *td_asprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = td_vasprintf(fmt, ap);
  va_end(ap);
  return s;
}

int td_strcasecmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
    if (ca != cb || !ca) return ca - cb;
  }
}

void td_time_iso(int64_t t, char out[32]) {
  struct tm tm;
  time_t tt = (time_t)t;
  if (!gmtime_r(&tt, &tm)) {
    snprintf(out, 32, "@%lld", (long long)t);
    return;
  }
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t td_days_between(int64_t now, int64_t t) {
  /* Whole days, truncated toward zero: 89.9 days left is 89; expired
   * 10.1 days ago is -10, as "expired 10 days ago" says. */
  return (t - now) / 86400;
}

int64_t td_mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t td_wall_now(void) { return (int64_t)time(NULL); }

/* Length of the well-formed UTF-8 sequence at s[0..n) and its code point in
 * *cp; 0 if ill-formed, with *bad the length of the maximal ill-formed
 * subpart (Unicode's "substitution of maximal subparts": one U+FFFD each).
 * Overlongs, surrogates and values above U+10FFFF are ill-formed. */
size_t td_utf8_next(const unsigned char *s, size_t n, uint32_t *cp,
                        size_t *bad) {
  unsigned c = s[0];
  unsigned lo = 0x80, hi = 0xBF;
  size_t need;
  uint32_t v;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    v = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;      /* overlong */
    else if (c == 0xED) hi = 0x9F; /* surrogates */
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    v = c & 0x07;
    if (c == 0xF0) lo = 0x90;      /* overlong */
    else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t i = 1; i <= need; i++) {
    if (i >= n || s[i] < lo || s[i] > hi) {
      *bad = i;
      return 0;
    }
    lo = 0x80;
    hi = 0xBF;
    v = (v << 6) | (s[i] & 0x3F);
  }
  *cp = v;
  return need + 1;
}

size_t td_utf8_put(uint32_t cp, unsigned char out[4]) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
  if (cp < 0x80) {
    out[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (unsigned char)(0xC0 | cp >> 6);
    out[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (unsigned char)(0xE0 | cp >> 12);
    out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (unsigned char)(0xF0 | cp >> 18);
  out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
  out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
  out[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

tlsdiag_err_t td_say(char *why, size_t len, tlsdiag_err_t err,
                     const char *fmt, ...) {
  if (why && len) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
  }
  return err;
}
