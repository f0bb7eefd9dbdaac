/* nstime.c: run one command and report its wall time in nanoseconds.
 *
 *   nstime OUTFILE CMD [ARGS...]
 *
 * Spawns CMD (inheriting stdin/stdout/stderr), waits for it, and appends
 * the elapsed CLOCK_MONOTONIC time between just before posix_spawn() and
 * just after waitpid() to OUTFILE as one decimal line. The exit status is
 * the command's (128+N if it died of signal N, 127 if it could not be
 * started). Used by bench/check_vs_curl.sh so that both tools are timed by
 * the same code, without bash's own fork/exec bookkeeping in the figure. */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fputs("usage: nstime OUTFILE CMD [ARGS...]\n", stderr);
    return 127;
  }
  FILE *out = fopen(argv[1], "a");
  if (!out) {
    fprintf(stderr, "nstime: %s: %s\n", argv[1], strerror(errno));
    return 127;
  }
  pid_t pid;
  long long t0 = mono_ns();
  int rc = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
  if (rc != 0) {
    fprintf(stderr, "nstime: %s: %s\n", argv[2], strerror(rc));
    fclose(out);
    return 127;
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "nstime: waitpid: %s\n", strerror(errno));
      fclose(out);
      return 127;
    }
  }
  long long t1 = mono_ns();
  fprintf(out, "%lld\n", t1 - t0);
  if (fclose(out) != 0) return 127;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 127;
}
