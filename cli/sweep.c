/* sweep.c: `tlsdiag sweep`: many targets at once through the library's
 * multi engine; JSON Lines in completion order, Nagios or Prometheus
 * reports, expiry lists, shards, a summary. Every decision about a target
 * is the library's; this file reads the list, sets options and prints. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "resume.h"
#include "targets.h"
#include "tlsdiag/tlsdiag.h"

#define SOONEST_SHOWN 10
#define NAGIOS_UNKNOWN 3
#define SETUP_FAILED (-2) /* after a message: exit 1 (3 for nagios) */

typedef enum { OUT_JSON, OUT_NAGIOS, OUT_PROMETHEUS } out_fmt_t;

/* What the sweep remembers of each target after its result is gone. */
typedef struct {
  int queued; /* added to the multi handle: it gets a record */
  int done;
  int ok;
  tlsdiag_cause_t cause;
  int has_expiry;
  int64_t days_left, not_after;
  tlsdiag_result_t *kept; /* for reports written at the end, else NULL */
} outcome_t;

/* A resolve pin indexed by its "host:port" (lowercase). */
typedef struct {
  char *key;
  const char *spec;
} pin_t;

typedef struct {
  /* settings */
  tlsdiag_options_t base;
  out_fmt_t fmt;
  int expiring;      /* --expiring-within given */
  int expiring_days;
  int summary_record;
  int quiet;
  int warn, crit;    /* nagios expiry thresholds (days) */
  int progress;
  unsigned concurrency;
  unsigned per_ip, rate; /* politeness (0: no limit) */
  unsigned jobs;         /* engines on threads (0: one per processor) */
  long dns_ahead;        /* DNS look-ahead per engine (-1: the library's
                            default, the engine's in flight, at most 256) */
  const char *resume;    /* --resume FILE, or NULL */
  size_t nresumed;       /* targets skipped: FILE has their record */
  td_cli_resume_t resumed; /* FILE's bad_line records (their lines) */
  unsigned shard_k, shard_n;
  const char **pins; /* every --resolve, in order */
  size_t npins;
  pin_t *pin_index;  /* the ASCII ones, sorted by key */
  size_t nindexed;
  const char **pin_other; /* non-ASCII hosts: given to every target */
  size_t nother;
  /* state */
  td_targets_t list;
  outcome_t *out;
  size_t ndone, nfailed, ncancelled;
  size_t nrejected;  /* read as targets, refused by the library: bad lines */
  const char *list_name; /* the list's name in messages */
  int signal;        /* the signal that stopped the sweep, or 0 */
  int write_failed;
  int64_t t0_ms, last_progress_ms;
} sweep_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- options ----------------------------------------------------------- */

static void usage(FILE *o) {
  fputs(
      "usage: tlsdiag sweep [options] [FILE|-]\n"
      "\n"
      "Checks every target of FILE (standard input when FILE is - or absent)\n"
      "concurrently. One target a line: HOST, HOST:PORT, [V6]:PORT or\n"
      "https://HOST[:PORT][/PATH] (the path is the request's), then\n"
      "optionally sni=NAME; # starts a comment. Bad lines are reported on\n"
      "stderr with their number and skipped; duplicates are checked once.\n"
      "Each JSON record is written (and flushed) when its check ends.\n"
      "\n"
      "  --format FMT           json (default: JSON Lines in completion order),\n"
      "                         nagios, prometheus; --json is --format json\n"
      "  --concurrency N        checks in flight at once (default 64, shared\n"
      "                         by the jobs)\n"
      "  --per-ip N             connections in flight to one address\n"
      "                         (default 4; 0 no limit); others wait\n"
      "  --rate N               new connections a second overall (default 0:\n"
      "                         no limit)\n"
      "  --jobs N               engines on N threads (default: one per\n"
      "                         processor)\n"
      "  --dns-ahead N          names looked up ahead of the connections, per\n"
      "                         engine (default: its share of --concurrency,\n"
      "                         at most 256; 0 off): at most --concurrency\n"
      "                         connect at once, the others wait (queued_ms)\n"
      "  --resume FILE          append to FILE (JSON Lines of an earlier,\n"
      "                         perhaps interrupted, sweep) the records of\n"
      "                         the targets it has none for\n"
      "  --shard K/N            only the K-th of N stable shares of the list\n"
      "  --expiring-within D    only targets whose certificate path expires in\n"
      "                         fewer than D days (or has expired), soonest first\n"
      "  --summary              JSON: end with a {\"summary\": ...} record\n"
      "  -o, --output FILE      write to FILE instead: a temporary file beside\n"
      "                         it replaces FILE when the sweep ends, whatever\n"
      "                         it found (the exit status still says); after a\n"
      "                         usage or setup error FILE is left as it was\n"
      "  -w, --warn-days N      WARNING below N days to expiry (default 30; with\n"
      "                         --expiring-within D and nagios: D)\n"
      "  -c, --crit-days N      CRITICAL below N days (default 7; N <= -w)\n"
      "  -q, --quiet            no summary or progress line on stderr\n"
      "  --no-progress          no progress line (default: on a terminal)\n"
      "  --cacert FILE, --capath DIR, --resolve H:P:ADDR (repeatable),\n"
      "  --dns-server A[:P],.., --tls-min V, --tls-max V, --connect-timeout S,\n"
      "  --max-time S, --method M, --path P, --now TIME, --clock-skew S,\n"
      "  --hsts-list FILE, -4, -6, --no-http, --no-probe, --no-aia,\n"
      "  --connect-to H1:P1:H2:P2, --cert FILE[:PASSWORD],\n"
      "  --key FILE             as for `tlsdiag check`, for every target\n"
      "\n"
      "SIGINT or SIGTERM: no new check starts, those in flight end at once and\n"
      "are reported as cancelled (JSON: {\"record\":\"cancelled\",...}), then\n"
      "the summary; exit 130 (SIGINT) or 143 (SIGTERM), 3 (UNKNOWN) with\n"
      "--format nagios. A second signal exits at once. No line is ever cut.\n"
      "With -o, the output still replaces FILE, marked as interrupted: nagios\n"
      "UNKNOWN, prometheus tlsdiag_sweep_complete 0.\n"
      "\n"
      "exit status: 0 every check found no error, 2 a check found an error or\n"
      "(--expiring-within) a target was listed; 1 usage or setup error, or an\n"
      "input line was bad (the other targets are still checked and reported).\n"
      "With --format nagios: the worst state (0 OK, 1 WARNING,\n"
      "2 CRITICAL, 3 UNKNOWN; bad lines count as UNKNOWN, usage errors are 3).\n"
      "With --expiring-within and --format nagios: an expiry check, as\n"
      "check_ssl_cert's: OK with the soonest expiry when nothing is below -w,\n"
      "WARNING below -w, CRITICAL below -c or expired, an unreachable target\n"
      "CRITICAL by its cause (UNKNOWN for a resolver failure); perfdata\n"
      "'days'=SOONEST;W:;C: (ranges: alert below W, below C).\n",
      o);
}


static int parse_shard(const char *s, unsigned *k, unsigned *n) {
  const char *slash = strchr(s, '/');
  long kv, nv;
  char kbuf[16];
  if (!slash || (size_t)(slash - s) >= sizeof(kbuf)) return -1;
  memcpy(kbuf, s, (size_t)(slash - s));
  kbuf[slash - s] = '\0';
  if (td_cli_long(kbuf, 1, 1000000, &kv) || td_cli_long(slash + 1, 1, 1000000, &nv) || kv > nv)
    return -1;
  *k = (unsigned)kv;
  *n = (unsigned)nv;
  return 0;
}

/* sweep's own options; the shared ones are opts.c's. */
static int sweep_opt(void *ctx, td_cli_opts_t *c, int id, const char *arg) {
  sweep_t *s = ctx;
  long v;
  (void)c;
  switch (id) {
  case TD_O_CONC:
    if (td_cli_long(arg, 1, 100000, &v))
      return td_cli_usage("bad --concurrency '%s' (1..100000)", arg);
    s->concurrency = (unsigned)v;
    return 0;
  case TD_O_PERIP:
    if (td_cli_long(arg, 0, 100000, &v))
      return td_cli_usage("bad --per-ip '%s' (0..100000)", arg);
    s->per_ip = (unsigned)v;
    return 0;
  case TD_O_RATE:
    if (td_cli_long(arg, 0, 1000000, &v))
      return td_cli_usage("bad --rate '%s' (0..1000000 a second)", arg);
    s->rate = (unsigned)v;
    return 0;
  case TD_O_JOBS:
    if (td_cli_long(arg, 1, 1024, &v))
      return td_cli_usage("bad --jobs '%s' (1..1024)", arg);
    s->jobs = (unsigned)v;
    return 0;
  case TD_O_DNSAHEAD:
    if (td_cli_long(arg, 0, 100000, &v))
      return td_cli_usage("bad --dns-ahead '%s' (0..100000)", arg);
    s->dns_ahead = v;
    return 0;
  case TD_O_SWRESUME:
    if (!*arg) return td_cli_usage("--resume needs a file name");
    s->resume = arg;
    return 0;
  case TD_O_SHARD:
    if (parse_shard(arg, &s->shard_k, &s->shard_n))
      return td_cli_usage("bad --shard '%s' (K/N, 1 <= K <= N)", arg);
    return 0;
  case TD_O_EXPIRING:
    if (td_cli_long(arg, -100000, 100000, &v))
      return td_cli_usage("bad --expiring-within '%s' (days)", arg);
    s->expiring = 1;
    s->expiring_days = (int)v;
    return 0;
  case TD_O_SUMMARY: s->summary_record = 1; return 0;
  case TD_O_NOPROG: s->progress = 0; return 0;
  default: return TD_CLI_NOT_MINE;
  }
}

/* The thresholds of the nagios expiry check: -w defaults to
 * --expiring-within, -c to the smaller of 7 and -w. -1, or 1 after a
 * usage line. */
static int thresholds(sweep_t *s, const td_cli_opts_t *c) {
  s->warn = c->o.warn_days;
  s->crit = c->o.crit_days;
  if (!s->expiring || s->fmt != OUT_NAGIOS) return -1;
  if (!c->warn_set) s->warn = s->expiring_days;
  if (!c->crit_set && s->crit > s->warn) s->crit = s->warn;
  if (s->warn < s->crit)
    return td_cli_usage("the warning threshold (%d days) is below the "
                        "critical one (-c %d days): warn must be >= crit",
                        s->warn, s->crit);
  return -1;
}

/* Parses the options into s and c; returns -1 to continue, or an exit
 * status. */
static int parse_args(sweep_t *s, td_cli_opts_t *c, int argc, char **argv,
                      const char **file) {
  int first = 0;
  int rc = td_cli_parse(c, argc, argv, sweep_opt, s, &first);
  if (rc < 0) rc = td_cli_operands(argc, first, 0, 1, argv, "FILE");
  if (rc < 0) rc = td_cli_opts_check(c);
  if (rc >= 0) return rc;
  s->fmt = c->fmt == TLSDIAG_FORMAT_NAGIOS       ? OUT_NAGIOS
           : c->fmt == TLSDIAG_FORMAT_PROMETHEUS ? OUT_PROMETHEUS
                                                 : OUT_JSON;
  s->quiet = c->quiet;
  if (s->resume && (s->fmt != OUT_JSON || s->expiring || c->output))
    return td_cli_usage("--resume appends JSON Lines to its FILE: not with "
                        "--format nagios or prometheus, --expiring-within "
                        "or -o");
  s->base = c->o;
  s->base.resolve = NULL; /* each target gets its own (pins_for) */
  s->pins = c->pins;
  s->npins = c->npins;
  *file = first < argc ? argv[first] : "-";
  return thresholds(s, c);
}

/* ---- resolve pins: each target gets only those for its host:port ------ */

static int ascii(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s >= 0x80) return 0;
  return 1;
}

static char *lower_prefix(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  for (size_t i = 0; i < n; i++)
    d[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
  d[n] = '\0';
  return d;
}

static int pin_cmp(const void *a, const void *b) {
  return strcmp(((const pin_t *)a)->key, ((const pin_t *)b)->key);
}

/* Splits the pins into an index by "host:port" and the rest (malformed
 * ones go to every target, so the library reports them). */
static int index_pins(sweep_t *s) {
  s->pin_index = calloc(s->npins + 1, sizeof(*s->pin_index));
  s->pin_other = calloc(s->npins + 1, sizeof(*s->pin_other));
  if (!s->pin_index || !s->pin_other) return -1;
  for (size_t i = 0; i < s->npins; i++) {
    const char *spec = s->pins[i];
    const char *c1 = strchr(spec, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || !ascii(spec)) {
      s->pin_other[s->nother++] = spec;
      continue;
    }
    char *key = lower_prefix(spec, (size_t)(c2 - spec));
    if (!key) return -1;
    s->pin_index[s->nindexed].key = key;
    s->pin_index[s->nindexed++].spec = spec;
  }
  qsort(s->pin_index, s->nindexed, sizeof(*s->pin_index), pin_cmp);
  return 0;
}

/* The NULL-terminated pins for one target, in *out (caller frees), or
 * NULL in *out when there are none. */
static int pins_for(const sweep_t *s, const td_target_t *t, const char ***out) {
  *out = NULL;
  if (s->npins == 0) return 0;
  const char **v = calloc(s->npins + 1, sizeof(*v));
  if (!v) return -1;
  size_t n = 0;
  if (!ascii(t->host)) { /* its A-label is the library's to work out */
    for (size_t i = 0; i < s->npins; i++) v[n++] = s->pins[i];
    *out = v;
    return 0;
  }
  char key[1100];
  snprintf(key, sizeof(key), "%s:%u", t->host, t->port);
  char *lk = lower_prefix(key, strlen(key));
  if (!lk) {
    free(v);
    return -1;
  }
  pin_t probe = {lk, NULL};
  pin_t *hit = s->nindexed ? bsearch(&probe, s->pin_index, s->nindexed,
                                     sizeof(*hit), pin_cmp)
                           : NULL;
  if (hit) {
    while (hit > s->pin_index && !strcmp(hit[-1].key, lk)) hit--;
    for (; hit < s->pin_index + s->nindexed && !strcmp(hit->key, lk); hit++)
      v[n++] = hit->spec;
  }
  free(lk);
  for (size_t i = 0; i < s->nother; i++) v[n++] = s->pin_other[i];
  if (n) *out = v;
  else free(v);
  return 0;
}

/* ---- output ------------------------------------------------------------ */

static void target_name(const td_target_t *t, char *buf, size_t n) {
  snprintf(buf, n, strchr(t->host, ':') ? "[%s]:%u" : "%s:%u", t->host,
           t->port);
}

/* ---- signals: a flag and a self-pipe; no I/O in the handler ---------- */

static volatile sig_atomic_t got_signal;
/* The sweep the signal handler stops (--jobs above 1). */
static tlsdiag_sweep_t *volatile running_sweep;
static int sig_pipe[2] = {-1, -1};

/* With --jobs, records are written by engine threads while the signal
 * comes to this one: a second signal during a write exits after it. */
static atomic_int writing, exit_pending;

static void exit_now(int sig) {
  const char *tmp = td_cli_output_tmp();
  if (tmp) unlink(tmp);
  _exit(128 + sig);
}

static void on_signal(int sig) {
  if (got_signal) { /* the second: at once, between two records (they are
                       written with the signals blocked on their thread) */
    atomic_store(&exit_pending, sig);
    if (!atomic_load(&writing)) exit_now(sig);
    return; /* the writer exits when its record is whole */
  }
  got_signal = sig;
  tlsdiag_sweep_t *sw = running_sweep;
  if (sw) tlsdiag_sweep_stop(sw); /* async-signal-safe: sets a flag */
  int e = errno;
  if (sig_pipe[1] >= 0) {
    ssize_t k = write(sig_pipe[1], "", 1);
    (void)k;
  }
  errno = e;
}

static int signals_install(void) {
  if (pipe(sig_pipe) != 0) return -1;
  for (int i = 0; i < 2; i++) {
    fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
    fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
  }
  td_cli_on_signals(on_signal, 0);
  return 0;
}

static void signals_restore(void) {
  td_cli_on_signals(SIG_DFL, 0);
  for (int i = 0; i < 2; i++)
    if (sig_pipe[i] >= 0) close(sig_pipe[i]);
  sig_pipe[0] = sig_pipe[1] = -1;
}

/* Output is written with SIGINT and SIGTERM blocked, so that a signal
 * (even the second, which exits at once) falls between two records. */
static void block_signals(int block, sigset_t *old) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (block) pthread_sigmask(SIG_BLOCK, &set, old);
  else pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Writes one whole record (or report) and flushes it: a consumer sees each
 * record as its check ends. */
static void write_out(sweep_t *s, const char *p, size_t n) {
  if (s->write_failed) return;
  sigset_t old;
  block_signals(1, &old);
  atomic_store(&writing, 1);
  if (atomic_load(&exit_pending)) exit_now(atomic_load(&exit_pending));
  if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0) {
    fprintf(stderr, "tlsdiag sweep: cannot write the output: %s\n",
            strerror(errno));
    s->write_failed = 1;
  }
  atomic_store(&writing, 0);
  if (atomic_load(&exit_pending)) exit_now(atomic_load(&exit_pending));
  block_signals(0, &old);
}

/* One record composed in memory and written whole (write_out): a line
 * is never cut, whatever signal comes. */
typedef struct {
  FILE *f;
  char *buf;
  size_t len;
} rec_t;

/* The stream to compose in, or NULL (out of memory: the output failed). */
static FILE *rec_open(sweep_t *s, rec_t *r) {
  r->buf = NULL;
  r->len = 0;
  if (!(r->f = open_memstream(&r->buf, &r->len))) s->write_failed = 1;
  return r->f;
}

static void rec_write(sweep_t *s, rec_t *r) {
  if (fclose(r->f) == 0) write_out(s, r->buf, r->len);
  else s->write_failed = 1;
  free(r->buf);
}

static void progress(sweep_t *s, int final) {
  if (!s->progress) return;
  int64_t t = now_ms();
  if (!final && t - s->last_progress_ms < 200) return;
  s->last_progress_ms = t;
  if (final) {
    fputs("\r\033[K", stderr);
    return;
  }
  double el = (double)(t - s->t0_ms) / 1000.0;
  fprintf(stderr, "\r\033[Ksweep: %zu/%zu done, %zu failed, %.0f/s",
          s->ndone, s->list.n, s->nfailed, el > 0 ? (double)s->ndone / el : 0);
  fflush(stderr);
}

static void on_result(tlsdiag_result_t *r, void *user, void *cb_data) {
  sweep_t *s = cb_data;
  outcome_t *o = &s->out[(size_t)(uintptr_t)user];
  o->done = 1;
  s->ndone++;
  if (!r) { /* the library ran out of memory for this one */
    o->cause = TLSDIAG_CAUSE_TCP_FAILURE;
    s->nfailed++;
    return;
  }
  o->ok = tlsdiag_result_ok(r);
  o->cause = tlsdiag_result_cause(r);
  o->has_expiry = tlsdiag_result_expiry(r, TLSDIAG_EXPIRY_PATH, &o->not_after,
                                        &o->days_left);
  if (!o->ok) s->nfailed++;
  int keep = s->expiring ? o->has_expiry && o->days_left < s->expiring_days
                         : s->fmt != OUT_JSON;
  if (keep) {
    o->kept = r;
  } else {
    if (!s->expiring && s->fmt == OUT_JSON) {
      char *json = NULL;
      size_t len = 0;
      if (tlsdiag_result_format(r, TLSDIAG_FORMAT_JSON, 0, &json, &len) == 0)
        write_out(s, json, len);
      tlsdiag_free(json);
    }
    tlsdiag_result_free(r);
  }
  progress(s, 0);
}

typedef struct {
  int64_t not_after;
  size_t idx;
} expiry_t;

static int expiry_cmp(const void *a, const void *b) {
  const expiry_t *x = a, *y = b;
  if (x->not_after != y->not_after) return x->not_after < y->not_after ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Indices of the targets with an expiry, soonest first (input order among
 * equal dates). */
static size_t *by_expiry(const sweep_t *s, size_t *count) {
  expiry_t *e = malloc((s->list.n + 1) * sizeof(*e));
  size_t *idx = malloc((s->list.n + 1) * sizeof(*idx)), n = 0;
  if (!e || !idx) {
    free(e);
    free(idx);
    *count = 0;
    return NULL;
  }
  for (size_t i = 0; i < s->list.n; i++)
    if (s->out[i].has_expiry) {
      e[n].not_after = s->out[i].not_after;
      e[n++].idx = i;
    }
  qsort(e, n, sizeof(*e), expiry_cmp);
  for (size_t i = 0; i < n; i++) idx[i] = e[i].idx;
  free(e);
  *count = n;
  return idx;
}

/* {"summary": ...}, one line, written whole. */
static void summary_record(sweep_t *s, double elapsed, const size_t *causes,
                           const size_t *soon, size_t nexp) {
  char name[1100];
  rec_t rec;
  FILE *f = rec_open(s, &rec);
  if (!f) return;
  fprintf(f, "{\"summary\":{\"schema\":\"tlsdiag-sweep/1\",\"targets\":%zu,"
           "\"ok\":%zu,\"failed\":%zu,\"bad_lines\":%zu,\"duplicates\":%zu,"
           "\"elapsed_s\":%.3f,",
           s->ndone, s->ndone - s->nfailed, s->nfailed, s->list.bad,
           s->list.duplicates, elapsed);
    if (s->signal)
      fprintf(f, "\"cancelled\":%zu,\"interrupted_by\":\"%s\",",
              s->ncancelled, s->signal == SIGINT ? "SIGINT" : "SIGTERM");
    fputs("\"causes\":{", f);
    const char *sep = "";
    for (int c = 0; c < TLSDIAG_CAUSE_COUNT_; c++)
      if (causes[c]) {
        fprintf(f, "%s\"%s\":%zu", sep, tlsdiag_cause_name((tlsdiag_cause_t)c),
               causes[c]);
        sep = ",";
      }
    fputs("},\"soonest_expiries\":[", f);
    for (size_t i = 0; soon && i < nexp; i++) {
      const td_target_t *t = &s->list.v[soon[i]];
      target_name(t, name, sizeof(name));
      fputs(i ? ",{\"target\":" : "{\"target\":", f);
      td_cli_json_string(f, name);
      fputs(",\"sni\":", f);
      if (t->sni) td_cli_json_string(f, t->sni);
      else fputs("null", f);
      /* times are ISO 8601 everywhere (docs/json-schema.md) */
      char iso[32];
      time_t na = (time_t)s->out[soon[i]].not_after;
      struct tm tm;
      if (!gmtime_r(&na, &tm) ||
          !strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(iso, sizeof(iso), "1970-01-01T00:00:00Z");
      fprintf(f, ",\"days_left\":%lld,\"not_after\":\"%s\"}",
              (long long)s->out[soon[i]].days_left, iso);
    }
    fputs("]}}\n", f);
  rec_write(s, &rec);
}

static void summary(sweep_t *s, double elapsed) {
  size_t causes[TLSDIAG_CAUSE_COUNT_ + 1];
  memset(causes, 0, sizeof(causes));
  for (size_t i = 0; i < s->list.n; i++)
    if (s->out[i].done && s->out[i].cause < TLSDIAG_CAUSE_COUNT_)
      causes[s->out[i].cause]++;
  size_t nexp = 0;
  size_t *soon = by_expiry(s, &nexp);
  if (nexp > SOONEST_SHOWN) nexp = SOONEST_SHOWN;
  char name[1100];
  if (!s->quiet) {
    fprintf(stderr,
            "tlsdiag sweep: %zu target%s in %.2f s (%.0f/s): %zu ok, %zu "
            "failed; %zu bad line%s, %zu duplicate%s\n",
            s->ndone, s->ndone == 1 ? "" : "s", elapsed,
            elapsed > 0 ? (double)s->ndone / elapsed : 0.0,
            s->ndone - s->nfailed, s->nfailed, s->list.bad,
            s->list.bad == 1 ? "" : "s", s->list.duplicates,
            s->list.duplicates == 1 ? "" : "s");
    if (s->signal)
      fprintf(stderr, "  interrupted by %s: %zu check%s cancelled\n",
              s->signal == SIGINT ? "SIGINT" : "SIGTERM", s->ncancelled,
              s->ncancelled == 1 ? "" : "s");
    fputs("  causes:", stderr);
    for (int c = 0; c < TLSDIAG_CAUSE_COUNT_; c++)
      if (causes[c])
        fprintf(stderr, " %s %zu", tlsdiag_cause_name((tlsdiag_cause_t)c),
                causes[c]);
    fputc('\n', stderr);
    if (nexp) fputs("  soonest expiries:\n", stderr);
    for (size_t i = 0; soon && i < nexp; i++) {
      const outcome_t *o = &s->out[soon[i]];
      target_name(&s->list.v[soon[i]], name, sizeof(name));
      fprintf(stderr, "    %6lld days  %s\n", (long long)o->days_left, name);
    }
  }
  if (s->summary_record && s->fmt == OUT_JSON)
    summary_record(s, elapsed, causes, soon, nexp);
  free(soon);
}


/* ---- nagios expiry check (--expiring-within with --format nagios) ------ */

enum { N_OK = 0, N_WARNING = 1, N_CRITICAL = 2, N_UNKNOWN = 3 };
static const char *const nagios_names[] = {"OK", "WARNING", "CRITICAL",
                                           "UNKNOWN"};

/* One target's state in the expiry check: by its days to expiry, or (no
 * certificate seen) by its cause: a resolver failure is the monitoring's
 * own problem (UNKNOWN), any other is the target's (CRITICAL). */
static int expiry_state(const sweep_t *s, const outcome_t *o) {
  if (o->has_expiry) {
    if (o->days_left < 0 || o->days_left < s->crit) return N_CRITICAL;
    return o->days_left < s->warn ? N_WARNING : N_OK;
  }
  if (o->cause == TLSDIAG_CAUSE_DNS_TIMEOUT ||
      o->cause == TLSDIAG_CAUSE_DNS_FAILURE)
    return N_UNKNOWN;
  return N_CRITICAL;
}

/* "expired 3 days ago (2026-...)" or "expires in 9 days (2026-...)". */
static void days_text(FILE *f, const outcome_t *o) {
  char iso[32] = "?";
  time_t t = (time_t)o->not_after;
  struct tm tm;
  if (gmtime_r(&t, &tm)) strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
  long long d = (long long)o->days_left;
  if (d < 0)
    fprintf(f, "expired %lld day%s ago (%s)", -d, d == -1 ? "" : "s", iso);
  else
    fprintf(f, "expires in %lld day%s (%s)", d, d == 1 ? "" : "s", iso);
}

/* The plugin output: a status line with perfdata, then one line per
 * target that is not OK, worst first. Returns the state. */
static int expiry_nagios(sweep_t *s, FILE *f) {
  size_t count[4] = {0, 0, 0, 0}, n = 0, unreachable = 0;
  size_t causes[TLSDIAG_CAUSE_COUNT_ + 1];
  memset(causes, 0, sizeof(causes));
  const outcome_t *soon = NULL;
  size_t soon_i = 0;
  int worst = N_OK;
  static const int rank[] = {0, 1, 3, 2}; /* CRITICAL > UNKNOWN > WARNING */
  for (size_t i = 0; i < s->list.n; i++) {
    const outcome_t *o = &s->out[i];
    if (!o->done) continue;
    n++;
    int st = expiry_state(s, o);
    count[st]++;
    if (rank[st] > rank[worst]) worst = st;
    if (!o->has_expiry) {
      unreachable++;
      if (o->cause < TLSDIAG_CAUSE_COUNT_) causes[o->cause]++;
    } else if (!soon || o->not_after < soon->not_after) {
      soon = o;
      soon_i = i;
    }
  }
  if (n == 0) worst = N_UNKNOWN;
  char name[1100];
  fprintf(f, "TLSDIAG %s - %zu target%s", nagios_names[worst], n,
          n == 1 ? "" : "s");
  if (count[N_OK] == n && n)
    fprintf(f, ", none expiring within %d days", s->warn);
  else if (n)
    fprintf(f, ": %zu CRITICAL, %zu UNKNOWN, %zu WARNING, %zu OK",
            count[N_CRITICAL], count[N_UNKNOWN], count[N_WARNING],
            count[N_OK]);
  if (unreachable) {
    fprintf(f, "; %zu unreachable (", unreachable);
    const char *sep = "";
    for (int c = 0; c < TLSDIAG_CAUSE_COUNT_; c++)
      if (causes[c]) {
        fprintf(f, "%s%s %zu", sep, tlsdiag_cause_name((tlsdiag_cause_t)c),
                causes[c]);
        sep = ", ";
      }
    fputc(')', f);
  }
  if (soon) {
    target_name(&s->list.v[soon_i], name, sizeof(name));
    fprintf(f, "; soonest: %s ", name);
    days_text(f, soon);
  }
  /* perfdata in the plugin guidelines' grammar, as a single check writes
   * it (lib/monitor.c perf_days): 'days'=N;W:;C:, the ranges alerting
   * below the thresholds; counts are never negative. */
  fputs(" |", f);
  if (soon) fprintf(f, " 'days'=%lld;%d:;%d:", (long long)soon->days_left,
                    s->warn, s->crit);
  fprintf(f, " 'targets'=%zu;;;0 'unreachable'=%zu;;;0\n", n, unreachable);
  static const int order[] = {N_CRITICAL, N_UNKNOWN, N_WARNING};
  for (size_t k = 0; k < 3; k++)
    for (size_t i = 0; i < s->list.n; i++) {
      const outcome_t *o = &s->out[i];
      if (!o->done || expiry_state(s, o) != order[k]) continue;
      target_name(&s->list.v[i], name, sizeof(name));
      fprintf(f, "%s - %s ", nagios_names[order[k]], name);
      if (o->has_expiry) days_text(f, o);
      else fprintf(f, "unreachable: %s", tlsdiag_cause_name(o->cause));
      fputc('\n', f);
    }
  return worst;
}

/* An interrupted nagios report starts with an UNKNOWN status line (a
 * monitor must not read a partial sweep as the fleet's state; the report of
 * what finished follows as long output): NAGIOS_UNKNOWN, or state. */
static int nagios_interrupted(sweep_t *s, int state) {
  if (!s->signal || s->fmt != OUT_NAGIOS) return state;
  char line[160];
  int n = snprintf(line, sizeof(line),
                   "TLSDIAG UNKNOWN - sweep interrupted by %s after %zu of "
                   "%zu targets\n",
                   s->signal == SIGINT ? "SIGINT" : "SIGTERM", s->ndone,
                   s->list.n);
  if (n > 0) write_out(s, line, (size_t)n < sizeof(line) ? (size_t)n : 0);
  return NAGIOS_UNKNOWN;
}

/* Bad lines in a nagios report: nothing of stderr reaches the monitor,
 * so the report says it. Unless the state is CRITICAL already, it becomes
 * UNKNOWN (the plugin guidelines' state for invalid input) and this is the
 * status line, written before the report (first = 1), whose own status
 * line then reads as long output; else it is a long-output line after the
 * report (first = 0), as it is after an interruption's status line.
 * Returns the state. */
static int nagios_bad_lines(sweep_t *s, int state, int first) {
  if (!s->list.bad || s->fmt != OUT_NAGIOS) return state;
  int lead = state != 2 && !s->signal;
  if (first == lead) {
    char line[600];
    int n = snprintf(line, sizeof(line),
                     "%s - %zu bad line%s in the target list, not checked "
                     "(%s:%zu: %s)\n",
                     lead ? "TLSDIAG UNKNOWN" : "UNKNOWN", s->list.bad,
                     s->list.bad == 1 ? "" : "s",
                     s->list_name ? s->list_name : "-", s->list.first_bad,
                     s->list.first_bad_why);
    if (n > 0)
      write_out(s, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
  }
  return state == 2 ? state : NAGIOS_UNKNOWN;
}

/* The sweep-level gauges ending a prometheus report, complete or not, so a
 * textfile collector's alert can tell an interrupted sweep (docs/sweep.md). */
static void prometheus_sweep(sweep_t *s) {
  char buf[1024];
  int n = snprintf(
      buf, sizeof(buf),
      "# HELP tlsdiag_sweep_complete 1 if the sweep checked every target, 0 "
      "if a signal interrupted it.\n"
      "# TYPE tlsdiag_sweep_complete gauge\n"
      "tlsdiag_sweep_complete %d\n"
      "# HELP tlsdiag_sweep_targets Targets the sweep had to check.\n"
      "# TYPE tlsdiag_sweep_targets gauge\n"
      "tlsdiag_sweep_targets %zu\n"
      "# HELP tlsdiag_sweep_checked_targets Targets whose check finished (and "
      "is reported above).\n"
      "# TYPE tlsdiag_sweep_checked_targets gauge\n"
      "tlsdiag_sweep_checked_targets %zu\n"
      "# HELP tlsdiag_sweep_cancelled_targets Targets whose check a signal "
      "cancelled or kept from starting.\n"
      "# TYPE tlsdiag_sweep_cancelled_targets gauge\n"
      "tlsdiag_sweep_cancelled_targets %zu\n"
      "# HELP tlsdiag_sweep_bad_lines Lines of the target list that are not a "
      "valid target, not checked (stderr names them).\n"
      "# TYPE tlsdiag_sweep_bad_lines gauge\n"
      "tlsdiag_sweep_bad_lines %zu\n",
      s->signal ? 0 : 1, s->list.n - s->nrejected, s->ndone, s->ncancelled,
      s->list.bad);
  if (n > 0 && (size_t)n < sizeof(buf)) write_out(s, buf, (size_t)n);
}

/* Reports written once every check is done (or a signal stopped the
 * sweep): the kept results in target order, or soonest expiry first with
 * --expiring-within. */
static int final_report(sweep_t *s) {
  if (s->expiring && s->fmt == OUT_NAGIOS) {
    rec_t rec;
    FILE *f = rec_open(s, &rec);
    if (!f) return td_cli_error("out of memory"), SETUP_FAILED;
    int state = expiry_nagios(s, f);
    int st = nagios_interrupted(s, state);
    st = nagios_bad_lines(s, st, 1);
    rec_write(s, &rec);
    return nagios_bad_lines(s, st, 0);
  }
  size_t n = 0, cap = s->list.n + 1;
  const tlsdiag_result_t **rs = malloc(cap * sizeof(*rs));
  size_t *order = NULL;
  if (!rs) {
    td_cli_error("out of memory");
    return SETUP_FAILED;
  }
  if (s->expiring) {
    size_t k = 0;
    order = by_expiry(s, &k);
    for (size_t i = 0; order && i < k; i++)
      if (s->out[order[i]].kept) rs[n++] = s->out[order[i]].kept;
  } else {
    for (size_t i = 0; i < s->list.n; i++)
      if (s->out[i].kept) rs[n++] = s->out[i].kept;
  }
  free(order);
  tlsdiag_format_t f = s->fmt == OUT_NAGIOS       ? TLSDIAG_FORMAT_NAGIOS
                       : s->fmt == OUT_PROMETHEUS ? TLSDIAG_FORMAT_PROMETHEUS
                                                  : TLSDIAG_FORMAT_JSON;
  char *text = NULL;
  size_t len = 0;
  int state = tlsdiag_results_nagios_state(rs, n);
  tlsdiag_err_t err = tlsdiag_results_format(rs, n, f, 0, &text, &len);
  free(rs);
  if (err) {
    td_cli_error("%s", tlsdiag_strerror(err));
    return SETUP_FAILED;
  }
  state = nagios_interrupted(s, state);
  state = nagios_bad_lines(s, state, 1);
  write_out(s, text, len);
  tlsdiag_free(text);
  state = nagios_bad_lines(s, state, 0);
  if (s->fmt == OUT_PROMETHEUS) prometheus_sweep(s);
  return state;
}

/* ---- running ----------------------------------------------------------- */

/* Enough descriptors for the concurrency (a socket each, more while a
 * lookup runs): the soft limit is raised to the hard one when needed, and
 * the concurrency lowered if even that is too small. */
static void fd_limit(sweep_t *s) {
  struct rlimit rl;
  rlim_t need = (rlim_t)s->concurrency * 2 + 32;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need) return;
  rlim_t soft = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0) soft = rl.rlim_max;
  }
  if (soft >= need) return;
  unsigned c = soft > 64 + 32 ? (unsigned)((soft - 32) / 2) : 32;
  fprintf(stderr,
          "tlsdiag sweep: only %llu file descriptors allowed: concurrency "
          "lowered from %u to %u\n",
          (unsigned long long)soft, s->concurrency, c);
  s->concurrency = c;
}

/* Queues every target; SETUP_FAILED (after a message) when the options
 * themselves are wrong, else 0. */
typedef tlsdiag_err_t (*add_fn)(void *h, const char *host,
                                const tlsdiag_options_t *o, void *user);

static tlsdiag_err_t add_multi(void *h, const char *host,
                               const tlsdiag_options_t *o, void *user) {
  return tlsdiag_multi_add(h, host, o, user);
}

static tlsdiag_err_t add_sweep(void *h, const char *host,
                               const tlsdiag_options_t *o, void *user) {
  return tlsdiag_sweep_add(h, host, o, user);
}

static int bad_line_cmp(const void *a, const void *b) {
  const td_bad_line_t *x = a, *y = b;
  return x->line < y->line ? -1 : x->line > y->line;
}

/* JSON Lines: a record for each bad line, in line order, before any check
 * ends, so that the output accounts for every line of the list (stderr
 * may be gone: cron, a pipe). Once per line across the shards of one list
 * (a line that is no target by its number, a refused target by its
 * shard) and across --resume runs (the file's own records). */
static void bad_line_records(sweep_t *s) {
  if (s->fmt != OUT_JSON || s->list.nbadv == 0) return;
  qsort(s->list.badv, s->list.nbadv, sizeof(*s->list.badv), bad_line_cmp);
  for (size_t i = 0; i < s->list.nbadv && !s->write_failed; i++) {
    const td_bad_line_t *b = &s->list.badv[i];
    if ((!b->refused && s->shard_n &&
         !td_bad_line_in_shard(b->line, s->shard_k, s->shard_n)) ||
        td_cli_resume_has_bad(&s->resumed, b->line))
      continue;
    rec_t rec;
    FILE *f = rec_open(s, &rec);
    if (!f) return;
    fprintf(f, "{\"schema\":\"tlsdiag-sweep/1\",\"record\":\"bad_line\","
               "\"line\":%zu,\"input\":", b->line);
    td_cli_json_string(f, b->input);
    fputs(",\"ok\":false,\"cause\":\"bad_line\",\"message\":", f);
    td_cli_json_string(f, b->why);
    fputs("}\n", f);
    rec_write(s, &rec);
  }
}

static int add_all(sweep_t *s, add_fn add, void *h, const char *name) {
  for (size_t i = 0; i < s->list.n; i++) {
    const td_target_t *t = &s->list.v[i];
    tlsdiag_options_t o = s->base;
    o.port = t->port;
    o.sni = t->sni;
    const char **pins = NULL;
    if (pins_for(s, t, &pins)) {
      td_cli_error("out of memory");
      return SETUP_FAILED;
    }
    o.resolve = pins;
    if (t->path) o.http_path = t->path; /* a URL target's own path */
    tlsdiag_err_t err = add(h, t->host, &o, (void *)(uintptr_t)i);
    s->out[i].queued = err == TLSDIAG_OK;
    free(pins);
    if (err == TLSDIAG_E_CAFILE) {
      td_cli_trust_error(&o);
      return SETUP_FAILED;
    }
    if (err && err != TLSDIAG_E_HOST && err != TLSDIAG_E_PORT) {
      td_cli_error("%s", tlsdiag_strerror(err));
      return SETUP_FAILED;
    }
    if (err) { /* this target only: a bad host name */
      char q[330], why[400], tname[1100];
      td_target_quote(q, sizeof(q), t->host, 80);
      snprintf(why, sizeof(why), "'%s': %s", q, tlsdiag_strerror(err));
      fprintf(stderr, "tlsdiag sweep: %s:%zu: %s; line skipped\n", name,
              t->line, why);
      target_name(t, tname, sizeof(tname));
      size_t kept = s->list.nbadv;
      td_targets_bad(&s->list, t->line, why, tname);
      if (s->list.nbadv > kept) s->list.badv[kept].refused = 1;
      s->nrejected++;
      s->out[i].done = 0;
    }
  }
  bad_line_records(s);
  return 0;
}

static int open_input(const char *file, FILE **in) {
  struct stat st;
  if (!strcmp(file, "-")) *in = stdin;
  else if (stat(file, &st) != 0)
    td_cli_error("cannot open '%s': %s", file, strerror(errno));
  else if (S_ISDIR(st.st_mode))
    td_cli_error("'%s' is a directory, not a target list", file);
  else if (!(*in = fopen(file, "r")))
    td_cli_error("cannot open '%s': %s", file, strerror(errno));
  return *in ? 0 : SETUP_FAILED;
}

/* The options every target shares, checked once before any target is read:
 * queued on a scratch handle with all the pins (adding only queues). A bad
 * pin or DNS server is one usage error, not one per target. */
static int options_ok(const sweep_t *s) {
  tlsdiag_multi_t *m = NULL;
  tlsdiag_options_t o = s->base;
  const char **pins = calloc(s->npins + 1, sizeof(*pins));
  tlsdiag_err_t err = pins ? tlsdiag_multi_new(1, on_result, NULL, &m)
                           : TLSDIAG_E_NOMEM;
  if (!err) {
    if (s->npins) memcpy(pins, s->pins, s->npins * sizeof(*pins));
    o.resolve = pins;
    err = tlsdiag_multi_add(m, "localhost", &o, NULL);
  }
  tlsdiag_multi_free(m);
  if (err == TLSDIAG_E_CAFILE) td_cli_trust_error(&o); /* o.resolve: pins */
  else if (err) td_cli_error("%s", tlsdiag_strerror(err));
  free(pins);
  return err ? SETUP_FAILED : 0;
}

/* tlsdiag_multi_run with the self-pipe in the poll set: returns at the
 * first signal, the checks still in flight left in m. */
static tlsdiag_err_t run_loop(tlsdiag_multi_t *m) {
  size_t cap = 64;
  struct pollfd *pfd = malloc(cap * sizeof(*pfd));
  tlsdiag_err_t err = pfd ? TLSDIAG_OK : TLSDIAG_E_NOMEM;
  while (!err && !got_signal && tlsdiag_multi_pending(m)) {
    size_t n = tlsdiag_multi_fds(m, pfd + 1, cap - 1);
    if (n == cap - 1) { /* perhaps more: grow and ask again */
      struct pollfd *p = realloc(pfd, cap * 2 * sizeof(*p));
      if (!p) err = TLSDIAG_E_NOMEM;
      else pfd = p, cap *= 2;
      continue;
    }
    pfd[0].fd = sig_pipe[0];
    pfd[0].events = POLLIN;
    pfd[0].revents = 0;
    int timeout = tlsdiag_multi_timeout_ms(m);
    int rc = poll(pfd, (nfds_t)n + 1, timeout);
    if (got_signal) break;
    if (rc < 0 && errno != EINTR && errno != EAGAIN)
      poll(NULL, 0, timeout < 0 || timeout > 50 ? 50 : timeout);
    err = tlsdiag_multi_process(m, pfd + 1, rc > 0 ? n : 0);
  }
  free(pfd);
  return err;
}

/* A record for each target whose check did not finish: JSON, one line,
 * written whole; "cause": "cancelled" is the user's doing, never the
 * server's. */
static void cancelled_records(sweep_t *s) {
  char name[1100];
  for (size_t i = 0; i < s->list.n; i++) {
    const outcome_t *o = &s->out[i];
    if (!o->queued || o->done) continue;
    s->ncancelled++;
    if (s->fmt != OUT_JSON) continue;
    const td_target_t *t = &s->list.v[i];
    rec_t rec;
    FILE *f = rec_open(s, &rec);
    if (!f) return;
    target_name(t, name, sizeof(name));
    td_cli_cancelled_json(f, t->host, t->port, t->sni, name, s->signal);
    rec_write(s, &rec);
  }
}

/* --resume: drops the targets the file has a record for (a cut last line
 * is removed from it), then sends the output to the end of the file. */
static int skip_resumed(sweep_t *s) {
  td_cli_resume_t done;
  if (td_cli_resume_load(s->resume, &done)) return -1;
  size_t k = 0;
  for (size_t i = 0; i < s->list.n; i++) {
    td_target_t t = s->list.v[i];
    if (!td_cli_resume_has(&done, &t)) {
      s->list.v[k++] = t;
      continue;
    }
    s->nresumed++;
    tlsdiag_free(t.host);
    free(t.sni);
    free(t.key);
    free(t.path);
  }
  s->list.n = k;
  if (!s->quiet)
    fprintf(stderr, "tlsdiag sweep: --resume %s: %zu target%s already "
            "recorded%s, %zu to check\n", s->resume, s->nresumed,
            s->nresumed == 1 ? "" : "s",
            done.cut ? " (a cut last line removed)" : "", k);
  s->resumed.bad = done.bad; /* kept for bad_line_records */
  s->resumed.nbad = done.nbad;
  done.bad = NULL;
  td_cli_resume_free(&done);
  if (!freopen(s->resume, "a", stdout)) {
    td_cli_error("cannot append to '%s': %s", s->resume, strerror(errno));
    return -1;
  }
  return 0;
}

/* Reads the list (and keeps this shard): 0, or SETUP_FAILED. */
static int read_list(sweep_t *s, const char *file) {
  FILE *in = NULL;
  if (options_ok(s) || open_input(file, &in)) return SETUP_FAILED;
  const char *name = strcmp(file, "-") ? file : "<stdin>";
  int rc = td_targets_read(in, name, &s->list, stderr);
  if (in != stdin) fclose(in);
  if (rc) return SETUP_FAILED;
  if (s->shard_n) { /* keep this shard's targets, in input order */
    size_t k = 0;
    for (size_t i = 0; i < s->list.n; i++) {
      td_target_t t = s->list.v[i];
      if (td_target_in_shard(&t, s->shard_k, s->shard_n)) s->list.v[k++] = t;
      else {
        tlsdiag_free(t.host);
        free(t.sni);
        free(t.key);
        free(t.path);
      }
    }
    s->list.n = k;
  }
  if (s->resume && skip_resumed(s)) return SETUP_FAILED;
  s->out = calloc(s->list.n + 1, sizeof(*s->out));
  if (index_pins(s) || !s->out) {
    td_cli_error("out of memory");
    return SETUP_FAILED;
  }
  return 0;
}

/* One engine on this thread: the multi handle, the self-pipe in its poll
 * set. 0, or SETUP_FAILED. */
static int run_one(sweep_t *s, const char *name) {
  tlsdiag_multi_t *m = NULL;
  tlsdiag_err_t err = tlsdiag_multi_new(s->concurrency, on_result, s, &m);
  if (!err) err = tlsdiag_multi_set_limits(m, s->per_ip, s->rate);
  if (!err && s->dns_ahead >= 0)
    err = tlsdiag_multi_set_dns_ahead(m, (unsigned)s->dns_ahead);
  if (err) {
    tlsdiag_multi_free(m);
    td_cli_error("%s", tlsdiag_strerror(err));
    return SETUP_FAILED;
  }
  s->t0_ms = now_ms();
  int rc = add_all(s, add_multi, m, name);
  if (rc == 0 && (err = run_loop(m))) {
    td_cli_error("%s", tlsdiag_strerror(err));
    rc = SETUP_FAILED;
  }
  /* Freeing the handle ends the checks still in flight at once. */
  tlsdiag_multi_free(m);
  return rc;
}

/* --jobs N engines on N threads (the library's); this thread waits, and
 * its signal handler stops them. The concurrency is split between them.
 * 0, or SETUP_FAILED. */
static int run_jobs(sweep_t *s, unsigned jobs, const char *name) {
  tlsdiag_sweep_t *sw = NULL;
  unsigned each = (s->concurrency + jobs - 1) / jobs;
  tlsdiag_err_t err = tlsdiag_sweep_new(jobs, each, s->per_ip, s->rate,
                                        on_result, s, &sw);
  if (!err && s->dns_ahead >= 0)
    err = tlsdiag_sweep_set_dns_ahead(sw, (unsigned)s->dns_ahead);
  if (err) {
    tlsdiag_sweep_free(sw);
    td_cli_error("%s", tlsdiag_strerror(err));
    return SETUP_FAILED;
  }
  s->t0_ms = now_ms();
  int rc = add_all(s, add_sweep, sw, name);
  if (rc == 0) {
    running_sweep = sw;
    if (got_signal) tlsdiag_sweep_stop(sw); /* came while adding */
    err = tlsdiag_sweep_run(sw);
    running_sweep = NULL;
    if (err) {
      td_cli_error("%s", tlsdiag_strerror(err));
      rc = SETUP_FAILED;
    }
  }
  tlsdiag_sweep_free(sw);
  return rc;
}

/* The engines to run: --jobs, else one per processor, never more than
 * the concurrency or the targets. */
static unsigned jobs_for(const sweep_t *s) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned j = s->jobs ? s->jobs : cores > 0 ? (unsigned)cores : 1;
  if (j > s->concurrency) j = s->concurrency;
  if (j > s->list.n) j = s->list.n ? (unsigned)s->list.n : 1;
  return j;
}

/* Every target through the engines until done or a signal; then the
 * cancelled records. 0, or SETUP_FAILED. */
static int run_all(sweep_t *s, const char *name) {
  s->list_name = name;
  fd_limit(s);
  unsigned jobs = jobs_for(s);
  int rc = jobs > 1 ? run_jobs(s, jobs, name) : run_one(s, name);
  progress(s, 1);
  s->signal = got_signal;
  if (rc == 0 && s->signal) cancelled_records(s);
  return rc;
}

/* The exit status of a sweep that ran. */
static int exit_status(const sweep_t *s, int state, size_t listed) {
  if (s->write_failed) return SETUP_FAILED;
  /* Nagios takes any status but 0-3 as "out of bounds" and drops the
   * plugin's text; its UNKNOWN status line says interrupted already. */
  if (s->signal) return s->fmt == OUT_NAGIOS ? NAGIOS_UNKNOWN : 128 + s->signal;
  if (s->fmt == OUT_NAGIOS) {
    if (s->list.bad && state != 2) state = NAGIOS_UNKNOWN;
    return state;
  }
  /* Bad input lines are the user's to fix (issue 4: input errors exit 1),
   * even though every valid target was still checked and reported. */
  if (s->list.bad) return TD_EXIT_USAGE;
  if (s->nfailed || (s->expiring && listed)) return TD_EXIT_FAIL;
  return TD_EXIT_OK;
}

/* Runs the sweep; returns the exit status, or SETUP_FAILED. With -o the
 * output file is replaced once the sweep has run, whatever it found; a
 * setup error before any check leaves it as it was. */
static int sweep(sweep_t *s, const char *file, const char *hsts_path,
                 const char *output) {
  int rc = read_list(s, file);
  if (rc) return rc;
  struct tlsdiag_hsts *hsts = NULL;
  if (td_cli_hsts_load(hsts_path, &hsts) != 0) return SETUP_FAILED;
  s->base.hsts = hsts;
  td_cli_output_t w;
  if (signals_install() != 0 ||
      (output && td_cli_output_open(&w, output) != 0)) {
    signals_restore();
    tlsdiag_hsts_free(hsts);
    return SETUP_FAILED;
  }
  const char *name = strcmp(file, "-") ? file : "<stdin>";
  rc = run_all(s, name);
  tlsdiag_hsts_free(hsts);
  int state = 0;
  size_t listed = 0;
  if (rc == 0) {
    double elapsed = (double)(now_ms() - s->t0_ms) / 1000.0;
    for (size_t i = 0; i < s->list.n; i++) listed += s->out[i].kept != NULL;
    if (s->fmt != OUT_JSON || s->expiring) state = final_report(s);
    if (state != SETUP_FAILED) summary(s, elapsed);
    else rc = SETUP_FAILED;
  }
  /* An interrupted report replaces the file too, saying so (JSON:
   * cancelled records; nagios: UNKNOWN; prometheus: tlsdiag_sweep_complete
   * 0): old metrics left in place would hide the interruption. */
  int keep = rc == 0;
  if (output && td_cli_output_close(&w, keep) != 0) s->write_failed = 1;
  signals_restore();
  return rc ? rc : exit_status(s, state, listed);
}

int td_cli_sweep(int argc, char **argv) {
  sweep_t s;
  memset(&s, 0, sizeof(s));
  td_cli_opts_t c;
  td_cli_opts_init(&c, TD_C_SWEEP,
                   1u << TLSDIAG_FORMAT_JSON | 1u << TLSDIAG_FORMAT_NAGIOS |
                       1u << TLSDIAG_FORMAT_PROMETHEUS,
                   usage);
  c.fmt = TLSDIAG_FORMAT_JSON;
  s.concurrency = 64;
  s.per_ip = 4;
  s.dns_ahead = -1;
  s.progress = isatty(STDERR_FILENO);
  const char *file = NULL;
  int nagios = 0; /* usage errors are UNKNOWN for a Nagios plugin */
  for (int i = 1; i < argc; i++)
    if ((!strcmp(argv[i], "--format") && i + 1 < argc &&
         !strcmp(argv[i + 1], "nagios")) ||
        !strcmp(argv[i], "--format=nagios"))
      nagios = 1;
  int rc = parse_args(&s, &c, argc, argv, &file);
  if (s.quiet) s.progress = 0;
  if (rc == TD_EXIT_USAGE) rc = SETUP_FAILED;
  if (rc == -1) rc = sweep(&s, file, c.hsts_path, c.output);
  if (rc == SETUP_FAILED) rc = nagios ? NAGIOS_UNKNOWN : TD_EXIT_USAGE;
  for (size_t i = 0; s.out && i < s.list.n; i++)
    tlsdiag_result_free(s.out[i].kept);
  for (size_t i = 0; i < s.nindexed; i++) free(s.pin_index[i].key);
  free(s.pin_index);
  free(s.pin_other);
  td_cli_opts_free(&c); /* s.pins is c.pins */
  free(s.out);
  td_targets_free(&s.list);
  td_cli_resume_free(&s.resumed);
  return rc;
}
