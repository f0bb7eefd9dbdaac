/* hsts_list.c: the HSTS preload list: a strict, bounded reader for
 * Chromium's transport_security_state_static.json and a hash index of its
 * names, looked up the way Chromium's DecodeHSTSPreload does.
 *
 * The reader is a JSON parser that knows the one schema it needs: an
 * object whose "entries" member is an array of objects with "name",
 * "mode" and "include_subdomains". Everything else (pinsets, policy, pins,
 * members a later Chromium may add) is checked for JSON syntax and
 * skipped. Comments (// to end of line, and block comments) are allowed
 * wherever whitespace is, as Chromium's JSON reader allows them. Nesting
 * is limited, the input size is limited, and the first error stops the
 * load with its line and column. Nothing is kept from the file but the
 * index: one string arena, one entry array and one open-addressing table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsts.h"

#define MAX_INPUT ((size_t)64 << 20) /* upstream is ~15 MB */
#define MAX_DEPTH 32                 /* the schema needs 4 */
#define MAX_NAME 253
#define MAX_LABELS 128

#define F_FORCE_HTTPS 1u
#define F_SUBDOMAINS 2u

typedef struct {
  uint32_t off; /* name in h->names, NUL-terminated */
  uint8_t len;
  uint8_t flags; /* F_* */
} entry_t;

struct tlsdiag_hsts {
  char *names;     /* lowercase names, back to back */
  entry_t *ent;
  size_t n;        /* entries indexed (all modes) */
  size_t nforce;   /* of which force-https */
  uint64_t *slot;  /* hash << 32 | (index + 1); 0 = empty */
  size_t mask;     /* slots - 1 */
};

/* ---- hashing --------------------------------------------------------------
 * FNV-1a over the name read right to left, so that one pass over a host
 * yields the hash of every parent: "www.example.com" passes through
 * "com" and "example.com" on the way. A final mix spreads the low bits
 * the table uses. */

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

static uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

static unsigned char lc(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Hash of s[0..n), already lowercase. */
static uint32_t name_hash(const char *s, size_t n) {
  uint32_t h = FNV_BASIS;
  while (n > 0) h = (h ^ (unsigned char)s[--n]) * FNV_PRIME;
  return mix(h);
}

/* Index of the entry named s[0..n) (lowercase) with hash h, or -1. */
static long find_slot(const tlsdiag_hsts_t *t, const char *s, size_t n,
                      uint32_t h) {
  for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
    uint64_t v = t->slot[i];
    if (!v) return -1;
    if ((uint32_t)(v >> 32) != h) continue;
    const entry_t *e = &t->ent[(uint32_t)v - 1];
    if (e->len == n && memcmp(t->names + e->off, s, n) == 0)
      return (long)((uint32_t)v - 1);
  }
}

/* ---- the reader ---------------------------------------------------------- */

typedef struct {
  const unsigned char *p;
  size_t n, i;
  int depth;
  const char *why;  /* static reason of the first error */
  size_t err_at;    /* where it is */
  int nomem;
  size_t entry_no;  /* 1-based number of the entry being read, 0 outside */
  int entry_done;   /* ... or of the entry just read */
  char dup[MAX_NAME + 1]; /* the name listed twice, for the message */
  /* the index being built */
  char *names;
  size_t names_len, names_cap;
  entry_t *ent;
  size_t nent, ent_cap;
  uint64_t *slot;
  size_t nslot;
  size_t nforce;
} rd_t;

static int fail(rd_t *r, const char *why) {
  if (!r->why) {
    r->why = why;
    r->err_at = r->i;
  }
  return -1;
}

static int fail_at(rd_t *r, size_t at, const char *why) {
  if (!r->why) {
    r->why = why;
    r->err_at = at;
  }
  return -1;
}

static int oom(rd_t *r) {
  r->nomem = 1;
  return fail(r, "out of memory");
}

/* Whitespace and comments. */
static int skip_ws(rd_t *r) {
  while (r->i < r->n) {
    unsigned char c = r->p[r->i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      r->i++;
    } else if (c == '/' && r->i + 1 < r->n && r->p[r->i + 1] == '/') {
      while (r->i < r->n && r->p[r->i] != '\n') {
        if (!r->p[r->i]) return fail(r, "NUL byte in a comment");
        r->i++;
      }
    } else if (c == '/' && r->i + 1 < r->n && r->p[r->i + 1] == '*') {
      size_t start = r->i;
      r->i += 2;
      for (;;) {
        if (r->i + 1 >= r->n) {
          r->i = r->n;
          return fail_at(r, start, "unterminated /* comment");
        }
        if (r->p[r->i] == '*' && r->p[r->i + 1] == '/') {
          r->i += 2;
          break;
        }
        if (!r->p[r->i]) return fail(r, "NUL byte in a comment");
        r->i++;
      }
    } else {
      break;
    }
  }
  return 0;
}

static int at_end(const rd_t *r) { return r->i >= r->n; }
static unsigned char peek(const rd_t *r) { return at_end(r) ? 0 : r->p[r->i]; }

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int read_hex4(rd_t *r, unsigned *out) {
  unsigned v = 0;
  if (r->n - r->i < 4) return fail(r, "truncated \\u escape");
  for (int k = 0; k < 4; k++) {
    int d = hexval(r->p[r->i + (size_t)k]);
    if (d < 0) return fail(r, "bad \\u escape (4 hex digits expected)");
    v = v << 4 | (unsigned)d;
  }
  r->i += 4;
  *out = v;
  return 0;
}

/* Appends code point cp as UTF-8 to out[*len..cap), marking overflow. */
static void put_cp(char *out, size_t cap, size_t *len, int *over, unsigned cp) {
  unsigned char b[4];
  size_t k = td_utf8_put(cp, b);
  if (!out || *over) return;
  if (*len + k > cap) {
    *over = 1;
    return;
  }
  memcpy(out + *len, b, k);
  *len += k;
}

/* A string at r->i (which must be '"'). When out is not NULL its decoded
 * UTF-8 goes to out[0..cap) and *len; *over is set if it did not fit (the
 * string is still read to its end). */
static int read_string(rd_t *r, char *out, size_t cap, size_t *len,
                       int *over) {
  size_t dummy_len = 0;
  int dummy_over = 0;
  if (!len) len = &dummy_len;
  if (!over) over = &dummy_over;
  *len = 0;
  *over = 0;
  if (peek(r) != '"') return fail(r, "a string was expected");
  size_t start = r->i++;
  for (;;) {
    if (at_end(r)) return fail_at(r, start, "unterminated string");
    unsigned char c = r->p[r->i];
    if (c == '"') {
      r->i++;
      return 0;
    }
    if (c < 0x20) {
      return fail(r, c == '\n' ? "unterminated string (newline inside)"
                               : "control character in a string");
    }
    if (c == '\\') {
      r->i++;
      if (at_end(r)) return fail_at(r, start, "unterminated string");
      unsigned char e = r->p[r->i++];
      unsigned cp;
      switch (e) {
      case '"': cp = '"'; break;
      case '\\': cp = '\\'; break;
      case '/': cp = '/'; break;
      case 'b': cp = '\b'; break;
      case 'f': cp = '\f'; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u':
        if (read_hex4(r, &cp)) return -1;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return fail(r, "unpaired surrogate in a \\u escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned lo;
          if (r->n - r->i < 2 || r->p[r->i] != '\\' || r->p[r->i + 1] != 'u')
            return fail(r, "unpaired surrogate in a \\u escape");
          r->i += 2;
          if (read_hex4(r, &lo)) return -1;
          if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(r, "unpaired surrogate in a \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        break;
      default:
        r->i--;
        return fail(r, "unknown escape in a string");
      }
      put_cp(out, cap, len, over, cp);
      continue;
    }
    if (c < 0x80) {
      if (out && !*over) {
        if (*len < cap) out[(*len)++] = (char)c;
        else *over = 1;
      }
      r->i++;
      continue;
    }
    uint32_t cp;
    size_t bad;
    size_t k = td_utf8_next(r->p + r->i, r->n - r->i, &cp, &bad);
    if (!k) return fail(r, "invalid UTF-8 in a string");
    if (out && !*over) {
      if (*len + k <= cap) {
        memcpy(out + *len, r->p + r->i, k);
        *len += k;
      } else {
        *over = 1;
      }
    }
    r->i += k;
  }
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* RFC 8259 number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int read_number(rd_t *r) {
  if (peek(r) == '-') r->i++;
  if (peek(r) == '0') {
    r->i++;
  } else if (is_digit(peek(r))) {
    while (is_digit(peek(r))) r->i++;
  } else {
    return fail(r, "invalid number");
  }
  if (peek(r) == '.') {
    r->i++;
    if (!is_digit(peek(r))) return fail(r, "invalid number");
    while (is_digit(peek(r))) r->i++;
  }
  if (peek(r) == 'e' || peek(r) == 'E') {
    r->i++;
    if (peek(r) == '+' || peek(r) == '-') r->i++;
    if (!is_digit(peek(r))) return fail(r, "invalid number");
    while (is_digit(peek(r))) r->i++;
  }
  return 0;
}

/* true, false or null; *b gets 1/0 for the booleans, -1 for null. */
static int read_literal(rd_t *r, int *b) {
  static const char *const lit[] = {"true", "false", "null"};
  static const int val[] = {1, 0, -1};
  for (int k = 0; k < 3; k++) {
    size_t l = strlen(lit[k]);
    if (r->n - r->i >= l && memcmp(r->p + r->i, lit[k], l) == 0) {
      r->i += l;
      if (b) *b = val[k];
      return 0;
    }
  }
  return fail(r, "invalid literal (true, false or null expected)");
}

static int skip_value(rd_t *r);

/* Steps into the object or array at r->i. Returns 1 if it is empty (and
 * already left), 0 when its first member or element follows, -1 on error. */
static int enter(rd_t *r, unsigned char close) {
  if (++r->depth > MAX_DEPTH) return fail(r, "nesting deeper than 32 levels");
  r->i++; /* the bracket */
  if (skip_ws(r)) return -1;
  if (peek(r) != close) return 0;
  r->i++;
  r->depth--;
  return 1;
}

/* After a member or element: ',' (then another must follow) or `close`.
 * Returns 1 at the close, 0 after a comma, -1 on error. */
static int next_or_close(rd_t *r, unsigned char close) {
  if (skip_ws(r)) return -1;
  unsigned char c = peek(r);
  if (c == close) {
    r->i++;
    r->depth--;
    return 1;
  }
  if (c == ',') {
    r->i++;
    if (skip_ws(r)) return -1;
    if (peek(r) == close)
      return fail(r, "trailing comma");
    return 0;
  }
  if (at_end(r)) return fail(r, "unexpected end of file (truncated?)");
  return fail(r, close == '}' ? "',' or '}' expected" : "',' or ']' expected");
}

/* Reads `"key" :` into key (truncated keys never match a known one). */
static int read_key(rd_t *r, char *key, size_t cap) {
  size_t len = 0;
  int over = 0;
  if (at_end(r)) return fail(r, "unexpected end of file (truncated?)");
  if (peek(r) != '"') return fail(r, "a member name (string) was expected");
  if (read_string(r, key, cap - 1, &len, &over)) return -1;
  key[over ? 0 : len] = 0;
  if (over) key[0] = 0;
  if (skip_ws(r)) return -1;
  if (peek(r) != ':') return fail(r, "':' expected after a member name");
  r->i++;
  return skip_ws(r);
}

static int skip_object(rd_t *r) {
  int k = enter(r, '}');
  while (k == 0) {
    char key[8];
    if (read_key(r, key, sizeof(key)) || skip_value(r)) return -1;
    k = next_or_close(r, '}');
  }
  return k < 0 ? -1 : 0;
}

static int skip_array(rd_t *r) {
  int k = enter(r, ']');
  while (k == 0) {
    if (skip_value(r)) return -1;
    k = next_or_close(r, ']');
  }
  return k < 0 ? -1 : 0;
}

static int skip_value(rd_t *r) {
  if (at_end(r)) return fail(r, "unexpected end of file (truncated?)");
  unsigned char c = peek(r);
  switch (c) {
  case '{': return skip_object(r);
  case '[': return skip_array(r);
  case '"': return read_string(r, NULL, 0, NULL, NULL);
  case 't':
  case 'f':
  case 'n': return read_literal(r, NULL);
  default:
    if (c == '-' || is_digit(c)) return read_number(r);
    return fail(r, c ? "unexpected character (a JSON value was expected)"
                     : "NUL byte (a JSON value was expected)");
  }
}

/* ---- building the index ------------------------------------------------- */

/* Lowercases name[0..n) in place; 0 if it is a host name as Chromium's
 * list holds them (td_host_syntax: no trailing dot, no U-label). */
static int canonical_name(char *s, size_t n) {
  for (size_t k = 0; k < n; k++) s[k] = (char)lc((unsigned char)s[k]);
  return td_host_syntax(s, n) ? -1 : 0;
}

static int grow_slots(rd_t *r) {
  size_t nn = r->nslot ? r->nslot * 2 : 1024;
  uint64_t *s = calloc(nn, sizeof(*s));
  if (!s) return oom(r);
  for (size_t k = 0; k < r->nslot; k++) {
    uint64_t v = r->slot[k];
    if (!v) continue;
    size_t j = (uint32_t)(v >> 32) & (nn - 1);
    while (s[j]) j = (j + 1) & (nn - 1);
    s[j] = v;
  }
  free(r->slot);
  r->slot = s;
  r->nslot = nn;
  return 0;
}

static int add_entry(rd_t *r, const char *name, size_t len, unsigned flags,
                     size_t name_at) {
  if (r->nent >= UINT32_MAX - 1 || r->names_len + len + 1 > UINT32_MAX)
    return fail_at(r, name_at, "too many entries");
  /* keep the load factor at most 1/2 */
  if ((r->nent + 1) * 2 > r->nslot && grow_slots(r)) return -1;
  uint32_t h = name_hash(name, len);
  tlsdiag_hsts_t view = {r->names, r->ent, r->nent, 0, r->slot, r->nslot - 1};
  if (find_slot(&view, name, len, h) >= 0) {
    memcpy(r->dup, name, len);
    r->dup[len] = 0;
    return fail_at(r, name_at, "a name is listed twice");
  }
  if (r->nent == r->ent_cap) {
    size_t nc = r->ent_cap ? r->ent_cap * 2 : 1024;
    entry_t *e = realloc(r->ent, nc * sizeof(*e));
    if (!e) return oom(r);
    r->ent = e;
    r->ent_cap = nc;
  }
  if (r->names_len + len + 1 > r->names_cap) {
    size_t nc = r->names_cap ? r->names_cap * 2 : 16384;
    while (nc < r->names_len + len + 1) nc *= 2;
    char *s = realloc(r->names, nc);
    if (!s) return oom(r);
    r->names = s;
    r->names_cap = nc;
  }
  memcpy(r->names + r->names_len, name, len);
  r->names[r->names_len + len] = 0;
  entry_t *e = &r->ent[r->nent];
  e->off = (uint32_t)r->names_len;
  e->len = (uint8_t)len;
  e->flags = (uint8_t)flags;
  r->names_len += len + 1;
  size_t j = h & (r->nslot - 1);
  while (r->slot[j]) j = (j + 1) & (r->nslot - 1);
  r->slot[j] = (uint64_t)h << 32 | (uint64_t)(r->nent + 1);
  r->nent++;
  if (flags & F_FORCE_HTTPS) r->nforce++;
  return 0;
}

/* The members of an entry tlsdiag knows, with their JSON type; the type
 * error's message must be static. Any other member is skipped. */
enum { M_NAME, M_MODE, M_SUBS, M_PIN_SUBS, M_EXPECT_CT, M_POLICY, M_PINS,
       M_CT_URI, M_COUNT };
static const struct {
  const char *key;
  char type; /* 's' string, 'b' boolean */
  const char *type_error;
} members[M_COUNT] = {
    [M_NAME] = {"name", 's', "\"name\" is not a string"},
    [M_MODE] = {"mode", 's', "\"mode\" is not a string"},
    [M_SUBS] = {"include_subdomains", 'b',
                "\"include_subdomains\" is not a boolean"},
    [M_PIN_SUBS] = {"include_subdomains_for_pinning", 'b',
                    "\"include_subdomains_for_pinning\" is not a boolean"},
    [M_EXPECT_CT] = {"expect_ct", 'b', "\"expect_ct\" is not a boolean"},
    [M_POLICY] = {"policy", 's', "\"policy\" is not a string"},
    [M_PINS] = {"pins", 's', "\"pins\" is not a string"},
    [M_CT_URI] = {"expect_ct_report_uri", 's',
                  "\"expect_ct_report_uri\" is not a string"},
};

/* One object of "entries". */
static int read_entry(rd_t *r) {
  char name[MAX_NAME + 1];
  size_t name_len = 0, name_at = 0, obj_at = r->i;
  int seen[M_COUNT] = {0}, subs = 0, force = 0;
  if (peek(r) != '{') {
    if (at_end(r)) return fail(r, "unexpected end of file (truncated?)");
    return fail(r, "an entry is not an object");
  }
  int k = enter(r, '}');
  while (k == 0) {
    char key[40];
    size_t key_at = r->i, at;
    if (read_key(r, key, sizeof(key))) return -1;
    int m = 0;
    while (m < M_COUNT && strcmp(key, members[m].key)) m++;
    if (m == M_COUNT) { /* unknown: skipped */
      if (skip_value(r)) return -1;
      k = next_or_close(r, '}');
      continue;
    }
    if (seen[m]++)
      return fail_at(r, key_at, "a member appears twice in an entry");
    at = r->i;
    int b = 0, over = 0;
    if (members[m].type == 'b') {
      unsigned char c = peek(r);
      if ((c != 't' && c != 'f') || read_literal(r, &b))
        return fail_at(r, at, members[m].type_error);
    } else if (peek(r) != '"') {
      return fail(r, members[m].type_error);
    }
    if (m == M_NAME) {
      name_at = at;
      if (read_string(r, name, MAX_NAME, &name_len, &over)) return -1;
      if (over || canonical_name(name, name_len))
        return fail_at(r, at, "\"name\" is not a host name");
    } else if (m == M_MODE) {
      char mode[16];
      size_t ml = 0;
      if (read_string(r, mode, sizeof(mode), &ml, &over)) return -1;
      /* Chromium: "force-https", or no mode (pins only) */
      if (!over && ml == 11 && !memcmp(mode, "force-https", 11)) force = 1;
      else if (over || ml != 0)
        return fail_at(r, at,
                       "unknown \"mode\" (only \"force-https\" is known)");
    } else if (m == M_SUBS) {
      subs = b;
    } else if (members[m].type == 's' &&
               read_string(r, NULL, 0, NULL, NULL)) {
      return -1;
    }
    k = next_or_close(r, '}');
  }
  if (k < 0) return -1;
  if (!seen[M_NAME]) return fail_at(r, obj_at, "an entry has no \"name\"");
  return add_entry(r, name, name_len,
                   (force ? F_FORCE_HTTPS : 0) | (subs ? F_SUBDOMAINS : 0),
                   name_at);
}

static int read_entries(rd_t *r) {
  if (peek(r) != '[') {
    if (at_end(r)) return fail(r, "unexpected end of file (truncated?)");
    return fail(r, "\"entries\" is not an array");
  }
  int k = enter(r, ']');
  while (k == 0) {
    r->entry_no++;
    r->entry_done = 0;
    if (read_entry(r)) return -1;
    r->entry_done = 1;
    k = next_or_close(r, ']');
  }
  if (k < 0) return -1;
  r->entry_no = 0;
  return 0;
}

static int read_document(rd_t *r) {
  int have_entries = 0;
  /* RFC 8259 lets a parser ignore a byte order mark */
  if (r->n >= 3 && !memcmp(r->p, "\xEF\xBB\xBF", 3)) r->i = 3;
  if (skip_ws(r)) return -1;
  if (at_end(r)) return fail(r, "empty file (no JSON object)");
  if (peek(r) != '{') return fail(r, "the top level is not a JSON object");
  int k = enter(r, '}');
  while (k == 0) {
    char key[16];
    size_t key_at = r->i;
    if (read_key(r, key, sizeof(key))) return -1;
    if (!strcmp(key, "entries")) {
      if (have_entries) return fail_at(r, key_at, "\"entries\" appears twice");
      have_entries = 1;
      if (read_entries(r)) return -1;
    } else if (skip_value(r)) {
      return -1;
    }
    k = next_or_close(r, '}');
  }
  if (k < 0) return -1;
  if (skip_ws(r)) return -1;
  if (!at_end(r)) return fail(r, "data after the top-level object");
  if (!have_entries) return fail_at(r, 0, "no \"entries\" array");
  return 0;
}

/* ---- public -------------------------------------------------------------- */

static void put_err(char *buf, size_t len, const char *fmt, ...)
    TD_PRINTF(3, 4);
static void put_err(char *buf, size_t len, const char *fmt, ...) {
  if (!buf || !len) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, len, fmt, ap);
  va_end(ap);
}

/* Line and column (1-based, in bytes) of offset `at`. */
static void position(const rd_t *r, size_t at, size_t *line, size_t *col) {
  /* counted only when an error is reported */
  size_t l = 1, ls = 0;
  if (at > r->n) at = r->n;
  for (size_t k = 0; k < at; k++)
    if (r->p[k] == '\n') {
      l++;
      ls = k + 1;
    }
  *line = l;
  *col = at - ls + 1;
}

static tlsdiag_err_t parse(const unsigned char *data, size_t len,
                           tlsdiag_hsts_t **out, const char **why,
                           char *errbuf, size_t errlen) {
  rd_t r;
  memset(&r, 0, sizeof(r));
  r.p = data;
  r.n = len;
  tlsdiag_err_t rc = TLSDIAG_OK;
  tlsdiag_hsts_t *h = NULL;
  if (read_document(&r)) {
    size_t line, col;
    position(&r, r.err_at, &line, &col);
    if (r.nomem) {
      rc = TLSDIAG_E_NOMEM;
      put_err(errbuf, errlen, "out of memory");
    } else if (r.dup[0]) {
      rc = TLSDIAG_E_HSTS_LIST;
      put_err(errbuf, errlen, "line %zu, column %zu: \"%s\" is listed twice",
              line, col, r.dup);
    } else {
      rc = TLSDIAG_E_HSTS_LIST;
      if (r.entry_no)
        put_err(errbuf, errlen, "line %zu, column %zu: %s (%s %zu)", line,
                col, r.why, r.entry_done ? "after entry" : "entry",
                r.entry_no);
      else
        put_err(errbuf, errlen, "line %zu, column %zu: %s", line, col, r.why);
    }
    if (why) *why = r.why;
    goto out;
  }
  h = calloc(1, sizeof(*h));
  if (!h) {
    rc = TLSDIAG_E_NOMEM;
    put_err(errbuf, errlen, "out of memory");
    if (why) *why = "out of memory";
    goto out;
  }
  /* Give back the slack of the doubling (shrinking cannot fail in a way
   * that matters: the old block stays valid). */
  if (r.nent) {
    entry_t *e = realloc(r.ent, r.nent * sizeof(*e));
    if (e) r.ent = e;
    char *s = realloc(r.names, r.names_len);
    if (s) r.names = s;
  } else if (!r.slot && grow_slots(&r)) {
    free(h);
    h = NULL;
    rc = TLSDIAG_E_NOMEM;
    put_err(errbuf, errlen, "out of memory");
    if (why) *why = "out of memory";
    goto out;
  }
  h->names = r.names;
  h->ent = r.ent;
  h->n = r.nent;
  h->nforce = r.nforce;
  h->slot = r.slot;
  h->mask = r.nslot - 1;
  r.names = NULL;
  r.ent = NULL;
  r.slot = NULL;
  if (why) *why = NULL;
  if (errbuf && errlen) errbuf[0] = 0;
out:
  free(r.names);
  free(r.ent);
  free(r.slot);
  *out = h;
  return rc;
}

tlsdiag_err_t tlsdiag_hsts_load_mem(const void *data, size_t len,
                                    tlsdiag_hsts_t **out, char *errbuf,
                                    size_t errlen) {
  if (out) *out = NULL;
  if (!out || (!data && len)) {
    put_err(errbuf, errlen, "invalid argument");
    return TLSDIAG_E_INVAL;
  }
  if (len > MAX_INPUT) {
    put_err(errbuf, errlen, "larger than %zu MiB", MAX_INPUT >> 20);
    return TLSDIAG_E_HSTS_LIST;
  }
  return parse(data ? data : "", len, out, NULL, errbuf, errlen);
}

/* Reads a whole file of at most MAX_INPUT bytes. Regular files go into an
 * anonymous mapping that is unmapped afterwards, so the ~15 MB of JSON
 * never lingers in the heap; anything else (a pipe) is read in chunks. */
typedef struct {
  unsigned char *p;
  size_t n;
  size_t mapped; /* mapping size, 0 if p is malloc'd */
} file_t;

static void file_free(file_t *f) {
  if (f->mapped) munmap(f->p, f->mapped);
  else free(f->p);
  f->p = NULL;
}

static int read_all(int fd, unsigned char *p, size_t cap, size_t *got) {
  size_t n = 0;
  while (n < cap) {
    ssize_t k = read(fd, p + n, cap - n);
    if (k < 0 && errno == EINTR) continue;
    if (k < 0) return -1;
    if (k == 0) break;
    n += (size_t)k;
  }
  *got = n;
  return 0;
}

/* 0 on success; else -1 with *why and errno-based text in errbuf. */
static tlsdiag_err_t file_read(const char *path, file_t *f, const char **why,
                               char *errbuf, size_t errlen) {
  char eb[128];
  memset(f, 0, sizeof(*f));
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  struct stat st;
  tlsdiag_err_t rc = TLSDIAG_E_HSTS_LIST;
  if (fd < 0 || fstat(fd, &st) != 0) {
    int e = errno;
    *why = "cannot open the file";
    put_err(errbuf, errlen, "cannot open: %s", strerror_r(e, eb, sizeof(eb)));
    goto out;
  }
  if (S_ISDIR(st.st_mode)) {
    *why = "is a directory";
    put_err(errbuf, errlen, "is a directory, not a file");
    goto out;
  }
  if (S_ISREG(st.st_mode)) {
    if ((uintmax_t)st.st_size > MAX_INPUT) {
      *why = "file too large";
      put_err(errbuf, errlen, "larger than %zu MiB", MAX_INPUT >> 20);
      goto out;
    }
    size_t size = (size_t)st.st_size;
    if (size == 0) { /* parse() reports the empty file */
      rc = TLSDIAG_OK;
      goto out;
    }
    /* one byte more, to notice a file that grew while being read */
    size_t cap = size + 1;
    void *m = mmap(NULL, cap, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
      rc = TLSDIAG_E_NOMEM;
      *why = "out of memory";
      put_err(errbuf, errlen, "out of memory");
      goto out;
    }
    f->p = m;
    f->mapped = cap;
    if (read_all(fd, f->p, cap, &f->n) != 0) {
      int e = errno;
      *why = "cannot read the file";
      put_err(errbuf, errlen, "cannot read: %s", strerror_r(e, eb, sizeof(eb)));
      file_free(f);
      goto out;
    }
    if (f->n > size) {
      *why = "the file changed while being read";
      put_err(errbuf, errlen, "the file changed while being read");
      file_free(f);
      goto out;
    }
    rc = TLSDIAG_OK;
    goto out;
  }
  /* a pipe or device: read in chunks, bounded */
  {
    size_t cap = 0;
    for (;;) {
      if (f->n == cap) {
        if (cap > MAX_INPUT) {
          *why = "file too large";
          put_err(errbuf, errlen, "larger than %zu MiB", MAX_INPUT >> 20);
          file_free(f);
          goto out;
        }
        size_t nc = cap ? cap * 2 : 65536;
        unsigned char *p = realloc(f->p, nc);
        if (!p) {
          rc = TLSDIAG_E_NOMEM;
          *why = "out of memory";
          put_err(errbuf, errlen, "out of memory");
          file_free(f);
          goto out;
        }
        f->p = p;
        cap = nc;
      }
      ssize_t k = read(fd, f->p + f->n, cap - f->n);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0) {
        int e = errno;
        *why = "cannot read the file";
        put_err(errbuf, errlen, "cannot read: %s",
                strerror_r(e, eb, sizeof(eb)));
        file_free(f);
        goto out;
      }
      if (k == 0) break;
      f->n += (size_t)k;
    }
    if (f->n > MAX_INPUT) {
      *why = "file too large";
      put_err(errbuf, errlen, "larger than %zu MiB", MAX_INPUT >> 20);
      file_free(f);
      goto out;
    }
    rc = TLSDIAG_OK;
  }
out:
  if (fd >= 0) close(fd);
  return rc;
}

static tlsdiag_err_t load(const char *path, tlsdiag_hsts_t **out,
                          const char **why, char *errbuf, size_t errlen) {
  const char *w = NULL;
  if (out) *out = NULL;
  if (!path || !out) {
    if (why) *why = "invalid argument";
    put_err(errbuf, errlen, "invalid argument");
    return TLSDIAG_E_INVAL;
  }
  file_t f;
  tlsdiag_err_t rc = file_read(path, &f, &w, errbuf, errlen);
  if (rc == TLSDIAG_OK) {
    rc = parse(f.p ? f.p : (const unsigned char *)"", f.n, out, &w, errbuf,
               errlen);
    file_free(&f);
  }
  if (why) *why = w;
  return rc;
}

tlsdiag_err_t tlsdiag_hsts_load(const char *path, tlsdiag_hsts_t **out,
                                const char **why) {
  return load(path, out, why, NULL, 0);
}

tlsdiag_err_t tlsdiag_hsts_load_ex(const char *path, tlsdiag_hsts_t **out,
                                   char *errbuf, size_t errlen) {
  return load(path, out, NULL, errbuf, errlen);
}

void tlsdiag_hsts_free(tlsdiag_hsts_t *h) {
  if (!h) return;
  free(h->names);
  free(h->ent);
  free(h->slot);
  free(h);
}

size_t tlsdiag_hsts_count(const tlsdiag_hsts_t *h) { return h ? h->nforce : 0; }

int td_hsts_list_find(const tlsdiag_hsts_t *h, const char *name,
                      const char **entry, int *include_subdomains,
                      int *exact) {
  if (entry) *entry = NULL;
  if (include_subdomains) *include_subdomains = 0;
  if (exact) *exact = 0;
  if (!h || !name || !h->slot) return 0;
  size_t n = strnlen(name, MAX_NAME + 2);
  if (n > 0 && name[n - 1] == '.') n--; /* a fully qualified name */
  if (n == 0 || n > MAX_NAME) return 0;
  char s[MAX_NAME + 1];
  for (size_t k = 0; k < n; k++) {
    unsigned char c = (unsigned char)name[k];
    if (c <= 0x20 || c >= 0x7F) return 0; /* A-labels only */
    s[k] = (char)lc(c);
  }
  /* Hash right to left; at each label start probe the parent. Keep the
   * most specific (last, longest) match, as Chromium's trie walk does. */
  uint32_t hv = FNV_BASIS;
  long best = -1;
  size_t best_at = 0;
  for (size_t k = n; k-- > 0;) {
    hv = (hv ^ (unsigned char)s[k]) * FNV_PRIME;
    if (k == 0 || s[k - 1] == '.') {
      long i = find_slot(h, s + k, n - k, mix(hv));
      if (i >= 0) {
        best = i;
        best_at = k;
      }
    }
  }
  if (best < 0) return 0;
  const entry_t *e = &h->ent[best];
  if (entry) *entry = h->names + e->off;
  if (include_subdomains) *include_subdomains = (e->flags & F_SUBDOMAINS) != 0;
  if (exact) *exact = best_at == 0;
  if (!(e->flags & F_FORCE_HTTPS)) return 0;
  return best_at == 0 || (e->flags & F_SUBDOMAINS);
}

int tlsdiag_hsts_lookup(const tlsdiag_hsts_t *h, const char *name,
                        const char **entry, int *include_subdomains) {
  const char *e = NULL;
  int subs = 0, rc = 0;
  if (entry) *entry = NULL;
  if (include_subdomains) *include_subdomains = 0;
  if (!h || !name) return 0;
  int ascii = 1;
  for (const unsigned char *p = (const unsigned char *)name; *p && ascii; p++)
    ascii = *p < 0x80;
  if (ascii) {
    rc = td_hsts_list_find(h, name, &e, &subs, NULL);
  } else {
    /* a U-label: convert as tlsdiag_check does */
    const char *err = NULL;
    char *ace = td_idn_to_ascii(name, &err);
    if (!ace) return 0;
    rc = td_hsts_list_find(h, ace, &e, &subs, NULL);
    free(ace);
  }
  if (rc) {
    if (entry) *entry = e;
    if (include_subdomains) *include_subdomains = subs;
  }
  return rc;
}
