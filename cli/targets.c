/* targets.c: reads the target list of `tlsdiag sweep`. */
#include "targets.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlsdiag/tlsdiag.h"

#define SNI_MAX 253

/* Open-addressing set of target indices, keyed by td_target_t.key. */
typedef struct {
  size_t *slot; /* index + 1, 0 empty */
  size_t cap;   /* power of two */
} keyset_t;

uint64_t td_target_hash(const td_target_t *t) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char *p = (const unsigned char *)t->key; *p; p++) {
    h ^= *p;
    h *= 1099511628211ull;
  }
  return h;
}

int td_target_in_shard(const td_target_t *t, unsigned k, unsigned n) {
  return n > 0 && td_target_hash(t) % n == (uint64_t)(k - 1);
}

/* Is t's key already in the set? If not, adds index i. -1: no memory. */
static int keyset_seen(keyset_t *s, const td_targets_t *l, size_t i) {
  if ((l->n + 1) * 2 > s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    size_t *slot = calloc(cap, sizeof(*slot));
    if (!slot) return -1;
    for (size_t k = 0; k < s->cap; k++) {
      if (!s->slot[k]) continue;
      size_t h = (size_t)td_target_hash(&l->v[s->slot[k] - 1]) & (cap - 1);
      while (slot[h]) h = (h + 1) & (cap - 1);
      slot[h] = s->slot[k];
    }
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
  }
  size_t h = (size_t)td_target_hash(&l->v[i]) & (s->cap - 1);
  for (; s->slot[h]; h = (h + 1) & (s->cap - 1))
    if (strcmp(l->v[s->slot[h] - 1].key, l->v[i].key) == 0) return 1;
  s->slot[h] = i + 1;
  return 0;
}

void td_target_quote(char *out, size_t n, const char *s, size_t max) {
  size_t o = 0;
  if (n == 0) return;
  for (size_t i = 0; i < max && s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    int plain = c >= 0x20 && c < 0x7f && c != '\\';
    if (o + (plain ? 1 : 4) >= n) break;
    if (plain) out[o++] = (char)c;
    else o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
  }
  out[o] = '\0';
}

/* Keeps the bad line for its record (below TD_TARGETS_BAD_KEPT). */
static void keep_bad(td_targets_t *l, size_t line, const char *why,
                     const char *input) {
  if (l->nbadv == TD_TARGETS_BAD_KEPT) return;
  if (l->nbadv == l->badcap) {
    size_t cap = l->badcap ? l->badcap * 2 : 16;
    td_bad_line_t *v = realloc(l->badv, cap * sizeof(*v));
    if (!v) return;
    l->badv = v;
    l->badcap = cap;
  }
  char q[300];
  q[0] = '\0';
  if (input) td_target_quote(q, sizeof(q), input, 200);
  td_bad_line_t *b = &l->badv[l->nbadv];
  b->line = line;
  b->refused = 0;
  b->why = strdup(why);
  b->input = strdup(q);
  if (!b->why || !b->input) {
    free(b->why);
    free(b->input);
    return;
  }
  l->nbadv++;
}

int td_bad_line_in_shard(size_t line, unsigned k, unsigned n) {
  return n == 0 || (line - 1) % n == k - 1;
}

void td_targets_bad(td_targets_t *l, size_t line, const char *why,
                    const char *input) {
  l->bad++;
  keep_bad(l, line, why, input);
  if (l->first_bad && l->first_bad < line) return;
  l->first_bad = line;
  size_t n = strlen(why);
  if (n >= sizeof(l->first_bad_why)) n = sizeof(l->first_bad_why) - 1;
  memcpy(l->first_bad_why, why, n);
  l->first_bad_why[n] = '\0';
}

static void target_clear(td_target_t *t) {
  tlsdiag_free(t->host);
  free(t->sni);
  free(t->key);
  tlsdiag_free(t->path);
  memset(t, 0, sizeof(*t));
}

void td_targets_free(td_targets_t *l) {
  for (size_t i = 0; i < l->n; i++) target_clear(&l->v[i]);
  for (size_t i = 0; i < l->nbadv; i++) {
    free(l->badv[i].why);
    free(l->badv[i].input);
  }
  free(l->badv);
  free(l->v);
  memset(l, 0, sizeof(*l));
}

static char *lower_dup(const char *s) {
  char *d = strdup(s);
  for (char *p = d; p && *p; p++) *p = (char)tolower((unsigned char)*p);
  return d;
}

static char *make_key(const td_target_t *t) {
  char *host = lower_dup(t->host);
  char *sni = t->sni ? lower_dup(t->sni) : NULL;
  if (host && sni && !strcmp(host, sni)) { /* the default SNI, spelled out */
    free(sni);
    sni = NULL;
  }
  char *key = NULL;
  if (host) {
    /* a URL's path is part of what is checked ("/" is the default) */
    const char *path = t->path && strcmp(t->path, "/") ? t->path : NULL;
    size_t n = strlen(host) + (sni ? strlen(sni) : 0) +
               (path ? strlen(path) : 0) + 40;
    key = malloc(n);
    if (key)
      snprintf(key, n, strchr(host, ':') ? "[%s]:%u%s%s%s%s" : "%s:%u%s%s%s%s",
               host, t->port, sni ? " sni=" : "", sni ? sni : "",
               path ? " path=" : "", path ? path : "");
  }
  free(host);
  free(sni);
  return key;
}

/* An SNI is a host name: printable ASCII, no quotes or backslashes. */
static int sni_ok(const char *s) {
  if (strlen(s) > SNI_MAX) return 0;
  for (; *s; s++)
    if (*s <= ' ' || *s > '~' || *s == '"' || *s == '\\') return 0;
  return 1;
}

/* Parses one line (NUL-terminated, no newline). 1: a target in *t, 0: blank
 * or comment, -1: bad with *why (static or in why_buf). */
static int parse_line(char *s, td_target_t *t, const char **why,
                      char *why_buf, size_t why_len) {
  size_t n = strlen(s);
  if (n && s[n - 1] == '\r') s[--n] = '\0';
  for (size_t i = 0; i < n; i++)
    if (s[i] == '#' && (i == 0 || isspace((unsigned char)s[i - 1]))) {
      s[i] = '\0';
      break;
    }
  char *field[3] = {NULL, NULL, NULL};
  size_t nf = 0;
  for (char *save = NULL, *f = strtok_r(s, " \t\v\f", &save); f;
       f = strtok_r(NULL, " \t\v\f", &save)) {
    if (nf == 2) {
      *why = "too many fields (expected TARGET [sni=NAME])";
      return -1;
    }
    field[nf++] = f;
  }
  if (nf == 0) return 0;
  if (field[1]) {
    if (strncmp(field[1], "sni=", 4) != 0) {
      char q[170];
      td_target_quote(q, sizeof(q), field[1], 40);
      snprintf(why_buf, why_len, "unknown field '%s' (expected sni=NAME)", q);
      *why = why_buf;
      return -1;
    }
    if (!sni_ok(field[1] + 4)) {
      *why = "bad SNI (a host name: printable ASCII, at most 253 bytes)";
      return -1;
    }
    if (!(t->sni = strdup(field[1] + 4))) return -2;
  }
  const char *sep = strstr(field[0], "://");
  tlsdiag_err_t e;
  if (sep && strcspn(field[0], ":/[") == (size_t)(sep - field[0])) {
    size_t slen = (size_t)(sep - field[0]);
    char q[330];
    td_target_quote(q, sizeof(q), field[0], 80);
    if (slen == 4 && !strncasecmp(field[0], "http", 4)) {
      snprintf(why_buf, why_len, "'%s': http:// is not checked: https only",
               q);
      *why = why_buf;
      return -1;
    }
    e = tlsdiag_url_parse(field[0], 443, &t->host, &t->port, &t->path);
    if (e == TLSDIAG_E_URL && (slen != 5 || strncasecmp(field[0], "https", 5))) {
      snprintf(why_buf, why_len, "'%s': unsupported scheme (https:// only)", q);
      *why = why_buf;
      return -1;
    }
  } else {
    e = tlsdiag_target_parse(field[0], 443, &t->host, &t->port);
  }
  if (e) {
    char q[330];
    td_target_quote(q, sizeof(q), field[0], 80);
    snprintf(why_buf, why_len, "bad target '%s': %s", q, tlsdiag_strerror(e));
    *why = why_buf;
    return -1;
  }
  if (!(t->key = make_key(t))) return -2;
  return 1;
}

int td_targets_read(FILE *in, const char *name, td_targets_t *out, FILE *err) {
  char *buf = malloc(TD_TARGET_MAX_LINE + 1);
  char *raw = malloc(TD_TARGET_MAX_LINE + 1); /* buf as read: parse_line
                                                 cuts buf into fields */
  keyset_t seen = {NULL, 0};
  int rc = 0;
  size_t lineno = 0;
  if (!buf || !raw) goto nomem;
  for (;;) {
    /* One line: at most TD_TARGET_MAX_LINE bytes are kept; a longer one
     * is read to its end and reported, and the next line goes on. */
    size_t len = 0;
    int ch = EOF, too_long = 0, nul = 0;
    while ((ch = getc(in)) != EOF && ch != '\n') {
      if (ch == '\0') nul = 1;
      if (len < TD_TARGET_MAX_LINE) buf[len++] = (char)ch;
      else too_long = 1;
    }
    if (ch == EOF && len == 0 && !too_long) break;
    lineno++;
    buf[len] = '\0';
    memcpy(raw, buf, len + 1);
    td_target_t t;
    memset(&t, 0, sizeof(t));
    t.line = lineno;
    const char *why = NULL;
    char why_buf[400];
    int r = too_long ? -1 : nul ? -1 : parse_line(buf, &t, &why, why_buf, sizeof(why_buf));
    if (too_long) why = "line longer than 4096 bytes";
    else if (nul) why = "line contains a NUL byte";
    if (r == -2) {
      target_clear(&t);
      goto nomem;
    }
    if (r < 0) {
      fprintf(err, "tlsdiag sweep: %s:%zu: %s; line skipped\n", name, lineno,
              why);
      td_targets_bad(out, lineno, why, raw);
      target_clear(&t);
    } else if (r > 0) {
      if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 256;
        td_target_t *v = realloc(out->v, cap * sizeof(*v));
        if (!v) {
          target_clear(&t);
          goto nomem;
        }
        out->v = v;
        out->cap = cap;
      }
      out->v[out->n] = t;
      int dup = keyset_seen(&seen, out, out->n);
      if (dup < 0) goto nomem_after_add;
      if (dup) {
        out->duplicates++;
        target_clear(&out->v[out->n]);
      } else {
        out->n++;
      }
    }
    if (ch == EOF) break;
  }
  if (ferror(in)) {
    fprintf(err, "tlsdiag sweep: %s: read error: %s\n", name, strerror(errno));
    rc = -1;
  }
  goto out;
nomem_after_add:
  target_clear(&out->v[out->n]);
nomem:
  fprintf(err, "tlsdiag sweep: %s: out of memory at line %zu\n", name, lineno);
  rc = -1;
out:
  free(seen.slot);
  free(buf);
  free(raw);
  return rc;
}
