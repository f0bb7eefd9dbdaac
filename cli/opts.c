/* opts.c: the small option-value parsers the commands share. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int td_cli_long(const char *s, long lo, long hi, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int td_cli_int(const char *s, int lo, int hi, int *out) {
  long v;
  if (td_cli_long(s, lo, hi, &v)) return -1;
  *out = (int)v;
  return 0;
}

int td_cli_seconds_ms(const char *s, int *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  /* !(v > 0) also rejects NaN */
  if (errno || end == s || *end || !(v > 0) || v > 86400) return -1;
  *out = (int)(v * 1000.0 + 0.5);
  return 0;
}

int td_cli_tls_version(const char *s, tlsdiag_tls_version_t *v) {
  static const char *const names[] = {"1.0", "1.1", "1.2", "1.3"};
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0) {
      *v = (tlsdiag_tls_version_t)(TLSDIAG_TLS1_0 + i);
      return 0;
    }
  return -1;
}

int td_cli_cafile(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0 || access(path, R_OK) != 0)
    return td_cli_error("cannot read CA file '%s': %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode))
    return td_cli_error("CA file '%s' is a directory (use --capath DIR)", path);
  return 0;
}

int td_cli_capath(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0)
    return td_cli_error("cannot read CA directory '%s': %s", path,
                        strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return td_cli_error("--capath '%s' is not a directory (use --cacert FILE)",
                        path);
  if (access(path, R_OK | X_OK) != 0)
    return td_cli_error("cannot read CA directory '%s': %s", path,
                        strerror(errno));
  return 0;
}
