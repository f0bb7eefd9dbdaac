/* gencerts.c: tlsdiag-gencerts, writes the test certificates to a
 * directory (see testcerts/README.md). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "tdcerts.h"

static void usage(FILE *f)
{
  fputs("usage: tlsdiag-gencerts DIR [--now UNIX_SECONDS]\n"
        "Writes the tlsdiag test PKI into DIR (created if missing): root.pem,\n"
        "intermediate.pem, unknown-root.pem, unknown-intermediate.pem, and\n"
        "per case CASE.chain.pem, CASE.key.pem, CASE.ocsp.der (if any), plus\n"
        "manifest.txt. Dates are relative to --now (default: the current\n"
        "time), so each run makes a fresh set.\n",
        f);
}

static int parse_now(const char *s, int64_t *out)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll(s, &end, 10);
  if (errno || end == s || *end)
    return -1;
  *out = (int64_t)v;
  return 0;
}

static double elapsed_ms(const struct timespec *a)
{
  struct timespec b;

  clock_gettime(CLOCK_MONOTONIC, &b);
  return (double)(b.tv_sec - a->tv_sec) * 1e3 +
         (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
  const char *dir = NULL;
  int64_t now = (int64_t)time(NULL);
  tdcerts_t *set = NULL;
  struct timespec start;
  double gen_ms;
  int i, rc;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i];

    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (strcmp(a, "--now") == 0 || strncmp(a, "--now=", 6) == 0) {
      const char *v = a[5] == '=' ? a + 6 : (i + 1 < argc ? argv[++i] : NULL);

      if (!v || parse_now(v, &now) < 0) {
        fprintf(stderr, "tlsdiag-gencerts: --now needs Unix seconds\n");
        return 2;
      }
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "tlsdiag-gencerts: unknown option %s\n", a);
      usage(stderr);
      return 2;
    } else if (!dir) {
      dir = a;
    } else {
      fprintf(stderr, "tlsdiag-gencerts: more than one DIR given\n");
      return 2;
    }
  }
  if (!dir) {
    usage(stderr);
    return 2;
  }

  clock_gettime(CLOCK_MONOTONIC, &start);
  rc = tdcerts_generate(now, &set);
  gen_ms = elapsed_ms(&start);
  if (rc < 0) {
    fprintf(stderr, "tlsdiag-gencerts: generating: %s%s\n",
            gnutls_strerror(rc),
            rc == GNUTLS_E_INVALID_REQUEST
                ? " (--now must lie between 1980 and 9989)"
                : "");
    return 1;
  }
  rc = tdcerts_write_dir(set, dir);
  if (rc < 0) {
    fprintf(stderr, "tlsdiag-gencerts: writing %s: %s\n", dir, strerror(-rc));
    tdcerts_free(set);
    return 1;
  }
  printf("wrote %zu cases to %s (now=%" PRId64 ", generated in %.0f ms)\n",
         tdcerts_case_count(set), dir, now, gen_ms);
  tdcerts_free(set);
  return 0;
}
