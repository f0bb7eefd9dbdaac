/* resume.c: `tlsdiag sweep --resume FILE`: which targets an earlier
 * (perhaps interrupted) JSON Lines output already has a record for. The
 * records are tlsdiag's own, so only the target object is read: its
 * "host", "port" and "sni". A cancelled record, the summary and a last
 * line cut short (no newline: the sweep was killed mid-write) are not
 * records of a finished check; the cut line is removed from the file so
 * that what is appended starts on a line of its own. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"
#include "resume.h"

typedef struct {
  char *hp;  /* "host\nport": the sort key */
  char *sni; /* the record's SNI, NULL for null */
} seen_t;

/* A JSON string at p (after the opening quote) into a new string (UTF-8,
 * \uXXXX decoded); *end past the closing quote. NULL if malformed. */
static char *json_str(const char *p, const char **end) {
  size_t cap = strlen(p) + 1, n = 0;
  char *out = malloc(cap);
  if (!out) return NULL;
  while (*p && *p != '"') {
    unsigned cp = (unsigned char)*p++;
    if (cp == '\\') {
      char e = *p++;
      if (e == 'u') {
        char hex[5] = {0};
        if (strlen(p) < 4) break;
        memcpy(hex, p, 4);
        cp = (unsigned)strtoul(hex, NULL, 16);
        p += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u') {
          memcpy(hex, p + 2, 4);
          unsigned lo = (unsigned)strtoul(hex, NULL, 16);
          p += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
      } else {
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *k = e ? strchr(from, e) : NULL;
        if (!k) break;
        cp = (unsigned char)to[k - from];
      }
      /* UTF-8 (at most 4 bytes; an escape is 6 or 12 input bytes) */
      if (cp < 0x80) out[n++] = (char)cp;
      else if (cp < 0x800) {
        out[n++] = (char)(0xc0 | cp >> 6);
        out[n++] = (char)(0x80 | (cp & 0x3f));
      } else if (cp < 0x10000) {
        out[n++] = (char)(0xe0 | cp >> 12);
        out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[n++] = (char)(0x80 | (cp & 0x3f));
      } else {
        out[n++] = (char)(0xf0 | cp >> 18);
        out[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[n++] = (char)(0x80 | (cp & 0x3f));
      }
      continue;
    }
    out[n++] = (char)cp;
  }
  if (*p != '"') {
    free(out);
    return NULL;
  }
  out[n] = '\0';
  *end = p + 1;
  return out;
}

/* The value of "key" inside obj (a string, NULL for null; *is_null), by
 * the first occurrence after obj: tlsdiag writes the target's keys before
 * any nested object. 0, or -1 if absent or malformed. */
static int member(const char *obj, const char *key, char **str, long *num,
                  int *is_null) {
  char pat[32];
  snprintf(pat, sizeof(pat), "\"%s\":", key);
  const char *p = strstr(obj, pat);
  if (!p) return -1;
  p += strlen(pat);
  *is_null = 0;
  if (str) *str = NULL;
  if (!strncmp(p, "null", 4)) {
    *is_null = 1;
    return 0;
  }
  if (*p == '"' && str) {
    const char *end;
    *str = json_str(p + 1, &end);
    return *str ? 0 : -1;
  }
  if (num) {
    char *end;
    *num = strtol(p, &end, 10);
    return end == p ? -1 : 0;
  }
  return -1;
}

/* A bad_line record: its line number, so that it is written once. */
static int add_bad(td_cli_resume_t *r, const char *line) {
  long num = 0;
  int null = 0;
  if (member(line, "line", NULL, &num, &null) || null || num <= 0) return 0;
  if (r->nbad == r->badcap) {
    size_t cap = r->badcap ? r->badcap * 2 : 16;
    size_t *v = realloc(r->bad, cap * sizeof(*v));
    if (!v) return -1;
    r->bad = v;
    r->badcap = cap;
  }
  r->bad[r->nbad++] = (size_t)num;
  return 0;
}

static int line_cmp(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

int td_cli_resume_has_bad(const td_cli_resume_t *r, size_t line) {
  /* sorted by td_cli_resume_load */
  return r->nbad && bsearch(&line, r->bad, r->nbad, sizeof(*r->bad), line_cmp);
}

/* One complete line: adds its target when it records a finished check,
 * its line number when it records a bad line. */
static int add_line(td_cli_resume_t *r, const char *line) {
  if (strstr(line, "\"record\":\"bad_line\"")) return add_bad(r, line);
  if (strstr(line, "\"record\":\"cancelled\"") || !strncmp(line, "{\"summary\"", 10))
    return 0;
  const char *t = strstr(line, "\"target\":{");
  if (!t) return 0; /* not a record of ours: ignored */
  char *host = NULL, *sni = NULL;
  long port = 0;
  int null = 0, sni_null = 0;
  if (member(t, "host", &host, NULL, &null) || null ||
      member(t, "port", NULL, &port, &null) || null ||
      member(t, "sni", &sni, NULL, &sni_null)) {
    free(host);
    free(sni);
    return 0;
  }
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 256;
    void *v = realloc(r->v, cap * sizeof(seen_t));
    if (!v) {
      free(host);
      free(sni);
      return -1;
    }
    r->v = v;
    r->cap = cap;
  }
  seen_t *e = &((seen_t *)r->v)[r->n];
  size_t len = strlen(host) + 16;
  e->hp = malloc(len);
  if (!e->hp) {
    free(host);
    free(sni);
    return -1;
  }
  snprintf(e->hp, len, "%s\n%ld", host, port);
  free(host);
  e->sni = sni;
  r->n++;
  return 0;
}

static int seen_cmp(const void *a, const void *b) {
  return strcmp(((const seen_t *)a)->hp, ((const seen_t *)b)->hp);
}

int td_cli_resume_load(const char *path, td_cli_resume_t *r) {
  memset(r, 0, sizeof(*r));
  FILE *f = fopen(path, "r+");
  if (!f && errno == ENOENT) return 0; /* nothing yet: everything to do */
  if (!f) {
    td_cli_error("cannot open --resume file '%s': %s", path, strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  off_t good = 0; /* the end of the last complete line */
  int rc = 0;
  while ((len = getline(&line, &cap, f)) > 0) {
    if (line[len - 1] != '\n') break; /* cut short */
    good += (off_t)len;
    if (add_line(r, line) < 0) {
      td_cli_error("out of memory");
      rc = -1;
      break;
    }
  }
  free(line);
  if (rc == 0 && ferror(f)) {
    td_cli_error("cannot read --resume file '%s': %s", path, strerror(errno));
    rc = -1;
  }
  if (rc == 0 && len > 0) { /* drop the cut line */
    r->cut = 1;
    if (fflush(f) != 0 || ftruncate(fileno(f), good) != 0) {
      td_cli_error("cannot truncate '%s': %s", path, strerror(errno));
      rc = -1;
    }
  }
  fclose(f);
  if (r->n) qsort(r->v, r->n, sizeof(seen_t), seen_cmp);
  if (r->nbad) qsort(r->bad, r->nbad, sizeof(*r->bad), line_cmp);
  return rc;
}

/* The record's SNI stands for this target: the target's own when it gave
 * one, else the default (none for an IP, the name itself; a non-ASCII
 * name's A-label is taken on trust). */
static int sni_matches(const td_target_t *t, const char *sni) {
  if (t->sni) return sni ? !strcmp(sni, t->sni) : !*t->sni;
  if (!sni) return 1;
  for (const char *p = t->host; *p; p++)
    if ((unsigned char)*p >= 0x80) return 1;
  return !strcasecmp(sni, t->host);
}

int td_cli_resume_has(const td_cli_resume_t *r, const td_target_t *t) {
  if (!r->n) return 0;
  size_t len = strlen(t->host) + 16;
  char *hp = malloc(len);
  if (!hp) return 0;
  snprintf(hp, len, "%s\n%u", t->host, t->port);
  seen_t key = {hp, NULL};
  const seen_t *v = r->v;
  const seen_t *hit = bsearch(&key, v, r->n, sizeof(seen_t), seen_cmp);
  int found = 0;
  if (hit) {
    while (hit > v && !strcmp(hit[-1].hp, hp)) hit--;
    for (; hit < v + r->n && !strcmp(hit->hp, hp) && !found; hit++)
      found = sni_matches(t, hit->sni);
  }
  free(hp);
  return found;
}

void td_cli_resume_free(td_cli_resume_t *r) {
  seen_t *v = r->v;
  for (size_t i = 0; i < r->n; i++) {
    free(v[i].hp);
    free(v[i].sni);
  }
  free(v);
  free(r->bad);
  memset(r, 0, sizeof(*r));
}
