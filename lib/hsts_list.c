/* hsts_list.c: the HSTS preload list: a hash index of the names
 * hsts_list_json.c reads from Chromium's list, looked up the way Chromium's
 * DecodeHSTSPreload does, and the loading from memory and files. The input
 * size is limited. Nothing is kept from the file but the index: one string
 * arena, one entry array and one open-addressing table.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hsts.h"
#include "hsts_hash.h"

#define MAX_INPUT ((size_t)64 << 20) /* upstream is ~15 MB */
#define MAX_NAME TD_HSTS_MAX_NAME

typedef td_hsts_ent_t entry_t;

struct tlsdiag_hsts {
  const char *names;     /* lowercase names, back to back */
  const entry_t *ent;
  size_t n;              /* entries indexed (all modes) */
  size_t nforce;         /* of which force-https */
  const uint64_t *slot;  /* hash << 32 | (index + 1); 0 = empty */
  size_t mask;           /* slots - 1 */
  /* where it came from (hsts.list in reports) */
  int builtin;           /* the arrays are the embedded index: never free */
  tlsdiag_hsts_source_t source;
  char *path;            /* the file loaded, or NULL */
  int64_t date;          /* Unix seconds; 0 unknown */
};

#define FNV_BASIS TD_FNV_BASIS
#define FNV_PRIME TD_FNV_PRIME
#define mix td_hsts_mix
#define name_hash td_hsts_hash

static unsigned char lc(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
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

/* ---- building the index ------------------------------------------------- */

/* The index while the reader fills it. */
typedef struct {
  char *names;
  size_t names_len, names_cap;
  entry_t *ent;
  size_t nent, ent_cap;
  uint64_t *slot;
  size_t nslot;
  size_t nforce;
} build_t;

static int grow_slots(build_t *r) {
  size_t nn = r->nslot ? r->nslot * 2 : 1024;
  uint64_t *s = calloc(nn, sizeof(*s));
  if (!s) return -1;
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

/* td_hsts_add_fn: one entry into the index (name lowercase, checked). */
static int add_entry(void *ctx, const char *name, size_t len,
                     unsigned flags) {
  build_t *r = ctx;
  if (r->nent >= UINT32_MAX - 1 || r->names_len + len + 1 > UINT32_MAX)
    return TD_HSTS_ADD_FULL;
  /* keep the load factor at most 1/2 */
  if ((r->nent + 1) * 2 > r->nslot && grow_slots(r)) return TD_HSTS_ADD_NOMEM;
  uint32_t h = name_hash(name, len);
  tlsdiag_hsts_t view;
  memset(&view, 0, sizeof(view));
  view.names = r->names;
  view.ent = r->ent;
  view.n = r->nent;
  view.slot = r->slot;
  view.mask = r->nslot - 1;
  if (find_slot(&view, name, len, h) >= 0) return TD_HSTS_ADD_DUP;
  if (r->nent == r->ent_cap) {
    size_t nc = r->ent_cap ? r->ent_cap * 2 : 1024;
    entry_t *e = realloc(r->ent, nc * sizeof(*e));
    if (!e) return TD_HSTS_ADD_NOMEM;
    r->ent = e;
    r->ent_cap = nc;
  }
  if (r->names_len + len + 1 > r->names_cap) {
    size_t nc = r->names_cap ? r->names_cap * 2 : 16384;
    while (nc < r->names_len + len + 1) nc *= 2;
    char *s = realloc(r->names, nc);
    if (!s) return TD_HSTS_ADD_NOMEM;
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
  if (flags & TD_HSTS_F_FORCE_HTTPS) r->nforce++;
  return TD_HSTS_ADD_OK;
}

/* ---- loading -------------------------------------------------------------- */

void td_hsts_errf(char *buf, size_t len, const char *fmt, ...) {
  if (!buf || !len) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, len, fmt, ap);
  va_end(ap);
}

static tlsdiag_err_t parse(const unsigned char *data, size_t len,
                           tlsdiag_hsts_t **out, const char **why,
                           char *errbuf, size_t errlen) {
  build_t r;
  memset(&r, 0, sizeof(r));
  tlsdiag_hsts_t *h = NULL;
  tlsdiag_err_t rc =
      td_hsts_list_read(data, len, add_entry, &r, why, errbuf, errlen);
  if (rc != TLSDIAG_OK) goto out;
  h = calloc(1, sizeof(*h));
  if (!h) goto nomem;
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
    goto nomem;
  }
  h->names = r.names;
  h->ent = r.ent;
  h->n = r.nent;
  h->nforce = r.nforce;
  h->slot = r.slot;
  h->mask = r.nslot - 1;
  h->source = TLSDIAG_HSTS_SOURCE_MEMORY;
  r.names = NULL;
  r.ent = NULL;
  r.slot = NULL;
  if (errbuf && errlen) errbuf[0] = 0;
  goto out;
nomem:
  rc = TLSDIAG_E_NOMEM;
  td_hsts_errf(errbuf, errlen, "out of memory");
  if (why) *why = "out of memory";
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
    td_hsts_errf(errbuf, errlen, "invalid argument");
    return TLSDIAG_E_INVAL;
  }
  if (len > MAX_INPUT) {
    td_hsts_errf(errbuf, errlen, "larger than %zu MiB", MAX_INPUT >> 20);
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
  int64_t mtime; /* the file's, as the list's date */
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
    td_hsts_errf(errbuf, errlen, "cannot open: %s", strerror_r(e, eb, sizeof(eb)));
    goto out;
  }
  if (S_ISDIR(st.st_mode)) {
    *why = "is a directory";
    td_hsts_errf(errbuf, errlen, "is a directory, not a file");
    goto out;
  }
  f->mtime = (int64_t)st.st_mtime;
  if (S_ISREG(st.st_mode)) {
    if ((uintmax_t)st.st_size > MAX_INPUT) {
      *why = "file too large";
      td_hsts_errf(errbuf, errlen, "larger than %zu MiB", MAX_INPUT >> 20);
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
      td_hsts_errf(errbuf, errlen, "out of memory");
      goto out;
    }
    f->p = m;
    f->mapped = cap;
    if (read_all(fd, f->p, cap, &f->n) != 0) {
      int e = errno;
      *why = "cannot read the file";
      td_hsts_errf(errbuf, errlen, "cannot read: %s", strerror_r(e, eb, sizeof(eb)));
      file_free(f);
      goto out;
    }
    if (f->n > size) {
      *why = "the file changed while being read";
      td_hsts_errf(errbuf, errlen, "the file changed while being read");
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
          td_hsts_errf(errbuf, errlen, "larger than %zu MiB", MAX_INPUT >> 20);
          file_free(f);
          goto out;
        }
        size_t nc = cap ? cap * 2 : 65536;
        unsigned char *p = realloc(f->p, nc);
        if (!p) {
          rc = TLSDIAG_E_NOMEM;
          *why = "out of memory";
          td_hsts_errf(errbuf, errlen, "out of memory");
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
        td_hsts_errf(errbuf, errlen, "cannot read: %s",
                strerror_r(e, eb, sizeof(eb)));
        file_free(f);
        goto out;
      }
      if (k == 0) break;
      f->n += (size_t)k;
    }
    if (f->n > MAX_INPUT) {
      *why = "file too large";
      td_hsts_errf(errbuf, errlen, "larger than %zu MiB", MAX_INPUT >> 20);
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
    td_hsts_errf(errbuf, errlen, "invalid argument");
    return TLSDIAG_E_INVAL;
  }
  file_t f;
  tlsdiag_err_t rc = file_read(path, &f, &w, errbuf, errlen);
  if (rc == TLSDIAG_OK) {
    rc = parse(f.p ? f.p : (const unsigned char *)"", f.n, out, &w, errbuf,
               errlen);
    file_free(&f);
  }
  if (rc == TLSDIAG_OK) {
    (*out)->source = TLSDIAG_HSTS_SOURCE_FILE;
    (*out)->date = f.mtime;
    (*out)->path = td_strdup(path);
    if (!(*out)->path) {
      tlsdiag_hsts_free(*out);
      *out = NULL;
      w = "out of memory";
      td_hsts_errf(errbuf, errlen, "out of memory");
      rc = TLSDIAG_E_NOMEM;
    }
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
  if (!h || h->builtin) return;
  free((void *)h->names);
  free((void *)h->ent);
  free((void *)h->slot);
  free(h->path);
  free(h);
}

/* ---- the built-in list ---------------------------------------------------
 * The build embeds an index made from the shipped snapshot (hsts_hash.h,
 * hsts_builtin.c); here its arrays are pointed at where they lie, once per
 * process. Nothing is parsed, copied or allocated: the pages are mapped
 * with the library and read on demand. */

static tlsdiag_hsts_t builtin_list;
static const td_hsts_blob_t *builtin_hdr;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_init(void) {
  size_t len = 0;
  const unsigned char *p = td_hsts_builtin_blob(&len);
  const td_hsts_blob_t *hd = (const td_hsts_blob_t *)(const void *)p;
  if (!p || len < sizeof(*hd) ||
      memcmp(hd->magic, TD_HSTS_BLOB_MAGIC, sizeof(TD_HSTS_BLOB_MAGIC)) ||
      hd->nslot == 0 || (hd->nslot & (hd->nslot - 1)) ||
      len != sizeof(*hd) + (size_t)hd->n * sizeof(entry_t) +
                 (size_t)hd->nslot * sizeof(uint64_t) + hd->names_len)
    return; /* not what this library was built with: no built-in list */
  const unsigned char *q = p + sizeof(*hd);
  builtin_list.ent = (const entry_t *)(const void *)q;
  q += (size_t)hd->n * sizeof(entry_t);
  builtin_list.slot = (const uint64_t *)(const void *)q;
  q += (size_t)hd->nslot * sizeof(uint64_t);
  builtin_list.names = (const char *)q;
  builtin_list.n = hd->n;
  builtin_list.nforce = hd->nforce;
  builtin_list.mask = hd->nslot - 1;
  builtin_list.builtin = 1;
  builtin_list.source = TLSDIAG_HSTS_SOURCE_BUILTIN;
  builtin_list.date = hd->date;
  builtin_hdr = hd;
}

const tlsdiag_hsts_t *tlsdiag_hsts_builtin(void) {
  pthread_once(&builtin_once, builtin_init);
  return builtin_hdr ? &builtin_list : NULL;
}

const char *td_hsts_builtin_source(void) {
  return tlsdiag_hsts_builtin() ? builtin_hdr->source : NULL;
}

tlsdiag_hsts_source_t tlsdiag_hsts_source(const tlsdiag_hsts_t *h) {
  return h ? h->source : TLSDIAG_HSTS_SOURCE_MEMORY;
}

const char *tlsdiag_hsts_source_name(tlsdiag_hsts_source_t s) {
  switch (s) {
  case TLSDIAG_HSTS_SOURCE_MEMORY: return "memory";
  case TLSDIAG_HSTS_SOURCE_FILE: return "file";
  case TLSDIAG_HSTS_SOURCE_BUILTIN: return "builtin";
  case TLSDIAG_HSTS_SOURCE_CACHE: return "cache";
  case TLSDIAG_HSTS_SOURCE_ENV: return "env";
  }
  return "unknown";
}

const char *tlsdiag_hsts_path(const tlsdiag_hsts_t *h) {
  return h ? h->path : NULL;
}

int64_t tlsdiag_hsts_date(const tlsdiag_hsts_t *h) { return h ? h->date : 0; }

tlsdiag_err_t tlsdiag_hsts_set_source(tlsdiag_hsts_t *h,
                                      tlsdiag_hsts_source_t s) {
  if (!h || h->builtin || s == TLSDIAG_HSTS_SOURCE_BUILTIN ||
      (unsigned)s > TLSDIAG_HSTS_SOURCE_ENV)
    return TLSDIAG_E_INVAL;
  h->source = s;
  return TLSDIAG_OK;
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
  if (include_subdomains) *include_subdomains = (e->flags & TD_HSTS_F_SUBDOMAINS) != 0;
  if (exact) *exact = best_at == 0;
  if (!(e->flags & TD_HSTS_F_FORCE_HTTPS)) return 0;
  return best_at == 0 || (e->flags & TD_HSTS_F_SUBDOMAINS);
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
