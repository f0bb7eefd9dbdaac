/* main.c: the tlsdiag command: argument parsing and output only; every
 * decision is the library's. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tlsdiag/tlsdiag.h"

static void usage(FILE *o) {
  fputs(
      "usage: tlsdiag check [options] HOST[:PORT]\n"
      "       tlsdiag sweep [options] [FILE|-]   many targets at once: JSON Lines,\n"
      "                                   nagios or prometheus (sweep --help)\n"
      "       tlsdiag hsts lookup NAME...  is NAME on the HSTS preload list?\n"
      "       tlsdiag hsts update [--url URL]  download it (hsts --help)\n"
      "       tlsdiag verify [options] CERT|DIR...  check certificate files offline\n"
      "       tlsdiag demo [--json]       offline demo: every diagnosis on local servers\n"
      "       tlsdiag version\n"
      "\n"
      "check options:\n"
      "  --json                 JSON report (one line; --pretty to indent)\n"
      "  --format FMT           text (default), json, mermaid, nagios, prometheus\n"
      "  --cacert FILE          trust these CA certificates instead of the system's\n"
      "  --capath DIR           trust the CA certificates in DIR\n"
      "  --resolve H:P:ADDR     use ADDR for H:P without DNS (repeatable)\n"
      "  --dns-server A[:P],..  ask this DNS server instead of the system's\n"
      "  --sni NAME             send NAME as SNI; --no-sni sends none\n"
      "  --tls-min V, --tls-max V   1.0 1.1 1.2 1.3 (default 1.2 .. 1.3)\n"
      "  --connect-timeout S    per TCP connect and per handshake (default 10)\n"
      "  --max-time S           the whole check (default 30)\n"
      "  --method M             HEAD (default) or GET; --path P (default /)\n"
      "  --now TIME             judge certificate dates at TIME (ISO 8601 UTC)\n"
      "  --warn-days N          cert_expires_soon threshold (default 30)\n"
      "  --crit-days N          expiry CRITICAL threshold for nagios (default 7)\n"
      "  --hsts-list FILE       HSTS preload list (default: $TLSDIAG_HSTS_LIST,\n"
      "                         then the cache of `tlsdiag hsts update`)\n"
      "  --clock-skew S         clock_skew threshold in seconds (default 300)\n"
      "  -4, -6                 IPv4 or IPv6 addresses only\n"
      "  --no-http              stop after the TLS handshake\n"
      "  --no-probe             no extra handshakes to explain a failure\n"
      "  --resume               a second connection resuming the first session\n"
      "  --early-data           with --resume: send the request as 0-RTT data\n"
      "  --keylog FILE          append TLS secrets for Wireshark (NSS key log\n"
      "                         format; default $SSLKEYLOGFILE if set)\n"
      "  --explain              the TLS key schedule in the text report\n"
      "  --color WHEN           auto (default), always, never\n"
      "  -v, --verbose          the whole chain in the text report\n"
      "\n"
      "exit status: 0 no error found (warnings allowed), 2 the check found an\n"
      "error (connection or certificate), 1 usage or setup error.\n"
      "With --format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n",
      o);
}

int td_cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("tlsdiag: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return TD_EXIT_USAGE;
}

int td_cli_write(const char *s, size_t n) {
  if (fwrite(s, 1, n, stdout) != n || fflush(stdout) != 0) {
    fprintf(stderr, "tlsdiag: cannot write the report: %s\n", strerror(errno));
    return -1;
  }
  return 0;
}

#define NAGIOS_BASE 100

enum {
  O_JSON = 256, O_FORMAT, O_CACERT, O_CAPATH, O_RESOLVE, O_DNS, O_SNI,
  O_NOSNI, O_TLSMIN, O_TLSMAX, O_CTO, O_MAXTIME, O_METHOD, O_PATH, O_NOW,
  O_WARN, O_SKEW, O_NOHTTP, O_NOPROBE, O_COLOR, O_PRETTY, O_CRIT, O_HSTS,
  O_RESUME, O_EARLY, O_KEYLOG, O_EXPLAIN
};

static int cmd_check_run(int argc, char **argv) {
  static const struct option longopts[] = {
      {"json", no_argument, 0, O_JSON},
      {"pretty", no_argument, 0, O_PRETTY},
      {"format", required_argument, 0, O_FORMAT},
      {"cacert", required_argument, 0, O_CACERT},
      {"capath", required_argument, 0, O_CAPATH},
      {"resolve", required_argument, 0, O_RESOLVE},
      {"dns-server", required_argument, 0, O_DNS},
      {"sni", required_argument, 0, O_SNI},
      {"no-sni", no_argument, 0, O_NOSNI},
      {"tls-min", required_argument, 0, O_TLSMIN},
      {"tls-max", required_argument, 0, O_TLSMAX},
      {"connect-timeout", required_argument, 0, O_CTO},
      {"max-time", required_argument, 0, O_MAXTIME},
      {"method", required_argument, 0, O_METHOD},
      {"path", required_argument, 0, O_PATH},
      {"now", required_argument, 0, O_NOW},
      {"warn-days", required_argument, 0, O_WARN},
      {"clock-skew", required_argument, 0, O_SKEW},
      {"crit-days", required_argument, 0, O_CRIT},
      {"hsts-list", required_argument, 0, O_HSTS},
      {"resume", no_argument, 0, O_RESUME},
      {"early-data", no_argument, 0, O_EARLY},
      {"keylog", required_argument, 0, O_KEYLOG},
      {"explain", no_argument, 0, O_EXPLAIN},
      {"no-http", no_argument, 0, O_NOHTTP},
      {"no-probe", no_argument, 0, O_NOPROBE},
      {"color", required_argument, 0, O_COLOR},
      {"verbose", no_argument, 0, 'v'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  tlsdiag_format_t fmt = TLSDIAG_FORMAT_TEXT;
  unsigned fflags = 0;
  int color = -1; /* auto */
  const char *pins[65];
  size_t npins = 0;
  const char *hsts_path = NULL;
  int c, v;
  optind = 1;
  opterr = 0; /* one line of our own instead of getopt's + the usage */
  while ((c = getopt_long(argc, argv, ":46vh", longopts, NULL)) != -1) {
    switch (c) {
    case O_JSON: fmt = TLSDIAG_FORMAT_JSON; break;
    case O_PRETTY: fflags |= TLSDIAG_FMT_PRETTY; break;
    case O_FORMAT:
      if (!strcmp(optarg, "text")) fmt = TLSDIAG_FORMAT_TEXT;
      else if (!strcmp(optarg, "json")) fmt = TLSDIAG_FORMAT_JSON;
      else if (!strcmp(optarg, "mermaid")) fmt = TLSDIAG_FORMAT_MERMAID;
      else if (!strcmp(optarg, "nagios")) fmt = TLSDIAG_FORMAT_NAGIOS;
      else if (!strcmp(optarg, "prometheus")) fmt = TLSDIAG_FORMAT_PROMETHEUS;
      else return td_cli_error("unknown format '%s' (text, json, mermaid, "
                               "nagios, prometheus)", optarg);
      break;
    case O_CACERT:
      if (td_cli_cafile(optarg)) return TD_EXIT_USAGE;
      o.cafile = optarg;
      break;
    case O_CAPATH:
      if (td_cli_capath(optarg)) return TD_EXIT_USAGE;
      o.capath = optarg;
      break;
    case O_RESOLVE:
      if (npins >= 64) return td_cli_error("too many --resolve pins");
      pins[npins++] = optarg;
      break;
    case O_DNS: o.dns_servers = optarg; break;
    case O_SNI: o.sni = optarg; break;
    case O_NOSNI: o.sni = ""; break;
    case O_TLSMIN:
      if (td_cli_tls_version(optarg, &o.tls_min))
        return td_cli_error("bad --tls-min '%s' (1.0, 1.1, 1.2, 1.3)", optarg);
      break;
    case O_TLSMAX:
      if (td_cli_tls_version(optarg, &o.tls_max))
        return td_cli_error("bad --tls-max '%s' (1.0, 1.1, 1.2, 1.3)", optarg);
      break;
    case O_CTO:
      if (td_cli_seconds_ms(optarg, &o.connect_timeout_ms))
        return td_cli_error("bad --connect-timeout '%s' (seconds)", optarg);
      break;
    case O_MAXTIME:
      if (td_cli_seconds_ms(optarg, &o.max_time_ms))
        return td_cli_error("bad --max-time '%s' (seconds)", optarg);
      break;
    case O_METHOD:
      if (strcmp(optarg, "HEAD") && strcmp(optarg, "GET"))
        return td_cli_error("bad --method '%s' (HEAD or GET)", optarg);
      o.http_method = optarg;
      break;
    case O_PATH:
      if (optarg[0] != '/')
        return td_cli_error("bad --path '%s' (must start with /)", optarg);
      o.http_path = optarg;
      break;
    case O_NOW:
      if (tlsdiag_time_parse(optarg, &o.now))
        return td_cli_error("bad --now '%s' (e.g. 2026-01-02T03:04:05Z)", optarg);
      break;
    case O_WARN:
      if (td_cli_int(optarg, 0, 100000, &v))
        return td_cli_error("bad --warn-days '%s'", optarg);
      o.warn_days = v;
      break;
    case O_CRIT:
      if (td_cli_int(optarg, 0, 100000, &v))
        return td_cli_error("bad --crit-days '%s'", optarg);
      o.crit_days = v;
      break;
    case O_HSTS: hsts_path = optarg; break;
    case O_RESUME: o.flags |= TLSDIAG_F_RESUME; break;
    case O_EARLY: o.flags |= TLSDIAG_F_EARLY_DATA; break;
    case O_KEYLOG: o.keylog_file = optarg; break;
    case O_EXPLAIN: fflags |= TLSDIAG_FMT_EXPLAIN; break;
    case O_SKEW:
      if (td_cli_int(optarg, 0, 100000000, &v))
        return td_cli_error("bad --clock-skew '%s' (seconds)", optarg);
      o.clock_skew_s = v;
      break;
    case O_NOHTTP: o.flags |= TLSDIAG_F_NO_HTTP; break;
    case O_NOPROBE: o.flags |= TLSDIAG_F_NO_VERSION_PROBE; break;
    case O_COLOR:
      if (!strcmp(optarg, "always")) color = 1;
      else if (!strcmp(optarg, "never")) color = 0;
      else if (!strcmp(optarg, "auto")) color = -1;
      else return td_cli_error("bad --color '%s' (auto, always, never)", optarg);
      break;
    case '4': o.flags |= TLSDIAG_F_IPV4_ONLY; break;
    case '6': o.flags |= TLSDIAG_F_IPV6_ONLY; break;
    case 'v': fflags |= TLSDIAG_FMT_VERBOSE; break;
    case 'h': usage(stdout); return 0;
    case ':':
      return td_cli_error("option '%s' needs a value", argv[optind - 1]);
    default:
      if (optopt > 0 && optopt < 256)
        return td_cli_error("unknown option '-%c' (see tlsdiag check --help)",
                            optopt);
      return td_cli_error("unknown or ambiguous option '%s' (see tlsdiag "
                          "check --help)", argv[optind - 1]);
    }
  }
  if (optind != argc - 1) {
    usage(stderr);
    return TD_EXIT_USAGE;
  }
  if ((o.flags & TLSDIAG_F_IPV4_ONLY) && (o.flags & TLSDIAG_F_IPV6_ONLY))
    return td_cli_error("-4 and -6 exclude each other");
  if (o.tls_min > o.tls_max)
    return td_cli_error("--tls-min is above --tls-max");
  if ((o.flags & TLSDIAG_F_EARLY_DATA) && !(o.flags & TLSDIAG_F_RESUME))
    return td_cli_error("--early-data needs --resume");
  /* As browsers and curl do: the environment asks for a key log too. */
  if (!o.keylog_file && getenv("SSLKEYLOGFILE") && *getenv("SSLKEYLOGFILE"))
    o.keylog_file = getenv("SSLKEYLOGFILE");
  pins[npins] = NULL;
  o.resolve = npins ? pins : NULL;

  char *host = NULL;
  uint16_t port = 443;
  tlsdiag_err_t err = tlsdiag_target_parse(argv[optind], 443, &host, &port);
  if (err) {
    const char *t = argv[optind];
    fprintf(stderr, "tlsdiag: '%s': %s\n", t,
            !*t || *t == ':'                     ? "empty host name"
            : err == TLSDIAG_E_HOST && *t == '[' ? "malformed IPv6 literal"
            : err == TLSDIAG_E_PORT ? "the port must be a number from 1 to 65535"
                                    : tlsdiag_strerror(err));
    return TD_EXIT_USAGE;
  }
  const char *why = NULL;
  if (tlsdiag_host_check(host, &why) != TLSDIAG_OK) {
    /* only an IPv6 attempt gets past tlsdiag_target_parse with a ':' */
    fprintf(stderr, "tlsdiag: '%s': %s\n", argv[optind],
            strchr(host, ':') ? "malformed IPv6 literal" : why);
    tlsdiag_free(host);
    return TD_EXIT_USAGE;
  }
  o.port = port;
  if (color < 0) color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
  if (color) fflags |= TLSDIAG_FMT_COLOR;

  tlsdiag_hsts_t *hsts = NULL;
  if (td_cli_hsts_load(hsts_path, &hsts) != 0) {
    tlsdiag_free(host);
    return TD_EXIT_USAGE;
  }
  o.hsts = hsts;
  tlsdiag_result_t *r = NULL;
  err = tlsdiag_check(host, &o, &r);
  tlsdiag_hsts_free(hsts);
  if (err) {
    /* Name the option at fault, not the host. */
    if (err == TLSDIAG_E_CAFILE) {
      char ca_why[512]; /* the library says which file and why */
      tlsdiag_options_check(&o, ca_why, sizeof(ca_why));
      td_cli_error("no usable CA certificate in %s: %s",
                   o.cafile ? "--cacert" : "--capath", ca_why);
    } else if (err == TLSDIAG_E_RESOLVE)
      td_cli_error("bad --resolve %s%s%s (HOST:PORT:ADDR[,ADDR...], PORT "
                   "1-65535, ADDR an IP address)", npins == 1 ? "'" : "",
                   npins == 1 ? pins[0] : "value", npins == 1 ? "'" : "");
    else if (err == TLSDIAG_E_DNS_SERVER)
      td_cli_error("bad --dns-server '%s' (ADDR[:PORT],...; IPv6 with a port "
                   "as [ADDR]:PORT)", o.dns_servers ? o.dns_servers : "");
    else
      fprintf(stderr, "tlsdiag: %s: %s\n", host, tlsdiag_strerror(err));
    tlsdiag_free(host);
    return TD_EXIT_USAGE;
  }
  tlsdiag_free(host);
  char *out = NULL;
  size_t len = 0;
  err = tlsdiag_result_format(r, fmt, fflags, &out, &len);
  /* Nagios plugins speak in states (offset so cmd_check can tell them from
   * a usage error); everything else in ok/failed. */
  int rc = fmt == TLSDIAG_FORMAT_NAGIOS ? NAGIOS_BASE + tlsdiag_result_nagios_state(r)
           : tlsdiag_result_ok(r)       ? TD_EXIT_OK
                                        : TD_EXIT_FAIL;
  tlsdiag_result_free(r);
  if (err) {
    fprintf(stderr, "tlsdiag: %s\n", tlsdiag_strerror(err));
    return TD_EXIT_USAGE;
  }
  if (td_cli_write(out, len) < 0) rc = TD_EXIT_USAGE;
  tlsdiag_free(out);
  return rc;
}

/* With --format nagios every exit is a plugin state: a usage error is
 * UNKNOWN (3), never 1, which Nagios would read as WARNING. */
static int cmd_check(int argc, char **argv) {
  int nagios = 0;
  for (int i = 1; i < argc; i++)
    if ((!strcmp(argv[i], "--format") && i + 1 < argc &&
         !strcmp(argv[i + 1], "nagios")) ||
        !strcmp(argv[i], "--format=nagios"))
      nagios = 1;
  int rc = cmd_check_run(argc, argv);
  if (rc >= NAGIOS_BASE) return rc - NAGIOS_BASE;
  return nagios && rc == TD_EXIT_USAGE ? 3 : rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return TD_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "check")) return cmd_check(argc - 1, argv + 1);
  if (!strcmp(cmd, "demo")) return td_cli_demo(argc - 1, argv + 1);
  if (!strcmp(cmd, "sweep")) return td_cli_sweep(argc - 1, argv + 1);
  if (!strcmp(cmd, "hsts")) return td_cli_hsts(argc - 1, argv + 1);
  if (!strcmp(cmd, "verify")) return td_cli_verify(argc - 1, argv + 1);
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("tlsdiag %s\n", tlsdiag_version_str());
    return 0;
  }
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "tlsdiag: unknown command '%s'\n", cmd);
  usage(stderr);
  return TD_EXIT_USAGE;
}
