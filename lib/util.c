/* util.c: strings and clocks shared by the modules. */
#include <ctype.h>
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

char *td_asprintf(const char *fmt, ...) {
  td_buf_t b;
  td_buf_init(&b);
  va_list ap;
  va_start(ap, fmt);
  td_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  return td_buf_steal(&b, NULL);
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
