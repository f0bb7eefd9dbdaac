/* fuzz_target_list.c: the target list of `tlsdiag sweep` (cli/targets.c,
 * td_targets_read) on any file content. Properties: every kept target has
 * a host, a port 1-65535, a key and a line number within the file; keys
 * are unique (duplicates are collapsed); kept + bad + duplicate lines never
 * exceed the lines read; each message is one "tlsdiag sweep: fuzz:LINE: ..."
 * line that a terminal can show safely (what a bad line quotes of itself
 * is escaped: the file may come from anywhere). */
#include "fuzz.h"
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0; /* fmemopen needs a non-empty buffer */
  FILE *in = fmemopen((void *)data, size, "r");
  char *msgs = NULL;
  size_t mlen = 0;
  FILE *err = open_memstream(&msgs, &mlen);
  if (!in || !err) abort();
  td_targets_t l;
  memset(&l, 0, sizeof(l));
  int rc = td_targets_read(in, "fuzz", &l, err);
  fclose(in);
  fclose(err);
  size_t lines = 0;
  for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
  if (data[size - 1] != '\n') lines++;
  if (rc == 0) {
    FZ_ASSERT(l.n + l.bad + l.duplicates <= lines,
              "%zu + %zu + %zu lines of %zu", l.n, l.bad, l.duplicates, lines);
    for (size_t i = 0; i < l.n; i++) {
      const td_target_t *t = &l.v[i];
      FZ_ASSERT(t->host && t->host[0] && t->key && t->key[0], "target %zu",
                i);
      FZ_ASSERT(t->port >= 1, "port 0");
      FZ_ASSERT(t->line >= 1 && t->line <= lines, "line %zu", t->line);
      for (size_t j = 0; j < i; j++)
        FZ_ASSERT(strcmp(l.v[j].key, t->key) != 0, "duplicate key %s",
                  t->key);
    }
  }
  /* the messages: one line each */
  size_t nmsg = 0;
  for (char *p = msgs; p && *p;) {
    char *nl = strchr(p, '\n');
    FZ_ASSERT(nl, "message without a newline");
    FZ_ASSERT(strncmp(p, "tlsdiag sweep: fuzz:", 20) == 0, "message '%.40s'",
              p);
    FZ_ASSERT(fz_terminal_unsafe_at(p, (size_t)(nl - p)) == (size_t)(nl - p),
              "message passes unsafe bytes through: %.*s", (int)(nl - p), p);
    nmsg++;
    p = nl + 1;
  }
  if (rc == 0) FZ_ASSERT(nmsg == l.bad, "%zu messages, %zu bad", nmsg, l.bad);
  td_targets_free(&l);
  free(msgs);
  return 0;
}
