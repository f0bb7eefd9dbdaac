/* fuzz_hsts_list.c: the HSTS preload list loader (tlsdiag_hsts_load_mem),
 * which reads a file downloaded from Chromium's source or given by the
 * user. Properties: on error nothing is returned and the reason is one
 * NUL-terminated line; on success the list answers lookups (of names the
 * input itself mentions, and of fixed names) without crashing, and an
 * entry it returns is a non-empty name. */
#include "fuzz.h"
#include "tlsdiag/tlsdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void lookup(const tlsdiag_hsts_t *h, const char *name) {
  const char *entry = NULL;
  int sub = -1;
  int p = tlsdiag_hsts_lookup(h, name, &entry, &sub);
  FZ_ASSERT(p == 0 || p == 1, "lookup returned %d", p);
  if (p) FZ_ASSERT(entry && *entry, "preloaded without an entry");
  else FZ_ASSERT(entry == NULL, "entry without preload");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tlsdiag_hsts_t *h = (tlsdiag_hsts_t *)1;
  char err[256];
  memset(err, 'x', sizeof(err));
  tlsdiag_err_t e = tlsdiag_hsts_load_mem(data, size, &h, err, sizeof(err));
  if (e != TLSDIAG_OK) {
    FZ_ASSERT(h == NULL, "a failed load returned a list");
    FZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL, "reason not terminated");
    FZ_ASSERT(!strchr(err, '\n'), "reason is more than one line");
    return 0;
  }
  FZ_ASSERT(h != NULL, "no list");
  (void)tlsdiag_hsts_count(h);
  lookup(h, "example.com");
  lookup(h, "a.b.c.d.example.dev.");
  lookup(h, "bücher.de");
  lookup(h, "");
  /* names from the input: each run of host-name bytes */
  const char *s = (const char *)data;
  for (size_t i = 0, k = 0; i < size && k < 64; k++) {
    while (i < size && !((s[i] >= 'a' && s[i] <= 'z') || s[i] == '.')) i++;
    size_t st = i;
    while (i < size && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '.' ||
                        s[i] == '-' || (s[i] >= '0' && s[i] <= '9')))
      i++;
    if (i > st && i - st < 300) {
      char name[300];
      memcpy(name, s + st, i - st);
      name[i - st] = '\0';
      lookup(h, name);
    }
  }
  tlsdiag_hsts_free(h);
  return 0;
}
