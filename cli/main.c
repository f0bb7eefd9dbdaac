/* main.c: the tlsdiag command: argument parsing and output only; every
 * decision is the library's. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "tlsdiag/tlsdiag.h"

static void usage(FILE *o) {
  fputs(
      "usage: tlsdiag check [options] HOST[:PORT] | https://HOST[:PORT][/PATH]\n"
      "       tlsdiag sweep [options] [FILE|-]   many targets at once: JSON Lines,\n"
      "                                   nagios or prometheus (sweep --help)\n"
      "       tlsdiag hsts lookup NAME...  is NAME on the HSTS preload list?\n"
      "       tlsdiag hsts update [--url URL]  download it (hsts --help)\n"
      "       tlsdiag hsts preload-check DOMAIN  eligible for preloading?\n"
      "       tlsdiag verify [options] CERT|DIR...  check certificate files offline\n"
      "       tlsdiag serve [options]      Prometheus exporter: /probe?target=\n"
      "                                   (serve --help)\n"
      "       tlsdiag demo [--json]       offline demo: every diagnosis on local servers\n"
      "       tlsdiag version (or -V, --version)\n"
      "\n"
      "check options:\n"
      "  --json                 JSON report (one line; --pretty to indent)\n"
      "  --format FMT           text (default), json, mermaid, nagios, prometheus\n"
      "  -V, --version          print the version\n"
      "  --cacert FILE          trust these CA certificates instead of the system's\n"
      "  --capath DIR           trust the CA certificates in DIR (without either:\n"
      "                         $SSL_CERT_FILE / $SSL_CERT_DIR if set, as curl)\n"
      "  --resolve H:P:ADDR     use ADDR for H:P without DNS (repeatable)\n"
      "  --connect-to H1:P1:H2:P2  connect to H2:P2 for H1:P1, names unchanged\n"
      "                         (repeatable; first match wins, as curl)\n"
      "  --no-aia               never fetch a missing issuer from its AIA URL\n"
      "  --http1.1, --http2     ALPN offers http/1.1 only, or h2 then http/1.1\n"
      "                         (the default, as browsers); h2 chosen: the\n"
      "                         request goes over HTTP/2\n"
      "  --dns-server A[:P],..  ask this DNS server instead of the system's\n"
      "  --sni NAME             send NAME as SNI; --no-sni sends none\n"
      "  --tls-min V, --tls-max V   1.0 1.1 1.2 1.3 (default 1.2 .. 1.3)\n"
      "  --connect-timeout S    per TCP connect and per handshake (default 10)\n"
      "  --max-time S           the whole check (default 30)\n"
      "  --happy-eyeballs-timeout-ms MS  next address this long after the\n"
      "                         previous one while it is pending (default 250)\n"
      "  --method M             HEAD (default) or GET; --path P (default /)\n"
      "  --now TIME             judge certificate dates at TIME: RFC 3339\n"
      "                         (2026-01-02T03:04:05Z, ...+02:00), 2026-12-31,\n"
      "                         @UNIX, or from now: +30d, -12h (s m h d w)\n"
      "  -w, --warn-days N      cert_expires_soon and nagios WARNING below N days\n"
      "                         to expiry (default 30)\n"
      "  -c, --crit-days N      nagios CRITICAL below N days (default 7; N <= -w)\n"
      "  -o, --output FILE      write the report to FILE, replaced atomically\n"
      "                         when the check ends, whatever it found\n"
      "  --hsts-list FILE       HSTS preload list (default: $TLSDIAG_HSTS_LIST,\n"
      "                         then the cache of `tlsdiag hsts update`,\n"
      "                         then the snapshot built into tlsdiag)\n"
      "  --clock-skew S         clock_skew threshold in seconds (default 300)\n"
      "  -4, -6                 IPv4 or IPv6 addresses only\n"
      "  --no-http              stop after the TLS handshake\n"
      "  --no-probe             no extra handshakes to explain a failure\n"
      "                         (nor the one offering what Chrome offers)\n"
      "  --resume               a second connection resuming the first session\n"
      "  --early-data           with --resume: send the request as 0-RTT data\n"
      "  --cert FILE[:PASSWORD] client certificate to present when the server\n"
      "                         asks for one (PEM, or PKCS#12 .p12/.pfx; '\\:'\n"
      "                         for a colon in FILE)\n"
      "  --key FILE             its private key (PEM), if not in the --cert file\n"
      "  --keylog FILE          append TLS secrets for Wireshark (NSS key log\n"
      "                         format; default $SSLKEYLOGFILE if set)\n"
      "  --explain              the TLS key schedule in the text report\n"
      "  --color WHEN           auto (default), always, never\n"
      "  -v, --verbose          the whole chain in the text report\n"
      "\n"
      "exit status: 0 no error found (warnings allowed), 2 the check found an\n"
      "error (connection or certificate), 1 usage or setup error; 130/143\n"
      "stopped by SIGINT/SIGTERM (a report saying so is written).\n"
      "With --format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also\n"
      "when stopped by a signal).\n",
      o);
}

int td_cli_write(const char *s, size_t n) {
  if (fwrite(s, 1, n, stdout) != n || fflush(stdout) != 0)
    return td_cli_error("cannot write the report: %s", strerror(errno)), -1;
  return 0;
}

#define NAGIOS_BASE 100

/* A target that looks like a URL: https:// is taken apart, any other
 * scheme refused in one line. 1 if arg is a URL (then 0 or an error in
 * *rc), 0 if not. */
static int url_target(const char *arg, char **host, uint16_t *port,
                      char **path, int *rc) {
  const char *sep = strstr(arg, "://");
  if (!sep || strcspn(arg, ":/[") != (size_t)(sep - arg)) return 0;
  size_t n = (size_t)(sep - arg);
  *rc = 0;
  if (n == 4 && !strncasecmp(arg, "http", 4))
    *rc = td_cli_usage("'%s': http:// is not checked: tlsdiag speaks https "
                       "only (try https://%s)", arg, sep + 3);
  else if (n != 5 || strncasecmp(arg, "https", 5))
    *rc = td_cli_usage("'%s': unsupported scheme '%.*s' (https:// only)",
                       arg, (int)n, arg);
  if (*rc) return 1;
  tlsdiag_err_t err = tlsdiag_url_parse(arg, 443, host, port, path);
  if (err)
    *rc = td_cli_usage("'%s': %s", arg,
                       err == TLSDIAG_E_PORT
                           ? "the port must be a number from 1 to 65535"
                       : err == TLSDIAG_E_URL
                           ? "malformed URL (https://HOST[:PORT][/PATH])"
                           : tlsdiag_strerror(err));
  return 1;
}

/* HOST[:PORT], [V6][:PORT] or https://HOST[:PORT][/PATH]: 0 with *host
 * (and *path for a URL with a path), or 1 after a usage line. */
static int check_target(const char *t, char **host, uint16_t *port,
                        char **path) {
  int rc = 0;
  *path = NULL;
  if (!url_target(t, host, port, path, &rc)) {
    tlsdiag_err_t err = tlsdiag_target_parse(t, 443, host, port);
    if (err)
      return td_cli_usage(
          "'%s': %s", t,
          !*t || *t == ':'                     ? "empty host name"
          : err == TLSDIAG_E_HOST && *t == '[' ? "malformed IPv6 literal"
          : err == TLSDIAG_E_PORT ? "the port must be a number from 1 to 65535"
                                  : tlsdiag_strerror(err));
  }
  if (rc) return rc;
  const char *why = NULL;
  if (tlsdiag_host_check(*host, &why) != TLSDIAG_OK) {
    /* only an IPv6 attempt gets past tlsdiag_target_parse with a ':' */
    rc = td_cli_usage("'%s': %s", t,
                      strchr(*host, ':') ? "malformed IPv6 literal" : why);
    tlsdiag_free(*host);
    tlsdiag_free(*path);
    *host = *path = NULL;
  }
  return rc;
}

/* A setup error of tlsdiag_check, naming the option at fault. */
static void check_error(const td_cli_opts_t *c, const char *host,
                        tlsdiag_err_t err) {
  const tlsdiag_options_t *o = &c->o;
  if (err == TLSDIAG_E_CAFILE) {
    td_cli_trust_error(o);
  } else if (err == TLSDIAG_E_RESOLVE)
    td_cli_error("bad --resolve %s%s%s (HOST:PORT:ADDR[,ADDR...], PORT "
                 "1-65535, ADDR an IP address)", c->npins == 1 ? "'" : "",
                 c->npins == 1 ? c->pins[0] : "value",
                 c->npins == 1 ? "'" : "");
  else if (err == TLSDIAG_E_DNS_SERVER)
    td_cli_error("bad --dns-server '%s' (ADDR[:PORT],...; IPv6 with a port "
                 "as [ADDR]:PORT)", o->dns_servers ? o->dns_servers : "");
  else
    td_cli_error("%s: %s", host, tlsdiag_strerror(err));
}

/* SIGINT/SIGTERM came before the check ended: the cancelled report, -o's
 * file replaced by it, and the exit (128 + the signal, as a shell
 * reports it; 3, UNKNOWN, for nagios, whose every exit is a plugin state)
 * without waiting for the check's thread. */
static void cancelled(const td_cli_opts_t *c, const char *host, int sig,
                      const struct timespec *t0, td_cli_output_t *w) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0->tv_sec) +
             (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
  /* the SNI the check sends: --sni, none for "" or an IP address */
  unsigned char ip[16];
  const char *sni = c->o.sni ? c->o.sni : host;
  if (!sni[0] || inet_pton(AF_INET, host, ip) == 1 ||
      inet_pton(AF_INET6, host, ip) == 1)
    sni = c->o.sni && c->o.sni[0] ? c->o.sni : NULL;
  td_cli_check_cancelled(stdout, c->fmt, host, c->o.port, sni, sig, s);
  fflush(stdout);
  if (w) td_cli_output_close(w, 1);
  fflush(NULL);
  _exit(c->fmt == TLSDIAG_FORMAT_NAGIOS ? 3 : 128 + sig);
}

/* Runs the check and writes its report: the exit status (NAGIOS_BASE +
 * state for nagios). w: -o's file, or NULL. */
static int check_run(td_cli_opts_t *c, const char *host, td_cli_output_t *w) {
  tlsdiag_hsts_t *hsts = NULL;
  if (td_cli_hsts_load(c->hsts_path, &hsts) != 0) return TD_EXIT_USAGE;
  c->o.hsts = hsts;
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t err = TLSDIAG_OK;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int sig = td_cli_check_interruptible(host, &c->o, &r, &err);
  if (sig) {
    cancelled(c, host, sig, &t0, w);
    return TD_EXIT_USAGE; /* not reached */
  }
  tlsdiag_hsts_free(hsts);
  if (err) {
    check_error(c, host, err);
    return TD_EXIT_USAGE;
  }
  char *out = NULL;
  size_t len = 0;
  err = tlsdiag_result_format(r, c->fmt, c->fflags, &out, &len);
  /* Nagios plugins speak in states (offset so cmd_check can tell them from
   * a usage error); everything else in ok/failed. */
  int rc = c->fmt == TLSDIAG_FORMAT_NAGIOS
               ? NAGIOS_BASE + tlsdiag_result_nagios_state(r)
           : tlsdiag_result_ok(r) ? TD_EXIT_OK
                                  : TD_EXIT_FAIL;
  tlsdiag_result_free(r);
  if (err) rc = td_cli_error("%s", tlsdiag_strerror(err));
  else if (td_cli_write(out, len) < 0) rc = TD_EXIT_USAGE;
  tlsdiag_free(out);
  return rc;
}

static int cmd_check_run(int argc, char **argv) {
  td_cli_opts_t c;
  td_cli_opts_init(&c, TD_C_CHECK, 0x1f, usage);
  char *host = NULL, *path = NULL;
  int first = 0, rc = td_cli_parse(&c, argc, argv, NULL, NULL, &first);
  if (rc < 0) rc = td_cli_operands(argc, first, 1, 1, argv, "HOST[:PORT] or "
                                   "https:// URL");
  if (rc < 0) rc = td_cli_opts_check(&c);
  if (rc >= 0) goto out; /* --help, --version or a usage error */
  rc = check_target(argv[first], &host, &c.o.port, &path);
  if (rc != 0) goto out;
  tlsdiag_options_t def;
  tlsdiag_options_init(&def);
  if (path) {
    if (c.o.http_path != def.http_path)
      rc = td_cli_usage("give the path in the URL or with --path, not both");
    c.o.http_path = path;
  }
  /* As browsers and curl do: the environment asks for a key log too. */
  const char *kl = getenv("SSLKEYLOGFILE");
  if (!c.o.keylog_file && kl && *kl) c.o.keylog_file = kl;
  if (c.color < 0) c.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
  if (c.color && !c.output) c.fflags |= TLSDIAG_FMT_COLOR;
  td_cli_output_t w;
  if (rc == 0 && c.output && td_cli_output_open(&w, c.output)) rc = 1;
  if (rc == 0) {
    rc = check_run(&c, host, c.output ? &w : NULL);
    /* the report replaces the file whatever it found; a setup error
     * (nothing checked) leaves the old file */
    if (c.output && td_cli_output_close(&w, rc != TD_EXIT_USAGE))
      rc = TD_EXIT_USAGE;
  }
out:
  tlsdiag_free(host);
  tlsdiag_free(path);
  td_cli_opts_free(&c);
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
  if (argc < 2) return td_cli_usage("missing command (check, sweep, serve, "
                                     "verify, hsts, demo, version)");
  const char *cmd = argv[1];
  td_cli_cmd = cmd;
  if (!strcmp(cmd, "check")) return cmd_check(argc - 1, argv + 1);
  if (!strcmp(cmd, "demo")) return td_cli_demo(argc - 1, argv + 1);
  if (!strcmp(cmd, "sweep")) return td_cli_sweep(argc - 1, argv + 1);
  if (!strcmp(cmd, "hsts")) return td_cli_hsts(argc - 1, argv + 1);
  if (!strcmp(cmd, "verify")) return td_cli_verify(argc - 1, argv + 1);
  if (!strcmp(cmd, "serve")) return td_cli_serve(argc - 1, argv + 1);
  td_cli_cmd = NULL;
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version") ||
      !strcmp(cmd, "-V")) {
    printf("tlsdiag %s\n", tlsdiag_version_str());
    return 0;
  }
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  return td_cli_usage("unknown command '%s'", cmd);
}
