/* write.c: saves a generated set as files (for tlsdiag-gencerts and for
 * servers that want paths rather than memory). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "tdcerts.h"
#include "tdcerts_int.h"

/* Writes data to dir/name, replacing the file. Returns 0 or -errno. */
static int write_file(const char *dir, const char *name, const void *data,
                      size_t len, mode_t mode)
{
  char path[4096];
  const unsigned char *p = data;
  int fd, n, rc = 0;

  n = snprintf(path, sizeof(path), "%s/%s", dir, name);
  if (n < 0 || (size_t)n >= sizeof(path))
    return -ENAMETOOLONG;
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return -errno;
  /* open() does not change the mode of a file that already exists, and
   * a key must not stay readable by others from an earlier run. */
  if (fchmod(fd, mode) < 0)
    rc = -errno;
  while (rc == 0 && len > 0) {
    ssize_t w = write(fd, p, len);

    if (w < 0) {
      if (errno == EINTR)
        continue;
      rc = -errno;
      break;
    }
    p += w;
    len -= (size_t)w;
  }
  if (close(fd) < 0 && rc == 0)
    rc = -errno;
  return rc;
}

static int write_text(const char *dir, const char *name, const char *text,
                      mode_t mode)
{
  return write_file(dir, name, text, strlen(text), mode);
}

/* Writes CASE + suffix. */
static int write_case_file(const char *dir, const char *case_name,
                           const char *suffix, const void *data, size_t len,
                           mode_t mode)
{
  char name[256];
  int n = snprintf(name, sizeof(name), "%s%s", case_name, suffix);

  if (n < 0 || (size_t)n >= sizeof(name))
    return -ENAMETOOLONG;
  return write_file(dir, name, data, len, mode);
}

static int manifest(const tdcerts_t *set, char **out)
{
  tdc_der_t b;
  char line[512];
  unsigned char *p;
  size_t i, len;
  int n;

  *out = NULL;
  tdc_der_init(&b);
  n = snprintf(line, sizeof(line),
               "# tlsdiag test certificates, dates relative to now=%" PRId64
               "\n# case\thostname\tdescription\n",
               tdcerts_now(set));
  tdc_der_raw(&b, line, (size_t)n);
  for (i = 0; i < tdcerts_case_count(set); i++) {
    const tdcerts_case_t *c = tdcerts_case_at(set, i);

    n = snprintf(line, sizeof(line), "%s\t%s\t%s\n", c->name, c->hostname,
                 c->description);
    if (n < 0 || (size_t)n >= sizeof(line)) {
      tdc_der_free(&b);
      return -EOVERFLOW;
    }
    tdc_der_raw(&b, line, (size_t)n);
  }
  tdc_der_raw(&b, "", 1);
  if (tdc_der_steal(&b, &p, &len) < 0)
    return -ENOMEM;
  *out = (char *)p;
  return 0;
}

int tdcerts_write_dir(const tdcerts_t *set, const char *dir)
{
  char *text = NULL;
  size_t i;
  int rc;

  if (!set || !dir || !*dir)
    return -EINVAL;
  if (mkdir(dir, 0755) < 0 && errno != EEXIST)
    return -errno;

  rc = write_text(dir, "root.pem", tdcerts_root_pem(set), 0644);
  if (rc == 0)
    rc = write_text(dir, "intermediate.pem", tdcerts_intermediate_pem(set),
                    0644);
  if (rc == 0)
    rc = write_text(dir, "unknown-root.pem", tdcerts_unknown_root_pem(set),
                    0644);
  if (rc == 0)
    rc = write_text(dir, "unknown-intermediate.pem",
                    tdcerts_unknown_intermediate_pem(set), 0644);
  if (rc == 0)
    rc = write_text(dir, "intermediate.crl.pem", tdcerts_crl_pem(set), 0644);
  for (i = 0; rc == 0 && i < tdcerts_case_count(set); i++) {
    const tdcerts_case_t *c = tdcerts_case_at(set, i);

    rc = write_case_file(dir, c->name, ".chain.pem", c->chain_pem,
                         strlen(c->chain_pem), 0644);
    if (rc == 0)
      rc = write_case_file(dir, c->name, ".key.pem", c->key_pem,
                           strlen(c->key_pem), 0600);
    if (rc == 0 && c->ocsp_der)
      rc = write_case_file(dir, c->name, ".ocsp.der", c->ocsp_der,
                           c->ocsp_len, 0644);
  }
  if (rc == 0)
    rc = manifest(set, &text);
  if (rc == 0)
    rc = write_text(dir, "manifest.txt", text, 0644);
  free(text);
  return rc;
}
