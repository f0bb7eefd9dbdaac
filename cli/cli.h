/* cli.h: shared pieces of the tlsdiag command. */
#ifndef TD_CLI_H
#define TD_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes, documented in the usage text and README. */
#define TD_EXIT_OK 0    /* no error found (warnings allowed) */
#define TD_EXIT_USAGE 1 /* usage or setup error: nothing was checked */
#define TD_EXIT_FAIL 2  /* the check found an error */

#include "tlsdiag/tlsdiag.h"

/* Option values (opts.c): 0 on success, -1 if malformed or out of range. */
int td_cli_long(const char *s, long lo, long hi, long *out);
int td_cli_int(const char *s, int lo, int hi, int *out);
int td_cli_seconds_ms(const char *s, int *out); /* "1.5" -> 1500, (0, 86400] */
int td_cli_tls_version(const char *s, tlsdiag_tls_version_t *v); /* "1.2" */
/* --cacert FILE / --capath DIR usable? 0, or TD_EXIT_USAGE after saying
 * why on stderr. */
int td_cli_cafile(const char *path);
int td_cli_capath(const char *path);
/* The same for a path taken from the environment variable var (NULL: from
 * the option), which the message names. */
int td_cli_trust_file(const char *path, const char *var);
int td_cli_trust_dir(const char *path, const char *var);
/* TLSDIAG_E_CAFILE from the library, said on stderr: which option or
 * variable named the store, and why it gives no CA (which file, which
 * reason). Returns TD_EXIT_USAGE. */
int td_cli_trust_error(const tlsdiag_options_t *o);

/* The command running ("check", "hsts update", ...), named in messages;
 * NULL before one is chosen. */
extern const char *td_cli_cmd;
/* Prints "tlsdiag CMD: <message>" ("tlsdiag: " without a command) on
 * stderr; returns TD_EXIT_USAGE. */
int td_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error, one line: "tlsdiag CMD: <message> (see 'tlsdiag CMD
 * --help')"; returns TD_EXIT_USAGE. */
int td_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the one option table (opts.c) ---------------------------------- */

/* Commands, as bits: the table says which accept each option. */
enum {
  TD_C_CHECK = 1u, TD_C_SWEEP = 2u, TD_C_VERIFY = 4u, TD_C_LOOKUP = 8u,
  TD_C_UPDATE = 16u, TD_C_DEMO = 32u, TD_C_SERVE = 64u,
  TD_C_PRELOAD = 128u /* hsts preload-check */
};

/* Option ids: the short letter where there is one. */
enum {
  TD_O_HELP = 'h', TD_O_VERSION = 'V', TD_O_VERBOSE = 'v', TD_O_QUIET = 'q',
  TD_O_IPV4 = '4', TD_O_IPV6 = '6', TD_O_WARN = 'w', TD_O_CRIT = 'c',
  TD_O_OUTPUT = 'o',
  TD_O_JSON = 256, TD_O_PRETTY, TD_O_FORMAT, TD_O_CACERT, TD_O_CAPATH,
  TD_O_RESOLVE, TD_O_DNS, TD_O_SNI, TD_O_NOSNI, TD_O_TLSMIN, TD_O_TLSMAX,
  TD_O_CTO, TD_O_MAXTIME, TD_O_METHOD, TD_O_PATH, TD_O_NOW, TD_O_SKEW,
  TD_O_HSTS, TD_O_RESUME, TD_O_EARLY, TD_O_KEYLOG, TD_O_EXPLAIN,
  TD_O_NOHTTP, TD_O_NOPROBE, TD_O_COLOR,
  TD_O_CONC, TD_O_SHARD, TD_O_EXPIRING, TD_O_SUMMARY, TD_O_NOPROG,
  TD_O_HOST, TD_O_IP, TD_O_UNTRUSTED, TD_O_CRL, TD_O_PURPOSE, TD_O_MAXDEPTH,
  TD_O_URL, TD_O_MAXSIZE, TD_O_NOAIA, TD_O_CONNTO, TD_O_HTTP11, TD_O_HTTP2,
  TD_O_CERT, TD_O_KEY,
  TD_O_LISTEN, TD_O_PUBLIC, TD_O_ALLOW, TD_O_MAXCONC, TD_O_REQTO,
  TD_O_PERIP, TD_O_RATE, TD_O_JOBS, TD_O_SWRESUME, TD_O_HETO, TD_O_DNSAHEAD
};

/* What the shared options set. Strings point into argv. */
typedef struct td_cli_opts {
  unsigned cmd;     /* TD_C_* of the command parsing */
  unsigned formats; /* 1 << tlsdiag_format_t of the formats it writes */
  void (*usage)(FILE *);
  tlsdiag_options_t o; /* .resolve set by td_cli_opts_check */
  const char **pins;   /* every --resolve, NULL-terminated (owned) */
  size_t npins;
  const char **conn_to; /* every --connect-to, NULL-terminated (owned) */
  size_t nconn_to;
  const char *hsts_path, *output;
  tlsdiag_format_t fmt;
  int fmt_set, warn_set, crit_set, quiet;
  unsigned fflags;
  int color; /* -1 auto, 0 never, 1 always */
  char *cert_copy; /* --cert's file part, the password split off (owned) */
  const char *opt_name; /* long name of the option being handled ("at") */
} td_cli_opts_t;

void td_cli_opts_init(td_cli_opts_t *c, unsigned cmd, unsigned formats,
                      void (*usage)(FILE *));
void td_cli_opts_free(td_cli_opts_t *c);
#define TD_CLI_NOT_MINE (-2)
/* A command's own options: 0 taken, TD_CLI_NOT_MINE not its own (the
 * shared handler takes it), else an exit status (after a message). */
typedef int (*td_cli_own_fn)(void *ctx, td_cli_opts_t *c, int id,
                             const char *arg);
/* Parses argv[1..] against the table rows of c->cmd: -1 to go on with the
 * operands from *first, or an exit status (0 after --help / --version, 1
 * after one usage line). */
int td_cli_parse(td_cli_opts_t *c, int argc, char **argv, td_cli_own_fn own,
                 void *ctx, int *first);
/* Between min and max (-1: any) operands named `what`: -1, or 1 after a
 * usage line ("missing HOST", "unexpected argument 'x'"). */
int td_cli_operands(int argc, int first, int min, int max, char **argv,
                    const char *what);
/* Checks that hold between options (-4/-6, --tls-min/max, -w >= -c, ...):
 * -1, or 1 after a usage line. */
int td_cli_opts_check(td_cli_opts_t *c);

/* -o FILE: the output goes to a temporary file beside FILE that replaces
 * it atomically when the command ends (output.c). */
typedef struct td_cli_output {
  char path[4096], tmp[4096 + 32];
  int saved_stdout; /* -1: stdout untouched */
} td_cli_output_t;
/* Points stdout at a new temporary file beside path: 0, or 1 after a
 * message (nothing created). */
int td_cli_output_open(td_cli_output_t *w, const char *path);
/* keep: flush, fsync, rename over path, fsync the directory; else remove
 * the temporary file. stdout is restored either way. 0, or 1 after a
 * message (the temporary file removed, path untouched). */
int td_cli_output_close(td_cli_output_t *w, int keep);
/* The temporary file's path while one is open, else NULL: for a signal
 * handler to unlink (async-signal-safe) before it exits. */
const char *td_cli_output_tmp(void);
/* Replaces path with data[0..len) atomically (hsts_cmd.c): 0, or -1 with
 * errno and *what naming the step that failed. */
int td_cli_replace_file(const char *path, const unsigned char *data,
                        size_t len, const char **what);
/* Writes the whole report to stdout; -1 (with a message) on failure. */
int td_cli_write(const char *s, size_t n);
/* Writes v to f as a JSON string, quoted by tlsdiag_json_quote as the
 * library's reports quote theirs (control characters as \uXXXX, invalid
 * UTF-8 replaced), so any host/SNI bytes give valid JSON; NULL (or no
 * memory) writes null. */
void td_cli_json_string(FILE *f, const char *v);
/* interrupt.c: installs handler (a function, SIG_DFL or SIG_IGN) for both
 * SIGINT and SIGTERM, with sa_flags = flags (0: no SA_RESTART, so a
 * blocking call returns EINTR) and an empty sa_mask. */
void td_cli_on_signals(void (*handler)(int), int flags);
/* interrupt.c: tlsdiag_check on a thread of its own while this thread
 * waits for it or for SIGINT/SIGTERM. 0 with *out and *err as
 * tlsdiag_check sets them; or the signal's number: the check is still
 * running, and the caller writes td_cli_check_cancelled and exits
 * (_exit) without waiting for it. */
int td_cli_check_interruptible(const char *host, const tlsdiag_options_t *o,
                               tlsdiag_result_t **out, tlsdiag_err_t *err);
/* The report of a check cancelled by sig after elapsed_s, in fmt (text,
 * json, nagios, prometheus; mermaid gets the text line). */
void td_cli_check_cancelled(FILE *f, tlsdiag_format_t fmt, const char *host,
                            unsigned port, const char *sni, int sig,
                            double elapsed_s);
/* The JSON record of a cancelled check (sweep_cancelled in
 * docs/json-schema.md), one line: what `check --json` and `sweep` write. */
void td_cli_cancelled_json(FILE *f, const char *host, unsigned port,
                           const char *sni, const char *name, int sig);
/* `tlsdiag demo`: local servers for every diagnosis, one table. */
int td_cli_demo(int argc, char **argv);

/* demo_dhe.c: `openssl s_server` with a 1024-bit DHE group on a loopback
 * port, for the demo's tls_weak_dh row (files written in dir). Started:
 * 0 with s->port listening; else -1 with a one-line reason in err. Stop
 * always (kills and reaps; a stopped or failed one is a no-op). */
typedef struct td_demo_dhe {
  pid_t pid;
  int stdin_fd;
  uint16_t port;
} td_demo_dhe_t;
int td_demo_dhe_start(td_demo_dhe_t *s, const char *dir, const char *cert,
                      const char *key, char *err, size_t errlen);
void td_demo_dhe_stop(td_demo_dhe_t *s);
/* `tlsdiag sweep`: many targets concurrently, JSON Lines (sweep.c). */
int td_cli_sweep(int argc, char **argv);
/* `tlsdiag serve`: a Prometheus exporter, /probe?target= (serve.c). */
int td_cli_serve(int argc, char **argv);
/* `tlsdiag hsts lookup|update` (hsts_cmd.c). */
int td_cli_hsts(int argc, char **argv);
/* `tlsdiag verify`: certificate files checked offline (verify_cmd.c). */
int td_cli_verify(int argc, char **argv);

struct tlsdiag_hsts;
/* Loads the HSTS preload list for a check: `path` (from --hsts-list) if
 * given, else $TLSDIAG_HSTS_LIST, else the cache written by `tlsdiag hsts
 * update`. *out stays NULL when no list is configured and the default is
 * absent. Returns 0, or TD_EXIT_USAGE after printing why. */
int td_cli_hsts_load(const char *path, struct tlsdiag_hsts **out);

#endif
