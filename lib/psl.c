/* psl.c: the Public Suffix List through libpsl. The list is read once per
 * process (pthread_once) and only read afterwards, which libpsl allows
 * from any number of threads. */
#include <libpsl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "psl.h"

static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static const psl_ctx_t *psl_list;   /* never freed: process lifetime */
static const char *psl_from = "none";
static int64_t psl_mtime;

static void psl_load(void) {
  /* psl_latest() picks the newer of the built-in list and the system file;
   * it returns the built-in one itself when that wins. */
  const char *dist = psl_dist_filename();
  psl_ctx_t *latest = psl_latest(NULL);
  struct stat st;
  if (latest) {
    psl_list = latest;
    if (dist && *dist && stat(dist, &st) == 0 &&
        (int64_t)st.st_mtime >= (int64_t)psl_builtin_file_time()) {
      psl_from = dist;
      psl_mtime = (int64_t)st.st_mtime;
    } else {
      psl_from = "libpsl built-in";
      psl_mtime = (int64_t)psl_builtin_file_time();
    }
    return;
  }
  psl_list = psl_builtin();
  if (psl_list) {
    psl_from = "libpsl built-in";
    psl_mtime = (int64_t)psl_builtin_file_time();
  }
}

static const psl_ctx_t *psl_get(void) {
  pthread_once(&psl_once, psl_load);
  return psl_list;
}

int td_psl_is_public_suffix(const char *name, td_psl_section_t section) {
  const psl_ctx_t *p = psl_get();
  if (!name || !*name) return 0;
  if (!p) return 1; /* no list at all: never let a wildcard through */
  int type = section == TD_PSL_ICANN ? PSL_TYPE_ICANN : PSL_TYPE_ANY;
  return psl_is_public_suffix2(p, name, type) ? 1 : 0;
}

const char *td_psl_registrable_domain(const char *host) {
  const psl_ctx_t *p = psl_get();
  if (!p || !host || !*host) return NULL;
  return psl_registrable_domain(p, host);
}

const char *td_psl_source(int64_t *mtime) {
  psl_get();
  if (mtime) *mtime = psl_mtime;
  return psl_from;
}
