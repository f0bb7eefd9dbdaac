/* opts.c: the one table of options every command reads, the parser over
 * it (one error style for all), and the small option-value parsers. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

const char *td_cli_cmd = NULL;

/* A message that quotes what the user typed goes to a terminal: control
 * characters (C0, DEL, and C1 as UTF-8 or as a lone byte) are written as
 * \xNN, so an argument cannot move the cursor or recolour the screen.
 * Other UTF-8 (an IDN host) stays readable. */
static void safe_vprint(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));
static void safe_vprint(const char *fmt, va_list ap) {
  char buf[2048];
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  if (n < 0) return;
  const unsigned char *p = (const unsigned char *)buf;
  for (size_t i = 0; p[i]; i++) {
    unsigned char c = p[i];
    int c1 = c >= 0x80 && c < 0xa0 && (i == 0 || p[i - 1] < 0x80);
    if (c == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] < 0xa0) {
      fprintf(stderr, "\\x%02x\\x%02x", c, p[i + 1]);
      i++;
    } else if (c < 0x20 || c == 0x7f || c1) {
      fprintf(stderr, "\\x%02x", c);
    } else {
      fputc(c, stderr);
    }
  }
}

int td_cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (td_cli_cmd) fprintf(stderr, "tlsdiag %s: ", td_cli_cmd);
  else fputs("tlsdiag: ", stderr);
  safe_vprint(fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return TD_EXIT_USAGE;
}

int td_cli_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  const char *cmd = td_cli_cmd ? td_cli_cmd : "";
  fprintf(stderr, "tlsdiag%s%s: ", *cmd ? " " : "", cmd);
  safe_vprint(fmt, ap);
  fprintf(stderr, " (see 'tlsdiag%s%s --help')\n", *cmd ? " " : "", cmd);
  va_end(ap);
  return TD_EXIT_USAGE;
}

/* ---- the table ---------------------------------------------------------- */

#define NET (TD_C_CHECK | TD_C_SWEEP)       /* options of a connection */
#define ALL (NET | TD_C_VERIFY | TD_C_LOOKUP | TD_C_UPDATE | TD_C_DEMO | \
             TD_C_SERVE | TD_C_PRELOAD)
#define CONN (NET | TD_C_SERVE) /* options of the check a probe runs */

typedef struct {
  const char *name; /* long name */
  int has_arg;
  int id;           /* TD_O_*, the short letter where there is one */
  unsigned cmds;    /* TD_C_* bits of the commands that accept it */
} opt_t;

static const opt_t table[] = {
    {"help", no_argument, TD_O_HELP, ALL},
    {"version", no_argument, TD_O_VERSION, ALL},
    {"json", no_argument, TD_O_JSON,
     NET | TD_C_VERIFY | TD_C_DEMO | TD_C_PRELOAD},
    {"pretty", no_argument, TD_O_PRETTY, TD_C_CHECK | TD_C_VERIFY},
    {"format", required_argument, TD_O_FORMAT, NET | TD_C_VERIFY},
    {"output", required_argument, TD_O_OUTPUT, NET},
    {"cacert", required_argument, TD_O_CACERT,
     CONN | TD_C_VERIFY | TD_C_UPDATE | TD_C_PRELOAD},
    {"capath", required_argument, TD_O_CAPATH,
     CONN | TD_C_VERIFY | TD_C_UPDATE | TD_C_PRELOAD},
    {"resolve", required_argument, TD_O_RESOLVE,
     CONN | TD_C_UPDATE | TD_C_PRELOAD},
    {"dns-server", required_argument, TD_O_DNS, CONN | TD_C_PRELOAD},
    {"sni", required_argument, TD_O_SNI, TD_C_CHECK},
    {"no-sni", no_argument, TD_O_NOSNI, TD_C_CHECK},
    {"tls-min", required_argument, TD_O_TLSMIN, CONN},
    {"tls-max", required_argument, TD_O_TLSMAX, CONN},
    {"connect-timeout", required_argument, TD_O_CTO,
     CONN | TD_C_UPDATE | TD_C_PRELOAD},
    {"max-time", required_argument, TD_O_MAXTIME,
     CONN | TD_C_UPDATE | TD_C_PRELOAD},
    {"happy-eyeballs-timeout-ms", required_argument, TD_O_HETO, CONN},
    {"method", required_argument, TD_O_METHOD, CONN},
    {"path", required_argument, TD_O_PATH, CONN},
    {"now", required_argument, TD_O_NOW, CONN | TD_C_VERIFY | TD_C_PRELOAD},
    {"at", required_argument, TD_O_NOW, TD_C_VERIFY},
    {"warn-days", required_argument, TD_O_WARN, CONN | TD_C_VERIFY},
    {"crit-days", required_argument, TD_O_CRIT, CONN | TD_C_VERIFY},
    {"clock-skew", required_argument, TD_O_SKEW, CONN},
    {"hsts-list", required_argument, TD_O_HSTS,
     CONN | TD_C_LOOKUP | TD_C_UPDATE | TD_C_PRELOAD},
    {"resume", no_argument, TD_O_RESUME, TD_C_CHECK},
    {"early-data", no_argument, TD_O_EARLY, TD_C_CHECK},
    {"keylog", required_argument, TD_O_KEYLOG, TD_C_CHECK},
    {"cert", required_argument, TD_O_CERT, CONN},
    {"key", required_argument, TD_O_KEY, CONN},
    {"explain", no_argument, TD_O_EXPLAIN, TD_C_CHECK},
    {"no-http", no_argument, TD_O_NOHTTP, CONN},
    {"no-probe", no_argument, TD_O_NOPROBE, CONN},
    {"no-aia", no_argument, TD_O_NOAIA, CONN},
    {"http1.1", no_argument, TD_O_HTTP11, CONN},
    {"http2", no_argument, TD_O_HTTP2, CONN},
    {"connect-to", required_argument, TD_O_CONNTO, CONN | TD_C_PRELOAD},
    {"color", required_argument, TD_O_COLOR, TD_C_CHECK | TD_C_DEMO},
    {"verbose", no_argument, TD_O_VERBOSE, TD_C_CHECK | TD_C_VERIFY},
    {"ipv4", no_argument, TD_O_IPV4, CONN | TD_C_PRELOAD},
    {"ipv6", no_argument, TD_O_IPV6, CONN | TD_C_PRELOAD},
    {"concurrency", required_argument, TD_O_CONC, TD_C_SWEEP},
    {"shard", required_argument, TD_O_SHARD, TD_C_SWEEP},
    {"per-ip", required_argument, TD_O_PERIP, TD_C_SWEEP},
    {"rate", required_argument, TD_O_RATE, TD_C_SWEEP},
    {"jobs", required_argument, TD_O_JOBS, TD_C_SWEEP},
    {"dns-ahead", required_argument, TD_O_DNSAHEAD, TD_C_SWEEP},
    {"resume", required_argument, TD_O_SWRESUME, TD_C_SWEEP},
    {"expiring-within", required_argument, TD_O_EXPIRING,
     TD_C_SWEEP | TD_C_VERIFY},
    {"summary", no_argument, TD_O_SUMMARY, TD_C_SWEEP},
    {"quiet", no_argument, TD_O_QUIET, TD_C_SWEEP | TD_C_SERVE},
    {"listen", required_argument, TD_O_LISTEN, TD_C_SERVE},
    {"listen-non-loopback", no_argument, TD_O_PUBLIC, TD_C_SERVE},
    {"allow-target", required_argument, TD_O_ALLOW, TD_C_SERVE},
    {"max-concurrent", required_argument, TD_O_MAXCONC, TD_C_SERVE},
    {"request-timeout", required_argument, TD_O_REQTO, TD_C_SERVE},
    {"no-progress", no_argument, TD_O_NOPROG, TD_C_SWEEP},
    {"host", required_argument, TD_O_HOST, TD_C_VERIFY},
    {"ip", required_argument, TD_O_IP, TD_C_VERIFY},
    {"untrusted", required_argument, TD_O_UNTRUSTED, TD_C_VERIFY},
    {"crl", required_argument, TD_O_CRL, TD_C_VERIFY},
    {"purpose", required_argument, TD_O_PURPOSE, TD_C_VERIFY},
    {"max-depth", required_argument, TD_O_MAXDEPTH, TD_C_VERIFY},
    {"url", required_argument, TD_O_URL, TD_C_UPDATE},
    {"max-size", required_argument, TD_O_MAXSIZE, TD_C_UPDATE},
};
#define NOPTS (sizeof(table) / sizeof(table[0]))

static const char *const format_names[] = {"text", "json", "mermaid",
                                           "nagios", "prometheus"};
static const tlsdiag_format_t format_ids[] = {
    TLSDIAG_FORMAT_TEXT, TLSDIAG_FORMAT_JSON, TLSDIAG_FORMAT_MERMAID,
    TLSDIAG_FORMAT_NAGIOS, TLSDIAG_FORMAT_PROMETHEUS};

void td_cli_opts_init(td_cli_opts_t *c, unsigned cmd, unsigned formats,
                      void (*usage)(FILE *)) {
  memset(c, 0, sizeof(*c));
  c->cmd = cmd;
  c->formats = formats;
  c->usage = usage;
  c->color = -1;
  c->fmt = TLSDIAG_FORMAT_TEXT;
  tlsdiag_options_init(&c->o);
}

void td_cli_opts_free(td_cli_opts_t *c) {
  free(c->cert_copy);
  c->cert_copy = NULL;
  free(c->pins);
  free(c->conn_to);
  c->pins = NULL;
  c->npins = 0;
}

/* --cert FILE[:PASSWORD], as curl reads it: the first ':' not escaped
 * as "\\:" ends the file name; the rest is the password. */
static int cert_option(td_cli_opts_t *c, const char *arg) {
  size_t n = strlen(arg);
  char *file = malloc(n + 1);
  if (!file) return td_cli_error("out of memory");
  size_t j = 0;
  const char *pass = NULL;
  for (size_t i = 0; i < n; i++) {
    if (arg[i] == '\\' && arg[i + 1] == ':') {
      file[j++] = ':';
      i++;
    } else if (arg[i] == ':') {
      pass = arg + i + 1;
      break;
    } else {
      file[j++] = arg[i];
    }
  }
  file[j] = '\0';
  free(c->cert_copy);
  c->cert_copy = file;
  if (!*file) return td_cli_usage("bad --cert '%s' (FILE[:PASSWORD])", arg);
  c->o.client_cert = file;
  c->o.client_cert_password = pass;
  return 0;
}

/* "unknown format 'xml' (text, json, ...)" with this command's formats. */
static int bad_format(const td_cli_opts_t *c, const char *arg) {
  char list[80] = "";
  for (size_t i = 0; i < 5; i++)
    if (c->formats & (1u << format_ids[i])) {
      if (list[0]) strcat(list, ", ");
      strcat(list, format_names[i]);
    }
  return td_cli_usage("unknown format '%s' (%s)", arg, list);
}

static int days(const char *arg, const char *name, int *out) {
  if (td_cli_int(arg, 0, 100000, out))
    return td_cli_usage("bad %s '%s' (days, 0 to 100000)", name, arg);
  return 0;
}

/* The options several commands share: 0, an exit status, or
 * TD_CLI_NOT_MINE when `id` is not one of them. */
static int common(td_cli_opts_t *c, int id, const char *arg) {
  tlsdiag_options_t *o = &c->o;
  int v;
  switch (id) {
  case TD_O_JSON: c->fmt = TLSDIAG_FORMAT_JSON; c->fmt_set = 1; return 0;
  case TD_O_PRETTY: c->fflags |= TLSDIAG_FMT_PRETTY; return 0;
  case TD_O_VERBOSE: c->fflags |= TLSDIAG_FMT_VERBOSE; return 0;
  case TD_O_EXPLAIN: c->fflags |= TLSDIAG_FMT_EXPLAIN; return 0;
  case TD_O_FORMAT:
    for (size_t i = 0; i < 5; i++)
      if (!strcmp(arg, format_names[i]) && (c->formats & (1u << format_ids[i]))) {
        c->fmt = format_ids[i];
        c->fmt_set = 1;
        return 0;
      }
    return bad_format(c, arg);
  case TD_O_OUTPUT:
    if (!*arg) return td_cli_usage("empty -o/--output file name");
    c->output = arg;
    return 0;
  case TD_O_CACERT:
    if (td_cli_cafile(arg)) return TD_EXIT_USAGE;
    o->cafile = arg;
    return 0;
  case TD_O_CAPATH:
    if (td_cli_capath(arg)) return TD_EXIT_USAGE;
    o->capath = arg;
    return 0;
  case TD_O_RESOLVE: {
    const char **p = realloc(c->pins, (c->npins + 2) * sizeof(*p));
    if (!p) return td_cli_error("out of memory");
    c->pins = p;
    c->pins[c->npins++] = arg;
    c->pins[c->npins] = NULL;
    return 0;
  }
  case TD_O_DNS: o->dns_servers = arg; return 0;
  case TD_O_SNI: o->sni = arg; return 0;
  case TD_O_NOSNI: o->sni = ""; return 0;
  case TD_O_TLSMIN:
  case TD_O_TLSMAX:
    if (td_cli_tls_version(arg, id == TD_O_TLSMIN ? &o->tls_min : &o->tls_max))
      return td_cli_usage("bad --tls-%s '%s' (1.0, 1.1, 1.2, 1.3)",
                          id == TD_O_TLSMIN ? "min" : "max", arg);
    return 0;
  case TD_O_CTO:
    if (td_cli_seconds_ms(arg, &o->connect_timeout_ms))
      return td_cli_usage("bad --connect-timeout '%s' (seconds)", arg);
    return 0;
  case TD_O_MAXTIME:
    if (td_cli_seconds_ms(arg, &o->max_time_ms))
      return td_cli_usage("bad --max-time '%s' (seconds)", arg);
    return 0;
  case TD_O_METHOD:
    if (strcmp(arg, "HEAD") && strcmp(arg, "GET"))
      return td_cli_usage("bad --method '%s' (HEAD or GET)", arg);
    o->http_method = arg;
    return 0;
  case TD_O_PATH:
    if (arg[0] != '/')
      return td_cli_usage("bad --path '%s' (must start with /)", arg);
    o->http_path = arg;
    return 0;
  case TD_O_NOW: {
    const char *why = NULL;
    if (tlsdiag_time_parse_from(arg, 0, &o->now, &why))
      return td_cli_usage("bad --%s '%s': %s (e.g. 2026-01-02T03:04:05Z, "
                          "2026-01-02T05:04:05+02:00, 2026-12-31, "
                          "@1767323045, +30d)",
                          c->opt_name ? c->opt_name : "now", arg,
                          why ? why : "not a time");
    return 0;
  }
  case TD_O_WARN:
    c->warn_set = 1;
    return days(arg, "-w/--warn-days", &o->warn_days);
  case TD_O_CRIT:
    c->crit_set = 1;
    return days(arg, "-c/--crit-days", &o->crit_days);
  case TD_O_HETO:
    if (td_cli_int(arg, 0, 60000, &v))
      return td_cli_usage("bad --happy-eyeballs-timeout-ms '%s' (0..60000)",
                          arg);
    o->happy_eyeballs_timeout_ms = v;
    return 0;
  case TD_O_SKEW:
    if (td_cli_int(arg, 0, 100000000, &v))
      return td_cli_usage("bad --clock-skew '%s' (seconds)", arg);
    o->clock_skew_s = v;
    return 0;
  case TD_O_HSTS: c->hsts_path = arg; return 0;
  case TD_O_RESUME: o->flags |= TLSDIAG_F_RESUME; return 0;
  case TD_O_EARLY: o->flags |= TLSDIAG_F_EARLY_DATA; return 0;
  case TD_O_KEYLOG: o->keylog_file = arg; return 0;
  case TD_O_CERT: return cert_option(c, arg);
  case TD_O_KEY: o->client_key = arg; return 0;
  case TD_O_NOHTTP: o->flags |= TLSDIAG_F_NO_HTTP; return 0;
  case TD_O_NOPROBE: o->flags |= TLSDIAG_F_NO_VERSION_PROBE; return 0;
  case TD_O_NOAIA: o->flags |= TLSDIAG_F_NO_AIA; return 0;
  case TD_O_HTTP11: o->http_version = TLSDIAG_HTTP1_1; return 0;
  case TD_O_HTTP2: o->http_version = TLSDIAG_HTTP2; return 0;
  case TD_O_CONNTO: {
    const char **p = realloc(c->conn_to, (c->nconn_to + 2) * sizeof(*p));
    if (!p) return td_cli_error("out of memory");
    c->conn_to = p;
    c->conn_to[c->nconn_to++] = arg;
    c->conn_to[c->nconn_to] = NULL;
    return 0;
  }
  case TD_O_IPV4: o->flags |= TLSDIAG_F_IPV4_ONLY; return 0;
  case TD_O_IPV6: o->flags |= TLSDIAG_F_IPV6_ONLY; return 0;
  case TD_O_QUIET: c->quiet = 1; return 0;
  case TD_O_COLOR:
    if (!strcmp(arg, "always")) c->color = 1;
    else if (!strcmp(arg, "never")) c->color = 0;
    else if (!strcmp(arg, "auto")) c->color = -1;
    else return td_cli_usage("bad --color '%s' (auto, always, never)", arg);
    return 0;
  default: return TD_CLI_NOT_MINE;
  }
}

/* An option getopt did not take: unknown here, or another command's. */
static int unknown(const td_cli_opts_t *c, const char *word, int short_opt) {
  if (short_opt) return td_cli_usage("unknown option '-%c'", short_opt);
  const char *name = word + 2;
  size_t n = strcspn(name, "=");
  for (size_t i = 0; i < NOPTS; i++)
    if (strlen(table[i].name) == n && !strncmp(table[i].name, name, n) &&
        !(table[i].cmds & c->cmd))
      return td_cli_usage("option '--%.*s' is not one of this command's",
                          (int)n, name);
  return td_cli_usage("unknown or ambiguous option '%s'", word);
}

int td_cli_parse(td_cli_opts_t *c, int argc, char **argv, td_cli_own_fn own,
                 void *ctx, int *first) {
  struct option longopts[NOPTS + 1];
  char shorts[3 * NOPTS + 2];
  size_t nl = 0, ns = 0;
  shorts[ns++] = ':'; /* a missing value is ':', not '?' */
  for (size_t i = 0; i < NOPTS; i++) {
    if (!(table[i].cmds & c->cmd)) continue;
    longopts[nl].name = table[i].name;
    longopts[nl].has_arg = table[i].has_arg;
    longopts[nl].flag = NULL;
    longopts[nl++].val = table[i].id;
    int id = table[i].id;
    if (id < 128 && !memchr(shorts, id, ns)) {
      shorts[ns++] = (char)id;
      if (table[i].has_arg) shorts[ns++] = ':';
    }
  }
  memset(&longopts[nl], 0, sizeof(longopts[nl]));
  shorts[ns] = '\0';
  int ch;
  optind = 1;
  opterr = 0; /* one line of our own instead of getopt's */
  int li = -1;
  while ((ch = getopt_long(argc, argv, shorts, longopts, &li)) != -1) {
    c->opt_name = li >= 0 ? longopts[li].name : NULL;
    li = -1;
    if (ch == ':')
      return td_cli_usage("option '%s' needs a value", argv[optind - 1]);
    if (ch == '?')
      return unknown(c, argv[optind - 1], optopt > 0 && optopt < 128 ? optopt : 0);
    if (ch == TD_O_HELP) {
      c->usage(stdout);
      return fflush(stdout) == 0 ? TD_EXIT_OK : TD_EXIT_USAGE;
    }
    if (ch == TD_O_VERSION) {
      printf("tlsdiag %s\n", tlsdiag_version_str());
      return fflush(stdout) == 0 ? TD_EXIT_OK : TD_EXIT_USAGE;
    }
    int rc = own ? own(ctx, c, ch, optarg) : TD_CLI_NOT_MINE;
    if (rc == TD_CLI_NOT_MINE) rc = common(c, ch, optarg);
    if (rc == TD_CLI_NOT_MINE)
      return td_cli_usage("option '%s' is not handled", argv[optind - 1]);
    if (rc) return rc;
  }
  *first = optind;
  return -1;
}

int td_cli_operands(int argc, int first, int min, int max, char **argv,
                    const char *what) {
  int n = argc - first;
  if (n < min) return td_cli_usage("missing %s", what);
  if (max >= 0 && n > max)
    return td_cli_usage("unexpected argument '%s'", argv[first + max]);
  return -1;
}

/* Does the command take this option? */
static int takes(const td_cli_opts_t *c, int id) {
  for (size_t i = 0; i < NOPTS; i++)
    if (table[i].id == id) return (table[i].cmds & c->cmd) != 0;
  return 0;
}

/* SSL_CERT_FILE / SSL_CERT_DIR, read as curl's tool and OpenSSL read them:
 * only when neither --cacert nor --capath was given (the options win), and
 * over the system store. A variable that names nothing usable is a usage
 * error, as the option would be; an empty one counts as unset. The report
 * names the variable (trust_source). -1, or TD_EXIT_USAGE. */
static int trust_from_env(td_cli_opts_t *c) {
  tlsdiag_options_t *o = &c->o;
  if (!takes(c, TD_O_CACERT) || o->cafile || o->capath) return -1;
  const char *file = getenv("SSL_CERT_FILE");
  const char *dir = getenv("SSL_CERT_DIR");
  if (file && *file) {
    if (td_cli_trust_file(file, "SSL_CERT_FILE")) return TD_EXIT_USAGE;
    o->cafile = file;
    o->trust_source = "SSL_CERT_FILE";
  }
  if (dir && *dir) {
    if (td_cli_trust_dir(dir, "SSL_CERT_DIR")) return TD_EXIT_USAGE;
    o->capath = dir;
    o->trust_source =
        o->cafile ? "SSL_CERT_FILE+SSL_CERT_DIR" : "SSL_CERT_DIR";
  }
  return -1;
}

int td_cli_opts_check(td_cli_opts_t *c) {
  tlsdiag_options_t *o = &c->o;
  int rc = trust_from_env(c);
  if (rc >= 0) return rc;
  if ((o->flags & TLSDIAG_F_IPV4_ONLY) && (o->flags & TLSDIAG_F_IPV6_ONLY))
    return td_cli_usage("-4 and -6 exclude each other");
  if (o->tls_min > o->tls_max)
    return td_cli_usage("--tls-min is above --tls-max");
  if ((o->flags & TLSDIAG_F_EARLY_DATA) && !(o->flags & TLSDIAG_F_RESUME))
    return td_cli_usage("--early-data needs --resume");
  if (o->warn_days < o->crit_days)
    return td_cli_usage("the warning threshold (-w %d days) is below the "
                        "critical one (-c %d days): warn must be >= crit",
                        o->warn_days, o->crit_days);
  o->resolve = c->npins ? c->pins : NULL;
  o->connect_to = c->nconn_to ? c->conn_to : NULL;
  return -1;
}

/* ---- option values ------------------------------------------------------ */


int td_cli_long(const char *s, long lo, long hi, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

int td_cli_int(const char *s, int lo, int hi, int *out) {
  long v;
  if (td_cli_long(s, lo, hi, &v)) return -1;
  *out = (int)v;
  return 0;
}

int td_cli_seconds_ms(const char *s, int *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  /* !(v > 0) also rejects NaN */
  if (errno || end == s || *end || !(v > 0) || v > 86400) return -1;
  *out = (int)(v * 1000.0 + 0.5);
  return 0;
}

int td_cli_tls_version(const char *s, tlsdiag_tls_version_t *v) {
  static const char *const names[] = {"1.0", "1.1", "1.2", "1.3"};
  for (int i = 0; i < 4; i++)
    if (strcmp(s, names[i]) == 0) {
      *v = (tlsdiag_tls_version_t)(TLSDIAG_TLS1_0 + i);
      return 0;
    }
  return -1;
}

int td_cli_trust_file(const char *path, const char *var) {
  struct stat st;
  const char *by = var ? " named by " : "", *v = var ? var : "";
  if (stat(path, &st) != 0 || access(path, R_OK) != 0)
    return td_cli_error("cannot read CA file '%s'%s%s: %s", path, by, v,
                        strerror(errno));
  if (S_ISDIR(st.st_mode))
    return td_cli_error("CA file '%s'%s%s is a directory (%s)", path, by, v,
                        var ? "use SSL_CERT_DIR for a directory"
                            : "use --capath DIR");
  return 0;
}

int td_cli_trust_dir(const char *path, const char *var) {
  struct stat st;
  const char *by = var ? " named by " : "", *v = var ? var : "";
  if (stat(path, &st) != 0)
    return td_cli_error("cannot read CA directory '%s'%s%s: %s", path, by, v,
                        strerror(errno));
  if (!S_ISDIR(st.st_mode))
    return td_cli_error("%s '%s' is not a directory (%s)",
                        var ? var : "--capath", path,
                        var ? "use SSL_CERT_FILE for a file"
                            : "use --cacert FILE");
  if (access(path, R_OK | X_OK) != 0)
    return td_cli_error("cannot read CA directory '%s'%s%s: %s", path, by, v,
                        strerror(errno));
  return 0;
}

int td_cli_cafile(const char *path) { return td_cli_trust_file(path, NULL); }

int td_cli_trust_error(const tlsdiag_options_t *o) {
  char why[512]; /* the library says which file and why */
  tlsdiag_options_t t = *o;
  t.resolve = NULL; /* only the store is in question (and callers may */
  t.connect_to = NULL; /* have freed their pin lists already) */
  tlsdiag_options_check(&t, why, sizeof(why));
  return td_cli_error("no usable CA certificate in %s: %s",
                      o->trust_source ? o->trust_source
                      : o->cafile     ? "--cacert"
                                      : "--capath",
                      why);
}

int td_cli_capath(const char *path) { return td_cli_trust_dir(path, NULL); }
