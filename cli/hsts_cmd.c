/* hsts_cmd.c: `tlsdiag hsts lookup|update|preload-check`, and where the HSTS preload list
 * of `tlsdiag check` comes from (--hsts-list, $TLSDIAG_HSTS_LIST, the
 * cache). Public API only. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "targets.h"
#include "tlsdiag/tlsdiag.h"

/* Chromium's list, base64-encoded by gitiles. Used only when a user runs
 * `tlsdiag hsts update` without --url (the tests always pass --url). */
#define DEFAULT_URL                                                          \
  "https://chromium.googlesource.com/chromium/src/+/main/net/http/"        \
  "transport_security_state_static.json?format=TEXT"

static void usage(FILE *o) {
  fputs("usage: tlsdiag hsts lookup [--hsts-list FILE] NAME...\n"
        "       tlsdiag hsts update [--url URL] [--hsts-list FILE] [options]\n"
        "       tlsdiag hsts preload-check [options] DOMAIN\n"
        "\n"
        "lookup: is each NAME on the HSTS preload list, through which entry?\n"
        "The list is --hsts-list FILE, else $TLSDIAG_HSTS_LIST, else\n"
        "$XDG_CACHE_HOME/tlsdiag/hsts.json (~/.cache/tlsdiag/hsts.json):\n"
        "Chromium's transport_security_state_static.json; else the snapshot\n"
        "built into tlsdiag. The first line names the list used.\n"
        "exit status: 0 every NAME is preloaded, 2 some are not, 1 error.\n"
        "\n"
        "update: downloads the list with one GET over a verified HTTPS\n"
        "connection (no request is sent to a server whose certificate does\n"
        "not verify), decodes it (base64, as Chromium's source server sends\n"
        "it, or plain JSON from a mirror), checks it as lookup and check\n"
        "would load it (at least one force-https entry), and replaces the\n"
        "list file atomically: --hsts-list FILE, else $TLSDIAG_HSTS_LIST,\n"
        "else the cache above (its directory created, mode 0700).\n"
        "  --url URL              https:// only (default: Chromium's source,\n"
        "                         " DEFAULT_URL ")\n"
        "  --cacert FILE          trust these CA certificates instead of the\n"
        "                         system's; --capath DIR the ones in DIR\n"
        "  --resolve H:P:ADDR     use ADDR for H:P without DNS (repeatable)\n"
        "  --connect-timeout S    per TCP connect and handshake (default 10)\n"
        "  --max-time S           the whole download (default 120)\n"
        "  --max-size BYTES       the largest body accepted (default 96 MiB)\n"
        "exit status: 0 the list was replaced; 2 the download failed or was\n"
        "refused (connection, certificate, HTTP status other than 200,\n"
        "truncated or oversized body, not base64 nor a valid list): the old\n"
        "file is left as it was; 1 usage or setup error (bad option or URL,\n"
        "unreadable CA file, the file cannot be written).\n"
        "\n"
        "preload-check: hstspreload.org's eligibility rules, run offline\n"
        "against DOMAIN's own servers: the domain's form (eTLD+1), a valid\n"
        "chain without SHA-1 on https://DOMAIN, one Strict-Transport-Security\n"
        "header (max-age >= 31536000, includeSubDomains, preload), http://DOMAIN\n"
        "redirecting first to https://DOMAIN (no http hop, at most 3), and\n"
        "www.DOMAIN completing TLS when it answers on 443; then removal\n"
        "eligibility and the status in the preload list in use (as lookup).\n"
        "Each rule, its verdict and evidence; issues with hstspreload.org's\n"
        "codes and levels (error, warning).\n"
        "  --json                 one JSON record (docs/json-schema.md)\n"
        "  --cacert FILE, --capath DIR, --resolve H:P:ADDR, --dns-server A,\n"
        "  --connect-to H1:P1:H2:P2 (repeatable: map ports 443 and 80 of\n"
        "  DOMAIN and www.DOMAIN), --connect-timeout S, --max-time S (per\n"
        "  request), --now TIME, --hsts-list FILE, --ipv4, --ipv6\n"
        "exit status: 0 eligible (warnings allowed), 2 not eligible, 1 usage\n"
        "or setup error.\n",
        o);
}

/* The default cache file: $XDG_CACHE_HOME/tlsdiag/hsts.json, where an
 * unset, empty or relative XDG_CACHE_HOME means ~/.cache (XDG base
 * directory spec). 0, or -1 if there is no home to put it in. */
static int cache_path(char *out, size_t n) {
  const char *xdg = getenv("XDG_CACHE_HOME");
  int k;
  if (xdg && xdg[0] == '/') {
    k = snprintf(out, n, "%s/tlsdiag/hsts.json", xdg);
  } else {
    const char *home = getenv("HOME");
    if (!home || home[0] != '/') return -1;
    k = snprintf(out, n, "%s/.cache/tlsdiag/hsts.json", home);
  }
  return k > 0 && (size_t)k < n ? 0 : -1;
}

static int load_or_fail(const char *path, const char *from,
                        tlsdiag_hsts_source_t src,
                        struct tlsdiag_hsts **out) {
  char err[256] = "";
  tlsdiag_err_t e = tlsdiag_hsts_load_ex(path, out, err, sizeof(err));
  if (e == TLSDIAG_OK) {
    tlsdiag_hsts_set_source(*out, src);
    return 0;
  }
  return td_cli_error("cannot load the HSTS preload list %s%s%s: %s", path,
                      from ? " " : "", from ? from : "",
                      err[0] ? err : tlsdiag_strerror(e));
}

/* The built-in snapshot: the list when no other is found. Freeing it is a
 * no-op, so callers treat it as any list they loaded. */
static struct tlsdiag_hsts *builtin(void) {
  /* TLSDIAG_HSTS_BUILTIN=off: no fallback (reproducible output, tests) */
  const char *b = getenv("TLSDIAG_HSTS_BUILTIN");
  if (b && !strcmp(b, "off")) return NULL;
  return (struct tlsdiag_hsts *)tlsdiag_hsts_builtin();
}

int td_cli_hsts_load(const char *path, struct tlsdiag_hsts **out) {
  *out = NULL;
  if (path) return load_or_fail(path, NULL, TLSDIAG_HSTS_SOURCE_FILE, out);
  const char *env = getenv("TLSDIAG_HSTS_LIST");
  if (env && *env)
    return load_or_fail(env, "(from $TLSDIAG_HSTS_LIST)",
                        TLSDIAG_HSTS_SOURCE_ENV, out);
  char def[PATH_MAX];
  struct stat st;
  if (cache_path(def, sizeof(def)) != 0 ||
      (stat(def, &st) != 0 && errno == ENOENT)) { /* never updated */
    *out = builtin();
    return 0;
  }
  /* A broken cache should not stop every check: say so and go on with
   * the built-in list. */
  char err[256] = "";
  tlsdiag_err_t e = tlsdiag_hsts_load_ex(def, out, err, sizeof(err));
  if (e != TLSDIAG_OK) {
    fprintf(stderr,
            "tlsdiag: warning: ignoring the HSTS preload list cache %s: %s "
            "(run `tlsdiag hsts update`); using the built-in list\n",
            def, err[0] ? err : tlsdiag_strerror(e));
    *out = builtin();
  } else {
    tlsdiag_hsts_set_source(*out, TLSDIAG_HSTS_SOURCE_CACHE);
  }
  return 0;
}

/* "built-in snapshot of 2026-06-01", "cache /home/me/.cache/tlsdiag/hsts.json
 * of 2026-11-25": which list answered, for `hsts lookup`. */
static void list_origin(const struct tlsdiag_hsts *h, char *out, size_t n) {
  char date[32] = "unknown date";
  time_t t = (time_t)tlsdiag_hsts_date(h);
  struct tm tm;
  if (t && gmtime_r(&t, &tm)) strftime(date, sizeof(date), "%Y-%m-%d", &tm);
  tlsdiag_hsts_source_t s = tlsdiag_hsts_source(h);
  if (s == TLSDIAG_HSTS_SOURCE_BUILTIN)
    snprintf(out, n, "built-in snapshot of %s", date);
  else
    snprintf(out, n, "%s %s of %s", tlsdiag_hsts_source_name(s),
             tlsdiag_hsts_path(h) ? tlsdiag_hsts_path(h) : "", date);
}

/* ASCII names are checked here, so that a typo is an error rather than
 * "not preloaded"; UTF-8 names go to the library, which converts them. */
static int bad_name(const char *s) {
  const char *why = NULL;
  if (tlsdiag_host_check(s, &why) != TLSDIAG_OK) {
    td_cli_error("'%s' is not a host name: %s", s, why ? why : "malformed");
    return 1;
  }
  return 0;
}

static int cmd_lookup(int argc, char **argv) {
  td_cli_opts_t c;
  td_cli_opts_init(&c, TD_C_LOOKUP, 0, usage);
  int first = 0;
  int rc = td_cli_parse(&c, argc, argv, NULL, NULL, &first);
  if (rc < 0) rc = td_cli_operands(argc, first, 1, -1, argv, "NAME");
  td_cli_opts_free(&c);
  if (rc >= 0) return rc;
  const char *path = c.hsts_path;
  for (int i = first; i < argc; i++)
    if (bad_name(argv[i])) return TD_EXIT_USAGE;
  struct tlsdiag_hsts *h = NULL;
  if (td_cli_hsts_load(path, &h) != 0) return TD_EXIT_USAGE;
  if (!h)
    return td_cli_error("no HSTS preload list: use --hsts-list FILE, set "
                        "TLSDIAG_HSTS_LIST, or run `tlsdiag hsts update`");
  char origin[PATH_MAX + 64];
  list_origin(h, origin, sizeof(origin));
  printf("HSTS preload list: %s, %zu entries\n", origin,
         tlsdiag_hsts_count(h));
  rc = TD_EXIT_OK;
  for (int i = first; i < argc; i++) {
    const char *entry = NULL;
    int subs = 0;
    if (tlsdiag_hsts_lookup(h, argv[i], &entry, &subs)) {
      printf("%s: preloaded by entry %s%s\n", argv[i], entry,
             subs ? " (includeSubDomains)" : "");
    } else {
      printf("%s: not preloaded\n", argv[i]);
      rc = TD_EXIT_FAIL;
    }
  }
  tlsdiag_hsts_free(h);
  if (fflush(stdout) != 0) return td_cli_error("cannot write the output");
  return rc;
}

/* ---- update ------------------------------------------------------------- */

#define DEFAULT_MAX_TIME_MS 120000

/* "tlsdiag: hsts update: ..." on stderr; returns TD_EXIT_FAIL. */
static int update_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int update_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("tlsdiag: hsts update: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return TD_EXIT_FAIL;
}

/* Where the list goes: --hsts-list, $TLSDIAG_HSTS_LIST, else the cache
 * (then *is_cache). 0, or -1 when there is no home for the cache. */
static int update_target(const char *opt, char *out, size_t n,
                         int *is_cache) {
  const char *env = getenv("TLSDIAG_HSTS_LIST");
  const char *p = opt ? opt : (env && *env) ? env : NULL;
  *is_cache = p == NULL;
  if (!p) return cache_path(out, n);
  int k = snprintf(out, n, "%s", p);
  return k > 0 && (size_t)k < n ? 0 : -1;
}

/* mkdir -p for the cache directory: each missing level with mode 0700. */
static int make_dirs(const char *dir) {
  char buf[PATH_MAX];
  int k = snprintf(buf, sizeof(buf), "%s", dir);
  if (k <= 0 || (size_t)k >= sizeof(buf)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char save = *p;
      *p = '\0';
      if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
      *p = save;
      if (!save) break;
    }
  }
  struct stat st;
  if (stat(buf, &st) != 0) return -1;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return -1;
  }
  return 0;
}

/* Why there is no body, in one line: the root cause and its message, or
 * the HTTP status. Server text is quoted (\xNN for anything not printable
 * ASCII). */
static void no_body_reason(const tlsdiag_result_t *r, char *out, size_t n) {
  char q[512];
  if (!tlsdiag_result_ok(r)) {
    tlsdiag_cause_t c = tlsdiag_result_cause(r);
    long i = tlsdiag_result_find(r, c);
    const char *msg = i >= 0 ? tlsdiag_result_finding_message(r, (size_t)i)
                             : NULL;
    td_target_quote(q, sizeof(q), msg ? msg : tlsdiag_cause_description(c),
                    400);
    snprintf(out, n, "%s: %s", tlsdiag_cause_name(c), q);
    return;
  }
  int st = tlsdiag_result_http_status(r);
  long bo = tlsdiag_result_find(r, TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY);
  if (st == 0 && bo >= 0) {
    /* a warning for a check, a refusal for a fetch: GnuTLS's verdict on
     * the chain as sent must accept too */
    td_target_quote(q, sizeof(q),
                    tlsdiag_result_finding_message(r, (size_t)bo), 400);
    snprintf(out, n, "the request was not sent: both verifiers must accept "
             "the server: cert_path_browser_only: %s", q);
    return;
  }
  if (st == 0) {
    snprintf(out, n, "%s",
             tlsdiag_result_phase_status(r, TLSDIAG_PHASE_HTTP) ==
                     TLSDIAG_STATUS_SKIPPED
                 ? "the request was not sent: the server is not "
                   "authenticated"
                 : "no HTTP response");
    return;
  }
  const char *location = tlsdiag_result_http_header(r, "Location");
  if (st >= 300 && st < 400 && location) {
    td_target_quote(q, sizeof(q), location, 256);
    snprintf(out, n, "the server answered HTTP status %d, a redirect to %s "
             "(not followed)", st, q);
  } else {
    snprintf(out, n, "the server answered HTTP status %d, not 200", st);
  }
}

#define MAX_PINS 64

/* hsts update's own options. */
typedef struct {
  const char *url;
  long max_size;
} update_opts_t;

static int update_opt(void *ctx, td_cli_opts_t *c, int id, const char *arg) {
  update_opts_t *u = ctx;
  (void)c;
  if (id == TD_O_URL) {
    u->url = arg;
    return 0;
  }
  if (id != TD_O_MAXSIZE) return TD_CLI_NOT_MINE;
  if (td_cli_long(arg, 1, (long)TLSDIAG_HSTS_MAX_DOWNLOAD, &u->max_size))
    return td_cli_usage("bad --max-size '%s' (1 to %zu bytes)", arg,
                        TLSDIAG_HSTS_MAX_DOWNLOAD);
  return 0;
}

/* Downloads, decodes, checks and writes the list: the exit status. */
static int update_run(const tlsdiag_options_t *o, const char *url,
                      size_t max_size, const char *list_opt);

static int cmd_update(int argc, char **argv) {
  td_cli_opts_t c;
  td_cli_opts_init(&c, TD_C_UPDATE, 0, usage);
  c.o.max_time_ms = DEFAULT_MAX_TIME_MS;
  update_opts_t u = {DEFAULT_URL, (long)TLSDIAG_HSTS_MAX_DOWNLOAD};
  int first = 0;
  int rc = td_cli_parse(&c, argc, argv, update_opt, &u, &first);
  if (rc < 0) rc = td_cli_operands(argc, first, 0, 0, argv, "nothing");
  if (rc < 0) rc = td_cli_opts_check(&c);
  if (rc < 0) {
    if (c.npins > MAX_PINS) rc = td_cli_usage("too many --resolve pins");
    else {
      c.o.flags |= TLSDIAG_F_NO_VERSION_PROBE; /* a download, not a diagnosis */
      rc = update_run(&c.o, u.url, (size_t)u.max_size, c.hsts_path);
    }
  }
  td_cli_opts_free(&c);
  return rc;
}

static int update_run(const tlsdiag_options_t *opts, const char *url,
                      size_t max_size, const char *list_opt) {
  tlsdiag_options_t o = *opts;
  char path[PATH_MAX];
  int is_cache = 0;
  if (update_target(list_opt, path, sizeof(path), &is_cache) != 0)
    return td_cli_error("nowhere to write the list: use "
                        "--hsts-list FILE, set TLSDIAG_HSTS_LIST, or set "
                        "HOME or XDG_CACHE_HOME");

  char qurl[600];
  td_target_quote(qurl, sizeof(qurl), url, 512);
  tlsdiag_result_t *r = NULL;
  unsigned char *body = NULL, *json = NULL;
  size_t body_len = 0, json_len = 0;
  tlsdiag_hsts_t *list = NULL;
  int rc = TD_EXIT_USAGE;
  tlsdiag_err_t err = tlsdiag_fetch(url, &o, max_size, &r, &body,
                                    &body_len);
  if (err) {
    if (err == TLSDIAG_E_RESOLVE)
      td_cli_error("bad --resolve value (HOST:PORT:ADDR[,ADDR...])");
    else if (err == TLSDIAG_E_CAFILE)
      td_cli_error("no usable CA certificate in %s",
                   o.cafile ? o.cafile : o.capath ? o.capath : "the store");
    else
      td_cli_usage("bad --url '%s': %s", qurl,
                   tlsdiag_strerror(err));
    goto out;
  }
  if (!body) {
    char why[700];
    no_body_reason(r, why, sizeof(why));
    rc = update_fail("%s: %s; %s was not changed", qurl, why, path);
    goto out;
  }
  char eb[300] = "";
  int b64 = 0;
  err = tlsdiag_hsts_decode(body, body_len, &json, &json_len, &b64, eb,
                            sizeof(eb));
  if (err) {
    rc = update_fail("%s: %s; %s was not changed", qurl, eb, path);
    goto out;
  }
  err = tlsdiag_hsts_load_mem(json, json_len, &list, eb, sizeof(eb));
  if (err) {
    rc = update_fail("%s: %s is not a valid preload list: %s; %s was not "
                     "changed",
                     qurl, b64 ? "the base64-decoded body" : "the body", eb,
                     path);
    goto out;
  }
  size_t entries = tlsdiag_hsts_count(list);
  if (entries == 0) {
    rc = update_fail("%s: the list has no force-https entry; %s was not "
                     "changed",
                     qurl, path);
    goto out;
  }
  if (is_cache) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    if (make_dirs(dir) != 0) {
      td_cli_error("cannot create %s: %s", dir, strerror(errno));
      goto out;
    }
  }
  const char *what = "";
  if (td_cli_replace_file(path, json, json_len, &what) != 0) {
    td_cli_error("cannot write %s (%s: %s); the old list, if "
                 "any, is unchanged",
                 path, what, strerror(errno));
    goto out;
  }
  printf("hsts update: %zu force-https entries, %zu bytes written to %s\n",
         entries, json_len, path);
  rc = fflush(stdout) == 0 ? TD_EXIT_OK : td_cli_error("cannot write the output");
out:
  tlsdiag_hsts_free(list);
  tlsdiag_free(json);
  tlsdiag_free(body);
  tlsdiag_result_free(r);
  return rc;
}

/* hsts preload-check DOMAIN: the library's verdict, printed. */
static int cmd_preload(int argc, char **argv) {
  td_cli_opts_t c;
  td_cli_opts_init(&c, TD_C_PRELOAD, 0, usage);
  int first = 0;
  struct tlsdiag_hsts *h = NULL;
  tlsdiag_preload_t *p = NULL;
  char *out = NULL;
  size_t len = 0;
  int rc = td_cli_parse(&c, argc, argv, NULL, NULL, &first);
  if (rc < 0) rc = td_cli_operands(argc, first, 1, 1, argv, "DOMAIN");
  if (rc < 0) rc = td_cli_opts_check(&c);
  if (rc >= 0) goto out;
  rc = TD_EXIT_USAGE;
  if (td_cli_hsts_load(c.hsts_path, &h) != 0) goto out;
  c.o.hsts = h;
  tlsdiag_err_t e = tlsdiag_preload_check(argv[first], &c.o, &p);
  if (e == TLSDIAG_OK) e = tlsdiag_preload_format(p, c.fmt, &out, &len);
  if (e != TLSDIAG_OK) {
    td_cli_error("%s", tlsdiag_strerror(e));
    goto out;
  }
  if (td_cli_write(out, len) != 0) {
    td_cli_error("cannot write the output");
    goto out;
  }
  rc = tlsdiag_preload_eligible(p) ? TD_EXIT_OK : TD_EXIT_FAIL;
out:
  tlsdiag_free(out);
  tlsdiag_preload_free(p);
  tlsdiag_hsts_free(h);
  td_cli_opts_free(&c);
  return rc;
}

int td_cli_hsts(int argc, char **argv) {
  if (argc < 2)
    return td_cli_usage("missing command (lookup, update or preload-check)");
  const char *sub = argv[1];
  if (!strcmp(sub, "lookup")) {
    td_cli_cmd = "hsts lookup";
    return cmd_lookup(argc - 1, argv + 1);
  }
  if (!strcmp(sub, "update")) {
    td_cli_cmd = "hsts update";
    return cmd_update(argc - 1, argv + 1);
  }
  if (!strcmp(sub, "preload-check")) {
    td_cli_cmd = "hsts preload-check";
    return cmd_preload(argc - 1, argv + 1);
  }
  if (!strcmp(sub, "help") || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
    usage(stdout);
    return TD_EXIT_OK;
  }
  return td_cli_usage("unknown command '%s' (lookup, update or "
                      "preload-check)", sub);
}
