/* hsts_list_json.c: the strict, bounded reader of Chromium's
 * transport_security_state_static.json (the HSTS preload list).
 *
 * A JSON parser that knows the one schema it needs: an object whose
 * "entries" member is an array of objects with "name", "mode" and
 * "include_subdomains". Everything else (pinsets, policy, pins, members a
 * later Chromium may add) is checked for JSON syntax and skipped. Comments
 * (// to end of line, and block comments) are allowed wherever whitespace
 * is, as Chromium's JSON reader allows them. Nesting is limited and the
 * first error stops the read with its line and column. Each entry goes to
 * a callback (hsts_list.c builds its index there); nothing else is kept.
 * Data in, data out: no I/O. */
#include <string.h>

#include "hsts.h"

#define MAX_DEPTH 32 /* the schema needs 4 */
#define MAX_NAME TD_HSTS_MAX_NAME

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
  td_hsts_add_fn add;     /* where the entries go (hsts_list.c's index) */
  void *ctx;
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

/* ---- entries -------------------------------------------------------------- */

static unsigned char lc(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Lowercases name[0..n) in place; 0 if it is a host name as Chromium's
 * list holds them (td_host_syntax: no trailing dot, no U-label). */
static int canonical_name(char *s, size_t n) {
  for (size_t k = 0; k < n; k++) s[k] = (char)lc((unsigned char)s[k]);
  return td_host_syntax(s, n) ? -1 : 0;
}

/* Hands one entry to the index; its refusal becomes the read's error. */
static int emit(rd_t *r, const char *name, size_t len, unsigned flags,
                size_t name_at) {
  switch (r->add(r->ctx, name, len, flags)) {
  case TD_HSTS_ADD_OK: return 0;
  case TD_HSTS_ADD_DUP:
    memcpy(r->dup, name, len);
    r->dup[len] = 0;
    return fail_at(r, name_at, "a name is listed twice");
  case TD_HSTS_ADD_FULL: return fail_at(r, name_at, "too many entries");
  default: return oom(r);
  }
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
  return emit(r, name, name_len,
              (force ? TD_HSTS_F_FORCE_HTTPS : 0) |
                  (subs ? TD_HSTS_F_SUBDOMAINS : 0),
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

/* ---- the entry point ---------------------------------------------------- */

tlsdiag_err_t td_hsts_list_read(const unsigned char *data, size_t len,
                                td_hsts_add_fn add, void *ctx,
                                const char **why, char *errbuf,
                                size_t errlen) {
  rd_t r;
  memset(&r, 0, sizeof(r));
  r.p = data;
  r.n = len;
  r.add = add;
  r.ctx = ctx;
  if (why) *why = NULL;
  if (!read_document(&r)) return TLSDIAG_OK;
  size_t line, col;
  position(&r, r.err_at, &line, &col);
  if (why) *why = r.why;
  if (r.nomem) {
    td_hsts_errf(errbuf, errlen, "out of memory");
    return TLSDIAG_E_NOMEM;
  }
  if (r.dup[0])
    td_hsts_errf(errbuf, errlen,
                 "line %zu, column %zu: \"%s\" is listed twice", line, col,
                 r.dup);
  else if (r.entry_no)
    td_hsts_errf(errbuf, errlen, "line %zu, column %zu: %s (%s %zu)", line,
                 col, r.why, r.entry_done ? "after entry" : "entry",
                 r.entry_no);
  else
    td_hsts_errf(errbuf, errlen, "line %zu, column %zu: %s", line, col,
                 r.why);
  return TLSDIAG_E_HSTS_LIST;
}
