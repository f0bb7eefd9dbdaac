/* tdtest.h: shared helpers of the end-to-end tests: a generated PKI, local
 * servers, a local DNS responder, and checks run through the library or
 * the CLI with their JSON parsed by jansson. Header-only (static), so each
 * test program stays one file. */
#ifndef TDTEST_H
#define TDTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "internal.h"
#include "tdcerts.h"
#include "tddns.h"
#include "tdserver.h"
#include "tlsdiag/tlsdiag.h"

#define TT_UNUSED __attribute__((unused))

/* One PKI and a temporary directory with its files, per test program. */
static tdcerts_t *tt_pki;
static char tt_dir[64];
static char tt_root[128];

static TT_UNUSED int tt_setup(void **state) {
  (void)state;
  if (tdcerts_generate((int64_t)time(NULL), &tt_pki) != 0) return -1;
  snprintf(tt_dir, sizeof(tt_dir), "/tmp/tlsdiag-test-XXXXXX");
  if (!mkdtemp(tt_dir)) return -1;
  if (tdcerts_write_dir(tt_pki, tt_dir) != 0) return -1;
  snprintf(tt_root, sizeof(tt_root), "%s/root.pem", tt_dir);
  return 0;
}

static TT_UNUSED int tt_teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tt_dir);
  if (system(cmd) != 0) return -1;
  tdcerts_free(tt_pki);
  tt_pki = NULL;
  return 0;
}

static TT_UNUSED const tdcerts_case_t *tt_case(const char *name) {
  const tdcerts_case_t *c = tdcerts_case(tt_pki, name);
  assert_non_null(c);
  return c;
}

/* Starts a server of `mode` serving the chain of case `cname` (may be NULL
 * for modes without TLS). */
static TT_UNUSED tdserver_t *tt_server_cfg(tdserver_config_t *cfg) {
  tdserver_t *s = NULL;
  int rc = tdserver_start(cfg, &s);
  if (rc != 0) fail_msg("tdserver_start: %s", tdserver_strerror(rc));
  return s;
}

static TT_UNUSED void tt_server_config(tdserver_config_t *cfg, tdserver_mode_t mode,
                             const char *cname) {
  tdserver_config_init(cfg);
  cfg->mode = mode;
  if (cname) {
    const tdcerts_case_t *c = tt_case(cname);
    cfg->chain_pem = c->chain_pem;
    cfg->key_pem = c->key_pem;
    cfg->ocsp_der = c->ocsp_der;
    cfg->ocsp_len = c->ocsp_len;
  }
}

static TT_UNUSED tdserver_t *tt_server(tdserver_mode_t mode, const char *cname) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, mode, cname);
  return tt_server_cfg(&cfg);
}

/* Options for a check of a test server: our root trusted, the name pinned
 * to 127.0.0.1 so no DNS is needed. pin_buf must outlive the check. */
typedef struct {
  tlsdiag_options_t o;
  char pin[256];
  const char *pins[2];
} tt_opts_t;

static TT_UNUSED void tt_opts(tt_opts_t *t, const char *host, uint16_t port) {
  tlsdiag_options_init(&t->o);
  t->o.port = port;
  t->o.cafile = tt_root;
  t->o.connect_timeout_ms = 3000;
  t->o.max_time_ms = 10000;
  /* Judge dates one minute after the PKI was made: day counts are then
   * exact whatever second the test runs in. */
  t->o.now = tdcerts_now(tt_pki) + 60;
  if (host) {
    char *ace = td_idn_to_ascii(host, &(const char *){NULL});
    snprintf(t->pin, sizeof(t->pin), "%s:%u:127.0.0.1", ace ? ace : host,
             port);
    free(ace);
    t->pins[0] = t->pin;
    t->pins[1] = NULL;
    t->o.resolve = t->pins;
  }
}

static TT_UNUSED tlsdiag_result_t *tt_check(const char *host, const tlsdiag_options_t *o) {
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t e = tlsdiag_check(host, o, &r);
  if (e != TLSDIAG_OK) fail_msg("tlsdiag_check(%s): %s", host, tlsdiag_strerror(e));
  return r;
}

/* The result's JSON, parsed; fails the test on invalid JSON. */
static TT_UNUSED json_t *tt_json(const tlsdiag_result_t *r) {
  char *s = NULL;
  size_t n = 0;
  assert_int_equal(tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &s, &n),
                   TLSDIAG_OK);
  json_error_t err;
  json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &err);
  if (!j) fail_msg("invalid JSON (%s at %d): %s", err.text, err.position, s);
  tlsdiag_free(s);
  return j;
}

/* json_t at a dotted path ("phases.tls.status"), or NULL. */
static TT_UNUSED json_t *tt_jget(json_t *j, const char *path) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", path);
  char *save = NULL;
  for (char *k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save)) {
    if (json_is_array(j)) j = json_array_get(j, (size_t)atoi(k));
    else j = json_object_get(j, k);
  }
  return j;
}

static TT_UNUSED const char *tt_jstr(json_t *j, const char *path) {
  json_t *v = tt_jget(j, path);
  if (!json_is_string(v)) fail_msg("%s is not a string", path);
  return json_string_value(v);
}

/* Runs the CLI with arguments (NULL-terminated), captures stdout into a
 * malloc'd string, returns the exit status. */
static TT_UNUSED int tt_cli(char **out, const char *arg0, ...) {
  const char *argv[64];
  size_t n = 0;
  argv[n++] = TD_CLI_PATH;
  va_list ap;
  va_start(ap, arg0);
  for (const char *a = arg0; a && n < 63; a = va_arg(ap, const char *))
    argv[n++] = a;
  va_end(ap);
  argv[n] = NULL;
  int pfd[2];
  if (pipe(pfd) != 0) fail_msg("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 1);
    close(pfd[0]);
    close(pfd[1]);
    execv(TD_CLI_PATH, (char *const *)argv);
    _exit(127);
  }
  close(pfd[1]);
  td_buf_t b;
  td_buf_init(&b);
  char tmp[4096];
  ssize_t k;
  while ((k = read(pfd[0], tmp, sizeof(tmp))) > 0) td_buf_append(&b, tmp, (size_t)k);
  close(pfd[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  *out = td_buf_steal(&b, NULL);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static TT_UNUSED double tt_ms_since(int64_t t0_us) {
  return (double)(td_mono_us() - t0_us) / 1000.0;
}

#endif
