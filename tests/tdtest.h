/* tdtest.h: shared helpers of the end-to-end tests: a generated PKI, local
 * servers, a local DNS responder, and checks run through the library or
 * the CLI with their JSON parsed by jansson. Header-only (static), so each
 * test program stays one file. */
#ifndef TDTEST_H
#define TDTEST_H

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "tdrun.h"

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

/* A report's (the JSON of the API or of `check --json`) finding with this
 * code, or NULL. */
static TT_UNUSED json_t *tt_jfinding(json_t *j, tlsdiag_cause_t code) {
  json_t *fs = tt_jget(j, "findings"), *f;
  size_t i;
  json_array_foreach(fs, i, f) {
    if (!strcmp(tt_jstr(f, "code"), tlsdiag_cause_name(code))) return f;
  }
  return NULL;
}

/* The same, failing the test when there is none. */
static TT_UNUSED json_t *tt_jfinding_or_fail(json_t *j, tlsdiag_cause_t code) {
  json_t *f = tt_jfinding(j, code);
  if (!f) fail_msg("the report has no finding %s", tlsdiag_cause_name(code));
  return f;
}

/* Its evidence string at key; the test fails when either is missing. */
static TT_UNUSED const char *tt_jev(json_t *j, tlsdiag_cause_t code,
                                    const char *key) {
  json_t *ev = json_object_get(tt_jfinding_or_fail(j, code), "evidence");
  json_t *v = json_object_get(ev, key);
  if (!json_is_string(v))
    fail_msg("%s has no evidence %s", tlsdiag_cause_name(code), key);
  return json_string_value(v);
}

/* Every wait for a child process ends: a CLI run taking longer than this
 * (times TD_TIME_SCALE) is killed and fails the test. */
#define TT_RUN_TIMEOUT_MS 60000

/* Kills a child and reaps it (SIGKILL cannot be caught: waitpid returns). */
static TT_UNUSED void tt_kill_child(pid_t pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

/* Ends the server child *pid if there is one (> 0) and sets it to -1:
 * safe to call twice, and from a teardown after a failed start. */
static TT_UNUSED void tt_stop_child(pid_t *pid) {
  if (*pid > 0) tt_kill_child(*pid);
  *pid = -1;
}

/* Waits for child pid to exit until deadline_us (td_mono_us clock), with
 * WNOHANG and short naps, never blocking past it. 1 (and *st) when it
 * exited, 0 when the deadline passed (the child is then still running:
 * tt_kill_child it). */
static TT_UNUSED int tt_wait_child(pid_t pid, int64_t deadline_us, int *st) {
  for (;;) {
    pid_t w = waitpid(pid, st, WNOHANG);
    if (w == pid) return 1;
    if (w < 0 && errno != EINTR) fail_msg("waitpid: %s", strerror(errno));
    if (td_mono_us() >= deadline_us) return 0;
    poll(NULL, 0, 5);
  }
}

/* The environment for a CLI child, made before the fork: this process's,
 * plus TLSDIAG_HSTS_BUILTIN=off unless the test set it. Results must not
 * depend on the shipped preload snapshot (its age makes hsts_list_stale
 * appear one day): a test that wants it sets TLSDIAG_HSTS_BUILTIN=on
 * itself (test_hsts_builtin). The array is malloc'd, its strings are
 * environ's (free the array only). */
static TT_UNUSED char **tt_child_env(void) {
  extern char **environ;
  static char builtin_off[] = "TLSDIAG_HSTS_BUILTIN=off";
  size_t n = 0;
  while (environ[n]) n++;
  char **envp = calloc(n + 2, sizeof(*envp));
  if (!envp) fail_msg("out of memory");
  memcpy(envp, environ, n * sizeof(*envp));
  if (!getenv("TLSDIAG_HSTS_BUILTIN")) envp[n] = builtin_off;
  return envp;
}

/* Runs argv (argv[0] the program's path, NULL-terminated) with stdin from
 * in_path (NULL: /dev/null), stdout into *out and stderr into *err (each
 * NUL-terminated, malloc'd; err may be NULL to discard stderr). Bounded:
 * output is read with poll() and the exit waited for with WNOHANG, both
 * against one deadline of timeout_ms (scaled); on expiry the child is
 * killed and the test fails, so a hung child cannot hang CI. Returns the
 * exit status, or -1 when the child died of a signal. */
static TT_UNUSED int tt_run(const char *const *argv, const char *in_path,
                            int timeout_ms, char **out, char **err) {
  int po[2], pe[2];
  if (pipe2(po, O_CLOEXEC) != 0 || pipe2(pe, O_CLOEXEC) != 0) fail_msg("pipe");
  char **envp = tt_child_env();
  pid_t pid = fork();
  if (pid < 0) fail_msg("fork");
  if (pid == 0) {
    /* Only async-signal-safe calls here: the test's server threads may
     * have held the allocator's lock at the fork (a child that called
     * setenv hung in malloc under ASan until the 180 s bound). */
    int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
      _exit(126);
    execve(argv[0], (char *const *)argv, envp);
    _exit(127);
  }
  free(envp);
  close(po[1]);
  close(pe[1]);
  int64_t deadline =
      td_mono_us() + (int64_t)(td_upper_ms(timeout_ms) * 1000.0);
  td_buf_t b[2];
  td_buf_init(&b[0]);
  td_buf_init(&b[1]);
  struct pollfd p[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
  int open_fds = 2, st = 0, done = 0;
  while (open_fds > 0) {
    int64_t left_ms = (deadline - td_mono_us()) / 1000;
    if (left_ms <= 0) break;
    int rc = poll(p, 2, left_ms > 1000 ? 1000 : (int)left_ms);
    if (rc < 0 && errno != EINTR) fail_msg("poll: %s", strerror(errno));
    for (int i = 0; rc > 0 && i < 2; i++) {
      if (p[i].fd < 0 || !p[i].revents) continue;
      char tmp[8192];
      ssize_t k = read(p[i].fd, tmp, sizeof(tmp));
      if (k > 0) {
        td_buf_append(&b[i], tmp, (size_t)k);
      } else if (k == 0 || errno != EINTR) {
        close(p[i].fd);
        p[i].fd = -1; /* poll() ignores negative fds */
        open_fds--;
      }
    }
  }
  if (open_fds == 0) done = tt_wait_child(pid, deadline, &st);
  for (int i = 0; i < 2; i++)
    if (p[i].fd >= 0) close(p[i].fd);
  if (!done) {
    tt_kill_child(pid);
    td_buf_free(&b[0]);
    td_buf_free(&b[1]);
    fail_msg("%s did not finish within %.0f ms: killed", argv[0],
             td_upper_ms(timeout_ms));
  }
  *out = td_buf_steal(&b[0], NULL);
  if (err) *err = td_buf_steal(&b[1], NULL);
  else td_buf_free(&b[1]);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs the CLI with arguments (NULL-terminated), captures stdout into a
 * malloc'd string, returns the exit status (bounded as tt_run). */
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
  return tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, out, NULL);
}

/* A CLI run: exit status, stdout and stderr (malloc'd; tt_cli_run_free). */
typedef struct {
  int rc;
  char *out, *err;
} tt_cli_run_t;

/* The CLI's argv: the program, then args (NULL-terminated), cut at
 * TT_CLI_MAX_ARGS - 1 entries; NULL-terminated. */
#define TT_CLI_MAX_ARGS 200
static TT_UNUSED void tt_cli_argv(const char **argv, const char *const *args) {
  size_t n = 0;
  argv[n++] = TD_CLI_PATH;
  for (const char *const *a = args; *a && n < TT_CLI_MAX_ARGS - 1; a++)
    argv[n++] = *a;
  argv[n] = NULL;
}

/* Writes input into tt_dir/in.txt and returns that path (valid until the
 * next call), or NULL (stdin from /dev/null) for NULL input. */
static TT_UNUSED const char *tt_cli_stdin(const char *input) {
  static char in_path[128];
  if (!input) return NULL;
  snprintf(in_path, sizeof(in_path), "%s/in.txt", tt_dir);
  FILE *f = fopen(in_path, "wb");
  assert_non_null(f);
  fputs(input, f);
  fclose(f);
  return in_path;
}

/* Runs `tlsdiag ARGS...` (args: NULL-terminated, without the program) with
 * stdin holding `input` (written to tt_dir/in.txt; NULL: /dev/null),
 * capturing stdout and stderr (bounded as tt_run). */
static TT_UNUSED tt_cli_run_t tt_cli_input(const char *input,
                                           const char *const *args) {
  const char *argv[TT_CLI_MAX_ARGS];
  tt_cli_argv(argv, args);
  tt_cli_run_t r;
  r.rc = tt_run(argv, tt_cli_stdin(input), TT_RUN_TIMEOUT_MS, &r.out, &r.err);
  return r;
}

static TT_UNUSED void tt_cli_run_free(tt_cli_run_t *r) {
  free(r->out);
  free(r->err);
}

/* The evidence value at key of the finding with this code; the test
 * fails when there is no such finding or key. */
static TT_UNUSED const char *tt_ev(const tlsdiag_result_t *r,
                                   tlsdiag_cause_t code, const char *key) {
  long i = tlsdiag_result_find(r, code);
  if (i < 0) fail_msg("no finding %s", tlsdiag_cause_name(code));
  const char *v = tlsdiag_result_finding_evidence(r, (size_t)i, key);
  if (!v) fail_msg("%s has no evidence %s", tlsdiag_cause_name(code), key);
  return v;
}

/* One check of a test server through the library and the same check
 * through `tlsdiag check --json` (tt_check_both), freed by tt_both_free. */
typedef struct {
  tlsdiag_result_t *r;
  json_t *j;    /* the library's JSON */
  json_t *cli;  /* the CLI's JSON */
  int cli_exit; /* the CLI's exit status */
  int64_t now;  /* the clock override given (0: the real clock) */
  tdserver_t *s; /* the server, if the caller keeps it here */
} tt_both_t;

/* Checks host with t->o through the library, then runs `tlsdiag check
 * --json --cacert CAFILE --resolve PIN [--now @NOW] EXTRA... host:PORT`
 * (extra: NULL-terminated or NULL) and parses both JSONs; the test fails
 * on invalid JSON. Fills everything in *out but out->s. */
static TT_UNUSED void tt_check_both(const char *host, const tt_opts_t *t,
                                    const char *const *extra, tt_both_t *out) {
  out->now = t->o.now;
  out->r = tt_check(host, &t->o);
  out->j = tt_json(out->r);
  char target[300], nowarg[64];
  snprintf(target, sizeof(target), "%s:%u", host, t->o.port);
  snprintf(nowarg, sizeof(nowarg), "@%lld", (long long)t->o.now);
  const char *args[64];
  size_t n = 0;
  args[n++] = "check";
  args[n++] = "--json";
  args[n++] = "--cacert";
  args[n++] = t->o.cafile;
  args[n++] = "--resolve";
  args[n++] = t->pin;
  if (t->o.now) {
    args[n++] = "--now";
    args[n++] = nowarg;
  }
  for (const char *const *a = extra; a && *a && n < 62; a++) args[n++] = *a;
  args[n++] = target;
  args[n] = NULL;
  tt_cli_run_t c = tt_cli_input(NULL, args);
  out->cli_exit = c.rc;
  json_error_t err;
  out->cli = json_loads(c.out, JSON_REJECT_DUPLICATES, &err);
  if (!out->cli) fail_msg("CLI printed invalid JSON (%s): %s", err.text, c.out);
  tt_cli_run_free(&c);
}

/* tt_check_both of host on port with cafile, at the real time plus a
 * minute (for certificates made by the test just now). */
static TT_UNUSED void tt_check_ca(const char *host, uint16_t port,
                                  const char *cafile, tt_both_t *b) {
  tt_opts_t t;
  tt_opts(&t, host, port);
  t.o.cafile = cafile;
  t.o.now = (int64_t)time(NULL) + 60;
  tt_check_both(host, &t, NULL, b);
}

static TT_UNUSED void tt_both_free(tt_both_t *b) {
  tlsdiag_result_free(b->r);
  json_decref(b->j);
  json_decref(b->cli);
  tdserver_stop(b->s);
}

/* The root cause in the API, the library's JSON and the CLI's; the CLI's
 * exit status (2 when the cause's finding is an error, else 0) and its
 * "ok". */
static TT_UNUSED void tt_expect_cause(const tt_both_t *b,
                                      tlsdiag_cause_t cause) {
  if (tlsdiag_result_cause(b->r) != cause)
    fail_msg("cause %s, expected %s (%s)",
             tlsdiag_cause_name(tlsdiag_result_cause(b->r)),
             tlsdiag_cause_name(cause),
             tlsdiag_result_finding_count(b->r)
                 ? tlsdiag_result_finding_message(b->r, 0)
                 : "no findings");
  assert_string_equal(tt_jstr(b->j, "cause"), tlsdiag_cause_name(cause));
  assert_string_equal(tt_jstr(b->cli, "cause"), tlsdiag_cause_name(cause));
  /* The severity of the finding itself: some causes (a redirect to
   * http:// on a preloaded host) are errors here, warnings elsewhere. */
  long i = tlsdiag_result_find(b->r, cause);
  int err = cause != TLSDIAG_CAUSE_OK && i >= 0 &&
            tlsdiag_result_finding_severity(b->r, (size_t)i) ==
                TLSDIAG_SEVERITY_ERROR;
  assert_int_equal(b->cli_exit, err ? 2 : 0);
  assert_int_equal(json_is_true(tt_jget(b->cli, "ok")), !err);
}

/* A loopback port that refuses connections for as long as the returned
 * socket stays open: bound but never listening (Linux answers the SYN
 * with a RST: ECONNREFUSED), and held, so no other process can take the
 * port meanwhile, as it could take a port freed by close(). addr is the
 * address to bind: "127.0.0.1", or "0.0.0.0" to hold the port on every
 * 127/8 address. Close the socket when the test ends. */
static TT_UNUSED int tt_refusing_port(const char *addr, uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail_msg("socket: %s", strerror(errno));
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) fail_msg("address %s", addr);
  socklen_t len = sizeof(sa);
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
    fail_msg("bind %s: %s", addr, strerror(errno));
  *port = ntohs(sa.sin_port);
  return fd;
}

/* n distinct loopback ports that were free when this returns: each bound
 * with tt_refusing_port, all held together (so no two are the same), then
 * released, for a server started next in another process (nginx,
 * gnutls-serv), which cannot take a held socket. Another process could
 * take one meanwhile: that only makes the server's start fail. */
#define TT_MAX_FREE_PORTS 8
static TT_UNUSED void tt_free_ports(uint16_t *ports, size_t n) {
  int fds[TT_MAX_FREE_PORTS];
  if (n > TT_MAX_FREE_PORTS) fail_msg("%zu free ports asked for", n);
  for (size_t i = 0; i < n; i++)
    fds[i] = tt_refusing_port("127.0.0.1", &ports[i]);
  for (size_t i = 0; i < n; i++) close(fds[i]);
}

static TT_UNUSED uint16_t tt_free_port(void) {
  uint16_t port = 0;
  tt_free_ports(&port, 1);
  return port;
}

/* Writes data[0..len) to path, replacing the file; the test fails when
 * it cannot (open, short write or close). */
static TT_UNUSED void tt_write_file(const char *path, const void *data,
                                   size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) fail_msg("cannot write %s: %s", path, strerror(errno));
  size_t w = fwrite(data, 1, len, f);
  if (fclose(f) != 0 || w != len) fail_msg("cannot write %s", path);
}

/* The same for a NUL-terminated text. */
static TT_UNUSED void tt_write_text(const char *path, const char *text) {
  tt_write_file(path, text, strlen(text));
}

/* Writes text to tt_dir/name; path (n bytes, the caller's) gets that
 * path, which is returned. */
static TT_UNUSED char *tt_write_tmp(char *path, size_t n, const char *name,
                                    const char *text) {
  int k = snprintf(path, n, "%s/%s", tt_dir, name);
  if (k < 0 || (size_t)k >= n) fail_msg("path too long: %s/%s", tt_dir, name);
  tt_write_text(path, text);
  return path;
}

/* The files of test-PKI case `cname` that tt_setup wrote (tdcerts_write_dir):
 * tt_dir/CASE.chain.pem and tt_dir/CASE.key.pem, for a server that reads
 * files (nginx, gnutls-serv, openssl s_server). Fails on an unknown case. */
typedef struct {
  char chain[160];
  char key[160];
} tt_case_files_t;

static TT_UNUSED tt_case_files_t tt_case_files(const char *cname) {
  tt_case_files_t f;
  (void)tt_case(cname);
  snprintf(f.chain, sizeof(f.chain), "%s/%s.chain.pem", tt_dir, cname);
  snprintf(f.key, sizeof(f.key), "%s/%s.key.pem", tt_dir, cname);
  return f;
}

/* A private CA made with Debian's openssl, the tool real sites make theirs
 * with (a PKI tlsdiag's own generator did not write): tt_dir/NAME-ca.pem
 * and NAME-ca.key, P-256, 90 days; leaves signed by it with
 * tt_openssl_leaf. */
typedef struct {
  char cert[160], key[160], serial[160];
  char name[32];
} tt_openssl_ca_t;

/* Runs `openssl ARGS...` (NULL-terminated, at most 38); the test fails
 * unless it succeeds. */
static TT_UNUSED void tt_openssl(const char *const *args) {
  const char *argv[40] = {"/usr/bin/openssl"};
  size_t n = 0;
  while (args[n] && n < 38) {
    argv[n + 1] = args[n];
    n++;
  }
  argv[n + 1] = NULL;
  char *out = NULL, *err = NULL;
  int rc = tt_run(argv, NULL, 30000, &out, &err);
  if (rc != 0) fail_msg("openssl %s failed (%d): %s", args[0], rc, err);
  free(out);
  free(err);
}

static TT_UNUSED void tt_openssl_ca(tt_openssl_ca_t *ca, const char *name) {
  char subj[64];
  snprintf(ca->name, sizeof(ca->name), "%s", name);
  snprintf(ca->cert, sizeof(ca->cert), "%s/%s-ca.pem", tt_dir, name);
  snprintf(ca->key, sizeof(ca->key), "%s/%s-ca.key", tt_dir, name);
  snprintf(ca->serial, sizeof(ca->serial), "%s/%s-ca.srl", tt_dir, name);
  snprintf(subj, sizeof(subj), "/CN=%s test CA", name);
  tt_openssl((const char *const[]){
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
      "-nodes", "-keyout", ca->key, "-out", ca->cert, "-subj", subj, "-days",
      "90", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
      "keyUsage=critical,keyCertSign,cRLSign", NULL});
}

/* tt_dir/NAME.pem and NAME.key: a server leaf signed by ca, 90 days, for
 * subjectAltName san (as OpenSSL's config writes it, UTF-8 included),
 * its key "EC" (P-256), "P-521" or an openssl algorithm ("ED25519"). */
static TT_UNUSED void tt_openssl_leaf(const tt_openssl_ca_t *ca,
                                      const char *name, const char *alg,
                                      const char *san) {
  char pem[160], key[160], csr[160], ext[160], body[512], subj[64];
  snprintf(pem, sizeof(pem), "%s/%s.pem", tt_dir, name);
  snprintf(key, sizeof(key), "%s/%s.key", tt_dir, name);
  snprintf(csr, sizeof(csr), "%s/%s.csr", tt_dir, name);
  snprintf(ext, sizeof(ext), "%s/%s.ext", tt_dir, name);
  snprintf(subj, sizeof(subj), "/CN=%s leaf", ca->name);
  if (!strcmp(alg, "EC") || !strcmp(alg, "P-521"))
    tt_openssl((const char *const[]){
        "genpkey", "-algorithm", "EC", "-pkeyopt",
        strcmp(alg, "EC") ? "ec_paramgen_curve:P-521"
                          : "ec_paramgen_curve:P-256",
        "-out", key, NULL});
  else
    tt_openssl((const char *const[]){"genpkey", "-algorithm", alg, "-out",
                                     key, NULL});
  tt_openssl((const char *const[]){"req", "-new", "-key", key, "-subj", subj,
                                   "-out", csr, NULL});
  snprintf(body, sizeof(body),
           "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
           "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n",
           san);
  tt_write_text(ext, body);
  tt_openssl((const char *const[]){"x509", "-req", "-in", csr, "-CA",
                                   ca->cert, "-CAkey", ca->key, "-CAserial",
                                   ca->serial, "-CAcreateserial", "-days",
                                   "90", "-extfile", ext, "-out", pem, NULL});
}

/* The descriptors open in this process (from /proc/self/fd, not counting
 * the one reading it); desc (may be NULL) gets "fd -> target" for each,
 * to say which one leaked. */
static TT_UNUSED int tt_open_fds(char *desc, size_t n) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) fail_msg("opendir /proc/self/fd: %s", strerror(errno));
  int count = 0;
  size_t used = 0;
  if (desc && n) desc[0] = '\0';
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d)) continue;
    count++;
    if (!desc || used >= n) continue;
    char path[300], target[256];
    snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
    ssize_t k = readlink(path, target, sizeof(target) - 1);
    target[k > 0 ? k : 0] = '\0';
    int w = snprintf(desc + used, n - used, "%s -> %s\n", e->d_name, target);
    if (w > 0) used += (size_t)w;
  }
  closedir(d);
  return count;
}

/* Starts argv (argv[0] a path, or a name looked up in PATH; NULL-
 * terminated) as a child process, stdin from /dev/null, stdout and stderr
 * into log (created or truncated; NULL: /dev/null). Returns its pid: end
 * it with tt_kill_child. */
static TT_UNUSED pid_t tt_spawn(const char *const *argv, const char *log) {
  pid_t pid = fork();
  if (pid < 0) fail_msg("fork: %s", strerror(errno));
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = log ? open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)
                  : open("/dev/null", O_WRONLY);
    if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
        dup2(out, 2) < 0)
      _exit(126);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
  }
  return pid;
}

/* The whole file, NUL-terminated and malloc'd, its length in *len (len
 * may be NULL); NULL when it cannot be opened. The test fails when memory
 * runs out. */
static TT_UNUSED char *tt_read_file_len(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  td_buf_t b;
  td_buf_init(&b);
  char tmp[65536];
  for (size_t k; (k = fread(tmp, 1, sizeof(tmp), f)) > 0;)
    td_buf_append(&b, tmp, k);
  fclose(f);
  char *s = td_buf_steal(&b, len);
  if (!s) fail_msg("out of memory reading %s", path);
  return s;
}

/* The whole file, NUL-terminated and malloc'd ("" when it cannot be
 * read). */
static TT_UNUSED char *tt_read_file(const char *path) {
  char *s = tt_read_file_len(path, NULL);
  return s ? s : strdup("");
}

/* A fetch of a body of n bytes of 'x' (tt_fetch_x_body): the server, its
 * raw response, the result and the body; tt_fetch_free frees them all. */
typedef struct {
  tdserver_t *s;
  td_buf_t raw;
  tlsdiag_result_t *r;
  unsigned char *body;
} tt_fetch_t;

/* A TLS 1.3 server (the "valid" certificate) answering HTTP 200 with a
 * body of n bytes of 'x', fetched with tlsdiag_fetch (at most 1 MiB) from
 * https://localhost:PORT/ into *f: asserts TLSDIAG_OK and that the whole
 * body came. */
static TT_UNUSED void tt_fetch_x_body(size_t n, tt_fetch_t *f) {
  td_buf_init(&f->raw);
  td_buf_printf(&f->raw, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", n);
  for (size_t i = 0; i < n; i++) td_buf_putc(&f->raw, 'x');
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_RAW_RESPONSE, "valid");
  cfg.priority = TDS_PRIORITY_TLS13_ONLY;
  cfg.raw_response = f->raw.data;
  cfg.raw_len = f->raw.len;
  f->s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, "localhost", tdserver_port(f->s));
  char url[96];
  snprintf(url, sizeof(url), "https://localhost:%u/", tdserver_port(f->s));
  f->r = NULL;
  f->body = NULL;
  size_t blen = 0;
  assert_int_equal(tlsdiag_fetch(url, &t.o, 1 << 20, &f->r, &f->body, &blen),
                   TLSDIAG_OK);
  assert_int_equal(blen, n);
}

static TT_UNUSED void tt_fetch_free(tt_fetch_t *f) {
  tlsdiag_result_free(f->r);
  tlsdiag_free(f->body);
  td_buf_free(&f->raw);
  tdserver_stop(f->s);
}

/* The same, failing the test when path cannot be opened. */
static TT_UNUSED char *tt_read_file_or_fail(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  fclose(f);
  return tt_read_file(path);
}

/* A fake DNS server on 127.0.0.1 (tddns) and its address for
 * options.dns_servers; stop it with tddns_stop(x.d). */
typedef struct {
  tddns_t *d;
  char servers[64];
} tt_dns_t;

static TT_UNUSED void tt_dns_start(tt_dns_t *x) {
  x->d = NULL;
  int rc = tddns_start("127.0.0.1", &x->d);
  if (rc != 0) fail_msg("tddns_start: %s", tdserver_strerror(rc));
  snprintf(x->servers, sizeof(x->servers), "127.0.0.1:%u",
           (unsigned)tddns_port(x->d));
}

/* Does a TCP connect to 127.0.0.1:port succeed? */
static TT_UNUSED int tt_port_open(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

/* Waits (10 s at most, scaled) until the child *pid (a server started
 * with tt_spawn, named `what`, its output in log or NULL: discarded)
 * accepts on every one of ports[0..n) at 127.0.0.1. Fails the test, naming
 * the log, if it exits first (*pid becomes -1) or never gets there (it is
 * then killed: *pid -1 too). */
static TT_UNUSED void tt_listening(pid_t *pid, const char *what,
                                   const uint16_t *ports, size_t n,
                                   const char *log) {
  int64_t deadline = td_mono_us() + (int64_t)(td_upper_ms(10000) * 1000.0);
  const char *see = log ? log : "its output was discarded";
  for (size_t i = 0; i < n;) {
    if (tt_port_open(ports[i])) {
      i++;
      continue;
    }
    int st;
    if (waitpid(*pid, &st, WNOHANG) == *pid) {
      *pid = -1;
      fail_msg("%s exited (status %d) before listening; see %s", what, st,
               see);
    }
    if (td_mono_us() >= deadline) {
      tt_kill_child(*pid);
      *pid = -1;
      fail_msg("%s did not listen on port %u in time; see %s", what,
               ports[i], see);
    }
    poll(NULL, 0, 20);
  }
}

/* tt_spawn, then tt_listening on port; *pid is set before the wait. */
static TT_UNUSED void tt_spawn_server(pid_t *pid, const char *const *argv,
                                      const char *log, uint16_t port) {
  *pid = tt_spawn(argv, log);
  tt_listening(pid, argv[0], &port, 1, log);
}

/* Starts Debian's nginx (the test is skipped where it is not installed)
 * on tt_dir/nginx.conf: one process (daemon off, master_process off), pid
 * tt_dir/nginx.pid, errors in tt_dir/nginx.err, no access log, and the
 * servers (printf format `http`) inside the http block. *pid is set as
 * soon as it runs (the caller ends it with tt_kill_child, also after a
 * failure here); returns once nginx accepts on every one of ports[0..n). */
static TT_UNUSED TD_PRINTF(4, 5) void tt_nginx_http(pid_t *pid,
                                                    const uint16_t *ports,
                                                    size_t n, const char *http,
                                                    ...) {
  if (access("/usr/sbin/nginx", X_OK) != 0) TD_SKIP("nginx not installed");
  va_list ap;
  va_start(ap, http);
  char *servers = td_vasprintf(http, ap);
  va_end(ap);
  char *conf = servers ? td_asprintf(
      "daemon off; master_process off; pid %s/nginx.pid;\n"
      "error_log %s/nginx.err;\nevents {}\nhttp { access_log off;\n%s}\n",
      tt_dir, tt_dir, servers) : NULL;
  free(servers);
  if (!conf) fail_msg("out of memory");
  char path[160], errlog[160];
  tt_write_tmp(path, sizeof(path), "nginx.conf", conf);
  free(conf);
  snprintf(errlog, sizeof(errlog), "%s/nginx.err", tt_dir);
  const char *argv[] = {"/usr/sbin/nginx", "-p", tt_dir, "-e", "/dev/null",
                        "-c", path, NULL};
  *pid = tt_spawn(argv, NULL);
  tt_listening(pid, "nginx", ports, n, errlog);
}

static TT_UNUSED double tt_ms_since(int64_t t0_us) {
  return (double)(td_mono_us() - t0_us) / 1000.0;
}

#endif
