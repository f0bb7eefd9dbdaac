/* output.c: files replaced atomically, so that a reader (node_exporter's
 * textfile collector, a dashboard, the HSTS cache) sees the old file or the
 * new one, whole, even across a crash: a temporary file in the same
 * directory, fsync, rename over the target, fsync of the directory. Used by
 * `hsts update` (a buffer) and by -o/--output (stdout pointed at the
 * temporary file while the command runs). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* Read by a signal handler: the temporary file to unlink on a hard exit. */
static char open_tmp[4096 + 32];
static volatile int have_tmp;

const char *td_cli_output_tmp(void) { return have_tmp ? open_tmp : NULL; }

/* Where path really is (a symbolic link is followed, so a file kept
 * elsewhere stays linked), its mode for the new file, and a temporary file
 * beside it, opened: the fd, or -1 with errno and *what. */
static int temp_beside(const char *path, char *real, size_t nreal, char *tmp,
                       size_t ntmp, char *dir, size_t ndir, const char **what) {
  struct stat st;
  mode_t mode;
  int have_old = lstat(path, &st) == 0;
  *what = "resolve the link";
  if (have_old && S_ISLNK(st.st_mode)) {
    if (!realpath(path, real)) return -1;
    have_old = stat(real, &st) == 0;
  } else if (snprintf(real, nreal, "%s", path) >= (int)nreal) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if (have_old && !S_ISREG(st.st_mode)) {
    *what = "replace a file that is not a regular file";
    errno = EINVAL;
    return -1;
  }
  if (have_old) {
    mode = st.st_mode & 07777;
  } else {
    mode_t um = umask(0);
    umask(um);
    mode = 0666 & ~um;
  }
  char copy[PATH_MAX];
  snprintf(copy, sizeof(copy), "%s", real);
  snprintf(dir, ndir, "%s", dirname(copy)); /* dirname may return "." */
  const char *base = strrchr(real, '/');
  base = base ? base + 1 : real;
  if (snprintf(tmp, ntmp, "%s/.%.64s.tmp-XXXXXX", dir, base) >= (int)ntmp) {
    errno = ENAMETOOLONG;
    return -1;
  }
  *what = "create a temporary file";
  int fd = mkstemp(tmp);
  if (fd < 0) return -1;
  if (fchmod(fd, mode) != 0) {
    int e = errno;
    close(fd);
    unlink(tmp);
    errno = e;
    return -1;
  }
  return fd;
}

/* fsync(fd), close it, rename tmp over real, fsync dir. On failure the
 * temporary file is removed and real left as it was. */
static int commit(int fd, const char *tmp, const char *real, const char *dir,
                  const char **what) {
  int e;
  *what = "fsync";
  if (fsync(fd) != 0) goto fail;
  *what = "close";
  int rc = close(fd);
  fd = -1;
  if (rc != 0) goto fail;
  *what = "rename";
  if (rename(tmp, real) != 0) goto fail;
  /* The rename itself must reach the disk. A failure here leaves the new
   * file in place, so it is only reported. */
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    if (fsync(dfd) != 0 && errno != EINVAL)
      fprintf(stderr, "tlsdiag: warning: fsync of %s: %s\n", dir,
              strerror(errno));
    close(dfd);
  }
  return 0;
fail:
  e = errno;
  if (fd >= 0) close(fd);
  unlink(tmp);
  errno = e;
  return -1;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

int td_cli_replace_file(const char *path, const unsigned char *data,
                        size_t len, const char **what) {
  char real[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX + 96];
  int fd = temp_beside(path, real, sizeof(real), tmp, sizeof(tmp), dir,
                       sizeof(dir), what);
  if (fd < 0) return -1;
  *what = "write";
  if (write_all(fd, data, len) != 0) {
    int e = errno;
    close(fd);
    unlink(tmp);
    errno = e;
    return -1;
  }
  return commit(fd, tmp, real, dir, what);
}

/* ---- -o/--output -------------------------------------------------------- */

static char out_real[PATH_MAX], out_dir[PATH_MAX];

int td_cli_output_open(td_cli_output_t *w, const char *path) {
  const char *what = "";
  w->saved_stdout = -1;
  snprintf(w->path, sizeof(w->path), "%s", path);
  int fd = temp_beside(path, out_real, sizeof(out_real), w->tmp,
                       sizeof(w->tmp), out_dir, sizeof(out_dir), &what);
  if (fd < 0)
    return td_cli_error("cannot write %s (%s: %s)", path, what,
                        strerror(errno));
  fflush(stdout);
  w->saved_stdout = dup(STDOUT_FILENO);
  if (w->saved_stdout < 0 || dup2(fd, STDOUT_FILENO) < 0) {
    int e = errno;
    if (w->saved_stdout >= 0) close(w->saved_stdout);
    w->saved_stdout = -1;
    close(fd);
    unlink(w->tmp);
    return td_cli_error("cannot write %s: %s", path, strerror(e));
  }
  close(fd);
  memcpy(open_tmp, w->tmp, sizeof(open_tmp));
  have_tmp = 1;
  return 0;
}

int td_cli_output_close(td_cli_output_t *w, int keep) {
  if (w->saved_stdout < 0) return 0;
  int ok = fflush(stdout) == 0;
  int e = errno;
  /* stdout's descriptor goes back; the file keeps its own copy. */
  int fd = dup(STDOUT_FILENO);
  dup2(w->saved_stdout, STDOUT_FILENO);
  close(w->saved_stdout);
  w->saved_stdout = -1;
  have_tmp = 0;
  if (!keep || !ok || fd < 0) {
    if (fd >= 0) close(fd);
    unlink(w->tmp);
    if (keep)
      return td_cli_error("cannot write %s (write: %s); it was not replaced",
                          w->path, strerror(ok ? errno : e));
    return 0;
  }
  const char *what = "";
  if (commit(fd, w->tmp, out_real, out_dir, &what) != 0)
    return td_cli_error("cannot write %s (%s: %s); it was not replaced",
                        w->path, what, strerror(errno));
  return 0;
}

void td_cli_json_string(FILE *f, const char *v) {
  char *q = NULL;
  size_t n = 0;
  if (v && tlsdiag_json_quote(v, strlen(v), &q, &n) == TLSDIAG_OK)
    fwrite(q, 1, n, f);
  else
    fputs("null", f);
  tlsdiag_free(q);
}
