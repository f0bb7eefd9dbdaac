/* tdrun.h: how every test program runs, skips and times itself: skipped
 * tests make the program exit 77 (ctest's SKIP_RETURN_CODE) instead of
 * passing, wall-clock upper bounds scale through one variable, and data
 * outside the tree is found through one variable. Header-only (static);
 * include it after <cmocka.h>. */
#ifndef TDRUN_H
#define TDRUN_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define TD_UNUSED_FN __attribute__((unused))

/* ---- skips that read as skips ------------------------------------------ */

static int td_skipped_;

static TD_UNUSED_FN __attribute__((format(printf, 1, 2))) void
td_skip_note_(const char *fmt, ...) {
  td_skipped_++;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "SKIPPED: %s: ", program_invocation_short_name);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* Skips the running test with a reason (printf format), recorded so that
 * the program exits 77 instead of 0. Use it instead of cmocka's skip(). */
#define TD_SKIP(...)                                                      \
  do {                                                                    \
    td_skip_note_(__VA_ARGS__);                                           \
    skip();                                                               \
  } while (0)

/* Exit code of a test program: 1 when a test failed, 77 when none failed
 * and one was skipped (TD_SKIP), else 0. A failure count is not returned
 * as is: 77 failures would read as a skip, 256 as a pass. */
static TD_UNUSED_FN int td_exit_code_(int failed) {
  if (failed != 0) return 1;
  return td_skipped_ ? 77 : 0;
}

/* Every test main() ends with this instead of cmocka_run_group_tests. */
#define td_run_tests(tests, setup, teardown)                              \
  td_exit_code_(cmocka_run_group_tests(tests, setup, teardown))

/* ---- time bounds under sanitizers ---------------------------------------- */

/* TD_TIME_SCALE (default 1): the factor by which every wall-clock upper
 * bound of a test, and every wait of a test helper, is stretched. Sanitizer
 * builds set it (tests/CMakeLists.txt); valgrind runs want ~50. Lower
 * bounds ("not before the deadline") never scale. A malformed value ends
 * the program rather than being ignored. */
static TD_UNUSED_FN double td_time_scale(void) {
  static double scale;
  if (scale > 0) return scale;
  const char *v = getenv("TD_TIME_SCALE");
  double s = 1.0;
  if (v && *v) {
    char *end = NULL;
    errno = 0;
    s = strtod(v, &end);
    if (errno || *end || !(s >= 1.0 && s <= 1000.0)) {
      fprintf(stderr, "TD_TIME_SCALE=%s: expected a number in 1..1000\n", v);
      exit(2);
    }
  }
  scale = s;
  return scale;
}

/* An upper bound of `ms` milliseconds, as the tests may assert it here. */
static TD_UNUSED_FN double td_upper_ms(double ms) {
  return ms * td_time_scale();
}

/* ---- data outside the tree ------------------------------------------------ */

/* Path of `rel` under the shared data directory: $TD_SHARED_DIR, by default
 * ../shared next to the source tree. Tests whose data is absent skip (77).
 * Four rotating buffers: a caller may hold up to four paths at once. */
static TD_UNUSED_FN const char *td_shared_path(const char *rel) {
  static char buf[4][512];
  static unsigned next;
  const char *dir = getenv("TD_SHARED_DIR");
  char *b = buf[next++ % 4];
  snprintf(b, sizeof(buf[0]), "%s/%s",
           dir && *dir ? dir : TD_SOURCE_DIR "/../shared", rel);
  return b;
}

#endif
