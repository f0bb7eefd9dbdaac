/* sweep.c: `tlsdiag sweep`: many targets at once through the library's
 * multi engine; JSON Lines in completion order, Nagios or Prometheus
 * reports, expiry lists, shards, a summary. Every decision about a target
 * is the library's; this file reads the list, sets options and prints. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "targets.h"
#include "tlsdiag/tlsdiag.h"

#define SOONEST_SHOWN 10
#define NAGIOS_UNKNOWN 3
#define SETUP_FAILED (-2) /* after a message: exit 1 (3 for nagios) */

typedef enum { OUT_JSON, OUT_NAGIOS, OUT_PROMETHEUS } out_fmt_t;

/* What the sweep remembers of each target after its result is gone. */
typedef struct {
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
  int progress;
  unsigned concurrency;
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
  size_t ndone, nfailed, nadd_errors;
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
      "concurrently. One target a line: HOST, HOST:PORT or [V6]:PORT, then\n"
      "optionally sni=NAME; # starts a comment. Bad lines are reported on\n"
      "stderr with their number and skipped; duplicates are checked once.\n"
      "\n"
      "  --format FMT           json (default: JSON Lines in completion order),\n"
      "                         nagios, prometheus; --json is --format json\n"
      "  --concurrency N        checks in flight at once (default 64)\n"
      "  --shard K/N            only the K-th of N stable shares of the list\n"
      "  --expiring-within D    only targets whose certificate path expires in\n"
      "                         fewer than D days (or has expired), soonest first\n"
      "  --summary              JSON: end with a {\"summary\": ...} record\n"
      "  -q, --quiet            no summary or progress line on stderr\n"
      "  --no-progress          no progress line (default: on a terminal)\n"
      "  --cacert FILE, --capath DIR, --resolve H:P:ADDR (repeatable),\n"
      "  --dns-server A[:P],.., --tls-min V, --tls-max V, --connect-timeout S,\n"
      "  --max-time S, --method M, --path P, --now TIME, --warn-days N,\n"
      "  --crit-days N, --clock-skew S, --hsts-list FILE, -4, -6, --no-http,\n"
      "  --no-probe             as for `tlsdiag check`, for every target\n"
      "\n"
      "exit status: 0 every check found no error, 2 a check found an error or\n"
      "(--expiring-within) a target was listed; 1 usage or setup error, or an\n"
      "input line was bad (the other targets are still checked and reported).\n"
      "With --format nagios: the worst state (0 OK, 1 WARNING,\n"
      "2 CRITICAL, 3 UNKNOWN; bad lines count as UNKNOWN, usage errors are 3).\n",
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

enum {
  O_FORMAT = 256, O_JSON, O_CONC, O_SHARD, O_EXPIRING, O_SUMMARY, O_NOPROG,
  O_CACERT, O_CAPATH, O_RESOLVE, O_DNS, O_TLSMIN, O_TLSMAX, O_CTO, O_MAXTIME,
  O_METHOD, O_PATH, O_NOW, O_WARN, O_CRIT, O_SKEW, O_HSTS, O_NOHTTP, O_NOPROBE
};

/* Parses the options into s; returns -1 to continue, or an exit status. */
static int parse_args(sweep_t *s, int argc, char **argv, const char **file,
                      const char **hsts_path) {
  static const struct option longopts[] = {
      {"format", required_argument, 0, O_FORMAT},
      {"json", no_argument, 0, O_JSON},
      {"concurrency", required_argument, 0, O_CONC},
      {"shard", required_argument, 0, O_SHARD},
      {"expiring-within", required_argument, 0, O_EXPIRING},
      {"summary", no_argument, 0, O_SUMMARY},
      {"quiet", no_argument, 0, 'q'},
      {"no-progress", no_argument, 0, O_NOPROG},
      {"cacert", required_argument, 0, O_CACERT},
      {"capath", required_argument, 0, O_CAPATH},
      {"resolve", required_argument, 0, O_RESOLVE},
      {"dns-server", required_argument, 0, O_DNS},
      {"tls-min", required_argument, 0, O_TLSMIN},
      {"tls-max", required_argument, 0, O_TLSMAX},
      {"connect-timeout", required_argument, 0, O_CTO},
      {"max-time", required_argument, 0, O_MAXTIME},
      {"method", required_argument, 0, O_METHOD},
      {"path", required_argument, 0, O_PATH},
      {"now", required_argument, 0, O_NOW},
      {"warn-days", required_argument, 0, O_WARN},
      {"crit-days", required_argument, 0, O_CRIT},
      {"clock-skew", required_argument, 0, O_SKEW},
      {"hsts-list", required_argument, 0, O_HSTS},
      {"no-http", no_argument, 0, O_NOHTTP},
      {"no-probe", no_argument, 0, O_NOPROBE},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  tlsdiag_options_t *o = &s->base;
  long v;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "46qh", longopts, NULL)) != -1) {
    switch (c) {
    case O_FORMAT:
      if (!strcmp(optarg, "json")) s->fmt = OUT_JSON;
      else if (!strcmp(optarg, "nagios")) s->fmt = OUT_NAGIOS;
      else if (!strcmp(optarg, "prometheus")) s->fmt = OUT_PROMETHEUS;
      else return td_cli_error("sweep: unknown format '%s' (json, nagios, "
                               "prometheus)", optarg);
      break;
    case O_JSON: s->fmt = OUT_JSON; break;
    case O_CONC:
      if (td_cli_long(optarg, 1, 100000, &v))
        return td_cli_error("sweep: bad --concurrency '%s' (1..100000)", optarg);
      s->concurrency = (unsigned)v;
      break;
    case O_SHARD:
      if (parse_shard(optarg, &s->shard_k, &s->shard_n))
        return td_cli_error("sweep: bad --shard '%s' (K/N, 1 <= K <= N)",
                            optarg);
      break;
    case O_EXPIRING:
      if (td_cli_long(optarg, -100000, 100000, &v))
        return td_cli_error("sweep: bad --expiring-within '%s' (days)", optarg);
      s->expiring = 1;
      s->expiring_days = (int)v;
      break;
    case O_SUMMARY: s->summary_record = 1; break;
    case 'q': s->quiet = 1; break;
    case O_NOPROG: s->progress = 0; break;
    case O_CACERT:
      if (td_cli_cafile(optarg)) return TD_EXIT_USAGE;
      o->cafile = optarg;
      break;
    case O_CAPATH:
      if (td_cli_capath(optarg)) return TD_EXIT_USAGE;
      o->capath = optarg;
      break;
    case O_RESOLVE: {
      const char **p = realloc(s->pins, (s->npins + 1) * sizeof(*p));
      if (!p) return td_cli_error("out of memory");
      s->pins = p;
      s->pins[s->npins++] = optarg;
      break;
    }
    case O_DNS: o->dns_servers = optarg; break;
    case O_TLSMIN:
      if (td_cli_tls_version(optarg, &o->tls_min))
        return td_cli_error("bad --tls-min '%s' (1.0, 1.1, 1.2, 1.3)", optarg);
      break;
    case O_TLSMAX:
      if (td_cli_tls_version(optarg, &o->tls_max))
        return td_cli_error("bad --tls-max '%s' (1.0, 1.1, 1.2, 1.3)", optarg);
      break;
    case O_CTO:
      if (td_cli_seconds_ms(optarg, &o->connect_timeout_ms))
        return td_cli_error("bad --connect-timeout '%s' (seconds)", optarg);
      break;
    case O_MAXTIME:
      if (td_cli_seconds_ms(optarg, &o->max_time_ms))
        return td_cli_error("bad --max-time '%s' (seconds)", optarg);
      break;
    case O_METHOD:
      if (strcmp(optarg, "HEAD") && strcmp(optarg, "GET"))
        return td_cli_error("bad --method '%s' (HEAD or GET)", optarg);
      o->http_method = optarg;
      break;
    case O_PATH:
      if (optarg[0] != '/')
        return td_cli_error("bad --path '%s' (must start with /)", optarg);
      o->http_path = optarg;
      break;
    case O_NOW:
      if (tlsdiag_time_parse(optarg, &o->now))
        return td_cli_error("bad --now '%s' (e.g. 2026-01-02T03:04:05Z)",
                            optarg);
      break;
    case O_WARN:
      if (td_cli_long(optarg, 0, 100000, &v))
        return td_cli_error("bad --warn-days '%s'", optarg);
      o->warn_days = (int)v;
      break;
    case O_CRIT:
      if (td_cli_long(optarg, 0, 100000, &v))
        return td_cli_error("bad --crit-days '%s'", optarg);
      o->crit_days = (int)v;
      break;
    case O_SKEW:
      if (td_cli_long(optarg, 0, 100000000, &v))
        return td_cli_error("bad --clock-skew '%s' (seconds)", optarg);
      o->clock_skew_s = (int)v;
      break;
    case O_HSTS: *hsts_path = optarg; break;
    case O_NOHTTP: o->flags |= TLSDIAG_F_NO_HTTP; break;
    case O_NOPROBE: o->flags |= TLSDIAG_F_NO_VERSION_PROBE; break;
    case '4': o->flags |= TLSDIAG_F_IPV4_ONLY; break;
    case '6': o->flags |= TLSDIAG_F_IPV6_ONLY; break;
    case 'h': usage(stdout); return TD_EXIT_OK;
    default: usage(stderr); return TD_EXIT_USAGE;
    }
  }
  if (optind < argc - 1) {
    usage(stderr);
    return TD_EXIT_USAGE;
  }
  *file = optind < argc ? argv[optind] : "-";
  if ((o->flags & TLSDIAG_F_IPV4_ONLY) && (o->flags & TLSDIAG_F_IPV6_ONLY))
    return td_cli_error("-4 and -6 exclude each other");
  if (o->tls_min > o->tls_max)
    return td_cli_error("--tls-min is above --tls-max");
  return -1;
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

static void write_out(sweep_t *s, const char *p, size_t n) {
  if (s->write_failed) return;
  if (fwrite(p, 1, n, stdout) != n) {
    fprintf(stderr, "tlsdiag: sweep: cannot write the output: %s\n",
            strerror(errno));
    s->write_failed = 1;
  }
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
    if (!s->expiring) {
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

/* Writes v as a JSON string, quoted as the report quotes its own (target
 * names come from a file: any bytes). */
static void json_string(FILE *f, const char *v) {
  char *q = NULL;
  size_t n = 0;
  if (tlsdiag_json_quote(v, strlen(v), &q, &n) == TLSDIAG_OK) fwrite(q, 1, n, f);
  else fputs("null", f);
  tlsdiag_free(q);
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
  if (s->summary_record && s->fmt == OUT_JSON) {
    printf("{\"summary\":{\"schema\":\"tlsdiag-sweep/1\",\"targets\":%zu,"
           "\"ok\":%zu,\"failed\":%zu,\"bad_lines\":%zu,\"duplicates\":%zu,"
           "\"elapsed_s\":%.3f,\"causes\":{",
           s->ndone, s->ndone - s->nfailed, s->nfailed, s->list.bad,
           s->list.duplicates, elapsed);
    const char *sep = "";
    for (int c = 0; c < TLSDIAG_CAUSE_COUNT_; c++)
      if (causes[c]) {
        printf("%s\"%s\":%zu", sep, tlsdiag_cause_name((tlsdiag_cause_t)c),
               causes[c]);
        sep = ",";
      }
    fputs("},\"soonest_expiries\":[", stdout);
    for (size_t i = 0; soon && i < nexp; i++) {
      const td_target_t *t = &s->list.v[soon[i]];
      target_name(t, name, sizeof(name));
      fputs(i ? ",{\"target\":" : "{\"target\":", stdout);
      json_string(stdout, name);
      fputs(",\"sni\":", stdout);
      if (t->sni) json_string(stdout, t->sni);
      else fputs("null", stdout);
      printf(",\"days_left\":%lld,\"not_after\":%lld}",
             (long long)s->out[soon[i]].days_left,
             (long long)s->out[soon[i]].not_after);
    }
    fputs("]}}\n", stdout);
  }
  free(soon);
}

/* Reports written once every check is done: the kept results in target
 * order, or soonest expiry first with --expiring-within. */
static int final_report(sweep_t *s) {
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
    td_cli_error("sweep: %s", tlsdiag_strerror(err));
    return SETUP_FAILED;
  }
  write_out(s, text, len);
  tlsdiag_free(text);
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
          "tlsdiag: sweep: only %llu file descriptors allowed: concurrency "
          "lowered from %u to %u\n",
          (unsigned long long)soft, s->concurrency, c);
  s->concurrency = c;
}

/* Queues every target; SETUP_FAILED (after a message) when the options
 * themselves are wrong, else 0. */
static int add_all(sweep_t *s, tlsdiag_multi_t *m, const char *name) {
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
    tlsdiag_err_t err = tlsdiag_multi_add(m, t->host, &o, (void *)(uintptr_t)i);
    free(pins);
    if (err && err != TLSDIAG_E_HOST && err != TLSDIAG_E_PORT) {
      td_cli_error("sweep: %s", tlsdiag_strerror(err));
      return SETUP_FAILED;
    }
    if (err) { /* this target only: a bad host name */
      char q[330];
      td_target_quote(q, sizeof(q), t->host, 80);
      fprintf(stderr, "tlsdiag: %s:%zu: '%s': %s; line skipped\n", name,
              t->line, q, tlsdiag_strerror(err));
      s->list.bad++;
      s->out[i].done = 0;
    }
  }
  return 0;
}

static int open_input(const char *file, FILE **in) {
  struct stat st;
  if (!strcmp(file, "-")) *in = stdin;
  else if (stat(file, &st) != 0)
    td_cli_error("sweep: cannot open '%s': %s", file, strerror(errno));
  else if (S_ISDIR(st.st_mode))
    td_cli_error("sweep: '%s' is a directory, not a target list", file);
  else if (!(*in = fopen(file, "r")))
    td_cli_error("sweep: cannot open '%s': %s", file, strerror(errno));
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
  free(pins);
  if (err) td_cli_error("sweep: %s", tlsdiag_strerror(err));
  return err ? SETUP_FAILED : 0;
}

/* Runs the sweep; returns the exit status, or SETUP_FAILED. */
static int sweep(sweep_t *s, const char *file, const char *hsts_path) {
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
      }
    }
    s->list.n = k;
  }
  s->out = calloc(s->list.n + 1, sizeof(*s->out));
  if (index_pins(s) || !s->out) {
    td_cli_error("out of memory");
    return SETUP_FAILED;
  }
  struct tlsdiag_hsts *hsts = NULL;
  if (td_cli_hsts_load(hsts_path, &hsts) != 0) return SETUP_FAILED;
  s->base.hsts = hsts;
  fd_limit(s);
  tlsdiag_multi_t *m = NULL;
  tlsdiag_err_t err = tlsdiag_multi_new(s->concurrency, on_result, s, &m);
  if (err) {
    tlsdiag_hsts_free(hsts);
    td_cli_error("sweep: %s", tlsdiag_strerror(err));
    return SETUP_FAILED;
  }
  s->t0_ms = now_ms();
  rc = add_all(s, m, name);
  if (rc == 0 && (err = tlsdiag_multi_run(m))) {
    td_cli_error("sweep: %s", tlsdiag_strerror(err));
    rc = SETUP_FAILED;
  }
  tlsdiag_multi_free(m);
  tlsdiag_hsts_free(hsts);
  progress(s, 1);
  if (rc) return rc;
  double elapsed = (double)(now_ms() - s->t0_ms) / 1000.0;

  int state = 0;
  size_t listed = 0;
  for (size_t i = 0; i < s->list.n; i++) listed += s->out[i].kept != NULL;
  if (s->fmt != OUT_JSON || s->expiring) state = final_report(s);
  if (state == SETUP_FAILED) return state;
  summary(s, elapsed);
  if (fflush(stdout) != 0 && !s->write_failed) {
    fprintf(stderr, "tlsdiag: sweep: cannot write the output: %s\n",
            strerror(errno));
    s->write_failed = 1;
  }
  if (s->write_failed) return SETUP_FAILED;
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

int td_cli_sweep(int argc, char **argv) {
  sweep_t s;
  memset(&s, 0, sizeof(s));
  tlsdiag_options_init(&s.base);
  s.concurrency = 64;
  s.progress = isatty(STDERR_FILENO);
  const char *file = NULL, *hsts_path = NULL;
  int nagios = 0; /* usage errors are UNKNOWN for a Nagios plugin */
  for (int i = 1; i < argc; i++)
    if ((!strcmp(argv[i], "--format") && i + 1 < argc &&
         !strcmp(argv[i + 1], "nagios")) ||
        !strcmp(argv[i], "--format=nagios"))
      nagios = 1;
  int rc = parse_args(&s, argc, argv, &file, &hsts_path);
  if (s.quiet) s.progress = 0;
  if (rc == TD_EXIT_USAGE) rc = SETUP_FAILED;
  if (rc == -1) rc = sweep(&s, file, hsts_path);
  if (rc == SETUP_FAILED) rc = nagios ? NAGIOS_UNKNOWN : TD_EXIT_USAGE;
  for (size_t i = 0; s.out && i < s.list.n; i++)
    tlsdiag_result_free(s.out[i].kept);
  for (size_t i = 0; i < s.nindexed; i++) free(s.pin_index[i].key);
  free(s.pin_index);
  free(s.pin_other);
  free(s.pins);
  free(s.out);
  td_targets_free(&s.list);
  return rc;
}
