/* tdprom.h: a strict parser of the Prometheus text exposition format
 * (version 0.0.4, what node_exporter's textfile collector reads), for the
 * tests of `--format prometheus`. Header-only. It rejects what Prometheus
 * or the textfile collector would reject, and a few things they tolerate
 * but a good exporter never writes:
 *  - a line that is not "# HELP name text", "# TYPE name type", another
 *    comment, or a sample; blank lines; a text not ending in "\n";
 *  - bad metric or label names, a duplicate label in a sample, a label
 *    value with an escape other than \\ \" \n or with invalid UTF-8;
 *  - a value that is not a float, a stray field after value/timestamp;
 *  - HELP or TYPE twice for a family, TYPE after its first sample, an
 *    unknown type, a sample without TYPE;
 *  - the samples of one family not contiguous;
 *  - the same series (name and label set) twice. */
#ifndef TDPROM_H
#define TDPROM_H

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TDPROM_MAX_LABELS 16

typedef struct {
  char *name;
  size_t nlabels;
  char *lname[TDPROM_MAX_LABELS];
  char *lvalue[TDPROM_MAX_LABELS]; /* unescaped */
  double value;
} tdprom_sample_t;

typedef struct {
  char *family;
  int has_help, has_type, has_samples, closed;
  int histogram; /* TYPE histogram or summary: samples _bucket, _sum,
                    _count (and the bare name for a summary) */
} tdprom_family_t;

typedef struct {
  tdprom_sample_t *s;
  size_t n;
  tdprom_family_t *f;
  size_t nf;
  char err[256];
} tdprom_t;

static __attribute__((unused)) void tdprom_free(tdprom_t *p) {
  for (size_t i = 0; i < p->n; i++) {
    free(p->s[i].name);
    for (size_t k = 0; k < p->s[i].nlabels; k++) {
      free(p->s[i].lname[k]);
      free(p->s[i].lvalue[k]);
    }
  }
  for (size_t i = 0; i < p->nf; i++) free(p->f[i].family);
  free(p->s);
  free(p->f);
  memset(p, 0, sizeof(*p));
}

static int tdprom_name_ok(const char *s, size_t n, int colon) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int ok = isalpha((unsigned char)c) || c == '_' || (colon && c == ':') ||
             (i > 0 && isdigit((unsigned char)c));
    if (!ok || (unsigned char)c >= 0x80) return 0;
  }
  return 1;
}

static int tdprom_utf8_ok(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >= 0xc2 && c < 0xe0) ? 2
               : (c >= 0xe0 && c < 0xf0) ? 3 : (c >= 0xf0 && c < 0xf5) ? 4 : 0;
    if (!len || i + len > n) return 0;
    unsigned cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
      return 0;
    i += len;
  }
  return 1;
}

static tdprom_family_t *tdprom_family(tdprom_t *p, const char *name, size_t n) {
  for (size_t i = 0; i < p->nf; i++)
    if (strlen(p->f[i].family) == n && !strncmp(p->f[i].family, name, n))
      return &p->f[i];
  p->f = realloc(p->f, (p->nf + 1) * sizeof(*p->f));
  memset(&p->f[p->nf], 0, sizeof(*p->f));
  p->f[p->nf].family = strndup(name, n);
  return &p->f[p->nf++];
}

static int tdprom_float(const char *s, size_t n, double *out) {
  char buf[64];
  if (n == 0 || n >= sizeof(buf)) return 0;
  memcpy(buf, s, n);
  buf[n] = '\0';
  if (!strcmp(buf, "+Inf") || !strcmp(buf, "-Inf") || !strcmp(buf, "NaN")) {
    *out = !strcmp(buf, "NaN") ? NAN : buf[0] == '-' ? -INFINITY : INFINITY;
    return 1;
  }
  for (size_t i = 0; i < n; i++)
    if (!strchr("0123456789.eE+-", buf[i])) return 0;
  char *end = NULL;
  *out = strtod(buf, &end);
  return end == buf + n;
}

/* Two samples are the same series: same name, same label set. */
static int tdprom_same_series(const tdprom_sample_t *a, const tdprom_sample_t *b) {
  if (strcmp(a->name, b->name) || a->nlabels != b->nlabels) return 0;
  for (size_t i = 0; i < a->nlabels; i++) {
    size_t k = 0;
    while (k < b->nlabels && strcmp(a->lname[i], b->lname[k])) k++;
    if (k == b->nlabels || strcmp(a->lvalue[i], b->lvalue[k])) return 0;
  }
  return 1;
}

#define TDPROM_FAIL(...)                                                  \
  do {                                                                    \
    int o_ = snprintf(p->err, sizeof(p->err), "line %zu: ", lineno);      \
    snprintf(p->err + o_, sizeof(p->err) - (size_t)o_, __VA_ARGS__);      \
    return -1;                                                            \
  } while (0)

static int tdprom_sample(tdprom_t *p, const char *l, size_t len, size_t lineno,
                         size_t *last) {
  size_t i = 0;
  while (i < len && l[i] != '{' && l[i] != ' ') i++;
  if (!tdprom_name_ok(l, i, 1)) TDPROM_FAIL("bad metric name");
  /* name_bucket, name_sum, name_count belong to a histogram's family */
  size_t fam_len = i;
  static const char *const sfx[] = {"_bucket", "_sum", "_count"};
  for (size_t k = 0; k < 3; k++) {
    size_t sl = strlen(sfx[k]);
    if (i <= sl || memcmp(l + i - sl, sfx[k], sl)) continue;
    for (size_t j = 0; j < p->nf; j++)
      if (p->f[j].histogram && strlen(p->f[j].family) == i - sl &&
          !strncmp(p->f[j].family, l, i - sl))
        fam_len = i - sl;
  }
  tdprom_family_t *f = tdprom_family(p, l, fam_len);
  if (!f->has_type) TDPROM_FAIL("sample of %s before its TYPE", f->family);
  if (f->closed) TDPROM_FAIL("samples of %s are not contiguous", f->family);
  size_t fi = (size_t)(f - p->f) + 1; /* index + 1: p->f may move */
  if (*last && *last != fi) p->f[*last - 1].closed = 1;
  *last = fi;
  f->has_samples = 1;
  tdprom_sample_t s;
  memset(&s, 0, sizeof(s));
  s.name = strndup(l, i);
  p->s = realloc(p->s, (p->n + 1) * sizeof(*p->s));
  p->s[p->n++] = s;
  tdprom_sample_t *sp = &p->s[p->n - 1];
  if (i < len && l[i] == '{') {
    i++;
    while (i < len && l[i] != '}') {
      size_t ns = i;
      while (i < len && l[i] != '=') i++;
      if (i >= len || !tdprom_name_ok(l + ns, i - ns, 0) ||
          (i - ns >= 2 && l[ns] == '_' && l[ns + 1] == '_'))
        TDPROM_FAIL("bad label name");
      if (sp->nlabels == TDPROM_MAX_LABELS) TDPROM_FAIL("too many labels");
      char *lname = strndup(l + ns, i - ns);
      for (size_t k = 0; k < sp->nlabels; k++)
        if (!strcmp(sp->lname[k], lname)) {
          free(lname);
          TDPROM_FAIL("duplicate label");
        }
      sp->lname[sp->nlabels] = lname;
      if (++i >= len || l[i] != '"') {
        sp->lvalue[sp->nlabels++] = strdup("");
        TDPROM_FAIL("label value not quoted");
      }
      i++;
      char *v = malloc(len + 1);
      size_t vn = 0;
      while (i < len && l[i] != '"') {
        if (l[i] == '\\') {
          if (i + 1 >= len) break;
          char e = l[i + 1];
          if (e == '\\' || e == '"') v[vn++] = e;
          else if (e == 'n') v[vn++] = '\n';
          else {
            free(v);
            sp->lvalue[sp->nlabels++] = strdup("");
            TDPROM_FAIL("bad escape \\%c in a label value", e);
          }
          i += 2;
        } else {
          v[vn++] = l[i++];
        }
      }
      v[vn] = '\0';
      sp->lvalue[sp->nlabels++] = v;
      if (i >= len) TDPROM_FAIL("unterminated label value");
      if (!tdprom_utf8_ok((const unsigned char *)v, vn))
        TDPROM_FAIL("label value is not UTF-8");
      i++; /* closing quote */
      if (i < len && l[i] == ',') i++;
      else if (i < len && l[i] != '}') TDPROM_FAIL("expected , or }");
    }
    if (i >= len) TDPROM_FAIL("unterminated label set");
    i++;
  }
  if (i >= len || l[i] != ' ') TDPROM_FAIL("expected a space before the value");
  i++;
  size_t vs = i;
  while (i < len && l[i] != ' ') i++;
  if (!tdprom_float(l + vs, i - vs, &sp->value)) TDPROM_FAIL("bad value");
  if (i < len) { /* an optional integer timestamp */
    size_t ts = ++i;
    if (i >= len) TDPROM_FAIL("trailing space");
    if (l[i] == '-') i++;
    while (i < len && isdigit((unsigned char)l[i])) i++;
    if (i != len || i == ts) TDPROM_FAIL("bad timestamp");
  }
  for (size_t k = 0; k + 1 < p->n; k++)
    if (tdprom_same_series(&p->s[k], sp)) TDPROM_FAIL("duplicate series");
  return 0;
}

/* Parses text into *p (zeroed first). 0, or -1 with p->err set. */
static __attribute__((unused)) int tdprom_parse(const char *text, tdprom_t *p) {
  memset(p, 0, sizeof(*p));
  size_t lineno = 0, n = strlen(text);
  size_t last = 0; /* family of the previous sample, index + 1 */
  if (n && text[n - 1] != '\n') TDPROM_FAIL("text does not end in a newline");
  for (const char *l = text; *l;) {
    const char *nl = strchr(l, '\n');
    size_t len = (size_t)(nl - l);
    lineno++;
    if (len == 0) TDPROM_FAIL("blank line");
    if (l[0] == '#') {
      int help = len > 7 && !strncmp(l, "# HELP ", 7);
      int type = len > 7 && !strncmp(l, "# TYPE ", 7);
      if (help || type) {
        const char *name = l + 7;
        size_t k = 0;
        while (7 + k < len && name[k] != ' ') k++;
        if (!tdprom_name_ok(name, k, 1)) TDPROM_FAIL("bad name in HELP/TYPE");
        tdprom_family_t *f = tdprom_family(p, name, k);
        if (f->has_samples) TDPROM_FAIL("HELP/TYPE after samples of %s", f->family);
        if (help && f->has_help) TDPROM_FAIL("second HELP for %s", f->family);
        if (type && f->has_type) TDPROM_FAIL("second TYPE for %s", f->family);
        if (7 + k >= len) TDPROM_FAIL("HELP/TYPE without text");
        const char *rest = name + k + 1;
        size_t rn = len - 7 - k - 1;
        if (type) {
          static const char *const types[] = {"counter", "gauge", "histogram",
                                              "summary", "untyped"};
          int known = 0;
          for (size_t t = 0; t < 5; t++)
            known |= strlen(types[t]) == rn && !strncmp(rest, types[t], rn);
          if (!known) TDPROM_FAIL("unknown type");
          f->has_type = 1;
          f->histogram = (rn == 9 && !strncmp(rest, "histogram", 9)) ||
                         (rn == 7 && !strncmp(rest, "summary", 7));
        } else {
          for (size_t t = 0; t < rn; t++) {
            if (rest[t] != '\\') continue;
            if (t + 1 >= rn || (rest[t + 1] != '\\' && rest[t + 1] != 'n'))
              TDPROM_FAIL("bad escape in HELP");
            t++; /* the escaped character */
          }
          f->has_help = 1;
        }
      }
    } else if (tdprom_sample(p, l, len, lineno, &last) != 0) {
      return -1;
    }
    l = nl + 1;
  }
  return 0;
}

/* The sample named `name` whose labels include every "k=v" of the
 * NULL-terminated list, or NULL; *count (may be NULL) gets how many
 * match. */
static __attribute__((unused)) const tdprom_sample_t *tdprom_find(
    const tdprom_t *p, const char *name, const char *const *kv, size_t *count) {
  const tdprom_sample_t *hit = NULL;
  size_t c = 0;
  for (size_t i = 0; i < p->n; i++) {
    const tdprom_sample_t *s = &p->s[i];
    if (strcmp(s->name, name)) continue;
    int all = 1;
    for (const char *const *q = kv; q && *q && all; q++) {
      const char *eq = strchr(*q, '=');
      size_t kn = (size_t)(eq - *q);
      int found = 0;
      for (size_t k = 0; k < s->nlabels; k++)
        if (strlen(s->lname[k]) == kn && !strncmp(s->lname[k], *q, kn) &&
            !strcmp(s->lvalue[k], eq + 1))
          found = 1;
      all = found;
    }
    if (all) {
      if (!hit) hit = s;
      c++;
    }
  }
  if (count) *count = c;
  return hit;
}

/* How many families have a TYPE line. */
static __attribute__((unused)) size_t tdprom_families(const tdprom_t *p) {
  size_t n = 0;
  for (size_t i = 0; i < p->nf; i++) n += p->f[i].has_type ? 1u : 0u;
  return n;
}

#undef TDPROM_FAIL
#endif
