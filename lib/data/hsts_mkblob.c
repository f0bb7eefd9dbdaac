/* hsts_mkblob.c: build-time tool. Reads the shipped snapshot
 * (hsts_preload.txt.xz, decompressed, on stdin) and writes the built-in
 * preload index (td_hsts_blob_t, hsts_hash.h) that lib/hsts_builtin.S
 * embeds, so the library does no parsing at run time. Checks what the JSON
 * reader checks: host names, no name twice.
 * usage: xz -dc hsts_preload.txt.xz | hsts_mkblob OUT.bin */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hsts_hash.h"

static int die(const char *what, unsigned long line) {
  fprintf(stderr, "hsts_mkblob: line %lu: %s\n", line, what);
  return 1;
}

static int host_name(const char *s, size_t n) {
  size_t label = 0;
  if (n == 0 || n > 253) return 0;
  for (size_t k = 0; k < n; k++) {
    char c = s[k];
    if (c == '.') {
      if (label == 0) return 0;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_') {
      if (++label > 63) return 0;
    } else {
      return 0;
    }
  }
  return label > 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long days_from_civil(long y, unsigned m, unsigned d) {
  y -= m <= 2;
  long era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (long)doe - 719468;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: xz -dc hsts_preload.txt.xz | hsts_mkblob OUT.bin\n", stderr);
    return 2;
  }
  static td_hsts_blob_t hd;
  char line[1024];
  unsigned long ln = 0;
  size_t ncap = 1 << 17, nlen = 0, ecap = 1 << 17, n = 0;
  char *names = malloc(ncap);
  td_hsts_ent_t *ent = malloc(ecap * sizeof(*ent));
  if (!names || !ent) return die("out of memory", 0);
  while (fgets(line, sizeof(line), stdin)) {
    ln++;
    size_t len = strlen(line);
    if (len == 0 || line[len - 1] != '\n') return die("line too long", ln);
    line[--len] = 0;
    if (ln == 1) {
      char *d = strchr(line, '\t'), *s = d ? strchr(d + 1, '\t') : NULL;
      unsigned y, m, dd;
      if (!d || !s || strncmp(line, "#tlsdiag-hsts-snapshot\t", 23) ||
          s - d - 1 != 10 || sscanf(d + 1, "%4u-%2u-%2u", &y, &m, &dd) != 3 ||
          m < 1 || m > 12 || dd < 1 || dd > 31 ||
          strlen(s + 1) >= sizeof(hd.source))
        return die("bad header line", ln);
      memcpy(hd.date_str, d + 1, 10);
      snprintf(hd.source, sizeof(hd.source), "%s", s + 1);
      hd.date = (int64_t)days_from_civil((long)y, m, dd) * 86400;
      continue;
    }
    char *tab = strchr(line, '\t');
    if (!tab || tab[1] < '0' || tab[1] > '3' || tab[2])
      return die("expected NAME<TAB>FLAGS (0-3)", ln);
    size_t l = (size_t)(tab - line);
    if (!host_name(line, l)) return die("not a host name", ln);
    *tab = 0;
    if (n && strcmp(names + ent[n - 1].off, line) >= 0)
      return die("names not sorted, or a name listed twice", ln);
    if (n == ecap) {
      td_hsts_ent_t *e = realloc(ent, 2 * ecap * sizeof(*ent));
      if (!e) return die("out of memory", ln);
      ent = e;
      ecap *= 2;
    }
    if (nlen + l + 1 > ncap) { /* l < 254, ncap >= 128 Ki: doubling is enough */
      char *m = realloc(names, 2 * ncap);
      if (!m) return die("out of memory", ln);
      names = m;
      ncap *= 2;
    }
    if (n >= UINT32_MAX / 4) return die("too many entries", ln);
    memcpy(names + nlen, line, l + 1);
    ent[n].off = (uint32_t)nlen;
    ent[n].len = (uint8_t)l;
    ent[n].flags = (uint8_t)(tab[1] - '0');
    ent[n].pad[0] = ent[n].pad[1] = 0;
    if (ent[n].flags & 1) hd.nforce++;
    nlen += l + 1;
    n++;
  }
  if (ln < 2 || ferror(stdin)) return die("no entries, or a read error", ln);
  size_t nslot = 1024;
  while (nslot < 2 * n) nslot *= 2;
  uint64_t *slot = calloc(nslot, sizeof(*slot));
  if (!slot) return die("out of memory", 0);
  for (size_t i = 0; i < n; i++) {
    uint32_t h = td_hsts_hash(names + ent[i].off, ent[i].len);
    size_t j = h & (nslot - 1);
    while (slot[j]) j = (j + 1) & (nslot - 1);
    slot[j] = (uint64_t)h << 32 | (uint64_t)(i + 1);
  }
  memcpy(hd.magic, TD_HSTS_BLOB_MAGIC, sizeof(TD_HSTS_BLOB_MAGIC));
  hd.n = (uint32_t)n;
  hd.nslot = (uint32_t)nslot;
  hd.names_len = (uint32_t)nlen;
  FILE *o = fopen(argv[1], "wb");
  if (!o || fwrite(&hd, sizeof(hd), 1, o) != 1 ||
      fwrite(ent, sizeof(*ent), n, o) != n ||
      fwrite(slot, sizeof(*slot), nslot, o) != nslot ||
      fwrite(names, 1, nlen, o) != nlen || fclose(o) != 0) {
    perror(argv[1]);
    remove(argv[1]);
    return 1;
  }
  free(slot);
  free(ent);
  free(names);
  return 0;
}
