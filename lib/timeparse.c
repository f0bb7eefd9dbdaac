/* timeparse.c: times as users write them (--now, --at): RFC 3339 / ISO 8601
 * with Z or an offset, a date alone, "@UNIX", or "+30d" from now. The one
 * parser; pure (the caller passes "now"), so every form is unit-tested. */
#include <stdint.h>
#include <string.h>

#include "internal.h"

#define MAX_TIME INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

int64_t td_days_from_civil(int64_t y, int m, int d) {
  /* Howard Hinnant's days_from_civil: proleptic Gregorian, no struct tm,
   * no TZ. */
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int td_days_in_month(int64_t y, int m) {
  static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12) return 0;
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return mdays[m - 1] + (m == 2 && leap);
}

/* n decimal digits at *p into *out, advancing *p; -1 if not all digits. */
static int fixed(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    char ch = (*p)[i];
    if (ch < '0' || ch > '9') return -1;
    v = v * 10 + (ch - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

/* The character ch at *p, advancing past it; -1 otherwise (never past
 * the end). */
static int lit(const char **p, char ch) {
  if (**p != ch) return -1;
  (*p)++;
  return 0;
}

/* An unsigned decimal run at *p: 0, -1 if none, -2 if over 18 digits
 * (never an overflow). */
static int number(const char **p, int64_t *out) {
  const char *s = *p;
  int64_t v = 0;
  size_t n = 0;
  while (s[n] >= '0' && s[n] <= '9') {
    if (n == 18) return -2;
    v = v * 10 + (s[n] - '0');
    n++;
  }
  if (n == 0) return -1;
  *p = s + n;
  *out = v;
  return 0;
}

static tlsdiag_err_t bad(const char **why, const char *reason) {
  if (why) *why = reason;
  return TLSDIAG_E_TIME;
}

/* "@UNIX": seconds, optionally signed, within 1970..9999 as every other
 * form (a time past 9999 has no RFC 3339 form for the reports). */
static tlsdiag_err_t unix_time(const char *s, int64_t *out, const char **why) {
  int neg = *s == '-';
  if (*s == '-' || *s == '+') s++;
  int64_t v;
  int rc = number(&s, &v);
  if (rc == -2) return bad(why, "out of range");
  if (rc) return bad(why, "not a number of seconds after '@'");
  if (*s) return bad(why, "trailing characters after the seconds");
  if ((neg && v != 0) || v > MAX_TIME)
    return bad(why, "out of range (1970 to 9999)");
  *out = v;
  return TLSDIAG_OK;
}

/* "+30d", "-12h", "+90m", "+45s", "+2w": from now. */
static tlsdiag_err_t relative(const char *s, int64_t now, int64_t *out,
                              const char **why) {
  int neg = *s == '-';
  s++;
  int64_t v;
  int rc = number(&s, &v);
  if (rc == -2) return bad(why, "out of range");
  if (rc) return bad(why, "a number must follow the sign");
  int64_t unit;
  switch (*s) {
  case 's': unit = 1; break;
  case 'm': unit = 60; break;
  case 'h': unit = 3600; break;
  case 'd': unit = 86400; break;
  case 'w': unit = 7 * 86400; break;
  default: return bad(why, "a unit must follow the number (s, m, h, d, w)");
  }
  if (s[1]) return bad(why, "trailing characters after the unit");
  if (v > MAX_TIME / unit) return bad(why, "out of range");
  int64_t t = neg ? now - v * unit : now + v * unit;
  if (t < 0 || t > MAX_TIME) return bad(why, "out of range (1970 to 9999)");
  *out = t;
  return TLSDIAG_OK;
}

/* "Z", "+HH:MM", "+HHMM", "+HH" (or '-'): seconds east of UTC. */
static tlsdiag_err_t zone(const char *s, int64_t *east, const char **why) {
  *east = 0;
  if (!*s) return TLSDIAG_OK; /* no zone: UTC, as tlsdiag has always read */
  if ((*s == 'Z' || *s == 'z') && !s[1]) return TLSDIAG_OK;
  if (*s != '+' && *s != '-') return bad(why, "trailing characters after the time");
  int sign = *s == '-' ? -1 : 1;
  const char *p = s + 1;
  int hh, mm = 0;
  if (fixed(&p, 2, &hh)) return bad(why, "malformed UTC offset");
  if (*p == ':') p++;
  if (*p && fixed(&p, 2, &mm)) return bad(why, "malformed UTC offset");
  if (*p) return bad(why, "trailing characters after the UTC offset");
  if (hh > 23 || mm > 59) return bad(why, "UTC offset out of range");
  *east = sign * (hh * 3600 + mm * 60);
  return TLSDIAG_OK;
}

/* YYYY-MM-DD[(T|t| )HH:MM[:SS[.fraction]][zone]] */
static tlsdiag_err_t calendar(const char *s, int64_t *out, const char **why) {
  const char *p = s;
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (fixed(&p, 4, &y) || lit(&p, '-') || fixed(&p, 2, &mo) ||
      lit(&p, '-') || fixed(&p, 2, &d))
    return bad(why, "expected YYYY-MM-DD");
  if (mo < 1 || mo > 12) return bad(why, "month out of range");
  if (d < 1 || d > td_days_in_month(y, mo))
    return bad(why, "no such day in that month");
  int64_t east = 0;
  if (*p) {
    if (*p != 'T' && *p != 't' && *p != ' ')
      return bad(why, "expected 'T' between the date and the time");
    p++;
    if (fixed(&p, 2, &h) || lit(&p, ':') || fixed(&p, 2, &mi))
      return bad(why, "expected HH:MM after the date");
    if (*p == ':') {
      p++;
      if (fixed(&p, 2, &se)) return bad(why, "expected two digits of seconds");
      if (*p == '.' || *p == ',') {
        /* fractions of a second: read, then ignored */
        p++;
        if (*p < '0' || *p > '9') return bad(why, "empty fraction of a second");
        while (*p >= '0' && *p <= '9') p++;
      }
    }
    /* 24:00 (ISO 8601's end of day) is not taken: write the next day. */
    if (h > 23) return bad(why, "hour out of range (00-23)");
    if (mi > 59) return bad(why, "minute out of range");
    if (se > 60) return bad(why, "second out of range");
    tlsdiag_err_t e = zone(p, &east, why);
    if (e != TLSDIAG_OK) return e;
  }
  int64_t t = td_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
              se - east;
  if (t < 0 || t > MAX_TIME) return bad(why, "out of range (1970 to 9999)");
  *out = t;
  return TLSDIAG_OK;
}

tlsdiag_err_t td_time_parse(const char *s, int64_t now, int64_t *out,
                            const char **why) {
  if (why) *why = NULL;
  if (!s || !out) return TLSDIAG_E_INVAL;
  if (strnlen(s, 65) > 64) return bad(why, "too long");
  if (s[0] == '@') return unix_time(s + 1, out, why);
  if (s[0] == '+' || s[0] == '-') return relative(s, now, out, why);
  if (!s[0]) return bad(why, "empty");
  return calendar(s, out, why);
}
