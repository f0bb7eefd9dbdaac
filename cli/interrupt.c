/* interrupt.c: `check` stopped by SIGINT or SIGTERM (Ctrl-C, `timeout`, a
 * Kubernetes deadline). The check runs on a thread of its own while this
 * thread waits for it or for a signal; a signal gets a report that says
 * the check was cancelled, in the format asked for, so that -o replaces
 * its file (a monitor never keeps showing the last good state) and a JSON
 * consumer gets a record, never nothing. The JSON record is the one
 * `sweep` writes for its cancelled targets (docs/json-schema.md,
 * sweep_cancelled). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static int wake[2] = {-1, -1}; /* the thread's end and the signals */
static volatile sig_atomic_t got;

static void on_signal(int sig) {
  if (!got) got = sig;
  int e = errno;
  ssize_t k = write(wake[1], "s", 1);
  (void)k;
  errno = e;
}

typedef struct {
  const char *host;
  const tlsdiag_options_t *o;
  tlsdiag_result_t *r;
  tlsdiag_err_t err;
} job_t;

static void *run(void *arg) {
  job_t *j = arg;
  j->err = tlsdiag_check(j->host, j->o, &j->r);
  ssize_t k = write(wake[1], "d", 1);
  (void)k;
  return NULL;
}

void td_cli_on_signals(void (*handler)(int), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = handler;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

int td_cli_check_interruptible(const char *host, const tlsdiag_options_t *o,
                               tlsdiag_result_t **out, tlsdiag_err_t *err) {
  *out = NULL;
  job_t j = {host, o, NULL, TLSDIAG_OK};
  if (pipe2(wake, O_CLOEXEC) != 0) { /* no pipe: run it here, unguarded */
    *err = tlsdiag_check(host, o, out);
    return 0;
  }
  /* The check's thread never takes the signals: it starts with them
   * blocked; this thread takes them once it waits. */
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  pthread_t th;
  int started = pthread_create(&th, NULL, run, &j) == 0;
  td_cli_on_signals(on_signal, 0);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!started) {
    td_cli_on_signals(SIG_DFL, 0);
    j.err = tlsdiag_check(host, o, &j.r);
  }
  char c = 0;
  while (started && !got && c != 'd') {
    struct pollfd p = {wake[0], POLLIN, 0};
    if (poll(&p, 1, -1) > 0 && read(wake[0], &c, 1) != 1) c = 0;
  }
  if (got) return got; /* the thread still runs: the caller exits */
  if (started) pthread_join(th, NULL);
  td_cli_on_signals(SIG_DFL, 0);
  close(wake[0]);
  close(wake[1]);
  wake[0] = wake[1] = -1;
  *out = j.r;
  *err = j.err;
  return 0;
}

/* ---- the report ----------------------------------------------------------- */

void td_cli_cancelled_json(FILE *f, const char *host, unsigned port,
                           const char *sni, const char *name, int sig) {
  const char *s = sig == SIGINT ? "SIGINT" : "SIGTERM";
  fputs("{\"schema\":\"tlsdiag-sweep/1\",\"record\":\"cancelled\","
        "\"target\":{\"host\":", f);
  td_cli_json_string(f, host);
  fprintf(f, ",\"port\":%u,\"sni\":", port);
  td_cli_json_string(f, sni);
  fputs(",\"name\":", f);
  td_cli_json_string(f, name);
  fprintf(f, "},\"ok\":false,\"cause\":\"cancelled\",\"signal\":\"%s\","
          "\"message\":\"cancelled by the user (%s) before the check "
          "finished\"}\n", s, s);
}

/* A label value for the Prometheus text format: \, " and newline escaped. */
static void prom_label(FILE *f, const char *v) {
  for (; *v; v++) {
    if (*v == '\\' || *v == '"') fputc('\\', f);
    if (*v == '\n') fputs("\\n", f);
    else fputc(*v, f);
  }
}

void td_cli_check_cancelled(FILE *f, tlsdiag_format_t fmt, const char *host,
                            unsigned port, const char *sni, int sig,
                            double elapsed_s) {
  const char *s = sig == SIGINT ? "SIGINT" : "SIGTERM";
  char name[1100];
  snprintf(name, sizeof(name), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
           port);
  switch (fmt) {
  case TLSDIAG_FORMAT_JSON:
    td_cli_cancelled_json(f, host, port, sni, name, sig);
    break;
  case TLSDIAG_FORMAT_NAGIOS:
    fprintf(f, "TLSDIAG UNKNOWN - %s: the check was cancelled (%s) after "
            "%.1f s, before it finished\n", name, s, elapsed_s);
    break;
  case TLSDIAG_FORMAT_PROMETHEUS:
    /* HELP texts as lib/monitor.c writes them for a finished check */
    fputs("# HELP tlsdiag_check_success 1 if the check found no error "
          "(warnings allowed), else 0.\n"
          "# TYPE tlsdiag_check_success gauge\ntlsdiag_check_success{target=\"",
          f);
    prom_label(f, name);
    fputs("\"} 0\n# HELP tlsdiag_cause_info Root cause of the check "
          "(\"ok\" when none); always 1.\n"
          "# TYPE tlsdiag_cause_info gauge\ntlsdiag_cause_info{target=\"", f);
    prom_label(f, name);
    fputs("\",cause=\"cancelled\"} 1\n", f);
    break;
  default:
    fprintf(f, "✘ CANCELLED  %s — the check was stopped by %s after %.1f s, "
            "before it finished\n", name, s, elapsed_s);
  }
}
