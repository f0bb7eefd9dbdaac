/* idn.c: host names to lowercase A-labels (libidn2), IP literal detection
 * (with the short, hex and octal IPv4 forms browsers and curl accept),
 * and the one host check every entry point uses (td_host_check).
 *
 * Mode: UTS#46 non-transitional processing, as browsers do (Chrome since
 * 110, Firefox, Safari), so "faß.de" is xn--fa-hia.de, not fass.de: the
 * tool must reach the host the browser reaches.
 *
 * Fallback: libidn2 runs IDNA2008 code point checks after the UTS#46
 * mapping, and so rejects symbols UTS#46 (and every browser) accepts, such
 * as "☃.net" (xn--n3h.net) or emoji (IDN2_DISALLOWED). For those we retry
 * in transitional mode, as curl does, but only when the label holds none
 * of the four deviation characters (ß, ς, ZWJ, ZWNJ): without them the two
 * modes map identically, so the fallback can never yield a different host.
 *
 * Pure ASCII labels never go through libidn2: its UTS#46 CheckHyphens rule
 * would reject real names such as "r3---sn-abc.googlevideo.com", and it
 * lets spaces through. We check them ourselves (letters, digits, '-', '_'),
 * and validate labels that are already A-labels ("xn--") by a round trip.
 */
#include <arpa/inet.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_NAME 253
#define MAX_LABEL 63
/* Input bound before any conversion: no valid name is anywhere near it. */
#define MAX_INPUT 1024

#define E_EMPTY "host name is empty"
#define E_LONG "host name longer than 253 bytes"
#define E_LABEL "label longer than 63 bytes"
#define E_EMPTY_LABEL "empty label in host name"
#define E_CHAR "host name contains a character not allowed in host names"
#define E_ALABEL "invalid IDN: A-label does not round-trip"
#define E_NOMEM "out of memory"

/* Static text for a libidn2 error (idn2_strerror's words, prefixed). */
static const char *idn_error(int rc) {
  switch (rc) {
  case IDN2_MALLOC: return E_NOMEM;
  case IDN2_ENCODING_ERROR: return "invalid IDN: string encoding error";
  case IDN2_NFC: return "invalid IDN: string could not be NFC normalized";
  case IDN2_PUNYCODE_BAD_INPUT:
    return "invalid IDN: string contains invalid punycode data";
  case IDN2_PUNYCODE_BIG_OUTPUT:
    return "invalid IDN: punycode encoded data will be too large";
  case IDN2_PUNYCODE_OVERFLOW:
    return "invalid IDN: punycode conversion resulted in overflow";
  case IDN2_TOO_BIG_DOMAIN: return E_LONG;
  case IDN2_TOO_BIG_LABEL: return E_LABEL;
  case IDN2_INVALID_ALABEL: return "invalid IDN: input A-label is not valid";
  case IDN2_UALABEL_MISMATCH:
    return "invalid IDN: input A-label and U-label does not match";
  case IDN2_NOT_NFC:
    return "invalid IDN: string is not in Unicode NFC format";
  case IDN2_2HYPHEN:
    return "invalid IDN: string contains forbidden two hyphens pattern";
  case IDN2_HYPHEN_STARTEND:
    return "invalid IDN: string start/ends with forbidden hyphen";
  case IDN2_LEADING_COMBINING:
    return "invalid IDN: string contains a forbidden leading combining "
           "character";
  case IDN2_DISALLOWED:
    return "invalid IDN: string contains a disallowed character";
  case IDN2_CONTEXTJ:
    return "invalid IDN: string contains a forbidden context-j character";
  case IDN2_CONTEXTJ_NO_RULE:
    return "invalid IDN: string contains a context-j character with null "
           "rule";
  case IDN2_CONTEXTO:
    return "invalid IDN: string contains a forbidden context-o character";
  case IDN2_CONTEXTO_NO_RULE:
    return "invalid IDN: string contains a context-o character with null "
           "rule";
  case IDN2_UNASSIGNED:
    return "invalid IDN: string contains unassigned code point";
  case IDN2_BIDI:
    return "invalid IDN: string has forbidden bi-directional properties";
  case IDN2_DOT_IN_LABEL:
    return "invalid IDN: domain label has forbidden dot (TR46)";
  case IDN2_INVALID_TRANSITIONAL:
    return "invalid IDN: domain label has character forbidden in "
           "transitional mode (TR46)";
  case IDN2_INVALID_NONTRANSITIONAL:
    return "invalid IDN: domain label has character forbidden in "
           "non-transitional mode (TR46)";
  case IDN2_ALABEL_ROUNDTRIP_FAILED:
    return "invalid IDN: A-label roundtrip failed";
  default: return "invalid IDN";
  }
}

/* The UTS#46 deviation characters, the only ones the two modes map
 * differently: U+00DF ß, U+03C2 ς, U+200C ZWNJ, U+200D ZWJ. */
static int has_deviation(const char *s) {
  return strstr(s, "\xc3\x9f") || strstr(s, "\xcf\x82") ||
         strstr(s, "\xe2\x80\x8c") || strstr(s, "\xe2\x80\x8d");
}

/* One UTF-8 label (NUL-terminated) to ASCII with libidn2. Returns a
 * malloc'd string (idn2 output copied) or NULL with *err set. */
static char *label_to_ascii(const char *label, const char **err) {
  char *out = NULL;
  int rc = idn2_to_ascii_8z(label, &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  if (rc == IDN2_DISALLOWED && !has_deviation(label)) {
    idn2_free(out);
    out = NULL;
    rc = idn2_to_ascii_8z(label, &out, IDN2_TRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) rc = IDN2_DISALLOWED; /* report the first failure */
  }
  if (rc != IDN2_OK) {
    idn2_free(out);
    *err = idn_error(rc);
    return NULL;
  }
  char *copy = td_strdup(out);
  idn2_free(out);
  if (!copy) *err = E_NOMEM;
  return copy;
}

static int is_ascii(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] >= 0x80) return 0;
  return 1;
}

static int host_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

/* An ASCII "xn--" label (lowercase, NUL-terminated) must decode to a
 * non-ASCII U-label that encodes back to the very same A-label. */
static const char *check_alabel(const char *label) {
  char *u = NULL;
  int rc = idn2_to_unicode_8z8z(label, &u, 0);
  if (rc != IDN2_OK) {
    idn2_free(u);
    return idn_error(rc);
  }
  const char *err = NULL;
  if (!u || !u[0] || is_ascii(u, strlen(u))) {
    idn2_free(u);
    return E_ALABEL;
  }
  char *back = label_to_ascii(u, &err);
  idn2_free(u);
  if (!back) return err;
  int same = strcmp(back, label) == 0;
  free(back);
  return same ? NULL : E_ALABEL;
}

const char *td_host_syntax(const char *s, size_t n) {
  if (n == 0) return E_EMPTY;
  if (n > MAX_NAME) return E_LONG;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '.') {
      if (label == 0) return E_EMPTY_LABEL;
      label = 0;
    } else if (!host_char((unsigned char)s[i])) {
      return E_CHAR;
    } else if (++label > MAX_LABEL) {
      return E_LABEL;
    }
  }
  return label == 0 ? E_EMPTY_LABEL : NULL;
}

/* Checks the final lowercase ASCII name: syntax, then each "xn--" label
 * by a round trip. */
static const char *validate(const char *name) {
  size_t n = strlen(name);
  const char *err = td_host_syntax(name, n);
  if (err) return err;
  for (const char *p = name;;) {
    const char *dot = strchr(p, '.');
    size_t len = dot ? (size_t)(dot - p) : strlen(p);
    if (len >= 4 && memcmp(p, "xn--", 4) == 0) {
      char label[MAX_LABEL + 1];
      memcpy(label, p, len);
      label[len] = '\0';
      if ((err = check_alabel(label))) return err;
    }
    if (!dot) return NULL;
    p = dot + 1;
  }
}

char *td_idn_to_ascii(const char *host, const char **err) {
  const char *dummy;
  if (!err) err = &dummy;
  *err = NULL;
  if (!host || !host[0]) {
    *err = E_EMPTY;
    return NULL;
  }
  size_t n = strnlen(host, MAX_INPUT + 1);
  if (n > MAX_INPUT) {
    *err = E_LONG;
    return NULL;
  }
  /* One trailing dot is the root label (FQDN form), not an empty label. */
  int stripped = 0;
  if (host[n - 1] == '.') {
    n--;
    stripped = 1;
  }
  if (n == 0) {
    *err = E_EMPTY;
    return NULL;
  }
  /* ASCII outside letters, digits, '-', '_' and '.' is never part of a
   * host name; say so before libidn2 gives a vaguer reason. */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)host[i];
    if (c < 0x80 && c != '.' && !host_char(c) && !(c >= 'A' && c <= 'Z')) {
      *err = E_CHAR;
      return NULL;
    }
  }

  td_buf_t b;
  td_buf_init(&b);
  char *label = NULL, *out = NULL;
  const char *p = host, *end = host + n;
  while (p <= end) {
    const char *dot = memchr(p, '.', (size_t)(end - p));
    const char *lend = dot ? dot : end;
    size_t len = (size_t)(lend - p);
    if (p != host) td_buf_putc(&b, '.');
    if (is_ascii(p, len)) {
      for (size_t i = 0; i < len; i++) {
        char c = p[i];
        td_buf_putc(&b, (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
      }
    } else {
      label = td_strndup(p, len);
      if (!label) {
        *err = E_NOMEM;
        goto out;
      }
      char *a = label_to_ascii(label, err);
      free(label);
      label = NULL;
      if (!a) goto out;
      td_buf_puts(&b, a);
      free(a);
    }
    if (!dot) break;
    p = dot + 1;
  }
  out = td_buf_steal(&b, NULL);
  if (!out) {
    *err = E_NOMEM;
    goto out;
  }
  /* A mapped full stop (U+3002, U+FF0E) can also end the name. */
  size_t olen = strlen(out);
  if (!stripped && olen > 1 && out[olen - 1] == '.') out[olen - 1] = '\0';
  *err = validate(out);
  if (*err) {
    free(out);
    out = NULL;
  }
out:
  td_buf_free(&b);
  return out;
}

char *td_idn_to_unicode(const char *ace) {
  if (!ace) return NULL;
  char *u = NULL;
  if (idn2_to_unicode_8z8z(ace, &u, 0) != IDN2_OK) {
    idn2_free(u);
    return NULL;
  }
  char *copy = td_strdup(u);
  idn2_free(u);
  return copy;
}

int td_is_ip_literal(const char *s) {
  if (!s) return 0;
  unsigned char addr[16];
  return inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1;
}

/* A host in one of the other IPv4 spellings that browsers (the WHATWG
 * URL host parser) and curl read as an address: fewer than four parts
 * ("127.1"), hex ("0x7f.1"), octal or leading zeros ("0177.0.0.01"), one
 * trailing dot. libc's inet_aton reads exactly these forms; only the
 * characters they use are let through (it stops at white space). Returns
 * the dotted quad (malloc'd), or NULL: not such a spelling. */
static char *ipv4_other_form(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 64 || strspn(s, "0123456789abcdefABCDEFxX.") != n ||
      s[0] == '.' || (n > 1 && s[n - 2] == '.' && s[n - 1] == '.'))
    return NULL;
  char copy[65], out[INET_ADDRSTRLEN];
  memcpy(copy, s, n + 1);
  if (copy[n - 1] == '.') copy[n - 1] = '\0';
  struct in_addr a;
  if (!inet_aton(copy, &a) || !inet_ntop(AF_INET, &a, out, sizeof(out)))
    return NULL;
  return td_strdup(out);
}

tlsdiag_err_t td_host_check(const char *host, char **ace, int *is_ip,
                            const char **why) {
  const char *w = NULL;
  if (ace) *ace = NULL;
  if (is_ip) *is_ip = 0;
  if (why) *why = NULL;
  if (!host) return TLSDIAG_E_INVAL;
  size_t n = strlen(host);
  int bracketed = n >= 2 && host[0] == '[' && host[n - 1] == ']';
  char *lit = bracketed ? td_strndup(host + 1, n - 2) : td_strdup(host);
  if (!lit) return TLSDIAG_E_NOMEM;
  if (td_is_ip_literal(lit)) {
    if (is_ip) *is_ip = 1;
    if (ace) *ace = lit;
    else free(lit);
    return TLSDIAG_OK;
  }
  free(lit);
  if (n >= 1 && host[0] == '[') {
    if (why) *why = "not an IPv6 address inside the brackets";
    return TLSDIAG_E_HOST;
  }
  if ((lit = ipv4_other_form(host)) != NULL) {
    if (is_ip) *is_ip = 1;
    if (ace) *ace = lit;
    else free(lit);
    return TLSDIAG_OK;
  }
  char *a = td_idn_to_ascii(host, &w);
  if (!a) {
    if (why) *why = w ? w : "malformed host name";
    return w && !strcmp(w, E_NOMEM) ? TLSDIAG_E_NOMEM : TLSDIAG_E_HOST;
  }
  if (ace) *ace = a;
  else free(a);
  return TLSDIAG_OK;
}
